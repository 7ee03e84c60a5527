//! HTTP transport for the distribution API: one connection pool for every registry a
//! command talks to, HTTPS (for loopback registries HTTPS first, else plain HTTP, decided
//! once per registry), a deadline on every request, and authentication that costs one
//! token request per scope, with no `GET /v2/` probe in front of requests (but the one
//! `HEAD /v2/` over HTTPS that decides a loopback registry's scheme).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use tokio::sync::{Mutex, OnceCell};
use tokio::time::Instant;

use super::auth::{self, AuthCache, Challenge};
use super::connections::Connections;
use super::trace;
use crate::reference::Repository;

#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// Use plain HTTP for every registry, not only loopback ones.
    pub plain_http: bool,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// How long a connection may wait for its next bytes before the request fails; also
    /// the base of every request's total deadline (see [`deadline_for`]).
    pub timeout: Duration,
}

/// The default of `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            plain_http: false,
            insecure: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// What a request needs to be allowed to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Pull,
    Push,
    /// Push to the repository, mounting a blob from `from` (a repository name on the same
    /// registry), which needs pull there too.
    Mount {
        from: String,
    },
}

const MAX_ATTEMPTS: u32 = 3;
const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);
pub const MAX_ERROR_BODY: u64 = 64 * 1024;

/// Bytes per second that even a slow honest registry sustains: a request may take one
/// second per MiB it carries on top of `--timeout`, so a large layer is not cut.
pub const FLOOR_THROUGHPUT: u64 = 1024 * 1024;

/// The total time a request carrying `bytes` (sent and received) may take.
pub fn deadline_for(timeout: Duration, bytes: u64) -> Duration {
    let whole_seconds = Duration::from_secs(bytes / FLOOR_THROUGHPUT);
    let rest = Duration::from_nanos((bytes % FLOOR_THROUGHPUT) * 1_000_000_000 / FLOOR_THROUGHPUT);
    timeout.saturating_add(whole_seconds + rest)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Https,
    Http,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// How a registry's scheme is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SchemePolicy {
    Always(Scheme),
    /// Loopback, as docker and crane do: HTTPS when the registry speaks TLS, else HTTP.
    HttpsThenHttp,
}

fn scheme_policy(options: &TransportOptions, host: &str) -> SchemePolicy {
    if options.plain_http {
        SchemePolicy::Always(Scheme::Http)
    } else if is_loopback(host) {
        SchemePolicy::HttpsThenHttp
    } else {
        SchemePolicy::Always(Scheme::Https)
    }
}

/// The scheme decided for each registry, once per run: concurrent requests to a registry
/// whose scheme is not known yet wait for one probe.
#[derive(Default)]
struct Schemes {
    decided: std::sync::Mutex<HashMap<String, Arc<OnceCell<Scheme>>>>,
}

impl Schemes {
    async fn get_or_probe<F, Fut>(&self, host: &str, probe: F) -> Result<Scheme>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Scheme>>,
    {
        let cell = self
            .decided
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(host.to_string())
            .or_default()
            .clone();
        cell.get_or_try_init(probe).await.copied()
    }
}

/// When a request started and what it may take, carried in the response's extensions so
/// that [`read_body`] holds the body to the same total deadline.
#[derive(Debug, Clone)]
struct RequestClock {
    registry: String,
    started: Instant,
    timeout: Duration,
    sent_bytes: u64,
}

impl RequestClock {
    fn start(registry: &str, timeout: Duration, sent_bytes: u64) -> RequestClock {
        RequestClock {
            registry: registry.to_string(),
            started: Instant::now(),
            timeout,
            sent_bytes,
        }
    }

    fn limit(&self, received_bytes: u64) -> Duration {
        deadline_for(self.timeout, self.sent_bytes.saturating_add(received_bytes))
    }

    fn deadline(&self, received_bytes: u64) -> Instant {
        self.started + self.limit(received_bytes)
    }

    fn exceeded(&self, what: &str, received_bytes: u64) -> anyhow::Error {
        let bytes = self.sent_bytes.saturating_add(received_bytes);
        let allowance = match bytes {
            0 => format!("--timeout {} s", self.timeout.as_secs()),
            _ => format!(
                "--timeout {} s plus 1 s per MiB of the {bytes} bytes expected",
                self.timeout.as_secs()
            ),
        };
        anyhow!(
            "registry {}: {what} timed out: it took longer than its total deadline of {:.1} s ({allowance}); raise --timeout for a registry that is slow but still sending",
            self.registry,
            self.limit(received_bytes).as_secs_f64(),
        )
    }

    fn went_silent(&self, what: &str) -> anyhow::Error {
        anyhow!(
            "registry {}: {what} timed out: nothing arrived for {} s (--timeout)",
            self.registry,
            self.timeout.as_secs()
        )
    }
}

pub struct Transport {
    http: reqwest::Client,
    options: TransportOptions,
    auth: Mutex<AuthCache>,
    schemes: Schemes,
    connections: Connections,
}

impl Transport {
    pub fn new(options: TransportOptions) -> Result<Transport> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("ocx/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(super::tls::client_config(options.insecure))
            // No read_timeout: reqwest never resets it before the response headers, so it
            // would cut uploads; send() and read_body() keep the deadlines instead.
            .connect_timeout(options.timeout.min(Duration::from_secs(30)))
            .pool_max_idle_per_host(64)
            .build()
            .context("building the HTTP client")?;
        Ok(Transport {
            http,
            options,
            auth: Mutex::new(AuthCache::default()),
            schemes: Schemes::default(),
            connections: Connections::default(),
        })
    }

    /// `scheme://host/v2/NAME/` for a repository.
    pub async fn repository_url(&self, repository: &Repository) -> Result<String> {
        let host = repository.api_host();
        let scheme = self.scheme(host).await?;
        Ok(format!(
            "{}://{host}/v2/{}/",
            scheme.as_str(),
            repository.name
        ))
    }

    /// The scheme `host` is reached over; for loopback, probed once per run.
    async fn scheme(&self, host: &str) -> Result<Scheme> {
        match scheme_policy(&self.options, host) {
            SchemePolicy::Always(scheme) => Ok(scheme),
            SchemePolicy::HttpsThenHttp => {
                self.schemes
                    .get_or_probe(host, || self.probe_tls(host))
                    .await
            }
        }
    }

    /// HTTPS when `host` completes a TLS handshake; plain HTTP when it answers the
    /// ClientHello with something that is not TLS (a plain-HTTP server's 400) or hangs
    /// up. A certificate ocx does not trust is an error, never a reason to fall back.
    async fn probe_tls(&self, host: &str) -> Result<Scheme> {
        let url = format!("https://{host}/v2/");
        let clock = RequestClock::start(host, self.options.timeout, 0);
        let probe = self
            .http
            .head(&url)
            .build()
            .map_err(|e| transport_error(host, e))?;
        let (method, probed) = (probe.method().clone(), probe.url().clone());
        let sent = self.execute(probe, &clock).await;
        let outcome = match &sent {
            Some(Err(e)) if peer_does_not_speak_tls(e) => trace::Outcome::NotTls,
            _ => outcome_of(&sent),
        };
        trace::request(&method, &probed, outcome, clock.started.elapsed(), 1);
        let answer = sent.ok_or_else(|| clock.exceeded(&format!("HEAD {url}"), 0))?;
        match answer {
            Ok(_) => Ok(Scheme::Https),
            Err(e) if peer_does_not_speak_tls(&e) => Ok(Scheme::Http),
            Err(e) if is_refused(&e) => Err(refused(host)),
            Err(e) if e.is_timeout() => Err(clock.exceeded(&format!("HEAD {url}"), 0)),
            Err(e) => Err(transport_error(host, e)),
        }
    }

    /// The origin (scheme, host, port) a repository's credentials and tokens are bound to:
    /// the scheme is the one actually chosen for its registry.
    async fn registry_origin(&self, repository: &Repository) -> Result<url::Origin> {
        let host = repository.api_host();
        origin(self.scheme(host).await?, host)
    }

    /// Sends a request built by `build`, answering an authentication challenge once.
    ///
    /// Each attempt must bring the response headers within its total deadline
    /// ([`deadline_for`] the bytes it uploads); [`read_body`] holds the body to the same
    /// deadline, counted from the same start.
    ///
    /// `build` is called again for a retry, so it must be cheap (bodies are `Bytes`; a
    /// streamed body, which cannot be sent twice, goes through [`Transport::send_once`]).
    /// Only requests to the registry's own origin carry its credentials or tokens: a
    /// `Link` page or redirect target elsewhere gets none, and cannot ask for them.
    pub async fn send(
        &self,
        repository: &Repository,
        access: Access,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response> {
        let response = self.send_answering(repository, access, build).await?;
        Ok(self
            .noting_credentials(repository.api_host(), response)
            .await)
    }

    /// A 401 with a [`CredentialsNote`]: which credentials it refused, or where none
    /// were found (when they were looked up: a challenge ocx cannot answer has no note).
    async fn noting_credentials(&self, registry: &str, mut response: Response) -> Response {
        if response.status() == StatusCode::UNAUTHORIZED {
            let cache = self.auth.lock().await;
            if let Some(used) = cache.credentials.get(registry) {
                let note = CredentialsNote(auth::unauthorized_note(registry, used.as_ref()));
                response.extensions_mut().insert(note);
            }
        }
        response
    }

    async fn send_answering(
        &self,
        repository: &Repository,
        access: Access,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response> {
        let registry = repository.api_host();
        let registry_origin = self.registry_origin(repository).await?;
        let scope = scope_for(repository, &access);
        let to_registry = build(&self.http)
            .build()
            .is_ok_and(|r| r.url().origin() == registry_origin);
        let mut authorization = if to_registry {
            self.cached_or_proactive_header(registry, &scope).await?
        } else {
            None
        };
        let mut answered_challenge = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self.request_for(registry, &registry_origin, &build, &authorization)?;
            let what = format!("{} {}", request.method(), request.url());
            let slot = self.connections.slot(registry).await;
            let clock = RequestClock::start(registry, self.options.timeout, upload_size(&request));
            let sent = self
                .execute_traced(request, &clock, attempt)
                .await
                .ok_or_else(|| clock.exceeded(&what, 0))?;
            let mut response = match sent {
                Ok(r) => r,
                // Nothing listens there: on loopback that will not change in a second.
                Err(e) if is_refused(&e) && is_loopback(registry) => return Err(refused(registry)),
                // A refused or reset connection is worth another try; a registry that let
                // a request time out has already had --timeout to answer.
                Err(e) if attempt < MAX_ATTEMPTS && e.is_connect() && !e.is_timeout() => {
                    trace::retry(backoff(attempt), attempt + 1);
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
                Err(e) if e.is_timeout() => return Err(clock.exceeded(&what, 0)),
                Err(e) => return Err(transport_error(registry, e)),
            };
            self.connections.hold(registry, &mut response, slot);
            response.extensions_mut().insert(clock);
            match response.status() {
                // reqwest follows redirects itself: the final URL may be another host.
                StatusCode::UNAUTHORIZED if response.url().origin() != registry_origin => {
                    return Err(challenge_from_another_origin(
                        registry,
                        &registry_origin,
                        response.url(),
                    ));
                }
                StatusCode::UNAUTHORIZED if !answered_challenge => {
                    answered_challenge = true;
                    let challenge = response
                        .headers()
                        .get(reqwest::header::WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(Challenge::parse);
                    let Some(challenge) = challenge else {
                        return Ok(response);
                    };
                    authorization = self
                        .answer_challenge(registry, &scope, challenge, authorization.as_deref())
                        .await?;
                    if authorization.is_none() {
                        return Ok(response);
                    }
                }
                status if is_retryable(status) && attempt < MAX_ATTEMPTS => {
                    let wait = retry_after(&response).unwrap_or_else(|| backoff(attempt));
                    trace::retry(wait.min(MAX_RETRY_WAIT), attempt + 1);
                    tokio::time::sleep(wait.min(MAX_RETRY_WAIT)).await;
                }
                _ => return Ok(response),
            }
        }
    }

    /// The request `build` makes, [`authorize`]d.
    fn request_for(
        &self,
        registry: &str,
        registry_origin: &url::Origin,
        build: &impl Fn(&reqwest::Client) -> RequestBuilder,
        authorization: &Option<String>,
    ) -> Result<reqwest::Request> {
        let request = build(&self.http)
            .build()
            .map_err(|e| transport_error(registry, e))?;
        authorize(request, registry, registry_origin, authorization)
    }

    /// Sends a request whose body can be sent only once (a stream), so it is never
    /// retried: it carries the authorization already obtained for the scope (the upload
    /// session it belongs to was opened with it), and whatever the registry answers,
    /// even a 401 or a 503, is returned as is.
    pub async fn send_once(
        &self,
        repository: &Repository,
        access: Access,
        build: impl FnOnce(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response> {
        let registry = repository.api_host();
        let registry_origin = self.registry_origin(repository).await?;
        let scope = scope_for(repository, &access);
        let authorization = self.cached_or_proactive_header(registry, &scope).await?;
        let request = build(&self.http)
            .build()
            .map_err(|e| transport_error(registry, e))?;
        let request = authorize(request, registry, &registry_origin, &authorization)?;
        let what = format!("{} {}", request.method(), request.url().path());
        let slot = self.connections.slot(registry).await;
        let clock = RequestClock::start(registry, self.options.timeout, upload_size(&request));
        match self.execute_traced(request, &clock, 1).await {
            Some(Ok(mut response)) => {
                self.connections.hold(registry, &mut response, slot);
                Ok(response)
            }
            Some(Err(e)) => Err(transport_error(registry, e)),
            None => Err(clock.exceeded(&what, 0)),
        }
    }

    /// Sends `request` within the clock's deadline for its headers (`None` when that
    /// passes), with a line for `--verbose`.
    async fn execute_traced(
        &self,
        request: reqwest::Request,
        clock: &RequestClock,
        attempt: u32,
    ) -> Option<reqwest::Result<Response>> {
        let (method, url) = (request.method().clone(), request.url().clone());
        let sent = self.execute(request, clock).await;
        trace::request(
            &method,
            &url,
            outcome_of(&sent),
            clock.started.elapsed(),
            attempt,
        );
        sent
    }

    /// Sends a request within its deadline; `None` when the deadline passed first.
    async fn execute(
        &self,
        request: reqwest::Request,
        clock: &RequestClock,
    ) -> Option<reqwest::Result<Response>> {
        tokio::time::timeout_at(clock.deadline(0), self.http.execute(request))
            .await
            .ok()
    }

    /// The header cached for this scope, or one fetched now when the registry's challenge
    /// is already known (so a new repository does not cost a 401 round trip).
    async fn cached_or_proactive_header(
        &self,
        registry: &str,
        scope: &[String],
    ) -> Result<Option<String>> {
        let key = (registry.to_string(), scope.join(" "));
        let challenge = {
            let cache = self.auth.lock().await;
            if let Some(header) = cache.headers.get(&key) {
                return Ok(Some(header.clone()));
            }
            match cache.challenges.get(registry) {
                Some(c) => c.clone(),
                None => return Ok(None),
            }
        };
        self.answer_challenge(registry, scope, challenge, None)
            .await
    }

    /// Obtains (once per scope, even under concurrency) the header that answers a challenge.
    async fn answer_challenge(
        &self,
        registry: &str,
        scope: &[String],
        challenge: Challenge,
        rejected: Option<&str>,
    ) -> Result<Option<String>> {
        let key = (registry.to_string(), scope.join(" "));
        // Held across the token request so that concurrent requests wait for one token.
        let mut cache = self.auth.lock().await;
        if let Some(header) = cache.headers.get(&key) {
            if Some(header.as_str()) != rejected {
                return Ok(Some(header.clone()));
            }
        }
        cache
            .challenges
            .insert(registry.to_string(), challenge.clone());
        let credential = match cache.credentials.get(registry) {
            Some(c) => c.clone(),
            None => {
                let registry_name = registry.to_string();
                let found =
                    tokio::task::spawn_blocking(move || auth::lookup_credential(&registry_name))
                        .await
                        .map_err(|e| anyhow!("credential lookup failed: {e}"))??;
                cache
                    .credentials
                    .insert(registry.to_string(), found.clone());
                found
            }
        };
        let header = match challenge {
            Challenge::Basic => credential
                .as_ref()
                .and_then(|c| c.credential.basic_header()),
            Challenge::Bearer { realm, service } => {
                if credential.is_some() {
                    auth::check_realm_for_credentials(&realm, self.options.plain_http)?;
                }
                let token = auth::fetch_token(
                    &self.http,
                    &realm,
                    service.as_deref(),
                    scope,
                    credential.as_ref(),
                    deadline_for(self.options.timeout, 0),
                )
                .await?;
                Some(format!("Bearer {token}"))
            }
        };
        if let Some(h) = &header {
            if Some(h.as_str()) == rejected {
                return Ok(None);
            }
            cache.headers.insert(key, h.clone());
        }
        Ok(header)
    }
}

/// `request` with `authorization` only when it goes to the registry's origin: the one
/// place credentials are attached.
fn authorize(
    mut request: reqwest::Request,
    registry: &str,
    registry_origin: &url::Origin,
    authorization: &Option<String>,
) -> Result<reqwest::Request> {
    if let Some(header) = authorization {
        if request.url().origin() == *registry_origin {
            let mut value = HeaderValue::from_str(header).map_err(|_| {
                anyhow!("the credentials for {registry} are not a valid HTTP header value")
            })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
    }
    Ok(request)
}

fn scope_for(repository: &Repository, access: &Access) -> Vec<String> {
    let name = &repository.name;
    match access {
        Access::Pull => vec![format!("repository:{name}:pull")],
        Access::Push => vec![format!("repository:{name}:pull,push")],
        Access::Mount { from } => vec![
            format!("repository:{name}:pull,push"),
            format!("repository:{from}:pull"),
        ],
    }
}

/// The origin of `scheme://host`.
fn origin(scheme: Scheme, host: &str) -> Result<url::Origin> {
    let url = format!("{}://{host}/", scheme.as_str());
    Ok(url::Url::parse(&url)
        .with_context(|| format!("invalid registry address {url:?}"))?
        .origin())
}

/// The bytes a request uploads: its body's, or for a streamed body its Content-Length.
fn upload_size(request: &reqwest::Request) -> u64 {
    let declared = || {
        request
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    };
    request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .map(|b| b.len() as u64)
        .or_else(declared)
        .unwrap_or(0)
}

/// localhost, 127.0.0.0/8 and ::1: tried over HTTPS first, then plain HTTP, as docker
/// and crane do.
pub fn is_loopback(host_and_port: &str) -> bool {
    let host = if let Some(rest) = host_and_port.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host_and_port.split(':').next().unwrap_or(host_and_port)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn is_retryable(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 2u64.pow(attempt.saturating_sub(1)))
}

fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    value
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// A 401 from an origin that is not the registry's (a `Link` page or a redirect target):
/// answering it with the registry's credentials would hand them to that host.
fn challenge_from_another_origin(
    registry: &str,
    registry_origin: &url::Origin,
    url: &url::Url,
) -> anyhow::Error {
    anyhow!(
        "{} (reached through a redirect or Link of registry {registry}) asks for credentials (401 Unauthorized); ocx sends credentials only to the registry's own origin {}",
        url.origin().ascii_serialization(),
        registry_origin.ascii_serialization()
    )
}

/// The errors beneath `error`, including those an `io::Error` wraps (which its
/// `source()` skips: hyper-rustls nests rustls's error two `io::Error`s deep).
fn causes(error: &reqwest::Error) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut found = Vec::new();
    let mut next = std::error::Error::source(error);
    while let Some(cause) = next {
        found.push(cause);
        next = match cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    found
}

fn io_error_kinds(error: &reqwest::Error) -> impl Iterator<Item = std::io::ErrorKind> + '_ {
    causes(error)
        .into_iter()
        .filter_map(|c| c.downcast_ref::<std::io::Error>().map(|io| io.kind()))
}

fn rustls_errors(error: &reqwest::Error) -> impl Iterator<Item = &rustls::Error> + '_ {
    causes(error)
        .into_iter()
        .filter_map(|c| c.downcast_ref::<rustls::Error>())
}

fn is_refused(error: &reqwest::Error) -> bool {
    error.is_connect() && io_error_kinds(error).any(|k| k == std::io::ErrorKind::ConnectionRefused)
}

/// What the trace says of a request's result.
fn outcome_of(sent: &Option<reqwest::Result<Response>>) -> trace::Outcome<'_> {
    match sent {
        Some(Ok(response)) => trace::Outcome::Answered(response),
        Some(Err(e)) => trace::Outcome::Failed(trace::failure_kind(e)),
        None => trace::Outcome::Failed("timed out"),
    }
}

/// The server answered a TLS ClientHello with bytes that are not TLS (a plain-HTTP
/// server's `400 Bad Request`), or hung up without a TLS alert.
fn peer_does_not_speak_tls(error: &reqwest::Error) -> bool {
    let not_tls = rustls_errors(error).any(|e| matches!(e, rustls::Error::InvalidMessage(_)));
    let hung_up = io_error_kinds(error).any(|k| k == std::io::ErrorKind::UnexpectedEof);
    error.is_connect() && (not_tls || hung_up)
}

fn refused(registry: &str) -> anyhow::Error {
    anyhow!(
        "cannot reach registry {registry}: connection refused, nothing listens there (is the registry running, on this port?)"
    )
}

fn transport_error(registry: &str, error: reqwest::Error) -> anyhow::Error {
    if let Some(problem) = rustls_errors(&error).find_map(|e| match e {
        rustls::Error::InvalidCertificate(e) => Some(certificate_problem(e)),
        _ => None,
    }) {
        return anyhow!(
            "cannot reach registry {registry}: its TLS certificate is refused: {problem}"
        );
    }
    // reqwest's message names the URL; the chain below it says what failed.
    let mut message = format!("cannot reach registry {registry}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    // rustls says this when a plain-HTTP server answers a TLS handshake.
    if message.contains("InvalidContentType") || message.contains("corrupt message") {
        message.push_str(" (the registry may serve plain HTTP: try --plain-http)");
    }
    anyhow!(message)
}

/// Why a certificate was refused, in plain words, with what to do about it.
fn certificate_problem(error: &rustls::CertificateError) -> String {
    use rustls::CertificateError as E;
    const INSECURE: &str = "or, for a registry you trust, pass --insecure";
    let problem = match error {
        E::UnknownIssuer => {
            return format!(
                "it is not signed by a trusted authority (self-signed, or by an authority \
                 missing from SSL_CERT_FILE or the system's roots): trust its authority, \
                 {INSECURE}"
            )
        }
        // webpki's CaUsedAsEndEntity reaches rustls only as text.
        E::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => {
            return format!(
                "it is a CA certificate used as the server's own (self-signed): make a CA \
                 and a server certificate signed by it, trust the CA, {INSECURE}"
            )
        }
        E::Expired | E::ExpiredContext { .. } => "it has expired".to_string(),
        E::NotValidYet | E::NotValidYetContext { .. } => "it is not valid yet".to_string(),
        E::NotValidForName | E::NotValidForNameContext { .. } => {
            "it is not issued for this registry's name".to_string()
        }
        E::Revoked => "it is revoked".to_string(),
        E::BadSignature => "its signature does not verify".to_string(),
        E::BadEncoding => "it is malformed".to_string(),
        E::InvalidPurpose | E::InvalidPurposeContext { .. } => {
            "it is not meant for a TLS server".to_string()
        }
        other => format!("{other}"),
    };
    format!("{problem}; {INSECURE}")
}

/// What [`read_body`] refuses when a body is longer than its limit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OverLimit(String);

/// Reads a response body, refusing more than `limit` bytes ([`OverLimit`]), failing when
/// nothing arrives for `--timeout` or when the request's total deadline for the bytes
/// announced (`Content-Length`, else `limit`) passes.
pub async fn read_body(mut response: Response, limit: u64, what: &str) -> Result<Bytes> {
    if let Some(length) = response.content_length() {
        if length > limit {
            let message = format!("{what} is {length} bytes, over the {limit}-byte limit");
            return Err(OverLimit(message).into());
        }
    }
    let expected = response.content_length().unwrap_or(limit);
    let clock = response.extensions().get::<RequestClock>().cloned();
    let mut body = BytesMut::new();
    loop {
        let next = match &clock {
            Some(clock) => {
                let idle = tokio::time::timeout(clock.timeout, response.chunk());
                tokio::time::timeout_at(clock.deadline(expected), idle)
                    .await
                    .map_err(|_| clock.exceeded(&format!("reading {what}"), expected))?
                    .map_err(|_| clock.went_silent(&format!("reading {what}")))?
            }
            None => response.chunk().await,
        };
        let Some(chunk) = next.with_context(|| format!("reading {what}"))? else {
            return Ok(body.freeze());
        };
        if (body.len() + chunk.len()) as u64 > limit {
            let message = format!("{what} is over the {limit}-byte limit");
            return Err(OverLimit(message).into());
        }
        body.extend_from_slice(&chunk);
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    errors: Vec<RegistryError>,
}

#[derive(Deserialize)]
struct RegistryError {
    code: Option<String>,
    message: Option<String>,
}

/// `404 Not Found: MANIFEST_UNKNOWN: manifest unknown`, from the distribution spec's
/// error envelope when the body has one.
pub fn describe_error_body(status: StatusCode, body: &[u8]) -> String {
    let mut text = status.to_string();
    if let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(body) {
        for error in envelope.errors {
            let parts: Vec<String> = [error.code, error.message].into_iter().flatten().collect();
            if !parts.is_empty() {
                text.push_str(": ");
                text.push_str(&parts.join(": "));
            }
        }
    } else {
        let snippet = String::from_utf8_lossy(&body[..body.len().min(200)]);
        let snippet = snippet.trim();
        if !snippet.is_empty() && !snippet.starts_with('<') {
            text.push_str(": ");
            text.push_str(snippet);
        }
    }
    text
}

/// Which credentials a 401 refused, or where none were found, carried in the response.
#[derive(Debug, Clone)]
struct CredentialsNote(String);

/// Turns a non-success response into an error naming what was asked and what the
/// registry said; a 404 becomes [`NotFound`](crate::source::NotFound).
pub async fn error_from_response(response: Response, what: &str) -> anyhow::Error {
    let status = response.status();
    let not_found = status == StatusCode::NOT_FOUND;
    let note = response
        .extensions()
        .get::<CredentialsNote>()
        .map(|n| n.0.clone());
    let body = read_body(response, MAX_ERROR_BODY, "the error body")
        .await
        .unwrap_or_default();
    let said = describe_error_body(status, &body);
    let hint = match (status, note) {
        (StatusCode::UNAUTHORIZED, Some(note)) => format!(" ({note})"),
        (StatusCode::UNAUTHORIZED, None) => {
            " (log in with `docker login`, or check the credentials in DOCKER_CONFIG or REGISTRY_AUTH_FILE)".into()
        }
        (StatusCode::FORBIDDEN, _) => " (the credentials do not allow this)".into(),
        (StatusCode::BAD_REQUEST, _) if said.contains("HTTP request to an HTTPS server") => {
            " (the registry speaks HTTPS: drop --plain-http)".into()
        }
        _ => String::new(),
    };
    let message = format!("{what}: registry said {said}{hint}");
    if not_found {
        anyhow::Error::new(crate::source::NotFound(message))
    } else {
        anyhow!(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_use_plain_http() {
        for host in [
            "localhost:5000",
            "127.0.0.1:1234",
            "127.9.9.9",
            "[::1]:5000",
            "LOCALHOST",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "ghcr.io",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[2001:db8::1]:5000",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    fn authorization_sent_to(transport: &Transport, registry: &str, url: &str) -> Option<String> {
        let scheme = if is_loopback(registry) {
            Scheme::Http
        } else {
            Scheme::Https
        };
        let origin = origin(scheme, registry).unwrap();
        let request = transport
            .request_for(
                registry,
                &origin,
                &|http: &reqwest::Client| http.get(url),
                &Some("Basic c2VjcmV0".into()),
            )
            .unwrap();
        request
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().unwrap().to_string())
    }

    #[test]
    fn credentials_go_only_to_the_registrys_origin() {
        let transport = Transport::new(TransportOptions::default()).unwrap();
        let sent = |registry: &str, url: &str| authorization_sent_to(&transport, registry, url);
        assert!(sent("ghcr.io", "https://ghcr.io/v2/app/tags/list?n=1").is_some());
        assert!(sent("ghcr.io", "https://GHCR.io:443/v2/app/referrers/x").is_some());
        assert!(sent("127.0.0.1:5000", "http://127.0.0.1:5000/v2/app/").is_some());
        for (registry, url) in [
            ("ghcr.io", "http://ghcr.io/v2/app/tags/list"),
            ("ghcr.io", "https://ghcr.io:8443/v2/app/tags/list"),
            ("ghcr.io", "https://other.example/v2/app/tags/list"),
            ("ghcr.io", "https://ghcr.io.other.example/v2/"),
            ("127.0.0.1:5000", "http://127.0.0.1:5001/v2/app/"),
            ("127.0.0.1:5000", "http://localhost:5000/v2/app/"),
            ("127.0.0.1:5000", "https://127.0.0.1:5000/v2/app/"),
        ] {
            assert_eq!(sent(registry, url), None, "{registry} -> {url}");
        }
    }

    #[test]
    fn loopback_tries_https_first_unless_plain_http_is_forced() {
        let options = TransportOptions::default();
        let forced = TransportOptions {
            plain_http: true,
            ..TransportOptions::default()
        };
        assert_eq!(
            scheme_policy(&options, "127.0.0.1:5000"),
            SchemePolicy::HttpsThenHttp
        );
        assert_eq!(
            scheme_policy(&options, "ghcr.io"),
            SchemePolicy::Always(Scheme::Https)
        );
        for host in ["127.0.0.1:5000", "ghcr.io"] {
            assert_eq!(
                scheme_policy(&forced, host),
                SchemePolicy::Always(Scheme::Http)
            );
        }
    }

    #[tokio::test]
    async fn a_registrys_scheme_is_probed_once_even_under_concurrency() {
        let schemes = Schemes::default();
        let probes = std::sync::atomic::AtomicUsize::new(0);
        let probe = || async {
            probes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(Scheme::Http)
        };
        let (a, b) = tokio::join!(
            schemes.get_or_probe("127.0.0.1:5000", probe),
            schemes.get_or_probe("127.0.0.1:5000", probe)
        );
        assert_eq!((a.unwrap(), b.unwrap()), (Scheme::Http, Scheme::Http));
        let later = schemes.get_or_probe("127.0.0.1:5000", || async { Ok(Scheme::Https) });
        assert_eq!(later.await.unwrap(), Scheme::Http, "remembered");
        assert_eq!(probes.load(std::sync::atomic::Ordering::SeqCst), 1);
        let other = schemes.get_or_probe("localhost:6000", || async { Ok(Scheme::Https) });
        assert_eq!(other.await.unwrap(), Scheme::Https, "per registry");
    }

    #[tokio::test]
    async fn a_failed_probe_is_not_remembered() {
        let schemes = Schemes::default();
        let failed = schemes.get_or_probe("localhost:1", || async { anyhow::bail!("refused") });
        assert!(failed.await.is_err());
        let next = schemes.get_or_probe("localhost:1", || async { Ok(Scheme::Https) });
        assert_eq!(next.await.unwrap(), Scheme::Https);
    }

    #[test]
    fn the_total_deadline_grows_a_second_per_mib() {
        let timeout = Duration::from_secs(60);
        assert_eq!(deadline_for(timeout, 0), timeout);
        assert_eq!(
            deadline_for(timeout, 1024),
            timeout + Duration::from_nanos(976_562)
        );
        assert_eq!(
            deadline_for(timeout, 400 * 1024 * 1024),
            Duration::from_secs(60 + 400)
        );
        assert_eq!(
            deadline_for(Duration::from_secs(1), 4 * 1024 * 1024 + 512 * 1024),
            Duration::from_millis(5_500)
        );
        assert!(
            deadline_for(timeout, u64::MAX) > Duration::from_secs(1 << 40),
            "no overflow"
        );
    }

    #[test]
    fn a_mount_asks_for_pull_on_the_source_repository_too() {
        let target = Repository {
            registry: "ghcr.io".into(),
            name: "app".into(),
        };
        assert_eq!(scope_for(&target, &Access::Pull), ["repository:app:pull"]);
        assert_eq!(
            scope_for(
                &target,
                &Access::Mount {
                    from: "app/ko-build/api".into()
                }
            ),
            [
                "repository:app:pull,push",
                "repository:app/ko-build/api:pull"
            ]
        );
    }

    #[test]
    fn describes_error_envelopes() {
        let body =
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(
            describe_error_body(StatusCode::NOT_FOUND, body),
            "404 Not Found: MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(
            describe_error_body(StatusCode::BAD_GATEWAY, b"<html>nope</html>"),
            "502 Bad Gateway"
        );
    }
}
