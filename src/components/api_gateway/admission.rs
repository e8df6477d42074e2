//! Which limit, if any, refuses a request, in the order AWS applies them (aws-facts: §1 order
//! applied): the API key and its usage plan (quota, then the key's rate and burst), the
//! method's throttle (its route's, or the stage's default, a bucket per operation), then the
//! account's, which every API Gateway of the Region shares. Each throttle is a token bucket.

use super::config::{ApiGatewayConfig, Throttle, UsagePlan};
use crate::components::token_bucket::TokenBucket;
use crate::components::PREFLIGHT;
use crate::kernel::{Msg, SimTime};
use crate::status;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The account's throttle every API Gateway of a Region shares.
pub type AccountThrottle = Rc<RefCell<TokenBucket>>;

/// Why a request was refused, for the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Refusal {
    NoKey,
    Quota,
    Key,
    Route,
    Stage,
    Account,
}

impl Refusal {
    /// Every limit, each reported (0 included) so that an expectation of none holds.
    pub(super) const ALL: [Refusal; 6] = [
        Refusal::NoKey,
        Refusal::Quota,
        Refusal::Key,
        Refusal::Route,
        Refusal::Stage,
        Refusal::Account,
    ];

    /// Its name under `throttled_by.` in the summary.
    pub(super) fn name(self) -> &'static str {
        match self {
            Refusal::NoKey => "missing_api_key",
            Refusal::Quota => "quota",
            Refusal::Key => "api_key",
            Refusal::Route => "route",
            Refusal::Stage => "stage",
            Refusal::Account => "account",
        }
    }

    /// The status it is answered with. aws-facts: §1 gateway responses: THROTTLED and
    /// QUOTA_EXCEEDED are 429; a missing or invalid API key is 403.
    pub(super) fn status(self) -> u16 {
        match self {
            Refusal::NoKey => status::FORBIDDEN,
            _ => status::TOO_MANY_REQUESTS,
        }
    }
}

/// What an API key has used of its usage plan.
struct KeyState {
    bucket: TokenBucket,
    /// The quota period it was last used in (its number since the start).
    period: u64,
    /// Requests admitted in that period [requests].
    used: u64,
}

/// Every limit a request passes, with what each has left.
pub(super) struct Limits {
    require_api_key: bool,
    usage_plan: Option<UsagePlan>,
    account: AccountThrottle,
    /// The stage's default method throttle: each operation (method) without a route throttle
    /// of its own gets a bucket of these limits, made when its first request comes.
    stage: Option<Throttle>,
    stage_buckets: Vec<(u16, TokenBucket)>,
    /// Route (method) throttles, which replace the stage's default for their operation.
    routes: Vec<(u16, TokenBucket)>,
    /// Each API key's state, by client.
    keys: BTreeMap<u32, KeyState>,
}

impl Limits {
    pub(super) fn new(cfg: &ApiGatewayConfig, account: AccountThrottle) -> Limits {
        Limits {
            require_api_key: cfg.require_api_key,
            usage_plan: cfg.usage_plan.clone(),
            account,
            stage: cfg.throttle,
            stage_buckets: Vec::new(),
            routes: cfg
                .routes
                .iter()
                .map(|(op, t)| (*op, TokenBucket::new(t.rate, t.burst)))
                .collect(),
            keys: BTreeMap::new(),
        }
    }

    /// The limit that refuses a CORS preflight, if any: the stage's throttle of the OPTIONS
    /// method, then the account's. A preflight carries no API key (a browser sends none on
    /// OPTIONS, and the OPTIONS method CORS adds requires none) and matches no route's
    /// throttle, which are by the request's operation.
    pub(super) fn admit_preflight(&mut self, now: SimTime) -> Option<Refusal> {
        let stage = self.stage_bucket(PREFLIGHT);
        if let Some(s) = stage {
            if !self.stage_buckets[s].1.has_token(now) {
                return Some(Refusal::Stage);
            }
        }
        if !self.account.borrow_mut().try_take(now) {
            return Some(Refusal::Account);
        }
        if let Some(s) = stage {
            self.stage_buckets[s].1.try_take(now);
        }
        None
    }

    /// The index of the stage's bucket for `op`, made on first use; `None` without a stage
    /// throttle.
    fn stage_bucket(&mut self, op: u16) -> Option<usize> {
        let t = self.stage?;
        Some(
            match self.stage_buckets.iter().position(|(o, _)| *o == op) {
                Some(i) => i,
                None => {
                    self.stage_buckets
                        .push((op, TokenBucket::new(t.rate, t.burst)));
                    self.stage_buckets.len() - 1
                }
            },
        )
    }

    /// The first limit that refuses this request, if any; tokens are taken only when every
    /// limit admits it, as a refused request consumes nothing further down. aws-facts: §1
    /// order applied: the usage plan's, then the method's (its route throttle, or else the
    /// stage's default, which every method gets on its own), then the account's.
    pub(super) fn admit(&mut self, now: SimTime, msg: &Msg) -> Option<Refusal> {
        if msg.client == 0 && (self.require_api_key || self.usage_plan.is_some()) {
            return Some(Refusal::NoKey);
        }
        if let Some(plan) = &self.usage_plan {
            let st = self.keys.entry(msg.client).or_insert_with(|| KeyState {
                bucket: TokenBucket::new(plan.throttle.rate, plan.throttle.burst),
                period: 0,
                used: 0,
            });
            if let Some((quota, per)) = plan.quota {
                let period = now.0 / per.0;
                if period != st.period {
                    st.period = period;
                    st.used = 0;
                }
                if st.used >= quota {
                    return Some(Refusal::Quota);
                }
            }
            if !st.bucket.has_token(now) {
                return Some(Refusal::Key);
            }
        }
        let route = self.routes.iter_mut().position(|(op, _)| *op == msg.op);
        let stage = match route {
            Some(r) => {
                if !self.routes[r].1.has_token(now) {
                    return Some(Refusal::Route);
                }
                None
            }
            None => self.stage_bucket(msg.op),
        };
        if let Some(s) = stage {
            if !self.stage_buckets[s].1.has_token(now) {
                return Some(Refusal::Stage);
            }
        }
        if !self.account.borrow_mut().try_take(now) {
            return Some(Refusal::Account);
        }
        // Admitted: take the tokens the checks above only looked at.
        if let Some(s) = stage {
            self.stage_buckets[s].1.try_take(now);
        }
        if let Some(r) = route {
            self.routes[r].1.try_take(now);
        }
        if self.usage_plan.is_some() {
            if let Some(st) = self.keys.get_mut(&msg.client) {
                st.bucket.try_take(now);
                st.used += 1;
            }
        }
        None
    }
}
