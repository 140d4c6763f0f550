//! Reads one numeric column of a CSV file (for `empirical(...)` and `boomsim fit --data`).

use std::path::Path;

use super::DistributionError;
use crate::model::suggest;

/// The values of `column` in the CSV file at `path` (a header row, then one row per value).
/// Every value must be a finite number; empty cells are errors, so nothing is skipped silently.
pub fn read_column(path: &Path, column: &str) -> Result<Vec<f64>, DistributionError> {
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
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| {
            DistributionError::new(
                format!("{shown}:{line}: {e}"),
                "each row needs the same columns",
            )
        })?;
        let cell = record.get(index).unwrap_or("").trim();
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
        return Err(DistributionError::new(
            format!("{shown}: column `{column}` has no values"),
            "add rows below the header",
        ));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_column_and_names_problems() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, "year,growth\n2020,0.1\n2021,0.25\n").unwrap();
        assert_eq!(read_column(&path, "growth").unwrap(), vec![0.1, 0.25]);
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
