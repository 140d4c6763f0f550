//! The `boomsim` command line: clap definitions and glue over the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use boomsim::engine::RunConfig;
use boomsim::export::terminal::{group_table, model_summary};
use boomsim::run::{ModelSource, RunRequest, run};

/// Monte Carlo simulation of the returns and risks created when a technology's adoption grows
/// several-fold (Python usage 5x by default), per asset group and per asset.
#[derive(Parser)]
#[command(name = "boomsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a model and write summary.csv, adoption.csv and manifest.json.
    ///
    /// Every path's outcomes are kept in memory until the summary is written: about
    /// 8 bytes x paths x (3 x entities + 2 x (steps + 1)) with a baseline, 100 MB for
    /// 100,000 paths of the default model.
    Run {
        /// The model file [default: models/python-5x.toml, or the built-in copy of it]
        model: Option<PathBuf>,
        /// Number of paths (N).
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
        paths: u64,
        /// Seed: the same seed gives byte-identical CSV files, whatever the thread count.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads [default: every core].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
        threads: Option<u64>,
        /// Output folder [default: output/<model name>/]. Replaced whole on success; an
        /// existing folder that is not a boomsim run folder is never replaced.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate a model file and summarise it; lists every error, with file, line and column.
    Check {
        /// The model file.
        model: PathBuf,
    },
}

/// Prints to stdout; a closed pipe (`boomsim ... | head`) is not an error.
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            model,
            paths,
            seed,
            threads,
            out,
        } => {
            let request = RunRequest {
                model: ModelSource::or_default(model),
                config: RunConfig {
                    paths: paths as usize,
                    seed,
                    threads: threads.map(|t| t as usize),
                },
                out,
                command_line: std::env::args().collect(),
            };
            match run(&request) {
                Ok(outcome) => {
                    let m = &outcome.manifest;
                    print(&format!(
                        "{}: {} paths, seed {}, {} threads, {:.2} s\n\n{}\n\
                         Total returns over {} years; cvar95 = average loss of the worst 5% of paths;\n\
                         uplift_mean = boom minus baseline; ranked by Sharpe ratio.\n\
                         Written to {}/ (summary.csv, adoption.csv, manifest.json)\n",
                        m.model_name,
                        m.paths,
                        m.seed,
                        m.threads,
                        m.elapsed_seconds,
                        group_table(&outcome.rows),
                        outcome.horizon_years,
                        outcome.out_dir.display()
                    ));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check { model } => {
            let source = ModelSource::File(model);
            match source.load() {
                Ok((m, _)) => {
                    print(&model_summary(&m, &source.display()));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
