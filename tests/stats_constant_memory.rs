//! Constant-memory (sketched) summaries against exact ones on the same paths.

mod common;

use common::{boomsim, read_csv as table};

use std::fs;
use std::path::Path;

/// Every numeric cell of two summaries agrees within `bound` relative (labels contain no
/// commas in the default model, so a plain split is enough).
fn assert_close(a: &Path, b: &Path, bound: f64) {
    let (ha, ra) = table(a);
    let (hb, rb) = table(b);
    assert_eq!(ha, hb);
    assert_eq!(ra.len(), rb.len());
    for (x, y) in ra.iter().zip(&rb) {
        for ((col, u), v) in ha.iter().zip(x).zip(y) {
            match (u.parse::<f64>(), v.parse::<f64>()) {
                (Ok(u), Ok(v)) => {
                    let err = (u - v).abs() / v.abs().max(1e-12);
                    assert!(
                        err <= bound || (u - v).abs() < 1e-12,
                        "{} {col}: {u} vs exact {v}",
                        x[1]
                    );
                }
                _ => assert_eq!(u, v, "{} {col}", x[1]),
            }
        }
    }
}

#[test]
fn sketched_summaries_are_within_the_stated_bound_of_exact_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = [
        "--paths",
        "30000",
        "--seed",
        "3",
        "--where",
        "adoption_multiple >= 5",
    ];
    for (method, out) in [("exact", "e"), ("sketch", "s")] {
        let r = boomsim(
            d,
            &[&["run", "--summary", method, "--out", out][..], &args].concat(),
        );
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    // The documented bound is 0.1%; the sketch is built for 0.05%. Ranks and profiles, which
    // compare entities, may only differ if two entities tie within that error.
    assert_close(&d.join("s/summary.csv"), &d.join("e/summary.csv"), 0.001);
    assert_close(
        &d.join("s/summary_where.csv"),
        &d.join("e/summary_where.csv"),
        0.001,
    );
    assert_close(&d.join("s/adoption.csv"), &d.join("e/adoption.csv"), 0.001);
    let manifest = fs::read_to_string(d.join("s/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"summary_method\": \"sketch: constant memory"),
        "{manifest}"
    );
    let manifest = fs::read_to_string(d.join("e/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"summary_method\": \"exact"),
        "{manifest}"
    );
}

#[test]
fn sketched_runs_are_byte_identical_across_threads_and_keep_a_reservoir() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for t in ["1", "2"] {
        let r = boomsim(
            d,
            &[
                "run",
                "--summary",
                "sketch",
                "--paths",
                "120000",
                "--threads",
                t,
                "--out",
                t,
                "--samples",
            ],
        );
        assert!(r.status.success());
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.contains("samples.csv holds its first 100000 paths"),
            "{err}"
        );
    }
    for f in [
        "summary.csv",
        "adoption.csv",
        "sensitivity.csv",
        "samples.csv",
    ] {
        assert!(
            fs::read(d.join("1").join(f)).unwrap() == fs::read(d.join("2").join(f)).unwrap(),
            "{f}"
        );
    }
    let samples = fs::read_to_string(d.join("1/samples.csv")).unwrap();
    assert_eq!(samples.lines().count(), 1 + 100_000);
}
