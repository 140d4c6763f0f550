//! Scale-out: `run --shard K/N` runs the K-th of N contiguous slices of a run's paths and
//! writes its state; `merge` joins every shard's state and writes the outputs a single run
//! would have written, byte for byte.
//!
//! A shard folder holds `manifest.json` (the [`ShardHeader`]: what run it belongs to) and its
//! state. A shard of an exact run keeps `shard.bin`: the slice's per-path columns and
//! per-chunk step-return pools, as little-endian f64 (counts as u64), in a fixed order. A shard
//! of a sketched (constant-memory) run covers whole blocks of paths and keeps `sketch.bin`
//! (its sketches and counts, and each block's moments and pools, as [`crate::stats::state`] words) and
//! `reservoir.bin` (its share of the first paths, kept whole, laid out as `shard.bin`). Paths
//! are seeded by their global index, pools merge in chunk order and blocks in block order, so
//! nothing depends on how the run was split.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::engine::outcome::StepReturns;
use crate::engine::{
    CHUNK_PATHS, ChunkPool, Columns, ConditionalPaths, Simulation, shard_chunks, simulate_chunks,
    thread_pool,
};
use crate::output::{OutputError, write_folder};
use crate::run::{
    ModelSource, RunError, RunOutcome, RunRequest, SummaryMethod, prepare, summarize_exact,
    summarize_streamed, write,
};
use crate::stats::state::{Reader, Writer};
use crate::stats::streaming::{
    BATCH_CHUNKS, BATCH_PATHS, StreamedRun, exact_fits, shard_blocks, simulate_streaming,
};

/// The version of the shard format (2: per-path outcomes stored column by column; 3: sketched
/// shards; 4: SHA-256 of every state file and of the manifest itself).
const FORMAT: u32 = 4;

/// Which run a shard belongs to; every shard of a run must agree on all of it but `shard`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    /// `boomsim-shard`, so a run folder is not taken for a shard.
    pub kind: String,
    /// The shard format.
    pub format: u32,
    /// The boomsim version that wrote it.
    pub boomsim_version: String,
    /// The model file as given (empty for the built-in default).
    pub model_path: String,
    /// `--set` overrides.
    pub sets: Vec<String>,
    /// SHA-256 of the model's texts.
    pub model_sha256: String,
    /// The seed.
    pub seed: u64,
    /// N, the whole run's paths.
    pub paths: usize,
    /// K (1-based).
    pub shard: usize,
    /// N shards.
    pub shards: usize,
    /// The first path of this shard.
    pub first_path: usize,
    /// Paths in this shard.
    pub shard_paths: usize,
    /// Chunks in this shard.
    pub chunks: usize,
    /// Groups + assets.
    pub entities: usize,
    /// T.
    pub steps: usize,
    /// Uncertain parameters.
    pub parameters: usize,
    /// Whether the model has a baseline.
    pub baseline: bool,
    /// The `--where` condition.
    pub condition: Option<String>,
    /// Whether samples.csv is wanted.
    pub samples: bool,
    /// Variance reduction.
    pub sampling: crate::engine::Sampling,
    /// `exact` (every path kept) or `sketch` (constant memory), as for a single run of N paths.
    pub summary: String,
    /// Paths of `reservoir.bin` (sketched shards: this shard's share of the first paths).
    pub reservoir_paths: usize,
    /// Chunks of `reservoir.bin`.
    pub reservoir_chunks: usize,
    /// SHA-256 (hex) of each state file, by file name: merge verifies them before reading a
    /// byte of state, so a damaged file is an error that names it, never different numbers.
    pub sha256: std::collections::BTreeMap<String, String>,
    /// SHA-256 (hex) of this manifest written with this field empty: an edited or damaged
    /// manifest is refused too.
    pub manifest_sha256: String,
}

impl ShardHeader {
    /// The manifest's own checksum: SHA-256 of its JSON with `manifest_sha256` empty.
    fn own_sha256(&self) -> String {
        let mut blank = self.clone();
        blank.manifest_sha256 = String::new();
        let json = serde_json::to_vec_pretty(&blank).expect("a header serialises");
        crate::output::sha256_hex(&json)
    }
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        sha2::Digest::update(&mut self.hasher, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Why shards could not be run or merged.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not K/N with 1 <= K <= N.
    #[error("--shard `{0}`: expected K/N with 1 <= K <= N, e.g. --shard 2/3")]
    BadSpec(String),
    /// A folder is not a readable shard.
    #[error("{path}: {message}")]
    Unreadable {
        /// The folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Shards of different runs.
    #[error(
        "{path} belongs to another run: its {field} is {theirs}, but {first}'s is {ours}\n  help: merge only the shards of one run (same model, seed, paths, shard count and version)"
    )]
    Mismatch {
        /// The odd shard.
        path: PathBuf,
        /// The first shard.
        first: PathBuf,
        /// What differs.
        field: &'static str,
        /// Its value there.
        theirs: String,
        /// Its value in the first.
        ours: String,
    },
    /// A shard is missing or given twice.
    #[error("{0}")]
    Incomplete(String),
    /// `--summary exact` for a sharded run whose outcomes do not fit.
    #[error(
        "--summary exact: merging {paths} paths would keep {gib:.1} GiB of per-path outcomes, more than the 512 MiB an exact merge keeps\n  help: leave out --summary exact (or give --summary sketch): shards of runs this large are summarised in constant memory"
    )]
    TooLarge {
        /// N.
        paths: usize,
        /// The memory.
        gib: f64,
    },
    /// A sketched run has fewer blocks than shards.
    #[error(
        "--shard {k}/{n}: a sketched run of {paths} paths has {blocks} blocks of {block_paths} paths, and each shard needs at least one\n  help: run at most {blocks} shards, or more --paths"
    )]
    TooManyShards {
        /// K.
        k: usize,
        /// N shards.
        n: usize,
        /// N paths.
        paths: usize,
        /// Blocks in the run.
        blocks: usize,
        /// Paths per block.
        block_paths: usize,
    },
    /// The model changed since the shards ran.
    #[error(
        "the model {0} has changed since the shards ran (its SHA-256 differs)\n  help: rerun the shards with the model as it is now"
    )]
    ModelChanged(String),
}

/// Parses `K/N`.
pub fn parse_spec(spec: &str) -> Result<(usize, usize), ShardError> {
    let bad = || ShardError::BadSpec(spec.to_string());
    let (k, n) = spec.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// What a finished shard reports.
pub struct ShardOutcome {
    /// The shard folder.
    pub out_dir: PathBuf,
    /// What it holds.
    pub header: ShardHeader,
}

/// What a shard computed: every path of its slice, or its sketched part.
enum ShardState {
    Exact(Box<Simulation>),
    Sketch(Box<StreamedRun>),
}

/// Runs shard `k` of `n` of `request` and writes its state to the request's `out`
/// (default `output/<model name>.shard-K-of-N/`). The shard is exact or sketched as a single
/// run of all N paths would be (`--summary`).
pub fn run_shard(request: &RunRequest, k: usize, n: usize) -> Result<ShardOutcome, RunError> {
    let prepared = prepare(request)?;
    let model = &prepared.model;
    let paths = request.config.paths;
    let fits = exact_fits(model, paths);
    let exact = match request.method {
        SummaryMethod::Auto => fits,
        SummaryMethod::Exact => true,
        SummaryMethod::Sketch => false,
    };
    if exact && !fits {
        return Err(ShardError::TooLarge {
            paths,
            gib: crate::engine::outcome_bytes(model, paths) as f64 / f64::from(1u32 << 30),
        }
        .into());
    }
    let chunks = if exact {
        shard_chunks(paths, k, n)
    } else {
        shard_blocks(paths, k, n).ok_or(ShardError::TooManyShards {
            k,
            n,
            paths,
            blocks: paths.div_ceil(BATCH_PATHS),
            block_paths: BATCH_PATHS,
        })?
    };
    let out_dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}.shard-{k}-of-{n}", model.name)));
    crate::output::check_replaceable(&out_dir)?;
    let pool = thread_pool(request.config.threads)?;
    let condition = prepared.condition.as_ref();
    let (config, hooks) = (&request.config, &request.hooks);
    let state = pool.install(|| {
        if exact {
            simulate_chunks(model, config, chunks.clone(), condition, hooks)
                .map(|sim| ShardState::Exact(Box::new(sim)))
        } else {
            simulate_streaming(model, config, chunks.clone(), condition, hooks, true)
                .map(|part| ShardState::Sketch(Box::new(part)))
        }
    })?;
    let first_path = chunks.start * CHUNK_PATHS;
    let reservoir = match &state {
        ShardState::Exact(_) => None,
        ShardState::Sketch(part) => Some(&part.reservoir),
    };
    let header = ShardHeader {
        kind: "boomsim-shard".into(),
        format: FORMAT,
        boomsim_version: env!("CARGO_PKG_VERSION").into(),
        model_path: match &request.model {
            ModelSource::File(p) => p.display().to_string(),
            ModelSource::BuiltIn => String::new(),
        },
        sets: request.sets.clone(),
        model_sha256: crate::output::sha256_hex(&prepared.bytes),
        seed: request.config.seed,
        paths,
        shard: k,
        shards: n,
        first_path,
        shard_paths: (chunks.end * CHUNK_PATHS).min(paths) - first_path,
        chunks: chunks.len(),
        entities: model.groups.len() + model.assets.len(),
        steps: model.steps(),
        parameters: model.uncertain_parameters().len(),
        baseline: model.baseline.is_some(),
        condition: request.condition.clone(),
        samples: request.samples,
        sampling: request.config.sampling,
        summary: if exact { "exact" } else { "sketch" }.into(),
        reservoir_paths: reservoir.map_or(0, |r| r.paths),
        reservoir_chunks: reservoir.map_or(0, |r| r.pools.len()),
        sha256: Default::default(),
        manifest_sha256: String::new(),
    };
    let mut header = header;
    write_folder(&out_dir, |dir: &Path| -> Result<(), OutputError> {
        let io = |path: PathBuf| {
            move |source| OutputError::Io {
                path,
                source,
                hint: String::new(),
            }
        };
        let mut sums = std::collections::BTreeMap::new();
        let mut put = |name: &str, write: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| {
            let path = dir.join(name);
            let file = fs::File::create(&path).map_err(io(path.clone()))?;
            let mut w = Hashing {
                inner: BufWriter::new(file),
                hasher: sha2::Digest::new(),
            };
            write(&mut w)
                .and_then(|()| w.flush())
                .map_err(io(path.clone()))?;
            let digest = sha2::Digest::finalize(w.hasher);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            sums.insert(name.to_string(), hex);
            Ok::<(), OutputError>(())
        };
        match &state {
            ShardState::Exact(sim) => put("shard.bin", &|w| write_state(sim, w))?,
            ShardState::Sketch(part) => {
                let mut words = Writer::default();
                part.save(&mut words);
                let bytes = words.into_bytes();
                put("sketch.bin", &|w| w.write_all(&bytes))?;
                put("reservoir.bin", &|w| write_state(&part.reservoir, w))?;
            }
        }
        header.sha256 = sums;
        header.manifest_sha256 = header.own_sha256();
        let json = serde_json::to_vec_pretty(&header)
            .map_err(|e| io(dir.join("manifest.json"))(std::io::Error::other(e)))?;
        fs::write(dir.join("manifest.json"), json).map_err(io(dir.join("manifest.json")))
    })?;
    Ok(ShardOutcome { out_dir, header })
}

fn write_state(sim: &Simulation, w: &mut dyn Write) -> std::io::Result<()> {
    let mut put = |values: &[f64]| -> std::io::Result<()> {
        for v in values {
            w.write_all(&v.to_le_bytes())?;
        }
        Ok(())
    };
    for columns in sim.quantities().into_iter().flatten() {
        put(columns.values())?;
    }
    if let Some(c) = &sim.condition {
        let flags: Vec<f64> = c.matches.iter().map(|&m| f64::from(u8::from(m))).collect();
        put(&flags)?;
    }
    for pool in &sim.pools {
        for s in pool.all.iter().chain(&pool.matching) {
            put(&[f64::from_bits(s.count), s.mean, s.m2, s.downside_sq])?;
        }
    }
    Ok(())
}

/// Reads the columns and pools [`write_state`] wrote for `paths` paths in `chunks` chunks from
/// path `first_path`, of the run `h` describes.
fn read_state(
    h: &ShardHeader,
    (first_path, paths, chunks): (usize, usize, usize),
    bytes: &[u8],
) -> Option<Simulation> {
    let (p, e, n) = (paths, h.entities, h.steps + 1);
    let b = usize::from(h.baseline);
    let c = usize::from(h.condition.is_some());
    let values = p * (2 * e + b * e + n + b * n + h.parameters + c) + chunks * 2 * e * 4;
    if bytes.len() != values * 8 {
        return None;
    }
    let mut at = 0;
    let mut take = |len: usize| -> Vec<f64> {
        let out = bytes[at * 8..(at + len) * 8]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        at += len;
        out
    };
    let mut columns = |width: usize| Columns::from_values(width, p, take(width * p));
    let total_return = columns(e)?;
    let max_drawdown = columns(e)?;
    let uplift = h.baseline.then(|| columns(e)).flatten();
    let adoption = columns(n)?;
    let baseline_adoption = h.baseline.then(|| columns(n)).flatten();
    let draws = columns(h.parameters)?;
    let matches = h
        .condition
        .is_some()
        .then(|| take(p).iter().map(|&f| f == 1.0).collect::<Vec<bool>>());
    let mut pools = Vec::with_capacity(chunks);
    for _ in 0..chunks {
        let mut read = |count: usize| -> Vec<StepReturns> {
            take(count * 4)
                .chunks_exact(4)
                .map(|v| StepReturns {
                    count: v[0].to_bits(),
                    mean: v[1],
                    m2: v[2],
                    downside_sq: v[3],
                })
                .collect()
        };
        let all = read(e);
        let matching = read(e);
        pools.push(ChunkPool { all, matching });
    }
    Some(Simulation {
        first_path,
        paths: p,
        steps: h.steps,
        entities: e,
        parameters: h.parameters,
        threads: 1,
        total_return,
        max_drawdown,
        uplift,
        adoption,
        baseline_adoption,
        draws,
        step_returns: Vec::new(),
        pools,
        condition: matches.map(|matches| ConditionalPaths {
            matches,
            step_returns: Vec::new(),
        }),
    })
}

fn unreadable(dir: &Path, message: String) -> ShardError {
    ShardError::Unreadable {
        path: dir.to_path_buf(),
        message,
    }
}

/// A shard folder's manifest.
fn read_header(dir: &Path) -> Result<ShardHeader, ShardError> {
    let unreadable = |message: String| unreadable(dir, message);
    let text = crate::input::read_to_string(&dir.join("manifest.json"))
        .map_err(|e| unreadable(format!("cannot read manifest.json: {e}")))?;
    let header: ShardHeader = serde_json::from_str(&text)
        .map_err(|_| unreadable("not a shard folder (its manifest.json is not a shard's, or is from another boomsim version); write one with `boomsim run --shard K/N --out DIR`".into()))?;
    if header.kind != "boomsim-shard" || header.format != FORMAT {
        return Err(unreadable(format!(
            "shard format {} is not {FORMAT}",
            header.format
        )));
    }
    if header.own_sha256() != header.manifest_sha256 {
        return Err(unreadable(
            "manifest.json is damaged or was edited (its SHA-256 does not match the one it records)\n  help: run this shard again with `boomsim run --shard K/N`".into(),
        ));
    }
    Ok(header)
}

/// A shard folder's state, as its manifest `h` describes it.
fn read_shard(dir: &Path, h: &ShardHeader) -> Result<ShardState, ShardError> {
    let unreadable = |message: String| unreadable(dir, message);
    // A state file is read whole and checked against the manifest's SHA-256 before any of it
    // is decoded.
    let read = |name: &str| -> Result<Vec<u8>, ShardError> {
        // Regular files only (a FIFO would block), of any size a shard can have.
        let bytes = crate::input::read_limited(&dir.join(name), u64::MAX / 2)
            .map_err(|e| unreadable(format!("cannot read {name}: {e}")))?;
        let want = h.sha256.get(name).ok_or_else(|| {
            unreadable(format!("its manifest.json records no SHA-256 for {name}"))
        })?;
        if crate::output::sha256_hex(&bytes) != *want {
            return Err(unreadable(format!(
                "{name} is damaged: its SHA-256 does not match the one manifest.json records\n  help: run this shard again with `boomsim run --shard {}/{}`",
                h.shard, h.shards
            )));
        }
        Ok(bytes)
    };
    let damaged = |name: &str| {
        unreadable(format!(
            "{name} does not hold what its manifest.json says; it is truncated or from another shard"
        ))
    };
    Ok(if h.summary == "sketch" {
        let shape = (h.first_path, h.reservoir_paths, h.reservoir_chunks);
        let reservoir = read_state(h, shape, &read("reservoir.bin")?)
            .ok_or_else(|| damaged("reservoir.bin"))?;
        let bytes = read("sketch.bin")?;
        let mut r = Reader::new(&bytes);
        let part = StreamedRun::load(
            &mut r,
            (h.entities, h.steps, h.baseline),
            (h.condition.is_some(), h.chunks.div_ceil(BATCH_CHUNKS)),
            reservoir,
        )
        .filter(|_| r.is_done())
        .ok_or_else(|| damaged("sketch.bin"))?;
        ShardState::Sketch(Box::new(part))
    } else {
        let shape = (h.first_path, h.shard_paths, h.chunks);
        let sim = read_state(h, shape, &read("shard.bin")?).ok_or_else(|| damaged("shard.bin"))?;
        ShardState::Exact(Box::new(sim))
    })
}

/// Merges shard folders (any order) into the run folder `out`, byte-identical in its CSV
/// files to a single run with the same model, seed and paths.
pub fn merge(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    threads: Option<usize>,
    command_line: Vec<String>,
) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    let mut shards = dirs
        .iter()
        .map(|d| read_header(d).map(|h| (d.clone(), h)))
        .collect::<Result<Vec<_>, _>>()?;
    let Some((first_dir, first)) = shards.first().cloned() else {
        return Err(ShardError::Incomplete("merge needs at least one shard folder".into()).into());
    };
    for (dir, h) in &shards {
        let condition = |h: &ShardHeader| match &h.condition {
            Some(c) => format!("\"{c}\""),
            None => "none".to_string(),
        };
        let samples = |h: &ShardHeader| if h.samples { "on" } else { "off" }.to_string();
        let checks: [(&'static str, String, String); 10] = [
            (
                "boomsim version",
                h.boomsim_version.clone(),
                first.boomsim_version.clone(),
            ),
            ("model", h.model_path.clone(), first.model_path.clone()),
            (
                "model SHA-256",
                h.model_sha256.clone(),
                first.model_sha256.clone(),
            ),
            ("seed", h.seed.to_string(), first.seed.to_string()),
            ("path count", h.paths.to_string(), first.paths.to_string()),
            (
                "shard count",
                h.shards.to_string(),
                first.shards.to_string(),
            ),
            ("summary method", h.summary.clone(), first.summary.clone()),
            ("--where condition", condition(h), condition(&first)),
            ("--samples", samples(h), samples(&first)),
            (
                "sampling",
                h.sampling.to_string(),
                first.sampling.to_string(),
            ),
        ];
        for (field, theirs, ours) in checks {
            if theirs != ours {
                return Err(ShardError::Mismatch {
                    path: dir.clone(),
                    first: first_dir.clone(),
                    field,
                    theirs,
                    ours,
                }
                .into());
            }
        }
    }
    shards.sort_by_key(|(_, h)| h.shard);
    for w in shards.windows(2) {
        if w[0].1.shard == w[1].1.shard {
            return Err(ShardError::Incomplete(format!(
                "shard {}/{} is given twice: {} and {}",
                w[0].1.shard,
                first.shards,
                w[0].0.display(),
                w[1].0.display()
            ))
            .into());
        }
    }
    let present: Vec<usize> = shards.iter().map(|(_, h)| h.shard).collect();
    let missing: Vec<String> = (1..=first.shards)
        .filter(|k| !present.contains(k))
        .map(|k| format!("{k}/{}", first.shards))
        .collect();
    if !missing.is_empty() {
        return Err(ShardError::Incomplete(format!(
            "shard{} {} missing: run `boomsim run --shard {}` with the same model, seed and paths, then merge again",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            missing[0]
        ))
        .into());
    }
    let request = RunRequest {
        model: if first.model_path.is_empty() {
            ModelSource::BuiltIn
        } else {
            ModelSource::File(PathBuf::from(&first.model_path))
        },
        config: crate::engine::RunConfig {
            paths: first.paths,
            seed: first.seed,
            threads,
            sampling: first.sampling,
        },
        out,
        samples: first.samples,
        condition: first.condition.clone(),
        sets: first.sets.clone(),
        varied: Vec::new(),
        hooks: Default::default(),
        method: if first.summary == "sketch" {
            SummaryMethod::Sketch
        } else {
            SummaryMethod::Exact
        },
        command_line,
        report: false,
    };
    let prepared = prepare(&request)?;
    if crate::output::sha256_hex(&prepared.bytes) != first.model_sha256 {
        return Err(ShardError::ModelChanged(request.model.display()).into());
    }
    let pool = thread_pool(threads)?;
    // Every shard is read once, in order; a sketched shard is merged and dropped before the
    // next is read, so merging holds one shard's sketches at a time.
    let summaries = if first.summary == "sketch" {
        let mut failure = None;
        let parts = shards
            .iter()
            .map_while(|(dir, h)| match read_shard(dir, h) {
                Ok(ShardState::Sketch(part)) => Some(*part),
                Ok(ShardState::Exact(_)) => {
                    unreachable!("every shard's summary method was checked")
                }
                Err(e) => {
                    failure = Some(e);
                    None
                }
            });
        let run = StreamedRun::join(parts, &prepared.model);
        let run = match (failure, run) {
            (Some(e), _) => return Err(e.into()),
            (None, Some(run)) => run,
            (None, None) => return Err(ShardError::Incomplete("no shard to merge".into()).into()),
        };
        summarize_streamed(&prepared, &pool, run, first.paths)?
    } else {
        let parts = shards
            .iter()
            .map(|(dir, h)| match read_shard(dir, h)? {
                ShardState::Exact(sim) => Ok(*sim),
                ShardState::Sketch(_) => unreachable!("every shard's summary method was checked"),
            })
            .collect::<Result<Vec<_>, ShardError>>()?;
        summarize_exact(&prepared, &pool, Simulation::join(parts))?
    };
    write(&request, &prepared, &pool, summaries, started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_k_of_n() {
        assert_eq!(parse_spec("2/3").unwrap(), (2, 3));
        for bad in ["0/3", "4/3", "2", "a/b", "1/0"] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_every_chunk_once_in_order() {
        let paths = 10 * crate::engine::CHUNK_PATHS + 7;
        for n in 1..=5 {
            let ranges: Vec<_> = (1..=n).map(|k| shard_chunks(paths, k, n)).collect();
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges[n - 1].end, 11);
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        }
    }
}
