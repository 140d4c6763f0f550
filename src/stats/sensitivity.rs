//! What drives the result: for each entity and each uncertain parameter, how strongly the
//! parameter's draw moves the entity's total return (the data of a tornado chart).
//!
//! - `spearman`: rank correlation (Pearson correlation of average ranks, so ties share a rank)
//!   between the draws and the total returns;
//! - `low_mean`, `high_mean`: mean total return over the paths whose draw lies in the lowest
//!   decile (draw <= its type-7 10th percentile) and in the highest (draw >= its 90th
//!   percentile); `swing` = high_mean - low_mean;
//! - `contribution`: spearman^2 normalised to sum to 1 over the entity's parameters;
//! - their Monte Carlo error: `swing_se` = sqrt(s_high^2 / n_high + s_low^2 / n_low) from the two
//!   deciles' sample variances, and `spearman_lo`, `spearman_hi`, a 95% interval of the
//!   Spearman coefficient by Fisher's z with Bonett and Wright's rank-correlation standard error
//!   sqrt((1 + r^2 / 2) / (N - 3));
//! - `significant`: |swing| > 3 swing_se, and the Spearman coefficient differs from 0 at a
//!   family-wise level of 5% over every row of the file (Bonferroni: |atanh r| / se beyond the
//!   normal's 1 - 0.025 / rows quantile), so that across all entities and parameters a
//!   parameter that moves nothing is called a driver in at most 5% of runs. Only significant
//!   drivers are shown to users as drivers.
//!
//! Pure statistics over the engine's per-path columns; nothing here writes files.

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::Simulation;
use crate::model::Kind;
use crate::model::Model;
use crate::stats::order;
/// 1-based ranks, ties sharing the average of their ranks.
pub use crate::stats::order::ranks;
use crate::stats::summary::{type7_around, type7_between};

/// The levels whose draws make a parameter's low and high sets.
const DECILES: [f64; 2] = [0.1, 0.9];

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityRow {
    /// `group` or `asset`.
    pub kind: Kind,
    /// The entity.
    pub name: String,
    /// The uncertain parameter's key path.
    pub parameter: String,
    /// Rank correlation of the draws with the total return; empty when either is constant.
    pub spearman: Option<f64>,
    /// Lower end of the 95% interval of `spearman`.
    pub spearman_lo: Option<f64>,
    /// Upper end of the 95% interval of `spearman`.
    pub spearman_hi: Option<f64>,
    /// Mean total return over the paths in the draw's lowest decile.
    pub low_mean: f64,
    /// Mean total return over the paths in the draw's highest decile.
    pub high_mean: f64,
    /// high_mean - low_mean.
    pub swing: f64,
    /// Standard error of `swing`; empty when a decile has fewer than two paths.
    pub swing_se: Option<f64>,
    /// spearman^2 / sum over the entity's parameters of spearman^2; empty when that sum is 0.
    pub contribution: Option<f64>,
    /// A driver that survives its own Monte Carlo error: |swing| > 3 swing_se and a Spearman
    /// coefficient clearly not 0 (family-wise 5% over the file's rows; see the module doc).
    pub significant: bool,
}

/// How many standard errors a swing must exceed to be called a driver.
pub const SIGNIFICANT_SE: f64 = 3.0;

/// The interval of a Spearman coefficient `r` over `n` paths at `z` standard errors: Fisher's
/// z-transform with Bonett and Wright's (2000) standard error sqrt((1 + r^2 / 2) / (n - 3)).
/// `None` for n <= 3.
pub fn spearman_interval(r: f64, n: usize, z: f64) -> Option<(f64, f64)> {
    if n <= 3 {
        return None;
    }
    if r.abs() >= 1.0 {
        return Some((r, r));
    }
    let se = ((1.0 + r * r / 2.0) / (n - 3) as f64).sqrt();
    let centre = libm::atanh(r);
    Some((libm::tanh(centre - z * se), libm::tanh(centre + z * se)))
}

/// The normal quantile of a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The two-sided normal quantile that keeps the family-wise error of `tests` tests at 5%
/// (Bonferroni).
fn family_wise_z(tests: usize) -> f64 {
    let alpha = 0.05 / tests.max(1) as f64;
    crate::distribution::special::normal_quantile(1.0 - alpha / 2.0)
}

/// Pearson correlation; `None` when either side has no variance.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    Centred::of(x).correlation(&Centred::of(y))
}

/// A column's deviations from its mean and their sum of squares: what every correlation of
/// that column shares, computed once instead of once per pair.
struct Centred {
    deviations: Vec<f64>,
    squares: f64,
}

/// Sum of a[i] * b[i] in eight interleaved partial sums (lane k holds i = k mod 8), added
/// together at the end: a fixed order, so fixed bits, and eight independent chains that
/// vectorise, where one running sum would wait on every addition.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    interleaved(a, b, |x, y| x * y)
}

/// Sum of a[i], in [`dot`]'s order: the same bits as `dot(a, ones)` (x * 1 is x), without
/// the column of ones.
fn sum(a: &[f64]) -> f64 {
    interleaved(a, a, |x, _| x)
}

/// Sum of term(a[i], b[i]) in eight interleaved partial sums (see [`dot`]).
#[inline(always)]
fn interleaved(a: &[f64], b: &[f64], term: impl Fn(f64, f64) -> f64) -> f64 {
    const LANES: usize = 8;
    let mut partial = [0.0; LANES];
    let (a_chunks, a_rest) = a.as_chunks::<LANES>();
    let (b_chunks, b_rest) = b.as_chunks::<LANES>();
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for k in 0..LANES {
            partial[k] += term(x[k], y[k]);
        }
    }
    for (k, (x, y)) in a_rest.iter().zip(b_rest).enumerate() {
        partial[k] += term(*x, *y);
    }
    partial.iter().sum()
}

impl Centred {
    fn of(x: &[f64]) -> Self {
        let mean = sum(x) / x.len() as f64;
        let deviations: Vec<f64> = x.iter().map(|a| a - mean).collect();
        let squares = dot(&deviations, &deviations);
        Centred {
            deviations,
            squares,
        }
    }

    /// Pearson correlation; `None` when either side has no variance.
    fn correlation(&self, other: &Centred) -> Option<f64> {
        let sxy = dot(&self.deviations, &other.deviations);
        let r = sxy / (self.squares * other.squares).sqrt();
        r.is_finite().then_some(r)
    }
}

/// The paths in a parameter's lowest and highest decile of draws.
pub struct Deciles {
    /// Indices of paths with draw <= the 10th percentile.
    pub low: Vec<usize>,
    /// Indices of paths with draw >= the 90th percentile.
    pub high: Vec<usize>,
}

impl Deciles {
    /// The ranks of `draws` and their decile sets, from one ordering of the column: the
    /// deciles' bounds are its type-7 percentiles at 10% and 90%.
    pub fn ordered(draws: &[f64]) -> (Vec<f64>, Self) {
        let n = draws.len();
        let around = DECILES.map(|p| type7_around(n, p));
        let at: Vec<usize> = around.iter().flat_map(|&(lo, hi)| [lo, hi]).collect();
        let (ranks, x) = order::ranks_and_order_statistics(draws, &at);
        let [q10, q90] = [0, 1].map(|k| type7_between(n, DECILES[k], x[2 * k], x[2 * k + 1]));
        (ranks, Deciles::bounded(draws, q10, q90))
    }

    /// The paths with draw <= `q10`, and those with draw >= `q90`.
    fn bounded(draws: &[f64], q10: f64, q90: f64) -> Self {
        let pick = |keep: &dyn Fn(f64) -> bool| {
            draws
                .iter()
                .enumerate()
                .filter(|(_, d)| keep(**d))
                .map(|(i, _)| i)
                .collect()
        };
        Deciles {
            low: pick(&|d| d <= q10),
            high: pick(&|d| d >= q90),
        }
    }

    /// The means of `values` over the low and the high set, and the standard error of high
    /// mean - low mean: sqrt(s_high^2 / n_high + s_low^2 / n_low), each set's sample variance
    /// about its mean; the error is `None` when a set has fewer than two paths, or the
    /// variances overflow. Each set's values are gathered once into `gathered` (a buffer the
    /// caller reuses) and summed from there, in path order both times.
    pub fn swing(&self, values: &[f64], gathered: &mut Vec<f64>) -> ((f64, f64), Option<f64>) {
        let mut mean_and_variance = |idx: &[usize]| {
            gathered.clear();
            gathered.extend(idx.iter().map(|&i| values[i]));
            let n = gathered.len();
            let mean = gathered.iter().sum::<f64>() / n as f64;
            let variance_of_mean = (n >= 2).then(|| {
                let squares = gathered.iter().fold(0.0, |sum, &x| {
                    let d = x - mean;
                    sum + d * d
                });
                squares / (n - 1) as f64 / n as f64
            });
            (mean, variance_of_mean)
        };
        let (low_mean, low_variance) = mean_and_variance(&self.low);
        let (high_mean, high_variance) = mean_and_variance(&self.high);
        let se = low_variance
            .zip(high_variance)
            .map(|(low, high)| (low + high).sqrt())
            .filter(|se| se.is_finite());
        ((low_mean, high_mean), se)
    }
}

/// What every entity's rows of `sensitivity.csv` share: each uncertain parameter's name, the
/// ranks of its draws (centred) and its decile sets, and the family-wise z of the file.
pub struct DrawOrder {
    parameters: Vec<String>,
    ranks: Vec<Centred>,
    deciles: Vec<Deciles>,
    z_family: f64,
}

impl DrawOrder {
    /// Puts each draw column of `sim` in order once: its ranks, and the order statistics of its
    /// deciles.
    pub fn of(model: &Model, sim: &Simulation) -> DrawOrder {
        let parameters: Vec<String> = model
            .uncertain_parameters()
            .into_iter()
            .map(|p| p.path)
            .collect();
        let columns: Vec<&[f64]> = sim.draws.iter().collect();
        let (ranks, deciles): (Vec<Centred>, Vec<Deciles>) = columns
            .par_iter()
            .map(|c| {
                let (ranks, deciles) = Deciles::ordered(c);
                (Centred::of(&ranks), deciles)
            })
            .unzip();
        DrawOrder {
            parameters,
            ranks,
            deciles,
            z_family: family_wise_z(model.entities().len() * sim.parameters),
        }
    }

    /// One entity's rows, from its total returns and their ranks: parameters sorted by |swing|,
    /// largest first (ties in draw order).
    pub fn rows(
        &self,
        kind: Kind,
        name: &str,
        returns: &[f64],
        return_ranks: &[f64],
    ) -> Vec<SensitivityRow> {
        let return_ranks = Centred::of(return_ranks);
        let mut gathered = Vec::new();
        let mut rows: Vec<SensitivityRow> = (0..self.parameters.len())
            .map(|j| {
                let ((low_mean, high_mean), swing_se) =
                    self.deciles[j].swing(returns, &mut gathered);
                let swing = high_mean - low_mean;
                let spearman = self.ranks[j].correlation(&return_ranks);
                let n = returns.len();
                let interval = spearman.and_then(|r| spearman_interval(r, n, Z95));
                let wide = spearman.and_then(|r| spearman_interval(r, n, self.z_family));
                let excludes_zero = wide.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0);
                let beyond_noise = swing_se.is_some_and(|se| swing.abs() > SIGNIFICANT_SE * se);
                SensitivityRow {
                    kind,
                    name: name.to_string(),
                    parameter: self.parameters[j].clone(),
                    spearman,
                    spearman_lo: interval.map(|i| i.0),
                    spearman_hi: interval.map(|i| i.1),
                    low_mean,
                    high_mean,
                    swing,
                    swing_se,
                    contribution: None,
                    significant: excludes_zero && beyond_noise,
                }
            })
            .collect();
        let total: f64 = rows.iter().filter_map(|r| r.spearman).map(|s| s * s).sum();
        if total > 0.0 {
            for r in &mut rows {
                r.contribution = r.spearman.map(|s| s * s / total);
            }
        }
        rows.sort_by(|a, b| b.swing.abs().total_cmp(&a.swing.abs()));
        rows
    }
}

/// The rows of `sensitivity.csv`: entities in summary order (groups, then assets), each
/// entity's parameters sorted by |swing|, largest first (ties in draw order).
pub fn sensitivity(model: &Model, sim: &Simulation) -> Vec<SensitivityRow> {
    let draws = DrawOrder::of(model, sim);
    model
        .entities()
        .par_iter()
        .enumerate()
        .flat_map_iter(|(e, &(kind, name))| {
            let returns = sim.total_return.column(e);
            draws.rows(kind, name, returns, &ranks(returns))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(ranks(&[10.0, 30.0, 20.0, 20.0]), vec![1.0, 4.0, 2.5, 2.5]);
    }

    #[test]
    fn spearman_is_one_for_any_increasing_relation() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y: Vec<f64> = x.iter().map(|&v: &f64| libm::exp(v)).collect();
        let r = pearson(&ranks(&x), &ranks(&y)).unwrap();
        assert!((r - 1.0).abs() < 1e-15);
        assert_eq!(pearson(&x, &[2.0; 5]), None);
    }

    #[test]
    fn deciles_follow_type_7_percentiles() {
        // 0..=20: q10 = 2, q90 = 18.
        let draws: Vec<f64> = (0..=20).map(f64::from).collect();
        let (ranks, d) = Deciles::ordered(&draws);
        assert_eq!(ranks, draws.iter().map(|x| x + 1.0).collect::<Vec<_>>());
        assert_eq!(d.low, vec![0, 1, 2]);
        assert_eq!(d.high, vec![18, 19, 20]);
        let values: Vec<f64> = draws.iter().map(|x| x * 10.0).collect();
        let ((low, high), se) = d.swing(&values, &mut Vec::new());
        assert_eq!((low, high), (10.0, 190.0));
        // Both sets {0, 10, 20} and {180, 190, 200}: variance 100, so se = sqrt(2 * 100 / 3).
        assert!((se.unwrap() - (200.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }
}
