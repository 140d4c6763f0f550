//! Draws of the families whose samplers need a logarithm, an exponential or a power (normal,
//! lognormal, gamma, beta, PERT, Student t, Pareto), and the standard normal quantile, with
//! every such function from the `libm` crate.
//!
//! Why not rand_distr's samplers and statrs's quantile: they call the C library's `exp` and
//! `ln`, and the C library chooses its code by CPU at run time (glibc has one variant for CPUs
//! with fused multiply-add and one without; macOS and musl have their own), so the last bit of
//! a draw could depend on the machine, and shards run on different machines would not merge
//! to one run's bytes. `libm` is plain Rust arithmetic, which Rust never fuses: the same bits
//! everywhere (the lognormal, in `super`, uses the kernel's polynomial exp, plain arithmetic
//! too and faster). The algorithms are the standard ones (named on each function); only
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
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        // A double in [2, 4) from the top 52 bits, less 3: u in [-1, 1).
        let u = f64::from_bits(0x4000_0000_0000_0000 | (bits >> 12)) - 3.0;
        let x = u * t.x[i];
        if x.abs() < t.x[i + 1] {
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

/// The standard normal quantile Φ^-1(p) for p in (0, 1), to about 1 part in 10^16 (Wichura's
/// algorithm AS 241, PPND16: rational approximations in three ranges of p); -inf at 0 and inf
/// at 1.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * polynomial(&CENTRAL_NUMERATOR, r) / polynomial(&CENTRAL_DENOMINATOR, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = libm::sqrt(-libm::log(tail));
    let z = if r <= 5.0 {
        let r = r - 1.6;
        polynomial(&NEAR_NUMERATOR, r) / polynomial(&NEAR_DENOMINATOR, r)
    } else {
        let r = r - 5.0;
        polynomial(&FAR_NUMERATOR, r) / polynomial(&FAR_DENOMINATOR, r)
    };
    if q < 0.0 { -z } else { z }
}

/// The standard normal CDF Φ(x) = erfc(-x / sqrt 2) / 2.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// The Student t quantile at p in [0.5, 1) for an integer number of degrees of freedom
/// `df` >= 1: the t with P(|T| <= t) = 2p - 1, by bisection to adjacent doubles on the closed
/// form of that probability for integer df (Abramowitz and Stegun 26.7.3 and 26.7.4, a finite
/// series in the sine and cosine of atan(t / sqrt(df))).
pub fn student_t_quantile(p: f64, df: u32) -> f64 {
    let want = 2.0 * p - 1.0;
    if want <= 0.0 {
        return 0.0;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while student_t_central(hi, df) < want {
        lo = hi;
        hi *= 2.0;
        if hi > f64::MAX / 2.0 {
            return f64::INFINITY;
        }
    }
    loop {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if student_t_central(mid, df) < want {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if want - student_t_central(lo, df) <= student_t_central(hi, df) - want {
        lo
    } else {
        hi
    }
}

/// P(|T| <= t) for T Student t with integer `df` >= 1 degrees of freedom.
fn student_t_central(t: f64, df: u32) -> f64 {
    let theta = libm::atan(t / libm::sqrt(f64::from(df)));
    let (s, c) = (libm::sin(theta), libm::cos(theta));
    let c2 = c * c;
    let mut term = 1.0;
    let mut sum = 1.0;
    if df % 2 == 1 {
        if df == 1 {
            return std::f64::consts::FRAC_2_PI * theta;
        }
        for k in 1..=(df - 3) / 2 {
            term *= c2 * f64::from(2 * k) / f64::from(2 * k + 1);
            sum += term;
        }
        std::f64::consts::FRAC_2_PI * (theta + s * c * sum)
    } else {
        for k in 1..=(df - 2) / 2 {
            term *= c2 * f64::from(2 * k - 1) / f64::from(2 * k);
            sum += term;
        }
        s * sum
    }
}

/// c_0 + c_1 r + ... + c_7 r^7 by Horner's rule.
fn polynomial(c: &[f64; 8], r: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * r + k)
}

// AS 241's coefficients (Wichura 1988, Applied Statistics 37(3), 477-484), lowest power first.
/// |p - 0.5| <= 0.425.
#[allow(clippy::excessive_precision)] // as published
const CENTRAL_NUMERATOR: [f64; 8] = [
    3.387_132_872_796_366_608,
    1.331_416_678_917_843_774_5e2,
    1.971_590_950_306_551_442_7e3,
    1.373_169_376_550_946_112_5e4,
    4.592_195_393_154_987_145_7e4,
    6.726_577_092_700_870_085_3e4,
    3.343_057_558_358_812_810_5e4,
    2.509_080_928_730_122_672_7e3,
];
#[allow(clippy::excessive_precision)] // as published
const CENTRAL_DENOMINATOR: [f64; 8] = [
    1.0,
    4.231_333_070_160_091_125_2e1,
    6.871_870_074_920_579_083e2,
    5.394_196_021_424_751_107_7e3,
    2.121_379_430_158_659_586_7e4,
    3.930_789_580_009_271_061e4,
    2.872_908_573_572_194_267_4e4,
    5.226_495_278_852_854_561e3,
];
/// sqrt(-ln(tail)) <= 5.
#[allow(clippy::excessive_precision)] // as published
const NEAR_NUMERATOR: [f64; 8] = [
    1.423_437_110_749_683_577_34,
    4.630_337_846_156_545_295_9,
    5.769_497_221_460_691_405_5,
    3.647_848_324_763_204_605_04,
    1.270_458_252_452_368_382_58,
    2.417_807_251_774_506_117_7e-1,
    2.272_384_498_926_918_458_33e-2,
    7.745_450_142_783_414_076_4e-4,
];
#[allow(clippy::excessive_precision)] // as published
const NEAR_DENOMINATOR: [f64; 8] = [
    1.0,
    2.053_191_626_637_758_821_87,
    1.676_384_830_183_803_849_4,
    6.897_673_349_851_000_045_5e-1,
    1.481_039_764_274_800_745_9e-1,
    1.519_866_656_361_645_719_66e-2,
    5.475_938_084_995_344_946e-4,
    1.050_750_071_644_416_843_24e-9,
];
/// Further out.
#[allow(clippy::excessive_precision)] // as published
const FAR_NUMERATOR: [f64; 8] = [
    6.657_904_643_501_103_777_2,
    5.463_784_911_164_114_369_9,
    1.784_826_539_917_291_335_8,
    2.965_605_718_285_048_912_3e-1,
    2.653_218_952_657_612_309_3e-2,
    1.242_660_947_388_078_438_6e-3,
    2.711_555_568_743_487_578_15e-5,
    2.010_334_399_292_288_132_65e-7,
];
#[allow(clippy::excessive_precision)] // as published
const FAR_DENOMINATOR: [f64; 8] = [
    1.0,
    5.998_322_065_558_879_376_9e-1,
    1.369_298_809_227_358_053_1e-1,
    1.487_536_129_085_061_485_25e-2,
    7.868_691_311_456_132_591e-4,
    1.846_318_317_510_054_681_8e-5,
    1.421_511_758_316_445_888_7e-7,
    2.044_263_103_389_939_785_64e-15,
];

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
    fn the_normal_quantile_matches_statrs() {
        let phi = Normal::standard();
        for p in [
            1e-300, 1e-20, 1e-6, 0.01, 0.025, 0.05, 0.3, 0.5, 0.7, 0.95, 0.975, 0.999,
        ] {
            let z = normal_quantile(p);
            let want = phi.inverse_cdf(p);
            assert!(
                (z - want).abs() <= 1e-14 * want.abs().max(1.0),
                "p = {p}: {z} vs {want}"
            );
        }
        // Where 1 - p is exact, the quantile is exactly antisymmetric.
        for p in [0.25, 0.125, 0.0078125, 1.0 / 1048576.0] {
            assert_eq!(
                normal_quantile(1.0 - p),
                -normal_quantile(p),
                "symmetric at {p}"
            );
        }
        assert_eq!(normal_quantile(0.5), 0.0);
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
    }

    #[test]
    fn the_t_quantile_matches_statrs() {
        use statrs::distribution::StudentsT;
        for df in 1..=40u32 {
            let d = StudentsT::new(0.0, 1.0, f64::from(df)).unwrap();
            for p in [0.6, 0.9, 0.975, 0.999] {
                let t = student_t_quantile(p, df);
                let want = d.inverse_cdf(p);
                assert!(
                    (t - want).abs() <= 1e-10 * want,
                    "df {df}, p {p}: {t} vs {want}"
                );
            }
        }
        assert_eq!(student_t_quantile(0.5, 3), 0.0);
        // df = 1 is the Cauchy: tan(pi (p - 1/2)).
        let cauchy = libm::tan(std::f64::consts::PI * 0.475);
        assert!((student_t_quantile(0.975, 1) - cauchy).abs() < 1e-12 * cauchy);
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
