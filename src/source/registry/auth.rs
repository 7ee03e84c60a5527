//! Registry authentication: credentials from docker's and podman's config files, the
//! `WWW-Authenticate` challenge, and bearer tokens cached per registry and scope.
//!
//! Credentials are looked up only when a registry asks for them, and never appear in
//! `Debug` output or error messages.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use serde::Deserialize;

use super::trace;
use super::transport::{describe_error_body, is_loopback, read_body, MAX_ERROR_BODY};

/// What a registry accepts, learnt from its first 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
    },
    Basic,
}

impl Challenge {
    /// Picks the challenge ocx can answer from a `WWW-Authenticate` header value.
    pub fn parse(header: &str) -> Option<Challenge> {
        let challenges = http_auth::parse_challenges(header).ok()?;
        let param = |c: &http_auth::ChallengeRef, name: &str| {
            c.params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_unescaped())
        };
        let bearer = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|c| {
                Some(Challenge::Bearer {
                    realm: param(c, "realm")?,
                    service: param(c, "service"),
                })
            });
        bearer.or_else(|| {
            challenges
                .iter()
                .any(|c| c.scheme.eq_ignore_ascii_case("basic"))
                .then_some(Challenge::Basic)
        })
    }
}

/// A credential for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    UsernamePassword {
        username: String,
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken` in docker's config).
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::UsernamePassword { username, .. } => f
                .debug_struct("UsernamePassword")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

impl Credential {
    pub fn basic_header(&self) -> Option<String> {
        match self {
            Credential::UsernamePassword { username, password } => {
                let raw = format!("{username}:{password}");
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
            Credential::IdentityToken(_) => None,
        }
    }
}

/// A credential and where it was found, for messages (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub credential: Credential,
    /// `the credentials for KEY in FILE (its auths entry | credential helper
    /// docker-credential-NAME | credential store docker-credential-NAME)`.
    pub origin: String,
}

/// Looks up the credential for a registry: podman's `REGISTRY_AUTH_FILE` first when it is
/// set, then docker's config.json (`DOCKER_CONFIG`, else ~/.docker) with its `auths`,
/// `credHelpers` and `credsStore`. `None` means anonymous.
pub fn lookup_credential(registry: &str) -> Result<Option<Found>> {
    let keys = config_keys(registry);
    for path in credential_files() {
        if let Some(found) = lookup_in_file(&path, &keys)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The files [`lookup_credential`] reads, in order.
pub fn credential_files() -> Vec<PathBuf> {
    let podman = std::env::var_os("REGISTRY_AUTH_FILE").map(PathBuf::from);
    let docker = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
        .map(|dir| dir.join("config.json"));
    podman.into_iter().chain(docker).collect()
}

/// Why a registry's 401 stands, for its error: which credentials ocx sent and where they
/// came from, or where it looked and found none.
pub fn unauthorized_note(registry: &str, used: Option<&Found>) -> String {
    match used {
        Some(found) => format!(
            "{} were refused: check them, or log in again with `docker login {registry}`",
            found.origin
        ),
        None => {
            let files: Vec<String> = credential_files()
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            let looked = match files.as_slice() {
                [] => {
                    "no credential file (neither DOCKER_CONFIG, HOME nor REGISTRY_AUTH_FILE is set)"
                        .to_string()
                }
                files => files.join(" or "),
            };
            format!(
                "ocx sent no credentials: none for {registry} in {looked}; log in with `docker login {registry}`, or point DOCKER_CONFIG or REGISTRY_AUTH_FILE at the file that has them"
            )
        }
    }
}

/// The keys a config file may use for a registry, most specific first.
fn config_keys(registry: &str) -> Vec<String> {
    if registry == "docker.io" || registry == "index.docker.io" {
        return vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
        ];
    }
    vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
    ]
}

fn lookup_in_file(path: &std::path::Path, keys: &[String]) -> Result<Option<Found>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let found = |credential, key: &str| {
        let origin = format!(
            "the credentials for {key} in {} ({})",
            path.display(),
            provider(&text, key)
        );
        Ok(Some(Found { credential, origin }))
    };
    for key in keys {
        match docker_credential::get_credential_from_reader(text.as_bytes(), key) {
            Ok(docker_credential::DockerCredential::UsernamePassword(username, password)) => {
                return found(Credential::UsernamePassword { username, password }, key)
            }
            Ok(docker_credential::DockerCredential::IdentityToken(token)) => {
                return found(Credential::IdentityToken(token), key)
            }
            Err(docker_credential::CredentialRetrievalError::NoCredentialConfigured) => continue,
            Err(e) => {
                return Err(anyhow!("{e}")).with_context(|| {
                    format!("reading the credential for {key} from {}", path.display())
                })
            }
        }
    }
    Ok(None)
}

/// Which part of a config file gave the credential for `key`, in docker's order: a
/// `credHelpers` entry, the `auths` entry, else the `credsStore`.
fn provider(config: &str, key: &str) -> String {
    let config: serde_json::Value = serde_json::from_str(config).unwrap_or_default();
    let named = |field: &str| {
        config[field]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(helper) = config["credHelpers"][key]
        .as_str()
        .filter(|s| !s.is_empty())
    {
        format!("credential helper docker-credential-{helper}")
    } else if config["auths"].get(key).is_some() {
        "its auths entry".into()
    } else if let Some(store) = named("credsStore") {
        format!("credential store docker-credential-{store}")
    } else {
        "its auths entry".into()
    }
}

/// Refuses a token realm that credentials would reach in clear: plain HTTP to a host
/// that is not loopback, unless the user asked for plain HTTP with `--plain-http`.
pub fn check_realm_for_credentials(realm: &str, plain_http: bool) -> Result<()> {
    let url = url::Url::parse(realm).with_context(|| format!("invalid token realm {realm:?}"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if plain_http || url.host_str().is_some_and(is_loopback) => Ok(()),
        "http" => bail!(
            "the token realm {realm} is plain HTTP on a host that is not loopback: ocx does not send credentials there in clear (pass --plain-http to allow it)"
        ),
        other => bail!("the token realm {realm} has the scheme {other}: only https and http are spoken"),
    }
}

/// Tokens are a few KiB at most; the answer is read in memory, so it is bounded.
const MAX_TOKEN_BODY: u64 = 1024 * 1024;

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

/// Exchanges a credential (or nothing, for anonymous pulls) for a bearer token, within
/// `deadline` for the whole exchange.
pub async fn fetch_token(
    http: &reqwest::Client,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    found: Option<&Found>,
    deadline: std::time::Duration,
) -> Result<String> {
    let credential = found.map(|f| &f.credential);
    let mut url =
        url::Url::parse(realm).with_context(|| format!("invalid token realm {realm:?}"))?;
    let request = match credential {
        Some(Credential::IdentityToken(refresh_token)) => {
            let mut form: Vec<(&str, &str)> = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", "ocx"),
            ];
            if let Some(s) = service {
                form.push(("service", s));
            }
            let scope = scopes.join(" ");
            form.push(("scope", &scope));
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            http.post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
        }
        _ => {
            {
                let mut query = url.query_pairs_mut();
                if let Some(s) = service {
                    query.append_pair("service", s);
                }
                for scope in scopes {
                    query.append_pair("scope", scope);
                }
            }
            let mut request = http.get(url);
            if let Some(header) = credential.and_then(Credential::basic_header) {
                request = request.header("Authorization", header);
            }
            request
        }
    };
    let request = request
        .timeout(deadline)
        .build()
        .with_context(|| format!("requesting a token from {realm}"))?;
    let (method, url) = (request.method().clone(), request.url().clone());
    let started = std::time::Instant::now();
    let sent = http.execute(request).await;
    let outcome = match &sent {
        Ok(response) => trace::Outcome::Answered(response),
        Err(e) => trace::Outcome::Failed(trace::failure_kind(e)),
    };
    trace::request(&method, &url, outcome, started.elapsed(), 1);
    let response = match sent {
        Err(e) if e.is_timeout() => bail!(
            "requesting a token from {realm} timed out: no answer within {} s (--timeout)",
            deadline.as_secs()
        ),
        other => other.with_context(|| format!("requesting a token from {realm}"))?,
    };
    let status = response.status();
    if !status.is_success() {
        let body = read_body(response, MAX_ERROR_BODY, "the token service's error")
            .await
            .unwrap_or_default();
        bail!(
            "the token service {realm} refused {} for {}: {}",
            match found {
                Some(found) => found.origin.as_str(),
                None => "an anonymous token",
            },
            scopes.join(" "),
            describe_error_body(status, &body)
        );
    }
    let what = format!("the answer of the token service {realm}");
    let body = read_body(response, MAX_TOKEN_BODY, &what).await?;
    let parsed: TokenResponse = serde_json::from_slice(&body)
        .with_context(|| format!("the token service {realm} sent an unreadable answer"))?;
    parsed
        .token
        .or(parsed.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| anyhow!("the token service {realm} sent no token"))
}

/// Per-registry state: the challenge once known and the Authorization header per scope.
#[derive(Default)]
pub struct AuthCache {
    pub challenges: HashMap<String, Challenge>,
    pub headers: HashMap<(String, String), String>,
    pub credentials: HashMap<String, Option<Found>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic_challenges() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into())
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="x""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn credentials_reach_a_token_realm_only_over_tls_or_loopback() {
        for realm in [
            "https://auth.example/token",
            "http://127.0.0.1:5000/token",
            "http://localhost/token",
            "http://[::1]:8080/token",
        ] {
            assert!(check_realm_for_credentials(realm, false).is_ok(), "{realm}");
        }
        for realm in [
            "http://auth.example/token",
            "http://0.0.0.0:5000/token",
            "http://10.0.0.1/token",
        ] {
            let err = check_realm_for_credentials(realm, false).unwrap_err();
            assert!(format!("{err}").contains(realm), "{err}");
            assert!(check_realm_for_credentials(realm, true).is_ok(), "{realm}");
        }
        assert!(check_realm_for_credentials("ftp://auth.example/token", true).is_err());
        assert!(check_realm_for_credentials("not a url", false).is_err());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credential::UsernamePassword {
            username: "me".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(
            !format!("{:?}", Credential::IdentityToken("tok-secret".into())).contains("secret")
        );
    }

    #[test]
    fn reads_auths_from_a_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("user:pa:ss");
        std::fs::write(
            &path,
            format!(r#"{{"auths":{{"localhost:5000":{{"auth":"{auth}"}}}}}}"#),
        )
        .unwrap();
        let found = lookup_in_file(&path, &config_keys("localhost:5000"))
            .unwrap()
            .unwrap();
        assert_eq!(
            found.credential,
            Credential::UsernamePassword {
                username: "user".into(),
                password: "pa:ss".into()
            }
        );
        assert_eq!(
            found.origin,
            format!(
                "the credentials for localhost:5000 in {} (its auths entry)",
                path.display()
            )
        );
        assert!(!found.origin.contains("pa:ss") && !format!("{found:?}").contains("pa:ss"));
        assert_eq!(
            lookup_in_file(&path, &config_keys("other:1")).unwrap(),
            None
        );
    }
}
