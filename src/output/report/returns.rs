//! Distributions as CDFs on a shared axis: each group's total return and maximum drawdown.

use super::*;

/// CDFs of one measure for every group, with a log axis of the value multiple when returns
/// span orders of magnitude.
pub(super) fn cdf_chart(
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
pub(super) fn percent_plane<'a, 'b>(
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
