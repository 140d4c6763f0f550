//! Property tests (proptest) of what parses user input: random distribution strings built from
//! the grammar with extreme numbers (subnormals, 1e308, negatives, zeros), and random `--set`
//! mutations of the default model run for a few paths. Each must give a located error or
//! finite, sane results, never a panic, and in bounded time.

use std::time::{Duration, Instant};

use boomsim::distribution::Distribution;
use boomsim::engine::{EngineError, Hooks, RunConfig, simulate_paths};
use boomsim::model::DEFAULT_MODEL_TEXT;
use boomsim::model::{Override, parse_model_with};
use boomsim::output::first_non_finite;
use boomsim::stats::summary::summarise;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// `cases` cases from a fixed seed, so CI runs the same inputs every time (a failure is
/// reproducible from the log); set `PROPTEST_RNG_SEED` to explore other inputs by hand.
fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(cases);
    config.failure_persistence = None;
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(20_261_203);
    }
    config
}

/// Numbers a user might type, and the extremes a fuzzer would.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-10.0f64..10.0).prop_map(|x| format!("{x}")),
        (0.0f64..2.0).prop_map(|x| format!("{x}")),
        prop::sample::select(vec![
            "0",
            "-0",
            "1",
            "-1",
            "0.5",
            "2",
            "1e-3",
            "1e6",
            "1e12",
            "-1e12",
            "1e13",
            "1e308",
            "-1e308",
            "5e-324",
            "2.2e-308",
            "1e-12",
            "1e300",
            "0.1",
            "0.9999999",
            "3",
            "100",
        ])
        .prop_map(String::from),
    ]
}

fn leaf() -> impl Strategy<Value = String> {
    let n = number;
    prop_oneof![
        n(),
        (n(), n()).prop_map(|(a, b)| format!("{a} to {b}")),
        (n(), n()).prop_map(|(a, b)| format!("normal({a}, {b})")),
        (n(), n()).prop_map(|(a, b)| format!("lognormal({a}, {b})")),
        (n(), n()).prop_map(|(a, b)| format!("uniform({a}, {b})")),
        (n(), n(), n()).prop_map(|(a, b, c)| format!("triangular({a}, {b}, {c})")),
        (n(), n(), n()).prop_map(|(a, b, c)| format!("pert({a}, {b}, {c})")),
        (n(), n()).prop_map(|(a, b)| format!("beta({a}, {b})")),
        (n(), n()).prop_map(|(a, b)| format!("gamma({a}, {b})")),
        (n(), n(), n()).prop_map(|(a, b, c)| format!("student_t({a}, {b}, {c})")),
        (n(), n()).prop_map(|(a, b)| format!("pareto({a}, {b})")),
        n().prop_map(|a| format!("bernoulli({a})")),
        (n(), n()).prop_map(|(a, b)| format!("discrete({a}: 0.5, {b}: 0.5)")),
    ]
}

fn distribution() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), number(), number())
                .prop_map(|(d, lo, hi)| format!("{d} in [{lo}, {hi}]")),
            prop::collection::vec((number(), inner), 1..4).prop_map(|parts| {
                let parts: Vec<String> = parts.iter().map(|(w, d)| format!("{w}: {d}")).collect();
                format!("mix({})", parts.join(", "))
            }),
        ]
    })
}

const LEVELS: [f64; 7] = [1e-9, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0 - 1e-9];

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn distribution_strings_give_an_error_or_a_sane_distribution(text in distribution()) {
        let start = Instant::now();
        match Distribution::parse(&text) {
            Err(e) => prop_assert!(!e.message.is_empty() && !e.help.is_empty()),
            Ok(d) => {
                let (lo, hi) = d.support();
                let mut last = f64::NEG_INFINITY;
                for p in LEVELS {
                    let q = d.quantile(p);
                    prop_assert!(q.is_finite(), "{text}: q({p}) = {q}");
                    prop_assert!(q >= last, "{text}: q({p}) = {q} < {last}");
                    prop_assert!(lo <= q && q <= hi, "{text}: q({p}) = {q}");
                    last = q;
                    let c = d.cdf(q);
                    prop_assert!((0.0..=1.0).contains(&c), "{text}: cdf = {c}");
                }
                let mut rng = boomsim::random::path_rng(1, 0, boomsim::random::Stream::Boom);
                for _ in 0..32 {
                    let x = d.sample(&mut rng);
                    prop_assert!(x.is_finite() && lo <= x && x <= hi, "{text}: drew {x}");
                }
                if let Some((m, s)) = d.moments() {
                    prop_assert!(m.is_finite() && s.is_finite(), "{text}: {m} {s}");
                }
            }
        }
        prop_assert!(start.elapsed() < Duration::from_secs(5), "{text} took {:?}", start.elapsed());
    }
}

/// Keys of the default model a mutation may set.
const KEYS: [&str; 12] = [
    "adoption.ceiling",
    "adoption.rate",
    "adoption.volatility",
    "sectors.ml_ai.elasticity",
    "sectors.ml_ai.drift",
    "sectors.ml_ai.volatility",
    "sectors.cloud_infra.lag_years",
    "assets.nvidia.priced_in",
    "assets.nvidia.volatility",
    "assets.mlops_startup.failure_rate",
    "model.horizon_years",
    "model.steps_per_year",
];

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn model_mutations_give_a_located_error_an_overflow_error_or_finite_outputs(
        key in prop::sample::select(KEYS.to_vec()),
        value in prop_oneof![number(), distribution().prop_map(|d| format!("\"{d}\""))],
    ) {
        let start = Instant::now();
        let set = format!("{key}={value}");
        match parse_model_with(DEFAULT_MODEL_TEXT, "python-5x.toml", &Override::sets(std::slice::from_ref(&set))) {
            Err(e) => {
                let text = e.to_string();
                prop_assert!(text.contains(key) || text.contains("--set"), "{set}: {text}");
            }
            Ok((model, _)) => {
                // Keep a case fast: long grids are valid but slow.
                if model.steps() <= 400 {
                    let config = RunConfig { paths: 64, seed: 1, threads: Some(1), ..Default::default() };
                    match simulate_paths(&model, &config, None, &Hooks::default()) {
                        Err(EngineError::Overflow(o)) => prop_assert!(!o.to_string().is_empty()),
                        Err(e) => prop_assert!(false, "{set}: {e}"),
                        Ok(sim) => {
                            // Every path is finite (else Overflow above), so its quantiles are;
                            // a sum may still overflow, which a run refuses by cell.
                            let rows = summarise(&model, &sim);
                            for r in &rows {
                                prop_assert!(
                                    [r.p05, r.p50, r.p95, r.cvar95].iter().all(|x| x.is_finite()),
                                    "{set}: {}", r.name
                                );
                            }
                            let _ = first_non_finite(&rows);
                        }
                    }
                }
            }
        }
        prop_assert!(start.elapsed() < Duration::from_secs(20), "{set} took {:?}", start.elapsed());
    }
}

/// A `--where` condition built from its grammar's pieces and from others it does not have
/// (`or`, `||`, `=<`), with extreme numbers: a located error or a condition that evaluates,
/// never a panic.
fn condition() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "adoption_multiple",
        "baseline_adoption_multiple",
        "adoption.ceiling",
        "sectors.ml_ai.elasticity",
        "adoption.celing",
        "",
        "x y",
    ]);
    let op = prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!=", "=", "=<", "<>", ""]);
    let join = prop::sample::select(vec![
        " and ",
        " AND ",
        " or ",
        " || ",
        " && ",
        " ",
        " and and ",
    ]);
    let clause = (name, op, number()).prop_map(|(n, o, x)| format!("{n} {o} {x}"));
    (prop::collection::vec(clause, 1..4), join).prop_map(|(clauses, join)| clauses.join(join))
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn any_condition_parses_or_is_refused_by_name(text in condition()) {
        let parameters = vec![
            "adoption.ceiling".to_string(),
            "sectors.ml_ai.elasticity".to_string(),
        ];
        match boomsim::engine::condition::Condition::parse(&text, &parameters, true) {
            Ok(c) => {
                let _ = c.holds(&[1.0, 2.0], 3.0, 1.0);
                prop_assert!(!c.clauses.is_empty());
            }
            Err(e) => {
                prop_assert!(!e.message.is_empty() && !e.help.is_empty(), "{e:?}");
            }
        }
    }
}
