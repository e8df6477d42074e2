//! A table's `stream = { … }`: DynamoDB Streams and the Lambda event source mapping that reads
//! it, as written and validated (aws-facts §16 event source mappings, §22 DynamoDB Streams).

use crate::config::{CallSpec, Checker};
use crate::kernel::SimTime;
use crate::limits::MAX_STREAM_RECORDS;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStream {
    consumer: Spanned<String>,
    batch_size: Option<Spanned<i64>>,
    maximum_batching_window: Option<Spanned<String>>,
    parallelization_factor: Option<Spanned<i64>>,
    maximum_retry_attempts: Option<Spanned<i64>>,
    maximum_record_age: Option<Spanned<String>>,
    bisect_batch_on_function_error: Option<bool>,
    function_response_types: Option<Vec<Spanned<String>>>,
    on_failure: Option<Spanned<String>>,
    retry_interval: Option<Spanned<String>>,
    max_records: Option<Spanned<i64>>,
}

/// A validated stream and its event source mapping.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// Index of the consumer among the scenario's components (invoked with each batch).
    pub consumer: usize,
    /// Where `consumer` is written, for messages.
    pub consumer_span: Range<usize>,
    /// The most records in a batch [records].
    pub batch_size: u32,
    /// How long a lane gathers records before invoking with fewer than `batch_size` [ns].
    pub window: SimTime,
    /// Concurrent batches per shard, records of one key staying in order [batches].
    pub parallelization: u32,
    /// Retries of a failed batch before it is discarded; `None`: until its records expire.
    pub max_retries: Option<u32>,
    /// Records older than this are discarded unread; `None`: kept until the stream trims
    /// them at its retention [ns].
    pub max_record_age: Option<SimTime>,
    /// A failed batch of more than one record is split in two, each half retried alone.
    pub bisect: bool,
    /// `function_response_types = ["ReportBatchItemFailures"]`: the function reports its
    /// first failed record, and the batch is retried from there (aws-facts: §16).
    pub report_batch_item_failures: bool,
    /// Index of the sqs queue that gets one message per discarded batch, if any.
    pub on_failure: Option<usize>,
    /// Where `on_failure` is written, for messages.
    pub on_failure_span: Range<usize>,
    /// Time between a failed batch and its retry [ns]: a choice (AWS does not say).
    pub retry_interval: SimTime,
    /// The most records the stream holds at once: a limit of the simulation [records].
    pub max_records: u64,
    /// How long the stream keeps a record [ns]. aws-facts: §22: 24 h.
    pub retention: SimTime,
}

/// aws-facts: §16 Kinesis / DynamoDB Streams: batch size 100 by default, at most 10,000.
pub const DEFAULT_BATCH: i64 = 100;
pub const MAX_BATCH: i64 = 10_000;
/// aws-facts: §16: the batching window is 0–300 s.
pub const MAX_WINDOW: SimTime = SimTime::from_secs(300);
/// aws-facts: §16: the one function response type an event source mapping takes.
pub const RESPONSE_TYPES: &[&str] = &["ReportBatchItemFailures"];
/// aws-facts: §16: ParallelizationFactor 1–10.
pub const MAX_PARALLELIZATION: i64 = 10;
/// aws-facts: §16: MaximumRetryAttempts −1 (until the record expires) or up to 10,000.
pub const MAX_RETRIES: i64 = 10_000;
/// aws-facts: §16: MaximumRecordAgeInSeconds −1 (until the record expires) or up to
/// 604,800 s; Lambda's API takes at least 60 s.
pub const MIN_RECORD_AGE: SimTime = SimTime::from_secs(60);
pub const MAX_RECORD_AGE: SimTime = SimTime::from_secs(604_800);
/// aws-facts: §22 DynamoDB Streams: records are kept 24 h.
pub const RETENTION: SimTime = SimTime::from_secs(24 * 3600);
/// The wait before a failed batch is retried: a choice, as AWS documents none; one second
/// keeps a shard blocked by a failing record from calling its function thousands of times a
/// second.
pub const DEFAULT_RETRY_INTERVAL: SimTime = SimTime::from_secs(1);
/// The longest `retry_interval` a scenario may set (a bound of the model).
pub const MAX_RETRY_INTERVAL: SimTime = SimTime::from_secs(300);

/// Reads and validates `stream = { … }`; `None` when it has errors (reported on `ck`).
pub(super) fn parse(raw: &RawStream, ck: &mut Checker) -> Option<StreamConfig> {
    let consumer = ck.component(&raw.consumer, "stream.consumer");
    let batch_size = ck.int_or(
        &raw.batch_size,
        "stream.batch_size",
        (1, MAX_BATCH),
        DEFAULT_BATCH,
    );
    let window = ck.or(&raw.maximum_batching_window, SimTime::ZERO, |ck, w| {
        let t = ck.duration(w, "stream.maximum_batching_window")?;
        within(
            ck,
            w,
            t,
            "stream.maximum_batching_window",
            "0s to 5m",
            SimTime::ZERO,
            MAX_WINDOW,
        )
    });
    let parallelization = ck.int_or(
        &raw.parallelization_factor,
        "stream.parallelization_factor",
        (1, MAX_PARALLELIZATION),
        1,
    );
    let max_retries = ck.or(&raw.maximum_retry_attempts, None, |ck, r| {
        let n = ck.int_in(r, "stream.maximum_retry_attempts", -1, MAX_RETRIES)?;
        Some(u32::try_from(n).ok())
    });
    let max_record_age = ck.or(&raw.maximum_record_age, None, |ck, a| {
        let t = ck.duration(a, "stream.maximum_record_age")?;
        within(
            ck,
            a,
            t,
            "stream.maximum_record_age",
            "60s to 7d (leave it out for AWS's -1: until the record expires at 24h)",
            MIN_RECORD_AGE,
            MAX_RECORD_AGE,
        )
        .map(Some)
    });
    let on_failure = ck.or(&raw.on_failure, None, |ck, d| {
        ck.component(d, "stream.on_failure").map(Some)
    });
    let retry_interval = ck.or(&raw.retry_interval, DEFAULT_RETRY_INTERVAL, |ck, r| {
        let t = ck.duration(r, "stream.retry_interval")?;
        within(
            ck,
            r,
            t,
            "stream.retry_interval",
            "0s to 5m",
            SimTime::ZERO,
            MAX_RETRY_INTERVAL,
        )
    });
    let report = ck.or(&raw.function_response_types, false, |ck, list| {
        let words = ck.words_of(list, "stream.function_response_types", RESPONSE_TYPES)?;
        Some(!words.is_empty())
    });
    let max_records = ck.int_or(
        &raw.max_records,
        "stream.max_records",
        (1, MAX_STREAM_RECORDS),
        MAX_STREAM_RECORDS,
    );
    Some(StreamConfig {
        consumer: consumer?,
        consumer_span: raw.consumer.span(),
        batch_size: batch_size? as u32,
        window: window?,
        parallelization: parallelization? as u32,
        max_retries: max_retries?,
        max_record_age: max_record_age?,
        bisect: raw.bisect_batch_on_function_error.unwrap_or(false),
        report_batch_item_failures: report?,
        on_failure: on_failure?,
        on_failure_span: raw
            .on_failure
            .as_ref()
            .map_or(raw.consumer.span(), |d| d.span()),
        retry_interval: retry_interval?,
        max_records: max_records? as u64,
        retention: RETENTION,
    })
}

/// `t`, written at `w`, if it lies from `min` to `max` (`allowed` says so in words).
fn within(
    ck: &mut Checker,
    w: &Spanned<String>,
    t: SimTime,
    key: &str,
    allowed: &str,
    min: SimTime,
    max: SimTime,
) -> Option<SimTime> {
    if t < min || t > max {
        ck.error(
            w.span(),
            format!("`{key}` is {}; allowed: {allowed}", w.get_ref()),
        );
        return None;
    }
    Some(t)
}

impl StreamConfig {
    /// The table's calls for its stream: the consumer first, then the on-failure queue.
    /// Each is made once, whatever the callee's SDK would do: the mapping retries a failed
    /// batch itself (aws-facts: §16).
    pub(super) fn calls(&self) -> Vec<CallSpec> {
        std::iter::once(self.consumer)
            .chain(self.on_failure)
            .map(CallSpec::once)
            .collect()
    }

    /// Its settings in a few words, for diagrams.
    pub(super) fn line(&self) -> String {
        format!(
            "stream: batches of {}, {} per shard",
            self.batch_size, self.parallelization
        )
    }
}
