//! boomsim: what returns and risks a several-fold growth in a technology's adoption creates,
//! group by group of investments, by Monte Carlo simulation.
//!
//! The modules follow the data flow of a run:
//! [`model`] (load and validate a model file) -> [`distribution`] (the uncertain parameters)
//! -> [`engine`] (paths in parallel, with [`adoption`] curves) -> [`outcome`] (per path) ->
//! [`summary`] (across paths) -> [`export`] (CSV, JSON, terminal). [`run`] ties them together.
//! `docs/model.md` defines every number (it follows the contract the project is checked
//! against).

pub mod adoption;
pub mod condition;
pub mod describe;
pub mod distribution;
pub mod engine;
pub mod export;
pub mod fit;
pub mod input;
pub mod model;
pub mod outcome;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod shard;
pub mod sketch;
pub mod state;
pub mod streaming;
pub mod summary;
pub mod sweep;
