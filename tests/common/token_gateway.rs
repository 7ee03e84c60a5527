//! A bearer-token front for a real registry, as Docker Hub and GHCR are fronted: /v2/
//! requests without a valid token get a 401 challenge naming the token realm; the realm
//! issues tokens for HTTP Basic credentials. Reads are forwarded to the registry behind.
//! It counts what a client asks, so tests can hold ocx to one token per scope and no
//! `GET /v2/` probes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default, Debug, Clone)]
pub struct Counts {
    /// Token requests per requested scope.
    pub tokens: HashMap<String, usize>,
    pub challenges: usize,
    pub version_probes: usize,
    pub forwarded: usize,
}

pub struct TokenGateway {
    pub addr: String,
    counts: Arc<Mutex<Counts>>,
    issued: Arc<Mutex<HashMap<String, String>>>,
    task: tokio::task::JoinHandle<()>,
}

struct Config {
    addr: String,
    upstream: String,
    basic: String,
    counts: Arc<Mutex<Counts>>,
    issued: Arc<Mutex<HashMap<String, String>>>,
    http: reqwest::Client,
}

impl TokenGateway {
    /// Starts the gateway in front of `upstream` (host:port), accepting `user`/`password`.
    pub async fn start(upstream: &str, user: &str, password: &str) -> TokenGateway {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let counts = Arc::new(Mutex::new(Counts::default()));
        let issued = Arc::new(Mutex::new(HashMap::new()));
        // reqwest is built without a crypto provider of its own, as ocx's transport is.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = Arc::new(Config {
            addr: addr.clone(),
            upstream: upstream.to_string(),
            basic: base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")),
            counts: counts.clone(),
            issued: issued.clone(),
            http: reqwest::Client::new(),
        });
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, config.clone()));
            }
        });
        TokenGateway {
            addr,
            counts,
            issued,
            task,
        }
    }

    pub fn counts(&self) -> Counts {
        self.counts.lock().unwrap().clone()
    }

    /// Every token the realm has issued.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.issued.lock().unwrap().keys().cloned().collect()
    }
}

impl Drop for TokenGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Request {
    method: String,
    target: String,
    headers: HashMap<String, String>,
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let (method, target, headers) = super::hostile::read_head(reader).await?;
    Some(Request {
        method,
        target,
        headers,
    })
}

async fn serve(stream: TcpStream, config: Arc<Config>) {
    let mut reader = BufReader::new(stream);
    if super::answered_tls_hello(&mut reader).await {
        return;
    }
    while let Some(request) = read_request(&mut reader).await {
        let response = answer(&request, &config).await;
        if reader.get_mut().write_all(&response).await.is_err() {
            return;
        }
    }
}

fn response(status: &str, headers: &[(&str, String)], body: &[u8], head: bool) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if !head {
        bytes.extend_from_slice(body);
    }
    bytes
}

async fn answer(request: &Request, config: &Config) -> Vec<u8> {
    let head = request.method == "HEAD";
    if let Some(query) = request.target.strip_prefix("/token?") {
        return token(query, request, config);
    }
    if request.target == "/v2/" {
        config.counts.lock().unwrap().version_probes += 1;
    }
    let repository = request
        .target
        .strip_prefix("/v2/")
        .and_then(|rest| {
            ["/manifests/", "/blobs/", "/tags/", "/referrers/"]
                .iter()
                .find_map(|m| rest.split_once(m))
        })
        .map(|(name, _)| name.to_string())
        .unwrap_or_default();
    let scope = format!("repository:{repository}:pull");
    let token = request
        .headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_string);
    let authorized = token.is_some_and(|t| {
        config
            .issued
            .lock()
            .unwrap()
            .get(&t)
            .is_some_and(|s| s.split(' ').any(|x| x == scope))
    });
    if !authorized || request.method != "GET" && !head {
        config.counts.lock().unwrap().challenges += 1;
        let challenge = format!(
            r#"Bearer realm="http://{}/token",service="ocx-test",scope="{scope}""#,
            config.addr
        );
        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
        return response(
            "401 Unauthorized",
            &[
                ("WWW-Authenticate", challenge),
                ("Content-Type", "application/json".into()),
            ],
            body,
            head,
        );
    }
    config.counts.lock().unwrap().forwarded += 1;
    let url = format!("http://{}{}", config.upstream, request.target);
    let mut upstream = config.http.request(request.method.parse().unwrap(), url);
    if let Some(accept) = request.headers.get("accept") {
        upstream = upstream.header("Accept", accept);
    }
    let reply = upstream.send().await.unwrap();
    let status = reply.status();
    let mut headers = Vec::new();
    for name in [
        "Content-Type",
        "Docker-Content-Digest",
        "Link",
        "OCI-Filters-Applied",
    ] {
        if let Some(v) = reply.headers().get(name).and_then(|v| v.to_str().ok()) {
            headers.push((name, v.to_string()));
        }
    }
    let length = reply.content_length();
    let body = reply.bytes().await.unwrap();
    let mut out = response(&status.to_string(), &headers, &body, head);
    if head {
        // HEAD answers carry the upstream's length, not the (empty) body's.
        let text = String::from_utf8(out).unwrap().replacen(
            "Content-Length: 0",
            &format!("Content-Length: {}", length.unwrap_or(0)),
            1,
        );
        out = text.into_bytes();
    }
    out
}

fn token(query: &str, request: &Request, config: &Config) -> Vec<u8> {
    let scopes: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .collect();
    let key = scopes.join(" ");
    *config
        .counts
        .lock()
        .unwrap()
        .tokens
        .entry(key.clone())
        .or_default() += 1;
    let credentials = request
        .headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Basic "));
    if credentials != Some(config.basic.as_str()) {
        let body =
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}"#;
        return response(
            "401 Unauthorized",
            &[("Content-Type", "application/json".into())],
            body,
            false,
        );
    }
    let mut issued = config.issued.lock().unwrap();
    let value = format!("token-{}", issued.len() + 1);
    issued.insert(value.clone(), key);
    let body = format!(r#"{{"token":"{value}","expires_in":300}}"#);
    response(
        "200 OK",
        &[("Content-Type", "application/json".into())],
        body.as_bytes(),
        false,
    )
}
