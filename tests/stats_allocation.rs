//! `allocate`: the linear program against a brute-force search over weights, every constraint
//! in every solution, clear refusals, and the out-of-sample check.

mod common;

use boomsim::stats::allocation::{Constraints, Goal, Scenarios, evaluate, solve};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

/// `n` equally likely scenarios of `assets` correlated, skewed returns (lognormal-ish with a
/// total-loss atom in the last asset), from a fixed seed.
fn scenarios(n: usize, assets: usize, seed: u64) -> Scenarios {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut returns = Vec::with_capacity(n * assets);
    for _ in 0..n {
        let common: f64 = rng.sample(StandardNormal);
        for a in 0..assets {
            let own: f64 = rng.sample(StandardNormal);
            let z = 0.5 * common + 0.85 * own;
            let sigma = 0.2 + 0.15 * a as f64;
            let mut r = libm::exp(0.05 + 0.04 * a as f64 + sigma * z) - 1.0;
            if a + 1 == assets && assets > 2 && rng.random::<f64>() < 0.08 {
                r = -1.0;
            }
            returns.push(r);
        }
    }
    Scenarios {
        assets,
        returns,
        probability: vec![1.0 / n as f64; n],
    }
}

fn free() -> Constraints {
    Constraints {
        max_weight: 1.0,
        groups: Vec::new(),
        excluded: Vec::new(),
    }
}

#[test]
fn two_and_three_assets_match_a_grid_search() {
    let alpha = 0.95;
    // Two assets: every weight on a grid of 1/10,000.
    let s = scenarios(4_000, 2, 1);
    let lp = solve(&s, &free(), Goal::MinCvar(None), alpha, None).unwrap();
    let lp_cvar = evaluate(&s, &lp.weights, alpha).cvar;
    let grid = (0..=10_000)
        .map(|k| {
            let w = k as f64 / 10_000.0;
            evaluate(&s, &[w, 1.0 - w], alpha).cvar
        })
        .fold(f64::INFINITY, f64::min);
    // The LP is the exact minimum: no grid point beats it; the grid's best is within a grid
    // step's change of CVaR (|returns| < 10, so at most 1e-4 * 10 * 2).
    assert!(lp_cvar <= grid + 1e-9, "LP {lp_cvar} vs grid {grid}");
    assert!(grid - lp_cvar <= 2e-3, "LP {lp_cvar} vs grid {grid}");
    // Three assets: the simplex on a grid of 1/200.
    let s = scenarios(3_000, 3, 2);
    let lp = solve(&s, &free(), Goal::MinCvar(None), alpha, None).unwrap();
    let lp_cvar = evaluate(&s, &lp.weights, alpha).cvar;
    let mut grid = f64::INFINITY;
    for i in 0..=200 {
        for j in 0..=200 - i {
            let (a, b) = (i as f64 / 200.0, j as f64 / 200.0);
            grid = grid.min(evaluate(&s, &[a, b, 1.0 - a - b], alpha).cvar);
        }
    }
    assert!(lp_cvar <= grid + 1e-9, "LP {lp_cvar} vs grid {grid}");
    assert!(grid - lp_cvar <= 0.05, "LP {lp_cvar} vs grid {grid}");
    // With a target mean: the grid's best among portfolios reaching it.
    let target = 0.5 * (s.means()[0] + s.means()[2]);
    let lp = solve(&s, &free(), Goal::MinCvar(Some(target)), alpha, None).unwrap();
    let e = evaluate(&s, &lp.weights, alpha);
    assert!(e.mean >= target - 1e-9);
    let mut grid = f64::INFINITY;
    for i in 0..=200 {
        for j in 0..=200 - i {
            let w = [
                i as f64 / 200.0,
                j as f64 / 200.0,
                1.0 - (i + j) as f64 / 200.0,
            ];
            let g = evaluate(&s, &w, alpha);
            if g.mean >= target {
                grid = grid.min(g.cvar);
            }
        }
    }
    assert!(e.cvar <= grid + 1e-9, "LP {} vs grid {grid}", e.cvar);
}

#[test]
fn every_solution_meets_every_constraint() {
    let alpha = 0.9;
    let s = scenarios(2_000, 5, 3);
    let c = Constraints {
        max_weight: 0.35,
        groups: vec![(vec![0, 1], 0.2, 0.5), (vec![2, 3, 4], 0.0, 0.7)],
        excluded: vec![3],
    };
    let means = s.means();
    let (lo, hi) = (
        means.iter().cloned().fold(f64::INFINITY, f64::min),
        means.iter().cloned().fold(f64::MIN, f64::max),
    );
    let mut goals = vec![
        Goal::MinCvar(None),
        Goal::MaxMean(None),
        Goal::MaxMean(Some(0.25)),
    ];
    goals.extend((1..6).map(|k| Goal::MinCvar(Some(lo + (hi - lo) * k as f64 / 10.0))));
    for goal in goals {
        let Ok(solution) = solve(&s, &c, goal, alpha, None) else {
            continue;
        };
        let w = &solution.weights;
        assert!(
            (w.iter().sum::<f64>() - 1.0).abs() <= 1e-9,
            "{goal:?} {w:?}"
        );
        assert!(
            w.iter().all(|&x| (-1e-9..=0.35 + 1e-9).contains(&x)),
            "{goal:?} {w:?}"
        );
        assert_eq!(w[3], 0.0);
        let g1: f64 = w[0] + w[1];
        let g2: f64 = w[2] + w[3] + w[4];
        assert!((0.2 - 1e-9..=0.5 + 1e-9).contains(&g1), "{goal:?} {g1}");
        assert!((-1e-9..=0.7 + 1e-9).contains(&g2), "{goal:?} {g2}");
        let e = evaluate(&s, w, alpha);
        match goal {
            Goal::MinCvar(Some(t)) => assert!(e.mean >= t - 1e-9, "{goal:?}: {}", e.mean),
            Goal::MaxMean(Some(x)) => assert!(e.cvar <= x + 1e-7, "{goal:?}: {}", e.cvar),
            _ => {}
        }
    }
}

#[test]
fn impossible_constraints_are_refused_before_solving() {
    let dir = tempfile::tempdir().unwrap();
    let every: Vec<String> = [
        "nvidia",
        "microsoft",
        "amazon",
        "alphabet",
        "mlops_startup",
        "python_devtools_startup",
        "workflow_saas_startup",
        "coding_bootcamps",
        "online_education",
        "oss_sustainability",
    ]
    .iter()
    .flat_map(|a| ["--exclude".to_string(), a.to_string()])
    .collect();
    let every: Vec<&str> = every.iter().map(String::as_str).collect();
    let cases: [(&[&str], &str); 5] = [
        // Not "raise --max-weight to at least 1" when it is 1 already.
        (&every, "--exclude leaves none of the 10 assets to hold"),
        (
            &[
                "--group",
                "public_equities=0.7..1",
                "--group",
                "private_startups=0.5..1",
            ],
            "minimums add up to 1.200",
        ),
        (&["--max-weight", "0.05"], "raise --max-weight"),
        (&["--exclude", "nvdia"], "did you mean `nvidia`?"),
        (
            &["--group", "public_equity=0..0.5"],
            "did you mean `public_equities`?",
        ),
    ];
    for (flags, needle) in cases {
        let args = [
            &[
                "allocate",
                "--paths",
                "512",
                "--test-paths",
                "2048",
                "--quiet",
            ][..],
            flags,
        ]
        .concat();
        let out = common::boomsim(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{flags:?}: {err}");
    }
    assert!(!dir.path().join("output").exists(), "nothing written");
    let out = common::boomsim(dir.path(), &["allocate", "--group", "public_equities=0.5"]);
    assert_eq!(out.status.code(), Some(2));
    // A model without a baseline cannot weigh the boom.
    let text = boomsim::model::DEFAULT_MODEL_TEXT;
    let start = text.find("[baseline]").unwrap();
    let end = start + text[start..].find("\n[").unwrap() + 1;
    let no_baseline = format!("{}{}", &text[..start], &text[end..]);
    std::fs::write(dir.path().join("nb.toml"), no_baseline).unwrap();
    let out = common::boomsim(
        dir.path(),
        &[
            "allocate",
            "nb.toml",
            "--boom-probability",
            "0.5",
            "--paths",
            "512",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the model's [baseline]"));
}

#[test]
fn out_of_sample_cvar_matches_in_sample_at_large_n() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::boomsim(
        dir.path(),
        &[
            "allocate",
            "--paths",
            "10000",
            "--test-paths",
            "200000",
            "--points",
            "3",
            "--max-weight",
            "0.5",
            "--boom-probability",
            "0.7",
            "--quiet",
            "--report",
            "--out",
            "a",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("minimum CVaR"), "{text}");
    let (header, rows) = common::read_csv(&dir.path().join("a/frontier.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let first = &rows[0];
    let (cvar, test, se): (f64, f64, f64) = (
        first[col("cvar")].parse().unwrap(),
        first[col("test_cvar")].parse().unwrap(),
        first[col("test_cvar_se")].parse().unwrap(),
    );
    // The in-sample estimate has the error of 10,000 paths (sqrt(20) times the test's) and
    // the optimiser's optimism on top: 4 combined standard errors.
    let combined = se * (1.0 + 20.0f64).sqrt();
    assert!(
        (cvar - test).abs() <= 4.0 * combined,
        "in {cvar}, out {test} (se {se})"
    );
    let (_, weights) = common::read_csv(&dir.path().join("a/allocation.csv"));
    assert_eq!(weights.len(), 3 * 10, "3 portfolios, 10 assets each");
    let manifest = std::fs::read_to_string(dir.path().join("a/manifest.json")).unwrap();
    assert!(manifest.contains("\"out_of_sample_paths\": \"1099511627776..1099511827776\""));
    assert!(
        manifest.contains("\"scenarios\": 20000"),
        "boom and baseline of 10,000 paths"
    );
    // The report: the frontier in and out of sample, and the weights along it.
    let page = std::fs::read_to_string(dir.path().join("a/report.html")).unwrap();
    assert_eq!(page.matches("<svg").count(), 2);
    assert!(dir.path().join("a/charts/frontier.svg").is_file());
    assert!(dir.path().join("a/charts/weights.svg").is_file());
}
