//! What `load_balancer` declares about itself: its keys, series, summary fields, columns, plot
//! panels and events, and its ties to an Auto Scaling group behind it.

use super::config::{
    self, LbConfig, ALGORITHMS, MAX_BACKEND_CONNECTIONS, PROBE_PATHS, PROTOCOLS, THRESHOLDS, TYPES,
};
use crate::components::iac::{
    clamp, int, number, seconds, string, Dialect, Downstream, Imports, Mapped, Resource,
    ResourceMap,
};
use crate::components::kind::{
    Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, Mark, PlotLine, PlotPanel,
    Relations, Series, Tone, Unit, ZoneOutage,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::kernel::SimTime;

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
pub(super) const HEALTHY_TARGETS: Series = Series {
    id: "healthy_targets",
    unit: Unit::Number,
    about: "targets passing health checks, time-averaged",
};
pub(super) const SURGE_QUEUE: Series = Series {
    id: "surge_queue",
    unit: Unit::Number,
    about: "requests in a classic load balancer’s surge queue, time-averaged",
};

impl Kind for LbConfig {
    // aws-facts: §20 VPC: its network interfaces sit in a VPC, guarded by security groups.
    const IN_VPC: bool = true;
    const INFO: &'static KindInfo = &KindInfo {
        name: "load_balancer",
        title: "Elastic Load Balancing",
        noun: "a load balancer",
        category: Category::Networking,
        about: "an application, network or classic load balancer over targets or an Auto Scaling group: routing, health checks, idle timeout, cross-zone, deregistration delay, slow start and the classic surge queue",
        keys: &[
            Key {
                name: "type",
                ty: KeyType::Word(TYPES),
                required: false,
                about: "application (ALB), network (NLB) or classic (CLB); it sets the defaults of the other keys (default application)",
            },
            Key {
                name: "targets",
                ty: KeyType::Ids,
                required: true,
                about: "the components it routes to, or one Auto Scaling group whose registered instances it routes to",
            },
            Key {
                name: "algorithm",
                ty: KeyType::Word(ALGORITHMS),
                required: false,
                about: "how a node picks a target: round_robin or least_outstanding; a network load balancer takes none, it hashes flows (default: round_robin for ALB, least_outstanding for CLB)",
            },
            Key {
                name: "idle_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "time a target has to answer before the request gets 504 (NLB: its connection reset, 599), longer than zero (default 60s; 350s for NLB)",
            },
            Key {
                name: "cross_zone",
                ty: KeyType::Bool,
                required: false,
                about: "whether each zone's node routes to targets in every zone rather than only its own (default: true for ALB, false for NLB and CLB)",
            },
            Key {
                name: "health_check",
                ty: KeyType::Table(&[
                    Key {
                        name: "interval",
                        ty: KeyType::Duration,
                        required: false,
                        about: "time between two rounds of probes, 5s to 300s (default 30s)",
                    },
                    Key {
                        name: "timeout",
                        ty: KeyType::Duration,
                        required: false,
                        about: "time a probe waits for its answer before it counts as failed, 2s to 120s and shorter than the interval (default 5s; NLB 10s over TCP, 6s over HTTP)",
                    },
                    Key {
                        name: "healthy_threshold",
                        ty: KeyType::Integer {
                            min: THRESHOLDS.0,
                            max: THRESHOLDS.1,
                        },
                        required: false,
                        about: "successful probes in a row that make an unhealthy target healthy (default 5; 10 for CLB)",
                    },
                    Key {
                        name: "unhealthy_threshold",
                        ty: KeyType::Integer {
                            min: THRESHOLDS.0,
                            max: THRESHOLDS.1,
                        },
                        required: false,
                        about: "failed probes in a row that make a healthy target unhealthy (default 2)",
                    },
                    Key {
                        name: "path",
                        ty: KeyType::Word(PROBE_PATHS),
                        required: false,
                        about: "deep: a probe takes the target's whole request path (its work and calls); shallow: a target that is up answers at once; not with an NLB's TCP checks (default deep)",
                    },
                    Key {
                        name: "protocol",
                        ty: KeyType::Word(PROTOCOLS),
                        required: false,
                        about: "network only: tcp (a probe opens a connection, which a target that is up accepts at once; timeout 10s) or http (a probe takes `path`; timeout 6s) (default tcp)",
                    },
                ]),
                required: false,
                about: "how targets' health is checked (default: every 30s, timeout 5s, healthy after 5 successes, 10 for CLB, unhealthy after 2 failures, deep; NLB over TCP, timeout 10s; Lambda targets are not checked without this table, and with it every 35s, timeout 30s)",
            },
            Key {
                name: "backend_connections",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_BACKEND_CONNECTIONS,
                },
                required: false,
                about: "classic only: requests in flight per target [connections], beyond which requests wait in the surge queue of 1,024 and the rest get 503 (default: no limit)",
            },
            Key {
                name: "deregistration_delay",
                ty: KeyType::Duration,
                required: false,
                about: "time a target an Auto Scaling group deregisters keeps serving its requests in flight, at most 3600s (default 300s)",
            },
            Key {
                name: "slow_start",
                ty: KeyType::Duration,
                required: false,
                about: "time over which a newly healthy target's share of requests ramps up linearly, 30s to 900s or 0s for off; an application load balancer's only, not with least_outstanding (default 0s)",
            },
            Key {
                name: "dns_ttl",
                ty: KeyType::Duration,
                required: false,
                about: "how long clients keep sending to a zone's node after DNS drops it (no healthy target behind it, or its zone out): their cached answers expire uniformly over this (default 60s, the load balancer's DNS TTL)",
            },
            Key {
                name: "lost_node_detection",
                ty: KeyType::Duration,
                required: false,
                about: "how long after an `az_outage` its node in that zone leaves DNS; until then every client sent there, and after it those whose cached answer is older, get no answer and wait for their timeout (AWS does not say: default 0s, at once)",
            },
            Key {
                name: "requests_per_connection",
                ty: KeyType::Integer { min: 1, max: super::config::MAX_REQUESTS_PER_CONNECTION },
                required: false,
                about: "requests a client connection carries, for the capacity units billed for new connections (ALB 25 a second per LCU, NLB 800 per NLCU; a classic load balancer bills per GB): clients' keep-alive, which AWS does not set (default 1, no keep-alive: the most units, an upper bound; above 1 no longer one, as active connections, not counted, may then set the bill)",
            },
        ],
        faults: &[],
        series: &[&REQUESTS, &HEALTHY_TARGETS, &SURGE_QUEUE],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests received in the measured period",
            },
            crate::components::kind::BY_STATUS,
            Field {
                path: "idle_timeouts",
                unit: Unit::Count,
                about: "requests answered 504 (NLB: reset), their target slower than the idle timeout",
            },
            Field {
                path: "lost_node_requests",
                unit: Unit::Count,
                about: "requests sent to its node in a zone that was out (an `az_outage`), by clients that still resolved it: unanswered, they ended in the client's timeout (reported when a zone's outage reached a node)",
            },
            Field {
                path: "dns_stale_requests",
                unit: Unit::Count,
                about: "requests sent to a zone's node after DNS dropped it, by clients whose cached answer still named it",
            },
            Field {
                path: "passive_unhealthy",
                unit: Unit::Count,
                about: "network: times its passive health checks took a target out of rotation, a connection to it having failed, until an active check passed",
            },
            Field {
                path: "connections_reset",
                unit: Unit::Count,
                about: "network: client connections it reset (no HTTP status of its own): idle timeout, target turned unhealthy, or no target to route to",
            },
            Field {
                path: "slow_start_requests",
                unit: Unit::Count,
                about: "requests sent to a target still in its slow start, when slow start is on",
            },
            Field {
                path: "spillover",
                unit: Unit::Count,
                about: "classic with back-end connections: requests refused with 503, the surge queue being full",
            },
            Field {
                path: "surge_queue_mean",
                unit: Unit::Number,
                about: "classic with back-end connections: requests in the surge queue, time-averaged",
            },
            Field {
                path: "surge_queue_max",
                unit: Unit::Number,
                about: "classic with back-end connections: the most requests in the surge queue at once",
            },
            Field {
                path: "healthy_targets_mean",
                unit: Unit::Number,
                about: "targets passing health checks, time-averaged",
            },
            Field {
                path: "targets",
                unit: Unit::Number,
                about: "targets at the end of the run, deregistered ones left out",
            },
            Field {
                path: "capacity_units_mean",
                unit: Unit::Number,
                about: "application and network: capacity units billed per hour (LCU, NLCU), the larger of new connections (requests over `requests_per_connection`, 1 by default: an upper bound) and processed bytes; active connections and rule evaluations not counted",
            },
            crate::components::kind::RESPONSE_MS,
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "its price over the measured period: hours, and capacity units (see capacity_units_mean) or (classic) processed GB",
            },
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "mean healthy targets",
                field: "healthy_targets_mean",
                unit: Unit::Number,
            },
            Column {
                label: "idle timeouts (504; NLB: reset)",
                field: "idle_timeouts",
                unit: Unit::Count,
            },
            Column {
                label: "spillover (503)",
                field: "spillover",
                unit: Unit::Count,
            },
            // Often the largest cause of a zone outage's failures (clients still resolving
            // the lost node time out): shown where the timeouts are counted, not left to
            // summary.json alone.
            Column {
                label: "sent to a lost zone's node (no answer)",
                field: "lost_node_requests",
                unit: Unit::Count,
            },
            crate::components::kind::LATE_REPLIES_COLUMN,
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "requests/s",
                lines: &[PlotLine {
                    series: &REQUESTS,
                    label: "received",
                    tone: Tone::Offered,
                    scale: 1.0,
                }],
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
                        series: &SURGE_QUEUE,
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
            EventInfo {
                event: "passive_unhealthy",
                mark: Mark::Instant,
            },
        ],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[
            ResourceMap {
                cloudformation: &[
                    "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    "AWS::ElasticLoadBalancing::LoadBalancer",
                ],
                terraform: &["aws_lb", "aws_alb", "aws_elb"],
                map: import_load_balancer,
            },
            ResourceMap {
                cloudformation: &[
                    "AWS::ElasticLoadBalancingV2::Listener",
                    "AWS::ElasticLoadBalancingV2::ListenerRule",
                ],
                terraform: &[
                    "aws_lb_listener",
                    "aws_alb_listener",
                    "aws_lb_listener_rule",
                    "aws_alb_listener_rule",
                ],
                map: import_listener,
            },
            ResourceMap {
                cloudformation: &["AWS::ElasticLoadBalancingV2::TargetGroup"],
                terraform: &[
                    "aws_lb_target_group",
                    "aws_alb_target_group",
                    "aws_lb_target_group_attachment",
                    "aws_autoscaling_attachment",
                ],
                map: import_target_group,
            },
        ],
        companions: &[],
        downstream: Downstream::Many("targets"),
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    /// In a zone of its own (`az`), it is down with it. Else it has a node in each of its
    /// targets' zones, and an outage there takes that node: the running load balancer is
    /// told which (the node's number is the fault's code), its clients' DNS then leaves it.
    fn zone_outage(&self, zone: &str, az: Option<&str>) -> ZoneOutage {
        if az.is_some() {
            return if az == Some(zone) {
                ZoneOutage::Down
            } else {
                ZoneOutage::Unaffected
            };
        }
        match self
            .node_zones
            .iter()
            .position(|z| z.as_deref() == Some(zone))
        {
            Some(node) if self.node_zones.len() > 1 => ZoneOutage::Told(node as u32),
            _ => ZoneOutage::Unaffected,
        }
    }

    /// A fleet (an Auto Scaling group) behind a load balancer must be its only target, and
    /// is behind no other: the two share the group's one target group.
    fn relate(&mut self, me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        let mut ok = true;
        rel.application_lb[me] = self.lb_type == super::config::LbType::Application;
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
        // Its nodes, numbered as the running load balancer numbers them: one per zone of
        // the group, or of its targets (those in no zone sharing one).
        self.node_zones = if self.group_target {
            let zones = &rel.zone_lists[self.calls[0].to];
            if zones.is_empty() {
                vec![None]
            } else {
                zones.iter().cloned().map(Some).collect()
            }
        } else {
            let mut zones: Vec<Option<String>> =
                self.calls.iter().map(|c| rel.azs[c.to].clone()).collect();
            zones.sort();
            zones.dedup();
            zones
        };
        // aws-facts: §3 health checks: a Lambda target group is not checked unless asked
        // (CreateTargetGroup `HealthCheckEnabled`: "If the target type is lambda, health
        // checks are disabled by default"); when it is, every 35 s with a 30 s timeout.
        let lambda = <crate::components::lambda::LambdaConfig as Kind>::INFO.name;
        if self
            .calls
            .iter()
            .all(|c| rel.kinds.get(c.to) == Some(&lambda))
        {
            let h = &mut self.health;
            match h.written {
                None => h.enabled = false,
                Some((interval, timeout)) => {
                    if !interval {
                        h.interval = SimTime::from_secs(35);
                    }
                    if !timeout {
                        h.timeout = SimTime::from_secs(30);
                    }
                }
            }
        }
        // The one comparison of timeout and interval, each said to be its default when it
        // is, at the one written (the timeout's, else the interval's, else the targets).
        let h = &self.health;
        if h.enabled && h.timeout >= h.interval {
            let default = |written: bool| if written { "" } else { ", its default" };
            let (interval_written, timeout_written) = h.written.unwrap_or((false, false));
            ck.error(
                h.timeout_span
                    .clone()
                    .or_else(|| h.interval_span.clone())
                    .unwrap_or_else(|| self.target_spans[0].clone()),
                format!(
                    "`health_check.timeout` ({}{}) must be shorter than its interval ({}{}): a longer `interval` or a shorter `timeout`",
                    h.timeout,
                    default(timeout_written),
                    h.interval,
                    default(interval_written),
                ),
            );
            ok = false;
        }
        ok
    }

    fn fronts(&self) -> Option<(usize, SimTime)> {
        self.group_target
            .then(|| (self.calls[0].to, self.deregistration_delay))
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let group = self
            .calls
            .first()
            .and_then(|t| shared.target_groups[t.to].clone());
        Box::new(super::LoadBalancer::new(self.clone(), env, group))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn routes_to_one(&self) -> bool {
        true
    }

    /// A round of health checks at the start and every interval until the end; none when
    /// its targets are not checked (a Lambda target group unless asked).
    fn probes(&self, duration: SimTime) -> f64 {
        if !self.health.enabled {
            return 0.0;
        }
        (duration.as_secs_f64() / self.health.interval.as_secs_f64()).ceil()
    }
}

// What `archsim import` makes of a template's load balancers. A listener ties a load
// balancer to its target groups; a target group's settings are the load balancer's keys,
// and what is registered in it (an Auto Scaling group, instances, a function) its targets.

/// A load balancer: its type, idle timeout and cross-zone setting.
fn import_load_balancer(r: &Resource<'_>, m: &mut Mapped) {
    let classic = matches!(
        r.kind,
        "AWS::ElasticLoadBalancing::LoadBalancer" | "aws_elb"
    );
    let ty = if classic {
        "classic"
    } else {
        match r.text("Type").or_else(|| r.text("load_balancer_type")) {
            Some("network") => "network",
            Some("gateway") => {
                m.note(format!(
                    "{} is a Gateway Load Balancer: simulated as a network one",
                    r.name
                ));
                "network"
            }
            _ => "application",
        }
    };
    m.set("type", string(ty), format!("{}'s type", r.name));
    let mut idle = r
        .num("ConnectionSettings.IdleTimeout")
        .or_else(|| r.num("idle_timeout"));
    let mut cross = r
        .flag("CrossZone")
        .or_else(|| r.flag("enable_cross_zone_load_balancing"))
        .or_else(|| r.flag("cross_zone_load_balancing"));
    for (key, value) in attributes(r, "LoadBalancerAttributes") {
        match key.as_str() {
            "idle_timeout.timeout_seconds" => idle = number(&value),
            "load_balancing.cross_zone.enabled" => {
                cross = value.as_str().and_then(|v| v.parse().ok())
            }
            _ => {}
        }
    }
    // aws-facts: §3 ELB: idle timeouts ALB 1–4000 s, CLB 1–3600 s, NLB 60–6000 s.
    if let Some(t) = idle {
        let t = clamp(t, 1.0, 6000.0, "idle timeout", m);
        m.set("idle_timeout", seconds(t), "idle timeout");
    }
    if let Some(c) = cross {
        m.set("cross_zone", c, "cross-zone load balancing");
    }
}

/// A CloudFormation resource's `[{Key, Value}]` attributes.
fn attributes(r: &Resource<'_>, path: &str) -> Vec<(String, serde_json::Value)> {
    let Some(serde_json::Value::Array(list)) = r.get(path) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|a| Some((a.get("Key")?.as_str()?.to_string(), a.get("Value")?.clone())))
        .collect()
}

/// A listener (or a listener's rule): the target groups it forwards to, whose settings and
/// targets become the load balancer's.
fn import_listener(r: &Resource<'_>, m: &mut Mapped) {
    let lb = match r.refs("LoadBalancerArn").into_iter().next() {
        Some(lb) => Some(lb),
        None => r.refs("load_balancer_arn").into_iter().next(),
    };
    // A rule names its listener, which names the load balancer.
    let lb = lb.or_else(|| {
        let listener = r
            .refs("ListenerArn")
            .into_iter()
            .chain(r.refs("listener_arn"))
            .next()?;
        let l = r.other(&listener)?;
        l.refs("LoadBalancerArn")
            .into_iter()
            .chain(l.refs("load_balancer_arn"))
            .next()
    });
    let Some(lb) = lb else {
        m.note(format!("{} names no load balancer of the template", r.name));
        return;
    };
    m.part_of = Some(lb);
    // A rule forwards only the requests its conditions match (a path, a host); archsim's
    // load balancer sends every request alike to all its targets. So a rule's targets are
    // written only where no listener's default action forwards to any (a default that
    // answers 404 itself, or forwards to tasks archsim does not simulate): then the rules
    // are where the requests go, spread evenly, which the note says.
    let rule = matches!(
        r.kind,
        "AWS::ElasticLoadBalancingV2::ListenerRule"
            | "aws_lb_listener_rule"
            | "aws_alb_listener_rule"
    );
    // Targets of a type the import maps (an EC2 instance it does not map is no target).
    let defaults_forward = |l: &Resource<'_>| {
        ["DefaultActions", "default_action"]
            .iter()
            .flat_map(|k| l.refs(k))
            .filter_map(|tg| l.other(&tg))
            .any(|g| {
                registered(&g)
                    .iter()
                    .any(|t| crate::components::iac::mapped(l, t))
            })
    };
    if rule {
        let listener = r
            .refs("ListenerArn")
            .into_iter()
            .chain(r.refs("listener_arn"))
            .next()
            .and_then(|l| r.other(&l));
        let groups: Vec<String> = ["Actions", "action"]
            .iter()
            .flat_map(|k| r.refs(k))
            .collect();
        if listener.as_ref().is_some_and(defaults_forward) {
            for tg in groups {
                m.note(format!(
                    "{} forwards the requests its conditions match to target group {tg}; archsim's load balancer sends every request alike to its targets, so only the listener's default targets are written: give {tg}'s targets a workload of their own to study them",
                    r.name
                ));
            }
            return;
        }
        if !groups.is_empty() {
            m.note(format!(
                "{} forwards the requests its conditions match, and the listener's default action forwards to no simulated target: its targets are written, and archsim's load balancer spreads every request over them alike",
                r.name
            ));
        }
    }
    for tg in ["DefaultActions", "Actions", "default_action", "action"]
        .iter()
        .flat_map(|k| r.refs(k))
    {
        let Some(group) = r.other(&tg) else { continue };
        target_group_settings(&group, m);
        let targets = registered(&group);
        if targets.is_empty() {
            if let Some(tasks) = ecs_services(&group).first() {
                m.note(format!(
                    "target group {tg}'s targets are the tasks of ECS service {tasks}, which archsim does not simulate: the requests {} forwards there go nowhere here",
                    r.name
                ));
            }
        }
        for t in targets {
            m.edge(
                None,
                t,
                format!("registered in target group {tg}, which the listener forwards to"),
            );
        }
    }
}

/// The ECS services that register their tasks in a target group (`LoadBalancers`'
/// `TargetGroupArn`, Terraform's `load_balancer.target_group_arn`): targets archsim does
/// not simulate.
fn ecs_services(group: &Resource<'_>) -> Vec<String> {
    group
        .others()
        .filter(|r| matches!(r.kind, "AWS::ECS::Service" | "aws_ecs_service"))
        .filter(|r| {
            ["LoadBalancers", "load_balancer"]
                .iter()
                .any(|k| r.refs(k).iter().any(|n| n == group.name))
        })
        .map(|r| r.name.to_string())
        .collect()
}

/// What is registered in a target group: the Auto Scaling groups that name it, and its
/// targets by id.
fn registered(group: &Resource<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for t in group.refs("Targets") {
        out.push(t);
    }
    for r in group.others() {
        let names_it = |path: &str| r.refs(path).iter().any(|n| n == group.name);
        let found = match r.kind {
            "AWS::AutoScaling::AutoScalingGroup" | "aws_autoscaling_group" => {
                names_it("TargetGroupARNs") || names_it("target_group_arns")
            }
            _ => false,
        };
        if found {
            out.push(r.name.to_string());
        }
        // Terraform attaches by a resource of its own.
        if names_it("target_group_arn") {
            out.extend(r.refs("target_id"));
        }
        if names_it("lb_target_group_arn") {
            out.extend(r.refs("autoscaling_group_name"));
        }
    }
    out
}

/// A target group's health check, deregistration delay, slow start and algorithm, as the
/// load balancer's keys.
fn target_group_settings(g: &Resource<'_>, m: &mut Mapped) {
    let cf = g.dialect == Dialect::CloudFormation;
    let keys = if cf {
        [
            "HealthCheckIntervalSeconds",
            "HealthCheckTimeoutSeconds",
            "HealthyThresholdCount",
            "UnhealthyThresholdCount",
        ]
    } else {
        [
            "health_check.interval",
            "health_check.timeout",
            "health_check.healthy_threshold",
            "health_check.unhealthy_threshold",
        ]
    };
    let [interval, timeout, healthy, unhealthy] = keys.map(|k| g.num(k));
    let mut hc = toml::Table::new();
    // aws-facts: §3 ELB health checks: interval 5–300 s, timeout 2–120 s, thresholds 2–10;
    // the timeout must be shorter than the interval.
    match (interval, timeout) {
        (Some(i), Some(t)) if t >= i => m.note(format!(
            "{}'s health-check timeout {t} s is not shorter than its interval {i} s: both left at their defaults",
            g.name
        )),
        _ => {
            if let Some(i) = interval {
                hc.insert("interval".into(), seconds(clamp(i, 5.0, 300.0, "health-check interval", m)));
            }
            if let Some(t) = timeout {
                hc.insert("timeout".into(), seconds(clamp(t, 2.0, 120.0, "health-check timeout", m)));
            }
        }
    }
    for (key, n) in [
        ("healthy_threshold", healthy),
        ("unhealthy_threshold", unhealthy),
    ] {
        if let Some(n) = n {
            hc.insert(key.into(), int(clamp(n, 2.0, 10.0, key, m)));
        }
    }
    // The path a check asks says whether it answers from the instance alone or checks
    // what the instance depends on: the template cannot tell which, so it is said.
    let path = g.text(if cf {
        "HealthCheckPath"
    } else {
        "health_check.path"
    });
    if let Some(path) = path {
        let shown: String = path.chars().take(60).collect();
        let cut = if shown.len() < path.len() { "…" } else { "" };
        m.note(format!(
            "target group {}'s health check asks {shown}{cut}: whether that answers from the instance alone or checks what it depends on is not in the template; `health_check.path` is \"deep\" (a probe takes the target's whole request path) unless you set \"shallow\"",
            g.name
        ));
    }
    // A Lambda target group is checked only when enabled (aws-facts §3): an empty table
    // asks for checks at the defaults.
    let enabled = g
        .flag("HealthCheckEnabled")
        .or_else(|| g.flag("health_check.enabled"));
    if !hc.is_empty() || enabled == Some(true) {
        m.set(
            "health_check",
            toml::Value::Table(hc),
            format!("target group {}'s health check", g.name),
        );
    }
    let mut delay = g.num("deregistration_delay");
    let mut slow = g.num("slow_start");
    let mut algorithm = g.text("load_balancing_algorithm_type").map(str::to_string);
    for (key, value) in attributes(g, "TargetGroupAttributes") {
        match key.as_str() {
            "deregistration_delay.timeout_seconds" => delay = number(&value),
            "slow_start.duration_seconds" => slow = number(&value),
            "load_balancing.algorithm.type" => algorithm = value.as_str().map(str::to_string),
            _ => {}
        }
    }
    if let Some(d) = delay {
        let d = clamp(d, 0.0, 3600.0, "deregistration delay", m);
        m.set(
            "deregistration_delay",
            seconds(d),
            format!("target group {}", g.name),
        );
    }
    let least = algorithm.as_deref() == Some("least_outstanding_requests");
    match slow.filter(|s| *s > 0.0) {
        // aws-facts: §3 target-group settings: slow start is not allowed with least
        // outstanding requests; AWS refuses the pair, so the template would not deploy as
        // written. The algorithm is kept (it decides every request), the ramp left out.
        Some(s) if least => m.note(format!(
            "target group {}'s slow start ({s} s) is left out: AWS refuses slow start with least outstanding requests (aws-facts §3), so this template would not deploy as written; the least-outstanding algorithm is kept",
            g.name
        )),
        Some(s) => {
            let s = clamp(s, 30.0, 900.0, "slow start", m);
            m.set("slow_start", seconds(s), format!("target group {}", g.name));
        }
        None => {}
    }
    match algorithm.as_deref() {
        Some("least_outstanding_requests") => m.set(
            "algorithm",
            string("least_outstanding"),
            format!("target group {}", g.name),
        ),
        Some("round_robin") | None => {}
        Some(other) => m.note(format!(
            "target group {}'s algorithm {other} is simulated as round robin",
            g.name
        )),
    }
}

/// A target group (or a Terraform attachment): read with the listener that forwards to it.
fn import_target_group(_r: &Resource<'_>, m: &mut Mapped) {
    m.folded = true;
}
