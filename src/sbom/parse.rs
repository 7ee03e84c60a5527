//! Parsing SBOM documents to package URLs.
