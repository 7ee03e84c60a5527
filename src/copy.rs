//! Copying a manifest and everything it references (config and layers; for an index, its
//! children, recursively) from one source into another, by digest.
//!
//! What the destination already holds is skipped (one HEAD each), a blob is mounted when
//! both sources are repositories of the same registry, and otherwise streamed from one
//! to the other, verified as it passes, so that memory does not grow with layer size. Children are stored before their parents, because registries refuse an
//! index or image whose references they do not hold. A blob or manifest shared by several
//! parents is transferred once; the others wait for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use futures_util::future::{try_join_all, BoxFuture};
use futures_util::FutureExt;
use tokio::sync::{OnceCell, Semaphore};

use crate::digest::Digest;
use crate::manifest::{Descriptor, Manifest};
use crate::read::MAX_DEPTH;
use crate::reference::{ManifestRef, Repository};
use crate::source::{fetch_listed_manifest, FetchedManifest, Source};

/// What a copy did, for the one-line summary a command prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyStats {
    /// Manifests stored in the destination.
    pub manifests: usize,
    pub blobs_mounted: usize,
    pub blobs_copied: usize,
    /// Blobs and manifests the destination already held.
    pub already_present: usize,
}

#[derive(Default)]
struct Counters {
    manifests: AtomicUsize,
    blobs_mounted: AtomicUsize,
    blobs_copied: AtomicUsize,
    already_present: AtomicUsize,
}

/// One transfer per digest: later callers wait for the first, and retry if it failed.
type Once = Arc<OnceCell<()>>;

/// Copies into one destination, from any number of sources.
pub struct Copier {
    to: Arc<dyn Source>,
    /// Bounds the blobs in flight, each a read feeding a write a chunk at a time (requests
    /// themselves draw on the sources' budget).
    blobs_in_flight: Semaphore,
    blobs: Mutex<HashMap<Digest, Once>>,
    manifests: Mutex<HashMap<Digest, Once>>,
    counters: Counters,
}

impl Copier {
    pub fn new(to: Arc<dyn Source>, concurrency: usize) -> Copier {
        Copier {
            to,
            blobs_in_flight: Semaphore::new(concurrency.max(1)),
            blobs: Mutex::default(),
            manifests: Mutex::default(),
            counters: Counters::default(),
        }
    }

    pub fn stats(&self) -> CopyStats {
        let c = &self.counters;
        CopyStats {
            manifests: c.manifests.load(Ordering::Relaxed),
            blobs_mounted: c.blobs_mounted.load(Ordering::Relaxed),
            blobs_copied: c.blobs_copied.load(Ordering::Relaxed),
            already_present: c.already_present.load(Ordering::Relaxed),
        }
    }

    /// Copies a manifest already fetched (and verified) from `from`, with everything it
    /// references.
    pub async fn manifest(&self, from: &dyn Source, fetched: &FetchedManifest) -> Result<()> {
        self.manifest_once(from, fetched.clone(), 0)
            .await
            .with_context(|| {
                format!(
                    "copying {} into {}",
                    ManifestRef::Digest(fetched.descriptor.digest.clone())
                        .qualify(&from.location()),
                    self.to.location()
                )
            })
    }

    fn manifest_once<'a>(
        &'a self,
        from: &'a dyn Source,
        fetched: FetchedManifest,
        depth: usize,
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            let once = claim(&self.manifests, &fetched.descriptor.digest);
            once.get_or_try_init(|| self.transfer_manifest(from, &fetched, depth))
                .await?;
            Ok(())
        }
        .boxed()
    }

    async fn transfer_manifest(
        &self,
        from: &dyn Source,
        fetched: &FetchedManifest,
        depth: usize,
    ) -> Result<()> {
        let digest = &fetched.descriptor.digest;
        let by_digest = ManifestRef::Digest(digest.clone());
        if self.to.manifest_head(&by_digest).await?.is_some() {
            self.counters
                .already_present
                .fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        match &fetched.manifest {
            Manifest::Image(image) => {
                let blobs = std::iter::once(&image.config).chain(&image.layers);
                try_join_all(blobs.map(|blob| self.blob_once(from, blob))).await?;
            }
            Manifest::Index(index) => {
                if depth >= MAX_DEPTH {
                    bail!("index {digest} is nested more than {MAX_DEPTH} levels deep");
                }
                let children = index
                    .manifests
                    .iter()
                    .map(|child| self.child(from, child, digest, depth + 1));
                try_join_all(children).await?;
            }
        }
        let media_type = &fetched.descriptor.media_type;
        self.to
            .manifest_put(&by_digest, media_type, fetched.bytes.clone())
            .await?;
        self.counters.manifests.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn child(
        &self,
        from: &dyn Source,
        descriptor: &Descriptor,
        parent: &Digest,
        depth: usize,
    ) -> Result<()> {
        let fetched = fetch_listed_manifest(from, descriptor)
            .await
            .with_context(|| {
                format!(
                    "fetching manifest {} listed in index {parent}",
                    descriptor.digest
                )
            })?;
        self.manifest_once(from, fetched, depth).await
    }

    async fn blob_once(&self, from: &dyn Source, descriptor: &Descriptor) -> Result<()> {
        if is_non_distributable(descriptor) {
            return Ok(());
        }
        let once = claim(&self.blobs, &descriptor.digest);
        once.get_or_try_init(|| self.transfer_blob(from, descriptor))
            .await
            .with_context(|| format!("copying blob {}", descriptor.digest))?;
        Ok(())
    }

    async fn transfer_blob(&self, from: &dyn Source, descriptor: &Descriptor) -> Result<()> {
        let _in_flight = self.blobs_in_flight.acquire().await?;
        if self.to.blob_head(&descriptor.digest).await?.is_some() {
            self.counters
                .already_present
                .fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        if let Some(repository) = self.mountable_from(from) {
            // A mount is only a shortcut: whatever stops it, the copy below still decides.
            if let Ok(true) = self.to.blob_mount(descriptor, repository).await {
                self.counters.blobs_mounted.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
        }
        let blob = from.blob_reader(descriptor).await?;
        self.to.blob_put_stream(blob).await?;
        self.counters.blobs_copied.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The repository to mount from: another repository of the destination's registry.
    fn mountable_from<'a>(&self, from: &'a dyn Source) -> Option<&'a Repository> {
        let (source, destination) = (from.repository()?, self.to.repository()?);
        (source.registry == destination.registry && source.name != destination.name)
            .then_some(source)
    }
}

fn claim(map: &Mutex<HashMap<Digest, Once>>, digest: &Digest) -> Once {
    // A poisoned map only means another task panicked mid-insert; the map is still sound.
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    map.entry(digest.clone()).or_default().clone()
}

/// Foreign layers (Windows base layers) live at their `urls`; registries do not expect
/// them to be uploaded, and their owners do not allow it.
fn is_non_distributable(descriptor: &Descriptor) -> bool {
    let foreign_type = descriptor.media_type.contains(".nondistributable.")
        || descriptor.media_type.contains(".foreign.");
    foreign_type
        && descriptor
            .urls
            .as_ref()
            .is_some_and(|urls| !urls.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::layout::LayoutSource;

    #[test]
    fn foreign_layers_with_urls_are_not_copied() {
        let mut layer = Descriptor::new(
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            Digest::sha256_of(b"base"),
            4,
        );
        assert!(!is_non_distributable(&layer));
        layer.urls = Some(vec!["https://mcr.microsoft.com/layer".into()]);
        assert!(is_non_distributable(&layer));
        layer.media_type = crate::manifest::OCI_LAYER_TAR_GZIP.into();
        assert!(!is_non_distributable(&layer));
    }

    #[tokio::test]
    async fn a_copy_within_a_budget_of_one_request_does_not_wait_for_itself() {
        let dir = tempfile::tempdir().unwrap();
        let budget = crate::source::budget(1);
        let layout = Arc::new(LayoutSource::open_or_create(&dir.path().join("from")).unwrap());
        crate::commands::generate::sample::write_all(layout.as_ref())
            .await
            .unwrap();
        let from = crate::source::Limited::new(layout, Arc::clone(&budget), Arc::default());
        let to_layout = LayoutSource::open_or_create(&dir.path().join("to")).unwrap();
        let to: Arc<dyn Source> = Arc::new(crate::source::Limited::new(
            Arc::new(to_layout),
            budget,
            Arc::default(),
        ));
        let image = from
            .manifest_get(&ManifestRef::Tag("image".into()))
            .await
            .unwrap();

        let copier = Copier::new(to, 1);
        let copy = copier.manifest(&from, &image);
        tokio::time::timeout(std::time::Duration::from_secs(30), copy)
            .await
            .expect("the copy does not wait for a permit its own read holds")
            .unwrap();
        assert!(copier.stats().blobs_copied > 0);
    }

    #[tokio::test]
    async fn copies_a_tree_between_layouts_once_and_then_finds_it_present() {
        let dir = tempfile::tempdir().unwrap();
        let from = LayoutSource::open_or_create(&dir.path().join("from")).unwrap();
        crate::commands::generate::sample::write_all(&from)
            .await
            .unwrap();
        let to: Arc<dyn Source> =
            Arc::new(LayoutSource::open_or_create(&dir.path().join("to")).unwrap());
        let nested = from
            .manifest_get(&ManifestRef::Tag("nested".into()))
            .await
            .unwrap();

        let copier = Copier::new(to.clone(), 4);
        copier.manifest(&from, &nested).await.unwrap();
        let stats = copier.stats();
        // nested, multi-platform, its 3 images and the attestation; `image` is the amd64 one.
        assert_eq!(stats.manifests, 6);
        assert_eq!(stats.blobs_mounted, 0);
        assert!(stats.blobs_copied > 0);
        // Copying onwards from `to` reads every manifest and blob of the tree there.
        let onwards: Arc<dyn Source> =
            Arc::new(LayoutSource::open_or_create(&dir.path().join("onwards")).unwrap());
        let from_copy = Copier::new(onwards, 4);
        from_copy.manifest(to.as_ref(), &nested).await.unwrap();
        assert_eq!(from_copy.stats(), stats);

        let again = Copier::new(to, 4);
        again.manifest(&from, &nested).await.unwrap();
        assert_eq!(
            again.stats(),
            CopyStats {
                already_present: 1,
                ..CopyStats::default()
            }
        );
    }
}
