//! `boomsim report`: charts and report.html for a run folder.

use std::path::PathBuf;

use boomsim::output::report::write_report;
use boomsim::output::terminal::report_written;

use super::{Failure, print};

#[derive(clap::Args)]
pub struct Args {
    /// The run folder.
    dir: PathBuf,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let page = write_report(&self.dir).map_err(|e| Failure::of(&e))?;
        print(&report_written(&page));
        Ok(())
    }
}
