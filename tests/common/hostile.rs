//! A registry that misbehaves on purpose: each test routes requests to the replies it
//! wants (401 challenges, `Link` pages and 307 redirects to other servers, endless
//! bodies), and every request's method, path and Authorization header is recorded, so
//! tests can assert who received what. Replies may also drip out a byte at a time.
//! Hand-rolled HTTP/1.1 on 127.0.0.1, as in token_gateway.rs; a TLS ClientHello gets a
//! plain-HTTP server's 400 and is counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The request target: path and query.
    pub path: String,
    pub authorization: Option<String>,
}

enum Body {
    Fixed(Vec<u8>),
    /// `prefix`, then filler bytes up to `total`, without a Content-Length, written until
    /// the client hangs up.
    Streamed {
        prefix: Vec<u8>,
        total: u64,
    },
    /// `first`, then a wait until `open()` says so (or `GATE_WAIT` has passed), then
    /// `rest`; with the Content-Length of both.
    Gated {
        first: Vec<u8>,
        rest: Vec<u8>,
        open: Arc<Gate>,
    },
}

/// What of a reply is written one byte at a time, and how often.
#[derive(Debug, Clone, Copy)]
enum Drip {
    Body(Duration),
    /// The status line and headers too.
    Everything(Duration),
}

pub type Gate = dyn Fn() -> bool + Send + Sync;

/// How long a gated body waits for its gate before it sends the rest anyway.
pub const GATE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub struct Reply {
    status: String,
    headers: Vec<(String, String)>,
    body: Body,
    drip: Option<Drip>,
}

impl Reply {
    pub fn new(status: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: status.to_string(),
            headers: Vec::new(),
            body: Body::Fixed(body.into()),
            drip: None,
        }
    }

    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::new("200 OK", body).header("Content-Type", content_type)
    }

    pub fn not_found() -> Reply {
        Reply::new(
            "404 Not Found",
            r#"{"errors":[{"code":"NOT_FOUND","message":"not here"}]}"#,
        )
        .header("Content-Type", "application/json")
    }

    /// 401 with this `WWW-Authenticate` value.
    pub fn challenge(www_authenticate: &str) -> Reply {
        Reply::new(
            "401 Unauthorized",
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
        )
        .header("Content-Type", "application/json")
        .header("WWW-Authenticate", www_authenticate)
    }

    pub fn redirect(location: &str) -> Reply {
        Reply::new("307 Temporary Redirect", "").header("Location", location)
    }

    /// A body of `total` bytes that is never held in memory: `prefix`, then filler.
    pub fn streamed(status: &str, prefix: &str, total: u64) -> Reply {
        Reply {
            status: status.to_string(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Streamed {
                prefix: prefix.as_bytes().to_vec(),
                total,
            },
            drip: None,
        }
    }

    /// Sends the body (with its Content-Length) one byte every `every`.
    pub fn drip_body(mut self, every: Duration) -> Reply {
        self.drip = Some(Drip::Body(every));
        self
    }

    /// Sends the status line, headers and body one byte every `every`.
    pub fn drip_everything(mut self, every: Duration) -> Reply {
        self.drip = Some(Drip::Everything(every));
        self
    }

    /// A 200 body sent in two parts: `rest` only once `open()` is true (see [`Body`]).
    pub fn gated(first: Vec<u8>, rest: Vec<u8>, open: Arc<Gate>) -> Reply {
        Reply {
            status: "200 OK".into(),
            headers: vec![("Content-Type".into(), "application/octet-stream".into())],
            body: Body::Gated { first, rest, open },
            drip: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

type Route = dyn Fn(&Recorded) -> Reply + Send + Sync;

pub struct Hostile {
    /// host:port
    pub addr: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    streamed: Arc<AtomicU64>,
    tls_hellos: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    route: Box<Route>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    streamed: Arc<AtomicU64>,
    tls_hellos: Arc<AtomicU64>,
}

impl Hostile {
    /// Starts a server on 127.0.0.1 that answers every request with `route`'s reply.
    pub async fn start(route: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let streamed = Arc::new(AtomicU64::new(0));
        let tls_hellos = Arc::new(AtomicU64::new(0));
        let shared = Arc::new(Shared {
            route: Box::new(route),
            requests: requests.clone(),
            streamed: streamed.clone(),
            tls_hellos: tls_hellos.clone(),
        });
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Hostile {
            addr,
            requests,
            streamed,
            tls_hellos,
            task,
        }
    }

    /// `http://host:port`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests that carried an Authorization header.
    pub fn credentialed(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.authorization.is_some())
            .collect()
    }

    /// Bytes of streamed bodies written before the client hung up.
    pub fn streamed_bytes(&self) -> u64 {
        self.streamed.load(Ordering::SeqCst)
    }

    /// Connections that opened with a TLS ClientHello (and got a 400).
    pub fn tls_hellos(&self) -> u64 {
        self.tls_hellos.load(Ordering::SeqCst)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The `Authorization` value of HTTP Basic for `user:password`.
pub fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Recorded> {
    let (method, path, mut headers) = read_head(reader).await?;
    Some(Recorded {
        method,
        path,
        authorization: headers.remove("authorization"),
    })
}

/// Reads one HTTP/1.1 request: method, target and headers (names lowercased); its body is
/// read and dropped. `None` when the client hung up or sent no request.
pub async fn read_head(
    reader: &mut BufReader<TcpStream>,
) -> Option<(String, String, HashMap<String, String>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (k, v) = header.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some((method, target, headers))
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let mut reader = BufReader::new(stream);
    if super::answered_tls_hello(&mut reader).await {
        shared.tls_hellos.fetch_add(1, Ordering::SeqCst);
        return;
    }
    while let Some(request) = read_request(&mut reader).await {
        shared.requests.lock().unwrap().push(request.clone());
        let reply = (shared.route)(&request);
        let head = request.method == "HEAD";
        let stream = reader.get_mut();
        match reply.body {
            Body::Fixed(body) => {
                let mut out = head_bytes(&reply.status, &reply.headers, Some(body.len()));
                let head_len = out.len();
                if !head {
                    out.extend_from_slice(&body);
                }
                let written = match reply.drip {
                    None => stream.write_all(&out).await,
                    Some(Drip::Everything(every)) => drip(stream, &out, every).await,
                    Some(Drip::Body(every)) => match stream.write_all(&out[..head_len]).await {
                        Ok(()) => drip(stream, &out[head_len..], every).await,
                        Err(e) => Err(e),
                    },
                };
                if written.is_err() {
                    return;
                }
            }
            Body::Gated { first, rest, open } => {
                let mut out = head_bytes(
                    &reply.status,
                    &reply.headers,
                    Some(first.len() + rest.len()),
                );
                out.extend_from_slice(&first);
                if stream.write_all(&out).await.is_err() || stream.flush().await.is_err() {
                    return;
                }
                wait_for(open.as_ref()).await;
                if stream.write_all(&rest).await.is_err() {
                    return;
                }
            }
            Body::Streamed { prefix, total } => {
                let out = head_bytes(&reply.status, &reply.headers, None);
                if stream.write_all(&out).await.is_ok() && stream.write_all(&prefix).await.is_ok() {
                    stream_filler(stream, total, &shared.streamed).await;
                }
                return;
            }
        }
    }
}

fn head_bytes(status: &str, headers: &[(String, String)], length: Option<usize>) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    match length {
        Some(n) => out.push_str(&format!("Content-Length: {n}\r\n")),
        // The body ends when the connection does.
        None => out.push_str("Connection: close\r\n"),
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

async fn wait_for(open: &Gate) {
    let deadline = tokio::time::Instant::now() + GATE_WAIT;
    while !open() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn stream_filler(stream: &mut TcpStream, total: u64, written: &AtomicU64) {
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0u64;
    while sent < total {
        let n = chunk.len().min((total - sent) as usize);
        if stream.write_all(&chunk[..n]).await.is_err() {
            return;
        }
        sent += n as u64;
        written.fetch_add(n as u64, Ordering::SeqCst);
    }
}

/// Writes `bytes` one at a time, `every` apart, until done or the client hangs up.
async fn drip(stream: &mut TcpStream, bytes: &[u8], every: Duration) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    for byte in bytes {
        stream.write_all(std::slice::from_ref(byte)).await?;
        tokio::time::sleep(every).await;
    }
    Ok(())
}

/// A small image a hostile registry serves as `app`: its manifest (by digest) and config.
pub struct Image {
    pub manifest: String,
    pub digest: ocx::digest::Digest,
    pub config: String,
    pub config_digest: ocx::digest::Digest,
}

pub fn image() -> Arc<Image> {
    use ocx::manifest::{OCI_CONFIG, OCI_MANIFEST};
    let config =
        r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = ocx::digest::Digest::sha256_of(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{OCI_CONFIG}","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    Arc::new(Image {
        digest: ocx::digest::Digest::sha256_of(manifest.as_bytes()),
        manifest,
        config: config.to_string(),
        config_digest,
    })
}

impl Image {
    /// The reply for the image's manifest or config, when the request asks for one.
    pub fn serve(&self, request: &Recorded) -> Option<Reply> {
        let path = request.path.as_str();
        if path == format!("/v2/app/manifests/{}", self.digest) {
            Some(
                Reply::ok(ocx::manifest::OCI_MANIFEST, self.manifest.clone())
                    .header("Docker-Content-Digest", &self.digest.to_string()),
            )
        } else if path == format!("/v2/app/blobs/{}", self.config_digest) {
            Some(Reply::ok("application/octet-stream", self.config.clone()))
        } else {
            None
        }
    }
}
