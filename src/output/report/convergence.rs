//! Convergence: each group's mean return and cvar95 as paths are added, with their 95% bands.

use super::*;

/// A path count for an axis: 2k, 16k, 1.0M.
pub(super) fn paths_label(n: f64) -> String {
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
pub(super) fn convergence_chart(folder: &RunFolder) -> Result<Chart, ReportError> {
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
