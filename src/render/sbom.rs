//! `ocx sbom`: a section per manifest with its packages and where they were found.

use std::fmt::Write;

use super::text::*;
use crate::model::{Convention, Outcome, SbomReport, SbomSource, SbomSubject};

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
    if let Some(error) = &subject.error {
        let _ = writeln!(out, "  could not be read: {}", clean(error));
    }
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
    for source in &subject.sbom_sources {
        match source.outcome {
            Outcome::Found => {
                let _ = writeln!(out, "  found in {}", clean(&found_in(source)));
            }
            Outcome::NotAnSbom if source.predicate_type.is_some() => {
                let line = format!(
                    "not an SBOM: {} {} holds an attestation of {}",
                    convention_name(source),
                    source.location,
                    source.predicate_type.as_deref().unwrap_or_default()
                );
                let _ = writeln!(out, "  {}", clean(&line));
            }
            Outcome::Error | Outcome::Truncated => {
                let line = format!(
                    "could not read all of {} {}: {}",
                    convention_name(source),
                    source.location,
                    source.detail.as_deref().unwrap_or("-")
                );
                let _ = writeln!(out, "  {}", clean(&line));
            }
            _ => {}
        }
    }
    for package in subject.sbom.iter().filter(|p| p.purl.warning.is_some()) {
        let _ = writeln!(
            out,
            "  warning: {}: {}",
            clean(&package.purl.purl),
            clean(package.purl.warning.as_deref().unwrap_or_default())
        );
    }
    let without = subject.sbom_packages_without_purl;
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
    convention_label(source.convention)
}

/// How the output names a convention.
pub fn convention_label(convention: Convention) -> &'static str {
    use crate::model::Convention::*;
    match convention {
        ReferrersApi => "referrers API",
        ReferrersTag => "referrers tag",
        CosignSbomTag => "cosign .sbom tag",
        CosignAttestationTag => "cosign .att tag",
        BuildkitAttestation => "BuildKit attestation",
    }
}

fn found_in(source: &SbomSource) -> String {
    let format = match (source.format, &source.spec_version) {
        (Some(f), Some(v)) => format!("{} {v}", f.as_str()),
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
