//! ocx: inspect OCI images, indexes and artifacts.
//!
//! The crate is laid out by concern: [`reference`] (what a user names), [`source`] (where
//! content lives: registries and OCI layouts behind one trait), [`walk`] (fetching a
//! manifest tree), [`model`] (the output schema), [`describe`] (building it from a walk),
//! [`diff`] (comparing two descriptions), [`render`] (human output), and [`cli`] (the command line). Writing content: [`index`]
//! (building image indexes) and [`copy`] (bringing manifests from one source to another).

pub mod atomic_file;
pub mod cli;
pub mod commands;
pub mod copy;
pub mod describe;
pub mod diff;
pub mod digest;
pub mod index;
pub mod manifest;
pub mod model;
pub mod platform;
pub mod read;
pub mod reference;
pub mod render;
pub mod sample;
pub mod sbom;
pub mod schema;
pub mod source;
