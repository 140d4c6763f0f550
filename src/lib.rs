//! boomsim: what returns and risks a several-fold growth in a technology's adoption creates,
//! group by group of investments, by Monte Carlo simulation.
//!
//! The modules follow the data flow of a run, each stage a folder that imports only from the
//! stages before it (`docs/architecture.md` has the map):
//! [`distribution`] (the uncertain parameters' laws) -> [`model`] (a model file, validated)
//! -> [`engine`] (paths in parallel: adoption, sectors, assets, outcomes) -> [`stats`]
//! (summaries across paths) -> [`output`] (run folders: CSV, JSON, report; the terminal)
//! -> [`run`] (one run, shards, sweeps: what the command line asks for). [`input`],
//! [`number`] (the numbers a user types), [`exit`] (exit codes), [`spelling`], [`random`] and [`elementary`] (exp and
//! ln with the same bits on every machine) are foundations every stage may use; [`keyword`]
//! writes messages in the Python package's terms.
//! `docs/model.md` defines every number.

pub mod distribution;
pub mod elementary;
pub mod engine;
pub mod exit;
pub mod input;
pub mod keyword;
pub mod model;
pub mod number;
pub mod output;
pub mod random;
pub mod run;
pub mod spelling;
pub mod stats;
