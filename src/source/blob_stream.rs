//! A blob read as a stream of chunks and verified against its descriptor as they pass,
//! so that a copy holds a chunk of a layer in memory at a time, never the whole layer.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyhow::{anyhow, Result};
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use tokio::sync::OwnedSemaphorePermit;

use super::Budget;
use crate::digest::Hasher;
use crate::manifest::Descriptor;

/// A blob's bytes as a source delivers them, checked on the way:
///
/// - never more than the descriptor's size: the chunk that would go past it is an error
///   instead;
/// - the chunk that completes the size is passed on only once the source has ended and
///   the digest matches.
///
/// So whoever writes every chunk it receives has either the whole verified blob when the
/// stream ends, or an incomplete one and an error: no wrong bytes are ever complete. Each
/// error names the blob and where it was read.
pub struct BlobStream {
    descriptor: Descriptor,
    chunks: BoxStream<'static, Result<Bytes>>,
    /// Request-budget permits the read holds until the stream is dropped.
    permits: Vec<OwnedSemaphorePermit>,
}

impl BlobStream {
    /// Verifies `chunks`, the bytes read from `location`, against `descriptor`.
    pub fn new(
        location: String,
        descriptor: Descriptor,
        chunks: impl Stream<Item = Result<Bytes>> + Send + 'static,
    ) -> BlobStream {
        let check = Check {
            location,
            hasher: Some(descriptor.digest.hasher()),
            descriptor: descriptor.clone(),
            received: 0,
            ended: false,
            chunks: chunks.boxed(),
        };
        BlobStream {
            descriptor,
            chunks: verified(check),
            permits: Vec::new(),
        }
    }

    /// The blob's media type, digest and size.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// The same stream, holding `permit` until it is dropped.
    pub fn holding(mut self, permit: OwnedSemaphorePermit) -> BlobStream {
        self.permits.push(permit);
        self
    }

    /// Whether the stream holds a permit of `budget`.
    pub fn holds_permit_of(&self, budget: &Budget) -> bool {
        self.permits
            .iter()
            .any(|permit| Arc::ptr_eq(permit.semaphore(), budget))
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.chunks.poll_next_unpin(cx)
    }
}

struct Check {
    location: String,
    descriptor: Descriptor,
    hasher: Option<Hasher>,
    received: u64,
    /// The last chunk has been verified and passed on.
    ended: bool,
    chunks: BoxStream<'static, Result<Bytes>>,
}

/// `check`'s chunks, ending at the first error.
fn verified(check: Check) -> BoxStream<'static, Result<Bytes>> {
    stream::unfold(Some(check), |state| async move {
        let mut check = state?;
        match check.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), Some(check))),
            Ok(None) => None,
            Err(error) => Some((Err(error), None)),
        }
    })
    .boxed()
}

impl Check {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        if self.ended {
            return Ok(None);
        }
        loop {
            let Some(chunk) = self.chunks.next().await.transpose()? else {
                self.check_complete()?;
                return Ok(None);
            };
            if chunk.is_empty() {
                continue;
            }
            self.take(&chunk)?;
            if self.received == self.descriptor.size {
                self.check_source_ends().await?;
                self.check_complete()?;
                self.ended = true;
            }
            return Ok(Some(chunk));
        }
    }

    fn take(&mut self, chunk: &[u8]) -> Result<()> {
        self.received += chunk.len() as u64;
        if self.received > self.descriptor.size {
            return Err(self.too_long());
        }
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(chunk);
        }
        Ok(())
    }

    /// Reads on after the descriptor's size: anything more is a longer blob.
    async fn check_source_ends(&mut self) -> Result<()> {
        while let Some(chunk) = self.chunks.next().await.transpose()? {
            if !chunk.is_empty() {
                return Err(self.too_long());
            }
        }
        Ok(())
    }

    fn check_complete(&mut self) -> Result<()> {
        let (location, digest) = (&self.location, &self.descriptor.digest);
        if self.received != self.descriptor.size {
            return Err(anyhow!(
                "size mismatch for blob {location}@{digest}: the descriptor says {} bytes, the source ended after {}",
                self.descriptor.size,
                self.received
            ));
        }
        let hasher = self.hasher.take().unwrap_or_else(|| digest.hasher());
        let computed = hasher.finish();
        if computed != *digest {
            return Err(anyhow!(
                "digest mismatch for blob {location}@{digest}: content hashes to {computed}"
            ));
        }
        Ok(())
    }

    fn too_long(&self) -> anyhow::Error {
        anyhow!(
            "size mismatch for blob {}@{}: the descriptor says {} bytes, the source sent more",
            self.location,
            self.descriptor.digest,
            self.descriptor.size
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::manifest::OCI_LAYER_TAR_GZIP;

    fn descriptor_of(bytes: &[u8]) -> Descriptor {
        Descriptor::new(
            OCI_LAYER_TAR_GZIP,
            Digest::sha256_of(bytes),
            bytes.len() as u64,
        )
    }

    /// What a consumer that writes every chunk ends up with, and the error if any.
    async fn drain(descriptor: Descriptor, pieces: &[&'static [u8]]) -> (Vec<u8>, Option<String>) {
        let chunks = stream::iter(
            pieces
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        );
        let mut blob = BlobStream::new("oci:/l".into(), descriptor, chunks);
        let mut written = Vec::new();
        while let Some(chunk) = blob.next().await {
            match chunk {
                Ok(chunk) => written.extend_from_slice(&chunk),
                Err(e) => return (written, Some(e.to_string())),
            }
        }
        (written, None)
    }

    #[tokio::test]
    async fn honest_chunks_pass_whole() {
        let (written, error) =
            drain(descriptor_of(b"hello world"), &[b"hello", b"", b" world"]).await;
        assert_eq!((written.as_slice(), error), (&b"hello world"[..], None));
        let (written, error) = drain(descriptor_of(b""), &[]).await;
        assert_eq!((written.len(), error), (0, None));
    }

    #[tokio::test]
    async fn wrong_bytes_are_never_complete() {
        let descriptor = descriptor_of(b"hello world");
        let digest = descriptor.digest.to_string();
        for (pieces, says) in [
            (&[&b"hello"[..], b" WORLD"][..], "digest mismatch"),
            (&[b"hello", b" world", b"!"], "the source sent more"),
            (&[b"hello world!"], "the source sent more"),
            (&[b"hello"], "the source ended after 5"),
        ] {
            let (written, error) = drain(descriptor.clone(), pieces).await;
            let error = error.expect("an error");
            assert!(
                error.contains(says) && error.contains(&format!("oci:/l@{digest}")),
                "{error}"
            );
            assert!(written.len() < 11, "{pieces:?} wrote {written:?}");
        }
    }
}
