//! `boomsim merge`: shard folders into one run folder.

use std::path::PathBuf;

use boomsim::output::terminal::{report_written, workbook_written};
use boomsim::run::shard::{MergeRequest, merge};

use super::{Failure, command_line, hooks, print};

#[derive(clap::Args)]
pub struct Args {
    /// The shard folders, in any order.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Output folder [default: output/<model name>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// The model file the shards ran, when the path they recorded does not lead to it from
    /// here (another working folder or node); the SHA-256 of its texts must match theirs.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Accepted for scripts that pass it to every command: merge shows no progress bar.
    #[arg(long)]
    #[allow(dead_code)]
    quiet: bool,
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
        let request = MergeRequest {
            dirs: self.shards,
            out: self.out,
            model: self.model,
            threads: self.threads.map(|t| t as usize),
            command_line: command_line(),
            report: self.report,
            xlsx: self.xlsx,
            hooks: hooks(&indicatif::ProgressBar::hidden()),
        };
        let outcome = merge(&request).map_err(|e| Failure::of(&e))?;
        for w in &outcome.warnings {
            eprintln!("warning: {w}");
        }
        print(&outcome.text());
        if self.report {
            let page = outcome.out_dir.join("report.html");
            print(&report_written(&page));
        }
        if self.xlsx {
            print(&workbook_written(&outcome.out_dir));
        }
        Ok(())
    }
}
