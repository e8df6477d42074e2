//! Amazon DynamoDB: a table in provisioned mode (read and write capacity units, burst capacity
//! from unused seconds, optional auto scaling with its lag) or on-demand mode (twice the
//! previous peak), partitions with their own hard limits so that a hot key throttles while the
//! table as a whole has room, capacity consumed by item size, consistency and transactions,
//! and DAX in front as an option.
//!
//! A request takes its units from the table's bucket and from its key's partition's
//! (`partitions.rs`); once a minute, auto scaling's alarms or on-demand's memory of peaks move
//! the capacity (`autoscaling.rs`), and partitions split as it grows (never merging). An
//! on-demand table serves its warm throughput at once, and up to twice its previous peak.
//!
//! Split for heat (aws-facts §7): a partition that keeps throttling for `split_delay` gives
//! its hottest key a partition of its own; if the rest still throttles, the next one follows
//! after another delay. A key alone above a partition's limit (1,000 WCU, 3,000 RCU) keeps
//! throttling on its own partition. A table with a local secondary index, a monotonic sort
//! key, or Streams while provisioned never splits.
//!
//! A throttled request is answered with 400 (ProvisionedThroughputExceededException); callers
//! retry it as the AWS SDKs do (see `SDK_SERVICE`). A write of an item over 400 KB is refused
//! at once, its ValidationException counted as 413 (`ITEM_TOO_LARGE`), which no SDK retries.
//!
//! A `stream` (DynamoDB Streams) keeps a record of each write done, and the event source
//! mapping that reads it invokes its consumer with batches of records (`stream.rs`).

mod autoscaling;
mod config;
mod kind;
mod partitions;
mod scaling_import;
mod stream;
mod stream_config;

pub use config::{parse, Autoscaling, Dax, DynamoConfig, Mode};
pub use kind::{table_arn, STREAM};
pub use stream_config::StreamConfig;

use autoscaling::{ON_DEMAND_BURST_SECONDS, TICK_S};
use kind::{
    DAX_HIT_RATIO, READ_CAPACITY, READ_UNITS, REQUESTS, THROTTLES, WRITE_CAPACITY, WRITE_UNITS,
};
use partitions::{
    partition_of, partitions_needed, Capacity, Heat, Limit, Part, Side, BURST_SECONDS,
    PARTITION_RCU, PARTITION_WCU,
};
use std::collections::BTreeMap;

use super::lru::Lru;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::{CallId, Ctx, Input, Item, Msg, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, MetricSet};
use crate::status;
use slab::Slab;
use stream::{Record, Stream, Tag};

/// The status of a throttled request (aws-facts: §7 errors).
pub const THROTTLED: u16 = status::BAD_REQUEST;

/// The most puts and deletes one BatchWriteItem takes (AWS's BatchWriteItem API reference:
/// "up to 25 item put or delete operations"; more and it rejects the whole batch).
pub const MAX_BATCH_WRITE: u16 = 25;
/// The most keys one BatchGetItem reads (AWS's BatchGetItem API reference: "as many as 100
/// items"; more is a ValidationException).
pub const MAX_BATCH_GET: u16 = 100;

/// The largest item a write may put, in bytes (AWS's DynamoDB quotas, "Item size": "The
/// maximum item size in DynamoDB is 400 KB, which includes both attribute name binary length
/// (UTF-8 length) and attribute value lengths"). A larger one is refused with a
/// ValidationException ("Item size has exceeded the maximum allowed size"), consuming no
/// capacity; in a BatchWriteItem it rejects the whole batch (AWS's BatchWriteItem API
/// reference: "An individual item in the batch exceeds 400 KB").
pub const MAX_ITEM_BYTES: u32 = 400 * 1024;

/// The status of a write refused for its item's size: AWS answers HTTP 400 with a
/// ValidationException, which no SDK retries; counted as 413 (payload too large) so that it
/// is told apart from the throttle (`THROTTLED`, 400) every SDK retries.
pub const ITEM_TOO_LARGE: u16 = status::PAYLOAD_TOO_LARGE;

/// The facts file has no DynamoDB prices; these are AWS's published us-east-1 prices:
/// provisioned $0.00013 per RCU-hour and $0.00065 per WCU-hour; on-demand $0.125 per million
/// read request units and $0.625 per million write request units (since November 2024).
const PRICE_RCU_HOUR: f64 = 0.000_13;
const PRICE_WCU_HOUR: f64 = 0.000_65;
const PRICE_RRU: f64 = 0.125 / 1e6;
const PRICE_WRU: f64 = 0.625 / 1e6;

/// What a table's timers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A pending request's answer leaves (and fills DAX, if it should).
    Answer(usize),
    /// A minute is over: auto scaling's alarms, or on-demand's peak memory.
    Minute,
    /// A scaling action's lag is over: its capacity takes effect on that side.
    Apply(Side),
    /// A hashed partition has been hot for the split delay: split its hottest key off.
    Split(usize),
    /// A stream lane's batching window or retry wait is over.
    Wake(usize),
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::Answer(pending) => pack(0, pending as u64),
            Timer::Minute => pack(1, 0),
            Timer::Apply(Side::Read) => pack(2, 0),
            Timer::Apply(Side::Write) => pack(2, 1),
            Timer::Split(partition) => pack(3, partition as u64),
            Timer::Wake(lane) => pack(4, lane as u64),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, pending) => Some(Timer::Answer(pending as usize)),
            (1, 0) => Some(Timer::Minute),
            (2, 0) => Some(Timer::Apply(Side::Read)),
            (2, 1) => Some(Timer::Apply(Side::Write)),
            (3, partition) => Some(Timer::Split(partition as usize)),
            (4, lane) => Some(Timer::Wake(lane as usize)),
            _ => None,
        }
    }
}

/// How recently a hot partition must have throttled for its split to go ahead: a choice (the
/// documentation says only that throttling which stops after a short period may be a split).
const STILL_HOT: SimTime = SimTime::from_secs(60);
/// The most keys split off to partitions of their own: a bound on memory (each is a bucket
/// per side), never reached by a sensible scenario.
const MAX_OWN_PARTITIONS: usize = 10_000;

/// An answer waiting for its time to leave, because something happens then.
struct Pending {
    call: CallId,
    arrived: SimTime,
    status: u16,
    /// The key of an item that goes into DAX's cache when DynamoDB answers (a write, or a
    /// read that missed), and whether it goes into the query cache instead (a query or a
    /// scan that missed).
    fill: Option<(u64, bool)>,
    /// The stream record of a write, and its shard, appended when the write is done.
    record: Option<(u32, Record)>,
    /// A batch's other items' fills and records (its first item's are above); empty for a
    /// request of one item.
    more: Box<[Effects]>,
}

/// What an item leaves to do when its answer leaves: DAX's fill, the stream's record.
type Effects = (Option<(u64, bool)>, Option<(u32, Record)>);

/// What one item of a request (or of a batch) came to.
struct Done {
    write: bool,
    /// Served from DAX's cache: no capacity, DAX's latency alone.
    dax_hit: bool,
    /// The limit that refused it; `None`: done.
    refused: Option<Limit>,
    effects: Effects,
}

/// A running DynamoDB table: its capacity, partitions and optional DAX.
pub struct DynamoDb {
    cfg: DynamoConfig,
    clock: Clock,
    rng: SimRng,
    reads: Capacity,
    writes: Capacity,
    dax: Option<Lru<u64, SimTime>>,
    /// Today's decreases of the provisioned capacity, which auto scaling may make only so
    /// often.
    decreases: autoscaling::Decreases,
    /// DAX's query cache (Query and Scan results), apart from its item cache.
    dax_queries: Option<Lru<u64, SimTime>>,
    pending: Slab<Pending>,
    /// Keys split off for heat, and their partition (an index into each side's `own`).
    own: BTreeMap<u64, usize>,
    /// Hashed partitions throttling now, with a split pending.
    heat: BTreeMap<usize, Heat>,
    /// Its stream and the event source mapping reading it, if it has one.
    stream: Option<Stream>,
    /// Its calls: the stream's consumer, then its on-failure queue.
    edges: Vec<Edge>,
    // Recorders.
    requests: Counter,
    throttles: Counter,
    hot_throttles: u64,
    /// Items of batch actions refused while others of theirs were done (UnprocessedItems);
    /// `None` until a batch action comes (reported only then).
    unprocessed: Option<u64>,
    /// A write over the item size limit was said in the events.
    said_too_large: bool,
    dax_hits: Counter,
    dax_misses: Counter,
    statuses: Counts<u16>,
    latency: Durations,
    rru: f64,
    wru: f64,
    capacity_hours: (f64, f64),
    events: EventLog,
}

impl DynamoDb {
    /// Builds it for one run from its validated config.
    pub fn new(cfg: DynamoConfig, env: BuildEnv) -> DynamoDb {
        let clock = env.clock;
        let n = cfg.partitions;
        let (warm_read, warm_write) = cfg.warm;
        let (max_read, max_write) = cfg.max_throughput;
        let (reads, writes) = match cfg.mode {
            Mode::Provisioned { rcu, wcu } => {
                let (mr, mw) = cfg
                    .autoscaling
                    .as_ref()
                    .map_or((rcu, wcu), |a| (a.max_rcu, a.max_wcu));
                let banked = cfg.burst_banked.as_secs_f64();
                (
                    Capacity::new(&clock, rcu, n, PARTITION_RCU, BURST_SECONDS, mr, rcu)
                        .banked(banked),
                    Capacity::new(&clock, wcu, n, PARTITION_WCU, BURST_SECONDS, mw, wcu)
                        .banked(banked),
                )
            }
            // aws-facts: §7 warm throughput: served at once, never falling; held to the
            // table's maximum.
            Mode::OnDemand => (
                Capacity::new(
                    &clock,
                    warm_read.min(max_read),
                    n,
                    PARTITION_RCU,
                    ON_DEMAND_BURST_SECONDS,
                    max_read,
                    warm_read.min(max_read),
                ),
                Capacity::new(
                    &clock,
                    warm_write.min(max_write),
                    n,
                    PARTITION_WCU,
                    ON_DEMAND_BURST_SECONDS,
                    max_write,
                    warm_write.min(max_write),
                ),
            ),
        };
        DynamoDb {
            stream: cfg
                .stream
                .clone()
                .map(|s| Stream::new(s, clock, cfg.partitions)),
            edges: env.edges,
            dax: cfg.dax.as_ref().map(|d| Lru::new(d.capacity)),
            dax_queries: cfg.dax.as_ref().map(|d| Lru::new(d.capacity)),
            decreases: autoscaling::Decreases::default(),
            reads,
            writes,
            pending: Slab::new(),
            own: BTreeMap::new(),
            heat: BTreeMap::new(),
            requests: Counter::new(&clock),
            throttles: Counter::new(&clock),
            hot_throttles: 0,
            unprocessed: None,
            said_too_large: false,
            dax_hits: Counter::new(&clock),
            dax_misses: Counter::new(&clock),
            statuses: Counts::default(),
            latency: Durations::default(),
            rru: 0.0,
            wru: 0.0,
            capacity_hours: (0.0, 0.0),
            events: EventLog::new(&env.name),
            cfg,
            clock,
            rng: env.rng,
        }
    }

    fn side(&mut self, side: Side) -> &mut Capacity {
        match side {
            Side::Read => &mut self.reads,
            Side::Write => &mut self.writes,
        }
    }

    /// Splits partitions as capacity grows (never merging them): enough for the table's
    /// throughput at the per-partition limits.
    fn ensure_partitions(&mut self, now: SimTime) {
        let needed = partitions_needed(
            self.reads.capacity,
            self.writes.capacity,
            self.cfg.partitions,
        );
        let current = self.reads.partitions.len() as u32;
        if needed > current {
            self.reads.grow_to(needed, PARTITION_RCU);
            self.writes.grow_to(needed, PARTITION_WCU);
            self.events.push(
                now,
                "partition_split",
                format!("{current} -> {needed} partitions"),
            );
            self.reshard(now);
        }
    }

    /// The stream's shards follow the partitions, those split off for heat included.
    fn reshard(&mut self, now: SimTime) {
        let count = (self.reads.partitions.len() + self.own.len()) as u32;
        if let Some(s) = self.stream.as_mut() {
            s.reshard(now, count, &mut self.events);
        }
    }

    /// The stream shard of a partition.
    fn shard_of(&self, part: Part) -> u32 {
        match part {
            Part::Hashed(p) => p as u32,
            Part::Own(i) => (self.reads.partitions.len() + i) as u32,
        }
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        if let Some(items) = ctx.entries_mut(call, &msg) {
            let items = items.to_vec();
            self.batch(ctx, call, &items, &msg);
            return;
        }
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests.add(&self.clock, now, measured);
        if self.too_large(now, msg.op, msg.size_bytes) {
            let wait = self.latency(true);
            self.answer_after(ctx, call, now, ITEM_TOO_LARGE, None, wait, None);
            return;
        }
        let done = self.item(ctx, msg.op, msg.key, msg.size_bytes, msg.origin, msg.span);
        if done.dax_hit {
            let wait = self.dax_latency();
            self.answer_after(ctx, call, now, status::OK, None, wait, None);
            return;
        }
        let wait = self.latency(done.write);
        match done.refused {
            None => {
                let (fill, record) = done.effects;
                self.answer_after(ctx, call, now, status::OK, fill, wait, record);
            }
            Some(limit) => {
                self.throttled(now, measured, limit);
                self.answer_after(ctx, call, now, THROTTLED, None, wait, None);
            }
        }
    }

    /// Whether a write of `size` bytes is over the item size limit (`MAX_ITEM_BYTES`); the
    /// first one is said in the table's events.
    fn too_large(&mut self, now: SimTime, op: u16, size: u32) -> bool {
        if size <= MAX_ITEM_BYTES || !self.cfg.writes.contains(&op) {
            return false;
        }
        if !self.said_too_large {
            self.said_too_large = true;
            self.events.push(
                now,
                "item_too_large",
                format!(
                    "a write of a {size}-byte item, over DynamoDB's 400 KB ({MAX_ITEM_BYTES} bytes): ValidationException, counted as 413, not retried"
                ),
            );
        }
        true
    }

    /// Counts a request refused whole, by the table's or a partition's limit.
    fn throttled(&mut self, now: SimTime, measured: bool, limit: Limit) {
        self.throttles.add(&self.clock, now, measured);
        if limit == Limit::Partition && measured {
            self.hot_throttles += 1;
        }
    }

    /// A batch action (BatchWriteItem, BatchGetItem: a Lambda handler's one call for its
    /// batch) of `items`, each an item of its own: its own partition, its own capacity
    /// (rounded up on its own), its own DAX lookup and stream record. An item refused is
    /// AWS's unprocessed item: marked failed and counted, the call answered 200 when some
    /// were done (AWS's BatchWriteItem: "failed operations are returned in the
    /// UnprocessedItems response parameter"), throttled when none was (its
    /// ProvisionedThroughputExceededException "if none of the items can be processed").
    /// One answer, after the slower side's latency (DAX's alone when every item was in its
    /// cache).
    fn batch(&mut self, ctx: &mut Ctx<'_>, call: CallId, items: &[Item], msg: &Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests.add(&self.clock, now, measured);
        let mut too_large = false;
        for i in items {
            too_large |= self.too_large(now, i.op, i.size);
        }
        if too_large {
            let wait = self.latency(true);
            self.answer_after(ctx, call, now, ITEM_TOO_LARGE, None, wait, None);
            return;
        }
        let mut effects = Vec::with_capacity(items.len());
        let (mut write, mut cached, mut refused) = (false, true, Vec::new());
        let mut limit = Limit::Table;
        for (k, i) in items.iter().enumerate() {
            let done = self.item(ctx, i.op, i.key, i.size, i.origin, msg.span);
            write |= done.write;
            cached &= done.dax_hit;
            match done.refused {
                None if done.effects.0.is_some() || done.effects.1.is_some() => {
                    effects.push(done.effects);
                }
                None => {}
                Some(l) => {
                    refused.push(k);
                    if l == Limit::Partition {
                        limit = l;
                    }
                }
            }
        }
        if let Some(items) = ctx.entries_mut(call, msg) {
            for &k in &refused {
                items[k].failed = true;
            }
        }
        let wait = if cached {
            self.dax_latency()
        } else {
            self.latency(write)
        };
        let unprocessed = self.unprocessed.get_or_insert(0);
        let status = if refused.len() < items.len() {
            if measured {
                *unprocessed += refused.len() as u64;
            }
            status::OK
        } else {
            self.throttled(now, measured, limit);
            THROTTLED
        };
        let mut effects = effects.into_iter();
        let (fill, record) = effects.next().unwrap_or((None, None));
        let more: Box<[Effects]> = effects.collect();
        if more.is_empty() {
            self.answer_after(ctx, call, now, status, fill, wait, record);
        } else {
            let idx = self.pending.insert(Pending {
                call,
                arrived: now,
                status,
                fill,
                record,
                more,
            });
            ctx.schedule(wait, Timer::Answer(idx).encode());
        }
    }

    /// DAX's latency, for an answer from its cache.
    fn dax_latency(&mut self) -> SimTime {
        self.cfg
            .dax
            .as_ref()
            .map_or(SimTime::ZERO, |d| d.latency.sample_time(&mut self.rng))
    }

    /// The table's latency for a read or a write, through DAX when it is in front (a miss
    /// or a write costs the extra hop to the cluster).
    fn latency(&mut self, write: bool) -> SimTime {
        let latency = if write {
            &self.cfg.write_latency
        } else {
            &self.cfg.read_latency
        };
        let mut wait = latency.sample_time(&mut self.rng);
        if let Some(d) = &self.cfg.dax {
            wait += d.latency.sample_time(&mut self.rng);
        }
        wait
    }

    /// One item, of a request or of a batch: served from DAX's cache, or admitted by its
    /// partition (its capacity consumed and billed, DAX's fill and the stream's record to do
    /// when the answer leaves), or refused (its partition heated). Draws nothing.
    fn item(
        &mut self,
        ctx: &mut Ctx<'_>,
        op: u16,
        key: u64,
        size: u32,
        origin: SimTime,
        span: u32,
    ) -> Done {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        let (write, units) = self.cfg.item_units(op, size);
        let transactional = self.cfg.transactions.contains(&op);
        let dax_read = !write && !self.cfg.strong_reads && !transactional;
        // aws-facts: §7 DAX: eventually consistent reads are served from the item cache, and
        // queries and scans from the query cache; a hit consumes no capacity. (A
        // BatchGetItem's keys are looked up in the item cache one by one, AWS's DAX item
        // cache.)
        let query = self
            .cfg
            .dax
            .as_ref()
            .is_some_and(|d| d.queries.contains(&op));
        if dax_read {
            let cache = if query {
                self.dax_queries.as_mut()
            } else {
                self.dax.as_mut()
            };
            if let Some(cache) = cache {
                if cache.get(&key).is_some_and(|&exp| exp > now) {
                    self.dax_hits.add(&self.clock, now, measured);
                    return Done {
                        write,
                        dax_hit: true,
                        refused: None,
                        effects: (None, None),
                    };
                }
                self.dax_misses.add(&self.clock, now, measured);
            }
        }
        let part = match self.own.get(&key) {
            Some(&own) => Part::Own(own),
            None => Part::Hashed(partition_of(key, self.reads.partitions.len())),
        };
        let side = if write {
            &mut self.writes
        } else {
            &mut self.reads
        };
        if let Err(limit) = side.admit(now, part, units) {
            if let (Limit::Partition, Part::Hashed(p)) = (limit, part) {
                self.heat_up(ctx, now, p, key);
            }
            return Done {
                write,
                dax_hit: false,
                refused: Some(limit),
                effects: (None, None),
            };
        }
        side.consumed
            .add_weighted(&self.clock, now, measured, units);
        if matches!(self.cfg.mode, Mode::OnDemand) && measured {
            if write {
                self.wru += units;
            } else {
                self.rru += units;
            }
        }
        // Write-through: a write puts the item in DAX's item cache (and leaves its query
        // cache alone); a read that missed puts its result in the cache it missed.
        let fill = (self.dax.is_some() && (write || dax_read)).then_some((key, dax_read && query));
        // aws-facts: §22: every write done appends a record to its partition's shard.
        let record = (write && self.stream.is_some()).then(|| {
            let r = Record {
                written: SimTime::ZERO,
                origin,
                key,
                op,
                size,
                read: false,
                span,
            };
            (self.shard_of(part), r)
        });
        Done {
            write,
            dax_hit: false,
            refused: None,
            effects: (fill, record),
        }
    }

    /// A hashed partition refused `key` at its limit: it is hot. The first refusal starts the
    /// split delay (aws-facts: §7 split for heat); every refusal is tallied.
    fn heat_up(&mut self, ctx: &mut Ctx<'_>, now: SimTime, partition: usize, key: u64) {
        let Some(delay) = self.cfg.split_delay else {
            return;
        };
        let heat = self.heat.entry(partition).or_insert_with(|| {
            ctx.schedule(delay, Timer::Split(partition).encode());
            Heat::new(now)
        });
        heat.refused(now, key);
    }

    /// A partition's split delay is over: if it still throttles, its hottest key gets a
    /// partition of its own (on both sides: a partition holds reads and writes).
    fn split(&mut self, now: SimTime, partition: usize) {
        let Some(heat) = self.heat.remove(&partition) else {
            return;
        };
        let still_hot = now.saturating_sub(heat.last) <= STILL_HOT;
        if let (true, Some(key)) = (still_hot, heat.hottest()) {
            if self.own.len() < MAX_OWN_PARTITIONS {
                let own = self.reads.split_off(PARTITION_RCU);
                self.writes.split_off(PARTITION_WCU);
                self.own.insert(key, own);
                self.events.push(
                    now,
                    "split_for_heat",
                    format!("key {key} to a partition of its own"),
                );
                self.reshard(now);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn answer_after(
        &mut self,
        ctx: &mut Ctx<'_>,
        call: CallId,
        arrived: SimTime,
        status: u16,
        fill: Option<(u64, bool)>,
        wait: SimTime,
        record: Option<(u32, Record)>,
    ) {
        if fill.is_none() && record.is_none() {
            // Nothing to do when the answer leaves: record it now and let the kernel send it.
            let measured = self.clock.measured(arrived);
            self.statuses.add(status, measured);
            if status == status::OK {
                self.latency.record(wait, measured);
            }
            ctx.reply_after(call, status, wait);
            return;
        }
        let idx = self.pending.insert(Pending {
            call,
            arrived,
            status,
            fill,
            record,
            more: Box::default(),
        });
        ctx.schedule(wait, Timer::Answer(idx).encode());
    }

    /// A pending answer's time has come: fill DAX if it should, and answer.
    fn answer(&mut self, ctx: &mut Ctx<'_>, pending: usize) {
        let now = ctx.now();
        let p = self.pending.remove(pending);
        let measured = self.clock.measured(p.arrived);
        self.statuses.add(p.status, measured);
        if p.status == status::OK {
            self.latency.record(now - p.arrived, measured);
        }
        ctx.reply(p.call, p.status);
        for (fill, record) in std::iter::once((p.fill, p.record)).chain(p.more.into_vec()) {
            if let (Some((key, query)), Some(d)) = (fill, self.cfg.dax.as_ref()) {
                let cache = if query {
                    self.dax_queries.as_mut()
                } else {
                    self.dax.as_mut()
                };
                if let Some(cache) = cache {
                    cache.put(key, now + d.ttl);
                }
            }
            if let (Some((shard, mut r)), Some(s)) = (record, self.stream.as_mut()) {
                r.written = now;
                s.append(ctx, &self.edges, &mut self.rng, shard, r);
            }
        }
    }

    /// Once a minute: auto scaling's alarms (provisioned) or the peak memory (on-demand).
    fn minute(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let clock = self.clock;
        let on_demand = matches!(self.cfg.mode, Mode::OnDemand);
        let auto = self.cfg.autoscaling.clone();
        let mut decreases = std::mem::take(&mut self.decreases);
        for s in [Side::Read, Side::Write] {
            let side = self.side(s);
            let rate = side.minute_units / TICK_S as f64;
            side.minute_units = 0.0;
            if on_demand {
                let ceiling = side
                    .scaling
                    .on_demand(rate, side.initial, side.max_capacity);
                if ceiling != side.capacity {
                    side.set_capacity(&clock, now, ceiling, ON_DEMAND_BURST_SECONDS);
                }
            } else if let Some(a) = &auto {
                let (from, bounds) = (side.capacity, (side.initial, side.max_capacity));
                let tracked = side.scaling.target_tracking(
                    a.target,
                    rate,
                    from,
                    bounds,
                    (&mut decreases, now),
                );
                if let Some(wanted) = tracked {
                    ctx.schedule(a.lag, Timer::Apply(s).encode());
                    self.events.push(
                        now,
                        "scaling_alarm",
                        format!("{} {from:.0} -> {wanted:.0}", s.units()),
                    );
                }
            }
        }
        self.decreases = decreases;
        self.ensure_partitions(now);
        let tick = SimTime::from_secs(TICK_S);
        if now + tick < self.clock.end {
            ctx.schedule(tick, Timer::Minute.encode());
        }
    }

    /// A scaling action's lag is over: its capacity takes effect.
    fn apply(&mut self, now: SimTime, s: Side) {
        let clock = self.clock;
        let side = self.side(s);
        if let Some(c) = side.scaling.pending.take() {
            let from = side.capacity;
            side.set_capacity(&clock, now, c, BURST_SECONDS);
            self.events
                .push(now, "scaled", format!("{} {from:.0} -> {c:.0}", s.units()));
            self.ensure_partitions(now);
        }
    }
}

impl Component for DynamoDb {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.ensure_partitions(ctx.now());
        let count = (self.reads.partitions.len() + self.own.len()) as u32;
        if let Some(s) = self.stream.as_mut() {
            s.open(count);
        }
        if self.cfg.autoscaling.is_some() || matches!(self.cfg.mode, Mode::OnDemand) {
            ctx.schedule(SimTime::from_secs(TICK_S), Timer::Minute.encode());
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Call(call, msg) => self.request(ctx, call, msg),
            Input::Timer(tag) => match Timer::decode(tag) {
                Some(Timer::Answer(pending)) => self.answer(ctx, pending),
                Some(Timer::Minute) => self.minute(ctx),
                Some(Timer::Apply(s)) => self.apply(now, s),
                Some(Timer::Split(partition)) => self.split(now, partition),
                Some(Timer::Wake(lane)) => {
                    if let Some(s) = self.stream.as_mut() {
                        s.wake(ctx, &self.edges, &mut self.rng, lane);
                    }
                }
                None => {}
            },
            Input::Reply(r) => {
                if let (Some(Tag::Batch(lane)), Some(s)) =
                    (Tag::decode(r.tag), self.stream.as_mut())
                {
                    s.answered(ctx, &self.edges, &mut self.rng, lane, r.outcome);
                }
            }
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.reads.capacity_level.finish(c);
        self.writes.capacity_level.finish(c);
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
        if let Some(n) = self.unprocessed {
            m.count("unprocessed_items", n);
        }
        m.gauge("read_units_consumed", self.reads.consumed.weighted_total());
        m.gauge(
            "write_units_consumed",
            self.writes.consumed.weighted_total(),
        );
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.gauge(
            "throttle_fraction",
            self.throttles.total() as f64 / requests.max(1) as f64,
        );
        m.gauge(
            "partitions",
            (self.reads.partitions.len() + self.own.len()) as f64,
        );
        m.count("keys_split_off", self.own.len() as u64);
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
        m.hist("response_ms", &self.latency.summary());
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
        if let Some(s) = self.stream.as_mut() {
            s.finish();
            series.extend(s.report(&mut m));
        }
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    fn timer() -> impl Strategy<Value = Timer> {
        prop_oneof![
            (0usize..(1 << 40)).prop_map(Timer::Answer),
            Just(Timer::Minute),
            Just(Timer::Apply(Side::Read)),
            Just(Timer::Apply(Side::Write)),
            (0usize..(1 << 40)).prop_map(Timer::Split),
            (0usize..(1 << 40)).prop_map(Timer::Wake),
        ]
    }

    proptest! {
        #[test]
        fn timers_survive_the_kernel(t in timer()) {
            prop_assert_eq!(token_round_trip(t), Ok(()));
        }

        #[test]
        fn a_token_is_one_timer_or_none(token in any::<u64>()) {
            if let Some(t) = Timer::decode(token) {
                prop_assert_eq!(t.encode(), token);
            }
        }
    }
}
