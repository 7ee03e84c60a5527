//! Human output. Takes the model only, never fetches. Box drawing and colour when
//! `styled` (a terminal without NO_COLOR); otherwise plain aligned text for pipes.

use std::collections::BTreeMap;
use std::fmt::Write;

use comfy_table::{presets, Attribute, Cell, ColumnConstraint, ContentArrangement, Table, Width};

use crate::model::{
    Build, BuildValue, Described, Description, DescriptorInfo, Package, SbomReport, SbomSource,
    SbomSubject,
};
use crate::sbom::discover::Outcome;

pub fn human(d: &Description, styled: bool) -> String {
    let m = &d.manifest;
    let mut out = String::new();
    let kind = if m.media_type.is_index {
        "index"
    } else if m.media_type.is_image {
        "image"
    } else {
        "manifest"
    };
    let created = m.build.created.as_ref().map(|c| c.value.as_str());
    let mut header = vec![
        ("Reference", d.reference.clone()),
        ("Resolved", d.resolved.clone()),
        ("Digest", m.descriptor.digest.clone()),
        ("Media type", format!("{} ({kind})", m.media_type.value)),
        ("Artifact type", or_dash(m.artifact_type.as_deref())),
        (
            "Size",
            format!(
                "{} total ({} bytes)",
                human_size(m.total_size),
                m.total_size
            ),
        ),
        ("Created", or_dash(created)),
    ];
    if let Some(subject) = &m.subject {
        header.push(("Subject", subject.digest.clone()));
    }
    write_pairs(&mut out, &header);

    if let Some(manifests) = &m.manifests {
        section(
            &mut out,
            &format!("Platforms ({})", manifests.len()),
            styled,
        );
        out.push_str(&platform_table(m, styled));
    }
    if let Some(attestations) = m.attestations.as_ref().filter(|a| !a.is_empty()) {
        section(
            &mut out,
            &format!("Attestations ({})", attestations.len()),
            styled,
        );
        for a in attestations {
            let target = a
                .refers_to_platform
                .clone()
                .or_else(|| a.refers_to.clone())
                .unwrap_or_else(|| "-".into());
            let predicates = if a.predicate_types.is_empty() {
                "-".into()
            } else {
                a.predicate_types.join(", ")
            };
            let line = format!("{} for {target}: {predicates}", short(&a.descriptor.digest));
            let _ = writeln!(out, "  {}", clean(&line));
        }
    }
    if m.config.is_some() {
        image_sections(&mut out, m, styled);
    }
    if m.config.is_some() || m.sbom.as_ref().is_some_and(|p| !p.is_empty()) {
        if let Some(packages) = &m.sbom {
            section(&mut out, "SBOM", styled);
            let _ = writeln!(
                out,
                "  {} (list them with `ocx sbom`)",
                sbom_summary(Some(packages))
            );
        }
    }
    let build = build_rows(&m.build);
    if !build.is_empty() {
        section(&mut out, "Build", styled);
        write_indented_pairs(&mut out, &build);
    }
    if !m.annotations.is_empty() {
        section(&mut out, "Annotations", styled);
        write_map(&mut out, &m.annotations);
    }
    out
}

fn image_sections(out: &mut String, m: &Described, styled: bool) {
    let Some(config) = &m.config else { return };
    section(out, "Config", styled);
    let platform = match (&config.os, &config.architecture) {
        (Some(os), Some(arch)) => {
            let mut p = format!("{os}/{arch}");
            if let Some(v) = &config.variant {
                p.push('/');
                p.push_str(v);
            }
            p
        }
        _ => "-".into(),
    };
    let join = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(" "));
    let rows = [
        ("Digest", config.descriptor.digest.clone()),
        ("Media type", config.descriptor.media_type.clone()),
        ("Platform", platform),
        ("Entrypoint", or_dash(join(&config.entrypoint).as_deref())),
        ("Cmd", or_dash(join(&config.cmd).as_deref())),
        ("User", or_dash(config.user.as_deref())),
        ("Working dir", or_dash(config.working_dir.as_deref())),
        ("Ports", or_dash(join(&config.exposed_ports).as_deref())),
        ("Author", or_dash(config.author.as_deref())),
        (
            "History",
            config.history.as_ref().map_or_else(
                || "-".into(),
                |h| match h.len() {
                    1 => "1 entry (--json has it)".to_string(),
                    n => format!("{n} entries (--json has them)"),
                },
            ),
        ),
    ];
    write_indented_pairs(out, &rows);
    if let Some(env) = config.env.as_ref().filter(|e| !e.is_empty()) {
        section(out, "Env", styled);
        for variable in env {
            let _ = writeln!(out, "  {}", clean(variable));
        }
    }
    if let Some(labels) = config.labels.as_ref().filter(|l| !l.is_empty()) {
        section(out, "Labels", styled);
        write_map(out, labels);
    }
    if let Some(layers) = &m.layers {
        section(out, &format!("Layers ({})", layers.len()), styled);
        if layers.is_empty() {
            out.push_str("  none\n");
        } else {
            out.push_str(&layer_table(layers, styled));
        }
    }
}

/// One row per child; an ORIGIN column only when some child was brought in from elsewhere.
fn platform_table(m: &Described, styled: bool) -> String {
    let children = || m.manifests.iter().flatten();
    let with_origin = children().any(|(_, child)| child.origin.is_some());
    let mut headers = vec![
        "PLATFORM",
        "DIGEST",
        "ARTIFACT TYPE",
        "LAYERS",
        "SIZE",
        "SBOM",
    ];
    if with_origin {
        headers.push("ORIGIN");
    }
    let mut table = new_table(styled, &headers);
    for (key, child) in children() {
        let layers = match (&child.layers, &child.manifests) {
            (Some(l), _) => l.len().to_string(),
            (None, Some(children)) => format!("index of {}", children.len()),
            _ => "-".into(),
        };
        let mut row = vec![
            short_key(key),
            short(&child.descriptor.digest),
            or_dash(child.artifact_type.as_deref()),
            layers,
            human_size(child.total_size),
            sbom_summary(child.sbom.as_deref()),
        ];
        if with_origin {
            row.push(or_dash(child.origin.as_deref()));
        }
        table.add_row(cleaned(row));
    }
    // On a narrow terminal the other columns wrap first.
    keep_at_least(&mut table, &[(0, 18), (1, SHORT_DIGEST_WIDTH)]);
    finish(table)
}

fn layer_table(layers: &[DescriptorInfo], styled: bool) -> String {
    let mut table = new_table(styled, &["#", "DIGEST", "MEDIA TYPE", "SIZE"]);
    for (i, layer) in layers.iter().enumerate() {
        table.add_row(cleaned(vec![
            (i + 1).to_string(),
            short(&layer.digest),
            layer.media_type.clone(),
            human_size(layer.size),
        ]));
    }
    keep_at_least(&mut table, &[(1, SHORT_DIGEST_WIDTH)]);
    finish(table)
}

const INDENT: u16 = 2;
const MIN_TABLE_WIDTH: u16 = 40;

fn new_table(styled: bool, headers: &[&str]) -> Table {
    let mut table = Table::new();
    if styled {
        // Tables are indented by two columns; a terminal that reports no usable width
        // (some CI ptys say 0) gets the table at its natural width.
        let arrangement = match table.width() {
            Some(width) if width >= MIN_TABLE_WIDTH => {
                table.set_width(width - INDENT);
                ContentArrangement::Dynamic
            }
            _ => ContentArrangement::Disabled,
        };
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(arrangement)
            .set_header(
                headers
                    .iter()
                    .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
            );
    } else {
        table
            .load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(headers.iter().map(Cell::new));
        // NOTHING pads cells with one space each side; trim the left edge below.
    }
    table
}

/// `sha256:` and 12 hex digits, and the padding on each side.
const SHORT_DIGEST_WIDTH: u16 = 21;

/// Gives columns a minimum width, so that digests and keys wrap only when nothing else
/// can.
fn keep_at_least(table: &mut Table, columns: &[(usize, u16)]) {
    for &(index, width) in columns {
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
        }
    }
}

fn finish(table: Table) -> String {
    let mut out = String::new();
    for line in table.lines() {
        let line = line.strip_prefix(' ').unwrap_or(&line).trim_end();
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn sbom_summary(packages: Option<&[Package]>) -> String {
    match packages {
        None => "-".into(),
        Some([]) => "none".into(),
        Some([_]) => "1 package".into(),
        Some(p) => format!("{} packages", p.len()),
    }
}

/// `ocx sbom`: a section per manifest with its packages and where they were found.
pub fn sbom(report: &SbomReport, styled: bool) -> String {
    let mut out = String::new();
    write_pairs(
        &mut out,
        &[
            ("Reference", report.reference.clone()),
            ("Resolved", report.resolved.clone()),
        ],
    );
    let title = if report.subject.manifests.is_some() {
        "index"
    } else {
        "manifest"
    };
    sbom_sections(&mut out, title, &report.subject, styled);
    out
}

/// A section for the subject, then one for each child, titled by its path of keys.
fn sbom_sections(out: &mut String, title: &str, subject: &SbomSubject, styled: bool) {
    sbom_section(out, title, subject, styled);
    for (key, child) in subject.manifests.iter().flatten() {
        let path = if title == "index" {
            short_key(key)
        } else {
            format!("{title} > {}", short_key(key))
        };
        sbom_sections(out, &path, child, styled);
    }
}

fn sbom_section(out: &mut String, title: &str, subject: &SbomSubject, styled: bool) {
    let digest = short(&subject.digest);
    let summary = sbom_summary(Some(&subject.sbom));
    let heading = if title.ends_with(&digest) {
        format!("{}: {summary}", clean(title))
    } else {
        format!("{} ({digest}): {summary}", clean(title))
    };
    section(out, &heading, styled);
    if subject.sbom.is_empty() {
        let mut looked: Vec<&str> = subject
            .sbom_sources
            .iter()
            .map(|s| convention_name(s))
            .collect();
        looked.dedup();
        let _ = writeln!(out, "  no SBOM found (looked in: {})", looked.join(", "));
    } else {
        let mut table = new_table(styled, &["TYPE", "NAMESPACE", "NAME", "VERSION", "PURL"]);
        for package in &subject.sbom {
            let p = &package.purl;
            table.add_row(cleaned(vec![
                or_dash(p.purl_type.as_deref()),
                or_dash(p.namespace.as_deref()),
                or_dash(p.name.as_deref()),
                or_dash(p.version.as_deref()),
                p.purl.clone(),
            ]));
        }
        out.push_str(&finish(table));
    }
    for source in subject
        .sbom_sources
        .iter()
        .filter(|s| s.outcome == Outcome::Found)
    {
        let _ = writeln!(out, "  found in {}", clean(&found_in(source)));
    }
    for package in subject.sbom.iter().filter(|p| p.purl.warning.is_some()) {
        let _ = writeln!(
            out,
            "  warning: {}: {}",
            clean(&package.purl.purl),
            clean(package.purl.warning.as_deref().unwrap_or_default())
        );
    }
    let without: usize = subject
        .sbom_sources
        .iter()
        .filter_map(|s| s.packages_without_purl)
        .sum();
    if without > 0 {
        let noun = if without == 1 {
            "package is"
        } else {
            "packages are"
        };
        let _ = writeln!(out, "  {without} {noun} listed without a purl");
    }
}

fn convention_name(source: &SbomSource) -> &'static str {
    use crate::sbom::discover::Convention::*;
    match source.convention {
        ReferrersApi => "referrers API",
        ReferrersTag => "referrers tag",
        CosignSbomTag => "cosign .sbom tag",
        CosignAttestationTag => "cosign .att tag",
        BuildkitAttestation => "BuildKit attestation",
    }
}

fn found_in(source: &SbomSource) -> String {
    let format = match (source.format, &source.spec_version) {
        (Some(f), Some(v)) => format!(
            "{} {v}",
            serde_json::to_value(f)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
        _ => "-".into(),
    };
    let mut text = format!(
        "{} {} ({format}, {} packages",
        convention_name(source),
        source.location,
        source.packages.unwrap_or(0)
    );
    if !source.envelopes.is_empty() {
        text.push_str(", inside ");
        text.push_str(&source.envelopes.join(" > "));
    }
    text.push(')');
    text
}

fn build_rows(build: &Build) -> Vec<(&'static str, String)> {
    let fields: [(&str, &Option<BuildValue>); 14] = [
        ("source", &build.source),
        ("revision", &build.revision),
        ("version", &build.version),
        ("created", &build.created),
        ("authors", &build.authors),
        ("url", &build.url),
        ("documentation", &build.documentation),
        ("title", &build.title),
        ("description", &build.description),
        ("licenses", &build.licenses),
        ("vendor", &build.vendor),
        ("base name", &build.base_name),
        ("base digest", &build.base_digest),
        ("builder", &build.builder),
    ];
    fields
        .into_iter()
        .filter_map(|(name, value)| {
            let v = value.as_ref()?;
            let source = serde_json::to_value(v.source)
                .ok()
                .and_then(|s| s.as_str().map(str::to_string))
                .unwrap_or_default();
            Some((name, format!("{}  ({source})", v.value)))
        })
        .collect()
}

fn section(out: &mut String, title: &str, styled: bool) {
    out.push('\n');
    if styled {
        let _ = writeln!(out, "\x1b[1m{title}\x1b[0m");
    } else {
        let _ = writeln!(out, "{title}");
    }
}

fn write_pairs(out: &mut String, pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        let _ = writeln!(out, "{k:<width$}  {}", clean(v));
    }
}

fn write_indented_pairs(out: &mut String, pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        let _ = writeln!(out, "  {k:<width$}  {}", clean(v));
    }
}

fn write_map(out: &mut String, map: &BTreeMap<String, String>) {
    let width = map.keys().map(|k| clean(k).len()).max().unwrap_or(0);
    for (k, v) in map {
        let _ = writeln!(out, "  {:<width$}  {}", clean(k), clean(v));
    }
}

/// Content from registries is shown, never obeyed: control characters (terminal escape
/// sequences, newlines) and bidirectional overrides (which reorder what a line shows)
/// are printed escaped. Everything ocx prints that came from outside goes through here,
/// on stdout and on stderr.
pub fn clean(text: &str) -> String {
    if !text.chars().any(is_unsafe) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if is_unsafe(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn cleaned(cells: Vec<String>) -> Vec<String> {
    cells.iter().map(|c| clean(c)).collect()
}

fn or_dash(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("-").to_string()
}

/// `sha256:0123456789ab`: enough to tell digests apart in a table. Cut by characters,
/// never by bytes, as a digest string from a registry may hold anything.
fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, hex)) => format!("{alg}:{}", hex.chars().take(12).collect::<String>()),
        None => digest.to_string(),
    }
}

/// A `manifests` key: digest keys (entries without a platform) are abbreviated.
fn short_key(key: &str) -> String {
    match key.split_once('#') {
        Some((base, n)) if base.contains(':') && !base.contains('/') => {
            format!("{}#{n}", short(base))
        }
        None if key.contains(':') && !key.contains('/') => short(key),
        _ => key.to_string(),
    }
}

/// Sizes in powers of 1000, as registries and docker show them.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_500), "1.5 kB");
        assert_eq!(human_size(12_300_000), "12.3 MB");
    }

    #[test]
    fn short_keys() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(short_key(&digest), "sha256:aaaaaaaaaaaa");
        assert_eq!(short_key(&format!("{digest}#2")), "sha256:aaaaaaaaaaaa#2");
        assert_eq!(short_key("windows/amd64:10.0.1"), "windows/amd64:10.0.1");
    }

    #[test]
    fn short_digests() {
        assert_eq!(short("sha256:0123456789abcdef"), "sha256:0123456789ab");
        assert_eq!(short("sha256:ééééééééééééé"), "sha256:éééééééééééé");
    }

    #[test]
    fn clean_escapes_terminal_controls_and_bidi_overrides() {
        assert_eq!(clean("plain text"), "plain text");
        assert_eq!(
            clean("a\u{1b}]0;title\u{7}b\rc\nerror: d\u{202e}"),
            "a\\u{1b}]0;title\\u{7}b\\u{d}c\\u{a}error: d\\u{202e}"
        );
    }
}
