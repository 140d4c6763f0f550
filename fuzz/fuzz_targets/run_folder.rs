//! Any bytes as the files of a run (or allocate) folder, read by `boomsim report` and
//! `boomsim xlsx`: the input is split at 0xFF bytes into the folder's files; reading never
//! panics or hangs, and a folder that reads is drawn and written as a report and a workbook.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;

/// The files, in the order the input's parts fill them.
const FILES: [&str; 9] = [
    "summary.csv",
    "adoption.csv",
    "sensitivity.csv",
    "distributions.csv",
    "precision.csv",
    "convergence.csv",
    "manifest.json",
    "frontier.csv",
    "allocation.csv",
];

fn folder() -> PathBuf {
    std::env::temp_dir().join(format!("boomsim-fuzz-folder-{}", std::process::id()))
}

fuzz_target!(|bytes: &[u8]| {
    let dir = folder();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let parts: Vec<&[u8]> = bytes.split(|&b| b == 0xFF).collect();
    // The first byte says which files are present: an allocate folder has frontier.csv.
    let allocate = bytes.first().is_some_and(|b| b & 1 == 1);
    for (i, part) in parts.iter().enumerate().take(FILES.len()) {
        if (i >= 7) != allocate && i != 6 {
            continue;
        }
        std::fs::write(dir.join(FILES[i]), part).unwrap();
    }
    let _ = boomsim::output::report::write_report(&dir);
    let _ = boomsim::output::workbook::write_workbook(&dir, "fuzz.xlsx");
});
