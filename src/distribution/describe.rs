//! What a distribution means in numbers, for `boomsim describe` and `boomsim dist`: mean, sd,
//! percentiles and a histogram, exact where a closed form exists and otherwise from a
//! fixed-seed sample (and saying which).

use serde::Serialize;

use crate::distribution::Distribution;
use crate::random::{Stream, path_rng};

/// Draws used for sampled moments and for histograms.
pub const SAMPLE_DRAWS: usize = 100_000;

/// The seed of those draws (fixed, so the output is the same every time).
pub const SAMPLE_SEED: u64 = 1;

/// The percentiles of a description.
pub const LEVELS: [f64; 7] = [0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99];

/// One described distribution: a row of `describe --csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Description {
    /// The key path (empty for `dist`).
    pub parameter: String,
    /// The distribution string.
    pub distribution: String,
    /// Mean; empty when it does not exist (Student's t with df <= 1, Pareto with shape <= 1).
    pub mean: Option<f64>,
    /// Standard deviation; empty when it is infinite or undefined (df or shape <= 2).
    pub sd: Option<f64>,
    /// `exact` (closed form), `sampled` (100,000 draws, seed 1), `exact mean` (the sd is
    /// infinite) or `undefined` (neither moment exists).
    pub moments: &'static str,
    pub p01: f64,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub p99: f64,
    /// The smallest and largest possible values; empty where the support is unbounded.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A one-line histogram between p01 and p99.
    pub histogram: String,
    /// How the distribution was built, when a user should know (blank data cells skipped).
    pub note: String,
}

/// Describes a distribution, with a histogram of `bins` bins.
pub fn describe(parameter: &str, d: &Distribution, bins: usize) -> (Description, Histogram) {
    let mut rng = path_rng(SAMPLE_SEED, 0, Stream::Boom);
    let draws: Vec<f64> = (0..SAMPLE_DRAWS).map(|_| d.sample(&mut rng)).collect();
    let q = LEVELS.map(|p| d.quantile(p) + 0.0);
    // A sample mean of a distribution without a mean is a number that means nothing: the
    // tail index says which moments exist, and those that do not are left empty.
    let tail = d.tail_index();
    let (mean, sd, moments) = match d.moments() {
        Some((m, s)) => (Some(m), Some(s), "exact"),
        None if tail.is_some_and(|k| k <= 1.0) => (None, None, "undefined"),
        None => {
            let n = draws.len() as f64;
            let m = d.mean().unwrap_or_else(|| draws.iter().sum::<f64>() / n);
            let v = draws.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
            let sd = if tail.is_some_and(|k| k <= 2.0) {
                None
            } else {
                Some(v.sqrt())
            };
            let moments = if d.mean().is_some() {
                "exact mean"
            } else {
                "sampled"
            };
            (
                Some(m).filter(|m| m.is_finite()),
                sd.filter(|s| s.is_finite()),
                moments,
            )
        }
    };
    let histogram = Histogram::of(&draws, q[0], q[6], bins);
    let (min, max) = d.support();
    let (min, max) = (
        Some(min).filter(|x| x.is_finite()),
        Some(max).filter(|x| x.is_finite()),
    );
    (
        Description {
            parameter: parameter.to_string(),
            distribution: d.text().to_string(),
            mean,
            sd,
            moments,
            p01: q[0],
            p05: q[1],
            p25: q[2],
            p50: q[3],
            p75: q[4],
            p95: q[5],
            p99: q[6],
            min,
            max,
            histogram: histogram.sparkline(),
            note: d.notes().join("; "),
        },
        histogram,
    )
}

/// Counts of draws in equal bins between `lo` and `hi` (draws outside are not counted).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Left edge of the first bin.
    pub lo: f64,
    /// Right edge of the last bin.
    pub hi: f64,
    /// Draws per bin.
    pub counts: Vec<usize>,
}

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

impl Histogram {
    /// Bins `draws` into `bins` equal bins over [lo, hi]; a single bin when lo == hi.
    pub fn of(draws: &[f64], lo: f64, hi: f64, bins: usize) -> Self {
        let bins = if hi > lo { bins.max(1) } else { 1 };
        let mut counts = vec![0; bins];
        let width = (hi - lo) / bins as f64;
        for &x in draws {
            if x < lo || x > hi {
                continue;
            }
            let i = if width > 0.0 {
                (((x - lo) / width) as usize).min(bins - 1)
            } else {
                0
            };
            counts[i] += 1;
        }
        Histogram { lo, hi, counts }
    }

    /// One character per bin, its height proportional to the count.
    pub fn sparkline(&self) -> String {
        let top = self.counts.iter().copied().max().unwrap_or(0).max(1);
        self.counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    ' '
                } else {
                    BLOCKS[((c * BLOCKS.len()).div_ceil(top) - 1).min(BLOCKS.len() - 1)]
                }
            })
            .collect()
    }

    /// One line per bin: its range and a bar `width` characters long at the fullest bin.
    pub fn bars(&self, width: usize) -> String {
        let top = self.counts.iter().copied().max().unwrap_or(0).max(1);
        let total: usize = self.counts.iter().sum::<usize>().max(1);
        let step = (self.hi - self.lo) / self.counts.len() as f64;
        let mut out = String::new();
        for (i, &c) in self.counts.iter().enumerate() {
            let from = self.lo + step * i as f64;
            let bar = "█".repeat((c * width).div_ceil(top));
            out.push_str(&format!(
                "  {:>12.6} .. {:<12.6} {:>5.1}% {bar}\n",
                from + 0.0,
                from + step + 0.0,
                100.0 * c as f64 / total as f64
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_where_a_closed_form_exists_and_sampled_otherwise() {
        let (d, _) = describe("x", &Distribution::parse("normal(2, 0.5)").unwrap(), 10);
        assert_eq!((d.mean, d.sd, d.moments), (Some(2.0), Some(0.5), "exact"));
        assert!((d.p95 - (2.0 + 0.5 * crate::distribution::z95())).abs() < 1e-12);
        let (t, _) = describe(
            "x",
            &Distribution::parse("normal(0, 1) in [0, 5]").unwrap(),
            10,
        );
        assert_eq!(t.moments, "sampled");
        // The half-normal's mean is sqrt(2 / pi); 4 standard errors of 100,000 draws.
        let want = (2.0 / std::f64::consts::PI).sqrt();
        assert!((t.mean.unwrap() - want).abs() < 4.0 * 0.6 / (SAMPLE_DRAWS as f64).sqrt());
    }

    #[test]
    fn histogram_bins_and_draws() {
        let h = Histogram::of(&[0.0, 0.1, 0.5, 0.9, 1.0, 2.0], 0.0, 1.0, 2);
        assert_eq!(h.counts, vec![2, 3]);
        assert_eq!(h.sparkline(), "▆█");
        assert!(h.bars(10).lines().count() == 2);
        assert_eq!(Histogram::of(&[3.0, 3.0], 3.0, 3.0, 5).counts, vec![2]);
    }
}
