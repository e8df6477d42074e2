//! The `ec2_autoscaling` table: its keys as written, and the validated config.

use crate::components::instance_types::{self, InstanceType};
use crate::components::CallSpec;
use crate::config::raw::{RawCall, RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::SimTime;
use serde::Deserialize;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Market {
    OnDemand,
    Spot,
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
}

#[derive(Clone, Debug)]
pub enum Policy {
    TargetTracking {
        target: f64,
        scale_in: bool,
    },
    /// Steps `(above, add)` sorted by threshold; optional scale-in `(below, remove)`.
    Step {
        out: Vec<(f64, u32)>,
        scale_in: Option<(f64, u32)>,
        datapoints: usize,
    },
    Simple {
        above: f64,
        add: u32,
        scale_in: Option<(f64, u32)>,
        datapoints: usize,
        cooldown: SimTime,
    },
}

#[derive(Clone, Debug)]
pub struct Scaling {
    pub metric: Metric,
    pub policy: Policy,
}

#[derive(Clone, Debug)]
pub struct ScheduledAction {
    pub at: SimTime,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub desired: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthCheckType {
    Ec2,
    Elb,
}

#[derive(Clone, Debug)]
pub struct AsgConfig {
    pub instance_type_name: String,
    pub itype: InstanceType,
    /// Zones the group launches into (`None`: no particular zone).
    pub zones: Vec<Option<String>>,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub market: Market,
    /// With `market = "spot"`: this many instances on demand first.
    pub on_demand_base: u32,
    pub hourly: [f64; 3],
    /// CPU time per request on one m5 vCPU [s].
    pub work: Dist,
    pub threads: u32,
    pub queue: u32,
    pub boot_time: Dist,
    /// Instance warmup (`ZERO`: off).
    pub warmup: SimTime,
    /// CloudWatch period.
    pub period: SimTime,
    pub metric_delay: SimTime,
    pub scaling: Option<Scaling>,
    pub schedule: Vec<ScheduledAction>,
    pub health_check_type: HealthCheckType,
    pub grace: SimTime,
    pub capacity_rebalance: bool,
    pub calls: Vec<CallSpec>,
}

impl AsgConfig {
    pub(super) fn lines(&self) -> Vec<String> {
        let policy = match &self.scaling {
            None => "no scaling policy".to_string(),
            Some(s) => match &s.policy {
                Policy::TargetTracking { target, .. } => {
                    format!("target tracking {} {target}", s.metric.name())
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

fn count(ck: &mut Checker, v: &Option<Spanned<i64>>, key: &str, default: u32) -> Option<u32> {
    match v {
        None => Some(default),
        Some(v) => ck.int_in(v, key, 0, 10_000).map(|v| v as u32),
    }
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

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<AsgConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawAsg = ck.deserialize(table)?;
    let itype = match instance_types::ec2(raw.instance_type.get_ref()) {
        Some(t) => Some(t),
        None => {
            ck.error(
                raw.instance_type.span(),
                format!(
                    "unknown instance type \"{}\"; known types are: {}",
                    raw.instance_type.get_ref(),
                    instance_types::ec2_names().join(", ")
                ),
            );
            None
        }
    };
    let zones: Vec<Option<String>> = match &raw.zones {
        None => vec![None],
        Some(z) if z.is_empty() => {
            ck.error(
                at.clone(),
                "`zones` lists the zones the group launches into: give at least one",
            );
            return None;
        }
        Some(z) => {
            for (i, a) in z.iter().enumerate() {
                if z[..i].iter().any(|b| b.get_ref() == a.get_ref()) {
                    ck.error(
                        a.span(),
                        format!("zone \"{}\" is listed twice", a.get_ref()),
                    );
                }
            }
            z.iter().map(|a| Some(a.get_ref().clone())).collect()
        }
    };
    let min = count(ck, &raw.min, "min", 1);
    let max = count(ck, &raw.max, "max", 1.max(min.unwrap_or(1)));
    let (min, max) = (min?, max?);
    if max < min || max == 0 {
        ck.error(
            raw.max.as_ref().map_or(at.clone(), |m| m.span()),
            format!("`max` ({max}) must be at least 1 and at least `min` ({min})"),
        );
        return None;
    }
    let desired = match &raw.desired {
        None => Some(min),
        Some(d) => ck
            .int_in(d, "desired", min as i64, max as i64)
            .map(|d| d as u32),
    };
    let market = match &raw.market {
        None => Some(Market::OnDemand),
        Some(m) => ck
            .one_of(m, "market", &["on_demand", "spot", "reserved"])
            .map(|m| match m {
                "spot" => Market::Spot,
                "reserved" => Market::Reserved,
                _ => Market::OnDemand,
            }),
    };
    let on_demand_base = match &raw.on_demand_base {
        None => Some(0),
        Some(b) if market != Some(Market::Spot) => {
            ck.error(b.span(), "`on_demand_base` is for market = \"spot\": the instances launched on demand before spot ones");
            None
        }
        Some(b) => ck.int_in(b, "on_demand_base", 0, 10_000).map(|b| b as u32),
    };
    let work = ck.time_dist(&raw.work, "work");
    let threads = match &raw.threads {
        // Not an AWS figure: a web server's worker pool (Tomcat's default maxThreads, 200) and
        // its accept queue (acceptCount, 100).
        None => Some(200),
        Some(t) => ck.int_in(t, "threads", 1, 100_000).map(|t| t as u32),
    };
    let queue = match &raw.queue {
        None => Some(100),
        Some(q) => ck.int_in(q, "queue", 0, 1_000_000).map(|q| q as u32),
    };
    let boot_time = match &raw.boot_time {
        // aws-facts: §4 launch/boot [O]: 30–60 s to the OS, plus the application's start.
        None => Some(Dist::Uniform {
            min: 40.0,
            max: 90.0,
        }),
        Some(b) => ck.time_dist(b, "boot_time"),
    };
    let warmup = match &raw.warmup {
        // aws-facts: §4: default instance warmup is off unless set.
        None => Some(SimTime::ZERO),
        Some(w) => ck.duration(w, "warmup"),
    };
    let period = match &raw.monitoring {
        // aws-facts: §4: CloudWatch basic monitoring 5 min, detailed 1 min. Launch templates
        // leave detailed monitoring off.
        None => Some(SimTime::from_secs(300)),
        Some(m) => ck
            .one_of(m, "monitoring", &["basic", "detailed"])
            .map(|m| SimTime::from_secs(if m == "basic" { 300 } else { 60 })),
    };
    let metric_delay = match &raw.metric_delay {
        // Not in aws-facts: the time from a period's end until its datapoint is visible to
        // alarms; a minute is the usual observation.
        None => Some(SimTime::from_secs(60)),
        Some(d) => ck.duration(d, "metric_delay"),
    };
    let scaling = match &raw.scaling {
        None => Some(None),
        Some(s) => parse_scaling(s, ck).map(Some),
    };
    let mut schedule = Vec::new();
    let mut sched_ok = true;
    for a in &raw.schedule {
        let a = a.get_ref();
        let at = ck.duration(&a.at, "schedule.at");
        let mn = a
            .min
            .as_ref()
            .map(|v| ck.int_in(v, "schedule.min", 0, 10_000));
        let mx = a
            .max
            .as_ref()
            .map(|v| ck.int_in(v, "schedule.max", 1, 10_000));
        let ds = a
            .desired
            .as_ref()
            .map(|v| ck.int_in(v, "schedule.desired", 0, 10_000));
        if mn.is_none() && mx.is_none() && ds.is_none() {
            ck.error(
                a.at.span(),
                "a scheduled action sets at least one of `min`, `max` and `desired`",
            );
            sched_ok = false;
            continue;
        }
        let conv = |v: Option<Option<i64>>| match v {
            None => Some(None),
            Some(None) => None,
            Some(Some(v)) => Some(Some(v as u32)),
        };
        match (at, conv(mn), conv(mx), conv(ds)) {
            (Some(at), Some(min), Some(max), Some(desired)) => schedule.push(ScheduledAction {
                at,
                min,
                max,
                desired,
            }),
            _ => sched_ok = false,
        }
    }
    if sched_ok {
        sched_ok = check_schedule(&raw.schedule, &schedule, (min, max), ck);
    }
    let health_check_type = match &raw.health_check_type {
        None => Some(HealthCheckType::Ec2),
        Some(h) => ck.one_of(h, "health_check_type", &["ec2", "elb"]).map(|h| {
            if h == "elb" {
                HealthCheckType::Elb
            } else {
                HealthCheckType::Ec2
            }
        }),
    };
    let grace = match &raw.health_check_grace_period {
        // aws-facts: §4 health: 300 s from the console (0 from the API).
        None => Some(SimTime::from_secs(300)),
        Some(g) => ck.duration(g, "health_check_grace_period"),
    };
    let itype = itype?;
    let on_demand = itype.on_demand_hourly;
    let spot = match &raw.spot_price {
        None => Some(on_demand * instance_types::SPOT_FRACTION),
        Some(p) => ck.positive(p, "spot_price", "a price in USD per hour"),
    };
    let calls = ck.calls(&raw.calls);
    if !sched_ok {
        return None;
    }
    Some(AsgConfig {
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
        desired: desired?,
        market: market?,
        on_demand_base: on_demand_base?,
        work: work?,
        threads: threads?,
        queue: queue?,
        boot_time: boot_time?,
        warmup: warmup?,
        period: period?,
        metric_delay: metric_delay?,
        scaling: scaling?,
        schedule,
        health_check_type: health_check_type?,
        grace: grace?,
        capacity_rebalance: raw.capacity_rebalance.unwrap_or(false),
        calls: calls?,
    })
}

fn parse_scaling(s: &Spanned<RawScaling>, ck: &mut Checker) -> Option<Scaling> {
    let span = s.span();
    let s = s.get_ref();
    let policy = ck.one_of(
        &s.policy,
        "scaling.policy",
        &["target_tracking", "step", "simple"],
    )?;
    let metric = match &s.metric {
        None => Some(Metric::Cpu),
        Some(m) => ck
            .one_of(m, "scaling.metric", &["cpu", "requests_per_target"])
            .map(|m| {
                if m == "cpu" {
                    Metric::Cpu
                } else {
                    Metric::RequestsPerTarget
                }
            }),
    }?;
    // Keys that belong to other policies.
    let given: [(&str, Option<std::ops::Range<usize>>); 8] = [
        ("target", s.target.as_ref().map(|v| v.span())),
        ("scale_in", None),
        ("steps", s.steps.first().map(|v| v.span())),
        ("above", s.above.as_ref().map(|v| v.span())),
        ("add", s.add.as_ref().map(|v| v.span())),
        ("below", s.below.as_ref().map(|v| v.span())),
        ("remove", s.remove.as_ref().map(|v| v.span())),
        ("cooldown", s.cooldown.as_ref().map(|v| v.span())),
    ];
    let allowed: &[&str] = match policy {
        "target_tracking" => &["target"],
        "step" => &["steps", "below", "remove"],
        _ => &["above", "add", "below", "remove", "cooldown"],
    };
    let mut ok = true;
    for (k, sp) in &given {
        if let (Some(sp), false) = (sp, allowed.contains(k)) {
            ck.error(
                sp.clone(),
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
    if !ok {
        return None;
    }
    let datapoints = match &s.datapoints {
        None => Some(1),
        Some(d) => ck
            .int_in(d, "scaling.datapoints", 1, 100)
            .map(|d| d as usize),
    };
    let pct_or_rate = |ck: &mut Checker, v: &Spanned<f64>, key: &str| -> Option<f64> {
        let x = *v.get_ref();
        if metric == Metric::Cpu && !(x > 0.0 && x < 100.0) {
            ck.error(
                v.span(),
                format!("`{key}` is a CPU utilisation in percent, above 0 and below 100, not {x}"),
            );
            return None;
        }
        ck.positive(v, key, "a threshold")
    };
    let scale_in = |ck: &mut Checker| -> Option<Option<(f64, u32)>> {
        match (&s.below, &s.remove) {
            (None, None) => Some(None),
            (Some(b), Some(r)) => {
                let b = pct_or_rate(ck, b, "scaling.below");
                let r = ck.int_in(r, "scaling.remove", 1, 10_000).map(|r| r as u32);
                Some(Some((b?, r?)))
            }
            _ => {
                ck.error(span.clone(), "scale-in needs both `below` and `remove`");
                None
            }
        }
    };
    let policy = match policy {
        "target_tracking" => {
            let Some(t) = &s.target else {
                ck.error(
                    span,
                    "target tracking needs `target`, such as `target = 60` (percent CPU)",
                );
                return None;
            };
            Policy::TargetTracking {
                target: pct_or_rate(ck, t, "scaling.target")?,
                scale_in: s.scale_in.unwrap_or(true),
            }
        }
        "step" => {
            if s.steps.is_empty() {
                ck.error(span, "step scaling needs `steps`, such as `steps = [{ above = 60, add = 1 }, { above = 80, add = 3 }]`");
                return None;
            }
            let mut out = Vec::new();
            for st in &s.steps {
                let st = st.get_ref();
                let a = pct_or_rate(ck, &st.above, "scaling.steps.above");
                let n = ck.int_in(&st.add, "scaling.steps.add", 1, 10_000);
                out.push((a?, n? as u32));
            }
            out.sort_by(|a, b| a.0.total_cmp(&b.0));
            Policy::Step {
                out,
                scale_in: scale_in(ck)?,
                datapoints: datapoints?,
            }
        }
        _ => {
            let (Some(a), Some(n)) = (&s.above, &s.add) else {
                ck.error(span, "simple scaling needs `above` and `add`");
                return None;
            };
            let above = pct_or_rate(ck, a, "scaling.above");
            let add = ck.int_in(n, "scaling.add", 1, 10_000).map(|n| n as u32);
            let cooldown = match &s.cooldown {
                // aws-facts: §4 simple scaling: default cooldown 300 s.
                None => Some(SimTime::from_secs(300)),
                Some(c) => ck.duration(c, "scaling.cooldown"),
            };
            Policy::Simple {
                above: above?,
                add: add?,
                scale_in: scale_in(ck)?,
                datapoints: datapoints?,
                cooldown: cooldown?,
            }
        }
    };
    Some(Scaling { metric, policy })
}
