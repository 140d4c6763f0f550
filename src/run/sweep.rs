//! Batches of scenarios: `boomsim sweep MODEL --vary KEY=V1,V2,...`.
//!
//! The scenarios are the Cartesian grid of the varied keys (the first `--vary` changes
//! slowest). Each scenario is one run of the model with its values as `--set` overrides, all
//! with the same seed, so differences between scenarios carry little Monte Carlo noise
//! (common random numbers). The sweep folder holds one run folder per scenario, `sweep.csv`
//! (long form, for pivot tables: `value` is always a number or empty, `se` its Monte Carlo
//! standard error where `precision.csv` gives one, the entity's profile a column of its own),
//! `sweep_wide.csv` (one row per scenario and entity) and a
//! `manifest.json`; it is written whole or not at all.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::distribution::split_top;
use crate::output::{OutputError, write_file, write_folder};
use crate::run::{RunError, RunOutcome, RunRequest, run};
use crate::stats::summary::SummaryRow;

/// One `--vary KEY=V1,V2,...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// The key path.
    pub key: String,
    /// Its values, each a TOML value or a distribution string.
    pub values: Vec<String>,
}

/// Why a `--vary` was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "--vary `{arg}`: {message}\n  help: write --vary KEY=V1,V2,..., e.g. --vary adoption.ceiling=\"2 to 5\",\"5 to 10\""
)]
pub struct VaryError {
    /// The argument.
    pub arg: String,
    /// What is wrong.
    pub message: String,
}

impl crate::exit::ExitStatus for VaryError {
    fn exit_code(&self) -> u8 {
        crate::exit::USAGE
    }
}

impl VaryError {
    /// What is wrong and how to write it, without the argument (clap shows that).
    pub fn message_and_help(&self) -> String {
        format!(
            "{}; write KEY=V1,V2,..., e.g. --vary adoption.ceiling=\"2 to 5\",\"5 to 10\"",
            self.message
        )
    }
}

impl Vary {
    /// Parses `KEY=V1,V2,...`; commas inside parentheses, brackets or quotes do not split, so
    /// `normal(1, 0.2)` is one value.
    pub fn parse(arg: &str) -> Result<Vary, VaryError> {
        let fail = |message: &str| VaryError {
            arg: arg.to_string(),
            message: message.to_string(),
        };
        let (key, values) = arg.split_once('=').ok_or_else(|| fail("no `=`"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
            return Err(fail("the key is not a key path"));
        }
        let values: Vec<String> = split_top(values, ',')
            .into_iter()
            .map(|v| v.trim().to_string())
            .collect();
        if values.iter().any(String::is_empty) {
            return Err(fail("an empty value"));
        }
        Ok(Vary {
            key: key.to_string(),
            values,
        })
    }
}

/// A value as a spreadsheet should show it: a quoted TOML string without its quotes.
fn shown(value: &str) -> String {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .to_string()
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// `s01`, `s02`, ...: its folder's name.
    pub id: String,
    /// One value per `--vary`, in their order.
    pub values: Vec<String>,
}

impl Scenario {
    /// The `--set` overrides of this scenario.
    pub fn sets(&self, varies: &[Vary]) -> Vec<String> {
        varies
            .iter()
            .zip(&self.values)
            .map(|(v, value)| format!("{}={value}", v.key))
            .collect()
    }
}

/// The Cartesian grid, the first `--vary` changing slowest.
pub fn scenarios(varies: &[Vary]) -> Vec<Scenario> {
    let mut grid: Vec<Vec<String>> = vec![Vec::new()];
    for v in varies {
        grid = grid
            .into_iter()
            .flat_map(|prefix| {
                v.values.iter().map(move |value| {
                    let mut next = prefix.clone();
                    next.push(value.clone());
                    next
                })
            })
            .collect();
    }
    let width = grid.len().to_string().len().max(2);
    grid.into_iter()
        .enumerate()
        .map(|(i, values)| Scenario {
            id: format!("s{:0width$}", i + 1),
            values,
        })
        .collect()
}

/// A sweep to run.
#[derive(Debug, Clone)]
pub struct SweepRequest {
    /// The base run: model, paths, seed, threads, `--set`s, hooks. Its `out` is the sweep
    /// folder (default `output/<model name>-sweep/`).
    pub base: RunRequest,
    /// The varied keys.
    pub varies: Vec<Vary>,
}

/// The `manifest.json` of a sweep folder.
#[derive(Debug, Clone, Serialize)]
struct SweepManifest {
    boomsim_version: &'static str,
    command: &'static str,
    model_name: String,
    model_sha256: String,
    model_path: String,
    seed: u64,
    paths: usize,
    varied: Vec<String>,
    scenarios: Vec<ScenarioEntry>,
    command_line: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
struct ScenarioEntry {
    id: String,
    sets: Vec<String>,
    /// Why the scenario has no results (its paths overflowed, say); absent when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    failed: Option<String>,
}

/// What a finished sweep reports.
pub struct SweepOutcome {
    /// The sweep folder.
    pub out_dir: PathBuf,
    /// Each scenario that ran, with its run.
    pub runs: Vec<(Scenario, RunOutcome)>,
    /// Each scenario that could not run, with why: the others are kept.
    pub failed: Vec<(Scenario, String)>,
    /// Things to know (printed on stderr).
    pub warnings: Vec<String>,
}

/// Whether a scenario's failure is its own (its model's paths overflowed or its statistics
/// did), so the other scenarios are kept; an interrupt, a full disk or a folder that cannot be
/// written stops the sweep.
fn scenario_failure(e: &RunError) -> bool {
    matches!(
        e,
        RunError::NonFinite { .. }
            | RunError::Engine(crate::engine::EngineError::Overflow(_))
            | RunError::Engine(crate::engine::EngineError::OutOfMemory { .. })
    )
}

/// Runs every scenario, then writes the sweep folder whole. Every scenario's model is
/// validated before any runs.
pub fn sweep(request: &SweepRequest) -> Result<SweepOutcome, RunError> {
    let grid = scenarios(&request.varies);
    let base = &request.base;
    for scenario in &grid {
        let request = RunRequest {
            varied: scenario.sets(&request.varies),
            ..base.clone()
        };
        base.model.load(&request.overrides())?;
    }
    // The sweep's model: the file with its --sets, before any --vary.
    let prepared = super::prepare(base)?;
    let name = prepared.model.name.clone();
    let owner = super::owner("sweep", base, &prepared);
    let out_dir = base
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{name}-sweep")));
    let replacing = crate::output::check_replaceable(&out_dir, &owner)?;
    let mut runs = Vec::new();
    let mut failed = Vec::new();
    write_folder(&out_dir, &owner, |staging: &Path| -> Result<(), RunError> {
        for scenario in &grid {
            let outcome = run(&RunRequest {
                varied: scenario.sets(&request.varies),
                out: Some(staging.join(&scenario.id)),
                // One workbook for the sweep, below, not one per scenario.
                xlsx: false,
                ..base.clone()
            });
            match outcome {
                Ok(o) => runs.push((scenario.clone(), o)),
                Err(e) if scenario_failure(&e) => failed.push((scenario.clone(), e.to_string())),
                Err(e) => return Err(e),
            }
        }
        if runs.is_empty() {
            let (scenario, why) = &failed[0];
            return Err(RunError::EveryScenarioFailed(format!(
                "{} ({}): {why}",
                scenario.id,
                scenario.sets(&request.varies).join(", ")
            )));
        }
        write_file(staging, "sweep.csv", &long_csv(&request.varies, &runs)?)?;
        write_file(
            staging,
            "sweep_wide.csv",
            &wide_csv(&request.varies, &runs)?,
        )?;
        let manifest = SweepManifest {
            boomsim_version: env!("CARGO_PKG_VERSION"),
            command: "sweep",
            model_name: name.clone(),
            model_sha256: owner.model_sha256.clone(),
            model_path: base.model.display(),
            seed: base.config.seed,
            paths: base.config.paths,
            varied: request.varies.iter().map(|v| v.key.clone()).collect(),
            scenarios: grid
                .iter()
                .map(|s| ScenarioEntry {
                    id: s.id.clone(),
                    sets: s.sets(&request.varies),
                    failed: failed
                        .iter()
                        .find(|(f, _)| f.id == s.id)
                        .map(|(_, why)| why.clone()),
                })
                .collect(),
            command_line: base.command_line.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&manifest).map_err(format_error)?;
        json.push(b'\n');
        write_file(staging, "manifest.json", &json)?;
        if base.xlsx {
            crate::output::add_workbook(staging, &out_dir)?;
        }
        Ok(())
    })?;
    Ok(SweepOutcome {
        out_dir,
        runs,
        failed,
        warnings: replacing.into_iter().collect(),
    })
}

fn format_error(e: impl std::fmt::Display) -> OutputError {
    OutputError::Io {
        path: PathBuf::from("sweep"),
        source: std::io::Error::other(e.to_string()),
        hint: String::new(),
    }
}

/// The header and cells of summary rows, exactly as `summary.csv` writes them.
fn summary_cells(rows: &[SummaryRow]) -> Result<(Vec<String>, Vec<Vec<String>>), OutputError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(format_error)?;
    }
    let bytes = w.into_inner().map_err(format_error)?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header = r
        .headers()
        .map_err(format_error)?
        .iter()
        .map(String::from)
        .collect();
    let cells = r
        .records()
        .map(|rec| rec.map(|r| r.iter().map(String::from).collect()))
        .collect::<Result<_, _>>()
        .map_err(format_error)?;
    Ok((header, cells))
}

fn long_csv(varies: &[Vary], runs: &[(Scenario, RunOutcome)]) -> Result<Vec<u8>, OutputError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["scenario".to_string()];
    header.extend(varies.iter().map(|v| v.key.clone()));
    header.extend(
        [
            "kind",
            "name",
            "profile",
            "profile_settled",
            "metric",
            "value",
            "se",
        ]
        .map(String::from),
    );
    w.write_record(&header).map_err(format_error)?;
    for (scenario, outcome) in runs {
        let (columns, cells) = summary_cells(&outcome.rows)?;
        for (row, summary) in cells.iter().zip(&outcome.rows) {
            // kind, name, label, group, then the metrics; `value` holds numbers only, so the
            // entity's profile (a word) and whether it is settled are columns of their own.
            let numeric = columns
                .iter()
                .zip(row)
                .skip(4)
                .filter(|(m, _)| *m != "profile" && *m != "profile_settled");
            for (metric, value) in numeric {
                // The metric's Monte Carlo standard error, where precision.csv gives one.
                let se = outcome
                    .precision
                    .iter()
                    .find(|p| {
                        p.kind == summary.kind && p.name == summary.name && p.statistic == metric
                    })
                    .and_then(|p| p.se)
                    .map_or(String::new(), |se| se.to_string());
                let mut record = vec![scenario.id.clone()];
                record.extend(scenario.values.iter().map(|v| shown(v)));
                record.extend([
                    row[0].clone(),
                    row[1].clone(),
                    summary.profile.name().to_string(),
                    summary
                        .profile_settled
                        .map_or(String::new(), |s| s.to_string()),
                    metric.clone(),
                    value.clone(),
                    se,
                ]);
                w.write_record(&record).map_err(format_error)?;
            }
        }
    }
    w.into_inner().map_err(format_error)
}

fn wide_csv(varies: &[Vary], runs: &[(Scenario, RunOutcome)]) -> Result<Vec<u8>, OutputError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut wrote_header = false;
    for (scenario, outcome) in runs {
        let (columns, cells) = summary_cells(&outcome.rows)?;
        if !wrote_header {
            let mut header = vec!["scenario".to_string()];
            header.extend(varies.iter().map(|v| v.key.clone()));
            header.extend(columns);
            w.write_record(&header).map_err(format_error)?;
            wrote_header = true;
        }
        for row in cells {
            let mut record = vec![scenario.id.clone()];
            record.extend(scenario.values.iter().map(|v| shown(v)));
            record.extend(row);
            w.write_record(&record).map_err(format_error)?;
        }
    }
    w.into_inner().map_err(format_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_split_on_top_level_commas_only() {
        let v = Vary::parse("sectors.ml_ai.elasticity=normal(1, 0.2),2, \"1 to 3\"").unwrap();
        assert_eq!(v.key, "sectors.ml_ai.elasticity");
        assert_eq!(v.values, vec!["normal(1, 0.2)", "2", "\"1 to 3\""]);
        assert!(Vary::parse("no-equals").is_err());
        assert!(Vary::parse("a=1,,2").is_err());
    }

    #[test]
    fn the_grid_is_cartesian_with_the_first_key_slowest() {
        let varies = vec![
            Vary {
                key: "a".into(),
                values: vec!["1".into(), "2".into()],
            },
            Vary {
                key: "b".into(),
                values: vec!["x".into(), "y".into(), "z".into()],
            },
        ];
        let grid = scenarios(&varies);
        assert_eq!(grid.len(), 6);
        assert_eq!(grid[0].values, vec!["1", "x"]);
        assert_eq!(grid[2].values, vec!["1", "z"]);
        assert_eq!(grid[3].values, vec!["2", "x"]);
        assert_eq!(grid[5].id, "s06");
        assert_eq!(grid[4].sets(&varies), vec!["a=2", "b=y"]);
    }
}
