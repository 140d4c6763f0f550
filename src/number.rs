//! The one reader of the numbers a user types on a command line (a flag's value, a `--group`
//! range, a `--q` level): finite decimal numbers only, in range, and fractions as fractions.
//!
//! Every numeric flag goes through here, so each refuses the same things with the same words:
//! `nan`, `inf` and anything that is not a plain decimal number; a value outside its range,
//! saying the range; and a percent typed where a fraction is meant (`--max-cvar 20` for 20%),
//! answering "did you mean 0.2?" instead of reading a 2000% limit. Messages are written for
//! clap, which prefixes the flag.

/// A number as a user writes it: optional sign, digits with at most one decimal point, an
/// optional exponent. Rust's own parser would also take `nan`, `inf`, `infinity` and `1_0`.
fn plain_decimal(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    let points = mantissa.chars().filter(|&c| c == '.').count();
    let mantissa_ok =
        digits > 0 && points <= 1 && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.');
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// A number as a message shows it: plainly where that is short (`0.25`, `-3`, `1500`), in
/// exponent form where the plain form would run to many digits (`1e-300`, not 300 zeros).
pub fn shown(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || !x.is_finite() || (1e-4..1e12).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A percentage with as few decimals as show it exactly (up to six): `5`, `0.01`, `2.5`.
pub fn percent(fraction: f64) -> String {
    let p = 100.0 * fraction;
    let decimals = (0..6)
        .find(|&d| {
            let scale = 10f64.powi(d);
            ((p * scale).round() / scale - p).abs() < 1e-9
        })
        .unwrap_or(6) as usize;
    format!("{p:.decimals$}%")
}

/// A finite number: `nan`, `inf`, an empty text or anything but a plain decimal is refused.
pub fn finite(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let parsed = if plain_decimal(t) {
        t.parse::<f64>().ok()
    } else {
        None
    };
    // A percent sign: every number here is a fraction or a plain number, so say which
    // fraction it meant (`95%` -> 0.95) rather than only that it is not a number.
    let percent = t
        .strip_suffix('%')
        .filter(|p| plain_decimal(p.trim_end()))
        .and_then(|p| p.trim_end().parse::<f64>().ok())
        .filter(|p| p.is_finite());
    match parsed {
        Some(x) if x.is_finite() => Ok(x),
        Some(_) => Err(format!("`{t}` is too large for a 64-bit number")),
        None if t.is_empty() => Err("expected a number, got nothing".into()),
        None if let Some(p) = percent => Err(format!(
            "`{t}` is a percent: write the fraction {} (0.2 = 20%)",
            shown(p / 100.0)
        )),
        None => Err(format!(
            "expected a finite number such as 0.25 or -3, got `{t}`"
        )),
    }
}

/// Where a number may lie: between `min` and `max`, each end included or not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// The least value (or the bound just below it).
    pub min: f64,
    /// Whether `min` itself is allowed.
    pub min_included: bool,
    /// The greatest value (or the bound just above it).
    pub max: f64,
    /// Whether `max` itself is allowed.
    pub max_included: bool,
}

impl Range {
    /// [min, max].
    pub const fn closed(min: f64, max: f64) -> Self {
        Range {
            min,
            min_included: true,
            max,
            max_included: true,
        }
    }

    /// (min, max].
    pub const fn open_closed(min: f64, max: f64) -> Self {
        Range {
            min,
            min_included: false,
            max,
            max_included: true,
        }
    }

    /// (min, max).
    pub const fn open(min: f64, max: f64) -> Self {
        Range {
            min,
            min_included: false,
            max,
            max_included: false,
        }
    }

    /// Whether `x` lies in the range.
    pub fn holds(self, x: f64) -> bool {
        let above = if self.min_included {
            x >= self.min
        } else {
            x > self.min
        };
        let below = if self.max_included {
            x <= self.max
        } else {
            x < self.max
        };
        above && below
    }

    /// The range in words, e.g. `above 0 and at most 1`.
    pub fn words(self) -> String {
        let low = if self.min_included {
            format!("at least {}", self.min)
        } else {
            format!("above {}", self.min)
        };
        if self.max == f64::INFINITY {
            return low;
        }
        let high = if self.max_included {
            format!("at most {}", self.max)
        } else {
            format!("below {}", self.max)
        };
        format!("{low} and {high}")
    }
}

/// A finite number in `range`; `example` shows a valid one.
pub fn in_range(text: &str, range: Range, example: &str) -> Result<f64, String> {
    let x = finite(text)?;
    if range.holds(x) {
        Ok(x)
    } else {
        Err(format!(
            "expected a number {}, e.g. {example}; got {}",
            range.words(),
            shown(x)
        ))
    }
}

/// A fraction (0.2 = 20%) in `range` (within [0, 1]). A value that only makes sense as a
/// percent (above 1 and at most 100, whose hundredth is in range) is refused with the
/// fraction it meant.
pub fn fraction(text: &str, range: Range, example: &str) -> Result<f64, String> {
    let x = finite(text)?;
    if range.holds(x) {
        return Ok(x);
    }
    if x > 1.0 && x <= 100.0 && range.holds(x / 100.0) {
        return Err(format!(
            "{x} is not a fraction: did you mean {}? (fractions: 0.2 = 20%)",
            x / 100.0
        ));
    }
    Err(format!(
        "expected a fraction {}, e.g. {example} (0.2 = 20%); got {}",
        range.words(),
        shown(x)
    ))
}

/// A whole number from `min` to `max`: a negative, fractional or non-numeric value is refused
/// with the range (never taken as a flag or rounded).
pub fn whole(text: &str, min: u64, max: u64) -> Result<u64, String> {
    let t = text.trim();
    let help = || format!("expected a whole number from {min} to {max}, got `{t}`");
    if !t.chars().all(|c| c.is_ascii_digit() || c == '_') || t.is_empty() {
        return Err(help());
    }
    let digits: String = t.chars().filter(|&c| c != '_').collect();
    match digits.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(help()),
    }
}

/// `MIN..MAX` of fractions within `range`, MIN <= MAX: exactly two numbers and one `..`
/// (`0...1` is refused, not read as 0..0.1).
pub fn fraction_range(text: &str, range: Range, example: &str) -> Result<(f64, f64), String> {
    let help = || format!("expected MIN..MAX, two fractions with MIN <= MAX, e.g. {example}");
    let (lo, hi) = text.split_once("..").ok_or_else(help)?;
    if hi.starts_with('.') || lo.ends_with('.') || hi.contains("..") {
        return Err(format!("`{text}` has more than one `..`; {}", help()));
    }
    let lo = fraction(lo, range, example).map_err(|e| format!("MIN: {e}"))?;
    let hi = fraction(hi, range, example).map_err(|e| format!("MAX: {e}"))?;
    if lo > hi {
        return Err(format!("MIN {lo} is above MAX {hi}; {}", help()));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SHARE: Range = Range::open_closed(0.0, 1.0);

    #[test]
    fn only_plain_finite_decimals_are_numbers() {
        for ok in ["0", "-3", "+2.5", ".5", "5.", "1e3", "1E-3", " 0.25 "] {
            assert!(finite(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "nan", "NaN", "inf", "-inf", "infinity", "1_0", "0x10", "1e", "e3", "1.2.3", "--5",
            "5%", "1e400",
        ] {
            assert!(finite(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_percent_sign_gets_the_fraction_it_meant() {
        let e = finite("95%").unwrap_err();
        assert!(e.contains("write the fraction 0.95"), "{e}");
        let e = finite("-2.5 %").unwrap_err();
        assert!(e.contains("write the fraction -0.025"), "{e}");
        for bad in ["%", "nan%", "inf%", "5%%", "1e400%"] {
            let e = finite(bad).unwrap_err();
            assert!(!e.contains("write the fraction"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_percent_for_a_fraction_gets_the_fraction_it_meant() {
        assert_eq!(fraction("0.2", SHARE, "0.2"), Ok(0.2));
        let e = fraction("20", SHARE, "0.2").unwrap_err();
        assert!(e.contains("did you mean 0.2?"), "{e}");
        let e = fraction("95", Range::open(0.5, 1.0), "0.95").unwrap_err();
        assert!(e.contains("did you mean 0.95?"), "{e}");
        let e = fraction("250", SHARE, "0.2").unwrap_err();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(fraction("0", SHARE, "0.2").is_err());
        assert!(fraction("nan", SHARE, "0.2").is_err());
    }

    #[test]
    fn ranges_have_one_separator() {
        let r = Range::closed(0.0, 1.0);
        assert_eq!(fraction_range("0..0.2", r, "x"), Ok((0.0, 0.2)));
        assert_eq!(fraction_range(" 0.1 .. 1 ", r, "x"), Ok((0.1, 1.0)));
        for bad in [
            "0...1", "0..1..2", "0.", "..1", "0..", "0.5..0.2", "0..nan", "0..20",
        ] {
            assert!(fraction_range(bad, r, "x").is_err(), "{bad}");
        }
        assert!(
            fraction_range("0..20", r, "x")
                .unwrap_err()
                .contains("did you mean 0.2")
        );
    }

    #[test]
    fn percentages_keep_their_digits() {
        assert_eq!(percent(1.0 - 0.95), "5%");
        assert_eq!(percent(1.0 - 0.9999), "0.01%");
        assert_eq!(percent(0.025), "2.5%");
    }

    #[test]
    fn messages_show_numbers_short() {
        assert_eq!(shown(1e-300), "1e-300");
        assert_eq!(shown(0.25), "0.25");
        assert_eq!(shown(-3.0), "-3");
        assert_eq!(shown(1e20), "1e20");
        assert_eq!(shown(0.0), "0");
    }

    #[test]
    fn whole_numbers_refuse_signs_and_fractions() {
        assert_eq!(whole("100_000", 1, 1_000_000), Ok(100_000));
        for bad in ["-5", "0", "2.5", "1e3", "", "nan", "2000000"] {
            assert!(whole(bad, 1, 1_000_000).is_err(), "{bad}");
        }
        assert!(whole("-5", 1, 10).unwrap_err().contains("from 1 to 10"));
    }

    proptest! {
        /// Whatever the text: no panic, and a number that is accepted is finite and in range.
        #[test]
        fn any_text_gets_a_finite_number_in_range_or_an_error(text in "\\PC{0,24}") {
            if let Ok(x) = in_range(&text, Range::closed(-1e6, 1e6), "1") {
                prop_assert!(x.is_finite() && x.abs() <= 1e6);
            }
            if let Ok(x) = fraction(&text, SHARE, "0.2") {
                prop_assert!(x > 0.0 && x <= 1.0);
            }
            if let Ok((lo, hi)) = fraction_range(&text, Range::closed(0.0, 1.0), "0..1") {
                prop_assert!((0.0..=hi).contains(&lo) && hi <= 1.0);
            }
            let _ = whole(&text, 1, 10);
        }

        /// Every finite number written in Rust's own notation reads back as itself.
        #[test]
        fn written_numbers_read_back(x in -1e12f64..1e12) {
            prop_assert_eq!(finite(&x.to_string()), Ok(x));
            prop_assert_eq!(finite(&format!("{x:e}")), Ok(x));
        }
    }
}
