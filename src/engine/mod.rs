//! The Monte Carlo engine: N paths in parallel, reproducible by construction.
//!
//! Paths are split into fixed chunks of [`CHUNK_PATHS`]; each chunk is simulated by one rayon
//! task and writes into its own slice of the output columns, and the chunks' pooled step
//! returns are merged in chunk order. Every path draws from its own generator, seeded from
//! (seed, path index) only ([`path_rng`](crate::random::path_rng)). So the result is the same, bit for bit, for any
//! number of threads.

pub mod adoption;
pub mod condition;
pub mod math;
pub mod outcome;
mod overflow;
mod path;
pub mod shocks;

pub use overflow::Overflow;

pub use math::Isa;
pub use math::W;
pub use path::{Batch, PathOutputs, PathRecord, PathSimulator, Records, Scratch, Stage, Strata};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::engine::condition::Condition;
use crate::engine::outcome::StepReturns;
use crate::model::Model;

/// The per-path quantities a run keeps ([`Simulation::quantities`]).
pub const QUANTITIES: usize = 6;

/// Paths per parallel task. Fixed, so results do not depend on the thread count.
pub const CHUNK_PATHS: usize = 256;

/// The most paths a run takes (`--paths`, `--max-paths`): every path index, count and rank
/// fits the 32-bit integers the summaries order paths with.
pub const MOST_PATHS: u64 = 1_000_000_000;

/// How many paths to run, from which seed, on how many threads, sampled how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunConfig {
    /// N >= 1.
    pub paths: usize,
    /// The seed.
    pub seed: u64,
    /// Worker threads; `None` for every core.
    pub threads: Option<usize>,
    /// Variance reduction.
    pub sampling: Sampling,
}

/// Variance reduction, both deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Sampling {
    /// Latin hypercube for the parameter draws: within each chunk of [`CHUNK_PATHS`] paths,
    /// every parameter's draws fall one in each of [`CHUNK_PATHS`] equal-probability strata.
    pub latin_hypercube: bool,
    /// Antithetic pairs: paths 2m and 2m + 1 share their parameter draws and failure times,
    /// and every shock of path 2m + 1 is the negative of path 2m's.
    pub antithetic: bool,
}

impl std::fmt::Display for Sampling {
    /// As the flags that choose it: `--sampling mc` or `lhs`, and `--antithetic`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let draws = if self.latin_hypercube { "lhs" } else { "mc" };
        let pairs = if self.antithetic {
            " with --antithetic"
        } else {
            ""
        };
        write!(f, "--sampling {draws}{pairs}")
    }
}

/// Every path's outcomes: the data of every summary.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The index of the first path (0, except for a shard).
    pub first_path: usize,
    /// The number of paths simulated (N for a whole run).
    pub paths: usize,
    /// T.
    pub steps: usize,
    /// Groups + assets.
    pub entities: usize,
    /// Worker threads that ran (changes no number).
    pub threads: usize,
    /// total_return, one column per entity.
    pub total_return: Columns,
    /// max_drawdown, one column per entity.
    pub max_drawdown: Columns,
    /// uplift, one column per entity; `None` without a baseline.
    pub uplift: Option<Columns>,
    /// A(t_j), one column per step j = 0..=T.
    pub adoption: Columns,
    /// Baseline A(t_j); `None` without a baseline.
    pub baseline_adoption: Option<Columns>,
    /// The uncertain parameters' draws, one column per parameter.
    pub draws: Columns,
    /// Number of uncertain parameters (columns of `draws`).
    pub parameters: usize,
    /// Pooled step returns of each entity.
    pub step_returns: Vec<StepReturns>,
    /// The step returns each chunk pooled, in chunk order.
    pub pools: Vec<ChunkPool>,
    /// With `--where`: which paths meet the condition, and their pooled step returns.
    pub condition: Option<ConditionalPaths>,
}

/// One value per path of each of several quantities (entities, steps or parameters), stored
/// a column per quantity, each column in path order: what every summary reads (a quantile, a
/// sort, a rank is over one column), so no summary transposes or copies the run's outcomes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Columns {
    width: usize,
    paths: usize,
    /// `[column * paths + path]`.
    values: Vec<f64>,
}

impl Columns {
    /// `width` columns of `paths` zeros (lazily mapped: no page is touched before a write).
    pub fn zeroed(width: usize, paths: usize) -> Self {
        Columns {
            width,
            paths,
            values: vec![0.0; width * paths],
        }
    }

    /// Columns from their values laid out `[column * paths + path]`; `None` when the length
    /// is not `width * paths`.
    pub fn from_values(width: usize, paths: usize, values: Vec<f64>) -> Option<Self> {
        (values.len() == width * paths).then_some(Columns {
            width,
            paths,
            values,
        })
    }

    /// The number of columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The number of paths (the length of every column).
    pub fn paths(&self) -> usize {
        self.paths
    }

    /// The last column alone (a run's adoption at the horizon), as a one-column set.
    pub fn last_only(&self) -> Columns {
        let last = self.width.saturating_sub(1);
        Columns {
            width: 1,
            paths: self.paths,
            values: if self.width == 0 {
                vec![0.0; self.paths]
            } else {
                self.column(last).to_vec()
            },
        }
    }

    /// Column `k`: every path's value, in path order.
    pub fn column(&self, k: usize) -> &[f64] {
        &self.values[k * self.paths..(k + 1) * self.paths]
    }

    /// Every column, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[f64]> + '_ {
        (0..self.width).map(|k| self.column(k))
    }

    /// Path `path`'s value of column `k`.
    pub fn get(&self, path: usize, k: usize) -> f64 {
        self.values[k * self.paths + path]
    }

    /// Every value, laid out `[column * paths + path]`.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Each chunk's share of every column: `[chunk][column]`, chunk `c` holding paths
    /// `c * CHUNK_PATHS..` (the last chunk may be shorter).
    fn chunks_mut(&mut self) -> Vec<Vec<&mut [f64]>> {
        let chunks = self.paths.div_ceil(CHUNK_PATHS);
        let mut out: Vec<Vec<&mut [f64]>> = (0..chunks).map(|_| Vec::new()).collect();
        if self.paths > 0 {
            for column in self.values.chunks_exact_mut(self.paths) {
                for (c, piece) in column.chunks_mut(CHUNK_PATHS).enumerate() {
                    out[c].push(piece);
                }
            }
        }
        out
    }

    /// The first `paths` paths of every column.
    fn truncate(&mut self, paths: usize) {
        if paths >= self.paths {
            return;
        }
        for k in 0..self.width {
            self.values
                .copy_within(k * self.paths..k * self.paths + paths, k * paths);
        }
        self.values.truncate(self.width * paths);
        self.paths = paths;
    }

    /// Copies the first `take` paths of `part`'s last `self.width` columns (all of them, or
    /// the horizon alone of an adoption path) to paths `at..at + take`.
    fn place(&mut self, at: usize, part: &Columns, take: usize) {
        debug_assert!(
            self.width <= part.width,
            "a part has every column a whole keeps"
        );
        let skip = part.width - self.width;
        for k in 0..self.width {
            let from = &part.column(skip + k)[..take];
            self.values[k * self.paths + at..][..take].copy_from_slice(from);
        }
    }
}

/// The paths that meet a `--where` condition.
#[derive(Debug, Clone)]
pub struct ConditionalPaths {
    /// One flag per path.
    pub matches: Vec<bool>,
    /// Pooled step returns of each entity over the matching paths.
    pub step_returns: Vec<StepReturns>,
}

impl ConditionalPaths {
    /// How many paths meet the condition.
    pub fn count(&self) -> usize {
        self.matches.iter().filter(|&&m| m).count()
    }
}

/// What a caller can observe and ask of a running simulation.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Called (from any worker) with the number of paths each finished chunk completed.
    pub progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
    /// When set, chunks not yet started are skipped and the run ends with
    /// [`EngineError::Interrupted`].
    pub cancel: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl Hooks {
    pub fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The run was interrupted (Ctrl-C) before it finished.
    #[error("interrupted: nothing was written, and any earlier result was left as it was")]
    Interrupted,
    /// The worker threads could not start.
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        /// The requested count.
        threads: String,
        /// rayon's error.
        source: rayon::ThreadPoolBuildError,
    },
    /// A path's value overflowed (docs/model.md §11: no output is ever NaN or inf).
    #[error("{0}")]
    Overflow(Box<Overflow>),
    /// The per-path outcomes do not fit in memory.
    #[error(
        "{paths} paths need {gib:.1} GiB of memory for their outcomes, more than this machine has available\n  help: run fewer --paths"
    )]
    OutOfMemory {
        /// N.
        paths: usize,
        /// The memory asked for, in GiB.
        gib: f64,
    },
}

impl crate::exit::ExitStatus for EngineError {
    fn exit_code(&self) -> u8 {
        match self {
            EngineError::Interrupted => crate::exit::INTERRUPTED,
            _ => crate::exit::FAILED,
        }
    }
}

/// A rayon pool of `threads` workers (`None`: every core).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, EngineError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    builder.build().map_err(|source| EngineError::Threads {
        threads: threads.map_or_else(|| "all".to_string(), |t| t.to_string()),
        source,
    })
}

/// Runs `config.paths` paths of `model` on a pool of `config.threads` workers.
pub fn simulate(model: &Model, config: &RunConfig) -> Result<Simulation, EngineError> {
    let pool = thread_pool(config.threads)?;
    pool.install(|| simulate_paths(model, config, None, &Hooks::default()))
}

/// How many columns each per-path quantity of `model` has, in [`Simulation::quantities`]
/// order: each entity's total return, drawdown and uplift (none without a baseline), A(t_j)
/// for j = 0..=T and the baseline's (none without one), and the drivers.
pub fn quantity_widths(model: &Model) -> [usize; QUANTITIES] {
    let e = model.groups.len() + model.assets.len();
    let n = model.steps() + 1;
    let b = usize::from(model.baseline.is_some());
    [e, e, e * b, n, n * b, model.drivers().len()]
}

/// Bytes of per-path outcomes a run of `paths` paths keeps.
pub fn outcome_bytes(model: &Model, paths: usize) -> usize {
    let columns: usize = quantity_widths(model).iter().sum();
    paths.saturating_mul(columns) * std::mem::size_of::<f64>()
}

/// Memory the system can still give, in bytes (Linux's MemAvailable; `None` elsewhere).
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Refuses a run whose per-path outcomes cannot fit in memory, instead of aborting later.
fn check_memory(model: &Model, paths: usize) -> Result<(), EngineError> {
    let needed = outcome_bytes(model, paths) as u64;
    match available_memory() {
        Some(available) if needed > available => Err(EngineError::OutOfMemory {
            paths,
            gib: needed as f64 / (1u64 << 30) as f64,
        }),
        _ => Ok(()),
    }
}

/// One parallel task's share of the output columns: `[quantity][column]`, each slice its
/// chunk's paths, quantities in [`Simulation::quantities`] order.
struct Chunk<'a> {
    first: usize,
    len: usize,
    columns: [Vec<&'a mut [f64]>; QUANTITIES],
}

/// What a chunk pools: step returns of all its paths and of those meeting the condition.
struct ChunkSteps {
    pool: ChunkPool,
    matches: Vec<bool>,
}

/// The step returns one chunk of paths pooled, per entity: over all its paths, and over those
/// meeting the `--where` condition. Run totals merge these in chunk order, so a run split into
/// shards merges to the same bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkPool {
    /// Over every path of the chunk.
    pub all: Vec<StepReturns>,
    /// Over the paths meeting the condition (empty accumulators without one).
    pub matching: Vec<StepReturns>,
}

/// The chunks of shard `k` of `n` (1-based) of a run of `paths` paths: contiguous, in order,
/// together every chunk once.
pub fn shard_chunks(paths: usize, k: usize, n: usize) -> std::ops::Range<usize> {
    let chunks = paths.div_ceil(CHUNK_PATHS);
    (k - 1) * chunks / n..k * chunks / n
}

/// Run totals: the chunk pools merged in order.
fn pool_totals(pools: &[ChunkPool], entities: usize) -> (Vec<StepReturns>, Vec<StepReturns>) {
    let mut all = vec![StepReturns::default(); entities];
    let mut matching = vec![StepReturns::default(); entities];
    for pool in pools {
        for (acc, part) in all.iter_mut().zip(&pool.all) {
            acc.merge(part);
        }
        for (acc, part) in matching.iter_mut().zip(&pool.matching) {
            acc.merge(part);
        }
    }
    (all, matching)
}

/// Where the engine hands the paths it simulates: batches of consecutive chunks, in path
/// order. Keeping every path (exact summaries) and folding each batch into sketches before
/// dropping it (constant memory) are the two implementations (`stats::summariser`).
pub trait Accumulator {
    /// The end (exclusive) of the batch that starts at chunk `start`: an exact accumulator
    /// takes every chunk at once, a sketching one a block at a time.
    fn batch_end(&self, start: usize) -> usize;
    /// Folds the next batch of paths (they follow the previous batch's); hands the batch back
    /// when it is not kept, so that the next batch is simulated into its buffers.
    fn absorb(&mut self, batch: Simulation) -> Option<Simulation>;
}

/// Runs chunks `chunks` of a run of `config.paths` paths on the current rayon pool, batch by
/// batch as `into` asks, handing each batch to it in order.
pub fn simulate_into(
    model: &Model,
    config: &RunConfig,
    chunks: std::ops::Range<usize>,
    condition: Option<&Condition>,
    hooks: &Hooks,
    into: &mut dyn Accumulator,
) -> Result<(), EngineError> {
    let mut start = chunks.start;
    // The last batch handed back: the next one of the same shape reuses its columns, so a
    // sketched run holds one block's buffers from start to end instead of freeing and
    // allocating them block after block (which left freed blocks in the threads' malloc
    // arenas: 20 MB more at the peak with two threads).
    let mut spare = None;
    while start < chunks.end {
        let end = into.batch_end(start).clamp(start + 1, chunks.end);
        let batch =
            simulate_chunks_into(model, config, start..end, condition, hooks, spare.take())?;
        spare = into.absorb(batch);
        start = end;
    }
    Ok(())
}

/// Runs `paths` paths of `model` on the current rayon pool. With a `condition`, also records
/// which paths meet it and pools their step returns separately (for `summary_where.csv`).
pub fn simulate_paths(
    model: &Model,
    config: &RunConfig,
    condition: Option<&Condition>,
    hooks: &Hooks,
) -> Result<Simulation, EngineError> {
    let chunks = 0..config.paths.div_ceil(CHUNK_PATHS);
    simulate_chunks(model, config, chunks, condition, hooks)
}

/// Runs the paths of chunks `chunks` of a run of `config.paths` paths (a shard, or any set of
/// whole chunks: path i is the same wherever it runs).
pub fn simulate_chunks(
    model: &Model,
    config: &RunConfig,
    chunks: std::ops::Range<usize>,
    condition: Option<&Condition>,
    hooks: &Hooks,
) -> Result<Simulation, EngineError> {
    simulate_chunks_into(model, config, chunks, condition, hooks, None)
}

/// [`simulate_chunks`], writing into `spare`'s columns where they have the shape this batch
/// needs (every value of every column is written, so they need no zeroing).
fn simulate_chunks_into(
    model: &Model,
    config: &RunConfig,
    chunks: std::ops::Range<usize>,
    condition: Option<&Condition>,
    hooks: &Hooks,
    spare: Option<Simulation>,
) -> Result<Simulation, EngineError> {
    let (total_paths, seed) = (config.paths, config.seed);
    let first_path = chunks.start * CHUNK_PATHS;
    let paths = (chunks.end * CHUNK_PATHS).min(total_paths) - first_path;
    let sim = PathSimulator::new(model, config.sampling);
    let e = sim.entities();
    let n = sim.steps() + 1;
    let p = model.drivers().len();
    let has_baseline = model.baseline.is_some();
    check_memory(model, paths)?;
    let widths = quantity_widths(model);
    let mut spare = spare.map_or_else(Default::default, Simulation::into_quantities);
    let mut quantities: [Columns; QUANTITIES] = std::array::from_fn(|q| match spare[q].take() {
        Some(c) if c.width == widths[q] && c.paths == paths => c,
        _ => Columns::zeroed(widths[q], paths),
    });
    let mut per_chunk = quantities.each_mut().map(|q| q.chunks_mut().into_iter());
    let tasks: Vec<Chunk> = (0..chunks.len())
        .map(|c| Chunk {
            first: first_path + c * CHUNK_PATHS,
            len: CHUNK_PATHS.min(paths - c * CHUNK_PATHS),
            columns: per_chunk.each_mut().map(|q| q.next().unwrap_or_default()),
        })
        .collect();

    /// Why a chunk produced no result.
    enum Failure {
        Cancelled,
        Overflow(overflow::ChunkOverflow),
    }
    let results: Vec<Result<ChunkSteps, Failure>> = tasks
        .into_par_iter()
        .map(|chunk| {
            if hooks.cancelled() {
                return Err(Failure::Cancelled);
            }
            let mut scratch = sim.scratch();
            let mut batch = sim.batch();
            let mut lane_draws = vec![0.0; p];
            let strata = sim.strata(seed, (chunk.first / CHUNK_PATHS) as u64);
            let mut steps = ChunkSteps {
                pool: ChunkPool {
                    all: vec![StepReturns::default(); e],
                    matching: vec![StepReturns::default(); e],
                },
                matches: Vec::new(),
            };
            let mut chunk = chunk;
            // Batches of W paths; the lanes of a last, partial batch past the chunk simulate
            // paths that are not recorded.
            for i in (0..chunk.len).step_by(W) {
                let path = (chunk.first + i) as u64;
                sim.simulate_batch(seed, path, strata.as_ref(), &mut scratch, &mut batch);
                let valid = W.min(chunk.len - i);
                for (columns, rows) in chunk.columns.iter_mut().zip(batch.quantities()) {
                    for (column, row) in columns.iter_mut().zip(rows) {
                        match column[i..].first_chunk_mut::<W>() {
                            // A whole batch: a fixed-size copy, a vector store.
                            Some(to) if valid == W => *to = *row,
                            _ => column[i..i + valid].copy_from_slice(&row[..valid]),
                        }
                    }
                }
                for lane in 0..valid {
                    for (acc, path) in steps.pool.all.iter_mut().zip(&batch.step_returns) {
                        acc.merge(&path[lane]);
                    }
                    if let Some(condition) = condition {
                        for (d, column) in lane_draws.iter_mut().zip(&batch.draws) {
                            *d = column[lane];
                        }
                        let boom_end = batch.adoption[n - 1][lane];
                        let base_end = batch.baseline_adoption.last().map_or(f64::NAN, |b| b[lane]);
                        let matched = condition.holds(&lane_draws, boom_end, base_end);
                        if matched {
                            let pool = steps.pool.matching.iter_mut();
                            for (acc, path) in pool.zip(&batch.step_returns) {
                                acc.merge(&path[lane]);
                            }
                        }
                        steps.matches.push(matched);
                    }
                }
            }
            // One flag per chunk; the cold path finds out what overflowed.
            if !overflow::all_finite(&chunk.columns) || !overflow::pool_finite(&steps.pool.all) {
                let found = overflow::diagnose(&sim, seed, chunk.first, chunk.len, strata.as_ref());
                return Err(Failure::Overflow(found));
            }
            if let Some(progress) = &hooks.progress {
                progress(chunk.len as u64);
            }
            Ok(steps)
        })
        .collect();
    // Chunks in chunk order, so an overflow is reported the same whatever the threads.
    let mut partial = Vec::with_capacity(results.len());
    let mut overflows = Vec::new();
    for result in results {
        match result {
            Ok(steps) => partial.push(steps),
            Err(Failure::Overflow(found)) => overflows.push(found),
            Err(Failure::Cancelled) => return Err(EngineError::Interrupted),
        }
    }
    if hooks.cancelled() {
        return Err(EngineError::Interrupted);
    }
    if !overflows.is_empty() {
        return Err(EngineError::Overflow(Box::new(Overflow::of_chunks(
            model, &overflows, paths,
        ))));
    }

    let mut matches = Vec::with_capacity(if condition.is_some() { paths } else { 0 });
    let mut pools = Vec::with_capacity(partial.len());
    for chunk in partial {
        matches.extend_from_slice(&chunk.matches);
        pools.push(chunk.pool);
    }
    let (step_returns, matching) = pool_totals(&pools, e);
    let [
        total_return,
        max_drawdown,
        uplift,
        adoption,
        baseline_adoption,
        draws,
    ] = quantities;
    Ok(Simulation {
        first_path,
        paths,
        steps: sim.steps(),
        entities: e,
        parameters: p,
        threads: rayon::current_num_threads(),
        total_return,
        max_drawdown,
        uplift: has_baseline.then_some(uplift),
        adoption,
        baseline_adoption: has_baseline.then_some(baseline_adoption),
        draws,
        step_returns,
        pools,
        condition: condition.map(|_| ConditionalPaths {
            matches,
            step_returns: matching,
        }),
    })
}

impl Simulation {
    /// The first `paths` paths only (all of them when there are fewer); step-return pools are
    /// kept as they were.
    fn truncated(mut self, paths: usize) -> Simulation {
        if paths >= self.paths {
            return self;
        }
        self.paths = paths;
        for columns in self.quantities_mut().into_iter().flatten() {
            columns.truncate(paths);
        }
        if let Some(c) = &mut self.condition {
            c.matches.truncate(paths);
        }
        self
    }

    /// A(t_T) of every path: the last adoption column (a run may keep only that one).
    pub fn adoption_at_horizon(&self) -> &[f64] {
        self.adoption.column(self.adoption.width() - 1)
    }

    /// The baseline's A(t_T) of every path, with a baseline.
    pub fn baseline_adoption_at_horizon(&self) -> Option<&[f64]> {
        self.baseline_adoption
            .as_ref()
            .map(|b| b.column(b.width() - 1))
    }

    /// The same paths with their adoption (and baseline adoption) at the horizon only: what a
    /// sketched run keeps of its first paths (8 bytes a path each, instead of 8 (T + 1)).
    pub fn at_horizon_only(mut self) -> Simulation {
        self.adoption = self.adoption.last_only();
        self.baseline_adoption = self.baseline_adoption.map(|b| b.last_only());
        self
    }

    /// A run of no path, shaped by the model (with the `--where` flags when `condition`).
    pub fn empty(model: &Model, condition: bool) -> Simulation {
        let e = model.entities().len();
        let (n, p) = (model.steps() + 1, model.drivers().len());
        let baseline = model.baseline.is_some();
        let none = |width: usize| Columns::zeroed(width, 0);
        Simulation {
            first_path: 0,
            paths: 0,
            steps: model.steps(),
            entities: e,
            threads: rayon::current_num_threads(),
            total_return: none(e),
            max_drawdown: none(e),
            uplift: baseline.then(|| none(e)),
            adoption: none(n),
            baseline_adoption: baseline.then(|| none(n)),
            draws: none(p),
            parameters: p,
            step_returns: vec![StepReturns::default(); e],
            pools: Vec::new(),
            condition: condition.then(|| ConditionalPaths {
                matches: Vec::new(),
                step_returns: vec![StepReturns::default(); e],
            }),
        }
    }

    /// A run of `paths` paths of zeros shaped like `part`, from its first path, with no pool;
    /// each adoption path its horizon alone when `at_horizon`.
    fn zeroed_like(part: &Simulation, paths: usize, at_horizon: bool) -> Simulation {
        let zeroed = |c: &Columns| Columns::zeroed(c.width(), paths);
        let adoption = |c: &Columns| Columns::zeroed(if at_horizon { 1 } else { c.width() }, paths);
        Simulation {
            first_path: part.first_path,
            paths,
            steps: part.steps,
            entities: part.entities,
            threads: part.threads,
            total_return: zeroed(&part.total_return),
            max_drawdown: zeroed(&part.max_drawdown),
            uplift: part.uplift.as_ref().map(zeroed),
            adoption: adoption(&part.adoption),
            baseline_adoption: part.baseline_adoption.as_ref().map(adoption),
            draws: zeroed(&part.draws),
            parameters: part.parameters,
            step_returns: Vec::new(),
            pools: Vec::new(),
            condition: part.condition.as_ref().map(|_| ConditionalPaths {
                matches: Vec::new(),
                step_returns: Vec::new(),
            }),
        }
    }

    /// Every per-path quantity, in a fixed order: total_return, max_drawdown, uplift,
    /// adoption, baseline_adoption, draws (`None` where the run has none).
    pub fn quantities(&self) -> [Option<&Columns>; QUANTITIES] {
        [
            Some(&self.total_return),
            Some(&self.max_drawdown),
            self.uplift.as_ref(),
            Some(&self.adoption),
            self.baseline_adoption.as_ref(),
            Some(&self.draws),
        ]
    }

    /// [`Self::quantities`], taken apart (for their buffers to be reused).
    fn into_quantities(self) -> [Option<Columns>; QUANTITIES] {
        [
            Some(self.total_return),
            Some(self.max_drawdown),
            self.uplift,
            Some(self.adoption),
            self.baseline_adoption,
            Some(self.draws),
        ]
    }

    /// [`Self::quantities`], to write.
    fn quantities_mut(&mut self) -> [Option<&mut Columns>; QUANTITIES] {
        [
            Some(&mut self.total_return),
            Some(&mut self.max_drawdown),
            self.uplift.as_mut(),
            Some(&mut self.adoption),
            self.baseline_adoption.as_mut(),
            Some(&mut self.draws),
        ]
    }
}

/// Consecutive parts of one run, in path order, copied into one run of at most `capacity`
/// paths as they arrive: only the whole and the part at hand are held, instead of every part
/// and then the whole.
#[derive(Debug)]
pub struct Gathered {
    whole: Option<Simulation>,
    filled: usize,
    capacity: usize,
    /// Keep each path's adoption at the horizon only (a sketched run's reservoir).
    at_horizon: bool,
}

impl Gathered {
    /// Room for `capacity` paths.
    pub fn new(capacity: usize) -> Self {
        Gathered {
            whole: None,
            filled: 0,
            capacity,
            at_horizon: false,
        }
    }

    /// Room for `capacity` paths, keeping each one's adoption at the horizon only.
    pub fn at_horizon(capacity: usize) -> Self {
        Gathered {
            at_horizon: true,
            ..Gathered::new(capacity)
        }
    }

    /// Whether another part would add paths (or nothing has given the run its shape yet).
    pub fn wants(&self) -> bool {
        self.whole.is_none() || self.filled < self.capacity
    }

    /// Appends the next part's paths, as many as there is room for, and its chunk pools; hands
    /// the part back when its paths were copied (its buffers can take the next part), `None`
    /// when it was kept whole.
    pub fn push(&mut self, mut part: Simulation) -> Option<Simulation> {
        if self.whole.is_none() && part.paths == self.capacity {
            // The part is the whole run: kept as it is, not copied.
            self.filled = part.paths;
            self.whole = Some(if self.at_horizon {
                part.at_horizon_only()
            } else {
                part
            });
            return None;
        }
        let take = part.paths.min(self.capacity - self.filled);
        let at = self.filled;
        let at_horizon = self.at_horizon;
        let whole = self
            .whole
            .get_or_insert_with(|| Simulation::zeroed_like(&part, self.capacity, at_horizon));
        for (to, from) in whole.quantities_mut().into_iter().zip(part.quantities()) {
            if let (Some(to), Some(from)) = (to, from) {
                to.place(at, from, take);
            }
        }
        whole.pools.append(&mut part.pools);
        if let (Some(a), Some(b)) = (&mut whole.condition, &part.condition) {
            a.matches.extend_from_slice(&b.matches[..take]);
        }
        self.filled += take;
        Some(part)
    }

    /// The run as gathered so far and how many of its paths are filled (the columns may be
    /// longer): what a saved state holds. `None` before the first part.
    pub fn so_far(&self) -> Option<(&Simulation, usize)> {
        self.whole.as_ref().map(|w| (w, self.filled))
    }

    /// The run of every path pushed, with its chunk pools merged in order; `None` if nothing
    /// was pushed.
    pub fn finish(self) -> Option<Simulation> {
        let mut whole = self.whole?.truncated(self.filled);
        let (all, matching) = pool_totals(&whole.pools, whole.entities);
        whole.step_returns = all;
        if let Some(c) = &mut whole.condition {
            c.step_returns = matching;
        }
        Some(whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_model() -> Model {
        crate::model::parse_model(crate::model::DEFAULT_MODEL_TEXT, "python-5x.toml")
            .expect("default model")
    }

    /// Hands every batch back, recording where its returns were written and what they were.
    struct Recycler {
        blocks: usize,
        buffers: Vec<*const f64>,
        returns: Vec<Vec<f64>>,
    }

    impl Accumulator for Recycler {
        fn batch_end(&self, start: usize) -> usize {
            start + self.blocks
        }

        fn absorb(&mut self, batch: Simulation) -> Option<Simulation> {
            self.buffers.push(batch.total_return.values.as_ptr());
            self.returns.push(batch.total_return.values.clone());
            Some(batch)
        }
    }

    #[test]
    fn batches_handed_back_take_the_next_batch_into_their_buffers() {
        // Four batches of two chunks and a last one of one: each full batch after the first
        // is written where the one before was, with the values a fresh simulation gives
        // (nothing stale left from the batch before); the short last one gets its own.
        let model = default_model();
        let config = RunConfig {
            paths: 9 * CHUNK_PATHS,
            seed: 11,
            threads: Some(1),
            ..Default::default()
        };
        let mut recycler = Recycler {
            blocks: 2,
            buffers: Vec::new(),
            returns: Vec::new(),
        };
        let hooks = Hooks::default();
        simulate_into(&model, &config, 0..9, None, &hooks, &mut recycler).unwrap();
        assert_eq!(recycler.buffers.len(), 5);
        assert!(
            recycler.buffers[1..4]
                .iter()
                .all(|&b| b == recycler.buffers[0])
        );
        for (k, returns) in recycler.returns.iter().enumerate() {
            let chunks = 2 * k..(2 * k + 2).min(9);
            let fresh = simulate_chunks(&model, &config, chunks, None, &hooks).unwrap();
            assert_eq!(returns, &fresh.total_return.values, "batch {k}");
        }
    }

    #[test]
    fn columns_hold_each_quantity_in_path_order() {
        // Path p's value of column k is 10 p + k.
        let values = (0..3).flat_map(|k| (0..5).map(move |p| f64::from(10 * p + k)));
        let columns = Columns::from_values(3, 5, values.collect()).unwrap();
        assert_eq!((columns.width(), columns.paths()), (3, 5));
        assert_eq!(columns.column(1), [1.0, 11.0, 21.0, 31.0, 41.0]);
        assert_eq!(columns.get(4, 2), 42.0);
        let mut head = columns.clone();
        head.truncate(2);
        assert_eq!(
            head.iter().collect::<Vec<_>>(),
            [[0.0, 10.0], [1.0, 11.0], [2.0, 12.0]]
        );
        let mut tail = columns.clone();
        tail.values = tail.iter().flat_map(|c| c[2..].to_vec()).collect();
        tail.paths = 3;
        let mut whole = Columns::zeroed(3, 5);
        whole.place(0, &head, 2);
        whole.place(2, &tail, 3);
        assert_eq!(whole, columns);
        assert_eq!(
            Columns::from_values(3, 5, columns.values().to_vec()),
            Some(columns)
        );
        assert_eq!(Columns::from_values(3, 4, vec![0.0; 15]), None);
    }

    #[test]
    fn gathered_parts_are_the_first_paths_of_one_run() {
        let model = default_model();
        let config = RunConfig {
            paths: 3 * CHUNK_PATHS,
            seed: 5,
            ..Default::default()
        };
        let part = |chunks| simulate_chunks(&model, &config, chunks, None, &Hooks::default());
        let whole = part(0..3).unwrap();
        let mut first = Gathered::new(CHUNK_PATHS + 10);
        assert!(first.wants());
        first.push(part(0..1).unwrap());
        first.push(part(1..3).unwrap());
        assert!(!first.wants());
        let first = first.finish().unwrap();
        assert_eq!(first.paths, CHUNK_PATHS + 10);
        let (a, b) = (first.quantities(), whole.quantities());
        for (a, b) in a.into_iter().flatten().zip(b.into_iter().flatten()) {
            for k in 0..a.width() {
                assert_eq!(a.column(k), &b.column(k)[..CHUNK_PATHS + 10]);
            }
        }
        assert_eq!(
            first.step_returns, whole.step_returns,
            "every chunk's pool is kept"
        );
        assert!(Gathered::new(5).finish().is_none());
    }

    #[test]
    fn each_chunk_gets_its_paths_of_every_column() {
        let paths = 2 * CHUNK_PATHS + 3;
        let mut columns = Columns::zeroed(2, paths);
        for (c, mut chunk) in columns.chunks_mut().into_iter().enumerate() {
            assert_eq!(chunk.len(), 2);
            let rows = chunk[0].len();
            assert_eq!(rows, if c == 2 { 3 } else { CHUNK_PATHS });
            let (first, second) = chunk.split_at_mut(1);
            for (i, (a, b)) in first[0].iter_mut().zip(second[0].iter_mut()).enumerate() {
                let path = (c * CHUNK_PATHS + i) as f64;
                (*a, *b) = (path, -path);
            }
        }
        for path in 0..paths {
            assert_eq!(columns.get(path, 0), path as f64);
            assert_eq!(columns.get(path, 1), -(path as f64));
        }
        assert!(Columns::zeroed(3, 0).chunks_mut().is_empty());
    }
}
