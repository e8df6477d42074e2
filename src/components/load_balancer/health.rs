//! Health checks: every interval a probe to each target that is neither draining nor gone,
//! counted against the thresholds (aws-facts: §3 health checks); the verdict is written back
//! to an Auto Scaling group's target group, whose group may act on it.

use super::{LbType, LoadBalancer, Reply, Timer};
use crate::components::Token;
use crate::kernel::{Ctx, Msg, SimTime};

impl LoadBalancer {
    /// Probes every target that may be checked, and sets the next round.
    pub(super) fn probe_all(&mut self, ctx: &mut Ctx<'_>) {
        self.sync(ctx.now());
        for i in 0..self.targets.len() {
            let t = &self.targets[i];
            // aws-facts: §3: draining targets are not health-checked.
            if t.gone || t.draining {
                continue;
            }
            let msg = Msg {
                instance: t.instance,
                ..Msg::probe(self.cfg.health.probe_op, ctx.now())
            };
            let timing = t
                .edge
                .timing(&mut self.rng, SimTime::ZERO, Some(self.cfg.health.timeout));
            ctx.call(t.edge.to, msg, timing, Reply::Probe(i).encode());
        }
        if ctx.now() + self.cfg.health.interval < self.clock.end {
            ctx.schedule(self.cfg.health.interval, Timer::HealthChecks.encode());
        }
    }

    /// Counts the result of a probe of target `i`: `ok` when it answered 200 in time.
    pub(super) fn probe_result(&mut self, ctx: &mut Ctx<'_>, i: usize, ok: bool) {
        let now = ctx.now();
        let t = &mut self.targets[i];
        if t.gone || t.draining {
            return;
        }
        // A choice (AWS does not say when): a target the passive checks took out is back in
        // rotation once an active check passes.
        if ok && t.passive_out {
            t.passive_out = false;
            self.invalidate(now);
        }
        let h = &self.cfg.health;
        let t = &mut self.targets[i];
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
            let turned_unhealthy = !t.healthy;
            self.healthy.add(&self.clock, now, delta);
            let detail = t.name.clone();
            self.events.push(now, name, detail);
            self.invalidate(now);
            if turned_unhealthy && self.cfg.lb_type == LbType::Network {
                self.reset_connections(ctx, i);
            }
        }
        let t = &self.targets[i];
        if let (Some(g), false) = (&self.group, t.initial) {
            g.borrow_mut().set_health(t.instance, t.healthy);
        }
    }

    /// Network: a connection to target `i` failed. aws-facts: §3 NLB health checks: passive
    /// health checks, always on, can take a target out before the active checks find it: no
    /// new request goes to it until an active check passes.
    pub(super) fn passive_failure(&mut self, now: SimTime, i: usize) {
        let t = &mut self.targets[i];
        if self.cfg.lb_type != LbType::Network || t.gone || t.draining || t.passive_out {
            return;
        }
        t.passive_out = true;
        self.passive_outs += u64::from(self.clock.measured(now));
        let detail = t.name.clone();
        self.events.push(now, "passive_unhealthy", detail);
        self.invalidate(now);
    }
}
