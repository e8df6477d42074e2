//! Amazon ElastiCache (Redis OSS / Valkey or Memcached) used cache-aside in front of a
//! database: the application logic of "look in the cache, else read the database and fill"
//! (lazy loading), "write to the database, then to the cache" (write-through) or "write to the
//! database, then delete the key from the cache" (invalidate on write), with TTL and LRU
//! eviction, so the hit ratio comes from key popularity. Stale reads are measured: a hit on
//! an entry filled before the key's last write (a fill that read the database before a write
//! it is answered after counts as fresh: the race of cache-aside is not modelled).
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
//! fails over to its replica in about 30 s (aws-facts §6); until the failover repoints the
//! primary endpoint it names the lost primary, so each request pays the connection error or
//! timeout too, then reads the database. Clients that cache the endpoint's address for longer
//! meet the old primary for `reconnect` after the promotion (AWS documents no figure: 0 by
//! default).
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
use kind::{BYPASSED, CONNECTION_ERRORS, HIT_RATIO, MISSES, REQUESTS, STALE_READS};

use super::lru::{Full, PolicyLru};
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token, DOWNSTREAM_TIMEOUT};
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, MetricSet};
use crate::status;
use rand::Rng;
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
    /// The replica has taken over: the cache serves again.
    FailoverDone(u32),
    /// A replacement for `node` is in service, empty.
    Replaced { node: usize, epoch: u32 },
    /// Redis Multi-AZ: the replacement replica has synced and can be promoted.
    ReplicaReady(u32),
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::FailoverDone(epoch) => pack(0, u64::from(epoch)),
            Timer::Replaced { node, epoch } => pack(1, u64::from(epoch) << 8 | node as u64),
            Timer::ReplicaReady(epoch) => pack(2, u64::from(epoch)),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        let epoch = |e: u64| u32::try_from(e).ok();
        match unpack(token) {
            (0, e) => epoch(e).map(Timer::FailoverDone),
            (1, e) => epoch(e >> 8).map(|epoch| Timer::Replaced {
                node: (e & 0xFF) as usize,
                epoch,
            }),
            (2, e) => epoch(e).map(Timer::ReplicaReady),
            _ => None,
        }
    }
}

/// The faults particular to a cache (`[[fault]] kind = "cache_node_failure"`), told to it as
/// `Input::Fault { code }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// `count` nodes are lost: a Memcached node (or Redis without a replica) is unreachable
    /// until replaced, empty; Redis Multi-AZ fails over.
    NodeFailure { count: u32 },
    /// The cache's zone is out (on) or back (off): its node is lost as in `NodeFailure`, and a
    /// node without a replica is not replaced before the zone is back.
    ZoneOutage,
}

impl Token for Fault {
    fn encode(self) -> u64 {
        match self {
            Fault::NodeFailure { count } => pack(0, u64::from(count)),
            Fault::ZoneOutage => pack(1, 0),
        }
    }

    fn decode(token: u64) -> Option<Fault> {
        match unpack(token) {
            (0, count) if count > 0 => u32::try_from(count)
                .ok()
                .map(|count| Fault::NodeFailure { count }),
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
    /// Redis Multi-AZ is promoting its replica. The primary endpoint still names the lost
    /// primary until the promotion repoints it: each request finds out by a connection error
    /// or timeout, as on an unreachable node, but the data is kept.
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
    /// Its client had not yet reconnected after a failover (`reconnect`): whatever the node
    /// does meanwhile, the request's set goes to the old primary too.
    stale_client: bool,
}

/// One node of the cluster: the entries of the keys that hash to it, and whether it answers.
struct Shard {
    entries: PolicyLru<u64, Entry>,
    /// Whether the node serves; when not, requests for its keys go to the database.
    node: Node,
    /// Its replacement time has passed while its zone was out: it comes back with the zone.
    replacement_due: bool,
    /// Moves on at each failure of the node: recovery timers of an earlier epoch are stale.
    epoch: u32,
}

/// The node a request's set or delete meets, its key's node being `node`: a client that
/// still names the old primary meets it again; any other meets the node as it is now.
fn met(node: Node, p: &Pending) -> Node {
    match node {
        Node::Up if p.stale_client => Node::FailingOver,
        node => node,
    }
}

/// The node a key lives on, of `nodes`. aws-facts: §6 node failure/replacement: a Memcached
/// client spreads keys over the cluster's nodes by hashing them, so a lost node holds about
/// 1/N of them (AWS's FaultTolerance page: with 10 nodes a node failure loses about 10 % of
/// the cache). The hash is SplitMix64's finaliser, a fixed bijection: the same key is on the
/// same node in every run. The client keeps a lost node in its list (ElastiCache replaces it
/// under the same DNS name), so keys never move to another node.
fn node_of(key: u64, nodes: usize) -> usize {
    let z = crate::kernel::mix(key.wrapping_add(0x9E37_79B9_7F4A_7C15));
    // Lemire's multiply-shift: the hash's 64 bits mapped evenly onto 0..nodes.
    ((u128::from(z) * nodes as u128) >> 64) as usize
}

/// A running cache: its entries, its node's state and the calls to its backend.
pub struct Cache {
    cfg: CacheConfig,
    clock: Clock,
    rng: SimRng,
    backend: Edge,
    /// The nodes that hold the keys, each its share (Memcached); Redis has one (its primary).
    nodes: Vec<Shard>,
    /// Whether the cache's zone is out: a node without a replica cannot be replaced there.
    zone_out: bool,
    /// Redis Multi-AZ: a replica is in sync and can be promoted.
    replica_ready: bool,
    /// Redis Multi-AZ: the replacement replica's time has passed while its zone was out: it is
    /// ready when the zone is back.
    replica_due: bool,
    /// Redis Multi-AZ: the primary is in the cache's zone (`az`), the replica in another; each
    /// failover swaps them.
    primary_home: bool,
    /// Redis Multi-AZ: when the last failover ended, for the clients' `reconnect` after it.
    promoted_at: Option<SimTime>,
    pending: Slab<Pending>,
    // Recorders.
    requests: Counter,
    hits: Counter,
    misses: Counter,
    stale: Counter,
    bypassed: Counter,
    connection_errors: Counter,
    evictions: u64,
    /// Keys deleted after a write (`Strategy::InvalidateOnWrite`).
    invalidations: u64,
    expired: u64,
    refused_sets: u64,
    statuses: Counts<u16>,
    latency: Durations,
    events: EventLog,
}

impl Cache {
    /// Builds it for one run, empty.
    pub fn new(cfg: CacheConfig, env: BuildEnv) -> Cache {
        let clock = env.clock;
        Cache {
            nodes: (0..cfg.nodes)
                .map(|_| Shard {
                    entries: PolicyLru::new(cfg.capacity, cfg.eviction),
                    node: Node::Up,
                    replacement_due: false,
                    epoch: 0,
                })
                .collect(),
            zone_out: false,
            replica_ready: cfg.multi_az,
            replica_due: false,
            primary_home: true,
            promoted_at: None,
            pending: Slab::new(),
            requests: Counter::new(&clock),
            hits: Counter::new(&clock),
            misses: Counter::new(&clock),
            stale: Counter::new(&clock),
            bypassed: Counter::new(&clock),
            connection_errors: Counter::new(&clock),
            evictions: 0,
            invalidations: 0,
            expired: 0,
            refused_sets: 0,
            statuses: Counts::default(),
            latency: Durations::default(),
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
        let n = node_of(msg.key, self.cfg.nodes);
        let node = self.reached(now, n);
        let shard = &mut self.nodes[n];
        if !write && node == Node::Up {
            let (hit, expired) = match shard.entries.get(&msg.key) {
                Some(e) if e.expires > now => (Some(e.stale), false),
                Some(_) => (None, true),
                None => (None, false),
            };
            // Redis deletes an expired key when it is accessed (see EXPIRY_SAMPLE).
            if expired {
                shard.entries.remove(&msg.key);
                self.expired += u64::from(measured);
            }
            if let Some(stale) = hit {
                self.hits.add(&self.clock, now, measured);
                if stale {
                    self.stale.add(&self.clock, now, measured);
                }
                // Answered when the get's round trip is over: decided now, as a database's
                // read is when it arrives (`reply_after`), with no event in between.
                self.finish_request(ctx, call, now, status::OK, get);
                return;
            }
            self.misses.add(&self.clock, now, measured);
        }
        if node != Node::Up {
            self.bypassed.add(&self.clock, now, measured);
        }
        // To the database: after the failed get (a miss), after the get's connection error or
        // timeout (a node unreachable or failing over), or straight away (a write). aws-facts
        // §6: a lazy-loading miss is three trips, a write-through write two; a lost node costs
        // connection errors or client timeouts, and so does the lost primary that the primary
        // endpoint names until a failover repoints it.
        let before = match (node, write) {
            (Node::Up, false) => get,
            (Node::Unreachable | Node::FailingOver, false) => {
                self.connection_errors.add(&self.clock, now, measured);
                self.cfg.connect_timeout
            }
            _ => SimTime::ZERO,
        };
        if before > SimTime::ZERO {
            let label = if node == Node::Up {
                "get (a miss)"
            } else {
                "connect (failed)"
            };
            ctx.own_span(msg.span, label, now, now + before);
        }
        let fill = node == Node::Up;
        let idx = self.pending.insert(Pending {
            call,
            msg,
            arrived: now,
            write,
            fill,
            stale_client: node != shard.node,
        });
        self.backend
            .call_after(ctx, &mut self.rng, msg, idx as u64, before);
    }

    /// What a request for node `n` meets now. Just after a failover some clients have not
    /// yet re-resolved the primary endpoint and reconnected (`reconnect`): a request is one of
    /// theirs with a share falling linearly from 1 to 0 over it (their DNS caches expiring
    /// uniformly), and meets the lost primary as during the failover. A replaced node keeps
    /// its DNS name and IP address (ClientConfig.DNS.html, VPC installations): no such tail.
    fn reached(&mut self, now: SimTime, n: usize) -> Node {
        let node = self.nodes[n].node;
        match self.promoted_at {
            Some(at) if node == Node::Up && now < at + self.cfg.reconnect => {
                let stale = 1.0 - (now - at).as_secs_f64() / self.cfg.reconnect.as_secs_f64();
                if self.rng.random::<f64>() < stale {
                    Node::FailingOver
                } else {
                    Node::Up
                }
            }
            _ => node,
        }
    }

    /// Answers `call`, which arrived at `arrived`, `extra` from now.
    fn finish_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        call: CallId,
        arrived: SimTime,
        status: u16,
        extra: SimTime,
    ) {
        let done = ctx.now() + extra;
        let measured = self.clock.measured(arrived);
        self.statuses.add(status, measured);
        if status::is_success(status) {
            self.latency.record(done - arrived, measured);
        }
        ctx.reply_after(call, status, extra);
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
                let shard = &mut self.nodes[node_of(p.msg.key, self.cfg.nodes)];
                if let Some(e) = shard.entries.peek_mut(&p.msg.key) {
                    e.stale |= now > e.filled;
                }
            }
            let set = !p.write || self.cfg.strategy == Strategy::WriteThrough;
            if p.write && self.cfg.strategy == Strategy::InvalidateOnWrite {
                let label;
                (extra, label) = self.invalidate(now, &p);
                if extra > SimTime::ZERO {
                    ctx.own_span(p.msg.span, label, now, now + extra);
                }
            } else if set {
                let label;
                (extra, label) = self.set(now, &p);
                if extra > SimTime::ZERO {
                    ctx.own_span(p.msg.span, label, now, now + extra);
                }
            }
        }
        self.finish_request(ctx, p.call, p.arrived, status, extra);
    }

    /// The application sets the key the backend has just answered for; returns the time the
    /// set takes, and what it went to (for the request's trace). An entry is written with a TTL when the cache has one, and so may be evicted
    /// under volatile-lru. Whatever the set's fate, the application answers with the backend's
    /// answer: a refused set (Redis's OOM error) or a lost node only leave the key uncached.
    fn set(&mut self, now: SimTime, p: &Pending) -> (SimTime, &'static str) {
        let measured = self.clock.measured(now);
        let shard = &mut self.nodes[node_of(p.msg.key, self.cfg.nodes)];
        match met(shard.node, p) {
            // A read fills the node it found up; a write-through write sets the key on the
            // node as it now is (a write that came during a failover and is answered after the
            // promotion reaches the new primary).
            Node::Up if p.fill || p.write => {
                let entry = Entry {
                    expires: self.cfg.ttl.map_or(SimTime::MAX, |t| now + t),
                    filled: now,
                    stale: false,
                };
                // A new key in a full cache: expired entries make room before any is evicted.
                let key = p.msg.key;
                if shard.entries.len() >= self.cfg.capacity && !shard.entries.contains(&key) {
                    let gone = shard
                        .entries
                        .remove_expired(EXPIRY_SAMPLE, |e| e.expires <= now);
                    for _ in 0..gone {
                        self.expired += u64::from(measured);
                    }
                }
                match shard.entries.put(p.msg.key, entry, self.cfg.ttl.is_some()) {
                    Ok(true) => self.evictions += u64::from(measured),
                    Ok(false) => {}
                    // aws-facts: §6 eviction default: nothing may be evicted, so Redis answers
                    // "OOM command not allowed"; reads still hit. That error reply stands for
                    // a 503 (a store that refuses writes), but the application does not pass
                    // it on: the backend has answered, so its answer goes back, uncached.
                    Err(Full) => self.refused_sets += u64::from(measured),
                }
                // The set is one more trip before the application answers.
                (self.cfg.latency.sample_time(&mut self.rng), "set")
            }
            // A write-through write (or a read that found the node up) tries to set the key on
            // a node lost (or failing over) since, or on the old primary its client still
            // names: it pays the connection error or timeout.
            Node::Unreachable | Node::FailingOver if p.fill || p.write => {
                self.connection_errors.add(&self.clock, now, measured);
                (self.cfg.connect_timeout, "set: connect (failed)")
            }
            _ => (SimTime::ZERO, ""),
        }
    }

    /// The application deletes the key the backend has just written (DEL, Memcached's
    /// delete): one more trip before it answers, after which the key is read afresh from the
    /// backend. Returns the trip's time and what it went to (for the request's trace). A node
    /// lost or failing over, or the old primary a client still names, costs the connection
    /// error or timeout instead, and the key is not deleted (a failed-over Redis's new primary
    /// holds what the replica had; a replaced node starts empty).
    fn invalidate(&mut self, now: SimTime, p: &Pending) -> (SimTime, &'static str) {
        let measured = self.clock.measured(now);
        let shard = &mut self.nodes[node_of(p.msg.key, self.cfg.nodes)];
        match met(shard.node, p) {
            Node::Up => {
                shard.entries.remove(&p.msg.key);
                self.invalidations += u64::from(measured);
                (self.cfg.latency.sample_time(&mut self.rng), "delete")
            }
            Node::Unreachable | Node::FailingOver => {
                self.connection_errors.add(&self.clock, now, measured);
                (self.cfg.connect_timeout, "delete: connect (failed)")
            }
        }
    }

    /// `count` nodes are lost: Memcached's first that are up, or Redis's primary (its only
    /// node without a replica). aws-facts: §6 engines, node failure/replacement; AWS's
    /// "Failure scenarios with Multi-AZ responses" (AutoFailover.html).
    fn node_failure(&mut self, ctx: &mut Ctx<'_>, count: usize) {
        if self.cfg.engine == Engine::Memcached {
            let up: Vec<usize> = (0..self.nodes.len())
                .filter(|&n| self.nodes[n].node == Node::Up)
                .take(count)
                .collect();
            for n in up {
                self.node_lost(ctx, n, "");
            }
            return;
        }
        match self.nodes[0].node {
            // Lost already: its replacement is under way.
            Node::Unreachable => {}
            // The replica being promoted was the only node left.
            Node::FailingOver => self.node_lost(ctx, 0, "the replica being promoted is lost too"),
            Node::Up if self.cfg.multi_az && self.replica_ready => self.fail_over(ctx),
            Node::Up if self.cfg.multi_az => self.node_lost(
                ctx,
                0,
                "the primary is lost with no replica in sync to promote",
            ),
            Node::Up => self.node_lost(ctx, 0, ""),
        }
    }

    /// Redis Multi-AZ: the replica is promoted (data kept) after the failover time; meanwhile
    /// the application reads the database. The replica is the primary now, and none is in
    /// sync until the replacement has synced.
    fn fail_over(&mut self, ctx: &mut Ctx<'_>) {
        let primary = &mut self.nodes[0];
        primary.epoch = primary.epoch.wrapping_add(1);
        primary.node = Node::FailingOver;
        let epoch = primary.epoch;
        self.replica_ready = false;
        self.events.push(
            ctx.now(),
            "failover_start",
            "promoting the replica".to_string(),
        );
        ctx.schedule(self.cfg.failover, Timer::FailoverDone(epoch).encode());
    }

    /// The promoted replica serves. ElastiCache launches a replacement replica in the failed
    /// primary's zone, and it syncs with the new primary: this model gives that `replacement`
    /// (AWS gives no figure).
    fn failover_done(&mut self, ctx: &mut Ctx<'_>) {
        self.nodes[0].node = Node::Up;
        self.primary_home = !self.primary_home;
        self.promoted_at = Some(ctx.now());
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
                Timer::ReplicaReady(self.nodes[0].epoch).encode(),
            );
        }
    }

    /// Node `n` and its keys are lost: without a replica the node is unreachable until
    /// replaced and its replacement starts empty; with Multi-AZ but no replica in sync it is
    /// AWS's "entire cluster fails": every node is recreated, the data lost.
    fn node_lost(&mut self, ctx: &mut Ctx<'_>, n: usize, why: &str) {
        let now = ctx.now();
        let shard = &mut self.nodes[n];
        if shard.node == Node::FailingOver {
            self.events.push(now, "failover_failed", why.to_string());
        }
        shard.epoch = shard.epoch.wrapping_add(1);
        let lost = shard.entries.len();
        shard.entries.clear();
        shard.node = Node::Unreachable;
        let epoch = shard.epoch;
        self.replica_ready = false;
        self.replica_due = false;
        // Recreated under the same names: no client is left on an old address.
        self.promoted_at = None;
        let detail = if self.cfg.multi_az {
            format!("{why}: every node is recreated, {lost} entries lost")
        } else if self.cfg.nodes > 1 {
            format!("node {} of {}: {lost} entries lost", n + 1, self.cfg.nodes)
        } else {
            format!("{lost} entries lost")
        };
        self.events.push(now, "node_lost", detail);
        ctx.schedule(
            self.cfg.replacement,
            Timer::Replaced { node: n, epoch }.encode(),
        );
    }

    /// Whether the zone that is out holds the primary (or the nodes without replicas).
    fn primary_zone_out(&self) -> bool {
        self.zone_out && self.primary_home
    }

    /// Whether the zone that is out holds the replica (Redis Multi-AZ).
    fn replica_zone_out(&self) -> bool {
        self.zone_out && !self.primary_home
    }

    /// The cache's zone goes out (`on`) or comes back. aws-facts: §6 engines: Multi-AZ with
    /// automatic failover promotes the replica in another zone, as for a lost node; without a
    /// replica the node is lost with its keys (every Memcached node: they are all in `az`). A
    /// choice, AWS documents no figure: a replacement comes `replacement` after the loss, and
    /// not before the zone is back, since a cluster without replicas has its nodes there.
    fn zone_outage(&mut self, ctx: &mut Ctx<'_>, on: bool) {
        self.zone_out = on;
        if !on {
            for n in 0..self.nodes.len() {
                if self.nodes[n].replacement_due {
                    self.node_replaced(ctx.now(), n);
                }
            }
            if self.replica_due {
                self.replica_synced(ctx.now());
            }
            return;
        }
        if !self.cfg.multi_az {
            self.node_failure(ctx, self.nodes.len());
            return;
        }
        match self.nodes[0].node {
            Node::Unreachable => {}
            // The primary that failed was in this zone: the replica being promoted is not.
            Node::FailingOver if self.primary_home => {}
            // The replica being promoted is.
            Node::FailingOver => self.node_lost(ctx, 0, "the replica being promoted is lost too"),
            Node::Up if self.primary_home => self.node_failure(ctx, 1),
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

    /// The replacement of lost node `n` is ready: it serves, empty, unless its zone is still
    /// out. With Multi-AZ every node was recreated: the replica too.
    fn node_replaced(&mut self, now: SimTime, n: usize) {
        if self.primary_zone_out() {
            self.nodes[n].replacement_due = true;
            return;
        }
        let shard = &mut self.nodes[n];
        shard.replacement_due = false;
        shard.node = Node::Up;
        let detail = if self.cfg.nodes > 1 {
            format!("node {} of {}, empty", n + 1, self.cfg.nodes)
        } else {
            String::new()
        };
        self.events.push(now, "node_replaced", detail);
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
                Some(Timer::FailoverDone(e)) if e == self.nodes[0].epoch => self.failover_done(ctx),
                Some(Timer::Replaced { node, epoch })
                    if self.nodes.get(node).is_some_and(|s| s.epoch == epoch) =>
                {
                    self.node_replaced(ctx.now(), node)
                }
                Some(Timer::ReplicaReady(e)) if e == self.nodes[0].epoch => {
                    self.replica_synced(ctx.now())
                }
                // Stale: a later failure overtook the recovery it would end.
                Some(_) | None => {}
            },
            Input::Reply(r) => self.backend_replied(ctx, r.tag as usize, r.outcome),
            // A node failure happens at an instant; nothing ends it but its own recovery. A
            // zone's outage lasts, and its end may let a lost node be replaced.
            Input::Fault { code, on } => match Fault::decode(u64::from(code)) {
                Some(Fault::NodeFailure { count }) if on => self.node_failure(ctx, count as usize),
                Some(Fault::ZoneOutage) => self.zone_outage(ctx, on),
                _ => {}
            },
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        let mut m = MetricSet::default();
        let (h, mi) = (self.hits.total(), self.misses.total());
        m.count("requests", self.requests.total());
        m.count("hits", h);
        m.count("misses", mi);
        m.count("stale_reads", self.stale.total());
        m.count("bypassed", self.bypassed.total());
        m.count("connection_errors", self.connection_errors.total());
        m.count("evictions", self.evictions);
        if self.cfg.strategy == Strategy::InvalidateOnWrite {
            m.count("invalidations", self.invalidations);
        }
        m.count("expired", self.expired);
        m.count("refused_sets", self.refused_sets);
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        // CloudWatch's CacheHitRate (Redis) and GetHits / CmdGet (Memcached) count the
        // lookups a node served: writes and the reads that never reached a node (`bypassed`)
        // are in neither term (CacheMetrics.Redis.html, CacheMetrics.Memcached.html).
        m.gauge("hit_ratio", h as f64 / (h + mi).max(1) as f64);
        m.gauge(
            "stale_read_fraction",
            self.stale.total() as f64 / h.max(1) as f64,
        );
        // Multi-AZ Redis pays its replica too; Memcached each node.
        let nodes = if self.cfg.multi_az {
            2.0
        } else {
            self.cfg.nodes as f64
        };
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
            (&BYPASSED, self.bypassed.rate_series(c)),
            (&CONNECTION_ERRORS, self.connection_errors.rate_series(c)),
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
    use super::{node_of, Fault, Timer, Token};
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    #[test]
    fn keys_spread_evenly_over_the_nodes() {
        // Workloads draw keys 0..count: consecutive keys must not pile onto a node. 60,000
        // keys over n nodes: each node's count is binomial(60,000, 1/n); within five of its
        // standard deviations (122 keys at n = 2, 31 at n = 60) on every node.
        for n in [1, 2, 3, 4, 7, 60] {
            let mut count = vec![0usize; n];
            for key in 0..60_000u64 {
                count[node_of(key, n)] += 1;
            }
            let p = 1.0 / n as f64;
            let share = 60_000.0 * p;
            let margin = 5.0 * (60_000.0 * p * (1.0 - p)).sqrt();
            assert!(
                count.iter().all(|&c| (c as f64 - share).abs() <= margin),
                "{n} nodes: {count:?}, each within {margin:.0} of {share:.0}"
            );
        }
    }

    fn timer() -> impl Strategy<Value = Timer> {
        prop_oneof![
            any::<u32>().prop_map(Timer::FailoverDone),
            (0usize..256, any::<u32>()).prop_map(|(node, epoch)| Timer::Replaced { node, epoch }),
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
        fn faults_survive_the_kernel(f in prop_oneof![
            (1u32..=super::config::MAX_NODES as u32).prop_map(|count| Fault::NodeFailure { count }),
            Just(Fault::ZoneOutage),
        ]) {
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
