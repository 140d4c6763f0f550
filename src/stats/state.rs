//! The words of a saved partial run (a shard's state): every value as one little-endian 64-bit
//! word (floats by their bits, so they read back exactly), lists preceded by their length.
//! Each saved type writes and reads itself with a [`Writer`] and a [`Reader`]; a reader that
//! runs out of words, or meets a length that cannot be, answers `None`.

use std::io::Write;

use crate::engine::outcome::{Moments, StepReturns};
use crate::engine::{ChunkPool, Columns, ConditionalPaths, Simulation};

/// Appends words.
#[derive(Debug, Default)]
pub struct Writer {
    words: Vec<u64>,
}

impl Writer {
    /// One integer.
    pub fn u64(&mut self, x: u64) {
        self.words.push(x);
    }

    /// One float, by its bits.
    pub fn f64(&mut self, x: f64) {
        self.words.push(x.to_bits());
    }

    /// A length or an index.
    pub fn length(&mut self, n: usize) {
        self.words.push(n as u64);
    }

    /// Floats, after their count.
    pub fn floats(&mut self, xs: &[f64]) {
        self.length(xs.len());
        self.words.extend(xs.iter().map(|x| x.to_bits()));
    }

    /// Integers, after their count.
    pub fn integers(&mut self, xs: &[u64]) {
        self.length(xs.len());
        self.words.extend_from_slice(xs);
    }

    /// The bytes of every word written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}

/// Reads words back in the order they were written.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads `bytes` (a whole number of words, else every read fails).
    pub fn new(bytes: &'a [u8]) -> Self {
        let whole = if bytes.len().is_multiple_of(8) {
            bytes
        } else {
            &[]
        };
        Reader { bytes: whole }
    }

    /// Whether every word has been read.
    pub fn is_done(&self) -> bool {
        self.bytes.is_empty()
    }

    /// One integer.
    pub fn u64(&mut self) -> Option<u64> {
        let (word, rest) = self.bytes.split_first_chunk::<8>()?;
        self.bytes = rest;
        Some(u64::from_le_bytes(*word))
    }

    /// One float.
    pub fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }

    /// A length no longer than the words left (so a corrupt length cannot ask for memory).
    pub fn length(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.bytes.len() / 8).then_some(n)
    }

    /// Floats written by [`Writer::floats`].
    pub fn floats(&mut self) -> Option<Vec<f64>> {
        let n = self.length()?;
        (0..n).map(|_| self.f64()).collect()
    }

    /// Integers written by [`Writer::integers`].
    pub fn integers(&mut self) -> Option<Vec<u64>> {
        let n = self.length()?;
        (0..n).map(|_| self.u64()).collect()
    }
}

impl Moments {
    /// Saves the moments.
    pub fn save(&self, w: &mut Writer) {
        w.u64(self.count);
        w.f64(self.mean);
        w.f64(self.m2);
    }

    /// Reads moments saved by [`Moments::save`].
    pub fn load(r: &mut Reader<'_>) -> Option<Self> {
        Some(Moments {
            count: r.u64()?,
            mean: r.f64()?,
            m2: r.f64()?,
        })
    }
}

impl StepReturns {
    /// Saves the accumulator.
    pub fn save(&self, w: &mut Writer) {
        w.u64(self.count);
        w.f64(self.mean);
        w.f64(self.m2);
        w.f64(self.downside_sq);
    }

    /// Reads an accumulator saved by [`StepReturns::save`].
    pub fn load(r: &mut Reader<'_>) -> Option<Self> {
        Some(StepReturns {
            count: r.u64()?,
            mean: r.f64()?,
            m2: r.f64()?,
            downside_sq: r.f64()?,
        })
    }
}

/// The shape of a saved part of a run (a shard): which paths and chunks it holds, and the
/// model's dimensions, as its manifest records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Its first path's index in the run.
    pub first_path: usize,
    /// How many paths it holds.
    pub paths: usize,
    /// How many chunks they are.
    pub chunks: usize,
    /// Groups + assets.
    pub entities: usize,
    /// T.
    pub steps: usize,
    /// Uncertain parameters.
    pub parameters: usize,
    /// Whether the model has a baseline.
    pub baseline: bool,
    /// Whether the run has a `--where` condition.
    pub condition: bool,
    /// Paths of a sketched shard's reservoir (its share of the first paths).
    pub reservoir_paths: usize,
    /// Chunks of that reservoir.
    pub reservoir_chunks: usize,
    /// Whether the paths hold their adoption at the horizon only (a sketched shard's
    /// reservoir) rather than at every step.
    pub at_horizon: bool,
}

/// Writes the first `paths` paths of a run's per-path columns, their `--where` flags and the
/// run's chunk step-return pools as little-endian f64 (counts as u64 bits), in
/// [`Simulation::quantities`] order: the state of an exact shard (`shard.bin`) and the
/// reservoir of a sketched one.
pub fn save_paths(sim: &Simulation, paths: usize, w: &mut dyn Write) -> std::io::Result<()> {
    let mut put = |values: &[f64]| -> std::io::Result<()> {
        for v in values {
            w.write_all(&v.to_le_bytes())?;
        }
        Ok(())
    };
    for columns in sim.quantities().into_iter().flatten() {
        for column in columns.iter() {
            put(&column[..paths])?;
        }
    }
    if let Some(c) = &sim.condition {
        let flags: Vec<f64> = c.matches[..paths]
            .iter()
            .map(|&m| f64::from(u8::from(m)))
            .collect();
        put(&flags)?;
    }
    for pool in &sim.pools {
        for s in pool.all.iter().chain(&pool.matching) {
            put(&[f64::from_bits(s.count), s.mean, s.m2, s.downside_sq])?;
        }
    }
    Ok(())
}

/// Reads what [`save_paths`] wrote for a part of the given shape; `None` when the bytes do not
/// have that shape.
pub fn load_paths(shape: &Shape, bytes: &[u8]) -> Option<Simulation> {
    let h = shape;
    let (first_path, chunks) = (h.first_path, h.chunks);
    let (p, e) = (h.paths, h.entities);
    let n = if h.at_horizon { 1 } else { h.steps + 1 };
    let b = usize::from(h.baseline);
    let c = usize::from(h.condition);
    // Paths come in chunks, each of at least one path (a sketched shard's reservoir past the
    // first paths is empty: no paths, with its chunks' empty pools).
    if p > 0 && (chunks == 0 || chunks > p) {
        return None;
    }
    let values = p * (2 * e + b * e + n + b * n + h.parameters + c) + chunks * 2 * e * 4;
    if bytes.len() != values * 8 {
        return None;
    }
    let mut at = 0;
    let mut take = |len: usize| -> Vec<f64> {
        let out = bytes[at * 8..(at + len) * 8]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        at += len;
        out
    };
    let mut columns = |width: usize| Columns::from_values(width, p, take(width * p));
    let total_return = columns(e)?;
    let max_drawdown = columns(e)?;
    let uplift = h.baseline.then(|| columns(e)).flatten();
    let adoption = columns(n)?;
    let baseline_adoption = h.baseline.then(|| columns(n)).flatten();
    let draws = columns(h.parameters)?;
    let matches = h
        .condition
        .then(|| take(p).iter().map(|&f| f == 1.0).collect::<Vec<bool>>());
    let mut pools = Vec::with_capacity(chunks);
    for _ in 0..chunks {
        let mut read = |count: usize| -> Vec<StepReturns> {
            take(count * 4)
                .chunks_exact(4)
                .map(|v| StepReturns {
                    count: v[0].to_bits(),
                    mean: v[1],
                    m2: v[2],
                    downside_sq: v[3],
                })
                .collect()
        };
        let all = read(e);
        let matching = read(e);
        pools.push(ChunkPool { all, matching });
    }
    Some(Simulation {
        first_path,
        paths: p,
        steps: h.steps,
        entities: e,
        parameters: h.parameters,
        threads: 1,
        total_return,
        max_drawdown,
        uplift,
        adoption,
        baseline_adoption,
        draws,
        step_returns: Vec::new(),
        pools,
        condition: matches.map(|matches| ConditionalPaths {
            matches,
            step_returns: Vec::new(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_back_exactly_and_truncation_is_caught() {
        let mut w = Writer::default();
        w.u64(7);
        w.f64(-0.1);
        w.floats(&[1.5, f64::NEG_INFINITY, 5e-324]);
        w.integers(&[u64::MAX]);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u64(), Some(7));
        assert_eq!(r.f64().map(f64::to_bits), Some((-0.1f64).to_bits()));
        assert_eq!(r.floats(), Some(vec![1.5, f64::NEG_INFINITY, 5e-324]));
        assert_eq!(r.integers(), Some(vec![u64::MAX]));
        assert!(r.is_done());
        assert_eq!(r.u64(), None);
        let mut cut = Reader::new(&bytes[..bytes.len() - 8]);
        cut.u64();
        cut.f64();
        cut.floats();
        assert_eq!(cut.integers(), None, "a list longer than the words left");
        assert_eq!(Reader::new(&bytes[..5]).u64(), None, "not a whole word");
    }

    /// Found by the `shard` fuzz target: a part claiming more chunks than paths (or paths in
    /// no chunk) decoded, and summarising it indexed past its end.
    #[test]
    fn a_part_without_paths_or_with_empty_chunks_is_refused() {
        let shape = |paths, chunks| Shape {
            first_path: 0,
            paths,
            chunks,
            entities: 1,
            steps: 1,
            parameters: 0,
            baseline: false,
            condition: false,
            reservoir_paths: paths,
            reservoir_chunks: chunks,
            at_horizon: false,
        };
        // An empty part (a sketched shard's reservoir past the first paths) reads as empty.
        assert!(load_paths(&shape(0, 0), &[]).is_some_and(|s| s.paths == 0));
        assert!(load_paths(&shape(1, 0), &[0; 8 * 4]).is_none());
        assert!(load_paths(&shape(1, 2), &[0; 8 * (4 + 16)]).is_none());
        // One path in one chunk, of the right length, reads.
        assert!(load_paths(&shape(1, 1), &[0; 8 * (4 + 8)]).is_some());
    }
}
