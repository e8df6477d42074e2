//! AWS KMS as its callers see it: the account's shared symmetric-crypto request quota
//! (Encrypt, Decrypt, GenerateDataKey and the rest, aws-facts §12 KMS), and the time an
//! accepted request takes.
//!
//! Every `kms` component of a Region draws on one quota for the account there
//! (`AccountQuota`, in `Shared::kms`): 5,500 requests per second by default, 10,000 or 50,000
//! in the larger Regions (`region_class`, by default the class of the Region's name). Each
//! component states the quota (those of a Region must agree); the Region's first one's is the
//! account's there (`Kind::claim`). How the per-second rate is metered: whole one-second
//! windows (the default, as AWS's throttling page illustrates it) or a token bucket holding
//! one second's worth (`quota_enforcement`).
//!
//! A request over the quota is answered at once with 400 (ThrottlingException), which the
//! SDKs retry as a throttle (see `SDK_SERVICE`); an accepted one after `latency`.
//!
//! Its callers (S3 SSE-KMS, Lambda's init, any component given `kms = "…"`) reach it through
//! one shared mechanism, `caller`.

pub mod caller;
mod config;
mod kind;

pub use config::{parse, Enforcement, KmsConfig, Quota};
pub use kind::SDK_SERVICE;

use super::token_bucket::TokenBucket;
use super::{BuildEnv, Component, ComponentReport, MONTH_SECS};
use crate::kernel::{CallId, Ctx, Input, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, MetricSet};
use crate::status;
use kind::{QUOTA, REQUESTS, THROTTLES};
use std::cell::RefCell;
use std::rc::Rc;

/// What a request costs [USD]: $0.03 per 10,000 (symmetric keys), and a customer managed key
/// by the month [USD/month]: $1.00; AWS's pricing page (https://aws.amazon.com/kms/pricing/),
/// the same in us-east-1 and most Regions; aws-facts has no KMS price. The free tier (20,000
/// requests a month across the account) is left out, as every component's is.
const PRICE_PER_REQUEST: f64 = 0.03 / 10_000.0;
const PRICE_PER_KEY_MONTH: f64 = 1.0;

/// The status of a request over the quota (aws-facts: §12 KMS: ThrottlingException, HTTP 400).
pub const THROTTLED: u16 = status::BAD_REQUEST;

/// The account's symmetric-crypto quota, metered as the scenario chose.
#[derive(Clone, Debug)]
pub enum AccountQuota {
    /// A token bucket refilled at the quota, holding one second's worth, full at the start.
    Bucket(TokenBucket),
    /// At most `rps` requests in each whole second: the second being counted and how many
    /// it has admitted.
    Window {
        /// The quota [requests/s].
        rps: u32,
        /// The whole second being counted [s since the start].
        second: u64,
        /// Requests admitted in it.
        used: u32,
    },
}

impl AccountQuota {
    /// The account's quota for one run, as stated by its `kms` components.
    pub fn new(quota: Quota) -> AccountQuota {
        match quota.enforcement {
            Enforcement::TokenBucket => {
                AccountQuota::Bucket(TokenBucket::new(f64::from(quota.rps), u64::from(quota.rps)))
            }
            Enforcement::FixedWindow => AccountQuota::Window {
                rps: quota.rps,
                second: 0,
                used: 0,
            },
        }
    }

    /// Takes one request's share of the quota at `now`, if there is room.
    pub fn try_take(&mut self, now: SimTime) -> bool {
        match self {
            AccountQuota::Bucket(b) => b.try_take(now),
            AccountQuota::Window { rps, second, used } => {
                let s = now.0 / SimTime::from_secs(1).0;
                if s != *second {
                    *second = s;
                    *used = 0;
                }
                if *used < *rps {
                    *used += 1;
                    true
                } else {
                    false
                }
            }
        }
    }
}

/// The quota every `kms` component of a run shares.
pub type SharedQuota = Rc<RefCell<AccountQuota>>;

/// A client's view of KMS: requests drawn on the account's quota, answered after `latency`.
pub struct Kms {
    cfg: KmsConfig,
    clock: Clock,
    rng: SimRng,
    quota: SharedQuota,
    requests: Counter,
    throttles: Counter,
    statuses: Counts<u16>,
    latency: Durations,
    events: EventLog,
}

impl Kms {
    /// Builds it for one run, drawing on the account's `quota`.
    pub fn new(cfg: KmsConfig, env: BuildEnv, quota: SharedQuota) -> Kms {
        let clock = env.clock;
        Kms {
            requests: Counter::new(&clock),
            throttles: Counter::new(&clock),
            statuses: Counts::default(),
            latency: Durations::default(),
            events: EventLog::new(&env.name),
            rng: env.rng,
            quota,
            cfg,
            clock,
        }
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, call: CallId) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests.add(&self.clock, now, measured);
        // aws-facts: §12 KMS: one quota per account and Region, shared by every key and caller.
        if self.quota.borrow_mut().try_take(now) {
            let wait = self.cfg.latency.sample_time(&mut self.rng);
            self.statuses.add(status::OK, measured);
            self.latency.record(wait, measured);
            ctx.reply_after(call, status::OK, wait);
        } else {
            // aws-facts: §12 KMS: over the quota, ThrottlingException (400) at once.
            self.throttles.add(&self.clock, now, measured);
            self.statuses.add(THROTTLED, measured);
            ctx.reply(call, THROTTLED);
        }
    }
}

impl Component for Kms {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Call(call, _) => self.request(ctx, call),
            // It sets no timers, makes no calls and has no fault of its own.
            Input::Timer(_) | Input::Reply(_) | Input::Fault { .. } => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        let mut m = MetricSet::default();
        let requests = self.requests.total();
        let throttles = self.throttles.total();
        m.count("requests", requests);
        m.count("throttles", throttles);
        m.gauge(
            "throttle_fraction",
            throttles as f64 / requests.max(1) as f64,
        );
        m.gauge("quota_rps", f64::from(self.cfg.quota.rps));
        // Chosen: a throttled request is billed as nothing, as S3 bills no throttled request
        // (AWS's pricing page bills "requests" without saying whether refused ones count).
        let accepted = requests - throttles;
        let keys = f64::from(self.cfg.customer_managed_keys) * c.measured_secs() / MONTH_SECS;
        m.gauge(
            "cost_usd",
            accepted as f64 * PRICE_PER_REQUEST + keys * PRICE_PER_KEY_MONTH,
        );
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.hist("response_ms", &self.latency.summary());
        ComponentReport {
            metrics: m,
            series: vec![
                (&REQUESTS, self.requests.rate_series(c)),
                (&THROTTLES, self.throttles.rate_series(c)),
                (&QUOTA, vec![f64::from(self.cfg.quota.rps); c.windows()]),
            ],
            events: self.events.finish(c.end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_window_admits_its_quota_in_each_whole_second() {
        let mut q = AccountQuota::new(Quota {
            rps: 3,
            enforcement: Enforcement::FixedWindow,
        });
        let at = |ms: u64| SimTime::from_millis(ms);
        // Three in the first second, the fourth refused; the next second starts afresh.
        assert!(q.try_take(at(0)) && q.try_take(at(10)) && q.try_take(at(999)));
        assert!(!q.try_take(at(999)));
        assert!(q.try_take(at(1_000)));
    }
}
