//! The risk/reward map: cvar95 against the mean return of every group and asset, shaded by
//! profile, each point numbered beside it and named in a key.

use super::*;

/// The profiles of summary.csv, in the order of their colours in [`PALETTE`].
pub(super) const PROFILES: [&str; 4] = ["core", "high-upside", "defensive", "avoid"];

pub(super) fn profile_colour(profile: &str) -> RGBColor {
    PROFILES
        .iter()
        .position(|p| *p == profile)
        .map_or(RGBColor(120, 120, 120), |i| PALETTE[i])
}

/// A label for the key: at most `max` characters, an ellipsis marking a cut.
pub(super) fn shorten(text: &str, max: usize) -> String {
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
pub(super) fn risk_reward_chart(folder: &RunFolder) -> Result<Chart, ReportError> {
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
