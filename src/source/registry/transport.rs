//! HTTP transport for the distribution API: one connection pool for every registry a
//! command talks to, plain HTTP for loopback registries, and authentication that costs
//! one token request per scope, with no `GET /v2/` probe in front of requests.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::auth::{self, AuthCache, Challenge};
use crate::reference::Repository;

#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// Use plain HTTP for every registry, not only loopback ones.
    pub plain_http: bool,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// How long a connection may wait for its next bytes before the request fails.
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

pub struct Transport {
    http: reqwest::Client,
    options: TransportOptions,
    auth: Mutex<AuthCache>,
}

impl Transport {
    pub fn new(options: TransportOptions) -> Result<Transport> {
        // ring is the rustls provider ocx builds with; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("ocx/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(options.insecure)
            .connect_timeout(options.timeout.min(Duration::from_secs(30)))
            .read_timeout(options.timeout)
            .pool_max_idle_per_host(64)
            .build()
            .context("building the HTTP client")?;
        Ok(Transport {
            http,
            options,
            auth: Mutex::new(AuthCache::default()),
        })
    }

    /// `scheme://host/v2/NAME/` for a repository.
    pub fn repository_url(&self, repository: &Repository) -> String {
        let host = repository.api_host();
        let scheme = if self.options.plain_http || is_loopback(host) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{host}/v2/{}/", repository.name)
    }

    /// The origin (scheme, host, port) a repository's credentials and tokens are bound to.
    fn registry_origin(&self, repository: &Repository) -> Result<url::Origin> {
        let url = self.repository_url(repository);
        Ok(url::Url::parse(&url)
            .with_context(|| format!("invalid registry address {url:?}"))?
            .origin())
    }

    /// Sends a request built by `build`, answering an authentication challenge once.
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
        let registry = repository.api_host();
        let registry_origin = self.registry_origin(repository)?;
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
            let response = match self.http.execute(request).await {
                Ok(r) => r,
                // A refused or reset connection is worth another try; a registry that let
                // a request time out has already had --timeout to answer.
                Err(e) if attempt < MAX_ATTEMPTS && e.is_connect() && !e.is_timeout() => {
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
                Err(e) => return Err(transport_error(registry, e)),
            };
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
        let registry_origin = self.registry_origin(repository)?;
        let scope = scope_for(repository, &access);
        let authorization = self.cached_or_proactive_header(registry, &scope).await?;
        let request = build(&self.http)
            .build()
            .map_err(|e| transport_error(registry, e))?;
        let request = authorize(request, registry, &registry_origin, &authorization)?;
        self.http
            .execute(request)
            .await
            .map_err(|e| transport_error(registry, e))
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
            Challenge::Basic => credential.as_ref().and_then(|c| c.basic_header()),
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

/// localhost, 127.0.0.0/8 and ::1 are reached over plain HTTP, as docker and crane do.
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

fn transport_error(registry: &str, error: reqwest::Error) -> anyhow::Error {
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

/// Reads a response body, refusing more than `limit` bytes.
pub async fn read_body(mut response: Response, limit: u64, what: &str) -> Result<Bytes> {
    if let Some(length) = response.content_length() {
        if length > limit {
            bail!("{what} is {length} bytes, over the {limit}-byte limit");
        }
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("reading {what}"))?
    {
        if (body.len() + chunk.len()) as u64 > limit {
            bail!("{what} is over the {limit}-byte limit");
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
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

/// Turns a non-success response into an error naming what was asked and what the
/// registry said; a 404 becomes [`NotFound`](crate::source::NotFound).
pub async fn error_from_response(response: Response, what: &str) -> anyhow::Error {
    let status = response.status();
    let not_found = status == StatusCode::NOT_FOUND;
    let body = read_body(response, MAX_ERROR_BODY, "the error body")
        .await
        .unwrap_or_default();
    let said = describe_error_body(status, &body);
    let hint = match status {
        StatusCode::UNAUTHORIZED => {
            " (log in with `docker login`, or check the credentials in DOCKER_CONFIG or REGISTRY_AUTH_FILE)"
        }
        StatusCode::FORBIDDEN => " (the credentials do not allow this)",
        _ => "",
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
        let repository = Repository {
            registry: registry.into(),
            name: "app".into(),
        };
        let origin = transport.registry_origin(&repository).unwrap();
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
        ] {
            assert_eq!(sent(registry, url), None, "{registry} -> {url}");
        }
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
