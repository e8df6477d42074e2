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

use super::{BuildEnv, CallSpec, Component, ComponentReport, Edge};
use crate::kernel::{CallId, CallTiming, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, Level, MetricSet, WindowedCounts};
use crate::scenario::check::Checker;
use crate::scenario::raw::RawComponentTable;
use rand::Rng;
use serde::Deserialize;
use slab::Slab;
use std::collections::VecDeque;
use toml::Spanned;

/// aws-facts: §3 CLB surge queue: at most 1,024 requests wait for a back-end connection.
const SURGE_QUEUE: usize = 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLb {
    #[serde(rename = "type")]
    lb_type: Option<Spanned<String>>,
    targets: Vec<Spanned<String>>,
    algorithm: Option<Spanned<String>>,
    idle_timeout: Option<Spanned<String>>,
    cross_zone: Option<bool>,
    health_check: Option<Spanned<RawHealth>>,
    backend_connections: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    healthy_threshold: Option<Spanned<i64>>,
    unhealthy_threshold: Option<Spanned<i64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbType {
    Application,
    Network,
    Classic,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    LeastOutstanding,
    /// NLB: a flow hash, one target per connection; per request it is a uniform draw.
    FlowHash,
}

#[derive(Clone, Debug)]
pub struct HealthCheck {
    pub interval: SimTime,
    pub timeout: SimTime,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

#[derive(Clone, Debug)]
pub struct LbConfig {
    pub lb_type: LbType,
    pub algorithm: Algorithm,
    pub idle_timeout: SimTime,
    pub cross_zone: bool,
    pub health: HealthCheck,
    /// Classic: connections per target, beyond which requests wait in the surge queue.
    pub backend_connections: Option<u32>,
    /// One call spec per target, in order; filled in with zones when the world is built.
    pub calls: Vec<CallSpec>,
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<LbConfig> {
    let raw: RawLb = ck.deserialize(table)?;
    let lb_type = match &raw.lb_type {
        None => Some(LbType::Application),
        Some(t) => ck
            .one_of(t, "type", &["application", "network", "classic"])
            .map(|t| match t {
                "application" => LbType::Application,
                "network" => LbType::Network,
                _ => LbType::Classic,
            }),
    }?;
    let algorithm = match &raw.algorithm {
        // aws-facts: §3 routing: ALB round robin by default; CLB least outstanding requests
        // for HTTP; NLB a flow hash.
        None => Some(match lb_type {
            LbType::Application => Algorithm::RoundRobin,
            LbType::Classic => Algorithm::LeastOutstanding,
            LbType::Network => Algorithm::FlowHash,
        }),
        Some(a) if lb_type == LbType::Network => {
            ck.error(
                a.span(),
                "a network load balancer routes by flow hash: it takes no `algorithm`",
            );
            None
        }
        Some(a) => ck
            .one_of(a, "algorithm", &["round_robin", "least_outstanding"])
            .map(|a| {
                if a == "round_robin" {
                    Algorithm::RoundRobin
                } else {
                    Algorithm::LeastOutstanding
                }
            }),
    };
    // aws-facts: §3 idle timeouts: ALB and CLB 60 s, NLB 350 s.
    let idle_timeout = match &raw.idle_timeout {
        None => Some(SimTime::from_secs(if lb_type == LbType::Network {
            350
        } else {
            60
        })),
        Some(t) => ck.positive_duration(t, "idle_timeout"),
    };
    // aws-facts: §3 cross-zone: on for ALB, off by default for NLB and (API-created) CLB.
    let cross_zone = raw.cross_zone.unwrap_or(lb_type == LbType::Application);
    // aws-facts: §3 health checks: interval 30 s, timeout 5 s, unhealthy after 2; healthy
    // after 5 (ALB) or 10 (CLB).
    let d_healthy = if lb_type == LbType::Classic { 10 } else { 5 };
    let health = match &raw.health_check {
        None => Some(HealthCheck {
            interval: SimTime::from_secs(30),
            timeout: SimTime::from_secs(5),
            healthy_threshold: d_healthy,
            unhealthy_threshold: 2,
        }),
        Some(h) => {
            let h = h.get_ref();
            let interval = match &h.interval {
                None => Some(SimTime::from_secs(30)),
                Some(i) => ck.positive_duration(i, "health_check.interval"),
            };
            let timeout = match &h.timeout {
                None => Some(SimTime::from_secs(5)),
                Some(t) => ck.positive_duration(t, "health_check.timeout"),
            };
            let healthy = match &h.healthy_threshold {
                None => Some(d_healthy),
                Some(n) => ck
                    .int_in(n, "health_check.healthy_threshold", 2, 10)
                    .map(|n| n as u32),
            };
            let unhealthy = match &h.unhealthy_threshold {
                None => Some(2),
                Some(n) => ck
                    .int_in(n, "health_check.unhealthy_threshold", 2, 10)
                    .map(|n| n as u32),
            };
            let (interval, timeout) = (interval?, timeout?);
            if timeout >= interval {
                ck.error(h.timeout.as_ref().map_or(0..0, |t| t.span()), format!("`health_check.timeout` ({timeout}) must be shorter than its interval ({interval})"));
                return None;
            }
            Some(HealthCheck {
                interval,
                timeout,
                healthy_threshold: healthy?,
                unhealthy_threshold: unhealthy?,
            })
        }
    };
    let backend_connections = match &raw.backend_connections {
        None => Some(None),
        Some(c) if lb_type != LbType::Classic => {
            ck.error(
                c.span(),
                "`backend_connections` (and the surge queue) belong to type = \"classic\"",
            );
            None
        }
        Some(c) => ck
            .int_in(c, "backend_connections", 1, 1_000_000)
            .map(|c| Some(c as u32)),
    };
    if raw.targets.is_empty() {
        ck.error(
            0..0,
            "a load balancer needs at least one target in `targets`",
        );
        return None;
    }
    let mut calls = Vec::new();
    for t in &raw.targets {
        let to = ck.component(t, "targets")?;
        calls.push(CallSpec {
            to,
            op: super::OpChoice::Inherit,
            probability: 1.0,
            timeout: None,
            latency: None,
            // A load balancer does not retry.
            retry: Some(crate::workload::RetryPolicy::none()),
        });
    }
    let idle_timeout = idle_timeout?;
    for c in &mut calls {
        c.timeout = Some(idle_timeout);
    }
    Some(LbConfig {
        lb_type,
        algorithm: algorithm?,
        idle_timeout,
        cross_zone,
        health: health?,
        backend_connections: backend_connections?,
        calls,
    })
}

impl LbConfig {
    pub fn summary_lines(&self) -> Vec<String> {
        let t = match self.lb_type {
            LbType::Application => "ALB",
            LbType::Network => "NLB",
            LbType::Classic => "CLB",
        };
        let a = match self.algorithm {
            Algorithm::RoundRobin => "round robin",
            Algorithm::LeastOutstanding => "least outstanding",
            Algorithm::FlowHash => "flow hash",
        };
        vec![
            format!("{t}, {a}, {} targets", self.calls.len()),
            format!(
                "idle timeout {}, cross-zone {}",
                self.idle_timeout,
                if self.cross_zone { "on" } else { "off" }
            ),
        ]
    }
}

struct Target {
    edge: Edge,
    name: String,
    zone: usize,
    healthy: bool,
    streak: u32,
    outstanding: u32,
}

struct Pending {
    call: CallId,
    arrived: SimTime,
    target: usize,
}

/// Tags: requests' and probes' replies, and the probe timer.
const TAG_PROBE: u64 = 1 << 63;

pub struct LoadBalancer {
    cfg: LbConfig,
    clock: Clock,
    rng: SimRng,
    targets: Vec<Target>,
    zones: usize,
    next: Vec<usize>,
    pending: Slab<Pending>,
    surge: VecDeque<(CallId, Msg, SimTime, usize)>,
    // Recorders.
    requests: Counter,
    statuses: WindowedCounts<u16>,
    latency: Latency,
    healthy: Level,
    surge_level: Level,
    spillover: u64,
    idle_timeouts: u64,
    events: EventLog,
}

impl LoadBalancer {
    pub fn new(cfg: LbConfig, env: BuildEnv) -> LoadBalancer {
        let clock = env.clock;
        // One load-balancer node per zone its targets are in (targets without a zone share
        // one).
        let mut names: Vec<Option<String>> = env.edge_zones.clone();
        names.sort();
        names.dedup();
        let zones: Vec<usize> = env
            .edge_zones
            .iter()
            .map(|z| names.iter().position(|n| n == z).unwrap_or(0))
            .collect();
        let n_zones = names.len().max(1);
        let targets: Vec<Target> = env
            .edges
            .into_iter()
            .zip(zones)
            .zip(env.edge_names.iter().cloned())
            .map(|((edge, zone), name)| Target {
                edge,
                name,
                zone,
                healthy: true,
                streak: 0,
                outstanding: 0,
            })
            .collect();
        let mut healthy = Level::new(&clock);
        healthy.set(&clock, SimTime::ZERO, targets.len() as f64);
        LoadBalancer {
            next: vec![0; n_zones],
            zones: n_zones,
            targets,
            pending: Slab::new(),
            surge: VecDeque::new(),
            requests: Counter::new(&clock),
            statuses: WindowedCounts::default(),
            latency: Latency::new(&clock),
            healthy,
            surge_level: Level::new(&clock),
            spillover: 0,
            idle_timeouts: 0,
            events: EventLog::new(&env.name),
            cfg,
            clock,
            rng: env.rng,
        }
    }

    /// The targets a request entering at the node of `zone` may go to.
    fn eligible(&self, zone: usize) -> Vec<usize> {
        let healthy: Vec<usize> = (0..self.targets.len())
            .filter(|&i| {
                self.targets[i].healthy && (self.cfg.cross_zone || self.targets[i].zone == zone)
            })
            .collect();
        if !healthy.is_empty() {
            return healthy;
        }
        // No healthy target for this node. Without cross-zone, DNS stops sending clients to a
        // node with nothing healthy behind it: route as the other nodes would.
        let any_healthy: Vec<usize> = (0..self.targets.len())
            .filter(|&i| self.targets[i].healthy)
            .collect();
        if !any_healthy.is_empty() {
            return any_healthy;
        }
        // aws-facts: §3 ALB status codes: with every target unhealthy an ALB fails open.
        if self.cfg.lb_type == LbType::Application {
            (0..self.targets.len()).collect()
        } else {
            Vec::new()
        }
    }

    fn pick(&mut self, zone: usize) -> Option<usize> {
        let eligible = self.eligible(zone);
        if eligible.is_empty() {
            return None;
        }
        let i = match self.cfg.algorithm {
            Algorithm::RoundRobin => {
                let k = self.next[zone] % eligible.len();
                self.next[zone] = self.next[zone].wrapping_add(1);
                eligible[k]
            }
            Algorithm::LeastOutstanding => {
                let start = self.next[zone] % eligible.len();
                self.next[zone] = self.next[zone].wrapping_add(1);
                // The least loaded, ties broken in rotation.
                (0..eligible.len())
                    .map(|k| eligible[(start + k) % eligible.len()])
                    .min_by_key(|&t| self.targets[t].outstanding)
                    .unwrap_or(eligible[0])
            }
            Algorithm::FlowHash => eligible[self.rng.random_range(0..eligible.len())],
        };
        Some(i)
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
        t.edge.call(ctx, &mut self.rng, msg, idx as u64);
    }

    fn answer(&mut self, ctx: &mut Ctx<'_>, call: CallId, arrived: SimTime, status: u16) {
        let now = ctx.now();
        let measured = self.clock.measured(arrived);
        self.statuses.add(&self.clock, status, now, measured);
        if (200..300).contains(&status) {
            self.latency
                .record(&self.clock, now, now - arrived, measured);
        }
        ctx.reply(call, status);
    }

    fn probe_all(&mut self, ctx: &mut Ctx<'_>) {
        for i in 0..self.targets.len() {
            let t = &self.targets[i];
            let msg = Msg {
                op: u16::MAX,
                key: 0,
                size_bytes: 0,
                client: 0,
            };
            let timing = CallTiming {
                request_delay: t.edge.latency.sample_time(&mut self.rng),
                reply_delay: t.edge.latency.sample_time(&mut self.rng),
                timeout: Some(self.cfg.health.timeout),
            };
            ctx.call(t.edge.to, msg, timing, TAG_PROBE | i as u64);
        }
        if ctx.now() + self.cfg.health.interval < self.clock.end {
            ctx.schedule(self.cfg.health.interval, 0);
        }
    }

    fn probe_result(&mut self, ctx: &mut Ctx<'_>, i: usize, ok: bool) {
        let now = ctx.now();
        let h = &self.cfg.health;
        let t = &mut self.targets[i];
        // The streak counts results that disagree with the current state.
        if ok != t.healthy {
            t.streak += 1;
        } else {
            t.streak = 0;
        }
        let flip = if t.healthy {
            t.streak >= h.unhealthy_threshold
        } else {
            t.streak >= h.healthy_threshold
        };
        if flip {
            t.healthy = !t.healthy;
            t.streak = 0;
            let name = if t.healthy {
                "target_healthy"
            } else {
                "target_unhealthy"
            };
            let delta = if t.healthy { 1.0 } else { -1.0 };
            self.healthy.add(&self.clock, now, delta);
            let detail = t.name.clone();
            self.events.push(now, name, detail);
        }
    }
}

impl Component for LoadBalancer {
    fn kind(&self) -> &'static str {
        "load_balancer"
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        // The first round of health checks one interval in.
        ctx.schedule(self.cfg.health.interval, 0);
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match input {
            Input::Fault { .. } => {}
            Input::Timer(_) => self.probe_all(ctx),
            Input::Call(call, msg) => {
                let measured = self.clock.measured(now);
                self.requests.add(&self.clock, now, measured);
                // Clients' DNS spreads them evenly over the nodes, one per zone.
                let zone = if self.zones > 1 {
                    self.rng.random_range(0..self.zones)
                } else {
                    0
                };
                let Some(target) = self.pick(zone) else {
                    // aws-facts: §3 CLB errors: no healthy instances → 503.
                    self.answer(ctx, call, now, 503);
                    return;
                };
                if let Some(limit) = self.cfg.backend_connections {
                    if self.targets[target].outstanding >= limit {
                        if self.surge.len() >= SURGE_QUEUE {
                            self.spillover += u64::from(measured);
                            self.answer(ctx, call, now, 503);
                        } else {
                            self.surge.push_back((call, msg, now, target));
                            self.surge_level.add(&self.clock, now, 1.0);
                        }
                        return;
                    }
                }
                self.forward(ctx, call, msg, now, target);
            }
            Input::Reply(r) if r.tag & TAG_PROBE != 0 => {
                let ok = r.outcome == Outcome::Status(200);
                self.probe_result(ctx, (r.tag & !TAG_PROBE) as usize, ok);
            }
            Input::Reply(r) => {
                let p = self.pending.remove(r.tag as usize);
                self.targets[p.target].outstanding -= 1;
                // aws-facts: §3: a target slower than the idle timeout gives 504.
                let status = match r.outcome {
                    Outcome::Status(s) => s,
                    Outcome::Timeout => {
                        self.idle_timeouts += u64::from(self.clock.measured(p.arrived));
                        504
                    }
                };
                self.answer(ctx, p.call, p.arrived, status);
                // A back-end connection is free: the surge queue's oldest request for it goes.
                if self.cfg.backend_connections.is_some() {
                    if let Some(pos) = self.surge.iter().position(|w| w.3 == p.target) {
                        if let Some((call, msg, arrived, target)) = self.surge.remove(pos) {
                            self.surge_level.add(&self.clock, now, -1.0);
                            self.forward(ctx, call, msg, arrived, target);
                        }
                    }
                }
            }
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
        if self.cfg.backend_connections.is_some() {
            m.count("spillover", self.spillover);
            m.gauge("surge_queue_mean", self.surge_level.mean(c));
            m.gauge("surge_queue_max", self.surge_level.max());
        }
        m.gauge("healthy_targets_mean", self.healthy.mean(c));
        m.gauge("targets", self.targets.len() as f64);
        m.hist("response_ms", self.latency.summary());
        let mut series = vec![
            ("requests_rps".to_string(), self.requests.rate_series(c)),
            ("healthy_targets".to_string(), self.healthy.mean_series(c)),
        ];
        if self.cfg.backend_connections.is_some() {
            series.push(("surge_queue".to_string(), self.surge_level.mean_series(c)));
        }
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}
