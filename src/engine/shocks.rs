//! The random numbers of [`W`] paths at once: one xoshiro256++ generator per lane, side by
//! side (each its own path's stream, [`crate::random::path_state`]), and standard normals from
//! them by Box-Muller.
//!
//! Each lane's numbers are exactly those of its own path's generator, in order, so a path's
//! shocks depend only on (seed, path) whichever batch or lane it runs in. A pair of normals
//! costs one 64-bit draw (two 32-bit uniforms), one logarithm, one square root, a sine and a
//! cosine, in single precision on 4 W pairs at a time (with W = 16, four AVX-512 registers
//! of 16; [`single`]), and branch-free: Box-Muller is exact in distribution with no rejection (a ziggurat's rare slow
//! path would stall every lane). The normals are widened to double precision, where every sum
//! over steps, compounding and drawdown of the kernel stays; their single-precision error
//! (about 1e-7 relative) moves no path's value by more than 1e-6 (1 + |x|), a test against the
//! same uniforms in double precision ([`LaneRng::reference`]).

use super::math::{self, Lanes, W, lanes};
use crate::elementary::single;
use crate::random::{Stream, path_state};

/// One xoshiro256++ state per lane, word by word (struct of arrays).
#[derive(Debug, Clone)]
pub struct LaneRng {
    s: [[u64; W]; 4],
    /// xoshiro256++'s two rotations, 23 and 45, kept where LLVM cannot see them as constants:
    /// a rotation by a constant has no AVX2 instruction, and LLVM then moves lanes out to
    /// scalar `rol`s and back (4% of the AVX2 kernel's instructions); by a variable amount it
    /// stays in vector shifts (AVX2) or `vprolvq` (AVX-512). Same numbers either way.
    rotations: [u32; 2],
    /// Box-Muller in double precision ([`LaneRng::reference`]): the accuracy tests' reference.
    reference: bool,
}

/// 2^-52 as the exponent of a double in [1, 2): OR-ing 52 random bits into it gives a uniform
/// double in [1, 2) by an exact operation (no integer-to-float conversion, which AVX2 lacks
/// for 64-bit integers).
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;

impl LaneRng {
    /// The generators of paths `paths[i]` (lane i) of a run with seed `seed`, on `stream`.
    pub fn new(seed: u64, paths: [u64; W], stream: Stream) -> Self {
        let states = paths.map(|p| path_state(seed, p, stream));
        LaneRng {
            s: std::array::from_fn(|word| std::array::from_fn(|lane| states[lane][word])),
            rotations: std::hint::black_box([23, 45]),
            reference: false,
        }
    }

    /// The next 64-bit output of every lane (xoshiro256++).
    #[inline(always)]
    pub fn next_u64(&mut self) -> [u64; W] {
        let [r23, r45] = self.rotations;
        let [s0, s1, s2, s3] = &mut self.s;
        let mut result = [0u64; W];
        for i in 0..W {
            result[i] = s0[i]
                .wrapping_add(s3[i])
                .rotate_left(r23)
                .wrapping_add(s0[i]);
            let t = s1[i] << 17;
            s2[i] ^= s0[i];
            s3[i] ^= s1[i];
            s1[i] ^= s2[i];
            s0[i] ^= s3[i];
            s2[i] ^= t;
            s3[i] = s3[i].rotate_left(r45);
        }
        result
    }

    /// Uniforms in (0, 1]: 1 - U with U on the grid of 2^-52 in [0, 1).
    #[inline(always)]
    pub fn open_closed(&mut self) -> Lanes {
        let x = self.next_u64();
        lanes(|i| 2.0 - f64::from_bits(ONE_BITS | (x[i] >> 12)))
    }

    /// N / W pairs of independent standard normals per lane from N / W 64-bit draws (N a
    /// multiple of W): each draw gives one pair's uniforms ([`unit_pair`]), and Box-Muller runs
    /// in single precision on all N pairs at once ([`Self::box_muller`]). Returns the normals
    /// lane vector by lane vector: (cos, sin) of the first draw's pairs, then of the second's,
    /// and so on, widened to double precision and multiplied by `sign` (each lane's 1 or -1:
    /// an antithetic pair's second path negates every shock, an exact operation).
    #[inline(always)]
    fn normal_pairs<const N: usize>(&mut self, sign: Lanes, out: &mut [Lanes]) {
        let (mut u1, mut u2) = ([0.0f32; N], [0.0f32; N]);
        for d in 0..N / W {
            let x = self.next_u64();
            for i in 0..W {
                (u1[d * W + i], u2[d * W + i]) = unit_pair(x[i]);
            }
        }
        // The sign as the radius's sign bit: (-r) cos = -(r cos) exactly, so the same bits as
        // multiplying each normal by its lane's sign, which (the sign known only at run time)
        // made the normals 70% slower (`normals/*` benchmark: 2.87 ms against 1.70 ms).
        let flip: [u32; W] = std::array::from_fn(|i| (sign[i].to_bits() >> 32) as u32 & 1 << 31);
        let (c, s) = self.box_muller(u1, u2, flip);
        for (d, pair) in out.chunks_exact_mut(2).take(N / W).enumerate() {
            pair[0] = lanes(|i| c[d * W + i]);
            pair[1] = lanes(|i| s[d * W + i]);
        }
    }

    /// One pair of independent standard normals per lane, from one 64-bit draw.
    #[inline(always)]
    pub fn normals(&mut self) -> (Lanes, Lanes) {
        let mut pair = [[0.0; W]; 2];
        self.normal_pairs::<W>([1.0; W], &mut pair);
        (pair[0], pair[1])
    }

    /// Box-Muller on N pairs of uniforms: r = sqrt(-2 ln u1), (r cos 2 pi u2, r sin 2 pi u2),
    /// in single precision ([`single`]), r negated in the lanes whose `flip` is the sign bit
    /// (pair k in lane k mod W); or, for [`Self::reference`] generators, the same uniforms
    /// widened and the same formula in double precision.
    #[inline(always)]
    fn box_muller<const N: usize>(
        &self,
        u1: [f32; N],
        u2: [f32; N],
        flip: [u32; W],
    ) -> ([f64; N], [f64; N]) {
        if self.reference {
            return reference_box_muller(u1, u2, flip);
        }
        let (mut cos, mut sin) = ([0.0; N], [0.0; N]);
        let mut r = [0.0f32; N];
        for (r, u1) in r.chunks_exact_mut(W).zip(u1.chunks_exact(W)) {
            for lane in 0..W {
                let radius = (-2.0 * single::ln_normal(u1[lane])).sqrt();
                r[lane] = f32::from_bits(radius.to_bits() ^ flip[lane]);
            }
        }
        for i in 0..N {
            let (s, c) = single::sin_cos_turn(u2[i]);
            cos[i] = f64::from(r[i] * c);
            sin[i] = f64::from(r[i] * s);
        }
        (cos, sin)
    }

    /// Standard exponentials per lane: -ln u, u in (0, 1] (double precision: a failure time
    /// is drawn once a path).
    #[inline(always)]
    pub fn exponential(&mut self) -> Lanes {
        let u = self.open_closed();
        let ln = math::ln_lanes(u);
        lanes(|i| -ln[i])
    }

    /// Fills `out` with standard normals times `sign` (each lane 1 or -1): eight per lane
    /// at a time (4 W pairs of uniforms, four AVX-512 registers at W = 16: enough independent work to hide
    /// the polynomials' latency), then a pair at a time; an odd last one spends a whole pair.
    #[inline(always)]
    pub fn fill_normals(&mut self, sign: Lanes, out: &mut [Lanes]) {
        let mut eights = out.chunks_exact_mut(8);
        for eight in &mut eights {
            self.normal_pairs::<{ 4 * W }>(sign, eight);
        }
        let mut pairs = eights.into_remainder().chunks_exact_mut(2);
        for pair in &mut pairs {
            self.normal_pairs::<W>(sign, pair);
        }
        if let [last] = pairs.into_remainder() {
            let mut pair = [[0.0; W]; 2];
            self.normal_pairs::<W>(sign, &mut pair);
            *last = pair[0];
        }
    }

    /// The same generator evaluating Box-Muller in double precision on the same uniforms:
    /// the reference the single-precision normals are checked against (every path's values
    /// within 1e-6 (1 + |x|), tests/engine_precision.rs).
    pub fn reference(mut self) -> Self {
        self.reference = true;
        self
    }
}

/// A 64-bit draw as one pair of single-precision uniforms: u1 = (h + 1/2) 2^-31 in (0, 1] from
/// its high 31 bits h (never 0, so ln u1 is finite: |z| <= 6.66), and u2 in [0, 1) on the grid
/// of 2^-24 from bits 8..32. Integer-to-float conversions of non-negative 32-bit signed
/// integers, which every instruction set has and rounds the same way.
#[inline(always)]
fn unit_pair(x: u64) -> (f32, f32) {
    let high = (x >> 33) as i32;
    let low = ((x as u32) >> 8) as i32;
    let u1 = (high as f32 + 0.5) * (1.0 / 2_147_483_648.0);
    let u2 = low as f32 * (1.0 / 16_777_216.0);
    (u1, u2)
}

/// [`LaneRng::box_muller`] in double precision on the same uniforms (the reference).
#[cold]
#[inline(never)]
fn reference_box_muller<const N: usize>(
    u1: [f32; N],
    u2: [f32; N],
    flip: [u32; W],
) -> ([f64; N], [f64; N]) {
    let (mut cos, mut sin) = ([0.0; N], [0.0; N]);
    for i in 0..N {
        let radius = (-2.0 * math::ln(f64::from(u1[i]))).sqrt();
        let r = f64::from_bits(radius.to_bits() ^ u64::from(flip[i % W]) << 32);
        let (s, c) = math::sin_cos_turn(f64::from(u2[i]));
        cos[i] = r * c;
        sin[i] = r * s;
    }
    (cos, sin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::path_rng;
    use rand::Rng;
    use statrs::distribution::{ContinuousCDF, Normal};

    #[test]
    fn each_lane_is_its_paths_own_xoshiro_stream() {
        let paths: [u64; W] =
            std::array::from_fn(|i| [3, 9, 1000, 0, 7, 8, 2, 1][i % 8] + i as u64);
        let mut lanes = LaneRng::new(42, paths, Stream::Boom);
        let mut own: Vec<_> = paths
            .iter()
            .map(|&p| path_rng(42, p, Stream::Boom))
            .collect();
        for _ in 0..100 {
            let x = lanes.next_u64();
            for (lane, rng) in own.iter_mut().enumerate() {
                assert_eq!(x[lane], rng.next_u64());
            }
        }
    }

    #[test]
    fn normals_follow_the_standard_normal() {
        // 400,000 normals: mean, variance and the 1st, 50th and 99th percentiles within
        // 4 standard errors of the standard normal's; and the two of a pair uncorrelated.
        let mut rng = LaneRng::new(7, std::array::from_fn(|i| i as u64), Stream::Boom);
        let mut all = Vec::new();
        let mut cross = 0.0;
        for _ in 0..25_000 {
            let (a, b) = rng.normals();
            for i in 0..W {
                all.push(a[i]);
                all.push(b[i]);
                cross += a[i] * b[i];
            }
        }
        let n = all.len() as f64;
        let mean = all.iter().sum::<f64>() / n;
        let var = all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!(mean.abs() < 4.0 / n.sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 4.0 * (2.0 / n).sqrt(), "variance {var}");
        assert!(
            (cross / (n / 2.0)).abs() < 4.0 / (n / 2.0).sqrt(),
            "pair correlation"
        );
        all.sort_by(f64::total_cmp);
        let phi = Normal::standard();
        for p in [0.01, 0.5, 0.99] {
            let q = phi.inverse_cdf(p);
            let got = all[(p * n) as usize];
            let density = libm::exp(-q * q / 2.0) / (2.0 * std::f64::consts::PI).sqrt();
            let se = (p * (1.0 - p) / n).sqrt() / density;
            assert!((got - q).abs() < 4.0 * se, "p{p}: {got} vs {q}");
        }
        let mut e = LaneRng::new(1, std::array::from_fn(|i| 100 + i as u64), Stream::Boom);
        let draws: Vec<f64> = (0..20_000).flat_map(|_| e.exponential()).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 1.0).abs() < 4.0 / (draws.len() as f64).sqrt());
    }

    /// Upper-tail probabilities, the fourth moment and a pair's independence of 2^24 normals
    /// drawn the way the kernel draws them (eight at a time, then pairs), each within 4
    /// standard errors of the standard normal's closed form; and the single-precision normals
    /// within 1e-6 (1 + |z|) of the same uniforms through double precision.
    #[test]
    fn single_precision_normals_have_normal_tails() {
        let phi = Normal::standard();
        let mut rng = LaneRng::new(11, std::array::from_fn(|i| 40 + i as u64), Stream::Boom);
        let mut reference = rng.clone().reference();
        let mut buffer = [[0.0; W]; 18];
        let mut check = [[0.0; W]; 18];
        let thresholds = [1.0, 2.0, 3.0, 4.0, 4.5];
        let mut above = [0u64; 5];
        let (mut n, mut fourth, mut cross, mut worst) = (0u64, 0.0, 0.0, 0.0f64);
        let sign = std::array::from_fn(|i| if i % 3 == 0 { -1.0 } else { 1.0 });
        while n < 1 << 24 {
            rng.fill_normals(sign, &mut buffer);
            reference.fill_normals(sign, &mut check);
            for (pair, wide) in buffer.chunks_exact(2).zip(check.chunks_exact(2)) {
                for i in 0..W {
                    cross += pair[0][i] * pair[1][i];
                    for k in 0..2 {
                        let z = pair[k][i];
                        worst = worst.max((z - wide[k][i]).abs() / (1.0 + z.abs()));
                        fourth += z.powi(4);
                        for (t, count) in thresholds.iter().zip(above.iter_mut()) {
                            *count += u64::from(z > *t);
                        }
                    }
                }
            }
            n += (18 * W) as u64;
        }
        let nf = n as f64;
        for (t, count) in thresholds.iter().zip(above) {
            let p = 1.0 - phi.cdf(*t);
            let se = (p * (1.0 - p) / nf).sqrt();
            let got = count as f64 / nf;
            assert!((got - p).abs() < 4.0 * se, "P(z > {t}): {got} vs {p}");
        }
        // E z^4 = 3, Var z^4 = 105 - 9 = 96.
        let kurtosis = fourth / nf;
        assert!(
            (kurtosis - 3.0).abs() < 4.0 * (96.0 / nf).sqrt(),
            "{kurtosis}"
        );
        let pairs = nf / 2.0;
        assert!(
            (cross / pairs).abs() < 4.0 / pairs.sqrt(),
            "pair correlation"
        );
        assert!(worst <= 1e-6, "single vs double precision: {worst}");
        assert!(
            worst > 0.0,
            "the reference differs from the single-precision normals"
        );
    }

    #[test]
    fn uniform_pairs_span_their_ranges_without_zero() {
        assert_eq!(unit_pair(0), (0.5 / 2_147_483_648.0, 0.0));
        let (u1, u2) = unit_pair(u64::MAX);
        assert_eq!(u1, 1.0);
        assert_eq!(u2, 1.0 - 1.0 / 16_777_216.0);
        // Every u1 is positive, so ln u1 is finite: |z| <= sqrt(-2 ln 2^-32) = 6.66.
        let mut rng = LaneRng::new(3, [0; W], Stream::Boom);
        for _ in 0..10_000 {
            for x in rng.next_u64() {
                let (u1, u2) = unit_pair(x);
                assert!(u1 > 0.0 && u1 <= 1.0 && (0.0..1.0).contains(&u2));
            }
        }
    }
}
