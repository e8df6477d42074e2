//! Amazon API Gateway in front of one integration (usually a Lambda function).
//!
//! In order (aws-facts: §1 order applied): the API key and its usage plan (quota, then per-key
//! rate and burst), the method's throttle (its route's, by operation, or else the stage's
//! default, which every method gets on its own: "per-API, per-stage throttling limits are
//! applied at the API method level for a stage", `apigw:api-gateway-request-throttling.html`),
//! then the account's throttle, which every API Gateway of its Region shares. Each is a token
//! bucket; a refusal answers 429. Then the response cache (REST only), keyed by operation and item key,
//! so its hit ratio comes from the workload's key popularity. Then the integration, with the
//! integration timeout (504 on a REST API, 503 on an HTTP API): the route's own when the
//! request's operation has a route naming a `target` (each route of an API has its own
//! integration), else the API's `target`. When the integration is a
//! Lambda function, the Invoke API refusing the call (a throttle's 429, a denied permission, a
//! failed KMS decryption) becomes 500, and a function error 502 (REST) or 500 (HTTP); another
//! integration's status passes through.
//!
//! A browser's CORS preflight (aws-facts: §21 CORS) never reaches the integration. A REST
//! API answers it with the OPTIONS method "Enable CORS" adds, a MOCK integration: an
//! ordinary request of the OPTIONS method, through its stage throttle and the account's (a
//! 429 is a failed preflight) and billed. An HTTP API with a CORS configuration answers it itself; whether
//! that is throttled and billed the facts do not say (`cors.preflight_throttled`,
//! `cors.preflight_billed`, both true by default). An API with no CORS configuration
//! answers a preflight 403, as a REST API answers a method it does not have ("Missing
//! Authentication Token"): a choice, for an HTTP API too (whose `ANY` route would pass it to
//! an integration that does not answer CORS either).

mod admission;
mod config;
mod kind;

pub use admission::AccountThrottle;
pub use config::{ApiGatewayConfig, ApiType, CacheConfig, Throttle, UsagePlan};
use kind::{CACHE_HIT_RATIO, PREFLIGHTS, REQUESTS, RESPONSE, THROTTLED};

use super::lru::Lru;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token, PREFLIGHT};
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, EventLog, Latency, MetricSet};
use crate::status;
use admission::{Limits, Refusal};
use slab::Slab;
use std::collections::BTreeMap;

/// What the gateway's timers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// The gateway's own time for a request found in the cache is over: it is answered.
    CacheHit(usize),
    /// The gateway's own time for a CORS preflight is over: it is answered.
    Preflight(usize),
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::CacheHit(pending) => pack(0, pending as u64),
            Timer::Preflight(pending) => pack(1, pending as u64),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, pending) => Some(Timer::CacheHit(pending as usize)),
            (1, pending) => Some(Timer::Preflight(pending as usize)),
            _ => None,
        }
    }
}

impl ApiType {
    /// What a function error of the integration (a Lambda function that threw, timed out or
    /// answered malformed) is answered with. aws-facts: §1 Lambda proxy errors: REST 502; HTTP
    /// APIs 500 (observed, not documented).
    fn function_error(self) -> u16 {
        match self {
            ApiType::Rest => status::BAD_GATEWAY,
            ApiType::Http => status::INTERNAL_ERROR,
        }
    }

    /// What the integration timeout is answered with. aws-facts: §1 integration timeout: REST
    /// 504 (INTEGRATION_TIMEOUT); HTTP APIs 503 (observed, not documented).
    fn integration_timeout(self) -> u16 {
        match self {
            ApiType::Rest => status::GATEWAY_TIMEOUT,
            ApiType::Http => status::SERVICE_UNAVAILABLE,
        }
    }
}

/// The largest request payload API Gateway takes [bytes] (10 MB).
const MAX_PAYLOAD_BYTES: u64 = 10 * 1024 * 1024;

impl ApiGatewayConfig {
    /// Price per million requests. aws-facts: §1 pricing (first tier): REST $3.50, HTTP $1.00.
    fn price_per_million(&self) -> f64 {
        match self.api_type {
            ApiType::Rest => 3.50,
            ApiType::Http => 1.00,
        }
    }
}

struct Pending {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
    /// The integration it went to (an index in `ApiGateway::integrations`).
    integration: usize,
}

/// A running API Gateway API: its admission limits, response cache and integration.
pub struct ApiGateway {
    cfg: ApiGatewayConfig,
    clock: Clock,
    rng: SimRng,
    /// The API's integration, then each route's own, as `ApiGatewayConfig::calls` lists them.
    integrations: Vec<Edge>,
    /// Usage plan, route, stage and account limits.
    limits: Limits,
    cache: Option<Lru<(u16, u64), SimTime>>,
    pending: Slab<Pending>,
    // Recorders.
    requests: Counter,
    /// Answers to the requests it passed on, given within the measured period.
    served_in_period: u64,
    throttled: Counter,
    refusals: BTreeMap<Refusal, u64>,
    /// Requests refused with 403 (no API key) in the measured period.
    forbidden: u64,
    /// Requests counted in `requests` that API Gateway does not bill: refused by one of its
    /// throttles or for a missing API key, in the measured period.
    unbilled: u64,
    hits: Counter,
    misses: Counter,
    statuses: Counts<u16>,
    latency: Latency,
    integration_timeouts: u64,
    /// CORS preflights received, billed or not.
    preflights: Counter,
    /// Whether it reports its preflights: it has a CORS configuration or a browser calls it.
    reports_preflights: bool,
    events: EventLog,
}

impl ApiGateway {
    /// Builds it for one run; `account` is the account throttle every API of its Region
    /// shares.
    pub fn new(cfg: ApiGatewayConfig, env: BuildEnv, account: AccountThrottle) -> ApiGateway {
        let clock = env.clock;
        let integrations = env.edges;
        assert!(
            !integrations.is_empty(),
            "an API Gateway has its integration"
        );
        ApiGateway {
            limits: Limits::new(&cfg, account),
            cache: cfg.cache.as_ref().map(|c| Lru::new(c.capacity)),
            pending: Slab::new(),
            requests: Counter::new(&clock),
            served_in_period: 0,
            throttled: Counter::new(&clock),
            refusals: BTreeMap::new(),
            forbidden: 0,
            unbilled: 0,
            hits: Counter::new(&clock),
            misses: Counter::new(&clock),
            statuses: Counts::default(),
            latency: Latency::new(&clock),
            integration_timeouts: 0,
            preflights: Counter::new(&clock),
            reports_preflights: cfg.cors.is_some() || env.browsers,
            events: EventLog::new(&env.name),
            integrations,
            cfg,
            clock,
            rng: env.rng,
        }
    }

    fn cacheable(&self, msg: &Msg) -> bool {
        self.cfg
            .cache
            .as_ref()
            .is_some_and(|c| c.ops.contains(&msg.op))
    }

    /// Answers a request it passed on (to its integration, its cache or, for a preflight, its
    /// own CORS answer), whatever the status: counted in its throughput by the answer's time.
    fn answer(&mut self, ctx: &mut Ctx<'_>, p: Pending, status: u16) {
        self.served_in_period += u64::from(self.clock.measured(ctx.now()));
        self.refuse(ctx, p, status);
    }

    /// Answers a request with a refusal of its own (a throttle, a quota, a missing key, a
    /// payload too large), or, through `answer`, one it passed on.
    fn refuse(&mut self, ctx: &mut Ctx<'_>, p: Pending, status: u16) {
        let now = ctx.now();
        let measured = self.clock.measured(p.arrived);
        self.statuses.add(status, measured);
        if status == status::OK && p.msg.op != PREFLIGHT {
            self.latency
                .record(&self.clock, now, now - p.arrived, measured);
        }
        ctx.reply(p.call, status);
    }

    /// A browser's CORS preflight: counted, billed and throttled as the API's type and
    /// configuration say, then answered by the gateway after its own time.
    fn preflight(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.preflights.add(&self.clock, now, measured);
        let (billed, throttled) = self.cfg.cors.as_ref().map_or((true, true), |c| {
            (c.preflight_billed, c.preflight_throttled)
        });
        if billed {
            self.requests.add(&self.clock, now, measured);
        }
        let p = Pending {
            call,
            msg,
            arrived: now,
            integration: 0,
        };
        if throttled {
            if let Some(refusal) = self.limits.admit_preflight(now) {
                self.throttled.add(&self.clock, now, measured);
                if measured {
                    *self.refusals.entry(refusal).or_insert(0) += 1;
                    if billed {
                        self.unbilled += 1;
                    }
                }
                return self.refuse(ctx, p, refusal.status());
            }
        }
        let idx = self.pending.insert(p);
        let overhead = self.cfg.overhead.sample_time(&mut self.rng);
        ctx.schedule(overhead, Timer::Preflight(idx).encode());
    }
}

impl Component for ApiGateway {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Call(call, msg) if msg.op == PREFLIGHT => self.preflight(ctx, call, msg),
            Input::Call(call, msg) => {
                let measured = self.clock.measured(now);
                self.requests.add(&self.clock, now, measured);
                // aws-facts is silent; `apigw:limits.html`: a payload is at most 10 MB, not
                // raisable. Refused before the throttles take a token: a choice, AWS does
                // not say in which order.
                if u64::from(msg.size_bytes) > MAX_PAYLOAD_BYTES {
                    let p = Pending {
                        call,
                        msg,
                        arrived: now,
                        integration: 0,
                    };
                    self.refuse(ctx, p, status::PAYLOAD_TOO_LARGE);
                    return;
                }
                if let Some(refusal) = self.limits.admit(now, &msg) {
                    // A missing key is refused (403), not throttled (429): it is counted
                    // apart, so that the throttle figures mean throttles.
                    if refusal.status() == status::TOO_MANY_REQUESTS {
                        self.throttled.add(&self.clock, now, measured);
                    } else if measured {
                        self.forbidden += 1;
                    }
                    if measured {
                        *self.refusals.entry(refusal).or_insert(0) += 1;
                        // Neither is billed: see `billed_requests` in `finish`.
                        self.unbilled += 1;
                    }
                    let p = Pending {
                        call,
                        msg,
                        arrived: now,
                        integration: 0,
                    };
                    self.refuse(ctx, p, refusal.status());
                    return;
                }
                let mut hit = false;
                if self.cacheable(&msg) {
                    let fresh = self
                        .cache
                        .as_mut()
                        .and_then(|c| c.get(&(msg.op, msg.key)).copied())
                        .is_some_and(|exp| exp > now);
                    if fresh {
                        hit = true;
                        self.hits.add(&self.clock, now, measured);
                    } else {
                        self.misses.add(&self.clock, now, measured);
                    }
                }
                // aws-facts: §1: each route has its own integration; an operation whose route
                // names none goes to the API's.
                let integration = self
                    .cfg
                    .route_targets
                    .iter()
                    .find(|(op, _)| *op == msg.op)
                    .map_or(0, |(_, i)| *i);
                let idx = self.pending.insert(Pending {
                    call,
                    msg,
                    arrived: now,
                    integration,
                });
                let overhead = self.cfg.overhead.sample_time(&mut self.rng);
                if hit {
                    ctx.schedule(overhead, Timer::CacheHit(idx).encode());
                } else {
                    // The gateway's own time is spent before the request leaves for the
                    // integration, whose timeout starts then.
                    self.integrations[integration].call_after(
                        ctx,
                        &mut self.rng,
                        msg,
                        idx as u64,
                        overhead,
                    );
                }
            }
            Input::Timer(t) => match Timer::decode(t) {
                Some(Timer::CacheHit(idx)) => {
                    let p = self.pending.remove(idx);
                    self.answer(ctx, p, status::OK);
                }
                Some(Timer::Preflight(idx)) => {
                    let p = self.pending.remove(idx);
                    // Without CORS the gateway refuses the preflight itself: not served.
                    if self.cfg.cors.is_some() {
                        self.answer(ctx, p, status::OK);
                    } else {
                        self.refuse(ctx, p, status::FORBIDDEN);
                    }
                }
                None => {}
            },
            Input::Reply(r) => {
                let p = self.pending.remove(r.tag as usize);
                let status = match r.outcome {
                    Outcome::Status(s) if status::is_success(s) => {
                        if self.cacheable(&p.msg) {
                            let ttl = self.cfg.cache.as_ref().map_or(SimTime::ZERO, |c| c.ttl);
                            if ttl > SimTime::ZERO {
                                if let Some(c) = self.cache.as_mut() {
                                    c.put((p.msg.op, p.msg.key), now + ttl);
                                }
                            }
                        }
                        s
                    }
                    // aws-facts: §1 Lambda proxy errors: the Invoke API refusing the call (a
                    // throttle's 429, a denied permission, a failed KMS decryption, a payload
                    // too large) is 500 on both kinds of API. Any other integration's status
                    // is passed through (an HTTP proxy's backend).
                    Outcome::Status(_) if self.cfg.lambda_targets[p.integration] => {
                        status::INTERNAL_ERROR
                    }
                    Outcome::Status(s) => s,
                    Outcome::Error => self.cfg.api_type.function_error(),
                    Outcome::Timeout => {
                        if self.clock.measured(p.arrived) {
                            self.integration_timeouts += 1;
                        }
                        self.cfg.api_type.integration_timeout()
                    }
                };
                self.answer(ctx, p, status);
            }
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.latency.finish();
        let mut m = MetricSet::default();
        let requests = self.requests.total();
        m.count("requests", requests);
        m.count("throttled", self.throttled.total());
        m.count("forbidden", self.forbidden);
        for r in Refusal::ALL {
            let n = self.refusals.get(&r).copied().unwrap_or(0);
            m.count(format!("throttled_by.{}", r.name()), n);
        }
        m.count("integration_timeouts", self.integration_timeouts);
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        if self.cache.is_some() {
            let (h, mi) = (self.hits.total(), self.misses.total());
            m.count("cache_hits", h);
            m.count("cache_misses", mi);
            m.gauge("cache_hit_ratio", h as f64 / (h + mi).max(1) as f64);
        }
        m.gauge("arrival_rps", requests as f64 / c.measured_secs());
        // By the answer's time, as a service's: what it served, not what it refused.
        m.gauge(
            "throughput_rps",
            self.served_in_period as f64 / c.measured_secs(),
        );
        m.gauge(
            "throttled_fraction",
            self.throttled.total() as f64 / requests.max(1) as f64,
        );
        // aws-facts is silent. API Gateway's pricing page says only "you pay only for the API
        // calls you receive"; its developer guide's pricing page, until AWS removed it in
        // January 2022, listed the exceptions: "API Gateway-throttled requests are not charged
        // when the request rate or burst rate exceeds the preconfigured limits", nor "usage
        // plan-throttled requests", nor "calls to methods that require API keys … when API
        // keys are missing or invalid" (`apigw:api-gateway-pricing.html`, last in
        // gh:awsdocs/amazon-api-gateway-developer-guide doc_source/api-gateway-pricing.md,
        // 2022-01-11). No later statement says otherwise, so those refusals are not billed.
        // A refusal of the integration (a Lambda throttle behind it) is billed: the gateway
        // called it.
        let billed = requests - self.unbilled;
        m.count("billed_requests", billed);
        m.gauge(
            "cost_usd",
            billed as f64 / 1e6 * self.cfg.price_per_million(),
        );
        m.hist("response_ms", &self.latency.summary());
        let mut series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&THROTTLED, self.throttled.rate_series(c)),
        ];
        if self.reports_preflights {
            m.count("preflights", self.preflights.total());
            series.push((&PREFLIGHTS, self.preflights.rate_series(c)));
        }
        if self.cache.is_some() {
            let ratio = self.hits.share_series(&self.misses);
            series.push((&CACHE_HIT_RATIO, ratio));
        }
        series.extend(self.latency.series(&RESPONSE));
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn timers_survive_the_kernel(pending in 0usize..(1 << 40)) {
            let t = Timer::CacheHit(pending);
            prop_assert_eq!(crate::components::token_round_trip(t), Ok(()));
            let t = Timer::Preflight(pending);
            prop_assert_eq!(crate::components::token_round_trip(t), Ok(()));
        }
    }
}
