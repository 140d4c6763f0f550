//! Statistics across paths: pure mathematics over the engine's per-path columns, no I/O.
//!
//! - [`summariser`]: the one route from the engine's batches of paths to every summary, kept
//!   whole ([`summariser::exact`]) or folded into sketches and moments
//!   ([`summariser::sketched`]);
//! - [`summary`]: every column of `summary.csv`, the adoption fan, the percentiles of
//!   `distributions.csv`; [`quantile`]: type-7 quantiles and tail means;
//! - [`precision`]: the Monte Carlo error of every headline statistic, with [`interval`] for
//!   the order-statistic and share intervals;
//! - [`sensitivity`]: what drives each result; [`allocation`]: the portfolio optimiser's
//!   scenarios and figures;
//! - [`sums`] (column sums in one fixed order), [`order`] (columns put in order by radix sort,
//!   for ranks and percentiles), [`sketch`] (constant-memory quantiles) and [`state`] (the word
//!   encoding of saved state, for shards).

pub mod allocation;
pub mod interval;
pub mod order;
pub mod precision;
pub mod quantile;
pub mod sensitivity;
pub mod sketch;
pub mod state;
pub mod summariser;
pub mod summary;
pub mod sums;
