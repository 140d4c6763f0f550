//! `boomsim allocate`: mean-CVaR portfolios over the model's assets, checked out of sample.

use std::fmt::Write as _;
use std::path::PathBuf;

use boomsim::engine::RunConfig;
use boomsim::run::ModelSource;
use boomsim::run::allocate::{AllocateOutcome, AllocateRequest, allocate};

use super::{Failure, Overrides, command_line, hooks, print};

#[derive(clap::Args)]
pub struct Args {
    /// The model file [default: models/python-5x.toml, or the built-in copy of it].
    model: Option<PathBuf>,
    /// In-sample paths the portfolios are optimised on (at most 50,000 scenarios: half that
    /// with --boom-probability below 1).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(256..=50_000))]
    paths: u64,
    /// Out-of-sample paths every portfolio is checked on (a stream of their own).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(2_048..=100_000_000))]
    test_paths: u64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads for the simulation [default: every core].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    threads: Option<u64>,
    /// CVaR level in percent: the mean loss of the worst (100 - LEVEL)% of paths.
    #[arg(long, default_value_t = 95.0, value_parser = level)]
    cvar: f64,
    /// Frontier points, from the minimum-CVaR portfolio to the highest-mean one.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(2..=200))]
    points: u64,
    /// The largest share of the budget in one asset.
    #[arg(long, default_value_t = 1.0, value_parser = share)]
    max_weight: f64,
    /// A group's share of the budget, GROUP=MIN..MAX (repeatable), e.g.
    /// private_startups=0..0.2.
    #[arg(long = "group", value_name = "GROUP=MIN..MAX", value_parser = group_bounds)]
    groups: Vec<(String, f64, f64)>,
    /// Hold none of this asset (repeatable).
    #[arg(long, value_name = "ASSET")]
    exclude: Vec<String>,
    /// Also the portfolio with the highest mean whose CVaR is at most this (0.3 = 30%).
    #[arg(long, value_name = "CVAR", allow_negative_numbers = true)]
    max_cvar: Option<f64>,
    /// How likely the boom is: each path's boom outcome counts with this probability and its
    /// baseline outcome (the model's [baseline], same draws and shocks) with the rest.
    #[arg(long, default_value_t = 1.0, value_parser = probability)]
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

fn level(arg: &str) -> Result<f64, String> {
    match arg.parse::<f64>() {
        Ok(x) if x > 50.0 && x < 100.0 => Ok(x / 100.0),
        _ => Err("expected a level in percent above 50 and below 100, e.g. 95".into()),
    }
}

fn share(arg: &str) -> Result<f64, String> {
    match arg.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 1.0 => Ok(x),
        _ => Err("expected a share of the budget above 0 and at most 1, e.g. 0.3".into()),
    }
}

fn probability(arg: &str) -> Result<f64, String> {
    match arg.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err("expected a probability from 0 to 1, e.g. 0.6".into()),
    }
}

fn group_bounds(arg: &str) -> Result<(String, f64, f64), String> {
    let help = "expected GROUP=MIN..MAX with 0 <= MIN <= MAX <= 1, e.g. private_startups=0..0.2";
    let (name, bounds) = arg.split_once('=').ok_or(help)?;
    let (lo, hi) = bounds.split_once("..").ok_or(help)?;
    let (lo, hi): (f64, f64) = (
        lo.trim().parse().map_err(|_| help)?,
        hi.trim().parse().map_err(|_| help)?,
    );
    if !(0.0..=1.0).contains(&lo) || !(lo..=1.0).contains(&hi) {
        return Err(help.into());
    }
    Ok((name.trim().to_string(), lo, hi))
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
        bar.set_length(self.paths + self.test_paths);
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
        print(&text(&outcome));
        if self.report {
            print(&format!(
                "Report: {}\n",
                outcome.out_dir.join("report.html").display()
            ));
        }
        if self.xlsx {
            print(&super::xlsx::written(&outcome.out_dir));
        }
        Ok(())
    }
}

/// What `allocate` prints: the named portfolios, their weights by asset and by group, in and
/// out of sample, and where the files are.
fn text(o: &AllocateOutcome) -> String {
    let level = 100.0 * o.alpha;
    let mut t = format!(
        "Mean-CVaR portfolios: {} in-sample scenarios (an LP of {} variables, solved in {:.1} s); every figure\n\
         is a total return over the model's horizon; CVaR{level:.0} = mean loss of the worst {:.0}% of paths.\n",
        o.scenarios,
        o.scenarios + o.assets.len() + 1,
        o.solve_seconds,
        100.0 - level
    );
    for n in &o.named {
        let _ = writeln!(
            t,
            "\n{}: mean {:+.1}%, CVaR {:.1}% in sample; on fresh paths mean {:+.1}%, CVaR {:.1}%, p05 {:+.1}%, P(loss) {:.1}%",
            n.title,
            100.0 * n.in_sample.mean,
            100.0 * n.in_sample.cvar,
            100.0 * n.test.mean,
            100.0 * n.test.cvar,
            100.0 * n.test.p05,
            100.0 * n.test.prob_loss
        );
        let held: Vec<String> = n
            .weights
            .iter()
            .zip(&o.assets)
            .filter(|(w, _)| **w >= 0.0005)
            .map(|(w, (name, _))| format!("{name} {:.1}%", 100.0 * w))
            .collect();
        let _ = writeln!(t, "  assets: {}", held.join(", "));
        let by_group: Vec<String> = o
            .groups
            .iter()
            .map(|g| {
                let w: f64 = n
                    .weights
                    .iter()
                    .zip(&o.assets)
                    .filter(|(_, (_, group))| group == g)
                    .map(|(w, _)| w)
                    .sum();
                format!("{g} {:.1}%", 100.0 * w)
            })
            .collect();
        let _ = writeln!(t, "  groups: {}", by_group.join(", "));
    }
    let _ = writeln!(
        t,
        "\nWritten to {}/ (frontier.csv: {} portfolios in and out of sample; allocation.csv: their weights; manifest.json)",
        o.out_dir.display(),
        o.frontier.len()
    );
    t
}
