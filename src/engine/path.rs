//! One path of MODEL.md §3: draw the parameters, simulate adoption, sectors, assets and
//! groups on the time grid, and record each entity's outcomes.
//!
//! [`PathSimulator`] holds what is fixed for a run (the model, grid, lags, weights); a
//! [`Scratch`] holds the buffers one worker reuses from path to path, so the hot loop does not
//! allocate. A path runs as a sequence of [`Stage`]s, each a pass over whole series laid out
//! step-major (per step, one lane per sector, asset or entity), so the exponentials run over
//! long slices and the per-step work vectorises across lanes ([`math`]). Entities are numbered
//! groups first, then assets, as in `summary.csv`.

use rand_distr::Distribution as Sample;
use rand_distr::{Exp1, StandardNormal};

use crate::engine::adoption::AdoptionDraw;
use statrs::distribution::ContinuousCDF;

use rand::RngExt as _;
use rand::distr::Open01;

use super::math::{self, Isa};
use super::{CHUNK_PATHS, Sampling};
use crate::distribution::Distribution;
use crate::engine::outcome::StepReturns;
use crate::model::{AdoptionKey, Model, Slot};
use crate::random::{PathRng, Stream, parameter_id, parameter_rng, path_rng};

/// The stages of one path, in the order they run (the benchmarks time each on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Every parameter's draw, and each asset's failure time.
    Parameters,
    /// The standard normals of every shock.
    Shocks,
    /// The adoption index A(t_j).
    Adoption,
    /// Each sector's revenue R_s(t_j).
    Sectors,
    /// Each asset's value P_a(t_j), and the groups' weighted sums.
    Assets,
    /// Each entity's total return, maximum drawdown and step returns.
    Outcomes,
    /// The baseline's adoption and terminal values, and the uplift.
    Baseline,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 7] = [
        Stage::Parameters,
        Stage::Shocks,
        Stage::Adoption,
        Stage::Sectors,
        Stage::Assets,
        Stage::Outcomes,
        Stage::Baseline,
    ];

    /// Lower-case name (for benchmark labels).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Parameters => "parameters",
            Stage::Shocks => "shocks",
            Stage::Adoption => "adoption",
            Stage::Sectors => "sectors",
            Stage::Assets => "assets",
            Stage::Outcomes => "outcomes",
            Stage::Baseline => "baseline",
        }
    }
}

/// Per-worker buffers, reused for every path. "Lanes" are per-asset (or per-entity) values
/// padded to a multiple of [`LANES`], so the per-step loops run whole vectors.
pub struct Scratch {
    /// The path's stream of shocks and failure times ([`Stream::Boom`]).
    rng: PathRng,
    /// +1, or -1 for the second path of an antithetic pair.
    sign: f64,
    adoption: AdoptionDraw,
    /// The path's standard normals, step-major: for each step, adoption, each sector, each asset.
    normals: Vec<f64>,
    /// W_A(t_j).
    w_adoption: Vec<f64>,
    /// log A(t_j) (the boom's, then the baseline's).
    log_adoption: Vec<f64>,
    /// R_s(t_j), step-major, (T + 1) x S.
    revenue: Vec<f64>,
    /// W_s(t_T) of each sector, for the baseline.
    w_sector_end: Vec<f64>,
    /// Sector lanes: running W_s(t_j), and this step's correlated increment (L z)_s.
    w_sector: Vec<f64>,
    sector_shock: Vec<f64>,
    /// [elasticity, drift, volatility] of each sector.
    sector_draws: Vec<[f64; 3]>,
    /// Asset lanes: (mu_a - pi_a - sigma_a^2 / 2), the annual drift of log P beyond log F.
    price_drift: Vec<f64>,
    /// Asset lanes: sigma_a.
    volatility: Vec<f64>,
    /// Asset lanes: exp(h_a dt), the step factor of the business outside the sectors.
    growth_step: Vec<f64>,
    /// Asset lanes: the first step j with t_j >= tau, as f64 (T + 1 when the asset survives).
    failure_step: Vec<f64>,
    /// Asset lanes: running W_a(t_j) and exp(h_a t_j).
    w_asset: Vec<f64>,
    growth: Vec<f64>,
    /// exp((mu_a - pi_a - sigma_a^2/2) t_j + sigma_a W_a(t_j)), step-major, (T + 1) x lanes.
    price_factor: Vec<f64>,
    /// F_a(t_j), step-major, (T + 1) x lanes; overwritten by P_a(t_j) once priced.
    fundamentals: Vec<f64>,
    /// Entity values X(t_j), step-major, (T + 1) x entity lanes (padding lanes stay 1).
    value: Vec<f64>,
    /// Step returns x_j (0 where skipped), step-major, T x entity lanes.
    returns: Vec<f64>,
    /// Entity lanes: running peak, and the (value, peak) pair of the deepest fall so far.
    peak: Vec<f64>,
    low_value: Vec<f64>,
    low_peak: Vec<f64>,
    /// Entity lanes: count, sum (then mean), squared deviations and squared shortfalls of the
    /// step returns.
    count: Vec<f64>,
    sum: Vec<f64>,
    m2: Vec<f64>,
    downside: Vec<f64>,
    /// The baseline's terminal values of each entity, and its sectors' R_s(t_T).
    baseline_terminal: Vec<f64>,
    baseline_revenue: Vec<f64>,
    copula_normals: Vec<f64>,
    copula_uniforms: Vec<f64>,
}

/// Lane padding: four f64 fill one AVX2 register.
const LANES: usize = 4;

/// `n` rounded up to whole vectors.
fn lanes_for(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// One vector of lanes.
type Lane = [f64; LANES];

/// A lane-padded buffer as whole vectors (fixed-size arrays, which LLVM maps onto registers).
#[inline(always)]
fn lanes(x: &[f64]) -> &[Lane] {
    x.as_chunks::<LANES>().0
}

/// [`lanes`], mutably.
#[inline(always)]
fn lanes_mut(x: &mut [f64]) -> &mut [Lane] {
    x.as_chunks_mut::<LANES>().0
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

/// Owned buffers for one path's [`PathRecord`]: for simulating paths one at a time (tests,
/// benchmarks); the engine records into slices of its per-chunk columns instead.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOutputs {
    /// total_return of each entity.
    pub total_return: Vec<f64>,
    /// max_drawdown of each entity.
    pub max_drawdown: Vec<f64>,
    /// uplift of each entity (empty without a baseline).
    pub uplift: Vec<f64>,
    /// A(t_j).
    pub adoption: Vec<f64>,
    /// Baseline A(t_j) (empty without a baseline).
    pub baseline_adoption: Vec<f64>,
    /// The draw of each uncertain parameter.
    pub draws: Vec<f64>,
    /// The step returns of each entity.
    pub step_returns: Vec<StepReturns>,
}

impl PathOutputs {
    /// The per-path quantities, in [`super::Simulation::quantities`] order (empty where the
    /// run has none).
    pub fn quantities(&self) -> [&[f64]; super::QUANTITIES] {
        [
            &self.total_return,
            &self.max_drawdown,
            &self.uplift,
            &self.adoption,
            &self.baseline_adoption,
            &self.draws,
        ]
    }

    /// The record a path writes into.
    pub fn record(&mut self) -> PathRecord<'_> {
        PathRecord {
            total_return: &mut self.total_return,
            max_drawdown: &mut self.max_drawdown,
            uplift: &mut self.uplift,
            adoption: &mut self.adoption,
            baseline_adoption: &mut self.baseline_adoption,
            draws: &mut self.draws,
            step_returns: &mut self.step_returns,
        }
    }
}

/// The fixed part of a run: model, grid and derived constants.
pub struct PathSimulator<'m> {
    model: &'m Model,
    steps: usize,
    dt: f64,
    sqrt_dt: f64,
    lag_steps: Vec<usize>,
    /// Asset lanes: 1 - sum of the asset's exposures, the share of its business outside the
    /// sectors (0 in padding lanes).
    outside_share: Vec<f64>,
    /// w_as by sector, then asset lane: S x asset lanes (0 where not exposed).
    exposure: Vec<f64>,
    /// Each group's assets and their shares omega_a / (sum of omega in the group).
    group_members: Vec<Vec<(usize, f64)>>,
    /// The columns of the correlation factor L, each over sector lanes: S x sector lanes.
    factor_columns: Vec<f64>,
    sector_lanes: usize,
    asset_lanes: usize,
    entity_lanes: usize,
    rf_per_step: f64,
    /// Column of each recorded (uncertain) draw, by where it lives.
    columns: DrawColumns,
    sampling: Sampling,
    /// [`parameter_id`] of every parameter, in `Model::parameters` order (computed once).
    parameter_ids: Vec<u64>,
    isa: Isa,
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
    /// The value of a constant parameter (no draw, no random number).
    constant: Option<f64>,
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
            slot.constant = p
                .distribution
                .is_constant()
                .then(|| p.distribution.quantile(0.5));
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

/// One parameter's draw: its value when constant and not in the copula (most of a model),
/// else [`draw_uncertain`].
#[inline(always)]
fn draw(d: &Distribution, slot: DrawSlot, uniforms: &[f64], draws: &mut [f64], at: DrawAt) -> f64 {
    match slot.constant {
        Some(value) if slot.copula.is_none() => value,
        _ => draw_uncertain(d, slot, uniforms, draws, at),
    }
}

/// A parameter's draw: from the copula's uniform when it is correlated, from its stratum when
/// Latin-hypercube sampling, else a sample from its own stream; recorded when uncertain.
fn draw_uncertain(
    d: &Distribution,
    slot: DrawSlot,
    uniforms: &[f64],
    draws: &mut [f64],
    at: DrawAt,
) -> f64 {
    let value = match (slot.copula, at.strata) {
        (Some(i), _) => d.quantile(uniforms[i]),
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

/// log R_s(t) = g_s t + beta_s log A(t - lag) + sigma_s W_s(t): one expression for the boom
/// and the baseline, so equal inputs give equal bits.
#[inline(always)]
fn sector_log_revenue([beta, drift, sigma]: [f64; 3], t: f64, lagged: f64, w: f64) -> f64 {
    drift * t + beta * lagged + sigma * w
}

impl<'m> PathSimulator<'m> {
    /// Prepares a simulator for `model`, running on the fastest instruction set of this CPU.
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
        let parameter_ids: Vec<u64> = model
            .parameters()
            .iter()
            .map(|p| parameter_id(&p.path))
            .collect();
        let asset_lanes = lanes_for(model.assets.len());
        let mut outside_share = vec![0.0; asset_lanes];
        let mut exposure = vec![0.0; model.sectors.len() * asset_lanes];
        for (a, asset) in model.assets.iter().enumerate() {
            outside_share[a] = 1.0 - asset.exposure.iter().map(|(_, w)| w).sum::<f64>();
            for &(s, w) in &asset.exposure {
                exposure[s * asset_lanes + a] = w;
            }
        }
        let s_count = model.sectors.len();
        let sector_lanes = lanes_for(s_count);
        let mut factor_columns = vec![0.0; s_count * sector_lanes];
        for s in 0..s_count {
            for k in 0..=s {
                factor_columns[k * sector_lanes + s] = model.correlation.factor[s * s_count + k];
            }
        }
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
            factor_columns,
            sector_lanes,
            asset_lanes,
            entity_lanes: lanes_for(model.groups.len() + model.assets.len()),
            rf_per_step: model.risk_free_rate / k,
            columns: DrawColumns::new(model, &parameter_ids),
            sampling,
            parameter_ids,
            isa: Isa::detect(),
        }
    }

    /// The same simulator on instruction set `isa`: the results are identical, only the speed
    /// differs. [`Isa::Avx2`] on a CPU without AVX2 runs the portable code ([`Isa::run`]).
    pub fn with_isa(mut self, isa: Isa) -> Self {
        self.isa = isa;
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

    /// Owned buffers for one path's outputs, sized for this model.
    pub fn outputs(&self) -> PathOutputs {
        let (e, n) = (self.entities(), self.steps + 1);
        let baseline = usize::from(self.model.baseline.is_some());
        PathOutputs {
            total_return: vec![0.0; e],
            max_drawdown: vec![0.0; e],
            uplift: vec![0.0; e * baseline],
            adoption: vec![0.0; n],
            baseline_adoption: vec![0.0; n * baseline],
            draws: vec![0.0; self.model.uncertain_parameters().len()],
            step_returns: vec![StepReturns::default(); e],
        }
    }

    /// Fresh buffers for one worker.
    pub fn scratch(&self) -> Scratch {
        let n = self.steps + 1;
        let s = self.model.sectors.len();
        let a = self.model.assets.len();
        let (al, el) = (self.asset_lanes, self.entity_lanes);
        let copula = self.model.copula.as_ref().map_or(0, |c| c.slots.len());
        Scratch {
            rng: path_rng(0, 0, Stream::Boom),
            sign: 1.0,
            adoption: AdoptionDraw {
                process: self.model.adoption.process,
                values: [0.0; 6],
            },
            normals: vec![0.0; self.steps * (1 + s + a)],
            w_adoption: vec![0.0; n],
            log_adoption: vec![0.0; n],
            revenue: vec![0.0; n * s],
            w_sector_end: vec![0.0; s],
            w_sector: vec![0.0; self.sector_lanes],
            sector_shock: vec![0.0; self.sector_lanes],
            sector_draws: vec![[0.0; 3]; s],
            price_drift: vec![0.0; al],
            volatility: vec![0.0; al],
            growth_step: vec![1.0; al],
            failure_step: vec![f64::INFINITY; al],
            w_asset: vec![0.0; al],
            growth: vec![1.0; al],
            price_factor: vec![0.0; n * al],
            fundamentals: vec![0.0; n * al],
            // Padding lanes hold a constant series of 1s: no return, no drawdown.
            value: vec![1.0; n * el],
            returns: vec![0.0; self.steps * el],
            peak: vec![0.0; el],
            low_value: vec![0.0; el],
            low_peak: vec![0.0; el],
            count: vec![0.0; el],
            sum: vec![0.0; el],
            m2: vec![0.0; el],
            downside: vec![0.0; el],
            baseline_terminal: vec![0.0; self.entities()],
            baseline_revenue: vec![0.0; s],
            copula_normals: vec![0.0; copula],
            copula_uniforms: vec![0.0; copula],
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
        mut out: PathRecord<'_>,
    ) {
        for stage in Stage::ALL {
            self.run_stage(stage, seed, path, strata, scratch, &mut out);
        }
    }

    /// Runs one stage of path `path`. The stages must run in [`Stage::ALL`] order for a path's
    /// result; each alone is what the benchmarks time.
    pub fn run_stage(
        &self,
        stage: Stage,
        seed: u64,
        path: u64,
        strata: Option<&Strata>,
        scratch: &mut Scratch,
        out: &mut PathRecord<'_>,
    ) {
        // An antithetic pair draws from its first path's streams, the second with every
        // shock negated.
        let (path, sign) = if self.sampling.antithetic {
            (path & !1, if path & 1 == 1 { -1.0 } else { 1.0 })
        } else {
            (path, 1.0)
        };
        let at = DrawAt {
            seed,
            path,
            strata: strata.map(|s| (s, path as usize % CHUNK_PATHS)),
        };
        self.isa.run(
            #[inline(always)]
            || match stage {
                Stage::Parameters => {
                    scratch.sign = sign;
                    self.draw_parameters(at, scratch, out.draws);
                }
                Stage::Shocks => self.draw_shocks(scratch),
                Stage::Adoption => self.adoption(scratch, out.adoption),
                Stage::Sectors => self.sectors(scratch),
                Stage::Assets => self.assets(scratch),
                Stage::Outcomes => self.outcomes(scratch, out),
                Stage::Baseline => self.baseline(at, scratch, out),
            },
        );
    }

    /// Draws every parameter (in file order) and each asset's failure step.
    #[inline(always)]
    fn draw_parameters(&self, at: DrawAt, scratch: &mut Scratch, draws: &mut [f64]) {
        let model = self.model;
        scratch.rng = path_rng(at.seed, at.path, Stream::Boom);
        let columns = &self.columns;
        if let Some(copula) = &model.copula {
            // Correlated normals y = L z, then uniforms Phi(y), kept strictly inside (0, 1).
            let m = copula.slots.len();
            let copula_rng = &mut path_rng(at.seed, at.path, Stream::Copula);
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
            scratch.adoption.values[key as usize] = draw(d, slot, uniforms, draws, at);
        }
        for (s, sector) in model.sectors.iter().enumerate() {
            let values = &mut scratch.sector_draws[s];
            for (f, (_, d)) in sector.parameters().into_iter().enumerate() {
                values[f] = draw(d, columns.sectors[s][f], uniforms, draws, at);
            }
        }
        let n = self.steps + 1;
        let t_end = self.steps as f64 * self.dt;
        for (a, asset) in model.assets.iter().enumerate() {
            let mut v = [0.0; 5];
            for (f, (_, d)) in asset.parameters().into_iter().enumerate() {
                v[f] = draw(d, columns.assets[a][f], uniforms, draws, at);
            }
            let [
                other_growth,
                priced_in,
                expected_return,
                volatility,
                failure_rate,
            ] = v;
            // tau ~ Exponential(lambda): always drawn, so the stream does not depend on lambda.
            let e: f64 = Exp1.sample(&mut scratch.rng);
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
            scratch.price_drift[a] = expected_return - priced_in - volatility * volatility / 2.0;
            scratch.volatility[a] = volatility;
            scratch.growth_step[a] = (other_growth * self.dt).exp();
            scratch.failure_step[a] = failure_step as f64;
        }
    }

    /// Draws the path's standard normals (negated for the second path of an antithetic pair).
    #[inline(always)]
    fn draw_shocks(&self, scratch: &mut Scratch) {
        let sign = scratch.sign;
        // The generator is copied out and back: in the scratch, its state would be reloaded
        // and stored on every draw (the normals' buffer might, as far as the compiler knows,
        // overlap it), a store-to-load round trip on the generator's dependency chain.
        let mut rng = scratch.rng.clone();
        for z in scratch.normals.iter_mut() {
            let normal: f64 = StandardNormal.sample(&mut rng);
            *z = sign * normal;
        }
        scratch.rng = rng;
    }

    /// Normals per step: adoption, each sector, each asset.
    #[inline(always)]
    fn shocks_per_step(&self) -> usize {
        1 + self.model.sectors.len() + self.model.assets.len()
    }

    /// log A(t_j) = log c(t_j) + sigma_A W_A(t_j), and A(t_j).
    #[inline(always)]
    fn adoption(&self, scratch: &mut Scratch, adoption: &mut [f64]) {
        let stride = self.shocks_per_step();
        let w = &mut scratch.w_adoption;
        w[0] = 0.0;
        for j in 1..w.len() {
            w[j] = w[j - 1] + self.sqrt_dt * scratch.normals[(j - 1) * stride];
        }
        let draw = &scratch.adoption;
        draw.log_curve_series(self.dt, &mut scratch.log_adoption);
        let sigma = draw.volatility();
        for (log_a, w) in scratch.log_adoption.iter_mut().zip(w.iter()) {
            *log_a += sigma * w;
        }
        adoption.copy_from_slice(&scratch.log_adoption);
        math::exp_in_place(adoption);
    }

    /// R_s(t_j): correlated sector Brownian motions, then log R_s, then one pass of exp.
    #[inline(always)]
    fn sectors(&self, scratch: &mut Scratch) {
        let s_count = self.model.sectors.len();
        let stride = self.shocks_per_step();
        let Scratch {
            normals,
            log_adoption,
            revenue,
            w_sector,
            w_sector_end,
            sector_shock,
            sector_draws,
            ..
        } = scratch;
        w_sector.fill(0.0);
        for (j, row) in revenue.chunks_exact_mut(s_count).enumerate() {
            if j > 0 {
                // The correlated increments L z, column by column of L (k ascending, as the
                // row sums of L z), all sectors at once.
                let z = &normals[(j - 1) * stride + 1..][..s_count];
                let eps = lanes_mut(sector_shock);
                eps.fill([0.0; LANES]);
                lane::add_columns(eps, lanes(&self.factor_columns), z);
                lane::add_scaled(lanes_mut(w_sector), eps, self.sqrt_dt);
            }
            let t = j as f64 * self.dt;
            for (s, log_r) in row.iter_mut().enumerate() {
                let lag = self.lag_steps[s];
                let lagged = if j >= lag { log_adoption[j - lag] } else { 0.0 };
                *log_r = sector_log_revenue(sector_draws[s], t, lagged, w_sector[s]);
            }
        }
        w_sector_end.copy_from_slice(&w_sector[..s_count]);
        math::exp_in_place(revenue);
    }

    /// F_a(t_j) and P_a(t_j) of every asset lane, then the groups' weighted sums.
    #[inline(always)]
    fn assets(&self, scratch: &mut Scratch) {
        let model = self.model;
        let (s_count, a_count) = (model.sectors.len(), model.assets.len());
        let groups = model.groups.len();
        let (al, el) = (self.asset_lanes, self.entity_lanes);
        let n = self.steps + 1;
        let stride = self.shocks_per_step();
        let Scratch {
            normals,
            revenue,
            price_drift,
            volatility,
            growth_step,
            failure_step,
            w_asset,
            growth,
            price_factor,
            fundamentals,
            value,
            ..
        } = scratch;
        w_asset.fill(0.0);
        growth.fill(1.0);
        let (drift, sigma) = (lanes(price_drift), lanes(volatility));
        let (outside, growth_step) = (lanes(&self.outside_share), lanes(growth_step));
        for j in 1..n {
            let t = j as f64 * self.dt;
            let z = &normals[(j - 1) * stride + 1 + s_count..][..a_count];
            for (w, z) in w_asset.iter_mut().zip(z) {
                *w += self.sqrt_dt * z;
            }
            let factor = lanes_mut(&mut price_factor[j * al..][..al]);
            let f = lanes_mut(&mut fundamentals[j * al..][..al]);
            let g = lanes_mut(growth);
            // exp(h_a t_j) by a running product; log of the price factor; outside business.
            lane::mul(g, growth_step);
            lane::affine(factor, drift, t, sigma, lanes(w_asset));
            lane::product(f, outside, g);
            // F_a += w_as R_s(t_j), sector by sector, all assets at once.
            lane::add_columns(f, lanes(&self.exposure), &revenue[j * s_count..][..s_count]);
        }
        math::exp_in_place(&mut price_factor[al..]);
        let failed = lanes(failure_step);
        for j in 1..n {
            // P_a = F_a * factor, or 0 from the failure step on.
            let prices = lanes_mut(&mut fundamentals[j * al..][..al]);
            let factor = lanes(&price_factor[j * al..][..al]);
            lane::price(prices, factor, failed, j as f64);
            let prices = &fundamentals[j * al..][..a_count];
            let row = &mut value[j * el..][..el];
            let (group_values, asset_values) = row.split_at_mut(groups);
            asset_values[..a_count].copy_from_slice(prices);
            self.group_values(group_values, prices);
        }
        // t_0: every asset is worth 1.
        let (group_values, asset_values) = value[..el].split_at_mut(groups);
        asset_values[..a_count].fill(1.0);
        self.group_values(group_values, &asset_values[..a_count]);
    }

    /// Each group's weighted buy-and-hold average of its assets' values, summed in asset order.
    #[inline(always)]
    fn group_values(&self, groups: &mut [f64], assets: &[f64]) {
        for (g, members) in groups.iter_mut().zip(&self.group_members) {
            *g = members
                .iter()
                .fold(0.0, |sum, &(a, share)| sum + share * assets[a]);
        }
    }

    /// total_return, max_drawdown and the step returns of every entity (MODEL.md §4), one
    /// vector of entity lanes per step.
    #[inline(always)]
    fn outcomes(&self, scratch: &mut Scratch, out: &mut PathRecord<'_>) {
        let el = self.entity_lanes;
        let Scratch {
            value,
            returns,
            peak,
            low_value,
            low_peak,
            count,
            sum,
            m2,
            downside,
            ..
        } = scratch;
        peak.copy_from_slice(&value[..el]);
        low_value.fill(1.0);
        low_peak.fill(1.0);
        count.fill(0.0);
        sum.fill(0.0);
        for j in 1..=self.steps {
            let before = lanes(&value[(j - 1) * el..][..el]);
            let now = lanes(&value[j * el..][..el]);
            let step_returns = lanes_mut(&mut returns[(j - 1) * el..][..el]);
            lane::drawdown(
                now,
                lanes_mut(peak),
                lanes_mut(low_value),
                lanes_mut(low_peak),
            );
            lane::step_returns(before, now, step_returns, lanes_mut(count), lanes_mut(sum));
        }
        // Each lane's mean, then squared deviations and squared shortfalls below rf / k.
        for (mean, count) in sum.iter_mut().zip(count.iter()) {
            *mean = if *count > 0.0 { *mean / count } else { 0.0 };
        }
        let mean = lanes(sum);
        m2.fill(0.0);
        downside.fill(0.0);
        for j in 1..=self.steps {
            let before = lanes(&value[(j - 1) * el..][..el]);
            let step_returns = lanes(&returns[(j - 1) * el..][..el]);
            let (m2, downside) = (lanes_mut(m2), lanes_mut(downside));
            lane::deviations(before, step_returns, mean, self.rf_per_step, m2, downside);
        }
        let last = &value[self.steps * el..][..el];
        for e in 0..self.entities() {
            out.total_return[e] = last[e] - 1.0;
            out.max_drawdown[e] = 1.0 - low_value[e] / low_peak[e];
            out.step_returns[e] = if count[e] > 0.0 {
                StepReturns {
                    count: count[e] as u64,
                    mean: sum[e],
                    m2: m2[e],
                    downside_sq: downside[e],
                }
            } else {
                StepReturns::default()
            };
        }
    }

    /// The baseline on the same draws and shocks (MODEL.md §3): its adoption index, and
    /// X(t_T) of every entity for the uplift. Only adoption differs from the boom, so the
    /// asset price factors and the outside business are reused, and each revenue is
    /// recomputed by the same expression (equal adoption gives equal bits, zero uplift).
    #[inline(always)]
    fn baseline(&self, at: DrawAt, scratch: &mut Scratch, out: &mut PathRecord<'_>) {
        let Some(baseline) = &self.model.baseline else {
            return;
        };
        let model = self.model;
        let mut base = AdoptionDraw {
            process: baseline.process,
            values: scratch.adoption.values,
        };
        for (key, d) in baseline.overrides() {
            let slot = self.columns.baseline[key as usize];
            base.values[key as usize] = draw(d, slot, &[], out.draws, at);
        }
        base.log_curve_series(self.dt, &mut scratch.log_adoption);
        let sigma = base.get(AdoptionKey::Volatility);
        for (log_a, w) in scratch.log_adoption.iter_mut().zip(&scratch.w_adoption) {
            *log_a += sigma * w;
        }
        out.baseline_adoption.copy_from_slice(&scratch.log_adoption);
        math::exp_in_place(out.baseline_adoption);

        let j = self.steps;
        let t_end = j as f64 * self.dt;
        for (s, r) in scratch.baseline_revenue.iter_mut().enumerate() {
            let lag = self.lag_steps[s];
            let lagged = if j >= lag {
                scratch.log_adoption[j - lag]
            } else {
                0.0
            };
            *r = sector_log_revenue(
                scratch.sector_draws[s],
                t_end,
                lagged,
                scratch.w_sector_end[s],
            );
        }
        math::exp_in_place(&mut scratch.baseline_revenue);
        let (al, groups) = (self.asset_lanes, model.groups.len());
        let terminal = &mut scratch.baseline_terminal;
        for a in 0..model.assets.len() {
            let value = if (j as f64) < scratch.failure_step[a] {
                // F_a(t_T) as the boom sums it: outside business, then sectors in order.
                let mut fundamentals = self.outside_share[a] * scratch.growth[a];
                for (s, r) in scratch.baseline_revenue.iter().enumerate() {
                    fundamentals += self.exposure[s * al + a] * r;
                }
                fundamentals * scratch.price_factor[j * al + a]
            } else {
                0.0
            };
            terminal[groups + a] = value;
        }
        let (group_terminal, asset_terminal) = terminal.split_at_mut(groups);
        self.group_values(group_terminal, asset_terminal);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::{max_drawdown, total_return};
    use crate::model::DEFAULT_MODEL_TEXT;
    use crate::model::parse_model;

    /// The kernel's outcomes (all entities at once, drawdowns by cross-multiplication) agree
    /// with the scalar definitions of MODEL.md §4 applied to each entity's series.
    #[test]
    fn outcomes_match_the_scalar_definitions() {
        let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
        let sim = PathSimulator::new(&model, Sampling::default());
        let (e, n) = (sim.entities(), sim.steps() + 1);
        let mut scratch = sim.scratch();
        let mut out = sim.outputs();
        let mut failures = 0;
        for path in 0..200 {
            sim.simulate(7, path, None, &mut scratch, out.record());
            let PathOutputs {
                total_return: tr,
                max_drawdown: dd,
                step_returns: steps,
                adoption: ad,
                ..
            } = &out;
            for entity in 0..e {
                let series: Vec<f64> = (0..n)
                    .map(|j| scratch.value[j * sim.entity_lanes + entity])
                    .collect();
                failures += usize::from(series[n - 1] == 0.0);
                assert_eq!(tr[entity], total_return(&series));
                let want = max_drawdown(&series);
                assert!(
                    (dd[entity] - want).abs() <= 2.0 * f64::EPSILON,
                    "{} vs {want}",
                    dd[entity]
                );
                assert_eq!(
                    steps[entity],
                    StepReturns::of_series(&series, sim.rf_per_step)
                );
            }
            assert_eq!(ad[0], 1.0);
        }
        // The check covered series that end in a total loss (skipped step returns).
        assert!(failures > 100, "{failures}");
    }
}

/// The per-step operations on whole vectors of lanes. Each reads whole lanes by value and
/// writes whole lanes back (`from_fn` over the lane index), so no store sits between the loads
/// of one lane and LLVM turns every lane operation into one vector instruction.
mod lane {
    use super::{LANES, Lane};
    use std::array::from_fn;

    /// x += a * y.
    #[inline(always)]
    pub fn add_scaled(x: &mut [Lane], y: &[Lane], a: f64) {
        for (x, y) in x.iter_mut().zip(y) {
            let (xv, y) = (*x, *y);
            *x = from_fn(|i| xv[i] + y[i] * a);
        }
    }

    /// x += sum over k of a_k * column_k, where `columns` holds the columns one after another,
    /// each as long as x. Lane by lane, so each sum stays in a register.
    #[inline(always)]
    pub fn add_columns(x: &mut [Lane], columns: &[Lane], a: &[f64]) {
        let rows = x.len();
        for (v, x) in x.iter_mut().enumerate() {
            let mut sum = *x;
            for (column, a) in columns.chunks_exact(rows).zip(a) {
                let c = column[v];
                sum = from_fn(|i| sum[i] + c[i] * a);
            }
            *x = sum;
        }
    }

    /// x *= y.
    #[inline(always)]
    pub fn mul(x: &mut [Lane], y: &[Lane]) {
        for (x, y) in x.iter_mut().zip(y) {
            let (xv, y) = (*x, *y);
            *x = from_fn(|i| xv[i] * y[i]);
        }
    }

    /// out = a * t + b * w.
    #[inline(always)]
    pub fn affine(out: &mut [Lane], a: &[Lane], t: f64, b: &[Lane], w: &[Lane]) {
        for (((out, a), b), w) in out.iter_mut().zip(a).zip(b).zip(w) {
            let (a, b, w) = (*a, *b, *w);
            *out = from_fn(|i| a[i] * t + b[i] * w[i]);
        }
    }

    /// out = a * b.
    #[inline(always)]
    pub fn product(out: &mut [Lane], a: &[Lane], b: &[Lane]) {
        for ((out, a), b) in out.iter_mut().zip(a).zip(b) {
            let (a, b) = (*a, *b);
            *out = from_fn(|i| a[i] * b[i]);
        }
    }

    /// P = F * factor while the asset lives (step < its failure step), else 0.
    #[inline(always)]
    pub fn price(fundamentals: &mut [Lane], factor: &[Lane], failure_step: &[Lane], step: f64) {
        for ((p, factor), failed) in fundamentals.iter_mut().zip(factor).zip(failure_step) {
            let (f, factor, failed) = (*p, *factor, *failed);
            *p = from_fn(|i| {
                if step < failed[i] {
                    f[i] * factor[i]
                } else {
                    0.0
                }
            });
        }
    }

    /// The running peak, and the (value, peak) pair of the lowest value / peak so far,
    /// compared by cross-multiplying (no division per step; peak >= X(t_0) > 0).
    #[inline(always)]
    pub fn drawdown(
        now: &[Lane],
        peak: &mut [Lane],
        low_value: &mut [Lane],
        low_peak: &mut [Lane],
    ) {
        let state = peak
            .iter_mut()
            .zip(low_value.iter_mut())
            .zip(low_peak.iter_mut());
        for (x, ((peak, low_value), low_peak)) in now.iter().zip(state) {
            let (x, old_peak, lv, lp) = (*x, *peak, *low_value, *low_peak);
            let p: Lane = from_fn(|i| old_peak[i].max(x[i]));
            let deeper: [bool; LANES] = from_fn(|i| x[i] * lp[i] < lv[i] * p[i]);
            *peak = p;
            *low_value = from_fn(|i| if deeper[i] { x[i] } else { lv[i] });
            *low_peak = from_fn(|i| if deeper[i] { p[i] } else { lp[i] });
        }
    }

    /// Step returns x_j / x_(j-1) - 1 (0 and not counted after a zero value), with their
    /// running count and sum.
    #[inline(always)]
    pub fn step_returns(
        before: &[Lane],
        now: &[Lane],
        returns: &mut [Lane],
        count: &mut [Lane],
        sum: &mut [Lane],
    ) {
        let state = returns.iter_mut().zip(count.iter_mut()).zip(sum.iter_mut());
        for ((before, now), ((r, count), sum)) in before.iter().zip(now).zip(state) {
            let (b, x, c, s) = (*before, *now, *count, *sum);
            let counted: [bool; LANES] = from_fn(|i| b[i] != 0.0);
            let rv: Lane = from_fn(|i| if counted[i] { x[i] / b[i] - 1.0 } else { 0.0 });
            *r = rv;
            *count = from_fn(|i| c[i] + if counted[i] { 1.0 } else { 0.0 });
            *sum = from_fn(|i| s[i] + rv[i]);
        }
    }

    /// Adds the squared deviation from the mean and the squared shortfall below `threshold`
    /// of each counted step return.
    #[inline(always)]
    pub fn deviations(
        before: &[Lane],
        returns: &[Lane],
        mean: &[Lane],
        threshold: f64,
        m2: &mut [Lane],
        downside: &mut [Lane],
    ) {
        let state = m2.iter_mut().zip(downside.iter_mut());
        for (((before, r), mean), (m2, downside)) in before.iter().zip(returns).zip(mean).zip(state)
        {
            let (b, r, mean, m, d) = (*before, *r, *mean, *m2, *downside);
            let counted: [bool; LANES] = from_fn(|i| b[i] != 0.0);
            let dev: Lane = from_fn(|i| r[i] - mean[i]);
            let short: Lane = from_fn(|i| (r[i] - threshold).min(0.0));
            *m2 = from_fn(|i| m[i] + if counted[i] { dev[i] * dev[i] } else { 0.0 });
            *downside = from_fn(|i| d[i] + if counted[i] { short[i] * short[i] } else { 0.0 });
        }
    }
}
