//! The Python binding of boomsim: a thin layer over the library crate (every number comes from
//! the same code as the command line's). `boomsim/__init__.py` wraps it into the public API
//! (DataFrames, `Run`, keyword arguments); this module converts arguments, releases the GIL
//! while simulating, turns Ctrl-C into a cancel of the run, and errors into exceptions.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use boomsim::distribution::Distribution;
use boomsim::distribution::describe::describe;
use boomsim::engine::{Hooks, RunConfig, Sampling};
use boomsim::model::{LoadError, ModelError as Invalid, Override, parse_model_with};
use boomsim::output::samples::sample_columns;
use boomsim::output::terminal::{RunText, dist_report, model_summary};
use boomsim::output::{RUN_EXPORTS, SamplesFormat, WriteOptions, render, run_exports};
use boomsim::run::{Finished, ModelSource, RunError, RunRequest, SummaryMethod, compute};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

create_exception!(
    _boomsim,
    BoomsimError,
    PyException,
    "A run or file that boomsim refused."
);
create_exception!(
    _boomsim,
    ModelError,
    BoomsimError,
    "An invalid model: .file, .line, .column, .key and .help locate the first problem."
);

/// A model as Python gives it: a path, TOML text, or None for the built-in default.
fn source(path: Option<String>, text: Option<String>) -> ModelSource {
    match (path, text) {
        (_, Some(text)) => ModelSource::Text(text),
        (Some(path), None) => ModelSource::File(PathBuf::from(path)),
        (None, None) => ModelSource::or_default(None),
    }
}

/// A [`ModelError`] exception with the first problem's location as attributes.
fn model_error(py: Python<'_>, e: &Invalid) -> PyErr {
    let err = ModelError::new_err(e.to_string());
    if let Some(d) = e.diagnostics.first() {
        let at = e.sources.locate(d.span.start);
        let value = err.value(py);
        let _ = value.setattr("file", at.name);
        let _ = value.setattr("line", at.line);
        let _ = value.setattr("column", at.column);
        let _ = value.setattr("key", d.key.as_str());
        let _ = value.setattr("help", d.help.as_deref());
    }
    err
}

/// A run's error as a Python exception.
fn run_error(py: Python<'_>, e: &RunError) -> PyErr {
    match e {
        RunError::Load(LoadError::Invalid(invalid)) => model_error(py, invalid),
        e if boomsim::exit::ExitStatus::exit_code(e) == boomsim::exit::INTERRUPTED => {
            PyKeyboardInterrupt::new_err("interrupted: nothing was written")
        }
        e => BoomsimError::new_err(e.to_string()),
    }
}

/// Runs `work` on a thread of its own with the GIL released, checking for Ctrl-C every 50 ms:
/// on a signal it sets `cancel` (the run stops at its next chunk and writes nothing) and
/// raises the signal's exception once the work has ended.
fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    cancel: Arc<AtomicBool>,
    work: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (done, mut result) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = done.send(work());
    });
    let mut signal = None;
    loop {
        let (receiver, received) = py.detach(move || {
            let received = result.recv_timeout(Duration::from_millis(50));
            (result, received)
        });
        result = receiver;
        match received {
            Ok(value) => {
                let _ = worker.join();
                return match signal {
                    Some(e) => Err(e),
                    None => Ok(value),
                };
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = worker.join();
                return Err(BoomsimError::new_err("the run ended without a result"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if signal.is_none()
                    && let Err(e) = py.check_signals()
                {
                    cancel.store(true, Ordering::SeqCst);
                    signal = Some(e);
                }
            }
        }
    }
}

/// `summary="auto" | "exact" | "sketch"`.
fn method(summary: &str) -> PyResult<SummaryMethod> {
    match summary {
        "auto" => Ok(SummaryMethod::Auto),
        "exact" => Ok(SummaryMethod::Exact),
        "sketch" => Ok(SummaryMethod::Sketch),
        other => Err(PyValueError::new_err(format!(
            "summary={other:?}: expected \"auto\", \"exact\" or \"sketch\""
        ))),
    }
}

/// `samples_format="csv" | "parquet"`.
fn samples_format(format: &str) -> PyResult<SamplesFormat> {
    match format {
        "csv" => Ok(SamplesFormat::Csv),
        "parquet" => Ok(SamplesFormat::Parquet),
        other => Err(PyValueError::new_err(format!(
            "samples_format={other:?}: expected \"csv\" or \"parquet\""
        ))),
    }
}

/// A whole number argument within the command line's bounds for the same flag.
fn whole(name: &str, value: i64, least: u64, most: u64) -> PyResult<u64> {
    u64::try_from(value)
        .ok()
        .filter(|v| (least..=most).contains(v))
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "{name}={value}: expected a whole number from {least} to {most}"
            ))
        })
}

/// A finished run, in memory.
#[pyclass(frozen, module = "boomsim._boomsim")]
struct RunHandle {
    finished: Finished,
}

#[pymethods]
impl RunHandle {
    /// The bytes of one of the run's files (`summary.csv`, ...), as `boomsim run` writes them.
    fn file(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyBytes>> {
        let results = self.finished.results();
        let export = RUN_EXPORTS
            .iter()
            .find(|e| e.file_name() == name)
            .ok_or_else(|| PyValueError::new_err(format!("no file {name} in a run folder")))?;
        let bytes = render(*export, &results).map_err(|e| BoomsimError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &bytes).unbind())
    }

    /// The files of this run's folder, in the order they are written.
    fn files(&self) -> Vec<&'static str> {
        run_exports(&self.finished.results())
            .iter()
            .map(|e| e.file_name())
            .collect()
    }

    /// The paths kept whole (what the samples hold).
    fn paths_kept(&self) -> usize {
        self.finished.sim.paths
    }

    /// The sample columns after `path`: (name, the values as little-endian float64 bytes).
    fn sample_columns(&self, py: Python<'_>) -> Vec<(String, Py<PyBytes>)> {
        sample_columns(&self.finished.model, &self.finished.sim)
            .into_iter()
            .map(|(name, values)| {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                (name, PyBytes::new(py, &bytes).unbind())
            })
            .collect()
    }

    /// What `boomsim run` prints after the run.
    fn text(&self) -> String {
        let f = &self.finished;
        RunText {
            manifest: &f.manifest,
            rows: &f.rows,
            precision: &f.precision,
            sensitivity: &f.sensitivity,
            kept_paths: f.sim.paths,
            horizon_years: f.horizon_years,
            stopping: f.stopping.as_ref(),
            matched: f.conditional.as_ref().map(|c| c.matched),
            out_dir: &f.out_dir,
            files: &[],
        }
        .render()
    }

    /// Warnings the command line would print.
    fn warnings(&self) -> Vec<String> {
        self.finished.warnings.clone()
    }

    /// Writes the run folder whole to `path` (never over a folder boomsim may not replace);
    /// returns the files written.
    fn write(
        &self,
        py: Python<'_>,
        path: String,
        report: bool,
        xlsx: bool,
    ) -> PyResult<Vec<&'static str>> {
        let cancel = AtomicBool::new(false);
        let options = WriteOptions {
            report,
            xlsx,
            cancel: Some(&cancel),
        };
        let written = py.detach(|| self.finished.write_to(std::path::Path::new(&path), options));
        written
            .map(|(files, _)| files)
            .map_err(|e| Python::attach(|py| run_error(py, &e)))
    }
}

/// Simulates and summarises a model in memory (the keyword arguments of `boomsim.run`).
#[pyfunction]
#[pyo3(signature = (path, text, paths, seed, threads, sets, samples, samples_format_name, condition, summary, command_line))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    path: Option<String>,
    text: Option<String>,
    paths: i64,
    seed: i64,
    threads: Option<i64>,
    sets: Vec<String>,
    samples: bool,
    samples_format_name: &str,
    condition: Option<String>,
    summary: &str,
    command_line: Vec<String>,
) -> PyResult<RunHandle> {
    let cancel = Arc::new(AtomicBool::new(false));
    let request = RunRequest {
        model: source(path, text),
        config: RunConfig {
            paths: whole("paths", paths, 1, boomsim::engine::MOST_PATHS)? as usize,
            seed: whole("seed", seed, 0, u64::MAX >> 1)?,
            threads: threads
                .map(|t| whole("threads", t, 1, 4096).map(|t| t as usize))
                .transpose()?,
            sampling: Sampling::default(),
        },
        out: None,
        samples,
        samples_format: samples_format(samples_format_name)?,
        condition,
        sets,
        varied: Vec::new(),
        hooks: Hooks {
            progress: None,
            cancel: Some(cancel.clone()),
        },
        method: method(summary)?,
        command_line,
        report: false,
        xlsx: false,
        stop: None,
    };
    let result = interruptible(py, cancel, move || compute(&request))?;
    result
        .map(|finished| RunHandle { finished })
        .map_err(|e| run_error(py, &e))
}

/// Validates a model and returns what `boomsim check` prints.
#[pyfunction]
#[pyo3(signature = (path, text, sets))]
fn check(
    py: Python<'_>,
    path: Option<String>,
    text: Option<String>,
    sets: Vec<String>,
) -> PyResult<String> {
    let source = source(path, text);
    let (model, _) = source
        .load(&Override::sets(&sets))
        .map_err(|e| run_error(py, &RunError::Load(e)))?;
    Ok(model_summary(&model, &source.display()))
}

/// What `boomsim dist` prints for one distribution string.
#[pyfunction]
#[pyo3(signature = (text, bins))]
fn dist(text: &str, bins: i64) -> PyResult<String> {
    let bins = whole("bins", bins, 1, 200)?;
    let d =
        Distribution::parse(text).map_err(|e| PyValueError::new_err(format!("{text:?}: {e}")))?;
    let (description, histogram) = describe("", &d, bins as usize);
    Ok(dist_report(&description, &histogram))
}

/// Whether a model text parses (a quick check used by the wrapper to tell text from a path).
#[pyfunction]
fn parses(text: &str) -> bool {
    parse_model_with(text, "<string>", &[]).is_ok()
}

#[pymodule]
fn _boomsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RunHandle>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(dist, m)?)?;
    m.add_function(wrap_pyfunction!(parses, m)?)?;
    m.add("BoomsimError", m.py().get_type::<BoomsimError>())?;
    m.add("ModelError", m.py().get_type::<ModelError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
