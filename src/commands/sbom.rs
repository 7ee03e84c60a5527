//! `ocx sbom`: every SBOM attached to a manifest and the manifests below it, as packages.

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::cli::{GlobalArgs, SbomArgs};
use crate::inspect::{inspect, resolve};
use crate::model::{Described, SbomReport, SbomSubject, SCHEMA_VERSION};
use crate::reference::Target;

pub async fn run(global: &GlobalArgs, args: SbomArgs) -> Result<ExitCode> {
    let target = Target::parse(&args.reference)?;
    let sources = super::sources(global)?;
    let resolved = resolve(&sources, &target, args.read.platform.as_ref()).await?;
    let root_digest = resolved.manifest.descriptor.digest.clone();
    let inspection = inspect(
        &sources,
        resolved,
        usize::from(args.read.concurrency),
        Some(args.read.max_sbom_size),
    )
    .await?;
    let findings = inspection.sboms.unwrap_or_default();
    if args.raw {
        let documents = findings
            .get(&root_digest)
            .map(|a| a.documents.as_slice())
            .unwrap_or_default();
        if documents.is_empty() {
            let hint = if inspection.tree.children.is_empty() {
                ""
            } else {
                "; it is an index: choose a platform with --platform"
            };
            bail!(
                "no SBOM is attached to {}{hint}",
                inspection.resolved.canonical
            );
        }
        if documents.len() > 1 {
            eprintln!(
                "{} SBOM documents follow, one after the other",
                documents.len()
            );
        }
        // One document goes out byte for byte; several are separated by newlines.
        let mut out = Vec::new();
        for (i, document) in documents.iter().enumerate() {
            if i > 0 && !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.extend_from_slice(&document.bytes);
        }
        super::write_stdout(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let description = crate::describe::describe(
        &args.reference,
        inspection.resolved.canonical.clone(),
        &inspection.tree,
        Some(&findings),
    );
    let report = SbomReport {
        schema_version: SCHEMA_VERSION,
        reference: description.reference,
        resolved: description.resolved,
        subject: subject(&description.manifest),
    };
    let output = if args.json {
        super::to_json(&report)?
    } else {
        crate::render::sbom(&report, super::styled(global)).into_bytes()
    };
    super::write_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
}

fn subject(described: &Described) -> SbomSubject {
    SbomSubject {
        digest: described.descriptor.digest.clone(),
        media_type: described.media_type.value.clone(),
        sbom: described.sbom.clone().unwrap_or_default(),
        sbom_sources: described.sbom_sources.clone().unwrap_or_default(),
        manifests: described.manifests.as_ref().map(|children| {
            children
                .iter()
                .map(|(k, v)| (k.clone(), subject(v)))
                .collect()
        }),
    }
}
