//! Every output byte, pinned: runs the default model and a second model with a baseline through
//! every route (exact and sketched runs, `--where`, `--samples`, shards and their merge, a
//! sweep) and compares the SHA-256 of every CSV and state file with the committed list in
//! `tests/data/same_bytes.sha256`. A change that moves any output byte fails here; a change
//! meant to move them (a new column, a new random stream) re-blesses the list with
//! `BOOMSIM_BLESS=1 cargo test --release --test output_same_bytes` and says why in its commit.
//!
//! `manifest.json` and `report.html` hold the date and the elapsed time, so they are not
//! hashed; the shard manifests' checksums of their state files are covered by hashing those
//! files.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::boomsim;
use sha2::{Digest, Sha256};

/// A model with a bass baseline, lags, correlation, a failure rate and weights.
const SECOND: &str = r#"
[model]
name = "second"
horizon_years = 6
steps_per_year = 12
risk_free_rate = 0.02
expected_return = 0.06

[adoption]
process = "bass"
ceiling = "2 to 6"
p = 0.03
q = "pert(0.2, 0.38, 0.6)"
volatility = 0.15

[baseline]
process = "gbm"
log_drift = "normal(0.03, 0.02)"

[sectors.tools]
elasticity = "normal(1.1, 0.3)"
lag_years = 0.5
drift = 0.02
volatility = 0.2

[sectors.cloud]
elasticity = "triangular(0.2, 0.6, 1.2)"
volatility = 0.15

[correlation]
default = 0.4

[groups.listed]
[groups.venture]

[assets.big]
group = "listed"
exposure = { tools = 0.3, cloud = 0.4 }
other_growth = 0.03
priced_in = "0.05 to 0.12"
volatility = 0.25

[assets.mid]
group = "listed"
exposure = { cloud = 0.8 }
priced_in = "uniform(0.02, 0.08)"
volatility = 0.3
weight = 2

[assets.seed]
group = "venture"
exposure = { tools = 1.0 }
priced_in = 0.2
volatility = 0.6
failure_rate = "beta(2, 20)"
"#;

fn run(dir: &Path, args: &[&str]) {
    let out = boomsim(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every CSV and state file under `dir`, relative path and SHA-256, sorted by path.
fn hashes(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".csv") || name.ends_with(".bin") {
                let digest = Sha256::digest(fs::read(&path).unwrap());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                let rel = path.strip_prefix(root).unwrap().to_string_lossy();
                out.push((rel.replace('\\', "/"), hex));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn every_output_file_keeps_its_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("second.toml"), SECOND).unwrap();
    let base = ["--paths", "1500", "--seed", "3", "--threads", "2"];
    let with = |extra: &[&'static str]| -> Vec<&str> { [&base[..], extra].concat() };
    run(
        d,
        &[
            &["run", "--out", "out/default", "--samples"][..],
            &with(&["--where", "adoption_multiple >= 5"]),
        ]
        .concat(),
    );
    run(
        d,
        &[
            &["run", "second.toml", "--out", "out/second", "--samples"][..],
            &with(&["--where", "baseline_adoption_multiple < 1.3"]),
        ]
        .concat(),
    );
    run(
        d,
        &[
            &[
                "run",
                "second.toml",
                "--out",
                "out/sketch",
                "--summary",
                "sketch",
            ][..],
            &with(&["--samples"]),
        ]
        .concat(),
    );
    for k in 1..=3 {
        let spec = format!("{k}/3");
        let out = format!("shards/s{k}");
        run(
            d,
            &[
                &["run", "second.toml", "--shard", &spec, "--out", &out][..],
                &base,
            ]
            .concat(),
        );
    }
    run(
        d,
        &[
            "merge",
            "shards/s1",
            "shards/s2",
            "shards/s3",
            "--out",
            "out/merged",
        ],
    );
    // Sketched shards: whole blocks of 16,384 paths each.
    let sketched = ["--paths", "40000", "--seed", "4", "--summary", "sketch"];
    for k in 1..=2 {
        let spec = format!("{k}/2");
        let out = format!("shards/k{k}");
        run(
            d,
            &[
                &["run", "second.toml", "--shard", &spec, "--out", &out][..],
                &sketched,
            ]
            .concat(),
        );
    }
    run(
        d,
        &[
            "merge",
            "shards/k2",
            "shards/k1",
            "--out",
            "out/merged-sketch",
        ],
    );
    run(
        d,
        &[
            &[
                "sweep",
                "--out",
                "out/sweep",
                "--vary",
                "adoption.ceiling=\"2 to 5\",\"5 to 10\"",
            ][..],
            &["--vary", "sectors.ml_ai.elasticity=0.8,1.6"],
            &base,
        ]
        .concat(),
    );
    let mut got = hashes(&d.join("out"));
    got.extend(
        hashes(&d.join("shards"))
            .into_iter()
            .map(|(p, h)| (format!("shards/{p}"), h)),
    );
    let text: String = got.iter().map(|(p, h)| format!("{h}  {p}\n")).collect();
    let pinned = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/same_bytes.sha256");
    if std::env::var_os("BOOMSIM_BLESS").is_some() {
        fs::create_dir_all(pinned.parent().unwrap()).unwrap();
        fs::write(&pinned, &text).unwrap();
        return;
    }
    let want = fs::read_to_string(&pinned).expect("tests/data/same_bytes.sha256");
    let differ: Vec<&str> = text
        .lines()
        .zip(want.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a)
        .collect();
    assert!(
        text == want,
        "output bytes moved ({} of {} files differ, first: {:?}); if intended, rerun with BOOMSIM_BLESS=1 and say why in the commit",
        differ
            .len()
            .max(text.lines().count().abs_diff(want.lines().count())),
        want.lines().count(),
        differ.first()
    );
}

/// The run folder's CSV files of the default model with the kernel forced onto instruction
/// set `isa` (BOOMSIM_ISA).
fn run_on(isa: &str) -> Vec<(String, String)> {
    run_with(&[], &[("BOOMSIM_ISA", isa)])
}

/// The run folder's CSV files of `boomsim run` of the default model (or the model file named
/// in `extra`, written from [`SECOND`] as `second.toml`) with `extra` arguments and `env`.
fn run_with(extra: &[&str], env: &[(&str, &str)]) -> Vec<(String, String)> {
    let run = [
        "run",
        "--paths",
        "3000",
        "--seed",
        "11",
        "--samples",
        "--out",
        "o",
        "--where",
        "adoption_multiple > 4",
    ];
    folder_hashes(&[&run[..], extra].concat(), env, "o")
}

/// Runs boomsim with `args` and `env` in a fresh folder holding `second.toml` ([`SECOND`]),
/// and returns the hashes of the output folder `out` it writes there.
fn folder_hashes(args: &[&str], env: &[(&str, &str)], out: &str) -> Vec<(String, String)> {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("second.toml"), SECOND).unwrap();
    let done = std::process::Command::new(env!("CARGO_BIN_EXE_boomsim"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    hashes(&tmp.path().join(out))
}

#[test]
fn every_instruction_set_writes_the_same_bytes() {
    use boomsim::engine::Isa;
    let portable = run_on("portable");
    assert_eq!(portable.len(), 8);
    for isa in [Isa::Avx2, Isa::Avx512] {
        if isa.available() {
            assert_eq!(run_on(isa.name()), portable, "{isa:?}");
        } else {
            eprintln!("{isa:?} not available on this CPU: not compared");
        }
    }
}

/// glibc picks the code of `exp`, `log`, `pow` and the rest by CPU when a program starts: a
/// variant using fused multiply-add where the CPU has it, another where it does not, and their
/// last bits differ (about one result in a hundred). boomsim takes every such function from
/// the `libm` crate or its own polynomials instead, so a CPU without FMA writes the same bytes.
/// This runs the default model (normal and lognormal draws; plain and Latin hypercube; exact
/// and sketched), the second model (PERT, beta, triangular, uniform and normal draws, plain
/// and Latin hypercube, whose quantiles invert the beta CDF) and `allocate`, each natively and with glibc told to ignore AVX, AVX2, AVX-512 and FMA
/// (`GLIBC_TUNABLES=glibc.cpu.hwcaps=...`, glibc 2.33 or later; other C libraries ignore it,
/// and then the two runs are trivially equal). Before the change, adoption.csv and
/// precision.csv of the default model differed in their last digits, and samples.csv of the
/// second model's Latin hypercube run while its quantiles inverted statrs's beta CDF.
#[test]
fn the_c_librarys_cpu_specific_code_changes_no_byte() {
    let without_fma = [(
        "GLIBC_TUNABLES",
        "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4,-AVX512F,-AVX",
    )];
    // Whether the tunable reaches glibc here: its loader reports the "haswell" platform (AVX2
    // and FMA) natively and the plain x86_64 one under the tunable.
    let platform = |env: &[(&str, &str)]| {
        std::process::Command::new("/lib64/ld-linux-x86-64.so.2")
            .arg("--list-diagnostics")
            .envs(env.iter().copied())
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .find_map(|l| l.strip_prefix("dl_platform=").map(str::to_string))
            })
    };
    match platform(&[]) {
        Some(native) if native.contains("haswell") => {
            let told = platform(&without_fma);
            assert!(
                told.as_deref().is_some_and(|p| !p.contains("haswell")),
                "GLIBC_TUNABLES had no effect: {told:?}"
            );
        }
        other => eprintln!(
            "glibc's loader reports {other:?}: no FMA variant to switch off here, so the runs \
             below are compared on one variant"
        ),
    }
    for extra in [
        &[][..],
        &["--sampling", "lhs"][..],
        &["--summary", "sketch"][..],
        &["second.toml"][..],
        &["second.toml", "--sampling", "lhs"][..],
    ] {
        let native = run_with(extra, &[]);
        assert_eq!(run_with(extra, &without_fma), native, "{extra:?}");
    }
    // The allocation's linear programs (clarabel) on its own paths.
    let allocate = |env: &[(&str, &str)]| {
        let args = [
            "allocate",
            "--paths",
            "2000",
            "--test-paths",
            "4000",
            "--out",
            "a",
        ];
        folder_hashes(&args, env, "a")
    };
    assert_eq!(allocate(&without_fma), allocate(&[]), "allocate");
}
