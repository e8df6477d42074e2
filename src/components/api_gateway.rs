//! Amazon API Gateway in front of one integration (usually a Lambda function).
//!
//! In order (aws-facts: §1 order applied): the API key and its usage plan (quota, then per-key
//! rate and burst), the route's throttle (by operation), the stage's throttle, then the
//! account's throttle, which every API Gateway in the scenario shares. Each is a token bucket;
//! a refusal answers 429. Then the response cache (REST only), keyed by operation and item key,
//! so its hit ratio comes from the workload's key popularity. Then the integration, with the
//! integration timeout (504). A Lambda throttle (429) becomes 500 and a function error 502.

use super::kind::{
    Category, Column, Kind, KindInfo, LatencySeries, PlotLine, PlotPanel, Series, Tone, Unit,
};
use super::lru::Lru;
use super::token_bucket::TokenBucket;
use super::{BuildEnv, CallSpec, Component, ComponentReport, Edge, Shared};
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, MetricSet, WindowedCounts};
use serde::Deserialize;
use slab::Slab;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApiGateway {
    #[serde(rename = "type")]
    api_type: Option<Spanned<String>>,
    target: Spanned<String>,
    integration_timeout: Option<Spanned<String>>,
    overhead: Option<Spanned<RawDist>>,
    throttle: Option<Spanned<RawThrottle>>,
    #[serde(default)]
    routes: Vec<Spanned<RawRoute>>,
    usage_plan: Option<Spanned<RawUsagePlan>>,
    require_api_key: Option<bool>,
    cache: Option<Spanned<RawCache>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThrottle {
    rate: Spanned<f64>,
    burst: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    op: Spanned<String>,
    rate: Spanned<f64>,
    burst: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsagePlan {
    rate: Spanned<f64>,
    burst: Spanned<i64>,
    quota: Option<Spanned<i64>>,
    period: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    ttl: Option<Spanned<String>>,
    capacity: Option<Spanned<i64>>,
    ops: Option<Vec<Spanned<String>>>,
}

/// REST APIs have caches, usage plans and a 29 s integration timeout; HTTP APIs are cheaper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiType {
    Rest,
    Http,
}

#[derive(Clone, Copy, Debug)]
pub struct Throttle {
    pub rate: f64,
    pub burst: u64,
}

#[derive(Clone, Debug)]
pub struct UsagePlan {
    pub throttle: Throttle,
    /// Requests per key per period.
    pub quota: Option<(u64, SimTime)>,
}

#[derive(Clone, Debug)]
pub struct CacheConfig {
    pub ttl: SimTime,
    /// Entries the cache holds before evicting the least recently used.
    pub capacity: usize,
    /// Operations whose responses are cached (AWS caches GET only by default).
    pub ops: Vec<u16>,
}

#[derive(Clone, Debug)]
pub struct ApiGatewayConfig {
    pub api_type: ApiType,
    /// The integration: exactly one downstream call, with the integration timeout.
    pub calls: Vec<CallSpec>,
    /// Time the gateway itself adds to each request [s].
    pub overhead: Dist,
    pub throttle: Option<Throttle>,
    pub routes: Vec<(u16, Throttle)>,
    pub usage_plan: Option<UsagePlan>,
    pub require_api_key: bool,
    pub cache: Option<CacheConfig>,
}

fn throttle(
    ck: &mut Checker,
    rate: &Spanned<f64>,
    burst: &Spanned<i64>,
    what: &str,
) -> Option<Throttle> {
    let r = ck.positive(rate, &format!("{what}.rate"), "requests per second");
    let b = ck.int_in(burst, &format!("{what}.burst"), 1, 1_000_000_000);
    Some(Throttle {
        rate: r?,
        burst: b? as u64,
    })
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<ApiGatewayConfig> {
    let raw: RawApiGateway = ck.deserialize(table)?;
    let api_type = match &raw.api_type {
        None => Some(ApiType::Rest),
        Some(t) => ck.one_of(t, "type", &["rest", "http"]).map(|t| {
            if t == "rest" {
                ApiType::Rest
            } else {
                ApiType::Http
            }
        }),
    };
    let target = ck.component(&raw.target, "target");
    // aws-facts: §1 integration timeout: REST 50 ms to 29 s (more by quota request since
    // 2024-06 for Regional APIs), HTTP API at most 30 s.
    let timeout = match &raw.integration_timeout {
        None => Some(SimTime::from_secs(29)),
        Some(t) => {
            let d = ck.positive_duration(t, "integration_timeout");
            if let Some(d) = d {
                if d < SimTime::from_millis(50) || d > SimTime::from_secs(300) {
                    ck.error(t.span(), format!("`integration_timeout` ({d}) must be from 50ms to 300s (29s by default; above 29s needs a quota increase)"));
                    return None;
                }
            }
            d
        }
    };
    // The facts give no figure for the gateway's own latency; a few milliseconds is what its
    // `Latency - IntegrationLatency` metrics usually show. Configurable as `overhead`.
    let overhead = match &raw.overhead {
        None => Some(Dist::Constant(0.005)),
        Some(o) => ck.time_dist(o, "overhead"),
    };
    let stage = match &raw.throttle {
        None => Some(None),
        Some(t) => throttle(ck, &t.get_ref().rate, &t.get_ref().burst, "throttle").map(Some),
    };
    let mut routes = Vec::new();
    let mut ok = true;
    for r in &raw.routes {
        let r = r.get_ref();
        match throttle(ck, &r.rate, &r.burst, "routes") {
            Some(t) => routes.push((ck.op(r.op.get_ref()), t)),
            None => ok = false,
        }
    }
    let usage_plan = match &raw.usage_plan {
        None => Some(None),
        Some(p) => {
            let pr = p.get_ref();
            let t = throttle(ck, &pr.rate, &pr.burst, "usage_plan");
            let quota = match (&pr.quota, &pr.period) {
                (None, None) => Some(None),
                (Some(q), period) => {
                    let n = ck.int_in(q, "usage_plan.quota", 1, i64::MAX);
                    let per = match period {
                        None => Some(SimTime::from_secs(86_400)),
                        Some(s) => ck
                            .one_of(s, "usage_plan.period", &["day", "week", "month"])
                            .map(|p| match p {
                                "day" => SimTime::from_secs(86_400),
                                "week" => SimTime::from_secs(7 * 86_400),
                                _ => SimTime::from_secs(30 * 86_400),
                            }),
                    };
                    n.zip(per).map(|(n, p)| Some((n as u64, p)))
                }
                (None, Some(s)) => {
                    ck.error(s.span(), "`usage_plan.period` needs a `quota`");
                    None
                }
            };
            t.zip(quota)
                .map(|(throttle, quota)| Some(UsagePlan { throttle, quota }))
        }
    };
    let cache = match &raw.cache {
        None => Some(None),
        Some(c) => {
            let cr = c.get_ref();
            // aws-facts: §1 cache: default TTL 300 s, at most 3,600 s, 0 disables.
            let ttl = match &cr.ttl {
                None => Some(SimTime::from_secs(300)),
                Some(t) => {
                    let d = ck.duration(t, "cache.ttl");
                    match d {
                        Some(d) if d > SimTime::from_secs(3600) => {
                            ck.error(t.span(), format!("`cache.ttl` ({d}) must be at most 3600s"));
                            None
                        }
                        d => d,
                    }
                }
            };
            let capacity = match &cr.capacity {
                None => Some(100_000),
                Some(n) => ck.int_in(n, "cache.capacity", 1, crate::limits::MAX_CACHE_ENTRIES),
            };
            let ops = match &cr.ops {
                None => vec![ck.op("read")],
                Some(list) => list.iter().map(|o| ck.op(o.get_ref())).collect(),
            };
            if matches!(api_type, Some(ApiType::Http)) {
                ck.error(
                    c.span(),
                    "`cache` exists only on REST APIs (type = \"rest\")",
                );
                None
            } else {
                ttl.zip(capacity).map(|(ttl, capacity)| {
                    Some(CacheConfig {
                        ttl,
                        capacity: capacity as usize,
                        ops,
                    })
                })
            }
        }
    };
    if matches!(api_type, Some(ApiType::Http)) {
        if let Some(p) = &raw.usage_plan {
            ck.error(
                p.span(),
                "usage plans and API keys exist only on REST APIs (type = \"rest\")",
            );
            ok = false;
        }
    }
    let require_api_key = raw.require_api_key.unwrap_or(false);
    ok.then_some(())?;
    Some(ApiGatewayConfig {
        api_type: api_type?,
        calls: vec![CallSpec {
            to: target?,
            op: super::OpChoice::Inherit,
            probability: 1.0,
            timeout: Some(timeout?),
            latency: None,
            // aws-facts: §1 Lambda proxy errors: API Gateway does not retry its integration.
            retry: Some(crate::retry::RetryPolicy::none()),
        }],
        overhead: overhead?,
        throttle: stage?,
        routes,
        usage_plan: usage_plan?,
        require_api_key,
        cache: cache?,
    })
}

const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
const THROTTLED: Series = Series {
    id: "throttled_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 429 by a throttle or a quota",
};
const CACHE_HIT_RATIO: Series = Series {
    id: "cache_hit_ratio",
    unit: Unit::Share,
    about: "share of cacheable requests answered from the cache",
};
static RESPONSE: LatencySeries = LatencySeries {
    p50: Series {
        id: "response_p50_ms",
        unit: Unit::Milliseconds,
        about: "median time from arrival to answer",
    },
    p95: Series {
        id: "response_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the time from arrival to answer",
    },
    p99: Series {
        id: "response_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the time from arrival to answer",
    },
};

impl Kind for ApiGatewayConfig {
    const INFO: &'static KindInfo = &KindInfo {
        name: "api_gateway",
        title: "Amazon API Gateway",
        noun: "an API Gateway API",
        category: Category::Networking,
        about: "a REST or HTTP API: usage plans and API keys, route, stage and account throttles, the REST cache and the integration timeout",
        keys: &[],
        faults: &[],
        series: &[&REQUESTS, &THROTTLED, &CACHE_HIT_RATIO, &RESPONSE.p50, &RESPONSE.p95, &RESPONSE.p99],
        fields: &[],
        columns: &[
            Column {
                label: "throttled",
                field: "throttled_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "cache hits",
                field: "cache_hit_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "integration timeouts (504)",
                field: "integration_timeouts",
                unit: Unit::Count,
            },
            Column {
                label: "late replies",
                field: "late_replies",
                unit: Unit::Count,
            },
            Column {
                label: "cost",
                field: "cost_usd",
                unit: Unit::Usd,
            },
        ],
        panels: &[
            PlotPanel {
                axis: "requests/s",
                lines: &[
                    PlotLine {
                        series: &REQUESTS,
                        label: "received",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &THROTTLED,
                        label: "throttled (429)",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "cache hit ratio [%]",
                lines: &[
                    PlotLine {
                        series: &CACHE_HIT_RATIO,
                        label: "hits",
                        tone: Tone::Good,
                        scale: 100.0,
                    },
                ],
                y_max: Some(105.0),
            },
        ],
        events: &[],
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        parse(table, ck)
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let _ = (index, shared);
        Box::new(ApiGateway::new(
            self.clone(),
            env,
            shared.api_gateway.clone(),
        ))
    }
}

impl ApiGatewayConfig {
    fn lines(&self) -> Vec<String> {
        let kind = match self.api_type {
            ApiType::Rest => "REST",
            ApiType::Http => "HTTP",
        };
        let mut first = format!("{kind} API");
        if let Some(t) = self.throttle {
            first.push_str(&format!(", {} rps / {} burst", t.rate, t.burst));
        }
        let mut lines = vec![first];
        if let Some(c) = &self.cache {
            lines.push(format!("cache, TTL {}", c.ttl));
        }
        if let Some(p) = &self.usage_plan {
            lines.push(format!("usage plan {} rps per key", p.throttle.rate));
        }
        lines
    }

    /// Price per million requests. aws-facts: §1 pricing (first tier): REST $3.50, HTTP $1.00.
    fn price_per_million(&self) -> f64 {
        match self.api_type {
            ApiType::Rest => 3.50,
            ApiType::Http => 1.00,
        }
    }
}

/// The account-wide throttle every API Gateway of a scenario shares.
pub type AccountThrottle = Rc<RefCell<TokenBucket>>;

/// Why a request was throttled, for the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Refusal {
    NoKey,
    Quota,
    Key,
    Route,
    Stage,
    Account,
}

impl Refusal {
    fn name(self) -> &'static str {
        match self {
            Refusal::NoKey => "missing_api_key",
            Refusal::Quota => "quota",
            Refusal::Key => "api_key",
            Refusal::Route => "route",
            Refusal::Stage => "stage",
            Refusal::Account => "account",
        }
    }
}

struct KeyState {
    bucket: TokenBucket,
    period: u64,
    used: u64,
}

struct Pending {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
}

pub struct ApiGateway {
    cfg: ApiGatewayConfig,
    clock: Clock,
    rng: SimRng,
    integration: Edge,
    account: AccountThrottle,
    stage: Option<TokenBucket>,
    routes: Vec<(u16, TokenBucket)>,
    keys: BTreeMap<u32, KeyState>,
    cache: Option<Lru<(u16, u64), SimTime>>,
    pending: Slab<Pending>,
    // Recorders.
    requests: Counter,
    throttled: Counter,
    refusals: BTreeMap<Refusal, u64>,
    hits: Counter,
    misses: Counter,
    statuses: WindowedCounts<u16>,
    latency: Latency,
    integration_timeouts: u64,
    events: EventLog,
}

impl ApiGateway {
    pub fn new(cfg: ApiGatewayConfig, env: BuildEnv, account: AccountThrottle) -> ApiGateway {
        let clock = env.clock;
        let integration = env
            .edges
            .into_iter()
            .next()
            .expect("an API Gateway has its integration");
        ApiGateway {
            stage: cfg.throttle.map(|t| TokenBucket::new(t.rate, t.burst)),
            routes: cfg
                .routes
                .iter()
                .map(|(op, t)| (*op, TokenBucket::new(t.rate, t.burst)))
                .collect(),
            keys: BTreeMap::new(),
            cache: cfg.cache.as_ref().map(|c| Lru::new(c.capacity)),
            pending: Slab::new(),
            requests: Counter::new(&clock),
            throttled: Counter::new(&clock),
            refusals: BTreeMap::new(),
            hits: Counter::new(&clock),
            misses: Counter::new(&clock),
            statuses: WindowedCounts::default(),
            latency: Latency::new(&clock),
            integration_timeouts: 0,
            events: EventLog::new(&env.name),
            integration,
            account,
            cfg,
            clock,
            rng: env.rng,
        }
    }

    /// The first limit that refuses this request, if any; tokens are taken only when every
    /// limit admits it, as a refused request consumes nothing further down.
    fn admit(&mut self, now: SimTime, msg: &Msg) -> Option<Refusal> {
        if msg.client == 0 && (self.cfg.require_api_key || self.cfg.usage_plan.is_some()) {
            return Some(Refusal::NoKey);
        }
        if let Some(plan) = &self.cfg.usage_plan {
            let st = self.keys.entry(msg.client).or_insert_with(|| KeyState {
                bucket: TokenBucket::new(plan.throttle.rate, plan.throttle.burst),
                period: 0,
                used: 0,
            });
            if let Some((quota, per)) = plan.quota {
                let period = now.0 / per.0;
                if period != st.period {
                    st.period = period;
                    st.used = 0;
                }
                if st.used >= quota {
                    return Some(Refusal::Quota);
                }
            }
            if !st.bucket.has_token(now) {
                return Some(Refusal::Key);
            }
        }
        let route = self.routes.iter_mut().position(|(op, _)| *op == msg.op);
        if let Some(r) = route {
            if !self.routes[r].1.has_token(now) {
                return Some(Refusal::Route);
            }
        }
        if let Some(s) = &mut self.stage {
            if !s.has_token(now) {
                return Some(Refusal::Stage);
            }
        }
        if !self.account.borrow_mut().try_take(now) {
            return Some(Refusal::Account);
        }
        // Admitted: take the tokens the checks above only looked at.
        if let Some(s) = &mut self.stage {
            s.try_take(now);
        }
        if let Some(r) = route {
            self.routes[r].1.try_take(now);
        }
        if self.cfg.usage_plan.is_some() {
            if let Some(st) = self.keys.get_mut(&msg.client) {
                st.bucket.try_take(now);
                st.used += 1;
            }
        }
        None
    }

    fn cacheable(&self, msg: &Msg) -> bool {
        self.cfg
            .cache
            .as_ref()
            .is_some_and(|c| c.ops.contains(&msg.op))
    }

    fn answer(&mut self, ctx: &mut Ctx<'_>, p: Pending, status: u16) {
        let now = ctx.now();
        let measured = self.clock.measured(p.arrived);
        self.statuses.add(&self.clock, status, now, measured);
        if status == 200 {
            self.latency
                .record(&self.clock, now, now - p.arrived, measured);
        }
        ctx.reply(p.call, status);
    }
}

impl Component for ApiGateway {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Call(call, msg) => {
                let measured = self.clock.measured(now);
                self.requests.add(&self.clock, now, measured);
                if let Some(refusal) = self.admit(now, &msg) {
                    self.throttled.add(&self.clock, now, measured);
                    if measured {
                        *self.refusals.entry(refusal).or_insert(0) += 1;
                    }
                    // aws-facts: §1 gateway responses: THROTTLED and QUOTA_EXCEEDED are 429;
                    // a missing or invalid API key is 403.
                    let status = if refusal == Refusal::NoKey { 403 } else { 429 };
                    let p = Pending {
                        call,
                        msg,
                        arrived: now,
                    };
                    self.answer(ctx, p, status);
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
                let idx = self.pending.insert(Pending {
                    call,
                    msg,
                    arrived: now,
                });
                let overhead = self.cfg.overhead.sample_time(&mut self.rng);
                if hit {
                    ctx.schedule(overhead, idx as u64);
                } else {
                    // The gateway's own time is spent before the request leaves for the
                    // integration, whose timeout starts then.
                    self.integration
                        .call_after(ctx, &mut self.rng, msg, idx as u64, overhead);
                }
            }
            Input::Timer(idx) => {
                // A cache hit, answered once the gateway's own time has passed.
                let p = self.pending.remove(idx as usize);
                self.answer(ctx, p, 200);
            }
            Input::Reply(r) => {
                let p = self.pending.remove(r.tag as usize);
                // aws-facts: §1 Lambda proxy errors: the Invoke API refusing (a throttle, 429)
                // is 500; a function error or timeout is 502; the integration timeout is 504.
                let status = match r.outcome {
                    Outcome::Status(s) if (200..300).contains(&s) => {
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
                    Outcome::Status(429) => 500,
                    Outcome::Status(s) => s,
                    Outcome::Timeout => {
                        if self.clock.measured(p.arrived) {
                            self.integration_timeouts += 1;
                        }
                        504
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
        for (r, n) in &self.refusals {
            m.count(format!("throttled_by.{}", r.name()), *n);
        }
        m.count("integration_timeouts", self.integration_timeouts);
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n.total());
        }
        if self.cache.is_some() {
            let (h, mi) = (self.hits.total(), self.misses.total());
            m.count("cache_hits", h);
            m.count("cache_misses", mi);
            m.gauge("cache_hit_ratio", h as f64 / (h + mi).max(1) as f64);
        }
        m.gauge("throughput_rps", requests as f64 / c.measured_secs());
        m.gauge(
            "throttled_fraction",
            self.throttled.total() as f64 / requests.max(1) as f64,
        );
        m.gauge(
            "cost_usd",
            requests as f64 / 1e6 * self.cfg.price_per_million(),
        );
        m.hist("response_ms", self.latency.summary());
        let mut series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&THROTTLED, self.throttled.rate_series(c)),
        ];
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
