//! The kernel's single-precision normals are accurate (issue 29): every path's values, computed
//! from Box-Muller in single precision, are within 1e-6 (1 + |x|) of the same paths computed
//! with Box-Muller in double precision on the same uniforms
//! ([`PathSimulator::with_reference_normals`]). Checked on the default model (with its market
//! factor and crashes), the whole map (40 assets), antithetic pairs, and a model of 10,000 steps,
//! on every output of a path: adoption levels at every step, terminal values (total returns),
//! maximum drawdowns, uplifts, the mean and spread of the step returns, and the market's
//! log-return.

mod common;

use boomsim::engine::{Batch, PathSimulator, Sampling, W};
use boomsim::model::{BuiltIn, Model};

/// The worst |single - double| / (1 + |double|) over `paths` paths of `model`, and what it is.
fn worst_error(model: &Model, sampling: Sampling, paths: u64, seed: u64) -> (f64, String) {
    let single = PathSimulator::new(model, sampling);
    let double = PathSimulator::new(model, sampling).with_reference_normals();
    let (mut s_scratch, mut d_scratch) = (single.scratch(), double.scratch());
    let (mut a, mut b) = (single.batch(), double.batch());
    let mut worst = (0.0, String::new());
    let mut moved = 0usize;
    for first in (0..paths).step_by(W) {
        single.simulate_batch(seed, first, None, &mut s_scratch, &mut a);
        double.simulate_batch(seed, first, None, &mut d_scratch, &mut b);
        for (what, x, y) in values(&a)
            .into_iter()
            .zip(values(&b))
            .map(|((w, x), (_, y))| (w, x, y))
        {
            for (x, y) in x.iter().zip(&y) {
                assert!(x.is_finite() && y.is_finite(), "{what}: {x} vs {y}");
                let error = (x - y).abs() / (1.0 + y.abs());
                moved += usize::from(x != y);
                if error > worst.0 {
                    worst = (error, format!("{what}, paths {first}..: {x} vs {y}"));
                }
            }
        }
    }
    // The comparison compares something: single and double precision differ.
    assert!(
        moved > 0,
        "no value differs between single and double precision"
    );
    worst
}

/// Every value a batch records, by name, as one flat list per quantity.
fn values(batch: &Batch) -> Vec<(&'static str, Vec<f64>)> {
    let flat = |v: &[[f64; W]]| v.iter().flatten().copied().collect::<Vec<f64>>();
    let steps = |f: fn(&boomsim::engine::outcome::StepReturns) -> f64| {
        batch
            .step_returns
            .iter()
            .flatten()
            .map(f)
            .collect::<Vec<f64>>()
    };
    vec![
        ("total return", flat(&batch.total_return)),
        ("maximum drawdown", flat(&batch.max_drawdown)),
        ("uplift", flat(&batch.uplift)),
        ("adoption level", flat(&batch.adoption)),
        ("baseline adoption level", flat(&batch.baseline_adoption)),
        ("draw (market log-return)", flat(&batch.draws)),
        ("mean step return", steps(|s| s.mean)),
        (
            "step returns' spread",
            steps(|s| (s.m2 / s.count.max(1) as f64).sqrt()),
        ),
        ("downside squares", steps(|s| s.downside_sq)),
    ]
}

fn assert_accurate(name: &str, model: &Model, sampling: Sampling, paths: u64) {
    let (worst, what) = worst_error(model, sampling, paths, 29);
    assert!(worst <= 1e-6, "{name}: {worst:e} at {what}");
    if std::env::var_os("BOOMSIM_SHOW").is_some() {
        eprintln!("{name}: worst {worst:e} at {what}");
    }
}

#[test]
fn the_default_model_with_its_market_is_accurate() {
    let model = common::model(BuiltIn::Default.text());
    assert!(model.market.is_some());
    assert_accurate("default", &model, Sampling::default(), 4_000);
    let antithetic = Sampling {
        antithetic: true,
        ..Sampling::default()
    };
    assert_accurate("default, antithetic", &model, antithetic, 2_000);
}

#[test]
fn the_whole_map_is_accurate() {
    let model = common::model(BuiltIn::Map.text());
    assert_accurate("map", &model, Sampling::default(), 1_000);
}

/// 10,000 steps: the normals' errors sum over the steps (a Brownian path of 10,000
/// increments), and still stay within the bound.
#[test]
fn a_model_of_ten_thousand_steps_is_accurate() {
    let model = common::model(
        r#"
[model]
name = "long"
horizon_years = 40
steps_per_year = 250
risk_free_rate = 0.02
expected_return = 0.07
[adoption]
process = "gbm"
log_drift = "normal(0.1, 0.05)"
volatility = 0.3
[baseline]
log_drift = 0.0
[market]
volatility = 0.16
crash_rate = 0.1
crash_size = "normal(-0.3, 0.1)"
[sectors.s]
elasticity = "1 to 2"
volatility = 0.4
[sectors.t]
elasticity = 0.5
volatility = 0.2
[groups.g]
[assets.a]
group = "g"
exposure = { s = 0.7 }
volatility = 0.6
beta = 1.2
failure_rate = 0.01
[assets.b]
group = "g"
exposure = { s = 0.3, t = 0.5 }
volatility = 0.25
"#,
    );
    assert_eq!(model.steps(), 10_000);
    assert_accurate("10,000 steps", &model, Sampling::default(), 160);
}
