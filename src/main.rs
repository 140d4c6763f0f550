//! The `boomsim` binary: parse the command line, run the subcommand, print its error and set
//! the exit code. Every subcommand lives in `cli/`; every computation in the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::Cli::parse().execute() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
