//! Downstream calls as a scenario states them (`calls = [ { to, op, probability, timeout,
//! latency, retry } ]`), before ids are resolved to actors.

use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::retry::{RetryPolicy, RetrySpec};

/// Which operation a downstream call carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpChoice {
    /// The operation of the call being handled.
    Inherit,
    Fixed(u16),
}

/// A downstream call as the scenario states it, before ids are resolved to actors.
#[derive(Clone, Debug)]
pub struct CallSpec {
    /// Index of the callee among the scenario's components.
    pub to: usize,
    pub op: OpChoice,
    /// Probability that a request makes this call.
    pub probability: f64,
    /// How long the caller waits for the answer; `None`: as long as it takes.
    pub timeout: Option<SimTime>,
    /// One-way network latency overriding the zone-based default.
    pub latency: Option<Dist>,
    /// The caller's retries for this call; `None`: the SDK's default for a callee that is an
    /// AWS API (`Kind::sdk_service`), one attempt for others.
    pub retry: Option<RetrySpec>,
    /// `mode = "async"`: the caller waits only for the callee to accept the work, and where
    /// the scenario says so (for a message about a callee that takes no asynchronous calls).
    pub asynchronous: Option<std::ops::Range<usize>>,
    /// Where the call entry is written (line, column of its `to`), for messages about the
    /// call as a whole; `None` for a call a kind makes from its own keys.
    pub position: Option<(usize, usize)>,
}

impl CallSpec {
    /// A call a kind makes to `to` from its own keys, not from a `calls` entry: the request's
    /// own operation, always, no timeout, the zones' latency, the callee's SDK retries,
    /// synchronous.
    pub fn to(to: usize) -> CallSpec {
        CallSpec {
            to,
            op: OpChoice::Inherit,
            probability: 1.0,
            timeout: None,
            latency: None,
            retry: None,
            asynchronous: None,
            position: None,
        }
    }

    /// The same, made once whatever the callee's SDK would do: for a caller that retries by
    /// its own rules (a queue's redelivery, a topic's policy, a state's Retry) or not at all.
    pub fn once(to: usize) -> CallSpec {
        CallSpec {
            retry: Some(RetrySpec::Policy(RetryPolicy::none())),
            ..CallSpec::to(to)
        }
    }
}
