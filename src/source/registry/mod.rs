//! The registry implementation of [`Source`]: the OCI distribution API over HTTP(S).
//! One file per verb, as in regclient's scheme/reg.

mod auth;
mod blob;
mod connections;
mod manifest;
mod referrer;
mod tag;
mod tls;
mod trace;
mod transport;

use std::sync::Arc;

use anyhow::Result;
use async_trait::async_trait;
use bytes::Bytes;

pub use connections::MAX_HTTP1_CONNECTIONS;
pub use trace::enable as enable_trace;
pub use transport::{is_loopback, Transport, TransportOptions, DEFAULT_TIMEOUT};

use super::{BlobStream, FetchedManifest, Referrers, Source};
use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::reference::{ManifestRef, Repository};

/// One repository on a registry.
pub struct RegistrySource {
    transport: Arc<Transport>,
    repository: Repository,
}

impl RegistrySource {
    pub fn new(transport: Arc<Transport>, repository: Repository) -> Self {
        RegistrySource {
            transport,
            repository,
        }
    }

    async fn url(&self, path: &str) -> Result<String> {
        let base = self.transport.repository_url(&self.repository).await?;
        Ok(format!("{base}{path}"))
    }
}

#[async_trait]
impl Source for RegistrySource {
    fn location(&self) -> String {
        self.repository.to_string()
    }

    async fn manifest_get(&self, reference: &ManifestRef) -> Result<FetchedManifest> {
        manifest::get(self, reference).await
    }

    async fn manifest_probe(&self, reference: &ManifestRef) -> Result<Option<FetchedManifest>> {
        manifest::probe(self, reference).await
    }

    async fn manifest_head(&self, reference: &ManifestRef) -> Result<Option<Descriptor>> {
        manifest::head(self, reference).await
    }

    async fn manifest_put(
        &self,
        reference: &ManifestRef,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Digest> {
        manifest::put(self, reference, media_type, bytes).await
    }

    async fn blob_get(&self, descriptor: &Descriptor, limit: u64) -> Result<Bytes> {
        blob::get(self, descriptor, limit).await
    }

    async fn blob_head(&self, digest: &Digest) -> Result<Option<u64>> {
        blob::head(self, digest).await
    }

    async fn blob_put(&self, descriptor: &Descriptor, bytes: Bytes) -> Result<()> {
        blob::put(self, descriptor, bytes).await
    }

    async fn blob_reader(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        blob::reader(self, descriptor).await
    }

    async fn blob_put_stream(&self, blob: BlobStream) -> Result<()> {
        blob::put_stream(self, blob).await
    }

    async fn blob_mount(&self, descriptor: &Descriptor, from: &Repository) -> Result<bool> {
        blob::mount(self, descriptor, from).await
    }

    async fn tag_list(&self) -> Result<Vec<String>> {
        tag::list(self).await
    }

    async fn tag_list_if_small(
        &self,
        max_pages: usize,
        max_page_bytes: u64,
    ) -> Result<Option<Vec<String>>> {
        tag::list_if_small(self, max_pages, max_page_bytes).await
    }

    async fn referrers_list(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Option<Referrers>> {
        referrer::list(self, subject, artifact_type).await
    }

    async fn referrers_answered(&self, subject: &Digest) -> Result<bool> {
        referrer::answered(self, subject).await
    }

    async fn referrer_put(&self, media_type: &str, bytes: Bytes) -> Result<Descriptor> {
        referrer::put(self, media_type, bytes).await
    }

    fn repository(&self) -> Option<&Repository> {
        Some(&self.repository)
    }
}
