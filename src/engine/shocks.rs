//! The random numbers of [`W`] paths at once: eight xoshiro256++ generators side by side (one
//! per lane, each its own path's stream, [`crate::random::path_state`]), and standard normals
//! from them by Box-Muller.
//!
//! Each lane's numbers are exactly those of its own path's generator, in order, so a path's
//! shocks depend only on (seed, path) whichever batch or lane it runs in. A pair of normals
//! costs two 64-bit draws, one logarithm, one square root, a sine and a cosine, all
//! vectorised across the lanes ([`math`]), and branch-free: Box-Muller is exact in
//! distribution with no rejection (a ziggurat's rare slow path would stall every lane).

use super::math::{self, Lanes, W, lanes};
use crate::random::{Stream, path_state};

/// Eight xoshiro256++ states, word by word (struct of arrays).
#[derive(Debug, Clone)]
pub struct LaneRng {
    s: [[u64; W]; 4],
    /// xoshiro256++'s two rotations, 23 and 45, kept where LLVM cannot see them as constants:
    /// a rotation by a constant has no AVX2 instruction, and LLVM then moves lanes out to
    /// scalar `rol`s and back (4% of the AVX2 kernel's instructions); by a variable amount it
    /// stays in vector shifts (AVX2) or `vprolvq` (AVX-512). Same numbers either way.
    rotations: [u32; 2],
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

    /// Uniforms in [0, 1) on the grid of 2^-52.
    #[inline(always)]
    pub fn closed_open(&mut self) -> Lanes {
        let x = self.next_u64();
        lanes(|i| f64::from_bits(ONE_BITS | (x[i] >> 12)) - 1.0)
    }

    /// A pair of independent standard normals per lane (Box-Muller): with u1 in (0, 1] and
    /// u2 in [0, 1), r = sqrt(-2 ln u1), (r cos 2 pi u2, r sin 2 pi u2).
    #[inline(always)]
    pub fn normals(&mut self) -> (Lanes, Lanes) {
        let u1 = self.open_closed();
        let u2 = self.closed_open();
        let ln = math::ln_lanes(u1);
        let r = lanes(|i| (-2.0 * ln[i]).sqrt());
        let (mut sin, mut cos) = ([0.0; W], [0.0; W]);
        for i in 0..W {
            (sin[i], cos[i]) = math::sin_cos_turn(u2[i]);
        }
        (lanes(|i| r[i] * cos[i]), lanes(|i| r[i] * sin[i]))
    }

    /// Standard exponentials per lane: -ln u, u in (0, 1].
    #[inline(always)]
    pub fn exponential(&mut self) -> Lanes {
        let u = self.open_closed();
        let ln = math::ln_lanes(u);
        lanes(|i| -ln[i])
    }

    /// Fills `out` with standard normals, pair by pair; an odd last one spends a whole pair.
    #[inline(always)]
    pub fn fill_normals(&mut self, out: &mut [Lanes]) {
        let mut pairs = out.chunks_exact_mut(2);
        for pair in &mut pairs {
            let (a, b) = self.normals();
            pair[0] = a;
            pair[1] = b;
        }
        if let [last] = pairs.into_remainder() {
            *last = self.normals().0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::path_rng;
    use rand::Rng;
    use statrs::distribution::{ContinuousCDF, Normal};

    #[test]
    fn each_lane_is_its_paths_own_xoshiro_stream() {
        let paths = [3, 9, 1000, 0, 7, 8, 2, 1];
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
}
