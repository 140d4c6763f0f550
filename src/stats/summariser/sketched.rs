//! Constant-memory runs: paths are simulated in batches, each batch is folded into sketches
//! and streaming moments and then dropped, so memory does not grow with the number of paths.
//!
//! - mean and sd: Welford's streaming moments, updated in path order within each block of
//!   [`BATCH_CHUNKS`] chunks (blocks start at multiples of it, counted from path 0), the blocks'
//!   moments merged in block order (exact up to rounding);
//! - quantiles, cvar and drawdown percentiles: [`SignedSketch`]es, within
//!   [`RELATIVE_ACCURACY`] (0.05%) of the exact values;
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
use crate::engine::outcome::{Moments, StepReturns};
use crate::engine::{Accumulator, CHUNK_PATHS, ChunkPool, Columns, Gathered, Simulation};
use crate::model::Model;
use crate::stats::precision::{convergence, precision};
use crate::stats::sensitivity::sensitivity;
use crate::stats::sketch::{RELATIVE_ACCURACY, SignedSketch};
use crate::stats::state::{Reader, Shape, Writer, load_paths, save_paths};
use crate::stats::summariser::{ConditionalSummary, StateFiles, Summaries, Summariser};
use crate::stats::summary::{
    DistributionRow, EntityStats, FAN_QUANTILES, FanStep, PathStats, QUANTILES, UpliftStats,
    annualisation, derive_stats, distribution_levels, rows as summary_rows,
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

    /// Folds the next paths of a block (where `mask` is true, when given) into the sketches and
    /// counts, and into the block's own moments `block`, in path order (merge those with
    /// [`Self::absorb`] once the block is whole); each entity and each fan step is one task. A
    /// block may come in several parts: the moments continue, so the bits are the same.
    fn fold(&mut self, sim: &Simulation, mask: Option<&[bool]>, block: &mut BlockMoments) {
        let keep = |path: usize| mask.is_none_or(|m| m[path]);
        self.entities
            .par_iter_mut()
            .zip(block.entities.par_iter_mut())
            .enumerate()
            .for_each(|(i, (acc, block))| {
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
            });
        let fold_fan = |fan: &mut [FanStream], moments: &mut [Moments], values: &Columns| {
            fan.par_iter_mut()
                .zip(moments.par_iter_mut())
                .enumerate()
                .for_each(|(j, (acc, block))| {
                    let values = values.column(j);
                    for path in (0..sim.paths).filter(|&p| keep(p)) {
                        let a = values[path];
                        block.add(a);
                        acc.sketch.add(a);
                    }
                });
        };
        fold_fan(&mut self.fan, &mut block.fan, &sim.adoption);
        if let Some(b) = &sim.baseline_adoption {
            fold_fan(&mut self.baseline_fan, &mut block.baseline_fan, b);
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
    /// The moments of no path yet, for a model of `e` entities and `steps` steps.
    fn empty(e: usize, steps: usize, baseline: bool) -> Self {
        BlockMoments {
            entities: vec![[Moments::default(); 3]; e],
            fan: vec![Moments::default(); steps + 1],
            baseline_fan: vec![Moments::default(); if baseline { steps + 1 } else { 0 }],
        }
    }

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

/// A sketched (constant-memory) summariser: each batch (one block) is folded into sketches,
/// counts and the block's moments, then dropped; the first [`RESERVOIR_PATHS`] paths are kept
/// whole for sensitivity and samples.
pub struct Sketched {
    /// Every path's summary.
    all: StreamSummary,
    /// The pooled step returns of every path.
    step_returns: Vec<StepReturns>,
    /// With a condition: the matching paths' summary and pooled step returns.
    conditional: Option<(StreamSummary, Vec<StepReturns>)>,
    /// The first paths, whole (for sensitivity and samples).
    reservoir: Gathered,
    /// Each block's moments and pools, in block order: kept for a shard only, since they are
    /// already merged into the summaries above.
    blocks: Option<Vec<Block>>,
    /// The block being folded, when its parts have not all come.
    pending: Option<Block>,
    /// The chunk after the last one this summariser takes: a block ends there too.
    end_chunk: usize,
    /// Chunks simulated at a time, so that a batch's outcomes stay within
    /// [`BATCH_BYTES`] (a block of a long model comes in several parts).
    part_chunks: usize,
    /// (entities, steps, baseline) of the model.
    shape: (usize, usize, bool),
}

/// The most bytes of outcomes a sketched run simulates at a time (above one chunk): a block of
/// a model of many steps is simulated in parts of fewer chunks.
pub const BATCH_BYTES: usize = 64 << 20;

/// Chunks of `model` simulated at a time by a sketched run: a block, or as many chunks as
/// keep their outcomes within [`BATCH_BYTES`] (at least one).
pub fn part_chunks(model: &Model) -> usize {
    let chunk = crate::engine::outcome_bytes(model, CHUNK_PATHS).max(1);
    (BATCH_BYTES / chunk).clamp(1, BATCH_CHUNKS)
}

impl Sketched {
    /// Sketches of a model's paths `first_path..end_path` (from 0 but for a shard), with a
    /// summary of the paths meeting a condition when `condition`; a shard's (`for_shard`) keeps
    /// each block's partials, which its state file needs. The first paths kept whole are at
    /// most [`RESERVOIR_PATHS`] and never more than the run has, each with its adoption at the
    /// horizon only: 8 (3 E + 2 + P) bytes a path (E entities, P uncertain parameters).
    pub fn new(
        model: &Model,
        (first_path, end_path): (usize, usize),
        condition: bool,
        for_shard: bool,
    ) -> Self {
        let e = model.entities().len();
        let (steps, baseline) = (model.steps(), model.baseline.is_some());
        let summary = || StreamSummary::new(e, steps, baseline);
        let kept = RESERVOIR_PATHS.min(end_path).saturating_sub(first_path);
        Sketched {
            all: summary(),
            step_returns: vec![StepReturns::default(); e],
            conditional: condition.then(|| (summary(), vec![StepReturns::default(); e])),
            reservoir: Gathered::at_horizon(kept),
            blocks: for_shard.then(Vec::new),
            pending: None,
            end_chunk: end_path.div_ceil(CHUNK_PATHS),
            part_chunks: part_chunks(model),
            shape: (e, steps, baseline),
        }
    }

    /// Merges one block into the run's moments and pools.
    fn absorb_block(&mut self, block: &Block) {
        self.all.absorb(&block.moments);
        for (acc, s) in self.step_returns.iter_mut().zip(&block.pool) {
            acc.merge(s);
        }
        if let (Some((summary, pooled)), Some((moments, pool))) =
            (&mut self.conditional, &block.matching)
        {
            summary.absorb(moments);
            for (acc, s) in pooled.iter_mut().zip(pool) {
                acc.merge(s);
            }
        }
    }

    /// Reads the sketches, counts and `blocks` blocks a shard's `sketch.bin` holds.
    fn load(&self, r: &mut Reader<'_>, blocks: usize) -> Option<(Self, Vec<Block>)> {
        let (e, steps, baseline) = self.shape;
        let all = StreamSummary::load(r, e, steps, baseline)?;
        let conditional = match self.conditional.is_some() {
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
                let matching = match conditional.is_some() {
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
        let part = Sketched {
            all,
            step_returns: Vec::new(),
            conditional,
            reservoir: Gathered::at_horizon(0),
            blocks: None,
            pending: None,
            end_chunk: self.end_chunk,
            part_chunks: self.part_chunks,
            shape: self.shape,
        };
        Some((part, blocks))
    }

    /// The sketches, counts and blocks of a shard, as words.
    fn save_sketches(&self, w: &mut Writer) {
        self.all.save(w);
        if let Some((summary, _)) = &self.conditional {
            summary.save(w);
        }
        let blocks = self.blocks.as_deref().unwrap_or_default();
        w.length(blocks.len());
        for block in blocks {
            block.moments.save(w);
            save_pool(&block.pool, w);
            if let Some((moments, pool)) = &block.matching {
                moments.save(w);
                save_pool(pool, w);
            }
        }
    }
}

impl Accumulator for Sketched {
    fn batch_end(&self, start: usize) -> usize {
        block_end(start).min(start + self.part_chunks)
    }

    fn absorb(&mut self, batch: Simulation) -> Option<Simulation> {
        let (e, steps, baseline) = self.shape;
        let start = batch.first_path / CHUNK_PATHS;
        let end = start + batch.pools.len();
        let condition = self.conditional.is_some();
        let block = self.pending.get_or_insert_with(|| Block {
            moments: BlockMoments::empty(e, steps, baseline),
            pool: vec![StepReturns::default(); e],
            matching: condition.then(|| {
                (
                    BlockMoments::empty(e, steps, baseline),
                    vec![StepReturns::default(); e],
                )
            }),
        });
        // Chunk pools merged in chunk order, part after part: as if the block came whole.
        let merge_pools = |pool: &mut [StepReturns], part: fn(&ChunkPool) -> &Vec<StepReturns>| {
            for chunk in &batch.pools {
                for (acc, s) in pool.iter_mut().zip(part(chunk)) {
                    acc.merge(s);
                }
            }
        };
        self.all.fold(&batch, None, &mut block.moments);
        merge_pools(&mut block.pool, |c| &c.all);
        if let (Some((summary, _)), Some(met), Some((moments, pool))) =
            (&mut self.conditional, &batch.condition, &mut block.matching)
        {
            summary.fold(&batch, Some(&met.matches), moments);
            merge_pools(pool, |c| &c.matching);
        }
        if end == block_end(start) || end >= self.end_chunk {
            let block = self.pending.take().expect("a block in progress");
            self.absorb_block(&block);
            if let Some(blocks) = &mut self.blocks {
                blocks.push(block);
            }
        }
        // The reservoir's paths, or (for a shard past them) one batch's shapes with no path.
        if self.reservoir.wants() {
            self.reservoir.push(batch)
        } else {
            Some(batch)
        }
    }
}

/// The state files of a sketched shard.
const SKETCH_FILE: &str = "sketch.bin";
const RESERVOIR_FILE: &str = "reservoir.bin";

impl Summariser for Sketched {
    fn state_files(&self) -> &'static [&'static str] {
        &[SKETCH_FILE, RESERVOIR_FILE]
    }

    fn save(&self, file: &str, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        if file == RESERVOIR_FILE {
            return match self.reservoir.so_far() {
                Some((sim, paths)) => save_paths(sim, paths, w),
                None => Ok(()),
            };
        }
        let mut words = Writer::default();
        self.save_sketches(&mut words);
        w.write_all(&words.into_bytes())
    }

    fn reservoir(&self) -> Option<(usize, usize)> {
        let (sim, paths) = self.reservoir.so_far()?;
        Some((paths, sim.pools.len()))
    }

    fn kept_so_far(&self) -> Option<(&Simulation, usize)> {
        self.reservoir.so_far()
    }

    fn restore(&mut self, shape: &Shape, files: &StateFiles) -> Result<(), &'static str> {
        // A shard runs at least one path, and keeps no more of them than it ran.
        if shape.paths == 0 || shape.reservoir_paths > shape.paths {
            return Err(SKETCH_FILE);
        }
        let reservoir = Shape {
            paths: shape.reservoir_paths,
            chunks: shape.reservoir_chunks,
            at_horizon: true,
            ..*shape
        };
        let bytes = files.get(RESERVOIR_FILE).ok_or(RESERVOIR_FILE)?;
        let kept = load_paths(&reservoir, bytes).ok_or(RESERVOIR_FILE)?;
        let bytes = files.get(SKETCH_FILE).ok_or(SKETCH_FILE)?;
        let mut r = Reader::new(bytes);
        let (part, blocks) = self
            .load(&mut r, shape.chunks.div_ceil(BATCH_CHUNKS))
            .filter(|_| r.is_done())
            .ok_or(SKETCH_FILE)?;
        self.all.merge_counts(&part.all);
        if let (Some((acc, _)), Some((summary, _))) = (&mut self.conditional, &part.conditional) {
            acc.merge_counts(summary);
        }
        for block in &blocks {
            self.absorb_block(block);
        }
        if self.reservoir.wants() {
            // Restored paths are dropped once copied: nothing simulates into them.
            let _copied = self.reservoir.push(kept);
        }
        Ok(())
    }

    fn finish(
        self: Box<Self>,
        model: &Model,
        condition: Option<&Condition>,
        sampling: crate::engine::Sampling,
    ) -> Summaries {
        let this = *self;
        let kept = this
            .reservoir
            .finish()
            .unwrap_or_else(|| Simulation::empty(model, condition.is_some()));
        let mut rows = summary_rows(model, &this.all.entity_stats(model, &this.step_returns));
        let precision = precision(model, &kept, &rows, this.all.paths() as usize, sampling);
        crate::stats::precision::settle_profiles(model, &mut rows, &precision);
        let conditional = match (condition, &this.conditional) {
            (Some(c), Some((summary, steps))) => {
                Some(ConditionalSummary::of(c, summary.paths() as usize, || {
                    summary_rows(model, &summary.entity_stats(model, steps))
                }))
            }
            _ => None,
        };
        Summaries {
            precision,
            convergence: convergence(model, &kept),
            rows,
            fan: this.all.fan(model),
            distributions: this.all.distributions(model),
            sensitivity: sensitivity(model, &kept),
            conditional,
            method: format!(
                "sketch: constant memory; quantiles, cvar and drawdown percentiles within {}% relative; sensitivity and samples from the first {} paths",
                RELATIVE_ACCURACY * 100.0,
                kept.paths
            ),
            kept,
        }
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
    use crate::engine::{Hooks, RunConfig, simulate_into};
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
        let mut part = Sketched::new(&model, (0, 600), false, true);
        simulate_into(&model, &config, 0..3, None, &Hooks::default(), &mut part).expect("runs");
        let blocks = part.blocks.clone().expect("a shard's blocks");
        assert_eq!(blocks.len(), 1);
        let mut w = Writer::default();
        part.save_sketches(&mut w);
        let bytes = w.into_bytes();
        let read = |reader: &Sketched, blocks| reader.load(&mut Reader::new(&bytes), blocks);
        let (back, read_blocks) = read(&part, 1).expect("its own shape");
        assert_eq!(read_blocks, blocks);
        assert_eq!(
            back.all.entities[3].return_sketch,
            part.all.entities[3].return_sketch
        );
        assert!(read(&part, 2).is_none(), "another block count");
        let steps = model.steps();
        let shaped = |shape| Sketched {
            shape,
            ..Sketched::new(&model, (0, 600), false, false)
        };
        assert!(
            read(&shaped((12, steps, true)), 1).is_none(),
            "another entity count"
        );
        assert!(
            read(&shaped((13, steps, false)), 1).is_none(),
            "no baseline"
        );
    }

    #[test]
    fn a_block_in_parts_folds_to_the_same_bits_as_a_block_whole() {
        // A model of many steps simulates a block in parts of a few chunks (the outcomes of a
        // whole block would not fit); the moments continue from part to part, so nothing moves.
        let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
        let config = RunConfig {
            paths: 2 * BATCH_PATHS + 3_000,
            seed: 4,
            ..Default::default()
        };
        let chunks = 0..config.paths.div_ceil(CHUNK_PATHS);
        let summaries = |part_chunks: usize| {
            let mut s = Sketched::new(&model, (0, config.paths), true, false);
            s.part_chunks = part_chunks;
            let condition =
                crate::engine::condition::Condition::parse("adoption_multiple > 4", &[], true)
                    .expect("condition");
            simulate_into(
                &model,
                &config,
                chunks.clone(),
                Some(&condition),
                &Hooks::default(),
                &mut s,
            )
            .expect("runs");
            Box::new(s).finish(&model, Some(&condition), Default::default())
        };
        let (whole, parts) = (summaries(BATCH_CHUNKS), summaries(3));
        assert_eq!(whole.rows, parts.rows);
        assert_eq!(whole.fan, parts.fan);
        assert_eq!(whole.distributions, parts.distributions);
        assert_eq!(whole.precision, parts.precision);
        let rows = |s: &Summaries| s.conditional.as_ref().map(|c| c.rows.clone());
        assert_eq!(rows(&whole), rows(&parts));
        // The first paths are kept with their adoption at the horizon only.
        assert_eq!(parts.kept.adoption.width(), 1);
        assert_eq!(parts.kept.paths, config.paths);
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
