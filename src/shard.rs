//! Scale-out: `run --shard K/N` runs the K-th of N contiguous slices of a run's paths and
//! writes its state; `merge` joins every shard's state and writes the outputs a single run
//! would have written, byte for byte.
//!
//! A shard folder holds `manifest.json` (the [`ShardHeader`]: what run it belongs to) and
//! `shard.bin`: the slice's per-path columns and per-chunk step-return pools, as little-endian
//! f64 (counts as u64), in a fixed order. Paths are seeded by their global index and the pools
//! are merged in chunk order, so nothing depends on how the run was split.

use std::fs;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::engine::{
    ChunkPool, Columns, ConditionalPaths, Simulation, shard_chunks, simulate_chunks, thread_pool,
};
use crate::export::{OutputError, write_folder};
use crate::outcome::StepReturns;
use crate::run::{
    ModelSource, RunError, RunOutcome, RunRequest, SummaryMethod, prepare, summarize_exact, write,
};
use crate::streaming::exact_fits;

/// The version of the shard format (2: per-path outcomes stored column by column).
const FORMAT: u32 = 2;

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
    /// The merged run would not fit in exact mode.
    #[error(
        "merging {paths} paths would keep {gib:.1} GiB of per-path outcomes; shards are merged exactly, and sketched (constant-memory) shards are not supported yet\n  help: run fewer --paths per sharded run, or run on one machine, where runs this large are summarised in constant memory"
    )]
    TooLarge {
        /// N.
        paths: usize,
        /// The memory.
        gib: f64,
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

/// Runs shard `k` of `n` of `request` and writes its state to the request's `out`
/// (default `output/<model name>.shard-K-of-N/`).
pub fn run_shard(request: &RunRequest, k: usize, n: usize) -> Result<ShardOutcome, RunError> {
    let prepared = prepare(request)?;
    let model = &prepared.model;
    let paths = request.config.paths;
    if !exact_fits(model, paths) {
        return Err(ShardError::TooLarge {
            paths,
            gib: crate::engine::outcome_bytes(model, paths) as f64 / f64::from(1u32 << 30),
        }
        .into());
    }
    let chunks = shard_chunks(paths, k, n);
    let pool = thread_pool(request.config.threads)?;
    let sim = pool.install(|| {
        simulate_chunks(
            model,
            &request.config,
            chunks.clone(),
            prepared.condition.as_ref(),
            &request.hooks,
        )
    })?;
    let header = ShardHeader {
        kind: "boomsim-shard".into(),
        format: FORMAT,
        boomsim_version: env!("CARGO_PKG_VERSION").into(),
        model_path: match &request.model {
            ModelSource::File(p) => p.display().to_string(),
            ModelSource::BuiltIn => String::new(),
        },
        sets: request.sets.clone(),
        model_sha256: crate::export::sha256_hex(&prepared.bytes),
        seed: request.config.seed,
        paths,
        shard: k,
        shards: n,
        first_path: sim.first_path,
        shard_paths: sim.paths,
        chunks: chunks.len(),
        entities: sim.entities,
        steps: sim.steps,
        parameters: sim.parameters,
        baseline: sim.uplift.is_some(),
        condition: request.condition.clone(),
        samples: request.samples,
        sampling: request.config.sampling,
    };
    let out_dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}.shard-{k}-of-{n}", model.name)));
    write_folder(&out_dir, |dir: &Path| -> Result<(), OutputError> {
        let io = |path: PathBuf| {
            move |source| OutputError::Io {
                path,
                source,
                hint: String::new(),
            }
        };
        let json = serde_json::to_vec_pretty(&header)
            .map_err(|e| io(dir.join("manifest.json"))(std::io::Error::other(e)))?;
        fs::write(dir.join("manifest.json"), json).map_err(io(dir.join("manifest.json")))?;
        let path = dir.join("shard.bin");
        let file = fs::File::create(&path).map_err(io(path.clone()))?;
        let mut w = BufWriter::new(file);
        write_state(&sim, &mut w)
            .and_then(|()| w.flush())
            .map_err(io(path.clone()))?;
        Ok(())
    })?;
    Ok(ShardOutcome { out_dir, header })
}

fn write_state(sim: &Simulation, w: &mut impl Write) -> std::io::Result<()> {
    let mut put = |values: &[f64]| -> std::io::Result<()> {
        for v in values {
            w.write_all(&v.to_le_bytes())?;
        }
        Ok(())
    };
    put(sim.total_return.values())?;
    put(sim.max_drawdown.values())?;
    if let Some(u) = &sim.uplift {
        put(u.values())?;
    }
    put(sim.adoption.values())?;
    if let Some(b) = &sim.baseline_adoption {
        put(b.values())?;
    }
    put(sim.draws.values())?;
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

fn read_state(h: &ShardHeader, bytes: &[u8]) -> Option<Simulation> {
    let (p, e, n) = (h.shard_paths, h.entities, h.steps + 1);
    let b = usize::from(h.baseline);
    let c = usize::from(h.condition.is_some());
    let values = p * (2 * e + b * e + n + b * n + h.parameters + c) + h.chunks * 2 * e * 4;
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
    let mut pools = Vec::with_capacity(h.chunks);
    for _ in 0..h.chunks {
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
        first_path: h.first_path,
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

fn read_shard(dir: &Path) -> Result<(ShardHeader, Simulation), ShardError> {
    let unreadable = |message: String| ShardError::Unreadable {
        path: dir.to_path_buf(),
        message,
    };
    let text = fs::read_to_string(dir.join("manifest.json"))
        .map_err(|e| unreadable(format!("cannot read manifest.json: {e}")))?;
    let header: ShardHeader = serde_json::from_str(&text)
        .map_err(|_| unreadable("not a shard folder (its manifest.json is not a shard's); write one with `boomsim run --shard K/N --out DIR`".into()))?;
    if header.kind != "boomsim-shard" || header.format != FORMAT {
        return Err(unreadable(format!(
            "shard format {} is not {FORMAT}",
            header.format
        )));
    }
    let mut bytes = Vec::new();
    fs::File::open(dir.join("shard.bin"))
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| unreadable(format!("cannot read shard.bin: {e}")))?;
    let sim = read_state(&header, &bytes)
        .ok_or_else(|| unreadable("shard.bin does not have the size its manifest.json says; it is truncated or from another shard".into()))?;
    Ok((header, sim))
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
        .map(|d| read_shard(d).map(|(h, s)| (d.clone(), h, s)))
        .collect::<Result<Vec<_>, _>>()?;
    let Some((first_dir, first, _)) = shards.first().cloned() else {
        return Err(ShardError::Incomplete("merge needs at least one shard folder".into()).into());
    };
    for (dir, h, _) in &shards {
        let checks: [(&'static str, String, String); 7] = [
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
            (
                "condition, samples and sampling",
                format!("{:?} {} {:?}", h.condition, h.samples, h.sampling),
                format!(
                    "{:?} {} {:?}",
                    first.condition, first.samples, first.sampling
                ),
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
    shards.sort_by_key(|(_, h, _)| h.shard);
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
    let present: Vec<usize> = shards.iter().map(|(_, h, _)| h.shard).collect();
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
        hooks: Default::default(),
        method: SummaryMethod::Exact,
        command_line,
    };
    let prepared = prepare(&request)?;
    if crate::export::sha256_hex(&prepared.bytes) != first.model_sha256 {
        return Err(ShardError::ModelChanged(request.model.display()).into());
    }
    let sim = Simulation::join(shards.into_iter().map(|(_, _, s)| s).collect());
    let pool = thread_pool(threads)?;
    let summaries = summarize_exact(&prepared, &pool, sim)?;
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
