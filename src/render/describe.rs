//! `ocx describe`: header, platforms, attestations, image sections, build facts,
//! annotations.

use std::fmt::Write;

use super::text::*;
use crate::model::{Build, BuildValue, Description, DescriptorInfo, ManifestInfo, Referrer};

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

fn image_sections(out: &mut String, m: &ManifestInfo, styled: bool) {
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
fn platform_table(m: &ManifestInfo, styled: bool) -> String {
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
            _ if child.error.is_some() => "unreadable".into(),
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
            or_dash(referrer.artifact_type.as_deref()),
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
    let digest_column = if is_index { 3 } else { 2 };
    keep_at_least(&mut table, &[(digest_column, SHORT_DIGEST_WIDTH)]);
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
            Some((name, format!("{}  ({})", v.value, v.source.as_str())))
        })
        .collect()
}
