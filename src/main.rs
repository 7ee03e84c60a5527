use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;

use ocx::cli::Cli;
use ocx::render::printable_error;

fn main() -> ExitCode {
    fix_the_mmap_threshold();
    let color = clap_color(ocx::cli::color_in_args(std::env::args_os()));
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

/// glibc gives each block of 128 KiB or more its own mapping, returned to the system when
/// freed, but every such free raises that threshold: SBOM documents and package lists of
/// a few hundred KiB are then carved from the heap among the small blocks that outlive
/// them, and the holes they leave stay with the process (24 of 145 MB in
/// benches/sbom_memory.sh). A fixed threshold keeps them out of the heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fix_the_mmap_threshold() {
    // SAFETY: sets an allocator parameter, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fix_the_mmap_threshold() {}

/// `auto` is never colour where ocx's own output would have none (`TERM=dumb`,
/// `NO_COLOR`): clap alone colours under `TERM=dumb`, and on any stream when `CI` is set.
fn clap_color(choice: clap::ColorChoice) -> clap::ColorChoice {
    match choice {
        clap::ColorChoice::Auto if !ocx::render::terminal_allows_style() => {
            clap::ColorChoice::Never
        }
        chosen => chosen,
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
