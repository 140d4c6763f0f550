//! `boomsim xlsx`: an output folder as an Excel workbook.

use std::path::{Path, PathBuf};

use boomsim::output::workbook::{workbook_name, write_workbook};

use super::{Failure, print};

#[derive(clap::Args)]
pub struct Args {
    /// A folder written by `boomsim run`, `sweep` or `allocate`.
    dir: PathBuf,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        if !self.dir.join("manifest.json").is_file() {
            return Err(Failure::of(&format!(
                "{} is not a boomsim output folder (it has no manifest.json)\n  help: give a folder written by `boomsim run`, `sweep` or `allocate`",
                self.dir.display()
            )));
        }
        write_workbook(&self.dir, &workbook_name(&self.dir)).map_err(|e| Failure::of(&e))?;
        print(&written(&self.dir));
        Ok(())
    }
}

/// The line saying where the workbook of the folder `dir` is.
pub fn written(dir: &Path) -> String {
    format!("Workbook: {}\n", dir.join(workbook_name(dir)).display())
}
