//! The command line: clap definitions and glue, one file per subcommand. Each subcommand's
//! arguments turn themselves into a plain request of the library, run it, and print what a
//! person reads; nothing here computes a number.

mod allocate;
mod check;
mod describe;
mod dist;
mod fit;
mod init;
mod merge;
mod report;
mod run;
mod sweep;
mod xlsx;

use boomsim::exit::ExitStatus;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use boomsim::engine::{Hooks, RunConfig, Sampling};
use boomsim::model::Override;
use boomsim::number;
use boomsim::run::SummaryMethod;

/// Monte Carlo simulation of the returns and risks created when a technology's adoption grows
/// several-fold (Python usage 5x by default), per asset group and per asset.
#[derive(Parser)]
#[command(name = "boomsim", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate models and write a run folder for each: summary.csv, adoption.csv,
    /// sensitivity.csv, distributions.csv, manifest.json (and summary_where.csv, samples.csv,
    /// report.html when asked).
    ///
    /// While every path's outcomes fit in 512 MiB (about 8 bytes x paths x (3 x entities +
    /// 2 x (steps + 1) + uncertain parameters): 120 MB for 100,000 paths of the default
    /// model), all are kept and every summary is exact; larger runs are summarised in
    /// constant memory (see --summary).
    Run(run::Args),
    /// Charts (SVG) and a self-contained report.html from a run folder: the adoption fan,
    /// each group's return distribution, a risk/reward map, the top drivers and drawdowns.
    Report(report::Args),
    /// An output folder (of run, sweep or allocate) as one Excel workbook, <folder
    /// name>.xlsx, inside it: a sheet per CSV file with percentages formatted, a frozen header,
    /// filters and fitted widths, and native charts (adoption fan, return distributions,
    /// tornado, frontier).
    Xlsx(xlsx::Args),
    /// Merge shard folders (from run --shard K/N) into one run folder, byte-identical in its
    /// CSV files to a single run with the same model, seed and paths.
    Merge(merge::Args),
    /// Run a grid of scenarios: the Cartesian product of every --vary, each a run with the
    /// same seed (common random numbers). Writes one folder per scenario, sweep.csv (long
    /// form, for pivot tables) and sweep_wide.csv.
    Sweep(sweep::Args),
    /// Where to place capital: long-only portfolios over the model's assets that minimise
    /// CVaR for each target mean (a linear program on the simulated paths), each checked on
    /// fresh paths. Writes frontier.csv, allocation.csv and manifest.json.
    Allocate(allocate::Args),
    /// Validate a model file and summarise it; lists every error, with file, line and column.
    Check(check::Args),
    /// Every uncertain parameter of a model: mean, sd, p05, p50, p95 and a histogram.
    ///
    /// Percentiles are exact (inverse CDF); mean and sd are exact where a closed form exists,
    /// otherwise from 100,000 draws with seed 1, as the `moments` column says.
    Describe(describe::Args),
    /// From beliefs or data to a distribution string: --p05 A --p95 B [--family F], two
    /// --q P=V, --min --mode --max (PERT), or --data FILE.csv --column NAME (every suitable
    /// family by maximum likelihood, ranked by AIC, with the Kolmogorov-Smirnov distance).
    /// Negative values are fine: --min -0.1 --mode 0 --max 0.2.
    #[command(allow_negative_numbers = true)]
    Fit(fit::Args),
    /// Write the built-in default model (python-5x, with the reasoning behind every
    /// parameter in its comments) to a file to edit; never overwrites a file.
    Init(init::Args),
    /// One distribution string in full: moments, percentiles, support and a histogram.
    Dist(dist::Args),
}

impl Cli {
    /// Runs the subcommand: `Ok` or the failure to report.
    pub fn execute(self) -> Result<(), Failure> {
        match self.command {
            Command::Run(a) => a.execute(),
            Command::Report(a) => a.execute(),
            Command::Xlsx(a) => a.execute(),
            Command::Merge(a) => a.execute(),
            Command::Sweep(a) => a.execute(),
            Command::Allocate(a) => a.execute(),
            Command::Check(a) => a.execute(),
            Command::Describe(a) => a.execute(),
            Command::Fit(a) => a.execute(),
            Command::Init(a) => a.execute(),
            Command::Dist(a) => a.execute(),
        }
    }
}

/// Why a command failed: the message for stderr and the exit code ([`boomsim::exit`]: 1 a
/// failed run or an invalid model, 2 a bad command line, 130 an interrupt).
pub struct Failure {
    /// Printed after `Error: `.
    pub message: String,
    /// The exit code.
    pub code: u8,
}

impl Failure {
    /// The failure an error of the library carries: its message, and the exit code its type
    /// gives ([`ExitStatus`]).
    pub fn of<E: std::fmt::Display + ExitStatus + ?Sized>(e: &E) -> Self {
        Failure {
            message: e.to_string(),
            code: e.exit_code(),
        }
    }

    /// A failed command (exit 1) that the command line itself found, with its message.
    pub fn failed(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: boomsim::exit::FAILED,
        }
    }

    /// A command line that cannot be run as given (exit 2, like clap's own errors).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: boomsim::exit::USAGE,
        }
    }

    /// Prints the failure and gives its exit code.
    pub fn report(self) -> ExitCode {
        eprintln!("Error: {}", self.message);
        ExitCode::from(self.code)
    }
}

/// `--set KEY=VALUE`, shared by the commands that read a model.
#[derive(clap::Args)]
struct Overrides {
    /// Override a model key (repeatable): KEY is a key path, VALUE a TOML value or a
    /// distribution string, e.g. --set sectors.ml_ai.elasticity="normal(1.2, 0.3)".
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

impl Overrides {
    /// Loads the model file with these overrides: the model and how it is named.
    fn load(&self, file: std::path::PathBuf) -> Result<(boomsim::model::Model, String), Failure> {
        let source = boomsim::run::ModelSource::File(file);
        let (model, _) = source
            .load(&Override::sets(&self.sets))
            .map_err(|e| Failure::of(&e))?;
        Ok((model, source.display()))
    }
}

/// How to simulate, shared by `run` and `sweep`.
#[derive(clap::Args)]
struct SimulationArgs {
    /// Number of paths (N).
    #[arg(long, default_value_t = 100_000, value_parser = paths, allow_negative_numbers = true)]
    paths: u64,
    /// Seed: the same seed gives byte-identical CSV files, whatever the thread count.
    #[arg(long, default_value_t = 1, value_parser = seed, allow_negative_numbers = true)]
    seed: u64,
    /// Worker threads [default: every core].
    #[arg(long, value_parser = threads, allow_negative_numbers = true)]
    threads: Option<u64>,
    /// No progress bar (there is none anyway when stderr is not a terminal or under CI).
    #[arg(long)]
    quiet: bool,
    /// How to summarise: `exact` keeps every path; `sketch` uses constant memory (quantiles
    /// within 0.05% relative; sensitivity and samples from the first 100,000 paths); `auto`
    /// is exact while every path's outcomes fit in 512 MiB.
    #[arg(long, value_enum, default_value_t = Method::Auto)]
    summary: Method,
    /// How parameters are drawn: `mc` (plain Monte Carlo) or `lhs` (Latin hypercube:
    /// stratified per chunk of 256 paths; lowers the error of means driven by the uncertain
    /// parameters' own effects, and nothing else: no gain on the default model, see
    /// docs/guide.md).
    #[arg(long, value_enum, default_value_t = SamplingArg::Mc)]
    sampling: SamplingArg,
    /// Antithetic pairs: every second path negates the shocks of the one before (same
    /// parameters); lowers the error only of outcomes nearly linear in the shocks with fixed
    /// parameters, and raises it when parameters are uncertain (docs/guide.md).
    #[arg(long)]
    antithetic: bool,
}

/// `--paths N`: a whole number of paths (every numeric flag reads through `boomsim::number`).
fn paths(arg: &str) -> Result<u64, String> {
    number::whole(arg, 1, boomsim::engine::MOST_PATHS)
}

/// `--seed S`.
fn seed(arg: &str) -> Result<u64, String> {
    number::whole(arg, 0, u64::MAX)
}

/// `--threads T`.
fn threads(arg: &str) -> Result<u64, String> {
    number::whole(arg, 1, 4096)
}

/// `--sampling`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SamplingArg {
    Mc,
    Lhs,
}

/// `--summary`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Method {
    Auto,
    Exact,
    Sketch,
}

impl SimulationArgs {
    fn method(&self) -> SummaryMethod {
        match self.summary {
            Method::Auto => SummaryMethod::Auto,
            Method::Exact => SummaryMethod::Exact,
            Method::Sketch => SummaryMethod::Sketch,
        }
    }

    fn config(&self) -> RunConfig {
        RunConfig {
            paths: self.paths as usize,
            seed: self.seed,
            threads: self.threads.map(|t| t as usize),
            sampling: Sampling {
                latin_hypercube: matches!(self.sampling, SamplingArg::Lhs),
                antithetic: self.antithetic,
            },
        }
    }

    /// A progress bar on stderr for `runs` runs of the configured paths: hidden when stderr
    /// is not a terminal, under CI, or with --quiet.
    fn progress_bar(&self, runs: usize) -> ProgressBar {
        let visible =
            !self.quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if !visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(self.paths * runs as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {human_pos}/{human_len} paths  {per_sec}  {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    }
}

/// Prints to stdout; a closed pipe (`boomsim ... | head`) is not an error.
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Ctrl-C (or SIGTERM) asks the running simulation to stop; a second one exits at once.
fn cancel_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let handler_flag = Arc::clone(&flag);
        let _ = ctrlc::set_handler(move || {
            if handler_flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
        flag
    })
    .clone()
}

/// Progress on `bar`, and cancellation by Ctrl-C or SIGTERM.
fn hooks(bar: &ProgressBar) -> Hooks {
    let bar = bar.clone();
    Hooks {
        progress: Some(Arc::new(move |n| bar.inc(n))),
        cancel: Some(cancel_flag()),
    }
}

/// The command line, for manifests.
fn command_line() -> Vec<String> {
    std::env::args().collect()
}
