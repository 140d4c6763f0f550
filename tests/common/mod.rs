//! Helpers shared by the integration tests: build a model from TOML text, run it, and the
//! Monte Carlo tolerances.
#![allow(dead_code)]

use boomsim::engine::{RunConfig, Simulation, simulate};
use boomsim::model::{Model, parse_model};
use boomsim::stats::summary::{SummaryRow, summarise};

/// A valid model from TOML text, or a panic with the rendered errors.
pub fn model(text: &str) -> Model {
    parse_model(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `paths` paths with `seed` on two threads.
pub fn run(model: &Model, paths: usize, seed: u64) -> (Simulation, Vec<SummaryRow>) {
    let sim = simulate(
        model,
        &RunConfig {
            paths,
            seed,
            threads: Some(2),
            ..Default::default()
        },
    )
    .expect("thread pool");
    let rows = summarise(model, &sim);
    (sim, rows)
}

/// The row of an entity.
pub fn row<'a>(rows: &'a [SummaryRow], name: &str) -> &'a SummaryRow {
    rows.iter().find(|r| r.name == name).expect("row")
}

/// Asserts |got - want| <= 4 standard errors.
#[track_caller]
pub fn within_4se(what: &str, got: f64, want: f64, se: f64) {
    assert!(
        (got - want).abs() <= 4.0 * se,
        "{what}: got {got}, want {want} +- {} (4 SE)",
        4.0 * se
    );
}

/// Standard error of an empirical p-quantile: sqrt(p (1 - p) / n) / density at the quantile.
pub fn quantile_se(p: f64, n: usize, density: f64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt() / density
}

/// Standard error of an empirical proportion p.
pub fn proportion_se(p: f64, n: usize) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

/// Runs the `boomsim` binary in `dir`.
pub fn boomsim(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_boomsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run boomsim")
}

/// A CSV file as its header and rows of cells (for files whose cells hold no commas).
pub fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("read csv");
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}
