//! Order statistics of a column of path outcomes without sorting it: by quickselect, or by
//! counting, which reads a long column four times where quickselect reads it about twice per
//! statistic, so it wins when many percentiles are wanted at once.
//!
//! Both work on order keys: the bits of each `f64` arranged so that unsigned order is
//! `f64::total_cmp`'s ([`order_key`]), compared as plain integers.

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

/// Buckets of a selection pass: 2^12 counts fit the first-level cache.
const SELECT_BITS: u32 = 12;
/// Up to this many keys a selection partitions them in place (quickselect) instead of
/// counting: the counting passes pay off on long columns only.
const SELECT_IN_PLACE: usize = 1 << 16;

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
    if keys.len() <= SELECT_IN_PLACE {
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

    fn sorted_of(keys: &[u64]) -> Vec<u64> {
        let mut v = keys.to_vec();
        v.sort_unstable();
        v
    }
}
