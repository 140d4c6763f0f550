//! One run, end to end: load the model, simulate, summarise, write the run folder.
//!
//! The CLI turns its arguments into a [`RunRequest`]; nothing here knows about clap.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::{EngineError, RunConfig, simulate_paths, thread_pool};
use crate::export::{Manifest, OutputError, RunReport, render_all, sha256_hex, write_folder};

use crate::model::{LoadError, Model, load_file, parse_model};
use crate::summary::{SummaryRow, adoption_fan, summarize};

/// Where the default model lives in the repository.
pub const DEFAULT_MODEL_PATH: &str = "models/python-5x.toml";

/// The default model, built into the binary so `boomsim run` works from any folder.
pub const DEFAULT_MODEL_TEXT: &str = include_str!("../models/python-5x.toml");

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A model file.
    File(PathBuf),
    /// The built-in copy of `models/python-5x.toml`.
    BuiltIn,
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
        }
    }

    /// Loads and validates the model; returns it with the file's bytes.
    pub fn load(&self) -> Result<(Model, Vec<u8>), LoadError> {
        match self {
            ModelSource::File(p) => load_file(p),
            ModelSource::BuiltIn => parse_model(DEFAULT_MODEL_TEXT, &self.display())
                .map(|m| (m, DEFAULT_MODEL_TEXT.as_bytes().to_vec()))
                .map_err(LoadError::Invalid),
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
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The model could not be loaded.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// The simulation could not run.
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// Outputs could not be written; an earlier result was left as it was.
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// What a finished run reports.
pub struct RunOutcome {
    /// The folder that now holds the outputs.
    pub out_dir: PathBuf,
    /// The summary rows.
    pub rows: Vec<SummaryRow>,
    /// The manifest written.
    pub manifest: Manifest,
    /// H, for reading the returns.
    pub horizon_years: f64,
}

/// Runs a request: load, simulate, summarise, write the folder whole.
pub fn run(request: &RunRequest) -> Result<RunOutcome, RunError> {
    let (model, bytes) = request.model.load()?;
    let started = Instant::now();
    let pool = thread_pool(request.config.threads)?;
    let (sim, rows, fan) = pool.install(|| {
        let sim = simulate_paths(&model, request.config.paths, request.config.seed, None)?;
        let rows = summarize(&model, &sim);
        let fan = adoption_fan(&model, &sim);
        Ok::<_, EngineError>((sim, rows, fan))
    })?;
    let manifest = Manifest {
        boomsim_version: env!("CARGO_PKG_VERSION"),
        model_name: model.name.clone(),
        model_path: request.model.display(),
        model_sha256: sha256_hex(&bytes),
        seed: request.config.seed,
        paths: request.config.paths,
        steps: sim.steps,
        threads: sim.threads,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        command_line: request.command_line.clone(),
    };
    let out_dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&model.name));
    let report = RunReport {
        model: &model,
        rows,
        fan,
        manifest,
    };
    let files = render_all(&report)?;
    write_folder(&out_dir, &files)?;
    Ok(RunOutcome {
        out_dir,
        rows: report.rows,
        manifest: report.manifest,
        horizon_years: model.horizon_years,
    })
}
