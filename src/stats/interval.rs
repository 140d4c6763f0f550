//! Honest 95% intervals for statistics that batch means cannot serve (docs/model.md §6.1,
//! `precision.csv`): the distribution-free interval of a quantile from order statistics with
//! the Maritz-Jarrett standard error, and the Wilson score interval of a share.
//!
//! A quantile at an atom (a total loss on 5% of paths puts p05 at exactly -100% on some seeds
//! and near -40% on others) is where batch means fail: every batch sits on the same side of the
//! atom, so their spread says nothing of the jump. Order statistics do not care: the number of
//! paths at or below the true p-quantile is binomial(n, p) whatever the distribution, so
//! [X_(l), X_(u)] with l and u the binomial's 2.5% and 97.5% points covers it, and the
//! Maritz-Jarrett se (the exact bootstrap sd of the order statistic) follows the estimate's
//! jumps. Everything here is plain arithmetic on `libm`, so the same bits on every machine.

use crate::stats::order::{from_order_key, select_in_place, with_order_keys};

/// The standard normal's 97.5% point: a 95% interval is +-1.96 standard errors.
pub const Z975: f64 = 1.959_963_984_540_054;

/// Standard deviations either side of a binomial's or a beta's mean beyond which their mass
/// is negligible (below 1e-30 relative), plus a fixed number of ranks for the skewed ends.
const WINDOW_SDS: f64 = 12.0;
const WINDOW_SLACK: f64 = 40.0;

/// The binomial(n, p) quantiles at `levels` (ascending): for each, the smallest k with
/// P(B <= k) >= level. The mass is summed from 12 standard deviations (and 40 counts) below
/// the mean, where what is left out is below 1e-30.
pub fn binomial_quantiles<const K: usize>(n: usize, p: f64, levels: [f64; K]) -> [usize; K] {
    if p <= 0.0 {
        return [0; K];
    }
    if p >= 1.0 {
        return [n; K];
    }
    let nf = n as f64;
    let (mean, sd) = (nf * p, (nf * p * (1.0 - p)).sqrt());
    let first = (mean - WINDOW_SDS * sd - WINDOW_SLACK).floor().max(0.0) as usize;
    let log_n = libm::lgamma(nf + 1.0);
    let (log_p, log_q) = (libm::log(p), libm::log1p(-p));
    let pmf = |k: usize| {
        let kf = k as f64;
        libm::exp(
            log_n - libm::lgamma(kf + 1.0) - libm::lgamma(nf - kf + 1.0)
                + kf * log_p
                + (nf - kf) * log_q,
        )
    };
    let mut out = [n; K];
    let mut next = 0;
    let mut cdf = 0.0;
    for k in first..=n {
        cdf += pmf(k);
        while next < K && cdf >= levels[next] {
            out[next] = k;
            next += 1;
        }
        if next == K {
            break;
        }
    }
    out
}

/// The most independent units a plan credits per value: an antithetic run whose pairs cut a
/// share's variance more than 4x is taken as 4x (so the Maritz-Jarrett weights stay spread
/// over several ranks, where the quadrature is accurate).
const MOST_UNITS_PER_VALUE: usize = 4;

/// The design effect of antithetic pairs on a share: the variance of the pairs' mean
/// indicator over the variance it would have with independent paths, p (1 - p) / 2; between
/// 1 / `MOST_UNITS_PER_VALUE` and 2 (a pair whose two paths always agree). Paths 2m and
/// 2m + 1 are a pair; an unpaired last path is left out. 1 when every path agrees.
pub fn pair_design_effect(values: &[f64], counted: impl Fn(f64) -> bool) -> f64 {
    let pairs = values.len() / 2;
    if pairs < 2 {
        return 2.0;
    }
    let y: Vec<f64> = values
        .chunks_exact(2)
        .map(|p| f64::from(u8::from(counted(p[0])) + u8::from(counted(p[1]))) / 2.0)
        .collect();
    let m = pairs as f64;
    let p = y.iter().sum::<f64>() / m;
    let var = y.iter().map(|v| (v - p) * (v - p)).sum::<f64>() / (m - 1.0);
    let independent = p * (1.0 - p) / 2.0;
    if independent <= 0.0 {
        return 1.0;
    }
    (var / independent).clamp(1.0 / MOST_UNITS_PER_VALUE as f64, 2.0)
}

/// The Wilson score 95% interval of a share `p` of `n` independent units.
pub fn wilson(p: f64, n: f64) -> (f64, f64) {
    let z2 = Z975 * Z975;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z975 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At p = 0 (or 1) the lower (upper) end is exactly 0 (1); rounding would leave 1e-18.
    let lo = if p <= 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if p >= 1.0 {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// The standard error of a share `p` of `n` independent units, sqrt(p (1 - p) / n).
pub fn share_se(p: f64, n: f64) -> f64 {
    (p * (1.0 - p) / n).sqrt()
}

/// What a quantile's interval needs of a column of `n` values, the same for every column of
/// that length: the ranks of the interval's ends and the Maritz-Jarrett weights of the order
/// statistics around the quantile. Ranks here are 1-based, as in X_(k).
#[derive(Debug, Clone, PartialEq)]
pub struct QuantilePlan {
    /// The level p.
    pub level: f64,
    /// n, the values of the column.
    pub values: usize,
    /// X_(lower) is the interval's lower end; `None` when the binomial's 2.5% point is 0 (the
    /// lower end is then the least the statistic can be).
    pub lower: Option<usize>,
    /// X_(upper) is its upper end.
    pub upper: usize,
    /// The first rank of the window [first, first + weights.len()) holding the weights, the
    /// ends and the type-7 estimate's two order statistics.
    pub first: usize,
    /// W_k for the ranks of the window, summing to 1.
    pub weights: Vec<f64>,
}

/// Five-point Gauss-Legendre nodes and weights on [-1, 1]: exact for polynomials of degree 9.
const GAUSS_NODES: [f64; 5] = [
    -0.906_179_845_938_664,
    -0.538_469_310_105_683_1,
    0.0,
    0.538_469_310_105_683_1,
    0.906_179_845_938_664,
];
const GAUSS_WEIGHTS: [f64; 5] = [
    0.236_926_885_056_189_1,
    0.478_628_670_499_366_5,
    0.568_888_888_888_888_9,
    0.478_628_670_499_366_5,
    0.236_926_885_056_189_1,
];

impl QuantilePlan {
    /// The plan for the `level`-quantile of `values` values that come from `units`
    /// independent units (`values`, or `values / 2` antithetic pairs, which can only widen the
    /// interval). The ends are the binomial(units, p) 2.5% and 97.5% points, in units, carried
    /// to ranks of the `values` (a unit's rank k covers ranks up to k values / units); the
    /// weights are W_k = I_{k/n}(m - 1, units - m) - I_{(k-1)/n}(m - 1, units - m) with
    /// m = round(p units), each the integral of the beta density over its interval by
    /// Gauss-Legendre, normalised to sum to 1.
    pub fn new(values: usize, units: usize, level: f64) -> Self {
        let n = values.max(1);
        let units = units.clamp(1, MOST_UNITS_PER_VALUE * n);
        let per_unit = n as f64 / units as f64;
        let [l, u] = binomial_quantiles(units, level, [0.025, 0.975]);
        let to_rank = |k: usize, up: bool| {
            let r = if up {
                (k as f64 * per_unit).ceil()
            } else {
                ((k as f64 - 1.0) * per_unit).floor() + 1.0
            };
            (r as usize).clamp(1, n)
        };
        let lower = (l > 0).then(|| to_rank(l, false));
        let upper = to_rank(u.max(1), true);
        let m = (level * units as f64).round();
        let (a, b) = (m - 1.0, units as f64 - m);
        // The type-7 estimate's order statistics (1-based) must lie in the window too.
        let (t_lo, t_hi) = crate::stats::quantile::type7_around(n, level);
        let mut first = lower.unwrap_or(1).min(t_lo + 1);
        let mut last = upper.max(t_hi + 1);
        let weights;
        if a <= 0.0 || b <= 0.0 {
            // The bootstrap's order statistic sits on an end of the data: one weight.
            let k = if a <= 0.0 { 1 } else { n };
            first = first.min(k);
            last = last.max(k);
            let mut w = vec![0.0; last - first + 1];
            w[k - first] = 1.0;
            weights = w;
        } else {
            let mean = a / (a + b);
            let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
            let reach = WINDOW_SDS * sd + WINDOW_SLACK / units as f64;
            let x_lo = (mean - reach).max(0.0);
            let x_hi = (mean + reach).min(1.0);
            first = first.min(((x_lo * n as f64).floor() as usize).max(1));
            last = last.max(((x_hi * n as f64).ceil() as usize).min(n));
            weights = beta_weights(a, b, n, first, last);
        }
        QuantilePlan {
            level,
            values: n,
            lower,
            upper,
            first,
            weights,
        }
    }

    /// The window of ranks, 0-based and inclusive: what [`order_statistic_windows`] selects.
    pub fn window(&self) -> (usize, usize) {
        (self.first - 1, self.first + self.weights.len() - 2)
    }

    /// Whether this plan's window lies within `other`'s, so that `other`'s order statistics
    /// serve it ([`QuantilePlan::interval_within`]).
    pub fn within(&self, other: &QuantilePlan) -> bool {
        let ((a, b), (c, d)) = (self.window(), other.window());
        c <= a && b <= d
    }

    /// The estimate (type 7), the Maritz-Jarrett se and the interval's ends from the window's
    /// order statistics in ascending order (`sorted[i]` is X_(first + i)); the lower end is
    /// `floor` when the plan has none.
    pub fn interval(&self, sorted: &[f64], floor: f64) -> QuantileInterval {
        self.interval_within(sorted, self.first, floor)
    }

    /// [`QuantilePlan::interval`] from a wider window's order statistics: `sorted[i]` is
    /// X_(first + i), and the window holds this plan's.
    pub fn interval_within(&self, sorted: &[f64], first: usize, floor: f64) -> QuantileInterval {
        let sorted = &sorted[self.first - first..];
        let at = |rank: usize| sorted[rank - self.first];
        let (t_lo, t_hi) = crate::stats::quantile::type7_around(self.values, self.level);
        let estimate = crate::stats::quantile::type7_between(
            self.values,
            self.level,
            at(t_lo + 1),
            at(t_hi + 1),
        );
        // Centred on an order statistic of the window, so equal values give exactly 0.
        let reference = at(t_lo + 1);
        let mut c = 0.0;
        for (w, x) in self.weights.iter().zip(sorted) {
            c += w * (x - reference);
        }
        let mut var = 0.0;
        for (w, x) in self.weights.iter().zip(sorted) {
            let d = x - reference - c;
            var += w * d * d;
        }
        QuantileInterval {
            estimate,
            se: var.sqrt(),
            lo: self.lower.map_or(floor, at),
            hi: at(self.upper),
        }
    }
}

/// A quantile with its standard error and 95% interval, from one column's order statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileInterval {
    /// The type-7 quantile.
    pub estimate: f64,
    /// The Maritz-Jarrett standard error.
    pub se: f64,
    /// The interval's lower end.
    pub lo: f64,
    /// Its upper end.
    pub hi: f64,
}

/// W_k = the beta(a, b) mass on ((k - 1)/n, k/n] for ranks k in first..=last, normalised to
/// sum to 1: each integral by five-point Gauss-Legendre on the log density taken relative to
/// its mode (so no normalising constant, and nothing underflows where the mass is).
fn beta_weights(a: f64, b: f64, n: usize, first: usize, last: usize) -> Vec<f64> {
    let log_density = |x: f64| (a - 1.0) * libm::log(x) + (b - 1.0) * libm::log1p(-x);
    let mode = if a + b > 2.0 {
        ((a - 1.0) / (a + b - 2.0)).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON)
    } else {
        0.5
    };
    let top = log_density(mode);
    let width = 1.0 / n as f64;
    let mut weights: Vec<f64> = (first..=last)
        .map(|k| {
            let centre = (k as f64 - 0.5) * width;
            let mut w = 0.0;
            for (node, g) in GAUSS_NODES.iter().zip(GAUSS_WEIGHTS) {
                let x = centre + node * width / 2.0;
                w += g * libm::exp(log_density(x) - top);
            }
            w
        })
        .collect();
    let total: f64 = weights.iter().sum();
    if total > 0.0 && total.is_finite() {
        for w in &mut weights {
            *w /= total;
        }
    }
    weights
}

/// The order statistics of `values` in each plan's window, ascending: one selection of the
/// windows' ends over one copy of the column's keys, then each window sorted.
pub fn order_statistic_windows(values: &[f64], plans: &[&QuantilePlan]) -> Vec<Vec<f64>> {
    let windows: Vec<(usize, usize)> = plans.iter().map(|p| p.window()).collect();
    // Overlapping windows merge into segments, so each selected position bounds its segment.
    let mut segments: Vec<(usize, usize)> = windows.clone();
    segments.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (lo, hi) in segments {
        match merged.last_mut() {
            Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    with_order_keys(values, |keys| {
        let ends: Vec<usize> = merged.iter().flat_map(|&(lo, hi)| [lo, hi]).collect();
        select_in_place(keys, &ends);
        for &(lo, hi) in &merged {
            keys[lo..=hi].sort_unstable();
        }
        windows
            .iter()
            .map(|&(lo, hi)| keys[lo..=hi].iter().map(|&k| from_order_key(k)).collect())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{Beta, Binomial, ContinuousCDF, DiscreteCDF};

    #[test]
    fn binomial_quantiles_match_statrs() {
        for (n, p) in [
            (10, 0.5),
            (2048, 0.05),
            (100_000, 0.95),
            (37, 0.01),
            (5, 0.9),
        ] {
            let b = Binomial::new(p, n as u64).unwrap();
            let [l, u] = binomial_quantiles(n, p, [0.025, 0.975]);
            for (k, level) in [(l, 0.025), (u, 0.975)] {
                assert!(b.cdf(k as u64) >= level - 1e-9, "n {n} p {p}: {k}");
                if k > 0 {
                    assert!(b.cdf(k as u64 - 1) < level + 1e-9, "n {n} p {p}: {k}");
                }
            }
        }
        assert_eq!(binomial_quantiles(10, 0.0, [0.5]), [0]);
        assert_eq!(binomial_quantiles(10, 1.0, [0.5]), [10]);
    }

    #[test]
    fn maritz_jarrett_weights_are_the_beta_masses_of_each_rank() {
        for (n, p) in [(200, 0.05), (2048, 0.5), (20_000, 0.95)] {
            let plan = QuantilePlan::new(n, n, p);
            let m = (p * n as f64).round();
            let beta = Beta::new(m - 1.0, n as f64 - m).unwrap();
            let mut covered = 0.0;
            for (i, w) in plan.weights.iter().enumerate() {
                let k = (plan.first + i) as f64;
                let want = beta.cdf(k / n as f64) - beta.cdf((k - 1.0) / n as f64);
                assert!((w - want).abs() < 1e-9, "n {n} p {p} k {k}: {w} vs {want}");
                covered += want;
            }
            assert!(
                covered > 1.0 - 1e-12,
                "the window holds the mass: {covered}"
            );
        }
    }

    #[test]
    fn equal_values_have_no_error_and_an_atom_gives_an_honest_interval() {
        let plan = QuantilePlan::new(1000, 1000, 0.05);
        let constant = vec![-1.0; 1000];
        let w = &order_statistic_windows(&constant, &[&plan])[0];
        let q = plan.interval(w, -1.0);
        assert_eq!((q.estimate, q.se, q.lo, q.hi), (-1.0, 0.0, -1.0, -1.0));
        // 5% at -1, the rest spread above -0.5: the interval straddles the atom's edge, and
        // the se is of the order of the jump, not of the spread within one side.
        let data: Vec<f64> = (0..1000)
            .map(|i| {
                if i % 20 == 0 {
                    -1.0
                } else {
                    -0.5 + i as f64 / 1000.0
                }
            })
            .collect();
        let w = &order_statistic_windows(&data, &[&plan])[0];
        let q = plan.interval(w, -1.0);
        assert_eq!(q.lo, -1.0);
        assert!(q.hi > -0.5, "{q:?}");
        assert!(q.se > 0.1, "{q:?}");
    }

    #[test]
    fn antithetic_units_widen_the_interval() {
        let data: Vec<f64> = (0..4096).map(|i| ((i * 7919) % 4096) as f64).collect();
        let paths = QuantilePlan::new(4096, 4096, 0.5);
        let pairs = QuantilePlan::new(4096, 2048, 0.5);
        let windows = order_statistic_windows(&data, &[&paths, &pairs]);
        let (a, b) = (
            paths.interval(&windows[0], f64::MIN),
            pairs.interval(&windows[1], f64::MIN),
        );
        assert_eq!(a.estimate, b.estimate);
        assert!(b.hi - b.lo > 1.3 * (a.hi - a.lo), "{a:?} {b:?}");
        assert!((b.se / a.se - 2f64.sqrt()).abs() < 0.15, "{a:?} {b:?}");
    }

    #[test]
    fn wilson_stays_inside_zero_and_one() {
        let (lo, hi) = wilson(0.0, 100.0);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.03 && hi < 0.04, "{hi}");
        let (lo, hi) = wilson(1.0, 100.0);
        assert!(lo < 1.0 && hi == 1.0);
        let (lo, hi) = wilson(0.5, 10_000.0);
        assert!((0.5 - lo - Z975 * 0.005).abs() < 1e-5 && (hi - 0.5 - Z975 * 0.005).abs() < 1e-5);
    }
}
