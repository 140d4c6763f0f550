//! Throughput of the engine on the default model: paths per second at one thread and at every
//! core. Run with `cargo bench --bench engine`; the README quotes the figures.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use boomsim::engine::{RunConfig, simulate};
use boomsim::model::parse_model;
use boomsim::run::DEFAULT_MODEL_TEXT;
use boomsim::summary::summarize;

const PATHS: usize = 20_000;

fn default_model(c: &mut Criterion) {
    let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("default_model");
    group.throughput(Throughput::Elements(PATHS as u64));
    group.sample_size(10);
    for threads in [1, cores] {
        let config = RunConfig {
            paths: PATHS,
            seed: 1,
            threads: Some(threads),
            ..Default::default()
        };
        group.bench_function(format!("simulate_{threads}_threads"), |b| {
            b.iter(|| simulate(&model, &config).expect("pool"))
        });
    }
    let sim = simulate(
        &model,
        &RunConfig {
            paths: PATHS,
            seed: 1,
            threads: None,
            ..Default::default()
        },
    )
    .expect("pool");
    group.bench_function("summarize", |b| b.iter(|| summarize(&model, &sim)));
    group.finish();
}

criterion_group!(benches, default_model);
criterion_main!(benches);
