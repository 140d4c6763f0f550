//! The model's own texts: `check`'s one-screen summary, `describe`'s table, market and copula
//! words (and its CSV), `dist`'s report and `fit`'s answer.

use crate::distribution::describe::{Description, Histogram, SAMPLE_DRAWS, SAMPLE_SEED};
use crate::distribution::fit::{self, FitAnswer};
use crate::model::Model;
use crate::number;
use std::fmt::Write as _;

use super::*;

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
pub(super) fn number_in(x: f64, spread: f64) -> String {
    if x.abs() <= 1e-12 * spread.abs() {
        number(0.0)
    } else {
        number(x)
    }
}

/// Four decimals, or the exponent form where four decimals would show 0 or run long.
pub(super) fn number(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || (1e-4..1e12).contains(&a) {
        format!("{:.4}", x + 0.0)
    } else {
        crate::number::shown(x)
    }
}

/// A moment, or `undefined` where it does not exist.
pub(super) fn moment(x: Option<f64>) -> String {
    x.map_or_else(|| "undefined".to_string(), number)
}

pub(super) fn bound(x: Option<f64>, infinite: &str) -> String {
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
