//! The OCI image layout implementation of [`Source`]: a directory with `oci-layout`,
//! `index.json` and `blobs/<alg>/<hex>`. One file per verb, as in regclient's
//! scheme/ocidir. Tags are `org.opencontainers.image.ref.name` annotations in index.json.

mod blob;
mod files;
mod manifest;
mod referrer;
mod tag;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::Mutex;

use super::{BlobStream, FetchedManifest, Referrers, Source};
use crate::digest::Digest;
use crate::manifest::{annotations::REF_NAME, Descriptor, ImageIndex};
use crate::reference::{ManifestRef, Repository, LAYOUT_PREFIX};
use files::LayoutFiles;

const LAYOUT_FILE: &str = "oci-layout";
const INDEX_FILE: &str = "index.json";
const LAYOUT_VERSION_JSON: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;
const MAX_INDEX_JSON_BYTES: u64 = 64 * 1024 * 1024;
const MAX_LAYOUT_FILE_BYTES: u64 = 4 * 1024;

pub struct LayoutSource {
    root: PathBuf,
    files: LayoutFiles,
    /// Serializes read-modify-write cycles of index.json within this process.
    index_lock: Mutex<()>,
    /// index.json as read once for this command (and as this command last wrote it).
    index: std::sync::Mutex<Option<Arc<ImageIndex>>>,
    /// Every manifest's referrers, from one scan of the layout.
    referrers: std::sync::Mutex<Option<Arc<referrer::BySubject>>>,
}

impl LayoutSource {
    /// Opens an existing layout.
    pub fn open(root: &Path) -> Result<LayoutSource> {
        let files = match LayoutFiles::new(root) {
            Ok(files) => files,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "no OCI layout at {}: the directory does not exist",
                root.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("opening {}", root.display())),
        };
        check_layout_file(root, &files)?;
        Ok(LayoutSource {
            root: root.to_path_buf(),
            files,
            index_lock: Mutex::new(()),
            index: std::sync::Mutex::new(None),
            referrers: std::sync::Mutex::new(None),
        })
    }

    /// Whether a directory holds a layout: anything named `oci-layout`, so that a layout
    /// with a bad one is refused by [`LayoutSource::open`] rather than written over.
    pub fn exists(root: &Path) -> bool {
        root.join(LAYOUT_FILE).symlink_metadata().is_ok()
    }

    /// Opens a layout, creating an empty one when the directory holds none.
    pub fn open_or_create(root: &Path) -> Result<LayoutSource> {
        if !Self::exists(root) {
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
            let files = LayoutFiles::new(root)
                .with_context(|| format!("creating the OCI layout {}", root.display()))?;
            files.write(Path::new(LAYOUT_FILE), LAYOUT_VERSION_JSON.as_bytes())?;
            if !files.is_present(Path::new(INDEX_FILE)) {
                let empty = serde_json::to_vec(&ImageIndex::empty())?;
                files.write(Path::new(INDEX_FILE), &empty)?;
            }
        }
        Self::open(root)
    }

    /// The manifest a layout reference without tag or digest means: the only one.
    pub fn sole_manifest(&self) -> Result<ManifestRef> {
        let index = self.index()?;
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

    /// `blobs/<alg>/<hex>`, inside the layout.
    fn blob_path(&self, digest: &Digest) -> PathBuf {
        // Safe: a Digest's algorithm and hex were validated when it was parsed.
        Path::new("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    /// index.json, read from disk once per command: a layout with thousands of tags is
    /// otherwise parsed again for every lookup.
    fn index(&self) -> Result<Arc<ImageIndex>> {
        let mut cached = self
            .index
            .lock()
            .expect("the index cache is never poisoned");
        if let Some(index) = cached.as_ref() {
            return Ok(Arc::clone(index));
        }
        let index = Arc::new(self.read_index()?);
        *cached = Some(Arc::clone(&index));
        Ok(index)
    }

    /// index.json as it is on disk now, for a read-modify-write.
    fn read_index(&self) -> Result<ImageIndex> {
        let path = Path::new(INDEX_FILE);
        let shown = self.files.shown(path);
        let bytes = self
            .files
            .read_at_most(path, MAX_INDEX_JSON_BYTES)?
            .ok_or_else(|| anyhow!("reading {}: it does not exist", shown.display()))?;
        if bytes.len() as u64 > MAX_INDEX_JSON_BYTES {
            bail!(
                "{} is over the {MAX_INDEX_JSON_BYTES}-byte limit",
                shown.display()
            );
        }
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a valid image index", shown.display()))
    }

    fn write_index(&self, index: &ImageIndex) -> Result<()> {
        let mut bytes = serde_json::to_vec(index)?;
        bytes.push(b'\n');
        self.files.write(Path::new(INDEX_FILE), &bytes)?;
        *self
            .index
            .lock()
            .expect("the index cache is never poisoned") = Some(Arc::new(index.clone()));
        *self
            .referrers
            .lock()
            .expect("the referrers cache is never poisoned") = None;
        Ok(())
    }

    /// Writes a blob unless it is already there, verifying it first.
    fn write_blob(&self, descriptor: &Descriptor, bytes: &[u8]) -> Result<()> {
        super::verify_blob(&self.location(), descriptor, bytes)?;
        let path = self.blob_path(&descriptor.digest);
        if self.files.size(&path)?.is_some() {
            return Ok(());
        }
        self.files.write(&path, bytes)
    }
}

/// Refuses a directory whose `oci-layout` is missing or not the JSON the spec asks for.
fn check_layout_file(root: &Path, files: &LayoutFiles) -> Result<()> {
    let path = Path::new(LAYOUT_FILE);
    let shown = files.shown(path);
    let Some(bytes) = files.read_at_most(path, MAX_LAYOUT_FILE_BYTES)? else {
        bail!(
            "{} is not an OCI image layout: it has no {LAYOUT_FILE} file",
            root.display()
        );
    };
    let version = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("imageLayoutVersion")?.as_str().map(str::to_string));
    if version.is_none() {
        bail!(
            "{} is not a valid {LAYOUT_FILE} file: it needs an imageLayoutVersion",
            shown.display()
        );
    }
    Ok(())
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

    async fn blob_reader(&self, descriptor: &Descriptor) -> Result<BlobStream> {
        blob::reader(self, descriptor)
    }

    async fn blob_put_stream(&self, blob: BlobStream) -> Result<()> {
        blob::put_stream(self, blob).await
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
    ) -> Result<Option<Referrers>> {
        referrer::list(self, subject, artifact_type).map(|manifests| {
            Some(Referrers {
                manifests,
                cut: None,
            })
        })
    }

    async fn referrer_put(&self, media_type: &str, bytes: Bytes) -> Result<Descriptor> {
        let _guard = self.index_lock.lock().await;
        referrer::put(self, media_type, bytes)
    }
}
