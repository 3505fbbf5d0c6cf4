//! The `bpfsim` command line.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = bpfsim::cli::Cli::parse();
    match bpfsim::cli::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bpfsim: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
