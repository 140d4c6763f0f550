//! The Excel workbook (`--xlsx`, `boomsim xlsx`) read back with calamine: every cell of every
//! sheet equals the CSV file it comes from.

use std::path::Path;
use std::process::Command;

use calamine::{Data, Reader, Xlsx, open_workbook};

fn boomsim(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_boomsim"))
        .args(args)
        .output()
        .expect("boomsim runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compares every sheet named after a CSV file of `dir` with that file, cell by cell.
fn assert_workbook_matches(dir: &Path, sheets: &[&str]) {
    let name = format!("{}.xlsx", dir.file_name().unwrap().to_string_lossy());
    let mut book: Xlsx<_> = open_workbook(dir.join(&name)).expect("workbook opens");
    let names = book.sheet_names();
    for sheet in sheets {
        assert!(
            names.iter().any(|n| n == sheet),
            "{sheet} missing: {names:?}"
        );
        let range = book.worksheet_range(sheet).expect("sheet reads");
        let text = std::fs::read_to_string(dir.join(format!("{sheet}.csv"))).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(range.height(), records.len(), "{sheet}: rows");
        for (r, (record, row)) in records.iter().zip(range.rows()).enumerate() {
            assert_eq!(row.len(), record.len(), "{sheet} row {r}: columns");
            for (c, (want, got)) in record.iter().zip(row).enumerate() {
                let same = match got {
                    Data::Empty => want.is_empty(),
                    Data::Float(x) => want.parse::<f64>().ok() == Some(*x),
                    Data::Int(i) => want.parse::<f64>().ok() == Some(*i as f64),
                    Data::Bool(b) => want == if *b { "true" } else { "false" },
                    Data::String(s) => s == want,
                    _ => false,
                };
                assert!(
                    same,
                    "{sheet} row {r} column {c}: CSV {want:?}, workbook {got:?}"
                );
            }
        }
    }
}

/// The titles of the workbook's native charts, read from its `xl/charts/chartN.xml` parts.
fn chart_titles(dir: &Path) -> Vec<String> {
    let name = format!("{}.xlsx", dir.file_name().unwrap().to_string_lossy());
    let file = std::fs::File::open(dir.join(name)).unwrap();
    let mut zip = zip::ZipArchive::new(file).expect("an xlsx is a zip");
    let mut titles = Vec::new();
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        if !part.name().unwrap().starts_with("xl/charts/chart") {
            continue;
        }
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut part, &mut xml).unwrap();
        // The title is the chart's first run of text.
        let title = xml
            .split("<a:t>")
            .nth(1)
            .and_then(|t| t.split("</a:t>").next())
            .unwrap_or("")
            .to_string();
        titles.push(title);
    }
    titles.sort();
    titles
}

/// The groups whose tornado is drawn: those whose leading driver in sensitivity.csv is
/// significant.
fn groups_with_a_significant_driver(dir: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(dir.join("sensitivity.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (kind, name, significant) = (col("kind"), col("name"), col("significant"));
    // Rows run by entity, strongest driver first: an entity's first row is its leading driver.
    let mut seen = Vec::new();
    let mut groups = Vec::new();
    for r in reader.records().map(|r| r.unwrap()) {
        if &r[kind] != "group" || seen.contains(&r[name].to_string()) {
            continue;
        }
        seen.push(r[name].to_string());
        if &r[significant] == "true" {
            groups.push(r[name].to_string());
        }
    }
    groups
}

#[test]
fn run_workbook_holds_every_csv_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wb-run");
    boomsim(&[
        "run",
        "--paths",
        "3000",
        "--quiet",
        "--xlsx",
        "--samples",
        "--where",
        "adoption.ceiling > 6",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_workbook_matches(
        &dir,
        &[
            "summary",
            "summary_where",
            "adoption",
            "distributions",
            "sensitivity",
            "precision",
            "convergence",
            "samples",
        ],
    );
    // Native charts: the adoption fan, the groups' return CDFs and one tornado per group
    // whose leading driver is significant.
    let titles = chart_titles(&dir);
    let tornadoes = groups_with_a_significant_driver(&dir);
    assert!(
        !tornadoes.is_empty(),
        "3000 paths tell the leading drivers apart"
    );
    assert_eq!(titles.len(), 2 + tornadoes.len(), "{titles:?}");
    assert!(
        titles.iter().any(|t| t.starts_with("Adoption")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("Total return")),
        "{titles:?}"
    );
    // Made again from the folder, the workbook is refreshed in place, and the run folder
    // stays replaceable (the workbook is boomsim's own file).
    boomsim(&["xlsx", dir.to_str().unwrap()]);
    assert_workbook_matches(&dir, &["summary", "adoption"]);
    boomsim(&[
        "run",
        "--paths",
        "1000",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
}

#[test]
fn xlsx_refuses_a_folder_boomsim_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_boomsim"))
        .args(["xlsx", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a boomsim output folder"));
}

#[test]
fn sweep_and_allocate_workbooks_hold_their_csvs_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("wb-sweep");
    boomsim(&[
        "sweep",
        "--vary",
        "adoption.ceiling=\"2 to 5\",\"5 to 10\"",
        "--paths",
        "300",
        "--quiet",
        "--xlsx",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    assert_workbook_matches(&sweep, &["sweep", "sweep_wide"]);
    assert!(
        chart_titles(&sweep).is_empty(),
        "a sweep's workbook has no charts"
    );
    // Scenarios carry no workbook of their own: the sweep's one holds the grid.
    assert!(!sweep.join("s01/s01.xlsx").exists());

    let allocate = tmp.path().join("wb-allocate");
    boomsim(&[
        "allocate",
        "--paths",
        "512",
        "--test-paths",
        "2048",
        "--quiet",
        "--xlsx",
        "--out",
        allocate.to_str().unwrap(),
    ]);
    assert_workbook_matches(&allocate, &["frontier", "allocation"]);
    let titles = chart_titles(&allocate);
    assert_eq!(titles.len(), 1, "{titles:?}");
    assert!(titles[0].contains("frontier"), "{titles:?}");
}

/// A number as LibreOffice shows it in a CSV export: `12.5%` is 0.125, `2.00x` is 2.
fn shown_number(cell: &str) -> Option<f64> {
    if let Some(p) = cell.strip_suffix('%') {
        return p.parse::<f64>().ok().map(|x| x / 100.0);
    }
    cell.strip_suffix('x')
        .unwrap_or(cell)
        .replace(',', "")
        .parse()
        .ok()
}

/// LibreOffice opens the workbook and exports every sheet back to CSV with the same cells, to
/// the 15 significant digits it prints. Ignored by `cargo test` (it needs `soffice`); `.ci/run`
/// installs LibreOffice and runs it with `--include-ignored`.
#[test]
#[ignore = "needs soffice (LibreOffice)"]
fn libreoffice_reads_the_workbook_back() {
    let found = Command::new("soffice").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "LibreOffice (soffice) is not installed: install libreoffice-calc-nogui, or run without --include-ignored"
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wb-lo");
    boomsim(&[
        "run",
        "--paths",
        "2000",
        "--quiet",
        "--xlsx",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let export = tmp.path().join("export");
    // A profile of its own, so parallel tests and a user's open LibreOffice do not collide.
    let profile = format!(
        "-env:UserInstallation=file://{}",
        tmp.path().join("lo").display()
    );
    let out = Command::new("soffice")
        .args([
            &profile,
            "--headless",
            "--convert-to",
            // Comma-separated, UTF-8, every sheet to its own file (the trailing -1).
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            export.to_str().unwrap(),
            dir.join("wb-lo.xlsx").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sheets = [
        "summary",
        "adoption",
        "distributions",
        "sensitivity",
        "precision",
        "convergence",
    ];
    for sheet in sheets {
        let read = |path: &Path| -> Vec<csv::StringRecord> {
            let text =
                std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes())
                .records()
                .map(|r| r.unwrap())
                .collect()
        };
        let want = read(&dir.join(format!("{sheet}.csv")));
        let got = read(&export.join(format!("wb-lo-{sheet}.csv")));
        assert_eq!(got.len(), want.len(), "{sheet}: rows");
        for (r, (w, g)) in want.iter().zip(&got).enumerate() {
            for (c, want) in w.iter().enumerate() {
                let got = g.get(c).unwrap_or("");
                let same = got == want
                    || got.eq_ignore_ascii_case(want)
                    || match (want.parse::<f64>(), shown_number(got)) {
                        (Ok(a), Some(b)) => (a - b).abs() <= 1e-13 * a.abs().max(1e-2),
                        _ => false,
                    };
                assert!(
                    same,
                    "{sheet} row {r} column {c}: CSV {want:?}, LibreOffice {got:?}"
                );
            }
        }
    }
    let charts = export.join("wb-lo-charts.csv");
    assert!(charts.is_file(), "the charts sheet opens");
}

#[test]
fn xlsx_names_the_damaged_file_and_line_and_writes_no_workbook() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wb-bad");
    boomsim(&[
        "run",
        "--paths",
        "500",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let summary = dir.join("summary.csv");
    let mut text = std::fs::read_to_string(&summary).unwrap();
    let lines = text.lines().count();
    text.push_str("group,oops\n");
    std::fs::write(&summary, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_boomsim"))
        .args(["xlsx", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("summary.csv"), "{err}");
    assert!(err.contains(&format!("line: {}", lines + 1)), "{err}");
    assert!(err.contains("help:"), "{err}");
    assert!(
        !dir.join("wb-bad.xlsx").exists(),
        "no workbook from a damaged folder"
    );
}
