//! What `cache` declares about itself: its keys, fault, series, summary fields, columns,
//! plot panels and events.

use super::config::{self, CacheConfig};
use super::Fault;
use crate::components::iac::{
    category_of, string, Dialect, Downstream, Imports, Mapped, Resource, ResourceMap,
};
use crate::components::kind::{
    Category, Column, DiagramSpec, EventInfo, FaultInfo, Field, Key, KeyType, Kind, KindInfo, Mark,
    PlotLine, PlotPanel, Satellite, SatelliteZone, Series, Tone, Unit, Unplaced, ZoneOutage,
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
    about: "share of the reads reaching a node that it answered, as CloudWatch's CacheHitRate (writes and reads that bypassed a lost or failing-over node left out)",
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
pub(super) const BYPASSED: Series = Series {
    id: "bypassed_rps",
    unit: Unit::PerSecond,
    about: "requests sent to the backend without the cache because their node was unreachable or failing over (or, within `reconnect`, the client still named the old primary), as the summary's `bypassed`",
};
pub(super) const CONNECTION_ERRORS: Series = Series {
    id: "connection_errors_rps",
    unit: Unit::PerSecond,
    about: "gets and sets that met an unreachable or failing-over node and paid `connect_timeout`, as the summary's `connection_errors`",
};

impl Kind for CacheConfig {
    const WRITE_OPS: Option<crate::components::kind::WriteOps> =
        Some(crate::components::kind::WriteOps::shared("writes"));
    /// Each engine's default port, which network ACL rules match.
    fn port(&self) -> u16 {
        match self.engine {
            config::Engine::Redis => 6379,
            config::Engine::Memcached => 11211,
        }
    }

    // aws-facts: §20 VPC: its network interfaces sit in a VPC, guarded by security groups.
    const IN_VPC: bool = true;

    // aws-facts: §6: lazy loading and write-through are the application's: on a miss (or a
    // write) the application reads (writes) the database and fills the cache. The cache's
    // call to its `backend` stands for that connection, which the application's security
    // groups and subnets make, not the cache's.
    const CONNECTS_AS_CALLERS: bool = true;
    // The same calls are signed with the application's credentials: its role decides them.
    const SIGNS_AS_CALLERS: bool = true;
    const INFO: &'static KindInfo = &KindInfo {
        name: "cache",
        title: "Amazon ElastiCache",
        noun: "a cache",
        category: Category::Database,
        about: "Redis or Memcached used cache-aside in front of a backend: lazy loading or write-through, TTL, LRU capacity, stale reads, node failures and Redis Multi-AZ failover",
        keys: &[
            Key {
                name: "engine",
                ty: KeyType::Word(config::ENGINES),
                required: false,
                about: "redis (Redis OSS) or valkey, alike in all archsim models (replicas, Multi-AZ failover, maxmemory_policy), or memcached (a lost node loses its keys) (default redis)",
            },
            Key {
                name: "strategy",
                ty: KeyType::Word(config::STRATEGIES),
                required: false,
                about: "lazy_loading: a read that misses fills the cache; write_through: writes fill it too; invalidate_on_write: a write deletes the key from the cache, so the next read fills it afresh (default lazy_loading)",
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
                about: "entries each node holds (its memory over your items' size), the least recently used evicted first; with Memcached `nodes` each node holds this many (default 1,000,000)",
            },
            Key {
                name: "nodes",
                ty: KeyType::Integer {
                    min: 1,
                    max: config::MAX_NODES,
                },
                required: false,
                about: "Memcached only: nodes the keys are spread over by the client's hash, each holding about 1/nodes of them, each a node paid for: a lost node loses only its keys, and only requests for them meet it unreachable; at most 60, AWS's default quota (default 1)",
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
                about: "Redis only: a replica in another zone takes over a lost node (a node failure, or an outage of the cache's `az`) after `failover`, data kept; two nodes are paid for (default false)",
            },
            Key {
                name: "failover",
                ty: KeyType::Duration,
                required: false,
                about: "time a Redis Multi-AZ failover takes, above zero, during which each request meets the lost primary (the primary endpoint still names it), pays `connect_timeout` and goes to the backend (default 30s)",
            },
            Key {
                name: "writes",
                ty: KeyType::Words,
                required: false,
                about: "operations that write (to the backend, then the cache with write_through, or deleting the key from it with invalidate_on_write); every other operation reads (default write, put, update, delete)",
            },
            Key {
                name: "node_hourly",
                ty: KeyType::Number {
                    min: 0.0,
                    max: f64::MAX,
                },
                required: false,
                about: "price of one node per hour in USD, above 0 (default 0.206, cache.r6g.large in us-east-1 for Redis OSS and Memcached; Valkey's nodes have a price of their own, not in archsim's facts: set it)",
            },
            Key {
                name: "maxmemory_policy",
                ty: KeyType::Word(&["volatile-lru", "allkeys-lru", "noeviction"]),
                required: false,
                about: "Redis only: what a full cache evicts for a new entry: volatile-lru the least recently used entry written with a TTL (so only with `ttl`), allkeys-lru any, noeviction none; expired entries are deleted first, and when nothing may go the set is refused (OOM) and the key stays uncached (default volatile-lru, ElastiCache's; Memcached always evicts the least recently used)",
            },
            Key {
                name: "replacement",
                ty: KeyType::Duration,
                required: false,
                about: "time ElastiCache takes to replace a lost node, above zero: a node without a replica (Memcached, Redis without `multi_az`) stays unreachable that long and comes back empty; with `multi_az` the replacement replica is in sync that long after a failover (until then a second failure loses every node, recreated empty after `replacement`); a node lost with its zone comes back no earlier than the zone (default 5m, a choice: AWS gives no figure)",
            },
            Key {
                name: "connect_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "time each request spends on an unreachable node (lost, or a Redis primary failing over) before going to the backend: the client's connect timeout, or 0s for an immediate connection error (default 2s, a choice)",
            },
            Key {
                name: "reconnect",
                ty: KeyType::Duration,
                required: false,
                about: "Redis with `multi_az` only: time after a failover until every client has re-resolved the primary endpoint and reconnected (its DNS cache); meanwhile a share of requests falling linearly from all to none still meets the old primary and pays `connect_timeout` (default 0s: AWS documents no DNS TTL or reconnection time, and asks clients to resolve DNS often)",
            },
        ],
        faults: &[
            FaultInfo {
                name: "cache_node_failure",
                takes: "`target`, a component of kind \"cache\", and optionally `count` (Memcached nodes)",
                keys: &["target", "count"],
                about: "a cache node is lost (Memcached: the first `count` nodes in service, default 1): without a replica it is unreachable for `replacement`, then back empty; Redis with `multi_az` loses its primary and fails over to the replica, unless no replica is in sync (during a failover, or before the replacement replica has synced): then every node is lost and recreated, empty, after `replacement` (AWS: the entire cluster fails)",
            },
        ],
        series: &[
            &REQUESTS,
            &HIT_RATIO,
            &MISSES,
            &STALE_READS,
            &BYPASSED,
            &CONNECTION_ERRORS,
        ],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests received in the measured period",
            },
            Field {
                path: "hits",
                unit: Unit::Count,
                about: "reads answered from the cache (CloudWatch's CacheHits for Redis, GetHits for Memcached)",
            },
            Field {
                path: "misses",
                unit: Unit::Count,
                about: "reads that reached a node and found their key missing (or expired), sent to the backend (CloudWatch's CacheMisses for Redis, GetMisses for Memcached)",
            },
            Field {
                path: "stale_reads",
                unit: Unit::Count,
                about: "hits on an entry filled before its key's last write",
            },
            Field {
                path: "bypassed",
                unit: Unit::Count,
                about: "requests sent to the backend without the cache while their node was failing over or unreachable (or, within `reconnect` after a failover, the client still named the old primary)",
            },
            Field {
                path: "connection_errors",
                unit: Unit::Count,
                about: "gets and sets that met an unreachable or failing-over node and paid `connect_timeout`",
            },
            Field {
                path: "evictions",
                unit: Unit::Count,
                about: "entries evicted to make room for a new one (expired entries, deleted first, are counted apart)",
            },
            Field {
                path: "invalidations",
                unit: Unit::Count,
                about: "keys deleted from the cache after a write to the backend (`strategy = \"invalidate_on_write\"`), whether or not the cache held them",
            },
            Field {
                path: "expired",
                unit: Unit::Count,
                about: "entries deleted because their TTL had passed: when their key was read, or to make room in a full cache before evicting or refusing (not counted in evictions)",
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
                about: "hits over hits and misses: the share of the reads reaching a node that it answered, as CloudWatch computes the node's CacheHitRate (Redis: cache_hits / (cache_hits + cache_misses)) or GetHits / CmdGet (Memcached); writes and the reads that bypassed a lost or failing-over node (`bypassed`) count in neither, as they never reach a node's lookup",
            },
            Field {
                path: "stale_read_fraction",
                unit: Unit::Share,
                about: "share of hits that were stale",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "node-hours over the measured period (Memcached's `nodes`, two with Redis Multi-AZ) at `node_hourly`",
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
            // A lost or failing-over node's requests, answered from the backend around it.
            Column {
                label: "bypassed (node down)",
                field: "bypassed",
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
                    // A lost or failing-over node shows here: its requests go around it. The
                    // connection errors are not drawn: each bypassed read paid one, so their
                    // line would lie under this one (they differ only by write-through sets).
                    PlotLine {
                        series: &BYPASSED,
                        label: "bypassed (node down)",
                        tone: Tone::Down,
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
            EventInfo {
                event: "failover_failed",
                mark: Mark::SpanEnd("failover"),
            },
            EventInfo {
                event: "replica_lost",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "replica_ready",
                mark: Mark::Instant,
            },
        ],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[ResourceMap {
            cloudformation: CLOUDFORMATION_TYPES,
            terraform: TERRAFORM_TYPES,
            map: import_cache,
        }],
        companions: &[],
        downstream: Downstream::One {
            key: "backend",
            required: true,
        },
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    /// Without `az` its nodes are in no zone an outage can reach (aws-facts: §6: each node
    /// is in a zone).
    fn unplaced(&self, az: Option<&str>) -> Vec<Unplaced> {
        if az.is_some() {
            return Vec::new();
        }
        let (what, plural) = match (self.engine, self.nodes) {
            (config::Engine::Redis, _) => ("the primary".to_string(), false),
            (_, 1) => ("the node".to_string(), false),
            (_, n) => (format!("the {n} nodes"), true),
        };
        vec![Unplaced {
            what,
            plural,
            key: "az",
        }]
    }

    /// aws-facts: §6 engines: an outage of its zone loses its node; Redis Multi-AZ fails over
    /// to the replica in another zone rather than going down with it.
    fn zone_outage(&self, zone: &str, az: Option<&str>) -> ZoneOutage {
        if az == Some(zone) {
            ZoneOutage::Told(Fault::ZoneOutage.code())
        } else {
            ZoneOutage::Unaffected
        }
    }

    /// Its only fault; the scenario has checked the name and the target. `count` nodes, of
    /// Memcached's `nodes` (Redis has one node the fault can take: its primary).
    fn parse_fault(&self, _fault: &str, f: &RawFault, ck: &mut Checker) -> Option<(u32, String)> {
        let count = match &f.count {
            Some(c) if *c.get_ref() > self.nodes as i64 => {
                ck.error(
                    c.span(),
                    format!(
                        "`count` is {}, more than the cache's {} node(s): a fault of kind \"cache_node_failure\" loses from 1 to `nodes` Memcached nodes (Redis: its primary, 1)",
                        c.get_ref(),
                        self.nodes
                    ),
                );
                return None;
            }
            _ => ck.int_or(&f.count, "count", (1, config::MAX_NODES), 1)? as u32,
        };
        let detail = if count > 1 {
            format!(" x{count}")
        } else {
            String::new()
        };
        Some((Fault::NodeFailure { count }.code(), detail))
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
                // Reads go to the primary: the replica only takes over.
                instances: Vec::new(),
            });
        }
        DiagramSpec {
            lines: self.lines(),
            satellites,
            part_of: None,
        }
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::Cache::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }
}

// What `archsim import` makes of a template's ElastiCache clusters.

/// The CloudFormation types of an ElastiCache cache.
const CLOUDFORMATION_TYPES: &[&str] = &[
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::ServerlessCache",
];
/// The Terraform types of an ElastiCache cache.
const TERRAFORM_TYPES: &[&str] = &[
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_serverless_cache",
];

/// An ElastiCache cluster, replication group or serverless cache: its engine and Multi-AZ.
/// archsim's cache stands in front of a backend, which no ElastiCache resource names: the
/// backend is the database that a resource naming the cache names too (a function whose
/// environment gives both endpoints), and that resource's calls to the database go through
/// the cache (cache-aside). Without one the cache is left out, said so.
fn import_cache(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let serverless = r.kind.ends_with("ServerlessCache") || r.kind.ends_with("serverless_cache");
    let group = r.kind.ends_with("ReplicationGroup") || r.kind.ends_with("replication_group");
    let engine_key = if cf { "Engine" } else { "engine" };
    // A replication group is Redis OSS or Valkey whatever it says (Memcached has none).
    let engine = r
        .text(engine_key)
        .unwrap_or(if group { "redis" } else { "" });
    match engine.to_ascii_lowercase().as_str() {
        "memcached" => m.set("engine", string("memcached"), engine_key),
        "redis" => m.set("engine", string("redis"), format!("{engine_key} {engine}")),
        "valkey" => m.set("engine", string("valkey"), format!("{engine_key} {engine}")),
        "" => m.note(format!(
            "{} names no engine: archsim's default, Redis, is used",
            r.name
        )),
        other => m.note(format!(
            "{}'s engine {other} is not one archsim knows: Redis is used",
            r.name
        )),
    }
    let multi_az_key = if cf {
        "MultiAZEnabled"
    } else {
        "multi_az_enabled"
    };
    let failover_key = if cf {
        "AutomaticFailoverEnabled"
    } else {
        "automatic_failover_enabled"
    };
    if serverless {
        // A choice: AWS documents that a serverless cache keeps its data in several
        // Availability Zones; archsim's nearest is a Redis replica that takes over.
        if !engine.eq_ignore_ascii_case("memcached") {
            m.set(
                "multi_az",
                true,
                "a serverless cache replicates across zones (a choice: its failover is modelled as Multi-AZ's)",
            );
        }
    } else if group && (r.flag(multi_az_key) == Some(true) || r.flag(failover_key) == Some(true)) {
        let why = if r.flag(multi_az_key) == Some(true) {
            multi_az_key
        } else {
            failover_key
        };
        m.set("multi_az", true, why);
    }
    let nodes_key = if cf {
        "NumCacheNodes"
    } else {
        "num_cache_nodes"
    };
    if let Some(n) = r.num(nodes_key).filter(|n| *n > 1.0) {
        if engine.eq_ignore_ascii_case("memcached") {
            // Whole, and within the quota archsim models; a larger one is said so.
            let nodes = (n.round() as i64).min(config::MAX_NODES);
            m.set("nodes", nodes, nodes_key);
            if n > config::MAX_NODES as f64 {
                m.note(format!(
                    "{} has {n} nodes: archsim models at most {}, AWS's default quota",
                    r.name,
                    config::MAX_NODES
                ));
            }
        } else {
            m.note(format!(
                "{} has {n} nodes: a Redis cluster (cluster mode disabled) keeps every key on its primary, one node here (with a replica under Multi-AZ)",
                r.name
            ));
        }
    }
    let node_key = if cf { "CacheNodeType" } else { "node_type" };
    if let Some(t) = r.text(node_key).filter(|t| *t != "cache.r6g.large") {
        m.ask(
            "node_hourly",
            0.206,
            format!("price of one {t} node per hour in your Region (0.206 is cache.r6g.large's in us-east-1)"),
        );
    }
    m.ask(
        "capacity",
        config::DEFAULT_CAPACITY,
        "entries the cache holds: your node's memory over your items' size (CloudWatch CurrItems at its fullest)",
    );
    m.note(format!(
        "{}'s hit ratio is the workloads' keys': archsim's default (uniform over 1,000,000) rarely repeats one, so set `keys` on each workload from your access pattern",
        r.name
    ));
    // The backend: a database named by a resource that names the cache.
    for caller in r.others().filter(|o| o.name != r.name) {
        let mut named = Vec::new();
        crate::components::iac::references(caller.props, &mut named);
        if !named.iter().any(|n| n == r.name) {
            continue;
        }
        let db = named.iter().find(|n| {
            category_of(r, n) == Some(Category::Database)
                && r.other(n).is_some_and(|o| {
                    !CLOUDFORMATION_TYPES.contains(&o.kind) && !TERRAFORM_TYPES.contains(&o.kind)
                })
        });
        let Some(db) = db else { continue };
        if m.edges.is_empty() {
            m.assumed_edge(
                None,
                db.clone(),
                &format!(
                    "{} names both the cache and {db}, read cache-aside",
                    caller.name
                ),
            );
        }
        if m.edges.iter().any(|e| e.to == *db) {
            m.fronts.push((caller.name.to_string(), db.clone()));
        } else {
            m.note(format!(
                "{} names the cache and {db}; the cache's backend is {}: its calls to {db} are written as they are",
                caller.name, m.edges[0].to
            ));
        }
    }
}
