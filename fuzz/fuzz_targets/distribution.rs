//! Any string as a distribution: parsing never panics or hangs, and what parses has a
//! quantile function that is monotone, finite inside (0, 1) and inside the support, a CDF in
//! [0, 1], and finite draws inside the support.
#![no_main]

use boomsim::distribution::Distribution;
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;

const LEVELS: [f64; 9] = [1e-9, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0 - 1e-9];

fuzz_target!(|text: &str| {
    let Ok(d) = Distribution::parse(text) else {
        return;
    };
    let (lo, hi) = d.support();
    assert!(lo <= hi, "{text}: support [{lo}, {hi}]");
    let mut last = f64::NEG_INFINITY;
    for p in LEVELS {
        let q = d.quantile(p);
        assert!(q.is_finite(), "{text}: q({p}) = {q}");
        assert!(q >= last, "{text}: q({p}) = {q} < {last}");
        assert!(lo <= q && q <= hi, "{text}: q({p}) = {q} outside [{lo}, {hi}]");
        last = q;
        let c = d.cdf(q);
        assert!((0.0..=1.0).contains(&c), "{text}: cdf({q}) = {c}");
    }
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    for _ in 0..64 {
        let x = d.sample(&mut rng);
        assert!(x.is_finite() && lo <= x && x <= hi, "{text}: drew {x}");
    }
    if let Some((m, s)) = d.moments() {
        assert!(m.is_finite() && s.is_finite() && s >= 0.0, "{text}: {m} {s}");
    }
});
