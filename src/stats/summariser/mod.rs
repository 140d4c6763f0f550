//! The one summary pipeline: the engine hands batches of paths to a [`Summariser`], which ends
//! in the same [`Summaries`] however it keeps them.
//!
//! Two implementations: [`Exact`] keeps every path's outcomes, so every statistic is exact;
//! [`Sketched`] folds each batch into sketches, moments and
//! counts and drops it, so memory does not grow with the paths. A shard saves a summariser's
//! state ([`Summariser::save`]) and a merge restores every shard's into one
//! ([`Summariser::restore`]), in path order, so a merged run has the bytes of one run.

use std::collections::BTreeMap;
use std::io::Write;

use crate::engine::Sampling;
use crate::engine::condition::Condition;
use crate::engine::{Accumulator, Simulation};
use crate::model::Model;
use crate::stats::precision::{ConvergencePoint, PrecisionRow};
use crate::stats::sensitivity::SensitivityRow;
use crate::stats::state::Shape;
use crate::stats::summary::{DistributionRow, FanStep, SummaryRow};

pub mod exact;
pub mod sketched;

pub use exact::Exact;
pub use sketched::Sketched;

/// Every summary of a run, however its paths were kept.
pub struct Summaries {
    /// One row per group and per asset (`summary.csv`).
    pub rows: Vec<SummaryRow>,
    /// The adoption fan, one entry per step.
    pub fan: Vec<FanStep>,
    /// Percentiles 1..99 of each entity's total return and drawdown.
    pub distributions: Vec<DistributionRow>,
    /// One row per (entity, uncertain parameter).
    pub sensitivity: Vec<SensitivityRow>,
    /// The Monte Carlo error of each headline statistic (`precision.csv`).
    pub precision: Vec<PrecisionRow>,
    /// Each group's mean return and cvar95 over the first paths (`convergence.csv`).
    pub convergence: Vec<ConvergencePoint>,
    /// With a condition: the summary over the matching paths.
    pub conditional: Option<ConditionalSummary>,
    /// The paths kept whole: all of them, or the first ones of a sketched run (what
    /// `samples.csv` holds and sensitivity was computed from).
    pub kept: Simulation,
    /// How the summaries were computed, for the manifest.
    pub method: String,
}

/// The `--where` summary.
#[derive(Debug, Clone)]
pub struct ConditionalSummary {
    /// The condition as written.
    pub condition: String,
    /// How many paths met it (0 is possible here; a run refuses it).
    pub matched: usize,
    /// The summary rows over those paths.
    pub rows: Vec<SummaryRow>,
}

impl ConditionalSummary {
    /// The summary of `matched` paths meeting `condition`, its rows made by `rows` (no rows
    /// when no path matched: there is nothing to summarise).
    pub fn of(
        condition: &Condition,
        matched: usize,
        rows: impl FnOnce() -> Vec<SummaryRow>,
    ) -> Self {
        ConditionalSummary {
            condition: condition.text.clone(),
            matched,
            rows: if matched == 0 { Vec::new() } else { rows() },
        }
    }
}

/// The saved state files of a shard, by name, checked against their checksums already.
pub type StateFiles = BTreeMap<&'static str, Vec<u8>>;

/// A summariser: an [`Accumulator`] the engine fills, that can save its state (a shard),
/// restore and append saved states (a merge), and end in [`Summaries`].
pub trait Summariser: Accumulator + Send {
    /// The names of the state files a shard of this summariser holds.
    fn state_files(&self) -> &'static [&'static str];
    /// Writes state file `file` (one of [`Self::state_files`]).
    fn save(&self, file: &str, w: &mut dyn Write) -> std::io::Result<()>;
    /// A sketched shard's reservoir: (paths, chunks) it keeps whole; `None` when exact.
    fn reservoir(&self) -> Option<(usize, usize)>;
    /// The paths kept whole so far (every path, or a sketched run's reservoir) and how many
    /// of them are filled: what a run in progress estimates its error from.
    fn kept_so_far(&self) -> Option<(&Simulation, usize)>;
    /// Appends a shard's saved state, of the given shape (shards come in path order).
    /// `Err(name)` names a state file that does not hold what the shape says.
    fn restore(&mut self, shape: &Shape, files: &StateFiles) -> Result<(), &'static str>;
    /// The summaries of every path absorbed or restored (drawn as `sampling` says); the
    /// summary rows over the paths meeting `condition` too.
    fn finish(
        self: Box<Self>,
        model: &Model,
        condition: Option<&Condition>,
        sampling: Sampling,
    ) -> Summaries;
}
