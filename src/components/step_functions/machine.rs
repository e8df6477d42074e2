//! A validated state machine (its states, what follows each, the workflow each belongs to),
//! the errors a state can fail with and which `error_equals` names match them, and Retry's
//! delay as a pure function (aws-facts §18 Step Functions).

use crate::dist::Dist;
use crate::kernel::{SimRng, SimTime};

/// Standard or Express (aws-facts: §18 Step Functions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workflow {
    /// Asynchronous: StartExecution answers at once; up to a year; billed per transition.
    Standard,
    /// Synchronous unless started asynchronously; up to 5 minutes; billed per request and
    /// per GB-second.
    Express,
}

impl Workflow {
    /// aws-facts: §18 Step Functions: the longest an execution runs (Standard a year,
    /// Express 5 minutes); past it the execution times out.
    pub fn duration_limit(self) -> SimTime {
        match self {
            Workflow::Standard => SimTime::from_secs(365 * 24 * 3600),
            Workflow::Express => SimTime::from_secs(300),
        }
    }
}

/// What follows a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// The state at this index.
    Next(u16),
    /// Nothing: the state ends its workflow or branch.
    End,
}

/// What a state does.
#[derive(Clone, Debug)]
pub enum StateKind {
    /// Calls a component through the edge of this index (one attempt; Retry retries).
    Task {
        /// Index of its edge among the component's calls.
        edge: usize,
    },
    /// Waits this long.
    Wait(SimTime),
    /// Goes to one of several states, drawn by probability: (cumulative probability, state),
    /// then `default` for the rest.
    Choice {
        /// Each branch's cumulative probability and state.
        branches: Vec<(f64, u16)>,
        /// The state taken when no branch is drawn; `None` only when they add up to 1.
        default: Option<u16>,
    },
    /// Runs a branch from each of these states at once, and goes on when all have ended.
    Parallel(Vec<u16>),
    /// Runs the branch from `start` once per item, at most `max_concurrency` at once.
    Map {
        /// The state each item's run starts at.
        start: u16,
        /// How many items a run has (drawn, rounded, cut to `limits::MAX_MAP_ITEMS`).
        items: Dist,
        /// The most item runs at once; 0: no limit.
        max_concurrency: u32,
    },
    /// Passes straight on.
    Pass,
    /// Ends its workflow or branch with success.
    Succeed,
    /// Ends its workflow or branch with this error.
    Fail(String),
}

/// A Retry entry.
#[derive(Clone, Debug)]
pub struct Retrier {
    /// The errors it retries.
    pub errors: Vec<ErrorName>,
    /// The wait before the first retry [s].
    pub interval_s: f64,
    /// What each wait is multiplied by for the next.
    pub backoff_rate: f64,
    /// The most retries (0: none).
    pub max_attempts: u32,
    /// The longest wait [s]; `None`: no cap.
    pub max_delay_s: Option<f64>,
    /// FULL jitter: each wait drawn uniformly from 0 to its value.
    pub full_jitter: bool,
}

impl Retrier {
    /// The wait before retry `n` (0 for the first): IntervalSeconds × BackoffRate^n, capped
    /// by MaxDelaySeconds, and with FULL jitter drawn uniformly from [0, that] (aws-facts:
    /// §18 Retry) [s].
    pub fn delay_s(&self, n: u32, rng: &mut SimRng) -> f64 {
        use rand::Rng;
        let mut d = self.interval_s * self.backoff_rate.powi(n.min(i32::MAX as u32) as i32);
        if let Some(cap) = self.max_delay_s {
            d = d.min(cap);
        }
        // Past a year the wait is moot (the execution's own limit ends it first); the bound
        // keeps the sum with the clock finite.
        d = d.min(crate::limits::MAX_DURATION_S as f64);
        if self.full_jitter {
            d * rng.random::<f64>()
        } else {
            d
        }
    }
}

/// A Catch entry.
#[derive(Clone, Debug)]
pub struct Catcher {
    /// The errors it catches.
    pub errors: Vec<ErrorName>,
    /// The state it goes to.
    pub next: u16,
}

/// One state.
#[derive(Clone, Debug)]
pub struct State {
    /// Its name.
    pub name: String,
    /// What it does.
    pub kind: StateKind,
    /// What follows it (`End` for a choice, succeed or fail state, which say otherwise).
    pub flow: Flow,
    /// Its retriers, in order.
    pub retry: Vec<Retrier>,
    /// Its catchers, in order.
    pub catch: Vec<Catcher>,
}

/// A validated state machine.
#[derive(Clone, Debug)]
pub struct Machine {
    /// The states, in the order written.
    pub states: Vec<State>,
    /// The state an execution starts at.
    pub start: usize,
    /// The workflow each state belongs to: the top level (`None`) or the branch that starts
    /// at a state.
    pub owner: Vec<Option<u16>>,
}

/// Why a state failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The task's `timeout_seconds` passed (`States.Timeout`).
    Timeout,
    /// The resource answered with this status.
    Status(u16),
    /// The resource answered that the work failed (a Lambda function's unhandled error).
    Unhandled,
    /// A Fail state ended the branch, raising the error of this index among the Fail states'.
    Raised(u16),
}

/// A name in `error_equals`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorName {
    /// `States.ALL`: every error.
    All,
    /// `States.Timeout`: a task's timeout.
    Timeout,
    /// `States.TaskFailed`: a task's failure other than its timeout.
    TaskFailed,
    /// `States.Permissions`: a task the state machine's role may not run (its call denied,
    /// 403).
    Permissions,
    /// A service's error, by its index in `SERVICE_ERRORS`.
    Service(u8),
    /// A Fail state's error, by its index among the Fail states' errors.
    Raised(u16),
}

/// ASL's own error names (aws-facts: §18 Catch: States.ALL, States.Timeout, States.TaskFailed;
/// States.Permissions is the Amazon States Language's predefined name for "a Task State
/// failed because it had insufficient privileges", which a call the state machine's `role`
/// denies is: aws-facts §19, a 403).
pub const STATES_ERRORS: &[(&str, ErrorName)] = &[
    ("States.ALL", ErrorName::All),
    ("States.Timeout", ErrorName::Timeout),
    ("States.TaskFailed", ErrorName::TaskFailed),
    ("States.Permissions", ErrorName::Permissions),
];

/// The service errors a Task can fail with, and what answer each is: statuses, or (`true`)
/// an unhandled error reported in the answer. aws-facts: §18 Lambda task (the names AWS
/// advises retrying) and §2 (Invoke's statuses): TooManyRequestsException is Invoke's 429;
/// ServiceException its 500; AWSLambdaException stands for the other server errors (502, 503,
/// 504) and SdkClientException for a connection that failed (599), both choices; an
/// unhandled function error (thrown, timed out, out of memory) is `Lambda.Unknown`. A
/// DynamoDB task's throttle (ProvisionedThroughputExceeded, 400, aws-facts §7) has its own name.
pub const SERVICE_ERRORS: &[(&str, &[u16], bool)] = &[
    ("Lambda.TooManyRequestsException", &[429], false),
    ("Lambda.ServiceException", &[500], false),
    ("Lambda.AWSLambdaException", &[502, 503, 504], false),
    ("Lambda.SdkClientException", &[599], false),
    ("Lambda.Unknown", &[], true),
    (
        "DynamoDB.ProvisionedThroughputExceededException",
        &[400],
        false,
    ),
    // Named by AWS's advice on Lambda service exceptions, retried with the others; the
    // SDK's client-side timeout, which archsim's calls do not raise: nothing raises it.
    ("Lambda.ClientExecutionTimeoutException", &[], false),
];

impl ErrorName {
    /// Whether this name matches a failure (aws-facts: §18: States.TaskFailed matches every
    /// task failure but its timeout).
    pub fn matches(self, f: Failure) -> bool {
        match (self, f) {
            (ErrorName::All, _) => true,
            (ErrorName::Timeout, Failure::Timeout) => true,
            (ErrorName::TaskFailed, Failure::Status(_) | Failure::Unhandled) => true,
            (ErrorName::Permissions, Failure::Status(s)) => s == crate::status::FORBIDDEN,
            (ErrorName::Service(i), Failure::Status(s)) => {
                SERVICE_ERRORS[i as usize].1.contains(&s)
            }
            (ErrorName::Service(i), Failure::Unhandled) => SERVICE_ERRORS[i as usize].2,
            (ErrorName::Raised(a), Failure::Raised(b)) => a == b,
            _ => false,
        }
    }
}

/// Whether any of `names` matches `f`.
pub fn any_matches(names: &[ErrorName], f: Failure) -> bool {
    names.iter().any(|n| n.matches(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::stream;

    fn retrier(max_delay_s: Option<f64>, full_jitter: bool) -> Retrier {
        Retrier {
            errors: vec![ErrorName::All],
            interval_s: 1.0,
            backoff_rate: 2.0,
            max_attempts: 3,
            max_delay_s,
            full_jitter,
        }
    }

    #[test]
    fn retry_waits_grow_by_the_rate_and_stop_at_the_cap() {
        let mut rng = stream(1, "t");
        let r = retrier(None, false);
        // 1 × 2^0, 1 × 2^1, 1 × 2^2.
        let d: Vec<f64> = (0..3).map(|n| r.delay_s(n, &mut rng)).collect();
        assert_eq!(d, vec![1.0, 2.0, 4.0]);
        let r = retrier(Some(3.0), false);
        assert_eq!(r.delay_s(2, &mut rng), 3.0);
        let r = retrier(Some(3.0), true);
        for n in 0..5 {
            let d = r.delay_s(n, &mut rng);
            assert!((0.0..=3.0).contains(&d), "{d}");
        }
    }

    #[test]
    fn task_failed_matches_all_but_the_timeout() {
        assert!(ErrorName::TaskFailed.matches(Failure::Status(500)));
        assert!(ErrorName::TaskFailed.matches(Failure::Unhandled));
        assert!(!ErrorName::TaskFailed.matches(Failure::Timeout));
        assert!(!ErrorName::TaskFailed.matches(Failure::Raised(0)));
        assert!(ErrorName::Service(0).matches(Failure::Status(429)));
        assert!(!ErrorName::Service(0).matches(Failure::Status(500)));
        assert!(ErrorName::Service(4).matches(Failure::Unhandled));
        // A denied call (403) is States.Permissions, and a task failure; no Lambda error.
        assert!(ErrorName::Permissions.matches(Failure::Status(403)));
        assert!(!ErrorName::Permissions.matches(Failure::Status(500)));
        assert!(ErrorName::TaskFailed.matches(Failure::Status(403)));
        assert!(!SERVICE_ERRORS
            .iter()
            .enumerate()
            .any(|(i, _)| ErrorName::Service(i as u8).matches(Failure::Status(403))));
    }
}
