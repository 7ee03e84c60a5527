//! One module per subcommand: each resolves what it needs through [`crate::source`],
//! builds the [`crate::model`] and hands it to [`crate::render`].

mod describe;
mod generate;
mod index;
mod sbom;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs, IndexCommand, SchemaName};
use crate::source::registry::TransportOptions;
use crate::source::Sources;

/// Exit status for any error (1 is kept for "differences found", as diff(1) does).
pub const EXIT_ERROR: u8 = 2;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Describe(args) => describe::run(&cli.global, args).await,
        Command::Sbom(args) => sbom::run(&cli.global, args).await,
        Command::Index(IndexCommand::Create(args)) => index::create(&cli.global, args).await,
        Command::Index(IndexCommand::Update(args)) => index::update(&cli.global, args).await,
        Command::Schema(args) => {
            let schema = match args.output {
                SchemaName::Describe => crate::schema::DESCRIBE_V1,
                SchemaName::Sbom => crate::schema::SBOM_V1,
            };
            write_stdout(schema.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(args) => {
            generate::run(&args.dir).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn sources(global: &GlobalArgs) -> Result<Sources> {
    Sources::new(TransportOptions {
        plain_http: global.plain_http,
        insecure: global.insecure,
        timeout: std::time::Duration::from_secs(global.timeout.into()),
    })
}

/// Whether human output gets colour and box drawing.
fn styled(global: &GlobalArgs) -> bool {
    use std::io::IsTerminal;
    match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
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

/// Pretty JSON with a final newline.
fn to_json(value: &impl serde::Serialize) -> Result<Vec<u8>> {
    let mut json = serde_json::to_vec_pretty(value)?;
    json.push(b'\n');
    Ok(json)
}

/// Writes all of `bytes` to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
