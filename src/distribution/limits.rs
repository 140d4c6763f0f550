//! The numeric range inside which each distribution family is supported.
//!
//! Inside these ranges the sampler, the CDF and the quantile function are finite, accurate and
//! fast (`tests/distribution_limits.rs` checks each family at the corners of its range against
//! closed forms, and times them); outside them a distribution string is refused with the range.
//! They are deliberately wide: a model parameter is a rate, a multiple or a weight, and the
//! ranges leave many orders of magnitude around any sensible value.
//!
//! Why each limit exists:
//! - positions (means, bounds, modes, locations, constants, data values) within +-1e12, so that
//!   differences of two of them (`hi - lo`, `max - min`) and the triangular and PERT formulas
//!   cannot overflow;
//! - scales and widths within [1e-12, 1e12]: a zero scale (`"0 to 5e-324"` rounds to one) is a
//!   constant written the long way, and statrs refuses it;
//! - shapes (beta, gamma, PERT's implied ones) within [1e-3, 1e6]: below, nearly all the mass
//!   sits at one end and underflows; above, the samplers and CDFs slow down;
//! - Pareto's shape at least 0.1, so that its largest draw (`scale * 2^(53 / shape)`) stays
//!   finite; Student's t df at least 0.1, likewise; above 1e6 degrees of freedom the t is the
//!   normal to six digits and is computed as one;
//! - lognormal mu within +-28 (a median between 1e-12 and 1e12) and sigma within [1e-12, 10].

use super::{DistributionError, Family};

/// Largest magnitude of a position (mean, bound, mode, location, constant, data value).
pub const MAX_POSITION: f64 = 1e12;
/// Smallest scale, standard deviation or width of a range.
pub const MIN_SCALE: f64 = 1e-12;
/// Largest scale or standard deviation.
pub const MAX_SCALE: f64 = 1e12;
/// Smallest and largest shape parameter (beta's a and b, gamma's shape, pareto's shape).
pub const MIN_SHAPE: f64 = 1e-3;
/// Largest shape parameter.
pub const MAX_SHAPE: f64 = 1e6;
/// Smallest Pareto shape.
pub const MIN_PARETO_SHAPE: f64 = 0.1;
/// Smallest degrees of freedom of Student's t.
pub const MIN_DF: f64 = 0.1;
/// Degrees of freedom above which Student's t is computed as the normal.
pub const NORMAL_DF: f64 = 1e6;
/// Largest |mu| of a lognormal.
pub const MAX_LOG_MU: f64 = 28.0;
/// Largest sigma of a lognormal.
pub const MAX_LOG_SIGMA: f64 = 10.0;

/// The supported ranges, for error messages: written from the constants above.
pub fn limits_help() -> String {
    format!(
        "supported ranges: positions (means, bounds, modes, locations, constants) within \
         +-{}; sd, scale and hi - lo within [{}, {}]; beta and gamma shapes within [{}, {}]; \
         pareto shape within [{}, {}]; student_t df >= {}; lognormal mu within +-{} and sigma \
         within [{}, {}]",
        show(MAX_POSITION),
        show(MIN_SCALE),
        show(MAX_SCALE),
        show(MIN_SHAPE),
        show(MAX_SHAPE),
        show(MIN_PARETO_SHAPE),
        show(MAX_SHAPE),
        show(MIN_DF),
        show(MAX_LOG_MU),
        show(MIN_SCALE),
        show(MAX_LOG_SIGMA),
    )
}

/// A number as a person writes it: `1e308` and `5e-324`, not 309 digits.
pub fn show(x: f64) -> String {
    if x != 0.0 && !(1e-4..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn refuse(message: String) -> DistributionError {
    DistributionError::new(message, limits_help())
}

/// A position: a mean, bound, mode, location, constant or data value.
pub fn position(x: f64, what: &str) -> Result<(), DistributionError> {
    if x.abs() <= MAX_POSITION {
        Ok(())
    } else {
        Err(refuse(format!(
            "{what} {} is outside the supported range [{}, {}]",
            show(x),
            show(-MAX_POSITION),
            show(MAX_POSITION)
        )))
    }
}

fn within(x: f64, lo: f64, hi: f64, what: &str) -> Result<(), DistributionError> {
    if (lo..=hi).contains(&x) {
        Ok(())
    } else {
        Err(refuse(format!(
            "{what} {} is outside the supported range [{}, {}]",
            show(x),
            show(lo),
            show(hi)
        )))
    }
}

fn scale(x: f64, what: &str) -> Result<(), DistributionError> {
    within(x, MIN_SCALE, MAX_SCALE, what)
}

fn shape(x: f64, what: &str) -> Result<(), DistributionError> {
    within(x, MIN_SHAPE, MAX_SHAPE, what)
}

/// An interval [lo, hi]: both ends positions, and at least MIN_SCALE wide.
pub fn range(lo: f64, hi: f64, what: &str) -> Result<(), DistributionError> {
    position(lo, what)?;
    position(hi, what)?;
    if hi - lo < MIN_SCALE {
        return Err(refuse(format!(
            "{what} [{}, {}] is narrower than {}: use the constant {} instead",
            show(lo),
            show(hi),
            show(MIN_SCALE),
            show(lo)
        )));
    }
    Ok(())
}

/// Checks that a family's parameters lie in the supported ranges. Truncation, mixtures and
/// empirical data are checked where they are built (their parts are families already checked).
pub fn check(family: &Family) -> Result<(), DistributionError> {
    match family {
        Family::Constant(v) => position(*v, "the constant"),
        Family::Normal { mean, sd } => {
            position(*mean, "normal's mean")?;
            scale(*sd, "normal's sd")
        }
        Family::LogNormal { mu, sigma } => {
            within(*mu, -MAX_LOG_MU, MAX_LOG_MU, "lognormal's mu")?;
            within(*sigma, MIN_SCALE, MAX_LOG_SIGMA, "lognormal's sigma")
        }
        Family::Uniform { lo, hi } => range(*lo, *hi, "uniform's range"),
        Family::Triangular { min, mode, max } => {
            position(*mode, "triangular's mode")?;
            range(*min, *max, "triangular's range")
        }
        Family::Pert { min, mode, max } => {
            position(*mode, "pert's mode")?;
            range(*min, *max, "pert's range")
        }
        Family::Beta { a, b } => {
            shape(*a, "beta's a")?;
            shape(*b, "beta's b")
        }
        Family::Gamma { shape: k, scale: s } => {
            shape(*k, "gamma's shape")?;
            scale(*s, "gamma's scale")
        }
        Family::StudentT { df, loc, scale: s } => {
            if *df < MIN_DF {
                return Err(refuse(format!(
                    "student_t's df {} is below the supported minimum {}",
                    show(*df),
                    show(MIN_DF)
                )));
            }
            position(*loc, "student_t's loc")?;
            scale(*s, "student_t's scale")
        }
        Family::Pareto { scale: s, shape: k } => {
            within(*k, MIN_PARETO_SHAPE, MAX_SHAPE, "pareto's shape")?;
            scale(*s, "pareto's scale")
        }
        Family::Discrete { values, .. } => values
            .iter()
            .try_for_each(|v| position(*v, "discrete's value")),
        Family::Bernoulli { .. } | Family::Mix { .. } | Family::Empirical { .. } => Ok(()),
        Family::Truncated { lo, hi, .. } => range(*lo, *hi, "the truncation"),
    }
}
