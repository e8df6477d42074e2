//! An EC2 Auto Scaling group: instances of one type across zones, each serving requests on its
//! vCPUs, scaled by a policy that sees CPU only as CloudWatch does, late and averaged.
//! aws-facts: §4 (policies, warmup, cooldown, health and replacement, spot, launch and boot,
//! instance families) and §3 (registration with a load balancer's target group).
//!
//! An instance takes a request on one of its `threads` (beyond them up to `queue` wait, beyond
//! that 503), runs its CPU `work` (m5-seconds, divided by the type's speed) on a free vCPU
//! (FIFO), then makes its downstream calls in turn without holding the vCPU, and answers.
//!
//! Scaling: every period (60 s with detailed monitoring, 300 s basic) each instance's CPU is
//! averaged over the part of the period it was in service; the group's metric is the mean
//! over the instances in service during the period and past their warmup, and it reaches
//! the policy `metric_delay` after the period closes.
//! Target tracking scales out after 3 datapoints above target (to ⌈n · metric / target⌉, the
//! warming instances counting toward it) and in after 15 below 90 % of it (aws-facts §4,
//! flagged [O/?]); step scaling adds by step and counts warming instances; simple scaling waits
//! out its cooldown after each activity. Scheduled actions set min, max and desired at a time.
//!
//! A launched instance boots (`boot_time`), is then in service and registered with the load
//! balancer's target group (or balanced by the group itself when no load balancer fronts it).
//! Scale-in drains an instance (deregistration delay, ending early once nothing is in flight;
//! what is still in flight when it expires has its connection closed: 502 through an ALB).
//! Launches go to the zone with the fewest instances; after a zone outage the group
//! rebalances, launching before terminating.
//! A failed instance answers nothing (new connections time out after 10 s: 504); EC2 status
//! checks find it in two minutes, the load balancer's health checks in its interval × threshold
//! (with `health_check_type = "elb"` the group replaces what the load balancer finds unhealthy,
//! after the grace period). Spot instances get a two-minute interruption notice; with capacity
//! rebalancing the group launches a replacement and drains the instance at the notice.
//!
//! Its parts, one job each: `config.rs` reads the table; `kind.rs` declares the kind (keys,
//! series, fields, faults); this file holds the group and dispatches its inputs; `fleet.rs`
//! keeps its instances (launch, service, drain, termination, zones); `serving.rs` serves
//! requests; `health.rs` finds and replaces the unhealthy and takes the faults; `policy.rs`
//! holds the scaling policies as pure functions, which `scaling.rs` feeds with datapoints;
//! `report.rs` hands over the summary and series.

mod config;
mod fleet;
mod health;
mod kind;
mod policy;
mod report;
mod scaling;
mod serving;

pub use config::{
    parse, AsgConfig, HealthCheckType, Market, Metric, Policy, Scaling, ScheduledAction,
};
use fleet::Instance;
use health::HEALTH_TICK;
use policy::Cooldown;
use serving::Job;

use super::ebs::Disk;
use super::target_group::TargetGroup;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::{Ctx, Input, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, EventLog, Latency, Level};
use slab::Slab;
use std::collections::VecDeque;

/// What the group's timers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A job's CPU work is done.
    Work(usize),
    /// The SDK's backoff before a job's current call again is over.
    Retry(usize),
    /// An instance has booted.
    Booted(usize),
    /// A CloudWatch period closes.
    Period,
    /// The oldest pending datapoint reaches the policy.
    Evaluate,
    /// The group looks at its instances' health, its capacity and its zones' balance.
    Health,
    /// A spot instance's two-minute notice is over.
    SpotEnd(usize),
    /// A draining instance's deregistration delay is over.
    DeregistrationEnd(usize),
    /// The time of a scheduled action (its index in `schedule`) has come.
    Scheduled(usize),
    /// A job's I/Os on its instance's EBS volume are done.
    Io(usize),
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::Work(job) => pack(0, job as u64),
            Timer::Retry(job) => pack(1, job as u64),
            Timer::Booted(i) => pack(2, i as u64),
            Timer::Period => pack(3, 0),
            Timer::Evaluate => pack(4, 0),
            Timer::Health => pack(5, 0),
            Timer::SpotEnd(i) => pack(6, i as u64),
            Timer::DeregistrationEnd(i) => pack(7, i as u64),
            Timer::Scheduled(k) => pack(8, k as u64),
            Timer::Io(job) => pack(9, job as u64),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        let (variant, index) = unpack(token);
        let i = usize::try_from(index).ok()?;
        match (variant, i) {
            (0, job) => Some(Timer::Work(job)),
            (1, job) => Some(Timer::Retry(job)),
            (2, i) => Some(Timer::Booted(i)),
            (3, 0) => Some(Timer::Period),
            (4, 0) => Some(Timer::Evaluate),
            (5, 0) => Some(Timer::Health),
            (6, i) => Some(Timer::SpotEnd(i)),
            (7, i) => Some(Timer::DeregistrationEnd(i)),
            (8, k) => Some(Timer::Scheduled(k)),
            (9, job) => Some(Timer::Io(job)),
            _ => None,
        }
    }
}

/// The group's own faults, as the timeline tells them (`Input::Fault`): made by the kind's
/// `parse_fault` (a `[[fault]]`) and `zone_outage` (an `az_outage` of one of its zones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// This many instances in service stop answering.
    InstanceFailure { count: u32 },
    /// This many spot instances get their interruption notice.
    SpotCount { count: u32 },
    /// This share of the spot instances, in thousandths, get their notice.
    SpotShare { permille: u32 },
    /// The zone at this index of the group's `zones` fails, or comes back.
    ZoneOutage { zone: usize },
}

impl Token for Fault {
    fn encode(self) -> u64 {
        match self {
            Fault::InstanceFailure { count } => pack(0, u64::from(count)),
            Fault::SpotCount { count } => pack(1, u64::from(count)),
            Fault::SpotShare { permille } => pack(2, u64::from(permille)),
            Fault::ZoneOutage { zone } => pack(3, zone as u64),
        }
    }

    fn decode(token: u64) -> Option<Fault> {
        let (variant, index) = unpack(token);
        match variant {
            0 => Some(Fault::InstanceFailure {
                count: u32::try_from(index).ok()?,
            }),
            1 => Some(Fault::SpotCount {
                count: u32::try_from(index).ok()?,
            }),
            2 => Some(Fault::SpotShare {
                permille: u32::try_from(index).ok()?,
            }),
            3 => Some(Fault::ZoneOutage {
                zone: usize::try_from(index).ok()?,
            }),
            _ => None,
        }
    }
}

impl Fault {
    /// The code the timeline carries: counts go to 10,000, shares to 1,000 and zones are
    /// few, so every fault's token fits its 32 bits.
    fn code(self) -> u32 {
        u32::try_from(self.encode()).expect("a fault's count, share or zone fits 28 bits")
    }
}

/// A running Auto Scaling group: its instances, their requests and its scaling.
pub struct AutoScalingGroup {
    cfg: AsgConfig,
    clock: Clock,
    rng: SimRng,
    /// Boot times and the instances a fault picks: a stream of their own, so that a variant
    /// whose requests draw more or fewer numbers (another `work`, another call) boots and
    /// fails the same instances as its baseline for a seed.
    fleet_rng: SimRng,
    /// Downstream calls as made from each zone (the hop latency depends on it).
    zone_edges: Vec<Vec<Edge>>,
    group: TargetGroup,
    instances: Vec<Instance>,
    /// In-service, not draining instances, for the group's own balancing.
    routable: Vec<usize>,
    next: usize,
    jobs: Slab<Job>,
    min: u32,
    max: u32,
    desired: u32,
    zone_out: Vec<bool>,
    /// Closed CloudWatch periods not yet visible, and the last ones the policy has seen:
    /// the group's value each and, for those not yet seen, the instances it is the mean of
    /// (`None`: no instance reported).
    pending_datapoints: VecDeque<Option<(f64, u32)>>,
    history: VecDeque<Option<f64>>,
    /// Simple scaling's cooldown.
    cooldown: Cooldown,
    /// When the policy first had a datapoint (before it, the metric series is empty).
    first_metric: Option<SimTime>,
    // Recorders.
    requests: Counter,
    rejected: Counter,
    statuses: Counts<u16>,
    response: Latency,
    busy: Level,
    /// CPU-seconds of work taken on by requests that arrived in the measured period.
    accepted_cpu_s: f64,
    vcpus_in_service: Level,
    in_service: Level,
    booting: Level,
    desired_level: Level,
    metric_level: Level,
    billed: [Level; 3],
    launches: u64,
    scale_outs: u64,
    scale_ins: u64,
    replacements: u64,
    spot_interruptions: u64,
    drain_killed: u64,
    events: EventLog,
    /// Its instances' EBS volumes, when an `ebs` component gives them some (by instance
    /// index).
    disk: Option<Disk>,
}

impl AutoScalingGroup {
    /// Builds it for one run; `group` is its target group, shared with a load balancer in
    /// front of it; `disk` its instances' volumes.
    pub fn new(
        cfg: AsgConfig,
        env: BuildEnv,
        group: TargetGroup,
        disk: Option<Disk>,
    ) -> AutoScalingGroup {
        let clock = env.clock;
        let zone_edges = cfg
            .zones
            .iter()
            .map(|z| {
                env.edges
                    .iter()
                    .zip(&cfg.calls)
                    .zip(env.edge_zones.iter().zip(&env.edge_regions))
                    .map(|((e, spec), (callee_zone, callee_region))| {
                        let mut e = e.clone();
                        if spec.latency.is_none() {
                            e.latency =
                                env.network
                                    .between(&env.region, z, callee_region, callee_zone);
                        }
                        e
                    })
                    .collect()
            })
            .collect();
        {
            let mut g = group.borrow_mut();
            g.zones = cfg.zones.clone();
        }
        let mut billed = [Level::new(&clock), Level::new(&clock), Level::new(&clock)];
        for b in &mut billed {
            b.set(&clock, SimTime::ZERO, 0.0);
        }
        AutoScalingGroup {
            zone_edges,
            group,
            instances: Vec::new(),
            routable: Vec::new(),
            next: 0,
            jobs: Slab::new(),
            min: cfg.min,
            max: cfg.max,
            desired: cfg.desired,
            zone_out: vec![false; cfg.zones.len()],
            pending_datapoints: VecDeque::new(),
            history: VecDeque::new(),
            cooldown: Cooldown::Until(SimTime::ZERO),
            first_metric: None,
            requests: Counter::new(&clock),
            rejected: Counter::new(&clock),
            statuses: Counts::default(),
            response: Latency::new(&clock),
            busy: Level::new(&clock),
            accepted_cpu_s: 0.0,
            vcpus_in_service: Level::new(&clock),
            in_service: Level::new(&clock),
            booting: Level::new(&clock),
            desired_level: Level::new(&clock),
            metric_level: Level::new(&clock),
            billed,
            launches: 0,
            scale_outs: 0,
            scale_ins: 0,
            replacements: 0,
            spot_interruptions: 0,
            drain_killed: 0,
            events: EventLog::new(&env.name),
            disk,
            cfg,
            clock,
            fleet_rng: env.stream("fleet"),
            rng: env.rng,
        }
    }

    fn timer(&mut self, ctx: &mut Ctx<'_>, timer: Timer) {
        match timer {
            Timer::Work(job) => self.work_done(ctx, job),
            Timer::Io(job) => self.io_done(ctx, job),
            Timer::Retry(job) => self.call_again(ctx, job),
            Timer::Booted(i) => self.booted(ctx, i),
            Timer::Period => self.close_period(ctx),
            Timer::Evaluate => self.evaluate(ctx),
            Timer::Health => self.health_tick(ctx),
            Timer::SpotEnd(i) => self.spot_end(ctx, i),
            Timer::DeregistrationEnd(i) => self.deregistration_end(ctx, i),
            Timer::Scheduled(k) => self.scheduled_action(ctx, k),
        }
    }
}

impl Component for AutoScalingGroup {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.desired_level
            .set(&self.clock, now, f64::from(self.desired));
        for _ in 0..self.desired {
            self.launch(ctx, false, true);
        }
        ctx.schedule(self.cfg.period, Timer::Period.encode());
        ctx.schedule(HEALTH_TICK, Timer::Health.encode());
        for (k, a) in self.cfg.schedule.iter().enumerate() {
            ctx.schedule(a.at, Timer::Scheduled(k).encode());
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Fault { code, on } => {
                if let Some(fault) = Fault::decode(u64::from(code)) {
                    self.fault(ctx, fault, on);
                }
            }
            Input::Call(call, msg) => self.arrive(ctx, call, msg),
            Input::Timer(token) => {
                if let Some(timer) = Timer::decode(token) {
                    self.timer(ctx, timer);
                }
            }
            Input::Reply(r) => self.reply(ctx, r),
        }
    }

    fn finish(&mut self) -> ComponentReport {
        self.report()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    fn timers() -> impl Strategy<Value = Timer> {
        let i = 0usize..(1 << 40);
        prop_oneof![
            i.clone().prop_map(Timer::Work),
            i.clone().prop_map(Timer::Retry),
            i.clone().prop_map(Timer::Booted),
            Just(Timer::Period),
            Just(Timer::Evaluate),
            Just(Timer::Health),
            i.clone().prop_map(Timer::SpotEnd),
            i.clone().prop_map(Timer::DeregistrationEnd),
            i.clone().prop_map(Timer::Scheduled),
            i.prop_map(Timer::Io),
        ]
    }

    /// Faults as `parse_fault` and `zone_outage` make them: counts to 10,000, shares to
    /// 1,000 thousandths, a zone's index.
    fn faults() -> impl Strategy<Value = Fault> {
        prop_oneof![
            (1u32..=10_000).prop_map(|count| Fault::InstanceFailure { count }),
            (1u32..=10_000).prop_map(|count| Fault::SpotCount { count }),
            (0u32..=1_000).prop_map(|permille| Fault::SpotShare { permille }),
            (0usize..1_000).prop_map(|zone| Fault::ZoneOutage { zone }),
        ]
    }

    proptest! {
        #[test]
        fn timers_survive_the_kernel(t in timers()) {
            prop_assert_eq!(token_round_trip(t), Ok(()));
        }

        #[test]
        fn faults_survive_the_timeline(f in faults()) {
            prop_assert_eq!(token_round_trip(f), Ok(()));
            // The timeline carries 32 bits.
            prop_assert_eq!(Fault::decode(u64::from(f.code())), Some(f));
        }
    }
}
