//! Outcomes of one path for one entity (docs/model.md §4), and the pooled step-return accumulator.
//!
//! An entity's value series X(t_0..t_T) starts at 1. From it come the path's total return and
//! maximum drawdown, and its step returns, which are pooled across paths in [`StepReturns`]:
//! a mergeable accumulator (count, mean, sum of squared deviations, downside sum) so chunks
//! of paths can be summarised separately and merged in a fixed order.
//!
//! [`Moments`] is Welford's running mean and sum of squared deviations, merged in a fixed
//! order (Chan et al.), shared by the step returns and by the streaming summaries.
//!
//! These are the scalar definitions, one series at a time. The path kernel computes the same
//! quantities for every entity at once, one vector of entities per step
//! (`engine::path`'s outcomes stage), and its tests check it against these.

/// Streaming mean and sum of squared deviations (Welford), updated in a fixed order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    /// Values seen.
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    /// Adds one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Sample standard deviation (n - 1); `None` below two values.
    pub fn sd(&self) -> Option<f64> {
        (self.count >= 2).then(|| (self.m2 / (self.count - 1) as f64).sqrt())
    }

    /// Adds the moments of other values (Chan et al.'s pairwise update). Merging in a fixed
    /// order gives fixed bits; merging into empty moments copies them.
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let n = self.count + other.count;
        let delta = other.mean - self.mean;
        let (na, nb) = (self.count as f64, other.count as f64);
        self.mean += delta * nb / n as f64;
        self.m2 += other.m2 + delta * delta * na * nb / n as f64;
        self.count = n;
    }
}

/// total_return = X(t_T) - 1.
#[inline]
pub fn total_return(series: &[f64]) -> f64 {
    series[series.len() - 1] - 1.0
}

/// max over j of 1 - X(t_j) / max over i <= j of X(t_i).
#[inline]
pub fn max_drawdown(series: &[f64]) -> f64 {
    let mut peak = series[0];
    let mut worst: f64 = 0.0;
    for &x in series {
        if x > peak {
            peak = x;
        } else if peak > 0.0 && x < peak * (1.0 - worst) {
            // Only a deeper fall than the worst so far needs the division.
            worst = worst.max(1.0 - x / peak);
        }
    }
    worst
}

/// Pooled step returns x_j = X(t_j) / X(t_{j-1}) - 1 of many series.
///
/// Holds the count, mean and sum of squared deviations (merged with Chan et al.'s formula, so
/// the order of merging fixes the bytes of the result) and the sum of squared shortfalls
/// `min(0, x_j - threshold)^2` for the Sortino ratio's downside deviation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepReturns {
    /// Number of pooled step returns.
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    /// Sum of min(0, x_j - threshold)^2.
    pub downside_sq: f64,
}

impl StepReturns {
    /// The step returns of one series; steps from a zero value are skipped (§4).
    /// `threshold` is the per-step risk-free rate rf / k.
    pub fn of_series(series: &[f64], threshold: f64) -> Self {
        let returns: Vec<f64> = series
            .windows(2)
            .filter(|w| w[0] != 0.0)
            .map(|w| w[1] / w[0] - 1.0)
            .collect();
        if returns.is_empty() {
            return Self::default();
        }
        let n = returns.len();
        let mean = returns.iter().sum::<f64>() / n as f64;
        let mut m2 = 0.0;
        let mut downside = 0.0;
        for &x in returns.iter() {
            m2 += (x - mean) * (x - mean);
            let short = (x - threshold).min(0.0);
            downside += short * short;
        }
        StepReturns {
            count: n as u64,
            mean,
            m2,
            downside_sq: downside,
        }
    }

    /// Adds the step returns of one series (see [`StepReturns::of_series`]).
    pub fn add_series(&mut self, series: &[f64], threshold: f64) {
        self.merge(&Self::of_series(series, threshold));
    }

    /// Merges another accumulator into this one: count, mean and squared deviations as
    /// [`Moments::merge`] does, shortfalls added.
    pub fn merge(&mut self, other: &StepReturns) {
        if other.count == 0 {
            return;
        }
        let mut moments = self.moments();
        moments.merge(&other.moments());
        (self.count, self.mean, self.m2) = (moments.count, moments.mean, moments.m2);
        self.downside_sq += other.downside_sq;
    }

    /// The count, mean and sum of squared deviations of the step returns.
    fn moments(&self) -> Moments {
        Moments {
            count: self.count,
            mean: self.mean,
            m2: self.m2,
        }
    }

    /// Sample standard deviation (n - 1); `None` with fewer than two returns.
    pub fn sd(&self) -> Option<f64> {
        (self.count >= 2).then(|| (self.m2 / (self.count - 1) as f64).sqrt())
    }

    /// sqrt(mean of min(0, x_j - threshold)^2); `None` without returns.
    pub fn downside_deviation(&self) -> Option<f64> {
        (self.count >= 1).then(|| (self.downside_sq / self.count as f64).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_is_the_worst_fall_from_a_running_peak() {
        assert_eq!(max_drawdown(&[1.0, 2.0, 1.0, 1.5, 0.5, 3.0]), 0.75);
        assert_eq!(max_drawdown(&[1.0, 1.1, 1.2]), 0.0);
        assert_eq!(max_drawdown(&[1.0, 0.0, 0.0]), 1.0);
        assert!((total_return(&[1.0, 0.5, 1.25]) - 0.25).abs() < 1e-15);
    }

    #[test]
    fn step_returns_skip_steps_from_zero_and_pool_by_merging() {
        let mut a = StepReturns::default();
        a.add_series(&[1.0, 1.1, 0.0, 0.0], 0.0);
        // 0.1 and -1; the step from 0 is skipped.
        assert_eq!(a.count, 2);
        assert!((a.mean - (-0.45)).abs() < 1e-12);
        let mut b = StepReturns::default();
        b.add_series(&[1.0, 0.9, 0.99], 0.01);
        let mut pooled = a;
        pooled.merge(&b);
        let xs = [0.1, -1.0, -0.1, 0.1];
        let mean = xs.iter().sum::<f64>() / 4.0;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 3.0;
        assert_eq!(pooled.count, 4);
        assert!((pooled.mean - mean).abs() < 1e-12);
        assert!((pooled.sd().unwrap() - var.sqrt()).abs() < 1e-12);
        // Downside: a with threshold 0 gives 1; b with 0.01: (-0.11)^2 + (0.1-0.01 > 0 -> 0).
        let expected = 1.0 + 0.11f64 * 0.11;
        assert!((pooled.downside_sq - expected).abs() < 1e-12);
    }
}
