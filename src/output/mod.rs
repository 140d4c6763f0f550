//! Outputs of a run: each file format is an [`Export`] that writes a [`RunResults`] to a
//! stream; [`write_folder`] decides where the streams go, and puts a run folder in place whole
//! or not at all.

mod annotate;
mod csv;
pub mod folder;
mod manifest;
pub mod report;
pub mod samples;
pub mod terminal;
pub mod workbook;

pub use csv::{
    AdoptionCsv, ConvergenceCsv, DistributionsCsv, PrecisionCsv, SPREADSHEET_ROWS, SamplesCsv,
    SensitivityCsv, SummaryCsv, SummaryWhereCsv, csv_bytes, first_non_finite,
};
pub use folder::{
    OUTPUT_FILES, Owner, add_workbook, check_replaceable, foreign_entries, record_workbook,
    write_folder,
};
pub use manifest::{Manifest, ManifestJson, sha256_hex};
pub use samples::{SamplesFormat, SamplesParquet};

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::model::Model;
use crate::stats::summariser::Summaries;

/// Everything a run produced, the source of every output file.
pub struct RunResults<'a> {
    /// The model that ran.
    pub model: &'a Model,
    /// Every summary, and the paths kept whole (for the samples).
    pub summaries: &'a Summaries,
    /// Whether the samples are wanted, and as which file.
    pub samples: bool,
    pub samples_format: SamplesFormat,
    /// Provenance of the run.
    pub manifest: Manifest,
}

/// One output file format.
pub trait Export {
    /// The file's name inside the run folder.
    fn file_name(&self) -> &'static str;
    /// Writes the file.
    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> std::io::Result<()>;
}

/// Every file a run folder can hold, in the order they are written: the one list of them
/// (`OUTPUT_FILES`, which says which files of a folder are boomsim's, is checked against it).
pub const RUN_EXPORTS: [&(dyn Export + Sync); 10] = [
    &SummaryCsv,
    &AdoptionCsv,
    &SensitivityCsv,
    &DistributionsCsv,
    &PrecisionCsv,
    &ConvergenceCsv,
    &SummaryWhereCsv,
    &SamplesCsv,
    &SamplesParquet,
    &ManifestJson,
];

/// The files of this run's folder, in the order they are written: [`RUN_EXPORTS`] but
/// `summary_where.csv` without a condition and `samples.csv` unless asked for.
pub fn run_exports(report: &RunResults) -> Vec<&'static dyn Export> {
    RUN_EXPORTS
        .iter()
        .filter(|e| match e.file_name() {
            "summary_where.csv" => report.summaries.conditional.is_some(),
            "samples.csv" => report.samples && report.samples_format == SamplesFormat::Csv,
            "samples.parquet" => report.samples && report.samples_format == SamplesFormat::Parquet,
            _ => true,
        })
        .map(|&e| e as &dyn Export)
        .collect()
}

/// Writes `bytes` to `dir/name`.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|e| io_error(&path, e))
}

/// Renders one export to bytes (for tests and small outputs).
pub fn render(export: &dyn Export, report: &RunResults) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    export.write(report, &mut bytes)?;
    Ok(bytes)
}

/// Why outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file system operation failed.
    #[error("cannot write {path}: {source}{hint}")]
    Io {
        /// What was being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
        /// What to try.
        hint: String,
    },
    /// The target exists and is not a folder boomsim wrote.
    #[error(
        "{0} exists and is not a boomsim run folder (it has no manifest.json), so it is not replaced; choose another --out"
    )]
    NotARunFolder(PathBuf),
    /// An earlier output folder holds files boomsim did not write.
    #[error(
        "{} holds files boomsim did not write: {}; replacing the folder would delete them, so nothing was run into it\n  help: move those files out of the folder (e.g. beside it), or choose another --out",
        dir.display(),
        list_files(files)
    )]
    HoldsUserFiles {
        /// The folder.
        dir: PathBuf,
        /// The files, relative to it.
        files: Vec<PathBuf>,
    },
    /// Ctrl-C or SIGTERM arrived while the folder was being written.
    #[error(
        "interrupted while writing: nothing was written, and any earlier result was left as it was"
    )]
    Interrupted,
    /// The target holds what another command, or a command for another model, wrote.
    #[error(
        "{} holds {what}, and this is {ours}: boomsim replaces only a folder that the same command wrote for a model of the same name, so it was left as it was and nothing was run into it\n  help: choose another --out (or move that folder away)",
        dir.display()
    )]
    OtherResult {
        /// The folder.
        dir: PathBuf,
        /// What wrote it, in words.
        what: String,
        /// What would write it now, in words.
        ours: String,
    },
    /// `--report` failed; the run folder was not put in place.
    #[error(
        "{}\n  nothing was written, and any earlier result was left as it was",
        in_target(source, staging, target)
    )]
    Report {
        /// Why.
        source: crate::output::report::ReportError,
        /// The hidden folder being staged, which its message names.
        staging: PathBuf,
        /// The folder the user asked for, named instead.
        target: PathBuf,
    },
    /// `--xlsx` failed; the folder was not put in place.
    #[error(
        "{}\n  nothing was written, and any earlier result was left as it was",
        in_target(source, staging, target)
    )]
    Workbook {
        /// Why.
        source: crate::output::workbook::WorkbookError,
        /// The hidden folder being staged, which its message names.
        staging: PathBuf,
        /// The folder the user asked for, named instead.
        target: PathBuf,
    },
}

/// An error's message with the hidden staging folder named as the folder the user asked for.
fn in_target(e: &dyn std::fmt::Display, staging: &Path, target: &Path) -> String {
    e.to_string().replace(
        &staging.display().to_string(),
        &target.display().to_string(),
    )
}

impl crate::exit::ExitStatus for OutputError {
    fn exit_code(&self) -> u8 {
        match self {
            OutputError::Interrupted => crate::exit::INTERRUPTED,
            _ => crate::exit::FAILED,
        }
    }
}

/// At most ten names, then how many more.
fn list_files(files: &[PathBuf]) -> String {
    let mut shown: Vec<String> = files
        .iter()
        .take(10)
        .map(|f| f.display().to_string())
        .collect();
    if files.len() > 10 {
        shown.push(format!("and {} more", files.len() - 10));
    }
    shown.join(", ")
}

pub(crate) fn io_error(path: &Path, source: std::io::Error) -> OutputError {
    let hint = match source.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "\n  help: the folder is not writable; choose another with --out".to_string()
        }
        std::io::ErrorKind::StorageFull => {
            "\n  help: the disk is full; free space or choose another --out".to_string()
        }
        _ => String::new(),
    };
    OutputError::Io {
        path: path.to_path_buf(),
        source,
        hint,
    }
}

/// How a run folder is written besides its exports.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions<'a> {
    /// Also make `report.html` and `charts/` inside the folder before it is put in place, so
    /// a report that fails leaves an earlier folder as it was.
    pub report: bool,
    /// Also write the Excel workbook `<folder name>.xlsx` (see [`workbook`]) inside the
    /// folder before it is put in place.
    pub xlsx: bool,
    /// Set by Ctrl-C or SIGTERM: writing stops at the next buffer, the half-written folder is
    /// removed and an earlier result stays as it was.
    pub cancel: Option<&'a AtomicBool>,
}

impl WriteOptions<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// A file writer that fails (an "interrupted" error) once the cancel flag is set, so even a long `samples.csv` stops within one buffer of a Ctrl-C.
struct Cancellable<'a, W> {
    inner: W,
    options: WriteOptions<'a>,
}

impl<W: Write> Write for Cancellable<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.options.cancelled() {
            // Not ErrorKind::Interrupted: write_all retries that one forever.
            return Err(std::io::Error::other("interrupted"));
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes every export of `report` into the run folder `target`, whole or not at all.
pub fn write_run(
    target: &Path,
    report: &RunResults,
    options: WriteOptions,
) -> Result<(), OutputError> {
    write_folder(
        target,
        &report.manifest.owner(),
        |staging: &Path| -> Result<(), OutputError> {
            for export in run_exports(report) {
                if options.cancelled() {
                    return Err(OutputError::Interrupted);
                }
                let path = staging.join(export.file_name());
                let file = fs::File::create(&path).map_err(|e| io_error(&path, e))?;
                let mut out = BufWriter::new(Cancellable {
                    inner: file,
                    options,
                });
                let written = export.write(report, &mut out).and_then(|()| out.flush());
                if options.cancelled() {
                    return Err(OutputError::Interrupted);
                }
                written.map_err(|e| io_error(&path, e))?;
                let file = out
                    .into_inner()
                    .map_err(|e| io_error(&path, e.into_error()))?;
                file.inner.sync_all().map_err(|e| io_error(&path, e))?;
            }
            if options.report {
                crate::output::report::write_report(staging).map_err(|source| {
                    OutputError::Report {
                        source,
                        staging: staging.to_path_buf(),
                        target: target.to_path_buf(),
                    }
                })?;
            }
            if options.xlsx {
                add_workbook(staging, target)?;
            }
            if options.cancelled() {
                return Err(OutputError::Interrupted);
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_a_run_writes_is_one_boomsim_owns() {
        for export in super::RUN_EXPORTS {
            assert!(
                super::OUTPUT_FILES.contains(&export.file_name()),
                "{} is written but not in OUTPUT_FILES",
                export.file_name()
            );
        }
    }

    use super::*;

    #[test]
    fn a_cancelled_write_stops_and_leaves_the_earlier_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        fs::create_dir(&target).unwrap();
        let earlier =
            r#"{"boomsim_version": "t", "command": "run", "model_name": "m", "model_sha256": "h"}"#;
        fs::write(target.join("manifest.json"), earlier).unwrap();
        let owner = Owner {
            command: "run",
            model_name: "m".into(),
            model_sha256: "h".into(),
            settings: Vec::new(),
        };
        let flag = AtomicBool::new(false);
        let options = WriteOptions {
            report: false,
            xlsx: false,
            cancel: Some(&flag),
        };
        // The flag is raised after the first buffer: the writer refuses the next one.
        let err = write_folder(&target, &owner, |d| -> Result<(), OutputError> {
            let mut w = Cancellable {
                inner: fs::File::create(d.join("big.csv")).unwrap(),
                options,
            };
            w.write_all(b"first").unwrap();
            flag.store(true, Ordering::Relaxed);
            match w.write_all(b"second") {
                Err(e) if e.to_string() == "interrupted" => Err(OutputError::Interrupted),
                other => panic!("{other:?}"),
            }
        })
        .unwrap_err();
        assert!(err.to_string().starts_with("interrupted"), "{err}");
        assert_eq!(
            fs::read_to_string(target.join("manifest.json")).unwrap(),
            earlier
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
