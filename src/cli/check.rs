//! `boomsim check`: validate a model and summarise it on one screen.

use std::path::PathBuf;

use boomsim::output::terminal::model_summary;
use boomsim::run::ModelSource;

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
        let source = ModelSource::File(self.model);
        let (model, _) = source
            .load(&self.overrides.list())
            .map_err(|e| Failure::of(&e))?;
        print(&model_summary(&model, &source.display()));
        Ok(())
    }
}
