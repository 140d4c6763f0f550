//! Each summary phase of an exact run, on the default model and on the large benchmark model
//! (`benches/models/large.toml`: 20 sectors, 60 assets in 4 groups, 100 uncertain
//! parameters), at 20,000, 100,000 and 400,000 paths, on every core: how the cost of the
//! summaries grows with paths and with model size (docs/performance.md, "Summaries").
//!
//! `cargo bench --bench summaries` runs them all; a filter picks some, e.g.
//! `cargo bench --bench summaries -- large/100000`. Each (model, paths) is simulated once, on
//! first use, outside the timings.

use std::cell::OnceCell;

use boomsim::engine::{Accumulator, RunConfig, Simulation, simulate};
use boomsim::model::{DEFAULT_MODEL_TEXT, Model, parse_model};
use boomsim::stats::precision::{convergence, precision};
use boomsim::stats::sensitivity::sensitivity;
use boomsim::stats::summariser::{Exact, Summariser};
use boomsim::stats::summary::{adoption_fan, distributions, summarise};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The path counts each phase is timed at.
const PATHS: [usize; 3] = [20_000, 100_000, 400_000];

fn large_model() -> Model {
    let text =
        std::fs::read_to_string("benches/models/large.toml").expect("benches/models/large.toml");
    parse_model(&text, "large.toml").expect("large model")
}

fn phases(c: &mut Criterion) {
    let models = [
        (
            "default",
            parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model"),
        ),
        ("large", large_model()),
    ];
    for (name, model) in &models {
        for paths in PATHS {
            let sim: OnceCell<Simulation> = OnceCell::new();
            let paths_of = || {
                sim.get_or_init(|| {
                    let config = RunConfig {
                        paths,
                        seed: 1,
                        threads: None,
                        ..Default::default()
                    };
                    simulate(model, &config).expect("pool")
                })
            };
            let mut group = c.benchmark_group(format!("{name}/{paths}"));
            group.throughput(Throughput::Elements(paths as u64));
            group.sample_size(10);
            group.bench_function("summary", |b| {
                let sim = paths_of();
                b.iter(|| summarise(model, sim))
            });
            group.bench_function("sensitivity", |b| {
                let sim = paths_of();
                b.iter(|| sensitivity(model, sim))
            });
            group.bench_function("distributions", |b| {
                let sim = paths_of();
                b.iter(|| distributions(model, sim))
            });
            group.bench_function("adoption_fan", |b| {
                let sim = paths_of();
                b.iter(|| adoption_fan(model, sim))
            });
            group.bench_function("precision", |b| {
                let sim = paths_of();
                let rows = summarise(model, sim);
                b.iter(|| precision(model, sim, &rows, sim.paths, Default::default()))
            });
            group.bench_function("convergence", |b| {
                let sim = paths_of();
                b.iter(|| convergence(model, sim))
            });
            // Everything an exact run computes after its simulation, in one pass per entity.
            group.bench_function("finish", |b| {
                let sim = paths_of();
                b.iter_batched(
                    || {
                        let mut kept = Box::new(Exact::new(sim.paths));
                        kept.absorb(sim.clone());
                        kept
                    },
                    |kept| kept.finish(model, None, Default::default()),
                    criterion::BatchSize::LargeInput,
                )
            });
            group.finish();
        }
    }
}

criterion_group!(benches, phases);
criterion_main!(benches);
