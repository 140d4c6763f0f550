//! Reads one numeric column of a CSV file (for `empirical(...)` and `boomsim fit --data`).

use std::path::Path;

use super::DistributionError;
use crate::spelling::suggest;

/// The numbers of one data column, and how many blank cells were skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct DataColumn {
    /// The values, in file order.
    pub values: Vec<f64>,
    /// Empty (or whitespace-only) cells skipped: pandas and Excel write missing values so.
    pub blank: usize,
}

impl DataColumn {
    /// "skipped 3 blank cells", or `None` when there were none: every caller shows it, so a
    /// skipped cell is never silent.
    pub fn note(&self) -> Option<String> {
        blank_note(self.blank)
    }
}

/// The note for `blank` skipped cells.
pub fn blank_note(blank: usize) -> Option<String> {
    match blank {
        0 => None,
        1 => Some("skipped 1 blank cell".into()),
        n => Some(format!("skipped {n} blank cells")),
    }
}

/// The values of `column` in the CSV file at `path` (a header row, then one row per value).
/// Blank cells are skipped and counted; any other cell must be a finite number, else an
/// error names its line and column.
pub fn read_column(path: &Path, column: &str) -> Result<DataColumn, DistributionError> {
    let shown = path.display();
    let bytes = crate::input::read(path).map_err(|e| {
        DistributionError::new(
            format!("cannot read {shown}: {e}"),
            "the path is relative to the model file's folder (or, for `boomsim dist` and `fit`, the current folder)",
        )
    })?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| {
            DistributionError::new(
                format!("cannot read the header of {shown}: {e}"),
                "the first row must name the columns",
            )
        })?
        .clone();
    let names: Vec<&str> = headers.iter().collect();
    let Some(index) = names.iter().position(|h| h.trim() == column) else {
        return Err(DistributionError::new(
            format!("{shown} has no column `{column}`"),
            suggest(column, "columns", &names),
        ));
    };
    let mut values = Vec::new();
    let mut blank = 0;
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| {
            DistributionError::new(
                format!("{shown}:{line}: {e}"),
                "each row needs the same columns",
            )
        })?;
        let cell = record.get(index).unwrap_or("").trim();
        if cell.is_empty() {
            blank += 1;
            continue;
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => {
                super::limits::position(v, &format!("{shown}:{line}: the value"))
                    .map_err(|e| DistributionError::new(e.message, "fix or remove the row"))?;
                values.push(v);
            }
            _ => {
                return Err(DistributionError::new(
                    format!("{shown}:{line}: `{cell}` in column `{column}` is not a finite number"),
                    "fix or remove the row",
                ));
            }
        }
    }
    if values.is_empty() {
        let blanks = blank_note(blank).map_or(String::new(), |n| format!(" ({n})"));
        return Err(DistributionError::new(
            format!("{shown}: column `{column}` has no values{blanks}"),
            "add rows below the header",
        ));
    }
    Ok(DataColumn { values, blank })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_column_and_names_problems() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, "year,growth\n2020,0.1\n2021,0.25\n").unwrap();
        assert_eq!(
            read_column(&path, "growth").unwrap().values,
            vec![0.1, 0.25]
        );
        // Blank cells (as pandas and Excel write missing values) are skipped and counted.
        std::fs::write(&path, "year,growth\n2019,\n2020,0.1\n2021, \n2022,0.25\n").unwrap();
        let c = read_column(&path, "growth").unwrap();
        assert_eq!(c.note().as_deref(), Some("skipped 2 blank cells"));
        assert_eq!((c.values, c.blank), (vec![0.1, 0.25], 2));
        std::fs::write(&path, "year,growth\n2019,\n").unwrap();
        let e = read_column(&path, "growth").unwrap_err();
        assert!(
            e.message.contains("has no values (skipped 1 blank cell)"),
            "{e:?}"
        );
        let e = read_column(&path, "grwth").unwrap_err();
        assert!(e.help.contains("did you mean `growth`?"), "{e:?}");
        std::fs::write(&path, "growth\n0.1\nn/a\n").unwrap();
        assert!(
            read_column(&path, "growth")
                .unwrap_err()
                .message
                .contains(":3: `n/a`")
        );
        assert!(
            read_column(&dir.path().join("none.csv"), "x")
                .unwrap_err()
                .message
                .contains("cannot read")
        );
    }
}
