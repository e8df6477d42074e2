//! The `sns` table: its keys as written, and the validated config.

use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker};
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::limits::{MAX_DEDUP_IDS, MAX_MESSAGE_GROUPS, MAX_SUBSCRIPTIONS};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSns {
    fifo: Option<Spanned<bool>>,
    publish_latency: Option<Spanned<RawDist>>,
    delivery_latency: Option<Spanned<RawDist>>,
    publish_quota: Option<Spanned<f64>>,
    message_groups: Option<Spanned<i64>>,
    fifo_throughput_scope: Option<Spanned<String>>,
    group_quota: Option<Spanned<f64>>,
    retry_jitter: Option<Spanned<f64>>,
    #[serde(default)]
    subscriptions: Vec<Spanned<RawSubscription>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    to: Spanned<String>,
    ops: Option<Vec<Spanned<String>>>,
    dead_letter: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    delivery_policy: Option<Spanned<RawPolicy>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    num_retries: Spanned<i64>,
    num_no_delay_retries: Option<Spanned<i64>>,
    num_min_delay_retries: Option<Spanned<i64>>,
    num_max_delay_retries: Option<Spanned<i64>>,
    min_delay_target: Option<Spanned<String>>,
    max_delay_target: Option<Spanned<String>>,
    backoff_function: Option<Spanned<String>>,
}

/// How the delays of a policy's backoff phase grow from its minimum to its maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    /// Steps of equal size.
    Linear,
    /// Steps of equal ratio.
    Exponential,
}

/// A delivery retry policy (aws-facts: §17 SNS delivery retries): retries with no delay,
/// then at the minimum delay, then a backoff phase from the minimum to the maximum, then at
/// the maximum, `retries` in all.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Retries in all.
    pub retries: u32,
    /// Retries at once, first.
    pub no_delay: u32,
    /// Retries at the minimum delay, next.
    pub min_delay_retries: u32,
    /// Retries at the maximum delay, last.
    pub max_delay_retries: u32,
    /// The shortest delay.
    pub min_delay: SimTime,
    /// The longest delay.
    pub max_delay: SimTime,
    /// How the delays of the backoff phase grow.
    pub backoff: Backoff,
}

impl Policy {
    /// aws-facts: §17: AWS-managed endpoints (SQS, Lambda): 3 retries at once, 2 at 1 s, 10
    /// backing off from 1 s to 20 s, then 100,000 at 20 s: 100,015 retries over 23 days.
    pub const MANAGED: Policy = Policy {
        retries: 100_015,
        no_delay: 3,
        min_delay_retries: 2,
        max_delay_retries: 100_000,
        min_delay: SimTime::from_secs(1),
        max_delay: SimTime::from_secs(20),
        backoff: Backoff::Exponential,
    };

    /// aws-facts: §17: HTTP/S endpoints by default: 3 retries, 20 s apart.
    pub const HTTP: Policy = Policy {
        retries: 3,
        no_delay: 0,
        min_delay_retries: 0,
        max_delay_retries: 0,
        min_delay: SimTime::from_secs(20),
        max_delay: SimTime::from_secs(20),
        backoff: Backoff::Linear,
    };

    /// The wait before retry number `n` (1 for the first retry); `None` beyond the policy.
    pub fn delay(&self, n: u32) -> Option<SimTime> {
        if n == 0 || n > self.retries {
            return None;
        }
        let backoff =
            self.retries - self.no_delay - self.min_delay_retries - self.max_delay_retries;
        if n <= self.no_delay {
            return Some(SimTime::ZERO);
        }
        let n = n - self.no_delay;
        if n <= self.min_delay_retries {
            return Some(self.min_delay);
        }
        let k = n - self.min_delay_retries;
        if k > backoff {
            return Some(self.max_delay);
        }
        // Step k of `backoff` steps from the minimum to the maximum, the last at the maximum.
        // AWS draws these curves without giving their formulas: linear steps, or a constant
        // ratio, are the choice.
        let (lo, hi) = (self.min_delay.as_secs_f64(), self.max_delay.as_secs_f64());
        let x = f64::from(k) / f64::from(backoff);
        let secs = match self.backoff {
            Backoff::Linear => lo + (hi - lo) * x,
            Backoff::Exponential => lo * (hi / lo).powf(x),
        };
        Some(SimTime::from_secs_f64(secs))
    }

    /// The time all its delays add up to [s].
    pub fn total_secs(&self) -> f64 {
        (1..=self.retries)
            .filter_map(|n| self.delay(n))
            .map(SimTime::as_secs_f64)
            .sum()
    }
}

/// A subscription of the topic.
#[derive(Clone, Debug)]
pub struct Subscription {
    /// Index of the subscriber among the scenario's components.
    pub to: usize,
    /// Operations delivered (a filter policy on the message's operation); empty: all.
    pub ops: Vec<u16>,
    /// Its own HTTP delivery policy, if given (HTTP/S endpoints only).
    pub policy: Option<Policy>,
    /// How long an HTTP/S delivery waits for its answer.
    pub timeout: SimTime,
    /// Index among the topic's calls of its dead-letter queue's, if it has one.
    pub dead_letter: Option<usize>,
    /// Where it is written, for messages.
    pub span: Range<usize>,
    /// Where its policy is written, for messages.
    pub policy_span: Option<Range<usize>>,
}

impl Subscription {
    /// Whether its filter policy lets operation `op` through.
    pub fn wants(&self, op: u16) -> bool {
        self.ops.is_empty() || self.ops.contains(&op)
    }
}

/// aws-facts: §17: "Retries are jittered"; AWS does not say by how much. A choice: each
/// retry's delay moved uniformly within ±10 % of itself (`retry_jitter`; 0 turns it off).
pub const DEFAULT_RETRY_JITTER: f64 = 0.1;

/// A validated `sns` topic.
#[derive(Clone, Debug)]
pub struct SnsConfig {
    /// A FIFO topic (3,000 publishes a second, SQS subscribers only).
    pub fifo: bool,
    /// Time Publish takes before its 200 [s].
    pub publish_latency: Dist,
    /// Time from a publish to each delivery's first attempt [s].
    pub delivery_latency: Dist,
    /// How far each retry's delay is moved at random, up or down, as a share of it
    /// (aws-facts: §17: retries are jittered; AWS gives no amount: `DEFAULT_RETRY_JITTER`).
    pub retry_jitter: f64,
    /// Publishes a second the topic admits; ThrottlingException beyond.
    pub publish_quota: f64,
    /// A FIFO topic's message groups; a message's group is its key modulo this, as an SQS
    /// FIFO queue's (1 for a standard topic) [groups].
    pub message_groups: u32,
    /// A FIFO topic's `FifoThroughputScope`: `MessageGroup` holds each group to its own
    /// quota (`group_quota`) and deduplicates within a group, `Topic` (the default) the
    /// whole topic to `publish_quota` and deduplicates across it.
    pub scope: Scope,
    /// Under `MessageGroup` scope, publishes a second each message group admits.
    pub group_quota: f64,
    /// Its subscriptions, in order.
    pub subscriptions: Vec<Subscription>,
    /// Its calls: one per subscription (in order), then the dead-letter queues'.
    pub calls: Vec<CallSpec>,
    /// Whether each subscription's subscriber is an AWS-managed endpoint (SQS, Lambda) and
    /// which; settled by `relate` from the subscriber's kind.
    pub protocols: Vec<Protocol>,
}

/// A FIFO topic's throughput and deduplication scope (`FifoThroughputScope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole topic: one quota, one deduplication window.
    Topic,
    /// Each message group: its own quota and window, the topic held to the Region's
    /// maximum.
    MessageGroup,
}

/// The words `fifo_throughput_scope` takes (AWS's attribute values).
pub(super) const SCOPES: &[&str] = &["Topic", "MessageGroup"];

/// What a subscription delivers to, by its subscriber's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A send to a queue.
    Sqs,
    /// An asynchronous invocation.
    Lambda,
    /// Any other component, as an HTTP/S endpoint.
    Http,
}

/// aws-facts: §17 SNS: publish-to-delivery latency is tens to hundreds of milliseconds [?]:
/// a lognormal of median 30 ms and p99 200 ms is a choice; Publish's own answer the same as
/// SQS's send (10–30 ms, a choice).
fn default_delivery_latency() -> Dist {
    Dist::lognormal_median_p99(0.030, 0.200).expect("valid")
}
fn default_publish_latency() -> Dist {
    Dist::lognormal_median_p99(0.015, 0.030).expect("valid")
}

/// aws-facts: §17: standard topics about 30,000 publishes a second in us-east-1 (not seen in
/// AWS's quota table: a default to change for other regions); FIFO topics 3,000 a second.
pub const STANDARD_QUOTA: f64 = 30_000.0;
/// aws-facts: §17: a FIFO topic's publishes a second.
pub const FIFO_QUOTA: f64 = 3_000.0;
/// aws-facts: §17: with message-group scope a FIFO topic is held to the account's regional
/// maximum instead, which AWS announced (January 2025) as 30,000 messages a second in
/// us-east-1 and 9,000 in us-west-2 and eu-west-1 [?: reported, not seen in the quota table]:
/// us-east-1's figure is the default, a choice.
pub const FIFO_REGIONAL_QUOTA: f64 = 30_000.0;
/// aws-facts: §17: each message group of a FIFO topic, 300 messages a second [?: the figure
/// reported for topic scope, assumed to hold per group under message-group scope too].
pub const FIFO_GROUP_QUOTA: f64 = 300.0;
/// aws-facts: §17 (sns:fifo-message-dedup.html): a FIFO topic drops a message whose
/// deduplication id it has accepted in the last 5 minutes.
pub const DEDUP_WINDOW: SimTime = SimTime::from_secs(300);
/// The most publishes a second a scenario may set.
pub const MAX_QUOTA: f64 = 1e7;
/// aws-facts: §17: a custom HTTP/S policy's delays add up to at most 3,600 s, with at most
/// 100 retries [?: AWS's delivery policy page].
pub const MAX_POLICY_SECS: f64 = 3_600.0;
/// The most retries of a custom HTTP/S policy.
pub const MAX_POLICY_RETRIES: i64 = 100;
/// How long an HTTP/S delivery waits for its answer: AWS says the endpoint must answer
/// within 15 seconds [?: not in aws-facts], a default to change.
pub const DEFAULT_HTTP_TIMEOUT: SimTime = SimTime::from_secs(15);

/// Reads and validates an `sns` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<SnsConfig> {
    let raw: RawSns = ck.deserialize(table)?;
    let fifo = raw.fifo.as_ref().is_some_and(|f| *f.get_ref());
    for (key, span) in [
        (
            "message_groups",
            raw.message_groups.as_ref().map(|v| v.span()),
        ),
        (
            "fifo_throughput_scope",
            raw.fifo_throughput_scope.as_ref().map(|v| v.span()),
        ),
        ("group_quota", raw.group_quota.as_ref().map(|v| v.span())),
    ] {
        if let (Some(span), false) = (span, fifo) {
            ck.error(
                span,
                format!("`{key}` is for a FIFO topic: set `fifo = true`, or leave it out"),
            );
            return None;
        }
    }
    let groups = ck.int_or(
        &raw.message_groups,
        "message_groups",
        (1, MAX_MESSAGE_GROUPS),
        1,
    );
    let scope = ck
        .one_of_or(
            &raw.fifo_throughput_scope,
            "fifo_throughput_scope",
            SCOPES,
            "Topic",
        )
        .map(|s| {
            if s == "MessageGroup" {
                Scope::MessageGroup
            } else {
                Scope::Topic
            }
        });
    let group_quota = match (&raw.group_quota, scope) {
        (Some(q), Some(Scope::Topic)) => {
            ck.error(
                q.span(),
                "`group_quota` is for `fifo_throughput_scope = \"MessageGroup\"`: a topic-scoped FIFO topic has one quota, `publish_quota`",
            );
            None
        }
        (q, _) => ck.or(q, FIFO_GROUP_QUOTA, |ck, q| {
            ck.positive_up_to(
                q,
                "group_quota",
                "publishes per second",
                MAX_QUOTA,
                "archsim's highest rate",
            )
        }),
    };
    let publish_latency = ck.time_dist_or(
        &raw.publish_latency,
        "publish_latency",
        default_publish_latency(),
    );
    let delivery_latency = ck.time_dist_or(
        &raw.delivery_latency,
        "delivery_latency",
        default_delivery_latency(),
    );
    let retry_jitter = ck.or(&raw.retry_jitter, DEFAULT_RETRY_JITTER, |ck, v| {
        let x = ck.non_negative(v, "retry_jitter", "a share of each retry's delay")?;
        ck.at_most(v, x, "retry_jitter", 1.0, "a share of each retry's delay")
    });
    let default_quota = match (fifo, scope) {
        (false, _) => STANDARD_QUOTA,
        (true, Some(Scope::MessageGroup)) => FIFO_REGIONAL_QUOTA,
        (true, _) => FIFO_QUOTA,
    };
    let quota = ck.or(&raw.publish_quota, default_quota, |ck, q| {
        let x = *q.get_ref();
        if x > 0.0 && x <= MAX_QUOTA {
            Some(x)
        } else {
            ck.value_error(
                q.span(),
                format!("`publish_quota` must be above 0 and at most 10,000,000 a second, not {x}"),
            );
            None
        }
    });
    // A FIFO topic remembers each accepted message's deduplication id for 5 minutes: at most
    // its quota's worth of them, held to archsim's bound.
    let max_fifo_quota = MAX_DEDUP_IDS as f64 / DEDUP_WINDOW.as_secs_f64();
    let quota = match (quota, &raw.publish_quota) {
        (Some(q), Some(at)) if fifo && q > max_fifo_quota => {
            ck.error(
                at.span(),
                format!(
                    "a FIFO topic remembers each message's deduplication id for 5 minutes, so its `publish_quota` may be at most {max_fifo_quota:.0} a second here ({} ids at once), not {q}",
                    MAX_DEDUP_IDS
                ),
            );
            None
        }
        (q, _) => q,
    };
    if raw.subscriptions.len() > MAX_SUBSCRIPTIONS {
        ck.error(
            raw.subscriptions[MAX_SUBSCRIPTIONS].span(),
            format!("a topic may have at most {MAX_SUBSCRIPTIONS} subscriptions here"),
        );
        return None;
    }
    let mut subs = Vec::new();
    let mut calls = Vec::new();
    let mut dead_letters = Vec::new();
    let mut ok = true;
    for s in &raw.subscriptions {
        let span = s.span();
        let s = s.get_ref();
        let to = ck.component(&s.to, "subscriptions.to");
        let ops = s
            .ops
            .iter()
            .flatten()
            .map(|o| {
                ck.op(
                    o.get_ref(),
                    "an SNS subscription's `ops`, which lets no other operation through",
                )
            })
            .collect();
        let dead_letter = match &s.dead_letter {
            None => Some(None),
            Some(d) => ck
                .component(d, "subscriptions.dead_letter")
                .map(|i| Some((i, d.span()))),
        };
        let timeout =
            ck.positive_duration_or(&s.timeout, "subscriptions.timeout", DEFAULT_HTTP_TIMEOUT);
        let policy = match &s.delivery_policy {
            None => Some(None),
            Some(p) => policy(ck, p).map(Some),
        };
        if let Some(to) = to.filter(|t| subs.iter().any(|s: &Subscription| s.to == *t)) {
            // aws-facts: §17: one subscription per endpoint and protocol: subscribing again
            // gives back the same subscription.
            ck.error(
                s.to.span(),
                format!(
                    "the topic already subscribes \"{}\"",
                    crate::text::printable(&ck.component_ids[to])
                ),
            );
            ok = false;
            continue;
        }
        match (to, dead_letter, timeout, policy) {
            (Some(to), Some(dl), Some(timeout), Some(policy)) => {
                // SNS retries by its delivery policy, not an SDK's.
                calls.push(CallSpec::once(to));
                subs.push(Subscription {
                    to,
                    ops,
                    policy,
                    timeout,
                    dead_letter: None,
                    span,
                    policy_span: s.delivery_policy.as_ref().map(|p| p.span()),
                });
                dead_letters.push(dl);
            }
            _ => ok = false,
        }
    }
    ok.then_some(())?;
    for (i, dl) in dead_letters.into_iter().enumerate() {
        if let Some((to, _)) = dl {
            subs[i].dead_letter = Some(calls.len());
            calls.push(CallSpec::to(to));
        }
    }
    let n = subs.len();
    Some(SnsConfig {
        fifo,
        publish_latency: publish_latency?,
        delivery_latency: delivery_latency?,
        retry_jitter: retry_jitter?,
        publish_quota: quota?,
        message_groups: groups? as u32,
        scope: scope?,
        group_quota: group_quota?,
        subscriptions: subs,
        calls,
        protocols: vec![Protocol::Http; n],
    })
}

/// A custom HTTP/S delivery policy, held to AWS's bounds.
fn policy(ck: &mut Checker, p: &Spanned<RawPolicy>) -> Option<Policy> {
    let span = p.span();
    let p = p.get_ref();
    let retries = ck.int_in(
        &p.num_retries,
        "delivery_policy.num_retries",
        0,
        MAX_POLICY_RETRIES,
    );
    let mut count =
        |v: &Option<Spanned<i64>>, key: &str| ck.int_or(v, key, (0, MAX_POLICY_RETRIES), 0);
    let no_delay = count(
        &p.num_no_delay_retries,
        "delivery_policy.num_no_delay_retries",
    );
    let min_r = count(
        &p.num_min_delay_retries,
        "delivery_policy.num_min_delay_retries",
    );
    let max_r = count(
        &p.num_max_delay_retries,
        "delivery_policy.num_max_delay_retries",
    );
    let min_delay = ck.positive_duration_or(
        &p.min_delay_target,
        "delivery_policy.min_delay_target",
        SimTime::from_secs(20),
    );
    let max_delay = ck.positive_duration_or(
        &p.max_delay_target,
        "delivery_policy.max_delay_target",
        SimTime::from_secs(20),
    );
    let backoff = ck
        .one_of_or(
            &p.backoff_function,
            "delivery_policy.backoff_function",
            &["linear", "exponential"],
            "linear",
        )
        .map(|w| {
            if w == "exponential" {
                Backoff::Exponential
            } else {
                Backoff::Linear
            }
        });
    let (retries, no_delay, min_r, max_r) = (retries?, no_delay?, min_r?, max_r?);
    let (min_delay, max_delay, backoff) = (min_delay?, max_delay?, backoff?);
    if no_delay + min_r + max_r > retries {
        ck.error(
            span,
            format!("the policy's no-delay, minimum-delay and maximum-delay retries ({}) exceed `num_retries` ({retries})", no_delay + min_r + max_r),
        );
        return None;
    }
    if min_delay > max_delay {
        ck.error(
            span,
            "`min_delay_target` must not exceed `max_delay_target`",
        );
        return None;
    }
    let policy = Policy {
        retries: retries as u32,
        no_delay: no_delay as u32,
        min_delay_retries: min_r as u32,
        max_delay_retries: max_r as u32,
        min_delay,
        max_delay,
        backoff,
    };
    if policy.total_secs() > MAX_POLICY_SECS {
        ck.error(
            span,
            format!(
                "the policy's delays add up to {:.0}s; SNS allows at most 3,600s for an HTTP/S delivery policy",
                policy.total_secs()
            ),
        );
        return None;
    }
    Some(policy)
}

impl SnsConfig {
    /// Its key settings in a few words, for diagrams and summaries.
    pub fn lines(&self) -> Vec<String> {
        let kind = match (self.fifo, self.scope) {
            (false, _) => "standard topic".to_string(),
            (true, Scope::Topic) => format!("FIFO topic, {} groups", self.message_groups),
            (true, Scope::MessageGroup) => format!(
                "FIFO topic, {} groups, {:.0}/s each",
                self.message_groups, self.group_quota
            ),
        };
        let n = self.subscriptions.len();
        vec![
            kind,
            format!("{n} subscription{}", if n == 1 { "" } else { "s" }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_managed_policy_makes_100_015_retries_over_about_23_days() {
        // aws-facts: §17: 3 at once, 2 at 1 s, 10 backing off to 20 s, 100,000 at 20 s.
        let p = Policy::MANAGED;
        assert_eq!(p.delay(1), Some(SimTime::ZERO));
        assert_eq!(p.delay(3), Some(SimTime::ZERO));
        assert_eq!(p.delay(4), Some(SimTime::from_secs(1)));
        assert_eq!(p.delay(5), Some(SimTime::from_secs(1)));
        // The backoff phase ends at the maximum, and the delays never fall.
        assert_eq!(p.delay(15), Some(SimTime::from_secs(20)));
        for n in 1..20 {
            assert!(p.delay(n) <= p.delay(n + 1));
        }
        assert_eq!(p.delay(100_015), Some(SimTime::from_secs(20)));
        assert_eq!(p.delay(100_016), None);
        // 100,000 × 20 s = 2,000,000 s plus about 2 + 70 s: 23.1 days.
        let days = p.total_secs() / 86_400.0;
        assert!((23.0..23.2).contains(&days), "{days}");
    }

    #[test]
    fn the_http_policy_retries_three_times_twenty_seconds_apart() {
        let p = Policy::HTTP;
        for n in 1..=3 {
            assert_eq!(p.delay(n), Some(SimTime::from_secs(20)));
        }
        assert_eq!(p.delay(4), None);
    }
}
