//! The `sqs` table: its keys as written, and the validated config.

use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker};
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::limits::{MAX_HIGH_THROUGHPUT_TPS, MAX_MESSAGE_GROUPS, MAX_QUEUE_MESSAGES};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSqs {
    fifo: Option<Spanned<bool>>,
    send_latency: Option<Spanned<RawDist>>,
    visibility_timeout: Option<Spanned<String>>,
    retention: Option<Spanned<String>>,
    max_receive_count: Option<Spanned<i64>>,
    dead_letter: Option<Spanned<String>>,
    message_groups: Option<Spanned<i64>>,
    fifo_throughput_limit: Option<Spanned<String>>,
    deduplication_scope: Option<Spanned<String>>,
    high_throughput_tps: Option<Spanned<i64>>,
    max_messages: Option<Spanned<i64>>,
    consumer: Option<Spanned<RawConsumer>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsumer {
    to: Spanned<String>,
    batch_size: Option<Spanned<i64>>,
    batching_window: Option<Spanned<String>>,
    maximum_concurrency: Option<Spanned<i64>>,
    function_response_types: Option<Vec<Spanned<String>>>,
    provisioned_pollers: Option<Spanned<RawPollers>>,
    throttle_retry_delay: Option<Spanned<String>>,
    backoff_batches: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPollers {
    minimum: Spanned<i64>,
    maximum: Spanned<i64>,
}

/// An event source mapping: pollers receiving batches and invoking the consumer with each.
#[derive(Clone, Debug)]
pub struct Consumer {
    /// Index of the consumer among the scenario's components.
    pub to: usize,
    /// Where `to` is written, for messages.
    pub to_span: Range<usize>,
    /// The most messages in a batch [messages]. aws-facts: §16: default 10.
    pub batch_size: u32,
    /// How long a poller gathers messages before invoking with fewer than `batch_size` [ns].
    pub window: SimTime,
    /// The most batches in flight at once [batches]. aws-facts: §16: 2–1,000; in
    /// provisioned mode 10 per poller of the maximum.
    pub max_concurrency: u32,
    /// Provisioned mode: the fewest and most pollers, each running up to 10 batches at once.
    pub provisioned: Option<(u32, u32)>,
    /// `function_response_types = ["ReportBatchItemFailures"]`: the function reports which
    /// messages of a batch failed, and only those return to the queue (aws-facts: §16).
    pub report_batch_item_failures: bool,
    /// How long a throttled batch waits before each retry [ns].
    /// `lambda:services-sqs-errorhandling.html`: Lambda retries a throttled invocation until
    /// the visibility timeout, backing off "by reducing the amount of concurrency allocated"
    /// to the mapping (`backoff_batches`), and gives no wait: 1 s (as the first backoff of
    /// Lambda's asynchronous queue, aws-facts §14) is a choice.
    pub throttle_retry_delay: SimTime,
    /// How many batches fewer the mapping runs at once after each throttled invocation and
    /// (without ReportBatchItemFailures) each failed one [batches]. The same page: Lambda
    /// "gradually backs off, reducing the amount of concurrency allocated" to the mapping,
    /// by an amount it does not give: one batch is a choice.
    pub backoff_batches: u32,
}

/// A validated `sqs` queue.
#[derive(Clone, Debug)]
pub struct SqsConfig {
    /// A FIFO queue (per-action quota, ordered message groups) rather than a standard one.
    pub fifo: bool,
    /// Time SendMessage takes before its 200 [s].
    pub send_latency: Dist,
    /// How long a received message stays invisible unless deleted [ns].
    pub visibility_timeout: SimTime,
    /// How long a message is kept before it is deleted unread [ns].
    pub retention: SimTime,
    /// Receives after which a message moves to the dead-letter queue, and that queue's index.
    pub redrive: Option<(u32, usize)>,
    /// Where `dead_letter` is written, for messages.
    pub dead_letter_span: Range<usize>,
    /// Message groups of a FIFO queue; a message's group is its key modulo this [groups].
    pub message_groups: u32,
    /// High-throughput FIFO (`fifo_throughput_limit = "per_message_group_id"` with
    /// `deduplication_scope = "message_group"`): the Region's most calls per second per
    /// action, which partitions of 300 each share [calls/s]. `None`: 300 for the queue.
    pub high_throughput_tps: Option<u32>,
    /// The most messages held at once; sends beyond are refused with 503 [messages].
    pub max_messages: u32,
    /// The event source mapping that polls it, if any.
    pub consumer: Option<Consumer>,
    /// Its calls: the consumer's (first, when there is one), then the dead-letter queue's.
    pub calls: Vec<CallSpec>,
}

/// aws-facts: §15 SQS: send and receive typically take about 10–30 ms in a Region, flagged
/// [?] there: a lognormal of median 15 ms and p99 30 ms is a choice.
fn default_send_latency() -> Dist {
    Dist::lognormal_median_p99(0.015, 0.030).expect("valid")
}

/// aws-facts: §15 SQS: visibility timeout 30 s by default, 0 s–12 h.
pub const DEFAULT_VISIBILITY: SimTime = SimTime::from_secs(30);
pub const MAX_VISIBILITY: SimTime = SimTime::from_secs(12 * 3600);
/// aws-facts: §15 SQS: retention 4 days by default, 60 s–14 days.
pub const DEFAULT_RETENTION: SimTime = SimTime::from_secs(4 * 24 * 3600);
pub const MIN_RETENTION: SimTime = SimTime::from_secs(60);
pub const MAX_RETENTION: SimTime = SimTime::from_secs(14 * 24 * 3600);
/// aws-facts: §15 SQS: a high-throughput FIFO queue's limits are per partition, with a
/// regional maximum of "tens of thousands" of calls per second in big Regions, flagged [?]
/// there: 70,000 per action (AWS's figure for us-east-1, us-west-2 and eu-west-1 without
/// batching, not re-read) is the default, a key because it varies by Region.
pub const DEFAULT_HIGH_THROUGHPUT_TPS: i64 = 70_000;
/// aws-facts: §15 SQS: maxReceiveCount 1–1,000.
pub const MAX_RECEIVE_COUNT: i64 = 1_000;
/// aws-facts: §16 SQS: batch size 10 by default; at most 10,000 (standard) or 10 (FIFO).
pub const DEFAULT_BATCH: i64 = 10;
pub const MAX_BATCH_STANDARD: i64 = 10_000;
/// The most messages a FIFO queue's batch holds (the same §16).
pub const MAX_BATCH_FIFO: i64 = 10;
/// aws-facts: §16: the batching window is 0 s by default; Lambda allows up to 300 s.
pub const MAX_WINDOW: SimTime = SimTime::from_secs(300);
/// aws-facts: §16 SQS: provisioned mode: 2–200 pollers at least, 2–2,000 at most, each up to
/// 10 concurrent invokes.
pub const MIN_POLLERS: (i64, i64) = (2, 200);
pub const MAX_POLLERS: (i64, i64) = (2, 2_000);
pub const INVOKES_PER_POLLER: u32 = 10;
/// aws-facts: §16: the one function response type an event source mapping takes.
pub const RESPONSE_TYPES: &[&str] = &["ReportBatchItemFailures"];
/// aws-facts: §16 SQS: MaximumConcurrency 2–1,000; 1,000 concurrent batches at most.
pub const MIN_CONCURRENCY: i64 = 2;
pub const MAX_CONCURRENCY: i64 = 1_000;
/// `Consumer::throttle_retry_delay` and `Consumer::backoff_batches` unless set (choices,
/// said there).
pub const DEFAULT_THROTTLE_RETRY: SimTime = SimTime::from_secs(1);
pub const DEFAULT_BACKOFF_BATCHES: i64 = 1;

/// Reads and validates an `sqs` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<SqsConfig> {
    let whole = table.span();
    let raw: RawSqs = ck.deserialize(table)?;
    let fifo = raw.fifo.as_ref().is_some_and(|f| *f.get_ref());
    let send_latency = ck.time_dist_or(&raw.send_latency, "send_latency", default_send_latency());
    let visibility = ck.or(&raw.visibility_timeout, DEFAULT_VISIBILITY, |ck, v| {
        let t = ck.duration(v, "visibility_timeout")?;
        if t > MAX_VISIBILITY {
            ck.error(
                v.span(),
                format!(
                    "`visibility_timeout` is {}; SQS allows 0s to 12h",
                    v.get_ref()
                ),
            );
            return None;
        }
        Some(t)
    });
    let retention = ck.or(&raw.retention, DEFAULT_RETENTION, |ck, v| {
        let t = ck.duration(v, "retention")?;
        if !(MIN_RETENTION..=MAX_RETENTION).contains(&t) {
            ck.error(
                v.span(),
                format!("`retention` is {t}; SQS allows 60s to 14d"),
            );
            return None;
        }
        Some(t)
    });
    let max_messages = ck.int_or(
        &raw.max_messages,
        "max_messages",
        (1, MAX_QUEUE_MESSAGES),
        MAX_QUEUE_MESSAGES,
    );
    let groups = match (&raw.message_groups, fifo) {
        (Some(g), false) => {
            ck.error(
                g.span(),
                "`message_groups` is for a FIFO queue: set `fifo = true`, or leave it out",
            );
            None
        }
        (g, _) => ck.int_or(g, "message_groups", (1, MAX_MESSAGE_GROUPS), 1),
    };
    let high_throughput = high_throughput(ck, &raw, fifo);
    let redrive = redrive(ck, &raw);
    let consumer = ck.or(&raw.consumer, None, |ck, c| consumer(ck, c, fifo).map(Some));
    let (redrive, consumer) = (redrive?, consumer?);
    let mut calls = Vec::new();
    if let Some(c) = &consumer {
        calls.push(one_attempt(c.to));
    }
    if let Some((_, dlq)) = redrive {
        calls.push(one_attempt(dlq));
    }
    Some(SqsConfig {
        fifo,
        send_latency: send_latency?,
        visibility_timeout: visibility?,
        retention: retention?,
        redrive,
        dead_letter_span: raw
            .dead_letter
            .as_ref()
            .map_or(whole.start..whole.start, |d| d.span()),
        message_groups: groups? as u32,
        high_throughput_tps: high_throughput?,
        max_messages: max_messages? as u32,
        consumer,
        calls,
    })
}

/// A call the queue makes once, whatever its callee's SDK would do: a failed batch goes back
/// to the queue (aws-facts: §16), and a redrive is SQS's own move.
fn one_attempt(to: usize) -> CallSpec {
    CallSpec::once(to)
}

/// `fifo_throughput_limit`, `deduplication_scope` and `high_throughput_tps`: the regional
/// calls per second of a high-throughput FIFO queue, or `None` for 300 per queue.
fn high_throughput(ck: &mut Checker, raw: &RawSqs, fifo: bool) -> Option<Option<u32>> {
    let limit = ck.one_of_or(
        &raw.fifo_throughput_limit,
        "fifo_throughput_limit",
        &["per_queue", "per_message_group_id"],
        "per_queue",
    );
    let scope = ck.one_of_or(
        &raw.deduplication_scope,
        "deduplication_scope",
        &["queue", "message_group"],
        "queue",
    );
    if !fifo {
        let mut ok = true;
        for (key, v) in [
            ("fifo_throughput_limit", &raw.fifo_throughput_limit),
            ("deduplication_scope", &raw.deduplication_scope),
        ] {
            if let Some(v) = v {
                ck.error(
                    v.span(),
                    format!("`{key}` is for a FIFO queue: set `fifo = true`, or leave it out"),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
    }
    // aws-facts: §15 SQS: high throughput needs both per-message-group settings; with any
    // other pair AWS keeps the queue's normal throughput.
    let on = limit? == "per_message_group_id" && scope? == "message_group";
    match (&raw.high_throughput_tps, on) {
        (Some(t), false) => {
            ck.error(
                t.span(),
                "`high_throughput_tps` is for a high-throughput FIFO queue: set `fifo_throughput_limit = \"per_message_group_id\"` and `deduplication_scope = \"message_group\"`, or leave it out",
            );
            None
        }
        (t, true) => {
            let tps = ck.int_or(
                t,
                "high_throughput_tps",
                (300, MAX_HIGH_THROUGHPUT_TPS),
                DEFAULT_HIGH_THROUGHPUT_TPS,
            )?;
            Some(Some(tps as u32))
        }
        (None, false) => Some(None),
    }
}

/// `max_receive_count` and `dead_letter`, which come together.
fn redrive(ck: &mut Checker, raw: &RawSqs) -> Option<Option<(u32, usize)>> {
    // Its range is told even without `dead_letter`, so that one fix does not lead to the next
    // message.
    let count = raw
        .max_receive_count
        .as_ref()
        .map(|n| ck.int_in(n, "max_receive_count", 1, MAX_RECEIVE_COUNT));
    match (&raw.max_receive_count, &raw.dead_letter) {
        (None, None) => Some(None),
        (Some(n), None) => {
            ck.error(
                n.span(),
                "`max_receive_count` needs `dead_letter`, the id of the sqs queue that takes the messages",
            );
            None
        }
        (None, Some(d)) => {
            ck.error(
                d.span(),
                "`dead_letter` needs `max_receive_count` (1 to 1000), the receives after which a message moves",
            );
            None
        }
        (Some(_), Some(d)) => {
            let dlq = ck.component(d, "dead_letter");
            Some(Some((count.flatten()? as u32, dlq?)))
        }
    }
}

fn consumer(ck: &mut Checker, c: &Spanned<RawConsumer>, fifo: bool) -> Option<Consumer> {
    let c = c.get_ref();
    let to = ck.component(&c.to, "consumer.to");
    let max_batch = if fifo {
        MAX_BATCH_FIFO
    } else {
        MAX_BATCH_STANDARD
    };
    let batch = ck.or(&c.batch_size, DEFAULT_BATCH, |ck, b| {
        if fifo && *b.get_ref() > MAX_BATCH_FIFO {
            ck.error(
                b.span(),
                format!(
                    "`consumer.batch_size` is {}; a FIFO queue's batches hold 1 to 10 messages",
                    b.get_ref()
                ),
            );
            return None;
        }
        ck.int_in(b, "consumer.batch_size", 1, max_batch)
    });
    let window = ck.or(&c.batching_window, SimTime::ZERO, |ck, w| {
        let t = ck.duration(w, "consumer.batching_window")?;
        if fifo && t > SimTime::ZERO {
            ck.error(
                w.span(),
                "`consumer.batching_window` is not available on a FIFO queue: leave it out",
            );
            return None;
        }
        if t > MAX_WINDOW {
            ck.error(
                w.span(),
                format!("`consumer.batching_window` is {t}; Lambda allows 0s to 5m"),
            );
            return None;
        }
        Some(t)
    });
    let conc = ck.int_or(
        &c.maximum_concurrency,
        "consumer.maximum_concurrency",
        (MIN_CONCURRENCY, MAX_CONCURRENCY),
        MAX_CONCURRENCY,
    );
    let provisioned = ck.or(&c.provisioned_pollers, None, |ck, p| {
        if c.maximum_concurrency.is_some() {
            ck.error(
                p.span(),
                "`consumer.provisioned_pollers` and `consumer.maximum_concurrency` exclude each other (AWS's provisioned mode has no maximum concurrency): keep one",
            );
            return None;
        }
        let p = p.get_ref();
        let (lo, hi) = (MIN_POLLERS, MAX_POLLERS);
        let min = ck.int_in(&p.minimum, "consumer.provisioned_pollers.minimum", lo.0, lo.1);
        let max = ck.int_in(&p.maximum, "consumer.provisioned_pollers.maximum", hi.0, hi.1);
        let (min, max) = (min?, max?);
        if min > max {
            ck.error(
                p.maximum.span(),
                format!("`consumer.provisioned_pollers.maximum` is {max}, below its `minimum` ({min})"),
            );
            return None;
        }
        Some(Some((min as u32, max as u32)))
    });
    let report = ck.or(&c.function_response_types, false, |ck, list| {
        let words = ck.words_of(list, "consumer.function_response_types", RESPONSE_TYPES)?;
        Some(!words.is_empty())
    });
    let retry_delay = ck.or(&c.throttle_retry_delay, DEFAULT_THROTTLE_RETRY, |ck, d| {
        let t = ck.duration(d, "consumer.throttle_retry_delay")?;
        if t == SimTime::ZERO || t > MAX_VISIBILITY {
            ck.error(
                d.span(),
                format!("`consumer.throttle_retry_delay` is {t}; give more than 0s and at most 12h (a visibility timeout's longest)"),
            );
            return None;
        }
        Some(t)
    });
    let backoff = ck.int_or(
        &c.backoff_batches,
        "consumer.backoff_batches",
        (0, MAX_CONCURRENCY),
        DEFAULT_BACKOFF_BATCHES,
    );
    let provisioned = provisioned?;
    let (batch, window) = (batch?, window?);
    // Lambda's CreateEventSourceMapping (MaximumBatchingWindowInSeconds): "For Amazon SQS
    // event sources, when you set BatchSize to a value greater than 10, you must set
    // MaximumBatchingWindowInSeconds to at least 1."
    if batch > 10 && window < SimTime::from_secs(1) {
        let span = c
            .batch_size
            .as_ref()
            .map_or_else(|| c.to.span(), |b| b.span());
        ck.error(
            span,
            format!(
                "`consumer.batch_size` is {batch}; Lambda takes more than 10 messages a batch from a queue only with a `batching_window` of at least 1s: set one, or a batch of 10 or fewer"
            ),
        );
        return None;
    }
    Some(Consumer {
        to: to?,
        to_span: c.to.span(),
        batch_size: batch as u32,
        window,
        max_concurrency: provisioned.map_or(conc? as u32, |(_, max)| max * INVOKES_PER_POLLER),
        provisioned,
        report_batch_item_failures: report?,
        throttle_retry_delay: retry_delay?,
        backoff_batches: backoff? as u32,
    })
}

impl SqsConfig {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let mut first = format!(
            "{}, visibility {}",
            if self.fifo { "FIFO" } else { "standard" },
            self.visibility_timeout
        );
        if let Some((n, _)) = self.redrive {
            first.push_str(&format!(", DLQ after {n}"));
        }
        let mut lines = vec![first];
        if let Some(c) = &self.consumer {
            lines.push(format!(
                "batches of {}, up to {} at once{}{}",
                c.batch_size,
                c.max_concurrency,
                match c.provisioned {
                    Some((min, max)) => format!(", {min}–{max} provisioned pollers"),
                    None => String::new(),
                },
                if c.report_batch_item_failures {
                    ", item failures reported"
                } else {
                    ""
                }
            ));
        }
        lines
    }
}
