//! Constant-memory runs: paths are simulated in batches, each batch is folded into sketches
//! and streaming moments and then dropped, so memory does not grow with the number of paths.
//!
//! - mean and sd: Welford's streaming moments, updated in path order (exact up to rounding);
//! - quantiles, cvar and drawdown percentiles: [`SignedSketch`]es, within
//!   [`RELATIVE_ACCURACY`](crate::sketch::RELATIVE_ACCURACY) (0.05%) of the exact values;
//! - prob_loss, prob_uplift: exact counts; step returns: the exact pooled accumulators, merged
//!   in chunk order as in an exact run;
//! - sensitivity and samples: the first [`RESERVOIR_PATHS`] paths, kept whole. Paths are
//!   independent and identically distributed, so the first R are a uniform sample.
//!
//! Every accumulator is updated by one task in path order and the sketches hold integer
//! counts, so a sketched run is as deterministic as an exact one.

use std::ops::Range;

use rayon::prelude::*;

use crate::condition::Condition;
use crate::engine::{
    CHUNK_PATHS, Columns, EngineError, Hooks, RunConfig, Simulation, simulate_chunks,
};
use crate::model::Model;
use crate::outcome::StepReturns;
use crate::sketch::{Moments, SignedSketch};
use crate::summary::{
    DistributionRow, EntityStats, FAN_QUANTILES, FanStep, PathStats, QUANTILES, UpliftStats,
    annualisation, derive_stats, distribution_levels, entities,
};

/// Paths kept whole for sensitivity.csv and samples.csv in a sketched run.
pub const RESERVOIR_PATHS: usize = 100_000;

/// Chunks simulated per batch (16,384 paths).
pub const BATCH_CHUNKS: usize = 64;

/// One entity's streaming state.
#[derive(Debug, Clone, Default)]
struct EntityStream {
    returns: Moments,
    return_sketch: SignedSketch,
    losses: u64,
    drawdowns: Moments,
    drawdown_sketch: SignedSketch,
    uplift: Moments,
    uplift_sketch: SignedSketch,
    uplift_positive: u64,
}

/// One step of the adoption fan.
#[derive(Debug, Clone, Default)]
struct FanStream {
    moments: Moments,
    sketch: SignedSketch,
}

impl FanStream {
    fn stats(&self) -> [f64; 6] {
        let mut out = [self.moments.mean, 0.0, 0.0, 0.0, 0.0, 0.0];
        for (o, p) in out[1..].iter_mut().zip(FAN_QUANTILES) {
            *o = self.sketch.quantile(p);
        }
        out
    }
}

/// The streaming summary of a set of paths (all, or those meeting a condition).
#[derive(Debug, Clone)]
pub struct StreamSummary {
    entities: Vec<EntityStream>,
    fan: Vec<FanStream>,
    baseline_fan: Vec<FanStream>,
    baseline: bool,
}

impl StreamSummary {
    fn new(entities: usize, steps: usize, baseline: bool) -> Self {
        Self {
            entities: vec![EntityStream::default(); entities],
            fan: vec![FanStream::default(); steps + 1],
            baseline_fan: vec![FanStream::default(); if baseline { steps + 1 } else { 0 }],
            baseline,
        }
    }

    /// Paths folded in.
    pub fn paths(&self) -> u64 {
        self.entities.first().map_or(0, |e| e.returns.count)
    }

    /// Folds a batch's paths (where `mask` is true, when given) in path order; each entity and
    /// each fan step is one task.
    fn fold(&mut self, sim: &Simulation, mask: Option<&[bool]>) {
        let keep = |path: usize| mask.is_none_or(|m| m[path]);
        self.entities
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, acc)| {
                let (returns, drawdowns) = (sim.total_return.column(i), sim.max_drawdown.column(i));
                let uplift = sim.uplift.as_ref().map(|u| u.column(i));
                for path in (0..sim.paths).filter(|&p| keep(p)) {
                    let r = returns[path];
                    acc.returns.add(r);
                    acc.return_sketch.add(r);
                    acc.losses += u64::from(r < 0.0);
                    let d = drawdowns[path];
                    acc.drawdowns.add(d);
                    acc.drawdown_sketch.add(d);
                    if let Some(u) = uplift {
                        let u = u[path];
                        acc.uplift.add(u);
                        acc.uplift_sketch.add(u);
                        acc.uplift_positive += u64::from(u > 0.0);
                    }
                }
            });
        let fold_fan = |fan: &mut [FanStream], values: &Columns| {
            fan.par_iter_mut().enumerate().for_each(|(j, acc)| {
                let values = values.column(j);
                for path in (0..sim.paths).filter(|&p| keep(p)) {
                    let a = values[path];
                    acc.moments.add(a);
                    acc.sketch.add(a);
                }
            });
        };
        fold_fan(&mut self.fan, &sim.adoption);
        if let Some(b) = &sim.baseline_adoption {
            fold_fan(&mut self.baseline_fan, b);
        }
    }

    /// Each entity's §5 statistics, given its pooled step returns.
    pub fn entity_stats(&self, model: &Model, steps: &[StepReturns]) -> Vec<EntityStats> {
        let annual = annualisation(model);
        self.entities
            .iter()
            .zip(steps)
            .map(|(s, steps)| {
                let n = s.returns.count;
                let tail = |percent: u64| -s.return_sketch.low_mean((n * percent).div_ceil(100));
                let share = |k: u64| k as f64 / n as f64;
                derive_stats(
                    PathStats {
                        paths: n as usize,
                        mean_return: s.returns.mean,
                        sd_return: s.returns.sd(),
                        quantiles: QUANTILES.map(|p| s.return_sketch.quantile(p)),
                        cvar95: tail(5),
                        cvar99: tail(1),
                        prob_loss: share(s.losses),
                        mean_max_drawdown: s.drawdowns.mean,
                        p95_max_drawdown: s.drawdown_sketch.quantile(0.95),
                        uplift: self.baseline.then(|| UpliftStats {
                            mean: s.uplift.mean,
                            p05: s.uplift_sketch.quantile(0.05),
                            p50: s.uplift_sketch.quantile(0.5),
                            p95: s.uplift_sketch.quantile(0.95),
                            prob: share(s.uplift_positive),
                        }),
                    },
                    steps,
                    annual,
                )
            })
            .collect()
    }

    /// `distributions.csv`: percentiles 1..99 of each entity's total return and drawdown.
    pub fn distributions(&self, model: &Model) -> Vec<DistributionRow> {
        let mut rows = Vec::new();
        for ((kind, name), s) in entities(model).into_iter().zip(&self.entities) {
            for (measure, sketch) in [
                ("total_return", &s.return_sketch),
                ("max_drawdown", &s.drawdown_sketch),
            ] {
                rows.extend(distribution_levels().map(|level| DistributionRow {
                    kind,
                    name: name.to_string(),
                    measure,
                    level,
                    value: sketch.quantile(level),
                }));
            }
        }
        rows
    }

    /// The adoption fan.
    pub fn fan(&self, model: &Model) -> Vec<FanStep> {
        self.fan
            .iter()
            .enumerate()
            .map(|(j, f)| FanStep {
                step: j,
                year: j as f64 * model.dt(),
                boom: f.stats(),
                baseline: self.baseline_fan.get(j).map(FanStream::stats),
            })
            .collect()
    }
}

/// What a sketched run keeps.
pub struct StreamedRun {
    /// Every path's summary.
    pub all: StreamSummary,
    /// The pooled step returns of every path.
    pub step_returns: Vec<StepReturns>,
    /// With a condition: the matching paths' summary and pooled step returns.
    pub conditional: Option<(StreamSummary, Vec<StepReturns>)>,
    /// The first paths, whole (for sensitivity and samples).
    pub reservoir: Simulation,
}

/// Runs chunks `chunks` of a run of `paths` paths in batches on the current rayon pool,
/// folding each batch into constant-memory summaries.
pub fn simulate_streaming(
    model: &Model,
    config: &RunConfig,
    chunks: Range<usize>,
    condition: Option<&Condition>,
    hooks: &Hooks,
) -> Result<StreamedRun, EngineError> {
    let e = model.groups.len() + model.assets.len();
    let steps = model.steps();
    let baseline = model.baseline.is_some();
    let mut all = StreamSummary::new(e, steps, baseline);
    let mut step_returns = vec![StepReturns::default(); e];
    let mut conditional = condition.map(|_| {
        (
            StreamSummary::new(e, steps, baseline),
            vec![StepReturns::default(); e],
        )
    });
    let mut reservoir: Vec<Simulation> = Vec::new();
    let mut start = chunks.start;
    while start < chunks.end {
        let end = (start + BATCH_CHUNKS).min(chunks.end);
        let batch = simulate_chunks(model, config, start..end, condition, hooks)?;
        all.fold(&batch, None);
        for pool in &batch.pools {
            for (acc, part) in step_returns.iter_mut().zip(&pool.all) {
                acc.merge(part);
            }
        }
        if let (Some((summary, matching)), Some(met)) = (&mut conditional, &batch.condition) {
            summary.fold(&batch, Some(&met.matches));
            for pool in &batch.pools {
                for (acc, part) in matching.iter_mut().zip(&pool.matching) {
                    acc.merge(part);
                }
            }
        }
        if batch.first_path < RESERVOIR_PATHS {
            reservoir.push(batch);
        }
        start = end;
    }
    let reservoir = Simulation::join(reservoir).truncated(RESERVOIR_PATHS);
    Ok(StreamedRun {
        all,
        step_returns,
        conditional,
        reservoir,
    })
}

/// Whether a run keeps every path (`true`) or streams into sketches.
pub fn exact_fits(model: &Model, paths: usize) -> bool {
    crate::engine::outcome_bytes(model, paths) <= EXACT_LIMIT_BYTES
}

/// Runs whose per-path outcomes exceed this are summarised by sketches.
pub const EXACT_LIMIT_BYTES: usize = 512 << 20;

/// Paths per batch, for messages.
pub const BATCH_PATHS: usize = BATCH_CHUNKS * CHUNK_PATHS;
