//! Amazon ElastiCache (Redis OSS / Valkey or Memcached) used cache-aside in front of a
//! database: the application logic of "look in the cache, else read the database and fill"
//! (lazy loading) or "write to the database, then to the cache" (write-through), with TTL and
//! LRU eviction, so the hit ratio comes from key popularity. Stale reads are measured: a hit
//! on an entry filled before the key's last write.
//!
//! A node failure (fault `cache_node_failure`): Memcached loses its data, and the empty cache
//! sends a storm of misses to the database; Redis with Multi-AZ fails over to its replica in
//! about 30 s (aws-facts §6), during which the application goes straight to the database.

mod config;
mod kind;

pub use config::{parse, CacheConfig, Engine, Strategy};
use kind::{HIT_RATIO, MISSES, REQUESTS, STALE_READS};

use super::lru::Lru;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token, DOWNSTREAM_TIMEOUT};
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, MetricSet, WindowedCounts};
use crate::status;
use slab::Slab;
use std::collections::HashMap;

/// What a cache's timers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A hit's round trip is over: answer the pending request.
    AnswerHit(usize),
    /// The replica has taken over: the cache serves again.
    FailoverDone,
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::AnswerHit(pending) => pack(0, pending as u64),
            Timer::FailoverDone => pack(1, 0),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, pending) => Some(Timer::AnswerHit(pending as usize)),
            (1, 0) => Some(Timer::FailoverDone),
            _ => None,
        }
    }
}

/// The faults particular to a cache (`[[fault]] kind = "cache_node_failure"`), told to it as
/// `Input::Fault { code }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// A node is lost: Memcached (or Redis without a replica) loses its entries; Redis
    /// Multi-AZ fails over.
    NodeFailure,
}

impl Token for Fault {
    fn encode(self) -> u64 {
        match self {
            Fault::NodeFailure => pack(0, 0),
        }
    }

    fn decode(token: u64) -> Option<Fault> {
        match unpack(token) {
            (0, 0) => Some(Fault::NodeFailure),
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

/// A running cache: its entries, its node's state and the calls to its backend.
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

impl Cache {
    /// Builds it for one run, empty.
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
                ctx.schedule(get, Timer::AnswerHit(idx).encode());
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

    /// A node is lost.
    fn node_failure(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
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
                ctx.schedule(self.cfg.failover, Timer::FailoverDone.encode());
            }
        }
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
                Some(Timer::FailoverDone) => {
                    self.down = false;
                    self.events.push(ctx.now(), "failover_done", String::new());
                }
                None => {}
            },
            Input::Reply(r) => self.backend_replied(ctx, r.tag as usize, r.outcome),
            // A node failure happens at an instant; nothing ends it but its own recovery.
            Input::Fault { code, on: true } => {
                if let Some(Fault::NodeFailure) = Fault::decode(u64::from(code)) {
                    self.node_failure(ctx);
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

#[cfg(test)]
mod tests {
    use super::{Fault, Timer, Token};
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    fn timer() -> impl Strategy<Value = Timer> {
        prop_oneof![
            (0usize..(1 << 40)).prop_map(Timer::AnswerHit),
            Just(Timer::FailoverDone),
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
        fn faults_survive_the_kernel(f in Just(Fault::NodeFailure)) {
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
