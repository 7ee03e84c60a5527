//! Tag listing: GET /v2/NAME/tags/list, following `Link: <…>; rel="next"` pages.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::transport::{error_from_response, read_body, Access, OverLimit};
use super::RegistrySource;
use crate::source::Source as _;

const MAX_TAG_PAGE_BYTES: u64 = 16 * 1024 * 1024;
const MAX_TAG_PAGES: usize = 1000;
/// The page size asked for when only a short list is wanted: registries may send fewer
/// (some cap pages at 100) but not more.
const SHORT_LIST_PAGE: usize = 1000;

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// What a listing read within its bounds.
struct Listed {
    tags: Vec<String>,
    /// The page the registry would send next, had the bounds allowed it.
    more: Option<url::Url>,
}

pub async fn list(source: &RegistrySource) -> Result<Vec<String>> {
    let url = url::Url::parse(&source.url("tags/list").await?)?;
    Ok(pages(source, url, MAX_TAG_PAGES, MAX_TAG_PAGE_BYTES)
        .await?
        .tags)
}

/// Every tag when they come in at most `max_pages` pages of at most `max_page_bytes`;
/// `None` when there are more pages or a page is larger.
pub async fn list_if_small(
    source: &RegistrySource,
    max_pages: usize,
    max_page_bytes: u64,
) -> Result<Option<Vec<String>>> {
    let mut url = url::Url::parse(&source.url("tags/list").await?)?;
    url.query_pairs_mut()
        .append_pair("n", &SHORT_LIST_PAGE.to_string());
    match pages(source, url, max_pages, max_page_bytes).await {
        Ok(Listed { tags, more: None }) => Ok(Some(tags)),
        Ok(Listed { more: Some(_), .. }) => Ok(None),
        Err(e) if e.downcast_ref::<OverLimit>().is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

async fn pages(
    source: &RegistrySource,
    mut url: url::Url,
    max_pages: usize,
    max_page_bytes: u64,
) -> Result<Listed> {
    let what = format!("listing the tags of {}", source.location());
    let mut tags = Vec::new();
    for _ in 0..max_pages {
        let request_url = url.clone();
        let response = source
            .transport
            .send(&source.repository, Access::Pull, |http| {
                http.get(request_url.clone())
            })
            .await?;
        if !response.status().is_success() {
            return Err(error_from_response(response, &what).await);
        }
        let next = next_link(&response)
            .map(|link| url.join(&link))
            .transpose()?;
        let body = read_body(response, max_page_bytes, &what).await?;
        let page: TagPage = serde_json::from_slice(&body).with_context(|| what.clone())?;
        tags.extend(page.tags.unwrap_or_default());
        match next {
            Some(n) => url = n,
            None => return Ok(Listed { tags, more: None }),
        }
    }
    Ok(Listed {
        tags,
        more: Some(url),
    })
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
