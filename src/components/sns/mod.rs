//! Amazon SNS: a topic fanning each published message out to its subscriptions (aws-facts
//! §17 SNS).
//!
//! Publish is admitted by the topic's quota (a token bucket holding one second's worth:
//! AWS states a rate), answered 400 ThrottlingException beyond, which callers' SDKs retry,
//! and 200 after `publish_latency` otherwise. Each subscription whose filter lets the
//! message's operation through gets its own delivery, first attempted `delivery_latency`
//! after the publish: to a queue a send, to a function an asynchronous invocation (accepted
//! with 202, §14), to any other component an HTTP/S request that waits `timeout` for its
//! answer. A delivery that fails is retried by its subscription's policy: AWS's managed
//! policy for SQS and Lambda (3 retries at once, 2 after 1 s, 10 backing off to 20 s, then
//! 100,000 at 20 s), 3 retries 20 s apart for HTTP/S unless the subscription has its own
//! `delivery_policy`. An HTTP/S client error (4xx but 429) is not retried; every other failure
//! (5xx, 429, a timeout, a refused connection, an error in the answer) is. A delivery whose
//! retries are spent is given up, to the subscription's dead-letter queue if it has one.
//! Each retry's delay is jittered by `retry_jitter` (±10 % by default: AWS jitters them by
//! an amount it does not give). A retry
//! that would come after the run's end is not made: the delivery is counted in
//! `pending_end`, rather than retried for 23 days of simulated time. Deliveries pending are
//! bounded by `limits::MAX_QUEUE_MESSAGES`: a publish that would exceed it is refused with
//! 503 and counted.
//!
//! A FIFO topic (aws-facts §17) puts each message in a message group, its key modulo
//! `message_groups` (as an SQS FIFO queue does), and delivers each subscription's messages
//! of a group one at a time, in the order they were published: a message waits until the
//! one before it in its group has been delivered or given up (`sns:fifo-topic-message-
//! ordering.html`), so a subscribed SQS FIFO queue receives them in order. It drops a
//! message whose deduplication id it accepted in the last 5 minutes, answering 200 as AWS
//! does (`deduplicated`): the id is the client request's identity (its origin time, key,
//! operation and client), which an SDK's retry of the same publish carries again, whether
//! AWS derives it from the content or the publisher sets it. Its quota is 3,000 publishes a
//! second for the topic, or, with `fifo_throughput_scope = "MessageGroup"`, `group_quota`
//! for each group and the Region's maximum for the topic (deduplication then per group,
//! which changes nothing here: a retry is in its original's group). Every topic counts the
//! deliveries a subscriber accepted before a message published earlier in its group
//! (`reordered`; a standard topic has one group): a standard topic's deliveries overtake
//! each other when their latencies differ, a FIFO topic's never.
//!
//! Not modelled: message attributes other than the operation, raw message delivery, SMS,
//! email and mobile push.

mod config;
mod kind;
pub(crate) use kind::subscription_keys;

pub use config::{Policy, Protocol, Scope, SnsConfig};

use super::token_bucket::TokenBucket;
use super::{BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::{Ctx, Input, Item, Msg, Outcome, Reply, SimRng, SimTime, SpanEnd};
use crate::metrics::{Clock, Counter, Counts, Durations, Level, MetricSet};
use crate::status;
use kind::{DELIVERED, FAILED, PENDING, PUBLISHES};
use slab::Slab;
use std::collections::{BTreeMap, VecDeque};

/// The status of a publish over the topic's quota (aws-facts: §17 SNS: ThrottlingException,
/// "Rate exceeded", HTTP 400).
pub const THROTTLED: u16 = status::BAD_REQUEST;
/// The status of a publish refused because archsim's limit of pending deliveries is reached.
pub const FULL: u16 = status::SERVICE_UNAVAILABLE;
/// The most messages one PublishBatch takes (AWS's PublishBatch API reference: more than 10
/// is a TooManyEntriesInBatchRequest; aws-facts: §17 `PublishBatch` ≤10 messages).
pub const MAX_PUBLISH_BATCH: u16 = 10;

/// Each 64 KB of a message is billed as one request (third-party copies of AWS's pricing
/// page, as for SQS; aws-facts has no SNS price).
const CHUNK_BYTES: u64 = 64 * 1024;
/// The largest message, and the largest PublishBatch (its messages' sizes summed), in bytes
/// (AWS's Publish API reference: "at most 256 KB in size (262,144 bytes)"; PublishBatch: "the
/// maximum total payload size (the sum of the individual lengths of all of the batched
/// messages) are both 256 KB (262,144 bytes)"; aws-facts: §17). A larger publish is refused
/// whole (InvalidParameter, BatchRequestTooLong: HTTP 400, which no SDK retries), counted as
/// 413 (`status::PAYLOAD_TOO_LARGE`), neither delivered nor billed.
pub const MAX_MESSAGE_BYTES: u32 = 256 * 1024;
/// Standard topics: $0.50 per million publishes, $0.60 per million HTTP/S deliveries;
/// deliveries to SQS and Lambda are free [O] (same source).
const PRICE_PUBLISH: f64 = 0.50 / 1e6;
const PRICE_HTTP_DELIVERY: f64 = 0.60 / 1e6;

/// A message's delivery to one subscription.
struct Delivery {
    msg: Msg,
    sub: usize,
    published: SimTime,
    /// Attempts made so far.
    attempts: u32,
    /// Its message group (0 on a standard topic).
    group: u32,
    /// Its message's place in the topic's publishes.
    seq: u64,
    /// When its first attempt may be made: its publish's answer and delivery latency after
    /// the publish (a FIFO delivery waiting its turn is made then, or when its turn comes).
    ready: SimTime,
}

/// A subscription's deliveries of one message group that are not over, and the latest
/// message of the group it has accepted.
#[derive(Default)]
struct Lane {
    /// Deliveries not over.
    pending: u32,
    /// FIFO: those waiting behind the one being made, in publish order.
    waiting: VecDeque<usize>,
    /// The latest publish (by `seq`) the subscriber accepted.
    last_done: Option<u64>,
}

/// What the topic's timers and replies are for: a delivery, by its slot. A delivery waits
/// for exactly one thing at a time (its next attempt, or that attempt's answer, which the
/// kernel always gives), so its slot is not reused while either is outstanding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Attempt(usize),
    /// A dead-letter queue's answer.
    DeadLetter,
}

impl Token for Tag {
    fn encode(self) -> u64 {
        match self {
            Tag::Attempt(d) => super::pack(0, d as u64),
            Tag::DeadLetter => super::pack(1, 0),
        }
    }

    fn decode(token: u64) -> Option<Tag> {
        match super::unpack(token) {
            (0, d) => Some(Tag::Attempt(d as usize)),
            (1, 0) => Some(Tag::DeadLetter),
            _ => None,
        }
    }
}

/// What each subscription counts.
#[derive(Clone, Copy, Default)]
struct PerSubscription {
    delivered: u64,
    given_up: u64,
}

/// A running SNS topic.
pub struct Sns {
    cfg: SnsConfig,
    clock: Clock,
    rng: SimRng,
    edges: Vec<Edge>,
    names: Vec<String>,
    quota: TokenBucket,
    /// Under `MessageGroup` scope, each group's quota.
    group_quotas: Vec<TokenBucket>,
    deliveries: Slab<Delivery>,
    /// Each (subscription, group) with deliveries not over.
    lanes: BTreeMap<(usize, u32), Lane>,
    /// FIFO: the deduplication ids accepted in the last 5 minutes, each with when it is
    /// forgotten, and the same in the order they are.
    seen: BTreeMap<u64, SimTime>,
    forget: VecDeque<(SimTime, u64)>,
    next_seq: u64,
    deduplicated: u64,
    reordered: u64,
    publishes: Counter,
    delivered: Counter,
    failed: Counter,
    pending: Level,
    statuses: Counts<Outcome>,
    throttled: u64,
    refused: u64,
    /// Entries of PublishBatch calls refused while others of theirs were published; `None`
    /// until a batch comes (reported only then).
    failed_entries: Option<u64>,
    attempts: u64,
    retries: u64,
    given_up: u64,
    to_dead_letter: u64,
    pending_end: u64,
    per_sub: Vec<PerSubscription>,
    delivery_time: Durations,
    billed_publishes: f64,
    billed_http: f64,
}

impl Sns {
    /// Builds it for one run.
    pub fn new(cfg: SnsConfig, env: BuildEnv) -> Sns {
        let clock = env.clock;
        let n = cfg.subscriptions.len();
        Sns {
            quota: TokenBucket::new(cfg.publish_quota, cfg.publish_quota.ceil().max(1.0) as u64),
            group_quotas: if cfg.fifo && cfg.scope == Scope::MessageGroup {
                let q = cfg.group_quota;
                (0..cfg.message_groups)
                    .map(|_| TokenBucket::new(q, q.ceil().max(1.0) as u64))
                    .collect()
            } else {
                Vec::new()
            },
            deliveries: Slab::new(),
            lanes: BTreeMap::new(),
            seen: BTreeMap::new(),
            forget: VecDeque::new(),
            next_seq: 0,
            deduplicated: 0,
            reordered: 0,
            publishes: Counter::new(&clock),
            delivered: Counter::new(&clock),
            failed: Counter::new(&clock),
            pending: Level::new(&clock),
            statuses: Counts::default(),
            throttled: 0,
            refused: 0,
            failed_entries: None,
            attempts: 0,
            retries: 0,
            given_up: 0,
            to_dead_letter: 0,
            pending_end: 0,
            per_sub: vec![PerSubscription::default(); n],
            delivery_time: Durations::default(),
            billed_publishes: 0.0,
            billed_http: 0.0,
            names: env.edge_names,
            edges: env.edges,
            rng: env.rng,
            clock,
            cfg,
        }
    }

    /// The subscriptions whose filter lets operation `op` through.
    fn subscribed(&self, op: u16) -> impl Iterator<Item = usize> + '_ {
        (0..self.cfg.subscriptions.len()).filter(move |&i| self.cfg.subscriptions[i].wants(op))
    }

    fn chunks(msg: &Msg) -> f64 {
        u64::from(msg.size_bytes).div_ceil(CHUNK_BYTES).max(1) as f64
    }

    /// The FIFO message group of a message with `key` (0 in a standard topic).
    fn group_of(&self, key: u64) -> u32 {
        if self.cfg.fifo {
            (key % u64::from(self.cfg.message_groups)) as u32
        } else {
            0
        }
    }

    /// Whether the topic takes one more message of `group` now, and, if not, the status it
    /// answers: the publish quota's (aws-facts: §17: a FIFO topic's quota is the topic's, or
    /// under message-group scope each group's, and the Region's maximum for the topic), or
    /// a full topic's.
    fn admit(&mut self, now: SimTime, group: u32, wanted: usize) -> Result<(), u16> {
        self.admit_beside(now, group, wanted, 0)
    }

    /// `admit`, beside `held` deliveries its batch is about to add.
    fn admit_beside(
        &mut self,
        now: SimTime,
        group: u32,
        wanted: usize,
        held: usize,
    ) -> Result<(), u16> {
        let group_ok = match self.group_quotas.get_mut(group as usize) {
            Some(q) => q.try_take(now),
            None => true,
        };
        if !group_ok || !self.quota.try_take(now) {
            return Err(THROTTLED);
        }
        if self.deliveries.len() + held + wanted > crate::limits::MAX_QUEUE_MESSAGES as usize {
            return Err(FULL);
        }
        Ok(())
    }

    fn count_refusal(&mut self, status: u16, measured: bool) {
        if status == THROTTLED {
            self.throttled += u64::from(measured);
        } else {
            self.refused += u64::from(measured);
        }
    }

    fn publish(&mut self, ctx: &mut Ctx<'_>, call: crate::kernel::CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        if msg.size_bytes > MAX_MESSAGE_BYTES {
            self.statuses
                .add(Outcome::Status(status::PAYLOAD_TOO_LARGE), measured);
            ctx.reply(call, status::PAYLOAD_TOO_LARGE);
            return;
        }
        if let Some(items) = ctx.entries_mut(call, &msg) {
            let items = items.to_vec();
            self.publish_batch(ctx, call, msg, &items);
            return;
        }
        let group = self.group_of(msg.key);
        let wanted = self.subscribed(msg.op).count();
        if let Err(status) = self.admit(now, group, wanted) {
            self.count_refusal(status, measured);
            self.statuses.add(Outcome::Status(status), measured);
            ctx.reply(call, status);
            return;
        }
        self.publishes.add(&self.clock, now, measured);
        if measured {
            self.billed_publishes += Self::chunks(&msg);
        }
        let answered = self.cfg.publish_latency.sample_time(&mut self.rng);
        self.statuses.add(Outcome::Status(status::OK), measured);
        ctx.reply_after(call, status::OK, answered);
        self.fan_out(ctx, msg, group, answered);
    }

    /// PublishBatch (a Lambda handler's one call for its batch): each entry a message of
    /// its own, admitted by the quota one by one (the quota is a rate of messages, aws-facts:
    /// §17; AWS does not say that a batch's entries count apart, a choice) and delivered to
    /// every subscription that wants it; one request on the bill per 64 KB of the batch
    /// (AWS's SNS pricing: batch publishes are requests, each 64 KB chunk one). An entry
    /// refused is in the answer's `Failed` list, the call a success when some were
    /// published; when none was, the call is refused as its first entry was.
    fn publish_batch(
        &mut self,
        ctx: &mut Ctx<'_>,
        call: crate::kernel::CallId,
        msg: Msg,
        items: &[Item],
    ) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        let (mut published, mut refusal, mut failed) = (Vec::new(), None, Vec::new());
        let mut held = 0;
        self.failed_entries.get_or_insert(0);
        for (k, i) in items.iter().enumerate() {
            let group = self.group_of(i.key);
            let wanted = self.subscribed(i.op).count();
            match self.admit_beside(now, group, wanted, held) {
                Ok(()) => {
                    held += wanted;
                    published.push((i, group));
                }
                Err(status) => {
                    refusal.get_or_insert(status);
                    failed.push(k);
                }
            }
        }
        if let Some(items) = ctx.entries_mut(call, &msg) {
            for &k in &failed {
                items[k].failed = true;
            }
        }
        let status = match refusal {
            Some(s) if published.is_empty() => {
                self.count_refusal(s, measured);
                s
            }
            _ => {
                *self.failed_entries.get_or_insert(0) += failed.len() as u64 * u64::from(measured);
                status::OK
            }
        };
        if measured && !published.is_empty() {
            self.billed_publishes += Self::chunks(&msg);
        }
        let answered = if status == status::OK {
            self.cfg.publish_latency.sample_time(&mut self.rng)
        } else {
            SimTime::ZERO
        };
        self.statuses.add(Outcome::Status(status), measured);
        ctx.reply_after(call, status, answered);
        for (i, group) in published {
            self.publishes.add(&self.clock, now, measured);
            self.fan_out(ctx, i.message(&msg), group, answered);
        }
    }

    /// A published message's deliveries, one per subscription that wants it, the first
    /// attempt `answered` (the publish's answer) plus the delivery latency from now.
    fn fan_out(&mut self, ctx: &mut Ctx<'_>, msg: Msg, group: u32, answered: SimTime) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        if self.cfg.fifo && self.duplicate(now, &msg) {
            // aws-facts: §17: a FIFO topic accepts a duplicate (200) and delivers it to no
            // one.
            self.deduplicated += u64::from(measured);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let msg = Msg {
            asynchronous: false,
            ..msg
        };
        for sub in 0..self.cfg.subscriptions.len() {
            if !self.cfg.subscriptions[sub].wants(msg.op) {
                continue;
            }
            let first = answered + self.cfg.delivery_latency.sample_time(&mut self.rng);
            // A traced publish opens one delivery span per subscription, from the publish to
            // the delivery's end (accepted, given up); its attempts nest under it.
            let wait = ctx.enqueue_span(msg.span, "delivery");
            let d = self.deliveries.insert(Delivery {
                msg: Msg { span: wait, ..msg },
                sub,
                published: now,
                attempts: 0,
                group,
                seq,
                ready: now + first,
            });
            let lane = self.lanes.entry((sub, group)).or_default();
            lane.pending += 1;
            // aws-facts: §17: a FIFO topic delivers a group's messages to each subscription
            // one after the other, in order: a delivery behind another waits its turn.
            if self.cfg.fifo && lane.pending > 1 {
                lane.waiting.push_back(d);
            } else {
                ctx.schedule(first, Tag::Attempt(d).encode());
            }
        }
        self.pending
            .set(&self.clock, now, self.deliveries.len() as f64);
    }

    fn attempt(&mut self, ctx: &mut Ctx<'_>, d: usize) {
        let Some(dl) = self.deliveries.get_mut(d) else {
            return;
        };
        dl.attempts += 1;
        let (sub, msg, published, retry) = (dl.sub, dl.msg, dl.published, dl.attempts > 1);
        let measured = self.clock.measured(published);
        self.attempts += u64::from(measured);
        if self.cfg.protocols[sub] == Protocol::Http && measured {
            self.billed_http += Self::chunks(&msg);
        }
        self.edges[sub].attempt(ctx, &mut self.rng, msg, Tag::Attempt(d).encode(), retry);
    }

    /// The policy a subscription's deliveries are retried by.
    fn policy(&self, sub: usize) -> &Policy {
        match (self.cfg.protocols[sub], &self.cfg.subscriptions[sub].policy) {
            (Protocol::Http, Some(p)) => p,
            (Protocol::Http, None) => &Policy::HTTP,
            _ => &Policy::MANAGED,
        }
    }

    fn answered(&mut self, ctx: &mut Ctx<'_>, d: usize, outcome: Outcome) {
        let now = ctx.now();
        let Some(dl) = self.deliveries.get(d) else {
            return;
        };
        let (sub, published, attempts) = (dl.sub, dl.published, dl.attempts);
        let measured = self.clock.measured(published);
        if outcome.is_success() {
            let dl = self.deliveries.remove(d);
            ctx.release_span(dl.msg.span, SpanEnd::Received);
            self.over(ctx, &dl, true);
            self.delivered.add(&self.clock, now, measured);
            self.per_sub[sub].delivered += u64::from(measured);
            self.delivery_time.record(now - published, measured);
            self.pending
                .set(&self.clock, now, self.deliveries.len() as f64);
            return;
        }
        self.failed.add(&self.clock, now, measured);
        // aws-facts: §17: only server-side failures are retried; an HTTP/S endpoint's client
        // error is final.
        let client_error = matches!(outcome, Outcome::Status(s)
            if (400..500).contains(&s) && s != status::TOO_MANY_REQUESTS)
            && self.cfg.protocols[sub] == Protocol::Http;
        let next = if client_error {
            None
        } else {
            self.policy(sub).delay(attempts)
        };
        // aws-facts: §17: retries are jittered, by `retry_jitter` of their delay.
        let next = next.map(|wait| {
            let j = self.cfg.retry_jitter;
            if j > 0.0 && wait > SimTime::ZERO {
                let u: f64 = rand::Rng::random_range(&mut self.rng, -j..=j);
                SimTime::from_secs_f64(wait.as_secs_f64() * (1.0 + u))
            } else {
                wait
            }
        });
        match next {
            Some(wait) if now + wait < self.clock.end => {
                self.retries += u64::from(measured);
                ctx.schedule(wait, Tag::Attempt(d).encode());
            }
            Some(_) => {
                self.pending_end += u64::from(measured);
                let dl = self.deliveries.remove(d);
                ctx.release_span(dl.msg.span, SpanEnd::Unfinished);
                self.over(ctx, &dl, false);
            }
            None => {
                let dl = self.deliveries.remove(d);
                self.over(ctx, &dl, false);
                self.given_up += u64::from(measured);
                self.per_sub[sub].given_up += u64::from(measured);
                let mut end = SpanEnd::Discarded;
                if let Some(e) = self.cfg.subscriptions[sub].dead_letter {
                    self.to_dead_letter += u64::from(measured);
                    self.edges[e].call(ctx, &mut self.rng, dl.msg, Tag::DeadLetter.encode());
                    end = SpanEnd::DeadLettered;
                }
                ctx.release_span(dl.msg.span, end);
            }
        }
        self.pending
            .set(&self.clock, now, self.deliveries.len() as f64);
    }
}

impl Sns {
    /// Whether a FIFO topic has accepted `msg`'s deduplication id in the last 5 minutes;
    /// if not, it is remembered from `now`.
    fn duplicate(&mut self, now: SimTime, msg: &Msg) -> bool {
        while let Some(&(at, id)) = self.forget.front() {
            if at > now {
                break;
            }
            self.forget.pop_front();
            if self.seen.get(&id) == Some(&at) {
                self.seen.remove(&id);
            }
        }
        let id = dedup_id(msg);
        if self.seen.contains_key(&id) {
            return true;
        }
        let until = now + config::DEDUP_WINDOW;
        self.seen.insert(id, until);
        self.forget.push_back((until, id));
        false
    }

    /// Delivery `dl` is over (`accepted` by its subscriber, or given up): its lane counts
    /// it, and on a FIFO topic the next of its group goes, when its own latency allows.
    fn over(&mut self, ctx: &mut Ctx<'_>, dl: &Delivery, accepted: bool) {
        let key = (dl.sub, dl.group);
        let Some(lane) = self.lanes.get_mut(&key) else {
            return;
        };
        lane.pending -= 1;
        if accepted {
            if lane.last_done.is_some_and(|last| dl.seq < last) {
                self.reordered += u64::from(self.clock.measured(dl.published));
            }
            lane.last_done = Some(lane.last_done.map_or(dl.seq, |l| l.max(dl.seq)));
        }
        if let Some(next) = lane.waiting.pop_front() {
            let ready = self.deliveries[next].ready;
            ctx.schedule(ready.saturating_sub(ctx.now()), Tag::Attempt(next).encode());
        } else if lane.pending == 0 {
            // No delivery of the group is left: none published earlier can come later.
            self.lanes.remove(&key);
        }
    }
}

/// A message's deduplication id: the identity of the client request it carries (its origin
/// time, key, operation and client), which a retry of the same publish carries again.
fn dedup_id(msg: &Msg) -> u64 {
    // splitmix64 over the fields: deterministic, and a collision between two of the
    // messages of one 5-minute window is vanishingly unlikely.
    let mix = |z: u64| crate::kernel::mix(z.wrapping_add(0x9e37_79b9_7f4a_7c15));
    let fields = [
        msg.origin.0,
        msg.key,
        u64::from(msg.op) << 32 | u64::from(msg.client),
    ];
    fields.iter().fold(0, |h, f| mix(h ^ mix(*f)))
}

impl Component for Sns {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Call(call, msg) => self.publish(ctx, call, msg),
            Input::Timer(t) => {
                if let Some(Tag::Attempt(d)) = Tag::decode(t) {
                    self.attempt(ctx, d);
                }
            }
            Input::Reply(Reply { tag, outcome, .. }) => {
                if let Some(Tag::Attempt(d)) = Tag::decode(tag) {
                    self.answered(ctx, d, outcome);
                }
            }
            Input::Fault { .. } => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.pending.finish(c);
        let mut m = MetricSet::default();
        m.count("publishes", self.publishes.total());
        m.count("throttled", self.throttled);
        m.count("refused_full", self.refused);
        if let Some(n) = self.failed_entries {
            m.count("failed_entries", n);
        }
        m.count("deliveries", self.delivered.total());
        m.count("delivery_attempts", self.attempts);
        m.count("retries", self.retries);
        m.count("given_up", self.given_up);
        m.count("to_dead_letter", self.to_dead_letter);
        m.count("pending_end", self.pending_end);
        m.count("reordered", self.reordered);
        if self.cfg.fifo {
            m.count("deduplicated", self.deduplicated);
        }
        for (i, s) in self.per_sub.iter().enumerate() {
            let name = &self.names[i];
            m.count(format!("subscriptions.{name}.delivered"), s.delivered);
            m.count(format!("subscriptions.{name}.given_up"), s.given_up);
        }
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.hist("delivery_ms", &self.delivery_time.summary());
        let billed = self.billed_publishes + self.billed_http;
        m.gauge("requests_billed", billed);
        if !self.cfg.fifo {
            m.gauge(
                "cost_usd",
                self.billed_publishes * PRICE_PUBLISH + self.billed_http * PRICE_HTTP_DELIVERY,
            );
        }
        ComponentReport {
            metrics: m,
            series: vec![
                (&PUBLISHES, self.publishes.rate_series(c)),
                (&DELIVERED, self.delivered.rate_series(c)),
                (&FAILED, self.failed.rate_series(c)),
                (&PENDING, self.pending.mean_series(c)),
            ],
            events: Vec::new(),
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
        fn tags_survive_the_kernel(d in 0usize..(1 << 40)) {
            prop_assert_eq!(token_round_trip(Tag::Attempt(d)), Ok(()));
            prop_assert_eq!(token_round_trip(Tag::DeadLetter), Ok(()));
        }
    }
}
