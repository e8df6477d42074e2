//! What `api_gateway` declares about itself: its keys, series, summary fields, columns and
//! plot panels.

use super::config::{self, ApiGatewayConfig, MAX_BURST, PERIOD_NAMES};
use crate::components::kind::{
    Category, Column, Field, Key, KeyType, Kind, KindInfo, LatencySeries, PlotLine, PlotPanel,
    Series, Tone, Unit,
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
                about: "the id of the integration, the one component every admitted request that misses the cache goes to (usually a Lambda function); never retried",
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
                about: "the stage's throttle, a token bucket applied after the route's and before the account's; a refusal answers 429 (default: none)",
            },
            Key {
                name: "routes",
                ty: KeyType::Tables(&[
                    Key {
                        name: "op",
                        ty: KeyType::Text,
                        required: true,
                        about: "the operation the throttle applies to",
                    },
                    Key {
                        name: "rate",
                        ty: RATE,
                        required: true,
                        about: "requests per second the route admits, above zero [requests/s]",
                    },
                    Key {
                        name: "burst",
                        ty: BURST,
                        required: true,
                        about: "requests the route admits at once, its bucket being full [requests]",
                    },
                ]),
                required: false,
                about: "throttles by operation, applied after the usage plan and before the stage's; a refusal answers 429 (default: none)",
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
        ],
        faults: &[],
        series: &[
            &REQUESTS,
            &THROTTLED,
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
                path: "throttled_by.*",
                unit: Unit::Count,
                about: "refused requests by the limit that refused them (missing_api_key, quota, api_key, route, stage, account)",
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
                path: "throughput_rps",
                unit: Unit::PerSecond,
                about: "requests arriving per second, refused ones included",
            },
            Field {
                path: "throttled_fraction",
                unit: Unit::Share,
                about: "share of requests refused by a limit",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "requests at the first tier's price per million",
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
                label: "integration timeouts (504)",
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
        config::parse(table, ck)
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        Box::new(super::ApiGateway::new(
            self.clone(),
            env,
            shared.api_gateway.clone(),
        ))
    }
}
