//! Putting a column of path outcomes in order, as far as each use needs: ranks (for Spearman
//! correlations) by a radix sort of the keys' high bits, and order statistics (for percentiles)
//! without sorting, by quickselect or by counting, which reads a long column four times where
//! quickselect reads it about twice per statistic, so it wins when many are wanted at once.
//!
//! All work on order keys: the bits of each `f64` arranged so that unsigned order is
//! `f64::total_cmp`'s ([`order_key`]), compared as plain integers.

use std::cell::RefCell;
use std::thread::LocalKey;

/// The bits of `x` arranged so that unsigned integer order is `f64::total_cmp`'s order.
pub fn order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The inverse of [`order_key`].
pub fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

thread_local! {
    /// The four sort buffers of [`centred_ranks_and_order_statistics`] (keys and paths, from
    /// and to), kept by each thread from column to column.
    static SORT_BUFFERS: RefCell<[Vec<u32>; 4]> = RefCell::default();
    /// The order keys of [`with_order_keys`], kept by each thread from column to column.
    static ORDER_KEYS: RefCell<Vec<u64>> = RefCell::default();
}

/// Runs `f` on a buffer this thread keeps between calls (a fresh one if the thread's is in use
/// further up its stack). Buffers the size of a column, allocated afresh for each of the
/// summaries' dozens of columns, come back from the allocator as new pages to fault in one by
/// one: about 30,000 faults in the summaries of a 200,000-path run.
fn with_kept<T: Default + 'static, R>(
    buffer: &'static LocalKey<RefCell<T>>,
    f: impl FnOnce(&mut T) -> R,
) -> R {
    buffer.with(|cell| match cell.try_borrow_mut() {
        Ok(mut kept) => f(&mut kept),
        Err(_) => f(&mut T::default()),
    })
}

/// Runs `f` on the order keys of `values` ([`order_key`], in the values' order), held in a
/// buffer this thread keeps between calls.
pub fn with_order_keys<R>(values: &[f64], f: impl FnOnce(&mut [u64]) -> R) -> R {
    with_kept(&ORDER_KEYS, |keys| {
        keys.clear();
        keys.extend(values.iter().map(|&x| order_key(x)));
        f(keys)
    })
}

/// Bits of a digit of the rank sort.
const DIGIT_BITS: u32 = 11;
/// Values of a digit.
const DIGITS: usize = 1 << DIGIT_BITS;
/// Passes over the 32 high bits of a key.
const PASSES: usize = 32usize.div_ceil(DIGIT_BITS as usize);

/// 1-based ranks of `values`, in their order; equal values (`==`, so -0 and +0 too) share the
/// average of their ranks. What [`centred_ranks_and_order_statistics`] finds, as ranks.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    centred_ranks_and_order_statistics(values, &[])
        .0
        .into_iter()
        .map(|d| (f64::from(d) + n + 1.0) / 2.0)
        .collect()
}

/// The most values [`centred_ranks_and_order_statistics`] takes: each doubled centred rank
/// lies in -(n - 1)..=n - 1, which must fit an `i32` (a run has at most
/// [`MOST_PATHS`](crate::engine::MOST_PATHS), fewer).
pub const MOST_RANKED: usize = i32::MAX as usize;

/// The ranks of `values` (at most [`MOST_RANKED`] of them) as doubled deviations from their
/// mean, 2 * rank - (n + 1), in the values' order, and the values at the 0-based positions
/// `at` of the column in ascending order (its order statistics), read off the same ordering.
/// Equal values (`==`, so -0 and +0 too) share the average of their ranks, a whole or half
/// number, so the doubled deviation is always an integer: sums of their products (Spearman's
/// correlation) are exact.
///
/// The paths are put in order by 32 bits of their keys first, the column's key range
/// (smallest to largest key) cut to its top 32 bits: an LSD radix sort of 11-bit digits over
/// (u32 key, u32 path) pairs, three passes of 8 bytes an element where a sort of (f64, usize)
/// pairs by all 64 bits takes eight passes of 16. Runs that share those bits (values within
/// about one part in a million of the range, or equal) are then ordered by their full keys.
/// -0 is keyed as +0 (`x + 0.0`), so equal values have equal keys and ties are found among
/// neighbours in the order without reading the values again. The ranks do not depend on the
/// order among equal values, so they are exactly those of a full sort. The sort's buffers are
/// kept by the thread from call to call.
pub fn centred_ranks_and_order_statistics(values: &[f64], at: &[usize]) -> (Vec<i32>, Vec<f64>) {
    let n = values.len();
    assert!(n <= MOST_RANKED, "at most 2^31 - 1 ranked paths");
    let key = |p: u32| order_key(values[p as usize] + 0.0);
    let (lo, hi) = values.iter().fold((u64::MAX, u64::MIN), |(lo, hi), &x| {
        let k = order_key(x + 0.0);
        (lo.min(k), hi.max(k))
    });
    // The column's own key range in 32 bits: a narrow column (a parameter's draws) keeps more
    // of its mantissa, so fewer paths share a 32-bit key and need ordering by the full key.
    let shift = (64 - hi.saturating_sub(lo).leading_zeros()).saturating_sub(32);
    with_kept(&SORT_BUFFERS, |[high, paths, high_to, paths_to]| {
        high.clear();
        high.extend(
            values
                .iter()
                .map(|&x| ((order_key(x + 0.0) - lo) >> shift) as u32),
        );
        paths.clear();
        paths.extend(0..n as u32);
        for to in [&mut *high_to, &mut *paths_to] {
            to.clear();
            to.resize(n, 0);
        }
        radix_sort(high, paths, high_to, paths_to);
        let out = ranks_in_order(high, paths, key);
        let statistics = at.iter().map(|&k| values[paths[k] as usize]).collect();
        (out, statistics)
    })
}

/// Sorts `paths` by their keys `high` (the same length), with `high_to` and `paths_to` as room
/// to move them into (as long); the sorted keys and paths end in `high` and `paths`.
fn radix_sort(
    high: &mut Vec<u32>,
    paths: &mut Vec<u32>,
    high_to: &mut Vec<u32>,
    paths_to: &mut Vec<u32>,
) {
    let n = high.len();
    let digit = |h: u32, pass: usize| ((h >> (pass as u32 * DIGIT_BITS)) as usize) & (DIGITS - 1);
    let mut counts = [[0u32; DIGITS]; PASSES];
    for &h in high.iter() {
        for (pass, count) in counts.iter_mut().enumerate() {
            count[digit(h, pass)] += 1;
        }
    }
    for (pass, count) in counts.iter().enumerate() {
        if n == 0 || count[digit(high[0], pass)] as usize == n {
            continue; // every key has this digit: the pass would move nothing
        }
        let mut next = [0u32; DIGITS];
        let mut sum = 0;
        for (slot, &c) in next.iter_mut().zip(count) {
            *slot = sum;
            sum += c;
        }
        for (&h, &p) in high.iter().zip(paths.iter()) {
            let d = digit(h, pass);
            let at = next[d] as usize;
            next[d] += 1;
            high_to[at] = h;
            paths_to[at] = p;
        }
        std::mem::swap(high, high_to);
        std::mem::swap(paths, paths_to);
    }
}

/// The doubled centred ranks of `paths` (in ascending order of `high`, their 32-bit keys;
/// `key` gives a path's full key), in path order: runs sharing a 32-bit key are ordered by
/// their full keys, and equal keys share the average of their ranks.
fn ranks_in_order(high: &[u32], paths: &mut [u32], key: impl Fn(u32) -> u64) -> Vec<i32> {
    let n = high.len();
    // Position i (0-based) has rank i + 1: doubled and centred, 2 * i + 1 - n.
    let mut out = vec![0i32; n];
    let first = 1 - n as i64;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && high[j] == high[i] {
            j += 1;
        }
        if j - i == 1 {
            out[paths[i] as usize] = (first + 2 * i as i64) as i32;
        } else {
            // A run sharing the high bits: order it by full key, then average equal keys
            // (positions a..=b of the run share rank i + (a + b) / 2 + 1).
            let run = &mut paths[i..j];
            let lowest = key(run[0]);
            if run.iter().any(|&p| key(p) != lowest) {
                run.sort_unstable_by_key(|&p| key(p));
            }
            let mut a = 0;
            while a < run.len() {
                let k = key(run[a]);
                let mut b = a;
                while b + 1 < run.len() && key(run[b + 1]) == k {
                    b += 1;
                }
                let doubled = first + (2 * i + a + b) as i64;
                for &p in &run[a..=b] {
                    out[p as usize] = doubled as i32;
                }
                a = b + 1;
            }
        }
        i = j;
    }
    out
}

/// Buckets of a selection pass: 2^12 counts fit the first-level cache.
const SELECT_BITS: u32 = 12;
/// Up to this many keys, or for fewer than [`SELECT_COUNTED`] ranks, a selection partitions
/// the keys in place (quickselect) instead of counting: the counting passes pay off when a
/// quickselect per rank would read many keys many times. A crowded bucket (keys of very
/// different scales leave most values in a few buckets) is counted again over its own range.
const SELECT_IN_PLACE: usize = 8192;
/// The fewest ranks selected by counting.
const SELECT_COUNTED: usize = 4;

/// The keys at 0-based `ranks` (ascending, each below `keys.len()`) of the sorted `keys`,
/// without sorting them: a pass finds the smallest and largest key, a pass counts the keys
/// into 4,096 buckets of equal key range, and a pass gathers the keys of the buckets holding a
/// wanted rank; a bucket is then sorted if small or selected in the same way if not (a bucket
/// of one repeated value, such as total losses, ends at once). The same keys, so the same
/// values, as a sort would give.
pub fn select_keys(keys: &[u64], ranks: &[usize]) -> Vec<u64> {
    debug_assert!(ranks.windows(2).all(|w| w[0] <= w[1]));
    debug_assert!(ranks.last().is_none_or(|&r| r < keys.len()));
    if ranks.is_empty() {
        return Vec::new();
    }
    if keys.len() <= SELECT_IN_PLACE || ranks.len() < SELECT_COUNTED {
        return select_in_place(&mut keys.to_vec(), ranks);
    }
    let (lo, hi) = keys
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    if lo == hi {
        return vec![lo; ranks.len()];
    }
    let span_bits = 64 - (hi - lo).leading_zeros();
    let shift = span_bits.saturating_sub(SELECT_BITS);
    let bucket = |k: u64| ((k - lo) >> shift) as usize;
    let mut counts = vec![0u32; 1 << SELECT_BITS];
    for &k in keys {
        counts[bucket(k)] += 1;
    }
    // For each wanted bucket: its slot among the gathered sets, and the ranks it answers
    // (as offsets inside it).
    const UNWANTED: u16 = u16::MAX;
    let mut slot = vec![UNWANTED; 1 << SELECT_BITS];
    let mut wanted: Vec<(usize, Vec<(usize, usize)>)> = Vec::new();
    let mut below = 0usize;
    let mut r = 0;
    for (b, &c) in counts.iter().enumerate() {
        let c = c as usize;
        while r < ranks.len() && ranks[r] < below + c {
            if slot[b] == UNWANTED {
                slot[b] = wanted.len() as u16;
                wanted.push((c, Vec::new()));
            }
            let s = slot[b] as usize;
            wanted[s].1.push((r, ranks[r] - below));
            r += 1;
        }
        below += c;
    }
    let mut gathered: Vec<Vec<u64>> = wanted.iter().map(|(c, _)| Vec::with_capacity(*c)).collect();
    for &k in keys {
        let s = slot[bucket(k)];
        if s != UNWANTED {
            gathered[s as usize].push(k);
        }
    }
    let mut out = vec![0u64; ranks.len()];
    for ((_, answers), set) in wanted.iter().zip(&gathered) {
        let offsets: Vec<usize> = answers.iter().map(|&(_, o)| o).collect();
        let found = select_keys(set, &offsets);
        for (&(r, _), k) in answers.iter().zip(found) {
            out[r] = k;
        }
    }
    out
}

/// [`select_keys`] by repeated quickselect on a copy: each rank's selection partitions the
/// keys after the previous one, so the ranges shrink.
pub fn select_in_place(keys: &mut [u64], ranks: &[usize]) -> Vec<u64> {
    let mut start = 0;
    ranks
        .iter()
        .map(|&rank| {
            if rank >= start {
                let (_, k, _) = keys[start..].select_nth_unstable(rank - start);
                let k = *k;
                start = rank + 1;
                k
            } else {
                // Already placed by the selection of an equal rank.
                keys[rank]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn awkward() -> Vec<f64> {
        let mut xs = vec![
            -f64::INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            5e-324,
            1.0,
            3.5,
            1e300,
            f64::INFINITY,
            1.0,
            -2.5,
        ];
        // Many values of one scale (passes with a constant digit are skipped) and repeats.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..5000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            xs.push(1.0 + (state >> 11) as f64 / (1u64 << 53) as f64);
            xs.push(((state >> 40) % 7) as f64);
        }
        xs
    }

    #[test]
    fn keys_sort_like_total_cmp_and_round_trip() {
        let xs = awkward();
        let mut by_cmp = xs.clone();
        by_cmp.sort_by(f64::total_cmp);
        let mut by_key: Vec<u64> = xs.iter().map(|&x| order_key(x)).collect();
        by_key.sort_unstable();
        let by_key: Vec<u64> = by_key
            .into_iter()
            .map(|k| from_order_key(k).to_bits())
            .collect();
        assert_eq!(
            by_key,
            by_cmp.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        for x in xs {
            assert_eq!(from_order_key(order_key(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn selection_finds_the_keys_a_sort_would() {
        let mut xs = awkward();
        // Long enough to be counted, with a bucket of one repeated value much larger than the
        // rest (total losses).
        xs.extend(std::iter::repeat_n(-1.0, 30_000));
        xs.extend((0..40_000).map(|i| f64::from(i).sqrt() - 50.0));
        assert!(xs.len() > SELECT_IN_PLACE);
        let keys: Vec<u64> = xs.iter().map(|&x| order_key(x)).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        let n = keys.len();
        let ranks: Vec<usize> = vec![0, 0, 1, 17, 20_000, n / 4, n / 2, n / 2 + 1, n - 2, n - 1];
        let expect: Vec<u64> = ranks.iter().map(|&r| sorted[r]).collect();
        assert_eq!(select_keys(&keys, &ranks), expect);
        let every: Vec<usize> = (0..n).step_by(97).collect();
        let expect: Vec<u64> = every.iter().map(|&r| sorted[r]).collect();
        assert_eq!(select_keys(&keys, &every), expect);
        assert_eq!(
            select_keys(&keys[..10], &[3]),
            vec![sorted_of(&keys[..10])[3]]
        );
        assert!(select_keys(&keys, &[]).is_empty());
    }

    /// Ranks by a full sort of (value, index) pairs, ties averaged: what [`ranks`] must equal.
    fn ranks_by_sort(values: &[f64]) -> Vec<f64> {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let mut out = vec![0.0; values.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
                j += 1;
            }
            for &k in &order[i..=j] {
                out[k] = (i + j) as f64 / 2.0 + 1.0;
            }
            i = j + 1;
        }
        out
    }

    #[test]
    fn ranks_equal_those_of_a_full_sort() {
        assert_eq!(ranks(&[10.0, 30.0, 20.0, 20.0]), vec![1.0, 4.0, 2.5, 2.5]);
        assert_eq!(ranks(&[-0.0, 0.0, 1.0]), vec![1.5, 1.5, 3.0]);
        assert!(ranks(&[]).is_empty());
        assert_eq!(ranks(&[7.0]), vec![1.0]);
        let mut xs = awkward();
        // Values that share their high 32 bits but differ below them, and long runs of one
        // value (total losses).
        xs.extend((0..3000).map(|i| 1.0 + f64::from(i) * 1e-12));
        xs.extend(std::iter::repeat_n(-1.0, 20_000));
        let by_sort = ranks_by_sort(&xs);
        assert_eq!(ranks(&xs), by_sort);
        // One pass skipped (values of one binade), none skipped (both signs).
        let narrow: Vec<f64> = (0..5000)
            .map(|i| 1.0 + f64::from(i * 7919 % 5000) / 5000.0)
            .collect();
        assert_eq!(ranks(&narrow), ranks_by_sort(&narrow));
        // A range of a few hundred ulps (every key bit in the 32 kept), and a column spanning
        // every finite value (the top 32 bits of the key only).
        let ulps: Vec<f64> = (0..3000u64)
            .map(|i| f64::from_bits(1.0f64.to_bits() + i * 7919 % 701))
            .collect();
        assert_eq!(ranks(&ulps), ranks_by_sort(&ulps));
        let mut wide = ulps.clone();
        wide.extend([f64::MAX, -f64::MAX, 0.0]);
        assert_eq!(ranks(&wide), ranks_by_sort(&wide));
    }

    #[test]
    fn centred_ranks_are_doubled_deviations_and_fit_every_run() {
        let xs = awkward();
        let n = xs.len() as f64;
        let (centred, _) = centred_ranks_and_order_statistics(&xs, &[]);
        for (d, r) in centred.iter().zip(ranks_by_sort(&xs)) {
            assert_eq!(f64::from(*d), 2.0 * r - (n + 1.0));
        }
        assert_eq!(centred.iter().map(|&d| i64::from(d)).sum::<i64>(), 0);
        assert!(crate::engine::MOST_PATHS as usize <= MOST_RANKED);
    }

    #[test]
    fn kept_buffers_serve_nested_and_repeated_calls() {
        // A call inside another on the same thread gets a buffer of its own; later calls reuse
        // the thread's, shorter or longer, with nothing left over from before.
        let outer = [3.0, -1.0, 2.0];
        let inner = [5.0, 4.0];
        let got = with_order_keys(&outer, |keys| {
            let nested = with_order_keys(&inner, |k| k.to_vec());
            assert_eq!(nested, inner.map(order_key));
            keys.to_vec()
        });
        assert_eq!(got, outer.map(order_key));
        assert_eq!(
            with_order_keys(&inner, |k| k.to_vec()),
            inner.map(order_key)
        );
        let long: Vec<f64> = (0..50).map(f64::from).collect();
        assert_eq!(with_order_keys(&long, |k| k.len()), 50);
        assert_eq!(ranks(&[2.0, 1.0]), vec![2.0, 1.0]);
        assert_eq!(ranks(&[1.0, 3.0, 2.0, 0.0]), vec![2.0, 4.0, 3.0, 1.0]);
        assert_eq!(ranks(&[7.0]), vec![1.0]);
    }

    fn sorted_of(keys: &[u64]) -> Vec<u64> {
        let mut v = keys.to_vec();
        v.sort_unstable();
        v
    }
}
