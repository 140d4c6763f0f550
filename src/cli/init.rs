//! `boomsim init`: the built-in model as a file to edit.

use std::path::PathBuf;

use boomsim::model::init_model;
use boomsim::output::terminal::model_written;

use super::{Failure, print};

#[derive(clap::Args)]
pub struct Args {
    /// Where to write it.
    #[arg(default_value = "python-5x.toml")]
    path: PathBuf,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let shown = self.path.display();
        let name = init_model(&self.path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Failure::failed(format!(
                "{shown} already exists, and init never overwrites a file\n  help: give another path, e.g. boomsim init my-model.toml"
            )),
            _ => Failure::failed(format!("cannot write {shown}: {e}")),
        })?;
        print(&model_written(&self.path, &name));
        Ok(())
    }
}
