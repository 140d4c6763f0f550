//! The rule for non-finite results: a run in which any path's value overflows is an error.
//!
//! Detection is one flag per chunk of [`super::CHUNK_PATHS`] paths, computed after the chunk
//! is simulated: a vectorisable sum of `v * 0` over the chunk's output columns (0 for every
//! finite value, NaN as soon as one value is infinite or NaN) and a check of its pooled step
//! returns. No check runs per value inside the path kernel. Only when a chunk's flag is raised
//! is the chunk simulated again, path by path (the paths are deterministic), to say which
//! entities overflowed on how many paths, from which path, and which of that path's draws
//! were extreme.

use super::{PathSimulator, Strata};
use crate::engine::outcome::StepReturns;
use crate::model::Model;

/// True when every value of every column slice is finite.
pub(super) fn all_finite(columns: &[Vec<&mut [f64]>]) -> bool {
    columns.iter().flatten().all(|c| finite(c))
}

/// True when every value of `values` is finite: the sum of `v * 0` in eight independent
/// partial sums, which LLVM turns into vector adds (a single running sum is a chain of
/// dependent additions it must keep in order; the simulation benchmark did not move beyond
/// its noise either way).
fn finite(values: &[f64]) -> bool {
    let mut sums = [0.0f64; 8];
    let mut eights = values.chunks_exact(8);
    for eight in &mut eights {
        for (s, &v) in sums.iter_mut().zip(eight) {
            *s += v * 0.0;
        }
    }
    let rest = eights.remainder().iter().fold(0.0, |acc, &v| acc + v * 0.0);
    sums.iter().sum::<f64>() + rest == 0.0
}

/// True when a pooled step-return accumulator holds only finite numbers.
pub(super) fn pool_finite(pool: &[StepReturns]) -> bool {
    pool.iter()
        .all(|s| (s.mean + s.m2 + s.downside_sq) * 0.0 == 0.0)
}

/// What one chunk's paths overflowed: found by simulating the chunk again path by path.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkOverflow {
    /// The first path (global index) with a non-finite value.
    pub first_path: usize,
    /// How many of the chunk's paths have a non-finite value anywhere.
    pub paths: usize,
    /// Per entity (groups then assets), how many paths of the chunk overflowed.
    pub entity_paths: Vec<usize>,
    /// How many paths' adoption index (boom or baseline) overflowed.
    pub adoption_paths: usize,
    /// The draws of the first overflowing path, one per uncertain parameter.
    pub first_draws: Vec<f64>,
}

fn bad(x: f64) -> bool {
    !x.is_finite()
}

/// Re-simulates paths `first..first + len` and records which overflowed (all counts zero when
/// only the chunk's merged pool did).
pub(super) fn diagnose(
    sim: &PathSimulator,
    seed: u64,
    first: usize,
    len: usize,
    strata: Option<&Strata>,
) -> ChunkOverflow {
    let mut scratch = sim.scratch();
    let mut outputs = sim.outputs();
    let e = sim.entities();
    let mut found = ChunkOverflow {
        first_path: first,
        paths: 0,
        entity_paths: vec![0; e],
        adoption_paths: 0,
        first_draws: Vec::new(),
    };
    let mut seen = false;
    for i in 0..len {
        let path = first + i;
        sim.simulate(seed, path as u64, strata, &mut scratch, outputs.record());
        let o = &outputs;
        let mut any = false;
        for k in 0..e {
            let steps = &o.step_returns[k];
            let entity_bad = bad(o.total_return[k])
                || bad(o.max_drawdown[k])
                || o.uplift.get(k).copied().is_some_and(bad)
                || bad(steps.mean)
                || bad(steps.m2)
                || bad(steps.downside_sq);
            if entity_bad {
                found.entity_paths[k] += 1;
                any = true;
            }
        }
        if o.adoption
            .iter()
            .chain(&o.baseline_adoption)
            .any(|&a| bad(a))
        {
            found.adoption_paths += 1;
            any = true;
        }
        any |= o.draws.iter().any(|&d| bad(d));
        found.paths += usize::from(any);
        if any && !seen {
            seen = true;
            found.first_path = path;
            found.first_draws = o.draws.clone();
        }
    }
    found
}

/// A run's overflow: the chunks' findings, merged in chunk order.
#[derive(Debug, Clone, PartialEq)]
pub struct Overflow {
    /// Each overflowing entity's name and how many paths it overflowed on.
    pub entities: Vec<(String, usize)>,
    /// How many paths' adoption index overflowed.
    pub adoption_paths: usize,
    /// Paths of the run with a non-finite value anywhere.
    pub paths: usize,
    /// Paths of the run (or shard) simulated.
    pub of: usize,
    /// The first overflowing path.
    pub first_path: usize,
    /// That path's drawn parameters beyond their 0.1th or 99.9th percentile (or, when none
    /// is, its three most extreme ones): key path, draw, percentile level.
    pub extreme: Vec<(String, f64, f64)>,
}

impl Overflow {
    /// Merges chunk findings (in chunk order) into the run's.
    pub(super) fn of_chunks(model: &Model, chunks: &[ChunkOverflow], of: usize) -> Overflow {
        let names = model.entities();
        let mut counts = vec![0usize; names.len()];
        let mut adoption_paths = 0;
        for c in chunks {
            for (acc, n) in counts.iter_mut().zip(&c.entity_paths) {
                *acc += n;
            }
            adoption_paths += c.adoption_paths;
        }
        let first = &chunks[0];
        let parameters = model.uncertain_parameters();
        let mut levels: Vec<(String, f64, f64)> = parameters
            .iter()
            .zip(&first.first_draws)
            .map(|(p, &x)| {
                // The draw's mid-level: for a draw at an atom (a discrete value), halfway
                // between the probability below it and at or below it, so the largest value
                // of a discrete draw is not called the 100th percentile.
                let d = &p.distribution;
                (p.path.clone(), x, (d.cdf(x.next_down()) + d.cdf(x)) / 2.0)
            })
            .collect();
        let extremeness = |level: f64| level.min(1.0 - level);
        levels.sort_by(|a, b| extremeness(a.2).total_cmp(&extremeness(b.2)));
        let beyond: Vec<_> = levels
            .iter()
            .filter(|l| extremeness(l.2) < 0.001)
            .cloned()
            .collect();
        let extreme = if beyond.is_empty() {
            levels.into_iter().take(3).collect()
        } else {
            beyond
        };
        let paths = chunks.iter().map(|c| c.paths).sum();
        Overflow {
            entities: names
                .iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|((_, name), n)| (name.to_string(), n))
                .collect(),
            adoption_paths,
            paths,
            of,
            first_path: first.first_path,
            extreme,
        }
    }
}

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<String> = self
            .entities
            .iter()
            .take(5)
            .map(|(name, n)| format!("{name} on {n} paths"))
            .collect();
        let mut what = shown.join(", ");
        if self.entities.len() > 5 {
            what.push_str(&format!(" and {} more entities", self.entities.len() - 5));
        }
        if self.adoption_paths > 0 {
            if !what.is_empty() {
                what.push_str("; ");
            }
            what.push_str(&format!(
                "the adoption index on {} paths",
                self.adoption_paths
            ));
        }
        if what.is_empty() {
            what = "the pooled step returns".to_string();
        }
        write!(
            f,
            "the simulation overflowed on {} of {} paths: values too large for a 64-bit float (infinite or NaN) in {what}; first at path {}. Nothing was written, and any earlier result was left as it was.",
            self.paths, self.of, self.first_path
        )?;
        let beyond = self.extreme.iter().any(|l| l.2.min(1.0 - l.2) < 0.001);
        if !self.extreme.is_empty() {
            let listed: Vec<String> = self
                .extreme
                .iter()
                .map(|(path, x, level)| {
                    format!(
                        "{path} = {} (percentile {:.3})",
                        crate::distribution::limits::show(*x),
                        100.0 * level
                    )
                })
                .collect();
            if beyond {
                write!(
                    f,
                    "\n  that path drew extreme values: {}",
                    listed.join(", ")
                )?;
            } else {
                write!(
                    f,
                    "\n  that path's draws furthest into their tails: {} (none beyond the 0.1th or 99.9th percentile; if these values look ordinary, the model's constants, such as elasticities, drifts, volatilities and the horizon, make the values overflow)",
                    listed.join(", ")
                )?;
            }
        }
        write!(
            f,
            "\n  help: restrict heavy-tailed or wide distributions with `in [lo, hi]` (e.g. \"student_t(1, 0.08, 0.05) in [-0.5, 0.5]\"), use lighter tails (normal, lognormal, \"A to B\"), or reduce the elasticities, drifts and volatilities that compound over the horizon"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_non_finite_value_anywhere_is_found() {
        for len in 0..40 {
            let values: Vec<f64> = (0..len)
                .map(|i| [f64::MAX, -0.0, 1e-300, -f64::MAX][i % 4])
                .collect();
            assert!(finite(&values), "all finite, {len} values");
            for at in 0..len {
                for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                    let mut v = values.clone();
                    v[at] = bad;
                    assert!(!finite(&v), "{bad} at {at} of {len}");
                }
            }
        }
    }
}
