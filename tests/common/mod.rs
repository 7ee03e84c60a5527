//! Test harness: real registries started on free loopback ports, the ocx binary, and
//! the JSON Schema check every describe output goes through.
#![allow(dead_code)]

pub mod fixtures;
pub mod hostile;
pub mod pty;
pub mod registry;
pub mod token_gateway;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use serde_json::Value;

/// Runs the ocx binary with an empty docker config, so no user credential is read, and
/// an empty cache of its own, so that every run asks the registry as a first run does
/// (tests/cache.rs shares one between runs on purpose, through `env`).
pub fn ocx(args: &[&str]) -> Output {
    ocx_with_env(args, &[])
}

pub fn ocx_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let docker_config = empty_docker_config();
    let cache = tempfile::tempdir().expect("creating a cache directory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_ocx"));
    command
        .args(args)
        .env("DOCKER_CONFIG", docker_config)
        .env_remove("REGISTRY_AUTH_FILE")
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove("OCX_CACHE_SIZE")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("running ocx")
}

/// A directory without a config.json, under target/ rather than a temp dir that a
/// static would never remove.
fn empty_docker_config() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("empty-docker-config");
        std::fs::create_dir_all(&dir).expect("creating the empty docker config dir");
        dir
    })
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs ocx, expects it to fail with status 2 and nothing on stdout, returns stderr.
pub fn failing(args: &[&str]) -> String {
    let output = ocx(args);
    assert_eq!(
        output.status.code(),
        Some(2),
        "ocx {args:?} should fail: {}",
        stdout(&output)
    );
    assert!(stdout(&output).is_empty(), "nothing half-written to stdout");
    stderr(&output)
}

/// `ocx describe ARGS --json` of a tree with a part that cannot be read: it succeeds,
/// counts the failure, warns on stderr, and `--strict` fails instead (exit 2, nothing on
/// stdout). Returns the JSON and the `--strict` error.
pub fn describe_with_failure(args: &[&str]) -> (Value, String) {
    let mut full = vec!["describe"];
    full.extend_from_slice(args);
    full.push("--json");
    let output = ocx(&full);
    assert!(
        output.status.success(),
        "a part that cannot be read is recorded, not fatal: {}",
        stderr(&output)
    );
    let value: Value = serde_json::from_str(&stdout(&output)).expect("describe --json prints JSON");
    assert_valid_describe(&value);
    assert!(
        value["failures"].as_u64().unwrap_or(0) >= 1,
        "failures counted: {value}"
    );
    assert!(
        stderr(&output).contains("warning: "),
        "warned: {}",
        stderr(&output)
    );
    full.push("--strict");
    (value, failing(&full))
}

/// Runs ocx, expects success, returns stdout.
pub fn ocx_ok(args: &[&str]) -> String {
    let output = ocx(args);
    assert!(
        output.status.success(),
        "ocx {args:?} failed ({:?}):\n{}",
        output.status.code(),
        stderr(&output)
    );
    stdout(&output)
}

/// `ocx sbom ARGS --json`, validated against schema/sbom.v1.json.
pub fn sbom_json(args: &[&str]) -> Value {
    let mut full = vec!["sbom"];
    full.extend_from_slice(args);
    full.push("--json");
    let out = ocx_ok(&full);
    let value: Value = serde_json::from_str(&out).expect("sbom --json prints JSON");
    assert_valid(&value, ocx::schema::SBOM_V1, "sbom");
    value
}

fn assert_valid(value: &Value, schema: &str, what: &str) {
    let schema: Value = serde_json::from_str(schema).expect("schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} output violates its schema:\n{}",
        errors.join("\n")
    );
}

/// A Python tool the tests run (installed by .ci/test into target/ci-venv).
pub fn python_tool(name: &str) -> PathBuf {
    let venv = repo_root().join("target/ci-venv/bin").join(name);
    if venv.is_file() {
        return venv;
    }
    registry::which(name).unwrap_or_else(|| panic!("{name} is not installed: run .ci/test"))
}

/// `ocx describe ARGS --json`, validated against schema/describe.v1.json.
pub fn describe_json(args: &[&str]) -> Value {
    let mut full = vec!["describe"];
    full.extend_from_slice(args);
    full.push("--json");
    let out = ocx_ok(&full);
    let value: Value = serde_json::from_str(&out).expect("describe --json prints JSON");
    assert_valid_describe(&value);
    value
}

pub fn assert_valid_diff(value: &Value) {
    assert_valid(value, ocx::schema::DIFF_V1, "diff");
}

pub fn assert_valid_sbom(value: &Value) {
    assert_valid(value, ocx::schema::SBOM_V1, "sbom");
}

pub fn assert_valid_describe(value: &Value) {
    assert_valid(value, ocx::schema::DESCRIBE_V1, "describe");
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the sample layout in a temp dir, written by the same code as examples/.
pub fn sample_layout() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layout");
    ocx_ok(&["generate", "--samples", &format!("oci:{}", path.display())]);
    (dir, path)
}

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

/// Pushes every sample to `registry/REPO`, tagged as in the example layout.
pub fn push_samples(registry: &registry::Registry, repo: &str) {
    ocx_ok(&["generate", "--samples", &registry.reference(repo)]);
}

/// A registry or layout source through ocx's own library.
pub fn open_source(reference: &str) -> std::sync::Arc<dyn ocx::source::Source> {
    let target = ocx::reference::Target::parse(reference).unwrap();
    let session = ocx::source::Session::new(Default::default()).unwrap();
    std::sync::Arc::new(session.open(&target).unwrap().0)
}

/// Asserts two JSON values are equal, naming every path where they differ.
pub fn assert_json_eq(left: &Value, right: &Value, context: &str) {
    let mut differences = Vec::new();
    json_differences(left, right, String::new(), &mut differences);
    assert!(
        differences.is_empty(),
        "{context}: JSON differs:\n{}",
        differences.join("\n")
    );
}

fn json_differences(left: &Value, right: &Value, path: String, out: &mut Vec<String>) {
    match (left, right) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let next = format!("{path}/{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => json_differences(x, y, next, out),
                    (x, y) => out.push(format!("{next}: {x:?} != {y:?}")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                json_differences(x, y, format!("{path}/{i}"), out);
            }
        }
        (a, b) if a != b => out.push(format!("{path}: {a} != {b}")),
        _ => {}
    }
}

/// Removes what legitimately differs between sources that hold the same content: where
/// SBOMs were looked for (a layout has no referrers API to be absent) and the convention
/// each package and referrer was found through (referrers API vs. its tag fallback).
pub fn strip_discovery_paths(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("sbom_sources");
            if let Some(Value::Array(referrers)) = map.get_mut("referrers") {
                for referrer in referrers {
                    referrer.as_object_mut().unwrap().remove("convention");
                }
            }
            if let Some(Value::Array(packages)) = map.get_mut("sbom") {
                for package in packages {
                    for source in package["sources"].as_array_mut().into_iter().flatten() {
                        source.as_object_mut().unwrap().remove("convention");
                    }
                }
            }
            for child in map.values_mut() {
                strip_discovery_paths(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_discovery_paths),
        _ => {}
    }
}

/// Runs a tool the tests need, failing with its stderr when it fails.
pub fn run_tool(command: &mut std::process::Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} is required (run .ci/test to install it): {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Answers a TLS ClientHello (ocx tries HTTPS first on loopback) as a plain-HTTP server
/// such as distribution does: 400 Bad Request, then hang up. True when it did.
pub async fn answered_tls_hello(reader: &mut tokio::io::BufReader<tokio::net::TcpStream>) -> bool {
    // A TLS record starts with 0x16 (handshake); no HTTP method does.
    let tls = matches!(reader.fill_buf().await, Ok([0x16, ..]));
    if tls {
        let refusal = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        let _ = reader.get_mut().write_all(refusal).await;
    }
    tls
}

/// The conventions that found an SBOM for one manifest of a describe output, in the
/// order its `sbom_sources` lists them.
pub fn found_conventions(subject: &Value) -> Vec<String> {
    subject["sbom_sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "found")
        .map(|s| s["convention"].as_str().unwrap().to_string())
        .collect()
}
