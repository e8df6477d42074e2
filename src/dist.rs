//! Probability distributions for service times, delays and sizes, sampled with rand_distr.
//!
//! A `Dist` is validated data: the scenario loader builds it only from parameters that make
//! sense (positive means, p99 above the median, …), so sampling never fails at run time.
//! Values are plain `f64`s in the unit of their context (seconds for durations).

use crate::kernel::{SimRng, SimTime};
use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Normal, Pareto, Weibull};

/// The z-score of the 99th percentile of a standard normal distribution.
const Z99: f64 = 2.326_347_874_040_841;

#[derive(Clone, Debug)]
pub enum Dist {
    Constant(f64),
    Exponential(Exp<f64>, f64),
    LogNormal(LogNormal<f64>, f64),
    /// Normal truncated at zero: negative draws are drawn again.
    Normal(Normal<f64>, f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Gamma(Gamma<f64>, f64),
    Pareto(Pareto<f64>, f64),
    Weibull(Weibull<f64>, f64),
    /// Equally likely values.
    Empirical(Vec<f64>),
}

/// Why a set of parameters does not make a distribution. It names the parameters, not their
/// values: the values are in base units (seconds), and whoever reports the error shows them
/// as they were written.
pub type ParamError = String;

impl Dist {
    pub fn constant(v: f64) -> Result<Dist, ParamError> {
        non_negative("value", v)?;
        Ok(Dist::Constant(v))
    }

    pub fn exponential(mean: f64) -> Result<Dist, ParamError> {
        positive("mean", mean)?;
        Ok(Dist::Exponential(
            Exp::new(1.0 / mean).map_err(|e| e.to_string())?,
            mean,
        ))
    }

    /// From the median and the 99th percentile, the way latencies are usually quoted.
    pub fn lognormal_median_p99(median: f64, p99: f64) -> Result<Dist, ParamError> {
        positive("median", median)?;
        if p99 <= median {
            return Err(
                "p99 must be greater than the median: a lognormal's 99th percentile lies above its median"
                    .into(),
            );
        }
        let mu = median.ln();
        let sigma = (p99.ln() - mu) / Z99;
        let mean = (mu + sigma * sigma / 2.0).exp();
        Ok(Dist::LogNormal(
            LogNormal::new(mu, sigma).map_err(|e| e.to_string())?,
            mean,
        ))
    }

    /// From the mean and standard deviation of the distribution itself (not of its log).
    pub fn lognormal_mean_stddev(mean: f64, stddev: f64) -> Result<Dist, ParamError> {
        positive("mean", mean)?;
        positive("stddev", stddev)?;
        let sigma2 = (1.0 + (stddev / mean).powi(2)).ln();
        let mu = mean.ln() - sigma2 / 2.0;
        Ok(Dist::LogNormal(
            LogNormal::new(mu, sigma2.sqrt()).map_err(|e| e.to_string())?,
            mean,
        ))
    }

    pub fn normal(mean: f64, stddev: f64) -> Result<Dist, ParamError> {
        positive("mean", mean)?;
        non_negative("stddev", stddev)?;
        // Truncation at zero shifts the mean up; report the mean of what is actually drawn.
        let a = -mean / stddev.max(f64::MIN_POSITIVE);
        let phi = (-a * a / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let tail = 1.0 - statrs::function::erf::erfc(-a / std::f64::consts::SQRT_2) / 2.0;
        let truncated_mean = if stddev == 0.0 {
            mean
        } else {
            mean + stddev * phi / tail
        };
        Ok(Dist::Normal(
            Normal::new(mean, stddev).map_err(|e| e.to_string())?,
            truncated_mean,
        ))
    }

    pub fn uniform(min: f64, max: f64) -> Result<Dist, ParamError> {
        non_negative("min", min)?;
        if max < min {
            return Err("max must not be below min".into());
        }
        Ok(Dist::Uniform { min, max })
    }

    pub fn gamma(shape: f64, scale: f64) -> Result<Dist, ParamError> {
        positive("shape", shape)?;
        positive("scale", scale)?;
        Ok(Dist::Gamma(
            Gamma::new(shape, scale).map_err(|e| e.to_string())?,
            shape * scale,
        ))
    }

    /// `scale` is the minimum value, `shape` the tail index (alpha).
    pub fn pareto(scale: f64, shape: f64) -> Result<Dist, ParamError> {
        positive("scale", scale)?;
        positive("shape", shape)?;
        let mean = if shape > 1.0 {
            shape * scale / (shape - 1.0)
        } else {
            f64::INFINITY
        };
        Ok(Dist::Pareto(
            Pareto::new(scale, shape).map_err(|e| e.to_string())?,
            mean,
        ))
    }

    pub fn weibull(scale: f64, shape: f64) -> Result<Dist, ParamError> {
        positive("scale", scale)?;
        positive("shape", shape)?;
        let mean = scale * statrs::function::gamma::gamma(1.0 + 1.0 / shape);
        Ok(Dist::Weibull(
            Weibull::new(scale, shape).map_err(|e| e.to_string())?,
            mean,
        ))
    }

    pub fn empirical(values: Vec<f64>) -> Result<Dist, ParamError> {
        if values.is_empty() {
            return Err("values must not be empty".into());
        }
        for &v in &values {
            non_negative("every value", v)?;
        }
        Ok(Dist::Empirical(values))
    }

    /// The mean of the values this distribution yields.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Empirical(v) => v.iter().sum::<f64>() / v.len() as f64,
            Dist::Exponential(_, m)
            | Dist::LogNormal(_, m)
            | Dist::Normal(_, m)
            | Dist::Gamma(_, m)
            | Dist::Pareto(_, m)
            | Dist::Weibull(_, m) => *m,
        }
    }

    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Exponential(d, _) => d.sample(rng),
            Dist::LogNormal(d, _) => d.sample(rng),
            Dist::Normal(d, _) => loop {
                let v = d.sample(rng);
                if v >= 0.0 {
                    break v;
                }
            },
            Dist::Uniform { min, max } => {
                if max > min {
                    rng.random_range(*min..*max)
                } else {
                    *min
                }
            }
            Dist::Gamma(d, _) => d.sample(rng),
            Dist::Pareto(d, _) => d.sample(rng),
            Dist::Weibull(d, _) => d.sample(rng),
            Dist::Empirical(v) => v[rng.random_range(0..v.len())],
        }
    }

    /// Samples a duration, the distribution's values being seconds.
    #[inline]
    pub fn sample_time(&self, rng: &mut SimRng) -> SimTime {
        SimTime::from_secs_f64(self.sample(rng))
    }
}

fn positive(name: &str, v: f64) -> Result<(), ParamError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("{name} must be a positive number"))
    }
}

fn non_negative(name: &str, v: f64) -> Result<(), ParamError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("{name} must be zero or more"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::stream;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut rng = stream(1, "dist-test");
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_stated_means() {
        // 200k draws: the standard error of the mean is sd/447, under 0.5 % of the mean for
        // every distribution below (coefficients of variation at most ~2); allow 2 %.
        let cases = [
            Dist::exponential(0.01).unwrap(),
            Dist::lognormal_median_p99(0.015, 0.06).unwrap(),
            Dist::lognormal_mean_stddev(0.02, 0.01).unwrap(),
            Dist::normal(0.01, 0.008).unwrap(),
            Dist::uniform(0.1, 0.3).unwrap(),
            Dist::gamma(2.0, 0.005).unwrap(),
            Dist::pareto(0.01, 3.0).unwrap(),
            Dist::weibull(0.01, 1.5).unwrap(),
            Dist::empirical(vec![0.001, 0.002, 0.009]).unwrap(),
        ];
        for d in &cases {
            let m = sample_mean(d, 200_000);
            assert!(
                (m - d.mean()).abs() / d.mean() < 0.02,
                "{d:?}: sample mean {m} vs stated {}",
                d.mean()
            );
        }
    }

    #[test]
    fn lognormal_quantiles_are_the_ones_given() {
        let d = Dist::lognormal_median_p99(0.015, 0.06).unwrap();
        let mut rng = stream(2, "q");
        let mut v: Vec<f64> = (0..100_000).map(|_| d.sample(&mut rng)).collect();
        v.sort_by(f64::total_cmp);
        // Order statistics of 100k draws: the median and p99 are within ~1-2 % of the truth.
        assert!(
            (v[50_000] / 0.015 - 1.0).abs() < 0.02,
            "median {}",
            v[50_000]
        );
        assert!((v[99_000] / 0.06 - 1.0).abs() < 0.04, "p99 {}", v[99_000]);
    }

    #[test]
    fn impossible_parameters_are_refused() {
        assert!(Dist::lognormal_median_p99(0.06, 0.015).is_err());
        assert!(Dist::exponential(0.0).is_err());
        assert!(Dist::exponential(-1.0).is_err());
        assert!(Dist::uniform(2.0, 1.0).is_err());
        assert!(Dist::empirical(vec![]).is_err());
        assert!(Dist::constant(f64::NAN).is_err());
    }
}
