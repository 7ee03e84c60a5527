//! The walk: from a resolved manifest, every child manifest of an index (recursively)
//! and every image's config, fetched concurrently and verified.
//!
//! A child's config is requested as soon as the child arrives, so describing an index
//! costs three sequential round trips (index, children, configs) whatever its width.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use futures_util::future::{try_join_all, BoxFuture};
use futures_util::FutureExt;
use tokio::sync::Semaphore;

use crate::digest::Digest;
use crate::manifest::{
    is_image_config_media_type, is_json_media_type, Descriptor, ImageConfig, Manifest,
};
use crate::source::{fetch_listed_manifest, FetchedManifest, Source, MAX_CONFIG_BYTES};

/// How deep indexes may nest before the walk gives up.
pub const MAX_DEPTH: usize = 8;
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A manifest and everything below it that the walk fetched.
#[derive(Debug, Clone)]
pub struct Node {
    /// The descriptor that led here: the parent index's entry, or for the root what the
    /// source reported.
    pub descriptor: Descriptor,
    pub manifest: Manifest,
    /// For an image: its config descriptor and, when it is JSON, its parsed content.
    pub config: Option<Config>,
    /// For an index: its children, in index order.
    pub children: Vec<Node>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub descriptor: Descriptor,
    pub parsed: Option<ImageConfig>,
}

struct Walker {
    source: Arc<dyn Source>,
    /// Bounds the requests in flight, shared with whatever runs beside the walk.
    limiter: Arc<Semaphore>,
}

/// Walks the tree under a fetched manifest.
pub async fn walk(
    source: Arc<dyn Source>,
    root: FetchedManifest,
    limiter: Arc<Semaphore>,
) -> Result<Node> {
    let walker = Walker { source, limiter };
    walker
        .node(root.descriptor, root.manifest, Vec::new())
        .await
}

impl Walker {
    fn node(
        &self,
        descriptor: Descriptor,
        manifest: Manifest,
        ancestors: Vec<Digest>,
    ) -> BoxFuture<'_, Result<Node>> {
        async move {
            match &manifest {
                Manifest::Image(image) => {
                    let config = self.config(&image.config).await?;
                    Ok(Node {
                        descriptor,
                        manifest,
                        config: Some(config),
                        children: Vec::new(),
                    })
                }
                Manifest::Index(index) => {
                    let mut path = ancestors;
                    path.push(descriptor.digest.clone());
                    if path.len() > MAX_DEPTH {
                        bail!(
                            "index {} is nested more than {MAX_DEPTH} levels deep",
                            descriptor.digest
                        );
                    }
                    let children = index
                        .manifests
                        .iter()
                        .map(|child| self.child(child.clone(), path.clone()));
                    let children = try_join_all(children).await?;
                    Ok(Node {
                        descriptor,
                        manifest,
                        config: None,
                        children,
                    })
                }
            }
        }
        .boxed()
    }

    async fn child(&self, descriptor: Descriptor, ancestors: Vec<Digest>) -> Result<Node> {
        let parent = ancestors.last().cloned();
        if ancestors.contains(&descriptor.digest) {
            bail!(
                "cycle: index {} lists {}, which contains it",
                parent.map(|d| d.to_string()).unwrap_or_default(),
                descriptor.digest
            );
        }
        let fetched = self.fetch_manifest(&descriptor).await.with_context(|| {
            format!(
                "fetching manifest {} listed in index {}",
                descriptor.digest,
                parent.map(|d| d.to_string()).unwrap_or_default()
            )
        })?;
        self.node(descriptor, fetched.manifest, ancestors).await
    }

    async fn fetch_manifest(&self, descriptor: &Descriptor) -> Result<FetchedManifest> {
        let _permit = self.limiter.acquire().await?;
        fetch_listed_manifest(self.source.as_ref(), descriptor).await
    }

    async fn config(&self, descriptor: &Descriptor) -> Result<Config> {
        let parsed = if descriptor.is_empty_json() {
            Some(ImageConfig::default())
        } else if is_image_config_media_type(&descriptor.media_type)
            || is_json_media_type(&descriptor.media_type)
        {
            let bytes = {
                let _permit = self.limiter.acquire().await?;
                self.source.blob_get(descriptor, MAX_CONFIG_BYTES).await?
            };
            parse_config(descriptor, &bytes)?
        } else {
            None
        };
        Ok(Config {
            descriptor: descriptor.clone(),
            parsed,
        })
    }
}

/// Image configs must parse; any other JSON config is read for what it offers.
fn parse_config(descriptor: &Descriptor, bytes: &[u8]) -> Result<Option<ImageConfig>> {
    let parsed = serde_json::from_slice::<ImageConfig>(bytes);
    if is_image_config_media_type(&descriptor.media_type) {
        return parsed.map(Some).with_context(|| {
            format!(
                "config blob {} is not a valid image config",
                descriptor.digest
            )
        });
    }
    Ok(parsed.ok())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use anyhow::bail;
    use async_trait::async_trait;
    use bytes::Bytes;

    use super::*;
    use crate::manifest::{ImageIndex, OCI_INDEX};
    use crate::reference::ManifestRef;

    /// Manifests by digest, served without verification: the only way to build the
    /// cycle that content addressing otherwise rules out.
    struct Unverified(HashMap<Digest, ImageIndex>);

    #[async_trait]
    impl Source for Unverified {
        fn location(&self) -> String {
            "memory".into()
        }
        async fn manifest_get(&self, reference: &ManifestRef) -> Result<FetchedManifest> {
            let ManifestRef::Digest(digest) = reference else {
                bail!("by digest only")
            };
            let index = self.0.get(digest).cloned().expect("known digest");
            let bytes = Bytes::from(serde_json::to_vec(&index)?);
            Ok(FetchedManifest {
                descriptor: Descriptor::new(OCI_INDEX, digest.clone(), 100),
                bytes,
                manifest: Manifest::Index(index),
            })
        }
        async fn manifest_head(&self, _: &ManifestRef) -> Result<Option<Descriptor>> {
            bail!("not used by the walk")
        }
        async fn manifest_put(&self, _: &ManifestRef, _: &str, _: Bytes) -> Result<Digest> {
            bail!("not used by the walk")
        }
        async fn blob_get(&self, _: &Descriptor, _: u64) -> Result<Bytes> {
            bail!("not used by the walk")
        }
        async fn blob_head(&self, _: &Digest) -> Result<Option<u64>> {
            bail!("not used by the walk")
        }
        async fn blob_put(&self, _: &Descriptor, _: Bytes) -> Result<()> {
            bail!("not used by the walk")
        }
        async fn blob_mount(
            &self,
            _: &Descriptor,
            _: &crate::reference::Repository,
        ) -> Result<bool> {
            bail!("not used by the walk")
        }
        async fn tag_list(&self) -> Result<Vec<String>> {
            bail!("not used by the walk")
        }
        async fn referrers_list(
            &self,
            _: &Digest,
            _: Option<&str>,
        ) -> Result<Option<Vec<Descriptor>>> {
            bail!("not used by the walk")
        }
        async fn referrer_put(&self, _: &str, _: Bytes) -> Result<Descriptor> {
            bail!("not used by the walk")
        }
    }

    fn index_listing(children: &[&Digest]) -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: Some(OCI_INDEX.into()),
            artifact_type: None,
            manifests: children
                .iter()
                .map(|d| Descriptor::new(OCI_INDEX, (*d).clone(), 100))
                .collect(),
            subject: None,
            annotations: None,
        }
    }

    #[tokio::test]
    async fn a_cycle_is_an_error_not_a_hang() {
        let a = Digest::sha256_of(b"a");
        let b = Digest::sha256_of(b"b");
        let source = Arc::new(Unverified(HashMap::from([
            (a.clone(), index_listing(&[&b])),
            (b.clone(), index_listing(&[&a])),
        ])));
        let root = source
            .manifest_get(&ManifestRef::Digest(a.clone()))
            .await
            .unwrap();
        let walked = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            walk(source, root, Arc::new(Semaphore::new(4))),
        )
        .await
        .expect("the walk ends");
        let message = format!("{:#}", walked.unwrap_err());
        assert!(message.contains("cycle"), "{message}");
        assert!(message.contains(&a.to_string()), "{message}");
    }
}
