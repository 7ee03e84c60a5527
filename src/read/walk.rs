//! The walk: from a resolved manifest, every child manifest of an index (recursively)
//! and every image's config, fetched concurrently and verified.
//!
//! A child's config is requested as soon as the child arrives, so describing an index
//! costs three sequential round trips (index, children, configs) whatever its width.
//!
//! A child or config that cannot be read is recorded on its node, not fatal: the rest
//! of the tree is still worth showing. A cycle or nesting past [`MAX_DEPTH`] is fatal.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use futures_util::future::{try_join_all, BoxFuture};
use futures_util::FutureExt;

use super::config::{read_config, Config};
use crate::digest::Digest;
use crate::manifest::{Descriptor, Manifest};
use crate::source::{fetch_listed_manifest, FetchedManifest, Source};

/// How deep indexes may nest before the walk gives up.
pub const MAX_DEPTH: usize = 8;

/// A manifest and everything below it that the walk fetched.
#[derive(Debug, Clone)]
pub struct Node {
    /// The descriptor that led here: the parent index's entry, or for the root what the
    /// source reported.
    pub descriptor: Descriptor,
    /// `None` when the manifest could not be read (see `error`).
    pub manifest: Option<Manifest>,
    /// For an image: its config descriptor and, when it is JSON, its parsed content.
    pub config: Option<Config>,
    /// For an index: its children, in index order.
    pub children: Vec<Node>,
    /// Why this manifest, or its config, could not be read.
    pub error: Option<String>,
}

impl Node {
    fn unreadable(descriptor: Descriptor, error: &anyhow::Error) -> Node {
        Node {
            descriptor,
            manifest: None,
            config: None,
            children: Vec::new(),
            error: Some(format!("{error:#}")),
        }
    }
}

struct Walker {
    source: Arc<dyn Source>,
    /// The root's config when it was already read (to choose a platform).
    root_config: Option<Config>,
}

/// Walks the tree under a fetched manifest; `root_config` spares reading the root
/// image's config again.
pub async fn walk(
    source: Arc<dyn Source>,
    root: FetchedManifest,
    root_config: Option<Config>,
) -> Result<Node> {
    let walker = Walker {
        source,
        root_config,
    };
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
                    let config = match &self.root_config {
                        Some(known) if ancestors.is_empty() && known.descriptor == image.config => {
                            Ok(known.clone())
                        }
                        _ => read_config(self.source.as_ref(), &image.config).await,
                    };
                    let (config, error) = match config {
                        Ok(config) => (Some(config), None),
                        Err(e) => (None, Some(format!("{e:#}"))),
                    };
                    Ok(Node {
                        descriptor,
                        manifest: Some(manifest),
                        config,
                        children: Vec::new(),
                        error,
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
                        manifest: Some(manifest),
                        config: None,
                        children,
                        error: None,
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
        let fetched = fetch_listed_manifest(self.source.as_ref(), &descriptor)
            .await
            .with_context(|| {
                format!(
                    "fetching manifest {} listed in index {}",
                    descriptor.digest,
                    parent.map(|d| d.to_string()).unwrap_or_default()
                )
            });
        match fetched {
            Ok(fetched) => self.node(descriptor, fetched.manifest, ancestors).await,
            Err(e) => Ok(Node::unreadable(descriptor, &e)),
        }
    }
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
    use crate::source::Referrers;

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
        async fn blob_reader(&self, _: &Descriptor) -> Result<crate::source::BlobStream> {
            bail!("not used by the walk")
        }
        async fn blob_put_stream(&self, _: crate::source::BlobStream) -> Result<()> {
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
        async fn referrers_list(&self, _: &Digest, _: Option<&str>) -> Result<Option<Referrers>> {
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
        let walked =
            tokio::time::timeout(std::time::Duration::from_secs(10), walk(source, root, None))
                .await
                .expect("the walk ends");
        let message = format!("{:#}", walked.unwrap_err());
        assert!(message.contains("cycle"), "{message}");
        assert!(message.contains(&a.to_string()), "{message}");
    }
}
