//! Where each parameter's draw comes from and goes: its own stream, its Latin-hypercube
//! stratum, its place in a copula, and its column among the recorded draws.

use rand::distr::Open01;
use rand_distr::Distribution as Sample;

use super::super::CHUNK_PATHS;
use super::super::math::{Lanes, W, lanes, splat};
use crate::distribution::{Distribution, OfStandardNormal};
use crate::model::{Model, Slot};
use crate::random::ParameterKey;

/// For one parameter: its column in [`Batch::draws`](super::Batch::draws) (when uncertain) and its index in the
/// copula (when `[[correlate]]` lists it).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DrawSlot {
    /// Its position in `Model::parameters` (its stream key in [`DrawAt::keys`], its
    /// Latin-hypercube strata).
    pub(super) index: usize,
    pub(super) column: Option<usize>,
    pub(super) copula: Option<usize>,
    /// The value of a constant parameter (no draw, no random number).
    pub(super) constant: Option<f64>,
}

/// The [`DrawSlot`] of every parameter, by where it lives.
#[derive(Default)]
pub(super) struct DrawColumns {
    pub(super) adoption: [DrawSlot; 6],
    pub(super) baseline: [DrawSlot; 6],
    pub(super) sectors: Vec<[DrawSlot; 3]>,
    pub(super) assets: Vec<[DrawSlot; 5]>,
}

impl DrawColumns {
    pub(super) fn new(model: &Model) -> Self {
        let mut c = DrawColumns {
            sectors: vec![[DrawSlot::default(); 3]; model.sectors.len()],
            assets: vec![[DrawSlot::default(); 5]; model.assets.len()],
            ..Default::default()
        };
        for (index, p) in model.parameters().iter().enumerate() {
            let slot = c.slot(p.slot);
            slot.index = index;
            slot.constant = p
                .distribution
                .is_constant()
                .then(|| p.distribution.quantile(0.5));
        }
        for (column, p) in model.uncertain_parameters().iter().enumerate() {
            c.slot(p.slot).column = Some(column);
        }
        // Each table's parameters take consecutive places among the copulas' uniforms.
        let mut at = 0;
        for table in &model.copulas {
            for slot in &table.slots {
                c.slot(*slot).copula = Some(at);
                at += 1;
            }
        }
        c
    }

    pub(super) fn slot(&mut self, slot: Slot) -> &mut DrawSlot {
        match slot {
            Slot::Adoption(k) => &mut self.adoption[k as usize],
            Slot::Baseline(k) => &mut self.baseline[k as usize],
            Slot::Sector(s, f) => &mut self.sectors[s][f],
            Slot::Asset(a, f) => &mut self.assets[a][f],
        }
    }
}

/// The parameters whose draws are a function of one standard normal from their own stream
/// (not constant, not from a copula: a baseline's overrides never are), with that function,
/// by index in `Model::parameters`: what can be drawn on every lane at once.
pub(super) fn lane_normals(
    model: &Model,
    columns: &mut DrawColumns,
) -> Vec<(usize, OfStandardNormal)> {
    model
        .parameters()
        .iter()
        .enumerate()
        .filter_map(|(index, p)| {
            // A constant has no such function; a baseline's keys never come from the copula.
            let form = p.distribution.of_standard_normal()?;
            let own_stream =
                matches!(p.slot, Slot::Baseline(_)) || columns.slot(p.slot).copula.is_none();
            own_stream.then_some((index, form))
        })
        .collect()
}

/// Latin-hypercube strata of one chunk: for each parameter (in `Model::parameters` order), a
/// permutation of the chunk's [`CHUNK_PATHS`] strata; path i of the chunk draws from stratum
/// `perms[p][i]`. A copula's parameters are not stratified themselves: the copula's underlying
/// independent draws are (`copula_perms[table][draw]`, each from a stream of its own).
pub struct Strata {
    pub(super) perms: Vec<Vec<u32>>,
    pub(super) copula_perms: Vec<Vec<Vec<u32>>>,
    pub(super) copula_ids: Vec<Vec<u64>>,
}

/// Where the W lanes of a batch draw from, and where their draws are recorded: the
/// parameters' stream keys (one per parameter, in `Model::parameters` order, for the run's
/// seed), each lane's (antithetic) base path, the draws made on every lane at once, the Latin
/// hypercube strata and the copulas' uniforms of every lane.
pub(super) struct BatchDraws<'a> {
    pub(super) keys: &'a [ParameterKey],
    pub(super) paths: [u64; W],
    /// The draws made on every lane at once, and on which lanes they hold, by parameter
    /// index ([`lane_normals`]).
    pub(super) normals: (&'a [Lanes], &'a [[bool; W]]),
    pub(super) strata: Option<&'a Strata>,
    /// Every lane's copula uniforms, lane after lane, `width` each.
    pub(super) uniforms: &'a [f64],
    pub(super) width: usize,
    pub(super) draws: &'a mut [Lanes],
}

impl BatchDraws<'_> {
    /// One parameter's draw on every lane: its value when constant and not in the copula
    /// (most of a model), else [`Self::uncertain`].
    #[inline(always)]
    pub(super) fn draw(&mut self, d: &Distribution, slot: DrawSlot) -> Lanes {
        match slot.constant {
            Some(value) if slot.copula.is_none() => splat(value),
            _ => self.uncertain(d, slot),
        }
    }

    /// A parameter's draw on every lane: from the copula's uniform when it is correlated, from
    /// its stratum when Latin-hypercube sampling, else a sample from its own stream (the one
    /// made on every lane at once where it held); recorded when uncertain.
    pub(super) fn uncertain(&mut self, d: &Distribution, slot: DrawSlot) -> Lanes {
        let (key, paths) = (&self.keys[slot.index], self.paths);
        let value = match (slot.copula, self.strata) {
            (Some(i), _) => lanes(|l| d.quantile(self.uniforms[l * self.width + i])),
            (None, Some(strata)) => lanes(|l| {
                let v: f64 = Open01.sample(&mut key.rng(paths[l]));
                let k = f64::from(strata.perms[slot.index][paths[l] as usize % CHUNK_PATHS]);
                d.quantile((k + v) / CHUNK_PATHS as f64)
            }),
            (None, None) => {
                let (values, accepted) = self.normals;
                let (values, accepted) = (values[slot.index], accepted[slot.index]);
                lanes(|l| {
                    if accepted[l] {
                        values[l]
                    } else {
                        d.sample(&mut key.rng(paths[l]))
                    }
                })
            }
        };
        if let Some(c) = slot.column {
            self.draws[c] = value;
        }
        value
    }
}
