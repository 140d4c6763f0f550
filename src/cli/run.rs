//! `boomsim run`: one or more models into run folders, or one shard of a model.

use std::path::PathBuf;

use boomsim::output::SamplesFormat;
use boomsim::output::terminal::{report_written, shard_written, workbook_written};
use boomsim::run::shard::{parse_spec, run_shard};
use boomsim::run::{ModelSource, RunRequest, plan_runs, run};
use boomsim::spelling::suggest;
use boomsim::stats::precision::{STATISTICS, StopRule};

use super::{Failure, Overrides, SimulationArgs, command_line, hooks, print};

#[derive(clap::Args)]
pub struct Args {
    /// Model files [default: models/python-5x.toml, or the built-in copy of it]. With
    /// several, each writes output/<model name>/ (or --out DIR/<model name>/).
    models: Vec<PathBuf>,
    #[command(flatten)]
    simulation: SimulationArgs,
    /// Output folder [default: output/<model name>/]. Replaced whole on success; an existing
    /// folder that is not a boomsim run folder, or that holds files boomsim did not write, is
    /// never replaced.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write samples.csv: one row per path with every uncertain parameter's draw, the
    /// adoption multiple and each group's and asset's return and uplift.
    #[arg(long)]
    samples: bool,
    /// The samples' file: `csv` (samples.csv, what a spreadsheet opens) or `parquet`
    /// (samples.parquet: typed, compressed columns for pandas, polars and DuckDB). Needs
    /// --samples.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "samples")]
    samples_format: Option<SamplesFormatArg>,
    /// Also summarise the paths meeting a condition into summary_where.csv, e.g.
    /// "adoption_multiple >= 5 and sectors.ml_ai.elasticity > 1". Names: adoption_multiple,
    /// baseline_adoption_multiple, or an uncertain parameter's key path; operators
    /// < <= > >= == !=; comparisons joined with `and`.
    #[arg(long = "where", value_name = "CONDITION")]
    condition: Option<String>,
    /// Also write report.html and charts/ (as `boomsim report` does).
    #[arg(long, conflicts_with = "shard")]
    report: bool,
    /// Also write the run as an Excel workbook, <folder name>.xlsx (as `boomsim xlsx` does):
    /// a sheet per CSV file, percentages formatted, native charts.
    #[arg(long, conflicts_with = "shard")]
    xlsx: bool,
    /// Run only the K-th of N slices of the paths and write its state (to --out, default
    /// output/<model name>.shard-K-of-N/); `boomsim merge` joins the shards. Shards are exact
    /// or sketched as the whole run would be (--summary); a sketched run's shards are whole
    /// blocks of 16,384 paths and take constant memory.
    #[arg(long, value_name = "K/N", value_parser = shard_spec)]
    shard: Option<(usize, usize)>,
    /// Stopping rule: run rounds of paths (16,384, then doubling) until the 95% half-width of
    /// every group's mean_return, p05, p50, p95 and cvar95 is at most this (0.005 = half a
    /// percentage point), or --max-paths is reached. Replaces --paths; the paths are those of
    /// a fixed-size run, so a run that stops at N has the bytes of --paths N (same --summary).
    #[arg(long, value_name = "HALF-WIDTH", value_parser = positive, allow_negative_numbers = true, conflicts_with_all = ["shard", "paths"])]
    precision: Option<f64>,
    /// With --precision: the statistics that must converge, from precision.csv's names.
    #[arg(long, value_name = "STAT[,STAT]", value_delimiter = ',', value_parser = statistic, requires = "precision")]
    precision_for: Vec<&'static str>,
    /// With --precision: the half-width is relative to the estimate (0.01 = 1% of it).
    #[arg(long, requires = "precision")]
    relative: bool,
    /// With --precision: the most paths to run.
    #[arg(long, default_value_t = 1_000_000, value_parser = super::paths, allow_negative_numbers = true, requires = "precision")]
    max_paths: u64,
    #[command(flatten)]
    overrides: Overrides,
}

/// `--precision H`: a positive half-width.
fn positive(arg: &str) -> Result<f64, String> {
    boomsim::number::in_range(
        arg,
        boomsim::number::Range::open_closed(0.0, f64::INFINITY),
        "0.005 (half a percentage point)",
    )
}

/// One of precision.csv's statistics.
fn statistic(arg: &str) -> Result<&'static str, String> {
    STATISTICS
        .iter()
        .find(|s| **s == arg.trim())
        .copied()
        .ok_or_else(|| suggest(arg.trim(), "statistics", &STATISTICS))
}

/// `--shard K/N`, checked by clap so a malformed one exits 2 like any bad flag value.
fn shard_spec(spec: &str) -> Result<(usize, usize), String> {
    parse_spec(spec)
        .map_err(|_| "expected K/N with 1 <= K <= N, e.g. --shard 2/3 (the second of three)".into())
}

/// `--samples-format`, as the command line names it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SamplesFormatArg {
    Csv,
    Parquet,
}

impl Args {
    /// The request for each model: the same flags, a different model.
    fn request(&self, model: ModelSource, hooks: boomsim::engine::Hooks) -> RunRequest {
        RunRequest {
            model,
            config: self.simulation.config(),
            out: self.out.clone(),
            samples: self.samples,
            samples_format: match self.samples_format {
                Some(SamplesFormatArg::Parquet) => SamplesFormat::Parquet,
                Some(SamplesFormatArg::Csv) | None => SamplesFormat::Csv,
            },
            condition: self.condition.clone(),
            sets: self.overrides.sets.clone(),
            varied: Vec::new(),
            hooks,
            method: self.simulation.method(),
            command_line: command_line(),
            report: self.report,
            xlsx: self.xlsx,
            stop: self.precision.map(|target| StopRule {
                target,
                relative: self.relative,
                statistics: if self.precision_for.is_empty() {
                    vec!["mean_return", "p05", "p50", "p95", "cvar95"]
                } else {
                    self.precision_for.clone()
                },
                max_paths: self.max_paths as usize,
            }),
        }
    }

    pub fn execute(self) -> Result<(), Failure> {
        if let Some((k, n)) = self.shard {
            return self.shard(k, n);
        }
        let sources: Vec<ModelSource> = if self.models.is_empty() {
            vec![ModelSource::or_default(None)]
        } else {
            self.models.iter().cloned().map(ModelSource::File).collect()
        };
        let bar = self.simulation.progress_bar(sources.len());
        let template = self.request(ModelSource::BuiltIn, hooks(&bar));
        let result = plan_runs(sources, &template).and_then(|requests| {
            for request in requests {
                let outcome = run(&request)?;
                bar.suspend(|| {
                    for w in &outcome.warnings {
                        eprintln!("warning: {w}");
                    }
                    print(&outcome.text());
                    if self.report {
                        let page = outcome.out_dir.join("report.html");
                        print(&report_written(&page));
                    }
                    if self.xlsx {
                        print(&workbook_written(&outcome.out_dir));
                    }
                });
            }
            Ok(())
        });
        bar.finish_and_clear();
        result.map_err(|e| Failure::of(&e))
    }

    fn shard(self, k: usize, n: usize) -> Result<(), Failure> {
        if self.models.len() > 1 {
            return Err(Failure::usage(
                "--shard runs one model at a time; give one model file",
            ));
        }
        if matches!(self.samples_format, Some(SamplesFormatArg::Parquet)) {
            return Err(Failure::usage(
                "--samples-format parquet: a merge of shards writes samples.csv only\n  help: leave out --samples-format for shards, or run without --shard",
            ));
        }
        let bar = self.simulation.progress_bar(1);
        let model = ModelSource::or_default(self.models.first().cloned());
        let result = run_shard(&self.request(model, hooks(&bar)), k, n);
        bar.finish_and_clear();
        let o = result.map_err(|e| Failure::of(&e))?;
        print(&shard_written(
            (k, n),
            o.header.first_path..o.header.first_path + o.header.shard_paths,
            o.header.paths,
            &o.out_dir,
        ));
        Ok(())
    }
}
