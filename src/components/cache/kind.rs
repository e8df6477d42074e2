//! What `cache` declares about itself: its keys, fault, series, summary fields, columns,
//! plot panels and events.

use super::config::{self, CacheConfig};
use super::Fault;
use crate::components::kind::{
    Category, Column, DiagramSpec, EventInfo, FaultInfo, Field, Key, KeyType, Kind, KindInfo, Mark,
    PlotLine, PlotPanel, Satellite, SatelliteZone, Series, Tone, Unit,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::{RawComponentTable, RawFault};
use crate::config::Checker;

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
pub(super) const HIT_RATIO: Series = Series {
    id: "hit_ratio",
    unit: Unit::Share,
    about: "share of reads answered from the cache",
};
pub(super) const MISSES: Series = Series {
    id: "misses_rps",
    unit: Unit::PerSecond,
    about: "reads that went to the backend",
};
pub(super) const STALE_READS: Series = Series {
    id: "stale_reads_rps",
    unit: Unit::PerSecond,
    about: "hits that served a value older than the backend’s",
};

impl Kind for CacheConfig {
    /// Each engine's default port, which network ACL rules match.
    fn port(&self) -> u16 {
        match self.engine {
            config::Engine::Redis => 6379,
            config::Engine::Memcached => 11211,
        }
    }

    // aws-facts: §20 VPC: its network interfaces sit in a VPC, guarded by security groups.
    const IN_VPC: bool = true;
    const INFO: &'static KindInfo = &KindInfo {
        name: "cache",
        title: "Amazon ElastiCache",
        noun: "a cache",
        category: Category::Database,
        about: "Redis or Memcached used cache-aside in front of a backend: lazy loading or write-through, TTL, LRU capacity, stale reads, node failures and Redis Multi-AZ failover",
        keys: &[
            Key {
                name: "engine",
                ty: KeyType::Word(&["redis", "memcached"]),
                required: false,
                about: "Redis OSS / Valkey (replicas, Multi-AZ failover) or Memcached (a lost node loses its keys) (default redis)",
            },
            Key {
                name: "strategy",
                ty: KeyType::Word(&["lazy_loading", "write_through"]),
                required: false,
                about: "lazy_loading: a read that misses fills the cache; write_through: writes fill it too (default lazy_loading)",
            },
            Key {
                name: "backend",
                ty: KeyType::Text,
                required: true,
                about: "id of the component behind the cache (the database) that misses and writes go to",
            },
            Key {
                name: "backend_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "how long the application waits for the backend, above zero; a timeout answers 504 (default: no limit)",
            },
            Key {
                name: "ttl",
                ty: KeyType::Duration,
                required: false,
                about: "how long an entry lives, above zero (default: until evicted)",
            },
            Key {
                name: "capacity",
                ty: KeyType::Integer {
                    min: 1,
                    max: crate::limits::MAX_CACHE_ENTRIES,
                },
                required: false,
                about: "entries it holds, the least recently used evicted first (default 1,000,000)",
            },
            Key {
                name: "latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "one cache round trip on the application's side: a hit takes one, a miss one before the backend and one to fill after it (default uniform 0.2 to 0.5 ms)",
            },
            Key {
                name: "multi_az",
                ty: KeyType::Bool,
                required: false,
                about: "Redis only: a replica in another zone takes over a lost node after `failover`, data kept; two nodes are paid for (default false)",
            },
            Key {
                name: "failover",
                ty: KeyType::Duration,
                required: false,
                about: "time a Redis Multi-AZ failover takes, above zero, during which requests go to the backend (default 30s)",
            },
            Key {
                name: "writes",
                ty: KeyType::Words,
                required: false,
                about: "operations that write (to the backend, then the cache with write_through); every other operation reads (default write, put, update, delete)",
            },
            Key {
                name: "node_hourly",
                ty: KeyType::Number {
                    min: 0.0,
                    max: f64::MAX,
                },
                required: false,
                about: "price of one node per hour in USD, above 0 (default 0.206, cache.r6g.large in us-east-1)",
            },
            Key {
                name: "maxmemory_policy",
                ty: KeyType::Word(&["volatile-lru", "allkeys-lru", "noeviction"]),
                required: false,
                about: "Redis only: what a full cache evicts for a new entry: volatile-lru the least recently used entry written with a TTL (so only with `ttl`), allkeys-lru any, noeviction none; when nothing may go the set is refused (OOM) and the key stays uncached (default volatile-lru, ElastiCache's; Memcached always evicts the least recently used)",
            },
            Key {
                name: "replacement",
                ty: KeyType::Duration,
                required: false,
                about: "time a lost node without a replica (Memcached, Redis without `multi_az`) stays unreachable until its replacement, empty, is in service, above zero (default 5m, a choice: AWS gives no figure)",
            },
            Key {
                name: "connect_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "time each request spends on an unreachable node before going to the backend: the client's connect timeout, or 0s for an immediate connection error (default 2s, a choice)",
            },
        ],
        faults: &[
            FaultInfo {
                name: "cache_node_failure",
                takes: "`target`, a component of kind \"cache\"",
                keys: &["target"],
                about: "a cache node is lost: without a replica it is unreachable for `replacement`, then back empty; Redis with `multi_az` fails over",
            },
        ],
        series: &[&REQUESTS, &HIT_RATIO, &MISSES, &STALE_READS],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests received in the measured period",
            },
            Field {
                path: "hits",
                unit: Unit::Count,
                about: "reads answered from the cache",
            },
            Field {
                path: "misses",
                unit: Unit::Count,
                about: "reads not in the cache (or expired), sent to the backend",
            },
            Field {
                path: "stale_reads",
                unit: Unit::Count,
                about: "hits on an entry filled before its key's last write",
            },
            Field {
                path: "bypassed",
                unit: Unit::Count,
                about: "requests sent to the backend without the cache while the node was failing over or unreachable",
            },
            Field {
                path: "connection_errors",
                unit: Unit::Count,
                about: "gets and sets that met an unreachable node and paid `connect_timeout`",
            },
            Field {
                path: "evictions",
                unit: Unit::Count,
                about: "entries evicted to make room for a new one",
            },
            Field {
                path: "refused_sets",
                unit: Unit::Count,
                about: "sets refused with Redis's OOM error: the cache full and nothing it may evict (the key stays uncached)",
            },
            crate::components::kind::BY_STATUS,
            Field {
                path: "hit_ratio",
                unit: Unit::Share,
                about: "hits over hits and misses",
            },
            Field {
                path: "stale_read_fraction",
                unit: Unit::Share,
                about: "share of hits that were stale",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "node-hours over the measured period (two nodes with Multi-AZ) at `node_hourly`",
            },
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "hits, of lookups",
                field: "hit_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "stale, of hits",
                field: "stale_read_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "misses",
                field: "misses",
                unit: Unit::Count,
            },
            crate::components::kind::LATE_REPLIES_COLUMN,
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "hit ratio [%]",
                lines: &[
                    PlotLine {
                        series: &HIT_RATIO,
                        label: "hits",
                        tone: Tone::Good,
                        scale: 100.0,
                    },
                ],
                y_max: Some(105.0),
            },
            PlotPanel {
                axis: "per second",
                lines: &[
                    PlotLine {
                        series: &MISSES,
                        label: "misses (to the database)",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &STALE_READS,
                        label: "stale reads",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
        ],
        events: &[
            EventInfo {
                event: "node_lost",
                mark: Mark::SpanStart("node unreachable"),
            },
            EventInfo {
                event: "node_replaced",
                mark: Mark::SpanEnd("node unreachable"),
            },
            EventInfo {
                event: "failover_start",
                mark: Mark::SpanStart("failover"),
            },
            EventInfo {
                event: "failover_done",
                mark: Mark::SpanEnd("failover"),
            },
        ],
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn parse_fault(&self, _fault: &str, _f: &RawFault, _ck: &mut Checker) -> Option<(u32, String)> {
        // Its only fault; the scenario has checked the name and the target.
        Some((Fault::NodeFailure.code(), String::new()))
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    /// A Redis replication group with Multi-AZ: its replica in another zone.
    fn diagram(&self) -> DiagramSpec {
        let mut satellites = Vec::new();
        // aws-facts: §6 Engines: Redis replicas are kept asynchronously; Multi-AZ fails over
        // to one. Memcached has no replicas.
        if self.engine == config::Engine::Redis && self.multi_az {
            satellites.push(Satellite {
                name: "replica".to_string(),
                zone: SatelliteZone::Other(0),
                link: "async replication",
            });
        }
        DiagramSpec {
            lines: self.lines(),
            satellites,
        }
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::Cache::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }
}
