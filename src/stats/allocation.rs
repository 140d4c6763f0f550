//! Where to place capital: long-only portfolios over the model's assets that minimise the
//! conditional value at risk (CVaR) of their total return for a target mean, solved as
//! Rockafellar and Uryasev's linear program on the simulated paths, and evaluated on others.
//!
//! A [`Scenarios`] set is the assets' total returns on a set of paths, each path with a
//! probability (1/N; or, weighing whether the boom happens, P/N for its boom outcome and
//! (1 - P)/N for its baseline outcome). For weights w, a path's portfolio return is
//! R = sum_a w_a r_a (buy and hold: every asset starts at 1), its loss L = -R, and
//!
//! `CVaR_alpha(w) = min over z of z + 1 / (1 - alpha) * sum_i p_i max(0, L_i - z)`,
//!
//! the mean loss of the worst (1 - alpha) of the probability (Rockafellar and Uryasev, 2000).
//! With one variable u_i >= L_i - z, u_i >= 0 per path, minimising CVaR subject to a mean, a
//! budget, bounds and group limits is a linear program of N + A + 1 variables; it is solved by
//! Clarabel, an interior-point solver in pure Rust (also CVXPY's default). This module is pure
//! mathematics: the scenarios come from the engine, the files from `run::allocate`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};

/// The assets' total returns on a set of weighted paths.
#[derive(Debug, Clone)]
pub struct Scenarios {
    /// Assets.
    pub assets: usize,
    /// `returns[i * assets + a]`: asset a's total return on scenario i.
    pub returns: Vec<f64>,
    /// Each scenario's probability (they sum to 1).
    pub probability: Vec<f64>,
}

impl Scenarios {
    /// Number of scenarios.
    pub fn len(&self) -> usize {
        self.probability.len()
    }

    /// Whether there is no scenario.
    pub fn is_empty(&self) -> bool {
        self.probability.is_empty()
    }

    /// Each asset's mean return.
    pub fn means(&self) -> Vec<f64> {
        let mut m = vec![0.0; self.assets];
        for (row, p) in self
            .returns
            .chunks_exact(self.assets)
            .zip(&self.probability)
        {
            for (m, r) in m.iter_mut().zip(row) {
                *m += p * r;
            }
        }
        m
    }

    /// The portfolio's return on every scenario.
    pub fn portfolio(&self, weights: &[f64]) -> Vec<f64> {
        self.returns
            .chunks_exact(self.assets)
            .map(|row| row.iter().zip(weights).map(|(r, w)| r * w).sum())
            .collect()
    }
}

/// What a portfolio's return does on a scenario set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The probability-weighted mean return.
    pub mean: f64,
    /// CVaR at the level asked: the mean loss of the worst (1 - alpha) of the probability.
    pub cvar: f64,
    /// The 5% quantile of the return: the smallest value whose cumulative probability
    /// reaches 5%.
    pub p05: f64,
    /// The probability of a return below 0.
    pub prob_loss: f64,
}

/// Mean, CVaR at `alpha`, p05 and probability of loss of a portfolio on `scenarios`: the exact
/// values of the weighted scenario distribution (the worst atoms taken whole until the tail
/// mass 1 - alpha is reached, the last one in part).
pub fn evaluate(scenarios: &Scenarios, weights: &[f64], alpha: f64) -> Evaluation {
    let returns = scenarios.portfolio(weights);
    let p = &scenarios.probability;
    let mut order: Vec<usize> = (0..returns.len()).collect();
    order.sort_by(|&a, &b| returns[a].total_cmp(&returns[b]).then(a.cmp(&b)));
    let tail = 1.0 - alpha;
    let (mut mass, mut loss) = (0.0, 0.0);
    let mut p05 = f64::NAN;
    let mut cumulative = 0.0;
    for &i in &order {
        if mass < tail {
            let take = p[i].min(tail - mass);
            loss += take * -returns[i];
            mass += take;
        }
        cumulative += p[i];
        if p05.is_nan() && cumulative >= 0.05 * (1.0 - 1e-12) {
            p05 = returns[i];
        }
    }
    let mean = returns.iter().zip(p).map(|(r, p)| r * p).sum();
    let prob_loss = returns
        .iter()
        .zip(p)
        .filter(|(r, _)| **r < 0.0)
        .map(|(_, p)| p)
        .sum();
    Evaluation {
        mean,
        cvar: loss / tail,
        p05,
        prob_loss,
    }
}

/// The constraints every portfolio meets.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraints {
    /// The largest weight of one asset (1 for none).
    pub max_weight: f64,
    /// Per group: its assets, and the least and most of the budget in them.
    pub groups: Vec<(Vec<usize>, f64, f64)>,
    /// Assets held at 0.
    pub excluded: Vec<usize>,
}

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The least CVaR with a mean of at least this (`None`: any mean).
    MinCvar(Option<f64>),
    /// The greatest mean with a CVaR of at most this (`None`: any CVaR).
    MaxMean(Option<f64>),
}

/// A solved portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// One weight per asset (summing to 1, within the bounds).
    pub weights: Vec<f64>,
    /// The solver's status, in its own words (`Solved`, `AlmostSolved`, ...).
    pub status: String,
}

/// Why no portfolio was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AllocationError {
    /// The constraints admit no portfolio (found before solving).
    #[error("{0}")]
    Infeasible(String),
    /// The solver stopped without a solution.
    #[error("the solver stopped with status {0}")]
    Solver(String),
    /// Ctrl-C or SIGTERM stopped the solver between two of its iterations.
    #[error("interrupted: nothing was written, and any earlier result was left as it was")]
    Interrupted,
}

impl crate::exit::ExitStatus for AllocationError {
    fn exit_code(&self) -> u8 {
        match self {
            // Constraints no portfolio can meet: the flags that set them cannot go together.
            AllocationError::Infeasible(_) => crate::exit::USAGE,
            AllocationError::Solver(_) => crate::exit::FAILED,
            AllocationError::Interrupted => crate::exit::INTERRUPTED,
        }
    }
}

/// Checks that some long-only portfolio meets the constraints, or says which cannot be met.
pub fn check_feasible(assets: usize, c: &Constraints) -> Result<(), AllocationError> {
    let free = |members: &[usize]| members.iter().filter(|a| !c.excluded.contains(a)).count();
    let all: Vec<usize> = (0..assets).collect();
    if free(&all) == 0 {
        return Err(AllocationError::Infeasible(format!(
            "--exclude leaves none of the {assets} assets to hold: exclude fewer"
        )));
    }
    let room = free(&all) as f64 * c.max_weight;
    if room < 1.0 - 1e-12 {
        return Err(AllocationError::Infeasible(format!(
            "{} assets can take at most {:.3} of the budget with --max-weight {}: raise --max-weight to at least {:.4}, or exclude fewer assets",
            free(&all),
            room,
            c.max_weight,
            1.0 / free(&all).max(1) as f64
        )));
    }
    let mins: f64 = c.groups.iter().map(|g| g.1).sum();
    if mins > 1.0 + 1e-12 {
        return Err(AllocationError::Infeasible(format!(
            "the groups' minimums add up to {mins:.3}, more than the whole budget: lower them to sum to at most 1"
        )));
    }
    // The most the budget can hold: each listed group up to its maximum, every other asset up
    // to the largest weight.
    let listed: Vec<usize> = c.groups.iter().flat_map(|g| g.0.iter().copied()).collect();
    let others = (0..assets)
        .filter(|a| !listed.contains(a) && !c.excluded.contains(a))
        .count();
    let maxs: f64 = c
        .groups
        .iter()
        .map(|g| g.2.min(free(&g.0) as f64 * c.max_weight))
        .sum::<f64>()
        + others as f64 * c.max_weight;
    if maxs < 1.0 - 1e-12 {
        return Err(AllocationError::Infeasible(format!(
            "the groups can hold at most {maxs:.3} of the budget (their maximums, and --max-weight times their assets): raise a maximum"
        )));
    }
    for (members, lo, _) in &c.groups {
        let most = free(members) as f64 * c.max_weight;
        if *lo > most + 1e-12 {
            return Err(AllocationError::Infeasible(format!(
                "a group with a minimum of {lo} has only {} assets it may hold, at most {most:.3} of the budget",
                free(members)
            )));
        }
    }
    Ok(())
}

/// Solves one portfolio: the budget (weights sum to 1), long only, the constraints, and the
/// goal, at CVaR level `alpha` on `scenarios`. Setting `cancel` stops the solver at its next
/// iteration (each takes well under a second at the most scenarios allowed).
pub fn solve(
    scenarios: &Scenarios,
    c: &Constraints,
    goal: Goal,
    alpha: f64,
    cancel: Option<&Arc<AtomicBool>>,
) -> Result<Solution, AllocationError> {
    if cancel.is_some_and(|f| f.load(Ordering::Relaxed)) {
        return Err(AllocationError::Interrupted);
    }
    let (a, n) = (scenarios.assets, scenarios.len());
    let means = scenarios.means();
    // Variables: w (a), z (1), u (n, only when CVaR is in the problem).
    let with_cvar = !matches!(goal, Goal::MaxMean(None));
    let vars = a + if with_cvar { 1 + n } else { 0 };
    let tail = 1.0 - alpha;
    // Rows: equalities first (budget, excluded assets), then inequalities (A x <= b).
    let mut rows: Vec<(Vec<(usize, f64)>, f64)> = Vec::new();
    rows.push(((0..a).map(|k| (k, 1.0)).collect(), 1.0));
    for &k in &c.excluded {
        rows.push((vec![(k, 1.0)], 0.0));
    }
    let equalities = rows.len();
    for k in 0..a {
        rows.push((vec![(k, -1.0)], 0.0));
        rows.push((vec![(k, 1.0)], c.max_weight));
    }
    for (members, lo, hi) in &c.groups {
        rows.push((members.iter().map(|&k| (k, 1.0)).collect(), *hi));
        rows.push((members.iter().map(|&k| (k, -1.0)).collect(), -*lo));
    }
    if with_cvar {
        let z = a;
        for i in 0..n {
            // L_i - z - u_i <= 0, with L_i = -sum_a r_ia w_a.
            let r = &scenarios.returns[i * a..(i + 1) * a];
            let mut row: Vec<(usize, f64)> = r.iter().enumerate().map(|(k, &x)| (k, -x)).collect();
            row.push((z, -1.0));
            row.push((a + 1 + i, -1.0));
            rows.push((row, 0.0));
            rows.push((vec![(a + 1 + i, -1.0)], 0.0));
        }
    }
    // The CVaR expression z + 1/(1 - alpha) sum p_i u_i, as (variable, coefficient).
    let cvar_terms = || {
        let mut t = vec![(a, 1.0)];
        t.extend((0..n).map(|i| (a + 1 + i, scenarios.probability[i] / tail)));
        t
    };
    let mut q = vec![0.0; vars];
    match goal {
        Goal::MinCvar(target) => {
            for (k, v) in cvar_terms() {
                q[k] = v;
            }
            if let Some(t) = target {
                rows.push((
                    means.iter().enumerate().map(|(k, &m)| (k, -m)).collect(),
                    -t,
                ));
            }
        }
        Goal::MaxMean(limit) => {
            for (k, m) in means.iter().enumerate() {
                q[k] = -m;
            }
            if let Some(x) = limit {
                rows.push((cvar_terms(), x));
            }
        }
    }
    let m = rows.len();
    let matrix = csc(m, vars, &rows);
    let b: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let cones = [
        SupportedConeT::ZeroConeT(equalities),
        SupportedConeT::NonnegativeConeT(m - equalities),
    ];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .max_iter(200)
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .build()
        .map_err(|e| AllocationError::Solver(format!("{e:?}")))?;
    let p = CscMatrix::zeros((vars, vars));
    let mut solver = DefaultSolver::new(&p, &q, &matrix, &b, &cones, settings)
        .map_err(|e| AllocationError::Solver(format!("{e:?}")))?;
    if let Some(flag) = cancel {
        let flag = Arc::clone(flag);
        solver.set_termination_callback(move |_| flag.load(Ordering::Relaxed));
    }
    solver.solve();
    let status = solver.solution.status;
    match status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => {}
        SolverStatus::CallbackTerminated => return Err(AllocationError::Interrupted),
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
            return Err(AllocationError::Infeasible(
                "no portfolio meets the constraints and the goal together".into(),
            ));
        }
        other => return Err(AllocationError::Solver(format!("{other:?}"))),
    }
    Ok(Solution {
        weights: clean(&solver.solution.x[..a], c),
        status: format!("{status:?}"),
    })
}

/// An interior-point solution's weights, made exact where the solver is within its tolerance:
/// each clipped into [0, max weight] (excluded ones 0), then the sum brought to 1 on the
/// weights with room. The changes are of the solver's tolerance (1e-10), below any digit
/// printed, and make every constraint hold to rounding.
fn clean(x: &[f64], c: &Constraints) -> Vec<f64> {
    let mut w: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            if c.excluded.contains(&k) {
                0.0
            } else {
                v.clamp(0.0, c.max_weight)
            }
        })
        .map(|v| if v < 1e-12 { 0.0 } else { v })
        .collect();
    let total: f64 = w.iter().sum();
    if total > 0.0 {
        let gap = 1.0 - total;
        let room: Vec<usize> = (0..w.len())
            .filter(|&k| w[k] > 0.0 && if gap > 0.0 { w[k] < c.max_weight } else { true })
            .collect();
        let share = gap / room.len().max(1) as f64;
        for k in room {
            w[k] = (w[k] + share).clamp(0.0, c.max_weight);
        }
    }
    w
}

/// A sparse matrix in compressed columns from rows of (column, value).
fn csc(m: usize, n: usize, rows: &[(Vec<(usize, f64)>, f64)]) -> CscMatrix<f64> {
    let mut columns: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (i, (row, _)) in rows.iter().enumerate() {
        for &(k, v) in row {
            if v != 0.0 {
                columns[k].push((i, v));
            }
        }
    }
    let mut colptr = Vec::with_capacity(n + 1);
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    colptr.push(0);
    for column in columns {
        for (i, v) in column {
            rowval.push(i);
            nzval.push(v);
        }
        colptr.push(rowval.len());
    }
    CscMatrix::new(m, n, colptr, rowval, nzval)
}
/// A weight of at least this share is reported as moving when its range over the in-sample
/// sets reaches further than [`STABLE_MOVE`] from it.
pub const STABLE_WEIGHT: f64 = 0.05;

/// See [`STABLE_WEIGHT`]: five percentage points.
pub const STABLE_MOVE: f64 = 0.05;

/// A portfolio as the terminal and the report name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    /// Its names (`min_cvar`, `best_ratio`, `max_cvar`; two when they coincide; none for the
    /// highest-mean end of the frontier).
    pub names: Vec<&'static str>,
    /// In words.
    pub title: String,
    /// Its number in `frontier.csv`.
    pub portfolio: usize,
    /// Its weights, one per asset, and their least and most over the in-sample sets.
    pub weights: Vec<f64>,
    pub weight_lo: Vec<f64>,
    pub weight_hi: Vec<f64>,
    /// In-sample and out-of-sample evaluations.
    pub in_sample: Evaluation,
    pub test: Evaluation,
    /// The out-of-sample mean minus the in-sample mean, and its standard error (the two sets'
    /// batch errors combined).
    pub gap: (f64, Option<f64>),
}

impl Named {
    /// The weights of at least [`STABLE_WEIGHT`] whose range over the in-sample sets reaches
    /// further than [`STABLE_MOVE`] from them, as (asset index, weight, lo, hi).
    pub fn moving(&self) -> Vec<(usize, f64, f64, f64)> {
        (0..self.weights.len())
            .filter_map(|k| {
                let (w, lo, hi) = (self.weights[k], self.weight_lo[k], self.weight_hi[k]);
                let moves = (w - lo).max(hi - w) > STABLE_MOVE + 1e-12;
                (w.max(hi) >= STABLE_WEIGHT && moves).then_some((k, w, lo, hi))
            })
            .collect()
    }
}
