//! Distributions of uncertain model parameters: the strings of docs/model.md §2 and the forms
//! `models/README.md` adds (gamma, Student t, Pareto, Bernoulli, discrete, mixtures,
//! truncation, empirical data).
//!
//! This module owns what a distribution *is*: sampling (`sampling` for the families that need a
//! logarithm or an exponential, rand_distr for the rest, the RNG passed in), the CDF and
//! quantile function (`sampling`'s normal quantile and CDF, `special`'s beta, gamma and t
//! CDFs, statrs's closed forms for the uniform and triangular), the support and the exact
//! moments. `parse` owns the grammar of the strings; `data` reads a column of numbers from a
//! CSV file. A [`Distribution`] is immutable once built, so one value is shared by every
//! thread.

pub mod copula;
mod data;
pub mod describe;
pub mod fit;
mod invert;
pub mod limits;
mod parse;
pub mod sampling;
pub mod special;

pub use data::{DataColumn, read_column};
pub(crate) use parse::split_top;
pub use parse::{DistributionError, FORMS_HELP};

use std::path::Path;
use std::sync::Arc;

use rand::distr::Distribution as _;
use rand::{Rng, RngExt as _};
use statrs::distribution::ContinuousCDF;

/// The standard normal quantile at 0.95: a 90% interval spans `2 * Z95` standard deviations.
pub fn z95() -> f64 {
    special::normal_quantile(0.95)
}

/// The family and parameters of a distribution, after `"A to B"` has been resolved.
#[derive(Debug, Clone, PartialEq)]
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
    /// Gamma with `shape > 0` and `scale > 0` (mean shape * scale).
    Gamma { shape: f64, scale: f64 },
    /// Student's t with `df > 0` degrees of freedom, location and `scale > 0`.
    StudentT { df: f64, loc: f64, scale: f64 },
    /// Pareto on `[scale, inf)` with `scale > 0` and `shape > 0`.
    Pareto { scale: f64, shape: f64 },
    /// 1 with probability `p`, else 0; `0 <= p <= 1`.
    Bernoulli { p: f64 },
    /// Finitely many values (ascending, distinct) with probabilities summing to 1.
    Discrete { values: Vec<f64>, probs: Vec<f64> },
    /// A mixture: component i with probability `weights[i]` (normalised to sum to 1).
    Mix {
        weights: Vec<f64>,
        components: Vec<Distribution>,
    },
    /// A continuous `inner` restricted to `[lo, hi]` (not clamped): draws are inner's quantiles
    /// at uniform levels between `mass_lo = F(lo)` and `mass_hi = F(hi)`.
    Truncated {
        inner: Box<Distribution>,
        lo: f64,
        hi: f64,
        mass_lo: f64,
        mass_hi: f64,
    },
    /// Resamples a data column (ascending), read from `file`; `blank` cells were skipped.
    Empirical {
        file: String,
        column: String,
        data: Arc<[f64]>,
        blank: usize,
    },
}

/// An immutable, validated distribution: what was written, its family and a ready sampler.
#[derive(Debug, Clone)]
pub struct Distribution {
    text: String,
    family: Family,
    sampler: Sampler,
}

impl PartialEq for Distribution {
    fn eq(&self, other: &Self) -> bool {
        self.family == other.family
    }
}

/// How a family is drawn: [`sampling`] for the families whose draws need a logarithm, an
/// exponential or a power (the same bits on every machine), `rand` and `rand_distr` for those
/// drawn by exact arithmetic and square roots.
#[derive(Debug, Clone)]
enum Sampler {
    Constant(f64),
    Normal {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Uniform(rand_distr::Uniform<f64>),
    Triangular(rand_distr::Triangular<f64>),
    /// min + range * beta(a, b).
    Pert {
        min: f64,
        range: f64,
        a: f64,
        b: f64,
    },
    Beta {
        a: f64,
        b: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    StudentT {
        df: f64,
    },
    Pareto {
        scale: f64,
        shape: f64,
    },
    Bernoulli(rand::distr::Bernoulli),
    /// Picks an index: a value of a discrete distribution or a mixture's component.
    Index(rand::distr::weighted::WeightedIndex<f64>),
    /// Inverse-CDF sampling of a truncated distribution.
    Quantile,
    /// A uniformly drawn element of the data.
    Element,
}

impl Distribution {
    /// A constant: every draw returns `value`, which must be finite and within
    /// [`limits::MAX_POSITION`].
    pub fn constant(value: f64) -> Result<Self, DistributionError> {
        if !value.is_finite() {
            return Err(DistributionError::new(
                format!("{value} is not a finite number"),
                "every number must be finite",
            ));
        }
        Self::new(format!("{value}"), Family::Constant(value))
    }

    /// Parses a distribution string; `empirical` files are relative to `base` (the model
    /// file's folder) when given, else to the current folder.
    pub fn parse_in(text: &str, base: Option<&Path>) -> Result<Self, DistributionError> {
        parse::parse(text, base)
    }

    /// Parses a distribution string, with `empirical` files relative to the current folder.
    pub fn parse(text: &str) -> Result<Self, DistributionError> {
        parse::parse(text, None)
    }

    /// Builds a distribution whose parameters have been checked.
    fn new(text: String, family: Family) -> Result<Self, DistributionError> {
        limits::check(&family)?;
        let invalid = |e: String| DistributionError::new(e, FORMS_HELP);
        let sampler = match &family {
            Family::Constant(v) => Sampler::Constant(*v),
            Family::Normal { mean, sd } => Sampler::Normal {
                mean: *mean,
                sd: *sd,
            },
            Family::LogNormal { mu, sigma } => Sampler::LogNormal {
                mu: *mu,
                sigma: *sigma,
            },
            Family::Uniform { lo, hi } => Sampler::Uniform(
                rand_distr::Uniform::new_inclusive(*lo, *hi).map_err(|e| invalid(e.to_string()))?,
            ),
            Family::Triangular { min, mode, max } => Sampler::Triangular(
                rand_distr::Triangular::new(*min, *max, *mode)
                    .map_err(|e| invalid(e.to_string()))?,
            ),
            Family::Pert { min, mode, max } => {
                let (a, b) = pert_shapes(*min, *mode, *max);
                Sampler::Pert {
                    min: *min,
                    range: max - min,
                    a,
                    b,
                }
            }
            Family::Beta { a, b } => Sampler::Beta { a: *a, b: *b },
            Family::Gamma { shape, scale } => Sampler::Gamma {
                shape: *shape,
                scale: *scale,
            },
            // Above limits::NORMAL_DF the t is the normal to six digits.
            Family::StudentT { df, .. } if *df > limits::NORMAL_DF => {
                Sampler::Normal { mean: 0.0, sd: 1.0 }
            }
            Family::StudentT { df, .. } => Sampler::StudentT { df: *df },
            Family::Pareto { scale, shape } => Sampler::Pareto {
                scale: *scale,
                shape: *shape,
            },
            Family::Bernoulli { p } => Sampler::Bernoulli(
                rand::distr::Bernoulli::new(*p).map_err(|e| invalid(e.to_string()))?,
            ),
            Family::Discrete { probs, .. } => Sampler::Index(
                rand::distr::weighted::WeightedIndex::new(probs.iter().copied())
                    .map_err(|e| invalid(e.to_string()))?,
            ),
            Family::Mix { weights, .. } => Sampler::Index(
                rand::distr::weighted::WeightedIndex::new(weights.iter().copied())
                    .map_err(|e| invalid(e.to_string()))?,
            ),
            Family::Truncated { .. } => Sampler::Quantile,
            Family::Empirical { .. } => Sampler::Element,
        };
        Ok(Self {
            text,
            family,
            sampler,
        })
    }

    /// The distribution as the user wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What a user should know about how the distribution was built, e.g. "hist.csv, column
    /// `g`: skipped 2 blank cells"; empty when nothing was skipped.
    pub fn notes(&self) -> Vec<String> {
        match &self.family {
            Family::Empirical {
                file,
                column,
                blank,
                ..
            } => data::blank_note(*blank)
                .map(|n| format!("{file}, column `{column}`: {n}"))
                .into_iter()
                .collect(),
            Family::Mix { components, .. } => components.iter().flat_map(Self::notes).collect(),
            Family::Truncated { inner, .. } => inner.notes(),
            _ => Vec::new(),
        }
    }

    /// The family and parameters (`"A to B"` resolved to normal or lognormal).
    pub fn family(&self) -> &Family {
        &self.family
    }

    /// True when every draw is the same value.
    pub fn is_constant(&self) -> bool {
        matches!(self.family, Family::Constant(_))
    }

    /// True for a distribution with a density (no atoms), where a quantile is a point of a
    /// continuous CDF.
    pub fn is_continuous(&self) -> bool {
        match &self.family {
            Family::Constant(_)
            | Family::Bernoulli { .. }
            | Family::Discrete { .. }
            | Family::Empirical { .. } => false,
            Family::Mix { components, .. } => components.iter().all(Distribution::is_continuous),
            Family::Truncated { inner, .. } => inner.is_continuous(),
            _ => true,
        }
    }

    /// How a draw is a function of one standard normal draw, for the families sampled that way
    /// (normal, lognormal, a Student t of many degrees of freedom): what [`Self::sample`] does
    /// with [`sampling::standard_normal`]'s draw, and what the engine does on many paths at once.
    #[inline]
    pub fn of_standard_normal(&self) -> Option<OfStandardNormal> {
        match (&self.sampler, &self.family) {
            (&Sampler::Normal { mean, sd }, &Family::StudentT { loc, scale, .. }) => {
                Some(OfStandardNormal::ScaledNormal {
                    loc,
                    scale,
                    mean,
                    sd,
                })
            }
            (&Sampler::Normal { mean, sd }, _) => Some(OfStandardNormal::Normal { mean, sd }),
            (&Sampler::LogNormal { mu, sigma }, _) => {
                Some(OfStandardNormal::LogNormal { mu, sigma })
            }
            _ => None,
        }
    }

    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if let Some(form) = self.of_standard_normal() {
            let z = sampling::standard_normal(rng);
            let x = form.affine(z);
            return if form.exponentiated() {
                crate::elementary::exp(x)
            } else {
                x
            };
        }
        match (&self.sampler, &self.family) {
            (Sampler::Constant(v), _) => *v,
            (Sampler::Uniform(d), _) => d.sample(rng),
            (Sampler::Triangular(d), _) => d.sample(rng),
            (Sampler::Pert { min, range, a, b }, _) => sampling::beta(rng, *a, *b) * range + min,
            (Sampler::Beta { a, b }, _) => sampling::beta(rng, *a, *b),
            (Sampler::Gamma { shape, scale }, _) => scale * sampling::gamma(rng, *shape),
            (Sampler::StudentT { df }, Family::StudentT { loc, scale, .. }) => {
                loc + scale * sampling::student_t(rng, *df)
            }
            (Sampler::Pareto { scale, shape }, _) => sampling::pareto(rng, *scale, *shape),
            (Sampler::Bernoulli(d), _) => f64::from(u8::from(d.sample(rng))),
            (Sampler::Index(d), Family::Discrete { values, .. }) => values[d.sample(rng)],
            (Sampler::Index(d), Family::Mix { components, .. }) => {
                components[d.sample(rng)].sample(rng)
            }
            (Sampler::Element, Family::Empirical { data, .. }) => {
                data[rng.random_range(0..data.len())]
            }
            _ => {
                let u: f64 = rng.random();
                self.quantile(u)
            }
        }
    }

    /// P(X <= x).
    pub fn cdf(&self, x: f64) -> f64 {
        use statrs::distribution as sd;
        match &self.family {
            Family::Constant(v) => f64::from(u8::from(x >= *v)),
            Family::Normal { mean, sd } => special::normal_cdf((x - mean) / sd),
            Family::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    special::normal_cdf((libm::log(x) - mu) / sigma)
                }
            }
            Family::Uniform { lo, hi } => sd::Uniform::new(*lo, *hi).expect("valid").cdf(x),
            Family::Triangular { min, mode, max } => sd::Triangular::new(*min, *max, *mode)
                .expect("valid")
                .cdf(x),
            Family::Pert { min, mode, max } => {
                let (a, b) = pert_shapes(*min, *mode, *max);
                let z = ((x - min) / (max - min)).clamp(0.0, 1.0);
                special::beta_cdf(a, b, z)
            }
            Family::Beta { a, b } => special::beta_cdf(*a, *b, x.clamp(0.0, 1.0)),
            // In units of the scale (an infinite quotient is the whole mass).
            Family::Gamma { shape, scale } => special::gamma_cdf(*shape, x.max(0.0) / scale),
            Family::StudentT { df, loc, scale } => student_t(*df).cdf((x - loc) / scale),
            Family::Pareto { scale, shape } => {
                if x < *scale {
                    0.0
                } else {
                    1.0 - libm::pow(scale / x, *shape)
                }
            }
            Family::Bernoulli { p } => {
                if x < 0.0 {
                    0.0
                } else if x < 1.0 {
                    1.0 - p
                } else {
                    1.0
                }
            }
            Family::Discrete { values, probs } => values
                .iter()
                .zip(probs)
                .filter(|(v, _)| **v <= x)
                .map(|(_, p)| p)
                .sum::<f64>()
                .min(1.0),
            Family::Mix {
                weights,
                components,
            } => weights
                .iter()
                .zip(components)
                .map(|(w, c)| w * c.cdf(x))
                .sum::<f64>()
                .min(1.0),
            Family::Truncated {
                inner,
                lo,
                hi,
                mass_lo,
                mass_hi,
            } => {
                if x < *lo {
                    0.0
                } else if x >= *hi {
                    1.0
                } else {
                    ((inner.cdf(x) - mass_lo) / (mass_hi - mass_lo)).clamp(0.0, 1.0)
                }
            }
            Family::Empirical { data, .. } => {
                data.partition_point(|v| *v <= x) as f64 / data.len() as f64
            }
        }
    }

    /// The `p`-quantile, `0 <= p <= 1`: the smallest x with P(X <= x) >= p (statrs's inverse
    /// CDF for the continuous families; exact for the discrete ones; by bisection of the CDF
    /// for mixtures).
    pub fn quantile(&self, p: f64) -> f64 {
        use statrs::distribution as sd;
        match &self.family {
            Family::Constant(v) => *v,
            Family::Normal { mean, sd } => mean + sd * special::normal_quantile(p),
            Family::LogNormal { mu, sigma } => libm::exp(mu + sigma * special::normal_quantile(p)),
            Family::Uniform { lo, hi } => sd::Uniform::new(*lo, *hi).expect("valid").inverse_cdf(p),
            Family::Triangular { min, mode, max } => sd::Triangular::new(*min, *max, *mode)
                .expect("valid")
                .inverse_cdf(p),
            // statrs's inverse CDFs of these are inaccurate in parts of the supported ranges
            // (see `invert`): their CDFs are inverted instead.
            Family::Pert { min, mode, max } => {
                let (a, b) = pert_shapes(*min, *mode, *max);
                let cdf = |x| special::beta_cdf(a, b, x);
                let z = invert::quantile(p, 0.0, 1.0, cdf, |x| special::beta_sf(a, b, x));
                (min + (max - min) * z).clamp(*min, *max)
            }
            Family::Beta { a, b } => {
                let cdf = |x| special::beta_cdf(*a, *b, x);
                invert::quantile(p, 0.0, 1.0, cdf, |x| special::beta_sf(*a, *b, x))
            }
            Family::Gamma { shape, scale } => {
                let cdf = |x| special::gamma_cdf(*shape, x);
                scale * invert::quantile(p, 0.0, f64::MAX, cdf, |x| special::gamma_sf(*shape, x))
            }
            Family::StudentT { df, loc, scale } => {
                // Symmetric: invert the lower tail, where the CDF is accurate in relative terms.
                if p == 0.5 {
                    return *loc;
                }
                let d = student_t(*df);
                let lower = p.min(1.0 - p);
                let z = invert::quantile(lower, -f64::MAX, 0.0, |x| d.cdf(x), |x| d.sf(x));
                if p <= 0.5 {
                    loc + scale * z
                } else {
                    loc - scale * z
                }
            }
            Family::Pareto { scale, shape } => {
                // F(x) = 1 - (scale / x)^shape.
                scale / libm::pow(1.0 - p, 1.0 / shape)
            }
            Family::Bernoulli { p: prob } => f64::from(u8::from(p > 1.0 - prob)),
            Family::Discrete { values, probs } => {
                let mut cumulative = 0.0;
                for (v, q) in values.iter().zip(probs) {
                    cumulative += q;
                    if cumulative >= p - 1e-12 {
                        return *v;
                    }
                }
                values[values.len() - 1]
            }
            Family::Mix { .. } => {
                // One bisection over the mixture's CDF, linear in its number of components
                // (a component's own quantiles are never needed).
                let (lo, hi) = self.support();
                let (lo, hi) = (lo.max(-f64::MAX), hi.min(f64::MAX));
                if p <= 0.0 {
                    return lo;
                }
                invert::smallest(lo, hi, |x| self.cdf(x) >= p)
            }
            Family::Truncated {
                inner,
                lo,
                hi,
                mass_lo,
                mass_hi,
            } => inner
                .quantile(mass_lo + p * (mass_hi - mass_lo))
                .clamp(*lo, *hi),
            Family::Empirical { data, .. } => {
                let n = data.len();
                let k = ((p * n as f64).ceil() as usize).clamp(1, n);
                data[k - 1]
            }
        }
    }

    /// The closed interval that holds every draw (infinite ends where unbounded).
    pub fn support(&self) -> (f64, f64) {
        match &self.family {
            Family::Constant(v) => (*v, *v),
            Family::Normal { .. } | Family::StudentT { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Family::LogNormal { .. } | Family::Gamma { .. } => (0.0, f64::INFINITY),
            Family::Uniform { lo, hi } => (*lo, *hi),
            Family::Triangular { min, max, .. } | Family::Pert { min, max, .. } => (*min, *max),
            Family::Beta { .. } | Family::Bernoulli { .. } => (0.0, 1.0),
            Family::Pareto { scale, .. } => (*scale, f64::INFINITY),
            Family::Discrete { values, .. } => (values[0], values[values.len() - 1]),
            Family::Mix { components, .. } => {
                components
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
                        let (lo, hi) = c.support();
                        (a.min(lo), b.max(hi))
                    })
            }
            Family::Truncated { inner, lo, hi, .. } => {
                let (a, b) = inner.support();
                (a.max(*lo), b.min(*hi))
            }
            Family::Empirical { data, .. } => (data[0], data[data.len() - 1]),
        }
    }

    /// True when no draw equals the support's lower end (a lognormal never draws 0).
    pub fn lower_end_open(&self) -> bool {
        match &self.family {
            Family::LogNormal { .. } | Family::Gamma { .. } => true,
            Family::Mix { components, .. } => {
                let lo = self.support().0;
                components
                    .iter()
                    .filter(|c| c.support().0 == lo)
                    .all(Distribution::lower_end_open)
            }
            Family::Truncated { inner, lo, .. } => {
                inner.lower_end_open() && inner.support().0 >= *lo
            }
            _ => false,
        }
    }

    /// The order from which the moments of the distribution are infinite or undefined (its
    /// tails fall like |x|^-index): Student's t's df, Pareto's shape, a mixture's smallest.
    /// `None` when every moment exists (truncation bounds are finite, so a truncated
    /// distribution has them all).
    pub fn tail_index(&self) -> Option<f64> {
        match &self.family {
            Family::StudentT { df, .. } if *df <= limits::NORMAL_DF => Some(*df),
            Family::Pareto { shape, .. } => Some(*shape),
            Family::Mix { components, .. } => components
                .iter()
                .filter_map(Distribution::tail_index)
                .min_by(f64::total_cmp),
            _ => None,
        }
    }

    /// The exact mean where a closed form exists and the mean does (also for the heavy tails
    /// whose variance is infinite: Student's t with 1 < df <= 2, Pareto with 1 < shape <= 2).
    pub fn mean(&self) -> Option<f64> {
        match &self.family {
            Family::StudentT { df, loc, .. } if *df > 1.0 => Some(*loc),
            Family::Pareto { scale, shape } if *shape > 1.0 => Some(shape * scale / (shape - 1.0)),
            _ => self.moments().map(|m| m.0),
        }
    }

    /// The exact mean and standard deviation, where a closed form exists and they are finite.
    pub fn moments(&self) -> Option<(f64, f64)> {
        let (mean, var) = match &self.family {
            Family::Constant(v) => (*v, 0.0),
            Family::Normal { mean, sd } => (*mean, sd * sd),
            Family::LogNormal { mu, sigma } => {
                let s2 = sigma * sigma;
                (
                    libm::exp(mu + s2 / 2.0),
                    (libm::exp(s2) - 1.0) * libm::exp(2.0 * mu + s2),
                )
            }
            Family::Uniform { lo, hi } => ((lo + hi) / 2.0, (hi - lo).powi(2) / 12.0),
            Family::Triangular {
                min: a,
                mode: c,
                max: b,
            } => (
                (a + b + c) / 3.0,
                (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0,
            ),
            Family::Pert { min, mode, max } => {
                let mean = (min + 4.0 * mode + max) / 6.0;
                (mean, (mean - min) * (max - mean) / 7.0)
            }
            Family::Beta { a, b } => {
                let s = a + b;
                (a / s, a * b / (s * s * (s + 1.0)))
            }
            Family::Gamma { shape, scale } => (shape * scale, shape * scale * scale),
            Family::StudentT { df, loc, scale } => {
                if *df <= 2.0 {
                    return None;
                }
                (*loc, scale * scale * df / (df - 2.0))
            }
            Family::Pareto { scale, shape } => {
                if *shape <= 2.0 {
                    return None;
                }
                (
                    shape * scale / (shape - 1.0),
                    scale * scale * shape / ((shape - 1.0).powi(2) * (shape - 2.0)),
                )
            }
            Family::Bernoulli { p } => (*p, p * (1.0 - p)),
            Family::Discrete { values, probs } => {
                weighted_moments(values.iter().copied().zip(probs.iter().copied()))
            }
            Family::Mix {
                weights,
                components,
            } => {
                let mut mean = 0.0;
                let mut second = 0.0;
                for (w, c) in weights.iter().zip(components) {
                    let (m, s) = c.moments()?;
                    mean += w * m;
                    second += w * (s * s + m * m);
                }
                (mean, second - mean * mean)
            }
            Family::Truncated { .. } => return None,
            Family::Empirical { data, .. } => {
                let w = 1.0 / data.len() as f64;
                weighted_moments(data.iter().map(|&v| (v, w)))
            }
        };
        let sd = var.max(0.0).sqrt();
        (mean.is_finite() && sd.is_finite()).then_some((mean, sd))
    }
}

fn weighted_moments(points: impl Iterator<Item = (f64, f64)> + Clone) -> (f64, f64) {
    let mean: f64 = points.clone().map(|(v, p)| v * p).sum();
    let var: f64 = points.map(|(v, p)| p * (v - mean) * (v - mean)).sum();
    (mean, var)
}

/// Student's t with `df` degrees of freedom, standard location and scale: the normal above
/// [`limits::NORMAL_DF`], where the two agree to six digits.
fn student_t(df: f64) -> StandardT {
    if df > limits::NORMAL_DF {
        StandardT::Normal
    } else {
        StandardT::T(df)
    }
}

/// A standard Student's t of the given degrees of freedom, or the normal it tends to.
enum StandardT {
    T(f64),
    Normal,
}

impl StandardT {
    fn cdf(&self, x: f64) -> f64 {
        match self {
            StandardT::T(df) => special::student_t_cdf(*df, x),
            StandardT::Normal => special::normal_cdf(x),
        }
    }

    fn sf(&self, x: f64) -> f64 {
        match self {
            StandardT::T(df) => special::student_t_sf(*df, x),
            StandardT::Normal => special::normal_cdf(-x),
        }
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

/// A draw as a function of one standard normal draw z ([`Distribution::of_standard_normal`]):
/// [`Self::affine`], then the exponential ([`crate::elementary::exp`]) when
/// [`Self::exponentiated`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OfStandardNormal {
    /// mean + sd z.
    Normal { mean: f64, sd: f64 },
    /// loc + scale (mean + sd z): a Student t whose degrees of freedom make it a normal.
    ScaledNormal {
        loc: f64,
        scale: f64,
        mean: f64,
        sd: f64,
    },
    /// exp(mu + sigma z). The polynomial exp of `elementary` (plain arithmetic, the same bits
    /// everywhere, like libm's): libm's exp made the default model's parameter draws (19
    /// lognormals a path) about 50% slower than rand_distr's; with this one they are within
    /// 10-20%.
    LogNormal { mu: f64, sigma: f64 },
}

impl OfStandardNormal {
    /// The draw before any exponential.
    #[inline(always)]
    pub fn affine(self, z: f64) -> f64 {
        match self {
            OfStandardNormal::Normal { mean, sd } => mean + sd * z,
            OfStandardNormal::ScaledNormal {
                loc,
                scale,
                mean,
                sd,
            } => loc + scale * (mean + sd * z),
            OfStandardNormal::LogNormal { mu, sigma } => mu + sigma * z,
        }
    }

    /// Whether the draw is the exponential of [`Self::affine`].
    #[inline(always)]
    pub fn exponentiated(self) -> bool {
        matches!(self, OfStandardNormal::LogNormal { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn supports_contain_every_draw() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for s in [
            "uniform(1, 2)",
            "triangular(0, 1, 3)",
            "pert(-1, 0, 5)",
            "beta(0.5, 0.5)",
            "1 to 2",
            "gamma(2, 0.5)",
            "pareto(1, 3)",
            "bernoulli(0.3)",
            "discrete(1: 0.2, 5: 0.8)",
            "mix(0.5: uniform(0, 1), 0.5: uniform(3, 4))",
            "normal(0, 1) in [-0.5, 2]",
        ] {
            let d = Distribution::parse(s).unwrap();
            let (lo, hi) = d.support();
            for _ in 0..10_000 {
                let x = d.sample(&mut rng);
                assert!(lo <= x && x <= hi, "{s}: {x} outside [{lo}, {hi}]");
            }
        }
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        for s in [
            "gamma(2, 0.5)",
            "student_t(4, 1, 2)",
            "pareto(2, 3)",
            "mix(0.3: normal(0, 1), 0.7: normal(5, 1))",
            "lognormal(0, 1) in [0.5, 3]",
        ] {
            let d = Distribution::parse(s).unwrap();
            for p in [0.01, 0.1, 0.5, 0.9, 0.99] {
                let q = d.quantile(p);
                assert!(
                    (d.cdf(q) - p).abs() < 1e-7,
                    "{s}: cdf(q({p})) = {}",
                    d.cdf(q)
                );
            }
        }
    }

    #[test]
    fn discrete_quantiles_are_the_smallest_value_reaching_p() {
        let d = Distribution::parse("discrete(1: 0.2, 5: 0.5, 9: 0.3)").unwrap();
        assert_eq!(d.quantile(0.1), 1.0);
        assert_eq!(d.quantile(0.2), 1.0);
        assert_eq!(d.quantile(0.21), 5.0);
        assert_eq!(d.quantile(0.7), 5.0);
        assert_eq!(d.quantile(0.71), 9.0);
        assert_eq!(d.cdf(5.0), 0.7);
        let b = Distribution::parse("bernoulli(0.25)").unwrap();
        assert_eq!((b.quantile(0.75), b.quantile(0.76)), (0.0, 1.0));
    }

    #[test]
    fn moments_have_closed_forms() {
        let m = |s: &str| Distribution::parse(s).unwrap().moments().unwrap();
        assert_eq!(m("gamma(2, 3)"), (6.0, 18f64.sqrt()));
        assert_eq!(m("pert(1, 2, 6)").0, 2.5);
        assert_eq!(m("bernoulli(0.5)"), (0.5, 0.5));
        let (mean, sd) = m("mix(0.5: normal(0, 1), 0.5: normal(2, 1))");
        assert!((mean - 1.0).abs() < 1e-12 && (sd - 2f64.sqrt()).abs() < 1e-12);
        assert!(
            Distribution::parse("student_t(2, 0, 1)")
                .unwrap()
                .moments()
                .is_none()
        );
        assert!(
            Distribution::parse("normal(0, 1) in [0, 1]")
                .unwrap()
                .moments()
                .is_none()
        );
    }
}
