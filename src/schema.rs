//! The published JSON Schemas of ocx's outputs.

/// JSON Schema (draft 2020-12) of `ocx describe --json`, schema_version 1.
pub const DESCRIBE_V1: &str = include_str!("../schema/describe.v1.json");
