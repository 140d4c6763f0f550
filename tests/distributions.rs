//! Statistical correctness of every distribution form of MODEL.md §2: at a fixed seed, the
//! share of draws below each exact (statrs) quantile q_p is within 4 standard errors
//! (sqrt(p (1 - p) / N)) of p. A sampler with a wrong parameterisation fails this at
//! N = 100,000 by dozens of standard errors.

mod common;

use boomsim::distribution::Distribution;
use boomsim::engine::{Stream, path_rng};
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
