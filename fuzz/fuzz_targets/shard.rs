//! Any bytes as a shard's state, as `boomsim merge` reads it once the manifest's checksums
//! pass: decoding never panics, whatever the shape the bytes claim; a part that does not have
//! its shape is refused.
#![no_main]

use std::collections::BTreeMap;

use boomsim::model::{DEFAULT_MODEL_TEXT, parse_model};
use boomsim::stats::state::{Shape, load_paths};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if bytes.len() < 4 {
        return;
    }
    let model = parse_model(DEFAULT_MODEL_TEXT, "python-5x.toml").expect("default model");
    let (paths, chunks) = (usize::from(bytes[0]) * 3, usize::from(bytes[1] % 8));
    let shape = Shape {
        first_path: 0,
        paths,
        chunks,
        entities: model.entities().len(),
        steps: model.steps(),
        parameters: model.uncertain_parameters().len(),
        baseline: model.baseline.is_some(),
        condition: bytes[2] & 1 == 1,
        reservoir_paths: paths,
        reservoir_chunks: chunks,
        at_horizon: bytes[2] & 2 == 2,
    };
    let rest = &bytes[4..];
    let _ = load_paths(&shape, rest);
    // A summariser of either kind, restoring the bytes as its state files.
    for exact in [true, false] {
        let mut state = boomsim::run::summariser(
            exact,
            &model,
            (0, paths.max(1)),
            shape.condition,
            false,
        );
        let mut files = BTreeMap::new();
        let split: Vec<&[u8]> = rest.splitn(2, |&b| b == 0xFF).collect();
        for (name, part) in state.state_files().iter().zip(split.iter().cycle()) {
            files.insert(*name, part.to_vec());
        }
        if state.restore(&shape, &files).is_ok() {
            let _ = state.finish(&model, None, Default::default());
        }
    }
});
