//! What a person reads in the terminal: the ranked group table after a run, and the
//! one-screen model summary of `check`.

use std::fmt::Write as _;

use crate::distribution::describe::{Description, Histogram, SAMPLE_DRAWS, SAMPLE_SEED};
use crate::distribution::fit::{self, FitAnswer};
use crate::model::Kind;
use crate::model::Model;
use crate::stats::precision::PrecisionRow;
use crate::stats::sensitivity::SensitivityRow;
use crate::stats::summary::SummaryRow;

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

/// The groups ranked by Sharpe ratio: name, p05, p50, p95, cvar95, sharpe, uplift_mean,
/// profile. Returns in percent of the initial value over the whole horizon; cvar95 is the
/// average loss of the worst 5% of paths.
///
/// p50 and cvar95 carry the half-width of their 95% interval from `precision` (in percentage
/// points); below the table, the cells whose interval is wider than half their value (or
/// includes 0) are named, since their digits are Monte Carlo noise at this many paths.
pub fn group_table(rows: &[SummaryRow], precision: &[PrecisionRow]) -> String {
    let mut groups: Vec<&SummaryRow> = rows.iter().filter(|r| r.kind == Kind::Group).collect();
    let half = |name: &str, statistic: &str| {
        precision
            .iter()
            .find(|p| p.kind == Kind::Group && p.name == name && p.statistic == statistic)
            .and_then(PrecisionRow::half_width)
    };
    let with_error = |text: String, hw: Option<f64>| match hw {
        Some(h) => format!("{text} ±{}", scaled(100.0 * h, false, "")),
        None => text,
    };
    groups.sort_by_key(|r| r.rank);
    let header = [
        "rank",
        "group",
        "p05",
        "p50",
        "p95",
        "cvar95",
        "sharpe",
        "uplift_mean",
        "profile",
    ];
    let cells: Vec<[String; 9]> = groups
        .iter()
        .map(|r| {
            [
                r.rank.to_string(),
                r.name.clone(),
                percent(r.p05),
                with_error(percent(r.p50), half(&r.name, "p50")),
                percent(r.p95),
                with_error(loss(r.cvar95), half(&r.name, "cvar95")),
                optional(r.sharpe, |s| format!("{s:.2}")),
                optional(r.uplift_mean, percent),
                r.profile.name().to_string(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, row: &[String]| {
        for (i, (c, w)) in row.iter().zip(width).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            if i == 1 || i == 8 {
                let _ = write!(out, "{c:<w$}");
            } else {
                let _ = write!(out, "{c:>w$}");
            }
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(&mut out, &header.map(String::from));
    for row in &cells {
        line(&mut out, row);
    }
    let shown = ["p05", "p50", "p95", "cvar95", "sharpe", "uplift_mean"];
    let noisy: Vec<String> = groups
        .iter()
        .flat_map(|g| {
            precision.iter().filter(move |p| {
                p.kind == Kind::Group && p.name == g.name && shown.contains(&p.statistic)
            })
        })
        .filter(|p| match (p.estimate, p.lo95, p.hi95) {
            (Some(x), Some(lo), Some(hi)) => {
                (hi - lo) / 2.0 > 0.5 * x.abs() || (lo < 0.0 && hi > 0.0)
            }
            _ => false,
        })
        .map(|p| format!("{} {}", p.name, p.statistic))
        .collect();
    // Neighbours in the ranking whose Sharpe ratios differ by less than two standard errors
    // of the difference (batch errors, taken as independent: conservative for shared paths).
    let se = |name: &str| {
        precision
            .iter()
            .find(|p| p.kind == Kind::Group && p.name == name && p.statistic == "sharpe")
            .and_then(|p| p.se)
    };
    let ties: Vec<String> = groups
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0], w[1]);
            let gap = (a.sharpe? - b.sharpe?).abs();
            let se = (se(&a.name)?.powi(2) + se(&b.name)?.powi(2)).sqrt();
            (gap < 2.0 * se).then(|| format!("{} and {}", a.name, b.name))
        })
        .collect();
    if !ties.is_empty() {
        let _ = writeln!(
            out,
            "Ranks not settled at this many paths (Sharpe ratios within 2 standard errors): {}",
            ties.join("; ")
        );
    }
    let batches = precision.iter().find_map(|p| p.batches).unwrap_or(0);
    if batches < crate::stats::precision::MIN_BATCHES {
        out.push_str("(too few paths for error bars: run at least 2048 paths)\n");
    } else if !noisy.is_empty() {
        let _ = writeln!(
            out,
            "Within Monte Carlo noise at this many paths (95% interval wider than half the value, or\n\
             including 0; precision.csv has every error): {}",
            noisy.join(", ")
        );
    }
    out
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
    if let Some(c) = &model.copula {
        let m = c.paths.len();
        let _ = writeln!(o, "correlated inputs (rank correlation):");
        for i in 0..m {
            for j in i + 1..m {
                let rho = c.rank_correlation[i * m + j];
                if rho != 0.0 {
                    let _ = writeln!(o, "  {} ~ {}: {rho}", c.paths[i], c.paths[j]);
                }
            }
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
        let _ = writeln!(
            o,
            "  {key:<width$}  {:<dwidth$}  p05 {:>9.4}  p50 {:>9.4}  p95 {:>9.4}",
            d.text(),
            d.quantile(0.05) + 0.0,
            d.quantile(0.5) + 0.0,
            d.quantile(0.95) + 0.0,
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
         minus in its bottom 10%, +- its standard error; only drivers beyond 3 standard errors\n\
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
                number(r.p05),
                number(r.p50),
                number(r.p95),
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

fn number(x: f64) -> String {
    format!("{:.4}", x + 0.0)
}

/// A moment, or `undefined` where it does not exist.
fn moment(x: Option<f64>) -> String {
    x.map_or_else(|| "undefined".to_string(), number)
}

fn bound(x: Option<f64>, infinite: &str) -> String {
    x.map_or_else(|| infinite.to_string(), |x| format!("{x}"))
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
        number(d.p01),
        number(d.p05),
        number(d.p25),
        number(d.p50),
        number(d.p75),
        number(d.p95),
        number(d.p99)
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
