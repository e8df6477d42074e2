//! The world of one run: the scenario's components and workloads as kernel actors.
//!
//! Actor ids: components first, in scenario order (their index is their node in the call
//! graph), then workloads, then the fault timeline. `World::run` drives the kernel and gathers a `RunResult`.

use crate::components::kms::caller::{KmsClient, KmsUse, WithKms};
use crate::components::{BuildEnv, Component, ComponentSpec, Edge, OpChoice, Shared};
use crate::faults::Timeline;
use crate::kernel::{
    stream, ActorId, Ctx, Gate, Input, Keep, Kernel, Limits, Model, Outcome, SimTime, Stop,
};
use crate::limits::{MAX_QUEUED_TRACES, MAX_SPANS_PER_TRACE};
use crate::metrics::{ActorResult, Clock, EdgeStats, Role, RunResult, Tally, Traces};
use crate::retry::{RetryPolicy, RetrySpec};
use crate::scenario::Scenario;
use crate::workload::Workload;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

pub struct World {
    components: Vec<Box<dyn Component>>,
    names: Vec<String>,
    /// Each component's kind, as `kind = "…"` named it.
    kinds: Vec<&'static str>,
    workloads: Vec<Workload>,
    /// The last actor, after the workloads.
    timeline: Timeline,
    clock: Clock,
    limits: Limits,
    seed: u64,
    /// Set by whoever started the run when its result is no longer wanted (another seed of
    /// the scenario failed): the run stops at its next checkpoint.
    cancel: Option<Arc<AtomicBool>>,
    /// Where the run adds the simulated time it has covered (nanoseconds, up to the end of
    /// arrivals), at each checkpoint and when it ends: what a progress display reads.
    progress: Option<Arc<AtomicU64>>,
    /// The time already added to `progress`.
    reported: SimTime,
    /// The gates of links the scenario's access rules close, set on the kernel before the
    /// run: (caller, callee, operation or every one, gate).
    gates: Vec<(ActorId, ActorId, Option<u16>, Gate)>,
    /// Per caller (by actor id), per callee: the calls that ended at the caller in the
    /// measured window, for the service map. A caller has a few callees: a short search
    /// finds the edge of a call that ends, with no hashing.
    edges: Vec<Vec<(ActorId, EdgeTally)>>,
}

/// The calls along one edge as they end: `EdgeStats` once the run is over.
#[derive(Default)]
struct EdgeTally {
    calls: u64,
    /// Of them, the callers' retries (`CallTiming::retry`).
    retries: u64,
    errors: u64,
    timeouts: u64,
    latency: Tally,
}

/// A run stopped by one of its limits, with the scenario's words for it.
#[derive(Debug, thiserror::Error)]
#[error("seed {seed}: stopped at t = {at}: {reason}")]
pub struct RunError {
    pub seed: u64,
    pub at: String,
    pub reason: String,
}

impl World {
    /// Builds the world of `scenario` for one seed. Cannot fail: the scenario was validated.
    pub fn build(scenario: &Scenario, seed: u64) -> World {
        let clock = scenario.clock();
        let specs: Vec<_> = scenario.components.iter().map(|c| &c.spec).collect();
        let regions: Vec<_> = scenario
            .components
            .iter()
            .map(|c| c.region.as_str())
            .collect();
        let shared = Shared::new(&scenario.account, &specs, &regions, &clock);
        // Each callee's batch actions, per operation: once a component, shared by its callers.
        let batch: Vec<_> = scenario
            .components
            .iter()
            .map(|c| batch_actions(&scenario.ops, &c.spec))
            .collect();
        let components = scenario
            .components
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let edges = c
                    .spec
                    .calls()
                    .iter()
                    .map(|call| {
                        let callee = &scenario.components[call.to];
                        let edge = Edge::new(
                            call.to as ActorId,
                            call.op,
                            call.probability,
                            call.timeout,
                            call.latency.clone().unwrap_or_else(|| {
                                scenario.network.between(
                                    &c.region,
                                    &c.az,
                                    &callee.region,
                                    &callee.az,
                                )
                            }),
                            retry_policy(call.retry.as_ref(), &callee.spec),
                        );
                        Edge {
                            asynchronous: call.asynchronous.is_some(),
                            batch: batch[call.to].clone(),
                            ..edge
                        }
                    })
                    .collect();
                // aws-facts: §12 KMS: calls on a component's behalf go to KMS like any call,
                // throttled by the account's quota and retried by the SDK.
                let kms = c.spec.kms().map(|link| {
                    let callee = &scenario.components[link.to];
                    let edge = Edge::new(
                        link.to as ActorId,
                        OpChoice::Inherit,
                        1.0,
                        None,
                        scenario
                            .network
                            .between(&c.region, &c.az, &callee.region, &callee.az),
                        retry_policy(None, &callee.spec),
                    );
                    (KmsClient::new(edge, clock), link.cache)
                });
                let own = c.spec.kms_use() == KmsUse::Own;
                let (own_kms, wrap) = match kms {
                    Some((client, _)) if own => (Some(client), None),
                    other => (None, other),
                };
                let built = c.spec.build(
                    index,
                    BuildEnv {
                        name: c.id.clone(),
                        clock,
                        rng: stream(seed, &format!("component:{}", c.id)),
                        seed,
                        edges,
                        edge_zones: c
                            .spec
                            .calls()
                            .iter()
                            .map(|call| scenario.components[call.to].az.clone())
                            .collect(),
                        region: c.region.clone(),
                        az: c.az.clone(),
                        edge_regions: c
                            .spec
                            .calls()
                            .iter()
                            .map(|call| scenario.components[call.to].region.clone())
                            .collect(),
                        edge_names: c
                            .spec
                            .calls()
                            .iter()
                            .map(|call| scenario.components[call.to].id.clone())
                            .collect(),
                        network: scenario.network.clone(),
                        kms: own_kms,
                        browsers: scenario
                            .workloads
                            .iter()
                            .any(|w| w.target == index && w.browser.is_some()),
                    },
                    &shared,
                );
                match wrap {
                    Some((client, cache)) => {
                        let wrapped: Box<dyn Component> = Box::new(WithKms::new(
                            built,
                            client,
                            cache,
                            stream(seed, &format!("kms-caller:{}", c.id)),
                        ));
                        wrapped
                    }
                    None => built,
                }
            })
            .collect();
        let workloads = scenario
            .workloads
            .iter()
            .map(|w| {
                Workload::new(
                    w.clone(),
                    retry_policy(w.retry.as_ref(), &scenario.components[w.target].spec),
                    w.target as ActorId,
                    clock,
                    stream(seed, &format!("workload:{}", w.name)),
                    stream(seed, &format!("attempts:{}", w.name)),
                    w.browser
                        .as_ref()
                        .and_then(|_| scenario.components[w.target].spec.cors()),
                    stream(seed, &format!("trace:{}", w.name)),
                )
            })
            .collect();
        World {
            components,
            names: scenario.components.iter().map(|c| c.id.clone()).collect(),
            kinds: scenario.components.iter().map(|c| c.spec.kind()).collect(),
            workloads,
            timeline: Timeline::new(scenario.faults.clone()),
            clock,
            limits: Limits {
                max_in_flight: scenario.max_in_flight,
                ..Limits::default()
            },
            seed,
            cancel: None,
            progress: None,
            reported: SimTime::ZERO,
            gates: gates(scenario),
            edges: Vec::new(),
        }
    }

    /// Stops the run, with a `RunError` that says so, once it has processed `n` events: the
    /// budget a caller gives each run.
    pub fn max_events(mut self, n: u64) -> World {
        self.limits.max_events = n;
        self
    }

    /// Adds the simulated time the run covers to `covered` as it goes (a few times a second),
    /// and the rest of its duration when it ends.
    pub fn report_progress(mut self, covered: Arc<AtomicU64>) -> World {
        self.progress = Some(covered);
        self
    }

    /// Adds the simulated time covered since the last report, up to `now` (at most the end of
    /// arrivals), to `progress`.
    fn report(&mut self, now: SimTime) {
        if let Some(p) = &self.progress {
            let reached = now.min(self.clock.end).max(self.reported);
            p.fetch_add((reached - self.reported).0, Ordering::Relaxed);
            self.reported = reached;
        }
    }

    /// Stops the run (within a few milliseconds) once `flag` is set.
    pub fn cancel_when(mut self, flag: Arc<AtomicBool>) -> World {
        self.cancel = Some(flag);
        self
    }

    /// Runs to completion: arrivals stop at the scenario's duration, then work in flight drains.
    /// `wall_s` in the result is left at zero for the caller to fill in.
    pub fn run(mut self) -> Result<RunResult, RunError> {
        let actors = (self.components.len() + self.workloads.len() + 1) as ActorId;
        let mut kernel = Kernel::new(actors as usize, self.limits, stream(self.seed, "faults"));
        kernel.count_late_from(self.clock.warmup);
        if self.workloads.iter().any(|w| w.trace_rule().is_some()) {
            kernel.trace(
                MAX_SPANS_PER_TRACE,
                MAX_QUEUED_TRACES,
                stream(self.seed, "traces"),
            );
            let first = self.components.len();
            for (i, w) in self.workloads.iter().enumerate() {
                if let Some(rule) = w.trace_rule() {
                    let keep = Keep {
                        slowest: rule.slowest,
                        sample: rule.sample,
                        slowest_from: self.clock.warmup,
                    };
                    kernel.tracer().keep((first + i) as ActorId, keep);
                }
            }
        }
        for &(from, to, op, gate) in &self.gates {
            match op {
                Some(op) => kernel.gates().set_op(from, to, op, gate),
                None => kernel.gates().set_all(from, to, gate),
            }
        }
        let stopped = kernel.run(&mut self, actors);
        let kept = kernel.take_traces();
        // A run that ends, however it ends, has covered its duration for a progress display.
        self.report(self.clock.end);
        if let Err(stop) = stopped {
            let (at, reason) = match stop {
                Stop::TooManyInFlight { at, limit } => (
                    at,
                    format!(
                        "more than {limit} calls in flight at once. The system is overloaded and nothing \
                         bounds its backlog: give the overloaded service a `queue` capacity, give the \
                         workload a `timeout`, or raise `max_in_flight` in [scenario]"
                    ),
                ),
                Stop::TooManyEvents { at, limit } => (
                    at,
                    format!(
                        "it took more than {limit} events, the budget of one run; raise it with \
                         --max-events, or shorten the scenario (duration, rates, seeds)"
                    ),
                ),
                Stop::Cancelled { at } => (at, "stopped because another seed failed".into()),
            };
            return Err(RunError {
                seed: self.seed,
                at: at.to_string(),
                reason,
            });
        }
        let mut actors_out = Vec::with_capacity(actors as usize);
        let mut events = Vec::new();
        let late = kernel.stats().late_replies.clone();
        let gated = kernel.gates().counts();
        for (i, c) in self.components.iter_mut().enumerate() {
            let mut report = c.finish();
            report.metrics.count("late_replies", late[i]);
            // Per callee: the attempts that ended in the measured window, and of them the
            // retries (`kind::CALL_FIELDS`), whose ratio is the edge's retry amplification.
            for (to, e) in self.edges.get(i).map_or(&[][..], Vec::as_slice) {
                let callee = &self.names[*to as usize];
                report
                    .metrics
                    .count(format!("calls.{callee}.attempts"), e.calls);
                report
                    .metrics
                    .count(format!("calls.{callee}.retries"), e.retries);
            }
            report.metrics.edge_amplifications();
            // Per edge: the calls its role denied, and those its callee's security groups
            // dropped (and of them, those that hung for want of a timeout), over the whole
            // run (warmup included).
            for &(from, to, counts) in gated.iter().filter(|g| g.0 as usize == i) {
                debug_assert_eq!(from as usize, i);
                let set = edge_gates(&self.gates, from, to);
                gate_counts(&mut report.metrics, &self.names[to as usize], counts, &set);
            }
            events.append(&mut report.events);
            actors_out.push(ActorResult {
                name: self.names[i].clone(),
                kind: self.kinds[i].to_string(),
                role: Role::Component,
                metrics: report.metrics,
                series: report
                    .series
                    .into_iter()
                    .map(|(s, v)| (s.id.to_string(), v))
                    .collect(),
            });
        }
        let first = self.components.len();
        for (i, w) in self.workloads.iter_mut().enumerate() {
            let (mut metrics, series) = w.finish();
            for &(from, to, counts) in gated.iter().filter(|g| g.0 as usize == first + i) {
                let set = edge_gates(&self.gates, from, to);
                gate_counts(&mut metrics, &self.names[to as usize], counts, &set);
            }
            actors_out.push(ActorResult {
                name: w.name().to_string(),
                kind: "workload".into(),
                role: Role::Workload,
                metrics,
                series,
            });
        }
        events.append(&mut self.timeline.finish(self.clock.end));
        events.sort_by_key(|e| e.time);
        let edges = std::mem::take(&mut self.edges);
        let first = self.components.len();
        let name = |id: ActorId| -> String {
            let id = id as usize;
            match self.names.get(id) {
                Some(n) if id < first => n.clone(),
                _ => self
                    .workloads
                    .get(id - first)
                    .map_or_else(|| format!("actor {id}"), |w| w.name().to_string()),
            }
        };
        let edges = edges
            .into_iter()
            .enumerate()
            .flat_map(|(from, callees)| {
                callees
                    .into_iter()
                    .map(move |(to, e)| ((from as ActorId, to), e))
            })
            .map(|((from, to), e)| {
                let stats = EdgeStats {
                    calls: e.calls,
                    errors: e.errors,
                    timeouts: e.timeouts,
                    latency: e.latency.hist(),
                };
                ((name(from), name(to)), stats)
            })
            .collect();
        Ok(RunResult {
            seed: self.seed,
            edges,
            clock: self.clock,
            actors: actors_out,
            events,
            kernel: kernel.stats().clone(),
            end_time: kernel.now(),
            wall_s: 0.0,
            traces: Traces {
                kept,
                sampled: self.workloads.iter().map(|w| w.sampled()).sum(),
                spans_dropped: kernel.tracer().spans_dropped,
                queued_untraced: kernel.tracer().queued_untraced,
            },
        })
    }
}

impl Model for World {
    fn call_ended(
        &mut self,
        caller: ActorId,
        callee: ActorId,
        at: SimTime,
        latency: SimTime,
        outcome: Outcome,
        retry: bool,
    ) {
        // Like the summary's figures: what ended in the measured window.
        if self.clock.measured(at) {
            let caller = caller as usize;
            if caller >= self.edges.len() {
                self.edges.resize_with(caller + 1, Vec::new);
            }
            let callees = &mut self.edges[caller];
            let i = match callees.iter().position(|(to, _)| *to == callee) {
                Some(i) => i,
                None => {
                    callees.push((callee, EdgeTally::default()));
                    callees.len() - 1
                }
            };
            let e = &mut callees[i].1;
            e.calls += 1;
            e.retries += u64::from(retry);
            e.errors += u64::from(!outcome.is_success());
            e.timeouts += u64::from(outcome == Outcome::Timeout);
            e.latency.record(latency);
        }
    }

    fn checkpoint(&mut self, now: SimTime) -> bool {
        self.report(now);
        !self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    fn start(&mut self, actor: ActorId, ctx: &mut Ctx<'_>) {
        let a = actor as usize;
        let c = self.components.len();
        match self.components.get_mut(a) {
            Some(comp) => comp.start(ctx),
            None if a - c < self.workloads.len() => self.workloads[a - c].start(ctx),
            None => self.timeline.start(ctx),
        }
    }

    #[inline]
    fn handle(&mut self, actor: ActorId, input: Input, ctx: &mut Ctx<'_>) {
        let a = actor as usize;
        let c = self.components.len();
        match self.components.get_mut(a) {
            Some(comp) => comp.handle(input, ctx),
            None if a - c < self.workloads.len() => self.workloads[a - c].handle(input, ctx),
            None => {
                if let Input::Timer(tag) = input {
                    self.timeline.handle(ctx, tag);
                }
            }
        }
    }
}

/// What a gated edge to `callee` did, in its caller's metrics: `access.denied.CALLEE` for an
/// IAM-checked edge, `network.dropped.CALLEE` and `network.hung.CALLEE` for one a security
/// group or a network ACL closes.
fn gate_counts(
    metrics: &mut crate::metrics::MetricSet,
    callee: &str,
    counts: crate::kernel::GateCounts,
    gates: &[Gate],
) {
    if gates.contains(&Gate::Drop) {
        metrics.count(format!("network.dropped.{callee}"), counts.dropped);
        metrics.count(format!("network.hung.{callee}"), counts.hung);
    }
    if gates.iter().any(|g| matches!(g, Gate::Refuse(_))) {
        metrics.count(format!("access.denied.{callee}"), counts.refused);
    }
}

/// The gates set on the edge from `from` to `to`.
fn edge_gates(
    gates: &[(ActorId, ActorId, Option<u16>, Gate)],
    from: ActorId,
    to: ActorId,
) -> Vec<Gate> {
    gates
        .iter()
        .filter(|g| (g.0, g.1) == (from, to))
        .map(|g| g.3)
        .collect()
}

/// The gates of a scenario's links: each call an IAM role denies answers 403 at once, and
/// each call no security group lets in is dropped (`crate::network`).
/// aws-facts: §19 IAM errors: a denial is a 403 (S3's `AccessDenied`, most JSON APIs'
/// `AccessDeniedException`) that SDKs never retry. DynamoDB sends its
/// `AccessDeniedException` with HTTP 400, but archsim's 400 stands for
/// ProvisionedThroughputExceeded, which SDKs retry: a denial is counted under 403 for every
/// service, a choice that keeps it apart from throttling.
fn gates(scenario: &Scenario) -> Vec<(ActorId, ActorId, Option<u16>, Gate)> {
    crate::access::checks(scenario)
        .into_iter()
        .filter(|c| !c.decision.allowed())
        .map(|c| {
            (
                c.from as ActorId,
                c.to as ActorId,
                Some(c.op),
                Gate::Refuse(crate::status::FORBIDDEN),
            )
        })
        .chain(crate::network::dropped(scenario).into_iter().map(|d| {
            let from = match d.from {
                crate::network::Caller::Component(c) => c,
                crate::network::Caller::Workload(w) => scenario.components.len() + w,
            };
            // Whichever layer and side closes the edge, the call is dropped before its
            // callee sees it (a reply stopped is the TCP handshake's SYN-ACK).
            (from as ActorId, d.to as ActorId, None, Gate::Drop)
        }))
        .collect()
}

/// The retries of a caller (a component's call, a workload) that sets `spec`, calling a
/// component of kind `callee`: as written, resolved against the callee's SDK figures when the
/// caller names an SDK, and the SDK's default for an AWS API when it sets none.
fn retry_policy(spec: Option<&RetrySpec>, callee: &ComponentSpec) -> RetryPolicy {
    let service = callee.sdk_service();
    match spec {
        Some(s) => s.resolve(service.as_ref()),
        None => RetrySpec::default_for(service.as_ref()),
    }
}

/// What `spec`'s batch actions are for each of `ops` (`Edge::batch`); `None` when it has
/// none.
fn batch_actions(
    ops: &[String],
    spec: &crate::components::ComponentSpec,
) -> Option<std::sync::Arc<[Option<crate::components::BatchAction>]>> {
    let actions: Vec<_> = ops
        .iter()
        .enumerate()
        .map(|(op, name)| spec.batch_action(op as u16, name))
        .collect();
    actions.iter().any(Option::is_some).then(|| actions.into())
}
