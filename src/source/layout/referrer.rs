//! Referrers in a layout: the manifests listed in index.json whose `subject` is the
//! digest (where oras and regctl keep them), described as the referrers API would.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Result;

use super::LayoutSource;
use crate::digest::Digest;
use crate::manifest::{annotations::REF_NAME, Descriptor};
use crate::reference::ManifestRef;
use crate::source::Source as _;

/// Each subject's referrers, in index.json order.
pub type BySubject = HashMap<Digest, Vec<Descriptor>>;

pub fn list(
    layout: &LayoutSource,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Vec<Descriptor>> {
    let by_subject = by_subject(layout)?;
    Ok(by_subject
        .get(subject)
        .into_iter()
        .flatten()
        .filter(|d| artifact_type.is_none() || d.artifact_type.as_deref() == artifact_type)
        .cloned()
        .collect())
}

/// One scan of every manifest in the layout, kept for the command: looking up each
/// subject by reading every manifest again would cost the square of the layout's size.
fn by_subject(layout: &LayoutSource) -> Result<Arc<BySubject>> {
    let mut cached = layout
        .referrers
        .lock()
        .expect("the referrers cache is never poisoned");
    if let Some(found) = cached.as_ref() {
        return Ok(Arc::clone(found));
    }
    let mut found = BySubject::new();
    let mut scanned = HashSet::new();
    for entry in layout.index()?.manifests.iter() {
        if !scanned.insert(entry.digest.clone()) {
            continue;
        }
        let fetched = super::manifest::get(layout, &ManifestRef::Digest(entry.digest.clone()))?;
        let Some(subject) = fetched.manifest.subject() else {
            continue;
        };
        let mut descriptor =
            Descriptor::new(entry.media_type.clone(), entry.digest.clone(), entry.size);
        descriptor.artifact_type = fetched.manifest.referrer_artifact_type();
        let mut annotations = fetched.manifest.annotations().cloned().unwrap_or_default();
        annotations.remove(REF_NAME);
        descriptor.annotations = (!annotations.is_empty()).then_some(annotations);
        found
            .entry(subject.digest.clone())
            .or_default()
            .push(descriptor);
    }
    let found = Arc::new(found);
    *cached = Some(Arc::clone(&found));
    Ok(found)
}

/// Stores a referrer and lists it, untagged, in index.json, where `list` finds it.
pub fn put(layout: &LayoutSource, media_type: &str, bytes: bytes::Bytes) -> Result<Descriptor> {
    let (descriptor, _subject) =
        crate::source::referrer_descriptor(&layout.location(), media_type, &bytes)?;
    layout.write_blob(&descriptor, &bytes)?;
    let mut index = layout.read_index()?;
    if !index
        .manifests
        .iter()
        .any(|d| d.digest == descriptor.digest)
    {
        index.manifests.push(Descriptor::new(
            media_type,
            descriptor.digest.clone(),
            descriptor.size,
        ));
        layout.write_index(&index)?;
    }
    Ok(descriptor)
}
