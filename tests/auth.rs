//! Credentials against a real registry with htpasswd authentication: docker's
//! config.json (auths, credHelpers), podman's REGISTRY_AUTH_FILE, and the rule that
//! secrets never reach output.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use base64::Engine as _;
use common::registry::Registry;
use common::*;

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw-7731";

fn authenticated_registry() -> (Registry, tempfile::TempDir) {
    let registry = Registry::start_with_htpasswd(USER, PASSWORD);
    let (dir, layout) = sample_layout();
    let output = Command::new("skopeo")
        .args([
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            "--dest-creds",
            &format!("{USER}:{PASSWORD}"),
            &format!("oci:{}:multi-platform", layout.display()),
            &format!("docker://{}", registry.reference("private/app:1")),
        ])
        .output()
        .expect("skopeo is required (run .ci/test)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (registry, dir)
}

fn docker_config(dir: &std::path::Path, registry: &Registry, password: &str) -> String {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
    let config_dir = dir.join("docker");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.addr),
    )
    .unwrap();
    config_dir.display().to_string()
}

fn assert_no_secret(text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
    assert!(
        !text.contains(&encoded),
        "the encoded credential leaked: {text}"
    );
}

#[test]
fn anonymous_access_is_refused_with_a_hint() {
    let (registry, _dir) = authenticated_registry();
    let output = ocx(&["describe", &registry.reference("private/app:1")]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("401") && err.contains("UNAUTHORIZED"), "{err}");
    assert!(err.contains("docker login"), "{err}");
    // Missing credentials, not wrong ones: where ocx looked.
    assert!(err.contains("ocx sent no credentials"), "{err}");
    assert!(err.contains("empty-docker-config/config.json"), "{err}");
}

#[test]
fn docker_config_auths_are_used_and_never_printed() {
    let (registry, dir) = authenticated_registry();
    let config = docker_config(dir.path(), &registry, PASSWORD);
    let output = ocx_with_env(
        &["describe", &registry.reference("private/app:1"), "--json"],
        &[("DOCKER_CONFIG", &config)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let out: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_valid_describe(&out);
    assert_eq!(out["manifests"].as_object().unwrap().len(), 3);
    assert_no_secret(&stdout(&output));
    assert_no_secret(&stderr(&output));
}

#[test]
fn wrong_password_is_an_error_without_the_secret() {
    let (registry, dir) = authenticated_registry();
    let config = docker_config(dir.path(), &registry, "not-the-password");
    let output = ocx_with_env(
        &["describe", &registry.reference("private/app:1")],
        &[("DOCKER_CONFIG", &config)],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    // Wrong credentials, not missing ones: which, and from where.
    let refused = format!(
        "the credentials for {} in {config}/config.json (its auths entry) were refused",
        registry.addr
    );
    assert!(err.contains(&refused), "{err}");
}

#[test]
fn podman_auth_file_is_used() {
    let (registry, dir) = authenticated_registry();
    let config = docker_config(dir.path(), &registry, PASSWORD);
    let auth_file = format!("{config}/config.json");
    let output = ocx_with_env(
        &["describe", &registry.reference("private/app:1")],
        &[("REGISTRY_AUTH_FILE", &auth_file)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Platforms (3)"));
}

#[test]
fn credential_helpers_are_run() {
    let (registry, dir) = authenticated_registry();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-ocxtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\necho \"{{\\\"ServerURL\\\":\\\"$server\\\",\\\"Username\\\":\\\"{USER}\\\",\\\"Secret\\\":\\\"{PASSWORD}\\\"}}\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    // The helper named for this registry (credHelpers), and the store for all (credsStore).
    for (name, config) in [
        (
            "cred-helpers",
            format!(r#"{{"credHelpers":{{"{}":"ocxtest"}}}}"#, registry.addr),
        ),
        ("creds-store", r#"{"credsStore":"ocxtest"}"#.to_string()),
    ] {
        let config_dir = dir.path().join(name);
        std::fs::create_dir_all(&config_dir).unwrap();
        std::fs::write(config_dir.join("config.json"), config).unwrap();
        let output = ocx_with_env(
            &["describe", &registry.reference("private/app:1")],
            &[
                ("DOCKER_CONFIG", config_dir.to_str().unwrap()),
                ("PATH", &path),
            ],
        );
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assert_no_secret(&stdout(&output));
    }
}

#[test]
fn a_helper_with_the_wrong_password_is_named_in_the_error() {
    let (registry, dir) = authenticated_registry();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-stale");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\necho '{{\"ServerURL\":\"x\",\"Username\":\"{USER}\",\"Secret\":\"stale-pw-8812\"}}'\n"),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config_dir = dir.path().join("stale");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = format!(r#"{{"credHelpers":{{"{}":"stale"}}}}"#, registry.addr);
    std::fs::write(config_dir.join("config.json"), config).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let output = ocx_with_env(
        &["describe", &registry.reference("private/app:1")],
        &[
            ("DOCKER_CONFIG", config_dir.to_str().unwrap()),
            ("PATH", &path),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("credential helper docker-credential-stale")
            && err.contains(&format!("{}/config.json", config_dir.display()))
            && err.contains("were refused"),
        "{err}"
    );
    assert!(!err.contains("stale-pw-8812"), "{err}");
}

#[test]
fn the_verbose_trace_shows_each_request_and_no_secret() {
    let (registry, dir) = authenticated_registry();
    let config = docker_config(dir.path(), &registry, PASSWORD);
    let output = ocx_with_env(
        &["-v", "describe", &registry.reference("private/app:1")],
        &[("DOCKER_CONFIG", &config)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let trace = stderr(&output);
    // The first round's requests (the tag, the tag list, the referrers probe) leave
    // together: whichever the registry challenges first, the others may wait for its
    // credentials and never see a 401 themselves.
    let challenged = format!("trace: GET http://{}/v2/private/app/", registry.addr);
    assert!(
        trace
            .lines()
            .any(|l| l.starts_with(&challenged) && l.contains(" -> 401 Unauthorized")),
        "the challenge: {trace}"
    );
    let answered = format!(
        "trace: GET http://{}/v2/private/app/manifests/1 -> 200 OK (",
        registry.addr
    );
    assert!(trace.contains(&answered), "the answered request: {trace}");
    assert!(
        trace.contains(" bytes, ") && trace.contains(" ms)"),
        "{trace}"
    );
    assert!(
        trace.lines().filter(|l| l.starts_with("trace: ")).count() > 5,
        "{trace}"
    );
    for word in ["Basic", "Authorization"] {
        assert!(!trace.contains(word), "{word} in {trace}");
    }
    assert_no_secret(&trace);
    assert_no_secret(&stdout(&output));
    let quiet = ocx_with_env(
        &["describe", &registry.reference("private/app:1")],
        &[("DOCKER_CONFIG", &config)],
    );
    assert!(!stderr(&quiet).contains("trace:"), "{}", stderr(&quiet));
}

mod bearer {
    use super::*;
    use common::token_gateway::TokenGateway;

    fn config_for(dir: &std::path::Path, registry: &str, password: &str) -> String {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
        // Named apart from the password: the path appears in errors.
        let config_dir = dir.join("docker-config");
        std::fs::create_dir_all(&config_dir).unwrap();
        std::fs::write(
            config_dir.join("config.json"),
            format!(r#"{{"auths":{{"{registry}":{{"auth":"{auth}"}}}}}}"#),
        )
        .unwrap();
        config_dir.display().to_string()
    }

    /// One token per scope, fetched once, however many children are fetched at once,
    /// and no `GET /v2/` probe in front of any request.
    #[test]
    fn one_token_per_scope_and_no_probes() {
        let registry = Registry::start();
        push_samples(&registry, "app");
        let gateway = runtime().block_on(TokenGateway::start(&registry.addr, USER, PASSWORD));
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(dir.path(), &gateway.addr, PASSWORD);
        let reference = format!("{}/app:multi-platform", gateway.addr);
        let output = ocx_with_env(
            &["describe", &reference, "--json"],
            &[("DOCKER_CONFIG", &config)],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let out: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_valid_describe(&out);
        assert_eq!(out["manifests"].as_object().unwrap().len(), 3);
        assert_eq!(
            out["manifests"]["linux/amd64"]["sbom"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let counts = gateway.counts();
        assert_eq!(
            counts.tokens.get("repository:app:pull"),
            Some(&1),
            "{counts:?}"
        );
        assert_eq!(counts.tokens.len(), 1, "{counts:?}");
        assert_eq!(counts.version_probes, 0, "{counts:?}");
        // The first round (the manifest, and for discovery the tag list and the
        // referrers probe) may go out before any challenge is known, so up to three are
        // challenged (fewer when the token arrives before the others leave); every later
        // request carries the token.
        assert!(
            (1..=3).contains(&counts.challenges),
            "only the first round is challenged: {counts:?}"
        );
        assert!(counts.forwarded > 15, "{counts:?}");
        assert_no_secret(&stdout(&output));
        assert_no_secret(&stderr(&output));
    }

    #[test]
    fn a_refused_token_is_a_clear_error_without_the_secret() {
        let registry = Registry::start();
        push_samples(&registry, "app");
        let gateway = runtime().block_on(TokenGateway::start(&registry.addr, USER, PASSWORD));
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(dir.path(), &gateway.addr, "wrong-password-5511");
        let output = ocx_with_env(
            &["describe", &format!("{}/app:image", gateway.addr)],
            &[("DOCKER_CONFIG", &config)],
        );
        assert_eq!(output.status.code(), Some(2));
        let err = stderr(&output);
        assert!(
            err.contains("token service") && err.contains("incorrect username or password"),
            "{err}"
        );
        assert!(err.contains("repository:app:pull"), "{err}");
        assert!(!err.contains("wrong-password-5511"), "{err}");
        assert!(
            err.contains(&format!(
                "refused the credentials for {} in {config}/config.json",
                gateway.addr
            )),
            "{err}"
        );
    }

    /// The token request is traced by its realm URL (with service and scope), never the
    /// token that came back or the credentials that went.
    #[test]
    fn the_trace_of_a_token_exchange_shows_no_token() {
        let registry = Registry::start();
        push_samples(&registry, "app");
        let gateway = runtime().block_on(TokenGateway::start(&registry.addr, USER, PASSWORD));
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(dir.path(), &gateway.addr, PASSWORD);
        let output = ocx_with_env(
            &[
                "--verbose",
                "describe",
                &format!("{}/app:image", gateway.addr),
            ],
            &[("DOCKER_CONFIG", &config)],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let trace = stderr(&output);
        assert!(
            trace.contains("/token?") && trace.contains("scope=repository%3Aapp%3Apull"),
            "{trace}"
        );
        assert!(!trace.contains("Bearer"), "{trace}");
        for token in gateway.issued_tokens() {
            assert!(!trace.contains(&token), "a token in the trace: {trace}");
        }
        assert_no_secret(&trace);
    }
}

#[test]
fn blobs_are_streamed_into_a_registry_that_asks_for_credentials() {
    let (registry, dir) = authenticated_registry();
    let config = docker_config(dir.path(), &registry, PASSWORD);
    let (_layouts, layout) = sample_layout();
    let target = registry.reference("private/copied:1");
    let output = ocx_with_env(
        &[
            "index",
            "create",
            &target,
            &format!("oci:{}:image", layout.display()),
        ],
        &[("DOCKER_CONFIG", &config)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("0 blobs mounted, 2 copied"),
        "{}",
        stderr(&output)
    );
    let described = ocx_with_env(
        &["describe", &target, "--json"],
        &[("DOCKER_CONFIG", &config)],
    );
    assert!(described.status.success(), "{}", stderr(&described));
    assert_no_secret(&stderr(&output));
}
