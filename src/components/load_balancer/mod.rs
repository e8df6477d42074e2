//! Elastic Load Balancing: application, network or classic, in front of a list of targets
//! (each a component: an instance, or a group standing for one). aws-facts §3.
//!
//! Clients reach one load-balancer node per zone of its targets, evenly; with cross-zone
//! balancing a node routes to every healthy target, without it only to those of its own zone.
//! Health checks probe every target each interval (the probes take the target's time like any
//! request): a target is marked unhealthy after `unhealthy_threshold` failures in a row and
//! healthy again after `healthy_threshold` successes, so a failed target keeps receiving
//! traffic until it is detected. A target slower than the idle timeout gives 504. With no
//! healthy target, an ALB or NLB fails open (routes to all) while a classic one answers 503.
//! The classic type queues requests for busy back-end connections (the surge queue, 1,024)
//! and answers the spillover with 503.
//!
//! A network load balancer works at layer 4 and has no HTTP status of its own: where an ALB
//! would answer 503 or 504 its clients see their connection reset (`status::CONNECTION_RESET`),
//! and when a target turns unhealthy it resets the connections that target holds. It checks
//! over TCP by default (a shallow probe, 10 s timeout) or HTTP (6 s), and its passive checks
//! take an instance whose connection failed (a failed instance of an Auto Scaling group) out
//! of rotation until an active check passes. aws-facts: §3 NLB.
//!
//! Without cross-zone balancing, a zone's node with no healthy target behind it is dropped
//! from DNS, but clients keep their cached answer: the share of clients still sent to it falls
//! linearly over `dns_ttl`, and those it still gets go to its own zone's targets (failing
//! open there; a classic load balancer answers 503).
//!
//! An outage of a zone it has a node in loses that node: clients resolve it until ELB takes it
//! out of DNS (`lost_node_detection`, at once by default: AWS does not say) and after that
//! while their cached answer lasts (a share falling linearly over `dns_ttl`), and their
//! requests get no answer, ending in their own timeout; the others enter at the nodes left.
//! Requests the lost node was already serving are not lost with it (a simplification). A
//! balancer whose targets are all in one zone has one node, which is not told: its targets
//! are gone with the zone, and it answers as it does with none healthy.
//!
//! Its parts: `config.rs` (its table), `kind.rs` (what it declares), `targets.rs` (the
//! targets, kept in line with an Auto Scaling group's registrations), `routing.rs` (which
//! target a request goes to), `health.rs` (the health checks), `prices.rs` (its cost).

mod config;
mod health;
mod kind;
mod least;
mod prices;
mod routing;
mod targets;

pub use config::{Algorithm, HealthCheck, LbConfig, LbType};
use kind::{HEALTHY_TARGETS, REQUESTS, SURGE_QUEUE};
use targets::Target;

use super::target_group::TargetGroup;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, Level, MetricSet};
use crate::status;
use rand::Rng;
use slab::Slab;
use std::collections::VecDeque;

/// aws-facts: §3 CLB surge queue: at most 1,024 requests wait for a back-end connection.
const SURGE_QUEUE_CAPACITY: usize = 1024;

/// Status with no target to route to, or the surge queue full (aws-facts: §3).
const NO_TARGET: u16 = status::SERVICE_UNAVAILABLE;
/// Status of a request whose target was slower than the idle timeout (aws-facts: §3).
const IDLE_TIMEOUT: u16 = status::GATEWAY_TIMEOUT;
/// aws-facts: §3 ALB 502: a target that resets the connection mid-request.
const TARGET_RESET: u16 = status::BAD_GATEWAY;
/// aws-facts: §3 CLB errors: 504 when the instance closed the connection.
const CLB_TARGET_CLOSED: u16 = status::GATEWAY_TIMEOUT;
/// aws-facts: §3 ALB 504: a target connection not established in 10 s.
const CONNECT_TIMEOUT: u16 = status::GATEWAY_TIMEOUT;

/// What a load balancer's timer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A round of health checks is due.
    HealthChecks,
    /// Every actor has started: the group's first instances are registered.
    Started,
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::HealthChecks => pack(0, 0),
            Timer::Started => pack(1, 0),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, 0) => Some(Timer::HealthChecks),
            (1, 0) => Some(Timer::Started),
            _ => None,
        }
    }
}

/// What a reply from a target answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reply {
    /// A request forwarded, by its index in `pending`.
    Request(usize),
    /// A health-check probe, by its target's index.
    Probe(usize),
}

impl Token for Reply {
    fn encode(self) -> u64 {
        match self {
            Reply::Request(p) => pack(0, p as u64),
            Reply::Probe(t) => pack(1, t as u64),
        }
    }

    fn decode(token: u64) -> Option<Reply> {
        match unpack(token) {
            (0, p) => Some(Reply::Request(p as usize)),
            (1, t) => Some(Reply::Probe(t as usize)),
            _ => None,
        }
    }
}

/// A request forwarded to a target, waiting for its answer.
struct Pending {
    call: CallId,
    arrived: SimTime,
    target: usize,
    /// Its client's connection was reset and answered: the target's reply goes nowhere.
    cut: bool,
}

/// A request in a classic load balancer's surge queue, waiting for a back-end connection.
struct Surging {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
    target: usize,
}

/// A running load balancer: its nodes' routing, its targets and their health checks.
pub struct LoadBalancer {
    cfg: LbConfig,
    clock: Clock,
    rng: SimRng,
    targets: Vec<Target>,
    group: Option<TargetGroup>,
    group_version: u64,
    /// The edge to the group, which every instance target shares, and the group's id.
    group_edge: Option<Edge>,
    group_name: String,
    zones: usize,
    next: Vec<usize>,
    /// Eligible targets per entry zone, rebuilt after a change of health or membership.
    eligible: Vec<Option<Vec<usize>>>,
    /// Least outstanding requests: per entry zone, its eligible targets' outstanding
    /// requests, built with the first pick after `eligible` and kept as they change.
    least: Vec<Option<least::LeastTree>>,
    /// When DNS dropped each zone's node (no healthy target behind it), if it is dropped.
    dropped: Vec<Option<SimTime>>,
    /// When each zone's node was lost with its zone (`az_outage`), while it is.
    lost: Vec<Option<SimTime>>,
    /// Whether a zone's outage has reached one of its nodes: then it reports
    /// `lost_node_requests`.
    zone_told: bool,
    /// Requests sent to a node lost with its zone, left unanswered.
    lost_node_requests: u64,
    pending: Slab<Pending>,
    surge: VecDeque<Surging>,
    // Recorders.
    requests: Counter,
    statuses: Counts<u16>,
    latency: Durations,
    healthy: Level,
    surge_level: Level,
    spillover: u64,
    idle_timeouts: u64,
    /// Requests sent to a dropped node by clients whose DNS cache still named it.
    dns_stale: u64,
    /// Network: client connections it reset.
    resets: u64,
    /// Network: targets its passive health checks took out of rotation.
    passive_outs: u64,
    bytes: u64,
    /// Requests sent to targets still in their slow start.
    slow_start_requests: u64,
    events: EventLog,
}

impl LoadBalancer {
    /// Builds it for one run; `group` is the target group of the Auto Scaling group it
    /// fronts, if it fronts one.
    pub fn new(cfg: LbConfig, env: BuildEnv, group: Option<TargetGroup>) -> LoadBalancer {
        let clock = env.clock;
        let mut targets = Vec::new();
        let n_zones;
        match &group {
            // One node per zone of the group; targets come as the group registers them. The
            // group may be built after it, and tell its target group its zones only then:
            // the zones are those the scenario's check found (`LbConfig::node_zones`).
            Some(g) => n_zones = cfg.node_zones.len().max(g.borrow().zones.len()).max(1),
            None => {
                // One load-balancer node per zone its targets are in (targets without a
                // zone share one).
                let mut names: Vec<Option<String>> = env.edge_zones.clone();
                names.sort();
                names.dedup();
                n_zones = names.len().max(1);
                for ((edge, zone), name) in env
                    .edges
                    .iter()
                    .zip(&env.edge_zones)
                    .zip(env.edge_names.iter())
                {
                    let zone = names.iter().position(|n| n == zone).unwrap_or(0);
                    targets.push(Target::listed(edge.clone(), name.clone(), zone));
                }
            }
        }
        let mut healthy = Level::new(&clock);
        healthy.set(&clock, SimTime::ZERO, targets.len() as f64);
        LoadBalancer {
            next: vec![0; n_zones],
            zones: n_zones,
            eligible: vec![None; n_zones],
            least: (0..n_zones).map(|_| None).collect(),
            dropped: vec![None; n_zones],
            lost: vec![None; n_zones],
            zone_told: false,
            lost_node_requests: 0,
            targets,
            group_edge: env.edges.first().cloned(),
            group_name: env.edge_names.first().cloned().unwrap_or_default(),
            group,
            group_version: u64::MAX,
            pending: Slab::new(),
            surge: VecDeque::new(),
            requests: Counter::new(&clock),
            statuses: Counts::default(),
            latency: Durations::default(),
            healthy,
            surge_level: Level::new(&clock),
            spillover: 0,
            idle_timeouts: 0,
            dns_stale: 0,
            resets: 0,
            passive_outs: 0,
            bytes: 0,
            slow_start_requests: 0,
            events: EventLog::new(&env.name),
            cfg,
            clock,
            rng: env.rng,
        }
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        self.sync(now);
        let measured = self.clock.measured(now);
        // Clients' DNS spreads them evenly over the nodes, one per zone.
        let mut zone = if self.zones > 1 {
            self.rng.random_range(0..self.zones)
        } else {
            0
        };
        if let Some(since) = self.lost[zone] {
            // A node lost with its zone: clients still resolve it until it leaves DNS
            // (`lost_node_detection`) and then as long as their cached answer lasts, its share
            // falling linearly over `dns_ttl`; nothing answers them. Fresh clients resolve the
            // nodes left, evenly.
            let gone = since + self.cfg.lost_node_detection;
            let stale = now < gone || self.still_cached(gone, now);
            let live: Vec<usize> = (0..self.zones)
                .filter(|&z| self.lost[z].is_none())
                .collect();
            if stale || live.is_empty() {
                self.lost_node_requests += u64::from(measured);
                ctx.lose_call(call);
                return;
            }
            zone = live[self.rng.random_range(0..live.len())];
        }
        // Received by a node that is up (a lost node's requests were never received).
        self.requests.add(&self.clock, now, measured);
        self.bytes += u64::from(msg.size_bytes) * u64::from(measured);
        let Some(target) = self.pick(zone, now) else {
            // aws-facts: §3: no registered or no healthy target → 503 (NLB: reset).
            let s = self.own_status(NO_TARGET, measured);
            self.answer(ctx, call, now, s);
            return;
        };
        if let Some(limit) = self.cfg.backend_connections {
            if self.targets[target].outstanding >= limit {
                if self.surge.len() >= SURGE_QUEUE_CAPACITY {
                    self.spillover += u64::from(measured);
                    self.answer(ctx, call, now, NO_TARGET);
                } else {
                    self.surge.push_back(Surging {
                        call,
                        msg,
                        arrived: now,
                        target,
                    });
                    self.surge_level.add(&self.clock, now, 1.0);
                }
                return;
            }
        }
        self.forward(ctx, call, msg, now, target);
    }

    fn forward(
        &mut self,
        ctx: &mut Ctx<'_>,
        call: CallId,
        msg: Msg,
        arrived: SimTime,
        target: usize,
    ) {
        self.set_outstanding(target, self.targets[target].outstanding + 1);
        let idx = self.pending.insert(Pending {
            call,
            arrived,
            target,
            cut: false,
        });
        let t = &self.targets[target];
        let msg = Msg {
            instance: t.instance,
            ..msg
        };
        t.edge
            .call(ctx, &mut self.rng, msg, Reply::Request(idx).encode());
    }

    /// A target answered request `pending` (or did not, in time).
    fn answered(&mut self, ctx: &mut Ctx<'_>, pending: usize, outcome: Outcome) {
        let now = ctx.now();
        let p = self.pending.remove(pending);
        if p.cut {
            return;
        }
        self.set_outstanding(p.target, self.targets[p.target].outstanding - 1);
        let measured = self.clock.measured(p.arrived);
        // aws-facts: §3: a target slower than the idle timeout gives 504 (NLB: a reset).
        let status = match outcome {
            // A target that drops the connection (an instance deregistered past its delay,
            // replaced or reclaimed with requests in flight): the ALB answers 502, the CLB
            // 504, and an NLB's client sees the reset itself.
            Outcome::Status(status::CONNECTION_RESET) => match self.cfg.lb_type {
                LbType::Application => TARGET_RESET,
                LbType::Classic => CLB_TARGET_CLOSED,
                LbType::Network => status::CONNECTION_RESET,
            },
            // aws-facts: §3 ALB 504: a target connection not established in 10 s; an NLB's
            // client has its connection attempt fail, and its passive checks take note.
            Outcome::Status(status::CONNECT_FAILED) => {
                self.passive_failure(now, p.target);
                self.own_status(CONNECT_TIMEOUT, measured)
            }
            Outcome::Status(s) => s,
            Outcome::Timeout => {
                self.idle_timeouts += u64::from(measured);
                self.own_status(IDLE_TIMEOUT, measured)
            }
            // aws-facts: §2 sync Invoke results: a load balancer answers a function error 502.
            Outcome::Error => super::DOWNSTREAM_ERROR,
        };
        self.answer(ctx, p.call, p.arrived, status);
        // A back-end connection is free: the surge queue's oldest request for it goes.
        if self.cfg.backend_connections.is_some() {
            if let Some(pos) = self.surge.iter().position(|w| w.target == p.target) {
                if let Some(w) = self.surge.remove(pos) {
                    self.surge_level.add(&self.clock, now, -1.0);
                    self.forward(ctx, w.call, w.msg, w.arrived, w.target);
                }
            }
        }
    }

    /// The status it answers where AWS documents `status` for an ALB: a network load
    /// balancer has none and resets the connection instead (aws-facts: §3 NLB failure
    /// behaviour), counted when `measured`.
    fn own_status(&mut self, status: u16, measured: bool) -> u16 {
        if self.cfg.lb_type == LbType::Network {
            self.resets += u64::from(measured);
            status::CONNECTION_RESET
        } else {
            status
        }
    }

    /// Network: resets the client connections target `i` holds, as an NLB does when the
    /// target turns unhealthy (aws-facts: §3 NLB health checks); their answers go nowhere.
    fn reset_connections(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let cut: Vec<usize> = self
            .pending
            .iter()
            .filter(|(_, p)| p.target == i && !p.cut)
            .map(|(k, _)| k)
            .collect();
        for k in cut {
            let p = &mut self.pending[k];
            p.cut = true;
            let (call, arrived) = (p.call, p.arrived);
            self.set_outstanding(i, self.targets[i].outstanding - 1);
            let measured = self.clock.measured(arrived);
            let s = self.own_status(status::CONNECTION_RESET, measured);
            self.answer(ctx, call, arrived, s);
        }
    }

    fn answer(&mut self, ctx: &mut Ctx<'_>, call: CallId, arrived: SimTime, status: u16) {
        let now = ctx.now();
        let measured = self.clock.measured(arrived);
        self.statuses.add(status, measured);
        if status::is_success(status) {
            self.latency.record(now - arrived, measured);
        }
        ctx.reply(call, status);
    }
}

impl Component for LoadBalancer {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        // A group registers its first instances when it starts, which may be after this:
        // they are taken in at once, not at the first request, so that the healthy count is
        // theirs from the first instant.
        if self.group.is_some() {
            ctx.schedule(SimTime::ZERO, Timer::Started.encode());
        }
        // The first round of health checks one interval in.
        if self.cfg.health.enabled {
            ctx.schedule(self.cfg.health.interval, Timer::HealthChecks.encode());
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            // An outage of a zone it has a node in (`Kind::zone_outage`): the code is the
            // node's number.
            Input::Fault { code, on } => {
                self.zone_told = true;
                if let Some(lost) = self.lost.get_mut(code as usize) {
                    *lost = on.then_some(ctx.now());
                }
            }
            Input::Timer(tag) => match Timer::decode(tag) {
                Some(Timer::HealthChecks) => self.probe_all(ctx),
                Some(Timer::Started) => self.sync(ctx.now()),
                None => {}
            },
            Input::Call(call, msg) => self.arrive(ctx, call, msg),
            Input::Reply(r) => match Reply::decode(r.tag) {
                Some(Reply::Probe(target)) => {
                    self.sync(ctx.now());
                    self.probe_result(ctx, target, r.outcome == Outcome::Status(status::OK));
                }
                Some(Reply::Request(pending)) => self.answered(ctx, pending, r.outcome),
                None => {}
            },
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.healthy.finish(c);
        self.surge_level.finish(c);
        let mut m = MetricSet::default();
        m.count("requests", self.requests.total());
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.count("idle_timeouts", self.idle_timeouts);
        if self.zone_told {
            m.count("lost_node_requests", self.lost_node_requests);
        }
        if !self.cfg.cross_zone {
            m.count("dns_stale_requests", self.dns_stale);
        }
        if self.cfg.lb_type == LbType::Network {
            m.count("connections_reset", self.resets);
            m.count("passive_unhealthy", self.passive_outs);
        }
        if self.cfg.slow_start > SimTime::ZERO {
            m.count("slow_start_requests", self.slow_start_requests);
        }
        if self.cfg.backend_connections.is_some() {
            m.count("spillover", self.spillover);
            m.gauge("surge_queue_mean", self.surge_level.mean(c));
            m.gauge("surge_queue_max", self.surge_level.max());
        }
        m.gauge("healthy_targets_mean", self.healthy.mean(c));
        m.gauge(
            "targets",
            self.targets.iter().filter(|t| !t.gone).count() as f64,
        );
        m.hist("response_ms", &self.latency.summary());
        // Cost over the measured period.
        let (cost, units) = prices::cost(
            self.cfg.lb_type,
            c.measured_secs(),
            self.requests.total() as f64 / f64::from(self.cfg.requests_per_connection),
            self.bytes,
        );
        if let Some(units) = units {
            m.gauge("capacity_units_mean", units);
        }
        m.gauge("cost_usd", cost);
        let mut series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&HEALTHY_TARGETS, self.healthy.mean_series(c)),
        ];
        if self.cfg.backend_connections.is_some() {
            series.push((&SURGE_QUEUE, self.surge_level.mean_series(c)));
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

    fn timers() -> impl Strategy<Value = Timer> {
        prop_oneof![Just(Timer::HealthChecks), Just(Timer::Started)]
    }

    fn replies() -> impl Strategy<Value = Reply> {
        let index = 0usize..(1 << 40);
        prop_oneof![
            index.clone().prop_map(Reply::Request),
            index.prop_map(Reply::Probe),
        ]
    }

    proptest! {
        #[test]
        fn timers_survive_the_kernel(t in timers()) {
            prop_assert_eq!(token_round_trip(t), Ok(()));
        }

        #[test]
        fn reply_tags_survive_the_kernel(r in replies()) {
            prop_assert_eq!(token_round_trip(r), Ok(()));
        }
    }
}
