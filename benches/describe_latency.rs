//! How many sequential round trips `ocx describe` costs for an N-platform index.
//!
//! Starts a real registry (CNCF distribution), pushes N-platform OCI indexes into it
//! through ocx's registry source, puts a delay proxy in front of it, and times the ocx
//! binary through the proxy and directly, first with `--no-sbom` (the walk alone), then
//! with SBOM discovery. The proxy's trace gives the request rounds (the longest chain of
//! requests each sent after the previous one's answer); (median through the proxy −
//! direct baseline) / (2 × one-way delay) estimates the same from wall time. Fails when
//! the walk of the 8- or 64-platform index takes more than 4 rounds, or discovery adds more
//! than 2 (with OCX_BENCH_STRICT=1, also when the wall-time estimate exceeds 4).
//!
//! `cargo bench --bench describe_latency [-- --quick]`; see benches/README.md.

#[allow(dead_code)]
#[path = "support/delay_proxy.rs"]
mod delay_proxy;
#[allow(dead_code)]
#[path = "../tests/common/fixtures.rs"]
mod fixtures;
#[allow(dead_code)]
#[path = "../tests/common/registry.rs"]
mod registry;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use delay_proxy::{round_of_each, rounds, span, DelayProxy, Event, EventKind};
use ocx::manifest::Descriptor;
use ocx::reference::Target;
use ocx::source::{Session, Source};

const REPO: &str = "bench";
const MAX_N: usize = 64;
/// The widths checked: the 4-round limit applies to each.
const CHECKED_N: [usize; 2] = [8, 64];
/// The width `--quick` measures and `OCX_BENCH_TRACE` traces.
const QUICK_N: usize = 8;
const MAX_ROUND_TRIPS: f64 = 4.0;
/// SBOM discovery may add at most this many rounds to the walk.
const MAX_SBOM_EXTRA_ROUNDS: f64 = 2.0;

/// OS, architecture, variant of the first 16 platforms; the others are made up (see
/// [`platform`]).
const PLATFORMS: [(&str, &str, Option<&str>); 16] = [
    ("linux", "amd64", None),
    ("linux", "arm64", Some("v8")),
    ("linux", "arm", Some("v7")),
    ("linux", "arm", Some("v6")),
    ("linux", "386", None),
    ("linux", "ppc64le", None),
    ("linux", "s390x", None),
    ("linux", "riscv64", None),
    ("linux", "mips64le", None),
    ("linux", "loong64", None),
    ("linux", "arm", Some("v5")),
    ("windows", "amd64", None),
    ("windows", "arm64", None),
    ("darwin", "amd64", None),
    ("darwin", "arm64", None),
    ("freebsd", "amd64", None),
];

/// The `i`th platform: one of [`PLATFORMS`], then made-up variants of linux/riscv64, as
/// wide indexes of real projects have no more real platforms.
fn platform(i: usize) -> ocx::manifest::Platform {
    match PLATFORMS.get(i) {
        Some(&(os, arch, variant)) => fixtures::platform(os, arch, variant),
        None => fixtures::platform("linux", "riscv64", Some(&format!("x{i}"))),
    }
}

#[derive(Clone)]
struct Settings {
    one_way: Duration,
    runs: usize,
    widths: Vec<usize>,
    trace: bool,
    strict: bool,
    /// More arguments for `ocx describe` (OCX_BENCH_ARGS, split on whitespace).
    extra_args: Vec<String>,
    /// Time `ocx diff bench:nN bench:dN` (two N-platform indexes of distinct images)
    /// instead of `ocx describe bench:nN` (OCX_BENCH_DIFF).
    diff: bool,
}

struct Row {
    n: usize,
    median: Duration,
    baseline: Duration,
    round_trips: f64,
    connections_per_run: f64,
    requests_per_run: f64,
    /// Median of first connection to last response received, in round trips: the
    /// network critical path seen by the proxy, less sensitive to CPU load.
    span: f64,
    /// Median of the longest chain of requests each sent after the previous one's answer
    /// arrived (see [`rounds`]).
    rounds: f64,
    /// The proxy's trace of the last run.
    trace: Vec<Event>,
}

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("describe_latency: {e:#}");
            std::process::exit(2);
        }
    }
}

/// Ok(false) when the N=8 or N=64 check fails.
fn run() -> Result<bool> {
    let settings = settings()?;
    let registry = registry::Registry::start();
    let upstream: SocketAddr = registry.addr.parse()?;
    let images = push_indexes(&registry.addr, &settings.widths).context("pushing the indexes")?;
    let docker_config = tempfile::tempdir()?;
    let ms = settings.one_way.as_millis();
    if settings.diff {
        println!("timing `ocx diff bench:nN bench:dN` (two indexes of distinct images)");
    }
    println!(
        "describe_latency: registry {}, one-way delay {ms} ms (RTT {} ms), {} runs per row",
        registry.addr,
        2 * ms,
        settings.runs
    );
    if !settings.extra_args.is_empty() {
        println!("extra ocx arguments: {}", settings.extra_args.join(" "));
    }

    // The walk alone (issue: at most 4 round trips for N=8), then with SBOM discovery
    // beside it (at most 2 more than the walk alone).
    let mut results = Vec::new();
    for (mode, args) in [
        ("structure only (--no-sbom)", vec!["--no-sbom"]),
        ("with SBOM discovery", vec![]),
    ] {
        let mut mode_settings = settings.clone();
        mode_settings
            .extra_args
            .extend(args.into_iter().map(str::to_string));
        println!("\n== {mode}");
        let plain = measure(
            &mode_settings,
            upstream,
            None,
            &images,
            docker_config.path(),
        )?;
        print_table(
            &format!("proxy +{ms} ms each way, new connections free"),
            &plain,
        );
        let rtt = 2 * settings.one_way;
        let handshake = measure(
            &mode_settings,
            upstream,
            Some(rtt),
            &images,
            docker_config.path(),
        )?;
        print_table(
            &format!(
                "proxy +{ms} ms each way, each new connection costs one RTT ({} ms) before its first byte (informative)",
                rtt.as_millis()
            ),
            &handshake,
        );
        if settings.trace {
            if let Some(row) = plain.iter().find(|r| r.n == QUICK_N) {
                print_trace(
                    &format!("{mode}, N={QUICK_N}, new connections free"),
                    &row.trace,
                );
            }
        }
        results.push((mode, plain));
    }
    let mut all_ok = true;
    let mut checked_any = false;
    for n in CHECKED_N {
        let checked = |rows: &Vec<Row>| {
            rows.iter()
                .find(|r| r.n == n)
                .map(|r| (r.rounds, r.round_trips))
        };
        let (Some((walk_rounds, walk_wall)), Some((full_rounds, full_wall))) =
            (checked(&results[0].1), checked(&results[1].1))
        else {
            continue;
        };
        checked_any = true;
        // Request rounds come from the proxy's trace and do not depend on machine load;
        // the wall-time figure is printed beside them.
        let walk_ok =
            walk_rounds <= MAX_ROUND_TRIPS && !(settings.strict && walk_wall > MAX_ROUND_TRIPS);
        let full_ok = full_rounds <= walk_rounds + MAX_SBOM_EXTRA_ROUNDS;
        println!(
            "\nN={n} structure: {walk_rounds} request rounds ({walk_wall:.1} by wall time), limit {MAX_ROUND_TRIPS}: {}",
            if walk_ok { "ok" } else { "FAIL" }
        );
        println!(
            "N={n} with SBOM discovery: {full_rounds} request rounds ({full_wall:.1} by wall time), limit {}: {}",
            walk_rounds + MAX_SBOM_EXTRA_ROUNDS,
            if full_ok { "ok" } else { "FAIL" }
        );
        if !(walk_ok && full_ok) {
            for (mode, rows) in &results {
                if let Some(row) = rows.iter().find(|r| r.n == n) {
                    print_trace(&format!("{mode}, N={n}"), &row.trace);
                }
            }
        }
        all_ok &= walk_ok && full_ok;
    }
    if !checked_any {
        println!("\nneither N=8 nor N=64 was measured: no check made");
    }
    Ok(all_ok)
}

fn settings() -> Result<Settings> {
    let mut quick = env_flag("OCX_BENCH_QUICK");
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            "--bench" => {} // cargo bench passes it to every bench target
            other => eprintln!("describe_latency: ignoring argument {other:?}"),
        }
    }
    let one_way = Duration::from_millis(env_number("OCX_BENCH_DELAY_MS", 20)? as u64);
    let mut runs = env_number("OCX_BENCH_RUNS", 5)?;
    let mut widths = match std::env::var("OCX_BENCH_N") {
        Ok(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse::<usize>()
                    .context("OCX_BENCH_N is a comma-separated list of numbers")
            })
            .collect::<Result<Vec<_>>>()?,
        Err(_) => vec![1, 8, 16, 32, 64],
    };
    if quick {
        widths = vec![QUICK_N];
        runs = 3;
    }
    if let Some(n) = widths.iter().find(|&&n| n == 0 || n > MAX_N) {
        bail!("N={n} is out of range: N goes from 1 to {MAX_N}");
    }
    if runs == 0 || one_way.is_zero() {
        bail!("OCX_BENCH_RUNS and OCX_BENCH_DELAY_MS must be positive");
    }
    Ok(Settings {
        one_way,
        runs,
        widths,
        trace: env_flag("OCX_BENCH_TRACE"),
        strict: env_flag("OCX_BENCH_STRICT"),
        diff: env_flag("OCX_BENCH_DIFF"),
        extra_args: std::env::var("OCX_BENCH_ARGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    })
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn env_number(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{name}={v:?} is not a number")),
        Err(_) => Ok(default),
    }
}

/// Pushes one image per platform and, for each width N, the index `bench:nN` over the
/// first N of them; returns the images' descriptors.
fn push_indexes(registry: &str, widths: &[usize]) -> Result<Vec<Descriptor>> {
    let target = Target::parse(&format!("{registry}/{REPO}:unused"))?;
    let (source, _) = Session::new(Default::default())?.open(&target)?;
    let source: std::sync::Arc<dyn Source> = std::sync::Arc::new(source);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let widest = widths.iter().copied().max().unwrap_or(0);
        let mut images = Vec::new();
        for i in 0..widest {
            images.push(fixtures::image(source.as_ref(), platform(i)).await?);
        }
        // The other side of `ocx diff`: the same platforms, distinct images.
        let mut others = Vec::new();
        for i in 0..widest {
            let created = "2025-01-01T00:00:00Z";
            others.push(fixtures::image_created(source.as_ref(), platform(i), created).await?);
        }
        for &n in widths {
            for (prefix, children) in [("n", &images), ("d", &others)] {
                fixtures::index(source.as_ref(), &format!("{prefix}{n}"), &children[..n]).await?;
            }
        }
        Ok(images)
    })
}

/// One table: for each width, runs directly and through a new proxy, interleaved so
/// that both see the same machine load.
fn measure(
    settings: &Settings,
    upstream: SocketAddr,
    connect_delay: Option<Duration>,
    images: &[Descriptor],
    docker_config: &std::path::Path,
) -> Result<Vec<Row>> {
    let proxy = DelayProxy::start(upstream, settings.one_way, connect_delay);
    let mut rows = Vec::new();
    for &n in &settings.widths {
        let children = &images[..n];
        let direct_ref = format!("{upstream}/{REPO}:n{n}");
        let proxy_ref = format!("{}/{REPO}:n{n}", proxy.addr());
        // Warm up (page cache, registry) before measuring.
        describe(settings, &direct_ref, children, docker_config)?;
        let (mut direct, mut delayed) = (Vec::new(), Vec::new());
        let (mut connections, mut requests, mut trace) = (0, 0, Vec::new());
        let (mut spans, mut chains) = (Vec::new(), Vec::new());
        for _ in 0..settings.runs {
            direct.push(describe(settings, &direct_ref, children, docker_config)?);
            let before = proxy.connections();
            proxy.take_events();
            delayed.push(describe(settings, &proxy_ref, children, docker_config)?);
            connections += proxy.connections() - before;
            // Responses are recorded when the proxy reads them, before ocx can exit.
            trace = proxy.take_events();
            requests += trace
                .iter()
                .filter(|e| e.kind == EventKind::Request)
                .count();
            spans.push(span(&trace));
            chains.push(rounds(&trace));
        }
        let wire = median(&mut spans);
        let (median, baseline) = (median(&mut delayed), median(&mut direct));
        let rtt = 2.0 * settings.one_way.as_secs_f64();
        let round_trips = (median.as_secs_f64() - baseline.as_secs_f64()) / rtt;
        rows.push(Row {
            n,
            median,
            baseline,
            round_trips: (round_trips * 10.0).round() / 10.0,
            connections_per_run: connections as f64 / settings.runs as f64,
            requests_per_run: requests as f64 / settings.runs as f64,
            span: (wire.as_secs_f64() / rtt * 10.0).round() / 10.0,
            rounds: {
                chains.sort_unstable();
                let mid = chains.len() / 2;
                if chains.len() % 2 == 0 {
                    (chains[mid - 1] + chains[mid]) as f64 / 2.0
                } else {
                    chains[mid] as f64
                }
            },
            trace,
        });
    }
    Ok(rows)
}

/// Runs `ocx --plain-http describe REFERENCE --json [OCX_BENCH_ARGS]`, checks that the
/// output names every child (the walk really reached all N) and returns its wall time.
/// `--plain-http` because the proxy stands in for a remote registry, which ocx does not
/// probe for TLS as it does a loopback one.
fn describe(
    settings: &Settings,
    reference: &str,
    children: &[Descriptor],
    docker_config: &std::path::Path,
) -> Result<Duration> {
    let args = match reference.rsplit_once(":n") {
        Some((repository, n)) if settings.diff => {
            vec![
                "diff".to_string(),
                reference.to_string(),
                format!("{repository}:d{n}"),
            ]
        }
        _ => vec!["describe".to_string(), reference.to_string()],
    };
    let start = Instant::now();
    let ocx = std::env::var_os("OCX_BENCH_BIN").unwrap_or(env!("CARGO_BIN_EXE_ocx").into());
    let output = Command::new(ocx)
        .arg("--plain-http")
        // Every run a first run: the rounds of a cold walk are what this bench checks.
        .arg("--no-cache")
        .args(&args)
        .arg("--json")
        .args(&settings.extra_args)
        .env("DOCKER_CONFIG", docker_config)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("COSIGN_REPOSITORY")
        .env("NO_COLOR", "1")
        .output()
        .context("running ocx")?;
    let elapsed = start.elapsed();
    // `ocx diff` of two different indexes exits 1: they differ.
    let expected = if settings.diff { Some(1) } else { Some(0) };
    if output.status.code() != expected {
        bail!(
            "ocx describe {reference} failed ({:?}):\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(missing) = children
        .iter()
        .find(|c| !stdout.contains(&c.digest.to_string()))
    {
        bail!(
            "ocx describe {reference} does not name child {}:\n{stdout}",
            missing.digest
        );
    }
    Ok(elapsed)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    let mid = samples.len() / 2;
    if samples.len() % 2 == 0 {
        (samples[mid - 1] + samples[mid]) / 2
    } else {
        samples[mid]
    }
}

fn print_table(title: &str, rows: &[Row]) {
    println!("\n{title}");
    println!(
        "{:>3}  {:>13}  {:>13}  {:>22}  {:>11}  {:>14}  {:>9}  {:>12}",
        "N",
        "median proxy",
        "baseline",
        "sequential round trips",
        "wire span",
        "request rounds",
        "conns/run",
        "requests/run"
    );
    for row in rows {
        println!(
            "{:>3}  {:>10.1} ms  {:>10.1} ms  {:>22.1}  {:>7.1} RTT  {:>14.1}  {:>9.1}  {:>12.1}",
            row.n,
            row.median.as_secs_f64() * 1e3,
            row.baseline.as_secs_f64() * 1e3,
            row.round_trips,
            row.span,
            row.rounds,
            row.connections_per_run,
            row.requests_per_run
        );
    }
}

/// The requests of one run as the client sees them: sent at, answered at, connection.
fn print_trace(title: &str, events: &[Event]) {
    println!("\ntrace, {title} (ms from the first event; requests at send, responses at receipt; rN = request round):");
    let Some(start) = events.iter().map(|e| e.read_at).min() else {
        println!("  (empty)");
        return;
    };
    let rounds = round_of_each(events);
    let mut lines: Vec<(Duration, String)> = events
        .iter()
        .zip(rounds)
        .filter(|(e, _)| !matches!(e.kind, EventKind::Data { .. }))
        .map(|(e, round)| {
            let round = round.map(|r| format!("r{r}")).unwrap_or_default();
            match e.kind {
                EventKind::Connect => (
                    e.read_at - start,
                    format!("conn {:>3}      connect", e.connection),
                ),
                EventKind::Request => (
                    e.read_at - start,
                    format!("conn {:>3} {round:>3}  -> {}", e.connection, e.line),
                ),
                EventKind::Response | EventKind::Data { .. } => (
                    e.deliver_at - start,
                    format!("conn {:>3} {round:>3}  <- {}", e.connection, e.line),
                ),
            }
        })
        .collect();
    lines.sort_by_key(|(at, _)| *at);
    for (at, line) in lines {
        println!("  {:>7.1}  {line}", at.as_secs_f64() * 1e3);
    }
}
