//! Constant-memory runs: paths are simulated in batches, each batch is folded into sketches
//! and streaming moments and then dropped, so memory does not grow with the number of paths.
//!
//! - mean and sd: Welford's streaming moments, updated in path order within each block of
//!   [`BATCH_CHUNKS`] chunks (blocks start at multiples of it, counted from path 0), the blocks'
//!   moments merged in block order (exact up to rounding);
//! - quantiles, cvar and drawdown percentiles: [`SignedSketch`]es, within
//!   [`RELATIVE_ACCURACY`](crate::stats::sketch::RELATIVE_ACCURACY) (0.05%) of the exact values;
//! - prob_loss, prob_uplift: exact counts; step returns: the chunks' pooled accumulators,
//!   merged in chunk order within a block and the blocks in block order;
//! - sensitivity and samples: the first [`RESERVOIR_PATHS`] paths, kept whole. Paths are
//!   independent and identically distributed, so the first R are a uniform sample.
//!
//! Every accumulator is updated by one task in path order and the sketches hold integer
//! counts, so a sketched run is as deterministic as an exact one. A shard of a sketched run
//! covers whole blocks and keeps each block's moments and pools ([`Block`]); merging replays
//! them in block order, so the shards merge to the bytes of one run.

use std::ops::Range;

use rayon::prelude::*;

use crate::engine::condition::Condition;
use crate::engine::outcome::Moments;
use crate::engine::outcome::StepReturns;
use crate::engine::{
    CHUNK_PATHS, ChunkPool, Columns, EngineError, Gathered, Hooks, RunConfig, Simulation,
    simulate_chunks,
};
use crate::model::Model;
use crate::stats::sketch::SignedSketch;
use crate::stats::state::{Reader, Writer};
use crate::stats::summary::{
    DistributionRow, EntityStats, FAN_QUANTILES, FanStep, PathStats, QUANTILES, UpliftStats,
    annualisation, derive_stats, distribution_levels,
};

/// Paths kept whole for sensitivity.csv and samples.csv in a sketched run.
pub const RESERVOIR_PATHS: usize = 100_000;

/// Chunks per block: simulated as one batch, with moments of their own (16,384 paths).
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
        let ranked = self.sketch.ranked();
        for (o, p) in out[1..].iter_mut().zip(FAN_QUANTILES) {
            *o = ranked.quantile(p);
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

    /// Folds a block's paths (where `mask` is true, when given) into the sketches and counts,
    /// in path order, and returns the block's own moments (merge them with [`Self::absorb`]);
    /// each entity and each fan step is one task.
    fn fold(&mut self, sim: &Simulation, mask: Option<&[bool]>) -> BlockMoments {
        let keep = |path: usize| mask.is_none_or(|m| m[path]);
        let entities = self
            .entities
            .par_iter_mut()
            .enumerate()
            .map(|(i, acc)| {
                let mut block = [Moments::default(); 3];
                let (returns, drawdowns) = (sim.total_return.column(i), sim.max_drawdown.column(i));
                let uplift = sim.uplift.as_ref().map(|u| u.column(i));
                for path in (0..sim.paths).filter(|&p| keep(p)) {
                    let r = returns[path];
                    block[0].add(r);
                    acc.return_sketch.add(r);
                    acc.losses += u64::from(r < 0.0);
                    let d = drawdowns[path];
                    block[1].add(d);
                    acc.drawdown_sketch.add(d);
                    if let Some(u) = uplift {
                        let u = u[path];
                        block[2].add(u);
                        acc.uplift_sketch.add(u);
                        acc.uplift_positive += u64::from(u > 0.0);
                    }
                }
                block
            })
            .collect();
        let fold_fan = |fan: &mut [FanStream], values: &Columns| -> Vec<Moments> {
            fan.par_iter_mut()
                .enumerate()
                .map(|(j, acc)| {
                    let mut block = Moments::default();
                    let values = values.column(j);
                    for path in (0..sim.paths).filter(|&p| keep(p)) {
                        let a = values[path];
                        block.add(a);
                        acc.sketch.add(a);
                    }
                    block
                })
                .collect()
        };
        let fan = fold_fan(&mut self.fan, &sim.adoption);
        let baseline_fan = match &sim.baseline_adoption {
            Some(b) => fold_fan(&mut self.baseline_fan, b),
            None => Vec::new(),
        };
        BlockMoments {
            entities,
            fan,
            baseline_fan,
        }
    }

    /// Merges a block's moments into the running moments (blocks in block order).
    fn absorb(&mut self, block: &BlockMoments) {
        for (acc, [returns, drawdowns, uplift]) in self.entities.iter_mut().zip(&block.entities) {
            acc.returns.merge(returns);
            acc.drawdowns.merge(drawdowns);
            acc.uplift.merge(uplift);
        }
        for (acc, m) in self.fan.iter_mut().zip(&block.fan) {
            acc.moments.merge(m);
        }
        for (acc, m) in self.baseline_fan.iter_mut().zip(&block.baseline_fan) {
            acc.moments.merge(m);
        }
    }

    /// Adds another part's sketches and counts (order-free); its moments are not touched:
    /// they are replayed block by block with [`Self::absorb`].
    fn merge_counts(&mut self, other: &StreamSummary) {
        for (acc, o) in self.entities.iter_mut().zip(&other.entities) {
            acc.return_sketch.merge(&o.return_sketch);
            acc.losses += o.losses;
            acc.drawdown_sketch.merge(&o.drawdown_sketch);
            acc.uplift_sketch.merge(&o.uplift_sketch);
            acc.uplift_positive += o.uplift_positive;
        }
        for (acc, o) in self.fan.iter_mut().zip(&other.fan) {
            acc.sketch.merge(&o.sketch);
        }
        for (acc, o) in self.baseline_fan.iter_mut().zip(&other.baseline_fan) {
            acc.sketch.merge(&o.sketch);
        }
    }

    /// Saves the sketches and counts (the moments travel as blocks).
    fn save(&self, w: &mut Writer) {
        w.length(self.entities.len());
        for e in &self.entities {
            e.return_sketch.save(w);
            w.u64(e.losses);
            e.drawdown_sketch.save(w);
            e.uplift_sketch.save(w);
            w.u64(e.uplift_positive);
        }
        for f in self.fan.iter().chain(&self.baseline_fan) {
            f.sketch.save(w);
        }
    }

    /// Reads what [`Self::save`] wrote, for a model of `entities` entities and `steps` steps.
    fn load(r: &mut Reader<'_>, entities: usize, steps: usize, baseline: bool) -> Option<Self> {
        let mut s = StreamSummary::new(entities, steps, baseline);
        if r.length()? != entities {
            return None;
        }
        for e in &mut s.entities {
            e.return_sketch = SignedSketch::load(r)?;
            e.losses = r.u64()?;
            e.drawdown_sketch = SignedSketch::load(r)?;
            e.uplift_sketch = SignedSketch::load(r)?;
            e.uplift_positive = r.u64()?;
        }
        for f in s.fan.iter_mut().chain(&mut s.baseline_fan) {
            f.sketch = SignedSketch::load(r)?;
        }
        Some(s)
    }

    /// Each entity's §5 statistics, given its pooled step returns.
    pub fn entity_stats(&self, model: &Model, steps: &[StepReturns]) -> Vec<EntityStats> {
        let annual = annualisation(model);
        self.entities
            .iter()
            .zip(steps)
            .map(|(s, steps)| {
                let n = s.returns.count;
                let returns = s.return_sketch.ranked();
                let uplift = s.uplift_sketch.ranked();
                let tail = |percent: u64| -returns.low_mean((n * percent).div_ceil(100));
                let share = |k: u64| k as f64 / n as f64;
                derive_stats(
                    PathStats {
                        paths: n as usize,
                        mean_return: s.returns.mean,
                        sd_return: s.returns.sd(),
                        quantiles: QUANTILES.map(|p| returns.quantile(p)),
                        cvar95: tail(5),
                        cvar99: tail(1),
                        prob_loss: share(s.losses),
                        mean_max_drawdown: s.drawdowns.mean,
                        p95_max_drawdown: s.drawdown_sketch.ranked().quantile(0.95),
                        uplift: self.baseline.then(|| UpliftStats {
                            mean: s.uplift.mean,
                            p05: uplift.quantile(0.05),
                            p50: uplift.quantile(0.5),
                            p95: uplift.quantile(0.95),
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
        for ((kind, name), s) in model.entities().into_iter().zip(&self.entities) {
            for (measure, sketch) in [
                ("total_return", &s.return_sketch),
                ("max_drawdown", &s.drawdown_sketch),
            ] {
                let ranked = sketch.ranked();
                rows.extend(distribution_levels().map(|level| DistributionRow {
                    kind,
                    name: name.to_string(),
                    measure,
                    level,
                    value: ranked.quantile(level),
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

/// The moments of one block's paths: each entity's return, drawdown and uplift, and A(t_j)
/// of the boom and of the baseline at every step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockMoments {
    entities: Vec<[Moments; 3]>,
    fan: Vec<Moments>,
    baseline_fan: Vec<Moments>,
}

impl BlockMoments {
    /// Whether these are the moments of a model of `e` entities and `steps` steps.
    fn has_shape(&self, e: usize, steps: usize, baseline: bool) -> bool {
        self.entities.len() == e
            && self.fan.len() == steps + 1
            && self.baseline_fan.len() == if baseline { steps + 1 } else { 0 }
    }

    fn save(&self, w: &mut Writer) {
        w.length(self.entities.len());
        w.length(self.fan.len());
        w.length(self.baseline_fan.len());
        for m in self
            .entities
            .iter()
            .flatten()
            .chain(&self.fan)
            .chain(&self.baseline_fan)
        {
            m.save(w);
        }
    }

    fn load(r: &mut Reader<'_>) -> Option<Self> {
        let (e, f, b) = (r.length()?, r.length()?, r.length()?);
        let mut moments = |n: usize| (0..n).map(|_| Moments::load(r)).collect::<Option<Vec<_>>>();
        let entities = moments(3 * e)?
            .chunks_exact(3)
            .map(|m| [m[0], m[1], m[2]])
            .collect();
        Some(BlockMoments {
            entities,
            fan: moments(f)?,
            baseline_fan: moments(b)?,
        })
    }
}

/// What one block of [`BATCH_CHUNKS`] chunks adds to a run, before it is merged: what a
/// shard keeps so that the merge replays the blocks in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The moments of every path.
    moments: BlockMoments,
    /// Every path's step returns, pooled chunk by chunk in chunk order.
    pool: Vec<StepReturns>,
    /// With a condition: the matching paths' moments and pooled step returns.
    matching: Option<(BlockMoments, Vec<StepReturns>)>,
}

fn save_pool(pool: &[StepReturns], w: &mut Writer) {
    w.length(pool.len());
    pool.iter().for_each(|s| s.save(w));
}

fn load_pool(r: &mut Reader<'_>) -> Option<Vec<StepReturns>> {
    let n = r.length()?;
    (0..n).map(|_| StepReturns::load(r)).collect()
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
    /// Each block's moments and pools, in block order: kept for a shard only (empty
    /// otherwise), since they are already merged into the summaries above.
    pub blocks: Vec<Block>,
}

/// The first chunk after the block holding chunk `chunk`: blocks are [`BATCH_CHUNKS`] chunks,
/// counted from path 0.
fn block_end(chunk: usize) -> usize {
    (chunk / BATCH_CHUNKS + 1) * BATCH_CHUNKS
}

/// The chunks of shard `k` of `n` (1-based) of a sketched run of `paths` paths: whole blocks,
/// contiguous, in order; `None` when there are fewer blocks than shards.
pub fn shard_blocks(paths: usize, k: usize, n: usize) -> Option<Range<usize>> {
    let chunks = paths.div_ceil(CHUNK_PATHS);
    let blocks = chunks.div_ceil(BATCH_CHUNKS);
    (blocks >= n).then(|| {
        let start = (k - 1) * blocks / n * BATCH_CHUNKS;
        let end = (k * blocks / n * BATCH_CHUNKS).min(chunks);
        start..end
    })
}

/// Runs chunks `chunks` of a run of `paths` paths in blocks on the current rayon pool,
/// folding each block into constant-memory summaries; with `keep_blocks`, also returns each
/// block's partials (for a shard).
pub fn simulate_streaming(
    model: &Model,
    config: &RunConfig,
    chunks: Range<usize>,
    condition: Option<&Condition>,
    hooks: &Hooks,
    keep_blocks: bool,
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
    let first_path = chunks.start * CHUNK_PATHS;
    let mut reservoir = Gathered::new(RESERVOIR_PATHS.saturating_sub(first_path));
    let mut blocks = Vec::new();
    let mut start = chunks.start;
    while start < chunks.end {
        let end = block_end(start).min(chunks.end);
        let batch = simulate_chunks(model, config, start..end, condition, hooks)?;
        let pool_of = |part: fn(&ChunkPool) -> &Vec<StepReturns>| {
            let mut pool = vec![StepReturns::default(); e];
            for chunk in &batch.pools {
                for (acc, s) in pool.iter_mut().zip(part(chunk)) {
                    acc.merge(s);
                }
            }
            pool
        };
        let block = Block {
            moments: all.fold(&batch, None),
            pool: pool_of(|c| &c.all),
            matching: match (&mut conditional, &batch.condition) {
                (Some((summary, _)), Some(met)) => Some((
                    summary.fold(&batch, Some(&met.matches)),
                    pool_of(|c| &c.matching),
                )),
                _ => None,
            },
        };
        absorb(&mut all, &mut step_returns, &mut conditional, &block);
        if keep_blocks {
            blocks.push(block);
        }
        // The reservoir's paths, or (for a shard past them) one block's shapes with no path.
        if reservoir.wants() {
            reservoir.push(batch);
        }
        start = end;
    }
    let reservoir = match reservoir.finish() {
        Some(kept) => kept,
        // No chunk: the shapes of an empty run.
        None => simulate_chunks(model, config, 0..0, condition, hooks)?,
    };
    Ok(StreamedRun {
        all,
        step_returns,
        conditional,
        reservoir,
        blocks,
    })
}

/// Merges one block into a run's summaries.
fn absorb(
    all: &mut StreamSummary,
    step_returns: &mut [StepReturns],
    conditional: &mut Option<(StreamSummary, Vec<StepReturns>)>,
    block: &Block,
) {
    all.absorb(&block.moments);
    for (acc, s) in step_returns.iter_mut().zip(&block.pool) {
        acc.merge(s);
    }
    if let (Some((summary, pooled)), Some((moments, pool))) = (conditional, &block.matching) {
        summary.absorb(moments);
        for (acc, s) in pooled.iter_mut().zip(pool) {
            acc.merge(s);
        }
    }
}

impl StreamedRun {
    /// Saves a shard's part (its reservoir apart): sketches and counts, then its blocks.
    pub fn save(&self, w: &mut Writer) {
        self.all.save(w);
        if let Some((summary, _)) = &self.conditional {
            summary.save(w);
        }
        w.length(self.blocks.len());
        for block in &self.blocks {
            block.moments.save(w);
            save_pool(&block.pool, w);
            if let Some((moments, pool)) = &block.matching {
                moments.save(w);
                save_pool(pool, w);
            }
        }
    }

    /// Reads a part of `blocks` blocks saved by [`Self::save`] for a model of (entities,
    /// steps, baseline), with its reservoir; `None` if what was saved has another shape.
    pub fn load(
        r: &mut Reader<'_>,
        (e, steps, baseline): (usize, usize, bool),
        (condition, blocks): (bool, usize),
        reservoir: Simulation,
    ) -> Option<Self> {
        let all = StreamSummary::load(r, e, steps, baseline)?;
        let conditional = match condition {
            true => Some((
                StreamSummary::load(r, e, steps, baseline)?,
                vec![StepReturns::default(); e],
            )),
            false => None,
        };
        if r.length()? != blocks {
            return None;
        }
        let fits = |(moments, pool): &(BlockMoments, Vec<StepReturns>)| {
            moments.has_shape(e, steps, baseline) && pool.len() == e
        };
        let mut read = || Some((BlockMoments::load(r)?, load_pool(r)?)).filter(fits);
        let blocks = (0..blocks)
            .map(|_| {
                let (moments, pool) = read()?;
                let matching = match condition {
                    true => Some(read()?),
                    false => None,
                };
                Some(Block {
                    moments,
                    pool,
                    matching,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(StreamedRun {
            all,
            step_returns: vec![StepReturns::default(); e],
            conditional,
            reservoir,
            blocks,
        })
    }

    /// The run of consecutive parts (shards, in order): sketches and counts added, each
    /// part's blocks merged in order, reservoirs joined; the same bytes as one run. Parts are
    /// taken one at a time, so only one part's sketches are held besides the run's. `None`
    /// without a part.
    pub fn join(
        parts: impl IntoIterator<Item = StreamedRun>,
        model: &Model,
    ) -> Option<StreamedRun> {
        let e = model.groups.len() + model.assets.len();
        let (steps, baseline) = (model.steps(), model.baseline.is_some());
        let summary = || StreamSummary::new(e, steps, baseline);
        let mut all = summary();
        let mut step_returns = vec![StepReturns::default(); e];
        let mut conditional: Option<(StreamSummary, Vec<StepReturns>)> = None;
        let mut reservoir = Gathered::new(RESERVOIR_PATHS);
        for part in parts {
            all.merge_counts(&part.all);
            if let Some((part_summary, _)) = &part.conditional {
                let (acc, _) =
                    conditional.get_or_insert_with(|| (summary(), vec![StepReturns::default(); e]));
                acc.merge_counts(part_summary);
            }
            for block in &part.blocks {
                absorb(&mut all, &mut step_returns, &mut conditional, block);
            }
            if reservoir.wants() {
                reservoir.push(part.reservoir);
            }
        }
        Some(StreamedRun {
            all,
            step_returns,
            conditional,
            reservoir: reservoir.finish()?,
            blocks: Vec::new(),
        })
    }
}

/// Whether a run keeps every path (`true`) or streams into sketches.
pub fn exact_fits(model: &Model, paths: usize) -> bool {
    crate::engine::outcome_bytes(model, paths) <= EXACT_LIMIT_BYTES
}

/// Runs whose per-path outcomes exceed this are summarised by sketches.
pub const EXACT_LIMIT_BYTES: usize = 512 << 20;

/// Paths per batch, for messages.
pub const BATCH_PATHS: usize = BATCH_CHUNKS * CHUNK_PATHS;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DEFAULT_MODEL_TEXT;
    use crate::model::parse_model;

    #[test]
    fn a_shards_part_reads_back_only_in_its_own_shape() {
        let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
        let config = RunConfig {
            paths: 600,
            seed: 2,
            ..Default::default()
        };
        let part =
            simulate_streaming(&model, &config, 0..3, None, &Hooks::default(), true).expect("runs");
        assert_eq!(part.blocks.len(), 1);
        let mut w = Writer::default();
        part.save(&mut w);
        let bytes = w.into_bytes();
        let shape = (13, model.steps(), true);
        let read = |shape, blocks| {
            let reservoir = part.reservoir.clone();
            StreamedRun::load(&mut Reader::new(&bytes), shape, (false, blocks), reservoir)
        };
        let back = read(shape, 1).expect("its own shape");
        assert_eq!(back.blocks, part.blocks);
        assert_eq!(
            back.all.entities[3].return_sketch,
            part.all.entities[3].return_sketch
        );
        assert!(read(shape, 2).is_none(), "another block count");
        assert!(
            read((12, model.steps(), true), 1).is_none(),
            "another entity count"
        );
        assert!(read((13, model.steps(), false), 1).is_none(), "no baseline");
    }

    #[test]
    fn shards_of_a_sketched_run_are_whole_blocks_covering_every_chunk_once() {
        let block = BATCH_PATHS;
        for (paths, n) in [
            (3 * block, 3),
            (10 * block + 5, 4),
            (7 * block - 1, 2),
            (block, 1),
        ] {
            let chunks = paths.div_ceil(CHUNK_PATHS);
            let ranges: Vec<_> = (1..=n)
                .map(|k| shard_blocks(paths, k, n).unwrap())
                .collect();
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges[n - 1].end, chunks);
            for w in ranges.windows(2) {
                assert_eq!(w[0].end, w[1].start);
                assert_eq!(w[0].end % BATCH_CHUNKS, 0, "a shard ends inside a block");
            }
            assert!(ranges.iter().all(|r| !r.is_empty()));
        }
        assert_eq!(shard_blocks(2 * block, 3, 3), None);
        assert_eq!(block_end(0), BATCH_CHUNKS);
        assert_eq!(block_end(BATCH_CHUNKS - 1), BATCH_CHUNKS);
        assert_eq!(block_end(BATCH_CHUNKS), 2 * BATCH_CHUNKS);
    }
}
