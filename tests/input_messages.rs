//! Messages that say what is wrong and how to mend it, for the inputs that used to get a
//! misleading one: each is a regression test of a reproducer.

mod common;

use std::fs;

use common::boomsim;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_empty_model_points_to_init_and_the_users_docs() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("empty.toml"), "").unwrap();
    let out = boomsim(dir.path(), &["check", "empty.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("`boomsim init` writes a complete model"),
        "{err}"
    );
    assert!(!err.contains("MODEL.md"), "{err}");
}

#[test]
fn extends_under_a_table_is_one_error_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("ext.toml"),
        "[model]\nextends = \"base.toml\"\nname = \"x\"\n",
    )
    .unwrap();
    let out = boomsim(dir.path(), &["check", "ext.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("Error: ext.toml:2:1: model.extends: `extends` is written under [model]"),
        "{err}"
    );
    assert!(
        err.contains("move `extends = ...` to the top of the file"),
        "{err}"
    );
    assert!(
        !err.contains("missing table"),
        "one error, the cause: {err}"
    );
}

#[test]
fn a_where_with_or_says_only_and_is_supported() {
    let dir = tempfile::tempdir().unwrap();
    for (condition, says) in [
        (
            "adoption_multiple > 2 or adoption_multiple < 1",
            "`or` is not supported",
        ),
        (
            "adoption_multiple > 2 || adoption.ceiling > 3",
            "`||` is not supported",
        ),
        (
            "adoption_multiple > 2 && adoption.ceiling > 3",
            "written `and`",
        ),
        ("adoption_multiple > nan", "is not a finite number"),
    ] {
        let out = boomsim(
            dir.path(),
            &["run", "--paths", "300", "--where", condition, "--out", "w"],
        );
        assert_eq!(out.status.code(), Some(2), "{condition}");
        assert!(stderr(&out).contains(says), "{condition}: {}", stderr(&out));
    }
}

#[test]
fn tiny_and_huge_numbers_are_shown_short() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(dir.path(), &["dist", "uniform(1e-300, 1)"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("support [1e-300, 1]"), "{text}");
    assert!(!text.contains("0000000000000"), "{text}");
}

#[test]
fn a_cvar_level_near_one_is_shown_with_its_digits() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "allocate",
            "--cvar",
            "0.999",
            "--paths",
            "2000",
            "--test-paths",
            "2048",
            "--points",
            "2",
            "--quiet",
            "--out",
            "a",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("worst 0.1% of paths"), "{text}");
}

#[test]
fn shard_messages_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    // More shards than chunks: refused, not an empty shard "paths 0 to 0".
    let out = boomsim(dir.path(), &["run", "--paths", "8192", "--shard", "1/64"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("an exact run of 8192 paths has 32 chunks of 256 paths"),
        "{}",
        stderr(&out)
    );
    // A shard whose kind was changed: not "format 5 is not 5".
    let out = boomsim(
        dir.path(),
        &[
            "run", "--paths", "600", "--shard", "1/2", "--out", "s1", "--quiet",
        ],
    );
    assert!(out.status.success());
    let manifest = dir.path().join("s1/manifest.json");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        text.replace("\"boomsim-shard\"", "\"boomsim-other\""),
    )
    .unwrap();
    let out = boomsim(dir.path(), &["merge", "s1", "--out", "m"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("says kind `boomsim-other`"), "{err}");
    assert!(!err.contains("format 5 is not 5"), "{err}");
}

#[test]
fn an_overflow_does_not_blame_a_discrete_draw_at_its_largest_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "run",
            "--paths",
            "300",
            "--set",
            "adoption.volatility=100",
            "--set",
            "sectors.ml_ai.elasticity=\"discrete(1: 0.5, 2: 0.5)\"",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("the simulation overflowed"), "{err}");
    assert!(!err.contains("percentile 100.000"), "{err}");
}

#[test]
fn a_label_too_long_for_a_cell_is_refused_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let model = include_str!("../models/python-5x.toml").replacen(
        "label = \"NVIDIA\"",
        &format!("label = \"{}\"", "N".repeat(40_000)),
        1,
    );
    fs::write(dir.path().join("long.toml"), model).unwrap();
    let out = boomsim(dir.path(), &["check", "long.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("assets.nvidia.label: `label` is 40000 characters long"),
        "{err}"
    );
    // A CSV cell edited past a spreadsheet's limit: named by file, row and column.
    let out = boomsim(
        dir.path(),
        &["run", "--paths", "300", "--quiet", "--out", "r"],
    );
    assert!(out.status.success());
    let summary = dir.path().join("r/summary.csv");
    let text = fs::read_to_string(&summary).unwrap();
    fs::write(&summary, text.replacen("NVIDIA", &"N".repeat(40_000), 1)).unwrap();
    let out = boomsim(dir.path(), &["xlsx", "r"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("summary.csv: row 5, column `label`: a cell of 40000 characters"),
        "{err}"
    );
}
