//! Retries as clients and AWS SDKs make them: how many attempts, which outcomes are retried,
//! the backoff between attempts (exponential with a cap, with or without jitter, with its own
//! base for throttling errors), and the SDKs' client-side retry quota.
//!
//! A policy is either written by hand (`retry = { attempts = 3, base = "100ms", … }`: a plain
//! client, no quota) or named after an SDK (`retry = { sdk = "java-v2" }`), whose figures
//! depend on the service called (DynamoDB has its own) and so are resolved against the callee
//! when a run is built (`RetrySpec::resolve`).
//!
//! aws-facts: §7 SDK retries — all services. Standard mode: the delay before retry n is
//! rand(0,1) × min(base × 2^(n−1), 20 s), base by error class; a retry quota of 500 tokens per
//! client, each retry withdrawing its cost and given up when fewer tokens remain than it
//! costs; a successful retried call refunds its cost, a first-try success adds 1 (up to 500).

use crate::kernel::{Outcome, SimRng, SimTime};
use crate::status;
use rand::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    None,
    /// A delay drawn uniformly from [0, backoff].
    Full,
    /// Half the backoff plus a draw from [0, backoff / 2].
    Equal,
}

/// How the wait before a retry grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Backoff before the first retry; doubled for each further retry when exponential.
    pub base: SimTime,
    pub exponential: bool,
    /// The longest backoff.
    pub cap: SimTime,
    pub jitter: Jitter,
}

impl Backoff {
    /// The wait before retry number `retry` (1 for the first retry).
    pub fn wait(&self, retry: u32, rng: &mut SimRng) -> SimTime {
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

/// An SDK's client-side retry quota: a bucket of tokens per client that retries draw from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryQuota {
    /// Tokens a client starts with, and the most it holds.
    pub capacity: u32,
    /// What retrying a transient error (a 5xx) costs.
    pub transient_cost: u32,
    /// What retrying after a timeout costs.
    pub timeout_cost: u32,
    /// What retrying a throttling error costs.
    pub throttle_cost: u32,
    /// What a success at the first attempt adds back.
    pub success_refund: u32,
}

#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retries).
    pub attempts: u32,
    /// The backoff after a transient error (a 5xx) or a timeout.
    pub backoff: Backoff,
    /// The backoff after a throttling error (one of `throttles`).
    pub throttle_backoff: Backoff,
    /// Statuses that are retried.
    pub on_status: Vec<u16>,
    /// The statuses that are throttling errors, for the backoff and the quota's cost.
    pub throttles: Vec<u16>,
    /// Whether a client-side timeout is retried.
    pub on_timeout: bool,
    /// Whether the callee's throttling errors are retried whatever their status (`on`'s
    /// "throttle", and a policy by hand that leaves `on` out): an SDK tells a throttle by its
    /// error code (aws-facts: §7), and DynamoDB's is a 400. Resolved against the callee by
    /// `RetrySpec::resolve`, which puts its throttles in `on_status`.
    pub on_throttle: bool,
    /// The client-side retry quota, for an SDK's policy.
    pub quota: Option<RetryQuota>,
}

/// What a request's last retry cost from its client's quota (refunded if the request then
/// succeeds).
#[derive(Clone, Copy, Debug, Default)]
pub struct Charge(pub u32);

impl RetryPolicy {
    pub fn none() -> RetryPolicy {
        RetryPolicy::by_hand(1, Backoff::none(), Vec::new(), false)
    }

    /// A plain client's policy, as written in a scenario: one backoff for every error, no
    /// quota.
    pub fn by_hand(
        attempts: u32,
        backoff: Backoff,
        on_status: Vec<u16>,
        on_timeout: bool,
    ) -> RetryPolicy {
        RetryPolicy {
            attempts,
            backoff,
            throttle_backoff: backoff,
            on_status,
            throttles: Vec::new(),
            on_timeout,
            on_throttle: false,
            quota: None,
        }
    }

    pub fn retries(&self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Status(s) => self.on_status.contains(&s),
            Outcome::Timeout => self.on_timeout,
            // An error the callee reports in its answer (a Lambda function error) is not
            // retried: the call itself succeeded (aws-facts: §2 sync Invoke results, §7 not
            // retried: 200 responses).
            Outcome::Error => false,
        }
    }

    fn is_throttle(&self, outcome: Outcome) -> bool {
        matches!(outcome, Outcome::Status(s) if self.throttles.contains(&s))
    }

    /// The wait before retry number `retry` (1 for the first retry) after `outcome`.
    pub fn backoff(&self, retry: u32, outcome: Outcome, rng: &mut SimRng) -> SimTime {
        if self.is_throttle(outcome) {
            self.throttle_backoff.wait(retry, rng)
        } else {
            self.backoff.wait(retry, rng)
        }
    }

    /// The tokens a client holding this policy starts with.
    pub fn initial_tokens(&self) -> u32 {
        self.quota.map_or(0, |q| q.capacity)
    }

    /// After attempt number `attempt` of a request ended with `outcome`: how long to wait
    /// before the next attempt, or `None` when the client gives up or the outcome is a
    /// success. `tokens` is the client's quota, `charged` what the request's last retry cost:
    /// both are updated as the SDK does (aws-facts: §7 retry quota).
    pub fn after(
        &self,
        attempt: u32,
        outcome: Outcome,
        tokens: &mut u32,
        charged: &mut Charge,
        rng: &mut SimRng,
    ) -> Option<SimTime> {
        // A function error is an HTTP 200 carrying an error: a success to the quota, and never
        // retried.
        if outcome.is_success() || matches!(outcome, Outcome::Error) {
            if let Some(q) = self.quota {
                let refund = if charged.0 > 0 {
                    charged.0
                } else {
                    q.success_refund
                };
                *tokens = (*tokens + refund).min(q.capacity);
            }
            return None;
        }
        if attempt >= self.attempts || !self.retries(outcome) {
            return None;
        }
        if let Some(q) = self.quota {
            let cost = match outcome {
                Outcome::Timeout => q.timeout_cost,
                o if self.is_throttle(o) => q.throttle_cost,
                _ => q.transient_cost,
            };
            if *tokens < cost {
                return None;
            }
            *tokens -= cost;
            charged.0 = cost;
        }
        Some(self.backoff(attempt, outcome, rng))
    }
}

impl Backoff {
    /// No wait.
    pub const fn none() -> Backoff {
        Backoff {
            base: SimTime::ZERO,
            exponential: true,
            cap: SimTime::ZERO,
            jitter: Jitter::None,
        }
    }

    const fn full_jitter(base_ms: u64, cap_s: u64) -> Backoff {
        Backoff {
            base: SimTime::from_millis(base_ms),
            exponential: true,
            cap: SimTime::from_secs(cap_s),
            jitter: Jitter::Full,
        }
    }
}

/// An AWS SDK, by the retry defaults it applies (aws-facts: §7 current defaults and the
/// table of pre-2026 defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sdk {
    /// Standard mode as every SDK but Java 2.x and Kotlin defaults to since 2026-11-10.
    Standard,
    /// AWS SDK for Java 2.x: still legacy mode by default.
    JavaV2,
    /// JavaScript v3 before the 2026 update (standard mode, its own figures).
    JsV3_2025,
    /// boto3 / botocore up to 1.43: legacy mode.
    PythonLegacy,
    /// Go v2 before the 2026 update (standard mode).
    GoV2_2025,
    /// .NET v4 before the 2026 update (standard mode).
    DotnetV4_2025,
    /// C++ before the 2026 update: legacy mode.
    CppLegacy,
}

/// Each SDK's name in a scenario (`retry = { sdk = "…" }`), in the order messages list them;
/// `SDKS` holds the SDK of each.
pub const SDK_WORDS: &[&str] = &[
    "standard",
    "java-v2",
    "js-v3-2025",
    "python-legacy",
    "go-v2-2025",
    "dotnet-v4-2025",
    "cpp-legacy",
];

/// The SDK named by each of `SDK_WORDS`.
pub const SDKS: [Sdk; 7] = [
    Sdk::Standard,
    Sdk::JavaV2,
    Sdk::JsV3_2025,
    Sdk::PythonLegacy,
    Sdk::GoV2_2025,
    Sdk::DotnetV4_2025,
    Sdk::CppLegacy,
];

/// Which of an SDK's per-service figures apply to a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceFamily {
    /// DynamoDB and DynamoDB Streams: more attempts and a shorter base in most SDKs.
    DynamoDb,
    /// Every other service.
    Other,
}

/// What an SDK client needs to know of the service it calls: the statuses that are its
/// throttling errors, and which per-service defaults apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdkService {
    pub throttles: &'static [u16],
    pub family: ServiceFamily,
}

impl SdkService {
    /// A service reached through an SDK whose only throttling error is HTTP 429 (a generic
    /// service, or one archsim does not model as an AWS API).
    pub const GENERIC: SdkService = SdkService {
        throttles: &[status::TOO_MANY_REQUESTS],
        family: ServiceFamily::Other,
    };
}

/// What every SDK retries as a transient error (aws-facts: §7 standard-mode mechanism): HTTP
/// 500, 502, 503 and 504, and connection errors (a reset connection).
const TRANSIENT: [u16; 5] = [
    status::INTERNAL_ERROR,
    status::BAD_GATEWAY,
    status::SERVICE_UNAVAILABLE,
    status::GATEWAY_TIMEOUT,
    status::CONNECTION_RESET,
];

/// The statuses an SDK client of `service` retries: its throttles, then the transient errors.
/// A policy written by hand retries these by default too (those of a generic service).
pub fn retried_statuses(service: &SdkService) -> Vec<u16> {
    let mut on_status: Vec<u16> = service.throttles.to_vec();
    on_status.extend(TRANSIENT.iter().filter(|s| !service.throttles.contains(s)));
    on_status
}

/// The longest wait of SDKs that set no cap (botocore's and C++'s legacy modes): one hour,
/// far beyond any attempt count they allow to matter.
const NO_CAP_S: u64 = 3600;

impl Sdk {
    /// The policy this SDK applies by default to calls to `service`.
    pub fn policy(self, service: &SdkService) -> RetryPolicy {
        let ddb = service.family == ServiceFamily::DynamoDb;
        let pick = |other: u32, dynamodb: u32| if ddb { dynamodb } else { other };
        let quota = |transient: u32, timeout: u32, throttle: u32| {
            Some(RetryQuota {
                capacity: 500,
                transient_cost: transient,
                timeout_cost: timeout,
                throttle_cost: throttle,
                success_refund: 1,
            })
        };
        // (attempts, transient backoff, throttling backoff, quota)
        let (attempts, backoff, throttle_backoff, quota) = match self {
            // aws-facts: §7 current defaults, Dec 2026: 3 attempts (DynamoDB 4), base 50 ms
            // transient (DynamoDB 25 ms) and 1 s throttling, cap 20 s; costs 14 and 5.
            Sdk::Standard => (
                pick(3, 4),
                Backoff::full_jitter(pick(50, 25) as u64, 20),
                Backoff::full_jitter(1000, 20),
                quota(14, 14, 5),
            ),
            // aws-facts: §7 pre-2026 table, Java 2.x legacy: 4 attempts (DynamoDB 9), full
            // jitter on 100 ms (DynamoDB 25 ms), throttling on equal jitter from 500 ms
            // (SdkDefaultRetrySetting and BackoffStrategy.defaultThrottlingStrategy); a
            // retry costs 5, a throttled one nothing.
            Sdk::JavaV2 => (
                pick(4, 9),
                Backoff::full_jitter(pick(100, 25) as u64, 20),
                Backoff {
                    jitter: Jitter::Equal,
                    ..Backoff::full_jitter(500, 20)
                },
                quota(5, 5, 0),
            ),
            // aws-facts: §7 pre-2026 table, JS v3: 3 attempts, 100 ms transient, 500 ms
            // throttling as its code has it (AWS's own table says 100 ms: a conflict, the
            // code chosen); costs 10 and 5.
            Sdk::JsV3_2025 => (
                3,
                Backoff::full_jitter(100, 20),
                Backoff::full_jitter(500, 20),
                quota(10, 10, 5),
            ),
            // aws-facts: §7 pre-2026 table, botocore legacy: 5 attempts (DynamoDB 10),
            // rand × 2^(n−1) s with no cap; DynamoDB 50 ms × 2^(n−1) without jitter; no quota.
            Sdk::PythonLegacy => {
                let b = if ddb {
                    Backoff {
                        base: SimTime::from_millis(50),
                        exponential: true,
                        cap: SimTime::from_secs(NO_CAP_S),
                        jitter: Jitter::None,
                    }
                } else {
                    Backoff::full_jitter(1000, NO_CAP_S)
                };
                (pick(5, 10), b, b, None)
            }
            // aws-facts: §7 pre-2026 table, Go v2: 3 attempts, 1 s for both, costs 5 and 10
            // for a timeout.
            Sdk::GoV2_2025 => (
                3,
                Backoff::full_jitter(1000, 20),
                Backoff::full_jitter(1000, 20),
                quota(5, 10, 5),
            ),
            // aws-facts: §7 pre-2026 table, .NET v4: 3 attempts (DynamoDB 10), 1 s for both,
            // cost 5 (the table gives one cost: a timeout is charged the same, a choice).
            Sdk::DotnetV4_2025 => (
                pick(3, 10),
                Backoff::full_jitter(1000, 20),
                Backoff::full_jitter(1000, 20),
                quota(5, 5, 5),
            ),
            // aws-facts: §7 pre-2026 table, C++ legacy: 11 attempts, 25 ms for both, no
            // quota; its default strategy doubles without jitter or cap.
            Sdk::CppLegacy => {
                let b = Backoff {
                    base: SimTime::from_millis(25),
                    exponential: true,
                    cap: SimTime::from_secs(NO_CAP_S),
                    jitter: Jitter::None,
                };
                (11, b, b, None)
            }
        };
        let on_status = retried_statuses(service);
        RetryPolicy {
            attempts,
            backoff,
            throttle_backoff,
            on_status,
            throttles: service.throttles.to_vec(),
            on_timeout: true,
            // Resolved already: its throttles are in `on_status`.
            on_throttle: false,
            quota,
        }
    }
}

/// A retry policy as a scenario gives it, before the callee is known.
#[derive(Clone, Debug)]
pub enum RetrySpec {
    /// Written by hand: used as it is.
    Policy(RetryPolicy),
    /// An SDK's defaults for the service called, with its attempts changed if given (as
    /// `AWS_MAX_ATTEMPTS` does).
    Sdk { sdk: Sdk, attempts: Option<u32> },
}

impl RetrySpec {
    /// The policy of a call to a callee reached through an SDK as `service` (`None`: not an
    /// AWS API; an SDK policy then treats it as a generic service throttling with 429).
    pub fn resolve(&self, service: Option<&SdkService>) -> RetryPolicy {
        match self {
            RetrySpec::Policy(p) if p.on_throttle => {
                // The callee's throttles, as its SDK tells them (429 where it is no AWS API).
                let throttles = service.unwrap_or(&SdkService::GENERIC).throttles;
                let mut p = p.clone();
                for &t in throttles {
                    if !p.on_status.contains(&t) {
                        p.on_status.push(t);
                    }
                }
                p.throttles = throttles.to_vec();
                p
            }
            RetrySpec::Policy(p) => p.clone(),
            RetrySpec::Sdk { sdk, attempts } => {
                let mut p = sdk.policy(service.unwrap_or(&SdkService::GENERIC));
                if let Some(a) = attempts {
                    p.attempts = *a;
                }
                p
            }
        }
    }

    /// The policy of a caller that names none: the SDK's default (standard mode) for a callee
    /// that is an AWS API, and no retries otherwise.
    pub fn default_for(service: Option<&SdkService>) -> RetryPolicy {
        match service {
            Some(s) => Sdk::Standard.policy(s),
            None => RetryPolicy::none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::stream;

    const DDB: SdkService = SdkService {
        throttles: &[400],
        family: ServiceFamily::DynamoDb,
    };

    #[test]
    fn standard_mode_has_the_2026_defaults() {
        // aws-facts: §7 current defaults: 3 attempts, 50 ms / 1 s, DynamoDB 4 and 25 ms.
        let p = Sdk::Standard.policy(&SdkService::GENERIC);
        assert_eq!(p.attempts, 3);
        assert_eq!(p.backoff.base, SimTime::from_millis(50));
        assert_eq!(p.throttle_backoff.base, SimTime::from_secs(1));
        assert_eq!(p.backoff.cap, SimTime::from_secs(20));
        assert_eq!(p.quota.map(|q| q.capacity), Some(500));
        assert_eq!(p.on_status, vec![429, 500, 502, 503, 504, 599]);
        let d = Sdk::Standard.policy(&DDB);
        assert_eq!((d.attempts, d.backoff.base), (4, SimTime::from_millis(25)));
        assert_eq!(d.throttle_backoff.base, SimTime::from_secs(1));
        assert!(d.retries(Outcome::Status(400)) && !d.retries(Outcome::Status(429)));
    }

    #[test]
    fn a_throttling_storm_empties_the_quota_after_100_retries() {
        // Every attempt throttled: each retry costs 5 of 500 tokens, so the client retries
        // exactly 100 times, then gives up at once until a success refills it.
        let p = Sdk::Standard.policy(&SdkService::GENERIC);
        let mut rng = stream(1, "q");
        let mut tokens = p.initial_tokens();
        let mut retries = 0;
        for _ in 0..1000 {
            let mut charged = Charge::default();
            let mut attempt = 1;
            while p
                .after(
                    attempt,
                    Outcome::Status(429),
                    &mut tokens,
                    &mut charged,
                    &mut rng,
                )
                .is_some()
            {
                retries += 1;
                attempt += 1;
            }
        }
        assert_eq!((retries, tokens), (100, 0));
        // A first-try success adds one token; a retried success refunds what it cost.
        let mut charged = Charge::default();
        p.after(1, Outcome::Status(200), &mut tokens, &mut charged, &mut rng);
        assert_eq!(tokens, 1);
        tokens = 100;
        let mut charged = Charge::default();
        assert!(p
            .after(1, Outcome::Status(503), &mut tokens, &mut charged, &mut rng)
            .is_some());
        assert_eq!(tokens, 86, "a transient retry costs 14");
        p.after(2, Outcome::Status(200), &mut tokens, &mut charged, &mut rng);
        assert_eq!(tokens, 100, "its success refunds the 14");
    }

    #[test]
    fn backoffs_follow_the_error_class() {
        let mut rng = stream(2, "b");
        let p = Sdk::JavaV2.policy(&SdkService::GENERIC);
        for _ in 0..1000 {
            // Equal jitter on 500 ms × 2 for the second throttled retry: [500, 1000] ms.
            let w = p.backoff(2, Outcome::Status(429), &mut rng);
            assert!(w >= SimTime::from_millis(500) && w <= SimTime::from_millis(1000));
            // Full jitter on 100 ms × 2 for a transient error.
            assert!(p.backoff(2, Outcome::Status(503), &mut rng) <= SimTime::from_millis(200));
        }
        // Client errors other than throttles are never retried.
        assert_eq!(SDK_WORDS.len(), SDKS.len());
        for sdk in SDKS {
            let p = sdk.policy(&SdkService::GENERIC);
            assert!(!p.retries(Outcome::Status(400)) && !p.retries(Outcome::Status(403)));
        }
    }
}
