//! What a person reads in the terminal: a run's answer (the ranked groups and leading assets
//! with their error bars, what the profiles mean, the drivers, the allocate command), and the
//! one-screen model summary of `check`.

use std::fmt::Write as _;

use crate::distribution::describe::{Description, Histogram, SAMPLE_DRAWS, SAMPLE_SEED};
use crate::distribution::fit::{self, FitAnswer};
use crate::model::Kind;
use crate::model::Model;
use crate::number;
use crate::output::Manifest;
use crate::stats::allocation::Named;
use crate::stats::precision::{PrecisionRow, Stopping};
use crate::stats::sensitivity::SensitivityRow;
use crate::stats::summary::{SummaryRow, Thresholds};

/// Beyond a million percent, a number of ten digits says less than its magnitude.
const PLAIN_PERCENT: f64 = 1e6;

/// `p` with one decimal (`+` sign when `signed`), in exponent form past a million.
fn scaled(p: f64, signed: bool, unit: &str) -> String {
    match (p.abs() >= PLAIN_PERCENT, signed) {
        (true, true) => format!("{p:+.2e}{unit}"),
        (true, false) => format!("{p:.2e}{unit}"),
        (false, true) => format!("{p:+.1}{unit}"),
        (false, false) => format!("{p:.1}{unit}"),
    }
}

fn percent(x: f64) -> String {
    scaled(100.0 * x, true, "%")
}

/// A loss, positive, without a sign.
fn loss(x: f64) -> String {
    scaled(100.0 * x + 0.0, false, "%")
}

/// A swing in percentage points.
fn points(x: f64) -> String {
    scaled(100.0 * x, true, " pts")
}

fn optional(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| "-".to_string(), f)
}

/// How many assets the terminal lists (by rank); summary.csv and the report have them all.
pub const LEADING_ASSETS: usize = 5;

/// A cell's value with its `±` (the larger distance to its 95% interval's ends, in
/// percentage points), when the interval is known and wider than the value's last digit.
fn with_reach(text: String, reach: Option<f64>) -> String {
    match reach {
        Some(r) if 100.0 * r >= 0.05 => format!("{text} ±{}", scaled(100.0 * r, false, "")),
        _ => text,
    }
}

/// One entity's precision row for `statistic`.
fn precision_of<'a>(
    precision: &'a [PrecisionRow],
    row: &SummaryRow,
    statistic: &str,
) -> Option<&'a PrecisionRow> {
    precision
        .iter()
        .find(|p| p.kind == row.kind && p.name == row.name && p.statistic == statistic)
}

/// A profile as shown: `?` after it when more paths could change it (or the run is too small
/// to tell).
fn profile_cell(row: &SummaryRow) -> String {
    match row.profile_settled {
        Some(true) => row.profile.name().to_string(),
        _ => format!("{} ?", row.profile.name()),
    }
}

/// Lays out cells under a header: the columns at `left` are aligned left, the rest right.
fn layout(header: &[&str], cells: &[Vec<String>], left: &[usize]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&head).chain(cells) {
        let mut line = String::new();
        for (i, (c, w)) in row.iter().zip(&width).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = w - c.chars().count();
            if left.contains(&i) {
                let _ = write!(line, "{c}{}", " ".repeat(pad));
            } else {
                let _ = write!(line, "{}{c}", " ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The entities of one kind ranked by Sharpe ratio (at most `limit` of them): rank, name (and
/// group, for assets), mean, p05, p50, p95, cvar95 (each with its `±`), sharpe, uplift_mean
/// (groups) and profile. Below it, neighbours whose Sharpe ratios are within two standard
/// errors, whose order more paths could swap.
pub fn entity_table(
    rows: &[SummaryRow],
    precision: &[PrecisionRow],
    kind: Kind,
    limit: usize,
) -> String {
    let mut of_kind: Vec<&SummaryRow> = rows.iter().filter(|r| r.kind == kind).collect();
    of_kind.sort_by_key(|r| r.rank);
    let shown = &of_kind[..limit.min(of_kind.len())];
    let reach = |r: &SummaryRow, statistic: &str| {
        precision_of(precision, r, statistic).and_then(PrecisionRow::reach)
    };
    let group = kind == Kind::Group;
    let mut header = vec!["rank", if group { "group" } else { "asset" }];
    if !group {
        header.push("in group");
    }
    header.extend(["mean", "p05", "p50", "p95", "cvar95", "sharpe"]);
    if group {
        header.push("uplift_mean");
    }
    header.push("profile");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|r| {
            let mut c = vec![r.rank.to_string(), r.name.clone()];
            if !group {
                c.push(r.group.clone());
            }
            c.extend([
                with_reach(percent(r.mean_return), reach(r, "mean_return")),
                with_reach(percent(r.p05), reach(r, "p05")),
                with_reach(percent(r.p50), reach(r, "p50")),
                with_reach(percent(r.p95), reach(r, "p95")),
                with_reach(loss(r.cvar95), reach(r, "cvar95")),
                optional(r.sharpe, |s| format!("{s:.2}")),
            ]);
            if group {
                c.push(optional(r.uplift_mean, percent));
            }
            c.push(profile_cell(r));
            c
        })
        .collect();
    let left: Vec<usize> = if group { vec![1, 9] } else { vec![1, 2, 9] };
    let mut out = layout(&header, &cells, &left);
    // Neighbours in the ranking whose Sharpe ratios differ by less than two standard errors
    // of the difference (batch errors, taken as independent: conservative for shared paths).
    let se = |r: &SummaryRow| precision_of(precision, r, "sharpe").and_then(|p| p.se);
    let ties: Vec<String> = shown
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0], w[1]);
            let gap = (a.sharpe? - b.sharpe?).abs();
            let se = (se(a)?.powi(2) + se(b)?.powi(2)).sqrt();
            (gap < 2.0 * se).then(|| format!("{} and {}", a.name, b.name))
        })
        .collect();
    if !ties.is_empty() {
        let _ = writeln!(
            out,
            "Order not settled at this many paths (Sharpe ratios within 2 standard errors): {}",
            ties.join("; ")
        );
    }
    out
}

/// What the `±` and the profiles of the tables mean, with the model's two thresholds.
pub fn legend(thresholds: Thresholds, expected_return: f64, horizon_years: f64) -> String {
    format!(
        "Total returns over {horizon_years} years. ± = the larger distance from the value to the ends of its\n\
         95% interval, in percentage points (precision.csv); cvar95 = average loss of the worst 5% of paths.\n\
         Profile: high return = mean above {} (what a fairly priced asset earns at {}% a year,\n\
         [model].expected_return); low risk = cvar95 at most {} ([model].tail_loss_limit).\n\
         core = both, high-upside = high return only, defensive = low risk only, avoid = neither;\n\
         ? = not settled: the 95% intervals straddle a threshold, so more paths could change it.\n",
        percent(thresholds.hurdle),
        scaled(100.0 * expected_return, false, ""),
        loss(thresholds.tail_loss_limit),
    )
}

/// Everything a finished run (or merge) prints.
pub struct RunText<'a> {
    /// The run's manifest (model, seed, paths, threads, time, condition).
    pub manifest: &'a Manifest,
    /// summary.csv's rows.
    pub rows: &'a [SummaryRow],
    /// precision.csv's rows.
    pub precision: &'a [PrecisionRow],
    /// sensitivity.csv's rows.
    pub sensitivity: &'a [SensitivityRow],
    /// The paths sensitivity (and samples.csv) come from: all, or a sketched run's first.
    pub kept_paths: usize,
    /// H.
    pub horizon_years: f64,
    /// What a stopping rule did, with `--precision`.
    pub stopping: Option<&'a Stopping>,
    /// How many paths met `--where`.
    pub matched: Option<usize>,
    /// The folder written and the files in it.
    pub out_dir: &'a std::path::Path,
    pub files: &'a [&'static str],
}

impl RunText<'_> {
    /// The text: the groups, the leading assets, the legend, the drivers, the stopping rule
    /// and condition, where capital could go (the allocate command), and the files.
    pub fn render(&self) -> String {
        let m = self.manifest;
        let assets = self.rows.iter().filter(|r| r.kind == Kind::Asset).count();
        let shown = LEADING_ASSETS.min(assets);
        let mut text = format!(
            "{}: {} paths, seed {}, {} threads, {:.2} s\n\nGroups, ranked by Sharpe ratio:\n{}\n",
            m.model_name,
            m.paths,
            m.seed,
            m.threads,
            m.elapsed_seconds,
            entity_table(self.rows, self.precision, Kind::Group, usize::MAX),
        );
        let _ = write!(
            text,
            "{}, ranked by Sharpe ratio:\n{}",
            if shown < assets {
                format!("The {shown} leading assets of {assets} (summary.csv has every one)")
            } else {
                "Assets".to_string()
            },
            entity_table(self.rows, self.precision, Kind::Asset, shown),
        );
        text.push_str(&noise_note(self.rows, self.precision));
        text.push('\n');
        text.push_str(&legend(
            m.profile_thresholds,
            m.expected_return,
            self.horizon_years,
        ));
        text.push('\n');
        text.push_str(&drivers_table(
            self.rows,
            self.sensitivity,
            3,
            self.kept_paths,
        ));
        if self.kept_paths < m.paths {
            let _ = writeln!(
                text,
                "  (drivers{} from the first {} of the {} paths: a sketched run keeps only those whole)",
                if m.samples { " and samples.csv" } else { "" },
                self.kept_paths,
                m.paths
            );
        }
        if let Some(s) = self.stopping {
            text.push_str(&stopping_text(s, m.paths));
        }
        if let (Some(matched), Some(condition)) = (self.matched, &m.condition) {
            let _ = writeln!(
                text,
                "\n--where \"{condition}\": {matched} of {} paths ({:.1}%) match; summarised in summary_where.csv",
                m.paths,
                100.0 * matched as f64 / m.paths as f64
            );
        }
        let _ = write!(
            text,
            "\nWhere to place capital: the long-only portfolios with the least tail loss for each target\n\
             return, checked on fresh paths:\n  {}\n",
            m.allocate_command
        );
        let _ = writeln!(
            text,
            "\nWritten to {}/ ({})",
            self.out_dir.display(),
            self.files.join(", ")
        );
        text
    }
}

/// The cells of the groups' rows whose 95% interval is wider than half their value or
/// includes 0: their digits are Monte Carlo noise at this many paths.
fn noise_note(rows: &[SummaryRow], precision: &[PrecisionRow]) -> String {
    let shown = [
        "mean_return",
        "p05",
        "p50",
        "p95",
        "cvar95",
        "sharpe",
        "uplift_mean",
    ];
    let groups: Vec<&SummaryRow> = rows.iter().filter(|r| r.kind == Kind::Group).collect();
    let noisy: Vec<String> = groups
        .iter()
        .flat_map(|g| shown.iter().filter_map(|s| precision_of(precision, g, s)))
        .filter(|p| match (p.estimate, p.lo95, p.hi95) {
            (Some(x), Some(lo), Some(hi)) => {
                (hi - lo) / 2.0 > 0.5 * x.abs() || (lo < 0.0 && hi > 0.0)
            }
            _ => false,
        })
        .map(|p| format!("{} {}", p.name, p.statistic))
        .collect();
    let batches = precision.iter().find_map(|p| p.batches).unwrap_or(0);
    if batches < crate::stats::precision::MIN_BATCHES {
        "(too few paths for the error of means and ratios: run at least 2048 paths)\n".into()
    } else if noisy.is_empty() {
        String::new()
    } else {
        format!(
            "Within Monte Carlo noise at this many paths (95% interval wider than half the value, or\n\
             including 0; precision.csv has every error): {}\n",
            noisy.join(", ")
        )
    }
}

/// What a stopping rule did.
fn stopping_text(s: &Stopping, paths: usize) -> String {
    let rule = &s.rule;
    let within = if rule.relative {
        format!("{}% of its value", 100.0 * rule.target)
    } else {
        format!("±{}", rule.target)
    };
    let rounds: Vec<String> = s.rounds.iter().map(|r| r.paths.to_string()).collect();
    if s.converged {
        format!(
            "\n--precision: stopped at {paths} paths (rounds of {}): every group's {} within {within} (95%)\n",
            rounds.join(", "),
            rule.statistics.join(", ")
        )
    } else {
        format!(
            "\n--precision: stopped at --max-paths {paths} (rounds of {}) before every group's {} was within {within}; see the warning\n",
            rounds.join(", "),
            rule.statistics.join(", ")
        )
    }
}

/// `check`'s summary: the grid, the adoption process, sectors, groups with their assets,
/// and every uncertain parameter with its 5th, 50th and 95th percentiles.
pub fn model_summary(model: &Model, file: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{file}: valid model `{}`", model.name);
    if let Some(d) = &model.description {
        let _ = writeln!(o, "  {d}");
    }
    let _ = writeln!(
        o,
        "grid: {} years x {} steps/year = {} steps; risk-free rate {}",
        model.horizon_years,
        model.steps_per_year,
        model.steps(),
        model.risk_free_rate
    );
    let _ = write!(o, "adoption: {}", model.adoption.process.name());
    match &model.baseline {
        Some(b) => {
            let keys: Vec<&str> = b.overrides().map(|(k, _)| k.name()).collect();
            let _ = writeln!(
                o,
                "; baseline {} overriding {}",
                b.process.name(),
                keys.join(", ")
            );
        }
        None => {
            let _ = writeln!(o, "; no baseline");
        }
    }
    let names: Vec<&str> = model.sectors.iter().map(|s| s.name.as_str()).collect();
    let _ = writeln!(o, "sectors ({}): {}", names.len(), names.join(", "));
    let _ = writeln!(
        o,
        "groups ({}), assets ({}):",
        model.groups.len(),
        model.assets.len()
    );
    for g in &model.groups {
        let assets: Vec<&str> = g
            .assets
            .iter()
            .map(|&i| model.assets[i].name.as_str())
            .collect();
        let _ = writeln!(o, "  {}: {}", g.name, assets.join(", "));
    }
    if !model.copulas.is_empty() {
        let _ = writeln!(o, "correlated inputs ([[correlate]]):");
    }
    for (t, table) in model.copulas.iter().enumerate() {
        let c = &table.copula;
        let (term, given) = (&table.given.0, &table.given.1);
        let m = table.paths.len();
        let df = match c.family {
            crate::distribution::copula::Family::StudentT { df } => format!(", df {df}"),
            _ => String::new(),
        };
        let _ = writeln!(o, "  table {} ({} copula{df}):", t + 1, c.family.name());
        for i in 0..m {
            for j in i + 1..m {
                let _ = writeln!(
                    o,
                    "    {} ~ {}: {term} {}",
                    table.paths[i],
                    table.paths[j],
                    given[i * m + j]
                );
            }
        }
        let flipped: Vec<&str> = table
            .paths
            .iter()
            .zip(&c.flip)
            .filter(|(_, f)| **f)
            .map(|(p, _)| p.as_str())
            .collect();
        if !flipped.is_empty() {
            let _ = writeln!(
                o,
                "    flipped (move against the others): {}",
                flipped.join(", ")
            );
        }
    }
    let uncertain = model.uncertain_parameters();
    let _ = writeln!(o, "uncertain parameters ({}):", uncertain.len());
    let width = uncertain.iter().map(|p| p.path.len()).max().unwrap_or(0);
    let dwidth = uncertain
        .iter()
        .map(|p| p.distribution.text().len())
        .max()
        .unwrap_or(0);
    for p in &uncertain {
        let (key, d) = (&p.path, p.distribution);
        let q = [0.05, 0.5, 0.95].map(|p| d.quantile(p));
        let _ = writeln!(
            o,
            "  {key:<width$}  {:<dwidth$}  p05 {:>9}  p50 {:>9}  p95 {:>9}",
            d.text(),
            number_in(q[0], q[2] - q[0]),
            number_in(q[1], q[2] - q[0]),
            number_in(q[2], q[2] - q[0]),
        );
        for note in d.notes() {
            let _ = writeln!(o, "  {:<width$}  ({note})", "");
        }
    }
    o
}

/// Each group's `top` strongest drivers (largest |swing|) among the significant ones (swing
/// beyond 3 standard errors and a Spearman interval that excludes 0), in rank order of the
/// groups; a group without one says so.
pub fn drivers_table(
    rows: &[SummaryRow],
    sensitivity: &[SensitivityRow],
    top: usize,
    paths: usize,
) -> String {
    let mut groups: Vec<&SummaryRow> = rows.iter().filter(|r| r.kind == Kind::Group).collect();
    groups.sort_by_key(|r| r.rank);
    let mut o = String::from(
        "Top drivers (swing: mean total return when the parameter is in its top 10% of draws,\n\
         minus in its bottom 10%, ± its standard error; only drivers beyond 3 standard errors\n\
         whose rank correlation is clearly not 0; sensitivity.csv has every parameter):\n",
    );
    let width = groups.iter().map(|g| g.name.len()).max().unwrap_or(0);
    for g in groups {
        let of_group: Vec<&SensitivityRow> = sensitivity
            .iter()
            .filter(|s| s.kind == Kind::Group && s.name == g.name)
            .collect();
        let drivers: Vec<String> = of_group
            .iter()
            .filter(|s| s.significant)
            .take(top)
            .map(|s| match s.swing_se {
                Some(se) => format!(
                    "{} {} ±{}",
                    s.parameter,
                    scaled(100.0 * s.swing, true, ""),
                    points(se).trim_start_matches('+')
                ),
                None => format!("{} {}", s.parameter, points(s.swing)),
            })
            .collect();
        let list = if of_group.is_empty() {
            "no uncertain parameter".to_string()
        } else if drivers.is_empty() {
            format!("no significant driver at {paths} paths (run more paths to tell)")
        } else {
            drivers.join(", ")
        };
        let _ = writeln!(o, "  {:<width$}  {list}", g.name);
    }
    o
}

/// `describe`'s word on the market factor, when the model has one: the distribution of its
/// total effect over the horizon on an asset of beta 1 (p05, p50, p95 of exp(X_M(t_T) - c t_T) - 1,
/// the closed form of a Poisson mixture of normals, compensated) and the chance of a crash.
pub fn market_text(model: &Model) -> String {
    let Some(m) = &model.market else {
        return String::new();
    };
    let t = model.steps() as f64 * model.dt();
    // What the factor does to an asset of beta 1 once compensated (mean 0 over any span).
    let c = m.compensator(1.0) * t;
    let total = |p: f64| percent(libm::expm1(m.log_return_quantile(t, p) - c));
    let crashes = if m.crash_rate > 0.0 {
        format!(
            "; a {} chance of at least one crash ({} a year, each a log-return of normal({}, {}))",
            scaled(100.0 * m.crash_chance(t), false, "%"),
            m.crash_rate,
            m.crash_size.0,
            m.crash_size.1
        )
    } else {
        "; no crashes".to_string()
    };
    format!(
        "market factor over the horizon ({} years), as it moves an asset of beta 1 (compensated, so its mean is 0): p05 {}, p50 {}, p95 {}{crashes}; volatility {} a year\n",
        number::shown(t),
        total(0.05),
        total(0.5),
        total(0.95),
        m.volatility
    )
}

/// `describe`'s word on each `[[correlate]]` table: its copula, and for every pair Kendall's
/// tau and how often their extremes come together, closed form beside the draws.
pub fn copula_text(model: &Model, draws: usize, seed: u64) -> String {
    use crate::distribution::copula::{DESCRIBED_TAIL, describe};
    let mut o = String::new();
    let n = |p: f64| {
        if p > 0.0 {
            format!("{:.1}", 1.0 / p)
        } else {
            "never".to_string()
        }
    };
    let worst = scaled(100.0 * DESCRIBED_TAIL, false, "%");
    for (t, table) in model.copulas.iter().enumerate() {
        let c = &table.copula;
        let df = match c.family {
            crate::distribution::copula::Family::StudentT { df } => format!(", df {df}"),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "[[correlate]] table {} ({} copula{df}; measured on {draws} draws, seed {seed}):",
            t + 1,
            c.family.name()
        );
        let mut rng = crate::random::path_rng(seed, t as u64, crate::random::Stream::Copula);
        for d in describe(c, draws, &mut rng) {
            let (a, b) = (&table.paths[d.pair.0], &table.paths[d.pair.1]);
            let _ = writeln!(
                o,
                "  {a} ~ {b}: Kendall tau {:.3} (draws {:.3}); in 1 of {} worst-{worst} draws of the first, the second is in its worst {worst} too (draws: 1 of {}); best-{worst}: 1 of {} (draws: 1 of {}); tail dependence lower {:.3}, upper {:.3}",
                d.tau.0,
                d.tau.1,
                n(d.lower.0),
                n(d.lower.1),
                n(d.upper.0),
                n(d.upper.1),
                d.tail.0,
                d.tail.1
            );
        }
    }
    o
}

/// `describe`: one line per uncertain parameter.
pub fn describe_table(rows: &[Description]) -> String {
    let header = [
        "parameter",
        "distribution",
        "mean",
        "sd",
        "p05",
        "p50",
        "p95",
        "moments",
        "histogram (p01..p99)",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                r.parameter.clone(),
                r.distribution.clone(),
                moment(r.mean),
                moment(r.sd),
                number_in(r.p05, r.p95 - r.p05),
                number_in(r.p50, r.p95 - r.p05),
                number_in(r.p95, r.p95 - r.p05),
                r.moments.to_string(),
                r.histogram.clone(),
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header.map(String::from)).chain(cells) {
        let line: Vec<String> = row
            .iter()
            .zip(width)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w - c.chars().count();
                if (2..7).contains(&i) {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for r in rows.iter().filter(|r| !r.note.is_empty()) {
        let _ = writeln!(out, "note: {}: {}", r.parameter, r.note);
    }
    out
}

/// [`number`] of a value from a distribution whose middle spans `spread`: a value within
/// rounding of 0 at that scale (the 5th percentile of `0 to 0.08`, -2.8e-17) is shown as 0.
fn number_in(x: f64, spread: f64) -> String {
    if x.abs() <= 1e-12 * spread.abs() {
        number(0.0)
    } else {
        number(x)
    }
}

/// Four decimals, or the exponent form where four decimals would show 0 or run long.
fn number(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || (1e-4..1e12).contains(&a) {
        format!("{:.4}", x + 0.0)
    } else {
        crate::number::shown(x)
    }
}

/// A moment, or `undefined` where it does not exist.
fn moment(x: Option<f64>) -> String {
    x.map_or_else(|| "undefined".to_string(), number)
}

fn bound(x: Option<f64>, infinite: &str) -> String {
    x.map_or_else(|| infinite.to_string(), crate::number::shown)
}

/// `dist`: one distribution in full, with a histogram of `histogram`.
pub fn dist_report(d: &Description, histogram: &Histogram) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", d.distribution);
    let _ = writeln!(
        o,
        "  mean {}  sd {}  ({})",
        moment(d.mean),
        moment(d.sd),
        match d.moments {
            "exact" => "exact".to_string(),
            "undefined" => "the tails are too heavy for a mean or an sd to exist".to_string(),
            "exact mean" => "exact; the sd is infinite".to_string(),
            _ => format!("sampled: {SAMPLE_DRAWS} draws, seed {SAMPLE_SEED}"),
        }
    );
    let _ = writeln!(
        o,
        "  p01 {}  p05 {}  p25 {}  p50 {}  p75 {}  p95 {}  p99 {}  (exact)",
        number_in(d.p01, d.p99 - d.p01),
        number_in(d.p05, d.p99 - d.p01),
        number_in(d.p25, d.p99 - d.p01),
        number_in(d.p50, d.p99 - d.p01),
        number_in(d.p75, d.p99 - d.p01),
        number_in(d.p95, d.p99 - d.p01),
        number_in(d.p99, d.p99 - d.p01)
    );
    let _ = writeln!(
        o,
        "  support [{}, {}]",
        bound(d.min, "-inf"),
        bound(d.max, "inf")
    );
    let _ = writeln!(
        o,
        "\nhistogram of {SAMPLE_DRAWS} draws between p01 and p99 (share of draws per bin):"
    );
    o.push_str(&histogram.bars(50));
    if !d.note.is_empty() {
        let _ = writeln!(o, "\nnote: {}", d.note);
    }
    o
}

/// What `fit` prints: a string to paste (with the quantiles it has), or the families fitted
/// to data ranked by AIC.
pub fn fit_text(answer: &FitAnswer) -> String {
    match answer {
        FitAnswer::Pert(d) => format!("{}\n", d.text()),
        FitAnswer::Quantiles {
            distribution,
            points,
            interval,
        } => {
            let mut out = format!("{}\n", distribution.text());
            for (p, _) in points {
                let _ = writeln!(
                    out,
                    "  # its {p}-quantile is {}",
                    fit::number(distribution.quantile(*p))
                );
            }
            if let Some((a, b)) = interval {
                let (a, b) = (fit::number(*a), fit::number(*b));
                let _ = writeln!(out, "  # the same as \"{a} to {b}\"");
            }
            out
        }
        FitAnswer::Data { fits, values, note } => {
            let mut out = note.as_ref().map_or(String::new(), |n| format!("{n}\n"));
            let _ = write!(
                out,
                "{values} values; families ranked by AIC (lower is better); KS = largest gap between the data's\n\
                 and the fitted CDF (below {:.4}, the 5% critical value, the fit is not rejected)\n\n",
                1.358 / (*values as f64).sqrt()
            );
            let width = fits
                .iter()
                .map(|f| f.distribution.text().len())
                .max()
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "rank  {:<width$}  {:>12}  {:>7}",
                "distribution", "AIC", "KS"
            );
            for (i, f) in fits.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:>4}  {:<width$}  {:>12.2}  {:>7.4}",
                    i + 1,
                    f.distribution.text(),
                    f.aic,
                    f.ks
                );
            }
            out
        }
    }
}

/// `describe --csv`: one row per uncertain parameter.
pub fn describe_csv(rows: &[Description]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The line naming a report page written.
pub fn report_written(page: &std::path::Path) -> String {
    format!("Report: {}\n", page.display())
}

/// The line naming the workbook written for folder `dir`.
pub fn workbook_written(dir: &std::path::Path) -> String {
    format!(
        "Workbook: {}\n",
        dir.join(crate::output::workbook::workbook_name(dir))
            .display()
    )
}

/// What `init` prints: where the model went, its name, and what to do with it.
pub fn model_written(path: &std::path::Path, name: &str, model: crate::model::BuiltIn) -> String {
    let shown = path.display();
    let title = model.title();
    format!(
        "Wrote {title} to {shown}, named `{name}` (its results go to output/{name}/)\nEdit it, check it with `boomsim check {shown}`, run it with `boomsim run {shown}`.\n"
    )
}

/// What a shard prints: which of the run's paths it holds, and how to merge.
pub fn shard_written(
    (k, n): (usize, usize),
    paths: std::ops::Range<usize>,
    total: usize,
    dir: &std::path::Path,
) -> String {
    format!(
        "shard {k}/{n}: paths {} to {} of {total} written to {}/\nmerge every shard with: boomsim merge DIR... --out DIR\n",
        paths.start,
        paths.end,
        dir.display()
    )
}

/// The best-ranked group of a run, for one line of a sweep's listing.
pub fn best_group(rows: &[SummaryRow]) -> String {
    rows.iter()
        .filter(|r| r.kind == Kind::Group)
        .min_by_key(|r| r.rank)
        .map_or(String::new(), |r| {
            format!("best group {} (p50 {:+.1}%)", r.name, 100.0 * r.p50)
        })
}

/// What `sweep` prints: one line per scenario (its id, what it sets, its best group or
/// "failed"), sorted by id, and where the files are.
pub fn sweep_listing(mut rows: Vec<(String, String, String)>, out_dir: &std::path::Path) -> String {
    let mut text = format!("{} scenarios:\n", rows.len());
    rows.sort();
    for (id, sets, best) in rows {
        let _ = writeln!(text, "  {id}  {sets}  {best}");
    }
    let _ = writeln!(
        text,
        "\nWritten to {}/ (one folder per scenario, sweep.csv, sweep_wide.csv, manifest.json)",
        out_dir.display()
    );
    text
}

/// Everything a finished `allocate` prints.
pub struct AllocateText<'a> {
    /// The named portfolios (each once, with every name it carries).
    pub named: &'a [Named],
    /// The highest-mean end of the frontier.
    pub highest: &'a Named,
    /// Asset names and their groups, in model order; the group names.
    pub assets: &'a [(String, String)],
    pub groups: &'a [String],
    /// In-sample scenarios of each set, and the sets solved.
    pub scenarios: usize,
    pub sets: usize,
    /// Seconds spent solving.
    pub solve_seconds: f64,
    /// The CVaR level.
    pub alpha: f64,
    /// Rows of frontier.csv.
    pub portfolios: usize,
    /// The folder written.
    pub out_dir: &'a std::path::Path,
}

impl AllocateText<'_> {
    /// A portfolio's weights by asset, each with its range over the in-sample sets where it
    /// moves by more than half a point.
    fn by_asset(&self, n: &Named) -> String {
        let held: Vec<String> = (0..self.assets.len())
            .filter(|&k| n.weights[k] >= 0.0005 || n.weight_hi[k] >= 0.005)
            .map(|k| {
                let (w, lo, hi) = (n.weights[k], n.weight_lo[k], n.weight_hi[k]);
                if hi - lo >= 0.005 {
                    format!(
                        "{} {:.1}% ({:.1}-{:.1}%)",
                        self.assets[k].0,
                        100.0 * w,
                        100.0 * lo,
                        100.0 * hi
                    )
                } else {
                    format!("{} {:.1}%", self.assets[k].0, 100.0 * w)
                }
            })
            .collect();
        held.join(", ")
    }

    /// A portfolio's weights by group.
    fn by_group(&self, n: &Named) -> String {
        self.groups
            .iter()
            .map(|g| {
                let w: f64 = n
                    .weights
                    .iter()
                    .zip(self.assets)
                    .filter(|(_, (_, group))| group == g)
                    .map(|(w, _)| w)
                    .sum();
                format!("{g} {:.1}%", 100.0 * w)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A portfolio's figures in and out of sample.
    fn figures(n: &Named) -> String {
        let gap = match n.gap.1 {
            Some(se) => format!(
                "; fresh minus in-sample mean {:+.1} ±{:.1} points (2 se)",
                100.0 * n.gap.0,
                200.0 * se
            ),
            None => String::new(),
        };
        format!(
            "mean {:+.1}%, CVaR {:.1}% in sample; on fresh paths mean {:+.1}%, CVaR {:.1}%, p05 {:+.1}%, P(loss) {:.1}%{gap}",
            100.0 * n.in_sample.mean,
            100.0 * n.in_sample.cvar,
            100.0 * n.test.mean,
            100.0 * n.test.cvar,
            100.0 * n.test.p05,
            100.0 * n.test.prob_loss
        )
    }

    /// The text: the named portfolios, their weights by asset (with their range over the
    /// in-sample sets) and by group, in and out of sample, the highest-mean end of the
    /// frontier, and where the files are.
    pub fn render(&self) -> String {
        let tail = number::percent(1.0 - self.alpha);
        let mut t = format!(
            "Mean-CVaR portfolios of the model's assets: {} sets of {} in-sample scenarios each (an LP of {} variables\n\
             per portfolio; all solved in {:.1} s); figures are total returns over the model's horizon;\n\
             CVaR = mean loss of the worst {tail} of paths. A weight's (lo-hi) is its least and most over the\n\
             {} sets: how much it would move with other paths.\n",
            self.sets,
            self.scenarios,
            self.scenarios + self.assets.len() + 1,
            self.solve_seconds,
            self.sets
        );
        for n in self.named {
            let _ = writeln!(t, "\n{}: {}", n.title, Self::figures(n));
            let _ = writeln!(t, "  assets: {}", self.by_asset(n));
            let _ = writeln!(t, "  groups: {}", self.by_group(n));
        }
        let h = self.highest;
        let _ = writeln!(
            t,
            "\nThe highest-mean end ({}): {}\n  assets: {}\n  a corner of the frontier: with other paths it can flip whole to another asset, as its ranges show.",
            h.title,
            Self::figures(h),
            self.by_asset(h)
        );
        let _ = writeln!(
            t,
            "\nWritten to {}/ (frontier.csv: {} portfolios in and out of sample; allocation.csv: their weights with their ranges; manifest.json)\n\
             These are the optimal weights of the model's assumptions, not advice: a portfolio is only as good as the distributions behind it.",
            self.out_dir.display(),
            self.portfolios
        );
        t
    }
}
