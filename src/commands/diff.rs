//! `ocx diff`: read both sides concurrently in one session, compare, print; the exit
//! status says whether they differ, as diff(1)'s does.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::cli::{DiffArgs, GlobalArgs};
use crate::diff::files::{self, FileOptions};
use crate::diff::{diff, DiffOptions};
use crate::layers::Limits;
use crate::read::{read, Read, ReadOptions};
use crate::reference::Target;
use crate::source::Session;

/// Exit status when the two sides differ.
pub const EXIT_DIFFERENT: u8 = 1;

pub async fn run(global: &GlobalArgs, args: DiffArgs) -> Result<ExitCode> {
    let (paths, addresses): (Vec<String>, Vec<String>) = args
        .ignore
        .iter()
        .cloned()
        .partition(|p| p.starts_with('/'));
    if let (Some(path), false) = (paths.first(), args.files) {
        bail!("--ignore {path:?} is a path glob: it needs --files");
    }
    let old_target = parse_side("old", &args.old)?;
    let new_target = parse_side("new", &args.new)?;
    // Two reads share the session: each side gets --concurrency requests in flight.
    let session = super::session(global, args.limits.concurrency.saturating_mul(2))?;
    let options = ReadOptions {
        platform: None,
        max_sbom_bytes: (!args.no_sbom).then_some(args.limits.max_sbom_size),
        keep_sbom_bytes: false,
    };
    let (old, new) = tokio::try_join!(
        read_side(&session, "old", &args.old, &old_target, &options),
        read_side(&session, "new", &args.new, &new_target, &options),
    )?;
    let diff_options = DiffOptions {
        platforms: args.platforms.clone(),
        ignore: addresses.clone(),
        ignore_timestamps: args.ignore_timestamps,
        show_unchanged: args.show_unchanged,
    };
    let (old_description, new_description) = (old.describe(&args.old), new.describe(&args.new));
    // What could not be read on either side is a difference the diff shows, not a crash;
    // each is warned about, or fatal with --strict.
    let failures: Vec<_> = [("old", &old_description), ("new", &new_description)]
        .into_iter()
        .flat_map(|(side, description)| {
            description
                .manifest
                .failures()
                .into_iter()
                .map(move |mut f| {
                    f.manifest = match f.manifest.as_str() {
                        "" => format!("{side} side"),
                        path => format!("{side} side > {path}"),
                    };
                    f
                })
        })
        .collect();
    super::check_failures(&failures, args.limits.strict)?;
    let mut result = diff(&old_description, &new_description, &diff_options);
    if args.files {
        let options = FileOptions {
            ignore: addresses,
            paths,
            ignore_timestamps: args.ignore_timestamps,
            content: args.content,
            limits: Limits::default(),
        };
        let sides = (
            files::Side {
                description: &old_description,
                source: &old.resolved.source,
            },
            files::Side {
                description: &new_description,
                source: &new.resolved.source,
            },
        );
        files::compare_files(&mut result, sides.0, sides.1, &options).await?;
    }
    if args.unified {
        let text = super::unified::unified(&old, &new, &result, args.context).await?;
        crate::render::write_stdout(text.as_bytes())?;
    } else if !args.quiet {
        super::printer(global, args.json).diff(&result)?;
    }
    Ok(if result.equal {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DIFFERENT)
    })
}

fn parse_side(side: &str, reference: &str) -> Result<Target> {
    Target::parse(reference).with_context(|| format!("the {side} reference {reference:?}"))
}

async fn read_side(
    session: &Session,
    side: &str,
    reference: &str,
    target: &Target,
    options: &ReadOptions,
) -> Result<Read> {
    read(session, target, options)
        .await
        .with_context(|| format!("reading the {side} side, {reference}"))
}
