//! Amazon DynamoDB: a table in provisioned mode (read and write capacity units, burst capacity
//! from unused seconds, optional auto scaling with its lag) or on-demand mode (twice the
//! previous peak), partitions with their own hard limits so that a hot key throttles while the
//! table as a whole has room, capacity consumed by item size, consistency and transactions,
//! and DAX in front as an option.
//!
//! A throttled request is answered with 400 (ProvisionedThroughputExceededException); callers
//! retry it as the AWS SDKs do (see `default_sdk_retry`).

use super::kind::{
    Category, Column, EventInfo, Kind, KindInfo, Mark, PlotLine, PlotPanel, Series, Tone, Unit,
};
use super::lru::Lru;
use super::token_bucket::TokenBucket;
use super::{BuildEnv, Component, ComponentReport, Shared};
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::{CallId, Ctx, Input, Msg, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, Level, MetricSet, WindowedCounts};
use crate::retry::{Jitter, RetryPolicy};
use serde::Deserialize;
use slab::Slab;
use std::collections::VecDeque;
use toml::Spanned;

/// aws-facts: §7 per-partition limit: 3,000 RCU and 1,000 WCU, which nothing lifts.
const PARTITION_RCU: f64 = 3000.0;
const PARTITION_WCU: f64 = 1000.0;
/// The most capacity units a table may be given on either side: 250 times AWS's default
/// table quota of 40,000 (aws-facts §7, raisable on request); at both maxima the classic
/// sizing rule gives 13,334 partitions.
const MAX_UNITS: f64 = crate::limits::MAX_DYNAMODB_UNITS;
const MAX_UNITS_WHY: &str =
    "AWS's default table quota is 40,000; this model takes up to 250 times that";
/// aws-facts: §7 burst capacity: up to 300 s of unused provisioned capacity.
const BURST_SECONDS: f64 = 300.0;
/// aws-facts: §7 on-demand: a new table serves about 12,000 read and 4,000 write request
/// units per second; the default table maximum is 40,000 of each.
const ON_DEMAND_INITIAL_READ: f64 = 12_000.0;
const ON_DEMAND_INITIAL_WRITE: f64 = 4_000.0;
const ON_DEMAND_MAX: f64 = 40_000.0;
/// aws-facts: §7 on-demand: more than twice the previous peak within 30 minutes may throttle.
const ON_DEMAND_MEMORY_MIN: usize = 30;
/// The facts file has no DynamoDB prices; these are AWS's published us-east-1 prices:
/// provisioned $0.00013 per RCU-hour and $0.00065 per WCU-hour; on-demand $0.125 per million
/// read request units and $0.625 per million write request units (since November 2024).
const PRICE_RCU_HOUR: f64 = 0.000_13;
const PRICE_WCU_HOUR: f64 = 0.000_65;
const PRICE_RRU: f64 = 0.125 / 1e6;
const PRICE_WRU: f64 = 0.625 / 1e6;

/// The status of a throttled request (aws-facts: §7 errors).
pub const THROTTLED: u16 = 400;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDynamo {
    mode: Option<Spanned<String>>,
    rcu: Option<Spanned<f64>>,
    wcu: Option<Spanned<f64>>,
    partitions: Option<Spanned<i64>>,
    consistency: Option<Spanned<String>>,
    read_latency: Option<Spanned<RawDist>>,
    write_latency: Option<Spanned<RawDist>>,
    writes: Option<Vec<Spanned<String>>>,
    transactions: Option<Vec<Spanned<String>>>,
    autoscaling: Option<Spanned<RawAutoscaling>>,
    dax: Option<Spanned<RawDax>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAutoscaling {
    target: Spanned<f64>,
    max_rcu: Option<Spanned<f64>>,
    max_wcu: Option<Spanned<f64>>,
    lag: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDax {
    ttl: Option<Spanned<String>>,
    capacity: Option<Spanned<i64>>,
    latency: Option<Spanned<RawDist>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Provisioned { rcu: f64, wcu: f64 },
    OnDemand,
}

#[derive(Clone, Debug)]
pub struct Autoscaling {
    /// Target utilisation of provisioned capacity, 0.2 to 0.9.
    pub target: f64,
    pub max_rcu: f64,
    pub max_wcu: f64,
    /// Time from the alarm to the new capacity being in effect.
    pub lag: SimTime,
}

#[derive(Clone, Debug)]
pub struct Dax {
    pub ttl: SimTime,
    pub capacity: usize,
    pub latency: Dist,
}

#[derive(Clone, Debug)]
pub struct DynamoConfig {
    pub mode: Mode,
    pub partitions: u32,
    pub strong_reads: bool,
    pub read_latency: Dist,
    pub write_latency: Dist,
    /// Operations that write; every other operation reads.
    pub writes: Vec<u16>,
    /// Operations that are transactional (twice the capacity).
    pub transactions: Vec<u16>,
    pub autoscaling: Option<Autoscaling>,
    pub dax: Option<Dax>,
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<DynamoConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawDynamo = ck.deserialize(table)?;
    let mode_name = match &raw.mode {
        None => Some("provisioned"),
        Some(m) => ck.one_of(m, "mode", &["provisioned", "on_demand"]),
    }?;
    let mode = if mode_name == "provisioned" {
        if raw.rcu.is_none() || raw.wcu.is_none() {
            let missing = match (&raw.rcu, &raw.wcu) {
                (None, None) => "`rcu` and `wcu`",
                (None, Some(_)) => "`rcu`",
                _ => "`wcu`",
            };
            ck.error(
                raw.mode.as_ref().map_or(at.clone(), |m| m.span()),
                format!("a provisioned table needs `rcu` and `wcu` (read and write capacity units); this one lacks {missing}"),
            );
        }
        let rcu = raw.rcu.as_ref().and_then(|r| {
            ck.positive_up_to(r, "rcu", "read capacity units", MAX_UNITS, MAX_UNITS_WHY)
        });
        let wcu = raw.wcu.as_ref().and_then(|w| {
            ck.positive_up_to(w, "wcu", "write capacity units", MAX_UNITS, MAX_UNITS_WHY)
        });
        Some(Mode::Provisioned {
            rcu: rcu?,
            wcu: wcu?,
        })
    } else {
        for (k, v) in [("rcu", &raw.rcu), ("wcu", &raw.wcu)] {
            if let Some(v) = v {
                ck.error(v.span(), format!("`{k}` belongs to mode = \"provisioned\"; an on-demand table scales by itself"));
                return None;
            }
        }
        Some(Mode::OnDemand)
    };
    let partitions = match &raw.partitions {
        Some(p) => ck.int_in(p, "partitions", 1, 100_000).map(|p| p as u32),
        // The classic sizing rule: enough partitions for the provisioned throughput.
        None => Some(match mode {
            Some(Mode::Provisioned { rcu, wcu }) => {
                ((rcu / PARTITION_RCU + wcu / PARTITION_WCU).ceil() as u32).max(1)
            }
            _ => 4,
        }),
    };
    let strong_reads = match &raw.consistency {
        None => Some(false),
        Some(c) => ck
            .one_of(c, "consistency", &["eventual", "strong"])
            .map(|c| c == "strong"),
    };
    // aws-facts: §7: single-digit milliseconds; the facts give no distribution.
    let read_latency = match &raw.read_latency {
        None => Some(Dist::lognormal_median_p99(0.003, 0.010).expect("valid")),
        Some(d) => ck.time_dist(d, "read_latency"),
    };
    let write_latency = match &raw.write_latency {
        None => Some(Dist::lognormal_median_p99(0.005, 0.015).expect("valid")),
        Some(d) => ck.time_dist(d, "write_latency"),
    };
    let writes = ck.write_ops(&raw.writes);
    let transactions = raw
        .transactions
        .as_ref()
        .map_or_else(Vec::new, |l| l.iter().map(|o| ck.op(o.get_ref())).collect());
    let autoscaling = match (&raw.autoscaling, mode) {
        (None, _) => Some(None),
        (Some(a), Some(Mode::Provisioned { rcu, wcu })) => {
            let ar = a.get_ref();
            let target = match *ar.target.get_ref() {
                t if (0.2..=0.9).contains(&t) => Some(t),
                t => {
                    ck.error(
                        ar.target.span(),
                        format!("`autoscaling.target` is a utilisation from 0.2 to 0.9, not {t}"),
                    );
                    None
                }
            };
            let max_rcu = match &ar.max_rcu {
                None => Some(rcu * 10.0),
                Some(m) => ck.positive_up_to(
                    m,
                    "autoscaling.max_rcu",
                    "read capacity units",
                    MAX_UNITS,
                    MAX_UNITS_WHY,
                ),
            };
            let max_wcu = match &ar.max_wcu {
                None => Some(wcu * 10.0),
                Some(m) => ck.positive_up_to(
                    m,
                    "autoscaling.max_wcu",
                    "write capacity units",
                    MAX_UNITS,
                    MAX_UNITS_WHY,
                ),
            };
            // The facts give no figure for how long a scaling action takes to apply; a couple of
            // minutes after the alarm is what AWS's blog examples show.
            let lag = match &ar.lag {
                None => Some(SimTime::from_secs(120)),
                Some(l) => ck.duration(l, "autoscaling.lag"),
            };
            Some(Some(Autoscaling {
                target: target?,
                max_rcu: max_rcu?,
                max_wcu: max_wcu?,
                lag: lag?,
            }))
        }
        (Some(a), _) => {
            ck.error(a.span(), "`autoscaling` belongs to mode = \"provisioned\"");
            None
        }
    };
    let dax = match &raw.dax {
        None => Some(None),
        Some(d) => {
            let dr = d.get_ref();
            // aws-facts: §7 DAX: item cache with a 5-minute default TTL and LRU eviction;
            // hits in microseconds.
            let ttl = match &dr.ttl {
                None => Some(SimTime::from_secs(300)),
                Some(t) => ck.positive_duration(t, "dax.ttl"),
            };
            let capacity = match &dr.capacity {
                None => Some(1_000_000),
                Some(c) => ck.int_in(c, "dax.capacity", 1, crate::limits::MAX_CACHE_ENTRIES),
            };
            let latency = match &dr.latency {
                None => Some(Dist::Uniform {
                    min: 0.000_3,
                    max: 0.000_8,
                }),
                Some(l) => ck.time_dist(l, "dax.latency"),
            };
            Some(Some(Dax {
                ttl: ttl?,
                capacity: capacity? as usize,
                latency: latency?,
            }))
        }
    };
    Some(DynamoConfig {
        mode: mode?,
        partitions: partitions?,
        strong_reads: strong_reads?,
        read_latency: read_latency?,
        write_latency: write_latency?,
        writes,
        transactions,
        autoscaling: autoscaling?,
        dax: dax?,
    })
}

const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
const THROTTLES: Series = Series {
    id: "throttles_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 400 (throughput exceeded)",
};
const READ_UNITS: Series = Series {
    id: "read_units_per_s",
    unit: Unit::PerSecond,
    about: "read capacity units consumed",
};
const WRITE_UNITS: Series = Series {
    id: "write_units_per_s",
    unit: Unit::PerSecond,
    about: "write capacity units consumed",
};
const READ_CAPACITY: Series = Series {
    id: "read_capacity",
    unit: Unit::Number,
    about: "read capacity units provisioned, time-averaged",
};
const WRITE_CAPACITY: Series = Series {
    id: "write_capacity",
    unit: Unit::Number,
    about: "write capacity units provisioned, time-averaged",
};
const DAX_HIT_RATIO: Series = Series {
    id: "dax_hit_ratio",
    unit: Unit::Share,
    about: "share of DAX reads answered from its cache",
};

impl Kind for DynamoConfig {
    const INFO: &'static KindInfo = &KindInfo {
        name: "dynamodb",
        title: "Amazon DynamoDB",
        noun: "a DynamoDB table",
        category: Category::Database,
        about: "a table, provisioned (with burst capacity and auto scaling) or on demand, partitions with their own limits, item-size units, consistency, transactions and DAX",
        keys: &[],
        faults: &[],
        series: &[&REQUESTS, &THROTTLES, &READ_UNITS, &WRITE_UNITS, &READ_CAPACITY, &WRITE_CAPACITY, &DAX_HIT_RATIO],
        fields: &[],
        columns: &[
            Column {
                label: "throttled",
                field: "throttle_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "DAX hits",
                field: "dax_hit_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "RCU consumed",
                field: "read_units_consumed",
                unit: Unit::Number,
            },
            Column {
                label: "WCU consumed",
                field: "write_units_consumed",
                unit: Unit::Number,
            },
            Column {
                label: "partitions",
                field: "partitions",
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
                axis: "capacity units/s",
                lines: &[
                    PlotLine {
                        series: &READ_UNITS,
                        label: "reads consumed",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &READ_CAPACITY,
                        label: "read capacity",
                        tone: Tone::Limit,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &WRITE_UNITS,
                        label: "writes consumed",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &WRITE_CAPACITY,
                        label: "write capacity",
                        tone: Tone::WarnLimit,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "throttles/s (400)",
                lines: &[
                    PlotLine {
                        series: &THROTTLES,
                        label: "throttled",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "DAX hit ratio [%]",
                lines: &[
                    PlotLine {
                        series: &DAX_HIT_RATIO,
                        label: "hits",
                        tone: Tone::Good,
                        scale: 100.0,
                    },
                ],
                y_max: Some(105.0),
            },
        ],
        events: &[
            EventInfo {
                event: "partition_split",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "scaling_alarm",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "scaled",
                mark: Mark::Instant,
            },
        ],
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let _ = (index, shared);
        Box::new(DynamoDb::new(self.clone(), env))
    }

    fn default_sdk_retry(&self) -> Option<RetryPolicy> {
        Some(default_sdk_retry())
    }
}

impl DynamoConfig {
    fn lines(&self) -> Vec<String> {
        let mut lines = vec![match self.mode {
            Mode::Provisioned { rcu, wcu } => format!("{rcu} RCU / {wcu} WCU"),
            Mode::OnDemand => "on-demand".to_string(),
        }];
        lines.push(format!(
            "{} partitions{}",
            self.partitions,
            if self.autoscaling.is_some() {
                ", auto scaling"
            } else {
                ""
            }
        ));
        if self.dax.is_some() {
            lines.push("DAX in front".to_string());
        }
        lines
    }

    /// Capacity units a request consumes (aws-facts: §7 capacity units): reads by 4 KB, half
    /// for eventually consistent reads; writes by 1 KB; transactions twice.
    pub fn units(&self, msg: &Msg) -> (bool, f64) {
        let write = self.writes.contains(&msg.op);
        let txn = if self.transactions.contains(&msg.op) {
            2.0
        } else {
            1.0
        };
        let size = f64::from(msg.size_bytes.max(1));
        if write {
            (true, (size / 1024.0).ceil() * txn)
        } else {
            let consistency = if self.strong_reads || txn > 1.0 {
                1.0
            } else {
                0.5
            };
            (false, (size / 4096.0).ceil() * consistency * txn)
        }
    }
}

/// The retries an AWS SDK applies to DynamoDB calls when the scenario does not say:
/// standard mode (aws-facts: §7 SDK retries): 3 attempts, full-jitter exponential backoff
/// capped at 20 s, base 100 ms (JavaScript v3's), on throttles, 5xx and timeouts.
pub fn default_sdk_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base: SimTime::from_millis(100),
        exponential: true,
        cap: SimTime::from_secs(20),
        jitter: Jitter::Full,
        on_status: vec![THROTTLED, 429, 500, 503],
        on_timeout: true,
    }
}

/// One side's (reads' or writes') capacity.
struct Side {
    table: TokenBucket,
    partitions: Vec<TokenBucket>,
    /// Provisioned units per second (for on-demand: the current ceiling).
    capacity: f64,
    consumed: Counter,
    capacity_level: Level,
    /// Units consumed in the current minute, and minutes in a row above / below the target.
    minute_units: f64,
    above: u32,
    below: u32,
    pending_change: Option<f64>,
    /// On-demand: per-minute peaks of the last 30 minutes, and the peak from before them.
    recent_peaks: VecDeque<f64>,
    old_peak: f64,
    max_capacity: f64,
    initial: f64,
}

impl Side {
    fn new(
        clock: &Clock,
        capacity: f64,
        partitions: u32,
        partition_limit: f64,
        burst_seconds: f64,
        max: f64,
        initial: f64,
    ) -> Side {
        let mut level = Level::new(clock);
        level.set(clock, SimTime::ZERO, capacity);
        Side {
            table: TokenBucket::new(capacity, (capacity * burst_seconds).ceil() as u64),
            partitions: (0..partitions)
                .map(|_| TokenBucket::new(partition_limit, partition_limit as u64))
                .collect(),
            capacity,
            consumed: Counter::new(clock),
            capacity_level: level,
            minute_units: 0.0,
            above: 0,
            below: 0,
            pending_change: None,
            recent_peaks: VecDeque::new(),
            old_peak: 0.0,
            max_capacity: max,
            initial,
        }
    }

    /// Takes `units` from the table and the key's partition, or says which refused.
    fn admit(&mut self, now: SimTime, partition: usize, units: f64) -> Result<(), Limit> {
        // A refused request takes nothing, so look at both before taking from either.
        if !self.table.has_amount(now, units) {
            return Err(Limit::Table);
        }
        if !self.partitions[partition].has_amount(now, units) {
            return Err(Limit::Partition);
        }
        self.table.try_take_amount(now, units);
        self.partitions[partition].try_take_amount(now, units);
        self.minute_units += units;
        Ok(())
    }

    fn set_capacity(&mut self, clock: &Clock, now: SimTime, capacity: f64, burst_seconds: f64) {
        self.capacity = capacity;
        self.table
            .reconfigure(now, capacity, (capacity * burst_seconds).ceil() as u64);
        self.capacity_level.set(clock, now, capacity);
    }
}

/// Which limit refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Limit {
    Table,
    /// The key's partition was at its hard limit while the table had room: a hot key.
    Partition,
}

struct Pending {
    call: CallId,
    arrived: SimTime,
    status: u16,
    /// A read that missed DAX: the item goes into the cache when DynamoDB answers.
    fill: Option<(u16, u64)>,
}

const T_ANSWER: u64 = 0;
const T_MINUTE: u64 = 1;
const T_APPLY_READ: u64 = 2;
const T_APPLY_WRITE: u64 = 3;

pub struct DynamoDb {
    cfg: DynamoConfig,
    clock: Clock,
    rng: SimRng,
    reads: Side,
    writes: Side,
    dax: Option<Lru<u64, SimTime>>,
    pending: Slab<Pending>,
    // Recorders.
    requests: Counter,
    throttles: Counter,
    hot_throttles: u64,
    dax_hits: Counter,
    dax_misses: Counter,
    statuses: WindowedCounts<u16>,
    latency: Latency,
    rru: f64,
    wru: f64,
    capacity_hours: (f64, f64),
    events: EventLog,
}

impl DynamoDb {
    pub fn new(cfg: DynamoConfig, env: BuildEnv) -> DynamoDb {
        let clock = env.clock;
        let n = cfg.partitions;
        let (reads, writes) = match cfg.mode {
            Mode::Provisioned { rcu, wcu } => {
                let (mr, mw) = cfg
                    .autoscaling
                    .as_ref()
                    .map_or((rcu, wcu), |a| (a.max_rcu, a.max_wcu));
                (
                    Side::new(&clock, rcu, n, PARTITION_RCU, BURST_SECONDS, mr, rcu),
                    Side::new(&clock, wcu, n, PARTITION_WCU, BURST_SECONDS, mw, wcu),
                )
            }
            Mode::OnDemand => (
                Side::new(
                    &clock,
                    ON_DEMAND_INITIAL_READ,
                    n,
                    PARTITION_RCU,
                    1.0,
                    ON_DEMAND_MAX,
                    ON_DEMAND_INITIAL_READ,
                ),
                Side::new(
                    &clock,
                    ON_DEMAND_INITIAL_WRITE,
                    n,
                    PARTITION_WCU,
                    1.0,
                    ON_DEMAND_MAX,
                    ON_DEMAND_INITIAL_WRITE,
                ),
            ),
        };
        DynamoDb {
            dax: cfg.dax.as_ref().map(|d| Lru::new(d.capacity)),
            reads,
            writes,
            pending: Slab::new(),
            requests: Counter::new(&clock),
            throttles: Counter::new(&clock),
            hot_throttles: 0,
            dax_hits: Counter::new(&clock),
            dax_misses: Counter::new(&clock),
            statuses: WindowedCounts::default(),
            latency: Latency::new(&clock),
            rru: 0.0,
            wru: 0.0,
            capacity_hours: (0.0, 0.0),
            events: EventLog::new(&env.name),
            cfg,
            clock,
            rng: env.rng,
        }
    }

    /// Splits partitions as capacity grows (never merging them): enough for the table's
    /// throughput at the per-partition limits.
    fn ensure_partitions(&mut self, now: SimTime) {
        let needed = ((self.reads.capacity / PARTITION_RCU + self.writes.capacity / PARTITION_WCU)
            .ceil() as u32)
            .max(self.cfg.partitions);
        let current = self.reads.partitions.len() as u32;
        if needed > current {
            for _ in current..needed {
                self.reads
                    .partitions
                    .push(TokenBucket::new(PARTITION_RCU, PARTITION_RCU as u64));
                self.writes
                    .partitions
                    .push(TokenBucket::new(PARTITION_WCU, PARTITION_WCU as u64));
            }
            self.events.push(
                now,
                "partition_split",
                format!("{current} -> {needed} partitions"),
            );
        }
    }

    fn partition(&self, key: u64) -> usize {
        // SplitMix64's finaliser spreads keys evenly, as DynamoDB's hash of the partition key does.
        let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % self.reads.partitions.len() as u64) as usize
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests.add(&self.clock, now, measured);
        let (write, units) = self.cfg.units(&msg);
        let transactional = self.cfg.transactions.contains(&msg.op);
        let dax_read = !write && !self.cfg.strong_reads && !transactional;
        // aws-facts: §7 DAX: eventually consistent reads are served from the item cache; a hit
        // consumes no capacity.
        if dax_read {
            if let (Some(cache), Some(d)) = (self.dax.as_mut(), self.cfg.dax.as_ref()) {
                if cache.get(&msg.key).is_some_and(|&exp| exp > now) {
                    self.dax_hits.add(&self.clock, now, measured);
                    let wait = d.latency.sample_time(&mut self.rng);
                    self.answer_after(ctx, call, now, 200, None, wait);
                    return;
                }
                self.dax_misses.add(&self.clock, now, measured);
            }
        }
        let partition = self.partition(msg.key);
        let side = if write {
            &mut self.writes
        } else {
            &mut self.reads
        };
        let admitted = side.admit(now, partition, units);
        if admitted.is_ok() {
            side.consumed
                .add_weighted(&self.clock, now, measured, units);
        }
        let latency = if write {
            &self.cfg.write_latency
        } else {
            &self.cfg.read_latency
        };
        let mut wait = latency.sample_time(&mut self.rng);
        if let Some(d) = &self.cfg.dax {
            // Through DAX, a miss or a write costs the extra hop to the cluster.
            wait += d.latency.sample_time(&mut self.rng);
        }
        if admitted.is_ok() {
            if matches!(self.cfg.mode, Mode::OnDemand) && measured {
                if write {
                    self.wru += units;
                } else {
                    self.rru += units;
                }
            }
            // Write-through: a write (or a read that missed) puts the item in DAX's cache.
            let fill = (self.dax.is_some() && (write || dax_read)).then_some((0, msg.key));
            self.answer_after(ctx, call, now, 200, fill, wait);
        } else {
            self.throttles.add(&self.clock, now, measured);
            if measured && admitted == Err(Limit::Partition) {
                self.hot_throttles += 1;
            }
            self.answer_after(ctx, call, now, THROTTLED, None, wait);
        }
    }

    fn answer_after(
        &mut self,
        ctx: &mut Ctx<'_>,
        call: CallId,
        arrived: SimTime,
        status: u16,
        fill: Option<(u16, u64)>,
        wait: SimTime,
    ) {
        if fill.is_none() {
            // Nothing to do when the answer leaves: record it now and let the kernel send it.
            let done = arrived + wait;
            let measured = self.clock.measured(arrived);
            self.statuses.add(&self.clock, status, done, measured);
            if status == 200 {
                self.latency.record(&self.clock, done, wait, measured);
            }
            ctx.reply_after(call, status, wait);
            return;
        }
        let idx = self.pending.insert(Pending {
            call,
            arrived,
            status,
            fill,
        });
        ctx.schedule(wait, (idx as u64) << 2 | T_ANSWER);
    }

    /// Once a minute: auto scaling's alarms (provisioned) or the peak memory (on-demand).
    fn minute(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let clock = self.clock;
        let on_demand = matches!(self.cfg.mode, Mode::OnDemand);
        let auto = self.cfg.autoscaling.clone();
        for (i, side) in [&mut self.reads, &mut self.writes].into_iter().enumerate() {
            let rate = side.minute_units / 60.0;
            side.minute_units = 0.0;
            if on_demand {
                side.recent_peaks.push_back(rate);
                if side.recent_peaks.len() > ON_DEMAND_MEMORY_MIN {
                    let old = side.recent_peaks.pop_front().unwrap_or(0.0);
                    side.old_peak = side.old_peak.max(old);
                }
                let ceiling = (2.0 * side.old_peak)
                    .max(side.initial)
                    .min(side.max_capacity);
                if ceiling != side.capacity {
                    side.set_capacity(&clock, now, ceiling, 1.0);
                }
            } else if let Some(a) = &auto {
                // Target tracking: two minutes above the target scale out, fifteen minutes
                // clearly below it (20 points under) scale in, after the action's lag.
                let util = rate / side.capacity;
                if util > a.target {
                    side.above += 1;
                    side.below = 0;
                } else if util < a.target - 0.2 {
                    side.below += 1;
                    side.above = 0;
                } else {
                    side.above = 0;
                    side.below = 0;
                }
                let wanted = (rate / a.target)
                    .clamp(side.initial, side.max_capacity)
                    .ceil();
                let act = (side.above >= 2 && wanted > side.capacity)
                    || (side.below >= 15 && wanted < side.capacity);
                if act && side.pending_change.is_none() {
                    side.pending_change = Some(wanted);
                    side.above = 0;
                    side.below = 0;
                    let tag = if i == 0 { T_APPLY_READ } else { T_APPLY_WRITE };
                    ctx.schedule(a.lag, tag);
                    let what = if i == 0 { "RCU" } else { "WCU" };
                    self.events.push(
                        now,
                        "scaling_alarm",
                        format!("{what} {:.0} -> {wanted:.0}", side.capacity),
                    );
                }
            }
        }
        self.ensure_partitions(now);
        if now + SimTime::from_secs(60) < self.clock.end {
            ctx.schedule(SimTime::from_secs(60), T_MINUTE);
        }
    }

    fn apply(&mut self, now: SimTime, write: bool) {
        let clock = self.clock;
        let side = if write {
            &mut self.writes
        } else {
            &mut self.reads
        };
        if let Some(c) = side.pending_change.take() {
            let from = side.capacity;
            side.set_capacity(&clock, now, c, BURST_SECONDS);
            let what = if write { "WCU" } else { "RCU" };
            self.events
                .push(now, "scaled", format!("{what} {from:.0} -> {c:.0}"));
            self.ensure_partitions(now);
        }
    }
}

impl Component for DynamoDb {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.ensure_partitions(ctx.now());
        if self.cfg.autoscaling.is_some() || matches!(self.cfg.mode, Mode::OnDemand) {
            ctx.schedule(SimTime::from_secs(60), T_MINUTE);
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Call(call, msg) => self.request(ctx, call, msg),
            Input::Timer(t) => match t & 3 {
                T_ANSWER => {
                    let p = self.pending.remove((t >> 2) as usize);
                    if let (Some((_, key)), Some(cache), Some(d)) =
                        (p.fill, self.dax.as_mut(), self.cfg.dax.as_ref())
                    {
                        cache.put(key, now + d.ttl);
                    }
                    let measured = self.clock.measured(p.arrived);
                    self.statuses.add(&self.clock, p.status, now, measured);
                    if p.status == 200 {
                        self.latency
                            .record(&self.clock, now, now - p.arrived, measured);
                    }
                    ctx.reply(p.call, p.status);
                }
                T_MINUTE => self.minute(ctx),
                T_APPLY_READ => self.apply(now, false),
                _ => self.apply(now, true),
            },
            Input::Reply(_) => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.reads.capacity_level.finish(c);
        self.writes.capacity_level.finish(c);
        self.latency.finish();
        let hours = c.measured_secs() / 3600.0;
        self.capacity_hours = (
            self.reads.capacity_level.mean(c) * hours,
            self.writes.capacity_level.mean(c) * hours,
        );
        let mut m = MetricSet::default();
        let requests = self.requests.total();
        m.count("requests", requests);
        m.count("throttles", self.throttles.total());
        m.count("throttles_by_partition", self.hot_throttles);
        m.gauge("read_units_consumed", self.reads.consumed.weighted_total());
        m.gauge(
            "write_units_consumed",
            self.writes.consumed.weighted_total(),
        );
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n.total());
        }
        m.gauge(
            "throttle_fraction",
            self.throttles.total() as f64 / requests.max(1) as f64,
        );
        m.gauge("partitions", self.reads.partitions.len() as f64);
        m.gauge("read_capacity_mean", self.reads.capacity_level.mean(c));
        m.gauge("write_capacity_mean", self.writes.capacity_level.mean(c));
        if self.dax.is_some() {
            let (h, mi) = (self.dax_hits.total(), self.dax_misses.total());
            m.count("dax_hits", h);
            m.count("dax_misses", mi);
            m.gauge("dax_hit_ratio", h as f64 / (h + mi).max(1) as f64);
        }
        let cost = match self.cfg.mode {
            Mode::Provisioned { .. } => {
                self.capacity_hours.0 * PRICE_RCU_HOUR + self.capacity_hours.1 * PRICE_WCU_HOUR
            }
            Mode::OnDemand => self.rru * PRICE_RRU + self.wru * PRICE_WRU,
        };
        m.gauge("cost_usd", cost);
        m.hist("response_ms", self.latency.summary());
        let mut series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&THROTTLES, self.throttles.rate_series(c)),
            (&READ_UNITS, self.reads.consumed.rate_series(c)),
            (&WRITE_UNITS, self.writes.consumed.rate_series(c)),
            (&READ_CAPACITY, self.reads.capacity_level.mean_series(c)),
            (&WRITE_CAPACITY, self.writes.capacity_level.mean_series(c)),
        ];
        if self.dax.is_some() {
            let ratio = self.dax_hits.share_series(&self.dax_misses);
            series.push((&DAX_HIT_RATIO, ratio));
        }
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}
