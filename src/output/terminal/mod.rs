//! What a person reads in the terminal, one file per kind of answer: a run's answer here (the
//! ranked groups and leading assets with their error bars, what the profiles mean, the drivers,
//! the allocate command), the model's own texts in `model.rs` (`check`, `describe`, `dist`,
//! `fit`), and the other commands' in `commands.rs` (allocate, sweep, shard, init, and the lines
//! naming a report or a workbook). The cli layer only prints what these return.

use crate::model::Kind;
use crate::output::Manifest;
use crate::stats::precision::{PrecisionRow, Stopping};
use crate::stats::sensitivity::SensitivityRow;
use crate::stats::summary::{SummaryRow, Thresholds};
use std::fmt::Write as _;

mod commands;
mod model;

pub use commands::*;
pub use model::*;

/// Beyond a million percent, a number of ten digits says less than its magnitude.
pub(super) const PLAIN_PERCENT: f64 = 1e6;

/// `p` with one decimal (`+` sign when `signed`), in exponent form past a million.
pub(super) fn scaled(p: f64, signed: bool, unit: &str) -> String {
    match (p.abs() >= PLAIN_PERCENT, signed) {
        (true, true) => format!("{p:+.2e}{unit}"),
        (true, false) => format!("{p:.2e}{unit}"),
        (false, true) => format!("{p:+.1}{unit}"),
        (false, false) => format!("{p:.1}{unit}"),
    }
}

pub(super) fn percent(x: f64) -> String {
    scaled(100.0 * x, true, "%")
}

/// A loss, positive, without a sign.
pub(super) fn loss(x: f64) -> String {
    scaled(100.0 * x + 0.0, false, "%")
}

/// A swing in percentage points.
pub(super) fn points(x: f64) -> String {
    scaled(100.0 * x, true, " pts")
}

pub(super) fn optional(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| "-".to_string(), f)
}

/// How many assets the terminal lists (by rank); summary.csv and the report have them all.
pub const LEADING_ASSETS: usize = 5;

/// A cell's value with its `±` (the larger distance to its 95% interval's ends, in
/// percentage points), when the interval is known and wider than the value's last digit.
pub(super) fn with_reach(text: String, reach: Option<f64>) -> String {
    match reach {
        Some(r) if 100.0 * r >= 0.05 => format!("{text} ±{}", scaled(100.0 * r, false, "")),
        _ => text,
    }
}

/// One entity's precision row for `statistic`.
pub(super) fn precision_of<'a>(
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
pub(super) fn profile_cell(row: &SummaryRow) -> String {
    match row.profile_settled {
        Some(true) => row.profile.name().to_string(),
        _ => format!("{} ?", row.profile.name()),
    }
}

/// Lays out cells under a header: the columns at `left` are aligned left, the rest right.
pub(super) fn layout(header: &[&str], cells: &[Vec<String>], left: &[usize]) -> String {
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
pub(super) fn noise_note(rows: &[SummaryRow], precision: &[PrecisionRow]) -> String {
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
pub(super) fn stopping_text(s: &Stopping, paths: usize) -> String {
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
