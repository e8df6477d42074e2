//! What `sqs` declares about itself: its keys, series, summary fields, columns, plot panels,
//! its calls (the consumer, the dead-letter queue) and the retries AWS's SDKs apply to it.

use super::config::{self, SqsConfig};
use super::THROTTLED;
use crate::components::iac::{
    clamp, int, number, seconds, Dialect, Downstream, Imports, Mapped, Resource, ResourceMap,
};
use crate::components::kind::{
    BatchAction, Blind, Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, Mapping,
    Mark, PlotLine, PlotPanel, Relations, Series, Tone, Unit,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::iam::{IamAction, ACCOUNT_ID};
use crate::limits::{MAX_HIGH_THROUGHPUT_TPS, MAX_MESSAGE_GROUPS, MAX_QUEUE_MESSAGES};
use crate::retry::{SdkService, ServiceFamily};

pub(super) const SENDS: Series = Series {
    id: "sends_rps",
    unit: Unit::PerSecond,
    about: "messages sent (a SendMessageBatch's each)",
};
pub(super) const DELETES: Series = Series {
    id: "deletes_rps",
    unit: Unit::PerSecond,
    about: "messages deleted after their consumer's success",
};
pub(super) const BACKLOG: Series = Series {
    id: "backlog_visible",
    unit: Unit::Number,
    about: "visible messages waiting for a receive, time-averaged",
};
pub(super) const IN_FLIGHT: Series = Series {
    id: "messages_in_flight",
    unit: Unit::Number,
    about: "messages received and neither deleted nor visible again, time-averaged",
};
pub(super) const OLDEST: Series = Series {
    id: "oldest_message_age_s",
    unit: Unit::Seconds,
    about: "age of the oldest message held, at the end of each window",
};
pub(super) const MOVED: Series = Series {
    id: "moved_to_dlq",
    unit: Unit::Count,
    about: "messages moved to the dead-letter queue in each window",
};
pub(super) const BATCHES: Series = Series {
    id: "concurrent_batches",
    unit: Unit::Number,
    about: "batches awaiting the consumer's answer, time-averaged",
};
pub(super) const POLLERS: Series = Series {
    id: "batches_allowed",
    unit: Unit::Number,
    about: "concurrent batches the pollers have scaled to, time-averaged",
};

impl Kind for SqsConfig {
    /// A FIFO queue's message groups, each its ordered list even empty.
    fn upfront_bytes(&self) -> Option<(u64, String)> {
        self.fifo.then(|| {
            let each = std::mem::size_of::<super::Group>() as u64;
            (
                u64::from(self.message_groups) * each,
                format!("its {} message groups", self.message_groups),
            )
        })
    }
    // aws-facts: §15 SQS: a send is answered once the queue stores the message, whatever the
    // call's mode: an asynchronous call is the same call.
    const ACCEPTS_ASYNC: bool = true;
    // aws-facts: §19 IAM: SQS's actions are `sqs:*`.
    const IAM_PREFIX: Option<&'static str> = Some("sqs");
    const IAM_ACTIONS: &'static [&'static str] = &[
        "SendMessage",
        "ReceiveMessage",
        "DeleteMessage",
        "GetQueueAttributes",
    ];
    const INFO: &'static KindInfo = &KindInfo {
        name: "sqs",
        title: "Amazon SQS",
        noun: "an SQS queue",
        category: Category::Integration,
        about: "a standard or FIFO queue (visibility timeout, retention, redrive to a dead-letter queue, in-flight limits, FIFO quotas and message groups) and the event source mapping that polls it for a consumer",
        keys: &[
            Key {
                name: "fifo",
                ty: KeyType::Bool,
                required: false,
                about: "a FIFO queue: 300 calls per second per action (400 ThrottlingException beyond, retried by SDKs), message groups received in order one batch at a time, 20,000 messages in flight (default false: a standard queue, 120,000 in flight)",
            },
            Key {
                name: "send_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time SendMessage takes before its 200; AWS documents typically 10–30 ms, uncertain (default lognormal, median 15 ms, p99 30 ms)",
            },
            Key {
                name: "visibility_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "how long a received message stays invisible unless deleted, 0s to 12h (default 30s)",
            },
            Key {
                name: "retention",
                ty: KeyType::Duration,
                required: false,
                about: "how long a message is kept before it is deleted unread, 60s to 14d (default 4d)",
            },
            Key {
                name: "max_receive_count",
                ty: KeyType::Integer { min: 1, max: 1_000 },
                required: false,
                about: "receives after which a message moves to `dead_letter` at its next receive, 1 to 1,000 (with `dead_letter`)",
            },
            Key {
                name: "dead_letter",
                ty: KeyType::Ids,
                required: false,
                about: "the id of the sqs queue that takes messages received `max_receive_count` times",
            },
            Key {
                name: "message_groups",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_MESSAGE_GROUPS,
                },
                required: false,
                about: "FIFO only: message groups; a message's group is its key modulo this (default 1)",
            },
            Key {
                name: "fifo_throughput_limit",
                ty: KeyType::Word(&["per_queue", "per_message_group_id"]),
                required: false,
                about: "FIFO only: \"per_message_group_id\" with deduplication_scope = \"message_group\" is high-throughput mode: 300 calls/s per action per partition (a group's partition is its number modulo the partitions) up to high_throughput_tps for the queue (default \"per_queue\": 300 calls/s per action)",
            },
            Key {
                name: "deduplication_scope",
                ty: KeyType::Word(&["queue", "message_group"]),
                required: false,
                about: "FIFO only: \"message_group\" with fifo_throughput_limit = \"per_message_group_id\" is high-throughput mode (default \"queue\")",
            },
            Key {
                name: "high_throughput_tps",
                ty: KeyType::Integer {
                    min: 300,
                    max: MAX_HIGH_THROUGHPUT_TPS,
                },
                required: false,
                about: "high-throughput FIFO only: the Region's most calls per second per action, shared by partitions of 300 each (default 70,000, AWS's figure for its largest Regions, flagged as unconfirmed)",
            },
            Key {
                name: "max_messages",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_QUEUE_MESSAGES,
                },
                required: false,
                about: "the most messages held at once, a limit of the simulation (SQS has none): sends beyond are refused with 503 and counted (default 10,000,000)",
            },
            Key {
                name: "consumer",
                ty: KeyType::Table(&[
                    Key {
                        name: "to",
                        ty: KeyType::Ids,
                        required: true,
                        about: "the component invoked with each batch (a Lambda function, or any component), one synchronous call per batch",
                    },
                    Key {
                        name: "batch_size",
                        ty: KeyType::Integer { min: 1, max: 10_000 },
                        required: false,
                        about: "the most messages in a batch, 1 to 10,000 (FIFO 10; above 10 only with a `batching_window` of at least 1s) (default 10)",
                    },
                    Key {
                        name: "batching_window",
                        ty: KeyType::Duration,
                        required: false,
                        about: "how long a poller waits for a full batch (or 6 MB of messages) before invoking with fewer, 0s to 5m, not for FIFO queues (default 0s)",
                    },
                    Key {
                        name: "maximum_concurrency",
                        ty: KeyType::Integer { min: 2, max: 1_000 },
                        required: false,
                        about: "the most batches at once, 2 to 1,000; pollers start at 5 and add 300 a minute while messages remain (default 1,000)",
                    },
                    Key {
                        name: "provisioned_pollers",
                        ty: KeyType::Table(&[
                            Key {
                                name: "minimum",
                                ty: KeyType::Integer { min: 2, max: 200 },
                                required: true,
                                about: "pollers from the start, 2 to 200, each running up to 10 batches at once",
                            },
                            Key {
                                name: "maximum",
                                ty: KeyType::Integer { min: 2, max: 2_000 },
                                required: true,
                                about: "the most pollers, 2 to 2,000: up to 10 × this many batches at once",
                            },
                        ]),
                        required: false,
                        about: "provisioned mode, instead of maximum_concurrency: the minimum pollers at once, 15 more batches a second (3 × the default's scaling) while messages remain, back to the minimum when empty (the pollers' price is not modelled)",
                    },
                    Key {
                        name: "function_response_types",
                        ty: KeyType::Words,
                        required: false,
                        about: "[\"ReportBatchItemFailures\"]: the function reports which messages of a batch failed, and only those return to the queue after the visibility timeout (a FIFO batch: from its first failed message on); the others are deleted (default none: one failed message returns the whole batch)",
                    },
                    Key {
                        name: "throttle_retry_delay",
                        ty: KeyType::Duration,
                        required: false,
                        about: "how long the poller holding a throttled batch waits before invoking again, each time, while a retry is due before the visibility timeout; AWS gives no figure (default 1s, a choice)",
                    },
                    Key {
                        name: "backoff_batches",
                        ty: KeyType::Integer { min: 0, max: 1_000 },
                        required: false,
                        about: "how many batches fewer the mapping runs at once after each throttled invocation, and each failed one without ReportBatchItemFailures, not below where it starts; it scales up again after a second without one; 0 turns the backoff off; AWS gives no figure (default 1, a choice)",
                    },
                ]),
                required: false,
                about: "the event source mapping that polls the queue (Lambda's SQS trigger)",
            },
        ],
        faults: &[],
        series: &[
            &SENDS, &DELETES, &BACKLOG, &IN_FLIGHT, &OLDEST, &MOVED, &BATCHES, &POLLERS,
        ],
        fields: &[
            Field {
                path: "sends",
                unit: Unit::Count,
                about: "messages sent in the measured period: SendMessage calls and each entry of a SendMessageBatch (not the messages a redrive moves here: `received_by_redrive`)",
            },
            Field {
                path: "throttles",
                unit: Unit::Count,
                about: "sends refused with 400 (ThrottlingException: a FIFO queue's 300 calls/s)",
            },
            Field {
                path: "refused_full",
                unit: Unit::Count,
                about: "SendMessage and SendMessageBatch calls refused with 503 because the queue held `max_messages` (a batch when none of its entries could be stored)",
            },
            Field {
                path: "failed_entries",
                unit: Unit::Count,
                about: "entries of SendMessageBatch calls (a Lambda handler's one call for its batch, `batch_calls = \"per_batch\"`) refused because the queue held `max_messages` while others of theirs were stored: in the answer's `Failed` list, for the handler to send again (reported for a queue that received batches)",
            },
            Field {
                path: "deletes",
                unit: Unit::Count,
                about: "messages deleted after their consumer's success, of those sent in the measured period (whenever deleted), as `sends` counts them",
            },
            Field {
                path: "expired",
                unit: Unit::Count,
                about: "messages deleted unread at the end of their retention",
            },
            Field {
                path: "moved_to_dead_letter",
                unit: Unit::Count,
                about: "messages moved to the dead-letter queue, of those sent in the measured period (whenever moved)",
            },
            Field {
                path: "received_by_redrive",
                unit: Unit::Count,
                about: "messages moved here from another queue's redrive",
            },
            Field {
                path: "over_limit",
                unit: Unit::Count,
                about: "receives that got nothing because the in-flight limit was reached (OverLimit)",
            },
            Field {
                path: "batches",
                unit: Unit::Count,
                about: "batches handed to the consumer",
            },
            Field {
                path: "failed_batches",
                unit: Unit::Count,
                about: "batches the consumer did not succeed with (their messages come back after the visibility timeout)",
            },
            Field {
                path: "redelivered",
                unit: Unit::Count,
                about: "messages received again after a visibility timeout: deliveries beyond the first (queues with a consumer)",
            },
            Field {
                path: "throttled_invocations",
                unit: Unit::Count,
                about: "invocations of the consumer Lambda throttled (queues with a consumer): each retried within the visibility timeout, or its batch failed",
            },
            Field {
                path: "throttle_retries",
                unit: Unit::Count,
                about: "throttled batches invoked again after a backoff, by the poller that held them (queues with a consumer)",
            },
            Field {
                path: "failed_items",
                unit: Unit::Count,
                about: "messages the consumer reported failed in batches it answered (with ReportBatchItemFailures)",
            },
            Field {
                path: "backlog_mean",
                unit: Unit::Number,
                about: "visible messages, time-averaged",
            },
            Field {
                path: "backlog_max",
                unit: Unit::Number,
                about: "the most visible messages at once",
            },
            Field {
                path: "backlog_end",
                unit: Unit::Number,
                about: "visible messages when the run ends",
            },
            Field {
                path: "in_flight_end",
                unit: Unit::Number,
                about: "messages in flight when the run ends: received and neither deleted nor visible again (a batch being worked on, or failed messages waiting out their visibility timeout); with `backlog_end`, what the queue still holds",
            },
            Field {
                path: "in_flight_max",
                unit: Unit::Number,
                about: "the most messages in flight at once",
            },
            Field {
                path: "concurrent_batches_max",
                unit: Unit::Number,
                about: "the most batches awaiting the consumer at once",
            },
            Field {
                path: "oldest_age_max_s",
                unit: Unit::Seconds,
                about: "the greatest age of the oldest message, sampled at each window's end",
            },
            Field {
                path: "requests_billed",
                unit: Unit::Number,
                about: "requests billed: sends (one per 64 KB), receives, batch deletes and the pollers' empty long polls (one per 20 s idle)",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "request cost: $0.40 (standard) or $0.50 (FIFO) per million",
            },
            Field {
                path: "by_status.*",
                unit: Unit::Count,
                about: "sends by the status they were answered with",
            },
            Field {
                path: "lag_ms.*",
                unit: Unit::Milliseconds,
                about: "processing lag: time from the client's request that sent a message (`Msg::origin`, before any earlier hop or queue) to the message's delete, for requests made in the measured period (count, mean, p50 … p999, max)",
            },
            Field {
                path: "dead_letter_age_ms.*",
                unit: Unit::Milliseconds,
                about: "age of the messages moved to the dead-letter queue when they moved, for messages sent in the measured period (count, mean, p50 … p999, max)",
            },
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "lag p99",
                field: "lag_ms.p99",
                unit: Unit::Milliseconds,
            },
            Column {
                label: "sends",
                field: "sends",
                unit: Unit::Count,
            },
            // The lag is of the messages deleted: beside the sends, their count says how
            // many it speaks for (a queue that dead-letters most has a lag of the few left).
            Column {
                label: "deleted",
                field: "deletes",
                unit: Unit::Count,
            },
            // Messages received again and those still unanswered at the end: a batch that
            // always fails (times out) cycles through its visibility timeout and is never
            // deleted, so the lag (of deleted messages) and the visible backlog miss it.
            Column {
                label: "redelivered",
                field: "redelivered",
                unit: Unit::Count,
            },
            Column {
                label: "in flight at end",
                field: "in_flight_end",
                unit: Unit::Number,
            },
            Column {
                label: "to DLQ",
                field: "moved_to_dead_letter",
                unit: Unit::Count,
            },
            Column {
                label: "batch entries failed",
                field: "failed_entries",
                unit: Unit::Count,
            },
            // A dead-letter queue's messages come by redrive, which `sends` does not count, as
            // CloudWatch's NumberOfMessagesSent does not (SQS Developer Guide, "Available
            // CloudWatch metrics for Amazon SQS": a message moved after failed processing
            // attempts is not captured by it).
            Column {
                label: "from redrive",
                field: "received_by_redrive",
                unit: Unit::Count,
            },
            Column {
                label: "max backlog",
                field: "backlog_max",
                unit: Unit::Number,
            },
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "messages/s",
                lines: &[
                    PlotLine {
                        series: &SENDS,
                        label: "sent",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &DELETES,
                        label: "deleted",
                        tone: Tone::Good,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "messages",
                lines: &[
                    PlotLine {
                        series: &BACKLOG,
                        label: "visible",
                        tone: Tone::Queue,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &IN_FLIGHT,
                        label: "in flight",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &MOVED,
                        label: "to DLQ (per window)",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "age [s]",
                lines: &[PlotLine {
                    series: &OLDEST,
                    label: "oldest message",
                    tone: Tone::Warn,
                    scale: 1.0,
                }],
                y_max: None,
            },
            PlotPanel {
                axis: "batches",
                lines: &[
                    PlotLine {
                        series: &BATCHES,
                        label: "in progress",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &POLLERS,
                        label: "pollers allow",
                        tone: Tone::Limit,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
        ],
        events: &[EventInfo {
            event: "dead_letter",
            mark: Mark::Hidden,
        }],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[ResourceMap {
            cloudformation: &["AWS::SQS::Queue"],
            terraform: &["aws_sqs_queue"],
            map: import_queue,
        }],
        companions: &[],
        downstream: Downstream::Table {
            key: "consumer",
            to: "to",
        },
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::Sqs::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    /// A call to a queue sends a message. aws-facts: §19 IAM errors: `AccessDeniedException`.
    fn iam_action(&self, _op: u16, _name: &str) -> Option<IamAction> {
        Some(IamAction {
            name: "SendMessage",
            part: "",
            error: "AccessDeniedException",
        })
    }

    fn iam_resource(&self, id: &str, region: &str) -> Option<String> {
        Some(format!("arn:aws:sqs:{region}:{ACCOUNT_ID}:{id}"))
    }

    fn sdk_service(&self) -> Option<SdkService> {
        Some(SDK_SERVICE)
    }

    fn batch_action(&self, _op: u16, _name: &str) -> Option<BatchAction> {
        Some(BatchAction {
            action: 0,
            entries: super::MAX_SEND_BATCH,
        })
    }

    fn fifo(&self) -> Option<bool> {
        Some(self.fifo)
    }

    /// aws-facts: §15 SQS: a message moves to the dead-letter queue when its receive count
    /// passes `max_receive_count`; each receive that is not deleted keeps it invisible for
    /// the visibility timeout. A message needs that many timeouts one after the other before
    /// it can move: a run shorter than that moves none, and an expectation on the
    /// dead-letter queue would hold whatever the consumer did.
    fn run_warnings(&self, duration: crate::kernel::SimTime, ids: &[&str]) -> Vec<String> {
        let Some((n, dlq)) = self.redrive else {
            return Vec::new();
        };
        let needs = self.visibility_timeout.0.saturating_mul(u64::from(n));
        if needs < duration.0 {
            return Vec::new();
        }
        vec![format!(
            "no message can reach its dead-letter queue \"{}\" within the run: a message moves after `max_receive_count` ({n}) receives, each followed by a `visibility_timeout` ({}), {} at least, and `duration` is {}; run longer, or lower either, for the dead-letter queue to show anything",
            crate::text::one_line(ids.get(dlq).copied().unwrap_or("?")),
            self.visibility_timeout,
            crate::kernel::SimTime(needs),
            duration
        )]
    }

    /// aws-facts §16 is silent on the mapping's permissions; the Lambda Developer Guide says
    /// them (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, "Execution role
    /// permissions"): "Lambda needs the following permissions to manage messages in your
    /// Amazon SQS queue. Add them to your function's execution role": sqs:ReceiveMessage,
    /// sqs:DeleteMessage, sqs:GetQueueAttributes, on the queue.
    fn mappings(&self) -> Vec<Mapping> {
        self.consumer
            .iter()
            .map(|c| Mapping {
                function: c.to,
                span: c.to_span.clone(),
                source: "the queue",
                actions: &[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                ],
                part: "",
                managed: "AWSLambdaSQSQueueExecutionRole",
            })
            .collect()
    }

    /// A dead-letter queue is another queue (aws-facts: §15 SQS redrive), of the queue's
    /// type. A Lambda consumer's timeout is at most the queue's visibility timeout: Lambda
    /// refuses to create or update an event source mapping otherwise, so such a scenario
    /// describes no stack that can exist. aws-facts §16 is silent on it; the Lambda Developer
    /// Guide says it (lambda:services-sqs-configure.html: "Your function's timeout must be
    /// less than or equal to the queue's visibility timeout").
    fn relate(&mut self, me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        let mut ok = true;
        if let Some(c) = &self.consumer {
            let function = rel.function_timeouts.get(c.to).copied().flatten();
            if let Some(t) = function.filter(|&t| t > self.visibility_timeout) {
                ck.error(
                    c.to_span.clone(),
                    format!(
                        "consumer \"{}\" has a function timeout of {t}, longer than this queue's `visibility_timeout` ({}): Lambda refuses such an event source mapping; make `visibility_timeout` at least {t} (AWS advises six times the function timeout) or the function's `timeout` shorter",
                        rel.ids[c.to],
                        self.visibility_timeout
                    ),
                );
                ok = false;
            }
            // The knowledge center's "lambda-sqs-scaling": "Event source mappings don't
            // account for reserved concurrency and can process more messages off your queue
            // than can be sent to your function": the batches beyond it are throttled and
            // retried until their visibility timeout (`lambda:services-sqs-errorhandling.html`),
            // and a batch still throttled then goes back to the queue, received once more.
            let reserved = rel.reserved_concurrency.get(c.to).copied().flatten();
            let batches = if self.fifo {
                c.max_concurrency.min(self.message_groups)
            } else {
                c.max_concurrency
            };
            if let Some(r) = reserved.filter(|&r| batches > r) {
                let redrive = match self.redrive {
                    Some((n, _)) => format!(
                        ", received once more toward `max_receive_count` ({n}): they can reach the dead-letter queue without ever failing"
                    ),
                    None => String::new(),
                };
                ck.warn(
                    c.to_span.clone(),
                    format!(
                        "the event source mapping may run {batches} batches at once (`maximum_concurrency`{}), but consumer \"{}\" has `reserved_concurrency = {r}`: Lambda throttles the invocations beyond it, the mapping backs off and retries them until the visibility timeout, and a batch still throttled then goes back to the queue{redrive}; give `maximum_concurrency` at most {r}",
                        if self.fifo { ", or the message groups" } else { ", 1,000 unless set" },
                        rel.ids[c.to],
                    ),
                );
            }
        }
        let Some((_, dlq)) = self.redrive else {
            return ok;
        };
        if dlq == me {
            ck.error(
                self.dead_letter_span.clone(),
                "`dead_letter` names this queue itself: it must be another sqs queue",
            );
            return false;
        }
        if rel.kinds.get(dlq) != Some(&Self::INFO.name) {
            ck.error(
                self.dead_letter_span.clone(),
                format!(
                    "`dead_letter` names \"{}\", which is not an sqs queue",
                    rel.ids[dlq]
                ),
            );
            return false;
        }
        // SQS's guide (sqs-dead-letter-queues.html): a FIFO queue's dead-letter queue must
        // be a FIFO queue, and a standard queue's a standard one.
        if rel.fifo.get(dlq) == Some(&Some(!self.fifo)) {
            let (mine, its) = fifo_words(self.fifo);
            ck.error(
                self.dead_letter_span.clone(),
                format!(
                    "`dead_letter` names \"{}\", {its} queue; {mine} queue's dead-letter queue must be {mine} queue too",
                    rel.ids[dlq]
                ),
            );
            return false;
        }
        // CloudWatch's NumberOfMessagesSent leaves out what a redrive moves (SQS Developer
        // Guide, "Available CloudWatch metrics for Amazon SQS"), and so does `sends`.
        rel.blind.push(Blind {
            component: dlq,
            field: "sends",
            why: format!(
                "counts the messages sent to it only, not those \"{}\"'s redrive moves into it: `components.{}.received_by_redrive` counts those",
                rel.ids[me], rel.ids[dlq]
            ),
        });
        ok
    }
}

/// A queue's or topic's type in words ("a FIFO", "a standard"), and the other type's.
pub(crate) fn fifo_words(fifo: bool) -> (&'static str, &'static str) {
    if fifo {
        ("a FIFO", "a standard")
    } else {
        ("a standard", "a FIFO")
    }
}

/// SQS as its SDK clients see it: ThrottlingException (400) is a throttling error, and the
/// SDKs' figures for services other than DynamoDB apply (aws-facts: §7 SDK retries).
pub const SDK_SERVICE: SdkService = SdkService {
    throttles: &[THROTTLED],
    family: ServiceFamily::Other,
};

// What `archsim import` makes of a template's queues.

/// A queue: FIFO or standard, visibility timeout, retention, and its dead-letter queue.
fn import_queue(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let (fifo, visibility, retention, redrive) = if cf {
        (
            "FifoQueue",
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "RedrivePolicy",
        )
    } else {
        (
            "fifo_queue",
            "visibility_timeout_seconds",
            "message_retention_seconds",
            "redrive_policy",
        )
    };
    if r.flag(fifo) == Some(true) {
        m.set("fifo", true, fifo);
    }
    // aws-facts: §15 SQS: visibility 0 s to 12 h, retention 60 s to 14 days. A value SQS
    // refuses is written as the template states it: the scenario's check then says where,
    // and the import fails, as the stack would.
    if let Some(v) = r.num(visibility) {
        m.set("visibility_timeout", seconds(v), visibility);
    }
    if let Some(v) = r.num(retention) {
        m.set("retention", seconds(v), retention);
    }
    // Terraform writes the policy as a JSON string (kept beside its references, `Known`,
    // when the configuration names the dead-letter queue); CloudFormation as an object, or
    // a JSON string too.
    let written = r
        .known_text(redrive)
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
    let field = |name: &str| {
        r.get(&format!("{redrive}.{name}"))
            .or_else(|| written.as_ref()?.get(name))
    };
    let count = field("maxReceiveCount").and_then(number);
    let arn = field("deadLetterTargetArn").and_then(|a| a.as_str());
    let dlq = r
        .refs(redrive)
        .into_iter()
        .next()
        .map(|d| (d, ""))
        .or_else(|| {
            // An ARN written out: the queue of the template with its name (an ARN's last part).
            let name = arn?.rsplit(':').next()?;
            r.others()
                .find(|o| {
                    o.kind == r.kind && [o.text("QueueName"), o.text("name")].contains(&Some(name))
                })
                .map(|o| (o.name.to_string(), ", the queue of that name"))
        });
    let Some((dlq, how)) = dlq else {
        if let Some(arn) = arn {
            m.note(format!(
                "{}'s {redrive} names {arn}, which is no queue of the template: its dead-letter queue is left out",
                r.name
            ));
        }
        return;
    };
    m.link(
        "dead_letter",
        dlq,
        format!("{redrive}'s deadLetterTargetArn{how}"),
    );
    match count {
        Some(c) => {
            let c = clamp(c, 1.0, 1_000.0, "maxReceiveCount", m);
            m.set(
                "max_receive_count",
                int(c),
                format!("{redrive}'s maxReceiveCount"),
            );
        }
        None => m.ask(
            "max_receive_count",
            int(10.0),
            format!(
                "{redrive}'s maxReceiveCount is not a literal in the template: set how many receives a message may have before the queue moves it to its dead-letter queue (1 to 1,000)"
            ),
        ),
    }
}
