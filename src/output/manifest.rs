//! `manifest.json`: the provenance of a run (version, model and its SHA-256, seed, paths,
//! threads, time, command line), so a result can be traced and reproduced.

use serde::Serialize;
use sha2::{Digest, Sha256};

use std::io::{self, Write};

use super::{Export, RunResults};

/// The provenance of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// The boomsim version that ran.
    pub boomsim_version: &'static str,
    /// The command that wrote the folder: `run` or `merge`.
    pub command: &'static str,
    /// `[model].name`.
    pub model_name: String,
    /// The model file as given (or the built-in default).
    pub model_path: String,
    /// SHA-256 of the model file's bytes, hex.
    pub model_sha256: String,
    /// The seed.
    pub seed: u64,
    /// N.
    pub paths: usize,
    /// T.
    pub steps: usize,
    /// How the summary was computed: `exact` (every path kept) or `sketch` (constant memory),
    /// with its error bound.
    pub summary_method: String,
    /// Latin hypercube and antithetic sampling.
    pub sampling: crate::engine::Sampling,
    /// When the run finished, UTC (RFC 3339).
    pub created: String,
    /// Worker threads used (does not change any other output).
    pub threads: usize,
    /// Wall-clock seconds of the simulation and summary.
    pub elapsed_seconds: f64,
    /// The command line, one argument per element.
    pub command_line: Vec<String>,
    /// Whether the samples were written.
    pub samples: bool,
    /// As which file (left out for the default, samples.csv).
    #[serde(skip_serializing_if = "crate::output::SamplesFormat::is_csv")]
    pub samples_format: crate::output::SamplesFormat,
    /// The `--where` condition, if any.
    pub condition: Option<String>,
    /// How many paths met it.
    pub condition_matched: Option<usize>,
    /// With `--precision`: the rule, each round's paths and widest half-width, and whether it
    /// converged (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopping: Option<crate::stats::precision::Stopping>,
    /// The profiles' thresholds: the hurdle exp(mu H) - 1 for mean_return and
    /// `[model].tail_loss_limit` for cvar95.
    pub profile_thresholds: crate::stats::summary::Thresholds,
    /// `[model].expected_return` (mu), the hurdle's annual rate.
    pub expected_return: f64,
    /// The paths kept whole (all of them, or a sketched run's first): what sensitivity.csv
    /// and samples.csv come from.
    pub paths_kept_whole: usize,
    /// The command that places capital for this model: `boomsim allocate` with the same model
    /// and `--set`s.
    pub allocate_command: String,
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `manifest.json`.
impl Manifest {
    /// Who writes the folder: this command for this model, with the seed and paths a
    /// replaced folder is compared on.
    pub fn owner(&self) -> super::Owner {
        super::Owner {
            command: self.command,
            model_name: self.model_name.clone(),
            model_sha256: self.model_sha256.clone(),
            settings: vec![
                ("seed", self.seed.to_string()),
                ("paths", self.paths.to_string()),
            ],
        }
    }
}

pub struct ManifestJson;

impl Export for ManifestJson {
    fn file_name(&self) -> &'static str {
        "manifest.json"
    }

    fn write(&self, report: &RunResults, out: &mut (dyn Write + Send)) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &report.manifest).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
