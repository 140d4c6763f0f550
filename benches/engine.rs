//! Throughput of the engine on the default model (one fixed seed, xoshiro256++ streams):
//! paths per second at one thread and at every core; the floor (drawing only the standard
//! normals one path needs); the parameter draws alone; and the summary and sensitivity.
//! Run with `cargo bench --bench engine`; the README quotes the figures.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_distr::{Distribution, StandardNormal};

use boomsim::engine::{RunConfig, Stream, parameter_id, parameter_rng, path_rng, simulate};
use boomsim::model::parse_model;
use boomsim::run::DEFAULT_MODEL_TEXT;
use boomsim::sensitivity::sensitivity;
use boomsim::summary::{adoption_fan, distributions, summarize};

const PATHS: usize = 20_000;

fn default_model(c: &mut Criterion) {
    let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("default_model");
    group.throughput(Throughput::Elements(PATHS as u64));
    group.sample_size(10);

    // The floor: the standard normals of T steps for adoption, each sector and each asset.
    let normals = model.steps() * (1 + model.sectors.len() + model.assets.len());
    group.bench_function("floor_normals_1_thread", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for path in 0..PATHS as u64 {
                let mut rng = path_rng(1, path, Stream::Boom);
                for _ in 0..normals {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    sum += z;
                }
            }
            sum
        })
    });

    // Stage: every parameter's draw from its own stream.
    let parameters: Vec<_> = model
        .parameters()
        .into_iter()
        .map(|p| (parameter_id(&p.path), p.distribution.clone()))
        .collect();
    group.bench_function("parameter_draws_1_thread", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for path in 0..PATHS as u64 {
                for (id, d) in &parameters {
                    sum += d.sample(&mut parameter_rng(1, path, *id));
                }
            }
            sum
        })
    });

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
    group.bench_function("sensitivity", |b| b.iter(|| sensitivity(&model, &sim)));
    group.bench_function("adoption_fan", |b| b.iter(|| adoption_fan(&model, &sim)));
    group.bench_function("distributions", |b| b.iter(|| distributions(&model, &sim)));
    group.finish();
}

criterion_group!(benches, default_model);
criterion_main!(benches);
