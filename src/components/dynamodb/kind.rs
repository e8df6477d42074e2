//! What `dynamodb` declares about itself: its keys, series, summary fields, columns, plot
//! panels and events, and the retries AWS's SDKs apply to it.

use super::autoscaling::{TARGET_MAX, TARGET_MIN};
use super::config::{self, DynamoConfig, MAX_PARTITIONS, MAX_UNITS};
use super::stream_config::{MAX_BATCH, MAX_PARALLELIZATION, MAX_RETRIES};
use super::{MAX_BATCH_GET, MAX_BATCH_WRITE, THROTTLED};
use crate::components::iac::{
    clamp, string, Dialect, Downstream, Imports, Mapped, Resource, ResourceMap,
};
use crate::components::kind::{
    BatchAction, Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, Mapping, Mark,
    PlotLine, PlotPanel, Relations, Series, Tone, Unit,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::iam::{IamAction, ACCOUNT_ID};
use crate::limits::MAX_DYNAMODB_UNITS;
use crate::limits::MAX_STREAM_RECORDS;
use crate::retry::{SdkService, ServiceFamily};

/// A table's ARN.
pub fn table_arn(id: &str, region: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{id}")
}

/// A table's stream, beneath its ARN. A choice: archsim names no stream label, so the
/// stream's ARN is every label's (`/stream/*`), and a statement grants it only when it covers
/// every label.
pub const STREAM: &str = "/stream/*";

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
pub(super) const THROTTLES: Series = Series {
    id: "throttles_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 400 (throughput exceeded)",
};
pub(super) const READ_UNITS: Series = Series {
    id: "read_units_per_s",
    unit: Unit::PerSecond,
    about: "read capacity units consumed",
};
pub(super) const WRITE_UNITS: Series = Series {
    id: "write_units_per_s",
    unit: Unit::PerSecond,
    about: "write capacity units consumed",
};
pub(super) const READ_CAPACITY: Series = Series {
    id: "read_capacity",
    unit: Unit::Number,
    about: "read capacity units provisioned, time-averaged",
};
pub(super) const WRITE_CAPACITY: Series = Series {
    id: "write_capacity",
    unit: Unit::Number,
    about: "write capacity units provisioned, time-averaged",
};
pub(super) const DAX_HIT_RATIO: Series = Series {
    id: "dax_hit_ratio",
    unit: Unit::Share,
    about: "share of DAX reads answered from its cache",
};

pub(super) const STREAM_READ: Series = Series {
    id: "stream_records_read_rps",
    unit: Unit::PerSecond,
    about: "stream records handed to the consumer in batches, retries included",
};
pub(super) const STREAM_AGE: Series = Series {
    id: "stream_iterator_age_s",
    unit: Unit::Seconds,
    about: "iterator age: the greatest age of the last record of a batch read in each window (none where no batch was read)",
};
pub(super) const STREAM_IN_FLIGHT: Series = Series {
    id: "stream_batches_in_flight",
    unit: Unit::Number,
    about: "stream batches awaiting the consumer's answer, time-averaged",
};
pub(super) const STREAM_HELD: Series = Series {
    id: "stream_records_held",
    unit: Unit::Number,
    about: "records the stream holds not yet processed, time-averaged",
};
pub(super) const STREAM_DISCARDED: Series = Series {
    id: "stream_records_discarded",
    unit: Unit::Count,
    about: "records the event source mapping discarded in each window (retries exhausted, too old)",
};

/// The keys of `stream = { … }`.
const STREAM_KEYS: &[Key] = &[
    Key {
        name: "consumer",
        ty: KeyType::Ids,
        required: true,
        about: "the component invoked with each batch of records (a Lambda function, or any component), one synchronous call per batch",
    },
    Key {
        name: "batch_size",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_BATCH,
        },
        required: false,
        about: "the most records in a batch, 1 to 10,000 (default 100)",
    },
    Key {
        name: "maximum_batching_window",
        ty: KeyType::Duration,
        required: false,
        about: "how long a lane gathers records before invoking with fewer than a full batch, 0s to 5m (default 0s)",
    },
    Key {
        name: "parallelization_factor",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_PARALLELIZATION,
        },
        required: false,
        about: "concurrent batches per shard, 1 to 10; records of one key stay in one lane, in order (default 1)",
    },
    Key {
        name: "maximum_retry_attempts",
        ty: KeyType::Integer {
            min: -1,
            max: MAX_RETRIES,
        },
        required: false,
        about: "retries of a failed batch before it is discarded, -1 to 10,000; -1: until its records expire; a throttle (429) does not count (default -1)",
    },
    Key {
        name: "maximum_record_age",
        ty: KeyType::Duration,
        required: false,
        about: "records older than this are discarded, never sent, 60s to 7d (default: AWS's -1, kept until the stream trims them at 24h)",
    },
    Key {
        name: "bisect_batch_on_function_error",
        ty: KeyType::Bool,
        required: false,
        about: "a failed batch of more than one record is split in two, each half retried alone, its retries counted afresh (default false)",
    },
    Key {
        name: "function_response_types",
        ty: KeyType::Words,
        required: false,
        about: "[\"ReportBatchItemFailures\"]: the function reports its first failed record; the records before it are done and the batch is retried from it, not bisected (default none: the whole batch is retried)",
    },
    Key {
        name: "on_failure",
        ty: KeyType::Ids,
        required: false,
        about: "the id of the sqs queue that gets one message (the batch's metadata, 1 KB) per discarded batch (default: none)",
    },
    Key {
        name: "retry_interval",
        ty: KeyType::Duration,
        required: false,
        about: "the wait before a failed batch is retried, 0s to 5m (default 1s, a choice: AWS gives no figure)",
    },
    Key {
        name: "max_records",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_STREAM_RECORDS,
        },
        required: false,
        about: "the most records the stream holds at once, a limit of the simulation: the records of writes beyond are not kept, and are counted (default 10,000,000)",
    },
];

impl Kind for DynamoConfig {
    /// Its partitions' token buckets and heat, reads' and writes' (about 190 bytes a
    /// partition, measured with 100,000 of them).
    fn upfront_bytes(&self) -> Option<(u64, String)> {
        Some((
            u64::from(self.partitions) * 192,
            format!("its {} partitions", self.partitions),
        ))
    }
    // aws-facts: §19 IAM: DynamoDB's actions are `dynamodb:*`.
    const IAM_PREFIX: Option<&'static str> = Some("dynamodb");
    const IAM_ACTIONS: &'static [&'static str] = &[
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "DescribeStream",
        "GetRecords",
        "GetShardIterator",
        "ListStreams",
    ];
    const WRITE_OPS: Option<crate::components::kind::WriteOps> =
        Some(crate::components::kind::WriteOps::shared("writes"));
    const INFO: &'static KindInfo = &KindInfo {
        name: "dynamodb",
        title: "Amazon DynamoDB",
        noun: "a DynamoDB table",
        category: Category::Database,
        about: "a table, provisioned (with burst capacity and auto scaling) or on demand, partitions with their own limits, item-size units, consistency, transactions, DAX, and a stream of its writes read by Lambda's event source mapping",
        keys: &[
            Key {
                name: "mode",
                ty: KeyType::Word(&["provisioned", "on_demand"]),
                required: false,
                about: "capacity mode: provisioned (`rcu`, `wcu`, burst capacity, optional `autoscaling`) or on_demand (its warm throughput at once, up to twice the peak of more than 30 minutes ago, at most `max_throughput`) (default provisioned)",
            },
            Key {
                name: "rcu",
                ty: KeyType::Number {
                    min: 0.0,
                    max: MAX_UNITS,
                },
                required: false,
                about: "read capacity units per second, above 0; required when provisioned, refused on demand (no default)",
            },
            Key {
                name: "wcu",
                ty: KeyType::Number {
                    min: 0.0,
                    max: MAX_UNITS,
                },
                required: false,
                about: "write capacity units per second, above 0; required when provisioned, refused on demand (no default)",
            },
            Key {
                name: "partitions",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_PARTITIONS,
                },
                required: false,
                about: "partitions the table starts with, each held to 3,000 RCU and 1,000 WCU per second; more are split off as capacity grows (default: rcu / 3,000 + wcu / 1,000 rounded up, at least 1; on demand, the same of its warm throughput: 8 for a new table)",
            },
            Key {
                name: "consistency",
                ty: KeyType::Word(&["eventual", "strong"]),
                required: false,
                about: "read consistency: eventual (half a read unit per 4 KB, served by DAX) or strong (a whole unit, past DAX) (default eventual)",
            },
            Key {
                name: "read_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time a read takes at the table (default lognormal, median 3 ms, p99 10 ms)",
            },
            Key {
                name: "write_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time a write takes at the table (default lognormal, median 5 ms, p99 15 ms)",
            },
            Key {
                name: "writes",
                ty: KeyType::Words,
                required: false,
                about: "operations that write (a unit per 1 KB); every other operation reads (default write, put, update, delete)",
            },
            Key {
                name: "transactions",
                ty: KeyType::Words,
                required: false,
                about: "operations that are transactional, at twice the capacity units (default none)",
            },
            Key {
                name: "autoscaling",
                ty: KeyType::Table(&[
                    Key {
                        name: "target",
                        ty: KeyType::Number {
                            min: TARGET_MIN,
                            max: TARGET_MAX,
                        },
                        required: true,
                        about: "utilisation of provisioned capacity it tracks, a share from 0.2 to 0.9 (no default)",
                    },
                    Key {
                        name: "max_rcu",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "the most read capacity units per second it scales out to (default 10 × rcu)",
                    },
                    Key {
                        name: "max_wcu",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "the most write capacity units per second it scales out to (default 10 × wcu)",
                    },
                    Key {
                        name: "lag",
                        ty: KeyType::Duration,
                        required: false,
                        about: "time from the alarm to the new capacity being in effect (default 2m)",
                    },
                ]),
                required: false,
                about: "target tracking on a provisioned table: out after 2 minutes above the target, in after 15 minutes 20 points below it, never below rcu / wcu (default: none, fixed capacity)",
            },
            Key {
                name: "dax",
                ty: KeyType::Table(&[
                    Key {
                        name: "ttl",
                        ty: KeyType::Duration,
                        required: false,
                        about: "how long an item (or a query's result) stays in DAX's cache, above zero (default 5m)",
                    },
                    Key {
                        name: "capacity",
                        ty: KeyType::Integer {
                            min: 1,
                            max: crate::limits::MAX_CACHE_ENTRIES / 2,
                        },
                        required: false,
                        about: "items the item cache holds, and results the query cache holds, each, the least recently used evicted first, at most 5,000,000 (default 1,000,000)",
                    },
                    Key {
                        name: "latency",
                        ty: KeyType::TimeDist,
                        required: false,
                        about: "one trip to the DAX cluster: a hit's whole time, added to a miss or a write (default uniform 0.3 to 0.8 ms)",
                    },
                ]),
                required: false,
                about: "DAX in front: eventually consistent reads from its item cache, operations named query and scan from its query cache, writes through to the item cache only (default: none)",
            },
            Key {
                name: "warm_throughput",
                ty: KeyType::Table(&[
                    Key {
                        name: "read",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "read units per second served at once (default 12,000 on demand, rcu provisioned)",
                    },
                    Key {
                        name: "write",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "write units per second served at once (default 4,000 on demand, wcu provisioned)",
                    },
                ]),
                required: false,
                about: "warm throughput (pre-warming): on demand, the rate served at once from the start, never falling, at least a new table's 12,000 read and 4,000 write units/s; provisioned, the partitions are sized for it (default: a new table's)",
            },
            Key {
                name: "max_throughput",
                ty: KeyType::Table(&[
                    Key {
                        name: "read",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "the most read units per second (default 40,000)",
                    },
                    Key {
                        name: "write",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "the most write units per second (default 40,000)",
                    },
                ]),
                required: false,
                about: "on demand only: the table's maximum throughput, AWS's default table quota unless set (default 40,000 read and 40,000 write units/s)",
            },
            Key {
                name: "split_delay",
                ty: KeyType::Duration,
                required: false,
                about: "how long a partition throttles before split for heat gives its hottest key a partition of its own, above zero (default 5m, a choice: AWS gives no figure)",
            },
            Key {
                name: "burst_banked",
                ty: KeyType::Duration,
                required: false,
                about: "provisioned: the unused capacity banked for bursts when the run starts, as seconds of the provisioned rate, 0s to 5m (default 5m: a table long under its capacity; 0s for one that has used its burst, so that a load above `rcu` or `wcu` throttles at once)",
            },
            Key {
                name: "local_secondary_index",
                ty: KeyType::Bool,
                required: false,
                about: "the table has a local secondary index: no split for heat (default false)",
            },
            Key {
                name: "streams",
                ty: KeyType::Bool,
                required: false,
                about: "DynamoDB Streams is on: a provisioned table does not split for heat (default false; a `stream` table turns it on)",
            },
            Key {
                name: "stream",
                ty: KeyType::Table(STREAM_KEYS),
                required: false,
                about: "DynamoDB Streams with Lambda's event source mapping reading it: each write done appends a record to its partition's shard (kept 24 h), read by `parallelization_factor` lanes per shard, one batch each, a synchronous call to `consumer` per batch (default: none)",
            },
            Key {
                name: "monotonic_sort_key",
                ty: KeyType::Bool,
                required: false,
                about: "the hot keys' traffic rises or falls along the sort key (a timestamp, a counter): no split for heat (default false)",
            },
        ],
        faults: &[],
        series: &[
            &REQUESTS,
            &THROTTLES,
            &READ_UNITS,
            &WRITE_UNITS,
            &READ_CAPACITY,
            &WRITE_CAPACITY,
            &DAX_HIT_RATIO,
            &STREAM_READ,
            &STREAM_AGE,
            &STREAM_IN_FLIGHT,
            &STREAM_HELD,
            &STREAM_DISCARDED,
        ],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests received in the measured period",
            },
            Field {
                path: "throttles",
                unit: Unit::Count,
                about: "requests refused with 400 (throughput exceeded), by the table or a partition",
            },
            Field {
                path: "throttles_by_partition",
                unit: Unit::Count,
                about: "throttles by a partition at its limit while the table had room: a hot key",
            },
            Field {
                path: "unprocessed_items",
                unit: Unit::Count,
                about: "items of batch actions (a Lambda handler's BatchWriteItem or BatchGetItem, `batch_calls = \"per_batch\"`) refused by the table's or a partition's limit while others of theirs were done: answered 200 with them unprocessed (UnprocessedItems, UnprocessedKeys), for the handler to send again (reported for a table that received batch actions)",
            },
            crate::components::kind::BY_STATUS,
            Field {
                path: "throttle_fraction",
                unit: Unit::Share,
                about: "share of requests throttled (a batch action's unprocessed items, answered 200, are `unprocessed_items`)",
            },
            Field {
                path: "read_units_consumed",
                unit: Unit::Number,
                about: "read units consumed by admitted requests: read capacity units (RCU) provisioned, read request units (RRU) on demand",
            },
            Field {
                path: "write_units_consumed",
                unit: Unit::Number,
                about: "write units consumed by admitted requests: write capacity units (WCU) provisioned, write request units (WRU) on demand",
            },
            Field {
                path: "partitions",
                unit: Unit::Number,
                about: "partitions at the end of the run, those split off for heat included",
            },
            Field {
                path: "keys_split_off",
                unit: Unit::Count,
                about: "keys given a partition of their own by split for heat, by the end of the run",
            },
            Field {
                path: "read_capacity_mean",
                unit: Unit::Number,
                about: "read capacity in effect, time-averaged [RCU/s]",
            },
            Field {
                path: "write_capacity_mean",
                unit: Unit::Number,
                about: "write capacity in effect, time-averaged [WCU/s]",
            },
            Field {
                path: "dax_hits",
                unit: Unit::Count,
                about: "reads answered from DAX's cache (with DAX only)",
            },
            Field {
                path: "dax_misses",
                unit: Unit::Count,
                about: "reads DAX passed to the table (with DAX only)",
            },
            Field {
                path: "dax_hit_ratio",
                unit: Unit::Share,
                about: "share of DAX reads answered from its cache (with DAX only)",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "provisioned capacity-hours, or on-demand request units, at us-east-1 prices",
            },
            Field {
                path: "stream.records_written",
                unit: Unit::Count,
                about: "records appended to the stream (one per write done)",
            },
            Field {
                path: "stream.records_over_limit",
                unit: Unit::Count,
                about: "records not kept because the stream held `max_records` (a limit of the simulation)",
            },
            Field {
                path: "stream.records_read",
                unit: Unit::Number,
                about: "records handed to the consumer, retries included",
            },
            Field {
                path: "stream.records_processed",
                unit: Unit::Count,
                about: "records whose batch the consumer succeeded with",
            },
            Field {
                path: "stream.records_discarded",
                unit: Unit::Number,
                about: "records the mapping discarded: retries exhausted, older than `maximum_record_age`, or failed and trimmed at 24 h",
            },
            Field {
                path: "stream.records_lost",
                unit: Unit::Count,
                about: "records trimmed at the stream's 24 h retention before they were ever read",
            },
            Field {
                path: "stream.records_out_of_order",
                unit: Unit::Count,
                about: "records processed after a later record of their key (the mapping keeps each key's records in order: 0)",
            },
            Field {
                path: "stream.batches",
                unit: Unit::Count,
                about: "batches handed to the consumer, retries included",
            },
            Field {
                path: "stream.failed_batches",
                unit: Unit::Count,
                about: "batches the consumer did not succeed with",
            },
            Field {
                path: "stream.sent_on_failure",
                unit: Unit::Count,
                about: "messages sent to the on-failure queue, one per discarded batch",
            },
            Field {
                path: "stream.batches_in_flight_max",
                unit: Unit::Number,
                about: "the most batches awaiting the consumer at once",
            },
            Field {
                path: "stream.records_held_max",
                unit: Unit::Number,
                about: "the most records the stream held at once, not yet processed",
            },
            Field {
                path: "stream.records_held_end",
                unit: Unit::Number,
                about: "records the stream held when the run ended, not yet processed",
            },
            Field {
                path: "stream.shards",
                unit: Unit::Number,
                about: "shards new records went to at the end (one per partition)",
            },
            Field {
                path: "stream.iterator_age_ms.*",
                unit: Unit::Milliseconds,
                about: "iterator age at each batch read: the age of the batch's last record (count, mean, p50 … p999, max)",
            },
            Field {
                path: "stream.lag_ms.*",
                unit: Unit::Milliseconds,
                about: "processing lag: time from the client's request that made a write to the end of the batch that carried its record, for requests made in the measured period (count, mean, p50 … p999, max)",
            },
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "throttled, of requests",
                field: "throttle_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "DAX hits, of DAX reads",
                field: "dax_hit_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "read units consumed",
                field: "read_units_consumed",
                unit: Unit::Number,
            },
            Column {
                label: "write units consumed",
                field: "write_units_consumed",
                unit: Unit::Number,
            },
            Column {
                label: "partitions",
                field: "partitions",
                unit: Unit::Count,
            },
            Column {
                label: "unprocessed items",
                field: "unprocessed_items",
                unit: Unit::Count,
            },
            // A stream's consumer falling behind (a poison record retried for ever blocks its
            // shard) shows in its iterator age and what it still holds at the end.
            Column {
                label: "stream iterator age max",
                field: "stream.iterator_age_ms.max",
                unit: Unit::Milliseconds,
            },
            Column {
                label: "stream records held at end",
                field: "stream.records_held_end",
                unit: Unit::Number,
            },
            crate::components::kind::LATE_REPLIES_COLUMN,
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "capacity units/s",
                lines: &[
                    PlotLine {
                        series: &READ_UNITS,
                        label: "reads consumed",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &READ_CAPACITY,
                        label: "read capacity",
                        tone: Tone::Limit,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &WRITE_UNITS,
                        label: "writes consumed",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &WRITE_CAPACITY,
                        label: "write capacity",
                        tone: Tone::WarnLimit,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "throttles/s (400)",
                lines: &[
                    PlotLine {
                        series: &THROTTLES,
                        label: "throttled",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "age [s]",
                lines: &[PlotLine {
                    series: &STREAM_AGE,
                    label: "iterator age (max)",
                    tone: Tone::Warn,
                    scale: 1.0,
                }],
                y_max: None,
            },
            PlotPanel {
                axis: "records",
                lines: &[
                    PlotLine {
                        series: &STREAM_HELD,
                        label: "held by the stream",
                        tone: Tone::Queue,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &STREAM_DISCARDED,
                        label: "discarded (per window)",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "DAX hit ratio [%]",
                lines: &[
                    PlotLine {
                        series: &DAX_HIT_RATIO,
                        label: "hits",
                        tone: Tone::Good,
                        scale: 100.0,
                    },
                ],
                y_max: Some(105.0),
            },
        ],
        events: &[
            EventInfo {
                event: "partition_split",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "scaling_alarm",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "scaled",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "split_for_heat",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "stream_reshard",
                mark: Mark::Instant,
            },
        ],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[
            ResourceMap {
                cloudformation: &["AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"],
                terraform: &["aws_dynamodb_table"],
                map: import_table,
            },
            // Application Auto Scaling of a table's capacity: read by the table's mapping.
            ResourceMap {
                cloudformation: &[
                    "AWS::ApplicationAutoScaling::ScalableTarget",
                    "AWS::ApplicationAutoScaling::ScalingPolicy",
                ],
                terraform: &["aws_appautoscaling_target", "aws_appautoscaling_policy"],
                map: super::scaling_import::import_scaling_part,
            },
        ],
        companions: &[],
        // Lambda's event source mapping on the table's stream: its function and settings.
        downstream: Downstream::Table {
            key: "stream",
            to: "consumer",
        },
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    /// DAX bills its nodes by the hour, a price not in aws-facts.
    fn unpriced(&self) -> Vec<&'static str> {
        match self.dax {
            Some(_) => vec!["DAX cluster"],
            None => Vec::new(),
        }
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::DynamoDb::new(self.clone(), env))
    }

    /// A write (`writes`) asks for `PutItem` (`UpdateItem`, `DeleteItem` for operations of
    /// those names), a read for `GetItem` (`Query`, `Scan` for operations of those names).
    /// aws-facts: §19 IAM errors: a denial is `AccessDeniedException`.
    fn iam_action(&self, op: u16, name: &str) -> Option<IamAction> {
        let name = if self.writes.contains(&op) {
            match name {
                "update" => "UpdateItem",
                "delete" => "DeleteItem",
                _ => "PutItem",
            }
        } else {
            match name {
                "query" => "Query",
                "scan" => "Scan",
                _ => "GetItem",
            }
        };
        Some(IamAction {
            name,
            part: "",
            error: "AccessDeniedException",
        })
    }

    fn iam_resource(&self, id: &str, region: &str) -> Option<String> {
        Some(table_arn(id, region))
    }

    /// aws-facts §16 and §22 are silent on the mapping's permissions; the Lambda Developer
    /// Guide says them (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html,
    /// "Execution role permissions"): "Lambda needs the following permissions to manage
    /// resources related to your DynamoDB stream. Add them to your function's execution
    /// role": dynamodb:DescribeStream, dynamodb:GetRecords, dynamodb:GetShardIterator,
    /// dynamodb:ListStreams. The DynamoDB Developer Guide's policy for such a function
    /// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-example-lamda-process-dynamodb-streams.html)
    /// grants all four on the stream's ARN, `…:table/<table>/stream/*`.
    fn mappings(&self) -> Vec<Mapping> {
        self.stream
            .iter()
            .map(|s| Mapping {
                function: s.consumer,
                span: s.consumer_span.clone(),
                source: "the table's stream",
                actions: &[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                part: STREAM,
                managed: "AWSLambdaDynamoDBExecutionRole",
            })
            .collect()
    }

    fn sdk_service(&self) -> Option<SdkService> {
        Some(SDK_SERVICE)
    }

    /// Writes go in BatchWriteItem, 25 at most, and reads in BatchGetItem, 100 at most
    /// (AWS's API references); an update (UpdateItem), a transaction and a query or scan (an
    /// operation so named, or one of DAX's `queries`) have no batch form: a call each. An
    /// operation of another name in `writes` is taken for a put.
    fn batch_action(&self, op: u16, name: &str) -> Option<BatchAction> {
        let queries = self.dax.as_ref().is_some_and(|d| d.queries.contains(&op));
        let no_batch = matches!(name, "update" | "query" | "scan");
        if no_batch || self.transactions.contains(&op) || queries {
            None
        } else if self.writes.contains(&op) {
            Some(BatchAction {
                action: 0,
                entries: MAX_BATCH_WRITE,
            })
        } else {
            Some(BatchAction {
                action: 1,
                entries: MAX_BATCH_GET,
            })
        }
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    /// A stream's on-failure destination is a queue (aws-facts: §16: SQS or SNS; only SQS
    /// is modelled here).
    fn relate(&mut self, _me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        let Some(s) = &self.stream else {
            return true;
        };
        let Some(dest) = s.on_failure else {
            return true;
        };
        let queue = <crate::components::sqs::SqsConfig as Kind>::INFO.name;
        if rel.kinds.get(dest) != Some(&queue) {
            ck.error(
                s.on_failure_span.clone(),
                format!(
                    "`stream.on_failure` names \"{}\", which is not an sqs queue",
                    rel.ids[dest]
                ),
            );
            return false;
        }
        true
    }
}

/// DynamoDB as its SDK clients see it: ProvisionedThroughputExceeded (400) is a throttling
/// error, and the SDKs' DynamoDB figures apply (aws-facts: §7 SDK retries: standard mode
/// retries it after full jitter on 1 s, transient errors on 25 ms, 4 attempts).
pub const SDK_SERVICE: SdkService = SdkService {
    throttles: &[THROTTLED],
    family: ServiceFamily::DynamoDb,
};

// What `archsim import` makes of a template's tables.

/// A table: its capacity mode and units, its streams and local secondary indexes.
fn import_table(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let (mode_key, rcu_key, wcu_key) = if cf {
        (
            "BillingMode",
            "ProvisionedThroughput.ReadCapacityUnits",
            "ProvisionedThroughput.WriteCapacityUnits",
        )
    } else {
        ("billing_mode", "read_capacity", "write_capacity")
    };
    let (rcu, wcu) = (r.num(rcu_key), r.num(wcu_key));
    // CloudFormation's and Terraform's default billing mode is PROVISIONED; SAM's SimpleTable
    // without ProvisionedThroughput is on demand.
    let simple = r.kind == "AWS::Serverless::SimpleTable";
    let on_demand = match r.text(mode_key) {
        Some(mode) => mode == "PAY_PER_REQUEST",
        None => simple && r.get("ProvisionedThroughput").is_none(),
    };
    let mut mapped_units = (None, None);
    if on_demand {
        let why = match r.text(mode_key) {
            Some(_) => format!("{mode_key} PAY_PER_REQUEST"),
            None => "a SimpleTable without ProvisionedThroughput is on demand".to_string(),
        };
        m.set("mode", string("on_demand"), why);
    } else {
        let why = match r.text(mode_key) {
            Some(mode) => format!("{mode_key} {mode}"),
            None => format!("no {mode_key}: PROVISIONED by default"),
        };
        m.set("mode", string("provisioned"), why);
        for (key, units, from) in [("rcu", rcu, rcu_key), ("wcu", wcu, wcu_key)] {
            match units {
                Some(u) if u > 0.0 => {
                    let u = clamp(u, 1.0, MAX_DYNAMODB_UNITS, from, m);
                    m.set(key, toml::Value::Float(u), from.to_string());
                    match key {
                        "rcu" => mapped_units.0 = Some(u),
                        _ => mapped_units.1 = Some(u),
                    }
                }
                _ => m.ask(
                    key,
                    toml::Value::Float(5.0),
                    format!("{from} is not a literal in the template: set the table's provisioned units"),
                ),
            }
        }
    }
    super::scaling_import::table_scaling(r, m, on_demand, mapped_units);
    let streams = if cf {
        r.get("StreamSpecification").is_some()
    } else {
        r.flag("stream_enabled") == Some(true)
    };
    if streams {
        m.set("streams", true, "its stream is on");
    }
    let lsi = ["LocalSecondaryIndexes", "local_secondary_index"]
        .iter()
        .any(|k| {
            r.get(k)
                .and_then(|v| v.as_array())
                .is_some_and(|a| !a.is_empty())
        });
    if lsi {
        m.set(
            "local_secondary_index",
            true,
            "it has a local secondary index",
        );
    }
    let gsi = ["GlobalSecondaryIndexes", "global_secondary_index"]
        .iter()
        .any(|k| {
            r.get(k)
                .and_then(|v| v.as_array())
                .is_some_and(|a| !a.is_empty())
        });
    if gsi {
        m.note(format!(
            "{}'s global secondary indexes are not simulated (their writes are not charged)",
            r.name
        ));
    }
}
