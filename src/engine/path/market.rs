//! The market factor's constants for a run (docs/model.md §3): the diffusion per step, the
//! Poisson CDF of the crash count per step, and each asset's beta and compensator.

use crate::model::Model;

/// What a run's `[market]` fixes (docs/model.md §3): per step, X_M += sigma_M sqrt(dt) z +
/// N m + s sqrt(N) xi, with N ~ Poisson(lambda_M dt) by its inverse CDF (the sum of N crash
/// sizes normal(m, s) is normal(N m, s sqrt(N)), so one xi a step whatever N).
pub(super) struct MarketSteps {
    /// sigma_M sqrt(dt).
    pub(super) diffusion: f64,
    /// (m, s) of one crash.
    pub(super) crash: (f64, f64),
    /// P(N <= k) for k = 0, 1, ...: N is the number of these a uniform in (0, 1] exceeds.
    pub(super) poisson: Vec<f64>,
    /// Each asset's beta and compensator c_a.
    pub(super) beta: Vec<f64>,
    pub(super) compensator: Vec<f64>,
    /// The column of `market.return` among the drivers (after the uncertain parameters).
    pub(super) column: usize,
}

impl MarketSteps {
    pub(super) fn new(model: &Model, dt: f64) -> Option<Self> {
        let m = model.market.as_ref()?;
        let rate = m.crash_rate * dt;
        // Counts until P(N > k) is below 1e-17: beyond, a uniform cannot reach.
        let mut poisson = Vec::new();
        if rate > 0.0 {
            let (mut term, mut cdf) = (libm::exp(-rate), 0.0);
            for k in 0..64 {
                cdf += term;
                poisson.push(cdf);
                if 1.0 - cdf < 1e-17 {
                    break;
                }
                term *= rate / f64::from(k + 1);
            }
        }
        Some(MarketSteps {
            diffusion: m.volatility * dt.sqrt(),
            crash: m.crash_size,
            poisson,
            beta: model.assets.iter().map(|a| a.beta).collect(),
            compensator: model.assets.iter().map(|a| m.compensator(a.beta)).collect(),
            column: model.uncertain_parameters().len(),
        })
    }
}
