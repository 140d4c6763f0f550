//! Any bytes as a model file: loading never panics or hangs, and a model that loads runs a
//! few paths and is summarised without a panic (overflowing paths are the engine's error).
#![no_main]

use boomsim::engine::{Hooks, RunConfig, simulate_paths};
use boomsim::model::parse_model;
use boomsim::stats::summary::summarise;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(model) = parse_model(text, "fuzz.toml") else {
        return;
    };
    // Keep each input fast: the point is the parser and the engine's error paths.
    if model.steps() > 400 || model.assets.len() > 64 {
        return;
    }
    let config = RunConfig {
        paths: 16,
        seed: 1,
        threads: Some(1),
        ..Default::default()
    };
    let Ok(sim) = simulate_paths(&model, &config, None, &Hooks::default()) else {
        return;
    };
    // Summaries of whatever came out (a run then refuses non-finite cells by name).
    let rows = summarise(&model, &sim);
    let _ = boomsim::output::first_non_finite(&rows);
});
