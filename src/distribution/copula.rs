//! Copulas for `[[correlate]]` (docs/model.md §2): how uncertain parameters move together
//! while each keeps its own distribution exactly (parameter i takes F_i^-1(U_i)).
//!
//! - **Gaussian**: U_i = Phi(y_i), y = L z with z independent standard normals and L L' the
//!   correlation matrix (from Spearman's rho, 2 sin(pi rho / 6), or Kendall's tau, sin(pi tau /
//!   2)). No tail dependence.
//! - **Student t** (tau, df nu): y = L z over sqrt(W / nu), W ~ chi^2_nu, U_i = t_nu(y_i):
//!   extremes come together in both tails.
//! - **Clayton** (exchangeable, tau > 0, theta = 2 tau / (1 - tau)): Marshall and Olkin's
//!   frailty, V ~ Gamma(1 / theta), U_i = (1 + E_i / V)^(-1 / theta) with E_i ~ Exp(1): joint
//!   lows, lower tail dependence 2^(-1 / theta).
//! - **Gumbel** (exchangeable, tau > 0, theta = 1 / (1 - tau)): V positive stable of index
//!   1 / theta (Kanter's representation), U_i = exp(-(E_i / V)^(1 / theta)): joint highs,
//!   upper tail dependence 2 - 2^(1 / theta).
//!
//! Every copula is a function of independent underlying draws ([`Underlying`]), which Latin
//! hypercube sampling stratifies; `flip` then makes chosen parameters take 1 - U_i. Also here:
//! the closed forms that `boomsim describe` and the tests check the draws against (Kendall's
//! tau, tail dependence, the joint tail probabilities), Kendall's tau of a sample in O(n log n),
//! and Higham's nearest correlation matrix for the error that repairs an invalid one.

use crate::distribution::sampling;
use crate::distribution::special::{normal_cdf, normal_quantile, student_t_cdf};

/// The family of a copula and its parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Family {
    /// Gaussian, with the correlation matrix of [`Copula::factor`].
    Gaussian,
    /// Student t with `df` degrees of freedom (>= 1).
    StudentT {
        /// nu.
        df: f64,
    },
    /// Exchangeable Clayton, theta > 0.
    Clayton {
        /// theta = 2 tau / (1 - tau).
        theta: f64,
    },
    /// Exchangeable Gumbel, theta > 1.
    Gumbel {
        /// theta = 1 / (1 - tau).
        theta: f64,
    },
}

impl Family {
    /// Its name in a model file.
    pub fn name(self) -> &'static str {
        match self {
            Family::Gaussian => "gaussian",
            Family::StudentT { .. } => "t",
            Family::Clayton { .. } => "clayton",
            Family::Gumbel { .. } => "gumbel",
        }
    }
}

/// A copula of `dims` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Copula {
    /// The family.
    pub family: Family,
    /// How many parameters it joins.
    pub dims: usize,
    /// The correlation matrix (Gaussian and t; the identity otherwise), row-major.
    pub correlation: Vec<f64>,
    /// Lower-triangular L with L L' = the correlation matrix, row-major (Gaussian and t).
    pub factor: Vec<f64>,
    /// The parameters that take 1 - U (they move against the others).
    pub flip: Vec<bool>,
}

/// The independent draws a copula is made from, each a standard normal, a uniform on (0, 1)
/// or a gamma variate, numbered 0, 1, ... in the order a copula asks for them: plain draws
/// from a path's stream, or the inverses of Latin hypercube strata.
pub trait Underlying {
    /// Underlying draw `k` as a standard normal.
    fn normal(&mut self, k: usize) -> f64;
    /// Underlying draw `k` as a uniform in (0, 1).
    fn uniform(&mut self, k: usize) -> f64;
    /// Underlying draw `k` as a Gamma(shape, 1) variate.
    fn gamma(&mut self, k: usize, shape: f64) -> f64;
}

/// Plain draws from a random stream, in the order they are asked for.
pub struct Plain<'a, R: rand::Rng + ?Sized>(pub &'a mut R);

impl<R: rand::Rng + ?Sized> Underlying for Plain<'_, R> {
    fn normal(&mut self, _: usize) -> f64 {
        sampling::standard_normal(self.0)
    }

    fn uniform(&mut self, _: usize) -> f64 {
        let u: f64 = rand::distr::Distribution::sample(&rand::distr::Open01, self.0);
        u
    }

    fn gamma(&mut self, _: usize, shape: f64) -> f64 {
        sampling::gamma(self.0, shape)
    }
}

/// Draws from given uniforms in (0, 1), one per underlying draw (Latin hypercube strata):
/// normals and gammas by their inverse CDFs.
pub struct FromUniforms<'a>(pub &'a [f64]);

impl Underlying for FromUniforms<'_> {
    fn normal(&mut self, k: usize) -> f64 {
        normal_quantile(self.0[k])
    }

    fn uniform(&mut self, k: usize) -> f64 {
        self.0[k]
    }

    fn gamma(&mut self, k: usize, shape: f64) -> f64 {
        gamma_quantile(shape, self.0[k])
    }
}

/// The p-quantile of Gamma(shape, 1), by bisection of its CDF over the floats.
fn gamma_quantile(shape: f64, p: f64) -> f64 {
    use crate::distribution::special::{gamma_cdf, gamma_sf};
    super::invert::quantile(
        p,
        0.0,
        f64::MAX,
        |x| gamma_cdf(shape, x),
        |x| gamma_sf(shape, x),
    )
}

/// The smallest and largest uniforms a copula hands on: strictly inside (0, 1), so every
/// marginal's quantile function is finite there.
fn inside(u: f64) -> f64 {
    u.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0)
}

impl Copula {
    /// A copula of `family` over `dims` parameters with correlation matrix `correlation`
    /// (Gaussian and t) and its factor, none flipped.
    pub fn new(family: Family, correlation: Vec<f64>, factor: Vec<f64>, dims: usize) -> Self {
        Copula {
            family,
            dims,
            correlation,
            factor,
            flip: vec![false; dims],
        }
    }

    /// How many underlying draws one set of uniforms takes.
    pub fn underlying(&self) -> usize {
        let m = self.dims;
        match self.family {
            Family::Gaussian => m,
            Family::StudentT { .. } | Family::Clayton { .. } => m + 1,
            Family::Gumbel { .. } => m + 2,
        }
    }

    /// The uniforms U_1..U_m of one draw of the copula into `out` (length `dims`), from the
    /// underlying draws `from`, each strictly inside (0, 1), flipped where asked.
    pub fn draw(&self, from: &mut dyn Underlying, out: &mut [f64]) {
        let m = self.dims;
        match self.family {
            Family::Gaussian | Family::StudentT { .. } => {
                let mut z = [0.0f64; 64];
                let z = &mut z[..m];
                for (k, v) in z.iter_mut().enumerate() {
                    *v = from.normal(k);
                }
                let scale = match self.family {
                    Family::StudentT { df } => (from.gamma(m, df / 2.0) * 2.0 / df).sqrt(),
                    _ => 1.0,
                };
                for (i, o) in out.iter_mut().enumerate().take(m) {
                    let y: f64 = (0..=i).map(|k| self.factor[i * m + k] * z[k]).sum();
                    *o = match self.family {
                        Family::StudentT { df } => student_t_cdf(df, y / scale),
                        _ => normal_cdf(y),
                    };
                }
            }
            Family::Clayton { theta } => {
                let v = from.gamma(m, 1.0 / theta);
                for (i, o) in out.iter_mut().enumerate().take(m) {
                    let e = -libm::log(from.uniform(i));
                    *o = libm::pow(1.0 + e / v, -1.0 / theta);
                }
            }
            Family::Gumbel { theta } => {
                let v = positive_stable(1.0 / theta, from.uniform(m), from.uniform(m + 1));
                for (i, o) in out.iter_mut().enumerate().take(m) {
                    let e = -libm::log(from.uniform(i));
                    *o = libm::exp(-libm::pow(e / v, 1.0 / theta));
                }
            }
        }
        for (o, &flip) in out.iter_mut().zip(&self.flip) {
            *o = inside(if flip { 1.0 - *o } else { *o });
        }
    }

    /// Kendall's tau between parameters i and j (before any flip; a flipped one negates it).
    pub fn kendall_tau(&self, i: usize, j: usize) -> f64 {
        let sign = if self.flip[i] != self.flip[j] {
            -1.0
        } else {
            1.0
        };
        sign * match self.family {
            Family::Gaussian | Family::StudentT { .. } => {
                2.0 / std::f64::consts::PI * libm::asin(self.correlation[i * self.dims + j])
            }
            Family::Clayton { theta } => theta / (theta + 2.0),
            Family::Gumbel { theta } => 1.0 - 1.0 / theta,
        }
    }

    /// The lower and upper tail dependence of parameters i and j (unflipped): the limits of
    /// P(U_j < u | U_i < u) and P(U_j > 1 - u | U_i > 1 - u) as u goes to 0.
    pub fn tail_dependence(&self, i: usize, j: usize) -> (f64, f64) {
        match self.family {
            Family::Gaussian => (0.0, 0.0),
            Family::StudentT { df } => {
                let r = self.correlation[i * self.dims + j];
                let x = -(((df + 1.0) * (1.0 - r)) / (1.0 + r)).sqrt();
                let t = 2.0 * student_t_cdf(df + 1.0, x);
                (t, t)
            }
            Family::Clayton { theta } => (libm::pow(2.0, -1.0 / theta), 0.0),
            Family::Gumbel { theta } => (0.0, 2.0 - libm::pow(2.0, 1.0 / theta)),
        }
    }

    /// C(u, v) = P(U_i <= u, U_j <= v) of parameters i and j (unflipped).
    pub fn cdf2(&self, i: usize, j: usize, u: f64, v: f64) -> f64 {
        match self.family {
            Family::Gaussian => bivariate_normal_cdf(
                normal_quantile(u),
                normal_quantile(v),
                self.correlation[i * self.dims + j],
            ),
            Family::StudentT { df } => {
                bivariate_t_cdf(u, v, self.correlation[i * self.dims + j], df)
            }
            Family::Clayton { theta } => libm::pow(
                libm::pow(u, -theta) + libm::pow(v, -theta) - 1.0,
                -1.0 / theta,
            ),
            Family::Gumbel { theta } => {
                let s = libm::pow(-libm::log(u), theta) + libm::pow(-libm::log(v), theta);
                libm::exp(-libm::pow(s, 1.0 / theta))
            }
        }
    }

    /// C(u, u) = P(U_i <= u, U_j <= u) of parameters i and j, flips applied.
    pub fn joint_lower(&self, i: usize, j: usize, u: f64) -> f64 {
        match (self.flip[i], self.flip[j]) {
            (false, false) => self.cdf2(i, j, u, u),
            // 1 - U_i <= u and 1 - U_j <= u: the upper corner of the unflipped pair.
            (true, true) => 2.0 * u - 1.0 + self.cdf2(i, j, 1.0 - u, 1.0 - u),
            // One flipped: P(U_i <= u, U_j >= 1 - u) (or the mirror).
            (false, true) => u - self.cdf2(i, j, u, 1.0 - u),
            (true, false) => u - self.cdf2(i, j, 1.0 - u, u),
        }
    }

    /// P(U_i > 1 - u, U_j > 1 - u) of parameters i and j, flips applied.
    pub fn joint_upper(&self, i: usize, j: usize, u: f64) -> f64 {
        match (self.flip[i], self.flip[j]) {
            (false, false) => 2.0 * u - 1.0 + self.cdf2(i, j, 1.0 - u, 1.0 - u),
            (true, true) => self.cdf2(i, j, u, u),
            (false, true) => u - self.cdf2(i, j, 1.0 - u, u),
            (true, false) => u - self.cdf2(i, j, u, 1.0 - u),
        }
    }
}

/// How two parameters of a copula move together, closed form beside what a sample of draws
/// shows (`boomsim describe`).
#[derive(Debug, Clone, PartialEq)]
pub struct PairDescription {
    /// The two parameters' positions in the table.
    pub pair: (usize, usize),
    /// Kendall's tau: the copula's, and the draws'.
    pub tau: (f64, f64),
    /// P(B in its worst 5% | A in its worst 5%): the copula's, and the draws'.
    pub lower: (f64, f64),
    /// P(B in its best 5% | A in its best 5%): the copula's, and the draws'.
    pub upper: (f64, f64),
    /// The tail dependence (lower, upper): the limits of those as 5% goes to 0.
    pub tail: (f64, f64),
}

/// The level of "worst" and "best" in [`describe`]: 5% of draws.
pub const DESCRIBED_TAIL: f64 = 0.05;

/// Every pair of a copula, from `draws` draws of its uniforms with the stream `rng`.
pub fn describe<R: rand::Rng + ?Sized>(
    copula: &Copula,
    draws: usize,
    rng: &mut R,
) -> Vec<PairDescription> {
    let m = copula.dims;
    let mut columns = vec![Vec::with_capacity(draws); m];
    let mut u = vec![0.0; m];
    for _ in 0..draws {
        copula.draw(&mut Plain(rng), &mut u);
        for (c, v) in columns.iter_mut().zip(&u) {
            c.push(*v);
        }
    }
    let q = DESCRIBED_TAIL;
    let mut out = Vec::new();
    for i in 0..m {
        for j in i + 1..m {
            let (a, b) = (&columns[i], &columns[j]);
            let given = |test: &dyn Fn(f64) -> bool| {
                let (mut both, mut first) = (0usize, 0usize);
                for (x, y) in a.iter().zip(b) {
                    if test(*x) {
                        first += 1;
                        both += usize::from(test(*y));
                    }
                }
                both as f64 / first.max(1) as f64
            };
            let (lower, upper) = (
                copula.joint_lower(i, j, q) / q,
                copula.joint_upper(i, j, q) / q,
            );
            // A pair flipped against each other meets in the opposite corners instead; both
            // flipped, their lower and upper tails trade places.
            let (tl, tu) = copula.tail_dependence(i, j);
            let tail = match (copula.flip[i], copula.flip[j], copula.family) {
                (false, false, _) => (tl, tu),
                (true, true, _) => (tu, tl),
                // A t copula's opposite corners are joined too: its tail dependence at -r.
                (_, _, Family::StudentT { df }) => {
                    let r = -copula.correlation[i * m + j];
                    let x = -(((df + 1.0) * (1.0 - r)) / (1.0 + r)).sqrt();
                    let t = 2.0 * student_t_cdf(df + 1.0, x);
                    (t, t)
                }
                _ => (0.0, 0.0),
            };
            out.push(PairDescription {
                pair: (i, j),
                tau: (copula.kendall_tau(i, j), sample_kendall_tau(a, b)),
                lower: (lower, given(&|x| x < q)),
                upper: (upper, given(&|x| x > 1.0 - q)),
                tail,
            });
        }
    }
    out
}

/// A positive stable variate of index alpha in (0, 1] with Laplace transform exp(-s^alpha),
/// from a uniform `u` (the angle) and a uniform `w` (an exponential) in (0, 1) by Kanter's
/// representation: (sin(alpha Theta) / sin(Theta)^(1 / alpha)) (sin((1 - alpha) Theta) /
/// E)^((1 - alpha) / alpha), Theta = pi u, E = -ln w.
fn positive_stable(alpha: f64, u: f64, w: f64) -> f64 {
    if alpha >= 1.0 {
        return 1.0;
    }
    let theta = std::f64::consts::PI * u;
    let e = -libm::log(w);
    let a = libm::sin(alpha * theta) / libm::pow(libm::sin(theta), 1.0 / alpha);
    let b = libm::pow(libm::sin((1.0 - alpha) * theta) / e, (1.0 - alpha) / alpha);
    a * b
}

/// P(X <= a, Y <= b) of standard normals of correlation r: the integral over x up to a of
/// phi(x) Phi((b - r x) / sqrt(1 - r^2)), by composite Simpson's rule on [a - 12, a].
pub fn bivariate_normal_cdf(a: f64, b: f64, r: f64) -> f64 {
    if r >= 1.0 - 1e-15 {
        return normal_cdf(a.min(b));
    }
    if r <= -1.0 + 1e-15 {
        return (normal_cdf(a) + normal_cdf(b) - 1.0).max(0.0);
    }
    let lo = (a.min(8.0)) - 12.0;
    let hi = a.min(8.0);
    let n = 4_000;
    let h = (hi - lo) / n as f64;
    let s = (1.0 - r * r).sqrt();
    let f = |x: f64| {
        let phi = libm::exp(-x * x / 2.0) / (2.0 * std::f64::consts::PI).sqrt();
        phi * normal_cdf((b - r * x) / s)
    };
    let mut sum = f(lo) + f(hi);
    for k in 1..n {
        let x = lo + k as f64 * h;
        sum += if k % 2 == 1 { 4.0 } else { 2.0 } * f(x);
    }
    let tail = if a > 8.0 {
        normal_cdf(b) - normal_cdf(b.min(8.0))
    } else {
        0.0
    };
    sum * h / 3.0 + tail.max(0.0)
}

/// C(u, v) of a t copula of correlation r and df nu: P(T_1 <= a, T_2 <= b) for the bivariate t
/// with a and b its marginal u- and v-quantiles, as the mean over W ~ chi^2_nu of the bivariate
/// normal CDF at (a, b) sqrt(W / nu) (midpoints of 400 equal-probability slices of W).
pub fn bivariate_t_cdf(u: f64, v: f64, r: f64, df: f64) -> f64 {
    let quantile = |p: f64| {
        super::invert::quantile(
            p,
            -1e300,
            1e300,
            |x| student_t_cdf(df, x),
            |x| crate::distribution::special::student_t_sf(df, x),
        )
    };
    let (a, b) = (quantile(u), quantile(v));
    let slices = 400;
    let mut sum = 0.0;
    for k in 0..slices {
        let p = (k as f64 + 0.5) / slices as f64;
        let w = 2.0 * gamma_quantile(df / 2.0, p);
        let s = (w / df).sqrt();
        sum += bivariate_normal_cdf(a * s, b * s, r);
    }
    sum / slices as f64
}

/// Kendall's tau-b of paired samples in O(n log n) (Knight's algorithm: sort by x, count the
/// discordant pairs as the inversions of y by merge sort), ties counted as neither.
pub fn sample_kendall_tau(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return 0.0;
    }
    let mut pairs: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).take(n).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    // Ties in x, and in both.
    let (mut tied_x, mut tied_xy) = (0u64, 0u64);
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        let run = (j - i) as u64;
        tied_x += run * (run - 1) / 2;
        let mut k = i;
        while k < j {
            let mut l = k + 1;
            while l < j && pairs[l].1 == pairs[k].1 {
                l += 1;
            }
            let r = (l - k) as u64;
            tied_xy += r * (r - 1) / 2;
            k = l;
        }
        i = j;
    }
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let mut buffer = vec![0.0; n];
    let swaps = merge_count(&mut ys, &mut buffer);
    // Ties in y (after sorting).
    let mut tied_y = 0u64;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && ys[j] == ys[i] {
            j += 1;
        }
        let run = (j - i) as u64;
        tied_y += run * (run - 1) / 2;
        i = j;
    }
    let total = (n as u64) * (n as u64 - 1) / 2;
    let concordant_minus_discordant =
        total as f64 - (tied_x + tied_y - tied_xy) as f64 - 2.0 * swaps as f64;
    let denominator = (((total - tied_x) as f64) * ((total - tied_y) as f64)).sqrt();
    if denominator > 0.0 {
        concordant_minus_discordant / denominator
    } else {
        0.0
    }
}

/// Sorts `v` (merge sort) and returns its inversions.
fn merge_count(v: &mut [f64], buffer: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut count = {
        let (left, right) = v.split_at_mut(mid);
        let (bl, br) = buffer.split_at_mut(mid);
        merge_count(left, bl) + merge_count(right, br)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if v[j] < v[i] {
            buffer[k] = v[j];
            count += (mid - i) as u64;
            j += 1;
        } else {
            buffer[k] = v[i];
            i += 1;
        }
        k += 1;
    }
    buffer[k..k + mid - i].copy_from_slice(&v[i..mid]);
    let k = k + mid - i;
    buffer[k..n].copy_from_slice(&v[j..n]);
    v.copy_from_slice(&buffer[..n]);
    count
}

/// The nearest correlation matrix to the symmetric `a` (m x m, row-major) in the Frobenius
/// norm, by Higham's alternating projections with Dykstra's correction (2002): onto the
/// positive semi-definite matrices (negative eigenvalues set to 0) and onto the unit-diagonal
/// ones, until the steps are below 1e-12. Its smallest eigenvalue is nudged to 1e-10 so that a
/// Cholesky factor exists.
pub fn nearest_correlation(a: &[f64], m: usize) -> Vec<f64> {
    use nalgebra::DMatrix;
    let target = DMatrix::from_row_slice(m, m, a);
    let mut y = target.clone();
    let mut correction = DMatrix::<f64>::zeros(m, m);
    let psd = |x: DMatrix<f64>, floor: f64| -> DMatrix<f64> {
        let sym = (&x + x.transpose()) * 0.5;
        let eig = nalgebra::SymmetricEigen::new(sym);
        let values = eig.eigenvalues.map(|v| v.max(floor));
        &eig.eigenvectors * DMatrix::from_diagonal(&values) * eig.eigenvectors.transpose()
    };
    for _ in 0..10_000 {
        let r = &y - &correction;
        let x = psd(r.clone(), 0.0);
        correction = &x - &r;
        let mut next = x;
        for i in 0..m {
            next[(i, i)] = 1.0;
        }
        let step = (&next - &y).norm();
        y = next;
        if step < 1e-12 {
            break;
        }
    }
    // Strictly positive definite, unit diagonal.
    let x = psd(y, 1e-10);
    let d: Vec<f64> = (0..m).map(|i| x[(i, i)].sqrt()).collect();
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            out[i * m + j] = if i == j {
                1.0
            } else {
                x[(i, j)] / (d[i] * d[j])
            };
        }
    }
    out
}

/// Cholesky factor L (row-major, lower-triangular) of a positive semi-definite matrix, with
/// L L' = C. A zero pivot (a perfectly dependent row) gives a zero column; `None` when C is
/// not positive semi-definite.
pub fn cholesky_psd(c: &[f64], n: usize) -> Option<Vec<f64>> {
    const TOL: f64 = 1e-10;
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = c[j * n + j];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        if d < -TOL {
            return None;
        }
        let pivot = if d > TOL { d.sqrt() } else { 0.0 };
        l[j * n + j] = pivot;
        for i in j + 1..n {
            let mut s = c[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if pivot > 0.0 {
                l[i * n + j] = s / pivot;
            } else if s.abs() > 1e-8 {
                return None;
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let c = [1.0, 0.7, 0.3, 0.7, 1.0, 0.5, 0.3, 0.5, 1.0];
        let l = cholesky_psd(&c, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((v - c[i * 3 + j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn cholesky_accepts_singular_and_rejects_indefinite() {
        let singular = [1.0, 1.0, 1.0, 1.0];
        let l = cholesky_psd(&singular, 2).unwrap();
        assert_eq!(l, vec![1.0, 0.0, 1.0, 0.0]);
        let indefinite = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert!(cholesky_psd(&indefinite, 3).is_none());
    }

    #[test]
    fn kendall_tau_of_a_sample_matches_the_pairwise_count() {
        let x: [f64; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 2.0];
        let y: [f64; 6] = [2.0, 1.0, 4.0, 3.0, 6.0, 2.0];
        let mut s = 0.0;
        let (mut tx, mut ty, mut total) = (0.0, 0.0, 0.0);
        for i in 0..6 {
            for j in i + 1..6 {
                let (dx, dy) = (x[i] - x[j], y[i] - y[j]);
                s += (dx * dy).signum() * f64::from(u8::from(dx != 0.0 && dy != 0.0));
                tx += f64::from(u8::from(dx == 0.0));
                ty += f64::from(u8::from(dy == 0.0));
                total += 1.0;
            }
        }
        let want = s / ((total - tx) * (total - ty)).sqrt();
        assert!((sample_kendall_tau(&x, &y) - want).abs() < 1e-12);
    }

    #[test]
    fn the_nearest_correlation_matrix_is_valid_and_close() {
        // Pairwise +0.9, +0.9, -0.9: no joint distribution has these.
        let a = [1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0];
        let c = nearest_correlation(&a, 3);
        assert!(cholesky_psd(&c, 3).is_some());
        for i in 0..3 {
            assert_eq!(c[i * 3 + i], 1.0);
        }
        // Higham's example of a valid input: unchanged.
        let ok = [1.0, 0.5, 0.5, 1.0];
        let c = nearest_correlation(&ok, 2);
        assert!((c[1] - 0.5).abs() < 1e-9, "{c:?}");
    }

    #[test]
    fn the_bivariate_normal_cdf_has_its_known_values() {
        // P(X <= 0, Y <= 0) = 1/4 + asin(r) / (2 pi).
        for r in [-0.7, 0.0, 0.3, 0.9] {
            let want = 0.25 + libm::asin(r) / (2.0 * std::f64::consts::PI);
            assert!(
                (bivariate_normal_cdf(0.0, 0.0, r) - want).abs() < 1e-9,
                "{r}"
            );
        }
    }
}
