//! The market factor (docs/model.md §3) against its closed form, at fixed seeds and within the
//! Monte Carlo error: alone, an asset's log price at the horizon is a Poisson mixture of
//! normals; its compensator keeps the mean return at what expected_return says; a beta of 0
//! gives exactly the model without a market; every bad key is a located error.

mod common;

use boomsim::engine::{RunConfig, Sampling, simulate};
use boomsim::model::Model;
use boomsim::stats::summary::summarise;
use common::{model, row, within_4se};

/// One asset with no sector exposure, no idiosyncratic volatility, expected return 0 and
/// beta `beta`: its price is exp(beta X_M(t) - c t), nothing else.
fn market_only(beta: f64, with_market: bool) -> String {
    let market = if with_market {
        "[market]\nvolatility = 0.16\ncrash_rate = 0.1\ncrash_size = \"normal(-0.3, 0.1)\"\n"
    } else {
        ""
    };
    let beta = if with_market {
        format!("beta = {beta}\n")
    } else {
        String::new()
    };
    format!(
        r#"
[model]
name = "market"
horizon_years = 10
steps_per_year = 4
[adoption]
process = "gbm"
log_drift = 0.1
[sectors.s]
elasticity = 1
[groups.g]
[assets.a]
group = "g"
exposure = {{ s = 0.0 }}
{beta}[assets.b]
group = "g"
exposure = {{ s = 1.0 }}
volatility = 0.2
{market}"#
    )
}

fn run(m: &Model, paths: usize, seed: u64, sampling: Sampling) -> boomsim::engine::Simulation {
    simulate(
        m,
        &RunConfig {
            paths,
            seed,
            threads: Some(2),
            sampling,
        },
    )
    .unwrap()
}

#[test]
fn the_market_alone_is_a_poisson_mixture_of_normals_and_its_mean_is_compensated() {
    let m = model(&market_only(1.0, true));
    let market = m.market.clone().unwrap();
    let n = 200_000;
    let sim = run(&m, n, 11, Sampling::default());
    let rows = summarise(&m, &sim);
    let a = row(&rows, "a");
    let t = m.horizon_years;
    let c = market.compensator(1.0);
    // The total return's p-quantile: exp(q_p(X_M) - c t) - 1.
    for (p, got) in [(0.05, a.p05), (0.5, a.p50), (0.95, a.p95)] {
        let q = market.log_return_quantile(t, p);
        let want = libm::exp(q - c * t) - 1.0;
        // The order statistic's error: sqrt(p (1 - p) / n) over the density of the return.
        let h = 1e-4;
        let density =
            (market.log_return_cdf(t, q + h) - market.log_return_cdf(t, q - h)) / (2.0 * h);
        let se = (p * (1.0 - p) / n as f64).sqrt() / density * libm::exp(q - c * t);
        within_4se(&format!("p{p}"), got, want, se);
    }
    // The compensator: E[exp(X_M(t) - c t)] = 1, so the mean return is 0.
    within_4se("mean_return", a.mean_return, 0.0, a.mcse_mean.unwrap());
    // The chance of at least one crash over the horizon, against the paths'.
    let crashed = sim
        .draws
        .column(m.drivers().len() - 1)
        .iter()
        .filter(|&&x| x < -0.0)
        .count();
    assert!(crashed > 0);
    assert!((market.crash_chance(t) - (1.0 - libm::exp(-1.0))).abs() < 1e-12);
}

#[test]
fn a_beta_of_zero_gives_exactly_the_model_without_a_market() {
    let with = model(&market_only(0.0, true).replace(
        "[assets.b]\ngroup = \"g\"",
        "[assets.b]\nbeta = 0\ngroup = \"g\"",
    ));
    let without = model(&market_only(0.0, false));
    for sampling in [
        Sampling::default(),
        Sampling {
            latin_hypercube: false,
            antithetic: true,
        },
    ] {
        let (a, b) = (
            run(&with, 3000, 5, sampling),
            run(&without, 3000, 5, sampling),
        );
        assert_eq!(a.total_return, b.total_return);
        assert_eq!(a.max_drawdown, b.max_drawdown);
        assert_eq!(summarise(&with, &a), summarise(&without, &b));
        // The market's total return is a driver of its own: the only extra column.
        assert_eq!(a.draws.width(), b.draws.width() + 1);
    }
}

#[test]
fn antithetic_pairs_mirror_the_markets_shocks() {
    let m = model(&market_only(1.0, true).replace("crash_rate = 0.1", "crash_rate = 0.0"));
    let anti = Sampling {
        latin_hypercube: false,
        antithetic: true,
    };
    let sim = run(&m, 64, 3, anti);
    let x = sim.draws.column(m.drivers().len() - 1);
    for pair in 0..32 {
        assert!((x[2 * pair] + x[2 * pair + 1]).abs() < 1e-12, "pair {pair}");
    }
}

#[test]
fn every_bad_market_key_is_a_located_error() {
    let base = market_only(1.0, true);
    for (from, to, says) in [
        (
            "volatility = 0.16",
            "volatility = -0.1",
            "market.volatility: `volatility` must be >= 0",
        ),
        (
            "crash_rate = 0.1",
            "crash_rate = -1",
            "market.crash_rate: `crash_rate` must be >= 0",
        ),
        (
            "crash_size = \"normal(-0.3, 0.1)\"",
            "crash_size = \"uniform(-0.5, -0.1)\"",
            "`crash_size` must be normal(m, s)",
        ),
        (
            "crash_size = \"normal(-0.3, 0.1)\"\n",
            "",
            "missing key `crash_size`",
        ),
        (
            "beta = 1\n",
            "beta = 12\n",
            "assets.a.beta: `beta` must lie within +-10",
        ),
        (
            "volatility = 0.16",
            "volatilty = 0.16",
            "did you mean `volatility`?",
        ),
    ] {
        let text = base.replace(from, to);
        assert_ne!(text, base, "{from}");
        let err = boomsim::model::parse_model(&text, "m.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{to}: {err}");
    }
    // A beta without a market moves nothing: an error, not a silently ignored key.
    let text = market_only(1.0, false).replace("[assets.b]", "[assets.b]\nbeta = 1.2");
    let err = boomsim::model::parse_model(&text, "m.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("assets.b.beta: `beta` is an asset's exposure to the market factor"),
        "{err}"
    );
}

#[test]
fn a_market_too_wild_to_compensate_is_refused_where_it_is_written() {
    // exp(beta m + beta^2 s^2 / 2) overflows: the compensator would be infinite, and every
    // price 0 on every path; refused at the crash size, not run.
    let text = market_only(1.0, true).replace("normal(-0.3, 0.1)", "normal(-0.3, 40)");
    let err = boomsim::model::parse_model(&text, "m.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("market.crash_size"), "{err}");
    assert!(err.contains("compensator"), "{err}");
    // Finite, but exp(-c_a H) = exp(-2.8e36): every price 0 on every path, while the mean is
    // 0 by construction; refused, saying how far it moves the log price.
    let text = market_only(10.0, true)
        .replace("normal(-0.3, 0.1)", "normal(3, 1)")
        .replace("crash_rate = 0.1", "crash_rate = 5");
    let err = boomsim::model::parse_model(&text, "m.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("moves the log price by c_a H = 2.77"), "{err}");
    assert!(err.contains("beyond 700"), "{err}");
    // A wild but finite market: every output finite (or the engine's overflow error).
    let m = model(&market_only(2.0, true).replace("volatility = 0.16", "volatility = 3"));
    if let Ok(sim) = simulate(
        &m,
        &RunConfig {
            paths: 512,
            seed: 1,
            threads: Some(1),
            ..Default::default()
        },
    ) {
        let rows = summarise(&m, &sim);
        assert!(boomsim::output::first_non_finite(&rows).is_none());
    }
}
