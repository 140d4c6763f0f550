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
