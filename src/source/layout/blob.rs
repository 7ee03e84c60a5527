//! Blobs in a layout: `blobs/<alg>/<hex>`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, Stream};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::LayoutSource;
use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::reference::Repository;
use crate::source::{check_blob_limit, verify_blob, BlobStream, NotFound, Source};

/// How much of a blob file one read takes.
const CHUNK_BYTES: usize = 256 * 1024;

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

/// Opens a blob file to be read a chunk at a time.
pub fn reader(layout: &LayoutSource, descriptor: &Descriptor) -> Result<BlobStream> {
    let location = layout.location();
    let path = layout.blob_path(&descriptor.digest);
    let shown = layout.files.shown(&path);
    let Some((file, size)) = layout.files.open_regular(&path)? else {
        return Err(NotFound(format!(
            "blob {location}@{} not found: no file {}",
            descriptor.digest,
            shown.display()
        ))
        .into());
    };
    if size != descriptor.size {
        bail!(
            "size mismatch for blob {location}@{}: the descriptor says {} bytes, {} has {size}",
            descriptor.digest,
            descriptor.size,
            shown.display()
        );
    }
    // One byte past the size, so that a file that grew since is seen to be longer.
    let file = tokio::fs::File::from_std(file).take(size.saturating_add(1));
    Ok(BlobStream::new(
        location,
        descriptor.clone(),
        chunks_of(file, shown),
    ))
}

fn chunks_of(
    reader: impl AsyncRead + Unpin + Send + 'static,
    shown: PathBuf,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    stream::unfold(Some(reader), move |state| {
        let shown = shown.clone();
        async move {
            let mut reader = state?;
            let mut chunk = BytesMut::with_capacity(CHUNK_BYTES);
            match reader.read_buf(&mut chunk).await {
                Ok(0) => None,
                Ok(_) => Some((Ok(chunk.freeze()), Some(reader))),
                Err(e) => {
                    let error = Err(e).with_context(|| format!("reading {}", shown.display()));
                    Some((error, None))
                }
            }
        }
    })
}

/// Writes a blob as it streams in, unless the layout holds it already.
pub async fn put_stream(layout: &LayoutSource, blob: BlobStream) -> Result<()> {
    let path = layout.blob_path(&blob.descriptor().digest);
    if layout.files.size(&path)?.is_some() {
        return Ok(());
    }
    layout.files.write_stream(&path, blob).await
}

/// Layouts share no blob store with any other source, so there is nothing to mount
/// from: the caller copies instead.
pub fn mount(_layout: &LayoutSource, _descriptor: &Descriptor, _from: &Repository) -> Result<bool> {
    Ok(false)
}

pub fn head(layout: &LayoutSource, digest: &Digest) -> Result<Option<u64>> {
    layout.files.size(&layout.blob_path(digest))
}
