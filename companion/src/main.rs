//! The `chimera` command: serves the page, and runs Chimera's work from a terminal.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chimera_companion::cli::Cli::parse();
    chimera_companion::cli::run(cli)
}
