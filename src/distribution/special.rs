//! The CDFs of the beta (and PERT), gamma and Student t families: the regularised incomplete
//! beta and gamma functions, with every logarithm, exponential and log-gamma from the `libm`
//! crate, so that the quantiles found by inverting them (Latin hypercube, truncated and
//! correlated draws) have the same bits on every machine.
//!
//! The algorithms, their iteration limits and tolerances are statrs 0.19's (MIT licensed),
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

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{Beta, ContinuousCDF, Gamma, StudentsT};

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
}
