//! What `step_functions` declares about itself: its keys (the state machine's tables
//! included), series, summary fields, columns, plot panels, its calls (one per Task state)
//! and the retries AWS's SDKs apply to it.

use super::config::{
    self, SfnConfig, JITTERS, MAX_MEMORY_MB, REGION_CLASSES, STATE_TYPES, WORKFLOWS,
};
use super::{Workflow, THROTTLED};
use crate::components::kind::{
    Category, Column, FaultInfo, Field, Key, KeyType, Kind, KindInfo, PlotLine, PlotPanel,
    Relations, Series, Tone, Unit,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::{RawComponentTable, RawFault};
use crate::config::Checker;
use crate::limits::{MAX_MAP_ITEMS, MAX_OPEN_EXECUTIONS, MAX_RATE};
use crate::retry::{SdkService, ServiceFamily};

pub(super) const STARTED: Series = Series {
    id: "executions_started_rps",
    unit: Unit::PerSecond,
    about: "executions started (StartExecution accepted)",
};
pub(super) const THROTTLED_STARTS: Series = Series {
    id: "start_throttles_rps",
    unit: Unit::PerSecond,
    about: "StartExecution calls refused with 400 (ThrottlingException, or ExecutionLimitExceeded)",
};
pub(super) const SUCCEEDED: Series = Series {
    id: "executions_succeeded_rps",
    unit: Unit::PerSecond,
    about: "executions that succeeded",
};
pub(super) const FAILED: Series = Series {
    id: "executions_failed_rps",
    unit: Unit::PerSecond,
    about: "executions that failed (an error no catcher took)",
};
pub(super) const TIMED_OUT: Series = Series {
    id: "executions_timed_out_rps",
    unit: Unit::PerSecond,
    about: "executions that ran past their duration limit",
};
pub(super) const ABORTED: Series = Series {
    id: "executions_aborted_rps",
    unit: Unit::PerSecond,
    about: "executions stopped while running (StopExecution: a `stop_executions` fault)",
};
pub(super) const TRANSITIONS: Series = Series {
    id: "transitions_rps",
    unit: Unit::PerSecond,
    about: "state transitions (states entered and retries)",
};
pub(super) const DELAYED: Series = Series {
    id: "transitions_throttled_rps",
    unit: Unit::PerSecond,
    about: "state transitions that waited for the StateTransition quota (ExecutionThrottled)",
};
pub(super) const RUNNING: Series = Series {
    id: "executions_running",
    unit: Unit::Number,
    about: "executions in progress, time-averaged",
};

const RETRIER: &[Key] = &[
    Key {
        name: "error_equals",
        ty: KeyType::Words,
        required: true,
        about: "the errors it retries: States.ALL (alone, in the last retrier), States.Timeout, States.TaskFailed (every task failure but the timeout), States.Permissions (a task call the state machine's `role` denies, 403), Lambda.TooManyRequestsException (429), Lambda.ServiceException (500), Lambda.AWSLambdaException (502, 503, 504), Lambda.SdkClientException (599, a reset connection), Lambda.Unknown (a function's unhandled error), DynamoDB.ProvisionedThroughputExceededException (400), or a fail state's `error`",
    },
    Key {
        name: "interval_seconds",
        ty: KeyType::Integer {
            min: 1,
            max: 99_999_999,
        },
        required: false,
        about: "the wait before the first retry [s] (default 1)",
    },
    Key {
        name: "backoff_rate",
        ty: KeyType::Number {
            min: 1.0,
            max: 1e6,
        },
        required: false,
        about: "what each wait is multiplied by for the next: retry n (from 0) waits interval_seconds × backoff_rate^n (default 2.0)",
    },
    Key {
        name: "max_attempts",
        ty: KeyType::Integer {
            min: 0,
            max: 99_999_999,
        },
        required: false,
        about: "the most retries, 0 for none (default 3)",
    },
    Key {
        name: "max_delay_seconds",
        ty: KeyType::Integer {
            min: 1,
            max: 31_622_399,
        },
        required: false,
        about: "the longest wait [s] (default: no cap)",
    },
    Key {
        name: "jitter_strategy",
        ty: KeyType::Word(JITTERS),
        required: false,
        about: "FULL draws each wait uniformly from 0 to its value; NONE waits it exactly (default NONE)",
    },
];

const CATCHER: &[Key] = &[
    Key {
        name: "error_equals",
        ty: KeyType::Words,
        required: true,
        about: "the errors it catches, named as in a retrier's `error_equals` (States.ALL alone, in the last catcher)",
    },
    Key {
        name: "next",
        ty: KeyType::Text,
        required: true,
        about: "the state a caught error goes to (in the same workflow or branch): a compensating step, say",
    },
];

const CHOICE: &[Key] = &[
    Key {
        name: "next",
        ty: KeyType::Text,
        required: true,
        about: "the state this choice goes to",
    },
    Key {
        name: "probability",
        ty: KeyType::Number { min: 0.0, max: 1.0 },
        required: true,
        about: "the share of executions that take it (the choices add up to at most 1; the rest go to `default`)",
    },
];

const STATE: &[Key] = &[
    Key {
        name: "name",
        ty: KeyType::Name,
        required: true,
        about: "the state's name, its own among the states (letters, digits, - and _): `next` and the summary's `states.<name>` name it",
    },
    Key {
        name: "type",
        ty: KeyType::Word(STATE_TYPES),
        required: true,
        about: "what it does, as Amazon States Language's state types: task (calls `resource`), wait, choice (by probability), parallel, map, pass, succeed, fail",
    },
    Key {
        name: "next",
        ty: KeyType::Text,
        required: false,
        about: "the state that follows (task, wait, parallel, map, pass: this or `end = true`)",
    },
    Key {
        name: "end",
        ty: KeyType::Bool,
        required: false,
        about: "true: the state ends its workflow or branch (instead of `next`)",
    },
    Key {
        name: "resource",
        ty: KeyType::Ids,
        required: false,
        about: "task: the id of the component it calls, once per attempt (its own retries are the state's `retry`)",
    },
    Key {
        name: "op",
        ty: KeyType::Text,
        required: false,
        about: "task: the operation the call carries: \"inherit\" (the execution's, the default) or a name",
    },
    Key {
        name: "timeout_seconds",
        ty: KeyType::Integer {
            min: 1,
            max: 99_999_999,
        },
        required: false,
        about: "task: how long it waits for its resource before failing with States.Timeout [s] (default: as long as it takes)",
    },
    Key {
        name: "retry",
        ty: KeyType::Tables(RETRIER),
        required: false,
        about: "task, parallel, map: retriers, tried in order; the first whose `error_equals` matches decides (at most 8)",
    },
    Key {
        name: "catch",
        ty: KeyType::Tables(CATCHER),
        required: false,
        about: "task, parallel, map: catchers, tried in order once no retrier retries; the first that matches goes to its `next`",
    },
    Key {
        name: "seconds",
        ty: KeyType::Integer {
            min: 0,
            max: 99_999_999,
        },
        required: false,
        about: "wait: how long it waits [s]",
    },
    Key {
        name: "choices",
        ty: KeyType::Tables(CHOICE),
        required: false,
        about: "choice: the states it may go to, each with its probability",
    },
    Key {
        name: "default",
        ty: KeyType::Text,
        required: false,
        about: "choice: the state taken by the executions no choice takes (needed unless the probabilities add up to 1)",
    },
    Key {
        name: "branches",
        ty: KeyType::Words,
        required: false,
        about: "parallel: the state each branch starts at; the branches run at once and the state goes on when all have ended (one failing fails it)",
    },
    Key {
        name: "iterator",
        ty: KeyType::Text,
        required: false,
        about: "map: the state each item's run starts at",
    },
    Key {
        name: "items",
        ty: KeyType::NumberDist,
        required: false,
        about: "map: how many items a run has: a number or a distribution (rounded; 0 to 10,000, draws beyond cut to it)",
    },
    Key {
        name: "max_concurrency",
        ty: KeyType::Integer {
            min: 0,
            max: MAX_MAP_ITEMS,
        },
        required: false,
        about: "map: the most items processed at once, 0 for no limit of its own (default 0); an inline Map runs at most 40 at once either way, as AWS documents",
    },
    Key {
        name: "error",
        ty: KeyType::Text,
        required: false,
        about: "fail: the error it raises, a name of your own that a parallel or map state's catcher may name (default States.Fail)",
    },
];

impl Kind for SfnConfig {
    // aws-facts: §18 Step Functions: a Standard StartExecution is answered once the execution
    // starts; an Express one started asynchronously too.
    const ACCEPTS_ASYNC: bool = true;
    const INFO: &'static KindInfo = &KindInfo {
        name: "step_functions",
        title: "AWS Step Functions",
        noun: "a Step Functions state machine",
        category: Category::Integration,
        about: "a Standard or Express state machine (task, wait, choice by probability, parallel, map, pass, succeed and fail states; Retry with interval, backoff rate, max attempts, max delay and jitter; Catch), its StartExecution and StateTransition quotas, duration limits and cost",
        keys: &[
            Key {
                name: "type",
                ty: KeyType::Word(WORKFLOWS),
                required: false,
                about: "standard (StartExecution answered at once, runs up to a year, billed per state transition) or express (StartSyncExecution answered with the outcome unless the call is `mode = \"async\"`, up to 5 minutes, billed per execution and GB-second) (default standard)",
            },
            Key {
                name: "start_at",
                ty: KeyType::Text,
                required: false,
                about: "the state an execution starts at (default the first state)",
            },
            Key {
                name: "state",
                ty: KeyType::Tables(STATE),
                required: true,
                about: "the states, one `[[component.state]]` table each, as in Amazon States Language",
            },
            Key {
                name: "region_class",
                ty: KeyType::Word(REGION_CLASSES),
                required: false,
                about: "the Region's quotas, the account's there, shared by every state machine of the Region and workflow type (all must state them alike): for a Standard workflow large (us-east-1, us-west-2, eu-west-1: StartExecution 1,300 burst, 300/s; StateTransition 5,000 burst, 1,500/s) or standard (elsewhere: 800, 150/s; 800, 500/s); archived figures, AWS may have raised them (default large)",
            },
            Key {
                name: "start_rate",
                ty: KeyType::NumberAbove {
                    above: 0.0,
                    max: MAX_RATE,
                },
                required: false,
                about: "StartExecution's refill [requests/s], over the Region class's (Express 6,000)",
            },
            Key {
                name: "start_burst",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_RATE as i64,
                },
                required: false,
                about: "StartExecution's bucket [requests], over the Region class's (Express 6,000)",
            },
            Key {
                name: "transition_rate",
                ty: KeyType::NumberAbove {
                    above: 0.0,
                    max: MAX_RATE,
                },
                required: false,
                about: "Standard only: StateTransition's refill [transitions/s], over the Region class's",
            },
            Key {
                name: "transition_burst",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_RATE as i64,
                },
                required: false,
                about: "Standard only: StateTransition's bucket [transitions], over the Region class's",
            },
            Key {
                name: "api_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time StartExecution takes before its answer, which AWS does not document (a choice) (default lognormal, median 20 ms, p99 60 ms)",
            },
            Key {
                name: "transition_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time a state transition takes before the state acts; AWS says tens of milliseconds, uncertain (a choice) (default lognormal, median 20 ms, p99 60 ms)",
            },
            Key {
                name: "memory_mb",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_MEMORY_MB,
                },
                required: false,
                about: "Express only: the memory an execution uses, billed in 64 MB chunks (AWS: about 50 MB plus the definition and its data) (default 64)",
            },
            Key {
                name: "max_open_executions",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_OPEN_EXECUTIONS,
                },
                required: false,
                about: "the most executions open at once in the account and Region, every machine of this workflow type's together; StartExecution beyond is refused with 400 (ExecutionLimitExceeded) (default 1,000,000, AWS's quota for Standard)",
            },
            Key {
                name: "timeout_seconds",
                ty: KeyType::Integer {
                    min: 1,
                    max: 31_536_000,
                },
                required: false,
                about: "the state machine's TimeoutSeconds (ASL, top level): an execution running longer ends TIMED_OUT [s] (at most the duration limit: a year for Standard, 300 for Express) (default: the duration limit)",
            },
        ],
        faults: &[FaultInfo {
            name: "stop_executions",
            takes: "`target`, a component of kind \"step_functions\"",
            keys: &["target"],
            about: "StopExecution on every execution running at that moment (a deploy that stops them): each ends ABORTED, its tasks' answers ignored",
        }],
        series: &[
            &STARTED,
            &THROTTLED_STARTS,
            &SUCCEEDED,
            &FAILED,
            &TIMED_OUT,
            &ABORTED,
            &TRANSITIONS,
            &DELAYED,
            &RUNNING,
        ],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "StartExecution calls received in the measured period",
            },
            Field {
                path: "throttles",
                unit: Unit::Count,
                about: "StartExecution calls refused with 400 ThrottlingException",
            },
            Field {
                path: "refused_open_limit",
                unit: Unit::Count,
                about: "StartExecution calls refused with 400 ExecutionLimitExceeded (`max_open_executions` open)",
            },
            Field {
                path: "started",
                unit: Unit::Count,
                about: "executions started in the measured period",
            },
            Field {
                path: "succeeded",
                unit: Unit::Count,
                about: "of those, executions that succeeded",
            },
            Field {
                path: "failed",
                unit: Unit::Count,
                about: "of those, executions that failed",
            },
            Field {
                path: "timed_out",
                unit: Unit::Count,
                about: "of those, executions that ran past their duration limit or the machine's `timeout_seconds`",
            },
            Field {
                path: "aborted",
                unit: Unit::Count,
                about: "of those, executions stopped while running (ABORTED, by a `stop_executions` fault)",
            },
            Field {
                path: "history_limit",
                unit: Unit::Count,
                about: "of the failed, Standard executions stopped at 25,000 transitions (Express keeps no history)",
            },
            Field {
                path: "transitions",
                unit: Unit::Count,
                about: "state transitions of those executions (states entered and retries)",
            },
            Field {
                path: "transitions_delayed",
                unit: Unit::Count,
                about: "of those, transitions that waited for the StateTransition quota",
            },
            Field {
                path: "running_max",
                unit: Unit::Number,
                about: "the most executions in progress at once",
            },
            Field {
                path: "running_mean",
                unit: Unit::Number,
                about: "executions in progress, time-averaged over the measured period",
            },
            Field {
                path: "map_concurrency_max",
                unit: Unit::Number,
                about: "the most items a Map run processed at once",
            },
            Field {
                path: "billed_gb_s",
                unit: Unit::Number,
                about: "Express: GB-seconds billed (durations in 100 ms, memory in 64 MB)",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "Standard: $0.025 per 1,000 transitions; Express: $1.00 per million executions and $0.06 per GB-hour (AWS's pricing page, us-east-1; free tiers not counted)",
            },
            Field {
                path: "states.*.entered",
                unit: Unit::Count,
                about: "times each state was entered",
            },
            Field {
                path: "states.*.retries",
                unit: Unit::Count,
                about: "retries each state made",
            },
            Field {
                path: "states.*.caught",
                unit: Unit::Count,
                about: "errors each state's catchers took",
            },
            Field {
                path: "states.*.failed",
                unit: Unit::Count,
                about: "errors each state passed on, neither retried nor caught",
            },
            Field {
                path: "duration_ms.*",
                unit: Unit::Milliseconds,
                about: "time from an execution's start to its end, whatever the outcome (count, mean, p50 … p999, max)",
            },
            Field {
                path: "lag_ms.*",
                unit: Unit::Milliseconds,
                about: "processing lag: from the client's request to the success of an execution its caller did not wait for",
            },
            crate::components::kind::BY_STATUS,
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "succeeded",
                field: "succeeded",
                unit: Unit::Count,
            },
            Column {
                label: "failed",
                field: "failed",
                unit: Unit::Count,
            },
            // An execution past its type's limit (an Express one's 5 minutes) is neither
            // succeeded nor failed: without this, a workflow that always times out reads
            // "succeeded 0" and nothing more.
            Column {
                label: "timed out",
                field: "timed_out",
                unit: Unit::Count,
            },
            Column {
                label: "transitions",
                field: "transitions",
                unit: Unit::Count,
            },
            Column {
                label: "start throttles",
                field: "throttles",
                unit: Unit::Count,
            },
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "executions/s",
                lines: &[
                    PlotLine {
                        series: &STARTED,
                        label: "started",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &SUCCEEDED,
                        label: "succeeded",
                        tone: Tone::Good,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &FAILED,
                        label: "failed",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &TIMED_OUT,
                        label: "timed out",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    // Not `Bad`: failures are red already on this panel, and a stopped
                    // execution must be told apart from a failed one.
                    PlotLine {
                        series: &ABORTED,
                        label: "aborted (stopped)",
                        tone: Tone::Queue,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &THROTTLED_STARTS,
                        label: "start throttled (400)",
                        // Brown: a hue of its own on this panel; the limit tones are for
                        // limits, which a chart may leave undrawn far above the rest.
                        tone: Tone::Down,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "executions running",
                lines: &[PlotLine {
                    series: &RUNNING,
                    label: "running",
                    tone: Tone::Queue,
                    scale: 1.0,
                }],
                y_max: None,
            },
            PlotPanel {
                axis: "transitions/s",
                lines: &[
                    PlotLine {
                        series: &TRANSITIONS,
                        label: "transitions",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &DELAYED,
                        label: "throttled (waited)",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
        ],
        events: &[],
    };

    const IMPORTS: &'static crate::components::iac::Imports = &crate::components::iac::Imports {
        maps: &[crate::components::iac::ResourceMap {
            cloudformation: &[
                "AWS::StepFunctions::StateMachine",
                "AWS::Serverless::StateMachine",
            ],
            terraform: &["aws_sfn_state_machine"],
            map: super::import::state_machine,
        }],
        // Its Task states name what they call inside `state`.
        companions: &[],
        downstream: crate::components::iac::Downstream::None,
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let quotas = shared.step_functions.of(&env.region, self);
        Box::new(super::StepFunctions::new(self.clone(), env, quotas))
    }

    fn parse_fault(&self, _fault: &str, _f: &RawFault, _ck: &mut Checker) -> Option<(u32, String)> {
        Some((super::STOP_EXECUTIONS, String::new()))
    }

    /// aws-facts: §18 Step Functions: the buckets and the open executions are the account's
    /// in each Region, one set per workflow type; the first machine of a Region and type
    /// states them, and every other one must state them alike.
    fn relate(&mut self, me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        let scope = format!(
            "{} {}",
            rel.regions[me],
            match self.workflow {
                Workflow::Standard => "Standard",
                Workflow::Express => "Express",
            }
        );
        let words = self.quota_words();
        match rel
            .step_functions_quotas
            .iter()
            .find(|(s, _, _)| *s == scope)
        {
            None => {
                rel.step_functions_quotas.push((scope, me, words));
                true
            }
            Some((_, _, w)) if *w == words => true,
            Some((_, first, w)) => {
                ck.error(
                    self.quota_span.clone(),
                    format!(
                        "the {} workflows of {} draw on the account's quotas there, which \"{}\" states as {w}; this one says {words} (state them alike, or leave the keys out on both)",
                        scope.rsplit(' ').next().unwrap_or_default(),
                        crate::components::region_words(&rel.regions[me]),
                        rel.ids[*first],
                    ),
                );
                false
            }
        }
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn sdk_service(&self) -> Option<SdkService> {
        Some(SDK_SERVICE)
    }
}

/// Step Functions as its SDK clients see it: ThrottlingException (400) is a throttling error,
/// and the SDKs' figures for services other than DynamoDB apply (aws-facts: §7 SDK retries).
pub const SDK_SERVICE: SdkService = SdkService {
    throttles: &[THROTTLED],
    family: ServiceFamily::Other,
};
