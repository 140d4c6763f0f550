//! Batches (issue 5): sweeps, several models in one run, interrupts.

mod common;

use common::boomsim;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_sweep_writes_its_grid_and_pivot_ready_csvs() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "sweep",
            "--vary",
            "adoption.ceiling=\"2 to 5\",\"5 to 10\"",
            "--vary",
            "sectors.education.elasticity=0.3,normal(0.7, 0.2),1.1",
            "--paths",
            "600",
            "--out",
            "sw",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sw = dir.path().join("sw");
    for i in 1..=6 {
        assert!(sw.join(format!("s0{i}/summary.csv")).is_file());
    }
    assert!(!sw.join("s07").exists());
    let long = fs::read_to_string(sw.join("sweep.csv")).unwrap();
    let mut lines = long.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,adoption.ceiling,sectors.education.elasticity,kind,name,profile,profile_settled,metric,value,se"
    );
    // 6 scenarios x 13 entities x 30 numeric metrics (the profile is a column).
    assert_eq!(lines.count(), 6 * 13 * 30);
    // 600 paths: too few batches to tell whether a profile is settled (an empty cell).
    let row = long
        .lines()
        .find(|l| {
            l.starts_with("s04,5 to 10,0.3,group,public_equities,") && l.contains(",mean_return,")
        })
        .expect("public equities' mean return in scenario 4");
    let cells: Vec<&str> = row.split(',').collect();
    assert!(
        ["core", "high-upside", "defensive", "avoid"].contains(&cells[5]),
        "{row}"
    );
    assert_eq!(cells[6], "", "{row}");
    assert!(long.contains(",asset,nvidia,"));
    assert!(long.contains("\ns02,2 to 5,\"normal(0.7, 0.2)\",asset,nvidia,"));
    assert!(!long.lines().skip(1).any(|l| l.contains(",profile,")));
    // Pivot-ready: Python's csv module reads every `value` as a float (or an empty cell).
    let check = "import csv, sys\n\
        rows = list(csv.DictReader(open(sys.argv[1], newline='')))\n\
        bad = [r['value'] for r in rows if r['value'] != '' and not float(r['value']) == float(r['value'])]\n\
        print(len(rows), len(bad))\n";
    let py = Command::new("python3")
        .args(["-c", check, sw.join("sweep.csv").to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&py.stdout).trim(),
        format!("{} 0", 6 * 13 * 30)
    );
    let wide = fs::read_to_string(sw.join("sweep_wide.csv")).unwrap();
    assert_eq!(wide.lines().count(), 1 + 6 * 13);
    assert!(wide.starts_with(
        "scenario,adoption.ceiling,sectors.education.elasticity,kind,name,label,group,mean_return,"
    ));
    // Common random numbers: education is not in any public equity's exposure except
    // Alphabet's, so Microsoft is the same, number for number, in s01, s02 and s03.
    let microsoft: Vec<String> = (1..=3)
        .map(|i| {
            fs::read_to_string(sw.join(format!("s0{i}/summary.csv")))
                .unwrap()
                .lines()
                .find(|l| l.starts_with("asset,microsoft,"))
                .unwrap()
                .rsplitn(3, ',')
                .nth(2)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(microsoft[0], microsoft[1]);
    assert_eq!(microsoft[1], microsoft[2]);
    // Rerunning replaces the sweep folder whole.
    let again = boomsim(
        dir.path(),
        &[
            "sweep",
            "--vary",
            "model.risk_free_rate=0.01",
            "--paths",
            "100",
            "--out",
            "sw",
        ],
    );
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(!sw.join("s02").exists());
}

#[test]
fn a_sweep_validates_every_scenario_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &["sweep", "--vary", "adoption.ceiling=3,-1", "--paths", "100"],
    );
    // A flag's value the model cannot take: a usage error.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("adoption.ceiling") && err.contains("must be > 0"),
        "{err}"
    );
    assert!(!dir.path().join("output").exists(), "nothing written");
    let out = boomsim(
        dir.path(),
        &["sweep", "--vary", "adoption.ceiling", "--paths", "100"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no `=`"));
}

#[test]
fn run_takes_several_models() {
    let dir = tempfile::tempdir().unwrap();
    let base = boomsim::model::DEFAULT_MODEL_TEXT;
    fs::write(dir.path().join("a.toml"), base).unwrap();
    fs::write(
        dir.path().join("b.toml"),
        base.replace("name = \"python-5x\"", "name = \"other\""),
    )
    .unwrap();
    let out = boomsim(
        dir.path(),
        &["run", "a.toml", "b.toml", "--paths", "300", "--out", "both"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("both/python-5x/summary.csv").is_file());
    assert!(dir.path().join("both/other/summary.csv").is_file());
}

#[test]
fn ctrl_c_stops_the_run_writes_nothing_and_keeps_the_earlier_result() {
    interrupt_keeps_the_earlier_result("-INT");
}

#[test]
fn sigterm_is_handled_like_ctrl_c() {
    // What `timeout`, Slurm and Kubernetes send.
    interrupt_keeps_the_earlier_result("-TERM");
}

fn interrupt_keeps_the_earlier_result(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let first = boomsim(dir.path(), &["run", "--paths", "300", "--out", "res"]);
    assert!(first.status.success());
    let before = fs::read(dir.path().join("res/summary.csv")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_boomsim"))
        .args(["run", "--paths", "2000000", "--out", "res"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(
        fs::read(dir.path().join("res/summary.csv")).unwrap(),
        before
    );
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["res".to_string()], "no staging folder left");
}

fn csvs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn shards_merged_equal_one_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let common = [
        "--paths",
        "3001",
        "--seed",
        "9",
        "--where",
        "adoption_multiple >= 5",
        "--samples",
    ];
    let single = boomsim(d, &[&["run", "--out", "single"][..], &common].concat());
    assert!(single.status.success());
    let want = csvs(&d.join("single"));
    // summary, adoption, sensitivity, distributions, precision, convergence, summary_where,
    // samples.
    assert_eq!(want.len(), 8);
    for n in [1usize, 2, 3, 5] {
        let mut dirs = Vec::new();
        for k in (1..=n).rev() {
            let out = format!("n{n}k{k}");
            let spec = format!("{k}/{n}");
            let r = boomsim(
                d,
                &[&["run", "--shard", &spec, "--out", &out][..], &common].concat(),
            );
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            dirs.push(out);
        }
        let merged = format!("merged{n}");
        let mut args = vec!["merge"];
        args.extend(dirs.iter().map(String::as_str));
        args.extend(["--out", &merged, "--threads", "1"]);
        let m = boomsim(d, &args);
        assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
        assert!(
            csvs(&d.join(&merged)) == want,
            "{n} shards differ from one run"
        );
    }
}

/// A sketched (constant-memory) run split into shards: each shard covers whole blocks of
/// 16,384 paths, and the merge replays the blocks in order, so the merged files are the
/// single sketched run's bytes. 150,000 paths in 4 shards: the third shard holds the end of
/// the 100,000 paths kept whole for sensitivity and samples, the fourth lies past them.
#[test]
fn sketched_shards_merged_equal_one_sketched_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let common = [
        "--paths",
        "150000",
        "--seed",
        "4",
        "--summary",
        "sketch",
        "--where",
        "adoption_multiple >= 5",
        "--samples",
    ];
    let single = boomsim(d, &[&["run", "--out", "single"][..], &common].concat());
    assert!(
        single.status.success(),
        "{}",
        String::from_utf8_lossy(&single.stderr)
    );
    let want = csvs(&d.join("single"));
    // summary, adoption, sensitivity, distributions, precision, convergence, summary_where,
    // samples.
    assert_eq!(want.len(), 8);
    let mut dirs = Vec::new();
    for k in [3, 1, 4, 2] {
        let out = format!("k{k}");
        let spec = format!("{k}/4");
        let r = boomsim(
            d,
            &[&["run", "--shard", &spec, "--out", &out][..], &common].concat(),
        );
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        dirs.push(out);
    }
    let manifest = |k: usize| fs::read_to_string(d.join(format!("k{k}/manifest.json"))).unwrap();
    assert!(manifest(3).contains("\"summary\": \"sketch\""));
    assert!(manifest(3).contains("\"first_path\": 81920"));
    assert!(manifest(4).contains("\"first_path\": 114688"));
    assert!(manifest(4).contains("\"reservoir_paths\": 0"));
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--out", "merged"]);
    let m = boomsim(d, &args);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    assert!(
        csvs(&d.join("merged")) == want,
        "sketched shards differ from one run"
    );
    let method = fs::read_to_string(d.join("merged/manifest.json")).unwrap();
    assert!(method.contains("\"summary_method\": \"sketch"), "{method}");

    // A damaged sketch is named; shards of an exact and a sketched run do not mix.
    let err = |args: &[&str]| {
        let o = boomsim(d, args);
        assert_eq!(o.status.code(), Some(1));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let exact = boomsim(
        d,
        &[
            "run", "--shard", "2/4", "--out", "exact2", "--paths", "150000", "--seed", "4",
        ],
    );
    assert!(
        exact.status.success(),
        "{}",
        String::from_utf8_lossy(&exact.stderr)
    );
    let e = err(&["merge", "k1", "exact2", "k3", "k4"]);
    assert!(
        e.contains("summary method is exact, but k1's is sketch"),
        "{e}"
    );
    // One flipped byte of any state file, size unchanged, is named by its checksum (it used
    // to merge into different numbers with exit 0).
    for (dir, file) in [("k2", "sketch.bin"), ("k3", "reservoir.bin")] {
        let path = d.join(dir).join(file);
        let bytes = fs::read(&path).unwrap();
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 0x01;
        fs::write(&path, &flipped).unwrap();
        let e = err(&["merge", "k1", "k2", "k3", "k4"]);
        assert!(
            e.contains(&format!(
                "{dir}: {file} is damaged: its SHA-256 does not match"
            )),
            "{e}"
        );
        fs::write(&path, &bytes[..bytes.len() - 8]).unwrap();
        let e = err(&["merge", "k1", "k2", "k3", "k4"]);
        assert!(e.contains(&format!("{dir}: {file} is damaged")), "{e}");
        fs::write(&path, &bytes).unwrap();
    }
}

#[test]
fn shard_limits_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = |args: &[&str]| {
        let o = boomsim(d, args);
        // Flags that cannot go together: a usage error.
        assert_eq!(o.status.code(), Some(2));
        assert!(!d.join("out").exists(), "nothing is written");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = err(&[
        "run",
        "--paths",
        "20000",
        "--summary",
        "sketch",
        "--shard",
        "3/3",
        "--out",
        "out",
    ]);
    assert!(
        e.contains("a sketched run of 20000 paths has 2 blocks"),
        "{e}"
    );
    assert!(e.contains("help: run at most 2 shards"), "{e}");
    let e = err(&[
        "run",
        "--paths",
        "600000",
        "--summary",
        "exact",
        "--shard",
        "1/2",
        "--out",
        "out",
    ]);
    assert!(
        e.contains("more than the 512 MiB an exact merge keeps"),
        "{e}"
    );
    assert!(e.contains("help: leave out --summary exact"), "{e}");
}

#[test]
fn merge_refuses_shards_of_other_runs_and_names_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shard = |spec: &str, out: &str, extra: &[&str]| {
        let paths = if extra.is_empty() || extra[0] != "--paths" {
            &["--paths", "900"][..]
        } else {
            &[][..]
        };
        let r = boomsim(
            d,
            &[&["run", "--shard", spec, "--out", out][..], paths, extra].concat(),
        );
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    };
    shard("1/3", "a1", &[]);
    shard("2/3", "a2", &[]);
    shard("3/3", "a3", &[]);
    shard("2/3", "seed2", &["--seed", "2"]);
    shard("2/3", "paths", &["--paths", "901"]);
    shard(
        "2/3",
        "lhs",
        &["--sampling", "lhs", "--where", "adoption_multiple > 1"],
    );
    let err = |args: &[&str]| {
        let o = boomsim(d, args);
        assert_eq!(o.status.code(), Some(1));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    assert!(err(&["merge", "a1", "seed2", "a3"]).contains("its seed is 2, but a1's is 1"));
    assert!(err(&["merge", "a1", "paths", "a3"]).contains("its path count is 901"));
    // Mismatches in words, never Rust's debug text.
    let e = err(&["merge", "a1", "lhs", "a3"]);
    assert!(
        e.contains("its --where condition is \"adoption_multiple > 1\", but a1's is none"),
        "{e}"
    );
    assert!(!e.contains("Some(") && !e.contains('{'), "{e}");
    assert!(err(&["merge", "a1", "a3"]).contains("shard 2/3 missing"));
    assert!(err(&["merge", "a1", "a1", "a2", "a3"]).contains("given twice"));
    let single = boomsim(d, &["run", "--paths", "100", "--out", "plain"]);
    assert!(single.status.success());
    assert!(err(&["merge", "plain"]).contains("not a shard folder"));
    let state = d.join("a2/shard.bin");
    let bytes = fs::read(&state).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 3] ^= 0x40;
    fs::write(&state, &flipped).unwrap();
    assert!(err(&["merge", "a1", "a2", "a3"]).contains("a2: shard.bin is damaged"));
    fs::write(&state, b"short").unwrap();
    assert!(err(&["merge", "a1", "a2", "a3"]).contains("a2: shard.bin is damaged"));
    fs::write(&state, &bytes).unwrap();
    // An edited manifest (a shard that claims other paths) is refused by its own checksum.
    let manifest = d.join("a3/manifest.json");
    let text = fs::read_to_string(&manifest).unwrap();
    let edited = text.replacen("\"first_path\": ", "\"first_path\": 1", 1);
    assert_ne!(edited, text);
    fs::write(&manifest, edited).unwrap();
    assert!(
        err(&["merge", "a1", "a2", "a3"]).contains("a3: manifest.json is damaged or was edited")
    );
    fs::write(&manifest, text).unwrap();
    let ok = boomsim(d, &["merge", "a1", "a2", "a3", "--out", "whole"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for spec in ["4/3", "1-3", "0/3", "x"] {
        let o = boomsim(d, &["run", "--shard", spec]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "--shard {spec} is a bad flag value"
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("expected K/N"));
    }
}
