//! Reproducibility (docs/model.md §3): a path's numbers depend only on (seed, path index), so the
//! CSV files (summary, adoption, sensitivity, summary_where, samples) are byte-identical for
//! any thread count; and the baseline uses common random numbers, so adding it changes no
//! boom number.

mod common;

use boomsim::engine::condition::Condition;
use boomsim::engine::{Hooks, RunConfig, simulate, simulate_paths, thread_pool};
use boomsim::model::DEFAULT_MODEL_TEXT;
use boomsim::model::Model;
use boomsim::output::{
    AdoptionCsv, DistributionsCsv, Export, Manifest, PrecisionCsv, RunResults, SamplesCsv,
    SensitivityCsv, SummaryCsv, SummaryWhereCsv, render,
};
use boomsim::stats::precision::{convergence, precision};
use boomsim::stats::sensitivity::sensitivity;
use boomsim::stats::summariser::{ConditionalSummary, Summaries};
use boomsim::stats::summary::{adoption_fan, distributions, summarise, summarise_paths};
use common::{model, row, run};

/// The bytes of every CSV file of a run (samples and a condition included).
fn csv_bytes(m: &Model, paths: usize, seed: u64, threads: usize) -> Vec<Vec<u8>> {
    let parameters: Vec<String> = m
        .uncertain_parameters()
        .into_iter()
        .map(|p| p.path)
        .collect();
    let condition = Condition::parse("adoption_multiple >= 5", &parameters, true).unwrap();
    let pool = thread_pool(Some(threads)).unwrap();
    pool.install(|| {
        let sim = simulate_paths(
            m,
            &RunConfig {
                paths,
                seed,
                ..Default::default()
            },
            Some(&condition),
            &Hooks::default(),
        )
        .unwrap();
        let paths_met = sim.condition.as_ref().unwrap();
        let summaries = Summaries {
            rows: summarise(m, &sim),
            fan: adoption_fan(m, &sim),
            distributions: distributions(m, &sim),
            sensitivity: sensitivity(m, &sim),
            precision: precision(m, &sim, &summarise(m, &sim), sim.paths, Default::default()),
            convergence: convergence(m, &sim),
            conditional: Some(ConditionalSummary {
                condition: condition.text.clone(),
                matched: paths_met.count(),
                rows: summarise_paths(m, &sim, Some(&paths_met.matches), &paths_met.step_returns),
            }),
            method: "exact".into(),
            kept: sim,
        };
        let sim = &summaries.kept;
        let report = RunResults {
            model: m,
            summaries: &summaries,
            samples: true,
            samples_format: Default::default(),
            manifest: Manifest {
                boomsim_version: "test",
                command: "run",
                model_name: m.name.clone(),
                model_path: String::new(),
                model_sha256: String::new(),
                seed,
                paths,
                steps: sim.steps,
                summary_method: "exact".into(),
                created: String::new(),
                sampling: Default::default(),
                threads,
                elapsed_seconds: 0.0,
                command_line: vec![],
                samples: true,
                samples_format: Default::default(),
                condition: None,
                condition_matched: None,
                stopping: None,
                profile_thresholds: boomsim::stats::summary::Thresholds::of(m),
                expected_return: m.expected_return,
                paths_kept_whole: paths,
                allocate_command: String::new(),
            },
        };
        let exports: [&dyn Export; 7] = [
            &SummaryCsv,
            &AdoptionCsv,
            &SensitivityCsv,
            &SummaryWhereCsv,
            &SamplesCsv,
            &DistributionsCsv,
            &PrecisionCsv,
        ];
        exports
            .iter()
            .map(|e| render(*e, &report).unwrap())
            .collect()
    })
}

#[test]
fn csv_files_are_byte_identical_for_one_and_two_threads() {
    let m = model(DEFAULT_MODEL_TEXT);
    // Not a multiple of the chunk size, so the last chunk is partial.
    let one = csv_bytes(&m, 3_001, 9, 1);
    let two = csv_bytes(&m, 3_001, 9, 2);
    let four = csv_bytes(&m, 3_001, 9, 4);
    assert!(one == two && two == four, "thread count changed the output");
    let other_seed = csv_bytes(&m, 3_001, 10, 2);
    assert_ne!(one[0], other_seed[0], "the seed must matter");
}

#[test]
fn a_path_does_not_depend_on_how_many_paths_run() {
    let m = model(DEFAULT_MODEL_TEXT);
    let few = simulate(
        &m,
        &RunConfig {
            paths: 10,
            seed: 4,
            threads: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let many = simulate(
        &m,
        &RunConfig {
            paths: 1_000,
            seed: 4,
            threads: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    let (few_uplift, many_uplift) = (few.uplift.as_ref().unwrap(), many.uplift.as_ref().unwrap());
    for k in 0..few.entities {
        assert_eq!(
            few.total_return.column(k),
            &many.total_return.column(k)[..10]
        );
        assert_eq!(few_uplift.column(k), &many_uplift.column(k)[..10]);
    }
}

const GBM: &str = r#"
[model]
name = "crn"
horizon_years = 4
steps_per_year = 4
[adoption]
process = "gbm"
log_drift = "normal(0.2, 0.05)"
volatility = 0.2
BASELINE
[sectors.s]
elasticity = "normal(1.2, 0.2)"
volatility = 0.1
[groups.g]
[assets.a]
group = "g"
exposure = { s = 1.0 }
volatility = 0.3
failure_rate = 0.05
"#;

#[test]
fn adding_a_baseline_changes_no_boom_number() {
    let plain = model(&GBM.replace("BASELINE", ""));
    let with = model(&GBM.replace("BASELINE", "[baseline]\nlog_drift = \"normal(0.05, 0.02)\""));
    let (a, _) = run(&plain, 2_000, 8);
    let (b, _) = run(&with, 2_000, 8);
    assert_eq!(a.total_return, b.total_return);
    assert_eq!(a.adoption, b.adoption);
    assert!(b.uplift.is_some() && a.uplift.is_none());
}

#[test]
fn a_baseline_equal_to_the_boom_has_zero_uplift_on_every_path() {
    // Overriding volatility with the same constant: same draws, same shocks, same values.
    let m = model(&GBM.replace("BASELINE", "[baseline]\nvolatility = 0.2"));
    let (sim, rows) = run(&m, 2_000, 8);
    assert!(sim.uplift.unwrap().values().iter().all(|&u| u == 0.0));
    assert_eq!(row(&rows, "a").uplift_mean, Some(0.0));
    assert_eq!(row(&rows, "a").prob_uplift, Some(0.0));
    assert_eq!(sim.adoption, sim.baseline_adoption.unwrap());
}

#[test]
fn common_random_numbers_make_the_uplift_exact_per_path() {
    // Constant drifts 0.2 vs 0.05 and no lag: on every surviving path the baseline value is the
    // boom value times exp(-beta * 0.15 * H), beta drawn once per path and shared.
    let text = GBM
        .replace("log_drift = \"normal(0.2, 0.05)\"", "log_drift = 0.2")
        .replace("elasticity = \"normal(1.2, 0.2)\"", "elasticity = 1.5")
        .replace("BASELINE", "[baseline]\nlog_drift = 0.05");
    let m = model(&text);
    let (sim, _) = run(&m, 1_000, 8);
    let factor = 1.0 - libm::exp(-1.5f64 * 0.15 * 4.0);
    let uplift = sim.uplift.as_ref().unwrap().column(1);
    for (path, (&r, &u)) in sim.total_return.column(1).iter().zip(uplift).enumerate() {
        assert!(
            (u - (1.0 + r) * factor).abs() < 1e-9,
            "path {path}: uplift {u}, return {r}"
        );
    }
}

/// Every path's outputs, bit for bit, run on instruction set `isa`.
fn path_bits(m: &Model, isa: boomsim::engine::Isa, paths: u64) -> Vec<u64> {
    let sim = boomsim::engine::PathSimulator::new(m, Default::default()).with_isa(isa);
    let mut scratch = sim.scratch();
    let mut out = sim.outputs();
    let mut bits = Vec::new();
    for path in 0..paths {
        sim.simulate(3, path, None, &mut scratch, out.record());
        let o = &out;
        let values = o.quantities();
        let moments = o
            .step_returns
            .iter()
            .flat_map(|s| [s.mean, s.m2, s.downside_sq]);
        let all = values.into_iter().flatten().copied().chain(moments);
        bits.extend(all.map(f64::to_bits));
    }
    bits
}

#[test]
fn every_instruction_set_gives_the_portable_kernels_bits() {
    use boomsim::engine::Isa;
    let m: Model = boomsim::model::parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").unwrap();
    let portable = path_bits(&m, Isa::Portable, 300);
    // Outcomes, uplifts, both adoption series, draws and step-return moments of every path.
    assert!(portable.len() > 300 * 100);
    for isa in [Isa::Avx2, Isa::Avx512] {
        if isa.available() {
            assert_eq!(portable, path_bits(&m, isa, 300), "{isa:?}");
        } else {
            eprintln!("{isa:?} not available here: not compared");
        }
    }
    assert!(Isa::detect().available());
}
