use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;

use ocx::cli::Cli;
use ocx::render::printable_error;

fn main() -> ExitCode {
    let color = ocx::cli::color_in_args(std::env::args_os());
    let matches = ocx::cli::command(color).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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

/// Prints an error as `error: …`, then each of its causes as `  caused by: …`, with text
/// from outside escaped so that it cannot move the cursor or forge a line.
fn report(error: &anyhow::Error) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let mut chain = error.chain();
    if let Some(outermost) = chain.next() {
        let _ = writeln!(stderr, "error: {}", printable_error(outermost));
    }
    for cause in chain {
        let _ = writeln!(stderr, "  caused by: {}", printable_error(cause));
    }
    ExitCode::from(ocx::commands::EXIT_ERROR)
}
