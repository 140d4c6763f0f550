//! The adoption curve c(t) of docs/model.md §3, with one path's drawn parameters.
//!
//! The adoption index is `log A(t_j) = log c(t_j) + sigma_A * W_A(t_j)`: this module owns
//! `log c`, for the logistic, Bass and GBM processes; the engine adds the shocks.

use crate::engine::math::{self, Lanes, lanes, splat};
use crate::model::{AdoptionKey, Process, Years};

/// One path's draw of the adoption parameters (unused keys are 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdoptionDraw {
    /// Which curve.
    pub process: Process,
    /// Indexed by [`AdoptionKey`].
    pub values: [f64; 6],
}

impl AdoptionDraw {
    /// The drawn value of one key.
    #[inline]
    pub fn get(&self, key: AdoptionKey) -> f64 {
        self.values[key as usize]
    }

    /// sigma_A.
    #[inline]
    pub fn volatility(&self) -> f64 {
        self.get(AdoptionKey::Volatility)
    }

    /// log c(t_j) for t_j = j * dt, j = 0..out.len(): the log of the median adoption multiple
    /// on the time grid. Whole series at a time, so the exponentials and logarithms vectorise
    /// ([`math`]); log c(0) = 0 exactly (c(0) = 1 for every process).
    #[inline(always)]
    pub fn log_curve_series(&self, dt: Years, out: &mut [f64]) {
        let time = |j: usize| j as f64 * dt;
        match self.process {
            Process::Logistic => {
                // log c = ln K - ln(1 + (K - 1) e^(-r t)).
                let k = self.get(AdoptionKey::Ceiling);
                let r = self.get(AdoptionKey::Rate);
                for (j, v) in out.iter_mut().enumerate() {
                    *v = -r * time(j);
                }
                math::exp_in_place(out);
                for v in out.iter_mut() {
                    *v = 1.0 + (k - 1.0) * *v;
                }
                math::ln_in_place(out);
                let ln_k = math::ln(k);
                for v in out.iter_mut() {
                    *v = ln_k - *v;
                }
            }
            Process::Bass => {
                // F = (1 - e) / (1 + (q / p) e), e = e^(-(p + q) t); log c = ln(1 + (K - 1) F).
                let k = self.get(AdoptionKey::Ceiling);
                let p = self.get(AdoptionKey::P);
                let q = self.get(AdoptionKey::Q);
                for (j, v) in out.iter_mut().enumerate() {
                    *v = -(p + q) * time(j);
                }
                math::exp_in_place(out);
                for v in out.iter_mut() {
                    let f = (1.0 - *v) / (1.0 + (q / p) * *v);
                    *v = 1.0 + (k - 1.0) * f;
                }
                math::ln_in_place(out);
            }
            Process::Gbm => {
                let mu = self.get(AdoptionKey::LogDrift);
                for (j, v) in out.iter_mut().enumerate() {
                    *v = mu * time(j);
                }
            }
        }
        if let Some(start) = out.first_mut() {
            *start = 0.0;
        }
    }
}

/// The adoption curves of [`W`](crate::engine::math::W) paths at once, each lane its own path's draw of one process.
#[derive(Debug, Clone, Copy)]
pub struct AdoptionLanes {
    /// Which curve (the same for every path of a model).
    pub process: Process,
    /// Indexed by [`AdoptionKey`], one value per lane.
    pub values: [Lanes; 6],
    /// ln K (logistic).
    ln_ceiling: Lanes,
}

impl AdoptionLanes {
    /// The curves of these drawn values.
    #[inline(always)]
    pub fn new(process: Process, values: [Lanes; 6]) -> Self {
        let ln_ceiling = match process {
            Process::Logistic => math::ln_lanes(values[AdoptionKey::Ceiling as usize]),
            _ => splat(0.0),
        };
        AdoptionLanes {
            process,
            values,
            ln_ceiling,
        }
    }

    /// sigma_A of every lane.
    #[inline(always)]
    pub fn volatility(&self) -> Lanes {
        self.values[AdoptionKey::Volatility as usize]
    }

    /// log c(t) of every lane, for t > 0 (log c(0) = 0 exactly, by definition: the caller
    /// writes it); the same operations as [`AdoptionDraw::log_curve_series`] per value.
    #[inline(always)]
    pub fn log_curve(&self, t: f64) -> Lanes {
        let v = &self.values;
        match self.process {
            Process::Logistic => {
                let (k, r) = (
                    v[AdoptionKey::Ceiling as usize],
                    v[AdoptionKey::Rate as usize],
                );
                let e = math::exp_lanes(lanes(|i| -r[i] * t));
                let inner = math::ln_lanes(lanes(|i| 1.0 + (k[i] - 1.0) * e[i]));
                lanes(|i| self.ln_ceiling[i] - inner[i])
            }
            Process::Bass => {
                let k = v[AdoptionKey::Ceiling as usize];
                let (p, q) = (v[AdoptionKey::P as usize], v[AdoptionKey::Q as usize]);
                let e = math::exp_lanes(lanes(|i| -(p[i] + q[i]) * t));
                math::ln_lanes(lanes(|i| {
                    let f = (1.0 - e[i]) / (1.0 + (q[i] / p[i]) * e[i]);
                    1.0 + (k[i] - 1.0) * f
                }))
            }
            Process::Gbm => {
                let mu = v[AdoptionKey::LogDrift as usize];
                lanes(|i| mu[i] * t)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::math::W;

    fn draw(process: Process, pairs: &[(AdoptionKey, f64)]) -> AdoptionDraw {
        let mut values = [0.0; 6];
        for (k, v) in pairs {
            values[*k as usize] = *v;
        }
        AdoptionDraw { process, values }
    }

    /// log c(t) at t = j * dt for j = 0..=steps.
    fn series(d: &AdoptionDraw, dt: f64, steps: usize) -> Vec<f64> {
        let mut out = vec![f64::NAN; steps + 1];
        d.log_curve_series(dt, &mut out);
        out
    }

    #[test]
    fn logistic_starts_at_one_and_saturates_at_the_ceiling() {
        let d = draw(
            Process::Logistic,
            &[(AdoptionKey::Ceiling, 5.0), (AdoptionKey::Rate, 0.6)],
        );
        let curve = series(&d, 0.25, 800);
        assert_eq!(curve[0], 0.0);
        for (j, log_c) in curve.iter().enumerate() {
            let t = j as f64 * 0.25;
            let expected = 5.0 / (1.0 + 4.0 * libm::exp(-0.6f64 * t));
            assert!(
                (libm::exp(*log_c) - expected).abs() < 1e-13 * expected,
                "t = {t}"
            );
        }
        assert!((libm::exp(curve[800]) - 5.0).abs() < 1e-9);
    }

    #[test]
    fn bass_follows_its_closed_form() {
        let (k, p, q) = (4.0, 0.03, 0.38);
        let d = draw(
            Process::Bass,
            &[
                (AdoptionKey::Ceiling, k),
                (AdoptionKey::P, p),
                (AdoptionKey::Q, q),
            ],
        );
        let curve = series(&d, 0.5, 1000);
        assert_eq!(curve[0], 0.0);
        for (j, log_c) in curve.iter().enumerate() {
            let t = j as f64 * 0.5;
            let e = libm::exp(-(p + q) * t);
            let f = (1.0 - e) / (1.0 + q / p * e);
            let expected = 1.0 + (k - 1.0) * f;
            assert!(
                (libm::exp(*log_c) - expected).abs() < 1e-13 * expected,
                "t = {t}"
            );
        }
        assert!((libm::exp(curve[1000]) - k).abs() < 1e-9);
    }

    #[test]
    fn lanes_compute_each_paths_own_curve() {
        let lane = |f: fn(f64) -> f64| -> [f64; W] { std::array::from_fn(|i| f(i as f64)) };
        let mut values = [[0.0; W]; 6];
        values[AdoptionKey::Ceiling as usize] = lane(|i| 2.0 + i);
        values[AdoptionKey::Rate as usize] = lane(|i| 0.3 + 0.05 * i);
        values[AdoptionKey::P as usize] = lane(|i| 0.02 + 0.01 * i);
        values[AdoptionKey::Q as usize] = [0.4; W];
        values[AdoptionKey::LogDrift as usize] = lane(|i| 0.1 * i);
        for process in [Process::Logistic, Process::Bass, Process::Gbm] {
            let curves = AdoptionLanes::new(process, values);
            for j in 1..=40 {
                let t = j as f64 * 0.25;
                let got = curves.log_curve(t);
                for (i, g) in got.iter().enumerate() {
                    let one = AdoptionDraw {
                        process,
                        values: std::array::from_fn(|k| values[k][i]),
                    };
                    let want = series(&one, 0.25, j)[j];
                    assert!(
                        (g - want).abs() <= 1e-15 * want.abs().max(1.0),
                        "{process:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn gbm_is_exponential_in_the_median() {
        let d = draw(Process::Gbm, &[(AdoptionKey::LogDrift, 0.15)]);
        let curve = series(&d, 0.1, 100);
        assert!((curve[100] - 1.5).abs() < 1e-15);
        assert_eq!(curve[0], 0.0);
    }
}
