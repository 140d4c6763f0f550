//! `boomsim allocate`: a frontier of mean-CVaR portfolios over the model's assets, solved on
//! in-sample paths and checked on out-of-sample ones, written to a folder whole.
//!
//! In-sample paths are paths 0..N of the seed; out-of-sample paths are paths 2^40 ..
//! 2^40 + M of the same seed: streams of their own (a path's numbers depend only on (seed,
//! path index)), so the check is on paths the optimiser never saw, and the whole command is
//! reproducible. With `--boom-probability P`, every path counts twice: its boom outcome with
//! probability P/N and its baseline outcome (same draws and shocks) with (1 - P)/N.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{ModelSource, RunError, prepare};
use crate::engine::{CHUNK_PATHS, Hooks, RunConfig, Simulation, simulate_chunks, thread_pool};
use crate::model::Model;
use crate::output::{OutputError, csv_bytes, sha256_hex, write_file, write_folder};
use crate::spelling::suggest;
use crate::stats::allocation::{
    AllocationError, Constraints, Evaluation, Goal, Scenarios, check_feasible, evaluate, solve,
};
use crate::stats::precision::BATCHES;

/// The first out-of-sample path: far beyond any in-sample run.
pub const TEST_OFFSET: usize = 1 << 40;

/// The most in-sample scenarios the linear program takes (paths, twice with a boom
/// probability below 1): its size grows with them, and beyond this a solve takes minutes.
pub const MAX_SCENARIOS: usize = 50_000;

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
    /// No portfolio meets the constraints.
    #[error("no portfolio meets the constraints: {0}")]
    Solve(#[from] AllocationError),
}

impl From<OutputError> for AllocateError {
    fn from(e: OutputError) -> Self {
        AllocateError::Run(e.into())
    }
}

/// One point of the frontier (`frontier.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// 1 = the minimum-CVaR portfolio, up to the highest-mean one.
    pub point: usize,
    /// The mean it was asked to reach (in-sample).
    pub target: f64,
    /// Mean return, CVaR, p05 and probability of loss on the in-sample paths.
    pub mean: f64,
    pub cvar: f64,
    pub p05: f64,
    pub prob_loss: f64,
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
    /// The frontier point, or a named portfolio (`min_cvar`, `best_ratio`, `max_cvar`).
    pub portfolio: String,
    /// The asset.
    pub asset: String,
    /// Its group.
    pub group: String,
    /// Its share of the budget.
    pub weight: f64,
}

/// A named portfolio of the terminal.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    /// What it is.
    pub name: &'static str,
    /// In words.
    pub title: String,
    /// Its weights, one per asset.
    pub weights: Vec<f64>,
    /// In-sample and out-of-sample evaluations.
    pub in_sample: Evaluation,
    pub test: Evaluation,
}

/// What a finished allocation reports.
pub struct AllocateOutcome {
    /// The folder written.
    pub out_dir: PathBuf,
    /// The frontier.
    pub frontier: Vec<FrontierPoint>,
    /// The named portfolios.
    pub named: Vec<Named>,
    /// Asset names and their groups, in model order.
    pub assets: Vec<(String, String)>,
    /// Group names.
    pub groups: Vec<String>,
    /// In-sample scenarios and LP variables.
    pub scenarios: usize,
    /// Seconds spent solving.
    pub solve_seconds: f64,
    /// The CVaR level.
    pub alpha: f64,
    /// Things to know.
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
struct AllocateManifest<'a> {
    boomsim_version: &'static str,
    model_name: &'a str,
    model_path: String,
    model_sha256: String,
    seed: u64,
    in_sample_paths: String,
    out_of_sample_paths: String,
    scenarios: usize,
    lp_variables: usize,
    cvar_level: f64,
    boom_probability: f64,
    max_weight: f64,
    groups: Vec<String>,
    excluded: &'a [String],
    max_cvar: Option<f64>,
    solve_seconds: f64,
    command_line: &'a [String],
}

/// The assets' total returns (boom, and baseline when asked) of every path of `sim`.
fn scenarios(model: &Model, sim: &Simulation, boom_probability: f64) -> Scenarios {
    let (a, g, n) = (model.assets.len(), model.groups.len(), sim.paths);
    let outcomes = if boom_probability < 1.0 { 2 } else { 1 };
    let mut returns = Vec::with_capacity(outcomes * n * a);
    let mut probability = Vec::with_capacity(outcomes * n);
    for i in 0..n {
        returns.extend((0..a).map(|k| sim.total_return.get(i, g + k)));
        probability.push(boom_probability / n as f64);
    }
    if let Some(uplift) = &sim.uplift
        && outcomes == 2
    {
        for i in 0..n {
            // The baseline's total return: the boom's minus the uplift.
            returns.extend((0..a).map(|k| sim.total_return.get(i, g + k) - uplift.get(i, g + k)));
            probability.push((1.0 - boom_probability) / n as f64);
        }
    }
    Scenarios {
        assets: a,
        returns,
        probability,
    }
}

/// Simulates `paths` paths from path `first` (a multiple of the chunk size).
fn simulate(
    model: &Model,
    config: &RunConfig,
    first: usize,
    paths: usize,
    hooks: &Hooks,
) -> Result<Simulation, RunError> {
    let config = RunConfig {
        paths: first + paths,
        ..*config
    };
    let chunks = first / CHUNK_PATHS..(first + paths).div_ceil(CHUNK_PATHS);
    Ok(simulate_chunks(model, &config, chunks, None, hooks)?)
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

/// Runs an allocation: simulate, build the constraints, solve the frontier and the named
/// portfolios, evaluate each out of sample, and write the folder whole.
pub fn allocate(request: &AllocateRequest) -> Result<AllocateOutcome, AllocateError> {
    let run = super::RunRequest {
        model: request.model.clone(),
        config: request.config,
        out: None,
        samples: false,
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
            format!(
                "give --paths {} or fewer; the out-of-sample check (--test-paths) may be as large as you like",
                MAX_SCENARIOS / outcomes
            ),
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
    check_feasible(model.assets.len(), &constraints)?;
    let out_dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-allocate", model.name)));
    crate::output::check_replaceable(&out_dir)?;
    let pool = thread_pool(request.config.threads).map_err(RunError::from)?;
    let (train, test) = pool.install(|| -> Result<_, RunError> {
        Ok((
            simulate(model, &request.config, 0, paths, &request.hooks)?,
            simulate(
                model,
                &request.config,
                TEST_OFFSET,
                request.test_paths,
                &request.hooks,
            )?,
        ))
    })?;
    let train = scenarios(model, &train, request.boom_probability);
    let test_set = scenarios(model, &test, request.boom_probability);
    let alpha = request.alpha;
    let started = std::time::Instant::now();
    let lowest = solve(&train, &constraints, Goal::MinCvar(None), alpha)?;
    let highest = solve(&train, &constraints, Goal::MaxMean(None), alpha)?;
    let (mean_lo, mean_hi) = (
        evaluate(&train, &lowest.weights, alpha).mean,
        evaluate(&train, &highest.weights, alpha).mean,
    );
    let mut frontier = Vec::new();
    let mut solutions = Vec::new();
    let points = request.points.max(2);
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
            solve(&train, &constraints, Goal::MinCvar(Some(t)), alpha)?
        };
        let inside = evaluate(&train, &solution.weights, alpha);
        let outside = evaluate(&test_set, &solution.weights, alpha);
        let (mean_se, cvar_se) =
            test_errors(&test_set, request.test_paths, &solution.weights, alpha);
        frontier.push(FrontierPoint {
            point: k + 1,
            target,
            mean: inside.mean,
            cvar: inside.cvar,
            p05: inside.p05,
            prob_loss: inside.prob_loss,
            test_mean: outside.mean,
            test_cvar: outside.cvar,
            test_p05: outside.p05,
            test_prob_loss: outside.prob_loss,
            test_mean_se: mean_se,
            test_cvar_se: cvar_se,
            status: solution.status.clone(),
        });
        solutions.push(solution);
    }
    let mut named = Vec::new();
    let name_it = |name, title: String, weights: &[f64]| Named {
        name,
        title,
        weights: weights.to_vec(),
        in_sample: evaluate(&train, weights, alpha),
        test: evaluate(&test_set, weights, alpha),
    };
    named.push(name_it("min_cvar", "minimum CVaR".into(), &lowest.weights));
    // Best return per unit of CVaR along the frontier; with no tail loss at all (CVaR <= 0)
    // the ratio is unbounded, so the highest mean among those.
    let best = frontier
        .iter()
        .enumerate()
        .filter(|(_, p)| p.cvar <= 0.0)
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
        .or_else(|| {
            frontier
                .iter()
                .enumerate()
                .filter(|(_, p)| p.cvar > 0.0)
                .max_by(|a, b| (a.1.mean / a.1.cvar).total_cmp(&(b.1.mean / b.1.cvar)))
        })
        .map(|(k, _)| k)
        .unwrap_or(0);
    named.push(name_it(
        "best_ratio",
        format!(
            "best mean return per unit of CVaR (frontier point {})",
            best + 1
        ),
        &solutions[best].weights,
    ));
    let mut warnings = Vec::new();
    if let Some(limit) = request.max_cvar {
        match solve(&train, &constraints, Goal::MaxMean(Some(limit)), alpha) {
            Ok(s) => named.push(name_it(
                "max_cvar",
                format!("highest mean with CVaR at most {:.1}%", 100.0 * limit),
                &s.weights,
            )),
            Err(AllocationError::Infeasible(_)) => warnings.push(format!(
                "--max-cvar {limit}: no portfolio has a CVaR that low; the least is {:.4} (the minimum-CVaR portfolio)",
                frontier[0].cvar
            )),
            Err(e) => return Err(e.into()),
        }
    }
    let solve_seconds = started.elapsed().as_secs_f64();
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
    let group_of = |k: usize| model.groups[model.assets[k].group].name.clone();
    let mut weights = Vec::new();
    let mut push = |portfolio: String, w: &[f64]| {
        for (k, &v) in w.iter().enumerate() {
            weights.push(Weight {
                portfolio: portfolio.clone(),
                asset: model.assets[k].name.clone(),
                group: group_of(k),
                weight: v,
            });
        }
    };
    for (k, s) in solutions.iter().enumerate() {
        push(format!("{}", k + 1), &s.weights);
    }
    for n in &named {
        push(n.name.to_string(), &n.weights);
    }
    let manifest = AllocateManifest {
        boomsim_version: env!("CARGO_PKG_VERSION"),
        model_name: &model.name,
        model_path: request.model.display(),
        model_sha256: sha256_hex(&prepared.bytes),
        seed: request.config.seed,
        in_sample_paths: format!("0..{paths}"),
        out_of_sample_paths: format!("{TEST_OFFSET}..{}", TEST_OFFSET + request.test_paths),
        scenarios: train.len(),
        lp_variables: train.len() + model.assets.len() + 1,
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
    write_folder(&out_dir, |dir: &Path| -> Result<(), OutputError> {
        write_file(dir, "frontier.csv", &frontier_csv)?;
        write_file(dir, "allocation.csv", &weights_csv)?;
        write_file(dir, "manifest.json", &json)?;
        if request.report {
            crate::output::report::write_report(dir)
                .map_err(|e| OutputError::Report(e.to_string()))?;
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
        assets: (0..model.assets.len())
            .map(|k| (model.assets[k].name.clone(), group_of(k)))
            .collect(),
        groups: model.groups.iter().map(|g| g.name.clone()).collect(),
        scenarios: train.len(),
        solve_seconds,
        alpha,
        warnings,
    })
}
