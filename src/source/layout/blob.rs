//! Blobs in a layout: `blobs/<alg>/<hex>`.

use anyhow::{bail, Context, Result};
use bytes::Bytes;

use super::LayoutSource;
use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::reference::Repository;
use crate::source::{check_blob_limit, verify_blob, NotFound, Source};

pub fn get(layout: &LayoutSource, descriptor: &Descriptor, limit: u64) -> Result<Bytes> {
    let location = layout.location();
    check_blob_limit(&location, descriptor, limit)?;
    let path = layout.blob_path(&descriptor.digest);
    let size = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(NotFound(format!(
                "blob {location}@{} not found: no file {}",
                descriptor.digest,
                path.display()
            ))
            .into())
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    // Checked before reading, so a tampered, huge file is never loaded.
    if size != descriptor.size {
        bail!(
            "size mismatch for blob {location}@{}: the descriptor says {} bytes, {} has {size}",
            descriptor.digest,
            descriptor.size,
            path.display()
        );
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    verify_blob(&location, descriptor, &bytes)?;
    Ok(Bytes::from(bytes))
}

/// Layouts share no blob store with any other source, so there is nothing to mount
/// from: the caller copies instead.
pub fn mount(_layout: &LayoutSource, _descriptor: &Descriptor, _from: &Repository) -> Result<bool> {
    Ok(false)
}

pub fn head(layout: &LayoutSource, digest: &Digest) -> Result<Option<u64>> {
    match std::fs::metadata(layout.blob_path(digest)) {
        Ok(m) => Ok(Some(m.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}
