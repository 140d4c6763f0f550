//! One run, end to end: load the model, simulate, summarise, write the run folder.
//!
//! The CLI turns its arguments into a [`RunRequest`]; nothing here knows about clap.

pub mod allocate;
pub mod shard;
pub mod sweep;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::condition::{Condition, ConditionError};
use crate::engine::{CHUNK_PATHS, Hooks, RunConfig, simulate_into, thread_pool};
use crate::output::{
    Manifest, OutputError, Owner, RunResults, SPREADSHEET_ROWS, WriteOptions, first_non_finite,
    run_exports, sha256_hex, write_run,
};
use crate::stats::precision::{FIRST_ROUND, StopRule, Stopping};
use crate::stats::sensitivity::SensitivityRow;
use crate::stats::summariser::sketched::{Sketched, exact_fits};
use crate::stats::summariser::{Exact, Summaries, Summariser};

use crate::model::{
    DEFAULT_MODEL_PATH, DEFAULT_MODEL_TEXT, LoadError, Model, Override, load_file, parse_model_with,
};
use crate::output::terminal::RunText;
use crate::stats::summary::{SummaryRow, Thresholds};

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A model file.
    File(PathBuf),
    /// The built-in copy of `models/python-5x.toml`.
    BuiltIn,
    /// A model given as text (the Python package's `model="[model]..."`); messages call it
    /// `<string>`, and the files it names are found from the working folder.
    Text(String),
}

impl ModelSource {
    /// The model named on the command line, or the default: `models/python-5x.toml` when that
    /// file exists here, else the built-in copy.
    pub fn or_default(path: Option<PathBuf>) -> Self {
        match path {
            Some(p) => ModelSource::File(p),
            None if Path::new(DEFAULT_MODEL_PATH).is_file() => {
                ModelSource::File(PathBuf::from(DEFAULT_MODEL_PATH))
            }
            None => ModelSource::BuiltIn,
        }
    }

    /// How the source is named in messages and the manifest.
    pub fn display(&self) -> String {
        match self {
            ModelSource::File(p) => p.display().to_string(),
            ModelSource::BuiltIn => format!("{DEFAULT_MODEL_PATH} (built in)"),
            ModelSource::Text(_) => "<string>".into(),
        }
    }

    /// Loads and validates the model with `--set`/`--vary` overrides; returns it with the bytes
    /// of every text it was assembled from (the file alone when nothing extends or overrides it).
    pub fn load(&self, sets: &[Override]) -> Result<(Model, Vec<u8>), LoadError> {
        match self {
            ModelSource::File(p) => load_file(p, sets),
            ModelSource::BuiltIn => parse_model_with(DEFAULT_MODEL_TEXT, &self.display(), sets)
                .map_err(LoadError::Invalid),
            ModelSource::Text(text) => {
                parse_model_with(text, &self.display(), sets).map_err(LoadError::Invalid)
            }
        }
    }
}

/// A validated request for one run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The model.
    pub model: ModelSource,
    /// Paths, seed, threads.
    pub config: RunConfig,
    /// The run folder; `output/<model name>/` when `None`.
    pub out: Option<PathBuf>,
    /// Write the samples.
    pub samples: bool,
    /// As `samples.csv` or `samples.parquet`.
    pub samples_format: crate::output::SamplesFormat,
    /// `--where`: summarise the paths meeting this condition too.
    pub condition: Option<String>,
    /// `--set KEY=VALUE` overrides.
    pub sets: Vec<String>,
    /// A sweep scenario's `--vary` values, as `KEY=VALUE`, applied after the `--set`s.
    pub varied: Vec<String>,
    /// Progress reporting and cancellation.
    pub hooks: Hooks,
    /// Exact or sketched summaries.
    pub method: SummaryMethod,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
    /// Also write `report.html` and `charts/` (inside the folder, before it is put in place).
    pub report: bool,
    /// Also write the folder's Excel workbook (inside the folder, before it is put in place).
    pub xlsx: bool,
    /// `--precision`: add rounds of paths until the groups' statistics are precise enough;
    /// `config.paths` is then ignored.
    pub stop: Option<StopRule>,
}

impl RunRequest {
    /// The model's overrides: the `--set`s, then the scenario's `--vary` values.
    pub fn overrides(&self) -> Vec<Override> {
        let mut all = Override::sets(&self.sets);
        all.extend(self.varied.iter().map(|text| Override {
            flag: crate::model::Flag::Vary,
            text: text.clone(),
        }));
        all
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The model could not be loaded.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// The `--where` condition is malformed.
    #[error("{0}")]
    Condition(#[from] ConditionError),
    /// No path met the `--where` condition.
    #[error(
        "--where \"{condition}\": no path of {paths} meets the condition, so there is nothing to summarise; nothing was written\n  help: loosen the condition (`boomsim check` shows each parameter's 5th to 95th percentiles)"
    )]
    NoPathMatches {
        /// The condition.
        condition: String,
        /// N.
        paths: usize,
    },
    /// The simulation could not run.
    #[error("{0}")]
    Engine(#[from] crate::engine::EngineError),
    /// Two models of one `run` would write the same folder.
    #[error(
        "{first} and {second} would both write {}: both models are named `{name}`, so the second would replace the first's results; nothing was run\n  help: give one model another `[model] name`, or run them one at a time with their own --out",
        dir.display()
    )]
    SameFolder {
        /// The first model's source.
        first: String,
        /// The second's.
        second: String,
        /// Their shared name.
        name: String,
        /// The folder.
        dir: PathBuf,
    },
    /// A statistic overflowed although every path's values are finite.
    #[error(
        "{file}: {row}'s `{column}` is not a finite number: the paths' values are finite but so large that their statistics overflow a 64-bit float. Nothing was written, and any earlier result was left as it was.\n  help: the model compounds to astronomically large values; reduce the elasticities, drifts and volatilities, shorten the horizon, or restrict wide distributions with `in [lo, hi]`"
    )]
    NonFinite {
        /// The file the cell belongs to.
        file: &'static str,
        /// The row's leading cells (kind, name, ...).
        row: String,
        /// The column.
        column: String,
    },
    /// Outputs could not be written; an earlier result was left as it was.
    #[error("{0}")]
    Output(#[from] OutputError),
    /// No scenario of a sweep could run.
    #[error(
        "every scenario of the sweep failed, so nothing was written; the first: {0}\n  help: the varied values make the model's paths overflow: narrow them"
    )]
    EveryScenarioFailed(String),
}

impl crate::exit::ExitStatus for RunError {
    fn exit_code(&self) -> u8 {
        match self {
            RunError::Load(e) => e.exit_code(),
            RunError::Condition(e) => e.exit_code(),
            RunError::Engine(e) => e.exit_code(),
            RunError::Output(e) => e.exit_code(),
            _ => crate::exit::FAILED,
        }
    }
}

/// What a finished run reports.
pub struct RunOutcome {
    /// The folder that now holds the outputs.
    pub out_dir: PathBuf,
    /// The summary rows.
    pub rows: Vec<SummaryRow>,
    /// The sensitivity rows.
    pub sensitivity: Vec<SensitivityRow>,
    /// The Monte Carlo error of each headline statistic.
    pub precision: Vec<crate::stats::precision::PrecisionRow>,
    /// How many paths they were computed from (the first 100,000 of a sketched run).
    pub sensitivity_paths: usize,
    /// How many paths met `--where`, if given.
    pub matched: Option<usize>,
    /// The manifest written.
    pub manifest: Manifest,
    /// H, for reading the returns.
    pub horizon_years: f64,
    /// Things the user should know (printed on stderr).
    pub warnings: Vec<String>,
    /// What the stopping rule did, with `--precision`.
    pub stopping: Option<Stopping>,
    /// The files written, in order.
    pub files: Vec<&'static str>,
}

impl RunOutcome {
    /// What a person reads after the run.
    pub fn text(&self) -> String {
        RunText {
            manifest: &self.manifest,
            rows: &self.rows,
            precision: &self.precision,
            sensitivity: &self.sensitivity,
            kept_paths: self.sensitivity_paths,
            horizon_years: self.horizon_years,
            stopping: self.stopping.as_ref(),
            matched: self.matched,
            out_dir: &self.out_dir,
            files: &self.files,
        }
        .render()
    }
}

/// The `boomsim allocate` command for a run's model: the same file (none for the built-in
/// model) and `--set`s, quoted for a POSIX shell where they need it.
pub fn allocate_command(request: &RunRequest) -> String {
    let mut words = vec!["boomsim".to_string(), "allocate".to_string()];
    if let ModelSource::File(p) = &request.model {
        words.push(p.display().to_string());
    }
    for set in &request.sets {
        words.push("--set".into());
        words.push(set.clone());
    }
    words
        .iter()
        .map(|w| {
            let plain = w
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain && !w.is_empty() {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The run folder: `--out`, or `output/<model name>/`.
fn out_dir(request: &RunRequest, model: &Model) -> PathBuf {
    request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&model.name))
}

/// Runs a request: load, simulate, summarise, write the folder whole.
pub fn run(request: &RunRequest) -> Result<RunOutcome, RunError> {
    let prepared = prepare(request)?;
    let replacing = crate::output::check_replaceable(
        &out_dir(request, &prepared.model),
        &owner("run", request, &prepared),
    )?;
    let finished = compute_prepared(request, prepared, "run")?;
    let mut outcome = finished.write(request)?;
    outcome.warnings.extend(replacing);
    Ok(outcome)
}

/// Runs a request in memory: load, simulate, summarise, check every figure is finite; nothing
/// is written (what the Python package returns; [`Finished::write`] writes the folder).
pub fn compute(request: &RunRequest) -> Result<Finished, RunError> {
    compute_prepared(request, prepare(request)?, "run")
}

/// [`compute`] of a prepared request.
fn compute_prepared(
    request: &RunRequest,
    prepared: Prepared,
    command: &'static str,
) -> Result<Finished, RunError> {
    let started = Instant::now();
    let pool = thread_pool(request.config.threads)?;
    let model = &prepared.model;
    // With a stopping rule, the method and the summariser's room are those of its largest run.
    let most = request
        .stop
        .as_ref()
        .map_or(request.config.paths, |s| s.max_paths);
    let exact = request.method.exact(model, most);
    let condition = prepared.condition.is_some();
    let mut summariser = summariser(exact, model, (0, most), condition, false);
    // The rounds: one of `paths`, or the stopping rule's until it is met.
    let rounds = match &request.stop {
        None => vec![request.config.paths],
        Some(rule) => stop_rounds(rule.max_paths),
    };
    let mut stopping = request.stop.clone().map(|rule| Stopping {
        rule,
        rounds: Vec::new(),
        converged: false,
        unconverged: Vec::new(),
        sampling: request.config.sampling,
    });
    let mut done: usize = 0;
    for paths in rounds {
        let config = RunConfig {
            paths,
            ..request.config
        };
        pool.install(|| {
            simulate_into(
                model,
                &config,
                done.div_ceil(CHUNK_PATHS)..paths.div_ceil(CHUNK_PATHS),
                prepared.condition.as_ref(),
                &request.hooks,
                summariser.as_mut(),
            )
        })?;
        done = paths;
        if let Some(s) = &mut stopping
            && s.check(model, summariser.as_ref(), paths)
        {
            break;
        }
    }
    let summaries = pool
        .install(|| summariser.finish(model, prepared.condition.as_ref(), request.config.sampling));
    let mut request = request.clone();
    request.config.paths = done;
    let mut finished = finish(
        &request,
        prepared,
        &pool,
        summaries,
        started,
        (stopping.as_ref(), command),
    )?;
    if let Some(s) = stopping {
        if !s.converged {
            finished.warnings.push(format!(
                "--precision {}: reached --max-paths {} before every statistic converged; still wider than the rule: {}",
                s.rule.target,
                s.rule.max_paths,
                s.unconverged.join(", ")
            ));
        }
        finished.stopping = Some(s);
    }
    Ok(finished)
}

/// Who writes a request's folder: `command` for its model, compared on the seed and paths.
pub fn owner(command: &'static str, request: &RunRequest, prepared: &Prepared) -> Owner {
    Owner {
        command,
        model_name: prepared.model.name.clone(),
        model_sha256: sha256_hex(&prepared.bytes),
        settings: vec![
            ("seed", request.config.seed.to_string()),
            ("paths", request.config.paths.to_string()),
        ],
    }
}

/// The path counts of a stopping rule's rounds: 16,384 doubling (whole blocks, so each round's
/// chunks follow the last's), then `max_paths`.
pub fn stop_rounds(max_paths: usize) -> Vec<usize> {
    let mut rounds = Vec::new();
    let mut n = FIRST_ROUND;
    while n < max_paths {
        rounds.push(n);
        n *= 2;
    }
    rounds.push(max_paths);
    rounds
}

/// How the summary is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SummaryMethod {
    /// Exact when every path's outcomes fit in 512 MiB, else sketched.
    #[default]
    Auto,
    /// Keep every path (exact quantiles).
    Exact,
    /// Constant memory: sketched quantiles (within 0.05%), sensitivity and samples from the
    /// first 100,000 paths.
    Sketch,
}

impl SummaryMethod {
    /// Whether a run of `paths` paths of `model` keeps every path.
    pub fn exact(self, model: &Model, paths: usize) -> bool {
        match self {
            SummaryMethod::Auto => exact_fits(model, paths),
            SummaryMethod::Exact => true,
            SummaryMethod::Sketch => false,
        }
    }
}

/// What a run (or a shard, or a merge) folds its paths into: `paths` paths of `model` from path
/// `first_path`, kept whole when `exact`, else sketched (a shard's sketches keep what its
/// state files need).
pub fn summariser(
    exact: bool,
    model: &Model,
    (first_path, paths): (usize, usize),
    condition: bool,
    for_shard: bool,
) -> Box<dyn Summariser> {
    if exact {
        Box::new(Exact::new(paths))
    } else {
        Box::new(Sketched::new(
            model,
            (first_path, first_path + paths),
            condition,
            for_shard,
        ))
    }
}

/// A loaded model and its parsed `--where` condition.
pub struct Prepared {
    /// The model.
    pub model: Model,
    /// The bytes of every text it was assembled from.
    pub bytes: Vec<u8>,
    /// The condition.
    pub condition: Option<Condition>,
}

/// The runs of one `boomsim run` command, each with its folder decided: every model is loaded
/// and validated (with the `--where` condition) before any of them runs, so a bad second model
/// leaves nothing written. One model writes `out` (default `output/<name>/`); several write
/// `out/<name>/` (default `output/<name>/`), and two that would write one folder are an error.
pub fn plan_runs(
    sources: Vec<ModelSource>,
    template: &RunRequest,
) -> Result<Vec<RunRequest>, RunError> {
    let several = sources.len() > 1;
    let mut planned: Vec<(RunRequest, String)> = Vec::new();
    for source in sources {
        let mut request = RunRequest {
            model: source,
            ..template.clone()
        };
        let name = prepare(&request)?.model.name;
        let dir = match (&template.out, several) {
            (Some(dir), false) => dir.clone(),
            (Some(dir), true) => dir.join(&name),
            (None, _) => Path::new("output").join(&name),
        };
        if let Some((first, _)) = planned.iter().find(|(r, _)| r.out.as_ref() == Some(&dir)) {
            return Err(RunError::SameFolder {
                first: first.model.display(),
                second: request.model.display(),
                name,
                dir,
            });
        }
        request.out = Some(dir);
        planned.push((request, name));
    }
    Ok(planned.into_iter().map(|(r, _)| r).collect())
}

/// Loads the model and parses the condition: everything that can fail before simulating.
pub fn prepare(request: &RunRequest) -> Result<Prepared, RunError> {
    let (model, bytes) = request.model.load(&request.overrides())?;
    let parameters: Vec<String> = model.drivers();
    let condition = request
        .condition
        .as_deref()
        .map(|text| Condition::parse(text, &parameters, model.baseline.is_some()))
        .transpose()?;
    Ok(Prepared {
        model,
        bytes,
        condition,
    })
}

/// Refuses rows with a NaN or infinite cell (docs/model.md §11), naming the file, row and column.
fn check_finite<T: serde::Serialize>(file: &'static str, rows: &[T]) -> Result<(), RunError> {
    match first_non_finite(rows) {
        None => Ok(()),
        Some((_, column, before)) => Err(RunError::NonFinite {
            file,
            row: before
                .iter()
                .take(2)
                .filter(|c| !c.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            column,
        }),
    }
}

/// A run's summaries checked (no condition that matched nothing, every figure finite) and
/// put beside its manifest: everything a run folder holds, in memory.
pub fn finish(
    request: &RunRequest,
    prepared: Prepared,
    pool: &rayon::ThreadPool,
    summaries: Summaries,
    started: Instant,
    (stopping, command): (Option<&Stopping>, &'static str),
) -> Result<Finished, RunError> {
    let model = &prepared.model;
    let Summaries {
        rows,
        fan,
        distributions,
        sensitivity,
        precision,
        convergence,
        conditional,
        kept: sim,
        method,
    } = &summaries;
    let paths = request.config.paths;
    if let Some(c) = &conditional
        && c.matched == 0
    {
        return Err(RunError::NoPathMatches {
            condition: c.condition.clone(),
            paths,
        });
    }
    check_finite("summary.csv", rows)?;
    for f in fan {
        let columns = ["mean", "p05", "p25", "p50", "p75", "p95"];
        let boom = f.boom.iter().zip(columns.map(String::from));
        let baseline = f
            .baseline
            .iter()
            .flatten()
            .zip(columns.map(|c| format!("baseline_{c}")));
        if let Some((_, column)) = boom.chain(baseline).find(|(x, _)| !x.is_finite()) {
            return Err(RunError::NonFinite {
                file: "adoption.csv",
                row: format!("step {}", f.step),
                column,
            });
        }
    }
    check_finite("distributions.csv", distributions)?;
    check_finite("sensitivity.csv", sensitivity)?;
    check_finite("precision.csv", precision)?;
    check_finite("convergence.csv", convergence)?;
    if let Some(c) = &conditional {
        check_finite("summary_where.csv", &c.rows)?;
    }
    let manifest = Manifest {
        boomsim_version: env!("CARGO_PKG_VERSION"),
        command,
        model_name: model.name.clone(),
        model_path: request.model.display(),
        model_sha256: sha256_hex(&prepared.bytes),
        seed: request.config.seed,
        paths,
        steps: sim.steps,
        summary_method: method.clone(),
        created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        sampling: request.config.sampling,
        threads: pool.current_num_threads(),
        elapsed_seconds: started.elapsed().as_secs_f64(),
        command_line: request.command_line.clone(),
        samples: request.samples,
        samples_format: request.samples_format,
        condition: conditional.as_ref().map(|c| c.condition.clone()),
        condition_matched: conditional.as_ref().map(|c| c.matched),
        stopping: stopping.cloned(),
        profile_thresholds: Thresholds::of(model),
        expected_return: model.expected_return,
        paths_kept_whole: sim.paths,
        allocate_command: allocate_command(request),
    };
    let mut warnings = Vec::new();
    if request.samples && sim.paths < paths {
        warnings.push(format!(
            "this run is summarised in constant memory, so {} holds its first {} paths, not all {paths} (--summary exact keeps every path, in memory)",
            request.samples_format.file_name(),
            sim.paths
        ));
    } else if request.samples
        && request.samples_format == crate::output::SamplesFormat::Csv
        && paths > SPREADSHEET_ROWS
    {
        warnings.push(format!(
            "samples.csv has {paths} rows; a spreadsheet opens at most {SPREADSHEET_ROWS}, so it cannot open the whole file (load it with a script, or run fewer --paths)"
        ));
    }
    let out_dir = out_dir(request, model);
    let Prepared { model, .. } = prepared;
    Ok(Finished {
        out_dir,
        horizon_years: model.horizon_years,
        model,
        summaries,
        samples: request.samples,
        samples_format: request.samples_format,
        manifest,
        warnings,
        stopping: None,
    })
}

/// A run computed in memory: the model, its summaries (with the paths kept whole) and the
/// manifest; [`Finished::results`] is what each output file is rendered from.
pub struct Finished {
    /// The folder it goes to (`--out`, or `output/<model name>/`).
    pub out_dir: PathBuf,
    /// H, for reading the returns.
    pub horizon_years: f64,
    /// The model that ran.
    pub model: Model,
    /// Every summary, and the paths kept whole (all, or a sketched run's first 100,000).
    pub summaries: Summaries,
    /// Whether the samples are wanted, and as which file.
    pub samples: bool,
    pub samples_format: crate::output::SamplesFormat,
    /// Provenance.
    pub manifest: Manifest,
    /// Things the user should know.
    pub warnings: Vec<String>,
    /// What the stopping rule did, with `--precision`.
    pub stopping: Option<Stopping>,
}

/// Drops `value` on a thread of its own: the paths kept whole are hundreds of MB (240 MB for
/// 200,000 paths of the default model), and returning their pages to the system took 15-20 ms
/// of a 0.64 s run, after every file was written, in which nothing else could happen. A
/// process that ends meanwhile needs no such drop; a longer-lived one (the Python package)
/// gets the memory back a moment later. Where no thread can start, it is dropped here.
fn release_in_background<T: Send + 'static>(value: T) {
    // A failed spawn drops the closure, and `value` with it, on this thread.
    let _ = std::thread::Builder::new()
        .name("boomsim-release".into())
        .spawn(move || drop(value));
}

impl Finished {
    /// The run's results as the output files render them.
    pub fn results(&self) -> RunResults<'_> {
        RunResults {
            model: &self.model,
            summaries: &self.summaries,
            samples: self.samples,
            samples_format: self.samples_format,
            manifest: self.manifest.clone(),
        }
    }

    /// Writes the run folder whole to `dir` (refusing a folder it may not replace, as `run`
    /// does); returns the files written and a note when an earlier result was replaced.
    pub fn write_to(
        &self,
        dir: &Path,
        options: WriteOptions,
    ) -> Result<(Vec<&'static str>, Option<String>), RunError> {
        let replacing = crate::output::check_replaceable(dir, &self.manifest.owner())?;
        let report = self.results();
        write_run(dir, &report, options)?;
        let files = run_exports(&report).iter().map(|e| e.file_name()).collect();
        Ok((files, replacing))
    }

    /// Writes the run folder whole (with `request`'s report, workbook and cancel flag) to
    /// [`Finished::out_dir`].
    pub fn write(self, request: &RunRequest) -> Result<RunOutcome, RunError> {
        let report = self.results();
        let options = WriteOptions {
            report: request.report,
            xlsx: request.xlsx,
            cancel: request.hooks.cancel.as_deref(),
        };
        write_run(&self.out_dir, &report, options)?;
        let files = run_exports(&report).iter().map(|e| e.file_name()).collect();
        let Summaries {
            rows,
            sensitivity,
            precision,
            conditional,
            kept,
            ..
        } = self.summaries;
        let sensitivity_paths = kept.paths;
        release_in_background(kept);
        Ok(RunOutcome {
            files,
            matched: conditional.as_ref().map(|c| c.matched),
            sensitivity_paths,
            out_dir: self.out_dir,
            rows,
            sensitivity,
            precision,
            manifest: self.manifest,
            horizon_years: self.horizon_years,
            warnings: self.warnings,
            stopping: self.stopping,
        })
    }
}
