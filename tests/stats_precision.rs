//! Error bars that are honest (docs/model.md §6.1): over 48 independent seeds of
//! each of four models (an atom at p05, heavy tails, Latin hypercube, antithetic pairs), every
//! statistic's reported standard error is within 0.5-2x of the spread of its estimates (the
//! median ratio within 0.8-1.25), and the 95% intervals cover the value of one run with 96
//! times the paths in at least 92.5% of (statistic, seed) pairs and in at least 40 of 48 seeds
//! for every statistic.
//!
//! The thresholds: an honest interval's count of covered seeds is Binomial(48, 0.95) (mean
//! 45.6, sd 1.5), so 40 is 3.7 sd below. The pooled share mixes statistics of the same seeds
//! (a seed whose mean is high moves its p95 and Sharpe ratio too), so it varies more than a
//! binomial's: over sets of 24 seeds it measured 0.928-0.972 (six sets, before and after the
//! single-precision normals); 48 seeds halve its variance, and 0.925 is about 2.5 of its
//! standard deviations below 0.95, while intervals 20% too narrow (coverage 0.89) fail it.

mod common;

use boomsim::engine::{RunConfig, Sampling, simulate};
use boomsim::model::Model;
use boomsim::stats::precision::{PrecisionRow, STATISTICS, precision};
use boomsim::stats::summary::summarise;
use common::model;

/// A small model with every kind of statistic: a baseline (uplift), a failing asset (a point
/// mass at -100%), a group, uncertain parameters.
const SMALL: &str = r#"
[model]
name = "small"
horizon_years = 3
steps_per_year = 4
risk_free_rate = 0.02
expected_return = 0.06

[adoption]
process = "gbm"
log_drift = "normal(0.15, 0.05)"
volatility = 0.1

[baseline]
log_drift = "normal(0.05, 0.03)"

[sectors.s]
elasticity = "1 to 2"
volatility = 0.2

[groups.g]

[assets.a]
group = "g"
exposure = { s = 0.8 }
priced_in = "0.05 to 0.15"
volatility = 0.3

[assets.b]
group = "g"
exposure = { s = 0.5 }
volatility = 0.4
failure_rate = 0.15
"#;

/// About 5% of paths end in a total loss (a hazard of 1% a year over 5 years): p05 sits at the
/// atom's edge, -100% on some seeds and far above it on others. The asset is a group of its
/// own too, and a second group mixes it with a steady asset.
const ATOM: &str = r#"
[model]
name = "atom"
horizon_years = 5
steps_per_year = 4
risk_free_rate = 0.02
expected_return = 0.07
[adoption]
process = "gbm"
log_drift = "normal(0.1, 0.05)"
volatility = 0.1
[baseline]
log_drift = 0.0
[sectors.s]
elasticity = "1 to 2"
volatility = 0.2
[groups.risky]
[groups.mixed]
[assets.venture]
group = "risky"
exposure = { s = 0.7 }
volatility = 0.35
failure_rate = 0.0103
[assets.steady]
group = "mixed"
exposure = { s = 0.3 }
volatility = 0.15
[assets.venture_too]
group = "mixed"
exposure = { s = 0.7 }
volatility = 0.35
failure_rate = 0.0103
"#;

/// Heavy right tails: ten years of compounding with an uncertain elasticity, total returns
/// lognormal with a log-sd of about 1.1 (a kurtosis in the hundreds).
const HEAVY: &str = r#"
[model]
name = "heavy"
horizon_years = 10
steps_per_year = 2
expected_return = 0.07
[adoption]
process = "gbm"
log_drift = "normal(0.12, 0.03)"
volatility = 0.1
[sectors.s]
elasticity = "1 to 2"
volatility = 0.2
[groups.g]
[assets.a]
group = "g"
exposure = { s = 0.9 }
volatility = 0.25
[assets.b]
group = "g"
exposure = { s = 0.4 }
volatility = 0.3
"#;

/// Driven by its uncertain parameters: the Latin hypercube's case.
const PARAMETERS: &str = r#"
[model]
name = "params"
horizon_years = 5
steps_per_year = 4
expected_return = 0.05
[adoption]
process = "logistic"
ceiling = "2 to 8"
rate = "0.3 to 0.9"
volatility = 0.05
[sectors.s]
elasticity = "normal(1, 0.3)"
volatility = 0.05
[groups.g]
[assets.a]
group = "g"
exposure = { s = 1.0 }
priced_in = "0.05 to 0.2"
volatility = 0.1
[assets.b]
group = "g"
exposure = { s = 0.5 }
volatility = 0.1
"#;

/// The precision rows of one run of `m`.
fn rows_of(m: &Model, paths: usize, seed: u64, sampling: Sampling) -> Vec<PrecisionRow> {
    let config = RunConfig {
        paths,
        seed,
        threads: Some(2),
        sampling,
    };
    let sim = simulate(m, &config).expect("thread pool");
    let summary = summarise(m, &sim);
    precision(m, &sim, &summary, sim.paths, sampling)
}

/// The precision rows of one run of the small model.
fn rows(paths: usize, seed: u64) -> Vec<PrecisionRow> {
    rows_of(&model(SMALL), paths, seed, Sampling::default())
}

/// Checks docs/model.md's definition of honest on `text` drawn as `sampling`: 48 seeds of
/// `paths` paths against one run of 96 x `paths`.
fn honest(text: &str, sampling: Sampling, paths: usize) {
    const SEEDS: u64 = 48;
    let m = model(text);
    let runs: Vec<Vec<PrecisionRow>> = (0..SEEDS)
        .map(|s| rows_of(&m, paths, 1000 + s, sampling))
        .collect();
    // The truth is one run of 96 x `paths`: its own error (1/sqrt(96) = 0.10 of a seed's) is
    // shared by every seed's comparison, so it must be small against the intervals' width.
    let truth = rows_of(&m, 2 * SEEDS as usize * paths, 7, sampling);
    let (mut ratios, mut pairs, mut covered_pairs) = (Vec::new(), 0, 0);
    let mut report = String::new();
    for (k, reference) in truth.iter().enumerate() {
        let what = format!("{} {} {}", m.name, reference.name, reference.statistic);
        let Some(value) = reference.estimate else {
            continue;
        };
        let estimates: Vec<f64> = runs.iter().map(|r| r[k].estimate.unwrap()).collect();
        let ses: Vec<f64> = runs
            .iter()
            .map(|r| r[k].se.unwrap_or_else(|| panic!("{what}: no se")))
            .collect();
        let n = SEEDS as f64;
        let mean = estimates.iter().sum::<f64>() / n;
        let spread = (estimates.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let reported = ses.iter().sum::<f64>() / n;
        let covered = runs
            .iter()
            .filter(|r| r[k].lo95.unwrap() <= value && value <= r[k].hi95.unwrap())
            .count();
        report.push_str(&format!(
            "{what}: se {reported:.5} spread {spread:.5} ratio {:.2} covered {covered}/48\n",
            reported / spread
        ));
        pairs += SEEDS as usize;
        covered_pairs += covered;
        assert!(
            covered >= 40,
            "{what}: covered in {covered} of 48 seeds\n{report}"
        );
        if spread == 0.0 {
            // A statistic at a point mass on every seed: no error, and none reported.
            assert!(reported < 1e-9, "{what}: reported {reported}\n{report}");
            continue;
        }
        let ratio = reported / spread;
        assert!(
            (0.5..=2.0).contains(&ratio),
            "{what}: reported se {reported:.5}, spread over seeds {spread:.5} (ratio {ratio:.2})\n{report}"
        );
        ratios.push(ratio);
    }
    if std::env::var_os("BOOMSIM_SHOW").is_some() {
        eprintln!("{report}");
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    assert!(
        (0.8..=1.25).contains(&median),
        "{}: median se ratio {median:.2}\n{report}",
        m.name
    );
    let share = covered_pairs as f64 / pairs as f64;
    assert!(share >= 0.925, "{}: coverage {share:.3}\n{report}", m.name);
    assert!(ratios.len() >= 3 * STATISTICS.len() - 6, "{}", ratios.len());
}

#[test]
fn intervals_are_honest_at_an_atom() {
    honest(ATOM, Sampling::default(), 32_768);
}

#[test]
fn intervals_are_honest_for_heavy_tails() {
    honest(HEAVY, Sampling::default(), 8192);
}

#[test]
fn intervals_are_honest_for_latin_hypercube_runs() {
    let lhs = Sampling {
        latin_hypercube: true,
        antithetic: false,
    };
    honest(PARAMETERS, lhs, 8192);
}

#[test]
fn intervals_are_honest_for_antithetic_runs() {
    let antithetic = Sampling {
        latin_hypercube: false,
        antithetic: true,
    };
    honest(SMALL, antithetic, 8192);
    // Failures come in pairs (a pair shares its failure times): an atom antithetic pairs
    // cannot halve.
    honest(ATOM, antithetic, 32_768);
}

#[test]
fn every_interval_lies_inside_what_its_statistic_can_be() {
    // The atom model at few paths: wide intervals that would spill past -100% and 100%.
    for seed in 0..6 {
        for r in rows_of(&model(ATOM), 2048, seed, Sampling::default()) {
            let (Some(lo), Some(hi)) = (r.lo95, r.hi95) else {
                continue;
            };
            let x = r.estimate.unwrap();
            assert!(lo <= x && x <= hi, "{r:?}");
            match r.statistic {
                "mean_return" | "p05" | "p50" | "p95" => assert!(lo >= -1.0, "{r:?}"),
                "var95" | "cvar95" => assert!(hi <= 1.0, "{r:?}"),
                "prob_loss" | "prob_uplift" | "mean_max_drawdown" => {
                    assert!(lo >= 0.0 && hi <= 1.0, "{r:?}")
                }
                _ => {}
            }
        }
    }
}

#[test]
fn small_runs_give_no_error_bars_and_reservoirs_scale() {
    // Fewer than 8 chunks: 7 batches are too few to estimate a standard deviation; quantiles
    // and shares keep their intervals, which need no batches.
    let r = rows(7 * 256, 1);
    for p in &r {
        assert!(p.estimate.is_some());
        assert_eq!(p.se.is_none(), p.interval == "batch_means", "{p:?}");
    }
    // Error falls as 1/sqrt(N): a run 4 times as long reports about half the error.
    let short = rows(16_384, 3);
    let long = rows(65_536, 3);
    let mean_se = |r: &[PrecisionRow]| r[0].se.unwrap();
    let ratio = mean_se(&long) / mean_se(&short);
    // Each se is itself estimated from 32 batches (relative error ~12.7%): 4 of those on the
    // ratio of two is ~72%.
    assert!((ratio - 0.5).abs() < 0.5 * 0.72, "{ratio}");
}

#[test]
fn sketched_runs_estimate_the_same_errors_from_their_reservoir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SMALL).unwrap();
    let paths = "262144";
    for method in ["exact", "sketch"] {
        let out = common::boomsim(
            dir.path(),
            &[
                "run",
                "small.toml",
                "--paths",
                paths,
                "--summary",
                method,
                "--out",
                method,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (header, exact) = common::read_csv(&dir.path().join("exact/precision.csv"));
    let (_, sketch) = common::read_csv(&dir.path().join("sketch/precision.csv"));
    let se = header.iter().position(|h| h == "se").unwrap();
    let mut compared = 0;
    for (e, s) in exact.iter().zip(&sketch) {
        assert_eq!(e[..3], s[..3]);
        let (Ok(a), Ok(b)) = (e[se].parse::<f64>(), s[se].parse::<f64>()) else {
            continue;
        };
        if a == 0.0 {
            continue;
        }
        // Both are estimates from 32 batches (~12.7% each), of about the same paths' error:
        // 4 standard errors of their ratio is ~72%.
        assert!(
            (b / a - 1.0).abs() < 0.72,
            "{:?}: exact {a}, sketched {b}",
            &e[..3]
        );
        compared += 1;
    }
    assert!(compared > 20, "{compared}");
}

/// The CSV files of a run folder, by name.
fn csv_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_stopping_rule_stops_at_the_same_n_with_the_bytes_of_a_fixed_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SMALL).unwrap();
    let rule = [
        "run",
        "small.toml",
        "--precision",
        "0.01",
        "--precision-for",
        "mean_return,p50",
        "--max-paths",
        "400000",
    ];
    let mut stopped = Vec::new();
    for out in ["a", "b"] {
        let o = common::boomsim(dir.path(), &[&rule[..], &["--out", out]].concat());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(text.contains("--precision: stopped at "), "{text}");
        assert!(
            text.contains("every group's mean_return, p50 within ±0.01"),
            "{text}"
        );
        let manifest = std::fs::read_to_string(dir.path().join(out).join("manifest.json")).unwrap();
        assert!(manifest.contains("\"converged\": true"), "{manifest}");
        let paths: usize = manifest
            .split("\"paths\": ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|s| s.trim().parse().ok())
            .unwrap();
        stopped.push(paths);
    }
    assert_eq!(stopped[0], stopped[1]);
    let n = stopped[0];
    assert!((16_384..400_000).contains(&n) && n.is_power_of_two(), "{n}");
    assert_eq!(
        csv_files(&dir.path().join("a")),
        csv_files(&dir.path().join("b"))
    );
    // The same bytes as a fixed run of that many paths.
    let fixed = common::boomsim(
        dir.path(),
        &[
            "run",
            "small.toml",
            "--paths",
            &n.to_string(),
            "--out",
            "fixed",
        ],
    );
    assert!(fixed.status.success());
    assert_eq!(
        csv_files(&dir.path().join("a")),
        csv_files(&dir.path().join("fixed"))
    );
    // And the rule holds in its precision.csv.
    let (header, rows) = common::read_csv(&dir.path().join("a/precision.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in rows.iter().filter(|r| r[0] == "group") {
        if row[col("statistic")] == "mean_return" || row[col("statistic")] == "p50" {
            let (lo, hi): (f64, f64) = (
                row[col("lo95")].parse().unwrap(),
                row[col("hi95")].parse().unwrap(),
            );
            assert!((hi - lo) / 2.0 <= 0.01 * 1.0001, "{row:?}");
        }
    }
}

#[test]
fn an_unmet_rule_warns_and_bad_rules_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SMALL).unwrap();
    let o = common::boomsim(
        dir.path(),
        &[
            "run",
            "small.toml",
            "--precision",
            "1e-6",
            "--max-paths",
            "20000",
            "--out",
            "o",
        ],
    );
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: --precision 0.000001: reached --max-paths 20000"),
        "{err}"
    );
    assert!(err.contains("g mean_return ±"), "{err}");
    let manifest = std::fs::read_to_string(dir.path().join("o/manifest.json")).unwrap();
    assert!(manifest.contains("\"converged\": false") && manifest.contains("\"paths\": 20000"));
    for bad in [
        &["run", "--precision", "0"][..],
        &["run", "--precision", "0.01", "--paths", "1000"],
        &["run", "--precision", "0.01", "--precision-for", "p5O"],
        &["run", "--relative"],
        &["run", "--precision", "0.01", "--shard", "1/2"],
    ] {
        let o = common::boomsim(dir.path(), bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
    }
    let o = common::boomsim(
        dir.path(),
        &["run", "--precision", "0.01", "--precision-for", "p5O"],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `p50`?"));
}
