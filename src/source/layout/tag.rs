//! Tags in a layout: the `org.opencontainers.image.ref.name` of index.json entries.

use anyhow::Result;

use super::LayoutSource;
use crate::manifest::annotations::REF_NAME;

pub fn list(layout: &LayoutSource) -> Result<Vec<String>> {
    let index = layout.index()?;
    Ok(index
        .manifests
        .iter()
        .filter_map(|d| d.annotation(REF_NAME).map(str::to_string))
        .collect())
}
