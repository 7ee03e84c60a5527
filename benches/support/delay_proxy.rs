//! A loopback TCP proxy that delays every chunk by a fixed one-way latency, in both
//! directions, without serializing the delays (a stand-in for `tc netem delay`).
//!
//! Each direction of a connection is a reader task and a writer task joined by a
//! channel of `(deadline, bytes)`: a chunk read at `t` is written at `t + one_way`
//! whatever was read before it, and chunks keep their order. An optional connect delay
//! models the handshake round trip a new TCP connection costs. The proxy counts the
//! connections it accepts and records a small trace (new connections, HTTP request and
//! status lines, recognised at the start of a chunk). It runs on its own runtime, which
//! dropping the proxy shuts down, closing every socket.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The client opened a connection (at `read_at`); forwarding starts after the
    /// connect delay.
    Connect,
    /// A chunk from the client that starts with an HTTP request line.
    Request,
    /// A chunk from the upstream that starts with an HTTP status line.
    Response,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventKind,
    /// Which accepted connection, counting from 1.
    pub connection: usize,
    /// The first line of the chunk (empty for `Connect`).
    pub line: String,
    /// When the proxy read the chunk (for a request: when the client sent it).
    pub read_at: Instant,
    /// When the proxy delivers it (for a response: when the client receives it).
    pub deliver_at: Instant,
}

type Trace = Arc<Mutex<Vec<Event>>>;

pub struct DelayProxy {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    trace: Trace,
    runtime: Option<tokio::runtime::Runtime>,
}

impl DelayProxy {
    /// Listens on 127.0.0.1:0 and forwards to `upstream` until dropped.
    pub fn start(
        upstream: SocketAddr,
        one_way: Duration,
        connect_delay: Option<Duration>,
    ) -> DelayProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("delay-proxy")
            .enable_all()
            .build()
            .expect("starting the proxy runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("binding the proxy to a loopback port");
        let addr = listener.local_addr().expect("proxy address");
        let connections = Arc::new(AtomicUsize::new(0));
        let trace: Trace = Arc::default();
        let (count, log) = (connections.clone(), trace.clone());
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let id = count.fetch_add(1, Ordering::SeqCst) + 1;
                let now = Instant::now();
                record(&log, EventKind::Connect, id, String::new(), now, now);
                tokio::spawn(serve(
                    client,
                    upstream,
                    one_way,
                    connect_delay,
                    id,
                    log.clone(),
                ));
            }
        });
        DelayProxy {
            addr,
            connections,
            trace,
            runtime: Some(runtime),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The trace recorded since the last call, in recording order.
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *self.trace.lock().unwrap())
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    one_way: Duration,
    connect_delay: Option<Duration>,
    id: usize,
    trace: Trace,
) {
    if let Some(delay) = connect_delay {
        tokio::time::sleep(delay).await;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    // Without this, Nagle's algorithm and delayed ACKs add their own 40 ms stalls.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let trace_up = trace.clone();
    tokio::spawn(pipe(client_read, server_write, one_way, id, trace_up, true));
    tokio::spawn(pipe(server_read, client_write, one_way, id, trace, false));
}

/// Forwards one direction: everything read is written `one_way` later, EOF included.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    one_way: Duration,
    id: usize,
    trace: Trace,
    to_upstream: bool,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((deadline, bytes)) = rx.recv().await {
            tokio::time::sleep_until(deadline.into()).await;
            // An empty chunk stands for the end of the stream.
            if bytes.is_empty() || to.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf).await.unwrap_or(0);
        let now = Instant::now();
        let deadline = now + one_way;
        if let Some((kind, line)) = http_line(&buf[..n], to_upstream) {
            record(&trace, kind, id, line, now, deadline);
        }
        if tx.send((deadline, buf[..n].to_vec())).is_err() || n == 0 {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}

/// A request line (client to upstream) or status line (upstream to client) at the
/// start of a chunk.
fn http_line(chunk: &[u8], to_upstream: bool) -> Option<(EventKind, String)> {
    let end = chunk.iter().position(|&b| b == b'\r' || b == b'\n')?;
    let line = std::str::from_utf8(&chunk[..end]).ok()?;
    const METHODS: [&str; 6] = ["GET ", "HEAD ", "PUT ", "POST ", "PATCH ", "DELETE "];
    if to_upstream && METHODS.iter().any(|m| line.starts_with(m)) {
        Some((EventKind::Request, line.to_string()))
    } else if !to_upstream && line.starts_with("HTTP/") {
        Some((EventKind::Response, line.to_string()))
    } else {
        None
    }
}

fn record(
    trace: &Trace,
    kind: EventKind,
    connection: usize,
    line: String,
    read_at: Instant,
    deliver_at: Instant,
) {
    trace.lock().unwrap().push(Event {
        kind,
        connection,
        line,
        read_at,
        deliver_at,
    });
}
