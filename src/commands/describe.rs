//! `ocx describe`: resolve, walk and discover SBOMs, describe, render.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{DescribeArgs, GlobalArgs};
use crate::inspect::{inspect, resolve};
use crate::reference::Target;

pub async fn run(global: &GlobalArgs, args: DescribeArgs) -> Result<ExitCode> {
    let target = Target::parse(&args.reference)?;
    let sources = super::sources(global)?;
    let resolved = resolve(&sources, &target, args.read.platform.as_ref()).await?;
    if args.raw {
        super::write_stdout(&resolved.manifest.bytes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let max_sbom = (!args.no_sbom).then_some(args.read.max_sbom_size);
    let inspection = inspect(
        &sources,
        resolved,
        usize::from(args.read.concurrency),
        max_sbom,
    )
    .await?;
    let description = crate::describe::describe(
        &args.reference,
        inspection.resolved.canonical.clone(),
        &inspection.tree,
        inspection.sboms.as_ref(),
    );
    let output = if args.json {
        super::to_json(&description)?
    } else {
        crate::render::human(&description, super::styled(global)).into_bytes()
    };
    super::write_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
}
