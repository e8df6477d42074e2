//! Amazon ElastiCache (Redis OSS / Valkey or Memcached) used cache-aside in front of a
//! database: the application logic of "look in the cache, else read the database and fill"
//! (lazy loading) or "write to the database, then to the cache" (write-through), with TTL and
//! LRU eviction, so the hit ratio comes from key popularity. Stale reads are measured: a hit
//! on an entry filled before the key's last write.
//!
//! A node failure (fault `cache_node_failure`): Memcached loses its data, and the empty cache
//! sends a storm of misses to the database; Redis with Multi-AZ fails over to its replica in
//! about 30 s (aws-facts §6), during which the application goes straight to the database.

use super::kind::{
    Category, Column, EventInfo, FaultInfo, Kind, KindInfo, Mark, PlotLine, PlotPanel, Series,
    Tone, Unit,
};
use super::lru::Lru;
use super::{BuildEnv, CallSpec, Component, ComponentReport, Edge, Shared};
use crate::config::raw::{RawComponentTable, RawDist, RawFault};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, MetricSet, WindowedCounts};
use serde::Deserialize;
use slab::Slab;
use std::collections::HashMap;
use toml::Spanned;

/// The fault code of a node failure (see `faults.rs`).
pub const NODE_FAILURE: u32 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    engine: Option<Spanned<String>>,
    strategy: Option<Spanned<String>>,
    backend: Spanned<String>,
    backend_timeout: Option<Spanned<String>>,
    ttl: Option<Spanned<String>>,
    capacity: Option<Spanned<i64>>,
    latency: Option<Spanned<RawDist>>,
    multi_az: Option<bool>,
    failover: Option<Spanned<String>>,
    writes: Option<Vec<Spanned<String>>>,
    node_hourly: Option<Spanned<f64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Redis,
    Memcached,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    LazyLoading,
    WriteThrough,
}

#[derive(Clone, Debug)]
pub struct CacheConfig {
    pub engine: Engine,
    pub strategy: Strategy,
    /// `None`: entries live until evicted.
    pub ttl: Option<SimTime>,
    pub capacity: usize,
    /// One cache round trip's time on the application's side [s].
    pub latency: Dist,
    pub multi_az: bool,
    pub failover: SimTime,
    pub writes: Vec<u16>,
    /// Price of one node per hour; Redis with Multi-AZ runs two (primary and replica).
    pub node_hourly: f64,
    /// The database: one downstream call.
    pub calls: Vec<CallSpec>,
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<CacheConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawCache = ck.deserialize(table)?;
    let engine = match &raw.engine {
        None => Some(Engine::Redis),
        Some(e) => ck.one_of(e, "engine", &["redis", "memcached"]).map(|e| {
            if e == "redis" {
                Engine::Redis
            } else {
                Engine::Memcached
            }
        }),
    };
    let strategy = match &raw.strategy {
        None => Some(Strategy::LazyLoading),
        Some(s) => ck
            .one_of(s, "strategy", &["lazy_loading", "write_through"])
            .map(|s| {
                if s == "lazy_loading" {
                    Strategy::LazyLoading
                } else {
                    Strategy::WriteThrough
                }
            }),
    };
    let backend = ck.component(&raw.backend, "backend");
    let backend_timeout = match &raw.backend_timeout {
        None => Some(None),
        Some(t) => ck.positive_duration(t, "backend_timeout").map(Some),
    };
    let ttl = match &raw.ttl {
        None => Some(None),
        Some(t) => ck.positive_duration(t, "ttl").map(Some),
    };
    let capacity = match &raw.capacity {
        None => Some(1_000_000),
        Some(c) => ck.int_in(c, "capacity", 1, crate::limits::MAX_CACHE_ENTRIES),
    };
    // The facts give no latency; an in-memory get over an in-zone hop is a few hundred µs.
    let latency = match &raw.latency {
        None => Some(Dist::Uniform {
            min: 0.000_2,
            max: 0.000_5,
        }),
        Some(l) => ck.time_dist(l, "latency"),
    };
    let multi_az = raw.multi_az.unwrap_or(false);
    // aws-facts: §6 failover timing: a Redis primary failover usually takes about 30 s.
    let failover = match &raw.failover {
        None => Some(SimTime::from_secs(30)),
        Some(f) => ck.positive_duration(f, "failover"),
    };
    if multi_az && engine == Some(Engine::Memcached) {
        ck.error(
            raw.engine.as_ref().map_or(at.clone(), |e| e.span()),
            "Memcached has no replicas and no failover: `multi_az` needs engine = \"redis\"",
        );
        return None;
    }
    let writes = ck.write_ops(&raw.writes);
    let node_hourly = match &raw.node_hourly {
        // Not in aws-facts: cache.r6g.large on demand in us-east-1, from AWS's price page.
        None => Some(0.206),
        Some(p) => ck.positive(p, "node_hourly", "a price in USD per node-hour"),
    };
    Some(CacheConfig {
        node_hourly: node_hourly?,
        engine: engine?,
        strategy: strategy?,
        ttl: ttl?,
        capacity: capacity? as usize,
        latency: latency?,
        multi_az,
        failover: failover?,
        writes,
        calls: vec![CallSpec {
            to: backend?,
            op: super::OpChoice::Inherit,
            probability: 1.0,
            timeout: backend_timeout?,
            latency: None,
            retry: None,
        }],
    })
}

const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
const HIT_RATIO: Series = Series {
    id: "hit_ratio",
    unit: Unit::Share,
    about: "share of reads answered from the cache",
};
const MISSES: Series = Series {
    id: "misses_rps",
    unit: Unit::PerSecond,
    about: "reads that went to the backend",
};
const STALE_READS: Series = Series {
    id: "stale_reads_rps",
    unit: Unit::PerSecond,
    about: "hits that served a value older than the backend’s",
};

impl Kind for CacheConfig {
    const INFO: &'static KindInfo = &KindInfo {
        name: "cache",
        title: "Amazon ElastiCache",
        noun: "a cache",
        category: Category::Database,
        about: "Redis or Memcached used cache-aside in front of a backend: lazy loading or write-through, TTL, LRU capacity, stale reads, node failures and Redis Multi-AZ failover",
        keys: &[],
        faults: &[
            FaultInfo {
                name: "cache_node_failure",
                takes: "`target`, a component of kind \"cache\"",
                keys: &["target"],
                about: "a cache node is lost: Memcached loses its data, Redis with `multi_az` fails over",
            },
        ],
        series: &[&REQUESTS, &HIT_RATIO, &MISSES, &STALE_READS],
        fields: &[],
        columns: &[
            Column {
                label: "hits",
                field: "hit_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "stale reads",
                field: "stale_read_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "misses",
                field: "misses",
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
                mark: Mark::Instant,
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
        parse(table, ck)
    }

    fn parse_fault(&self, _fault: &str, _f: &RawFault, _ck: &mut Checker) -> Option<(u32, String)> {
        Some((NODE_FAILURE, String::new()))
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let _ = (index, shared);
        Box::new(Cache::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }
}

impl CacheConfig {
    fn lines(&self) -> Vec<String> {
        let engine = match self.engine {
            Engine::Redis if self.multi_az => "Redis, Multi-AZ",
            Engine::Redis => "Redis",
            Engine::Memcached => "Memcached",
        };
        let strategy = match self.strategy {
            Strategy::LazyLoading => "lazy loading",
            Strategy::WriteThrough => "write-through",
        };
        let ttl = self
            .ttl
            .map_or("no TTL".to_string(), |t| format!("TTL {t}"));
        vec![
            format!("{engine}, {strategy}"),
            format!("{ttl}, {} entries", self.capacity),
        ]
    }
}

struct Entry {
    expires: SimTime,
    filled: SimTime,
}

struct Pending {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
    write: bool,
    /// Whether the answer should fill the cache (not while the cache is down).
    fill: bool,
}

pub struct Cache {
    cfg: CacheConfig,
    clock: Clock,
    rng: SimRng,
    backend: Edge,
    entries: Lru<u64, Entry>,
    /// When each written key was last written (grows with the keys written, not requests).
    last_write: HashMap<u64, SimTime>,
    /// The node is down (failed over or being replaced): requests go to the database.
    down: bool,
    pending: Slab<Pending>,
    // Recorders.
    requests: Counter,
    hits: Counter,
    misses: Counter,
    stale: Counter,
    bypassed: Counter,
    statuses: WindowedCounts<u16>,
    latency: Latency,
    events: EventLog,
}

const T_ANSWER_HIT: u64 = 0;
const T_FAILOVER_DONE: u64 = 1;

impl Cache {
    pub fn new(cfg: CacheConfig, env: BuildEnv) -> Cache {
        let clock = env.clock;
        Cache {
            entries: Lru::new(cfg.capacity),
            last_write: HashMap::new(),
            down: false,
            pending: Slab::new(),
            requests: Counter::new(&clock),
            hits: Counter::new(&clock),
            misses: Counter::new(&clock),
            stale: Counter::new(&clock),
            bypassed: Counter::new(&clock),
            statuses: WindowedCounts::default(),
            latency: Latency::new(&clock),
            events: EventLog::new(&env.name),
            backend: env
                .edges
                .into_iter()
                .next()
                .expect("a cache has its backend"),
            cfg,
            clock,
            rng: env.rng,
        }
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests.add(&self.clock, now, measured);
        let write = self.cfg.writes.contains(&msg.op);
        let get = self.cfg.latency.sample_time(&mut self.rng);
        if !write && !self.down {
            let hit = match self.entries.get(&msg.key) {
                Some(e) if e.expires > now => Some(e.filled),
                _ => None,
            };
            if let Some(filled) = hit {
                self.hits.add(&self.clock, now, measured);
                if self.last_write.get(&msg.key).is_some_and(|&w| w > filled) {
                    self.stale.add(&self.clock, now, measured);
                }
                let idx = self.pending.insert(Pending {
                    call,
                    msg,
                    arrived: now,
                    write,
                    fill: false,
                });
                ctx.schedule(get, (idx as u64) << 1 | T_ANSWER_HIT);
                return;
            }
            self.misses.add(&self.clock, now, measured);
        }
        if self.down {
            self.bypassed.add(&self.clock, now, measured);
        }
        // To the database: after the failed get (a miss) or straight away (a write, or the
        // cache being down). aws-facts §6: a lazy-loading miss is three trips, a write-through
        // write two.
        let before = if write || self.down {
            SimTime::ZERO
        } else {
            get
        };
        let fill = !self.down;
        let idx = self.pending.insert(Pending {
            call,
            msg,
            arrived: now,
            write,
            fill,
        });
        self.backend
            .call_after(ctx, &mut self.rng, msg, idx as u64, before);
    }

    fn finish_request(&mut self, ctx: &mut Ctx<'_>, p: Pending, status: u16, extra: SimTime) {
        let now = ctx.now();
        let measured = self.clock.measured(p.arrived);
        let done = now + extra;
        self.statuses.add(&self.clock, status, done, measured);
        if (200..300).contains(&status) {
            self.latency
                .record(&self.clock, done, done - p.arrived, measured);
        }
        ctx.reply_after(p.call, status, extra);
    }
}

impl Component for Cache {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match input {
            Input::Call(call, msg) => self.request(ctx, call, msg),
            Input::Timer(tag) if tag & 1 == T_ANSWER_HIT => {
                let p = self.pending.remove((tag >> 1) as usize);
                self.finish_request(ctx, p, 200, SimTime::ZERO);
            }
            Input::Timer(_) => {
                self.down = false;
                self.events.push(now, "failover_done", String::new());
            }
            Input::Reply(r) => {
                let p = self.pending.remove(r.tag as usize);
                let status = match r.outcome {
                    Outcome::Status(s) => s,
                    Outcome::Timeout => 504,
                };
                let mut extra = SimTime::ZERO;
                if (200..300).contains(&status) {
                    if p.write {
                        self.last_write.insert(p.msg.key, now);
                    }
                    let set = p.fill && (!p.write || self.cfg.strategy == Strategy::WriteThrough);
                    if set && !self.down {
                        let expires = self.cfg.ttl.map_or(SimTime::MAX, |t| now + t);
                        self.entries.put(
                            p.msg.key,
                            Entry {
                                expires,
                                filled: now,
                            },
                        );
                        // The set is one more trip before the application answers.
                        extra = self.cfg.latency.sample_time(&mut self.rng);
                    }
                }
                self.finish_request(ctx, p, status, extra);
            }
            Input::Fault {
                code: NODE_FAILURE,
                on: true,
            } => {
                match (self.cfg.engine, self.cfg.multi_az) {
                    // aws-facts: §6 engines: Memcached has no replication: a lost node's keys
                    // are gone, and its replacement starts empty.
                    (Engine::Memcached, _) | (Engine::Redis, false) => {
                        let lost = self.entries.len();
                        self.entries.clear();
                        self.events
                            .push(now, "node_lost", format!("{lost} entries lost"));
                    }
                    // Redis Multi-AZ promotes its replica (data kept) after the failover time;
                    // meanwhile the application reads the database.
                    (Engine::Redis, true) => {
                        self.down = true;
                        self.events.push(now, "failover_start", String::new());
                        ctx.schedule(self.cfg.failover, T_FAILOVER_DONE);
                    }
                }
            }
            Input::Fault { .. } => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.latency.finish();
        let mut m = MetricSet::default();
        let (h, mi) = (self.hits.total(), self.misses.total());
        m.count("requests", self.requests.total());
        m.count("hits", h);
        m.count("misses", mi);
        m.count("stale_reads", self.stale.total());
        m.count("bypassed", self.bypassed.total());
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n.total());
        }
        m.gauge("hit_ratio", h as f64 / (h + mi).max(1) as f64);
        m.gauge(
            "stale_read_fraction",
            self.stale.total() as f64 / h.max(1) as f64,
        );
        let nodes = if self.cfg.multi_az { 2.0 } else { 1.0 };
        m.gauge(
            "cost_usd",
            nodes * self.cfg.node_hourly * c.measured_secs() / 3600.0,
        );
        m.hist("response_ms", self.latency.summary());
        let ratio = self.hits.share_series(&self.misses);
        let series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&HIT_RATIO, ratio),
            (&MISSES, self.misses.rate_series(c)),
            (&STALE_READS, self.stale.rate_series(c)),
        ];
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}
