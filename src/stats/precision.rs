//! The Monte Carlo error of every headline statistic (`precision.csv`, docs/model.md §6.1): a
//! standard error and a 95% interval that stay honest for any model, atoms and heavy tails
//! included, and for Latin hypercube and antithetic runs.
//!
//! Each kind of statistic gets the interval that is valid for it:
//!
//! - **quantiles** (p05, p50, p95, var95): the distribution-free interval of order statistics,
//!   [X_(l), X_(u)] with l and u the binomial(n, p) 2.5% and 97.5% points, and the
//!   Maritz-Jarrett standard error ([`crate::stats::interval`]). Batch means are not valid at
//!   an atom: every batch's p05 sits on the same side of a total-loss atom, so their spread
//!   misses the estimate's jumps between -100% and the values above it;
//! - **shares** (prob_loss, prob_uplift): se = sqrt(p (1 - p) / n) and the Wilson interval;
//! - **means, tail means and ratios** (mean_return, cvar95, uplift_mean, mean_max_drawdown,
//!   sharpe, sortino): batch means. The paths are split into B contiguous, deterministic
//!   batches of whole chunks (B = 32, or one per chunk when there are fewer; batch b holds
//!   chunks [b C / B, (b + 1) C / B) of the C chunks), the statistic is computed on each batch
//!   as on the whole run, se = sd(theta_1, ..., theta_B) / sqrt(B), and the interval is
//!   estimate -+ t(B - 1, 0.975) se. A chunk is a whole Latin hypercube stratification block
//!   and holds whole antithetic pairs, so the batches are independent under either.
//!
//! Antithetic runs count pairs as the independent units of the quantile and share formulas,
//! each pair carrying its own measured variance: a share's (or a quantile's, at its estimate)
//! units are n over the pairs' design effect, between n / 2 (two paths of a pair that always
//! agree) and 4 n. A sketched run keeps its first paths whole
//! (the reservoir, R of them): every interval is computed on them and its distances from the
//! estimate scaled by sqrt(R / N) to the run's N paths. Every interval is then cut to what its
//! statistic can be: a return and a quantile of returns are >= -1, a loss <= 1, a share and a
//! drawdown in [0, 1].
//!
//! Fewer than [`MIN_BATCHES`] batches (runs of fewer than 2,048 paths) cannot estimate a
//! standard deviation worth printing: the batch-means rows are then empty.

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::outcome::StepReturns;
use crate::engine::{CHUNK_PATHS, Sampling, Simulation};
use crate::model::{Kind, Model};
use crate::stats::interval::{
    QuantilePlan, order_statistic_windows, pair_design_effect, share_se, wilson,
};
use crate::stats::quantile::quantiles_and_cvars_selected;
use crate::stats::summariser::Summariser;
use crate::stats::summary::{
    Annualisation, EntityStats, PathStats, SummaryRow, Thresholds, annualisation, derive_stats,
};
use crate::stats::sums::mean;

/// The Student t quantile at 0.975 with `df` degrees of freedom: the half-width of a 95%
/// interval of a mean of df + 1 batch estimates, in standard errors.
fn t975(df: usize) -> f64 {
    crate::distribution::special::student_t_quantile(0.975, df as u32)
}

/// Batches of a run with enough chunks.
pub const BATCHES: usize = 32;

/// Chunks a tail mean's batch holds at least, when the run has enough for [`MIN_BATCHES`] such
/// batches: 4,096 paths, so that a batch has at least 205 paths in its worst 5%. Smaller
/// batches overstate the error of cvar95 at an atom (where a total loss sits at the 5% point:
/// measured over 24 seeds of 32,768 paths, 2.5x the spread of the estimates with batches of
/// 1,024 paths, 1.35-1.7x with batches of 4,096; 2.4x at 8,192 paths with batches of 256).
pub const BATCH_CHUNKS_AT_LEAST: usize = 16;

/// How many batches `chunks` whole chunks make for a mean or a ratio: [`BATCHES`], or one per
/// chunk when there are fewer. Many batches: with heavy tails, the sd of a few batch means is
/// skewed and understates the error more often than not (measured: 0.67x the spread over
/// seeds with 8 batches of a lognormal return of log-sd 1.9).
pub fn batch_count(chunks: usize) -> usize {
    chunks.min(BATCHES)
}

/// How many batches `chunks` whole chunks make for a tail mean (cvar95): as many of
/// [`BATCH_CHUNKS_AT_LEAST`] chunks as fit, between [`MIN_BATCHES`] and [`BATCHES`], and never
/// more than the chunks.
pub fn tail_batch_count(chunks: usize) -> usize {
    (chunks / BATCH_CHUNKS_AT_LEAST)
        .clamp(MIN_BATCHES, BATCHES)
        .min(chunks)
}

/// Below this many batches the batch-means rows are empty.
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

/// How a statistic's interval is found.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    /// A quantile of total return at this level; `negated` for a loss (var95 = -p05).
    OrderStatistics { level: f64, negated: bool },
    /// A share of paths (prob_loss, or prob_uplift on the uplifts).
    Wilson { uplift: bool },
    /// Batch means.
    BatchMeans,
}

impl Method {
    fn of(statistic: &str) -> Method {
        let quantile = |level, negated| Method::OrderStatistics { level, negated };
        match statistic {
            "p05" => quantile(0.05, false),
            "p50" => quantile(0.5, false),
            "p95" => quantile(0.95, false),
            "var95" => quantile(0.05, true),
            "prob_loss" => Method::Wilson { uplift: false },
            "prob_uplift" => Method::Wilson { uplift: true },
            _ => Method::BatchMeans,
        }
    }

    /// The name in `precision.csv`'s `interval` column.
    fn name(self) -> &'static str {
        match self {
            Method::OrderStatistics { .. } => "order_statistics",
            Method::Wilson { .. } => "wilson",
            Method::BatchMeans => "batch_means",
        }
    }
}

/// The quantile levels whose intervals come from order statistics, each computed once.
const LEVELS: [f64; 3] = [0.05, 0.5, 0.95];

/// What a statistic can be: its interval is cut to this range.
fn range_of(statistic: &str) -> (f64, f64) {
    match statistic {
        // A return, or a quantile of returns: nothing loses more than everything.
        "mean_return" | "p05" | "p50" | "p95" => (-1.0, f64::INFINITY),
        // A loss: at most everything.
        "var95" | "cvar95" => (f64::NEG_INFINITY, 1.0),
        "prob_loss" | "prob_uplift" | "mean_max_drawdown" => (0.0, 1.0),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    }
}

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
    /// The standard error; empty where it cannot be estimated.
    pub se: Option<f64>,
    /// The 95% interval's lower end.
    pub lo95: Option<f64>,
    /// Its upper end.
    pub hi95: Option<f64>,
    /// se / |estimate|; empty when the estimate is 0.
    pub relative_se: Option<f64>,
    /// How many batches a batch-means error comes from; empty for the other methods.
    pub batches: Option<usize>,
    /// `order_statistics`, `wilson` or `batch_means`: how the interval was found.
    pub interval: &'static str,
}

impl PrecisionRow {
    /// The 95% interval's half-width.
    pub fn half_width(&self) -> Option<f64> {
        Some((self.hi95? - self.lo95?) / 2.0)
    }

    /// The larger distance from the estimate to an end of its 95% interval: what a `±` shows,
    /// so that an interval lopsided at an atom is never understated.
    pub fn reach(&self) -> Option<f64> {
        let x = self.estimate?;
        Some((x - self.lo95?).max(self.hi95? - x).max(0.0))
    }
}

/// A statistic's value in a summary row.
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

/// A batch-means statistic from one batch's statistics.
fn of_stats(s: &EntityStats, statistic: &str) -> Option<f64> {
    match statistic {
        "mean_return" => Some(s.mean_return),
        "sharpe" => s.sharpe,
        "sortino" => s.sortino,
        "mean_max_drawdown" => Some(s.mean_max_drawdown),
        "uplift_mean" => s.uplift.map(|u| u.mean),
        _ => None,
    }
}

/// The batches of the first `kept` paths of `sim` (all of them, or the filled part of a run
/// still being gathered): path ranges of whole chunks (the chunks of a sketched run's reservoir
/// that it holds entirely).
fn batches(
    sim: &Simulation,
    kept: usize,
    count: fn(usize) -> usize,
) -> Vec<std::ops::Range<usize>> {
    // Whole chunks whose pools the run kept.
    let chunks = kept.div_ceil(CHUNK_PATHS).min(sim.pools.len());
    let whole = if chunks * CHUNK_PATHS > kept && chunks < sim.pools.len() {
        // A reservoir cut inside a chunk: that chunk's pool covers paths it does not hold.
        chunks - 1
    } else {
        chunks
    };
    let b = count(whole);
    (0..b)
        .map(|k| {
            let (c0, c1) = (k * whole / b, (k + 1) * whole / b);
            c0 * CHUNK_PATHS..(c1 * CHUNK_PATHS).min(kept)
        })
        .collect()
}

/// The means and ratios batch means serve, as
/// [`entity_stats`](crate::stats::summary::entity_stats) computes them (the same sums, so the
/// same values), and none of the others: no quantile or tail, the uplift's mean but not its
/// quantiles (the rest are 0).
fn headline(
    total_return: &[f64],
    max_drawdown: &[f64],
    uplift: Option<&[f64]>,
    steps: &StepReturns,
    annual: Annualisation,
) -> EntityStats {
    derive_stats(
        PathStats {
            paths: total_return.len(),
            mean_return: mean(total_return),
            sd_return: None,
            quantiles: [0.0; 9],
            cvar95: 0.0,
            cvar99: 0.0,
            prob_loss: 0.0,
            mean_max_drawdown: mean(max_drawdown),
            p95_max_drawdown: 0.0,
            uplift: uplift.map(|u| crate::stats::summary::UpliftStats {
                mean: mean(u),
                p05: 0.0,
                p50: 0.0,
                p95: 0.0,
                prob: 0.0,
            }),
        },
        steps,
        annual,
    )
}

/// A statistic's error found on the paths kept whole: its estimate there, its se and interval.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Kept {
    estimate: f64,
    se: f64,
    lo: f64,
    hi: f64,
}

/// What one entity's errors are found from, the same for every entity of a run.
struct Plan {
    /// Paths kept whole, and the run's paths.
    kept: usize,
    paths: usize,
    /// Whether paths come in antithetic pairs, whose design effect is measured.
    antithetic: bool,
    /// The batches of the kept paths: for means and ratios, and for tail means.
    ranges: Vec<std::ops::Range<usize>>,
    tail_ranges: Vec<std::ops::Range<usize>>,
    /// Order statistics' plans for [`LEVELS`].
    quantiles: Vec<QuantilePlan>,
    annual: Annualisation,
    /// t(B - 1, 0.975) of each set of batches.
    t: f64,
    t_tail: f64,
}

impl Plan {
    fn new(model: &Model, sim: &Simulation, kept: usize, paths: usize, sampling: Sampling) -> Self {
        let ranges = batches(sim, kept, batch_count);
        let tail_ranges = batches(sim, kept, tail_batch_count);
        // The paths the batches cover: a reservoir cut inside a chunk leaves its tail out.
        let kept = kept
            .min(ranges.last().map_or(kept, |r| r.end).max(1))
            .min(sim.paths);
        // Antithetic pairs: the widest the intervals can be (pairs as units, N / 2) sets the
        // window of order statistics; each column's own design effect then narrows it.
        let units = if sampling.antithetic { kept / 2 } else { kept }.max(1);
        let b = ranges.len();
        Plan {
            kept,
            paths,
            antithetic: sampling.antithetic,
            quantiles: LEVELS
                .iter()
                .map(|&p| QuantilePlan::new(kept, units, p))
                .collect(),
            annual: annualisation(model),
            t: t975(b.max(2) - 1),
            t_tail: t975(tail_ranges.len().max(2) - 1),
            ranges,
            tail_ranges,
        }
    }

    /// How many batches `statistic` is estimated from.
    fn batches_of(&self, statistic: &str) -> usize {
        if statistic == "cvar95" {
            self.tail_ranges.len()
        } else {
            self.ranges.len()
        }
    }

    /// t(B - 1, 0.975) of the batches `statistic` is estimated from.
    fn t_of(&self, statistic: &str) -> f64 {
        if statistic == "cvar95" {
            self.t_tail
        } else {
            self.t
        }
    }

    /// sqrt(R / N): the kept paths' error scaled to the run's.
    fn scale(&self) -> f64 {
        (self.kept as f64 / self.paths as f64).sqrt()
    }

    /// Every statistic's error of entity `e`, found on the kept paths, in [`STATISTICS`]'s
    /// order (`None` where it cannot be: too few batches, an empty batch value, no baseline).
    fn entity(&self, sim: &Simulation, e: usize) -> Vec<Option<Kept>> {
        let kept = self.kept;
        if kept == 0 || sim.paths < kept {
            return vec![None; STATISTICS.len()];
        }
        let returns = &sim.total_return.column(e)[..kept];
        let uplift = sim.uplift.as_ref().map(|u| &u.column(e)[..kept]);
        let plans: Vec<&QuantilePlan> = self.quantiles.iter().collect();
        let windows = order_statistic_windows(returns, &plans);
        // Independent units of a share or a quantile: the paths, or for antithetic pairs the
        // paths over the pairs' design effect on that share (docs/model.md §6.1).
        let units = |values: &[f64], counted: &dyn Fn(f64) -> bool| {
            if self.antithetic {
                kept as f64 / pair_design_effect(values, counted)
            } else {
                kept as f64
            }
        };
        let quantile = |level: f64| {
            let k = LEVELS.iter().position(|&l| l == level)?;
            let widest = &self.quantiles[k];
            let q = widest.interval(&windows[k], -1.0);
            if !self.antithetic {
                return Some(q);
            }
            let n = units(returns, &|x| x <= q.estimate).round() as usize;
            let plan = QuantilePlan::new(kept, n, level);
            Some(if plan.within(widest) {
                plan.interval_within(&windows[k], widest.first, -1.0)
            } else {
                q
            })
        };
        let share = |values: &[f64], keep: fn(f64) -> bool| {
            let p = values.iter().filter(|&&x| keep(x)).count() as f64 / kept as f64;
            let n = units(values, &|x| keep(x));
            let (lo, hi) = wilson(p, n);
            Kept {
                estimate: p,
                se: share_se(p, n),
                lo,
                hi,
            }
        };
        let batch_stats: Vec<EntityStats> = if self.ranges.len() >= MIN_BATCHES {
            self.ranges
                .iter()
                .map(|r| {
                    let (c0, c1) = (r.start / CHUNK_PATHS, r.end.div_ceil(CHUNK_PATHS));
                    let mut steps = StepReturns::default();
                    for pool in &sim.pools[c0..c1] {
                        steps.merge(&pool.all[e]);
                    }
                    headline(
                        &returns[r.clone()],
                        &sim.max_drawdown.column(e)[r.clone()],
                        uplift.map(|u| &u[r.clone()]),
                        &steps,
                        self.annual,
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let tails: Vec<f64> = self
            .tail_ranges
            .iter()
            .map(|r| quantiles_and_cvars_selected(&returns[r.clone()], &[], [5]).1[0])
            .collect();
        STATISTICS
            .iter()
            .map(|&statistic| match Method::of(statistic) {
                Method::OrderStatistics { level, negated } => quantile(level).map(|q| {
                    if negated {
                        Kept {
                            estimate: -q.estimate,
                            se: q.se,
                            lo: -q.hi,
                            hi: -q.lo,
                        }
                    } else {
                        Kept {
                            estimate: q.estimate,
                            se: q.se,
                            lo: q.lo,
                            hi: q.hi,
                        }
                    }
                }),
                Method::Wilson { uplift: false } => Some(share(returns, |x| x < 0.0)),
                Method::Wilson { uplift: true } => uplift.map(|u| share(u, |x| x > 0.0)),
                Method::BatchMeans => {
                    let values: Vec<f64> = if statistic == "cvar95" {
                        tails.clone()
                    } else {
                        batch_stats
                            .iter()
                            .map(|s| of_stats(s, statistic))
                            .collect::<Option<_>>()?
                    };
                    if values.len() < MIN_BATCHES {
                        return None;
                    }
                    let n = values.len() as f64;
                    let centre = values.iter().sum::<f64>() / n;
                    let var = values
                        .iter()
                        .map(|x| (x - centre) * (x - centre))
                        .sum::<f64>()
                        / (n - 1.0);
                    let se = (var / n).sqrt();
                    let t = self.t_of(statistic);
                    se.is_finite().then_some(Kept {
                        estimate: centre,
                        se,
                        lo: centre - t * se,
                        hi: centre + t * se,
                    })
                }
            })
            .collect()
    }

    /// The run's error of `statistic` with estimate `estimate`, from its error on the kept
    /// paths: the same when every path is kept; else se and the interval's distances from the
    /// kept estimate scaled by sqrt(R / N) around the run's. Cut to what the statistic can be.
    fn scaled(&self, statistic: &str, estimate: f64, kept: Kept) -> (f64, f64, f64) {
        let (se, mut lo, mut hi) = match Method::of(statistic) {
            Method::BatchMeans => {
                let se = kept.se * self.scale();
                let t = self.t_of(statistic);
                (se, estimate - t * se, estimate + t * se)
            }
            _ if self.kept == self.paths => (kept.se, kept.lo, kept.hi),
            _ => {
                let s = self.scale();
                (
                    kept.se * s,
                    estimate - (kept.estimate - kept.lo) * s,
                    estimate + (kept.hi - kept.estimate) * s,
                )
            }
        };
        let (floor, ceiling) = range_of(statistic);
        lo = lo.max(floor).min(estimate);
        hi = hi.min(ceiling).max(estimate);
        (se, lo, hi)
    }
}

/// The rows of `precision.csv`: for each entity (summary order) and each of [`STATISTICS`]
/// (the uplift ones only with a baseline), the estimate of `rows` with the error of a run of
/// `paths` paths, found on the paths `sim` keeps whole (every path, or a sketched run's
/// reservoir) as `sampling` drew them.
pub fn precision(
    model: &Model,
    sim: &Simulation,
    rows: &[SummaryRow],
    paths: usize,
    sampling: Sampling,
) -> Vec<PrecisionRow> {
    let plan = Plan::new(model, sim, sim.paths, paths, sampling);
    let errors: Vec<Vec<Option<Kept>>> = (0..rows.len())
        .into_par_iter()
        .map(|e| plan.entity(sim, e))
        .collect();
    let baseline = model.baseline.is_some();
    let mut out = Vec::new();
    for (row, errors) in rows.iter().zip(&errors) {
        for (statistic, kept) in STATISTICS.into_iter().zip(errors) {
            if (statistic.starts_with("uplift") || statistic == "prob_uplift") && !baseline {
                continue;
            }
            let method = Method::of(statistic);
            let estimate = of_row(row, statistic);
            let error = estimate
                .zip(*kept)
                .map(|(x, k)| plan.scaled(statistic, x, k))
                .filter(|(se, lo, hi)| se.is_finite() && lo.is_finite() && hi.is_finite());
            out.push(PrecisionRow {
                kind: row.kind,
                name: row.name.clone(),
                statistic,
                estimate,
                se: error.map(|e| e.0),
                lo95: error.map(|e| e.1),
                hi95: error.map(|e| e.2),
                relative_se: match (estimate, error) {
                    (Some(x), Some((se, _, _))) if x != 0.0 => Some(se / x.abs()),
                    _ => None,
                },
                batches: (method == Method::BatchMeans).then(|| plan.batches_of(statistic)),
                interval: method.name(),
            });
        }
    }
    out
}

/// Fills each row's `profile_settled` from the 95% intervals of its mean_return and cvar95 in
/// `precision` (docs/model.md §5, `profile_settled`): empty where either is missing.
pub fn settle_profiles(model: &Model, rows: &mut [SummaryRow], precision: &[PrecisionRow]) {
    let thresholds = Thresholds::of(model);
    for row in rows {
        let interval = |statistic: &str| {
            precision
                .iter()
                .find(|p| p.kind == row.kind && p.name == row.name && p.statistic == statistic)
                .and_then(|p| p.lo95.zip(p.hi95))
        };
        row.profile_settled = thresholds.settled(interval("mean_return"), interval("cvar95"));
    }
}

/// A statistic's 95% half-width and its estimate on the paths kept so far; `None` when it
/// cannot be estimated yet.
pub type HalfWidth = Option<(f64, f64)>;

/// For a stopping rule: the 95% half-width of `statistic` of every group, found on the first
/// `kept` paths of `sim` (a run in progress) as [`precision`] finds it, scaled to `paths`
/// paths, with its estimate there (for a relative rule: the quantile or share of those paths,
/// the mean of the batches' estimates for the rest).
pub fn group_half_widths(
    model: &Model,
    sim: &Simulation,
    kept: usize,
    paths: usize,
    statistics: &[&'static str],
    sampling: Sampling,
) -> Vec<(String, &'static str, HalfWidth)> {
    let plan = Plan::new(model, sim, kept, paths, sampling);
    let errors: Vec<Vec<Option<Kept>>> = (0..model.groups.len())
        .into_par_iter()
        .map(|g| plan.entity(sim, g))
        .collect();
    let mut out = Vec::new();
    for (group, errors) in model.groups.iter().zip(&errors) {
        for &statistic in statistics {
            let k = STATISTICS.iter().position(|s| *s == statistic);
            let found = k.and_then(|k| errors[k]).and_then(|kept| {
                let (_, lo, hi) = plan.scaled(statistic, kept.estimate, kept);
                let half = (hi - lo) / 2.0;
                half.is_finite().then_some((half, kept.estimate))
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
    /// How the run draws its paths (antithetic pairs count as one unit each).
    #[serde(skip)]
    pub sampling: Sampling,
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
            Some((sim, kept)) => {
                group_half_widths(model, sim, kept, paths, &rule.statistics, self.sampling)
            }
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
    let kept = batches(sim, sim.paths, batch_count)
        .last()
        .map_or(0, |r| r.end);
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
        // The mean's batches, and the tail mean's (of at least 1,024 paths where they fit).
        let sets = [batch_count, tail_batch_count].map(|count| batches(sim, n, count));
        let prefix = 0..n;
        let whole = followed(sim, std::slice::from_ref(&prefix), groups);
        let parts = sets.each_ref().map(|ranges| followed(sim, ranges, groups));
        for (g, group) in model.groups.iter().enumerate() {
            for (k, statistic) in CONVERGENCE.into_iter().enumerate() {
                let estimate = whole[g][0][k];
                let values: Vec<f64> = parts[k][g].iter().map(|s| s[k]).collect();
                let t = Some(t975(values.len().max(2) - 1));
                let half = if values.len() >= MIN_BATCHES {
                    let m = values.len() as f64;
                    let mean = values.iter().sum::<f64>() / m;
                    let var =
                        values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (m - 1.0);
                    t.map(|t| t * (var / m).sqrt()).filter(|h| h.is_finite())
                } else {
                    None
                };
                let (floor, ceiling) = range_of(statistic);
                out.push(ConvergencePoint {
                    name: group.name.clone(),
                    statistic,
                    paths: n,
                    estimate,
                    lo95: half.map(|h| (estimate - h).max(floor)),
                    hi95: half.map(|h| (estimate + h).min(ceiling)),
                });
            }
        }
    }
    out
}
