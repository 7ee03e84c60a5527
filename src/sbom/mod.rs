//! SBOM discovery and parsing.

pub mod parse;
