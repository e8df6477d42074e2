//! What `ec2_autoscaling` declares about itself: its keys, series, summary fields, columns,
//! plot panels, events and faults, and the faults it reads.

use super::config::{self, AsgConfig, MAX_DATAPOINTS, MAX_INSTANCES, MAX_QUEUE, MAX_THREADS};
use super::{AutoScalingGroup, Fault};
use crate::components::iac::{
    clamp, int, seconds, string, Dialect, Downstream, Imports, Mapped, Resource, ResourceMap,
};
use crate::components::kind::{
    Category, Column, EventInfo, FaultInfo, Field, Key, KeyType, Kind, KindInfo, LatencySeries,
    Mark, PlotLine, PlotPanel, Relations, Series, Tone, Unit, Unplaced, ZoneOutage,
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

/// The keys of an `ec2_autoscaling` table.
const KEYS: &[Key] = &[
    Key {
        name: "instance_type",
        ty: KeyType::Choice(crate::components::instance_types::ec2_names),
        required: true,
        about: "the EC2 instance type, such as \"m5.large\": its vCPUs, speed per vCPU and on-demand price",
    },
    Key {
        name: "zones",
        ty: KeyType::Words,
        required: false,
        about: "the zones the group launches into, each once, kept balanced (default: one zone, unnamed)",
    },
    Key {
        name: "min",
        ty: KeyType::Integer {
            min: 0,
            max: MAX_INSTANCES,
        },
        required: false,
        about: "the fewest instances (default 1)",
    },
    Key {
        name: "max",
        ty: KeyType::Integer {
            min: 0,
            max: MAX_INSTANCES,
        },
        required: false,
        about: "the most instances, at least 1 and at least `min` (default: 1, or `min` if larger)",
    },
    Key {
        name: "desired",
        ty: KeyType::Integer {
            min: 0,
            max: MAX_INSTANCES,
        },
        required: false,
        about: "instances at the start, from `min` to `max` (default `min`)",
    },
    Key {
        name: "market",
        ty: KeyType::Word(&["on_demand", "spot", "reserved"]),
        required: false,
        about: "how instances are bought: on_demand, spot (35 % of the on-demand price, two-minute interruption notices) or reserved (63 %, one year) (default on_demand)",
    },
    Key {
        name: "on_demand_base",
        ty: KeyType::Integer {
            min: 0,
            max: MAX_INSTANCES,
        },
        required: false,
        about: "with market = \"spot\": instances launched on demand before spot ones (default 0)",
    },
    Key {
        name: "spot_price",
        ty: KeyType::Number {
            min: 0.0,
            max: f64::MAX,
        },
        required: false,
        about: "the price of a spot instance in USD per hour, above 0 (default 35 % of the on-demand price)",
    },
    Key {
        name: "work",
        ty: KeyType::TimeDist,
        required: true,
        about: "CPU time a request needs on one m5 vCPU, divided by the instance type's speed",
    },
    Key {
        name: "threads",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_THREADS,
        },
        required: false,
        about: "worker threads per instance: requests it holds at once, through their CPU work and calls (default 200)",
    },
    Key {
        name: "queue",
        ty: KeyType::Integer {
            min: 0,
            max: MAX_QUEUE,
        },
        required: false,
        about: "requests per instance that may wait for a thread; beyond them it answers 503 (default 100)",
    },
    Key {
        name: "boot_time",
        ty: KeyType::TimeDist,
        required: false,
        about: "time from launch to in service (default uniform from 40 s to 90 s)",
    },
    Key {
        name: "warmup",
        ty: KeyType::Duration,
        required: false,
        about: "instance warmup (the group's default instance warmup): how long a new instance is left out of the metric and the capacity target tracking and step scaling count; 0 s turns it off (default: unset, and then target tracking and step policies fall back to the default cooldown, 300 s; simple scaling uses none)",
    },
    Key {
        name: "monitoring",
        ty: KeyType::Word(&["basic", "detailed"]),
        required: false,
        about: "the CloudWatch period of EC2's own metrics, which a cpu policy sees: basic 5 minutes, detailed 1 minute (requests_per_target, the load balancer's, is always 1 minute); not with a target tracking `scaling.period` (default basic)",
    },
    Key {
        name: "metric_delay",
        ty: KeyType::Duration,
        required: false,
        about: "time from a period's end until its datapoint reaches the policy (default 60 s; with a target tracking `scaling.period` below a minute, that period)",
    },
    Key {
        name: "scaling",
        ty: KeyType::Table(SCALING_KEYS),
        required: false,
        about: "the dynamic scaling policy: target tracking, step or simple, on CPU or requests per target (default: none)",
    },
    Key {
        name: "schedule",
        ty: KeyType::Tables(SCHEDULE_KEYS),
        required: false,
        about: "scheduled actions, each setting the group's `min`, `max` or `desired` at a time (default: none)",
    },
    Key {
        name: "health_check_type",
        ty: KeyType::Word(&["ec2", "elb"]),
        required: false,
        about: "whose checks the group replaces instances on: ec2 (the status checks, two minutes) or elb (the load balancer's too) (default ec2)",
    },
    Key {
        name: "health_check_grace_period",
        ty: KeyType::Duration,
        required: false,
        about: "time after an instance comes into service before the group acts on its health checks (the status checks' and, with health_check_type = \"elb\", the load balancer's); over at once for the instances the run starts with, which stand for a fleet long in service (default 300 s)",
    },
    Key {
        name: "capacity_rebalance",
        ty: KeyType::Bool,
        required: false,
        about: "on a spot interruption notice, launch a replacement at once and drain the instance at risk when the replacement is in service (or at the notice's end, if sooner): launch before terminate, as AWS does, going over `max` by at most 10 % of the desired capacity (one instance at least) (default false)",
    },
    Key {
        name: "calls",
        ty: KeyType::Calls,
        required: false,
        about: "downstream calls, made in turn after the request's CPU work, holding its thread but no vCPU",
    },
];

/// The keys of `scaling`: the union of the policies' keys, each saying which takes it.
const SCALING_KEYS: &[Key] = &[
    Key {
        name: "policy",
        ty: KeyType::Word(&["target_tracking", "step", "simple"]),
        required: true,
        about: "target_tracking (keeps the metric at `target`), step (adds by `steps`) or simple (adds `add`, then waits out `cooldown`)",
    },
    Key {
        name: "metric",
        ty: KeyType::Word(&["cpu", "requests_per_target"]),
        required: false,
        about: "what the policy watches: cpu (average CPU, percent) or requests_per_target (requests per instance per minute) (default cpu)",
    },
    Key {
        name: "target",
        ty: KeyType::Number {
            min: 0.0,
            max: f64::MAX,
        },
        required: false,
        about: "target tracking (required): the metric's value to keep, percent CPU (above 0, below 100) or requests per target per minute",
    },
    Key {
        name: "scale_in",
        ty: KeyType::Bool,
        required: false,
        about: "target tracking: whether it scales in as well as out (default true)",
    },
    Key {
        name: "period",
        ty: KeyType::Duration,
        required: false,
        about: "target tracking: the period of a high-resolution metric it watches, 10s, 30s or 60s, instead of the group's `monitoring`; its alarms still want 3 datapoints out and 15 in, of this period (default: unset, the group's monitoring period)",
    },
    Key {
        name: "steps",
        ty: KeyType::Tables(STEP_KEYS),
        required: false,
        about: "step scaling (required): `{ above, add }` steps; the largest step the metric is above applies",
    },
    Key {
        name: "above",
        ty: KeyType::Number {
            min: 0.0,
            max: f64::MAX,
        },
        required: false,
        about: "simple scaling (required): scale out when the metric is above this, in its unit",
    },
    Key {
        name: "add",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_INSTANCES,
        },
        required: false,
        about: "simple scaling (required): instances added at each scale-out",
    },
    Key {
        name: "below",
        ty: KeyType::Number {
            min: 0.0,
            max: f64::MAX,
        },
        required: false,
        about: "step and simple scaling: scale in when the metric is below this, in its unit, with `remove` (default: no scale-in)",
    },
    Key {
        name: "remove",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_INSTANCES,
        },
        required: false,
        about: "step and simple scaling: instances removed at each scale-in, with `below`",
    },
    Key {
        name: "datapoints",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_DATAPOINTS,
        },
        required: false,
        about: "step and simple scaling: datapoints in a row beyond a threshold before the policy acts (default 1)",
    },
    Key {
        name: "cooldown",
        ty: KeyType::Duration,
        required: false,
        about: "simple scaling: no action for this long after an activity ends (default 300 s)",
    },
];

/// The keys of each of `scaling.steps`.
const STEP_KEYS: &[Key] = &[
    Key {
        name: "above",
        ty: KeyType::Number {
            min: 0.0,
            max: f64::MAX,
        },
        required: true,
        about: "the step applies when the metric is above this, in its unit",
    },
    Key {
        name: "add",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_INSTANCES,
        },
        required: true,
        about: "instances the step adds to the capacity past its warmup",
    },
];

/// The keys of each of `schedule`.
const SCHEDULE_KEYS: &[Key] = &[
    Key {
        name: "at",
        ty: KeyType::Duration,
        required: true,
        about: "when the action runs, from the start of the run",
    },
    Key {
        name: "min",
        ty: KeyType::Integer {
            min: 0,
            max: MAX_INSTANCES,
        },
        required: false,
        about:
            "the group's new `min` (default: unchanged); an action sets at least one of the three",
    },
    Key {
        name: "max",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_INSTANCES,
        },
        required: false,
        about: "the group's new `max`, never below its `min` (default: unchanged)",
    },
    Key {
        name: "desired",
        ty: KeyType::Integer {
            min: 0,
            max: MAX_INSTANCES,
        },
        required: false,
        about: "the group's new desired capacity, held within `min` and `max` (default: unchanged)",
    },
];

/// The numbers the group puts in the summary, under `components.<id>.`.
const FIELDS: &[Field] = &[
    Field {
        path: "requests",
        unit: Unit::Count,
        about: "requests that arrived in the measured period (health checks left out)",
    },
    Field {
        path: "rejected",
        unit: Unit::Count,
        about: "requests refused with 503, every worker thread busy and the queue full",
    },
    crate::components::kind::BY_STATUS,
    Field {
        path: "utilisation",
        unit: Unit::Share,
        about: "busy vCPUs over the vCPUs in service, time-averaged",
    },
    Field {
        path: "accepted_vcpus",
        unit: Unit::Number,
        about: "the vCPUs the measured period's requests needed: their CPU work / measured time (counts work running past the end, unlike utilisation)",
    },
    Field {
        path: "accepted_utilisation",
        unit: Unit::Share,
        about: "accepted_vcpus over the vCPUs in service, time-averaged",
    },
    Field {
        path: "instances_mean",
        unit: Unit::Number,
        about: "instances in service, time-averaged",
    },
    Field {
        path: "instances_max",
        unit: Unit::Number,
        about: "the most instances in service at once",
    },
    Field {
        path: "desired_max",
        unit: Unit::Number,
        about: "the largest desired capacity",
    },
    Field {
        path: "launches",
        unit: Unit::Count,
        about: "instances launched after the start, in the whole run",
    },
    Field {
        path: "scale_outs",
        unit: Unit::Count,
        about: "rises of the desired capacity, by a policy or a scheduled action",
    },
    Field {
        path: "scale_ins",
        unit: Unit::Count,
        about: "falls of the desired capacity, by a policy or a scheduled action",
    },
    Field {
        path: "replacements",
        unit: Unit::Count,
        about: "instances terminated as unhealthy, to be replaced",
    },
    Field {
        path: "spot_interruptions",
        unit: Unit::Count,
        about: "spot interruption notices",
    },
    Field {
        path: "drain_cut_off",
        unit: Unit::Count,
        about: "requests cut off (their connection closed: 502 from an ALB, 504 from a CLB, a reset through an NLB) when a draining instance's deregistration delay ran out",
    },
    Field {
        path: "instance_hours.*",
        unit: Unit::Number,
        about:
            "instance-hours in the measured period, by purchase option (on_demand, spot, reserved)",
    },
    Field {
        path: "cost_by_market.*",
        unit: Unit::Usd,
        about: "the instances' cost in the measured period, by purchase option",
    },
    Field {
        path: "cost_usd",
        unit: Unit::Usd,
        about: "the instances' cost in the measured period",
    },
    crate::components::kind::RESPONSE_MS,
    crate::components::kind::LATE_REPLIES,
];

impl Kind for AsgConfig {
    /// A group that scales on requests per target asks, once every component has related,
    /// for an Application Load Balancer in front of it.
    fn relate(&mut self, me: usize, rel: &mut Relations, _ck: &mut Checker) -> bool {
        if let Some(span) = &self.per_target_span {
            rel.per_target.push((me, span.clone()));
        }
        true
    }

    // aws-facts: §20 VPC: its network interfaces sit in a VPC, guarded by security groups.
    const IN_VPC: bool = true;
    const INFO: &'static KindInfo = &KindInfo {
        name: "ec2_autoscaling",
        title: "Amazon EC2 Auto Scaling",
        noun: "an Auto Scaling group",
        category: Category::Compute,
        about: "an Auto Scaling group of EC2 instances across zones: worker threads and CPU work per request, target tracking, step, simple and scheduled scaling as CloudWatch sees it, boot and warmup, health replacement, spot notices, cost by purchase option",
        keys: KEYS,
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
        fields: FIELDS,
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
            crate::components::kind::LATE_REPLIES_COLUMN,
            crate::components::kind::COST_COLUMN,
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
                        label: "CloudWatch, as a policy sees it (each period's mean, once it ends)",
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
                        label: "CloudWatch, as a policy sees it (each period's mean, once it ends)",
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

    const IMPORTS: &'static Imports = &Imports {
        maps: &[
            ResourceMap {
                cloudformation: &["AWS::AutoScaling::AutoScalingGroup"],
                terraform: &["aws_autoscaling_group"],
                map: import_group,
            },
            ResourceMap {
                cloudformation: &["AWS::AutoScaling::ScalingPolicy"],
                terraform: &["aws_autoscaling_policy"],
                map: import_policy,
            },
            ResourceMap {
                cloudformation: &[
                    "AWS::EC2::LaunchTemplate",
                    "AWS::AutoScaling::LaunchConfiguration",
                ],
                terraform: &["aws_launch_template", "aws_launch_configuration"],
                map: import_launch_template,
            },
        ],
        companions: &[],
        downstream: Downstream::Calls,
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn instances(&self) -> f64 {
        f64::from(self.desired)
    }

    fn spans_zones(&self) -> bool {
        true
    }

    fn zones(&self) -> Vec<&str> {
        self.zones.iter().flatten().map(String::as_str).collect()
    }

    /// Without `zones` its instances are in one unnamed zone, which no outage reaches.
    fn unplaced(&self, _az: Option<&str>) -> Vec<Unplaced> {
        if self.zones.iter().any(Option::is_some) {
            return Vec::new();
        }
        vec![Unplaced {
            what: "the instances".into(),
            plural: true,
            key: "zones",
        }]
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
                ck.value_error(x.span(), format!("`fraction` is the share of the group's spot instances interrupted, above 0 and at most 1, not {}", crate::config::check::show(*x.get_ref())));
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
        Box::new(AutoScalingGroup::new(
            self.clone(),
            env,
            shared.target_groups[index]
                .clone()
                .expect("every Auto Scaling group has a target group"),
            shared.volumes[index].clone(),
        ))
    }

    /// Each instance it launches has its own EBS volume when an `ebs` component says so, as
    /// EBS documents it.
    fn volume_host(&self) -> Option<crate::components::ebs::VolumeHost> {
        Some(crate::components::ebs::VolumeHost::Ec2)
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }
}

// What `archsim import` makes of a template's Auto Scaling groups.

/// A group: its size, warmup and health checks, and the instance type of its launch template
/// or configuration.
fn import_group(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let sizes = if cf {
        [
            ("min", "MinSize"),
            ("max", "MaxSize"),
            ("desired", "DesiredCapacity"),
        ]
    } else {
        [
            ("min", "min_size"),
            ("max", "max_size"),
            ("desired", "desired_capacity"),
        ]
    };
    for (key, from) in sizes {
        if let Some(n) = r.num(from) {
            let n = clamp(n, 0.0, MAX_INSTANCES as f64, from, m);
            m.set(key, int(n), from);
        }
    }
    let warmup = r
        .num("DefaultInstanceWarmup")
        .or_else(|| r.num("default_instance_warmup"));
    // A target-tracking policy's own warmup takes the place of the group's default
    // (PutScalingPolicy `EstimatedInstanceWarmup`): its policy sets it.
    let policy_warmup = r.others().any(|o| {
        estimated_warmup(&o).is_some()
            && o.refs("AutoScalingGroupName")
                .into_iter()
                .chain(o.refs("autoscaling_group_name"))
                .any(|g| g == r.name)
    });
    if let (Some(w), false) = (warmup, policy_warmup) {
        m.set("warmup", seconds(w.max(0.0)), "DefaultInstanceWarmup");
    }
    let check = r
        .text("HealthCheckType")
        .or_else(|| r.text("health_check_type"));
    if check == Some("ELB") {
        m.set("health_check_type", string("elb"), "HealthCheckType ELB");
        let grace = r
            .num("HealthCheckGracePeriod")
            .or_else(|| r.num("health_check_grace_period"));
        if let Some(g) = grace {
            m.set(
                "health_check_grace_period",
                seconds(g.max(0.0)),
                "HealthCheckGracePeriod",
            );
        }
    }
    import_zones(r, m);
    let launch = crate::components::iac::launch_of(r);
    import_monitoring(r, launch.as_ref(), m);
    let instance_type = launch.as_ref().and_then(|l| {
        l.text("LaunchTemplateData.InstanceType")
            .or_else(|| l.text("InstanceType"))
            .or_else(|| l.text("instance_type"))
    });
    match instance_type {
        Some(t) if crate::components::instance_types::ec2(t).is_some() => {
            m.set(
                "instance_type",
                string(t),
                "its launch template's instance type",
            );
        }
        Some(t) => {
            let near = nearest_type(t);
            m.ask(
                "instance_type",
                string(&near),
                format!("its instance type {t} is not in archsim's table: {near} stands in for it (the same family letter and size where archsim has one)"),
            )
        }
        None => m.ask(
            "instance_type",
            string("m5.large"),
            "the template does not say the instance type literally: set yours",
        ),
    }
    // A database (or cache) whose endpoint its instances' user data names: they connect to
    // it, so the group is assumed to call it.
    if let Some(l) = launch {
        for key in ["LaunchTemplateData.UserData", "UserData", "user_data"] {
            let mut names = Vec::new();
            if let Some(v) = l.get(key) {
                crate::components::iac::endpoint_references(v, &mut names);
            }
            let shown = key.rsplit('.').next().unwrap_or(key);
            for name in names {
                m.assumed_edge(
                    None,
                    name.clone(),
                    &format!(
                        "its launch template {}'s {shown} names {name}'s endpoint",
                        l.name
                    ),
                );
            }
        }
    }
    if r.get("MixedInstancesPolicy").is_some() || r.get("mixed_instances_policy").is_some() {
        m.note(format!(
            "{} mixes instance types or purchase options: simulated as one type, on demand",
            r.name
        ));
    }
    for lb in ["LoadBalancerNames", "load_balancers"]
        .iter()
        .flat_map(|k| r.refs(k))
    {
        m.edge(
            Some(lb),
            r.name.to_string(),
            "the group registers its instances with this classic load balancer",
        );
    }
    m.ask(
        "work",
        work_start(),
        "CPU time per request on one m5 vCPU: set from your CPU utilisation × vCPUs ÷ requests per second",
    );
}

/// The zones a group launches into (`AvailabilityZones`, `availability_zones`), written out:
/// its `zones`, so that a zone's outage reaches it. A list the template does not write out
/// (`!GetAZs`) is said.
fn import_zones(r: &Resource<'_>, m: &mut Mapped) {
    let Some((key, v)) = ["AvailabilityZones", "availability_zones"]
        .into_iter()
        .find_map(|k| r.get(k).filter(|v| !v.is_null()).map(|v| (k, v)))
    else {
        return;
    };
    // A list, or a parameter's default as a comma-delimited string.
    let written: Option<Vec<String>> = match v {
        serde_json::Value::Array(a) => a.iter().map(|z| z.as_str().map(str::to_string)).collect(),
        serde_json::Value::String(s) => Some(s.split(',').map(|z| z.trim().to_string()).collect()),
        _ => None,
    };
    match written {
        Some(mut zones) if !zones.is_empty() && zones.iter().all(|z| !z.is_empty()) => {
            let mut seen = std::collections::BTreeSet::new();
            zones.retain(|z| seen.insert(z.clone()));
            let zones = zones.iter().map(|z| string(z)).collect::<Vec<_>>();
            m.set("zones", toml::Value::Array(zones), key);
        }
        // A plan writes an unset list as `[]`: no placement.
        Some(zones) if zones.is_empty() => {}
        _ => m.note(format!(
            "{}'s {key} are not written out in the template (`Fn::GetAZs`, a reference): it launches into one unnamed zone, which no `az_outage` reaches; give it `zones`",
            r.name
        )),
    }
}

/// The CloudWatch monitoring of a group's instances, which its cpu policy sees (aws-facts:
/// §4: basic monitoring 5 min, detailed 1 min): its launch template's `Monitoring.Enabled`
/// (off unless true: "Specify true to enable detailed monitoring. Otherwise, basic monitoring
/// is enabled", CloudFormation's `AWS::EC2::LaunchTemplate Monitoring`), a launch
/// configuration's `InstanceMonitoring` (`enable_monitoring`), which is on unless false (the
/// facts are silent; CloudFormation's `AWS::AutoScaling::LaunchConfiguration` reference says
/// its default is true, as the API's, and Terraform's is true). Basic monitoring is said in
/// a note, since it makes a cpu policy slow to see load.
fn import_monitoring(r: &Resource<'_>, launch: Option<&Resource<'_>>, m: &mut Mapped) {
    let Some(l) = launch else {
        m.set(
            "monitoring",
            string("basic"),
            "no launch template of the template says otherwise: EC2's default",
        );
        m.note(format!(
            "{}'s instances have basic monitoring (5-minute CPU periods), EC2's default, as far as the template says (it holds no launch template of the group): a cpu policy sees the load 5 minutes at a time",
            r.name
        ));
        return;
    };
    let configuration = matches!(
        l.kind,
        "AWS::AutoScaling::LaunchConfiguration" | "aws_launch_configuration"
    );
    let (key, default) = if configuration {
        (l.key("InstanceMonitoring", "enable_monitoring"), true)
    } else {
        let key = l.key(
            "LaunchTemplateData.Monitoring.Enabled",
            "monitoring.enabled",
        );
        (key, false)
    };
    let flag = l.flag(key);
    if flag.unwrap_or(default) {
        let why = match flag {
            Some(_) => format!("{}'s {key}", l.name),
            None => format!("{}'s {key} is not set: true by default", l.name),
        };
        m.set("monitoring", string("detailed"), why);
    } else {
        let why = match flag {
            Some(_) => format!("{}'s {key} is false", l.name),
            None => format!("{}'s {key} is not set: basic monitoring by default", l.name),
        };
        m.set("monitoring", string("basic"), why);
        m.note(format!(
            "{}'s instances have basic monitoring (5-minute CPU periods), as the stack has them ({}'s {key} is not true): a cpu policy sees the load 5 minutes at a time, where detailed monitoring would show it each minute",
            r.name, l.name
        ));
    }
}

/// An instance type archsim has for one it has not: the same family letter and size
/// (t3a.micro → t3.micro, m8g.xlarge → m5.xlarge), else the general-purpose m5 of the same
/// size, else the same size in any family; a general type never gets an accelerated (GPU,
/// Inferentia, FPGA) one, which would stand in with its price; else m5.large.
fn nearest_type(t: &str) -> String {
    let names = crate::components::instance_types::ec2_names();
    let (family, size) = t.split_once('.').unwrap_or((t, ""));
    let letter = family.chars().next();
    let sized = |n: &&String| n.ends_with(&format!(".{size}"));
    let fits = |n: &&String| accelerated(n) == accelerated(family);
    names
        .iter()
        .filter(sized)
        .filter(fits)
        .find(|n| n.chars().next() == letter)
        .or_else(|| names.iter().find(|n| **n == format!("m5.{size}")))
        .or_else(|| names.iter().filter(sized).find(fits))
        .cloned()
        .unwrap_or_else(|| "m5.large".to_string())
}

/// Whether an instance type (or family) is of the accelerated-computing families: GPUs
/// (p, g), Inferentia and Trainium (inf, trn), Gaudi (dl), FPGAs (f) and video (vt), by
/// the letters before its generation's digit.
fn accelerated(t: &str) -> bool {
    let letters: String = t.chars().take_while(char::is_ascii_lowercase).collect();
    matches!(
        letters.as_str(),
        "p" | "g" | "inf" | "trn" | "dl" | "f" | "vt"
    )
}

/// The CPU time written when a template cannot say it: a starting value to replace.
fn work_start() -> toml::Value {
    let mut t = toml::Table::new();
    t.insert("dist".into(), string("lognormal"));
    t.insert("median".into(), string("10ms"));
    t.insert("p99".into(), string("50ms"));
    toml::Value::Table(t)
}

/// A scaling policy: target tracking on CPU or requests per target.
fn import_policy(r: &Resource<'_>, m: &mut Mapped) {
    let group = r
        .refs("AutoScalingGroupName")
        .into_iter()
        .chain(r.refs("autoscaling_group_name"))
        .next();
    let Some(group) = group else {
        m.note(format!(
            "scaling policy {} names no group of the template",
            r.name
        ));
        return;
    };
    m.part_of = Some(group);
    let (config, metric, value) = match r.dialect {
        Dialect::CloudFormation => (
            "TargetTrackingConfiguration",
            "TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType",
            "TargetTrackingConfiguration.TargetValue",
        ),
        Dialect::Terraform => (
            "target_tracking_configuration",
            "target_tracking_configuration.predefined_metric_specification.predefined_metric_type",
            "target_tracking_configuration.target_value",
        ),
    };
    if r.get(config).is_none() {
        m.note(format!(
            "scaling policy {} is not target tracking: write its steps as `scaling`",
            r.name
        ));
        return;
    }
    let metric = match r.text(metric) {
        Some("ASGAverageCPUUtilization") => "cpu",
        Some("ALBRequestCountPerTarget") => "requests_per_target",
        other => {
            m.note(format!(
                "scaling policy {} tracks {}: archsim tracks CPU or requests per target",
                r.name,
                other.unwrap_or("a custom metric")
            ));
            return;
        }
    };
    let Some(target) = r.num(value).filter(|t| *t > 0.0) else {
        m.note(format!(
            "scaling policy {}'s target value is not a literal",
            r.name
        ));
        return;
    };
    let target = if metric == "cpu" {
        clamp(target, 1.0, 99.0, "CPU target", m)
    } else {
        target
    };
    // aws-facts: §4 default instance warmup: the policy's own, else the group's default, else
    // the default cooldown (300 s).
    if let Some((key, w)) = estimated_warmup(r) {
        m.set(
            "warmup",
            seconds(w.max(0.0)),
            format!("scaling policy {}'s {key}", r.name),
        );
    }
    let mut t = toml::Table::new();
    t.insert("policy".into(), string("target_tracking"));
    t.insert("metric".into(), string(metric));
    t.insert("target".into(), toml::Value::Float(target));
    m.set(
        "scaling",
        toml::Value::Table(t),
        format!("scaling policy {}", r.name),
    );
}

/// The `EstimatedInstanceWarmup` (`estimated_instance_warmup`) of a target-tracking policy
/// archsim writes, with the key as the template's language spells it.
fn estimated_warmup(r: &Resource<'_>) -> Option<(&'static str, f64)> {
    // Only a policy archsim writes (target tracking on CPU or requests per target).
    let metric = r
        .text("TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType")
        .or_else(|| {
            r.text("target_tracking_configuration.predefined_metric_specification.predefined_metric_type")
        });
    if !matches!(
        metric,
        Some("ASGAverageCPUUtilization" | "ALBRequestCountPerTarget")
    ) {
        return None;
    }
    ["EstimatedInstanceWarmup", "estimated_instance_warmup"]
        .into_iter()
        .find_map(|k| r.num(k).map(|w| (k, w)))
}

/// A launch template or configuration: read by the groups that launch from it.
fn import_launch_template(_r: &Resource<'_>, m: &mut Mapped) {
    m.folded = true;
}

#[cfg(test)]
mod tests {
    use super::{accelerated, nearest_type};

    #[test]
    fn an_unknown_type_gets_its_family_letter_and_size_and_never_an_accelerator() {
        // The same family letter and size where the table has one.
        assert_eq!(nearest_type("t3a.micro"), "t3.micro");
        assert_eq!(nearest_type("m8g.xlarge"), "m5.xlarge");
        assert_eq!(nearest_type("c8g.2xlarge"), "c5.2xlarge");
        // A family letter the table does not have: the general-purpose m5 of that size,
        // not the GPU g4dn.xlarge that comes first among the table's .xlarge types.
        assert_eq!(nearest_type("q9.xlarge"), "m5.xlarge");
        // A size m5 lacks: the same size elsewhere, still not an accelerator.
        let micro = nearest_type("q9.micro");
        assert!(!accelerated(&micro) && micro.ends_with(".micro"), "{micro}");
        assert_eq!(nearest_type("q9.2xlarge"), "m5.2xlarge");
        // An accelerated type gets an accelerated one of its letter and size.
        assert_eq!(nearest_type("g6.xlarge"), "g4dn.xlarge");
        // No type of that size: m5.large.
        assert_eq!(nearest_type("q9.metal"), "m5.large");
        // No size of any known type is ever matched to an accelerator for a general type.
        for size in ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge"] {
            for family in ["zz1", "a1", "hpc7", "u7i"] {
                let n = nearest_type(&format!("{family}.{size}"));
                assert!(!accelerated(&n), "{family}.{size} → {n}");
            }
        }
        assert!(accelerated("p3.2xlarge") && accelerated("inf1") && accelerated("g5"));
        assert!(!accelerated("m7g.large") && !accelerated("c7gn.xlarge"));
    }
}
