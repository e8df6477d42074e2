//! The `kms` table: its keys as written, and the validated config.

use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKms {
    region_class: Option<Spanned<String>>,
    quota_enforcement: Option<Spanned<String>>,
    latency: Option<Spanned<RawDist>>,
    customer_managed_keys: Option<Spanned<i64>>,
}

/// The words `region_class` takes, in the order of their quotas.
pub(super) const REGION_CLASSES: &[&str] = &["standard", "large", "largest"];
/// The words `quota_enforcement` takes.
pub(super) const ENFORCEMENTS: &[&str] = &["token_bucket", "fixed_window"];

/// How the per-second quota is enforced, left to the scenario. aws-facts: §12 KMS gives a
/// rate in requests per second; `kms:throttling.html` illustrates it as a count within a
/// second ("if users submit 1000 DescribeKey requests in a second, AWS KMS throttles all
/// subsequent DescribeKey requests in that second"), so whole one-second windows are the
/// default; a token bucket, which lets a quiet spell's savings through at once, is the other
/// choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Enforcement {
    /// A token bucket refilled at the quota, holding one second's worth: a burst of a full
    /// second's quota after a quiet spell, then the steady rate.
    TokenBucket,
    /// At most the quota in each whole second of simulated time ([k s, k+1 s)).
    #[default]
    FixedWindow,
}

/// The account's shared symmetric-crypto quota, as one `kms` component states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Requests per second, shared by every `kms` component of its Region [requests/s].
    pub rps: u32,
    /// How the rate is metered.
    pub enforcement: Enforcement,
}

impl Default for Quota {
    fn default() -> Self {
        Quota {
            rps: quota_of("standard"),
            enforcement: Enforcement::FixedWindow,
        }
    }
}

/// The Region class of a Region's name, as aws-facts: §12 KMS lists them: `large` and
/// `largest` for the Regions named there, `standard` for every other (and for a name archsim
/// does not know, such as the default Region `home`).
pub(super) fn class_of_region(region: &str) -> &'static str {
    const LARGE: [&str; 6] = [
        "us-east-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "eu-central-1",
        "eu-west-2",
    ];
    const LARGEST: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];
    if LARGEST.contains(&region) {
        "largest"
    } else if LARGE.contains(&region) {
        "large"
    } else {
        "standard"
    }
}

/// The symmetric-crypto request quota of a Region class [requests/s].
pub(super) fn quota_of(class: &str) -> u32 {
    match class {
        // aws-facts: §12 KMS: 10,000 rps in us-east-2, ap-southeast-1, ap-southeast-2,
        // ap-northeast-1, eu-central-1, eu-west-2.
        "large" => 10_000,
        // aws-facts: §12 KMS: 50,000 rps in us-east-1, us-west-2, eu-west-1, flagged [?]
        // there (30,000 in the 2020 documentation; the current figure not seen verbatim).
        "largest" => 50_000,
        // aws-facts: §12 KMS: 5,500 rps in every other Region.
        _ => 5_500,
    }
}

/// A validated `kms` component: a client's view of the account's KMS keys.
#[derive(Clone, Debug)]
pub struct KmsConfig {
    /// The account's quota as this component states it (all must agree).
    pub quota: Quota,
    /// The Region class written, or the one of its Region's name (`class_of_region`, set by
    /// `relate`), for messages and diagrams.
    pub region_class: &'static str,
    /// Whether `region_class` is written: when it is not, the Region's name decides it.
    pub class_written: bool,
    /// Where the quota is written (the component's table when it is not), for messages.
    pub quota_span: Range<usize>,
    /// Time an accepted request takes at KMS [s].
    pub latency: Dist,
    /// The customer managed keys its requests use, each billed by the month (none for AWS
    /// managed keys such as `aws/s3`).
    pub customer_managed_keys: u32,
}

/// The most customer managed keys one component may stand for: a bound on what a scenario
/// may write, far above any account's need.
pub(super) const MAX_KEYS: i64 = 100_000;

/// aws-facts: §12 KMS gives no latency; a lognormal of median 3 ms and p99 10 ms (a few
/// milliseconds for a symmetric Encrypt or Decrypt) is a choice.
fn default_latency() -> Dist {
    Dist::lognormal_median_p99(0.003, 0.010).expect("valid")
}

/// Reads and validates a `kms` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<KmsConfig> {
    let whole = table.span();
    let raw: RawKms = ck.deserialize(table)?;
    let class = ck.one_of_or(
        &raw.region_class,
        "region_class",
        REGION_CLASSES,
        "standard",
    );
    let enforcement = ck
        .one_of_or(
            &raw.quota_enforcement,
            "quota_enforcement",
            ENFORCEMENTS,
            "fixed_window",
        )
        .map(|e| match e {
            "fixed_window" => Enforcement::FixedWindow,
            _ => Enforcement::TokenBucket,
        });
    let latency = ck.time_dist_or(&raw.latency, "latency", default_latency());
    let keys = ck.int_or(
        &raw.customer_managed_keys,
        "customer_managed_keys",
        (0, MAX_KEYS),
        1,
    );
    let quota_span = raw
        .region_class
        .as_ref()
        .or(raw.quota_enforcement.as_ref())
        .map_or(whole.start..whole.start, |s| s.span());
    let class = class?;
    Some(KmsConfig {
        quota: Quota {
            rps: quota_of(class),
            enforcement: enforcement?,
        },
        region_class: class,
        class_written: raw.region_class.is_some(),
        quota_span,
        latency: latency?,
        customer_managed_keys: u32::try_from(keys?).expect("within 0..=MAX_KEYS"),
    })
}

impl KmsConfig {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let how = match self.quota.enforcement {
            Enforcement::TokenBucket => "token bucket",
            Enforcement::FixedWindow => "1 s windows",
        };
        vec![format!("account quota {} rps ({how})", self.quota.rps)]
    }

    /// The quota in words, to compare components and to name it in messages.
    pub(super) fn quota_words(&self) -> String {
        let how = match self.quota.enforcement {
            Enforcement::TokenBucket => "token_bucket",
            Enforcement::FixedWindow => "fixed_window",
        };
        format!(
            "region_class = \"{}\", quota_enforcement = \"{how}\"",
            self.region_class
        )
    }
}
