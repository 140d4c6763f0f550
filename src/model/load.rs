//! Model file loading: TOML text -> validated [`Model`], or every problem in the file.
//!
//! The text is parsed by the `toml` crate into its spanned document tree (`DeTable`), which
//! keeps the byte span of every key and value. We walk that tree rather than deriving
//! `Deserialize`, because serde stops at the first error while `check` must report them all,
//! each with the file, line, column, key path and a suggestion (docs/model.md §2).

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

    /// `[[correlate]]` tables: each `params = [...]` with a copula (`copula`, default
    /// gaussian), its dependence (`rho` or `tau`, one number or a matrix), `df` for a t copula
    /// and `flip`; a parameter in at most one table.
    fn copulas(&mut self, f: &Field, model: &Model) -> Option<Vec<CopulaTable>> {
        let example = "[[correlate]]\nparams = [\"sectors.ml_ai.elasticity\", \"sectors.cloud_infra.elasticity\"]\nrho = 0.6";
        let DeValue::Array(items) = f.value.get_ref() else {
            self.error(
                &f.path,
                f.value.span(),
                "`correlate` must be an array of tables".into(),
                Some(format!("write each as\n{example}")),
            );
            return None;
        };
        let mut tables = Vec::new();
        let mut seen: Vec<(String, usize)> = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("correlate[{i}]");
            let DeValue::Table(t) = item.get_ref() else {
                self.error(
                    &path,
                    item.span(),
                    "each `correlate` entry must be a table".into(),
                    Some(format!("write\n{example}")),
                );
                ok = false;
                continue;
            };
            let table = Fields::of(&path, item.span(), t);
            match self.copula_table(&table, model, example) {
                Some(t) => {
                    for (k, name) in t.paths.iter().enumerate() {
                        if let Some((_, before)) = seen.iter().find(|(n, _)| n == name) {
                            let span = table
                                .get("params")
                                .and_then(|p| match p.value.get_ref() {
                                    DeValue::Array(a) => a.get(k).map(|v| v.span()),
                                    _ => None,
                                })
                                .unwrap_or(item.span());
                            self.error(
                                &format!("{path}.params"),
                                span,
                                format!("`{name}` is already in [[correlate]] table {before}"),
                                Some("a parameter sits in at most one table: join the two tables' parameters in one table (a matrix of rho or tau), or drop it from one".into()),
                            );
                            ok = false;
                        } else {
                            seen.push((name.clone(), i));
                        }
                    }
                    tables.push(t);
                }
                None => ok = false,
            }
        }
        ok.then_some(tables)
    }

    /// One `[[correlate]]` table.
    fn copula_table(
        &mut self,
        table: &Fields,
        model: &Model,
        example: &str,
    ) -> Option<CopulaTable> {
        use crate::distribution::copula::{Copula, Family, nearest_correlation};
        self.allow_keys(table, &CORRELATE_KEYS, "keys of a [[correlate]] table");
        let uncertain = model.uncertain_parameters();
        let names: Vec<&str> = uncertain
            .iter()
            .filter(|p| !matches!(p.slot, Slot::Baseline(_)))
            .map(|p| p.path.as_str())
            .collect();
        // The parameters.
        let Some(pf) = table.get("params") else {
            self.missing(
                table,
                "params",
                "[\"sectors.ml_ai.elasticity\", \"sectors.cloud_infra.elasticity\"]",
            );
            return None;
        };
        let DeValue::Array(list) = pf.value.get_ref() else {
            self.error(
                &pf.path,
                pf.value.span(),
                "`params` must be an array of key paths".into(),
                Some(format!("write\n{example}")),
            );
            return None;
        };
        let mut members: Vec<usize> = Vec::new(); // indices into `uncertain`
        let mut ok = true;
        for item in list.iter() {
            let DeValue::String(name) = item.get_ref() else {
                self.error(
                    &pf.path,
                    item.span(),
                    "each parameter must be a key path string".into(),
                    Some(format!("write\n{example}")),
                );
                ok = false;
                continue;
            };
            let found = uncertain
                .iter()
                .position(|p| p.path == name.as_ref() && !matches!(p.slot, Slot::Baseline(_)));
            match found {
                Some(k) if members.contains(&k) => {
                    self.error(
                        &pf.path,
                        item.span(),
                        format!("`{name}` is listed twice"),
                        Some("list each parameter once".into()),
                    );
                    ok = false;
                }
                Some(k) => members.push(k),
                None => {
                    let constant = model.parameters().iter().any(|p| p.path == name.as_ref());
                    let (message, help) = if constant {
                        (
                            format!("`{name}` is a constant, so there is nothing to correlate"),
                            "give it a distribution first, e.g. \"0.3 to 0.9\"".to_string(),
                        )
                    } else if name.starts_with("baseline.") {
                        (
                            format!(
                                "`{name}` is a baseline override; baseline draws cannot be correlated"
                            ),
                            "correlate the boom's parameters instead".to_string(),
                        )
                    } else {
                        (
                            format!("`{name}` is not an uncertain parameter of this model"),
                            suggest(name, "parameters", &names),
                        )
                    };
                    self.error(&pf.path, item.span(), message, Some(help));
                    ok = false;
                }
            }
        }
        if members.len() < 2 && ok {
            self.error(
                &pf.path,
                pf.value.span(),
                "`params` needs at least two parameters".into(),
                Some(format!("write\n{example}")),
            );
            return None;
        }
        let m = members.len();
        // The copula.
        let family_name = match table.get("copula") {
            None => "gaussian".to_string(),
            Some(f) => match self.string(table, "copula") {
                Some(c) if COPULAS.contains(&c.as_str()) => c,
                Some(c) => {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!("unknown copula `{c}`"),
                        Some(suggest(&c, "copulas", &COPULAS)),
                    );
                    return None;
                }
                None => return None,
            },
        };
        let exchangeable = family_name == "clayton" || family_name == "gumbel";
        // df, for t only.
        let df = match (table.get("df"), family_name.as_str()) {
            (Some(f), "t") => {
                let df = self.constant(table, "df", None, Bound::Positive, "4")?;
                if df < 1.0 {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!(
                            "a t copula's `df` must be >= 1, got {}",
                            crate::number::shown(df)
                        ),
                        Some(
                            "use df = 3 to 10 for joint extremes; a larger df is nearly Gaussian"
                                .into(),
                        ),
                    );
                    return None;
                }
                Some(df)
            }
            (None, "t") => {
                self.missing(table, "df", "4");
                return None;
            }
            (Some(f), _) => {
                self.error(
                    &f.path,
                    f.key.span(),
                    format!("`df` is a t copula's degrees of freedom, and this table's copula is {family_name}"),
                    Some("remove `df`, or write copula = \"t\"".into()),
                );
                return None;
            }
            (None, _) => None,
        };
        // The dependence: rho or tau, one number or a matrix.
        let (term, field) = match (table.get("rho"), table.get("tau")) {
            (Some(_), Some(f)) => {
                self.error(
                    &f.path,
                    f.key.span(),
                    "give `rho` or `tau`, not both".into(),
                    Some("rho is Spearman's rank correlation, tau Kendall's; keep one".into()),
                );
                return None;
            }
            (Some(f), None) => ("rho", f),
            (None, Some(f)) => ("tau", f),
            (None, None) => {
                self.missing(
                    table,
                    if family_name == "gaussian" {
                        "rho"
                    } else {
                        "tau"
                    },
                    "0.6",
                );
                return None;
            }
        };
        if term == "rho" && family_name != "gaussian" {
            self.error(
                &field.path,
                field.key.span(),
                format!("a {family_name} copula is given by `tau` (Kendall's rank correlation), not `rho`"),
                Some("write tau = ... (for a rank correlation rho, tau is about 2/3 rho)".into()),
            );
            return None;
        }
        let (lo, hi, open_lo) = if exchangeable {
            (0.0, 1.0, true)
        } else if term == "tau" {
            (-1.0, 1.0, true)
        } else {
            (-1.0, 1.0, false)
        };
        let matrix = self.dependence_matrix(field, m, (lo, hi, open_lo), exchangeable)?;
        if !ok {
            return None;
        }
        // The Gaussian and t correlation matrix, in terms of the normals.
        let to_normal = |v: f64| {
            if term == "rho" {
                2.0 * libm::sin(std::f64::consts::PI * v / 6.0)
            } else {
                libm::sin(std::f64::consts::PI * v / 2.0)
            }
        };
        let from_normal = |r: f64| {
            if term == "rho" {
                6.0 / std::f64::consts::PI * libm::asin(r / 2.0)
            } else {
                2.0 / std::f64::consts::PI * libm::asin(r)
            }
        };
        let (family, correlation, factor) = match family_name.as_str() {
            "clayton" | "gumbel" => {
                let tau = matrix[1];
                let family = if family_name == "clayton" {
                    Family::Clayton {
                        theta: 2.0 * tau / (1.0 - tau),
                    }
                } else {
                    Family::Gumbel {
                        theta: 1.0 / (1.0 - tau),
                    }
                };
                let identity: Vec<f64> = (0..m * m)
                    .map(|k| if k % (m + 1) == 0 { 1.0 } else { 0.0 })
                    .collect();
                (family, identity.clone(), identity)
            }
            _ => {
                let normal: Vec<f64> = matrix
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| if k % (m + 1) == 0 { 1.0 } else { to_normal(v) })
                    .collect();
                let Some(factor) = cholesky_psd(&normal, m) else {
                    // The nearest valid matrix, in the user's terms, ready to paste.
                    let near = nearest_correlation(&normal, m);
                    let repaired: Vec<f64> = near
                        .iter()
                        .enumerate()
                        .map(|(k, &r)| {
                            if k % (m + 1) == 0 {
                                1.0
                            } else {
                                round4(from_normal(r))
                            }
                        })
                        .collect();
                    let rows: Vec<String> = repaired
                        .chunks(m)
                        .map(|row| {
                            let cells: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
                            format!("[{}]", cells.join(", "))
                        })
                        .collect();
                    let mut moved = Vec::new();
                    let paths: Vec<&str> = members
                        .iter()
                        .map(|&k| uncertain[k].path.as_str())
                        .collect();
                    for a in 0..m {
                        for b in a + 1..m {
                            let (was, now) = (matrix[a * m + b], repaired[a * m + b]);
                            if (was - now).abs() >= 5e-5 {
                                moved.push(format!(
                                    "{} ~ {}: {was} -> {now} ({:+.4})",
                                    paths[a],
                                    paths[b],
                                    now - was
                                ));
                            }
                        }
                    }
                    self.error(
                        &field.path,
                        field.value.span(),
                        format!("these {term} values are not consistent: no joint distribution has them (their correlation matrix is not positive semi-definite)"),
                        Some(format!(
                            "the nearest valid matrix (Higham's nearest correlation matrix), ready to paste:\n{term} = [{}]\n  each entry moved: {}",
                            rows.join(", "),
                            moved.join("; ")
                        )),
                    );
                    return None;
                };
                let family = match df {
                    Some(df) => Family::StudentT { df },
                    None => Family::Gaussian,
                };
                (family, normal, factor)
            }
        };
        let paths: Vec<String> = members.iter().map(|&k| uncertain[k].path.clone()).collect();
        let mut copula = Copula::new(family, correlation, factor, m);
        if let Some(f) = table.get("flip") {
            copula.flip = self.flips(f, &paths)?;
        }
        Some(CopulaTable {
            slots: members.iter().map(|&k| uncertain[k].slot).collect(),
            paths,
            copula,
            given: (if term == "rho" { "rho" } else { "tau" }, matrix),
        })
    }

    /// `rho` or `tau` of a table of `m` parameters: one number for every pair, or an m x m
    /// matrix (symmetric, 1 on the diagonal); every pair's value within (lo, hi) (or [lo, hi]
    /// when not `open`). Exchangeable copulas take one number. Row-major, 1 on the diagonal.
    fn dependence_matrix(
        &mut self,
        f: &Field,
        m: usize,
        (lo, hi, open): (f64, f64, bool),
        exchangeable: bool,
    ) -> Option<Vec<f64>> {
        let key = f.key.get_ref().to_string();
        let in_range = |v: f64| {
            if open {
                v > lo && v < hi
            } else {
                v >= lo && v <= hi
            }
        };
        let range = if open {
            format!("between {lo} and {hi} (not at either end)")
        } else {
            format!("within [{lo}, {hi}]")
        };
        let mut out = vec![0.0; m * m];
        match f.value.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) => {
                let v = self.number_value(f).ok()?;
                if !in_range(v) {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!("`{key}` must lie {range}, got {}", crate::number::shown(v)),
                        Some(if exchangeable {
                            "Clayton and Gumbel copulas join parameters that rise (or fall) together: tau above 0; for tau below 0 use copula = \"gaussian\" or \"t\", or `flip`".into()
                        } else {
                            format!("use a value {range}")
                        }),
                    );
                    return None;
                }
                for a in 0..m {
                    for b in 0..m {
                        out[a * m + b] = if a == b { 1.0 } else { v };
                    }
                }
                Some(out)
            }
            DeValue::Array(rows) => {
                if exchangeable {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!("a Clayton or Gumbel copula is exchangeable: one `{key}` for every pair, not a matrix"),
                        Some(format!("write {key} = 0.5, or use copula = \"t\" (or gaussian) for a matrix")),
                    );
                    return None;
                }
                let shape = format!(
                    "{m} rows of {m} numbers (one per parameter of `params`), 1 on the diagonal"
                );
                if rows.len() != m {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!(
                            "`{key}` has {} rows; the table has {m} parameters",
                            rows.len()
                        ),
                        Some(format!("give {shape}")),
                    );
                    return None;
                }
                for (a, row) in rows.iter().enumerate() {
                    let DeValue::Array(cells) = row.get_ref() else {
                        self.error(
                            &f.path,
                            row.span(),
                            format!("row {} of `{key}` is not an array", a + 1),
                            Some(format!("give {shape}")),
                        );
                        return None;
                    };
                    if cells.len() != m {
                        self.error(
                            &f.path,
                            row.span(),
                            format!(
                                "row {} of `{key}` has {} numbers, not {m}",
                                a + 1,
                                cells.len()
                            ),
                            Some(format!("give {shape}")),
                        );
                        return None;
                    }
                    for (b, cell) in cells.iter().enumerate() {
                        let v = match cell.get_ref() {
                            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                                .ok()
                                .map(|v| v as f64),
                            DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
                            _ => None,
                        };
                        let Some(v) = v.filter(|v| v.is_finite()) else {
                            self.error(
                                &f.path,
                                cell.span(),
                                format!("`{key}` holds something other than a finite number"),
                                Some(format!("give {shape}")),
                            );
                            return None;
                        };
                        let fine = if a == b { v == 1.0 } else { in_range(v) };
                        if !fine {
                            let message = if a == b {
                                format!(
                                    "the diagonal of `{key}` must be 1, got {}",
                                    crate::number::shown(v)
                                )
                            } else {
                                format!("`{key}` must lie {range}, got {}", crate::number::shown(v))
                            };
                            self.error(
                                &f.path,
                                cell.span(),
                                message,
                                Some(format!("give {shape}")),
                            );
                            return None;
                        }
                        out[a * m + b] = v;
                    }
                }
                for a in 0..m {
                    for b in a + 1..m {
                        if out[a * m + b] != out[b * m + a] {
                            self.error(
                                &f.path,
                                f.value.span(),
                                format!("`{key}` is not symmetric: row {} column {} is {}, row {} column {} is {}", a + 1, b + 1, out[a * m + b], b + 1, a + 1, out[b * m + a]),
                                Some("the dependence of a on b is that of b on a: make the matrix symmetric".into()),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`{key}` must be a number or a matrix, not a {}",
                        other.type_str()
                    ),
                    Some(format!("write {key} = 0.5")),
                );
                None
            }
        }
    }

    /// `flip = [...]`: which of the table's parameters take 1 - U.
    fn flips(&mut self, f: &Field, paths: &[String]) -> Option<Vec<bool>> {
        let DeValue::Array(list) = f.value.get_ref() else {
            self.error(
                &f.path,
                f.value.span(),
                "`flip` must be an array of key paths".into(),
                Some("write flip = [\"assets.nvidia.priced_in\"]".into()),
            );
            return None;
        };
        let mut flip = vec![false; paths.len()];
        let names: Vec<&str> = paths.iter().map(String::as_str).collect();
        for item in list.iter() {
            let DeValue::String(name) = item.get_ref() else {
                self.error(
                    &f.path,
                    item.span(),
                    "each entry of `flip` must be a key path string".into(),
                    None,
                );
                return None;
            };
            match paths.iter().position(|p| p == name.as_ref()) {
                Some(k) => flip[k] = true,
                None => {
                    self.error(
                        &f.path,
                        item.span(),
                        format!("`{name}` is not among this table's `params`"),
                        Some(suggest(name, "parameters of this table", &names)),
                    );
                    return None;
                }
            }
        }
        Some(flip)
    }

    fn at_least_one(&mut self, t: &Fields, what: &str, example: &str) {
        self.error(
            &t.path,
            t.span.clone(),
            format!("the model needs at least one {what}"),
            Some(format!("add a table such as\n{example}")),
        );
    }

    fn allow_keys(&mut self, fields: &Fields, allowed: &[&str], what: &str) {
        for f in &fields.entries {
            let name = f.key.get_ref();
            if !allowed.contains(&name.as_ref()) {
                self.error(
                    &f.path,
                    f.key.span(),
                    format!("unknown key `{name}`"),
                    Some(suggest(name, what, allowed)),
                );
            }
        }
    }

    /// A sub-table; `None` (with an error when `required`) when absent or not a table.
    fn table<'t, 'i>(
        &mut self,
        parent: &Fields<'t, 'i>,
        key: &str,
        required: bool,
    ) -> Option<Fields<'t, 'i>> {
        let Some(f) = parent.get(key) else {
            if required {
                self.error(
                    &join(&parent.path, key),
                    parent.span.clone(),
                    format!("missing table [{}]", join(&parent.path, key)),
                    Some(format!(
                        "add a [{}] table (`boomsim init` writes a complete model to start from; docs/model.md lists every table)",
                        join(&parent.path, key)
                    )),
                );
            }
            return None;
        };
        self.as_table(f)
    }

    fn as_table<'t, 'i>(&mut self, f: &Field<'t, 'i>) -> Option<Fields<'t, 'i>> {
        match f.value.get_ref() {
            DeValue::Table(t) => Some(Fields::of(&f.path, f.value.span(), t)),
            other => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!("`{}` must be a table, not a {}", f.path, other.type_str()),
                    Some(format!("write it as [{}] with keys below it", f.path)),
                );
                None
            }
        }
    }

    /// Every entry of a table of tables (`[sectors.x]`, `[groups.x]`, `[assets.x]`).
    fn tables<'t, 'i>(&mut self, parent: &Fields<'t, 'i>) -> Vec<Fields<'t, 'i>> {
        parent
            .entries
            .iter()
            .filter_map(|f| self.as_table(f))
            .collect()
    }

    fn missing(&mut self, fields: &Fields, key: &str, example: &str) {
        self.error(
            &join(&fields.path, key),
            fields.span.clone(),
            format!("missing key `{key}` in [{}]", fields.path),
            Some(format!("add `{key} = {example}`")),
        );
    }

    fn string(&mut self, fields: &Fields, key: &str) -> Option<String> {
        let f = fields.get(key)?;
        match f.value.get_ref() {
            DeValue::String(s) if s.chars().count() > MAX_TEXT_CHARS => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`{key}` is {} characters long; labels and descriptions may have at most {MAX_TEXT_CHARS}",
                        s.chars().count()
                    ),
                    Some("shorten it: it is shown in tables, charts and the workbook (a spreadsheet cell holds at most 32,767 characters)".into()),
                );
                None
            }
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!("`{key}` must be a string, not a {}", other.type_str()),
                    Some(format!("write `{key} = \"...\"`")),
                );
                None
            }
        }
    }

    /// A TOML number as f64; errors name the field.
    fn number_value(&mut self, f: &Field) -> Result<f64, ()> {
        let parsed = match f.value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map(|v| v as f64)
                .ok(),
            DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
            _ => return Err(()),
        };
        match parsed {
            Some(v) if v.is_finite() => Ok(v),
            _ => {
                self.error(
                    &f.path,
                    f.value.span(),
                    "every number must be finite".into(),
                    Some("write a finite number such as 0.3".into()),
                );
                Err(())
            }
        }
    }

    fn check_bound(&mut self, f: &Field, v: f64, bound: Bound) -> Option<f64> {
        if bound.holds(v) {
            Some(v)
        } else {
            let key = f.key.get_ref();
            // A fraction written as a percent (50 for 0.5) gets the fraction it meant.
            let help = match bound {
                Bound::Fraction if v > 1.0 && v <= 100.0 => format!(
                    "`{key}` is a fraction, not a percent: did you mean `{key} = {}`?",
                    v / 100.0
                ),
                _ => format!("set `{key}` to a number {}", bound.text()),
            };
            self.error(
                &f.path,
                f.value.span(),
                format!(
                    "`{key}` must be {}, got {}",
                    bound.text(),
                    crate::number::shown(v)
                ),
                Some(help),
            );
            None
        }
    }

    /// A constant numeric field (distributions not allowed).
    fn constant(
        &mut self,
        fields: &Fields,
        key: &str,
        default: Option<f64>,
        bound: Bound,
        example: &str,
    ) -> Option<f64> {
        let f = match self.field_or_default(fields, key, default, example) {
            Ok(f) => f,
            Err(default) => return default,
        };
        if matches!(f.value.get_ref(), DeValue::Integer(_) | DeValue::Float(_)) {
            let v = self.number_value(f).ok()?;
            return self.check_bound(f, v, bound);
        }
        let help = if matches!(f.value.get_ref(), DeValue::String(_)) {
            format!(
                "`{key}` is a constant: write a number such as `{key} = {example}`, without quotes"
            )
        } else {
            format!("write `{key} = {example}`")
        };
        self.error(
            &f.path,
            f.value.span(),
            format!(
                "`{key}` must be a number, not a {}",
                f.value.get_ref().type_str()
            ),
            Some(help),
        );
        None
    }

    /// A numeric field that may be a distribution string (docs/model.md §2).
    fn param(
        &mut self,
        fields: &Fields,
        key: &str,
        default: Option<f64>,
        bound: Bound,
        example: &str,
    ) -> Option<Distribution> {
        match self.field_or_default(fields, key, default, example) {
            Ok(f) => self.param_value(f, bound, example),
            Err(default) => {
                default.map(|v| Distribution::constant(v).expect("defaults are in range"))
            }
        }
    }

    /// The field `key`; when absent, `Err` with its default (and an error when it has none).
    fn field_or_default<'f, 't, 'i>(
        &mut self,
        fields: &'f Fields<'t, 'i>,
        key: &str,
        default: Option<f64>,
        example: &str,
    ) -> Result<&'f Field<'t, 'i>, Option<f64>> {
        fields.get(key).ok_or_else(|| {
            if default.is_none() {
                self.missing(fields, key, example);
            }
            default
        })
    }

    fn param_value(&mut self, f: &Field, bound: Bound, example: &str) -> Option<Distribution> {
        let key = f.key.get_ref();
        let d = match f.value.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) => {
                let v = self.number_value(f).ok()?;
                let v = self.check_bound(f, v, bound)?;
                return match Distribution::constant(v) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        self.error(&f.path, f.value.span(), e.message, Some(e.help));
                        None
                    }
                };
            }
            DeValue::String(s) => match Distribution::parse_in(
                s,
                self.sources
                    .text_at(f.value.span().start)
                    .and_then(|t| t.dir.as_deref()),
            ) {
                Ok(d) => d,
                Err(e) => {
                    self.error(&f.path, f.value.span(), e.message, Some(e.help));
                    return None;
                }
            },
            other => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`{key}` must be a number or a distribution string, not a {}",
                        other.type_str()
                    ),
                    Some(format!("write `{key} = {example}`")),
                );
                return None;
            }
        };
        if d.is_constant() {
            return self.check_bound(f, d.quantile(0.5), bound).map(|_| d);
        }
        let (lo, hi) = d.support();
        let ok = match bound {
            Bound::Any => true,
            Bound::Positive => lo > 0.0 || (lo == 0.0 && d.lower_end_open()),
            Bound::NonNegative => lo >= 0.0,
            Bound::Fraction => lo > 0.0 && hi <= 1.0,
        };
        if ok {
            return Some(d);
        }
        let (what, help) = if bound == Bound::Positive {
            (
                "<= 0",
                "use a distribution that stays above 0: \"lognormal(mu, sigma)\", \"gamma(shape, scale)\", or \"A to B\" with 0 < A",
            )
        } else {
            (
                "< 0",
                "use a distribution that stays at or above 0: \"lognormal(mu, sigma)\", \"A to B\" with 0 < A, or restrict it with `in [0, 1]`, e.g. \"normal(0.2, 0.1) in [0, 1]\"",
            )
        };
        self.error(
            &f.path,
            f.value.span(),
            format!(
                "`{}` can draw values {what}, but `{key}` must be {}",
                d.text(),
                bound.text()
            ),
            Some(help.into()),
        );
        None
    }

    fn settings(&mut self, h: &Fields) -> Option<Settings> {
        self.allow_keys(h, &MODEL_KEYS, "keys of [model]");
        let name = match self.string(h, "name") {
            Some(n) => {
                let valid = !n.is_empty()
                    && !n.starts_with('.')
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !valid {
                    let f = h.get("name").expect("read above");
                    let fixed: String = n
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                                c
                            } else {
                                '-'
                            }
                        })
                        .collect();
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!(
                            "`name` becomes the output folder name, and `{n}` is not a valid one"
                        ),
                        Some(format!(
                            "use letters, digits, `-`, `_` and `.` only, e.g. \"{}\"",
                            fixed.trim_start_matches('.')
                        )),
                    );
                    None
                } else {
                    Some(n)
                }
            }
            None => {
                if h.get("name").is_none() {
                    self.missing(h, "name", "\"python-5x\"");
                }
                None
            }
        };
        let description = self.string(h, "description");
        let horizon = self.constant(h, "horizon_years", None, Bound::Positive, "10");
        let k = self.constant(h, "steps_per_year", None, Bound::Positive, "4");
        let steps_per_year = match (k, h.get("steps_per_year")) {
            (Some(k), Some(f)) if k.fract() != 0.0 || k > f64::from(u32::MAX) => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`steps_per_year` must be a whole number >= 1, got {}",
                        crate::number::shown(k)
                    ),
                    Some("use 1 (yearly), 4 (quarterly), 12 (monthly) or 52 (weekly)".into()),
                );
                None
            }
            (Some(k), _) => Some(k as u32),
            _ => None,
        };
        if let (Some(h_years), Some(k)) = (horizon, steps_per_year) {
            let t = steps(h_years, k);
            // Blame horizon_years, unless steps_per_year comes from a later text (a `--set`
            // after the file, a file after the one it extends): the one the user just changed.
            let text_of = |f: &Field| self.sources.text_at(f.value.span().start).map(|t| t.start);
            let blamed = match (h.get("horizon_years"), h.get("steps_per_year")) {
                (Some(hf), Some(kf)) if text_of(kf) > text_of(hf) => Some(kf),
                (Some(hf), _) => Some(hf),
                (None, kf) => kf,
            };
            if let (true, Some(f)) = (t == 0 || t > MAX_STEPS, blamed) {
                let help = if t == 0 {
                    "lengthen horizon_years or raise steps_per_year so that their product is at least 0.5"
                } else {
                    "shorten horizon_years or lower steps_per_year (e.g. 4 for quarterly steps)"
                };
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "the grid has T = round(horizon_years * steps_per_year) = {t} steps; it must have 1 to {MAX_STEPS}"
                    ),
                    Some(help.into()),
                );
                return None;
            }
        }
        let risk_free_rate = self.constant(h, "risk_free_rate", Some(0.0), Bound::Any, "0.03");
        let expected_return = self.constant(h, "expected_return", Some(0.0), Bound::Any, "0.07");
        let tail_loss_limit = self.constant(
            h,
            "tail_loss_limit",
            Some(DEFAULT_TAIL_LOSS_LIMIT),
            Bound::Fraction,
            "0.5",
        );
        Some(Settings {
            name: name?,
            description,
            horizon_years: horizon?,
            steps_per_year: steps_per_year?,
            risk_free_rate: risk_free_rate?,
            expected_return: expected_return?,
            tail_loss_limit: tail_loss_limit?,
        })
    }

    /// Every sector must move some asset: a sector no asset lists in its `exposure` changes
    /// no number of the run, so it is most likely a typo'd name (`[sectors.ml_ia]` in a file
    /// that extends a model with `ml_ai`).
    fn exposed(&mut self, tables: &Fields, sectors: &[Sector], assets: &[Asset]) {
        let names: Vec<&str> = sectors.iter().map(|s| s.name.as_str()).collect();
        for (i, name) in names.iter().enumerate() {
            if assets
                .iter()
                .any(|a| a.exposure.iter().any(|(s, _)| *s == i))
            {
                continue;
            }
            let Some(f) = tables.get(name) else { continue };
            let others: Vec<&str> = names.iter().copied().filter(|n| n != name).collect();
            let help = match crate::spelling::closest(name, others.iter().copied()) {
                Some(c) => format!(
                    "did you mean `{c}`? (rename the table) Otherwise add `{name}` to an asset's exposure, or remove the sector"
                ),
                None => format!("add `{name}` to an asset's exposure, or remove the sector"),
            };
            self.error(
                &f.path,
                f.key.span(),
                format!("sector `{name}` moves no asset: no asset has it in its `exposure`"),
                Some(help),
            );
        }
    }

    fn process(&mut self, fields: &Fields) -> Option<Process> {
        let Some(f) = fields.get("process") else {
            self.missing(fields, "process", "\"logistic\"");
            return None;
        };
        let names: Vec<&str> = Process::ALL.iter().map(|p| p.name()).collect();
        let found = match f.value.get_ref() {
            DeValue::String(s) => Process::ALL.into_iter().find(|p| p.name() == s.as_ref()),
            _ => None,
        };
        if found.is_none() {
            let written = match f.value.get_ref() {
                DeValue::String(s) => s.to_string(),
                other => other.type_str().to_string(),
            };
            self.error(
                &f.path,
                f.value.span(),
                format!("unknown adoption process `{written}`"),
                Some(suggest(&written, "processes", &names)),
            );
        }
        found
    }

    /// Reads an adoption table. Keys the process does not read are errors when they are the
    /// table's own (their path starts with `own`); inherited ones (a baseline's) are ignored.
    fn adoption(&mut self, fields: &Fields, own: &str) -> Option<Adoption> {
        self.allow_keys(fields, &ADOPTION_KEYS, "keys of [adoption]");
        let process = self.process(fields)?;
        let mut values: [Option<Distribution>; 6] = Default::default();
        let mut complete = true;
        for key in AdoptionKey::ALL {
            let name = key.name();
            let read = key == AdoptionKey::Volatility || process.keys().contains(&key);
            if !read {
                if let Some(f) = fields.get(name).filter(|f| f.path.starts_with(own)) {
                    let users: Vec<&str> = Process::ALL
                        .iter()
                        .filter(|p| p.keys().contains(&key))
                        .map(|p| p.name())
                        .collect();
                    self.error(
                        &f.path,
                        f.key.span(),
                        format!("`{name}` is not used by process = \"{}\"", process.name()),
                        Some(format!(
                            "remove it, or set process = \"{}\"",
                            users.join("\" or \"")
                        )),
                    );
                }
                continue;
            }
            let (bound, default, example) = match key {
                AdoptionKey::Ceiling => (Bound::Positive, None, "\"2 to 10\""),
                AdoptionKey::Rate => (Bound::Positive, None, "\"0.3 to 0.9\""),
                AdoptionKey::P => (Bound::Positive, None, "0.03"),
                AdoptionKey::Q => (Bound::NonNegative, None, "0.38"),
                AdoptionKey::LogDrift => (Bound::Any, None, "0.15"),
                AdoptionKey::Volatility => (Bound::NonNegative, Some(0.0), "0.10"),
            };
            values[key as usize] = self.param(fields, name, default, bound, example);
            complete &= values[key as usize].is_some();
        }
        complete.then_some(Adoption { process, values })
    }

    fn baseline(&mut self, b: &Fields, a: &Fields, boom: &Adoption) -> Option<Baseline> {
        self.allow_keys(
            b,
            &ADOPTION_KEYS,
            "keys of [adoption] (the baseline overrides them)",
        );
        if b.entries.is_empty() {
            self.error(
                &b.path,
                b.span.clone(),
                "[baseline] overrides no key of [adoption]".into(),
                Some(
                    "override at least one key, e.g. ceiling = \"1.2 to 2\", or remove [baseline]"
                        .into(),
                ),
            );
            return None;
        }
        let mut merged = Fields {
            path: b.path.clone(),
            span: b.span.clone(),
            entries: Vec::new(),
        };
        for f in &a.entries {
            if b.get(f.key.get_ref()).is_none() {
                merged.entries.push(Field {
                    path: f.path.clone(),
                    key: f.key,
                    value: f.value,
                });
            }
        }
        for f in &b.entries {
            if ADOPTION_KEYS.contains(&f.key.get_ref().as_ref()) {
                merged.entries.push(Field {
                    path: f.path.clone(),
                    key: f.key,
                    value: f.value,
                });
            }
        }
        let adoption = self.adoption(&merged, "baseline.")?;
        let mut overrides: [Option<Distribution>; 6] = Default::default();
        for key in AdoptionKey::ALL {
            if b.get(key.name()).is_some() {
                overrides[key as usize] = adoption.values[key as usize].clone();
            }
        }
        // Keys the baseline's process reads must come from somewhere: the boom's draw or an
        // override. Both exist here, since `adoption` validated the merged table.
        debug_assert!(
            adoption.process.keys().iter().all(|k| {
                overrides[*k as usize].is_some() || boom.values[*k as usize].is_some()
            })
        );
        Some(Baseline {
            process: adoption.process,
            overrides,
        })
    }

    fn label(&mut self, fields: &Fields, name: &str) -> String {
        self.string(fields, "label")
            .unwrap_or_else(|| name.to_string())
    }

    /// Every sector table: its name, and the sector when it is valid.
    fn sectors(&mut self, parent: &Fields) -> Vec<(String, Option<Sector>)> {
        let mut out = Vec::new();
        for t in self.tables(parent) {
            self.allow_keys(&t, &SECTOR_KEYS, "keys of a sector");
            let name = t.path["sectors.".len()..].to_string();
            let label = self.label(&t, &name);
            let elasticity = self.param(&t, "elasticity", None, Bound::Any, "\"normal(1.4, 0.3)\"");
            let lag_years = self.constant(&t, "lag_years", Some(0.0), Bound::NonNegative, "0.5");
            let drift = self.param(&t, "drift", Some(0.0), Bound::Any, "0.06");
            let volatility = self.param(&t, "volatility", Some(0.0), Bound::NonNegative, "0.2");
            let sector = match (elasticity, lag_years, drift, volatility) {
                (Some(elasticity), Some(lag_years), Some(drift), Some(volatility)) => {
                    Some(Sector {
                        name: name.clone(),
                        label,
                        elasticity,
                        lag_years,
                        drift,
                        volatility,
                    })
                }
                _ => None,
            };
            out.push((name, sector));
        }
        out
    }

    fn correlation(&mut self, c: &Fields, sectors: &[&str]) -> Option<Correlation> {
        self.allow_keys(c, &CORRELATION_KEYS, "keys of [correlation]");
        let n = sectors.len();
        let mut ok = true;
        let default = self
            .constant(c, "default", Some(0.0), Bound::Any, "0.3")
            .and_then(|rho| self.rho_in_range(c.get("default"), rho));
        ok &= default.is_some();
        let default = default.unwrap_or(0.0);
        let mut matrix = vec![default; n * n];
        for i in 0..n {
            matrix[i * n + i] = 1.0;
        }
        let mut set = vec![false; n * n];
        if let Some(f) = c.get("pairs") {
            let DeValue::Array(items) = f.value.get_ref() else {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`pairs` must be an array, not a {}",
                        f.value.get_ref().type_str()
                    ),
                    Some(
                        "write pairs = [ { a = \"ml_ai\", b = \"cloud_infra\", rho = 0.7 } ]"
                            .into(),
                    ),
                );
                return None;
            };
            for (idx, item) in items.iter().enumerate() {
                let path = format!("{}[{idx}]", f.path);
                let DeValue::Table(t) = item.get_ref() else {
                    self.error(
                        &path,
                        item.span(),
                        "each pair must be a table { a = ..., b = ..., rho = ... }".into(),
                        Some("write { a = \"ml_ai\", b = \"cloud_infra\", rho = 0.7 }".into()),
                    );
                    ok = false;
                    continue;
                };
                let pair = Fields::of(&path, item.span(), t);
                self.allow_keys(&pair, &PAIR_KEYS, "keys of a correlation pair");
                let a = self.sector_ref(&pair, "a", sectors);
                let b = self.sector_ref(&pair, "b", sectors);
                let rho = self
                    .constant(&pair, "rho", None, Bound::Any, "0.7")
                    .and_then(|rho| self.rho_in_range(pair.get("rho"), rho));
                let (Some(a), Some(b), Some(rho)) = (a, b, rho) else {
                    ok = false;
                    continue;
                };
                if a == b {
                    self.error(
                        &path,
                        item.span(),
                        format!(
                            "a pair needs two different sectors, got `{}` twice",
                            sectors[a]
                        ),
                        Some("a sector's correlation with itself is always 1".into()),
                    );
                    ok = false;
                    continue;
                }
                if set[a * n + b] {
                    self.error(
                        &path,
                        item.span(),
                        format!(
                            "the pair `{}`, `{}` is listed twice",
                            sectors[a], sectors[b]
                        ),
                        Some("keep one entry per pair".into()),
                    );
                    ok = false;
                    continue;
                }
                set[a * n + b] = true;
                set[b * n + a] = true;
                matrix[a * n + b] = rho;
                matrix[b * n + a] = rho;
            }
        }
        if !ok {
            return None;
        }
        match cholesky_psd(&matrix, n) {
            Some(factor) => Some(Correlation { matrix, factor }),
            None => {
                self.error(
                    &c.path,
                    c.span.clone(),
                    "the sector correlation matrix is not positive semi-definite, so no shocks can have it".into(),
                    Some(
                        "make the correlations consistent: if a~b and b~c are strongly positive, \
                         a~c cannot be strongly negative; lowering `default` or the largest |rho| helps"
                            .into(),
                    ),
                );
                None
            }
        }
    }

    fn rho_in_range(&mut self, f: Option<&Field>, rho: f64) -> Option<f64> {
        if (-1.0..=1.0).contains(&rho) {
            return Some(rho);
        }
        if let Some(f) = f {
            self.error(
                &f.path,
                f.value.span(),
                format!(
                    "a correlation must lie in [-1, 1], got {}",
                    crate::number::shown(rho)
                ),
                Some("use a value between -1 and 1".into()),
            );
        }
        None
    }

    fn sector_ref(&mut self, fields: &Fields, key: &str, sectors: &[&str]) -> Option<usize> {
        let Some(name) = self.string(fields, key) else {
            if fields.get(key).is_none() {
                self.missing(fields, key, "\"ml_ai\"");
            }
            return None;
        };
        let found = sectors.iter().position(|s| *s == name);
        if found.is_none() {
            let f = fields.get(key).expect("read above");
            self.error(
                &f.path,
                f.value.span(),
                format!("unknown sector `{name}`"),
                Some(suggest(&name, "sectors", sectors)),
            );
        }
        found
    }

    fn groups(&mut self, parent: &Fields) -> Vec<(Group, Range<usize>)> {
        let mut out = Vec::new();
        for t in self.tables(parent) {
            self.allow_keys(&t, &GROUP_KEYS, "keys of a group");
            let name = t.path["groups.".len()..].to_string();
            let label = self.label(&t, &name);
            out.push((
                Group {
                    name,
                    label,
                    assets: Vec::new(),
                },
                t.span.clone(),
            ));
        }
        out
    }

    fn assets(
        &mut self,
        parent: &Fields,
        sectors: &[&str],
        groups: &[(Group, Range<usize>)],
        model_expected_return: f64,
        has_market: bool,
    ) -> Vec<(Option<usize>, Option<Asset>)> {
        let group_names: Vec<&str> = groups.iter().map(|(g, _)| g.name.as_str()).collect();
        let mut out = Vec::new();
        for t in self.tables(parent) {
            self.allow_keys(&t, &ASSET_KEYS, "keys of an asset");
            let name = t.path["assets.".len()..].to_string();
            let label = self.label(&t, &name);
            let group = match self.string(&t, "group") {
                Some(g) => {
                    let found = group_names.iter().position(|n| *n == g);
                    if found.is_none() {
                        let f = t.get("group").expect("read above");
                        self.error(
                            &f.path,
                            f.value.span(),
                            format!("unknown group `{g}`"),
                            Some(suggest(&g, "groups", &group_names)),
                        );
                    }
                    found
                }
                None => {
                    if t.get("group").is_none() {
                        let example = group_names
                            .first()
                            .map_or("\"public_equities\"".to_string(), |g| format!("\"{g}\""));
                        self.missing(&t, "group", &example);
                    }
                    None
                }
            };
            let exposure = self.exposure(&t, sectors);
            let other_growth = self.param(&t, "other_growth", Some(0.0), Bound::Any, "0.04");
            let priced_in = self.param(&t, "priced_in", Some(0.0), Bound::Any, "\"0.08 to 0.18\"");
            let expected_return = self.param(
                &t,
                "expected_return",
                Some(model_expected_return),
                Bound::Any,
                "0.08",
            );
            let volatility = self.param(&t, "volatility", Some(0.0), Bound::NonNegative, "0.3");
            let failure_rate = self.param(&t, "failure_rate", Some(0.0), Bound::NonNegative, "0.1");
            let weight = self.constant(&t, "weight", Some(1.0), Bound::Positive, "1.0");
            let beta = self.beta(&t, has_market);
            let asset = match (
                group,
                exposure,
                other_growth,
                priced_in,
                expected_return,
                volatility,
                failure_rate,
                (weight, beta),
            ) {
                (
                    Some(group),
                    Some(exposure),
                    Some(other_growth),
                    Some(priced_in),
                    Some(expected_return),
                    Some(volatility),
                    Some(failure_rate),
                    (Some(weight), Some(beta)),
                ) => Some(Asset {
                    name,
                    label,
                    group,
                    exposure,
                    other_growth,
                    priced_in,
                    expected_return,
                    volatility,
                    failure_rate,
                    weight,
                    beta,
                }),
                _ => None,
            };
            out.push((group, asset));
        }
        out
    }

    /// An asset's `beta`: a constant with |beta| <= [`MAX_BETA`], 1 when absent; an error
    /// without a `[market]` (it would move nothing).
    fn beta(&mut self, asset: &Fields, has_market: bool) -> Option<f64> {
        if let (Some(f), false) = (asset.get("beta"), has_market) {
            self.error(
                &f.path,
                f.key.span(),
                "`beta` is an asset's exposure to the market factor, and this model has no [market]".into(),
                Some("add a [market] table (e.g. volatility = 0.16), or remove `beta`".into()),
            );
            return None;
        }
        let beta = self.constant(asset, "beta", Some(1.0), Bound::Any, "1.2")?;
        if beta.abs() > MAX_BETA {
            let f = asset.get("beta").expect("a value beyond the default");
            self.error(
                &f.path,
                f.value.span(),
                format!(
                    "`beta` must lie within +-{MAX_BETA}, got {}",
                    crate::number::shown(beta)
                ),
                Some("large caps have betas near 1, high-growth stocks and startups 1.2-2".into()),
            );
            return None;
        }
        Some(beta)
    }

    /// Every asset's compensator c_a moves its log price over the horizon by at most
    /// [`MAX_COMPENSATION`]: beyond that (a crash size whose exp(beta m + beta^2 s^2 / 2) is
    /// huge or overflows) every price is 0 on every path, and the compensated mean lives in
    /// paths no run draws.
    fn compensated(
        &mut self,
        market: &Market,
        fields: &Fields,
        assets: &[Asset],
        horizon: f64,
    ) -> Option<()> {
        let Some((a, c)) = assets
            .iter()
            .map(|a| (a, market.compensator(a.beta)))
            .find(|(_, c)| !c.is_finite() || c.abs() * horizon > MAX_COMPENSATION)
        else {
            return Some(());
        };
        let f = fields
            .get("crash_size")
            .or_else(|| fields.get("volatility"))?;
        let size = if c.is_finite() {
            format!(
                "moves the log price by c_a H = {} over the {}-year horizon",
                crate::number::shown(c * horizon),
                crate::number::shown(horizon)
            )
        } else {
            "overflows: exp(beta m + beta^2 s^2 / 2) is too large for a 64-bit float".to_string()
        };
        self.error(
            &f.path,
            f.value.span(),
            format!(
                "the market's compensator for assets.{} (beta {}) {size}, beyond {MAX_COMPENSATION}: every price would be 0 (or infinite) on every path, and its mean would rest on paths no run draws",
                a.name,
                crate::number::shown(a.beta)
            ),
            Some("one crash's log-return is normal(m, s): keep m and s within a few tenths (e.g. normal(-0.3, 0.1)), the volatility below 1 and betas near 1".into()),
        );
        None
    }

    /// `[market]`: volatility and crash rate, constants >= 0 (0 when absent), and the size of
    /// one crash, `normal(m, s)` (required when the crash rate is above 0).
    fn market(&mut self, t: &Fields) -> Option<Market> {
        self.allow_keys(t, &MARKET_KEYS, "keys of [market]");
        let volatility = self.constant(t, "volatility", Some(0.0), Bound::NonNegative, "0.16");
        let crash_rate = self.constant(t, "crash_rate", Some(0.0), Bound::NonNegative, "0.1");
        let example = "\"normal(-0.3, 0.1)\"";
        let crash_size = match t.get("crash_size") {
            None => {
                if crash_rate.is_some_and(|r| r > 0.0) {
                    self.missing(t, "crash_size", example);
                    return None;
                }
                Some((0.0, 0.0))
            }
            Some(f) => match f.value.get_ref() {
                DeValue::String(text) => match Distribution::parse(text) {
                    Ok(d) if text.trim_start().starts_with("normal(") => match d.family() {
                        crate::distribution::Family::Normal { mean, sd } => Some((*mean, *sd)),
                        _ => None,
                    },
                    Ok(_) => {
                        self.error(
                            &f.path,
                            f.value.span(),
                            format!("`crash_size` must be normal(m, s), not `{text}`"),
                            Some(format!(
                                "the log-return of one crash is normal(m, s), e.g. crash_size = {example}"
                            )),
                        );
                        None
                    }
                    Err(e) => {
                        self.error(
                            &f.path,
                            f.value.span(),
                            e.to_string(),
                            Some(format!("write crash_size = {example}")),
                        );
                        None
                    }
                },
                other => {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!("`crash_size` must be a string, not a {}", other.type_str()),
                        Some(format!("write crash_size = {example}")),
                    );
                    None
                }
            },
        };
        Some(Market {
            volatility: volatility?,
            crash_rate: crash_rate?,
            crash_size: crash_size?,
        })
    }

    fn exposure(&mut self, asset: &Fields, sectors: &[&str]) -> Option<Vec<(usize, f64)>> {
        let Some(f) = asset.get("exposure") else {
            return Some(Vec::new());
        };
        let t = self.as_table(f)?;
        let mut out = Vec::new();
        let mut ok = true;
        for e in &t.entries {
            let name = e.key.get_ref();
            let sector = sectors.iter().position(|s| *s == name.as_ref());
            if sector.is_none() {
                self.error(
                    &e.path,
                    e.key.span(),
                    format!("unknown sector `{name}`"),
                    Some(suggest(name, "sectors", sectors)),
                );
            }
            let w = self.constant(&t, name, None, Bound::NonNegative, "0.5");
            match (sector, w) {
                (Some(s), Some(w)) => out.push((s, w)),
                _ => ok = false,
            }
        }
        let sum: f64 = out.iter().map(|(_, w)| w).sum();
        if ok && sum > 1.0 + 1e-9 {
            self.error(
                &f.path,
                f.value.span(),
                format!("exposure weights sum to {sum}, more than 1"),
                Some(
                    "the weights are shares of the business: scale them so they sum to at most 1"
                        .into(),
                ),
            );
            ok = false;
        }
        ok.then_some(out)
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
