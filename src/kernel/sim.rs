//! The run loop, calls between actors, and the context an actor acts through.
//!
//! An actor is anything that receives events: a workload (it originates calls) or a component
//! (it answers calls and may make its own). Actors interact only through this kernel: timers,
//! calls that arrive after a hop delay, replies that travel back, and caller-side timeouts.
//! A timeout does not cancel the callee's work: its late reply is dropped and counted.

use super::gates::{Gate, Gates};
use super::queue::LaneHandle;
use super::trace::{SpanEnd, Trace, Tracer};
use super::{EventQueue, SimRng, SimTime};

/// A timer set with `Ctx::schedule_fixed`, to cancel it.
pub type TimerHandle = LaneHandle;
use slotmap::{new_key_type, Key, KeyData, SlotMap};
use std::num::NonZeroU64;

/// Index of an actor in the model (components first, then workloads; the model decides).
pub type ActorId = u32;

new_key_type! {
    /// A call in flight. Generational: a stale id (a timeout for a call long answered)
    /// resolves to nothing instead of to a newer call that reused the slot.
    pub struct CallId;
}

/// What a call carries: small, copied, no heap data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    /// Operation, interned by the scenario (`read`, `write`, user-named ops).
    pub op: u16,
    /// Item key, drawn from the workload's key popularity.
    pub key: u64,
    /// Payload size in bytes.
    pub size_bytes: u32,
    /// The caller's identity, such as an API key (0: none).
    pub client: u32,
    /// The instance of a group a load balancer routed this call to (0: the callee chooses).
    pub instance: u32,
    /// How many queue messages the call carries: 1 for a request, the batch's size for a
    /// queue's batch handed to its consumer (which does each message's work), the entries'
    /// count for a batch action (`Ctx::attach_entries`: a callee looks for entries only when
    /// there are more than one, one being a request like any other).
    pub messages: u16,
    /// When the client's request this work descends from was first sent: set by the
    /// workload, carried through every hop (components build downstream calls from the call
    /// they handle), kept by queues with their messages, so that asynchronous work can
    /// measure its processing lag from it.
    pub origin: SimTime,
    /// The caller waits only for the callee to accept the work, not for the work itself
    /// (Lambda's `Event` invocation type): set on each call by its `Edge`'s mode.
    pub asynchronous: bool,
    /// The span this call runs under, for a sampled request (0: not traced). The kernel sets
    /// it on each call it delivers to the span it opened for that call; an actor copies it
    /// into the calls it makes for the call it handles, so that they nest under it.
    pub span: u32,
}

impl Msg {
    /// A call with no key, payload or client of its own, sent at `origin`: a health check, a
    /// probe.
    pub fn probe(op: u16, origin: SimTime) -> Msg {
        Msg {
            op,
            key: 0,
            size_bytes: 0,
            client: 0,
            instance: 0,
            messages: 1,
            origin,
            asynchronous: false,
            span: 0,
        }
    }
}

/// How a call ended, as its caller sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// The callee answered with this status code (200, 429, 503, …).
    Status(u16),
    /// The caller's own timeout fired first.
    Timeout,
    /// The callee answered, and its answer says that the work it was asked for failed: an
    /// error of the callee's own carried in a reply that arrived, rather than a status that
    /// refuses the call. Never a success, and no retry policy retries it: the caller has to
    /// read the answer to know.
    Error,
}

impl Outcome {
    /// Whether the callee answered with a 2xx status; a timeout is never a success.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Status(s) if (200..300).contains(&s))
    }
}

/// `200`, `503`, …, `timeout` or `error`: the names of outcomes in summaries and series.
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Status(s) => write!(f, "{s}"),
            Outcome::Timeout => f.write_str("timeout"),
            Outcome::Error => f.write_str("error"),
        }
    }
}

/// One item of a batch a call carries (a queue's message, a stream's record): its operation,
/// and whether the callee found it failed. The callee marks them while the call is open; the
/// caller reads the marks with the reply (`Ctx::replied_items`). A call carries items only
/// when its caller attaches them (`Ctx::attach_items`), so other calls pay nothing for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    /// The item's operation (a batch's `Msg::op` is only its first item's).
    pub op: u16,
    /// The callee reported this item failed.
    pub failed: bool,
    /// The item's own key (a batch's `Msg` carries its first item's): what a consumer's
    /// calls for this item carry, with its client and origin.
    pub key: u64,
    /// The item's payload size in bytes (a batch's `Msg::size_bytes` is all its items').
    pub size: u32,
    /// The item's client (`Msg::client`).
    pub client: u32,
    /// When the client's request the item descends from was sent (`Msg::origin`).
    pub origin: SimTime,
    /// The ordering group it belongs to, plus one (a FIFO queue's message group; 0: none):
    /// a consumer stops a group at its first failed item, whose later items it neither
    /// processes nor lets be deleted.
    pub group: u32,
}

impl Item {
    /// The message this item stands for, as one of its own: `call`'s (the call that carried
    /// it) with the item's operation, key, size, client and origin.
    pub fn message(&self, call: &Msg) -> Msg {
        Msg {
            op: self.op,
            key: self.key,
            size_bytes: self.size,
            client: self.client,
            origin: self.origin,
            messages: 1,
            ..*call
        }
    }
}

/// A reply delivered to a caller.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    /// The call this reply ends, as `Ctx::call` returned it.
    pub call: CallId,
    /// The value the caller attached when it made the call (its job or request index).
    pub tag: u64,
    /// The status the callee answered with, or the caller's timeout.
    pub outcome: Outcome,
}

/// The timing of one call: one-way delays out and back, and the caller's patience.
#[derive(Clone, Copy, Debug)]
pub struct CallTiming {
    /// From now until the request reaches the callee: `leaves_after`, then the hop.
    pub request_delay: SimTime,
    /// From the callee's answer until the reply reaches the caller: the hop back.
    pub reply_delay: SimTime,
    /// `None`: the caller waits for as long as it takes, once the request has left.
    pub timeout: Option<SimTime>,
    /// The caller's own time before the request leaves (its work): its timeout starts then.
    pub leaves_after: SimTime,
    /// The call is the caller's retry of one that failed (an SDK's or a client's), not a
    /// first attempt: counted as such on its edge (`Model::call_ended`).
    pub retry: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CallState {
    /// Sent; neither the reply has reached the caller nor has its timeout fired.
    Open,
    /// The callee has answered and the reply is travelling back.
    Answered,
    /// The caller gave up; the callee is still working and its reply will be dropped (or,
    /// when the call is lost as it arrives, the record goes then: nobody waits for it).
    Abandoned,
    /// Lost to a fault: the callee will never answer; the caller's timeout, if it has one,
    /// ends the call.
    Lost,
}

struct CallRecord {
    caller: ActorId,
    callee: ActorId,
    /// When the request left the caller (after its own work).
    sent: SimTime,
    tag: u64,
    msg: Msg,
    reply_delay: SimTime,
    /// The caller's timeout, if it has one, and where it waits.
    timeout: Timeout,
    state: CallState,
    /// The batch's items, when the caller attached them (rare: boxed, so that every other
    /// call's record stays small).
    items: Option<Box<Batch>>,
    /// A retry (`CallTiming::retry`).
    retry: bool,
}

/// A call's timeout, as its record knows it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Timeout {
    /// The caller waits for as long as it takes.
    None,
    /// Pending in its lane, cancelled when the reply reaches the caller.
    InLane(LaneHandle),
    /// One of this length, that starts when the request leaves (`sent`) and fires at
    /// `sent + length`, not yet queued: it is queued when the request arrives, in order with
    /// the others of its lane.
    Deferred(SimTime),
    /// Queued where it cannot be cancelled (the heap), or already fired: a stale one finds
    /// the call gone and does nothing.
    Queued,
}

/// A batch's items, and whether the caller takes an answer that fails some of them only.
struct Batch {
    items: Box<[Item]>,
    partial: bool,
    /// The items are the entries of a batch action (`Ctx::attach_entries`), not a queue's
    /// or stream's batch handed to its consumer.
    action: bool,
}

/// What the kernel delivers to an actor.
#[derive(Clone, Copy, Debug)]
pub enum Input {
    /// A timer the actor set for itself, with the tag it chose.
    Timer(u64),
    /// A call has arrived; answer it with `Ctx::reply` exactly once.
    Call(CallId, Msg),
    /// A call this actor made has ended.
    Reply(Reply),
    /// A fault particular to this kind of actor (its meaning is the actor's: `code`) starts
    /// (`on`) or ends.
    Fault {
        /// Which fault, in the actor's own numbering.
        code: u32,
        /// True when the fault starts, false when it ends.
        on: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Timer { actor: ActorId, tag: u64 },
    Deliver { call: CallId },
    Reply { call: CallId, outcome: Outcome },
    Timeout { call: CallId },
    Fault { actor: ActorId, code: u32, on: bool },
}

/// An `Event` as the queue holds it: two aligned words. Left to rustc's layout an event's
/// fields began one byte after its tag, and every pop copied them out in pieces that later
/// reads spanned: a failed store-to-load forwarding per event (8 % of the run loop's samples
/// in the bundled run, in a build of 16 codegen units). Encoded, an event moves as two words
/// and is taken apart in registers. In the release build (one unit) this and the heap's two
/// bucket words gave the serverless hour 0.92× its time, and M/M/10 and the bundled
/// scenarios nothing beyond noise (README, Performance).
#[derive(Clone, Copy)]
struct Packed {
    /// The timer's tag, the call's id, or a fault's code and whether it starts.
    word: u64,
    /// The variant in the low byte (1..=5, never 0: `Option<Packed>` needs no tag word), and
    /// above it the actor, or a reply's outcome: a status in its low 16 bits, a timeout
    /// `1 << 16`, an error `2 << 16`. A new `Event` variant needs both conversions and a
    /// case in their round-trip test.
    kind: NonZeroU64,
}

impl Packed {
    const TIMER: u64 = 1;
    const DELIVER: u64 = 2;
    const REPLY: u64 = 3;
    const TIMEOUT: u64 = 4;
    const FAULT: u64 = 5;

    #[inline]
    fn new(word: u64, kind: u64, high: u64) -> Packed {
        Packed {
            word,
            kind: NonZeroU64::new(kind | high << 8).expect("an event's kind is never 0"),
        }
    }
}

impl From<Event> for Packed {
    #[inline]
    fn from(event: Event) -> Packed {
        let call = |c: CallId| c.data().as_ffi();
        match event {
            Event::Timer { actor, tag } => Packed::new(tag, Packed::TIMER, actor.into()),
            Event::Deliver { call: c } => Packed::new(call(c), Packed::DELIVER, 0),
            Event::Reply { call: c, outcome } => {
                let outcome = match outcome {
                    Outcome::Status(s) => u64::from(s),
                    Outcome::Timeout => 1 << 16,
                    Outcome::Error => 2 << 16,
                };
                Packed::new(call(c), Packed::REPLY, outcome)
            }
            Event::Timeout { call: c } => Packed::new(call(c), Packed::TIMEOUT, 0),
            Event::Fault { actor, code, on } => Packed::new(
                u64::from(code) | u64::from(on) << 32,
                Packed::FAULT,
                actor.into(),
            ),
        }
    }
}

impl From<Packed> for Event {
    #[inline]
    fn from(p: Packed) -> Event {
        let call = || CallId::from(KeyData::from_ffi(p.word));
        let high = p.kind.get() >> 8;
        match p.kind.get() & 0xff {
            Packed::TIMER => Event::Timer {
                actor: high as ActorId,
                tag: p.word,
            },
            Packed::DELIVER => Event::Deliver { call: call() },
            Packed::REPLY => Event::Reply {
                call: call(),
                outcome: match high >> 16 {
                    0 => Outcome::Status(high as u16),
                    1 => Outcome::Timeout,
                    2 => Outcome::Error,
                    _ => unreachable!("an outcome `From<Event>` never makes"),
                },
            },
            Packed::TIMEOUT => Event::Timeout { call: call() },
            Packed::FAULT => Event::Fault {
                actor: high as ActorId,
                code: p.word as u32,
                on: p.word >> 32 != 0,
            },
            _ => unreachable!("an event kind `From<Event>` never makes"),
        }
    }
}

/// Figures the kernel keeps about a run.
#[derive(Clone, Debug, Default)]
pub struct KernelStats {
    /// Events popped from the queue and processed.
    pub events: u64,
    /// Calls made.
    pub calls: u64,
    /// Replies that arrived after their caller had timed out, by callee: wasted work. Only
    /// those of calls sent from `late_from` on.
    pub late_replies: Vec<u64>,
    /// The first instant whose calls' late replies are counted: the end of the warmup, as
    /// every other figure of a summary leaves the warmup out (`Kernel::count_late_from`).
    pub late_from: SimTime,
    /// The most calls open at once.
    pub peak_in_flight: usize,
    /// Calls or answers that vanished because an actor was down.
    pub lost_calls: u64,
}

impl KernelStats {
    /// A reply from `callee` came after its caller had timed out: wasted work, counted for a
    /// call `sent` from `late_from` on.
    fn late_reply(&mut self, callee: ActorId, sent: SimTime) {
        if sent >= self.late_from {
            self.late_replies[callee as usize] += 1;
        }
    }
}

/// Limits that keep a run's memory bounded; hitting one stops the run with a reason.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The most calls open at once; one more stops the run [calls]. Default 2,000,000.
    pub max_in_flight: usize,
    /// The most events processed; reaching it stops the run [events]. Default 50,000,000,000.
    pub max_events: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_in_flight: 2_000_000,
            max_events: 50_000_000_000,
        }
    }
}

/// Why a run ended before its queue drained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// More calls were open at once than `Limits::max_in_flight`.
    TooManyInFlight {
        /// When the limit was exceeded.
        at: SimTime,
        /// The limit in force [calls].
        limit: usize,
    },
    /// More events than `Limits::max_events`.
    TooManyEvents {
        /// When the limit was reached.
        at: SimTime,
        /// The limit in force [events].
        limit: u64,
    },
    /// The model asked to stop at a checkpoint.
    Cancelled {
        /// The time reached at the checkpoint that stopped the run.
        at: SimTime,
    },
}

/// The state an actor acts through while it handles one input.
pub struct Ctx<'a> {
    now: SimTime,
    me: ActorId,
    queue: &'a mut EventQueue<Packed>,
    calls: &'a mut SlotMap<CallId, CallRecord>,
    stats: &'a mut KernelStats,
    faults: &'a mut Faults,
    /// The items of the call whose reply is being handled, as the callee left them.
    replied: Option<Box<[Item]>>,
    tracer: &'a mut Tracer,
}

impl Ctx<'_> {
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The actor handling the input.
    #[inline]
    pub fn me(&self) -> ActorId {
        self.me
    }

    /// Wakes this actor after `delay` with `Input::Timer(tag)`.
    #[inline]
    pub fn schedule(&mut self, delay: SimTime, tag: u64) {
        self.queue.push(
            self.now + delay,
            Event::Timer {
                actor: self.me,
                tag,
            }
            .into(),
        );
    }

    /// Whether `actor` can be reached now: false while a fault makes it unreachable. A caller
    /// that opens a connection before it sends a request (a CDN to its origin) learns this
    /// from its connection attempts timing out, without a call being made.
    #[inline]
    pub fn reachable(&self, actor: ActorId) -> bool {
        !self.faults.is_down(actor)
    }

    /// Tells `actor`, now, that a fault particular to it starts or ends (`Input::Fault`).
    pub fn signal_fault(&mut self, actor: ActorId, code: u32, on: bool) {
        self.queue
            .push(self.now, Event::Fault { actor, code, on }.into());
    }

    /// Like `schedule`, for a delay the actor uses over and over (a timeout, a constant
    /// overhead): such timers wait in a FIFO lane instead of the heap. The handle (when the
    /// timer got a lane) cancels it with `cancel_timer`; a timer that has fired must not be
    /// cancelled.
    #[inline]
    pub fn schedule_fixed(&mut self, delay: SimTime, tag: u64) -> Option<TimerHandle> {
        self.queue.push_after(
            self.now,
            delay,
            Event::Timer {
                actor: self.me,
                tag,
            }
            .into(),
        )
    }

    /// Cancels a timer set with `schedule_fixed` that has not fired.
    #[inline]
    pub fn cancel_timer(&mut self, h: TimerHandle) {
        self.queue.cancel(h);
    }

    /// Sends `msg` to `callee`; its reply (or the timeout) comes back as `Input::Reply` with `tag`.
    pub fn call(&mut self, callee: ActorId, mut msg: Msg, timing: CallTiming, tag: u64) -> CallId {
        // The request leaves after the caller's own work: its span and its timeout start then.
        let sent = self.now + timing.leaves_after;
        if msg.span != 0 {
            msg.span = self.tracer.open(msg.span, self.me, callee, msg.op, sent);
        }
        let reply_delay = timing.reply_delay + self.faults.slow_link(self.me, callee);
        let request_delay = timing.request_delay + self.faults.slow_link(self.me, callee);
        let arrives = self.now + request_delay;
        let gate = self
            .faults
            .gates
            .pass(self.me, callee, msg.op, timing.timeout.is_some());
        let link_error = match gate {
            Gate::Refuse(status) => Some(status),
            _ => self.faults.link_error(self.me, callee),
        };
        // Everything about the call is known before its record is made, so that the record
        // is written once, where it lives; only its timeout's place needs its id.
        let state = match (gate, link_error) {
            (Gate::Drop, _) => CallState::Lost,
            (_, Some(_)) => CallState::Answered,
            _ => CallState::Open,
        };
        let queue = &mut *self.queue;
        let call = self.calls.insert_with_key(|call| {
            let timeout = match timing.timeout {
                None => Timeout::None,
                // Nothing will ever answer a dropped call: its timeout ends it.
                Some(t) if gate == Gate::Drop => {
                    queue.push(sent + t, Event::Timeout { call }.into());
                    Timeout::Queued
                }
                Some(t) if timing.leaves_after == SimTime::ZERO => {
                    match queue.push_after(sent, t, Event::Timeout { call }.into()) {
                        Some(h) => Timeout::InLane(h),
                        None => Timeout::Queued,
                    }
                }
                // Queued on arrival, so that it joins its lane nearly in order (the lane is
                // per timeout length; a deadline after a varying work time would not).
                Some(t) if link_error.is_none() && arrives < sent + t => Timeout::Deferred(t),
                Some(t) => {
                    queue.push(sent + t, Event::Timeout { call }.into());
                    Timeout::Queued
                }
            };
            CallRecord {
                caller: self.me,
                callee,
                sent,
                tag,
                msg,
                reply_delay,
                timeout,
                state,
                items: None,
                retry: timing.retry,
            }
        });
        self.stats.calls += 1;
        self.stats.peak_in_flight = self.stats.peak_in_flight.max(self.calls.len());
        if gate == Gate::Drop {
            // Without a timeout the caller waits until the run ends: the record goes now.
            if timing.timeout.is_none() {
                self.calls.remove(call);
            }
            if msg.span != 0 {
                self.tracer.lost(msg.span);
            }
            return call;
        }
        match link_error {
            // The network (or a proxy on the way) answers for the callee, which never sees it.
            Some(status) => self.queue.push(
                arrives + reply_delay,
                Event::Reply {
                    call,
                    outcome: Outcome::Status(status),
                }
                .into(),
            ),
            None => self.queue.push(arrives, Event::Deliver { call }.into()),
        }
        call
    }

    /// Attaches a batch's items to `call`, a call this actor has just made: the callee may
    /// mark them failed (`items_mut`), and the reply hands them back (`replied_items`).
    /// `partial`: the caller takes a success that marks some items failed (and deals with
    /// those alone); otherwise an item's failure is the whole call's.
    pub fn attach_items(&mut self, call: CallId, items: Box<[Item]>, partial: bool) {
        self.attach(call, items, partial, false);
    }

    /// Attaches the entries of a batch action (DynamoDB's BatchWriteItem, SQS's
    /// SendMessageBatch, SNS's PublishBatch) to `call`, a call this actor has just made: a
    /// callee with such an action decides each (`entries_mut`) and answers success when
    /// some were done, marking the others failed (AWS's UnprocessedItems, `Failed`), which
    /// the reply hands back (`replied_items`); every other callee takes the call as one
    /// request and ignores them.
    pub fn attach_entries(&mut self, call: CallId, items: Box<[Item]>) {
        self.attach(call, items, true, true);
    }

    fn attach(&mut self, call: CallId, items: Box<[Item]>, partial: bool, action: bool) {
        if let Some(rec) = self.calls.get_mut(call) {
            debug_assert_eq!(
                rec.caller, self.me,
                "items attached by an actor that did not call"
            );
            rec.items = Some(Box::new(Batch {
                items,
                partial,
                action,
            }));
        }
    }

    /// The entries of `call`, a batch action this actor received with `msg` and has not
    /// answered yet (`attach_entries`); `None` for any other call, and for one entry (a
    /// request like any other, looked for no further: `Msg::messages` counts the entries).
    pub fn entries_mut(&mut self, call: CallId, msg: &Msg) -> Option<&mut [Item]> {
        if msg.messages <= 1 {
            return None;
        }
        self.batch_mut(call, true).map(|batch| &mut batch.items[..])
    }

    /// The items of `call`, a call this actor received and has not answered yet, and whether
    /// its caller takes a partial answer (`attach_items`); `None` when it attached none.
    pub fn items_mut(&mut self, call: CallId) -> Option<(&mut [Item], bool)> {
        self.batch_mut(call, false)
            .map(|batch| (&mut batch.items[..], batch.partial))
    }

    /// What `call`, received by this actor, carries: a batch action's entries (`action`) or
    /// a queue's or stream's batch.
    fn batch_mut(&mut self, call: CallId, action: bool) -> Option<&mut Batch> {
        let rec = self.calls.get_mut(call)?;
        debug_assert_eq!(
            rec.callee, self.me,
            "items read by an actor that was not called"
        );
        rec.items
            .as_deref_mut()
            .filter(|batch| batch.action == action)
    }

    /// While this actor handles `Input::Reply`: the items it attached to that call, marked
    /// by the callee. `None` for a call without items, and for a timeout (the caller never
    /// learns what the callee did).
    pub fn replied_items(&self) -> Option<&[Item]> {
        self.replied.as_deref()
    }

    /// Answers a call this actor received. Each call must be answered exactly once.
    pub fn reply(&mut self, call: CallId, status: u16) {
        self.answer(call, Outcome::Status(status), SimTime::ZERO);
    }

    /// Leaves `call`, a call this actor received and has not answered, unanswered for good,
    /// as a call to an unreachable actor is: its caller's timeout ends it (without one, the
    /// caller waits until the run ends; one whose caller gave up already is gone at once).
    /// For an actor part of which is unreachable (a database whose writer's zone is out)
    /// while the rest still answers.
    pub fn lose_call(&mut self, call: CallId) {
        debug_assert!(
            self.calls.get(call).is_some_and(|r| r.callee == self.me
                && matches!(r.state, CallState::Open | CallState::Abandoned)),
            "only a call to this actor that it has not answered can be lost"
        );
        if self.calls.contains_key(call) {
            lose(self.calls, self.stats, self.tracer, call);
        }
    }

    /// Answers a call with `Outcome::Error`: the callee ran it and the work failed.
    pub fn reply_error(&mut self, call: CallId) {
        self.answer(call, Outcome::Error, SimTime::ZERO);
    }

    /// Answers a call after `delay` of the callee's own time, needing nothing from it in
    /// between (a service with no queue whose latency is all it adds): one event saved per
    /// call compared with a timer followed by `reply`.
    pub fn reply_after(&mut self, call: CallId, status: u16, delay: SimTime) {
        self.answer(call, Outcome::Status(status), delay);
    }

    fn answer(&mut self, call: CallId, outcome: Outcome, delay: SimTime) {
        debug_assert!(outcome != Outcome::Timeout, "only a caller times out");
        let Some(rec) = self.calls.get_mut(call) else {
            debug_assert!(false, "reply to an unknown call");
            return;
        };
        debug_assert_eq!(rec.callee, self.me, "reply by an actor that was not called");
        if rec.msg.span != 0 {
            self.tracer.answered(rec.msg.span, self.now + delay);
        }
        if matches!(rec.state, CallState::Open | CallState::Abandoned)
            && self.faults.is_down(self.me)
        {
            // An unreachable actor's answers never arrive: not late replies, even when the
            // caller gave up already.
            lose(self.calls, self.stats, self.tracer, call);
            return;
        }
        match rec.state {
            CallState::Open => {
                rec.state = CallState::Answered;
                let at = self.now + delay + rec.reply_delay + self.faults.slow(self.me);
                self.queue.push(at, Event::Reply { call, outcome }.into());
            }
            CallState::Abandoned => {
                // The caller gave up long ago: the work was wasted. Count it, free the record.
                let (callee, sent) = (rec.callee, rec.sent);
                self.calls.remove(call);
                self.stats.late_reply(callee, sent);
            }
            CallState::Answered | CallState::Lost => debug_assert!(false, "a call answered twice"),
        }
    }

    /// The kernel's faults, for the fault timeline to switch on and off.
    pub fn faults(&mut self) -> &mut Faults {
        self.faults
    }

    /// Opens the root span of a sampled request this actor originates; put the id in the
    /// request's `Msg::span` and end it with `end_span`. 0 (nothing traced) once a run has
    /// used every span id.
    pub fn open_root(&mut self, op: u16) -> u32 {
        self.tracer.open_root(self.me, op, self.now)
    }

    /// Ends a span this actor opened (a root with `open_root`, its own with
    /// `open_own_span`), now, with `outcome`; nothing when `span` is 0 (not traced).
    pub fn end_span(&mut self, span: u32, outcome: Outcome) {
        if span != 0 {
            self.tracer.end(span, span_end(outcome), self.now);
        }
    }

    /// Records a span of this actor's own time from `start` to `end` (a cold start, a wait in
    /// its queue) under `parent`, the `Msg::span` of the call it spent it on; nothing when
    /// `parent` is 0. `label` says what the time went to.
    #[inline]
    pub fn own_span(&mut self, parent: u32, label: &'static str, start: SimTime, end: SimTime) {
        if parent != 0 {
            self.tracer.own(parent, self.me, label, start, end);
        }
    }
}

impl Ctx<'_> {
    /// A message this actor queues enters its queue (a queue's message, an event, a
    /// delivery, a stream record): opens its wait span, labelled `label`, under `parent`,
    /// the `Msg::span` of the call that put it there, and holds its trace open until
    /// `release_span`. Returns the wait's span, for the message to keep: 0 (not traced)
    /// when `parent` is 0 or its trace is over or full, or when the tracer holds as many
    /// queued traces as it may.
    #[inline]
    pub fn enqueue_span(&mut self, parent: u32, label: &'static str) -> u32 {
        if parent == 0 {
            return 0;
        }
        self.tracer.enqueue(parent, self.me, label, self.now)
    }

    /// The message whose wait span is `wait` waits again (visible again after a visibility
    /// timeout, a retry): a new wait beside the first, its attempt one more. Returns the
    /// span the message keeps from now on.
    #[inline]
    pub fn requeue_span(&mut self, wait: u32) -> u32 {
        if wait == 0 {
            return 0;
        }
        self.tracer.requeue(wait, self.now)
    }

    /// The message whose wait span is `wait` is taken by its consumer now: the wait ends
    /// (`SpanEnd::Received`); the consumer's work nests under it (put `wait` in the call's
    /// `Msg::span`). The message still holds its trace until `release_span`.
    #[inline]
    pub fn take_span(&mut self, wait: u32) {
        if wait != 0 {
            self.tracer.end(wait, SpanEnd::Received, self.now);
        }
    }

    /// The message whose wait span is `wait` leaves the queue for good (deleted, delivered,
    /// expired, dead-lettered, discarded): its wait ends with `outcome` if still open, and
    /// its hold on the trace is released. Exactly once for each message `enqueue_span`
    /// traced, after any call the message itself makes (which would nest under `wait`).
    #[inline]
    pub fn release_span(&mut self, wait: u32, outcome: SpanEnd) {
        if wait != 0 {
            self.tracer.release(wait, outcome, self.now);
        }
    }

    /// Links the span of `call`, a call this actor has just made, to the spans `others`
    /// (the other traced messages of a batch whose call nests under one message's wait).
    pub fn link_call(&mut self, call: CallId, others: &[u32]) {
        let Some(rec) = self.calls.get(call) else {
            return;
        };
        let id = rec.msg.span;
        if id == 0 {
            return;
        }
        for &o in others {
            self.tracer.link(id, o);
        }
    }

    /// Opens a span of this actor's own time under `parent` that ends with `end_span`
    /// (an invocation of an event taken from its queue, attempt `attempt`): its id, to put
    /// in the `Msg::span` of the work it covers; 0 when `parent` is 0 or not traced.
    pub fn open_own_span(&mut self, parent: u32, label: &'static str, attempt: u16) -> u32 {
        if parent == 0 {
            return 0;
        }
        self.tracer
            .open_own(parent, self.me, label, self.now, attempt)
    }
}

fn span_end(outcome: Outcome) -> SpanEnd {
    match outcome {
        Outcome::Status(s) => SpanEnd::Status(s),
        Outcome::Timeout => SpanEnd::Timeout,
        Outcome::Error => SpanEnd::Error,
    }
}

/// Generic failures the kernel applies to actors and to the links between them: an actor
/// that is unreachable, slow to answer or failing a share of its calls; a link that adds
/// delay or fails calls. The fault timeline (outside the kernel) switches them on and off.
pub struct Faults {
    down: Vec<bool>,
    slow: Vec<SimTime>,
    failing: Vec<Option<(f64, u16)>>,
    links: Vec<LinkFault>,
    /// What each link does with a call, set before the run (access checks).
    gates: Gates,
    rng: SimRng,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct LinkFault {
    from: ActorId,
    to: ActorId,
    extra: SimTime,
    error: Option<(f64, u16)>,
}

impl Faults {
    fn new(actors: usize, rng: SimRng) -> Faults {
        Faults {
            down: vec![false; actors],
            slow: vec![SimTime::ZERO; actors],
            failing: vec![None; actors],
            links: Vec::new(),
            gates: Gates::new(actors),
            rng,
        }
    }

    /// The gates of the run's links, set before it starts; what they did, after.
    pub fn gates(&mut self) -> &mut Gates {
        &mut self.gates
    }

    /// An unreachable actor: calls to it and its answers vanish.
    pub fn set_down(&mut self, actor: ActorId, down: bool) {
        self.down[actor as usize] = down;
    }

    /// Extra time before the actor's answers leave.
    pub fn set_slow(&mut self, actor: ActorId, extra: SimTime) {
        self.slow[actor as usize] = extra;
    }

    /// Calls to the actor fail at once with `status`, with probability `rate` (`None`: never).
    pub fn set_failing(&mut self, actor: ActorId, failing: Option<(f64, u16)>) {
        self.failing[actor as usize] = failing;
    }

    /// Faults on the link from `from` to `to`: extra one-way delay each way, and calls failed
    /// by the network with probability and status. Zero delay and no error clear it.
    pub fn set_link(
        &mut self,
        from: ActorId,
        to: ActorId,
        extra: SimTime,
        error: Option<(f64, u16)>,
    ) {
        self.links.retain(|l| !(l.from == from && l.to == to));
        if extra > SimTime::ZERO || error.is_some() {
            self.links.push(LinkFault {
                from,
                to,
                extra,
                error,
            });
        }
    }

    #[inline]
    fn is_down(&self, actor: ActorId) -> bool {
        self.down[actor as usize]
    }

    #[inline]
    fn slow(&self, actor: ActorId) -> SimTime {
        self.slow[actor as usize]
    }

    #[inline]
    fn slow_link(&self, from: ActorId, to: ActorId) -> SimTime {
        if self.links.is_empty() {
            return SimTime::ZERO;
        }
        self.links
            .iter()
            .find(|l| l.from == from && l.to == to)
            .map_or(SimTime::ZERO, |l| l.extra)
    }

    fn draw(&mut self, error: Option<(f64, u16)>) -> Option<u16> {
        use rand::Rng;
        let (rate, status) = error?;
        (self.rng.random::<f64>() < rate).then_some(status)
    }

    #[inline]
    fn link_error(&mut self, from: ActorId, to: ActorId) -> Option<u16> {
        if self.links.is_empty() {
            return None;
        }
        let e = self
            .links
            .iter()
            .find(|l| l.from == from && l.to == to)?
            .error;
        self.draw(e)
    }
}

/// A call lost to a fault: nobody will answer it. The caller's timeout ends it, if there is
/// one that has not fired yet; otherwise (no timeout, or the caller gave up already) the
/// record goes now.
fn lose(
    calls: &mut SlotMap<CallId, CallRecord>,
    stats: &mut KernelStats,
    tracer: &mut Tracer,
    call: CallId,
) {
    stats.lost_calls += 1;
    if calls[call].msg.span != 0 {
        tracer.lost(calls[call].msg.span);
    }
    let rec = &mut calls[call];
    if rec.timeout != Timeout::None && rec.state != CallState::Abandoned {
        rec.state = CallState::Lost;
    } else {
        calls.remove(call);
    }
}

/// The simulated system, as the kernel sees it: something that handles inputs for actors.
pub trait Model {
    /// Called once per actor before the first event, to set initial timers.
    fn start(&mut self, actor: ActorId, ctx: &mut Ctx<'_>);
    /// Handles one input for one actor.
    fn handle(&mut self, actor: ActorId, input: Input, ctx: &mut Ctx<'_>);
    /// Called every `CHECKPOINT_EVENTS` events with the time reached: whether to go on. A
    /// model that answers false stops the run (`Stop::Cancelled`); this is how a run learns
    /// that it is no longer wanted, or tells how far it got.
    fn checkpoint(&mut self, _now: SimTime) -> bool {
        true
    }
    /// A call from `caller` to `callee` has ended at its caller at time `at` (its answer
    /// arrived, or its timeout fired: `Outcome::Timeout`), `latency` after its request left;
    /// `retry` when it was the caller's retry of a failed one. For per-edge figures; nothing
    /// by default.
    fn call_ended(
        &mut self,
        _caller: ActorId,
        _callee: ActorId,
        _at: SimTime,
        _latency: SimTime,
        _outcome: Outcome,
        _retry: bool,
    ) {
    }
}

/// How many events pass between two `Model::checkpoint`s: rare enough to cost nothing, often
/// enough (a few milliseconds) that a stop is prompt.
pub const CHECKPOINT_EVENTS: u64 = 1 << 16;

/// The kernel: clock, event queue, open calls and its own statistics.
pub struct Kernel {
    now: SimTime,
    queue: EventQueue<Packed>,
    calls: SlotMap<CallId, CallRecord>,
    stats: KernelStats,
    limits: Limits,
    faults: Faults,
    tracer: Tracer,
}

impl Kernel {
    /// A kernel for `actors` actors; `fault_rng` draws the injected failures.
    pub fn new(actors: usize, limits: Limits, fault_rng: SimRng) -> Kernel {
        Kernel {
            faults: Faults::new(actors, fault_rng),
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            calls: SlotMap::with_key(),
            stats: KernelStats {
                late_replies: vec![0; actors],
                ..KernelStats::default()
            },
            limits,
            tracer: Tracer::new(actors, 0, 0, super::stream(0, "traces")),
        }
    }

    /// Counts only the late replies of calls sent from `from` on (the end of the warmup).
    pub fn count_late_from(&mut self, from: SimTime) {
        self.stats.late_from = from;
    }

    /// Traces sampled requests, each of at most `max_spans` spans, the keepers drawing their
    /// samples from `rng`; at most `max_held` queued messages hold their traces open at once
    /// (`Ctx::enqueue_span`). Set what each actor keeps with `tracer().keep`. Without it, no
    /// span is ever recorded.
    pub fn trace(&mut self, max_spans: usize, max_held: u32, rng: SimRng) {
        let actors = self.stats.late_replies.len();
        self.tracer = Tracer::new(actors, max_spans, max_held, rng);
    }

    /// The run's spans: set what each actor keeps before `run`.
    pub fn tracer(&mut self) -> &mut Tracer {
        &mut self.tracer
    }

    /// Ends the spans still open (the run is over) and hands over the kept traces, by number.
    pub fn take_traces(&mut self) -> Vec<Trace> {
        self.tracer.close(self.now)
    }

    /// The simulated time reached: that of the last event processed.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The figures kept so far about this run.
    pub fn stats(&self) -> &KernelStats {
        &self.stats
    }

    /// The gates of the run's links: set them before `run`, read what they did after.
    pub fn gates(&mut self) -> &mut Gates {
        &mut self.faults.gates
    }

    /// Calls open right now (sent and not yet fully settled).
    pub fn in_flight(&self) -> usize {
        self.calls.len()
    }

    /// Starts every actor, then processes events until the queue is empty or a limit is hit.
    pub fn run<M: Model>(&mut self, model: &mut M, actors: ActorId) -> Result<(), Stop> {
        for actor in 0..actors {
            let mut ctx = Ctx {
                now: self.now,
                me: actor,
                queue: &mut self.queue,
                calls: &mut self.calls,
                stats: &mut self.stats,
                faults: &mut self.faults,
                replied: None,
                tracer: &mut self.tracer,
            };
            model.start(actor, &mut ctx);
        }
        while let Some((time, event)) = self.queue.pop() {
            debug_assert!(time >= self.now, "time went backwards");
            self.now = time;
            self.stats.events += 1;
            self.dispatch(model, event.into());
            if self.calls.len() > self.limits.max_in_flight {
                return Err(Stop::TooManyInFlight {
                    at: self.now,
                    limit: self.limits.max_in_flight,
                });
            }
            if self.stats.events >= self.limits.max_events {
                return Err(Stop::TooManyEvents {
                    at: self.now,
                    limit: self.limits.max_events,
                });
            }
            if self.stats.events.is_multiple_of(CHECKPOINT_EVENTS) && !model.checkpoint(self.now) {
                return Err(Stop::Cancelled { at: self.now });
            }
        }
        Ok(())
    }

    #[inline]
    fn dispatch<M: Model>(&mut self, model: &mut M, event: Event) {
        let mut replied = None;
        let (actor, input) = match event {
            Event::Timer { actor, tag } => (actor, Input::Timer(tag)),
            Event::Fault { actor, code, on } => (actor, Input::Fault { code, on }),
            Event::Deliver { call } => {
                let rec = &mut self.calls[call];
                if let Timeout::Deferred(t) = rec.timeout {
                    rec.timeout = match self.queue.push_in_lane(
                        t,
                        rec.sent + t,
                        Event::Timeout { call }.into(),
                    ) {
                        Some(h) => Timeout::InLane(h),
                        None => Timeout::Queued,
                    };
                }
                let callee = rec.callee;
                if rec.msg.span != 0 {
                    self.tracer.arrived(rec.msg.span, self.now);
                }
                if self.faults.is_down(callee) {
                    lose(&mut self.calls, &mut self.stats, &mut self.tracer, call);
                    return;
                }
                if let Some(status) = self.faults.draw(self.faults.failing[callee as usize]) {
                    if rec.state == CallState::Open {
                        rec.state = CallState::Answered;
                    }
                    if rec.msg.span != 0 {
                        self.tracer.answered(rec.msg.span, self.now);
                    }
                    let at = self.now + rec.reply_delay;
                    self.queue.push(
                        at,
                        Event::Reply {
                            call,
                            outcome: Outcome::Status(status),
                        }
                        .into(),
                    );
                    return;
                }
                (callee, Input::Call(call, rec.msg))
            }
            Event::Reply { call, outcome } => {
                let rec = self.calls.remove(call).expect("a reply's call is open");
                if let Timeout::InLane(h) = rec.timeout {
                    // Answered in time: its timeout will never matter, and leaves the queue.
                    self.queue.cancel(h);
                }
                if rec.msg.span != 0 {
                    self.tracer.end(rec.msg.span, span_end(outcome), self.now);
                }
                if rec.state == CallState::Abandoned {
                    // Its timeout fired while the reply was on the wire: drop it.
                    self.stats.late_reply(rec.callee, rec.sent);
                    return;
                }
                model.call_ended(
                    rec.caller,
                    rec.callee,
                    self.now,
                    self.now - rec.sent,
                    outcome,
                    rec.retry,
                );
                let reply = Reply {
                    call,
                    tag: rec.tag,
                    outcome,
                };
                replied = rec.items.map(|batch| batch.items);
                (rec.caller, Input::Reply(reply))
            }
            Event::Timeout { call } => {
                // A stale id means the call was settled before its timeout: nothing to do.
                let Some(rec) = self.calls.get_mut(call) else {
                    return;
                };
                rec.timeout = Timeout::Queued;
                if rec.msg.span != 0 {
                    self.tracer.end(rec.msg.span, SpanEnd::Timeout, self.now);
                }
                let reply = Reply {
                    call,
                    tag: rec.tag,
                    outcome: Outcome::Timeout,
                };
                let caller = rec.caller;
                model.call_ended(
                    caller,
                    rec.callee,
                    self.now,
                    self.now - rec.sent,
                    Outcome::Timeout,
                    rec.retry,
                );
                if rec.state == CallState::Lost {
                    // Nobody will ever answer: the timeout ends the call.
                    self.calls.remove(call);
                } else {
                    // An answered call whose reply is still in flight keeps its record until
                    // the reply event arrives and is dropped; an open one waits for the callee.
                    rec.state = CallState::Abandoned;
                }
                (caller, Input::Reply(reply))
            }
        };
        let mut ctx = Ctx {
            now: self.now,
            me: actor,
            queue: &mut self.queue,
            calls: &mut self.calls,
            stats: &mut self.stats,
            faults: &mut self.faults,
            replied,
            tracer: &mut self.tracer,
        };
        model.handle(actor, input, &mut ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event comes out of its two words as it went in: the largest actor, tag, code
    /// and status, each outcome, a fault starting and ending, and call ids of every shape
    /// (a slot map's, with versions past the first).
    #[test]
    fn an_event_packed_for_the_queue_unpacks_to_itself() {
        let mut ids: SlotMap<CallId, ()> = SlotMap::with_key();
        let mut calls = vec![ids.insert(())];
        for _ in 0..3 {
            ids.remove(calls[calls.len() - 1]);
            calls.push(ids.insert(()));
        }
        calls.push(CallId::from(KeyData::from_ffi(
            u64::from(u32::MAX) << 32 | 0xffff_fffe,
        )));
        let mut events = Vec::new();
        for (actor, tag) in [(0, 0), (7, 1 << 40), (ActorId::MAX, u64::MAX)] {
            events.push(Event::Timer { actor, tag });
        }
        for &call in &calls {
            events.push(Event::Deliver { call });
            events.push(Event::Timeout { call });
            for outcome in [
                Outcome::Status(0),
                Outcome::Status(200),
                Outcome::Status(u16::MAX),
                Outcome::Timeout,
                Outcome::Error,
            ] {
                events.push(Event::Reply { call, outcome });
            }
        }
        for (actor, code, on) in [(0, 0, false), (3, 9, true), (ActorId::MAX, u32::MAX, true)] {
            events.push(Event::Fault { actor, code, on });
        }
        for &e in &events {
            assert_eq!(Event::from(Packed::from(e)), e);
        }
    }

    /// Actor 0 calls actor 1 at t = 0 with a timeout; actor 1 answers after `work`.
    struct PingPong {
        work: SimTime,
        timeout: Option<SimTime>,
        hop: SimTime,
        /// The caller's own time before its request leaves.
        leaves_after: SimTime,
        seen: Vec<(SimTime, Outcome)>,
        pending: Option<CallId>,
    }

    impl Model for PingPong {
        fn start(&mut self, actor: ActorId, ctx: &mut Ctx<'_>) {
            if actor == 0 {
                let timing = CallTiming {
                    request_delay: self.leaves_after + self.hop,
                    reply_delay: self.hop,
                    timeout: self.timeout,
                    leaves_after: self.leaves_after,
                    retry: false,
                };
                let msg = Msg::probe(0, SimTime::ZERO);
                ctx.call(1, msg, timing, 42);
            }
        }

        fn handle(&mut self, actor: ActorId, input: Input, ctx: &mut Ctx<'_>) {
            match (actor, input) {
                (1, Input::Call(call, _)) => {
                    self.pending = Some(call);
                    ctx.schedule(self.work, 0);
                }
                (1, Input::Timer(_)) => ctx.reply(self.pending.take().unwrap(), 200),
                (0, Input::Reply(r)) => {
                    assert_eq!(r.tag, 42);
                    self.seen.push((ctx.now(), r.outcome));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn run(work_ms: u64, timeout_ms: Option<u64>) -> (Vec<(SimTime, Outcome)>, KernelStats, usize) {
        run_after(0, 1, work_ms, timeout_ms)
    }

    /// Like `run`, the request leaving `after_ms` late and each hop taking `hop_ms`.
    fn run_after(
        after_ms: u64,
        hop_ms: u64,
        work_ms: u64,
        timeout_ms: Option<u64>,
    ) -> (Vec<(SimTime, Outcome)>, KernelStats, usize) {
        let mut m = PingPong {
            work: SimTime::from_millis(work_ms),
            timeout: timeout_ms.map(SimTime::from_millis),
            hop: SimTime::from_millis(hop_ms),
            leaves_after: SimTime::from_millis(after_ms),
            seen: Vec::new(),
            pending: None,
        };
        let mut k = Kernel::new(2, Limits::default(), super::super::stream(0, "faults"));
        k.run(&mut m, 2).unwrap();
        (m.seen, k.stats().clone(), k.in_flight())
    }

    #[test]
    fn a_timeout_starts_when_the_request_leaves() {
        // Leaves at 50 ms, arrives at 51, answered at 81, back at 82: inside a 40 ms timeout
        // counted from 50 ms (not from 0, where it would have fired at 40).
        let (seen, stats, open) = run_after(50, 1, 30, Some(40));
        assert_eq!(seen, vec![(SimTime::from_millis(82), Outcome::Status(200))]);
        assert_eq!((stats.events, open), (3, 0));
        // A 20 ms timeout from 50 ms fires at 70, the late answer is dropped.
        let (seen, stats, _) = run_after(50, 1, 30, Some(20));
        assert_eq!(seen, vec![(SimTime::from_millis(70), Outcome::Timeout)]);
        assert_eq!(stats.late_replies, vec![0, 1]);
        // A hop longer than the timeout: it fires at 50 + 20 ms, before the request arrives.
        let (seen, _, _) = run_after(50, 30, 1, Some(20));
        assert_eq!(seen, vec![(SimTime::from_millis(70), Outcome::Timeout)]);
    }

    /// Actor 0 calls actor 1 at t = 0 (1 ms hops); actor 1 loses the call `after` it arrives.
    struct Loser {
        timeout: Option<SimTime>,
        after: SimTime,
        pending: Option<CallId>,
        seen: Vec<(SimTime, Outcome)>,
    }

    impl Model for Loser {
        fn start(&mut self, actor: ActorId, ctx: &mut Ctx<'_>) {
            if actor == 0 {
                let hop = SimTime::from_millis(1);
                let timing = CallTiming {
                    request_delay: hop,
                    reply_delay: hop,
                    timeout: self.timeout,
                    leaves_after: SimTime::ZERO,
                    retry: false,
                };
                ctx.call(1, Msg::probe(0, SimTime::ZERO), timing, 7);
            }
        }

        fn handle(&mut self, actor: ActorId, input: Input, ctx: &mut Ctx<'_>) {
            match (actor, input) {
                (1, Input::Call(call, _)) => {
                    self.pending = Some(call);
                    ctx.schedule(self.after, 0);
                }
                (1, Input::Timer(_)) => ctx.lose_call(self.pending.take().unwrap()),
                (0, Input::Reply(r)) => self.seen.push((ctx.now(), r.outcome)),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn a_lost_call_ends_at_its_callers_timeout_or_not_at_all() {
        let run = |timeout_ms: Option<u64>, after_ms: u64| {
            let mut m = Loser {
                timeout: timeout_ms.map(SimTime::from_millis),
                after: SimTime::from_millis(after_ms),
                pending: None,
                seen: Vec::new(),
            };
            let mut k = Kernel::new(2, Limits::default(), super::super::stream(0, "faults"));
            k.run(&mut m, 2).unwrap();
            (
                m.seen,
                k.stats().lost_calls,
                k.stats().late_replies.clone(),
                k.in_flight(),
            )
        };
        // Lost at 6 ms: the caller's 50 ms timeout ends it; nothing is late, no record left.
        let (seen, lost, late, open) = run(Some(50), 5);
        assert_eq!(seen, vec![(SimTime::from_millis(50), Outcome::Timeout)]);
        assert_eq!((lost, late, open), (1, vec![0, 0], 0));
        // No timeout: the caller never hears, and the record goes at once.
        let (seen, lost, _, open) = run(None, 5);
        assert!(seen.is_empty());
        assert_eq!((lost, open), (1, 0));
        // The caller gave up at 10 ms, before the loss at 21: the record goes then, and the
        // loss is no late reply.
        let (seen, lost, late, open) = run(Some(10), 20);
        assert_eq!(seen, vec![(SimTime::from_millis(10), Outcome::Timeout)]);
        assert_eq!((lost, late, open), (1, vec![0, 0], 0));
    }

    #[test]
    fn a_message_stays_forty_bytes() {
        // Copied with every call and held by every open call record: the span id fits in
        // what was padding.
        assert_eq!(std::mem::size_of::<Msg>(), 40);
    }

    #[test]
    fn a_call_record_stays_small() {
        // One per open call, written by every call and read by its reply: a batch's items
        // are boxed and a timeout's place is one field, so it is 104 bytes (it was 136).
        assert_eq!(std::mem::size_of::<CallRecord>(), 104);
    }

    #[test]
    fn a_reply_arrives_after_work_and_two_hops() {
        let (seen, stats, open) = run(10, Some(100));
        assert_eq!(seen, vec![(SimTime::from_millis(12), Outcome::Status(200))]);
        assert_eq!(stats.late_replies, vec![0, 0]);
        // Deliver, timer, reply: the timeout was cancelled when the reply arrived.
        assert_eq!(stats.events, 3);
        assert_eq!(open, 0, "the call record is freed");
    }

    #[test]
    fn a_timeout_answers_the_caller_and_the_late_reply_is_dropped() {
        let (seen, stats, open) = run(50, Some(20));
        assert_eq!(seen, vec![(SimTime::from_millis(20), Outcome::Timeout)]);
        // The callee still did its work and answered at 51 ms; that answer was wasted.
        assert_eq!(stats.late_replies, vec![0, 1]);
        assert_eq!(open, 0);
    }

    #[test]
    fn a_timeout_while_the_reply_is_on_the_wire_wins() {
        // Work ends at 11 ms, the reply would land at 12 ms, the timeout fires at 11.5 ms.
        let mut m = PingPong {
            work: SimTime::from_millis(10),
            timeout: Some(SimTime::from_nanos(11_500_000)),
            hop: SimTime::from_millis(1),
            leaves_after: SimTime::ZERO,
            seen: Vec::new(),
            pending: None,
        };
        let mut k = Kernel::new(2, Limits::default(), super::super::stream(0, "faults"));
        k.run(&mut m, 2).unwrap();
        assert_eq!(
            m.seen,
            vec![(SimTime::from_nanos(11_500_000), Outcome::Timeout)]
        );
        assert_eq!(k.stats().late_replies, vec![0, 1]);
        assert_eq!(k.in_flight(), 0);
    }

    #[test]
    fn a_request_that_arrives_after_its_timeout_at_a_faulty_callee_ends_its_call_once() {
        // The hop (30 ms) is longer than the caller's patience (20 ms): the timeout has ended
        // the call when the request reaches a callee that a fault answers for, or that is
        // down. The caller hears nothing more, and the
        // record is freed; with the request leaving after 5 ms of the caller's own work, its
        // timeout waits in the kernel's heap rather than a lane.
        struct Faulty {
            inner: PingPong,
            down: bool,
        }
        impl Model for Faulty {
            fn start(&mut self, actor: ActorId, ctx: &mut Ctx<'_>) {
                if actor == 0 {
                    match self.down {
                        true => ctx.faults().set_down(1, true),
                        false => ctx.faults().set_failing(1, Some((1.0, 503))),
                    }
                }
                self.inner.start(actor, ctx);
            }
            fn handle(&mut self, actor: ActorId, input: Input, ctx: &mut Ctx<'_>) {
                self.inner.handle(actor, input, ctx);
            }
        }
        for leaves_ms in [0, 5] {
            for down in [false, true] {
                let case = format!("leaves after {leaves_ms} ms, down {down}");
                let mut m = Faulty {
                    inner: PingPong {
                        work: SimTime::from_millis(1),
                        timeout: Some(SimTime::from_millis(20)),
                        hop: SimTime::from_millis(30),
                        leaves_after: SimTime::from_millis(leaves_ms),
                        seen: Vec::new(),
                        pending: None,
                    },
                    down,
                };
                let mut k = Kernel::new(2, Limits::default(), super::super::stream(0, "faults"));
                k.run(&mut m, 2).unwrap();
                assert_eq!(
                    m.inner.seen,
                    vec![(SimTime::from_millis(20 + leaves_ms), Outcome::Timeout)],
                    "{case}"
                );
                assert_eq!(k.in_flight(), 0, "{case}");
                // A failing callee's answer comes back, late; a down one's never does.
                let late = u64::from(!down);
                assert_eq!(k.stats().late_replies, vec![0, late], "{case}");
                assert_eq!(k.stats().lost_calls, u64::from(down), "{case}");
            }
        }
    }

    #[test]
    fn an_answer_after_the_timeout_that_never_arrives_is_not_late() {
        // The callee works 50 ms and the caller waits 20 ms. If the callee goes down at 30 ms
        // its answer vanishes with it: a lost call, not a late reply. If the network drops
        // the call, it is neither.
        struct DownLater(PingPong, bool);
        impl Model for DownLater {
            fn start(&mut self, actor: ActorId, ctx: &mut Ctx<'_>) {
                if actor == 0 && self.1 {
                    ctx.schedule(SimTime::from_millis(30), 7);
                }
                self.0.start(actor, ctx);
            }
            fn handle(&mut self, actor: ActorId, input: Input, ctx: &mut Ctx<'_>) {
                match (actor, input) {
                    (0, Input::Timer(7)) => ctx.faults().set_down(1, true),
                    _ => self.0.handle(actor, input, ctx),
                }
            }
        }
        for down in [true, false] {
            let mut m = DownLater(
                PingPong {
                    work: SimTime::from_millis(50),
                    timeout: Some(SimTime::from_millis(20)),
                    hop: SimTime::from_millis(1),
                    leaves_after: SimTime::ZERO,
                    seen: Vec::new(),
                    pending: None,
                },
                down,
            );
            let mut k = Kernel::new(2, Limits::default(), super::super::stream(0, "faults"));
            if !down {
                k.gates().set_all(0, 1, Gate::Drop);
            }
            k.run(&mut m, 2).unwrap();
            let seen = &m.0.seen;
            assert_eq!(
                seen,
                &[(SimTime::from_millis(20), Outcome::Timeout)],
                "down: {down}"
            );
            assert_eq!(k.in_flight(), 0, "down: {down}");
            assert_eq!(k.stats().late_replies, vec![0, 0], "down: {down}");
            assert_eq!(k.stats().lost_calls, u64::from(down), "down: {down}");
        }
    }

    #[test]
    fn the_in_flight_limit_stops_the_run() {
        struct Flood;
        impl Model for Flood {
            fn start(&mut self, _: ActorId, ctx: &mut Ctx<'_>) {
                ctx.schedule(SimTime::ZERO, 0);
            }
            fn handle(&mut self, actor: ActorId, input: Input, ctx: &mut Ctx<'_>) {
                if let (0, Input::Timer(_)) = (actor, input) {
                    let timing = CallTiming {
                        request_delay: SimTime::from_secs(1_000),
                        reply_delay: SimTime::ZERO,
                        timeout: None,
                        leaves_after: SimTime::ZERO,
                        retry: false,
                    };
                    let msg = Msg::probe(0, SimTime::ZERO);
                    ctx.call(0, msg, timing, 0);
                    ctx.schedule(SimTime::from_millis(1), 0);
                }
            }
        }
        let limits = Limits {
            max_in_flight: 100,
            max_events: 1_000_000,
        };
        let mut k = Kernel::new(1, limits, super::super::stream(0, "faults"));
        let stop = k.run(&mut Flood, 1).unwrap_err();
        assert_eq!(
            stop,
            Stop::TooManyInFlight {
                at: SimTime::from_millis(100),
                limit: 100
            }
        );
    }
}
