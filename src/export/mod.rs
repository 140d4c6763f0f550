//! Outputs of a run: each file format is an [`Export`] that writes a [`RunReport`] to a
//! stream; [`write_folder`] decides where the streams go, and puts a run folder in place whole
//! or not at all.

mod csv;
mod manifest;
pub mod terminal;

pub use csv::{
    AdoptionCsv, DistributionsCsv, SPREADSHEET_ROWS, SamplesCsv, SensitivityCsv, SummaryCsv,
    SummaryWhereCsv, first_non_finite,
};
pub use manifest::{Manifest, ManifestJson, sha256_hex};

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::engine::Simulation;
use crate::model::Model;
use crate::sensitivity::SensitivityRow;
use crate::summary::{DistributionRow, FanStep, SummaryRow};

/// Everything a run produced, the source of every output file.
pub struct RunReport<'a> {
    /// The model that ran.
    pub model: &'a Model,
    /// Every path's outcomes and draws (for `samples.csv`).
    pub sim: &'a Simulation,
    /// One row per group and per asset.
    pub rows: Vec<SummaryRow>,
    /// The adoption fan, one entry per step.
    pub fan: Vec<FanStep>,
    /// Percentiles 1..99 of each entity's total return and drawdown.
    pub distributions: Vec<DistributionRow>,
    /// One row per (entity, uncertain parameter).
    pub sensitivity: Vec<SensitivityRow>,
    /// With `--where`: the summary over the matching paths.
    pub conditional: Option<ConditionalSummary>,
    /// Whether `samples.csv` is wanted.
    pub samples: bool,
    /// Provenance of the run.
    pub manifest: Manifest,
}

/// The `--where` summary.
pub struct ConditionalSummary {
    /// The condition as written.
    pub condition: String,
    /// How many paths met it.
    pub matched: usize,
    /// The summary rows over those paths.
    pub rows: Vec<SummaryRow>,
}

/// One output file format.
pub trait Export {
    /// The file's name inside the run folder.
    fn file_name(&self) -> &'static str;
    /// Writes the file.
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> std::io::Result<()>;
}

/// The files of a run folder, in the order they are written.
pub fn run_exports(report: &RunReport) -> Vec<Box<dyn Export>> {
    let mut exports: Vec<Box<dyn Export>> = vec![
        Box::new(SummaryCsv),
        Box::new(AdoptionCsv),
        Box::new(SensitivityCsv),
        Box::new(DistributionsCsv),
    ];
    if report.conditional.is_some() {
        exports.push(Box::new(SummaryWhereCsv));
    }
    if report.samples {
        exports.push(Box::new(SamplesCsv));
    }
    exports.push(Box::new(ManifestJson));
    exports
}

/// Writes `bytes` to `dir/name`.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|e| io_error(&path, e))
}

/// Renders one export to bytes (for tests and small outputs).
pub fn render(export: &dyn Export, report: &RunReport) -> std::io::Result<Vec<u8>> {
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
}

fn io_error(path: &Path, source: std::io::Error) -> OutputError {
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

/// Writes every export of `report` into the run folder `target`, whole or not at all.
pub fn write_run(target: &Path, report: &RunReport) -> Result<(), OutputError> {
    write_folder(target, |staging: &Path| -> Result<(), OutputError> {
        for export in run_exports(report) {
            let path = staging.join(export.file_name());
            let file = fs::File::create(&path).map_err(|e| io_error(&path, e))?;
            let mut out = BufWriter::new(file);
            export
                .write(report, &mut out)
                .and_then(|()| out.flush())
                .map_err(|e| io_error(&path, e))?;
            let file = out
                .into_inner()
                .map_err(|e| io_error(&path, e.into_error()))?;
            file.sync_all().map_err(|e| io_error(&path, e))?;
        }
        Ok(())
    })
}

/// Lets `fill` write files into a fresh folder, then puts it at `target`, whole or not at all.
///
/// The files are written into a hidden sibling folder, which is then renamed into place; an
/// earlier run folder at `target` is moved aside first and removed only once the new one is in
/// place. A `target` that exists but holds no `manifest.json` (and is not empty) is refused,
/// so a mistyped `--out` never replaces someone's folder.
pub fn write_folder<E: From<OutputError>>(
    target: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if target.exists() {
        let is_run = target.is_dir()
            && (target.join("manifest.json").is_file()
                || fs::read_dir(target)
                    .map_err(|e| io_error(target, e))?
                    .next()
                    .is_none());
        if !is_run {
            return Err(OutputError::NotARunFolder(target.to_path_buf()).into());
        }
    }
    if parent.exists() && !parent.is_dir() {
        let e = std::io::Error::other(format!(
            "{} is a file, not a folder, so {} cannot be made in it",
            parent.display(),
            target.display()
        ));
        return Err(io_error(&parent, e).into());
    }
    fs::create_dir_all(&parent).map_err(|e| io_error(&parent, e))?;
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.partial-{pid}"));
    let result = stage(&staging, fill)
        .and_then(|()| swap_into_place(&staging, target, &parent, &name, pid).map_err(E::from));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn stage<E: From<OutputError>>(
    staging: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if staging.exists() {
        fs::remove_dir_all(staging).map_err(|e| io_error(staging, e))?;
    }
    fs::create_dir(staging).map_err(|e| io_error(staging, e))?;
    fill(staging)
}

fn swap_into_place(
    staging: &Path,
    target: &Path,
    parent: &Path,
    name: &str,
    pid: u32,
) -> Result<(), OutputError> {
    if !target.exists() {
        return fs::rename(staging, target).map_err(|e| io_error(target, e));
    }
    let old = parent.join(format!(".{name}.old-{pid}"));
    fs::rename(target, &old).map_err(|e| io_error(target, e))?;
    if let Err(e) = fs::rename(staging, target) {
        let _ = fs::rename(&old, target);
        return Err(io_error(target, e));
    }
    fs::remove_dir_all(&old).map_err(|e| io_error(&old, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path, files: &[(&str, &str)]) -> Result<(), OutputError> {
        for (name, text) in files {
            fs::write(dir.join(name), text).map_err(|e| io_error(dir, e))?;
        }
        Ok(())
    }

    #[test]
    fn a_failed_fill_leaves_the_earlier_folder_and_no_staging() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_folder(&target, |d| files(d, &[("manifest.json", "1")])).unwrap();
        let err = write_folder(&target, |d| {
            files(d, &[("manifest.json", "2")])?;
            Err(io_error(d, std::io::Error::other("disk full")))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(target.join("manifest.json")).unwrap(), b"1");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn replaces_a_run_folder_whole_and_refuses_other_folders() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_folder(&target, |d| {
            files(d, &[("manifest.json", "1"), ("a.csv", "a")])
        })
        .unwrap();
        write_folder(&target, |d| files(d, &[("manifest.json", "2")])).unwrap();
        assert_eq!(fs::read(target.join("manifest.json")).unwrap(), b"2");
        assert!(!target.join("a.csv").exists());
        // Only the target remains beside it: no staging or old folders.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

        let precious = dir.path().join("home");
        fs::create_dir(&precious).unwrap();
        fs::write(precious.join("notes.txt"), "keep").unwrap();
        let err = write_folder(&precious, |d| files(d, &[("manifest.json", "")])).unwrap_err();
        assert!(matches!(err, OutputError::NotARunFolder(_)));
        assert_eq!(
            fs::read_to_string(precious.join("notes.txt")).unwrap(),
            "keep"
        );
    }
}
