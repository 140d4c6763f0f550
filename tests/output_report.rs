//! `boomsim report`: every chart is valid SVG that renders to a non-blank picture, the page
//! loads nothing from the network, and a report made twice from one folder is the same bytes.

mod common;

use std::fs;

use common::boomsim;

fn render_ink(svg: &str) -> f64 {
    let opt = resvg::usvg::Options::default();
    let tree = resvg::usvg::Tree::from_str(svg, &opt).expect("valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let pixels = pixmap.pixels();
    let inked = pixels
        .iter()
        .filter(|p| p.red() < 240 || p.green() < 240 || p.blue() < 240)
        .count();
    inked as f64 / pixels.len() as f64
}

#[test]
fn run_report_draws_every_chart_and_a_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &["run", "--paths", "3000", "--out", "r", "--report"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = dir.path().join("r");
    for chart in [
        "fan",
        "returns",
        "risk_reward",
        "tornado",
        "drawdowns",
        "convergence",
    ] {
        let svg = fs::read_to_string(run.join(format!("charts/{chart}.svg"))).unwrap();
        let ink = render_ink(&svg);
        assert!(ink > 0.02, "{chart}.svg is nearly blank ({ink})");
    }
    let page = fs::read_to_string(run.join("report.html")).unwrap();
    assert!(page.contains("<h1>boomsim report: python-5x</h1>"));
    assert!(page.contains("3000 paths, seed 1"));
    assert_eq!(page.matches("<svg").count(), 6);
    assert_eq!(page.matches("<figcaption>").count(), 6);
    // Tables carry the 95% half-widths of precision.csv.
    assert!(
        page.contains("<small>&plusmn;"),
        "half-widths in the tables"
    );
    for forbidden in ["<script", "<link", "<img", "src=", "@import", "url("] {
        assert!(
            !page.contains(forbidden),
            "the page must load nothing: found {forbidden}"
        );
    }
    let network: Vec<&str> = page
        .match_indices("http")
        .map(|(i, _)| &page[i..(i + 40).min(page.len())])
        .filter(|s| !s.starts_with("http://www.w3.org/"))
        .collect();
    assert!(network.is_empty(), "{network:?}");
}

#[test]
fn a_report_regenerates_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        boomsim(dir.path(), &["run", "--paths", "1000", "--out", "r"])
            .status
            .success()
    );
    let first = boomsim(dir.path(), &["report", "r"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let read = |f: &str| fs::read(dir.path().join("r").join(f)).unwrap();
    let files = [
        "report.html",
        "charts/fan.svg",
        "charts/returns.svg",
        "charts/risk_reward.svg",
        "charts/tornado.svg",
        "charts/drawdowns.svg",
    ];
    let before: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
    assert!(boomsim(dir.path(), &["report", "r"]).status.success());
    let after: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
    assert!(before == after);
}

#[test]
fn a_one_group_model_without_baseline_reports_too() {
    let dir = tempfile::tempdir().unwrap();
    let model = r#"
[model]
name = "one"
horizon_years = 3
steps_per_year = 12
[adoption]
process = "gbm"
log_drift = "normal(0.1, 0.05)"
volatility = 0.2
[sectors.s]
elasticity = 1
[groups.g]
[assets.a]
group = "g"
exposure = { s = 1.0 }
"#;
    fs::write(dir.path().join("one.toml"), model).unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "run", "one.toml", "--paths", "500", "--out", "r", "--report",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = fs::read_to_string(dir.path().join("r/charts/fan.svg")).unwrap();
    assert!(render_ink(&svg) > 0.02);
}

#[test]
fn report_on_a_folder_that_is_not_a_run_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(dir.path(), &["report", "."]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read") && err.contains("manifest.json"),
        "{err}"
    );
}

/// The number labels of risk_reward.svg: each label's text and its box in pixels
/// `[x0, y0, x1, y1]`, read from the overlay's `<g class="label">` elements (text at `x`, `y`
/// with the overlay's upper estimate of the width: 0.62 em a character, plus 2 px).
fn number_labels(svg: &str) -> Vec<(String, [f64; 4])> {
    let attr = |line: &str, name: &str| -> f64 {
        let start = line.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    svg.lines()
        .filter(|l| l.starts_with("<g class=\"label\">"))
        .map(|l| {
            let text = l
                .rsplit_once("\">")
                .unwrap()
                .1
                .split("</text>")
                .next()
                .unwrap();
            let (x, y, size) = (attr(l, "x"), attr(l, "y"), attr(l, "font-size"));
            let x0 = x - 1.0;
            let y1 = y + 0.28 * size + 1.0;
            let w = 0.62 * size * text.chars().count() as f64 + 2.0;
            (text.to_string(), [x0, y1 - size - 2.0, x0 + w, y1])
        })
        .collect()
}

/// The titles (hover tooltips) of the markers drawn on the chart and in its key.
fn point_titles(svg: &str) -> Vec<String> {
    svg.lines()
        .filter(|l| l.starts_with("<g class=\"point\">"))
        .map(|l| {
            l.split("<title>")
                .nth(1)
                .unwrap()
                .split("</title>")
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The tick labels of the x axis (plotters writes them centred below the plot, one per line
/// after its `<text>`), as fractions.
fn x_ticks(svg: &str) -> Vec<f64> {
    let lines: Vec<&str> = svg.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0].contains("text-anchor=\"middle\"") && w[0].contains("dy=\"0.76em\""))
        .filter_map(|w| w[1].trim().strip_suffix('%')?.parse::<f64>().ok())
        .map(|x| x / 100.0)
        .collect()
}

#[test]
fn points_on_one_spot_share_a_label_and_the_key_names_them() {
    // Twelve startups that (almost) always fail sit on one point: p50 -100%, cvar95 100%.
    let dir = tempfile::tempdir().unwrap();
    let mut model = String::from(
        r#"
[model]
name = "crowd"
horizon_years = 10
steps_per_year = 4
[adoption]
process = "gbm"
log_drift = 0.1
[sectors.s]
elasticity = 1
[groups.g]
"#,
    );
    for i in 0..12 {
        model.push_str(&format!(
            "[assets.startup_{i:02}]\ngroup = \"g\"\nexposure = {{ s = 1.0 }}\nfailure_rate = 3\n"
        ));
    }
    fs::write(dir.path().join("crowd.toml"), model).unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "run",
            "crowd.toml",
            "--paths",
            "300",
            "--out",
            "r",
            "--report",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = fs::read_to_string(dir.path().join("r/charts/risk_reward.svg")).unwrap();
    // Point 1 is the group; the twelve startups are 2 to 13, on one spot, so one label (the
    // group, made of them, sits there too).
    let labels = number_labels(&svg);
    let shared: Vec<&(String, [f64; 4])> = labels.iter().filter(|(t, _)| t.contains(',')).collect();
    assert_eq!(shared.len(), 1, "{labels:?}");
    let mut numbers: Vec<u32> = shared[0].0.split(',').map(|n| n.parse().unwrap()).collect();
    numbers.sort_unstable();
    assert!((2..=13).all(|n| numbers.contains(&n)), "{numbers:?}");
    // The key names every startup, and every marker tells its figures on hover.
    for i in 0..12 {
        let name = format!("startup_{i:02}");
        assert!(
            svg.lines().any(|l| l.contains(&format!(">{name}</text>"))),
            "{name} not in the key"
        );
    }
    let titles = point_titles(&svg);
    assert!(
        titles.iter().filter(|t| t.contains("startup_00")).count() >= 2,
        "chart and key"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("mean total return -100.0%, median -100.0%"))
    );
    // A loss cannot pass 100%: the x axis stops there.
    let ticks = x_ticks(&svg);
    assert!(
        !ticks.is_empty() && ticks.iter().all(|&x| x <= 1.0),
        "{ticks:?}"
    );
    assert!(render_ink(&svg) > 0.02);
}

/// The default model plus 18 more assets (31 entities with the groups), spread over the chart.
fn many_assets_model() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut model = format!("extends = \"{root}/models/python-5x.toml\"\n");
    let sectors = [
        "dev_tools",
        "cloud_infra",
        "ml_ai",
        "education",
        "business_saas",
        "open_source",
        "hardware_services",
    ];
    let groups = ["public_equities", "private_startups", "alternative_assets"];
    for k in 0..18 {
        let group = groups[k % 3];
        model.push_str(&format!(
            "[assets.extra_{k:02}]\nlabel = \"Extra asset {k} with a long descriptive name\"\ngroup = \"{group}\"\nexposure = {{ {} = {:.2}, {} = 0.1 }}\nother_growth = 0.02\npriced_in = {:.3}\nexpected_return = {:.3}\nvolatility = {:.2}\n{}weight = 1.0\n",
            sectors[k % 7],
            0.2 + 0.03 * k as f64,
            sectors[(k + 3) % 7],
            0.04 + 0.008 * k as f64,
            0.05 + 0.005 * k as f64,
            0.15 + 0.025 * k as f64,
            if group == "private_startups" { format!("failure_rate = {:.3}\n", 0.03 + 0.01 * k as f64) } else { String::new() },
        ));
    }
    model
}

/// Runs the 31-entity model of [`many_assets_model`] (3,000 paths, seed 1) with its report into
/// `dir/r`, and returns that folder.
fn run_many_assets(dir: &std::path::Path) -> std::path::PathBuf {
    fs::write(dir.join("many.toml"), many_assets_model()).unwrap();
    let out = boomsim(
        dir,
        &[
            "run",
            "many.toml",
            "--paths",
            "3000",
            "--seed",
            "1",
            "--out",
            "r",
            "--report",
            "--quiet",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("r")
}

#[test]
fn risk_reward_reads_clearly_with_31_entities() {
    let dir = tempfile::tempdir().unwrap();
    run_many_assets(dir.path());
    let summary = fs::read_to_string(dir.path().join("r/summary.csv")).unwrap();
    let entities = summary.lines().count() - 1;
    assert_eq!(entities, 31);
    let svg = fs::read_to_string(dir.path().join("r/charts/risk_reward.svg")).unwrap();
    // Every number 1..=31 is on exactly one label, and no two labels overlap.
    let labels = number_labels(&svg);
    let mut numbers: Vec<usize> = labels
        .iter()
        .flat_map(|(t, _)| t.split(',').map(|n| n.parse::<usize>().unwrap()))
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=entities).collect::<Vec<_>>());
    for (i, (a, p)) in labels.iter().enumerate() {
        for (b, q) in &labels[..i] {
            let apart = p[2] <= q[0] || q[2] <= p[0] || p[3] <= q[1] || q[3] <= p[1];
            assert!(apart, "labels {a} {p:?} and {b} {q:?} overlap");
        }
    }
    // Each entity: a marker on the chart and one in the key, both with its figures on hover;
    // the key gives its name on one line (long names cut with an ellipsis).
    let titles = point_titles(&svg);
    for line in summary.lines().skip(1) {
        let name = line.split(',').nth(1).unwrap();
        let with_name = titles
            .iter()
            .filter(|t| t.contains(&format!(" {name}):")))
            .count();
        assert_eq!(with_name, 2, "{name}");
    }
    assert!(
        svg.contains(">Extra asset 17 with a long descriptiv\u{2026}</text>"),
        "cut names end in an ellipsis"
    );
    let page = fs::read_to_string(dir.path().join("r/report.html")).unwrap();
    assert!(
        !page.contains("found no free place"),
        "every label found room"
    );
    // Tables keep each name on one line.
    assert!(page.contains("white-space: nowrap"));
    let ticks = x_ticks(&svg);
    assert!(ticks.iter().all(|&x| x <= 1.0), "{ticks:?}");
    // The tornado: a dashed mean line and a hover title on every bar.
    let tornado = fs::read_to_string(dir.path().join("r/charts/tornado.svg")).unwrap();
    let bars = tornado
        .lines()
        .filter(|l| l.starts_with("<g class=\"bar\"><title>"))
        .count();
    let means = tornado
        .lines()
        .filter(|l| l.contains("stroke-dasharray"))
        .count();
    assert!(bars >= 3, "{bars} bars");
    assert_eq!(means, 3, "one mean line per group");
    assert_eq!(tornado.matches(">mean ").count(), 3);
}

/// The page's script-free HTML with a script added that measures, in headless Chromium, the
/// box of every SVG text (with its figure's title and its SVG's box) and every table cell, and
/// writes them as JSON into the page; `--dump-dom` then prints the page with it.
const MEASURE: &str = r#"<script>
const out = { texts: [], cells: [] };
document.querySelectorAll('figure').forEach(f => {
  const title = f.querySelector('h2') ? f.querySelector('h2').textContent : '';
  const svg = f.querySelector('svg').getBoundingClientRect();
  f.querySelectorAll('svg text').forEach(t => {
    const r = t.getBoundingClientRect();
    out.texts.push([title, t.textContent, r.x - svg.x, r.y - svg.y, r.width, r.height, svg.width]);
  });
});
document.querySelectorAll('td').forEach(td => {
  const r = td.getBoundingClientRect();
  out.cells.push([td.textContent, r.height]);
});
const pre = document.createElement('pre');
pre.id = 'geometry';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"#;

/// The geometry of a report as Chromium lays it out: (figure title, text, x, y, width, height,
/// the SVG's width) of every chart text, relative to its SVG, and (text, height) of every table
/// cell.
type Geometry = (
    Vec<(String, String, f64, f64, f64, f64, f64)>,
    Vec<(String, f64)>,
);

fn chromium_geometry(page: &std::path::Path, profile: &std::path::Path) -> Geometry {
    let html = fs::read_to_string(page).unwrap();
    let measured = page.with_file_name("measured.html");
    fs::write(
        &measured,
        html.replace("</body>", &format!("{MEASURE}</body>")),
    )
    .unwrap();
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1250,2000",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", measured.display()),
        ])
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let json = dom
        .split("<pre id=\"geometry\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "Chromium printed no geometry: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let texts = v["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let n = |i: usize| t[i].as_f64().unwrap();
            (
                t[0].as_str().unwrap().to_string(),
                t[1].as_str().unwrap().to_string(),
                n(2),
                n(3),
                n(4),
                n(5),
                n(6),
            )
        })
        .collect();
    let cells = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_str().unwrap().to_string(), c[1].as_f64().unwrap()))
        .collect();
    (texts, cells)
}

/// The report as a reader sees it, laid out by headless Chromium with the fonts it finds: on
/// the risk/reward chart of 31 entities every point's number is shown, and no two number
/// labels overlap; no table cell wraps. Geometry rather than pixels: a screenshot's pixels
/// change with Chromium's version, its fonts and its anti-aliasing (a reference made on one
/// machine differed in 0.71% of pixels on another with the same version and fonts), while
/// what a reader needs (every label readable, none on another, one line a row) holds on each.
#[test]
#[ignore = "needs chromium"]
fn chromium_lays_out_the_report_without_overlaps_or_wrapped_cells() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_many_assets(dir.path());
    let (texts, cells) = chromium_geometry(&r.join("report.html"), &dir.path().join("chromium"));
    // The number labels of the plot (the key's numbers sit right of the plot, at 700 of the
    // SVG's 1000 units).
    let labels: Vec<&(String, String, f64, f64, f64, f64, f64)> = texts
        .iter()
        .filter(|t| t.0 == "Risk against reward")
        .filter(|t| !t.1.is_empty() && t.1.chars().all(|c| c.is_ascii_digit() || c == ','))
        .filter(|t| t.2 + t.4 / 2.0 < 0.7 * t.6)
        .collect();
    let mut numbers: Vec<u32> = labels
        .iter()
        .flat_map(|t| t.1.split(',').map(|n| n.parse::<u32>().unwrap()))
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=31).collect::<Vec<_>>(),
        "every point numbered once"
    );
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            let overlap_x = (a.2 + a.4).min(b.2 + b.4) - a.2.max(b.2);
            let overlap_y = (a.3 + a.5).min(b.3 + b.5) - a.3.max(b.3);
            assert!(
                overlap_x <= 1.0 || overlap_y <= 1.0,
                "labels {} and {} overlap: {a:?} {b:?}",
                a.1,
                b.1
            );
        }
    }
    // No cell wraps: every row of the tables is one line high.
    let heights: Vec<f64> = cells.iter().map(|c| c.1).collect();
    let (lo, hi) = heights
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &h| (lo.min(h), hi.max(h)));
    assert!(cells.len() > 31 && hi < 1.5 * lo, "cell heights {lo}..{hi}");
}

/// Runs `boomsim report DIR` and fails the test if it takes more than five seconds.
fn report_within_seconds(dir: &std::path::Path, folder: &str) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_boomsim"))
        .args(["report", folder])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(5) {
            child.kill().unwrap();
            panic!("boomsim report {folder} ran past 5 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Hand-edited folders: every value the report reads is checked, and every file names the
/// same entities; each break is an error naming the file and row, at once.
#[test]
fn a_hand_edited_folder_gets_a_clear_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(
        dir.path(),
        &["run", "--paths", "2000", "--quiet", "--out", "r"],
    );
    assert!(out.status.success());
    let edit = |name: &str, file: &str, change: &dyn Fn(String) -> String| {
        let copy = dir.path().join(name);
        fs::create_dir_all(&copy).unwrap();
        for entry in fs::read_dir(dir.path().join("r")).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        let text = fs::read_to_string(copy.join(file)).unwrap();
        fs::write(copy.join(file), change(text)).unwrap();
    };
    let mean_inf = |t: String| {
        let mut lines: Vec<String> = t.lines().map(String::from).collect();
        let mut cells: Vec<&str> = lines[1].split(',').collect();
        cells[4] = "-inf";
        lines[1] = cells.join(",");
        lines.join("\n") + "\n"
    };
    edit("inf", "summary.csv", &mean_inf);
    edit("missing", "distributions.csv", &|t: String| {
        t.lines()
            .filter(|l| !l.starts_with("group,private_startups,"))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    });
    edit("renamed", "summary.csv", &|t: String| {
        t.replace("group,private_startups,", "group,private_startupz,")
    });
    for (folder, says) in [
        (
            "inf",
            "summary.csv: row 2: a value of public_equities is not a finite number",
        ),
        (
            "missing",
            "0 total_return percentiles of group `private_startups`",
        ),
        ("renamed", "group `private_startups` is not in summary.csv"),
    ] {
        let out = report_within_seconds(dir.path(), folder);
        assert_eq!(out.status.code(), Some(1), "{folder}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{folder}: {err}");
        assert!(!dir.path().join(folder).join("report.html").exists());
    }
    // An allocate folder whose frontier has an infinite mean.
    let out = boomsim(
        dir.path(),
        &[
            "allocate",
            "--paths",
            "300",
            "--test-paths",
            "2048",
            "--points",
            "2",
            "--quiet",
            "--out",
            "a",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frontier = fs::read_to_string(dir.path().join("a/frontier.csv")).unwrap();
    let mut lines: Vec<String> = frontier.lines().map(String::from).collect();
    let mut cells: Vec<&str> = lines[1].split(',').collect();
    cells[3] = "inf";
    lines[1] = cells.join(",");
    fs::write(dir.path().join("a/frontier.csv"), lines.join("\n") + "\n").unwrap();
    let out = report_within_seconds(dir.path(), "a");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("frontier.csv: row 2: a value of portfolio 1 is not a finite number"),
        "{err}"
    );
}
