//! The transport against registries that drip, refuse and speak TLS on loopback: every
//! request has a total deadline, a refused loopback port fails at once, and a loopback
//! registry is tried over HTTPS first, then plain HTTP, once per run.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::hostile::{Hostile, Reply};
use common::registry::{free_port, Registry};
use common::*;
use ocx::digest::Digest;
use ocx::manifest::{OCI_CONFIG, OCI_MANIFEST};

const CONFIG: &str =
    r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;

fn manifest() -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{OCI_CONFIG}","digest":"{}","size":{}}},"layers":[]}}"#,
        Digest::sha256_of(CONFIG.as_bytes()),
        CONFIG.len()
    )
}

/// A registry serving one image as ADDR/app:1, its manifest reply shaped by `shape`.
fn image_registry(shape: impl Fn(Reply) -> Reply + Send + Sync + 'static) -> Hostile {
    registry_serving(manifest(), shape)
}

fn registry_serving(
    manifest: String,
    shape: impl Fn(Reply) -> Reply + Send + Sync + 'static,
) -> Hostile {
    runtime().block_on(Hostile::start(move |request| {
        if request.path == "/v2/app/manifests/1" {
            shape(Reply::ok(OCI_MANIFEST, manifest.clone()))
        } else if request.path.starts_with("/v2/app/blobs/") {
            Reply::ok("application/octet-stream", CONFIG)
        } else {
            Reply::not_found()
        }
    }))
}

/// Runs ocx, killing it after `limit` so that a regression fails instead of hanging.
fn ocx_within(limit: Duration, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let cache = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocx"))
        .args(args)
        .env("DOCKER_CONFIG", tempfile::tempdir().unwrap().path())
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running ocx");
    while child.try_wait().unwrap().is_none() && started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    (output, started.elapsed())
}

/// A manifest that would take 10 s to arrive, a byte at a time, each byte well within
/// the 1 s idle timeout.
fn ten_second_drip() -> Duration {
    Duration::from_secs(10) / manifest().len() as u32
}

fn assert_deadline_error(output: &Output, elapsed: Duration, registry: &Hostile, what: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{elapsed:?}: {err}");
    // The deadline is 1 s; process start and a loaded machine get the rest.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}: {err}");
    for needle in [registry.addr.as_str(), what, "deadline", "--timeout"] {
        assert!(err.contains(needle), "{needle:?} in {err}");
    }
}

#[test]
fn a_manifest_body_dripped_slowly_fails_at_the_total_deadline() {
    let every = ten_second_drip();
    let registry = image_registry(move |reply| reply.drip_body(every));
    let reference = format!("{}/app:1", registry.addr);
    let args = ["--timeout", "1", "describe", &reference, "--no-sbom"];
    let (output, elapsed) = ocx_within(Duration::from_secs(30), &args);
    assert_deadline_error(&output, elapsed, &registry, "manifest");
}

#[test]
fn response_headers_dripped_slowly_fail_at_the_total_deadline() {
    let every = ten_second_drip();
    let registry = image_registry(move |reply| reply.drip_everything(every));
    let reference = format!("{}/app:1", registry.addr);
    let args = ["--timeout", "1", "describe", &reference, "--no-sbom"];
    let (output, elapsed) = ocx_within(Duration::from_secs(30), &args);
    assert_deadline_error(&output, elapsed, &registry, "/v2/app/manifests/1");
}

#[test]
fn a_body_that_stops_arriving_fails_at_the_idle_timeout() {
    // 2 MiB of manifest gives a total deadline of 3 s, so the idle timeout (1 s after the
    // first byte) is what must end the read.
    let padded = manifest().replacen(
        '{',
        &format!("{{\"annotations\":{{\"pad\":\"{}\"}},", "x".repeat(2 << 20)),
        1,
    );
    let registry = registry_serving(padded, |reply| reply.drip_body(Duration::from_secs(5)));
    let reference = format!("{}/app:1", registry.addr);
    let args = ["--timeout", "1", "describe", &reference, "--no-sbom"];
    let (output, elapsed) = ocx_within(Duration::from_secs(30), &args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}: {err}");
    assert!(
        err.contains(&registry.addr) && err.contains("nothing arrived for 1 s (--timeout)"),
        "{err}"
    );
}

#[test]
fn an_honest_registry_within_the_deadline_is_read() {
    let registry = image_registry(|reply| reply);
    let reference = format!("{}/app:1", registry.addr);
    let out = ocx_ok(&["--timeout", "1", "describe", &reference, "--no-sbom"]);
    assert!(out.contains("linux/amd64"), "{out}");
}

#[test]
fn a_refused_connection_on_loopback_fails_at_once() {
    let addr = format!("127.0.0.1:{}", free_port());
    let reference = format!("{addr}/app:1");
    let (output, elapsed) = ocx_within(Duration::from_secs(30), &["describe", &reference]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&addr) && err.contains("connection refused"),
        "{err}"
    );
    // Only the path that does not retry says so; retries cost 600 ms of pauses alone,
    // which a loaded machine's process start can match, so time only guards a hang.
    assert!(err.contains("nothing listens"), "{err}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}: {err}");
}

#[test]
fn a_plain_http_loopback_registry_is_probed_over_tls_once_per_run() {
    let registry = image_registry(|reply| reply);
    let reference = format!("{}/app:1", registry.addr);
    let out = ocx_ok(&["describe", &reference]);
    assert!(out.contains("linux/amd64"), "{out}");
    assert!(registry.requests().len() > 2, "{:?}", registry.requests());
    assert_eq!(
        registry.tls_hellos(),
        1,
        "one HTTPS attempt, then plain HTTP"
    );
    ocx_ok(&["--plain-http", "describe", &reference]);
    assert_eq!(registry.tls_hellos(), 1, "--plain-http never tries HTTPS");
    // The trace calls the failed HTTPS attempt what it is: the probe, not a fault.
    let output = ocx(&["-v", "describe", &reference, "--no-sbom"]);
    let trace = stderr(&output);
    assert!(output.status.success(), "{trace}");
    let probe = format!("trace: HEAD https://{}/v2/ -> no TLS (", registry.addr);
    assert!(
        trace.starts_with(&probe)
            && trace
                .lines()
                .next()
                .unwrap()
                .ends_with("ms): HTTPS probe of a loopback registry, plain HTTP is used"),
        "{trace}"
    );
}

/// A distribution registry serving HTTPS with a self-signed certificate, holding the
/// samples (pushed with the certificate accepted).
fn tls_registry() -> Registry {
    let registry = Registry::start_tls();
    ocx_ok(&[
        "--insecure",
        "generate",
        "--samples",
        &registry.reference("app"),
    ]);
    registry
}

#[test]
fn a_loopback_registry_serving_https() {
    let registry = tls_registry();
    let reference = registry.reference("app:image");

    let described = describe_json(&["--insecure", &reference]);
    assert_eq!(described["reference"], reference.as_str(), "{described}");

    let err = failing(&["describe", &reference]);
    assert!(
        err.contains("certificate") && err.contains("--insecure"),
        "a certificate error, not a downgrade to plain HTTP: {err}"
    );
    assert!(!err.contains("HTTP request to an HTTPS server"), "{err}");

    // Trusting an `openssl req -x509` certificate makes it a CA serving as its own server
    // certificate, which webpki refuses: said in words, not as rustls' debug text.
    let trusted = ocx_with_env(
        &["describe", &reference, "--no-sbom"],
        &[("SSL_CERT_FILE", registry.certificate().to_str().unwrap())],
    );
    let err = stderr(&trusted);
    assert_eq!(trusted.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "cannot reach registry {}: its TLS certificate is refused: it is a CA certificate \
             used as the server's own (self-signed): make a CA and a server certificate signed \
             by it, trust the CA, or, for a registry you trust, pass --insecure",
            registry.addr
        )) && !err.contains("CaUsedAsEndEntity"),
        "{err}"
    );

    let err = failing(&["--plain-http", "--insecure", "describe", &reference]);
    assert!(
        err.contains("HTTP request to an HTTPS server") && err.contains("--plain-http"),
        "{err}"
    );
    assert!(std::fs::read(registry.certificate()).is_ok());
}

#[test]
fn credentials_reach_a_loopback_registry_over_the_https_it_speaks() {
    let registry = Registry::start_tls_with_htpasswd("alice", "tls-pw-5521");
    let config = tempfile::tempdir().unwrap();
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "alice:tls-pw-5521",
    );
    std::fs::write(
        config.path().join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.addr),
    )
    .unwrap();
    let reference = registry.reference("app:missing");
    let env = [("DOCKER_CONFIG", config.path().to_str().unwrap())];

    // Accepted credentials get past the challenge to the registry's own answer.
    let output = ocx_with_env(&["--insecure", "describe", &reference], &env);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("MANIFEST_UNKNOWN"), "{err}");
    assert!(!err.contains("tls-pw-5521"), "{err}");

    let anonymous = failing(&["--insecure", "describe", &reference]);
    assert!(anonymous.contains("401"), "{anonymous}");
}

#[test]
fn a_registry_certificate_is_verified_against_the_trusted_roots() {
    let registry = Registry::start_tls_issued_by_authority();
    ocx_ok(&[
        "--insecure",
        "generate",
        "--samples",
        &registry.reference("app"),
    ]);
    let reference = registry.reference("app:image");
    let system_roots = ocx_with_env(&["describe", &reference, "--no-sbom"], &[]);
    let err = stderr(&system_roots);
    assert_eq!(system_roots.status.code(), Some(2), "{err}");
    assert!(
        err.contains("its TLS certificate is refused: it is not signed by a trusted authority")
            && err.contains("--insecure"),
        "{err}"
    );

    let authority = registry.authority();
    let trusted = ocx_with_env(
        &["describe", &reference, "--no-sbom"],
        &[("SSL_CERT_FILE", authority.to_str().unwrap())],
    );
    assert!(trusted.status.success(), "{}", stderr(&trusted));
    assert!(
        stdout(&trusted).contains("linux/amd64"),
        "{}",
        stdout(&trusted)
    );
}

/// Roots are read on the first certificate to verify: with none readable, a layout and a
/// plain-HTTP registry are still read, and only HTTPS fails, saying why.
#[test]
fn trusted_roots_are_read_only_when_a_certificate_is_verified() {
    let missing = tempfile::tempdir().unwrap().path().join("roots.pem");
    let no_roots = [
        ("SSL_CERT_FILE", missing.to_str().unwrap()),
        ("SSL_CERT_DIR", ""),
    ];
    let (_dir, layout) = sample_layout();
    let layout_ref = format!("oci:{}:image", layout.display());
    let plain = image_registry(|reply| reply);
    let plain_ref = format!("{}/app:1", plain.addr);
    for reference in [&layout_ref, &plain_ref] {
        let output = ocx_with_env(&["describe", reference, "--no-sbom"], &no_roots);
        assert!(output.status.success(), "{reference}: {}", stderr(&output));
    }

    let tls = Registry::start_tls();
    let output = ocx_with_env(
        &["describe", &tls.reference("app:image"), "--no-sbom"],
        &no_roots,
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no trusted root certificate") && err.contains("roots.pem"),
        "{err}"
    );
}

/// A token realm that stalls: the error says which limit ended the wait, and how to
/// raise it.
#[test]
fn a_stalled_token_realm_fails_naming_timeout() {
    let realm = runtime().block_on(Hostile::start(|_| {
        Reply::ok("application/json", r#"{"token":"t"}"#).drip_everything(Duration::from_secs(10))
    }));
    let challenge = format!(r#"Bearer realm="{}/token",service="stall""#, realm.url());
    let registry = runtime().block_on(Hostile::start(move |_| Reply::challenge(&challenge)));
    let reference = format!("{}/app:1", registry.addr);
    let args = ["--timeout", "1", "describe", &reference, "--no-sbom"];
    let (output, elapsed) = ocx_within(Duration::from_secs(30), &args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}: {err}");
    assert!(
        err.contains(&realm.url()) && err.contains("within 1 s (--timeout)"),
        "{err}"
    );
}

/// `-v` shows a retried request: the 503, the wait, then the second attempt.
#[test]
fn the_trace_shows_each_attempt_of_a_retried_request() {
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let registry = image_registry(move |reply| {
        if answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::new("503 Service Unavailable", "").header("Retry-After", "0")
        } else {
            reply
        }
    });
    let reference = format!("{}/app:1", registry.addr);
    let output = ocx(&["-v", "describe", &reference, "--no-sbom"]);
    let trace = stderr(&output);
    assert!(output.status.success(), "{trace}");
    let manifest = format!("GET http://{}/v2/app/manifests/1", registry.addr);
    assert!(
        trace.contains(&format!(
            "trace: {manifest} -> 503 Service Unavailable (0 bytes, "
        )),
        "{trace}"
    );
    assert!(
        trace.contains("trace: retrying in 0.0 s (attempt 2)"),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("trace: {manifest} -> 200 OK ("))
            && trace.contains("ms), attempt 2"),
        "{trace}"
    );
}
