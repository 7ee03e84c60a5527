//! `ocx generate DIR`: completions for every shell clap_complete supports and one man
//! page per command, written from the clap definition, and the example OCI layout
//! (examples/layout) written from [`sample`]. `ocx generate --samples REF` writes the
//! same samples into a layout or a registry repository.

pub(crate) mod sample;

use std::path::Path;

use anyhow::{bail, Context, Result};
use clap_complete::Shell;

use crate::cli::{GenerateArgs, GlobalArgs};
use crate::reference::{has_explicit_tag, Target};
use crate::source::{Source, DEFAULT_CONCURRENCY};

/// Where the example layout lives, relative to the repository root.
pub const EXAMPLE_LAYOUT: &str = "examples/layout";

pub async fn run(global: &GlobalArgs, args: &GenerateArgs) -> Result<()> {
    match &args.samples {
        Some(reference) => write_samples(global, reference).await,
        None => {
            write_completions_and_man(&args.dir)?;
            write_example_layout(&args.dir.join(EXAMPLE_LAYOUT)).await?;
            crate::render::status(&format!(
                "wrote completions/, man/ and {EXAMPLE_LAYOUT} in {}",
                args.dir.display()
            ));
            Ok(())
        }
    }
}

/// The command line the completions and man pages describe.
fn cli_command() -> clap::Command {
    crate::cli::command(clap::ColorChoice::Auto)
}

/// Rewrites the example layout from scratch so that it holds exactly the samples.
async fn write_example_layout(path: &Path) -> Result<()> {
    if path.exists() {
        std::fs::remove_dir_all(path).with_context(|| format!("removing {}", path.display()))?;
    }
    let layout = crate::source::layout::LayoutSource::open_or_create(path)?;
    sample::write_all(&layout).await
}

/// Writes the samples into the layout or repository `reference` names, each under its
/// own tag, beside what is there already.
async fn write_samples(global: &GlobalArgs, reference: &str) -> Result<()> {
    let session = super::session(global, DEFAULT_CONCURRENCY as u16)?;
    let target = Target::parse(reference)?;
    let destination: std::sync::Arc<dyn Source> = match &target {
        Target::Registry { digest: None, .. } if !has_explicit_tag(reference) => {
            std::sync::Arc::new(session.open(&target)?.0)
        }
        Target::Layout {
            path,
            tag: None,
            digest: None,
        } => session.open_or_create_layout(path)?,
        _ => bail!("--samples takes a layout or a repository, not a tag or digest: {reference:?}"),
    };
    sample::write_all(destination.as_ref()).await?;
    crate::render::status(&format!("wrote the samples to {reference}"));
    Ok(())
}

fn write_completions_and_man(dir: &Path) -> Result<()> {
    let completions = dir.join("completions");
    let man = dir.join("man");
    std::fs::create_dir_all(&completions)
        .with_context(|| format!("creating {}", completions.display()))?;
    std::fs::create_dir_all(&man).with_context(|| format!("creating {}", man.display()))?;
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        clap_complete::generate_to(shell, &mut cli_command(), "ocx", &completions)
            .with_context(|| format!("writing {shell} completions"))?;
    }
    write_man_pages(&cli_command(), &man, "ocx")
}

fn write_man_pages(command: &clap::Command, dir: &Path, name: &str) -> Result<()> {
    let command = command
        .clone()
        .name(name.to_string())
        .bin_name(name.replace('-', " "));
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_man_pages(sub, dir, &format!("{name}-{}", sub.get_name()))?;
    }
    Ok(())
}
