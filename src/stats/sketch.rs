//! Constant-memory quantiles for runs too large to keep every path: a mergeable sketch with a
//! relative-error guarantee.
//!
//! [`LogSketch`] is DDSketch (Masson, Rim and Lee, VLDB 2019): a value x > 0 is counted in
//! bucket ceil(log_gamma x), gamma = (1 + a) / (1 - a), and a bucket's value is read back as
//! 2 gamma^i / (gamma + 1), within relative error a of every value in it. Zeros and negatives
//! have their own counts (see [`SignedSketch`]). Counts are integers, so merging sketches is
//! exact and order-free: the result does not depend on how paths were split across threads.
//! (Means and variances stream in [`crate::engine::outcome::Moments`].)

use crate::stats::state::{Reader, Writer};

/// The relative accuracy of every sketched quantile: 0.05%.
pub const RELATIVE_ACCURACY: f64 = 0.0005;

/// A DDSketch of non-negative values (zeros counted apart).
#[derive(Debug, Clone, PartialEq)]
pub struct LogSketch {
    /// ln(gamma).
    ln_gamma: f64,
    /// The bucket index of `counts[0]`.
    offset: i32,
    counts: Vec<u64>,
    zeros: u64,
}

impl Default for LogSketch {
    fn default() -> Self {
        let gamma = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY);
        Self {
            ln_gamma: libm::log(gamma),
            offset: 0,
            counts: Vec::new(),
            zeros: 0,
        }
    }
}

impl LogSketch {
    /// Counts one value (must be >= 0 and finite).
    #[inline]
    pub fn add(&mut self, x: f64) {
        if x <= 0.0 {
            self.zeros += 1;
            return;
        }
        let i = (libm::log(x) / self.ln_gamma).ceil() as i32;
        self.bump(i, 1);
    }

    fn bump(&mut self, i: i32, n: u64) {
        if self.counts.is_empty() {
            self.offset = i;
            self.counts.push(0);
        }
        if i < self.offset {
            let grow = (self.offset - i) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = i;
        }
        let k = (i - self.offset) as usize;
        if k >= self.counts.len() {
            self.counts.resize(k + 1, 0);
        }
        self.counts[k] += n;
    }

    /// Adds another sketch's counts.
    pub fn merge(&mut self, other: &LogSketch) {
        self.zeros += other.zeros;
        for (k, &n) in other.counts.iter().enumerate() {
            if n > 0 {
                self.bump(other.offset + k as i32, n);
            }
        }
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.zeros + self.counts.iter().sum::<u64>()
    }

    /// Saves the counts (the accuracy is the build's own).
    fn save(&self, w: &mut Writer) {
        w.u64(self.offset as u64);
        w.integers(&self.counts);
        w.u64(self.zeros);
    }

    /// Reads counts saved by [`LogSketch::save`].
    fn load(r: &mut Reader<'_>) -> Option<Self> {
        Some(LogSketch {
            offset: i32::try_from(r.u64()? as i64).ok()?,
            counts: r.integers()?,
            zeros: r.u64()?,
            ..LogSketch::default()
        })
    }

    fn value_of(&self, i: i32) -> f64 {
        let gamma = libm::exp(self.ln_gamma);
        2.0 * libm::exp(f64::from(i) * self.ln_gamma) / (gamma + 1.0)
    }

    /// The values in ascending order, as (value, count) runs.
    fn runs(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        std::iter::once((0.0, self.zeros)).chain(
            self.counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(k, &n)| (self.value_of(self.offset + k as i32), n)),
        )
    }
}

/// A sketch of values of any sign: negatives by magnitude, zeros, positives; with the exact
/// smallest and largest values, which stand for the lowest and highest buckets (so a point
/// mass at an extreme, such as a total loss of -100%, is read back exactly).
#[derive(Debug, Clone, PartialEq)]
pub struct SignedSketch {
    negative: LogSketch,
    positive: LogSketch,
    min: f64,
    max: f64,
}

impl Default for SignedSketch {
    fn default() -> Self {
        Self {
            negative: LogSketch::default(),
            positive: LogSketch::default(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl SignedSketch {
    /// Counts one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        if x < 0.0 {
            self.negative.add(-x);
        } else {
            self.positive.add(x);
        }
    }

    /// Adds another sketch's counts.
    pub fn merge(&mut self, other: &SignedSketch) {
        self.negative.merge(&other.negative);
        self.positive.merge(&other.positive);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Saves the sketch.
    pub fn save(&self, w: &mut Writer) {
        self.negative.save(w);
        self.positive.save(w);
        w.f64(self.min);
        w.f64(self.max);
    }

    /// Reads a sketch saved by [`SignedSketch::save`].
    pub fn load(r: &mut Reader<'_>) -> Option<Self> {
        Some(SignedSketch {
            negative: LogSketch::load(r)?,
            positive: LogSketch::load(r)?,
            min: r.f64()?,
            max: r.f64()?,
        })
    }

    /// The values in ascending order, as (value, count) runs; the first and last runs read
    /// as the exact minimum and maximum.
    fn ascending(&self) -> Vec<(f64, u64)> {
        let mut runs: Vec<(f64, u64)> = self.negative.runs().filter(|r| r.1 > 0).collect();
        runs.reverse();
        for r in &mut runs {
            r.0 = -r.0;
        }
        runs.extend(self.positive.runs().filter(|r| r.1 > 0));
        if let Some(first) = runs.first_mut() {
            first.0 = self.min;
        }
        if let Some(last) = runs.last_mut() {
            last.0 = self.max;
        }
        runs
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.negative.count() + self.positive.count()
    }

    /// The sketched values in ascending order, read once for any number of quantiles.
    pub fn ranked(&self) -> Ranked {
        let runs = self.ascending();
        let ends = runs
            .iter()
            .scan(0, |seen, &(_, n)| {
                *seen += n;
                Some(*seen)
            })
            .collect();
        Ranked {
            runs,
            ends,
            max: self.max,
        }
    }
}

/// A sketch's values in ascending order, as (value, count) runs with the rank each run ends
/// at: every quantile is a binary search instead of a walk over the buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    runs: Vec<(f64, u64)>,
    /// `ends[i]`: the number of values in runs 0..=i.
    ends: Vec<u64>,
    /// The sketch's maximum (the value of any rank past the end).
    max: f64,
}

impl Ranked {
    /// Number of values.
    pub fn count(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// The value of rank `r` (0-based).
    pub fn at_rank(&self, r: u64) -> f64 {
        let i = self.ends.partition_point(|&end| end <= r);
        match self.runs.get(i).or(self.runs.last()) {
            Some(&(v, _)) => v,
            None => self.max,
        }
    }

    /// The type-7 `p`-quantile, interpolating between the sketched order statistics.
    pub fn quantile(&self, p: f64) -> f64 {
        let n = self.count();
        let h = (n - 1) as f64 * p;
        let lo = h.floor() as u64;
        let a = self.at_rank(lo);
        let b = self.at_rank((lo + 1).min(n - 1));
        a + (h - lo as f64) * (b - a)
    }

    /// The mean of the `k` smallest values.
    pub fn low_mean(&self, k: u64) -> f64 {
        let mut left = k;
        let mut sum = 0.0;
        for &(v, n) in &self.runs {
            let take = n.min(left);
            sum += v * take as f64;
            left -= take;
            if left == 0 {
                break;
            }
        }
        sum / k as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::Moments;
    use crate::stats::quantile::{quantile_sorted, sorted};

    #[test]
    fn quantiles_are_within_the_relative_accuracy() {
        let values: Vec<f64> = (0..20_001)
            .map(|i| libm::exp(f64::from(i) / 2000.0 - 3.0) - 0.5)
            .collect();
        let mut s = SignedSketch::default();
        for &v in &values {
            s.add(v);
        }
        let exact = sorted(&values);
        for p in [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0] {
            let (got, want) = (s.ranked().quantile(p), quantile_sorted(&exact, p));
            assert!(
                (got - want).abs() <= RELATIVE_ACCURACY * want.abs() * 1.0001,
                "p={p}: {got} vs {want}"
            );
        }
        let k = 1_001;
        let want = exact[..k].iter().sum::<f64>() / k as f64;
        let got = s.ranked().low_mean(k as u64);
        assert!(
            (got - want).abs()
                <= RELATIVE_ACCURACY * exact[..k].iter().map(|v| v.abs()).sum::<f64>() / k as f64
                    * 1.0001
        );
    }

    #[test]
    fn merging_equals_one_sketch_of_everything() {
        let mut all = SignedSketch::default();
        let mut a = SignedSketch::default();
        let mut b = SignedSketch::default();
        for i in 0..1000 {
            let x = libm::sin(f64::from(i) * 0.37) * 10.0;
            all.add(x);
            if i % 3 == 0 { a.add(x) } else { b.add(x) }
        }
        let mut merged = b.clone();
        merged.merge(&a);
        assert_eq!(merged, all);
        a.merge(&b);
        assert_eq!(a, all, "order does not matter");
    }

    #[test]
    fn zeros_and_moments() {
        let mut s = SignedSketch::default();
        for x in [0.0, 0.0, 1.0, -1.0] {
            s.add(x);
        }
        assert_eq!(s.ranked().quantile(0.5), 0.0);
        let mut m = Moments::default();
        for x in [1.0, 2.0, 4.0] {
            m.add(x);
        }
        assert!((m.mean - 7.0 / 3.0).abs() < 1e-15);
        assert!((m.sd().unwrap() - (7.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn merged_moments_equal_one_pass_up_to_rounding() {
        let values: Vec<f64> = (0..1000)
            .map(|i| libm::sin(f64::from(i) * 0.37) * 5.0 + 2.0)
            .collect();
        let mut whole = Moments::default();
        values.iter().for_each(|&x| whole.add(x));
        let mut merged = Moments::default();
        for block in values.chunks(300) {
            let mut m = Moments::default();
            block.iter().for_each(|&x| m.add(x));
            merged.merge(&m);
        }
        merged.merge(&Moments::default());
        assert_eq!(merged.count, 1000);
        assert!((merged.mean - whole.mean).abs() < 1e-13);
        assert!((merged.m2 - whole.m2).abs() < 1e-10 * whole.m2);
        let mut copy = Moments::default();
        copy.merge(&whole);
        assert_eq!(copy, whole);
    }

    #[test]
    fn sketches_and_moments_read_back_exactly() {
        let mut sketch = SignedSketch::default();
        let mut moments = Moments::default();
        for i in 0..500 {
            let x = libm::exp(f64::from(i) / 50.0 - 4.0) - 1.0;
            sketch.add(x);
            moments.add(x);
        }
        sketch.add(0.0);
        sketch.add(-1.0);
        let mut w = Writer::default();
        sketch.save(&mut w);
        moments.save(&mut w);
        SignedSketch::default().save(&mut w);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        assert_eq!(SignedSketch::load(&mut r).as_ref(), Some(&sketch));
        assert_eq!(Moments::load(&mut r), Some(moments));
        assert_eq!(SignedSketch::load(&mut r), Some(SignedSketch::default()));
        assert!(r.is_done());
        let mut cut = Reader::new(&bytes[..bytes.len() - 16]);
        assert!(SignedSketch::load(&mut cut).is_some());
        assert!(Moments::load(&mut cut).is_some());
        assert_eq!(SignedSketch::load(&mut cut), None);
    }
}
