//! What `api_gateway` declares about itself: its keys, series, summary fields, columns and
//! plot panels.

use super::config::{self, ApiGatewayConfig, MAX_BURST, PERIOD_NAMES};
use crate::components::iac::{
    clamp, int, number, seconds, string, Dialect, Downstream, Imports, Mapped, Resource,
    ResourceMap, Route,
};
use crate::components::kind::{
    Category, Column, Field, Key, KeyType, Kind, KindInfo, LatencySeries, PlotLine, PlotPanel,
    Relations, Series, Tone, Unit,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::limits::MAX_CACHE_ENTRIES;

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
pub(super) const THROTTLED: Series = Series {
    id: "throttled_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 429 by a throttle or a quota",
};
pub(super) const PREFLIGHTS: Series = Series {
    id: "preflights_rps",
    unit: Unit::PerSecond,
    about: "browsers' CORS preflights (OPTIONS) received, billed or not",
};
pub(super) const CACHE_HIT_RATIO: Series = Series {
    id: "cache_hit_ratio",
    unit: Unit::Share,
    about: "share of cacheable requests answered from the cache",
};
pub(super) static RESPONSE: LatencySeries = LatencySeries {
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

/// A throttle's refill rate, above zero.
const RATE: KeyType = KeyType::Number {
    min: 0.0,
    max: f64::MAX,
};
/// A throttle's burst.
const BURST: KeyType = KeyType::Integer {
    min: 1,
    max: MAX_BURST,
};

impl Kind for ApiGatewayConfig {
    const INFO: &'static KindInfo = &KindInfo {
        name: "api_gateway",
        title: "Amazon API Gateway",
        noun: "an API Gateway API",
        category: Category::Networking,
        about: "a REST or HTTP API: usage plans and API keys, route, stage and account throttles, the REST cache and the integration timeout",
        keys: &[
            Key {
                name: "type",
                ty: KeyType::Word(&["rest", "http"]),
                required: false,
                about: "a REST API (usage plans, API keys, a cache, timeouts up to 300s; function errors 502, integration timeouts 504; $3.50 per million requests) or an HTTP API (none of those, timeouts up to 30s; function errors 500, integration timeouts 503; $1.00 per million) (default rest)",
            },
            Key {
                name: "target",
                ty: KeyType::Text,
                required: true,
                about: "the id of the integration, the component every admitted request that misses the cache goes to (usually a Lambda function), unless its operation's route names a `target` of its own; never retried",
            },
            Key {
                name: "integration_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "how long the gateway waits for its integration before answering 504 (REST) or 503 (HTTP): REST from 50ms to 300s, above 29s needing a quota increase (default 29s); HTTP from 50ms to 30s (default 30s)",
            },
            Key {
                name: "integration_mode",
                ty: KeyType::Word(&["sync", "async"]),
                required: false,
                about: "\"sync\" (the default) or \"async\" (REST APIs only: the integration invokes its target with `X-Amz-Invocation-Type: Event`, and the client gets the target's 202 once the event is queued)",
            },
            Key {
                name: "overhead",
                ty: KeyType::TimeDist,
                required: false,
                about: "time the gateway itself adds to each request it passes on or answers from its cache (default 5ms)",
            },
            Key {
                name: "throttle",
                ty: KeyType::Table(&[
                    Key {
                        name: "rate",
                        ty: RATE,
                        required: true,
                        about: "requests per second the stage admits, above zero [requests/s]",
                    },
                    Key {
                        name: "burst",
                        ty: BURST,
                        required: true,
                        about: "requests the stage admits at once, its bucket being full [requests]",
                    },
                ]),
                required: false,
                about: "the stage's default method throttle: each operation (method, and the OPTIONS of CORS preflights) without a route throttle gets a token bucket of these limits of its own, applied before the account's; a refusal answers 429 (default: none)",
            },
            Key {
                name: "routes",
                ty: KeyType::Tables(&[
                    Key {
                        name: "op",
                        ty: KeyType::Text,
                        required: true,
                        about: "the operation (method and path) the route is",
                    },
                    Key {
                        name: "rate",
                        ty: RATE,
                        required: false,
                        about: "requests per second the route admits, above zero, with `burst` [requests/s] (default: the stage's throttle)",
                    },
                    Key {
                        name: "burst",
                        ty: BURST,
                        required: false,
                        about: "requests the route admits at once, its bucket being full, with `rate` [requests] (default: the stage's throttle)",
                    },
                    Key {
                        name: "target",
                        ty: KeyType::Text,
                        required: false,
                        about: "the id of the route's own integration, which its requests go to instead of the API's `target`, with the same integration timeout and never retried (default: the API's `target`)",
                    },
                ]),
                required: false,
                about: "routes by operation, each with a throttle (`rate` and `burst`), an integration of its own (`target`) or both: a throttle is applied after the usage plan, in place of the stage's default for its operation, a refusal answering 429; requests of an operation no route's `target` names go to the API's `target` (default: none)",
            },
            Key {
                name: "usage_plan",
                ty: KeyType::Table(&[
                    Key {
                        name: "rate",
                        ty: RATE,
                        required: true,
                        about: "requests per second each API key may make, above zero [requests/s]",
                    },
                    Key {
                        name: "burst",
                        ty: BURST,
                        required: true,
                        about: "requests each API key may make at once, its bucket being full [requests]",
                    },
                    Key {
                        name: "quota",
                        ty: KeyType::Integer {
                            min: 1,
                            max: i64::MAX,
                        },
                        required: false,
                        about: "requests each API key may make per `period`; beyond, 429 (default: no quota)",
                    },
                    Key {
                        name: "period",
                        ty: KeyType::Word(&PERIOD_NAMES),
                        required: false,
                        about: "the quota's period, counted from the start of the run; a month is 30 days; only with `quota` (default day)",
                    },
                ]),
                required: false,
                about: "limits per API key (the workload's client), applied first; requests then need a key (403 without); REST only (default: none)",
            },
            Key {
                name: "require_api_key",
                ty: KeyType::Bool,
                required: false,
                about: "whether requests without an API key are refused with 403; REST only (default false; a usage plan requires keys anyway)",
            },
            Key {
                name: "cache",
                ty: KeyType::Table(&[
                    Key {
                        name: "ttl",
                        ty: KeyType::Duration,
                        required: false,
                        about: "how long a response stays fresh, at most 3600s; 0s caches nothing (default 300s)",
                    },
                    Key {
                        name: "capacity",
                        ty: KeyType::Integer {
                            min: 1,
                            max: MAX_CACHE_ENTRIES,
                        },
                        required: false,
                        about: "responses the cache holds before evicting the least recently used [entries] (default 100000)",
                    },
                    Key {
                        name: "ops",
                        ty: KeyType::Words,
                        required: false,
                        about: "operations whose successful responses are cached, by operation and item key (default: read)",
                    },
                ]),
                required: false,
                about: "the response cache, after the limits and before the integration; REST only (default: none)",
            },
            Key {
                name: "cors",
                ty: KeyType::Table(&[
                    crate::components::cors::ALLOW_ORIGINS,
                    crate::components::cors::MAX_AGE,
                    Key {
                        name: "gateway_responses_have_cors",
                        ty: KeyType::Bool,
                        required: false,
                        about: "whether its gateway responses (429, 5xx) carry the CORS headers; without them a browser reports a CORS error and the script never sees the status (default false, as AWS sets them up)",
                    },
                    Key {
                        name: "preflight_billed",
                        ty: KeyType::Bool,
                        required: false,
                        about: "HTTP APIs: whether the preflights it answers itself are billed as requests; AWS does not say (default true, a choice)",
                    },
                    Key {
                        name: "preflight_throttled",
                        ty: KeyType::Bool,
                        required: false,
                        about: "HTTP APIs: whether the preflights it answers itself draw on the stage's and account's throttles; AWS does not say (default true, a choice)",
                    },
                ]),
                required: false,
                about: "its CORS configuration: a REST API's OPTIONS method with a MOCK integration (billed, throttled), or an HTTP API's own preflight answers; without it a browser's preflight is refused (403) (default: none)",
            },
        ],
        faults: &[],
        series: &[
            &REQUESTS,
            &THROTTLED,
            &PREFLIGHTS,
            &CACHE_HIT_RATIO,
            &RESPONSE.p50,
            &RESPONSE.p95,
            &RESPONSE.p99,
        ],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests that arrived in the measured period, refused ones included",
            },
            Field {
                path: "throttled",
                unit: Unit::Count,
                about: "requests refused with 429 by a throttle or a quota",
            },
            Field {
                path: "forbidden",
                unit: Unit::Count,
                about: "requests refused with 403 for want of an API key",
            },
            Field {
                path: "throttled_by.missing_api_key",
                unit: Unit::Count,
                about: "requests refused with 403: a method that requires an API key got none",
            },
            Field {
                path: "throttled_by.quota",
                unit: Unit::Count,
                about: "requests refused with 429 by their API key's usage plan quota",
            },
            Field {
                path: "throttled_by.api_key",
                unit: Unit::Count,
                about: "requests refused with 429 by their API key's usage plan rate and burst",
            },
            Field {
                path: "throttled_by.route",
                unit: Unit::Count,
                about: "requests refused with 429 by their route's (method's) throttle",
            },
            Field {
                path: "throttled_by.stage",
                unit: Unit::Count,
                about: "requests refused with 429 by the stage's default throttle",
            },
            Field {
                path: "throttled_by.account",
                unit: Unit::Count,
                about: "requests refused with 429 by the account's throttle, which every API Gateway of the Region shares",
            },
            Field {
                path: "preflights",
                unit: Unit::Count,
                about: "browsers' CORS preflights received, billed or not (counted in `requests` when billed), with a CORS configuration or a browser workload only",
            },
            Field {
                path: "integration_timeouts",
                unit: Unit::Count,
                about: "requests answered 504 (REST) or 503 (HTTP), the integration not having answered within its timeout",
            },
            crate::components::kind::BY_STATUS,
            Field {
                path: "cache_hits",
                unit: Unit::Count,
                about: "cacheable requests answered from the cache, with a cache only",
            },
            Field {
                path: "cache_misses",
                unit: Unit::Count,
                about: "cacheable requests passed to the integration, with a cache only",
            },
            Field {
                path: "cache_hit_ratio",
                unit: Unit::Share,
                about: "share of cacheable requests answered from the cache, with a cache only",
            },
            Field {
                path: "arrival_rps",
                unit: Unit::PerSecond,
                about: "requests arriving per second, refused ones included",
            },
            Field {
                path: "throughput_rps",
                unit: Unit::PerSecond,
                about: "answers per second to the requests it passed on (to its integration or cache; a preflight it answered), given within the measured period whatever their status: not its own refusals (throttles, quotas, missing keys, payloads too large)",
            },
            Field {
                path: "throttled_fraction",
                unit: Unit::Share,
                about: "share of requests refused by a limit",
            },
            Field {
                path: "billed_requests",
                unit: Unit::Count,
                about: "requests billed: all but those its throttles (429) or a missing API key (403) refused",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "billed requests at the first tier's price per million",
            },
            Field {
                path: "response_ms.*",
                unit: Unit::Milliseconds,
                about: "time from arrival to a 200 answer (count, mean, p50 … p999, max)",
            },
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "throttled, of requests",
                field: "throttled_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "cache hits, of cacheable",
                field: "cache_hit_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "CORS preflights",
                field: "preflights",
                unit: Unit::Count,
            },
            Column {
                label: "integration timeouts (REST 504, HTTP 503)",
                field: "integration_timeouts",
                unit: Unit::Count,
            },
            crate::components::kind::LATE_REPLIES_COLUMN,
            crate::components::kind::COST_COLUMN,
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
                        series: &PREFLIGHTS,
                        label: "CORS preflights",
                        tone: Tone::Warn,
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

    const IMPORTS: &'static Imports = &Imports {
        maps: &[
            ResourceMap {
                cloudformation: &["AWS::ApiGateway::RestApi", "AWS::Serverless::Api"],
                terraform: &["aws_api_gateway_rest_api"],
                map: import_rest_api,
            },
            ResourceMap {
                cloudformation: &["AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi"],
                terraform: &["aws_apigatewayv2_api"],
                map: import_http_api,
            },
            ResourceMap {
                // A resource (a path) and a route are read for their integrations' routes
                // (`routes_of`); they belong to their API.
                cloudformation: &[
                    "AWS::ApiGateway::Stage",
                    "AWS::ApiGateway::Method",
                    "AWS::ApiGateway::Resource",
                    "AWS::ApiGatewayV2::Stage",
                    "AWS::ApiGatewayV2::Integration",
                    "AWS::ApiGatewayV2::Route",
                ],
                terraform: &[
                    "aws_api_gateway_stage",
                    "aws_api_gateway_method_settings",
                    "aws_api_gateway_method",
                    "aws_api_gateway_integration",
                    "aws_api_gateway_resource",
                    "aws_apigatewayv2_stage",
                    "aws_apigatewayv2_integration",
                    "aws_apigatewayv2_route",
                ],
                map: import_api_part,
            },
            ResourceMap {
                cloudformation: &["AWS::ApiGateway::UsagePlan"],
                terraform: &["aws_api_gateway_usage_plan"],
                map: import_usage_plan,
            },
        ],
        companions: &[],
        downstream: Downstream::Routes {
            key: "target",
            routes: "routes",
        },
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    /// A REST API's cache is billed by the hour by its size, a price aws-facts gives only
    /// roughly (§1 cache, "[?]").
    fn unpriced(&self) -> Vec<&'static str> {
        match self.cache {
            Some(_) => vec!["response cache"],
            None => Vec::new(),
        }
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn call_carries(&self, call: usize, op: u16) -> bool {
        let routed = self.route_targets.iter().find(|(o, _)| *o == op);
        routed.map_or(0, |(_, index)| *index) == call
    }

    fn relate(&mut self, _me: usize, rel: &mut Relations, _ck: &mut Checker) -> bool {
        let lambda = <crate::components::lambda::LambdaConfig as Kind>::INFO.name;
        self.lambda_targets = self
            .calls
            .iter()
            .map(|c| rel.kinds.get(c.to) == Some(&lambda))
            .collect();
        true
    }

    fn cors(&self) -> Option<crate::components::cors::CorsServer> {
        Some(crate::components::cors::CorsServer {
            rules: self.cors.as_ref().map(|c| c.rules.clone()),
            errors_have_cors: self
                .cors
                .as_ref()
                .is_some_and(|c| c.gateway_responses_have_cors),
        })
    }

    fn build(&self, _index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let throttle = shared.api_gateway[env.region.as_str()].clone();
        Box::new(super::ApiGateway::new(self.clone(), env, throttle))
    }
}

// What `archsim import` makes of a template's APIs.

/// A REST API: its integrations named in an OpenAPI body are its target; SAM's `MethodSettings`
/// and `CacheClusterEnabled` are its stage's.
fn import_rest_api(r: &Resource<'_>, m: &mut Mapped) {
    m.set("type", string("rest"), r.kind.to_string());
    for body in ["Body", "DefinitionBody", "body"] {
        for f in r.refs(body) {
            m.edge(None, f, "its OpenAPI definition integrates it");
        }
    }
    stage_settings(r, m);
}

/// An HTTP API (a WebSocket API is not simulated as one).
fn import_http_api(r: &Resource<'_>, m: &mut Mapped) {
    let protocol = r
        .text("ProtocolType")
        .or_else(|| r.text("protocol_type"))
        .unwrap_or("HTTP");
    if protocol != "HTTP" {
        m.note(format!(
            "{} is a {protocol} API: simulated as an HTTP API's requests",
            r.name
        ));
    }
    m.set("type", string("http"), r.kind.to_string());
    if protocol.eq_ignore_ascii_case("WEBSOCKET") {
        // aws-facts: §1 integration timeout: a WebSocket API's is 29 s, an HTTP API's 30 s.
        m.set(
            "integration_timeout",
            string("29s"),
            format!(
                "{} is a WebSocket API, whose integrations time out at 29 s",
                r.name
            ),
        );
    }
    for key in ["Target", "DefinitionBody", "Body", "target", "body"] {
        for f in r.refs(key) {
            m.edge(None, f, format!("its {key} integrates it"));
        }
    }
    stage_settings(r, m);
}

/// A stage, method or integration of an API: its throttle, timeout and target are the API's.
fn import_api_part(r: &Resource<'_>, m: &mut Mapped) {
    let api = API_ID_KEYS
        .iter()
        .find_map(|k| r.refs(k).into_iter().next());
    let Some(api) = api else {
        m.note(format!(
            "{} {} names no API of the template",
            r.kind, r.name
        ));
        return;
    };
    m.part_of = Some(api.clone());
    let routes = routes_of(r);
    let catch_all = serves_default_route(r);
    for key in URI_KEYS {
        for f in r.refs(key) {
            if !may_invoke(r, &f) {
                m.note(format!(
                    "{} {} integrates function {f}, but no AWS::Lambda::Permission (aws_lambda_permission) of the template lets API Gateway invoke it: AWS would answer those requests 500 (\"Invalid permissions on Lambda function\"); the scenario takes the permission as given",
                    r.kind, r.name
                ));
            }
            if catch_all {
                m.edge(
                    None,
                    f.clone(),
                    format!(
                        "{} {} integrates it for the $default route (requests no other route matches)",
                        r.kind, r.name
                    ),
                );
                if let Some(e) = m.edges.last_mut() {
                    e.catch_all = true;
                }
            }
            m.edge(
                None,
                f.clone(),
                format!("{} {} integrates it", r.kind, r.name),
            );
            // One call per route whose integration this is: each route may need its own
            // `routes` entry (a REST method is one route; an HTTP API's integration serves
            // every route that targets it).
            if let Some((first, rest)) = routes.split_first() {
                if let Some(e) = m.edges.last_mut() {
                    e.route = Some(first.clone());
                }
                for route in rest {
                    m.edge(
                        None,
                        f.clone(),
                        format!("{} {} integrates it", r.kind, r.name),
                    );
                    if let Some(e) = m.edges.last_mut() {
                        e.route = Some(route.clone());
                    }
                }
            }
        }
    }
    if let Some((ms, why)) = integration_timeout(r, &api, m) {
        m.set("integration_timeout", seconds(ms / 1000.0), why);
    }
    stage_settings(r, m);
}

/// The property that holds an integration's timeout, as each template language spells it.
const TIMEOUT_KEYS: [&str; 3] = [
    "Integration.TimeoutInMillis",
    "TimeoutInMillis",
    "timeout_milliseconds",
];

/// The keys by which a stage, method or integration names its API.
const API_ID_KEYS: [&str; 4] = ["RestApiId", "ApiId", "rest_api_id", "api_id"];

/// The integration URI's keys, as each template language spells them.
const URI_KEYS: [&str; 4] = [
    "Integration.Uri",
    "IntegrationUri",
    "uri",
    "integration_uri",
];

/// The integration timeout of API `api` that part `r` sets [ms], and why; `None` when it
/// sets none (it is no integration, or it and every other has AWS's default).
///
/// The scenario's API has one `integration_timeout`, where each method (or integration)
/// has its own, AWS's default when it says none (aws-facts: §1 API Gateway: from 50 ms; an
/// HTTP API's at most and by default 30 s, a WebSocket API's 29 s, a REST API's 29 s by
/// default, up to 300 s by a quota increase). When the API's integrations differ, each of
/// them sets the longest, so that no request times out sooner than in AWS, and the first in
/// the template notes what the others lose.
fn integration_timeout(r: &Resource<'_>, api: &str, m: &mut Mapped) -> Option<(f64, String)> {
    let websocket = r.other(api).is_some_and(|a| {
        a.text("ProtocolType")
            .or_else(|| a.text("protocol_type"))
            .is_some_and(|p| p.eq_ignore_ascii_case("WEBSOCKET"))
    });
    let http = r.kind.contains("V2") || r.kind.contains("apigatewayv2");
    let (max, default) = match (websocket, http) {
        (true, _) => (29_000.0, 29_000.0),
        (false, true) => (30_000.0, 30_000.0),
        (false, false) => (300_000.0, 29_000.0),
    };
    let own = |p: &Resource<'_>| {
        TIMEOUT_KEYS
            .iter()
            .find_map(|k| p.num(k).map(|ms| (*k, ms)))
    };
    let integrates =
        |p: &Resource<'_>| own(p).is_some() || URI_KEYS.iter().any(|k| !p.refs(k).is_empty());
    let of_api = |p: &Resource<'_>| {
        API_ID_KEYS
            .iter()
            .any(|k| p.refs(k).iter().any(|a| a == api))
    };
    // A stage or a route sets no timeout.
    if !integrates(r) {
        return None;
    }
    // The API's integrations in template order, each with its timeout (`None`: the default).
    let siblings: Vec<(String, Option<(&str, f64)>)> = r
        .others()
        .filter(|p| of_api(p) && integrates(p))
        .map(|p| (p.name.to_string(), own(&p)))
        .collect();
    // Its own, held within what AWS allows, with a note when it is not (each integration
    // notes its own).
    let mine = own(r).map(|(k, ms)| (k, clamp(ms, 50.0, max, "integration timeout [ms]", m)));
    let value = |t: Option<(&str, f64)>| t.map_or(default, |(_, ms)| ms.clamp(50.0, max));
    let longest = siblings
        .iter()
        .map(|(_, t)| value(*t))
        .fold(value(mine), f64::max);
    let differ = siblings.iter().any(|(_, t)| value(*t) != longest);
    if !differ {
        let (key, ms) = mine?;
        // The property's own name, as the template's language spells it.
        return Some((ms, key.rsplit('.').next().unwrap_or(key).to_string()));
    }
    if siblings.first().is_some_and(|(name, _)| name == r.name) {
        let each: Vec<String> = siblings
            .iter()
            .map(|(name, t)| match t {
                Some(_) => format!("{name} {} s", value(*t) / 1000.0),
                None => format!("{name} {} s (the default)", default / 1000.0),
            })
            .collect();
        m.note(format!(
            "{api}'s integrations time out after different times ({}): the scenario's API has one `integration_timeout`, the longest, {} s, so a request the shorter ones would end waits longer instead",
            each.join(", "),
            longest / 1000.0
        ));
    }
    Some((
        longest,
        "the longest of its integrations' timeouts".to_string(),
    ))
}

/// Whether API Gateway may invoke `f` through `r`: true unless `f` is a function and the
/// template has no resource-based permission for it. A Lambda integration needs one (an
/// `AWS::Lambda::Permission` naming the function, for `apigateway.amazonaws.com`; SAM makes
/// it for an `Api` or `HttpApi` event, not for a method written by hand). A permission that
/// names its function by a literal name, not a reference, cannot be matched: any such one
/// for API Gateway is taken to be it.
fn may_invoke(r: &Resource<'_>, f: &str) -> bool {
    let function = r.other(f).is_some_and(|t| {
        matches!(
            t.kind,
            "AWS::Lambda::Function" | "AWS::Serverless::Function" | "aws_lambda_function"
        )
    });
    if !function {
        return true;
    }
    r.others().any(|p| {
        let permission = matches!(p.kind, "AWS::Lambda::Permission" | "aws_lambda_permission");
        let principal = p
            .text("Principal")
            .or_else(|| p.text("principal"))
            .is_none_or(|x| x.contains("apigateway"));
        let names = p.refs("FunctionName");
        let names = if names.is_empty() {
            p.refs("function_name")
        } else {
            names
        };
        permission && principal && (names.is_empty() || names.iter().any(|n| n == f))
    })
}

/// The routes whose integration `r` is: a REST API's method (`AWS::ApiGateway::Method`, or
/// Terraform's `aws_api_gateway_integration`) is one, its method and the path of its
/// resource; an HTTP API's integration serves each route (`AWS::ApiGatewayV2::Route`,
/// `aws_apigatewayv2_route`) whose target names it, by its route key ("GET /orders/{id}").
/// None for a `$default` route or one whose path the template does not state.
fn routes_of(r: &Resource<'_>) -> Vec<Route> {
    let route = |method: &str, path: String| Route {
        method: method.to_ascii_uppercase(),
        path,
    };
    match r.kind {
        "AWS::ApiGateway::Method" => (r.text("HttpMethod").zip(rest_path(r, "ResourceId")))
            .map(|(m, p)| route(m, p))
            .into_iter()
            .collect(),
        "aws_api_gateway_integration" => {
            // Its method as written, or as the method it names has it
            // (`http_method = aws_api_gateway_method.x.http_method`).
            let method = r.text("http_method").or_else(|| {
                let m = r.other(r.refs("http_method").first()?)?;
                m.text("http_method")
            });
            (method.zip(rest_path(r, "resource_id")))
                .map(|(m, p)| route(m, p))
                .into_iter()
                .collect()
        }
        "AWS::ApiGatewayV2::Integration" | "aws_apigatewayv2_integration" => {
            let (kind, target, key) = match r.dialect {
                Dialect::CloudFormation => ("AWS::ApiGatewayV2::Route", "Target", "RouteKey"),
                Dialect::Terraform => ("aws_apigatewayv2_route", "target", "route_key"),
            };
            r.others()
                .filter(|o| o.kind == kind && o.refs(target).iter().any(|t| t == r.name))
                .filter_map(|o| {
                    let (method, path) = o.text(key)?.split_once(' ')?;
                    path.starts_with('/')
                        .then(|| route(method, path.to_string()))
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Whether an HTTP API's `$default` route (`AWS::ApiGatewayV2::Route`,
/// `aws_apigatewayv2_route`) targets the integration `r`.
fn serves_default_route(r: &Resource<'_>) -> bool {
    let (kind, target, key) = match r.dialect {
        Dialect::CloudFormation => ("AWS::ApiGatewayV2::Route", "Target", "RouteKey"),
        Dialect::Terraform => ("aws_apigatewayv2_route", "target", "route_key"),
    };
    matches!(
        r.kind,
        "AWS::ApiGatewayV2::Integration" | "aws_apigatewayv2_integration"
    ) && r.others().any(|o| {
        o.kind == kind
            && o.text(key) == Some("$default")
            && o.refs(target).iter().any(|t| t == r.name)
    })
}

/// The path of the REST API resource `r`'s `key` names: each `AWS::ApiGateway::Resource`
/// (`aws_api_gateway_resource`) adds its path part to its parent's, up to the API's root
/// ("/"). None when a step names neither a resource nor an API of the template.
fn rest_path(r: &Resource<'_>, key: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut at = r.refs(key).into_iter().next()?;
    // A chain no longer than a path can be deep (API Gateway allows few levels): a loop in
    // a malformed template ends here.
    for _ in 0..64 {
        let o = r.other(&at)?;
        let (part, parent) = match o.kind {
            "AWS::ApiGateway::Resource" => ("PathPart", "ParentId"),
            "aws_api_gateway_resource" => ("path_part", "parent_id"),
            "AWS::ApiGateway::RestApi" | "AWS::Serverless::Api" | "aws_api_gateway_rest_api" => {
                parts.reverse();
                return Some(format!("/{}", parts.join("/")));
            }
            _ => return None,
        };
        parts.push(o.text(part)?.to_string());
        at = o.refs(parent).into_iter().next()?;
    }
    None
}

/// A stage's throttle (the settings of all methods, `*` `/*`, or the default route's).
fn stage_settings(r: &Resource<'_>, m: &mut Mapped) {
    let mut rate = None;
    let mut burst = None;
    if let Some(serde_json::Value::Array(list)) = r.get("MethodSettings") {
        for s in list {
            let all = s.get("HttpMethod").and_then(|v| v.as_str()) == Some("*")
                && s.get("ResourcePath").and_then(|v| v.as_str()) == Some("/*");
            if all {
                rate = rate.or(s.get("ThrottlingRateLimit").and_then(number));
                burst = burst.or(s.get("ThrottlingBurstLimit").and_then(number));
            }
        }
    }
    for prefix in [
        "DefaultRouteSettings.",
        "settings.",
        "default_route_settings.",
    ] {
        let (r_key, b_key) = if prefix.starts_with('D') {
            ("ThrottlingRateLimit", "ThrottlingBurstLimit")
        } else {
            ("throttling_rate_limit", "throttling_burst_limit")
        };
        rate = rate.or(r.num(&format!("{prefix}{r_key}")));
        burst = burst.or(r.num(&format!("{prefix}{b_key}")));
    }
    match (rate, burst) {
        (Some(rate), Some(burst)) if rate > 0.0 && burst >= 1.0 => {
            let burst = clamp(burst, 1.0, MAX_BURST as f64, "throttling burst", m);
            let mut t = toml::Table::new();
            t.insert("rate".into(), toml::Value::Float(rate));
            t.insert("burst".into(), int(burst));
            m.set("throttle", toml::Value::Table(t), format!("{}'s throttling", r.name));
        }
        (None, None) => {}
        _ => m.note(format!(
            "{}'s throttle (rate {rate:?}, burst {burst:?}) is not both a positive rate and burst: left out",
            r.name
        )),
    }
    stage_cache(r, m);
}

/// A REST stage's cache: its TTL from the settings of all methods (`*` `/*`), else AWS's
/// default. aws-facts: §1 Cache (REST only): default TTL 300 s, at most 3,600 s, 0 disables;
/// only GET is cached by default (archsim's default `ops`, reads).
fn stage_cache(r: &Resource<'_>, m: &mut Mapped) {
    let rest =
        !(r.kind.contains("V2") || r.kind.contains("apigatewayv2") || r.kind.contains("HttpApi"));
    let enabled = r
        .flag("CacheClusterEnabled")
        .or_else(|| r.flag("cache_cluster_enabled"));
    let (mut ttl, mut caching) = (None, None);
    if let Some(serde_json::Value::Array(list)) = r.get("MethodSettings") {
        for s in list {
            let all = s.get("HttpMethod").and_then(|v| v.as_str()) == Some("*")
                && s.get("ResourcePath").and_then(|v| v.as_str()) == Some("/*");
            if all {
                ttl = ttl.or(s.get("CacheTtlInSeconds").and_then(number));
                caching = caching.or(s.get("CachingEnabled").and_then(|v| v.as_bool()));
            }
        }
    }
    // Terraform's method settings (`*/*`) carry the TTL for the stage that enables the cache.
    ttl = ttl.or(r.num("settings.cache_ttl_in_seconds"));
    caching = caching.or(r.flag("settings.caching_enabled"));
    if enabled != Some(true) {
        return;
    }
    if !rest {
        m.note(format!(
            "{} enables a cache, which only REST APIs have: left out",
            r.name
        ));
        return;
    }
    if caching == Some(false) {
        m.note(format!(
            "{} provisions a cache cluster but its methods do not cache (CachingEnabled false): no cache written",
            r.name
        ));
        return;
    }
    let mut t = toml::Table::new();
    let why = match ttl {
        Some(s) => {
            let s = clamp(s, 0.0, 3600.0, "CacheTtlInSeconds", m);
            t.insert("ttl".into(), seconds(s));
            format!("{}'s stage cache, CacheTtlInSeconds", r.name)
        }
        None => format!("{}'s stage cache, AWS's default TTL (300 s)", r.name),
    };
    m.set("cache", toml::Value::Table(t), why);
    let size = r
        .text("CacheClusterSize")
        .or_else(|| r.text("cache_cluster_size"));
    m.note(format!(
        "{}'s cache{} holds responses by size; archsim counts entries (`cache.capacity`, default 100,000): set it from your responses' size",
        r.name,
        size.map(|s| format!(" of {s} GB")).unwrap_or_default()
    ));
}

/// A usage plan: its throttle and quota per API key, on the REST API of its first stage.
/// aws-facts: §1 usage plans.
fn import_usage_plan(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let (stages, api_key) = if cf {
        ("ApiStages", "ApiId")
    } else {
        ("api_stages", "api_id")
    };
    let apis: Vec<String> = match r.get(stages) {
        Some(serde_json::Value::Array(list)) => {
            // The stages' APIs, each named once.
            let mut out = Vec::new();
            crate::components::iac::references_in(
                list.iter().filter_map(|s| s.get(api_key)),
                &mut out,
            );
            out
        }
        _ => Vec::new(),
    };
    let Some(api) = apis.first().cloned() else {
        m.note(format!(
            "usage plan {} names no API of the template",
            r.name
        ));
        return;
    };
    for other in apis.iter().skip(1) {
        m.note(format!(
            "usage plan {} also covers {other}: written on {api} only",
            r.name
        ));
    }
    m.part_of = Some(api);
    let (rate, burst, limit, period) = if cf {
        (
            r.num("Throttle.RateLimit"),
            r.num("Throttle.BurstLimit"),
            r.num("Quota.Limit"),
            r.text("Quota.Period"),
        )
    } else {
        (
            r.num("throttle_settings.rate_limit"),
            r.num("throttle_settings.burst_limit"),
            r.num("quota_settings.limit"),
            r.text("quota_settings.period"),
        )
    };
    let (Some(rate), Some(burst)) = (rate.filter(|x| *x > 0.0), burst.filter(|x| *x >= 1.0)) else {
        // archsim's usage plan is a per-key bucket first: without one only the keys hold.
        m.set(
            "require_api_key",
            true,
            format!("usage plan {}: requests need an API key", r.name),
        );
        api_keys(r, m);
        m.note(format!(
            "usage plan {} has no throttle (rate and burst) archsim can write: only its API keys are required{}",
            r.name,
            if limit.is_some() { "; its quota is left out" } else { "" }
        ));
        return;
    };
    let mut t = toml::Table::new();
    t.insert("rate".into(), toml::Value::Float(rate));
    t.insert(
        "burst".into(),
        int(clamp(burst, 1.0, MAX_BURST as f64, "usage plan burst", m)),
    );
    if let Some(n) = limit.filter(|n| *n >= 1.0) {
        t.insert("quota".into(), int(n));
        let word = period.map(str::to_ascii_lowercase);
        match word.as_deref() {
            Some(p) if PERIOD_NAMES.contains(&p) => {
                t.insert("period".into(), string(p));
            }
            Some(p) => m.note(format!(
                "usage plan {}'s quota period {p} is not DAY, WEEK or MONTH: a day is used",
                r.name
            )),
            None => {}
        }
    }
    m.set(
        "usage_plan",
        toml::Value::Table(t),
        format!("usage plan {}: Throttle and Quota per API key", r.name),
    );
    api_keys(r, m);
}

/// The API keys the workloads use: the template's keys of this plan, else a starting value.
fn api_keys(r: &Resource<'_>, m: &mut Mapped) {
    let (plan, key) = match r.dialect {
        Dialect::CloudFormation => ("UsagePlanId", "AWS::ApiGateway::UsagePlanKey"),
        Dialect::Terraform => ("usage_plan_id", "aws_api_gateway_usage_plan_key"),
    };
    let keys = r
        .others()
        .filter(|o| o.kind == key && o.refs(plan).iter().any(|p| p == r.name))
        .count();
    let why = if keys > 0 {
        format!(
            "API keys the clients use: the template attaches {keys} to usage plan {}",
            r.name
        )
    } else {
        format!(
            "API keys the clients use (usage plan {} admits only requests with one)",
            r.name
        )
    };
    m.ask_workload("api_keys", keys.max(1) as i64, why);
}
