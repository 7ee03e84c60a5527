//! Manifest verbs: GET, HEAD and PUT /v2/NAME/manifests/REF.

use anyhow::{bail, Result};
use bytes::Bytes;
use reqwest::StatusCode;

use super::transport::{error_from_response, read_body, Access};
use super::RegistrySource;
use crate::digest::Digest;
use crate::manifest::{Descriptor, ACCEPTED_MANIFEST_TYPES};
use crate::reference::ManifestRef;
use crate::source::Source as _;
use crate::source::{absent_as_none, verify_manifest, FetchedManifest, MAX_MANIFEST_BYTES};

const DIGEST_HEADER: &str = "Docker-Content-Digest";

pub async fn get(source: &RegistrySource, reference: &ManifestRef) -> Result<FetchedManifest> {
    fetch(source, reference, Miss::Hint).await
}

/// A manifest that may not exist: a miss is `None`, without the tag-list hint.
pub async fn probe(
    source: &RegistrySource,
    reference: &ManifestRef,
) -> Result<Option<FetchedManifest>> {
    absent_as_none(fetch(source, reference, Miss::Quiet).await)
}

/// Whether a missing tag's error lists the tags that exist (one more request).
enum Miss {
    Hint,
    Quiet,
}

async fn fetch(
    source: &RegistrySource,
    reference: &ManifestRef,
    miss: Miss,
) -> Result<FetchedManifest> {
    let url = source.url(&format!("manifests/{reference}")).await?;
    let accept = ACCEPTED_MANIFEST_TYPES.join(", ");
    let response = source
        .transport
        .send(&source.repository, Access::Pull, |http| {
            http.get(&url).header("Accept", &accept)
        })
        .await?;
    let what = format!("manifest {}", reference.qualify(&source.location()));
    if !response.status().is_success() {
        let what = if response.status() == StatusCode::NOT_FOUND {
            let hint = match miss {
                Miss::Hint => super::tag::hint(source, reference).await,
                Miss::Quiet => String::new(),
            };
            format!("{what} not found{hint}")
        } else {
            format!("fetching {what}")
        };
        return Err(error_from_response(response, &what).await);
    }
    let media_type = header(&response, "Content-Type");
    let reported = reported_digest(&response)?;
    let bytes = read_body(response, MAX_MANIFEST_BYTES, &what).await?;
    verify_manifest(
        &source.location(),
        reference,
        bytes,
        media_type.as_deref(),
        reported.as_ref(),
    )
}

pub async fn head(source: &RegistrySource, reference: &ManifestRef) -> Result<Option<Descriptor>> {
    let url = source.url(&format!("manifests/{reference}")).await?;
    let accept = ACCEPTED_MANIFEST_TYPES.join(", ");
    let response = source
        .transport
        .send(&source.repository, Access::Pull, |http| {
            http.head(&url).header("Accept", &accept)
        })
        .await?;
    if response.status() == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !response.status().is_success() {
        let what = format!(
            "checking manifest {}",
            reference.qualify(&source.location())
        );
        return Err(error_from_response(response, &what).await);
    }
    let (Some(media_type), Some(digest), Some(size)) = (
        header(&response, "Content-Type"),
        reported_digest(&response)?,
        response.content_length(),
    ) else {
        bail!(
            "the registry answered HEAD for {} without Content-Type, {DIGEST_HEADER} and Content-Length",
            reference.qualify(&source.location())
        );
    };
    Ok(Some(Descriptor::new(media_type, digest, size)))
}

pub async fn put(
    source: &RegistrySource,
    reference: &ManifestRef,
    media_type: &str,
    bytes: Bytes,
) -> Result<Digest> {
    let response = put_response(source, reference, media_type, bytes.clone()).await?;
    Ok(reported_digest(&response)?.unwrap_or_else(|| Digest::sha256_of(&bytes)))
}

/// PUT /v2/NAME/manifests/REF; the successful response, for the headers callers read.
pub async fn put_response(
    source: &RegistrySource,
    reference: &ManifestRef,
    media_type: &str,
    bytes: Bytes,
) -> Result<reqwest::Response> {
    let url = source.url(&format!("manifests/{reference}")).await?;
    let response = source
        .transport
        .send(&source.repository, Access::Push, |http| {
            http.put(&url)
                .header("Content-Type", media_type)
                .body(bytes.clone())
        })
        .await?;
    if !response.status().is_success() {
        let what = format!("pushing manifest {}", reference.qualify(&source.location()));
        return Err(error_from_response(response, &what).await);
    }
    Ok(response)
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn reported_digest(response: &reqwest::Response) -> Result<Option<Digest>> {
    match header(response, DIGEST_HEADER) {
        Some(value) => Ok(Some(value.trim().parse().map_err(|e| {
            anyhow::anyhow!("the registry sent an invalid {DIGEST_HEADER} header: {e}")
        })?)),
        None => Ok(None),
    }
}
