//! The tornado: each group's strongest significant drivers, bars from the low to the high
//! decile's mean around the group's mean.

use super::*;

/// Each group's five strongest significant drivers: bars from the mean return in the lowest
/// decile of the draw to the mean in the highest.
pub(super) fn tornado_chart(folder: &RunFolder) -> Result<Chart, ReportError> {
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
