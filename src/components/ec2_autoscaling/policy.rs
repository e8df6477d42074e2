//! The scaling policies, as pure functions of what CloudWatch shows them: the datapoints of
//! the group's metric, the capacity they were measured on and the desired capacity. No kernel
//! here: the group (`scaling.rs`) asks at each datapoint and acts on the answer.
//! aws-facts: §4 policies.

use super::config::{Metric, Policy, Scaling, ScheduledAction};
use crate::kernel::SimTime;

/// aws-facts: §4 policies: target tracking scales out on 3 of 3 datapoints above the target
/// and in on 15 of 15 below 90 % of it (public labs, not documented).
pub(super) const TT_OUT_DATAPOINTS: usize = 3;
pub(super) const TT_IN_DATAPOINTS: usize = 15;
pub(super) const TT_IN_FRACTION: f64 = 0.9;
/// The datapoints a group keeps for its policy: the most any policy looks back over (target
/// tracking's 15, or a step or simple policy's `datapoints`, up to `MAX_DATAPOINTS`).
pub(super) const HISTORY: usize = if super::config::MAX_DATAPOINTS as usize > TT_IN_DATAPOINTS {
    super::config::MAX_DATAPOINTS as usize
} else {
    TT_IN_DATAPOINTS
};

/// One instance over a closed CloudWatch period.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sample {
    /// When it went in service [s] (`SimTime::MAX`: not yet).
    pub in_service_at: SimTime,
    /// When it stopped serving, failed or terminated [s] (`SimTime::MAX`: not yet).
    pub stopped_at: SimTime,
    /// When its warmup ends [s].
    pub warm_until: SimTime,
    /// CPU it used in the period [vCPU·s].
    pub cpu_used: f64,
    /// Requests it received in the period [requests].
    pub requests: u64,
}

/// The group's datapoint for the period of length `period` [s] that ends at `now`: its
/// instances' CPU utilisation [%] (of `vcpus` each) or requests per minute, as `metric`
/// says, each instance weighed by the part of the period it was in service, and how many
/// instances' worth of service it is of (in whole periods); `None` when no instance counts.
pub(super) fn datapoint(
    metric: Metric,
    period: SimTime,
    vcpus: f64,
    now: SimTime,
    samples: impl IntoIterator<Item = Sample>,
) -> Option<(f64, u32)> {
    let start = now.saturating_sub(period);
    // Weighed by the time each served: CloudWatch's datapoints are of the samples each
    // instance gave, and ALB's requests per target are requests over targets, so an instance
    // in service for a second does not weigh as one in service for the whole period.
    let (mut used, mut requests, mut served_s, mut counted) = (0.0, 0.0, 0.0, 0u32);
    for s in samples {
        // aws-facts: §4: warming instances are left out of the aggregated metric. Every other
        // instance that ran in the period published its datapoint for it, the mean over the
        // time it ran: the group's CloudWatch metric averages the datapoints its instances
        // published, so an instance launched or stopped within the period counts for the
        // part it served (counting only those that served all of it left a group whose
        // instances were replaced every two minutes with no datapoint at all, never scaling).
        let served = s
            .stopped_at
            .min(now)
            .saturating_sub(s.in_service_at.max(start));
        if served > SimTime::ZERO && s.warm_until <= now {
            counted += 1;
            served_s += served.as_secs_f64();
            used += s.cpu_used;
            requests += s.requests as f64;
        }
    }
    if counted == 0 {
        return None;
    }
    let value = match metric {
        Metric::RequestsPerTarget => requests * 60.0 / served_s,
        Metric::Cpu => (100.0 * used / (served_s * vcpus)).min(100.0),
    };
    // The instances it is of, in whole periods served: two each in service for half of it
    // are one instance's worth (a group scaled in to fit the metric counts what served).
    let instances = (served_s / period.as_secs_f64()).round().max(1.0) as u32;
    Some((value, instances.min(counted)))
}

/// Simple scaling's cooldown (aws-facts: §4 simple scaling): the policy does nothing until it
/// is over. It starts when a scale-out's activity ends (what it launched in service, or lost
/// on the way), and at once after a scale-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cooldown {
    /// No action before this time [s].
    Until(SimTime),
    /// A scale-out's launches are under way; the cooldown starts when they end.
    Activity,
}

impl Cooldown {
    /// Whether the policy may act at `now`.
    pub fn allows(self, now: SimTime) -> bool {
        matches!(self, Cooldown::Until(t) if now >= t)
    }

    /// The cooldown at `now`, when `booting` says whether any instance still boots: an
    /// activity that is over starts the policy's `cooldown` [s].
    pub fn settle(self, now: SimTime, booting: bool, cooldown: SimTime) -> Cooldown {
        match self {
            Cooldown::Activity if !booting => Cooldown::Until(now + cooldown),
            c => c,
        }
    }
}

/// What a policy sees when a datapoint reaches it.
#[derive(Clone, Copy, Debug)]
pub(super) struct View<'a> {
    /// The datapoints seen, oldest first and the newest last (at most `HISTORY`); `None` for
    /// a period no instance reported.
    pub datapoints: &'a [Option<f64>],
    /// Instances in service past their warmup, and failed ones not yet replaced [instances].
    pub capacity: u32,
    /// The instances the newest datapoint is the mean of [instances]: the capacity its load
    /// was measured on, which a datapoint seen a minute late may no longer be.
    pub measured_on: u32,
    /// The desired capacity [instances].
    pub desired: u32,
    /// Whether an instance boots or warms up: target tracking and step scaling do not scale
    /// in then.
    pub settling: bool,
    /// When it is [s].
    pub now: SimTime,
    /// Simple scaling's cooldown.
    pub cooldown: Cooldown,
}

/// What a policy asks of the group.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Decision {
    /// The desired capacity it asks for, before the group's min and max [instances].
    pub desired: u32,
    /// Why, in words for the event log.
    pub why: String,
    /// Simple scaling's cooldown once the desired capacity has changed (`None`: as it is).
    pub cooldown: Option<Cooldown>,
}

/// What `scaling` asks for on seeing `view`, if anything.
pub(super) fn decide(scaling: &Scaling, view: &View<'_>) -> Option<Decision> {
    // aws-facts: §4: no scaling on insufficient data.
    let v = (*view.datapoints.last()?)?;
    let m = scaling.metric;
    match &scaling.policy {
        Policy::TargetTracking {
            target, scale_in, ..
        } => target_tracking(view, v, m, *target, *scale_in),
        Policy::Step {
            out,
            scale_in,
            datapoints,
        } => step(view, v, m, out, *scale_in, *datapoints),
        Policy::Simple {
            above,
            add,
            scale_in,
            datapoints,
            cooldown,
        } => {
            let alarms = Alarms {
                above: *above,
                scale_in: *scale_in,
                datapoints: *datapoints,
            };
            simple(view, v, m, alarms, *add, *cooldown)
        }
    }
}

/// A bound for a message: to a hundredth, with no trailing zeros (90 % of 70 is 63, not
/// 63.00000000000001; a target of 33.33 stays 33.33).
fn bound_text(bound: f64) -> String {
    let s = format!("{bound:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `v` for a message beside `bound`: whole, or with as many decimals (up to 3) as it takes
/// not to read as the bound it is above or below ("44.9 % below 45 %", not "45 % below 45 %").
fn apart(v: f64, bound: f64) -> String {
    let b = bound_text(bound);
    (0..3)
        .map(|d| format!("{v:.d$}"))
        .find(|s| s.parse::<f64>().ok() != b.parse::<f64>().ok())
        .unwrap_or_else(|| format!("{v:.3}"))
}

/// Whether the last `n` datapoints all exist and satisfy `breach`.
fn breaching(datapoints: &[Option<f64>], n: usize, breach: impl Fn(f64) -> bool) -> bool {
    datapoints.len() >= n
        && datapoints[datapoints.len() - n..]
            .iter()
            .all(|x| x.is_some_and(&breach))
}

/// ⌈x⌉, forgiving the rounding of sums of time (2 × 100 / 50 must be 4, not 5).
fn ceil(x: f64) -> u32 {
    (x - 1e-9).ceil().max(0.0) as u32
}

/// Target tracking: out to ⌈n · v / target⌉ after `TT_OUT_DATAPOINTS` above the target, in to
/// it (at least one) after `TT_IN_DATAPOINTS` below `TT_IN_FRACTION` of it, nothing settling.
/// AWS documents the policy as scaling out fast and in cautiously (aws-facts: §4), not its
/// arithmetic; n is chosen to err each way as that says. Out, n is the capacity now (those
/// just past their warmup counted as if they had carried the datapoint's load: more, sooner).
/// In, n is the larger of that and the instances the newest datapoint is the mean of, so
/// that a datapoint measured on 12 instances at 38 %, seen a minute late after a scale-in to
/// 10, asks for the 10 that carry its load at a 50 % target, not 10 × 38 / 50 = 8, which
/// would cut into the load and be scaled out again.
fn target_tracking(
    view: &View<'_>,
    v: f64,
    m: Metric,
    target: f64,
    scale_in: bool,
) -> Option<Decision> {
    let (unit, n) = (m.unit(), f64::from(view.capacity));
    if breaching(view.datapoints, TT_OUT_DATAPOINTS, |x| x > target) {
        let want = ceil(n * v / target);
        return (want > view.desired).then(|| Decision {
            desired: want,
            why: format!(
                "target tracking: {} {}{unit} above {}{unit} for {TT_OUT_DATAPOINTS} datapoints",
                m.name(),
                apart(v, target),
                bound_text(target)
            ),
            cooldown: None,
        });
    }
    let low = TT_IN_FRACTION * target;
    if !(scale_in && !view.settling && breaching(view.datapoints, TT_IN_DATAPOINTS, |x| x < low)) {
        return None;
    }
    let n_in = f64::from(view.capacity.max(view.measured_on));
    let want = ceil(n_in * v / target).max(1);
    (want < view.desired).then(|| Decision {
        desired: want,
        why: format!(
            "target tracking: {} {}{unit} below {}{unit} for {TT_IN_DATAPOINTS} datapoints",
            m.name(),
            apart(v, low),
            bound_text(low)
        ),
        cooldown: None,
    })
}

/// Step scaling: the capacity past its warmup plus the largest step the value is above, when
/// that is more than desired (so an instance still warming from an earlier step counts toward
/// this one); scale-in by `remove`, nothing settling.
fn step(
    view: &View<'_>,
    v: f64,
    m: Metric,
    out: &[(f64, u32)],
    scale_in: Option<(f64, u32)>,
    datapoints: usize,
) -> Option<Decision> {
    let unit = m.unit();
    let lowest = out[0].0;
    if breaching(view.datapoints, datapoints, |x| x > lowest) {
        let add = out.iter().rev().find(|s| v > s.0).map_or(0, |s| s.1);
        // aws-facts: §4: instances still warming count toward the adjustment.
        let want = view.capacity + add;
        return (want > view.desired).then(|| Decision {
            desired: want,
            why: format!("step: {} {v:.0}{unit}, +{add}", m.name()),
            cooldown: None,
        });
    }
    let (below, remove) = scale_in?;
    (!view.settling && breaching(view.datapoints, datapoints, |x| x < below)).then(|| Decision {
        desired: view.desired.saturating_sub(remove),
        why: format!(
            "step: {} {}{unit} below {below}{unit}, -{remove}",
            m.name(),
            apart(v, below)
        ),
        cooldown: None,
    })
}

/// A simple policy's alarms: above a threshold, and optionally below one.
#[derive(Clone, Copy, Debug)]
struct Alarms {
    above: f64,
    scale_in: Option<(f64, u32)>,
    datapoints: usize,
}

/// Simple scaling: `add` above its threshold, `remove` below, nothing during its cooldown.
fn simple(
    view: &View<'_>,
    v: f64,
    m: Metric,
    alarms: Alarms,
    add: u32,
    cooldown: SimTime,
) -> Option<Decision> {
    // aws-facts: §4 simple scaling: nothing during the cooldown.
    if !view.cooldown.allows(view.now) {
        return None;
    }
    let (unit, above) = (m.unit(), alarms.above);
    if breaching(view.datapoints, alarms.datapoints, |x| x > above) {
        return Some(Decision {
            desired: view.desired + add,
            why: format!(
                "simple: {} {}{unit} above {above}{unit}, +{add}",
                m.name(),
                apart(v, above)
            ),
            cooldown: Some(Cooldown::Activity),
        });
    }
    let (below, remove) = alarms.scale_in?;
    breaching(view.datapoints, alarms.datapoints, |x| x < below).then(|| Decision {
        desired: view.desired.saturating_sub(remove),
        why: format!(
            "simple: {} {}{unit} below {below}{unit}, -{remove}",
            m.name(),
            apart(v, below)
        ),
        cooldown: Some(Cooldown::Until(view.now + cooldown)),
    })
}

/// The group's `(min, max, desired)` after a scheduled action: what the action does not set
/// stays; `max` is never below `min`, and the desired capacity is kept within both.
pub(super) fn scheduled(
    action: &ScheduledAction,
    (min, max, desired): (u32, u32, u32),
) -> (u32, u32, u32) {
    let min = action.min.unwrap_or(min);
    let max = action.max.map_or(max, |m| m.max(min));
    let desired = action.desired.unwrap_or(desired).clamp(min, max);
    (min, max, desired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    /// What a policy sees at one hour: `datapoints`, nothing settling, no cooldown running.
    fn view(datapoints: &[Option<f64>], capacity: u32, desired: u32) -> View<'_> {
        View {
            datapoints,
            capacity,
            measured_on: capacity,
            desired,
            settling: false,
            now: secs(3600),
            cooldown: Cooldown::Until(SimTime::ZERO),
        }
    }

    fn cpu(policy: Policy) -> Scaling {
        Scaling {
            metric: Metric::Cpu,
            policy,
        }
    }

    fn tracking(target: f64) -> Scaling {
        cpu(Policy::TargetTracking {
            target,
            scale_in: true,
            period: None,
        })
    }

    fn asks(scaling: &Scaling, view: &View<'_>) -> Option<u32> {
        decide(scaling, view).map(|d| d.desired)
    }

    fn same(v: f64, n: usize) -> Vec<Option<f64>> {
        vec![Some(v); n]
    }

    #[test]
    fn target_tracking_scales_out_after_three_datapoints_above_its_target() {
        let p = tracking(50.0);
        // Two datapoints above 50 % are not an alarm yet.
        assert_eq!(asks(&p, &view(&same(80.0, 2), 2, 2)), None);
        // The third: 2 instances at 80 % carry 160 %-instances, at 50 % each ⌈160 / 50⌉ = 4.
        assert_eq!(asks(&p, &view(&same(80.0, 3), 2, 2)), Some(4));
        // One of the three at 40 % (or missing) breaks the run.
        let broken = [Some(40.0), Some(80.0), Some(80.0)];
        assert_eq!(asks(&p, &view(&broken, 2, 2)), None);
        let missing = [Some(80.0), None, Some(80.0)];
        assert_eq!(asks(&p, &view(&missing, 2, 2)), None);
        // At the target is not above it.
        assert_eq!(asks(&p, &view(&same(50.0, 3), 2, 2)), None);
        // 2 × 100 / 50 is 4, not 5, however the sum rounds.
        assert_eq!(asks(&p, &view(&same(100.0, 3), 2, 2)), Some(4));
        // Already desired: 4 instances wanted, 4 desired (two of them still warming).
        assert_eq!(asks(&p, &view(&same(80.0, 3), 2, 4)), None);
    }

    #[test]
    fn target_tracking_scales_in_after_fifteen_datapoints_below_ninety_percent() {
        let p = tracking(50.0);
        // 4 instances at 30 % carry 120 %-instances: ⌈120 / 50⌉ = 3, after 15 below 45 %.
        assert_eq!(asks(&p, &view(&same(30.0, 14), 4, 4)), None);
        assert_eq!(asks(&p, &view(&same(30.0, 15), 4, 4)), Some(3));
        // 46 % is below the target but above 90 % of it (45 %): no alarm.
        assert_eq!(asks(&p, &view(&same(46.0, 15), 4, 4)), None);
        // Not while an instance boots or warms up.
        let cool = same(30.0, 15);
        let settling = View {
            settling: true,
            ..view(&cool, 4, 4)
        };
        assert_eq!(asks(&p, &settling), None);
        // Not when scale-in is off.
        let out_only = cpu(Policy::TargetTracking {
            target: 50.0,
            scale_in: false,
            period: None,
        });
        assert_eq!(asks(&out_only, &view(&same(30.0, 15), 4, 4)), None);
        // Never below one instance: ⌈2 × 0 / 50⌉ = 0, kept at 1.
        assert_eq!(asks(&p, &view(&same(0.0, 15), 2, 2)), Some(1));
    }

    #[test]
    fn target_tracking_scales_in_no_further_than_the_load_its_datapoint_measured() {
        let p = tracking(50.0);
        // Scaled in from 12 to 10 a minute ago; the datapoint seen now was measured on the
        // 12: 12 × 38 % is 456 %-instances, ⌈456 / 50⌉ = 10, as many as desired: nothing more
        // (from the 10 in service, ⌈10 × 38 / 50⌉ = 8 would cut into the load).
        let low = same(38.0, 15);
        let stale = View {
            measured_on: 12,
            ..view(&low, 10, 10)
        };
        assert_eq!(asks(&p, &stale), None);
        // Measured on 12 at 30 %: 360 %-instances, ⌈360 / 50⌉ = 8 from 10.
        let lower_dp = same(30.0, 15);
        let lower = View {
            measured_on: 12,
            ..view(&lower_dp, 10, 10)
        };
        assert_eq!(asks(&p, &lower), Some(8));
        // Out, fast: from the capacity now, two of it just past their warmup and not in the
        // datapoint (measured on 2 at 80 %): ⌈4 × 80 / 50⌉ = 7.
        let high = same(80.0, 3);
        let warmed = View {
            measured_on: 2,
            ..view(&high, 4, 4)
        };
        assert_eq!(asks(&p, &warmed), Some(7));
    }

    #[test]
    fn a_value_never_reads_as_the_bound_it_crossed() {
        assert_eq!(apart(38.4, 45.0), "38");
        assert_eq!(apart(44.9, 45.0), "44.9");
        assert_eq!(apart(44.96, 45.0), "44.96");
        assert_eq!(apart(50.04, 50.0), "50.04");
        assert_eq!(bound_text(0.9 * 70.0), "63");
        assert_eq!(bound_text(0.9 * 45.0), "40.5");
        assert_eq!(bound_text(33.33), "33.33");
        assert_eq!(bound_text(50.0), "50");
        let p = tracking(50.0);
        let d = same(44.96, 15);
        let why = decide(&p, &view(&d, 10, 10)).unwrap().why;
        assert_eq!(
            why,
            "target tracking: cpu 44.96% below 45% for 15 datapoints"
        );
    }

    #[test]
    fn no_datapoint_no_scaling() {
        // The newest period had no instance to report: insufficient data, whatever came before.
        let mut dp = same(90.0, 5);
        dp.push(None);
        assert_eq!(asks(&tracking(50.0), &view(&dp, 2, 2)), None);
        assert_eq!(asks(&tracking(50.0), &view(&[], 2, 2)), None);
    }

    /// An instance over the minute from 540 s to 600 s, on 2 vCPUs, that received 300
    /// requests; times in seconds, `None` for never.
    fn sample(
        in_service_at: u64,
        stopped_at: Option<u64>,
        warm_until: u64,
        cpu_used: f64,
    ) -> Sample {
        Sample {
            in_service_at: secs(in_service_at),
            stopped_at: stopped_at.map_or(SimTime::MAX, secs),
            warm_until: secs(warm_until),
            cpu_used,
            requests: 300,
        }
    }

    #[test]
    fn warming_instances_are_left_out_of_the_aggregate() {
        let full = [
            // In service and warm all minute: 60 vCPU·s of 120, 50 %.
            sample(0, None, 0, 60.0),
            // Warming until 630 s: left out, busy as it is.
            sample(0, None, 630, 120.0),
            // Stopped at the period's very end: 24 of 120 is 20 %.
            sample(0, Some(600), 0, 24.0),
            // Stopped before the period: left out.
            sample(0, Some(300), 0, 120.0),
            // Not yet in service: left out.
            sample(600, None, 0, 0.0),
        ];
        let dp = |m, period| datapoint(m, secs(period), 2.0, secs(600), full);
        // (50 + 20) / 2 = 35 %.
        assert_eq!(dp(Metric::Cpu, 60), Some((35.0, 2)));
        // 300 requests a minute each, for both counted.
        assert_eq!(dp(Metric::RequestsPerTarget, 60), Some((300.0, 2)));
        // Over five minutes (from 300 s) the same 300 requests are 60 a minute.
        assert_eq!(dp(Metric::RequestsPerTarget, 300), Some((60.0, 2)));
        // An instance in service for part of the period counts for that part, weighed by
        // it: in service from 570 s (30 s, 30 vCPU·s) and stopped at 580 s (40 s, 8 vCPU·s)
        // beside two all minute (60 + 24 vCPU·s): 122 vCPU·s of 2 × 190 s is 32.1 %, of
        // 190 / 60 = 3.2, about 3 instances' worth.
        let churned = [
            sample(0, None, 0, 60.0),
            sample(0, Some(600), 0, 24.0),
            sample(570, None, 0, 30.0),
            sample(0, Some(580), 0, 8.0),
        ];
        let (cpu, n) = datapoint(Metric::Cpu, secs(60), 2.0, secs(600), churned).unwrap();
        assert!((cpu - 100.0 * 122.0 / 380.0).abs() < 1e-9, "{cpu}");
        assert_eq!(n, 3);
        // A fleet replaced within every period still has a datapoint: one instance's worth.
        let replaced = [sample(0, Some(570), 0, 30.0), sample(575, None, 0, 25.0)];
        assert_eq!(
            datapoint(Metric::Cpu, secs(60), 2.0, secs(600), replaced),
            Some((50.0, 1))
        );
        // An instance in service for a second does not weigh as a whole one: its 300
        // requests beside two instances' 300 a minute each are 900 over 121 s.
        let brief = [
            sample(0, None, 0, 60.0),
            sample(0, None, 0, 60.0),
            sample(599, None, 0, 1.0),
        ];
        let (rpm, n) =
            datapoint(Metric::RequestsPerTarget, secs(60), 2.0, secs(600), brief).unwrap();
        assert!((rpm - 900.0 * 60.0 / 121.0).abs() < 1e-9, "{rpm}");
        assert_eq!(n, 2);
        // Nobody warm: no datapoint.
        let warming = [sample(0, None, 630, 60.0)];
        assert_eq!(
            datapoint(Metric::Cpu, secs(60), 2.0, secs(600), warming),
            None
        );
        // CPU is capped at 100 %, whatever the rounding of the area gives.
        let over = [sample(0, None, 0, 120.5)];
        assert_eq!(
            datapoint(Metric::Cpu, secs(60), 2.0, secs(600), over),
            Some((100.0, 1))
        );
    }

    #[test]
    fn step_scaling_adds_by_its_step_and_counts_warming_instances() {
        let p = cpu(Policy::Step {
            out: vec![(60.0, 1), (80.0, 3)],
            scale_in: Some((30.0, 1)),
            datapoints: 2,
        });
        // 2 warm instances at 70 %, none warming: 2 + 1 = 3.
        assert_eq!(asks(&p, &view(&same(70.0, 2), 2, 2)), Some(3));
        // The same with one still warming from that step (desired 3): 2 + 1 is not more.
        assert_eq!(asks(&p, &view(&same(70.0, 2), 2, 3)), None);
        // At 90 % the larger step: 2 + 3 = 5, above the 3 desired.
        assert_eq!(asks(&p, &view(&[Some(70.0), Some(90.0)], 2, 3)), Some(5));
        // One of the two datapoints not above the lowest step (60 %): no alarm.
        assert_eq!(asks(&p, &view(&[Some(50.0), Some(90.0)], 2, 2)), None);
        // Below 30 % twice: one fewer than desired, 3 - 1 = 2; not while settling.
        assert_eq!(asks(&p, &view(&same(20.0, 2), 3, 3)), Some(2));
        let cool = same(20.0, 2);
        let settling = View {
            settling: true,
            ..view(&cool, 3, 3)
        };
        assert_eq!(asks(&p, &settling), None);
    }

    fn simple_policy() -> Scaling {
        cpu(Policy::Simple {
            above: 70.0,
            add: 2,
            scale_in: Some((20.0, 1)),
            datapoints: 1,
            cooldown: secs(300),
        })
    }

    #[test]
    fn simple_scaling_acts_only_once_its_cooldown_is_over() {
        let p = simple_policy();
        let hot = same(80.0, 1);
        // Free to act: 3 + 2 = 5, and the cooldown waits for the launches to end.
        let d = decide(&p, &view(&hot, 3, 3)).unwrap();
        assert_eq!((d.desired, d.cooldown), (5, Some(Cooldown::Activity)));
        // Nothing while the launches are under way, nor a second before the cooldown's end.
        let busy = View {
            cooldown: Cooldown::Activity,
            ..view(&hot, 3, 5)
        };
        assert_eq!(asks(&p, &busy), None);
        let cooling = View {
            cooldown: Cooldown::Until(secs(3601)),
            ..view(&hot, 3, 5)
        };
        assert_eq!(asks(&p, &cooling), None);
        // A scale-in, 5 - 1 = 4, starts its cooldown at once: until 3600 + 300 = 3900 s.
        let d = decide(&p, &view(&same(10.0, 1), 5, 5)).unwrap();
        assert_eq!(d.desired, 4);
        assert_eq!(d.cooldown, Some(Cooldown::Until(secs(3900))));
    }

    #[test]
    fn simple_scaling_cooldown_starts_when_its_activity_ends() {
        let cooldown = secs(300);
        // Launches still booting at 100 s: the activity goes on.
        let c = Cooldown::Activity.settle(secs(100), true, cooldown);
        assert_eq!(c, Cooldown::Activity);
        assert!(!c.allows(secs(100)));
        // The last is in service at 160 s: no action until 160 + 300 = 460 s.
        let c = c.settle(secs(160), false, cooldown);
        assert_eq!(c, Cooldown::Until(secs(460)));
        assert!(!c.allows(secs(459)));
        assert!(c.allows(secs(460)));
        // A cooldown running is not moved by later boots ending.
        assert_eq!(c.settle(secs(200), false, cooldown), c);
    }

    #[test]
    fn scheduled_actions_set_what_they_give_within_the_bounds() {
        let action = |min, max, desired| ScheduledAction {
            at: secs(60),
            min,
            max,
            desired,
        };
        // A new min of 3 raises the desired 2 to it.
        assert_eq!(
            scheduled(&action(Some(3), None, None), (1, 4, 2)),
            (3, 4, 3)
        );
        // A max of 2 under a min of 3 is held at 3, and the desired 5 comes down to it.
        assert_eq!(
            scheduled(&action(None, Some(2), None), (3, 10, 5)),
            (3, 3, 3)
        );
        // A desired of 8 above the max of 4 is held at 4.
        assert_eq!(
            scheduled(&action(None, None, Some(8)), (1, 4, 2)),
            (1, 4, 4)
        );
        // All three set.
        assert_eq!(
            scheduled(&action(Some(0), Some(10), Some(6)), (1, 4, 2)),
            (0, 10, 6)
        );
    }
}
