//! `ocx sbom`: a section per manifest with its packages and where they were found.

use std::fmt::Write;

use super::text::*;
use crate::model::{Convention, Outcome, Package, SbomReport, SbomSource, SbomSubject};

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

/// More children than this without anything to show are summarized in one section.
const MAX_BARE_SECTIONS: usize = 3;

/// A section for the subject, then one for each child, titled by its path of keys;
/// many manifests with no SBOM and nothing else to say, at any depth of nested indexes,
/// share one section at the end.
fn sbom_sections(out: &mut String, title: &str, subject: &SbomSubject, styled: bool) {
    let mut bare = Vec::new();
    collect_bare(title, subject, &mut bare);
    let summarize = bare.len() > MAX_BARE_SECTIONS;
    subject_sections(out, title, subject, styled, summarize);
    if summarize {
        let heading = format!(
            "{}: no SBOM found",
            count(bare.len(), "manifest", "manifests")
        );
        section(out, &heading, styled);
        let mut looked: Vec<&str> = Vec::new();
        for source in bare.iter().flat_map(|(_, c)| &c.sbom_sources) {
            if !looked.contains(&convention_name(source)) {
                looked.push(convention_name(source));
            }
        }
        let _ = writeln!(out, "  looked in: {}", looked.join(", "));
        let keys: Vec<String> = bare.iter().map(|(path, _)| clean(path)).collect();
        write_wrapped_list(out, &keys);
    }
}

/// The subject's section and its children's, leaving out the bare ones when they are
/// summarized.
fn subject_sections(
    out: &mut String,
    title: &str,
    subject: &SbomSubject,
    styled: bool,
    skip_bare: bool,
) {
    sbom_section(out, title, subject, styled);
    for (key, child) in subject.manifests.iter().flatten() {
        if !(skip_bare && is_bare(child)) {
            subject_sections(out, &child_path(title, key), child, styled, skip_bare);
        }
    }
}

/// The bare descendants of a subject with their paths, in output order.
fn collect_bare<'a>(
    title: &str,
    subject: &'a SbomSubject,
    bare: &mut Vec<(String, &'a SbomSubject)>,
) {
    for (key, child) in subject.manifests.iter().flatten() {
        let path = child_path(title, key);
        if is_bare(child) {
            bare.push((path, child));
        } else {
            collect_bare(&path, child, bare);
        }
    }
}

fn child_path(title: &str, key: &str) -> String {
    if title == "index" {
        short_key(key)
    } else {
        format!("{title} > {}", short_key(key))
    }
}

/// A child with no SBOM, no error, nothing below it and no source that failed.
fn is_bare(subject: &SbomSubject) -> bool {
    subject.sbom.is_empty()
        && subject.error.is_none()
        && subject.manifests.as_ref().is_none_or(|m| m.is_empty())
        && subject
            .sbom_sources
            .iter()
            .all(|s| !matches!(s.outcome, Outcome::Error | Outcome::Truncated))
}

/// Items separated by commas, indented, in lines of at most 100 columns.
fn write_wrapped_list(out: &mut String, items: &[String]) {
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if !line.is_empty() && line.len() + 1 + piece.len() > 98 {
            let _ = writeln!(out, "  {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "  {line}");
    }
}

const PACKAGE_HEADERS: [&str; 5] = ["TYPE", "NAMESPACE", "NAME", "VERSION", "PURL"];

/// The unstyled table of packages when every cell is printable ASCII (nothing to clean):
/// the same lines as through comfy_table, without its allocations for each cell.
fn plain_packages(packages: &[Package]) -> Option<String> {
    let rows: Vec<[&str; 5]> = packages
        .iter()
        .map(|package| {
            let p = &package.purl;
            [
                dash(p.purl_type.as_deref()),
                dash(p.namespace.as_deref()),
                dash(p.name.as_deref()),
                dash(p.version.as_deref()),
                &p.purl,
            ]
        })
        .collect();
    plain_table(PACKAGE_HEADERS, &rows)
}

/// A part of a purl, or "-" for none, as [`or_dash`] has it.
fn dash(value: Option<&str>) -> &str {
    value.filter(|v| !v.is_empty()).unwrap_or("-")
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
    } else if let Some(table) = (!styled).then(|| plain_packages(&subject.sbom)).flatten() {
        out.push_str(&table);
    } else {
        let mut table = new_table(styled, &PACKAGE_HEADERS);
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
        out.push_str(&finish_fitted(table, &[4]));
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
        "{} {} ({format}, {}",
        convention_name(source),
        source.location,
        count(source.packages.unwrap_or(0), "package", "packages")
    );
    if !source.envelopes.is_empty() {
        text.push_str(", inside ");
        text.push_str(&source.envelopes.join(" > "));
    }
    text.push(')');
    text
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn source(outcome: &str, packages: Option<usize>) -> Value {
        json!({
            "convention": "cosign_sbom_tag", "location": "reg/app:sha256-x.sbom",
            "outcome": outcome, "manifest": null, "document": null, "media_type": null,
            "format": packages.map(|_| "spdx"), "spec_version": packages.map(|_| "SPDX-2.3"),
            "predicate_type": null, "envelopes": [], "packages": packages,
            "packages_without_purl": null, "detail": null
        })
    }

    fn subject(digest: char, sbom: Vec<Value>, sources: Vec<Value>) -> Value {
        json!({
            "digest": format!("sha256:{}", digest.to_string().repeat(64)),
            "media_type": "application/vnd.oci.image.manifest.v1+json",
            "sbom": sbom, "sbom_sources": sources
        })
    }

    fn report(root: Value) -> SbomReport {
        let mut value =
            json!({"schema_version": 1, "reference": "reg/app:1", "resolved": "reg/app@sha256:0"});
        value
            .as_object_mut()
            .unwrap()
            .extend(root.as_object().unwrap().clone());
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn one_package_is_singular() {
        let package = json!({
            "purl": "pkg:deb/debian/libc6@2.36", "scheme": "pkg", "type": "deb",
            "namespace": "debian", "name": "libc6", "version": "2.36", "qualifiers": {},
            "subpath": null, "sources": []
        });
        let text = sbom(
            &report(subject('a', vec![package], vec![source("found", Some(1))])),
            false,
        );
        assert!(text.contains("(spdx SPDX-2.3, 1 package)"), "{text}");
        assert!(!text.contains("1 packages"), "{text}");
    }

    #[test]
    fn many_children_without_an_sbom_share_one_section() {
        let mut index = subject('0', vec![], vec![source("absent", None)]);
        let children: serde_json::Map<String, Value> = (0..100)
            .map(|i| {
                let key = format!("linux/arch{i:03}");
                (key, subject('b', vec![], vec![source("absent", None)]))
            })
            .collect();
        index["manifests"] = Value::Object(children);
        let text = sbom(&report(index), false);
        assert!(
            text.lines().count() < 40,
            "{} lines:\n{text}",
            text.lines().count()
        );
        assert!(text.contains("100 manifests: no SBOM found"), "{text}");
        assert!(
            text.contains("linux/arch000,") && text.contains("linux/arch099"),
            "{text}"
        );
        assert!(text.contains("looked in: cosign .sbom tag"), "{text}");
    }

    #[test]
    fn a_few_children_without_an_sbom_keep_their_sections() {
        let mut index = subject('0', vec![], vec![source("absent", None)]);
        index["manifests"] = json!({
            "linux/amd64": subject('b', vec![], vec![source("absent", None)]),
            "linux/arm64": subject('c', vec![], vec![source("absent", None)]),
        });
        let text = sbom(&report(index), false);
        assert!(
            text.contains("linux/amd64 (sha256:bbbbbbbbbbbb): none"),
            "{text}"
        );
        assert!(!text.contains("no SBOM found\n"), "{text}");
    }

    #[test]
    fn children_without_an_sbom_share_one_section_across_nested_indexes() {
        let bare = |digest| subject(digest, vec![], vec![source("absent", None)]);
        let nested = |digest, children: [char; 3]| {
            let mut inner = bare(digest);
            inner["sbom_sources"] = json!([]);
            inner["manifests"] = json!({
                "linux/amd64": bare(children[0]),
                "linux/arm64": bare(children[1]),
                "linux/s390x": bare(children[2]),
            });
            inner
        };
        let mut index = bare('0');
        index["manifests"] = json!({
            "sha256:1": nested('1', ['a', 'b', 'c']),
            "sha256:2": nested('2', ['d', 'e', 'f']),
        });
        let text = sbom(&report(index), false);
        assert!(text.contains("6 manifests: no SBOM found"), "{text}");
        assert!(!text.contains("(sha256:aaaaaaaaaaaa)"), "{text}");
        assert!(text.contains("sha256:1 > linux/amd64,"), "{text}");
    }
}
