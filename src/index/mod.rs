//! Image indexes for `ocx index create` and `update`: [`build`] makes the index from
//! verified children (pure), [`remove`] finds the entries `--remove` names, [`publish`]
//! resolves, copies, pushes and writes `--output`.

pub mod build;
pub mod publish;
mod remove;

pub use build::*;
pub use publish::{PublishOptions, Published, ResolvedChild, Workspace};
pub use remove::remove_entries;
