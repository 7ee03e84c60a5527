//! A TCP proxy that delays every chunk by a fixed one-way latency, in both directions,
//! without serializing the delays (a stand-in for `tc netem delay`). It listens on
//! loopback, or on any address of the machine ([`DelayProxy::start_on`]) so that clients
//! treat it as a remote registry.
//!
//! Each direction of a connection is a reader task and a writer task joined by a
//! channel of `(deadline, bytes)`: a chunk read at `t` is written at `t + one_way`
//! whatever was read before it, and chunks keep their order. An optional connect delay
//! models the handshake round trip a new TCP connection costs: what the client sends
//! before it has passed is delivered as if sent then. The proxy counts the
//! connections it accepts and records a small trace (new connections, HTTP request and
//! status lines, recognised at the start of a chunk, and the size of every other chunk,
//! such as TLS records, whose contents it cannot read). It runs on its own runtime, which
//! dropping the proxy shuts down, closing every socket.

use std::collections::{HashMap, VecDeque};
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
    /// Any other chunk (`line` is empty): TLS records, the rest of a body.
    Data { to_upstream: bool, bytes: usize },
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
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(loopback, upstream, one_way, connect_delay)
            .expect("binding the proxy to a loopback port")
    }

    /// Listens on `listen` (port 0: a free port) and forwards to `upstream` until
    /// dropped.
    pub fn start_on(
        listen: SocketAddr,
        upstream: SocketAddr,
        one_way: Duration,
        connect_delay: Option<Duration>,
    ) -> std::io::Result<DelayProxy> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("delay-proxy")
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind(listen))?;
        let addr = listener.local_addr()?;
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
        Ok(DelayProxy {
            addr,
            connections,
            trace,
            runtime: Some(runtime),
        })
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
    // The client may send at once, but nothing it sends leaves before the handshake
    // would have ended; the trace keeps when it was sent, so that a request's round
    // depends only on the answers it could have seen.
    let handshake_done = Instant::now() + connect_delay.unwrap_or_default();
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    // Without this, Nagle's algorithm and delayed ACKs add their own 40 ms stalls.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let trace_up = trace.clone();
    let up = Direction {
        to_upstream: true,
        not_before: handshake_done,
    };
    let down = Direction {
        to_upstream: false,
        not_before: Instant::now(),
    };
    tokio::spawn(pipe(client_read, server_write, one_way, id, trace_up, up));
    tokio::spawn(pipe(server_read, client_write, one_way, id, trace, down));
}

struct Direction {
    to_upstream: bool,
    /// Nothing is delivered before this plus the one-way delay.
    not_before: Instant,
}

/// Forwards one direction: everything read is written `one_way` later, EOF included.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    one_way: Duration,
    id: usize,
    trace: Trace,
    direction: Direction,
) {
    let to_upstream = direction.to_upstream;
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
        let deadline = now.max(direction.not_before) + one_way;
        if n > 0 {
            let (kind, line) = http_line(&buf[..n], to_upstream).unwrap_or((
                EventKind::Data {
                    to_upstream,
                    bytes: n,
                },
                String::new(),
            ));
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

/// Request rounds: a request is in round 1 + the highest round of the answers the client
/// had received when it sent it (answers pair with requests in order per HTTP/1.1
/// connection); the result is the highest round. Waiting for a free slot under ocx's
/// request limit counts (the slot frees when an answer arrives); CPU time does not.
pub fn rounds(trace: &[Event]) -> usize {
    round_of_each(trace)
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
}

/// The round of each request and response of the trace (None for connections).
pub fn round_of_each(trace: &[Event]) -> Vec<Option<usize>> {
    let mut timeline: Vec<(Instant, bool, usize)> = trace
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.kind {
            EventKind::Connect | EventKind::Data { .. } => None,
            EventKind::Request => Some((e.read_at, false, i)),
            EventKind::Response => Some((e.deliver_at, true, i)),
        })
        .collect();
    // On a tie the request goes first: it cannot depend on an answer not yet delivered.
    timeline.sort_by_key(|&(at, is_response, _)| (at, is_response));
    let mut pending: HashMap<usize, VecDeque<usize>> = HashMap::new();
    let mut round = vec![None; trace.len()];
    let mut received = 0;
    for (_, is_response, i) in timeline {
        let queue = pending.entry(trace[i].connection).or_default();
        if is_response {
            let answered = queue.pop_front().unwrap_or(0);
            received = received.max(answered);
            round[i] = Some(answered);
        } else {
            queue.push_back(received + 1);
            round[i] = Some(received + 1);
        }
    }
    round
}

/// When each connection's upstream last sent a chunk of [`CONTROL_CHUNK`] bytes or more.
fn last_upstream_data(trace: &[Event]) -> HashMap<usize, Instant> {
    let mut last: HashMap<usize, Instant> = HashMap::new();
    for event in trace {
        if let EventKind::Data {
            to_upstream: false,
            bytes,
        } = event.kind
        {
            if bytes >= CONTROL_CHUNK {
                let at = last.entry(event.connection).or_insert(event.read_at);
                *at = (*at).max(event.read_at);
            }
        }
    }
    last
}

/// From the first connection to the last response received.
pub fn span(trace: &[Event]) -> Duration {
    let first = trace.iter().map(|e| e.read_at).min();
    let last = trace
        .iter()
        .filter(|e| from_upstream(e.kind))
        .map(|e| e.deliver_at)
        .max();
    match (first, last) {
        (Some(first), Some(last)) => last.saturating_duration_since(first),
        _ => Duration::ZERO,
    }
}

fn from_upstream(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Response
            | EventKind::Data {
                to_upstream: false,
                ..
            }
    )
}

/// A client chunk this small carries no request: in a TLS record (22 bytes of framing)
/// it is an HTTP/2 WINDOW_UPDATE (or two), SETTINGS ack, PING or RST_STREAM, while the
/// smallest request ocx sends, a HEADERS frame with a tag path, takes more.
const CONTROL_CHUNK: usize = 50;

/// Sequential rounds at the level of chunks, for traffic the proxy cannot read (TLS):
/// a chunk from the client is in round 1 + the highest round of the chunks the client
/// had received when it sent it; a chunk from the upstream is in the highest round of
/// the client chunks its connection had delivered to the upstream before it was sent.
/// Handshakes count (TLS 1.3: one round). A client chunk under [`CONTROL_CHUNK`] bytes,
/// or one that no upstream chunk of at least that size follows on its connection (the
/// HTTP/2 GOAWAY and TLS close_notify a client sends as it ends), neither moves the
/// upstream's round on nor counts as a round of its own. An estimate: it counts the
/// rounds a client waited for bytes, not which bytes were requests.
pub fn wire_rounds(trace: &[Event]) -> usize {
    let last_answer = last_upstream_data(trace);
    // (when, phase, event): phase 0 = a chunk leaves its sender, 1 = it arrives. On a
    // tie the departure goes first: it cannot depend on what had not arrived.
    let mut moments: Vec<(Instant, u8, usize)> = Vec::new();
    for (i, e) in trace.iter().enumerate() {
        if e.kind != EventKind::Connect {
            moments.push((e.read_at, 0, i));
            moments.push((e.deliver_at, 1, i));
        }
    }
    moments.sort_by_key(|&(at, phase, _)| (at, phase));
    let mut round = vec![0usize; trace.len()];
    let mut upstream_round: HashMap<usize, usize> = HashMap::new();
    let (mut client_received, mut highest) = (0, 0);
    for (_, phase, i) in moments {
        let event = &trace[i];
        let unanswered = last_answer
            .get(&event.connection)
            .is_none_or(|&last| last < event.deliver_at);
        let control = match event.kind {
            EventKind::Data { bytes, .. } => bytes < CONTROL_CHUNK || unanswered,
            _ => false,
        };
        match (from_upstream(event.kind), phase) {
            (false, 0) => {
                round[i] = client_received + 1;
                if !control {
                    highest = highest.max(round[i]);
                }
            }
            (false, _) => {
                if !control {
                    let at = upstream_round.entry(event.connection).or_default();
                    *at = (*at).max(round[i]);
                }
            }
            (true, 0) => {
                round[i] = upstream_round.get(&event.connection).copied().unwrap_or(0);
            }
            (true, _) => client_received = client_received.max(round[i]),
        }
    }
    highest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(at_ms: u64, to_upstream: bool, bytes: usize, start: Instant) -> Event {
        let read_at = start + Duration::from_millis(at_ms);
        Event {
            kind: EventKind::Data { to_upstream, bytes },
            connection: 1,
            line: String::new(),
            read_at,
            deliver_at: read_at + Duration::from_millis(10),
        }
    }

    /// A TLS handshake, three requests each sent once the previous answer arrived, then
    /// the client's GOAWAY and close_notify, which only a small chunk answers.
    #[test]
    fn the_closing_chunks_of_a_connection_start_no_round() {
        let t = Instant::now();
        // Each chunk leaves 2 ms after the one before it arrived (10 ms one way).
        let mut trace = vec![
            chunk(0, true, 236, t),    // ClientHello
            chunk(12, false, 943, t),  // ServerHello .. Finished
            chunk(24, true, 330, t),   // Finished, SETTINGS, request 1
            chunk(36, false, 2096, t), // answer 1
            chunk(48, true, 666, t),   // requests 2
            chunk(60, false, 4125, t), // answers 2
            chunk(72, true, 103, t),   // requests 3
            chunk(84, false, 2635, t), // answers 3
        ];
        assert_eq!(wire_rounds(&trace), 4);
        trace.push(chunk(96, true, 63, t)); // GOAWAY + close_notify
        trace.push(chunk(108, false, 39, t)); // the server's own
        assert_eq!(wire_rounds(&trace), 4);
        // A request of that size that is answered is a round.
        trace.push(chunk(120, false, 400, t));
        assert_eq!(wire_rounds(&trace), 5);
    }
}
