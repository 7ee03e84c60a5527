//! Blob verbs: GET and HEAD /v2/NAME/blobs/DIGEST (whole or streamed), the two-step
//! upload (POST then PUT with the digest; the PUT's body whole or streamed), and the
//! cross-repository mount (POST ?mount=DIGEST&from=NAME).

use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::StatusCode;

use super::transport::{error_from_response, read_body, Access, OverLimit};
use super::RegistrySource;
use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::reference::Repository;
use crate::source::Source as _;
use crate::source::{check_blob_limit, verify_blob, BlobStream};

pub async fn get(source: &RegistrySource, descriptor: &Descriptor, limit: u64) -> Result<Bytes> {
    let location = source.location();
    check_blob_limit(&location, descriptor, limit)?;
    let (response, what) = fetch(source, &descriptor.digest).await?;
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

/// Opens a blob for reading as it arrives.
pub async fn reader(source: &RegistrySource, descriptor: &Descriptor) -> Result<BlobStream> {
    let location = source.location();
    let (response, what) = fetch(source, &descriptor.digest).await?;
    if let Some(length) = response.content_length() {
        if length != descriptor.size {
            bail!(
                "size mismatch for {what}: the descriptor says {} bytes, the registry sends {length}",
                descriptor.size
            );
        }
    }
    let chunks = response
        .bytes_stream()
        .map(move |chunk| chunk.with_context(|| format!("reading {what}")));
    Ok(BlobStream::new(location, descriptor.clone(), chunks))
}

/// GETs a blob: the successful response, and how messages name the blob.
async fn fetch(source: &RegistrySource, digest: &Digest) -> Result<(reqwest::Response, String)> {
    let url = source.url(&format!("blobs/{digest}")).await?;
    let response = source
        .transport
        .send(&source.repository, Access::Pull, |http| http.get(&url))
        .await?;
    let what = format!("blob {}@{digest}", source.location());
    let response = check_fetched(response, &what).await?;
    Ok((response, what))
}

/// The response to a blob GET, or the error it is.
async fn check_fetched(response: reqwest::Response, what: &str) -> Result<reqwest::Response> {
    if response.status().is_success() {
        return Ok(response);
    }
    let what = if response.status() == StatusCode::NOT_FOUND {
        format!("{what} not found")
    } else {
        format!("fetching {what}")
    };
    Err(error_from_response(response, &what).await)
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
    let session = start_upload(source, digest).await?;
    let upload = with_digest(&session, digest);
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

/// Uploads a blob as it streams in: one PUT whose body is the stream, with the digest,
/// which the registry checks before it stores anything. A stream that fails (the source
/// sent wrong bytes, or could not be read) cuts the body short, so the registry stores
/// nothing, and its error is the one reported.
pub async fn put_stream(source: &RegistrySource, blob: BlobStream) -> Result<()> {
    let location = source.location();
    let descriptor = blob.descriptor().clone();
    let digest = &descriptor.digest;
    let session = start_upload(source, digest).await?;
    let source_failure = Arc::new(Mutex::new(None));
    let body = reqwest::Body::wrap_stream(blob.map({
        let source_failure = Arc::clone(&source_failure);
        move |chunk| {
            chunk.map_err(|error| {
                let said = error.to_string();
                *lock(&source_failure) = Some(error);
                std::io::Error::other(said)
            })
        }
    }));
    let upload = with_digest(&session, digest);
    let sent = source
        .transport
        .send_once(&source.repository, Access::Push, |http| {
            http.put(upload)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Length", descriptor.size)
                .body(body)
        })
        .await;
    let what = format!("uploading blob {location}@{digest}");
    let source_failed = lock(&source_failure).take();
    let failure = match (source_failed, sent) {
        (None, Ok(response)) if response.status() == StatusCode::CREATED => return Ok(()),
        (Some(error), _) => error,
        (None, Ok(response)) => error_from_response(response, &what).await,
        (None, Err(error)) => error.context(what),
    };
    cancel_upload(source, session).await;
    Err(failure)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Opens an upload session (POST); its URL, from `Location`.
async fn start_upload(source: &RegistrySource, digest: &Digest) -> Result<url::Url> {
    let start_url = source.url("blobs/uploads/").await?;
    let response = source
        .transport
        .send(&source.repository, Access::Push, |http| {
            http.post(&start_url).header("Content-Length", "0")
        })
        .await?;
    if response.status() != StatusCode::ACCEPTED {
        let what = format!("starting the upload of blob {}@{digest}", source.location());
        return Err(error_from_response(response, &what).await);
    }
    session_url(&start_url, &response)
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
            if let Ok(session) = session_url(url.as_str(), &response) {
                cancel_upload(source, session).await;
            }
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
async fn cancel_upload(source: &RegistrySource, session: url::Url) {
    let _ = source
        .transport
        .send(&source.repository, Access::Push, |http| {
            http.delete(session.clone())
        })
        .await;
}

/// The session URL from `Location`, which may be relative to `base`.
fn session_url(base: &str, response: &reqwest::Response) -> Result<url::Url> {
    let location = response
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .context("the registry started an upload without a Location header")?;
    url::Url::parse(base)?
        .join(location)
        .with_context(|| format!("the registry sent an invalid upload Location {location:?}"))
}

/// The session URL with `digest=`, which completes the upload.
fn with_digest(session: &url::Url, digest: &Digest) -> url::Url {
    let mut url = session.clone();
    url.query_pairs_mut()
        .append_pair("digest", &digest.to_string());
    url
}
