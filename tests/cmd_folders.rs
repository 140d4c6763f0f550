//! Output folders end to end: a command replaces only a folder that the same command wrote for
//! a model of the same name (saying so when it came from other model bytes or settings), a
//! workbook the user saved or edited is theirs, `init` names the copy after its file, merge
//! finds the model by its SHA-256 whatever the path's spelling, and a sweep keeps the scenarios
//! that ran when one overflows.

mod common;

use std::fs;
use std::path::Path;

use common::boomsim;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = boomsim(dir, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

#[test]
fn a_workbook_the_user_edited_is_never_replaced_nor_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &["run", "--paths", "600", "--quiet", "--xlsx", "--out", "r"],
    );
    // boomsim's own workbook: a rerun replaces it, and `xlsx` writes it again.
    ok(
        d,
        &["run", "--paths", "600", "--quiet", "--xlsx", "--out", "r"],
    );
    ok(d, &["xlsx", "r"]);
    ok(d, &["run", "--paths", "600", "--quiet", "--out", "r"]);
    assert!(
        !d.join("r/r.xlsx").exists(),
        "a rerun without --xlsx drops boomsim's"
    );
    // The user's workbook (placed there, or edited): theirs.
    fs::write(d.join("r/r.xlsx"), "my edits").unwrap();
    let out = boomsim(d, &["xlsx", "r"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not the workbook boomsim wrote there"),
        "{}",
        stderr(&out)
    );
    let out = boomsim(d, &["run", "--paths", "600", "--quiet", "--out", "r"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("holds files boomsim did not write: r.xlsx"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(d.join("r/r.xlsx")).unwrap(), b"my edits");
}

#[test]
fn a_command_replaces_only_what_the_same_command_wrote_for_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["run", "--paths", "600", "--quiet"]);
    let before = fs::read(d.join("output/python-5x/summary.csv")).unwrap();
    // Other commands pointed at the run's folder: refused, naming what is there.
    for args in [
        &[
            "allocate",
            "--paths",
            "300",
            "--test-paths",
            "2048",
            "--points",
            "2",
            "--quiet",
            "--out",
            "output/python-5x",
        ][..],
        &[
            "sweep",
            "--vary",
            "adoption.volatility=0.1,0.2",
            "--paths",
            "300",
            "--quiet",
            "--out",
            "output/python-5x",
        ],
    ] {
        let out = boomsim(d, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("holds a `boomsim run` of python-5x"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // A merge without --out would write output/python-5x/: the run there is not a merge's.
    ok(
        d,
        &[
            "run", "--paths", "600", "--shard", "1/2", "--out", "s1", "--quiet",
        ],
    );
    ok(
        d,
        &[
            "run", "--paths", "600", "--shard", "2/2", "--out", "s2", "--quiet",
        ],
    );
    let out = boomsim(d, &["merge", "s1", "s2"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("and this is a `boomsim merge` of python-5x"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read(d.join("output/python-5x/summary.csv")).unwrap(),
        before
    );
    // The same command again with other settings: replaced, with a word on stderr.
    let out = ok(d, &["run", "--paths", "700", "--quiet"]);
    assert!(
        stderr(&out).contains("warning: replacing output/python-5x: it held a `boomsim run` of python-5x with paths 600 (now 700)"),
        "{}",
        stderr(&out)
    );
    // A model of another name never lands there: `init` names the copy after its file.
    let out = ok(d, &["init", "my model.toml"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("named `my-model`"));
    let text = fs::read_to_string(d.join("my model.toml")).unwrap();
    assert!(text.contains("name = \"my-model\""), "{text}");
    ok(d, &["run", "my model.toml", "--paths", "300", "--quiet"]);
    assert!(d.join("output/my-model/summary.csv").is_file());
    // Tuning the model and running it again stays one command, with a word on it.
    fs::write(
        d.join("my model.toml"),
        text.replace("horizon_years = 10", "horizon_years = 9"),
    )
    .unwrap();
    let out = ok(d, &["run", "my model.toml", "--paths", "300", "--quiet"]);
    assert!(
        stderr(&out).contains("with other model bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn merge_finds_the_model_by_its_sha256_whatever_the_path_says() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("a/models")).unwrap();
    fs::create_dir_all(d.join("b")).unwrap();
    fs::write(
        d.join("a/models/m.toml"),
        include_str!("../models/python-5x.toml").replace("\"python-5x\"", "\"m\""),
    )
    .unwrap();
    let absolute = d.join("a/models/m.toml");
    // One shard names the model relative to a/, the other by its absolute path.
    ok(
        &d.join("a"),
        &[
            "run",
            "models/m.toml",
            "--paths",
            "600",
            "--shard",
            "1/2",
            "--out",
            "../s1",
            "--quiet",
        ],
    );
    ok(
        &d.join("b"),
        &[
            "run",
            absolute.to_str().unwrap(),
            "--paths",
            "600",
            "--shard",
            "2/2",
            "--out",
            "../s2",
            "--quiet",
        ],
    );
    // From b/, the relative path leads nowhere, the absolute one to the same bytes.
    ok(
        &d.join("b"),
        &["merge", "../s1", "../s2", "--out", "../merged", "--quiet"],
    );
    ok(
        d,
        &[
            "run",
            "a/models/m.toml",
            "--paths",
            "600",
            "--out",
            "single",
            "--quiet",
        ],
    );
    for f in ["summary.csv", "precision.csv", "sensitivity.csv"] {
        assert_eq!(
            fs::read(d.join("merged").join(f)).unwrap(),
            fs::read(d.join("single").join(f)).unwrap(),
            "{f}"
        );
    }
    // Neither path leads to the model: a clear error, and --model mends it.
    fs::rename(d.join("a/models/m.toml"), d.join("m-moved.toml")).unwrap();
    let out = boomsim(d, &["merge", "s1", "s2", "--out", "again"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("boomsim merge --model PATH"),
        "{}",
        stderr(&out)
    );
    ok(
        d,
        &[
            "merge",
            "s1",
            "s2",
            "--out",
            "again",
            "--model",
            "m-moved.toml",
        ],
    );
}

#[test]
fn a_sweep_keeps_the_scenarios_that_ran_and_names_the_one_that_overflowed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = boomsim(
        d,
        &[
            "sweep",
            "--vary",
            "sectors.ml_ai.drift=0.05,1e6",
            "--paths",
            "300",
            "--quiet",
            "--out",
            "sw",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("1 of 2 scenarios could not run"), "{err}");
    assert!(
        err.contains("s02 (sectors.ml_ai.drift=1e6): the simulation overflowed"),
        "{err}"
    );
    assert!(d.join("sw/s01/summary.csv").is_file());
    assert!(!d.join("sw/s02").exists());
    let manifest = fs::read_to_string(d.join("sw/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"failed\": \"the simulation overflowed"),
        "{manifest}"
    );
    let long = fs::read_to_string(d.join("sw/sweep.csv")).unwrap();
    assert!(long.lines().skip(1).all(|l| l.starts_with("s01,")));
}
