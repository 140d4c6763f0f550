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

use crate::engine::{Isa, Simulation};
use crate::model::Kind;
use crate::model::Model;
use crate::stats::order;
/// 1-based ranks, ties sharing the average of their ranks.
pub use crate::stats::order::ranks;
use crate::stats::quantile::{type7_around, type7_between};
use crate::stats::sums::{self, dot, sum};

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

/// A column's ranks as doubled deviations from their mean, 2 * rank - (n + 1) (integers: see
/// [`order::centred_ranks_and_order_statistics`]), and their exact sum of squares: what every
/// Spearman coefficient of that column shares.
pub struct CentredRanks {
    doubled: Vec<i32>,
    squares: i128,
}

impl CentredRanks {
    /// From doubled centred ranks.
    pub fn new(doubled: Vec<i32>) -> Self {
        let squares = rank_dots(&doubled, &[&doubled])[0];
        CentredRanks { doubled, squares }
    }

    /// Spearman's coefficient of this column with each of `others` (the Pearson correlation of
    /// the ranks), from exact integer sums; `None` where either side is constant. Equal to
    /// `Centred::correlation` of the ranks to the bit whenever its floating-point sums are
    /// exact (below about 300,000 paths), and more accurate beyond.
    pub fn spearmans(&self, others: &[CentredRanks]) -> Vec<Option<f64>> {
        let columns: Vec<&[i32]> = others.iter().map(|o| &o.doubled[..]).collect();
        rank_dots(&self.doubled, &columns)
            .into_iter()
            .zip(others)
            .map(|(sxy, other)| self.spearman(other, sxy))
            .collect()
    }

    /// Spearman's coefficient with `other` given their exact sum of products `sxy`.
    fn spearman(&self, other: &CentredRanks, sxy: i128) -> Option<f64> {
        // Doubled deviations make every sum four times the sum of the deviations: scaling by a
        // power of two is exact.
        let undouble = |sum: i128| sum as f64 * 0.25;
        let r = undouble(sxy) / (undouble(self.squares) * undouble(other.squares)).sqrt();
        r.is_finite().then_some(r)
    }
}

/// The most products summed into one `i64` before it is added to the `i128` total.
const RANK_BLOCK: usize = 2048;

/// How many products of values at most `largest` in size one `i64` sums without overflow, at
/// most [`RANK_BLOCK`].
fn rank_block(largest: u32) -> usize {
    let largest = i128::from(largest.max(1));
    (i128::from(i64::MAX) / (largest * largest)).clamp(1, RANK_BLOCK as i128) as usize
}

/// For each column b of `columns` (each as long as `a`), the exact sum over i of a[i] * b[i]:
/// products in `i64`, summed over blocks short enough that no block's sum can overflow (every
/// |value| is below the column's length), the blocks' sums added in `i128`. Integer sums do
/// not depend on their order, so the results are the same on every instruction set; the
/// loop walks `a` a block at a time against every column, so `a` is read from memory once.
fn rank_dots(a: &[i32], columns: &[&[i32]]) -> Vec<i128> {
    // A doubled centred rank of n paths is at most n - 1 in size.
    exact_dots(a, columns, a.len().saturating_sub(1) as u32)
}

/// [`rank_dots`] of columns whose values are at most `largest` in size.
fn exact_dots(a: &[i32], columns: &[&[i32]], largest: u32) -> Vec<i128> {
    let n = a.len();
    debug_assert!(columns.iter().all(|b| b.len() == n));
    debug_assert!(
        a.iter()
            .chain(columns.iter().copied().flatten())
            .all(|x| x.unsigned_abs() <= largest)
    );
    let block = rank_block(largest);
    Isa::detect().run(
        #[inline(always)]
        || {
            let mut totals = vec![0i128; columns.len()];
            for start in (0..n).step_by(block) {
                let x = &a[start..(start + block).min(n)];
                for (total, b) in totals.iter_mut().zip(columns) {
                    let y = &b[start..start + x.len()];
                    let sum: i64 = x
                        .iter()
                        .zip(y)
                        .map(|(&p, &q)| i64::from(p) * i64::from(q))
                        .sum();
                    *total += i128::from(sum);
                }
            }
            totals
        },
    )
}

/// Entities whose ranks a tile of [`rank_dot_matrix`] holds at once against one parameter's
/// block: each parameter value loaded feeds this many products.
const TILE: usize = 4;

/// Every exact sum over i of `rows[e][i] * columns[p][i]` (the returns' ranks of each entity
/// against each driver's), as `[e][p]`: the integer matrix product of the two sets of columns,
/// walked a block of [`rank_block`] paths at a time. Within a block every pair is formed while
/// both blocks are in cache (one entity tile against each parameter), so each column is read
/// from memory once, where one entity at a time reads every parameter's column again: the
/// cost is linear in paths and in entities x parameters. Blocks run in parallel, each into
/// sums of its own, added at the end; integer sums do not depend on their order, so the
/// results are the sums of [`rank_dots`] on every instruction set and thread count.
fn rank_dot_matrix(rows: &[&[i32]], columns: &[&[i32]]) -> Vec<Vec<i128>> {
    let (entities, parameters) = (rows.len(), columns.len());
    let n = rows.first().map_or(0, |r| r.len());
    debug_assert!(rows.iter().chain(columns).all(|c| c.len() == n));
    let block = rank_block(n.saturating_sub(1) as u32);
    let zero = || vec![0i128; entities * parameters];
    let isa = Isa::detect();
    let sums = (0..n.div_ceil(block))
        .into_par_iter()
        .fold(zero, |mut sums, k| {
            let range = k * block..((k + 1) * block).min(n);
            isa.run(
                #[inline(always)]
                || {
                    for first in (0..entities).step_by(TILE) {
                        let tile = first..(first + TILE).min(entities);
                        let x: [&[i32]; TILE] = std::array::from_fn(|t| {
                            rows.get(first + t).map_or(&[][..], |r| &r[range.clone()])
                        });
                        for (p, column) in columns.iter().enumerate() {
                            let y = &column[range.clone()];
                            let dots = tile_dots(&x, y, tile.len());
                            for (t, e) in tile.clone().enumerate() {
                                sums[e * parameters + p] += i128::from(dots[t]);
                            }
                        }
                    }
                },
            );
            sums
        })
        .reduce(zero, |mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        });
    sums.chunks(parameters.max(1))
        .take(entities)
        .map(<[i128]>::to_vec)
        .collect()
}

/// The `used` first rows of a tile against one column block, as `i64` sums (one block of
/// [`rank_block`] products cannot overflow). A full tile runs as one loop over the block so
/// each `y[i]` feeds [`TILE`] products.
#[inline(always)]
fn tile_dots(x: &[&[i32]; TILE], y: &[i32], used: usize) -> [i64; TILE] {
    if used == TILE {
        let mut s = [0i64; TILE];
        let n = y.len();
        let (x0, x1, x2, x3) = (&x[0][..n], &x[1][..n], &x[2][..n], &x[3][..n]);
        for i in 0..n {
            let q = i64::from(y[i]);
            s[0] += i64::from(x0[i]) * q;
            s[1] += i64::from(x1[i]) * q;
            s[2] += i64::from(x2[i]) * q;
            s[3] += i64::from(x3[i]) * q;
        }
        return s;
    }
    std::array::from_fn(|t| {
        if t < used {
            x[t].iter()
                .zip(y)
                .map(|(&p, &q)| i64::from(p) * i64::from(q))
                .sum()
        } else {
            0
        }
    })
}

/// A set of paths, one bit per path: n / 8 bytes, where a list of the indices of a tenth of the
/// paths took 0.4 n (and every parameter keeps two sets for the whole of sensitivity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSet {
    words: Vec<u64>,
    len: usize,
}

impl PathSet {
    /// The paths i < `n` for which `member(i)` holds, in one branch-free pass.
    fn of(n: usize, member: impl Fn(usize) -> bool) -> Self {
        let mut words = vec![0u64; n.div_ceil(64)];
        for (w, word) in words.iter_mut().enumerate() {
            let end = (64 * w + 64).min(n);
            for i in 64 * w..end {
                *word |= u64::from(member(i)) << (i - 64 * w);
            }
        }
        let len = words.iter().map(|w| w.count_ones() as usize).sum();
        PathSet { words, len }
    }

    /// A set from its members (for tests).
    #[cfg(test)]
    fn from_members(n: usize, members: &[usize]) -> Self {
        PathSet::of(n, |i| members.contains(&i))
    }

    /// How many paths the set holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Replaces `out` with its paths, ascending.
    pub fn paths(&self, out: &mut Vec<u32>) {
        out.clear();
        out.reserve(self.len);
        for (w, &word) in self.words.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                out.push(64 * w as u32 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
    }
}

/// The paths in a parameter's lowest and highest decile of draws.
pub struct Deciles {
    /// Paths with draw <= the 10th percentile.
    pub low: PathSet,
    /// Paths with draw >= the 90th percentile.
    pub high: PathSet,
}

impl Deciles {
    /// The doubled centred ranks of `draws` and their decile sets, from one ordering of the
    /// column: the deciles' bounds are its type-7 percentiles at 10% and 90%.
    pub fn ordered(draws: &[f64]) -> (Vec<i32>, Self) {
        let n = draws.len();
        let around = DECILES.map(|p| type7_around(n, p));
        let at: Vec<usize> = around.iter().flat_map(|&(lo, hi)| [lo, hi]).collect();
        let (ranks, x) = order::centred_ranks_and_order_statistics(draws, &at);
        let [q10, q90] = [0, 1].map(|k| type7_between(n, DECILES[k], x[2 * k], x[2 * k + 1]));
        let deciles = Deciles {
            low: PathSet::of(n, |i| draws[i] <= q10),
            high: PathSet::of(n, |i| draws[i] >= q90),
        };
        (ranks, deciles)
    }
}

/// For each parameter's deciles, the means of `values` over its low and its high set, and the
/// standard error of high mean - low mean: sqrt(s_high^2 / n_high + s_low^2 / n_low), each
/// set's sample variance about its mean; the error is `None` when a set has fewer than two
/// paths, or the variances overflow. Each set's values are gathered once into one buffer and
/// summed there in [`sums`]' order, like every other mean over paths.
pub fn swings(deciles: &[Deciles], values: &[f64]) -> Vec<Swing> {
    swings_of(deciles, &[values]).pop().unwrap_or_default()
}

/// One parameter's swing for one entity: (low mean, high mean) and the standard error of
/// their difference ([`swings`]).
pub type Swing = ((f64, f64), Option<f64>);

/// [`swings`] of several entities at once, `[entity][parameter]`: each decile set is decoded
/// into its paths once (in parallel over the parameters) and every entity's values are
/// gathered from them, so the one-bit-a-path sets cost one decoding per group of entities.
pub fn swings_of(deciles: &[Deciles], values: &[&[f64]]) -> Vec<Vec<Swing>> {
    let by_parameter: Vec<Vec<Swing>> = deciles
        .par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(low, high, gathered), d| {
                d.low.paths(low);
                d.high.paths(high);
                values
                    .iter()
                    .map(|values| {
                        let mut mean_and_variance = |set: &[u32]| {
                            gathered.clear();
                            gathered.extend(set.iter().map(|&i| values[i as usize]));
                            let n = gathered.len();
                            let mean = sums::mean(gathered);
                            let variance_of_mean = (n >= 2).then(|| {
                                sums::sum_by(gathered, |x| (x - mean) * (x - mean))
                                    / (n - 1) as f64
                                    / n as f64
                            });
                            (mean, variance_of_mean)
                        };
                        let (low_mean, low_variance) = mean_and_variance(low);
                        let (high_mean, high_variance) = mean_and_variance(high);
                        let se = low_variance
                            .zip(high_variance)
                            .map(|(low, high)| (low + high).sqrt())
                            .filter(|se| se.is_finite());
                        ((low_mean, high_mean), se)
                    })
                    .collect()
            },
        )
        .collect();
    (0..values.len())
        .map(|e| by_parameter.iter().map(|p| p[e]).collect())
        .collect()
}

/// One entity as [`DrawOrder::rows_of`] takes it.
pub struct EntityRanks<'a> {
    /// `group` or `asset`, and its name.
    pub kind: Kind,
    pub name: &'a str,
    /// Its total return on each path.
    pub returns: &'a [f64],
    /// Their doubled centred ranks.
    pub ranks: Vec<i32>,
}

/// What every entity's rows of `sensitivity.csv` share: each uncertain parameter's name, the
/// ranks of its draws (centred) and its decile sets, and the family-wise z of the file.
pub struct DrawOrder {
    parameters: Vec<String>,
    ranks: Vec<CentredRanks>,
    deciles: Vec<Deciles>,
    z_family: f64,
}

impl DrawOrder {
    /// Puts each draw column of `sim` in order once: its ranks, and the order statistics of its
    /// deciles.
    pub fn of(model: &Model, sim: &Simulation) -> DrawOrder {
        // Every driver: the uncertain parameters' draws, and the market's total return.
        let parameters: Vec<String> = model.drivers();
        let columns: Vec<&[f64]> = sim.draws.iter().collect();
        let (ranks, deciles): (Vec<CentredRanks>, Vec<Deciles>) = columns
            .par_iter()
            .map(|c| {
                let (ranks, deciles) = Deciles::ordered(c);
                (CentredRanks::new(ranks), deciles)
            })
            .unzip();
        DrawOrder {
            parameters,
            ranks,
            deciles,
            z_family: family_wise_z(model.entities().len() * sim.parameters),
        }
    }

    /// The rows of a set of entities, each given by its total returns and their doubled
    /// centred ranks ([`order::centred_ranks_and_order_statistics`]): every Spearman sum at
    /// once (the blocked integer matrix product of the entities' ranks and the drivers'), then
    /// each entity's swings and rows, in the order given.
    pub fn rows_of(&self, entities: Vec<EntityRanks<'_>>) -> Vec<Vec<SensitivityRow>> {
        let (entities, ranks): (Vec<_>, Vec<CentredRanks>) = entities
            .into_par_iter()
            .map(|e| ((e.kind, e.name, e.returns), CentredRanks::new(e.ranks)))
            .unzip();
        let rows: Vec<&[i32]> = ranks.iter().map(|r| &r.doubled[..]).collect();
        let columns: Vec<&[i32]> = self.ranks.iter().map(|r| &r.doubled[..]).collect();
        let sums = rank_dot_matrix(&rows, &columns);
        let returns: Vec<&[f64]> = entities.iter().map(|e| e.2).collect();
        let swings = swings_of(&self.deciles, &returns);
        entities
            .into_par_iter()
            .zip(ranks)
            .zip(sums)
            .zip(swings)
            .map(|((((kind, name, returns), own), sums), swings)| {
                let spearmans = sums
                    .into_iter()
                    .zip(&self.ranks)
                    .map(|(sxy, driver)| own.spearman(driver, sxy))
                    .collect();
                self.rows_from(kind, name, returns, spearmans, swings)
            })
            .collect()
    }

    /// One entity's rows, from its total returns and their doubled centred ranks
    /// ([`order::centred_ranks_and_order_statistics`]): parameters sorted by |swing|, largest
    /// first (ties in draw order).
    pub fn rows(
        &self,
        kind: Kind,
        name: &str,
        returns: &[f64],
        return_ranks: Vec<i32>,
    ) -> Vec<SensitivityRow> {
        let spearmans = CentredRanks::new(return_ranks).spearmans(&self.ranks);
        let swings = swings(&self.deciles, returns);
        self.rows_from(kind, name, returns, spearmans, swings)
    }

    /// One entity's rows given its Spearman coefficients with every driver.
    fn rows_from(
        &self,
        kind: Kind,
        name: &str,
        returns: &[f64],
        spearmans: Vec<Option<f64>>,
        swings: Vec<Swing>,
    ) -> Vec<SensitivityRow> {
        let mut rows: Vec<SensitivityRow> = (0..self.parameters.len())
            .map(|j| {
                let ((low_mean, high_mean), swing_se) = swings[j];
                let swing = high_mean - low_mean;
                let spearman = spearmans[j];
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
    let entities = model.entities();
    let mut rows = Vec::new();
    for group in entity_groups(entities.len()) {
        let ranked: Vec<EntityRanks> = group
            .into_par_iter()
            .map(|e| {
                let (kind, name) = entities[e];
                let returns = sim.total_return.column(e);
                let (ranks, _) = order::centred_ranks_and_order_statistics(returns, &[]);
                EntityRanks {
                    kind,
                    name,
                    returns,
                    ranks,
                }
            })
            .collect();
        rows.extend(draws.rows_of(ranked).into_iter().flatten());
    }
    rows
}

/// Entities whose ranks are held at once for [`DrawOrder::rows_of`]: each group reads every
/// driver's ranks once, and holds 4 bytes x paths of ranks per entity.
pub const ENTITY_GROUP: usize = 8;

/// The entities `0..entities` in groups of at most [`ENTITY_GROUP`], in order.
pub fn entity_groups(entities: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..entities)
        .step_by(ENTITY_GROUP)
        .map(move |first| first..(first + ENTITY_GROUP).min(entities))
}

#[cfg(test)]
mod tests {
    /// A set's paths, ascending.
    fn members(set: &super::PathSet) -> Vec<u32> {
        let mut out = Vec::new();
        set.paths(&mut out);
        out
    }

    #[test]
    fn the_blocked_matrix_has_every_sum_of_one_entity_at_a_time() {
        // Entity counts that do and do not fill a tile, path counts across block edges, with
        // ties; every sum must be the one rank_dots finds for that entity alone.
        for (entities, n) in [(1, 5), (4, 2048), (7, 2049), (9, 6001)] {
            let rank_column = |seed: u64, levels: u64| {
                let (r, _) =
                    order::centred_ranks_and_order_statistics(&column(n, seed, levels), &[]);
                r
            };
            let rows: Vec<Vec<i32>> = (0..entities)
                .map(|e| rank_column(e as u64 + 1, 0))
                .collect();
            let columns: Vec<Vec<i32>> = (0..5)
                .map(|p| rank_column(100 + p, if p % 2 == 0 { 0 } else { 7 }))
                .collect();
            let row_refs: Vec<&[i32]> = rows.iter().map(|r| &r[..]).collect();
            let column_refs: Vec<&[i32]> = columns.iter().map(|c| &c[..]).collect();
            let matrix = rank_dot_matrix(&row_refs, &column_refs);
            assert_eq!(matrix.len(), entities);
            for (e, row) in rows.iter().enumerate() {
                assert_eq!(
                    matrix[e],
                    rank_dots(row, &column_refs),
                    "entity {e}, {n} paths"
                );
            }
        }
    }

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

    /// Values with ties (a few repeated levels) and without, from a fixed xorshift.
    fn column(len: usize, seed: u64, levels: u64) -> Vec<f64> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if levels > 0 {
                    (state % levels) as f64
                } else {
                    (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
                }
            })
            .collect()
    }

    #[test]
    fn spearman_from_integer_ranks_has_the_bits_of_the_float_correlation() {
        // Below about 300,000 paths the float sums of half-integer deviations are exact, so
        // the two must agree to the bit; with ties, without, and against a constant column.
        let n = 20_011;
        let returns = column(n, 7, 0);
        let draws = [column(n, 11, 0), column(n, 13, 5), column(n, 17, 1), {
            let mut c = returns.clone();
            c.reverse();
            c
        }];
        let centred =
            |x: &[f64]| CentredRanks::new(order::centred_ranks_and_order_statistics(x, &[]).0);
        let others: Vec<CentredRanks> = draws.iter().map(|d| centred(d)).collect();
        let got = centred(&returns).spearmans(&others);
        for (d, r) in draws.iter().zip(&got) {
            let expect = Centred::of(&ranks(d)).correlation(&Centred::of(&ranks(&returns)));
            assert_eq!(r.map(f64::to_bits), expect.map(f64::to_bits));
        }
        assert_eq!(got[2], None, "a constant column has no rank correlation");
        assert!(got[1].unwrap().abs() < 4.0 / (n as f64).sqrt());
    }

    #[test]
    fn rank_sums_cannot_overflow_at_any_run_size() {
        let most = crate::engine::MOST_PATHS as u32;
        for largest in [0, 1, 2, 1000, 199_999, 3_037_000, most - 1, i32::MAX as u32] {
            let block = rank_block(largest) as i128;
            assert!(block >= 1);
            let largest = i128::from(largest);
            assert!(
                block * largest * largest <= i128::from(i64::MAX),
                "{largest}"
            );
        }
        assert_eq!(rank_block(199_999), RANK_BLOCK);
        // Products at the extremes of i32 sum exactly over many blocks.
        let a = vec![i32::MAX; 5000];
        let b = vec![-i32::MAX; 5000];
        let expect = 5000 * i128::from(i32::MAX) * i128::from(i32::MAX);
        assert_eq!(
            exact_dots(&a, &[&b, &a], i32::MAX as u32),
            [-expect, expect]
        );
    }

    #[test]
    fn swings_are_each_sets_mean_and_error() {
        // Eleven parameters with decile sets of unequal lengths (ties): each swing is its
        // sets' means and the error of their difference, summed in `sums`' order.
        let values = column(4000, 23, 0);
        let deciles: Vec<Deciles> = (0..11)
            .map(|j| Deciles::ordered(&column(4000 - 37 * j, 29 + j as u64, 3 + j as u64)).1)
            .collect();
        let got = swings(&deciles, &values);
        for (d, ((low, high), se)) in deciles.iter().zip(got) {
            let on_its_own = |set: &PathSet| {
                let xs: Vec<f64> = members(set).iter().map(|&i| values[i as usize]).collect();
                let mean = sums::mean(&xs);
                let squares = sums::sum_by(&xs, |x| (x - mean) * (x - mean));
                (mean, squares / (xs.len() - 1) as f64 / xs.len() as f64)
            };
            let ((l, lv), (h, hv)) = (on_its_own(&d.low), on_its_own(&d.high));
            assert_eq!((low.to_bits(), high.to_bits()), (l.to_bits(), h.to_bits()));
            assert_eq!(se.unwrap().to_bits(), (lv + hv).sqrt().to_bits());
            // And within rounding of a plain mean.
            let plain = members(&d.low)
                .iter()
                .map(|&i| values[i as usize])
                .sum::<f64>()
                / d.low.len() as f64;
            assert!((low - plain).abs() <= 1e-12);
        }
        // A one-path set has a mean and no error.
        let single = Deciles {
            low: PathSet::from_members(3, &[0]),
            high: PathSet::from_members(3, &[1, 2]),
        };
        let [((low, high), se)] = swings(&[single], &[-0.5, 1.0, 2.0])[..] else {
            panic!("one parameter")
        };
        assert_eq!((low, high, se), (-0.5, 1.5, None));
    }

    #[test]
    fn several_entities_swings_are_each_entitys_own() {
        let n = 1000;
        let draws: Vec<Vec<f64>> = (1..=5).map(|seed| column(n, seed, 0)).collect();
        let deciles: Vec<Deciles> = draws.iter().map(|d| Deciles::ordered(d).1).collect();
        let entities: Vec<Vec<f64>> = (10..13).map(|seed| column(n, seed, 7)).collect();
        let values: Vec<&[f64]> = entities.iter().map(Vec::as_slice).collect();
        let together = swings_of(&deciles, &values);
        assert_eq!(together.len(), 3);
        for (e, swings_of_e) in together.iter().enumerate() {
            assert_eq!(swings_of_e, &swings(&deciles, &entities[e]), "entity {e}");
        }
        // No parameters: an empty list for each entity.
        assert_eq!(swings_of(&[], &values), vec![Vec::<Swing>::new(); 3]);
    }

    #[test]
    fn deciles_follow_type_7_percentiles() {
        // 0..=20: q10 = 2, q90 = 18.
        let draws: Vec<f64> = (0..=20).map(f64::from).collect();
        let (ranks, d) = Deciles::ordered(&draws);
        // 2 * rank - (n + 1) with rank = draw + 1 and n = 21.
        assert_eq!(ranks, (0..=20).map(|x| 2 * x - 20).collect::<Vec<i32>>());
        assert_eq!(members(&d.low), vec![0, 1, 2]);
        assert_eq!(members(&d.high), vec![18, 19, 20]);
        let values: Vec<f64> = draws.iter().map(|x| x * 10.0).collect();
        let [((low, high), se)] = swings(&[d], &values)[..] else {
            panic!("one parameter, one swing")
        };
        assert_eq!((low, high), (10.0, 190.0));
        // Both sets {0, 10, 20} and {180, 190, 200}: variance 100, so se = sqrt(2 * 100 / 3).
        assert!((se.unwrap() - (200.0f64 / 3.0).sqrt()).abs() < 1e-12);
        // Ties: a constant draw is at both percentiles, so every path is in both sets, in order
        // and at their exact size; a column with a heavy atom at its low end likewise.
        let (_, d) = Deciles::ordered(&[3.0; 7]);
        assert_eq!(
            (members(&d.low), members(&d.high)),
            ((0..7).collect(), (0..7).collect())
        );
        let atom: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 0.0 } else { f64::from(i) })
            .collect();
        let (_, d) = Deciles::ordered(&atom);
        assert_eq!(members(&d.low), (0..20).step_by(2).collect::<Vec<u32>>());
        assert_eq!((d.low.len(), d.high.len()), (10, 2));
        assert_eq!(members(&d.high), vec![17, 19]);
        // One bit a path, across word boundaries and a partial last word.
        let draws: Vec<f64> = (0..200).map(|i| f64::from((i * 37) % 200)).collect();
        let (_, d) = Deciles::ordered(&draws);
        let want: Vec<u32> = (0..200).filter(|&i| draws[i as usize] <= 19.9).collect();
        assert_eq!(members(&d.low), want);
        assert_eq!(d.low.words.len(), 4);
        assert!(!d.high.is_empty() && members(&d.high).iter().all(|&i| draws[i as usize] >= 179.1));
    }
}
