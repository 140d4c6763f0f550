//! The exact summariser: keeps every path's outcomes, so every quantile, tail and rank is
//! exact, and ends in `summary.csv`, `distributions.csv` and `sensitivity.csv` from one
//! ordering of each entity's returns.

use std::io::Write;

use rayon::prelude::*;

use crate::engine::Sampling;
use crate::engine::condition::Condition;
use crate::engine::{Accumulator, Gathered, Simulation};
use crate::model::Model;
use crate::stats::order;
use crate::stats::precision::{convergence, precision, settle_profiles};
use crate::stats::quantile::{
    cvar_of_tail, cvar_tail, quantiles_counted, type7_around, type7_between,
};
use crate::stats::sensitivity::{DrawOrder, EntityRanks, SensitivityRow, entity_groups};
use crate::stats::state::{Shape, load_paths, save_paths};
use crate::stats::summariser::{ConditionalSummary, StateFiles, Summaries, Summariser};
use crate::stats::summary::{
    DISTRIBUTION_P95, DistributionRow, EntityStats, QUANTILES, SummaryRow, adoption_fan,
    annualisation, distribution_level_array, distribution_rows, entity_stats_from,
    rows as summary_rows, summarise_paths,
};

/// Keeps every path: exact quantiles, tails and ranks.
pub struct Exact {
    paths: Gathered,
}

impl Exact {
    /// Room for `paths` paths.
    pub fn new(paths: usize) -> Self {
        Exact {
            paths: Gathered::new(paths),
        }
    }
}

impl Accumulator for Exact {
    fn batch_end(&self, _start: usize) -> usize {
        usize::MAX
    }

    fn absorb(&mut self, batch: Simulation) -> Option<Simulation> {
        self.paths.push(batch)
    }
}

/// `summary.csv`, `distributions.csv` and `sensitivity.csv` of kept paths in one pass over the
/// entities: each entity's total returns are put in order once, and that ordering gives the
/// ranks sensitivity correlates, the summary's percentiles and CVaR tails, and the percentiles
/// of `distributions.csv` (the same values [`summarise`](crate::stats::summary::summarise),
/// [`distributions`](crate::stats::summary::distributions) and
/// [`sensitivity`](crate::stats::sensitivity::sensitivity) find each on its own). Entities go
/// in groups of [`ENTITY_GROUP`](crate::stats::sensitivity::ENTITY_GROUP), one ordering at a
/// time per thread, each group's ranks kept (4 bytes x paths an entity) for its Spearman sums,
/// so peak memory does not grow with the number of entities.
/// Like them, it needs at least one path.
fn every_entity(
    model: &Model,
    sim: &Simulation,
) -> (Vec<SummaryRow>, Vec<DistributionRow>, Vec<SensitivityRow>) {
    let draws = DrawOrder::of(model, sim);
    let annual = annualisation(model);
    let levels = distribution_level_array();
    let entities = model.entities();
    let mut stats = Vec::with_capacity(entities.len());
    let (mut distribution, mut sensitivity) = (Vec::new(), Vec::new());
    for group in entity_groups(entities.len()) {
        let per_entity: Vec<(EntityStats, Vec<DistributionRow>, EntityRanks)> = group
            .into_par_iter()
            .map(|e| {
                let (kind, name) = entities[e];
                let returns = sim.total_return.column(e);
                let n = returns.len();
                // Positions in the ordering: each level's two order statistics (the summary's
                // levels, then the distribution's), then the worst 5% of paths.
                let around = |ps: &[f64]| {
                    ps.iter()
                        .flat_map(|&p| {
                            let (lo, hi) = type7_around(n, p);
                            [lo, hi]
                        })
                        .collect::<Vec<_>>()
                };
                let mut at = around(&QUANTILES);
                at.extend(around(&levels));
                let tail_from = at.len();
                at.extend(0..cvar_tail(n, 5));
                let (ranks, x) = order::centred_ranks_and_order_statistics(returns, &at);
                let between = |k: usize, p: f64| type7_between(n, p, x[2 * k], x[2 * k + 1]);
                let quantiles: [f64; 9] = std::array::from_fn(|k| between(k, QUANTILES[k]));
                let percentiles: [f64; 99] =
                    std::array::from_fn(|k| between(QUANTILES.len() + k, levels[k]));
                let tail = &x[tail_from..];
                let cvars = [5, 1].map(|percent| cvar_of_tail(tail, n, percent));
                let drawdowns = sim.max_drawdown.column(e);
                let drawdown_percentiles = quantiles_counted(drawdowns, &levels);
                let p95_drawdown = drawdown_percentiles[DISTRIBUTION_P95];
                let uplift = sim.uplift.as_ref().map(|u| u.column(e));
                let stats = entity_stats_from(
                    returns,
                    quantiles,
                    cvars,
                    (drawdowns, p95_drawdown),
                    uplift,
                    &sim.step_returns[e],
                    annual,
                );
                let rows = distribution_rows(kind, name, percentiles, drawdown_percentiles);
                let ranked = EntityRanks {
                    kind,
                    name,
                    returns,
                    ranks,
                };
                (stats, rows, ranked)
            })
            .collect();
        let mut ranked = Vec::with_capacity(per_entity.len());
        for (s, d, r) in per_entity {
            stats.push(s);
            distribution.extend(d);
            ranked.push(r);
        }
        sensitivity.extend(draws.rows_of(ranked).into_iter().flatten());
    }
    (summary_rows(model, &stats), distribution, sensitivity)
}

/// The one state file of an exact shard.
const PATHS_FILE: &str = "shard.bin";

impl Summariser for Exact {
    fn state_files(&self) -> &'static [&'static str] {
        &[PATHS_FILE]
    }

    fn save(&self, _file: &str, w: &mut dyn Write) -> std::io::Result<()> {
        match self.paths.so_far() {
            Some((sim, paths)) => save_paths(sim, paths, w),
            None => Ok(()),
        }
    }

    fn reservoir(&self) -> Option<(usize, usize)> {
        None
    }

    fn kept_so_far(&self) -> Option<(&Simulation, usize)> {
        self.paths.so_far()
    }

    fn restore(&mut self, shape: &Shape, files: &StateFiles) -> Result<(), &'static str> {
        let bytes = files.get(PATHS_FILE).ok_or(PATHS_FILE)?;
        // A shard runs at least one path.
        if shape.paths == 0 {
            return Err(PATHS_FILE);
        }
        let part = load_paths(shape, bytes).ok_or(PATHS_FILE)?;
        // A restored part is dropped once copied: nothing simulates into it.
        let _copied = self.paths.push(part);
        Ok(())
    }

    fn finish(
        self: Box<Self>,
        model: &Model,
        condition: Option<&Condition>,
        sampling: Sampling,
    ) -> Summaries {
        let sim = self
            .paths
            .finish()
            .unwrap_or_else(|| Simulation::empty(model, condition.is_some()));
        let conditional = match (condition, &sim.condition) {
            (Some(c), Some(met)) => Some(ConditionalSummary::of(c, met.count(), || {
                summarise_paths(model, &sim, Some(&met.matches), &met.step_returns)
            })),
            _ => None,
        };
        let (mut rows, distributions, sensitivity) = every_entity(model, &sim);
        let precision = precision(model, &sim, &rows, sim.paths, sampling);
        settle_profiles(model, &mut rows, &precision);
        Summaries {
            precision,
            convergence: convergence(model, &sim),
            rows,
            fan: adoption_fan(model, &sim),
            distributions,
            sensitivity,
            conditional,
            kept: sim,
            method: "exact: every path kept".into(),
        }
    }
}
