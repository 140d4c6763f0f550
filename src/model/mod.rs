//! The validated model: what a model file says, once every rule of docs/model.md §2 holds.
//!
//! `load` turns TOML into a [`Model`] or into a [`ModelError`] listing every problem; the
//! types here are what the engine reads. Names follow docs/model.md: `ceiling` is K, `elasticity`
//! is beta_s, `priced_in` is pi_a, and so on.

mod diagnostic;
mod load;
mod source;

pub use diagnostic::{Diagnostic, ModelError, line_column};

/// Whether a row is a group or an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An asset group.
    Group,
    /// One asset.
    Asset,
}

/// Where the default model lives in the repository.
pub const DEFAULT_MODEL_PATH: &str = "models/python-5x.toml";

/// The default model, built into the binary so `boomsim run` works from any folder.
pub const DEFAULT_MODEL_TEXT: &str = include_str!("../../models/python-5x.toml");
pub use load::{LoadError, load_file, parse_model, parse_model_with};

/// The whole map of the default scenario (every investment it names, 40 assets), built in so
/// that `boomsim init --from map` writes it from any folder.
pub const MAP_MODEL_TEXT: &str = include_str!("../../models/python-5x-map.toml");

/// The models built into the binary, which `boomsim init` writes to edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    /// `models/python-5x.toml`: the scenario with ten representative assets.
    Default,
    /// `models/python-5x-map.toml`: the same scenario with every investment it names.
    Map,
}

impl BuiltIn {
    /// The model file's text, comments and all.
    pub fn text(self) -> &'static str {
        match self {
            BuiltIn::Default => DEFAULT_MODEL_TEXT,
            BuiltIn::Map => MAP_MODEL_TEXT,
        }
    }

    /// Its `[model].name`.
    pub fn name(self) -> &'static str {
        match self {
            BuiltIn::Default => "python-5x",
            BuiltIn::Map => "python-5x-map",
        }
    }

    /// In words, for messages.
    pub fn title(self) -> &'static str {
        match self {
            BuiltIn::Default => "the default model",
            BuiltIn::Map => "the whole-map model",
        }
    }
}

/// Whether `c` may stand in a model's name (its output folder's): letters, digits, `-`, `_`, `.`.
pub fn is_name_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.".contains(c)
}

/// `text` with every character a name may not hold made `-`.
pub fn name_characters(text: &str) -> String {
    text.chars()
        .map(|c| if is_name_character(c) { c } else { '-' })
        .collect()
}

/// The name `boomsim init` gives a model written to `path`: the file's stem, with anything but
/// letters, digits, `-`, `_` and `.` made `-` (a model's name is its output folder's), so that
/// running the copy never replaces the default model's results.
pub fn name_for(path: &std::path::Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name_characters(&stem);
    let name = name.trim_start_matches('.').to_string();
    if name.is_empty() {
        "model".into()
    } else {
        name
    }
}

/// A built-in model's text, comments and all, named `name` instead of its own name.
pub fn starter_text(model: BuiltIn, name: &str) -> String {
    let own = format!("name = \"{}\"", model.name());
    let folder = format!("output/{}/", model.name());
    model
        .text()
        .lines()
        .map(|line| {
            if line.starts_with(&own) {
                line.replacen(&own, &format!("name = \"{name}\""), 1)
                    .replacen(&folder, &format!("output/{name}/"), 1)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Writes a built-in model, with its comments, to `path` to edit, named after the file
/// ([`name_for`]); refused (an `AlreadyExists` error) when `path` exists, so nothing a user
/// wrote is replaced. Returns the name it gave.
pub fn init_model(path: &std::path::Path, model: BuiltIn) -> std::io::Result<String> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let name = name_for(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(starter_text(model, &name).as_bytes())?;
    file.sync_all()?;
    Ok(name)
}
pub use source::{Flag, Override};
pub use source::{Location, SourceText, Sources};

use crate::distribution::Distribution;

/// Years, as a real number (docs/model.md's H, t, lag).
pub type Years = f64;
/// A rate per year, as a fraction (0.03 = 3% a year).
pub type AnnualRate = f64;

/// A validated model.
#[derive(Debug, Clone)]
pub struct Model {
    /// `[model].name`: the default output folder is `output/<name>/`.
    pub name: String,
    /// `[model].description`.
    pub description: Option<String>,
    /// H > 0.
    pub horizon_years: Years,
    /// k >= 1.
    pub steps_per_year: u32,
    /// Annual risk-free rate for Sharpe and Sortino.
    pub risk_free_rate: AnnualRate,
    /// `[model].expected_return`: the annual return of a fairly priced asset (each asset's
    /// default), from which the profiles' hurdle comes ([`Model::hurdle`]).
    pub expected_return: AnnualRate,
    /// `[model].tail_loss_limit`, 0 < x <= 1: a cvar95 at or below it is low risk (§5 profile).
    pub tail_loss_limit: f64,
    /// The adoption index process of the boom scenario.
    pub adoption: Adoption,
    /// The counterfactual: adoption keys overridden, when `[baseline]` exists.
    pub baseline: Option<Baseline>,
    /// The sectors, in file order.
    pub sectors: Vec<Sector>,
    /// The correlation of the sectors' revenue shocks.
    pub correlation: Correlation,
    /// `[[correlate]]`: the copulas joining uncertain parameters, one per table.
    pub copulas: Vec<CopulaTable>,
    /// `[market]`: the factor every asset shares, when the model has one.
    pub market: Option<Market>,
    /// The asset groups, in file order.
    pub groups: Vec<Group>,
    /// The assets, in file order.
    pub assets: Vec<Asset>,
}

impl Model {
    /// The entities (groups, then assets, in file order) with their kind: the rows of every
    /// summary, and the columns of every per-entity quantity.
    pub fn entities(&self) -> Vec<(Kind, &str)> {
        self.groups
            .iter()
            .map(|g| (Kind::Group, g.name.as_str()))
            .chain(self.assets.iter().map(|a| (Kind::Asset, a.name.as_str())))
            .collect()
    }

    /// The total return over the horizon of an asset whose revenue growth meets what its
    /// price expects, exp(mu H) - 1 with mu = `[model].expected_return`: the line between a
    /// high and an ordinary mean return in the profiles (docs/model.md §5, `profile`).
    pub fn hurdle(&self) -> f64 {
        libm::exp(self.expected_return * self.horizon_years) - 1.0
    }

    /// T = round(H * k), the number of steps.
    pub fn steps(&self) -> usize {
        steps(self.horizon_years, self.steps_per_year)
    }

    /// dt = 1 / k.
    pub fn dt(&self) -> Years {
        1.0 / f64::from(self.steps_per_year)
    }

    /// The key path of the market's per-path driver: the path's total market log-return
    /// X_M(t_T), recorded beside the uncertain parameters' draws when the model has a market.
    pub const MARKET_DRIVER: &'static str = "market.return";

    /// What each path records beside its outcomes, by name: every uncertain parameter's draw,
    /// then the market's total log-return when the model has a market. The columns of
    /// `samples.csv` and of sensitivity.csv's drivers, and the names `--where` knows.
    pub fn drivers(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .uncertain_parameters()
            .into_iter()
            .map(|p| p.path)
            .collect();
        if self.market.is_some() {
            names.push(Self::MARKET_DRIVER.to_string());
        }
        names
    }

    /// Every distribution-valued parameter (constants included), by key path, in draw order.
    pub fn parameters(&self) -> Vec<Parameter<'_>> {
        let mut all = Vec::new();
        let mut push = |path: String, distribution, slot| {
            all.push(Parameter {
                path,
                distribution,
                slot,
            })
        };
        for (key, d) in self.adoption.parameters() {
            push(format!("adoption.{}", key.name()), d, Slot::Adoption(key));
        }
        if let Some(b) = &self.baseline {
            for (key, d) in b.overrides() {
                push(format!("baseline.{}", key.name()), d, Slot::Baseline(key));
            }
        }
        for (i, s) in self.sectors.iter().enumerate() {
            for (field, (name, d)) in s.parameters().into_iter().enumerate() {
                push(
                    format!("sectors.{}.{name}", s.name),
                    d,
                    Slot::Sector(i, field),
                );
            }
        }
        for (i, a) in self.assets.iter().enumerate() {
            for (field, (name, d)) in a.parameters().into_iter().enumerate() {
                push(
                    format!("assets.{}.{name}", a.name),
                    d,
                    Slot::Asset(i, field),
                );
            }
        }
        all
    }

    /// The uncertain (non-constant) parameters, in draw order: the columns of sensitivity
    /// and samples.
    pub fn uncertain_parameters(&self) -> Vec<Parameter<'_>> {
        let mut all = self.parameters();
        all.retain(|p| !p.distribution.is_constant());
        all
    }
}

/// Where a parameter lives in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A key of `[adoption]`.
    Adoption(AdoptionKey),
    /// A key `[baseline]` overrides.
    Baseline(AdoptionKey),
    /// Sector index and field index in [`Sector::parameters`] order.
    Sector(usize, usize),
    /// Asset index and field index in [`Asset::parameters`] order.
    Asset(usize, usize),
}

/// One distribution-valued parameter of a model.
#[derive(Debug, Clone)]
pub struct Parameter<'m> {
    /// The key path, e.g. `sectors.ml_ai.elasticity`.
    pub path: String,
    /// Its distribution.
    pub distribution: &'m Distribution,
    /// Where it lives.
    pub slot: Slot,
}

/// T = round(H * k).
pub fn steps(horizon_years: Years, steps_per_year: u32) -> usize {
    (horizon_years * f64::from(steps_per_year)).round() as usize
}

/// The shape of the adoption curve c(t).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// c(t) = K / (1 + (K - 1) exp(-r t)).
    Logistic,
    /// Bass diffusion from 1 towards K with innovation p and imitation q.
    Bass,
    /// c(t) = exp(mu t).
    Gbm,
}

impl Process {
    /// The name used in model files.
    pub fn name(self) -> &'static str {
        match self {
            Process::Logistic => "logistic",
            Process::Bass => "bass",
            Process::Gbm => "gbm",
        }
    }

    /// Every process, for messages.
    pub const ALL: [Process; 3] = [Process::Logistic, Process::Bass, Process::Gbm];

    /// The adoption keys this process reads, besides `volatility`.
    pub fn keys(self) -> &'static [AdoptionKey] {
        match self {
            Process::Logistic => &[AdoptionKey::Ceiling, AdoptionKey::Rate],
            Process::Bass => &[AdoptionKey::Ceiling, AdoptionKey::P, AdoptionKey::Q],
            Process::Gbm => &[AdoptionKey::LogDrift],
        }
    }
}

/// A numeric key of `[adoption]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdoptionKey {
    /// K > 0, the saturation multiple (logistic, bass).
    Ceiling = 0,
    /// r > 0 per year (logistic).
    Rate = 1,
    /// p > 0 per year (bass).
    P = 2,
    /// q >= 0 per year (bass).
    Q = 3,
    /// mu, the annual drift of log A (gbm).
    LogDrift = 4,
    /// sigma_A >= 0.
    Volatility = 5,
}

impl AdoptionKey {
    /// Every key, in the order draws are made.
    pub const ALL: [AdoptionKey; 6] = [
        AdoptionKey::Ceiling,
        AdoptionKey::Rate,
        AdoptionKey::P,
        AdoptionKey::Q,
        AdoptionKey::LogDrift,
        AdoptionKey::Volatility,
    ];

    /// The key as written in a model file.
    pub fn name(self) -> &'static str {
        match self {
            AdoptionKey::Ceiling => "ceiling",
            AdoptionKey::Rate => "rate",
            AdoptionKey::P => "p",
            AdoptionKey::Q => "q",
            AdoptionKey::LogDrift => "log_drift",
            AdoptionKey::Volatility => "volatility",
        }
    }
}

/// `[adoption]`: the process and its parameters (only those the process reads are set).
#[derive(Debug, Clone)]
pub struct Adoption {
    /// The curve.
    pub process: Process,
    /// Indexed by [`AdoptionKey`]; `None` where the process does not read the key.
    pub values: [Option<Distribution>; 6],
}

impl Adoption {
    /// The parameters that are set, in draw order.
    pub fn parameters(&self) -> impl Iterator<Item = (AdoptionKey, &Distribution)> {
        AdoptionKey::ALL
            .into_iter()
            .filter_map(|k| self.values[k as usize].as_ref().map(|d| (k, d)))
    }
}

/// `[baseline]`: the counterfactual adoption. Overridden keys are drawn on their own; every
/// other parameter reuses the boom's draw (docs/model.md §3).
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The baseline's process (the boom's unless overridden).
    pub process: Process,
    /// Indexed by [`AdoptionKey`]; `Some` where `[baseline]` overrides the key.
    pub overrides: [Option<Distribution>; 6],
}

impl Baseline {
    /// The overridden parameters, in draw order.
    pub fn overrides(&self) -> impl Iterator<Item = (AdoptionKey, &Distribution)> {
        AdoptionKey::ALL
            .into_iter()
            .filter_map(|k| self.overrides[k as usize].as_ref().map(|d| (k, d)))
    }
}

/// `[sectors.<name>]`.
#[derive(Debug, Clone)]
pub struct Sector {
    /// The table key.
    pub name: String,
    /// Human-readable name.
    pub label: String,
    /// beta_s: % sector revenue per % adoption (log-log).
    pub elasticity: Distribution,
    /// The delay before adoption acts on the sector.
    pub lag_years: Years,
    /// g_s: annual log revenue growth without any adoption change.
    pub drift: Distribution,
    /// sigma_s >= 0.
    pub volatility: Distribution,
}

/// The sectors' shock correlation matrix C and a factor L with L L' = C.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// C, row-major, S x S.
    pub matrix: Vec<f64>,
    /// Lower-triangular L, row-major, S x S.
    pub factor: Vec<f64>,
}

impl Correlation {
    /// The identity: independent sector shocks.
    pub fn identity(sectors: usize) -> Self {
        let mut matrix = vec![0.0; sectors * sectors];
        for i in 0..sectors {
            matrix[i * sectors + i] = 1.0;
        }
        Self {
            factor: matrix.clone(),
            matrix,
        }
    }
}

/// One `[[correlate]]` table (docs/model.md §2): uncertain parameters joined by a copula, each
/// keeping its own distribution exactly (parameter i takes F_i^-1(U_i)). A parameter sits in
/// at most one table; tables are independent of each other.
#[derive(Debug, Clone, PartialEq)]
pub struct CopulaTable {
    /// The correlated parameters, in the table's order.
    pub slots: Vec<Slot>,
    /// Their key paths.
    pub paths: Vec<String>,
    /// The copula.
    pub copula: crate::distribution::copula::Copula,
    /// How the table gives the dependence, `rho` (Spearman) or `tau` (Kendall), and the
    /// matrix in those terms (row-major, m x m).
    pub given: (&'static str, Vec<f64>),
}

/// `[groups.<name>]`.
#[derive(Debug, Clone)]
pub struct Group {
    /// The table key.
    pub name: String,
    /// Human-readable name.
    pub label: String,
    /// Indices into [`Model::assets`] of the group's assets.
    pub assets: Vec<usize>,
}

/// `[assets.<name>]`.
#[derive(Debug, Clone)]
pub struct Asset {
    /// The table key.
    pub name: String,
    /// Human-readable name.
    pub label: String,
    /// Index into [`Model::groups`].
    pub group: usize,
    /// (sector index, w_as): constant weights, each >= 0, summing to at most 1.
    pub exposure: Vec<(usize, f64)>,
    /// h_a: annual log growth of the business outside the sectors.
    pub other_growth: Distribution,
    /// pi_a: annual revenue growth the price already expects.
    pub priced_in: Distribution,
    /// mu_a: annual expected return when growth matches what is priced in.
    pub expected_return: Distribution,
    /// sigma_a >= 0: idiosyncratic volatility.
    pub volatility: Distribution,
    /// lambda_a >= 0: annual hazard of total loss.
    pub failure_rate: Distribution,
    /// omega_a > 0: weight inside the group.
    pub weight: f64,
    /// beta_a, |beta_a| <= 10: exposure to `[market]` (1 when absent; only with a market).
    pub beta: f64,
}

/// `[market]` (docs/model.md §3): X_M(t_j) = sum over i <= j of sigma_M sqrt(dt) z_i plus the
/// sizes of the N_i crashes of step i, N_i ~ Poisson(lambda_M dt), each normal(m, s). Every
/// asset's log price adds beta_a X_M(t) - c_a t.
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    /// sigma_M >= 0: annual volatility of the market's log-return.
    pub volatility: AnnualRate,
    /// lambda_M >= 0: crashes per year.
    pub crash_rate: AnnualRate,
    /// (m, s): the log-return of one crash is normal(m, s); (0, 0) without crashes.
    pub crash_size: (f64, f64),
}

impl Market {
    /// c_a = beta^2 sigma_M^2 / 2 + lambda_M (exp(beta m + beta^2 s^2 / 2) - 1): the drift
    /// that makes E[exp(beta X_M(t) - c_a t)] = 1, so the market adds risk and leaves the
    /// asset's expected growth as its expected_return says.
    pub fn compensator(&self, beta: f64) -> f64 {
        let (m, s) = self.crash_size;
        let jump = if self.crash_rate > 0.0 {
            self.crash_rate * libm::expm1(beta * m + beta * beta * s * s / 2.0)
        } else {
            0.0
        };
        beta * beta * self.volatility * self.volatility / 2.0 + jump
    }

    /// P(X_M(t) <= x): a Poisson mixture of normals, sum over k of Poisson(k; lambda t)
    /// Phi((x - k m) / sqrt(sigma^2 t + k s^2)) (k crashes by t), summed until the Poisson
    /// mass left is below 1e-16.
    pub fn log_return_cdf(&self, t: f64, x: f64) -> f64 {
        let (m, s) = self.crash_size;
        let rate = self.crash_rate * t;
        let mut term = libm::exp(-rate);
        let (mut total, mut mass) = (0.0, 0.0);
        for k in 0..10_000u32 {
            let kf = f64::from(k);
            let var = self.volatility * self.volatility * t + kf * s * s;
            let at = if var > 0.0 {
                crate::distribution::special::normal_cdf((x - kf * m) / var.sqrt())
            } else if x >= kf * m {
                1.0
            } else {
                0.0
            };
            total += term * at;
            mass += term;
            if rate == 0.0 || 1.0 - mass < 1e-16 {
                break;
            }
            term *= rate / (kf + 1.0);
        }
        total
    }

    /// The p-quantile of X_M(t): the CDF inverted by bisection (to 1e-13).
    pub fn log_return_quantile(&self, t: f64, p: f64) -> f64 {
        let (m, s) = self.crash_size;
        let spread = self.volatility * t.sqrt() + s * (1.0 + self.crash_rate * t).sqrt();
        let reach = 12.0 * spread + (m.abs() + 1.0) * (self.crash_rate * t + 12.0);
        let (mut lo, mut hi) = (-reach, reach);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.log_return_cdf(t, mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-13 {
                break;
            }
        }
        0.5 * (lo + hi)
    }

    /// The chance of at least one crash by t: 1 - exp(-lambda t).
    pub fn crash_chance(&self, t: f64) -> f64 {
        -libm::expm1(-self.crash_rate * t)
    }
}

impl Sector {
    /// The distribution-valued fields, in draw order.
    pub fn parameters(&self) -> [(&'static str, &Distribution); 3] {
        [
            ("elasticity", &self.elasticity),
            ("drift", &self.drift),
            ("volatility", &self.volatility),
        ]
    }
}

impl Asset {
    /// The distribution-valued fields, in draw order.
    pub fn parameters(&self) -> [(&'static str, &Distribution); 5] {
        [
            ("other_growth", &self.other_growth),
            ("priced_in", &self.priced_in),
            ("expected_return", &self.expected_return),
            ("volatility", &self.volatility),
            ("failure_rate", &self.failure_rate),
        ]
    }
}
