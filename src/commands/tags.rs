//! `ocx tags`: the tags of a repository (the distribution API's tag list, every page) or
//! of an OCI layout.

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::cli::{GlobalArgs, TagsArgs};
use crate::model::{TagList, SCHEMA_VERSION};
use crate::reference::{has_explicit_tag, Target};
use crate::source::Source as _;

pub async fn run(global: &GlobalArgs, args: TagsArgs) -> Result<ExitCode> {
    let target = Target::parse(&args.repository)?;
    let names_a_manifest = match &target {
        Target::Registry { digest, .. } => digest.is_some() || has_explicit_tag(&args.repository),
        Target::Layout { tag, digest, .. } => tag.is_some() || digest.is_some(),
    };
    if names_a_manifest {
        bail!(
            "ocx tags takes a repository or layout, not a tag or digest: {:?} (try {})",
            args.repository,
            target.location()
        );
    }
    let session = super::session(global, crate::source::DEFAULT_CONCURRENCY as u16)?;
    let source = session.open_location(&target)?;
    let tags = TagList {
        schema_version: SCHEMA_VERSION,
        reference: args.repository.clone(),
        location: source.location(),
        tags: source.tag_list().await?,
    };
    super::printer(global, args.json).tags(&tags)?;
    Ok(ExitCode::SUCCESS)
}
