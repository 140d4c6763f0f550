//! The elementwise math of the path kernel (`exp`, `ln`, `sin` and `cos`, on one value or on a
//! [`Lanes`] vector of [`W`] paths), written to vectorise, and the choice of instruction set
//! the kernel runs with.
//!
//! A path needs about 800 exponentials (every sector's revenue and every asset's price at
//! every step), a logarithm per step of the adoption curve, and a logarithm, a square root, a
//! sine and a cosine per pair of standard normals. libm's scalar functions cost ~8 ns here and
//! cannot be vectorised; the branch-free polynomial versions of [`crate::elementary`]
//! (re-exported here) vectorise, and [`Isa::detect`] runs the kernel compiled for AVX-512 or
//! AVX2 where the CPU has them.
//!
//! Same bytes on every machine: the AVX-512 and AVX2 builds of a loop do the same IEEE
//! operations as the portable one, only more lanes at a time (no fused multiply-add: Rust
//! never contracts `a * b + c`, and nothing here asks for `mul_add`), so all give identical
//! results; a test checks it. The functions are pure per element, so a value's exp does not
//! depend on which slice, lane or position it is computed in.
//!
//! Accuracy: within 1 ulp of the `libm` crate's result (itself within about half an ulp of the
//! true value), checked by the tests over the whole range used. Arguments outside the
//! polynomial's range (|x| >= 708 for exp; zero, negative, subnormal or non-finite for ln)
//! fall back to the `libm` crate, element by element: never to the C library, whose last bits
//! depend on the CPU (README, "Reproducibility").
//!
//! The `wide` crate's `f64x4::exp` was measured first: it picks its instructions at compile
//! time, so a portable build runs it on SSE2 at 7 ns per value (libm: 8 ns); these run at
//! 2 ns with AVX2 and 3.5 ns portable.

use crate::elementary::{EXP_LIMIT, exp_reduced, ln_in_range, ln_normal};
pub use crate::elementary::{exp, exp_in_place, ln, ln_in_place, sin_cos_turn};

/// The instruction set the path kernel runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// The target's baseline (SSE2 on x86-64).
    Portable,
    /// 256-bit AVX2 lanes (x86-64 only), chosen at run time.
    Avx2,
    /// 512-bit AVX-512 lanes (x86-64 only: F, DQ, VL and BW), chosen at run time.
    Avx512,
}

impl Isa {
    /// Every instruction set, slowest first.
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    /// The fastest instruction set this CPU supports, or the one the environment variable
    /// `BOOMSIM_ISA` (`portable`, `avx2`, `avx512`) asks for when the CPU has it: the results
    /// are the same bits either way, so the variable only changes the speed (and lets a test
    /// compare them).
    pub fn detect() -> Self {
        let fastest = Self::fastest();
        match std::env::var("BOOMSIM_ISA").ok().as_deref() {
            Some("portable") => Isa::Portable,
            Some("avx2") => fastest.min(Isa::Avx2),
            Some("avx512") => fastest.min(Isa::Avx512),
            _ => fastest,
        }
    }

    /// The fastest instruction set this CPU supports.
    fn fastest() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let avx512 = std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512dq")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx512bw");
            if avx512 {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// The name `BOOMSIM_ISA` takes.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Runs `f` compiled for this instruction set: pass an `#[inline(always)]` closure so its
    /// body (and the inlined helpers it calls) is generated inside the AVX2 or AVX-512
    /// function. An instruction set the CPU lacks runs the best one it has below it.
    #[inline(always)]
    pub fn run<R>(self, f: impl FnOnce() -> R) -> R {
        #[cfg(target_arch = "x86_64")]
        {
            let isa = self.min(Self::fastest());
            if isa == Isa::Avx512 {
                #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2")]
                fn avx512<R>(f: impl FnOnce() -> R) -> R {
                    f()
                }
                // SAFETY: `fastest` found these features on this CPU (a cached check).
                return unsafe { avx512(f) };
            }
            if isa == Isa::Avx2 {
                #[target_feature(enable = "avx2")]
                fn avx2<R>(f: impl FnOnce() -> R) -> R {
                    f()
                }
                // SAFETY: `fastest` found AVX2 on this CPU (a cached check), so an `Isa::Avx2`
                // built by hand on a CPU without it runs the portable code instead.
                return unsafe { avx2(f) };
            }
        }
        f()
    }

    /// Whether this CPU runs `self` natively (elsewhere it falls back to a slower one).
    pub fn available(self) -> bool {
        self <= Self::fastest()
    }
}

/// Paths per batch of the lane kernel. Lanes never mix, so every lane's numbers are the same
/// whatever the width (and the same operations happen in the same order on every instruction
/// set); the width is chosen for speed. On x86-64, sixteen (two AVX-512 registers, four AVX2
/// registers per quantity: twice the independent work to hide each instruction's latency) was
/// measured 5-10% faster a whole run than eight with AVX-512 and AVX2, and 9% slower with
/// plain SSE2, which only CPUs older than AVX2 run (docs/performance.md); elsewhere eight.
#[cfg(target_arch = "x86_64")]
pub const W: usize = 16;
/// Paths per batch of the lane kernel (see the x86-64 definition).
#[cfg(not(target_arch = "x86_64"))]
pub const W: usize = 8;

/// One value per lane.
pub type Lanes = [f64; W];

/// A vector from a function of the lane. A plain loop of constant trip count, which LLVM
/// unrolls and turns into vector instructions (`std::array::from_fn` is not always inlined
/// inside the kernel, and then nothing vectorises).
#[inline(always)]
pub fn lanes(f: impl Fn(usize) -> f64) -> Lanes {
    let mut out = [0.0; W];
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
    out
}

/// A mask from a predicate of the lane ([`lanes`]' counterpart).
#[inline(always)]
pub fn mask(f: impl Fn(usize) -> bool) -> [bool; W] {
    let mut out = [false; W];
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
    out
}

/// The same value in every lane.
#[inline(always)]
pub fn splat(x: f64) -> Lanes {
    [x; W]
}

/// e^x in every lane ([`exp`]): branch-free when every lane is in range; the rare other case
/// is a call out of the kernel, so the hot loop carries one copy of the polynomial.
#[inline(always)]
pub fn exp_lanes(x: Lanes) -> Lanes {
    if x.iter().fold(true, |ok, x| ok & (x.abs() < EXP_LIMIT)) {
        lanes(|i| exp_reduced(x[i]))
    } else {
        exp_lanes_cold(x)
    }
}

#[cold]
#[inline(never)]
fn exp_lanes_cold(x: Lanes) -> Lanes {
    lanes(|i| exp(x[i]))
}

/// ln x in every lane ([`ln`]): branch-free when every lane is positive, normal and finite;
/// the rare other case is a call out of the kernel.
#[inline(always)]
pub fn ln_lanes(x: Lanes) -> Lanes {
    if x.iter().fold(true, |ok, &x| ok & ln_in_range(x)) {
        lanes(|i| ln_normal(x[i]))
    } else {
        ln_lanes_cold(x)
    }
}

#[cold]
#[inline(never)]
fn ln_lanes_cold(x: Lanes) -> Lanes {
    lanes(|i| ln(x[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |a - b| in units of b's last place.
    fn ulps(a: f64, b: f64) -> f64 {
        if a == b {
            return 0.0;
        }
        let spacing = f64::from_bits(b.abs().to_bits() + 1) - b.abs();
        (a - b).abs() / spacing
    }

    fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
        (0..=n)
            .map(|i| lo + (hi - lo) * i as f64 / n as f64)
            .collect()
    }

    #[test]
    fn exp_is_within_one_ulp_of_libm_over_its_range() {
        let xs = grid(-707.9, 707.9, 2_000_001);
        let mut got = xs.clone();
        exp_in_place(&mut got);
        let worst = xs
            .iter()
            .zip(&got)
            .map(|(&x, g)| ulps(*g, libm::exp(x)))
            .fold(0.0, f64::max);
        // libm is itself within about 0.5 ulp of the true value.
        assert!(worst <= 1.0, "worst error {worst} ulp");
        let small = grid(-1e-6, 1e-6, 10_001);
        for x in small {
            assert!(ulps(exp(x), libm::exp(x)) <= 1.0, "exp({x})");
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(ulps(exp(1.0), std::f64::consts::E) <= 1.0);
    }

    #[test]
    fn exp_falls_back_to_libm_outside_the_polynomial_range() {
        let mut xs = vec![0.5, 709.5, -720.0, -800.0, 1e6, f64::NAN, f64::NEG_INFINITY];
        exp_in_place(&mut xs);
        assert_eq!(xs[0], exp(0.5));
        assert_eq!(xs[1], libm::exp(709.5f64));
        assert_eq!(xs[2], libm::exp(-720.0f64));
        assert_eq!(xs[3], 0.0);
        assert_eq!(xs[4], f64::INFINITY);
        assert!(xs[5].is_nan());
        assert_eq!(xs[6], 0.0);
    }

    #[test]
    fn ln_is_within_one_ulp_of_libm() {
        let mut xs = grid(1e-3, 50.0, 2_000_000);
        xs.extend(grid(0.999, 1.001, 200_000));
        xs.extend([f64::MIN_POSITIVE, 1e-300, 1e300, f64::MAX, 2.0, 0.5]);
        let mut got = xs.clone();
        ln_in_place(&mut got);
        for (x, g) in xs.iter().zip(&got) {
            let want = libm::log(*x);
            // Near x = 1 the result is tiny: measure against its own spacing.
            assert!(ulps(*g, want) <= 1.0, "ln({x}) = {g}, libm {want}");
        }
        assert_eq!(ln(1.0), 0.0);
        let mut odd = vec![0.0, -1.0, f64::INFINITY, 1e-310, 4.0];
        ln_in_place(&mut odd);
        assert_eq!(odd[0], f64::NEG_INFINITY);
        assert!(odd[1].is_nan());
        assert_eq!(odd[2], f64::INFINITY);
        assert_eq!(odd[3], libm::log(1e-310f64));
        assert_eq!(odd[4], ln(4.0));
    }

    #[test]
    fn sin_cos_of_a_turn_agree_with_libm() {
        let tau = 2.0 * std::f64::consts::PI;
        for i in 0..1_000_000u32 {
            let u = f64::from(i) / 1_000_000.0 + 1.7e-7;
            let (s, c) = sin_cos_turn(u);
            let (ws, wc) = (tau * u).sin_cos();
            // libm's argument 2 pi u is itself rounded (by up to half an ulp of 2 pi, 4.4e-16),
            // so the two agree to that, plus an ulp of each result.
            assert!((s - ws).abs() <= 7e-16, "sin 2pi*{u}: {s} vs {ws}");
            assert!((c - wc).abs() <= 7e-16, "cos 2pi*{u}: {c} vs {wc}");
        }
        assert_eq!(sin_cos_turn(0.0), (0.0, 1.0));
        assert_eq!(sin_cos_turn(0.25).0, 1.0);
        assert_eq!(sin_cos_turn(0.5).1, -1.0);
    }

    /// |a - b| in units of b's last place, single precision.
    fn ulps32(a: f32, b: f32) -> f64 {
        if a == b {
            return 0.0;
        }
        let spacing = f32::from_bits(b.abs().to_bits() + 1) - b.abs();
        f64::from((a - b).abs() / spacing)
    }

    #[test]
    fn single_precision_ln_is_within_two_ulps_over_box_mullers_range() {
        use crate::elementary::single;
        // Every u1 Box-Muller uses is (h + 1/2) 2^-31 in [2^-32, 1]: a dense grid over the
        // whole range, and every float near 1 (where ln is tiny).
        let mut worst = 0.0f64;
        let mut x = 2.0f32.powi(-32);
        while x <= 1.0 {
            let want = libm::log(f64::from(x)) as f32;
            worst = worst.max(ulps32(single::ln_normal(x), want));
            x = f32::from_bits(x.to_bits() + 97);
        }
        let mut x = 0.999f32;
        while x <= 1.0 {
            let got = single::ln_normal(x);
            let want = libm::log(f64::from(x));
            // Near 1 the result is tiny: within 2 ulps of it, measured in double precision.
            assert!(ulps32(got, want as f32) <= 2.0, "ln({x}) = {got} vs {want}");
            x = f32::from_bits(x.to_bits() + 1);
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
        assert_eq!(single::ln_normal(1.0), 0.0);
    }

    #[test]
    fn single_precision_sine_and_cosine_of_a_turn_are_within_2e_7() {
        use crate::elementary::single;
        // Every u2 Box-Muller uses: the grid of 2^-24 in [0, 1), against double precision.
        for k in (0..1u32 << 24)
            .step_by(7)
            .chain([0, 1 << 22, 1 << 23, 3 << 22])
        {
            let u = k as f32 / 16_777_216.0;
            let (s, c) = single::sin_cos_turn(u);
            let (ws, wc) = sin_cos_turn(f64::from(u));
            assert!(
                (f64::from(s) - ws).abs() <= 2e-7,
                "sin 2pi*{u}: {s} vs {ws}"
            );
            assert!(
                (f64::from(c) - wc).abs() <= 2e-7,
                "cos 2pi*{u}: {c} vs {wc}"
            );
        }
        assert_eq!(single::sin_cos_turn(0.0), (0.0, 1.0));
        assert_eq!(single::sin_cos_turn(0.25).0, 1.0);
        assert_eq!(single::sin_cos_turn(0.5).1, -1.0);
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let xs = grid(-50.0, 50.0, 100_003);
        let run = |isa: Isa| {
            let mut e = xs.clone();
            let mut l: Vec<f64> = xs.iter().map(|x| x.abs() + 1e-3).collect();
            isa.run(
                #[inline(always)]
                || {
                    exp_in_place(&mut e);
                    ln_in_place(&mut l);
                },
            );
            (e, l)
        };
        let portable = run(Isa::Portable);
        // Scalar calls agree with the slice versions, element by element.
        assert!(xs.iter().zip(&portable.0).all(|(x, e)| exp(*x) == *e));
        if Isa::Avx2.available() {
            let avx2 = run(Isa::Avx2);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&portable.0), bits(&avx2.0));
            assert_eq!(bits(&portable.1), bits(&avx2.1));
        }
    }
}
