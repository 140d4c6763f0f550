//! The Monte Carlo engine: N paths in parallel, reproducible by construction.
//!
//! Paths are split into fixed chunks of [`CHUNK_PATHS`]; each chunk is simulated by one rayon
//! task and writes into its own slice of the output columns, and the chunks' pooled step
//! returns are merged in chunk order. Every path draws from its own generator, seeded from
//! (seed, path index) only ([`path_rng`]). So the result is the same, bit for bit, for any
//! number of threads.

pub mod math;
mod path;

pub use math::Isa;
pub use path::{PathOutputs, PathRecord, PathSimulator, Scratch, Stage, Strata};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::Rng as _;
use rand::SeedableRng;
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};
use rayon::prelude::*;

use crate::condition::Condition;
use crate::model::Model;
use crate::outcome::StepReturns;

/// Paths per parallel task. Fixed, so results do not depend on the thread count.
pub const CHUNK_PATHS: usize = 256;

/// The generator of each path: xoshiro256++, a named, portable algorithm.
pub type PathRng = Xoshiro256PlusPlus;

/// The random streams of a path besides its parameters' own ([`parameter_rng`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Every shock (adoption, sectors, assets) and the failure times.
    Boom = 0,
    /// The standard normals of the `[[correlate]]` copula.
    Copula = 1,
}

/// The generator of one path's stream, a function of (seed, path, stream) only.
///
/// The key `mix(seed) XOR (2 * path + stream)` is distinct for every (path, stream) of one
/// seed; it is mixed again and expanded to xoshiro's 256-bit state by SplitMix64.
#[inline]
pub fn path_rng(seed: u64, path: u64, stream: Stream) -> PathRng {
    let key = mix64(mix64(seed) ^ ((path << 1) | stream as u64));
    seeded(key)
}

/// The generator of one parameter's draw on one path: a function of (seed, path, the
/// parameter's key path) only. Every parameter has its own stream, so changing one
/// parameter's distribution (or making it a constant) changes no other draw, and scenarios
/// of a sweep share every other random number.
#[inline]
pub fn parameter_rng(seed: u64, path: u64, parameter: u64) -> PathRng {
    seeded(mix64(mix64(seed ^ mix64(parameter)) ^ path))
}

/// `PathRng::seed_from_u64(key)`, the same state (four SplitMix64 outputs, little-endian)
/// written out so it inlines: the generic version fills the seed byte by byte behind a call,
/// and a path seeds one generator per uncertain parameter.
#[inline]
fn seeded(key: u64) -> PathRng {
    let mut splitmix = SplitMix64::seed_from_u64(key);
    let mut seed = [0u8; 32];
    for word in seed.chunks_exact_mut(8) {
        word.copy_from_slice(&splitmix.next_u64().to_le_bytes());
    }
    PathRng::from_seed(seed)
}

/// A stable 64-bit identity of a parameter's key path (FNV-1a).
pub fn parameter_id(key_path: &str) -> u64 {
    key_path.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A bijective 64-bit finaliser (MurmurHash3's fmix64).
fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

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
    /// total_return, path-major: `[path * entities + entity]`.
    pub total_return: Vec<f64>,
    /// max_drawdown, path-major.
    pub max_drawdown: Vec<f64>,
    /// uplift, path-major; `None` without a baseline.
    pub uplift: Option<Vec<f64>>,
    /// A(t_j), path-major: `[path * (steps + 1) + j]`.
    pub adoption: Vec<f64>,
    /// Baseline A(t_j); `None` without a baseline.
    pub baseline_adoption: Option<Vec<f64>>,
    /// The uncertain parameters' draws, path-major: `[path * parameters + parameter]`.
    pub draws: Vec<f64>,
    /// Number of uncertain parameters (columns of `draws`).
    pub parameters: usize,
    /// Pooled step returns of each entity.
    pub step_returns: Vec<StepReturns>,
    /// The step returns each chunk pooled, in chunk order.
    pub pools: Vec<ChunkPool>,
    /// With `--where`: which paths meet the condition, and their pooled step returns.
    pub condition: Option<ConditionalPaths>,
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

impl Simulation {
    /// One entity's values over all paths, in path order.
    pub fn column(values: &[f64], entities: usize, entity: usize) -> Vec<f64> {
        values
            .iter()
            .skip(entity)
            .step_by(entities)
            .copied()
            .collect()
    }

    /// Every column of a path-major buffer of `width` values per path. The columns are split
    /// into one block per thread, each gathered in one pass over the buffer (gathering every
    /// column separately would read the whole buffer once per column).
    pub fn columns(values: &[f64], width: usize) -> Vec<Vec<f64>> {
        if width == 0 {
            return Vec::new();
        }
        let paths = values.len() / width;
        let block_width = width.div_ceil(rayon::current_num_threads());
        (0..width.div_ceil(block_width))
            .into_par_iter()
            .flat_map_iter(|block| {
                let range = block * block_width..((block + 1) * block_width).min(width);
                let mut columns: Vec<Vec<f64>> =
                    range.clone().map(|_| Vec::with_capacity(paths)).collect();
                for row in values.chunks_exact(width) {
                    for (column, v) in columns.iter_mut().zip(&row[range.clone()]) {
                        column.push(*v);
                    }
                }
                columns
            })
            .collect()
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
    fn cancelled(&self) -> bool {
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

/// Bytes of per-path outcomes a run of `paths` paths keeps.
pub fn outcome_bytes(model: &Model, paths: usize) -> usize {
    let e = model.groups.len() + model.assets.len();
    let n = model.steps() + 1;
    let b = usize::from(model.baseline.is_some());
    let p = model.uncertain_parameters().len();
    paths.saturating_mul((2 + b) * e + (1 + b) * n + p) * std::mem::size_of::<f64>()
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

/// One parallel task's share of the output columns.
struct Chunk<'a> {
    first: usize,
    len: usize,
    total_return: &'a mut [f64],
    max_drawdown: &'a mut [f64],
    uplift: &'a mut [f64],
    adoption: &'a mut [f64],
    baseline_adoption: &'a mut [f64],
    draws: &'a mut [f64],
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

/// Splits a path-major buffer of `width` values per path into one slice per chunk.
fn chunked(buffer: &mut [f64], width: usize, chunks: usize) -> std::vec::IntoIter<&mut [f64]> {
    let mut out: Vec<&mut [f64]> = if width == 0 {
        Vec::new()
    } else {
        buffer.chunks_mut(CHUNK_PATHS * width).collect()
    };
    out.resize_with(chunks, || &mut []);
    out.into_iter()
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

/// Runs the paths of chunks `chunks` of a run of `total_paths` paths (a shard).
pub fn simulate_chunks(
    model: &Model,
    config: &RunConfig,
    chunks: std::ops::Range<usize>,
    condition: Option<&Condition>,
    hooks: &Hooks,
) -> Result<Simulation, EngineError> {
    let (total_paths, seed) = (config.paths, config.seed);
    let first_path = chunks.start * CHUNK_PATHS;
    let paths = (chunks.end * CHUNK_PATHS).min(total_paths) - first_path;
    let sim = PathSimulator::new(model, config.sampling);
    let e = sim.entities();
    let n = sim.steps() + 1;
    let p = model.uncertain_parameters().len();
    let has_baseline = model.baseline.is_some();
    let b = usize::from(has_baseline);
    check_memory(model, paths)?;
    // Zeroed allocations are lazily mapped: nothing is touched before a path writes it.
    let mut total_return = vec![0.0; paths * e];
    let mut max_drawdown = vec![0.0; paths * e];
    let mut uplift = vec![0.0; paths * e * b];
    let mut adoption = vec![0.0; paths * n];
    let mut baseline_adoption = vec![0.0; paths * n * b];
    let mut draws = vec![0.0; paths * p];

    let chunks = chunks.len();
    let mut tr = chunked(&mut total_return, e, chunks);
    let mut dd = chunked(&mut max_drawdown, e, chunks);
    let mut up = chunked(&mut uplift, e * b, chunks);
    let mut ad = chunked(&mut adoption, n, chunks);
    let mut ba = chunked(&mut baseline_adoption, n * b, chunks);
    let mut dr = chunked(&mut draws, p, chunks);
    let mut next = move || {
        (
            tr.next().unwrap_or_default(),
            dd.next().unwrap_or_default(),
            up.next().unwrap_or_default(),
            ad.next().unwrap_or_default(),
            ba.next().unwrap_or_default(),
            dr.next().unwrap_or_default(),
        )
    };
    let tasks: Vec<Chunk> = (0..chunks)
        .map(|c| {
            let (total_return, max_drawdown, uplift, adoption, baseline_adoption, draws) = next();
            Chunk {
                first: first_path + c * CHUNK_PATHS,
                len: CHUNK_PATHS.min(paths - c * CHUNK_PATHS),
                total_return,
                max_drawdown,
                uplift,
                adoption,
                baseline_adoption,
                draws,
            }
        })
        .collect();

    let partial: Vec<ChunkSteps> = tasks
        .into_par_iter()
        .map(|chunk| {
            if hooks.cancelled() {
                return None;
            }
            let mut scratch = sim.scratch();
            let strata = sim.strata(seed, (chunk.first / CHUNK_PATHS) as u64);
            let mut path_steps = vec![StepReturns::default(); e];
            let mut steps = ChunkSteps {
                pool: ChunkPool {
                    all: vec![StepReturns::default(); e],
                    matching: vec![StepReturns::default(); e],
                },
                matches: Vec::new(),
            };
            for i in 0..chunk.len {
                let path = (chunk.first + i) as u64;
                let draws = &mut chunk.draws[i * p..(i + 1) * p];
                let adoption = &mut chunk.adoption[i * n..(i + 1) * n];
                let baseline_adoption = &mut chunk.baseline_adoption[i * n * b..(i + 1) * n * b];
                sim.simulate(
                    seed,
                    path,
                    strata.as_ref(),
                    &mut scratch,
                    PathRecord {
                        total_return: &mut chunk.total_return[i * e..(i + 1) * e],
                        max_drawdown: &mut chunk.max_drawdown[i * e..(i + 1) * e],
                        uplift: &mut chunk.uplift[i * e * b..(i + 1) * e * b],
                        adoption,
                        baseline_adoption,
                        draws,
                        step_returns: &mut path_steps,
                    },
                );
                for (acc, path) in steps.pool.all.iter_mut().zip(&path_steps) {
                    acc.merge(path);
                }
                if let Some(condition) = condition {
                    let base_end = baseline_adoption.last().copied().unwrap_or(f64::NAN);
                    let matched = condition.holds(draws, adoption[n - 1], base_end);
                    if matched {
                        for (acc, path) in steps.pool.matching.iter_mut().zip(&path_steps) {
                            acc.merge(path);
                        }
                    }
                    steps.matches.push(matched);
                }
            }
            if let Some(progress) = &hooks.progress {
                progress(chunk.len as u64);
            }
            Some(steps)
        })
        .collect::<Option<Vec<ChunkSteps>>>()
        .ok_or(EngineError::Interrupted)?;
    if hooks.cancelled() {
        return Err(EngineError::Interrupted);
    }

    let mut matches = Vec::with_capacity(if condition.is_some() { paths } else { 0 });
    let mut pools = Vec::with_capacity(partial.len());
    for chunk in partial {
        matches.extend_from_slice(&chunk.matches);
        pools.push(chunk.pool);
    }
    let (step_returns, matching) = pool_totals(&pools, e);
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
    pub fn truncated(mut self, paths: usize) -> Simulation {
        if paths >= self.paths {
            return self;
        }
        let (e, n, p) = (self.entities, self.steps + 1, self.parameters);
        self.paths = paths;
        self.total_return.truncate(paths * e);
        self.max_drawdown.truncate(paths * e);
        if let Some(u) = &mut self.uplift {
            u.truncate(paths * e);
        }
        self.adoption.truncate(paths * n);
        if let Some(b) = &mut self.baseline_adoption {
            b.truncate(paths * n);
        }
        self.draws.truncate(paths * p);
        if let Some(c) = &mut self.condition {
            c.matches.truncate(paths);
        }
        self
    }

    /// Joins consecutive parts of one run (shards, in order) into the whole: the columns are
    /// concatenated and the step returns re-pooled chunk by chunk, so the result is the same,
    /// bit for bit, as one run of every path.
    pub fn join(parts: Vec<Simulation>) -> Simulation {
        let mut parts = parts.into_iter();
        let mut whole = parts.next().expect("at least one part");
        for part in parts {
            whole.paths += part.paths;
            whole.total_return.extend(part.total_return);
            whole.max_drawdown.extend(part.max_drawdown);
            if let (Some(a), Some(b)) = (&mut whole.uplift, part.uplift) {
                a.extend(b);
            }
            whole.adoption.extend(part.adoption);
            if let (Some(a), Some(b)) = (&mut whole.baseline_adoption, part.baseline_adoption) {
                a.extend(b);
            }
            whole.draws.extend(part.draws);
            whole.pools.extend(part.pools);
            if let (Some(a), Some(b)) = (&mut whole.condition, part.condition) {
                a.matches.extend(b.matches);
            }
        }
        let (all, matching) = pool_totals(&whole.pools, whole.entities);
        whole.step_returns = all;
        if let Some(c) = &mut whole.condition {
            c.step_returns = matching;
        }
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn columns_transpose_a_path_major_buffer() {
        for width in [1, 7, 8, 13, 41] {
            let values: Vec<f64> = (0..width * 37).map(|i| i as f64).collect();
            let columns = Simulation::columns(&values, width);
            assert_eq!(columns.len(), width);
            for (j, column) in columns.iter().enumerate() {
                assert_eq!(*column, Simulation::column(&values, width, j));
            }
        }
        assert!(Simulation::columns(&[], 0).is_empty());
    }

    #[test]
    fn seeding_equals_xoshiros_own_seed_from_u64() {
        for key in [0, 1, 42, u64::MAX, 0x9e37_79b9_7f4a_7c15] {
            let (mut ours, mut theirs) = (seeded(key), PathRng::seed_from_u64(key));
            for _ in 0..8 {
                assert_eq!(ours.next_u64(), theirs.next_u64());
            }
        }
    }

    #[test]
    fn path_streams_depend_only_on_seed_path_and_stream() {
        let a = path_rng(1, 5, Stream::Boom).next_u64();
        assert_eq!(a, path_rng(1, 5, Stream::Boom).next_u64());
        assert_ne!(a, path_rng(1, 6, Stream::Boom).next_u64());
        assert_ne!(a, path_rng(1, 5, Stream::Copula).next_u64());
        let id = parameter_id("adoption.ceiling");
        assert_ne!(id, parameter_id("adoption.rate"));
        let p = parameter_rng(1, 5, id).next_u64();
        assert_eq!(p, parameter_rng(1, 5, id).next_u64());
        assert_ne!(p, parameter_rng(1, 6, id).next_u64());
        assert_ne!(
            p,
            parameter_rng(1, 5, parameter_id("adoption.rate")).next_u64()
        );
        assert_ne!(a, path_rng(2, 5, Stream::Boom).next_u64());
    }

    #[test]
    fn value_stability_of_the_stream() {
        // Pins the generator: a change here changes every published result.
        assert_eq!(
            path_rng(1, 0, Stream::Boom).next_u64(),
            0xb51f_835d_850a_8ab5
        );
        let ceiling = parameter_id("adoption.ceiling");
        assert_eq!(
            parameter_rng(1, 0, ceiling).next_u64(),
            0xa6c4_c9b3_24aa_fbb7
        );
        assert_eq!(mix64(0), 0);
        assert_eq!(mix64(1), 0xb456_bcfc_34c2_cb2c);
    }
}
