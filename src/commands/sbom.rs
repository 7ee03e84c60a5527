//! `ocx sbom`: every SBOM attached to a manifest and the manifests below it, as packages.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::cli::{GlobalArgs, SbomArgs};
use crate::error::Failures;
use crate::model::SbomReport;
use crate::read::{read, Read, ReadOptions};
use crate::reference::Target;
use crate::render::text::count;
use crate::render::{convention_label, write_stdout};
use crate::sbom::discover::Document;
use crate::sbom::parse::unwrap_document;

pub async fn run(global: &GlobalArgs, args: SbomArgs) -> Result<ExitCode> {
    let target = Target::parse(&args.reference)?;
    let session = super::session(global, args.read.limits.concurrency)?;
    let options = ReadOptions {
        keep_sbom_bytes: args.raw,
        ..args.read.options(true)
    };
    let read = read(&session, &target, &options).await?;
    if args.raw {
        let description = read.describe(&args.reference);
        super::check_failures(&description.manifest.failures(), args.read.limits.strict)?;
        let document = chosen_document(&read, args.document.as_deref())?;
        let stored = document.bytes.as_deref().unwrap_or_default();
        if args.unwrap {
            let inner = unwrap_document(stored)
                .with_context(|| format!("unwrapping SBOM document {}", document.layer.digest))?;
            write_stdout(&inner)?;
        } else {
            write_stdout(stored)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let description = read.into_description(&args.reference);
    super::check_failures(&description.manifest.failures(), args.read.limits.strict)?;
    let report = SbomReport::from_description(description);
    super::printer(global, args.json).sbom(&report)?;
    super::leave(report);
    Ok(ExitCode::SUCCESS)
}

/// The SBOM document of the read's root that `--raw` prints: the only one, or the one
/// `--document` names; with several and no choice, an error that lists them.
fn chosen_document<'a>(read: &'a Read, choice: Option<&str>) -> Result<&'a Document> {
    let documents = read
        .sboms
        .as_ref()
        .and_then(|found| found.get(&read.resolved.manifest.descriptor.digest))
        .map(|attached| attached.documents.as_slice())
        .unwrap_or_default();
    let subject = &read.resolved.canonical;
    if documents.is_empty() {
        let hint = if read.tree.children.is_empty() {
            ""
        } else {
            "; it is an index: choose a platform with --platform"
        };
        bail!("no SBOM is attached to {subject}{hint}");
    }
    let listed = |heading: String| Failures {
        heading,
        items: listing(documents),
    };
    match choice {
        Some(choice) => pick(documents, choice).ok_or_else(|| {
            let heading = format!(
                "--document {choice:?} names none of the {} SBOM documents of {subject}, \
                 or more than one",
                documents.len()
            );
            listed(heading).into()
        }),
        None if documents.len() == 1 => Ok(&documents[0]),
        None => Err(listed(format!(
            "{} SBOM documents are attached to {subject}: choose one with --document N or \
             --document DIGEST",
            documents.len()
        ))
        .into()),
    }
}

/// The document `choice` names: its number (from 1), its digest or its manifest's digest,
/// when that names one document only.
fn pick<'a>(documents: &'a [Document], choice: &str) -> Option<&'a Document> {
    if let Ok(number) = choice.parse::<usize>() {
        return number.checked_sub(1).and_then(|i| documents.get(i));
    }
    let mut named = documents
        .iter()
        .filter(|d| d.layer.digest.to_string() == choice || d.manifest.to_string() == choice);
    match (named.next(), named.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// One line per document: number, digest, format, where it was found, its envelopes.
fn listing(documents: &[Document]) -> Vec<String> {
    documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let parsed = &d.parsed;
            let mut line = format!(
                "{}  {}  {} {}, {}, {} in manifest {}",
                i + 1,
                d.layer.digest,
                parsed.format.as_str(),
                parsed.spec_version.as_deref().unwrap_or("-"),
                count(parsed.packages.len(), "package", "packages"),
                convention_label(d.convention),
                d.manifest
            );
            if !parsed.envelopes.is_empty() {
                line.push_str(&format!(", inside {}", parsed.envelopes.join(" > ")));
            }
            line
        })
        .collect()
}
