//! Any text as a numeric flag's value (every numeric flag reads through `boomsim::number`): no
//! panic, and a value that is accepted is finite and in its range.
#![no_main]

use boomsim::number::{self, Range};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let share = Range::open_closed(0.0, 1.0);
    if let Ok(x) = number::finite(text) {
        assert!(x.is_finite());
    }
    if let Ok(x) = number::fraction(text, share, "0.2") {
        assert!(x > 0.0 && x <= 1.0);
    }
    if let Ok(x) = number::in_range(text, Range::open(0.5, 1.0), "0.95") {
        assert!(x > 0.5 && x < 1.0);
    }
    if let Ok((lo, hi)) = number::fraction_range(text, Range::closed(0.0, 1.0), "0..1") {
        assert!((0.0..=hi).contains(&lo) && hi <= 1.0);
    }
    if let Ok(n) = number::whole(text, 1, 1_000_000) {
        assert!((1..=1_000_000).contains(&n));
    }
});
