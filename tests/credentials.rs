//! What a hostile registry can get out of ocx: credentials go only to the origin that
//! challenged for them, never to `Link` pages or redirect targets elsewhere, never in
//! clear to a token realm off loopback, never echoed from a reference; and token
//! answers are read with a limit. Every server here is a `Hostile` on 127.0.0.1 that
//! records who sent which Authorization header.

mod common;

use std::sync::Arc;

use common::hostile::{basic, image, Hostile, Image, Recorded, Reply};
use common::*;
use ocx::manifest::OCI_INDEX;

const USER: &str = "alice";
const PASSWORD: &str = "hostile-pw-4417";
const EMPTY_INDEX: &str =
    r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
const BASIC_CHALLENGE: &str = r#"Basic realm="hostile""#;

/// A registry serving `image` as 127.0.0.1:PORT/app to requests that carry `accepted`,
/// challenging the others with `challenge`; `special` answers first when it has a reply.
fn registry(
    image: &Arc<Image>,
    challenge: &str,
    accepted: String,
    special: impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static,
) -> Hostile {
    let image = image.clone();
    let challenge = challenge.to_string();
    runtime().block_on(Hostile::start(move |request| {
        if request.authorization.as_deref() != Some(accepted.as_str()) {
            return Reply::challenge(&challenge);
        }
        if let Some(reply) = special(request) {
            return reply;
        }
        image.serve(request).unwrap_or_else(|| {
            if request.path.starts_with("/v2/app/referrers/") {
                Reply::ok(OCI_INDEX, EMPTY_INDEX)
            } else {
                Reply::not_found()
            }
        })
    }))
}

fn basic_registry(
    image: &Arc<Image>,
    special: impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static,
) -> Hostile {
    registry(image, BASIC_CHALLENGE, basic(USER, PASSWORD), special)
}

fn server(route: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Hostile {
    runtime().block_on(Hostile::start(route))
}

fn reference(registry: &Hostile, image: &Image) -> String {
    format!("{}/app@{}", registry.addr, image.digest)
}

/// A DOCKER_CONFIG directory holding USER/PASSWORD for `registry` only.
fn docker_config(registry: &Hostile) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let auth = basic(USER, PASSWORD)
        .trim_start_matches("Basic ")
        .to_string();
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.addr),
    )
    .unwrap();
    dir
}

fn describe(registry: &Hostile, image: &Image, extra: &[&str]) -> std::process::Output {
    let config = docker_config(registry);
    let reference = reference(registry, image);
    let mut args = vec!["describe", reference.as_str(), "--json"];
    args.extend_from_slice(extra);
    let output = ocx_with_env(&args, &[("DOCKER_CONFIG", config.path().to_str().unwrap())]);
    assert_no_secret(&stdout(&output));
    assert_no_secret(&stderr(&output));
    output
}

fn assert_no_secret(text: &str) {
    let encoded = basic(USER, PASSWORD);
    let encoded = encoded.trim_start_matches("Basic ");
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
    assert!(
        !text.contains(encoded),
        "the encoded credential leaked: {text}"
    );
}

fn token_reply(token: &str) -> Reply {
    Reply::ok("application/json", format!(r#"{{"token":"{token}"}}"#))
}

#[test]
fn a_referrers_link_to_another_origin_is_followed_without_credentials() {
    let image = image();
    let other = server(|request| {
        if request.path.contains("/referrers/") {
            Reply::ok(OCI_INDEX, EMPTY_INDEX)
        } else {
            Reply::not_found()
        }
    });
    let next = format!("{}/v2/app/referrers/{}?page=2", other.url(), image.digest);
    let registry = basic_registry(&image, move |request| {
        request.path.starts_with("/v2/app/referrers/").then(|| {
            Reply::ok(OCI_INDEX, EMPTY_INDEX).header("Link", &format!("<{next}>; rel=\"next\""))
        })
    });
    let output = describe(&registry, &image, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        registry
            .credentialed()
            .iter()
            .any(|r| r.path.starts_with("/v2/app/referrers/")),
        "the registry's own referrers page is authenticated: {:?}",
        registry.requests()
    );
    assert!(
        other.requests().iter().any(|r| r.path.contains("page=2")),
        "the Link is followed: {:?}",
        other.requests()
    );
    assert!(
        other.credentialed().is_empty(),
        "another origin received credentials: {:?}",
        other.credentialed()
    );
}

/// Tag pages go through the same transport as `ocx tags`; the library lists them here so
/// that the credential lookup can be pointed at this test's config.
#[test]
fn a_tag_list_link_to_another_origin_is_followed_without_credentials() {
    let image = image();
    let other = server(|_| Reply::ok("application/json", r#"{"name":"app","tags":["2"]}"#));
    let next = format!("{}/v2/app/tags/list?last=1", other.url());
    let registry = basic_registry(&image, move |request| {
        request.path.starts_with("/v2/app/tags/list").then(|| {
            Reply::ok("application/json", r#"{"name":"app","tags":["1"]}"#)
                .header("Link", &format!("<{next}>; rel=\"next\""))
        })
    });
    let config = docker_config(&registry);
    // The only in-process credential lookup of this binary; ocx subprocesses get their own.
    std::env::set_var("DOCKER_CONFIG", config.path());
    let source = open_source(&format!("{}/app:1", registry.addr));
    let tags = runtime().block_on(source.tag_list()).unwrap();
    assert_eq!(tags, ["1", "2"]);
    assert!(
        !registry.credentialed().is_empty(),
        "{:?}",
        registry.requests()
    );
    assert!(
        other.credentialed().is_empty(),
        "another origin received credentials: {:?}",
        other.credentialed()
    );
}

/// The registry redirects the config blob to a storage host, which challenges with a
/// token realm on a third host: neither may see the registry's credentials.
#[test]
fn a_redirect_targets_challenge_is_not_answered_with_the_registrys_credentials() {
    let image = image();
    let realm = server(|_| token_reply("stolen"));
    let challenge = format!(r#"Bearer realm="{}/token",service="storage""#, realm.url());
    let storage = server(move |_| Reply::challenge(&challenge));
    let blob = format!("/v2/app/blobs/{}", image.config_digest);
    let redirect = format!("{}/storage/config", storage.url());
    let registry = basic_registry(&image, move |request| {
        (request.path == blob).then(|| Reply::redirect(&redirect))
    });
    // An unreadable config is recorded, not fatal, unless --strict.
    let output = describe(&registry, &image, &["--strict"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        !storage.requests().is_empty(),
        "the redirect is followed: {:?}",
        registry.requests()
    );
    assert!(
        storage.credentialed().is_empty(),
        "the storage host received credentials: {:?}",
        storage.credentialed()
    );
    assert!(
        realm.requests().is_empty(),
        "the storage host's realm was asked for a token: {:?}",
        realm.requests()
    );
    let err = stderr(&output);
    assert!(err.contains(&storage.addr) && err.contains("401"), "{err}");
}

/// 0.0.0.0 is not loopback by name, but Linux routes it to the token server on
/// 127.0.0.1, so no byte leaves the machine while ocx must treat it as remote.
fn plain_http_realm_registry(image: &Arc<Image>) -> (Hostile, Hostile, String) {
    let realm = server(|request| {
        if request.authorization.as_deref() == Some(basic(USER, PASSWORD).as_str()) {
            token_reply("good")
        } else {
            token_reply("anonymous")
        }
    });
    let realm_url = format!("http://0.0.0.0:{}/token", realm.port());
    let challenge = format!(r#"Bearer realm="{realm_url}",service="hostile""#);
    let registry = registry(image, &challenge, "Bearer good".into(), |_| None);
    (registry, realm, realm_url)
}

#[test]
fn credentials_are_not_sent_in_clear_to_a_token_realm_off_loopback() {
    let image = image();
    let (registry, realm, realm_url) = plain_http_realm_registry(&image);
    let output = describe(&registry, &image, &[]);
    assert!(
        realm.credentialed().is_empty(),
        "the plain-HTTP realm received credentials: {:?}",
        realm.credentialed()
    );
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains(&realm_url) && err.contains("--plain-http"),
        "{err}"
    );
}

#[test]
fn plain_http_allows_a_token_realm_over_plain_http() {
    let image = image();
    let (registry, realm, _) = plain_http_realm_registry(&image);
    let output = describe(&registry, &image, &["--plain-http"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(realm.credentialed().len(), 1, "{:?}", realm.requests());
}

#[test]
fn references_cannot_carry_credentials() {
    for input in [
        "alice:pw-9931@registry.example/app:1",
        "alice@registry.example/app:1",
        "https://alice:pw-9931@registry.example/app",
        "alice:pw-9931@registry.example/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        for command in ["describe", "sbom"] {
            let err = failing(&[command, input]);
            assert!(err.contains("cannot carry credentials"), "{input}: {err}");
            assert!(!err.contains("digest"), "{input}: {err}");
            for secret in ["pw-9931", "alice:", "alice@"] {
                assert!(!err.contains(secret), "{input}: {secret} echoed: {err}");
            }
        }
    }
}

const TOKEN_LIMIT: &str = "1048576";
const HUGE: u64 = 64 * 1024 * 1024;

fn registry_with_realm(image: &Arc<Image>, realm: &Hostile) -> Hostile {
    let challenge = format!(r#"Bearer realm="{}/token",service="hostile""#, realm.url());
    registry(image, &challenge, "Bearer good".into(), |_| None)
}

#[test]
fn a_huge_token_answer_is_refused_at_the_limit() {
    let image = image();
    let realm = server(|_| Reply::streamed("200 OK", r#"{"token":""#, HUGE));
    let registry = registry_with_realm(&image, &realm);
    let output = describe(&registry, &image, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains(&realm.url()) && err.contains(TOKEN_LIMIT),
        "{err}"
    );
    assert!(
        realm.streamed_bytes() < HUGE / 2,
        "ocx read {} bytes of the token answer",
        realm.streamed_bytes()
    );
}

#[test]
fn a_huge_token_refusal_is_not_read_whole() {
    let image = image();
    let realm = server(|_| {
        Reply::streamed(
            "401 Unauthorized",
            r#"{"errors":[{"code":"DENIED","message":""#,
            HUGE,
        )
    });
    let registry = registry_with_realm(&image, &realm);
    let output = describe(&registry, &image, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(err.contains(&realm.url()) && err.contains("401"), "{err}");
    assert!(
        realm.streamed_bytes() < HUGE / 2,
        "ocx read {} bytes of the refusal",
        realm.streamed_bytes()
    );
}

/// `--verbose` shows every URL ocx asks, but not what in a URL could be a secret: a
/// token realm's own query parameters, a pre-signed storage URL's signature; nor the
/// token or the credentials, which travel in headers.
#[test]
fn the_trace_shows_no_secret_from_realm_or_redirect_urls() {
    const TOKEN: &str = "issued-token-5529";
    let image = image();
    let config = image.config.clone();
    let storage = server(move |_| Reply::ok("application/octet-stream", config.clone()));
    let presigned = format!(
        "{}/blob?X-Amz-Credential=cred-secret-81&X-Amz-Signature=sig-secret-77",
        storage.url()
    );
    let realm = server(|_| token_reply(TOKEN));
    let challenge = format!(
        r#"Bearer realm="{}/token?token=realm-secret-31",service="hostile""#,
        realm.url()
    );
    let config_path = format!("/v2/app/blobs/{}", image.config_digest);
    let registry = registry(
        &image,
        &challenge,
        format!("Bearer {TOKEN}"),
        move |request| (request.path == config_path).then(|| Reply::redirect(&presigned)),
    );
    let output = describe(&registry, &image, &["--verbose"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let trace = stderr(&output);
    assert!(
        trace.contains("token=REDACTED") && trace.contains("service=hostile"),
        "{trace}"
    );
    assert!(
        trace.contains(&format!(
            "from {}/blob?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED",
            storage.url()
        )),
        "the redirect target: {trace}"
    );
    for secret in ["realm-secret-31", "sig-secret-77", "cred-secret-81", TOKEN] {
        assert!(!trace.contains(secret), "{secret} in the trace: {trace}");
    }
}
