//! The `api_gateway` table: its keys as written, and the validated config.

use crate::components::cors::{self, CorsRules};
use crate::components::OpChoice;
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker};
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::retry::{RetryPolicy, RetrySpec};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApiGateway {
    #[serde(rename = "type")]
    api_type: Option<Spanned<String>>,
    target: Spanned<String>,
    integration_timeout: Option<Spanned<String>>,
    integration_mode: Option<Spanned<String>>,
    overhead: Option<Spanned<RawDist>>,
    throttle: Option<Spanned<RawThrottle>>,
    #[serde(default)]
    routes: Vec<Spanned<RawRoute>>,
    usage_plan: Option<Spanned<RawUsagePlan>>,
    require_api_key: Option<Spanned<bool>>,
    cache: Option<Spanned<RawCache>>,
    cors: Option<Spanned<RawCors>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCors {
    allow_origins: Option<Vec<Spanned<String>>>,
    max_age: Option<Spanned<i64>>,
    gateway_responses_have_cors: Option<Spanned<bool>>,
    preflight_billed: Option<Spanned<bool>>,
    preflight_throttled: Option<Spanned<bool>>,
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
    rate: Option<Spanned<f64>>,
    burst: Option<Spanned<i64>>,
    target: Option<Spanned<String>>,
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
    /// A REST API: usage plans, API keys and a response cache; $3.50 per million requests.
    Rest,
    /// An HTTP API: none of those; $1.00 per million requests.
    Http,
}

/// A token bucket's settings.
#[derive(Clone, Copy, Debug)]
pub struct Throttle {
    /// Tokens added per second, one a request [requests/s].
    pub rate: f64,
    /// Tokens the bucket holds, full at the start [requests].
    pub burst: u64,
}

/// A usage plan: the limits each API key gets.
#[derive(Clone, Debug)]
pub struct UsagePlan {
    /// Each key's own rate and burst.
    pub throttle: Throttle,
    /// Requests per key per period [requests] and the period [s].
    pub quota: Option<(u64, SimTime)>,
}

/// The response cache of a REST API.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    /// How long a response stays fresh [s]; zero caches nothing.
    pub ttl: SimTime,
    /// Entries the cache holds before evicting the least recently used [entries].
    pub capacity: usize,
    /// Operations whose responses are cached (AWS caches GET only by default), interned.
    pub ops: Vec<u16>,
}

/// The API's CORS configuration (aws-facts: §21 CORS).
#[derive(Clone, Debug)]
pub struct GatewayCors {
    /// The origins it allows and the max-age its preflight answers carry.
    pub rules: CorsRules,
    /// Whether its gateway responses (429, 5xx) carry the CORS headers.
    pub gateway_responses_have_cors: bool,
    /// Whether a preflight is billed as a request. A REST API's preflight is its OPTIONS
    /// method, billed like any; for an HTTP API the facts are silent: a choice, true.
    pub preflight_billed: bool,
    /// Whether a preflight draws on the stage's and account's throttles (and can get a 429).
    /// REST: yes, it is a method; HTTP: the facts are silent: a choice, true.
    pub preflight_throttled: bool,
}

/// A validated `api_gateway`.
#[derive(Clone, Debug)]
pub struct ApiGatewayConfig {
    /// REST or HTTP API.
    pub api_type: ApiType,
    /// The integrations, each with the integration timeout: the API's `target` first, then
    /// each other component a route names as its `target`, once each, in the order written.
    pub calls: Vec<CallSpec>,
    /// Time the gateway itself adds to each request [s].
    pub overhead: Dist,
    /// The stage's throttle; `None`: only the account's applies.
    pub throttle: Option<Throttle>,
    /// Throttles by operation (interned), applied before the stage's.
    pub routes: Vec<(u16, Throttle)>,
    /// Operations (interned) whose route has an integration of its own: the index in `calls`
    /// of that integration. Every other operation goes to `calls[0]`, the API's `target`.
    pub route_targets: Vec<(u16, usize)>,
    /// Limits per API key, applied first; requests then need a key.
    pub usage_plan: Option<UsagePlan>,
    /// Whether requests without an API key are refused (403).
    pub require_api_key: bool,
    /// The response cache (REST only).
    pub cache: Option<CacheConfig>,
    /// Its CORS configuration; `None`: it has none, and a browser's preflight is refused.
    pub cors: Option<GatewayCors>,
    /// Whether each integration (as in `calls`) invokes a Lambda function (set once the
    /// scenario's components are known): then any refusal by the Invoke API is answered 500.
    pub lambda_targets: Vec<bool>,
}

// aws-facts: §1 integration timeout: REST 50 ms to 29 s (more by quota request since 2024-06
// for Regional APIs), HTTP API at most 30 s.
pub const DEFAULT_INTEGRATION_TIMEOUT: SimTime = SimTime::from_secs(29);
pub const MIN_INTEGRATION_TIMEOUT: SimTime = SimTime::from_millis(50);
pub const MAX_INTEGRATION_TIMEOUT: SimTime = SimTime::from_secs(300);
/// aws-facts: §1 integration timeout: an HTTP API's is at most 30 s, not raisable. A new HTTP
/// API integration gets the most it allows (30 s, in the API reference's `TimeoutInMillis`).
pub const HTTP_INTEGRATION_TIMEOUT: SimTime = SimTime::from_secs(30);
/// The largest burst of any throttle [requests].
pub const MAX_BURST: i64 = 1_000_000_000;
/// The words of a usage plan's `period`, and their lengths [s]: AWS's DAY, WEEK and MONTH (a
/// month taken as 30 days).
pub const PERIODS: [(&str, u64); 3] = [
    ("day", 86_400),
    ("week", 7 * 86_400),
    ("month", 30 * 86_400),
];
pub const PERIOD_NAMES: [&str; 3] = [PERIODS[0].0, PERIODS[1].0, PERIODS[2].0];
// aws-facts: §1 cache: default TTL 300 s, at most 3,600 s, 0 disables.
pub const DEFAULT_CACHE_TTL: SimTime = SimTime::from_secs(300);
pub const MAX_CACHE_TTL: SimTime = SimTime::from_secs(3600);
pub const DEFAULT_CACHE_CAPACITY: i64 = 100_000;
/// What an operation in a cache's `ops` means, for the warning about a near name.
const CACHED: &str = "an API's `cache.ops`, and it caches no other operation";

/// The gateway's own latency when `overhead` is not given [s]. The facts give no figure; a
/// few milliseconds is what its `Latency - IntegrationLatency` metrics usually show.
fn default_overhead() -> Dist {
    Dist::Constant(0.005)
}

fn throttle(
    ck: &mut Checker,
    rate: &Spanned<f64>,
    burst: &Spanned<i64>,
    what: &str,
) -> Option<Throttle> {
    let r = ck.positive(rate, &format!("{what}.rate"), "requests per second");
    let b = ck.int_in(burst, &format!("{what}.burst"), 1, MAX_BURST);
    Some(Throttle {
        rate: r?,
        burst: b? as u64,
    })
}

/// The integration timeout of `integration_timeout`: REST 50 ms to 300 s (29 s by default),
/// HTTP 50 ms to 30 s (30 s by default).
fn integration_timeout(
    ck: &mut Checker,
    t: &Option<Spanned<String>>,
    api_type: Option<ApiType>,
) -> Option<SimTime> {
    let http = api_type == Some(ApiType::Http);
    let default = if http {
        HTTP_INTEGRATION_TIMEOUT
    } else {
        DEFAULT_INTEGRATION_TIMEOUT
    };
    let timeout = ck.positive_duration_or(t, "integration_timeout", default);
    if let (Some(d), Some(t)) = (timeout, t) {
        if http && !(MIN_INTEGRATION_TIMEOUT..=HTTP_INTEGRATION_TIMEOUT).contains(&d) {
            ck.error(t.span(), format!("`integration_timeout` ({d}) of an HTTP API must be from 50ms to 30s, which cannot be raised"));
            return None;
        }
        if !(MIN_INTEGRATION_TIMEOUT..=MAX_INTEGRATION_TIMEOUT).contains(&d) {
            ck.error(t.span(), format!("`integration_timeout` ({d}) must be from 50ms to 300s (29s by default; above 29s needs a quota increase)"));
            return None;
        }
    }
    timeout
}

/// The usage plan of `usage_plan`.
fn usage_plan(ck: &mut Checker, p: &Spanned<RawUsagePlan>) -> Option<UsagePlan> {
    let pr = p.get_ref();
    let t = throttle(ck, &pr.rate, &pr.burst, "usage_plan");
    let quota = match (&pr.quota, &pr.period) {
        (None, None) => Some(None),
        (Some(q), period) => {
            let n = ck.int_in(q, "usage_plan.quota", 1, i64::MAX);
            let per = ck
                .one_of_or(period, "usage_plan.period", &PERIOD_NAMES, "day")
                .map(period_length);
            n.zip(per).map(|(n, p)| Some((n as u64, p)))
        }
        (None, Some(s)) => {
            ck.error(s.span(), "`usage_plan.period` needs a `quota`");
            None
        }
    };
    t.zip(quota)
        .map(|(throttle, quota)| UsagePlan { throttle, quota })
}

/// The length of a usage plan's period, by its word.
fn period_length(word: &str) -> SimTime {
    let secs = PERIODS
        .iter()
        .find(|(w, _)| *w == word)
        .map_or(PERIODS[0].1, |(_, s)| *s);
    SimTime::from_secs(secs)
}

/// The cache of `cache`, unless the API is an HTTP one.
fn cache(
    ck: &mut Checker,
    c: &Spanned<RawCache>,
    api_type: Option<ApiType>,
) -> Option<CacheConfig> {
    let cr = c.get_ref();
    let ttl = ck.or(&cr.ttl, DEFAULT_CACHE_TTL, |ck, t| {
        match ck.duration(t, "cache.ttl") {
            Some(d) if d > MAX_CACHE_TTL => {
                ck.value_error(t.span(), format!("`cache.ttl` ({d}) must be at most 3600s"));
                None
            }
            d => d,
        }
    });
    let capacity = ck.int_or(
        &cr.capacity,
        "cache.capacity",
        (1, crate::limits::MAX_CACHE_ENTRIES),
        DEFAULT_CACHE_CAPACITY,
    );
    let ops = match &cr.ops {
        None => vec![ck.op("read", CACHED)],
        Some(list) => list.iter().map(|o| ck.op(o.get_ref(), CACHED)).collect(),
    };
    if api_type == Some(ApiType::Http) {
        ck.error(
            c.span(),
            "`cache` exists only on REST APIs (type = \"rest\")",
        );
        return None;
    }
    ttl.zip(capacity).map(|(ttl, capacity)| CacheConfig {
        ttl,
        capacity: capacity as usize,
        ops,
    })
}

/// The CORS configuration of `cors`. aws-facts: §21 CORS: a REST API's preflight is an
/// OPTIONS method with a MOCK integration, so it is billed and throttled like any method (the
/// two knobs are refused there); an HTTP API answers preflights itself, and the facts do not
/// say whether those are billed or throttled: both knobs, true by default (a choice).
fn cors(ck: &mut Checker, c: &Spanned<RawCors>, api_type: Option<ApiType>) -> Option<GatewayCors> {
    let cr = c.get_ref();
    let rules = cors::rules(ck, c.span(), &cr.allow_origins, &cr.max_age);
    let mut ok = true;
    if api_type == Some(ApiType::Rest) {
        for k in [&cr.preflight_billed, &cr.preflight_throttled]
            .into_iter()
            .flatten()
        {
            ck.error(
                k.span(),
                "a REST API's preflight is an OPTIONS method with a MOCK integration, billed and throttled like any method: `preflight_billed` and `preflight_throttled` are for HTTP APIs (type = \"http\"), which answer preflights themselves",
            );
            ok = false;
        }
    }
    let flag =
        |v: &Option<Spanned<bool>>, default: bool| v.as_ref().map_or(default, |b| *b.get_ref());
    let cfg = GatewayCors {
        rules: rules?,
        gateway_responses_have_cors: flag(&cr.gateway_responses_have_cors, false),
        preflight_billed: flag(&cr.preflight_billed, true),
        preflight_throttled: flag(&cr.preflight_throttled, true),
    };
    ok.then_some(cfg)
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<ApiGatewayConfig> {
    let raw: RawApiGateway = ck.deserialize(table)?;
    let api_type = ck
        .one_of_or(&raw.api_type, "type", &["rest", "http"], "rest")
        .map(|t| {
            if t == "rest" {
                ApiType::Rest
            } else {
                ApiType::Http
            }
        });
    let target = ck.component(&raw.target, "target");
    let timeout = integration_timeout(ck, &raw.integration_timeout, api_type);
    let overhead = ck.time_dist_or(&raw.overhead, "overhead", default_overhead());
    let stage = ck.or(&raw.throttle, None, |ck, t| {
        let t = t.get_ref();
        throttle(ck, &t.rate, &t.burst, "throttle").map(Some)
    });
    let mut routes = Vec::new();
    // aws-facts: §1: each route (method) of an API has its own integration; a route that
    // names no `target` uses the API's.
    // (operation, the component its route's integration calls), as written.
    let mut routed: Vec<(u16, usize)> = Vec::new();
    let mut ok = true;
    for spanned in &raw.routes {
        let r = spanned.get_ref();
        let op = ck.op(
            r.op.get_ref(),
            "an API's `routes`, and it sends any other operation to its own target, under its own throttle",
        );
        match (&r.rate, &r.burst) {
            (Some(rate), Some(burst)) => match throttle(ck, rate, burst, "routes") {
                Some(t) => routes.push((op, t)),
                None => ok = false,
            },
            (None, None) if r.target.is_some() => {}
            (None, None) => {
                ck.error(
                    spanned.span(),
                    format!(
                        "route \"{}\" has neither a throttle (`rate` and `burst`) nor a `target`: give one or both",
                        r.op.get_ref()
                    ),
                );
                ok = false;
            }
            (Some(k), None) => {
                ck.error(k.span(), "a route's throttle needs both `rate` and `burst`");
                ok = false;
            }
            (None, Some(k)) => {
                ck.error(k.span(), "a route's throttle needs both `rate` and `burst`");
                ok = false;
            }
        }
        let Some(t) = &r.target else { continue };
        let Some(to) = ck.component(t, "routes.target") else {
            ok = false;
            continue;
        };
        if routed.iter().any(|(o, _)| *o == op) {
            ck.error(
                t.span(),
                format!(
                    "operation \"{}\" already has a route with a `target`: a route has one integration",
                    r.op.get_ref()
                ),
            );
            ok = false;
            continue;
        }
        routed.push((op, to));
    }
    let usage_plan = ck.or(&raw.usage_plan, None, |ck, p| usage_plan(ck, p).map(Some));
    let cache = ck.or(&raw.cache, None, |ck, c| cache(ck, c, api_type).map(Some));
    let cors = ck.or(&raw.cors, None, |ck, c| cors(ck, c, api_type).map(Some));
    // aws-facts: §1 usage plans and API keys (REST only).
    if api_type == Some(ApiType::Http) {
        if let Some(p) = &raw.usage_plan {
            ck.error(
                p.span(),
                "usage plans and API keys exist only on REST APIs (type = \"rest\")",
            );
            ok = false;
        }
        if let Some(k) = raw.require_api_key.as_ref().filter(|k| *k.get_ref()) {
            ck.error(
                k.span(),
                "API keys exist only on REST APIs (type = \"rest\"): an HTTP API cannot require one",
            );
            ok = false;
        }
    }
    let require_api_key = raw.require_api_key.as_ref().is_some_and(|k| *k.get_ref());
    // aws-facts: §14 Lambda asynchronous invocation: a REST API's Lambda integration invokes
    // with `X-Amz-Invocation-Type: Event` when its integration request says so, and the
    // client gets the 202 at once. An HTTP API's Lambda integration is a proxy, invoked
    // synchronously.
    let asynchronous = match &raw.integration_mode {
        None => None,
        Some(m) => match ck.one_of(m, "integration_mode", &["sync", "async"]) {
            Some("async") if api_type == Some(ApiType::Http) => {
                ck.error(
                    m.span(),
                    "`integration_mode = \"async\"` needs a REST API (type = \"rest\"): an HTTP API invokes its Lambda integration synchronously",
                );
                ok = false;
                None
            }
            Some("async") => Some(m.span()),
            Some(_) => None,
            None => {
                ok = false;
                None
            }
        },
    };
    ok.then_some(())?;
    let (target, timeout) = (target?, timeout?);
    // The API's target first; each other component a route names once (a route naming the
    // API's own target shares its integration).
    let mut order: Vec<usize> = vec![target];
    let mut route_targets = Vec::new();
    for (op, to) in routed {
        let index = order.iter().position(|&c| c == to).unwrap_or_else(|| {
            order.push(to);
            order.len() - 1
        });
        route_targets.push((op, index));
    }
    let integration = |to: usize| CallSpec {
        to,
        op: OpChoice::Inherit,
        probability: 1.0,
        timeout: Some(timeout),
        latency: None,
        // aws-facts: §1 Lambda proxy errors: API Gateway does not retry its integration.
        retry: Some(RetrySpec::Policy(RetryPolicy::none())),
        asynchronous: asynchronous.clone(),
        position: None,
    };
    Some(ApiGatewayConfig {
        api_type: api_type?,
        lambda_targets: vec![false; order.len()],
        calls: order.into_iter().map(integration).collect(),
        overhead: overhead?,
        throttle: stage?,
        routes,
        route_targets,
        usage_plan: usage_plan?,
        require_api_key,
        cache: cache?,
        cors: cors?,
    })
}

impl ApiGatewayConfig {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
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
        if let Some(c) = &self.cors {
            match c.rules.max_age_s {
                Some(s) => lines.push(format!("CORS, max-age {s} s")),
                None => lines.push("CORS, no max-age".to_string()),
            }
        }
        lines
    }
}
