//! Tag listing: GET /v2/NAME/tags/list, following `Link: <…>; rel="next"` pages.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::transport::{error_from_response, read_body, Access};
use super::RegistrySource;
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
        tags.extend(page.tags.unwrap_or_default());
        match next {
            Some(n) => url = n,
            None => return Ok(tags),
        }
    }
    Ok(tags)
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
