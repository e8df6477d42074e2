//! What `lambda` declares about itself: its keys, series, summary fields, columns, plot
//! panels and events, and its share of the account's concurrency.

use super::config::{
    self, LambdaConfig, ARCHITECTURE_NAMES, BATCH_CALLS_NAMES, MAX_CONCURRENCY, MAX_MEMORY_MB,
    MAX_SCALING_RATE, MIN_MEMORY_MB, REUSE_NAMES, RUNTIME_NAMES,
};
use crate::components::iac::{
    clamp, int, number, seconds, string, Dialect, Downstream, Edge, Imports, Mapped, Resource,
    ResourceMap, Route,
};
use crate::components::kind::{
    AccountClaims, Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, LatencySeries,
    Mark, PlotLine, PlotPanel, Relations, Series, Tone, Unit,
};
use crate::components::kms::caller::KmsUse;
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::iam::{IamAction, ACCOUNT_ID};
use crate::retry::{SdkService, ServiceFamily};

pub(super) const INVOCATIONS: Series = Series {
    id: "invocations_rps",
    unit: Unit::PerSecond,
    about: "invocations started",
};
pub(super) const CONCURRENCY: Series = Series {
    id: "concurrency",
    unit: Unit::Number,
    about: "executions running, time-averaged",
};
pub(super) const ENVIRONMENTS: Series = Series {
    id: "environments",
    unit: Unit::Number,
    about: "execution environments alive, time-averaged",
};
pub(super) const COLD_STARTS: Series = Series {
    id: "cold_starts_rps",
    unit: Unit::PerSecond,
    about: "invocations that started a new environment",
};
pub(super) const THROTTLES: Series = Series {
    id: "throttles_rps",
    unit: Unit::PerSecond,
    about: "invocation requests refused with 429 (not invocations)",
};
pub(super) static DURATION: LatencySeries = LatencySeries {
    p50: Series {
        id: "duration_p50_ms",
        unit: Unit::Milliseconds,
        about: "median run time of the handler",
    },
    p95: Series {
        id: "duration_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the run time of the handler",
    },
    p99: Series {
        id: "duration_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the run time of the handler",
    },
};

pub(super) const ASYNC_QUEUE: Series = Series {
    id: "async_queue",
    unit: Unit::Number,
    about: "events of asynchronous invocations waiting in the function's queue (ready or backing off), time-averaged",
};
pub(super) const ASYNC_OLDEST: Series = Series {
    id: "async_oldest_age_s",
    unit: Unit::Seconds,
    about: "age of the oldest event waiting in the function's asynchronous queue, at the end of each window",
};

/// A probability, as `error_rate` and `canary.weight` take it.
const PROBABILITY: KeyType = KeyType::Number { min: 0.0, max: 1.0 };

impl Kind for LambdaConfig {
    // aws-facts: §20 VPC: a function attached to a VPC has network interfaces with security
    // groups; they guard its own connections, not its invocations, which go through Lambda's
    // API (`crate::network` applies no inbound rule to calls to a function).
    const IN_VPC: bool = true;
    // aws-facts: §14 Lambda asynchronous invocation: `InvocationType=Event` answers 202 at
    // once and the event waits in Lambda's internal queue.
    const ACCEPTS_ASYNC: bool = true;
    // aws-facts: §19 IAM: Lambda's actions are `lambda:*`.
    const IAM_PREFIX: Option<&'static str> = Some("lambda");
    const IAM_ACTIONS: &'static [&'static str] = &["InvokeFunction"];
    const INFO: &'static KindInfo = &KindInfo {
        name: "lambda",
        title: "AWS Lambda",
        noun: "a Lambda function",
        category: Category::Compute,
        about: "a function: execution environments with cold starts and reuse, reserved and provisioned concurrency from the account pool, scaling limits, memory-proportional CPU, timeouts and a weighted canary",
        keys: &[
            Key {
                name: "memory_mb",
                ty: KeyType::Integer {
                    min: MIN_MEMORY_MB,
                    max: MAX_MEMORY_MB,
                },
                required: false,
                about: "memory [MB], which sets the CPU too: 1,769 MB buys one vCPU, and less runs the handler slower in proportion (default 128)",
            },
            Key {
                name: "architecture",
                ty: KeyType::Word(&ARCHITECTURE_NAMES),
                required: false,
                about: "the instruction set architecture, as AWS names it: x86_64 or arm64 (Graviton2). It sets the price of duration only (arm64's is 20% lower); `work` stays the handler time you measured on that architecture, since archsim does not guess a speed-up (AWS's \"up to 34% better price performance\" is a claim, not a figure to apply) (default x86_64, as AWS's)",
            },
            Key {
                name: "timeout",
                ty: KeyType::Duration,
                required: false,
                about: "the function timeout, above zero and at most 900s: an invocation still running then ends in a function error and its environment is reset (default 3s)",
            },
            Key {
                name: "runtime",
                ty: KeyType::Word(&RUNTIME_NAMES),
                required: false,
                about: "the runtime by AWS's identifier (nodejs20.x, python3.12, java21, dotnet8, ruby3.3, provided.al2023, …) or a language (nodejs, python, java, dotnet, ruby, go, rust), for its measured hello-world init time on a cold start; give it or `init`, not both (default: nodejs's, 120-150 ms)",
            },
            Key {
                name: "init",
                ty: KeyType::TimeDist,
                required: false,
                about: "init time of a new environment (a cold start), averaging at most 10s; give it or `runtime`, not both (default: nodejs's, 120-150 ms)",
            },
            Key {
                name: "work",
                ty: KeyType::TimeDist,
                required: true,
                about: "handler time of an invocation at one vCPU or more, before its calls; scaled up below 1,769 MB",
            },
            Key {
                name: "error_rate",
                ty: PROBABILITY,
                required: false,
                about: "probability that an invocation fails with an unhandled error: a function error, which callers count as an error and SDKs do not retry, and API Gateway answers 502 (REST) or 500 (HTTP) (default 0)",
            },
            Key {
                name: "error_ops",
                ty: KeyType::Words,
                required: false,
                about: "operations whose invocations always fail with a function error (a poison message the handler cannot process); each message of a queue's or stream's batch fails by its own operation (default none)",
            },
            Key {
                name: "reserved_concurrency",
                ty: KeyType::Integer {
                    min: 0,
                    max: MAX_CONCURRENCY,
                },
                required: false,
                about: "reserved concurrency [executions]: the function's guarantee and ceiling, set aside from the account's pool; 0 stops it (default: none, it draws on the account's unreserved pool)",
            },
            Key {
                name: "provisioned_concurrency",
                ty: KeyType::Integer {
                    min: 0,
                    max: MAX_CONCURRENCY,
                },
                required: false,
                about: "environments initialised before the first request and never recycled, split between the versions by the canary's weight; at most the reserved concurrency (default 0)",
            },
            Key {
                name: "idle_lifetime",
                ty: KeyType::Duration,
                required: false,
                about: "how long an idle on-demand environment lives before it is recycled, above zero (default 10m)",
            },
            Key {
                name: "scaling_rate",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_SCALING_RATE,
                },
                required: false,
                about: "new environments the function may create per 10 seconds [environments] (default 1000)",
            },
            Key {
                name: "reuse",
                ty: KeyType::Word(&REUSE_NAMES),
                required: false,
                about: "which idle environment an invocation is given when several are warm, after any provisioned one: the most recently used (mru) or the most recently created (newest); AWS does not document it, so this is a choice (default mru)",
            },
            Key {
                name: "batch_calls",
                ty: KeyType::Word(&BATCH_CALLS_NAMES),
                required: false,
                about: "what the handler's `calls` are made for when an invocation carries a queue's or stream's batch: each message in turn (per_message: a handler that writes or publishes each record, each successful one under ReportBatchItemFailures) or once for the batch (per_batch: one batch action for all, a DynamoDB BatchWriteItem of 25 puts at most and BatchGetItem of 100 reads, an update alone, an SQS SendMessageBatch or SNS PublishBatch of 10, a larger batch in as many calls in turn; the callee bills, stores or delivers each message as its own, and the entries it leaves unprocessed are sent again with backoff within the call's attempts; a callee without a batch action takes one request; under ReportBatchItemFailures, for the successful ones, none when every message failed); the function's own code, so a choice (default per_message)",
            },
            Key {
                name: "canary",
                ty: KeyType::Table(&[
                    Key {
                        name: "weight",
                        ty: PROBABILITY,
                        required: true,
                        about: "the canary's share of invocations, above 0 and below 1",
                    },
                    Key {
                        name: "work",
                        ty: KeyType::TimeDist,
                        required: false,
                        about: "the canary's handler time at one vCPU or more (default: the function's `work`)",
                    },
                    Key {
                        name: "init",
                        ty: KeyType::TimeDist,
                        required: false,
                        about: "the canary's init time on a cold start (default: the function's)",
                    },
                    Key {
                        name: "error_rate",
                        ty: PROBABILITY,
                        required: false,
                        about: "probability that a canary invocation fails with a function error (default: the function's `error_rate`)",
                    },
                ]),
                required: false,
                about: "a second version behind a weighted alias, with its own environments; what it leaves out is the function's (default: none)",
            },
            Key {
                name: "calls",
                ty: KeyType::Calls,
                required: false,
                about: "downstream calls, made in turn by the handler after its own work; one that fails fails the invocation (a function error)",
            },
            Key {
                name: "async_invocation",
                ty: KeyType::Table(&[
                    Key {
                        name: "maximum_retry_attempts",
                        ty: KeyType::Integer { min: 0, max: config::MAX_ASYNC_RETRIES },
                        required: false,
                        about: "retries after a function error, 1 and then 2 minutes later (default 2)",
                    },
                    Key {
                        name: "maximum_event_age",
                        ty: KeyType::Duration,
                        required: false,
                        about: "an event older than this when it is due is discarded: from 60s to 6h (default 6h)",
                    },
                    Key {
                        name: "on_failure",
                        ty: KeyType::Text,
                        required: false,
                        about: "the id of the component (a queue, a function) sent each discarded event, asynchronously (default: none; the event is dropped, counted)",
                    },
                    Key {
                        name: "duplicates",
                        ty: PROBABILITY,
                        required: false,
                        about: "the share of events delivered twice: AWS documents at-least-once delivery without a rate, so this is a choice (default 0)",
                    },
                ]),
                required: false,
                about: "how events of asynchronous invocations (a call with `mode = \"async\"`) are retried and discarded (default: AWS's, 2 retries and 6 hours)",
            },
        ],
        faults: &[],
        series: &[
            &INVOCATIONS,
            &CONCURRENCY,
            &ENVIRONMENTS,
            &COLD_STARTS,
            &THROTTLES,
            &DURATION.p50,
            &DURATION.p95,
            &DURATION.p99,
            &ASYNC_QUEUE,
            &ASYNC_OLDEST,
        ],
        fields: &[
            Field {
                path: "invocations",
                unit: Unit::Count,
                about: "invocations admitted in the measured period, as CloudWatch counts and AWS bills them: a throttled request is not one",
            },
            Field {
                path: "cold_starts",
                unit: Unit::Count,
                about: "invocations that started a new environment",
            },
            Field {
                path: "throttles",
                unit: Unit::Count,
                about: "invocation requests refused with 429 (not counted in invocations): no concurrency left, no new environment allowed yet, or the account's request rate spent",
            },
            Field {
                path: "throttled_by.concurrency",
                unit: Unit::Count,
                about: "throttled invocations refused for want of concurrency (the function's reserved or the account's)",
            },
            Field {
                path: "throttled_by.scaling",
                unit: Unit::Count,
                about: "throttled invocations refused because the scaling rate allowed no new environment yet (1,000 per 10 s)",
            },
            Field {
                path: "throttled_by.rate",
                unit: Unit::Count,
                about: "throttled invocations refused by the account's request rate (10 invocations per second per unit of concurrency)",
            },
            Field {
                path: "timeouts",
                unit: Unit::Count,
                about: "invocations stopped by the function timeout (a function error)",
            },
            Field {
                path: "by_status.*",
                unit: Unit::Count,
                about: "invocations by the status they were answered with; function_error: a function error (the Invoke API's 200 with X-Amz-Function-Error)",
            },
            Field {
                path: "versions.*.invocations",
                unit: Unit::Count,
                about: "invocations run by the version (`base` or `canary`), with a canary only",
            },
            Field {
                path: "versions.*.errors",
                unit: Unit::Count,
                about: "invocations of the version answered with an error, with a canary only",
            },
            Field {
                path: "cold_start_fraction",
                unit: Unit::Share,
                about: "share of invocations that started a new environment",
            },
            Field {
                path: "throttle_fraction",
                unit: Unit::Share,
                about: "share of invocation requests refused with 429: throttles / (invocations + throttles)",
            },
            Field {
                path: "concurrency_mean",
                unit: Unit::Number,
                about: "executions running, time-averaged",
            },
            Field {
                path: "accepted_concurrency",
                unit: Unit::Number,
                about: "the executions the invocations of the measured period needed: admitted invocations × their mean time from arrival to end / measured time (counts work running past the end, unlike concurrency_mean)",
            },
            Field {
                path: "concurrency_max",
                unit: Unit::Number,
                about: "the most executions running at once",
            },
            Field {
                path: "concurrency_p50",
                unit: Unit::Number,
                about: "executions running when an invocation arrives (before its own), the median over arrivals",
            },
            Field {
                path: "concurrency_p99",
                unit: Unit::Number,
                about: "executions running when an invocation arrives (before its own), the 99th percentile over arrivals",
            },
            Field {
                path: "environments_recycled",
                unit: Unit::Count,
                about: "on-demand environments recycled after their idle lifetime in the measured period",
            },
            Field {
                path: "environment_lifetime_ms.*",
                unit: Unit::Milliseconds,
                about: "how long the environments that ended in the measured period lived, from the start of their init to their recycling or reset (count, mean, p50 … p999, max)",
            },
            Field {
                path: "environments_mean",
                unit: Unit::Number,
                about: "execution environments alive (busy or idle), time-averaged",
            },
            Field {
                path: "memory_mb",
                unit: Unit::Number,
                about: "its memory [MB]",
            },
            Field {
                path: "gb_seconds",
                unit: Unit::Number,
                about: "billed handler time times memory [GB-s], on demand and on provisioned environments",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "requests, billed duration and provisioned concurrency, at the first tier's prices",
            },
            Field {
                path: "duration_ms.*",
                unit: Unit::Milliseconds,
                about: "run time of the handler, after any init (count, mean, p50 … p999, max)",
            },
            Field {
                path: "init_ms.*",
                unit: Unit::Milliseconds,
                about: "init time of the cold starts (count, mean, p50 … p999, max)",
            },
            Field {
                path: "async.accepted",
                unit: Unit::Count,
                about: "asynchronous invocations accepted (answered 202), with any asynchronous call only (as every `async.` field)",
            },
            Field {
                path: "async.refused_full",
                unit: Unit::Count,
                about: "asynchronous invocations refused with 503 because the queue held archsim's limit of events",
            },
            Field {
                path: "async.succeeded",
                unit: Unit::Count,
                about: "events that ran successfully, of those accepted in the measured period, followed after arrivals stop (each duplicate counts)",
            },
            Field {
                path: "async.retried",
                unit: Unit::Count,
                about: "runs that ended in a function error and were retried, of events accepted in the measured period, followed after arrivals stop (`invocations` counts only the runs in the measured period, so the two need not agree)",
            },
            Field {
                path: "async.throttled",
                unit: Unit::Count,
                about: "attempts to run an event refused by a limit (or failing in Lambda itself) and put back to wait with backoff, of events accepted in the measured period",
            },
            Field {
                path: "async.discarded.*",
                unit: Unit::Count,
                about: "events given up, by why: expired (older than `maximum_event_age`) or retries_exhausted, of events accepted in the measured period, followed after arrivals stop",
            },
            Field {
                path: "async.discarded_total",
                unit: Unit::Count,
                about: "events given up, whatever why (the sum of `async.discarded.*`): accepted with a 202, never run to success",
            },
            Field {
                path: "async.to_destination",
                unit: Unit::Count,
                about: "discarded events sent to the `on_failure` destination, of events accepted in the measured period, followed after arrivals stop (the destination's own counts, such as a queue's `sends`, stop with the measured period)",
            },
            Field {
                path: "async.destination_failures",
                unit: Unit::Count,
                about: "sends to the on-failure destination that the destination refused, in the measured period",
            },
            Field {
                path: "async.duplicates",
                unit: Unit::Count,
                about: "events delivered a second time (`duplicates`)",
            },
            Field {
                path: "async.queue_mean",
                unit: Unit::Number,
                about: "events waiting (ready or backing off), time-averaged",
            },
            Field {
                path: "async.queue_max",
                unit: Unit::Number,
                about: "the most events waiting at once",
            },
            Field {
                path: "async.oldest_age_max_s",
                unit: Unit::Seconds,
                about: "the greatest age of the oldest waiting event at a window's end",
            },
            Field {
                path: "async.backlog_end",
                unit: Unit::Number,
                about: "events waiting when arrivals stopped (they run on after)",
            },
            Field {
                path: "async.lag_ms.*",
                unit: Unit::Milliseconds,
                about: "processing lag: from the client's request (`Msg::origin`) to the successful end of its event's run, for requests made in the measured period (count, mean, p50 … p999, max)",
            },
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "mean concurrency",
                field: "concurrency_mean",
                unit: Unit::Number,
            },
            Column {
                label: "max concurrency",
                field: "concurrency_max",
                unit: Unit::Number,
            },
            Column {
                label: "cold starts, of invocations",
                field: "cold_start_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "throttled, of requests",
                field: "throttle_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "timeouts",
                field: "timeouts",
                unit: Unit::Count,
            },
            // Invoked asynchronously, its callers see only the 202 of the acceptance: how
            // long events waited to run, and how many still waited when arrivals stopped.
            Column {
                label: "async lag p99",
                field: "async.lag_ms.p99",
                unit: Unit::Milliseconds,
            },
            // The lag is of the events that ran to success: beside it, the events given up
            // (expired, retries exhausted), which a caller that got its 202 never sees.
            Column {
                label: "async events discarded",
                field: "async.discarded_total",
                unit: Unit::Count,
            },
            Column {
                label: "events waiting when arrivals stopped",
                field: "async.backlog_end",
                unit: Unit::Number,
            },
            crate::components::kind::LATE_REPLIES_COLUMN,
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "executions",
                lines: &[
                    PlotLine {
                        series: &CONCURRENCY,
                        label: "busy",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &ENVIRONMENTS,
                        label: "environments",
                        tone: Tone::Queue,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "per second",
                lines: &[
                    PlotLine {
                        series: &COLD_STARTS,
                        label: "cold starts",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &THROTTLES,
                        label: "throttles (429)",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "events queued",
                lines: &[PlotLine {
                    series: &ASYNC_QUEUE,
                    label: "events waiting",
                    tone: Tone::Queue,
                    scale: 1.0,
                }],
                y_max: None,
            },
            PlotPanel {
                axis: "oldest [s]",
                lines: &[PlotLine {
                    series: &ASYNC_OLDEST,
                    label: "age of the oldest",
                    tone: Tone::Warn,
                    scale: 1.0,
                }],
                y_max: None,
            },
        ],
        events: &[
            EventInfo {
                event: "function_timeout",
                mark: Mark::Instant,
            },
        ],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[
            ResourceMap {
                cloudformation: &["AWS::Lambda::Function", "AWS::Serverless::Function"],
                terraform: &["aws_lambda_function"],
                map: import_function,
            },
            ResourceMap {
                cloudformation: &["AWS::Lambda::Version", "AWS::Lambda::Alias"],
                terraform: &[
                    "aws_lambda_provisioned_concurrency_config",
                    "aws_lambda_alias",
                ],
                map: import_version,
            },
            ResourceMap {
                cloudformation: &["AWS::Lambda::EventSourceMapping"],
                terraform: &["aws_lambda_event_source_mapping"],
                map: import_event_source,
            },
        ],
        companions: &[],
        downstream: Downstream::Calls,
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let pool = shared.lambda[env.region.as_str()].clone();
        Box::new(super::Lambda::new(self.clone(), env, pool))
    }

    fn claim(&self, claims: &mut AccountClaims) {
        claims.lambda_set_aside += self.set_aside();
    }

    fn set_aside_span(&self) -> Option<std::ops::Range<usize>> {
        self.set_aside_span.clone()
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    /// Callers invoke a function through the Lambda API (a service calling it with an SDK):
    /// TooManyRequestsException (429) is its throttling error (aws-facts: §2 throttling, §7
    /// SDK retries). A function error is a 200 with an error, never retried.
    /// aws-facts: §12 KMS: a function whose environment variables are encrypted under a KMS
    /// key has Lambda decrypt them at each cold start, a request against the account's quota.
    fn kms_use(&self) -> KmsUse {
        KmsUse::Own
    }

    /// A call to a function invokes it. aws-facts: §19 IAM errors: `AccessDeniedException`.
    fn iam_action(&self, _op: u16, _name: &str) -> Option<IamAction> {
        Some(IamAction {
            name: "InvokeFunction",
            part: "",
            error: "AccessDeniedException",
        })
    }

    fn iam_resource(&self, id: &str, region: &str) -> Option<String> {
        Some(format!(
            "arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{id}"
        ))
    }

    fn function_timeout(&self) -> Option<crate::kernel::SimTime> {
        Some(self.timeout)
    }

    fn reserved_concurrency(&self) -> Option<u32> {
        self.reserved
    }

    fn relate(&mut self, me: usize, relations: &mut Relations, _ck: &mut Checker) -> bool {
        if let (config::BatchCalls::PerBatch, Some(span)) =
            (self.batch_calls, &self.batch_calls_span)
        {
            relations.per_batch.push((me, span.clone()));
        }
        true
    }

    fn sdk_service(&self) -> Option<SdkService> {
        Some(SdkService {
            throttles: &[super::THROTTLED],
            family: ServiceFamily::Other,
        })
    }
}

// What `archsim import` makes of a template's functions.

/// A function: memory, timeout, runtime, concurrency; SAM's events as the callers that invoke
/// it; the resources its environment names as calls it is assumed to make.
fn import_function(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let (memory, timeout, runtime, reserved, env) = if cf {
        (
            "MemorySize",
            "Timeout",
            "Runtime",
            "ReservedConcurrentExecutions",
            "Environment.Variables",
        )
    } else {
        (
            "memory_size",
            "timeout",
            "runtime",
            "reserved_concurrent_executions",
            "environment.variables",
        )
    };
    // aws-facts: §2 Lambda: AWS's defaults are 128 MB and 3 s, archsim's too.
    if let Some(mb) = r.num(memory) {
        let mb = clamp(
            mb,
            MIN_MEMORY_MB as f64,
            MAX_MEMORY_MB as f64,
            "MemorySize",
            m,
        );
        m.set("memory_mb", int(mb), memory);
    }
    if let Some(t) = r.num(timeout) {
        let t = clamp(t, 1.0, 900.0, "Timeout", m);
        m.set("timeout", seconds(t), timeout.to_string());
    }
    if let Some(rt) = r.text(runtime) {
        match lambda_runtime(rt) {
            Some(name) if name == rt => m.set("runtime", string(name), runtime.to_string()),
            Some(name) => m.set(
                "runtime",
                string(name),
                format!("{runtime} {rt}: its language's cold start (archsim has no figure for this version)"),
            ),
            None => m.note(format!("runtime {rt} has no cold-start figure in archsim: nodejs's is used")),
        }
    }
    import_architecture(r, m, if cf { "Architectures" } else { "architectures" });
    // Terraform writes -1 for "no reserved concurrency".
    if let Some(n) = r.num(reserved).filter(|n| *n >= 0.0) {
        let n = clamp(n, 0.0, MAX_CONCURRENCY as f64, reserved, m);
        m.set("reserved_concurrency", int(n), reserved.to_string());
    }
    if let Some(n) = r.num("ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions") {
        let n = clamp(
            n,
            0.0,
            MAX_CONCURRENCY as f64,
            "ProvisionedConcurrentExecutions",
            m,
        );
        m.set(
            "provisioned_concurrency",
            int(n),
            "ProvisionedConcurrencyConfig (on SAM's AutoPublishAlias)",
        );
    }
    m.ask(
        "work",
        work_start(),
        "handler time at one vCPU (1,769 MB; less memory runs it slower in proportion): set from your CloudWatch Duration p50/p99, less the time its calls take",
    );
    if let Some(serde_json::Value::Object(vars)) = r.get(env) {
        for (var, value) in vars {
            let mut names = Vec::new();
            crate::components::iac::references(value, &mut names);
            for name in names {
                m.assumed_edge(
                    None,
                    name,
                    &format!("its environment variable {var} names it"),
                );
            }
        }
    }
    // A Terraform plan says only that the environment block refers to a resource.
    for name in r.refs(env) {
        if !m.edges.iter().any(|e| e.to == name) {
            m.assumed_edge(None, name, "its environment names it");
        }
    }
    // SAM's policy templates (DynamoDBCrudPolicy: {TableName: !Ref Table}) and inline
    // statements naming a resource grant the function access to it.
    let policies = if cf { "Policies" } else { "policy" };
    for name in r.refs(policies) {
        if !m.edges.iter().any(|e| e.to == name) {
            m.assumed_edge(None, name, &format!("its {policies} grant it access"));
        }
    }
    if cf {
        import_sam_events(r, m);
        sam_deployment(r, m);
    }
}

/// The function's `Architectures` (CloudFormation's and SAM's, after SAM's `Globals`) or
/// `architectures` (Terraform's): a list of one word, x86_64 or arm64; without it AWS's
/// default, x86_64, which is archsim's too.
fn import_architecture(r: &Resource<'_>, m: &mut Mapped, key: &str) {
    let Some(list) = r.get(key) else {
        return;
    };
    let words: Vec<&str> = match list {
        serde_json::Value::Array(a) => a.iter().filter_map(|w| w.as_str()).collect(),
        serde_json::Value::String(w) => vec![w.as_str()],
        _ => Vec::new(),
    };
    match words.as_slice() {
        [w] => match ARCHITECTURE_NAMES.iter().find(|n| **n == *w) {
            Some(name) => m.set("architecture", string(name), key.to_string()),
            None => m.note(format!(
                "{}'s {key} {w} is not an architecture Lambda runs (x86_64, arm64): x86_64 is used",
                r.name
            )),
        },
        _ => m.note(format!(
            "{}'s {key} is not one literal architecture (x86_64 or arm64): x86_64 is used",
            r.name
        )),
    }
}

/// SAM's `AutoPublishAlias` with a `DeploymentPreference`: a traffic shift that lasts only a
/// deployment, not a standing split; its first step's share is said, for a run of that window.
fn sam_deployment(r: &Resource<'_>, m: &mut Mapped) {
    let Some(ty) = r.text("DeploymentPreference.Type") else {
        return;
    };
    // CodeDeploy's predefined configurations: Canary10Percent5Minutes, Linear10PercentEvery1Minute…
    let share = ty
        .trim_start_matches("Canary")
        .trim_start_matches("Linear")
        .split("Percent")
        .next()
        .and_then(|p| p.parse::<f64>().ok())
        .filter(|p| *p > 0.0 && *p < 100.0);
    m.note(match share {
        Some(p) => format!(
            "{}'s DeploymentPreference {ty} shifts traffic only during a deployment: to simulate its first step, add canary = {{ weight = {} }}",
            r.name,
            p / 100.0
        ),
        None => format!(
            "{}'s DeploymentPreference {ty} shifts all traffic at once: no canary to simulate",
            r.name
        ),
    });
}

/// The `runtime` word for an AWS runtime identifier: itself when archsim knows it, else its
/// language's (an older "python3.9" takes python's figures).
fn lambda_runtime(rt: &str) -> Option<&'static str> {
    if let Some(name) = RUNTIME_NAMES.iter().find(|n| **n == rt) {
        return Some(name);
    }
    let language = match rt {
        _ if rt.starts_with("nodejs") => "nodejs",
        _ if rt.starts_with("python") => "python",
        _ if rt.starts_with("java") => "java",
        _ if rt.starts_with("dotnet") => "dotnet",
        _ if rt.starts_with("ruby") => "ruby",
        _ if rt.starts_with("go") => "go",
        // A custom runtime on Amazon Linux (provided.al2).
        _ if rt.starts_with("provided") => "provided.al2023",
        _ => return None,
    };
    RUNTIME_NAMES.iter().copied().find(|n| *n == language)
}

/// The handler time written when a template cannot say it: a starting value to replace.
fn work_start() -> toml::Value {
    let mut t = toml::Table::new();
    t.insert("dist".into(), string("lognormal"));
    t.insert("median".into(), string("20ms"));
    t.insert("p99".into(), string("100ms"));
    toml::Value::Table(t)
}

/// SAM's `Events` of a function: each source invokes it. An `Api` or `HttpApi` event without
/// an API of its own goes to the implicit API SAM makes (`ServerlessRestApi`,
/// `ServerlessHttpApi`); the importer adds that API.
fn import_sam_events(r: &Resource<'_>, m: &mut Mapped) {
    let Some(serde_json::Value::Object(events)) = r.get("Events") else {
        return;
    };
    for (name, event) in events {
        let ty = event.get("Type").and_then(|t| t.as_str()).unwrap_or("");
        let props = event.get("Properties").cloned().unwrap_or_default();
        let refs = |key: &str| {
            let mut out = Vec::new();
            if let Some(v) = props.get(key) {
                crate::components::iac::references(v, &mut out);
            }
            out
        };
        let (source, implicit) = match ty {
            "Api" => (refs("RestApiId"), Some("ServerlessRestApi")),
            "HttpApi" => (refs("ApiId"), Some("ServerlessHttpApi")),
            "SQS" => (refs("Queue"), None),
            "DynamoDB" | "Kinesis" => (refs("Stream"), None),
            "S3" => (refs("Bucket"), None),
            "SNS" => (refs("Topic"), None),
            _ => {
                m.note(format!(
                    "event {name} (type {ty}) is not simulated: give its traffic as a workload"
                ));
                continue;
            }
        };
        let source = match (source.into_iter().next(), implicit) {
            (Some(s), _) => s,
            (None, Some(api)) => api.to_string(),
            (None, None) => {
                m.note(format!(
                    "event {name} (type {ty}) names no resource of the template"
                ));
                continue;
            }
        };
        let event_resource = Resource {
            props: &props,
            ..*r
        };
        let with = if ty == "SNS" {
            // SAM subscribes the function to the topic: the event's own FilterPolicy and
            // RedrivePolicy are that subscription's.
            let queued = props
                .get("SqsSubscription")
                .is_some_and(|v| !v.is_null() && v != &serde_json::Value::Bool(false));
            if queued {
                m.note(format!(
                    "SAM event {name} of {}: SqsSubscription puts an SQS queue between the topic and the function, simulated here as a direct subscription (write the queue and its consumer to study it)",
                    r.name
                ));
            }
            crate::components::sns::subscription_keys(
                &event_resource,
                "RedrivePolicy",
                "FilterPolicy",
                &format!("SAM event {name} of {}", r.name),
                m,
            )
        } else {
            consumer_keys(&event_resource, ty == "SQS", ty == "DynamoDB", m)
        };
        // An API event's method and path: the route whose integration the function is.
        let route = match (
            props.get("Method").and_then(|v| v.as_str()),
            props.get("Path").and_then(|v| v.as_str()),
        ) {
            (Some(method), Some(path)) if matches!(ty, "Api" | "HttpApi") => Some(Route {
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
            }),
            _ => None,
        };
        m.edges.push(Edge {
            from: Some(source),
            to: r.name.to_string(),
            why: format!("SAM event {name} (type {ty}) invokes the function"),
            with,
            route,
            catch_all: false,
        });
    }
}

/// A version or alias of a function: its provisioned concurrency is the function's.
fn import_version(r: &Resource<'_>, m: &mut Mapped) {
    let (function, provisioned) = match r.dialect {
        Dialect::CloudFormation => (
            "FunctionName",
            "ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions",
        ),
        Dialect::Terraform => ("function_name", "provisioned_concurrent_executions"),
    };
    // The function it is a version of: the one it references or, when it names the function
    // by its FunctionName (a `!Sub ${AWS::StackName}` both write), the one of that name.
    m.part_of = r.refs(function).into_iter().next().or_else(|| {
        let name = r.get(function)?;
        r.others()
            .find(|o| {
                matches!(
                    o.kind,
                    "AWS::Lambda::Function" | "AWS::Serverless::Function" | "aws_lambda_function"
                ) && o.get(function) == Some(name)
            })
            .map(|o| o.name.to_string())
    });
    if m.part_of.is_none() {
        m.folded = true;
        m.note(format!(
            "{} {} names no function of the template: its settings are left out",
            r.kind, r.name
        ));
        return;
    }
    if let Some(n) = r.num(provisioned) {
        let n = clamp(n, 0.0, MAX_CONCURRENCY as f64, "provisioned concurrency", m);
        m.set(
            "provisioned_concurrency",
            int(n),
            format!("{} {}", r.kind, r.name),
        );
    }
    // A weighted alias: the other versions' share is archsim's canary (one second version;
    // several are summed, said so).
    let weights: Vec<f64> = match r.dialect {
        Dialect::CloudFormation => match r.get("RoutingConfig.AdditionalVersionWeights") {
            Some(serde_json::Value::Array(list)) => list
                .iter()
                .filter_map(|w| w.get("FunctionWeight").and_then(number))
                .collect(),
            _ => Vec::new(),
        },
        Dialect::Terraform => match r.get("routing_config.additional_version_weights") {
            Some(serde_json::Value::Object(map)) => map.values().filter_map(number).collect(),
            _ => Vec::new(),
        },
    };
    let weight: f64 = weights.iter().sum();
    if weights.len() > 1 {
        m.note(format!(
            "{} {} routes to {} other versions: archsim's canary is one version, taking their {weight} share",
            r.kind,
            r.name,
            weights.len()
        ));
    }
    if weight > 0.0 && weight < 1.0 {
        let mut t = toml::Table::new();
        t.insert("weight".into(), toml::Value::Float(weight));
        m.set(
            "canary",
            toml::Value::Table(t),
            format!("{} {}: the share routed to another version (AdditionalVersionWeights); its work and errors are the function's until you set them", r.kind, r.name),
        );
    } else if !weights.is_empty() {
        m.note(format!(
            "{} {}'s routing weight {weight} is not between 0 and 1: no canary written",
            r.kind, r.name
        ));
    }
}

/// An event source mapping: the queue or stream it polls invokes the function.
fn import_event_source(r: &Resource<'_>, m: &mut Mapped) {
    let (function, source) = match r.dialect {
        Dialect::CloudFormation => ("FunctionName", "EventSourceArn"),
        Dialect::Terraform => ("function_name", "event_source_arn"),
    };
    let (Some(f), Some(from)) = (
        r.refs(function).into_iter().next(),
        r.refs(source).into_iter().next(),
    ) else {
        m.note(format!(
            "event source mapping {} names a function or source outside the template",
            r.name
        ));
        return;
    };
    m.part_of = Some(f.clone());
    let queue = r
        .other(&from)
        .is_some_and(|o| matches!(o.kind, "AWS::SQS::Queue" | "aws_sqs_queue"));
    let stream = r.other(&from).is_some_and(|o| {
        matches!(
            o.kind,
            "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" | "aws_dynamodb_table"
        )
    });
    let with = consumer_keys(r, queue, stream, m);
    m.edges.push(Edge {
        from: Some(from),
        to: f,
        why: format!("event source mapping {} invokes the function", r.name),
        with,
        route: None,
        catch_all: false,
    });
}

/// The keys of a table's `stream` a stream's event source sets (a SAM `DynamoDB` event's
/// `Properties`, or an event source mapping on the table's stream), in the ranges Lambda
/// accepts (aws-facts: §22 DynamoDB Streams): the batching window (≤ 300 s), the
/// parallelization factor (1–10), the retries of a failed batch (−1: until its records
/// expire), the record age (−1: none), bisection on a function error, and an on-failure
/// destination that is an SQS queue (the one kind the table sends it to).
fn stream_keys(source: &Resource<'_>, with: &mut Vec<(&'static str, toml::Value)>, m: &mut Mapped) {
    let cf = source.dialect == Dialect::CloudFormation;
    let pick = |c: &'static str, t: &'static str| if cf { c } else { t };
    let window = pick(
        "MaximumBatchingWindowInSeconds",
        "maximum_batching_window_in_seconds",
    );
    if let Some(s) = source.num(window) {
        with.push((
            "maximum_batching_window",
            seconds(clamp(s, 0.0, 300.0, window, m)),
        ));
    }
    let factor = pick("ParallelizationFactor", "parallelization_factor");
    if let Some(n) = source.num(factor) {
        with.push((
            "parallelization_factor",
            int(clamp(n, 1.0, 10.0, factor, m)),
        ));
    }
    let retries = pick("MaximumRetryAttempts", "maximum_retry_attempts");
    if let Some(n) = source.num(retries) {
        with.push((
            "maximum_retry_attempts",
            int(clamp(n, -1.0, 10_000.0, retries, m)),
        ));
    }
    let age = pick("MaximumRecordAgeInSeconds", "maximum_record_age_in_seconds");
    if let Some(s) = source.num(age).filter(|&s| s != -1.0) {
        with.push((
            "maximum_record_age",
            seconds(clamp(s, 60.0, 604_800.0, age, m)),
        ));
    }
    let bisect = pick(
        "BisectBatchOnFunctionError",
        "bisect_batch_on_function_error",
    );
    if let Some(b) = source.get(bisect).and_then(|v| {
        v.as_bool()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    }) {
        with.push(("bisect_batch_on_function_error", toml::Value::Boolean(b)));
    }
    let destination = pick(
        "DestinationConfig.OnFailure.Destination",
        "destination_config.on_failure.destination_arn",
    );
    if let Some(d) = source.refs(destination).into_iter().next() {
        match source.other(&d) {
            Some(q) if matches!(q.kind, "AWS::SQS::Queue" | "aws_sqs_queue") => {
                with.push(("on_failure", crate::components::iac::component(&d)));
            }
            _ => m.note(format!(
                "{}'s on-failure destination {d} is not an SQS queue: left out (archsim's stream sends discarded batches' records to a queue)",
                source.name
            )),
        }
    }
}

/// The keys of the queue's `consumer` (or the table's `stream`) an event source sets
/// (`source`: a SAM event's `Properties`, or an event source mapping): its batch size; when
/// it polls an SQS queue (`queue`), its batching window and its maximum concurrency; when it
/// reads a table's stream (`stream`), `stream_keys`'; for either, whether the function
/// reports batch item failures. aws-facts: §16 Lambda event source mappings: BatchSize up to 10,000,
/// the batching window up to 300 s, MaximumConcurrency 2–1,000. Each changes a run: a batch
/// the function throttles or fails returns to the queue, and after the redrive policy's
/// receives its messages go to the dead-letter queue.
fn consumer_keys(
    source: &Resource<'_>,
    queue: bool,
    stream: bool,
    m: &mut Mapped,
) -> Vec<(&'static str, toml::Value)> {
    let (batch, window, concurrency, responses) = match source.dialect {
        Dialect::CloudFormation => (
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "ScalingConfig.MaximumConcurrency",
            "FunctionResponseTypes",
        ),
        Dialect::Terraform => (
            "batch_size",
            "maximum_batching_window_in_seconds",
            "scaling_config.maximum_concurrency",
            "function_response_types",
        ),
    };
    let mut with = Vec::new();
    if let Some(n) = source.num(batch) {
        with.push(("batch_size", int(clamp(n, 1.0, 10_000.0, batch, m))));
    }
    if stream {
        stream_keys(source, &mut with, m);
    }
    if queue {
        if let Some(s) = source.num(window) {
            with.push(("batching_window", seconds(clamp(s, 0.0, 300.0, window, m))));
        }
        if let Some(n) = source.num(concurrency) {
            let n = clamp(n, 2.0, 1_000.0, concurrency, m);
            with.push(("maximum_concurrency", int(n)));
        }
    }
    if !(queue || stream) {
        return with;
    }
    let reports = match source.get(responses) {
        Some(serde_json::Value::Array(types)) => types
            .iter()
            .any(|t| t.as_str() == Some("ReportBatchItemFailures")),
        _ => false,
    };
    if reports {
        let types = vec![string("ReportBatchItemFailures")];
        with.push(("function_response_types", toml::Value::Array(types)));
    }
    with
}
