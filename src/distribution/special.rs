//! CDFs and quantiles with every logarithm, exponential and log-gamma from the `libm` crate,
//! so that they have the same bits on every machine: the standard normal quantile (Wichura's
//! AS 241) and CDF, the Student t quantile for integer degrees of freedom, and the CDFs of the
//! beta (and PERT), gamma and Student t families (the regularised incomplete beta and gamma
//! functions), which Latin hypercube, truncated and correlated draws invert.
//!
//! The incomplete beta and gamma's algorithms, iteration limits and tolerances are statrs
//! 0.19's (MIT licensed),
//! which boomsim used before: the continued fraction of Numerical Recipes' `betacf` for the
//! incomplete beta, Cephes's `igam` series and `igamc` continued fraction for the incomplete
//! gamma. statrs calls the C library's `ln`, `exp` and its own Lanczos log-gamma built on them,
//! whose last bits depend on the CPU (README, "Reproducibility"); here they are `libm`'s.

/// Relative precision the continued fractions stop at (statrs's `F64_PREC`).
const PRECISION: f64 = f64::EPSILON / 2.0;
/// The most terms of the incomplete beta's continued fraction (statrs's limit).
const BETA_TERMS: u32 = 140;
/// The smallest exponent of e whose exponential is a normal double.
const EXP_FLOOR: f64 = -709.782_712_893_384;
/// Convergence of the incomplete gamma's series and fraction (Cephes's MACHEP-based choice).
const GAMMA_PRECISION: f64 = 1e-15;
/// Rescaling bounds of the incomplete gamma's continued fraction (2^52 and its inverse).
const BIG: f64 = 4_503_599_627_370_496.0;
const BIG_INVERSE: f64 = 2.220_446_049_250_313e-16;

/// The regularised incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1].
pub fn beta_regularised(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = libm::exp(
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b)
            + a * libm::log(x)
            + b * libm::log(1.0 - x),
    );
    // The fraction converges fast below the split point; above it, I_x(a, b) = 1 - I_{1-x}(b, a).
    let swap = x >= (a + 1.0) / (a + b + 2.0);
    let (a, b, x) = if swap { (b, a, 1.0 - x) } else { (a, b, x) };
    let tiny = f64::MIN_POSITIVE / PRECISION;
    let floor = |v: f64| if v.abs() < tiny { tiny } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / floor(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=BETA_TERMS {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        // The even step, then the odd step, of the fraction (modified Lentz).
        let even = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / floor(1.0 + even * d);
        c = floor(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / floor(1.0 + odd * d);
        c = floor(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() <= PRECISION {
            break;
        }
    }
    let value = front * h / a;
    if swap { 1.0 - value } else { value }
}

/// The beta(a, b) CDF at x.
pub fn beta_cdf(a: f64, b: f64, x: f64) -> f64 {
    if x < 0.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else if a == 1.0 && b == 1.0 {
        x
    } else {
        beta_regularised(a, b, x)
    }
}

/// The beta(a, b) survival function 1 - CDF at x, computed without cancellation in either
/// tail.
pub fn beta_sf(a: f64, b: f64, x: f64) -> f64 {
    if x < 0.0 {
        1.0
    } else if x >= 1.0 {
        0.0
    } else if a == 1.0 && b == 1.0 {
        1.0 - x
    } else if x < (a + 1.0) / (a + b + 2.0) {
        // Below the split point the fraction is the lower tail's: its complement keeps tiny x,
        // whose 1 - x would round to 1.
        1.0 - beta_regularised(a, b, x)
    } else {
        beta_regularised(b, a, 1.0 - x)
    }
}

/// The lower regularised incomplete gamma function P(a, x), a > 0, x >= 0 (the CDF of a gamma
/// of shape a and scale 1).
pub fn gamma_cdf(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x.is_infinite() {
        return 1.0;
    }
    let ln_front = a * libm::log(x) - x - libm::lgamma(a);
    if ln_front < EXP_FLOOR {
        return if a < x { 1.0 } else { 0.0 };
    }
    if x <= 1.0 || x <= a {
        // The series sum over n of x^n / ((a + 1) ... (a + n)).
        let (mut r, mut term, mut sum) = (a, 1.0, 1.0);
        loop {
            r += 1.0;
            term *= x / r;
            sum += term;
            if term / sum <= GAMMA_PRECISION {
                break;
            }
        }
        return libm::exp(ln_front) * sum / a;
    }
    1.0 - libm::exp(ln_front) * gamma_fraction(a, x)
}

/// The upper regularised incomplete gamma function Q(a, x) = 1 - P(a, x) (the survival
/// function of a gamma of shape a and scale 1).
pub fn gamma_sf(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    if x < 1.0 || x <= a {
        return 1.0 - gamma_cdf(a, x);
    }
    let ln_front = a * libm::log(x) - x - libm::lgamma(a);
    if ln_front < EXP_FLOOR {
        return if a < x { 0.0 } else { 1.0 };
    }
    libm::exp(ln_front) * gamma_fraction(a, x)
}

/// Cephes's continued fraction for Q(a, x) / (x^a e^-x / Gamma(a)), for x > 1 and x > a.
fn gamma_fraction(a: f64, x: f64) -> f64 {
    let mut y = 1.0 - a;
    let mut z = x + y + 1.0;
    let mut c = 0.0;
    let (mut p2, mut q2) = (1.0, x);
    let (mut p1, mut q1) = (x + 1.0, z * x);
    let mut ans = p1 / q1;
    loop {
        y += 1.0;
        z += 2.0;
        c += 1.0;
        let yc = y * c;
        let p = p1 * z - p2 * yc;
        let q = q1 * z - q2 * yc;
        (p2, p1, q2, q1) = (p1, p, q1, q);
        if p.abs() > BIG {
            p2 *= BIG_INVERSE;
            p1 *= BIG_INVERSE;
            q2 *= BIG_INVERSE;
            q1 *= BIG_INVERSE;
        }
        if q != 0.0 {
            let next = p / q;
            let change = ((ans - next) / next).abs();
            ans = next;
            if change <= GAMMA_PRECISION {
                return ans;
            }
        }
    }
}

/// The standard Student t CDF with `df` > 0 degrees of freedom at t:
/// I_{df / (df + t^2)}(df / 2, 1 / 2) / 2 below 0, one minus that above.
pub fn student_t_cdf(df: f64, t: f64) -> f64 {
    let tail = 0.5 * beta_regularised(0.5 * df, 0.5, df / (df + t * t));
    if t <= 0.0 { tail } else { 1.0 - tail }
}

/// The standard Student t survival function 1 - CDF at t.
pub fn student_t_sf(df: f64, t: f64) -> f64 {
    let tail = 0.5 * beta_regularised(0.5 * df, 0.5, df / (df + t * t));
    if t <= 0.0 { 1.0 - tail } else { tail }
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
    use statrs::distribution::{Beta, ContinuousCDF, Gamma, Normal, StudentsT};

    fn close(what: &str, got: f64, want: f64) {
        // The same algorithms on another log-gamma and logarithm: 1e-12 relative.
        assert!(
            got == want || (got - want).abs() <= 1e-12 * want.abs(),
            "{what}: {got} vs statrs {want}"
        );
    }

    #[test]
    fn the_cdfs_match_statrs() {
        for (a, b) in [
            (0.5, 0.5),
            (1.0, 3.0),
            (2.0, 5.0),
            (30.0, 2.5),
            (1e-3, 1e-3),
        ] {
            let d = Beta::new(a, b).unwrap();
            for x in [1e-12, 0.01, 0.3, 0.5, 0.9, 0.999] {
                close(
                    &format!("beta({a}, {b}) cdf({x})"),
                    beta_cdf(a, b, x),
                    d.cdf(x),
                );
                close(
                    &format!("beta({a}, {b}) sf({x})"),
                    beta_sf(a, b, x),
                    d.sf(x),
                );
            }
        }
        for shape in [1e-3, 0.5, 1.0, 4.5, 100.0] {
            let d = Gamma::new(shape, 1.0).unwrap();
            for x in [1e-8, 0.1, 1.0, 3.0, 50.0, 200.0] {
                close(
                    &format!("gamma({shape}) cdf({x})"),
                    gamma_cdf(shape, x),
                    d.cdf(x),
                );
                close(
                    &format!("gamma({shape}) sf({x})"),
                    gamma_sf(shape, x),
                    d.sf(x),
                );
            }
        }
        for df in [0.5, 1.0, 3.0, 30.0] {
            let d = StudentsT::new(0.0, 1.0, df).unwrap();
            for t in [-50.0, -2.0, -0.1, 0.0, 0.7, 4.0] {
                close(&format!("t({df}) cdf({t})"), student_t_cdf(df, t), d.cdf(t));
                close(&format!("t({df}) sf({t})"), student_t_sf(df, t), d.sf(t));
            }
        }
    }

    #[test]
    fn closed_forms_hold() {
        // beta(1, b): 1 - (1 - x)^b; gamma(1): 1 - e^-x; t(1): 1/2 + atan(t) / pi.
        let x: f64 = 0.37;
        let want = 1.0 - libm::pow(1.0 - x, 4.0);
        assert!((beta_cdf(1.0, 4.0, x) - want).abs() < 1e-15);
        assert!((gamma_cdf(1.0, 2.0) - (1.0 - libm::exp(-2.0))).abs() < 1e-15);
        assert!((gamma_sf(1.0, 30.0) - libm::exp(-30.0)).abs() < 1e-13 * libm::exp(-30.0));
        let t = 1.7;
        let cauchy = 0.5 + libm::atan(t) / std::f64::consts::PI;
        assert!((student_t_cdf(1.0, t) - cauchy).abs() < 1e-15);
        assert_eq!(gamma_cdf(2.0, 0.0), 0.0);
        assert_eq!(beta_sf(2.0, 3.0, 1.0), 0.0);
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
}
