//! Runs one command many times through a delay proxy: wall time, CPU time (from `wait4`),
//! the registry's CPU time and what the proxy saw per run, then once more under
//! `/usr/bin/time` for peak RSS. (Our own `wait4` would report a peak RSS no lower than
//! this process's: a child inherits its parent's high-water mark until exec.)

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
    /// CPU time (user + system) of the command, from `wait4`.
    pub cpu: Duration,
    /// CPU time the registry behind the proxy spent meanwhile: it shares this machine's
    /// cores with the command.
    pub registry_cpu: Option<Duration>,
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

/// Peak RSS of one run, from `/usr/bin/time`.
#[derive(Clone, Copy, Debug)]
pub struct Resources {
    pub max_rss_kib: u64,
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
    registry_pid: Option<u32>,
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
        let registry_before = registry_pid.and_then(process_cpu);
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
        sample.registry_cpu = registry_before
            .zip(registry_pid.and_then(process_cpu))
            .map(|(before, after)| after.saturating_sub(before));
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
        "%M".into(),
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
    let [rss] = fields[..] else {
        bail!("unexpected /usr/bin/time output {text:?}");
    };
    Ok(Some(Resources {
        max_rss_kib: rss as u64,
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
    let (status, cpu) = wait_with_cpu(&child).context("waiting for the command")?;
    let wall = start.elapsed();
    let (stdout, stderr) = (
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    );
    let code = status;
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
        cpu,
        ..Sample::default()
    })
}

/// Reaps the child with `wait4`: its exit status (-1 when killed by a signal) and the
/// CPU time it used.
fn wait_with_cpu(child: &std::process::Child) -> std::io::Result<(i32, Duration)> {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with pointers to live locals.
    if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((code, time(usage.ru_utime) + time(usage.ru_stime)))
}

/// User + system CPU time of a running process, from /proc/PID/stat.
fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields that follow start after its ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(Duration::from_millis(ticks * 1000 / per_second))
}

/// The median of a sample field.
pub fn median<T: Copy + Ord>(samples: &[Sample], field: impl Fn(&Sample) -> T) -> T {
    let mut values: Vec<T> = samples.iter().map(field).collect();
    values.sort();
    values[values.len() / 2]
}
