//! `ocx generate DIR`: completions for every shell clap_complete supports and one man
//! page per command, written from the clap definition, and the example OCI layout
//! (examples/layout) written from [`crate::sample`].

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Where the example layout lives, relative to the repository root.
pub const EXAMPLE_LAYOUT: &str = "examples/layout";

pub async fn run(dir: &Path) -> Result<()> {
    write_completions_and_man(dir)?;
    write_example_layout(&dir.join(EXAMPLE_LAYOUT)).await
}

/// Rewrites the example layout from scratch so that it holds exactly the samples.
async fn write_example_layout(path: &Path) -> Result<()> {
    if path.exists() {
        std::fs::remove_dir_all(path).with_context(|| format!("removing {}", path.display()))?;
    }
    let layout = crate::source::layout::LayoutSource::open_or_create(path)?;
    crate::sample::write_all(&layout).await?;
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
        clap_complete::generate_to(shell, &mut Cli::command(), "ocx", &completions)
            .with_context(|| format!("writing {shell} completions"))?;
    }
    write_man_pages(&Cli::command(), &man, "ocx")
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
