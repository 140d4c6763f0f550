//! `boomsim dist`: one distribution string in full.

use boomsim::distribution::Distribution;
use boomsim::distribution::describe::describe;
use boomsim::output::terminal::dist_report;

use super::{Failure, print};

#[derive(clap::Args)]
pub struct Args {
    /// A distribution, e.g. "2 to 10" or "normal(1.4, 0.3) in [0, 3]".
    distribution: String,
    /// Histogram bins.
    #[arg(long, default_value_t = 20, value_parser = bins, allow_negative_numbers = true)]
    bins: u64,
}

/// `--bins N`.
fn bins(arg: &str) -> Result<u64, String> {
    boomsim::number::whole(arg, 1, 200)
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let d = Distribution::parse(&self.distribution).map_err(|e| {
            // A string too long to accept is too long to echo whole.
            let shown: String = self.distribution.chars().take(120).collect();
            let more = if shown.len() < self.distribution.len() {
                "..."
            } else {
                ""
            };
            Failure::failed(format!("\"{shown}{more}\": {e}"))
        })?;
        let (description, histogram) = describe("", &d, self.bins as usize);
        print(&dist_report(&description, &histogram));
        Ok(())
    }
}
