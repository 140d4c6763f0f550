//! Any text as a `--where` condition: parsing never panics, and a condition that parses is
//! evaluated on any values without a panic.
#![no_main]

use boomsim::engine::condition::Condition;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parameters = vec![
        "adoption.ceiling".to_string(),
        "sectors.ml_ai.elasticity".to_string(),
    ];
    for baseline in [false, true] {
        if let Ok(c) = Condition::parse(text, &parameters, baseline) {
            let _ = c.holds(&[1.0, f64::MAX], 2.0, -0.0);
        }
    }
});
