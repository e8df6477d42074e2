//! Amazon Route 53 as the clients of a name see it: DNS records with simple, weighted,
//! failover or latency routing to other components, health checks of the records' targets,
//! and answers cached by resolvers and clients for the record's TTL (aws-facts §10).
//!
//! A request comes from one of `clients` DNS clients (chosen from its key and API key, so a
//! retry comes from the same client). A client with an answer in its cache sends the request
//! straight to that answer's target. Otherwise it looks the name up: its resolver (one of
//! `resolvers`, shared by a block of clients; each starts the run with an answer of a random
//! age, the name having been in use before) answers from its own cache while the answer's TTL
//! lasts, else asks Route 53 (a query, billed), which picks a record by the routing policy
//! and the records' health as its checkers last saw it. The client keeps the answer as long
//! as the resolver does (what is left of the TTL), so every client follows a change within
//! one TTL of Route 53 seeing it. A share of clients (`ignore_ttl`) keeps its first answer
//! for `ignored_ttl_cache` instead, by default for the whole run: the JVM's address cache
//! with a security manager (java.security's `networkaddress.cache.ttl`, "cache forever";
//! 30 s without one; the AWS SDK for Java's guide, "Set the JVM TTL for DNS name lookups",
//! warns that some configurations never refresh). A lookup costs the client
//! `resolver_latency`, and `query_latency` more when the resolver asks Route 53.
//!
//! Health checks (aws-facts §10): `checkers` checkers (about 15) each probe every checked
//! record's target every `interval` (30 s or 10 s), staggered over the interval; a probe is
//! a request down the target's whole path that must answer 2xx or 3xx within 4 s to connect
//! plus 2 s to answer (the simulation has no connection phase: 6 s in all). A checker changes
//! its view after `failure_threshold` results in a row that disagree with it; Route 53 takes
//! the target as healthy while more than 18 % of checkers do. Detection after a target fails
//! thus takes about interval × threshold, plus up to one interval and the probe's timeout.
//!
//! DNS is no hop: a request sent on reaches its target over the workload's own latency (plus
//! the cross-region latency each way when latency routing sends a client to a target outside
//! its region). Its parts: `config.rs` (its table), `kind.rs` (what it declares), `routing.rs`
//! (which record answers), `prices.rs` (its cost).

mod config;
mod kind;
mod prices;
mod routing;

pub use config::{HealthCheck, Record, Role, Route53Config, Routing};

use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token, PROBE_DEEP};
use crate::dist::Dist;
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, Level, MetricSet};
use crate::status;
use kind::{HEALTHY, LOOKUPS, QUERIES, RECORD_HEALTHY, RECORD_UNHEALTHY, REQUESTS, SHARES};
use rand::Rng;
use slab::Slab;

/// aws-facts: §10 health checks: HTTP connects within 4 s, then answers within 2 s.
const CHECK_TIMEOUT: SimTime = SimTime::from_secs(6);
/// aws-facts: §10 health checks: healthy while more than 18 % of checkers say so
/// [percent].
const HEALTHY_CHECKERS_PERCENT: u32 = 18;
/// Checkers per record a timer or reply tag can name (`limits::MAX_HEALTH_CHECKERS`).
const CHECKER_SLOTS: u64 = 64;

/// What a timer is for: a checker's next probe of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Check {
    record: usize,
    checker: usize,
}

impl Check {
    fn index(self) -> u64 {
        self.record as u64 * CHECKER_SLOTS + self.checker as u64
    }

    fn of(index: u64) -> Check {
        Check {
            record: (index / CHECKER_SLOTS) as usize,
            checker: (index % CHECKER_SLOTS) as usize,
        }
    }
}

impl Token for Check {
    fn encode(self) -> u64 {
        pack(0, self.index())
    }

    fn decode(token: u64) -> Option<Check> {
        match unpack(token) {
            (0, i) => Some(Check::of(i)),
            _ => None,
        }
    }
}

/// What a reply answers: a request sent on (by its index in `pending`) or a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reply {
    Request(usize),
    Probe(Check),
}

impl Token for Reply {
    fn encode(self) -> u64 {
        match self {
            Reply::Request(p) => pack(0, p as u64),
            Reply::Probe(c) => pack(1, c.index()),
        }
    }

    fn decode(token: u64) -> Option<Reply> {
        match unpack(token) {
            (0, p) => Some(Reply::Request(p as usize)),
            (1, i) => Some(Reply::Probe(Check::of(i))),
            _ => None,
        }
    }
}

/// An answer in a cache: its record, until when (`SimTime::ZERO`: nothing cached).
#[derive(Clone, Copy, Debug, Default)]
struct Cached {
    record: u8,
    expires: SimTime,
}

/// One checker's view of one record.
#[derive(Clone, Copy, Debug)]
struct Checker {
    healthy: bool,
    /// Results in a row that disagree with `healthy`.
    streak: u32,
}

/// A request sent on to a record's target, waiting for its answer.
struct Pending {
    call: CallId,
    arrived: SimTime,
}

/// What Route 53 has sent to one record's target, and how it has seen it.
struct RecordState {
    healthy: bool,
    checkers: Vec<Checker>,
    sent: Counter,
    unhealthy: Level,
    /// Requests sent to it in the measured period.
    measured: u64,
    /// When a client that respects the TTL last sent it a request; and one that ignores it.
    last_sent: Option<SimTime>,
    last_sent_ignoring: Option<SimTime>,
    /// When Route 53 first saw it unhealthy.
    unhealthy_at: Option<SimTime>,
    /// The region of its target, for latency routing.
    region: String,
}

/// A running Route 53 name: records, health checks, and the caches of resolvers and clients.
pub struct Route53 {
    cfg: Route53Config,
    clock: Clock,
    rng: SimRng,
    edges: Vec<Edge>,
    cross_region: Dist,
    records: Vec<RecordState>,
    clients: Vec<Cached>,
    resolvers: Vec<Cached>,
    /// Clients below this index ignore the TTL.
    ignoring: usize,
    /// Each client region's upper bound on the client index scale [0–1], for latency routing.
    region_bounds: Vec<f64>,
    pending: Slab<Pending>,
    requests: Counter,
    lookups: Counter,
    queries: Counter,
    /// Queries of records that are not aliases: the billed ones.
    billed_queries: u64,
    health_changes: u64,
    statuses: Counts<u16>,
    latency: Durations,
    events: EventLog,
}

impl Route53 {
    /// Builds it for one run.
    pub fn new(cfg: Route53Config, env: BuildEnv) -> Route53 {
        let clock = env.clock;
        let records = cfg
            .records
            .iter()
            .zip(&env.edge_regions)
            .map(|(_, region)| RecordState {
                healthy: true,
                checkers: vec![
                    Checker {
                        healthy: true,
                        streak: 0
                    };
                    cfg.health.checkers as usize
                ],
                sent: Counter::new(&clock),
                unhealthy: Level::new(&clock),
                measured: 0,
                last_sent: None,
                last_sent_ignoring: None,
                unhealthy_at: None,
                region: region.clone(),
            })
            .collect();
        let total: f64 = cfg.client_regions.iter().map(|(_, w)| w).sum();
        let mut acc = 0.0;
        let region_bounds = cfg
            .client_regions
            .iter()
            .map(|(_, w)| {
                acc += w / total;
                acc
            })
            .collect();
        Route53 {
            clients: vec![Cached::default(); cfg.clients as usize],
            resolvers: vec![Cached::default(); cfg.resolvers as usize],
            ignoring: (cfg.ignore_ttl * f64::from(cfg.clients)).round() as usize,
            region_bounds,
            records,
            edges: env.edges,
            cross_region: env.network.cross_region,
            pending: Slab::new(),
            requests: Counter::new(&clock),
            lookups: Counter::new(&clock),
            queries: Counter::new(&clock),
            billed_queries: 0,
            health_changes: 0,
            statuses: Counts::default(),
            latency: Durations::default(),
            events: EventLog::new(&env.name),
            rng: env.rng,
            cfg,
            clock,
        }
    }

    /// The client a request comes from: a mix of its key and API key, so that every attempt
    /// of a request, and every request of a key, comes from one client (a choice).
    fn client_of(&self, msg: &Msg) -> usize {
        let x = msg.key ^ (u64::from(msg.client) << 40) ^ 0x9e37_79b9_7f4a_7c15;
        // Neighbouring keys land on unrelated clients.
        (crate::kernel::mix(x) % self.clients.len() as u64) as usize
    }

    /// The resolver client `c` uses: clients in blocks, so that a resolver's clients are
    /// neighbours, of one region when regions are set.
    fn resolver_of(&self, c: usize) -> usize {
        c * self.resolvers.len() / self.clients.len()
    }

    /// The region of client `c` (latency routing): the client regions' shares split the
    /// clients in order.
    fn region_of(&self, c: usize) -> Option<&str> {
        let at = (c as f64 + 0.5) / self.clients.len() as f64;
        let i = self
            .region_bounds
            .iter()
            .position(|b| at < *b)
            .unwrap_or(self.region_bounds.len().checked_sub(1)?);
        Some(self.cfg.client_regions[i].0.as_str())
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests.add(&self.clock, now, measured);
        let c = self.client_of(&msg);
        let ignoring = c < self.ignoring;
        let mut delay = SimTime::ZERO;
        let cached = self.clients[c];
        let record = if cached.expires > now {
            cached.record as usize
        } else {
            self.lookups.add(&self.clock, now, measured);
            delay += self.cfg.resolver_latency.sample_time(&mut self.rng);
            let r = self.resolver_of(c);
            let resolver = self.resolvers[r];
            let (record, expires) = if resolver.expires > now {
                (resolver.record as usize, resolver.expires)
            } else {
                self.queries.add(&self.clock, now, measured);
                delay += self.cfg.query_latency.sample_time(&mut self.rng);
                let region = self.region_of(c).map(str::to_string);
                let record = self.answer(region.as_deref());
                if measured && !self.cfg.records[record].alias {
                    self.billed_queries += 1;
                }
                let expires = now + self.cfg.records[record].ttl;
                self.resolvers[r] = Cached {
                    record: record as u8,
                    expires,
                };
                (record, expires)
            };
            // A client keeps the answer for what is left of its TTL at the resolver; one
            // that ignores the TTL keeps it for its own time.
            let expires = match (ignoring, self.cfg.ignored_ttl_cache) {
                (false, _) => expires,
                (true, Some(t)) => now + t,
                (true, None) => SimTime::MAX,
            };
            self.clients[c] = Cached {
                record: record as u8,
                expires,
            };
            record
        };
        let st = &mut self.records[record];
        st.sent.add(&self.clock, now, measured);
        st.measured += u64::from(measured);
        if ignoring {
            st.last_sent_ignoring = Some(now);
        } else {
            st.last_sent = Some(now);
        }
        let far = self
            .region_of(c)
            .is_some_and(|r| r != self.records[record].region);
        let edge = &self.edges[record];
        let mut timing = edge.timing(&mut self.rng, delay, edge.timeout);
        if far {
            // aws-facts: §13 latency: a client sent to another region crosses regions.
            timing.request_delay += self.cross_region.sample_time(&mut self.rng);
            timing.reply_delay += self.cross_region.sample_time(&mut self.rng);
        }
        let p = self.pending.insert(Pending { call, arrived: now });
        ctx.call(edge.to, msg, timing, Reply::Request(p).encode());
    }

    /// Relays a target's answer to the client.
    fn answered(&mut self, ctx: &mut Ctx<'_>, p: usize, outcome: Outcome) {
        let Pending { call, arrived } = self.pending.remove(p);
        let now = ctx.now();
        let measured = self.clock.measured(arrived);
        match outcome {
            Outcome::Status(s) => {
                self.statuses.add(s, measured);
                if status::is_success(s) {
                    self.latency.record(now - arrived, measured);
                }
                ctx.reply(call, s);
            }
            Outcome::Timeout => {
                // The client's connection to a target that never answered gives up: a
                // network error, not an HTTP status.
                self.statuses.add(status::CONNECTION_RESET, measured);
                ctx.reply(call, status::CONNECTION_RESET);
            }
            Outcome::Error => ctx.reply_error(call),
        }
    }

    /// A checker's probe of a record's target is due: send it, and set the next one.
    fn probe(&mut self, ctx: &mut Ctx<'_>, check: Check) {
        let edge = &self.edges[check.record];
        let timing = edge.timing(&mut self.rng, SimTime::ZERO, Some(CHECK_TIMEOUT));
        let msg = Msg::probe(PROBE_DEEP, ctx.now());
        ctx.call(edge.to, msg, timing, Reply::Probe(check).encode());
        // Checks stop with the arrivals, so that the run can end.
        if ctx.now() + self.cfg.health.interval < self.clock.end {
            ctx.schedule(self.cfg.health.interval, check.encode());
        }
    }

    /// A probe's result: the checker's view, then Route 53's.
    fn probed(&mut self, ctx: &mut Ctx<'_>, check: Check, outcome: Outcome) {
        // aws-facts: §10 health checks: HTTP 2xx or 3xx within the time allowed.
        let pass = matches!(outcome, Outcome::Status(s) if (200..400).contains(&s));
        let threshold = self.cfg.health.failure_threshold;
        let st = &mut self.records[check.record];
        let ch = &mut st.checkers[check.checker];
        if pass == ch.healthy {
            ch.streak = 0;
        } else {
            ch.streak += 1;
            if ch.streak >= threshold {
                ch.healthy = pass;
                ch.streak = 0;
            }
        }
        let up = st.checkers.iter().filter(|c| c.healthy).count() as u32;
        let healthy = up * 100 > HEALTHY_CHECKERS_PERCENT * st.checkers.len() as u32;
        if healthy != st.healthy {
            let now = ctx.now();
            st.healthy = healthy;
            st.unhealthy
                .set(&self.clock, now, if healthy { 0.0 } else { 1.0 });
            if !healthy && st.unhealthy_at.is_none() {
                st.unhealthy_at = Some(now);
            }
            self.health_changes += 1;
            let name = &self.cfg.records[check.record].name;
            let event = if healthy {
                RECORD_HEALTHY
            } else {
                RECORD_UNHEALTHY
            };
            self.events.push(now, event, name.clone());
        }
    }
}

impl Component for Route53 {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        // The name was in use before the run (a choice): each resolver holds an answer of
        // its own age, so that their caches expire at times spread over the TTL rather than
        // all together. These answers were queried before the run: not counted.
        for r in 0..self.resolvers.len() {
            let first = (r * self.clients.len()).div_ceil(self.resolvers.len());
            let region = self.region_of(first).map(str::to_string);
            let record = self.answer(region.as_deref());
            let ttl = self.cfg.records[record].ttl.0 as f64;
            let left: f64 = 1.0 - self.rng.random::<f64>();
            self.resolvers[r] = Cached {
                record: record as u8,
                expires: SimTime((ttl * left) as u64),
            };
        }
        if self.cfg.routing == Routing::Simple {
            return;
        }
        let interval = self.cfg.health.interval.0 as f64;
        let n = self.cfg.health.checkers as usize;
        for record in 0..self.cfg.records.len() {
            if !self.cfg.records[record].checked {
                continue;
            }
            // Checkers do not coordinate: each starts at its own place in the interval.
            for checker in 0..n {
                let u: f64 = self.rng.random();
                let at = SimTime((interval * (checker as f64 + u) / n as f64) as u64);
                ctx.schedule(at, Check { record, checker }.encode());
            }
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Call(call, msg) => self.request(ctx, call, msg),
            Input::Reply(r) => match Reply::decode(r.tag) {
                Some(Reply::Request(p)) => self.answered(ctx, p, r.outcome),
                Some(Reply::Probe(c)) => self.probed(ctx, c, r.outcome),
                None => {}
            },
            Input::Timer(tag) => {
                if let Some(c) = Check::decode(tag) {
                    self.probe(ctx, c);
                }
            }
            Input::Fault { .. } => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        let mut m = MetricSet::default();
        let requests = self.requests.total();
        m.count("requests", requests);
        m.count("lookups", self.lookups.total());
        m.count("queries", self.queries.total());
        m.count("health_changes", self.health_changes);
        let mut series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&LOOKUPS, self.lookups.rate_series(c)),
            (&QUERIES, self.queries.rate_series(c)),
        ];
        let all = self.requests.count_series();
        for (i, st) in self.records.iter_mut().enumerate() {
            st.unhealthy.finish(c);
            let name = &self.cfg.records[i].name;
            m.count(format!("to.{name}.requests"), st.measured);
            m.gauge(
                format!("to.{name}.share"),
                st.measured as f64 / requests.max(1) as f64,
            );
            m.gauge(
                format!("to.{name}.unhealthy_s"),
                st.unhealthy.mean(c) * c.measured_secs(),
            );
            let secs = |t: Option<SimTime>| t.map_or(-1.0, SimTime::as_secs_f64);
            m.gauge(format!("to.{name}.last_sent_s"), secs(st.last_sent));
            m.gauge(
                format!("to.{name}.last_sent_ignoring_s"),
                secs(st.last_sent_ignoring),
            );
            m.gauge(format!("to.{name}.unhealthy_at_s"), secs(st.unhealthy_at));
            let share = st.sent.fraction_of(&all);
            series.push((SHARES[i], share));
            if self.cfg.records[i].checked && self.cfg.routing != Routing::Simple {
                let healthy = st
                    .unhealthy
                    .mean_series(c)
                    .iter()
                    .map(|u| 1.0 - u)
                    .collect();
                series.push((HEALTHY[i], healthy));
            }
        }
        m.gauge(
            "cost_usd",
            prices::cost(&self.cfg, c.measured_secs(), self.billed_queries),
        );
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.hist("response_ms", &self.latency.summary());
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

    proptest! {
        #[test]
        fn tokens_round_trip(record in 0usize..4, checker in 0usize..64, p in 0usize..1_000_000) {
            let c = Check { record, checker };
            prop_assert_eq!(token_round_trip(c), Ok(()));
            prop_assert_eq!(token_round_trip(Reply::Probe(c)), Ok(()));
            prop_assert_eq!(token_round_trip(Reply::Request(p)), Ok(()));
        }
    }
}
