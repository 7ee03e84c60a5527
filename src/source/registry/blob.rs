//! Blob verbs: GET and HEAD /v2/NAME/blobs/DIGEST, the two-step upload (POST then PUT
//! with the digest), and the cross-repository mount (POST ?mount=DIGEST&from=NAME).

use anyhow::{anyhow, Context, Result};
use bytes::Bytes;
use reqwest::StatusCode;

use super::transport::{error_from_response, read_body, Access, OverLimit};
use super::RegistrySource;
use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::reference::Repository;
use crate::source::Source as _;
use crate::source::{check_blob_limit, verify_blob};

pub async fn get(source: &RegistrySource, descriptor: &Descriptor, limit: u64) -> Result<Bytes> {
    let location = source.location();
    check_blob_limit(&location, descriptor, limit)?;
    let digest = &descriptor.digest;
    let url = source.url(&format!("blobs/{digest}")).await?;
    let response = source
        .transport
        .send(&source.repository, Access::Pull, |http| http.get(&url))
        .await?;
    let what = format!("blob {location}@{digest}");
    if !response.status().is_success() {
        let what = if response.status() == StatusCode::NOT_FOUND {
            format!("{what} not found")
        } else {
            format!("fetching {what}")
        };
        return Err(error_from_response(response, &what).await);
    }
    // Reading one byte past the descriptor's size is enough to tell a longer blob.
    let bytes = read_body(response, descriptor.size + 1, &what)
        .await
        .map_err(|e| match e.downcast_ref::<OverLimit>() {
            Some(_) => anyhow!(
                "size mismatch for {what}: the registry sent more than the {} bytes its descriptor says",
                descriptor.size
            ),
            None => e,
        })?;
    verify_blob(&location, descriptor, &bytes)?;
    Ok(bytes)
}

pub async fn head(source: &RegistrySource, digest: &Digest) -> Result<Option<u64>> {
    let url = source.url(&format!("blobs/{digest}")).await?;
    let response = source
        .transport
        .send(&source.repository, Access::Pull, |http| http.head(&url))
        .await?;
    match response.status() {
        StatusCode::NOT_FOUND => Ok(None),
        s if s.is_success() => Ok(Some(response.content_length().unwrap_or(0))),
        _ => {
            let what = format!("checking blob {}@{digest}", source.location());
            Err(error_from_response(response, &what).await)
        }
    }
}

pub async fn put(source: &RegistrySource, descriptor: &Descriptor, bytes: Bytes) -> Result<()> {
    let location = source.location();
    verify_blob(&location, descriptor, &bytes)?;
    let digest = &descriptor.digest;
    let start_url = source.url("blobs/uploads/").await?;
    let response = source
        .transport
        .send(&source.repository, Access::Push, |http| {
            http.post(&start_url).header("Content-Length", "0")
        })
        .await?;
    if response.status() != StatusCode::ACCEPTED {
        let what = format!("starting the upload of blob {location}@{digest}");
        return Err(error_from_response(response, &what).await);
    }
    let upload = upload_url(&start_url, &response, digest)?;
    let response = source
        .transport
        .send(&source.repository, Access::Push, |http| {
            http.put(upload.clone())
                .header("Content-Type", "application/octet-stream")
                .body(bytes.clone())
        })
        .await?;
    if response.status() != StatusCode::CREATED {
        let what = format!("uploading blob {location}@{digest}");
        return Err(error_from_response(response, &what).await);
    }
    Ok(())
}

/// Asks the registry to link a blob of `from` into this repository. 201 means mounted;
/// 202 means the registry declined (no such blob there, no access, or no mount support)
/// and opened an upload session instead, which is cancelled so that it does not linger.
pub async fn mount(
    source: &RegistrySource,
    descriptor: &Descriptor,
    from: &Repository,
) -> Result<bool> {
    let digest = &descriptor.digest;
    let mut url = url::Url::parse(&source.url("blobs/uploads/").await?)?;
    url.query_pairs_mut()
        .append_pair("mount", &digest.to_string())
        .append_pair("from", &from.name);
    let access = Access::Mount {
        from: from.name.clone(),
    };
    let response = source
        .transport
        .send(&source.repository, access, |http| {
            http.post(url.clone()).header("Content-Length", "0")
        })
        .await?;
    match response.status() {
        StatusCode::CREATED => Ok(true),
        StatusCode::ACCEPTED => {
            cancel_upload(source, &url, &response).await;
            Ok(false)
        }
        _ => {
            let what = format!(
                "mounting blob {digest} from {from} into {}",
                source.location()
            );
            Err(error_from_response(response, &what).await)
        }
    }
}

/// Best effort: a session left open only costs the registry until it expires it.
async fn cancel_upload(source: &RegistrySource, base: &url::Url, response: &reqwest::Response) {
    let Some(session) = response
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .and_then(|location| base.join(location).ok())
    else {
        return;
    };
    let _ = source
        .transport
        .send(&source.repository, Access::Push, |http| {
            http.delete(session.clone())
        })
        .await;
}

/// The session URL from `Location` (absolute or relative) with `digest=` appended.
fn upload_url(base: &str, response: &reqwest::Response, digest: &Digest) -> Result<url::Url> {
    let location = response
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .context("the registry started an upload without a Location header")?;
    let mut url = url::Url::parse(base)?
        .join(location)
        .with_context(|| format!("the registry sent an invalid upload Location {location:?}"))?;
    url.query_pairs_mut()
        .append_pair("digest", &digest.to_string());
    Ok(url)
}
