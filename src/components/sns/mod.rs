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
//! Retries are not jittered here (AWS jitters them by an amount it does not give). A retry
//! that would come after the run's end is not made: the delivery is counted in
//! `pending_end`, rather than retried for 23 days of simulated time. Deliveries pending are
//! bounded by `limits::MAX_QUEUE_MESSAGES`: a publish that would exceed it is refused with
//! 503 and counted. Not modelled: FIFO ordering and deduplication, message attributes other
//! than the operation, raw message delivery, SMS, email and mobile push.

mod config;
mod kind;

pub use config::{Policy, Protocol, SnsConfig};

use super::token_bucket::TokenBucket;
use super::{BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::{Ctx, Input, Msg, Outcome, Reply, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Latency, Level, MetricSet, WindowedCounts};
use crate::status;
use kind::{DELIVERED, FAILED, PENDING, PUBLISHES};
use slab::Slab;

/// The status of a publish over the topic's quota (aws-facts: §17 SNS: ThrottlingException,
/// "Rate exceeded", HTTP 400).
pub const THROTTLED: u16 = status::BAD_REQUEST;
/// The status of a publish refused because archsim's limit of pending deliveries is reached.
pub const FULL: u16 = status::SERVICE_UNAVAILABLE;

/// Each 64 KB of a message is billed as one request (third-party copies of AWS's pricing
/// page, as for SQS; aws-facts has no SNS price).
const CHUNK_BYTES: u64 = 64 * 1024;
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
    deliveries: Slab<Delivery>,
    publishes: Counter,
    delivered: Counter,
    failed: Counter,
    pending: Level,
    statuses: WindowedCounts<Outcome>,
    throttled: u64,
    refused: u64,
    attempts: u64,
    retries: u64,
    given_up: u64,
    to_dead_letter: u64,
    pending_end: u64,
    per_sub: Vec<PerSubscription>,
    delivery_time: Latency,
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
            deliveries: Slab::new(),
            publishes: Counter::new(&clock),
            delivered: Counter::new(&clock),
            failed: Counter::new(&clock),
            pending: Level::new(&clock),
            statuses: WindowedCounts::default(),
            throttled: 0,
            refused: 0,
            attempts: 0,
            retries: 0,
            given_up: 0,
            to_dead_letter: 0,
            pending_end: 0,
            per_sub: vec![PerSubscription::default(); n],
            delivery_time: Latency::new(&clock),
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

    fn publish(&mut self, ctx: &mut Ctx<'_>, call: crate::kernel::CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        if !self.quota.try_take(now) {
            self.throttled += u64::from(measured);
            self.statuses
                .add(&self.clock, Outcome::Status(THROTTLED), now, measured);
            ctx.reply(call, THROTTLED);
            return;
        }
        let wanted = self.subscribed(msg.op).count();
        if self.deliveries.len() + wanted > crate::limits::MAX_QUEUE_MESSAGES as usize {
            self.refused += u64::from(measured);
            self.statuses
                .add(&self.clock, Outcome::Status(FULL), now, measured);
            ctx.reply(call, FULL);
            return;
        }
        self.publishes.add(&self.clock, now, measured);
        if measured {
            self.billed_publishes += Self::chunks(&msg);
        }
        let answered = self.cfg.publish_latency.sample_time(&mut self.rng);
        self.statuses
            .add(&self.clock, Outcome::Status(status::OK), now, measured);
        ctx.reply_after(call, status::OK, answered);
        let msg = Msg {
            asynchronous: false,
            ..msg
        };
        for sub in 0..self.cfg.subscriptions.len() {
            if !self.cfg.subscriptions[sub].wants(msg.op) {
                continue;
            }
            let d = self.deliveries.insert(Delivery {
                msg,
                sub,
                published: now,
                attempts: 0,
            });
            let first = answered + self.cfg.delivery_latency.sample_time(&mut self.rng);
            ctx.schedule(first, Tag::Attempt(d).encode());
        }
        self.pending
            .set(&self.clock, now, self.deliveries.len() as f64);
    }

    fn attempt(&mut self, ctx: &mut Ctx<'_>, d: usize) {
        let Some(dl) = self.deliveries.get_mut(d) else {
            return;
        };
        dl.attempts += 1;
        let (sub, msg, published) = (dl.sub, dl.msg, dl.published);
        let measured = self.clock.measured(published);
        self.attempts += u64::from(measured);
        if self.cfg.protocols[sub] == Protocol::Http && measured {
            self.billed_http += Self::chunks(&msg);
        }
        self.edges[sub].call(ctx, &mut self.rng, msg, Tag::Attempt(d).encode());
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
            self.deliveries.remove(d);
            self.delivered.add(&self.clock, now, measured);
            self.per_sub[sub].delivered += u64::from(measured);
            self.delivery_time
                .record(&self.clock, now, now - published, measured);
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
        match next {
            Some(wait) if now + wait < self.clock.end => {
                self.retries += u64::from(measured);
                ctx.schedule(wait, Tag::Attempt(d).encode());
            }
            Some(_) => {
                self.pending_end += u64::from(measured);
                self.deliveries.remove(d);
            }
            None => {
                let dl = self.deliveries.remove(d);
                self.given_up += u64::from(measured);
                self.per_sub[sub].given_up += u64::from(measured);
                if let Some(e) = self.cfg.subscriptions[sub].dead_letter {
                    self.to_dead_letter += u64::from(measured);
                    self.edges[e].call(ctx, &mut self.rng, dl.msg, Tag::DeadLetter.encode());
                }
            }
        }
        self.pending
            .set(&self.clock, now, self.deliveries.len() as f64);
    }
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
        self.delivery_time.finish();
        let mut m = MetricSet::default();
        m.count("publishes", self.publishes.total());
        m.count("throttled", self.throttled);
        m.count("refused_full", self.refused);
        m.count("deliveries", self.delivered.total());
        m.count("delivery_attempts", self.attempts);
        m.count("retries", self.retries);
        m.count("given_up", self.given_up);
        m.count("to_dead_letter", self.to_dead_letter);
        m.count("pending_end", self.pending_end);
        for (i, s) in self.per_sub.iter().enumerate() {
            let name = &self.names[i];
            m.count(format!("subscriptions.{name}.delivered"), s.delivered);
            m.count(format!("subscriptions.{name}.given_up"), s.given_up);
        }
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n.total());
        }
        m.hist("delivery_ms", self.delivery_time.summary());
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
