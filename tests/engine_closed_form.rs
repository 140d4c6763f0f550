//! The engine against closed forms (docs/model.md §3).
//!
//! With gbm adoption, one sector and one asset fully exposed to it, log(1 + total_return) is
//! normal: m = (mu_a - pi_a - sigma_a^2 / 2) H + g H + beta mu_A (H - lag) and
//! v = beta^2 sigma_A^2 (H - lag) + sigma_s^2 H + sigma_a^2 H. Median, p05, p95, prob_loss,
//! mean and cvar95 follow; a failure rate lambda mixes in a point mass at -1 of weight
//! 1 - exp(-lambda H). Every comparison is within 4 Monte Carlo standard errors.

mod common;

use common::{model, proportion_se, quantile_se, row, run, within_4se};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

const N: usize = 200_000;

/// log(1 + R) ~ Normal(m, s^2), survival probability `alive`.
struct LogNormalReturn {
    m: f64,
    s: f64,
    alive: f64,
}

impl LogNormalReturn {
    fn z() -> Normal {
        Normal::standard()
    }
    fn density(&self, r: f64) -> f64 {
        let y = libm::log(1.0 + r);
        self.alive * Self::z().pdf((y - self.m) / self.s) / (self.s * (1.0 + r))
    }
    fn quantile(&self, p: f64) -> f64 {
        let dead = 1.0 - self.alive;
        if p <= dead {
            return -1.0;
        }
        libm::exp(self.m + self.s * Self::z().inverse_cdf((p - dead) / self.alive)) - 1.0
    }
    fn prob_loss(&self) -> f64 {
        (1.0 - self.alive) + self.alive * Self::z().cdf(-self.m / self.s)
    }
    fn mean(&self) -> f64 {
        self.alive * libm::exp(self.m + self.s * self.s / 2.0) - 1.0
    }
    fn sd(&self) -> f64 {
        let v = self.s * self.s;
        let second = self.alive * libm::exp(2.0 * self.m + 2.0 * v);
        (second - (self.mean() + 1.0).powi(2)).sqrt()
    }
    /// -E[R | R <= q05] and its standard error (asymptotic variance of the tail mean:
    /// (Var[R | R <= q] + (1 - a) (E[R | R <= q] - q)^2) / (a N)), for a surviving tail.
    fn cvar95(&self, n: usize) -> (f64, f64) {
        let a = 0.05;
        let q = self.quantile(a);
        let y = libm::log(1.0 + q);
        let (m, v, s) = (self.m, self.s * self.s, self.s);
        let z = Self::z();
        let first = self.alive * libm::exp(m + v / 2.0) * z.cdf((y - m - v) / s) / a;
        let second = self.alive * libm::exp(2.0 * m + 2.0 * v) * z.cdf((y - m - 2.0 * v) / s) / a;
        let tail_mean = first - 1.0;
        let tail_var = second - first * first;
        let var = (tail_var + (1.0 - a) * (tail_mean - q).powi(2)) / (a * n as f64);
        (-tail_mean, var.sqrt())
    }
}

fn check(text: &str, want: &LogNormalReturn, seed: u64) {
    let m = model(text);
    let (_, rows) = run(&m, N, seed);
    let asset = row(&rows, "a");
    // One asset in its group: the group is the asset.
    let group = row(&rows, "g");
    assert_eq!(group.p50, asset.p50);
    assert_eq!(group.mean_return, asset.mean_return);

    within_4se(
        "mean",
        asset.mean_return,
        want.mean(),
        want.sd() / (N as f64).sqrt(),
    );
    for (p, got) in [(0.05, asset.p05), (0.5, asset.p50), (0.95, asset.p95)] {
        let q = want.quantile(p);
        if q == -1.0 {
            assert_eq!(got, -1.0, "p{p} is in the point mass at -1");
        } else {
            within_4se(&format!("p{p}"), got, q, quantile_se(p, N, want.density(q)));
        }
    }
    let pl = want.prob_loss();
    within_4se("prob_loss", asset.prob_loss, pl, proportion_se(pl, N));
    if want.quantile(0.05) > -1.0 {
        let (cvar, se) = want.cvar95(N);
        within_4se("cvar95", asset.cvar95, cvar, se);
    } else {
        assert_eq!(asset.cvar95, 1.0, "the worst 5% are total losses");
    }
}

const BASE: &str = r#"
[model]
name = "closed-form"
horizon_years = 5
steps_per_year = 4

[adoption]
process = "gbm"
log_drift = 0.1
volatility = 0.2

[sectors.s]
elasticity = 1.5
drift = 0.02
volatility = 0.15
LAG

[groups.g]

[assets.a]
group = "g"
exposure = { s = 1.0 }
priced_in = 0.05
expected_return = 0.07
EXTRA
"#;

fn text(lag: &str, extra: &str) -> String {
    BASE.replace("LAG", lag).replace("EXTRA", extra)
}

// (mu_a - pi_a) H + g H + beta mu_A H = 0.1 + 0.1 + 0.75
const M: f64 = 0.95;
// beta^2 sigma_A^2 H + sigma_s^2 H = (2.25 * 0.04 + 0.0225) * 5
const V: f64 = 0.5625;

#[test]
fn gbm_one_sector_fully_exposed_is_lognormal() {
    let want = LogNormalReturn {
        m: M,
        s: V.sqrt(),
        alive: 1.0,
    };
    check(&text("", ""), &want, 101);
}

#[test]
fn idiosyncratic_volatility_adds_variance_and_a_convexity_drift() {
    let sa: f64 = 0.3;
    let want = LogNormalReturn {
        m: M - sa * sa / 2.0 * 5.0,
        s: (V + sa * sa * 5.0).sqrt(),
        alive: 1.0,
    };
    check(&text("", "volatility = 0.3"), &want, 102);
}

#[test]
fn lag_shifts_the_adoption_exposure_back_by_whole_steps() {
    // lag_years = 1 at 4 steps a year: L = 4 steps; the sector sees A(t_T - 1).
    let want = LogNormalReturn {
        m: 0.1 + 0.1 + 1.5 * 0.1 * 4.0,
        s: (2.25 * 0.04 * 4.0 + 0.0225 * 5.0f64).sqrt(),
        alive: 1.0,
    };
    check(&text("lag_years = 1.0", ""), &want, 103);
}

#[test]
fn failure_rate_adds_a_total_loss_mass() {
    let lambda: f64 = 0.1;
    let want = LogNormalReturn {
        m: M,
        s: V.sqrt(),
        alive: libm::exp(-lambda * 5.0),
    };
    check(&text("", "failure_rate = 0.1"), &want, 104);
}

#[test]
fn rare_failure_keeps_the_tail_continuous() {
    // lambda = 0.005: 2.5% dead, so p05 and cvar95 mix the point mass with the lognormal.
    let lambda: f64 = 0.005;
    let want = LogNormalReturn {
        m: M,
        s: V.sqrt(),
        alive: libm::exp(-lambda * 5.0),
    };
    let m = model(&text("", "failure_rate = 0.005"));
    let (_, rows) = run(&m, N, 105);
    let a = row(&rows, "a");
    within_4se(
        "mean",
        a.mean_return,
        want.mean(),
        want.sd() / (N as f64).sqrt(),
    );
    let q = want.quantile(0.05);
    within_4se("p05", a.p05, q, quantile_se(0.05, N, want.density(q)));
    let pl = want.prob_loss();
    within_4se("prob_loss", a.prob_loss, pl, proportion_se(pl, N));
}

#[test]
fn adoption_fan_of_gbm_is_lognormal() {
    let m = model(&text("", ""));
    let (sim, _) = run(&m, N, 106);
    let steps = sim.steps;
    let terminal = sim.adoption.column(steps).to_vec();
    let mut sorted = terminal.clone();
    sorted.sort_by(f64::total_cmp);
    let median = boomsim::stats::quantile::quantile_sorted(&sorted, 0.5);
    // log A(T) ~ Normal(0.5, 0.2^2 * 5)
    let s = (0.04f64 * 5.0).sqrt();
    let want = libm::exp(0.5f64);
    let density = Normal::new(0.5, s).unwrap().pdf(libm::log(want)) / want;
    within_4se("A(T) median", median, want, quantile_se(0.5, N, density));
    let mean = terminal.iter().sum::<f64>() / N as f64;
    let sd_a = (libm::exp(s * s) - 1.0).sqrt() * libm::exp(0.5 + s * s / 2.0);
    within_4se(
        "A(T) mean",
        mean,
        libm::exp(0.5 + s * s / 2.0),
        sd_a / (N as f64).sqrt(),
    );
}

#[test]
fn correlated_sector_shocks_have_the_stated_correlation() {
    let text = r#"
[model]
name = "corr"
horizon_years = 2
steps_per_year = 12
[adoption]
process = "gbm"
log_drift = 0.0
[sectors.x]
elasticity = 0
volatility = 0.2
[sectors.y]
elasticity = 0
volatility = 0.3
[correlation]
pairs = [ { a = "x", b = "y", rho = 0.7 } ]
[groups.g]
[assets.a]
group = "g"
exposure = { x = 1.0 }
[assets.b]
group = "g"
exposure = { y = 1.0 }
"#;
    let m = model(text);
    let n = 50_000;
    let (sim, _) = run(&m, n, 107);
    // Entities: group g, then assets a (1) and b (2). log(1 + R) is the sector's log revenue.
    let xs: Vec<f64> = sim
        .total_return
        .column(1)
        .iter()
        .map(|&r| libm::log1p(r))
        .collect();
    let ys: Vec<f64> = sim
        .total_return
        .column(2)
        .iter()
        .map(|&r| libm::log1p(r))
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&xs), mean(&ys));
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let vy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    let rho = cov / (vx * vy).sqrt();
    // Standard error of a sample correlation: (1 - rho^2) / sqrt(n).
    within_4se("correlation", rho, 0.7, (1.0 - 0.49) / (n as f64).sqrt());
    within_4se(
        "sd of log R_x",
        (vx / (n - 1) as f64).sqrt(),
        0.2 * 2f64.sqrt(),
        0.2 * 2f64.sqrt() / (2.0 * n as f64).sqrt(),
    );
}
