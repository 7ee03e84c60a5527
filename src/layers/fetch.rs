//! Reading layers once per digest: the blob streams in verified chunks from its source
//! on the async side, a blocking thread decompresses and reads the tar from them as they
//! arrive, and the index it builds is shared by every image that lists the digest.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use bytes::{Buf, Bytes};
use futures_util::StreamExt;
use tokio::sync::{mpsc, OnceCell, Semaphore};

use super::archive::{read_layer, Limits};
use super::{LayerIndex, TextStore};
use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::source::{BlobStream, Source};

/// Chunks in flight between the download and the reading thread, per layer.
const CHUNKS_IN_FLIGHT: usize = 16;
/// Layers read at once (each holds a blocking thread while it is read).
const LAYERS_IN_FLIGHT: usize = 4;

/// One read per digest: later callers wait for the first, and get its error too.
type Once = Arc<OnceCell<Arc<LayerIndex>>>;

/// Reads layers, each digest once, and counts what it read.
pub struct LayerReader {
    limits: Limits,
    texts: Option<Arc<TextStore>>,
    layers: Mutex<HashMap<Digest, Once>>,
    in_flight: Semaphore,
    layers_read: AtomicUsize,
    bytes_read: AtomicU64,
}

impl LayerReader {
    /// With `texts`, small text files' bytes are kept there (see [`Limits`]).
    pub fn new(limits: Limits, texts: Option<Arc<TextStore>>) -> LayerReader {
        LayerReader {
            limits,
            texts,
            layers: Mutex::default(),
            in_flight: Semaphore::new(LAYERS_IN_FLIGHT),
            layers_read: AtomicUsize::new(0),
            bytes_read: AtomicU64::new(0),
        }
    }

    /// Layers downloaded and read so far, and their compressed bytes.
    pub fn read_so_far(&self) -> (usize, u64) {
        (
            self.layers_read.load(Ordering::Relaxed),
            self.bytes_read.load(Ordering::Relaxed),
        )
    }

    /// The index of the layer `descriptor` names, read from `source` unless it was read
    /// already.
    pub async fn index(
        &self,
        source: &dyn Source,
        descriptor: &Descriptor,
    ) -> Result<Arc<LayerIndex>> {
        let once = {
            let mut layers = self.layers.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(layers.entry(descriptor.digest.clone()).or_default())
        };
        let index = once
            .get_or_try_init(|| self.read(source, descriptor))
            .await?;
        Ok(Arc::clone(index))
    }

    async fn read(&self, source: &dyn Source, descriptor: &Descriptor) -> Result<Arc<LayerIndex>> {
        let _slot = self.in_flight.acquire().await?;
        let location = source.location();
        let index = self
            .stream_and_read(source, descriptor)
            .await
            .with_context(|| format!("layer {location}@{}", descriptor.digest))?;
        self.layers_read.fetch_add(1, Ordering::Relaxed);
        self.bytes_read
            .fetch_add(descriptor.size, Ordering::Relaxed);
        Ok(Arc::new(index))
    }

    async fn stream_and_read(
        &self,
        source: &dyn Source,
        descriptor: &Descriptor,
    ) -> Result<LayerIndex> {
        let blob = source.blob_reader(descriptor).await?;
        let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let (limits, texts, size) = (self.limits, self.texts.clone(), descriptor.size);
        let reading = tokio::task::spawn_blocking(move || {
            let chunks = Chunks {
                receiver,
                current: Bytes::new(),
            };
            read_layer(chunks, size, &limits, texts.as_deref())
        });
        let streamed = pump(blob, sender).await;
        let read = reading
            .await
            .map_err(|e| anyhow!("the thread reading the layer failed: {e}"))?;
        // A blob that is not what its digest says is the error to report, whatever the
        // tar reader made of its bytes.
        streamed?;
        read
    }
}

/// Sends the blob's chunks to the reader, and reads the blob to its end even when the
/// reader stopped early, so that every layer is verified whole.
async fn pump(mut blob: BlobStream, sender: mpsc::Sender<io::Result<Bytes>>) -> Result<()> {
    let mut reader_listens = true;
    while let Some(chunk) = blob.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                let stop = io::Error::other("the layer's download failed");
                let _ = sender.send(Err(stop)).await;
                return Err(error);
            }
        };
        if reader_listens && sender.send(Ok(chunk)).await.is_err() {
            reader_listens = false;
        }
    }
    Ok(())
}

/// The chunks a [`pump`] sends, as a blocking [`Read`].
struct Chunks {
    receiver: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}
