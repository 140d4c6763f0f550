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

use crate::engine::{CHUNK_PATHS, shard_chunks, simulate_into, thread_pool};
use crate::output::{OutputError, write_folder};
use crate::run::{
    ModelSource, RunError, RunOutcome, RunRequest, SummaryMethod, finish, prepare, summariser,
};
use crate::stats::state::Shape;
use crate::stats::summariser::sketched::{BATCH_PATHS, exact_fits, shard_blocks};
use crate::stats::summariser::{StateFiles, Summariser};

/// The version of the shard format (2: per-path outcomes stored column by column; 3: sketched
/// shards; 4: SHA-256 of every state file and of the manifest itself; 5: a sketched shard's
/// reservoir keeps adoption at the horizon only, the manifest names the command and model).
const FORMAT: u32 = 5;

/// Which run a shard belongs to; every shard of a run must agree on all of it but `shard`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    /// `boomsim-shard`, so a run folder is not taken for a shard.
    pub kind: String,
    /// The command that wrote it (`shard`) and the model's name: who may replace the folder.
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub model_name: String,
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

    /// The shape of the state it describes.
    fn shape(&self) -> Shape {
        Shape {
            first_path: self.first_path,
            paths: self.shard_paths,
            chunks: self.chunks,
            entities: self.entities,
            steps: self.steps,
            parameters: self.parameters,
            baseline: self.baseline,
            condition: self.condition.is_some(),
            reservoir_paths: self.reservoir_paths,
            reservoir_chunks: self.reservoir_chunks,
            at_horizon: false,
        }
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
    /// A run has fewer chunks (exact) or blocks (sketched) than shards.
    #[error(
        "--shard {k}/{n}: {run} of {paths} paths has {blocks} {unit} of {block_paths} paths, and each shard needs at least one\n  help: run at most {blocks} shards, or more --paths"
    )]
    TooManyShards {
        /// K.
        k: usize,
        /// N shards.
        n: usize,
        /// N paths.
        paths: usize,
        /// "an exact run" or "a sketched run".
        run: &'static str,
        /// "chunks" or "blocks".
        unit: &'static str,
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
    /// No model at hand has the texts the shards ran.
    #[error(
        "no model here has the texts the shards ran (SHA-256 {sha256}); tried {tried}\n  help: give the model file the shards ran with `boomsim merge --model PATH DIR...`"
    )]
    ModelNotFound {
        /// What was tried, and why each failed.
        tried: String,
        /// The shards' model SHA-256.
        sha256: String,
    },
    /// Loading, simulating or writing failed as in any run.
    #[error("{0}")]
    Run(#[from] RunError),
}

impl crate::exit::ExitStatus for ShardError {
    fn exit_code(&self) -> u8 {
        match self {
            // Flags that cannot go together: --shard with --paths and --summary.
            ShardError::BadSpec(_)
            | ShardError::TooManyShards { .. }
            | ShardError::TooLarge { .. } => crate::exit::USAGE,
            ShardError::Run(e) => e.exit_code(),
            _ => crate::exit::FAILED,
        }
    }
}

impl From<OutputError> for ShardError {
    fn from(e: OutputError) -> Self {
        ShardError::Run(e.into())
    }
}

impl From<crate::engine::EngineError> for ShardError {
    fn from(e: crate::engine::EngineError) -> Self {
        ShardError::Run(e.into())
    }
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
/// (default `output/<model name>.shard-K-of-N/`). The shard is exact or sketched as a single
/// run of all N paths would be (`--summary`), and its paths go through the same summariser a
/// single run uses; its state files are that summariser's saved state.
pub fn run_shard(request: &RunRequest, k: usize, n: usize) -> Result<ShardOutcome, ShardError> {
    let prepared = prepare(request)?;
    let model = &prepared.model;
    let paths = request.config.paths;
    let exact = request.method.exact(model, paths);
    if exact && !exact_fits(model, paths) {
        return Err(ShardError::TooLarge {
            paths,
            gib: crate::engine::outcome_bytes(model, paths) as f64 / f64::from(1u32 << 30),
        });
    }
    let chunks = if exact {
        // Each shard holds at least one chunk: an empty shard merges to nothing and is a typo.
        let all = paths.div_ceil(CHUNK_PATHS);
        if n > all {
            return Err(ShardError::TooManyShards {
                k,
                n,
                paths,
                run: "an exact run",
                unit: "chunks",
                blocks: all,
                block_paths: CHUNK_PATHS,
            });
        }
        shard_chunks(paths, k, n)
    } else {
        shard_blocks(paths, k, n).ok_or(ShardError::TooManyShards {
            k,
            n,
            paths,
            run: "a sketched run",
            unit: "blocks",
            blocks: paths.div_ceil(BATCH_PATHS),
            block_paths: BATCH_PATHS,
        })?
    };
    let out_dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}.shard-{k}-of-{n}", model.name)));
    let owner = crate::output::Owner {
        command: "shard",
        ..super::owner("shard", request, &prepared)
    };
    crate::output::check_replaceable(&out_dir, &owner)?;
    let pool = thread_pool(request.config.threads)?;
    let condition = prepared.condition.as_ref();
    let first_path = chunks.start * CHUNK_PATHS;
    let shard_paths = (chunks.end * CHUNK_PATHS).min(paths) - first_path;
    let mut state = summariser(
        exact,
        model,
        (first_path, shard_paths),
        condition.is_some(),
        true,
    );
    let (config, hooks) = (&request.config, &request.hooks);
    pool.install(|| {
        simulate_into(
            model,
            config,
            chunks.clone(),
            condition,
            hooks,
            state.as_mut(),
        )
    })?;
    let reservoir = state.reservoir();
    let header = ShardHeader {
        kind: "boomsim-shard".into(),
        command: "shard".into(),
        model_name: model.name.clone(),
        format: FORMAT,
        boomsim_version: env!("CARGO_PKG_VERSION").into(),
        model_path: match &request.model {
            ModelSource::File(p) => p.display().to_string(),
            ModelSource::BuiltIn => String::new(),
            // Shards come from the command line, which names files; a text model (the Python
            // package) has no file a merge could load again.
            ModelSource::Text(_) => "<string>".into(),
        },
        sets: request.sets.clone(),
        model_sha256: crate::output::sha256_hex(&prepared.bytes),
        seed: request.config.seed,
        paths,
        shard: k,
        shards: n,
        first_path,
        shard_paths,
        chunks: chunks.len(),
        entities: model.entities().len(),
        steps: model.steps(),
        parameters: model.drivers().len(),
        baseline: model.baseline.is_some(),
        condition: request.condition.clone(),
        samples: request.samples,
        sampling: request.config.sampling,
        summary: if exact { "exact" } else { "sketch" }.into(),
        reservoir_paths: reservoir.map_or(0, |(paths, _)| paths),
        reservoir_chunks: reservoir.map_or(0, |(_, chunks)| chunks),
        sha256: Default::default(),
        manifest_sha256: String::new(),
    };
    let mut header = header;
    write_folder(&out_dir, &owner, |dir: &Path| -> Result<(), OutputError> {
        let io = |path: PathBuf| {
            move |source| OutputError::Io {
                path,
                source,
                hint: String::new(),
            }
        };
        for name in state.state_files() {
            let path = dir.join(name);
            let file = fs::File::create(&path).map_err(io(path.clone()))?;
            let mut w = Hashing {
                inner: BufWriter::new(file),
                hasher: sha2::Digest::new(),
            };
            state
                .save(name, &mut w)
                .and_then(|()| w.flush())
                .map_err(io(path.clone()))?;
            let digest = sha2::Digest::finalize(w.hasher);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            header.sha256.insert(name.to_string(), hex);
        }
        header.manifest_sha256 = header.own_sha256();
        let json = serde_json::to_vec_pretty(&header)
            .map_err(|e| io(dir.join("manifest.json"))(std::io::Error::other(e)))?;
        fs::write(dir.join("manifest.json"), json).map_err(io(dir.join("manifest.json")))
    })?;
    Ok(ShardOutcome { out_dir, header })
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
    if header.kind != "boomsim-shard" {
        return Err(unreadable(format!(
            "not a shard folder: its manifest.json says kind `{}`, where a shard's says `boomsim-shard`; write one with `boomsim run --shard K/N --out DIR`",
            header.kind
        )));
    }
    if header.format != FORMAT {
        return Err(unreadable(format!(
            "this shard was written in shard format {} (boomsim {}), and this boomsim reads format {FORMAT}\n  help: run the shard again with this boomsim, or merge with the boomsim that wrote it",
            header.format, header.boomsim_version
        )));
    }
    if header.own_sha256() != header.manifest_sha256 {
        return Err(unreadable(
            "manifest.json is damaged or was edited (its SHA-256 does not match the one it records)\n  help: run this shard again with `boomsim run --shard K/N`".into(),
        ));
    }
    Ok(header)
}

/// Appends a shard folder's state, as its manifest `h` describes it, to `state`. Every state
/// file is read whole and checked against the manifest's SHA-256 before any of it is decoded.
fn restore_shard(
    dir: &Path,
    h: &ShardHeader,
    state: &mut dyn Summariser,
) -> Result<(), ShardError> {
    let unreadable = |message: String| unreadable(dir, message);
    let mut files = StateFiles::new();
    for &name in state.state_files() {
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
        files.insert(name, bytes);
    }
    state.restore(&h.shape(), &files).map_err(|name| {
        unreadable(format!(
            "{name} does not hold what its manifest.json says; it is truncated or from another shard"
        ))
    })
}

/// What `merge` is asked.
#[derive(Debug, Clone, Default)]
pub struct MergeRequest {
    /// The shard folders, in any order.
    pub dirs: Vec<PathBuf>,
    /// The run folder; `output/<model name>/` when `None`.
    pub out: Option<PathBuf>,
    /// The model file the shards ran (`--model`), when their recorded path does not lead to
    /// it from here (another working folder, another node).
    pub model: Option<PathBuf>,
    /// Worker threads for the summary.
    pub threads: Option<usize>,
    /// For the manifest.
    pub command_line: Vec<String>,
    /// Also write report.html and the workbook.
    pub report: bool,
    pub xlsx: bool,
    /// Cancellation (Ctrl-C, SIGTERM) between shards and while writing.
    pub hooks: crate::engine::Hooks,
}

/// The model the shards ran: the first of `--model`, the shards' recorded paths (as written,
/// from here) and the built-in model whose texts have the shards' SHA-256 (with their
/// `--set`s). The SHA-256 decides, never the path's spelling.
fn shards_model(
    request: &MergeRequest,
    shards: &[(PathBuf, ShardHeader)],
    first: &ShardHeader,
) -> Result<ModelSource, ShardError> {
    let mut candidates: Vec<ModelSource> = request
        .model
        .iter()
        .cloned()
        .map(ModelSource::File)
        .collect();
    for (_, h) in shards {
        let source = if h.model_path.is_empty() {
            ModelSource::BuiltIn
        } else {
            ModelSource::File(PathBuf::from(&h.model_path))
        };
        if !candidates.contains(&source) {
            candidates.push(source);
        }
    }
    let sets = crate::model::Override::sets(&first.sets);
    let mut tried = Vec::new();
    for source in candidates {
        match source.load(&sets) {
            Ok((_, bytes)) if crate::output::sha256_hex(&bytes) == first.model_sha256 => {
                return Ok(source);
            }
            Ok(_) => tried.push(format!("{} (other bytes)", source.display())),
            Err(_) => tried.push(format!("{} (not readable from here)", source.display())),
        }
    }
    Err(ShardError::ModelNotFound {
        tried: tried.join(", "),
        sha256: first.model_sha256.clone(),
    })
}

/// Merges shard folders (any order) into the run folder `out`, byte-identical in its CSV
/// files to a single run with the same model, seed and paths; with `report` and `xlsx` the
/// folder also gets its report and workbook, as `run --report --xlsx` would write them.
pub fn merge(request: &MergeRequest) -> Result<RunOutcome, ShardError> {
    let MergeRequest {
        dirs,
        out,
        threads,
        command_line,
        report,
        xlsx,
        ..
    } = request.clone();
    let started = Instant::now();
    let mut shards = dirs
        .iter()
        .map(|d| read_header(d).map(|h| (d.clone(), h)))
        .collect::<Result<Vec<_>, _>>()?;
    let Some((first_dir, first)) = shards.first().cloned() else {
        return Err(ShardError::Incomplete(
            "merge needs at least one shard folder".into(),
        ));
    };
    for (dir, h) in &shards {
        let condition = |h: &ShardHeader| match &h.condition {
            Some(c) => format!("\"{c}\""),
            None => "none".to_string(),
        };
        let samples = |h: &ShardHeader| if h.samples { "on" } else { "off" }.to_string();
        // The model is compared by the SHA-256 of its texts, not by how its path was spelled
        // (relative or absolute, from another folder or node).
        let checks: [(&'static str, String, String); 9] = [
            (
                "boomsim version",
                h.boomsim_version.clone(),
                first.boomsim_version.clone(),
            ),
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
                });
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
            )));
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
        )));
    }
    let model = shards_model(request, &shards, &first)?;
    let hooks = request.hooks.clone();
    let request = RunRequest {
        model,
        config: crate::engine::RunConfig {
            paths: first.paths,
            seed: first.seed,
            threads,
            sampling: first.sampling,
        },
        out,
        samples: first.samples,
        samples_format: Default::default(),
        condition: first.condition.clone(),
        sets: first.sets.clone(),
        varied: Vec::new(),
        hooks: hooks.clone(),
        method: if first.summary == "sketch" {
            SummaryMethod::Sketch
        } else {
            SummaryMethod::Exact
        },
        command_line,
        report,
        xlsx,
        stop: None,
    };
    let prepared = prepare(&request)?;
    if crate::output::sha256_hex(&prepared.bytes) != first.model_sha256 {
        return Err(ShardError::ModelChanged(request.model.display()));
    }
    let out_dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&prepared.model.name));
    let replacing =
        crate::output::check_replaceable(&out_dir, &super::owner("merge", &request, &prepared))?;
    let pool = thread_pool(threads)?;
    // Every shard is read once, in order, into the summariser a single run would have used; a
    // sketched shard is merged and dropped before the next is read, so merging holds one
    // shard's sketches at a time.
    let exact = first.summary != "sketch";
    let model = &prepared.model;
    let condition = prepared.condition.as_ref();
    let mut state = summariser(exact, model, (0, first.paths), condition.is_some(), false);
    for (dir, h) in &shards {
        if hooks.cancelled() {
            return Err(crate::engine::EngineError::Interrupted.into());
        }
        restore_shard(dir, h, state.as_mut())?;
    }
    // The shards' manifests are checked one by one; a set whose reservoirs (hand-edited, with
    // their SHA-256s rewritten) keep none of the first paths has nothing to summarise.
    if state.kept_so_far().is_none_or(|(_, kept)| kept == 0) {
        let (dir, h) = &shards[0];
        return Err(unreadable(
            dir,
            format!(
                "it keeps none of the run's first paths, though shard {} of {} starts the run\n  help: run this shard again with `boomsim run --shard {}/{}`",
                h.shard, h.shards, h.shard, h.shards
            ),
        ));
    }
    let summaries = pool.install(|| state.finish(model, condition, first.sampling));
    if hooks.cancelled() {
        return Err(crate::engine::EngineError::Interrupted.into());
    }
    let mut outcome = finish(
        &request,
        prepared,
        &pool,
        summaries,
        started,
        (None, "merge"),
    )?
    .write(&request)?;
    outcome.warnings.extend(replacing);
    Ok(outcome)
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
