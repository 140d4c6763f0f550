//! Output folders written whole or not at all, and never over what boomsim did not write.
//!
//! Every command that writes a folder (run, merge, sweep, allocate, shard) stages it in a hidden
//! sibling and renames it into place ([`write_folder`]). Before that, [`check_replaceable`]
//! decides whether an existing folder at the target may go: only one that the same command
//! wrote for a model of the same name (its `manifest.json` says which), holding nothing but
//! boomsim's own files. The workbook `<folder>.xlsx` is boomsim's only while its bytes are the
//! ones whose SHA-256 the manifest records; a workbook the user saved or edited is theirs.

use std::fs;
use std::path::{Path, PathBuf};

use super::{OutputError, io_error, sha256_hex, workbook};

/// The files boomsim writes into run, sweep and shard folders (besides `charts/` and a sweep's
/// scenario folders). Anything else in a folder is the user's, and is never deleted.
pub const OUTPUT_FILES: [&str; 18] = [
    "summary.csv",
    "samples.parquet",
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

/// The entries of an earlier output folder that boomsim did not write (its own files, the
/// workbook `<folder name>.xlsx` whose SHA-256 its manifest records, its `charts/*.svg`, and a
/// sweep's scenario folders `sNN/` holding only such entries), as paths relative to `dir`. A
/// workbook the user edited or put there has other bytes: it is theirs.
pub fn foreign_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut foreign = Vec::new();
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    // The workbook is named after the folder (and `.NAME.partial` while it is written).
    let workbook = workbook::workbook_name(dir);
    let partial_workbook = format!(".{workbook}.partial");
    let recorded = Written::read(dir).ok().and_then(|w| w.workbook_sha256);
    for entry in entries {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        let kind = entry.file_type()?;
        let ours = if kind.is_file() && text == workbook {
            recorded.as_deref() == Some(sha256_hex(&fs::read(entry.path())?).as_str())
        } else if kind.is_file() {
            OUTPUT_FILES.contains(&text.as_ref()) || text == partial_workbook
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
/// will become, `target` (a symlink's target: the folder that is replaced), and records its
/// SHA-256 in the staged `manifest.json`.
pub fn add_workbook(staging: &Path, target: &Path) -> Result<(), OutputError> {
    let target = resolve_link(target);
    let name = workbook::workbook_name(&target);
    // Errors name the folder the user asked for, not the hidden one being staged.
    let path =
        workbook::write_workbook(staging, &name).map_err(|source| OutputError::Workbook {
            source,
            staging: staging.to_path_buf(),
            target: target.clone(),
        })?;
    record_workbook(staging, &path)
}

/// Records the SHA-256 of the workbook at `path` in `dir/manifest.json` (`workbook_sha256`),
/// replacing the manifest whole: the workbook with those bytes is boomsim's, and a later run
/// may replace it; any other is the user's.
pub fn record_workbook(dir: &Path, path: &Path) -> Result<(), OutputError> {
    let manifest = dir.join("manifest.json");
    let hash = sha256_hex(&fs::read(path).map_err(|e| io_error(path, e))?);
    let text = fs::read_to_string(&manifest).map_err(|e| io_error(&manifest, e))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| io_error(&manifest, std::io::Error::other(e)))?;
    if let Some(map) = value.as_object_mut() {
        map.insert("workbook_sha256".into(), serde_json::Value::String(hash));
    }
    let mut bytes = serde_json::to_vec_pretty(&value)
        .map_err(|e| io_error(&manifest, std::io::Error::other(e)))?;
    bytes.push(b'\n');
    let tmp = dir.join(".manifest.json.partial");
    fs::write(&tmp, &bytes)
        .and_then(|()| fs::rename(&tmp, &manifest))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_error(&manifest, e)
        })
}

/// Who writes an output folder: the command, the model (by name and by the SHA-256 of its
/// texts) and the settings worth a word when a folder of other settings is replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    /// `run`, `merge`, `sweep`, `allocate` or `shard`.
    pub command: &'static str,
    /// `[model].name`.
    pub model_name: String,
    /// SHA-256 of the model's texts.
    pub model_sha256: String,
    /// (name, value) of the settings to compare, e.g. ("seed", "1"), ("paths", "100000"),
    /// each a key of the manifest.
    pub settings: Vec<(&'static str, String)>,
}

impl Owner {
    /// What the command writes, in words: "a `boomsim run` of python-5x".
    fn describe(command: &str, model: &str) -> String {
        format!("a `boomsim {command}` of {model}")
    }
}

/// What an earlier output folder's manifest says wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The command (inferred from the manifest's fields for folders written before it was
    /// recorded).
    pub command: String,
    /// The model's name, where the manifest has it.
    pub model_name: Option<String>,
    /// Its SHA-256.
    pub model_sha256: Option<String>,
    /// The manifest itself, for the settings.
    pub manifest: serde_json::Value,
    /// The SHA-256 of the workbook boomsim wrote into the folder.
    pub workbook_sha256: Option<String>,
}

impl Written {
    /// Reads `dir/manifest.json`: an error when it is missing or not a boomsim manifest.
    pub fn read(dir: &Path) -> Result<Written, String> {
        let path = dir.join("manifest.json");
        let text = crate::input::read_to_string(&path).map_err(|e| e.to_string())?;
        let manifest: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let text_of = |key: &str| manifest.get(key).and_then(|v| v.as_str()).map(String::from);
        let Some(object) = manifest.as_object() else {
            return Err(format!("{} is not a JSON object", path.display()));
        };
        if !object.contains_key("boomsim_version") && !object.contains_key("kind") {
            return Err(format!("{} is not a boomsim manifest", path.display()));
        }
        let command = text_of("command").unwrap_or_else(|| {
            if text_of("kind").as_deref() == Some("boomsim-shard") {
                "shard"
            } else if object.contains_key("in_sample_paths") {
                "allocate"
            } else if object.contains_key("varied") {
                "sweep"
            } else {
                "run"
            }
            .to_string()
        });
        Ok(Written {
            command,
            model_name: text_of("model_name"),
            model_sha256: text_of("model_sha256"),
            workbook_sha256: text_of("workbook_sha256"),
            manifest,
        })
    }
}

/// Whether [`write_folder`] may replace `target` for `owner`: it is missing or empty, or an
/// earlier output folder of the same command for a model of the same name that holds only
/// files boomsim writes. Called before a command starts, so a refusal costs no simulation,
/// and again when the folder is put in place. `Ok(Some(note))` replaces a folder that came
/// from other model bytes or settings, saying which (for stderr: tuning a model and running
/// it again stays one command).
pub fn check_replaceable(target: &Path, owner: &Owner) -> Result<Option<String>, OutputError> {
    let target = resolve_link(target);
    if !target.exists() {
        return Ok(None);
    }
    let empty = target.is_dir()
        && fs::read_dir(&target)
            .map_err(|e| io_error(&target, e))?
            .next()
            .is_none();
    if empty {
        return Ok(None);
    }
    if !target.is_dir() || !target.join("manifest.json").is_file() {
        return Err(OutputError::NotARunFolder(target));
    }
    let written = Written::read(&target).map_err(|reason| OutputError::OtherResult {
        dir: target.clone(),
        what: format!("a folder whose manifest.json is not boomsim's ({reason})"),
        ours: Owner::describe(owner.command, &owner.model_name),
    })?;
    let same_model = written.model_name.as_deref() == Some(owner.model_name.as_str());
    if written.command != owner.command || !same_model {
        return Err(OutputError::OtherResult {
            dir: target.clone(),
            what: Owner::describe(
                &written.command,
                written.model_name.as_deref().unwrap_or("an unnamed model"),
            ),
            ours: Owner::describe(owner.command, &owner.model_name),
        });
    }
    let foreign = foreign_entries(&target).map_err(|e| io_error(&target, e))?;
    if !foreign.is_empty() {
        return Err(OutputError::HoldsUserFiles {
            dir: target,
            files: foreign,
        });
    }
    let mut changed = Vec::new();
    if written.model_sha256.as_deref() != Some(owner.model_sha256.as_str()) {
        changed.push("other model bytes".to_string());
    }
    for (key, value) in &owner.settings {
        let before = written.manifest.get(*key).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if let Some(before) = before.filter(|b| b != value) {
            changed.push(format!("{key} {before} (now {value})"));
        }
    }
    Ok((!changed.is_empty()).then(|| {
        format!(
            "replacing {}: it held {} with {}",
            target.display(),
            Owner::describe(owner.command, &owner.model_name),
            changed.join(", ")
        )
    }))
}

/// Lets `fill` write files into a fresh folder for `owner`, then puts it at `target`, whole or
/// not at all.
///
/// The files are written into a hidden sibling folder, which is then renamed into place; an
/// earlier folder at `target` is moved aside first and removed only once the new one is in
/// place. A `target` that exists but holds no `manifest.json` (and is not empty) is refused,
/// so a mistyped `--out` never replaces someone's folder; so is a folder another command or
/// another model wrote ([`check_replaceable`]), and an earlier output folder that holds files
/// boomsim did not write (a user's notes, a workbook saved or edited beside the CSVs), which
/// would otherwise be deleted with it. A `target` that is a symlink is followed: the folder it
/// points to is replaced and the link is kept.
pub fn write_folder<E: From<OutputError>>(
    target: &Path,
    owner: &Owner,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let resolved = resolve_link(target);
    let target = resolved.as_path();
    check_replaceable(target, owner)?;
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

    /// Writes `files` into `dir`; a manifest named with a number `n` is a run manifest of
    /// model `m` with `paths` n.
    fn files(dir: &Path, files: &[(&str, &str)]) -> Result<(), OutputError> {
        for (name, text) in files {
            let text = if *name == "manifest.json" {
                manifest("run", "m", text)
            } else {
                text.to_string()
            };
            fs::write(dir.join(name), text).map_err(|e| io_error(dir, e))?;
        }
        Ok(())
    }

    fn manifest(command: &str, model: &str, paths: &str) -> String {
        format!(
            "{{\"boomsim_version\": \"t\", \"command\": \"{command}\", \"model_name\": \"{model}\", \"model_sha256\": \"h\", \"paths\": {paths}}}"
        )
    }

    fn owner() -> Owner {
        Owner {
            command: "run",
            model_name: "m".into(),
            model_sha256: "h".into(),
            settings: vec![("paths", "2".into())],
        }
    }

    fn write_folder<E: From<OutputError>>(
        target: &Path,
        fill: impl FnOnce(&Path) -> Result<(), E>,
    ) -> Result<(), E> {
        super::write_folder(target, &owner(), fill)
    }

    fn check_replaceable(target: &Path) -> Result<Option<String>, OutputError> {
        super::check_replaceable(target, &owner())
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
        assert_eq!(
            fs::read_to_string(target.join("manifest.json")).unwrap(),
            manifest("run", "m", "1")
        );
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
        assert_eq!(
            fs::read_to_string(target.join("manifest.json")).unwrap(),
            manifest("run", "m", "2")
        );
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
        fs::write(target.join("s01/manifest.json"), manifest("run", "m", "1")).unwrap();
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
        fs::write(target.join("s02/manifest.json"), manifest("run", "m", "1")).unwrap();
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
        let two = manifest("run", "m", "2");
        assert_eq!(fs::read_to_string(real.join("manifest.json")).unwrap(), two);
        assert_eq!(fs::read_to_string(link.join("manifest.json")).unwrap(), two);
        // A dangling link: the folder is made where it points.
        let dangling = dir.path().join("later");
        std::os::unix::fs::symlink("made", &dangling).unwrap();
        write_folder(&dangling, |d| files(d, &[("manifest.json", "3")])).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("made/manifest.json")).unwrap(),
            manifest("run", "m", "3")
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
        fs::write(target.join("manifest.json"), manifest("run", "m", "1")).unwrap();
        assert!(!aside.exists());
        // Another name's folders are not touched.
        let other = dir.path().join(format!(".other.partial-{dead}"));
        fs::create_dir(&other).unwrap();
        write_folder(&target, |d| files(d, &[("manifest.json", "new")])).unwrap();
        assert!(other.exists());
    }

    #[test]
    fn only_the_same_command_for_the_same_model_replaces_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_folder(&target, |d| files(d, &[("manifest.json", "1")])).unwrap();
        // The same command and model, other settings: replaced, with a word on it.
        let note = check_replaceable(&target).unwrap().unwrap();
        assert!(note.contains("paths 1 (now 2)"), "{note}");
        for (command, model) in [("allocate", "m"), ("run", "other"), ("merge", "m")] {
            let theirs = Owner {
                command,
                model_name: model.into(),
                ..owner()
            };
            let err = super::check_replaceable(&target, &theirs).unwrap_err();
            assert!(matches!(err, OutputError::OtherResult { .. }), "{err}");
            assert!(err.to_string().contains("a `boomsim run` of m"), "{err}");
        }
        // A manifest that is not boomsim's.
        fs::write(target.join("manifest.json"), "{}").unwrap();
        assert!(check_replaceable(&target).is_err());
        fs::write(target.join("manifest.json"), "not json").unwrap();
        assert!(check_replaceable(&target).is_err());
        // An empty folder is fine.
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert_eq!(check_replaceable(&empty).unwrap(), None);
    }

    #[test]
    fn a_workbook_is_boomsims_only_while_it_has_the_recorded_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_folder(&target, |d| -> Result<(), OutputError> {
            files(d, &[("manifest.json", "1")])?;
            fs::write(d.join("out.xlsx"), "boomsim's").unwrap();
            record_workbook(d, &d.join("out.xlsx"))
        })
        .unwrap();
        assert_eq!(foreign_entries(&target).unwrap(), Vec::<PathBuf>::new());
        // Edited by the user: theirs, so the folder is not replaced.
        fs::write(target.join("out.xlsx"), "edited").unwrap();
        let err = write_folder(&target, |d| files(d, &[("manifest.json", "1")])).unwrap_err();
        assert!(err.to_string().contains("out.xlsx"), "{err}");
        assert_eq!(fs::read(target.join("out.xlsx")).unwrap(), b"edited");
        // A workbook with no recorded hash is the user's too.
        let other = dir.path().join("other");
        write_folder(&other, |d| files(d, &[("manifest.json", "1")])).unwrap();
        fs::write(other.join("other.xlsx"), "placed").unwrap();
        assert_eq!(
            foreign_entries(&other).unwrap(),
            vec![PathBuf::from("other.xlsx")]
        );
    }
}
