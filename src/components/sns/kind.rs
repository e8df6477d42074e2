//! What `sns` declares about itself: its keys, series, summary fields, columns, plot panels,
//! its calls (the subscribers, their dead-letter queues) and the retries SDKs apply to it.

use super::config::{self, Protocol, SnsConfig, MAX_POLICY_RETRIES, SCOPES};
use super::THROTTLED;
use crate::components::iac::{
    component, Dialect, Downstream, Edge, Imports, Mapped, Resource, ResourceMap,
};
use crate::components::kind::{
    BatchAction, Category, Column, Field, Key, KeyType, Kind, KindInfo, PlotLine, PlotPanel,
    Relations, Series, Tone, Unit,
};
use crate::components::lambda::LambdaConfig;
use crate::components::sqs::SqsConfig;
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::iam::{IamAction, ACCOUNT_ID};
use crate::retry::{SdkService, ServiceFamily};

pub(super) const PUBLISHES: Series = Series {
    id: "publishes_rps",
    unit: Unit::PerSecond,
    about: "Publish calls received",
};
pub(super) const DELIVERED: Series = Series {
    id: "delivered_rps",
    unit: Unit::PerSecond,
    about: "deliveries its subscribers accepted",
};
pub(super) const FAILED: Series = Series {
    id: "failed_attempts_rps",
    unit: Unit::PerSecond,
    about: "delivery attempts that failed (to be retried or given up)",
};
pub(super) const PENDING: Series = Series {
    id: "pending_deliveries",
    unit: Unit::Number,
    about: "deliveries not yet accepted (waiting for their first attempt, an answer or a retry), time-averaged",
};

const COUNT: KeyType = KeyType::Integer {
    min: 0,
    max: MAX_POLICY_RETRIES,
};

impl Kind for SnsConfig {
    // aws-facts: §17 SNS: Publish is answered once the topic has the message; deliveries
    // follow on their own.
    const ACCEPTS_ASYNC: bool = true;
    // aws-facts: §19 IAM: SNS's actions are `sns:*`.
    const IAM_PREFIX: Option<&'static str> = Some("sns");
    const IAM_ACTIONS: &'static [&'static str] = &["Publish"];
    const INFO: &'static KindInfo = &KindInfo {
        name: "sns",
        title: "Amazon SNS",
        noun: "an SNS topic",
        category: Category::Integration,
        about: "a standard or FIFO topic fanning each message out to its subscriptions (SQS queues, Lambda functions invoked asynchronously, any other component as an HTTP/S endpoint), with the publish quota and the delivery retry policies of each protocol",
        keys: &[
            Key {
                name: "fifo",
                ty: KeyType::Bool,
                required: false,
                about: "a FIFO topic: 3,000 publishes a second, SQS subscribers only (standard or FIFO queues), each message group delivered in publish order, duplicates within 5 minutes dropped (default false)",
            },
            Key {
                name: "message_groups",
                ty: KeyType::Integer {
                    min: 1,
                    max: crate::limits::MAX_MESSAGE_GROUPS,
                },
                required: false,
                about: "FIFO only: message groups; a message's group is its key modulo this, as an SQS FIFO queue's (default 1)",
            },
            Key {
                name: "fifo_throughput_scope",
                ty: KeyType::Word(SCOPES),
                required: false,
                about: "FIFO only: Topic (one quota for the topic, 3,000/s, and deduplication across it) or MessageGroup (each group held to `group_quota`, the topic to the Region's maximum, deduplication per group) (default Topic)",
            },
            Key {
                name: "group_quota",
                ty: KeyType::NumberAbove {
                    above: 0.0,
                    max: config::MAX_QUOTA,
                },
                required: false,
                about: "MessageGroup scope only: publishes a second each message group admits; 300 is the figure reported per group, not confirmed for this scope (default 300)",
            },
            Key {
                name: "publish_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time Publish takes before its 200, a choice (default lognormal, median 15 ms, p99 30 ms)",
            },
            Key {
                name: "delivery_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time from a publish to each delivery's first attempt; AWS says tens to hundreds of milliseconds, so this is a choice (default lognormal, median 30 ms, p99 200 ms)",
            },
            Key {
                name: "retry_jitter",
                ty: KeyType::Number { min: 0.0, max: 1.0 },
                required: false,
                about: "how far each delivery retry's delay is moved at random, up or down, as a share of it; AWS jitters retries without saying how much, so this is a choice (default 0.1; 0: exact delays)",
            },
            Key {
                name: "publish_quota",
                ty: KeyType::NumberAbove {
                    above: 0.0,
                    max: config::MAX_QUOTA,
                },
                required: false,
                about: "publishes a second the topic admits (a token bucket holding one second's worth), 400 ThrottlingException beyond, retried by SDKs (default 30,000, us-east-1's standard-topic quota; FIFO 3,000; FIFO with MessageGroup scope 30,000, the regional maximum AWS announced for us-east-1 (9,000 in us-west-2 and eu-west-1), not seen in its quota table; a FIFO topic at most 33,333, the deduplication ids it can remember)",
            },
            Key {
                name: "subscriptions",
                ty: KeyType::Tables(&[
                    Key {
                        name: "to",
                        ty: KeyType::Ids,
                        required: true,
                        about: "the subscriber: an sqs queue (a send), a lambda function (an asynchronous invocation) or any other component (an HTTP/S endpoint)",
                    },
                    Key {
                        name: "ops",
                        ty: KeyType::Words,
                        required: false,
                        about: "a filter policy on the operation: only these are delivered (default: all)",
                    },
                    Key {
                        name: "dead_letter",
                        ty: KeyType::Ids,
                        required: false,
                        about: "the id of an sqs queue sent each message whose delivery is given up (default: none; the message is dropped, counted)",
                    },
                    Key {
                        name: "timeout",
                        ty: KeyType::Duration,
                        required: false,
                        about: "HTTP/S only: how long a delivery waits for the endpoint's answer before it counts as failed (default 15s)",
                    },
                    Key {
                        name: "delivery_policy",
                        ty: KeyType::Table(&[
                            Key {
                                name: "num_retries",
                                ty: COUNT,
                                required: true,
                                about: "retries in all, 0 to 100",
                            },
                            Key {
                                name: "num_no_delay_retries",
                                ty: COUNT,
                                required: false,
                                about: "retries at once, first (default 0)",
                            },
                            Key {
                                name: "num_min_delay_retries",
                                ty: COUNT,
                                required: false,
                                about: "retries at `min_delay_target`, next (default 0)",
                            },
                            Key {
                                name: "num_max_delay_retries",
                                ty: COUNT,
                                required: false,
                                about: "retries at `max_delay_target`, last (default 0); those left in between back off from the minimum to the maximum",
                            },
                            Key {
                                name: "min_delay_target",
                                ty: KeyType::Duration,
                                required: false,
                                about: "the shortest delay (default 20s)",
                            },
                            Key {
                                name: "max_delay_target",
                                ty: KeyType::Duration,
                                required: false,
                                about: "the longest delay (default 20s); all delays add up to at most 3,600s",
                            },
                            Key {
                                name: "backoff_function",
                                ty: KeyType::Word(&["linear", "exponential"]),
                                required: false,
                                about: "how the backoff phase's delays grow: linear steps or a constant ratio, ending at the maximum (AWS draws the curves without formulas: a choice) (default linear)",
                            },
                        ]),
                        required: false,
                        about: "HTTP/S only: a custom delivery policy (default AWS's: 3 retries, 20 s apart); SQS and Lambda subscriptions always get AWS's 100,015 retries over 23 days",
                    },
                ]),
                required: false,
                about: "the topic's subscriptions, each delivered on its own",
            },
        ],
        faults: &[],
        series: &[&PUBLISHES, &DELIVERED, &FAILED, &PENDING],
        fields: &[
            Field {
                path: "publishes",
                unit: Unit::Count,
                about: "messages published: Publish calls admitted, and each entry of a PublishBatch admitted",
            },
            Field {
                path: "throttled",
                unit: Unit::Count,
                about: "Publish and PublishBatch calls refused with 400 ThrottlingException (over `publish_quota`, or a message group's `group_quota`; a batch when none of its entries was admitted)",
            },
            Field {
                path: "refused_full",
                unit: Unit::Count,
                about: "Publish calls refused with 503 because archsim's limit of pending deliveries was reached (SNS has none)",
            },
            Field {
                path: "failed_entries",
                unit: Unit::Count,
                about: "entries of PublishBatch calls (a Lambda handler's one call for its batch, `batch_calls = \"per_batch\"`) refused, throttled or over archsim's limit, while others of theirs were published: in the answer's `Failed` list, for the handler to send again (reported for a topic that received batches)",
            },
            Field {
                path: "deduplicated",
                unit: Unit::Count,
                about: "FIFO: Publish calls answered 200 but dropped, their deduplication id accepted in the last 5 minutes (a publisher's retry of a publish that had gone through)",
            },
            Field {
                path: "reordered",
                unit: Unit::Count,
                about: "deliveries a subscriber accepted after one of a message published later in the same group (a standard topic has one group; a FIFO topic delivers each group in order, so none)",
            },
            Field {
                path: "deliveries",
                unit: Unit::Count,
                about: "deliveries the subscribers accepted, of messages published in the measured period",
            },
            Field {
                path: "delivery_attempts",
                unit: Unit::Count,
                about: "delivery attempts, first ones and retries",
            },
            Field {
                path: "retries",
                unit: Unit::Count,
                about: "delivery attempts after a failed one",
            },
            Field {
                path: "given_up",
                unit: Unit::Count,
                about: "deliveries given up: retries spent, or an HTTP/S endpoint's client error (4xx but 429), which is not retried",
            },
            Field {
                path: "to_dead_letter",
                unit: Unit::Count,
                about: "deliveries given up and sent to their subscription's dead-letter queue",
            },
            Field {
                path: "pending_end",
                unit: Unit::Count,
                about: "deliveries still being retried when the run ended (dropped then, rather than retried for days of simulated time)",
            },
            Field {
                path: "subscriptions.*.delivered",
                unit: Unit::Count,
                about: "deliveries the subscription's endpoint accepted",
            },
            Field {
                path: "subscriptions.*.given_up",
                unit: Unit::Count,
                about: "deliveries of the subscription given up",
            },
            Field {
                path: "delivery_ms.*",
                unit: Unit::Milliseconds,
                about: "time from a publish to its delivery's acceptance, retries included (count, mean, p50 … p999, max)",
            },
            Field {
                path: "requests_billed",
                unit: Unit::Count,
                about: "publishes and HTTP/S deliveries billed, each 64 KB of a message one request",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "standard topics only: $0.50 per million publishes and $0.60 per million HTTP/S deliveries, SQS and Lambda deliveries free (third-party copies of AWS's pricing page); FIFO topics unpriced",
            },
            crate::components::kind::BY_STATUS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "publishes",
                field: "publishes",
                unit: Unit::Count,
            },
            Column {
                label: "deliveries",
                field: "deliveries",
                unit: Unit::Count,
            },
            Column {
                label: "retries",
                field: "retries",
                unit: Unit::Count,
            },
            Column {
                label: "given up",
                field: "given_up",
                unit: Unit::Count,
            },
            Column {
                label: "batch entries failed",
                field: "failed_entries",
                unit: Unit::Count,
            },
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "per second",
                lines: &[
                    PlotLine {
                        series: &PUBLISHES,
                        label: "published",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &DELIVERED,
                        label: "delivered",
                        tone: Tone::Good,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &FAILED,
                        label: "failed attempts",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "deliveries",
                lines: &[PlotLine {
                    series: &PENDING,
                    label: "pending",
                    tone: Tone::Queue,
                    scale: 1.0,
                }],
                y_max: None,
            },
        ],
        events: &[],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[
            ResourceMap {
                cloudformation: &["AWS::SNS::Topic"],
                terraform: &["aws_sns_topic"],
                map: import_topic,
            },
            ResourceMap {
                cloudformation: &["AWS::SNS::Subscription"],
                terraform: &["aws_sns_topic_subscription"],
                map: import_subscription,
            },
        ],
        companions: &[],
        downstream: Downstream::Tables("subscriptions"),
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    /// Only standard topics are priced.
    fn unpriced(&self) -> Vec<&'static str> {
        match self.fifo {
            true => vec!["FIFO topic"],
            false => Vec::new(),
        }
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::Sns::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn sdk_service(&self) -> Option<SdkService> {
        Some(SDK_SERVICE)
    }

    fn batch_action(&self, _op: u16, _name: &str) -> Option<BatchAction> {
        Some(BatchAction {
            action: 0,
            entries: super::MAX_PUBLISH_BATCH,
        })
    }

    /// A call to a topic publishes. SNS answers a denied request with its `AuthorizationError`
    /// (HTTP 403), not the AccessDeniedException of the JSON-protocol services.
    fn iam_action(&self, _op: u16, _name: &str) -> Option<IamAction> {
        Some(IamAction {
            name: "Publish",
            part: "",
            error: "AuthorizationError",
        })
    }

    fn iam_resource(&self, id: &str, region: &str) -> Option<String> {
        Some(format!("arn:aws:sns:{region}:{ACCOUNT_ID}:{id}"))
    }

    fn fifo(&self) -> Option<bool> {
        Some(self.fifo)
    }

    /// Each subscription's protocol follows its subscriber's kind: a queue is sent the
    /// message, a function invoked asynchronously (aws-facts: §16, §17), anything else is an
    /// HTTP/S endpoint. A dead-letter queue is a queue; a FIFO topic delivers to queues only,
    /// standard or FIFO (aws-facts: §17; `sns:fifo-message-delivery.html`: SNS FIFO topics
    /// deliver to SQS standard and FIFO queues, and refuse every other protocol), and a FIFO
    /// queue subscribes to a FIFO topic only (Subscribe refuses it on a standard topic).
    fn relate(&mut self, me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        let sqs = <SqsConfig as Kind>::INFO.name;
        let lambda = <LambdaConfig as Kind>::INFO.name;
        let mut ok = true;
        for (i, s) in self.subscriptions.iter().enumerate() {
            let kind = rel.kinds[s.to];
            if s.to == me {
                ck.error(s.span.clone(), "a topic cannot subscribe to itself");
                ok = false;
                continue;
            }
            let protocol = if kind == sqs {
                Protocol::Sqs
            } else if kind == lambda {
                Protocol::Lambda
            } else {
                Protocol::Http
            };
            if self.fifo && protocol != Protocol::Sqs {
                ck.error(
                    s.span.clone(),
                    format!(
                        "a FIFO topic delivers to SQS queues only; \"{}\" is {kind}",
                        rel.ids[s.to]
                    ),
                );
                ok = false;
            }
            if !self.fifo && protocol == Protocol::Sqs && rel.fifo[s.to] == Some(true) {
                // AWS refuses the subscription: Subscribe answers "Invalid parameter: Endpoint
                // Reason: FIFO SQS Queues can not be subscribed to standard SNS topics".
                ck.error(
                    s.span.clone(),
                    format!(
                        "\"{}\" is a FIFO queue, and a FIFO queue subscribes to a FIFO topic only: set `fifo = true` here or make the queue standard",
                        rel.ids[s.to]
                    ),
                );
                ok = false;
            }
            if let (Some(span), false) = (&s.policy_span, protocol == Protocol::Http) {
                ck.error(
                    span.clone(),
                    "`delivery_policy` is for HTTP/S subscribers; SQS and Lambda subscriptions get AWS's managed policy",
                );
                ok = false;
            }
            if let Some(d) = s.dead_letter {
                let to = self.calls[d].to;
                if rel.kinds[to] != sqs {
                    ck.error(
                        s.span.clone(),
                        format!(
                            "`dead_letter` names \"{}\", which is not an sqs queue",
                            rel.ids[to]
                        ),
                    );
                    ok = false;
                } else if rel.fifo[to] == Some(!self.fifo) {
                    // SNS's guide (sns-dead-letter-queues.html): a FIFO topic's subscription
                    // needs a FIFO dead-letter queue, a standard topic's a standard one.
                    let (mine, its) = crate::components::sqs::fifo_words(self.fifo);
                    ck.error(
                        s.span.clone(),
                        format!(
                            "`dead_letter` names \"{}\", {its} queue; a subscription of {mine} topic needs {mine} dead-letter queue",
                            rel.ids[to]
                        ),
                    );
                    ok = false;
                }
            }
            self.protocols[i] = protocol;
            if protocol == Protocol::Lambda {
                // aws-facts: §16: SNS invokes a function asynchronously.
                self.calls[i].asynchronous = Some(s.span.clone());
            } else if protocol == Protocol::Http {
                self.calls[i].timeout = Some(s.timeout);
            }
        }
        ok
    }
}

// What `archsim import` makes of a template's topics.

/// A topic: FIFO or standard; each subscription written inline (CloudFormation's
/// `Subscription` list) delivers to its endpoint.
fn import_topic(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let fifo = if cf { "FifoTopic" } else { "fifo_topic" };
    if r.flag(fifo) == Some(true) {
        m.set("fifo", true, fifo);
    }
    if !cf {
        return;
    }
    let Some(serde_json::Value::Array(list)) = r.get("Subscription") else {
        return;
    };
    for (i, s) in list.iter().enumerate() {
        let protocol = s.get("Protocol").and_then(|p| p.as_str()).unwrap_or("");
        let mut to = Vec::new();
        if let Some(e) = s.get("Endpoint") {
            crate::components::iac::references(e, &mut to);
        }
        match to.into_iter().next() {
            Some(t) => m.edge(
                None,
                t,
                format!("its Subscription {} ({protocol}) delivers to it", i + 1),
            ),
            None => m.note(format!(
                "{}'s Subscription {} ({protocol}) names no resource of the template: not simulated",
                r.name,
                i + 1
            )),
        }
    }
}

/// What a subscription written in a template carries over to the topic's `subscriptions`
/// entry (`who`: how a note names it): its dead-letter queue from `redrive` (a
/// `RedrivePolicy`'s `deadLetterTargetArn`); its `filter` policy, which reads message
/// attributes archsim's messages do not have, is said in a note. An `AWS::SNS::Subscription`
/// and a SAM function's `SNS` event both go through here.
pub(crate) fn subscription_keys(
    r: &Resource<'_>,
    redrive: &str,
    filter: &str,
    who: &str,
    m: &mut Mapped,
) -> Vec<(&'static str, toml::Value)> {
    let mut with = Vec::new();
    if let Some(dlq) = r.refs(redrive).into_iter().next() {
        with.push(("dead_letter", component(&dlq)));
    }
    if r.get(filter).is_some_and(|f| !f.is_null()) {
        m.note(format!(
            "{who}'s filter policy reads message attributes archsim does not have: every message is delivered (write `ops` to filter by operation)"
        ));
    }
    with
}

/// A subscription: its topic delivers to its endpoint, its redrive policy's queue taking what
/// cannot be delivered.
fn import_subscription(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let (topic, endpoint, protocol, redrive, filter) = if cf {
        (
            "TopicArn",
            "Endpoint",
            "Protocol",
            "RedrivePolicy",
            "FilterPolicy",
        )
    } else {
        (
            "topic_arn",
            "endpoint",
            "protocol",
            "redrive_policy",
            "filter_policy",
        )
    };
    m.folded = true;
    let protocol = r.text(protocol).unwrap_or("");
    let (Some(from), Some(to)) = (
        r.refs(topic).into_iter().next(),
        r.refs(endpoint).into_iter().next(),
    ) else {
        m.note(format!(
            "subscription {} ({protocol}) names a topic or endpoint outside the template: not simulated",
            r.name
        ));
        return;
    };
    let with = subscription_keys(r, redrive, filter, &format!("subscription {}", r.name), m);
    m.edges.push(Edge {
        from: Some(from),
        to,
        why: format!("subscription {} ({protocol})", r.name),
        with,
        route: None,
        catch_all: false,
    });
}

/// SNS as its SDK clients see it: ThrottlingException (400) is a throttling error, and the
/// SDKs' figures for services other than DynamoDB apply (aws-facts: §7 SDK retries, §17).
pub const SDK_SERVICE: SdkService = SdkService {
    throttles: &[THROTTLED],
    family: ServiceFamily::Other,
};
