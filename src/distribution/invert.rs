//! Quantiles by inverting a CDF: bisection over the floating-point numbers themselves.
//!
//! statrs's inverse CDFs are inaccurate in parts of the supported ranges (gamma's stops at
//! 2^-30, beta's at about 1e-17, Student's t's far tails turn back at small df and its centre
//! drifts above 1e6 df; `tests/distribution_limits.rs` pins each). Its CDFs are accurate there,
//! so those families invert the CDF instead. Bisecting on the order of the bit patterns, not on
//! the real line, halves the number of floats left at every step: any bracket, even
//! [-f64::MAX, f64::MAX], is resolved to the exact float in at most 64 steps, whatever the
//! scale, subnormals included. The cost is one CDF evaluation per step.

/// The float's position in the total order of finite floats, as an integer (-0.0 and 0.0 are
/// one point).
fn order(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    if bits < 0 { -(bits & i64::MAX) } else { bits }
}

fn from_order(k: i64) -> f64 {
    if k < 0 {
        f64::from_bits(((-k) as u64) | (1 << 63))
    } else {
        f64::from_bits(k as u64)
    }
}

/// The smallest float `x` in `[lo, hi]` with `reached(x)` true, for a `reached` that is false
/// then true along the floats (a CDF compared with a level); `hi` when none is. `lo <= hi`,
/// both finite.
pub fn smallest(lo: f64, hi: f64, reached: impl Fn(f64) -> bool) -> f64 {
    let (mut a, mut b) = (order(lo), order(hi));
    if reached(lo) {
        return lo;
    }
    // Invariant: reached(from_order(a)) is false, and b is hi or a point where it is true.
    // The span of [-f64::MAX, f64::MAX] does not fit an i64: the arithmetic is in i128.
    while i128::from(b) - i128::from(a) > 1 {
        let mid = ((i128::from(a) + i128::from(b)) / 2) as i64;
        if reached(from_order(mid)) {
            b = mid;
        } else {
            a = mid;
        }
    }
    from_order(b)
}

/// The `p`-quantile of a continuous distribution with CDF `cdf` and survival function `sf`,
/// supported inside `[lo, hi]`: the smallest float with `cdf(x) >= p`. Upper levels compare the
/// survival function with `1 - p` (exact for `p >= 0.5`), so a level such as `1 - 1e-12` is
/// resolved as finely as `1e-12`.
pub fn quantile(
    p: f64,
    lo: f64,
    hi: f64,
    cdf: impl Fn(f64) -> f64,
    sf: impl Fn(f64) -> f64,
) -> f64 {
    if p <= 0.0 {
        return lo;
    }
    if p >= 1.0 {
        return hi;
    }
    if p <= 0.5 {
        smallest(lo, hi, |x| cdf(x) >= p)
    } else {
        let q = 1.0 - p;
        smallest(lo, hi, |x| sf(x) <= q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_monotone_across_zero_and_subnormals() {
        let xs = [-f64::MAX, -1.0, -5e-324, 0.0, 5e-324, 1e-310, 1.0, f64::MAX];
        for w in xs.windows(2) {
            assert!(order(w[0]) < order(w[1]), "{} {}", w[0], w[1]);
            assert_eq!(from_order(order(w[0])), w[0]);
        }
        assert_eq!(order(-0.0), order(0.0));
        assert_eq!(order(5e-324) - order(0.0), 1);
    }

    #[test]
    fn finds_the_exact_float_over_the_whole_line() {
        for target in [-1e300, -3.5, -1e-310, 0.0, 2.5e-300, 0.1, 7.0, 1e12, 1e300] {
            let calls = std::cell::Cell::new(0);
            let x = smallest(-f64::MAX, f64::MAX, |x| {
                calls.set(calls.get() + 1);
                x >= target
            });
            assert_eq!(x, target);
            assert!(calls.get() <= 65, "{} steps", calls.get());
        }
        // Nothing reaches the level: the upper end.
        assert_eq!(smallest(0.0, 1.0, |_| false), 1.0);
    }

    #[test]
    fn inverts_a_closed_form_in_both_tails() {
        // Exponential(1): F(x) = 1 - exp(-x), S(x) = exp(-x).
        let cdf = |x: f64| -libm::expm1(-x);
        let sf = |x: f64| libm::exp(-x);
        for p in [1e-300, 1e-12, 0.01, 0.5, 0.99, 1.0 - 1e-12f64] {
            let want = -libm::log1p(-p);
            let got = quantile(p, 0.0, f64::MAX, cdf, sf);
            assert!(
                (got - want).abs() <= 4.0 * f64::EPSILON * want,
                "{p}: {got} vs {want}"
            );
        }
    }
}
