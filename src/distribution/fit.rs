//! `boomsim fit`: from beliefs or from data to a ready-to-paste distribution string.
//!
//! - From two quantiles (`--p05 A --p95 B`, or any two `--q P=V`): the member of a family with
//!   exactly those quantiles (normal and lognormal in closed form, gamma by solving for the
//!   shape, uniform by a line through the two points).
//! - From `--min --mode --max`: the PERT with those points.
//! - From data: every suitable family fitted by maximum likelihood, ranked by AIC, with the
//!   Kolmogorov-Smirnov distance between the data and the fitted CDF.

use statrs::distribution::{Continuous, ContinuousCDF};
use statrs::function::gamma::{digamma, ln_gamma};

use crate::distribution::{Distribution, DistributionError};

/// A family `fit` can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitFamily {
    /// normal(mean, sd)
    Normal,
    /// lognormal(mu, sigma)
    LogNormal,
    /// gamma(shape, scale)
    Gamma,
    /// uniform(lo, hi)
    Uniform,
    /// beta(a, b) (data only)
    Beta,
    /// pareto(scale, shape) (data only)
    Pareto,
}

impl FitFamily {
    /// Every family, in the order they are tried.
    pub const ALL: [FitFamily; 6] = [
        FitFamily::Normal,
        FitFamily::LogNormal,
        FitFamily::Gamma,
        FitFamily::Uniform,
        FitFamily::Beta,
        FitFamily::Pareto,
    ];

    /// The name used in distribution strings.
    pub fn name(self) -> &'static str {
        match self {
            FitFamily::Normal => "normal",
            FitFamily::LogNormal => "lognormal",
            FitFamily::Gamma => "gamma",
            FitFamily::Uniform => "uniform",
            FitFamily::Beta => "beta",
            FitFamily::Pareto => "pareto",
        }
    }

    /// The family named `name`.
    pub fn parse(name: &str) -> Result<FitFamily, DistributionError> {
        FitFamily::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = FitFamily::ALL.iter().map(|f| f.name()).collect();
                DistributionError::new(
                    format!("`{name}` is not a family fit knows"),
                    crate::spelling::suggest(name, "families", &names),
                )
            })
    }
}

/// A number with 10 significant digits: short enough to read, exact enough that the fitted
/// quantiles hold to about 1e-9.
pub fn number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = 10 - 1 - libm::log10(x.abs()).floor() as i32;
    let s = format!("{:.*}", digits.max(0) as usize, x);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

fn z(p: f64) -> f64 {
    super::special::normal_quantile(p)
}

fn invalid(message: String, help: &str) -> DistributionError {
    DistributionError::new(message, help)
}

/// The distribution of `family` whose `p1`- and `p2`-quantiles are `v1` and `v2`.
/// `family` defaults to lognormal when both values are > 0, else normal.
pub fn from_quantiles(
    (p1, v1): (f64, f64),
    (p2, v2): (f64, f64),
    family: Option<FitFamily>,
) -> Result<Distribution, DistributionError> {
    let ((p1, v1), (p2, v2)) = if p1 <= p2 {
        ((p1, v1), (p2, v2))
    } else {
        ((p2, v2), (p1, v1))
    };
    if !(0.0 < p1 && p1 < p2 && p2 < 1.0) {
        return Err(invalid(
            format!(
                "the quantile levels must be two different numbers strictly between 0 and 1, got {p1} and {p2}"
            ),
            "e.g. --q 0.1=2 --q 0.9=8",
        ));
    }
    if v1 >= v2 {
        return Err(invalid(
            format!("the {p2}-quantile ({v2}) must be larger than the {p1}-quantile ({v1})"),
            "a higher level needs a higher value",
        ));
    }
    let family = family.unwrap_or(if v1 > 0.0 {
        FitFamily::LogNormal
    } else {
        FitFamily::Normal
    });
    let positive = |what: &str| {
        if v1 > 0.0 {
            Ok(())
        } else {
            Err(invalid(
                format!("a {what} has only positive values, but the {p1}-quantile is {v1}"),
                "use --family normal, or positive values",
            ))
        }
    };
    let text = match family {
        FitFamily::Normal => {
            let sd = (v2 - v1) / (z(p2) - z(p1));
            format!("normal({}, {})", number(v1 - z(p1) * sd), number(sd))
        }
        FitFamily::LogNormal => {
            positive("lognormal")?;
            let sigma = (libm::log(v2) - libm::log(v1)) / (z(p2) - z(p1));
            format!(
                "lognormal({}, {})",
                number(libm::log(v1) - z(p1) * sigma),
                number(sigma)
            )
        }
        FitFamily::Gamma => {
            positive("gamma")?;
            let quantile = |shape: f64, p: f64| {
                statrs::distribution::Gamma::new(shape, 1.0)
                    .expect("valid")
                    .inverse_cdf(p)
            };
            // The ratio of the quantiles falls as the shape grows; solve it on a log scale.
            // Below a shape of 0.1 statrs's gamma quantiles lose accuracy, so the search
            // starts there.
            let target = v2 / v1;
            let (mut lo, mut hi) = (libm::log(0.1f64), libm::log(1e5f64));
            let ratio = |ln_shape: f64| {
                let k = libm::exp(ln_shape);
                quantile(k, p2) / quantile(k, p1)
            };
            if target >= ratio(lo) || target <= ratio(hi) {
                return Err(invalid(
                    format!("no gamma has quantiles {v1} and {v2} at {p1} and {p2}"),
                    "try lognormal, or quantiles closer together",
                ));
            }
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if ratio(mid) > target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let shape = libm::exp(0.5 * (lo + hi));
            format!(
                "gamma({}, {})",
                number(shape),
                number(v1 / quantile(shape, p1))
            )
        }
        FitFamily::Uniform => {
            let width = (v2 - v1) / (p2 - p1);
            format!(
                "uniform({}, {})",
                number(v1 - p1 * width),
                number(v1 - p1 * width + width)
            )
        }
        FitFamily::Beta | FitFamily::Pareto => {
            return Err(invalid(
                format!(
                    "fitting {} to two quantiles is not supported",
                    family.name()
                ),
                "use --family normal, lognormal, gamma or uniform; or --min --mode --max for pert",
            ));
        }
    };
    Distribution::parse(&text)
}

/// The PERT with these points.
pub fn pert(min: f64, mode: f64, max: f64) -> Result<Distribution, DistributionError> {
    Distribution::parse(&format!(
        "pert({}, {}, {})",
        number(min),
        number(mode),
        number(max)
    ))
}

/// One family fitted to data.
#[derive(Debug, Clone)]
pub struct DataFit {
    /// The family.
    pub family: FitFamily,
    /// The fitted distribution.
    pub distribution: Distribution,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Akaike's information criterion, 2 k - 2 log L (lower is better).
    pub aic: f64,
    /// Kolmogorov-Smirnov distance sup |F_n - F|.
    pub ks: f64,
}

/// Fits every family whose support holds the data, ranked by AIC (best first).
pub fn from_data(data: &[f64]) -> Result<Vec<DataFit>, DistributionError> {
    if data.len() < 2 {
        return Err(invalid(
            format!("fitting needs at least 2 values, got {}", data.len()),
            "add data",
        ));
    }
    let mut sorted = data.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = data.len() as f64;
    let mean = data.iter().sum::<f64>() / n;
    let var = data.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    if var <= 0.0 {
        return Err(invalid(
            "every value is the same: no spread to fit".into(),
            "use the value as a constant",
        ));
    }
    let positive = sorted[0] > 0.0;
    let unit = positive && sorted[sorted.len() - 1] < 1.0;
    let mut fits = Vec::new();
    let mut push = |family: FitFamily, text: String| {
        if let Ok(d) = Distribution::parse(&text)
            && let Some(ll) = log_likelihood(&d, data)
        {
            // Every family here has two parameters.
            let k = 2.0;
            fits.push(DataFit {
                family,
                aic: 2.0 * k - 2.0 * ll,
                ks: ks_distance(&d, &sorted),
                log_likelihood: ll,
                distribution: d,
            });
        }
    };
    push(
        FitFamily::Normal,
        format!("normal({}, {})", number(mean), number(var.sqrt())),
    );
    push(
        FitFamily::Uniform,
        format!(
            "uniform({}, {})",
            number(sorted[0]),
            number(sorted[sorted.len() - 1])
        ),
    );
    if positive {
        let logs: Vec<f64> = data.iter().map(|&x| libm::log(x)).collect();
        let lm = logs.iter().sum::<f64>() / n;
        let lv = logs.iter().map(|x| (x - lm) * (x - lm)).sum::<f64>() / n;
        push(
            FitFamily::LogNormal,
            format!("lognormal({}, {})", number(lm), number(lv.sqrt())),
        );
        // Gamma: the shape solves ln k - digamma(k) = ln(mean) - mean(ln x).
        let s = libm::log(mean) - lm;
        if s > 0.0 {
            let (mut lo, mut hi) = (1e-4f64, 1e6f64);
            for _ in 0..200 {
                let mid = (lo * hi).sqrt();
                if libm::log(mid) - digamma(mid) > s {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let k = (lo * hi).sqrt();
            push(
                FitFamily::Gamma,
                format!("gamma({}, {})", number(k), number(mean / k)),
            );
        }
        // Pareto: scale = min, shape = n / sum ln(x / scale).
        let scale = sorted[0];
        let sum: f64 = data.iter().map(|x| libm::log(x / scale)).sum();
        if sum > 0.0 {
            push(
                FitFamily::Pareto,
                format!("pareto({}, {})", number(scale), number(n / sum)),
            );
        }
    }
    if unit && let Some((a, b)) = beta_mle(data, mean, var) {
        push(
            FitFamily::Beta,
            format!("beta({}, {})", number(a), number(b)),
        );
    }
    if fits.is_empty() {
        return Err(invalid(
            format!(
                "no family could be fitted to these {} values: every fit fell outside the supported parameter ranges",
                data.len()
            ),
            &crate::distribution::limits::limits_help(),
        ));
    }
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    Ok(fits)
}

/// What `boomsim fit` is asked: one of its three modes.
#[derive(Debug, Clone, PartialEq)]
pub enum FitRequest {
    /// Two (level, value) quantiles, in a family or the default one.
    Quantiles {
        /// The two points.
        points: [(f64, f64); 2],
        /// The family; `None`: lognormal when both values are positive, else normal.
        family: Option<FitFamily>,
    },
    /// The PERT through min, mode and max.
    Pert {
        /// Minimum.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Maximum.
        max: f64,
    },
    /// Every suitable family fitted to a data column.
    Data {
        /// The CSV file.
        path: std::path::PathBuf,
        /// Its column.
        column: String,
    },
}

/// What `boomsim fit` found.
#[derive(Debug, Clone)]
pub enum FitAnswer {
    /// The distribution with the two quantiles; `interval` when they were the 5th and 95th
    /// percentiles of the default family (then `"A to B"` is the same distribution).
    Quantiles {
        /// The fitted distribution.
        distribution: Distribution,
        /// The quantiles asked for.
        points: [(f64, f64); 2],
        /// (A, B) of the equal `"A to B"`.
        interval: Option<(f64, f64)>,
    },
    /// The PERT.
    Pert(Distribution),
    /// The families ranked by AIC.
    Data {
        /// Best first.
        fits: Vec<DataFit>,
        /// How many values were fitted.
        values: usize,
        /// "FILE, column `C`: skipped N blank cells", when cells were skipped.
        note: Option<String>,
    },
}

/// Answers a `fit` request.
pub fn answer(request: &FitRequest) -> Result<FitAnswer, DistributionError> {
    Ok(match request {
        FitRequest::Data { path, column } => {
            let data = crate::distribution::read_column(path, column)?;
            FitAnswer::Data {
                fits: from_data(&data.values)?,
                values: data.values.len(),
                note: data
                    .note()
                    .map(|n| format!("{}, column `{column}`: {n}", path.display())),
            }
        }
        FitRequest::Pert { min, mode, max } => FitAnswer::Pert(pert(*min, *mode, *max)?),
        FitRequest::Quantiles { points, family } => {
            let distribution = from_quantiles(points[0], points[1], *family)?;
            let [(a, va), (b, vb)] = *points;
            let interval = (a.min(b) == 0.05 && a.max(b) == 0.95 && family.is_none())
                .then(|| (va.min(vb), va.max(vb)));
            FitAnswer::Quantiles {
                distribution,
                points: *points,
                interval,
            }
        }
    })
}

/// Beta maximum likelihood by Newton's method from the moment estimates.
fn beta_mle(data: &[f64], mean: f64, var: f64) -> Option<(f64, f64)> {
    let n = data.len() as f64;
    let g1 = data.iter().map(|&x| libm::log(x)).sum::<f64>() / n;
    let g2 = data.iter().map(|x| libm::log(1.0 - x)).sum::<f64>() / n;
    let common = mean * (1.0 - mean) / var - 1.0;
    let (mut a, mut b) = if common > 0.0 {
        (mean * common, (1.0 - mean) * common)
    } else {
        (1.0, 1.0)
    };
    let trigamma = |x: f64| {
        let h = 1e-5 * x.max(1e-3);
        (digamma(x + h) - digamma(x - h)) / (2.0 * h)
    };
    for _ in 0..100 {
        let (da, db) = (
            digamma(a + b) - digamma(a) + g1,
            digamma(a + b) - digamma(b) + g2,
        );
        let t = trigamma(a + b);
        let (haa, hbb, hab) = (t - trigamma(a), t - trigamma(b), t);
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-300 {
            break;
        }
        let step_a = (hbb * da - hab * db) / det;
        let step_b = (haa * db - hab * da) / det;
        let (na, nb) = (a - step_a, b - step_b);
        let (na, nb) = (
            if na > 0.0 { na } else { a / 2.0 },
            if nb > 0.0 { nb } else { b / 2.0 },
        );
        let done = (na - a).abs() < 1e-12 * a && (nb - b).abs() < 1e-12 * b;
        a = na;
        b = nb;
        if done {
            break;
        }
    }
    (a.is_finite() && b.is_finite()).then_some((a, b))
}

/// The log-likelihood of `data` under `d` (continuous families); `None` when a point has
/// zero density.
pub fn log_likelihood(d: &Distribution, data: &[f64]) -> Option<f64> {
    use crate::distribution::Family;
    use statrs::distribution as sd;
    let ln_pdf = |x: f64| -> f64 {
        match d.family() {
            Family::Normal { mean, sd: s } => sd::Normal::new(*mean, *s).expect("valid").ln_pdf(x),
            Family::LogNormal { mu, sigma } => {
                sd::LogNormal::new(*mu, *sigma).expect("valid").ln_pdf(x)
            }
            Family::Gamma { shape, scale } => sd::Gamma::new(*shape, 1.0 / scale)
                .expect("valid")
                .ln_pdf(x),
            Family::Uniform { lo, hi } if (*lo..=*hi).contains(&x) => -libm::log(hi - lo),
            Family::Beta { a, b } => {
                (a - 1.0) * libm::log(x) + (b - 1.0) * libm::log(1.0 - x)
                    - (ln_gamma(*a) + ln_gamma(*b) - ln_gamma(a + b))
            }
            Family::Pareto { scale, shape } => {
                sd::Pareto::new(*scale, *shape).expect("valid").ln_pdf(x)
            }
            _ => f64::NEG_INFINITY,
        }
    };
    let ll: f64 = data.iter().map(|&x| ln_pdf(x)).sum();
    ll.is_finite().then_some(ll)
}

/// sup |F_n(x) - F(x)| over the sorted data.
pub fn ks_distance(d: &Distribution, sorted: &[f64]) -> f64 {
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = d.cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_ten_significant_digits() {
        assert_eq!(number(0.30397203415), "0.3039720342");
        assert_eq!(number(1234.5), "1234.5");
        assert_eq!(number(-2.0), "-2");
        assert_eq!(number(1e-12), "0.000000000001");
    }

    #[test]
    fn quantile_fits_hit_their_quantiles() {
        for family in [
            FitFamily::Normal,
            FitFamily::LogNormal,
            FitFamily::Gamma,
            FitFamily::Uniform,
        ] {
            let d = from_quantiles((0.05, 2.0), (0.95, 10.0), Some(family)).unwrap();
            assert!((d.quantile(0.05) - 2.0).abs() < 1e-7, "{}", d.text());
            assert!((d.quantile(0.95) - 10.0).abs() < 1e-7, "{}", d.text());
        }
        assert!(from_quantiles((0.05, -1.0), (0.95, 1.0), Some(FitFamily::LogNormal)).is_err());
        assert!(from_quantiles((0.05, 3.0), (0.95, 1.0), None).is_err());
        assert!(from_quantiles((0.5, 1.0), (0.5, 2.0), None).is_err());
    }
}
