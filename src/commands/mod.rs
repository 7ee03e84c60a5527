//! One module per subcommand, each a thin composition: parse the reference, read through
//! [`crate::read`] (or build through [`crate::index`]), print through [`crate::render`].

mod describe;
mod diff;
pub(crate) mod generate;
mod index;
mod sbom;
mod tags;
mod unified;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs, IndexCommand, SchemaName};
use crate::model::Failure;
use crate::render::{self, Format, Printer};
use crate::source::registry::TransportOptions;
use crate::source::{Cache, Session};

/// Exit status for any error (1 is kept for "differences found", as diff(1) does).
pub const EXIT_ERROR: u8 = 2;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    if cli.global.verbose {
        crate::source::registry::enable_trace();
    }
    let written = references(&cli.command);
    run_command(cli).await.map_err(|error| {
        match written
            .iter()
            .find_map(|r| crate::reference::local_layout_hint(r))
        {
            Some(hint) => error.context(hint),
            None => error,
        }
    })
}

/// The references a command was given, as written.
fn references(command: &Command) -> Vec<String> {
    match command {
        Command::Describe(args) => vec![args.reference.clone()],
        Command::Sbom(args) => vec![args.reference.clone()],
        Command::Diff(args) => vec![args.old.clone(), args.new.clone()],
        Command::Tags(args) => vec![args.repository.clone()],
        Command::Index(IndexCommand::Create(args)) => [&args.target]
            .into_iter()
            .chain(&args.sources)
            .cloned()
            .collect(),
        Command::Index(IndexCommand::Update(args)) => [&args.target]
            .into_iter()
            .chain(&args.add)
            .cloned()
            .collect(),
        Command::Schema(_) | Command::Generate(_) => vec![],
    }
}

async fn run_command(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Describe(args) => describe::run(&cli.global, args).await,
        Command::Sbom(args) => sbom::run(&cli.global, args).await,
        Command::Diff(args) => diff::run(&cli.global, args).await,
        Command::Index(IndexCommand::Create(args)) => index::create(&cli.global, args).await,
        Command::Index(IndexCommand::Update(args)) => index::update(&cli.global, args).await,
        Command::Tags(args) => tags::run(&cli.global, args).await,
        Command::Schema(args) => {
            let schema = match args.output {
                SchemaName::Describe => crate::schema::DESCRIBE_V1,
                SchemaName::Sbom => crate::schema::SBOM_V1,
                SchemaName::Diff => crate::schema::DIFF_V1,
                SchemaName::Tags => crate::schema::TAGS_V1,
            };
            render::write_stdout(schema.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(args) => {
            generate::run(&cli.global, &args).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn session(global: &GlobalArgs, concurrency: u16) -> Result<Session> {
    let options = TransportOptions {
        plain_http: global.plain_http,
        insecure: global.insecure,
        timeout: std::time::Duration::from_secs(global.timeout.into()),
    };
    let cache = match global.no_cache {
        true => None,
        false => Cache::default_dir().map(|dir| Cache::new(&dir, global.cache_size)),
    };
    Ok(Session::with_concurrency(options, usize::from(concurrency))?.with_cache(cache))
}

/// Parts of a read that could not be read: each a warning, or with `--strict` one error
/// naming them all.
fn check_failures(failures: &[Failure], strict: bool) -> Result<()> {
    let lines = failures.iter().map(render::failure_line);
    if strict && !failures.is_empty() {
        return Err(crate::error::Failures {
            heading: format!(
                "{} could not be read (--strict)",
                crate::render::text::count(failures.len(), "part", "parts")
            ),
            items: lines.collect(),
        }
        .into());
    }
    lines.for_each(|line| render::warning(&line));
    Ok(())
}

/// Leaves a printed result to the end of the process instead of freeing it: the process
/// ends as the command returns, and freeing the model of a large SBOM report one small
/// allocation at a time (a million for 100,000 packages) takes a tenth of the run.
fn leave<T>(printed: T) {
    std::mem::forget(printed);
}

/// How a command that prints the model prints it.
fn printer(global: &GlobalArgs, json: bool) -> Printer {
    let force = match global.color {
        ColorChoice::Always => Some(true),
        ColorChoice::Never => Some(false),
        ColorChoice::Auto => None,
    };
    Printer::new(if json {
        Format::Json
    } else {
        Format::Human {
            styled: render::stdout_is_styled(force),
        }
    })
}
