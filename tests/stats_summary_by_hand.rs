//! Every column of docs/model.md §5, computed by hand.
//!
//! First on five hand-picked paths fed straight to the statistics; then end to end on a tiny
//! deterministic model (no volatility), whose value path is written out from the formulas of
//! §3 in the test, through `summary.csv` itself.

mod common;

use boomsim::engine::outcome::StepReturns;
use boomsim::stats::summary::{Annualisation, entity_stats};
use common::{model, row, run};

fn close(what: &str, got: f64, want: f64) {
    assert!((got - want).abs() < 1e-12, "{what}: got {got}, want {want}");
}

#[test]
fn every_column_on_five_paths() {
    let total = [0.5, -0.2, 0.1, -1.0, 0.3];
    let drawdown = [0.1, 0.3, 0.0, 1.0, 0.2];
    let uplift = [0.2, -0.1, 0.0, 0.4, 0.1];
    // Step returns 0.2, -0.2, 0.2, -0.1 (H = 2, k = 2, rf = 0.02, so rf/k = 0.01).
    let mut steps = StepReturns::default();
    steps.add_series(&[1.0, 1.2, 0.96, 1.152, 1.0368], 0.01);
    let annual = Annualisation {
        horizon_years: 2.0,
        steps_per_year: 2.0,
        risk_free_rate: 0.02,
    };
    let s = entity_stats(&total, &drawdown, Some(&uplift), &steps, annual);

    close("mean_return", s.mean_return, -0.06);
    // deviations 0.56, -0.14, 0.16, -0.94, 0.36: squares sum to 1.372; / (n - 1) = 0.343
    close("sd_return", s.sd_return.unwrap(), 0.343f64.sqrt());
    close(
        "mcse_mean",
        s.mcse_mean.unwrap(),
        0.343f64.sqrt() / 5f64.sqrt(),
    );
    // sorted: -1, -0.2, 0.1, 0.3, 0.5; type 7: h = 4p
    let want = [-0.968, -0.84, -0.68, -0.2, 0.1, 0.3, 0.42, 0.46, 0.492];
    for (i, (got, want)) in s.quantiles.iter().zip(want).enumerate() {
        close(&format!("quantile {i}"), *got, want);
    }
    close("median_cagr", s.median_cagr, 1.1f64.sqrt() - 1.0);
    close("ann_return", s.ann_return, 0.94f64.sqrt() - 1.0);
    // step returns: mean 0.025; squared deviations sum 0.1275; sd = sqrt(0.1275 / 3)
    let ann_vol = (0.1275f64 / 3.0).sqrt() * 2f64.sqrt();
    close("ann_volatility", s.ann_volatility.unwrap(), ann_vol);
    close(
        "sharpe",
        s.sharpe.unwrap(),
        (0.94f64.sqrt() - 1.0 - 0.02) / ann_vol,
    );
    // shortfalls below 0.01: -0.21 and -0.11; mean square (0.0441 + 0.0121) / 4
    let downside = (0.0562f64 / 4.0).sqrt() * 2f64.sqrt();
    close(
        "sortino",
        s.sortino.unwrap(),
        (0.94f64.sqrt() - 1.0 - 0.02) / downside,
    );
    // worst ceil(0.25) = 1 and ceil(0.05) = 1 paths: the total loss
    close("cvar95", s.cvar95, 1.0);
    close("cvar99", s.cvar99, 1.0);
    close("prob_loss", s.prob_loss, 0.4);
    close("mean_max_drawdown", s.mean_max_drawdown, 0.32);
    // sorted 0, 0.1, 0.2, 0.3, 1.0: h = 3.8 -> 0.3 + 0.8 * 0.7
    close("p95_max_drawdown", s.p95_max_drawdown, 0.86);
    let u = s.uplift.unwrap();
    close("uplift_mean", u.mean, 0.12);
    close("uplift_p05", u.p05, -0.08);
    close("uplift_p50", u.p50, 0.1);
    close("uplift_p95", u.p95, 0.36);
    close("prob_uplift", u.prob, 0.6);
}

#[test]
fn undefined_values_are_empty_not_nan() {
    let mut steps = StepReturns::default();
    steps.add_series(&[1.0, 1.0], 0.0);
    let annual = Annualisation {
        horizon_years: 1.0,
        steps_per_year: 1.0,
        risk_free_rate: 0.0,
    };
    // One path: no sample sd; one step return: no volatility; no shortfall: no Sortino.
    let s = entity_stats(&[0.0], &[0.0], None, &steps, annual);
    assert_eq!(s.sd_return, None);
    assert_eq!(s.mcse_mean, None);
    assert_eq!(s.ann_volatility, None);
    assert_eq!(s.sharpe, None);
    assert_eq!(s.sortino, None);
    assert_eq!(s.uplift, None);
}

const TINY: &str = r#"
[model]
name = "tiny"
horizon_years = 1
steps_per_year = 2
risk_free_rate = 0.01
expected_return = 0.05

[adoption]
process = "logistic"
ceiling = 2
rate = 1

[baseline]
ceiling = 1.5

[sectors.s]
elasticity = 1
lag_years = 0.5

[groups.g]

[assets.a]
group = "g"
exposure = { s = 0.5 }
other_growth = 0.1
priced_in = 0.02

[assets.b]
group = "g"
other_growth = 0.2
weight = 3
"#;

#[test]
fn a_deterministic_model_computed_by_hand() {
    let m = model(TINY);
    let n = 7;
    let (_, rows) = run(&m, n, 3);
    // A(t) = 2 / (1 + e^{-t}); the sector lags one step: R(t_j) = A(t_{j-1}), R(0) = 1.
    let a = |t: f64, k: f64| k / (1.0 + (k - 1.0) * libm::exp(-t));
    let r = [1.0, 1.0, a(0.5, 2.0)];
    let t: [f64; 3] = [0.0, 0.5, 1.0];
    // Asset a: F = 0.5 e^{0.1 t} + 0.5 R; log P = (0.05 - 0.02) t + log F.
    let pa: Vec<f64> = (0..3)
        .map(|j| (0.5 * libm::exp(0.1 * t[j]) + 0.5 * r[j]) * libm::exp(0.03 * t[j]))
        .collect();
    // Asset b: no exposure, P = e^{0.2 t} e^{0.05 t}.
    let pb: Vec<f64> = t.iter().map(|t| libm::exp(0.25 * t)).collect();
    let pg: Vec<f64> = (0..3).map(|j| (pa[j] + 3.0 * pb[j]) / 4.0).collect();
    // Baseline: ceiling 1.5, so R(t_T) = A_base(0.5).
    let pa_base = (0.5 * libm::exp(0.1f64) + 0.5 * a(0.5, 1.5)) * libm::exp(0.03f64);
    let pg_base = (pa_base + 3.0 * pb[2]) / 4.0;

    for (name, p, base) in [("a", &pa, pa_base), ("b", &pb, pb[2]), ("g", &pg, pg_base)] {
        let row = row(&rows, name);
        let tr = p[2] - 1.0;
        close("mean_return", row.mean_return, tr);
        assert_eq!(row.sd_return, Some(0.0));
        for q in [row.p01, row.p05, row.p50, row.p95, row.p99] {
            close("quantile", q, tr);
        }
        close("median_cagr", row.median_cagr, tr); // H = 1
        close("ann_return", row.ann_return, tr);
        // Pooled: n copies of the two step returns x1, x2.
        let (x1, x2) = (p[1] / p[0] - 1.0, p[2] / p[1] - 1.0);
        let mean = (x1 + x2) / 2.0;
        let ss = n as f64 * ((x1 - mean).powi(2) + (x2 - mean).powi(2));
        let vol = (ss / (2 * n - 1) as f64).sqrt() * 2f64.sqrt();
        // Below 1e-12 a volatility is rounding noise of equal step returns: reported as 0.
        let vol = if vol < 1e-12 { 0.0 } else { vol };
        close("ann_volatility", row.ann_volatility.unwrap(), vol);
        if vol > 0.0 {
            close("sharpe", row.sharpe.unwrap(), (tr - 0.01) / vol);
        } else {
            // A riskless series: the Sharpe ratio's denominator is 0, so it is empty (§5).
            assert_eq!(row.sharpe, None);
        }
        let short = |x: f64| (x - 0.005).min(0.0).powi(2);
        let downside = ((short(x1) + short(x2)) / 2.0).sqrt() * 2f64.sqrt();
        if downside > 0.0 {
            close("sortino", row.sortino.unwrap(), (tr - 0.01) / downside);
        } else {
            assert_eq!(row.sortino, None, "no shortfall: Sortino undefined");
        }
        close("var95", row.var95, -tr);
        close("cvar95", row.cvar95, -tr);
        assert_eq!(row.prob_loss, 0.0);
        assert_eq!(row.mean_max_drawdown, 0.0);
        close("uplift_mean", row.uplift_mean.unwrap(), p[2] - base);
        assert_eq!(row.prob_uplift, Some(if p[2] > base { 1.0 } else { 0.0 }));
    }
    // Only group g: rank 1. Asset b grows at a constant rate: its step returns are equal, its
    // volatility 0 and its Sharpe ratio empty, so it ranks last (§5) although it never loses.
    assert_eq!(row(&rows, "g").rank, 1);
    assert_eq!(row(&rows, "b").sharpe, None);
    assert_eq!(row(&rows, "a").rank, 1);
    assert_eq!(row(&rows, "b").rank, 2);
}

/// The profile rule end to end (docs/model.md §5, `profile`): fixed thresholds, so an entity's
/// label does not depend on the others. Three startups fail almost surely within the horizon
/// and are `avoid` whatever the rest do; a steady asset is `core`; a volatile one, whose worst
/// 5% of paths lose more than half, is `high-upside`. The hurdle is exp(mu H) - 1 = 0 here
/// (no expected return), the tail-loss limit its default 0.5.
#[test]
fn profiles_when_most_assets_lose_everything() {
    let text = r#"
[model]
name = "losers"
horizon_years = 10
steps_per_year = 4
[adoption]
process = "gbm"
log_drift = 0.1
[sectors.s]
elasticity = 1
[groups.g]
[assets.steady]
group = "g"
exposure = { s = 0.5 }
volatility = 0.1
[assets.growth]
group = "g"
exposure = { s = 1.0 }
volatility = 0.3
[assets.fail_1]
group = "g"
failure_rate = 3
[assets.fail_2]
group = "g"
failure_rate = 3
[assets.fail_3]
group = "g"
failure_rate = 3
"#;
    let m = model(text);
    let (_, rows) = run(&m, 2000, 3);
    for name in ["fail_1", "fail_2", "fail_3"] {
        let r = row(&rows, name);
        assert_eq!((r.p50, r.cvar95), (-1.0, 1.0), "{name}");
        assert_eq!(r.profile.name(), "avoid", "{name}");
    }
    let steady = row(&rows, "steady");
    assert!(
        steady.mean_return > 0.0 && steady.cvar95 <= 0.5,
        "{steady:?}"
    );
    assert_eq!(steady.profile.name(), "core");
    let growth = row(&rows, "growth");
    assert!(
        growth.mean_return > 0.0 && growth.cvar95 > 0.5,
        "{growth:?}"
    );
    assert_eq!(growth.profile.name(), "high-upside");
    // The same labels alone: dropping the losers changes no other profile.
    let alone: String = text.split("[assets.fail_1]").next().unwrap().to_string();
    let (_, rows) = run(&model(&alone), 2000, 3);
    assert_eq!(row(&rows, "steady").profile.name(), "core");
    assert_eq!(row(&rows, "growth").profile.name(), "high-upside");
}
