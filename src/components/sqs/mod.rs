//! Amazon SQS: a standard or FIFO queue, and the event source mapping that polls it for a
//! consumer (aws-facts §15 SQS, §16 event source mappings).
//!
//! SendMessage stores the message (its send time, receive count, FIFO message group: the
//! request's key modulo `message_groups`) and answers 200 after `send_latency`. A FIFO queue
//! admits 300 calls per second per action (a token bucket holding one second's worth, a
//! choice: AWS states a rate), answering ThrottlingException (400) beyond, which callers' SDKs
//! retry. In high-throughput mode (`fifo_throughput_limit = "per_message_group_id"` and
//! `deduplication_scope = "message_group"`) the 300 are per partition, a message group's
//! partition fixed by its number, up to `high_throughput_tps` for the queue (the regional
//! maximum), so that many groups admit far more than 300 calls a second and one group no
//! more. A receive waiting for its group's partition waits, even if another group's
//! partition has room (a simplification). Messages older than `retention` are deleted and counted. A queue holds at most
//! `max_messages` (bounded by `limits::MAX_QUEUE_MESSAGES`): sends beyond are refused with
//! 503 and counted.
//!
//! The consumer, when the queue names one, is polled as Lambda's event source mapping
//! polls: 5 batches at once to begin with, 5 more each second (300 a minute) while messages
//! are visible (but for those a free poller is gathering in its batching window: they are
//! in its hands, not a backlog), up to `maximum_concurrency` (1,000 at most), and back to 5 once the queue is
//! empty at a scaling step (AWS does not document how fast it scales down: a choice). Pollers
//! long-poll: a poller waits for a message to become visible rather than on a timer. Each
//! batch (up to `batch_size` messages and no more than the 6 MB a synchronous invocation
//! carries; with a `batching_window`, a poller waits that long for a full batch, or until
//! the visible messages fill the 6 MB) is one
//! synchronous call to the consumer, carrying the number of messages in
//! `Msg::messages`, the first message's operation and key, and (for more than one message)
//! each message's operation as the call's items (a Lambda does each message's work, and a
//! message fails by its own operation or draw). A success deletes the batch (one
//! DeleteMessageBatch). A throttled invocation (429) is retried by the poller holding the
//! batch every `throttle_retry_delay` while a retry is due before the batch's visibility
//! timeout (`lambda:services-sqs-errorhandling.html`); each throttle, and each failed batch
//! without ReportBatchItemFailures, lowers the mapping's concurrency by `backoff_batches`
//! (not below where it starts), and it scales up again only after a step without one (the
//! knowledge center's "lambda-sqs-scaling": Lambda "throttles function scaling when
//! invocation errors occur"). Any other answer (a function error, a timeout), or a throttle
//! with no retry left, leaves its messages invisible until their visibility timeout, then
//! visible again, their receive count up by one at the next receive. With `function_response_types =
//! ["ReportBatchItemFailures"]` the function answers a batch with some failed messages as a
//! success that names them: only those stay invisible (in a FIFO queue, every message of the
//! batch from the first failed one on, so that the group keeps its order), and the others
//! are deleted. Messages received again (`redelivered`) are the duplicate deliveries. A message received
//! `max_receive_count` times is moved to the `dead_letter` queue at its next receive, and
//! counted on both. A receive when `in flight` messages have reached 120,000 (FIFO 20,000)
//! gets nothing (OverLimit), counted. A FIFO queue hands a message group to one batch at a
//! time, in order, and a failed batch blocks its group until its messages are visible again.
//! The pollers stop when the run ends (arrivals stop): what the queue holds then is its
//! `backlog_end` (visible) and `in_flight_end` (received and not deleted: a batch being
//! worked on, or messages that failed and wait out their visibility timeout), rather than
//! work running on for days of simulated time.
//! In provisioned mode (`provisioned_pollers = { minimum, maximum }`) the mapping starts with
//! its minimum pollers, each running up to 10 batches at once, adds 15 batches a second (3 ×
//! the default's 300 a minute) while messages remain, up to 10 × its maximum, and goes back
//! to its minimum once the queue is empty.
//! Not modelled: the delete quota of FIFO queues, a provisioned poller's 1 MB/s, and the
//! price of provisioned pollers (aws-facts gives none).

mod config;
mod kind;

pub use config::{Consumer, SqsConfig, MAX_BATCH_FIFO};
pub(crate) use kind::fifo_words;

use super::token_bucket::TokenBucket;
use super::{batch_spans, pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::{
    CallId, Ctx, Input, Item, Msg, Outcome, Reply, SimRng, SimTime, SpanEnd, TimerHandle,
};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, Level, MetricSet};
use crate::status;
use kind::{BACKLOG, BATCHES, DELETES, IN_FLIGHT, MOVED, OLDEST, POLLERS, SENDS};
use slab::Slab;
use std::collections::BTreeSet;

/// The status of a FIFO call over the per-action quota (aws-facts: §15 SQS:
/// ThrottlingException, an HTTP 400 the SDKs retry as a throttle).
pub const THROTTLED: u16 = status::BAD_REQUEST;
/// The status of a send to a queue holding `max_messages` (a limit of archsim's, not AWS's).
pub const FULL: u16 = status::SERVICE_UNAVAILABLE;
/// `Msg::instance` of a message a queue moves to its dead-letter queue: a redrive, which the
/// dead-letter queue stores without counting it as a send. Queues are never behind a load
/// balancer, the only other user of the field.
const REDRIVE: u32 = u32::MAX;
/// The most messages one SendMessageBatch takes (AWS's SendMessageBatch API reference: "up
/// to 10 messages"; aws-facts: §15 batch ≤10 messages).
pub const MAX_SEND_BATCH: u16 = 10;
/// The most messages one ReceiveMessage returns and one DeleteMessageBatch deletes
/// (aws-facts: §15 batch ≤10 messages).
const MAX_RECEIVE: usize = 10;

/// aws-facts: §15 SQS: FIFO queues take 300 API calls per second per action.
const FIFO_TPS: f64 = 300.0;
/// aws-facts: §15 SQS: 120,000 messages in flight per standard queue; FIFO 20,000 [O].
const IN_FLIGHT_STANDARD: usize = 120_000;
const IN_FLIGHT_FIFO: usize = 20_000;
/// aws-facts: §16 SQS: pollers start with 5 concurrent batches and add up to 300 a minute,
/// counted here as 5 each second.
const START_BATCHES: u32 = 5;
const ADD_PER_STEP: u32 = 5;
/// aws-facts: §16 SQS: provisioned mode scales "~3× faster": 3 × 300 concurrent
/// invocations a minute, 15 more each second (the factor is AWS's rough figure).
const PROVISIONED_ADD_PER_STEP: u32 = 3 * ADD_PER_STEP;
const SCALE_STEP: SimTime = SimTime::from_secs(1);
/// aws-facts: §15 SQS: a long poll waits at most 20 s; an idle poller makes one empty
/// receive per 20 s.
const LONG_POLL: f64 = 20.0;
/// The largest message, and the largest SendMessageBatch (its messages' sizes summed), in
/// bytes: 1 MiB since August 2025, 256 KiB before (AWS's announcement "Amazon SQS increases
/// maximum message payload size to 1 MiB"; https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb;
/// aws-facts: §15 message size). A larger send is refused whole (InvalidParameterValue for a
/// message, BatchRequestTooLong for a batch: HTTP 400, which no SDK retries), counted as 413
/// (`status::PAYLOAD_TOO_LARGE`), neither stored nor billed.
pub const MAX_MESSAGE_BYTES: u32 = 1 << 20;

/// Each 64 KB of a message is billed as one request (AWS's pricing page, seen through
/// third-party copies: https://aws.amazon.com/sqs/pricing/ renders its prices in script).
const CHUNK_BYTES: u64 = 64 * 1024;
/// Standard queues $0.40 and FIFO queues $0.50 per million requests, us-east-1, first 100
/// billion a month [O] (same source; aws-facts has no SQS price).
const PRICE_STANDARD: f64 = 0.40 / 1e6;
const PRICE_FIFO: f64 = 0.50 / 1e6;

/// A FIFO queue's quota for one action (SendMessage or ReceiveMessage): 300 calls a second
/// for the queue; in high-throughput mode 300 a second per partition, a message group's
/// partition being its number modulo the partitions, and the Region's maximum over all
/// (aws-facts: §15 SQS). The partitions are as many as the regional maximum needs at 300
/// each: AWS adds partitions as traffic grows and does not say how fast, so this takes them
/// as already there (a choice).
struct FifoQuota {
    partitions: Vec<TokenBucket>,
    regional: Option<TokenBucket>,
}

impl FifoQuota {
    fn new(high_throughput_tps: Option<u32>) -> FifoQuota {
        let bucket = || TokenBucket::new(FIFO_TPS, FIFO_TPS as u64);
        match high_throughput_tps {
            None => FifoQuota {
                partitions: vec![bucket()],
                regional: None,
            },
            Some(tps) => FifoQuota {
                partitions: (0..(f64::from(tps) / FIFO_TPS).ceil() as usize)
                    .map(|_| bucket())
                    .collect(),
                regional: Some(TokenBucket::new(f64::from(tps), u64::from(tps))),
            },
        }
    }

    /// Takes a call's token for message group `group`, if its partition and the Region
    /// have one.
    fn try_take(&mut self, now: SimTime, group: u32) -> bool {
        let n = self.partitions.len();
        let part = &mut self.partitions[group as usize % n];
        match &mut self.regional {
            None => part.try_take(now),
            Some(r) => {
                if !part.has_token(now) || !r.has_token(now) {
                    return false;
                }
                part.try_take(now) && r.try_take(now)
            }
        }
    }
}

/// A message held by the queue.
struct Message {
    sent: SimTime,
    /// When the client's request it descends from was sent (`Msg::origin`).
    origin: SimTime,
    /// Its place in the order of sends: a returned message goes back where it was.
    seq: u64,
    op: u16,
    key: u64,
    size: u32,
    client: u32,
    receives: u32,
    group: u32,
    /// Retention ran out while it was in flight: dropped when its batch ends.
    expired: bool,
    /// Its current wait span, for a traced message (0: not traced).
    span: u32,
}

/// A batch handed to the consumer, by its slot and generation (a slot is reused once the
/// batch has ended).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BatchRef {
    slot: usize,
    gen: u32,
}

impl BatchRef {
    fn index(self) -> u64 {
        (self.slot as u64) << 32 | u64::from(self.gen)
    }

    fn from_index(index: u64) -> BatchRef {
        BatchRef {
            slot: (index >> 32) as usize,
            gen: index as u32,
        }
    }
}

/// What a reply is an answer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    /// The consumer's answer for a batch.
    Batch(BatchRef),
    /// The dead-letter queue's answer to a redrive.
    Redrive,
}

impl Token for Tag {
    fn encode(self) -> u64 {
        match self {
            Tag::Batch(b) => pack(0, b.index()),
            Tag::Redrive => pack(1, 0),
        }
    }

    fn decode(token: u64) -> Option<Tag> {
        match unpack(token) {
            (0, i) => Some(Tag::Batch(BatchRef::from_index(i))),
            (1, 0) => Some(Tag::Redrive),
            _ => None,
        }
    }
}

/// What the queue's timers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A batch's visibility timeout is over.
    Visible(BatchRef),
    /// The oldest message's retention is over.
    Retention,
    /// A poller's batching window is over: invoke with what there is.
    Window,
    /// A step of the pollers' scaling.
    Scale,
    /// The end of a time-series window: the age of the oldest message is sampled.
    Sample,
    /// A FIFO receive has a token again.
    Quota,
    /// A throttled batch's poller invokes the consumer with it again.
    Retry(BatchRef),
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::Visible(b) => pack(0, b.index()),
            Timer::Retention => pack(1, 0),
            Timer::Window => pack(2, 0),
            Timer::Scale => pack(3, 0),
            Timer::Sample => pack(4, 0),
            Timer::Quota => pack(5, 0),
            Timer::Retry(b) => pack(6, b.index()),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, i) => Some(Timer::Visible(BatchRef::from_index(i))),
            (1, 0) => Some(Timer::Retention),
            (2, 0) => Some(Timer::Window),
            (3, 0) => Some(Timer::Scale),
            (4, 0) => Some(Timer::Sample),
            (5, 0) => Some(Timer::Quota),
            (6, i) => Some(Timer::Retry(BatchRef::from_index(i))),
            _ => None,
        }
    }
}

struct Batch {
    gen: u32,
    msgs: Vec<usize>,
    /// The FIFO groups it holds (one or more; none for a standard queue).
    groups: Vec<u32>,
    /// The consumer has answered (its poller is free again).
    answered: bool,
    /// Its messages are visible again (the visibility timeout is over).
    returned: bool,
    visibility: Option<TimerHandle>,
    /// When it was received: its visibility timeout runs from then.
    received: SimTime,
}

/// A FIFO message group: its visible messages in order, and whether a batch holds it.
#[derive(Default)]
struct Group {
    visible: BTreeSet<(u64, usize)>,
    busy: bool,
    /// Its key in `ready`, while it is there.
    ready_at: Option<u64>,
}

/// A running queue and its event source mapping.
pub struct Sqs {
    cfg: SqsConfig,
    clock: Clock,
    /// Draws for its consumers: receives, batches, redrives.
    rng: SimRng,
    /// Draws for its producers (`SendMessage`'s latency), a stream apart, so that a change
    /// to the consumer side leaves what producers see as it was.
    send_rng: SimRng,
    edges: Vec<Edge>,
    msgs: Slab<Message>,
    next_seq: u64,
    /// Visible messages of a standard queue, by send order.
    visible: BTreeSet<(u64, usize)>,
    /// A FIFO queue's groups, and those that can be received (not busy, with a visible
    /// message), by their first message's place in the order of sends.
    groups: Vec<Group>,
    ready: BTreeSet<(u64, u32)>,
    visible_count: usize,
    /// The visible messages' bytes: a batching window ends early once they fill a batch's
    /// payload.
    visible_bytes: u64,
    in_flight_count: usize,
    /// Messages alive, by send time, for retention and the age of the oldest.
    by_age: BTreeSet<(SimTime, usize)>,
    batches: Slab<Batch>,
    next_gen: u32,
    /// Batches the pollers may have at once, and those awaiting the consumer's answer.
    target: u32,
    active: u32,
    base: u32,
    send_quota: FifoQuota,
    receive_quota: FifoQuota,
    retention_armed: bool,
    window_armed: bool,
    window_over: bool,
    scale_armed: bool,
    quota_armed: bool,
    /// The mapping backed off (`back_off`) since the last scaling step.
    backed_off: bool,
    // Recorders.
    sends: Counter,
    throttles: u64,
    refused: u64,
    /// Entries of SendMessageBatch calls refused (the queue full) while others were stored;
    /// `None` until a batch comes (reported only then).
    failed_entries: Option<u64>,
    deletes: Counter,
    expired: u64,
    moved: Counter,
    redriven_in: u64,
    over_limit: u64,
    batches_started: u64,
    batches_failed: u64,
    /// Messages received again after a visibility timeout: deliveries beyond the first.
    redelivered: u64,
    /// Messages the consumer reported failed in a batch it answered (ReportBatchItemFailures).
    items_failed: u64,
    /// Invocations of the consumer answered with a throttle, and those retried.
    throttled_invocations: u64,
    throttle_retries: u64,
    billed: f64,
    statuses: Counts<u16>,
    backlog: Level,
    in_flight: Level,
    pollers: Level,
    concurrent: Level,
    oldest: Vec<f64>,
    oldest_max: f64,
    /// Visible messages when the run ended.
    backlog_end: usize,
    /// Messages in flight (received, neither deleted nor visible again) when the run ends.
    in_flight_end: usize,
    lag: Durations,
    /// Age of the messages moved to the dead-letter queue, when they move.
    dead_letter_age: Durations,
    response: Durations,
    events: EventLog,
    /// A send over the size limit was said in the events.
    said_too_large: bool,
}

impl Sqs {
    /// Builds it for one run.
    pub fn new(cfg: SqsConfig, env: BuildEnv) -> Sqs {
        let clock = env.clock;
        // aws-facts: §16 SQS: provisioned pollers are there from the start, each running up
        // to 10 batches at once.
        let base = cfg.consumer.as_ref().map_or(0, |c| match c.provisioned {
            Some((min, _)) => min * config::INVOKES_PER_POLLER,
            None => START_BATCHES.min(c.max_concurrency),
        });
        Sqs {
            groups: (0..if cfg.fifo { cfg.message_groups } else { 0 })
                .map(|_| Group::default())
                .collect(),
            ready: BTreeSet::new(),
            msgs: Slab::new(),
            next_seq: 0,
            visible: BTreeSet::new(),
            visible_count: 0,
            visible_bytes: 0,
            in_flight_count: 0,
            by_age: BTreeSet::new(),
            batches: Slab::new(),
            next_gen: 0,
            target: base,
            active: 0,
            base,
            send_quota: FifoQuota::new(cfg.high_throughput_tps),
            receive_quota: FifoQuota::new(cfg.high_throughput_tps),
            retention_armed: false,
            window_armed: false,
            window_over: false,
            scale_armed: false,
            backed_off: false,
            quota_armed: false,
            sends: Counter::new(&clock),
            throttles: 0,
            refused: 0,
            failed_entries: None,
            deletes: Counter::new(&clock),
            expired: 0,
            moved: Counter::new(&clock),
            redriven_in: 0,
            over_limit: 0,
            batches_started: 0,
            batches_failed: 0,
            redelivered: 0,
            throttled_invocations: 0,
            throttle_retries: 0,
            items_failed: 0,
            billed: 0.0,
            statuses: Counts::default(),
            backlog: Level::new(&clock),
            in_flight: Level::new(&clock),
            pollers: Level::new(&clock),
            concurrent: Level::new(&clock),
            oldest: vec![0.0; clock.windows()],
            oldest_max: 0.0,
            backlog_end: 0,
            in_flight_end: 0,
            lag: Durations::default(),
            dead_letter_age: Durations::default(),
            response: Durations::default(),
            events: EventLog::new(&env.name),
            said_too_large: false,
            send_rng: env.stream("sends"),
            rng: env.rng,
            edges: env.edges,
            cfg,
            clock,
        }
    }

    fn in_flight_limit(&self) -> usize {
        if self.cfg.fifo {
            IN_FLIGHT_FIFO
        } else {
            IN_FLIGHT_STANDARD
        }
    }

    /// Bills `n` requests made at `now`, if they fall in the measured period.
    fn bill(&mut self, now: SimTime, n: f64) {
        if self.clock.measured(now) {
            self.billed += n;
        }
    }

    fn set_levels(&mut self, now: SimTime) {
        let c = &self.clock;
        self.backlog.set(c, now, self.visible_count as f64);
        self.in_flight.set(c, now, self.in_flight_count as f64);
    }

    /// SendMessage (or a message moved here from another queue's redrive).
    fn send(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        if msg.instance == REDRIVE {
            self.redriven_in += u64::from(measured);
            if self.msgs.len() < self.cfg.max_messages as usize {
                self.store(ctx, msg);
            } else {
                self.refused += u64::from(measured);
            }
            ctx.reply(call, status::OK);
            return;
        }
        // Each message sent counts, a SendMessageBatch's every entry (CloudWatch's
        // NumberOfMessagesSent counts messages), throttled or not, as a SendMessage is.
        let entries = ctx.entries_mut(call, &msg).map_or(1, |e| e.len());
        if entries > 1 {
            self.failed_entries.get_or_insert(0);
        }
        for _ in 0..entries {
            self.sends.add(&self.clock, now, measured);
        }
        if msg.size_bytes > MAX_MESSAGE_BYTES {
            if !self.said_too_large {
                self.said_too_large = true;
                let what = if entries > 1 {
                    "a batch of"
                } else {
                    "a message of"
                };
                self.events.push(
                    now,
                    "message_too_large",
                    format!(
                        "{what} {} bytes, over SQS's 1 MiB ({MAX_MESSAGE_BYTES} bytes): refused (HTTP 400, counted as 413), not retried",
                        msg.size_bytes
                    ),
                );
            }
            self.statuses.add(status::PAYLOAD_TOO_LARGE, measured);
            ctx.reply(call, status::PAYLOAD_TOO_LARGE);
            return;
        }
        // aws-facts: §15 SQS: FIFO queues take 300 calls per second per action; beyond,
        // ThrottlingException.
        if self.cfg.fifo && !self.send_quota.try_take(now, self.group_of(msg.key)) {
            self.throttles += u64::from(measured);
            self.statuses.add(THROTTLED, measured);
            ctx.reply(call, THROTTLED);
            return;
        }
        // Each 64 KB of a message, or of a batch's messages together, is a request of its
        // own on the bill.
        let chunks = u64::from(msg.size_bytes).div_ceil(CHUNK_BYTES).max(1);
        self.bill(now, chunks as f64);
        if let Some(items) = ctx.entries_mut(call, &msg) {
            // SendMessageBatch (a Lambda handler's one call for its batch): each entry a
            // message of its own, stored while there is room; an entry refused is in the
            // answer's `Failed` list, the call a success when some were stored, else
            // refused as a full queue's send is.
            let (mut stored, mut refused) = (Vec::with_capacity(items.len()), 0);
            for item in items.iter_mut() {
                if self.msgs.len() + stored.len() < self.cfg.max_messages as usize {
                    stored.push(*item);
                } else {
                    item.failed = true;
                    refused += 1;
                }
            }
            let answered = !stored.is_empty();
            let failed = self.failed_entries.get_or_insert(0);
            if measured {
                if answered {
                    *failed += refused;
                } else {
                    self.refused += 1;
                }
            }
            // All of them in before a poller takes any, as SQS stores a batch.
            for i in &stored {
                self.enqueue(ctx, i.message(&msg));
            }
            if !stored.is_empty() {
                self.stored(ctx);
            }
            if !answered {
                self.statuses.add(FULL, measured);
                ctx.reply(call, FULL);
                return;
            }
        } else if self.msgs.len() >= self.cfg.max_messages as usize {
            self.refused += u64::from(measured);
            self.statuses.add(FULL, measured);
            ctx.reply(call, FULL);
            return;
        } else {
            self.store(ctx, msg);
        }
        let wait = self.cfg.send_latency.sample_time(&mut self.send_rng);
        self.statuses.add(status::OK, measured);
        self.response.record(wait, measured);
        ctx.reply_after(call, status::OK, wait);
    }

    /// Stores `msg` and hands it to a poller if one waits.
    fn store(&mut self, ctx: &mut Ctx<'_>, msg: Msg) {
        self.enqueue(ctx, msg);
        self.stored(ctx);
    }

    /// Puts `msg` in the queue, visible; `stored` follows once the call's messages are in.
    fn enqueue(&mut self, ctx: &mut Ctx<'_>, msg: Msg) {
        let now = ctx.now();
        let seq = self.next_seq;
        self.next_seq += 1;
        let group = self.group_of(msg.key);
        let id = self.msgs.insert(Message {
            sent: now,
            origin: msg.origin,
            seq,
            op: msg.op,
            key: msg.key,
            size: msg.size_bytes,
            client: msg.client,
            receives: 0,
            group,
            expired: false,
            // A traced send (or redrive) opens the message's wait; it holds the trace open
            // until the message leaves the queue.
            span: ctx.enqueue_span(msg.span, "queued"),
        });
        self.by_age.insert((now, id));
        self.make_visible(id);
        if !self.retention_armed && now + self.cfg.retention < self.clock.end {
            self.retention_armed = true;
            ctx.schedule(self.cfg.retention, Timer::Retention.encode());
        }
    }

    /// Messages were put in the queue: its levels, its pollers' scaling and their batches.
    fn stored(&mut self, ctx: &mut Ctx<'_>) {
        self.set_levels(ctx.now());
        self.arm_scaling(ctx);
        self.dispatch(ctx);
    }

    /// The FIFO message group of a message with `key` (0 in a standard queue).
    fn group_of(&self, key: u64) -> u32 {
        if self.cfg.fifo {
            (key % u64::from(self.cfg.message_groups)) as u32
        } else {
            0
        }
    }

    fn make_visible(&mut self, id: usize) {
        let m = &self.msgs[id];
        let (seq, group) = (m.seq, m.group);
        self.visible_count += 1;
        self.visible_bytes += u64::from(m.size);
        if self.cfg.fifo {
            self.groups[group as usize].visible.insert((seq, id));
            self.refresh_group(group);
        } else {
            self.visible.insert((seq, id));
        }
    }

    /// Puts a FIFO group in `ready` when it can be received, takes it out when it cannot.
    fn refresh_group(&mut self, group: u32) {
        let g = &mut self.groups[group as usize];
        if let Some(k) = g.ready_at.take() {
            self.ready.remove(&(k, group));
        }
        if !g.busy {
            if let Some(&(seq, _)) = g.visible.first() {
                g.ready_at = Some(seq);
                self.ready.insert((seq, group));
            }
        }
    }

    fn arm_scaling(&mut self, ctx: &mut Ctx<'_>) {
        if self.cfg.consumer.is_some() && !self.scale_armed && ctx.now() < self.clock.end {
            self.scale_armed = true;
            ctx.schedule(SCALE_STEP, Timer::Scale.encode());
        }
    }

    /// Whether visible messages wait for a poller: not those a free poller is gathering
    /// into a batch in its batching window (they are in its hands, as AWS's poller has
    /// received them), so that a window does not read as a backlog and scale the pollers
    /// up while they idle.
    fn messages_remain(&self) -> bool {
        let gathering = self.cfg.consumer.as_ref().is_some_and(|c| {
            self.window_armed && self.batch_unfilled(c) && self.active < self.target
        });
        self.visible_count > 0 && !gathering
    }

    /// Whether a poller with a batching window would wait for more messages: the visible
    /// ones fill neither the batch size nor the payload of a synchronous invocation (6 MB).
    /// `lambda:invocation-eventsourcemapping.html` (Batching behavior): the poller reads
    /// until the window ends, the batch is full, or the payload reaches 6 MB; here the
    /// payload is full once it holds 6 MB or the next message would not fit
    /// (`take_visible`).
    fn batch_unfilled(&self, c: &Consumer) -> bool {
        c.window > SimTime::ZERO
            && self.visible_count < c.batch_size as usize
            && self.visible_bytes < crate::components::LAMBDA_SYNC_PAYLOAD_MAX
    }

    /// aws-facts: §16 SQS: while messages remain, up to 300 more concurrent batches a
    /// minute, to the maximum; back to the start once the queue is empty. AWS does not say
    /// how fast it scales back: here a queue found empty keeps its pollers while batches are
    /// still running, and goes back to the start once none is (a choice), so a mapping that
    /// keeps up with a steady load holds its concurrency rather than falling to 5 at each
    /// instant the queue is empty and climbing again (a sawtooth backlog of seconds' lag
    /// that AWS's pollers do not show).
    fn scale(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let (cap, step) = self.cfg.consumer.as_ref().map_or((0, 0), |c| {
            let step = if c.provisioned.is_some() {
                PROVISIONED_ADD_PER_STEP
            } else {
                ADD_PER_STEP
            };
            (c.max_concurrency, step)
        });
        // The knowledge center's "lambda-sqs-scaling": "Lambda throttles function scaling when
        // invocation errors occur. When the errors are resolved, Lambda continues to scale":
        // no step up after a step in which the mapping backed off.
        let backed_off = std::mem::take(&mut self.backed_off);
        if self.messages_remain() && now < self.clock.end {
            if !backed_off {
                self.target = (self.target + step).min(cap);
            }
            ctx.schedule(SCALE_STEP, Timer::Scale.encode());
        } else if self.active > 0 && now < self.clock.end {
            ctx.schedule(SCALE_STEP, Timer::Scale.encode());
        } else {
            self.target = self.base;
            self.scale_armed = false;
        }
        self.pollers.set(&self.clock, now, f64::from(self.target));
        self.dispatch(ctx);
    }

    /// Hands visible messages to free pollers, one batch each, while there are both.
    fn dispatch(&mut self, ctx: &mut Ctx<'_>) {
        let Some(c) = self.cfg.consumer.clone() else {
            return;
        };
        let now = ctx.now();
        // The mapping stops with the run: what the queue then holds is its backlog at the
        // end, rather than work that would run on for days of simulated time.
        if now >= self.clock.end {
            return;
        }
        while self.active < self.target && self.visible_count > 0 {
            if self.cfg.fifo && self.ready.is_empty() {
                break;
            }
            // A poller with a batching window waits for a full batch, or the window's end.
            if self.batch_unfilled(&c) && !self.window_over {
                if !self.window_armed {
                    self.window_armed = true;
                    ctx.schedule(c.window, Timer::Window.encode());
                }
                break;
            }
            // aws-facts: §15 SQS: beyond the in-flight limit a receive gets nothing
            // (OverLimit).
            if self.in_flight_count >= self.in_flight_limit() {
                self.over_limit += u64::from(self.clock.measured(now));
                break;
            }
            let group = self.ready.first().map_or(0, |&(_, g)| g);
            if self.cfg.fifo && !self.receive_quota.try_take(now, group) {
                if !self.quota_armed {
                    self.quota_armed = true;
                    ctx.schedule(
                        SimTime::from_secs_f64(1.0 / FIFO_TPS),
                        Timer::Quota.encode(),
                    );
                }
                break;
            }
            self.receive(ctx, &c);
        }
        self.window_over = false;
        self.set_levels(now);
    }

    /// The next visible message a receive takes: a standard queue's oldest, or the next of
    /// the FIFO group being received.
    fn next_visible(&mut self, group: Option<u32>) -> Option<usize> {
        let id = match group {
            Some(g) => self.groups[g as usize].visible.pop_first()?.1,
            None => self.visible.pop_first()?.1,
        };
        self.visible_count -= 1;
        self.visible_bytes -= u64::from(self.msgs[id].size);
        Some(id)
    }

    /// Takes visible messages into the batch being received, in order (of `group`, or of
    /// the standard queue), until it holds the consumer's batch size or the next message
    /// would take it past the synchronous invocation's payload limit: then true.
    fn take_visible(
        &mut self,
        ctx: &mut Ctx<'_>,
        c: &Consumer,
        group: Option<u32>,
        taken: &mut Vec<usize>,
        bytes: &mut u64,
    ) -> bool {
        let now = ctx.now();
        while taken.len() < c.batch_size as usize {
            let next = match group {
                Some(g) => self.groups[g as usize].visible.first(),
                None => self.visible.first(),
            };
            let Some(&(_, next)) = next else {
                return false;
            };
            let size = u64::from(self.msgs[next].size);
            if !taken.is_empty() && *bytes + size > crate::components::LAMBDA_SYNC_PAYLOAD_MAX {
                return true;
            }
            let Some(id) = self.next_visible(group) else {
                return false;
            };
            // aws-facts: §15 SQS: a message received max_receive_count times moves to the
            // dead-letter queue at its next receive.
            if let Some((max, _)) = self.cfg.redrive {
                if self.msgs[id].receives >= max {
                    self.redrive(ctx, id);
                    continue;
                }
            }
            self.msgs[id].receives += 1;
            *bytes += size;
            ctx.take_span(self.msgs[id].span);
            if self.msgs[id].receives > 1 {
                self.redelivered += u64::from(self.clock.measured(now));
            }
            taken.push(id);
        }
        true
    }

    /// The poller's ReceiveMessage calls and the consumer's invocation with what they got.
    fn receive(&mut self, ctx: &mut Ctx<'_>, c: &Consumer) {
        let now = ctx.now();
        self.bill(now, 1.0);
        let mut taken = Vec::new();
        let mut bytes = 0u64;
        let mut groups = Vec::new();
        if self.cfg.fifo {
            // `lambda:services-sqs-scaling.html`: "each batch may contain messages from more
            // than one message group, but the order of messages within each group is
            // maintained": the ready groups in the order of their oldest message, each read
            // in order until the batch is full; each group taken is held until the batch ends.
            while taken.len() < c.batch_size as usize {
                let Some(&(_, g)) = self.ready.first() else {
                    break;
                };
                let before = taken.len();
                let full = self.take_visible(ctx, c, Some(g), &mut taken, &mut bytes);
                self.groups[g as usize].busy = taken.len() > before;
                self.refresh_group(g);
                if taken.len() > before {
                    groups.push(g);
                }
                if full {
                    break;
                }
            }
        } else {
            self.take_visible(ctx, c, None, &mut taken, &mut bytes);
        }
        if taken.is_empty() {
            return;
        }
        self.in_flight_count += taken.len();
        // A ReceiveMessage returns at most 10 messages, each 64 KB of what it returns a
        // request on the bill: a batch of more is that many more receives (the first is
        // billed above, as an empty one is).
        let receives: u64 = taken
            .chunks(MAX_RECEIVE)
            .map(|ids| {
                let bytes: u64 = ids.iter().map(|&id| u64::from(self.msgs[id].size)).sum();
                bytes.div_ceil(CHUNK_BYTES).max(1)
            })
            .sum();
        self.bill(now, receives.saturating_sub(1) as f64);
        self.next_gen = self.next_gen.wrapping_add(1);
        let gen = self.next_gen;
        let slot = self.batches.insert(Batch {
            gen,
            msgs: taken,
            groups,
            answered: false,
            returned: false,
            visibility: None,
            received: now,
        });
        let me = BatchRef { slot, gen };
        // A visibility timeout that would end after the run is never set: the pollers have
        // stopped by then, and the run does not go on for hours of simulated time for it.
        if now + self.cfg.visibility_timeout < self.clock.end {
            self.batches[slot].visibility =
                ctx.schedule_fixed(self.cfg.visibility_timeout, Timer::Visible(me).encode());
        }
        self.active += 1;
        self.batches_started += u64::from(self.clock.measured(now));
        self.concurrent
            .set(&self.clock, now, f64::from(self.active));
        self.invoke(ctx, c, me, false);
    }

    /// Invokes the consumer with batch `me` (`retry`: again, after a throttle).
    fn invoke(&mut self, ctx: &mut Ctx<'_>, c: &Consumer, me: BatchRef, retry: bool) {
        let taken = &self.batches[me.slot].msgs;
        let bytes: u64 = taken.iter().map(|&id| u64::from(self.msgs[id].size)).sum();
        let size = bytes.min(u64::from(u32::MAX)) as u32;
        let first = &self.msgs[taken[0]];
        // The batch's call nests under the wait of its first traced message and links the
        // others' waits: X-Ray continues the trace of the SQS message into the function it
        // triggers and links the producers' traces to the consumer's (AWS X-Ray developer
        // guide, "Tracing event-driven applications",
        // https://docs.aws.amazon.com/xray/latest/devguide/xray-tracelinking.html), and
        // OpenTelemetry's messaging conventions link each message of a batch received at
        // once. Which message parents the batch neither documents: the first traced one,
        // a choice.
        let (parent, links) = batch_spans(taken.iter().map(|&id| self.msgs[id].span));
        let msg = Msg {
            op: first.op,
            key: first.key,
            size_bytes: size,
            client: first.client,
            instance: 0,
            messages: taken.len() as u16,
            origin: first.origin,
            asynchronous: false,
            span: parent,
        };
        let tag = Tag::Batch(me).encode();
        if msg.messages > 1 || c.report_batch_item_failures {
            // The consumer decides each message by its own operation (and, with
            // ReportBatchItemFailures, says which failed).
            let items = self.batches[me.slot]
                .msgs
                .iter()
                .map(|&id| {
                    let m = &self.msgs[id];
                    Item {
                        op: m.op,
                        failed: false,
                        key: m.key,
                        size: m.size,
                        client: m.client,
                        origin: m.origin,
                        group: if self.cfg.fifo { m.group + 1 } else { 0 },
                    }
                })
                .collect();
            let call = self.edges[0].attempt(ctx, &mut self.rng, msg, tag, retry);
            ctx.attach_items(call, items, c.report_batch_item_failures);
            ctx.link_call(call, &links);
        } else {
            self.edges[0].attempt(ctx, &mut self.rng, msg, tag, retry);
        }
    }

    /// Moves message `id` (taken off the visible ones) to the dead-letter queue.
    fn redrive(&mut self, ctx: &mut Ctx<'_>, id: usize) {
        let now = ctx.now();
        let m = self.msgs.remove(id);
        self.by_age.remove(&(m.sent, id));
        self.moved
            .add(&self.clock, now, self.clock.measured(m.sent));
        self.dead_letter_age
            .record(now - m.sent, self.clock.measured(m.sent));
        self.events.push(
            now,
            "dead_letter",
            format!("message sent at {} after {} receives", m.sent, m.receives),
        );
        let msg = Msg {
            op: m.op,
            key: m.key,
            size_bytes: m.size,
            client: m.client,
            instance: REDRIVE,
            messages: 1,
            origin: m.origin,
            asynchronous: false,
            span: m.span,
        };
        let edge = usize::from(self.cfg.consumer.is_some());
        self.edges[edge].call(ctx, &mut self.rng, msg, Tag::Redrive.encode());
        // After the call, which nests under the wait and holds the trace in its place.
        ctx.release_span(m.span, SpanEnd::DeadLettered);
    }

    /// The consumer answered a batch.
    fn answered(&mut self, ctx: &mut Ctx<'_>, r: Reply) {
        let Some(Tag::Batch(b)) = Tag::decode(r.tag) else {
            return;
        };
        let now = ctx.now();
        if self.batches.get(b.slot).is_none_or(|x| x.gen != b.gen) {
            return;
        }
        let measured = u64::from(self.clock.measured(now));
        let reports = self
            .cfg
            .consumer
            .as_ref()
            .is_some_and(|c| c.report_batch_item_failures);
        if r.outcome == Outcome::Status(crate::components::lambda::THROTTLED) {
            self.throttled_invocations += measured;
            self.back_off(now);
            if self.retry_later(ctx, b) {
                return;
            }
        } else if !r.outcome.is_success() && !reports {
            // `lambda:services-sqs-errorhandling.html`: a function error also makes Lambda
            // lower the mapping's concurrency; with ReportBatchItemFailures it does not
            // scale polling down when an invocation fails.
            self.back_off(now);
        }
        self.active -= 1;
        self.concurrent
            .set(&self.clock, now, f64::from(self.active));
        let batch = &mut self.batches[b.slot];
        batch.answered = true;
        if batch.returned {
            // Its messages were visible again before the answer came: nothing to delete.
            self.batches.remove(b.slot);
        } else if r.outcome.is_success() {
            let failed = self.failed_items(ctx);
            let batch = &mut self.batches[b.slot];
            let mut msgs = std::mem::take(&mut batch.msgs);
            // aws-facts: §16 SQS: with ReportBatchItemFailures only the failed messages stay
            // in flight, to become visible after the visibility timeout; the rest are deleted.
            let kept: Vec<usize> = failed.iter().map(|&i| msgs[i]).collect();
            for &i in failed.iter().rev() {
                msgs.remove(i);
            }
            // A group with none of its messages kept is free again; one with a failed
            // message stays blocked, in order, until the visibility timeout.
            let freed: Vec<u32> = batch
                .groups
                .iter()
                .copied()
                .filter(|&g| kept.iter().all(|&id| self.msgs[id].group != g))
                .collect();
            batch.groups.retain(|g| !freed.contains(g));
            if kept.is_empty() {
                if let Some(h) = self.batches.remove(b.slot).visibility {
                    ctx.cancel_timer(h);
                }
            } else {
                // The batch holds its failed messages until the visibility timeout.
                self.items_failed += u64::from(self.clock.measured(now)) * kept.len() as u64;
                batch.msgs = kept;
            }
            for g in freed {
                self.groups[g as usize].busy = false;
                self.refresh_group(g);
            }
            if !msgs.is_empty() {
                // A DeleteMessageBatch for each 10.
                let deletes = msgs.len().div_ceil(MAX_RECEIVE);
                self.bill(now, deletes as f64);
            }
            for id in msgs {
                let m = self.msgs.remove(id);
                self.in_flight_count -= 1;
                if m.expired {
                    ctx.release_span(m.span, SpanEnd::Expired);
                    continue;
                }
                // Deleted: its last wait ended when it was received.
                ctx.release_span(m.span, SpanEnd::Received);
                self.by_age.remove(&(m.sent, id));
                let measured = self.clock.measured(m.origin);
                // Of the messages sent in the measured period, as its sends are (whenever
                // deleted): one sent in the warmup is not among them.
                self.deletes
                    .add(&self.clock, now, self.clock.measured(m.sent));
                // The processing lag: from the client's request that sent the message (through
                // any hops and queues before this one) to the message's delete.
                self.lag.record(now - m.origin, measured);
            }
        } else {
            // aws-facts: §16 SQS: a failed batch stays invisible until its visibility
            // timeout; a FIFO group stays blocked until then.
            self.batches_failed += u64::from(self.clock.measured(now));
        }
        self.dispatch(ctx);
    }

    /// `lambda:services-sqs-errorhandling.html`: after a throttled (or, without
    /// ReportBatchItemFailures, a failed) invocation Lambda "gradually backs off, reducing
    /// the amount of concurrency allocated" to the mapping: `backoff_batches` fewer, not
    /// below where it starts (5 batches, or a provisioned mapping's minimum pollers: aws-facts
    /// §16 has it go lower, to 2, only when traffic is low, a saving of SQS calls, not a
    /// backoff). The scaling step adds batches again once a step passes without a backoff.
    fn back_off(&mut self, now: SimTime) {
        let Some(c) = &self.cfg.consumer else {
            return;
        };
        let floor = self.base;
        if c.backoff_batches == 0 {
            return;
        }
        self.target = self
            .target
            .saturating_sub(c.backoff_batches)
            .max(floor.min(self.target));
        self.backed_off = true;
        self.pollers.set(&self.clock, now, f64::from(self.target));
    }

    /// A throttled batch's poller keeps it and invokes again after
    /// `Consumer::throttle_retry_delay`, as `lambda:services-sqs-errorhandling.html` says
    /// Lambda does "until the message's timestamp exceeds your queue's visibility timeout";
    /// the page puts the backoff in the mapping's lowered concurrency (`back_off`), not in
    /// longer waits, so each wait is the same: true when a retry is due before the batch's
    /// visibility timeout ends; otherwise the batch has failed, its messages visible again
    /// when the timeout ends.
    fn retry_later(&mut self, ctx: &mut Ctx<'_>, b: BatchRef) -> bool {
        let now = ctx.now();
        let Some(c) = &self.cfg.consumer else {
            return false;
        };
        let batch = &self.batches[b.slot];
        let delay = c.throttle_retry_delay;
        let at = now + delay;
        if batch.returned || at >= batch.received + self.cfg.visibility_timeout {
            return false;
        }
        // The mapping stops with the run: a retry due after it is not made, and the batch
        // stays in its poller's hands, in flight at the end.
        if at < self.clock.end {
            ctx.schedule(delay, Timer::Retry(b).encode());
            self.throttle_retries += u64::from(self.clock.measured(now));
        }
        true
    }

    /// A throttled batch's backoff is over: its poller invokes the consumer with it again.
    fn retry(&mut self, ctx: &mut Ctx<'_>, b: BatchRef) {
        let Some(c) = self.cfg.consumer.clone() else {
            return;
        };
        match self.batches.get(b.slot).filter(|x| x.gen == b.gen) {
            Some(x) if !x.returned => self.invoke(ctx, &c, b, true),
            // Not reached (a retry is due before the visibility timeout), but should its
            // messages be visible again, the poller lets the batch go.
            Some(_) => {
                self.batches.remove(b.slot);
                self.active -= 1;
                let now = ctx.now();
                self.concurrent
                    .set(&self.clock, now, f64::from(self.active));
                self.dispatch(ctx);
            }
            None => {}
        }
    }

    /// The places in its batch of the messages the consumer reported failed, in order,
    /// while a successful answer is handled: none unless the mapping takes partial answers.
    /// In a FIFO queue's batch the consumer reports a group from its first failed message on
    /// (Lambda does, `Lambda::start_handler`, after AWS's advice that a FIFO consumer report
    /// every message after the first failure too; aws-facts §16 only says an error blocks
    /// the group), so that the group keeps its order.
    fn failed_items(&self, ctx: &Ctx<'_>) -> Vec<usize> {
        let reports = self
            .cfg
            .consumer
            .as_ref()
            .is_some_and(|c| c.report_batch_item_failures);
        let Some(items) = ctx.replied_items().filter(|_| reports) else {
            return Vec::new();
        };
        (0..items.len()).filter(|&i| items[i].failed).collect()
    }

    /// A batch's visibility timeout is over: its messages are visible again.
    fn visible_again(&mut self, ctx: &mut Ctx<'_>, b: BatchRef) {
        let now = ctx.now();
        let Some(batch) = self.batches.get_mut(b.slot).filter(|x| x.gen == b.gen) else {
            return;
        };
        batch.visibility = None;
        batch.returned = true;
        let msgs = std::mem::take(&mut batch.msgs);
        let groups = std::mem::take(&mut batch.groups);
        if batch.answered {
            self.batches.remove(b.slot);
        }
        self.in_flight_count -= msgs.len();
        for &g in &groups {
            self.groups[g as usize].busy = false;
        }
        for id in msgs {
            if self.msgs[id].expired {
                let m = self.msgs.remove(id);
                ctx.release_span(m.span, SpanEnd::Expired);
            } else {
                // Visible again: a second wait (attempt 2, …) beside the first.
                let m = &mut self.msgs[id];
                m.span = ctx.requeue_span(m.span);
                self.make_visible(id);
            }
        }
        for g in groups {
            self.refresh_group(g);
        }
        self.arm_scaling(ctx);
        self.dispatch(ctx);
        self.set_levels(now);
    }

    /// aws-facts: §15 SQS: messages older than the retention period are deleted.
    fn retire(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        while let Some(&(sent, id)) = self.by_age.first() {
            if sent + self.cfg.retention > now {
                if sent + self.cfg.retention < self.clock.end {
                    ctx.schedule(sent + self.cfg.retention - now, Timer::Retention.encode());
                } else {
                    self.retention_armed = false;
                }
                self.set_levels(now);
                return;
            }
            self.by_age.pop_first();
            self.expired += u64::from(self.clock.measured(now));
            let m = &mut self.msgs[id];
            let key = (m.seq, id);
            let group = m.group;
            let was_visible = if self.cfg.fifo {
                self.groups[group as usize].visible.remove(&key)
            } else {
                self.visible.remove(&key)
            };
            if was_visible {
                self.visible_count -= 1;
                self.visible_bytes -= u64::from(self.msgs[id].size);
                let m = self.msgs.remove(id);
                ctx.release_span(m.span, SpanEnd::Expired);
                if self.cfg.fifo {
                    self.refresh_group(group);
                }
            } else {
                // In flight: dropped when its batch ends.
                self.msgs[id].expired = true;
            }
        }
        self.retention_armed = false;
        self.set_levels(now);
    }

    /// The age of the oldest message at the end of a window.
    fn sample(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let age = self
            .by_age
            .first()
            .map_or(0.0, |&(sent, _)| (now - sent).as_secs_f64());
        let w = self.clock.window_of(now).saturating_sub(1);
        if let Some(v) = self.oldest.get_mut(w) {
            *v = age;
        }
        if self.clock.measured(now) {
            self.oldest_max = self.oldest_max.max(age);
        }
        if now < self.clock.end {
            let next = self.clock.window_close(now);
            ctx.schedule(next - now, Timer::Sample.encode());
        } else {
            self.backlog_end = self.visible_count;
            self.in_flight_end = self.in_flight_count;
        }
    }
}

impl Component for Sqs {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        ctx.schedule(self.clock.window_close(now) - now, Timer::Sample.encode());
        self.pollers.set(&self.clock, now, f64::from(self.target));
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Call(call, msg) => self.send(ctx, call, msg),
            Input::Reply(r) => self.answered(ctx, r),
            Input::Timer(t) => match Timer::decode(t) {
                Some(Timer::Visible(b)) => self.visible_again(ctx, b),
                Some(Timer::Retention) => self.retire(ctx),
                Some(Timer::Window) => {
                    self.window_armed = false;
                    self.window_over = true;
                    self.dispatch(ctx);
                }
                Some(Timer::Scale) => self.scale(ctx),
                Some(Timer::Sample) => self.sample(ctx),
                Some(Timer::Quota) => {
                    self.quota_armed = false;
                    self.dispatch(ctx);
                }
                Some(Timer::Retry(b)) => self.retry(ctx, b),
                None => {}
            },
            Input::Fault { .. } => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        for l in [
            &mut self.backlog,
            &mut self.in_flight,
            &mut self.pollers,
            &mut self.concurrent,
        ] {
            l.finish(c);
        }
        let secs = c.measured_secs();
        // An idle poller long-polls: one empty receive per 20 s it waits.
        let idle = ((self.pollers.mean(c) - self.concurrent.mean(c)) * secs).max(0.0);
        let empty_receives = idle / LONG_POLL;
        let requests = self.billed + empty_receives;
        let price = if self.cfg.fifo {
            PRICE_FIFO
        } else {
            PRICE_STANDARD
        };
        let mut m = MetricSet::default();
        m.count("sends", self.sends.total());
        m.count("throttles", self.throttles);
        m.count("refused_full", self.refused);
        if let Some(n) = self.failed_entries {
            m.count("failed_entries", n);
        }
        m.count("deletes", self.deletes.total());
        m.count("expired", self.expired);
        m.count("moved_to_dead_letter", self.moved.total());
        m.count("received_by_redrive", self.redriven_in);
        m.count("over_limit", self.over_limit);
        m.count("batches", self.batches_started);
        m.count("failed_batches", self.batches_failed);
        if let Some(c) = &self.cfg.consumer {
            m.count("redelivered", self.redelivered);
            m.count("throttled_invocations", self.throttled_invocations);
            m.count("throttle_retries", self.throttle_retries);
            if c.report_batch_item_failures {
                m.count("failed_items", self.items_failed);
            }
        }
        m.gauge("backlog_mean", self.backlog.mean(c));
        m.gauge("backlog_max", self.backlog.max());
        m.gauge("in_flight_max", self.in_flight.max());
        m.gauge("concurrent_batches_max", self.concurrent.max());
        m.gauge("oldest_age_max_s", self.oldest_max);
        m.gauge("backlog_end", self.backlog_end as f64);
        m.gauge("in_flight_end", self.in_flight_end as f64);
        m.gauge("requests_billed", requests);
        m.gauge("cost_usd", requests * price);
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.hist("lag_ms", &self.lag.summary());
        m.hist("dead_letter_age_ms", &self.dead_letter_age.summary());
        m.hist("response_ms", &self.response.summary());
        ComponentReport {
            metrics: m,
            series: vec![
                (&SENDS, self.sends.rate_series(c)),
                (&DELETES, self.deletes.rate_series(c)),
                (&BACKLOG, self.backlog.mean_series(c)),
                (&IN_FLIGHT, self.in_flight.mean_series(c)),
                (&OLDEST, self.oldest.clone()),
                (&MOVED, self.moved.count_series()),
                (&BATCHES, self.concurrent.mean_series(c)),
                (&POLLERS, self.pollers.mean_series(c)),
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
        fn tokens_survive_the_kernel(slot in 0usize..(1 << 27), gen in any::<u32>(), v in 0u8..7) {
            let b = BatchRef { slot, gen };
            let t = match v {
                0 => Timer::Visible(b),
                1 => Timer::Retention,
                2 => Timer::Window,
                3 => Timer::Scale,
                4 => Timer::Sample,
                5 => Timer::Quota,
                _ => Timer::Retry(b),
            };
            prop_assert_eq!(token_round_trip(t), Ok(()));
            prop_assert_eq!(token_round_trip(Tag::Batch(b)), Ok(()));
            prop_assert_eq!(token_round_trip(Tag::Redrive), Ok(()));
        }
    }
}
