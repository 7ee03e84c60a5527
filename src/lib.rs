//! ocx: inspect OCI images, indexes and artifacts.
//!
//! The read pipeline, in order (each command composes it: parse, read, render):
//! - [`reference`](mod@reference): what a user names: registry references and `oci:` layouts.
//! - [`source`]: where content lives: the `Source` trait, registries and layouts behind it, a `Session` per command.
//! - [`read`]: resolve (and `--platform`), walk the tree, discover SBOMs beside it, describe.
//! - [`sbom`]: SBOM discovery by every convention, and parsing documents to purls.
//! - [`model`]: the output schema as plain serde types; depends only on wire types.
//! - [`diff`]: comparing two descriptions: package matching and version ordering.
//! - [`render`]: JSON or human output, in one place, with outside text escaped.
//!
//! Beside it:
//! - [`cli`], [`commands`]: the command line and one thin module per subcommand.
//! - [`index`], [`copy`]: building and publishing image indexes; copying manifest trees.
//! - [`digest`], [`manifest`], [`platform`]: digests, OCI/Docker wire types, platform keys.
//! - [`atomic_file`]: files written whole or not at all, with the umask's mode.
//! - [`error`]: error types the report prints in a shape of their own.
//! - [`schema`]: the published JSON Schemas.

pub mod atomic_file;
pub mod cli;
pub mod commands;
pub mod copy;
pub mod diff;
pub mod digest;
pub mod error;
pub mod index;
pub mod layers;
pub mod manifest;
pub mod model;
pub mod platform;
pub mod read;
pub mod reference;
pub mod render;
pub mod sbom;
pub mod schema;
pub mod source;
