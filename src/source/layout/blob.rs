//! Blobs in a layout: `blobs/<alg>/<hex>`.

use anyhow::{bail, Result};
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
    let shown = layout.files.shown(&path);
    // Never more than the descriptor's size and one byte, so a tampered, huge file is
    // never loaded.
    let Some(bytes) = layout.files.read_at_most(&path, descriptor.size)? else {
        return Err(NotFound(format!(
            "blob {location}@{} not found: no file {}",
            descriptor.digest,
            shown.display()
        ))
        .into());
    };
    if bytes.len() as u64 != descriptor.size {
        bail!(
            "size mismatch for blob {location}@{}: the descriptor says {} bytes, {} has {}",
            descriptor.digest,
            descriptor.size,
            shown.display(),
            if bytes.len() as u64 > descriptor.size {
                "more".to_string()
            } else {
                bytes.len().to_string()
            }
        );
    }
    verify_blob(&location, descriptor, &bytes)?;
    Ok(Bytes::from(bytes))
}

/// Layouts share no blob store with any other source, so there is nothing to mount
/// from: the caller copies instead.
pub fn mount(_layout: &LayoutSource, _descriptor: &Descriptor, _from: &Repository) -> Result<bool> {
    Ok(false)
}

pub fn head(layout: &LayoutSource, digest: &Digest) -> Result<Option<u64>> {
    layout.files.size(&layout.blob_path(digest))
}
