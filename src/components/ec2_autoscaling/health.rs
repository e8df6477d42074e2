//! The group's health: EC2 status checks and the load balancer's, the replacement of what
//! they find; failures of instances and of zones; spot interruption notices.

use super::fleet::State;
use super::{AutoScalingGroup, Fault, HealthCheckType, Market, Timer};
use crate::components::Token;
use crate::kernel::{Ctx, SimTime};
use crate::status;
use rand::seq::SliceRandom;

/// aws-facts: §4 spot: two-minute interruption notice.
const SPOT_NOTICE: SimTime = SimTime::from_secs(120);
/// EC2 status checks run every minute; the group replaces an instance failing two in a row.
/// Not in aws-facts (chosen: the usual two-failure alarm on one-minute checks).
const STATUS_CHECK_DETECTION: SimTime = SimTime::from_secs(120);
/// How often the group looks at instance health, drains and balance.
pub(super) const HEALTH_TICK: SimTime = SimTime::from_secs(10);

impl AutoScalingGroup {
    /// Every `HEALTH_TICK`: replaces what the health checks find unhealthy, and keeps the
    /// desired capacity and the zones' balance.
    pub(super) fn health_tick(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        for k in 0..self.instances.len() {
            self.check_health(ctx, k);
        }
        self.settle_activity(now);
        self.reconcile(ctx);
        self.rebalance_zones(ctx);
        if now + HEALTH_TICK < self.clock.end {
            ctx.schedule(HEALTH_TICK, Timer::Health.encode());
        }
    }

    /// aws-facts: §4 health and replacement: an instance unhealthy by the EC2 status checks,
    /// or by the load balancer's when the group uses them, is terminated, then replaced; the
    /// group acts on neither until the grace period after the instance came into service is
    /// over (`asg:health-check-grace-period.html`: the time "to keep a new instance in
    /// service before terminating it if it's found to be unhealthy"; over at once for the
    /// instances the run starts with, `Instance::grace_until`). One that failed before it
    /// came into service is replaced once the status checks see it.
    fn check_health(&mut self, ctx: &mut Ctx<'_>, k: usize) {
        let now = ctx.now();
        let i = &self.instances[k];
        let id = i.id;
        let served = i.in_service_at != SimTime::MAX;
        // `grace_until` is `MAX` until the instance is in service.
        let grace_over = now >= i.grace_until;
        let by_ec2 = i.state == State::Failed
            && now - i.failed_at >= STATUS_CHECK_DETECTION
            && (grace_over || !served);
        let by_elb = self.cfg.health_check_type == HealthCheckType::Elb
            && matches!(i.state, State::InService | State::Failed)
            && grace_over
            && self.group.borrow().lb_healthy(id) == Some(false);
        if !(by_ec2 || by_elb) {
            return;
        }
        self.replacements += u64::from(self.clock.measured(now));
        let why = if by_elb {
            "unhealthy by the load balancer; replacing"
        } else {
            "failed EC2 status checks; replacing"
        };
        // One that still answers drains its requests in flight for the deregistration delay
        // before it is terminated, as for a scale-in, and its replacement launches at once
        // (`asg:as-add-elb-healthcheck.html`: with connection draining the group "waits for
        // in-flight requests to complete or the maximum timeout to expire ... before
        // terminating instances due to a scaling event or health check replacement"); a
        // failed one goes at once.
        self.retire(ctx, k, why);
    }

    /// The instance breaks: it answers nothing, and is counted (and billed) until the group
    /// notices. One already draining is gone at once.
    pub(super) fn fail(&mut self, ctx: &mut Ctx<'_>, idx: usize, why: &str) {
        let now = ctx.now();
        let id = self.instances[idx].id;
        match self.instances[idx].state {
            State::InService => self.leave_service(now, idx),
            State::Booting => self.booting.add(&self.clock, now, -1.0),
            State::Draining => {
                // It was on its way out: gone now, with what it held.
                self.kill(ctx, idx, None);
                self.group.borrow_mut().deregister(id);
                self.terminate(now, idx, why);
                return;
            }
            _ => return,
        }
        self.kill(ctx, idx, None);
        let i = &mut self.instances[idx];
        i.state = State::Failed;
        i.failed_at = now;
        i.stopped_at = now;
        let id = i.id;
        self.events
            .push(now, "instance_failed", format!("i-{id}: {why}"));
    }

    /// One of the group's own faults starts (`on`) or ends; only a zone's outage lasts.
    pub(super) fn fault(&mut self, ctx: &mut Ctx<'_>, fault: Fault, on: bool) {
        match fault {
            Fault::InstanceFailure { count } if on => self.fail_some(ctx, count as usize),
            Fault::SpotCount { count } if on => self.spot_notices(ctx, |_| count as usize),
            Fault::SpotShare { permille } if on => self.spot_notices(ctx, |spot| {
                (spot as f64 * f64::from(permille) / 1000.0).round() as usize
            }),
            Fault::ZoneOutage { zone } => self.zone_outage(ctx, zone, on),
            _ => {}
        }
    }

    /// `count` instances in service, drawn at random, fail.
    fn fail_some(&mut self, ctx: &mut Ctx<'_>, count: usize) {
        let mut candidates: Vec<usize> = (0..self.instances.len())
            .filter(|&k| self.instances[k].state == State::InService)
            .collect();
        candidates.shuffle(&mut self.fleet_rng);
        for k in candidates.into_iter().take(count) {
            self.fail(ctx, k, "instance failure");
        }
    }

    /// Spot instances not yet noticed, as many as `take` says of their number and drawn at
    /// random, get their two-minute notice; with capacity rebalancing the group launches
    /// their replacements at once.
    fn spot_notices(&mut self, ctx: &mut Ctx<'_>, take: impl FnOnce(usize) -> usize) {
        let now = ctx.now();
        let mut spot: Vec<usize> = (0..self.instances.len())
            .filter(|&k| {
                let i = &self.instances[k];
                i.market == Market::Spot
                    && !i.noticed
                    && matches!(i.state, State::Booting | State::InService)
            })
            .collect();
        let take = take(spot.len());
        spot.shuffle(&mut self.fleet_rng);
        for k in spot.into_iter().take(take) {
            self.instances[k].noticed = true;
            self.spot_interruptions += u64::from(self.clock.measured(now));
            let id = self.instances[k].id;
            self.events.push(
                now,
                "spot_notice",
                format!("i-{id}: terminated in 2 minutes"),
            );
            ctx.schedule(SPOT_NOTICE, Timer::SpotEnd(k).encode());
            // Capacity Rebalancing (AWS, "Capacity Rebalancing in Auto Scaling to replace
            // at-risk Spot Instances"; aws-facts §4 says only that it can act on the notice):
            // a replacement is launched at once; the instance at risk keeps serving until the
            // replacement is in service (it is terminated then) or its notice ends, whichever
            // comes first. Launching first, the group may go over its maximum by 10 % of its
            // desired capacity (at least one instance); beyond that, no replacement is
            // launched ahead, and the group replaces the instance when it is interrupted.
            let running: u32 = self.zone_counts().iter().sum();
            let room = self.max + self.desired.div_ceil(10).max(1);
            if self.cfg.capacity_rebalance && running < room && self.launch(ctx, false, false) {
                let new = self.instances.len() - 1;
                self.instances[new].replaces = Some(k);
            }
        }
    }

    /// Zone `zone` fails (`on`: its instances with it, and launches go elsewhere) or is back.
    fn zone_outage(&mut self, ctx: &mut Ctx<'_>, zone: usize, on: bool) {
        self.zone_out[zone] = on;
        if on {
            for k in 0..self.instances.len() {
                if self.instances[k].zone == zone {
                    self.fail(ctx, k, "zone outage");
                }
            }
        }
    }

    /// A spot instance's notice is over: it stops, with what it holds.
    pub(super) fn spot_end(&mut self, ctx: &mut Ctx<'_>, k: usize) {
        let now = ctx.now();
        let i = &self.instances[k];
        if matches!(i.state, State::InService | State::Draining | State::Booting) {
            let id = i.id;
            match i.state {
                State::InService => self.leave_service(now, k),
                State::Booting => self.booting.add(&self.clock, now, -1.0),
                _ => {}
            }
            // aws-facts: §3: the target closes connections mid-request (an ALB answers 502).
            self.kill(ctx, k, Some(status::CONNECTION_RESET));
            self.group.borrow_mut().deregister(id);
            self.terminate(now, k, "spot interruption");
            self.reconcile(ctx);
        }
    }
}
