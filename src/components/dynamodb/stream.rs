//! A table's stream (DynamoDB Streams) and the Lambda event source mapping that reads it
//! (aws-facts §22 DynamoDB Streams, §16 event source mappings).
//!
//! Every successful write appends a record (its write time, the client request's origin, key,
//! operation and item size) to the shard of its partition: one shard per partition. When the
//! table's partitions change (it grows, or splits a key off for heat), the shards split with
//! them: the open shards close and a new generation opens. The hash spreads keys anew over the
//! new partitions, so every closed shard is a parent of every new one, and as AWS reads a
//! child shard only once its parent is done, a generation is read only once the one before it
//! has been read to its end: records of one key stay in order.
//!
//! The mapping reads each shard with `parallelization_factor` lanes: a record goes to the lane
//! of its key's hash, and each lane has at most one batch in flight (aws-facts §16: one batch
//! per shard at a time, up to 10 with the factor, order kept per key). A shard's poller
//! looks for records 4 times a second while it finds none (`lambda:with-ddb.html`: "Lambda
//! polls shards in your DynamoDB stream for records at a base rate of 4 times per second"),
//! and after a batch it looks again a quarter second after its last read at the soonest: a
//! record written to an idle lane is read at its shard's next poll (`POLL_INTERVAL`, at a
//! phase of the shard's own), so a light stream gathers a quarter second of records per
//! batch rather than invoking once per record, and one whose batches take longer reads again
//! as each ends. Timers are set only for a lane with records waiting, so none ticks while
//! the stream is idle. A batch takes up to `batch_size` records, and no more than the 6 MB a
//! synchronous invocation carries (`MAX_BATCH_BYTES`); with a `maximum_batching_window`, a
//! lane waits that long from its first waiting record for a full batch. A batch is one synchronous call to the consumer carrying its record count in
//! `Msg::messages`, the first record's operation and key, the records' total size, the
//! oldest record's origin, and (for more than one record) each record's operation as the
//! call's items (a Lambda does each record's work, and a record fails by its own operation
//! or draw). With `function_response_types = ["ReportBatchItemFailures"]` the function
//! answers a batch with a failed record as a success naming it: the records before the
//! first failed one are done (the checkpoint moves to it), and the rest of the batch is
//! retried as a failed batch, whole (not bisected: the function said where it failed),
//! counting against `maximum_retry_attempts`.
//!
//! A failed batch blocks its lane and is retried whole after `retry_interval` (a choice: AWS
//! gives no interval) until it succeeds, its retries exceed `maximum_retry_attempts` (a
//! throttle, 429, does not count: the batch did not reach the function), or its records pass
//! `maximum_record_age`; with `bisect_batch_on_function_error`, a failed batch of more than
//! one record is split in two and each half retried alone, the first half first, each with
//! its retries counted afresh (a choice: AWS does not say whether a split uses a retry).
//! Discarded records are counted, and each discarded batch sends one message to the
//! `on_failure` queue (AWS sends the batch's metadata, not its records). Records older than
//! the stream's 24 h retention are trimmed: counted as lost when never read, as discarded when
//! they had been read and failed.
//!
//! The mapping stops when the run ends (arrivals stop): what the stream then holds is its
//! `records_held_end`. It holds at most `max_records` records (`limits::MAX_STREAM_RECORDS`):
//! the records of writes beyond are not kept, and are counted.

use super::stream_config::StreamConfig;
use crate::components::{pack, unpack, Edge, Token};
use crate::kernel::{Ctx, Item, Msg, Outcome, SimRng, SimTime, SpanEnd};
use crate::metrics::{Clock, Counter, Durations, EventLog, Level, MetricSet};
use crate::status;
use slab::Slab;
use std::collections::{BTreeMap, VecDeque};

/// The size of the message an on-failure queue gets for a discarded batch (its metadata: the
/// shard, the sequence numbers, the reason): 1 KB, a choice (AWS gives no size).
const ON_FAILURE_BYTES: u32 = 1024;

/// How often a shard's poller looks for records while it finds none: "a base rate of 4
/// times per second" (`lambda:with-ddb.html`).
const POLL_INTERVAL: SimTime = SimTime::from_millis(250);

/// The first poll of `shard` of generation `gen` after `now`: each shard polls on a grid of
/// `POLL_INTERVAL` at a phase of its own (a hash of its place, so that no random draw is
/// taken and shards do not all poll at once).
fn next_poll(gen: u64, shard: u32, now: SimTime) -> SimTime {
    let p = POLL_INTERVAL.0;
    let mixed =
        (gen.wrapping_mul(31).wrapping_add(u64::from(shard))).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let phase = (mixed >> 32) % p;
    if now.0 < phase {
        return SimTime(phase);
    }
    SimTime(phase + p * ((now.0 - phase) / p + 1))
}

/// The most bytes of records a batch carries: the synchronous invocation payload limit
/// (`lambda:with-ddb.html`: the poller gathers records until the batch is full, the window
/// ends, or the batch reaches the payload limit of 6 MB).
const MAX_BATCH_BYTES: u64 = crate::components::LAMBDA_SYNC_PAYLOAD_MAX;

/// How many of the first `records` the next batch takes: at most `batch_size`, and no more
/// than fit in `MAX_BATCH_BYTES` (at least one: a record is at most an item, 400 KB).
fn payload_batch(records: &VecDeque<Record>, batch_size: u32) -> u32 {
    let mut n = 0u32;
    let mut bytes = 0u64;
    for r in records.iter().take(batch_size as usize) {
        bytes += u64::from(r.size);
        if n > 0 && bytes > MAX_BATCH_BYTES {
            break;
        }
        n += 1;
    }
    n
}

/// A record of one write.
#[derive(Clone, Copy, Debug)]
pub(super) struct Record {
    /// When the write was done (the table answered it).
    pub written: SimTime,
    /// When the client's request the write descends from was sent (`Msg::origin`).
    pub origin: SimTime,
    pub key: u64,
    pub op: u16,
    pub size: u32,
    /// It has been handed to the consumer at least once.
    pub read: bool,
    /// The span of the write that made it, then (once in the stream) its wait's, for a
    /// traced write (0: not traced).
    pub span: u32,
}

/// One lane of a shard: the records of the keys hashed to it, in order, and its one batch.
struct Lane {
    /// The shard generation it belongs to.
    gen: u64,
    shard: u32,
    lane: u32,
    records: VecDeque<Record>,
    /// Records of the batch awaiting the consumer's answer (the first ones of `records`).
    in_flight: Option<u32>,
    /// Sizes of the batches to come first (a failed batch's, or its halves'), next last.
    sizes: Vec<u32>,
    /// The batch in flight took its size from `sizes`.
    from_sizes: bool,
    /// Failures of the front batch counted against `maximum_retry_attempts`.
    failures: u32,
    /// A failed batch is retried at this time.
    retry_at: Option<SimTime>,
    /// A lane gathering records invokes with fewer than a full batch at this time.
    window_until: Option<SimTime>,
    /// The lane waits for its poller's next look at this time.
    poll_at: Option<SimTime>,
    /// When it last sent a batch it read from the stream: its poller looks again
    /// `POLL_INTERVAL` later at the soonest.
    last_read: Option<SimTime>,
    /// The write time of the last record it processed: a later one written before it would
    /// be out of order.
    last_done: SimTime,
}

/// What a reply is an answer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tag {
    /// The consumer's answer for the batch of a lane.
    Batch(usize),
    /// The on-failure queue's answer.
    OnFailure,
}

impl Token for Tag {
    fn encode(self) -> u64 {
        match self {
            Tag::Batch(lane) => pack(0, lane as u64),
            Tag::OnFailure => pack(1, 0),
        }
    }

    fn decode(token: u64) -> Option<Tag> {
        match unpack(token) {
            (0, lane) => Some(Tag::Batch(lane as usize)),
            (1, 0) => Some(Tag::OnFailure),
            _ => None,
        }
    }
}

/// What the stream asks its table to schedule: a lane's wake-up (a window's or a retry's end).
pub(super) type Wake = usize;

/// A running stream and its event source mapping.
pub(super) struct Stream {
    cfg: StreamConfig,
    clock: Clock,
    /// The generation new records go to, and its shard count.
    gen: u64,
    shards: u32,
    lanes: Slab<Lane>,
    /// Lanes holding records or a batch, by (generation, shard, lane).
    index: BTreeMap<(u64, u32, u32), usize>,
    held: u64,
    // Recorders.
    written: u64,
    over_limit: u64,
    read: Counter,
    processed: u64,
    discarded: Counter,
    lost: u64,
    /// Records processed after a later record of their lane (and so of their key).
    out_of_order: u64,
    batches: u64,
    failed_batches: u64,
    sent_on_failure: u64,
    concurrent: Level,
    held_level: Level,
    iterator_age: Durations,
    /// The greatest iterator age read in each window [s]; NaN where nothing was read.
    age_max: Vec<f64>,
    lag: Durations,
    held_end: u64,
}

impl Stream {
    pub(super) fn new(cfg: StreamConfig, clock: Clock, shards: u32) -> Stream {
        Stream {
            cfg,
            gen: 0,
            shards,
            lanes: Slab::new(),
            index: BTreeMap::new(),
            held: 0,
            written: 0,
            over_limit: 0,
            read: Counter::new(&clock),
            processed: 0,
            discarded: Counter::new(&clock),
            lost: 0,
            out_of_order: 0,
            batches: 0,
            failed_batches: 0,
            sent_on_failure: 0,
            concurrent: Level::new(&clock),
            held_level: Level::new(&clock),
            iterator_age: Durations::default(),
            age_max: vec![f64::NAN; clock.windows()],
            lag: Durations::default(),
            held_end: 0,
            clock,
        }
    }

    /// The shards it starts with, once the table has sized its partitions.
    pub(super) fn open(&mut self, count: u32) {
        self.shards = count;
    }

    /// The table's partitions changed to `count`: the open shards close and a new generation
    /// of `count` shards opens (aws-facts: §22 shards are split automatically).
    pub(super) fn reshard(&mut self, now: SimTime, count: u32, log: &mut EventLog) {
        if count == self.shards {
            return;
        }
        log.push(
            now,
            "stream_reshard",
            format!("{} -> {count} shards, read after the old ones", self.shards),
        );
        self.gen += 1;
        self.shards = count;
    }

    /// Appends the record of a write done now to shard `shard`.
    pub(super) fn append(
        &mut self,
        ctx: &mut Ctx<'_>,
        edges: &[Edge],
        rng: &mut SimRng,
        shard: u32,
        record: Record,
    ) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.written += u64::from(measured);
        if self.held >= self.cfg.max_records {
            self.over_limit += u64::from(measured);
            return;
        }
        // Lanes by a hash of the key other than the partitions' (aws-facts: §16: records of
        // one partition key stay in order, in one lane).
        let lane = super::partitions::partition_of(
            record.key.rotate_left(29) ^ 0x5851_f42d_4c95_7f2d,
            self.cfg.parallelization as usize,
        ) as u32;
        let at = (self.gen, shard, lane);
        let id = match self.index.get(&at) {
            Some(&id) => id,
            None => {
                let id = self.lanes.insert(Lane {
                    gen: self.gen,
                    shard,
                    lane,
                    records: VecDeque::new(),
                    in_flight: None,
                    sizes: Vec::new(),
                    from_sizes: false,
                    failures: 0,
                    retry_at: None,
                    window_until: None,
                    poll_at: None,
                    last_read: None,
                    last_done: SimTime::ZERO,
                });
                self.index.insert(at, id);
                id
            }
        };
        // A traced write's record waits in the stream, holding its trace, until it is done
        // with (processed, discarded, trimmed).
        let record = Record {
            span: ctx.enqueue_span(record.span, "stream"),
            ..record
        };
        let lane = &mut self.lanes[id];
        if lane.records.is_empty() && lane.in_flight.is_none() && lane.retry_at.is_none() {
            // An idle lane: its poller finds the record at its next look.
            let at = next_poll(lane.gen, lane.shard, now);
            lane.poll_at = Some(at);
            ctx.schedule(at - now, super::Timer::Wake(id).encode());
        }
        lane.records.push_back(record);
        self.held += 1;
        self.held_level.set(&self.clock, now, self.held as f64);
        self.try_read(ctx, edges, rng, id);
    }

    /// A lane's window or retry wait may be over.
    pub(super) fn wake(&mut self, ctx: &mut Ctx<'_>, edges: &[Edge], rng: &mut SimRng, id: Wake) {
        if self.lanes.contains(id) {
            self.try_read(ctx, edges, rng, id);
        }
    }

    /// The generation being read: the oldest that holds anything.
    fn readable_gen(&self) -> Option<u64> {
        self.index.keys().next().map(|k| k.0)
    }

    /// Reads a batch from lane `id` and invokes the consumer with it, if the lane may.
    fn try_read(&mut self, ctx: &mut Ctx<'_>, edges: &[Edge], rng: &mut SimRng, id: usize) {
        let now = ctx.now();
        // The mapping stops with the run: what the stream holds then is its backlog.
        if now >= self.clock.end {
            return;
        }
        let readable = self.readable_gen();
        let lane = &self.lanes[id];
        if Some(lane.gen) != readable
            || lane.in_flight.is_some()
            || lane.retry_at.is_some_and(|t| t > now)
            || lane.poll_at.is_some_and(|t| t > now)
        {
            return;
        }
        // A batch read afresh (not a failed batch's retry, which the poller holds) waits for
        // the poller's next look: at most 4 a second.
        let lane = &mut self.lanes[id];
        lane.poll_at = None;
        if let (true, Some(last)) = (lane.sizes.is_empty(), lane.last_read) {
            let next = last + POLL_INTERVAL;
            if next > now {
                lane.poll_at = Some(next);
                ctx.schedule(next - now, super::Timer::Wake(id).encode());
                return;
            }
        }
        self.lanes[id].retry_at = None;
        self.expire(ctx, edges, rng, id);
        let lane = &mut self.lanes[id];
        if lane.records.is_empty() {
            self.remove_if_drained(ctx, edges, rng, id);
            return;
        }
        let full = self.cfg.batch_size;
        let (n, from_sizes) = match lane.sizes.last() {
            Some(&n) => (n, true),
            None => (payload_batch(&lane.records, full), false),
        };
        // The batch stops short of `batch_size` for the payload limit: it is as full as it
        // can get, and the window does not wait for more.
        let at_payload_limit = (n as usize) < lane.records.len() && n < full;
        // aws-facts: §16: the batching window: a lane gathers records up to the window's end
        // unless a full batch is there first.
        if !from_sizes && n < full && !at_payload_limit && self.cfg.window > SimTime::ZERO {
            match lane.window_until {
                None => {
                    lane.window_until = Some(now + self.cfg.window);
                    ctx.schedule(self.cfg.window, super::Timer::Wake(id).encode());
                    return;
                }
                Some(t) if t > now => return,
                Some(_) => {}
            }
        }
        lane.window_until = None;
        lane.in_flight = Some(n);
        // A batch read again (its sizes kept from a failed, throttled or partly done answer,
        // or a bisect) is the mapping's retry of it.
        let retry = from_sizes;
        if !from_sizes {
            lane.last_read = Some(now);
        }
        lane.from_sizes = from_sizes;
        let batch = lane.records.range(..n as usize);
        let mut size = 0u64;
        let mut origin = SimTime::MAX;
        for r in batch.clone() {
            size += u64::from(r.size);
            origin = origin.min(r.origin);
        }
        let first = lane.records[0];
        let last = lane.records[n as usize - 1];
        // The batch nests under its first traced record's wait and links the others' (as a
        // queue's batch does: see `sqs::Sqs::receive`).
        for r in lane.records.range_mut(..n as usize) {
            r.read = true;
            ctx.take_span(r.span);
        }
        let (parent, links) =
            crate::components::batch_spans(lane.records.range(..n as usize).map(|r| r.span));
        let msg = Msg {
            op: first.op,
            key: first.key,
            size_bytes: size.min(u64::from(u32::MAX)) as u32,
            client: 0,
            instance: 0,
            messages: n as u16,
            origin,
            asynchronous: false,
            span: parent,
        };
        // aws-facts: §16: the iterator age is the age of the last record of the batch read.
        let measured = self.clock.measured(now);
        let age = now - last.written;
        self.iterator_age.record(age, measured);
        if let Some(w) = self.age_max.get_mut(self.clock.window_of(now)) {
            let s = age.as_secs_f64();
            *w = if w.is_nan() { s } else { w.max(s) };
        }
        self.read
            .add_weighted(&self.clock, now, measured, f64::from(n));
        self.batches += u64::from(measured);
        self.concurrent.add(&self.clock, now, 1.0);
        let tag = Tag::Batch(id).encode();
        if n > 1 || self.cfg.report_batch_item_failures {
            // The consumer decides each record by its own operation (and, with
            // ReportBatchItemFailures, says which failed).
            let items = self.lanes[id]
                .records
                .range(..n as usize)
                .map(|r| Item {
                    op: r.op,
                    failed: false,
                    key: r.key,
                    size: r.size,
                    client: 0,
                    origin: r.origin,
                    group: 0,
                })
                .collect();
            let call = edges[0].attempt(ctx, rng, msg, tag, retry);
            ctx.attach_items(call, items, self.cfg.report_batch_item_failures);
            ctx.link_call(call, &links);
        } else {
            edges[0].attempt(ctx, rng, msg, tag, retry);
        }
    }

    /// The place in its batch of the first record the consumer reported failed, while a
    /// successful answer is handled: `None` unless the mapping takes partial answers.
    fn first_failed(&self, ctx: &Ctx<'_>) -> Option<u32> {
        if !self.cfg.report_batch_item_failures {
            return None;
        }
        let items = ctx.replied_items()?;
        items.iter().position(|i| i.failed).map(|p| p as u32)
    }

    /// Trims the records at the front of lane `id` that the stream no longer keeps (24 h) or
    /// that are older than `maximum_record_age`; those that are discarded go to the
    /// on-failure queue as one batch.
    fn expire(&mut self, ctx: &mut Ctx<'_>, edges: &[Edge], rng: &mut SimRng, id: usize) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        let max_age = self.cfg.max_record_age;
        let mut gone = 0u32;
        let mut discarded: Option<Record> = None;
        // The traced records' waits, ended once the on-failure message (nested under the
        // first discarded record's) is sent.
        let mut ends = Vec::new();
        while let Some(r) = self.lanes[id].records.front().copied() {
            let age = now - r.written;
            let trimmed = age >= self.cfg.retention;
            if !trimmed && max_age.is_none_or(|m| age <= m) {
                break;
            }
            self.lanes[id].records.pop_front();
            gone += 1;
            if trimmed && !r.read {
                // aws-facts: §22: trimmed before anyone read it: lost.
                self.lost += u64::from(measured);
                if r.span != 0 {
                    ends.push((r.span, SpanEnd::Expired));
                }
            } else {
                self.discarded.add_weighted(&self.clock, now, measured, 1.0);
                discarded.get_or_insert(r);
                if r.span != 0 {
                    ends.push((r.span, self.discard_end(edges)));
                }
            }
        }
        if gone == 0 {
            return;
        }
        self.forget(now, id, gone);
        if let Some(first) = discarded {
            self.send_on_failure(ctx, edges, rng, first);
        }
        for (span, end) in ends {
            ctx.release_span(span, end);
        }
    }

    /// How a discarded record's wait ends: dead-lettered when an on-failure queue gets its
    /// batch's message, discarded otherwise.
    fn discard_end(&self, edges: &[Edge]) -> SpanEnd {
        if edges.len() > 1 {
            SpanEnd::DeadLettered
        } else {
            SpanEnd::Discarded
        }
    }

    /// `n` records left the front of lane `id`: the batch sizes to come shrink by as many.
    fn forget(&mut self, now: SimTime, id: usize, n: u32) {
        let lane = &mut self.lanes[id];
        let mut left = n;
        while left > 0 {
            let Some(top) = lane.sizes.last_mut() else {
                break;
            };
            let take = left.min(*top);
            *top -= take;
            left -= take;
            if *top == 0 {
                lane.sizes.pop();
                lane.failures = 0;
            }
        }
        self.held -= u64::from(n);
        self.held_level.set(&self.clock, now, self.held as f64);
    }

    /// One message to the on-failure queue for a discarded batch whose first record is
    /// `first` (aws-facts: §16: the destination gets the batch's metadata).
    fn send_on_failure(
        &mut self,
        ctx: &mut Ctx<'_>,
        edges: &[Edge],
        rng: &mut SimRng,
        first: Record,
    ) {
        let Some(edge) = edges.get(1) else {
            return;
        };
        self.sent_on_failure += u64::from(self.clock.measured(ctx.now()));
        let msg = Msg {
            op: first.op,
            key: first.key,
            size_bytes: ON_FAILURE_BYTES,
            client: 0,
            instance: 0,
            messages: 1,
            origin: first.origin,
            asynchronous: false,
            span: first.span,
        };
        edge.call(ctx, rng, msg, Tag::OnFailure.encode());
    }

    /// The consumer answered the batch of lane `id` with `outcome`.
    pub(super) fn answered(
        &mut self,
        ctx: &mut Ctx<'_>,
        edges: &[Edge],
        rng: &mut SimRng,
        id: usize,
        outcome: Outcome,
    ) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        let Some(lane) = self.lanes.get_mut(id) else {
            return;
        };
        let Some(n) = lane.in_flight.take() else {
            return;
        };
        self.concurrent.add(&self.clock, now, -1.0);
        // aws-facts: §16 ReportBatchItemFailures: the checkpoint moves to the first failed
        // record; the records before it are done, and the batch is retried from it.
        let done = match (outcome.is_success(), self.first_failed(ctx)) {
            (true, Some(f)) => f,
            (true, None) => n,
            (false, _) => 0,
        };
        if outcome.is_success() && done > 0 {
            let lane = &mut self.lanes[id];
            if lane.from_sizes && done == n {
                lane.sizes.pop();
            }
            if done == n {
                lane.failures = 0;
            }
            for r in lane.records.drain(..done as usize) {
                ctx.release_span(r.span, SpanEnd::Received);
                self.processed += u64::from(measured);
                if r.written < lane.last_done {
                    self.out_of_order += 1;
                }
                lane.last_done = lane.last_done.max(r.written);
                // The processing lag: from the client's request that made the write to the
                // end of the batch that carried its record.
                self.lag
                    .record(now - r.origin, self.clock.measured(r.origin));
            }
            self.held -= u64::from(done);
            self.held_level.set(&self.clock, now, self.held as f64);
            if done == n {
                self.try_read(ctx, edges, rng, id);
                return;
            }
        }
        self.failed_batches += u64::from(measured);
        // aws-facts: §16: retries count function errors; a throttle never reached it.
        let counts = outcome != Outcome::Status(status::TOO_MANY_REQUESTS);
        // A partial answer: the rest of the batch, from its first failed record, is what is
        // retried (whole, not bisected: the function already said where it failed).
        let partial = outcome.is_success();
        let n = n - done;
        let lane = &mut self.lanes[id];
        // The records to be retried wait again: a second wait (attempt 2, …) each.
        for r in lane.records.range_mut(..n as usize) {
            r.span = ctx.requeue_span(r.span);
        }
        if lane.from_sizes {
            lane.sizes.pop();
        }
        if self.cfg.bisect && counts && !partial && n > 1 {
            // aws-facts: §16 BisectBatchOnFunctionError: the batch in two, each retried.
            let first = n.div_ceil(2);
            lane.sizes.push(n - first);
            lane.sizes.push(first);
            lane.failures = 0;
        } else {
            lane.sizes.push(n);
            lane.failures += u32::from(counts);
            if self.cfg.max_retries.is_some_and(|m| lane.failures > m) {
                let first = lane.records[0];
                let spans: Vec<u32> = lane
                    .records
                    .drain(..n as usize)
                    .map(|r| r.span)
                    .filter(|&s| s != 0)
                    .collect();
                self.discarded
                    .add_weighted(&self.clock, now, measured, f64::from(n));
                self.forget(now, id, n);
                self.send_on_failure(ctx, edges, rng, first);
                let end = self.discard_end(edges);
                for s in spans {
                    ctx.release_span(s, end);
                }
                self.try_read(ctx, edges, rng, id);
                return;
            }
        }
        let wait = self.cfg.retry_interval;
        self.lanes[id].retry_at = Some(now + wait);
        if now + wait < self.clock.end {
            ctx.schedule(wait, super::Timer::Wake(id).encode());
        }
    }

    /// Removes lane `id` if it holds nothing and waits for nothing; when that ends its
    /// generation, the next one's lanes start reading.
    fn remove_if_drained(
        &mut self,
        ctx: &mut Ctx<'_>,
        edges: &[Edge],
        rng: &mut SimRng,
        id: usize,
    ) {
        let lane = &self.lanes[id];
        if !lane.records.is_empty() || lane.in_flight.is_some() {
            return;
        }
        let before = self.readable_gen();
        let lane = self.lanes.remove(id);
        self.index.remove(&(lane.gen, lane.shard, lane.lane));
        let after = self.readable_gen();
        if let (Some(b), Some(a)) = (before, after) {
            if a != b {
                let next: Vec<usize> = self
                    .index
                    .range((a, 0, 0)..(a + 1, 0, 0))
                    .map(|(_, &i)| i)
                    .collect();
                for i in next {
                    self.try_read(ctx, edges, rng, i);
                }
            }
        }
    }

    /// Closes its recorders at the end of the run.
    pub(super) fn finish(&mut self) {
        self.held_end = self.held;
        self.concurrent.finish(&self.clock);
        self.held_level.finish(&self.clock);
    }

    /// Its summary fields, under `stream.`, and its series.
    pub(super) fn report(
        &self,
        m: &mut MetricSet,
    ) -> Vec<(&'static crate::metrics::Series, Vec<f64>)> {
        let c = &self.clock;
        m.count("stream.records_written", self.written);
        m.count("stream.records_over_limit", self.over_limit);
        m.gauge("stream.records_read", self.read.weighted_total());
        m.count("stream.records_processed", self.processed);
        m.gauge("stream.records_discarded", self.discarded.weighted_total());
        m.count("stream.records_lost", self.lost);
        m.count("stream.records_out_of_order", self.out_of_order);
        m.count("stream.batches", self.batches);
        m.count("stream.failed_batches", self.failed_batches);
        m.count("stream.sent_on_failure", self.sent_on_failure);
        m.gauge("stream.batches_in_flight_max", self.concurrent.max());
        m.gauge("stream.records_held_max", self.held_level.max());
        m.gauge("stream.records_held_end", self.held_end as f64);
        m.gauge("stream.shards", f64::from(self.shards));
        m.hist("stream.iterator_age_ms", &self.iterator_age.summary());
        m.hist("stream.lag_ms", &self.lag.summary());
        use super::kind::{
            STREAM_AGE, STREAM_DISCARDED, STREAM_HELD, STREAM_IN_FLIGHT, STREAM_READ,
        };
        vec![
            (&STREAM_READ, self.read.rate_series(c)),
            (&STREAM_AGE, self.age_max.clone()),
            (&STREAM_IN_FLIGHT, self.concurrent.mean_series(c)),
            (&STREAM_HELD, self.held_level.mean_series(c)),
            (&STREAM_DISCARDED, self.discarded.count_series()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn tags_survive_the_kernel(lane in 0usize..(1 << 40)) {
            prop_assert_eq!(token_round_trip(Tag::Batch(lane)), Ok(()));
            prop_assert_eq!(token_round_trip(Tag::OnFailure), Ok(()));
        }
    }
}
