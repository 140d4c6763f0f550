//! What this machine can do, to read the engine's figures against: its clock, from a chain of
//! dependent 64-bit multiplies (`imul` has a latency of 3 cycles on the Intel and AMD cores
//! seen here, so the clock is 3 x the multiplies per second), and its peak vector arithmetic,
//! 12 independent chains of a multiply then an add (never fused, like the kernel's) on 512-bit
//! and on 256-bit registers. The kernel's vector operations per path divided by the peak rate
//! are the floor under its time per path (README, "What bounds it").
//! Run with `cargo bench --bench machine`; criterion prints each as elements per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// Dependent multiplies per iteration of the clock benchmark.
const CHAIN: u64 = 100_000;
/// Rounds of the peak benchmarks: each is 12 multiplies and 12 adds.
const ROUNDS: u64 = 100_000;

#[cfg(target_arch = "x86_64")]
fn clock(c: &mut Criterion) {
    let mut group = c.benchmark_group("machine");
    group.throughput(Throughput::Elements(CHAIN));
    group.bench_function("dependent_imul", |b| {
        b.iter(|| {
            let mut x: u64 = black_box(3);
            for _ in 0..CHAIN / 10 {
                // SAFETY: register arithmetic only.
                unsafe {
                    std::arch::asm!(
                        "imul {x}, {x}", "imul {x}, {x}", "imul {x}, {x}", "imul {x}, {x}",
                        "imul {x}, {x}", "imul {x}, {x}", "imul {x}, {x}", "imul {x}, {x}",
                        "imul {x}, {x}", "imul {x}, {x}",
                        x = inout(reg) x,
                        options(pure, nomem, nostack),
                    );
                }
            }
            x
        })
    });
    group.finish();
}

/// 12 independent multiply-then-add chains on 512-bit registers: 24 operations a round.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn peak_512(rounds: u64) -> f64 {
    use std::arch::x86_64::*;
    let (m, c) = (_mm512_set1_pd(0.999_999_9), _mm512_set1_pd(1e-9));
    let mut a: [__m512d; 12] = std::array::from_fn(|k| _mm512_set1_pd(1.0 + k as f64));
    for _ in 0..rounds {
        for v in a.iter_mut() {
            *v = _mm512_mul_pd(*v, m);
        }
        for v in a.iter_mut() {
            *v = _mm512_add_pd(*v, c);
        }
    }
    a.iter().map(|&v| _mm512_reduce_add_pd(v)).sum()
}

/// The same on 256-bit registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn peak_256(rounds: u64) -> f64 {
    use std::arch::x86_64::*;
    let (m, c) = (_mm256_set1_pd(0.999_999_9), _mm256_set1_pd(1e-9));
    let mut a: [__m256d; 12] = std::array::from_fn(|k| _mm256_set1_pd(1.0 + k as f64));
    for _ in 0..rounds {
        for v in a.iter_mut() {
            *v = _mm256_mul_pd(*v, m);
        }
        for v in a.iter_mut() {
            *v = _mm256_add_pd(*v, c);
        }
    }
    let mut out = [0.0; 4];
    a.iter()
        .map(|&v| {
            // SAFETY: `out` holds four doubles.
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), v) };
            out[0]
        })
        .sum()
}

#[cfg(target_arch = "x86_64")]
fn peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("machine");
    group.throughput(Throughput::Elements(24 * ROUNDS));
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (checked above).
        group.bench_function("mul_add_512", |b| {
            b.iter(|| unsafe { peak_512(black_box(ROUNDS)) })
        });
    }
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above).
        group.bench_function("mul_add_256", |b| {
            b.iter(|| unsafe { peak_256(black_box(ROUNDS)) })
        });
    }
    group.finish();
}

#[cfg(target_arch = "x86_64")]
criterion_group!(benches, clock, peak);
#[cfg(not(target_arch = "x86_64"))]
fn nothing(_: &mut Criterion) {}
#[cfg(not(target_arch = "x86_64"))]
criterion_group!(benches, nothing);
criterion_main!(benches);
