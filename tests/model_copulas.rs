//! `[[correlate]]` copulas (docs/model.md §2) against their closed forms, at fixed seeds and
//! within the Monte Carlo error of 200,000 draws: Kendall's tau, the joint tail probabilities
//! C(u, u) at u = 0.02 (and the upper ones for Gumbel and t), exact marginals (Kolmogorov-
//! Smirnov), flips, Latin hypercube on the underlying draws; and each bad table a located error.

mod common;

use boomsim::distribution::copula::sample_kendall_tau;
use boomsim::engine::{RunConfig, Sampling, simulate};
use boomsim::model::{Model, parse_model};
use common::model;

/// Three sectors whose elasticities are the correlated parameters, with three marginals.
const BASE: &str = r#"
[model]
name = "copula"
horizon_years = 1
steps_per_year = 1
[adoption]
process = "gbm"
log_drift = 0.1
[sectors.a]
elasticity = "uniform(0, 1)"
[sectors.b]
elasticity = "normal(0, 1)"
[sectors.c]
elasticity = "lognormal(0, 0.5)"
[groups.g]
[assets.x]
group = "g"
exposure = { a = 0.3, b = 0.3, c = 0.3 }
"#;

const A: &str = "sectors.a.elasticity";
const B: &str = "sectors.b.elasticity";
const C: &str = "sectors.c.elasticity";

fn with(table: &str) -> Model {
    model(&format!("{BASE}\n[[correlate]]\n{table}\n"))
}

/// The draws of the three elasticities over `n` paths.
fn draws(m: &Model, n: usize, sampling: Sampling) -> Vec<Vec<f64>> {
    let sim = simulate(
        m,
        &RunConfig {
            paths: n,
            seed: 17,
            threads: Some(2),
            sampling,
        },
    )
    .unwrap();
    let names = m.drivers();
    [A, B, C]
        .iter()
        .map(|p| {
            let k = names.iter().position(|n| n == p).unwrap();
            sim.draws.column(k).to_vec()
        })
        .collect()
}

/// Each draw's marginal CDF value: the copula's uniforms.
fn uniforms(m: &Model, d: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let params = m.uncertain_parameters();
    [A, B, C]
        .iter()
        .zip(d)
        .map(|(p, column)| {
            let dist = params.iter().find(|q| q.path == *p).unwrap().distribution;
            column.iter().map(|&x| dist.cdf(x)).collect()
        })
        .collect()
}

/// Kendall's tau of two columns, and its standard error from 20 batches.
fn tau_and_se(x: &[f64], y: &[f64]) -> (f64, f64) {
    let tau = sample_kendall_tau(x, y);
    let b = 20;
    let size = x.len() / b;
    let parts: Vec<f64> = (0..b)
        .map(|k| sample_kendall_tau(&x[k * size..(k + 1) * size], &y[k * size..(k + 1) * size]))
        .collect();
    let mean = parts.iter().sum::<f64>() / b as f64;
    let sd = (parts.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (b - 1) as f64).sqrt();
    (tau, sd / (b as f64).sqrt())
}

/// The share of paths where both uniforms are below u (lower) or above 1 - u (upper).
fn joint(x: &[f64], y: &[f64], u: f64, upper: bool) -> f64 {
    x.iter()
        .zip(y)
        .filter(|(a, b)| {
            if upper {
                **a > 1.0 - u && **b > 1.0 - u
            } else {
                **a < u && **b < u
            }
        })
        .count() as f64
        / x.len() as f64
}

/// The largest gap between the draws' empirical CDF and their uniform's (a KS distance).
fn ks(u: &[f64]) -> f64 {
    let mut v = u.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    v.iter()
        .enumerate()
        .map(|(i, &x)| (x - i as f64 / n).abs().max(((i + 1) as f64 / n - x).abs()))
        .fold(0.0, f64::max)
}

/// Checks a copula's draws against its closed forms.
fn check(table: &str, sampling: Sampling) {
    let m = with(table);
    let n = 200_000;
    let d = draws(&m, n, sampling);
    let u = uniforms(&m, &d);
    let copula = &m.copulas[0].copula;
    // Marginals exact: KS distance below its 0.1% critical value, 1.95 / sqrt(n).
    for (k, column) in u.iter().enumerate() {
        assert!(
            ks(column) < 1.95 / (n as f64).sqrt(),
            "{table}: marginal {k}"
        );
    }
    for (i, j) in [(0, 1), (0, 2), (1, 2)] {
        let (tau, se) = tau_and_se(&d[i], &d[j]);
        let want = copula.kendall_tau(i, j);
        assert!(
            (tau - want).abs() <= 4.0 * se + 1e-3,
            "{table}: tau({i},{j}) {tau} vs {want} (se {se})"
        );
        let uu = 0.02;
        for upper in [false, true] {
            let got = joint(&u[i], &u[j], uu, upper);
            let want = if upper {
                copula.joint_upper(i, j, uu)
            } else {
                copula.joint_lower(i, j, uu)
            };
            let se = (want * (1.0 - want) / n as f64).sqrt();
            assert!(
                (got - want).abs() <= 4.0 * se,
                "{table}: C({uu}) {} {got} vs {want} (se {se})",
                if upper { "upper" } else { "lower" }
            );
        }
    }
}

const ALL: &str =
    "params = [\"sectors.a.elasticity\", \"sectors.b.elasticity\", \"sectors.c.elasticity\"]";

#[test]
fn a_gaussian_copula_by_spearman_or_kendall() {
    check(&format!("{ALL}\nrho = 0.6"), Sampling::default());
    check(
        &format!("{ALL}\ntau = [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]]"),
        Sampling::default(),
    );
}

#[test]
fn a_t_copula_has_joint_extremes_in_both_tails() {
    check(
        &format!("{ALL}\ncopula = \"t\"\ntau = 0.4\ndf = 3"),
        Sampling::default(),
    );
}

#[test]
fn clayton_joins_the_lows_and_gumbel_the_highs() {
    check(
        &format!("{ALL}\ncopula = \"clayton\"\ntau = 0.5"),
        Sampling::default(),
    );
    check(
        &format!("{ALL}\ncopula = \"gumbel\"\ntau = 0.5"),
        Sampling::default(),
    );
}

#[test]
fn latin_hypercube_stratifies_the_underlying_draws_and_keeps_the_copula() {
    let lhs = Sampling {
        latin_hypercube: true,
        antithetic: false,
    };
    check(&format!("{ALL}\ncopula = \"clayton\"\ntau = 0.5"), lhs);
    check(&format!("{ALL}\ncopula = \"gumbel\"\ntau = 0.3"), lhs);
    check(&format!("{ALL}\ncopula = \"t\"\ntau = 0.4\ndf = 4"), lhs);
}

#[test]
fn a_flipped_parameter_moves_against_the_others() {
    let m = with(&format!(
        "{ALL}\ncopula = \"clayton\"\ntau = 0.5\nflip = [\"sectors.b.elasticity\"]"
    ));
    let d = draws(&m, 50_000, Sampling::default());
    let (tau_ab, se) = tau_and_se(&d[0], &d[1]);
    assert!((tau_ab + 0.5).abs() < 4.0 * se + 1e-3, "{tau_ab}");
    let (tau_ac, se) = tau_and_se(&d[0], &d[2]);
    assert!((tau_ac - 0.5).abs() < 4.0 * se + 1e-3, "{tau_ac}");
    // Flipped by 1 - U, not a survival copula: the lows of a still come with the highs of b.
    assert_eq!(m.copulas[0].copula.kendall_tau(0, 1), -0.5);
}

fn error(table: &str) -> String {
    parse_model(&format!("{BASE}\n[[correlate]]\n{table}\n"), "c.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn every_bad_table_is_a_located_error_with_a_way_out() {
    for (table, says) in [
        (
            format!("{ALL}\ncopula = \"clayton\"\ntau = -0.2"),
            "`tau` must lie between 0 and 1",
        ),
        (
            format!("{ALL}\ncopula = \"gaussian\"\ntau = 1"),
            "`tau` must lie between -1 and 1",
        ),
        (
            format!(
                "{ALL}\ncopula = \"clayton\"\ntau = [[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]]"
            ),
            "exchangeable: one `tau` for every pair",
        ),
        (
            format!("{ALL}\ncopula = \"t\"\ntau = 0.4"),
            "missing key `df`",
        ),
        (
            format!("{ALL}\ncopula = \"t\"\ntau = 0.4\ndf = 0.5"),
            "`df` must be >= 1",
        ),
        (
            format!("{ALL}\ncopula = \"gumbel\"\nrho = 0.4"),
            "is given by `tau`",
        ),
        (
            format!("{ALL}\ncopula = \"frank\"\ntau = 0.4"),
            "unknown copula `frank`",
        ),
        (
            format!("{ALL}\ncopula = \"claytn\"\ntau = 0.4"),
            "did you mean `clayton`?",
        ),
        (
            format!("{ALL}\nrho = 0.4\ntau = 0.3"),
            "give `rho` or `tau`, not both",
        ),
        (
            format!("{ALL}\nrho = 0.4\ndf = 3"),
            "`df` is a t copula's degrees of freedom",
        ),
        (
            format!("{ALL}\nrho = 0.4\nflip = [\"adoption.log_drift\"]"),
            "is not among this table's `params`",
        ),
        (
            format!("{ALL}\ntau = [[1, 0.5], [0.5, 1]]"),
            "`tau` has 2 rows; the table has 3 parameters",
        ),
        (
            format!("{ALL}\ntau = [[1, 0.5, 0.2], [0.4, 1, 0.3], [0.2, 0.3, 1]]"),
            "is not symmetric",
        ),
    ] {
        let e = error(&table);
        assert!(e.contains("c.toml:"), "{e}");
        assert!(e.contains(says), "{table}:\n{e}");
    }
}

#[test]
fn an_impossible_matrix_gets_the_nearest_valid_one_ready_to_paste() {
    let bad = "tau = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]";
    let e = error(&format!("{ALL}\n{bad}"));
    assert!(e.contains("not consistent"), "{e}");
    assert!(e.contains("Higham"), "{e}");
    assert!(
        e.contains("each entry moved: sectors.a.elasticity ~ sectors.b.elasticity: 0.9 ->"),
        "{e}"
    );
    // The printed matrix, pasted in, is accepted.
    let line = e
        .lines()
        .find(|l| l.trim_start().starts_with("tau = [["))
        .expect("a matrix to paste")
        .trim_start()
        .trim_start_matches("= help: ")
        .to_string();
    let m = with(&format!("{ALL}\n{line}"));
    assert_eq!(m.copulas.len(), 1);
}

/// `describe` says what each table and the market factor mean: Kendall's tau and the joint
/// extremes of each pair (closed form beside the draws), and the market's total return and
/// chance of a crash over the horizon.
#[test]
fn describe_states_each_copula_and_the_market() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{BASE}\n[market]\nvolatility = 0.16\ncrash_rate = 0.1\ncrash_size = \"normal(-0.3, 0.1)\"\n\
         [[correlate]]\nparams = [\"{A}\", \"{B}\"]\ncopula = \"clayton\"\ntau = 0.5\n"
    );
    std::fs::write(dir.path().join("m.toml"), text).unwrap();
    let out = common::boomsim(dir.path(), &["describe", "m.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // Clayton at tau 0.5 has theta = 2 tau / (1 - tau) = 2 and lower tail dependence
    // 2^(-1/theta) = 0.707, upper 0.
    let pair = text
        .lines()
        .find(|l| l.contains(&format!("{A} ~ {B}")))
        .unwrap_or_else(|| panic!("no pair line in:\n{text}"));
    assert!(pair.contains("Kendall tau 0.500"), "{pair}");
    assert!(
        pair.contains("tail dependence lower 0.707, upper 0.000"),
        "{pair}"
    );
    assert!(text.contains("table 1 (clayton copula"), "{text}");
    // One year at 0.1 crashes a year: 1 - exp(-0.1) = 9.5% chance of at least one.
    let market = text
        .lines()
        .find(|l| l.starts_with("market factor"))
        .unwrap();
    assert!(
        market.contains("a 9.5% chance of at least one crash"),
        "{market}"
    );
}
