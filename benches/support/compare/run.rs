//! Runs one command many times through a delay proxy: wall time and what the proxy saw
//! per run, then once more under `/usr/bin/time` for peak RSS and CPU time. (Our own
//! `wait4` would report a peak RSS no lower than this process's: a child inherits its
//! parent's high-water mark until exec.)

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::delay_proxy::{rounds, wire_rounds, DelayProxy, EventKind};

/// How a command is run, less its reference's address (`{addr}` in `args`).
#[derive(Clone, Debug)]
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Exit statuses that mean success (`ocx diff` of two different indexes: 1).
    pub ok_status: Vec<i32>,
    pub cache: Cache,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// Not an ocx command: nothing to set.
    None,
    /// A new, empty `XDG_CACHE_HOME` for every run.
    Cold,
    /// One `XDG_CACHE_HOME`, filled by the warm-up run.
    Warm,
}

#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub wall: Duration,
    /// HTTP requests: from the proxy's trace over plain HTTP, from the registry's access
    /// log over TLS.
    pub requests: usize,
    pub connections: usize,
    /// Request rounds from the trace (plain HTTP only).
    pub request_rounds: Option<usize>,
    /// Rounds of chunks (TLS: handshake included); see `wire_rounds`.
    pub wire_rounds: usize,
}

/// Where requests are counted over TLS: the access log of the registry behind the proxy.
pub struct AccessLog<'a> {
    pub path: &'a Path,
}

impl AccessLog<'_> {
    fn requests(&self) -> usize {
        std::fs::read_to_string(self.path)
            .map(|log| {
                log.lines()
                    .filter(|l| l.contains("\"GET ") || l.contains("\"HEAD "))
                    .count()
            })
            .unwrap_or(0)
    }
}

/// Peak RSS and CPU time (user + system) of one run, from `/usr/bin/time`.
#[derive(Clone, Copy, Debug)]
pub struct Resources {
    pub max_rss_kib: u64,
    pub cpu: Duration,
}

pub struct Measured {
    pub samples: Vec<Sample>,
    pub resources: Option<Resources>,
}

/// One warm-up run, then `runs` measured ones, then one under `/usr/bin/time`. Fails on
/// the first failed run, with its stderr.
pub fn measure(
    spec: &Spec,
    proxy: &DelayProxy,
    tls_log: Option<&AccessLog>,
    runs: usize,
) -> Result<Measured> {
    let args: Vec<String> = spec
        .args
        .iter()
        .map(|a| a.replace("{addr}", &proxy.addr().to_string()))
        .collect();
    let warm = tempfile::tempdir()?;
    run_once(spec, &args, warm.path()).context("warm-up run")?;
    let mut samples = Vec::new();
    for _ in 0..runs {
        let cold = tempfile::tempdir()?;
        let cache = if spec.cache == Cache::Warm {
            warm.path()
        } else {
            cold.path()
        };
        proxy.take_events();
        let logged = tls_log.map(AccessLog::requests);
        let mut sample = run_once(spec, &args, cache)?;
        let trace = proxy.take_events();
        sample.connections = trace
            .iter()
            .filter(|e| e.kind == EventKind::Connect)
            .count();
        sample.wire_rounds = wire_rounds(&trace);
        match (tls_log, logged) {
            (Some(log), Some(before)) => {
                // The registry logs a request after answering it.
                std::thread::sleep(Duration::from_millis(40));
                sample.requests = log.requests().saturating_sub(before);
            }
            _ => {
                sample.requests = trace
                    .iter()
                    .filter(|e| e.kind == EventKind::Request)
                    .count();
                sample.request_rounds = Some(rounds(&trace));
            }
        }
        samples.push(sample);
    }
    let cold = tempfile::tempdir()?;
    let cache = if spec.cache == Cache::Warm {
        warm.path()
    } else {
        cold.path()
    };
    let resources = resources(spec, &args, cache)?;
    Ok(Measured { samples, resources })
}

/// Runs a command that needs no proxy (`ocx --version`, a layout).
pub fn measure_local(spec: &Spec, runs: usize) -> Result<Measured> {
    let cache = tempfile::tempdir()?;
    run_once(spec, &spec.args, cache.path()).context("warm-up run")?;
    let samples = (0..runs)
        .map(|_| run_once(spec, &spec.args, cache.path()))
        .collect::<Result<_>>()?;
    let resources = resources(spec, &spec.args, cache.path())?;
    Ok(Measured { samples, resources })
}

const TIME: &str = "/usr/bin/time";

/// None when `/usr/bin/time` is not installed.
fn resources(spec: &Spec, args: &[String], cache: &Path) -> Result<Option<Resources>> {
    if !Path::new(TIME).is_file() {
        return Ok(None);
    }
    let report = tempfile::NamedTempFile::new()?;
    let mut timed = spec.clone();
    timed.program = TIME.into();
    let mut timed_args = vec![
        "-f".to_string(),
        "%M %U %S".into(),
        "-o".into(),
        report.path().display().to_string(),
        spec.program.display().to_string(),
    ];
    timed_args.extend(args.iter().cloned());
    run_once(&timed, &timed_args, cache).context("the run under /usr/bin/time")?;
    let text = std::fs::read_to_string(report.path())?;
    // The last line: time prints "Command exited with non-zero status N" before it.
    let fields: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [rss, user, system] = fields[..] else {
        bail!("unexpected /usr/bin/time output {text:?}");
    };
    Ok(Some(Resources {
        max_rss_kib: rss as u64,
        cpu: Duration::from_secs_f64(user + system),
    }))
}

fn run_once(spec: &Spec, args: &[String], cache: &Path) -> Result<Sample> {
    let mut command = Command::new(&spec.program);
    command
        .args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if spec.cache != Cache::None {
        command.env("XDG_CACHE_HOME", cache);
    }
    let start = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", spec.program.display()))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let status = child.wait().context("waiting for the command")?;
    let wall = start.elapsed();
    let (stdout, stderr) = (
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    );
    let code = status.code().unwrap_or(-1);
    if !spec.ok_status.contains(&code) || stdout.is_empty() {
        bail!(
            "{} {} exited with {code}:\n{}",
            spec.program.display(),
            args.join(" "),
            String::from_utf8_lossy(&stderr)
                .chars()
                .take(2000)
                .collect::<String>()
        );
    }
    Ok(Sample {
        wall,
        ..Sample::default()
    })
}

/// The median of a sample field.
pub fn median<T: Copy + Ord>(samples: &[Sample], field: impl Fn(&Sample) -> T) -> T {
    let mut values: Vec<T> = samples.iter().map(field).collect();
    values.sort();
    values[values.len() / 2]
}
