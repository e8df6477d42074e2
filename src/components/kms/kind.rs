//! What `kms` declares about itself: its keys, series, summary fields, columns and plot
//! panel, its share of the account's quota, and the retries AWS's SDKs apply to it.

use super::config::{self, KmsConfig, ENFORCEMENTS, REGION_CLASSES};
use super::THROTTLED;
use crate::components::iac::{Downstream, Imports, Mapped, Resource, ResourceMap};
use crate::components::kind::{
    AccountClaims, Category, Column, Field, Key, KeyType, Kind, KindInfo, PlotLine, PlotPanel,
    Relations, Series, Tone, Unit,
};
use crate::components::{BuildEnv, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::iam::{IamAction, ACCOUNT_ID};
use crate::retry::{SdkService, ServiceFamily};

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
pub(super) const THROTTLES: Series = Series {
    id: "throttles_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 400 (ThrottlingException: the account's quota exceeded)",
};

pub(super) const QUOTA: Series = Series {
    id: "quota_rps",
    unit: Unit::PerSecond,
    about: "the account's symmetric-crypto quota in the Region, shared by its kms components",
};

impl Kind for KmsConfig {
    // aws-facts: §19 IAM: KMS's actions are `kms:*`.
    const IAM_PREFIX: Option<&'static str> = Some("kms");
    const IAM_ACTIONS: &'static [&'static str] = &["GenerateDataKey", "Decrypt"];
    const INFO: &'static KindInfo = &KindInfo {
        name: "kms",
        title: "AWS KMS",
        noun: "a KMS client",
        category: Category::Generic,
        about: "symmetric cryptographic requests (Encrypt, Decrypt, GenerateDataKey) against the account's shared per-second quota, throttled with 400",
        keys: &[
            Key {
                name: "region_class",
                ty: KeyType::Word(REGION_CLASSES),
                required: false,
                about: "the Region's symmetric-crypto quota, shared by every kms component there (all of the Region must agree): standard 5,500 requests/s (most Regions), large 10,000 (us-east-2, ap-southeast-1, ap-southeast-2, ap-northeast-1, eu-central-1, eu-west-2), largest 50,000 (us-east-1, us-west-2, eu-west-1; uncertain: 30,000 in AWS's 2020 documentation, 50,000 reported since but not seen verbatim) (default: the class of the component's Region by its name, standard for a Region not listed)",
            },
            Key {
                name: "quota_enforcement",
                ty: KeyType::Word(ENFORCEMENTS),
                required: false,
                about: "how the per-second quota is metered: fixed_window (at most the quota in each whole second, as AWS's throttling page illustrates it) or token_bucket (refilled at the quota, holding one second's worth, full at the start, a choice); all kms components must agree (default fixed_window)",
            },
            Key {
                name: "customer_managed_keys",
                ty: KeyType::Integer { min: 0, max: config::MAX_KEYS },
                required: false,
                about: "the customer managed keys its requests use, each billed $1.00 a month, prorated; 0 for AWS managed keys (aws/s3, aws/lambda), which cost nothing a month (default 1)",
            },
            Key {
                name: "latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time an accepted request takes at KMS, which AWS does not document (a choice) (default lognormal, median 3 ms, p99 10 ms)",
            },
        ],
        faults: &[],
        series: &[&REQUESTS, &THROTTLES, &QUOTA],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests received in the measured period",
            },
            Field {
                path: "throttles",
                unit: Unit::Count,
                about: "requests refused with 400 (ThrottlingException) because the account's quota was spent",
            },
            Field {
                path: "throttle_fraction",
                unit: Unit::Share,
                about: "share of requests throttled",
            },
            Field {
                path: "quota_rps",
                unit: Unit::Number,
                about: "the account's symmetric-crypto quota in its Region, shared with every kms component there [requests/s]",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "accepted requests at $0.03 per 10,000 and customer managed keys at $1.00 a month, prorated (AWS's pricing page; throttled requests not billed, a choice; the free tier left out)",
            },
            crate::components::kind::BY_STATUS,
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "throttled, of requests",
                field: "throttle_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "requests",
                field: "requests",
                unit: Unit::Count,
            },
            Column {
                label: "account quota",
                field: "quota_rps",
                unit: Unit::Number,
            },
            crate::components::kind::COST_COLUMN,
            crate::components::kind::LATE_REPLIES_COLUMN,
        ],
        panels: &[PlotPanel {
            axis: "requests/s",
            lines: &[
                PlotLine {
                    series: &REQUESTS,
                    label: "received",
                    tone: Tone::Offered,
                    scale: 1.0,
                },
                PlotLine {
                    series: &THROTTLES,
                    label: "throttled (400)",
                    tone: Tone::Bad,
                    scale: 1.0,
                },
                PlotLine {
                    series: &QUOTA,
                    label: "account quota",
                    tone: Tone::Limit,
                    scale: 1.0,
                },
            ],
            y_max: None,
        }],
        events: &[],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[ResourceMap {
            cloudformation: &["AWS::KMS::Key"],
            terraform: &["aws_kms_key"],
            map: import_key,
        }],
        companions: &[],
        downstream: Downstream::None,
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let quota = shared.kms[env.region.as_str()].clone();
        Box::new(super::Kms::new(self.clone(), env, quota))
    }

    /// A caller's request decrypts a data key (`Decrypt`); one carrying a write (an
    /// operation named `write`, `put`, `copy` or `post`) asks for a new one
    /// (`GenerateDataKey`), as S3's SSE-KMS does for a PUT. aws-facts: §19 IAM errors:
    /// `AccessDeniedException`.
    fn iam_action(&self, _op: u16, name: &str) -> Option<IamAction> {
        let name = match name {
            "write" | "put" | "copy" | "post" => "GenerateDataKey",
            _ => "Decrypt",
        };
        Some(IamAction {
            name,
            part: "",
            error: "AccessDeniedException",
        })
    }

    fn iam_resource(&self, id: &str, region: &str) -> Option<String> {
        Some(format!("arn:aws:kms:{region}:{ACCOUNT_ID}:key/{id}"))
    }

    fn sdk_service(&self) -> Option<SdkService> {
        Some(SDK_SERVICE)
    }

    /// aws-facts: §12 KMS: one quota per account and Region; the first component's statement
    /// of it is the Region's (`relate` refuses any of the Region that disagrees).
    fn claim(&self, claims: &mut AccountClaims) {
        claims.kms_quota.get_or_insert(self.quota);
    }

    fn relate(&mut self, me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        let region = rel.regions[me].clone();
        if !self.class_written {
            self.region_class = config::class_of_region(&region);
            self.quota.rps = config::quota_of(self.region_class);
        }
        match rel.kms_quota.iter().find(|(r, ..)| *r == region) {
            None => {
                rel.kms_quota.push((region, me, self.quota_words()));
                true
            }
            Some((_, _, words)) if *words == self.quota_words() => true,
            Some((_, first, words)) => {
                ck.error(
                    self.quota_span.clone(),
                    format!(
                        "every kms component in {} draws on the account's one quota there, which \"{}\" states as {words}; this one says {}",
                        crate::components::region_words(&region),
                        rel.ids[*first],
                        self.quota_words()
                    ),
                );
                false
            }
        }
    }
}

/// KMS as its SDK clients see it: ThrottlingException (400) is a throttling error, and the
/// SDKs' figures for services other than DynamoDB apply (aws-facts: §12 KMS: SDKs retry it
/// with backoff; §7 SDK retries).
pub const SDK_SERVICE: SdkService = SdkService {
    throttles: &[THROTTLED],
    family: ServiceFamily::Other,
};

// What `archsim import` makes of a template's keys.

/// A key: symmetric keys are what archsim models; the Region's quota class is a choice the
/// template cannot make.
fn import_key(r: &Resource<'_>, m: &mut Mapped) {
    let spec = r
        .text("KeySpec")
        .or_else(|| r.text("customer_master_key_spec"));
    if let Some(spec) = spec.filter(|s| *s != "SYMMETRIC_DEFAULT") {
        m.note(format!(
            "{} is a {spec} key: simulated with the symmetric quota",
            r.name
        ));
    }
}
