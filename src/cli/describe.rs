//! `boomsim describe`: every uncertain parameter of a model in numbers.

use std::path::PathBuf;

use boomsim::distribution::describe::{Description, describe};
use boomsim::output::terminal::{describe_csv, describe_table};

use super::{Failure, Overrides, print};

#[derive(clap::Args)]
pub struct Args {
    /// The model file.
    model: PathBuf,
    /// Write CSV to stdout instead of a table.
    #[arg(long)]
    csv: bool,
    #[command(flatten)]
    overrides: Overrides,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let (model, _) = self.overrides.load(self.model)?;
        let rows: Vec<Description> = model
            .uncertain_parameters()
            .iter()
            .map(|p| describe(&p.path, p.distribution, 24).0)
            .collect();
        let text = if self.csv {
            describe_csv(&rows).map_err(|e| Failure::of(&e))?
        } else {
            describe_table(&rows)
        };
        print(&text);
        Ok(())
    }
}
