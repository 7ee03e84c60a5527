//! Tag listing: GET /v2/NAME/tags/list, following `Link: <…>; rel="next"` pages.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::transport::{error_from_response, read_body, Access, OverLimit};
use super::RegistrySource;
use crate::reference::ManifestRef;
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

/// The address of the tag list's first page.
async fn first_page(source: &RegistrySource) -> Result<url::Url> {
    Ok(url::Url::parse(&source.url("tags/list").await?)?)
}

pub async fn list(source: &RegistrySource) -> Result<Vec<String>> {
    let url = first_page(source).await?;
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
    let mut url = first_page(source).await?;
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
    let mut tags = Vec::new();
    for _ in 0..max_pages {
        let (page, next) = page(source, url.clone(), max_page_bytes).await?;
        tags.extend(page);
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

/// One page of the tag list (at most `max_bytes`) and the URL of the next, if any.
async fn page(
    source: &RegistrySource,
    url: url::Url,
    max_bytes: u64,
) -> Result<(Vec<String>, Option<url::Url>)> {
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
    let body = read_body(response, max_bytes, &what).await?;
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
    let Ok(first) = first_page(source).await else {
        return String::new();
    };
    let Ok((tags, next)) = page(source, first, MAX_TAG_PAGE_BYTES).await else {
        return String::new();
    };
    if tags.is_empty() && next.is_none() {
        return " (the repository has no tags)".into();
    }
    let named: Vec<&str> = tags
        .iter()
        .map(String::as_str)
        .filter(|tag| !is_digest_tag(tag))
        .collect();
    if named.is_empty() && next.is_none() {
        return " (the repository has only sha256-… signature, attestation and referrers tags)"
            .into();
    }
    let shown = named[..named.len().min(TAGS_IN_HINT)].join(", ");
    if named.len() <= TAGS_IN_HINT && named.len() == tags.len() && next.is_none() {
        format!(" (the repository's tags: {shown})")
    } else {
        format!(
            " (the repository's tags: {shown}, …; `ocx tags {}` lists them all)",
            source.location()
        )
    }
}

/// A tag that cosign (`sha256-HEX.sig`, `.sbom`, `.att`) or the referrers tag schema
/// (`sha256-HEX`) derives from a digest: not one a user would mean.
fn is_digest_tag(tag: &str) -> bool {
    let Some(rest) = tag.strip_prefix("sha256-") else {
        return false;
    };
    let hex = rest.split_once('.').map_or(rest, |(hex, _)| hex);
    hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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

#[cfg(test)]
mod tests {
    use super::is_digest_tag;

    #[test]
    fn digest_tags_are_told_from_tags_a_user_means() {
        let hex = "416fe8c478d4342e869a4d040d934474cbcfd4d8aee42f771f618b47f05cc502";
        for derived in [
            format!("sha256-{hex}"),
            format!("sha256-{hex}.sbom"),
            format!("sha256-{hex}.att"),
        ] {
            assert!(is_digest_tag(&derived), "{derived}");
        }
        for meant in [
            "latest",
            "1.0",
            "sha256-abc",
            "sha256",
            &format!("sha512-{hex}"),
            &format!("sha256-{}", hex.to_uppercase()),
        ] {
            assert!(!is_digest_tag(meant), "{meant}");
        }
    }
}
