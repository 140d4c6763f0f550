//! Distributions of uncertain model parameters: the strings of MODEL.md §2.
//!
//! This module owns the grammar of a distribution string (`"normal(1.4, 0.3)"`, `"2 to 10"`),
//! the parameter rules of each form, sampling (with rand_distr, the RNG passed in) and the
//! exact quantile function (with statrs), which `check` and the statistical tests use.
//!
//! A [`Distribution`] is immutable once parsed, so one value is shared by every thread.

use rand::Rng;
use rand_distr::Distribution as _;
use statrs::distribution::ContinuousCDF;

/// The standard normal quantile at 0.95: a 90% interval spans `2 * Z95` standard deviations.
pub fn z95() -> f64 {
    statrs::distribution::Normal::standard().inverse_cdf(0.95)
}

/// The family and parameters of a distribution, after `"A to B"` has been resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Family {
    /// Always the same value.
    Constant(f64),
    /// Normal with mean and standard deviation `sd > 0`.
    Normal { mean: f64, sd: f64 },
    /// `exp` of a normal with mean `mu` and standard deviation `sigma > 0`.
    LogNormal { mu: f64, sigma: f64 },
    /// Uniform on `[lo, hi]`, `lo < hi`.
    Uniform { lo: f64, hi: f64 },
    /// Triangular on `[min, max]` with peak at `mode`; `min <= mode <= max`, `min < max`.
    Triangular { min: f64, mode: f64, max: f64 },
    /// Beta-PERT (shape 4) on `[min, max]` with the given mode; same rules as triangular.
    Pert { min: f64, mode: f64, max: f64 },
    /// Beta on `[0, 1]` with shapes `a > 0`, `b > 0`.
    Beta { a: f64, b: f64 },
}

/// An immutable, validated distribution: what was written, its family and a ready sampler.
#[derive(Debug, Clone)]
pub struct Distribution {
    text: String,
    family: Family,
    sampler: Sampler,
}

#[derive(Debug, Clone)]
enum Sampler {
    Constant(f64),
    Normal(rand_distr::Normal<f64>),
    LogNormal(rand_distr::LogNormal<f64>),
    Uniform(rand_distr::Uniform<f64>),
    Triangular(rand_distr::Triangular<f64>),
    Pert(rand_distr::Pert<f64>),
    Beta(rand_distr::Beta<f64>),
}

/// Why a distribution string was rejected, and what would be valid.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionError {
    /// What is wrong.
    pub message: String,
    /// What would be valid instead.
    pub help: String,
}

impl DistributionError {
    fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            help: help.into(),
        }
    }
}

/// The named forms, their parameter names, for messages and suggestions.
const FORMS: [(&str, &[&str]); 6] = [
    ("normal", &["mean", "sd"]),
    ("lognormal", &["mu", "sigma"]),
    ("uniform", &["lo", "hi"]),
    ("triangular", &["min", "mode", "max"]),
    ("pert", &["min", "mode", "max"]),
    ("beta", &["a", "b"]),
];

const FORMS_HELP: &str = "valid forms: \"1.5\", \"normal(mean, sd)\", \"lognormal(mu, sigma)\", \
\"uniform(lo, hi)\", \"triangular(min, mode, max)\", \"pert(min, mode, max)\", \"beta(a, b)\", \"A to B\"";

impl Distribution {
    /// A constant: every draw returns `value`.
    pub fn constant(value: f64) -> Self {
        Self {
            text: format_number(value),
            family: Family::Constant(value),
            sampler: Sampler::Constant(value),
        }
    }

    /// Parses a distribution string of MODEL.md §2.
    pub fn parse(text: &str) -> Result<Self, DistributionError> {
        let family = parse_family(text.trim())?;
        let sampler = build_sampler(&family)?;
        Ok(Self {
            text: text.trim().to_string(),
            family,
            sampler,
        })
    }

    /// The distribution as the user wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The family and parameters (`"A to B"` resolved to normal or lognormal).
    pub fn family(&self) -> Family {
        self.family
    }

    /// True when every draw is the same value.
    pub fn is_constant(&self) -> bool {
        matches!(self.family, Family::Constant(_))
    }

    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.sampler {
            Sampler::Constant(v) => *v,
            Sampler::Normal(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Triangular(d) => d.sample(rng),
            Sampler::Pert(d) => d.sample(rng),
            Sampler::Beta(d) => d.sample(rng),
        }
    }

    /// The exact `p`-quantile, `0 <= p <= 1` (statrs's inverse CDF).
    pub fn quantile(&self, p: f64) -> f64 {
        use statrs::distribution as sd;
        // Parameters were validated when parsed, so the constructors cannot fail.
        match self.family {
            Family::Constant(v) => v,
            Family::Normal { mean, sd } => sd::Normal::new(mean, sd).expect("valid").inverse_cdf(p),
            Family::LogNormal { mu, sigma } => {
                sd::LogNormal::new(mu, sigma).expect("valid").inverse_cdf(p)
            }
            Family::Uniform { lo, hi } => sd::Uniform::new(lo, hi).expect("valid").inverse_cdf(p),
            Family::Triangular { min, mode, max } => sd::Triangular::new(min, max, mode)
                .expect("valid")
                .inverse_cdf(p),
            Family::Pert { min, mode, max } => {
                let (a, b) = pert_shapes(min, mode, max);
                min + (max - min) * sd::Beta::new(a, b).expect("valid").inverse_cdf(p)
            }
            Family::Beta { a, b } => sd::Beta::new(a, b).expect("valid").inverse_cdf(p),
        }
    }

    /// The closed interval that holds every draw (infinite ends where unbounded).
    pub fn support(&self) -> (f64, f64) {
        match self.family {
            Family::Constant(v) => (v, v),
            Family::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Family::LogNormal { .. } => (0.0, f64::INFINITY),
            Family::Uniform { lo, hi } => (lo, hi),
            Family::Triangular { min, max, .. } | Family::Pert { min, max, .. } => (min, max),
            Family::Beta { .. } => (0.0, 1.0),
        }
    }

    /// True when the support's lower end is open (a lognormal never draws exactly 0).
    pub fn lower_end_open(&self) -> bool {
        matches!(self.family, Family::LogNormal { .. })
    }
}

/// The Beta shapes of a PERT distribution with lambda = 4.
pub fn pert_shapes(min: f64, mode: f64, max: f64) -> (f64, f64) {
    let range = max - min;
    (
        1.0 + 4.0 * (mode - min) / range,
        1.0 + 4.0 * (max - mode) / range,
    )
}

/// Formats a number the way a user would write it back into a model file.
pub fn format_number(v: f64) -> String {
    format!("{v}")
}

fn parse_number(s: &str, what: &str) -> Result<f64, DistributionError> {
    let s = s.trim();
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(DistributionError::new(
            format!("{what} `{s}` is not a finite number"),
            "every number must be finite",
        )),
        Err(_) => Err(DistributionError::new(
            format!("{what} `{s}` is not a number"),
            "write numbers like 0.3, -2 or 1e-3",
        )),
    }
}

fn parse_family(text: &str) -> Result<Family, DistributionError> {
    if text.is_empty() {
        return Err(DistributionError::new(
            "empty distribution string",
            FORMS_HELP,
        ));
    }
    if let Ok(v) = text.parse::<f64>() {
        if !v.is_finite() {
            return Err(DistributionError::new(
                format!("`{text}` is not a finite number"),
                "every number must be finite",
            ));
        }
        return Ok(Family::Constant(v));
    }
    if let Some((a, b)) = text.split_once(" to ") {
        let lo = parse_number(a, "the lower end")?;
        let hi = parse_number(b, "the upper end")?;
        if lo >= hi {
            return Err(DistributionError::new(
                format!("in \"A to B\", A must be less than B (got {lo} to {hi})"),
                format!("write \"{hi} to {lo}\" or another interval with A < B"),
            ));
        }
        let z = z95();
        return Ok(if lo > 0.0 {
            let (l, h) = (lo.ln(), hi.ln());
            Family::LogNormal {
                mu: (l + h) / 2.0,
                sigma: (h - l) / (2.0 * z),
            }
        } else {
            Family::Normal {
                mean: (lo + hi) / 2.0,
                sd: (hi - lo) / (2.0 * z),
            }
        });
    }
    let Some(open) = text.find('(') else {
        return Err(unknown_form(text));
    };
    let name = text[..open].trim();
    let rest = &text[open + 1..];
    let Some(inner) = rest.trim_end().strip_suffix(')') else {
        return Err(DistributionError::new(
            format!("`{text}` has no closing parenthesis"),
            format!("write it as {name}(...)"),
        ));
    };
    let Some((_, params)) = FORMS.iter().find(|(n, _)| *n == name) else {
        return Err(unknown_form(name));
    };
    let args: Vec<&str> = if inner.trim().is_empty() {
        Vec::new()
    } else {
        inner.split(',').collect()
    };
    let signature = format!("{name}({})", params.join(", "));
    if args.len() != params.len() {
        return Err(DistributionError::new(
            format!(
                "{name} takes {} parameters, got {}",
                params.len(),
                args.len()
            ),
            format!("write {signature}"),
        ));
    }
    let mut v = [0.0; 3];
    for (i, (arg, pname)) in args.iter().zip(params.iter()).enumerate() {
        v[i] = parse_number(arg, &format!("{name}'s {pname}"))?;
    }
    let positive = |x: f64, pname: &str| {
        if x > 0.0 {
            Ok(())
        } else {
            Err(DistributionError::new(
                format!("{name}'s {pname} must be > 0, got {x}"),
                format!("{signature} with {pname} > 0"),
            ))
        }
    };
    let ordered = |min: f64, mode: f64, max: f64| {
        if min <= mode && mode <= max && min < max {
            Ok(())
        } else {
            Err(DistributionError::new(
                format!(
                    "{name} needs min <= mode <= max and min < max, got ({min}, {mode}, {max})"
                ),
                format!("{signature} with min <= mode <= max"),
            ))
        }
    };
    Ok(match name {
        "normal" => {
            positive(v[1], "sd")?;
            Family::Normal {
                mean: v[0],
                sd: v[1],
            }
        }
        "lognormal" => {
            positive(v[1], "sigma")?;
            Family::LogNormal {
                mu: v[0],
                sigma: v[1],
            }
        }
        "uniform" => {
            if v[0] >= v[1] {
                return Err(DistributionError::new(
                    format!("uniform needs lo < hi, got ({}, {})", v[0], v[1]),
                    "uniform(lo, hi) with lo < hi",
                ));
            }
            Family::Uniform { lo: v[0], hi: v[1] }
        }
        "triangular" => {
            ordered(v[0], v[1], v[2])?;
            Family::Triangular {
                min: v[0],
                mode: v[1],
                max: v[2],
            }
        }
        "pert" => {
            ordered(v[0], v[1], v[2])?;
            Family::Pert {
                min: v[0],
                mode: v[1],
                max: v[2],
            }
        }
        _ => {
            positive(v[0], "a")?;
            positive(v[1], "b")?;
            Family::Beta { a: v[0], b: v[1] }
        }
    })
}

fn unknown_form(name: &str) -> DistributionError {
    let closest = FORMS
        .iter()
        .map(|(n, _)| (strsim::jaro_winkler(name, n), *n))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score > 0.8)
        .map(|(_, n)| format!("did you mean `{n}`? "))
        .unwrap_or_default();
    DistributionError::new(
        format!("`{name}` is not a distribution"),
        format!("{closest}{FORMS_HELP}"),
    )
}

fn build_sampler(family: &Family) -> Result<Sampler, DistributionError> {
    let invalid = |e: String| DistributionError::new(e, FORMS_HELP);
    Ok(match *family {
        Family::Constant(v) => Sampler::Constant(v),
        Family::Normal { mean, sd } => {
            Sampler::Normal(rand_distr::Normal::new(mean, sd).map_err(|e| invalid(e.to_string()))?)
        }
        Family::LogNormal { mu, sigma } => Sampler::LogNormal(
            rand_distr::LogNormal::new(mu, sigma).map_err(|e| invalid(e.to_string()))?,
        ),
        Family::Uniform { lo, hi } => Sampler::Uniform(
            rand_distr::Uniform::new_inclusive(lo, hi).map_err(|e| invalid(e.to_string()))?,
        ),
        Family::Triangular { min, mode, max } => Sampler::Triangular(
            rand_distr::Triangular::new(min, max, mode).map_err(|e| invalid(e.to_string()))?,
        ),
        Family::Pert { min, mode, max } => Sampler::Pert(
            rand_distr::Pert::new(min, max)
                .with_mode(mode)
                .map_err(|e| invalid(e.to_string()))?,
        ),
        Family::Beta { a, b } => {
            Sampler::Beta(rand_distr::Beta::new(a, b).map_err(|e| invalid(e.to_string()))?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> DistributionError {
        Distribution::parse(s).unwrap_err()
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            Distribution::parse(" 1.5 ").unwrap().family(),
            Family::Constant(1.5)
        );
        assert_eq!(
            Distribution::parse("normal(1.4, 0.3)").unwrap().family(),
            Family::Normal { mean: 1.4, sd: 0.3 }
        );
        assert_eq!(
            Distribution::parse("lognormal(0,1)").unwrap().family(),
            Family::LogNormal {
                mu: 0.0,
                sigma: 1.0
            }
        );
        assert_eq!(
            Distribution::parse("uniform(-1, 2)").unwrap().family(),
            Family::Uniform { lo: -1.0, hi: 2.0 }
        );
        assert_eq!(
            Distribution::parse("triangular(0, 0, 1)").unwrap().family(),
            Family::Triangular {
                min: 0.0,
                mode: 0.0,
                max: 1.0
            }
        );
        assert_eq!(
            Distribution::parse("pert(1, 2, 4)").unwrap().family(),
            Family::Pert {
                min: 1.0,
                mode: 2.0,
                max: 4.0
            }
        );
        assert_eq!(
            Distribution::parse("beta(2, 5)").unwrap().family(),
            Family::Beta { a: 2.0, b: 5.0 }
        );
    }

    #[test]
    fn interval_has_its_ends_as_5th_and_95th_percentiles() {
        let positive = Distribution::parse("2 to 10").unwrap();
        assert!(matches!(positive.family(), Family::LogNormal { .. }));
        assert!((positive.quantile(0.05) - 2.0).abs() < 1e-9);
        assert!((positive.quantile(0.95) - 10.0).abs() < 1e-9);
        assert!((positive.quantile(0.5) - 20f64.sqrt()).abs() < 1e-9);
        let signed = Distribution::parse("-1 to 3").unwrap();
        assert!(matches!(signed.family(), Family::Normal { .. }));
        assert!((signed.quantile(0.05) + 1.0).abs() < 1e-9);
        assert!((signed.quantile(0.95) - 3.0).abs() < 1e-9);
        // A = 0 is not > 0, so the interval is normal.
        assert!(matches!(
            Distribution::parse("0 to 1").unwrap().family(),
            Family::Normal { .. }
        ));
    }

    #[test]
    fn rejects_each_parameter_rule() {
        assert!(err("normal(0, 0)").message.contains("sd must be > 0"));
        assert!(
            err("lognormal(0, -1)")
                .message
                .contains("sigma must be > 0")
        );
        assert!(err("uniform(2, 1)").message.contains("lo < hi"));
        assert!(err("uniform(1, 1)").message.contains("lo < hi"));
        assert!(
            err("triangular(0, 2, 1)")
                .message
                .contains("min <= mode <= max")
        );
        assert!(err("pert(1, 1, 1)").message.contains("min < max"));
        assert!(err("beta(0, 1)").message.contains("a must be > 0"));
        assert!(err("beta(1, -1)").message.contains("b must be > 0"));
        assert!(err("5 to 2").message.contains("A must be less than B"));
        assert!(err("inf").message.contains("finite"));
        assert!(err("normal(nan, 1)").message.contains("finite"));
    }

    #[test]
    fn rejects_malformed_strings_with_a_suggestion() {
        let e = err("norml(1, 2)");
        assert!(e.message.contains("`norml` is not a distribution"));
        assert!(e.help.contains("did you mean `normal`?"), "{e:?}");
        assert!(
            err("normal(1, 2, 3)")
                .message
                .contains("takes 2 parameters, got 3")
        );
        assert!(err("normal(1, x)").message.contains("`x` is not a number"));
        assert!(
            err("normal(1, 2")
                .message
                .contains("no closing parenthesis")
        );
        assert!(err("").message.contains("empty"));
        assert!(err("lots").help.contains("valid forms"));
    }

    #[test]
    fn supports_contain_every_draw() {
        use rand::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for s in [
            "uniform(1, 2)",
            "triangular(0, 1, 3)",
            "pert(-1, 0, 5)",
            "beta(0.5, 0.5)",
            "1 to 2",
        ] {
            let d = Distribution::parse(s).unwrap();
            let (lo, hi) = d.support();
            for _ in 0..10_000 {
                let x = d.sample(&mut rng);
                assert!(lo <= x && x <= hi, "{s}: {x} outside [{lo}, {hi}]");
            }
        }
    }
}
