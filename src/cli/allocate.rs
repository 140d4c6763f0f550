//! `boomsim allocate`: mean-CVaR portfolios over the model's assets, checked out of sample.

use std::path::PathBuf;

use boomsim::engine::RunConfig;
use boomsim::output::terminal::{AllocateText, report_written, workbook_written};
use boomsim::run::ModelSource;
use boomsim::run::allocate::{AllocateRequest, allocate, settings};

use super::{Failure, Overrides, command_line, hooks, print};

#[derive(clap::Args)]
pub struct Args {
    /// The model file [default: models/python-5x.toml, or the built-in copy of it].
    model: Option<PathBuf>,
    /// In-sample paths the portfolios are optimised on (at most 50,000 scenarios: half that
    /// with --boom-probability below 1).
    #[arg(long, default_value_t = 10_000, value_parser = settings::in_sample_paths, allow_negative_numbers = true)]
    paths: u64,
    /// Out-of-sample paths every portfolio is checked on (a stream of their own; their asset
    /// returns are kept, 8 bytes x assets a path, at most 1 GiB).
    #[arg(long, default_value_t = 100_000, value_parser = settings::test_paths, allow_negative_numbers = true)]
    test_paths: u64,
    /// Further in-sample sets of --paths paths each portfolio is solved on again, to show how
    /// much its weights would move with other paths (weight_lo, weight_hi).
    #[arg(long, default_value_t = 8, value_parser = settings::resamples, allow_negative_numbers = true)]
    resamples: u64,
    /// Seed.
    #[arg(long, default_value_t = 1, value_parser = super::seed, allow_negative_numbers = true)]
    seed: u64,
    /// Worker threads for the simulation and the solves [default: every core].
    #[arg(long, value_parser = super::threads, allow_negative_numbers = true)]
    threads: Option<u64>,
    /// CVaR level, a fraction: 0.95 is the mean loss of the worst 5% of paths.
    #[arg(long, default_value_t = 0.95, value_parser = settings::cvar_level, allow_negative_numbers = true)]
    cvar: f64,
    /// Frontier points, from the minimum-CVaR portfolio to the highest-mean one.
    #[arg(long, default_value_t = 15, value_parser = settings::points, allow_negative_numbers = true)]
    points: u64,
    /// The largest share of the budget in one asset, a fraction (0.3 = 30%).
    #[arg(long, default_value_t = 1.0, value_parser = settings::max_weight, allow_negative_numbers = true)]
    max_weight: f64,
    /// A group's share of the budget, GROUP=MIN..MAX in fractions (repeatable), e.g.
    /// private_startups=0..0.2.
    #[arg(long = "group", value_name = "GROUP=MIN..MAX", value_parser = settings::group_bounds, allow_negative_numbers = true)]
    groups: Vec<(String, f64, f64)>,
    /// Hold none of this asset (repeatable).
    #[arg(long, value_name = "ASSET")]
    exclude: Vec<String>,
    /// Also the portfolio with the highest mean whose CVaR is at most this, a fraction
    /// (0.3 = a mean loss of 30% in the worst paths; negative for a gain).
    #[arg(long, value_name = "CVAR", value_parser = settings::max_cvar, allow_negative_numbers = true)]
    max_cvar: Option<f64>,
    /// How likely the boom is, a fraction: each path's boom outcome counts with this
    /// probability and its baseline outcome (the model's [baseline], same draws and shocks)
    /// with the rest.
    #[arg(long, default_value_t = 1.0, value_parser = settings::boom_probability, allow_negative_numbers = true)]
    boom_probability: f64,
    /// Output folder [default: output/<model name>-allocate/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Also write report.html and charts/ (the frontier in and out of sample, the weights).
    #[arg(long)]
    report: bool,
    /// Also write the folder as an Excel workbook, <folder name>.xlsx: frontier and
    /// allocation sheets (percentages formatted) and a native frontier chart.
    #[arg(long)]
    xlsx: bool,
    #[command(flatten)]
    overrides: Overrides,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let simulation = super::SimulationArgs {
            paths: self.paths,
            seed: self.seed,
            threads: self.threads,
            quiet: self.quiet,
            summary: super::Method::Exact,
            sampling: super::SamplingArg::Mc,
            antithetic: false,
        };
        let bar = simulation.progress_bar(1);
        bar.set_length(self.paths * (self.resamples + 1) + self.test_paths);
        let request = AllocateRequest {
            model: ModelSource::or_default(self.model),
            sets: self.overrides.sets,
            config: RunConfig {
                paths: self.paths as usize,
                seed: self.seed,
                threads: self.threads.map(|t| t as usize),
                ..Default::default()
            },
            test_paths: self.test_paths as usize,
            resamples: self.resamples as usize,
            alpha: self.cvar,
            points: self.points as usize,
            max_weight: self.max_weight,
            groups: self.groups,
            exclude: self.exclude,
            max_cvar: self.max_cvar,
            boom_probability: self.boom_probability,
            out: self.out,
            hooks: hooks(&bar),
            command_line: command_line(),
            report: self.report,
            xlsx: self.xlsx,
        };
        let result = allocate(&request);
        bar.finish_and_clear();
        let outcome = result.map_err(|e| Failure::of(&e))?;
        for w in &outcome.warnings {
            eprintln!("warning: {w}");
        }
        print(
            &AllocateText {
                named: &outcome.named,
                highest: &outcome.highest,
                assets: &outcome.assets,
                groups: &outcome.groups,
                scenarios: outcome.scenarios,
                sets: outcome.sets,
                solve_seconds: outcome.solve_seconds,
                alpha: outcome.alpha,
                portfolios: outcome.frontier.len(),
                out_dir: &outcome.out_dir,
            }
            .render(),
        );
        if self.report {
            print(&report_written(&outcome.out_dir.join("report.html")));
        }
        if self.xlsx {
            print(&workbook_written(&outcome.out_dir));
        }
        Ok(())
    }
}
