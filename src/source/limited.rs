//! A [`Source`] that holds a permit of a request budget for every request it makes, so
//! that no caller can forget to: every source a command opens through
//! [`Session`](super::Session) is one. Manifests and blobs asked for by digest go
//! through the session's [`Memo`], so that content fetched once is not fetched again,
//! and, for registries, through the [`Cache`] on disk, so that it is not fetched again by
//! the next run either.

use std::sync::Arc;

use anyhow::Result;
use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::Semaphore;

use super::cache::Cache;
use super::memo::Memo;
use super::{absent_as_none, check_blob_limit, BlobStream, FetchedManifest, Referrers, Source};
use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::reference::{ManifestRef, Repository};

/// How many requests may be in flight at once, shared by every source that holds it.
pub type Budget = Arc<Semaphore>;

pub fn budget(concurrency: usize) -> Budget {
    Arc::new(Semaphore::new(concurrency.max(1)))
}

#[derive(Clone)]
pub struct Limited {
    inner: Arc<dyn Source>,
    budget: Budget,
    memo: Arc<Memo>,
    cache: Option<Cache>,
}

impl Limited {
    pub fn new(inner: Arc<dyn Source>, budget: Budget, memo: Arc<Memo>) -> Limited {
        Limited {
            inner,
            budget,
            memo,
            cache: None,
        }
    }

    /// The same source, keeping what it fetches by digest in `cache` too.
    pub fn cached(self, cache: Option<Cache>) -> Limited {
        Limited { cache, ..self }
    }

    /// The same source, drawing on another budget.
    pub fn with_budget(&self, budget: Budget) -> Arc<dyn Source> {
        Arc::new(Limited {
            budget,
            ..self.clone()
        })
    }

    /// Fetches a manifest, keeping it in the cache under its digest: fetched by tag too,
    /// for the content is the digest's whatever the tag names next time.
    async fn fetch_manifest(&self, reference: &ManifestRef) -> Result<FetchedManifest> {
        let fetched = {
            let _permit = self.permit().await?;
            self.inner.manifest_get(reference).await?
        };
        self.keep_manifest(&fetched);
        Ok(fetched)
    }

    fn keep_manifest(&self, fetched: &FetchedManifest) {
        if let Some(cache) = &self.cache {
            cache.keep_manifest(&self.inner.location(), fetched);
        }
    }

    async fn cached_manifest(&self, digest: &Digest) -> Result<FetchedManifest> {
        if let Some(cache) = &self.cache {
            if let Some(hit) = cache.manifest(&self.inner.location(), digest).await {
                return Ok(hit);
            }
        }
        self.fetch_manifest(&ManifestRef::Digest(digest.clone()))
            .await
    }

    async fn cached_blob(&self, descriptor: &Descriptor, limit: u64) -> Result<Bytes> {
        let location = self.inner.location();
        if let Some(cache) = &self.cache {
            if let Some(hit) = cache.blob(&location, descriptor).await {
                return Ok(hit);
            }
        }
        let bytes = {
            let _permit = self.permit().await?;
            self.inner.blob_get(descriptor, limit).await?
        };
        if let Some(cache) = &self.cache {
            cache.keep_blob(&location, &descriptor.digest, &bytes);
        }
        Ok(bytes)
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        Ok(self.budget.acquire().await?)
    }
}

#[async_trait]
impl Source for Limited {
    fn location(&self) -> String {
        self.inner.location()
    }

    async fn manifest_get(&self, reference: &ManifestRef) -> Result<FetchedManifest> {
        match reference {
            ManifestRef::Digest(digest) => {
                let key = (self.inner.location(), digest.clone());
                self.memo.manifest(key, self.cached_manifest(digest)).await
            }
            ManifestRef::Tag(_) => self.fetch_manifest(reference).await,
        }
    }

    /// A convention tag's manifest is not kept: it is reached only through its tag, which
    /// is asked again on every run, so no run would read it back (64 SBOMs under cosign
    /// tags: 64 files fewer written of 257). What it names by digest is kept as fetched.
    async fn manifest_probe(&self, reference: &ManifestRef) -> Result<Option<FetchedManifest>> {
        if let ManifestRef::Digest(_) = reference {
            return absent_as_none(self.manifest_get(reference).await);
        }
        let _permit = self.permit().await?;
        self.inner.manifest_probe(reference).await
    }

    async fn manifest_head(&self, reference: &ManifestRef) -> Result<Option<Descriptor>> {
        let _permit = self.permit().await?;
        self.inner.manifest_head(reference).await
    }

    async fn manifest_put(
        &self,
        reference: &ManifestRef,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Digest> {
        let _permit = self.permit().await?;
        self.inner.manifest_put(reference, media_type, bytes).await
    }

    async fn blob_get(&self, descriptor: &Descriptor, limit: u64) -> Result<Bytes> {
        let location = self.inner.location();
        check_blob_limit(&location, descriptor, limit)?;
        let fetch = self.cached_blob(descriptor, limit);
        let bytes = self
            .memo
            .blob((location, descriptor.digest.clone()), fetch)
            .await?;
        // Another descriptor of the same digest may claim another size.
        if bytes.len() as u64 != descriptor.size {
            anyhow::bail!(
                "size mismatch for blob {}@{}: the descriptor says {} bytes, the source returned {}",
                self.inner.location(),
                descriptor.digest,
                descriptor.size,
                bytes.len()
            );
        }
        Ok(bytes)
    }

    async fn blob_head(&self, digest: &Digest) -> Result<Option<u64>> {
        let _permit = self.permit().await?;
        self.inner.blob_head(digest).await
    }

    async fn blob_put(&self, descriptor: &Descriptor, bytes: Bytes) -> Result<()> {
        let _permit = self.permit().await?;
        self.inner.blob_put(descriptor, bytes).await
    }

    /// The permit is held until the stream is dropped, however long it is read for.
    async fn blob_reader(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        let permit = Arc::clone(&self.budget).acquire_owned().await?;
        Ok(self.inner.blob_reader(descriptor).await?.holding(permit))
    }

    async fn blob_put_stream(&self, blob: BlobStream) -> Result<()> {
        // A copy's read already holds a permit of this budget for the whole upload, which
        // counts as the same transfer. Taking a second could wait forever: every permit
        // held by a read that waits for its upload.
        let _permit = if blob.holds_permit_of(&self.budget) {
            None
        } else {
            Some(self.permit().await?)
        };
        self.inner.blob_put_stream(blob).await
    }

    async fn blob_mount(&self, descriptor: &Descriptor, from: &Repository) -> Result<bool> {
        let _permit = self.permit().await?;
        self.inner.blob_mount(descriptor, from).await
    }

    async fn tag_list(&self) -> Result<Vec<String>> {
        let _permit = self.permit().await?;
        self.inner.tag_list().await
    }

    /// Read once per session and location: both sides of a diff of one repository see
    /// one list for one request.
    async fn tag_list_if_small(
        &self,
        max_pages: usize,
        max_page_bytes: u64,
    ) -> Result<Option<Vec<String>>> {
        let key = (self.inner.location(), max_pages, max_page_bytes);
        let fetch = async {
            let _permit = self.permit().await?;
            self.inner
                .tag_list_if_small(max_pages, max_page_bytes)
                .await
        };
        self.memo.small_tag_list(key, fetch).await
    }

    async fn referrers_list(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Option<Referrers>> {
        let _permit = self.permit().await?;
        self.inner.referrers_list(subject, artifact_type).await
    }

    async fn referrers_answered(&self, subject: &Digest) -> Result<bool> {
        let _permit = self.permit().await?;
        self.inner.referrers_answered(subject).await
    }

    async fn referrer_put(&self, media_type: &str, bytes: Bytes) -> Result<Descriptor> {
        let _permit = self.permit().await?;
        self.inner.referrer_put(media_type, bytes).await
    }

    fn repository(&self) -> Option<&Repository> {
        self.inner.repository()
    }
}
