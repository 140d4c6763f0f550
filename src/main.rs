//! The `boomsim` command line: clap definitions and glue over the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use boomsim::describe::{Description, describe};
use boomsim::distribution::Distribution;
use boomsim::engine::RunConfig;
use boomsim::export::terminal::{
    describe_table, dist_report, drivers_table, group_table, model_summary,
};
use boomsim::run::{ModelSource, RunOutcome, RunRequest, run};

/// Monte Carlo simulation of the returns and risks created when a technology's adoption grows
/// several-fold (Python usage 5x by default), per asset group and per asset.
#[derive(Parser)]
#[command(name = "boomsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `--set KEY=VALUE`, shared by the commands that read a model.
#[derive(clap::Args)]
struct Overrides {
    /// Override a model key (repeatable): KEY is a key path, VALUE a TOML value or a
    /// distribution string, e.g. --set sectors.ml_ai.elasticity="normal(1.2, 0.3)".
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
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
        /// Also write samples.csv: one row per path with every uncertain parameter's draw, the
        /// adoption multiple and each group's return and uplift.
        #[arg(long)]
        samples: bool,
        /// Also summarise the paths meeting a condition into summary_where.csv, e.g.
        /// "adoption_multiple >= 5 and sectors.ml_ai.elasticity > 1". Names: adoption_multiple,
        /// baseline_adoption_multiple, or an uncertain parameter's key path; operators
        /// < <= > >= == !=; comparisons joined with `and`.
        #[arg(long = "where", value_name = "CONDITION")]
        condition: Option<String>,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Validate a model file and summarise it; lists every error, with file, line and column.
    Check {
        /// The model file.
        model: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Every uncertain parameter of a model: mean, sd, p05, p50, p95 and a histogram.
    ///
    /// Percentiles are exact (inverse CDF); mean and sd are exact where a closed form exists,
    /// otherwise from 100,000 draws with seed 1, as the `moments` column says.
    Describe {
        /// The model file.
        model: PathBuf,
        /// Write CSV to stdout instead of a table.
        #[arg(long)]
        csv: bool,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// One distribution string in full: moments, percentiles, support and a histogram.
    Dist {
        /// A distribution, e.g. "2 to 10" or "normal(1.4, 0.3) in [0, 3]".
        distribution: String,
        /// Histogram bins.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=200))]
        bins: u64,
    },
}

/// Prints to stdout; a closed pipe (`boomsim ... | head`) is not an error.
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// What `run` prints: the ranked groups, their drivers, where the files are.
fn run_report(outcome: &RunOutcome) -> String {
    let m = &outcome.manifest;
    let mut text = format!(
        "{}: {} paths, seed {}, {} threads, {:.2} s\n\n{}\n\
         Total returns over {} years; cvar95 = average loss of the worst 5% of paths;\n\
         uplift_mean = boom minus baseline; ranked by Sharpe ratio.\n\n{}",
        m.model_name,
        m.paths,
        m.seed,
        m.threads,
        m.elapsed_seconds,
        group_table(&outcome.rows),
        outcome.horizon_years,
        drivers_table(&outcome.rows, &outcome.sensitivity, 3),
    );
    if let (Some(matched), Some(condition)) = (outcome.matched, &m.condition) {
        text.push_str(&format!(
            "\n--where \"{condition}\": {matched} of {} paths ({:.1}%) match; summarised in summary_where.csv\n",
            m.paths,
            100.0 * matched as f64 / m.paths as f64
        ));
    }
    let mut files = vec!["summary.csv", "adoption.csv", "sensitivity.csv"];
    if m.condition.is_some() {
        files.push("summary_where.csv");
    }
    if m.samples {
        files.push("samples.csv");
    }
    files.push("manifest.json");
    text.push_str(&format!(
        "\nWritten to {}/ ({})\n",
        outcome.out_dir.display(),
        files.join(", ")
    ));
    text
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
            samples,
            condition,
            overrides,
        } => {
            let request = RunRequest {
                model: ModelSource::or_default(model),
                config: RunConfig {
                    paths: paths as usize,
                    seed,
                    threads: threads.map(|t| t as usize),
                },
                out,
                samples,
                condition,
                sets: overrides.sets,
                command_line: std::env::args().collect(),
            };
            match run(&request) {
                Ok(outcome) => {
                    for w in &outcome.warnings {
                        eprintln!("warning: {w}");
                    }
                    print(&run_report(&outcome));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Describe {
            model,
            csv,
            overrides,
        } => {
            let source = ModelSource::File(model);
            match source.load(&overrides.sets) {
                Ok((m, _)) => {
                    let rows: Vec<Description> = m
                        .uncertain_parameters()
                        .iter()
                        .map(|p| describe(&p.path, p.distribution, 24).0)
                        .collect();
                    if csv {
                        let mut w = ::csv::Writer::from_writer(Vec::new());
                        for r in &rows {
                            if let Err(e) = w.serialize(r) {
                                eprintln!("Error: {e}");
                                return ExitCode::FAILURE;
                            }
                        }
                        print(&String::from_utf8_lossy(
                            &w.into_inner().unwrap_or_default(),
                        ));
                    } else {
                        print(&describe_table(&rows));
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Dist { distribution, bins } => match Distribution::parse(&distribution) {
            Ok(d) => {
                let (desc, histogram) = describe("", &d, bins as usize);
                print(&dist_report(&desc, &histogram));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("Error: \"{distribution}\": {e}");
                ExitCode::FAILURE
            }
        },
        Command::Check { model, overrides } => {
            let source = ModelSource::File(model);
            match source.load(&overrides.sets) {
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
