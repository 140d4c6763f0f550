//! The `boomsim` command line: clap definitions and glue over the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use boomsim::describe::{Description, describe};
use boomsim::distribution::{Distribution, DistributionError, read_column};
use boomsim::engine::RunConfig;
use boomsim::export::terminal::{
    describe_table, dist_report, drivers_table, group_table, model_summary,
};
use boomsim::fit;
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
    /// From beliefs or data to a distribution string: --p05 A --p95 B [--family F], two
    /// --q P=V, --min --mode --max (PERT), or --data FILE.csv --column NAME (every suitable
    /// family by maximum likelihood, ranked by AIC, with the Kolmogorov-Smirnov distance).
    Fit {
        /// The 5th percentile.
        #[arg(long)]
        p05: Option<f64>,
        /// The 95th percentile.
        #[arg(long)]
        p95: Option<f64>,
        /// A quantile, as LEVEL=VALUE (e.g. 0.1=2); give two.
        #[arg(long = "q", value_name = "P=V")]
        quantiles: Vec<String>,
        /// The family for quantiles: normal, lognormal, gamma or uniform [default: lognormal
        /// when the values are positive, else normal].
        #[arg(long)]
        family: Option<String>,
        /// PERT minimum.
        #[arg(long)]
        min: Option<f64>,
        /// PERT mode (most likely value).
        #[arg(long)]
        mode: Option<f64>,
        /// PERT maximum.
        #[arg(long)]
        max: Option<f64>,
        /// A CSV file of observations.
        #[arg(long, requires = "column")]
        data: Option<PathBuf>,
        /// The column of --data to fit.
        #[arg(long, requires = "data")]
        column: Option<String>,
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
        let values = read_column(&path, &column)?;
        let fits = fit::from_data(&values)?;
        return Ok(data_fit_table(&fits, values.len()));
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
