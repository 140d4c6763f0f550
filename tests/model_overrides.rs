//! Overrides (`--set`, `--vary`, `extends`) change what a model has and nothing else: a typo'd
//! sector, group or asset name is a located error with a suggestion, never a new entity; a key
//! is given once; `extends` belongs in the model file; and a multi-model `run` validates every
//! model, and decides every folder, before the first one runs.

mod common;

use std::fs;

use boomsim::model::DEFAULT_MODEL_TEXT;
use boomsim::model::{Flag, Override, parse_model_with};
use common::boomsim;

fn refused(overrides: &[Override]) -> String {
    match parse_model_with(DEFAULT_MODEL_TEXT, "python-5x.toml", overrides) {
        Ok(_) => panic!("accepted {overrides:?}"),
        Err(e) => e.to_string(),
    }
}

fn set(text: &str) -> Override {
    Override {
        flag: Flag::Set,
        text: text.into(),
    }
}

fn vary(text: &str) -> Override {
    Override {
        flag: Flag::Vary,
        text: text.into(),
    }
}

#[test]
fn a_typo_in_a_named_table_is_an_error_not_a_new_entity() {
    let e = refused(&[set("sectors.ml_ia.elasticity=1.5")]);
    assert!(e.contains("--set:1:9: sectors.ml_ia"), "{e}");
    assert!(e.contains("the model has no sector `ml_ia`"), "{e}");
    assert!(e.contains("did you mean `ml_ai`?"), "{e}");
    let e = refused(&[set("assets.nvdia.volatility=0.3")]);
    assert!(
        e.contains("no asset `nvdia`") && e.contains("`nvidia`"),
        "{e}"
    );
    let e = refused(&[vary("groups.public_equity.label=x")]);
    assert!(
        e.contains("--vary:1:8") && e.contains("`public_equities`"),
        "{e}"
    );
}

#[test]
fn existing_tables_keep_every_valid_key_settable() {
    // failure_rate is absent from nvidia's table in the file; [correlation] is optional.
    let ok = [
        set("assets.nvidia.failure_rate=0.01"),
        set("correlation.default=0.2"),
        set("sectors.ml_ai.lag_years=1"),
    ];
    let (model, _) = parse_model_with(DEFAULT_MODEL_TEXT, "python-5x.toml", &ok)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.sectors.len(), 7);
}

#[test]
fn extends_cannot_be_set_and_a_key_is_given_once() {
    let e = refused(&[set("extends=base.toml")]);
    assert!(e.contains("cannot set `extends`"), "{e}");
    let e = refused(&[set("adoption.rate=1"), set("adoption.rate = 2")]);
    assert!(e.contains("--set:1:1: adoption.rate"), "{e}");
    assert!(
        e.contains("sets `adoption.rate` again: --set `adoption.rate=1`"),
        "{e}"
    );
    let e = refused(&[set("adoption.rate=1"), vary("adoption.rate=2")]);
    assert!(
        e.contains("--vary `adoption.rate=2` sets `adoption.rate` again"),
        "{e}"
    );
}

#[test]
fn a_sector_no_asset_is_exposed_to_names_the_closest_sector() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("base.toml"), DEFAULT_MODEL_TEXT).unwrap();
    fs::write(
        dir.path().join("mine.toml"),
        "extends = \"base.toml\"\n\n[sectors.ml_ia]\nelasticity = 2.0\n",
    )
    .unwrap();
    let out = boomsim(dir.path(), &["check", "mine.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mine.toml:3:10: sectors.ml_ia"), "{err}");
    assert!(err.contains("moves no asset"), "{err}");
    assert!(err.contains("did you mean `ml_ai`?"), "{err}");
}

#[test]
fn sweep_and_check_refuse_typos_and_repeats_with_their_flag() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "sweep",
        "--paths",
        "64",
        "--vary",
        "sectors.ml_ia.elasticity=0.5,1.5",
    ];
    let out = boomsim(dir.path(), &args);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--vary:1:9: sectors.ml_ia"), "{err}");
    assert!(!dir.path().join("output").exists());
    let args = [
        "sweep",
        "--paths",
        "64",
        "--vary",
        "adoption.rate=0.5,0.6",
        "--vary",
        "adoption.rate=0.7",
    ];
    let out = boomsim(dir.path(), &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("again"));
    let out = boomsim(
        dir.path(),
        &[
            "check",
            "--set",
            "sectors.ml_ia.elasticity=1.5",
            concat!(env!("CARGO_MANIFEST_DIR"), "/models/python-5x.toml"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_multi_model_run_checks_every_model_and_folder_first() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.toml"), DEFAULT_MODEL_TEXT).unwrap();
    fs::write(dir.path().join("b.toml"), DEFAULT_MODEL_TEXT).unwrap();
    let bad = DEFAULT_MODEL_TEXT.replace("name = \"python-5x\"", "name = \"bad\"\nhorizon = 3");
    fs::write(dir.path().join("bad.toml"), bad).unwrap();
    // A good model then a bad one: nothing runs, nothing is written.
    let out = boomsim(
        dir.path(),
        &["run", "a.toml", "bad.toml", "--paths", "64", "--out", "o"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
    assert!(!dir.path().join("o").exists());
    // Two models of one name would write one folder.
    let out = boomsim(
        dir.path(),
        &["run", "a.toml", "b.toml", "--paths", "64", "--out", "o"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a.toml and b.toml would both write") && err.contains("python-5x"),
        "{err}"
    );
    assert!(!dir.path().join("o").exists());
}
