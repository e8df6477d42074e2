//! The `cache` table: its keys as written, and the validated config.

use crate::components::lru::Evict;
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker, OpChoice};
use crate::dist::Dist;
use crate::kernel::SimTime;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    engine: Option<Spanned<String>>,
    strategy: Option<Spanned<String>>,
    backend: Spanned<String>,
    backend_timeout: Option<Spanned<String>>,
    ttl: Option<Spanned<String>>,
    capacity: Option<Spanned<i64>>,
    nodes: Option<Spanned<i64>>,
    latency: Option<Spanned<RawDist>>,
    multi_az: Option<bool>,
    failover: Option<Spanned<String>>,
    writes: Option<Vec<Spanned<String>>>,
    node_hourly: Option<Spanned<f64>>,
    maxmemory_policy: Option<Spanned<String>>,
    replacement: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    reconnect: Option<Spanned<String>>,
}

/// The cache's engine, which decides what a node failure does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Redis OSS / Valkey: with `multi_az`, a replica that takes over.
    Redis,
    /// Memcached: no replicas; a lost node's keys are gone.
    Memcached,
}

/// How the application keeps the cache filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Cache-aside: a read that misses fills the cache from the backend.
    LazyLoading,
    /// Every write to the backend is written to the cache too (and misses still fill it).
    WriteThrough,
    /// Cache-aside with invalidation: a read that misses fills the cache; a write to the
    /// backend deletes the key from the cache, so the next read misses and fills it afresh.
    InvalidateOnWrite,
}

/// The words of `strategy`, in the order of `Strategy`'s variants.
pub const STRATEGIES: &[&str] = &["lazy_loading", "write_through", "invalidate_on_write"];

/// A validated `cache`.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    /// The ElastiCache engine. Default Redis.
    pub engine: Engine,
    /// The Redis-compatible engine is Valkey, not Redis OSS: named so, it behaves the same.
    pub valkey: bool,
    /// How the application fills the cache. Default lazy loading.
    pub strategy: Strategy,
    /// How long an entry lives [s]; `None`: until evicted.
    pub ttl: Option<SimTime>,
    /// The most entries each node holds, the least recently used evicted first [entries].
    pub capacity: usize,
    /// Memcached: the nodes the keys are spread over, each holding its share; Redis has one
    /// (its primary) [nodes].
    pub nodes: usize,
    /// One cache round trip's time on the application's side [s].
    pub latency: Dist,
    /// Whether Redis keeps a replica in another zone and fails over to it.
    pub multi_az: bool,
    /// Time a Redis Multi-AZ failover takes [s].
    pub failover: SimTime,
    /// Operations that write [operation indices]; every other operation reads.
    pub writes: Vec<u16>,
    /// Price of one node per hour [USD/h]; Memcached runs `nodes`, Redis with Multi-AZ two
    /// (primary and replica).
    pub node_hourly: f64,
    /// What a full cache may evict (Redis's `maxmemory-policy`; Memcached evicts any entry).
    pub eviction: Evict,
    /// Time ElastiCache takes to replace a failed node [s]: a node without a replica
    /// (single-node Redis, Memcached) stays unreachable that long and comes back empty; with
    /// Multi-AZ it is the time the replacement replica takes to be in sync after a failover,
    /// and the time to recreate the cluster when no replica was in sync.
    pub replacement: SimTime,
    /// Time each request spends on an unreachable node before it falls back to the backend:
    /// the client's connect timeout, or zero for an immediate connection error [s].
    pub connect_timeout: SimTime,
    /// Redis Multi-AZ: time after a failover until every client has re-resolved the primary
    /// endpoint and reconnected to the promoted replica; meanwhile a falling share of
    /// requests still meets the lost primary [s].
    pub reconnect: SimTime,
    /// The database: one downstream call.
    pub calls: Vec<CallSpec>,
}

/// The entries a cache holds by default [entries]: a choice (the facts give no node size).
pub(super) const DEFAULT_CAPACITY: i64 = 1_000_000;
/// aws-facts: §6 failover timing: a Redis primary failover usually takes about 30 s.
const DEFAULT_FAILOVER: SimTime = SimTime::from_secs(30);
/// aws-facts: §6 node failure/replacement: the time to replace a failed node is undocumented
/// ("model minutes"; AWS's FaultTolerance page says creating and provisioning a node "can take
/// several minutes"); 5 minutes is a choice, for a lone node and a replacement replica alike.
const DEFAULT_REPLACEMENT: SimTime = SimTime::from_secs(300);
/// The time a request spends on an unreachable node before falling back: a choice (aws-facts
/// §6 says only "connection errors or client timeouts"). Common Redis clients' connect
/// timeouts are 2 to 10 s by default (some have none); 2 s is the short end.
const DEFAULT_CONNECT_TIMEOUT: SimTime = SimTime::from_secs(2);
/// Not in aws-facts: the most nodes a Memcached cluster has, AWS's default quota "Nodes per
/// cluster (Memcached)" (ElastiCache user guide, Clusters.html: "Memcached clusters contain
/// from 1 to 60 nodes"; the quota can be raised on request, to no documented maximum).
pub const MAX_NODES: i64 = 60;
/// The clients' reconnection after a failover: nothing by default. ElastiCache documents no DNS
/// TTL for its endpoints and no reconnection time; it asks clients to resolve the endpoints'
/// names often (ClientConfig.DNS.html), and a client that does pays one new connection, a few
/// round trips within the VPC: nothing beside the failover's 30 s. A client that caches DNS
/// for longer (a language runtime's resolver cache) keeps meeting the old primary that long:
/// `reconnect` is that time, for the user to set.
const DEFAULT_RECONNECT: SimTime = SimTime::ZERO;
/// The `engine` words. aws-facts: §6 engines: Redis OSS and Valkey alike (replicas,
/// Multi-AZ failover, `maxmemory-policy`); Memcached.
pub(super) const ENGINES: &[&str] = &["redis", "valkey", "memcached"];
/// The `maxmemory_policy` words, as Redis spells them.
const POLICIES: [&str; 3] = ["volatile-lru", "allkeys-lru", "noeviction"];

/// Not in aws-facts: cache.r6g.large on demand in us-east-1, from AWS's price page [USD/h].
const DEFAULT_NODE_HOURLY: f64 = 0.206;

/// The facts give no latency; an in-memory get over an in-zone hop is a few hundred µs.
fn default_latency() -> Dist {
    Dist::Uniform {
        min: 0.000_2,
        max: 0.000_5,
    }
}

/// Reads and validates a `cache` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<CacheConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawCache = ck.deserialize(table)?;
    let engine_word = ck.one_of_or(&raw.engine, "engine", ENGINES, "redis");
    let valkey = engine_word == Some("valkey");
    let engine = engine_word.map(|e| {
        if e == "memcached" {
            Engine::Memcached
        } else {
            Engine::Redis
        }
    });
    let strategy = ck
        .one_of_or(&raw.strategy, "strategy", STRATEGIES, "lazy_loading")
        .map(|s| match s {
            "write_through" => Strategy::WriteThrough,
            "invalidate_on_write" => Strategy::InvalidateOnWrite,
            _ => Strategy::LazyLoading,
        });
    let backend = ck.component(&raw.backend, "backend");
    let backend_timeout = ck.or(&raw.backend_timeout, None, |ck, t| {
        ck.positive_duration(t, "backend_timeout").map(Some)
    });
    let ttl = ck.or(&raw.ttl, None, |ck, t| {
        ck.positive_duration(t, "ttl").map(Some)
    });
    let capacity = ck.int_or(
        &raw.capacity,
        "capacity",
        (1, crate::limits::MAX_CACHE_ENTRIES),
        DEFAULT_CAPACITY,
    );
    let nodes = parse_nodes(&raw, engine, capacity, ck);
    let latency = ck.time_dist_or(&raw.latency, "latency", default_latency());
    let multi_az = raw.multi_az.unwrap_or(false);
    let failover = ck.positive_duration_or(&raw.failover, "failover", DEFAULT_FAILOVER);
    if multi_az && engine == Some(Engine::Memcached) {
        ck.error(
            raw.engine.as_ref().map_or(at, |e| e.span()),
            "Memcached has no replicas and no failover: `multi_az` needs engine = \"redis\" or \"valkey\"",
        );
        return None;
    }
    let eviction = parse_eviction(&raw, engine, ck);
    let replacement = ck.positive_duration_or(&raw.replacement, "replacement", DEFAULT_REPLACEMENT);
    let connect_timeout = ck.duration_or(
        &raw.connect_timeout,
        "connect_timeout",
        DEFAULT_CONNECT_TIMEOUT,
    );
    let reconnect = ck.duration_or(&raw.reconnect, "reconnect", DEFAULT_RECONNECT);
    if let (Some(r), false) = (&raw.reconnect, multi_az) {
        ck.error(
            r.span(),
            "`reconnect` is the clients' reconnection after a Redis Multi-AZ failover: it needs `multi_az = true` (a replaced node keeps its DNS name and address)",
        );
        return None;
    }
    let writes = ck.write_ops(&raw.writes);
    let node_hourly = ck.or(&raw.node_hourly, DEFAULT_NODE_HOURLY, |ck, p| {
        ck.positive(p, "node_hourly", "a price in USD per node-hour")
    });
    Some(CacheConfig {
        node_hourly: node_hourly?,
        engine: engine?,
        valkey,
        strategy: strategy?,
        ttl: ttl?,
        capacity: capacity? as usize,
        nodes: nodes?,
        latency: latency?,
        multi_az,
        failover: failover?,
        writes,
        eviction: eviction?,
        replacement: replacement?,
        connect_timeout: connect_timeout?,
        reconnect: reconnect?,
        calls: vec![CallSpec {
            to: backend?,
            op: OpChoice::Inherit,
            probability: 1.0,
            timeout: backend_timeout?,
            latency: None,
            retry: None,
            asynchronous: None,
            position: None,
        }],
    })
}

/// `nodes`: Memcached only, at most AWS's default quota, and all of them together within the
/// entries archsim lets a cache hold.
fn parse_nodes(
    raw: &RawCache,
    engine: Option<Engine>,
    capacity: Option<i64>,
    ck: &mut Checker,
) -> Option<usize> {
    let span = || raw.nodes.as_ref().map(|n| n.span());
    if let Some(n) = raw.nodes.as_ref().filter(|n| *n.get_ref() > MAX_NODES) {
        ck.error(
            n.span(),
            format!(
                "`nodes` is {}, more than {MAX_NODES}: AWS's default quota of nodes per Memcached cluster (raised only on request, to no documented maximum)",
                n.get_ref()
            ),
        );
        return None;
    }
    let nodes = ck.int_or(&raw.nodes, "nodes", (1, MAX_NODES), 1)?;
    if nodes > 1 && engine == Some(Engine::Redis) {
        ck.error(
            span()?,
            "`nodes` is Memcached's: a Redis or Valkey cluster (cluster mode disabled) keeps every key on its primary; set engine = \"memcached\" to spread keys over nodes",
        );
        return None;
    }
    let capacity = capacity?;
    if nodes.saturating_mul(capacity) > crate::limits::MAX_CACHE_ENTRIES {
        ck.error(
            span()?,
            format!(
                "{nodes} nodes of {capacity} entries each (`capacity`) could hold more than {} entries, the most a cache may hold; lower `capacity` to at most {}",
                crate::limits::MAX_CACHE_ENTRIES,
                crate::limits::MAX_CACHE_ENTRIES / nodes
            ),
        );
        return None;
    }
    Some(nodes as usize)
}

/// `maxmemory_policy`: Redis only. aws-facts: §6 eviction default: ElastiCache's default
/// parameter groups set volatile-lru. Memcached evicts the least recently used entry,
/// whatever its expiry.
fn parse_eviction(raw: &RawCache, engine: Option<Engine>, ck: &mut Checker) -> Option<Evict> {
    if engine == Some(Engine::Memcached) {
        if let Some(p) = &raw.maxmemory_policy {
            ck.error(
                p.span(),
                "`maxmemory_policy` is a Redis setting; Memcached evicts the least recently used entry",
            );
            return None;
        }
        return Some(Evict::AllKeys);
    }
    let word = ck.one_of_or(
        &raw.maxmemory_policy,
        "maxmemory_policy",
        &POLICIES,
        "volatile-lru",
    )?;
    Some(match word {
        "allkeys-lru" => Evict::AllKeys,
        "noeviction" => Evict::Nothing,
        _ => Evict::Volatile,
    })
}

impl CacheConfig {
    /// The Redis-compatible engine's name: Valkey or Redis.
    fn redis_name(&self) -> &'static str {
        if self.valkey {
            "Valkey"
        } else {
            "Redis"
        }
    }

    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let engine = match self.engine {
            Engine::Redis if self.multi_az => format!("{}, Multi-AZ", self.redis_name()),
            Engine::Redis => self.redis_name().to_string(),
            Engine::Memcached if self.nodes > 1 => format!("Memcached, {} nodes", self.nodes),
            Engine::Memcached => "Memcached".to_string(),
        };
        let strategy = match self.strategy {
            Strategy::LazyLoading => "lazy loading",
            Strategy::WriteThrough => "write-through",
            Strategy::InvalidateOnWrite => "invalidate on write",
        };
        let ttl = self
            .ttl
            .map_or("no TTL".to_string(), |t| format!("TTL {t}"));
        vec![
            format!("{engine}, {strategy}"),
            if self.nodes > 1 {
                format!("{ttl}, {} entries a node", self.capacity)
            } else {
                format!("{ttl}, {} entries", self.capacity)
            },
        ]
    }
}
