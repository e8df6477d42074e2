//! What `cloudfront` declares about itself: its keys, series, summary fields, columns and
//! plot panels.

use super::config::{self, CloudFrontConfig};
use crate::components::iac::{
    seconds, Dialect, Downstream, Imports, Mapped, Resource, ResourceMap,
};
use crate::components::kind::{
    Category, Column, Field, Key, KeyType, Kind, KindInfo, PlotLine, PlotPanel, Series, Tone, Unit,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::limits::{MAX_CACHE_ENTRIES, MAX_EDGE_LOCATIONS, MAX_MIX_WEIGHT};

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "viewer requests received at the edge locations",
};
pub(super) const HIT_RATIO: Series = Series {
    id: "hit_ratio",
    unit: Unit::Share,
    about: "share of the edges' lookups answered from their caches",
};
pub(super) const ORIGIN_REQUESTS: Series = Series {
    id: "origin_requests_rps",
    unit: Unit::PerSecond,
    about: "requests sent to the origin",
};
pub(super) const ERRORS: Series = Series {
    id: "errors_rps",
    unit: Unit::PerSecond,
    about: "viewer requests answered with a 5xx (504 on origin timeouts)",
};
pub(super) const EDGE_HIT_MIN: Series = Series {
    id: "edge_hit_ratio_min",
    unit: Unit::Share,
    about: "the lowest hit ratio among the edge locations that had lookups in the window",
};
pub(super) const EDGE_HIT_MAX: Series = Series {
    id: "edge_hit_ratio_max",
    unit: Unit::Share,
    about: "the highest hit ratio among the edge locations that had lookups in the window",
};

const EDGE_KEYS: &[Key] = &[
    Key {
        name: "name",
        ty: KeyType::Name,
        required: true,
        about: "the edge location's name, for the summary (`edge_hit_ratio.<name>`): letters, digits, - and _",
    },
    Key {
        name: "weight",
        ty: KeyType::NumberAbove {
            above: 0.0,
            max: MAX_MIX_WEIGHT,
        },
        required: true,
        about: "its relative share of the viewers",
    },
];

const MAX_AGE_KEYS: &[Key] = &[
    Key {
        name: "op",
        ty: KeyType::Text,
        required: true,
        about: "the operation whose objects the origin sends this max-age with",
    },
    Key {
        name: "max_age",
        ty: KeyType::Duration,
        required: true,
        about: "the Cache-Control max-age the origin sends for them",
    },
];

impl Kind for CloudFrontConfig {
    /// It caches only the operations `cached` names (reads, by default) and passes the others
    /// (writes) to its origin.
    const TELLS_READS_FROM_WRITES: bool = true;
    const INFO: &'static KindInfo = &KindInfo {
        name: "cloudfront",
        title: "Amazon CloudFront",
        noun: "a CloudFront distribution",
        category: Category::Networking,
        about: "a CDN distribution in front of an origin: viewers spread over edge locations, a TTL cache per edge (min/default/max TTL and the origin's max-age), regional edge caches behind the edges (on for every distribution, as CloudFront's are) and optional Origin Shield, proxy methods past the regional caches, collapsed misses, origin connection and read timeouts ending in 504, error responses cached for the error caching minimum TTL, serve-stale on origin errors",
        keys: &[
            Key {
                name: "origin",
                ty: KeyType::Text,
                required: true,
                about: "id of the component that serves what the caches miss (a bucket, a load balancer, a service)",
            },
            Key {
                name: "edges",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_EDGE_LOCATIONS,
                },
                required: false,
                about: "edge locations sharing the viewers equally, named e1, e2, …; or give `edge_locations` (default 1, a choice)",
            },
            Key {
                name: "edge_locations",
                ty: KeyType::Tables(EDGE_KEYS),
                required: false,
                about: "edge locations by name with their relative shares of the viewers, instead of `edges`",
            },
            Key {
                name: "regional_caches",
                ty: KeyType::Integer {
                    min: 0,
                    max: MAX_EDGE_LOCATIONS,
                },
                required: false,
                about: "regional edge caches between the edges and the origin, edge i missing to cache i mod n; every distribution has them, and CloudFront has no setting to turn them off (default 1, a choice: one shared by all the edges, as for viewers of one geography; give one per geography otherwise); at most the number of edges; 0 is what AWS documents for an S3 origin in the Region of the edges' regional edge cache, which they skip (archsim takes 0 with any origin, as a simplification the user chooses); operations not cached (proxy methods: POST, PUT, PATCH, DELETE) and OPTIONS go from the edge past them",
            },
            Key {
                name: "origin_shield",
                ty: KeyType::Bool,
                required: false,
                about: "Origin Shield: one more cache that every miss goes through before the origin; requests not cached pass through it too, uncached (default false)",
            },
            Key {
                name: "min_ttl",
                ty: KeyType::Duration,
                required: false,
                about: "the cache policy's MinTTL: the least time an object is kept, whatever the origin's max-age (default 0s)",
            },
            Key {
                name: "default_ttl",
                ty: KeyType::Duration,
                required: false,
                about: "the cache policy's DefaultTTL: how long an object is kept when the origin sends no max-age (default 1d)",
            },
            Key {
                name: "max_ttl",
                ty: KeyType::Duration,
                required: false,
                about: "the cache policy's MaxTTL: the most time an object is kept, whatever the origin's max-age (default 365d); min_ttl ≤ default_ttl ≤ max_ttl",
            },
            Key {
                name: "max_age",
                ty: KeyType::Duration,
                required: false,
                about: "the Cache-Control max-age the origin sends with its objects, held within [min_ttl, max_ttl] (default: none sent, so default_ttl)",
            },
            Key {
                name: "max_age_by_op",
                ty: KeyType::Tables(MAX_AGE_KEYS),
                required: false,
                about: "the max-age the origin sends for the objects of an operation, overriding `max_age`",
            },
            Key {
                name: "capacity",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_CACHE_ENTRIES,
                },
                required: false,
                about: "objects each cache (edge, regional, shield) holds, the least recently used evicted first; all of them together at most 10,000,000 (default 100,000, a choice)",
            },
            Key {
                name: "cached",
                ty: KeyType::Words,
                required: false,
                about: "operations whose answers are cached, as GET and HEAD are (and OPTIONS when chosen); every other one (POST, PUT, DELETE, …) goes to the origin, never cached; a write's name is refused (default read, get, head)",
            },
            Key {
                name: "hit_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time an edge takes to serve an answer it has, which AWS does not document (default uniform 1 to 3 ms, a choice)",
            },
            Key {
                name: "tier_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "one-way time between cache tiers (edge to regional cache, to Origin Shield), which AWS does not document (default uniform 5 to 20 ms, a choice)",
            },
            Key {
                name: "origin_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "one-way time from the last cache to the origin, which AWS does not document (default uniform 10 to 40 ms, a choice)",
            },
            Key {
                name: "connection_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "how long CloudFront waits to connect to the origin per attempt, 1s to 10s (default 10s)",
            },
            Key {
                name: "connection_attempts",
                ty: KeyType::Integer { min: 1, max: 3 },
                required: false,
                about: "connection attempts to the origin before the viewer gets 504, 1 to 3 (default 3)",
            },
            Key {
                name: "read_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "the origin response (read) timeout: how long CloudFront waits for an answer once connected, 1s to 180s (above 60s by a quota increase); past it the viewer gets 504 (default 30s)",
            },
            Key {
                name: "serve_stale",
                ty: KeyType::Bool,
                required: false,
                about: "serve an expired copy a cache still holds when the origin fails (5xx or a timeout) rather than the error, as CloudFront does (\"CloudFront continues to serve cached content\"); false shows what the error would be without it (default true)",
            },
            Key {
                name: "error_caching_min_ttl",
                ty: KeyType::Duration,
                required: false,
                about: "the error caching minimum TTL: how long a cache keeps an error response CloudFront caches (404, 405, 414, 500, 501, 502, 503, 504, and a 504 for an origin that does not answer), answering it to later requests for the key without asking the origin; 0s: errors are not cached (default 10s)",
            },
            Key {
                name: "price_per_10k_requests",
                ty: KeyType::Number {
                    min: 0.0,
                    max: f64::MAX,
                },
                required: false,
                about: "USD per 10,000 viewer requests (default 0.0100, HTTPS in North America and Europe; the free tier is not counted)",
            },
            Key {
                name: "price_per_gb",
                ty: KeyType::Number {
                    min: 0.0,
                    max: f64::MAX,
                },
                required: false,
                about: "USD per GB served to viewers (default 0.085, the first 10 TB a month in North America and Europe)",
            },
        ],
        faults: &[],
        series: &[
            &REQUESTS,
            &HIT_RATIO,
            &ORIGIN_REQUESTS,
            &ERRORS,
            &EDGE_HIT_MIN,
            &EDGE_HIT_MAX,
        ],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "viewer requests received in the measured period",
            },
            Field {
                path: "hits",
                unit: Unit::Count,
                about: "lookups at the edges that found a fresh object",
            },
            Field {
                path: "misses",
                unit: Unit::Count,
                about: "lookups at the edges that found none (collapsed ones included)",
            },
            Field {
                path: "collapsed",
                unit: Unit::Count,
                about: "misses at an edge that waited for a fetch of the same key already under way",
            },
            Field {
                path: "origin_requests",
                unit: Unit::Count,
                about: "requests sent to the origin (connection attempts that failed are not among them)",
            },
            Field {
                path: "origin_request_rps",
                unit: Unit::Number,
                about: "requests sent to the origin per second of the measured period [requests/s]",
            },
            Field {
                path: "connect_failures",
                unit: Unit::Count,
                about: "connection attempts to the origin that timed out",
            },
            Field {
                path: "origin_timeouts",
                unit: Unit::Count,
                about: "fetches that ended in 504: every connection attempt timed out, or no response within the read timeout",
            },
            Field {
                path: "error_hits",
                unit: Unit::Count,
                about: "lookups at the edges that found a cached error response (error_caching_min_ttl), answered with it (or with an expired copy under serve_stale) without the origin; neither hits nor misses",
            },
            Field {
                path: "stale_served",
                unit: Unit::Count,
                about: "viewer requests answered with an expired copy because the origin failed (serve_stale)",
            },
            Field {
                path: "hit_ratio",
                unit: Unit::Share,
                about: "hits over the edges' lookups",
            },
            Field {
                path: "offload_ratio",
                unit: Unit::Share,
                about: "share of viewer requests that did not reach the origin: 1 − origin requests / requests",
            },
            Field {
                path: "edge_hit_ratio.*",
                unit: Unit::Share,
                about: "each edge location's hit ratio, by its name",
            },
            Field {
                path: "edge_hit_ratio_min",
                unit: Unit::Share,
                about: "the lowest of the edge locations' hit ratios",
            },
            Field {
                path: "edge_hit_ratio_max",
                unit: Unit::Share,
                about: "the highest of the edge locations' hit ratios",
            },
            Field {
                path: "regional_hit_ratio",
                unit: Unit::Share,
                about: "hits over lookups at the regional edge caches (when there are any)",
            },
            Field {
                path: "shield_hit_ratio",
                unit: Unit::Share,
                about: "hits over lookups at Origin Shield (when it is on)",
            },
            Field {
                path: "gb_out",
                unit: Unit::Number,
                about: "data served to viewers, from the requests' sizes [GB of 2^30 bytes]",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "viewer requests at `price_per_10k_requests` and data out at `price_per_gb` (origin fetches from AWS origins are free)",
            },
            Field {
                path: "by_status.*",
                unit: Unit::Count,
                about: "viewer requests by the status they were answered with",
            },
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "offload",
                field: "offload_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "hits, of lookups",
                field: "hit_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "origin requests/s",
                field: "origin_request_rps",
                unit: Unit::Number,
            },
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "requests/s",
                lines: &[
                    PlotLine {
                        series: &REQUESTS,
                        label: "viewer requests",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &ORIGIN_REQUESTS,
                        label: "to the origin",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &ERRORS,
                        label: "5xx answers",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "hit ratio [%]",
                lines: &[
                    PlotLine {
                        series: &HIT_RATIO,
                        label: "all edges",
                        tone: Tone::Good,
                        scale: 100.0,
                    },
                    PlotLine {
                        series: &EDGE_HIT_MIN,
                        label: "lowest edge",
                        tone: Tone::Limit,
                        scale: 100.0,
                    },
                    PlotLine {
                        series: &EDGE_HIT_MAX,
                        label: "highest edge",
                        tone: Tone::Load,
                        scale: 100.0,
                    },
                ],
                y_max: Some(105.0),
            },
        ],
        events: &[],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[ResourceMap {
            cloudformation: &["AWS::CloudFront::Distribution"],
            terraform: &["aws_cloudfront_distribution"],
            map: import_distribution,
        }],
        companions: &[],
        downstream: Downstream::One {
            key: "origin",
            required: true,
        },
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::CloudFront::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    /// aws-facts: §9 CloudFront: viewers are served from edge locations, not from a Region;
    /// AWS calls CloudFront a global service, so it takes no `region` or `az` and no
    /// region's outage takes it down (its origin's region may still fail).
    fn global(&self) -> bool {
        true
    }
}

// What `archsim import` makes of a template's distributions.

/// A distribution: its origins (the first one of the template is the origin; archsim's
/// distribution has one), its legacy TTLs and Origin Shield.
fn import_distribution(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let (origins, behaviour) = if cf {
        (
            "DistributionConfig.Origins",
            "DistributionConfig.DefaultCacheBehavior",
        )
    } else {
        ("origin", "default_cache_behavior")
    };
    for o in r.refs(origins) {
        m.edge(None, o, "an origin of the distribution");
    }
    let ttls = if cf {
        [
            ("min_ttl", "MinTTL"),
            ("default_ttl", "DefaultTTL"),
            ("max_ttl", "MaxTTL"),
        ]
    } else {
        [
            ("min_ttl", "min_ttl"),
            ("default_ttl", "default_ttl"),
            ("max_ttl", "max_ttl"),
        ]
    };
    let values = ttls.map(|(_, from)| r.num(&format!("{behaviour}.{from}")));
    // archsim requires min_ttl ≤ default_ttl ≤ max_ttl, as CloudFront does.
    let ordered = values
        .iter()
        .flatten()
        .collect::<Vec<_>>()
        .windows(2)
        .all(|w| w[0] <= w[1]);
    if ordered {
        for ((key, from), v) in ttls.iter().zip(values) {
            if let Some(v) = v.filter(|v| *v >= 0.0) {
                m.set(key, seconds(v), format!("DefaultCacheBehavior {from}"));
            }
        }
    }
    if r.get(&format!("{behaviour}.CachePolicyId")).is_some() {
        m.note(format!(
            "{}'s cache policy is not read: set min_ttl, default_ttl and max_ttl from it",
            r.name
        ));
    }
    let shield = if cf {
        "OriginShield.Enabled"
    } else {
        "origin_shield.enabled"
    };
    if let Some(serde_json::Value::Array(list)) = r.get(origins) {
        if list.iter().any(|o| {
            shield
                .split('.')
                .try_fold(o, |v, k| v.get(k).or_else(|| v.as_array()?.first()?.get(k)))
                .and_then(|v| v.as_bool())
                == Some(true)
        }) {
            m.set("origin_shield", true, "an origin's Origin Shield");
        }
    }
}
