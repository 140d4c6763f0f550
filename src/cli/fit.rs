//! `boomsim fit`: from beliefs or data to a distribution string.

use std::path::PathBuf;

use boomsim::distribution::fit::{FitFamily, FitRequest, answer};
use boomsim::output::terminal::fit_text;

use boomsim::number;

use super::{Failure, print};

#[derive(clap::Args)]
pub struct Args {
    /// The 5th percentile.
    #[arg(long, value_parser = value, conflicts_with_all = ["min", "mode", "max", "data"])]
    p05: Option<f64>,
    /// The 95th percentile.
    #[arg(long, value_parser = value, conflicts_with_all = ["min", "mode", "max", "data"])]
    p95: Option<f64>,
    /// A quantile, as LEVEL=VALUE (e.g. 0.1=2); give two.
    #[arg(long = "q", value_name = "P=V", value_parser = quantile, conflicts_with_all = ["min", "mode", "max", "data"])]
    quantiles: Vec<(f64, f64)>,
    /// The family for quantiles: normal, lognormal, gamma or uniform [default: lognormal
    /// when the values are positive, else normal].
    #[arg(long, value_parser = family, conflicts_with_all = ["min", "mode", "max", "data"])]
    family: Option<FitFamily>,
    /// PERT minimum.
    #[arg(long, value_parser = value, requires_all = ["mode", "max"], conflicts_with = "data")]
    min: Option<f64>,
    /// PERT mode (most likely value).
    #[arg(long, value_parser = value, requires_all = ["min", "max"], conflicts_with = "data")]
    mode: Option<f64>,
    /// PERT maximum.
    #[arg(long, value_parser = value, requires_all = ["min", "mode"], conflicts_with = "data")]
    max: Option<f64>,
    /// A CSV file of observations.
    #[arg(long, requires = "column")]
    data: Option<PathBuf>,
    /// The column of --data to fit.
    #[arg(long, requires = "data")]
    column: Option<String>,
}

/// A value of a quantile: any finite number.
fn value(arg: &str) -> Result<f64, String> {
    number::finite(arg)
}

/// `--q LEVEL=VALUE`: LEVEL a fraction strictly between 0 and 1, VALUE finite.
fn quantile(arg: &str) -> Result<(f64, f64), String> {
    let (p, v) = arg
        .split_once('=')
        .ok_or("expected LEVEL=VALUE, e.g. --q 0.1=2 (the 10th percentile is 2)")?;
    let level = number::fraction(p, number::Range::open(0.0, 1.0), "0.1")
        .map_err(|e| format!("LEVEL: {e}"))?;
    let value = number::finite(v).map_err(|e| format!("VALUE: {e}"))?;
    Ok((level, value))
}

/// `--family NAME`.
fn family(arg: &str) -> Result<FitFamily, String> {
    FitFamily::parse(arg).map_err(|e| format!("{}; {}", e.message, e.help))
}

impl Args {
    /// The request these flags make; `None` when they name no complete mode.
    fn request(self) -> Option<FitRequest> {
        if let (Some(path), Some(column)) = (self.data, self.column) {
            return Some(FitRequest::Data { path, column });
        }
        if let (Some(min), Some(mode), Some(max)) = (self.min, self.mode, self.max) {
            return Some(FitRequest::Pert { min, mode, max });
        }
        let mut points: Vec<(f64, f64)> = Vec::new();
        points.extend(self.p05.map(|v| (0.05, v)));
        points.extend(self.p95.map(|v| (0.95, v)));
        points.extend(self.quantiles);
        let points: [(f64, f64); 2] = points.try_into().ok()?;
        Some(FitRequest::Quantiles {
            points,
            family: self.family,
        })
    }

    pub fn execute(self) -> Result<(), Failure> {
        let request = self.request().ok_or_else(|| {
            Failure::usage(
                "fit needs exactly two quantiles (--p05 A --p95 B, or two --q P=V), or --min --mode --max, or --data FILE --column NAME",
            )
        })?;
        let found = answer(&request).map_err(|e| Failure::of(&e))?;
        print(&fit_text(&found));
        Ok(())
    }
}
