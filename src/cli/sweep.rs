//! `boomsim sweep`: a grid of scenarios, each a run with the same seed.

use std::path::PathBuf;

use boomsim::output::terminal::{best_group, sweep_listing, workbook_written};
use boomsim::run::sweep::{SweepOutcome, SweepRequest, Vary, scenarios, sweep};
use boomsim::run::{ModelSource, RunRequest};

use super::{Failure, Overrides, SimulationArgs, command_line, hooks, print};

#[derive(clap::Args)]
pub struct Args {
    /// The model file [default: models/python-5x.toml, or the built-in copy of it].
    model: Option<PathBuf>,
    /// A key and its values, KEY=V1,V2,... (repeatable; values are TOML values or
    /// distribution strings; commas inside parentheses do not split).
    #[arg(long, value_name = "KEY=V1,V2,...", required = true, value_parser = vary)]
    vary: Vec<Vary>,
    #[command(flatten)]
    simulation: SimulationArgs,
    /// Sweep folder [default: output/<model name>-sweep/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the sweep as an Excel workbook, <folder name>.xlsx: sweep and sweep_wide
    /// sheets with percentages formatted, frozen headers and filters.
    #[arg(long)]
    xlsx: bool,
    #[command(flatten)]
    overrides: Overrides,
}

/// `--vary KEY=V1,V2,...`, checked by clap so a malformed one exits 2.
fn vary(arg: &str) -> Result<Vary, String> {
    Vary::parse(arg).map_err(|e| e.message_and_help())
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let bar = self.simulation.progress_bar(scenarios(&self.vary).len());
        let request = SweepRequest {
            base: RunRequest {
                model: ModelSource::or_default(self.model),
                config: self.simulation.config(),
                out: self.out,
                samples: false,
                samples_format: Default::default(),
                condition: None,
                sets: self.overrides.sets,
                varied: Vec::new(),
                hooks: hooks(&bar),
                method: self.simulation.method(),
                command_line: command_line(),
                report: false,
                xlsx: self.xlsx,
                stop: None,
            },
            varies: self.vary,
        };
        let result = sweep(&request);
        bar.finish_and_clear();
        let outcome = result.map_err(|e| Failure::of(&e))?;
        for w in &outcome.warnings {
            eprintln!("warning: {w}");
        }
        print(&listing(&outcome, &request.varies, request.base.xlsx));
        if outcome.failed.is_empty() {
            return Ok(());
        }
        let failures: Vec<String> = outcome
            .failed
            .iter()
            .map(|(scenario, why)| {
                format!(
                    "{} ({}): {why}",
                    scenario.id,
                    scenario.sets(&request.varies).join(", ")
                )
            })
            .collect();
        Err(Failure::failed(format!(
            "{} of {} scenarios could not run; the others are in {}/ (manifest.json lists the failed ones):\n{}",
            outcome.failed.len(),
            outcome.failed.len() + outcome.runs.len(),
            outcome.out_dir.display(),
            failures.join("\n")
        )))
    }
}

/// What `sweep` prints: the scenarios and where the files are.
fn listing(outcome: &SweepOutcome, varies: &[Vary], xlsx: bool) -> String {
    let rows = outcome
        .runs
        .iter()
        .map(|(s, run)| {
            (
                s.id.clone(),
                s.sets(varies).join("  "),
                best_group(&run.rows),
            )
        })
        .chain(outcome.failed.iter().map(|(s, _)| {
            (
                s.id.clone(),
                s.sets(varies).join("  "),
                "failed".to_string(),
            )
        }))
        .collect();
    let mut text = sweep_listing(rows, &outcome.out_dir);
    if xlsx {
        text.push_str(&workbook_written(&outcome.out_dir));
    }
    text
}
