//! One module per subcommand, each a thin composition: parse the reference, read through
//! [`crate::read`] (or build through [`crate::index`]), print through [`crate::render`].

mod describe;
mod diff;
mod generate;
mod index;
mod sbom;
mod unified;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs, IndexCommand, SchemaName};
use crate::render::{self, Format, Printer};
use crate::source::registry::TransportOptions;
use crate::source::Session;

/// Exit status for any error (1 is kept for "differences found", as diff(1) does).
pub const EXIT_ERROR: u8 = 2;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Describe(args) => describe::run(&cli.global, args).await,
        Command::Sbom(args) => sbom::run(&cli.global, args).await,
        Command::Diff(args) => diff::run(&cli.global, args).await,
        Command::Index(IndexCommand::Create(args)) => index::create(&cli.global, args).await,
        Command::Index(IndexCommand::Update(args)) => index::update(&cli.global, args).await,
        Command::Schema(args) => {
            let schema = match args.output {
                SchemaName::Describe => crate::schema::DESCRIBE_V1,
                SchemaName::Sbom => crate::schema::SBOM_V1,
                SchemaName::Diff => crate::schema::DIFF_V1,
            };
            render::write_stdout(schema.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(args) => {
            generate::run(&args.dir).await?;
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
    Session::with_concurrency(options, usize::from(concurrency))
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

/// Several independent failures under one heading, each on a line of its own. Kept as
/// a list so that the error report can escape each item without escaping the line breaks
/// between them.
#[derive(Debug)]
pub struct Failures {
    pub heading: String,
    pub items: Vec<String>,
}

impl std::fmt::Display for Failures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:\n  {}", self.heading, self.items.join("\n  "))
    }
}

impl std::error::Error for Failures {}

/// An error's own message as it may reach a terminal: text from registries, layouts and
/// documents escaped, as [`crate::render::clean`] does for stdout.
pub fn printable_error(error: &(dyn std::error::Error + 'static)) -> String {
    use crate::render::clean;
    match error.downcast_ref::<Failures>() {
        Some(failures) => {
            let items: Vec<String> = failures.items.iter().map(|i| clean(i)).collect();
            format!("{}:\n  {}", clean(&failures.heading), items.join("\n  "))
        }
        None => clean(&error.to_string()),
    }
}
