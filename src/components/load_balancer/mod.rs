//! Elastic Load Balancing: application, network or classic, in front of a list of targets
//! (each a component: an instance, or a group standing for one). aws-facts §3.
//!
//! Clients reach one load-balancer node per zone of its targets, evenly; with cross-zone
//! balancing a node routes to every healthy target, without it only to those of its own zone.
//! Health checks probe every target each interval (the probes take the target's time like any
//! request): a target is marked unhealthy after `unhealthy_threshold` failures in a row and
//! healthy again after `healthy_threshold` successes, so a failed target keeps receiving
//! traffic until it is detected. A target slower than the idle timeout gives 504. With no
//! healthy target, an ALB fails open (routes to all) while classic and network answer 503.
//! The classic type queues requests for busy back-end connections (the surge queue, 1,024)
//! and answers the spillover with 503.
//!
//! Its parts: `config.rs` (its table), `kind.rs` (what it declares), `targets.rs` (the
//! targets, kept in line with an Auto Scaling group's registrations), `routing.rs` (which
//! target a request goes to), `health.rs` (the health checks), `prices.rs` (its cost).

mod config;
mod health;
mod kind;
mod prices;
mod routing;
mod targets;

pub use config::{Algorithm, HealthCheck, LbConfig, LbType};
use kind::{HEALTHY_TARGETS, REQUESTS, SURGE_QUEUE};
use targets::Target;

use super::target_group::TargetGroup;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, Level, MetricSet, WindowedCounts};
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

/// What a load balancer's timer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A round of health checks is due.
    HealthChecks,
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::HealthChecks => pack(0, 0),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, 0) => Some(Timer::HealthChecks),
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
    pending: Slab<Pending>,
    surge: VecDeque<Surging>,
    // Recorders.
    requests: Counter,
    statuses: WindowedCounts<u16>,
    latency: Latency,
    healthy: Level,
    surge_level: Level,
    spillover: u64,
    idle_timeouts: u64,
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
            // One node per zone of the group; targets come as the group registers them.
            Some(g) => n_zones = g.borrow().zones.len().max(1),
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
            targets,
            group_edge: env.edges.first().cloned(),
            group_name: env.edge_names.first().cloned().unwrap_or_default(),
            group,
            group_version: u64::MAX,
            pending: Slab::new(),
            surge: VecDeque::new(),
            requests: Counter::new(&clock),
            statuses: WindowedCounts::default(),
            latency: Latency::new(&clock),
            healthy,
            surge_level: Level::new(&clock),
            spillover: 0,
            idle_timeouts: 0,
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
        self.requests.add(&self.clock, now, measured);
        self.bytes += u64::from(msg.size_bytes) * u64::from(measured);
        // Clients' DNS spreads them evenly over the nodes, one per zone.
        let zone = if self.zones > 1 {
            self.rng.random_range(0..self.zones)
        } else {
            0
        };
        let Some(target) = self.pick(zone, now) else {
            // aws-facts: §3: no registered or no healthy target → 503.
            self.answer(ctx, call, now, NO_TARGET);
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
        self.targets[target].outstanding += 1;
        let idx = self.pending.insert(Pending {
            call,
            arrived,
            target,
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
        self.targets[p.target].outstanding -= 1;
        // aws-facts: §3: a target slower than the idle timeout gives 504.
        let status = match outcome {
            Outcome::Status(s) => s,
            Outcome::Timeout => {
                self.idle_timeouts += u64::from(self.clock.measured(p.arrived));
                IDLE_TIMEOUT
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

    fn answer(&mut self, ctx: &mut Ctx<'_>, call: CallId, arrived: SimTime, status: u16) {
        let now = ctx.now();
        let measured = self.clock.measured(arrived);
        self.statuses.add(&self.clock, status, now, measured);
        if status::is_success(status) {
            self.latency
                .record(&self.clock, now, now - arrived, measured);
        }
        ctx.reply(call, status);
    }
}

impl Component for LoadBalancer {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        // The first round of health checks one interval in.
        ctx.schedule(self.cfg.health.interval, Timer::HealthChecks.encode());
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Timer(tag) => match Timer::decode(tag) {
                Some(Timer::HealthChecks) => self.probe_all(ctx),
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
        self.latency.finish();
        self.healthy.finish(c);
        self.surge_level.finish(c);
        let mut m = MetricSet::default();
        m.count("requests", self.requests.total());
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n.total());
        }
        m.count("idle_timeouts", self.idle_timeouts);
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
        m.hist("response_ms", self.latency.summary());
        // Cost over the measured period.
        let (cost, units) = prices::cost(
            self.cfg.lb_type,
            c.measured_secs(),
            self.requests.total(),
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
        prop_oneof![Just(Timer::HealthChecks)]
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
