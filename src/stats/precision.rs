//! The Monte Carlo error of every headline statistic (`precision.csv`): batch means.
//!
//! The paths are split into B contiguous, deterministic batches of whole chunks (B = 32, or one
//! per chunk when there are fewer; batch b holds chunks [b C / B, (b + 1) C / B) of the C
//! chunks), and each statistic is computed on every batch as on the whole run. For an estimator
//! whose variance falls as 1/n, the batches' estimates scatter with variance about B times the
//! whole run's, so
//!
//! `se = sd(theta_1, ..., theta_B) / sqrt(B)`,
//!
//! and the 95% interval is `estimate +- t(B - 1, 0.975) se`. This one rule serves every
//! statistic (means, quantiles, tail means, probabilities, ratios of pooled step returns),
//! needs nothing but the per-path columns and the chunks' step-return pools, and so works the
//! same for exact, sharded and merged runs. A sketched run keeps its first paths whole (the
//! reservoir); their batches give the error of R paths, scaled by sqrt(R / N) to N paths
//! (paths are independent, so the error of an estimator falls as 1/sqrt(n)).
//!
//! Fewer than [`MIN_BATCHES`] batches (runs of fewer than 2,048 paths) cannot estimate a
//! standard deviation worth printing: the error columns are then empty.

use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::engine::outcome::StepReturns;
use crate::engine::{CHUNK_PATHS, Simulation};
use crate::model::{Kind, Model};
use crate::stats::summary::{EntityStats, SummaryRow, annualisation, entity_stats};

/// Batches of a run with enough chunks.
pub const BATCHES: usize = 32;

/// Below this many batches the error columns are empty.
pub const MIN_BATCHES: usize = 8;

/// The statistics `precision.csv` gives an error for, in order.
pub const STATISTICS: [&str; 12] = [
    "mean_return",
    "p05",
    "p50",
    "p95",
    "var95",
    "cvar95",
    "prob_loss",
    "sharpe",
    "sortino",
    "mean_max_drawdown",
    "uplift_mean",
    "prob_uplift",
];

/// One row of `precision.csv`: a statistic of an entity with its Monte Carlo error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrecisionRow {
    /// `group` or `asset`.
    pub kind: Kind,
    /// The entity.
    pub name: String,
    /// The `summary.csv` column.
    pub statistic: &'static str,
    /// Its value in `summary.csv` (empty where that cell is).
    pub estimate: Option<f64>,
    /// The standard error; empty with too few batches or where a batch has no value.
    pub se: Option<f64>,
    /// The 95% interval, estimate -+ t(B - 1, 0.975) se.
    pub lo95: Option<f64>,
    /// See `lo95`.
    pub hi95: Option<f64>,
    /// se / |estimate|; empty when the estimate is 0.
    pub relative_se: Option<f64>,
    /// How many batches the error comes from.
    pub batches: usize,
}

impl PrecisionRow {
    /// The 95% interval's half-width.
    pub fn half_width(&self) -> Option<f64> {
        Some((self.hi95? - self.lo95?) / 2.0)
    }
}

/// A statistic's value in a summary row (or an entity's batch statistics).
fn of_row(row: &SummaryRow, statistic: &str) -> Option<f64> {
    match statistic {
        "mean_return" => Some(row.mean_return),
        "p05" => Some(row.p05),
        "p50" => Some(row.p50),
        "p95" => Some(row.p95),
        "var95" => Some(row.var95),
        "cvar95" => Some(row.cvar95),
        "prob_loss" => Some(row.prob_loss),
        "sharpe" => row.sharpe,
        "sortino" => row.sortino,
        "mean_max_drawdown" => Some(row.mean_max_drawdown),
        "uplift_mean" => row.uplift_mean,
        "prob_uplift" => row.prob_uplift,
        _ => None,
    }
}

/// The same, from one batch's statistics.
fn of_stats(s: &EntityStats, statistic: &str) -> Option<f64> {
    match statistic {
        "mean_return" => Some(s.mean_return),
        "p05" => Some(s.quantiles[1]),
        "p50" => Some(s.quantiles[4]),
        "p95" => Some(s.quantiles[7]),
        "var95" => Some(-s.quantiles[1]),
        "cvar95" => Some(s.cvar95),
        "prob_loss" => Some(s.prob_loss),
        "sharpe" => s.sharpe,
        "sortino" => s.sortino,
        "mean_max_drawdown" => Some(s.mean_max_drawdown),
        "uplift_mean" => s.uplift.map(|u| u.mean),
        "prob_uplift" => s.uplift.map(|u| u.prob),
        _ => None,
    }
}

/// The batches of a run of `paths` paths kept whole in `sim`: path ranges of whole chunks
/// (the chunks of a sketched run's reservoir that it holds entirely).
fn batches(sim: &Simulation) -> Vec<std::ops::Range<usize>> {
    // Whole chunks whose pools the run kept.
    let chunks = sim.paths.div_ceil(CHUNK_PATHS).min(sim.pools.len());
    let whole = if chunks * CHUNK_PATHS > sim.paths && chunks < sim.pools.len() {
        // A reservoir cut inside a chunk: that chunk's pool covers paths it does not hold.
        chunks - 1
    } else {
        chunks
    };
    let b = whole.min(BATCHES);
    (0..b)
        .map(|k| {
            let (c0, c1) = (k * whole / b, (k + 1) * whole / b);
            c0 * CHUNK_PATHS..(c1 * CHUNK_PATHS).min(sim.paths)
        })
        .collect()
}

/// Every entity's batch statistics: `[entity][batch]`.
fn batch_stats(
    model: &Model,
    sim: &Simulation,
    ranges: &[std::ops::Range<usize>],
) -> Vec<Vec<EntityStats>> {
    let annual = annualisation(model);
    (0..sim.entities)
        .into_par_iter()
        .map(|e| {
            ranges
                .iter()
                .map(|r| {
                    let (c0, c1) = (r.start / CHUNK_PATHS, r.end.div_ceil(CHUNK_PATHS));
                    let mut steps = StepReturns::default();
                    for pool in &sim.pools[c0..c1] {
                        steps.merge(&pool.all[e]);
                    }
                    let uplift = sim.uplift.as_ref().map(|u| &u.column(e)[r.clone()]);
                    entity_stats(
                        &sim.total_return.column(e)[r.clone()],
                        &sim.max_drawdown.column(e)[r.clone()],
                        uplift,
                        &steps,
                        annual,
                    )
                })
                .collect()
        })
        .collect()
}

/// The rows of `precision.csv`: for each entity (summary order) and each of [`STATISTICS`]
/// (the uplift ones only with a baseline), the estimate of `rows` with the error of a run of
/// `paths` paths estimated from the batches of the paths `sim` keeps whole.
pub fn precision(
    model: &Model,
    sim: &Simulation,
    rows: &[SummaryRow],
    paths: usize,
) -> Vec<PrecisionRow> {
    let ranges = batches(sim);
    let kept: usize = ranges.iter().map(|r| r.len()).sum();
    let stats = if ranges.len() >= MIN_BATCHES {
        batch_stats(model, sim, &ranges)
    } else {
        Vec::new()
    };
    let b = ranges.len();
    let t = (b >= 2)
        .then(|| StudentsT::new(0.0, 1.0, (b - 1) as f64).ok())
        .flatten()
        .map(|d| d.inverse_cdf(0.975));
    // A reservoir's batches estimate the error of `kept` paths; scale it to `paths`.
    let scale = (kept as f64 / paths as f64).sqrt();
    let baseline = model.baseline.is_some();
    let mut out = Vec::new();
    for (e, row) in rows.iter().enumerate() {
        for statistic in STATISTICS {
            if (statistic == "uplift_mean" || statistic == "prob_uplift") && !baseline {
                continue;
            }
            let estimate = of_row(row, statistic);
            let values: Option<Vec<f64>> = stats
                .get(e)
                .and_then(|batches| batches.iter().map(|s| of_stats(s, statistic)).collect());
            let se = values.filter(|v| v.len() >= MIN_BATCHES).map(|v| {
                let n = v.len() as f64;
                let mean = v.iter().sum::<f64>() / n;
                let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
                (var / n).sqrt() * scale
            });
            let se = se.filter(|s| s.is_finite());
            let interval = match (estimate, se, t) {
                (Some(x), Some(s), Some(t)) => Some((x - t * s, x + t * s)),
                _ => None,
            };
            out.push(PrecisionRow {
                kind: row.kind,
                name: row.name.clone(),
                statistic,
                estimate,
                se,
                lo95: interval.map(|i| i.0),
                hi95: interval.map(|i| i.1),
                relative_se: match (estimate, se) {
                    (Some(x), Some(s)) if x != 0.0 => Some(s / x.abs()),
                    _ => None,
                },
                batches: b,
            });
        }
    }
    out
}
