//! Statistical correctness of every distribution form of docs/model.md §2: at a fixed seed, the
//! share of draws below each exact (statrs) quantile q_p is within 4 standard errors
//! (sqrt(p (1 - p) / N)) of p. A sampler with a wrong parameterisation fails this at
//! N = 100,000 by dozens of standard errors.

mod common;

use boomsim::distribution::Distribution;
use boomsim::random::{Stream, path_rng};
use common::{proportion_se, within_4se};

const N: usize = 100_000;
const LEVELS: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

fn check(text: &str, seed: u64) {
    let d = Distribution::parse(text).unwrap();
    let mut rng = path_rng(seed, 0, Stream::Boom);
    let draws: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
    for p in LEVELS {
        let q = d.quantile(p);
        let below = draws.iter().filter(|&&x| x <= q).count() as f64 / N as f64;
        within_4se(
            &format!("{text}: share below q({p}) = {q}"),
            below,
            p,
            proportion_se(p, N),
        );
    }
}

#[test]
fn normal_matches_its_quantiles() {
    check("normal(1.4, 0.3)", 11);
}

#[test]
fn lognormal_matches_its_quantiles() {
    check("lognormal(0.5, 0.8)", 12);
}

#[test]
fn uniform_matches_its_quantiles() {
    check("uniform(-2, 3)", 13);
}

#[test]
fn triangular_matches_its_quantiles() {
    check("triangular(1, 2, 6)", 14);
    check("triangular(0, 0, 1)", 15);
}

#[test]
fn pert_matches_its_quantiles() {
    check("pert(1, 2, 6)", 16);
    check("pert(0, 1, 1)", 17);
}

#[test]
fn beta_matches_its_quantiles() {
    check("beta(2, 5)", 18);
    check("beta(0.5, 0.5)", 19);
}

#[test]
fn positive_interval_is_lognormal_with_those_percentiles() {
    check("2 to 10", 20);
    let d = Distribution::parse("2 to 10").unwrap();
    assert!((d.quantile(0.05) - 2.0).abs() < 1e-9 && (d.quantile(0.95) - 10.0).abs() < 1e-9);
}

#[test]
fn signed_interval_is_normal_with_those_percentiles() {
    check("-0.1 to 0.3", 21);
    let d = Distribution::parse("-0.1 to 0.3").unwrap();
    assert!((d.quantile(0.05) + 0.1).abs() < 1e-9 && (d.quantile(0.95) - 0.3).abs() < 1e-9);
}

#[test]
fn constant_always_draws_itself() {
    let d = Distribution::parse("1.5").unwrap();
    let mut rng = path_rng(1, 0, Stream::Boom);
    assert!((0..100).all(|_| d.sample(&mut rng) == 1.5));
}

#[test]
fn pert_mean_is_the_lambda_4_formula() {
    // Beta-PERT with lambda = 4 has mean (min + 4 mode + max) / 6.
    let d = Distribution::parse("pert(1, 2, 6)").unwrap();
    let mut rng = path_rng(5, 0, Stream::Boom);
    let draws: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
    let mean = draws.iter().sum::<f64>() / N as f64;
    let sd = (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (N - 1) as f64).sqrt();
    within_4se(
        "pert mean",
        mean,
        (1.0 + 8.0 + 6.0) / 6.0,
        sd / (N as f64).sqrt(),
    );
}

#[test]
fn gamma_matches_its_quantiles() {
    check("gamma(2.5, 0.4)", 31);
}

#[test]
fn student_t_matches_its_quantiles() {
    check("student_t(3, 1, 0.5)", 32);
}

#[test]
fn pareto_matches_its_quantiles() {
    check("pareto(2, 3)", 33);
    // F(x) = 1 - (scale / x)^shape: the median is scale * 2^(1 / shape).
    let d = Distribution::parse("pareto(2, 3)").unwrap();
    assert!((d.quantile(0.5) - 2.0 * libm::pow(2f64, 1.0 / 3.0)).abs() < 1e-12);
}

#[test]
fn mixture_matches_its_quantiles() {
    check("mix(0.3: normal(0, 1), 0.7: lognormal(1, 0.3))", 34);
}

#[test]
fn truncation_matches_its_quantiles() {
    check("normal(0.1, 0.2) in [0, 1]", 35);
    check("2 to 10 in [3, 8]", 36);
}

/// Discrete forms: the share of each value within 4 standard errors of its probability.
fn check_shares(text: &str, want: &[(f64, f64)], seed: u64) {
    let d = Distribution::parse(text).unwrap();
    let mut rng = path_rng(seed, 0, Stream::Boom);
    let draws: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
    for &(value, p) in want {
        let share = draws.iter().filter(|&&x| x == value).count() as f64 / N as f64;
        within_4se(
            &format!("{text}: share of {value}"),
            share,
            p,
            proportion_se(p, N),
        );
    }
    let total: f64 = want.iter().map(|(_, p)| p).sum();
    assert!((total - 1.0).abs() < 1e-12, "every value listed");
}

#[test]
fn bernoulli_draws_one_with_probability_p() {
    check_shares("bernoulli(0.3)", &[(0.0, 0.7), (1.0, 0.3)], 37);
}

#[test]
fn discrete_draws_each_value_with_its_probability() {
    check_shares(
        "discrete(1: 0.2, 5: 0.5, 9: 0.3)",
        &[(1.0, 0.2), (5.0, 0.5), (9.0, 0.3)],
        38,
    );
    check_shares(
        "discrete(1: 0.2, 5: 0.5, 9: 0.3) in [4, 10]",
        &[(5.0, 0.625), (9.0, 0.375)],
        39,
    );
}

#[test]
fn empirical_resamples_its_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.csv"), "growth\n0.1\n0.2\n0.2\n0.5\n").unwrap();
    let d = Distribution::parse_in("empirical(\"g.csv\", \"growth\")", Some(dir.path())).unwrap();
    check_shares_of(&d, &[(0.1, 0.25), (0.2, 0.5), (0.5, 0.25)], 40);
    assert_eq!(d.moments().unwrap().0, 0.25);
    assert_eq!(
        (d.quantile(0.25), d.quantile(0.26), d.quantile(1.0)),
        (0.1, 0.2, 0.5)
    );
}

fn check_shares_of(d: &Distribution, want: &[(f64, f64)], seed: u64) {
    let mut rng = path_rng(seed, 0, Stream::Boom);
    let draws: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
    for &(value, p) in want {
        let share = draws.iter().filter(|&&x| x == value).count() as f64 / N as f64;
        within_4se(&format!("share of {value}"), share, p, proportion_se(p, N));
    }
}

#[test]
fn exact_moments_match_the_sample() {
    for (i, text) in [
        "gamma(2, 3)",
        "student_t(5, 1, 2)",
        "pareto(1, 4)",
        "mix(0.5: normal(0, 1), 0.5: uniform(2, 4))",
    ]
    .iter()
    .enumerate()
    {
        let d = Distribution::parse(text).unwrap();
        let (mean, sd) = d.moments().unwrap();
        let mut rng = path_rng(50 + i as u64, 0, Stream::Boom);
        let draws: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
        let m = draws.iter().sum::<f64>() / N as f64;
        within_4se(&format!("{text} mean"), m, mean, sd / (N as f64).sqrt());
    }
}
