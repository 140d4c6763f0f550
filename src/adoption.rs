//! The adoption curve c(t) of MODEL.md §3, with one path's drawn parameters.
//!
//! The adoption index is `log A(t_j) = log c(t_j) + sigma_A * W_A(t_j)`: this module owns
//! `log c`, for the logistic, Bass and GBM processes; the engine adds the shocks.

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

    /// log c(t), the log of the median adoption multiple at time t.
    #[inline]
    pub fn log_curve(&self, t: Years) -> f64 {
        match self.process {
            Process::Logistic => {
                let k = self.get(AdoptionKey::Ceiling);
                let r = self.get(AdoptionKey::Rate);
                k.ln() - ((k - 1.0) * (-r * t).exp()).ln_1p()
            }
            Process::Bass => {
                let k = self.get(AdoptionKey::Ceiling);
                let p = self.get(AdoptionKey::P);
                let q = self.get(AdoptionKey::Q);
                let decay = (-(p + q) * t).exp();
                let f = (1.0 - decay) / (1.0 + (q / p) * decay);
                ((k - 1.0) * f).ln_1p()
            }
            Process::Gbm => self.get(AdoptionKey::LogDrift) * t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(process: Process, pairs: &[(AdoptionKey, f64)]) -> AdoptionDraw {
        let mut values = [0.0; 6];
        for (k, v) in pairs {
            values[*k as usize] = *v;
        }
        AdoptionDraw { process, values }
    }

    #[test]
    fn logistic_starts_at_one_and_saturates_at_the_ceiling() {
        let d = draw(
            Process::Logistic,
            &[(AdoptionKey::Ceiling, 5.0), (AdoptionKey::Rate, 0.6)],
        );
        assert_eq!(d.log_curve(0.0), 0.0);
        let t = 3.0;
        let expected = 5.0 / (1.0 + 4.0 * (-0.6f64 * t).exp());
        assert!((d.log_curve(t).exp() - expected).abs() < 1e-12);
        assert!((d.log_curve(200.0).exp() - 5.0).abs() < 1e-9);
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
        assert!(d.log_curve(0.0).abs() < 1e-15);
        let t = 7.0;
        let e = (-(p + q) * t).exp();
        let f = (1.0 - e) / (1.0 + q / p * e);
        assert!((d.log_curve(t).exp() - (1.0 + (k - 1.0) * f)).abs() < 1e-12);
        assert!((d.log_curve(500.0).exp() - k).abs() < 1e-9);
    }

    #[test]
    fn gbm_is_exponential_in_the_median() {
        let d = draw(Process::Gbm, &[(AdoptionKey::LogDrift, 0.15)]);
        assert!((d.log_curve(10.0) - 1.5).abs() < 1e-15);
    }
}
