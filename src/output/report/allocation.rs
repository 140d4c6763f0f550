//! The report of an allocate folder: what was asked, every named portfolio's weights with
//! their ranges, and the frontier in and out of sample.

use super::*;

#[derive(Debug, Clone, Deserialize)]
pub(super) struct FrontierRecord {
    pub(super) portfolio: usize,
    pub(super) name: String,
    pub(super) target: Option<f64>,
    pub(super) mean: f64,
    pub(super) cvar: f64,
    pub(super) mean_se: Option<f64>,
    pub(super) test_mean: f64,
    pub(super) test_cvar: f64,
    pub(super) test_p05: f64,
    pub(super) test_prob_loss: f64,
    pub(super) test_mean_se: Option<f64>,
}

impl FrontierRecord {
    /// A frontier point (not the `--max-cvar` portfolio, which has no target).
    pub(super) fn on_frontier(&self) -> bool {
        self.target.is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct WeightRecord {
    pub(super) portfolio: usize,
    pub(super) asset: String,
    pub(super) group: String,
    pub(super) weight: f64,
    pub(super) weight_lo: f64,
    pub(super) weight_hi: f64,
}

/// The frontier in and out of sample: mean return against CVaR of every point.
pub(super) fn frontier_chart(all: &[FrontierRecord]) -> Result<Chart, ReportError> {
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
pub(super) fn weights_chart(
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
pub(super) fn weights_table(weights: &[WeightRecord], portfolio: usize) -> String {
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
pub(super) fn write_allocation_report(dir: &Path) -> Result<PathBuf, ReportError> {
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
