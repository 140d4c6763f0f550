//! The stages import in data-flow order (docs/architecture.md, "Who may import whom"):
//! distribution -> model -> engine -> stats -> output -> run -> cli, each module only from its
//! own stage, earlier ones and the foundations; the foundations from no stage.

use std::fs;
use std::path::Path;

/// The stages in data-flow order; `cli` is the binary's (`boomsim::` paths).
const STAGES: [&str; 7] = [
    "distribution",
    "model",
    "engine",
    "stats",
    "output",
    "run",
    "cli",
];

/// Modules any stage may use.
const FOUNDATIONS: [&str; 6] = [
    "input",
    "number",
    "exit",
    "spelling",
    "random",
    "elementary",
];

fn rank(module: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == module)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a line of code names as `crate::X` or `boomsim::X` (comments left out).
fn named_modules(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut names = Vec::new();
    for prefix in ["crate::", "boomsim::"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let after = &rest[at + prefix.len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
            rest = after;
        }
    }
    names
}

/// Violations: (file, line number, the module it names).
fn violations() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix("src").unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let own = match (rank(&top), FOUNDATIONS.contains(&top.as_str())) {
            (Some(r), _) => Some(r),
            (None, true) => None,
            // lib.rs and main.rs declare every module.
            (None, false) => continue,
        };
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for name in named_modules(line) {
                let ok = !name.is_empty()
                    && match (own, rank(&name)) {
                        (_, None) => true,
                        (Some(mine), Some(theirs)) => theirs <= mine,
                        // A foundation names no stage.
                        (None, Some(_)) => false,
                    };
                if !ok {
                    found.push(format!("{}:{}: {top} names {name}", file.display(), n + 1));
                }
            }
        }
    }
    found
}

#[test]
fn every_stage_imports_only_earlier_stages_and_foundations() {
    let found = violations();
    assert!(
        found.is_empty(),
        "imports against the data flow:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_a_later_stage_and_ignores_comments() {
    assert_eq!(named_modules("use crate::run::RunRequest;"), ["run"]);
    assert_eq!(
        named_modules("let x = boomsim::stats::summary::rows(); // crate::cli"),
        ["stats"]
    );
    assert!(named_modules("/// see crate::output::write_folder").is_empty());
    assert!(rank("engine").unwrap() > rank("model").unwrap());
    // A grouped path is named as "", which the check refuses (it cannot see inside).
    assert_eq!(named_modules("use crate::{run::X, model::Y};"), [""]);
}
