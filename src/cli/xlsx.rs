//! `boomsim xlsx`: an output folder as an Excel workbook.

use std::path::PathBuf;

use boomsim::output::terminal::workbook_written;
use boomsim::output::workbook::{workbook_name, write_workbook};
use boomsim::output::{foreign_entries, record_workbook};

use super::{Failure, print};

#[derive(clap::Args)]
pub struct Args {
    /// A folder written by `boomsim run`, `sweep` or `allocate`.
    dir: PathBuf,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        if !self.dir.join("manifest.json").is_file() {
            return Err(Failure::failed(format!(
                "{} is not a boomsim output folder (it has no manifest.json)\n  help: give a folder written by `boomsim run`, `sweep` or `allocate`",
                self.dir.display()
            )));
        }
        let name = workbook_name(&self.dir);
        // A workbook the user saved or edited there (other bytes than the one boomsim wrote,
        // whose SHA-256 the manifest records) is theirs: never replaced.
        if foreign_entries(&self.dir)
            .map_err(|e| Failure::failed(format!("cannot read {}: {e}", self.dir.display())))?
            .iter()
            .any(|p| p.as_os_str() == name.as_str())
        {
            return Err(Failure::failed(format!(
                "{} is not the workbook boomsim wrote there (its bytes differ from the one manifest.json records, or none is recorded), so it is not replaced\n  help: move or rename it, then run `boomsim xlsx {}` again",
                self.dir.join(&name).display(),
                self.dir.display()
            )));
        }
        let path = write_workbook(&self.dir, &name).map_err(|e| Failure::of(&e))?;
        record_workbook(&self.dir, &path).map_err(|e| Failure::of(&e))?;
        print(&workbook_written(&self.dir));
        Ok(())
    }
}
