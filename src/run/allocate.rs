//! `boomsim allocate`: a frontier of mean-CVaR portfolios over the model's assets, solved on
//! in-sample paths, solved again on further in-sample sets to show how far each weight would
//! move with other paths, checked on out-of-sample paths, and written to a folder whole.
//!
//! One concept, the allocate command (about 880 lines): its request, its in-sample sets, its
//! out-of-sample check, the weights' ranges and its folder; the optimisation itself is
//! `stats/allocation.rs`, its report `output/report/allocation.rs`.
//!
//! In-sample paths are paths 0..N of the seed; the j-th further set is paths j 2^34 ..
//! j 2^34 + N; out-of-sample paths are paths 2^40 .. 2^40 + M: streams of their own (a path's
//! numbers depend only on (seed, path index)), so each set is what another seed would have
//! given, the check is on paths the optimiser never saw, and the whole command is
//! reproducible. With `--boom-probability P`, every path counts twice: its boom outcome with
//! probability P/N and its baseline outcome (same draws and shocks) with (1 - P)/N.
//!
//! Memory: 8 bytes x assets x outcomes a path for the in-sample sets (at most 50,000 paths
//! each, R + 1 sets) and the out-of-sample paths (at most [`TEST_BYTES`]), plus one block of
//! 16,384 paths' outcomes while simulating, plus the linear programs (about 100 bytes x
//! (assets + 3) x scenarios each, one per thread).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rayon::prelude::*;
use serde::Serialize;

use super::{ModelSource, RunError, prepare};
use crate::engine::{CHUNK_PATHS, Hooks, RunConfig, simulate_chunks, thread_pool};
use crate::model::Model;
use crate::output::{OutputError, csv_bytes, sha256_hex, write_file, write_folder};
use crate::spelling::suggest;
use crate::stats::allocation::{
    AllocationError, Constraints, Evaluation, Goal, Named, STABLE_MOVE, Scenarios, Solution,
    check_feasible, evaluate, solve,
};
use crate::stats::precision::BATCHES;

/// The first out-of-sample path: far beyond any in-sample run.
pub const TEST_OFFSET: usize = 1 << 40;

/// The most in-sample scenarios the linear program takes (paths, twice with a boom
/// probability below 1): its size grows with them, and beyond this a solve takes minutes.
pub const MAX_SCENARIOS: usize = 50_000;

/// The fewest further in-sample sets each portfolio is solved on again (`--resamples`).
pub const MIN_RESAMPLES: usize = 8;

/// The first path of the j-th further in-sample set is j times this: streams of their own,
/// below the out-of-sample paths for up to 63 sets of at most 50,000 paths.
pub const RESAMPLE_OFFSET: usize = 1 << 34;

/// The most bytes of out-of-sample asset returns kept (8 bytes x assets x outcomes a path):
/// `--test-paths` beyond it is refused with the figure.
pub const TEST_BYTES: usize = 1 << 30;

/// Paths simulated at a time for a scenario set: only their asset returns are kept.
const SCENARIO_BLOCK: usize = 64 * CHUNK_PATHS;

/// What `allocate` is asked.
#[derive(Debug, Clone)]
pub struct AllocateRequest {
    /// The model.
    pub model: ModelSource,
    /// `--set` overrides.
    pub sets: Vec<String>,
    /// In-sample paths, seed, threads (sampling is plain Monte Carlo).
    pub config: RunConfig,
    /// Out-of-sample paths.
    pub test_paths: usize,
    /// Further in-sample sets each portfolio is solved on again (at least [`MIN_RESAMPLES`]).
    pub resamples: usize,
    /// CVaR level, e.g. 0.95.
    pub alpha: f64,
    /// Frontier points.
    pub points: usize,
    /// Largest weight of one asset.
    pub max_weight: f64,
    /// `--group NAME=MIN..MAX`.
    pub groups: Vec<(String, f64, f64)>,
    /// `--exclude ASSET`.
    pub exclude: Vec<String>,
    /// `--max-cvar X`.
    pub max_cvar: Option<f64>,
    /// `--boom-probability P` (1: the boom alone).
    pub boom_probability: f64,
    /// The folder; `output/<model name>-allocate/` when `None`.
    pub out: Option<PathBuf>,
    /// Progress and cancellation.
    pub hooks: Hooks,
    /// For the manifest.
    pub command_line: Vec<String>,
    /// Also write report.html and charts/ (inside the folder, before it is put in place).
    pub report: bool,
    /// Also write the folder's Excel workbook (inside the folder, before it is put in place).
    pub xlsx: bool,
}

/// Why an allocation failed.
#[derive(Debug, thiserror::Error)]
pub enum AllocateError {
    /// Loading or simulating failed as in a run.
    #[error("{0}")]
    Run(#[from] RunError),
    /// A flag names what the model does not have, or asks the impossible.
    #[error("{flag}: {message}\n  help: {help}")]
    Flag {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        message: String,
        /// What would be valid.
        help: String,
    },
    /// No portfolio meets the constraints, or the solver was stopped.
    #[error("{}", solve_message(.0))]
    Solve(#[from] AllocationError),
}

impl crate::exit::ExitStatus for AllocateError {
    fn exit_code(&self) -> u8 {
        match self {
            AllocateError::Run(e) => e.exit_code(),
            AllocateError::Flag { .. } => crate::exit::USAGE,
            AllocateError::Solve(e) => e.exit_code(),
        }
    }
}

/// An allocation error in words: an interrupt as it is, anything else as no portfolio found.
fn solve_message(e: &AllocationError) -> String {
    match e {
        AllocationError::Interrupted => e.to_string(),
        _ => format!("no portfolio meets the constraints: {e}"),
    }
}

impl From<OutputError> for AllocateError {
    fn from(e: OutputError) -> Self {
        AllocateError::Run(e.into())
    }
}

/// One portfolio of `frontier.csv`: a frontier point, or the `--max-cvar` portfolio after
/// them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// The key shared with `allocation.csv`: 1 = the minimum-CVaR portfolio, up to the
    /// highest-mean one; the `--max-cvar` portfolio is the next number.
    pub portfolio: usize,
    /// Its names, space-separated: `min_cvar`, `best_ratio`, `max_cvar` (empty for the other
    /// frontier points; one portfolio carries two names when they coincide).
    pub name: String,
    /// The mean it was asked to reach (in-sample; empty for the `--max-cvar` portfolio).
    pub target: Option<f64>,
    /// Mean return, CVaR, p05 and probability of loss on the in-sample paths.
    pub mean: f64,
    pub cvar: f64,
    pub p05: f64,
    pub prob_loss: f64,
    /// Standard error of the in-sample mean (batch means, 32 batches).
    pub mean_se: Option<f64>,
    /// The same on the out-of-sample paths.
    pub test_mean: f64,
    pub test_cvar: f64,
    pub test_p05: f64,
    pub test_prob_loss: f64,
    /// Standard errors of the out-of-sample mean and CVaR (batch means, 32 batches).
    pub test_mean_se: Option<f64>,
    pub test_cvar_se: Option<f64>,
    /// The solver's status.
    pub status: String,
}

/// One weight (`allocation.csv`, long form).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weight {
    /// The portfolio's number in `frontier.csv`.
    pub portfolio: usize,
    /// Its names, as in `frontier.csv`.
    pub name: String,
    /// The asset.
    pub asset: String,
    /// Its group.
    pub group: String,
    /// Its share of the budget.
    pub weight: f64,
    /// The least and the most it took over this in-sample set and the `--resamples` further
    /// ones of the same size (the same portfolio solved on other paths).
    pub weight_lo: f64,
    pub weight_hi: f64,
}

/// What a finished allocation reports.
pub struct AllocateOutcome {
    /// The folder written.
    pub out_dir: PathBuf,
    /// The frontier (and the `--max-cvar` portfolio).
    pub frontier: Vec<FrontierPoint>,
    /// The named portfolios: min_cvar (with best_ratio when they coincide), best_ratio,
    /// max_cvar.
    pub named: Vec<Named>,
    /// The highest-mean end of the frontier, with its spread: a corner that can flip whole.
    pub highest: Named,
    /// Asset names and their groups, in model order.
    pub assets: Vec<(String, String)>,
    /// Group names.
    pub groups: Vec<String>,
    /// In-sample scenarios of each set.
    pub scenarios: usize,
    /// In-sample sets solved: this one and the resamples.
    pub sets: usize,
    /// Seconds spent solving (all sets, wall clock).
    pub solve_seconds: f64,
    /// The CVaR level.
    pub alpha: f64,
    /// Things to know.
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
struct AllocateManifest<'a> {
    boomsim_version: &'static str,
    command: &'static str,
    model_name: &'a str,
    model_path: String,
    model_sha256: String,
    seed: u64,
    in_sample_paths: String,
    resample_paths: Vec<String>,
    out_of_sample_paths: String,
    scenarios: usize,
    lp_variables: usize,
    cvar_level: f64,
    boom_probability: f64,
    max_weight: f64,
    groups: Vec<String>,
    excluded: &'a [String],
    max_cvar: Option<f64>,
    points: usize,
    solve_seconds: f64,
    command_line: &'a [String],
}

/// The assets' total returns of `paths` paths from path `first` (a multiple of the chunk
/// size), each with its probability: the boom outcome of every path, then (with a boom
/// probability below 1) its baseline outcome. Simulated a block at a time, keeping only the
/// asset returns: 8 bytes x assets x outcomes a path, plus one block's outcomes.
fn scenario_set(
    model: &Model,
    config: &RunConfig,
    (first, paths): (usize, usize),
    boom_probability: f64,
    hooks: &Hooks,
) -> Result<Scenarios, RunError> {
    let (a, g) = (model.assets.len(), model.groups.len());
    let two = boom_probability < 1.0;
    let mut boom = Vec::with_capacity(paths * a);
    let mut baseline = Vec::with_capacity(if two { paths * a } else { 0 });
    let mut done = 0;
    while done < paths {
        let n = SCENARIO_BLOCK.min(paths - done);
        let config = RunConfig {
            paths: first + done + n,
            ..*config
        };
        let chunks = (first + done) / CHUNK_PATHS..(first + done + n).div_ceil(CHUNK_PATHS);
        let sim = simulate_chunks(model, &config, chunks, None, hooks)?;
        for i in 0..sim.paths {
            boom.extend((0..a).map(|k| sim.total_return.get(i, g + k)));
        }
        if let (true, Some(uplift)) = (two, &sim.uplift) {
            for i in 0..sim.paths {
                // The baseline's total return: the boom's minus the uplift.
                baseline
                    .extend((0..a).map(|k| sim.total_return.get(i, g + k) - uplift.get(i, g + k)));
            }
        }
        done += n;
    }
    let mut probability = vec![boom_probability / paths as f64; paths];
    if two {
        probability.extend(std::iter::repeat_n(
            (1.0 - boom_probability) / paths as f64,
            paths,
        ));
        boom.extend(baseline);
    }
    Ok(Scenarios {
        assets: a,
        returns: boom,
        probability,
    })
}

/// Standard errors of a portfolio's mean and CVaR on the test scenarios, by batch means over
/// [`BATCHES`] contiguous batches of paths (the boom and baseline outcomes of a path together).
fn test_errors(
    test: &Scenarios,
    paths: usize,
    weights: &[f64],
    alpha: f64,
) -> (Option<f64>, Option<f64>) {
    let b = BATCHES.min(paths / 64);
    if b < 8 {
        return (None, None);
    }
    let outcomes = test.len() / paths;
    let mut means = Vec::new();
    let mut cvars = Vec::new();
    for k in 0..b {
        let (p0, p1) = (k * paths / b, (k + 1) * paths / b);
        let rows: Vec<usize> = (0..outcomes)
            .flat_map(|o| (p0..p1).map(move |i| o * paths + i))
            .collect();
        let total: f64 = rows.iter().map(|&i| test.probability[i]).sum();
        let part = Scenarios {
            assets: test.assets,
            returns: rows
                .iter()
                .flat_map(|&i| test.returns[i * test.assets..(i + 1) * test.assets].to_vec())
                .collect(),
            probability: rows.iter().map(|&i| test.probability[i] / total).collect(),
        };
        let e = evaluate(&part, weights, alpha);
        means.push(e.mean);
        cvars.push(e.cvar);
    }
    let se = |v: &[f64]| {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        Some((v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0) / n).sqrt())
    };
    (se(&means), se(&cvars))
}

/// The portfolios of one in-sample set: the frontier's points (minimum CVaR first, highest
/// mean last), which of them has the best mean per unit of CVaR, and the `--max-cvar`
/// portfolio (`None` when no portfolio has a CVaR that low).
struct SetSolution {
    points: Vec<(f64, Solution)>,
    best: usize,
    max_cvar: Option<Solution>,
}

/// Solves the portfolios of one in-sample set.
fn solve_set(
    train: &Scenarios,
    constraints: &Constraints,
    request: &AllocateRequest,
    cancel: Option<&Arc<AtomicBool>>,
) -> Result<SetSolution, AllocationError> {
    let alpha = request.alpha;
    let lowest = solve(train, constraints, Goal::MinCvar(None), alpha, cancel)?;
    let highest = solve(train, constraints, Goal::MaxMean(None), alpha, cancel)?;
    let (mean_lo, mean_hi) = (
        evaluate(train, &lowest.weights, alpha).mean,
        evaluate(train, &highest.weights, alpha).mean,
    );
    let points = request.points.max(2);
    let mut solved = Vec::with_capacity(points);
    for k in 0..points {
        let target = mean_lo + (mean_hi - mean_lo) * k as f64 / (points - 1) as f64;
        let solution = if k == 0 {
            lowest.clone()
        } else {
            // Just below the highest mean, so rounding cannot make the last target infeasible.
            let t = if k == points - 1 {
                target - 1e-9 * target.abs().max(1.0)
            } else {
                target
            };
            solve(train, constraints, Goal::MinCvar(Some(t)), alpha, cancel)?
        };
        solved.push((target, solution));
    }
    // Best return per unit of CVaR along the frontier; with no tail loss at all (CVaR <= 0)
    // the ratio is unbounded, so the highest mean among those.
    let evaluations: Vec<Evaluation> = solved
        .iter()
        .map(|(_, s)| evaluate(train, &s.weights, alpha))
        .collect();
    let best = evaluations
        .iter()
        .enumerate()
        .filter(|(_, e)| e.cvar <= 0.0)
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
        .or_else(|| {
            evaluations
                .iter()
                .enumerate()
                .filter(|(_, e)| e.cvar > 0.0)
                .max_by(|a, b| (a.1.mean / a.1.cvar).total_cmp(&(b.1.mean / b.1.cvar)))
        })
        .map_or(0, |(k, _)| k);
    let max_cvar = match request.max_cvar {
        None => None,
        Some(limit) => match solve(
            train,
            constraints,
            Goal::MaxMean(Some(limit)),
            alpha,
            cancel,
        ) {
            Ok(s) => Some(s),
            Err(AllocationError::Infeasible(_)) => None,
            Err(e) => return Err(e),
        },
    };
    Ok(SetSolution {
        points: solved,
        best,
        max_cvar,
    })
}

/// Which portfolio of each set a row of `frontier.csv` is: a frontier point, the best-ratio
/// point, the `--max-cvar` portfolio. A row can be several at once (the minimum-CVaR point
/// can also have the best ratio); its weights' range is over all of them in every set.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Point(usize),
    BestRatio,
    MaxCvar,
}

impl SetSolution {
    fn weights(&self, role: Role) -> Option<&[f64]> {
        match role {
            Role::Point(k) => Some(&self.points[k].1.weights),
            Role::BestRatio => Some(&self.points[self.best].1.weights),
            Role::MaxCvar => self.max_cvar.as_ref().map(|s| s.weights.as_slice()),
        }
    }
}

/// A row of `frontier.csv` before it is evaluated: its number, names, roles, target and
/// solution in the main set.
type Row<'a> = (
    usize,
    Vec<&'static str>,
    Vec<Role>,
    Option<f64>,
    &'a Solution,
);

/// Each weight's least and most over every set's portfolios in `roles`.
fn spread(sets: &[SetSolution], roles: &[Role], assets: usize) -> (Vec<f64>, Vec<f64>) {
    let mut lo = vec![f64::INFINITY; assets];
    let mut hi = vec![f64::NEG_INFINITY; assets];
    for set in sets {
        for &role in roles {
            if let Some(w) = set.weights(role) {
                for k in 0..assets {
                    lo[k] = lo[k].min(w[k]);
                    hi[k] = hi[k].max(w[k]);
                }
            }
        }
    }
    (lo, hi)
}

/// Runs an allocation: simulate every set, build the constraints, solve each set's portfolios
/// (in parallel), evaluate this set's out of sample with the weights' ranges over the sets,
/// and write the folder whole.
pub fn allocate(request: &AllocateRequest) -> Result<AllocateOutcome, AllocateError> {
    let run = super::RunRequest {
        model: request.model.clone(),
        config: request.config,
        out: None,
        samples: false,
        samples_format: Default::default(),
        condition: None,
        sets: request.sets.clone(),
        varied: Vec::new(),
        hooks: request.hooks.clone(),
        method: super::SummaryMethod::Exact,
        command_line: request.command_line.clone(),
        report: false,
        xlsx: false,
        stop: None,
    };
    let prepared = prepare(&run)?;
    let model = &prepared.model;
    let flag = |flag, message: String, help: String| AllocateError::Flag {
        flag,
        message,
        help,
    };
    if request.boom_probability < 1.0 && model.baseline.is_none() {
        return Err(flag(
            "--boom-probability",
            format!(
                "weighing the boom by {} needs the model's [baseline] outcome, and {} has none",
                request.boom_probability, model.name
            ),
            "add a [baseline] table (the adoption without the boom, e.g. ceiling = \"1.2 to 2\"), or leave out --boom-probability".into(),
        ));
    }
    let outcomes = if request.boom_probability < 1.0 { 2 } else { 1 };
    let paths = request.config.paths;
    if paths * outcomes > MAX_SCENARIOS {
        return Err(flag(
            "--paths",
            format!(
                "{paths} in-sample paths make {} scenarios; the linear program takes at most {MAX_SCENARIOS} (it has one variable and two constraints per scenario)",
                paths * outcomes
            ),
            format!("give --paths {} or fewer", MAX_SCENARIOS / outcomes),
        ));
    }
    let assets = model.assets.len();
    let per_path = 8 * assets * outcomes;
    if request.test_paths.saturating_mul(per_path) > TEST_BYTES {
        return Err(flag(
            "--test-paths",
            format!(
                "{} out-of-sample paths keep {} MB of asset returns (8 bytes x {assets} assets x {outcomes} outcome(s) a path); the limit is {} MB",
                request.test_paths,
                request.test_paths.saturating_mul(per_path) >> 20,
                TEST_BYTES >> 20
            ),
            format!(
                "give --test-paths {} or fewer: the error of the out-of-sample figures falls only as 1/sqrt(paths)",
                TEST_BYTES / per_path
            ),
        ));
    }
    if request.resamples < MIN_RESAMPLES {
        return Err(flag(
            "--resamples",
            format!(
                "{} further in-sample sets are too few to show how far a weight moves",
                request.resamples
            ),
            format!("give --resamples {MIN_RESAMPLES} or more"),
        ));
    }
    let asset_names: Vec<&str> = model.assets.iter().map(|a| a.name.as_str()).collect();
    let group_names: Vec<&str> = model.groups.iter().map(|g| g.name.as_str()).collect();
    let mut excluded = Vec::new();
    for name in &request.exclude {
        match asset_names.iter().position(|a| a == name) {
            Some(k) => excluded.push(k),
            None => {
                return Err(flag(
                    "--exclude",
                    format!("the model has no asset `{name}`"),
                    suggest(name, "assets", &asset_names),
                ));
            }
        }
    }
    let mut groups = Vec::new();
    for (name, lo, hi) in &request.groups {
        let Some(g) = group_names.iter().position(|x| x == name) else {
            return Err(flag(
                "--group",
                format!("the model has no group `{name}`"),
                suggest(name, "groups", &group_names),
            ));
        };
        groups.push((model.groups[g].assets.clone(), *lo, *hi));
    }
    let constraints = Constraints {
        max_weight: request.max_weight,
        groups,
        excluded,
    };
    check_feasible(assets, &constraints)?;
    let out_dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-allocate", model.name)));
    let owner = crate::output::Owner {
        command: "allocate",
        model_name: model.name.clone(),
        model_sha256: sha256_hex(&prepared.bytes),
        settings: vec![
            ("seed", request.config.seed.to_string()),
            ("in_sample_paths", format!("0..{paths}")),
        ],
    };
    let replacing = crate::output::check_replaceable(&out_dir, &owner)?;
    let pool = thread_pool(request.config.threads).map_err(RunError::from)?;
    let hooks = &request.hooks;
    let firsts: Vec<usize> = (0..=request.resamples)
        .map(|j| j * RESAMPLE_OFFSET)
        .collect();
    let (trains, test_set) = pool.install(|| -> Result<_, RunError> {
        let trains = firsts
            .iter()
            .map(|&first| {
                scenario_set(
                    model,
                    &request.config,
                    (first, paths),
                    request.boom_probability,
                    hooks,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let test = scenario_set(
            model,
            &request.config,
            (TEST_OFFSET, request.test_paths),
            request.boom_probability,
            hooks,
        )?;
        Ok((trains, test))
    })?;
    let alpha = request.alpha;
    let cancel = hooks.cancel.as_ref();
    let started = std::time::Instant::now();
    let sets: Vec<SetSolution> = pool.install(|| {
        trains
            .par_iter()
            .map(|train| solve_set(train, &constraints, request, cancel))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let solve_seconds = started.elapsed().as_secs_f64();
    let train = &trains[0];
    let main = &sets[0];
    let points = main.points.len();
    let mut warnings: Vec<String> = replacing.into_iter().collect();
    if request.max_cvar.is_some() && main.max_cvar.is_none() {
        warnings.push(format!(
            "--max-cvar {}: no portfolio has a CVaR that low; the least is {:.4} (the minimum-CVaR portfolio)",
            request.max_cvar.unwrap_or_default(),
            evaluate(train, &main.points[0].1.weights, alpha).cvar
        ));
    }
    // The rows: every frontier point, then the --max-cvar portfolio.
    let mut rows: Vec<Row> = main
        .points
        .iter()
        .enumerate()
        .map(|(k, (target, s))| {
            let mut names = Vec::new();
            let mut roles = vec![Role::Point(k)];
            if k == 0 {
                names.push("min_cvar");
            }
            if k == main.best {
                names.push("best_ratio");
                roles.push(Role::BestRatio);
            }
            (k + 1, names, roles, Some(*target), s)
        })
        .collect();
    if let Some(s) = &main.max_cvar {
        rows.push((points + 1, vec!["max_cvar"], vec![Role::MaxCvar], None, s));
    }
    let mut frontier = Vec::new();
    let mut weights = Vec::new();
    let mut every = Vec::new();
    let group_of = |k: usize| model.groups[model.assets[k].group].name.clone();
    for (portfolio, names, roles, target, solution) in &rows {
        let w = &solution.weights;
        let inside = evaluate(train, w, alpha);
        let outside = evaluate(&test_set, w, alpha);
        let (in_mean_se, _) = test_errors(train, paths, w, alpha);
        let (mean_se, cvar_se) = test_errors(&test_set, request.test_paths, w, alpha);
        let name = names.join(" ");
        frontier.push(FrontierPoint {
            portfolio: *portfolio,
            name: name.clone(),
            target: *target,
            mean: inside.mean,
            cvar: inside.cvar,
            p05: inside.p05,
            prob_loss: inside.prob_loss,
            mean_se: in_mean_se,
            test_mean: outside.mean,
            test_cvar: outside.cvar,
            test_p05: outside.p05,
            test_prob_loss: outside.prob_loss,
            test_mean_se: mean_se,
            test_cvar_se: cvar_se,
            status: solution.status.clone(),
        });
        let (lo, hi) = spread(&sets, roles, assets);
        for k in 0..assets {
            weights.push(Weight {
                portfolio: *portfolio,
                name: name.clone(),
                asset: model.assets[k].name.clone(),
                group: group_of(k),
                weight: w[k],
                weight_lo: lo[k],
                weight_hi: hi[k],
            });
        }
        let gap_se = match (in_mean_se, mean_se) {
            (Some(a), Some(b)) => Some((a * a + b * b).sqrt()),
            _ => None,
        };
        every.push(Named {
            names: names.clone(),
            title: title(names, *portfolio),
            portfolio: *portfolio,
            weights: w.clone(),
            weight_lo: lo,
            weight_hi: hi,
            in_sample: inside,
            test: outside,
            gap: (outside.mean - inside.mean, gap_se),
        });
    }
    let highest = every[points - 1].clone();
    let named: Vec<Named> = every.into_iter().filter(|n| !n.names.is_empty()).collect();
    // How far the named portfolios' weights move with other in-sample paths.
    let moving: Vec<String> = named
        .iter()
        .filter(|n| !n.names.contains(&"max_cvar"))
        .filter_map(|n| {
            let m = n.moving();
            (!m.is_empty()).then(|| {
                let list: Vec<String> = m
                    .iter()
                    .map(|&(k, w, lo, hi)| {
                        format!(
                            "{} {:.1}% ({:.1}-{:.1}%)",
                            model.assets[k].name,
                            100.0 * w,
                            100.0 * lo,
                            100.0 * hi
                        )
                    })
                    .collect();
                format!("{}: {}", n.names.join("/"), list.join(", "))
            })
        })
        .collect();
    if !moving.is_empty() {
        warnings.push(format!(
            "weights that move more than {:.0} points with other in-sample paths (the least and most over {} sets of {paths} paths): {}; run more --paths to pin them",
            100.0 * STABLE_MOVE,
            sets.len(),
            moving.join("; ")
        ));
    }
    let (lo_test, lo_in) = (named[0].test.cvar, named[0].in_sample.cvar);
    let (_, se) = test_errors(&test_set, request.test_paths, &named[0].weights, alpha);
    if let Some(se) = se
        && (lo_test - lo_in).abs() > 4.0 * se + 0.02 * lo_in.abs()
    {
        warnings.push(format!(
            "the minimum-CVaR portfolio's CVaR is {:.1}% in sample but {:.1}% on fresh paths: the in-sample paths are too few to pin the tail; run more --paths",
            100.0 * lo_in,
            100.0 * lo_test
        ));
    }
    let manifest = AllocateManifest {
        boomsim_version: env!("CARGO_PKG_VERSION"),
        command: "allocate",
        model_name: &model.name,
        model_path: request.model.display(),
        model_sha256: sha256_hex(&prepared.bytes),
        seed: request.config.seed,
        in_sample_paths: format!("0..{paths}"),
        resample_paths: firsts[1..]
            .iter()
            .map(|f| format!("{f}..{}", f + paths))
            .collect(),
        out_of_sample_paths: format!("{TEST_OFFSET}..{}", TEST_OFFSET + request.test_paths),
        scenarios: train.len(),
        lp_variables: train.len() + assets + 1,
        cvar_level: alpha,
        boom_probability: request.boom_probability,
        max_weight: request.max_weight,
        groups: request
            .groups
            .iter()
            .map(|(g, lo, hi)| format!("{g}={lo}..{hi}"))
            .collect(),
        excluded: &request.exclude,
        max_cvar: request.max_cvar,
        points,
        solve_seconds,
        command_line: &request.command_line,
    };
    let io = |e: std::io::Error| OutputError::Io {
        path: out_dir.clone(),
        source: e,
        hint: String::new(),
    };
    let frontier_csv = csv_bytes(&frontier).map_err(io)?;
    let weights_csv = csv_bytes(&weights).map_err(io)?;
    let mut json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| io(std::io::Error::other(e)))?;
    json.push(b'\n');
    write_folder(&out_dir, &owner, |dir: &Path| -> Result<(), OutputError> {
        write_file(dir, "frontier.csv", &frontier_csv)?;
        write_file(dir, "allocation.csv", &weights_csv)?;
        write_file(dir, "manifest.json", &json)?;
        if request.report {
            crate::output::report::write_report(dir).map_err(|source| OutputError::Report {
                source,
                staging: dir.to_path_buf(),
                target: out_dir.clone(),
            })?;
        }
        if request.xlsx {
            crate::output::add_workbook(dir, &out_dir)?;
        }
        Ok(())
    })?;
    Ok(AllocateOutcome {
        out_dir,
        frontier,
        named,
        highest,
        assets: (0..assets)
            .map(|k| (model.assets[k].name.clone(), group_of(k)))
            .collect(),
        groups: model.groups.iter().map(|g| g.name.clone()).collect(),
        scenarios: train.len(),
        sets: sets.len(),
        solve_seconds,
        alpha,
        warnings,
    })
}

/// A portfolio's names in words.
fn title(names: &[&'static str], portfolio: usize) -> String {
    let words: Vec<String> = names
        .iter()
        .map(|n| match *n {
            "min_cvar" => "minimum CVaR".to_string(),
            "best_ratio" => "best mean return per unit of CVaR".to_string(),
            _ => "highest mean within --max-cvar".to_string(),
        })
        .collect();
    if words.is_empty() {
        format!("frontier point {portfolio}")
    } else {
        format!("{} (portfolio {portfolio})", words.join(", also the "))
    }
}

/// The parsers of allocate's settings, one per flag, shared by the command line and the Python
/// package: every number through [`crate::number`] (NaN, inf and a percent where a fraction
/// belongs refused, with the fraction it meant).
pub mod settings {
    use super::{MAX_SCENARIOS, MIN_RESAMPLES};
    use crate::number::{self, Range};

    /// `--cvar LEVEL`: a fraction above 0.5 and below 1.
    pub fn cvar_level(arg: &str) -> Result<f64, String> {
        number::fraction(arg, Range::open(0.5, 1.0), "0.95")
    }

    /// `--max-weight W`.
    pub fn max_weight(arg: &str) -> Result<f64, String> {
        number::fraction(arg, Range::open_closed(0.0, 1.0), "0.3")
    }

    /// `--boom-probability P`.
    pub fn boom_probability(arg: &str) -> Result<f64, String> {
        number::fraction(arg, Range::closed(0.0, 1.0), "0.6")
    }

    /// `--max-cvar X`: a loss as a fraction, at most 1 (everything lost); negative for a gain.
    pub fn max_cvar(arg: &str) -> Result<f64, String> {
        number::fraction(arg, Range::closed(-100.0, 1.0), "0.2")
    }

    /// `--paths N`.
    pub fn in_sample_paths(arg: &str) -> Result<u64, String> {
        number::whole(arg, 256, MAX_SCENARIOS as u64)
    }

    /// `--test-paths M`.
    pub fn test_paths(arg: &str) -> Result<u64, String> {
        number::whole(arg, 2_048, 1 << 32)
    }

    /// `--resamples R`.
    pub fn resamples(arg: &str) -> Result<u64, String> {
        number::whole(arg, MIN_RESAMPLES as u64, 63)
    }

    /// `--points K`.
    pub fn points(arg: &str) -> Result<u64, String> {
        number::whole(arg, 2, 200)
    }

    /// `--group GROUP=MIN..MAX`.
    pub fn group_bounds(arg: &str) -> Result<(String, f64, f64), String> {
        let example = "private_startups=0..0.2";
        let (name, bounds) = arg
            .split_once('=')
            .ok_or(format!("expected GROUP=MIN..MAX, e.g. {example}"))?;
        let (lo, hi) = number::fraction_range(bounds, Range::closed(0.0, 1.0), "0..0.2")?;
        Ok((name.trim().to_string(), lo, hi))
    }
}
