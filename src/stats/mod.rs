//! Statistics across paths: pure mathematics over the engine's per-path columns, no I/O.
//!
//! [`precision`] (the Monte Carlo error of every headline statistic, with [`interval`] for the
//! order-statistic and share intervals), [`pipeline`] (the one route from the engine's batches of paths to every summary, exact
//! or sketched), [`summary`] (every column of `summary.csv`, the adoption fan, the percentiles of
//! `distributions.csv`), [`sums`] (column sums in one fixed order), [`order`] (columns put in order by radix sort, for ranks and
//! percentiles), [`sensitivity`] (what drives each result), [`sketch`] (constant-memory
//! quantiles), [`streaming`] (batches of paths folded into sketches and moments) and [`state`]
//! (the word encoding of saved state, for shards).

pub mod allocation;
pub mod interval;
pub mod order;
pub mod pipeline;
pub mod precision;
pub mod quantile;
pub mod sensitivity;
pub mod sketch;
pub mod state;
pub mod streaming;
pub mod summary;
pub mod sums;
