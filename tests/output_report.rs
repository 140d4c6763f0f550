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

#[test]
fn crowded_labels_become_numbers_keyed_in_the_caption() {
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
    let page = fs::read_to_string(dir.path().join("r/report.html")).unwrap();
    // The SVG writes each text on a line of its own.
    let labelled_as = |text: &str| svg.lines().any(|line| line.trim() == text);
    let labelled = (0..12)
        .filter(|i| labelled_as(&format!("startup_{i:02}")))
        .count();
    // At most seven labels fit around one point; the rest are numbered and keyed.
    assert!((1..=7).contains(&labelled), "{labelled} labels");
    assert!(page.contains("Where labels would crowd, numbers stand for: 1 "));
    // The numbers are drawn at the point, "1,2,3..." six to a line.
    assert!(svg.lines().any(|line| line.trim().starts_with("1,")));
    for i in 0..12 {
        let name = format!("startup_{i:02}");
        assert!(
            labelled_as(&name) || page.contains(&format!(" {name}")),
            "{name} is neither labelled nor keyed"
        );
    }
    assert!(render_ink(&svg) > 0.02);
}
