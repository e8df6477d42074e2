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

use super::kind::Relations;
use super::kind::{
    Category, Column, EventInfo, Kind, KindInfo, Mark, PlotLine, PlotPanel, Series, Tone, Unit,
};
use super::target_group::TargetGroup;
use super::{
    BuildEnv, CallSpec, Component, ComponentReport, Edge, Shared, PROBE_DEEP, PROBE_SHALLOW,
};
use crate::config::raw::{RawComponentTable, RawIds};
use crate::config::Checker;
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, Level, MetricSet, WindowedCounts};
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
    targets: Spanned<RawIds>,
    algorithm: Option<Spanned<String>>,
    idle_timeout: Option<Spanned<String>>,
    cross_zone: Option<bool>,
    health_check: Option<Spanned<RawHealth>>,
    backend_connections: Option<Spanned<i64>>,
    deregistration_delay: Option<Spanned<String>>,
    slow_start: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    healthy_threshold: Option<Spanned<i64>>,
    unhealthy_threshold: Option<Spanned<i64>>,
    path: Option<Spanned<String>>,
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
    /// `PROBE_DEEP` (the target's whole request path) or `PROBE_SHALLOW`.
    pub probe_op: u16,
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
    /// An Auto Scaling group is one target standing for the instances it registers.
    pub calls: Vec<CallSpec>,
    /// Where each target is named, for checks across components.
    pub target_spans: Vec<std::ops::Range<usize>>,
    /// Whether the one target is an Auto Scaling group (set when the scenario is checked).
    pub group_target: bool,
    /// aws-facts: §3 target-group settings: draining time of a deregistered target.
    pub deregistration_delay: SimTime,
    /// aws-facts: §3: a new target's share ramps up linearly over this (`ZERO`: off).
    pub slow_start: SimTime,
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<LbConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
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
            probe_op: PROBE_DEEP,
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
            let probe_op = match &h.path {
                None => Some(PROBE_DEEP),
                Some(p) => ck
                    .one_of(p, "health_check.path", &["deep", "shallow"])
                    .map(|p| {
                        if p == "deep" {
                            PROBE_DEEP
                        } else {
                            PROBE_SHALLOW
                        }
                    }),
            };
            let (interval, timeout) = (interval?, timeout?);
            if timeout >= interval {
                ck.error(h.timeout.as_ref().map_or(at.clone(), |t| t.span()), format!("`health_check.timeout` ({timeout}) must be shorter than its interval ({interval})"));
                return None;
            }
            Some(HealthCheck {
                interval,
                timeout,
                healthy_threshold: healthy?,
                unhealthy_threshold: unhealthy?,
                probe_op: probe_op?,
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
    let targets = RawIds::into_list(&raw.targets);
    if targets.is_empty() {
        ck.error(
            raw.targets.span(),
            "a load balancer needs at least one target in `targets`",
        );
        return None;
    }
    let deregistration_delay = match &raw.deregistration_delay {
        None => Some(SimTime::from_secs(300)),
        Some(d) => match ck.duration(d, "deregistration_delay") {
            Some(t) if t > SimTime::from_secs(3600) => {
                ck.error(
                    d.span(),
                    format!("`deregistration_delay` is at most 3600s (aws-facts §3), not {t}"),
                );
                None
            }
            t => t,
        },
    };
    let slow_start = match &raw.slow_start {
        None => Some(SimTime::ZERO),
        Some(d) => ck.duration(d, "slow_start").and_then(|t| {
            let secs = t.as_secs_f64();
            if t != SimTime::ZERO && !(30.0..=900.0).contains(&secs) {
                ck.error(d.span(), format!("`slow_start` is 30s to 900s, or 0s for off (aws-facts §3), not {t}"));
                None
            } else if t != SimTime::ZERO && algorithm == Some(Algorithm::LeastOutstanding) {
                ck.error(d.span(), "slow start does not work with least outstanding requests (aws-facts §3): use `algorithm = \"round_robin\"`");
                None
            } else {
                Some(t)
            }
        }),
    };
    let mut calls = Vec::new();
    let target_spans = targets.iter().map(|t| t.span()).collect();
    for t in &targets {
        let to = ck.component(t, "targets")?;
        calls.push(CallSpec {
            to,
            op: super::OpChoice::Inherit,
            probability: 1.0,
            timeout: None,
            latency: None,
            // A load balancer does not retry.
            retry: Some(crate::retry::RetryPolicy::none()),
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
        target_spans,
        group_target: false,
        deregistration_delay: deregistration_delay?,
        slow_start: slow_start?,
    })
}

const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
const HEALTHY_TARGETS: Series = Series {
    id: "healthy_targets",
    unit: Unit::Number,
    about: "targets passing health checks, time-averaged",
};
const SURGE_QUEUE_SERIES: Series = Series {
    id: "surge_queue",
    unit: Unit::Number,
    about: "requests in a classic load balancer’s surge queue, time-averaged",
};

impl Kind for LbConfig {
    const INFO: &'static KindInfo = &KindInfo {
        name: "load_balancer",
        title: "Elastic Load Balancing",
        noun: "a load balancer",
        category: Category::Networking,
        about: "an application, network or classic load balancer over targets or an Auto Scaling group: routing, health checks, idle timeout, cross-zone, deregistration delay, slow start and the classic surge queue",
        keys: &[],
        faults: &[],
        series: &[&REQUESTS, &HEALTHY_TARGETS, &SURGE_QUEUE_SERIES],
        fields: &[],
        columns: &[
            Column {
                label: "healthy targets",
                field: "healthy_targets_mean",
                unit: Unit::Number,
            },
            Column {
                label: "idle timeouts (504)",
                field: "idle_timeouts",
                unit: Unit::Count,
            },
            Column {
                label: "spillover (503)",
                field: "spillover",
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
                axis: "requests/s",
                lines: &[
                    PlotLine {
                        series: &REQUESTS,
                        label: "received",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "targets",
                lines: &[
                    PlotLine {
                        series: &HEALTHY_TARGETS,
                        label: "healthy",
                        tone: Tone::Good,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &SURGE_QUEUE_SERIES,
                        label: "surge queue",
                        tone: Tone::Queue,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
        ],
        events: &[
            EventInfo {
                event: "target_healthy",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "target_unhealthy",
                mark: Mark::Instant,
            },
        ],
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        parse(table, ck)
    }

    /// A fleet (an Auto Scaling group) behind a load balancer must be its only target, and
    /// is behind no other: the two share the group's one target group.
    fn relate(&mut self, me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        let mut ok = true;
        for (c, span) in self.calls.iter().zip(&self.target_spans) {
            if !rel.fleets[c.to] {
                continue;
            }
            let group = &rel.ids[c.to];
            if self.calls.len() > 1 {
                ck.error(span.clone(), format!("\"{group}\" is an Auto Scaling group: a load balancer routes to its instances, so it must be the only target (`targets = \"{group}\"`)"));
                ok = false;
            } else if let Some(first) = rel.fronted_by[c.to] {
                ck.error(span.clone(), format!("\"{group}\" is already behind load balancer \"{}\"; a group has one target group here", rel.ids[first]));
                ok = false;
            } else {
                rel.fronted_by[c.to] = Some(me);
            }
        }
        self.group_target = self.calls.len() == 1 && rel.fleets[self.calls[0].to];
        ok
    }

    fn fronts(&self) -> Option<(usize, SimTime)> {
        self.group_target
            .then(|| (self.calls[0].to, self.deregistration_delay))
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let _ = (index, shared);
        let group = self
            .calls
            .first()
            .and_then(|t| shared.target_groups[t.to].clone());
        Box::new(LoadBalancer::new(self.clone(), env, group))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn routes_to_one(&self) -> bool {
        true
    }
}

impl LbConfig {
    fn lines(&self) -> Vec<String> {
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
        let targets = match (self.group_target, self.calls.len()) {
            (true, _) => "an Auto Scaling group".to_string(),
            (false, 1) => "1 target".to_string(),
            (false, n) => format!("{n} targets"),
        };
        vec![
            format!("{t}, {a}, {targets}"),
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
    /// The instance of a group (0: the target is a component).
    instance: u32,
    healthy: bool,
    /// Registered, not yet checked: it must pass one check before traffic.
    initial: bool,
    draining: bool,
    /// Deregistered: kept so indices stay stable; never routed to or probed again.
    gone: bool,
    streak: u32,
    outstanding: u32,
    /// When it last became healthy (`None`: from the start, past any slow start).
    healthy_since: Option<SimTime>,
}

struct Pending {
    call: CallId,
    arrived: SimTime,
    target: usize,
}

/// Tags: requests' and probes' replies, and the probe timer.
const TAG_PROBE: u64 = 1 << 63;

/// Prices in us-east-1, not in aws-facts (AWS pricing pages): per load-balancer hour and per
/// capacity-unit hour (ALB LCU, NLB NLCU); CLB bills per GB instead of capacity units.
const HOURLY: [f64; 3] = [0.0225, 0.0225, 0.025];
const PER_LCU_HOUR: [f64; 3] = [0.008, 0.006, 0.0];
const CLB_PER_GB: f64 = 0.008;
/// New connections per second in one capacity unit (ALB 25, NLB 800) and processed GB per
/// hour (1). Each request is counted as a new connection: clients without keep-alive, an
/// upper bound.
const LCU_CONNECTIONS: [f64; 3] = [25.0, 800.0, f64::INFINITY];

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
    surge: VecDeque<(CallId, Msg, SimTime, usize)>,
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
                    targets.push(Target {
                        edge: edge.clone(),
                        name: name.clone(),
                        zone: names.iter().position(|n| n == zone).unwrap_or(0),
                        instance: 0,
                        healthy: true,
                        initial: false,
                        draining: false,
                        gone: false,
                        streak: 0,
                        outstanding: 0,
                        healthy_since: None,
                    });
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

    /// Brings the targets in line with the group's registrations, if they changed.
    fn sync(&mut self, now: SimTime) {
        let Some(g) = &self.group else {
            return;
        };
        let g = g.borrow();
        if g.version == self.group_version {
            return;
        }
        self.group_version = g.version;
        self.eligible.iter_mut().for_each(|e| *e = None);
        for t in &mut self.targets {
            if t.gone {
                continue;
            }
            match g.members.iter().find(|m| m.instance == t.instance) {
                None => {
                    t.gone = true;
                    if t.healthy {
                        self.healthy.add(&self.clock, now, -1.0);
                    }
                }
                Some(m) if m.draining && !t.draining => {
                    t.draining = true;
                    if t.healthy {
                        self.healthy.add(&self.clock, now, -1.0);
                    }
                }
                Some(_) => {}
            }
        }
        for m in &g.members {
            if self
                .targets
                .iter()
                .any(|t| t.instance == m.instance && !t.gone)
                || m.draining
            {
                continue;
            }
            let edge = self.group_edge.clone().expect("a group target has an edge");
            let healthy = m.healthy_at_registration;
            if healthy {
                self.healthy.add(&self.clock, now, 1.0);
            }
            self.targets.push(Target {
                edge,
                name: format!("{} i-{}", self.group_name, m.instance),
                zone: m.zone,
                instance: m.instance,
                healthy,
                initial: !healthy,
                draining: false,
                gone: false,
                streak: 0,
                outstanding: 0,
                // The group's first instances are past any slow start.
                healthy_since: (!healthy).then_some(now),
            });
        }
    }

    /// The targets a request entering at the node of `zone` may go to.
    fn compute_eligible(&self, zone: usize) -> Vec<usize> {
        let routable = |t: &Target| !t.gone && !t.draining;
        let healthy: Vec<usize> = (0..self.targets.len())
            .filter(|&i| {
                let t = &self.targets[i];
                routable(t) && t.healthy && (self.cfg.cross_zone || t.zone == zone)
            })
            .collect();
        if !healthy.is_empty() {
            return healthy;
        }
        // No healthy target for this node. Without cross-zone, DNS stops sending clients to a
        // node with nothing healthy behind it: route as the other nodes would.
        let any_healthy: Vec<usize> = (0..self.targets.len())
            .filter(|&i| routable(&self.targets[i]) && self.targets[i].healthy)
            .collect();
        if !any_healthy.is_empty() {
            return any_healthy;
        }
        // aws-facts: §3 ALB status codes: with every target unhealthy an ALB fails open.
        if self.cfg.lb_type == LbType::Application {
            (0..self.targets.len())
                .filter(|&i| routable(&self.targets[i]))
                .collect()
        } else {
            Vec::new()
        }
    }

    fn pick(&mut self, zone: usize, now: SimTime) -> Option<usize> {
        if self.eligible[zone].is_none() {
            self.eligible[zone] = Some(self.compute_eligible(zone));
        }
        let eligible = self.eligible[zone].as_ref().expect("just computed");
        if eligible.is_empty() {
            return None;
        }
        // aws-facts: §3 slow start: a new target's share ramps up linearly, while another
        // target is past its own ramp.
        if self.cfg.slow_start > SimTime::ZERO {
            let ramp = self.cfg.slow_start.as_secs_f64();
            let weight = |t: &Target| {
                t.healthy_since
                    .map_or(1.0, |s| ((now - s).as_secs_f64() / ramp).min(1.0))
            };
            let ramping = eligible.iter().any(|&i| weight(&self.targets[i]) < 1.0);
            let settled = eligible.iter().any(|&i| weight(&self.targets[i]) >= 1.0);
            if ramping && settled {
                let total: f64 = eligible.iter().map(|&i| weight(&self.targets[i])).sum();
                let mut x = self.rng.random::<f64>() * total;
                let mut chosen = *eligible.last().expect("not empty");
                for &i in eligible {
                    x -= weight(&self.targets[i]);
                    if x < 0.0 {
                        chosen = i;
                        break;
                    }
                }
                if weight(&self.targets[chosen]) < 1.0 {
                    self.slow_start_requests += u64::from(self.clock.measured(now));
                }
                return Some(chosen);
            }
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
        let msg = Msg {
            instance: t.instance,
            ..msg
        };
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
        self.sync(ctx.now());
        for i in 0..self.targets.len() {
            let t = &self.targets[i];
            // aws-facts: §3: draining targets are not health-checked.
            if t.gone || t.draining {
                continue;
            }
            let msg = Msg {
                op: self.cfg.health.probe_op,
                key: 0,
                size_bytes: 0,
                client: 0,
                instance: t.instance,
            };
            let timing = t
                .edge
                .timing(&mut self.rng, SimTime::ZERO, Some(self.cfg.health.timeout));
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
        if t.gone || t.draining {
            return;
        }
        let flip = if t.initial {
            // aws-facts: §3: a newly registered target must pass one check; failing as many
            // as the unhealthy threshold makes it unhealthy.
            if ok {
                true
            } else {
                t.streak += 1;
                if t.streak >= h.unhealthy_threshold {
                    t.initial = false;
                    t.streak = 0;
                    let detail = t.name.clone();
                    self.events.push(now, "target_unhealthy", detail);
                }
                false
            }
        } else {
            // The streak counts results that disagree with the current state.
            if ok != t.healthy {
                t.streak += 1;
            } else {
                t.streak = 0;
            }
            if t.healthy {
                t.streak >= h.unhealthy_threshold
            } else {
                t.streak >= h.healthy_threshold
            }
        };
        let t = &mut self.targets[i];
        if flip {
            t.healthy = !t.healthy;
            t.initial = false;
            t.streak = 0;
            if t.healthy {
                t.healthy_since = Some(now);
            }
            let name = if t.healthy {
                "target_healthy"
            } else {
                "target_unhealthy"
            };
            let delta = if t.healthy { 1.0 } else { -1.0 };
            self.healthy.add(&self.clock, now, delta);
            let detail = t.name.clone();
            self.events.push(now, name, detail);
            self.eligible.iter_mut().for_each(|e| *e = None);
        }
        let t = &self.targets[i];
        if let (Some(g), false) = (&self.group, t.initial) {
            g.borrow_mut().set_health(t.instance, t.healthy);
        }
    }
}

impl Component for LoadBalancer {
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
                self.sync(now);
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
        let secs = c.measured_secs();
        let hours = secs / 3600.0;
        let kind = self.cfg.lb_type as usize;
        let gb = self.bytes as f64 / 1e9;
        let cost = if self.cfg.lb_type == LbType::Classic {
            HOURLY[kind] * hours + gb * CLB_PER_GB
        } else {
            let conn_rate = self.requests.total() as f64 / secs.max(1e-9);
            let lcu = (conn_rate / LCU_CONNECTIONS[kind]).max(gb / hours.max(1e-12));
            m.gauge("capacity_units_mean", lcu);
            HOURLY[kind] * hours + lcu * hours * PER_LCU_HOUR[kind]
        };
        m.gauge("cost_usd", cost);
        let mut series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&HEALTHY_TARGETS, self.healthy.mean_series(c)),
        ];
        if self.cfg.backend_connections.is_some() {
            series.push((&SURGE_QUEUE_SERIES, self.surge_level.mean_series(c)));
        }
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}
