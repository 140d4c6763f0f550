//! The paths of docs/model.md §3, [`W`] at a time: each SIMD lane is one path. A batch draws its
//! paths' parameters, then walks the time grid once, and at every step each lane advances its
//! own path through adoption, sectors, assets, groups and the outcomes of every entity.
//!
//! One concept, the lane kernel (about 800 lines of it, with its tests): the stages of one batch
//! share its state and run in one loop over the time grid, so they stay together. What they
//! read and write lives beside it: [`batch`] (the records and the worker's scratch), [`draws`]
//! (where each parameter's draw comes from) and [`market`] (the market factor's constants).
//!
//! [`PathSimulator`] holds what is fixed for a run (the model, grid, lags, the correlation
//! factor, sparse exposures, constant growth factors); a [`Scratch`] holds one worker's state
//! of a batch (struct of arrays: one [`Lanes`] vector per quantity), reused from batch to batch
//! so the hot loop does not allocate; a [`Batch`] receives what the paths record.
//!
//! Every lane draws from its own path's streams (its generator in [`LaneRng`], its parameters'
//! in [`parameter_rng`]), so a path's numbers depend only on (seed, path index), whichever
//! batch, lane, thread or instruction set runs it. Every lane operation is the same IEEE
//! arithmetic on every instruction set ([`math`]), so the bits are the same too. Entities are
//! numbered groups first, then assets, as in `summary.csv`.

use crate::distribution::{OfStandardNormal, copula, sampling};
use rand_distr::Distribution as Sample;

use rand::RngExt as _;
use rand::distr::Open01;

use super::adoption::AdoptionLanes;
use super::math::{self, Isa, Lanes, W, lanes, mask, splat};
use super::shocks::LaneRng;
use super::{CHUNK_PATHS, Sampling};

use crate::engine::outcome::StepReturns;
use crate::model::Model;
use crate::random::{ParameterKey, Stream, parameter_id, parameter_rng, path_rng};

mod batch;
mod draws;
mod market;

use batch::Running;
pub use batch::{Batch, PathOutputs, PathRecord, Records, Scratch, Stage};
pub use draws::Strata;
use draws::{BatchDraws, DrawColumns, DrawSlot, lane_normals};
use market::MarketSteps;

/// The fixed part of a run: model, grid and derived constants.
pub struct PathSimulator<'m> {
    model: &'m Model,
    steps: usize,
    dt: f64,
    sqrt_dt: f64,
    lag_steps: Vec<usize>,
    /// Each asset's 1 - sum of its exposures: the share of its business outside the sectors.
    outside_share: Vec<f64>,
    /// Each asset's non-zero exposures (sector, w_as), in sector order.
    exposure: Vec<Vec<(usize, f64)>>,
    /// Each group's assets and their shares omega_a / (sum of omega in the group).
    group_members: Vec<Vec<(usize, f64)>>,
    /// The correlation factor L, row-major, S x S (lower triangular).
    factor: Vec<f64>,
    /// exp(h_a t_j) for j = 0..=T of each asset whose other_growth is a constant (no draw):
    /// computed once per run instead of once per path.
    constant_growth: Vec<Option<Vec<f64>>>,
    rf_per_step: f64,
    /// Column of each recorded (uncertain) draw, by where it lives.
    columns: DrawColumns,
    sampling: Sampling,
    /// [`parameter_id`] of every parameter, in `Model::parameters` order (computed once).
    parameter_ids: Vec<u64>,
    /// The parameters drawn as a function of one standard normal from their own streams (not
    /// from a copula, not constant), by index in `Model::parameters`: drawn on every lane at
    /// once ([`Self::draw_lane_normals`]).
    lane_normals: Vec<(usize, OfStandardNormal)>,
    /// The market factor's constants, with a `[market]`.
    market: Option<MarketSteps>,
    isa: Isa,
    /// Box-Muller in double precision on the same uniforms ([`Self::with_reference_normals`]).
    reference_normals: bool,
}

/// log R_s(t) = g_s t + beta_s log A(t - lag) + sigma_s W_s(t): one expression for the boom
/// and the baseline, so equal inputs give equal bits.
#[inline(always)]
fn sector_log_revenue([beta, drift, sigma]: [f64; 3], t: f64, lagged: f64, w: f64) -> f64 {
    drift * t + beta * lagged + sigma * w
}

/// The first step j with t_j = j dt >= tau (T + 1 when tau > t_T), as f64, branch-free: j =
/// ceil(tau / dt) corrected by one either way for the rounding of the division.
#[inline(always)]
fn failure_step(tau: f64, dt: f64, steps: usize) -> f64 {
    let t_end = steps as f64 * dt;
    let mut j = (tau / dt).ceil().min(steps as f64 + 1.0);
    if j > 0.0 && (j - 1.0) * dt >= tau {
        j -= 1.0;
    }
    if j * dt < tau {
        j += 1.0;
    }
    if tau > t_end { steps as f64 + 1.0 } else { j }
}

/// P = F x factor while the asset lives (steps before its failure step), 0 from then on: one
/// expression for the boom and the baseline, so equal inputs give equal bits.
#[inline(always)]
fn alive(f: Lanes, factor: Lanes, failed: Lanes, step: f64) -> Lanes {
    lanes(|i| {
        if step < failed[i] {
            f[i] * factor[i]
        } else {
            0.0
        }
    })
}

impl<'m> PathSimulator<'m> {
    /// F_a = (1 - sum w) exp(h t) + sum w R_s: the outside business, then the sectors in
    /// exposure order (the boom's revenues or the baseline's, the same sum).
    #[inline(always)]
    fn fundamentals(&self, a: usize, growth: Lanes, revenue: &[Lanes]) -> Lanes {
        let outside = self.outside_share[a];
        let mut f = lanes(|i| outside * growth[i]);
        for &(s, w) in &self.exposure[a] {
            let r = revenue[s];
            f = lanes(|i| f[i] + w * r[i]);
        }
        f
    }

    /// Each group's value: the weighted buy-and-hold sum of its assets' values, which sit after
    /// the groups in `values` (entities are numbered groups first).
    #[inline(always)]
    fn group_sums(&self, values: &mut [Lanes]) {
        let groups = self.group_members.len();
        for (g, members) in self.group_members.iter().enumerate() {
            let mut sum = splat(0.0);
            for &(a, share) in members {
                let p = values[groups + a];
                sum = lanes(|i| sum[i] + share * p[i]);
            }
            values[g] = sum;
        }
    }

    /// Prepares a simulator for `model`, running on the fastest instruction set of this CPU
    /// (or the one `BOOMSIM_ISA` names: [`Isa::detect`]).
    pub fn new(model: &'m Model, sampling: Sampling) -> Self {
        let steps = model.steps();
        let dt = model.dt();
        let k = f64::from(model.steps_per_year);
        let lag_steps = model
            .sectors
            .iter()
            .map(|s| (s.lag_years * k).round() as usize)
            .collect();
        let asset_share: Vec<f64> = model
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
        let mut columns = DrawColumns::new(model);
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
        let exposure = model
            .assets
            .iter()
            .map(|a| {
                let mut e: Vec<(usize, f64)> = a
                    .exposure
                    .iter()
                    .copied()
                    .filter(|&(_, w)| w != 0.0)
                    .collect();
                e.sort_by_key(|&(s, _)| s);
                e
            })
            .collect();
        let constant_growth = model
            .assets
            .iter()
            .map(|a| {
                let h = a
                    .other_growth
                    .is_constant()
                    .then(|| a.other_growth.quantile(0.5))?;
                let step = libm::exp(h * dt);
                let mut g = 1.0;
                Some(
                    (0..=steps)
                        .map(|j| {
                            if j > 0 {
                                g *= step;
                            }
                            g
                        })
                        .collect(),
                )
            })
            .collect();
        Self {
            model,
            steps,
            dt,
            sqrt_dt: dt.sqrt(),
            lag_steps,
            outside_share,
            exposure,
            group_members: model
                .groups
                .iter()
                .map(|g| g.assets.iter().map(|&a| (a, asset_share[a])).collect())
                .collect(),
            factor: model.correlation.factor.clone(),
            constant_growth,
            rf_per_step: model.risk_free_rate / k,
            lane_normals: lane_normals(model, &mut columns),
            columns,
            sampling,
            parameter_ids,
            market: MarketSteps::new(model, dt),
            isa: Isa::detect(),
            reference_normals: false,
        }
    }

    /// The same simulator on instruction set `isa`: the results are identical, only the speed
    /// differs. An instruction set the CPU lacks runs the best one below it ([`Isa::run`]).
    pub fn with_isa(mut self, isa: Isa) -> Self {
        self.isa = isa;
        self
    }

    /// The same simulator with the standard normals' Box-Muller evaluated in double precision
    /// on the same single-precision uniforms ([`LaneRng::reference`]): the reference the
    /// accuracy tests hold every path's values to (within 1e-6 (1 + |x|)). Slower; never what a
    /// run uses.
    pub fn with_reference_normals(mut self) -> Self {
        self.reference_normals = true;
        self
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
        let permutation = |id: u64| {
            let mut rng = parameter_rng(seed, u64::MAX - chunk, id);
            let mut perm: Vec<u32> = (0..CHUNK_PATHS as u32).collect();
            for i in (1..perm.len()).rev() {
                let j = rng.random_range(0..=i);
                perm.swap(i, j);
            }
            perm
        };
        let perms = self
            .parameter_ids
            .iter()
            .map(|&id| permutation(id))
            .collect();
        let copula_ids: Vec<Vec<u64>> = self
            .model
            .copulas
            .iter()
            .enumerate()
            .map(|(t, table)| {
                (0..table.copula.underlying())
                    .map(|k| parameter_id(&format!("correlate[{t}].draw[{k}]")))
                    .collect()
            })
            .collect();
        let copula_perms = copula_ids
            .iter()
            .map(|ids| ids.iter().map(|&id| permutation(id)).collect())
            .collect();
        Some(Strata {
            perms,
            copula_perms,
            copula_ids,
        })
    }

    /// Owned buffers for one path's outputs, sized for this model.
    pub fn outputs(&self) -> PathOutputs {
        let widths = crate::engine::quantity_widths(self.model);
        PathOutputs::from_columns(
            |q| vec![0.0; widths[q]],
            vec![StepReturns::default(); self.entities()],
        )
    }

    /// Buffers for one batch's outputs, sized for this model.
    pub fn batch(&self) -> Batch {
        let widths = crate::engine::quantity_widths(self.model);
        Batch::from_columns(
            |q| vec![splat(0.0); widths[q]],
            vec![[StepReturns::default(); W]; self.entities()],
        )
    }

    /// Fresh state for one worker.
    pub fn scratch(&self) -> Scratch {
        let n = self.steps + 1;
        let (s, a, e) = (
            self.model.sectors.len(),
            self.model.assets.len(),
            self.entities(),
        );
        let copula: usize = self.model.copulas.iter().map(|c| c.slots.len()).sum();
        let underlying = self
            .model
            .copulas
            .iter()
            .map(|c| c.copula.underlying())
            .max()
            .unwrap_or(0);
        let zeros = |len: usize| vec![splat(0.0); len];
        Scratch {
            rng: LaneRng::new(0, [0; W], Stream::Boom),
            sign: splat(1.0),
            adoption: [splat(0.0); 6],
            baseline: [splat(0.0); 6],
            sector: vec![[splat(0.0); 3]; s],
            price_drift: zeros(a),
            volatility: zeros(a),
            growth_step: zeros(a),
            failure_step: zeros(a),
            normals: zeros(1 + s + a),
            log_adoption: zeros(n),
            log_baseline: zeros(n),
            w_adoption: splat(0.0),
            w_sector: zeros(s),
            w_asset: zeros(a),
            growth: zeros(a),
            revenue: zeros(s),
            factor_end: zeros(a),
            value: zeros(e),
            running: vec![Running::START; e],
            baseline_terminal: zeros(e),
            baseline_revenue: zeros(s),
            copula_normals: vec![0.0; underlying],
            copula_uniforms: vec![0.0; copula * W],
            parameter_keys: vec![ParameterKey::default(); self.parameter_ids.len()],
            normal_draws: vec![splat(0.0); self.parameter_ids.len()],
            normal_accepted: vec![[false; W]; self.parameter_ids.len()],
            market_rng: LaneRng::new(0, [0; W], Stream::Market),
            market: splat(0.0),
        }
    }

    /// Simulates paths `first..first + W` (lane i is path `first + i`) of a run with seed
    /// `seed`. Each parameter draws from its own stream ([`parameter_rng`]); the shocks and
    /// failure times from the path's [`Stream::Boom`]; so `[baseline]` overrides, like any
    /// parameter, change no other number.
    pub fn simulate_batch(
        &self,
        seed: u64,
        first: u64,
        strata: Option<&Strata>,
        scratch: &mut Scratch,
        out: &mut Batch,
    ) {
        self.simulate_until(Stage::Baseline, seed, first, strata, scratch, out);
    }

    /// [`Self::simulate_batch`] up to and including stage `last` (for the benchmarks: the
    /// outputs of later stages are left as they were).
    pub fn simulate_until(
        &self,
        last: Stage,
        seed: u64,
        first: u64,
        strata: Option<&Strata>,
        scratch: &mut Scratch,
        out: &mut Batch,
    ) {
        self.draw_parameters(seed, first, strata, scratch, &mut out.draws);
        if last >= Stage::Shocks {
            self.isa.run(
                #[inline(always)]
                || self.walk(last, scratch, out),
            );
        }
    }

    /// Simulates path `path` alone (as lane 0 of a batch starting there): what the tests, the
    /// benchmarks and the overflow diagnosis use; the engine runs whole batches.
    pub fn simulate(
        &self,
        seed: u64,
        path: u64,
        strata: Option<&Strata>,
        scratch: &mut Scratch,
        out: PathRecord<'_>,
    ) {
        let mut batch = self.batch();
        self.simulate_batch(seed, path, strata, scratch, &mut batch);
        let lane0 = |from: &[Lanes], to: &mut [f64]| {
            for (t, f) in to.iter_mut().zip(from) {
                *t = f[0];
            }
        };
        lane0(&batch.total_return, out.total_return);
        lane0(&batch.max_drawdown, out.max_drawdown);
        lane0(&batch.uplift, out.uplift);
        lane0(&batch.adoption, out.adoption);
        lane0(&batch.baseline_adoption, out.baseline_adoption);
        lane0(&batch.draws, out.draws);
        for (t, f) in out.step_returns.iter_mut().zip(&batch.step_returns) {
            *t = f[0];
        }
    }

    /// Each lane's path, whose streams it draws from: an antithetic pair draws from its first
    /// path's streams (the second with every shock negated).
    #[inline(always)]
    fn base_paths(&self, first: u64) -> [u64; W] {
        std::array::from_fn(|lane| {
            let path = first + lane as u64;
            if self.sampling.antithetic {
                path & !1
            } else {
                path
            }
        })
    }

    /// Each parameter's stream key for this seed (once for the batch's W paths), and the draws
    /// of [`Self::lane_normals`] on every lane at once where the ziggurat's first try is
    /// accepted (about 99% of lanes; [`BatchDraws`] draws the rejected lanes, and the other
    /// families, lane by lane): the same values as lane by lane, in vector instructions. Not
    /// with Latin hypercube sampling, whose draws come from strata.
    #[inline(always)]
    fn draw_lane_normals(
        &self,
        seed: u64,
        first: u64,
        strata: Option<&Strata>,
        scratch: &mut Scratch,
    ) {
        for (key, &id) in scratch.parameter_keys.iter_mut().zip(&self.parameter_ids) {
            *key = ParameterKey::new(seed, id);
        }
        if strata.is_some() {
            return;
        }
        let paths = self.base_paths(first);
        for &(index, form) in &self.lane_normals {
            let words = scratch.parameter_keys[index].first_words(&paths);
            let (z, accepted) = sampling::standard_normal_first_try(&words);
            let x = lanes(|i| form.affine(z[i]));
            scratch.normal_draws[index] = if form.exponentiated() {
                math::exp_lanes(x)
            } else {
                x
            };
            scratch.normal_accepted[index] = accepted;
        }
    }

    /// Draws every lane's parameters (in file order) and each asset's failure step, and seeds
    /// the lanes' shock streams.
    fn draw_parameters(
        &self,
        seed: u64,
        first: u64,
        strata: Option<&Strata>,
        scratch: &mut Scratch,
        draws: &mut [Lanes],
    ) {
        let model = self.model;
        let columns = &self.columns;
        self.isa.run(
            #[inline(always)]
            || self.draw_lane_normals(seed, first, strata, scratch),
        );
        let paths = self.base_paths(first);
        scratch.sign = lanes(|i| {
            let odd = (first + i as u64) & 1 == 1;
            if self.sampling.antithetic && odd {
                -1.0
            } else {
                1.0
            }
        });
        let lane_rng = |stream| {
            let rng = LaneRng::new(seed, paths, stream);
            if self.reference_normals {
                rng.reference()
            } else {
                rng
            }
        };
        scratch.rng = lane_rng(Stream::Boom);
        if self.market.is_some() {
            scratch.market_rng = lane_rng(Stream::Market);
        }
        // Each lane's copula uniforms (lane after lane), from the tables' underlying
        // independent draws: plain draws from the path's copula stream, or (Latin hypercube)
        // their strata.
        let width = scratch.copula_uniforms.len() / W;
        if !model.copulas.is_empty() {
            for (lane, &path) in paths.iter().enumerate() {
                let copula_rng = &mut path_rng(seed, path, Stream::Copula);
                let mut offset = lane * width;
                for (t, table) in model.copulas.iter().enumerate() {
                    let m = table.slots.len();
                    let out = &mut scratch.copula_uniforms[offset..offset + m];
                    match strata {
                        None => table.copula.draw(&mut copula::Plain(&mut *copula_rng), out),
                        Some(strata) => {
                            let i = path as usize % CHUNK_PATHS;
                            let k = table.copula.underlying();
                            for (j, u) in scratch.copula_normals[..k].iter_mut().enumerate() {
                                let id = strata.copula_ids[t][j];
                                let v: f64 = Open01.sample(&mut parameter_rng(seed, path, id));
                                let cell = f64::from(strata.copula_perms[t][j][i]);
                                *u = (cell + v) / CHUNK_PATHS as f64;
                            }
                            table
                                .copula
                                .draw(&mut copula::FromUniforms(&scratch.copula_normals[..k]), out);
                        }
                    }
                    offset += m;
                }
            }
        }
        // Then each parameter on every lane at once (a constant is one splat, a draw made
        // on every lane a copy), in file order.
        let mut at = BatchDraws {
            keys: &scratch.parameter_keys,
            paths,
            normals: (&scratch.normal_draws, &scratch.normal_accepted),
            strata,
            uniforms: &scratch.copula_uniforms,
            width,
            draws,
        };
        for (key, d) in model.adoption.parameters() {
            let slot = columns.adoption[key as usize];
            scratch.adoption[key as usize] = at.draw(d, slot);
        }
        if let Some(baseline) = &model.baseline {
            scratch.baseline = scratch.adoption;
            for (key, d) in baseline.overrides() {
                // The baseline's keys are drawn on their own, never from the copula.
                let slot = DrawSlot {
                    copula: None,
                    ..columns.baseline[key as usize]
                };
                scratch.baseline[key as usize] = at.draw(d, slot);
            }
        }
        for (s, sector) in model.sectors.iter().enumerate() {
            for (f, (_, d)) in sector.parameters().into_iter().enumerate() {
                scratch.sector[s][f] = at.draw(d, columns.sectors[s][f]);
            }
        }
        for (a, asset) in model.assets.iter().enumerate() {
            let mut v = [splat(0.0); 5];
            for (f, (_, d)) in asset.parameters().into_iter().enumerate() {
                v[f] = at.draw(d, columns.assets[a][f]);
            }
            let [
                other_growth,
                priced_in,
                expected_return,
                volatility,
                failure_rate,
            ] = v;
            let drift =
                lanes(|i| expected_return[i] - priced_in[i] - volatility[i] * volatility[i] / 2.0);
            scratch.price_drift[a] = match &self.market {
                Some(m) => lanes(|i| drift[i] - m.compensator[a]),
                None => drift,
            };
            scratch.volatility[a] = volatility;
            // exp(h_a dt), per path only when h_a is drawn (else a table per run).
            scratch.growth_step[a] = if self.constant_growth[a].is_some() {
                splat(1.0)
            } else {
                lanes(|i| math::exp(other_growth[i] * self.dt))
            };
            // tau = E / lambda below, once the lanes' streams give E.
            scratch.failure_step[a] = failure_rate;
        }
        // tau ~ Exponential(lambda) = E / lambda with E ~ Exp(1) from the path's stream:
        // always drawn, so the stream does not depend on lambda.
        // In the instruction set's own code, where `ceil` is one instruction and the
        // logarithm's lanes are as wide as the vectors (outside it, a libm call per lane and
        // SSE2: the parameter stage 18% slower); the same values either way.
        let (dt, steps) = (self.dt, self.steps);
        let (rng, rates) = (&mut scratch.rng, &mut scratch.failure_step);
        self.isa.run(
            #[inline(always)]
            || {
                for rate in rates.iter_mut() {
                    let e = rng.exponential();
                    let r = *rate;
                    *rate = lanes(|i| failure_step(e[i] / r[i], dt, steps));
                }
            },
        );
    }

    /// Walks the grid once: at each step, the shocks, then adoption, sectors, assets, groups
    /// and every entity's outcomes of every lane; then the baseline's terminal values.
    #[inline(always)]
    fn walk(&self, last: Stage, scratch: &mut Scratch, out: &mut Batch) {
        let model = self.model;
        let (s_count, a_count, groups) =
            (model.sectors.len(), model.assets.len(), model.groups.len());
        let (dt, sqrt_dt, steps) = (self.dt, self.sqrt_dt, self.steps);
        let boom = AdoptionLanes::new(model.adoption.process, scratch.adoption);
        let base = model
            .baseline
            .as_ref()
            .map(|b| AdoptionLanes::new(b.process, scratch.baseline));
        let sigma_a = boom.volatility();
        let sigma_b = base.map_or(splat(0.0), |b| b.volatility());
        // t_0: A = 1, every value 1.
        scratch.log_adoption[0] = splat(0.0);
        scratch.log_baseline[0] = splat(0.0);
        out.adoption[0] = splat(1.0);
        if let Some(b) = out.baseline_adoption.first_mut() {
            *b = splat(1.0);
        }
        scratch.w_adoption = splat(0.0);
        scratch.w_sector.fill(splat(0.0));
        scratch.w_asset.fill(splat(0.0));
        scratch.growth.fill(splat(1.0));
        scratch.running.fill(Running::START);
        scratch.market = splat(0.0);
        let rf = self.rf_per_step;
        for j in 1..=steps {
            let t = j as f64 * dt;
            let sign = scratch.sign;
            let z = &mut scratch.normals;
            scratch.rng.fill_normals(sign, z);
            if let Some(m) = &self.market {
                // The market: its own stream, a shock, a crash count and one normal for the
                // crashes' sizes every step, negated with the other shocks for antithetic pairs.
                let (zm, xi) = scratch.market_rng.normals();
                let u = scratch.market_rng.open_closed();
                let mut count = splat(0.0);
                for &cdf in &m.poisson {
                    count = lanes(|i| count[i] + if u[i] > cdf { 1.0 } else { 0.0 });
                }
                let (x, (mean, sd), diffusion) = (scratch.market, m.crash, m.diffusion);
                scratch.market = lanes(|i| {
                    let jumps = count[i] * mean + sd * count[i].sqrt() * (sign[i] * xi[i]);
                    x[i] + diffusion * (sign[i] * zm[i]) + jumps
                });
            }
            if last < Stage::Adoption {
                continue;
            }
            // Adoption: log A = log c + sigma_A W_A (boom and baseline on the same W_A).
            let w = scratch.w_adoption;
            let za = z[0];
            let w = lanes(|i| w[i] + sqrt_dt * za[i]);
            scratch.w_adoption = w;
            let curve = boom.log_curve(t);
            let log_a = lanes(|i| curve[i] + sigma_a[i] * w[i]);
            scratch.log_adoption[j] = log_a;
            out.adoption[j] = math::exp_lanes(log_a);
            if let Some(base) = &base {
                let curve = base.log_curve(t);
                let log_b = lanes(|i| curve[i] + sigma_b[i] * w[i]);
                scratch.log_baseline[j] = log_b;
                out.baseline_adoption[j] = math::exp_lanes(log_b);
            }
            if last < Stage::Sectors {
                continue;
            }
            // Sectors: W_s += sqrt(dt) (L z)_s; R_s = exp(g t + beta log A(t - lag) + sigma W_s).
            for s in 0..s_count {
                let row = &self.factor[s * s_count..][..=s];
                let mut eps = splat(0.0);
                for (k, &l) in row.iter().enumerate() {
                    let zk = z[1 + k];
                    eps = lanes(|i| eps[i] + l * zk[i]);
                }
                let ws = scratch.w_sector[s];
                let ws = lanes(|i| ws[i] + sqrt_dt * eps[i]);
                scratch.w_sector[s] = ws;
                let lag = self.lag_steps[s];
                let lagged = if j >= lag {
                    scratch.log_adoption[j - lag]
                } else {
                    splat(0.0)
                };
                let [beta, drift, sigma] = scratch.sector[s];
                let log_r = lanes(|i| {
                    sector_log_revenue([beta[i], drift[i], sigma[i]], t, lagged[i], ws[i])
                });
                scratch.revenue[s] = math::exp_lanes(log_r);
            }
            if last < Stage::Assets {
                continue;
            }
            // Assets: F = (1 - sum w) exp(h t) + sum w R_s; P = F exp((mu - pi - sigma^2/2) t +
            // sigma W_a), or 0 from the failure step on.
            let step = j as f64;
            for a in 0..a_count {
                let growth = match &self.constant_growth[a] {
                    Some(table) => splat(table[j]),
                    None => {
                        let (g, gs) = (scratch.growth[a], scratch.growth_step[a]);
                        let g = lanes(|i| g[i] * gs[i]);
                        scratch.growth[a] = g;
                        g
                    }
                };
                let f = self.fundamentals(a, growth, &scratch.revenue);
                let zk = z[1 + s_count + a];
                let wa = scratch.w_asset[a];
                let wa = lanes(|i| wa[i] + sqrt_dt * zk[i]);
                scratch.w_asset[a] = wa;
                let (drift, vol) = (scratch.price_drift[a], scratch.volatility[a]);
                let factor = match &self.market {
                    // beta_a X_M(t): the market every asset shares (its -c_a t is in the drift).
                    Some(m) => {
                        let (beta, x) = (m.beta[a], scratch.market);
                        math::exp_lanes(lanes(|i| drift[i] * t + vol[i] * wa[i] + beta * x[i]))
                    }
                    None => math::exp_lanes(lanes(|i| drift[i] * t + vol[i] * wa[i])),
                };
                if j == steps {
                    scratch.factor_end[a] = factor;
                }
                scratch.value[groups + a] = alive(f, factor, scratch.failure_step[a], step);
            }
            self.group_sums(&mut scratch.value);
            if last < Stage::Outcomes {
                continue;
            }
            self.outcomes_step(j, rf, scratch);
        }
        if let Some(m) = &self.market {
            // The path's total market log-return: a driver beside the parameters' draws.
            out.draws[m.column] = scratch.market;
        }
        if last < Stage::Outcomes {
            return;
        }
        self.record_outcomes(scratch, out);
        if last >= Stage::Baseline && base.is_some() {
            self.baseline(scratch, out);
        }
    }

    /// One step of every entity's outcomes: the step return x_j = X_j / X_{j-1} - 1 (skipped
    /// after a zero value), summed as deviations from the path's first step return (so a
    /// constant series sums to exactly 0), the running peak and the deepest (value, peak)
    /// pair, compared by cross-multiplying (no division).
    #[inline(always)]
    fn outcomes_step(&self, j: usize, rf: f64, scratch: &mut Scratch) {
        for (&x, r) in scratch.value.iter().zip(scratch.running.iter_mut()) {
            let before = r.before;
            let counted = mask(|i| before[i] != 0.0);
            let ret = lanes(|i| {
                if counted[i] {
                    x[i] / before[i] - 1.0
                } else {
                    0.0
                }
            });
            if j == 1 {
                // X_0 = 1 > 0: the first step return always counts.
                r.first_return = ret;
            }
            let first = r.first_return;
            let d = lanes(|i| ret[i] - first[i]);
            let short = lanes(|i| (ret[i] - rf).min(0.0));
            let (c, s, q, h) = (r.count, r.sum, r.squares, r.shortfall);
            r.count = lanes(|i| c[i] + if counted[i] { 1.0 } else { 0.0 });
            r.sum = lanes(|i| s[i] + if counted[i] { d[i] } else { 0.0 });
            r.squares = lanes(|i| q[i] + if counted[i] { d[i] * d[i] } else { 0.0 });
            r.shortfall = lanes(|i| h[i] + if counted[i] { short[i] * short[i] } else { 0.0 });
            let (old_peak, lv, lp) = (r.peak, r.low_value, r.low_peak);
            let p = lanes(|i| old_peak[i].max(x[i]));
            let deeper = mask(|i| x[i] * lp[i] < lv[i] * p[i]);
            r.peak = p;
            r.low_value = lanes(|i| if deeper[i] { x[i] } else { lv[i] });
            r.low_peak = lanes(|i| if deeper[i] { p[i] } else { lp[i] });
            r.before = x;
        }
    }

    /// total_return, max_drawdown and the step returns of every entity (docs/model.md §4).
    #[inline(always)]
    fn record_outcomes(&self, scratch: &Scratch, out: &mut Batch) {
        for (e, r) in scratch.running.iter().enumerate() {
            let (x, lv, lp) = (r.before, r.low_value, r.low_peak);
            out.total_return[e] = lanes(|i| x[i] - 1.0);
            out.max_drawdown[e] = lanes(|i| 1.0 - lv[i] / lp[i]);
            let (count, first) = (r.count, r.first_return);
            let (sum, squares, short) = (r.sum, r.squares, r.shortfall);
            out.step_returns[e] = std::array::from_fn(|i| {
                let n = count[i];
                let mean_d = sum[i] / n;
                StepReturns {
                    count: n as u64,
                    mean: first[i] + mean_d,
                    m2: (squares[i] - sum[i] * mean_d).max(0.0),
                    downside_sq: short[i],
                }
            });
        }
    }

    /// The baseline on the same draws and shocks (docs/model.md §3): X(t_T) of every entity for
    /// the uplift. Only adoption differs from the boom, so the asset price factors and the
    /// outside business are reused, and each revenue is recomputed by the same expression
    /// (equal adoption gives equal bits, zero uplift).
    #[inline(always)]
    fn baseline(&self, scratch: &mut Scratch, out: &mut Batch) {
        let model = self.model;
        let (groups, j) = (model.groups.len(), self.steps);
        let t_end = j as f64 * self.dt;
        for s in 0..model.sectors.len() {
            let lag = self.lag_steps[s];
            let lagged = if j >= lag {
                scratch.log_baseline[j - lag]
            } else {
                splat(0.0)
            };
            let [beta, drift, sigma] = scratch.sector[s];
            let ws = scratch.w_sector[s];
            let log_r = lanes(|i| {
                sector_log_revenue([beta[i], drift[i], sigma[i]], t_end, lagged[i], ws[i])
            });
            scratch.baseline_revenue[s] = math::exp_lanes(log_r);
        }
        let step = j as f64;
        for a in 0..model.assets.len() {
            // F_a(t_T) as the boom sums it: outside business, then sectors in order.
            let growth = match &self.constant_growth[a] {
                Some(table) => splat(table[j]),
                None => scratch.growth[a],
            };
            let f = self.fundamentals(a, growth, &scratch.baseline_revenue);
            let (factor, failed) = (scratch.factor_end[a], scratch.failure_step[a]);
            scratch.baseline_terminal[groups + a] = alive(f, factor, failed, step);
        }
        self.group_sums(&mut scratch.baseline_terminal);
        for e in 0..self.entities() {
            let (boom, base) = (out.total_return[e], scratch.baseline_terminal[e]);
            out.uplift[e] = lanes(|i| boom[i] - (base[i] - 1.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::{max_drawdown, total_return};
    use crate::model::DEFAULT_MODEL_TEXT;
    use crate::model::parse_model;

    /// Each entity's value series X(t_j), j = 0..=T, of every lane of a batch: the kernel's
    /// walk up to the assets stage, stopped after each step in turn (same draws, same shocks).
    fn series(sim: &PathSimulator, seed: u64, first: u64) -> Vec<Vec<Lanes>> {
        series_of(sim, seed, first, false)
    }

    /// [`series`], with the normals' Box-Muller in double precision when `reference`.
    fn series_of(sim: &PathSimulator, seed: u64, first: u64, reference: bool) -> Vec<Vec<Lanes>> {
        let e = sim.entities();
        let mut values = vec![vec![splat(1.0); sim.steps + 1]; e];
        // Walk the same draws over the first `last_step` steps only, observing the values.
        for last_step in 1..=sim.steps {
            let mut s = sim.scratch();
            let mut b = sim.batch();
            let short = PathSimulator {
                steps: last_step,
                reference_normals: reference,
                ..PathSimulator::new(sim.model, sim.sampling)
            };
            short.draw_parameters(seed, first, None, &mut s, &mut b.draws);
            short.walk(Stage::Assets, &mut s, &mut b);
            for (k, v) in values.iter_mut().enumerate() {
                v[last_step] = s.value[k];
            }
        }
        values
    }

    /// The kernel's outcomes (every lane, drawdowns by cross-multiplication, step returns by
    /// shifted one-pass sums) agree with the scalar definitions of docs/model.md §4 applied to each
    /// path's series.
    #[test]
    fn lane_draws_are_each_parameters_own_stream() {
        // Every uncertain parameter's recorded draw on every lane is its own stream's sample
        // (`Distribution::sample` on `parameter_rng(seed, path, id)`), for the draws made on
        // all lanes at once (normals, lognormals, a Student t drawn as a normal, a baseline's
        // override) and for the lanes whose first try was rejected, plainly and in
        // antithetic pairs (the second path of a pair draws from the first's streams).
        let text = DEFAULT_MODEL_TEXT.replacen(
            "elasticity = \"normal(0.8, 0.2)\"",
            "elasticity = \"student_t(1e7, 0.8, 0.2)\"",
            1,
        );
        let model = parse_model(&text, "python-5x.toml").expect("model");
        let forms: Vec<_> = model
            .uncertain_parameters()
            .iter()
            .filter_map(|p| p.distribution.of_standard_normal())
            .collect();
        assert!(forms.iter().any(|f| f.exponentiated()));
        assert!(
            forms
                .iter()
                .any(|f| matches!(f, OfStandardNormal::ScaledNormal { .. }))
        );
        for antithetic in [false, true] {
            let sampling = Sampling {
                antithetic,
                ..Sampling::default()
            };
            let sim = PathSimulator::new(&model, sampling);
            assert!(sim.lane_normals.len() >= forms.len());
            let (mut scratch, mut batch) = (sim.scratch(), sim.batch());
            let mut rejected = 0;
            for first in (0..2048).step_by(W) {
                sim.simulate_until(
                    Stage::Parameters,
                    3,
                    first as u64,
                    None,
                    &mut scratch,
                    &mut batch,
                );
                for &(index, _) in &sim.lane_normals {
                    rejected += scratch.normal_accepted[index]
                        .iter()
                        .filter(|a| !**a)
                        .count();
                }
                for (column, p) in model.uncertain_parameters().iter().enumerate() {
                    for lane in 0..W {
                        let path = first + lane;
                        let base = if antithetic { path & !1 } else { path };
                        let mut rng = parameter_rng(3, base as u64, parameter_id(&p.path));
                        let want = p.distribution.sample(&mut rng);
                        assert_eq!(
                            batch.draws[column][lane].to_bits(),
                            want.to_bits(),
                            "{} on path {path}",
                            p.path
                        );
                    }
                }
            }
            // About 1% of first tries are rejected: the lane-by-lane fallback ran.
            assert!(rejected > 50, "{rejected} rejected first tries");
        }
    }

    #[test]
    fn outcomes_match_the_scalar_definitions() {
        let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
        let sim = PathSimulator::new(&model, Sampling::default());
        let e = sim.entities();
        let mut scratch = sim.scratch();
        let mut batch = sim.batch();
        let mut failures = 0;
        for first in (0..200).step_by(W) {
            sim.simulate_batch(7, first, None, &mut scratch, &mut batch);
            let values = series(&sim, 7, first);
            for (entity, entity_values) in values.iter().enumerate().take(e) {
                for lane in 0..W {
                    let series: Vec<f64> = entity_values.iter().map(|v| v[lane]).collect();
                    failures += usize::from(series[sim.steps] == 0.0);
                    assert_eq!(batch.total_return[entity][lane], total_return(&series));
                    let want = max_drawdown(&series);
                    let got = batch.max_drawdown[entity][lane];
                    assert!((got - want).abs() <= 2.0 * f64::EPSILON, "{got} vs {want}");
                    let want = StepReturns::of_series(&series, sim.rf_per_step);
                    let got = batch.step_returns[entity][lane];
                    assert_eq!(got.count, want.count);
                    let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-12 * scale;
                    assert!(close(got.mean, want.mean, want.mean.abs().max(1e-3)));
                    assert!(
                        close(got.m2, want.m2, want.m2.max(1e-12)),
                        "{got:?} {want:?}"
                    );
                    assert!(close(
                        got.downside_sq,
                        want.downside_sq,
                        want.downside_sq.max(1e-12)
                    ));
                }
            }
            assert_eq!(batch.adoption[0], splat(1.0));
        }
        // The check covered series that end in a total loss (skipped step returns).
        assert!(failures > 100, "{failures}");
    }

    /// Every entity's value at every step (price levels, groups' values) from single-precision
    /// normals within 1e-6 (1 + |x|) of the same uniforms' double-precision normals
    /// (tests/engine_precision.rs checks every recorded output, and 10,000 steps).
    #[test]
    fn price_levels_at_every_step_are_accurate() {
        let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
        let sim = PathSimulator::new(&model, Sampling::default());
        let mut worst = 0.0f64;
        for first in (0..64).step_by(W) {
            let single = series_of(&sim, 5, first, false);
            let double = series_of(&sim, 5, first, true);
            for (x, y) in single.iter().flatten().zip(double.iter().flatten()) {
                for i in 0..W {
                    worst = worst.max((x[i] - y[i]).abs() / (1.0 + y[i].abs()));
                }
            }
        }
        assert!(worst <= 1e-6 && worst > 0.0, "worst {worst:e}");
    }

    #[test]
    fn a_constant_series_has_exactly_zero_variance() {
        let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
        let sim = PathSimulator::new(&model, Sampling::default());
        let mut scratch = sim.scratch();
        // Every entity's value 1.05^j: each step return is exactly equal.
        let e = sim.entities();
        assert_eq!(scratch.running.len(), e);
        scratch.running.fill(Running::START);
        let mut x = 1.0;
        for j in 1..=20 {
            x *= 1.25;
            scratch.value.fill(splat(x));
            sim.outcomes_step(j, 0.0, &mut scratch);
        }
        let mut batch = sim.batch();
        sim.record_outcomes(&scratch, &mut batch);
        assert!(batch.step_returns.iter().flatten().all(|s| s.m2 == 0.0));
        assert!(
            batch
                .step_returns
                .iter()
                .flatten()
                .all(|s| s.count == 20 && s.mean == 0.25)
        );
    }

    #[test]
    fn a_path_is_the_same_in_any_lane() {
        let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
        let sim = PathSimulator::new(&model, Sampling::default());
        let mut scratch = sim.scratch();
        let (mut a, mut b) = (sim.batch(), sim.batch());
        sim.simulate_batch(3, 16, None, &mut scratch, &mut a);
        sim.simulate_batch(3, 13, None, &mut scratch, &mut b);
        // Path 16 is lane 0 of the first batch and lane 3 of the second.
        for (x, y) in a.quantities().iter().zip(b.quantities()) {
            for (x, y) in x.iter().zip(y) {
                assert_eq!(x[0].to_bits(), y[3].to_bits());
            }
        }
    }
}
