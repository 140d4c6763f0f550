//! The grammar of distribution strings, and the rules of each form's parameters.
//!
//! ```text
//! dist  := base [ "in" "[" lo "," hi "]" ]          truncation to [lo, hi]
//! base  := number                                   a constant
//!        | number "to" number                       a 90% interval
//!        | name "(" args ")"                        a named form
//! args  := number ("," number)*                     normal, lognormal, uniform, ...
//!        | number ":" number ("," ...)*             discrete(value: probability, ...)
//!        | number ":" dist ("," ...)*               mix(weight: distribution, ...)
//!        | "\"file\"" "," "\"column\""              empirical
//! ```

use std::path::Path;
use std::sync::Arc;

use super::{Distribution, Family, z95};

/// Why a distribution string was rejected, and what would be valid.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionError {
    /// What is wrong.
    pub message: String,
    /// What would be valid instead.
    pub help: String,
}

/// An invalid distribution (of `dist`, or what `fit` was given or read) is an invalid input,
/// like an invalid model (one in a model file reaches the user as a
/// [`ModelError`](crate::model::ModelError)).
impl crate::exit::ExitStatus for DistributionError {
    fn exit_code(&self) -> u8 {
        crate::exit::FAILED
    }
}

impl DistributionError {
    pub fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            help: help.into(),
        }
    }
}

impl std::fmt::Display for DistributionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n  help: {}", self.message, self.help)
    }
}

impl std::error::Error for DistributionError {}

/// The named forms and their parameter names, for messages and suggestions.
const FORMS: [(&str, &[&str]); 13] = [
    ("normal", &["mean", "sd"]),
    ("lognormal", &["mu", "sigma"]),
    ("uniform", &["lo", "hi"]),
    ("triangular", &["min", "mode", "max"]),
    ("pert", &["min", "mode", "max"]),
    ("beta", &["a", "b"]),
    ("gamma", &["shape", "scale"]),
    ("student_t", &["df", "loc", "scale"]),
    ("pareto", &["scale", "shape"]),
    ("bernoulli", &["p"]),
    ("discrete", &["v1: p1", "v2: p2", "..."]),
    ("mix", &["w1: D1", "w2: D2", "..."]),
    ("empirical", &["\"file.csv\"", "\"column\""]),
];

/// Every form, for help messages.
pub const FORMS_HELP: &str = "valid forms: \"1.5\", \"A to B\", normal(mean, sd), \
lognormal(mu, sigma), uniform(lo, hi), triangular(min, mode, max), pert(min, mode, max), \
beta(a, b), gamma(shape, scale), student_t(df, loc, scale), pareto(scale, shape), \
bernoulli(p), discrete(v1: p1, v2: p2, ...), mix(w1: D1, w2: D2, ...), \
empirical(\"file.csv\", \"column\"), and any of them followed by `in [lo, hi]`";

/// The longest distribution string accepted, in bytes (a discrete distribution of about a
/// thousand values).
pub const MAX_TEXT: usize = 16 * 1024;

/// The deepest nesting of `mix(...)` components and `in [lo, hi]` truncations accepted.
pub const MAX_DEPTH: usize = 8;

/// Parses `text`; empirical files are relative to `base` when given.
pub fn parse(text: &str, base: Option<&Path>) -> Result<Distribution, DistributionError> {
    if text.len() > MAX_TEXT {
        return Err(DistributionError::new(
            format!(
                "the distribution string is {} bytes long, more than the {MAX_TEXT} accepted",
                text.len()
            ),
            "for many data points use empirical(\"file.csv\", \"column\")",
        ));
    }
    parse_at(text, base, 0)
}

/// Parses `text` found `depth` levels inside mixtures and truncations.
fn parse_at(
    text: &str,
    base: Option<&Path>,
    depth: usize,
) -> Result<Distribution, DistributionError> {
    if depth > MAX_DEPTH {
        return Err(DistributionError::new(
            format!("mixtures and truncations are nested more than {MAX_DEPTH} deep"),
            "a mixture of mixtures is one mixture: list all the components in one mix(...)",
        ));
    }
    let text = text.trim();
    let family = parse_dist(text, base, depth)?;
    Distribution::new(text.to_string(), family)
}

fn parse_dist(s: &str, base: Option<&Path>, depth: usize) -> Result<Family, DistributionError> {
    let s = s.trim();
    if let Some((inner, bounds)) = split_truncation(s) {
        let inner = parse_at(inner, base, depth + 1)?;
        return truncate(inner, bounds);
    }
    parse_base(s, base, depth)
}

/// Splits `D in [lo, hi]` into `D` and `lo, hi` when the `in [...]` is at the top level.
fn split_truncation(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_suffix(']')?;
    let open = matching_open(body)?;
    let before = body[..open].trim_end();
    let inner = before
        .strip_suffix(" in")
        .or_else(|| before.strip_suffix("\tin"))?;
    Some((inner, &body[open + 1..]))
}

/// The index of the `[` that opens the bracket closing at the end of `body`.
fn matching_open(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in body.char_indices().rev() {
        match c {
            ']' | ')' => depth += 1,
            '(' => depth = depth.checked_sub(1)?,
            '[' if depth == 0 => return Some(i),
            '[' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn truncate(inner: Distribution, bounds: &str) -> Result<Family, DistributionError> {
    let parts = split_top(bounds, ',');
    let help = "write `D in [lo, hi]` with lo < hi, e.g. \"normal(0.2, 0.1) in [0, 1]\"";
    if parts.len() != 2 {
        return Err(DistributionError::new(
            format!("`in [{bounds}]` needs two bounds"),
            help,
        ));
    }
    let lo = number(parts[0], "the truncation's lower bound")?;
    let hi = number(parts[1], "the truncation's upper bound")?;
    if lo >= hi {
        return Err(DistributionError::new(
            format!("`in [{lo}, {hi}]` is empty: lo must be less than hi"),
            help,
        ));
    }
    // Bounds outside the supported range are refused before any CDF is evaluated at them.
    super::limits::range(lo, hi, "the truncation")?;
    let empty = || {
        DistributionError::new(
            format!("`{}` has no probability in [{lo}, {hi}]", inner.text()),
            "choose an interval where the distribution has mass (`boomsim dist` shows its range)",
        )
    };
    Ok(match inner.family() {
        Family::Constant(v) => {
            if (lo..=hi).contains(v) {
                Family::Constant(*v)
            } else {
                return Err(empty());
            }
        }
        Family::Bernoulli { p } => {
            restrict_discrete(&[0.0, 1.0], &[1.0 - p, *p], lo, hi).ok_or_else(empty)?
        }
        Family::Discrete { values, probs } => {
            restrict_discrete(values, probs, lo, hi).ok_or_else(empty)?
        }
        Family::Empirical {
            file,
            column,
            data,
            blank,
        } => {
            let kept: Vec<f64> = data
                .iter()
                .copied()
                .filter(|v| (lo..=hi).contains(v))
                .collect();
            if kept.is_empty() {
                return Err(empty());
            }
            Family::Empirical {
                file: file.clone(),
                column: column.clone(),
                data: kept.into(),
                blank: *blank,
            }
        }
        _ => {
            let (mass_lo, mass_hi) = (inner.cdf(lo), inner.cdf(hi));
            if mass_hi - mass_lo <= 1e-12 {
                return Err(empty());
            }
            Family::Truncated {
                inner: Box::new(inner),
                lo,
                hi,
                mass_lo,
                mass_hi,
            }
        }
    })
}

fn restrict_discrete(values: &[f64], probs: &[f64], lo: f64, hi: f64) -> Option<Family> {
    let kept: Vec<(f64, f64)> = values
        .iter()
        .zip(probs)
        .filter(|(v, p)| (lo..=hi).contains(*v) && **p > 0.0)
        .map(|(v, p)| (*v, *p))
        .collect();
    let total: f64 = kept.iter().map(|(_, p)| p).sum();
    (total > 0.0).then(|| Family::Discrete {
        values: kept.iter().map(|(v, _)| *v).collect(),
        probs: kept.iter().map(|(_, p)| p / total).collect(),
    })
}

/// Splits on `sep` outside parentheses, brackets and double quotes.
pub(crate) fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' | '[' if !quoted => depth += 1,
            ')' | ']' if !quoted => depth -= 1,
            c if c == sep && depth == 0 && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn number(s: &str, what: &str) -> Result<f64, DistributionError> {
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

fn parse_base(text: &str, base: Option<&Path>, depth: usize) -> Result<Family, DistributionError> {
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
    if !text.contains('(')
        && let Some((a, b)) = text.split_once(" to ")
    {
        return interval(a, b);
    }
    let Some(open) = text.find('(') else {
        return Err(unknown_form(text));
    };
    let name = text[..open].trim();
    let Some(inner) = text[open + 1..].trim_end().strip_suffix(')') else {
        return Err(DistributionError::new(
            format!("`{text}` has no closing parenthesis"),
            format!("write it as {name}(...)"),
        ));
    };
    let Some((_, params)) = FORMS.iter().find(|(n, _)| *n == name) else {
        return Err(unknown_form(name));
    };
    let signature = format!("{name}({})", params.join(", "));
    let args: Vec<&str> = if inner.trim().is_empty() {
        Vec::new()
    } else {
        split_top(inner, ',')
    };
    match name {
        "discrete" => return discrete(&args, &signature),
        "mix" => return mixture(&args, &signature, base, depth),
        "empirical" => return empirical(&args, &signature, base),
        _ => {}
    }
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
        v[i] = number(arg, &format!("{name}'s {pname}"))?;
    }
    let positive = |x: f64, pname: &str| {
        if x > 0.0 {
            Ok(())
        } else {
            Err(DistributionError::new(
                format!(
                    "{name}'s {pname} must be > 0, got {}",
                    crate::number::shown(x)
                ),
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
        "beta" => {
            positive(v[0], "a")?;
            positive(v[1], "b")?;
            Family::Beta { a: v[0], b: v[1] }
        }
        "gamma" => {
            positive(v[0], "shape")?;
            positive(v[1], "scale")?;
            Family::Gamma {
                shape: v[0],
                scale: v[1],
            }
        }
        "student_t" => {
            positive(v[0], "df")?;
            positive(v[2], "scale")?;
            Family::StudentT {
                df: v[0],
                loc: v[1],
                scale: v[2],
            }
        }
        "pareto" => {
            positive(v[0], "scale")?;
            positive(v[1], "shape")?;
            Family::Pareto {
                scale: v[0],
                shape: v[1],
            }
        }
        _ => {
            if !(0.0..=1.0).contains(&v[0]) {
                return Err(DistributionError::new(
                    format!(
                        "bernoulli's p must lie in [0, 1], got {}",
                        crate::number::shown(v[0])
                    ),
                    "bernoulli(p) with 0 <= p <= 1",
                ));
            }
            Family::Bernoulli { p: v[0] }
        }
    })
}

fn interval(a: &str, b: &str) -> Result<Family, DistributionError> {
    let lo = number(a, "the lower end")?;
    let hi = number(b, "the upper end")?;
    if lo >= hi {
        return Err(DistributionError::new(
            format!(
                "in \"A to B\", A must be less than B (got {} to {})",
                crate::number::shown(lo),
                crate::number::shown(hi)
            ),
            format!("write \"{hi} to {lo}\" or another interval with A < B"),
        ));
    }
    for end in [lo, hi] {
        super::limits::position(end, "the interval's end")?;
    }
    if hi - lo < super::limits::MIN_SCALE {
        return Err(DistributionError::new(
            format!(
                "the interval \"{} to {}\" is narrower than 1e-12",
                super::limits::show(lo),
                super::limits::show(hi)
            ),
            format!("use the constant {} instead", super::limits::show(lo)),
        ));
    }
    let z = z95();
    let family = if lo > 0.0 {
        let (l, h) = (libm::log(lo), libm::log(hi));
        Family::LogNormal {
            mu: (l + h) / 2.0,
            sigma: (h - l) / (2.0 * z),
        }
    } else {
        Family::Normal {
            mean: (lo + hi) / 2.0,
            sd: (hi - lo) / (2.0 * z),
        }
    };
    super::limits::check(&family).map_err(|e| {
        let show = super::limits::show;
        let (name, a, b) = match family {
            Family::LogNormal { mu, sigma } => ("lognormal", mu, sigma),
            Family::Normal { mean, sd } => ("normal", mean, sd),
            _ => unreachable!("an interval is normal or lognormal"),
        };
        DistributionError::new(
            format!(
                "\"{} to {}\" is {name}({}, {}): {}",
                show(lo),
                show(hi),
                show(a),
                show(b),
                e.message
            ),
            format!("narrow the interval; {}", e.help),
        )
    })?;
    Ok(family)
}

/// `a: b` pairs of a discrete distribution or a mixture.
fn pairs<'s>(
    args: &[&'s str],
    signature: &str,
) -> Result<Vec<(&'s str, &'s str)>, DistributionError> {
    if args.is_empty() {
        return Err(DistributionError::new(
            "no entries".to_string(),
            format!("write {signature}"),
        ));
    }
    args.iter()
        .map(|a| {
            let parts = split_top(a, ':');
            if parts.len() == 2 {
                Ok((parts[0], parts[1]))
            } else {
                Err(DistributionError::new(
                    format!("`{}` is not of the form `a: b`", a.trim()),
                    format!("write {signature}"),
                ))
            }
        })
        .collect()
}

fn discrete(args: &[&str], signature: &str) -> Result<Family, DistributionError> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (v, p) in pairs(args, signature)? {
        let v = number(v, "discrete's value")?;
        let p = number(p, "discrete's probability")?;
        if p <= 0.0 {
            return Err(DistributionError::new(
                format!(
                    "discrete's probabilities must be > 0, got {} for {}",
                    crate::number::shown(p),
                    crate::number::shown(v)
                ),
                "drop values that cannot occur",
            ));
        }
        if points.iter().any(|(w, _)| *w == v) {
            return Err(DistributionError::new(
                format!("discrete lists the value {v} twice"),
                "list each value once with its total probability",
            ));
        }
        points.push((v, p));
    }
    let total: f64 = points.iter().map(|(_, p)| p).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(DistributionError::new(
            format!("discrete's probabilities sum to {total}, not 1"),
            "make the probabilities sum to 1",
        ));
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Family::Discrete {
        values: points.iter().map(|(v, _)| *v).collect(),
        probs: points.iter().map(|(_, p)| *p).collect(),
    })
}

fn mixture(
    args: &[&str],
    signature: &str,
    base: Option<&Path>,
    depth: usize,
) -> Result<Family, DistributionError> {
    let mut weights = Vec::new();
    let mut components = Vec::new();
    for (w, d) in pairs(args, signature)? {
        let w = number(w, "mix's weight")?;
        super::limits::position(w, "mix's weight")?;
        if w <= 0.0 {
            return Err(DistributionError::new(
                format!("mix's weights must be > 0, got {}", crate::number::shown(w)),
                "drop components that cannot occur",
            ));
        }
        weights.push(w);
        components.push(parse_at(d, base, depth + 1)?);
    }
    let total: f64 = weights.iter().sum();
    Ok(Family::Mix {
        weights: weights.iter().map(|w| w / total).collect(),
        components,
    })
}

fn quoted(s: &str, what: &str) -> Result<String, DistributionError> {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .map(str::to_string)
        .ok_or_else(|| {
            DistributionError::new(
                format!("{what} `{s}` must be in double quotes"),
                "write empirical(\"data.csv\", \"column\"); in TOML, wrap the whole string in single quotes: 'empirical(\"data.csv\", \"growth\")'",
            )
        })
}

fn empirical(
    args: &[&str],
    signature: &str,
    base: Option<&Path>,
) -> Result<Family, DistributionError> {
    if args.len() != 2 {
        return Err(DistributionError::new(
            format!(
                "empirical takes a file and a column, got {} arguments",
                args.len()
            ),
            format!("write {signature}"),
        ));
    }
    let file = quoted(args[0], "the file")?;
    let column = quoted(args[1], "the column")?;
    let path = match base {
        Some(dir) => dir.join(&file),
        None => Path::new(&file).to_path_buf(),
    };
    let read = super::read_column(&path, &column)?;
    let mut data = read.values;
    data.sort_by(f64::total_cmp);
    Ok(Family::Empirical {
        file,
        column,
        data: Arc::from(data),
        blank: read.blank,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn family(s: &str) -> Family {
        Distribution::parse(s).unwrap().family().clone()
    }

    fn err(s: &str) -> DistributionError {
        Distribution::parse(s).unwrap_err()
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(family(" 1.5 "), Family::Constant(1.5));
        assert_eq!(
            family("normal(1.4, 0.3)"),
            Family::Normal { mean: 1.4, sd: 0.3 }
        );
        assert_eq!(
            family("lognormal(0,1)"),
            Family::LogNormal {
                mu: 0.0,
                sigma: 1.0
            }
        );
        assert_eq!(
            family("uniform(-1, 2)"),
            Family::Uniform { lo: -1.0, hi: 2.0 }
        );
        assert_eq!(
            family("triangular(0, 0, 1)"),
            Family::Triangular {
                min: 0.0,
                mode: 0.0,
                max: 1.0
            }
        );
        assert_eq!(
            family("pert(1, 2, 4)"),
            Family::Pert {
                min: 1.0,
                mode: 2.0,
                max: 4.0
            }
        );
        assert_eq!(family("beta(2, 5)"), Family::Beta { a: 2.0, b: 5.0 });
        assert_eq!(
            family("gamma(2, 0.5)"),
            Family::Gamma {
                shape: 2.0,
                scale: 0.5
            }
        );
        assert_eq!(
            family("student_t(3, 1, 2)"),
            Family::StudentT {
                df: 3.0,
                loc: 1.0,
                scale: 2.0
            }
        );
        assert_eq!(
            family("pareto(1, 2.5)"),
            Family::Pareto {
                scale: 1.0,
                shape: 2.5
            }
        );
        assert_eq!(family("bernoulli(0.3)"), Family::Bernoulli { p: 0.3 });
        assert_eq!(
            family("discrete(5: 0.7, 1: 0.3)"),
            Family::Discrete {
                values: vec![1.0, 5.0],
                probs: vec![0.3, 0.7]
            }
        );
        let Family::Mix {
            weights,
            components,
        } = family("mix(1: normal(0, 1), 3: uniform(0, 1) in [0.2, 0.5])")
        else {
            panic!("not a mixture")
        };
        assert_eq!(weights, vec![0.25, 0.75]);
        assert!(matches!(components[1].family(), Family::Truncated { .. }));
    }

    #[test]
    fn interval_has_its_ends_as_5th_and_95th_percentiles() {
        let positive = Distribution::parse("2 to 10").unwrap();
        assert!(matches!(positive.family(), Family::LogNormal { .. }));
        assert!((positive.quantile(0.05) - 2.0).abs() < 1e-9);
        assert!((positive.quantile(0.95) - 10.0).abs() < 1e-9);
        let signed = Distribution::parse("-1 to 3").unwrap();
        assert!(matches!(signed.family(), Family::Normal { .. }));
        assert!((signed.quantile(0.05) + 1.0).abs() < 1e-9);
        assert!(matches!(family("0 to 1"), Family::Normal { .. }));
        let truncated = Distribution::parse("0 to 1 in [0, 1]").unwrap();
        assert_eq!(truncated.support(), (0.0, 1.0));
    }

    #[test]
    fn truncation_restricts_without_clamping() {
        let d = Distribution::parse("normal(0, 1) in [0, 1]").unwrap();
        assert_eq!(d.support(), (0.0, 1.0));
        // The median of a standard normal restricted to [0, 1] is where Phi = (0.5 + Phi(1)) / 2
        // = 0.670672373034271...: z = 0.44177054668658110 (mpmath, 40 digits; statrs's inverse
        // CDF is 1.9e-11 off here).
        let want = 0.441_770_546_686_581_1;
        assert!(
            (d.quantile(0.5) - want).abs() < 1e-14,
            "{} vs {want}",
            d.quantile(0.5)
        );
        assert_eq!(
            family("discrete(1: 0.5, 2: 0.25, 3: 0.25) in [2, 3]"),
            Family::Discrete {
                values: vec![2.0, 3.0],
                probs: vec![0.5, 0.5]
            }
        );
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
        assert!(
            err("triangular(0, 2, 1)")
                .message
                .contains("min <= mode <= max")
        );
        assert!(err("pert(1, 1, 1)").message.contains("min < max"));
        assert!(err("beta(0, 1)").message.contains("a must be > 0"));
        assert!(err("gamma(1, 0)").message.contains("scale must be > 0"));
        assert!(err("student_t(0, 0, 1)").message.contains("df must be > 0"));
        assert!(err("pareto(-1, 2)").message.contains("scale must be > 0"));
        assert!(err("bernoulli(1.5)").message.contains("[0, 1]"));
        assert!(
            err("discrete(1: 0.5, 2: 0.4)")
                .message
                .contains("sum to 0.9")
        );
        assert!(err("discrete(1: 0.5, 1: 0.5)").message.contains("twice"));
        assert!(
            err("mix(0: normal(0, 1))")
                .message
                .contains("weights must be > 0")
        );
        assert!(
            err("mix(1: norml(0, 1))")
                .message
                .contains("`norml` is not")
        );
        assert!(err("5 to 2").message.contains("A must be less than B"));
        assert!(
            err("normal(0, 1) in [1, 0]")
                .message
                .contains("lo must be less than hi")
        );
        assert!(
            err("uniform(0, 1) in [2, 3]")
                .message
                .contains("no probability")
        );
        assert!(err("inf").message.contains("finite"));
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
        assert!(err("discrete(1 0.5)").message.contains("not of the form"));
        assert!(
            err("empirical(data.csv, x)")
                .message
                .contains("double quotes")
        );
        assert!(err("").message.contains("empty"));
    }
}
