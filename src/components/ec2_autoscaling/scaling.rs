//! The group's side of scaling: it closes each CloudWatch period into a datapoint, hands the
//! datapoint to its policy (`policy.rs`) once it is visible, and does what the policy and the
//! scheduled actions ask.

use super::fleet::State;
use super::policy::{self, View, HISTORY};
use super::{AutoScalingGroup, Metric, Timer};
use crate::components::Token;
use crate::kernel::{Ctx, SimTime};

impl AutoScalingGroup {
    /// A CloudWatch period is over: its datapoint is published, and reaches the policy
    /// `metric_delay` later.
    pub(super) fn close_period(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let period = self.cfg.period;
        let metric = self.cfg.scaling.as_ref().map_or(Metric::Cpu, |s| s.metric);
        let vcpus = f64::from(self.cfg.itype.vcpus);
        let samples = self.instances.iter_mut().map(|i| i.close_period(now));
        let datapoint = policy::datapoint(metric, period, vcpus, now, samples);
        self.pending_datapoints.push_back(datapoint);
        ctx.schedule(self.cfg.metric_delay, Timer::Evaluate.encode());
        if now + period < self.clock.end {
            ctx.schedule(period, Timer::Period.encode());
        }
    }

    /// The oldest pending datapoint reaches the policy, which may change the desired capacity.
    pub(super) fn evaluate(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let Some(dp) = self.pending_datapoints.pop_front() else {
            return;
        };
        self.history.push_back(dp.map(|(v, _)| v));
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        if let Some((v, _)) = dp {
            self.first_metric.get_or_insert(now);
            self.metric_level.set(&self.clock, now, v);
        }
        let (capacity, settling) = (self.capacity(now), self.settling(now));
        let Some(scaling) = &self.cfg.scaling else {
            return;
        };
        let view = View {
            datapoints: self.history.make_contiguous(),
            capacity,
            measured_on: dp.map_or(0, |(_, n)| n),
            desired: self.desired,
            settling,
            now,
            cooldown: self.cooldown,
        };
        let Some(decision) = policy::decide(scaling, &view) else {
            return;
        };
        let before = self.desired;
        self.set_desired(ctx, decision.desired, decision.why);
        if let (Some(c), true) = (decision.cooldown, self.desired != before) {
            self.cooldown = c;
        }
    }

    /// aws-facts: §4: the capacity the policy scales from: instances in service past their
    /// warmup (a broken one counts until it is replaced; it just reports nothing).
    fn capacity(&self, now: SimTime) -> u32 {
        self.instances
            .iter()
            .filter(|i| {
                (i.state == State::InService && i.warm_until <= now) || i.state == State::Failed
            })
            .count() as u32
    }

    /// Whether an instance boots or warms up (aws-facts: §4: no scale-in while instances warm).
    fn settling(&self, now: SimTime) -> bool {
        self.instances.iter().any(|i| {
            i.state == State::Booting || (i.state == State::InService && i.warm_until > now)
        })
    }

    /// Scheduled action `k` sets the group's sizes.
    pub(super) fn scheduled_action(&mut self, ctx: &mut Ctx<'_>, k: usize) {
        let (min, max, desired) =
            policy::scheduled(&self.cfg.schedule[k], (self.min, self.max, self.desired));
        (self.min, self.max) = (min, max);
        self.events.push(
            ctx.now(),
            "scheduled_action",
            format!("min {min} max {max} desired {desired}"),
        );
        if desired != self.desired {
            self.set_desired(ctx, desired, "scheduled action".into());
        } else {
            self.reconcile(ctx);
        }
    }
}
