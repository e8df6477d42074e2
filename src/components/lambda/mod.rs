//! AWS Lambda: execution environments that are created (a cold start), reused while warm and
//! recycled after an idle lifetime; concurrency limited by the function's reserved concurrency
//! or by the account's pool, which every function of its Region shares; the scaling rate;
//! provisioned concurrency; CPU in proportion to memory; the function timeout; a canary
//! version behind a weighted alias; downstream calls with the SDK's retries; cost.
//!
//! An environment serves one request at a time; among several idle ones, `reuse` chooses. A
//! request that finds no idle environment and no room to create one is throttled with 429
//! (TooManyRequestsException), as is one beyond the account's request rate (10 × its
//! concurrency per second, shared by every function). One that fails (an unhandled error, a
//! downstream call that fails, the function timeout) is a function error: the Invoke API
//! answers it with success and `X-Amz-Function-Error`, which the kernel carries as
//! `Outcome::Error` (aws-facts: §2 sync Invoke results): an error no SDK retries, that API
//! Gateway and load balancers turn into 502 or 500.
//!
//! An asynchronous call (`Msg::asynchronous`: Lambda's `Event` invocation type) is answered
//! 202 at once and its event waits in the function's own queue (aws-facts: §14 Lambda
//! asynchronous invocation): events run in order as concurrency allows, under the same
//! limits as synchronous invocations, so that they wait rather than being refused. An event
//! the limits refuse goes back to wait 1 s, then 2 s, 4 s, … up to 5 min (no jitter: AWS
//! does not document one), the others behind it waiting for the next execution to end. A
//! function error is retried `maximum_retry_attempts` times (0–2), 1 and then 2 minutes
//! later; a Lambda service error (here: the cold start's KMS Decrypt failing) is retried like
//! a throttle. An event older than `maximum_event_age` when it is due is discarded, as is
//! one whose retries are spent, to the `on_failure` destination if there is one. A share
//! `duplicates` of events is delivered twice (at-least-once delivery; AWS gives no rate, so
//! the share is a choice, 0 by default). Its processing lag (from the client's request to
//! the event's successful run) and the age of its oldest waiting event are measured. Events
//! go on running after arrivals stop, until the queue is empty: the `async.` counts follow
//! the events accepted in the measured period to their fates (succeeded, or discarded and
//! sent to the destination), however late (succeeded and discarded add up to
//! `async.accepted` but for duplicates), while `invocations`, the cost and the
//! destination's own counts stop with the measured period.
//!
//! A queue's or stream's batch that lists its items (`Ctx::items_mut`) is decided message by
//! message: each fails by its own `error_rate` draw or its operation in `error_ops`; in a
//! FIFO batch, a group's messages after its first failure are not processed (neither their
//! work nor their calls) and are marked failed with it, so that the group keeps its order.
//! When its caller takes partial answers (ReportBatchItemFailures, aws-facts §16), the
//! function marks the failed ones and answers success, doing its downstream calls as for
//! any success; otherwise one failed message is a function error for the batch. After the
//! batch's work its `calls` are made for each message in turn (each successful one's, under
//! a partial answer), or once with `batch_calls = "per_batch"` (under a partial answer, for
//! the messages done, and not made at all when every message failed). Per batch, a call to
//! a callee with batch actions (`Edge::batch`, by operation: DynamoDB's BatchWriteItem 25
//! puts, BatchGetItem 100 reads, none for an update; SQS's SendMessageBatch and SNS's
//! PublishBatch 10) carries each action's messages as its entries (`Ctx::attach_entries`:
//! each one's operation, key, size, client and origin), as many as the action takes, the
//! rest in further calls on the same edge in turn, and a message of no batch form alone
//! (`PerBatch::plan`): a table writes each item on its own partition and bills it on its
//! own, a queue stores and a topic delivers each message. Entries the callee failed (AWS's unprocessed items, a batch's `Failed`)
//! are sent again alone, with the backoff of the callee's throttle and within the call's
//! attempts (`UNPROCESSED`); the invocation fails when they are spent. A callee without a
//! batch action takes the batch as one request of one message, sized as the messages done.
//!
//! With `kms = "…"` (its environment variables encrypted under a KMS key), each on-demand
//! cold start decrypts them after Init and before the handler: one Decrypt against the
//! account's KMS quota, retried by the SDK. If it still fails, the invocation is answered 502
//! (`KMS_INIT_FAILED`) and the environment is discarded.

mod config;
mod kind;

pub use config::{Architecture, AsyncConfig, BatchCalls, LambdaConfig, Reuse, Version};
use kind::{
    ASYNC_OLDEST, ASYNC_QUEUE, COLD_STARTS, CONCURRENCY, DURATION, ENVIRONMENTS, INVOCATIONS,
    THROTTLES,
};

use super::kms::caller::{self, KmsClient};
use super::token_bucket::TokenBucket;
use super::{
    pack, unpack, AfterReply, BuildEnv, CallCursor, Component, ComponentReport, Edge, RetryTokens,
    Token,
};
use crate::kernel::{
    CallId, Ctx, Input, Item, Msg, Outcome, Reply, SimRng, SimTime, SpanEnd, TimerHandle,
};
use crate::metrics::{
    Clock, Counter, Counts, Durations, EventLog, Hist, Latency, Level, MetricSet,
};
use crate::status;
use rand::Rng;
use slab::Slab;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// aws-facts: §2 limits: 1,769 MB of memory buys one vCPU.
const MB_PER_VCPU: f64 = 1769.0;
/// aws-facts: §2 pricing: requests $0.20 per million; x86 duration $0.0000166667 per GB-s;
/// provisioned concurrency $0.0000041667 per GB-s while enabled plus $0.0000097222 per GB-s of
/// duration on it.
const PRICE_PER_REQUEST: f64 = 0.20 / 1e6;
const PRICE_GB_S: f64 = 0.000_016_666_7;
const PRICE_PC_GB_S: f64 = 0.000_004_166_7;
const PRICE_PC_DURATION_GB_S: f64 = 0.000_009_722_2;

/// aws-facts: §2 pricing: Arm duration $0.0000133334 per GB-s. AWS's announcement of Graviton2
/// functions (AWS News Blog, 2021-09-29, "AWS Lambda Functions Powered by AWS Graviton2
/// Processor") says Arm's duration charges are 20 percent lower than x86's, and that "the same
/// 20 percent reduction also applies to duration charges for functions using Provisioned
/// Concurrency": $0.0000097222 × 0.8 = $0.0000077778 per GB-s. Requests cost the same on both
/// (only duration is said to be lower).
const ARM_PRICE_GB_S: f64 = 0.000_013_333_4;
const ARM_PRICE_PC_DURATION_GB_S: f64 = 0.000_007_777_8;
/// Provisioned concurrency while enabled on Arm: AWS's pricing page renders its prices in
/// JavaScript and the announcement speaks of duration charges only, so a lower Arm figure is
/// not confirmed (copies of the price list give $0.0000033334, 20% less). A choice: x86's
/// figure, which may overstate an Arm function's provisioned concurrency by a fifth.
const ARM_PRICE_PC_GB_S: f64 = PRICE_PC_GB_S;

/// The first tier's prices of an architecture [$ per GB-s]: on-demand duration, provisioned
/// concurrency while enabled, duration on provisioned concurrency.
fn duration_prices(a: Architecture) -> (f64, f64, f64) {
    match a {
        Architecture::X86_64 => (PRICE_GB_S, PRICE_PC_GB_S, PRICE_PC_DURATION_GB_S),
        Architecture::Arm64 => (
            ARM_PRICE_GB_S,
            ARM_PRICE_PC_GB_S,
            ARM_PRICE_PC_DURATION_GB_S,
        ),
    }
}

/// Status of a throttled invocation (aws-facts: §2 throttling: TooManyRequestsException).
pub const THROTTLED: u16 = status::TOO_MANY_REQUESTS;
/// How the handler takes a batch action's answer that failed some entries (DynamoDB's
/// UnprocessedItems, SQS's and SNS's `Failed`): as the throttle of the services that have
/// one (400, which their SDK clients' policies retry as a throttle), to send those again
/// with backoff.
const UNPROCESSED: u16 = status::BAD_REQUEST;
/// How an invocation that failed is answered (an unhandled error, a failed downstream call or
/// the function timeout). aws-facts: §2 sync Invoke results: HTTP 200 with
/// `X-Amz-Function-Error`, not retried by SDKs; the kernel's `Outcome::Error`.
pub const FUNCTION_ERROR: Outcome = Outcome::Error;

/// The status of an invocation whose cold start could not decrypt the function's environment
/// variables: Lambda's Invoke API answers KMSAccessDeniedException, KMSDisabledException,
/// KMSInvalidStateException and KMSNotFoundException ("Lambda couldn't decrypt the
/// environment variables …") with HTTP 502 (API_Invoke, Errors). It documents no error for a
/// throttled Decrypt; the same 502 is a choice.
pub const KMS_INIT_FAILED: u16 = status::BAD_GATEWAY;
/// The name of a function error under `by_status.` in the summary.
const FUNCTION_ERROR_LABEL: &str = status::FUNCTION_ERROR_WORD;

/// aws-facts: §14: a function error is retried about 1 minute, then about 2 minutes later.
const ERROR_RETRY_DELAYS: [SimTime; 2] = [SimTime::from_secs(60), SimTime::from_secs(120)];
/// aws-facts: §14: a throttled event goes back to the queue and is retried with exponential
/// backoff from 1 s up to 5 minutes.
const THROTTLE_BACKOFF_FIRST: SimTime = SimTime::from_secs(1);
const THROTTLE_BACKOFF_MAX: SimTime = SimTime::from_secs(300);
/// The reply tag of a call to the on-failure destination (an invocation's tags are variant 0).
const DESTINATION: u64 = pack(1, 0);
/// The status an asynchronous invocation is answered with when its event is queued
/// (aws-facts: §14: 202).
pub const EVENT_ACCEPTED: u16 = status::ACCEPTED;
/// The status of an asynchronous invocation refused because the function's queue holds
/// `limits::MAX_QUEUE_MESSAGES` events: a limit of archsim's, not AWS's.
pub const QUEUE_FULL: u16 = status::SERVICE_UNAVAILABLE;

/// aws-facts: §2 concurrency: requests-per-second quota: across every function of the account
/// and Region, at most 10 invocations per second per unit of account concurrency.
const RPS_PER_CONCURRENCY: f64 = 10.0;

/// Why an invocation was throttled, for `throttled_by.` in the summary (aws-facts: §2
/// throttling: the `Reason` of TooManyRequestsException).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Throttle {
    /// ConcurrentInvocationLimitExceeded / ReservedFunctionConcurrentInvocationLimitExceeded.
    Concurrency,
    /// No new environment allowed yet by the scaling rate.
    Scaling,
    /// FunctionInvocationRateLimitExceeded: the account's requests per second.
    Rate,
}

impl Throttle {
    /// Every reason, each reported (0 included) so that an expectation of none holds.
    const ALL: [Throttle; 3] = [Throttle::Concurrency, Throttle::Scaling, Throttle::Rate];

    fn name(self) -> &'static str {
        match self {
            Throttle::Concurrency => "concurrency",
            Throttle::Scaling => "scaling",
            Throttle::Rate => "rate",
        }
    }
}

impl LambdaConfig {
    /// How much slower the handler runs than on a full vCPU.
    pub(crate) fn cpu_factor(&self) -> f64 {
        (MB_PER_VCPU / f64::from(self.memory_mb)).max(1.0)
    }
}

/// The account's concurrency and request rate in a Region, shared by every function there.
#[derive(Debug)]
pub struct AccountPool {
    /// Concurrency available to functions without reserved concurrency [executions].
    pub unreserved: u32,
    /// Executions drawing on it now [executions].
    pub in_use: u32,
    /// The account's invocations per second, every function's (reserved or not) [requests/s].
    pub rate: TokenBucket,
}

impl AccountPool {
    /// The pool of an account with `concurrency` in all, `set_aside` of it reserved or
    /// provisioned by functions, whose request rate may be taken `burst` ahead (`[account]
    /// lambda_rate_burst`). AWS states the quota per second and documents no burst: a token
    /// bucket holding one second's worth by default is a choice.
    pub fn new(concurrency: u32, set_aside: u32, burst: SimTime) -> AccountPool {
        let rate = RPS_PER_CONCURRENCY * f64::from(concurrency);
        AccountPool {
            unreserved: concurrency.saturating_sub(set_aside),
            in_use: 0,
            rate: TokenBucket::new(rate, (rate * burst.as_secs_f64()).ceil().max(1.0) as u64),
        }
    }
}

/// The account's pool as every function of a run holds it.
pub type SharedPool = Rc<RefCell<AccountPool>>;

struct Env {
    version: usize,
    provisioned: bool,
    busy: bool,
    /// The retry quotas of the SDK clients its handler's calls go through. An environment is
    /// one process: the clients its code makes live in it and die with it (aws-facts: §7
    /// retry quota, per client; see `RetryTokens`), so a new environment starts with full
    /// buckets and environments never share one.
    tokens: RetryTokens,
    /// When it last went idle.
    idle_since: SimTime,
    /// Its neighbours in its version's idle list while idle (`NIL`: none).
    prev: usize,
    next: usize,
    /// When it was created, and its place in the order of creation.
    born: SimTime,
    born_seq: u64,
}

/// No environment: the end of an idle list.
const NIL: usize = usize::MAX;

/// A version's idle on-demand environments in the order they went idle, as a list threaded
/// through the environments: adding at the back, taking the back or the front, or taking one
/// from the middle are each a few steps, whatever the number idle.
#[derive(Clone, Copy)]
struct IdleList {
    /// The one idle longest, next to expire.
    front: usize,
    /// The most recently used.
    back: usize,
}

impl IdleList {
    const EMPTY: IdleList = IdleList {
        front: NIL,
        back: NIL,
    };

    fn push_back(&mut self, envs: &mut Slab<Env>, e: usize) {
        envs[e].prev = self.back;
        envs[e].next = NIL;
        match self.back {
            NIL => self.front = e,
            b => envs[b].next = e,
        }
        self.back = e;
    }

    fn unlink(&mut self, envs: &mut Slab<Env>, e: usize) {
        let (prev, next) = (envs[e].prev, envs[e].next);
        match prev {
            NIL => self.front = next,
            p => envs[p].next = next,
        }
        match next {
            NIL => self.back = prev,
            n => envs[n].prev = prev,
        }
        envs[e].prev = NIL;
        envs[e].next = NIL;
    }

    fn first(&self) -> Option<usize> {
        (self.front != NIL).then_some(self.front)
    }

    fn last(&self) -> Option<usize> {
        (self.back != NIL).then_some(self.back)
    }
}

/// Who an invocation answers: the caller waiting for it, or no one (an event of the queue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Sync(CallId),
    Event(usize),
}

/// An event of the asynchronous queue, waiting, backing off or running.
struct Event {
    msg: Msg,
    /// When Lambda accepted it: its age runs from here.
    accepted: SimTime,
    /// Function errors so far.
    errors: u32,
    /// Throttles and service errors so far, for the backoff.
    refusals: u32,
    /// A second delivery of an event: not delivered again itself.
    duplicate: bool,
    /// It has run at least once (started): it is duplicated, if at all, at its first run.
    started: bool,
    /// Its current wait in the queue, for a traced event (0: not traced).
    wait: u32,
    /// Times it was taken from the queue to run (throttled or not): its invocation spans'
    /// attempt numbers.
    tries: u16,
}

/// Why an event was discarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Discard {
    Expired,
    RetriesExhausted,
}

impl Discard {
    fn name(self) -> &'static str {
        match self {
            Discard::Expired => "expired",
            Discard::RetriesExhausted => "retries_exhausted",
        }
    }
}

struct Job {
    caller: Caller,
    msg: Msg,
    arrived: SimTime,
    env: usize,
    /// When the handler started (after any init).
    started: SimTime,
    fails: bool,
    calls: CallCursor,
    gen: u32,
    /// The function timeout's timer, cancelled when the invocation ends first.
    timeout: Option<TimerHandle>,
    /// An Init that outran its 10 s runs again in the invocation, under the function timeout
    /// (aws-facts: §2 limits): its time, added to the handler's.
    reinit: SimTime,
    /// What each round of calls carries: per message (`BatchCalls::PerMessage`), one round
    /// per message done (its own key, operation, client and origin; none for a message that
    /// failed under a partial answer); per batch, one round for the messages done (the
    /// first one's key, operation, client and origin, their sizes summed), what a callee
    /// without batch actions gets (one with them gets `PerBatch::plan`'s calls). `None`: one
    /// round, for its request; empty for a batch every message of which failed under a
    /// partial answer (no call, per message or per batch).
    rounds: Option<Box<[Msg]>>,
    /// Per batch: its messages done and the calls they make; `None` otherwise.
    batch: Option<Box<PerBatch>>,
    /// The round of calls under way.
    round: usize,
}

/// A batch's calls when the handler makes them once for it (`BatchCalls::PerBatch`).
#[derive(Default)]
struct PerBatch {
    /// The messages done, in order.
    items: Box<[Item]>,
    /// The current edge's calls, each its entries: to a callee with batch actions
    /// (`Edge::batch`), each action's messages (the actions in the order of their first
    /// message), as many to a call as it takes, then each message of no batch form alone (a
    /// handler's order, a choice: an update of a key follows a put of it written later in
    /// the batch); empty for a callee without any, which takes the round's one call.
    plan: Vec<Box<[Item]>>,
    /// The call of `plan` under way.
    chunk: usize,
    /// The entries the current call carries: its part of the plan, or after an answer that
    /// failed some of them, those (AWS's unprocessed items, sent again).
    pending: Box<[Item]>,
}

impl PerBatch {
    /// The calls `items` make on `edge` (`plan`), each message with the operation the edge
    /// gives it.
    fn plan(items: &[Item], edge: &Edge) -> Vec<Box<[Item]>> {
        if edge.batch.is_none() {
            return Vec::new();
        }
        let mut actions: Vec<(u8, u16, Vec<Item>)> = Vec::new();
        let mut alone = Vec::new();
        for i in items {
            let item = Item {
                failed: false,
                op: edge.op_for(i.op),
                ..*i
            };
            match edge.batch_action(item.op) {
                Some(a) => match actions.iter_mut().find(|(n, _, _)| *n == a.action) {
                    Some((_, _, entries)) => entries.push(item),
                    None => actions.push((a.action, a.entries, vec![item])),
                },
                None => alone.push(Box::from([item])),
            }
        }
        let mut plan: Vec<Box<[Item]>> = Vec::new();
        for (_, most, entries) in &actions {
            plan.extend(entries.chunks(usize::from(*most).max(1)).map(Box::from));
        }
        plan.extend(alone);
        plan
    }
}

/// The message a call for `items` of `batch` carries: its first item's operation, key,
/// client and origin, their sizes summed, one message.
fn carrying(batch: &Msg, first: &Item, items: &[Item]) -> Msg {
    Msg {
        size_bytes: items.iter().map(|i| i.size).fold(0, u32::saturating_add),
        ..first.message(batch)
    }
}

impl Job {
    /// What the current round's calls carry: its message's, or its request as one message
    /// (a batch's count is the work this invocation does, not the calls it makes).
    fn downstream(&self) -> Msg {
        match &self.rounds {
            Some(rounds) => rounds[self.round],
            None => Msg {
                messages: 1,
                ..self.msg
            },
        }
    }

    /// What the call on `edge` carries: per batch, to a callee with batch actions, the
    /// entries of its plan's call `chunk` (the plan made afresh for chunk 0, the edge's
    /// first); anything else, the round's message.
    fn prepare(&mut self, edge: &Edge, chunk: usize) -> Msg {
        if let Some(b) = self.batch.as_mut() {
            if chunk == 0 {
                b.plan = PerBatch::plan(&b.items, edge);
            }
            b.chunk = chunk;
            b.pending = b.plan.get(chunk).cloned().unwrap_or_default();
        }
        self.carried()
    }

    /// The message of a call carrying entries (the first one's operation, key, client and
    /// origin, their sizes summed and counted), else the round's.
    fn carried(&self) -> Msg {
        match self.batch.as_ref().map(|b| &b.pending[..]) {
            Some(pending @ [first, ..]) => Msg {
                messages: pending.len() as u16,
                ..carrying(&self.msg, first, pending)
            },
            _ => self.downstream(),
        }
    }

    /// Per batch, the next call of the current edge's plan, if any is left.
    fn next_chunk(&self) -> Option<usize> {
        let b = self.batch.as_ref()?;
        (b.chunk + 1 < b.plan.len()).then_some(b.chunk + 1)
    }

    /// Attaches the current call's entries to `call`, just made for them, as a batch
    /// action's (one entry is a request like any other: nothing to attach).
    fn attach(&self, ctx: &mut Ctx<'_>, call: CallId) {
        if let Some(b) = self.batch.as_ref().filter(|b| b.pending.len() > 1) {
            ctx.attach_entries(call, b.pending.clone());
        }
    }

    /// Whether a round of calls is still to be made (the current one).
    fn in_round(&self) -> bool {
        self.rounds.as_ref().is_none_or(|r| self.round < r.len())
    }

    /// Moves to the next message's round of calls; false when none is left.
    fn next_round(&mut self) -> bool {
        match &self.rounds {
            Some(r) if self.round + 1 < r.len() => {
                self.round += 1;
                self.calls = CallCursor::default();
                true
            }
            _ => false,
        }
    }
}

/// An invocation, by its slot in `jobs` and its generation. A slot is reused once its
/// invocation has ended; the generation tells a timer or a reply meant for the one that
/// timed out from one for the invocation in the slot now. Carried as the reply tag of the
/// downstream calls the handler makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Invocation {
    job: usize,
    gen: u32,
}

/// Slots below 2^28 fit a token beside the generation. Each invocation is a call in flight,
/// and the in-flight limit keeps them far fewer.
const MAX_JOBS: usize = 1 << 28;
const _: () = assert!(crate::limits::MAX_IN_FLIGHT < MAX_JOBS as i64);

impl Invocation {
    /// Slot and generation as one number; for `encode` only.
    fn index(self) -> u64 {
        debug_assert!(self.job < MAX_JOBS);
        (self.job as u64) << 32 | u64::from(self.gen)
    }

    /// The invocation `index` made; for `decode` only.
    fn from_index(index: u64) -> Invocation {
        Invocation {
            job: (index >> 32) as usize,
            gen: index as u32,
        }
    }
}

impl Token for Invocation {
    fn encode(self) -> u64 {
        pack(0, self.index())
    }

    fn decode(token: u64) -> Option<Invocation> {
        match unpack(token) {
            (0, index) => Some(Invocation::from_index(index)),
            _ => None,
        }
    }
}

/// What a function's timers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// The new environment's init is over: the handler starts.
    InitDone(Invocation),
    /// The handler's own work is over: on to its calls, or its answer.
    WorkDone(Invocation),
    /// The function timeout.
    Timeout(Invocation),
    /// The SDK's backoff before the handler's current call again is over.
    Retry(Invocation),
    /// The idle environment of this version that expires first is due.
    Expire(usize),
    /// An event's backoff or retry delay is over: it is due again.
    EventDue(usize),
    /// The end of a time-series window: the age of the oldest waiting event is sampled.
    Sample,
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::InitDone(i) => pack(0, i.index()),
            Timer::WorkDone(i) => pack(1, i.index()),
            Timer::Timeout(i) => pack(2, i.index()),
            Timer::Retry(i) => pack(3, i.index()),
            Timer::Expire(version) => pack(4, version as u64),
            Timer::EventDue(e) => pack(5, e as u64),
            Timer::Sample => pack(6, 0),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        let (variant, index) = unpack(token);
        let i = Invocation::from_index(index);
        match variant {
            0 => Some(Timer::InitDone(i)),
            1 => Some(Timer::WorkDone(i)),
            2 => Some(Timer::Timeout(i)),
            3 => Some(Timer::Retry(i)),
            4 => Some(Timer::Expire(index as usize)),
            5 => Some(Timer::EventDue(index as usize)),
            6 if index == 0 => Some(Timer::Sample),
            _ => None,
        }
    }
}

/// A running Lambda function: its execution environments, versions and concurrency.
pub struct Lambda {
    cfg: LambdaConfig,
    /// Its client of the KMS component that decrypts its environment variables (`kms`).
    kms: Option<KmsClient>,
    versions: Vec<Version>,
    clock: Clock,
    rng: SimRng,
    /// The draws of cold starts (their init durations, and their KMS Decrypt's hops and
    /// retries) on a stream of their own: a variant with more or fewer cold starts
    /// (provisioned concurrency, more memory) then leaves every other draw, of work and
    /// errors, as its baseline's, so the seeds' figures pair.
    init_rng: SimRng,
    edges: Vec<Edge>,
    /// How many of `edges` the handler calls: the rest is the on-failure destination.
    handler: usize,
    pool: SharedPool,
    scaling: TokenBucket,
    envs: Slab<Env>,
    /// Idle provisioned environments per version; they never expire.
    idle_provisioned: Vec<Vec<usize>>,
    /// Idle on-demand environments per version, by the order they went idle: the most
    /// recently used at the back, the next to expire at the front.
    idle: Vec<IdleList>,
    /// With `reuse = "newest"` only, the same by the order they were created: the newest at
    /// the back.
    idle_by_birth: Vec<BTreeMap<u64, usize>>,
    /// The next number in the order of creation.
    next_seq: u64,
    /// Whether a version's expiry timer is set. One timer per version, for the front of its
    /// queue, rather than one per idle period: memory stays flat in the request rate.
    expiry_armed: Vec<bool>,
    jobs: Slab<Job>,
    next_gen: u32,
    busy: u32,
    /// The asynchronous queue's events, waiting, backing off or running.
    events_held: Slab<Event>,
    /// Events ready to run, in order.
    ready: VecDeque<usize>,
    /// Events waiting (ready or backing off), by when they were accepted: the oldest first.
    waiting: BTreeSet<(SimTime, usize)>,
    /// Whether the oldest event's age is being sampled at each window's end.
    sampling: bool,
    /// Whether any call was asynchronous: only then does the report show the queue.
    async_used: bool,
    // Recorders.
    invocations: Counter,
    cold_starts: Counter,
    throttles: Counter,
    throttled_by: BTreeMap<Throttle, u64>,
    statuses: Counts<Outcome>,
    /// Measured arrivals by the executions running when they arrived.
    seen: Vec<u64>,
    /// How long the environments that ended (recycled, or reset after a timeout) lived.
    lifetimes: Hist,
    recycled: u64,
    per_version: Vec<(u64, u64)>,
    concurrency: Level,
    environments: Level,
    duration: Latency,
    init: Hist,
    timeouts: u64,
    gb_seconds: f64,
    pc_gb_seconds: f64,
    /// Execution-seconds of the invocations that arrived in the measured period, from their
    /// arrival (Init included) to their end.
    accepted_held: f64,
    events: EventLog,
    /// The asynchronous queue's recorders.
    queue: AsyncRecorders,
}

/// What the asynchronous queue records.
struct AsyncRecorders {
    accepted: u64,
    refused: u64,
    succeeded: u64,
    /// Runs that ended in a function error and will run again.
    retried: u64,
    /// Attempts refused by a limit (or a service error) and put back to wait.
    throttled: u64,
    discarded: BTreeMap<Discard, u64>,
    to_destination: u64,
    destination_failures: u64,
    duplicates: u64,
    waiting: Level,
    oldest: Vec<f64>,
    oldest_max: f64,
    backlog_end: usize,
    lag: Durations,
}

impl Lambda {
    /// Builds it for one run; `pool` is the account's concurrency, shared by every function of
    /// its Region.
    pub fn new(cfg: LambdaConfig, env: BuildEnv, pool: SharedPool) -> Lambda {
        let clock = env.clock;
        let handler = cfg.handler_calls();
        let mut versions = vec![cfg.base.clone()];
        if let Some((_, v)) = &cfg.canary {
            versions.push(v.clone());
        }
        let n = versions.len();
        Lambda {
            scaling: TokenBucket::new(
                f64::from(cfg.scaling_per_10s) / 10.0,
                u64::from(cfg.scaling_per_10s),
            ),
            envs: Slab::new(),
            idle_provisioned: vec![Vec::new(); n],
            idle: vec![IdleList::EMPTY; n],
            idle_by_birth: vec![BTreeMap::new(); n],
            next_seq: 0,
            expiry_armed: vec![false; n],
            jobs: Slab::new(),
            next_gen: 0,
            busy: 0,
            invocations: Counter::new(&clock),
            cold_starts: Counter::new(&clock),
            throttles: Counter::new(&clock),
            throttled_by: BTreeMap::new(),
            statuses: Counts::default(),
            seen: Vec::new(),
            lifetimes: Hist::new(),
            recycled: 0,
            per_version: vec![(0, 0); n],
            concurrency: Level::new(&clock),
            environments: Level::new(&clock),
            duration: Latency::new(&clock),
            init: Hist::new(),
            timeouts: 0,
            gb_seconds: 0.0,
            accepted_held: 0.0,
            pc_gb_seconds: 0.0,
            events: EventLog::new(&env.name),
            events_held: Slab::new(),
            ready: VecDeque::new(),
            waiting: BTreeSet::new(),
            sampling: false,
            async_used: false,
            queue: AsyncRecorders {
                accepted: 0,
                refused: 0,
                succeeded: 0,
                retried: 0,
                throttled: 0,
                discarded: BTreeMap::new(),
                to_destination: 0,
                destination_failures: 0,
                duplicates: 0,
                waiting: Level::new(&clock),
                oldest: vec![0.0; clock.windows()],
                oldest_max: 0.0,
                backlog_end: 0,
                lag: Durations::default(),
            },
            versions,
            cfg,
            clock,
            init_rng: env.stream("init"),
            rng: env.rng,
            handler,
            edges: env.edges,
            kms: env.kms,
            pool,
        }
    }

    /// Whether the execution that makes `busy` concurrent ones into `busy + 1` draws on the
    /// account's unreserved pool: only beyond the function's own provisioned environments,
    /// and never for a function with reserved concurrency.
    fn uses_pool(&self, busy: u32) -> bool {
        self.cfg.reserved.is_none() && busy >= self.cfg.provisioned
    }

    /// Whether one more concurrent execution fits now, taking it from the pool if needed.
    fn acquire(&mut self) -> bool {
        if let Some(r) = self.cfg.reserved {
            return self.busy < r;
        }
        if !self.uses_pool(self.busy) {
            return true;
        }
        let mut p = self.pool.borrow_mut();
        if p.in_use < p.unreserved {
            p.in_use += 1;
            true
        } else {
            false
        }
    }

    /// Gives back what `acquire` took when `busy` executions were running.
    fn release(&mut self, busy: u32) {
        if self.uses_pool(busy) {
            self.pool.borrow_mut().in_use -= 1;
        }
    }

    fn set_busy(&mut self, now: SimTime, delta: i32) {
        self.busy = self.busy.saturating_add_signed(delta);
        self.concurrency.set(&self.clock, now, f64::from(self.busy));
    }

    /// The idle environment of `version` an invocation would be given, if any: provisioned
    /// ones first, then the on-demand one `reuse` picks. It stays idle until `take_idle`.
    fn warm(&self, version: usize) -> Option<usize> {
        if let Some(&e) = self.idle_provisioned[version].last() {
            return Some(e);
        }
        match self.cfg.reuse {
            Reuse::Mru => self.idle[version].last(),
            Reuse::Newest => self.idle_by_birth[version]
                .last_key_value()
                .map(|(_, &e)| e),
        }
    }

    /// Takes idle environment `e` (as `warm` gave it) out of the idle sets.
    fn take_idle(&mut self, e: usize) {
        let (version, born_seq) = (self.envs[e].version, self.envs[e].born_seq);
        if self.envs[e].provisioned {
            self.idle_provisioned[version].pop();
        } else {
            self.idle[version].unlink(&mut self.envs, e);
            if self.cfg.reuse == Reuse::Newest {
                self.idle_by_birth[version].remove(&born_seq);
            }
        }
    }

    /// Why an invocation cannot start now, if it cannot; otherwise it holds its concurrency.
    fn admit(&mut self, now: SimTime, cold: bool) -> Option<Throttle> {
        // aws-facts: §2 concurrency: the requests-per-second quota counts every function of
        // the account. A refused invocation takes nothing from any limit (a choice: AWS does
        // not say whether throttled requests count towards the rate).
        if !self.pool.borrow_mut().rate.has_token(now) {
            return Some(Throttle::Rate);
        }
        if !self.acquire() {
            return Some(Throttle::Concurrency);
        }
        if cold && !self.scaling.try_take(now) {
            self.release(self.busy);
            return Some(Throttle::Scaling);
        }
        self.pool.borrow_mut().rate.try_take(now);
        None
    }

    /// A call: an invocation, or for an asynchronous one an event queued and answered 202.
    fn call(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let most = if msg.asynchronous {
            super::LAMBDA_ASYNC_PAYLOAD_MAX
        } else {
            super::LAMBDA_SYNC_PAYLOAD_MAX
        };
        if u64::from(msg.size_bytes) > most {
            // `lambda:gettingstarted-limits.html`, API_Invoke: a request is at most 6 MB
            // synchronous and 1 MB asynchronous; Invoke answers RequestTooLargeException
            // (413): no invocation, no event queued.
            let now = ctx.now();
            self.statuses.add(
                Outcome::Status(status::PAYLOAD_TOO_LARGE),
                self.clock.measured(now),
            );
            ctx.reply(call, status::PAYLOAD_TOO_LARGE);
            return;
        }
        if !msg.asynchronous {
            if self.invoke(ctx, Caller::Sync(call), msg).is_err() {
                let now = ctx.now();
                self.statuses
                    .add(Outcome::Status(THROTTLED), self.clock.measured(now));
                // aws-facts: §2 throttling: TooManyRequestsException, HTTP 429.
                ctx.reply(call, THROTTLED);
            }
            return;
        }
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.async_used = true;
        if self.events_held.len() >= crate::limits::MAX_QUEUE_MESSAGES as usize {
            self.queue.refused += u64::from(measured);
            self.statuses.add(Outcome::Status(QUEUE_FULL), measured);
            ctx.reply(call, QUEUE_FULL);
            return;
        }
        self.queue.accepted += u64::from(measured);
        self.statuses.add(Outcome::Status(EVENT_ACCEPTED), measured);
        ctx.reply(call, EVENT_ACCEPTED);
        let wait = ctx.enqueue_span(msg.span, "event queue");
        let e = self.events_held.insert(Event {
            msg: Msg {
                asynchronous: false,
                ..msg
            },
            accepted: now,
            errors: 0,
            refusals: 0,
            duplicate: false,
            started: false,
            wait,
            tries: 0,
        });
        self.wait(ctx, e);
        self.ready.push_back(e);
        self.dispatch(ctx);
    }

    /// Event `e` waits (ready or backing off).
    fn wait(&mut self, ctx: &mut Ctx<'_>, e: usize) {
        let now = ctx.now();
        self.waiting.insert((self.events_held[e].accepted, e));
        self.queue
            .waiting
            .set(&self.clock, now, self.waiting.len() as f64);
        if !self.sampling && now < self.clock.end {
            // Sampled at the ends of windows, from the end of this one.
            self.sampling = true;
            let next = self.clock.window_close(now);
            ctx.schedule(next - now, Timer::Sample.encode());
        }
    }

    /// Event `e` no longer waits (it runs, or is discarded).
    fn unwait(&mut self, now: SimTime, e: usize) {
        self.waiting.remove(&(self.events_held[e].accepted, e));
        self.queue
            .waiting
            .set(&self.clock, now, self.waiting.len() as f64);
    }

    /// Runs the ready events while the limits allow; the first one refused backs off, and
    /// the rest wait for an execution to end.
    fn dispatch(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        while let Some(&e) = self.ready.front() {
            self.ready.pop_front();
            let ev = &self.events_held[e];
            if now - ev.accepted >= self.cfg.asynchronous.maximum_event_age {
                self.discard(ctx, e, Discard::Expired);
                continue;
            }
            // A traced event's wait ends as it is taken to run; the run is a span of its
            // own under the wait (its attempt: how many times the event was taken), and the
            // function's work and calls nest under that.
            let wait = ev.wait;
            ctx.take_span(wait);
            let ev = &mut self.events_held[e];
            ev.tries = ev.tries.saturating_add(1);
            let tries = ev.tries;
            let msg = Msg {
                span: ctx.open_own_span(wait, "invocation", tries),
                ..ev.msg
            };
            match self.invoke(ctx, Caller::Event(e), msg) {
                Ok(()) => {
                    self.unwait(now, e);
                    let first = !self.events_held[e].started;
                    self.events_held[e].started = true;
                    if self.cfg.asynchronous.duplicates > 0.0
                        && !self.events_held[e].duplicate
                        && first
                        && self.rng.random::<f64>() < self.cfg.asynchronous.duplicates
                    {
                        // aws-facts: §14: at-least-once delivery: the same event again.
                        let accepted = self.events_held[e].accepted;
                        self.queue.duplicates += u64::from(self.clock.measured(accepted));
                        // The second delivery is not traced (a choice: X-Ray documents
                        // no trace for it).
                        let d = self.events_held.insert(Event {
                            msg: Msg { span: 0, ..msg },
                            accepted,
                            errors: 0,
                            refusals: 0,
                            duplicate: true,
                            started: false,
                            wait: 0,
                            tries: 0,
                        });
                        self.wait(ctx, d);
                        self.ready.push_back(d);
                    }
                }
                Err(_) => {
                    // aws-facts: §2 throttling: the attempt is refused with 429; the event
                    // waits again.
                    ctx.end_span(msg.span, Outcome::Status(THROTTLED));
                    let ev = &mut self.events_held[e];
                    ev.wait = ctx.requeue_span(ev.wait);
                    let measured = self.clock.measured(self.events_held[e].accepted);
                    self.queue.throttled += u64::from(measured);
                    self.back_off(ctx, e);
                    break;
                }
            }
        }
    }

    /// Event `e` was refused by a limit or failed in Lambda itself: it waits 1 s, 2 s, 4 s …
    /// up to 5 minutes before it is due again.
    fn back_off(&mut self, ctx: &mut Ctx<'_>, e: usize) {
        let ev = &mut self.events_held[e];
        let doublings = ev.refusals.min(16);
        ev.refusals += 1;
        let wait = SimTime(THROTTLE_BACKOFF_FIRST.0 << doublings).min(THROTTLE_BACKOFF_MAX);
        self.due_after(ctx, e, wait);
    }

    /// Event `e` is due again after `wait`, or when it reaches its maximum age if sooner
    /// (to be discarded then).
    fn due_after(&mut self, ctx: &mut Ctx<'_>, e: usize, wait: SimTime) {
        let now = ctx.now();
        let expires = self.events_held[e].accepted + self.cfg.asynchronous.maximum_event_age;
        let at = (now + wait).min(expires).max(now);
        ctx.schedule(at - now, Timer::EventDue(e).encode());
    }

    /// Event `e`'s wait is over: it is ready, or discarded if too old.
    fn event_due(&mut self, ctx: &mut Ctx<'_>, e: usize) {
        let now = ctx.now();
        if now - self.events_held[e].accepted >= self.cfg.asynchronous.maximum_event_age {
            self.discard(ctx, e, Discard::Expired);
        } else {
            self.ready.push_back(e);
        }
        self.dispatch(ctx);
    }

    /// Event `e` (waiting) is given up: counted, and sent to the on-failure destination.
    fn discard(&mut self, ctx: &mut Ctx<'_>, e: usize, why: Discard) {
        let now = ctx.now();
        self.unwait(now, e);
        let ev = self.events_held.remove(e);
        if self.clock.measured(ev.accepted) {
            *self.queue.discarded.entry(why).or_insert(0) += 1;
        }
        let mut end = match why {
            Discard::Expired => SpanEnd::Expired,
            Discard::RetriesExhausted => SpanEnd::Discarded,
        };
        if self.cfg.asynchronous.on_failure {
            self.queue.to_destination += u64::from(self.clock.measured(ev.accepted));
            if let Some(dest) = self.edges.last() {
                // The destination's call nests under the event's wait.
                let msg = Msg {
                    span: ev.wait,
                    ..ev.msg
                };
                dest.call(ctx, &mut self.rng, msg, DESTINATION);
                if why == Discard::RetriesExhausted {
                    end = SpanEnd::DeadLettered;
                }
            }
        }
        ctx.release_span(ev.wait, end);
    }

    /// Event `e`'s run ended with `outcome`.
    fn event_done(&mut self, ctx: &mut Ctx<'_>, e: usize, outcome: Outcome) {
        let now = ctx.now();
        let measured = self.clock.measured(self.events_held[e].accepted);
        if outcome.is_success() {
            let ev = self.events_held.remove(e);
            ctx.release_span(ev.wait, SpanEnd::Received);
            self.queue.succeeded += u64::from(measured);
            // The processing lag: from the client's request to this event's run.
            self.queue
                .lag
                .record(now - ev.msg.origin, self.clock.measured(ev.msg.origin));
            return;
        }
        // It waits again (for its retry, or to be given up at once): a new wait span.
        let ev = &mut self.events_held[e];
        ev.wait = ctx.requeue_span(ev.wait);
        self.wait(ctx, e);
        if outcome == Outcome::Status(KMS_INIT_FAILED) {
            // A failure of Lambda's own, not the function's: retried as a throttle.
            self.queue.throttled += u64::from(measured);
            self.back_off(ctx, e);
            return;
        }
        let ev = &mut self.events_held[e];
        ev.errors += 1;
        if ev.errors > self.cfg.asynchronous.maximum_retry_attempts {
            self.discard(ctx, e, Discard::RetriesExhausted);
        } else {
            self.queue.retried += u64::from(measured);
            let delay = ERROR_RETRY_DELAYS[(ev.errors - 1) as usize];
            self.due_after(ctx, e, delay);
        }
    }

    /// The age of the oldest waiting event at the end of a window.
    fn sample(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let age = self
            .waiting
            .first()
            .map_or(0.0, |&(accepted, _)| (now - accepted).as_secs_f64());
        let w = self.clock.window_of(now).saturating_sub(1);
        if let Some(v) = self.queue.oldest.get_mut(w) {
            *v = age;
        }
        if self.clock.measured(now) || now == self.clock.end {
            self.queue.oldest_max = self.queue.oldest_max.max(age);
        }
        if now >= self.clock.end {
            self.queue.backlog_end = self.waiting.len();
            self.sampling = false;
        } else if self.waiting.is_empty() {
            self.sampling = false;
        } else {
            let next = self.clock.window_close(now);
            ctx.schedule(next - now, Timer::Sample.encode());
        }
    }

    /// Starts an invocation for `caller`, or says which limit refused it.
    fn invoke(&mut self, ctx: &mut Ctx<'_>, caller: Caller, msg: Msg) -> Result<(), Throttle> {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        if measured {
            // The concurrency this arrival finds, before its own execution.
            let n = self.busy as usize;
            if self.seen.len() <= n {
                self.seen.resize(n + 1, 0);
            }
            self.seen[n] += 1;
        }
        let version = match &self.cfg.canary {
            Some((w, _)) if self.rng.random::<f64>() < *w => 1,
            _ => 0,
        };
        let warm = self.warm(version);
        let cold = warm.is_none();
        if let Some(reason) = self.admit(now, cold) {
            self.throttles.add(&self.clock, now, measured);
            if measured {
                *self.throttled_by.entry(reason).or_insert(0) += 1;
            }
            return Err(reason);
        }
        // Counted once admitted: a throttled request is not an invocation, and is not billed
        // (aws-facts: §2 pricing; CloudWatch's `Invocations` leaves throttles out).
        self.invocations.add(&self.clock, now, measured);
        self.set_busy(now, 1);
        let env = match warm {
            Some(e) => {
                self.take_idle(e);
                e
            }
            None => {
                self.cold_starts.add(&self.clock, now, measured);
                self.new_env(now, version, false)
            }
        };
        self.envs[env].busy = true;
        if measured {
            self.per_version[version].0 += 1;
        }
        self.next_gen = self.next_gen.wrapping_add(1);
        let gen = self.next_gen;
        let job = self.jobs.insert(Job {
            caller,
            msg,
            arrived: now,
            env,
            started: now,
            fails: false,
            calls: CallCursor::default(),
            gen,
            timeout: None,
            reinit: SimTime::ZERO,
            rounds: None,
            batch: None,
            round: 0,
        });
        if cold {
            let drawn = self.versions[version].init.sample_time(&mut self.init_rng);
            // aws-facts: §2 limits: the Init phase is cut at 10 s, and Init is run again at
            // the first invoke, under the function timeout.
            let init = drawn.min(config::MAX_INIT);
            if drawn > config::MAX_INIT {
                self.jobs[job].reinit = drawn;
            }
            if measured {
                self.init.record(init);
            }
            ctx.own_span(msg.span, "cold start (init)", now, now + init);
            ctx.schedule(init, Timer::InitDone(Invocation { job, gen }).encode());
        } else {
            self.start_handler(ctx, job);
        }
        Ok(())
    }

    /// A cold start's Init is done: with a `kms`, it first decrypts the function's
    /// environment variables (one Decrypt per cold start), then the handler runs.
    fn init_done(&mut self, ctx: &mut Ctx<'_>, i: Invocation) {
        match self.kms.as_mut() {
            Some(k) => {
                let j = &self.jobs[i.job];
                k.call(ctx, &mut self.init_rng, j.msg, i.index(), j.arrived);
            }
            None => self.start_handler(ctx, i.job),
        }
    }

    /// KMS answered a cold start's Decrypt (after the SDK's retries): the handler runs, or the
    /// invocation fails as Lambda's Invoke API does when it cannot decrypt the environment
    /// variables.
    fn kms_reply(&mut self, ctx: &mut Ctx<'_>, r: &Reply) {
        let Some(done) = self
            .kms
            .as_mut()
            .and_then(|k| k.reply(ctx, &mut self.init_rng, r))
        else {
            return;
        };
        let i = Invocation::from_index(done.tag);
        if !self.running(i) {
            return;
        }
        if done.outcome.is_success() {
            self.start_handler(ctx, i.job);
        } else {
            self.complete(ctx, i.job, Outcome::Status(KMS_INIT_FAILED));
        }
    }

    fn start_handler(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        // aws-facts: §16 SQS: a FIFO queue's batches are at most 10 messages.
        const FIFO_BATCH: usize = crate::components::sqs::MAX_BATCH_FIFO as usize;
        let now = ctx.now();
        let version = self.envs[self.jobs[job].env].version;
        let v = &self.versions[version];
        // A queue's batch carries several messages: the handler does each one's work in
        // turn, and the batch fails if any of them fails (each with `error_rate`). One
        // message (a request) draws exactly as it always has.
        let n = self.jobs[job].msg.messages.max(1);
        let items = match self.jobs[job].caller {
            Caller::Sync(call) => ctx.items_mut(call),
            Caller::Event(_) => None,
        };
        // A FIFO batch (at most 10 messages) keeps each message's draw, so that the work of
        // a group's messages after its first failure, never done, can be left out below.
        let ordered = items.as_ref().is_some_and(|(items, _)| {
            items.len() <= FIFO_BATCH && items.iter().any(|i| i.group != 0)
        });
        let mut draws = [0.0; FIFO_BATCH];
        let mut work_s = 0.0;
        for k in 0..usize::from(n) {
            let d = v.work.sample(&mut self.rng);
            work_s += d;
            if let (true, Some(slot)) = (ordered, draws.get_mut(k)) {
                *slot = d;
            }
        }
        let per_message = self.cfg.batch_calls == BatchCalls::PerMessage;
        let batch = self.jobs[job].msg;
        let mut rounds: Option<Box<[Msg]>> = None;
        let fails = match items {
            // A batch whose messages the caller listed: each fails by its own draw or its
            // own operation. With a partial answer taken (ReportBatchItemFailures, aws-facts:
            // §16), the function reports the failed ones and succeeds; otherwise one failed
            // message fails the batch. A FIFO group stops at its first failure: the group's
            // later messages are not processed (their calls are not made) and are reported
            // with it, so that the group keeps its order (AWS's advice for a FIFO consumer,
            // per group as Powertools' `skip_group_on_error` does; the queue returns the
            // same messages, `Sqs::failed_items`).
            Some((items, partial)) => {
                let mut any = false;
                let mut broken: Vec<u32> = Vec::new();
                let mut done_s = 0.0;
                for (k, item) in items.iter_mut().enumerate() {
                    let drawn = v.error_rate > 0.0 && self.rng.random::<f64>() < v.error_rate;
                    let stopped = item.group != 0 && broken.contains(&item.group);
                    item.failed = stopped || drawn || self.cfg.error_ops.contains(&item.op);
                    if item.failed && item.group != 0 && !stopped {
                        broken.push(item.group);
                    }
                    any |= item.failed;
                    if !stopped {
                        done_s += draws.get(k).copied().unwrap_or(0.0);
                    }
                }
                // The same sum, in the same order, unless a group stopped.
                if ordered && !broken.is_empty() {
                    work_s = done_s;
                }
                // The messages done: a failed one's calls, under a partial answer, are not
                // made (without one, the batch fails and makes none). Per message, a round
                // for each, carrying it; per batch one round, carrying them all (a batch
                // action's calls, their entries).
                let done: Box<[Item]> = items.iter().filter(|i| !i.failed).copied().collect();
                let round = |r: &[Item]| carrying(&batch, &r[0], r);
                let per = if per_message { 1 } else { done.len().max(1) };
                rounds = Some(done.chunks(per).map(round).collect());
                if !per_message {
                    self.jobs[job].batch = Some(Box::new(PerBatch {
                        items: done,
                        ..PerBatch::default()
                    }));
                }
                any && !partial
            }
            None => {
                let mut fails = false;
                if v.error_rate > 0.0 {
                    for _ in 0..n {
                        fails |= self.rng.random::<f64>() < v.error_rate;
                    }
                }
                fails || self.cfg.error_ops.contains(&self.jobs[job].msg.op)
            }
        };
        let work = SimTime::from_secs_f64(work_s * self.cfg.cpu_factor()) + self.jobs[job].reinit;
        self.jobs[job].reinit = SimTime::ZERO;
        let j = &mut self.jobs[job];
        j.started = now;
        j.fails = fails;
        j.rounds = rounds;
        j.round = 0;
        ctx.own_span(j.msg.span, "handler", now, now + work.min(self.cfg.timeout));
        let me = Invocation { job, gen: j.gen };
        j.timeout = ctx.schedule_fixed(self.cfg.timeout, Timer::Timeout(me).encode());
        // The first downstream call leaves when the work is done: no event for the work's end,
        // when nothing changes but that the call leaves (unless the function times out or
        // fails first, and never sends it).
        if !fails
            && work < self.cfg.timeout
            && j.in_round()
            && Self::call_next(&self.edges[..self.handler], &mut self.rng, ctx, j, me, work)
        {
            return;
        }
        ctx.schedule(work, Timer::WorkDone(me).encode());
    }

    /// Makes invocation `me`'s next call of its round, leaving after `delay`; false when
    /// none is left.
    fn call_next(
        edges: &[Edge],
        rng: &mut SimRng,
        ctx: &mut Ctx<'_>,
        j: &mut Job,
        me: Invocation,
        delay: SimTime,
    ) -> bool {
        let Some(at) = j.calls.advance(edges, rng) else {
            return false;
        };
        let msg = j.prepare(&edges[at], 0);
        let call = j
            .calls
            .call_current(edges, ctx, rng, msg, me.encode(), delay);
        j.attach(ctx, call);
        true
    }

    /// The next downstream call, or the answer when none is left.
    fn proceed(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let j = &mut self.jobs[job];
        if j.fails {
            self.complete(ctx, job, FUNCTION_ERROR);
            return;
        }
        let me = Invocation { job, gen: j.gen };
        let edges = &self.edges[..self.handler];
        // A batch's next call on the edge of the call just answered.
        if let (Some(at), Some(chunk)) = (j.calls.at(), j.next_chunk()) {
            let msg = j.prepare(&edges[at], chunk);
            let call =
                j.calls
                    .call_current(edges, ctx, &mut self.rng, msg, me.encode(), SimTime::ZERO);
            j.attach(ctx, call);
            return;
        }
        loop {
            if j.in_round() && Self::call_next(edges, &mut self.rng, ctx, j, me, SimTime::ZERO) {
                return;
            }
            // This message's calls are made: the next one's, if any.
            if edges.is_empty() || !j.next_round() {
                break;
            }
        }
        self.complete(ctx, job, Outcome::Status(status::OK));
    }

    /// Invocation `job` ended with `outcome`: answered (or its event dealt with), its
    /// environment freed, and the asynchronous queue given the room.
    fn complete(&mut self, ctx: &mut Ctx<'_>, job: usize, outcome: Outcome) {
        self.end_job(ctx, job, outcome);
        if !self.ready.is_empty() {
            self.dispatch(ctx);
        }
    }

    fn end_job(&mut self, ctx: &mut Ctx<'_>, job: usize, outcome: Outcome) {
        let now = ctx.now();
        let j = self.jobs.remove(job);
        if let Some(h) = j.timeout {
            ctx.cancel_timer(h);
        }
        let measured = self.clock.measured(j.arrived);
        match (j.caller, outcome) {
            (Caller::Sync(call), Outcome::Status(s)) => ctx.reply(call, s),
            (Caller::Sync(call), _) => ctx.reply_error(call),
            (Caller::Event(e), outcome) => {
                ctx.end_span(j.msg.span, outcome);
                self.event_done(ctx, e, outcome);
            }
        }
        if let Caller::Sync(_) = j.caller {
            self.statuses.add(outcome, measured);
        }
        let env = &mut self.envs[j.env];
        let version = env.version;
        if measured {
            // aws-facts: §2 pricing: billed per 1 ms, Init included since 2025-08-01 (billed =
            // Init Duration + Duration): from arrival, which for a cold start is when Init
            // began. A provisioned environment ran its Init ahead, billed while enabled.
            self.accepted_held += (now - j.arrived).as_secs_f64();
            let billed_ms = (now - j.arrived).0.div_ceil(1_000_000);
            let gb_s = billed_ms as f64 / 1e3 * f64::from(self.cfg.memory_mb) / 1024.0;
            if env.provisioned {
                self.pc_gb_seconds += gb_s;
            } else {
                self.gb_seconds += gb_s;
            }
            if outcome != Outcome::Status(status::OK) {
                self.per_version[version].1 += 1;
            }
        }
        // Every window's series gets the duration, warmup included, as other components'.
        self.duration
            .record(&self.clock, now, now - j.started, measured);
        self.release(self.busy - 1);
        self.set_busy(now, -1);
        let timed_out = outcome == FUNCTION_ERROR && now - j.started >= self.cfg.timeout;
        if timed_out || outcome == Outcome::Status(KMS_INIT_FAILED) {
            // After a timeout Lambda resets the environment: the next request starts cold. An
            // environment whose Init could not decrypt its variables never served: it goes too.
            let provisioned = self.envs[j.env].provisioned;
            self.end_env(now, j.env);
            if provisioned {
                self.provision(ctx, version);
            }
            return;
        }
        let env = &mut self.envs[j.env];
        env.busy = false;
        env.idle_since = now;
        if env.provisioned {
            self.idle_provisioned[version].push(j.env);
        } else {
            let born_seq = env.born_seq;
            self.idle[version].push_back(&mut self.envs, j.env);
            if self.cfg.reuse == Reuse::Newest {
                self.idle_by_birth[version].insert(born_seq, j.env);
            }
            // Recycling after the end of arrivals changes nothing measured: no timer then,
            // so the run ends when the work in flight has drained.
            if !self.expiry_armed[version] && now + self.cfg.idle_lifetime < self.clock.end {
                self.expiry_armed[version] = true;
                ctx.schedule(self.cfg.idle_lifetime, Timer::Expire(version).encode());
            }
        }
    }

    /// Environment `e` ends (recycled or reset): its lifetime is recorded.
    fn end_env(&mut self, now: SimTime, e: usize) {
        let env = self.envs.remove(e);
        self.environments.add(&self.clock, now, -1.0);
        if self.clock.measured(now) {
            self.lifetimes.record(now - env.born);
        }
    }

    /// Recycles the version's environments idle for their whole lifetime, and sets the timer
    /// for the next one due.
    fn expire(&mut self, ctx: &mut Ctx<'_>, version: usize) {
        let now = ctx.now();
        self.expiry_armed[version] = false;
        while let Some(front) = self.idle[version].first() {
            let due = self.envs[front].idle_since + self.cfg.idle_lifetime;
            if due > now {
                if due < self.clock.end {
                    self.expiry_armed[version] = true;
                    ctx.schedule(due - now, Timer::Expire(version).encode());
                }
                break;
            }
            self.take_idle(front);
            self.end_env(now, front);
            if self.clock.measured(now) {
                self.recycled += 1;
            }
        }
    }

    /// A provisioned environment, initialised ahead of demand.
    fn provision(&mut self, ctx: &mut Ctx<'_>, version: usize) {
        let e = self.new_env(ctx.now(), version, true);
        self.idle_provisioned[version].push(e);
    }

    /// A new environment of `version`, not yet busy nor in an idle list: a new process,
    /// whose SDK clients' retry quotas are full, whatever an environment before it spent.
    fn new_env(&mut self, now: SimTime, version: usize, provisioned: bool) -> usize {
        self.environments.add(&self.clock, now, 1.0);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.envs.insert(Env {
            version,
            provisioned,
            busy: false,
            tokens: RetryTokens::full(&self.edges[..self.handler]),
            idle_since: now,
            prev: NIL,
            next: NIL,
            born: now,
            born_seq: seq,
        })
    }

    /// Whether the invocation is still running (not ended by its timeout).
    fn running(&self, i: Invocation) -> bool {
        self.jobs.get(i.job).is_some_and(|j| j.gen == i.gen)
    }
}

impl Component for Lambda {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        // Provisioned environments are ready before the first request, split between the
        // versions by the alias weights.
        let canary_share = self.cfg.canary.as_ref().map_or(0.0, |(w, _)| *w);
        let to_canary = (f64::from(self.cfg.provisioned) * canary_share).round() as u32;
        for i in 0..self.cfg.provisioned {
            let version = usize::from(i < to_canary);
            self.provision(ctx, version);
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Call(call, msg) => self.call(ctx, call, msg),
            Input::Timer(t) if caller::owns(t) => {
                if let Some(k) = self.kms.as_mut() {
                    k.timer(ctx, &mut self.init_rng, t);
                }
            }
            Input::Reply(r) if caller::owns(r.tag) => self.kms_reply(ctx, &r),
            Input::Timer(t) => match Timer::decode(t) {
                Some(Timer::InitDone(i)) if self.running(i) => self.init_done(ctx, i),
                Some(Timer::WorkDone(i)) if self.running(i) => self.proceed(ctx, i.job),
                Some(Timer::Timeout(i)) if self.running(i) => {
                    // Fired: nothing left to cancel.
                    self.jobs[i.job].timeout = None;
                    if self.clock.measured(self.jobs[i.job].arrived) {
                        self.timeouts += 1;
                    }
                    self.events.push(now, "function_timeout", String::new());
                    self.complete(ctx, i.job, FUNCTION_ERROR);
                }
                Some(Timer::Retry(i)) if self.running(i) => {
                    let j = &mut self.jobs[i.job];
                    let msg = j.carried();
                    let call = j.calls.call_again(
                        &self.edges[..self.handler],
                        ctx,
                        &mut self.rng,
                        msg,
                        i.encode(),
                    );
                    j.attach(ctx, call);
                }
                Some(Timer::Expire(version)) => self.expire(ctx, version),
                Some(Timer::EventDue(e)) => self.event_due(ctx, e),
                Some(Timer::Sample) => self.sample(ctx),
                // A timer of an invocation that has already ended (timed out): ignore.
                _ => {}
            },
            Input::Reply(r) if r.tag == DESTINATION => {
                if !r.outcome.is_success() && self.clock.measured(now) {
                    self.queue.destination_failures += 1;
                }
            }
            Input::Reply(r) => {
                let Some(i) = Invocation::decode(r.tag).filter(|&i| self.running(i)) else {
                    // The invocation timed out while this call was out: the reply is moot.
                    return;
                };
                let j = &mut self.jobs[i.job];
                // A batch action answered with entries failed (AWS's unprocessed items): the
                // handler sends those again, with the backoff of the callee's throttle (AWS's
                // BatchWriteItem: "retry the batch operation on those items", with
                // exponential backoff), or fails when its attempts are spent.
                let mut outcome = r.outcome;
                let replied = ctx.replied_items().filter(|_| outcome.is_success());
                if let (Some(items), Some(b)) = (replied, j.batch.as_mut()) {
                    if items.iter().any(|i| i.failed) {
                        b.pending = items
                            .iter()
                            .filter(|i| i.failed)
                            .map(|i| Item {
                                failed: false,
                                ..*i
                            })
                            .collect();
                        outcome = Outcome::Status(UNPROCESSED);
                    }
                }
                match j.calls.after_reply(
                    &self.edges[..self.handler],
                    &mut self.envs[j.env].tokens,
                    outcome,
                    &mut self.rng,
                ) {
                    AfterReply::Retry(wait) => ctx.schedule(wait, Timer::Retry(i).encode()),
                    AfterReply::Next => self.proceed(ctx, i.job),
                    // An SDK error the handler does not catch fails the invocation.
                    AfterReply::Fail(_) => self.complete(ctx, i.job, FUNCTION_ERROR),
                }
            }
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.concurrency.finish(c);
        self.environments.finish(c);
        self.duration.finish();
        let mut m = MetricSet::default();
        if let Some(k) = &self.kms {
            k.report(&mut m);
        }
        let inv = self.invocations.total();
        m.count("invocations", inv);
        m.count("cold_starts", self.cold_starts.total());
        m.count("throttles", self.throttles.total());
        m.count("timeouts", self.timeouts);
        for (o, n) in self.statuses.iter() {
            match o {
                FUNCTION_ERROR => m.count(format!("by_status.{FUNCTION_ERROR_LABEL}"), n),
                o => m.count(format!("by_status.{o}"), n),
            }
        }
        for reason in Throttle::ALL {
            let n = self.throttled_by.get(&reason).copied().unwrap_or(0);
            m.count(format!("throttled_by.{}", reason.name()), n);
        }
        m.count("environments_recycled", self.recycled);
        if self.cfg.canary.is_some() {
            for (i, name) in ["base", "canary"].iter().enumerate() {
                m.count(
                    format!("versions.{name}.invocations"),
                    self.per_version[i].0,
                );
                m.count(format!("versions.{name}.errors"), self.per_version[i].1);
            }
        }
        m.gauge(
            "cold_start_fraction",
            self.cold_starts.total() as f64 / inv.max(1) as f64,
        );
        m.gauge(
            "throttle_fraction",
            self.throttles.total() as f64 / (inv + self.throttles.total()).max(1) as f64,
        );
        m.gauge("concurrency_mean", self.concurrency.mean(c));
        // The executions the measured period's invocations needed, however long they ran:
        // admitted invocations × their mean time from arrival to end / measured time.
        m.gauge(
            "accepted_concurrency",
            self.accepted_held / c.measured_secs(),
        );
        m.gauge("concurrency_max", self.concurrency.max());
        m.gauge("concurrency_p50", quantile(&self.seen, 0.5));
        m.gauge("concurrency_p99", quantile(&self.seen, 0.99));
        m.gauge("environments_mean", self.environments.mean(c));
        m.gauge("memory_mb", f64::from(self.cfg.memory_mb));
        let gb = f64::from(self.cfg.memory_mb) / 1024.0;
        let pc_enabled = f64::from(self.cfg.provisioned) * gb * c.measured_secs();
        let (duration, pc, pc_duration) = duration_prices(self.cfg.architecture);
        let cost = inv as f64 * PRICE_PER_REQUEST
            + self.gb_seconds * duration
            + self.pc_gb_seconds * pc_duration
            + pc_enabled * pc;
        m.gauge("gb_seconds", self.gb_seconds + self.pc_gb_seconds);
        m.gauge("cost_usd", cost);
        m.hist("duration_ms", &self.duration.summary());
        m.hist("init_ms", &self.init);
        m.hist("environment_lifetime_ms", &self.lifetimes);
        let mut series = vec![
            (&INVOCATIONS, self.invocations.rate_series(c)),
            (&CONCURRENCY, self.concurrency.mean_series(c)),
            (&ENVIRONMENTS, self.environments.mean_series(c)),
            (&COLD_STARTS, self.cold_starts.rate_series(c)),
            (&THROTTLES, self.throttles.rate_series(c)),
        ];
        series.extend(self.duration.series(&DURATION));
        if self.async_used {
            let q = &mut self.queue;
            q.waiting.finish(c);
            m.count("async.accepted", q.accepted);
            m.count("async.refused_full", q.refused);
            m.count("async.succeeded", q.succeeded);
            m.count("async.retried", q.retried);
            m.count("async.throttled", q.throttled);
            for (why, n) in &q.discarded {
                m.count(format!("async.discarded.{}", why.name()), *n);
            }
            m.count("async.discarded_total", q.discarded.values().sum());
            m.count("async.to_destination", q.to_destination);
            m.count("async.destination_failures", q.destination_failures);
            m.count("async.duplicates", q.duplicates);
            m.gauge("async.queue_mean", q.waiting.mean(c));
            m.gauge("async.queue_max", q.waiting.max());
            m.gauge("async.oldest_age_max_s", q.oldest_max);
            m.gauge("async.backlog_end", q.backlog_end as f64);
            m.hist("async.lag_ms", &q.lag.summary());
            series.push((&ASYNC_QUEUE, q.waiting.mean_series(c)));
            series.push((&ASYNC_OLDEST, q.oldest.clone()));
        }
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}

/// The `q` quantile of a distribution given as counts by value (value `n` counted `counts[n]`
/// times): the least value with at least a share `q` of the counts at or below it; 0 for none.
fn quantile(counts: &[u64], q: f64) -> f64 {
    let total: u64 = counts.iter().sum();
    let rank = ((q * total as f64).ceil() as u64).max(1);
    let mut below = 0;
    for (n, c) in counts.iter().enumerate() {
        below += c;
        if below >= rank {
            return n as f64;
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn invocation() -> impl Strategy<Value = Invocation> {
        (0..MAX_JOBS, any::<u32>()).prop_map(|(job, gen)| Invocation { job, gen })
    }

    fn timer() -> impl Strategy<Value = Timer> {
        prop_oneof![
            invocation().prop_map(Timer::InitDone),
            invocation().prop_map(Timer::WorkDone),
            invocation().prop_map(Timer::Timeout),
            invocation().prop_map(Timer::Retry),
            (0usize..2).prop_map(Timer::Expire),
        ]
    }

    #[test]
    fn quantiles_of_counts_by_value() {
        // Values 0, 1, 1, 2, 2, 2, 2, 3, 3, 3: the median is the 5th of 10 (2), p99 the 10th.
        let counts = [1, 2, 4, 3];
        assert_eq!(quantile(&counts, 0.5), 2.0);
        assert_eq!(quantile(&counts, 0.99), 3.0);
        assert_eq!(quantile(&counts, 0.1), 0.0);
        assert_eq!(quantile(&counts, 0.11), 1.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    /// An idle environment with no neighbours, for the list test.
    fn lone_env() -> Env {
        Env {
            version: 0,
            provisioned: false,
            busy: false,
            tokens: RetryTokens::default(),
            idle_since: SimTime::ZERO,
            prev: NIL,
            next: NIL,
            born: SimTime::ZERO,
            born_seq: 0,
        }
    }

    /// A function calling one AWS API (callee actor 1) with the SDK's default retries, as
    /// `World::build` makes it.
    fn function_with_an_sdk_call() -> Lambda {
        use crate::components::{Network, OpChoice};
        use crate::config::CallSpec;
        use crate::dist::Dist;
        use crate::retry::{RetrySpec, SdkService};
        let clock = Clock {
            window: SimTime::from_secs(1),
            warmup: SimTime::ZERO,
            end: SimTime::from_secs(10),
        };
        let version = Version {
            init: Dist::Constant(0.1),
            work: Dist::Constant(0.1),
            error_rate: 0.0,
        };
        let cfg = LambdaConfig {
            memory_mb: 1769,
            architecture: config::Architecture::X86_64,
            timeout: config::DEFAULT_TIMEOUT,
            base: version,
            canary: None,
            reserved: None,
            provisioned: 0,
            idle_lifetime: SimTime::from_secs(600),
            scaling_per_10s: 1000,
            reuse: Reuse::Mru,
            batch_calls: BatchCalls::PerMessage,
            batch_calls_span: None,
            calls: vec![CallSpec::to(1)],
            error_ops: Vec::new(),
            asynchronous: AsyncConfig::default(),
            set_aside_span: None,
        };
        let retry = RetrySpec::default_for(Some(&SdkService::GENERIC));
        let edge = Edge::new(1, OpChoice::Inherit, 1.0, None, Dist::Constant(0.0), retry);
        let env = BuildEnv {
            name: "fn".into(),
            clock,
            rng: crate::kernel::stream(1, "fn"),
            seed: 1,
            edges: vec![edge],
            edge_zones: vec![None],
            region: "home".into(),
            az: None,
            edge_regions: vec!["home".into()],
            edge_names: vec!["api".into()],
            network: Network::default(),
            kms: None,
            browsers: false,
        };
        let pool = AccountPool::new(1000, 0, SimTime::from_secs(1));
        Lambda::new(cfg, env, Rc::new(RefCell::new(pool)))
    }

    #[test]
    fn the_diagram_says_the_work_at_the_functions_memory() {
        // 0.1 s of work at a vCPU (1,769 MB or more); at 1,024 MB, a share of one.
        let mut cfg = function_with_an_sdk_call().cfg.clone();
        assert_eq!(cfg.lines()[2], "work 100ms");
        cfg.memory_mb = 1024;
        assert_eq!(cfg.lines()[2], "work 173ms (100ms at a full vCPU)");
    }

    /// Fails call 0 of environment `e` with a 500 until its SDK client stops retrying, as its
    /// handler's calls would; returns the retries it allowed.
    fn spend_retries(f: &mut Lambda, e: usize) -> u32 {
        let mut retries = 0;
        let mut scratch = 0;
        loop {
            let mut charged = crate::retry::Charge::default();
            let bucket = f.envs[e].tokens.bucket(0, &mut scratch);
            let retried = f.edges[0].retry.after(
                1,
                Outcome::Status(status::INTERNAL_ERROR),
                bucket,
                &mut charged,
                &mut f.rng,
            );
            if retried.is_none() {
                return retries;
            }
            retries += 1;
        }
    }

    #[test]
    fn a_new_environment_starts_with_full_retry_quotas_of_its_own() {
        // aws-facts: §7 retry quota: 500 tokens per client, 14 a transient retry under the
        // standard mode's defaults, so a client whose calls all fail retries 500 / 14 = 35
        // times (10 tokens left) and then no more.
        let mut f = function_with_an_sdk_call();
        let now = SimTime::ZERO;
        let a = f.new_env(now, 0, false);
        let b = f.new_env(now, 0, false);
        assert_eq!(f.envs[a].tokens.of(0), 500);
        assert_eq!(spend_retries(&mut f, a), 35);
        assert_eq!(f.envs[a].tokens.of(0), 10);
        // Another environment is another process: its quota is untouched by a's.
        assert_eq!(f.envs[b].tokens.of(0), 500);
        assert_eq!(spend_retries(&mut f, b), 35);
        // a is recycled; the environment created next takes its slot, not its tokens.
        f.end_env(now, a);
        let c = f.new_env(now, 0, false);
        assert_eq!(c, a, "the slab reuses the slot");
        assert_eq!(f.envs[c].tokens.of(0), 500);
        assert_eq!(spend_retries(&mut f, c), 35);
        // A provisioned environment is a new process too.
        let p = f.new_env(now, 0, true);
        assert_eq!(f.envs[p].tokens.of(0), 500);
    }

    proptest! {
        #[test]
        fn the_idle_list_keeps_the_order_of_a_queue(ops in proptest::collection::vec((0u8..4, 0usize..8), 0..200)) {
            // Against a plain queue: push an environment not yet idle at the back, take the
            // back, take the front, or take one from anywhere.
            let mut envs = Slab::new();
            let ids: Vec<usize> = (0..8).map(|_| envs.insert(lone_env())).collect();
            let mut list = IdleList::EMPTY;
            let mut model: std::collections::VecDeque<usize> = Default::default();
            for (op, i) in ops {
                let e = ids[i];
                match op {
                    0 if !model.contains(&e) => {
                        list.push_back(&mut envs, e);
                        model.push_back(e);
                    }
                    1 => if let Some(b) = list.last() {
                        prop_assert_eq!(model.pop_back(), Some(b));
                        list.unlink(&mut envs, b);
                    },
                    2 => if let Some(f) = list.first() {
                        prop_assert_eq!(model.pop_front(), Some(f));
                        list.unlink(&mut envs, f);
                    },
                    3 if model.contains(&e) => {
                        model.retain(|&x| x != e);
                        list.unlink(&mut envs, e);
                    }
                    _ => {}
                }
                prop_assert_eq!(list.first(), model.front().copied());
                prop_assert_eq!(list.last(), model.back().copied());
            }
            let mut walked = Vec::new();
            let mut at = list.front;
            while at != NIL {
                walked.push(at);
                at = envs[at].next;
            }
            prop_assert_eq!(walked, Vec::from(model));
        }

        #[test]
        fn timers_survive_the_kernel(t in timer()) {
            prop_assert_eq!(crate::components::token_round_trip(t), Ok(()));
        }

        #[test]
        fn reply_tags_survive_the_kernel(i in invocation()) {
            prop_assert_eq!(crate::components::token_round_trip(i), Ok(()));
        }
    }
}
