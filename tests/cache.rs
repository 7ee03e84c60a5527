//! The cache on disk, against a real distribution registry behind a proxy that records
//! every request: what a second run asks, what a pinned run asks (nothing), that a
//! corrupt entry is fetched again and repaired, that `--no-cache` leaves the directory
//! alone, that a moved tag is seen, and that processes sharing a tiny cache all succeed.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use common::{ocx_with_env, push_samples, registry, stderr, stdout};
use ocx::reference::ManifestRef;

/// A TCP proxy to the registry that records the request line of every HTTP request and
/// counts connections. Dropping it closes the port.
struct CountingProxy {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl CountingProxy {
    fn start(upstream: &str) -> CountingProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let connections: Arc<AtomicUsize> = Arc::default();
        let (log, count, upstream) = (requests.clone(), connections.clone(), upstream.to_string());
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(forward(client, upstream.clone(), log.clone()));
            }
        });
        CountingProxy {
            addr,
            requests,
            connections,
            runtime: Some(runtime),
        }
    }

    /// The requests recorded since the last call, as `METHOD PATH`.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.requests.lock().unwrap())
    }

    fn reference(&self, name: &str) -> String {
        format!("{}/{name}", self.addr)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn forward(client: TcpStream, upstream: String, log: Arc<Mutex<Vec<String>>>) {
    let Ok(server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async move {
        let mut buffer = vec![0; 64 * 1024];
        while let Ok(n) = client_read.read(&mut buffer).await {
            if n == 0 || record_request(&buffer[..n], &log).is_none() {
                break;
            }
            if server_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let responses = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    };
    tokio::join!(requests, responses);
}

/// Records the request line a chunk starts with (clients here send each request's head
/// in one write and only GET and HEAD go through the proxy); `None` for anything else,
/// which ends the connection so that a test sees it.
fn record_request(chunk: &[u8], log: &Mutex<Vec<String>>) -> Option<()> {
    let line = chunk.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split(' ');
    let (method, path) = (words.next()?, words.next()?);
    if !matches!(method, "GET" | "HEAD") {
        return None;
    }
    log.lock().unwrap().push(format!("{method} {path}"));
    Some(())
}

/// ocx over plain HTTP with its cache in `cache`.
fn ocx_cached(cache: &Path, args: &[&str]) -> Output {
    let mut full = vec!["--plain-http"];
    full.extend_from_slice(args);
    ocx_with_env(&full, &[("XDG_CACHE_HOME", cache.to_str().unwrap())])
}

fn describe(cache: &Path, args: &[&str]) -> Value {
    let mut full = vec!["describe", "--json"];
    full.extend_from_slice(args);
    let output = ocx_cached(cache, &full);
    assert!(
        output.status.success(),
        "ocx {full:?} failed:\n{}",
        stderr(&output)
    );
    let mut value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    common::assert_valid_describe(&value);
    value.as_object_mut().unwrap().remove("reference");
    value
}

/// A registry with the samples in `repo`, and a proxy to it.
fn samples(repo: &str) -> CountingProxy {
    let registry = registry::shared();
    push_samples(registry, repo);
    CountingProxy::start(&registry.addr)
}

/// Every cache entry and its bytes and modification time.
fn snapshot(cache: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    walk_files(cache)
        .into_iter()
        .map(|path| {
            let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
            let bytes = std::fs::read(&path).unwrap();
            (path, (bytes, modified))
        })
        .collect()
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The cache entry of a digest (`sha256:…`).
fn entry_of(cache: &Path, digest: &str) -> PathBuf {
    let hex = digest.strip_prefix("sha256:").unwrap();
    let found: Vec<_> = walk_files(cache)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(hex))
        .collect();
    assert_eq!(found.len(), 1, "one entry for {digest}: {found:?}");
    found.into_iter().next().unwrap()
}

fn digest_of(value: &Value) -> String {
    value["descriptor"]["digest"].as_str().unwrap().to_string()
}

fn sorted(mut requests: Vec<String>) -> Vec<String> {
    requests.sort();
    requests
}

fn manifests_by_digest(requests: &[String]) -> usize {
    requests
        .iter()
        .filter(|r| r.contains("/manifests/sha256:"))
        .count()
}

#[test]
fn a_second_describe_asks_only_the_tag_and_a_pinned_one_asks_nothing() {
    let proxy = samples("cache/warm");
    let cache = tempfile::tempdir().unwrap();
    let reference = proxy.reference("cache/warm:multi-platform");

    let cold = describe(cache.path(), &[&reference, "--no-sbom"]);
    let cold_requests = proxy.take();
    assert!(cold_requests.len() > 3, "{cold_requests:?}");

    let warm = describe(cache.path(), &[&reference, "--no-sbom"]);
    assert_eq!(
        proxy.take(),
        ["GET /v2/cache/warm/manifests/multi-platform"],
        "a second describe asks the tag once, nothing else"
    );
    common::assert_json_eq(&cold, &warm, "warm describe");

    let connections = proxy.connections.load(Ordering::SeqCst);
    let pinned = format!("{}@{}", proxy.reference("cache/warm"), digest_of(&cold));
    let by_digest = describe(cache.path(), &[&pinned, "--no-sbom"]);
    assert_eq!(proxy.take(), Vec::<String>::new());
    assert_eq!(proxy.connections.load(Ordering::SeqCst), connections);
    common::assert_json_eq(&cold, &by_digest, "pinned describe");

    drop(proxy);
    let offline = describe(cache.path(), &[&pinned, "--no-sbom"]);
    common::assert_json_eq(&cold, &offline, "pinned describe, registry gone");
}

#[test]
fn discovery_asks_tags_and_referrers_again_but_no_content() {
    let proxy = samples("cache/sbom");
    let cache = tempfile::tempdir().unwrap();
    let reference = proxy.reference("cache/sbom:multi-platform");

    let cold = describe(cache.path(), &[&reference]);
    let cold_requests = proxy.take();
    assert!(cold_requests.iter().any(|r| r.contains("/blobs/")));
    let warm = describe(cache.path(), &[&reference]);
    let warm_requests = proxy.take();
    common::assert_json_eq(&cold, &warm, "warm describe with SBOMs");
    assert!(!cold["sbom"].as_array().unwrap().is_empty(), "{cold}");

    let content: Vec<_> = warm_requests
        .iter()
        .filter(|r| r.contains("/blobs/") || r.contains("/manifests/sha256:"))
        .collect();
    assert_eq!(
        content,
        Vec::<&String>::new(),
        "content comes from the cache"
    );
    // The referrers API is left out: once it answers 404, discovery stops asking it, and
    // how many asks went out before that depends on how fast the walk went.
    let tags = |requests: &[String]| {
        let tags = requests
            .iter()
            .filter(|r| !r.contains("/referrers/") && !r.ends_with("/manifests/multi-platform"))
            .cloned()
            .collect();
        sorted(tags)
    };
    assert!(!tags(&warm_requests).is_empty());
    assert_eq!(
        tags(&warm_requests),
        tags(&cold_requests)
            .into_iter()
            .filter(|r| !r.contains("/blobs/") && !r.contains("/manifests/sha256:"))
            .collect::<Vec<_>>(),
        "every tag discovery asks is asked again"
    );
    assert!(warm_requests.iter().any(|r| r.contains("/referrers/")));
    assert_convention_tags_not_kept(cache.path(), &cold);
}

/// A manifest found under a cosign tag is asked again by its tag on every run: the cache
/// does not keep it, only the document it names by digest.
fn assert_convention_tags_not_kept(cache: &Path, described: &Value) {
    let mut cosign = Vec::new();
    let mut subjects = vec![described];
    while let Some(subject) = subjects.pop() {
        for source in subject["sbom_sources"].as_array().into_iter().flatten() {
            if source["outcome"] == "found" && source["convention"] == "cosign_sbom_tag" {
                cosign.push(source.clone());
            }
        }
        subjects.extend(
            subject["manifests"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values()),
        );
    }
    assert!(
        !cosign.is_empty(),
        "the samples attach an SBOM under a cosign tag"
    );
    let names: Vec<String> = walk_files(cache)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for source in cosign {
        let hex = |field: &str| source[field].as_str().unwrap().replace("sha256:", "");
        let (manifest, document) = (hex("manifest"), hex("document"));
        assert!(
            !names.iter().any(|n| n.ends_with(&manifest)),
            "{manifest} kept: {names:?}"
        );
        assert!(
            names.iter().any(|n| n.ends_with(&document)),
            "{document} not kept: {names:?}"
        );
    }
}

#[test]
fn a_second_diff_asks_each_tag_once() {
    let proxy = samples("cache/diff");
    let cache = tempfile::tempdir().unwrap();
    let old = proxy.reference("cache/diff:image");
    let new = proxy.reference("cache/diff:multi-platform");
    let diff = || {
        let output = ocx_cached(cache.path(), &["diff", &old, &new, "--no-sbom", "--json"]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        stdout(&output)
    };
    let cold = diff();
    assert!(manifests_by_digest(&proxy.take()) > 0);
    let warm = diff();
    assert_eq!(
        sorted(proxy.take()),
        [
            "GET /v2/cache/diff/manifests/image",
            "GET /v2/cache/diff/manifests/multi-platform"
        ]
    );
    assert_eq!(cold, warm);
}

#[test]
fn a_moved_tag_shows_its_new_content() {
    let proxy = samples("cache/moving");
    let registry = registry::shared();
    let cache = tempfile::tempdir().unwrap();
    let point = |tag: &str| {
        let source = common::open_source(&registry.reference("cache/moving"));
        common::runtime().block_on(async {
            let fetched = source
                .manifest_get(&ManifestRef::Tag(tag.into()))
                .await
                .unwrap();
            let moving = ManifestRef::Tag("moving".into());
            let media_type = fetched.descriptor.media_type.clone();
            source
                .manifest_put(&moving, &media_type, Bytes::clone(&fetched.bytes))
                .await
                .unwrap();
        });
    };
    let moving = proxy.reference("cache/moving:moving");
    point("image");
    let before = describe(cache.path(), &[&moving, "--no-sbom"]);
    let image = describe(
        cache.path(),
        &[&proxy.reference("cache/moving:image"), "--no-sbom"],
    );
    common::assert_json_eq(&before, &image, "the tag names the image");

    point("multi-platform");
    let after = describe(cache.path(), &[&moving, "--no-sbom"]);
    let index = describe(
        cache.path(),
        &[&proxy.reference("cache/moving:multi-platform"), "--no-sbom"],
    );
    assert_ne!(digest_of(&before), digest_of(&after));
    common::assert_json_eq(&after, &index, "the moved tag names the index");
}

#[test]
fn a_corrupt_or_truncated_entry_is_fetched_again_and_replaced() {
    let proxy = samples("cache/corrupt");
    let cache = tempfile::tempdir().unwrap();
    let reference = proxy.reference("cache/corrupt:multi-platform");
    let cold = describe(cache.path(), &[&reference, "--no-sbom"]);
    proxy.take();

    let child = &cold["manifests"]["linux/amd64"];
    let manifest = entry_of(cache.path(), &digest_of(child));
    let config_digest = child["config"]["digest"].as_str().unwrap();
    let config = entry_of(cache.path(), config_digest);
    let (manifest_bytes, config_bytes) = (
        std::fs::read(&manifest).unwrap(),
        std::fs::read(&config).unwrap(),
    );
    // Still valid JSON of the same length: only its digest tells.
    let text = String::from_utf8(manifest_bytes.clone()).unwrap();
    assert!(text.contains("2024-05-01"), "{text}");
    std::fs::write(&manifest, text.replacen("2024-05-01", "2025-05-01", 1)).unwrap();
    std::fs::write(&config, &config_bytes[..config_bytes.len() / 2]).unwrap();

    let repaired = describe(cache.path(), &[&reference, "--no-sbom"]);
    common::assert_json_eq(&cold, &repaired, "describe over corrupt entries");
    let requests = sorted(proxy.take());
    let expected = sorted(vec![
        "GET /v2/cache/corrupt/manifests/multi-platform".to_string(),
        format!("GET /v2/cache/corrupt/manifests/{}", digest_of(child)),
        format!("GET /v2/cache/corrupt/blobs/{config_digest}"),
    ]);
    assert_eq!(
        requests, expected,
        "exactly the two bad entries are fetched again"
    );
    assert_eq!(std::fs::read(&manifest).unwrap(), manifest_bytes);
    assert_eq!(std::fs::read(&config).unwrap(), config_bytes);

    describe(cache.path(), &[&reference, "--no-sbom"]);
    assert_eq!(proxy.take().len(), 1, "repaired entries are hits");
}

#[test]
fn no_cache_neither_reads_nor_writes_and_layouts_are_not_cached() {
    let proxy = samples("cache/none");
    let cache = tempfile::tempdir().unwrap();
    let reference = proxy.reference("cache/none:multi-platform");

    describe(cache.path(), &[&reference, "--no-sbom", "--no-cache"]);
    let uncached = sorted(proxy.take());
    assert_eq!(walk_files(cache.path()), Vec::<PathBuf>::new());
    let (_layout_dir, layout) = common::sample_layout();
    describe(
        cache.path(),
        &[&format!("oci:{}:multi-platform", layout.display())],
    );
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "a layout is read directly"
    );

    describe(cache.path(), &[&reference, "--no-sbom"]);
    assert_eq!(
        sorted(proxy.take()),
        uncached,
        "a first run with the cache asks the same"
    );
    let before = snapshot(cache.path());
    assert!(!before.is_empty());
    describe(cache.path(), &[&reference, "--no-sbom", "--no-cache"]);
    assert_eq!(
        sorted(proxy.take()),
        uncached,
        "--no-cache reads nothing from the cache"
    );
    assert_eq!(snapshot(cache.path()), before, "--no-cache touches nothing");
}

#[test]
fn processes_sharing_a_tiny_cache_all_succeed() {
    let proxy = samples("cache/shared");
    let cache = tempfile::tempdir().unwrap();
    let tags = ["multi-platform", "nested", "provider", "docker", "image"];
    let expected: Vec<Value> = tags
        .iter()
        .map(|tag| {
            let reference = proxy.reference(&format!("cache/shared:{tag}"));
            describe(cache.path(), &[&reference, "--no-cache"])
        })
        .collect();

    const BOUND: &str = "4K";
    for round in 0..2 {
        std::thread::scope(|scope| {
            let runs: Vec<_> = (0..8)
                .map(|i| {
                    let tag = tags[(i + round) % tags.len()];
                    let (proxy, cache) = (&proxy, cache.path());
                    let run = scope.spawn(move || {
                        let reference = proxy.reference(&format!("cache/shared:{tag}"));
                        describe(cache, &[&reference, "--cache-size", BOUND])
                    });
                    ((i + round) % tags.len(), run)
                })
                .collect();
            for (which, run) in runs {
                let value = run.join().expect("every process succeeds");
                common::assert_json_eq(&expected[which], &value, tags[which]);
            }
        });
    }
    let leftovers: Vec<_> = walk_files(cache.path())
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(
        leftovers,
        Vec::<PathBuf>::new(),
        "no temporary file is left"
    );

    // A run that writes brings the cache back under its bound, whatever the others wrote
    // meanwhile: one that writes one entry, so that its scan sees all it wrote.
    let other = samples("cache/shared-other");
    let raw = ocx_cached(
        cache.path(),
        &[
            "describe",
            "--raw",
            &other.reference("cache/shared-other:image"),
            "--cache-size",
            BOUND,
        ],
    );
    assert!(raw.status.success(), "{}", stderr(&raw));
    let total: u64 = walk_files(cache.path())
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(total > 0 && total <= 4096, "{total} bytes");
}

/// The size may come from the flag or the environment: a bad one names both.
#[test]
fn a_bad_cache_size_names_the_flag_and_the_variable() {
    let layout = format!("oci:{}/examples/layout:image", env!("CARGO_MANIFEST_DIR"));
    let output = ocx_with_env(&["describe", &layout], &[("OCX_CACHE_SIZE", "12X")]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains(
            "invalid size \"12X\" (from --cache-size or the OCX_CACHE_SIZE environment variable)"
        ),
        "{err}"
    );
}
