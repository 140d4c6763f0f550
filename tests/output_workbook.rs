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
    assert!(names.iter().any(|n| n == "charts") || sheets.contains(&"sweep"));
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
