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
use boomsim::keyword::in_keyword_terms;
use boomsim::model::{LoadError, ModelError as Invalid, Override};
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

/// Warnings in this package's terms: the flags they name as the keyword arguments a caller
/// wrote ([`in_keyword_terms`]).
fn python_warnings(warnings: &[String]) -> Vec<String> {
    warnings
        .iter()
        .map(|w| in_keyword_terms(w, "out"))
        .collect()
}

/// A [`ModelError`] exception with the first problem's location as attributes (settings
/// given as `set=` or `vary=` located in `set` or `vary`).
fn model_error(py: Python<'_>, e: &Invalid) -> PyErr {
    let err = ModelError::new_err(boomsim::keyword::diagnostics_in_keyword_terms(
        &e.to_string(),
    ));
    if let Some(d) = e.diagnostics.first() {
        let at = e.sources.locate(d.span.start);
        let value = err.value(py);
        let file = boomsim::keyword::keyword(at.name).unwrap_or(at.name);
        let _ = value.setattr("file", file);
        let _ = value.setattr("line", at.line);
        let _ = value.setattr("column", at.column);
        let _ = value.setattr("key", d.key.as_str());
        let _ = value.setattr("help", d.help.as_deref());
    }
    err
}

/// A run's error as a Python exception: an invalid model as [`ModelError`], anything else as
/// [`library_error`] says (`out`: what the call names the folder it writes, which `--out` in a
/// message becomes).
fn run_error(py: Python<'_>, e: &RunError, out: &str) -> PyErr {
    match e {
        RunError::Load(LoadError::Invalid(invalid)) => model_error(py, invalid),
        e => library_error(e, out),
    }
}

/// Runs `work` on a (scoped) thread of its own with the GIL released, checking for Ctrl-C
/// every 50 ms: on a signal it sets `cancel` (a run stops at its next chunk, a folder being
/// written is removed, nothing is replaced) and raises the signal's exception once the work
/// has ended.
fn interruptible<T: Send>(
    py: Python<'_>,
    cancel: &AtomicBool,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    std::thread::scope(|scope| {
        let (done, result) = mpsc::channel();
        scope.spawn(move || {
            let _ = done.send(work());
        });
        wait(py, cancel, result)
    })
}

/// [`interruptible`]'s wait for the worker's result.
fn wait<T: Send>(
    py: Python<'_>,
    cancel: &AtomicBool,
    mut result: mpsc::Receiver<T>,
) -> PyResult<T> {
    let mut signal = None;
    loop {
        let (receiver, received) = py.detach(move || {
            let received = result.recv_timeout(Duration::from_millis(50));
            (result, received)
        });
        result = receiver;
        match received {
            Ok(value) => {
                return match signal {
                    Some(e) => Err(e),
                    None => Ok(value),
                };
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
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

/// Paths, seed and threads within the command line's bounds for `--paths`, `--seed` and
/// `--threads`.
fn config(paths: i64, seed: i64, threads: Option<i64>) -> PyResult<RunConfig> {
    Ok(RunConfig {
        paths: whole("paths", paths, 1, boomsim::engine::MOST_PATHS)? as usize,
        seed: whole("seed", seed, 0, u64::MAX >> 1)?,
        threads: threads
            .map(|t| whole("threads", t, 1, 4096).map(|t| t as usize))
            .transpose()?,
        sampling: Sampling::default(),
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
        self.finished.summaries.kept.paths
    }

    /// The sample columns after `path`: (name, the values as little-endian float64 bytes).
    fn sample_columns(&self, py: Python<'_>) -> Vec<(String, Py<PyBytes>)> {
        sample_columns(&self.finished.model, &self.finished.summaries.kept)
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
            rows: &f.summaries.rows,
            precision: &f.summaries.precision,
            sensitivity: &f.summaries.sensitivity,
            kept_paths: f.summaries.kept.paths,
            horizon_years: f.horizon_years,
            stopping: f.stopping.as_ref(),
            matched: f.summaries.conditional.as_ref().map(|c| c.matched),
            out_dir: &f.out_dir,
            files: &[],
        }
        .render()
    }

    /// Warnings the command line would print.
    fn warnings(&self) -> Vec<String> {
        python_warnings(&self.finished.warnings)
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
        let finished = &self.finished;
        let written = interruptible(py, &cancel, move || {
            finished.write_to(std::path::Path::new(&path), options)
        })?;
        written
            .map(|(files, _)| files)
            .map_err(|e| Python::attach(|py| run_error(py, &e, "path")))
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
        config: config(paths, seed, threads)?,
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
    let result = interruptible(py, &cancel, move || compute(&request))?;
    result
        .map(|finished| RunHandle { finished })
        .map_err(|e| run_error(py, &e, "out"))
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
        .map_err(|e| run_error(py, &RunError::Load(e), "out"))?;
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

/// Any other error of the library as a Python exception: an interrupt as KeyboardInterrupt, a
/// usage error (a setting out of range, a name the model lacks) as ValueError.
fn library_error<E: std::fmt::Display + boomsim::exit::ExitStatus>(e: &E, out: &str) -> PyErr {
    let message = in_keyword_terms(&e.to_string(), out);
    match e.exit_code() {
        boomsim::exit::INTERRUPTED => {
            PyKeyboardInterrupt::new_err("interrupted: nothing was written")
        }
        boomsim::exit::USAGE => PyValueError::new_err(message),
        _ => BoomsimError::new_err(message),
    }
}

/// A setting through the command line's own parser for the same flag (named in the message).
fn setting<T>(name: &str, value: &str, parse: fn(&str) -> Result<T, String>) -> PyResult<T> {
    parse(value).map_err(|e| {
        let e = in_keyword_terms(&e, "out");
        PyValueError::new_err(format!("{name}={value}: {e}"))
    })
}

/// Runs a sweep and writes its folder; returns (the folder, the warnings, the failed scenarios).
#[pyfunction]
#[pyo3(signature = (path, text, varies, paths, seed, threads, sets, out, command_line))]
#[allow(clippy::too_many_arguments)]
fn sweep(
    py: Python<'_>,
    path: Option<String>,
    text: Option<String>,
    varies: Vec<String>,
    paths: i64,
    seed: i64,
    threads: Option<i64>,
    sets: Vec<String>,
    out: Option<String>,
    command_line: Vec<String>,
) -> PyResult<(String, Vec<String>, Vec<String>)> {
    let varies = varies
        .iter()
        .map(|v| {
            boomsim::run::sweep::Vary::parse(v).map_err(|e| {
                let e = in_keyword_terms(&e.message_and_help(), "out");
                PyValueError::new_err(format!("vary {v}: {e}"))
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let cancel = Arc::new(AtomicBool::new(false));
    let request = boomsim::run::sweep::SweepRequest {
        base: RunRequest {
            model: source(path, text),
            config: config(paths, seed, threads)?,
            out: out.map(PathBuf::from),
            samples: false,
            samples_format: SamplesFormat::Csv,
            condition: None,
            sets,
            varied: Vec::new(),
            hooks: Hooks {
                progress: None,
                cancel: Some(cancel.clone()),
            },
            method: SummaryMethod::Auto,
            command_line,
            report: false,
            xlsx: false,
            stop: None,
        },
        varies,
    };
    let result = interruptible(py, &cancel, move || boomsim::run::sweep::sweep(&request))?;
    let outcome = result.map_err(|e| run_error(py, &e, "out"))?;
    let failed = outcome
        .failed
        .iter()
        .map(|(scenario, why)| in_keyword_terms(&format!("{}: {why}", scenario.id), "out"))
        .collect();
    Ok((
        outcome.out_dir.display().to_string(),
        python_warnings(&outcome.warnings),
        failed,
    ))
}

/// Solves allocate's portfolios and writes its folder; returns (the folder, the warnings, what
/// `boomsim allocate` prints). Every setting is a string through the CLI's parser of its flag.
#[pyfunction]
#[pyo3(signature = (path, text, sets, paths, test_paths, resamples, seed, threads, cvar, points, max_weight, groups, exclude, max_cvar, boom_probability, out, command_line))]
#[allow(clippy::too_many_arguments)]
fn allocate(
    py: Python<'_>,
    path: Option<String>,
    text: Option<String>,
    sets: Vec<String>,
    paths: &str,
    test_paths: &str,
    resamples: &str,
    seed: i64,
    threads: Option<i64>,
    cvar: &str,
    points: &str,
    max_weight: &str,
    groups: Vec<String>,
    exclude: Vec<String>,
    max_cvar: Option<String>,
    boom_probability: &str,
    out: Option<String>,
    command_line: Vec<String>,
) -> PyResult<(String, Vec<String>, String)> {
    use boomsim::run::allocate::{AllocateRequest, settings};
    let cancel = Arc::new(AtomicBool::new(false));
    let request = AllocateRequest {
        model: source(path, text),
        sets,
        config: config(
            setting("paths", paths, settings::in_sample_paths)? as i64,
            seed,
            threads,
        )?,
        test_paths: setting("test_paths", test_paths, settings::test_paths)? as usize,
        resamples: setting("resamples", resamples, settings::resamples)? as usize,
        alpha: setting("cvar", cvar, settings::cvar_level)?,
        points: setting("points", points, settings::points)? as usize,
        max_weight: setting("max_weight", max_weight, settings::max_weight)?,
        groups: groups
            .iter()
            .map(|g| setting("groups", g, settings::group_bounds))
            .collect::<PyResult<_>>()?,
        exclude,
        max_cvar: max_cvar
            .map(|m| setting("max_cvar", &m, settings::max_cvar))
            .transpose()?,
        boom_probability: setting(
            "boom_probability",
            boom_probability,
            settings::boom_probability,
        )?,
        out: out.map(PathBuf::from),
        hooks: Hooks {
            progress: None,
            cancel: Some(cancel.clone()),
        },
        command_line,
        report: false,
        xlsx: false,
    };
    let result = interruptible(py, &cancel, move || {
        boomsim::run::allocate::allocate(&request)
    })?;
    let o = result.map_err(|e| match &e {
        boomsim::run::allocate::AllocateError::Run(run) => run_error(py, run, "out"),
        e => library_error(e, "out"),
    })?;
    let text = boomsim::output::terminal::AllocateText {
        named: &o.named,
        highest: &o.highest,
        assets: &o.assets,
        groups: &o.groups,
        scenarios: o.scenarios,
        sets: o.sets,
        solve_seconds: o.solve_seconds,
        alpha: o.alpha,
        portfolios: o.frontier.len(),
        out_dir: &o.out_dir,
    }
    .render();
    Ok((
        o.out_dir.display().to_string(),
        python_warnings(&o.warnings),
        text,
    ))
}

#[pymodule]
fn _boomsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RunHandle>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(dist, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(allocate, m)?)?;
    m.add("BoomsimError", m.py().get_type::<BoomsimError>())?;
    m.add("ModelError", m.py().get_type::<ModelError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
