//! The CSV files of a run folder: `summary.csv` (one row per group and asset, columns of
//! MODEL.md §5) and `adoption.csv` (the adoption fan, one row per step).
//!
//! `summary.csv` is the serialisation of [`SummaryRow`](crate::summary::SummaryRow): its
//! columns are that struct's fields, so names and order cannot drift from the code. Empty
//! cells stand for undefined values.

use super::{Export, OutputError, RunReport};

/// `summary.csv`.
pub struct SummaryCsv;

/// `adoption.csv`.
pub struct AdoptionCsv;

fn format_error(file: &'static str) -> impl Fn(csv::Error) -> OutputError {
    move |e| OutputError::Format {
        file,
        message: e.to_string(),
    }
}

fn finish(w: csv::Writer<Vec<u8>>, file: &'static str) -> Result<Vec<u8>, OutputError> {
    w.into_inner().map_err(|e| OutputError::Format {
        file,
        message: e.to_string(),
    })
}

impl Export for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn render(&self, report: &RunReport) -> Result<Vec<u8>, OutputError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in &report.rows {
            w.serialize(row).map_err(format_error(self.file_name()))?;
        }
        finish(w, self.file_name())
    }
}

/// The fan columns after `step,year`.
pub const FAN_COLUMNS: [&str; 6] = ["mean", "p05", "p25", "p50", "p75", "p95"];

impl Export for AdoptionCsv {
    fn file_name(&self) -> &'static str {
        "adoption.csv"
    }

    fn render(&self, report: &RunReport) -> Result<Vec<u8>, OutputError> {
        let err = format_error(self.file_name());
        let with_baseline = report.model.baseline.is_some();
        let mut header: Vec<String> = vec!["step".into(), "year".into()];
        header.extend(FAN_COLUMNS.iter().map(|c| c.to_string()));
        if with_baseline {
            header.extend(FAN_COLUMNS.iter().map(|c| format!("baseline_{c}")));
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header).map_err(&err)?;
        for step in &report.fan {
            let mut values: Vec<f64> = step.boom.to_vec();
            if let Some(b) = step.baseline {
                values.extend(b);
            }
            w.serialize((step.step, step.year, values)).map_err(&err)?;
        }
        finish(w, self.file_name())
    }
}
