//! The group's instances: launching them into the emptiest zone, bringing them into service,
//! keeping the desired capacity, and taking them out (draining, terminating).

use super::policy::Sample;
use super::{AutoScalingGroup, Market, Policy, Scaling, Timer};
use crate::components::{RetryTokens, Token};
use crate::kernel::{CallId, Ctx, Msg, SimTime};
use crate::status;
use rand::seq::IndexedRandom;
use std::collections::VecDeque;

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Launched, not yet in service.
    Booting,
    /// Registered and taking requests.
    InService,
    /// Deregistered: finishing what it holds, then terminated.
    Draining,
    /// Broken: answers nothing; still counted (and billed) until the group notices.
    Failed,
    /// Gone, and no longer billed.
    Terminated,
}

/// One of the group's instances, from its launch on (terminated ones are kept: indices stay).
pub(super) struct Instance {
    /// Its number, from 1, for events ("i-3").
    pub(super) id: u32,
    /// Its zone's index in the group's `zones`.
    pub(super) zone: usize,
    pub(super) market: Market,
    pub(super) state: State,
    /// When it went in service and when it stopped serving (failed or terminated); `MAX`
    /// for not yet.
    pub(super) in_service_at: SimTime,
    pub(super) stopped_at: SimTime,
    /// When its health-check grace period is over: `health_check_grace_period` after it came
    /// into service, or at once for one the group holds when the run starts (`MAX`: not in
    /// service yet).
    pub(super) grace_until: SimTime,
    /// When it failed [s].
    pub(super) failed_at: SimTime,
    /// When its warmup ends [s].
    pub(super) warm_until: SimTime,
    /// Launched to rebalance zones: terminates one elsewhere once in service.
    pub(super) rebalance: bool,
    /// Launched by Capacity Rebalancing to replace this instance (by index), which received a
    /// spot interruption notice: that one is terminated once this one is in service.
    pub(super) replaces: Option<usize>,
    /// Spot interruption notice received.
    pub(super) noticed: bool,
    /// vCPUs running a job's work [vCPUs].
    pub(super) busy_cpus: u32,
    /// Jobs waiting for a vCPU, first come first served.
    pub(super) cpu_queue: VecDeque<usize>,
    /// Worker threads holding a request [threads].
    pub(super) threads_used: u32,
    /// Requests waiting for a thread, with when they arrived.
    pub(super) waiting: VecDeque<(CallId, Msg, SimTime)>,
    /// ∫ busy vCPUs dt [vCPU·s], and its value at the last period boundary.
    pub(super) cpu_area: f64,
    pub(super) cpu_mark: f64,
    /// When `cpu_area` was last brought up to date [s].
    pub(super) last_change: SimTime,
    /// Requests received since the last period boundary [requests].
    pub(super) requests_in_period: u64,
    /// The retry quotas of the SDK clients its application's calls go through. An instance
    /// runs its own application process, whose clients are its own (aws-facts: §7 retry
    /// quota, per client; see `RetryTokens`): full at launch, never shared with another
    /// instance, dropped when it is terminated.
    pub(super) tokens: RetryTokens,
}

impl Instance {
    /// Requests it holds: on threads or waiting for one.
    pub(super) fn in_flight(&self) -> usize {
        self.threads_used as usize + self.waiting.len()
    }

    /// Brings `cpu_area` up to `now`.
    pub(super) fn advance(&mut self, now: SimTime) {
        if now > self.last_change {
            self.cpu_area += f64::from(self.busy_cpus) * (now - self.last_change).as_secs_f64();
            self.last_change = now;
        }
    }

    /// Its figures for the CloudWatch period ending at `now`, and a fresh start for the next.
    pub(super) fn close_period(&mut self, now: SimTime) -> Sample {
        self.advance(now);
        let cpu_used = self.cpu_area - self.cpu_mark;
        self.cpu_mark = self.cpu_area;
        Sample {
            in_service_at: self.in_service_at,
            stopped_at: self.stopped_at,
            warm_until: self.warm_until,
            cpu_used,
            requests: std::mem::take(&mut self.requests_in_period),
        }
    }
}

impl Instance {
    /// Launched beside the desired capacity, to rebalance zones or to replace an instance at
    /// risk of interruption: not counted toward it, nor chosen to scale in, until in service.
    pub(super) fn extra(&self) -> bool {
        self.rebalance || self.replaces.is_some()
    }
}

impl AutoScalingGroup {
    /// Instances the group counts toward its desired capacity: not those launched beside it
    /// (`Instance::extra`), until they are in service.
    pub(super) fn live(&self) -> u32 {
        self.instances
            .iter()
            .filter(|i| {
                !i.extra() && matches!(i.state, State::Booting | State::InService | State::Failed)
            })
            .count() as u32
    }

    pub(super) fn zone_counts(&self) -> Vec<u32> {
        let mut c = vec![0; self.cfg.zones.len()];
        for i in &self.instances {
            if matches!(i.state, State::Booting | State::InService) {
                c[i.zone] += 1;
            }
        }
        c
    }

    pub(super) fn launch(&mut self, ctx: &mut Ctx<'_>, rebalance: bool, initial: bool) -> bool {
        let now = ctx.now();
        let counts = self.zone_counts();
        // aws-facts: §4 AZ rebalancing: launches keep the zones balanced.
        let Some(zone) = (0..counts.len())
            .filter(|&z| !self.zone_out[z])
            .min_by_key(|&z| counts[z])
        else {
            return false;
        };
        let on_demand_now = self
            .instances
            .iter()
            .filter(|i| i.market == Market::OnDemand && !matches!(i.state, State::Terminated))
            .count() as u32;
        let market = match self.cfg.market {
            Market::Spot if on_demand_now < self.cfg.on_demand_base => Market::OnDemand,
            m => m,
        };
        let id = self.instances.len() as u32 + 1;
        let idx = self.instances.len();
        self.instances.push(Instance {
            id,
            zone,
            market,
            state: State::Booting,
            in_service_at: SimTime::MAX,
            stopped_at: SimTime::MAX,
            grace_until: SimTime::MAX,
            failed_at: SimTime::ZERO,
            warm_until: SimTime::ZERO,
            rebalance,
            replaces: None,
            noticed: false,
            busy_cpus: 0,
            cpu_queue: VecDeque::new(),
            threads_used: 0,
            waiting: VecDeque::new(),
            cpu_area: 0.0,
            cpu_mark: 0.0,
            last_change: now,
            requests_in_period: 0,
            tokens: RetryTokens::full(&self.zone_edges[zone]),
        });
        self.billed[market as usize].add(&self.clock, now, 1.0);
        if let Some(d) = &self.disk {
            d.borrow_mut().attach(idx, now);
        }
        if initial {
            self.become_in_service(ctx, idx, true);
        } else {
            self.launches += 1;
            self.booting.add(&self.clock, now, 1.0);
            let boot = self.cfg.boot_time.sample_time(&mut self.fleet_rng);
            ctx.schedule(boot, Timer::Booted(idx).encode());
            let zone_name = self.zone_name(zone);
            self.events.push(
                now,
                "launch",
                format!("i-{id} in {zone_name} ({})", market.name()),
            );
        }
        true
    }

    pub(super) fn zone_name(&self, z: usize) -> String {
        self.cfg.zones[z]
            .clone()
            .unwrap_or_else(|| "the region".into())
    }

    pub(super) fn become_in_service(&mut self, ctx: &mut Ctx<'_>, idx: usize, initial: bool) {
        let now = ctx.now();
        let warm_until = if initial { now } else { now + self.cfg.warmup };
        let i = &mut self.instances[idx];
        i.state = State::InService;
        i.in_service_at = now;
        // The grace period is for an instance just launched ("the time to keep a new instance
        // in service before terminating it if it's found to be unhealthy",
        // asg:health-check-grace-period.html); the group's instances when the run starts
        // stand for a fleet long in service, warm (above) and past it, so that a failure
        // early in a run is replaced as it would be later. A choice: AWS has no run start.
        i.grace_until = if initial { now } else { now + self.cfg.grace };
        i.warm_until = warm_until;
        i.last_change = now;
        let (id, zone, rebalance, replaces) = (i.id, i.zone, i.rebalance, i.replaces.take());
        self.in_service.add(&self.clock, now, 1.0);
        self.vcpus_in_service
            .add(&self.clock, now, f64::from(self.cfg.itype.vcpus));
        self.group.borrow_mut().register(id, zone, initial);
        self.refresh_routable();
        if !initial {
            self.events.push(now, "in_service", format!("i-{id}"));
        }
        if let Some(old) = replaces {
            // Capacity Rebalancing (AWS, "Capacity Rebalancing in Auto Scaling to replace
            // at-risk Spot Instances"): launch, then terminate the instance at risk once the
            // new one is in service (AWS: "passes its health check"; here, in service),
            // before its interruption if the boot was quick enough (one that failed meanwhile
            // goes at once).
            self.retire(ctx, old, "replaced ahead of its spot interruption");
        }
        if rebalance {
            self.instances[idx].rebalance = false;
            // Launch before terminate: now one goes from the fullest zone.
            let counts = self.zone_counts();
            if let Some(z) = (0..counts.len()).max_by_key(|&z| counts[z]) {
                if let Some(victim) = self.pick_victim(Some(z)) {
                    self.retire(ctx, victim, "rebalancing zones");
                }
            }
        }
        self.settle_activity(now);
    }

    /// Simple scaling: an activity is over once nothing it launched is still booting (in
    /// service, or lost on the way); its cooldown starts then.
    pub(super) fn settle_activity(&mut self, now: SimTime) {
        if let Some(Scaling {
            policy: Policy::Simple { cooldown, .. },
            ..
        }) = &self.cfg.scaling
        {
            let booting = self.instances.iter().any(|i| i.state == State::Booting);
            self.cooldown = self.cooldown.settle(now, booting, *cooldown);
        }
    }

    /// aws-facts: §4: the default termination policy takes from the zone with the most
    /// instances; among equals (one launch template, per-second billing) at random. Booting
    /// instances go first: nothing is lost with them.
    pub(super) fn pick_victim(&mut self, zone: Option<usize>) -> Option<usize> {
        let counts = self.zone_counts();
        let zone = zone.or_else(|| (0..counts.len()).max_by_key(|&z| counts[z]))?;
        let in_zone = |s: State| -> Vec<usize> {
            (0..self.instances.len())
                .filter(|&k| {
                    let i = &self.instances[k];
                    i.zone == zone && i.state == s && !i.extra()
                })
                .collect()
        };
        let booting = in_zone(State::Booting);
        if let Some(&b) = booting.last() {
            return Some(b);
        }
        let serving = in_zone(State::InService);
        serving.choose(&mut self.fleet_rng).copied()
    }

    /// Takes an instance out of service: a booting or failed one at once, a serving one by
    /// draining.
    pub(super) fn retire(&mut self, ctx: &mut Ctx<'_>, idx: usize, why: &str) {
        let now = ctx.now();
        let id = self.instances[idx].id;
        match self.instances[idx].state {
            State::Booting => {
                self.booting.add(&self.clock, now, -1.0);
                self.terminate(now, idx, why);
            }
            State::InService => {
                self.leave_service(now, idx);
                self.instances[idx].state = State::Draining;
                self.group.borrow_mut().drain(id);
                self.events.push(now, "draining", format!("i-{id}: {why}"));
                if self.instances[idx].in_flight() == 0 {
                    self.finish_drain(now, idx);
                } else {
                    let delay = self.group.borrow().deregistration_delay;
                    ctx.schedule(delay, Timer::DeregistrationEnd(idx).encode());
                }
            }
            State::Failed => {
                // It answers nothing: nothing to drain.
                self.group.borrow_mut().deregister(id);
                self.terminate(now, idx, why);
            }
            _ => {}
        }
    }

    pub(super) fn leave_service(&mut self, now: SimTime, idx: usize) {
        self.in_service.add(&self.clock, now, -1.0);
        self.vcpus_in_service
            .add(&self.clock, now, -f64::from(self.cfg.itype.vcpus));
        self.routable.retain(|&k| k != idx);
    }

    pub(super) fn finish_drain(&mut self, now: SimTime, idx: usize) {
        let id = self.instances[idx].id;
        self.group.borrow_mut().deregister(id);
        self.terminate(now, idx, "drained");
    }

    pub(super) fn terminate(&mut self, now: SimTime, idx: usize, why: &str) {
        let i = &mut self.instances[idx];
        if i.state == State::Terminated {
            return;
        }
        i.state = State::Terminated;
        i.stopped_at = i.stopped_at.min(now);
        i.rebalance = false;
        i.replaces = None;
        // A replacement launched for it counts toward the desired capacity in its place now,
        // however it went (its interruption, a failure, a scale-in): no second one is
        // launched for it, and none is left uncounted.
        for other in &mut self.instances {
            if other.replaces == Some(idx) {
                other.replaces = None;
            }
        }
        let i = &mut self.instances[idx];
        // Its process is gone with its clients; nothing of it runs any more (what it held
        // was answered or cut off before), so memory stays with the instances running.
        i.tokens = RetryTokens::default();
        let (id, market) = (i.id, i.market);
        self.billed[market as usize].add(&self.clock, now, -1.0);
        if let Some(d) = &self.disk {
            d.borrow_mut().detach(idx, now);
        }
        self.events
            .push(now, "terminated", format!("i-{id}: {why}"));
    }

    pub(super) fn set_desired(&mut self, ctx: &mut Ctx<'_>, n: u32, why: String) {
        let now = ctx.now();
        let n = n.clamp(self.min, self.max);
        if n == self.desired {
            return;
        }
        let (event, count) = if n > self.desired {
            ("scale_out", &mut self.scale_outs)
        } else {
            ("scale_in", &mut self.scale_ins)
        };
        *count += u64::from(self.clock.measured(now));
        self.events.push(
            now,
            event,
            format!("desired {} -> {n}: {why}", self.desired),
        );
        self.desired = n;
        self.desired_level.set(&self.clock, now, f64::from(n));
        self.reconcile(ctx);
    }

    /// Launches or retires instances until the group has its desired capacity.
    pub(super) fn reconcile(&mut self, ctx: &mut Ctx<'_>) {
        let mut live = self.live();
        while live < self.desired {
            if !self.launch(ctx, false, false) {
                break;
            }
            live += 1;
        }
        while live > self.desired {
            let Some(v) = self.pick_victim(None) else {
                break;
            };
            self.retire(ctx, v, "scale-in");
            live -= 1;
        }
    }

    pub(super) fn refresh_routable(&mut self) {
        self.routable = (0..self.instances.len())
            .filter(|&k| self.instances[k].state == State::InService)
            .collect();
    }

    /// An instance has booted: in service, unless it was taken out on the way.
    pub(super) fn booted(&mut self, ctx: &mut Ctx<'_>, k: usize) {
        if self.instances[k].state == State::Booting {
            self.booting.add(&self.clock, ctx.now(), -1.0);
            self.become_in_service(ctx, k, false);
        }
    }

    /// The deregistration delay of a draining instance is over: what it still holds is cut off.
    pub(super) fn deregistration_end(&mut self, ctx: &mut Ctx<'_>, k: usize) {
        let now = ctx.now();
        if self.instances[k].state == State::Draining {
            // aws-facts: §3: requests in flight when the delay expires have their connection
            // closed (an ALB answers 502).
            self.drain_killed += self.kill(ctx, k, Some(status::CONNECTION_RESET));
            self.finish_drain(now, k);
        }
    }

    /// aws-facts: §4 AZ rebalancing: once no zone is out and nothing boots, a zone two or more
    /// instances short gets one more, launched before one elsewhere is terminated, the group
    /// going up to 10 % (or one) over its max meanwhile.
    pub(super) fn rebalance_zones(&mut self, ctx: &mut Ctx<'_>) {
        if self.zone_out.iter().any(|&o| o)
            || self.instances.iter().any(|i| i.rebalance)
            || self.instances.iter().any(|i| i.state == State::Booting)
        {
            return;
        }
        let counts = self.zone_counts();
        let (lo, hi) = (
            counts.iter().copied().min().unwrap_or(0),
            counts.iter().copied().max().unwrap_or(0),
        );
        let headroom = (self.max / 10).max(1);
        let total: u32 = counts.iter().sum();
        if hi >= lo + 2 && total < self.max + headroom {
            self.events
                .push(ctx.now(), "rebalance", format!("zones hold {counts:?}"));
            self.launch(ctx, true, false);
        }
    }
}
