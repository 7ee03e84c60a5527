//! `ocx describe`: header, platforms, attestations, image sections, build facts,
//! annotations.

use std::fmt::Write;

use super::text::*;
use crate::manifest::{is_image_config_media_type, OCI_EMPTY};
use crate::model::{
    Build, BuildSource, BuildValue, ConfigInfo, Description, DescriptorInfo, HealthcheckInfo,
    ManifestInfo, Referrer,
};

pub fn describe(d: &Description, styled: bool) -> String {
    let m = &d.manifest;
    let mut out = String::new();
    let kind = if m.media_type.is_index {
        "index"
    } else if m.media_type.is_image {
        "image"
    } else {
        "manifest"
    };
    let mut header = vec![
        ("Reference", d.reference.clone()),
        ("Resolved", d.resolved.clone()),
        ("Digest", m.descriptor.digest.clone()),
        ("Media type", format!("{} ({kind})", m.media_type.value)),
        (
            "Artifact type",
            artifact_type(m, "(from the config media type)"),
        ),
        (
            "Size",
            format!(
                "{} total ({} bytes)",
                human_size(m.total_size),
                m.total_size
            ),
        ),
        ("Created", created(&m.build)),
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
        if manifests.is_empty() {
            out.push_str("  none\n");
        } else {
            out.push_str(&platform_table(m, styled));
        }
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
    let referrers = referrers_of(m);
    if !referrers.is_empty() {
        section(
            &mut out,
            &format!("Referrers ({})", referrers.len()),
            styled,
        );
        out.push_str(&referrer_table(&referrers, m.manifests.is_some(), styled));
    }
    if m.config.is_some() {
        image_sections(&mut out, m, styled);
    }
    if m.config.is_some() || m.sbom.as_ref().is_some_and(|p| !p.is_empty()) {
        if let Some(packages) = &m.sbom {
            section(&mut out, "SBOM", styled);
            let line = match packages.len() {
                0 => "none found (`ocx sbom` says where it looked)".to_string(),
                _ => format!(
                    "{} (list them with `ocx sbom`)",
                    sbom_summary(Some(packages))
                ),
            };
            let _ = writeln!(out, "  {line}");
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
    let failures = m.failures();
    if !failures.is_empty() {
        section(
            &mut out,
            &format!("Could not be read ({})", failures.len()),
            styled,
        );
        for failure in &failures {
            let _ = writeln!(out, "  {}", clean(&super::failure_line(failure)));
        }
    }
    out
}

/// The manifest's `artifactType`, else the one the image spec derives from an artifact's
/// config media type (a container image's config type says nothing new), followed by
/// `derived_note`.
fn artifact_type(m: &ManifestInfo, derived_note: &str) -> String {
    match (&m.artifact_type, derived_artifact_type(m)) {
        (Some(own), _) => own.clone(),
        (None, Some(derived)) => format!("{derived} {derived_note}"),
        (None, None) => "-".into(),
    }
}

fn derived_artifact_type(m: &ManifestInfo) -> Option<&str> {
    m.derived_artifact_type
        .as_deref()
        .filter(|t| !is_image_config_media_type(t))
}

fn image_sections(out: &mut String, m: &ManifestInfo, styled: bool) {
    let Some(config) = &m.config else { return };
    section(out, "Config", styled);
    if !is_image_config_media_type(&config.descriptor.media_type) {
        artifact_config_rows(out, config);
    } else {
        image_config_rows(out, config, styled);
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

/// An artifact's own config is shown as what it is, not as an empty image config.
fn artifact_config_rows(out: &mut String, config: &ConfigInfo) {
    let d = &config.descriptor;
    let rows = [
        ("Digest", d.digest.clone()),
        ("Media type", d.media_type.clone()),
        ("Size", format!("{} ({} bytes)", human_size(d.size), d.size)),
    ];
    write_indented_pairs(out, &rows);
}

fn image_config_rows(out: &mut String, config: &ConfigInfo, styled: bool) {
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
    ];
    let mut rows = Vec::from(rows);
    rows.extend(optional_config_rows(config));
    rows.extend([
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
    ]);
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
}

/// Rows for the config fields most images lack, each only when the config has it (an
/// empty list, or a resource limit of 0, which Docker writes for "unset", is not shown).
fn optional_config_rows(config: &ConfigInfo) -> Vec<(&'static str, String)> {
    let join = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(" "));
    let number = |n: Option<i64>| n.filter(|n| *n != 0).map(|n| n.to_string());
    [
        ("Volumes", join(&config.volumes)),
        ("Stop signal", config.stop_signal.clone()),
        ("Shell", join(&config.shell)),
        ("On build", config.on_build.as_ref().map(|o| o.join("; "))),
        ("Healthcheck", config.healthcheck.as_ref().map(healthcheck)),
        ("Args escaped", config.args_escaped.map(|b| b.to_string())),
        ("Memory", number(config.memory)),
        ("Memory swap", number(config.memory_swap)),
        ("CPU shares", number(config.cpu_shares)),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value.filter(|v| !v.is_empty())?)))
    .collect()
}

/// `CMD-SHELL curl -f http://localhost/ (interval 30s, timeout 3s, retries 3)`.
fn healthcheck(h: &HealthcheckInfo) -> String {
    let mut line = h.test.as_ref().map_or_else(|| "-".into(), |t| t.join(" "));
    let timing: Vec<String> = [
        ("interval", h.interval),
        ("timeout", h.timeout),
        ("start period", h.start_period),
        ("start interval", h.start_interval),
    ]
    .into_iter()
    .filter_map(|(name, ns)| Some(format!("{name} {}", duration(ns?))))
    .chain(h.retries.map(|r| format!("retries {r}")))
    .collect();
    if !timing.is_empty() {
        let _ = write!(line, " ({})", timing.join(", "));
    }
    line
}

/// Nanoseconds as seconds when whole, else milliseconds.
fn duration(ns: i64) -> String {
    if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else {
        format!("{}ms", ns / 1_000_000)
    }
}

/// One row per child, the children of a nested index indented under it; an ORIGIN
/// column only when some child was brought in from elsewhere.
fn platform_table(m: &ManifestInfo, styled: bool) -> String {
    let mut entries = Vec::new();
    platform_rows(m, 0, &mut entries);
    let with_origin = entries.iter().any(|(_, child)| child.origin.is_some());
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
    for (label, child) in entries {
        let layers = match (&child.layers, &child.manifests) {
            (Some(l), _) => l.len().to_string(),
            (None, Some(children)) => format!("index of {}", children.len()),
            _ if child.error.is_some() => "unreadable".into(),
            _ => "-".into(),
        };
        let mut row = vec![
            label,
            short(&child.descriptor.digest),
            artifact_type(child, "(from config)"),
            layers,
            human_size(child.total_size),
            sbom_summary(child.sbom.as_deref()),
        ];
        if with_origin {
            // On a terminal a digest in the origin is shortened as in the other columns.
            let origin = or_dash(child.origin.as_deref());
            row.push(if styled {
                short_digests_in(&origin)
            } else {
                origin
            });
        }
        table.add_row(cleaned(row));
    }
    finish_fitted(table, &[2])
}

/// The referrers of a manifest and of every manifest below it, each with its path of
/// `manifests` keys (empty for the manifest itself).
fn referrers_of(m: &ManifestInfo) -> Vec<(String, &Referrer)> {
    let mut found: Vec<(String, &Referrer)> = Vec::new();
    let mut stack = vec![(String::new(), m)];
    while let Some((path, manifest)) = stack.pop() {
        for referrer in manifest.referrers.iter().flatten() {
            found.push((path.clone(), referrer));
        }
        for (key, child) in manifest.manifests.iter().flatten().rev() {
            let child_path = if path.is_empty() {
                short_key(key)
            } else {
                format!("{path} > {}", short_key(key))
            };
            stack.push((child_path, child));
        }
    }
    found
}

/// One row per referrer; an OF column naming the manifest referred to, for an index.
fn referrer_table(referrers: &[(String, &Referrer)], is_index: bool, styled: bool) -> String {
    let mut headers = vec!["KIND", "ARTIFACT TYPE", "DIGEST", "FOUND IN"];
    if is_index {
        headers.insert(0, "OF");
    }
    let mut table = new_table(styled, &headers);
    for (path, referrer) in referrers {
        let mut kind = referrer.kind.as_str().to_string();
        if !referrer.predicate_types.is_empty() {
            kind = format!("{kind} ({})", referrer.predicate_types.join(", "));
        }
        let mut row = vec![
            kind,
            referrer_artifact_type(referrer),
            short(&referrer.digest),
            super::sbom::convention_label(referrer.convention).to_string(),
        ];
        if is_index {
            row.insert(
                0,
                if path.is_empty() {
                    "index".into()
                } else {
                    path.clone()
                },
            );
        }
        table.add_row(cleaned(row));
    }
    let artifact_type_column = if is_index { 2 } else { 1 };
    finish_fitted(table, &[artifact_type_column])
}

/// The empty type is a placeholder config, never an artifact type (see `derived_artifact_type`).
fn referrer_artifact_type(referrer: &Referrer) -> String {
    or_dash(
        referrer
            .artifact_type
            .as_deref()
            .filter(|t| *t != OCI_EMPTY),
    )
}

/// The rows of an index's children: a nested index without a platform is labelled
/// `index` (its digest has a column of its own), its children follow it indented.
fn platform_rows<'a>(
    m: &'a ManifestInfo,
    depth: usize,
    rows: &mut Vec<(String, &'a ManifestInfo)>,
) {
    for (key, child) in m.manifests.iter().flatten() {
        let nested = child.manifests.is_some();
        let label = if nested && child.descriptor.platform.is_none() {
            "index".to_string()
        } else {
            short_key(key)
        };
        rows.push((format!("{}{label}", "  ".repeat(depth)), child));
        if nested {
            platform_rows(child, depth + 1, rows);
        }
    }
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
    finish_fitted(table, &[2])
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
    let mut rows = Vec::new();
    for (name, value) in fields {
        let Some(v) = value else { continue };
        if v.other_values.is_empty() {
            rows.push((name, sourced(&v.value, v.source, v.platform.as_deref())));
            continue;
        }
        // Children disagree: every value, each with where it came from.
        rows.push((name, "differs across platforms:".to_string()));
        rows.push((
            "",
            format!("  {}", sourced(&v.value, v.source, v.platform.as_deref())),
        ));
        for other in &v.other_values {
            let line = sourced(&other.value, other.source, other.platform.as_deref());
            rows.push(("", format!("  {line}")));
        }
    }
    rows
}

/// `VALUE  (label)`, or `VALUE  (label of linux/amd64)` for a child's value.
fn sourced(value: &str, source: BuildSource, platform: Option<&str>) -> String {
    format!("{value}  ({})", source_label(source, platform))
}

fn source_label(source: BuildSource, platform: Option<&str>) -> String {
    match platform {
        Some(path) => {
            let keys: Vec<String> = path.split(" > ").map(short_key).collect();
            format!("{} of {}", source.as_str(), keys.join(" > "))
        }
        None => source.as_str().to_string(),
    }
}

/// The header's Created: its value, where a child's value came from, or that the
/// children disagree.
fn created(build: &Build) -> String {
    match &build.created {
        None => "-".into(),
        Some(c) if !c.other_values.is_empty() => {
            format!("{} (differs across platforms)", c.value)
        }
        Some(c) if c.platform.is_some() => format!(
            "{} ({})",
            c.value,
            source_label(c.source, c.platform.as_deref())
        ),
        Some(c) => c.value.clone(),
    }
}
