//! The `boomsim` command line: clap definitions and glue over the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use boomsim::distribution::describe::{Description, describe};
use boomsim::distribution::fit;
use boomsim::distribution::{Distribution, DistributionError, read_column};
use boomsim::engine::{Hooks, RunConfig, Sampling};
use boomsim::model::Override;
use boomsim::output::report::write_report;
use boomsim::output::terminal::{
    describe_table, dist_report, drivers_table, group_table, model_summary,
};
use boomsim::run::shard::{merge, parse_spec, run_shard};
use boomsim::run::sweep::{SweepRequest, Vary, sweep};
use boomsim::run::{
    ModelSource, RunOutcome, RunRequest, SummaryMethod, init_model, plan_runs, run,
};

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

/// How to simulate, shared by `run` and `sweep`.
#[derive(clap::Args)]
struct SimulationArgs {
    /// Number of paths (N).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    paths: u64,
    /// Seed: the same seed gives byte-identical CSV files, whatever the thread count.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads [default: every core].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
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
    /// parameters).
    #[arg(long, value_enum, default_value_t = SamplingArg::Mc)]
    sampling: SamplingArg,
    /// Antithetic pairs: every second path negates the shocks of the one before (same
    /// parameters); lowers the error of outcomes that move monotonically with the shocks.
    #[arg(long)]
    antithetic: bool,
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
    Run {
        /// Model files [default: models/python-5x.toml, or the built-in copy of it]. With
        /// several, each writes output/<model name>/ (or --out DIR/<model name>/).
        models: Vec<PathBuf>,
        #[command(flatten)]
        simulation: SimulationArgs,
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
        /// Also write report.html and charts/ (as `boomsim report` does).
        #[arg(long)]
        report: bool,
        /// Run only the K-th of N slices of the paths and write its state (to --out, default
        /// output/<model name>.shard-K-of-N/); `boomsim merge` joins the shards. Shards are
        /// exact or sketched as the whole run would be (--summary); a sketched run's shards are
        /// whole blocks of 16,384 paths and take constant memory.
        #[arg(long, value_name = "K/N", value_parser = shard_spec)]
        shard: Option<(usize, usize)>,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Charts (SVG) and a self-contained report.html from a run folder: the adoption fan,
    /// each group's return distribution, a risk/reward map, the top drivers and drawdowns.
    Report {
        /// The run folder.
        dir: PathBuf,
    },
    /// Merge shard folders (from run --shard K/N) into one run folder, byte-identical in its
    /// CSV files to a single run with the same model, seed and paths.
    Merge {
        /// The shard folders, in any order.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output folder [default: output/<model name>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads for the summary [default: every core].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
        threads: Option<u64>,
    },
    /// Run a grid of scenarios: the Cartesian product of every --vary, each a run with the
    /// same seed (common random numbers). Writes one folder per scenario, sweep.csv (long
    /// form, for pivot tables) and sweep_wide.csv.
    Sweep {
        /// The model file [default: models/python-5x.toml, or the built-in copy of it].
        model: Option<PathBuf>,
        /// A key and its values, KEY=V1,V2,... (repeatable; values are TOML values or
        /// distribution strings; commas inside parentheses do not split).
        #[arg(long, value_name = "KEY=V1,V2,...", required = true)]
        vary: Vec<String>,
        #[command(flatten)]
        simulation: SimulationArgs,
        /// Sweep folder [default: output/<model name>-sweep/].
        #[arg(long)]
        out: Option<PathBuf>,
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
    /// From beliefs or data to a distribution string: --p05 A --p95 B [--family F], two
    /// --q P=V, --min --mode --max (PERT), or --data FILE.csv --column NAME (every suitable
    /// family by maximum likelihood, ranked by AIC, with the Kolmogorov-Smirnov distance).
    /// Negative values are fine: --min -0.1 --mode 0 --max 0.2.
    #[command(allow_negative_numbers = true)]
    Fit {
        /// The 5th percentile.
        #[arg(long, conflicts_with_all = ["min", "mode", "max", "data"])]
        p05: Option<f64>,
        /// The 95th percentile.
        #[arg(long, conflicts_with_all = ["min", "mode", "max", "data"])]
        p95: Option<f64>,
        /// A quantile, as LEVEL=VALUE (e.g. 0.1=2); give two.
        #[arg(long = "q", value_name = "P=V", conflicts_with_all = ["min", "mode", "max", "data"])]
        quantiles: Vec<String>,
        /// The family for quantiles: normal, lognormal, gamma or uniform [default: lognormal
        /// when the values are positive, else normal].
        #[arg(long, conflicts_with_all = ["min", "mode", "max", "data"])]
        family: Option<String>,
        /// PERT minimum.
        #[arg(long, requires_all = ["mode", "max"], conflicts_with = "data")]
        min: Option<f64>,
        /// PERT mode (most likely value).
        #[arg(long, requires_all = ["min", "max"], conflicts_with = "data")]
        mode: Option<f64>,
        /// PERT maximum.
        #[arg(long, requires_all = ["min", "mode"], conflicts_with = "data")]
        max: Option<f64>,
        /// A CSV file of observations.
        #[arg(long, requires = "column")]
        data: Option<PathBuf>,
        /// The column of --data to fit.
        #[arg(long, requires = "data")]
        column: Option<String>,
    },
    /// Write the built-in default model (python-5x, with the reasoning behind every
    /// parameter in its comments) to a file to edit; never overwrites a file.
    Init {
        /// Where to write it.
        #[arg(default_value = "python-5x.toml")]
        path: PathBuf,
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

/// `--shard K/N`, checked by clap so a malformed one exits 2 like any bad flag value.
fn shard_spec(spec: &str) -> Result<(usize, usize), String> {
    parse_spec(spec)
        .map_err(|_| "expected K/N with 1 <= K <= N, e.g. --shard 2/3 (the second of three)".into())
}

/// Prints to stdout; a closed pipe (`boomsim ... | head`) is not an error.
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Ctrl-C asks the running simulation to stop; a second Ctrl-C exits at once.
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

/// A progress bar on stderr for `runs` runs of the configured paths: hidden when stderr is
/// not a terminal, under CI, or with --quiet.
fn progress_bar(simulation: &SimulationArgs, runs: usize) -> ProgressBar {
    let visible =
        !simulation.quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(simulation.paths * runs as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} paths  {per_sec}  {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn hooks(bar: &ProgressBar) -> Hooks {
    let bar = bar.clone();
    Hooks {
        progress: Some(Arc::new(move |n| bar.inc(n))),
        cancel: Some(cancel_flag()),
    }
}

/// Prints an error; an interrupted run exits 130, any other failure 1.
fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    let text = e.to_string();
    eprintln!("Error: {text}");
    if text.starts_with("interrupted") {
        ExitCode::from(130)
    } else {
        ExitCode::FAILURE
    }
}

/// What `sweep` prints: the scenarios and where the files are.
fn sweep_report(outcome: &boomsim::run::sweep::SweepOutcome, varies: &[Vary]) -> String {
    let mut text = format!("{} scenarios:\n", outcome.runs.len());
    for (scenario, run) in &outcome.runs {
        let sets = scenario.sets(varies).join("  ");
        let best = run
            .rows
            .iter()
            .filter(|r| r.kind == boomsim::model::Kind::Group)
            .min_by_key(|r| r.rank)
            .map_or(String::new(), |r| {
                format!("best group {} (p50 {:+.1}%)", r.name, 100.0 * r.p50)
            });
        text.push_str(&format!("  {}  {sets}  {best}\n", scenario.id));
    }
    text.push_str(&format!(
        "\nWritten to {}/ (one folder per scenario, sweep.csv, sweep_wide.csv, manifest.json)\n",
        outcome.out_dir.display()
    ));
    text
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
        drivers_table(
            &outcome.rows,
            &outcome.sensitivity,
            3,
            outcome.sensitivity_paths
        ),
    );
    if let (Some(matched), Some(condition)) = (outcome.matched, &m.condition) {
        text.push_str(&format!(
            "\n--where \"{condition}\": {matched} of {} paths ({:.1}%) match; summarised in summary_where.csv\n",
            m.paths,
            100.0 * matched as f64 / m.paths as f64
        ));
    }
    let mut files = vec![
        "summary.csv",
        "adoption.csv",
        "sensitivity.csv",
        "distributions.csv",
    ];
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

/// What `fit` was asked.
struct FitRequest {
    p05: Option<f64>,
    p95: Option<f64>,
    quantiles: Vec<String>,
    family: Option<String>,
    pert: (Option<f64>, Option<f64>, Option<f64>),
    data: Option<(PathBuf, String)>,
}

/// Runs `fit`; returns what to print.
fn fit_command(r: FitRequest) -> Result<String, DistributionError> {
    let usage =
        "give --p05 A --p95 B, two --q P=V, --min --mode --max, or --data FILE --column NAME";
    if let Some((path, column)) = r.data {
        let data = read_column(&path, &column)?;
        let fits = fit::from_data(&data.values)?;
        let mut table = data_fit_table(&fits, data.values.len());
        if let Some(note) = data.note() {
            table = format!("{}, column `{column}`: {note}\n{table}", path.display());
        }
        return Ok(table);
    }
    if let (Some(min), Some(mode), Some(max)) = r.pert {
        let d = fit::pert(min, mode, max)?;
        return Ok(format!("{}\n", d.text()));
    }
    let mut points: Vec<(f64, f64)> = Vec::new();
    points.extend(r.p05.map(|v| (0.05, v)));
    points.extend(r.p95.map(|v| (0.95, v)));
    for q in &r.quantiles {
        let parsed = q.split_once('=').and_then(|(p, v)| {
            Some((p.trim().parse::<f64>().ok()?, v.trim().parse::<f64>().ok()?))
        });
        match parsed {
            Some(point) => points.push(point),
            None => {
                return Err(DistributionError::new(
                    format!("--q `{q}` is not LEVEL=VALUE"),
                    "e.g. --q 0.1=2 (the 10th percentile is 2)",
                ));
            }
        }
    }
    if points.len() != 2 {
        return Err(DistributionError::new(
            format!("fit needs exactly two quantiles, got {}", points.len()),
            usage,
        ));
    }
    let family = r.family.as_deref().map(fit::FitFamily::parse).transpose()?;
    let d = fit::from_quantiles(points[0], points[1], family)?;
    let mut out = format!("{}\n", d.text());
    for (p, _) in &points {
        out.push_str(&format!(
            "  # its {p}-quantile is {}\n",
            fit::number(d.quantile(*p))
        ));
    }
    if let [(a, va), (b, vb)] = points[..]
        && a.min(b) == 0.05
        && a.max(b) == 0.95
        && family.is_none()
    {
        out.push_str(&format!(
            "  # the same as \"{} to {}\"\n",
            fit::number(va.min(vb)),
            fit::number(va.max(vb))
        ));
    }
    Ok(out)
}

fn data_fit_table(fits: &[fit::DataFit], n: usize) -> String {
    let mut out = format!(
        "{n} values; families ranked by AIC (lower is better); KS = largest gap between the data's\n\
         and the fitted CDF (below {:.4}, the 5% critical value, the fit is not rejected)\n\n",
        1.358 / (n as f64).sqrt()
    );
    let width = fits
        .iter()
        .map(|f| f.distribution.text().len())
        .max()
        .unwrap_or(0);
    out.push_str(&format!(
        "rank  {:<width$}  {:>12}  {:>7}\n",
        "distribution", "AIC", "KS"
    ));
    for (i, f) in fits.iter().enumerate() {
        out.push_str(&format!(
            "{:>4}  {:<width$}  {:>12.2}  {:>7.4}\n",
            i + 1,
            f.distribution.text(),
            f.aic,
            f.ks
        ));
    }
    out
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            models,
            simulation,
            out,
            samples,
            condition,
            shard,
            report,
            overrides,
        } => {
            if let Some(spec) = shard {
                if report {
                    eprintln!(
                        "Error: --report makes a report of a whole run, not of one shard\n  help: merge the shards with `boomsim merge`, then run `boomsim report` on the merged folder"
                    );
                    return ExitCode::from(2);
                }
                let (k, n) = spec;
                if models.len() > 1 {
                    eprintln!("Error: --shard runs one model at a time; give one model file");
                    return ExitCode::FAILURE;
                }
                let bar = progress_bar(&simulation, 1);
                let request = RunRequest {
                    model: ModelSource::or_default(models.into_iter().next()),
                    config: simulation.config(),
                    out,
                    samples,
                    condition,
                    sets: overrides.sets,
                    varied: Vec::new(),
                    hooks: hooks(&bar),
                    method: simulation.method(),
                    command_line: std::env::args().collect(),
                    report: false,
                };
                let result = run_shard(&request, k, n);
                bar.finish_and_clear();
                return match result {
                    Ok(o) => {
                        print(&format!(
                            "shard {k}/{n}: paths {} to {} of {} written to {}/\nmerge every shard with: boomsim merge DIR... --out DIR\n",
                            o.header.first_path,
                            o.header.first_path + o.header.shard_paths,
                            o.header.paths,
                            o.out_dir.display()
                        ));
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(&e),
                };
            }
            let sources: Vec<ModelSource> = if models.is_empty() {
                vec![ModelSource::or_default(None)]
            } else {
                models.into_iter().map(ModelSource::File).collect()
            };
            let bar = progress_bar(&simulation, sources.len());
            let template = RunRequest {
                model: ModelSource::BuiltIn,
                config: simulation.config(),
                out,
                samples,
                condition,
                sets: overrides.sets,
                varied: Vec::new(),
                hooks: hooks(&bar),
                method: simulation.method(),
                command_line: std::env::args().collect(),
                report,
            };
            let requests = match plan_runs(sources, &template) {
                Ok(r) => r,
                Err(e) => {
                    bar.finish_and_clear();
                    return fail(&e);
                }
            };
            for request in requests {
                match run(&request) {
                    Ok(outcome) => {
                        bar.suspend(|| {
                            for w in &outcome.warnings {
                                eprintln!("warning: {w}");
                            }
                            print(&run_report(&outcome));
                        });
                        if report {
                            let page = outcome.out_dir.join("report.html");
                            print(&format!("Report: {}\n", page.display()));
                        }
                    }
                    Err(e) => {
                        bar.finish_and_clear();
                        return fail(&e);
                    }
                }
            }
            bar.finish_and_clear();
            ExitCode::SUCCESS
        }
        Command::Report { dir } => match write_report(&dir) {
            Ok(page) => {
                print(&format!("Report: {}\n", page.display()));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Merge {
            shards,
            out,
            threads,
        } => match merge(
            &shards,
            out,
            threads.map(|t| t as usize),
            std::env::args().collect(),
        ) {
            Ok(outcome) => {
                print(&run_report(&outcome));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Sweep {
            model,
            vary,
            simulation,
            out,
            overrides,
        } => {
            let varies = match vary
                .iter()
                .map(|v| Vary::parse(v))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let scenarios = boomsim::run::sweep::scenarios(&varies).len();
            let bar = progress_bar(&simulation, scenarios);
            let request = SweepRequest {
                base: RunRequest {
                    model: ModelSource::or_default(model),
                    config: simulation.config(),
                    out,
                    samples: false,
                    condition: None,
                    sets: overrides.sets,
                    varied: Vec::new(),
                    hooks: hooks(&bar),
                    method: simulation.method(),
                    command_line: std::env::args().collect(),
                    report: false,
                },
                varies,
            };
            let result = sweep(&request);
            bar.finish_and_clear();
            match result {
                Ok(outcome) => {
                    print(&sweep_report(&outcome, &request.varies));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        Command::Describe {
            model,
            csv,
            overrides,
        } => {
            let source = ModelSource::File(model);
            match source.load(&Override::sets(&overrides.sets)) {
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
        Command::Fit {
            p05,
            p95,
            quantiles,
            family,
            min,
            mode,
            max,
            data,
            column,
        } => match fit_command(FitRequest {
            p05,
            p95,
            quantiles,
            family,
            pert: (min, mode, max),
            data: data.zip(column),
        }) {
            Ok(text) => {
                print(&text);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("Error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Init { path } => match init_model(&path) {
            Ok(()) => {
                print(&format!(
                    "Wrote the default model to {0}\nEdit it, check it with `boomsim check {0}`, run it with `boomsim run {0}`.\n",
                    path.display()
                ));
                ExitCode::SUCCESS
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                eprintln!(
                    "Error: {} already exists, and init never overwrites a file\n  help: give another path, e.g. boomsim init my-model.toml",
                    path.display()
                );
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("Error: cannot write {}: {e}", path.display());
                ExitCode::FAILURE
            }
        },
        Command::Dist { distribution, bins } => match Distribution::parse(&distribution) {
            Ok(d) => {
                let (desc, histogram) = describe("", &d, bins as usize);
                print(&dist_report(&desc, &histogram));
                ExitCode::SUCCESS
            }
            Err(e) => {
                // A string too long to accept is too long to echo whole.
                let shown: String = distribution.chars().take(120).collect();
                let more = if shown.len() < distribution.len() {
                    "..."
                } else {
                    ""
                };
                eprintln!("Error: \"{shown}{more}\": {e}");
                ExitCode::FAILURE
            }
        },
        Command::Check { model, overrides } => {
            let source = ModelSource::File(model);
            match source.load(&Override::sets(&overrides.sets)) {
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
