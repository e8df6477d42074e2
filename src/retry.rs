//! Retries as clients and SDKs make them: how many attempts, which outcomes are retried, and
//! the backoff between attempts (exponential with a cap, with or without jitter).

use crate::kernel::{Outcome, SimRng, SimTime};
use rand::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    None,
    /// A delay drawn uniformly from [0, backoff].
    Full,
    /// Half the backoff plus a draw from [0, backoff / 2].
    Equal,
}

#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retries).
    pub attempts: u32,
    /// Backoff before the first retry; doubled for each further retry when exponential.
    pub base: SimTime,
    pub exponential: bool,
    /// The longest backoff.
    pub cap: SimTime,
    pub jitter: Jitter,
    /// Statuses that are retried.
    pub on_status: Vec<u16>,
    /// Whether a client-side timeout is retried.
    pub on_timeout: bool,
}

impl RetryPolicy {
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            attempts: 1,
            base: SimTime::ZERO,
            exponential: true,
            cap: SimTime::ZERO,
            jitter: Jitter::None,
            on_status: Vec::new(),
            on_timeout: false,
        }
    }

    pub fn retries(&self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Status(s) => self.on_status.contains(&s),
            Outcome::Timeout => self.on_timeout,
            // An error the callee reports in its answer (a Lambda function error) is not
            // retried: the call itself succeeded (aws-facts: §2 sync Invoke results).
            Outcome::Error => false,
        }
    }

    /// The wait before retry number `retry` (1 for the first retry).
    pub fn backoff(&self, retry: u32, rng: &mut SimRng) -> SimTime {
        let factor = if self.exponential {
            2u64.saturating_pow(retry.saturating_sub(1))
        } else {
            1
        };
        let full = SimTime(self.base.0.saturating_mul(factor)).min(self.cap);
        match self.jitter {
            Jitter::None => full,
            Jitter::Full => SimTime(rng.random_range(0..=full.0)),
            Jitter::Equal => SimTime(full.0 / 2 + rng.random_range(0..=full.0 / 2)),
        }
    }
}
