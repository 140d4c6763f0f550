//! Error bars that are honest: `precision.csv`'s standard errors against the spread of the
//! estimates over 48 independent seeds, and its 95% intervals against the value of one run
//! 128 times longer. (The tolerances follow from the number of seeds: see each assertion.)

mod common;

use boomsim::stats::precision::{PrecisionRow, STATISTICS, precision};
use common::{model, run};

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

/// The precision rows of one run.
fn rows(paths: usize, seed: u64) -> Vec<PrecisionRow> {
    let m = model(SMALL);
    let (sim, summary) = run(&m, paths, seed);
    precision(&m, &sim, &summary, sim.paths)
}

#[test]
fn standard_errors_match_the_spread_over_seeds_and_intervals_cover() {
    const SEEDS: u64 = 48;
    const PATHS: usize = 8192;
    let runs: Vec<Vec<PrecisionRow>> = (0..SEEDS).map(|s| rows(PATHS, 100 + s)).collect();
    let truth = rows(128 * PATHS, 7);
    assert!(runs[0].iter().all(|r| r.batches == 32));
    let mut checked = 0;
    for (k, reference) in truth.iter().enumerate() {
        let estimates: Vec<f64> = runs.iter().filter_map(|r| r[k].estimate).collect();
        let ses: Vec<f64> = runs.iter().filter_map(|r| r[k].se).collect();
        let what = format!("{} {}", reference.name, reference.statistic);
        let Some(value) = reference.estimate else {
            continue;
        };
        assert_eq!(estimates.len(), SEEDS as usize, "{what}");
        assert_eq!(ses.len(), SEEDS as usize, "{what}");
        let n = estimates.len() as f64;
        let mean = estimates.iter().sum::<f64>() / n;
        let spread = (estimates.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let reported = ses.iter().sum::<f64>() / n;
        if spread == 0.0 {
            // A statistic at a point mass (a p05 of -100%): no error, and none reported.
            assert!(reported == 0.0, "{what}: reported {reported}");
            continue;
        }
        // The sample sd of 48 estimates has a relative standard error of 1/sqrt(2 * 47)
        // = 10.3%: 4 of those is 41%.
        let ratio = reported / spread;
        assert!(
            (ratio - 1.0).abs() < 0.41,
            "{what}: reported se {reported:.5}, spread over seeds {spread:.5} (ratio {ratio:.2})"
        );
        // Coverage: 95% expected; 4 binomial standard errors over 48 intervals is 12.6 points.
        let covered = runs
            .iter()
            .filter(|r| r[k].lo95.unwrap() <= value && value <= r[k].hi95.unwrap())
            .count() as f64
            / n;
        assert!(covered >= 0.95 - 0.126, "{what}: coverage {covered:.2}");
        checked += 1;
    }
    // Every statistic of every entity but the point masses.
    assert!(checked >= 3 * STATISTICS.len() - 6, "{checked}");
}

#[test]
fn small_runs_give_no_error_bars_and_reservoirs_scale() {
    // Fewer than 8 chunks: 7 batches are too few to estimate a standard deviation.
    let r = rows(7 * 256, 1);
    assert!(r.iter().all(|p| p.se.is_none() && p.estimate.is_some()));
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
