//! The CSV files of a run folder.
//!
//! - `summary.csv`: one row per group and asset, the columns of docs/model.md §5;
//! - `summary_where.csv`: the same over the paths meeting `--where`;
//! - `adoption.csv`: the adoption fan, one row per step;
//! - `sensitivity.csv`: one row per (entity, uncertain parameter), the tornado data;
//! - `precision.csv`: one row per (entity, headline statistic), its Monte Carlo error;
//! - `convergence.csv`: each group's mean return and cvar95 over the first 2,048, 4,096, ...
//!   paths, with their intervals;
//! - `samples.csv` (with `--samples`): one row per path, the columns of
//!   [`sample_columns`](super::samples::sample_columns).
//!
//! Rows are the serialisation of [`SummaryRow`](crate::stats::summary::SummaryRow) and
//! [`SensitivityRow`](crate::stats::sensitivity::SensitivityRow), so column names are field names and
//! cannot drift from the code. Empty cells stand for undefined values.

use std::io::{self, Write};

use serde::Serialize;

use super::{Export, RunResults};
use crate::stats::summary::SummaryRow;

/// Rows a spreadsheet can open (Excel's limit, less the header).
pub const SPREADSHEET_ROWS: usize = 1_048_575;

/// `summary.csv`.
pub struct SummaryCsv;
/// `summary_where.csv`.
pub struct SummaryWhereCsv;
/// `adoption.csv`.
pub struct AdoptionCsv;
/// `sensitivity.csv`.
pub struct SensitivityCsv;
/// `samples.csv`.
pub struct SamplesCsv;
/// `distributions.csv`.
pub struct DistributionsCsv;
/// `precision.csv`.
pub struct PrecisionCsv;
/// `convergence.csv`.
pub struct ConvergenceCsv;

impl Export for ConvergenceCsv {
    fn file_name(&self) -> &'static str {
        "convergence.csv"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        write_rows(&report.summaries.convergence, out)
    }
}

impl Export for PrecisionCsv {
    fn file_name(&self) -> &'static str {
        "precision.csv"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        write_rows(&report.summaries.precision, out)
    }
}

impl Export for DistributionsCsv {
    fn file_name(&self) -> &'static str {
        "distributions.csv"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        write_rows(&report.summaries.distributions, out)
    }
}

/// A CSV file of a run folder read back as text, at most `limit` bytes of it: its header and
/// its records. The error is the reason, for the caller to put beside the file's name.
pub fn read_cells(
    path: &std::path::Path,
    limit: u64,
) -> Result<(Vec<String>, Vec<csv::StringRecord>), String> {
    let bytes = crate::input::read_limited(path, limit).map_err(|e| e.to_string())?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(String::from)
        .collect();
    let records = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Ok((header, records))
}

fn to_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Rows as CSV bytes: a header of the field names, one line per row.
pub fn csv_bytes<T: Serialize>(rows: &[T]) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    write_rows(rows, &mut bytes)?;
    Ok(bytes)
}

fn write_rows<T: Serialize>(rows: &[T], out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    for row in rows {
        w.serialize(row).map_err(to_io)?;
    }
    w.flush()
}

/// The first cell of `rows`, as written to CSV, that is NaN or infinite: (row index, column
/// name, the cells of the row before it, for naming it). docs/model.md §11: no cell is ever NaN or
/// inf, so a run whose statistics overflow (finite values too large to sum or square) is
/// refused before anything is written. Checking the CSV text itself covers every column of
/// every row type, present and future.
pub fn first_non_finite<T: Serialize>(rows: &[T]) -> Option<(usize, String, Vec<String>)> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).ok()?;
    }
    let bytes = w.into_inner().ok()?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = r.headers().ok()?.iter().map(str::to_string).collect();
    for (i, record) in r.records().enumerate() {
        let record = record.ok()?;
        if let Some(col) = record
            .iter()
            .position(|c| matches!(c, "NaN" | "inf" | "-inf"))
        {
            let before = record.iter().take(col).map(str::to_string).collect();
            return Some((i, header.get(col).cloned().unwrap_or_default(), before));
        }
    }
    None
}

fn write_summary(rows: &[SummaryRow], out: &mut dyn Write) -> io::Result<()> {
    write_rows(rows, out)
}

impl Export for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        write_summary(&report.summaries.rows, out)
    }
}

impl Export for SummaryWhereCsv {
    fn file_name(&self) -> &'static str {
        "summary_where.csv"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        let rows = report
            .summaries
            .conditional
            .as_ref()
            .map_or(&[][..], |c| &c.rows);
        write_summary(rows, out)
    }
}

impl Export for SensitivityCsv {
    fn file_name(&self) -> &'static str {
        "sensitivity.csv"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        if report.summaries.sensitivity.is_empty() {
            // No uncertain parameter: the header alone says so.
            out.write_all(b"kind,name,parameter,spearman,low_mean,high_mean,swing,contribution\n")?;
            return Ok(());
        }
        write_rows(&report.summaries.sensitivity, out)
    }
}

/// The fan columns after `step,year`.
pub const FAN_COLUMNS: [&str; 6] = ["mean", "p05", "p25", "p50", "p75", "p95"];

impl Export for AdoptionCsv {
    fn file_name(&self) -> &'static str {
        "adoption.csv"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        let with_baseline = report.model.baseline.is_some();
        let mut header: Vec<String> = vec!["step".into(), "year".into()];
        header.extend(FAN_COLUMNS.iter().map(|c| c.to_string()));
        if with_baseline {
            header.extend(FAN_COLUMNS.iter().map(|c| format!("baseline_{c}")));
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record(&header).map_err(to_io)?;
        for step in &report.summaries.fan {
            let mut values: Vec<f64> = step.boom.to_vec();
            if let Some(b) = step.baseline {
                values.extend(b);
            }
            w.serialize((step.step, step.year, values)).map_err(to_io)?;
        }
        w.flush()
    }
}

impl Export for SamplesCsv {
    fn file_name(&self) -> &'static str {
        "samples.csv"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        let columns = super::samples::sample_columns(report.model, &report.summaries.kept);
        let mut w = csv::Writer::from_writer(out);
        let header = std::iter::once("path").chain(columns.iter().map(|(name, _)| name.as_str()));
        w.write_record(header).map_err(to_io)?;
        let mut values = Vec::with_capacity(columns.len());
        for path in 0..report.summaries.kept.paths {
            values.clear();
            values.extend(columns.iter().map(|(_, column)| column[path]));
            w.serialize((path, &values)).map_err(to_io)?;
        }
        w.flush()
    }
}
