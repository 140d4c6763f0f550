//! The model-tuning commands end to end: check, describe, dist and fit, --set overrides and
//! correlated inputs, and the model guide's worked example.

mod common;

use std::fs;

use boomsim::engine::Simulation;
use boomsim::model::parse_model;
use boomsim::stats::sensitivity::{pearson, ranks};
use common::{boomsim, model, proportion_se, run, within_4se};

const CORRELATED: &str = r#"
[model]
name = "corr"
horizon_years = 2
steps_per_year = 1
[adoption]
process = "gbm"
log_drift = "normal(0.1, 0.05)"
[sectors.a]
elasticity = "1 to 2"
[sectors.b]
elasticity = "pert(0, 1, 3)"
[sectors.c]
elasticity = "gamma(2, 0.5)"
[groups.g]
[assets.x]
group = "g"
exposure = { a = 0.4, b = 0.4, c = 0.1 }
CORRELATE
"#;

fn spearman(sim: &Simulation, i: usize, j: usize) -> f64 {
    pearson(&ranks(sim.draws.column(i)), &ranks(sim.draws.column(j))).unwrap()
}

#[test]
fn correlated_inputs_reach_their_rank_correlation_with_exact_marginals() {
    let text = CORRELATED.replace(
        "CORRELATE",
        "[[correlate]]\nparams = [\"sectors.a.elasticity\", \"sectors.b.elasticity\"]\nrho = 0.6\n\n\
         [[correlate]]\nparams = [\"adoption.log_drift\", \"sectors.c.elasticity\"]\nrho = -0.4\n",
    );
    let m = model(&text);
    let n = 100_000;
    let (sim, _) = run(&m, n, 61);
    // Columns: adoption.log_drift, sectors.a/b/c.elasticity.
    let s_ab = spearman(&sim, 1, 2);
    let s_dc = spearman(&sim, 0, 3);
    assert!((s_ab - 0.6).abs() < 0.02, "spearman(a, b) = {s_ab}");
    assert!((s_dc + 0.4).abs() < 0.02, "spearman(drift, c) = {s_dc}");
    assert!(
        spearman(&sim, 1, 3).abs() < 4.0 / (n as f64).sqrt(),
        "independent pair"
    );
    // Each marginal is exact: the share of draws below each quantile is its level.
    for (column, d) in m.uncertain_parameters().iter().enumerate() {
        let draws = sim.draws.column(column);
        for p in [0.05, 0.25, 0.5, 0.75, 0.95] {
            let q = d.distribution.quantile(p);
            let share = draws.iter().filter(|&&x| x <= q).count() as f64 / n as f64;
            within_4se(
                &format!("{} below q({p})", d.path),
                share,
                p,
                proportion_se(p, n),
            );
        }
    }
}

#[test]
fn correlated_runs_are_deterministic_across_threads() {
    let text = CORRELATED.replace(
        "CORRELATE",
        "[[correlate]]\nparams = [\"sectors.a.elasticity\", \"sectors.b.elasticity\", \"sectors.c.elasticity\"]\nrho = 0.5\n",
    );
    let m = model(&text);
    let one = boomsim::engine::simulate(
        &m,
        &boomsim::engine::RunConfig {
            paths: 3_000,
            seed: 2,
            threads: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let two = boomsim::engine::simulate(
        &m,
        &boomsim::engine::RunConfig {
            paths: 3_000,
            seed: 2,
            threads: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(one.draws, two.draws);
    assert_eq!(one.total_return, two.total_return);
}

fn correlate_error(block: &str) -> String {
    let text = CORRELATED.replace("CORRELATE", block);
    match parse_model(&text, "c.toml") {
        Ok(_) => panic!("accepted {block}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn correlate_errors_name_the_parameter() {
    let e = correlate_error(
        "[[correlate]]\nparams = [\"sectors.a.elasticty\", \"sectors.b.elasticity\"]\nrho = 0.5",
    );
    assert!(
        e.contains("c.toml:20:") && e.contains("did you mean `sectors.a.elasticity`?"),
        "{e}"
    );
    let e = correlate_error(
        "[[correlate]]\nparams = [\"sectors.a.drift\", \"sectors.b.elasticity\"]\nrho = 0.5",
    );
    assert!(e.contains("`sectors.a.drift` is a constant"), "{e}");
    let e = correlate_error(
        "[[correlate]]\nparams = [\"sectors.a.elasticity\", \"sectors.b.elasticity\"]\nrho = 1.5",
    );
    assert!(e.contains("must lie within [-1, 1]"), "{e}");
    // A parameter in two tables: each table is a copula of its own.
    let e = correlate_error(
        "[[correlate]]\nparams = [\"sectors.a.elasticity\", \"sectors.b.elasticity\"]\nrho = 0.9\n\
         [[correlate]]\nparams = [\"sectors.b.elasticity\", \"sectors.c.elasticity\"]\nrho = 0.9\n",
    );
    assert!(
        e.contains("`sectors.b.elasticity` is already in [[correlate]] table 0"),
        "{e}"
    );
    let e = correlate_error(
        "[[correlate]]\nparams = [\"sectors.a.elasticity\", \"sectors.b.elasticity\", \"sectors.c.elasticity\"]\n\
         rho = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]\n",
    );
    assert!(e.contains("not consistent"), "{e}");
    let e = correlate_error("[[correlate]]\nparams = [\"sectors.a.elasticity\"]\nrho = 0.5");
    assert!(e.contains("at least two"), "{e}");
}

#[test]
fn describe_lists_every_uncertain_parameter() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("m.toml"),
        boomsim::model::DEFAULT_MODEL_TEXT,
    )
    .unwrap();
    let out = boomsim(dir.path(), &["describe", "m.toml", "--csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "parameter,distribution,mean,sd,moments,p01,p05,p25,p50,p75,p95,p99,min,max,histogram,note"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 21);
    assert!(rows[0].starts_with("adoption.ceiling,2.5 to 10,"));
    // "2.5 to 10" is lognormal with p05 = 2.5 and p95 = 10, exactly.
    let cells: Vec<&str> = rows[0].split(',').collect();
    assert_eq!(cells[4], "exact");
    assert!((cells[6].parse::<f64>().unwrap() - 2.5).abs() < 1e-9);
    assert!((cells[10].parse::<f64>().unwrap() - 10.0).abs() < 1e-9);
    let table = boomsim(dir.path(), &["describe", "m.toml"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("sectors.ml_ai.elasticity"));
}

#[test]
fn dist_describes_one_string_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &["dist", "normal(0, 1) in [0, 5]", "--bins", "8"],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sampled: 100000 draws, seed 1"), "{text}");
    assert!(text.contains("support [0, 5]"), "{text}");
    assert_eq!(text.lines().filter(|l| l.contains(" .. ")).count(), 8);
    let out = boomsim(dir.path(), &["dist", "gama(2, 1)"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `gamma`?"));
}

#[test]
fn empirical_files_are_relative_to_the_model() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("models")).unwrap();
    fs::write(dir.path().join("models/hist.csv"), "g\n0.01\n0.02\n0.03\n").unwrap();
    let text = CORRELATED.replace("CORRELATE", "").replace(
        "elasticity = \"1 to 2\"",
        "elasticity = 1\ndrift = 'empirical(\"hist.csv\", \"g\")'",
    );
    fs::write(dir.path().join("models/m.toml"), text).unwrap();
    let out = boomsim(dir.path(), &["check", "models/m.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sectors.a.drift"));
    fs::remove_file(dir.path().join("models/hist.csv")).unwrap();
    let out = boomsim(dir.path(), &["check", "models/m.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sectors.a.drift: cannot read models/hist.csv"),
        "{err}"
    );
}

#[test]
fn extends_merges_tables_and_replaces_keys_through_a_chain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("base.toml"), boomsim::model::DEFAULT_MODEL_TEXT).unwrap();
    fs::create_dir(d.join("variants")).unwrap();
    fs::write(
        d.join("variants/mid.toml"),
        "extends = \"../base.toml\"\n[model]\nname = \"mid\"\n[adoption]\nceiling = \"4 to 12\"\n",
    )
    .unwrap();
    fs::write(
        d.join("variants/top.toml"),
        "extends = \"mid.toml\"\n[sectors.ml_ai]\nelasticity = 1.3\n",
    )
    .unwrap();
    let (m, bytes) = boomsim::model::load_file(&d.join("variants/top.toml"), &[]).unwrap();
    assert_eq!(m.name, "mid", "a key of the middle file");
    let ml = m.sectors.iter().find(|s| s.name == "ml_ai").unwrap();
    assert!(ml.elasticity.is_constant(), "the top file's key replaces");
    assert_eq!(
        ml.lag_years, 0.5,
        "the base's other keys of the table remain"
    );
    let ceiling = m.adoption.values[0].as_ref().unwrap();
    assert_eq!(ceiling.text(), "4 to 12");
    assert_eq!(
        m.adoption.values[1].as_ref().unwrap().text(),
        "0.35 to 0.8",
        "rate from the base"
    );
    assert_eq!(m.assets.len(), 10);
    // The manifest hashes every text of the chain.
    assert!(bytes.len() > boomsim::model::DEFAULT_MODEL_TEXT.len());
}

#[test]
fn extends_cycles_and_missing_bases_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    fs::write(d.join("b.toml"), "extends = \"a.toml\"\n").unwrap();
    let out = boomsim(d, &["check", "a.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("b.toml:1:11: extends: `extends` makes a cycle"),
        "{err}"
    );
    fs::write(d.join("c.toml"), "extends = \"nowhere.toml\"\n").unwrap();
    let out = boomsim(d, &["check", "c.toml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("c.toml:1:11: extends: cannot read nowhere.toml"),
        "{err}"
    );
}

#[test]
fn set_overrides_a_key_and_a_bad_one_names_the_argument() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("m.toml"), boomsim::model::DEFAULT_MODEL_TEXT).unwrap();
    let out = boomsim(
        d,
        &[
            "check",
            "m.toml",
            "--set",
            "sectors.ml_ai.elasticity=normal(1.3, 0.2)",
            "--set",
            "model.horizon_years=5",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("5 years x 4 steps/year = 20 steps"), "{text}");
    assert!(text.contains("normal(1.3, 0.2)"), "{text}");

    let out = boomsim(
        d,
        &["check", "m.toml", "--set", "sectors.ml_ai.elasticty=2"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--set:1:15: sectors.ml_ai.elasticty: unknown key"),
        "{err}"
    );
    assert!(
        err.contains("sectors.ml_ai.elasticty=2"),
        "the argument is shown: {err}"
    );
    let out = boomsim(d, &["check", "m.toml", "--set", "model.horizon_years"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no `=`"));

    // On run: the override changes the result, and the manifest records it.
    let plain = boomsim(d, &["run", "m.toml", "--paths", "500", "--out", "plain"]);
    assert!(plain.status.success());
    let set = boomsim(
        d,
        &[
            "run",
            "m.toml",
            "--paths",
            "500",
            "--out",
            "set",
            "--set",
            "adoption.ceiling=\"8 to 12\"",
        ],
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    assert_ne!(
        fs::read(d.join("plain/summary.csv")).unwrap(),
        fs::read(d.join("set/summary.csv")).unwrap()
    );
    let manifest = fs::read_to_string(d.join("set/manifest.json")).unwrap();
    assert!(
        manifest.contains("adoption.ceiling=\\\"8 to 12\\\""),
        "{manifest}"
    );
}

fn params(d: &boomsim::distribution::Distribution) -> Vec<f64> {
    use boomsim::distribution::Family::*;
    match d.family() {
        Normal { mean, sd } => vec![*mean, *sd],
        LogNormal { mu, sigma } => vec![*mu, *sigma],
        Gamma { shape, scale } => vec![*shape, *scale],
        Uniform { lo, hi } => vec![*lo, *hi],
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn fit_from_the_quantiles_of_a_known_distribution_recovers_it() {
    use boomsim::distribution::Distribution;
    use boomsim::distribution::fit::{FitFamily, from_quantiles};
    for (text, family, levels) in [
        ("normal(1.5, 0.3)", FitFamily::Normal, (0.05, 0.95)),
        ("lognormal(0.2, 0.5)", FitFamily::LogNormal, (0.1, 0.8)),
        ("gamma(3, 0.5)", FitFamily::Gamma, (0.1, 0.9)),
        ("uniform(1, 4)", FitFamily::Uniform, (0.25, 0.5)),
    ] {
        let truth = Distribution::parse(text).unwrap();
        let (p1, p2) = levels;
        let fitted = from_quantiles(
            (p1, truth.quantile(p1)),
            (p2, truth.quantile(p2)),
            Some(family),
        )
        .unwrap();
        for (got, want) in params(&fitted).iter().zip(params(&truth)) {
            assert!(
                (got - want).abs() < 1e-6 * want.abs().max(1.0),
                "{text}: got {}",
                fitted.text()
            );
        }
    }
    assert_eq!(
        boomsim::distribution::fit::pert(1.0, 1.3, 2.0)
            .unwrap()
            .text(),
        "pert(1, 1.3, 2)"
    );
}

#[test]
fn fit_from_a_sample_ranks_its_family_first() {
    use boomsim::distribution::Distribution;
    use boomsim::distribution::fit::{FitFamily, from_data};
    use boomsim::random::{Stream, path_rng};
    for (i, (text, family)) in [
        ("gamma(2.5, 0.4)", FitFamily::Gamma),
        ("lognormal(0, 0.6)", FitFamily::LogNormal),
        ("normal(5, 1)", FitFamily::Normal),
        ("beta(2, 5)", FitFamily::Beta),
        ("uniform(0, 3)", FitFamily::Uniform),
        ("pareto(1, 3)", FitFamily::Pareto),
    ]
    .into_iter()
    .enumerate()
    {
        let truth = Distribution::parse(text).unwrap();
        let mut rng = path_rng(70 + i as u64, 0, Stream::Boom);
        let data: Vec<f64> = (0..3_000).map(|_| truth.sample(&mut rng)).collect();
        let fits = from_data(&data).unwrap();
        assert_eq!(
            fits[0].family,
            family,
            "{text}: ranked {:?}",
            fits.iter()
                .map(|f| f.distribution.text().to_string())
                .collect::<Vec<_>>()
        );
        // The winner is not rejected by Kolmogorov-Smirnov at 1% (critical value 1.63/sqrt(n)).
        assert!(
            fits[0].ks < 1.63 / (3_000f64).sqrt(),
            "{text}: KS {}",
            fits[0].ks
        );
    }
}

#[test]
fn fit_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(dir.path(), &["fit", "--p05", "1", "--p95", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("lognormal("), "{text}");
    assert!(text.contains("the same as \"1 to 2\""), "{text}");
    fs::write(dir.path().join("d.csv"), "x\n1\n2\n2.5\n3\n4.5\n").unwrap();
    let out = boomsim(dir.path(), &["fit", "--data", "d.csv", "--column", "x"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ranked by AIC"));
    // An incomplete mode is a bad command line (exit 2), like clap's own errors.
    let out = boomsim(dir.path(), &["fit", "--p05", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly two quantiles"));
}

/// The model guide's worked example (models/README.md) is a model that checks, describes and
/// runs, with its copula and market stated by `describe`.
#[test]
fn the_model_guides_worked_example_runs() {
    let guide = fs::read_to_string("models/README.md").unwrap();
    let start = guide
        .find("cat > models/strong-ai.toml <<'TOML'\n")
        .unwrap();
    let body = &guide[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let text = &body[..body.find("\nTOML\n").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    fs::create_dir(&models).unwrap();
    fs::copy("models/python-5x.toml", models.join("python-5x.toml")).unwrap();
    fs::write(models.join("strong-ai.toml"), text).unwrap();
    let check = boomsim(dir.path(), &["check", "models/strong-ai.toml"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let describe = boomsim(dir.path(), &["describe", "models/strong-ai.toml"]);
    let out = String::from_utf8_lossy(&describe.stdout);
    assert!(out.contains("table 1 (clayton copula"), "{out}");
    assert!(out.contains("market factor over the horizon"), "{out}");
    let run = boomsim(
        dir.path(),
        &["run", "models/strong-ai.toml", "--paths", "2000", "--quiet"],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(dir.path().join("output/strong-ai/summary.csv").is_file());
}
