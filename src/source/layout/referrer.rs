//! Referrers in a layout: the manifests listed in index.json whose `subject` is the
//! digest (where oras and regctl keep them), described as the referrers API would.

use anyhow::Result;

use super::LayoutSource;
use crate::digest::Digest;
use crate::manifest::{annotations::REF_NAME, Descriptor};
use crate::reference::ManifestRef;
use crate::source::Source as _;

pub fn list(
    layout: &LayoutSource,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Vec<Descriptor>> {
    let index = layout.read_index()?;
    let mut referrers = Vec::new();
    for entry in index.manifests {
        let fetched = super::manifest::get(layout, &ManifestRef::Digest(entry.digest.clone()))?;
        if fetched.manifest.subject().map(|s| &s.digest) != Some(subject) {
            continue;
        }
        let mut descriptor = Descriptor::new(entry.media_type, entry.digest, entry.size);
        descriptor.artifact_type = fetched.manifest.referrer_artifact_type();
        let mut annotations = fetched.manifest.annotations().cloned().unwrap_or_default();
        annotations.remove(REF_NAME);
        descriptor.annotations = (!annotations.is_empty()).then_some(annotations);
        if artifact_type.is_none() || descriptor.artifact_type.as_deref() == artifact_type {
            referrers.push(descriptor);
        }
    }
    Ok(referrers)
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
