//! The `boomsim` binary end to end, each test in its own temporary folder: files, columns,
//! exit codes, and that a failed run leaves an earlier result as it was.

mod common;

use common::boomsim;

use std::fs;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const SUMMARY_HEADER: &str = "kind,name,label,group,mean_return,sd_return,mcse_mean,p01,p05,p10,p25,p50,p75,p90,p95,p99,median_cagr,ann_return,ann_volatility,sharpe,sortino,var95,var99,cvar95,cvar99,prob_loss,mean_max_drawdown,p95_max_drawdown,uplift_mean,uplift_p05,uplift_p50,uplift_p95,prob_uplift,rank,profile,profile_settled";

#[test]
fn run_writes_the_three_files_with_the_contract_columns() {
    let dir = tempfile::tempdir().unwrap();
    // No models/ folder here: the built-in default model runs.
    let out = boomsim(dir.path(), &["run", "--paths", "2000", "--seed", "3"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = dir.path().join("output/python-5x");
    let summary = fs::read_to_string(run.join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    assert_eq!(lines.next().unwrap(), SUMMARY_HEADER);
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3 + 10, "3 groups and 10 assets");
    assert!(rows[0].starts_with("group,public_equities,Public equities,public_equities,"));
    assert!(rows[3].starts_with("asset,nvidia,NVIDIA,public_equities,"));
    assert!(!summary.contains("NaN") && !summary.contains("inf"));
    let profiles = ["core", "high-upside", "defensive", "avoid"];
    assert!(rows.iter().all(|r| {
        let mut cells = r.rsplit(',');
        ["true", "false", ""].contains(&cells.next().unwrap())
            && profiles.contains(&cells.next().unwrap())
    }));

    let adoption = fs::read_to_string(run.join("adoption.csv")).unwrap();
    let mut lines = adoption.lines();
    assert_eq!(
        lines.next().unwrap(),
        "step,year,mean,p05,p25,p50,p75,p95,baseline_mean,baseline_p05,baseline_p25,baseline_p50,baseline_p75,baseline_p95"
    );
    assert_eq!(lines.count(), 41, "steps 0 to 40");
    assert!(
        adoption.contains("\n0,0.0,1.0,1.0,1.0,1.0,1.0,1.0,1.0,"),
        "A(0) = 1"
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 3);
    assert_eq!(manifest["paths"], 2000);
    assert_eq!(manifest["model_name"], "python-5x");
    assert_eq!(manifest["model_sha256"].as_str().unwrap().len(), 64);
    assert!(manifest["threads"].as_u64().unwrap() >= 1);
    assert!(manifest["elapsed_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(manifest["command_line"][1], "run");

    let stdout = text(&out.stdout);
    assert!(stdout.contains("rank  group"), "{stdout}");
    for g in ["public_equities", "private_startups", "alternative_assets"] {
        assert!(stdout.contains(g), "{stdout}");
    }
    // Nothing but the run folder: no staging leftovers.
    assert_eq!(fs::read_dir(dir.path().join("output")).unwrap().count(), 1);
}

#[test]
fn csv_output_is_byte_identical_for_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    for t in ["1", "2"] {
        let out = boomsim(
            dir.path(),
            &["run", "--paths", "1500", "--threads", t, "--out", t],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    for f in ["summary.csv", "adoption.csv"] {
        let one = fs::read(dir.path().join("1").join(f)).unwrap();
        let two = fs::read(dir.path().join("2").join(f)).unwrap();
        assert!(one == two, "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn an_invalid_model_exits_1_and_leaves_the_earlier_result() {
    let dir = tempfile::tempdir().unwrap();
    let ok = boomsim(dir.path(), &["run", "--paths", "300", "--out", "res"]);
    assert!(ok.status.success());
    let before = fs::read(dir.path().join("res/summary.csv")).unwrap();

    let bad = include_str!("../models/python-5x.toml").replace("ml_ai = 0.6,", "ml_ia = 0.6,");
    fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let out = boomsim(
        dir.path(),
        &["run", "bad.toml", "--paths", "300", "--out", "res"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("Error: bad.toml:"), "{err}");
    assert!(
        err.contains("assets.nvidia.exposure.ml_ia: unknown sector `ml_ia`"),
        "{err}"
    );
    assert!(err.contains("did you mean `ml_ai`?"), "{err}");
    assert!(!err.contains("panicked"));
    assert_eq!(
        fs::read(dir.path().join("res/summary.csv")).unwrap(),
        before
    );
}

#[test]
fn a_missing_model_file_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(dir.path(), &["run", "nowhere.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cannot read model file nowhere.toml"), "{err}");
    assert!(err.contains("help:"), "{err}");
    assert!(!dir.path().join("output").exists());
}

#[test]
fn bad_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["run", "--paths", "0"][..],
        &["run", "--threads", "0"],
        &["run", "--sed", "3"],
    ] {
        let out = boomsim(dir.path(), args);
        assert!(!out.status.success(), "{args:?}");
        assert!(!text(&out.stderr).is_empty());
    }
    let out = boomsim(dir.path(), &["run", "--sed", "3"]);
    assert!(
        text(&out.stderr).contains("--seed"),
        "clap suggests the flag"
    );
    // Conflicting fit modes are a bad command line (exit 2), not an ignored flag.
    for args in [
        &["fit", "--p05", "1", "--p95", "2", "--min", "0"][..],
        &["fit", "--min", "0", "--max", "1"],
        &["fit", "--q", "0.1=1", "--data", "d.csv", "--column", "x"],
    ] {
        let out = boomsim(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn fit_takes_negative_values_and_blank_cells() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &["fit", "--min", "-0.1", "--mode", "0", "--max", "0.2"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "pert(-0.1, 0, 0.2)");
    let out = boomsim(dir.path(), &["fit", "--p05", "-1", "--p95", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("the same as \"-1 to 2\""));
    // Blank cells, as pandas and Excel export missing values, are skipped and counted; text
    // is still an error naming its line.
    fs::write(
        dir.path().join("d.csv"),
        "year,g\n2019,\n2020,0.1\n2021,0.3\n2022,\n2023,0.2\n2024,0.15\n",
    )
    .unwrap();
    let out = boomsim(dir.path(), &["fit", "--data", "d.csv", "--column", "g"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("d.csv, column `g`: skipped 2 blank cells\n4 values"));
    let out = boomsim(dir.path(), &["dist", "empirical(\"d.csv\", \"g\")"]);
    assert!(text(&out.stdout).contains("note: d.csv, column `g`: skipped 2 blank cells"));
    fs::write(dir.path().join("d.csv"), "g\n0.1\nn/a\n\n0.2\n").unwrap();
    let out = boomsim(dir.path(), &["fit", "--data", "d.csv", "--column", "g"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("d.csv:3: `n/a` in column `g`"));
    // Values no family can take: an error, not an empty table.
    fs::write(dir.path().join("d.csv"), "g\n1e13\n2e13\n").unwrap();
    let out = boomsim(dir.path(), &["fit", "--data", "d.csv", "--column", "g"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

#[test]
fn a_folder_that_is_not_a_run_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("docs")).unwrap();
    fs::write(dir.path().join("docs/keep.txt"), "mine").unwrap();
    let out = boomsim(dir.path(), &["run", "--paths", "100", "--out", "docs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a boomsim run folder"));
    assert_eq!(
        fs::read_to_string(dir.path().join("docs/keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn check_summarises_a_valid_model_and_lists_every_error_of_an_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("m.toml"),
        include_str!("../models/python-5x.toml"),
    )
    .unwrap();
    let out = boomsim(dir.path(), &["check", "m.toml"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("valid model `python-5x`"));
    assert!(stdout.contains("sectors (7)"));
    assert!(stdout.contains("adoption.ceiling"));

    let bad = include_str!("../models/python-5x.toml")
        .replace("ml_ai = 0.6,", "ml_ia = 0.6,")
        .replace("steps_per_year = 4 ", "steps_per_year = 0 ");
    fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let out = boomsim(dir.path(), &["check", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("model.steps_per_year") && err.contains("ml_ia"),
        "{err}"
    );
    assert!(err.contains("2 errors in bad.toml"), "{err}");
}

#[test]
fn outputs_in_a_file_and_floods_of_syntax_errors_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("file"), "x").unwrap();
    let out = boomsim(dir.path(), &["run", "--paths", "100", "--out", "file/run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is a file, not a folder"),
        "{}",
        text(&out.stderr)
    );
    let prose: String = (0..40)
        .map(|i| format!("this is line {i} of prose\n"))
        .collect();
    fs::write(dir.path().join("prose.toml"), prose).unwrap();
    let out = boomsim(dir.path(), &["check", "prose.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("... and 20 more not shown"), "{err}");
    assert!(err.contains("40 errors in prose.toml"), "{err}");
}

#[test]
fn a_rerun_never_deletes_the_users_files() {
    let dir = tempfile::tempdir().unwrap();
    let run = [
        "run",
        "--paths",
        "300",
        "--samples",
        "--report",
        "--out",
        "d",
    ];
    let out = boomsim(dir.path(), &run);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Everything boomsim wrote is its own: a rerun replaces it.
    let out = boomsim(dir.path(), &run);
    assert!(out.status.success(), "{}", text(&out.stderr));
    fs::write(dir.path().join("d/mynotes.txt"), "x").unwrap();
    let before = fs::read(dir.path().join("d/summary.csv")).unwrap();
    let out = boomsim(dir.path(), &["run", "--paths", "200", "--out", "d"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("holds files boomsim did not write: mynotes.txt"),
        "{err}"
    );
    assert!(err.contains("help: move those files"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("d/mynotes.txt")).unwrap(),
        "x"
    );
    assert_eq!(fs::read(dir.path().join("d/summary.csv")).unwrap(), before);
    // The same for a sweep folder, at the scenario level.
    let sweep = [
        "sweep",
        "--paths",
        "100",
        "--vary",
        "adoption.rate=0.4,0.5",
        "--out",
        "sw",
    ];
    assert!(boomsim(dir.path(), &sweep).status.success());
    fs::write(dir.path().join("sw/s01/pivot.xlsx"), "x").unwrap();
    let out = boomsim(dir.path(), &sweep);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("s01/pivot.xlsx"));
}

#[cfg(unix)]
#[test]
fn an_out_symlink_is_followed_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(dir.path(), &["run", "--paths", "100", "--out", "real"]);
    assert!(out.status.success());
    std::os::unix::fs::symlink("real", dir.path().join("latest")).unwrap();
    let out = boomsim(
        dir.path(),
        &["run", "--paths", "100", "--seed", "9", "--out", "latest"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let link = fs::symlink_metadata(dir.path().join("latest")).unwrap();
    assert!(link.file_type().is_symlink());
    let manifest = fs::read_to_string(dir.path().join("real/manifest.json")).unwrap();
    assert!(manifest.contains("\"seed\": 9"), "{manifest}");
}

#[test]
fn init_writes_the_default_model_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(dir.path(), &["init", "mine/model.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = dir.path().join("mine/model.toml");
    // The default model, named after the file so its results never replace the default's.
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        boomsim::model::starter_text(boomsim::model::BuiltIn::Default, "model")
    );
    assert_eq!(
        boomsim::model::starter_text(boomsim::model::BuiltIn::Default, "python-5x"),
        boomsim::model::DEFAULT_MODEL_TEXT
    );
    assert!(
        boomsim(dir.path(), &["check", "mine/model.toml"])
            .status
            .success()
    );
    fs::write(&path, "my edits").unwrap();
    let out = boomsim(dir.path(), &["init", "mine/model.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already exists"));
    assert_eq!(fs::read_to_string(&path).unwrap(), "my edits");
    assert!(boomsim(dir.path(), &["init"]).status.success());
    assert!(dir.path().join("python-5x.toml").is_file());
}

/// The run answers the question: the groups and the leading assets with their error bars, what
/// the profiles mean (with the model's thresholds), and the command that places capital; no
/// entity whose worst 5% of paths lose more than half is called `core` or `defensive`.
#[test]
fn the_run_answers_the_question_with_absolute_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(dir.path(), &["run", "--paths", "20000", "--out", "r"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for needle in [
        "Groups, ranked by Sharpe ratio:",
        "The 5 leading assets of 10 (summary.csv has every one), ranked by Sharpe ratio:",
        "high return = mean above +101.4% (what a fairly priced asset earns at 7.0% a year,",
        "low risk = cvar95 at most 50.0% ([model].tail_loss_limit)",
        "± = the larger distance from the value to the ends of its",
        "? = not settled",
        "Where to place capital:",
        "  boomsim allocate\n",
    ] {
        assert!(stdout.contains(needle), "{needle}\n{stdout}");
    }
    let (header, rows) = common::read_csv(&dir.path().join("r/summary.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for r in &rows {
        let cvar: f64 = r[col("cvar95")].parse().unwrap();
        let profile = r[col("profile")].as_str();
        if cvar > 0.5 {
            assert!(!["core", "defensive"].contains(&profile), "{r:?}");
        }
    }
    let manifest = fs::read_to_string(dir.path().join("r/manifest.json")).unwrap();
    assert!(manifest.contains("\"tail_loss_limit\": 0.5"), "{manifest}");
    assert!(
        manifest.contains("\"allocate_command\": \"boomsim allocate\""),
        "{manifest}"
    );
}

/// A sketched run says that its drivers come from its first paths only.
#[test]
fn a_sketched_run_says_its_drivers_come_from_the_first_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "run",
            "--paths",
            "120000",
            "--summary",
            "sketch",
            "--out",
            "s",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("(drivers from the first 100000 of the 120000 paths"),
        "{stdout}"
    );
}
