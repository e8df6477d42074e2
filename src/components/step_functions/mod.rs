//! AWS Step Functions: a state machine, Standard or Express, started by its callers and run
//! state by state (aws-facts §18 Step Functions).
//!
//! A call is StartExecution. It draws on the StartExecution token bucket (Standard 1,300 /
//! 300 s⁻¹ in the large Regions, 800 / 150 s⁻¹ elsewhere; Express 6,000 / 6,000 s⁻¹); over
//! it the call is refused with 400 ThrottlingException, which the caller's SDK retries as a
//! throttle. So is a start while `max_open_executions` are open (ExecutionLimitExceeded,
//! 400; an SDK cannot tell the two apart and retries both). A Standard execution, and an
//! Express one started asynchronously (`mode = "async"`), is answered 200 after
//! `api_latency` and runs on; an Express call that is not asynchronous is StartSyncExecution,
//! answered when the execution ends: 200 if it succeeded, otherwise an answer that reports
//! the failure (HTTP 200 with a FAILED or TIMED_OUT status: the kernel's `Outcome::Error`,
//! which no SDK retries).
//!
//! An execution is a thread at a state; a Parallel state runs a thread per branch, a Map
//! state one per item, at most `max_concurrency` (and 40) at once, and goes on when all have
//! ended (a failed branch fails the state at once; the others stop at their next step). Each state
//! entered and each retry is a state transition: it takes `transition_latency`, and for a
//! Standard workflow a token of the StateTransition bucket (5,000 / 1,500 s⁻¹, or 800 /
//! 500 s⁻¹): without one, the transition waits for the refill (ExecutionThrottled, counted).
//! A Task calls its resource once per attempt, through its edge; a failure (its
//! `timeout_seconds`, a status other than 2xx, an error reported in the answer) is matched
//! against the state's retriers (the first that matches: IntervalSeconds × BackoffRate^n,
//! capped by MaxDelaySeconds, FULL jitter drawn in [0, that], up to MaxAttempts retries),
//! then its catchers (the first that matches goes to its state), else it fails the branch or
//! the execution. An execution running past its duration limit (Standard a year, Express 5
//! minutes) times out; its threads stop at their next step. An execution of more than
//! 25,000 transitions fails (Standard's history holds 25,000 events: a choice that also ends
//! a loop of states that take no time).
//!
//! Cost: Standard $0.025 per 1,000 transitions; Express $1.00 per million executions and
//! $0.06 per GB-hour, its duration rounded up to 100 ms and its memory (`memory_mb`) to 64 MB
//! chunks (AWS's pricing page, us-east-1, the first GB-hours tier; free tiers not counted).
//! The StartExecution and StateTransition buckets and the open-execution count belong to the
//! account and Region (aws-facts §18: "token buckets per account/Region"), one set per
//! workflow type: every state machine of a Region and type draws on the same ones
//! (`AccountQuotas`, in `Shared`), so two machines each under the quota alone may be
//! throttled together; a machine in another Region has its own. Each machine states the
//! quotas (`region_class` and the overrides, which must agree within a Region and type:
//! `Kind::relate`). A machine's StateTransition waiters queue in order among themselves;
//! between machines, whichever asks first when a token is back takes it (a choice: AWS does
//! not document the order).
//!
//! An execution running past the machine's `timeout_seconds` (ASL's top-level
//! TimeoutSeconds) ends TIMED_OUT, as one past the duration limit does. A `stop_executions`
//! fault is StopExecution called on every execution running at that moment (a deploy that
//! stops them): each ends ABORTED, counted as `aborted`, its threads stop at their next
//! step and its tasks' late answers are ignored; a waiting StartSyncExecution caller is
//! answered with the failure.
//!
//! Not modelled: StopExecution of single executions, payload sizes, history events other
//! than transitions.

mod config;
mod import;
mod kind;
mod machine;

pub use config::SfnConfig;
pub use machine::Workflow;

use super::token_bucket::TokenBucket;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, Reply, SimRng, SimTime, TimerHandle};
use crate::limits::{MAX_MAP_ITEMS, MAX_RETRIERS};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, Level, MetricSet};
use crate::status;
use kind::{
    ABORTED, DELAYED, FAILED, RUNNING, STARTED, SUCCEEDED, THROTTLED_STARTS, TIMED_OUT, TRANSITIONS,
};
use machine::{any_matches, Failure, Flow, StateKind};
use slab::Slab;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// The status of a StartExecution over its quota (aws-facts: §18 Step Functions:
/// ThrottlingException, an HTTP 400 the SDKs retry as a throttle) or over the open
/// executions (ExecutionLimitExceeded, 400).
pub const THROTTLED: u16 = status::BAD_REQUEST;

/// aws-facts: §18 Step Functions: a Standard execution's history holds at most 25,000
/// events; counted here as transitions, a choice. An Express workflow keeps no history
/// (aws-facts: §18), so it has no such limit.
const MAX_TRANSITIONS: u32 = 25_000;
/// An inline Map state "supports up to 40 concurrent iterations" (AWS's developer guide,
/// concepts-asl-use-map-state-inline.html; aws-facts §18 has "~40 effective [?]"): its
/// MaxConcurrency, 0 (no limit) or higher, runs at most this many at once.
const INLINE_MAP_CONCURRENCY: u32 = 40;
/// aws-facts: §18 Step Functions (AWS's pricing page): $0.025 per 1,000 state transitions.
const PRICE_TRANSITION: f64 = 0.025 / 1_000.0;
/// $1.00 per million Express executions (AWS's pricing page, us-east-1).
const PRICE_EXPRESS_REQUEST: f64 = 1.0 / 1e6;
/// $0.06 per GB-hour of Express duration, the first 1,000 GB-hours a month (AWS's pricing
/// page, us-east-1): per GB-second.
const PRICE_EXPRESS_GB_S: f64 = 0.06 / 3_600.0;
/// Express duration is billed in whole 100 ms, memory in whole 64 MB (AWS's pricing page).
const BILLED_STEP_NS: u64 = 100_000_000;
const BILLED_MEMORY_MB: u32 = 64;

/// The quotas of one account, Region and workflow type (aws-facts: §18 Step Functions:
/// token buckets per account and Region; open Standard executions per account), which every
/// state machine of that Region and type draws on.
pub struct Quotas {
    /// StartExecution's bucket.
    start: TokenBucket,
    /// StateTransition's bucket; `None`: unlimited (Express).
    transition: Option<TokenBucket>,
    /// Executions open now, every machine's.
    open: u32,
    /// The most that may be open (ExecutionLimitExceeded beyond).
    max_open: u32,
}

/// One Region and workflow type's quotas, shared by its state machines.
pub type SharedQuotas = Rc<RefCell<Quotas>>;

/// The account's Step Functions quotas for one run, by Region and workflow type, made full
/// as the first state machine of each is built (every other one states them alike: the
/// scenario checked it).
#[derive(Default)]
pub struct AccountQuotas(RefCell<BTreeMap<(String, bool), SharedQuotas>>);

impl AccountQuotas {
    /// The quotas of `region` for `cfg`'s workflow type.
    pub fn of(&self, region: &str, cfg: &SfnConfig) -> SharedQuotas {
        let key = (region.to_string(), cfg.workflow == Workflow::Express);
        let bucket = |b: config::Bucket| TokenBucket::new(b.rate, b.burst);
        self.0
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                Rc::new(RefCell::new(Quotas {
                    start: bucket(cfg.start_quota),
                    transition: cfg.transition_quota.map(bucket),
                    open: 0,
                    max_open: cfg.max_open_executions,
                }))
            })
            .clone()
    }
}

/// The code of the `stop_executions` fault.
pub(crate) const STOP_EXECUTIONS: u32 = 1;

/// Bits of a generation kept in a token (the rest hold the slot).
const GEN_BITS: u32 = 24;
const GEN_MASK: u32 = (1 << GEN_BITS) - 1;

/// An entry of a slab by slot and generation: a slot is reused once its entry has ended,
/// and a timer or a reply meant for the old one must not reach the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ref {
    slot: usize,
    gen: u32,
}

impl Ref {
    fn index(self) -> u64 {
        (self.slot as u64) << GEN_BITS | u64::from(self.gen & GEN_MASK)
    }

    fn from_index(i: u64) -> Ref {
        Ref {
            slot: (i >> GEN_BITS) as usize,
            gen: (i as u32) & GEN_MASK,
        }
    }
}

/// Its timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A thread's transition is over: its state acts.
    Enter(Ref),
    /// A thread's Wait or retry backoff is over.
    Resume(Ref),
    /// An execution's duration limit is reached.
    Deadline(Ref),
    /// The StateTransition bucket may have a token for the transitions waiting.
    Gate,
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::Enter(r) => pack(0, r.index()),
            Timer::Resume(r) => pack(1, r.index()),
            Timer::Deadline(r) => pack(2, r.index()),
            Timer::Gate => pack(3, 0),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, i) => Some(Timer::Enter(Ref::from_index(i))),
            (1, i) => Some(Timer::Resume(Ref::from_index(i))),
            (2, i) => Some(Timer::Deadline(Ref::from_index(i))),
            (3, 0) => Some(Timer::Gate),
            _ => None,
        }
    }
}

/// How an execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Succeeded,
    Failed,
    TimedOut,
    /// Stopped by StopExecution (a `stop_executions` fault).
    Aborted,
}

/// An execution in progress.
struct Exec {
    gen: u32,
    started: SimTime,
    /// The StartExecution call, whose origin and key its tasks carry.
    msg: Msg,
    /// The caller waiting for the outcome (StartSyncExecution).
    waiting: Option<CallId>,
    /// Whether it started in the measured period: its transitions, outcome and cost count.
    measured: bool,
    /// Its threads still alive (ended executions are freed when none is left).
    live: u32,
    done: bool,
    transitions: u32,
    deadline: Option<TimerHandle>,
}

/// A thread of an execution: the top level, or one branch of a Parallel or Map state.
struct Thread {
    gen: u32,
    exec: Ref,
    state: u16,
    /// The Parallel or Map run it is a branch of.
    join: Option<Ref>,
    /// Retries made by each retrier of its state since it entered it.
    retries: [u32; MAX_RETRIERS],
}

/// A Parallel or Map state's run: its branches in progress and those still to start.
struct Join {
    /// The thread waiting at the Parallel or Map state.
    parent: Ref,
    /// Branches started and not ended.
    running: u32,
    /// Map items not started yet.
    to_start: u32,
    /// The state each Map item starts at.
    start: u16,
    /// A branch failed: the state has failed, and the others stop at their next step.
    failed: bool,
}

/// What each state did in the measured period.
#[derive(Clone, Copy, Default)]
struct StateCounts {
    entered: u64,
    retries: u64,
    caught: u64,
    failed: u64,
}

/// A Step Functions state machine, running its executions.
pub struct StepFunctions {
    cfg: SfnConfig,
    clock: Clock,
    rng: SimRng,
    edges: Vec<Edge>,
    execs: Slab<Exec>,
    threads: Slab<Thread>,
    joins: Slab<Join>,
    next_gen: u32,
    /// The account's quotas for its Region and workflow type.
    quotas: SharedQuotas,
    /// Threads waiting for a StateTransition token, in order.
    gate: VecDeque<Ref>,
    gate_armed: bool,
    requests: u64,
    throttles: Counter,
    refused_open: u64,
    started: Counter,
    succeeded: Counter,
    failed: Counter,
    timed_out: Counter,
    aborted: Counter,
    transitions: Counter,
    delayed: Counter,
    running: Level,
    history_limit: u64,
    map_peak: u32,
    billed_gb_s: f64,
    states: Vec<StateCounts>,
    statuses: Counts<u16>,
    duration: Durations,
    lag: Durations,
    response: Durations,
    events: EventLog,
}

impl StepFunctions {
    /// Builds it for one run.
    pub fn new(cfg: SfnConfig, env: BuildEnv, quotas: SharedQuotas) -> StepFunctions {
        let clock = env.clock;
        StepFunctions {
            quotas,
            states: vec![StateCounts::default(); cfg.machine.states.len()],
            execs: Slab::new(),
            threads: Slab::new(),
            joins: Slab::new(),
            next_gen: 0,
            gate: VecDeque::new(),
            gate_armed: false,
            requests: 0,
            throttles: Counter::new(&clock),
            refused_open: 0,
            started: Counter::new(&clock),
            succeeded: Counter::new(&clock),
            failed: Counter::new(&clock),
            timed_out: Counter::new(&clock),
            aborted: Counter::new(&clock),
            transitions: Counter::new(&clock),
            delayed: Counter::new(&clock),
            running: Level::new(&clock),
            history_limit: 0,
            map_peak: 0,
            billed_gb_s: 0.0,
            statuses: Counts::default(),
            duration: Durations::default(),
            lag: Durations::default(),
            response: Durations::default(),
            events: EventLog::new(&env.name),
            rng: env.rng,
            edges: env.edges,
            cfg,
            clock,
        }
    }

    fn gen(&mut self) -> u32 {
        self.next_gen = self.next_gen.wrapping_add(1) & GEN_MASK;
        self.next_gen
    }

    /// StartExecution (or StartSyncExecution).
    fn start(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests += u64::from(measured);
        // aws-facts: §18 Step Functions: StartExecution is a token bucket per account and
        // Region; over it, ThrottlingException.
        let mut q = self.quotas.borrow_mut();
        if !q.start.try_take(now) {
            self.throttles.add(&self.clock, now, measured);
            self.statuses.add(THROTTLED, measured);
            ctx.reply(call, THROTTLED);
            return;
        }
        // aws-facts: §18 Step Functions: open executions are bounded per account and Region
        // (ExecutionLimitExceeded).
        if q.open >= q.max_open {
            self.refused_open += u64::from(measured);
            self.statuses.add(THROTTLED, measured);
            ctx.reply(call, THROTTLED);
            return;
        }
        q.open += 1;
        drop(q);
        let waits = self.cfg.workflow == Workflow::Express && !msg.asynchronous;
        let gen = self.gen();
        let slot = self.execs.insert(Exec {
            gen,
            started: now,
            msg,
            waiting: waits.then_some(call),
            measured,
            live: 0,
            done: false,
            transitions: 0,
            deadline: None,
        });
        let exec = Ref { slot, gen };
        // aws-facts: §18 Step Functions: the duration limit, or the machine's TimeoutSeconds
        // when it is shorter.
        let limit = self.cfg.workflow.duration_limit();
        let limit = self.cfg.timeout.map_or(limit, |t| t.min(limit));
        self.execs[slot].deadline = ctx.schedule_fixed(limit, Timer::Deadline(exec).encode());
        self.started.add(&self.clock, now, measured);
        self.running.add(&self.clock, now, 1.0);
        if !waits {
            // aws-facts: §18 Step Functions: a Standard execution (or an asynchronous
            // Express one) is answered once started; it runs on.
            let wait = self.cfg.api_latency.sample_time(&mut self.rng);
            self.statuses.add(status::OK, measured);
            self.response.record(wait, measured);
            ctx.reply_after(call, status::OK, wait);
        }
        let start = self.cfg.machine.start as u16;
        let t = self.spawn(exec, None, start);
        self.enter(ctx, t, start);
    }

    /// A new thread of `exec` at `state`, a branch of `join` if any.
    fn spawn(&mut self, exec: Ref, join: Option<Ref>, state: u16) -> Ref {
        let gen = self.gen();
        let slot = self.threads.insert(Thread {
            gen,
            exec,
            state,
            join,
            retries: [0; MAX_RETRIERS],
        });
        self.execs[exec.slot].live += 1;
        Ref { slot, gen }
    }

    /// The thread, if it is the one `t` names and its work still matters: its execution is
    /// running and its Parallel or Map run has not failed.
    fn alive(&self, t: Ref) -> bool {
        let Some(th) = self.threads.get(t.slot).filter(|x| x.gen == t.gen) else {
            return false;
        };
        let e = &self.execs[th.exec.slot];
        !e.done && th.join.is_none_or(|j| !self.joins[j.slot].failed)
    }

    /// Whether `t` names a thread that exists (alive or not).
    fn exists(&self, t: Ref) -> bool {
        self.threads.get(t.slot).is_some_and(|x| x.gen == t.gen)
    }

    /// The thread moves into `state`: a transition.
    fn enter(&mut self, ctx: &mut Ctx<'_>, t: Ref, state: u16) {
        let th = &mut self.threads[t.slot];
        th.state = state;
        th.retries = [0; MAX_RETRIERS];
        let e = &self.execs[th.exec.slot];
        if e.measured {
            self.states[state as usize].entered += 1;
        }
        self.transition(ctx, t);
    }

    /// A state transition (a state entered, or a retry): counted, and held to the
    /// StateTransition quota.
    fn transition(&mut self, ctx: &mut Ctx<'_>, t: Ref) {
        let now = ctx.now();
        let exec = self.threads[t.slot].exec;
        let e = &mut self.execs[exec.slot];
        e.transitions += 1;
        let over = e.transitions > MAX_TRANSITIONS && self.cfg.workflow == Workflow::Standard;
        let measured = e.measured;
        self.transitions.add(&self.clock, now, measured);
        if over {
            self.history_limit += u64::from(measured);
            self.end_exec(ctx, exec, End::Failed);
            self.kill(t);
            return;
        }
        // aws-facts: §18 Step Functions: a Standard workflow's transitions draw on a token
        // bucket; without a token the execution is throttled (it waits).
        let waits = match &mut self.quotas.borrow_mut().transition {
            Some(q) => !self.gate.is_empty() || !q.try_take(now),
            None => false,
        };
        if waits {
            self.delayed.add(&self.clock, now, measured);
            self.gate.push_back(t);
            self.arm_gate(ctx);
            return;
        }
        self.after_transition(ctx, t);
    }

    fn after_transition(&mut self, ctx: &mut Ctx<'_>, t: Ref) {
        let d = self.cfg.transition_latency.sample_time(&mut self.rng);
        ctx.schedule(d, Timer::Enter(t).encode());
    }

    fn arm_gate(&mut self, ctx: &mut Ctx<'_>) {
        if self.gate_armed {
            return;
        }
        if let Some(q) = &self.cfg.transition_quota {
            self.gate_armed = true;
            // One token's refill.
            ctx.schedule(
                SimTime::from_secs_f64(1.0 / q.rate).max(SimTime::from_nanos(1)),
                Timer::Gate.encode(),
            );
        }
    }

    /// Transitions waiting for a token go, in order, as far as the bucket allows.
    fn open_gate(&mut self, ctx: &mut Ctx<'_>) {
        self.gate_armed = false;
        let now = ctx.now();
        while let Some(&t) = self.gate.front() {
            if !self.alive(t) {
                self.gate.pop_front();
                self.kill(t);
                continue;
            }
            let taken = (self.quotas.borrow_mut().transition.as_mut())
                .expect("a gate has a quota")
                .try_take(now);
            if !taken {
                break;
            }
            self.gate.pop_front();
            self.after_transition(ctx, t);
        }
        if !self.gate.is_empty() {
            self.arm_gate(ctx);
        }
    }

    /// The thread's state acts, its transition over.
    fn act(&mut self, ctx: &mut Ctx<'_>, t: Ref) {
        if !self.alive(t) {
            self.kill(t);
            return;
        }
        let th = &self.threads[t.slot];
        let (state, exec) = (th.state, th.exec);
        match &self.cfg.machine.states[state as usize].kind {
            StateKind::Task { edge } => {
                let msg = self.execs[exec.slot].msg;
                // A task run again by one of its state's retriers is a retry on the edge
                // (`enter` clears the counts: a fresh entry is a first attempt).
                let retry = th.retries.iter().any(|&n| n > 0);
                self.edges[*edge].attempt(ctx, &mut self.rng, msg, t.index(), retry);
            }
            StateKind::Wait(d) => ctx.schedule(*d, Timer::Resume(t).encode()),
            StateKind::Choice { branches, default } => {
                use rand::Rng;
                let u: f64 = self.rng.random();
                let next = branches
                    .iter()
                    .find(|(cum, _)| u < *cum)
                    .map(|(_, s)| *s)
                    .or(*default)
                    // Probabilities that add up to 1 short of a rounding: the last branch.
                    .unwrap_or_else(|| branches.last().expect("validated").1);
                self.enter(ctx, t, next);
            }
            StateKind::Parallel(bs) => {
                let bs = bs.clone();
                let n = bs.len() as u32;
                let j = self.join(t, n, 0, 0);
                for b in bs {
                    let c = self.spawn(exec, Some(j), b);
                    self.enter(ctx, c, b);
                }
            }
            StateKind::Map {
                start,
                items,
                max_concurrency,
            } => {
                let (start, conc) = (*start, *max_concurrency);
                let n = items
                    .sample(&mut self.rng)
                    .round()
                    .clamp(0.0, MAX_MAP_ITEMS as f64) as u32;
                if n == 0 {
                    self.leave(ctx, t);
                    return;
                }
                // An inline Map runs at most 40 iterations at once, whatever its
                // MaxConcurrency (0: no limit of its own).
                let own = if conc == 0 { n } else { conc };
                let limit = own.min(n).min(INLINE_MAP_CONCURRENCY);
                let j = self.join(t, limit, n - limit, start);
                self.map_peak = self.map_peak.max(limit);
                for _ in 0..limit {
                    let c = self.spawn(exec, Some(j), start);
                    self.enter(ctx, c, start);
                }
            }
            StateKind::Pass => self.leave(ctx, t),
            StateKind::Succeed => self.finish(ctx, t, Ok(())),
            StateKind::Fail(_) => {
                let i = self.raised_index(state);
                self.finish(ctx, t, Err(Failure::Raised(i)));
            }
        }
    }

    /// The index of a Fail state's error among the Fail states' errors (as `error_equals`
    /// names them).
    fn raised_index(&self, state: u16) -> u16 {
        let states = &self.cfg.machine.states;
        let StateKind::Fail(name) = &states[state as usize].kind else {
            return 0;
        };
        // The Fail states that raise an error named by `error`, in order (one that leaves
        // `error` out raises States.Fail, which no `error_equals` names).
        states
            .iter()
            .filter_map(|s| match &s.kind {
                StateKind::Fail(n) if n != "States.Fail" => Some(n),
                _ => None,
            })
            .position(|n| n == name)
            .map_or(u16::MAX, |i| i as u16)
    }

    /// A Parallel or Map run for the thread `parent`, with `running` branches started.
    fn join(&mut self, parent: Ref, running: u32, to_start: u32, start: u16) -> Ref {
        let slot = self.joins.insert(Join {
            parent,
            running,
            to_start,
            start,
            failed: false,
        });
        // A run is freed only once its last branch has ended: its branches name it by slot.
        Ref { slot, gen: 0 }
    }

    /// The state is done: on to what follows it.
    fn leave(&mut self, ctx: &mut Ctx<'_>, t: Ref) {
        let state = self.threads[t.slot].state;
        match self.cfg.machine.states[state as usize].flow {
            Flow::Next(s) => self.enter(ctx, t, s),
            Flow::End => self.finish(ctx, t, Ok(())),
        }
    }

    /// The thread's state failed with `f`: a retrier, a catcher, or the thread fails.
    fn fail_state(&mut self, ctx: &mut Ctx<'_>, t: Ref, f: Failure) {
        let th = &self.threads[t.slot];
        let (state, measured) = (th.state, self.execs[th.exec.slot].measured);
        let st = &self.cfg.machine.states[state as usize];
        // aws-facts: §18 Retry: the first retrier whose ErrorEquals matches decides; once its
        // MaxAttempts are spent, the catchers are tried.
        if let Some(i) = st.retry.iter().position(|r| any_matches(&r.errors, f)) {
            let n = self.threads[t.slot].retries[i];
            let r = &st.retry[i];
            if n < r.max_attempts {
                let wait = r.delay_s(n, &mut self.rng);
                self.threads[t.slot].retries[i] = n + 1;
                if measured {
                    self.states[state as usize].retries += 1;
                }
                ctx.schedule(SimTime::from_secs_f64(wait), Timer::Resume(t).encode());
                return;
            }
        }
        let st = &self.cfg.machine.states[state as usize];
        if let Some(c) = st.catch.iter().find(|c| any_matches(&c.errors, f)) {
            let next = c.next;
            if measured {
                self.states[state as usize].caught += 1;
            }
            self.enter(ctx, t, next);
            return;
        }
        if measured {
            self.states[state as usize].failed += 1;
        }
        self.finish(ctx, t, Err(f));
    }

    /// The thread ends, with its branch's or execution's outcome.
    fn finish(&mut self, ctx: &mut Ctx<'_>, t: Ref, result: Result<(), Failure>) {
        let th = self.threads.remove(t.slot);
        let exec = th.exec;
        self.execs[exec.slot].live -= 1;
        match th.join {
            None => {
                let end = if result.is_ok() {
                    End::Succeeded
                } else {
                    End::Failed
                };
                self.end_exec(ctx, exec, end);
            }
            Some(j) => self.branch_ended(ctx, j, result),
        }
        self.free_exec(exec);
    }

    /// A branch of a Parallel or Map run ended.
    fn branch_ended(&mut self, ctx: &mut Ctx<'_>, j: Ref, result: Result<(), Failure>) {
        let join = &mut self.joins[j.slot];
        join.running -= 1;
        let parent = join.parent;
        if join.failed {
            if join.running == 0 {
                self.joins.remove(j.slot);
            }
            return;
        }
        match result {
            Err(f) => {
                // aws-facts: §18: a branch's failure fails the Parallel or Map state.
                join.failed = true;
                if join.running == 0 {
                    self.joins.remove(j.slot);
                }
                self.fail_state(ctx, parent, f);
            }
            Ok(()) if join.to_start > 0 => {
                join.to_start -= 1;
                join.running += 1;
                let start = join.start;
                let exec = self.threads[parent.slot].exec;
                let c = self.spawn(exec, Some(j), start);
                self.enter(ctx, c, start);
            }
            Ok(()) if join.running == 0 => {
                self.joins.remove(j.slot);
                self.leave(ctx, parent);
            }
            Ok(()) => {}
        }
    }

    /// A thread whose work no longer matters (its execution ended, its run failed) stops at
    /// its next step: it is freed, and so is what waited on it alone.
    fn kill(&mut self, t: Ref) {
        if !self.exists(t) {
            return;
        }
        let th = self.threads.remove(t.slot);
        self.execs[th.exec.slot].live -= 1;
        if let Some(j) = th.join {
            let join = &mut self.joins[j.slot];
            join.running -= 1;
            if join.running == 0 {
                let (failed, parent) = (join.failed, join.parent);
                self.joins.remove(j.slot);
                // Its parent waited on this run alone (unless the run had failed, and the
                // parent moved on): it stops too.
                if !failed {
                    self.kill(parent);
                }
            }
        }
        self.free_exec(th.exec);
    }

    /// Frees an execution that has ended and has no thread left (if a step on the way, such
    /// as its last branch ending its run, has not freed it already).
    fn free_exec(&mut self, exec: Ref) {
        let Some(e) = self.execs.get(exec.slot).filter(|e| e.gen == exec.gen) else {
            return;
        };
        if e.done && e.live == 0 {
            self.execs.remove(exec.slot);
        }
    }

    /// The execution ends: counted, billed, and its waiting caller answered.
    fn end_exec(&mut self, ctx: &mut Ctx<'_>, exec: Ref, end: End) {
        let now = ctx.now();
        let e = &mut self.execs[exec.slot];
        if e.done {
            return;
        }
        e.done = true;
        if let Some(h) = e.deadline.take() {
            ctx.cancel_timer(h);
        }
        let (measured, started, origin, waiting) = (e.measured, e.started, e.msg.origin, e.waiting);
        self.quotas.borrow_mut().open -= 1;
        let c = &self.clock;
        self.running.add(c, now, -1.0);
        let took = now - started;
        match end {
            End::Succeeded => self.succeeded.add(c, now, measured),
            End::Failed => self.failed.add(c, now, measured),
            End::TimedOut => self.timed_out.add(c, now, measured),
            End::Aborted => self.aborted.add(c, now, measured),
        }
        self.duration.record(took, measured);
        if measured && self.cfg.workflow == Workflow::Express {
            self.billed_gb_s += billed_gb_s(took, self.cfg.memory_mb);
        }
        match waiting {
            Some(call) => {
                if end == End::Succeeded {
                    self.statuses.add(status::OK, measured);
                    self.response.record(took, measured);
                    ctx.reply(call, status::OK);
                } else {
                    // aws-facts: §18: StartSyncExecution answers 200 with the execution's
                    // FAILED, TIMED_OUT or ABORTED status: an error reported in the answer.
                    ctx.reply_error(call);
                }
            }
            // The processing lag of work its caller did not wait for: from the client's
            // request to the execution's success.
            None if end == End::Succeeded => {
                self.lag
                    .record(now.saturating_sub(origin), self.clock.measured(origin));
            }
            None => {}
        }
    }

    fn replied(&mut self, ctx: &mut Ctx<'_>, r: Reply) {
        let t = Ref::from_index(r.tag);
        if !self.alive(t) {
            self.kill(t);
            return;
        }
        match r.outcome {
            o if o.is_success() => self.leave(ctx, t),
            Outcome::Timeout => self.fail_state(ctx, t, Failure::Timeout),
            Outcome::Status(s) => self.fail_state(ctx, t, Failure::Status(s)),
            Outcome::Error => self.fail_state(ctx, t, Failure::Unhandled),
        }
    }

    fn resumed(&mut self, ctx: &mut Ctx<'_>, t: Ref) {
        if !self.alive(t) {
            self.kill(t);
            return;
        }
        let state = self.threads[t.slot].state;
        match self.cfg.machine.states[state as usize].kind {
            StateKind::Wait(_) => self.leave(ctx, t),
            // A retry's backoff is over: the state is tried again, a transition of its own.
            _ => self.transition(ctx, t),
        }
    }

    fn deadline(&mut self, ctx: &mut Ctx<'_>, exec: Ref) {
        let Some(e) = self.execs.get_mut(exec.slot).filter(|e| e.gen == exec.gen) else {
            return;
        };
        // The timer has fired: there is nothing left to cancel.
        e.deadline = None;
        self.end_exec(ctx, exec, End::TimedOut);
        self.free_exec(exec);
    }

    /// StopExecution on every execution running now (a `stop_executions` fault): each ends
    /// ABORTED; its threads stop at their next step, and its tasks' answers, when they come,
    /// are ignored (`alive`).
    fn stop_all(&mut self, ctx: &mut Ctx<'_>) {
        let running: Vec<Ref> = self
            .execs
            .iter()
            .filter(|(_, e)| !e.done)
            .map(|(slot, e)| Ref { slot, gen: e.gen })
            .collect();
        for exec in running {
            self.end_exec(ctx, exec, End::Aborted);
            self.free_exec(exec);
        }
    }
}

/// The GB-seconds an Express execution of `took` with `memory_mb` is billed: its duration
/// rounded up to 100 ms, its memory to 64 MB (AWS's pricing page).
fn billed_gb_s(took: SimTime, memory_mb: u32) -> f64 {
    let steps = took.0.div_ceil(BILLED_STEP_NS).max(1);
    let secs = (steps * BILLED_STEP_NS) as f64 / 1e9;
    let mb = memory_mb.div_ceil(BILLED_MEMORY_MB) * BILLED_MEMORY_MB;
    secs * f64::from(mb) / 1024.0
}

impl Component for StepFunctions {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Call(call, msg) => self.start(ctx, call, msg),
            Input::Reply(r) => self.replied(ctx, r),
            Input::Timer(t) => match Timer::decode(t) {
                Some(Timer::Enter(r)) => self.act(ctx, r),
                Some(Timer::Resume(r)) => self.resumed(ctx, r),
                Some(Timer::Deadline(r)) => self.deadline(ctx, r),
                Some(Timer::Gate) => self.open_gate(ctx),
                None => {}
            },
            Input::Fault { code, on } => {
                if on && code == STOP_EXECUTIONS {
                    self.stop_all(ctx);
                }
            }
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.running.finish(c);
        let transitions = self.transitions.total();
        let started = self.started.total();
        let cost = match self.cfg.workflow {
            Workflow::Standard => transitions as f64 * PRICE_TRANSITION,
            Workflow::Express => {
                started as f64 * PRICE_EXPRESS_REQUEST + self.billed_gb_s * PRICE_EXPRESS_GB_S
            }
        };
        let mut m = MetricSet::default();
        m.count("requests", self.requests);
        m.count("throttles", self.throttles.total());
        m.count("refused_open_limit", self.refused_open);
        m.count("started", started);
        m.count("succeeded", self.succeeded.total());
        m.count("failed", self.failed.total());
        m.count("timed_out", self.timed_out.total());
        m.count("aborted", self.aborted.total());
        m.count("history_limit", self.history_limit);
        m.count("transitions", transitions);
        m.count("transitions_delayed", self.delayed.total());
        m.gauge("running_max", self.running.max());
        m.gauge("running_mean", self.running.mean(c));
        m.gauge("map_concurrency_max", f64::from(self.map_peak));
        if self.cfg.workflow == Workflow::Express {
            m.gauge("billed_gb_s", self.billed_gb_s);
        }
        m.gauge("cost_usd", cost);
        for (s, counts) in self.cfg.machine.states.iter().zip(&self.states) {
            m.count(format!("states.{}.entered", s.name), counts.entered);
            m.count(format!("states.{}.retries", s.name), counts.retries);
            m.count(format!("states.{}.caught", s.name), counts.caught);
            m.count(format!("states.{}.failed", s.name), counts.failed);
        }
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.hist("duration_ms", &self.duration.summary());
        m.hist("lag_ms", &self.lag.summary());
        m.hist("response_ms", &self.response.summary());
        ComponentReport {
            metrics: m,
            series: vec![
                (&STARTED, self.started.rate_series(c)),
                (&THROTTLED_STARTS, self.throttles.rate_series(c)),
                (&SUCCEEDED, self.succeeded.rate_series(c)),
                (&FAILED, self.failed.rate_series(c)),
                (&TIMED_OUT, self.timed_out.rate_series(c)),
                (&ABORTED, self.aborted.rate_series(c)),
                (&TRANSITIONS, self.transitions.rate_series(c)),
                (&DELAYED, self.delayed.rate_series(c)),
                (&RUNNING, self.running.mean_series(c)),
            ],
            events: self.events.finish(c.end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn tokens_survive_the_kernel(slot in 0usize..(1 << 30), gen in 0u32..(1 << GEN_BITS), v in 0u8..4) {
            let r = Ref { slot, gen };
            let t = match v {
                0 => Timer::Enter(r),
                1 => Timer::Resume(r),
                2 => Timer::Deadline(r),
                _ => Timer::Gate,
            };
            prop_assert_eq!(token_round_trip(t), Ok(()));
            prop_assert_eq!(Ref::from_index(r.index()), r);
        }
    }

    #[test]
    fn express_duration_is_billed_in_100_ms_and_64_mb() {
        // 250 ms → 300 ms; 64 MB = 1/16 GB: 0.3 / 16 GB-s.
        let b = billed_gb_s(SimTime::from_millis(250), 64);
        assert!((b - 0.3 / 16.0).abs() < 1e-12, "{b}");
        // 65 MB is billed as 128 MB.
        let b = billed_gb_s(SimTime::from_millis(100), 65);
        assert!((b - 0.1 / 8.0).abs() < 1e-12, "{b}");
    }
}
