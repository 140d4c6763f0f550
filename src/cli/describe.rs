//! `boomsim describe`: every uncertain parameter of a model in numbers.

use std::path::PathBuf;

use boomsim::distribution::describe::{Description, SAMPLE_DRAWS, SAMPLE_SEED, describe};
use boomsim::output::terminal::{copula_text, describe_csv, describe_table, market_text};

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
            describe_csv(&rows).map_err(|e| Failure::failed(e.to_string()))?
        } else {
            let mut text = describe_table(&rows);
            let market = market_text(&model);
            let copulas = copula_text(&model, SAMPLE_DRAWS, SAMPLE_SEED);
            if !market.is_empty() || !copulas.is_empty() {
                text.push('\n');
            }
            text.push_str(&market);
            text.push_str(&copulas);
            text
        };
        print(&text);
        Ok(())
    }
}
