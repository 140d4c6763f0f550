//! `--samples` as CSV and as Parquet (`--samples-format parquet`): the same columns and the
//! same values to the bit, typed columns, the same bytes for any thread count, and the flags
//! that cannot go together refused.

mod common;

use std::fs;

use common::boomsim;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn parquet_samples_hold_the_csv_values_to_the_bit() {
    let dir = tempfile::tempdir().unwrap();
    for (out, extra) in [
        ("csv", &[][..]),
        ("parquet", &["--samples-format", "parquet"][..]),
    ] {
        let mut args = vec![
            "run",
            "--paths",
            "3000",
            "--seed",
            "4",
            "--samples",
            "--out",
            out,
        ];
        args.extend(extra);
        let run = boomsim(dir.path(), &args);
        assert!(run.status.success(), "{}", text(&run.stderr));
    }
    assert!(!dir.path().join("parquet/samples.csv").exists());
    let mut csv = csv::Reader::from_path(dir.path().join("csv/samples.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3000);

    let file = fs::File::open(dir.path().join("parquet/samples.parquet")).unwrap();
    let reader = SerializedFileReader::new(file).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let names: Vec<String> = schema
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(names, header);
    let mut n = 0;
    for (row, record) in reader.get_row_iter(None).unwrap().zip(&rows) {
        let row = row.unwrap();
        for (k, (_, field)) in row.get_column_iter().enumerate() {
            match field {
                Field::Long(path) => {
                    assert_eq!(k, 0, "only `path` is an integer");
                    assert_eq!(path.to_string(), record[0]);
                }
                Field::Double(x) => {
                    let written: f64 = record[k].parse().unwrap();
                    assert_eq!(x.to_bits(), written.to_bits(), "row {n}, {}", header[k]);
                }
                other => panic!("unexpected column type {other:?}"),
            }
        }
        n += 1;
    }
    assert_eq!(n, 3000);
}

#[test]
fn parquet_samples_have_the_same_bytes_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for threads in ["1", "2"] {
        let args = [
            "run",
            "--paths",
            "70000",
            "--samples",
            "--samples-format",
            "parquet",
            "--threads",
            threads,
            "--out",
            threads,
        ];
        let run = boomsim(dir.path(), &args);
        assert!(run.status.success(), "{}", text(&run.stderr));
    }
    // 70,000 paths: two row groups.
    assert_eq!(
        fs::read(dir.path().join("1/samples.parquet")).unwrap(),
        fs::read(dir.path().join("2/samples.parquet")).unwrap()
    );
}

#[test]
fn a_samples_format_needs_samples_and_no_shard() {
    let dir = tempfile::tempdir().unwrap();
    let run = boomsim(
        dir.path(),
        &["run", "--paths", "1000", "--samples-format", "parquet"],
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("--samples"),
        "{}",
        text(&run.stderr)
    );
    let run = boomsim(
        dir.path(),
        &["run", "--samples", "--samples-format", "feather"],
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("parquet"),
        "{}",
        text(&run.stderr)
    );
    let run = boomsim(
        dir.path(),
        &[
            "run",
            "--paths",
            "1000",
            "--samples",
            "--samples-format",
            "parquet",
            "--shard",
            "1/2",
            "--out",
            "s",
        ],
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("samples.csv only"),
        "{}",
        text(&run.stderr)
    );
    assert!(!dir.path().join("s").exists());
}
