//! What `--sampling lhs` and `--antithetic` buy, measured: the spread over seeds of each
//! group's mean_return, p05, p95 and cvar95 with plain Monte Carlo, Latin hypercube and
//! antithetic pairs, on the default model, a parameter-driven and a shock-driven model.
//!
//! `cargo bench --bench variance` (about a minute) prints, per model, statistic and method, the
//! sd of the estimate over the seeds and its ratio to plain Monte Carlo's (below 1 is a gain; the
//! ratio of two sds of 24 seeds each has a relative error of about 20%, so a ratio between 0.8 and
//! 1.25 is no gain within noise). `BOOMSIM_SEEDS` and `BOOMSIM_PATHS` change the design.
//! A measurement, not a benchmark of speed: it prints a table and asserts nothing.

use boomsim::engine::{RunConfig, Sampling, simulate};
use boomsim::model::{DEFAULT_MODEL_TEXT, Kind, Model, parse_model};
use boomsim::stats::summary::summarise;

/// Driven by its uncertain parameters (a wide ceiling and elasticity, little shock).
const PARAMETER_DRIVEN: &str = r#"
[model]
name = "parameters"
horizon_years = 10
steps_per_year = 4
expected_return = 0.07
[adoption]
process = "logistic"
ceiling = "2 to 10"
rate = "0.3 to 0.9"
volatility = 0.03
[sectors.s]
elasticity = "normal(1.2, 0.3)"
volatility = 0.03
[groups.g]
[assets.a]
group = "g"
exposure = { s = 0.8 }
priced_in = "0.05 to 0.2"
volatility = 0.05
[assets.b]
group = "g"
exposure = { s = 0.5 }
volatility = 0.05
"#;

/// Driven by its shocks (every parameter fixed).
const SHOCK_DRIVEN: &str = r#"
[model]
name = "shocks"
horizon_years = 10
steps_per_year = 4
expected_return = 0.07
[adoption]
process = "logistic"
ceiling = 5
rate = 0.5
volatility = 0.15
[sectors.s]
elasticity = 1.2
volatility = 0.2
[groups.g]
[assets.a]
group = "g"
exposure = { s = 0.8 }
priced_in = 0.1
volatility = 0.3
[assets.b]
group = "g"
exposure = { s = 0.5 }
volatility = 0.25
"#;

const STATISTICS: [&str; 4] = ["mean_return", "p05", "p95", "cvar95"];

/// Each group's statistics in one run: `[group][statistic]`.
fn run(model: &Model, paths: usize, seed: u64, sampling: Sampling) -> Vec<[f64; 4]> {
    let config = RunConfig {
        paths,
        seed,
        threads: None,
        sampling,
    };
    let sim = simulate(model, &config).expect("runs");
    summarise(model, &sim)
        .into_iter()
        .filter(|r| r.kind == Kind::Group)
        .map(|r| [r.mean_return, r.p05, r.p95, r.cvar95])
        .collect()
}

fn sd(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt()
}

fn main() {
    let seeds: u64 = std::env::var("BOOMSIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let paths: usize = std::env::var("BOOMSIM_PATHS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let methods = [
        ("mc", Sampling::default()),
        (
            "lhs",
            Sampling {
                latin_hypercube: true,
                antithetic: false,
            },
        ),
        (
            "antithetic",
            Sampling {
                latin_hypercube: false,
                antithetic: true,
            },
        ),
    ];
    println!(
        "{seeds} seeds x {paths} paths; sd of each estimate over the seeds, and its ratio to plain Monte Carlo's"
    );
    for (label, text) in [
        ("default (python-5x)", DEFAULT_MODEL_TEXT),
        ("parameter-driven", PARAMETER_DRIVEN),
        ("shock-driven", SHOCK_DRIVEN),
    ] {
        let model = parse_model(text, "model.toml").expect("model");
        // [method][seed][group][statistic]
        let runs: Vec<Vec<Vec<[f64; 4]>>> = methods
            .iter()
            .map(|(_, sampling)| {
                (0..seeds)
                    .map(|s| run(&model, paths, 5000 + s, *sampling))
                    .collect()
            })
            .collect();
        println!("\n{label}");
        println!(
            "{:<22} {:<12} {:>12} {:>18} {:>18}",
            "group", "statistic", "mc sd", "lhs sd (ratio)", "antithetic (ratio)"
        );
        for (g, group) in model.groups.iter().enumerate() {
            for (k, statistic) in STATISTICS.iter().enumerate() {
                let spread: Vec<f64> = runs
                    .iter()
                    .map(|m| sd(&m.iter().map(|seed| seed[g][k]).collect::<Vec<_>>()))
                    .collect();
                let cell = |i: usize| {
                    if spread[0] > 0.0 {
                        format!("{:.4} ({:.2})", spread[i], spread[i] / spread[0])
                    } else {
                        format!("{:.4}", spread[i])
                    }
                };
                println!(
                    "{:<22} {:<12} {:>12.4} {:>18} {:>18}",
                    group.name,
                    statistic,
                    spread[0],
                    cell(1),
                    cell(2)
                );
            }
        }
    }
}
