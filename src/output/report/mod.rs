//! `boomsim report DIR`: SVG charts (plotters) and a self-contained `report.html` from a run
//! folder's files alone, so a report can be made again, byte for byte, from the same folder.
//!
//! Charts: the adoption fan (boom and baseline), the distribution (CDF) of each group's total
//! return, a risk/reward map coloured by profile, a tornado of each group's top drivers, and
//! the distribution of each group's maximum drawdown. Colours are the Okabe-Ito palette,
//! readable with every common colour-vision deficiency.
//!
//! One file per part: `folder.rs` reads and checks the folder, a file per chart (`fan.rs`,
//! `returns.rs`, `risk_reward.rs`, `tornado.rs`, `convergence.rs`), `page.rs` the HTML and
//! `allocation.rs` allocate's report; this file holds what they share (the palette, the
//! `try_draw!` macro, defined before the modules so they see it, the legend and the axes).

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

mod allocation;
mod convergence;
mod fan;
mod folder;
mod page;
mod returns;
mod risk_reward;
mod tornado;

use self::allocation::*;
use self::convergence::*;
use self::fan::*;
pub use self::folder::*;
pub use self::page::*;
use self::returns::*;
use self::risk_reward::*;
use self::tornado::*;

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
