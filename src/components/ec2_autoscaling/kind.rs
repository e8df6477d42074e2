//! What `ec2_autoscaling` declares about itself: its keys, series, summary fields, columns,
//! plot panels, events and faults, and the faults it reads.

use super::config::{self, AsgConfig, MAX_INSTANCES};
use super::{AutoScalingGroup, Fault};
use crate::components::kind::{
    Category, Column, EventInfo, FaultInfo, Kind, KindInfo, LatencySeries, Mark, PlotLine,
    PlotPanel, Series, Tone, Unit, ZoneOutage,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::{RawComponentTable, RawFault};
use crate::config::Checker;

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
pub(super) const REJECTED: Series = Series {
    id: "rejected_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 503, every worker thread busy and the queue full",
};
pub(super) const IN_SERVICE: Series = Series {
    id: "instances_in_service",
    unit: Unit::Number,
    about: "instances in service, time-averaged",
};
pub(super) const BOOTING: Series = Series {
    id: "instances_booting",
    unit: Unit::Number,
    about: "instances launched and not yet in service, time-averaged",
};
pub(super) const DESIRED: Series = Series {
    id: "desired",
    unit: Unit::Number,
    about: "the desired capacity, time-averaged",
};
pub(super) const CPU: Series = Series {
    id: "cpu_pct",
    unit: Unit::Percent,
    about: "CPU utilisation of the instances in service",
};
pub(super) const METRIC_CPU: Series = Series {
    id: "metric_cpu_pct",
    unit: Unit::Percent,
    about: "average CPU as CloudWatch reports it to the scaling policy",
};
pub(super) const METRIC_REQUESTS: Series = Series {
    id: "metric_requests_per_target",
    unit: Unit::Number,
    about: "requests per target per minute as CloudWatch reports them to the scaling policy",
};
pub(super) static RESPONSE: LatencySeries = LatencySeries {
    p50: Series {
        id: "response_p50_ms",
        unit: Unit::Milliseconds,
        about: "median time from arrival to answer",
    },
    p95: Series {
        id: "response_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the time from arrival to answer",
    },
    p99: Series {
        id: "response_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the time from arrival to answer",
    },
};

impl Kind for AsgConfig {
    const INFO: &'static KindInfo = &KindInfo {
        name: "ec2_autoscaling",
        title: "Amazon EC2 Auto Scaling",
        noun: "an Auto Scaling group",
        category: Category::Compute,
        about: "an Auto Scaling group of EC2 instances across zones: worker threads and CPU work per request, target tracking, step, simple and scheduled scaling as CloudWatch sees it, boot and warmup, health replacement, spot notices, cost by purchase option",
        keys: &[],
        faults: &[
            FaultInfo {
                name: "instance_failure",
                takes: "`target`, a component of kind \"ec2_autoscaling\", and optionally `count`",
                keys: &["target", "count"],
                about: "instances of the group stop answering; status or load-balancer health checks find and replace them",
            },
            FaultInfo {
                name: "spot_interruption",
                takes: "`target`, a component of kind \"ec2_autoscaling\", and `count` or `fraction`",
                keys: &["target", "count", "fraction"],
                about: "spot instances get their two-minute notice, then stop",
            },
        ],
        series: &[&REQUESTS, &REJECTED, &IN_SERVICE, &BOOTING, &DESIRED, &CPU, &METRIC_CPU, &METRIC_REQUESTS, &RESPONSE.p50, &RESPONSE.p95, &RESPONSE.p99],
        fields: &[],
        columns: &[
            Column {
                label: "CPU",
                field: "utilisation",
                unit: Unit::Share,
            },
            Column {
                label: "mean instances",
                field: "instances_mean",
                unit: Unit::Number,
            },
            Column {
                label: "max instances",
                field: "instances_max",
                unit: Unit::Number,
            },
            Column {
                label: "503 (threads full)",
                field: "rejected",
                unit: Unit::Count,
            },
            Column {
                label: "scale-outs",
                field: "scale_outs",
                unit: Unit::Count,
            },
            Column {
                label: "replacements",
                field: "replacements",
                unit: Unit::Count,
            },
            Column {
                label: "spot interruptions",
                field: "spot_interruptions",
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
                axis: "instances",
                lines: &[
                    PlotLine {
                        series: &DESIRED,
                        label: "desired",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &IN_SERVICE,
                        label: "in service",
                        tone: Tone::Good,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &BOOTING,
                        label: "booting",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "CPU [%]",
                lines: &[
                    PlotLine {
                        series: &CPU,
                        label: "actual",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &METRIC_CPU,
                        label: "CloudWatch, as a policy sees it",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: Some(105.0),
            },
            PlotPanel {
                axis: "requests per target per minute",
                lines: &[
                    PlotLine {
                        series: &METRIC_REQUESTS,
                        label: "CloudWatch, as a policy sees it",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "per second",
                lines: &[
                    PlotLine {
                        series: &REQUESTS,
                        label: "requests",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &REJECTED,
                        label: "rejected (503)",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
        ],
        events: &[
            EventInfo {
                event: "launch",
                mark: Mark::Hidden,
            },
            EventInfo {
                event: "in_service",
                mark: Mark::Hidden,
            },
            EventInfo {
                event: "draining",
                mark: Mark::Hidden,
            },
            EventInfo {
                event: "terminated",
                mark: Mark::Hidden,
            },
            EventInfo {
                event: "scale_out",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "scale_in",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "scheduled_action",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "spot_notice",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "instance_failed",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "rebalance",
                mark: Mark::Instant,
            },
        ],
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn spans_zones(&self) -> bool {
        true
    }

    fn zones(&self) -> Vec<&str> {
        self.zones.iter().flatten().map(String::as_str).collect()
    }

    /// A group loses its instances in the zone and launches elsewhere until it is back.
    fn zone_outage(&self, zone: &str, _az: Option<&str>) -> ZoneOutage {
        match self.zones.iter().position(|z| z.as_deref() == Some(zone)) {
            Some(z) => ZoneOutage::Told(Fault::ZoneOutage { zone: z }.code()),
            None => ZoneOutage::Unaffected,
        }
    }

    fn is_fleet(&self) -> bool {
        true
    }

    fn parse_fault(&self, fault: &str, f: &RawFault, ck: &mut Checker) -> Option<(u32, String)> {
        if fault == "instance_failure" {
            let count = ck.int_or(&f.count, "count", (1, MAX_INSTANCES), 1)? as u32;
            return Some((
                Fault::InstanceFailure { count }.code(),
                format!(" x{count}"),
            ));
        }
        match (&f.count, &f.fraction) {
            (Some(c), None) => {
                let count = ck.int_in(c, "count", 1, MAX_INSTANCES)? as u32;
                Some((Fault::SpotCount { count }.code(), format!(" x{count}")))
            }
            (None, Some(x)) if *x.get_ref() > 0.0 && *x.get_ref() <= 1.0 => {
                let permille = (x.get_ref() * 1000.0).round() as u32;
                Some((
                    Fault::SpotShare { permille }.code(),
                    format!(" {:.0}%", x.get_ref() * 100.0),
                ))
            }
            (None, Some(x)) => {
                ck.error(x.span(), format!("`fraction` is the share of the group's spot instances interrupted, above 0 and at most 1, not {}", x.get_ref()));
                None
            }
            (Some(c), Some(_)) => {
                ck.error(c.span(), "a fault of kind \"spot_interruption\" takes either `count` (instances) or `fraction` (of the spot instances), not both");
                None
            }
            (None, None) => {
                ck.error(f.kind.span(), "a fault of kind \"spot_interruption\" needs either `count` (instances) or `fraction` (of the spot instances)");
                None
            }
        }
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let _ = (index, shared);
        Box::new(AutoScalingGroup::new(
            self.clone(),
            env,
            shared.target_groups[index]
                .clone()
                .expect("every Auto Scaling group has a target group"),
        ))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }
}
