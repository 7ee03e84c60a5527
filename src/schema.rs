//! The published JSON Schemas of ocx's outputs.

/// JSON Schema (draft 2020-12) of `ocx describe --json`, schema_version 1.
pub const DESCRIBE_V1: &str = include_str!("../schema/describe.v1.json");

/// JSON Schema (draft 2020-12) of `ocx sbom --json`, schema_version 1.
pub const SBOM_V1: &str = include_str!("../schema/sbom.v1.json");

/// JSON Schema (draft 2020-12) of `ocx diff --json`, schema_version 1.
pub const DIFF_V1: &str = include_str!("../schema/diff.v1.json");

/// JSON Schema (draft 2020-12) of `ocx tags --json`, schema_version 1.
pub const TAGS_V1: &str = include_str!("../schema/tags.v1.json");
