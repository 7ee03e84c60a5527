//! The engine of `benches/compare.sh`: pushes the indexes, runs ocx and its peers through
//! a delay proxy on a non-loopback address of this machine, over plain HTTP and HTTPS,
//! and writes BENCHMARKS.md. The script sets up the machine, the registries and the
//! certificate; see benches/README.md.

#[allow(dead_code)]
#[path = "../delay_proxy.rs"]
mod delay_proxy;
#[allow(dead_code)]
#[path = "../../../tests/common/fixtures.rs"]
mod fixtures;
mod push;
mod report;
mod run;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

use delay_proxy::DelayProxy;
use run::{AccessLog, Cache, Measured, Resources, Sample, Spec};

#[derive(Parser, Debug)]
struct Args {
    /// The plain-HTTP registry (loopback address:port).
    #[arg(long)]
    http: SocketAddr,
    /// The HTTPS registry (same storage).
    #[arg(long)]
    https: SocketAddr,
    /// Access logs of the two registries (requests over TLS are counted there).
    #[arg(long)]
    https_log: PathBuf,
    /// The self-signed certificate of the HTTPS registry (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// A directory holding the certificate as `ca.crt` (skopeo's --cert-dir).
    #[arg(long)]
    cert_dir: PathBuf,
    /// The non-loopback address the proxy listens on.
    #[arg(long)]
    host: IpAddr,
    #[arg(long)]
    ocx: PathBuf,
    /// The repository (for examples/layout).
    #[arg(long)]
    repo: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// A few widths, delays and runs.
    #[arg(long)]
    quick: bool,
    /// A line put at the top of the report (e.g. "machine busy").
    #[arg(long, default_value = "")]
    note: String,
    /// Packages per SBOM.
    #[arg(long, default_value_t = 2000)]
    packages: usize,
    /// Runs per case (default 5, quick 3).
    #[arg(long)]
    runs: Option<usize>,
    /// Comma-separated widths (default 1,8,64; quick 8,64).
    #[arg(long, value_delimiter = ',')]
    widths: Vec<usize>,
    /// Comma-separated one-way delays in ms (default 0,20,50; quick 0,20).
    #[arg(long, value_delimiter = ',')]
    delays: Vec<u64>,
    /// `key=value` lines for the report's versions and machine sections.
    #[arg(long)]
    facts: Option<PathBuf>,
    /// Seconds the script took before this program (build, installs).
    #[arg(long, default_value_t = 0)]
    setup_seconds: u64,
    /// ferro-oci-server (loopback address:port), a registry that spends little CPU per
    /// request: the walk measured where the registry is not what it waits for.
    #[arg(long)]
    ferro: Option<SocketAddr>,
    /// Process ids of the plain-HTTP, the HTTPS and the ferro registry, whose CPU time is
    /// reported.
    #[arg(long, value_delimiter = ',')]
    registry_pids: Vec<u32>,
}

/// Where a row is read from: distribution over plain HTTP or HTTPS, or ferro-oci-server
/// over plain HTTP (the indexes without SBOMs only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scheme {
    Http,
    Https,
    Ferro,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Http => "plain HTTP",
            Scheme::Https => "HTTPS (HTTP/2)",
            Scheme::Ferro => "plain HTTP, ferro-oci-server",
        }
    }
}

/// One measured command in one setting.
#[derive(Clone, Debug)]
pub struct Row {
    pub scheme: Scheme,
    pub delay_ms: u64,
    pub width: usize,
    /// `ocx`, `skopeo`, `crane`, `oras`.
    pub tool: &'static str,
    pub case: String,
    pub cache: Cache,
    pub samples: Vec<Sample>,
    pub resources: Option<Resources>,
    pub error: Option<String>,
}

/// A case of the matrix: what to run for width N.
struct Case {
    tool: &'static str,
    name: &'static str,
    /// Arguments; `{ref}` is `{addr}/bench`, `{N}` the width.
    args: &'static [&'static str],
    ok_status: &'static [i32],
    cached: bool,
}

impl Case {
    /// ferro-oci-server holds the indexes without SBOMs only, and is not walked by the
    /// peers (one process per child is no faster there).
    fn for_ferro(&self) -> bool {
        self.args.iter().any(|a| a.contains(":n{N}")) && self.args != ["walk"]
    }
}

const OCX_CASES: [Case; 5] = [
    Case {
        tool: "ocx",
        name: "describe --no-sbom",
        args: &["describe", "{ref}:n{N}", "--json", "--no-sbom"],
        ok_status: &[0],
        cached: true,
    },
    Case {
        tool: "ocx",
        name: "describe",
        args: &["describe", "{ref}:n{N}", "--json"],
        ok_status: &[0],
        cached: true,
    },
    Case {
        tool: "ocx",
        name: "describe (SBOMs attached)",
        args: &["describe", "{ref}:s{N}", "--json"],
        ok_status: &[0],
        cached: true,
    },
    Case {
        tool: "ocx",
        name: "sbom",
        args: &["sbom", "{ref}:s{N}", "--json"],
        ok_status: &[0],
        cached: true,
    },
    Case {
        tool: "ocx",
        name: "diff (SBOMs attached)",
        args: &["diff", "{ref}:s{N}", "{ref}:t{N}", "--json"],
        ok_status: &[1],
        cached: true,
    },
];

const PEER_CASES: [Case; 5] = [
    Case {
        tool: "skopeo",
        name: "skopeo inspect --raw (index only)",
        args: &["inspect", "--raw", "docker://{ref}:n{N}"],
        ok_status: &[0],
        cached: false,
    },
    Case {
        tool: "crane",
        name: "crane manifest (index only)",
        args: &["manifest", "{ref}:n{N}"],
        ok_status: &[0],
        cached: false,
    },
    Case {
        tool: "crane",
        name: "crane walk (manifest + config of each child)",
        args: &["walk"],
        ok_status: &[0],
        cached: false,
    },
    Case {
        tool: "oras",
        name: "oras manifest fetch (index only)",
        args: &["manifest", "fetch", "{ref}:n{N}"],
        ok_status: &[0],
        cached: false,
    },
    Case {
        tool: "oras",
        name: "oras walk (manifest + config of each child)",
        args: &["walk"],
        ok_status: &[0],
        cached: false,
    },
];

fn main() {
    if let Err(e) = run_all(Args::parse()) {
        eprintln!("bench_compare: {e:#}");
        std::process::exit(2);
    }
}

struct Settings {
    runs: usize,
    widths: Vec<usize>,
    delays: Vec<u64>,
}

fn settings(args: &Args) -> Settings {
    let (runs, widths, delays) = if args.quick {
        (3, vec![8, 64], vec![0, 20])
    } else {
        (5, vec![1, 8, 64], vec![0, 20, 50])
    };
    Settings {
        runs: args.runs.unwrap_or(runs),
        widths: if args.widths.is_empty() {
            widths
        } else {
            args.widths.clone()
        },
        delays: if args.delays.is_empty() {
            delays
        } else {
            args.delays.clone()
        },
    }
}

fn run_all(args: Args) -> Result<()> {
    let started = std::time::Instant::now();
    let settings = settings(&args);
    eprintln!("pushing the indexes ({} packages per SBOM)", args.packages);
    let pushed =
        push::push(&args.http.to_string(), args.packages).context("pushing the indexes")?;
    if let Some(ferro) = args.ferro {
        eprintln!("pushing the indexes without SBOMs to ferro-oci-server");
        push::push_plain(&ferro.to_string()).context("pushing to ferro-oci-server")?;
    }
    let docker_config = tempfile::tempdir()?;
    let env = vec![
        (
            "DOCKER_CONFIG".to_string(),
            docker_config.path().display().to_string(),
        ),
        (
            "REGISTRY_AUTH_FILE".to_string(),
            docker_config.path().join("auth.json").display().to_string(),
        ),
        ("NO_COLOR".to_string(), "1".to_string()),
        ("COSIGN_REPOSITORY".to_string(), String::new()),
    ];
    let bench = Bench {
        ocx_tls: ocx_tls_args(&args, &env)?,
        has_cache: ocx_has_cache(&args.ocx),
        peers: Peers::find(&args.repo),
        runs: settings.runs,
        args: &args,
        env,
        pushed,
    };
    let tls_log = AccessLog {
        path: &args.https_log,
    };
    let mut rows = Vec::new();
    let ferro = args.ferro.map(|_| Scheme::Ferro);
    for scheme in [Scheme::Http, Scheme::Https].into_iter().chain(ferro) {
        for &delay_ms in &settings.delays {
            let proxy = bench.proxy(scheme, delay_ms)?;
            let log = (scheme == Scheme::Https).then_some(&tls_log);
            for &width in &settings.widths {
                let at = Setting {
                    scheme,
                    delay_ms,
                    width,
                };
                rows.extend(bench.rows_at(at, &proxy, log));
            }
        }
    }
    let local = local_rows(&args, &bench.env)?;
    let context = report::Context {
        quick: args.quick,
        note: args.note.clone(),
        runs: settings.runs,
        widths: settings.widths.clone(),
        delays: settings.delays.clone(),
        packages: args.packages,
        sbom_bytes: bench.pushed.sbom_bytes_per_platform,
        host: args.host,
        has_cache: bench.has_cache,
        ocx_tls: bench.ocx_tls.join(" "),
        peers_absent: bench.peers.absent(),
        ferro: args.ferro.is_some(),
        facts: args
            .facts
            .as_deref()
            .map(read_facts)
            .transpose()?
            .unwrap_or_default(),
        minutes: (started.elapsed().as_secs() + args.setup_seconds) as f64 / 60.0,
    };
    let markdown = report::render(&context, &rows, &local);
    std::fs::write(&args.out, markdown)
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

/// Where a row is measured.
#[derive(Clone, Copy)]
struct Setting {
    scheme: Scheme,
    delay_ms: u64,
    width: usize,
}

/// What every row shares.
struct Bench<'a> {
    args: &'a Args,
    env: Vec<(String, String)>,
    /// ocx's arguments over TLS (empty, or `--insecure`).
    ocx_tls: Vec<String>,
    has_cache: bool,
    peers: Peers,
    runs: usize,
    pushed: push::Pushed,
}

impl Bench<'_> {
    /// A proxy on the non-loopback address in front of the registry of `scheme`; a new
    /// connection costs one round trip more (the TCP handshake).
    fn proxy(&self, scheme: Scheme, delay_ms: u64) -> Result<DelayProxy> {
        let upstream = match scheme {
            Scheme::Http => self.args.http,
            Scheme::Https => self.args.https,
            Scheme::Ferro => self.args.ferro.expect("a ferro row only with --ferro"),
        };
        let one_way = Duration::from_millis(delay_ms);
        let connect = (delay_ms > 0).then_some(2 * one_way);
        let listen = SocketAddr::new(self.args.host, 0);
        DelayProxy::start_on(listen, upstream, one_way, connect)
            .with_context(|| format!("starting the proxy on {}", self.args.host))
    }

    /// Every case at one setting: ocx cold (and warm, with a cache), then the peers.
    fn rows_at(&self, at: Setting, proxy: &DelayProxy, log: Option<&AccessLog>) -> Vec<Row> {
        let mut rows = Vec::new();
        for case in OCX_CASES.iter().chain(PEER_CASES.iter()) {
            if at.scheme == Scheme::Ferro && !case.for_ferro() {
                continue;
            }
            let caches: &[Cache] = match (case.cached, self.has_cache) {
                (false, _) => &[Cache::None],
                (true, false) => &[Cache::Cold],
                (true, true) => &[Cache::Cold, Cache::Warm],
            };
            for &cache in caches {
                if let Some(spec) = self.spec(case, at, cache) {
                    rows.push(self.row(at, case, spec, proxy, log));
                }
            }
        }
        if self.has_cache {
            if let Some(spec) = self.pinned_spec(at) {
                rows.push(self.row(at, &PINNED, spec, proxy, log));
            }
        }
        rows
    }

    fn row(
        &self,
        at: Setting,
        case: &Case,
        spec: Spec,
        proxy: &DelayProxy,
        log: Option<&AccessLog>,
    ) -> Row {
        eprintln!(
            "{} +{} ms N={}: {} {:?}",
            at.scheme.name(),
            at.delay_ms,
            at.width,
            case.name,
            spec.cache
        );
        let registry_pid = self.args.registry_pids.get(at.scheme as usize).copied();
        let (measured, error) = match run::measure(&spec, proxy, log, registry_pid, self.runs) {
            Ok(measured) => (measured, None),
            Err(e) => {
                eprintln!("  failed: {e:#}");
                let nothing = Measured {
                    samples: Vec::new(),
                    resources: None,
                };
                (nothing, Some(format!("{e:#}")))
            }
        };
        Row {
            scheme: at.scheme,
            delay_ms: at.delay_ms,
            width: at.width,
            tool: case.tool,
            case: case.name.into(),
            cache: spec.cache,
            samples: measured.samples,
            resources: measured.resources,
            error,
        }
    }

    /// The command of a case, or None when its tool is absent.
    fn spec(&self, case: &Case, at: Setting, cache: Cache) -> Option<Spec> {
        let args = self.args;
        let reference = format!("{{addr}}/{}", push::REPO);
        let fill = |a: &str| {
            a.replace("{ref}", &reference)
                .replace("{N}", &at.width.to_string())
        };
        let filled = || case.args.iter().map(|a| fill(a));
        let mut env = self.env.clone();
        let https = at.scheme == Scheme::Https;
        if https {
            env.push(("SSL_CERT_FILE".into(), args.ca.display().to_string()));
        }
        let (program, argv): (PathBuf, Vec<String>) = match case.tool {
            "ocx" => {
                let mut argv = if https {
                    self.ocx_tls.clone()
                } else {
                    vec!["--plain-http".into()]
                };
                argv.extend(filled());
                (args.ocx.clone(), argv)
            }
            "skopeo" => {
                let mut argv: Vec<String> = filled().collect();
                let flag = if https {
                    format!("--cert-dir={}", args.cert_dir.display())
                } else {
                    "--tls-verify=false".into()
                };
                argv.insert(2, flag);
                (self.peers.skopeo.clone()?, argv)
            }
            tool @ ("crane" | "oras") => {
                let binary = if tool == "crane" {
                    self.peers.crane.clone()?
                } else {
                    self.peers.oras.clone()?
                };
                let flags: Vec<String> = match (tool, https) {
                    ("crane", false) => vec!["--insecure".into()],
                    ("oras", false) => vec!["--plain-http".into()],
                    ("oras", true) => vec![format!("--ca-file={}", args.ca.display())],
                    _ => vec![],
                };
                let (program, mut argv) = if case.args == ["walk"] {
                    let walk = vec![
                        tool.to_string(),
                        binary.display().to_string(),
                        fill("{ref}:n{N}"),
                    ];
                    (self.peers.walk.clone(), walk)
                } else {
                    (binary, filled().collect())
                };
                argv.extend(flags);
                (program, argv)
            }
            _ => unreachable!("a tool of the cases"),
        };
        Some(Spec {
            program,
            args: argv,
            env,
            ok_status: case.ok_status.to_vec(),
            cache,
        })
    }

    /// `ocx describe --no-sbom` of the `nN` index pinned by digest, warm.
    fn pinned_spec(&self, at: Setting) -> Option<Spec> {
        let (_, digest) = self
            .pushed
            .plain_index
            .iter()
            .find(|(n, _)| *n == at.width)?;
        let mut spec = self.spec(&PINNED, at, Cache::Warm)?;
        spec.args.extend([
            "describe".into(),
            format!("{{addr}}/{}@{digest}", push::REPO),
            "--json".into(),
            "--no-sbom".into(),
        ]);
        Some(spec)
    }
}

/// With a cache: no request should be needed (its arguments come from `pinned_spec`).
const PINNED: Case = Case {
    tool: "ocx",
    name: "describe --no-sbom @digest",
    args: &[],
    ok_status: &[0],
    cached: true,
};

/// Whether this ocx build has the content-addressed cache (`--no-cache`).
fn ocx_has_cache(ocx: &Path) -> bool {
    std::process::Command::new(ocx)
        .args(["describe", "--help"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--no-cache"))
}

/// How ocx is made to trust the self-signed certificate: SSL_CERT_FILE when this build
/// honours it, else `--insecure` (noted in the report).
fn ocx_tls_args(args: &Args, env: &[(String, String)]) -> Result<Vec<String>> {
    let reference = format!("{}/{}:n1", args.https, push::REPO);
    for extra in [vec![], vec!["--insecure".to_string()]] {
        let output = std::process::Command::new(&args.ocx)
            .args(&extra)
            .args(["describe", &reference, "--no-sbom", "--json"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("SSL_CERT_FILE", &args.ca)
            .output()?;
        if output.status.success() {
            return Ok(extra);
        }
        eprintln!(
            "ocx {} describe over HTTPS failed: {}",
            extra.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    anyhow::bail!("ocx cannot read the HTTPS registry {}", args.https)
}

struct Peers {
    skopeo: Option<PathBuf>,
    crane: Option<PathBuf>,
    oras: Option<PathBuf>,
    walk: PathBuf,
}

impl Peers {
    fn find(repo: &Path) -> Peers {
        Peers {
            skopeo: which("skopeo"),
            crane: which("crane"),
            oras: which("oras"),
            walk: repo.join("benches/support/walk.sh"),
        }
    }

    fn absent(&self) -> Vec<&'static str> {
        [
            ("skopeo", &self.skopeo),
            ("crane", &self.crane),
            ("oras", &self.oras),
        ]
        .into_iter()
        .filter(|(_, path)| path.is_none())
        .map(|(name, _)| name)
        .collect()
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

/// Local overhead: `ocx --version` and a describe of the example layout, 20 runs each.
fn local_rows(args: &Args, env: &[(String, String)]) -> Result<Vec<(String, Measured)>> {
    let layout = format!(
        "oci:{}:multi-platform",
        args.repo.join("examples/layout").display()
    );
    let mut rows = Vec::new();
    for (name, argv) in [
        ("ocx --version", vec!["--version".to_string()]),
        (
            "ocx describe oci:examples/layout:multi-platform --json",
            vec!["describe".into(), layout, "--json".into()],
        ),
    ] {
        let spec = Spec {
            program: args.ocx.clone(),
            args: argv,
            env: env.to_vec(),
            ok_status: vec![0],
            cache: Cache::Cold,
        };
        eprintln!("local: {name}");
        rows.push((name.to_string(), run::measure_local(&spec, 20)?));
    }
    Ok(rows)
}

fn read_facts(path: &Path) -> Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect())
}
