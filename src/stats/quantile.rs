//! Type-7 quantiles and tail means (CVaR) of a column of values: from a sorted copy, or by
//! selection (quickselect or counting) without sorting, which give the same bits. What the
//! summary, the precision intervals and the summarisers read their percentiles and tails from.

use crate::stats::order::{from_order_key, select_in_place, select_keys, with_order_keys};
use crate::stats::sums::mean;

/// Type-7 quantile (linear interpolation between order statistics; numpy's default, Excel's
/// PERCENTILE.INC) of sorted, non-empty data.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Sorts a copy in ascending order (total order; the data hold no NaN).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The usual median: the mean of the two middle values when the count is even.
pub fn median(values: &[f64]) -> f64 {
    let v = sorted(values);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Minus the mean of the worst `ceil(fraction_percent / 100 * N)` values of sorted data,
/// counted with integers so that the count is exact.
pub fn cvar_sorted(sorted: &[f64], percent: usize) -> f64 {
    cvar_of_tail(sorted, sorted.len(), percent)
}

/// The number of worst paths a `percent` CVaR of `n` paths averages: ceil(percent / 100 * n).
pub fn cvar_tail(n: usize, percent: usize) -> usize {
    (n * percent).div_ceil(100)
}

/// [`cvar_sorted`] of `n` values from at least their worst [`cvar_tail`] values, ascending.
pub fn cvar_of_tail(ascending: &[f64], n: usize, percent: usize) -> f64 {
    -mean(&ascending[..cvar_tail(n, percent)])
}

/// [`cvar_sorted`] at descending `percents` without sorting all the data: the worst
/// ceil(percent / 100 * N) values are selected, then only they are sorted, so each tail is
/// summed in the same (ascending) order as in fully sorted data.
pub fn cvars_selected<const K: usize>(values: &[f64], percents: [usize; K]) -> [f64; K] {
    quantiles_and_cvars_selected(values, &[], percents).1
}

/// Type-7 quantiles at ascending levels `ps` and the CVaR at descending `percents`
/// ([`cvar_tail`] worst values each) from one copy of the column's keys: one quickselect pass
/// per wanted position (the quantiles' order statistics and the last of the widest tail), then
/// only the tail is sorted (as keys: ascending keys are ascending values, signed zeros
/// included). The same values as [`quantiles_selected`] and a sort would give: what the
/// batches of `precision.csv` and `convergence.csv` need, a few statistics of many short
/// ranges.
pub fn quantiles_and_cvars_selected<const K: usize, const C: usize>(
    values: &[f64],
    ps: &[f64; K],
    percents: [usize; C],
) -> ([f64; K], [f64; C]) {
    let n = values.len();
    let around = ps.map(|p| type7_around(n, p));
    let tails = percents.map(|p| cvar_tail(n, p));
    let widest = tails.iter().copied().max().unwrap_or(0);
    let mut positions: Vec<usize> = around.iter().flat_map(|&(lo, hi)| [lo, hi]).collect();
    positions.extend(widest.checked_sub(1));
    positions.sort_unstable();
    with_order_keys(values, |keys| {
        // Each selected position holds its order statistic, and the positions before the last
        // of the tail hold the rest of the tail.
        select_in_place(keys, &positions);
        let at = |k: usize| from_order_key(keys[k]);
        let quantiles = std::array::from_fn(|k| {
            let (lo, hi) = around[k];
            type7_between(n, ps[k], at(lo), at(hi))
        });
        keys[..widest].sort_unstable();
        let tail: Vec<f64> = keys[..widest].iter().map(|&k| from_order_key(k)).collect();
        (quantiles, tails.map(|t| -mean(&tail[..t])))
    })
}

/// Type-7 quantiles at ascending levels `ps` of non-empty data, by selection instead of a full
/// sort: the same order statistics, so the same values as [`quantile_sorted`] of sorted data.
/// The selections run on integer keys in `f64::total_cmp` order (plain integer comparisons,
/// which inline, instead of a float comparator called per comparison), by quickselect.
pub fn quantiles_selected<const K: usize>(values: &[f64], ps: &[f64; K]) -> [f64; K] {
    interpolated(values, ps, select_in_place)
}

/// [`quantiles_selected`] by counting ([`select_keys`]): for many levels of a long column
/// (the adoption fan's five, the 99 of `distributions.csv`), where it measured 2-3x faster
/// than quickselect; for a few levels of an outcome column quickselect is faster.
pub fn quantiles_counted<const K: usize>(values: &[f64], ps: &[f64; K]) -> [f64; K] {
    interpolated(values, ps, |keys, ranks| select_keys(keys, ranks))
}

/// Type-7 quantiles of `values` at `ps` from the order statistics `select` finds.
fn interpolated<const K: usize>(
    values: &[f64],
    ps: &[f64; K],
    select: impl FnOnce(&mut [u64], &[usize]) -> Vec<u64>,
) -> [f64; K] {
    let n = values.len();
    // The two order statistics around each level, ascending as the levels are.
    let ranks: Vec<usize> = ps
        .iter()
        .flat_map(|&p| {
            let (lo, hi) = type7_around(n, p);
            [lo, hi]
        })
        .collect();
    let found = with_order_keys(values, |keys| select(keys, &ranks));
    let mut k = 0;
    ps.map(|p| {
        let (a, b) = (from_order_key(found[k]), from_order_key(found[k + 1]));
        k += 2;
        type7_between(n, p, a, b)
    })
}

/// The 0-based positions of the two order statistics a type-7 quantile at level `p` of `n`
/// values lies between.
pub fn type7_around(n: usize, p: f64) -> (usize, usize) {
    let lo = ((n - 1) as f64 * p).floor() as usize;
    (lo, (lo + 1).min(n - 1))
}

/// The type-7 quantile at level `p` of `n` values, from the order statistics `a` and `b` at
/// [`type7_around`]'s positions.
pub fn type7_between(n: usize, p: f64, a: f64, b: f64) -> f64 {
    let h = (n - 1) as f64 * p;
    a + (h - h.floor()) * (b - a)
}
