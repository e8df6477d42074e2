//! What `load_balancer` declares about itself: its keys, series, summary fields, columns, plot
//! panels and events, and its ties to an Auto Scaling group behind it.

use super::config::{
    self, LbConfig, ALGORITHMS, MAX_BACKEND_CONNECTIONS, PROBE_PATHS, PROTOCOLS, THRESHOLDS, TYPES,
};
use crate::components::kind::{
    Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, Mark, PlotLine, PlotPanel,
    Relations, Series, Tone, Unit,
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
                        about: "time between two rounds of probes, longer than zero (default 30s)",
                    },
                    Key {
                        name: "timeout",
                        ty: KeyType::Duration,
                        required: false,
                        about: "time a probe waits for its answer before it counts as failed, shorter than the interval (default 5s; NLB 10s over TCP, 6s over HTTP)",
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
                about: "how targets' health is checked (default: every 30s, timeout 5s, healthy after 5 successes, 10 for CLB, unhealthy after 2 failures, deep; NLB over TCP, timeout 10s)",
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
                about: "time over which a newly healthy target's share of requests ramps up linearly, 30s to 900s or 0s for off; not with least_outstanding (default 0s)",
            },
            Key {
                name: "dns_ttl",
                ty: KeyType::Duration,
                required: false,
                about: "how long clients keep sending to a zone's node after DNS drops it (no healthy target behind it): their cached answers expire uniformly over this (default 60s, the load balancer's DNS TTL)",
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
                about: "application and network: capacity units billed per hour (LCU, NLCU), from new connections (one per request) or processed bytes",
            },
            crate::components::kind::RESPONSE_MS,
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "its price over the measured period: hours, and capacity units or (classic) processed GB",
            },
            crate::components::kind::LATE_REPLIES,
        ],
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

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
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
}
