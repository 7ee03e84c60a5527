//! Manifests in a layout: blobs, named by index.json entries when tagged.

use anyhow::{bail, Result};
use bytes::Bytes;

use super::LayoutSource;
use crate::digest::Digest;
use crate::manifest::{annotations::REF_NAME, Descriptor};
use crate::reference::ManifestRef;
use crate::source::{verify_manifest, FetchedManifest, NotFound, Source, MAX_MANIFEST_BYTES};

pub fn get(layout: &LayoutSource, reference: &ManifestRef) -> Result<FetchedManifest> {
    let entry = find_entry(layout, reference)?;
    let digest = match (reference, &entry) {
        (ManifestRef::Digest(d), _) => d.clone(),
        (ManifestRef::Tag(_), Some(e)) => e.digest.clone(),
        (ManifestRef::Tag(tag), None) => {
            return Err(NotFound(format!(
                "manifest {} not found: the layout has no manifest tagged {tag:?} (tags: {})",
                reference.qualify(&layout.location()),
                super::tag::list(layout)?.join(", ")
            ))
            .into())
        }
    };
    let path = layout.blob_path(&digest);
    let Some(bytes) = layout.files.read_at_most(&path, MAX_MANIFEST_BYTES)? else {
        return Err(NotFound(format!(
            "manifest {} not found: no blob {}",
            reference.qualify(&layout.location()),
            layout.files.shown(&path).display()
        ))
        .into());
    };
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        bail!(
            "manifest {} is over the {MAX_MANIFEST_BYTES}-byte limit for manifests",
            reference.qualify(&layout.location())
        );
    }
    let bytes = Bytes::from(bytes);
    let as_digest = ManifestRef::Digest(digest);
    let mut fetched = verify_manifest(
        &layout.location(),
        &as_digest,
        bytes,
        entry.as_ref().map(|e| e.media_type.as_str()),
        None,
    )?;
    if let Some(entry) = entry {
        if entry.size != fetched.descriptor.size {
            bail!(
                "size mismatch for manifest {}: index.json says {} bytes, the blob has {}",
                reference.qualify(&layout.location()),
                entry.size,
                fetched.descriptor.size
            );
        }
        fetched.descriptor = Descriptor {
            media_type: fetched.descriptor.media_type,
            ..entry
        };
    }
    Ok(fetched)
}

pub fn head(layout: &LayoutSource, reference: &ManifestRef) -> Result<Option<Descriptor>> {
    if let Some(entry) = find_entry(layout, reference)? {
        return Ok(Some(entry));
    }
    match reference {
        ManifestRef::Tag(_) => Ok(None),
        ManifestRef::Digest(d) if layout.files.size(&layout.blob_path(d))?.is_some() => {
            Ok(Some(get(layout, reference)?.descriptor))
        }
        ManifestRef::Digest(_) => Ok(None),
    }
}

pub fn put(
    layout: &LayoutSource,
    reference: &ManifestRef,
    media_type: &str,
    bytes: Bytes,
) -> Result<Digest> {
    let digest = match reference {
        ManifestRef::Digest(d) => d.clone(),
        ManifestRef::Tag(_) => Digest::sha256_of(&bytes),
    };
    let mut descriptor = Descriptor::new(media_type, digest.clone(), bytes.len() as u64);
    layout.write_blob(&descriptor, &bytes)?;
    if let ManifestRef::Tag(tag) = reference {
        let fetched = verify_manifest(
            &layout.location(),
            &ManifestRef::Digest(digest.clone()),
            bytes,
            Some(media_type),
            None,
        )?;
        descriptor.artifact_type = fetched.manifest.artifact_type().map(str::to_string);
        descriptor.annotations = Some([(REF_NAME.to_string(), tag.clone())].into());
        let mut index = layout.read_index()?;
        let tagged = |d: &Descriptor| d.annotation(REF_NAME) == Some(tag.as_str());
        // A tag that moves keeps its place in index.json; a new one goes last.
        match index.manifests.iter().position(tagged) {
            Some(at) if index.manifests[at] == descriptor => return Ok(digest),
            Some(at) => {
                index.manifests[at] = descriptor;
                let mut seen = false;
                index
                    .manifests
                    .retain(|d| !tagged(d) || !std::mem::replace(&mut seen, true));
            }
            None => index.manifests.push(descriptor),
        }
        layout.write_index(&index)?;
    }
    Ok(digest)
}

/// The index.json entry a reference names, if any (the last one wins for a repeated tag).
fn find_entry(layout: &LayoutSource, reference: &ManifestRef) -> Result<Option<Descriptor>> {
    let index = layout.index()?;
    Ok(index
        .manifests
        .iter()
        .rev()
        .find(|d| match reference {
            ManifestRef::Tag(t) => d.annotation(REF_NAME) == Some(t.as_str()),
            ManifestRef::Digest(digest) => d.digest == *digest,
        })
        .cloned())
}
