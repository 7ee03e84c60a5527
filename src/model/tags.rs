//! `ocx tags --json`, published as a JSON Schema at `schema/tags.v1.json`.

use serde::{Deserialize, Serialize};

/// The tags of a repository or layout, in the order the registry or layout lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagList {
    pub schema_version: u32,
    /// The repository or layout as the user typed it.
    pub reference: String,
    /// Where the tags were listed: `registry/name`, or `oci:PATH`.
    pub location: String,
    pub tags: Vec<String>,
}
