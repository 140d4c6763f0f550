//! Throughput of the engine on the default model (one fixed seed, xoshiro256++ streams):
//! paths per second at one thread and at every core; the floor (drawing only the standard
//! normals one path needs); each stage of a path on its own (parameters, shocks, adoption,
//! sectors, assets, outcomes, baseline), with the portable and the AVX2 kernel; and the
//! post-processing (summary, sensitivity, adoption fan, distributions).
//! Run with `cargo bench --bench engine`; the README quotes the figures.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_distr::{Distribution, StandardNormal};

use std::time::{Duration, Instant};

use boomsim::engine::{Isa, PathSimulator, RunConfig, Stage, simulate};
use boomsim::model::DEFAULT_MODEL_TEXT;
use boomsim::model::Model;
use boomsim::model::parse_model;
use boomsim::random::{Stream, parameter_id, parameter_rng, path_rng};
use boomsim::stats::sensitivity::sensitivity;
use boomsim::stats::summary::{adoption_fan, distributions, summarize};

const PATHS: usize = 20_000;
/// Paths per iteration of the per-stage benchmarks.
const STAGE_PATHS: usize = 2_000;

/// Runs `STAGE_PATHS` whole paths on `isa`, timing only `timed` (or every stage for `None`):
/// each stage sees the real data of its path.
fn time_stage(model: &Model, isa: Isa, timed: Option<Stage>, iters: u64) -> Duration {
    let sim = PathSimulator::new(model, Default::default()).with_isa(isa);
    let mut scratch = sim.scratch();
    let mut outputs = sim.outputs();
    let mut out = outputs.record();
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        for path in 0..STAGE_PATHS as u64 {
            for stage in Stage::ALL {
                if timed.is_none_or(|t| t == stage) {
                    let start = Instant::now();
                    sim.run_stage(stage, 1, path, None, &mut scratch, &mut out);
                    total += start.elapsed();
                } else {
                    sim.run_stage(stage, 1, path, None, &mut scratch, &mut out);
                }
            }
        }
    }
    total
}

/// One thread: a whole path and each of its stages, on the portable and (where the CPU has
/// it) the AVX2 kernel.
fn path_stages(c: &mut Criterion) {
    let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
    let mut group = c.benchmark_group("path_stages");
    group.throughput(Throughput::Elements(STAGE_PATHS as u64));
    group.sample_size(10);
    let isas: Vec<Isa> = [Isa::Portable, Isa::Avx2]
        .into_iter()
        .filter(|isa| isa.available())
        .collect();
    for isa in isas {
        let label = format!("{isa:?}").to_lowercase();
        group.bench_function(format!("{label}/whole_path"), |b| {
            b.iter_custom(|iters| time_stage(&model, isa, None, iters))
        });
        for stage in Stage::ALL {
            group.bench_function(format!("{label}/{}", stage.name()), |b| {
                b.iter_custom(|iters| time_stage(&model, isa, Some(stage), iters))
            });
        }
    }
    group.finish();
}

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

criterion_group!(benches, default_model, path_stages);
criterion_main!(benches);
