//! The `ec2_autoscaling` table: its keys as written, and the validated config.

use crate::components::instance_types::{self, InstanceType};
use crate::components::CallSpec;
use crate::config::raw::{RawCall, RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::SimTime;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAsg {
    instance_type: Spanned<String>,
    zones: Option<Vec<Spanned<String>>>,
    min: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    desired: Option<Spanned<i64>>,
    market: Option<Spanned<String>>,
    on_demand_base: Option<Spanned<i64>>,
    spot_price: Option<Spanned<f64>>,
    work: Spanned<RawDist>,
    threads: Option<Spanned<i64>>,
    queue: Option<Spanned<i64>>,
    boot_time: Option<Spanned<RawDist>>,
    warmup: Option<Spanned<String>>,
    monitoring: Option<Spanned<String>>,
    metric_delay: Option<Spanned<String>>,
    scaling: Option<Spanned<RawScaling>>,
    #[serde(default)]
    schedule: Vec<Spanned<RawScheduled>>,
    health_check_type: Option<Spanned<String>>,
    health_check_grace_period: Option<Spanned<String>>,
    capacity_rebalance: Option<bool>,
    #[serde(default)]
    calls: Vec<RawCall>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScaling {
    policy: Spanned<String>,
    metric: Option<Spanned<String>>,
    target: Option<Spanned<f64>>,
    scale_in: Option<bool>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
    above: Option<Spanned<f64>>,
    add: Option<Spanned<i64>>,
    below: Option<Spanned<f64>>,
    remove: Option<Spanned<i64>>,
    datapoints: Option<Spanned<i64>>,
    cooldown: Option<Spanned<String>>,
    period: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    above: Spanned<f64>,
    add: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheduled {
    at: Spanned<String>,
    min: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    desired: Option<Spanned<i64>>,
}

/// How the group's instances are bought; `AsgConfig::hourly` is indexed by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Market {
    /// On-Demand Instances, at the instance type's on-demand price.
    OnDemand,
    /// Spot Instances: spare capacity at a discount (`spot_price`, else 35 % of on-demand),
    /// which AWS may reclaim after a two-minute notice (the `spot_interruption` fault).
    Spot,
    /// Reserved Instances: a 1-year no-upfront reservation, at 63 % of on-demand.
    Reserved,
}

impl Market {
    pub(super) fn name(self) -> &'static str {
        match self {
            Market::OnDemand => "on_demand",
            Market::Spot => "spot",
            Market::Reserved => "reserved",
        }
    }
}

/// What a scaling policy watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Average CPU utilisation, percent.
    Cpu,
    /// Requests per instance per minute (ALBRequestCountPerTarget).
    RequestsPerTarget,
}

impl Metric {
    pub(super) fn name(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::RequestsPerTarget => "requests_per_target",
        }
    }

    /// Its unit, as messages write it after a value ("60%").
    pub(super) fn unit(self) -> &'static str {
        match self {
            Metric::Cpu => "%",
            Metric::RequestsPerTarget => " req/min",
        }
    }
}

/// A scaling policy; its thresholds are in the unit of its `Metric` (percent CPU, or requests
/// per target per minute).
#[derive(Clone, Debug)]
pub enum Policy {
    /// Target tracking: keeps the metric near `target`, scaling out after 3 datapoints above
    /// it and in after 15 below 90 % of it.
    TargetTracking {
        /// The metric's value the policy keeps the group at [metric's unit].
        target: f64,
        /// Whether it scales in as well as out.
        scale_in: bool,
        /// High-resolution target tracking: the period of the metric it watches [s] (10 s or
        /// 30 s; `None`: the group's CloudWatch period).
        period: Option<SimTime>,
    },
    /// Step scaling: the higher the metric, the more instances it adds, in one action.
    Step {
        /// Steps `(above, add)` [metric's unit, instances], sorted by threshold: the largest
        /// step the metric is above sets the capacity to that past warmup plus its `add`.
        out: Vec<(f64, u32)>,
        /// Optional scale-in `(below, remove)` [metric's unit, instances].
        scale_in: Option<(f64, u32)>,
        /// Datapoints in a row beyond a threshold before it acts [datapoints].
        datapoints: usize,
    },
    /// Simple scaling: one alarm adds a fixed number of instances, then the policy waits out
    /// its cooldown.
    Simple {
        /// Threshold to scale out above [metric's unit].
        above: f64,
        /// Instances added each time [instances].
        add: u32,
        /// Optional scale-in `(below, remove)` [metric's unit, instances].
        scale_in: Option<(f64, u32)>,
        /// Datapoints in a row beyond a threshold before it acts [datapoints].
        datapoints: usize,
        /// No action for this long after an activity ends [s].
        cooldown: SimTime,
    },
}

/// A group's dynamic scaling: what it watches and how it acts on it.
#[derive(Clone, Debug)]
pub struct Scaling {
    /// What it watches. Default CPU.
    pub metric: Metric,
    /// How it acts on it.
    pub policy: Policy,
}

/// A scheduled action: at `at`, sets what it gives of the group's sizes.
#[derive(Clone, Debug)]
pub struct ScheduledAction {
    /// When it runs, from the start of the run [s].
    pub at: SimTime,
    /// The group's new minimum size [instances].
    pub min: Option<u32>,
    /// The group's new maximum size [instances].
    pub max: Option<u32>,
    /// The group's new desired capacity [instances].
    pub desired: Option<u32>,
}

/// Whose health checks the group replaces instances on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthCheckType {
    /// The EC2 status checks only.
    Ec2,
    /// The load balancer's health checks as well.
    Elb,
}

/// A validated `ec2_autoscaling`.
#[derive(Clone, Debug)]
pub struct AsgConfig {
    /// The instance type, as written ("m5.large").
    pub instance_type_name: String,
    /// Its vCPUs, speed and price.
    pub itype: InstanceType,
    /// Zones the group launches into (`None`: no particular zone).
    pub zones: Vec<Option<String>>,
    /// Fewest instances [instances].
    pub min: u32,
    /// Most instances [instances].
    pub max: u32,
    /// Desired capacity at the start [instances].
    pub desired: u32,
    /// How its instances are bought. Default on demand.
    pub market: Market,
    /// With `market = "spot"`: this many instances on demand first [instances].
    pub on_demand_base: u32,
    /// Price of an instance by `Market` [USD/h].
    pub hourly: [f64; 3],
    /// CPU time per request on one m5 vCPU [s].
    pub work: Dist,
    /// Worker threads per instance: requests it holds at once [requests].
    pub threads: u32,
    /// Requests that may wait for a thread beyond them, per instance [requests].
    pub queue: u32,
    /// Time from launch to in service [s].
    pub boot_time: Dist,
    /// Instance warmup [s] (`ZERO`: off); when not set, target tracking and step scaling
    /// fall back to the default cooldown (300 s).
    pub warmup: SimTime,
    /// CloudWatch period [s].
    pub period: SimTime,
    /// Time from a period's end until its datapoint reaches the policy [s].
    pub metric_delay: SimTime,
    /// Its dynamic scaling; `None` (the default): none.
    pub scaling: Option<Scaling>,
    /// Where `scaling.metric` says requests_per_target, which needs an Application Load
    /// Balancer in front of the group (`relate`), for messages.
    pub per_target_span: Option<Range<usize>>,
    /// Its scheduled actions, as written (default none).
    pub schedule: Vec<ScheduledAction>,
    /// Whose health checks replace its instances. Default EC2's only.
    pub health_check_type: HealthCheckType,
    /// Health-check grace period after an instance comes into service [s].
    pub grace: SimTime,
    /// Whether a spot notice launches a replacement and drains the instance at once.
    pub capacity_rebalance: bool,
    /// Its downstream calls, made in turn after the request's CPU work.
    pub calls: Vec<CallSpec>,
}

/// The most instances a group, a step or a scheduled action may name.
pub const MAX_INSTANCES: i64 = 10_000;
/// The most worker threads an instance may have.
pub const MAX_THREADS: i64 = 100_000;
/// The longest queue an instance may have [requests].
pub const MAX_QUEUE: i64 = 1_000_000;
/// The most datapoints a step or simple policy may wait for.
pub const MAX_DATAPOINTS: i64 = 100;
/// aws-facts: §4 simple scaling: the group's default cooldown (`DefaultCooldown`), 300 s.
pub const DEFAULT_COOLDOWN: SimTime = SimTime::from_secs(300);
/// aws-facts: §4 high-resolution target tracking: the periods a target tracking policy's
/// metric may have below the minute (`TargetTrackingMetricStat.Period` takes 10, 30 and 60).
pub const HIGH_RESOLUTION_PERIODS: &[&str] = &["10s", "30s", "60s"];

impl AsgConfig {
    pub(super) fn lines(&self) -> Vec<String> {
        let policy = match &self.scaling {
            None => "no scaling policy".to_string(),
            Some(s) => match &s.policy {
                Policy::TargetTracking { target, period, .. } => {
                    let every = period.map_or(String::new(), |p| format!(" every {p}"));
                    format!("target tracking {} {target}{every}", s.metric.name())
                }
                Policy::Step { .. } => format!("step scaling on {}", s.metric.name()),
                Policy::Simple { .. } => format!("simple scaling on {}", s.metric.name()),
            },
        };
        let zones: Vec<&str> = self.zones.iter().flatten().map(String::as_str).collect();
        let place = if zones.is_empty() {
            String::new()
        } else {
            format!(" in {}", zones.join(", "))
        };
        vec![
            format!(
                "{} x {}..{}{place} ({})",
                self.instance_type_name,
                self.min,
                self.max,
                self.market.name().replace('_', "-")
            ),
            policy,
        ]
    }

    pub(super) fn price(&self, m: Market) -> f64 {
        self.hourly[m as usize]
    }
}

/// Reads and validates an `ec2_autoscaling` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<AsgConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawAsg = ck.deserialize(table)?;
    let itype = instance_type(&raw.instance_type, ck);
    let zones = zones(&raw.zones, at.clone(), ck)?;
    let (min, max) = bounds(&raw, at, ck)?;
    let desired = ck.int_or(
        &raw.desired,
        "desired",
        (i64::from(min), i64::from(max)),
        i64::from(min),
    );
    let (market, on_demand_base) = market(&raw, ck);
    let serving = serving(&raw, ck);
    let scaling = ck.or(&raw.scaling, None, |ck, s| parse_scaling(s, ck).map(Some));
    let watching = watching(&raw, scaling.as_ref().and_then(|s| s.as_ref()), ck);
    let schedule = schedule(&raw.schedule, (min, max), ck);
    let health = health(&raw, ck);
    let itype = itype?;
    let on_demand = itype.on_demand_hourly;
    let spot = ck.or(
        &raw.spot_price,
        on_demand * instance_types::SPOT_FRACTION,
        |ck, p| ck.positive(p, "spot_price", "a price in USD per hour"),
    );
    let calls = ck.calls(&raw.calls);
    let schedule = schedule?;
    let (work, threads, queue, boot_time) = serving?;
    let (warmup, period, metric_delay) = watching?;
    let (health_check_type, grace) = health?;
    let per_target_span = raw
        .scaling
        .as_ref()
        .and_then(|s| s.get_ref().metric.as_ref())
        .filter(|m| m.get_ref() == "requests_per_target")
        .map(|m| m.span());
    Some(AsgConfig {
        per_target_span,
        instance_type_name: raw.instance_type.get_ref().clone(),
        hourly: [
            on_demand,
            spot?,
            on_demand * instance_types::RESERVED_FRACTION,
        ],
        itype,
        zones,
        min,
        max,
        desired: desired? as u32,
        market: market?,
        on_demand_base: on_demand_base?,
        work,
        threads,
        queue,
        boot_time,
        warmup,
        period,
        metric_delay,
        scaling: scaling?,
        schedule,
        health_check_type,
        grace,
        capacity_rebalance: raw.capacity_rebalance.unwrap_or(false),
        calls: calls?,
    })
}

/// How an instance serves: `(work, threads, queue, boot_time)`.
fn serving(raw: &RawAsg, ck: &mut Checker) -> Option<(Dist, u32, u32, Dist)> {
    let work = ck.time_dist(&raw.work, "work");
    // Not an AWS figure: a web server's worker pool (Tomcat's default maxThreads, 200) and
    // its accept queue (acceptCount, 100).
    let threads = ck.int_or(&raw.threads, "threads", (1, MAX_THREADS), 200);
    let queue = ck.int_or(&raw.queue, "queue", (0, MAX_QUEUE), 100);
    // aws-facts: §4 launch/boot [O]: 30–60 s to the OS, plus the application's start.
    let boot = Dist::Uniform {
        min: 40.0,
        max: 90.0,
    };
    let boot_time = ck.time_dist_or(&raw.boot_time, "boot_time", boot);
    Some((work?, threads? as u32, queue? as u32, boot_time?))
}

/// How CloudWatch watches the group for its policy: `(warmup, period, metric_delay)`.
fn watching(
    raw: &RawAsg,
    scaling: Option<&Scaling>,
    ck: &mut Checker,
) -> Option<(SimTime, SimTime, SimTime)> {
    // aws-facts: §4 default instance warmup: off unless set, and then a target tracking or
    // step policy's warmup falls back to the group's default cooldown, 300 s (PutScalingPolicy
    // `EstimatedInstanceWarmup`). Simple scaling waits out its cooldown instead.
    let fallback = match scaling.map(|s| &s.policy) {
        Some(Policy::TargetTracking { .. } | Policy::Step { .. }) => DEFAULT_COOLDOWN,
        _ => SimTime::ZERO,
    };
    let warmup = ck.duration_or(&raw.warmup, "warmup", fallback);
    let high_resolution = match scaling.map(|s| &s.policy) {
        Some(Policy::TargetTracking {
            period: Some(p), ..
        }) => Some(*p),
        _ => None,
    };
    let requests = scaling.is_some_and(|s| s.metric == Metric::RequestsPerTarget);
    // EC2's own monitoring, checked whatever the policy watches.
    let monitoring = ck.one_of_or(
        &raw.monitoring,
        "monitoring",
        &["basic", "detailed"],
        "basic",
    );
    // aws-facts: §4: CloudWatch basic monitoring 5 min, detailed 1 min. Launch templates
    // leave detailed monitoring off. That is EC2's own metrics: the load balancer publishes
    // its request count per target every 60 s (`alb:load-balancer-cloudwatch-metrics.html`).
    let period = match (high_resolution, &raw.monitoring) {
        (Some(_), _) if requests => {
            ck.error(
                raw.scaling
                    .as_ref()
                    .and_then(|s| s.get_ref().period.as_ref())
                    .map_or(0..0, |p| p.span()),
                "`scaling.period` asks for a high-resolution metric, but requests_per_target is the load balancer's, published every 60s: remove `scaling.period`",
            );
            None
        }
        (None, _) if requests => monitoring.map(|_| SimTime::from_secs(60)),
        (Some(_), Some(m)) => {
            ck.error(
                m.span(),
                "with `scaling.period` the policy watches a high-resolution metric of that period; `monitoring` (EC2's own metrics) does not apply: remove one of them",
            );
            None
        }
        (Some(p), None) => Some(p),
        (None, _) => monitoring.map(|m| SimTime::from_secs(if m == "basic" { 300 } else { 60 })),
    };
    // Not in aws-facts: the time from a period's end until its datapoint is visible to
    // alarms; a minute is the usual observation. A choice: a high-resolution metric's
    // datapoint is visible one period (10 s or 30 s) after it closes.
    let default_delay = high_resolution.unwrap_or(SimTime::from_secs(60));
    let metric_delay = ck.duration_or(&raw.metric_delay, "metric_delay", default_delay);
    Some((warmup?, period?, metric_delay?))
}

/// Whose health checks count, and from when: `(health_check_type, grace)`.
fn health(raw: &RawAsg, ck: &mut Checker) -> Option<(HealthCheckType, SimTime)> {
    let health_check_type = ck
        .one_of_or(
            &raw.health_check_type,
            "health_check_type",
            &["ec2", "elb"],
            "ec2",
        )
        .map(|h| match h {
            "elb" => HealthCheckType::Elb,
            _ => HealthCheckType::Ec2,
        });
    // aws-facts: §4 health: 300 s from the console (0 from the API).
    let grace = ck.duration_or(
        &raw.health_check_grace_period,
        "health_check_grace_period",
        SimTime::from_secs(300),
    );
    Some((health_check_type?, grace?))
}

/// The instance type named, if it is one archsim knows.
fn instance_type(name: &Spanned<String>, ck: &mut Checker) -> Option<InstanceType> {
    let t = instance_types::ec2(name.get_ref());
    if t.is_none() {
        let known = instance_types::ec2_names();
        ck.error(
            name.span(),
            format!(
                "unknown instance type \"{}\"{}; known types are: {}",
                name.get_ref(),
                instance_types::unknown_hint(name.get_ref(), &known),
                known.join(", ")
            ),
        );
    }
    t
}

/// The zones listed, each once (one unnamed zone when none is); `None` for an empty list.
fn zones(
    raw: &Option<Vec<Spanned<String>>>,
    at: Range<usize>,
    ck: &mut Checker,
) -> Option<Vec<Option<String>>> {
    let Some(z) = raw else {
        return Some(vec![None]);
    };
    if z.is_empty() {
        ck.error(
            at,
            "`zones` lists the zones the group launches into: give at least one",
        );
        return None;
    }
    for (i, a) in z.iter().enumerate() {
        if z[..i].iter().any(|b| b.get_ref() == a.get_ref()) {
            ck.error(
                a.span(),
                format!("zone \"{}\" is listed twice", a.get_ref()),
            );
        }
    }
    Some(z.iter().map(|a| Some(a.get_ref().clone())).collect())
}

/// `(min, max)`: one instance each unless set, `max` at least `min` and 1.
fn bounds(raw: &RawAsg, at: Range<usize>, ck: &mut Checker) -> Option<(u32, u32)> {
    let min = ck.int_or(&raw.min, "min", (0, MAX_INSTANCES), 1);
    let max = ck.int_or(&raw.max, "max", (0, MAX_INSTANCES), 1.max(min.unwrap_or(1)));
    let (min, max) = (min? as u32, max? as u32);
    if max < min || max == 0 {
        ck.error(
            raw.max.as_ref().map_or(at, |m| m.span()),
            format!("`max` ({max}) must be at least 1 and at least `min` ({min})"),
        );
        return None;
    }
    Some((min, max))
}

/// The purchase option (on demand unless set) and, for spot, the instances bought on demand
/// first.
fn market(raw: &RawAsg, ck: &mut Checker) -> (Option<Market>, Option<u32>) {
    let market = ck
        .one_of_or(
            &raw.market,
            "market",
            &["on_demand", "spot", "reserved"],
            "on_demand",
        )
        .map(|m| match m {
            "spot" => Market::Spot,
            "reserved" => Market::Reserved,
            _ => Market::OnDemand,
        });
    let base = ck.or(&raw.on_demand_base, 0, |ck, b| {
        if market != Some(Market::Spot) {
            ck.error(b.span(), "`on_demand_base` is for market = \"spot\": the instances launched on demand before spot ones");
            return None;
        }
        ck.int_in(b, "on_demand_base", 0, MAX_INSTANCES)
            .map(|b| b as u32)
    });
    (market, base)
}

/// The scheduled actions, each checked, and together checked against the group's sizes.
fn schedule(
    raw: &[Spanned<RawScheduled>],
    bounds: (u32, u32),
    ck: &mut Checker,
) -> Option<Vec<ScheduledAction>> {
    let mut actions = Vec::new();
    let mut ok = true;
    for a in raw {
        match scheduled_action(a.get_ref(), ck) {
            Some(a) => actions.push(a),
            None => ok = false,
        }
    }
    (ok && check_schedule(raw, &actions, bounds, ck)).then_some(actions)
}

fn scheduled_action(a: &RawScheduled, ck: &mut Checker) -> Option<ScheduledAction> {
    let at = ck.duration(&a.at, "schedule.at");
    let size = |ck: &mut Checker, v: &Option<Spanned<i64>>, key: &str, least: i64| {
        ck.or(v, None, |ck, v| {
            ck.int_in(v, key, least, MAX_INSTANCES)
                .map(|v| Some(v as u32))
        })
    };
    let min = size(ck, &a.min, "schedule.min", 0);
    let max = size(ck, &a.max, "schedule.max", 1);
    let desired = size(ck, &a.desired, "schedule.desired", 0);
    if a.min.is_none() && a.max.is_none() && a.desired.is_none() {
        ck.error(
            a.at.span(),
            "a scheduled action sets at least one of `min`, `max` and `desired`",
        );
        return None;
    }
    Some(ScheduledAction {
        at: at?,
        min: min?,
        max: max?,
        desired: desired?,
    })
}

/// The sizes the scheduled actions leave, in time order from the group's own: an action that
/// would leave `min` above `max` is refused before the run. The facts say nothing of what AWS
/// does then; a group cannot run so, and saying it at validation is the clear choice.
fn check_schedule(
    raw: &[Spanned<RawScheduled>],
    actions: &[ScheduledAction],
    (min, max): (u32, u32),
    ck: &mut Checker,
) -> bool {
    let mut order: Vec<usize> = (0..actions.len()).collect();
    order.sort_by_key(|&i| actions[i].at);
    let (mut lo, mut hi) = (min, max);
    for i in order {
        let a = &actions[i];
        let (new_lo, new_hi) = (a.min.unwrap_or(lo), a.max.unwrap_or(hi));
        if new_lo > new_hi {
            ck.error(
                raw[i].span(),
                format!(
                    "at {} this scheduled action would leave the group's `min` ({new_lo}) above its `max` ({new_hi}); set `max` in the action too, or a larger `max` for the group",
                    a.at
                ),
            );
            return false;
        }
        (lo, hi) = (new_lo, new_hi);
    }
    true
}

/// The policies' own keys, each of which belongs to some policies only.
const POLICY_KEYS: [&str; 8] = [
    "target", "steps", "above", "add", "below", "remove", "cooldown", "period",
];

fn parse_scaling(s: &Spanned<RawScaling>, ck: &mut Checker) -> Option<Scaling> {
    let span = s.span();
    let s = s.get_ref();
    let policy = ck.one_of(
        &s.policy,
        "scaling.policy",
        &["target_tracking", "step", "simple"],
    )?;
    let metric = ck
        .one_of_or(
            &s.metric,
            "scaling.metric",
            &["cpu", "requests_per_target"],
            "cpu",
        )
        .map(|m| match m {
            "cpu" => Metric::Cpu,
            _ => Metric::RequestsPerTarget,
        })?;
    if !keys_fit_policy(s, policy, ck) {
        return None;
    }
    let datapoints = ck
        .int_or(&s.datapoints, "scaling.datapoints", (1, MAX_DATAPOINTS), 1)
        .map(|d| d as usize);
    let policy = match policy {
        "target_tracking" => target_tracking(s, metric, span, ck)?,
        "step" => step(s, metric, span, datapoints, ck)?,
        _ => simple(s, metric, span, datapoints, ck)?,
    };
    Some(Scaling { metric, policy })
}

/// Whether the keys given are those of `policy`; reports each that is not.
fn keys_fit_policy(s: &RawScaling, policy: &str, ck: &mut Checker) -> bool {
    let given: [Option<Range<usize>>; 8] = [
        s.target.as_ref().map(|v| v.span()),
        s.steps.first().map(|v| v.span()),
        s.above.as_ref().map(|v| v.span()),
        s.add.as_ref().map(|v| v.span()),
        s.below.as_ref().map(|v| v.span()),
        s.remove.as_ref().map(|v| v.span()),
        s.cooldown.as_ref().map(|v| v.span()),
        s.period.as_ref().map(|v| v.span()),
    ];
    let allowed: &[&str] = match policy {
        "target_tracking" => &["target", "period"],
        "step" => &["steps", "below", "remove"],
        _ => &["above", "add", "below", "remove", "cooldown"],
    };
    let mut ok = true;
    for (k, sp) in POLICY_KEYS.iter().zip(given) {
        if let (Some(sp), false) = (sp, allowed.contains(k)) {
            ck.error(
                sp,
                format!(
                    "`scaling.{k}` does not belong to policy \"{policy}\", which takes {}",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            ok = false;
        }
    }
    if s.scale_in.is_some() && policy != "target_tracking" {
        ck.error(
            s.policy.span(),
            "`scaling.scale_in` (on/off) belongs to policy \"target_tracking\"",
        );
        ok = false;
    }
    if s.datapoints.is_some() && policy == "target_tracking" {
        ck.error(s.datapoints.as_ref().map_or(s.policy.span(), |d| d.span()), "target tracking sets its own alarms (3 datapoints out, 15 in): it takes no `datapoints`");
        ok = false;
    }
    ok
}

/// A threshold in the metric's unit: a CPU percentage above 0 and below 100, or a positive
/// request rate.
fn threshold(ck: &mut Checker, metric: Metric, v: &Spanned<f64>, key: &str) -> Option<f64> {
    let x = *v.get_ref();
    if metric == Metric::Cpu && !(x > 0.0 && x < 100.0) {
        ck.error(
            v.span(),
            format!("`{key}` is a CPU utilisation in percent, above 0 and below 100, not {x}"),
        );
        return None;
    }
    // A CPU threshold below 1 % is most likely a fraction written for a percent (DynamoDB's
    // autoscaling target is a fraction, CloudWatch's CPUUtilization a percent): said, not
    // refused, since AWS takes it.
    if metric == Metric::Cpu && x < 1.0 {
        let percent = (x * 100.0 * 1e6).round() / 1e6;
        ck.warn(
            v.span(),
            format!("`{key}` is {x} % CPU: did you mean {percent}? (a CPU utilisation is in percent, 0 to 100)"),
        );
    }
    ck.positive(v, key, "a threshold")
}

/// A step or simple policy's scale-in `(below, remove)`, if it has one.
fn scale_in(
    s: &RawScaling,
    metric: Metric,
    span: Range<usize>,
    ck: &mut Checker,
) -> Option<Option<(f64, u32)>> {
    match (&s.below, &s.remove) {
        (None, None) => Some(None),
        (Some(b), Some(r)) => {
            let b = threshold(ck, metric, b, "scaling.below");
            let r = ck
                .int_in(r, "scaling.remove", 1, MAX_INSTANCES)
                .map(|r| r as u32);
            Some(Some((b?, r?)))
        }
        _ => {
            ck.error(span, "scale-in needs both `below` and `remove`");
            None
        }
    }
}

fn target_tracking(
    s: &RawScaling,
    metric: Metric,
    span: Range<usize>,
    ck: &mut Checker,
) -> Option<Policy> {
    let Some(t) = &s.target else {
        ck.error(
            span,
            "target tracking needs `target`, such as `target = 60` (percent CPU)",
        );
        return None;
    };
    let target = threshold(ck, metric, t, "scaling.target");
    // aws-facts: §4 high-resolution target tracking (2024): the metric's period may be 10 s
    // or 30 s (60 s is the usual minute); longer periods are not supported.
    let period = ck.or(&s.period, None, |ck, p| {
        let t = ck.duration(p, "scaling.period")?;
        if [10, 30, 60].map(SimTime::from_secs).contains(&t) {
            Some(Some(t))
        } else {
            ck.error(
                p.span(),
                format!(
                    "`scaling.period` is one of {} (aws-facts §4 high-resolution target tracking), not {t}",
                    HIGH_RESOLUTION_PERIODS.join(", ")
                ),
            );
            None
        }
    });
    Some(Policy::TargetTracking {
        target: target?,
        scale_in: s.scale_in.unwrap_or(true),
        period: period?,
    })
}

fn step(
    s: &RawScaling,
    metric: Metric,
    span: Range<usize>,
    datapoints: Option<usize>,
    ck: &mut Checker,
) -> Option<Policy> {
    if s.steps.is_empty() {
        ck.error(span, "step scaling needs `steps`, such as `steps = [{ above = 60, add = 1 }, { above = 80, add = 3 }]`");
        return None;
    }
    let mut out = Vec::new();
    for st in &s.steps {
        let st = st.get_ref();
        let a = threshold(ck, metric, &st.above, "scaling.steps.above");
        let n = ck.int_in(&st.add, "scaling.steps.add", 1, MAX_INSTANCES);
        out.push((a?, n? as u32));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(Policy::Step {
        out,
        scale_in: scale_in(s, metric, span, ck)?,
        datapoints: datapoints?,
    })
}

fn simple(
    s: &RawScaling,
    metric: Metric,
    span: Range<usize>,
    datapoints: Option<usize>,
    ck: &mut Checker,
) -> Option<Policy> {
    let (Some(a), Some(n)) = (&s.above, &s.add) else {
        ck.error(span, "simple scaling needs `above` and `add`");
        return None;
    };
    let above = threshold(ck, metric, a, "scaling.above");
    let add = ck
        .int_in(n, "scaling.add", 1, MAX_INSTANCES)
        .map(|n| n as u32);
    // aws-facts: §4 simple scaling: default cooldown 300 s.
    let cooldown = ck.duration_or(&s.cooldown, "scaling.cooldown", DEFAULT_COOLDOWN);
    Some(Policy::Simple {
        above: above?,
        add: add?,
        scale_in: scale_in(s, metric, span, ck)?,
        datapoints: datapoints?,
        cooldown: cooldown?,
    })
}
