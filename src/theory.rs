//! Queueing theory: what M/M/c says a scenario should show, when the scenario is one.
//!
//! A scenario is an M/M/c queue when one workload sends Poisson arrivals at a constant rate
//! to a `service` with exponential work, `servers = c`, no queue limit, no downstream calls,
//! no client timeout and no faults. Its summary then carries `theory`: Erlang C's numbers
//! for the service's response time (waiting plus work), beside which the simulated ones are
//! read, and an experiment over such scenarios draws both against utilisation.
//!
//! Response time T = W + S with S ~ Exp(μ) and W = 0 with probability 1 − C, else
//! W ~ Exp(θ), θ = cμ − λ (C = Erlang C, the probability of waiting). Hence
//! P(T > t) = (1 − C)·e^(−μt) + C·(θ·e^(−μt) − μ·e^(−θt)) / (θ − μ)  (θ ≠ μ),
//! and C·(1 + μt)·e^(−μt) for the second term when θ = μ; percentiles by bisection on it.
//! For c = 1 this is e^(−(μ−λ)t), M/M/1's exponential response time.

use crate::components::service::ServiceConfig;
use crate::dist::Dist;
use crate::scenario::Scenario;
use crate::workload::Arrival;
use serde_json::{json, Value};

/// When a scenario is an M/M/c queue (`of_scenario`), in words; a macro so that the summary's
/// field list can build its text from it.
#[macro_export]
macro_rules! mmc_conditions {
    () => {
        "one workload of Poisson arrivals at a constant rate to a `service` with exponential work, no queue limit, no calls, no client timeout, no faults, utilisation below 1"
    };
}

/// What `theory.latency_ms` holds.
pub const LATENCY_KEYS: &[&str] = &["mean", "p50", "p99", "p999"];

/// An M/M/c queue: `servers` servers, Poisson arrivals at `arrival_rate` per second, each
/// request's work exponential with mean `service_time` seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mmc {
    pub servers: u32,
    pub arrival_rate: f64,
    pub service_time: f64,
}

/// Erlang's B formula (loss probability of M/M/c/c with `a` erlangs offered), by its stable
/// recursion.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang's C formula: the probability that an arrival to M/M/c waits (`a` < c erlangs).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

impl Mmc {
    /// Offered load in erlangs, λ/μ.
    pub fn offered(&self) -> f64 {
        self.arrival_rate * self.service_time
    }

    /// Utilisation of each server, λ/(cμ).
    pub fn utilisation(&self) -> f64 {
        self.offered() / f64::from(self.servers)
    }

    /// Whether a steady state exists (utilisation below 1).
    pub fn stable(&self) -> bool {
        self.servers >= 1
            && self.service_time > 0.0
            && self.arrival_rate >= 0.0
            && self.utilisation() < 1.0
    }

    /// The probability that a request waits for a server.
    pub fn wait_probability(&self) -> f64 {
        erlang_c(self.servers, self.offered())
    }

    /// Mean response time [s]: S + C/(cμ − λ).
    pub fn mean_response(&self) -> f64 {
        let mu = 1.0 / self.service_time;
        self.service_time
            + self.wait_probability() / (f64::from(self.servers) * mu - self.arrival_rate)
    }

    /// P(T > t): the chance that a request's response time exceeds `t` seconds.
    pub fn exceeds(&self, t: f64) -> f64 {
        let mu = 1.0 / self.service_time;
        let theta = f64::from(self.servers) * mu - self.arrival_rate;
        let c = self.wait_probability();
        let waited = if ((theta - mu) / mu).abs() < 1e-9 {
            (1.0 + mu * t) * (-mu * t).exp()
        } else {
            (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - c) * (-mu * t).exp() + c * waited
    }

    /// The `q` quantile of the response time [s] (0 < q < 1), to a relative 1e-9.
    pub fn response_quantile(&self, q: f64) -> f64 {
        let tail = 1.0 - q;
        let mut hi = self.service_time.max(self.mean_response());
        while self.exceeds(hi) > tail {
            hi *= 2.0;
        }
        let mut lo = 0.0;
        while hi - lo > 1e-9 * hi {
            let mid = 0.5 * (lo + hi);
            if self.exceeds(mid) > tail {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// The figures a summary carries under `theory`.
    pub fn to_json(&self) -> Value {
        // Rounded to what the formulas are good for, so a share of 0.9 prints as 0.9.
        let ms = |s: f64| (s * 1e3 * 1e6).round() / 1e6;
        let share = |x: f64| (x * 1e9).round() / 1e9;
        let model = if self.servers == 1 {
            "M/M/1".to_string()
        } else {
            format!("M/M/{}", self.servers)
        };
        json!({
            "model": model,
            "servers": self.servers,
            "arrival_rps": self.arrival_rate,
            "service_ms": ms(self.service_time),
            "server_utilisation": share(self.utilisation()),
            "wait_probability": share(self.wait_probability()),
            // LATENCY_KEYS, in order.
            "latency_ms": {
                "mean": ms(self.mean_response()),
                "p50": ms(self.response_quantile(0.5)),
                "p99": ms(self.response_quantile(0.99)),
                "p999": ms(self.response_quantile(0.999)),
            },
        })
    }
}

/// The M/M/c queue a scenario is, if it is one and it has a steady state.
pub fn of_scenario(sc: &Scenario) -> Option<Mmc> {
    let [w] = sc.workloads.as_slice() else {
        return None;
    };
    let Arrival::Poisson { rate } = w.arrival else {
        return None;
    };
    if w.timeout.is_some() || !sc.faults.is_empty() {
        return None;
    }
    let svc: &ServiceConfig = sc.components.get(w.target)?.spec.config()?;
    let Dist::Exponential(_, mean) = svc.service_time else {
        return None;
    };
    if svc.queue.is_some() || !svc.calls.is_empty() {
        return None;
    }
    let q = Mmc {
        servers: svc.servers,
        arrival_rate: rate,
        service_time: mean,
    };
    q.stable().then_some(q)
}

/// A station whose queue has not caught up when the run ends (`overloaded`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overload {
    /// The component, by index.
    pub component: usize,
    /// The work offered at the end of the run over what the servers can do (1: all of it),
    /// over the last thousandth of the run.
    pub load_at_end: f64,
    /// The work still queued at the end of the run by a fluid estimate [s of one server's
    /// work], arrivals at their mean rate and none lost.
    pub backlog_s: f64,
}

/// How finely `overloaded` follows a varying arrival rate: the run in this many steps.
const FLUID_STEPS: u32 = 1000;

/// The stations that have not caught up when the run ends: each `service` with no queue
/// limit that the workloads sending to it directly offer, at the end of the run, as much
/// work as its servers can do or more (arrivals per second × mean work ÷ servers ≥ 1: no
/// steady state, its queue grows), or that a fluid estimate (work arriving at the mean rate,
/// served at the servers' pace) leaves with a backlog of more than a hundredth of the run.
/// A lower bound on what it is offered: retries and calls from other components add to it.
/// Its latency then depends on the run's length: numbers no formula gives.
pub fn overloaded(sc: &Scenario) -> Vec<Overload> {
    let end = sc.duration;
    let secs = end.as_secs_f64();
    if secs <= 0.0 {
        return Vec::new();
    }
    let step = secs / f64::from(FLUID_STEPS);
    let at = |k: u32| crate::kernel::SimTime::from_secs_f64(step * f64::from(k));
    sc.components
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let svc: &ServiceConfig = c.spec.config()?;
            if svc.queue.is_some() {
                return None;
            }
            let feeding: Vec<_> = sc.workloads.iter().filter(|w| w.target == i).collect();
            if feeding.is_empty() {
                return None;
            }
            // The servers' work offered in each step [s of all servers].
            let per = svc.service_time.mean() / f64::from(svc.servers.max(1));
            let work = |k: u32| -> f64 {
                feeding
                    .iter()
                    .map(|w| w.arrival.expected_between(at(k), at(k + 1)))
                    .sum::<f64>()
                    * per
            };
            let mut backlog = 0.0_f64;
            for k in 0..FLUID_STEPS {
                backlog = (backlog + work(k) - step).max(0.0);
            }
            let load_at_end = work(FLUID_STEPS - 1) / step;
            // At exactly full load only randomness makes the queue grow (M/M/1 at ρ = 1
            // has no steady state; D/D/1 serves each request as the next arrives).
            let even = matches!(svc.service_time, Dist::Constant(_))
                && feeding
                    .iter()
                    .all(|w| matches!(w.arrival, Arrival::Constant { .. }));
            let full = if even {
                load_at_end > 1.0 + 1e-9
            } else {
                load_at_end >= 1.0
            };
            (full || backlog > secs / 100.0).then_some(Overload {
                component: i,
                load_at_end,
                backlog_s: backlog,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn latency_keys_are_what_the_summary_holds() {
        let q = Mmc {
            servers: 1,
            arrival_rate: 80.0,
            service_time: 0.01,
        };
        let json = q.to_json();
        let keys: Vec<&str> = json["latency_ms"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, LATENCY_KEYS);
    }

    #[test]
    fn mm1_is_textbook() {
        // λ = 80/s, μ = 100/s: W = 1/(μ−λ) = 50 ms; T ~ Exp(20/s), so its p99 is
        // ln(100)/20 = 230.26 ms and its median ln(2)/20 = 34.66 ms; C = ρ = 0.8.
        let q = Mmc {
            servers: 1,
            arrival_rate: 80.0,
            service_time: 0.01,
        };
        assert!(close(q.wait_probability(), 0.8, 1e-12));
        assert!(close(q.mean_response(), 0.05, 1e-12));
        assert!(close(q.response_quantile(0.99), 100f64.ln() / 20.0, 1e-8));
        assert!(close(q.response_quantile(0.5), 2f64.ln() / 20.0, 1e-8));
    }

    #[test]
    fn erlang_c_matches_its_direct_sum() {
        // C(c, a) = (aᶜ/c!)·c/(c − a) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!)·c/(c − a)), summed directly:
        // c = 10 servers at a = 8 erlangs gives C = 0.40918.
        let direct = |c: u32, a: f64| {
            let term = |k: u32| a.powi(k as i32) / (1..=k).map(f64::from).product::<f64>();
            let top = term(c) * f64::from(c) / (f64::from(c) - a);
            top / ((0..c).map(term).sum::<f64>() + top)
        };
        for (c, a) in [(1, 0.5), (2, 1.5), (10, 8.0), (50, 45.0)] {
            assert!(close(erlang_c(c, a), direct(c, a), 1e-9), "c={c} a={a}");
        }
        assert!(close(erlang_c(10, 8.0), 0.409_18, 1e-4));
        // Ten servers of 100 ms at 80/s: W = 0.1 + 0.40918/(100 − 80) = 120.46 ms.
        let q = Mmc {
            servers: 10,
            arrival_rate: 80.0,
            service_time: 0.1,
        };
        assert!(close(q.mean_response(), 0.120_459, 1e-4));
    }

    #[test]
    fn the_tail_is_a_distribution_whose_mean_is_the_mean() {
        // ∫ P(T > t) dt = E[T], for θ far from, near and equal to μ (c = 2, λ = μ: θ = μ).
        for (c, lambda) in [(4, 30.0), (2, 10.0), (2, 10.000_001), (3, 5.0)] {
            let q = Mmc {
                servers: c,
                arrival_rate: lambda,
                service_time: 0.1,
            };
            assert!(close(q.exceeds(0.0), 1.0, 1e-9));
            let dt = 1e-4;
            let integral: f64 = (0..200_000)
                .map(|k| q.exceeds((k as f64 + 0.5) * dt) * dt)
                .sum();
            assert!(
                close(integral, q.mean_response(), 1e-6),
                "c={c} λ={lambda}: {integral} vs {}",
                q.mean_response()
            );
        }
    }
}
