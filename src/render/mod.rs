//! Output, in one place: JSON or human text of the model, written to stdout. Rendering
//! takes the model only and never fetches; [`text`] escapes whatever came from outside.

mod describe;
mod diff;
pub mod index;
mod json;
mod sbom;
pub mod text;

use std::io::Write;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::model::{Description, Diff, Failure, SbomReport, TagList};

pub use sbom::convention_label;
pub use text::{clean, human_size};

/// How a command's result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    /// Text for people; `styled` adds colour and box drawing (a terminal, no NO_COLOR).
    Human {
        styled: bool,
    },
}

pub struct Printer {
    format: Format,
}

impl Printer {
    pub fn new(format: Format) -> Printer {
        Printer { format }
    }

    pub fn describe(&self, description: &Description) -> Result<()> {
        self.print(description, describe::describe)
    }

    pub fn sbom(&self, report: &SbomReport) -> Result<()> {
        self.print(report, sbom::sbom)
    }

    pub fn diff(&self, diff: &Diff) -> Result<()> {
        self.print(diff, diff::diff)
    }

    /// One tag a line, as `crane ls` prints them.
    pub fn tags(&self, tags: &TagList) -> Result<()> {
        self.print(tags, |list, _| {
            list.tags
                .iter()
                .map(|tag| format!("{}\n", clean(tag)))
                .collect()
        })
    }

    fn print<T: Serialize>(&self, value: &T, human: fn(&T, bool) -> String) -> Result<()> {
        match self.format {
            Format::Json => write_json_stdout(value),
            Format::Human { styled } => write_stdout(human(value, styled).as_bytes()),
        }
    }
}

/// Whether human output on stdout gets colour and box drawing: `force` when the user
/// chose, else a terminal that is not `TERM=dumb`, without NO_COLOR.
pub fn stdout_is_styled(force: Option<bool>) -> bool {
    use std::io::IsTerminal;
    force.unwrap_or_else(|| terminal_allows_style() && std::io::stdout().is_terminal())
}

/// NO_COLOR is unset or empty and TERM is not `dumb`.
pub fn terminal_allows_style() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb
}

/// An error's own message as it may reach a terminal: text from registries, layouts and
/// documents escaped, as [`crate::render::clean`] does for stdout.
pub fn printable_error(error: &(dyn std::error::Error + 'static)) -> String {
    match error.downcast_ref::<crate::error::Failures>() {
        Some(failures) => {
            let items: Vec<String> = failures.items.iter().map(|i| clean(i)).collect();
            format!("{}:\n  {}", clean(&failures.heading), items.join("\n  "))
        }
        None => clean(&error.to_string()),
    }
}

/// A warning on stderr.
pub fn warning(message: &str) {
    eprintln!("warning: {}", clean(message));
}

/// A failure as one line: where, then why.
pub fn failure_line(failure: &Failure) -> String {
    let manifest = if failure.manifest.is_empty() {
        "the described manifest"
    } else {
        failure.manifest.as_str()
    };
    match &failure.sbom_place {
        Some(place) => format!("{manifest}: SBOMs at {place}: {}", failure.reason),
        None => format!("{manifest}: {}", failure.reason),
    }
}

/// A line about progress or a choice made, on stderr.
pub fn status(message: &str) {
    eprintln!("{}", clean(message));
}

/// Pretty JSON with a final newline.
pub fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    let mut json = Vec::new();
    json::to_writer_pretty(&mut json, value).context("serializing the output")?;
    json.push(b'\n');
    Ok(json)
}

/// Writes `value` as pretty JSON to stdout as it is serialized, never whole in memory (a
/// million packages make half a gigabyte of JSON); a closed pipe is not an error.
fn write_json_stdout(value: &impl Serialize) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other.context("writing the output to stdout")?),
    }
}

/// Writes all of `bytes` to stdout; a closed pipe (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other.context("writing the output to stdout")?),
    }
}
