//! Inputs a user can type that once crashed, hung or wrote NaN/inf with exit 0: each is now a
//! located error (exit 1 or 2) with nothing written and an earlier result untouched, or
//! finite, correct output. One test per class of the robustness issue.

mod common;

use std::fs;
use std::path::Path;

use common::boomsim;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file of a folder with its bytes, to compare before and after.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Runs a failing command against an earlier run folder and checks it is left as it was and
/// that no hidden staging folder is left beside it.
fn fails_leaving_earlier_result(args: &[&str], needle: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let earlier = boomsim(
        dir.path(),
        &["run", "--paths", "500", "--out", "prev", "--quiet"],
    );
    assert!(earlier.status.success(), "{}", text(&earlier.stderr));
    let before = snapshot(&dir.path().join("prev"));
    let mut all = args.to_vec();
    all.extend(["--out", "prev", "--quiet"]);
    let out = boomsim(dir.path(), &all);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(snapshot(&dir.path().join("prev")), before, "{args:?}");
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["prev".to_string()], "{args:?}");
    stderr
}

#[test]
fn overflowing_paths_are_an_error_naming_the_entity_path_and_draw() {
    // student_t(1, ...) has a Cauchy tail: some paths' drift compounds past f64 (with scale
    // 0.5, |drift| > 71 on about 0.45% of paths).
    let stderr = fails_leaving_earlier_result(
        &[
            "run",
            "--paths",
            "2000",
            "--set",
            "sectors.ml_ai.drift=\"student_t(1, 0.08, 0.5)\"",
        ],
        "the simulation overflowed",
    );
    assert!(stderr.contains("public_equities on "), "{stderr}");
    assert!(stderr.contains("first at path "), "{stderr}");
    assert!(stderr.contains("sectors.ml_ai.drift = "), "{stderr}");
    assert!(stderr.contains("help: restrict heavy-tailed"), "{stderr}");
    // The same in a sketched (constant-memory) run, which once panicked in the log sketch.
    fails_leaving_earlier_result(
        &[
            "run",
            "--paths",
            "2000",
            "--summary",
            "sketch",
            "--set",
            "sectors.ml_ai.drift=\"student_t(1, 0.08, 0.5)\"",
        ],
        "the simulation overflowed",
    );
    // Constants that compound past f64 on every path.
    for set in [
        "sectors.ml_ai.elasticity=500",
        "adoption.volatility=100",
        "sectors.ml_ai.drift=400",
        "sectors.ml_ai.drift=\"pareto(1, 0.5)\"",
    ] {
        fails_leaving_earlier_result(
            &["run", "--paths", "1000", "--set", set],
            "the simulation overflowed",
        );
    }
}

#[test]
fn overflowing_statistics_of_finite_paths_are_an_error_too() {
    // exp(60 * 10) is finite, its square is not: sd_return would be inf.
    let stderr = fails_leaving_earlier_result(
        &["run", "--paths", "1000", "--set", "sectors.ml_ai.drift=60"],
        "is not a finite number",
    );
    assert!(
        stderr.contains("summary.csv: group public_equities's `sd_return`"),
        "{stderr}"
    );
}

#[test]
fn the_same_overflow_is_reported_the_same_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let set = "sectors.ml_ai.drift=\"student_t(1, 0.08, 0.5)\"";
    let one = boomsim(
        dir.path(),
        &["run", "--paths", "3000", "--threads", "1", "--set", set],
    );
    let two = boomsim(
        dir.path(),
        &["run", "--paths", "3000", "--threads", "2", "--set", set],
    );
    assert_eq!(one.status.code(), Some(1));
    assert_eq!(text(&one.stderr), text(&two.stderr));
}

#[test]
fn dist_and_describe_leave_moments_that_do_not_exist_undefined() {
    let dir = tempfile::tempdir().unwrap();
    for (s, mean) in [
        ("student_t(1, 0, 1)", "mean undefined  sd undefined"),
        ("pareto(1, 0.9)", "mean undefined  sd undefined"),
        ("student_t(1.5, 2, 1)", "mean 2.0000  sd undefined"),
    ] {
        let out = boomsim(dir.path(), &["dist", s]);
        assert!(out.status.success());
        let stdout = text(&out.stdout);
        assert!(stdout.contains(mean), "{s}: {stdout}");
        assert!(
            !stdout.contains("NaN") && !stdout.contains("inf "),
            "{stdout}"
        );
    }
    let model = dir.path().join("m.toml");
    let default = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/python-5x.toml"
    ))
    .unwrap();
    fs::write(&model, default).unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "describe",
            "m.toml",
            "--csv",
            "--set",
            "sectors.ml_ai.drift=\"student_t(0.8, 0.05, 0.02)\"",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let line = csv
        .lines()
        .find(|l| l.starts_with("sectors.ml_ai.drift,"))
        .expect("drift row");
    assert!(line.contains(",,,undefined,"), "{line}");
    assert!(!csv.contains("NaN") && !csv.contains(",inf"), "{csv}");
}

#[test]
fn extreme_distribution_parameters_are_located_errors_not_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let default = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/python-5x.toml"
    ))
    .unwrap();
    fs::write(dir.path().join("m.toml"), default).unwrap();
    for s in [
        "beta(1e7, 1)",
        "beta(5e-324, 1)",
        "gamma(1e12, 1)",
        "gamma(3, 235e-324)",
        "0 to 5e-324",
        "pert(0, 1e300, 1e308)",
        "beta(0.3, 1e308)",
        "uniform(-1e308, 1e308)",
        "triangular(0, 1, 1e308)",
    ] {
        let out = boomsim(dir.path(), &["dist", s]);
        assert_eq!(out.status.code(), Some(1), "{s}");
        assert!(text(&out.stderr).contains("supported") || text(&out.stderr).contains("narrower"));
        // The same in a model: located at the key.
        let set = format!("sectors.ml_ai.elasticity=\"{s}\"");
        let out = boomsim(dir.path(), &["check", "m.toml", "--set", &set]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{s}: {stderr}");
        assert!(stderr.contains("--set:1:"), "{s}: {stderr}");
        assert!(stderr.contains("sectors.ml_ai.elasticity"), "{s}: {stderr}");
    }
    let out = boomsim(dir.path(), &["dist", "student_t(1e7, 0, 1)"]);
    assert!(
        text(&out.stdout).contains("p05 -1.6449"),
        "{}",
        text(&out.stdout)
    );
    // `fit` printed pert(1e300, 1e300, 1e308), which then panicked.
    let out = boomsim(
        dir.path(),
        &["fit", "--min=1e300", "--mode=1e300", "--max=1e308"],
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(!text(&out.stderr).contains("panicked"));
}
