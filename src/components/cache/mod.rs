//! Amazon ElastiCache (Redis OSS / Valkey or Memcached) used cache-aside in front of a
//! database: the application logic of "look in the cache, else read the database and fill"
//! (lazy loading) or "write to the database, then to the cache" (write-through), with TTL and
//! LRU eviction, so the hit ratio comes from key popularity. Stale reads are measured: a hit
//! on an entry filled before the key's last write.
//!
//! A full cache evicts as Redis's `maxmemory-policy` says (aws-facts §6: volatile-lru by
//! default, so only entries written with a TTL can go); a new entry that finds nothing it may
//! evict is refused with Redis's OOM error, and the application answers from the database
//! without caching it. Expired entries go first: one is deleted when its key is read, and a
//! full cache deletes the expired among its least recently used before it evicts or refuses.
//!
//! A node failure (fault `cache_node_failure`): a node without a replica (Memcached, or Redis
//! without Multi-AZ) is unreachable until ElastiCache has replaced it (`replacement`, minutes),
//! each request paying a connection error or the client's connect timeout before going to the
//! database, and the new node starts empty: a storm of misses follows. Redis with Multi-AZ
//! fails over to its replica in about 30 s (aws-facts §6), during which the application goes
//! straight to the database.
//!
//! Redis with Multi-AZ has two nodes, a primary and a replica, and the fault takes the
//! primary. After a failover ElastiCache launches a replacement replica in the failed
//! primary's zone, which must sync before it can be promoted (AWS's "Failure scenarios with
//! Multi-AZ responses", AutoFailover.html); this model gives it `replacement`. A failure
//! while no replica is in sync (the promoted replica lost during the failover, or the new
//! primary lost before its replacement replica is ready) is AWS's "entire cluster fails":
//! every node is recreated, the data lost, and the cluster is unreachable until then.
//!
//! An outage of the cache's zone (`az`) is a node failure too: Redis with Multi-AZ promotes its
//! replica in another zone; a node without one is lost, and its replacement, empty, comes no
//! earlier than `replacement` after the loss and no earlier than the zone's return. After a
//! failover the primary is in the other zone and the zone `az` holds the replica: its outage
//! then loses only the replica.

mod config;
mod kind;

pub use config::{parse, CacheConfig, Engine, Strategy};
use kind::{HIT_RATIO, MISSES, REQUESTS, STALE_READS};

use super::lru::{Full, PolicyLru};
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token, DOWNSTREAM_TIMEOUT};
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, MetricSet, WindowedCounts};
use crate::status;
use slab::Slab;

/// Entries a full cache examines for expired ones before it evicts or refuses a new one,
/// from the least recently used. Redis deletes an expired key when it is accessed, and by a
/// periodic sweep that tests 20 random keys with a TTL at a time, ten times a second
/// (redis.io, EXPIRE, "How Redis expires keys"); ElastiCache documents nothing of its own.
/// Testing the 20 least recently used when room is needed is this model's sweep.
const EXPIRY_SAMPLE: usize = 20;

/// What a cache's timers are for. The timers of a node's recovery carry the node's epoch when
/// they were set: a later failure moves the epoch on, and a timer of an earlier epoch is
/// stale (the failover or replacement it would end was overtaken by a worse failure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A hit's round trip is over: answer the pending request.
    AnswerHit(usize),
    /// The replica has taken over: the cache serves again.
    FailoverDone(u32),
    /// A replacement node is in service, empty.
    Replaced(u32),
    /// Redis Multi-AZ: the replacement replica has synced and can be promoted.
    ReplicaReady(u32),
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::AnswerHit(pending) => pack(0, pending as u64),
            Timer::FailoverDone(epoch) => pack(1, u64::from(epoch)),
            Timer::Replaced(epoch) => pack(2, u64::from(epoch)),
            Timer::ReplicaReady(epoch) => pack(3, u64::from(epoch)),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        let epoch = |e: u64| u32::try_from(e).ok();
        match unpack(token) {
            (0, pending) => Some(Timer::AnswerHit(pending as usize)),
            (1, e) => epoch(e).map(Timer::FailoverDone),
            (2, e) => epoch(e).map(Timer::Replaced),
            (3, e) => epoch(e).map(Timer::ReplicaReady),
            _ => None,
        }
    }
}

/// The faults particular to a cache (`[[fault]] kind = "cache_node_failure"`), told to it as
/// `Input::Fault { code }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// A node is lost: Memcached (or Redis without a replica) is unreachable until replaced,
    /// empty; Redis Multi-AZ fails over.
    NodeFailure,
    /// The cache's zone is out (on) or back (off): its node is lost as in `NodeFailure`, and a
    /// node without a replica is not replaced before the zone is back.
    ZoneOutage,
}

impl Token for Fault {
    fn encode(self) -> u64 {
        match self {
            Fault::NodeFailure => pack(0, 0),
            Fault::ZoneOutage => pack(1, 0),
        }
    }

    fn decode(token: u64) -> Option<Fault> {
        match unpack(token) {
            (0, 0) => Some(Fault::NodeFailure),
            (1, 0) => Some(Fault::ZoneOutage),
            _ => None,
        }
    }
}

impl Fault {
    /// The code the kernel carries in `Input::Fault`, which is narrower than a token.
    fn code(self) -> u32 {
        u32::try_from(self.encode()).expect("a cache's fault fits a fault code")
    }
}

/// Whether the cache's node answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    /// It serves.
    Up,
    /// Redis Multi-AZ is promoting its replica: the application goes to the database.
    FailingOver,
    /// Lost, and not yet replaced: each request finds out by a connection error or timeout.
    Unreachable,
}

#[derive(Clone, Copy)]
struct Entry {
    expires: SimTime,
    filled: SimTime,
    /// The backend has finished a write of the key since `filled`: a hit reads a stale value.
    /// Set when the write completes, so that a hit reads a flag it holds already rather
    /// than look the key up again in a table of every key's last write.
    stale: bool,
}

struct Pending {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
    write: bool,
    /// Whether the node was up when the request came (a read that failed to reach it does
    /// not try to fill it).
    fill: bool,
}

/// A running cache: its entries, its node's state and the calls to its backend.
pub struct Cache {
    cfg: CacheConfig,
    clock: Clock,
    rng: SimRng,
    backend: Edge,
    entries: PolicyLru<u64, Entry>,
    /// Whether the node serves; when not, requests go to the database.
    node: Node,
    /// Whether the cache's zone is out: a node without a replica cannot be replaced there.
    zone_out: bool,
    /// A lost node's replacement time has passed while its zone was out: it comes back with
    /// the zone.
    replacement_due: bool,
    /// Moves on at each failure: recovery timers of an earlier epoch are stale.
    epoch: u32,
    /// Redis Multi-AZ: a replica is in sync and can be promoted.
    replica_ready: bool,
    /// Redis Multi-AZ: the replacement replica's time has passed while its zone was out: it is
    /// ready when the zone is back.
    replica_due: bool,
    /// Redis Multi-AZ: the primary is in the cache's zone (`az`), the replica in another; each
    /// failover swaps them.
    primary_home: bool,
    pending: Slab<Pending>,
    // Recorders.
    requests: Counter,
    hits: Counter,
    misses: Counter,
    stale: Counter,
    bypassed: Counter,
    connection_errors: Counter,
    evictions: Counter,
    expired: Counter,
    refused_sets: Counter,
    statuses: WindowedCounts<u16>,
    latency: Latency,
    events: EventLog,
}

impl Cache {
    /// Builds it for one run, empty.
    pub fn new(cfg: CacheConfig, env: BuildEnv) -> Cache {
        let clock = env.clock;
        Cache {
            entries: PolicyLru::new(cfg.capacity, cfg.eviction),
            node: Node::Up,
            zone_out: false,
            replacement_due: false,
            epoch: 0,
            replica_ready: cfg.multi_az,
            replica_due: false,
            primary_home: true,
            pending: Slab::new(),
            requests: Counter::new(&clock),
            hits: Counter::new(&clock),
            misses: Counter::new(&clock),
            stale: Counter::new(&clock),
            bypassed: Counter::new(&clock),
            connection_errors: Counter::new(&clock),
            evictions: Counter::new(&clock),
            expired: Counter::new(&clock),
            refused_sets: Counter::new(&clock),
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
        if !write && self.node == Node::Up {
            let (hit, expired) = match self.entries.get(&msg.key) {
                Some(e) if e.expires > now => (Some(e.stale), false),
                Some(_) => (None, true),
                None => (None, false),
            };
            // Redis deletes an expired key when it is accessed (see EXPIRY_SAMPLE).
            if expired {
                self.entries.remove(&msg.key);
                self.expired.add(&self.clock, now, measured);
            }
            if let Some(stale) = hit {
                self.hits.add(&self.clock, now, measured);
                if stale {
                    self.stale.add(&self.clock, now, measured);
                }
                let idx = self.pending.insert(Pending {
                    call,
                    msg,
                    arrived: now,
                    write,
                    fill: false,
                });
                ctx.schedule(get, Timer::AnswerHit(idx).encode());
                return;
            }
            self.misses.add(&self.clock, now, measured);
        }
        if self.node != Node::Up {
            self.bypassed.add(&self.clock, now, measured);
        }
        // To the database: after the failed get (a miss), after the get's connection error or
        // timeout (an unreachable node), or straight away (a write, or a failover the
        // application knows of). aws-facts §6: a lazy-loading miss is three trips, a
        // write-through write two; a lost node costs connection errors or client timeouts.
        let before = match (self.node, write) {
            (Node::Up, false) => get,
            (Node::Unreachable, false) => {
                self.connection_errors.add(&self.clock, now, measured);
                self.cfg.connect_timeout
            }
            _ => SimTime::ZERO,
        };
        let fill = self.node == Node::Up;
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
        if status::is_success(status) {
            self.latency
                .record(&self.clock, done, done - p.arrived, measured);
        }
        ctx.reply_after(p.call, status, extra);
    }

    /// The backend has answered (or timed out): fill the cache if this request should, and
    /// answer.
    fn backend_replied(&mut self, ctx: &mut Ctx<'_>, pending: usize, outcome: Outcome) {
        let now = ctx.now();
        let p = self.pending.remove(pending);
        let status = match outcome {
            Outcome::Status(s) => s,
            Outcome::Timeout => DOWNSTREAM_TIMEOUT,
            Outcome::Error => super::DOWNSTREAM_ERROR,
        };
        let mut extra = SimTime::ZERO;
        if status::is_success(status) {
            if p.write {
                // Without touching its recency: the application wrote the database, not the
                // cache (a write-through set follows, and makes the entry fresh again).
                if let Some(e) = self.entries.peek_mut(&p.msg.key) {
                    e.stale |= now > e.filled;
                }
            }
            let set = !p.write || self.cfg.strategy == Strategy::WriteThrough;
            if set {
                extra = self.set(now, &p);
            }
        }
        self.finish_request(ctx, p, status, extra);
    }

    /// The application sets the key the backend has just answered for; returns the time the
    /// set takes. An entry is written with a TTL when the cache has one, and so may be evicted
    /// under volatile-lru. Whatever the set's fate, the application answers with the backend's
    /// answer: a refused set (Redis's OOM error) or a lost node only leave the key uncached.
    fn set(&mut self, now: SimTime, p: &Pending) -> SimTime {
        let measured = self.clock.measured(now);
        match self.node {
            Node::Up if p.fill => {
                let entry = Entry {
                    expires: self.cfg.ttl.map_or(SimTime::MAX, |t| now + t),
                    filled: now,
                    stale: false,
                };
                // A new key in a full cache: expired entries make room before any is evicted.
                let key = p.msg.key;
                if self.entries.len() >= self.cfg.capacity && !self.entries.contains(&key) {
                    let gone = self
                        .entries
                        .remove_expired(EXPIRY_SAMPLE, |e| e.expires <= now);
                    for _ in 0..gone {
                        self.expired.add(&self.clock, now, measured);
                    }
                }
                match self.entries.put(p.msg.key, entry, self.cfg.ttl.is_some()) {
                    Ok(true) => self.evictions.add(&self.clock, now, measured),
                    Ok(false) => {}
                    // aws-facts: §6 eviction default: nothing may be evicted, so Redis answers
                    // "OOM command not allowed"; reads still hit. That error reply stands for
                    // a 503 (a store that refuses writes), but the application does not pass
                    // it on: the backend has answered, so its answer goes back, uncached.
                    Err(Full) => self.refused_sets.add(&self.clock, now, measured),
                }
                // The set is one more trip before the application answers.
                self.cfg.latency.sample_time(&mut self.rng)
            }
            // A write-through write (or a read that found the node up) tries to set the key on
            // a node lost since: it pays the connection error or timeout.
            Node::Unreachable if p.fill || p.write => {
                self.connection_errors.add(&self.clock, now, measured);
                self.cfg.connect_timeout
            }
            _ => SimTime::ZERO,
        }
    }

    /// The primary (the only node without a replica) is lost. aws-facts: §6 engines, node
    /// failure/replacement; AWS's "Failure scenarios with Multi-AZ responses" (AutoFailover.html).
    fn node_failure(&mut self, ctx: &mut Ctx<'_>) {
        match self.node {
            // Lost already: its replacement is under way.
            Node::Unreachable => {}
            // The replica being promoted was the only node left.
            Node::FailingOver => self.cluster_lost(ctx, "the replica being promoted is lost too"),
            Node::Up if self.cfg.multi_az && self.replica_ready => self.fail_over(ctx),
            Node::Up if self.cfg.multi_az => self.cluster_lost(
                ctx,
                "the primary is lost with no replica in sync to promote",
            ),
            Node::Up => self.cluster_lost(ctx, ""),
        }
    }

    /// Redis Multi-AZ: the replica is promoted (data kept) after the failover time; meanwhile
    /// the application reads the database. The replica is the primary now, and none is in
    /// sync until the replacement has synced.
    fn fail_over(&mut self, ctx: &mut Ctx<'_>) {
        self.epoch = self.epoch.wrapping_add(1);
        self.node = Node::FailingOver;
        self.replica_ready = false;
        self.events.push(
            ctx.now(),
            "failover_start",
            "promoting the replica".to_string(),
        );
        ctx.schedule(self.cfg.failover, Timer::FailoverDone(self.epoch).encode());
    }

    /// The promoted replica serves. ElastiCache launches a replacement replica in the failed
    /// primary's zone, and it syncs with the new primary: this model gives that `replacement`
    /// (AWS gives no figure).
    fn failover_done(&mut self, ctx: &mut Ctx<'_>) {
        self.node = Node::Up;
        self.primary_home = !self.primary_home;
        self.events.push(
            ctx.now(),
            "failover_done",
            "replica promoted; a replacement replica is syncing".to_string(),
        );
        self.replica_later(ctx);
    }

    /// Sets the replacement replica's timer, unless it would be ready only after the run's
    /// end: then it changes nothing measured, and its timer would keep the run going.
    fn replica_later(&mut self, ctx: &mut Ctx<'_>) {
        if ctx.now() + self.cfg.replacement < self.clock.end {
            ctx.schedule(
                self.cfg.replacement,
                Timer::ReplicaReady(self.epoch).encode(),
            );
        }
    }

    /// Every node holding the keys is lost: without a replica the node is unreachable until
    /// replaced and its replacement starts empty; with Multi-AZ but no replica in sync it is
    /// AWS's "entire cluster fails": every node is recreated, the data lost.
    fn cluster_lost(&mut self, ctx: &mut Ctx<'_>, why: &str) {
        let now = ctx.now();
        if self.node == Node::FailingOver {
            self.events.push(now, "failover_failed", why.to_string());
        }
        self.epoch = self.epoch.wrapping_add(1);
        let lost = self.entries.len();
        self.entries.clear();
        self.node = Node::Unreachable;
        self.replica_ready = false;
        self.replica_due = false;
        let detail = if self.cfg.multi_az {
            format!("{why}: every node is recreated, {lost} entries lost")
        } else {
            format!("{lost} entries lost")
        };
        self.events.push(now, "node_lost", detail);
        ctx.schedule(self.cfg.replacement, Timer::Replaced(self.epoch).encode());
    }

    /// Whether the zone that is out holds the primary (or the only node).
    fn primary_zone_out(&self) -> bool {
        self.zone_out && self.primary_home
    }

    /// Whether the zone that is out holds the replica (Redis Multi-AZ).
    fn replica_zone_out(&self) -> bool {
        self.zone_out && !self.primary_home
    }

    /// The cache's zone goes out (`on`) or comes back. aws-facts: §6 engines: Multi-AZ with
    /// automatic failover promotes the replica in another zone, as for a lost node; without a
    /// replica the node is lost with its keys. A choice, AWS documents no figure: its
    /// replacement comes `replacement` after the loss, and not before the zone is back, since
    /// a cluster without replicas has its node in that zone.
    fn zone_outage(&mut self, ctx: &mut Ctx<'_>, on: bool) {
        self.zone_out = on;
        if !on {
            if self.replacement_due {
                self.node_replaced(ctx.now());
            }
            if self.replica_due {
                self.replica_synced(ctx.now());
            }
            return;
        }
        match self.node {
            Node::Unreachable => {}
            // The primary that failed was in this zone: the replica being promoted is not.
            Node::FailingOver if self.primary_home => {}
            // The replica being promoted is.
            Node::FailingOver => self.cluster_lost(ctx, "the replica being promoted is lost too"),
            Node::Up if self.primary_home => self.node_failure(ctx),
            // After a failover the zone holds the replica only: it is lost, and its replacement
            // is launched in the same zone when it is back.
            Node::Up => {
                if self.replica_ready {
                    self.replica_ready = false;
                    self.events.push(
                        ctx.now(),
                        "replica_lost",
                        "its zone is out; a replacement replica is launched there".to_string(),
                    );
                    self.replica_later(ctx);
                }
            }
        }
    }

    /// The replacement of a lost node is ready: it serves, empty, unless its zone is still out.
    /// With Multi-AZ every node was recreated: the replica too.
    fn node_replaced(&mut self, now: SimTime) {
        if self.primary_zone_out() {
            self.replacement_due = true;
            return;
        }
        self.replacement_due = false;
        self.node = Node::Up;
        self.events.push(now, "node_replaced", String::new());
        if self.cfg.multi_az {
            self.replica_synced(now);
        }
    }

    /// Redis Multi-AZ: the replacement replica is in sync, unless its zone is out.
    fn replica_synced(&mut self, now: SimTime) {
        if self.replica_zone_out() {
            self.replica_due = true;
            return;
        }
        self.replica_due = false;
        self.replica_ready = true;
        self.events.push(now, "replica_ready", String::new());
    }
}

impl Component for Cache {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Call(call, msg) => self.request(ctx, call, msg),
            Input::Timer(tag) => match Timer::decode(tag) {
                Some(Timer::AnswerHit(pending)) => {
                    let p = self.pending.remove(pending);
                    self.finish_request(ctx, p, status::OK, SimTime::ZERO);
                }
                Some(Timer::FailoverDone(e)) if e == self.epoch => self.failover_done(ctx),
                Some(Timer::Replaced(e)) if e == self.epoch => self.node_replaced(ctx.now()),
                Some(Timer::ReplicaReady(e)) if e == self.epoch => self.replica_synced(ctx.now()),
                // Stale: a later failure overtook the recovery it would end.
                Some(_) | None => {}
            },
            Input::Reply(r) => self.backend_replied(ctx, r.tag as usize, r.outcome),
            // A node failure happens at an instant; nothing ends it but its own recovery. A
            // zone's outage lasts, and its end may let a lost node be replaced.
            Input::Fault { code, on } => match Fault::decode(u64::from(code)) {
                Some(Fault::NodeFailure) if on => self.node_failure(ctx),
                Some(Fault::ZoneOutage) => self.zone_outage(ctx, on),
                _ => {}
            },
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
        m.count("connection_errors", self.connection_errors.total());
        m.count("evictions", self.evictions.total());
        m.count("expired", self.expired.total());
        m.count("refused_sets", self.refused_sets.total());
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
        m.hist("response_ms", &self.latency.summary());
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

#[cfg(test)]
mod tests {
    use super::{Fault, Timer, Token};
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    fn timer() -> impl Strategy<Value = Timer> {
        prop_oneof![
            (0usize..(1 << 40)).prop_map(Timer::AnswerHit),
            any::<u32>().prop_map(Timer::FailoverDone),
            any::<u32>().prop_map(Timer::Replaced),
            any::<u32>().prop_map(Timer::ReplicaReady),
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

        #[test]
        fn faults_survive_the_kernel(f in prop_oneof![Just(Fault::NodeFailure), Just(Fault::ZoneOutage)]) {
            prop_assert_eq!(token_round_trip(f), Ok(()));
            prop_assert_eq!(Fault::decode(u64::from(f.code())), Some(f));
        }

        #[test]
        fn a_code_is_one_fault_or_none(code in any::<u32>()) {
            if let Some(f) = Fault::decode(u64::from(code)) {
                prop_assert_eq!(f.code(), code);
            }
        }
    }
}
