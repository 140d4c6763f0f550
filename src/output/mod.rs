//! Outputs of a run: each file format is an [`Export`] that writes a [`RunReport`] to a
//! stream; [`write_folder`] decides where the streams go, and puts a run folder in place whole
//! or not at all.

mod annotate;
mod csv;
mod manifest;
pub mod report;
pub mod terminal;
pub mod workbook;

pub use csv::{
    AdoptionCsv, ConvergenceCsv, DistributionsCsv, PrecisionCsv, SPREADSHEET_ROWS, SamplesCsv,
    SensitivityCsv, SummaryCsv, SummaryWhereCsv, csv_bytes, first_non_finite,
};
pub use manifest::{Manifest, ManifestJson, sha256_hex};

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::Simulation;
use crate::model::Model;
use crate::stats::pipeline::ConditionalSummary;
use crate::stats::precision::{ConvergencePoint, PrecisionRow};
use crate::stats::sensitivity::SensitivityRow;
use crate::stats::summary::{DistributionRow, FanStep, SummaryRow};

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
    /// The Monte Carlo error of each headline statistic.
    pub precision: Vec<PrecisionRow>,
    /// Each group's mean return and cvar95 over the first paths.
    pub convergence: Vec<ConvergencePoint>,
    /// With `--where`: the summary over the matching paths.
    pub conditional: Option<ConditionalSummary>,
    /// Whether `samples.csv` is wanted.
    pub samples: bool,
    /// Provenance of the run.
    pub manifest: Manifest,
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
        Box::new(PrecisionCsv),
        Box::new(ConvergenceCsv),
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
    /// `--report` failed; the run folder was not put in place.
    #[error("{0}\n  nothing was written, and any earlier result was left as it was")]
    Report(String),
    /// `--xlsx` failed; the folder was not put in place.
    #[error("{0}\n  nothing was written, and any earlier result was left as it was")]
    Workbook(String),
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
    report: &RunReport,
    options: WriteOptions,
) -> Result<(), OutputError> {
    write_folder(target, |staging: &Path| -> Result<(), OutputError> {
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
            crate::output::report::write_report(staging)
                .map_err(|e| OutputError::Report(e.to_string()))?;
        }
        if options.xlsx {
            add_workbook(staging, target)?;
        }
        if options.cancelled() {
            return Err(OutputError::Interrupted);
        }
        Ok(())
    })
}

/// The files boomsim writes into run, sweep and shard folders (besides `charts/` and a sweep's
/// scenario folders). Anything else in a folder is the user's, and is never deleted.
pub const OUTPUT_FILES: [&str; 17] = [
    "summary.csv",
    "adoption.csv",
    "sensitivity.csv",
    "distributions.csv",
    "summary_where.csv",
    "samples.csv",
    "manifest.json",
    "report.html",
    "sweep.csv",
    "sweep_wide.csv",
    "shard.bin",
    "sketch.bin",
    "reservoir.bin",
    "precision.csv",
    "convergence.csv",
    "frontier.csv",
    "allocation.csv",
];

/// The entries of an earlier output folder that boomsim did not write (its own files, its
/// workbook `<folder name>.xlsx`, its `charts/*.svg`, and a sweep's scenario folders `sNN/` holding only such entries), as paths
/// relative to `dir`.
pub fn foreign_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut foreign = Vec::new();
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    // The workbook is named after the folder (and `.NAME.partial` while it is written).
    let workbook = workbook::workbook_name(dir);
    let partial_workbook = format!(".{workbook}.partial");
    for entry in entries {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        let kind = entry.file_type()?;
        let ours = if kind.is_file() {
            OUTPUT_FILES.contains(&text.as_ref()) || text == workbook || text == partial_workbook
        } else if kind.is_dir() && text == "charts" {
            for chart in fs::read_dir(entry.path())? {
                let chart = chart?;
                let svg = chart.file_type()?.is_file()
                    && chart.file_name().to_string_lossy().ends_with(".svg");
                if !svg {
                    foreign.push(PathBuf::from("charts").join(chart.file_name()));
                }
            }
            true
        } else if kind.is_dir()
            && is_scenario(&text)
            && entry.path().join("manifest.json").is_file()
        {
            let inner = foreign_entries(&entry.path())?;
            foreign.extend(inner.iter().map(|p| PathBuf::from(&name).join(p)));
            true
        } else {
            false
        };
        if !ours {
            foreign.push(PathBuf::from(&name));
        }
    }
    Ok(foreign)
}

/// A sweep's scenario folder name: `s` and digits.
fn is_scenario(name: &str) -> bool {
    name.len() > 1 && name.starts_with('s') && name[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Where a folder really is: a symlink (to a folder, or dangling) is followed, so the link
/// is kept and the folder it points to is the one written.
fn resolve_link(target: &Path) -> PathBuf {
    let is_link = fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return target.to_path_buf();
    }
    fs::canonicalize(target).unwrap_or_else(|_| match fs::read_link(target) {
        Ok(to) if to.is_absolute() => to,
        Ok(to) => target.parent().unwrap_or(Path::new(".")).join(to),
        Err(_) => target.to_path_buf(),
    })
}

/// Writes the workbook of the folder being staged in `staging`, named after the folder it
/// will become, `target` (a symlink's target: the folder that is replaced).
pub fn add_workbook(staging: &Path, target: &Path) -> Result<(), OutputError> {
    let name = workbook::workbook_name(&resolve_link(target));
    workbook::write_workbook(staging, &name)
        .map(|_| ())
        .map_err(|e| OutputError::Workbook(e.to_string()))
}

/// Whether [`write_folder`] may replace `target`: it is missing, empty, or an earlier output
/// folder (it has `manifest.json`) holding only files boomsim writes. Called before a run
/// starts, so a refusal costs no simulation, and again when the folder is put in place.
pub fn check_replaceable(target: &Path) -> Result<(), OutputError> {
    let target = resolve_link(target);
    if !target.exists() {
        return Ok(());
    }
    let is_run = target.is_dir()
        && (target.join("manifest.json").is_file()
            || fs::read_dir(&target)
                .map_err(|e| io_error(&target, e))?
                .next()
                .is_none());
    if !is_run {
        return Err(OutputError::NotARunFolder(target));
    }
    let foreign = foreign_entries(&target).map_err(|e| io_error(&target, e))?;
    if !foreign.is_empty() {
        return Err(OutputError::HoldsUserFiles {
            dir: target,
            files: foreign,
        });
    }
    Ok(())
}

/// Lets `fill` write files into a fresh folder, then puts it at `target`, whole or not at all.
///
/// The files are written into a hidden sibling folder, which is then renamed into place; an
/// earlier run folder at `target` is moved aside first and removed only once the new one is in
/// place. A `target` that exists but holds no `manifest.json` (and is not empty) is refused,
/// so a mistyped `--out` never replaces someone's folder; so is an earlier output folder that
/// holds files boomsim did not write (a user's notes, a workbook saved beside the CSVs), which
/// would otherwise be deleted with it. A `target` that is a symlink is followed: the folder it
/// points to is replaced and the link is kept.
pub fn write_folder<E: From<OutputError>>(
    target: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let resolved = resolve_link(target);
    let target = resolved.as_path();
    check_replaceable(target)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if parent.exists() && !parent.is_dir() {
        let e = std::io::Error::other(format!(
            "{} is a file, not a folder, so {} cannot be made in it",
            parent.display(),
            target.display()
        ));
        return Err(io_error(&parent, e).into());
    }
    fs::create_dir_all(&parent).map_err(|e| io_error(&parent, e))?;
    remove_stale(&parent, &name, target);
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.partial-{pid}"));
    let result = stage(&staging, fill)
        .and_then(|()| swap_into_place(&staging, target, &parent, &name, pid).map_err(E::from));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Whether process `pid` is running (Linux: it has a /proc entry; elsewhere it is assumed to
/// be, so nothing of another process is ever touched).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Cleans up after runs that were killed while writing `target` (SIGKILL, a power cut, a
/// second Ctrl-C): their `.NAME.partial-PID` staging folders are removed, and an earlier
/// result they had moved aside (`.NAME.old-PID`) is put back when `target` is missing, else
/// removed. Folders of processes still running are left alone. Best effort: a folder that
/// cannot be removed is left for a later run.
fn remove_stale(parent: &Path, name: &str, target: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else {
            continue;
        };
        let Some(rest) = file.strip_prefix(&format!(".{name}.")) else {
            continue;
        };
        let (kind, pid) = match rest.split_once('-') {
            Some((kind @ ("partial" | "old"), pid)) => match pid.parse::<u32>() {
                Ok(pid) => (kind, pid),
                Err(_) => continue,
            },
            _ => continue,
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if pid == own || alive(pid) || !is_dir {
            continue;
        }
        if kind == "old" && !target.exists() {
            let _ = fs::rename(entry.path(), target);
        } else {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
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
            files(d, &[("manifest.json", "1"), ("samples.csv", "a")])
        })
        .unwrap();
        write_folder(&target, |d| files(d, &[("manifest.json", "2")])).unwrap();
        assert_eq!(fs::read(target.join("manifest.json")).unwrap(), b"2");
        assert!(!target.join("samples.csv").exists());
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

    #[test]
    fn a_folder_holding_user_files_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let run = [("manifest.json", "1"), ("summary.csv", "a")];
        write_folder(&target, |d| files(d, &run)).unwrap();
        fs::create_dir(target.join("charts")).unwrap();
        fs::write(target.join("charts/fan.svg"), "<svg/>").unwrap();
        // A sweep's scenario folder, itself a run folder.
        fs::create_dir(target.join("s01")).unwrap();
        fs::write(target.join("s01/manifest.json"), "1").unwrap();
        // Only boomsim's files: replaced.
        write_folder(&target, |d| files(d, &run)).unwrap();
        // The user's files, at any depth boomsim writes: refused, and listed.
        for extra in ["mynotes.txt", "charts/annotated.png"] {
            write_folder(&target, |d| files(d, &run)).unwrap();
            fs::create_dir_all(target.join("charts")).unwrap();
            fs::write(target.join(extra), "mine").unwrap();
            let err = write_folder(&target, |d| files(d, &run)).unwrap_err();
            assert!(matches!(err, OutputError::HoldsUserFiles { .. }), "{err}");
            assert!(err.to_string().contains(extra), "{err}");
            assert_eq!(fs::read_to_string(target.join(extra)).unwrap(), "mine");
            assert_eq!(
                check_replaceable(&target).unwrap_err().to_string(),
                err.to_string()
            );
            fs::remove_file(target.join(extra)).unwrap();
        }
        fs::create_dir(target.join("s02")).unwrap();
        fs::write(target.join("s02/manifest.json"), "1").unwrap();
        fs::write(target.join("s02/results.xlsx"), "mine").unwrap();
        let err = write_folder(&target, |d| files(d, &run)).unwrap_err();
        assert!(err.to_string().contains("s02/results.xlsx"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_folder_is_written_through_and_the_link_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        write_folder(&real, |d| files(d, &[("manifest.json", "1")])).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        write_folder(&link, |d| files(d, &[("manifest.json", "2")])).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(real.join("manifest.json")).unwrap(), b"2");
        assert_eq!(fs::read(link.join("manifest.json")).unwrap(), b"2");
        // A dangling link: the folder is made where it points.
        let dangling = dir.path().join("later");
        std::os::unix::fs::symlink("made", &dangling).unwrap();
        write_folder(&dangling, |d| files(d, &[("manifest.json", "3")])).unwrap();
        assert_eq!(
            fs::read(dir.path().join("made/manifest.json")).unwrap(),
            b"3"
        );
        assert!(
            fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    /// A process id that is not running: a child that has exited.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stale_folders_of_killed_runs_are_cleaned_up_and_a_moved_aside_result_restored() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let dead = dead_pid();
        // A killed run's half-written staging folder, and one of a running process (ours is
        // skipped by id, so use the parent shell's: pid 1 is always running).
        let stale = dir.path().join(format!(".out.partial-{dead}"));
        fs::create_dir(&stale).unwrap();
        fs::write(stale.join("samples.csv"), "half").unwrap();
        let live = dir.path().join(".out.partial-1");
        fs::create_dir(&live).unwrap();
        // A run killed between moving the earlier result aside and putting the new one in.
        let aside = dir.path().join(format!(".out.old-{dead}"));
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("manifest.json"), "earlier").unwrap();
        remove_stale(dir.path(), "out", &target);
        assert!(!stale.exists());
        assert!(live.exists(), "a running process's folder is left alone");
        assert_eq!(fs::read(target.join("manifest.json")).unwrap(), b"earlier");
        assert!(!aside.exists());
        // Another name's folders are not touched.
        let other = dir.path().join(format!(".other.partial-{dead}"));
        fs::create_dir(&other).unwrap();
        write_folder(&target, |d| files(d, &[("manifest.json", "new")])).unwrap();
        assert!(other.exists());
    }

    #[test]
    fn a_cancelled_write_stops_and_leaves_the_earlier_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_folder(&target, |d| files(d, &[("manifest.json", "1")])).unwrap();
        let flag = AtomicBool::new(false);
        let options = WriteOptions {
            report: false,
            xlsx: false,
            cancel: Some(&flag),
        };
        // The flag is raised after the first buffer: the writer refuses the next one.
        let err = write_folder(&target, |d| -> Result<(), OutputError> {
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
        assert_eq!(fs::read(target.join("manifest.json")).unwrap(), b"1");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
