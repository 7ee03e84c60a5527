//! Where content comes from: one interface, [`Source`], with a registry and an OCI
//! layout implementation. Every command reads and writes through it.
//!
//! Checks that do not depend on the backend (digest and size verification, size caps)
//! live here so that both implementations apply them identically.

mod blob_stream;
pub mod cache;
pub mod layout;
mod limited;
mod memo;
pub mod registry;

pub use blob_stream::BlobStream;
pub use cache::Cache;
pub use limited::{budget, Budget, Limited};
pub use memo::Memo;

use std::sync::Arc;

use anyhow::{bail, Result};
use async_trait::async_trait;
use bytes::Bytes;

use crate::digest::Digest;
use crate::manifest::{Descriptor, Manifest};
use crate::reference::{ManifestRef, Repository, Target};

/// Manifests larger than this are refused (the distribution spec's recommended floor).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Config blobs larger than this are refused.
pub const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;

/// The error of a manifest or blob that is not there (as opposed to one that could
/// not be read). Discovery uses it to tell "no SBOM here" from a failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotFound(pub String);

/// `None` for what is not there, the value or any other error as it is.
pub fn absent_as_none<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn is_not_found(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<NotFound>().is_some())
}

/// A manifest read from a source, verified against its digest.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// Media type, digest and size of the bytes; for a layout, the annotations and
    /// platform its index.json records too.
    pub descriptor: Descriptor,
    pub bytes: Bytes,
    pub manifest: Manifest,
}

/// What a referrers list holds.
#[derive(Debug, Clone, Default)]
pub struct Referrers {
    pub manifests: Vec<Descriptor>,
    /// Set when the list was cut short (more pages than ocx reads): where, and why.
    pub cut: Option<String>,
}

/// One repository on a registry, or one OCI image layout directory.
///
/// The contracts every implementation keeps (the registry and the layout alike):
/// - A manifest or blob that is not there is an error that [`is_not_found`] recognizes
///   ([`NotFound`]); SBOM discovery tells "no such tag" from a failure by it.
/// - What comes back is verified before it is returned: manifests by
///   [`verify_manifest`] (the digest asked for, the digest the source reports, the media
///   type), blobs by [`verify_blob`] or, streamed, by [`BlobStream`] as bytes pass
///   (digest and descriptor size). Nothing unverified reaches a caller.
/// - What is stored is verified first: a blob or manifest whose bytes do not match its
///   digest is never written.
/// - Reads are bounded: manifests by [`MAX_MANIFEST_BYTES`], blobs by the caller's limit
///   or their descriptor's size.
/// - Only digest-addressed content may be remembered between calls (see
///   `source::memo`, and on disk `source::cache`); tags and referrer lists are asked
///   again every time.
#[async_trait]
pub trait Source: Send + Sync {
    /// Where the content lives, as a user would write it (for messages).
    fn location(&self) -> String;

    /// Fetches and verifies a manifest by tag or digest.
    async fn manifest_get(&self, reference: &ManifestRef) -> Result<FetchedManifest>;

    /// Fetches and verifies a manifest that may well not exist, such as a convention's
    /// tag, or `None` when it does not: a miss costs nothing more (no tag-list hint is
    /// looked up for an error nobody sees).
    async fn manifest_probe(&self, reference: &ManifestRef) -> Result<Option<FetchedManifest>> {
        absent_as_none(self.manifest_get(reference).await)
    }

    /// The descriptor of a manifest, or `None` when there is no such manifest.
    async fn manifest_head(&self, reference: &ManifestRef) -> Result<Option<Descriptor>>;

    /// Stores a manifest under a tag or its digest and returns its digest.
    async fn manifest_put(
        &self,
        reference: &ManifestRef,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Digest>;

    /// Fetches a blob, refusing it when the descriptor says it is larger than `limit`,
    /// and verifies its size and digest.
    async fn blob_get(&self, descriptor: &Descriptor, limit: u64) -> Result<Bytes>;

    /// The size of a blob, or `None` when it is not there.
    async fn blob_head(&self, digest: &Digest) -> Result<Option<u64>>;

    /// Stores a blob whose digest and size the descriptor gives.
    async fn blob_put(&self, descriptor: &Descriptor, bytes: Bytes) -> Result<()>;

    /// Opens a blob for reading as it arrives, verified on the way (see [`BlobStream`]):
    /// for blobs too large to hold in memory, such as the layers a copy moves.
    async fn blob_reader(&self, descriptor: &Descriptor) -> Result<BlobStream>;

    /// Stores a blob as it streams in; nothing is stored unless the stream ends without
    /// an error, which a [`BlobStream`] does only when its bytes match its descriptor.
    async fn blob_put_stream(&self, blob: BlobStream) -> Result<()>;

    /// Links a blob that repository `from` of the same registry holds into this source
    /// without transferring it. `true`: mounted; `false`: not mounted, the caller copies.
    async fn blob_mount(&self, descriptor: &Descriptor, from: &Repository) -> Result<bool>;

    /// Every tag, in the order the source lists them.
    async fn tag_list(&self) -> Result<Vec<String>>;

    /// Every tag when the source lists them in at most `max_pages` pages of at most
    /// `max_page_bytes` each; `None` when it lists more. Cheaper than [`Source::tag_list`]
    /// for a caller that has another way when the list is long.
    async fn tag_list_if_small(
        &self,
        max_pages: usize,
        max_page_bytes: u64,
    ) -> Result<Option<Vec<String>>> {
        let _ = (max_pages, max_page_bytes);
        self.tag_list().await.map(Some)
    }

    /// The manifests whose `subject` is `subject`, optionally only those of one artifact
    /// type; `None` when the source has no referrers API (the caller then reads the
    /// `<alg>-<hex>` tag of the referrers tag schema).
    async fn referrers_list(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Option<Referrers>>;

    /// Whether one referrers request for `subject` is answered with a list (no `Link`
    /// page followed): `true` says the source has the referrers API.
    async fn referrers_answered(&self, subject: &Digest) -> Result<bool> {
        Ok(self.referrers_list(subject, None).await?.is_some())
    }

    /// Stores a manifest that has a `subject` so that `referrers_list` finds it: by digest,
    /// and where the source has no referrers API, also in the subject's
    /// `<alg>-<hex>` referrers tag index (the spec's fallback, as clients maintain it).
    async fn referrer_put(&self, media_type: &str, bytes: Bytes) -> Result<Descriptor>;

    /// The repository, for registry sources (so that a copier can tell when two sources
    /// share a registry and a blob can be mounted).
    fn repository(&self) -> Option<&Repository> {
        None
    }
}

/// How many requests a read has in flight at once unless `--concurrency` says otherwise:
/// the children (then the configs) of a 64-platform index at once. Over HTTP/2 they
/// share one connection; over HTTP/1.1 see [`registry::MAX_HTTP1_CONNECTIONS`].
pub const DEFAULT_CONCURRENCY: usize = 64;
/// The same for `ocx index`, whose requests include layer copies: fewer large transfers
/// at once.
pub const DEFAULT_COPY_CONCURRENCY: usize = 16;

/// What a command shares across every source it opens: one HTTP transport (connection
/// pools and tokens) and one request budget. Two reads in one session (the two sides of
/// a diff) share both.
#[derive(Clone)]
pub struct Session {
    transport: Arc<registry::Transport>,
    /// Manifests, configs, copies and pushes.
    budget: Budget,
    /// SBOM discovery's many small requests have a budget of their own, so that they
    /// never hold back the walk.
    discovery_budget: Budget,
    /// Manifests and blobs fetched by digest, shared by every source the session opens.
    memo: Arc<Memo>,
    /// What registries served by digest, kept between runs; none unless asked for.
    cache: Option<Cache>,
}

impl Session {
    pub fn new(options: registry::TransportOptions) -> Result<Session> {
        Self::with_concurrency(options, DEFAULT_CONCURRENCY)
    }

    pub fn with_concurrency(
        options: registry::TransportOptions,
        concurrency: usize,
    ) -> Result<Session> {
        Ok(Session {
            transport: Arc::new(registry::Transport::new(options)?),
            budget: budget(concurrency),
            discovery_budget: budget(concurrency),
            memo: Arc::default(),
            cache: None,
        })
    }

    /// The same session, keeping what registries serve by digest in `cache` (layouts are
    /// read directly).
    pub fn with_cache(self, cache: Option<Cache>) -> Session {
        Session { cache, ..self }
    }

    /// Opens the source a target names and returns it with the manifest the target means.
    pub fn open(&self, target: &Target) -> Result<(Limited, ManifestRef)> {
        match target {
            Target::Registry { repository, .. } => {
                let source =
                    registry::RegistrySource::new(self.transport.clone(), repository.clone());
                let reference = target
                    .manifest_ref()
                    .unwrap_or_else(|| ManifestRef::Tag("latest".into()));
                let source = self.limited(Arc::new(source)).cached(self.cache.clone());
                Ok((source, reference))
            }
            Target::Layout { path, .. } => {
                let source = layout::LayoutSource::open(path)?;
                let reference = match target.manifest_ref() {
                    Some(r) => r,
                    None => source.sole_manifest()?,
                };
                Ok((self.limited(Arc::new(source)), reference))
            }
        }
    }

    /// Opens the repository or layout a target names, whatever manifest it names.
    pub fn open_location(&self, target: &Target) -> Result<Limited> {
        let source: Arc<dyn Source> = match target {
            Target::Registry { repository, .. } => Arc::new(registry::RegistrySource::new(
                self.transport.clone(),
                repository.clone(),
            )),
            Target::Layout { path, .. } => Arc::new(layout::LayoutSource::open(path)?),
        };
        Ok(self.limited(source))
    }

    /// Opens a layout for writing, creating it when it does not exist yet.
    pub fn open_or_create_layout(&self, path: &std::path::Path) -> Result<Arc<dyn Source>> {
        let layout = Arc::new(layout::LayoutSource::open_or_create(path)?);
        Ok(Arc::new(self.limited(layout)))
    }

    /// The same source, drawing on the discovery budget.
    pub fn for_discovery(&self, source: &Limited) -> Arc<dyn Source> {
        source.with_budget(Arc::clone(&self.discovery_budget))
    }

    fn limited(&self, source: Arc<dyn Source>) -> Limited {
        Limited::new(source, Arc::clone(&self.budget), Arc::clone(&self.memo))
    }
}

/// Checks manifest bytes against what was asked for and parses them.
///
/// `expected` is the digest the caller asked for (a digest reference or a descriptor);
/// `reported` a digest the source claims (Docker-Content-Digest). The digest of the
/// bytes is computed with the algorithm of whichever is known, sha256 otherwise.
pub fn verify_manifest(
    location: &str,
    reference: &ManifestRef,
    bytes: Bytes,
    reported_media_type: Option<&str>,
    reported_digest: Option<&Digest>,
) -> Result<FetchedManifest> {
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        bail!(
            "manifest {} is {} bytes, over the {MAX_MANIFEST_BYTES}-byte limit for manifests",
            reference.qualify(location),
            bytes.len()
        );
    }
    let expected = match reference {
        ManifestRef::Digest(d) => Some(d),
        ManifestRef::Tag(_) => None,
    };
    let computed = match expected.or(reported_digest) {
        Some(d) => d.recompute(&bytes),
        None => Digest::sha256_of(&bytes),
    };
    for claimed in [expected, reported_digest].into_iter().flatten() {
        if claimed.algorithm() == computed.algorithm() && *claimed != computed {
            bail!(
                "digest mismatch for manifest {}: expected {claimed}, content hashes to {computed}",
                reference.qualify(location)
            );
        }
    }
    let (manifest, media_type) = Manifest::parse(&bytes, reported_media_type)
        .map_err(|e| anyhow::anyhow!("manifest {location}@{computed}: {e:#}"))?;
    let mut descriptor = Descriptor::new(media_type, computed, bytes.len() as u64);
    descriptor.artifact_type = manifest.artifact_type().map(str::to_string);
    Ok(FetchedManifest {
        descriptor,
        bytes,
        manifest,
    })
}

/// Fetches a manifest that an index lists, by digest, and checks its size against the
/// index's descriptor.
pub async fn fetch_listed_manifest(
    source: &dyn Source,
    descriptor: &Descriptor,
) -> Result<FetchedManifest> {
    let fetched = source
        .manifest_get(&ManifestRef::Digest(descriptor.digest.clone()))
        .await?;
    if fetched.descriptor.size != descriptor.size {
        bail!(
            "size mismatch for manifest {}: the index says {} bytes, the source returned {}",
            descriptor.digest,
            descriptor.size,
            fetched.descriptor.size
        );
    }
    Ok(fetched)
}

/// Checks blob bytes against their descriptor.
pub fn verify_blob(location: &str, descriptor: &Descriptor, bytes: &[u8]) -> Result<()> {
    let digest = &descriptor.digest;
    if bytes.len() as u64 != descriptor.size {
        bail!(
            "size mismatch for blob {location}@{digest}: the descriptor says {} bytes, the source returned {}",
            descriptor.size,
            bytes.len()
        );
    }
    if !digest.matches(bytes) {
        bail!(
            "digest mismatch for blob {location}@{digest}: content hashes to {}",
            digest.recompute(bytes)
        );
    }
    Ok(())
}

/// Refuses a blob before fetching it when its descriptor is over the limit.
pub fn check_blob_limit(location: &str, descriptor: &Descriptor, limit: u64) -> Result<()> {
    if descriptor.size > limit {
        bail!(
            "blob {location}@{} is {} bytes, over the {limit}-byte limit for {}",
            descriptor.digest,
            descriptor.size,
            descriptor.media_type
        );
    }
    Ok(())
}

/// The referrers tag schema's tag for a subject: `<alg>-<hex>`.
pub fn fallback_tag(subject: &Digest) -> String {
    format!("{}-{}", subject.algorithm().name(), subject.hex())
}

/// The descriptor a referrers list gives a manifest, and the manifest's subject.
pub fn referrer_descriptor(
    location: &str,
    media_type: &str,
    bytes: &Bytes,
) -> Result<(Descriptor, Digest)> {
    let digest = Digest::sha256_of(bytes);
    let fetched = verify_manifest(
        location,
        &ManifestRef::Digest(digest.clone()),
        bytes.clone(),
        Some(media_type),
        None,
    )?;
    let Some(subject) = fetched.manifest.subject().map(|s| s.digest.clone()) else {
        bail!("manifest {location}@{digest} has no subject, so it cannot be a referrer");
    };
    let mut descriptor = Descriptor::new(media_type, digest, bytes.len() as u64);
    descriptor.artifact_type = fetched.manifest.referrer_artifact_type();
    descriptor.annotations = fetched
        .manifest
        .annotations()
        .cloned()
        .filter(|a| !a.is_empty());
    Ok((descriptor, subject))
}
