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

use crate::engine::outcome::StepReturns;
use crate::engine::{CHUNK_PATHS, Simulation};
use crate::model::{Kind, Model};
use crate::stats::pipeline::Summariser;
use crate::stats::summary::{
    Annualisation, EntityStats, PathStats, SummaryRow, UpliftStats, annualisation, derive_stats,
    quantiles_and_cvars_selected,
};
use crate::stats::sums::mean;

/// The Student t quantile at 0.975 with `df` degrees of freedom: the half-width of a 95%
/// interval of a mean of df + 1 batch estimates, in standard errors.
fn t975(df: usize) -> f64 {
    crate::distribution::special::student_t_quantile(0.975, df as u32)
}

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

/// The batches of the first `kept` paths of `sim` (all of them, or the filled part of a run
/// still being gathered): path ranges of whole chunks (the chunks of a sketched run's reservoir
/// that it holds entirely).
fn batches(sim: &Simulation, kept: usize) -> Vec<std::ops::Range<usize>> {
    // Whole chunks whose pools the run kept.
    let chunks = kept.div_ceil(CHUNK_PATHS).min(sim.pools.len());
    let whole = if chunks * CHUNK_PATHS > kept && chunks < sim.pools.len() {
        // A reservoir cut inside a chunk: that chunk's pool covers paths it does not hold.
        chunks - 1
    } else {
        chunks
    };
    let b = whole.min(BATCHES);
    (0..b)
        .map(|k| {
            let (c0, c1) = (k * whole / b, (k + 1) * whole / b);
            c0 * CHUNK_PATHS..(c1 * CHUNK_PATHS).min(kept)
        })
        .collect()
}

/// Every entity's batch statistics: `[entity][batch]`.
fn batch_stats(
    model: &Model,
    sim: &Simulation,
    ranges: &[std::ops::Range<usize>],
) -> Vec<Vec<EntityStats>> {
    stats_of(model, sim, ranges, 0..sim.entities)
}

/// The statistics [`STATISTICS`] reads, as [`entity_stats`] computes them (the same
/// selections and sums, so the same values), and none of the others: the p05, p50 and p95 of
/// the quantiles, cvar95 but not cvar99, the uplift's mean and share but not its quantiles, no
/// drawdown percentile (the rest are 0).
fn headline(
    total_return: &[f64],
    max_drawdown: &[f64],
    uplift: Option<&[f64]>,
    steps: &StepReturns,
    annual: Annualisation,
) -> EntityStats {
    let n = total_return.len() as f64;
    let share = |v: &[f64], keep: fn(f64) -> bool| {
        v.iter().filter(|&&x| keep(x)).count() as f64 / v.len() as f64
    };
    let ([p05, p50, p95], [cvar95]) =
        quantiles_and_cvars_selected(total_return, &[0.05, 0.5, 0.95], [5]);
    let mut quantiles = [0.0; 9];
    (quantiles[1], quantiles[4], quantiles[7]) = (p05, p50, p95);
    derive_stats(
        PathStats {
            paths: n as usize,
            mean_return: mean(total_return),
            sd_return: None,
            quantiles,
            cvar95,
            cvar99: 0.0,
            prob_loss: share(total_return, |x| x < 0.0),
            mean_max_drawdown: mean(max_drawdown),
            p95_max_drawdown: 0.0,
            uplift: uplift.map(|u| UpliftStats {
                mean: mean(u),
                p05: 0.0,
                p50: 0.0,
                p95: 0.0,
                prob: share(u, |x| x > 0.0),
            }),
        },
        steps,
        annual,
    )
}

/// The statistics of `entities` over each path range: `[entity][range]`.
fn stats_of(
    model: &Model,
    sim: &Simulation,
    ranges: &[std::ops::Range<usize>],
    entities: std::ops::Range<usize>,
) -> Vec<Vec<EntityStats>> {
    let annual = annualisation(model);
    entities
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
                    headline(
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
    let ranges = batches(sim, sim.paths);
    let kept: usize = ranges.iter().map(|r| r.len()).sum();
    let stats = if ranges.len() >= MIN_BATCHES {
        batch_stats(model, sim, &ranges)
    } else {
        Vec::new()
    };
    let b = ranges.len();
    let t = (b >= 2).then(|| t975(b - 1));
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

/// A statistic's 95% half-width and the mean of its batches' estimates; `None` when there are
/// too few batches to tell.
pub type HalfWidth = Option<(f64, f64)>;

/// For a stopping rule: the 95% half-width of `statistic` of every group, from the batches of
/// the first `kept` paths of `sim` (a run in progress), scaled to `paths` paths, with the mean
/// of the batches' estimates (for a relative rule). `None` where there are too few batches or
/// a batch has no value.
pub fn group_half_widths(
    model: &Model,
    sim: &Simulation,
    kept: usize,
    paths: usize,
    statistics: &[&'static str],
) -> Vec<(String, &'static str, HalfWidth)> {
    let ranges = batches(sim, kept);
    let covered: usize = ranges.iter().map(|r| r.len()).sum();
    let groups = model.groups.len();
    let b = ranges.len();
    let stats = if b >= MIN_BATCHES {
        batch_stats(model, sim, &ranges)
    } else {
        Vec::new()
    };
    let t = Some(t975(b.max(2) - 1));
    let scale = (covered as f64 / paths as f64).sqrt();
    let mut out = Vec::new();
    for (g, group) in model.groups.iter().enumerate().take(groups) {
        for &statistic in statistics {
            let values: Option<Vec<f64>> = stats
                .get(g)
                .and_then(|batches| batches.iter().map(|s| of_stats(s, statistic)).collect());
            let found = values.filter(|v| v.len() >= MIN_BATCHES).and_then(|v| {
                let n = v.len() as f64;
                let mean = v.iter().sum::<f64>() / n;
                let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
                let half = t? * (var / n).sqrt() * scale;
                half.is_finite().then_some((half, mean))
            });
            out.push((group.name.clone(), statistic, found));
        }
    }
    out
}

/// A stopping rule: rounds of paths (16,384, then doubling, up to `max_paths`) until the 95%
/// half-width of each listed statistic of every group is at most `target` (times |estimate|
/// when `relative`). The paths are those of a fixed-size run, so a run that stopped at N paths
/// has the bytes of `--paths N` with the same `--summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StopRule {
    /// The largest 95% half-width accepted.
    pub target: f64,
    /// Whether `target` is relative to the estimate's magnitude.
    pub relative: bool,
    /// The statistics that must converge (names of `precision.csv`).
    pub statistics: Vec<&'static str>,
    /// The most paths to run.
    pub max_paths: usize,
}

/// The paths of the first round of a stopping rule: one block of a sketched run.
pub const FIRST_ROUND: usize = 16_384;

/// What a stopping rule did: each round's paths and the widest half-width relative to its
/// allowance (the statistic that decided), and whether it converged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stopping {
    /// The rule.
    pub rule: StopRule,
    /// One entry per round.
    pub rounds: Vec<Round>,
    /// Whether every statistic met the rule (else `max_paths` was reached).
    pub converged: bool,
    /// The statistics still too wide at the end (empty when converged).
    pub unconverged: Vec<String>,
}

/// One round of a stopping rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    /// Paths simulated so far.
    pub paths: usize,
    /// The group and statistic furthest from the rule, and its half-width.
    pub widest: Option<(String, String, f64)>,
}

impl Stopping {
    /// Records a round of `paths` paths; whether the rule is met.
    pub fn check(&mut self, model: &Model, summariser: &dyn Summariser, paths: usize) -> bool {
        let rule = &self.rule;
        let found = match summariser.kept_so_far() {
            Some((sim, kept)) => group_half_widths(model, sim, kept, paths, &rule.statistics),
            None => Vec::new(),
        };
        // Each statistic's half-width over its allowance: met when at most 1.
        let mut widest: Option<(String, String, f64, f64)> = None;
        let mut unconverged = Vec::new();
        for (group, statistic, hw) in &found {
            let (over, half) = match hw {
                Some((half, estimate)) => {
                    let allowed = if rule.relative {
                        rule.target * estimate.abs()
                    } else {
                        rule.target
                    };
                    (
                        if allowed > 0.0 {
                            half / allowed
                        } else {
                            f64::INFINITY
                        },
                        *half,
                    )
                }
                None => (f64::INFINITY, f64::NAN),
            };
            if over > 1.0 || over.is_nan() {
                let shown = if half.is_finite() {
                    format!("{group} {statistic} ±{half:.4}")
                } else {
                    format!("{group} {statistic} (too few paths to tell)")
                };
                unconverged.push(shown);
            }
            if widest.as_ref().is_none_or(|w| over > w.3) {
                widest = Some((group.clone(), statistic.to_string(), half, over));
            }
        }
        self.rounds.push(Round {
            paths,
            widest: widest.map(|(g, s, h, _)| (g, s, h)),
        });
        self.converged = !found.is_empty() && unconverged.is_empty();
        self.unconverged = unconverged;
        self.converged
    }
}

/// One point of `convergence.csv`: a group's statistic over the first `paths` paths, with the
/// 95% interval the batches of those paths give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvergencePoint {
    /// The group.
    pub name: String,
    /// `mean_return` or `cvar95`.
    pub statistic: &'static str,
    /// How many paths (the first ones of the run).
    pub paths: usize,
    /// The statistic over them.
    pub estimate: f64,
    /// Its 95% interval; empty with fewer than [`MIN_BATCHES`] batches.
    pub lo95: Option<f64>,
    /// See `lo95`.
    pub hi95: Option<f64>,
}

/// What `convergence.csv` follows ([`CONVERGENCE`]: mean_return and cvar95) of each of the
/// first `groups` entities over each path range, `[group][range]`: the same sums and
/// selections as [`headline`], without the statistics it does not follow.
fn followed(
    sim: &Simulation,
    ranges: &[std::ops::Range<usize>],
    groups: usize,
) -> Vec<Vec<[f64; 2]>> {
    (0..groups)
        .into_par_iter()
        .map(|g| {
            let column = sim.total_return.column(g);
            ranges
                .iter()
                .map(|r| {
                    let values = &column[r.clone()];
                    let ([], [cvar95]) = quantiles_and_cvars_selected(values, &[], [5]);
                    [mean(values), cvar95]
                })
                .collect()
        })
        .collect()
}

/// The statistics `convergence.csv` follows.
pub const CONVERGENCE: [&str; 2] = ["mean_return", "cvar95"];

/// `convergence.csv`: each group's mean return and cvar95 over the first 2,048, 4,096, ...
/// paths kept whole in `sim` (every path, or a sketched run's reservoir), then over all of
/// them: how the estimate and its interval settle as paths are added (the report's chart).
pub fn convergence(model: &Model, sim: &Simulation) -> Vec<ConvergencePoint> {
    let kept = batches(sim, sim.paths).last().map_or(0, |r| r.end);
    let mut sizes = Vec::new();
    let mut n = MIN_BATCHES * CHUNK_PATHS;
    while n < kept {
        sizes.push(n);
        n *= 2;
    }
    if kept > 0 {
        sizes.push(kept);
    }
    let groups = model.groups.len();
    let mut out = Vec::new();
    for &n in &sizes {
        let ranges = batches(sim, n);
        let prefix = 0..n;
        let whole = followed(sim, std::slice::from_ref(&prefix), groups);
        let parts = followed(sim, &ranges, groups);
        let b = ranges.len();
        let t = Some(t975(b.max(2) - 1));
        for (g, group) in model.groups.iter().enumerate() {
            for (k, statistic) in CONVERGENCE.into_iter().enumerate() {
                let estimate = whole[g][0][k];
                let values: Vec<f64> = parts[g].iter().map(|s| s[k]).collect();
                let half = if values.len() >= MIN_BATCHES {
                    let m = values.len() as f64;
                    let mean = values.iter().sum::<f64>() / m;
                    let var =
                        values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (m - 1.0);
                    t.map(|t| t * (var / m).sqrt()).filter(|h| h.is_finite())
                } else {
                    None
                };
                out.push(ConvergencePoint {
                    name: group.name.clone(),
                    statistic,
                    paths: n,
                    estimate,
                    lo95: half.map(|h| estimate - h),
                    hi95: half.map(|h| estimate + h),
                });
            }
        }
    }
    out
}
