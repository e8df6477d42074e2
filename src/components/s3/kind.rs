//! What `s3` declares about itself: its keys, series, summary fields, columns, plot panels
//! and events, the retries AWS's SDKs apply to it, and its use of KMS.

use super::config::{self, S3Config, CLASSES, ENCRYPTIONS, ENFORCEMENTS, NAMINGS, TIERS};
use super::SLOW_DOWN;
use crate::components::iac::{string, Downstream, Imports, Mapped, Resource, ResourceMap};
use crate::components::kind::{
    Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, LatencySeries, Mark,
    PlotLine, PlotPanel, Relations, Series, Tone, Unit,
};
use crate::components::kms::caller::KmsUse;
use crate::components::{BuildEnv, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::iam::IamAction;
use crate::limits::MAX_S3_PREFIXES;
use crate::retry::{SdkService, ServiceFamily};

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received (reads, writes and restores)",
};
pub(super) const SLOWDOWNS: Series = Series {
    id: "slowdowns_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 503 SlowDown: their partition's rate spent",
};
pub(super) const KMS_FAILURES: Series = Series {
    id: "kms_failures_rps",
    unit: Unit::PerSecond,
    about: "SSE-KMS requests answered 503 because KMS gave no key after the SDK's retries",
};
pub(super) const PREFLIGHTS: Series = Series {
    id: "preflights_rps",
    unit: Unit::PerSecond,
    about: "browsers' CORS preflights (OPTIONS) received",
};
pub(super) const PARTITIONS: Series = Series {
    id: "partitions",
    unit: Unit::Number,
    about: "partitions the bucket's prefixes are split over, time-averaged",
};
pub(super) static RESPONSE: LatencySeries = LatencySeries {
    p50: Series {
        id: "response_p50_ms",
        unit: Unit::Milliseconds,
        about: "median time from arrival to a successful answer",
    },
    p95: Series {
        id: "response_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the time from arrival to a successful answer",
    },
    p99: Series {
        id: "response_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the time from arrival to a successful answer",
    },
};

const OPS: KeyType = KeyType::Words;

/// A bucket's ARN (S3's ARNs name no region or account).
pub fn bucket_arn(id: &str) -> String {
    format!("arn:aws:s3:::{id}")
}

/// The objects of a bucket, beneath its ARN. A choice: archsim does not name objects, so an
/// object action names every key (`<bucket>/*`) and a statement grants it only when it
/// covers every key.
pub const OBJECTS: &str = "/*";

impl Kind for S3Config {
    // aws-facts: §19 IAM: S3's actions are `s3:*`.
    const IAM_PREFIX: Option<&'static str> = Some("s3");
    const IAM_ACTIONS: &'static [&'static str] = &[
        "GetObject",
        "PutObject",
        "DeleteObject",
        "ListBucket",
        "RestoreObject",
    ];
    const WRITE_OPS: Option<crate::components::kind::WriteOps> =
        Some(crate::components::kind::WriteOps {
            key: "writes",
            default: super::config::WRITES,
        });
    // A LIST names the bucket, every other call its objects.
    const IAM_PARTS: &'static [&'static str] = &[OBJECTS];
    const INFO: &'static KindInfo = &KindInfo {
        name: "s3",
        title: "Amazon S3",
        noun: "an S3 bucket",
        category: Category::Storage,
        about: "a bucket: partitions per prefix (3,500 writes and 5,500 reads per second each, 503 SlowDown beyond, split under sustained load), key naming, strong read-after-write consistency, storage classes, SSE-KMS and Bucket Keys, price",
        keys: &[
            Key {
                name: "key_naming",
                ty: KeyType::Word(NAMINGS),
                required: false,
                about: "how object keys are named: random (a hashed prefix per key, spread over `prefixes`) or sequential (date-stamped or increasing names, all under one prefix) (default random)",
            },
            Key {
                name: "prefixes",
                ty: KeyType::Integer { min: 1, max: MAX_S3_PREFIXES },
                required: false,
                about: "prefixes random naming spreads keys over; each can become a partition of its own (default 16, one hexadecimal character, a choice)",
            },
            Key {
                name: "partitions",
                ty: KeyType::Integer { min: 1, max: MAX_S3_PREFIXES },
                required: false,
                about: "partitions the bucket starts with, each an equal range of its prefixes (default 1, a new bucket)",
            },
            Key {
                name: "write_rps",
                ty: KeyType::Integer { min: 1, max: 1_000_000 },
                required: false,
                about: "PUT, COPY, POST and DELETE requests a partition admits per second (default 3,500, AWS's documented floor)",
            },
            Key {
                name: "read_rps",
                ty: KeyType::Integer { min: 1, max: 1_000_000 },
                required: false,
                about: "GET and HEAD requests a partition admits per second (default 5,500, AWS's documented floor)",
            },
            Key {
                name: "rate_enforcement",
                ty: KeyType::Word(ENFORCEMENTS),
                required: false,
                about: "how a partition's rates are metered, which AWS does not document (a choice): token_bucket (refilled at the rate, holding one second's worth) or fixed_window (at most the rate in each whole second) (default token_bucket)",
            },
            Key {
                name: "split_delay",
                ty: KeyType::Duration,
                required: false,
                about: "how long a partition must keep throttling (no pause over `split_gap`) before S3 splits its prefixes in two; undocumented, about 30–60 minutes reported (default 30m)",
            },
            Key {
                name: "split_gap",
                ty: KeyType::Duration,
                required: false,
                about: "the longest pause in a partition's throttling that still counts as sustained load: a longer one starts its clock towards a split again; AWS does not say what sustained means (default 1m, a choice: dips between bursts do not reset it)",
            },
            Key {
                name: "reads",
                ty: OPS,
                required: false,
                about: "operations that are reads (GET, HEAD); an operation listed nowhere is a read (default [\"read\", \"get\", \"head\"])",
            },
            Key {
                name: "writes",
                ty: OPS,
                required: false,
                about: "operations that are writes (PUT, COPY, POST, DELETE) (default [\"write\", \"put\", \"copy\", \"post\", \"delete\"]); \"delete\" and \"head\" carry no body, so SSE-KMS calls no KMS for them and DELETE is free",
            },
            Key {
                name: "restores",
                ty: OPS,
                required: false,
                about: "operations that restore an archived object (RestoreObject): 202 at once, the object readable after `restore_time` (default [\"restore\"])",
            },
            Key {
                name: "lists",
                ty: OPS,
                required: false,
                about: "operations that list the bucket's keys (ListObjectsV2): billed with PUT, COPY and POST ($0.005 per 1,000), no KMS call (no object is decrypted), IAM's s3:ListBucket on the bucket's ARN (not its objects'), drawn on the partition's read rate (a choice) (default [\"list\"])",
            },
            Key {
                name: "storage_class",
                ty: KeyType::Word(CLASSES),
                required: false,
                about: "the objects' storage class: standard, intelligent_tiering, standard_ia, onezone_ia, glacier_ir (milliseconds to the first byte), express_onezone (single-digit milliseconds), glacier_flexible or glacier_deep_archive (a GET is refused with 403 InvalidObjectState until the object is restored) (default standard)",
            },
            Key {
                name: "restore_tier",
                ty: KeyType::Word(TIERS),
                required: false,
                about: "archived classes only: how fast restores are: Glacier Flexible Retrieval expedited 1–5 min, standard 3–5 h, bulk 5–12 h; Deep Archive standard within 12 h, bulk within 48 h (default standard)",
            },
            Key {
                name: "restore_time",
                ty: KeyType::TimeDist,
                required: false,
                about: "archived classes only: time from a restore request until the object can be read (default uniform over the tier's documented range)",
            },
            Key {
                name: "read_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time to the first byte of a read: AWS says milliseconds, single-digit for Express One Zone (default lognormal median 15 ms, p99 60 ms; Express 3 ms / 9 ms: a choice)",
            },
            Key {
                name: "write_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time to answer a write (default lognormal median 25 ms, p99 100 ms; Express 3 ms / 9 ms: a choice)",
            },
            Key {
                name: "encryption",
                ty: KeyType::Word(ENCRYPTIONS),
                required: false,
                about: "sse-s3 (S3's own keys, no KMS call) or sse-kms (every PUT calls GenerateDataKey and every GET Decrypt on the KMS component named by `kms`) (default sse-s3)",
            },
            Key {
                name: "bucket_key",
                ty: KeyType::Bool,
                required: false,
                about: "SSE-KMS only: an S3 Bucket Key, a bucket-level key S3 fetches once per requester and reuses for `bucket_key_period`, cutting calls to KMS (default false)",
            },
            Key {
                name: "bucket_key_period",
                ty: KeyType::Duration,
                required: false,
                about: "how long S3 reuses a bucket-level key for a requester; AWS says \"a limited time period\" and no figure (default 5m, a choice)",
            },
            Key {
                name: "stored_gb",
                ty: KeyType::Number { min: 0.0, max: 1e12 },
                required: false,
                about: "data stored, for the storage price [GB] (default 0)",
            },
            Key {
                name: "internet_egress",
                ty: KeyType::Bool,
                required: false,
                about: "whether reads go out to the internet, priced per GB; transfer within the Region is free (default false)",
            },
            Key {
                name: "cors",
                ty: KeyType::Table(&[
                    crate::components::cors::ALLOW_ORIGINS,
                    crate::components::cors::MAX_AGE,
                ]),
                required: false,
                about: "its CORS rules: a browser's preflight is a request billed at the GET price that draws on its partition's read rate; without them a preflight is refused (403) (default: none)",
            },
        ],
        faults: &[],
        series: &[
            &REQUESTS,
            &SLOWDOWNS,
            &KMS_FAILURES,
            &PREFLIGHTS,
            &PARTITIONS,
            &RESPONSE.p50,
            &RESPONSE.p95,
            &RESPONSE.p99,
        ],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests received in the measured period",
            },
            Field {
                path: "slowdowns",
                unit: Unit::Count,
                about: "requests refused with 503 SlowDown",
            },
            Field {
                path: "slowdown_fraction",
                unit: Unit::Share,
                about: "share of requests refused with 503 SlowDown",
            },
            Field {
                path: "kms_failures",
                unit: Unit::Count,
                about: "SSE-KMS requests answered 503 because KMS gave no key after the SDK's retries",
            },
            Field {
                path: "kms_failure_fraction",
                unit: Unit::Share,
                about: "share of requests answered 503 because KMS gave no key (SSE-KMS buckets only)",
            },
            Field {
                path: "preflights",
                unit: Unit::Count,
                about: "browsers' CORS preflights received (counted in `requests`), with CORS rules or a browser workload only",
            },
            Field {
                path: "splits",
                unit: Unit::Count,
                about: "partitions split in the measured period",
            },
            Field {
                path: "partitions",
                unit: Unit::Number,
                about: "partitions at the end of the run",
            },
            Field {
                path: "partitions_max",
                unit: Unit::Number,
                about: "the most partitions at once",
            },
            Field {
                path: "archived_refused",
                unit: Unit::Count,
                about: "GETs of archived objects not yet restored, refused with 403 InvalidObjectState",
            },
            Field {
                path: "restores",
                unit: Unit::Count,
                about: "restore requests accepted (202)",
            },
            crate::components::kind::BY_STATUS,
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "S3 Standard's price (us-east-1) for the measured period: requests (5xx not billed, DELETE free), storage of `stored_gb`, transfer out to the internet; other classes unpriced",
            },
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "503 SlowDown, of requests",
                field: "slowdown_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "503 for want of a KMS key, of requests",
                field: "kms_failure_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "requests",
                field: "requests",
                unit: Unit::Count,
            },
            Column {
                label: "partitions",
                field: "partitions",
                unit: Unit::Number,
            },
            Column {
                label: "CORS preflights",
                field: "preflights",
                unit: Unit::Count,
            },
            crate::components::kind::COST_COLUMN,
            crate::components::kind::LATE_REPLIES_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "requests/s",
                lines: &[
                    PlotLine {
                        series: &REQUESTS,
                        label: "received",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &SLOWDOWNS,
                        label: "503 SlowDown",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &KMS_FAILURES,
                        label: "503, no key from KMS",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &PREFLIGHTS,
                        label: "CORS preflights",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "partitions",
                lines: &[PlotLine {
                    series: &PARTITIONS,
                    label: "partitions",
                    tone: Tone::Load,
                    scale: 1.0,
                }],
                y_max: None,
            },
        ],
        events: &[EventInfo {
            event: "prefix_split",
            mark: Mark::Instant,
        }],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[ResourceMap {
            cloudformation: &["AWS::S3::Bucket"],
            terraform: &["aws_s3_bucket"],
            map: import_bucket,
        }],
        companions: &[],
        downstream: Downstream::None,
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    /// Only S3 Standard is priced: a bucket of another class has no cost at all.
    fn unpriced(&self) -> Vec<&'static str> {
        match self.class_name {
            "standard" => Vec::new(),
            _ => vec!["storage and requests (only S3 Standard is priced)"],
        }
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    /// aws-facts: §21 S3 [?]: its error answers (503 SlowDown) are taken to carry the CORS
    /// headers when its rules allow the origin (a choice: the facts do not say).
    fn cors(&self) -> Option<crate::components::cors::CorsServer> {
        Some(crate::components::cors::CorsServer {
            rules: self.cors.clone(),
            errors_have_cors: true,
        })
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::S3::new(self.clone(), env))
    }

    /// A read asks for `GetObject` (a HEAD too: the S3 API reference's HeadObject needs
    /// `s3:GetObject`), a write for `PutObject` (`DeleteObject` for an operation named
    /// `delete`), a restore for `RestoreObject`, all on the bucket's objects (`<bucket>/*`).
    /// A LIST asks for `ListBucket` on the bucket itself: the S3 API reference's
    /// ListObjectsV2 needs "permission to perform the s3:ListBucket action"
    /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html), an action
    /// on the bucket resource (`arn:aws:s3:::<bucket>`), which a grant on `<bucket>/*` does
    /// not cover. aws-facts: §19 IAM errors: S3 answers a denial with `AccessDenied`.
    fn iam_action(&self, op: u16, name: &str) -> Option<IamAction> {
        let (name, part) = if self.lists.contains(&op) {
            ("ListBucket", "")
        } else if self.writes.contains(&op) {
            if name == "delete" {
                ("DeleteObject", OBJECTS)
            } else {
                ("PutObject", OBJECTS)
            }
        } else if self.restores.contains(&op) {
            ("RestoreObject", OBJECTS)
        } else {
            ("GetObject", OBJECTS)
        };
        Some(IamAction {
            name,
            part,
            error: "AccessDenied",
        })
    }

    /// aws-facts: §12 KMS: SSE-KMS asks KMS for a new data key on each write
    /// (`GenerateDataKey`) and decrypts one on each read (`Decrypt`); a DELETE or HEAD
    /// carries no body and asks for none, nor does a LIST, which reads no object, nor a
    /// RestoreObject, which S3 carries out on the stored object without a data key.
    fn kms_action(&self, op: u16) -> Option<&'static str> {
        if self.bodiless.contains(&op) || self.lists.contains(&op) || self.restores.contains(&op) {
            None
        } else if self.writes.contains(&op) {
            Some("GenerateDataKey")
        } else {
            Some("Decrypt")
        }
    }

    /// s3:UsingKMSEncryption.html: to upload or download an SSE-KMS object, the requester
    /// needs `kms:GenerateDataKey` or `kms:Decrypt` on the bucket's key; S3 asks KMS with the
    /// requester's credentials and answers 403 AccessDenied without them.
    const KMS_AS_CALLER: bool = true;

    /// The bucket; an object action names its objects beneath (`OBJECTS`).
    fn iam_resource(&self, id: &str, _region: &str) -> Option<String> {
        Some(bucket_arn(id))
    }

    fn sdk_service(&self) -> Option<SdkService> {
        Some(SDK_SERVICE)
    }

    fn kms_use(&self) -> KmsUse {
        if self.sse_kms {
            KmsUse::Own
        } else {
            KmsUse::Refused(
                "a bucket calls KMS only to encrypt with SSE-KMS: add encryption = \"sse-kms\"",
            )
        }
    }

    /// SSE-KMS needs the KMS component whose key encrypts the objects.
    fn relate(&mut self, me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        if self.sse_kms && rel.kms.get(me).is_some_and(Option::is_none) {
            ck.error(
                self.encryption_span.clone(),
                format!(
                    "\"{}\" encrypts with SSE-KMS: name the KMS component whose key it uses, `kms = \"…\"`",
                    rel.ids[me]
                ),
            );
            return false;
        }
        true
    }
}

/// S3 as its SDK clients see it: 503 SlowDown is a throttling error, which every SDK
/// retries (aws-facts: §8 request rates, "back off and retry"; §7 SDK retries).
pub const SDK_SERVICE: SdkService = SdkService {
    throttles: &[SLOW_DOWN],
    family: ServiceFamily::Other,
};

// What `archsim import` makes of a template's buckets.

/// A bucket: SSE-KMS with a key of the template, and its Bucket Key.
fn import_bucket(r: &Resource<'_>, m: &mut Mapped) {
    let rule = "BucketEncryption.ServerSideEncryptionConfiguration";
    let algorithm = r.text(&format!(
        "{rule}.ServerSideEncryptionByDefault.SSEAlgorithm"
    ));
    if algorithm == Some("aws:kms") {
        match r
            .refs(&format!("{rule}.ServerSideEncryptionByDefault.KMSMasterKeyID"))
            .into_iter()
            .next()
        {
            Some(key) => {
                m.set("encryption", string("sse-kms"), "SSEAlgorithm aws:kms");
                m.link("kms", key, "KMSMasterKeyID");
                if r.flag(&format!("{rule}.BucketKeyEnabled")) == Some(true) {
                    m.set("bucket_key", true, "BucketKeyEnabled");
                }
            }
            None => m.note(format!(
                "{} uses SSE-KMS with a key outside the template: add a kms component to simulate its calls",
                r.name
            )),
        }
    }
    if r.get("NotificationConfiguration").is_some() {
        // The consumers are what a user would drive by hand: named, so that the note says
        // what to do rather than what the import did (whether one gets a workload is decided
        // later, by what else calls it).
        let consumers = r.refs("NotificationConfiguration");
        let whom = match consumers.len() {
            0 => "their consumers".to_string(),
            _ => format!("their consumers ({})", consumers.join(", ")),
        };
        m.note(format!(
            "{}'s event notifications are not simulated: to study {whom}, give them a workload of their own",
            r.name
        ));
    }
}
