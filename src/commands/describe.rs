//! `ocx describe`: read, describe, print.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{DescribeArgs, GlobalArgs};
use crate::read::{read, resolve};
use crate::reference::Target;
use crate::render::write_stdout;

pub async fn run(global: &GlobalArgs, args: DescribeArgs) -> Result<ExitCode> {
    let target = Target::parse(&args.reference)?;
    let session = super::session(global, args.read.limits.concurrency)?;
    if args.raw {
        let resolved = resolve(&session, &target, args.read.platform.as_ref()).await?;
        write_stdout(&resolved.manifest.bytes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let read = read(&session, &target, &args.read.options(!args.no_sbom)).await?;
    let description = read.into_description(&args.reference);
    super::check_failures(&description.manifest.failures(), args.read.limits.strict)?;
    super::printer(global, args.json).describe(&description)?;
    super::leave(description);
    Ok(ExitCode::SUCCESS)
}
