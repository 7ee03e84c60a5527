//! Referrers: GET /v2/NAME/referrers/DIGEST (OCI distribution 1.1), following `Link`
//! pages and filtering by artifactType when the registry did not.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use reqwest::StatusCode;

use super::transport::{error_from_response, read_body, Access};
use super::RegistrySource;
use crate::digest::Digest;
use crate::manifest::{index_bytes, Descriptor, ImageIndex, Manifest, OCI_INDEX};
use crate::reference::ManifestRef;
use crate::source::{
    fallback_tag, referrer_descriptor, Referrers, Source as _, MAX_MANIFEST_BYTES,
};

/// Pages followed at most; with the spec's page sizes this is thousands of referrers.
const MAX_PAGES: usize = 16;

pub async fn list(
    source: &RegistrySource,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Option<Referrers>> {
    let mut url = url::Url::parse(&source.url(&format!("referrers/{subject}")).await?)?;
    if let Some(t) = artifact_type {
        url.query_pairs_mut().append_pair("artifactType", t);
    }
    let what = format!("listing the referrers of {}@{subject}", source.location());
    let mut referrers = Vec::new();
    for page in 0..MAX_PAGES {
        let request_url = url.clone();
        let response = source
            .transport
            .send(&source.repository, Access::Pull, |http| {
                http.get(request_url.clone()).header("Accept", OCI_INDEX)
            })
            .await?;
        // Registries without the API answer 404 (distribution 2.8) or, for some, 400/405.
        let unsupported = matches!(
            response.status(),
            StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST | StatusCode::METHOD_NOT_ALLOWED
        );
        if page == 0 && unsupported {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(error_from_response(response, &what).await);
        }
        let filtered = response
            .headers()
            .get("OCI-Filters-Applied")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|f| f.trim() == "artifactType"));
        let next = super::tag::next_link(&response)
            .map(|l| url.join(&l))
            .transpose()?;
        let body = read_body(response, MAX_MANIFEST_BYTES, &what).await?;
        let index: ImageIndex = serde_json::from_slice(&body).with_context(|| what.clone())?;
        referrers.extend(index.manifests.into_iter().filter(|d| {
            filtered || artifact_type.is_none() || d.artifact_type.as_deref() == artifact_type
        }));
        match next {
            Some(n) if page + 1 == MAX_PAGES => {
                let cut = format!(
                    "{} referrers read from {MAX_PAGES} pages, the most ocx reads; the registry lists more from {n}",
                    referrers.len()
                );
                return Ok(Some(Referrers {
                    manifests: referrers,
                    cut: Some(cut),
                }));
            }
            Some(n) => url = n,
            None => break,
        }
    }
    Ok(Some(Referrers {
        manifests: referrers,
        cut: None,
    }))
}

/// Whether the first page of the referrers of `subject` comes back, its body read (so
/// the connection is reused) but not parsed.
pub async fn answered(source: &RegistrySource, subject: &Digest) -> Result<bool> {
    let url = source.url(&format!("referrers/{subject}")).await?;
    let response = source
        .transport
        .send(&source.repository, Access::Pull, |http| {
            http.get(&url).header("Accept", OCI_INDEX)
        })
        .await?;
    let answered = response.status().is_success();
    let what = format!("the referrers of {}@{subject}", source.location());
    read_body(response, MAX_MANIFEST_BYTES, &what).await?;
    Ok(answered)
}

/// Pushes a referrer by digest; when the registry does not confirm the subject
/// (`OCI-Subject`), adds it to the subject's referrers tag index as well.
pub async fn put(source: &RegistrySource, media_type: &str, bytes: Bytes) -> Result<Descriptor> {
    let (descriptor, subject) = referrer_descriptor(&source.location(), media_type, &bytes)?;
    let by_digest = ManifestRef::Digest(descriptor.digest.clone());
    let response = super::manifest::put_response(source, &by_digest, media_type, bytes).await?;
    let confirmed = response
        .headers()
        .get("OCI-Subject")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == subject.to_string());
    if !confirmed {
        add_to_fallback_tag(source, &subject, &descriptor).await?;
    }
    Ok(descriptor)
}

async fn add_to_fallback_tag(
    source: &RegistrySource,
    subject: &Digest,
    descriptor: &Descriptor,
) -> Result<()> {
    let tag = ManifestRef::Tag(fallback_tag(subject));
    let mut index = match source.manifest_probe(&tag).await? {
        Some(fetched) => match fetched.manifest {
            Manifest::Index(index) => index,
            Manifest::Image(_) => bail!(
                "the referrers tag {} holds an image manifest, not an index",
                tag.qualify(&source.location())
            ),
        },
        None => ImageIndex::empty(),
    };
    if index
        .manifests
        .iter()
        .any(|d| d.digest == descriptor.digest)
    {
        return Ok(());
    }
    index.manifests.push(descriptor.clone());
    source
        .manifest_put(&tag, OCI_INDEX, Bytes::from(index_bytes(&index)?))
        .await?;
    Ok(())
}
