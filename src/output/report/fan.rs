//! The adoption fan: the boom's and the baseline's adoption index over time, median and bands.

use super::*;

/// The adoption fan: bands p05-p95 and p25-p75, and the median, of boom and baseline.
pub(super) fn fan_chart(folder: &RunFolder) -> Result<Chart, ReportError> {
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
