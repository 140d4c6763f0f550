//! What drives the result: for each entity and each uncertain parameter, how strongly the
//! parameter's draw moves the entity's total return (the data of a tornado chart).
//!
//! - `spearman`: rank correlation (Pearson correlation of average ranks, so ties share a rank)
//!   between the draws and the total returns;
//! - `low_mean`, `high_mean`: mean total return over the paths whose draw lies in the lowest
//!   decile (draw <= its type-7 10th percentile) and in the highest (draw >= its 90th
//!   percentile); `swing` = high_mean - low_mean;
//! - `contribution`: spearman^2 normalised to sum to 1 over the entity's parameters.
//!
//! Pure statistics over the engine's per-path columns; nothing here writes files.

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::Simulation;
use crate::model::Model;
use crate::summary::{Kind, entities, quantiles_selected};

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
    /// Mean total return over the paths in the draw's lowest decile.
    pub low_mean: f64,
    /// Mean total return over the paths in the draw's highest decile.
    pub high_mean: f64,
    /// high_mean - low_mean.
    pub swing: f64,
    /// spearman^2 / sum over the entity's parameters of spearman^2; empty when that sum is 0.
    pub contribution: Option<f64>,
}

/// 1-based ranks, ties sharing the average of their ranks.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    // Radix-sort (value, index) pairs side by side (linear time, and no reads of `values` at
    // random); the order among ties does not matter, they share a rank.
    let mut order: Vec<(f64, usize)> = values.iter().copied().zip(0..).collect();
    radsort::sort_by_key(&mut order, |pair| pair.0);
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && order[j + 1].0 == order[i].0 {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        for &(_, k) in &order[i..=j] {
            out[k] = average;
        }
        i = j + 1;
    }
    out
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

impl Centred {
    fn of(x: &[f64]) -> Self {
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let deviations: Vec<f64> = x.iter().map(|a| a - mean).collect();
        let squares = deviations.iter().fold(0.0, |sum, d| sum + d * d);
        Centred {
            deviations,
            squares,
        }
    }

    /// Pearson correlation; `None` when either side has no variance.
    fn correlation(&self, other: &Centred) -> Option<f64> {
        let products = self.deviations.iter().zip(&other.deviations);
        let sxy = products.fold(0.0, |sum, (a, b)| sum + a * b);
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
    /// The decile sets of `draws`.
    pub fn of(draws: &[f64]) -> Self {
        let [q10, q90] = quantiles_selected(draws, &[0.1, 0.9]);
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

    /// Mean of `values` over the low and the high set.
    pub fn means(&self, values: &[f64]) -> (f64, f64) {
        let mean = |idx: &[usize]| idx.iter().map(|&i| values[i]).sum::<f64>() / idx.len() as f64;
        (mean(&self.low), mean(&self.high))
    }
}

/// The rows of `sensitivity.csv`: entities in summary order (groups, then assets), each
/// entity's parameters sorted by |swing|, largest first (ties in draw order).
pub fn sensitivity(model: &Model, sim: &Simulation) -> Vec<SensitivityRow> {
    let parameters: Vec<String> = model
        .uncertain_parameters()
        .into_iter()
        .map(|p| p.path)
        .collect();
    let p = sim.parameters;
    let columns: Vec<&[f64]> = sim.draws.iter().collect();
    let draw_ranks: Vec<Centred> = columns.par_iter().map(|c| Centred::of(&ranks(c))).collect();
    let deciles: Vec<Deciles> = columns.par_iter().map(|c| Deciles::of(c)).collect();
    entities(model)
        .par_iter()
        .enumerate()
        .flat_map_iter(|(e, &(kind, name))| {
            let returns = sim.total_return.column(e);
            let return_ranks = Centred::of(&ranks(returns));
            let mut rows: Vec<SensitivityRow> = (0..p)
                .map(|j| {
                    let (low_mean, high_mean) = deciles[j].means(returns);
                    SensitivityRow {
                        kind,
                        name: name.to_string(),
                        parameter: parameters[j].clone(),
                        spearman: draw_ranks[j].correlation(&return_ranks),
                        low_mean,
                        high_mean,
                        swing: high_mean - low_mean,
                        contribution: None,
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
        let y: Vec<f64> = x.iter().map(|v: &f64| v.exp()).collect();
        let r = pearson(&ranks(&x), &ranks(&y)).unwrap();
        assert!((r - 1.0).abs() < 1e-15);
        assert_eq!(pearson(&x, &[2.0; 5]), None);
    }

    #[test]
    fn deciles_follow_type_7_percentiles() {
        // 0..=20: q10 = 2, q90 = 18.
        let draws: Vec<f64> = (0..=20).map(f64::from).collect();
        let d = Deciles::of(&draws);
        assert_eq!(d.low, vec![0, 1, 2]);
        assert_eq!(d.high, vec![18, 19, 20]);
        let values: Vec<f64> = draws.iter().map(|x| x * 10.0).collect();
        assert_eq!(d.means(&values), (10.0, 190.0));
    }
}
