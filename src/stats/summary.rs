//! Statistics across paths (docs/model.md §5): one [`SummaryRow`] per group and per asset, and the
//! adoption fan. Pure mathematics: nothing here reads or writes files.
//!
//! A value that is undefined (a zero denominator, an empty set) is `None`, written as an empty
//! cell; no NaN or infinity leaves this module.

use std::borrow::Cow;

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::outcome::StepReturns;
use crate::engine::{Columns, Simulation};
use crate::model::{Kind, Model};
use crate::stats::quantile::{cvars_selected, quantiles_counted, quantiles_selected};
use crate::stats::sums::{self, mean};

/// The quantile levels of the `pNN` columns.
pub const QUANTILES: [f64; 9] = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99];

/// Where an entity stands against two fixed, stated thresholds (docs/model.md §5, `profile`).
/// *High return*: mean_return above the hurdle exp(mu H) - 1 ([`Model::hurdle`]); *low risk*:
/// cvar95 at or below `[model].tail_loss_limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// High return and low risk.
    Core,
    /// High return only.
    HighUpside,
    /// Low risk only.
    Defensive,
    /// Neither.
    Avoid,
}

impl Profile {
    /// The name written in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Core => "core",
            Profile::HighUpside => "high-upside",
            Profile::Defensive => "defensive",
            Profile::Avoid => "avoid",
        }
    }
}

/// One row of `summary.csv`: the field names are the column names, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    pub kind: Kind,
    pub name: String,
    pub label: String,
    /// The group of an asset; a group's own name for a group.
    pub group: String,
    pub mean_return: f64,
    pub sd_return: Option<f64>,
    pub mcse_mean: Option<f64>,
    pub p01: f64,
    pub p05: f64,
    pub p10: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub median_cagr: f64,
    pub ann_return: f64,
    pub ann_volatility: Option<f64>,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub var95: f64,
    pub var99: f64,
    pub cvar95: f64,
    pub cvar99: f64,
    pub prob_loss: f64,
    pub mean_max_drawdown: f64,
    pub p95_max_drawdown: f64,
    pub uplift_mean: Option<f64>,
    pub uplift_p05: Option<f64>,
    pub uplift_p50: Option<f64>,
    pub uplift_p95: Option<f64>,
    pub prob_uplift: Option<f64>,
    /// 1 = highest sharpe among entities of the same kind.
    pub rank: usize,
    pub profile: Profile,
    /// Whether more paths could not flip `profile`: both its tests hold beyond their 95%
    /// intervals (`true`), or either could (`false`); empty without intervals.
    pub profile_settled: Option<bool>,
}

/// The sample standard deviation (n - 1) of `values` about `mean`; `None` below two values.
fn sample_sd(values: &[f64], mean: f64) -> Option<f64> {
    (values.len() >= 2).then(|| {
        let ss = sums::sum_by(values, |x| (x - mean) * (x - mean));
        (ss / (values.len() - 1) as f64).sqrt()
    })
}

fn share(values: &[f64], pred: impl Fn(f64) -> bool) -> f64 {
    values.iter().filter(|&&x| pred(x)).count() as f64 / values.len() as f64
}

/// An annualised volatility below 1e-12 is rounding noise of a riskless series (equal step
/// returns computed in floating point): it is 0, so the ratios over it are empty rather than
/// astronomically large.
fn numerically_zero(x: f64) -> f64 {
    if x < 1e-12 { 0.0 } else { x }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Everything of one entity that does not compare it with others.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityStats {
    pub mean_return: f64,
    pub sd_return: Option<f64>,
    pub mcse_mean: Option<f64>,
    pub quantiles: [f64; 9],
    pub median_cagr: f64,
    pub ann_return: f64,
    pub ann_volatility: Option<f64>,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub cvar95: f64,
    pub cvar99: f64,
    pub prob_loss: f64,
    pub mean_max_drawdown: f64,
    pub p95_max_drawdown: f64,
    pub uplift: Option<UpliftStats>,
}

/// The uplift columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpliftStats {
    pub mean: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    pub prob: f64,
}

/// The time and rate settings the annualised columns need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Annualisation {
    /// H.
    pub horizon_years: f64,
    /// k.
    pub steps_per_year: f64,
    /// rf.
    pub risk_free_rate: f64,
}

/// The statistics of one entity's paths that every §5 column derives from, however they were
/// computed (from every path, or from a constant-memory sketch).
#[derive(Debug, Clone, PartialEq)]
pub struct PathStats {
    /// N.
    pub paths: usize,
    /// Mean total return.
    pub mean_return: f64,
    /// Sample sd of the total return.
    pub sd_return: Option<f64>,
    /// The [`QUANTILES`] of the total return.
    pub quantiles: [f64; 9],
    /// Minus the mean of the worst ceil(5% N) and ceil(1% N) total returns.
    pub cvar95: f64,
    /// See `cvar95`.
    pub cvar99: f64,
    /// Share of paths with total return < 0.
    pub prob_loss: f64,
    /// Mean max drawdown.
    pub mean_max_drawdown: f64,
    /// 95th percentile of max drawdown.
    pub p95_max_drawdown: f64,
    /// The uplift columns, with a baseline.
    pub uplift: Option<UpliftStats>,
}

/// The §5 statistics of one entity from its per-path outcomes (each slice has N >= 1 values).
pub fn entity_stats(
    total_return: &[f64],
    max_drawdown: &[f64],
    uplift: Option<&[f64]>,
    steps: &StepReturns,
    annual: Annualisation,
) -> EntityStats {
    // Order statistics by selection, not full sorts: the same values, in O(N).
    let quantiles = quantiles_counted(total_return, &QUANTILES);
    let cvars = cvars_selected(total_return, [5, 1]);
    let [p95_max_drawdown] = quantiles_selected(max_drawdown, &[0.95]);
    entity_stats_from(
        total_return,
        quantiles,
        cvars,
        (max_drawdown, p95_max_drawdown),
        uplift,
        steps,
        annual,
    )
}

/// [`entity_stats`] with the total return's percentiles ([`QUANTILES`]) and its cvar95 and
/// cvar99, and the drawdowns' 95th percentile, already found (from orderings the caller
/// shares with other statistics).
pub fn entity_stats_from(
    total_return: &[f64],
    quantiles: [f64; 9],
    [cvar95, cvar99]: [f64; 2],
    (max_drawdown, p95_max_drawdown): (&[f64], f64),
    uplift: Option<&[f64]>,
    steps: &StepReturns,
    annual: Annualisation,
) -> EntityStats {
    let mean_return = mean(total_return);
    let uplift = uplift.map(|u| {
        let [p05, p50, p95] = quantiles_counted(u, &[0.05, 0.50, 0.95]);
        UpliftStats {
            mean: mean(u),
            p05,
            p50,
            p95,
            prob: share(u, |x| x > 0.0),
        }
    });
    derive_stats(
        PathStats {
            paths: total_return.len(),
            mean_return,
            sd_return: sample_sd(total_return, mean_return),
            quantiles,
            cvar95,
            cvar99,
            prob_loss: share(total_return, |x| x < 0.0),
            mean_max_drawdown: mean(max_drawdown),
            p95_max_drawdown,
            uplift,
        },
        steps,
        annual,
    )
}

/// The §5 statistics from an entity's path statistics and pooled step returns.
pub fn derive_stats(paths: PathStats, steps: &StepReturns, annual: Annualisation) -> EntityStats {
    let h = annual.horizon_years;
    let ann_return = libm::pow(1.0 + paths.mean_return, 1.0 / h) - 1.0;
    let ann_volatility = steps
        .sd()
        .map(|sd| numerically_zero(sd * annual.steps_per_year.sqrt()));
    let excess = ann_return - annual.risk_free_rate;
    let ratio = |denominator: f64| {
        (denominator > 0.0)
            .then(|| excess / denominator)
            .and_then(finite)
    };
    let sharpe = ann_volatility.and_then(ratio);
    let sortino = steps
        .downside_deviation()
        .map(|d| numerically_zero(d * annual.steps_per_year.sqrt()))
        .and_then(ratio);
    EntityStats {
        mean_return: paths.mean_return,
        sd_return: paths.sd_return,
        mcse_mean: paths.sd_return.map(|sd| sd / (paths.paths as f64).sqrt()),
        quantiles: paths.quantiles,
        median_cagr: libm::pow(1.0 + paths.quantiles[4], 1.0 / h) - 1.0,
        ann_return,
        ann_volatility,
        sharpe,
        sortino,
        cvar95: paths.cvar95,
        cvar99: paths.cvar99,
        prob_loss: paths.prob_loss,
        mean_max_drawdown: paths.mean_max_drawdown,
        p95_max_drawdown: paths.p95_max_drawdown,
        uplift: paths.uplift,
    }
}

/// The annualisation settings of a model.
pub fn annualisation(model: &Model) -> Annualisation {
    Annualisation {
        horizon_years: model.horizon_years,
        steps_per_year: f64::from(model.steps_per_year),
        risk_free_rate: model.risk_free_rate,
    }
}

/// The rows of `summary.csv` from each entity's statistics (groups, then assets): ranks and
/// profiles among entities of the same kind.
pub fn rows(model: &Model, stats: &[EntityStats]) -> Vec<SummaryRow> {
    let g = model.groups.len();
    let (group_stats, asset_stats) = stats.split_at(g);
    let thresholds = Thresholds::of(model);
    let group_rp = rank_and_profile(&group_stats.iter().collect::<Vec<_>>(), thresholds);
    let asset_rp = rank_and_profile(&asset_stats.iter().collect::<Vec<_>>(), thresholds);
    let mut rows = Vec::with_capacity(stats.len());
    for (i, grp) in model.groups.iter().enumerate() {
        rows.push(row(
            Kind::Group,
            &grp.name,
            &grp.label,
            &grp.name,
            &group_stats[i],
            group_rp[i],
        ));
    }
    for (i, a) in model.assets.iter().enumerate() {
        let group = &model.groups[a.group].name;
        rows.push(row(
            Kind::Asset,
            &a.name,
            &a.label,
            group,
            &asset_stats[i],
            asset_rp[i],
        ));
    }
    rows
}

/// The two lines a profile is drawn by (docs/model.md §5, `profile`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// A mean_return above it is high return: exp(mu H) - 1.
    pub hurdle: f64,
    /// A cvar95 at or below it is low risk: `[model].tail_loss_limit`.
    pub tail_loss_limit: f64,
}

impl Thresholds {
    /// The model's.
    pub fn of(model: &Model) -> Self {
        Thresholds {
            hurdle: model.hurdle(),
            tail_loss_limit: model.tail_loss_limit,
        }
    }

    /// The profile of a mean return and a cvar95.
    pub fn profile(self, mean_return: f64, cvar95: f64) -> Profile {
        match (self.high_return(mean_return), self.low_risk(cvar95)) {
            (true, true) => Profile::Core,
            (true, false) => Profile::HighUpside,
            (false, true) => Profile::Defensive,
            (false, false) => Profile::Avoid,
        }
    }

    fn high_return(self, mean_return: f64) -> bool {
        mean_return > self.hurdle
    }

    fn low_risk(self, cvar95: f64) -> bool {
        cvar95 <= self.tail_loss_limit
    }

    /// Whether the 95% intervals of mean_return and cvar95 each lie wholly on one side of
    /// their threshold, the threshold counting on the side its rule puts it (a mean return at
    /// the hurdle is not high return, a cvar95 at the limit is low risk); `None` without both.
    pub fn settled(
        self,
        mean_return: Option<(f64, f64)>,
        cvar95: Option<(f64, f64)>,
    ) -> Option<bool> {
        let ((mean_lo, mean_hi), (cvar_lo, cvar_hi)) = (mean_return?, cvar95?);
        let side = |lo: bool, hi: bool| lo == hi;
        Some(
            side(self.high_return(mean_lo), self.high_return(mean_hi))
                && side(self.low_risk(cvar_lo), self.low_risk(cvar_hi)),
        )
    }
}

/// Ranks (by sharpe, highest first, empty last, ties in input order) and profiles entities of
/// one kind. Returns (rank, profile) in input order.
pub fn rank_and_profile(stats: &[&EntityStats], thresholds: Thresholds) -> Vec<(usize, Profile)> {
    let mut order: Vec<usize> = (0..stats.len()).collect();
    order.sort_by(|&a, &b| match (stats[a].sharpe, stats[b].sharpe) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut rank = vec![0; stats.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r + 1;
    }
    stats
        .iter()
        .enumerate()
        .map(|(i, s)| (rank[i], thresholds.profile(s.mean_return, s.cvar95)))
        .collect()
}

fn row(
    kind: Kind,
    name: &str,
    label: &str,
    group: &str,
    s: &EntityStats,
    rp: (usize, Profile),
) -> SummaryRow {
    let q = s.quantiles;
    SummaryRow {
        kind,
        name: name.to_string(),
        label: label.to_string(),
        group: group.to_string(),
        mean_return: s.mean_return,
        sd_return: s.sd_return,
        mcse_mean: s.mcse_mean,
        p01: q[0],
        p05: q[1],
        p10: q[2],
        p25: q[3],
        p50: q[4],
        p75: q[5],
        p90: q[6],
        p95: q[7],
        p99: q[8],
        median_cagr: s.median_cagr,
        ann_return: s.ann_return,
        ann_volatility: s.ann_volatility,
        sharpe: s.sharpe,
        sortino: s.sortino,
        var95: -q[1],
        var99: -q[0],
        cvar95: s.cvar95,
        cvar99: s.cvar99,
        prob_loss: s.prob_loss,
        mean_max_drawdown: s.mean_max_drawdown,
        p95_max_drawdown: s.p95_max_drawdown,
        uplift_mean: s.uplift.map(|u| u.mean),
        uplift_p05: s.uplift.map(|u| u.p05),
        uplift_p50: s.uplift.map(|u| u.p50),
        uplift_p95: s.uplift.map(|u| u.p95),
        prob_uplift: s.uplift.map(|u| u.prob),
        rank: rp.0,
        profile: rp.1,
        profile_settled: None,
    }
}

/// The rows of `summary.csv`: groups, then assets, in file order.
pub fn summarise(model: &Model, sim: &Simulation) -> Vec<SummaryRow> {
    summarise_paths(model, sim, None, &sim.step_returns)
}

/// The rows of `summary.csv` over the paths where `mask` is true (all paths when `None`), with
/// those paths' pooled step returns. The mask must select at least one path.
pub fn summarise_paths(
    model: &Model,
    sim: &Simulation,
    mask: Option<&[bool]>,
    step_returns: &[StepReturns],
) -> Vec<SummaryRow> {
    let e = sim.entities;
    // Each entity's column, or its matching paths only.
    fn column<'a>(columns: &'a Columns, i: usize, mask: Option<&[bool]>) -> Cow<'a, [f64]> {
        let all = columns.column(i);
        match mask {
            None => Cow::Borrowed(all),
            Some(mask) => Cow::Owned(
                all.iter()
                    .zip(mask)
                    .filter(|(_, k)| **k)
                    .map(|(v, _)| *v)
                    .collect(),
            ),
        }
    }
    let annual = Annualisation {
        horizon_years: model.horizon_years,
        steps_per_year: f64::from(model.steps_per_year),
        risk_free_rate: model.risk_free_rate,
    };
    let stats: Vec<EntityStats> = (0..e)
        .into_par_iter()
        .map(|i| {
            let uplift = sim.uplift.as_ref().map(|u| column(u, i, mask));
            entity_stats(
                &column(&sim.total_return, i, mask),
                &column(&sim.max_drawdown, i, mask),
                uplift.as_deref(),
                &step_returns[i],
                annual,
            )
        })
        .collect();
    rows(model, &stats)
}

/// One point of an entity's distribution in `distributions.csv` (the data of the report's
/// CDF charts): the `level`-quantile of a measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistributionRow {
    /// `group` or `asset`.
    pub kind: Kind,
    /// The entity.
    pub name: String,
    /// `total_return` or `max_drawdown`.
    pub measure: &'static str,
    /// 0.01, 0.02, ..., 0.99.
    pub level: f64,
    /// The type-7 quantile.
    pub value: f64,
}

/// The levels of `distributions.csv`.
pub fn distribution_levels() -> impl Iterator<Item = f64> {
    (1..=99).map(|i| f64::from(i) / 100.0)
}

/// `distributions.csv` from every path: percentiles 1..99 of each entity's total return and
/// maximum drawdown (selected, not sorted: the same order statistics, so the same values).
pub fn distributions(model: &Model, sim: &Simulation) -> Vec<DistributionRow> {
    let levels = distribution_level_array();
    model
        .entities()
        .into_par_iter()
        .enumerate()
        .flat_map_iter(|(i, (kind, name))| {
            let returns = quantiles_counted(sim.total_return.column(i), &levels);
            let drawdowns = quantiles_counted(sim.max_drawdown.column(i), &levels);
            distribution_rows(kind, name, returns, drawdowns)
        })
        .collect()
}

/// The position of the level 0.95 in [`distribution_level_array`] (0.95 to the bit, tested):
/// where a column's 99 percentiles hold its summary 95th percentile.
pub const DISTRIBUTION_P95: usize = 94;

/// The levels of `distributions.csv` as an array: 0.01, ..., 0.99.
pub fn distribution_level_array() -> [f64; 99] {
    let levels: [f64; 99] = std::array::from_fn(|i| (i + 1) as f64 / 100.0);
    debug_assert!(levels.iter().copied().eq(distribution_levels()));
    levels
}

/// One entity's rows of `distributions.csv` from the percentiles of its total return and of its
/// maximum drawdown at [`distribution_level_array`]'s levels.
pub fn distribution_rows(
    kind: Kind,
    name: &str,
    returns: [f64; 99],
    drawdowns: [f64; 99],
) -> Vec<DistributionRow> {
    let levels = distribution_level_array();
    [("total_return", returns), ("max_drawdown", drawdowns)]
        .into_iter()
        .flat_map(|(measure, quantiles)| {
            levels
                .iter()
                .zip(quantiles)
                .map(move |(&level, value)| DistributionRow {
                    kind,
                    name: name.to_string(),
                    measure,
                    level,
                    value,
                })
        })
        .collect()
}

/// One step of the adoption fan chart.
#[derive(Debug, Clone, PartialEq)]
pub struct FanStep {
    /// j.
    pub step: usize,
    /// t_j in years.
    pub year: f64,
    /// mean, p05, p25, p50, p75, p95 of A(t_j).
    pub boom: [f64; 6],
    /// The same under the baseline.
    pub baseline: Option<[f64; 6]>,
}

/// The fan levels after the mean.
pub const FAN_QUANTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

fn fan_stats(values: &[f64]) -> [f64; 6] {
    let mut out = [mean(values), 0.0, 0.0, 0.0, 0.0, 0.0];
    let q = quantiles_counted(values, &FAN_QUANTILES);
    out[1..].copy_from_slice(&q);
    out
}

/// The adoption fan: A(t_j) across paths at every step.
pub fn adoption_fan(model: &Model, sim: &Simulation) -> Vec<FanStep> {
    (0..=sim.steps)
        .into_par_iter()
        .map(|j| FanStep {
            step: j,
            year: j as f64 * model.dt(),
            boom: fan_stats(sim.adoption.column(j)),
            baseline: sim
                .baseline_adoption
                .as_ref()
                .map(|b| fan_stats(b.column(j))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::quantile::*;

    #[test]
    fn selected_tails_equal_the_sorted_ones_bit_for_bit() {
        for n in [1, 2, 19, 100, 1001] {
            // Deterministic, unordered, with ties.
            let data: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % 101) as f64 / 7.0 - 3.0)
                .collect();
            let sorted = sorted(&data);
            let got = cvars_selected(&data, [5, 1]);
            assert_eq!(
                got[0].to_bits(),
                cvar_sorted(&sorted, 5).to_bits(),
                "n = {n}"
            );
            assert_eq!(
                got[1].to_bits(),
                cvar_sorted(&sorted, 1).to_bits(),
                "n = {n}"
            );
            let q = quantiles_selected(&data, &QUANTILES);
            for (p, q) in QUANTILES.iter().zip(q) {
                assert_eq!(q.to_bits(), quantile_sorted(&sorted, *p).to_bits());
            }
            // Both from one selection, as precision.csv's batches take them.
            let (q, c) = quantiles_and_cvars_selected(&data, &QUANTILES, [5, 1]);
            for (p, q) in QUANTILES.iter().zip(q) {
                assert_eq!(
                    q.to_bits(),
                    quantile_sorted(&sorted, *p).to_bits(),
                    "n = {n}"
                );
            }
            assert_eq!(c.map(f64::to_bits), got.map(f64::to_bits), "n = {n}");
        }
        // Signed zeros in the tail keep their signs, as in a sort by total order.
        let zeros = [0.0, -0.0, 1.0, -0.0, 2.0, 0.0];
        let sorted_zeros = sorted(&zeros);
        let ([median], [all]) = quantiles_and_cvars_selected(&zeros, &[0.5], [100]);
        assert_eq!(
            median.to_bits(),
            quantile_sorted(&sorted_zeros, 0.5).to_bits()
        );
        assert_eq!(all.to_bits(), cvar_sorted(&sorted_zeros, 100).to_bits());
    }

    #[test]
    fn the_95th_distribution_level_is_the_summarys_95th_percentile() {
        // The one-pass summaries read p95_max_drawdown off distributions.csv's percentiles.
        assert_eq!(
            distribution_level_array()[DISTRIBUTION_P95].to_bits(),
            0.95f64.to_bits()
        );
    }

    #[test]
    fn type7_quantiles_match_numpy() {
        // numpy.quantile([1, 2, 4, 8], [0, 0.1, 0.5, 0.95, 1]) = [1, 1.3, 3, 7.4, 8]
        let s = [1.0, 2.0, 4.0, 8.0];
        let want = [(0.0, 1.0), (0.1, 1.3), (0.5, 3.0), (0.95, 7.4), (1.0, 8.0)];
        for (p, q) in want {
            assert!((quantile_sorted(&s, p) - q).abs() < 1e-12, "p={p}");
        }
        assert_eq!(quantile_sorted(&[5.0], 0.3), 5.0);
    }

    #[test]
    fn selected_quantiles_equal_sorted_ones() {
        let data: Vec<f64> = (0..1001)
            .map(|i| ((i * 7919) % 1001) as f64 * 0.37)
            .collect();
        let s = sorted(&data);
        let ps = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0];
        let got = quantiles_selected(&data, &ps);
        for (g, p) in got.iter().zip(ps) {
            assert_eq!(*g, quantile_sorted(&s, p));
        }
        assert_eq!(quantiles_selected(&[3.0], &[0.5, 0.9]), [3.0, 3.0]);
    }

    #[test]
    fn counted_quantiles_equal_sorted_ones_on_long_columns() {
        // Long enough to be counted (past 8,192 values), both signs (the keys of negative and
        // positive values lie far apart, so buckets crowd and are counted again), ties, and a
        // block of total losses.
        let data: Vec<f64> = (0..50_000)
            .map(|i| match i % 5 {
                0 => -1.0,
                1 => ((i * 7919) % 10_007) as f64 * 1e-3 - 2.0,
                _ => libm::exp(((i * 104_729) % 99_991) as f64 / 5_000.0) - 1.0,
            })
            .collect();
        let s = sorted(&data);
        let levels: [f64; 99] = std::array::from_fn(|i| (i + 1) as f64 / 100.0);
        for (g, p) in quantiles_counted(&data, &levels).iter().zip(levels) {
            assert_eq!(g.to_bits(), quantile_sorted(&s, p).to_bits(), "p={p}");
        }
        let got = quantiles_counted(&data, &QUANTILES);
        for (g, p) in got.iter().zip(QUANTILES) {
            assert_eq!(g.to_bits(), quantile_sorted(&s, p).to_bits(), "p={p}");
        }
    }

    #[test]
    fn cvar_counts_the_tail_exactly() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(cvar_sorted(&s, 5), -3.0); // mean of 1..=5
        assert_eq!(cvar_sorted(&s, 1), -1.0);
        let s: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(cvar_sorted(&s, 5), -3.5); // ceil(5.05) = 6 values
        assert_eq!(cvar_sorted(&[2.0], 1), -2.0);
    }

    #[test]
    fn median_averages_the_middle_pair() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    fn stats(mean_return: f64, cvar95: f64, sharpe: Option<f64>) -> EntityStats {
        let q = [0.0; 9];
        EntityStats {
            mean_return,
            sd_return: None,
            mcse_mean: None,
            quantiles: q,
            median_cagr: 0.0,
            ann_return: 0.0,
            ann_volatility: None,
            sharpe,
            sortino: None,
            cvar95,
            cvar99: 0.0,
            prob_loss: 0.0,
            mean_max_drawdown: 0.0,
            p95_max_drawdown: 0.0,
            uplift: None,
        }
    }

    const THRESHOLDS: Thresholds = Thresholds {
        hurdle: 1.0,
        tail_loss_limit: 0.5,
    };

    #[test]
    fn ranks_by_sharpe_with_empty_last_and_profiles_by_fixed_thresholds() {
        let s = [
            stats(1.5, 0.1, Some(0.2)),  // above the hurdle, low tail -> core
            stats(3.0, 0.9, None),       // above, deep tail -> high-upside, empty sharpe last
            stats(0.2, 0.05, Some(0.9)), // below, low tail -> defensive
            stats(0.8, 0.7, Some(-0.1)), // below, deep tail -> avoid
        ];
        let rp = rank_and_profile(&s.iter().collect::<Vec<_>>(), THRESHOLDS);
        assert_eq!(
            rp,
            vec![
                (2, Profile::Core),
                (4, Profile::HighUpside),
                (1, Profile::Defensive),
                (3, Profile::Avoid),
            ]
        );
        // Absolute: the same entity keeps its profile whatever the others are.
        let alone = rank_and_profile(&[&s[3]], THRESHOLDS);
        assert_eq!(alone[0].1, Profile::Avoid);
    }

    #[test]
    fn the_thresholds_count_on_the_side_their_rule_puts_them() {
        // A mean at the hurdle is not high return; a cvar95 at the limit is low risk.
        assert_eq!(THRESHOLDS.profile(1.0, 0.5), Profile::Defensive);
        assert_eq!(
            THRESHOLDS.profile(1.0 + 1e-12, 0.5 + 1e-12),
            Profile::HighUpside
        );
        let t = THRESHOLDS;
        // Settled: both intervals on one side; the threshold itself on its rule's side.
        assert_eq!(t.settled(Some((1.1, 1.4)), Some((0.1, 0.5))), Some(true));
        assert_eq!(t.settled(Some((0.5, 1.0)), Some((0.51, 0.9))), Some(true));
        assert_eq!(t.settled(Some((0.9, 1.1)), Some((0.1, 0.2))), Some(false));
        assert_eq!(t.settled(Some((1.2, 1.3)), Some((0.4, 0.6))), Some(false));
        assert_eq!(t.settled(None, Some((0.1, 0.2))), None);
        assert_eq!(t.settled(Some((1.2, 1.3)), None), None);
    }

    #[test]
    fn the_hurdle_is_the_fair_assets_expected_total_return() {
        let model = crate::model::parse_model(crate::model::DEFAULT_MODEL_TEXT, "python-5x.toml")
            .expect("default model");
        // 7% a year over 10 years: exp(0.7) - 1 = +101.4%.
        assert!((model.hurdle() - libm::expm1(0.7)).abs() < 1e-15);
        assert_eq!(model.tail_loss_limit, 0.5);
    }
}
