//! `ocx sbom`: every SBOM attached to a manifest and the manifests below it, as packages.

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::cli::{GlobalArgs, SbomArgs};
use crate::model::SbomReport;
use crate::read::{read, Read, ReadOptions};
use crate::reference::Target;
use crate::render::write_stdout;

pub async fn run(global: &GlobalArgs, args: SbomArgs) -> Result<ExitCode> {
    let target = Target::parse(&args.reference)?;
    let session = super::session(global, args.read.limits.concurrency)?;
    let options = ReadOptions {
        keep_sbom_bytes: args.raw,
        ..args.read.options(true)
    };
    let read = read(&session, &target, &options).await?;
    let description = read.describe(&args.reference);
    super::check_failures(&description.manifest.failures(), args.read.limits.strict)?;
    if args.raw {
        write_stdout(&raw_documents(&read)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    // The parsed documents are no longer needed once described: free them before the
    // report is built and printed.
    drop(read);
    let report = SbomReport::from_description(description);
    super::printer(global, args.json).sbom(&report)?;
    Ok(ExitCode::SUCCESS)
}

/// The SBOM documents of the read's root, exactly as stored: one goes out byte for
/// byte; several are separated by newlines.
fn raw_documents(read: &Read) -> Result<Vec<u8>> {
    let documents = read
        .sboms
        .as_ref()
        .and_then(|found| found.get(&read.resolved.manifest.descriptor.digest))
        .map(|attached| attached.documents.as_slice())
        .unwrap_or_default();
    if documents.is_empty() {
        let hint = if read.tree.children.is_empty() {
            ""
        } else {
            "; it is an index: choose a platform with --platform"
        };
        bail!("no SBOM is attached to {}{hint}", read.resolved.canonical);
    }
    if documents.len() > 1 {
        eprintln!(
            "{} SBOM documents follow, one after the other",
            documents.len()
        );
    }
    let mut out = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        if i > 0 && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(document.bytes.as_deref().unwrap_or_default());
    }
    Ok(out)
}
