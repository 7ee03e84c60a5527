use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use ocx::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return report(&anyhow::anyhow!(e).context("starting the async runtime")),
    };
    match runtime.block_on(ocx::commands::run(cli)) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// Prints an error with its causes, uv style: `error: …` then `  Caused by: …`.
fn report(error: &anyhow::Error) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {error}");
    for cause in error.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
    ExitCode::from(ocx::commands::EXIT_ERROR)
}
