//! Model file loading: TOML text -> validated [`Model`], or every problem in the file.
//!
//! The text is parsed by the `toml` crate into its spanned document tree (`DeTable`), which
//! keeps the byte span of every key and value. We walk that tree rather than deriving
//! `Deserialize`, because serde stops at the first error while `check` must report them all,
//! each with the file, line, column, key path and a suggestion (docs/model.md §2).

mod assets;
mod copulas;
mod fields;
mod tables;

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::diagnostic::{Diagnostic, ModelError};
use super::source::{Override, Sources, assemble, collect};
use super::{
    Adoption, AdoptionKey, Asset, Baseline, CopulaTable, Correlation, Group, Market, Model,
    Process, Sector, Slot, steps,
};
use crate::distribution::Distribution;
use crate::spelling::suggest;

/// The most the market's compensator may move an asset's log price over the horizon,
/// |c_a| H: 700, inside the 709 of the largest 64-bit float's logarithm.
pub const MAX_COMPENSATION: f64 = 700.0;

/// The most characters of a label or description: shown in tables, chart keys and workbook
/// cells, where longer text is a pasted paragraph rather than a name.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// Larger grids are refused: T = round(H * k) above this is almost surely a typo, and the
/// adoption fan keeps T + 1 values per path.
pub const MAX_STEPS: usize = 10_000;

/// `[model].tail_loss_limit` when absent: the worst 5% of paths lose at most half on average.
pub const DEFAULT_TAIL_LOSS_LIMIT: f64 = 0.5;

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error(
        "cannot read model file {path}: {source}\n  help: check the path; `boomsim run` without a file runs the default model, models/python-5x.toml"
    )]
    Io {
        /// The path as given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid model.
    #[error("{0}")]
    Invalid(ModelError),
}

impl crate::exit::ExitStatus for LoadError {
    fn exit_code(&self) -> u8 {
        match self {
            LoadError::Io { .. } => crate::exit::FAILED,
            LoadError::Invalid(e) => e.exit_code(),
        }
    }
}

/// Reads and validates a model file, with `--set`/`--vary` overrides. Returns the model and
/// the bytes of every text it was assembled from (for the manifest's hash).
pub fn load_file(path: &Path, sets: &[Override]) -> Result<(Model, Vec<u8>), LoadError> {
    let bytes = crate::input::read(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let file = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        let mut sources = Sources::default();
        sources.add(&file, None, String::new());
        LoadError::Invalid(ModelError {
            file: file.clone(),
            sources,
            diagnostics: vec![Diagnostic {
                key: String::new(),
                message: format!(
                    "the file is not UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                ),
                help: Some("save the model file as UTF-8".into()),
                span: 0..0,
            }],
        })
    })?;
    parse_model_with(&text, &file, sets).map_err(LoadError::Invalid)
}

/// Validates model text; `file` names it in messages (and `extends` and `empirical` paths are
/// relative to its folder).
pub fn parse_model(text: &str, file: &str) -> Result<Model, ModelError> {
    parse_model_with(text, file, &[]).map(|(m, _)| m)
}

/// Validates model text with `--set`/`--vary` overrides (applied in order); returns the model
/// and the bytes of every text it was assembled from.
pub fn parse_model_with(
    text: &str,
    file: &str,
    sets: &[Override],
) -> Result<(Model, Vec<u8>), ModelError> {
    let mut sources = Sources::default();
    let mut problems = Vec::new();
    collect(&mut sources, text.to_string(), file, sets, &mut problems);
    let fail = |sources: Sources, mut diagnostics: Vec<Diagnostic>| {
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        diagnostics.dedup();
        ModelError {
            file: file.to_string(),
            sources,
            diagnostics,
        }
    };
    let tree = assemble(&sources, &mut problems);
    if !problems.is_empty() {
        return Err(fail(sources.clone(), problems));
    }
    let mut loader = Loader {
        sources: &sources,
        diagnostics: Vec::new(),
    };
    let root = Fields::of("", 0..0, &tree);
    let model = loader.model(&root);
    let diagnostics = loader.diagnostics;
    match model {
        Some(m) if diagnostics.is_empty() => {
            let bytes = sources.bytes();
            Ok((m, bytes))
        }
        _ => Err(fail(sources.clone(), diagnostics)),
    }
}

type Key<'i> = Spanned<DeString<'i>>;
type Value<'i> = Spanned<DeValue<'i>>;

/// One key = value of a table, with its full key path.
struct Field<'t, 'i> {
    path: String,
    key: &'t Key<'i>,
    value: &'t Value<'i>,
}

/// The entries of one table (or of a table merged over another, for `[baseline]`).
struct Fields<'t, 'i> {
    path: String,
    span: Range<usize>,
    entries: Vec<Field<'t, 'i>>,
}

impl<'t, 'i> Fields<'t, 'i> {
    fn of(path: &str, span: Range<usize>, table: &'t DeTable<'i>) -> Self {
        let entries = table
            .iter()
            .map(|(key, value)| Field {
                path: join(path, key.get_ref()),
                key,
                value,
            })
            .collect();
        Self {
            path: path.to_string(),
            span,
            entries,
        }
    }

    fn get(&self, key: &str) -> Option<&Field<'t, 'i>> {
        self.entries.iter().find(|f| f.key.get_ref() == key)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The valid range of a numeric field.
#[derive(Clone, Copy, PartialEq)]
enum Bound {
    Any,
    Positive,
    NonNegative,
    /// A share of the whole, 0 < x <= 1 (`tail_loss_limit`).
    Fraction,
}

impl Bound {
    fn holds(self, x: f64) -> bool {
        match self {
            Bound::Any => true,
            Bound::Positive => x > 0.0,
            Bound::NonNegative => x >= 0.0,
            Bound::Fraction => x > 0.0 && x <= 1.0,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Bound::Any => "any number",
            Bound::Positive => "> 0",
            Bound::NonNegative => ">= 0",
            Bound::Fraction => "a fraction in (0, 1]",
        }
    }
}

struct Loader<'s> {
    diagnostics: Vec<Diagnostic>,
    /// The texts: `empirical(...)` files are relative to the folder of the text naming them.
    sources: &'s Sources,
}

const TOP_KEYS: [&str; 10] = [
    "extends",
    "model",
    "adoption",
    "baseline",
    "sectors",
    "correlation",
    "market",
    "groups",
    "assets",
    "correlate",
];
const MARKET_KEYS: [&str; 3] = ["volatility", "crash_rate", "crash_size"];
/// The largest |beta| of an asset: beyond it a market move of a few per cent is a total loss
/// or an astronomical gain, almost surely a typo.
pub const MAX_BETA: f64 = 10.0;
const CORRELATE_KEYS: [&str; 6] = ["params", "rho", "tau", "copula", "df", "flip"];
const COPULAS: [&str; 4] = ["gaussian", "t", "clayton", "gumbel"];
const MODEL_KEYS: [&str; 7] = [
    "name",
    "description",
    "horizon_years",
    "steps_per_year",
    "risk_free_rate",
    "expected_return",
    "tail_loss_limit",
];
const ADOPTION_KEYS: [&str; 7] = [
    "process",
    "ceiling",
    "rate",
    "p",
    "q",
    "log_drift",
    "volatility",
];
const SECTOR_KEYS: [&str; 5] = ["label", "elasticity", "lag_years", "drift", "volatility"];
const CORRELATION_KEYS: [&str; 2] = ["default", "pairs"];
const PAIR_KEYS: [&str; 3] = ["a", "b", "rho"];
const GROUP_KEYS: [&str; 1] = ["label"];
const ASSET_KEYS: [&str; 10] = [
    "label",
    "group",
    "exposure",
    "other_growth",
    "priced_in",
    "expected_return",
    "volatility",
    "failure_rate",
    "weight",
    "beta",
];

impl Loader<'_> {
    fn error(&mut self, key: &str, span: Range<usize>, message: String, help: Option<String>) {
        self.diagnostics.push(Diagnostic {
            key: key.to_string(),
            message,
            help,
            span,
        });
    }

    fn model(&mut self, root: &Fields) -> Option<Model> {
        // `extends` inside a table was not followed, so every key the base would have given is
        // missing: say that, and nothing else (the rest would follow from it).
        if root.get("extends").is_none() {
            for table in &root.entries {
                let DeValue::Table(t) = table.value.get_ref() else {
                    continue;
                };
                if let Some((key, value)) = t.iter().find(|(k, _)| k.get_ref() == "extends") {
                    self.error(
                        &join(&table.path, "extends"),
                        key.span().start..value.span().end,
                        format!(
                            "`extends` is written under [{}], so the file it names was not read",
                            table.path
                        ),
                        Some(format!(
                            "move `extends = ...` to the top of the file, above [{}] and every other table",
                            table.path
                        )),
                    );
                    return None;
                }
            }
        }
        self.allow_keys(root, &TOP_KEYS, "top-level tables");
        let header = self.table(root, "model", true);
        let adoption_fields = self.table(root, "adoption", true);
        let baseline_fields = self.table(root, "baseline", false);
        let sector_tables = self.table(root, "sectors", true);
        let correlation_fields = self.table(root, "correlation", false);
        let market_fields = self.table(root, "market", false);
        let group_tables = self.table(root, "groups", true);
        let asset_tables = self.table(root, "assets", true);

        let settings = header.as_ref().and_then(|h| self.settings(h));
        let adoption = adoption_fields
            .as_ref()
            .and_then(|a| self.adoption(a, "adoption"));
        let baseline = match (&baseline_fields, &adoption_fields, &adoption) {
            (Some(b), Some(a), Some(adoption)) => self.baseline(b, a, adoption),
            _ => None,
        };
        let sectors = sector_tables
            .as_ref()
            .map(|t| self.sectors(t))
            .unwrap_or_default();
        // Every sector table is a name others may refer to, valid or not, so one bad sector
        // does not also make each reference to it an error.
        let sector_names: Vec<&str> = sectors.iter().map(|(name, _)| name.as_str()).collect();
        let correlation = match &correlation_fields {
            Some(c) => self.correlation(c, &sector_names),
            None => Some(Correlation::identity(sectors.len())),
        };
        let mut groups = group_tables
            .as_ref()
            .map(|t| self.groups(t))
            .unwrap_or_default();
        let market = market_fields.as_ref().map(|m| self.market(m));
        let assets = asset_tables
            .as_ref()
            .map(|t| {
                self.assets(
                    t,
                    &sector_names,
                    &groups,
                    settings.as_ref().map_or(0.0, |s| s.expected_return),
                    market_fields.is_some(),
                )
            })
            .unwrap_or_default();
        let mut referenced = vec![false; groups.len()];
        for (group, _) in &assets {
            if let Some(g) = group {
                referenced[*g] = true;
            }
        }
        // An asset whose group is unknown may have meant any group: no "empty group" then.
        if assets.iter().all(|(group, _)| group.is_some()) {
            for ((group, span), used) in groups.iter().zip(&referenced) {
                if !used {
                    self.error(
                        &format!("groups.{}", group.name),
                        span.clone(),
                        format!("group `{}` has no assets", group.name),
                        Some(format!(
                            "add an asset with group = \"{}\", or remove the group",
                            group.name
                        )),
                    );
                }
            }
        }
        if let (Some(t), true) = (&sector_tables, sectors.is_empty()) {
            self.at_least_one(t, "sector", "[sectors.ml_ai]\nelasticity = 1.4");
        }
        if let (Some(t), true) = (&group_tables, groups.is_empty()) {
            self.at_least_one(t, "group", "[groups.public_equities]");
        }
        if let (Some(t), true) = (&asset_tables, assets.is_empty()) {
            self.at_least_one(t, "asset", "[assets.nvidia]\ngroup = \"public_equities\"");
        }
        let sectors: Vec<Sector> = sectors.into_iter().map(|(_, s)| s).collect::<Option<_>>()?;
        let assets: Vec<Asset> = assets.into_iter().map(|(_, a)| a).collect::<Option<_>>()?;
        if let Some(t) = &sector_tables {
            self.exposed(t, &sectors, &assets);
        }
        for (i, asset) in assets.iter().enumerate() {
            groups[asset.group].0.assets.push(i);
        }
        let settings = settings?;
        let mut model = Model {
            name: settings.name,
            description: settings.description,
            horizon_years: settings.horizon_years,
            steps_per_year: settings.steps_per_year,
            risk_free_rate: settings.risk_free_rate,
            expected_return: settings.expected_return,
            tail_loss_limit: settings.tail_loss_limit,
            adoption: adoption?,
            baseline,
            sectors,
            correlation: correlation?,
            groups: groups.into_iter().map(|(g, _)| g).collect(),
            assets,
            copulas: Vec::new(),
            market: match market {
                Some(m) => Some(m?),
                None => None,
            },
        };
        if let (Some(market), Some(fields)) = (&model.market, &market_fields) {
            let horizon = model.steps() as f64 * model.dt();
            self.compensated(market, fields, &model.assets, horizon)?;
        }
        if let Some(f) = root.get("correlate") {
            model.copulas = self.copulas(f, &model)?;
        }
        Some(model)
    }
}

struct Settings {
    name: String,
    description: Option<String>,
    horizon_years: f64,
    steps_per_year: u32,
    risk_free_rate: f64,
    expected_return: f64,
    tail_loss_limit: f64,
}

pub use crate::distribution::copula::cholesky_psd;

/// A value rounded to four decimals, for a matrix a user pastes.
fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4 + 0.0
}
