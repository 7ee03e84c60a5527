//! BENCHMARKS.md: machine, versions, the targets with pass or fail, and one table
//! per transport and delay.

use std::fmt::Write;
use std::net::IpAddr;
use std::time::Duration;

use crate::run::{median, Cache, Measured, Resources};
use crate::{Row, Scheme};

pub struct Context {
    pub quick: bool,
    pub note: String,
    pub runs: usize,
    pub widths: Vec<usize>,
    pub delays: Vec<u64>,
    pub packages: usize,
    pub sbom_bytes: usize,
    pub host: IpAddr,
    pub has_cache: bool,
    pub ocx_tls: String,
    pub peers_absent: Vec<&'static str>,
    /// Whether ferro-oci-server was measured too.
    pub ferro: bool,
    pub facts: Vec<(String, String)>,
    pub minutes: f64,
}

const PEERS: [&str; 4] = [
    "skopeo inspect --raw (index only)",
    "crane manifest (index only)",
    "crane walk (manifest + config of each child)",
    "oras walk (manifest + config of each child)",
];
const PEER_SHORT: [&str; 4] = ["skopeo --raw", "crane manifest", "crane walk", "oras walk"];

fn wall(row: &Row) -> Option<Duration> {
    (!row.samples.is_empty()).then(|| median(&row.samples, |s| s.wall))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "**FAIL**"
    }
}

struct Rows<'a>(&'a [Row]);

impl<'a> Rows<'a> {
    /// The row of a setting and case, when it was measured (a failed case has no samples).
    fn find(
        &self,
        scheme: Scheme,
        delay: u64,
        width: usize,
        case: &str,
        cache: Cache,
    ) -> Option<&'a Row> {
        self.0.iter().find(|r| {
            r.scheme == scheme
                && r.delay_ms == delay
                && r.width == width
                && r.case == case
                && r.cache == cache
                && !r.samples.is_empty()
        })
    }

    fn wall(
        &self,
        scheme: Scheme,
        delay: u64,
        width: usize,
        case: &str,
        cache: Cache,
    ) -> Option<Duration> {
        self.find(scheme, delay, width, case, cache).and_then(wall)
    }

    /// (median at +delay − median at +0) / RTT.
    fn rtts(&self, row: &Row) -> Option<f64> {
        if row.delay_ms == 0 {
            return None;
        }
        let base = self.wall(row.scheme, 0, row.width, &row.case, row.cache)?;
        let rtt = 2.0 * row.delay_ms as f64 / 1e3;
        Some((wall(row)?.as_secs_f64() - base.as_secs_f64()) / rtt)
    }
}

pub fn render(context: &Context, rows: &[Row], local: &[(String, Measured)]) -> String {
    let rows = Rows(rows);
    let fact = |key: &str| {
        context
            .facts
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("?")
    };
    let mut out = String::new();
    let mode = if context.quick {
        "quick mode"
    } else {
        "full mode"
    };
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `benches/compare.sh{}` on {} ({mode}, {:.0} minutes). See benches/README.md for what is measured and how.\n",
        if context.quick { " --quick" } else { "" },
        fact("date"),
        context.minutes
    );
    if !context.note.is_empty() {
        let _ = writeln!(out, "> **{}**\n", context.note);
    }
    let _ = writeln!(out, "## Machine and versions\n");
    for (key, value) in &context.facts {
        if key != "date" {
            let _ = writeln!(out, "- {key}: {value}");
        }
    }
    let absent = if context.peers_absent.is_empty() {
        "none".to_string()
    } else {
        context.peers_absent.join(", ")
    };
    let _ = writeln!(out, "- peers absent (skipped): {absent}");
    let _ = writeln!(
        out,
        "\nSetup: CNCF distribution twice on loopback (plain HTTP; HTTPS with a self-signed certificate, HTTP/2), one storage; clients reach it through a delay proxy on {} (a non-loopback address, so ocx and the peers treat it as a remote registry), which adds the one-way delay to every chunk in both directions and one round trip to each new connection. Widths N = {:?}; one-way delays {:?} ms; median of {} runs after one warm-up. SBOMs: CycloneDX 1.6, {} packages ({} KB) per platform, under cosign's `sha256-<hex>.sbom` tags. ocx over HTTPS trusts the certificate through {}. {}\n",
        context.host,
        context.widths,
        context.delays,
        context.runs,
        context.packages,
        context.sbom_bytes / 1000,
        if context.ocx_tls.is_empty() { "SSL_CERT_FILE".to_string() } else { format!("`{}` (this build does not honour SSL_CERT_FILE)", context.ocx_tls) },
        if context.has_cache {
            "Cold: a fresh `XDG_CACHE_HOME` per run; warm: one filled by the warm-up run."
        } else {
            "This ocx build has no cache (`--no-cache` absent): every run is cold."
        }
    );
    if context.ferro {
        let _ = writeln!(out, "Also ferro-oci-server on loopback (plain HTTP, through the same proxy), holding the indexes without SBOMs: a registry that spends little CPU per request, so that its rows show the walk where the registry's work is not what the client waits for. distribution spends about 1.5 ms of CPU per request on the two cores it shares with the client (column *registry CPU ms*).\n");
    }
    targets(&mut out, context, &rows, local);
    local_table(&mut out, local);
    for scheme in [Scheme::Http, Scheme::Https, Scheme::Ferro] {
        for &delay in &context.delays {
            table(&mut out, context, &rows, scheme, delay);
        }
    }
    out
}

fn targets(out: &mut String, context: &Context, rows: &Rows, local: &[(String, Measured)]) {
    let _ = writeln!(out, "## Targets of issue 11\n");
    let _ = writeln!(out, "| target | measured | result |\n|---|---|---|");
    let cold = Cache::Cold;
    let walk = "describe --no-sbom";
    // Rounds: plain HTTP from the request trace, HTTPS by chunks (one is the TLS handshake).
    for scheme in [Scheme::Http, Scheme::Https, Scheme::Ferro] {
        for &delay in context.delays.iter().filter(|&&d| d > 0) {
            let mut parts = Vec::new();
            let mut ok = true;
            for &n in &context.widths {
                let Some(row) = rows.find(scheme, delay, n, walk, cold) else {
                    continue;
                };
                let (rounds, limit) = match scheme {
                    Scheme::Https => (median(&row.samples, |s| s.wire_rounds), 4),
                    _ => (median(&row.samples, |s| s.request_rounds.unwrap_or(0)), 3),
                };
                ok &= rounds <= limit;
                let rtts = rows
                    .rtts(row)
                    .map(|r| format!(", {r:.1} RTT by wall time"))
                    .unwrap_or_default();
                parts.push(format!("N={n}: {rounds}{rtts}"));
            }
            if parts.is_empty() {
                continue;
            }
            let what = match scheme {
                Scheme::Https => "rounds ≤ TLS handshake + 3 = 4",
                _ => "request rounds ≤ 3",
            };
            let _ = writeln!(
                out,
                "| `describe --no-sbom`, {}, +{delay} ms: {what} | {} | {} |",
                scheme.name(),
                parts.join("; "),
                verdict(ok)
            );
            if let (Some(n8), Some(n64)) = (
                rows.wall(scheme, delay, 8, walk, cold),
                rows.wall(scheme, delay, 64, walk, cold),
            ) {
                let ratio = n64.as_secs_f64() / n8.as_secs_f64();
                let registry = registry_cpu_note(rows, scheme, delay);
                let _ = writeln!(out, "| N=64 within 1.3x of N=8, {}, +{delay} ms | {} ms / {} ms = {ratio:.2}x{registry} | {} |", scheme.name(), ms(n64), ms(n8), verdict(ratio <= 1.3));
            }
        }
    }
    for &delay in &context.delays {
        let Some(ocx) = rows.wall(Scheme::Https, delay, 8, walk, cold) else {
            continue;
        };
        if delay > 0 {
            if let Some(skopeo) = rows.wall(Scheme::Https, delay, 8, PEERS[0], Cache::None) {
                let ratio = ocx.as_secs_f64() / skopeo.as_secs_f64();
                let _ = writeln!(out, "| N=8 HTTPS +{delay} ms: describe --no-sbom within 1.2x of skopeo --raw | {} ms / {} ms = {ratio:.2}x | {} |", ms(ocx), ms(skopeo), verdict(ratio <= 1.2));
            }
            for peer in [PEERS[2], PEERS[3]] {
                if let Some(peer_wall) = rows.wall(Scheme::Https, delay, 8, peer, Cache::None) {
                    let speedup = peer_wall.as_secs_f64() / ocx.as_secs_f64();
                    let _ = writeln!(out, "| N=8 HTTPS +{delay} ms: describe --no-sbom ≥ 10x faster than {peer} | {} ms vs {} ms = {speedup:.1}x | {} |", ms(ocx), ms(peer_wall), verdict(speedup >= 10.0));
                }
            }
        } else if let (Some(full), Some(crane)) = (
            rows.wall(Scheme::Https, 0, 8, "describe", cold),
            rows.wall(Scheme::Https, 0, 8, PEERS[1], Cache::None),
        ) {
            let ratio = full.as_secs_f64() / crane.as_secs_f64();
            let _ = writeln!(out, "| N=8 HTTPS +0 ms: describe within 2x of crane manifest | {} ms / {} ms = {ratio:.2}x | {} |", ms(full), ms(crane), verdict(ratio <= 2.0));
        }
    }
    for ((name, measured), limit) in local.iter().zip([5.0, 10.0]) {
        let median = median(&measured.samples, |s| s.wall);
        let _ = writeln!(
            out,
            "| `{name}` under {limit} ms | {} ms | {} |",
            ms(median),
            verdict(median.as_secs_f64() * 1e3 < limit)
        );
    }
    for case in ["describe (SBOMs attached)", "sbom"] {
        for scheme in [Scheme::Http, Scheme::Https] {
            let Some(row) = rows.find(scheme, 0, 64, case, cold) else {
                continue;
            };
            if let Some(Resources { max_rss_kib }) = row.resources {
                let rss = max_rss_kib as f64 / 1024.0;
                let cpu = median(&row.samples, |s| s.cpu);
                let _ = writeln!(out, "| 64 x {} packages, `{case}`, {} +0 ms: peak RSS < 128 MiB, CPU < 0.3 s | {rss:.0} MiB, {:.2} s CPU | {} |", context.packages, scheme.name(), cpu.as_secs_f64(), verdict(rss < 128.0 && cpu.as_secs_f64() < 0.3));
            }
        }
    }
    discovery_target(out, context, rows);
    cache_targets(out, context, rows);
    let _ = writeln!(out, "| SBOM parsing ≥ 100 MB/s per format | not measured here: `cargo bench --bench sbom_parse` | n/a |\n");
}

/// What ocx and the registry spent in CPU at N=8 and N=64 (they share the machine's
/// cores, so the registry's work at N=64 is wall time too).
fn registry_cpu_note(rows: &Rows, scheme: Scheme, delay: u64) -> String {
    let cpu = |n: usize| {
        let row = rows.find(scheme, delay, n, "describe --no-sbom", Cache::Cold)?;
        let registry = median(&row.samples, |s| s.registry_cpu)?;
        Some((median(&row.samples, |s| s.cpu), registry))
    };
    match (cpu(8), cpu(64)) {
        (Some((ocx8, reg8)), Some((ocx64, reg64))) => format!(
            " (CPU, ocx / registry: N=8 {} / {} ms, N=64 {} / {} ms)",
            ms(ocx8),
            ms(reg8),
            ms(ocx64),
            ms(reg64)
        ),
        _ => String::new(),
    }
}

/// Discovery on distribution (no referrers API) adds a constant number of requests.
fn discovery_target(out: &mut String, context: &Context, rows: &Rows) {
    let extra = |n: usize| {
        let requests = |case: &str| {
            rows.find(Scheme::Http, 0, n, case, Cache::Cold)
                .map(|r| median(&r.samples, |s| s.requests) as i64)
        };
        Some(requests("describe")? - requests("describe --no-sbom")?)
    };
    let measured: Vec<(usize, i64)> = context
        .widths
        .iter()
        .filter_map(|&n| Some((n, extra(n)?)))
        .collect();
    if let (Some(first), Some(last)) = (measured.first(), measured.last()) {
        let parts: Vec<String> = measured
            .iter()
            .map(|(n, e)| format!("N={n}: +{e}"))
            .collect();
        let _ = writeln!(out, "| discovery without the referrers API: a constant number of extra requests (no SBOMs exist; N={} no more than N={} + 1) | {} | {} |", last.0, first.0, parts.join(", "), verdict(last.1 <= first.1 + 1));
    }
}

fn cache_targets(out: &mut String, context: &Context, rows: &Rows) {
    if !context.has_cache {
        let _ = writeln!(out, "| cache: a second describe of a tag costs 1 request, pinned by digest none | not measured: this build has no cache | n/a |");
        return;
    }
    // What is reached through a tag is asked again on every run, by design: for a diff of
    // two SBOM-attached indexes that is, per side, the tag itself, the tag list, the
    // referrers probes (one for `{}`, one for a manifest) and each cosign `.sbom` tag.
    type Limit = fn(usize) -> usize;
    let cases: [(&str, &str, Limit); 3] = [
        ("describe --no-sbom", "1", |_| 1),
        ("describe --no-sbom @digest", "0", |_| 0),
        ("diff (SBOMs attached)", "2 × (4 + N): per side the tag, the tag list, 2 referrers probes and N cosign tags; nothing fetched by digest", |n| 2 * (4 + n)),
    ];
    for (case, limit_text, limit) in cases {
        let parts: Vec<(usize, usize)> = context
            .widths
            .iter()
            .filter_map(|&n| {
                let row = rows.find(Scheme::Http, 0, n, case, Cache::Warm)?;
                Some((n, median(&row.samples, |s| s.requests)))
            })
            .collect();
        if parts.is_empty() {
            continue;
        }
        let ok = parts.iter().all(|&(n, r)| r <= limit(n));
        let text: Vec<String> = parts.iter().map(|(n, r)| format!("N={n}: {r}")).collect();
        let _ = writeln!(
            out,
            "| warm cache, `{case}`: at most {limit_text} request(s) (plain HTTP) | {} | {} |",
            text.join(", "),
            verdict(ok)
        );
    }
}

fn local_table(out: &mut String, local: &[(String, Measured)]) {
    let _ = writeln!(out, "## Local overhead (no network; 20 runs)\n\n| command | median ms | min ms | peak RSS MiB | CPU ms |\n|---|---|---|---|---|");
    for (name, measured) in local {
        let samples = &measured.samples;
        let min = samples.iter().map(|s| s.wall).min().unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} | {} | {} |",
            ms(median(samples, |s| s.wall)),
            ms(min),
            rss(measured.resources),
            ms(median(samples, |s| s.cpu))
        );
    }
    let _ = writeln!(out);
}

fn table(out: &mut String, context: &Context, rows: &Rows, scheme: Scheme, delay: u64) {
    if !rows
        .0
        .iter()
        .any(|r| r.scheme == scheme && r.delay_ms == delay)
    {
        return;
    }
    let _ = writeln!(out, "## {}, +{delay} ms each way\n", scheme.name());
    let rounds_header = match scheme {
        Scheme::Http | Scheme::Ferro => "request rounds (wire)",
        Scheme::Https => "wire rounds",
    };
    let _ = writeln!(
        out,
        "| N | command | cache | median ms | RTTs by wall time | requests | conns | {rounds_header} | peak RSS MiB | CPU ms | registry CPU ms | {} |",
        PEER_SHORT.map(|p| format!("÷ {p}")).join(" | ")
    );
    let _ = writeln!(out, "|{}", "---|".repeat(11 + PEER_SHORT.len()));
    for &n in &context.widths {
        for row in rows
            .0
            .iter()
            .filter(|r| r.scheme == scheme && r.delay_ms == delay && r.width == n)
        {
            let cache = match row.cache {
                Cache::None => "",
                Cache::Cold => "cold",
                Cache::Warm => "warm",
            };
            if let Some(error) = &row.error {
                let first = error.lines().next().unwrap_or("").replace('|', "/");
                let _ = writeln!(
                    out,
                    "| {n} | {} | {cache} | failed: {first} |{}",
                    row.case,
                    " |".repeat(10 + PEER_SHORT.len())
                );
                continue;
            }
            let s = &row.samples;
            let median_wall = median(s, |x| x.wall);
            // Without a delay, which answer came before which request is decided by CPU
            // scheduling alone: no rounds.
            let rounds = match scheme {
                _ if delay == 0 => String::new(),
                Scheme::Http | Scheme::Ferro => format!(
                    "{} ({})",
                    median(s, |x| x.request_rounds.unwrap_or(0)),
                    median(s, |x| x.wire_rounds)
                ),
                Scheme::Https => median(s, |x| x.wire_rounds).to_string(),
            };
            let ratios: Vec<String> = PEERS
                .iter()
                .map(
                    |peer| match rows.wall(scheme, delay, n, peer, Cache::None) {
                        Some(peer_wall) if row.tool == "ocx" => {
                            format!("{:.2}", median_wall.as_secs_f64() / peer_wall.as_secs_f64())
                        }
                        _ => String::new(),
                    },
                )
                .collect();
            let _ = writeln!(
                out,
                "| {n} | {} | {cache} | {} | {} | {} | {} | {rounds} | {} | {} | {} | {} |",
                row.case,
                ms(median_wall),
                rows.rtts(row)
                    .map(|r| format!("{r:.1}"))
                    .unwrap_or_default(),
                median(s, |x| x.requests),
                median(s, |x| x.connections),
                rss(row.resources),
                ms(median(s, |x| x.cpu)),
                median(s, |x| x.registry_cpu)
                    .map(|cpu| format!("{:.0}", cpu.as_secs_f64() * 1e3))
                    .unwrap_or_default(),
                ratios.join(" | ")
            );
        }
    }
    let _ = writeln!(out);
}

/// The "peak RSS MiB" cell.
fn rss(resources: Option<Resources>) -> String {
    resources
        .map(|r| format!("{:.1}", r.max_rss_kib as f64 / 1024.0))
        .unwrap_or_default()
}
