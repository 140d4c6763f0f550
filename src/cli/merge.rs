//! `boomsim merge`: shard folders into one run folder.

use std::path::PathBuf;

use boomsim::run::shard::merge;

use super::{Failure, command_line, print};

#[derive(clap::Args)]
pub struct Args {
    /// The shard folders, in any order.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Output folder [default: output/<model name>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads for the summary [default: every core].
    #[arg(long, value_parser = super::threads, allow_negative_numbers = true)]
    threads: Option<u64>,
    /// Also write report.html and charts/ (as `boomsim report` does).
    #[arg(long)]
    report: bool,
    /// Also write the run as an Excel workbook, <folder name>.xlsx (as `boomsim xlsx` does).
    #[arg(long)]
    xlsx: bool,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let threads = self.threads.map(|t| t as usize);
        let outcome = merge(
            &self.shards,
            self.out,
            threads,
            command_line(),
            self.report,
            self.xlsx,
        )
        .map_err(|e| Failure::of(&e))?;
        print(&outcome.text());
        if self.report {
            let page = outcome.out_dir.join("report.html");
            print(&format!("Report: {}\n", page.display()));
        }
        if self.xlsx {
            print(&super::xlsx::written(&outcome.out_dir));
        }
        Ok(())
    }
}
