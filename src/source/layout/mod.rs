//! The OCI image layout implementation of [`Source`]: a directory with `oci-layout`,
//! `index.json` and `blobs/<alg>/<hex>`. One file per verb, as in regclient's
//! scheme/ocidir. Tags are `org.opencontainers.image.ref.name` annotations in index.json.

mod blob;
mod manifest;
mod referrer;
mod tag;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::Mutex;

use super::{FetchedManifest, Source};
use crate::digest::Digest;
use crate::manifest::{annotations::REF_NAME, Descriptor, ImageIndex};
use crate::reference::{ManifestRef, Repository, LAYOUT_PREFIX};

const LAYOUT_FILE: &str = "oci-layout";
const INDEX_FILE: &str = "index.json";
const LAYOUT_VERSION_JSON: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;
const MAX_INDEX_JSON_BYTES: u64 = 64 * 1024 * 1024;

pub struct LayoutSource {
    root: PathBuf,
    /// Serializes read-modify-write cycles of index.json within this process.
    index_lock: Mutex<()>,
}

impl LayoutSource {
    /// Opens an existing layout.
    pub fn open(root: &Path) -> Result<LayoutSource> {
        let marker = root.join(LAYOUT_FILE);
        if !marker.is_file() {
            if !root.exists() {
                bail!(
                    "no OCI layout at {}: the directory does not exist",
                    root.display()
                );
            }
            bail!(
                "{} is not an OCI image layout: it has no {LAYOUT_FILE} file",
                root.display()
            );
        }
        Ok(LayoutSource {
            root: root.to_path_buf(),
            index_lock: Mutex::new(()),
        })
    }

    /// Whether a directory holds a layout (its `oci-layout` file).
    pub fn exists(root: &Path) -> bool {
        root.join(LAYOUT_FILE).is_file()
    }

    /// Opens a layout, creating an empty one when the directory holds none.
    pub fn open_or_create(root: &Path) -> Result<LayoutSource> {
        if !root.join(LAYOUT_FILE).is_file() {
            let occupied =
                std::fs::read_dir(root).is_ok_and(|mut entries| entries.next().is_some());
            if occupied {
                bail!(
                    "{} is not an OCI image layout (it has no {LAYOUT_FILE} file) and is not empty: \
                     refusing to write a layout into it",
                    root.display()
                );
            }
            std::fs::create_dir_all(root.join("blobs"))
                .with_context(|| format!("creating the OCI layout {}", root.display()))?;
            write_atomically(&root.join(LAYOUT_FILE), LAYOUT_VERSION_JSON.as_bytes())?;
            if !root.join(INDEX_FILE).exists() {
                let empty = serde_json::to_vec(&ImageIndex::empty())?;
                write_atomically(&root.join(INDEX_FILE), &empty)?;
            }
        }
        Self::open(root)
    }

    /// The manifest a layout reference without tag or digest means: the only one.
    pub fn sole_manifest(&self) -> Result<ManifestRef> {
        let index = self.read_index()?;
        match index.manifests.as_slice() {
            [only] => Ok(ManifestRef::Digest(only.digest.clone())),
            [] => bail!("the OCI layout {} holds no manifests", self.root.display()),
            many => {
                let tags: Vec<&str> = many.iter().filter_map(|d| d.annotation(REF_NAME)).collect();
                bail!(
                    "the OCI layout {} holds {} manifests: name one as {LAYOUT_PREFIX}{}:TAG or @DIGEST (tags: {})",
                    self.root.display(),
                    many.len(),
                    self.root.display(),
                    if tags.is_empty() { "none".to_string() } else { tags.join(", ") }
                )
            }
        }
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        // Safe: a Digest's algorithm and hex were validated when it was parsed.
        self.root
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    fn read_index(&self) -> Result<ImageIndex> {
        let path = self.root.join(INDEX_FILE);
        let size = std::fs::metadata(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .len();
        if size > MAX_INDEX_JSON_BYTES {
            bail!(
                "{} is {size} bytes, over the {MAX_INDEX_JSON_BYTES}-byte limit",
                path.display()
            );
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a valid image index", path.display()))
    }

    fn write_index(&self, index: &ImageIndex) -> Result<()> {
        let mut bytes = serde_json::to_vec(index)?;
        bytes.push(b'\n');
        write_atomically(&self.root.join(INDEX_FILE), &bytes)
    }

    /// Writes a blob unless it is already there, verifying it first.
    fn write_blob(&self, descriptor: &Descriptor, bytes: &[u8]) -> Result<()> {
        super::verify_blob(&self.location(), descriptor, bytes)?;
        let path = self.blob_path(&descriptor.digest);
        if path.is_file() {
            return Ok(());
        }
        let dir = path.parent().expect("blob paths have a parent");
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_atomically(&path, bytes)
    }
}

/// Writes through a temporary file in the same directory, so readers never see half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::atomic_file::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[async_trait]
impl Source for LayoutSource {
    fn location(&self) -> String {
        format!("{LAYOUT_PREFIX}{}", self.root.display())
    }

    async fn manifest_get(&self, reference: &ManifestRef) -> Result<FetchedManifest> {
        manifest::get(self, reference)
    }

    async fn manifest_head(&self, reference: &ManifestRef) -> Result<Option<Descriptor>> {
        manifest::head(self, reference)
    }

    async fn manifest_put(
        &self,
        reference: &ManifestRef,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Digest> {
        let _guard = self.index_lock.lock().await;
        manifest::put(self, reference, media_type, bytes)
    }

    async fn blob_get(&self, descriptor: &Descriptor, limit: u64) -> Result<Bytes> {
        blob::get(self, descriptor, limit)
    }

    async fn blob_head(&self, digest: &Digest) -> Result<Option<u64>> {
        blob::head(self, digest)
    }

    async fn blob_put(&self, descriptor: &Descriptor, bytes: Bytes) -> Result<()> {
        self.write_blob(descriptor, &bytes)
    }

    async fn blob_mount(&self, descriptor: &Descriptor, from: &Repository) -> Result<bool> {
        blob::mount(self, descriptor, from)
    }

    async fn tag_list(&self) -> Result<Vec<String>> {
        tag::list(self)
    }

    async fn referrers_list(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Option<Vec<Descriptor>>> {
        referrer::list(self, subject, artifact_type).map(Some)
    }

    async fn referrer_put(&self, media_type: &str, bytes: Bytes) -> Result<Descriptor> {
        let _guard = self.index_lock.lock().await;
        referrer::put(self, media_type, bytes)
    }
}
