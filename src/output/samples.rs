//! The per-path samples of a run (`--samples`): one column per driver (every uncertain
//! parameter's draw and the market's total log-return), the adoption multiple at the horizon
//! (and the baseline's), and each entity's total return (and uplift), groups first. The same
//! columns go to `samples.csv` (one row per path), to `samples.parquet`
//! (`--samples-format parquet`: typed columns, `path` an INT64 and the rest DOUBLE) and to
//! the Python package as NumPy arrays, all read from the engine's columns without a copy.
//!
//! Memory of the Parquet writer: one row group at a time, [`ROW_GROUP_PATHS`] paths of every
//! column (8 bytes each) plus its compressed pages: about 16 bytes x columns x 65,536.

use std::io::{self, Write};
use std::sync::Arc;

use parquet::basic::{Compression, Repetition, Type as PhysicalType};
use parquet::data_type::{DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::{Export, RunResults};
use crate::engine::Simulation;
use crate::model::Model;

/// How `--samples` writes the paths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplesFormat {
    /// `samples.csv`: text, one row per path (what a spreadsheet opens).
    #[default]
    Csv,
    /// `samples.parquet`: typed columns, compressed (what pandas, polars and DuckDB read fastest).
    Parquet,
}

impl SamplesFormat {
    /// The file it writes.
    pub fn file_name(self) -> &'static str {
        match self {
            SamplesFormat::Csv => "samples.csv",
            SamplesFormat::Parquet => "samples.parquet",
        }
    }

    /// Whether this is the CSV default (the manifest leaves it out then).
    pub fn is_csv(&self) -> bool {
        *self == SamplesFormat::Csv
    }
}

/// The sample columns after `path`, in file order: (name, one value per path).
pub fn sample_columns<'a>(model: &Model, sim: &'a Simulation) -> Vec<(String, &'a [f64])> {
    let mut columns: Vec<(String, &[f64])> = model
        .drivers()
        .into_iter()
        .enumerate()
        .map(|(k, name)| (name, sim.draws.column(k)))
        .collect();
    columns.push(("adoption_multiple".into(), sim.adoption_at_horizon()));
    if let Some(b) = sim.baseline_adoption_at_horizon() {
        columns.push(("baseline_adoption_multiple".into(), b));
    }
    let names = model.groups.iter().map(|g| &g.name);
    let names = names.chain(model.assets.iter().map(|a| &a.name));
    for (e, name) in names.enumerate() {
        columns.push((format!("return.{name}"), sim.total_return.column(e)));
        if let Some(u) = &sim.uplift {
            columns.push((format!("uplift.{name}"), u.column(e)));
        }
    }
    columns
}

/// Paths in one Parquet row group.
pub const ROW_GROUP_PATHS: usize = 65_536;

/// `samples.parquet`.
pub struct SamplesParquet;

impl Export for SamplesParquet {
    fn file_name(&self) -> &'static str {
        SamplesFormat::Parquet.file_name()
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        write_parquet(report.model, &report.summaries.kept, out)
    }
}

/// Writes the samples of `sim` as Parquet to `out`.
pub fn write_parquet(
    model: &Model,
    sim: &Simulation,
    out: &mut (dyn Write + Send),
) -> io::Result<()> {
    let columns = sample_columns(model, sim);
    let field = |name: &str, kind: PhysicalType| {
        Type::primitive_type_builder(name, kind)
            .with_repetition(Repetition::REQUIRED)
            .build()
            .map(Arc::new)
    };
    let mut fields = vec![field("path", PhysicalType::INT64).map_err(io::Error::other)?];
    for (name, _) in &columns {
        fields.push(field(name, PhysicalType::DOUBLE).map_err(io::Error::other)?);
    }
    let schema = Type::group_type_builder("samples")
        .with_fields(fields)
        .build()
        .map_err(io::Error::other)?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("boomsim {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties))
        .map_err(io::Error::other)?;
    let mut paths: Vec<i64> = Vec::with_capacity(ROW_GROUP_PATHS.min(sim.paths));
    for start in (0..sim.paths).step_by(ROW_GROUP_PATHS) {
        let end = (start + ROW_GROUP_PATHS).min(sim.paths);
        let mut group = writer.next_row_group().map_err(io::Error::other)?;
        paths.clear();
        paths.extend((start..end).map(|p| p as i64));
        let mut column = group
            .next_column()
            .map_err(io::Error::other)?
            .ok_or_else(|| io::Error::other("parquet: no column for path"))?;
        column
            .typed::<Int64Type>()
            .write_batch(&paths, None, None)
            .map_err(io::Error::other)?;
        column.close().map_err(io::Error::other)?;
        for (name, values) in &columns {
            let mut column = group
                .next_column()
                .map_err(io::Error::other)?
                .ok_or_else(|| io::Error::other(format!("parquet: no column for {name}")))?;
            column
                .typed::<DoubleType>()
                .write_batch(&values[start..end], None, None)
                .map_err(io::Error::other)?;
            column.close().map_err(io::Error::other)?;
        }
        group.close().map_err(io::Error::other)?;
    }
    writer.close().map_err(io::Error::other)?;
    Ok(())
}
