//! The HTML page: the tables with each value's error, the reading notes and the inline charts.

use super::*;

pub(super) fn cell(x: Option<f64>, pct: bool) -> String {
    match x {
        None => "&ndash;".into(),
        Some(v) if pct => format!("{:+.1}%", 100.0 * v),
        Some(v) => format!("{v:.2}"),
    }
}

/// A percentage with its `±` in points (the larger distance to its 95% interval's ends), when
/// precision.csv has one wider than the last digit shown.
pub(super) fn with_error(text: String, reach: Option<f64>) -> String {
    match reach {
        Some(r) if 100.0 * r >= 0.05 => format!("{text} <small>&plusmn;{:.1}</small>", 100.0 * r),
        _ => text,
    }
}

pub(super) fn table(folder: &RunFolder, rows: &[&SummaryRecord]) -> String {
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
pub(super) fn reading_notes(folder: &RunFolder) -> String {
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
