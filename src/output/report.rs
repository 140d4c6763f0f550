//! `boomsim report DIR`: SVG charts (plotters) and a self-contained `report.html` from a run
//! folder's files alone, so a report can be made again, byte for byte, from the same folder.
//!
//! Charts: the adoption fan (boom and baseline), the distribution (CDF) of each group's total
//! return, a risk/reward map coloured by profile, a tornado of each group's top drivers, and
//! the distribution of each group's maximum drawdown. Colours are the Okabe-Ito palette,
//! readable with every common colour-vision deficiency.

use std::fs;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::Deserialize;

use super::annotate::{Bounds, Overlay, Shape, place_labels, text_size, xml_text};

/// Okabe-Ito colours.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(240, 228, 66),  // yellow
];

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file of the run folder is missing or unreadable.
    #[error(
        "cannot read {path}: {message}\n  help: report reads a folder written by `boomsim run` (summary.csv, adoption.csv, sensitivity.csv, distributions.csv, manifest.json)"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A chart could not be drawn.
    #[error("cannot draw {chart}: {message}")]
    Draw {
        /// The chart.
        chart: &'static str,
        /// plotters' message.
        message: String,
    },
    /// The report could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl crate::exit::ExitStatus for ReportError {
    fn exit_code(&self) -> u8 {
        crate::exit::FAILED
    }
}

#[derive(Debug, Clone, Deserialize)]
struct SummaryRecord {
    kind: String,
    name: String,
    label: String,
    mean_return: f64,
    p05: f64,
    p50: f64,
    p95: f64,
    cvar95: f64,
    sharpe: Option<f64>,
    uplift_mean: Option<f64>,
    rank: usize,
    profile: String,
    /// Empty (`None`) for runs too small to tell, and in folders written before it existed.
    #[serde(default)]
    profile_settled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
struct SensitivityRecord {
    kind: String,
    name: String,
    parameter: String,
    low_mean: f64,
    high_mean: f64,
    /// The swing's standard error (absent from folders written before it existed).
    #[serde(default)]
    swing_se: Option<f64>,
    /// Beyond its Monte Carlo error; folders written before the column existed show every
    /// parameter.
    #[serde(default = "shown")]
    significant: bool,
}

fn shown() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
struct DistributionRecord {
    kind: String,
    name: String,
    measure: String,
    level: f64,
    value: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct PrecisionRecord {
    kind: String,
    name: String,
    statistic: String,
    estimate: Option<f64>,
    lo95: Option<f64>,
    hi95: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
struct ConvergenceRecord {
    name: String,
    statistic: String,
    paths: f64,
    estimate: f64,
    lo95: Option<f64>,
    hi95: Option<f64>,
}

/// What a run folder holds, as the report needs it.
pub struct RunFolder {
    manifest: serde_json::Value,
    summary: Vec<SummaryRecord>,
    /// Header and rows of adoption.csv.
    adoption: (Vec<String>, Vec<Vec<f64>>),
    sensitivity: Vec<SensitivityRecord>,
    distributions: Vec<DistributionRecord>,
    /// precision.csv and convergence.csv (empty for folders written before they existed).
    precision: Vec<PrecisionRecord>,
    convergence: Vec<ConvergenceRecord>,
}

impl RunFolder {
    /// The larger distance from an entity's statistic to the ends of its 95% interval, when
    /// precision.csv gives one: what a `±` shows (an interval lopsided at an atom is never
    /// understated).
    fn reach(&self, kind: &str, name: &str, statistic: &str) -> Option<f64> {
        let p = self
            .precision
            .iter()
            .find(|p| p.kind == kind && p.name == name && p.statistic == statistic)?;
        let x = p.estimate?;
        Some((x - p.lo95?).max(p.hi95? - x).max(0.0))
    }

    /// A number of the manifest.
    fn manifest_number(&self, key: &str) -> Option<f64> {
        self.manifest.get(key)?.as_f64()
    }

    /// The profiles' thresholds (hurdle, tail-loss limit), when the manifest records them.
    fn thresholds(&self) -> Option<(f64, f64)> {
        let t = self.manifest.get("profile_thresholds")?;
        Some((
            t.get("hurdle")?.as_f64()?,
            t.get("tail_loss_limit")?.as_f64()?,
        ))
    }
}

/// A CSV file the report can do without (written by later versions only).
fn read_optional<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, ReportError> {
    if path.exists() {
        read_csv(path, true)
    } else {
        Ok(Vec::new())
    }
}

/// The rows of a CSV file; `may_be_empty` for sensitivity.csv (a model without uncertain
/// parameters has no rows there).
fn read_csv<T: for<'de> Deserialize<'de>>(
    path: &Path,
    may_be_empty: bool,
) -> Result<Vec<T>, ReportError> {
    let fail = |message: String| ReportError::Read {
        path: path.to_path_buf(),
        message,
    };
    let bytes = crate::input::read(path).map_err(|e| fail(e.to_string()))?;
    let rows = csv::Reader::from_reader(bytes.as_slice())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if rows.is_empty() && !may_be_empty {
        return Err(fail(
            "it has a header but no rows; it was not written by a finished `boomsim run`".into(),
        ));
    }
    Ok(rows)
}

/// The first number of a run folder's files that is NaN or infinite, named by file and row:
/// the charts' axes are fitted to the data, and a boomsim run never writes such a cell.
fn check_finite(folder: &RunFolder, dir: &Path) -> Result<(), ReportError> {
    let bad = |file: &str, row: usize, what: &str| ReportError::Read {
        path: dir.join(file),
        message: format!(
            "row {row}: {what} is not a finite number; a boomsim run never writes one, so the file was edited or damaged"
        ),
    };
    let finite = |x: f64| x.is_finite();
    for (i, r) in folder.summary.iter().enumerate() {
        let values = [r.mean_return, r.p05, r.p50, r.p95, r.cvar95];
        let optional = [r.sharpe, r.uplift_mean];
        if !values.into_iter().all(finite) || !optional.into_iter().flatten().all(finite) {
            return Err(bad("summary.csv", i + 2, &format!("a value of {}", r.name)));
        }
    }
    if !folder.summary.iter().any(|r| r.kind == "group") {
        return Err(ReportError::Read {
            path: dir.join("summary.csv"),
            message: "it has no group row".into(),
        });
    }
    for (i, r) in folder.sensitivity.iter().enumerate() {
        if !finite(r.low_mean) || !finite(r.high_mean) {
            return Err(bad(
                "sensitivity.csv",
                i + 2,
                &format!("a mean of {}", r.name),
            ));
        }
    }
    for (i, r) in folder.distributions.iter().enumerate() {
        if !finite(r.level) || !finite(r.value) {
            return Err(bad(
                "distributions.csv",
                i + 2,
                &format!("a value of {}", r.name),
            ));
        }
    }
    for (i, row) in folder.adoption.1.iter().enumerate() {
        if !row.iter().copied().all(finite) {
            return Err(bad("adoption.csv", i + 2, "a value"));
        }
    }
    for (i, r) in folder.sensitivity.iter().enumerate() {
        if r.swing_se.is_some_and(|x| !finite(x)) {
            return Err(bad(
                "sensitivity.csv",
                i + 2,
                &format!("swing_se of {}", r.name),
            ));
        }
    }
    for (i, r) in folder.precision.iter().enumerate() {
        if [r.estimate, r.lo95, r.hi95]
            .into_iter()
            .flatten()
            .any(|x| !finite(x))
        {
            return Err(bad(
                "precision.csv",
                i + 2,
                &format!("a value of {}", r.name),
            ));
        }
    }
    for (i, r) in folder.convergence.iter().enumerate() {
        let values = [Some(r.paths), Some(r.estimate), r.lo95, r.hi95];
        if values.into_iter().flatten().any(|x| !finite(x)) || r.paths < 1.0 {
            return Err(bad(
                "convergence.csv",
                i + 2,
                &format!("a value of {}", r.name),
            ));
        }
    }
    check_consistent(folder, dir)
}

/// The files of a run folder describe the same entities: every group and asset of
/// summary.csv has its 99 percentiles of each measure in distributions.csv (levels strictly
/// between 0 and 1, in order), and every entity the other files name is in summary.csv. A
/// hand-edited folder that breaks this is named by file and row, not drawn wrong.
fn check_consistent(folder: &RunFolder, dir: &Path) -> Result<(), ReportError> {
    let fail = |file: &str, message: String| ReportError::Read {
        path: dir.join(file),
        message,
    };
    let named = |kind: &str, name: &str| {
        folder
            .summary
            .iter()
            .any(|r| r.kind == kind && r.name == name)
    };
    for (i, r) in folder.distributions.iter().enumerate() {
        if !named(&r.kind, &r.name) {
            return Err(fail(
                "distributions.csv",
                format!(
                    "row {}: {} `{}` is not in summary.csv; the files are of different runs, or were edited",
                    i + 2,
                    r.kind,
                    r.name
                ),
            ));
        }
        if !(r.level > 0.0 && r.level < 1.0) {
            return Err(fail(
                "distributions.csv",
                format!("row {}: level {} is not between 0 and 1", i + 2, r.level),
            ));
        }
    }
    for (i, r) in folder.summary.iter().enumerate() {
        for measure in ["total_return", "max_drawdown"] {
            let levels: Vec<f64> = folder
                .distributions
                .iter()
                .filter(|d| d.kind == r.kind && d.name == r.name && d.measure == measure)
                .map(|d| d.level)
                .collect();
            if levels.len() != 99 || levels.windows(2).any(|w| w[0] >= w[1]) {
                return Err(fail(
                    "distributions.csv",
                    format!(
                        "it has {} {measure} percentiles of {} `{}` (summary.csv row {}), not the 99 in order a boomsim run writes; the files are of different runs, or were edited",
                        levels.len(),
                        r.kind,
                        r.name,
                        i + 2
                    ),
                ));
            }
        }
    }
    for (i, r) in folder.sensitivity.iter().enumerate() {
        if !named(&r.kind, &r.name) {
            return Err(fail(
                "sensitivity.csv",
                format!(
                    "row {}: {} `{}` is not in summary.csv",
                    i + 2,
                    r.kind,
                    r.name
                ),
            ));
        }
    }
    for (i, r) in folder.precision.iter().enumerate() {
        if !named(&r.kind, &r.name) {
            return Err(fail(
                "precision.csv",
                format!(
                    "row {}: {} `{}` is not in summary.csv",
                    i + 2,
                    r.kind,
                    r.name
                ),
            ));
        }
    }
    for (i, r) in folder.convergence.iter().enumerate() {
        if !named("group", &r.name) {
            return Err(fail(
                "convergence.csv",
                format!("row {}: group `{}` is not in summary.csv", i + 2, r.name),
            ));
        }
    }
    Ok(())
}

/// Reads a run folder.
pub fn read_folder(dir: &Path) -> Result<RunFolder, ReportError> {
    let manifest_path = dir.join("manifest.json");
    let manifest = crate::input::read_to_string(&manifest_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|message| ReportError::Read {
            path: manifest_path,
            message,
        })?;
    let adoption_path = dir.join("adoption.csv");
    let fail = |message: String| ReportError::Read {
        path: adoption_path.clone(),
        message,
    };
    let (header, records) =
        super::csv::read_cells(&adoption_path, crate::input::MAX_INPUT_BYTES).map_err(&fail)?;
    let rows = records
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.parse::<f64>().map_err(|e| fail(e.to_string())))
                .collect()
        })
        .collect::<Result<Vec<Vec<f64>>, _>>()?;
    if rows.is_empty() {
        return Err(fail("it has a header but no rows".into()));
    }
    let folder = RunFolder {
        manifest,
        summary: read_csv(&dir.join("summary.csv"), false)?,
        adoption: (header, rows),
        sensitivity: read_csv(&dir.join("sensitivity.csv"), true)?,
        distributions: read_csv(&dir.join("distributions.csv"), false)?,
        precision: read_optional(&dir.join("precision.csv"))?,
        convergence: read_optional(&dir.join("convergence.csv"))?,
    };
    check_finite(&folder, dir)?;
    Ok(folder)
}

/// One chart: its file name, title, a one-line caption saying how to read it, and its SVG.
pub struct Chart {
    /// e.g. `fan.svg`.
    pub file: &'static str,
    /// The figure's title.
    pub title: String,
    /// How to read it.
    pub caption: String,
    /// The SVG text.
    pub svg: String,
}

fn draw_error(chart: &'static str) -> impl Fn(String) -> ReportError {
    move |message| ReportError::Draw { chart, message }
}

macro_rules! try_draw {
    ($chart:expr, $e:expr) => {
        $e.map_err(|e| draw_error($chart)(e.to_string()))?
    };
}

/// The legend, in the same style on every chart.
fn legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    position: SeriesLabelPosition,
    name: &'static str,
) -> Result<(), ReportError> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| draw_error(name)(e.to_string()))
}

fn percent(x: &f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

fn pad((lo, hi): (f64, f64)) -> (f64, f64) {
    let m = 0.05 * (hi - lo);
    (lo - m, hi + m)
}

/// The adoption fan: bands p05-p95 and p25-p75, and the median, of boom and baseline.
fn fan_chart(folder: &RunFolder) -> Result<Chart, ReportError> {
    const NAME: &str = "fan.svg";
    let (header, rows) = &folder.adoption;
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 420)).into_drawing_area();
        try_draw!(NAME, root.fill(&WHITE));
        let years = range(rows.iter().map(|r| r[1]));
        let values = range(rows.iter().flat_map(|r| r[2..].iter().copied()));
        let mut chart = try_draw!(
            NAME,
            ChartBuilder::on(&root)
                .caption("Adoption index A(t): today = 1", ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(years.0..years.1, 0f64..pad(values).1)
        );
        try_draw!(
            NAME,
            chart
                .configure_mesh()
                .x_desc("years from today")
                .y_desc("adoption multiple (x today)")
                .draw()
        );
        for (prefix, colour, label) in [
            ("", PALETTE[0], "boom"),
            ("baseline_", PALETTE[1], "baseline"),
        ] {
            let (Some(p05), Some(p25), Some(p50), Some(p75), Some(p95)) = (
                col(&format!("{prefix}p05")),
                col(&format!("{prefix}p25")),
                col(&format!("{prefix}p50")),
                col(&format!("{prefix}p75")),
                col(&format!("{prefix}p95")),
            ) else {
                continue;
            };
            for ((lo, hi), alpha) in [((p05, p95), 0.18), ((p25, p75), 0.35)] {
                let mut points: Vec<(f64, f64)> = rows.iter().map(|r| (r[1], r[hi])).collect();
                points.extend(rows.iter().rev().map(|r| (r[1], r[lo])));
                try_draw!(
                    NAME,
                    chart.draw_series(std::iter::once(Polygon::new(
                        points,
                        colour.mix(alpha).filled()
                    )))
                );
            }
            try_draw!(
                NAME,
                chart.draw_series(LineSeries::new(
                    rows.iter().map(|r| (r[1], r[p50])),
                    colour.stroke_width(2)
                ))
            )
            .label(format!("{label}: median, 25-75% and 5-95% bands"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, NAME)?;
        try_draw!(NAME, root.present());
    }
    Ok(Chart {
        file: NAME,
        title: "How far adoption grows".into(),
        caption: "The line is the median path; the dark band holds the middle 50% of paths and the light band 90%. Blue is the boom scenario, orange the baseline (today's trend).".into(),
        svg,
    })
}

/// CDFs of one measure for every group, with a log axis of the value multiple when returns
/// span orders of magnitude.
fn cdf_chart(
    folder: &RunFolder,
    measure: &str,
    file: &'static str,
    caption_title: &str,
) -> Result<(String, bool), ReportError> {
    let groups: Vec<&SummaryRecord> = folder
        .summary
        .iter()
        .filter(|r| r.kind == "group")
        .collect();
    let series: Vec<(String, Vec<(f64, f64)>)> = groups
        .iter()
        .map(|g| {
            let points = folder
                .distributions
                .iter()
                .filter(|d| d.kind == "group" && d.name == g.name && d.measure == measure)
                .map(|d| (d.value, d.level))
                .collect();
            (g.name.clone(), points)
        })
        .collect();
    let values = range(series.iter().flat_map(|(_, p)| p.iter().map(|(v, _)| *v)));
    let returns = measure == "total_return";
    // Multiples 1 + r; a log axis when they span more than 30x (total losses sit at 1%).
    let floor = 0.01;
    let log = returns && (1.0 + values.1) / (1.0 + values.0).max(floor) > 30.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 420)).into_drawing_area();
        try_draw!(file, root.fill(&WHITE));
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(caption_title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60);
        let x_desc = if returns {
            "total return over the horizon (%)"
        } else {
            "maximum drawdown (%)"
        };
        // On a log scale the x coordinate is log10 of the value multiple 1 + r (total losses at
        // the floor); labels turn it back into a return.
        let x_of = |v: f64| {
            if log {
                libm::log10((1.0 + v).max(floor))
            } else {
                v
            }
        };
        // On a linear axis, stop where the data must: a return cannot fall below -100%, and a
        // drawdown lies between 0% and 100%.
        let (lo, hi) = match pad((x_of(values.0), x_of(values.1))) {
            (lo, hi) if log => (lo, hi),
            (lo, hi) if returns => (lo.max(-1.0), hi),
            (lo, hi) => (lo.max(0.0), hi.min(1.0)),
        };
        let label = |x: &f64| {
            if log {
                format!("{:.0}%", 100.0 * (libm::pow(10f64, *x) - 1.0))
            } else {
                percent(x)
            }
        };
        let mut chart = try_draw!(file, builder.build_cartesian_2d(lo..hi, 0f64..1f64));
        try_draw!(
            file,
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .y_desc("share of paths at or below")
                .x_label_formatter(&label)
                .y_label_formatter(&percent)
                .draw()
        );
        for (i, (name, points)) in series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            try_draw!(
                file,
                chart.draw_series(LineSeries::new(
                    points.iter().map(|&(v, p)| (x_of(v), p)),
                    colour.stroke_width(2),
                ))
            )
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, file)?;
        try_draw!(file, root.present());
    }
    Ok((svg, log))
}

/// A chart on `area` whose axes are both percentages: its title, label areas, a mesh without
/// the minor lines, and the axis descriptions.
fn percent_plane<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    name: &'static str,
    title: &str,
    (xs, ys): ((f64, f64), (f64, f64)),
    (x_desc, y_desc): (&str, &str),
) -> Result<
    ChartContext<
        'a,
        SVGBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    ReportError,
> {
    let mut chart = try_draw!(
        name,
        ChartBuilder::on(area)
            .caption(title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(xs.0..xs.1, ys.0..ys.1)
    );
    try_draw!(
        name,
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&percent)
            .y_label_formatter(&percent)
            .light_line_style(WHITE.mix(0.0))
            .draw()
    );
    Ok(chart)
}

/// The profiles of summary.csv, in the order of their colours in [`PALETTE`].
const PROFILES: [&str; 4] = ["core", "high-upside", "defensive", "avoid"];

fn profile_colour(profile: &str) -> RGBColor {
    PROFILES
        .iter()
        .position(|p| *p == profile)
        .map_or(RGBColor(120, 120, 120), |i| PALETTE[i])
}

/// A label for the key: at most `max` characters, an ellipsis marking a cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}\u{2026}")
    }
}

/// Risk (cvar95) against reward (mean return) for groups and assets, coloured by profile, with
/// the profiles' two thresholds as lines. Every point is numbered beside it (numbers of points
/// on one spot share a label), the key on the right names them, and each point and label has a
/// hover title with its figures.
fn risk_reward_chart(folder: &RunFolder) -> Result<Chart, ReportError> {
    const NAME: &str = "risk_reward.svg";
    const PLOT_WIDTH: u32 = 700;
    const KEY_WIDTH: u32 = 300;
    const KEY_LINE: f64 = 16.0;
    const LABEL_SIZE: f64 = 11.0;
    // Groups first, then assets, each in rank order: the numbers follow the tables.
    let mut entities: Vec<&SummaryRecord> = folder.summary.iter().collect();
    entities.sort_by_key(|r| (r.kind != "group", r.rank));
    // The thresholds the profiles are drawn by; the axes reach them.
    let thresholds = folder.thresholds();
    // What the data can take: a loss in the worst 5% is at most 100% (cvar95 <= 1), a mean
    // return at least -100%; the axes stop there.
    let xs = {
        let limit = thresholds.map(|t| t.1);
        let (lo, hi) = pad(range(entities.iter().map(|r| r.cvar95).chain(limit)));
        (lo, hi.min(1.0))
    };
    let ys = {
        let hurdle = thresholds.map(|t| t.0);
        let (lo, hi) = pad(range(entities.iter().map(|r| r.mean_return).chain(hurdle)));
        (lo.max(-1.0), hi)
    };
    let key_lines = entities.len() + 3;
    let height = (120.0 + KEY_LINE * key_lines as f64).max(540.0) as u32;
    let mut overlay = Overlay::new();
    let mut crowded = 0;
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (PLOT_WIDTH + KEY_WIDTH, height)).into_drawing_area();
        try_draw!(NAME, root.fill(&WHITE));
        let (left, _) = root.split_horizontally(PLOT_WIDTH);
        let mut chart = percent_plane(
            &left,
            NAME,
            "Risk and reward",
            (xs, ys),
            (
                "cvar95: average loss of the worst 5% of paths (%)",
                "mean total return (%)",
            ),
        )?;
        // Quadrants shaded in the colour of the profile they give, split at the thresholds.
        if let Some((hurdle, limit)) = thresholds {
            let (qx, qy) = (limit.clamp(xs.0, xs.1), hurdle.clamp(ys.0, ys.1));
            for (i, [(x0, x1), (y0, y1)]) in [
                [(xs.0, qx), (qy, ys.1)],
                [(qx, xs.1), (qy, ys.1)],
                [(xs.0, qx), (ys.0, qy)],
                [(qx, xs.1), (ys.0, qy)],
            ]
            .into_iter()
            .enumerate()
            {
                try_draw!(
                    NAME,
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x0, y0), (x1, y1)],
                        PALETTE[i].mix(0.07).filled()
                    )))
                );
            }
            let dashed = BLACK.mix(0.4);
            try_draw!(
                NAME,
                chart.draw_series([
                    PathElement::new(vec![(qx, ys.0), (qx, ys.1)], dashed),
                    PathElement::new(vec![(xs.0, qy), (xs.1, qy)], dashed),
                ])
            );
        }
        // Markers, in pixels.
        let pixel = |x: f64, y: f64| {
            let (px, py) = chart.backend_coord(&(x, y));
            (f64::from(px), f64::from(py))
        };
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let area = Bounds {
            x0: f64::from(xr.start),
            y0: f64::from(yr.start),
            x1: f64::from(xr.end),
            y1: f64::from(yr.end),
        };
        let at: Vec<(f64, f64)> = entities
            .iter()
            .map(|r| pixel(r.cvar95, r.mean_return))
            .collect();
        let size = |r: &SummaryRecord| if r.kind == "group" { 8.0 } else { 5.0 };
        let markers: Vec<Bounds> = entities
            .iter()
            .zip(&at)
            .map(|(r, &p)| Bounds::around(p, (2.0 * size(r), 2.0 * size(r))))
            .collect();
        let tooltip = |k: usize, r: &SummaryRecord| {
            format!(
                "{k}. {} ({} {}): mean total return {:+.1}%, median {:+.1}%, cvar95 {:.1}%, profile {}{}, rank {} of the {}s",
                r.label,
                r.kind,
                r.name,
                100.0 * r.mean_return,
                100.0 * r.p50,
                100.0 * r.cvar95,
                r.profile,
                if r.profile_settled == Some(true) {
                    ""
                } else {
                    " (not settled)"
                },
                r.rank,
                r.kind
            )
        };
        // Points on one spot (within 3 px) share a label: "5,6,7".
        let mut spots: Vec<((f64, f64), Vec<usize>)> = Vec::new();
        for (i, &p) in at.iter().enumerate() {
            match spots
                .iter_mut()
                .find(|(q, _)| (q.0 - p.0).abs() <= 3.0 && (q.1 - p.1).abs() <= 3.0)
            {
                Some((_, members)) => members.push(i),
                None => spots.push((p, vec![i])),
            }
        }
        let texts: Vec<String> = spots
            .iter()
            .map(|(_, m)| {
                m.iter()
                    .map(|i| (i + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        let points: Vec<(f64, f64)> = spots.iter().map(|(p, _)| *p).collect();
        let radii: Vec<f64> = spots
            .iter()
            .map(|(_, m)| m.iter().map(|&i| size(entities[i])).fold(0.0, f64::max))
            .collect();
        let sizes: Vec<(f64, f64)> = texts.iter().map(|t| text_size(t, LABEL_SIZE)).collect();
        let placements = place_labels(&points, &radii, &sizes, &markers, area);
        // Leader lines first, markers over them, labels last.
        for ((point, _), place) in spots.iter().zip(&placements) {
            if place.leader {
                overlay.leader(*point, &place.bounds);
            }
        }
        for (i, (r, &p)) in entities.iter().zip(&at).enumerate() {
            let shape = if r.kind == "group" {
                Shape::Triangle
            } else {
                Shape::Circle
            };
            overlay.marker(
                shape,
                p,
                size(r),
                profile_colour(&r.profile),
                &tooltip(i + 1, r),
            );
        }
        for (((_, members), text), place) in spots.iter().zip(&texts).zip(&placements) {
            crowded += usize::from(place.crowded);
            let title: Vec<String> = members
                .iter()
                .map(|&i| tooltip(i + 1, entities[i]))
                .collect();
            overlay.label(&place.bounds, text, LABEL_SIZE, &title.join("\n"));
        }
        // The key: profiles, then every number with its marker and name.
        let x = f64::from(PLOT_WIDTH) + 10.0;
        let mut y = 40.0;
        overlay.text((x, y), "Profiles", 13.0, "start", BLACK);
        y += KEY_LINE;
        let mut cx = x + 6.0;
        for (i, profile) in PROFILES.iter().enumerate() {
            overlay.marker(Shape::Circle, (cx, y - 4.0), 5.0, PALETTE[i], profile);
            overlay.text((cx + 8.0, y), profile, 11.0, "start", BLACK);
            cx += 8.0 + text_size(profile, 11.0).0 + 12.0;
        }
        y += 1.5 * KEY_LINE;
        overlay.text(
            (x, y),
            "Points (triangles are groups)",
            13.0,
            "start",
            BLACK,
        );
        for (i, r) in entities.iter().enumerate() {
            y += KEY_LINE;
            let shape = if r.kind == "group" {
                Shape::Triangle
            } else {
                Shape::Circle
            };
            overlay.text((x + 18.0, y), &(i + 1).to_string(), 11.0, "end", BLACK);
            overlay.marker(
                shape,
                (x + 27.0, y - 4.0),
                5.0,
                profile_colour(&r.profile),
                &tooltip(i + 1, r),
            );
            overlay.text((x + 37.0, y), &shorten(&r.label, 38), 11.0, "start", BLACK);
        }
        try_draw!(NAME, root.present());
    }
    overlay.into_svg(&mut svg);
    Ok(Chart {
        file: NAME,
        title: "Risk against reward".into(),
        caption: format!(
            "Up is a higher mean return, right a deeper loss in the worst 5% of paths: top-left is best. Each point is numbered (the key on the right names it; points on one spot share a label) and shows its figures on hover. Triangles are groups, dots assets; colours are the profiles of summary.csv, and each quadrant is shaded in the colour of the profile it gives, split at the profiles' two thresholds (the grey lines: the hurdle for the mean return, the tail-loss limit for cvar95). The axes stop where the data must: a loss cannot pass 100%, nor a return fall below -100%.{}",
            if crowded > 0 {
                format!(
                    " {crowded} labels found no free place and overlap; hover over the points to tell them apart."
                )
            } else {
                String::new()
            }
        ),
        svg,
    })
}

/// Each group's five strongest significant drivers: bars from the mean return in the lowest
/// decile of the draw to the mean in the highest.
fn tornado_chart(folder: &RunFolder) -> Result<Chart, ReportError> {
    const NAME: &str = "tornado.svg";
    const TOP: usize = 5;
    let groups: Vec<&SummaryRecord> = folder
        .summary
        .iter()
        .filter(|r| r.kind == "group")
        .collect();
    let mut overlay = Overlay::new();
    let mut svg = String::new();
    {
        let height = 60 + 40 * TOP as u32 * groups.len().max(1) as u32 + 50 * groups.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (860, height)).into_drawing_area();
        try_draw!(NAME, root.fill(&WHITE));
        let root = try_draw!(
            NAME,
            root.titled("Top drivers of each group", ("sans-serif", 20))
        );
        let panels = root.split_evenly((groups.len().max(1), 1));
        for (panel, g) in panels.iter().zip(&groups) {
            let bars: Vec<&SensitivityRecord> = folder
                .sensitivity
                .iter()
                .filter(|s| s.kind == "group" && s.name == g.name && s.significant)
                .take(TOP)
                .collect();
            if bars.is_empty() {
                continue;
            }
            // The group's mean is on the axis (its line is drawn); a mean return cannot fall
            // below -100%, so the axis stops there.
            let xs = {
                let values = bars.iter().flat_map(|b| [b.low_mean, b.high_mean]);
                let (lo, hi) = pad(range(values.chain([g.mean_return])));
                (lo.max(-1.0), hi)
            };
            let n = bars.len();
            let mut chart = try_draw!(
                NAME,
                ChartBuilder::on(panel)
                    .caption(
                        format!("{} (mean total return)", g.label),
                        ("sans-serif", 15)
                    )
                    .margin(8)
                    .x_label_area_size(30)
                    .y_label_area_size(260)
                    .build_cartesian_2d(xs.0..xs.1, 0f64..n as f64)
            );
            let names: Vec<String> = bars.iter().map(|b| b.parameter.clone()).collect();
            try_draw!(
                NAME,
                chart
                    .configure_mesh()
                    .disable_y_mesh()
                    .y_labels(n * 2 + 1)
                    .y_label_formatter(&|y| {
                        let i = (*y - 0.5).round();
                        if (*y - 0.5 - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < n {
                            names[n - 1 - i as usize].clone()
                        } else {
                            String::new()
                        }
                    })
                    .x_label_formatter(&percent)
                    .draw()
            );
            let pixel = |x: f64, y: f64| {
                let (px, py) = chart.backend_coord(&(x, y));
                (f64::from(px), f64::from(py))
            };
            for (i, b) in bars.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let colour = if b.high_mean >= b.low_mean {
                    PALETTE[0]
                } else {
                    PALETTE[5]
                };
                let title = format!(
                    "{} drives {}: mean total return {:+.1}% when it is in its lowest 10% of draws, {:+.1}% in its highest (swing {:+.1} points{}; the group's mean is {:+.1}%)",
                    b.parameter,
                    g.label,
                    100.0 * b.low_mean,
                    100.0 * b.high_mean,
                    100.0 * (b.high_mean - b.low_mean),
                    b.swing_se
                        .map_or(String::new(), |se| format!(" \u{b1} {:.1}", 100.0 * se)),
                    100.0 * g.mean_return
                );
                overlay.bar(
                    pixel(b.low_mean, y + 0.2),
                    pixel(b.high_mean, y + 0.8),
                    colour,
                    &title,
                );
            }
            // The group's mean: where every bar would sit if the driver did not matter.
            let (top, bottom) = (pixel(g.mean_return, n as f64), pixel(g.mean_return, 0.0));
            overlay.line(top, bottom, BLACK, 1.2, true);
            overlay.text(
                (top.0 + 4.0, top.1 + 11.0),
                &format!("mean {:+.0}%", 100.0 * g.mean_return),
                11.0,
                "start",
                BLACK,
            );
        }
        try_draw!(NAME, root.present());
    }
    overlay.into_svg(&mut svg);
    Ok(Chart {
        file: NAME,
        title: "Which assumptions matter most".into(),
        caption: "Each bar runs from the group's mean return when the parameter is in its lowest 10% of draws to when it is in its highest; longest first. Blue: a higher draw raises the return; vermillion: it lowers it. The dashed line is the group's mean return. Hover over a bar for its figures. Only drivers beyond their Monte Carlo error are drawn (sensitivity.csv's `significant`); a group without any has no bars.".into(),
        svg,
    })
}

/// Every chart of a run folder.
pub fn charts(folder: &RunFolder) -> Result<Vec<Chart>, ReportError> {
    let (returns, log) = cdf_chart(
        folder,
        "total_return",
        "returns.svg",
        "Distribution of each group's total return",
    )?;
    let (drawdowns, _) = cdf_chart(
        folder,
        "max_drawdown",
        "drawdowns.svg",
        "Distribution of each group's maximum drawdown",
    )?;
    let mut all = vec![
        fan_chart(folder)?,
        Chart {
            file: "returns.svg",
            title: "What each group returns".into(),
            caption: format!(
                "For each return on the x axis, the share of paths that end at or below it: a curve further right is better; a steep curve is a narrow range.{}",
                if log { " The x axis is logarithmic (returns span orders of magnitude); total losses sit at its left edge." } else { "" }
            ),
            svg: returns,
        },
        risk_reward_chart(folder)?,
        tornado_chart(folder)?,
        Chart {
            file: "drawdowns.svg",
            title: "How deep the falls are".into(),
            caption: "For each drawdown (fall from a running peak), the share of paths whose worst fall is at most that deep: a curve further left is gentler; 100% is a total loss.".into(),
            svg: drawdowns,
        },
    ];
    if !folder.convergence.is_empty() {
        all.push(convergence_chart(folder)?);
    }
    Ok(all)
}

/// A path count for an axis: 2k, 16k, 1.0M.
fn paths_label(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.0}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// Each group's mean return and cvar95 as paths are added: the estimate over the first n
/// paths and its 95% band, against n on a log axis (convergence.csv).
fn convergence_chart(folder: &RunFolder) -> Result<Chart, ReportError> {
    const NAME: &str = "convergence.svg";
    let groups: Vec<&SummaryRecord> = folder
        .summary
        .iter()
        .filter(|r| r.kind == "group")
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 700)).into_drawing_area();
        try_draw!(NAME, root.fill(&WHITE));
        let root = try_draw!(
            NAME,
            root.titled("Estimates as paths are added", ("sans-serif", 20))
        );
        let panels = root.split_evenly((2, 1));
        for (panel, (statistic, title)) in panels.iter().zip([
            ("mean_return", "mean total return"),
            ("cvar95", "cvar95 (average loss of the worst 5%)"),
        ]) {
            let points: Vec<&ConvergenceRecord> = folder
                .convergence
                .iter()
                .filter(|c| c.statistic == statistic)
                .collect();
            if points.is_empty() {
                continue;
            }
            let xs = range(points.iter().map(|c| libm::log2(c.paths)));
            let ys = pad(range(points.iter().flat_map(|c| {
                [
                    c.estimate,
                    c.lo95.unwrap_or(c.estimate),
                    c.hi95.unwrap_or(c.estimate),
                ]
            })));
            let mut chart = try_draw!(
                NAME,
                ChartBuilder::on(panel)
                    .caption(title, ("sans-serif", 15))
                    .margin(10)
                    .x_label_area_size(35)
                    .y_label_area_size(70)
                    .build_cartesian_2d(xs.0..xs.1.max(xs.0 + 0.1), ys.0..ys.1)
            );
            try_draw!(
                NAME,
                chart
                    .configure_mesh()
                    .x_desc("paths (log scale)")
                    .x_labels((xs.1 - xs.0).ceil() as usize + 2)
                    .x_label_formatter(&|x| paths_label(libm::pow(2f64, *x)))
                    .y_label_formatter(&percent)
                    .draw()
            );
            for (i, g) in groups.iter().enumerate() {
                let colour = PALETTE[i % PALETTE.len()];
                let line: Vec<&&ConvergenceRecord> =
                    points.iter().filter(|c| c.name == g.name).collect();
                let band: Vec<(f64, f64, f64)> = line
                    .iter()
                    .filter_map(|c| Some((libm::log2(c.paths), c.lo95?, c.hi95?)))
                    .collect();
                if band.len() >= 2 {
                    let mut polygon: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.2)).collect();
                    polygon.extend(band.iter().rev().map(|b| (b.0, b.1)));
                    try_draw!(
                        NAME,
                        chart.draw_series(std::iter::once(Polygon::new(
                            polygon,
                            colour.mix(0.2).filled()
                        )))
                    );
                }
                try_draw!(
                    NAME,
                    chart.draw_series(LineSeries::new(
                        line.iter().map(|c| (libm::log2(c.paths), c.estimate)),
                        colour.stroke_width(2)
                    ))
                )
                .label(g.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight, NAME)?;
        }
        try_draw!(NAME, root.present());
    }
    Ok(Chart {
        file: NAME,
        title: "How precise the numbers are".into(),
        caption: "Each line is a group's estimate over the run's first n paths (a sketched run's first 100,000), the band its 95% interval from batches of those paths: where the band is narrow, more paths would not change the digits shown; where it is wide, run more paths (or use --precision).".into(),
        svg,
    })
}

fn cell(x: Option<f64>, pct: bool) -> String {
    match x {
        None => "&ndash;".into(),
        Some(v) if pct => format!("{:+.1}%", 100.0 * v),
        Some(v) => format!("{v:.2}"),
    }
}

/// A percentage with its `±` in points (the larger distance to its 95% interval's ends), when
/// precision.csv has one wider than the last digit shown.
fn with_error(text: String, reach: Option<f64>) -> String {
    match reach {
        Some(r) if 100.0 * r >= 0.05 => format!("{text} <small>&plusmn;{:.1}</small>", 100.0 * r),
        _ => text,
    }
}

fn table(folder: &RunFolder, rows: &[&SummaryRecord]) -> String {
    let mut t = String::from(
        "<div class=\"scroll\"><table><thead><tr><th>rank</th><th>name</th><th>mean</th><th>p05</th><th>p50</th><th>p95</th><th>cvar95 (loss)</th><th>sharpe</th><th>uplift vs baseline</th><th>profile</th></tr></thead><tbody>\n",
    );
    let mut rows = rows.to_vec();
    rows.sort_by_key(|r| r.rank);
    for r in rows {
        let reach = |statistic: &str| folder.reach(&r.kind, &r.name, statistic);
        let profile = match r.profile_settled {
            Some(true) => xml_text(&r.profile),
            _ => format!("{} ?", xml_text(&r.profile)),
        };
        t.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            r.rank,
            xml_text(&r.label),
            with_error(cell(Some(r.mean_return), true), reach("mean_return")),
            with_error(cell(Some(r.p05), true), reach("p05")),
            with_error(cell(Some(r.p50), true), reach("p50")),
            with_error(cell(Some(r.p95), true), reach("p95")),
            with_error(format!("{:.1}%", 100.0 * r.cvar95), reach("cvar95")),
            cell(r.sharpe, false),
            with_error(cell(r.uplift_mean, true), reach("uplift_mean")),
            profile
        ));
    }
    t.push_str("</tbody></table></div>\n");
    t
}

/// What the tables' `±` and profiles mean, with the run's thresholds; a note when drivers come
/// from a sketched run's first paths; the command that places capital.
fn reading_notes(folder: &RunFolder) -> String {
    let mut notes = String::from(
        "<p><small>&plusmn; = the larger distance from the value to the ends of its 95% interval, in percentage points (precision.csv). cvar95 = the average loss of the worst 5% of paths.",
    );
    if let Some((hurdle, limit)) = folder.thresholds() {
        let rate = folder
            .manifest_number("expected_return")
            .map_or(String::new(), |mu| {
                format!(
                    ", what a fairly priced asset earns at {:.1}% a year",
                    100.0 * mu
                )
            });
        notes.push_str(&format!(
            " Profile: <b>high return</b> = mean above {:+.1}%{rate}; <b>low risk</b> = cvar95 at most {:.1}% (the model's tail_loss_limit). core = both, high-upside = high return only, defensive = low risk only, avoid = neither; ? = not settled: the 95% intervals straddle a threshold, so more paths could change it.",
            100.0 * hurdle,
            100.0 * limit
        ));
    }
    notes.push_str("</small></p>\n");
    if let (Some(kept), Some(paths)) = (
        folder.manifest_number("paths_kept_whole"),
        folder.manifest_number("paths"),
    ) && kept < paths
    {
        notes.push_str(&format!(
            "<p><small>The drivers (and samples.csv) come from the first {kept} of the {paths} paths: a sketched run keeps only those whole.</small></p>\n"
        ));
    }
    notes
}

/// The self-contained page: no scripts, fonts or images from anywhere; the SVGs inline.
pub fn html(folder: &RunFolder, charts: &[Chart]) -> String {
    let m = &folder.manifest;
    let text = |key: &str| {
        m.get(key)
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let groups: Vec<&SummaryRecord> = folder
        .summary
        .iter()
        .filter(|r| r.kind == "group")
        .collect();
    let assets: Vec<&SummaryRecord> = folder
        .summary
        .iter()
        .filter(|r| r.kind == "asset")
        .collect();
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>boomsim report: {name}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 1150px; margin: 2em auto; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }}\n\
         th, td {{ padding: 0.25em 0.5em; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }}\n\
         td small {{ color: #666; }}\n\
         .scroll {{ overflow-x: auto; }}\n\
         td:nth-child(2), th:nth-child(2), td:last-child, th:last-child {{ text-align: left; }}\n\
         figure {{ margin: 2em 0; }} figcaption {{ color: #555; }} svg {{ max-width: 100%; height: auto; }}\n\
         </style>\n</head>\n<body>\n<h1>boomsim report: {name}</h1>\n\
         <p>{paths} paths, seed {seed}, run {created}; boomsim {version}; model {model}. Returns are total returns over the model's horizon; \
         every number is an illustrative result of the model's assumptions, not a forecast and not investment advice.</p>\n",
        name = xml_text(&text("model_name")),
        paths = xml_text(&text("paths")),
        seed = xml_text(&text("seed")),
        created = xml_text(&text("created")),
        version = xml_text(&text("boomsim_version")),
        model = xml_text(&text("model_path")),
    );
    page.push_str("<h2>Groups, ranked by Sharpe ratio</h2>\n");
    page.push_str(&table(folder, &groups));
    page.push_str("<h2>Assets, ranked by Sharpe ratio</h2>\n");
    page.push_str(&table(folder, &assets));
    page.push_str(&reading_notes(folder));
    for c in charts {
        let svg = c
            .svg
            .split_once("<svg")
            .map_or(c.svg.as_str(), |(_, rest)| rest);
        page.push_str(&format!(
            "<figure>\n<h2>{}</h2>\n<svg{}\n<figcaption>{}</figcaption>\n</figure>\n",
            xml_text(&c.title),
            svg,
            xml_text(&c.caption)
        ));
    }
    if let Some(command) = m.get("allocate_command").and_then(|c| c.as_str()) {
        page.push_str(&format!(
            "<h2>Where to place capital</h2>\n<p>The long-only portfolios with the least tail loss for each target return, checked on fresh paths: <code>{}</code></p>\n",
            xml_text(command)
        ));
    }
    page.push_str("</body>\n</html>\n");
    page
}

/// Writes the charts (`charts/*.svg`) and `report.html` into a run folder; returns the page's
/// path. Each file is written beside its target and renamed into place.
pub fn write_report(dir: &Path) -> Result<PathBuf, ReportError> {
    if dir.join("frontier.csv").is_file() {
        return write_allocation_report(dir);
    }
    let folder = read_folder(dir)?;
    let charts = charts(&folder)?;
    let chart_dir = dir.join("charts");
    let put = |path: PathBuf, text: &str| -> Result<(), ReportError> {
        let tmp = path.with_extension("partial");
        fs::write(&tmp, text)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|source| ReportError::Write { path, source })
    };
    fs::create_dir_all(&chart_dir).map_err(|source| ReportError::Write {
        path: chart_dir.clone(),
        source,
    })?;
    for c in &charts {
        put(chart_dir.join(c.file), &c.svg)?;
    }
    let page = dir.join("report.html");
    put(page.clone(), &html(&folder, &charts))?;
    Ok(page)
}

#[derive(Debug, Clone, Deserialize)]
struct FrontierRecord {
    portfolio: usize,
    name: String,
    target: Option<f64>,
    mean: f64,
    cvar: f64,
    mean_se: Option<f64>,
    test_mean: f64,
    test_cvar: f64,
    test_p05: f64,
    test_prob_loss: f64,
    test_mean_se: Option<f64>,
}

impl FrontierRecord {
    /// A frontier point (not the `--max-cvar` portfolio, which has no target).
    fn on_frontier(&self) -> bool {
        self.target.is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
struct WeightRecord {
    portfolio: usize,
    asset: String,
    group: String,
    weight: f64,
    weight_lo: f64,
    weight_hi: f64,
}

/// The frontier in and out of sample: mean return against CVaR of every point.
fn frontier_chart(all: &[FrontierRecord]) -> Result<Chart, ReportError> {
    let frontier: Vec<&FrontierRecord> = all.iter().filter(|f| f.on_frontier()).collect();
    // The out-of-sample minus in-sample mean, with its standard error, averaged over points.
    let gaps: Vec<(f64, f64)> = frontier
        .iter()
        .filter_map(|f| {
            let se = (f.mean_se? * f.mean_se? + f.test_mean_se? * f.test_mean_se?).sqrt();
            Some((f.test_mean - f.mean, se))
        })
        .collect();
    let beyond = gaps.iter().filter(|(g, se)| g.abs() > 2.0 * se).count();
    const NAME: &str = "frontier.svg";
    let mut overlay = Overlay::new();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 460)).into_drawing_area();
        try_draw!(NAME, root.fill(&WHITE));
        let xs = pad(range(frontier.iter().flat_map(|f| [f.cvar, f.test_cvar])));
        let ys = pad(range(frontier.iter().flat_map(|f| [f.mean, f.test_mean])));
        let mut chart = percent_plane(
            &root,
            NAME,
            "Mean-CVaR frontier",
            (xs, ys),
            ("CVaR (mean loss of the worst paths)", "mean total return"),
        )?;
        let mut marks = Vec::new();
        for (label, colour, of) in [
            (
                "in sample (optimised on)",
                PALETTE[0],
                (|f: &&FrontierRecord| (f.cvar, f.mean)) as fn(&&FrontierRecord) -> (f64, f64),
            ),
            (
                "out of sample (fresh paths)",
                PALETTE[1],
                |f: &&FrontierRecord| (f.test_cvar, f.test_mean),
            ),
        ] {
            try_draw!(
                NAME,
                chart.draw_series(LineSeries::new(
                    frontier.iter().map(of),
                    colour.stroke_width(2)
                ))
            )
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
            for f in &frontier {
                let (x, y) = of(f);
                let (px, py) = chart.backend_coord(&(x, y));
                let title = format!(
                    "portfolio {}, {label}: mean total return {:+.1}%, CVaR {:.1}%",
                    f.portfolio,
                    100.0 * y,
                    100.0 * x
                );
                marks.push(((f64::from(px), f64::from(py)), colour, title));
            }
        }
        for (at, colour, title) in &marks {
            overlay.marker(Shape::Circle, *at, 3.5, *colour, title);
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, NAME)?;
        try_draw!(NAME, root.present());
    }
    overlay.into_svg(&mut svg);
    Ok(Chart {
        file: NAME,
        title: "What each unit of tail risk buys".into(),
        caption: format!(
            "Each point is a portfolio of the frontier, from the least CVaR (left) to the highest mean (right): blue as optimised on the in-sample paths, orange the same weights on fresh paths. Their gap (fresh minus in-sample mean) is {} with a standard error of {} (both sets' batch errors), and beyond 2 standard errors at {beyond} of {} points: {}. Hover over a point for its figures.",
            gaps.first().map_or("unknown".into(), |g| format!(
                "{:+.1} points at the least-CVaR point",
                100.0 * g.0
            )),
            gaps.first()
                .map_or("unknown".into(), |g| format!("{:.1} points", 100.0 * g.1)),
            gaps.len(),
            if beyond == 0 {
                "the in-sample figures hold on fresh paths within their Monte Carlo error"
            } else {
                "where it is beyond its error, the optimiser fitted the in-sample paths' noise; run more --paths"
            }
        ),
        svg,
    })
}

/// Each group's share of the budget along the frontier, stacked.
fn weights_chart(
    frontier: &[FrontierRecord],
    weights: &[WeightRecord],
) -> Result<Chart, ReportError> {
    const NAME: &str = "weights.svg";
    let mut groups: Vec<String> = Vec::new();
    for w in weights {
        if !groups.contains(&w.group) {
            groups.push(w.group.clone());
        }
    }
    let frontier: Vec<&FrontierRecord> = frontier.iter().filter(|f| f.on_frontier()).collect();
    let share = |point: usize, group: &str| -> f64 {
        weights
            .iter()
            .filter(|w| w.portfolio == point && w.group == group)
            .map(|w| w.weight)
            .sum()
    };
    let mut overlay = Overlay::new();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 420)).into_drawing_area();
        try_draw!(NAME, root.fill(&WHITE));
        let n = frontier.len() as f64;
        let mut chart = try_draw!(
            NAME,
            ChartBuilder::on(&root)
                .caption("Weights along the frontier", ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0.5f64..n + 0.5, 0f64..1.3)
        );
        try_draw!(
            NAME,
            chart
                .configure_mesh()
                .x_desc("frontier point (1 = least CVaR)")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_desc("share of the budget")
                .y_label_formatter(&|y| if *y <= 1.0 {
                    format!("{:.0}%", 100.0 * y)
                } else {
                    String::new()
                })
                .draw()
        );
        let mut below = vec![0.0; frontier.len()];
        for (i, group) in groups.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let bars: Vec<(f64, f64, f64)> = frontier
                .iter()
                .enumerate()
                .map(|(k, f)| {
                    let s = share(f.portfolio, group);
                    let bar = (f.portfolio as f64, below[k], below[k] + s);
                    below[k] += s;
                    bar
                })
                .collect();
            for &(x, lo, hi) in bars.iter().filter(|b| b.2 - b.1 > 1e-4) {
                let corner = |x: f64, y: f64| {
                    let (px, py) = chart.backend_coord(&(x, y));
                    (f64::from(px), f64::from(py))
                };
                let title = format!(
                    "frontier point {x:.0}: {group} {:.1}% of the budget",
                    100.0 * (hi - lo)
                );
                overlay.bar(corner(x - 0.4, lo), corner(x + 0.4, hi), colour, &title);
            }
            // The bars are the overlay's; this empty series only names the group in the legend.
            try_draw!(
                NAME,
                chart.draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
            )
            .label(group.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, NAME)?;
        try_draw!(NAME, root.present());
    }
    overlay.into_svg(&mut svg);
    Ok(Chart {
        file: NAME,
        title: "Where the capital goes".into(),
        caption: "Each bar is a frontier portfolio's budget split by group (allocation.csv has every asset): from the least tail risk on the left to the highest mean on the right.".into(),
        svg,
    })
}

/// The weights of one named portfolio by asset, each with its range over the in-sample
/// sets (assets it never holds left out).
fn weights_table(weights: &[WeightRecord], portfolio: usize) -> String {
    let mut t = String::from(
        "<table><thead><tr><th>asset</th><th>group</th><th>weight</th><th>least-most over the in-sample sets</th></tr></thead><tbody>\n",
    );
    for w in weights
        .iter()
        .filter(|w| w.portfolio == portfolio && (w.weight >= 0.0005 || w.weight_hi >= 0.005))
    {
        t.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:.1}%</td><td>{:.1}-{:.1}%</td></tr>\n",
            xml_text(&w.asset),
            xml_text(&w.group),
            100.0 * w.weight,
            100.0 * w.weight_lo,
            100.0 * w.weight_hi
        ));
    }
    t.push_str("</tbody></table>\n");
    t
}

/// `report.html` and charts of an allocation folder (frontier.csv, allocation.csv and its
/// manifest): what was asked, every named portfolio once with its weights and their spread,
/// the frontier in and out of sample, and where the capital goes along it.
fn write_allocation_report(dir: &Path) -> Result<PathBuf, ReportError> {
    let frontier: Vec<FrontierRecord> = read_csv(&dir.join("frontier.csv"), false)?;
    let weights: Vec<WeightRecord> = read_csv(&dir.join("allocation.csv"), false)?;
    let manifest_path = dir.join("manifest.json");
    let manifest: serde_json::Value = crate::input::read_to_string(&manifest_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|message| ReportError::Read {
            path: manifest_path.clone(),
            message,
        })?;
    for (i, f) in frontier.iter().enumerate() {
        let values = [
            f.mean,
            f.cvar,
            f.test_mean,
            f.test_cvar,
            f.test_p05,
            f.test_prob_loss,
        ];
        if !values.iter().all(|x| x.is_finite()) {
            return Err(ReportError::Read {
                path: dir.join("frontier.csv"),
                message: format!(
                    "row {}: a value of portfolio {} is not a finite number; boomsim never writes one, so the file was edited or damaged",
                    i + 2,
                    f.portfolio
                ),
            });
        }
    }
    for (i, w) in weights.iter().enumerate() {
        if ![w.weight, w.weight_lo, w.weight_hi]
            .iter()
            .all(|x| x.is_finite())
        {
            return Err(ReportError::Read {
                path: dir.join("allocation.csv"),
                message: format!("row {}: a weight is not a finite number", i + 2),
            });
        }
    }
    let charts = [
        frontier_chart(&frontier)?,
        weights_chart(&frontier, &weights)?,
    ];
    let chart_dir = dir.join("charts");
    fs::create_dir_all(&chart_dir).map_err(|source| ReportError::Write {
        path: chart_dir.clone(),
        source,
    })?;
    let text = |key: &str| {
        manifest
            .get(key)
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let list = |key: &str| {
        manifest
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "none".into())
    };
    let sets = manifest
        .get("resample_paths")
        .and_then(|v| v.as_array())
        .map_or(1, |a| a.len() + 1);
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>boomsim allocation: {model}</title>\n<style>body {{ font-family: sans-serif; max-width: 1150px; margin: 2em auto; color: #222; }} table {{ border-collapse: collapse; margin: 1em 0; }} th, td {{ padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }} td:first-child, th:first-child {{ text-align: left; }} figcaption {{ color: #555; }} svg {{ max-width: 100%; height: auto; }}</style>\n</head>\n<body>\n<h1>boomsim allocation: {model}</h1>\n\
         <p>Model {path} (SHA-256 {sha}), seed {seed}; boomsim {version}. Optimised on in-sample paths {inside} and solved again on {more} further sets of as many paths ({resamples}); checked on out-of-sample paths {outside}. CVaR level {level} (the mean loss of the worst {tail} of paths); boom probability {boom}.</p>\n\
         <p>Constraints: weights sum to 1, none negative; at most {max_weight} in one asset; groups {groups}; excluded {excluded}; CVaR at most {max_cvar}.</p>\n\
         <p><b>These are the optimal weights of the model's assumptions, not investment advice:</b> the scenarios are the model, and a portfolio is only as good as the distributions behind it.</p>\n",
        model = xml_text(&text("model_name")),
        path = xml_text(&text("model_path")),
        sha = xml_text(&text("model_sha256")),
        seed = xml_text(&text("seed")),
        version = xml_text(&text("boomsim_version")),
        inside = xml_text(&text("in_sample_paths")),
        more = sets - 1,
        resamples = xml_text(&list("resample_paths")),
        outside = xml_text(&text("out_of_sample_paths")),
        level = xml_text(&text("cvar_level")),
        tail = 100.0
            * (1.0
                - manifest
                    .get("cvar_level")
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.95)),
        boom = xml_text(&text("boom_probability")),
        max_weight = xml_text(&text("max_weight")),
        groups = xml_text(&list("groups")),
        excluded = xml_text(&list("excluded")),
        max_cvar = xml_text(&match text("max_cvar").as_str() {
            "null" | "" => "not asked".to_string(),
            x => x.to_string(),
        }),
    );
    page.push_str("<h2>The named portfolios</h2>\n");
    for f in frontier.iter().filter(|f| !f.name.is_empty()) {
        let words: Vec<&str> = f
            .name
            .split(' ')
            .map(|n| match n {
                "min_cvar" => "minimum CVaR",
                "best_ratio" => "best mean return per unit of CVaR",
                "max_cvar" => "highest mean within the CVaR limit",
                other => other,
            })
            .collect();
        let gap = match (f.mean_se, f.test_mean_se) {
            (Some(a), Some(b)) => format!(
                "; fresh minus in-sample mean {:+.1} points with a standard error of {:.1}",
                100.0 * (f.test_mean - f.mean),
                100.0 * (a * a + b * b).sqrt()
            ),
            _ => String::new(),
        };
        page.push_str(&format!(
            "<h3>{} (portfolio {})</h3>\n<p>In sample: mean {:+.1}%, CVaR {:.1}%. On fresh paths: mean {:+.1}%, CVaR {:.1}%, p05 {:+.1}%, probability of a loss {:.1}%{gap}.</p>\n{}",
            xml_text(&words.join(", also the ")),
            f.portfolio,
            100.0 * f.mean,
            100.0 * f.cvar,
            100.0 * f.test_mean,
            100.0 * f.test_cvar,
            100.0 * f.test_p05,
            100.0 * f.test_prob_loss,
            weights_table(&weights, f.portfolio)
        ));
    }
    if let Some(last) = frontier.iter().rfind(|f| f.on_frontier()) {
        page.push_str(&format!(
            "<h3>The highest-mean end (portfolio {})</h3>\n<p>A corner of the frontier: with other paths it can flip whole from one asset to another, as the ranges show.</p>\n{}",
            last.portfolio,
            weights_table(&weights, last.portfolio)
        ));
    }
    page.push_str("<h2>Every portfolio</h2>\n<table><thead><tr><th>portfolio</th><th>name</th><th>mean (in)</th><th>CVaR (in)</th><th>mean (out)</th><th>CVaR (out)</th></tr></thead><tbody>\n");
    for f in &frontier {
        page.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:+.1}%</td><td>{:.1}%</td><td>{:+.1}%</td><td>{:.1}%</td></tr>\n",
            f.portfolio,
            xml_text(&f.name),
            100.0 * f.mean,
            100.0 * f.cvar,
            100.0 * f.test_mean,
            100.0 * f.test_cvar
        ));
    }
    page.push_str("</tbody></table>\n");
    for c in &charts {
        let path = chart_dir.join(c.file);
        fs::write(&path, &c.svg).map_err(|source| ReportError::Write { path, source })?;
        page.push_str(&format!(
            "<figure>\n<h2>{}</h2>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            xml_text(&c.title),
            c.svg,
            xml_text(&c.caption)
        ));
    }
    page.push_str("</body>\n</html>\n");
    let out = dir.join("report.html");
    fs::write(&out, page).map_err(|source| ReportError::Write {
        path: out.clone(),
        source,
    })?;
    Ok(out)
}
