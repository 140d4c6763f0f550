//! The whole-map model (`models/python-5x-map.toml`, built in as `init --from map`): the
//! default scenario with every investment it names, run, reported, written as a workbook and
//! allocated end to end at a few thousand paths, and kept on the default model's scenario.

mod common;

use std::fs;

use boomsim::model::{BuiltIn, DEFAULT_MODEL_TEXT, MAP_MODEL_TEXT, parse_model, starter_text};
use common::boomsim;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The rows of a CSV file as maps from column to cell.
fn rows(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let header = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            header
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn the_map_is_the_default_scenario_with_forty_assets_in_three_groups() {
    let map = parse_model(MAP_MODEL_TEXT, "python-5x-map.toml").expect("map loads");
    let default = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default loads");
    // The scenario is the default's, number for number: only the assets differ.
    assert_eq!(map.horizon_years, default.horizon_years);
    assert_eq!(map.steps_per_year, default.steps_per_year);
    assert_eq!(map.risk_free_rate, default.risk_free_rate);
    assert_eq!(map.expected_return, default.expected_return);
    assert_eq!(map.tail_loss_limit, default.tail_loss_limit);
    for (what, a, b) in [
        (
            "adoption",
            format!("{:?}", map.adoption),
            format!("{:?}", default.adoption),
        ),
        (
            "baseline",
            format!("{:?}", map.baseline),
            format!("{:?}", default.baseline),
        ),
        (
            "sectors",
            format!("{:?}", map.sectors),
            format!("{:?}", default.sectors),
        ),
        (
            "correlation",
            format!("{:?}", map.correlation),
            format!("{:?}", default.correlation),
        ),
        (
            "market",
            format!("{:?}", map.market),
            format!("{:?}", default.market),
        ),
        (
            "groups",
            format!(
                "{:?}",
                map.groups.iter().map(|g| &g.name).collect::<Vec<_>>()
            ),
            format!(
                "{:?}",
                default.groups.iter().map(|g| &g.name).collect::<Vec<_>>()
            ),
        ),
    ] {
        assert_eq!(a, b, "the map's {what} differs from the default model's");
    }
    assert_eq!(map.assets.len(), 40);
    for group in &map.groups {
        assert!(
            map.assets
                .iter()
                .filter(|a| map.groups[a.group].name == group.name)
                .count()
                >= 5,
            "{} has fewer than 5 assets",
            group.name
        );
    }
}

#[test]
fn init_from_map_writes_it_and_a_typo_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = boomsim(dir.path(), &["init", "--from", "map"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Wrote the whole-map model to python-5x-map.toml"));
    assert_eq!(
        fs::read_to_string(dir.path().join("python-5x-map.toml")).unwrap(),
        MAP_MODEL_TEXT,
        "written under its own name, it is the built-in text"
    );
    let out = boomsim(dir.path(), &["init", "--from", "map", "mine.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        fs::read_to_string(dir.path().join("mine.toml")).unwrap(),
        starter_text(BuiltIn::Map, "mine")
    );
    // `init` alone keeps writing the default.
    let out = boomsim(dir.path(), &["init"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        fs::read_to_string(dir.path().join("python-5x.toml")).unwrap(),
        DEFAULT_MODEL_TEXT
    );
    let out = boomsim(dir.path(), &["init", "--from", "mapp", "other.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("map"), "{}", text(&out.stderr));
    assert!(!dir.path().join("other.toml").exists());
}

#[test]
fn the_map_runs_reports_and_allocates_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("map.toml"), MAP_MODEL_TEXT).unwrap();
    let out = boomsim(
        dir.path(),
        &[
            "run", "map.toml", "--paths", "4000", "--out", "run", "--report", "--xlsx",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let terminal = text(&out.stdout);
    // The terminal shows the leading assets, not all forty.
    assert!(
        terminal.contains("The 5 leading assets of 40"),
        "{terminal}"
    );
    assert!(terminal.lines().count() < 60, "{terminal}");
    let summary = rows(&dir.path().join("run/summary.csv"));
    assert_eq!(summary.len(), 43, "3 groups and 40 assets");
    let report = fs::read_to_string(dir.path().join("run/report.html")).unwrap();
    let model = parse_model(MAP_MODEL_TEXT, "map.toml").unwrap();
    for asset in &model.assets {
        // Every asset is on the risk/reward chart (its label, as far as the legend shows it).
        let label = &asset.label;
        let shown: String = label.chars().take(20).collect();
        let escaped = shown.replace('&', "&amp;").replace('\'', "&#39;");
        assert!(
            report.contains(&shown) || report.contains(&escaped),
            "{label} is not in the report"
        );
    }
    assert!(dir.path().join("run/run.xlsx").is_file());

    let out = boomsim(
        dir.path(),
        &[
            "allocate",
            "map.toml",
            "--paths",
            "1000",
            "--test-paths",
            "4096",
            "--out",
            "alloc",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let weights = rows(&dir.path().join("alloc/allocation.csv"));
    let min_cvar: Vec<_> = weights
        .iter()
        .filter(|r| r["name"].contains("min_cvar"))
        .collect();
    assert_eq!(min_cvar.len(), 40, "a weight for every asset");
    let total: f64 = min_cvar
        .iter()
        .map(|r| r["weight"].parse::<f64>().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-6, "weights sum to {total}");
}
