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

/// A function running `rounds` rounds of 12 independent multiply-then-add chains (24
/// operations a round) on one register width, returning a sum of the chains so nothing is
/// optimised away.
macro_rules! mul_add_chains {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $vector:ident, $set:ident, $mul:ident,
     $add:ident, $first:expr) => {
        $(#[$doc])*
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feature)]
        fn $name(rounds: u64) -> f64 {
            use std::arch::x86_64::*;
            let (m, c) = ($set(0.999_999_9), $set(1e-9));
            let mut a: [$vector; 12] = std::array::from_fn(|k| $set(1.0 + k as f64));
            for _ in 0..rounds {
                for v in a.iter_mut() {
                    *v = $mul(*v, m);
                }
                for v in a.iter_mut() {
                    *v = $add(*v, c);
                }
            }
            a.iter().map(|&v| $first(v)).sum()
        }
    };
}

mul_add_chains!(
    /// On 512-bit registers.
    peak_512, "avx512f", __m512d, _mm512_set1_pd, _mm512_mul_pd, _mm512_add_pd,
    |v| _mm512_cvtsd_f64(v)
);
mul_add_chains!(
    /// On 256-bit registers.
    peak_256, "avx2", __m256d, _mm256_set1_pd, _mm256_mul_pd, _mm256_add_pd,
    |v| _mm256_cvtsd_f64(v)
);

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
