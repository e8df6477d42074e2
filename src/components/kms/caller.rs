//! Who calls KMS: the one mechanism every caller shares (aws-facts §12 KMS: "calls on your
//! behalf count", every S3 SSE-KMS GET/PUT, Lambda's environment-variable decrypts).
//!
//! Any component may name a `kms` component (`kms = "keys"` beside its `id` and `kind`).
//! When the world is built, that becomes one `Edge` to it, made like any other call: its hop
//! latency, and the SDK's retries of KMS's ThrottlingException (400). Kinds that know when they
//! need a key (S3 with SSE-KMS, Lambda at a cold start) drive a `KmsClient` themselves
//! (`Kind::kms_use` says so); every other kind is wrapped in `WithKms`, which first calls KMS
//! (Decrypt) for each request it handles and hands the request on once the key is in hand.
//!
//! Keys in hand are reused by a `KeyCache`: S3 Bucket Keys (a bucket-level key per requester,
//! for a limited time) and the AWS Encryption SDK's data-key cache (the caching CMM: a key
//! reused for at most `max_age` and `max_messages`).

use crate::components::{Component, ComponentReport, Edge, PROBE_SHALLOW};
use crate::config::keys::{Key, KeyType};
use crate::config::Checker;
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, Reply, SimRng, SimTime};
use crate::metrics::{Clock, MetricSet};
use crate::retry::Charge;
use serde::Deserialize;
use slab::Slab;
use toml::de::DeValue;
use toml::Spanned;

/// The key by which a component names its KMS component, beside `id`, `kind` and `az`.
pub const KEY: &str = "kms";
/// The key of the data-key cache of a component that calls KMS for each request.
pub const CACHE_KEY: &str = "kms_cache";

/// The bit of a timer's or a reply's tag that says it belongs to the component's `KmsClient`
/// rather than to the component: no kind's own tokens reach it (`Token`: sixteen variants
/// and indices below 2^59).
pub const TAG_BIT: u64 = 1 << 63;

/// Whether a timer's or reply's tag is a `KmsClient`'s.
#[inline]
pub fn owns(tag: u64) -> bool {
    tag & TAG_BIT != 0
}

/// How long a key in hand is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyReuse {
    /// The longest a key is used after KMS gave it [ns].
    pub max_age: SimTime,
    /// The most requests one key serves; `None`: no limit but its age.
    pub max_messages: Option<u64>,
}

/// A component's tie to a KMS component, as its table states it.
#[derive(Clone, Debug, PartialEq)]
pub struct KmsLink {
    /// The KMS component's index.
    pub to: usize,
    /// Where `kms` is written, for messages.
    pub span: std::ops::Range<usize>,
    /// The data-key cache (`kms_cache`) of a component that calls KMS for each request.
    pub cache: Option<KeyReuse>,
    /// Where `kms_cache` is written, for messages.
    pub cache_span: Option<std::ops::Range<usize>>,
}

/// How a kind uses the KMS component its table names (`Kind::kms_use`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KmsUse {
    /// It is wrapped: each request it handles first calls KMS (Decrypt).
    PerRequest,
    /// It calls KMS itself, when its own behaviour needs a key (S3 SSE-KMS, Lambda's init).
    Own,
    /// It takes no `kms`; these words say why, for the message.
    Refused(&'static str),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyCache {
    max_age: Option<Spanned<String>>,
    max_messages: Option<Spanned<i64>>,
}

/// The keys of `kms_cache`, declared for the JSON Schema.
pub const CACHE_KEYS: &[Key] = &[
    Key {
        name: "max_age",
        ty: KeyType::Duration,
        required: false,
        about: "the longest a data key is reused after KMS gave it (default 5m, a choice)",
    },
    Key {
        name: "max_messages",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_CACHE_MESSAGES,
        },
        required: false,
        about: "the most requests one data key serves (default 1,000, a choice)",
    },
];

/// The Encryption SDK's caching CMM requires both limits; its documentation's examples use
/// minutes and hundreds of messages. Defaults here are a choice: 5 minutes, 1,000 messages.
const CACHE_MAX_AGE: SimTime = SimTime::from_secs(300);
const CACHE_MAX_MESSAGES: i64 = 1_000;
/// The most messages a cached data key may serve (`max_messages`): the Encryption SDK's own
/// ceiling is 2^32 messages per data key.
pub const MAX_CACHE_MESSAGES: i64 = 1 << 32;

/// Reads `kms_cache = { max_age, max_messages }`.
pub fn parse_cache(value: Spanned<DeValue<'_>>, ck: &mut Checker) -> Option<KeyReuse> {
    let raw: RawKeyCache = ck.declared(CACHE_KEYS, |ck| ck.deserialize(value))?;
    let age = ck.positive_duration_or(&raw.max_age, "max_age", CACHE_MAX_AGE);
    let messages = ck.int_or(
        &raw.max_messages,
        "max_messages",
        (1, MAX_CACHE_MESSAGES),
        CACHE_MAX_MESSAGES,
    );
    Some(KeyReuse {
        max_age: age?,
        max_messages: Some(messages? as u64),
    })
}

/// Keys in hand, one per requester (`Msg::client`), each reused within its `KeyReuse`.
/// Memory grows with the requesters seen within `max_age`, never with requests.
#[derive(Clone, Debug)]
pub struct KeyCache {
    reuse: KeyReuse,
    /// (requester, when KMS gave the key, requests it has served).
    keys: Vec<(u32, SimTime, u64)>,
}

impl KeyCache {
    /// An empty cache.
    pub fn new(reuse: KeyReuse) -> KeyCache {
        KeyCache {
            reuse,
            keys: Vec::new(),
        }
    }

    /// Whether `who` has a key in hand at `now`; if so, it serves one more request.
    pub fn take(&mut self, now: SimTime, who: u32) -> bool {
        let reuse = self.reuse;
        match self.keys.iter_mut().find(|k| k.0 == who) {
            Some(k) if now < k.1 + reuse.max_age && reuse.max_messages.is_none_or(|m| k.2 < m) => {
                k.2 += 1;
                true
            }
            _ => false,
        }
    }

    /// KMS gave `who` a key at `now`, which serves the request that asked for it.
    pub fn store(&mut self, now: SimTime, who: u32) {
        let age = self.reuse.max_age;
        self.keys.retain(|k| k.0 != who && now < k.1 + age);
        self.keys.push((who, now, 1));
    }
}

/// A KMS call in flight: the caller's tag and its attempts.
struct Pending {
    tag: u64,
    msg: Msg,
    attempt: u32,
    charged: Charge,
    /// Whether the request it is for arrived in the measured period.
    measured: bool,
}

/// How a KMS call ended, once the SDK has stopped retrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KmsDone {
    /// The tag the caller gave `KmsClient::call`.
    pub tag: u64,
    /// KMS's last answer (or the caller's timeout).
    pub outcome: Outcome,
}

/// A component's client of its KMS component: the edge, with the SDK's retries.
pub struct KmsClient {
    edge: Edge,
    /// Its retry quota (aws-facts: §7 retry quota, per client): one for the component. The
    /// callers that hold one are a service's own machinery (Lambda decrypting a function's
    /// environment variables at Init, S3 encrypting with SSE-KMS) or `WithKms`, which stands
    /// before a whole component and whose data-key cache is one process's too.
    tokens: u32,
    pending: Slab<Pending>,
    clock: Clock,
    /// Calls made in the measured period (first attempts).
    pub calls: u64,
    /// Attempts made in the measured period, retries included.
    pub attempts: u64,
    /// Calls in the measured period that failed after the SDK's retries.
    pub failed: u64,
    /// Requests in the measured period served by a key in hand, with no call.
    pub reused: u64,
}

impl KmsClient {
    /// A client over `edge` (made by the world from the component's `kms`).
    pub fn new(edge: Edge, clock: Clock) -> KmsClient {
        KmsClient {
            tokens: edge.retry.initial_tokens(),
            edge,
            pending: Slab::new(),
            clock,
            calls: 0,
            attempts: 0,
            failed: 0,
            reused: 0,
        }
    }

    /// Counts a request that arrived at `arrived`, served by a key in hand.
    pub fn count_reuse(&mut self, arrived: SimTime) {
        self.reused += u64::from(self.clock.measured(arrived));
    }

    /// Calls KMS for the caller's request `tag`, which arrived at `arrived` (the reply comes
    /// back through `reply`). Its counts go to the measured period by the request's arrival.
    pub fn call(
        &mut self,
        ctx: &mut Ctx<'_>,
        rng: &mut SimRng,
        msg: Msg,
        tag: u64,
        arrived: SimTime,
    ) {
        let measured = self.clock.measured(arrived);
        self.calls += u64::from(measured);
        self.attempts += u64::from(measured);
        let slot = self.pending.insert(Pending {
            tag,
            msg,
            attempt: 1,
            charged: Charge::default(),
            measured,
        });
        self.edge.call(ctx, rng, msg, TAG_BIT | slot as u64);
    }

    /// A reply to one of its calls: the SDK retries it (after a backoff, `None`) or it is
    /// over.
    pub fn reply(&mut self, ctx: &mut Ctx<'_>, rng: &mut SimRng, r: &Reply) -> Option<KmsDone> {
        let slot = (r.tag & !TAG_BIT) as usize;
        let p = &mut self.pending[slot];
        if let Some(wait) =
            self.edge
                .retry
                .after(p.attempt, r.outcome, &mut self.tokens, &mut p.charged, rng)
        {
            ctx.schedule(wait, TAG_BIT | slot as u64);
            return None;
        }
        let p = self.pending.remove(slot);
        if !r.outcome.is_success() {
            self.failed += u64::from(p.measured);
        }
        Some(KmsDone {
            tag: p.tag,
            outcome: r.outcome,
        })
    }

    /// One of its backoffs is over: the call again.
    pub fn timer(&mut self, ctx: &mut Ctx<'_>, rng: &mut SimRng, tag: u64) {
        let slot = (tag & !TAG_BIT) as usize;
        let p = &mut self.pending[slot];
        p.attempt += 1;
        self.attempts += u64::from(p.measured);
        let msg = p.msg;
        self.edge.attempt(ctx, rng, msg, tag, true);
    }

    /// Its counts under `kms.` in the component's summary (see `kind::KMS_FIELDS`).
    pub fn report(&self, m: &mut MetricSet) {
        m.count("kms.calls", self.calls);
        m.count("kms.attempts", self.attempts);
        m.count("kms.failed", self.failed);
        m.count("kms.reused", self.reused);
    }
}

/// The status a request gets when its key could not be had: what KMS answered, passed up as
/// a downstream failure is (`CallCursor::after_reply`).
pub fn failure_status(outcome: Outcome) -> u16 {
    match outcome {
        Outcome::Status(s) => s,
        Outcome::Timeout => crate::components::DOWNSTREAM_TIMEOUT,
        Outcome::Error => crate::components::DOWNSTREAM_ERROR,
    }
}

/// A component of any kind that first calls KMS (Decrypt) for each request it handles, then
/// hands the request to the component itself; a request whose decrypt fails is answered
/// with KMS's failure and never reaches it. The component's own figures (arrivals, response
/// time) start when the request reaches it.
pub struct WithKms {
    inner: Box<dyn Component>,
    client: KmsClient,
    cache: Option<KeyCache>,
    rng: SimRng,
    /// Requests waiting for their key: the caller's call and message.
    waiting: Slab<(CallId, Msg)>,
}

impl WithKms {
    /// `inner`, calling KMS through `client` and reusing keys as `cache` says.
    pub fn new(
        inner: Box<dyn Component>,
        client: KmsClient,
        cache: Option<KeyReuse>,
        rng: SimRng,
    ) -> WithKms {
        WithKms {
            inner,
            client,
            cache: cache.map(KeyCache::new),
            rng,
            waiting: Slab::new(),
        }
    }
}

impl Component for WithKms {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.inner.start(ctx);
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            // Health checks are not requests: they take no key.
            Input::Call(call, msg) if msg.op < PROBE_SHALLOW => {
                let now = ctx.now();
                // The Encryption SDK's cache is one process's: every requester shares it.
                if self.cache.as_mut().is_some_and(|c| c.take(now, 0)) {
                    self.client.count_reuse(now);
                    self.inner.handle(Input::Call(call, msg), ctx);
                } else {
                    let w = self.waiting.insert((call, msg));
                    self.client.call(ctx, &mut self.rng, msg, w as u64, now);
                }
            }
            Input::Timer(t) if owns(t) => self.client.timer(ctx, &mut self.rng, t),
            Input::Reply(r) if owns(r.tag) => {
                if let Some(done) = self.client.reply(ctx, &mut self.rng, &r) {
                    let (call, msg) = self.waiting.remove(done.tag as usize);
                    if done.outcome.is_success() {
                        if let Some(c) = &mut self.cache {
                            c.store(ctx.now(), 0);
                        }
                        self.inner.handle(Input::Call(call, msg), ctx);
                    } else {
                        ctx.reply(call, failure_status(done.outcome));
                    }
                }
            }
            other => self.inner.handle(other, ctx),
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let mut report = self.inner.finish();
        self.client.report(&mut report.metrics);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_key_serves_its_age_and_its_messages() {
        let mut c = KeyCache::new(KeyReuse {
            max_age: SimTime::from_secs(10),
            max_messages: Some(3),
        });
        let at = SimTime::from_secs;
        assert!(!c.take(at(0), 7));
        c.store(at(0), 7);
        // The request that fetched it was the first of three.
        assert!(c.take(at(1), 7) && c.take(at(2), 7));
        assert!(!c.take(at(3), 7));
        c.store(at(3), 7);
        // Another requester has none of its own; the first's expires at 13 s.
        assert!(!c.take(at(4), 8));
        assert!(c.take(at(12), 7));
        assert!(!c.take(at(13), 7));
    }

    #[test]
    fn tags_of_the_client_are_apart_from_tokens() {
        assert!(owns(TAG_BIT | 5));
        assert!(!owns(crate::components::pack(15, (1 << 59) - 1)));
    }
}
