//! Workloads: where requests come from. Arrival processes, the request mix, key popularity,
//! the client's timeout and its retries (attempts, exponential backoff with cap and jitter).
//!
//! A workload is an actor. It sends each attempt to its entry component and counts a request
//! once, with its final status after retries; a client-side timeout counts as `timeout`.

use crate::components::cors::{CorsServer, Engine, PreflightCache};
use crate::components::PREFLIGHT;
use crate::dist::Dist;
use crate::kernel::{ActorId, CallTiming, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{
    Clock, Counter, Field, Latency, LatencySeries, Level, MetricSet, Series, Unit, WindowedCounts,
};
use crate::popularity::ZipfKeys;
pub use crate::retry::{Charge, Jitter, RetryPolicy, RetrySpec};
use rand::distr::weighted::WeightedIndex;
use rand::Rng;
use rand_distr::{Distribution, Exp1};
use slab::Slab;

/// How arrivals are spread over time. Rates are per second.
#[derive(Clone, Debug)]
pub enum Arrival {
    /// Evenly spaced arrivals, one every 1/rate seconds.
    Constant { rate: f64 },
    /// A Poisson process: exponential gaps with mean 1/rate.
    Poisson { rate: f64 },
    /// A time-varying Poisson process whose rate follows a profile.
    Varying(RateProfile),
    /// Arrivals at the recorded instants of a trace.
    Trace { times: std::sync::Arc<[SimTime]> },
}

impl Arrival {
    /// The same process at `factor` times its rate throughout (a profile keeps its shape);
    /// `None` for a trace, whose instants are what was recorded.
    pub fn scaled(&self, factor: f64) -> Option<Arrival> {
        Some(match self {
            Arrival::Constant { rate } => Arrival::Constant {
                rate: rate * factor,
            },
            Arrival::Poisson { rate } => Arrival::Poisson {
                rate: rate * factor,
            },
            Arrival::Varying(RateProfile::Steps(steps)) => Arrival::Varying(RateProfile::Steps(
                steps
                    .iter()
                    .map(|&(t, r)| (t, r * factor))
                    .collect::<Vec<_>>()
                    .into(),
            )),
            Arrival::Varying(RateProfile::Ramp { from, to, over }) => {
                Arrival::Varying(RateProfile::Ramp {
                    from: from * factor,
                    to: to * factor,
                    over: *over,
                })
            }
            Arrival::Varying(RateProfile::Diurnal {
                mean,
                amplitude,
                period,
            }) => Arrival::Varying(RateProfile::Diurnal {
                mean: mean * factor,
                amplitude: amplitude * factor,
                period: *period,
            }),
            Arrival::Trace { .. } => return None,
        })
    }

    /// The expected number of arrivals in [from, to): what sizing checks and the work
    /// estimate go by.
    pub fn expected_between(&self, from: SimTime, to: SimTime) -> f64 {
        if to <= from {
            return 0.0;
        }
        let len = (to - from).as_secs_f64();
        match self {
            Arrival::Constant { rate } | Arrival::Poisson { rate } => rate * len,
            Arrival::Varying(p) => p.integral(from, to),
            Arrival::Trace { times } => {
                (times.partition_point(|&t| t < to) - times.partition_point(|&t| t < from)) as f64
            }
        }
    }

    /// Whether any arrival can fall in [from, to). False for evenly spaced arrivals, a
    /// trace or a profile that has none there; a Poisson process with a rate above zero can.
    pub fn can_arrive_between(&self, from: SimTime, to: SimTime) -> bool {
        if to <= from {
            return false;
        }
        match self {
            Arrival::Constant { rate } => {
                // Arrivals at k / rate for k = 1, 2, …
                let k = (from.as_secs_f64() * rate).ceil().max(1.0);
                SimTime::from_secs_f64(k / rate) < to
            }
            Arrival::Poisson { rate } => *rate > 0.0,
            Arrival::Varying(p) => p.integral(from, to) > 0.0,
            Arrival::Trace { .. } => self.expected_between(from, to) > 0.0,
        }
    }
}

/// The rate of a non-homogeneous Poisson process as a function of time.
#[derive(Clone, Debug)]
pub enum RateProfile {
    /// Piecewise constant: each (start, rate) holds until the next start. Step, spike and
    /// trace rate profiles are all of this shape.
    Steps(std::sync::Arc<[(SimTime, f64)]>),
    /// Linear from `from` to `to` over [0, over], then `to`.
    Ramp { from: f64, to: f64, over: SimTime },
    /// `mean + amplitude · sin(2π t / period)`, never below zero.
    Diurnal {
        mean: f64,
        amplitude: f64,
        period: SimTime,
    },
}

impl RateProfile {
    pub fn rate_at(&self, t: SimTime) -> f64 {
        match self {
            RateProfile::Steps(steps) => {
                let i = steps.partition_point(|&(s, _)| s <= t);
                if i == 0 {
                    0.0
                } else {
                    steps[i - 1].1
                }
            }
            RateProfile::Ramp { from, to, over } => {
                if t >= *over {
                    *to
                } else {
                    from + (to - from) * (t.0 as f64 / over.0 as f64)
                }
            }
            RateProfile::Diurnal {
                mean,
                amplitude,
                period,
            } => {
                let phase = (t.0 % period.0) as f64 / period.0 as f64;
                (mean + amplitude * (std::f64::consts::TAU * phase).sin()).max(0.0)
            }
        }
    }

    /// An upper bound on the rate from `t` until the returned end of the segment.
    fn bound(&self, t: SimTime) -> (f64, SimTime) {
        match self {
            RateProfile::Steps(steps) => {
                let i = steps.partition_point(|&(s, _)| s <= t);
                let end = steps.get(i).map_or(SimTime::MAX, |&(s, _)| s);
                let rate = if i == 0 { 0.0 } else { steps[i - 1].1 };
                (rate, end)
            }
            RateProfile::Ramp { from, to, over } => {
                if t >= *over {
                    (*to, SimTime::MAX)
                } else {
                    (from.max(*to), *over)
                }
            }
            RateProfile::Diurnal {
                mean, amplitude, ..
            } => (mean + amplitude.abs(), SimTime::MAX),
        }
    }

    /// ∫ rate dt over [from, to): the expected number of arrivals.
    pub fn integral(&self, from: SimTime, to: SimTime) -> f64 {
        if to <= from {
            return 0.0;
        }
        let (a, b) = (from.as_secs_f64(), to.as_secs_f64());
        match self {
            RateProfile::Steps(steps) => steps
                .iter()
                .enumerate()
                .map(|(i, &(start, rate))| {
                    let end = steps
                        .get(i + 1)
                        .map_or(f64::INFINITY, |s| s.0.as_secs_f64());
                    let overlap = end.min(b) - start.as_secs_f64().max(a);
                    if overlap > 0.0 {
                        rate * overlap
                    } else {
                        0.0
                    }
                })
                .sum(),
            RateProfile::Ramp {
                from: r0,
                to: r1,
                over,
            } => {
                let o = over.as_secs_f64();
                let at = |t: f64| r0 + (r1 - r0) * (t / o).min(1.0);
                // The linear part, by the trapezoid (exact for a line), then the flat part.
                let (la, lb) = (a.min(o), b.min(o));
                let linear = (lb - la) * (at(la) + at(lb)) / 2.0;
                linear + r1 * (b - a.max(o)).max(0.0)
            }
            RateProfile::Diurnal {
                mean,
                amplitude,
                period,
            } => {
                // The rate never goes below zero (amplitude ≤ mean), so the integral is exact.
                let w = std::f64::consts::TAU / period.as_secs_f64();
                mean * (b - a) + amplitude / w * ((w * a).cos() - (w * b).cos())
            }
        }
    }

    /// The largest rate the profile reaches.
    pub fn peak(&self) -> f64 {
        match self {
            RateProfile::Steps(s) => s.iter().map(|&(_, r)| r).fold(0.0, f64::max),
            RateProfile::Ramp { from, to, .. } => from.max(*to),
            RateProfile::Diurnal {
                mean, amplitude, ..
            } => mean + amplitude.abs(),
        }
    }
}

/// Which keys requests touch.
#[derive(Clone, Debug)]
pub enum Keys {
    Uniform {
        count: u64,
    },
    /// Key k (from 0) has weight 1/(k+1)^exponent.
    Zipf {
        count: u64,
        exponent: f64,
    },
}

/// A validated `[[workload]]`.
#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    pub name: String,
    /// Index of the entry component.
    pub target: usize,
    pub arrival: Arrival,
    /// (operation id, weight).
    pub mix: Vec<(u16, f64)>,
    pub keys: Keys,
    /// Request size in bytes.
    pub size_bytes: Dist,
    /// The client's per-attempt timeout.
    pub timeout: Option<SimTime>,
    /// Its retries as written; `None`: the SDK's default for an entry component that is an
    /// AWS API, none otherwise.
    pub retry: Option<RetrySpec>,
    /// One-way latency between the client and its entry component.
    pub latency: Dist,
    /// API keys the workload's clients use, drawn uniformly per request: ids
    /// `first_api_key .. first_api_key + api_keys` (no key when `api_keys` is 0).
    pub api_keys: u32,
    pub first_api_key: u32,
    /// Its clients as browsers calling across origins (`browser = true`), if they are.
    pub browser: Option<BrowserSpec>,
    /// Which requests are traced (`None`: none).
    pub trace: Option<TraceRule>,
}

/// A workload's sampling rule, as X-Ray's: the first `reservoir_per_second` requests of each
/// second, then `rate` of the rest; and how many finished traces it keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRule {
    /// Requests traced first in each second of simulated time [requests/s]. Default 1.
    pub reservoir_per_second: u32,
    /// Share of the requests past the reservoir traced [0–1]. Default 0.05.
    pub rate: f64,
    /// The slowest finished traces kept [traces]. Default 10 (a choice: a waterfall's worth).
    pub slowest: usize,
    /// A uniform sample of all finished traces kept beside them [traces]. Default 10 (a
    /// choice: enough to see what an ordinary request looks like).
    pub sample: usize,
}

impl Default for TraceRule {
    fn default() -> Self {
        // aws-facts: §13 X-Ray sampling: the default rule is a reservoir of 1 request a
        // second, then 5 % of additional requests.
        TraceRule {
            reservoir_per_second: 1,
            rate: 0.05,
            slowest: 10,
            sample: 10,
        }
    }
}

/// Where a workload's sampling stands: the second it counts and the reservoir used in it.
struct Sampler {
    rule: TraceRule,
    second: u64,
    used: u32,
    /// Its own stream, so that tracing or not leaves every other draw unchanged.
    rng: SimRng,
    /// Requests traced.
    sampled: u64,
}

impl Sampler {
    fn sample(&mut self, now: SimTime) -> bool {
        let second = now.0 / SimTime::NANOS_PER_SEC;
        if second != self.second {
            self.second = second;
            self.used = 0;
        }
        let yes = if self.used < self.rule.reservoir_per_second {
            self.used += 1;
            true
        } else {
            self.rule.rate > 0.0 && self.rng.random::<f64>() < self.rule.rate
        };
        self.sampled += u64::from(yes);
        yes
    }
}

/// A browser workload's settings (aws-facts: §21 CORS).
#[derive(Clone, Debug)]
pub struct BrowserSpec {
    /// The page's origin, `scheme://host[:port]`.
    pub origin: String,
    /// Browser sessions its requests are spread over, uniformly, each with its own
    /// preflight cache [browsers].
    pub browsers: u32,
    /// Whose cap on `Access-Control-Max-Age` applies.
    pub engine: Engine,
    /// For each `mix` entry (a route: its URL and method), whether its requests are
    /// preflighted.
    pub preflight: Vec<bool>,
}

impl WorkloadSpec {
    /// The highest arrival rate the workload reaches (for a trace, its busiest second), for
    /// sizing checks.
    pub fn peak_rate(&self) -> f64 {
        match &self.arrival {
            Arrival::Constant { rate } | Arrival::Poisson { rate } => *rate,
            Arrival::Varying(p) => p.peak(),
            Arrival::Trace { times } => {
                // The busiest second of the trace.
                let mut best = 0usize;
                let mut lo = 0usize;
                for hi in 0..times.len() {
                    while times[hi] - times[lo] >= SimTime::from_secs(1) {
                        lo += 1;
                    }
                    best = best.max(hi - lo + 1);
                }
                best as f64
            }
        }
    }
}

/// The numbers a workload puts in the summary under `workloads.<name>.`.
pub const FIELDS: &[Field] = &[
    Field {
        path: "requests.total",
        unit: Unit::Count,
        about: "requests the workload sent in the measured period",
    },
    Field {
        path: "requests.attempts",
        unit: Unit::Count,
        about: "its attempts, retries included",
    },
    Field {
        path: "requests.retries",
        unit: Unit::Count,
        about: "its retries",
    },
    Field {
        path: "requests.by_status.*",
        unit: Unit::Count,
        about: "its requests by final status",
    },
    Field {
        path: "latency_ms.*",
        unit: Unit::Milliseconds,
        about: "latency of its successful requests (count, mean, p50, p90, p95, p99, p999, max)",
    },
    Field {
        path: "latency_all_ms.*",
        unit: Unit::Milliseconds,
        about: "latency of all its requests, a failure counted at its time to fail (a client timeout when the client gave up)",
    },
    Field {
        path: "offered_rps",
        unit: Unit::PerSecond,
        about: "requests sent per second",
    },
    Field {
        path: "throughput_rps",
        unit: Unit::PerSecond,
        about: "successful requests per second: answers within the measured period, by the time of the answer",
    },
    Field {
        path: "error_rate",
        unit: Unit::Share,
        about: "share of its requests that failed",
    },
    Field {
        path: "retry_amplification",
        unit: Unit::Number,
        about: "attempts per request",
    },
    Field {
        path: "in_flight_mean",
        unit: Unit::Number,
        about: "requests sent and not yet finally answered, time-averaged",
    },
    Field {
        path: "requests.preflights",
        unit: Unit::Count,
        about: "browser workloads: CORS preflights (OPTIONS) its browsers sent",
    },
    Field {
        path: "requests.cors_blocked",
        unit: Unit::Count,
        about: "browser workloads: requests that failed in the browser as CORS errors (final status cors_blocked)",
    },
    Field {
        path: "requests.cors_preflight_failed",
        unit: Unit::Count,
        about: "browser workloads: of those, requests whose preflight was refused (no CORS configuration, a throttle's 429), so never sent",
    },
    Field {
        path: "requests.cors_hidden_errors",
        unit: Unit::Count,
        about: "browser workloads: of those, error answers without CORS headers (a gateway's 429 or 5xx), which the script sees as CORS errors",
    },
    Field {
        path: "requests.cors_origin_refused",
        unit: Unit::Count,
        about: "browser workloads: of those, answers to a request the target does not allow from the page's origin (or has no CORS configuration for)",
    },
];

/// Requests sent (first attempts).
pub const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests sent, first attempts only",
};
/// Attempts, retries included.
pub const ATTEMPTS: Series = Series {
    id: "attempts_rps",
    unit: Unit::PerSecond,
    about: "attempts sent, retries included",
};
pub const RETRIES: Series = Series {
    id: "retries_rps",
    unit: Unit::PerSecond,
    about: "retries sent",
};
/// A browser workload's CORS preflights.
pub const PREFLIGHTS: Series = Series {
    id: "preflights_rps",
    unit: Unit::PerSecond,
    about: "CORS preflights its browsers sent",
};
/// The share of the requests that ended in a window that failed: `error_rate` window by
/// window, for a bound on the errors during a fault alone ("under 2 % from 30 s after the
/// outage on"), which the share over the whole run, diluted by its length, cannot state.
pub const ERROR_RATE: Series = Series {
    id: "error_rate",
    unit: Unit::Share,
    about: "share of the requests that finally ended in the window that failed (any final status but a success, as `error_rate` counts them over the run); none where no request ended",
};
pub const IN_FLIGHT: Series = Series {
    id: "in_flight",
    unit: Unit::Number,
    about: "requests sent and not yet finally answered, time-averaged",
};

/// The series of the requests that ended with final status `label` ("200", "timeout"), per
/// second.
pub fn status_series(label: &str) -> String {
    format!("status_{label}_rps")
}

/// The values of series `id` where a workload whose requests never failed left it out
/// (`error_rate` and the latency of all requests), from the series it kept: the share that
/// failed is 0 in each window where a request ended, the latency of all requests that of
/// its successes. `None` for any other series.
pub fn stand_in(id: &str, kept: &[(String, Vec<f64>)]) -> Option<Vec<f64>> {
    let of = |id: &str| kept.iter().find(|(n, _)| n == id).map(|(_, v)| v.clone());
    if id == ERROR_RATE.id {
        let mut out: Option<Vec<f64>> = None;
        for (_, v) in kept.iter().filter(|(n, _)| status_of_series(n).is_some()) {
            let out = out.get_or_insert_with(|| vec![f64::NAN; v.len()]);
            for (o, &x) in out.iter_mut().zip(v) {
                if x > 0.0 {
                    *o = 0.0;
                }
            }
        }
        return out;
    }
    let pairs = [
        (&LATENCY_ALL.p50, &LATENCY.p50),
        (&LATENCY_ALL.p95, &LATENCY.p95),
        (&LATENCY_ALL.p99, &LATENCY.p99),
    ];
    let (_, successes) = pairs.iter().find(|(all, _)| all.id == id)?;
    of(successes.id)
}

/// The final status a series of `status_series` counts, if it is one.
pub fn status_of_series(id: &str) -> Option<&str> {
    id.strip_prefix("status_")?.strip_suffix("_rps")
}

/// The per-window latency of a workload's successful requests, from its first attempt to its
/// final answer.
pub static LATENCY: LatencySeries = LatencySeries {
    p50: Series {
        id: "latency_p50_ms",
        unit: Unit::Milliseconds,
        about: "median latency of successful requests",
    },
    p95: Series {
        id: "latency_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the latency of successful requests",
    },
    p99: Series {
        id: "latency_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the latency of successful requests",
    },
};

/// The per-window latency of all a workload's requests, a failure at its time to fail (a
/// timeout at the timeout): what customers wait, which the successes' alone understate when
/// requests time out (`latency_all_ms` over the run).
pub static LATENCY_ALL: LatencySeries = LatencySeries {
    p50: Series {
        id: "latency_all_p50_ms",
        unit: Unit::Milliseconds,
        about: "median latency of all requests, a failure at its time to fail",
    },
    p95: Series {
        id: "latency_all_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the latency of all requests, a failure at its time to fail",
    },
    p99: Series {
        id: "latency_all_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the latency of all requests, a failure at its time to fail",
    },
};

/// Every series a workload keeps but the one of each final status (`status_series`).
pub static SERIES: &[&Series] = &[
    &REQUESTS,
    &ATTEMPTS,
    &RETRIES,
    &PREFLIGHTS,
    &IN_FLIGHT,
    &ERROR_RATE,
    &LATENCY.p50,
    &LATENCY.p95,
    &LATENCY.p99,
    &LATENCY_ALL.p50,
    &LATENCY_ALL.p95,
    &LATENCY_ALL.p99,
];

/// The tag of the timer that brings the next arrival; other timer tags are request indices.
const NEXT_ARRIVAL: u64 = u64::MAX;
/// Set in the tag of a preflight's call, beside its request's index.
const PREFLIGHT_TAG: u64 = 1 << 62;

/// How a request ended, as the workload counts it: the answer it got, or a CORS error the
/// browser gave its script instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Final {
    Answer(Outcome),
    CorsBlocked,
}

impl Final {
    fn is_success(self) -> bool {
        matches!(self, Final::Answer(o) if o.is_success())
    }
}

impl std::fmt::Display for Final {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Final::Answer(o) => o.fmt(f),
            Final::CorsBlocked => f.write_str(crate::status::CORS_BLOCKED_WORD),
        }
    }
}

/// Why the browser blocked a request.
#[derive(Clone, Copy, Debug)]
enum Blocked {
    PreflightFailed,
    HiddenError,
    OriginRefused,
}

/// A browser workload's running state: its target's CORS answers and its browsers' caches.
struct Browsers {
    spec: BrowserSpec,
    /// The rules of its target, if they allow the page's origin.
    rules: Option<crate::components::cors::CorsRules>,
    errors_have_cors: bool,
    cache: PreflightCache,
    preflights: Counter,
    blocked: [u64; 3],
}

struct Request {
    started: SimTime,
    attempt: u32,
    /// The browser session that sends it, and its route (its `mix` entry).
    browser: u32,
    route: u16,
    /// What its last retry cost from the client's retry quota.
    charged: Charge,
    msg: Msg,
}

/// A running workload.
pub struct Workload {
    spec: WorkloadSpec,
    /// Its retries, resolved against its target (an SDK's figures depend on the service).
    retry: RetryPolicy,
    /// The tokens left in its retry quota (aws-facts: §7 retry quota, per client). A
    /// workload is one SDK client, all its requests drawing on one bucket: a choice, since a
    /// workload stands for traffic from outside the architecture, not for processes. Callers
    /// whose processes each hold a client of their own are components: a Lambda function
    /// (a quota per execution environment) or an Auto Scaling group (one per instance).
    tokens: u32,
    target: ActorId,
    clock: Clock,
    /// Arrivals and what each request is (operation, key, size, browser).
    rng: SimRng,
    /// Each attempt's network delays and each retry's wait: a stream of their own, so that a
    /// variant changing the retries (or anything that changes how many attempts are made)
    /// leaves the arrivals and the requests unchanged (common random numbers).
    attempt_rng: SimRng,
    mix: Option<WeightedIndex<f64>>,
    zipf: Option<ZipfKeys>,
    /// For constant arrivals: how many have arrived; the k-th is at k / rate, rounded once to
    /// a nanosecond, so rounding never accumulates.
    constant_k: u64,
    trace_pos: usize,
    requests: Slab<Request>,
    browsers: Option<Browsers>,
    // Recorders.
    arrivals: Counter,
    attempts: Counter,
    retries: Counter,
    ok: u64,
    finals: WindowedCounts<Final>,
    /// From a request's first attempt to its final answer: the successes, and beside them
    /// the failures (a client timeout: when the client gave up), so that the two make every
    /// request that ended, over the measured period and window by window.
    latency: Latency,
    in_flight: Level,
    sampler: Option<Sampler>,
}

impl Workload {
    /// A workload drawing its arrivals from `rng` and its attempts' delays and retry waits
    /// from `attempt_rng`, deciding which requests to trace from `trace_rng`; `cors`: what its
    /// target answers browsers, for a browser workload.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        spec: WorkloadSpec,
        retry: RetryPolicy,
        target: ActorId,
        clock: Clock,
        rng: SimRng,
        attempt_rng: SimRng,
        cors: Option<CorsServer>,
        trace_rng: SimRng,
    ) -> Workload {
        let browsers = spec.browser.clone().map(|b| {
            let server = cors.unwrap_or(CorsServer {
                rules: None,
                errors_have_cors: false,
            });
            Browsers {
                rules: server.rules.filter(|r| r.allows(&b.origin)),
                errors_have_cors: server.errors_have_cors,
                cache: PreflightCache::new(b.browsers, b.preflight.len()),
                preflights: Counter::new(&clock),
                blocked: [0; 3],
                spec: b,
            }
        });
        let sampler = spec.trace.map(|rule| Sampler {
            rule,
            second: 0,
            used: 0,
            rng: trace_rng,
            sampled: 0,
        });
        let mix = if spec.mix.len() > 1 {
            Some(WeightedIndex::new(spec.mix.iter().map(|&(_, w)| w)).expect("validated weights"))
        } else {
            None
        };
        let zipf = match spec.keys {
            Keys::Zipf { count, exponent } => Some(ZipfKeys::new(count, exponent)),
            Keys::Uniform { .. } => None,
        };
        Workload {
            tokens: retry.initial_tokens(),
            retry,
            target,
            mix,
            zipf,
            constant_k: 0,
            trace_pos: 0,
            requests: Slab::new(),
            browsers,
            arrivals: Counter::new(&clock),
            attempts: Counter::new(&clock),
            retries: Counter::new(&clock),
            ok: 0,
            finals: WindowedCounts::default(),
            latency: Latency::new(&clock),
            in_flight: Level::new(&clock),
            sampler,
            spec,
            clock,
            rng,
            attempt_rng,
        }
    }

    /// When the next arrival after `now` happens, if before the end of arrivals.
    fn next_arrival(&mut self, now: SimTime) -> Option<SimTime> {
        let next = match &self.spec.arrival {
            Arrival::Constant { rate } => {
                self.constant_k += 1;
                SimTime::from_secs_f64(self.constant_k as f64 / rate)
            }
            Arrival::Poisson { rate } => {
                let gap: f64 = Exp1.sample(&mut self.rng);
                now + SimTime::from_secs_f64(gap / rate)
            }
            Arrival::Varying(profile) => {
                next_nonhomogeneous(profile, now, self.clock.end, &mut self.rng)?
            }
            Arrival::Trace { times } => {
                let t = *times.get(self.trace_pos)?;
                self.trace_pos += 1;
                t
            }
        };
        (next < self.clock.end).then_some(next)
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let route = match &self.mix {
            Some(w) => w.sample(&mut self.rng),
            None => 0,
        };
        let op = self.spec.mix[route].0;
        let key = match (&self.zipf, &self.spec.keys) {
            (Some(z), _) => z.sample(&mut self.rng) - 1,
            (None, Keys::Uniform { count }) => self.rng.random_range(0..*count),
            (None, Keys::Zipf { .. }) => 0,
        };
        // Rounded half up; the cast saturates (and takes a negative or NaN draw to 0).
        let size_bytes = (self.spec.size_bytes.sample(&mut self.rng) + 0.5) as u32;
        let client = match self.spec.api_keys {
            0 => 0,
            n => self.spec.first_api_key + self.rng.random_range(0..n),
        };
        // Drawn only by browser workloads, so that others' streams are as they were.
        let browser = match &self.browsers {
            Some(b) if b.spec.browsers > 1 => self.rng.random_range(0..b.spec.browsers),
            _ => 0,
        };
        let msg = Msg {
            op,
            key,
            size_bytes,
            client,
            instance: 0,
            messages: 1,
            origin: now,
            asynchronous: false,
            span: 0,
        };
        let traced = self.sampler.as_mut().is_some_and(|s| s.sample(now));
        let msg = if traced {
            Msg {
                span: ctx.open_root(op),
                ..msg
            }
        } else {
            msg
        };
        self.arrivals
            .add(&self.clock, now, self.clock.measured(now));
        self.in_flight.add(&self.clock, now, 1.0);
        let req = self.requests.insert(Request {
            started: now,
            attempt: 0,
            browser,
            route: route as u16,
            charged: Charge::default(),
            msg,
        });
        self.send(ctx, req);
    }

    /// Begins an attempt: its preflight first when its browser holds none fresh for its
    /// route and the route needs one (aws-facts: §21 preflight, caching).
    fn send(&mut self, ctx: &mut Ctx<'_>, req: usize) {
        let now = ctx.now();
        let r = &mut self.requests[req];
        r.attempt += 1;
        let measured = self.clock.measured(r.started);
        self.attempts.add(&self.clock, now, measured);
        let (browser, route, msg) = (r.browser, r.route as usize, r.msg);
        let retry = r.attempt > 1;
        if let Some(b) = &mut self.browsers {
            if b.spec.preflight[route] && !b.cache.fresh(browser, route, now) {
                b.preflights.add(&self.clock, now, measured);
                let options = Msg {
                    op: PREFLIGHT,
                    size_bytes: 0,
                    client: 0,
                    ..msg
                };
                self.call(ctx, options, req as u64 | PREFLIGHT_TAG, retry);
                return;
            }
        }
        self.call(ctx, msg, req as u64, retry);
    }

    /// Sends an attempt's call (`retry`: not its request's first).
    fn call(&mut self, ctx: &mut Ctx<'_>, msg: Msg, tag: u64, retry: bool) {
        let timing = CallTiming {
            request_delay: self.spec.latency.sample_time(&mut self.attempt_rng),
            reply_delay: self.spec.latency.sample_time(&mut self.attempt_rng),
            timeout: self.spec.timeout,
            leaves_after: SimTime::ZERO,
            retry,
        };
        ctx.call(self.target, msg, timing, tag);
    }

    /// A preflight's answer: with a 2xx and an allowed origin the browser keeps it for the
    /// max-age (capped by its engine) and sends the request; a timeout is the attempt's;
    /// anything else fails the request in the browser, unsent and not retried (the script
    /// sees a network error with no status).
    fn on_preflight(&mut self, ctx: &mut Ctx<'_>, req: usize, outcome: Outcome) {
        if outcome == Outcome::Timeout {
            return self.on_reply(ctx, req, outcome);
        }
        let b = self
            .browsers
            .as_mut()
            .expect("only browsers send preflights");
        let r = &self.requests[req];
        match &b.rules {
            Some(rules) if outcome.is_success() => {
                let ttl = b.spec.engine.preflight_ttl(rules.max_age_s);
                b.cache.store(r.browser, r.route as usize, ctx.now(), ttl);
                let (msg, retry) = (r.msg, r.attempt > 1);
                self.call(ctx, msg, req as u64, retry);
            }
            _ => self.end(ctx, req, Final::CorsBlocked, Some(Blocked::PreflightFailed)),
        }
    }

    fn on_reply(&mut self, ctx: &mut Ctx<'_>, req: usize, outcome: Outcome) {
        // aws-facts: §21: a browser lets its script read an answer only with CORS headers
        // allowing the page's origin; an error answer without them (a gateway's 429 or 5xx
        // unless its gateway responses carry them) is a CORS error, its status unseen.
        if let Some(b) = &self.browsers {
            let blocked = match outcome {
                Outcome::Timeout => None,
                _ if b.rules.is_none() => Some(Blocked::OriginRefused),
                Outcome::Status(s) if s >= 400 && !b.errors_have_cors => Some(Blocked::HiddenError),
                _ => None,
            };
            if let Some(why) = blocked {
                return self.end(ctx, req, Final::CorsBlocked, Some(why));
            }
        }
        let now = ctx.now();
        let r = &mut self.requests[req];
        let measured = self.clock.measured(r.started);
        let retry = self.retry.after(
            r.attempt,
            outcome,
            &mut self.tokens,
            &mut r.charged,
            &mut self.attempt_rng,
        );
        if let Some(wait) = retry {
            self.retries.add(&self.clock, now, measured);
            ctx.schedule(wait, req as u64);
            return;
        }
        self.end(ctx, req, Final::Answer(outcome), None);
    }

    /// A request's end, with its final status.
    fn end(&mut self, ctx: &mut Ctx<'_>, req: usize, outcome: Final, blocked: Option<Blocked>) {
        let now = ctx.now();
        let r = self.requests.remove(req);
        let measured = self.clock.measured(r.started);
        let root_end = match outcome {
            Final::Answer(o) => o,
            // The browser refused its script the answer: an error the trace shows as such.
            Final::CorsBlocked => Outcome::Error,
        };
        ctx.end_span(r.msg.span, root_end);
        self.in_flight.add(&self.clock, now, -1.0);
        if outcome.is_success() {
            // Counted by the answer's time: the throughput of a saturated system is what it
            // serves, not the offered rate its backlog drains at after the end.
            self.ok += u64::from(self.clock.measured(now));
            self.latency
                .record(&self.clock, now, now - r.started, measured);
        } else {
            self.latency
                .record_failed(&self.clock, now, now - r.started, measured);
        }
        if measured {
            if let (Some(why), Some(b)) = (blocked, self.browsers.as_mut()) {
                b.blocked[why as usize] += 1;
            }
        }
        self.finals.add(&self.clock, outcome, now, measured);
    }

    pub fn start(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(t) = self.next_arrival(SimTime::ZERO) {
            ctx.schedule(t, NEXT_ARRIVAL);
        }
    }

    pub fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Timer(NEXT_ARRIVAL) => {
                self.arrive(ctx);
                if let Some(t) = self.next_arrival(ctx.now()) {
                    ctx.schedule(t - ctx.now(), NEXT_ARRIVAL);
                }
            }
            Input::Timer(req) => self.send(ctx, req as usize),
            Input::Reply(r) if r.tag & PREFLIGHT_TAG != 0 => {
                self.on_preflight(ctx, (r.tag & !PREFLIGHT_TAG) as usize, r.outcome)
            }
            Input::Reply(r) => self.on_reply(ctx, r.tag as usize, r.outcome),
            Input::Call(call, _) => {
                // Nothing calls a workload (the scenario graph has no edges into one); answer
                // rather than leave the caller hanging if that ever changes.
                ctx.reply(call, crate::status::INTERNAL_ERROR);
            }
        }
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Its sampling rule, if it traces.
    pub fn trace_rule(&self) -> Option<TraceRule> {
        self.spec.trace
    }

    /// How many of its requests it traced.
    pub fn sampled(&self) -> u64 {
        self.sampler.as_ref().map_or(0, |s| s.sampled)
    }

    /// Closes the recorders and hands over the workload's statistics and series.
    pub fn finish(&mut self) -> (MetricSet, Vec<(String, Vec<f64>)>) {
        let c = &self.clock;
        self.latency.finish();
        self.in_flight.finish(c);
        let secs = c.measured_secs();
        let total = self.arrivals.total();
        let mut m = MetricSet::default();
        m.count("requests.total", total);
        m.count("requests.attempts", self.attempts.total());
        m.count("requests.retries", self.retries.total());
        let mut failed = 0;
        for (label, n) in self.finals.iter() {
            m.count(format!("requests.by_status.{label}"), n.total());
            if !label.is_success() {
                failed += n.total();
            }
        }
        let latency = self.latency.summary();
        let mut latency_all = self.latency.failed_summary();
        latency_all.merge(&latency);
        m.hist("latency_ms", &latency);
        m.hist("latency_all_ms", &latency_all);
        m.gauge("offered_rps", total as f64 / secs);
        m.gauge("throughput_rps", self.ok as f64 / secs);
        m.gauge("error_rate", failed as f64 / total.max(1) as f64);
        m.gauge(
            "retry_amplification",
            self.attempts.total() as f64 / total.max(1) as f64,
        );
        m.gauge("in_flight_mean", self.in_flight.mean(c));
        if let Some(b) = &self.browsers {
            m.count("requests.preflights", b.preflights.total());
            m.count("requests.cors_blocked", b.blocked.iter().sum());
            let [failed, hidden, refused] = b.blocked;
            m.count("requests.cors_preflight_failed", failed);
            m.count("requests.cors_hidden_errors", hidden);
            m.count("requests.cors_origin_refused", refused);
        }

        let mut series: Vec<(String, Vec<f64>)> = [
            (&REQUESTS, self.arrivals.rate_series(c)),
            (&ATTEMPTS, self.attempts.rate_series(c)),
            (&RETRIES, self.retries.rate_series(c)),
            (&IN_FLIGHT, self.in_flight.mean_series(c)),
        ]
        .into_iter()
        .map(|(s, v)| (s.id.to_string(), v))
        .collect();
        if let Some(b) = &self.browsers {
            series.push((PREFLIGHTS.id.to_string(), b.preflights.rate_series(c)));
        }
        for (label, n) in self.finals.iter() {
            series.push((status_series(&label.to_string()), n.rate_series(c)));
        }
        // Without a failure, the share that failed and the latency of all requests say
        // nothing the other series do not: left out of the outputs (`stand_in` gives them).
        let any_failed = self.latency.has_failures();
        if any_failed {
            let share = self.finals.fraction_series(|label| !label.is_success());
            series.push((ERROR_RATE.id.to_string(), share));
        }
        series.extend(
            self.latency
                .series(&LATENCY)
                .into_iter()
                .chain(
                    any_failed
                        .then(|| self.latency.series_all(&LATENCY_ALL))
                        .into_iter()
                        .flatten(),
                )
                .map(|(s, v)| (s.id.to_string(), v)),
        );
        (m, series)
    }
}

/// The next arrival of a Poisson process with a time-varying rate, by thinning against a
/// piecewise bound. Where the rate equals its bound (all piecewise-constant profiles) every
/// candidate is accepted, so this is exact inversion at no extra cost.
fn next_nonhomogeneous(
    profile: &RateProfile,
    now: SimTime,
    end: SimTime,
    rng: &mut SimRng,
) -> Option<SimTime> {
    let mut t = now;
    while t < end {
        let (bound, seg_end) = profile.bound(t);
        if bound <= 0.0 {
            t = seg_end;
            continue;
        }
        let gap: f64 = Exp1.sample(rng);
        let cand = t + SimTime::from_secs_f64(gap / bound);
        if cand >= seg_end {
            // Memorylessness: restarting at the segment's end loses nothing.
            t = seg_end;
            continue;
        }
        t = cand;
        let rate = profile.rate_at(t);
        if rate >= bound || rng.random::<f64>() * bound < rate {
            return Some(t);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::stream;

    fn count_arrivals(profile: &RateProfile, from: SimTime, to: SimTime, seed: u64) -> usize {
        let mut rng = stream(seed, "t");
        let mut t = SimTime::ZERO;
        let mut n = 0;
        while let Some(next) = next_nonhomogeneous(profile, t, to, &mut rng) {
            t = next;
            if t >= from {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn step_profile_rates_hold_in_each_step() {
        // 100/s for 100 s then 1000/s for 100 s: expect 10,000 and 100,000 arrivals. Poisson
        // counts have sd = sqrt(mean): 100 and 316, so 4 sd is 4 % and 1.3 %.
        let p = RateProfile::Steps(
            vec![(SimTime::ZERO, 100.0), (SimTime::from_secs(100), 1000.0)].into(),
        );
        let first = count_arrivals(&p, SimTime::ZERO, SimTime::from_secs(100), 1);
        let second = count_arrivals(&p, SimTime::from_secs(100), SimTime::from_secs(200), 1);
        assert!((first as f64 - 10_000.0).abs() < 400.0, "{first}");
        assert!((second as f64 - 100_000.0).abs() < 1_300.0, "{second}");
    }

    #[test]
    fn ramp_and_diurnal_integrate_to_their_mean_rate() {
        // A ramp 0 → 1000/s over 100 s has mean 500/s: 50,000 arrivals, sd 224.
        let ramp = RateProfile::Ramp {
            from: 0.0,
            to: 1000.0,
            over: SimTime::from_secs(100),
        };
        let n = count_arrivals(&ramp, SimTime::ZERO, SimTime::from_secs(100), 2);
        assert!((n as f64 - 50_000.0).abs() < 1_000.0, "{n}");
        // A whole period of a sinusoid averages to its mean: 200/s × 100 s = 20,000, sd 141.
        let diurnal = RateProfile::Diurnal {
            mean: 200.0,
            amplitude: 150.0,
            period: SimTime::from_secs(100),
        };
        let n = count_arrivals(&diurnal, SimTime::ZERO, SimTime::from_secs(100), 3);
        assert!((n as f64 - 20_000.0).abs() < 600.0, "{n}");
        // And its first half (rate above the mean) gets more than its second.
        let first_half = count_arrivals(&diurnal, SimTime::ZERO, SimTime::from_secs(50), 3);
        assert!(first_half as f64 > 0.6 * n as f64, "{first_half} of {n}");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_stays_inside() {
        let mut rng = stream(1, "b");
        let mut b = crate::retry::Backoff {
            base: SimTime::from_millis(100),
            exponential: true,
            cap: SimTime::from_millis(500),
            jitter: Jitter::None,
        };
        let waits: Vec<u64> = (1..=5).map(|k| b.wait(k, &mut rng).0 / 1_000_000).collect();
        assert_eq!(waits, vec![100, 200, 400, 500, 500]);
        b.jitter = Jitter::Full;
        for _ in 0..1000 {
            assert!(b.wait(3, &mut rng) <= SimTime::from_millis(400));
        }
        b.jitter = Jitter::Equal;
        let p = RetryPolicy::by_hand(6, b, vec![503], false);
        for _ in 0..1000 {
            let w = p.backoff(3, Outcome::Status(503), &mut rng);
            assert!(w >= SimTime::from_millis(200) && w <= SimTime::from_millis(400));
        }
        assert!(p.retries(Outcome::Status(503)));
        assert!(!p.retries(Outcome::Status(500)));
        assert!(!p.retries(Outcome::Timeout));
    }
}
