//! Draws of the families whose samplers need a logarithm, an exponential or a power (normal,
//! lognormal, gamma, beta, PERT, Student t, Pareto), with every such function from the `libm`
//! crate. Their CDFs and quantiles are in `special`.
//!
//! Why not rand_distr's samplers: they call the C library's `exp` and `ln`, and the C library
//! chooses its code by CPU at run time (glibc has one variant for CPUs with fused multiply-add
//! and one without; macOS and musl have their own), so the last bit of a draw could depend on
//! the machine, and shards run on different machines would not merge to one run's bytes.
//! `libm` is plain Rust arithmetic, which Rust never fuses: the same bits everywhere (the
//! lognormal, in `super`, uses [`crate::elementary::exp`], plain arithmetic too and faster). The algorithms are the standard ones (named on each function); only
//! uniform draws (`rand`'s exact bit arithmetic) come from the generator.

use std::sync::OnceLock;

use rand::distr::{Open01, OpenClosed01};
use rand::{Rng, RngExt as _};

/// Layers of the normal ziggurat.
const LAYERS: usize = 256;
/// Where the tail of the 256-layer normal ziggurat begins, and the area of each layer
/// (Marsaglia and Tsang 2000, Doornik 2005).
const TAIL_START: f64 = 3.654_152_885_361_009;
const LAYER_AREA: f64 = 4.928_673_233_99e-3;

/// The ziggurat's layer edges x_i (x_0 the base strip's pseudo-width V / f(R), x_1 = R, down
/// to x_256 = 0) and the density f(x_i) = exp(-x_i^2 / 2) at each.
struct Ziggurat {
    x: [f64; LAYERS + 1],
    f: [f64; LAYERS + 1],
}

/// The unnormalised standard normal density.
#[inline]
fn density(x: f64) -> f64 {
    libm::exp(-0.5 * x * x)
}

#[inline]
fn ziggurat() -> &'static Ziggurat {
    static TABLES: OnceLock<Ziggurat> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut x = [0.0; LAYERS + 1];
        x[0] = LAYER_AREA / density(TAIL_START);
        x[1] = TAIL_START;
        // Each layer has the same area: x_{i+1} = f^-1(V / x_i + f(x_i)).
        for i in 1..LAYERS - 1 {
            x[i + 1] = libm::sqrt(-2.0 * libm::log(LAYER_AREA / x[i] + density(x[i])));
        }
        x[LAYERS] = 0.0;
        Ziggurat {
            x,
            f: x.map(density),
        }
    })
}

/// A standard normal draw by the ziggurat method (ZIGNOR: Doornik 2005), the layer and the
/// sign from one 64-bit draw, as rand_distr draws it; the tail by Marsaglia's method.
#[inline]
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let t = ziggurat();
    loop {
        let (x, accepted, i, u) = layer_try(t, rng.next_u64());
        if accepted {
            return x;
        }
        if i == 0 {
            // The tail beyond R.
            loop {
                let a = libm::log(rng.sample::<f64, _>(Open01)) / TAIL_START;
                let b = libm::log(rng.sample::<f64, _>(Open01));
                if -2.0 * b >= a * a {
                    return if u < 0.0 {
                        a - TAIL_START
                    } else {
                        TAIL_START - a
                    };
                }
            }
        }
        if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * rng.random::<f64>() < density(x) {
            return x;
        }
    }
}

/// One try of the ziggurat on a 64-bit word: the layer i and the sign from its low bits, the
/// point x = u x_i from its top 52 (u in [-1, 1)), and whether x falls inside the layer's
/// rectangle (about 99% of words), where [`standard_normal`] returns it.
#[inline(always)]
fn layer_try(t: &Ziggurat, bits: u64) -> (f64, bool, usize, f64) {
    let i = (bits & 0xff) as usize;
    // A double in [2, 4) from the top 52 bits, less 3: u in [-1, 1).
    let u = f64::from_bits(0x4000_0000_0000_0000 | (bits >> 12)) - 3.0;
    let x = u * t.x[i];
    (x, x.abs() < t.x[i + 1], i, u)
}

/// [`standard_normal`] of N generators at once, each given its first 64-bit word, where that
/// word's try is accepted (about 99% of them): the draws, and which lanes were accepted. A
/// lane not accepted needs [`standard_normal`] on its generator from the start. Plain loops of
/// constant trip count, which vectorise (a gather for each layer edge).
#[inline(always)]
pub fn standard_normal_first_try<const N: usize>(words: &[u64; N]) -> ([f64; N], [bool; N]) {
    let t = ziggurat();
    let mut z = [0.0; N];
    let mut accepted = [false; N];
    for ((z, accepted), &bits) in z.iter_mut().zip(&mut accepted).zip(words) {
        let (x, ok, _, _) = layer_try(t, bits);
        *z = x;
        *accepted = ok;
    }
    (z, accepted)
}

/// A gamma draw of shape `shape` > 0 and scale 1, as its logarithm (so that shapes far below 1,
/// whose draws can underflow, still give a beta draw): Marsaglia and Tsang's (2000) method for
/// shape >= 1; below 1, a draw of shape + 1 times U^(1 / shape).
pub fn ln_gamma_draw<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.sample(Open01);
        return ln_gamma_draw(rng, shape + 1.0) + libm::log(u) / shape;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / libm::sqrt(9.0 * d);
    loop {
        let z = standard_normal(rng);
        let v = 1.0 + c * z;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u: f64 = rng.sample(Open01);
        let z2 = z * z;
        if u < 1.0 - 0.0331 * z2 * z2 || libm::log(u) < 0.5 * z2 + d * (1.0 - v + libm::log(v)) {
            return libm::log(d) + libm::log(v);
        }
    }
}

/// A gamma draw of shape `shape` > 0 and scale 1.
pub fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    libm::exp(ln_gamma_draw(rng, shape))
}

/// A beta(a, b) draw: X / (X + Y) for gamma draws X of shape a and Y of shape b, computed as
/// 1 / (1 + exp(ln Y - ln X)) so that tiny shapes give 0 or 1 rather than 0 / 0.
pub fn beta<R: Rng + ?Sized>(rng: &mut R, a: f64, b: f64) -> f64 {
    let ln_x = ln_gamma_draw(rng, a);
    let ln_y = ln_gamma_draw(rng, b);
    1.0 / (1.0 + libm::exp(ln_y - ln_x))
}

/// A Student t draw with `df` > 0 degrees of freedom: Z / sqrt(chi^2_df / df), the chi-square
/// being twice a gamma draw of shape df / 2, divided out in logarithms (at df 0.1 the gamma
/// draw itself can underflow to 0, which would give an infinite t).
pub fn student_t<R: Rng + ?Sized>(rng: &mut R, df: f64) -> f64 {
    let z = standard_normal(rng);
    let ln_chi2 = std::f64::consts::LN_2 + ln_gamma_draw(rng, 0.5 * df);
    z * libm::exp(0.5 * (libm::log(df) - ln_chi2))
}

/// A Pareto draw of scale `scale` and shape `shape`: scale * U^(-1 / shape), U in (0, 1].
pub fn pareto<R: Rng + ?Sized>(rng: &mut R, scale: f64, shape: f64) -> f64 {
    let u: f64 = rng.sample(OpenClosed01);
    scale * libm::pow(u, -1.0 / shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use statrs::distribution::{ContinuousCDF, Normal};

    #[test]
    fn the_ziggurat_tables_are_the_standard_ones() {
        // rand_distr's tables (computed to high precision by its generator script) at a few
        // layers; ours are computed in double precision from the same two constants.
        let t = ziggurat();
        for (i, want) in [
            (0, 3.910_757_959_537_09),
            (2, 3.449_278_298_560_964),
            (128, 1.535_342_571_438_843),
            (255, 0.215_241_895_913_274),
        ] {
            assert!((t.x[i] - want).abs() < 1e-12, "x[{i}] = {}", t.x[i]);
        }
        assert_eq!(t.f[LAYERS], 1.0);
        assert!(t.x.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn draws_follow_their_distributions() {
        // Means and variances within 4 standard errors of the closed forms, 200,000 draws.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let n = 200_000;
        let check = |name: &str, xs: &[f64], mean: f64, var: f64, fourth: f64| {
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
            assert!(
                (m - mean).abs() < 4.0 * (var / n as f64).sqrt(),
                "{name} mean {m}"
            );
            // The sample variance's standard error from the fourth central moment.
            let se_var = ((fourth - var * var) / n as f64).sqrt();
            assert!((v - var).abs() < 4.0 * se_var, "{name} variance {v}");
        };
        let z: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        check("normal", &z, 0.0, 1.0, 3.0);
        // Beyond the ziggurat's base: the tail is drawn at its rate, P(|Z| > R) = 2.58e-4.
        let beyond = z.iter().filter(|x| x.abs() > TAIL_START).count() as f64 / n as f64;
        let p = 2.0 * (1.0 - Normal::standard().cdf(TAIL_START));
        assert!(
            (beyond - p).abs() < 4.0 * (p / n as f64).sqrt(),
            "tail share {beyond}"
        );
        for shape in [0.3, 1.0, 4.5] {
            let g: Vec<f64> = (0..n).map(|_| gamma(&mut rng, shape)).collect();
            // Gamma(k): mean k, variance k, fourth central moment 3k^2 + 6k.
            check("gamma", &g, shape, shape, 3.0 * shape * shape + 6.0 * shape);
        }
        let (a, b) = (2.0, 5.0);
        let x: Vec<f64> = (0..n).map(|_| beta(&mut rng, a, b)).collect();
        let (mean, var) = (a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1.0)));
        // The beta's fourth central moment, bounded above by var * max deviation^2 <= var.
        check("beta", &x, mean, var, var);
        let t: Vec<f64> = (0..n).map(|_| student_t(&mut rng, 9.0)).collect();
        // t_9: variance 9 / 7, fourth moment 3 * 81 / (7 * 5).
        check("student t", &t, 0.0, 9.0 / 7.0, 243.0 / 35.0);
        let tiny: Vec<f64> = (0..1000).map(|_| beta(&mut rng, 1e-3, 1e-3)).collect();
        assert!(
            tiny.iter().all(|x| (0.0..=1.0).contains(x)),
            "tiny shapes stay in [0, 1]"
        );
        let pareto_draws: Vec<f64> = (0..n).map(|_| pareto(&mut rng, 2.0, 5.0)).collect();
        // Pareto(2, 5): mean 2.5, variance 5 * 4 / (16 * 3) = 0.41667; fourth moment exists.
        let var = 5.0 * 4.0 / (16.0 * 3.0);
        let m4 = {
            let m = 2.5f64;
            pareto_draws.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n as f64
        };
        check("pareto", &pareto_draws, 2.5, var, m4);
    }
}
