//! Amazon S3: a bucket, as aws-facts §8 documents it.
//!
//! A request is a read (GET, HEAD), a write (PUT, COPY, POST, DELETE), a restore
//! (RestoreObject) or a list (ListObjectsV2), by its operation (`reads`, `writes`,
//! `restores`, `lists`; any other operation is a read). A LIST returns keys, not an object:
//! it calls no KMS, is priced with PUT, COPY and POST, and draws on the read rate. Its key falls under a prefix by the bucket's key naming: random prefixes spread keys
//! over `prefixes` (a hot key makes its prefix hot), sequential names (date-stamped keys) put
//! every key under one. Prefixes are held by partitions, each admitting 3,500 writes and 5,500
//! reads per second; beyond, 503 SlowDown, which the callers' SDKs retry. A partition that
//! keeps throttling for `split_delay` splits its prefixes in two, down to one prefix each:
//! random names gain a partition's rate per split, sequential names never do.
//!
//! Reads are strongly consistent after writes (aws-facts: §8 consistency, since December
//! 2020): a read sees the last write, so there is nothing stale to model and no setting for
//! the outdated eventual model. Storage classes set the first-byte latency; a GET of an
//! archived object (Glacier Flexible Retrieval, Deep Archive) is refused with 403
//! InvalidObjectState until a restore of it has finished.
//!
//! With SSE-KMS every PUT calls GenerateDataKey and every GET calls Decrypt on the bucket's
//! `kms` component (through `kms::caller`: throttled by the account's quota, retried by the
//! SDK); an S3 Bucket Key lets S3 reuse a bucket-level key per requester for a while.
//!
//! A browser's CORS preflight (aws-facts: §21 S3 [?]) is a request: it draws on its key's
//! partition like a GET (S3 documents no rate for OPTIONS; the read side, with the "GET and
//! all other requests" it is priced with, is a choice), is billed at the GET price, and is
//! answered 200 when the bucket has CORS rules, else 403 (S3's "CORS is not enabled for this
//! bucket"), after the read latency; it never calls KMS.

mod config;
mod kind;
mod partitions;

pub use config::S3Config;
pub use kind::{bucket_arn, OBJECTS};

use super::kms::caller::{self, KeyCache, KeyReuse, KmsClient};
use super::{BuildEnv, Component, ComponentReport, PREFLIGHT};
use crate::kernel::{CallId, Ctx, Input, Msg, Reply, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, EventLog, Latency, Level, MetricSet};
use crate::status;
use config::Class;
use kind::{KMS_FAILURES, PARTITIONS, PREFLIGHTS, REQUESTS, RESPONSE, SLOWDOWNS};
use partitions::{Admission, Partitions};
use slab::Slab;
use std::collections::BTreeMap;

/// aws-facts: §8 request rates: beyond a partition's rate, 503 Slow Down.
pub const SLOW_DOWN: u16 = status::SERVICE_UNAVAILABLE;
/// A GET of an archived object not restored: InvalidObjectState, "Object is archived and
/// inaccessible until restored" (S3 API reference, GetObject), HTTP 403 Forbidden (S3's
/// error-code list).
pub const INVALID_OBJECT_STATE: u16 = status::FORBIDDEN;
/// The status of a request whose KMS call failed after the SDK's retries. AWS documents no
/// status for it; 503, which callers' SDKs retry, is a choice.
pub const KMS_FAILED: u16 = status::SERVICE_UNAVAILABLE;

/// What a request asks of the bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Read,
    Write,
    Restore,
    /// A LIST of the bucket's keys.
    List,
    /// A browser's CORS preflight (OPTIONS).
    Preflight,
}

/// A request waiting for its key from KMS.
struct Waiting {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
    op: Op,
}

/// A running bucket.
pub struct S3 {
    cfg: S3Config,
    clock: Clock,
    rng: SimRng,
    parts: Partitions,
    kms: Option<KmsClient>,
    /// Bucket-level keys in hand per requester, for writes (GenerateDataKey) and reads
    /// (Decrypt of the bucket key an object was written under).
    write_keys: Option<KeyCache>,
    read_keys: Option<KeyCache>,
    waiting: Slab<Waiting>,
    /// Archived objects being or having been restored: when each can be read.
    restored: BTreeMap<u64, SimTime>,
    requests: Counter,
    slowdowns: Counter,
    kms_failures: Counter,
    forbidden: u64,
    restores: u64,
    splits: u64,
    statuses: Counts<u16>,
    response: Latency,
    partitions: Level,
    /// Billed requests in the measured period: PUT, COPY, POST (and restores); GET and HEAD.
    billed_writes: u64,
    billed_reads: u64,
    /// Bytes read in the measured period [bytes].
    bytes_out: f64,
    /// CORS preflights received.
    preflights: Counter,
    /// Whether it reports its preflights: it has CORS rules or a browser calls it.
    reports_preflights: bool,
    events: EventLog,
}

impl S3 {
    /// Builds it for one run: its first partitions, its KMS client if it uses SSE-KMS.
    pub fn new(cfg: S3Config, env: BuildEnv) -> S3 {
        let clock = env.clock;
        let reuse = cfg.bucket_key.map(|age| KeyReuse {
            max_age: age,
            max_messages: None,
        });
        let mut partitions = Level::new(&clock);
        let parts = Partitions::new(&cfg);
        partitions.set(&clock, SimTime::ZERO, parts.len() as f64);
        S3 {
            parts,
            kms: env.kms,
            write_keys: reuse.map(KeyCache::new),
            read_keys: reuse.map(KeyCache::new),
            waiting: Slab::new(),
            restored: BTreeMap::new(),
            requests: Counter::new(&clock),
            slowdowns: Counter::new(&clock),
            kms_failures: Counter::new(&clock),
            forbidden: 0,
            restores: 0,
            splits: 0,
            statuses: Counts::default(),
            response: Latency::new(&clock),
            partitions,
            billed_writes: 0,
            billed_reads: 0,
            bytes_out: 0.0,
            preflights: Counter::new(&clock),
            reports_preflights: cfg.cors.is_some() || env.browsers,
            events: EventLog::new(&env.name),
            rng: env.rng,
            cfg,
            clock,
        }
    }

    fn op(&self, op: u16) -> Op {
        if op == PREFLIGHT {
            Op::Preflight
        } else if self.cfg.writes.contains(&op) {
            Op::Write
        } else if self.cfg.restores.contains(&op) {
            Op::Restore
        } else if self.cfg.lists.contains(&op) {
            Op::List
        } else {
            Op::Read
        }
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests.add(&self.clock, now, measured);
        let op = self.op(msg.op);
        if op == Op::Preflight {
            self.preflights.add(&self.clock, now, measured);
        }
        // A restore is a POST: it draws on the write rate.
        let write = matches!(op, Op::Write | Op::Restore);
        match self.parts.admit(now, msg.key, write) {
            Admission::Admitted => {}
            Admission::SlowDown(split) => {
                if let Some((lo, mid, hi)) = split {
                    self.splits += u64::from(measured);
                    let n = self.parts.len();
                    self.partitions.set(&self.clock, now, n as f64);
                    self.events.push(
                        now,
                        "prefix_split",
                        format!("prefixes {lo}–{} split at {mid}: {n} partitions", hi - 1),
                    );
                }
                self.slowdowns.add(&self.clock, now, measured);
                self.answer(ctx, call, now, SLOW_DOWN, SimTime::ZERO, &msg, op);
                return;
            }
        }
        match op {
            Op::Restore => return self.restore(ctx, call, msg, now),
            Op::Preflight => {
                let answer = if self.cfg.cors.is_some() {
                    status::OK
                } else {
                    status::FORBIDDEN
                };
                let wait = self.cfg.read_latency.sample_time(&mut self.rng);
                return self.answer(ctx, call, now, answer, wait, &msg, op);
            }
            Op::Read if self.cfg.class == Class::Archive && !self.readable(msg.key, now) => {
                self.forbidden += u64::from(measured);
                let wait = self.cfg.read_latency.sample_time(&mut self.rng);
                self.answer(ctx, call, now, INVALID_OBJECT_STATE, wait, &msg, op);
                return;
            }
            _ => {}
        }
        // aws-facts: §12 KMS: SSE-KMS calls KMS for each GET (Decrypt) and PUT
        // (GenerateDataKey); a DELETE or HEAD carries no object body to encrypt, and a LIST
        // returns keys, decrypting no object.
        let bodiless = self.cfg.bodiless.contains(&msg.op) || op == Op::List;
        if let (Some(kms), false) = (self.kms.as_mut(), bodiless) {
            let keys = match op {
                Op::Write => &mut self.write_keys,
                _ => &mut self.read_keys,
            };
            // s3:bucket-key.html: a bucket-level key is fetched at least once per requester
            // and kept for a limited time.
            if keys.as_mut().is_some_and(|k| k.take(now, msg.client)) {
                kms.count_reuse(now);
            } else {
                let w = self.waiting.insert(Waiting {
                    call,
                    msg,
                    arrived: now,
                    op,
                });
                kms.call(ctx, &mut self.rng, msg, w as u64, now);
                return;
            }
        }
        self.serve(ctx, call, msg, now, op);
    }

    /// Whether an archived `key` has been restored by `now`.
    fn readable(&self, key: u64, now: SimTime) -> bool {
        self.restored.get(&key).is_some_and(|&at| at <= now)
    }

    /// RestoreObject: accepted (202), the object readable after the tier's restore time. On
    /// an object that is not archived S3 refuses it (403).
    fn restore(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg, now: SimTime) {
        let wait = self.cfg.write_latency.sample_time(&mut self.rng);
        if self.cfg.class != Class::Archive {
            self.answer(
                ctx,
                call,
                now,
                INVALID_OBJECT_STATE,
                wait,
                &msg,
                Op::Restore,
            );
            return;
        }
        self.restores += u64::from(self.clock.measured(now));
        let ready = now + self.cfg.restore_time.sample_time(&mut self.rng);
        // A restore already under way or done stands.
        if !self.restored.contains_key(&msg.key) {
            if self.restored.len() >= crate::limits::MAX_S3_RESTORES {
                self.restored.pop_first();
            }
            self.restored.insert(msg.key, ready);
        }
        self.answer(ctx, call, now, status::ACCEPTED, wait, &msg, Op::Restore);
    }

    /// Serves an admitted request after its class's first-byte time.
    fn serve(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg, arrived: SimTime, op: Op) {
        let d = match op {
            Op::Read | Op::List => &self.cfg.read_latency,
            _ => &self.cfg.write_latency,
        };
        let wait = d.sample_time(&mut self.rng);
        let spent = ctx.now() - arrived;
        self.answer(ctx, call, arrived, status::OK, spent + wait, &msg, op);
    }

    /// Answers `call` (which arrived at `arrived`) with `status`, `after` from its arrival
    /// minus what has passed, and counts it.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &mut self,
        ctx: &mut Ctx<'_>,
        call: CallId,
        arrived: SimTime,
        status: u16,
        after: SimTime,
        msg: &Msg,
        op: Op,
    ) {
        let now = ctx.now();
        let done = arrived + after;
        let measured = self.clock.measured(arrived);
        self.statuses.add(status, measured);
        if status::is_success(status) && op != Op::Preflight {
            self.response.record(&self.clock, done, after, measured);
        }
        // S3 bills requests answered 2xx or 4xx, not 5xx (S3 error responses); DELETE is free.
        if measured && status < 500 && !(op == Op::Write && self.cfg.bodiless.contains(&msg.op)) {
            match op {
                Op::Read | Op::Preflight => self.billed_reads += 1,
                // S3's price page: LIST is priced with PUT, COPY and POST (see `cost`).
                Op::Write | Op::Restore | Op::List => self.billed_writes += 1,
            }
        }
        if measured && status == status::OK && op == Op::Read {
            self.bytes_out += f64::from(msg.size_bytes);
        }
        ctx.reply_after(call, status, done - now);
    }

    fn kms_reply(&mut self, ctx: &mut Ctx<'_>, r: &Reply) {
        let kms = self
            .kms
            .as_mut()
            .expect("only a bucket with a KMS client calls KMS");
        let Some(done) = kms.reply(ctx, &mut self.rng, r) else {
            return;
        };
        let w = self.waiting.remove(done.tag as usize);
        if done.outcome.is_success() {
            let keys = match w.op {
                Op::Write => &mut self.write_keys,
                _ => &mut self.read_keys,
            };
            if let Some(k) = keys {
                k.store(ctx.now(), w.msg.client);
            }
            self.serve(ctx, w.call, w.msg, w.arrived, w.op);
        } else {
            let measured = self.clock.measured(w.arrived);
            self.kms_failures.add(&self.clock, ctx.now(), measured);
            let spent = ctx.now() - w.arrived;
            self.answer(ctx, w.call, w.arrived, KMS_FAILED, spent, &w.msg, w.op);
        }
    }

    /// aws-facts: no S3 price is in the facts; these are S3 Standard's in us-east-1 as
    /// https://aws.amazon.com/s3/pricing/ lists them (quoted by devnotes.tech, "Understanding
    /// AWS S3 Pricing", the page's own tables being drawn by script): storage $0.023 per
    /// GB-month (first 50 TB), PUT/COPY/POST/LIST $0.005 per 1,000, GET $0.0004 per 1,000,
    /// transfer out to the internet $0.09 per GB (first 10 TB); in-Region transfer free.
    /// Other classes are left unpriced.
    fn cost(&self, c: &Clock) -> Option<f64> {
        if self.cfg.class_name != "standard" {
            return None;
        }
        let storage = self.cfg.stored_gb * 0.023 * c.measured_secs() / super::MONTH_SECS;
        let requests =
            self.billed_writes as f64 * 0.005 / 1000.0 + self.billed_reads as f64 * 0.0004 / 1000.0;
        let egress = if self.cfg.internet_egress {
            self.bytes_out / f64::from(1u32 << 30) * 0.09
        } else {
            0.0
        };
        Some(storage + requests + egress)
    }
}

impl Component for S3 {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Call(call, msg) if msg.op >= super::PROBE_SHALLOW => ctx.reply(call, 200),
            Input::Call(call, msg) => self.request(ctx, call, msg),
            Input::Reply(r) if caller::owns(r.tag) => self.kms_reply(ctx, &r),
            Input::Timer(t) if caller::owns(t) => {
                if let Some(k) = self.kms.as_mut() {
                    k.timer(ctx, &mut self.rng, t);
                }
            }
            // It sets no timers of its own, makes no other calls and has no fault of its own.
            Input::Timer(_) | Input::Reply(_) | Input::Fault { .. } => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.response.finish();
        self.partitions.finish(c);
        let mut m = MetricSet::default();
        let requests = self.requests.total();
        let slowdowns = self.slowdowns.total();
        m.count("requests", requests);
        m.count("slowdowns", slowdowns);
        m.gauge(
            "slowdown_fraction",
            slowdowns as f64 / requests.max(1) as f64,
        );
        m.count("kms_failures", self.kms_failures.total());
        if self.cfg.sse_kms {
            // Also a 503 SlowDown to the caller (AWS: "Please reduce your request rate for
            // operations involving AWS KMS"), but not for S3's own limits: a column of its own.
            m.gauge(
                "kms_failure_fraction",
                self.kms_failures.total() as f64 / requests.max(1) as f64,
            );
        }
        m.count("splits", self.splits);
        m.gauge("partitions", self.parts.len() as f64);
        m.gauge("partitions_max", self.partitions.max());
        m.count("archived_refused", self.forbidden);
        m.count("restores", self.restores);
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.hist("response_ms", &self.response.summary());
        if let Some(cost) = self.cost(c) {
            m.gauge("cost_usd", cost);
        }
        if let Some(k) = &self.kms {
            k.report(&mut m);
        }
        let mut series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&SLOWDOWNS, self.slowdowns.rate_series(c)),
        ];
        // A bucket that calls no KMS cannot fail for want of a key: a line of its failures
        // would only puzzle a reader of its chart.
        if self.kms.is_some() {
            series.push((&KMS_FAILURES, self.kms_failures.rate_series(c)));
        }
        if self.reports_preflights {
            m.count("preflights", self.preflights.total());
            series.push((&PREFLIGHTS, self.preflights.rate_series(c)));
        }
        series.push((&PARTITIONS, self.partitions.mean_series(c)));
        series.extend(self.response.series(&RESPONSE));
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}
