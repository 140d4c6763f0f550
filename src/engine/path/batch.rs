//! What a batch of paths records ([`Batch`], or one path's [`PathRecord`] and
//! [`PathOutputs`]: one [`Records`] shape), the stages a batch runs through ([`Stage`]), and
//! one worker's reusable state of a batch ([`Scratch`]: one vector of lanes per quantity, and
//! each entity's running outcomes).

use super::super::math::{Lanes, W};
use super::super::shocks::LaneRng;
use crate::engine::outcome::StepReturns;

/// The stages of a batch, in the order they run; [`PathSimulator::simulate_until`](super::PathSimulator::simulate_until) stops
/// after one, which is how the benchmarks time each (by difference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Every parameter's draw, and each asset's failure time.
    Parameters,
    /// The standard normals of every shock.
    Shocks,
    /// The adoption index A(t_j) (the boom's and the baseline's).
    Adoption,
    /// Each sector's revenue R_s(t_j).
    Sectors,
    /// Each asset's value P_a(t_j), and the groups' weighted sums.
    Assets,
    /// Each entity's total return, maximum drawdown and step returns.
    Outcomes,
    /// The baseline's terminal values, and the uplift.
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

/// What paths record, quantity by quantity, in one shape for a batch and for one path: `C`
/// holds one quantity's values (one [`Lanes`] vector per column for a [`Batch`], one value per
/// column for [`PathOutputs`] and [`PathRecord`]), `S` every entity's step returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Records<C, S> {
    /// total_return of each entity.
    pub total_return: C,
    /// max_drawdown of each entity.
    pub max_drawdown: C,
    /// uplift of each entity (empty without a baseline).
    pub uplift: C,
    /// A(t_j) for j = 0..=T.
    pub adoption: C,
    /// Baseline A(t_j) (empty without a baseline).
    pub baseline_adoption: C,
    /// The draw of each uncertain parameter (`Model::uncertain_parameters` order), and the
    /// market's total log-return when the model has one (`Model::drivers`).
    pub draws: C,
    /// The step returns of each entity (for a batch, `[entity][lane]`).
    pub step_returns: S,
}

/// What a batch of [`W`] paths records, one [`Lanes`] vector per column (lane i is path
/// `first + i`).
pub type Batch = Records<Vec<Lanes>, Vec<[StepReturns; W]>>;

/// Owned buffers for one path's [`PathRecord`]: for simulating paths one at a time (tests,
/// benchmarks, overflow diagnosis); the engine records whole batches instead.
pub type PathOutputs = Records<Vec<f64>, Vec<StepReturns>>;

/// What one path records, written into a [`PathOutputs`] ([`PathOutputs::record`]).
pub type PathRecord<'a> = Records<&'a mut [f64], &'a mut [StepReturns]>;

impl<C, S> Records<C, S> {
    /// Records with column `q` (in [`crate::engine::Simulation::quantities`] order) from
    /// `column(q)`, and `step_returns`.
    pub(super) fn from_columns(mut column: impl FnMut(usize) -> C, step_returns: S) -> Self {
        Records {
            total_return: column(0),
            max_drawdown: column(1),
            uplift: column(2),
            adoption: column(3),
            baseline_adoption: column(4),
            draws: column(5),
            step_returns,
        }
    }

    /// The per-path quantities, in [`crate::engine::Simulation::quantities`] order (empty where
    /// the run has none).
    pub fn quantities<T>(&self) -> [&[T]; crate::engine::QUANTITIES]
    where
        C: AsRef<[T]>,
    {
        [
            self.total_return.as_ref(),
            self.max_drawdown.as_ref(),
            self.uplift.as_ref(),
            self.adoption.as_ref(),
            self.baseline_adoption.as_ref(),
            self.draws.as_ref(),
        ]
    }
}

impl PathOutputs {
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

/// One worker's state of a batch, reused for every batch: one vector of lanes per quantity.
pub struct Scratch {
    /// The lanes' shock streams ([`Stream::Boom`](crate::random::Stream::Boom)).
    pub(super) rng: LaneRng,
    /// +1, or -1 in the lanes of the second path of an antithetic pair.
    pub(super) sign: Lanes,
    /// The drawn adoption values (boom, baseline), by [`AdoptionKey`](crate::model::AdoptionKey).
    pub(super) adoption: [Lanes; 6],
    pub(super) baseline: [Lanes; 6],
    /// [elasticity, drift, volatility] of each sector.
    pub(super) sector: Vec<[Lanes; 3]>,
    /// Each asset's (mu_a - pi_a - sigma_a^2 / 2), sigma_a, exp(h_a dt), and its failure step
    /// (the first j with t_j >= tau, as f64; T + 1 when it survives).
    pub(super) price_drift: Vec<Lanes>,
    pub(super) volatility: Vec<Lanes>,
    pub(super) growth_step: Vec<Lanes>,
    pub(super) failure_step: Vec<Lanes>,
    /// One step's standard normals: adoption, each sector, each asset.
    pub(super) normals: Vec<Lanes>,
    /// log A(t_j), j = 0..=T, of the boom and of the baseline.
    pub(super) log_adoption: Vec<Lanes>,
    pub(super) log_baseline: Vec<Lanes>,
    /// Running W_A, W_s, W_a and exp(h_a t_j).
    pub(super) w_adoption: Lanes,
    pub(super) w_sector: Vec<Lanes>,
    pub(super) w_asset: Vec<Lanes>,
    pub(super) growth: Vec<Lanes>,
    /// This step's R_s, and each asset's exp((mu - pi - sigma^2/2) t + sigma W) at t_T.
    pub(super) revenue: Vec<Lanes>,
    pub(super) factor_end: Vec<Lanes>,
    /// This step's X of every entity.
    pub(super) value: Vec<Lanes>,
    /// Each entity's running outcomes.
    pub(super) running: Vec<Running>,
    /// The baseline's terminal values of each entity, and its sectors' R_s(t_T).
    pub(super) baseline_terminal: Vec<Lanes>,
    pub(super) baseline_revenue: Vec<Lanes>,
    /// One copula table's underlying uniforms (Latin hypercube), and every table's uniforms.
    pub(super) copula_normals: Vec<f64>,
    /// Each parameter's stream key for the batch's seed (`Model::parameters` order).
    pub(super) parameter_keys: Vec<crate::random::ParameterKey>,
    /// The draws of the parameters drawn on every lane at once, by index in
    /// `Model::parameters`, and on which lanes they hold (the ziggurat's first try accepted).
    pub(super) normal_draws: Vec<Lanes>,
    pub(super) normal_accepted: Vec<[bool; W]>,
    pub(super) copula_uniforms: Vec<f64>,
    /// The lanes' market streams ([`Stream::Market`](crate::random::Stream::Market)), and the running X_M(t_j).
    pub(super) market_rng: LaneRng,
    pub(super) market: Lanes,
}

/// One entity's running outcomes in a batch, lane by lane: kept together, so a step reaches
/// them through one index instead of one per quantity.
#[derive(Debug, Clone, Copy)]
pub(super) struct Running {
    /// The previous step's X.
    pub(super) before: Lanes,
    /// The running peak, and the (value, peak) pair of the deepest fall so far.
    pub(super) peak: Lanes,
    pub(super) low_value: Lanes,
    pub(super) low_peak: Lanes,
    /// The step returns' count, the first of them, and the sums of their deviations from it,
    /// of those deviations' squares and of squared shortfalls below rf / k.
    pub(super) count: Lanes,
    pub(super) first_return: Lanes,
    pub(super) sum: Lanes,
    pub(super) squares: Lanes,
    pub(super) shortfall: Lanes,
}

impl Running {
    /// At t_0: X = 1, no step return yet.
    pub(super) const START: Running = Running {
        before: [1.0; W],
        peak: [1.0; W],
        low_value: [1.0; W],
        low_peak: [1.0; W],
        count: [0.0; W],
        first_return: [0.0; W],
        sum: [0.0; W],
        squares: [0.0; W],
        shortfall: [0.0; W],
    };
}
