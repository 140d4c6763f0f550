//! `boomsim check`: validate a model and summarise it on one screen.

use std::path::PathBuf;

use boomsim::output::terminal::model_summary;

use super::{Failure, Overrides, print};

#[derive(clap::Args)]
pub struct Args {
    /// The model file.
    model: PathBuf,
    #[command(flatten)]
    overrides: Overrides,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let (model, name) = self.overrides.load(self.model)?;
        print(&model_summary(&model, &name));
        Ok(())
    }
}
