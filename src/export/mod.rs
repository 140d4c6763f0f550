//! Outputs of a run: each file format is an [`Export`] that turns a [`RunReport`] into bytes;
//! [`write_folder`] decides where the bytes go, and puts a run folder in place whole or not
//! at all.

mod csv;
mod manifest;
pub mod terminal;

pub use csv::{AdoptionCsv, SummaryCsv};
pub use manifest::{Manifest, ManifestJson, sha256_hex};

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::model::Model;
use crate::summary::{FanStep, SummaryRow};

/// Everything a run produced, the source of every output file.
pub struct RunReport<'a> {
    /// The model that ran.
    pub model: &'a Model,
    /// One row per group and per asset.
    pub rows: Vec<SummaryRow>,
    /// The adoption fan, one entry per step.
    pub fan: Vec<FanStep>,
    /// Provenance of the run.
    pub manifest: Manifest,
}

/// One output file format.
pub trait Export {
    /// The file's name inside the run folder.
    fn file_name(&self) -> &'static str;
    /// The file's bytes.
    fn render(&self, report: &RunReport) -> Result<Vec<u8>, OutputError>;
}

/// The files of a run folder, in the order they are written.
pub fn run_exports() -> Vec<Box<dyn Export>> {
    vec![
        Box::new(SummaryCsv),
        Box::new(AdoptionCsv),
        Box::new(ManifestJson),
    ]
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
    /// Serialisation failed.
    #[error("cannot format {file}: {message}")]
    Format {
        /// The output file.
        file: &'static str,
        /// The serialiser's message.
        message: String,
    },
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

/// Renders every export of a report.
pub fn render_all(report: &RunReport) -> Result<Vec<(&'static str, Vec<u8>)>, OutputError> {
    run_exports()
        .iter()
        .map(|e| Ok((e.file_name(), e.render(report)?)))
        .collect()
}

/// Writes `files` into the folder `target`, whole or not at all.
///
/// The files are written into a hidden sibling folder, which is then renamed into place; an
/// earlier run folder at `target` is moved aside first and removed only once the new one is in
/// place. A `target` that exists but holds no `manifest.json` (and is not empty) is refused,
/// so a mistyped `--out` never replaces someone's folder.
pub fn write_folder(target: &Path, files: &[(&'static str, Vec<u8>)]) -> Result<(), OutputError> {
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
            return Err(OutputError::NotARunFolder(target.to_path_buf()));
        }
    }
    fs::create_dir_all(&parent).map_err(|e| io_error(&parent, e))?;
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.partial-{pid}"));
    let result = stage(&staging, files)
        .and_then(|()| swap_into_place(&staging, target, &parent, &name, pid));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn stage(staging: &Path, files: &[(&'static str, Vec<u8>)]) -> Result<(), OutputError> {
    if staging.exists() {
        fs::remove_dir_all(staging).map_err(|e| io_error(staging, e))?;
    }
    fs::create_dir(staging).map_err(|e| io_error(staging, e))?;
    for (file, bytes) in files {
        let path = staging.join(file);
        let mut f = fs::File::create(&path).map_err(|e| io_error(&path, e))?;
        f.write_all(bytes).map_err(|e| io_error(&path, e))?;
        f.sync_all().map_err(|e| io_error(&path, e))?;
    }
    Ok(())
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

    #[test]
    fn replaces_a_run_folder_whole_and_refuses_other_folders() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_folder(
            &target,
            &[("manifest.json", b"1".to_vec()), ("a.csv", b"a".to_vec())],
        )
        .unwrap();
        write_folder(&target, &[("manifest.json", b"2".to_vec())]).unwrap();
        assert_eq!(fs::read(target.join("manifest.json")).unwrap(), b"2");
        assert!(!target.join("a.csv").exists());
        // Only the target remains beside it: no staging or old folders.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

        let precious = dir.path().join("home");
        fs::create_dir(&precious).unwrap();
        fs::write(precious.join("notes.txt"), "keep").unwrap();
        let err = write_folder(&precious, &[("manifest.json", vec![])]).unwrap_err();
        assert!(matches!(err, OutputError::NotARunFolder(_)));
        assert_eq!(
            fs::read_to_string(precious.join("notes.txt")).unwrap(),
            "keep"
        );
    }
}
