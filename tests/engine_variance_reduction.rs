//! Latin hypercube and antithetic sampling: they agree with plain Monte Carlo within its error,
//! and lower the standard error of mean_return where the README says they help. The standard
//! error of each method is measured across 40 independent seeds.

mod common;

use boomsim::engine::{RunConfig, Sampling, simulate};
use boomsim::model::Model;
use boomsim::stats::summary::summarise;
use common::{model, within_4se};

/// The mean total return of asset `a` in each of `reps` runs of `paths` paths.
fn means(m: &Model, sampling: Sampling, paths: usize, reps: u64) -> Vec<f64> {
    (0..reps)
        .map(|seed| {
            let config = RunConfig {
                paths,
                seed: 1000 + seed,
                threads: Some(2),
                sampling,
            };
            let sim = simulate(m, &config).unwrap();
            let rows = summarise(m, &sim);
            rows.iter().find(|r| r.name == "a").unwrap().mean_return
        })
        .collect()
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt(),
    )
}

const PARAMETER_DRIVEN: &str = r#"
[model]
name = "params"
horizon_years = 5
steps_per_year = 4
[adoption]
process = "gbm"
log_drift = "uniform(0, 0.4)"
volatility = 0.02
[sectors.s]
elasticity = "normal(1, 0.2)"
[groups.g]
[assets.a]
group = "g"
exposure = { s = 1.0 }
"#;

const SHOCK_DRIVEN: &str = r#"
[model]
name = "shocks"
horizon_years = 5
steps_per_year = 4
[adoption]
process = "gbm"
log_drift = 0.1
volatility = 0.1
[sectors.s]
elasticity = 1
[groups.g]
[assets.a]
group = "g"
exposure = { s = 1.0 }
"#;

#[test]
fn latin_hypercube_lowers_the_error_when_parameters_drive_the_outcome() {
    let m = model(PARAMETER_DRIVEN);
    let plain = means(&m, Sampling::default(), 1024, 40);
    let lhs = means(
        &m,
        Sampling {
            latin_hypercube: true,
            antithetic: false,
        },
        1024,
        40,
    );
    let (mp, sp) = mean_sd(&plain);
    let (ml, sl) = mean_sd(&lhs);
    eprintln!("plain sd {sp}, lhs sd {sl}");
    assert!(sl < 0.5 * sp, "LHS sd {sl} vs plain {sp}");
    // Both estimate the same mean: within 4 standard errors of the difference of means.
    within_4se("lhs vs plain", ml, mp, ((sp * sp + sl * sl) / 40.0).sqrt());
}

#[test]
fn antithetic_pairs_lower_the_error_when_shocks_drive_the_outcome() {
    let m = model(SHOCK_DRIVEN);
    let plain = means(&m, Sampling::default(), 1024, 40);
    let anti = means(
        &m,
        Sampling {
            latin_hypercube: false,
            antithetic: true,
        },
        1024,
        40,
    );
    let (mp, sp) = mean_sd(&plain);
    let (ma, sa) = mean_sd(&anti);
    eprintln!("plain sd {sp}, antithetic sd {sa}");
    assert!(sa < 0.5 * sp, "antithetic sd {sa} vs plain {sp}");
    within_4se(
        "antithetic vs plain",
        ma,
        mp,
        ((sp * sp + sa * sa) / 40.0).sqrt(),
    );
    // Closed form: log(1 + R) ~ Normal(0.1 * 5, 0.1^2 * 5), so the mean is exp(0.5 + 0.025) - 1.
    let want = libm::exp(0.5f64 + 0.025) - 1.0;
    within_4se("antithetic mean", ma, want, sa / 40f64.sqrt());
}

#[test]
fn antithetic_pairs_negate_every_shock() {
    let m = model(SHOCK_DRIVEN);
    let config = RunConfig {
        paths: 64,
        seed: 5,
        threads: Some(1),
        sampling: Sampling {
            latin_hypercube: false,
            antithetic: true,
        },
    };
    let sim = simulate(&m, &config).unwrap();
    let terminal = sim.adoption.column(sim.steps);
    for pair in 0..32 {
        let (a, b) = (2 * pair, 2 * pair + 1);
        // log A(T) = 0.5 + sigma W(T): the pair's shocks mirror around the curve.
        let la = libm::log(terminal[a]);
        let lb = libm::log(terminal[b]);
        assert!(((la - 0.5) + (lb - 0.5)).abs() < 1e-12, "pair {pair}");
    }
}
