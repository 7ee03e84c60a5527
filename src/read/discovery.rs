//! SBOM discovery for a whole tree: the subjects each manifest brings (itself, an
//! index's children with the BuildKit attestations that index lists for them), looked at
//! concurrently, each digest once.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use futures_util::future::join_all;

use super::walk::Node;
use crate::digest::Digest;
use crate::manifest::{annotations, Descriptor, Manifest};
use crate::sbom::discover::{Attached, Discoverer};
use crate::source::{FetchedManifest, Limited, Session, Source};

/// What was found, per subject digest.
pub type Findings = HashMap<Digest, Attached>;

/// A manifest to look for SBOMs of, with the BuildKit attestation manifests that the
/// index holding it lists for it.
#[derive(Debug, Clone)]
pub struct Subject {
    pub digest: Digest,
    pub attestations: Vec<Descriptor>,
}

/// The subjects a manifest brings: itself and, for an index, every child that is not an
/// attestation. Known as soon as the manifest is, so discovery can start with the walk.
pub fn subjects_of(digest: &Digest, manifest: &Manifest) -> Vec<Subject> {
    let mut subjects = vec![Subject {
        digest: digest.clone(),
        attestations: vec![],
    }];
    if let Manifest::Index(index) = manifest {
        for child in index
            .manifests
            .iter()
            .filter(|d| !d.is_attestation_manifest())
        {
            subjects.push(Subject {
                digest: child.digest.clone(),
                attestations: attestations_for(manifest, &child.digest),
            });
        }
    }
    subjects
}

/// The subjects of a read's root; when the root was chosen from an index with
/// `--platform`, it brings the attestation manifests that index lists for it.
pub fn root_subjects(root: &FetchedManifest, chosen_from: Option<&Manifest>) -> Vec<Subject> {
    let digest = &root.descriptor.digest;
    let mut subjects = subjects_of(digest, &root.manifest);
    if let Some(index) = chosen_from {
        subjects[0].attestations = attestations_for(index, digest);
    }
    subjects
}

/// The BuildKit attestation manifests an index lists for one of its children.
pub fn attestations_for(index: &Manifest, child: &Digest) -> Vec<Descriptor> {
    let Manifest::Index(index) = index else {
        return vec![];
    };
    let child = child.to_string();
    index
        .manifests
        .iter()
        .filter(|d| {
            d.is_attestation_manifest()
                && d.annotation(annotations::DOCKER_REFERENCE_DIGEST) == Some(child.as_str())
        })
        .cloned()
        .collect()
}

/// Discovers the SBOMs of every subject concurrently, skipping those already known.
pub async fn discover(discoverer: &Discoverer, subjects: Vec<Subject>, known: &mut Findings) {
    let (fresh, seen): (Vec<Subject>, Vec<Subject>) = merge_duplicates(subjects)
        .into_iter()
        .partition(|s| !known.contains_key(&s.digest));
    let found = join_all(
        fresh
            .iter()
            .map(|s| discoverer.attached(&s.digest, &s.attestations)),
    );
    // A manifest met again under another index may come with attestations that index
    // lists for it: those are read too.
    let unread: Vec<(Digest, Vec<Descriptor>)> = seen
        .into_iter()
        .map(|s| {
            let read = &known[&s.digest];
            let new: Vec<Descriptor> = s
                .attestations
                .into_iter()
                .filter(|a| {
                    !read
                        .checks
                        .iter()
                        .any(|c| c.manifest.as_ref() == Some(&a.digest))
                })
                .collect();
            (s.digest, new)
        })
        .filter(|(_, new)| !new.is_empty())
        .collect();
    let more = join_all(unread.iter().map(|(_, atts)| discoverer.attestations(atts)));
    let (found, more) = tokio::join!(found, more);
    known.extend(fresh.into_iter().map(|s| s.digest).zip(found));
    for ((digest, _), attached) in unread.into_iter().zip(more) {
        known
            .get_mut(&digest)
            .expect("seen subjects are known")
            .absorb(attached);
    }
}

/// One subject per digest, with the attestations of all its mentions.
fn merge_duplicates(subjects: Vec<Subject>) -> Vec<Subject> {
    let mut merged: Vec<Subject> = Vec::new();
    for subject in subjects {
        match merged.iter_mut().find(|s| s.digest == subject.digest) {
            Some(existing) => {
                for a in subject.attestations {
                    if !existing.attestations.iter().any(|e| e.digest == a.digest) {
                        existing.attestations.push(a);
                    }
                }
            }
            None => merged.push(subject),
        }
    }
    merged
}

/// The subjects of nested indexes, which are only known once the walk has fetched them.
pub fn nested_subjects(root: &Node) -> Vec<Subject> {
    let mut subjects = Vec::new();
    let mut stack: Vec<&Node> = root.children.iter().collect();
    while let Some(node) = stack.pop() {
        if let Some(manifest @ Manifest::Index(_)) = &node.manifest {
            subjects.extend(subjects_of(&node.descriptor.digest, manifest));
        }
        stack.extend(node.children.iter());
    }
    subjects
}

/// Opens the source cosign's tags are read from, on the discovery budget:
/// `COSIGN_REPOSITORY` when it is set and the subject is on a registry, else the
/// subject's own source.
pub fn cosign_source(session: &Session, subject_source: &Limited) -> Result<Arc<dyn Source>> {
    match std::env::var("COSIGN_REPOSITORY") {
        Ok(repository) if !repository.is_empty() && subject_source.repository().is_some() => {
            let target = crate::reference::Target::parse(&repository)
                .map_err(|e| e.context("invalid COSIGN_REPOSITORY"))?;
            let (source, _) = session
                .open(&target)
                .with_context(|| format!("opening COSIGN_REPOSITORY={repository}"))?;
            Ok(session.for_discovery(&source))
        }
        _ => Ok(session.for_discovery(subject_source)),
    }
}
