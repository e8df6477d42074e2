//! The `step_functions` table: its keys as written (a state machine as a list of
//! `[[component.state]]` tables, close to Amazon States Language), and the validated config.

use super::machine::{
    Catcher, ErrorName, Flow, Machine, Retrier, State, StateKind, Workflow, SERVICE_ERRORS,
    STATES_ERRORS,
};
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker, OpChoice};
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::limits::{MAX_MAP_ITEMS, MAX_NAME_LEN, MAX_OPEN_EXECUTIONS, MAX_RETRIERS, MAX_STATES};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSfn {
    #[serde(rename = "type")]
    workflow: Option<Spanned<String>>,
    start_at: Option<Spanned<String>>,
    state: Option<Spanned<Vec<Spanned<RawState>>>>,
    region_class: Option<Spanned<String>>,
    start_rate: Option<Spanned<f64>>,
    start_burst: Option<Spanned<i64>>,
    transition_rate: Option<Spanned<f64>>,
    transition_burst: Option<Spanned<i64>>,
    api_latency: Option<Spanned<RawDist>>,
    transition_latency: Option<Spanned<RawDist>>,
    memory_mb: Option<Spanned<i64>>,
    max_open_executions: Option<Spanned<i64>>,
    timeout_seconds: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    next: Option<Spanned<String>>,
    end: Option<Spanned<bool>>,
    resource: Option<Spanned<String>>,
    op: Option<Spanned<String>>,
    timeout_seconds: Option<Spanned<i64>>,
    retry: Option<Vec<Spanned<RawRetrier>>>,
    catch: Option<Vec<Spanned<RawCatcher>>>,
    seconds: Option<Spanned<i64>>,
    choices: Option<Vec<Spanned<RawChoice>>>,
    default: Option<Spanned<String>>,
    branches: Option<Vec<Spanned<String>>>,
    iterator: Option<Spanned<String>>,
    items: Option<Spanned<RawDist>>,
    max_concurrency: Option<Spanned<i64>>,
    error: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetrier {
    error_equals: Vec<Spanned<String>>,
    interval_seconds: Option<Spanned<i64>>,
    backoff_rate: Option<Spanned<f64>>,
    max_attempts: Option<Spanned<i64>>,
    max_delay_seconds: Option<Spanned<i64>>,
    jitter_strategy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatcher {
    error_equals: Vec<Spanned<String>>,
    next: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    next: Spanned<String>,
    probability: Spanned<f64>,
}

/// The words `type` takes.
pub(super) const WORKFLOWS: &[&str] = &["standard", "express"];
/// The words a state's `type` takes (ASL's state types).
pub(super) const STATE_TYPES: &[&str] = &[
    "task", "wait", "choice", "parallel", "map", "pass", "succeed", "fail",
];
/// The words `region_class` takes.
pub(super) const REGION_CLASSES: &[&str] = &["large", "standard"];
/// The words `jitter_strategy` takes (ASL's JitterStrategy).
pub(super) const JITTERS: &[&str] = &["FULL", "NONE"];

/// aws-facts: §18 Step Functions: ASL bounds IntervalSeconds, MaxAttempts and
/// MaxDelaySeconds below 99,999,999 (and MaxDelaySeconds below 31,622,401 s, a year).
const ASL_MAX: i64 = 99_999_999;
const MAX_DELAY_SECONDS: i64 = 31_622_400;

/// Token-bucket quotas of one account and Region: (bucket, refill per second).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// Requests the bucket holds: the burst [requests].
    pub burst: u64,
    /// Refill [requests/s].
    pub rate: f64,
}

/// A validated `step_functions` state machine.
#[derive(Clone, Debug)]
pub struct SfnConfig {
    /// Standard or Express.
    pub workflow: Workflow,
    /// The states, the machine that runs them, its start.
    pub machine: Machine,
    /// The Region class written (or the default), for diagrams.
    pub region_class: &'static str,
    /// StartExecution's token bucket.
    pub start_quota: Bucket,
    /// StateTransition's token bucket; `None`: unlimited (Express).
    pub transition_quota: Option<Bucket>,
    /// Time StartExecution takes before its answer [s].
    pub api_latency: Dist,
    /// Time Step Functions takes to move into a state before it acts [s].
    pub transition_latency: Dist,
    /// An Express execution's memory [MB], billed in 64 MB chunks.
    pub memory_mb: u32,
    /// The most executions open at once in the account and Region (of this workflow type);
    /// StartExecution beyond is refused (ExecutionLimitExceeded) [executions].
    pub max_open_executions: u32,
    /// Where the account's quotas are stated (the first quota key written; the component's
    /// table when none is), for messages.
    pub quota_span: Range<usize>,
    /// The state machine's own `TimeoutSeconds` (ASL, top level): an execution running
    /// longer ends TIMED_OUT; `None`: only the workflow's duration limit.
    pub timeout: Option<SimTime>,
    /// Its calls: one per Task state, in state order.
    pub calls: Vec<CallSpec>,
}

/// aws-facts: §18 Step Functions: the documented quotas give no latency for StartExecution or
/// for a transition ("tens of ms", flagged [?]): a lognormal of median 20 ms and p99 60 ms
/// for each is a choice.
fn default_latency() -> Dist {
    Dist::lognormal_median_p99(0.020, 0.060).expect("valid")
}

/// aws-facts: §18 Step Functions: StartExecution and StateTransition token buckets
/// (archived values): Standard 1,300 / 300 s⁻¹ and 5,000 / 1,500 s⁻¹ in us-east-1, us-west-2
/// and eu-west-1 (`large`), 800 / 150 s⁻¹ and 800 / 500 s⁻¹ elsewhere; Express StartExecution
/// 6,000 / 6,000 s⁻¹ and no transition quota.
fn quotas(workflow: Workflow, class: &str) -> (Bucket, Option<Bucket>) {
    let b = |burst, rate| Bucket { burst, rate };
    match (workflow, class) {
        (Workflow::Express, _) => (b(6_000, 6_000.0), None),
        (Workflow::Standard, "large") => (b(1_300, 300.0), Some(b(5_000, 1_500.0))),
        (Workflow::Standard, _) => (b(800, 150.0), Some(b(800, 500.0))),
    }
}

/// The most a rate key may say [requests/s]: past the highest arrival rate nothing changes.
const MAX_QUOTA_RATE: f64 = crate::limits::MAX_RATE;

/// Reads and validates a `step_functions` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<SfnConfig> {
    let whole = table.span();
    let raw: RawSfn = ck.deserialize(table)?;
    let workflow = ck
        .one_of_or(&raw.workflow, "type", WORKFLOWS, "standard")
        .map(|w| {
            if w == "express" {
                Workflow::Express
            } else {
                Workflow::Standard
            }
        });
    let class = ck.one_of_or(&raw.region_class, "region_class", REGION_CLASSES, "large");
    let api_latency = ck.time_dist_or(&raw.api_latency, "api_latency", default_latency());
    let transition_latency = ck.time_dist_or(
        &raw.transition_latency,
        "transition_latency",
        default_latency(),
    );
    let open = ck.int_or(
        &raw.max_open_executions,
        "max_open_executions",
        (1, MAX_OPEN_EXECUTIONS),
        MAX_OPEN_EXECUTIONS,
    );
    // ASL's top-level TimeoutSeconds: at most the workflow's duration limit (a year, or 5
    // minutes for Express), checked once the workflow is known.
    let timeout = raw
        .timeout_seconds
        .as_ref()
        .map(|t| (t.span(), *t.get_ref()));
    let quota_span = [
        raw.region_class.as_ref().map(|s| s.span()),
        raw.start_rate.as_ref().map(|s| s.span()),
        raw.start_burst.as_ref().map(|s| s.span()),
        raw.transition_rate.as_ref().map(|s| s.span()),
        raw.transition_burst.as_ref().map(|s| s.span()),
        raw.max_open_executions.as_ref().map(|s| s.span()),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|s| s.start)
    .unwrap_or(whole.start..whole.start);
    let (workflow, class) = (workflow?, class?);
    let timeout = match timeout {
        None => Some(None),
        Some((span, t)) => {
            let limit = (workflow.duration_limit().0 / 1_000_000_000) as i64;
            if (1..=limit).contains(&t) {
                Some(Some(SimTime::from_secs(t as u64)))
            } else {
                ck.error(
                    span,
                    format!(
                        "`timeout_seconds` = {t} is out of range; allowed: 1 to {limit} (the {} workflow's duration limit, aws-facts §18)",
                        match workflow {
                            Workflow::Standard => "Standard",
                            Workflow::Express => "Express",
                        }
                    ),
                );
                None
            }
        }
    };
    let memory = match (&raw.memory_mb, workflow) {
        (Some(m), Workflow::Standard) => {
            ck.error(
                m.span(),
                "`memory_mb` prices an Express workflow's duration: set `type = \"express\"`, or leave it out",
            );
            None
        }
        // aws-facts: §18 Step Functions: an Express workflow uses about 50 MB plus its
        // definition and data (AWS's pricing page), billed as one 64 MB chunk: 64 MB is the
        // default, a choice for a small workflow.
        (m, _) => ck.int_or(m, "memory_mb", (1, MAX_MEMORY_MB), 64),
    };
    let (start_quota, transition_quota) = quota_keys(ck, &raw, workflow, class);
    let mut calls = Vec::new();
    let machine = match &raw.state {
        None => {
            ck.error(
                whole.start..whole.start,
                "a step_functions component needs its states: one `[[component.state]]` table per state, each with `name` and `type`",
            );
            None
        }
        Some(states) if states.get_ref().is_empty() => {
            ck.error(
                states.span(),
                "`state` is empty: a state machine needs at least one state",
            );
            None
        }
        Some(states) => machine(ck, states.get_ref(), &raw.start_at, &mut calls),
    };
    Some(SfnConfig {
        workflow,
        machine: machine?,
        region_class: class,
        start_quota: start_quota?,
        transition_quota: transition_quota?,
        api_latency: api_latency?,
        transition_latency: transition_latency?,
        memory_mb: memory? as u32,
        max_open_executions: open? as u32,
        quota_span,
        timeout: timeout?,
        calls,
    })
}

/// The largest `memory_mb` [MB]: AWS documents none; 64 GB is far past any workflow.
pub(super) const MAX_MEMORY_MB: i64 = 65_536;

/// The quota keys, over the Region class's defaults.
fn quota_keys(
    ck: &mut Checker,
    raw: &RawSfn,
    workflow: Workflow,
    class: &str,
) -> (Option<Bucket>, Option<Option<Bucket>>) {
    let (start, transition) = quotas(workflow, class);
    let rate = |ck: &mut Checker, v: &Option<Spanned<f64>>, key: &str, default: f64| {
        ck.or(v, default, |ck, r| {
            ck.positive_up_to(
                r,
                key,
                "requests per second",
                MAX_QUOTA_RATE,
                "archsim's highest rate",
            )
        })
    };
    let burst = |ck: &mut Checker, v: &Option<Spanned<i64>>, key: &str, default: u64| {
        ck.int_or(v, key, (1, MAX_QUOTA_RATE as i64), default as i64)
            .map(|b| b as u64)
    };
    let start_rate = rate(ck, &raw.start_rate, "start_rate", start.rate);
    let start_burst = burst(ck, &raw.start_burst, "start_burst", start.burst);
    let start = start_rate
        .zip(start_burst)
        .map(|(rate, burst)| Bucket { burst, rate });
    let transition = match transition {
        None => {
            let mut ok = true;
            for s in [
                raw.transition_rate.as_ref().map(|s| s.span()),
                raw.transition_burst.as_ref().map(|s| s.span()),
            ]
            .into_iter()
            .flatten()
            {
                ck.error(
                    s,
                    "an Express workflow has no state-transition quota (aws-facts §18): leave `transition_rate` and `transition_burst` out, or set `type = \"standard\"`",
                );
                ok = false;
            }
            ok.then_some(None)
        }
        Some(t) => {
            let r = rate(ck, &raw.transition_rate, "transition_rate", t.rate);
            let b = burst(ck, &raw.transition_burst, "transition_burst", t.burst);
            r.zip(b).map(|(rate, burst)| Some(Bucket { burst, rate }))
        }
    };
    (start, transition)
}

/// Which keys each state type takes besides `name`, `type`: the rest are refused on it.
fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        "task" => &[
            "next",
            "end",
            "resource",
            "op",
            "timeout_seconds",
            "retry",
            "catch",
        ],
        "wait" => &["next", "end", "seconds"],
        "choice" => &["choices", "default"],
        "parallel" => &["next", "end", "branches", "retry", "catch"],
        "map" => &[
            "next",
            "end",
            "iterator",
            "items",
            "max_concurrency",
            "retry",
            "catch",
        ],
        "pass" => &["next", "end"],
        "fail" => &["error"],
        _ => &[],
    }
}

/// The keys a state table gives, with where each is written.
fn given(s: &RawState) -> Vec<(&'static str, Range<usize>)> {
    let list =
        |v: &Option<Vec<Spanned<RawRetrier>>>| v.as_ref().and_then(|l| l.first()).map(|x| x.span());
    let mut out = vec![
        ("next", s.next.as_ref().map(|v| v.span())),
        ("end", s.end.as_ref().map(|v| v.span())),
        ("resource", s.resource.as_ref().map(|v| v.span())),
        ("op", s.op.as_ref().map(|v| v.span())),
        (
            "timeout_seconds",
            s.timeout_seconds.as_ref().map(|v| v.span()),
        ),
        ("retry", list(&s.retry)),
        (
            "catch",
            s.catch.as_ref().and_then(|l| l.first()).map(|x| x.span()),
        ),
        ("seconds", s.seconds.as_ref().map(|v| v.span())),
        (
            "choices",
            s.choices.as_ref().and_then(|l| l.first()).map(|x| x.span()),
        ),
        ("default", s.default.as_ref().map(|v| v.span())),
        (
            "branches",
            s.branches
                .as_ref()
                .and_then(|l| l.first())
                .map(|x| x.span()),
        ),
        ("iterator", s.iterator.as_ref().map(|v| v.span())),
        ("items", s.items.as_ref().map(|v| v.span())),
        (
            "max_concurrency",
            s.max_concurrency.as_ref().map(|v| v.span()),
        ),
        ("error", s.error.as_ref().map(|v| v.span())),
    ];
    // An empty list has no element to point at: the state's name stands in for it.
    for (key, list) in [
        ("retry", s.retry.as_ref().map(Vec::len)),
        ("catch", s.catch.as_ref().map(Vec::len)),
        ("choices", s.choices.as_ref().map(Vec::len)),
        ("branches", s.branches.as_ref().map(Vec::len)),
    ] {
        if list == Some(0) {
            if let Some(e) = out.iter_mut().find(|(k, _)| *k == key) {
                e.1 = Some(s.name.span());
            }
        }
    }
    out.into_iter()
        .filter_map(|(k, span)| span.map(|s| (k, s)))
        .collect()
}

/// Reads the states into a machine: names resolved, each state's keys checked against its
/// type, and the ASL rules on transitions, branches, retriers and catchers held.
fn machine(
    ck: &mut Checker,
    raw: &[Spanned<RawState>],
    start_at: &Option<Spanned<String>>,
    calls: &mut Vec<CallSpec>,
) -> Option<Machine> {
    if raw.len() > MAX_STATES {
        ck.error(
            raw[MAX_STATES].span(),
            format!("a state machine has at most {MAX_STATES} states here (archsim's limit: each has its own counters), not {}", raw.len()),
        );
        return None;
    }
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut ok = true;
    for (i, s) in raw.iter().enumerate() {
        let name = s.get_ref().name.get_ref();
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || name.len() > MAX_NAME_LEN || !name.chars().all(plain) {
            ck.error(
                s.get_ref().name.span(),
                format!("a state's `name` is 1 to {MAX_NAME_LEN} letters, digits, `-` and `_` (it names the state's figures in the summary: `states.<name>.entered`), not \"{}\"", crate::text::printable(name)),
            );
            ok = false;
        } else if let Some(first) = index.get(name.as_str()) {
            let (line, _) = ck.line_column(raw[*first].get_ref().name.span().start);
            ck.error(
                s.get_ref().name.span(),
                format!("state \"{name}\" is already named on line {line}: each state's name must be its own"),
            );
            ok = false;
        } else {
            index.insert(name, i);
        }
    }
    if !ok {
        return None;
    }
    let names: Vec<&str> = raw
        .iter()
        .map(|s| s.get_ref().name.get_ref().as_str())
        .collect();
    // Error names a catcher or retrier may give: ASL's, the services', and those Fail states
    // raise.
    let raised: Vec<String> = raw
        .iter()
        .filter_map(|s| s.get_ref().error.as_ref().map(|e| e.get_ref().clone()))
        .collect();
    let mut states = Vec::new();
    for s in raw {
        let r = Reader {
            names: &names,
            index: &index,
            raised: &raised,
        };
        match r.state(ck, s.get_ref(), calls) {
            Some(st) => states.push(st),
            None => ok = false,
        }
    }
    let start = match start_at {
        None => Some(0),
        Some(s) => Reader {
            names: &names,
            index: &index,
            raised: &raised,
        }
        .target(ck, s, "start_at"),
    };
    if !ok {
        return None;
    }
    let start = start?;
    let spans: Vec<Range<usize>> = raw.iter().map(|s| s.get_ref().name.span()).collect();
    let owner = owners(ck, &states, start, &spans)?;
    Some(Machine {
        states,
        start,
        owner,
    })
}

/// What resolves names while states are read.
struct Reader<'a> {
    names: &'a [&'a str],
    index: &'a BTreeMap<&'a str, usize>,
    raised: &'a [String],
}

impl Reader<'_> {
    /// The index of the state `s` names, or a message listing the states there are.
    fn target(&self, ck: &mut Checker, s: &Spanned<String>, key: &str) -> Option<usize> {
        match self.index.get(s.get_ref().as_str()) {
            Some(i) => Some(*i),
            None => {
                ck.error(
                    s.span(),
                    format!(
                        "`{key}` names \"{}\", which is not a state{}; states are: {}",
                        s.get_ref(),
                        crate::text::did_you_mean(s.get_ref(), self.names.iter().copied()),
                        crate::config::check::list_some(self.names)
                    ),
                );
                None
            }
        }
    }

    fn state(&self, ck: &mut Checker, s: &RawState, calls: &mut Vec<CallSpec>) -> Option<State> {
        let kind = ck.one_of(&s.kind, "type", STATE_TYPES)?;
        let allowed = allowed(kind);
        let mut ok = true;
        for (key, span) in given(s) {
            if !allowed.contains(&key) {
                let takes = if allowed.is_empty() {
                    "no other keys".to_string()
                } else {
                    allowed.join(", ")
                };
                ck.error(
                    span,
                    format!("`{key}` is not a key of a {kind} state, which takes {takes}"),
                );
                ok = false;
            }
        }
        let flow = if ["choice", "succeed", "fail"].contains(&kind) {
            Some(Flow::End)
        } else {
            self.flow(ck, s, kind)
        };
        let retry = self.retriers(ck, s.retry.as_deref().unwrap_or(&[]));
        let catch = self.catchers(ck, s.catch.as_deref().unwrap_or(&[]));
        let state_kind = self.kind(ck, s, kind, calls);
        if !ok {
            return None;
        }
        Some(State {
            name: s.name.get_ref().clone(),
            kind: state_kind?,
            flow: flow?,
            retry: retry?,
            catch: catch?,
        })
    }

    /// `next` or `end = true`: exactly one (ASL).
    fn flow(&self, ck: &mut Checker, s: &RawState, kind: &str) -> Option<Flow> {
        match (&s.next, &s.end) {
            (Some(n), None) => self.target(ck, n, "next").map(|i| Flow::Next(i as u16)),
            (None, Some(e)) if *e.get_ref() => Some(Flow::End),
            (Some(_), Some(e)) if *e.get_ref() => {
                ck.error(
                    e.span(),
                    format!("a {kind} state has either `next` or `end = true`, not both"),
                );
                None
            }
            (n, _) => {
                let at = n
                    .as_ref()
                    .map_or(s.name.span(), |_| s.end.as_ref().expect("given").span());
                ck.error(
                    at,
                    format!(
                        "{kind} state \"{}\" needs `next` (the state that follows) or `end = true` (it ends its workflow or branch)",
                        s.name.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn kind(
        &self,
        ck: &mut Checker,
        s: &RawState,
        kind: &str,
        calls: &mut Vec<CallSpec>,
    ) -> Option<StateKind> {
        match kind {
            "task" => self.task(ck, s, calls),
            "wait" => match &s.seconds {
                None => {
                    ck.error(
                        s.name.span(),
                        "a wait state needs `seconds` (how long it waits, whole seconds)",
                    );
                    None
                }
                Some(v) => ck
                    .int_in(v, "seconds", 0, ASL_MAX)
                    .map(|x| StateKind::Wait(SimTime::from_secs(x as u64))),
            },
            "choice" => self.choice(ck, s),
            "parallel" => match s.branches.as_deref() {
                None | Some([]) => {
                    ck.error(
                        s.name.span(),
                        "a parallel state needs `branches`: a list of the states each branch starts at",
                    );
                    None
                }
                Some(list) => {
                    let mut out = Vec::new();
                    for b in list {
                        out.push(self.target(ck, b, "branches")? as u16);
                    }
                    Some(StateKind::Parallel(out))
                }
            },
            "map" => self.map(ck, s),
            "pass" => Some(StateKind::Pass),
            "succeed" => Some(StateKind::Succeed),
            _ => {
                let error = match &s.error {
                    None => "States.Fail".to_string(),
                    Some(e) if e.get_ref().is_empty() || e.get_ref().starts_with("States.") => {
                        ck.error(
                            e.span(),
                            "a fail state's `error` is a name of your own, not empty and not starting with `States.` (ASL reserves that prefix)",
                        );
                        return None;
                    }
                    Some(e) => e.get_ref().clone(),
                };
                Some(StateKind::Fail(error))
            }
        }
    }

    fn task(&self, ck: &mut Checker, s: &RawState, calls: &mut Vec<CallSpec>) -> Option<StateKind> {
        let Some(res) = &s.resource else {
            ck.error(
                s.name.span(),
                "a task state needs `resource`: the id of the component it calls",
            );
            return None;
        };
        let to = ck.component(res, "resource");
        let op = match &s.op {
            None => Some(OpChoice::Inherit),
            Some(o) if o.get_ref() == "inherit" => Some(OpChoice::Inherit),
            Some(o) if o.get_ref().is_empty() => {
                ck.error(
                    o.span(),
                    "`op` must be \"inherit\" or an operation name, not empty",
                );
                None
            }
            Some(o) => Some(OpChoice::Fixed(ck.sent_op(o))),
        };
        // aws-facts: §18 Step Functions: TimeoutSeconds; none by default (a Task waits as
        // long as its resource takes, up to the execution's own limit).
        let timeout = ck.or(&s.timeout_seconds, None, |ck, t| {
            ck.int_in(t, "timeout_seconds", 1, ASL_MAX)
                .map(|t| Some(SimTime::from_secs(t as u64)))
        });
        let (to, op, timeout) = (to?, op?, timeout?);
        let edge = calls.len();
        // Step Functions calls its resource once per attempt: its own Retry retries, not an
        // SDK's (the service errors surface as the state's errors, aws-facts §18).
        calls.push(CallSpec {
            op,
            timeout,
            ..CallSpec::once(to)
        });
        Some(StateKind::Task { edge })
    }

    fn choice(&self, ck: &mut Checker, s: &RawState) -> Option<StateKind> {
        let Some(list) = s.choices.as_deref().filter(|l| !l.is_empty()) else {
            ck.error(
                s.name.span(),
                "a choice state needs `choices`: a list of { next, probability }",
            );
            return None;
        };
        let mut branches = Vec::new();
        let mut sum = 0.0;
        let mut ok = true;
        for c in list {
            let c = c.get_ref();
            let p = *c.probability.get_ref();
            if !(0.0..=1.0).contains(&p) {
                ck.value_error(
                    c.probability.span(),
                    format!("`probability` must be from 0 to 1, not {p}"),
                );
                ok = false;
                continue;
            }
            sum += p;
            match self.target(ck, &c.next, "next") {
                Some(i) => branches.push((sum, i as u16)),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        // A tolerance for sums of decimal fractions (0.1 + 0.2).
        const SLACK: f64 = 1e-9;
        // The sum as the decimals written add up (1.2, not 1.2000000000000002).
        let shown = (sum * 1e9).round() / 1e9;
        if sum > 1.0 + SLACK {
            ck.error(
                list[0].span(),
                format!("the choices' probabilities add up to {shown}, more than 1"),
            );
            return None;
        }
        let default = match &s.default {
            Some(d) => Some(self.target(ck, d, "default")? as u16),
            None if sum < 1.0 - SLACK => {
                ck.error(
                    s.name.span(),
                    format!("the choices' probabilities add up to {shown}: name a `default` state for the remaining {:.3}", 1.0 - sum),
                );
                return None;
            }
            None => None,
        };
        Some(StateKind::Choice { branches, default })
    }

    fn map(&self, ck: &mut Checker, s: &RawState) -> Option<StateKind> {
        let Some(it) = &s.iterator else {
            ck.error(
                s.name.span(),
                "a map state needs `iterator`: the state each item's run starts at",
            );
            return None;
        };
        let start = self.target(ck, it, "iterator");
        let items = match &s.items {
            None => {
                ck.error(
                    s.name.span(),
                    "a map state needs `items`: how many items each run processes (a number or a distribution)",
                );
                None
            }
            Some(d) => ck.number_dist(d, "items").and_then(|dist| {
                // A constant beyond the limit is refused; a distribution's draws are cut to it.
                if let Dist::Constant(v) = dist {
                    if !(0.0..=MAX_MAP_ITEMS as f64).contains(&v) {
                        ck.error(
                            d.span(),
                            format!("`items` is from 0 to {MAX_MAP_ITEMS} (archsim's limit: each item runs as its own branch), not {v}"),
                        );
                        return None;
                    }
                }
                Some(dist)
            }),
        };
        // aws-facts: §18 Map: MaxConcurrency 0 means no limit.
        let conc = ck.int_or(&s.max_concurrency, "max_concurrency", (0, MAX_MAP_ITEMS), 0);
        Some(StateKind::Map {
            start: start? as u16,
            items: items?,
            max_concurrency: conc? as u32,
        })
    }

    /// One error name of `error_equals`: ASL's, a service's, or a Fail state's.
    fn error_name(&self, ck: &mut Checker, e: &Spanned<String>) -> Option<ErrorName> {
        let w = e.get_ref().as_str();
        if let Some(i) = STATES_ERRORS.iter().position(|(n, _)| *n == w) {
            return Some(STATES_ERRORS[i].1);
        }
        if let Some(i) = SERVICE_ERRORS.iter().position(|(n, _, _)| *n == w) {
            return Some(ErrorName::Service(i as u8));
        }
        if let Some(i) = self.raised.iter().position(|r| r == w) {
            return Some(ErrorName::Raised(i as u16));
        }
        let known: Vec<&str> = STATES_ERRORS
            .iter()
            .map(|(n, _)| *n)
            .chain(SERVICE_ERRORS.iter().map(|(n, _, _)| *n))
            .chain(self.raised.iter().map(String::as_str))
            .collect();
        ck.error(
            e.span(),
            format!(
                "`error_equals` names \"{w}\", an error nothing here raises{}; known: {}",
                crate::text::did_you_mean(w, known.iter().copied()),
                known.join(", ")
            ),
        );
        None
    }

    /// `error_equals`, with ASL's rule that `States.ALL` stands alone in the last entry.
    fn error_list(
        &self,
        ck: &mut Checker,
        list: &[Spanned<String>],
        at: Range<usize>,
        last: bool,
        what: &str,
    ) -> Option<Vec<ErrorName>> {
        if list.is_empty() {
            ck.error(
                at,
                format!("a {what}'s `error_equals` names at least one error"),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for e in list {
            match self.error_name(ck, e) {
                Some(ErrorName::All) if list.len() > 1 || !last => {
                    ck.error(
                        e.span(),
                        format!("`States.ALL` must stand alone in the last {what} of its state (ASL), since it matches every error"),
                    );
                    ok = false;
                }
                Some(n) => out.push(n),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn retriers(&self, ck: &mut Checker, list: &[Spanned<RawRetrier>]) -> Option<Vec<Retrier>> {
        if list.len() > MAX_RETRIERS {
            ck.error(
                list[MAX_RETRIERS].span(),
                format!("a state has at most {MAX_RETRIERS} retriers here (archsim's limit: each execution counts each one's attempts)"),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (i, r) in list.iter().enumerate() {
            match self.retrier(ck, r, i + 1 == list.len()) {
                Some(r) => out.push(r),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn retrier(&self, ck: &mut Checker, r: &Spanned<RawRetrier>, last: bool) -> Option<Retrier> {
        let span = r.span();
        let r = r.get_ref();
        let errors = self.error_list(ck, &r.error_equals, span.clone(), last, "retrier");
        // aws-facts: §18 Retry: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0 by default,
        // JitterStrategy NONE.
        let interval = ck.int_or(
            &r.interval_seconds,
            "retry.interval_seconds",
            (1, ASL_MAX),
            1,
        );
        let attempts = ck.int_or(&r.max_attempts, "retry.max_attempts", (0, ASL_MAX), 3);
        let rate = ck.or(&r.backoff_rate, 2.0, |ck, b| {
            let x = *b.get_ref();
            // ASL: BackoffRate is at least 1.0.
            if !(1.0..=1e6).contains(&x) {
                ck.value_error(
                    b.span(),
                    format!("`retry.backoff_rate` must be from 1.0 to 1000000 (ASL: the interval never shrinks), not {x}"),
                );
                return None;
            }
            Some(x)
        });
        let max_delay = ck.or(&r.max_delay_seconds, None, |ck, m| {
            ck.int_in(m, "retry.max_delay_seconds", 1, MAX_DELAY_SECONDS - 1)
                .map(|m| Some(m as f64))
        });
        let jitter = ck.one_of_or(&r.jitter_strategy, "retry.jitter_strategy", JITTERS, "NONE");
        Some(Retrier {
            errors: errors?,
            interval_s: interval? as f64,
            backoff_rate: rate?,
            max_attempts: attempts? as u32,
            max_delay_s: max_delay?,
            full_jitter: jitter? == "FULL",
        })
    }

    fn catchers(&self, ck: &mut Checker, list: &[Spanned<RawCatcher>]) -> Option<Vec<Catcher>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, c) in list.iter().enumerate() {
            let span = c.span();
            let c = c.get_ref();
            let errors = self.error_list(ck, &c.error_equals, span, i + 1 == list.len(), "catcher");
            let next = self.target(ck, &c.next, "catch.next");
            match (errors, next) {
                (Some(errors), Some(next)) => out.push(Catcher {
                    errors,
                    next: next as u16,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// Which workflow each state belongs to: the top level (`None`) or the branch that starts at
/// a state (`Some(start)`), as ASL scopes them: a branch's states reach only each other, and
/// every state is reached. A state reached from two workflows, or from none, is refused.
fn owners(
    ck: &mut Checker,
    states: &[State],
    start: usize,
    spans: &[Range<usize>],
) -> Option<Vec<Option<u16>>> {
    let n = states.len();
    let mut owner: Vec<Option<Option<u16>>> = vec![None; n];
    // The workflows to walk: the top level, then each branch start as it is found.
    let mut starts: Vec<(Option<u16>, usize)> = vec![(None, start)];
    let mut ok = true;
    let mut k = 0;
    while k < starts.len() {
        let (scope, first) = starts[k];
        k += 1;
        let mut stack = vec![first];
        while let Some(i) = stack.pop() {
            match owner[i] {
                Some(o) if o == scope => continue,
                Some(o) => {
                    ck.error(
                        spans[i].clone(),
                        format!(
                            "state \"{}\" is reached from {} and from {}: a branch's states are its own (ASL), so give each workflow its own states",
                            states[i].name,
                            scope_words(states, scope),
                            scope_words(states, o)
                        ),
                    );
                    ok = false;
                    continue;
                }
                None => owner[i] = Some(scope),
            }
            let st = &states[i];
            if let Flow::Next(j) = st.flow {
                stack.push(j as usize);
            }
            stack.extend(st.catch.iter().map(|c| c.next as usize));
            match &st.kind {
                StateKind::Choice { branches, default } => {
                    stack.extend(branches.iter().map(|(_, j)| *j as usize));
                    stack.extend(default.map(|d| d as usize));
                }
                StateKind::Parallel(bs) => {
                    starts.extend(bs.iter().map(|b| (Some(*b), *b as usize)));
                }
                StateKind::Map { start, .. } => starts.push((Some(*start), *start as usize)),
                _ => {}
            }
        }
    }
    for (i, o) in owner.iter().enumerate() {
        if o.is_none() {
            ck.error(
                spans[i].clone(),
                format!(
                    "state \"{}\" is never reached: no `next`, `default`, `catch`, branch or iterator leads to it, and it is not `start_at`",
                    states[i].name
                ),
            );
            ok = false;
        }
    }
    ok.then(|| owner.into_iter().map(|o| o.expect("checked")).collect())
}

fn scope_words(states: &[State], scope: Option<u16>) -> String {
    match scope {
        None => "the top level".to_string(),
        Some(s) => format!("the branch starting at \"{}\"", states[s as usize].name),
    }
}

impl SfnConfig {
    /// The account's quotas for its Region and workflow type as this machine states them, in
    /// the keys' words: every machine of that Region and type must state them alike.
    pub fn quota_words(&self) -> String {
        let mut w = format!(
            "region_class = \"{}\", start_rate = {}, start_burst = {}",
            self.region_class, self.start_quota.rate, self.start_quota.burst
        );
        if let Some(t) = self.transition_quota {
            w.push_str(&format!(
                ", transition_rate = {}, transition_burst = {}",
                t.rate, t.burst
            ));
        }
        w.push_str(&format!(
            ", max_open_executions = {}",
            self.max_open_executions
        ));
        w
    }

    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let mut first = format!(
            "{}, {} states",
            match self.workflow {
                Workflow::Standard => "Standard",
                Workflow::Express => "Express",
            },
            self.machine.states.len()
        );
        if self.workflow == Workflow::Express {
            first.push_str(&format!(", {} MB", self.memory_mb));
        }
        vec![
            first,
            format!(
                "starts {:.0}/s (burst {})",
                self.start_quota.rate, self.start_quota.burst
            ),
        ]
    }
}
