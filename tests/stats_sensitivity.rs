//! What drives the result (`sensitivity.csv`), per-path samples (`samples.csv`) and
//! conditional summaries (`--where`).

mod common;

use std::fs;

use boomsim::engine::condition::Condition;
use boomsim::engine::{Hooks, RunConfig, simulate_paths, thread_pool};
use boomsim::stats::quantile::quantile_sorted;
use boomsim::stats::sensitivity::{pearson, ranks, sensitivity, spearman_interval};
use boomsim::stats::summary::{summarise, summarise_paths};
use common::{boomsim, model, read_csv, run};

/// Asset `a` depends on adoption.log_drift (strongly) and on its sector's small noise; the
/// other uncertain parameters cannot move it.
const ONE_DRIVER: &str = r#"
[model]
name = "one-driver"
horizon_years = 5
steps_per_year = 4
[adoption]
process = "gbm"
log_drift = "uniform(0, 0.4)"
[sectors.s]
elasticity = 1
volatility = 0.05
[sectors.t]
elasticity = "normal(1, 0.2)"
[groups.g]
[assets.a]
group = "g"
exposure = { s = 1.0 }
[assets.b]
group = "g"
exposure = { t = 1.0 }
priced_in = "uniform(0, 0.1)"
"#;

#[test]
fn a_sole_driver_ranks_first_and_independent_parameters_are_near_zero() {
    let m = model(ONE_DRIVER);
    let n = 40_000;
    let (sim, _) = run(&m, n, 21);
    let rows = sensitivity(&m, &sim);
    let a: Vec<_> = rows.iter().filter(|r| r.name == "a").collect();
    assert_eq!(a.len(), 3, "three uncertain parameters");
    assert_eq!(a[0].parameter, "adoption.log_drift");
    let s = a[0].spearman.unwrap();
    assert!(s > 0.95, "spearman {s}");
    assert!(a[0].swing > 0.0 && a[0].contribution.unwrap() > 0.99);
    // Under independence the sample Spearman has standard error 1/sqrt(N - 1).
    let bound = 4.0 / (n as f64).sqrt();
    for r in &a[1..] {
        let s = r.spearman.unwrap();
        assert!(
            s.abs() < bound,
            "{}: spearman {s} beyond {bound}",
            r.parameter
        );
    }
    // Rows of an entity are sorted by |swing|.
    assert!(a.windows(2).all(|w| w[0].swing.abs() >= w[1].swing.abs()));
    let total: f64 = a.iter().map(|r| r.contribution.unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-12);
}

#[test]
fn decile_means_equal_a_hand_computation() {
    let m = model(ONE_DRIVER);
    let n = 40;
    let (sim, _) = run(&m, n, 22);
    let rows = sensitivity(&m, &sim);
    for (j, name) in [
        "adoption.log_drift",
        "sectors.t.elasticity",
        "assets.b.priced_in",
    ]
    .iter()
    .enumerate()
    {
        // With 40 distinct draws the 10th percentile lies between the 4th and 5th smallest
        // (type 7: index 3.9), so the lowest decile is the 4 smallest draws; likewise the top.
        let draws = sim.draws.column(j);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&x, &y| draws[x].total_cmp(&draws[y]));
        for (entity, label) in [(1, "a"), (2, "b"), (0, "g")] {
            let returns = sim.total_return.column(entity);
            let low = order[..4].iter().map(|&i| returns[i]).sum::<f64>() / 4.0;
            let high = order[36..].iter().map(|&i| returns[i]).sum::<f64>() / 4.0;
            let row = rows
                .iter()
                .find(|r| r.name == label && r.parameter == *name)
                .unwrap();
            assert!((row.low_mean - low).abs() < 1e-12, "{label} {name} low");
            assert!((row.high_mean - high).abs() < 1e-12, "{label} {name} high");
            assert!((row.swing - (high - low)).abs() < 1e-12);
        }
    }
}

#[test]
fn swing_standard_errors_match_their_spread_across_seeds() {
    // The swing of asset a on adoption.log_drift, over 60 independent runs of 400 paths: the
    // reported standard error must match the spread of the swings. With 60 runs the sample sd
    // has a relative standard error of about 1/sqrt(2 * 59) = 9%, so 4 of those is 37%.
    let m = model(ONE_DRIVER);
    let (mut swings, mut ses) = (Vec::new(), Vec::new());
    for seed in 0..60 {
        let (sim, _) = run(&m, 400, 1000 + seed);
        let row = sensitivity(&m, &sim)
            .into_iter()
            .find(|r| r.name == "a" && r.parameter == "adoption.log_drift")
            .unwrap();
        swings.push(row.swing);
        ses.push(row.swing_se.unwrap());
    }
    let mean = swings.iter().sum::<f64>() / 60.0;
    let spread = (swings.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 59.0).sqrt();
    let reported = ses.iter().sum::<f64>() / 60.0;
    assert!(
        (reported / spread - 1.0).abs() < 0.37,
        "reported se {reported}, spread across seeds {spread}"
    );
}

#[test]
fn spearman_intervals_cover_the_population_value() {
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;
    // Bivariate normal with correlation 0.5: Spearman's population value is
    // (6 / pi) asin(rho / 2). 400 samples of 200 pairs: about 95% of the intervals cover it
    // (4 binomial standard errors: 0.95 +- 0.044).
    let rho: f64 = 0.5;
    let truth = 6.0 / std::f64::consts::PI * (rho / 2.0).asin();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(8);
    let reps = 400;
    let mut covered = 0;
    for _ in 0..reps {
        let (x, y): (Vec<f64>, Vec<f64>) = (0..200)
            .map(|_| {
                let a: f64 = rng.sample(StandardNormal);
                let b: f64 = rng.sample(StandardNormal);
                (a, rho * a + (1.0 - rho * rho).sqrt() * b)
            })
            .unzip();
        let r = pearson(&ranks(&x), &ranks(&y)).unwrap();
        let (lo, hi) = spearman_interval(r, 200, 1.959_964).unwrap();
        covered += usize::from(lo <= truth && truth <= hi);
    }
    let coverage = covered as f64 / reps as f64;
    assert!((coverage - 0.95).abs() <= 0.044, "coverage {coverage}");
}

#[test]
fn only_drivers_beyond_their_error_are_significant() {
    // In ONE_DRIVER, asset a cannot depend on sectors.t.elasticity or assets.b.priced_in: in
    // no run of 20 seeds may they be significant, while log_drift always is. Small runs (300
    // paths) are where noise looked like a driver.
    let m = model(ONE_DRIVER);
    for seed in 0..20 {
        let (sim, _) = run(&m, 300, 500 + seed);
        for r in sensitivity(&m, &sim).iter().filter(|r| r.name == "a") {
            let driver = r.parameter == "adoption.log_drift";
            assert_eq!(r.significant, driver, "seed {seed}: {r:?}");
            let (lo, hi) = (r.spearman_lo.unwrap(), r.spearman_hi.unwrap());
            assert!(lo <= r.spearman.unwrap() && r.spearman.unwrap() <= hi);
        }
    }
}

#[test]
fn the_terminal_lists_no_noise_as_a_driver() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("one.toml"), ONE_DRIVER).unwrap();
    let out = boomsim(dir.path(), &["run", "one.toml", "--paths", "2000"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("g "))
        .unwrap();
    assert!(line.contains("adoption.log_drift +"), "{text}");
    assert!(line.contains(" ±"), "{text}");
    // Ten paths cannot tell anything.
    let out = boomsim(
        dir.path(),
        &["run", "one.toml", "--paths", "10", "--out", "tiny"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no significant driver at 10 paths"), "{text}");
}

#[test]
fn a_condition_every_path_meets_gives_the_plain_summary() {
    let m = model(boomsim::model::DEFAULT_MODEL_TEXT);
    let params: Vec<String> = m
        .uncertain_parameters()
        .into_iter()
        .map(|p| p.path)
        .collect();
    let all = Condition::parse("adoption_multiple > 0", &params, true).unwrap();
    let pool = thread_pool(Some(2)).unwrap();
    let sim = pool
        .install(|| {
            simulate_paths(
                &m,
                &RunConfig {
                    paths: 2_000,
                    seed: 5,
                    ..Default::default()
                },
                Some(&all),
                &Hooks::default(),
            )
        })
        .unwrap();
    let met = sim.condition.as_ref().unwrap();
    assert_eq!(met.count(), 2_000);
    assert_eq!(
        summarise_paths(&m, &sim, Some(&met.matches), &met.step_returns),
        summarise(&m, &sim)
    );
}

#[test]
fn a_condition_summarises_exactly_the_matching_paths() {
    let m = model(ONE_DRIVER);
    let params: Vec<String> = m
        .uncertain_parameters()
        .into_iter()
        .map(|p| p.path)
        .collect();
    let c = Condition::parse(
        "adoption.log_drift >= 0.1 and adoption_multiple < 2.5",
        &params,
        false,
    )
    .unwrap();
    let pool = thread_pool(Some(2)).unwrap();
    let sim = pool
        .install(|| {
            simulate_paths(
                &m,
                &RunConfig {
                    paths: 5_000,
                    seed: 6,
                    ..Default::default()
                },
                Some(&c),
                &Hooks::default(),
            )
        })
        .unwrap();
    let met = sim.condition.as_ref().unwrap();
    let mut count = 0;
    let mut sum = 0.0;
    for path in 0..sim.paths {
        let drift = sim.draws.get(path, 0);
        let multiple = sim.adoption.get(path, sim.steps);
        let expected = drift >= 0.1 && multiple < 2.5;
        assert_eq!(met.matches[path], expected, "path {path}");
        if expected {
            count += 1;
            sum += sim.total_return.get(path, 1);
        }
    }
    assert!(count > 100 && count < 5_000);
    let rows = summarise_paths(&m, &sim, Some(&met.matches), &met.step_returns);
    let a = rows.iter().find(|r| r.name == "a").unwrap();
    assert!((a.mean_return - sum / count as f64).abs() < 1e-12);
}

#[test]
fn samples_reproduce_the_summary_and_where_writes_its_own_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "run",
            "--paths",
            "3000",
            "--samples",
            "--where",
            "adoption_multiple >= 5",
            "--out",
            "r",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Top drivers"), "{stdout}");
    assert!(
        stdout.contains("--where \"adoption_multiple >= 5\": "),
        "{stdout}"
    );
    let run_dir = dir.path().join("r");

    let (sens_header, sens_rows) = read_csv(&run_dir.join("sensitivity.csv"));
    assert_eq!(
        sens_header.join(","),
        "kind,name,parameter,spearman,spearman_lo,spearman_hi,low_mean,high_mean,swing,swing_se,contribution,significant"
    );
    // 13 entities x 22 drivers of the default model: 21 uncertain parameters and the
    // market's return.
    assert_eq!(sens_rows.len(), 13 * 22);
    assert!(sens_rows.iter().any(|r| r[2] == "market.return"));

    let (header, rows) = read_csv(&run_dir.join("samples.csv"));
    assert_eq!(rows.len(), 3000);
    assert_eq!(header[0], "path");
    assert_eq!(header[1], "adoption.ceiling");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert!(header.contains(&"baseline_adoption_multiple".to_string()));
    assert!(header.contains(&"uplift.private_startups".to_string()));
    // Every asset's return is there too, and a group is the weighted mean of its assets'
    // returns (docs/model.md, with P_a(0) = 1): here, weights 1, so the plain mean.
    let m = model(boomsim::model::DEFAULT_MODEL_TEXT);
    for (g, group) in m.groups.iter().enumerate() {
        let assets: Vec<&boomsim::model::Asset> =
            group.assets.iter().map(|&a| &m.assets[a]).collect();
        let total: f64 = assets.iter().map(|a| a.weight).sum();
        for r in &rows {
            let want: f64 = assets
                .iter()
                .map(|a| {
                    a.weight
                        * r[col(&format!("return.{}", a.name))]
                            .parse::<f64>()
                            .unwrap()
                })
                .sum::<f64>()
                / total;
            let got: f64 = r[col(&format!("return.{}", m.groups[g].name))]
                .parse()
                .unwrap();
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{got} {want}"
            );
        }
    }
    assert!(header.contains(&"uplift.nvidia".to_string()));
    let (sum_header, sum_rows) = read_csv(&run_dir.join("summary.csv"));
    let scol = |name: &str| sum_header.iter().position(|h| h == name).unwrap();
    for g in ["public_equities", "private_startups", "alternative_assets"] {
        let mut returns: Vec<f64> = rows
            .iter()
            .map(|r| r[col(&format!("return.{g}"))].parse().unwrap())
            .collect();
        let row = sum_rows.iter().find(|r| r[1] == g).unwrap();
        let get = |c: &str| row[scol(c)].parse::<f64>().unwrap();
        let mean = returns.iter().sum::<f64>() / returns.len() as f64;
        assert!(
            (mean - get("mean_return")).abs() < 1e-12 * mean.abs().max(1.0),
            "{g} mean"
        );
        returns.sort_by(f64::total_cmp);
        for (c, p) in [("p05", 0.05), ("p50", 0.5), ("p95", 0.95)] {
            assert!(
                (quantile_sorted(&returns, p) - get(c)).abs() < 1e-12,
                "{g} {c}"
            );
        }
    }

    // summary_where.csv: the summary columns over the matching paths.
    let matching: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[col("adoption_multiple")].parse::<f64>().unwrap() >= 5.0)
        .collect();
    let (where_header, where_rows) = read_csv(&run_dir.join("summary_where.csv"));
    assert_eq!(where_header, sum_header);
    let row = where_rows
        .iter()
        .find(|r| r[1] == "public_equities")
        .unwrap();
    let mean = matching
        .iter()
        .map(|r| r[col("return.public_equities")].parse::<f64>().unwrap())
        .sum::<f64>()
        / matching.len() as f64;
    let got: f64 = row[sum_header.iter().position(|h| h == "mean_return").unwrap()]
        .parse()
        .unwrap();
    assert!((got - mean).abs() < 1e-12);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(run_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["condition_matched"], matching.len());
}

#[test]
fn a_bad_condition_exits_2_an_unmet_one_1_and_neither_writes() {
    let dir = tempfile::tempdir().unwrap();
    // A --where that cannot be read is a bad flag; one no path meets is a failed run.
    let out = boomsim(
        dir.path(),
        &["run", "--paths", "200", "--where", "adoption_multple > 2"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `adoption_multiple`?"), "{err}");
    let out = boomsim(
        dir.path(),
        &[
            "run",
            "--paths",
            "200",
            "--where",
            "adoption_multiple > 1000",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no path of 200 meets the condition"));
    assert!(!dir.path().join("output").exists());
}

#[test]
fn samples_beyond_a_spreadsheet_warn() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = r#"
[model]
name = "tiny"
horizon_years = 1
steps_per_year = 1
[adoption]
process = "gbm"
log_drift = "normal(0.1, 0.1)"
[sectors.s]
elasticity = 1
[groups.g]
[assets.a]
group = "g"
exposure = { s = 0.5 }
"#;
    fs::write(dir.path().join("tiny.toml"), tiny).unwrap();
    let out = boomsim(
        dir.path(),
        &["run", "tiny.toml", "--paths", "1048576", "--samples"],
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: samples.csv has 1048576 rows"),
        "{err}"
    );
    let out = boomsim(
        dir.path(),
        &[
            "run",
            "tiny.toml",
            "--paths",
            "1048575",
            "--samples",
            "--out",
            "fits",
        ],
    );
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
