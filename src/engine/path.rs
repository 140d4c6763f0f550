//! One path of MODEL.md §3: draw the parameters, simulate adoption, sectors, assets and
//! groups on the time grid, and record each entity's outcomes.
//!
//! [`PathSimulator`] holds what is fixed for a run (the model, grid, lags, weights); a
//! [`Scratch`] holds the buffers one worker reuses from path to path, so the hot loop does not
//! allocate. Entities are numbered groups first, then assets, as in `summary.csv`.

use rand_distr::Distribution as Sample;
use rand_distr::{Exp1, StandardNormal};

use crate::adoption::AdoptionDraw;
use statrs::distribution::ContinuousCDF;

use rand::RngExt as _;
use rand::distr::Open01;

use super::{CHUNK_PATHS, Sampling, Stream, parameter_id, parameter_rng, path_rng};
use crate::distribution::Distribution;
use crate::model::{AdoptionKey, Model, Slot};
use crate::outcome::{StepReturns, max_drawdown, total_return};

/// The draws of one asset's parameters.
#[derive(Debug, Clone, Copy, Default)]
struct AssetDraw {
    other_growth: f64,
    /// (mu_a - pi_a - sigma_a^2 / 2): the annual drift of log P beyond log F.
    price_drift: f64,
    volatility: f64,
    /// The first step j with t_j >= tau (steps + 1 when the asset survives the horizon).
    failure_step: usize,
}

/// Per-worker buffers, reused for every path.
pub struct Scratch {
    w_adoption: Vec<f64>,
    log_adoption: Vec<f64>,
    /// Correlated sector Brownian motions, sector-major, S x (T + 1).
    w_sector: Vec<f64>,
    /// Sector revenue indices R_s(t_j), sector-major.
    revenue: Vec<f64>,
    /// Entity values X(t_j), entity-major (groups, then assets), E x (T + 1).
    value: Vec<f64>,
    /// W_a(t_T) of each asset, for the baseline.
    w_asset_end: Vec<f64>,
    /// exp(h_a t_T) of each asset as the boom computed it, for the baseline.
    growth_end: Vec<f64>,
    independent: Vec<f64>,
    sector_draws: Vec<[f64; 3]>,
    asset_draws: Vec<AssetDraw>,
    baseline_terminal: Vec<f64>,
    copula_normals: Vec<f64>,
    copula_uniforms: Vec<f64>,
    step_buffer: Vec<f64>,
}

/// What one path records: the entity outcomes and the adoption index.
pub struct PathRecord<'a> {
    /// total_return of each entity.
    pub total_return: &'a mut [f64],
    /// max_drawdown of each entity.
    pub max_drawdown: &'a mut [f64],
    /// uplift of each entity (empty without a baseline).
    pub uplift: &'a mut [f64],
    /// A(t_j) for j = 0..=T.
    pub adoption: &'a mut [f64],
    /// Baseline A(t_j) (empty without a baseline).
    pub baseline_adoption: &'a mut [f64],
    /// The draw of each uncertain parameter (`Model::uncertain_parameters` order).
    pub draws: &'a mut [f64],
    /// This path's step returns of each entity (overwritten).
    pub step_returns: &'a mut [StepReturns],
}

/// The fixed part of a run: model, grid and derived constants.
pub struct PathSimulator<'m> {
    model: &'m Model,
    steps: usize,
    dt: f64,
    sqrt_dt: f64,
    lag_steps: Vec<usize>,
    /// omega_a / (sum of omega in the asset's group).
    asset_share: Vec<f64>,
    /// 1 - sum of the asset's exposures: the share of its business outside the sectors.
    outside_share: Vec<f64>,
    rf_per_step: f64,
    /// Column of each recorded (uncertain) draw, by where it lives.
    columns: DrawColumns,
    sampling: Sampling,
    /// [`parameter_id`] of every parameter, in `Model::parameters` order (computed once).
    parameter_ids: Vec<u64>,
}

/// For one parameter: its column in [`PathRecord::draws`] (when uncertain) and its index in
/// the copula (when `[[correlate]]` lists it).
#[derive(Debug, Clone, Copy, Default)]
struct DrawSlot {
    /// The parameter's own random stream ([`parameter_id`] of its key path).
    id: u64,
    /// Its position in `Model::parameters` (its Latin-hypercube strata).
    index: usize,
    column: Option<usize>,
    copula: Option<usize>,
}

/// The [`DrawSlot`] of every parameter, by where it lives.
#[derive(Default)]
struct DrawColumns {
    adoption: [DrawSlot; 6],
    baseline: [DrawSlot; 6],
    sectors: Vec<[DrawSlot; 3]>,
    assets: Vec<[DrawSlot; 5]>,
}

impl DrawColumns {
    fn new(model: &Model, ids: &[u64]) -> Self {
        let mut c = DrawColumns {
            sectors: vec![[DrawSlot::default(); 3]; model.sectors.len()],
            assets: vec![[DrawSlot::default(); 5]; model.assets.len()],
            ..Default::default()
        };
        for (index, (p, &id)) in model.parameters().iter().zip(ids).enumerate() {
            let slot = c.slot(p.slot);
            slot.id = id;
            slot.index = index;
        }
        for (column, p) in model.uncertain_parameters().iter().enumerate() {
            c.slot(p.slot).column = Some(column);
        }
        if let Some(copula) = &model.copula {
            for (i, slot) in copula.slots.iter().enumerate() {
                c.slot(*slot).copula = Some(i);
            }
        }
        c
    }

    fn slot(&mut self, slot: Slot) -> &mut DrawSlot {
        match slot {
            Slot::Adoption(k) => &mut self.adoption[k as usize],
            Slot::Baseline(k) => &mut self.baseline[k as usize],
            Slot::Sector(s, f) => &mut self.sectors[s][f],
            Slot::Asset(a, f) => &mut self.assets[a][f],
        }
    }
}

/// Latin-hypercube strata of one chunk: for each parameter (in `Model::parameters` order), a
/// permutation of the chunk's [`CHUNK_PATHS`] strata; path i of the chunk draws from stratum
/// `perms[p][i]`.
pub struct Strata {
    perms: Vec<Vec<u32>>,
}

/// Where a path draws from: its seed and (antithetic) base path, and its LHS stratum.
#[derive(Clone, Copy)]
struct DrawAt<'a> {
    seed: u64,
    path: u64,
    strata: Option<(&'a Strata, usize)>,
}

/// One parameter's draw: from the copula's uniform when it is correlated, from its stratum
/// when Latin-hypercube sampling, else a sample from its own stream; recorded when uncertain.
#[inline]
fn draw(d: &Distribution, slot: DrawSlot, uniforms: &[f64], draws: &mut [f64], at: DrawAt) -> f64 {
    let value = match (slot.copula, at.strata) {
        (Some(i), _) => d.quantile(uniforms[i]),
        (None, _) if d.is_constant() => d.quantile(0.5),
        (None, Some((strata, i))) => {
            let v: f64 = Open01.sample(&mut parameter_rng(at.seed, at.path, slot.id));
            let k = f64::from(strata.perms[slot.index][i]);
            d.quantile((k + v) / CHUNK_PATHS as f64)
        }
        (None, None) => d.sample(&mut parameter_rng(at.seed, at.path, slot.id)),
    };
    if let Some(c) = slot.column {
        draws[c] = value;
    }
    value
}

impl<'m> PathSimulator<'m> {
    /// Prepares a simulator for `model`.
    pub fn new(model: &'m Model, sampling: Sampling) -> Self {
        let steps = model.steps();
        let dt = model.dt();
        let k = f64::from(model.steps_per_year);
        let lag_steps = model
            .sectors
            .iter()
            .map(|s| (s.lag_years * k).round() as usize)
            .collect();
        let asset_share = model
            .assets
            .iter()
            .map(|a| {
                let total: f64 = model.groups[a.group]
                    .assets
                    .iter()
                    .map(|&i| model.assets[i].weight)
                    .sum();
                a.weight / total
            })
            .collect();
        let parameter_ids: Vec<u64> = model
            .parameters()
            .iter()
            .map(|p| parameter_id(&p.path))
            .collect();
        let outside_share = model
            .assets
            .iter()
            .map(|a| 1.0 - a.exposure.iter().map(|(_, w)| w).sum::<f64>())
            .collect();
        Self {
            model,
            steps,
            dt,
            sqrt_dt: dt.sqrt(),
            lag_steps,
            asset_share,
            outside_share,
            rf_per_step: model.risk_free_rate / k,
            columns: DrawColumns::new(model, &parameter_ids),
            sampling,
            parameter_ids,
        }
    }

    /// Number of entities: groups, then assets.
    pub fn entities(&self) -> usize {
        self.model.groups.len() + self.model.assets.len()
    }

    /// T, the number of steps.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The Latin-hypercube strata of chunk `chunk` (when the run uses them): a permutation per
    /// parameter, from a stream of its own.
    pub fn strata(&self, seed: u64, chunk: u64) -> Option<Strata> {
        if !self.sampling.latin_hypercube {
            return None;
        }
        let perms = self
            .parameter_ids
            .iter()
            .map(|&id| {
                let mut rng = parameter_rng(seed, u64::MAX - chunk, id);
                let mut perm: Vec<u32> = (0..CHUNK_PATHS as u32).collect();
                for i in (1..perm.len()).rev() {
                    let j = rng.random_range(0..=i);
                    perm.swap(i, j);
                }
                perm
            })
            .collect();
        Some(Strata { perms })
    }

    /// Fresh buffers for one worker.
    pub fn scratch(&self) -> Scratch {
        let n = self.steps + 1;
        let s = self.model.sectors.len();
        let a = self.model.assets.len();
        let copula = self.model.copula.as_ref().map_or(0, |c| c.slots.len());
        Scratch {
            w_adoption: vec![0.0; n],
            log_adoption: vec![0.0; n],
            w_sector: vec![0.0; s * n],
            revenue: vec![0.0; s * n],
            value: vec![0.0; self.entities() * n],
            w_asset_end: vec![0.0; a],
            growth_end: vec![0.0; a],
            independent: vec![0.0; s],
            sector_draws: vec![[0.0; 3]; s],
            asset_draws: vec![AssetDraw::default(); a],
            baseline_terminal: vec![0.0; self.entities()],
            copula_normals: vec![0.0; copula],
            copula_uniforms: vec![0.0; copula],
            step_buffer: Vec::with_capacity(n),
        }
    }

    /// Simulates path `path` of a run with seed `seed`. Each parameter draws from its own
    /// stream ([`parameter_rng`]); the shocks and failure times from the path's
    /// [`Stream::Boom`]; so `[baseline]` overrides, like any parameter, change no other number.
    pub fn simulate(
        &self,
        seed: u64,
        path: u64,
        strata: Option<&Strata>,
        scratch: &mut Scratch,
        out: PathRecord<'_>,
    ) {
        let model = self.model;
        // An antithetic pair draws from its first path's streams, the second with every
        // shock negated.
        let (path, sign) = if self.sampling.antithetic {
            (path & !1, if path & 1 == 1 { -1.0 } else { 1.0 })
        } else {
            (path, 1.0)
        };
        let rng = &mut path_rng(seed, path, Stream::Boom);
        let at = DrawAt {
            seed,
            path,
            strata: strata.map(|s| (s, path as usize % CHUNK_PATHS)),
        };
        let n = self.steps + 1;
        let t_end = self.steps as f64 * self.dt;
        let groups = model.groups.len();

        // 1. Parameter draws, in file order.
        let mut adoption = AdoptionDraw {
            process: model.adoption.process,
            values: [0.0; 6],
        };
        let columns = &self.columns;
        if let Some(copula) = &model.copula {
            // Correlated normals y = L z, then uniforms Phi(y), kept strictly inside (0, 1).
            let m = copula.slots.len();
            let copula_rng = &mut path_rng(seed, path, Stream::Copula);
            for z in scratch.copula_normals.iter_mut() {
                *z = StandardNormal.sample(copula_rng);
            }
            let phi = statrs::distribution::Normal::standard();
            for i in 0..m {
                let y: f64 = (0..=i)
                    .map(|k| copula.factor[i * m + k] * scratch.copula_normals[k])
                    .sum();
                scratch.copula_uniforms[i] = phi
                    .cdf(y)
                    .clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
            }
        }
        let uniforms = &scratch.copula_uniforms;
        for (key, d) in model.adoption.parameters() {
            let slot = columns.adoption[key as usize];
            adoption.values[key as usize] = draw(d, slot, uniforms, out.draws, at);
        }
        for (s, sector) in model.sectors.iter().enumerate() {
            let values = &mut scratch.sector_draws[s];
            for (f, (_, d)) in sector.parameters().into_iter().enumerate() {
                values[f] = draw(d, columns.sectors[s][f], uniforms, out.draws, at);
            }
        }
        for (a, asset) in model.assets.iter().enumerate() {
            let mut v = [0.0; 5];
            for (f, (_, d)) in asset.parameters().into_iter().enumerate() {
                v[f] = draw(d, columns.assets[a][f], uniforms, out.draws, at);
            }
            let [
                other_growth,
                priced_in,
                expected_return,
                volatility,
                failure_rate,
            ] = v;
            // tau ~ Exponential(lambda): always drawn, so the stream does not depend on lambda.
            let e: f64 = Exp1.sample(rng);
            let tau = e / failure_rate;
            let failure_step = if tau > t_end {
                n
            } else {
                // The first j with t_j = j * dt >= tau.
                let mut j = (tau / self.dt).ceil() as usize;
                while j > 0 && (j - 1) as f64 * self.dt >= tau {
                    j -= 1;
                }
                while (j as f64) * self.dt < tau {
                    j += 1;
                }
                j
            };
            scratch.asset_draws[a] = AssetDraw {
                other_growth,
                price_drift: expected_return - priced_in - volatility * volatility / 2.0,
                volatility,
                failure_step,
            };
        }

        // 2. Adoption: log A(t_j) = log c(t_j) + sigma_A W_A(t_j).
        let sigma_a = adoption.volatility();
        scratch.w_adoption[0] = 0.0;
        for j in 1..n {
            let z: f64 = sign * Sample::<f64>::sample(&StandardNormal, rng);
            scratch.w_adoption[j] = scratch.w_adoption[j - 1] + self.sqrt_dt * z;
        }
        for j in 0..n {
            let t = j as f64 * self.dt;
            let log_a = adoption.log_curve(t) + sigma_a * scratch.w_adoption[j];
            scratch.log_adoption[j] = log_a;
            out.adoption[j] = log_a.exp();
        }

        // 3. Sectors: correlated Brownian motions, then log R_s.
        let s_count = model.sectors.len();
        let factor = &model.correlation.factor;
        for s in 0..s_count {
            scratch.w_sector[s * n] = 0.0;
        }
        for j in 1..n {
            for z in scratch.independent.iter_mut() {
                *z = sign * Sample::<f64>::sample(&StandardNormal, rng);
            }
            for s in 0..s_count {
                let row = &factor[s * s_count..s * s_count + s + 1];
                let eps: f64 = row
                    .iter()
                    .zip(&scratch.independent)
                    .map(|(l, z)| l * z)
                    .sum();
                scratch.w_sector[s * n + j] = scratch.w_sector[s * n + j - 1] + self.sqrt_dt * eps;
            }
        }
        for s in 0..s_count {
            let [beta, drift, sigma] = scratch.sector_draws[s];
            let lag = self.lag_steps[s];
            for j in 0..n {
                let t = j as f64 * self.dt;
                let lagged = if j >= lag {
                    scratch.log_adoption[j - lag]
                } else {
                    0.0
                };
                scratch.revenue[s * n + j] =
                    (drift * t + beta * lagged + sigma * scratch.w_sector[s * n + j]).exp();
            }
        }

        // 4. Assets: F_a, then P_a with idiosyncratic shocks and failure.
        let (group_values, asset_values) = scratch.value.split_at_mut(groups * n);
        group_values.fill(0.0);
        for (a, asset) in model.assets.iter().enumerate() {
            let draw = scratch.asset_draws[a];
            let outside = self.outside_share[a];
            let series = &mut asset_values[a * n..(a + 1) * n];
            let mut w = 0.0;
            series[0] = 1.0;
            // exp(h t_j) by a running product: one exp per path instead of one per step.
            let growth_step = (draw.other_growth * self.dt).exp();
            let mut growth = 1.0;
            for (j, p) in series.iter_mut().enumerate().skip(1) {
                let z: f64 = sign * Sample::<f64>::sample(&StandardNormal, rng);
                w += self.sqrt_dt * z;
                growth *= growth_step;
                if j >= draw.failure_step {
                    *p = 0.0;
                    continue;
                }
                let t = j as f64 * self.dt;
                let mut fundamentals = outside * growth;
                for &(s, weight) in &asset.exposure {
                    fundamentals += weight * scratch.revenue[s * n + j];
                }
                *p = fundamentals * (draw.price_drift * t + draw.volatility * w).exp();
            }
            scratch.w_asset_end[a] = w;
            scratch.growth_end[a] = growth;
            // 5. Groups: weighted buy-and-hold average.
            let share = self.asset_share[a];
            let group = &mut group_values[asset.group * n..(asset.group + 1) * n];
            for (g, p) in group.iter_mut().zip(series.iter()) {
                *g += share * p;
            }
        }

        // 6. Outcomes.
        for e in 0..self.entities() {
            let series = &scratch.value[e * n..(e + 1) * n];
            out.total_return[e] = total_return(series);
            out.max_drawdown[e] = max_drawdown(series);
            out.step_returns[e] =
                StepReturns::of_series_with(series, self.rf_per_step, &mut scratch.step_buffer);
        }

        // 7. Baseline on the same draws and shocks; only X(t_T) is needed for the uplift.
        if let Some(baseline) = &model.baseline {
            let mut base = AdoptionDraw {
                process: baseline.process,
                values: adoption.values,
            };
            for (key, d) in baseline.overrides() {
                let slot = columns.baseline[key as usize];
                base.values[key as usize] = draw(d, slot, &[], out.draws, at);
            }
            let sigma_b = base.get(AdoptionKey::Volatility);
            for j in 0..n {
                let t = j as f64 * self.dt;
                let log_a = base.log_curve(t) + sigma_b * scratch.w_adoption[j];
                scratch.log_adoption[j] = log_a;
                out.baseline_adoption[j] = log_a.exp();
            }
            let j = self.steps;
            let terminal = &mut scratch.baseline_terminal;
            terminal[..groups].fill(0.0);
            for (a, asset) in model.assets.iter().enumerate() {
                let draw = scratch.asset_draws[a];
                let value = if j >= draw.failure_step {
                    0.0
                } else {
                    let mut fundamentals = self.outside_share[a] * scratch.growth_end[a];
                    for &(s, weight) in &asset.exposure {
                        let [beta, drift, sigma] = scratch.sector_draws[s];
                        let lag = self.lag_steps[s];
                        let lagged = if j >= lag {
                            scratch.log_adoption[j - lag]
                        } else {
                            0.0
                        };
                        let revenue =
                            (drift * t_end + beta * lagged + sigma * scratch.w_sector[s * n + j])
                                .exp();
                        fundamentals += weight * revenue;
                    }
                    fundamentals
                        * (draw.price_drift * t_end + draw.volatility * scratch.w_asset_end[a])
                            .exp()
                };
                terminal[groups + a] = value;
                terminal[asset.group] += self.asset_share[a] * value;
            }
            for ((uplift, boom), base) in out
                .uplift
                .iter_mut()
                .zip(&*out.total_return)
                .zip(terminal.iter())
            {
                *uplift = boom - (base - 1.0);
            }
        }
    }
}
