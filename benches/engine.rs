//! Throughput of the engine on the default model (one fixed seed, xoshiro256++ streams):
//! paths per second at one thread and at every core; the scalar floor (rand_distr's ziggurat
//! drawing the standard normals one path needs) and the lane generator's normals; the kernel
//! run up to each stage (parameters, shocks, adoption, sectors, assets, outcomes, baseline) on
//! every instruction set this CPU has; and the post-processing (summary, sensitivity, adoption
//! fan, distributions), the order statistics of one 200,000-path column by quickselect and by
//! counting, and everything an exact 200,000-path run computes after its simulation.
//! Run with `cargo bench --bench engine`; the README quotes the figures.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_distr::{Distribution, StandardNormal};

use std::hint::black_box;
use std::time::{Duration, Instant};

use boomsim::engine::Accumulator;
use boomsim::engine::shocks::LaneRng;
use boomsim::engine::{Isa, PathSimulator, RunConfig, Stage, W, simulate};
use boomsim::model::DEFAULT_MODEL_TEXT;
use boomsim::model::Model;
use boomsim::model::parse_model;
use boomsim::random::{Stream, parameter_id, parameter_rng, path_rng};
use boomsim::stats::order::centred_ranks_and_order_statistics;
use boomsim::stats::quantile::{quantile_sorted, quantiles_counted, quantiles_selected};
use boomsim::stats::sensitivity::sensitivity;
use boomsim::stats::summariser::{Exact, Summariser};
use boomsim::stats::summary::{FAN_QUANTILES, adoption_fan, distributions, summarise};

const PATHS: usize = 20_000;
/// Paths per iteration of the per-stage benchmarks.
const STAGE_PATHS: usize = 2_000;

/// Runs `STAGE_PATHS` paths on `isa` in batches of W, up to and including stage `last`.
fn run_until(model: &Model, isa: Isa, last: Stage, iters: u64) -> Duration {
    let sim = PathSimulator::new(model, Default::default()).with_isa(isa);
    let mut scratch = sim.scratch();
    let mut batch = sim.batch();
    let start = Instant::now();
    for _ in 0..iters {
        for first in (0..STAGE_PATHS as u64).step_by(W) {
            sim.simulate_until(last, 1, first, None, &mut scratch, &mut batch);
        }
    }
    start.elapsed()
}

/// One thread: paths run up to each stage in turn (so a stage's cost is the difference from
/// the one before: the kernel walks the grid once, with every stage inside the step loop),
/// on every instruction set this CPU has.
fn path_stages(c: &mut Criterion) {
    let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
    let mut group = c.benchmark_group("path_stages");
    group.throughput(Throughput::Elements(STAGE_PATHS as u64));
    group.sample_size(10);
    for isa in Isa::ALL.into_iter().filter(|isa| isa.available()) {
        for stage in Stage::ALL {
            group.bench_function(format!("{}/until_{}", isa.name(), stage.name()), |b| {
                b.iter_custom(|iters| run_until(&model, isa, stage, iters))
            });
        }
    }
    group.finish();
}

/// The lane generator alone: the standard normals one path needs (T x (1 + S + A)), W paths
/// at a time, on every instruction set.
fn normals(c: &mut Criterion) {
    let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
    let per_path = model.steps() * (1 + model.sectors.len() + model.assets.len());
    let mut group = c.benchmark_group("normals");
    group.throughput(Throughput::Elements((STAGE_PATHS * per_path) as u64));
    group.sample_size(10);
    for isa in Isa::ALL.into_iter().filter(|isa| isa.available()) {
        group.bench_function(format!("{}/box_muller", isa.name()), |b| {
            b.iter(|| {
                let mut buffer = vec![[0.0; W]; per_path];
                let mut sum = 0.0;
                for first in (0..STAGE_PATHS as u64).step_by(W) {
                    let paths = std::array::from_fn(|i| first + i as u64);
                    let mut rng = LaneRng::new(1, paths, Stream::Boom);
                    isa.run(
                        #[inline(always)]
                        // The sign as the kernel has it: known only at run time.
                        || rng.fill_normals(black_box([1.0; W]), &mut buffer),
                    );
                    sum += buffer[per_path - 1][0];
                }
                sum
            })
        });
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
    group.bench_function("summarise", |b| b.iter(|| summarise(&model, &sim)));
    group.bench_function("sensitivity", |b| b.iter(|| sensitivity(&model, &sim)));
    group.bench_function("adoption_fan", |b| b.iter(|| adoption_fan(&model, &sim)));
    group.bench_function("distributions", |b| b.iter(|| distributions(&model, &sim)));
    group.finish();
}

/// Order statistics of long columns (200,000 paths of the default model): the five fan levels
/// of the last step's adoption, and the 99 percentiles of distributions.csv of the first
/// group's total return, by quickselect and by counting (`stats::order`); and that column's
/// ranks, by the 32-bit radix sort of `stats::order` and by the (value, index) sort it replaced.
fn quantile_selection(c: &mut Criterion) {
    let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
    let sim = simulate(
        &model,
        &RunConfig {
            paths: 200_000,
            seed: 1,
            threads: None,
            ..Default::default()
        },
    )
    .expect("pool");
    let adoption = sim.adoption.column(sim.steps);
    let column = sim.total_return.column(0);
    let levels: [f64; 99] = std::array::from_fn(|i| (i + 1) as f64 / 100.0);
    let mut group = c.benchmark_group("quantiles_200k");
    group.sample_size(20);
    group.bench_function("fan_5/quickselect", |b| {
        b.iter(|| quantiles_selected(adoption, &FAN_QUANTILES))
    });
    group.bench_function("fan_5/counting", |b| {
        b.iter(|| quantiles_counted(adoption, &FAN_QUANTILES))
    });
    group.bench_function("percentiles_99/quickselect", |b| {
        b.iter(|| quantiles_selected(column, &levels))
    });
    group.bench_function("percentiles_99/counting", |b| {
        b.iter(|| quantiles_counted(column, &levels))
    });
    group.bench_function("ranks/radix_32", |b| {
        b.iter(|| centred_ranks_and_order_statistics(column, &[]))
    });
    group.bench_function("ranks/radsort_pairs", |b| {
        b.iter(|| {
            // The previous implementation: (value, index) pairs sorted by all 64 bits.
            let mut order: Vec<(f64, usize)> = column.iter().copied().zip(0..).collect();
            radsort::sort_by_key(&mut order, |pair| pair.0);
            let mut out = vec![0.0; column.len()];
            let mut i = 0;
            while i < order.len() {
                let mut j = i;
                while j + 1 < order.len() && order[j + 1].0 == order[i].0 {
                    j += 1;
                }
                for &(_, k) in &order[i..=j] {
                    out[k] = (i + j) as f64 / 2.0 + 1.0;
                }
                i = j + 1;
            }
            out
        })
    });
    group.bench_function("percentiles_99/radix_sort", |b| {
        b.iter(|| {
            let mut sorted = column.to_vec();
            radsort::sort(&mut sorted);
            levels.map(|p| quantile_sorted(&sorted, p))
        })
    });
    group.finish();
}

/// Everything an exact run computes after its simulation (`Exact::finish`: summary,
/// distributions, sensitivity, precision, convergence and the adoption fan) for 200,000 paths
/// of the default model on every core: the post-processing the performance issue weighs against
/// the whole run. Each iteration gets its own copy of the paths (not timed).
fn summaries(c: &mut Criterion) {
    let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
    let config = RunConfig {
        paths: 200_000,
        seed: 1,
        threads: None,
        ..Default::default()
    };
    let sim = simulate(&model, &config).expect("pool");
    let mut group = c.benchmark_group("summaries_200k");
    group.sample_size(10);
    group.bench_function("finish", |b| {
        b.iter_batched(
            || {
                let mut kept = Box::new(Exact::new(sim.paths));
                kept.absorb(sim.clone());
                kept
            },
            |kept| kept.finish(&model, None, Default::default()),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(
    benches,
    default_model,
    path_stages,
    normals,
    quantile_selection,
    summaries
);
criterion_main!(benches);
