//! Tag listing: GET /v2/NAME/tags/list, following `Link: <…>; rel="next"` pages.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::transport::{error_from_response, read_body, Access};
use super::RegistrySource;
use crate::reference::ManifestRef;
use crate::source::Source as _;

const MAX_TAG_PAGE_BYTES: u64 = 16 * 1024 * 1024;
const MAX_TAG_PAGES: usize = 1000;

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

pub async fn list(source: &RegistrySource) -> Result<Vec<String>> {
    let mut url = url::Url::parse(&source.url("tags/list").await?)?;
    let mut tags = Vec::new();
    for _ in 0..MAX_TAG_PAGES {
        let (page, next) = page(source, url).await?;
        tags.extend(page);
        match next {
            Some(n) => url = n,
            None => return Ok(tags),
        }
    }
    Ok(tags)
}

/// One page of the tag list and the URL of the next, if any.
async fn page(source: &RegistrySource, url: url::Url) -> Result<(Vec<String>, Option<url::Url>)> {
    let request_url = url.clone();
    let response = source
        .transport
        .send(&source.repository, Access::Pull, |http| {
            http.get(request_url.clone())
        })
        .await?;
    let what = format!("listing the tags of {}", source.location());
    if !response.status().is_success() {
        return Err(error_from_response(response, &what).await);
    }
    let next = next_link(&response)
        .map(|link| url.join(&link))
        .transpose()?;
    let body = read_body(response, MAX_TAG_PAGE_BYTES, &what).await?;
    let page: TagPage = serde_json::from_slice(&body).with_context(|| what.clone())?;
    Ok((page.tags.unwrap_or_default(), next))
}

/// How many tags a missing tag's error lists.
const TAGS_IN_HINT: usize = 5;

/// For a tag the registry does not have, the first few it does have (from the first
/// page of its tag list), as a hint: ` (the repository's tags: 1.0, 1.1, …; \`ocx tags
/// REPO\` lists them all)`, or ` (the repository has no tags)`. Nothing when the
/// reference is a digest or the tags cannot be listed (no such repository, no
/// permission): the error itself says enough then.
pub async fn hint(source: &RegistrySource, reference: &ManifestRef) -> String {
    if !matches!(reference, ManifestRef::Tag(_)) {
        return String::new();
    }
    let first = source.url("tags/list").await.ok();
    let Some(first) = first.and_then(|u| url::Url::parse(&u).ok()) else {
        return String::new();
    };
    let Ok((tags, next)) = page(source, first).await else {
        return String::new();
    };
    if tags.is_empty() && next.is_none() {
        return " (the repository has no tags)".into();
    }
    let shown = tags[..tags.len().min(TAGS_IN_HINT)].join(", ");
    if tags.len() <= TAGS_IN_HINT && next.is_none() {
        format!(" (the repository's tags: {shown})")
    } else {
        format!(
            " (the repository's tags: {shown}, …; `ocx tags {}` lists them all)",
            source.location()
        )
    }
}

/// The target of a `Link` header's `rel="next"` entry.
pub fn next_link(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get("Link")?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}
