//! The `s3` table: its keys as written, and the validated config.

use crate::components::cors::{self, CorsRules};
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::limits::MAX_S3_PREFIXES;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// The operations a bucket takes as writes when its `writes` is not written.
pub const WRITES: &[&str] = &["write", "put", "copy", "post", "delete"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawS3 {
    key_naming: Option<Spanned<String>>,
    prefixes: Option<Spanned<i64>>,
    partitions: Option<Spanned<i64>>,
    write_rps: Option<Spanned<i64>>,
    read_rps: Option<Spanned<i64>>,
    rate_enforcement: Option<Spanned<String>>,
    split_delay: Option<Spanned<String>>,
    split_gap: Option<Spanned<String>>,
    reads: Option<Vec<Spanned<String>>>,
    writes: Option<Vec<Spanned<String>>>,
    restores: Option<Vec<Spanned<String>>>,
    lists: Option<Vec<Spanned<String>>>,
    storage_class: Option<Spanned<String>>,
    restore_tier: Option<Spanned<String>>,
    restore_time: Option<Spanned<RawDist>>,
    read_latency: Option<Spanned<RawDist>>,
    write_latency: Option<Spanned<RawDist>>,
    encryption: Option<Spanned<String>>,
    bucket_key: Option<Spanned<bool>>,
    bucket_key_period: Option<Spanned<String>>,
    stored_gb: Option<Spanned<f64>>,
    internet_egress: Option<bool>,
    cors: Option<Spanned<RawCors>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCors {
    allow_origins: Option<Vec<Spanned<String>>>,
    max_age: Option<Spanned<i64>>,
}

/// The words `key_naming` takes.
pub(super) const NAMINGS: &[&str] = &["random", "sequential"];
/// The words `rate_enforcement` takes.
pub(super) const ENFORCEMENTS: &[&str] = &["token_bucket", "fixed_window"];
/// The words `storage_class` takes (aws-facts: §8 storage classes).
pub(super) const CLASSES: &[&str] = &[
    "standard",
    "intelligent_tiering",
    "standard_ia",
    "onezone_ia",
    "glacier_ir",
    "glacier_flexible",
    "glacier_deep_archive",
    "express_onezone",
];
/// The words `restore_tier` takes.
pub(super) const TIERS: &[&str] = &["expedited", "standard", "bulk"];
/// The words `encryption` takes.
pub(super) const ENCRYPTIONS: &[&str] = &["sse-s3", "sse-kms"];

/// aws-facts: §8 request rates: at least 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD per
/// second per partitioned prefix.
pub(super) const WRITE_RPS: i64 = 3_500;
pub(super) const READ_RPS: i64 = 5_500;
/// The most requests per second a scenario may give one partition, on either side.
const MAX_PARTITION_RPS: i64 = 1_000_000;
/// aws-facts: §8 request rates: re-partitioning time is undocumented; a re:Post comment says
/// about 30–60 minutes [?]. 30 minutes, the low end, is the default: a choice.
const SPLIT_DELAY: SimTime = SimTime::from_secs(30 * 60);
/// aws-facts: §8 request rates: S3 splits under sustained load, and says nothing of what
/// sustained means. A partition whose throttling pauses for no more than this is still
/// under sustained load (its clock towards a split runs on): a choice, long enough that a
/// load with short dips (seconds below the rate between bursts above it) counts as the
/// sustained load it is, and short against the split delay.
const SPLIT_GAP: SimTime = SimTime::from_secs(60);
/// Random prefixes spread keys over 16 by default (one hexadecimal character, the usual
/// advice): a choice.
const PREFIXES: i64 = 16;
/// How long S3 keeps a bucket-level key for a requester: AWS says "a limited time period"
/// (`s3:bucket-key.html`) and no figure; 5 minutes is a choice.
const BUCKET_KEY_PERIOD: SimTime = SimTime::from_secs(300);

/// How keys are named, which decides which prefix a key falls under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// A random (hashed) prefix per key: keys spread over `prefixes` prefixes.
    Random,
    /// Sequential names (date-stamped, increasing): every key under one prefix.
    Sequential,
}

/// How a partition's per-second rates are metered. AWS documents rates per second and
/// nothing of how they are metered: a choice, left to the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enforcement {
    /// A token bucket refilled at the rate, holding one second's worth, full at the start.
    TokenBucket,
    /// At most the rate in each whole second.
    FixedWindow,
}

/// A storage class and what it does to a GET (aws-facts: §8 storage classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Milliseconds to the first byte.
    Instant,
    /// Single-digit milliseconds (S3 Express One Zone).
    Express,
    /// Archived: a GET is refused until the object is restored (Glacier Flexible Retrieval,
    /// Deep Archive).
    Archive,
}

/// A validated `s3` bucket.
#[derive(Clone, Debug)]
pub struct S3Config {
    /// How keys map to prefixes.
    pub naming: Naming,
    /// Prefixes random naming spreads keys over [prefixes].
    pub prefixes: u32,
    /// Partitions the bucket starts with, each holding an equal range of prefixes.
    pub partitions: u32,
    /// Writes (PUT, COPY, POST, DELETE) a partition admits [requests/s].
    pub write_rps: u32,
    /// Reads (GET, HEAD) a partition admits [requests/s].
    pub read_rps: u32,
    /// How those rates are metered.
    pub enforcement: Enforcement,
    /// How long a partition must be throttling before S3 splits it [ns].
    pub split_delay: SimTime,
    /// The longest pause in a partition's throttling that still counts as sustained load
    /// towards a split [s].
    pub split_gap: SimTime,
    /// Operations that are reads (GET, HEAD); any op not listed as a write or restore is one.
    pub reads: Vec<u16>,
    /// Operations that are writes (PUT, COPY, POST, DELETE).
    pub writes: Vec<u16>,
    /// Operations that list the bucket's keys (ListObjectsV2).
    pub lists: Vec<u16>,
    /// Operations that start a restore of an archived object (RestoreObject).
    pub restores: Vec<u16>,
    /// Operations that carry no object body, so SSE-KMS makes no KMS call for them (DELETE,
    /// HEAD).
    pub bodiless: Vec<u16>,
    /// The storage class's name.
    pub class_name: &'static str,
    /// What the class does to a GET.
    pub class: Class,
    /// Time from a restore request until the object can be read [s].
    pub restore_time: Dist,
    /// Time to the first byte of a read [s].
    pub read_latency: Dist,
    /// Time to answer a write [s].
    pub write_latency: Dist,
    /// Whether objects are encrypted with SSE-KMS (else SSE-S3, which calls no KMS).
    pub sse_kms: bool,
    /// Where `encryption` is written (the table when it is not), for messages.
    pub encryption_span: Range<usize>,
    /// How long a bucket-level key serves a requester; `None`: no S3 Bucket Key [ns].
    pub bucket_key: Option<SimTime>,
    /// Data stored, for the storage price [GB].
    pub stored_gb: f64,
    /// Whether reads leave AWS (to the internet), priced per GB; in-Region transfer is free.
    pub internet_egress: bool,
    /// Its CORS rules (`AllowedOrigins`, `MaxAgeSeconds`); `None`: none, and a browser's
    /// preflight is refused.
    pub cors: Option<CorsRules>,
}

/// aws-facts: §8 storage classes: "ms" first-byte retrieval; the facts give no figure, so a
/// lognormal of median 15 ms and p99 60 ms (reads) and 25 ms / 100 ms (writes) is a choice.
fn instant_read() -> Dist {
    Dist::lognormal_median_p99(0.015, 0.060).expect("valid")
}
fn instant_write() -> Dist {
    Dist::lognormal_median_p99(0.025, 0.100).expect("valid")
}
/// aws-facts: §8 storage classes: Express One Zone, single-digit milliseconds; median 3 ms
/// and p99 9 ms is a choice.
fn express() -> Dist {
    Dist::lognormal_median_p99(0.003, 0.009).expect("valid")
}

/// The time a restore takes, by class and tier (aws-facts: §8 storage classes): Glacier
/// Flexible Retrieval expedited 1–5 min, standard 3–5 h, bulk 5–12 h; Deep Archive standard
/// within 12 h, bulk within 48 h. Uniform over each range is a choice.
fn restore_default(class: &str, tier: &str) -> Option<Dist> {
    let h = 3600.0;
    let (min, max) = match (class, tier) {
        ("glacier_flexible", "expedited") => (60.0, 300.0),
        ("glacier_flexible", "standard") => (3.0 * h, 5.0 * h),
        ("glacier_flexible", "bulk") => (5.0 * h, 12.0 * h),
        ("glacier_deep_archive", "standard") => (0.0, 12.0 * h),
        ("glacier_deep_archive", "bulk") => (0.0, 48.0 * h),
        _ => return None,
    };
    Some(Dist::Uniform { min, max })
}

/// Op names listed under `key`, interned; `default` when the key is absent.
fn ops(list: &Option<Vec<Spanned<String>>>, default: &[&str], ck: &mut Checker) -> Vec<u16> {
    const MEANS: &str = "a bucket, and it takes an operation it lists nowhere as a read (GET)";
    match list {
        None => default.iter().map(|o| ck.op(o, MEANS)).collect(),
        Some(l) => l.iter().map(|o| ck.op(o.get_ref(), MEANS)).collect(),
    }
}

/// Reads and validates an `s3` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<S3Config> {
    let whole = table.span();
    let raw: RawS3 = ck.deserialize(table)?;
    let naming = ck
        .one_of_or(&raw.key_naming, "key_naming", NAMINGS, "random")
        .map(|n| match n {
            "sequential" => Naming::Sequential,
            _ => Naming::Random,
        });
    let prefixes = ck.int_or(&raw.prefixes, "prefixes", (1, MAX_S3_PREFIXES), PREFIXES);
    let partitions = ck.int_or(&raw.partitions, "partitions", (1, MAX_S3_PREFIXES), 1);
    if let (Some(p), Some(n), Some(at)) = (prefixes, partitions, &raw.partitions) {
        if n > p {
            ck.error(
                at.span(),
                format!("`partitions` is {n}, more than the bucket's {p} `prefixes`: a partition holds at least one prefix"),
            );
        }
    }
    let write_rps = ck.int_or(
        &raw.write_rps,
        "write_rps",
        (1, MAX_PARTITION_RPS),
        WRITE_RPS,
    );
    let read_rps = ck.int_or(&raw.read_rps, "read_rps", (1, MAX_PARTITION_RPS), READ_RPS);
    let enforcement = ck
        .one_of_or(
            &raw.rate_enforcement,
            "rate_enforcement",
            ENFORCEMENTS,
            "token_bucket",
        )
        .map(|e| match e {
            "fixed_window" => Enforcement::FixedWindow,
            _ => Enforcement::TokenBucket,
        });
    let split_delay = ck.positive_duration_or(&raw.split_delay, "split_delay", SPLIT_DELAY);
    let split_gap = ck.positive_duration_or(&raw.split_gap, "split_gap", SPLIT_GAP);
    let reads = ops(&raw.reads, &["read", "get", "head"], ck);
    let writes = ops(&raw.writes, WRITES, ck);
    let restores = ops(&raw.restores, &["restore"], ck);
    let lists = ops(&raw.lists, &["list"], ck);
    let bodiless = ["delete", "head"]
        .map(|o| {
            ck.op(
                o,
                "a bucket, and it takes an operation it lists nowhere as a read (GET)",
            )
        })
        .to_vec();
    let class_name = ck.one_of_or(&raw.storage_class, "storage_class", CLASSES, "standard");
    let class = class_name.map(|c| match c {
        "glacier_flexible" | "glacier_deep_archive" => Class::Archive,
        "express_onezone" => Class::Express,
        _ => Class::Instant,
    });
    let restore_time = parse_restore(&raw, class_name, ck);
    let (read_default, write_default) = match class {
        Some(Class::Express) => (express(), express()),
        _ => (instant_read(), instant_write()),
    };
    let read_latency = ck.time_dist_or(&raw.read_latency, "read_latency", read_default);
    let write_latency = ck.time_dist_or(&raw.write_latency, "write_latency", write_default);
    let sse_kms = ck
        .one_of_or(&raw.encryption, "encryption", ENCRYPTIONS, "sse-s3")
        .map(|e| e == "sse-kms");
    let period = ck.positive_duration_or(
        &raw.bucket_key_period,
        "bucket_key_period",
        BUCKET_KEY_PERIOD,
    );
    let bucket_key = match (&raw.bucket_key, sse_kms) {
        (Some(b), Some(false)) if *b.get_ref() => {
            ck.error(
                b.span(),
                "an S3 Bucket Key cuts SSE-KMS's calls to KMS: `bucket_key = true` needs encryption = \"sse-kms\"",
            );
            None
        }
        (Some(b), _) if *b.get_ref() => period.map(Some),
        _ => Some(None),
    };
    let cors = ck.or(&raw.cors, None, |ck, c| {
        let cr = c.get_ref();
        cors::rules(ck, c.span(), &cr.allow_origins, &cr.max_age).map(Some)
    });
    let stored_gb = ck.or(&raw.stored_gb, 0.0, |ck, v| {
        ck.non_negative(v, "stored_gb", "data stored [GB]")
    });
    Some(S3Config {
        naming: naming?,
        prefixes: prefixes? as u32,
        partitions: partitions? as u32,
        write_rps: write_rps? as u32,
        read_rps: read_rps? as u32,
        enforcement: enforcement?,
        split_delay: split_delay?,
        split_gap: split_gap?,
        reads,
        writes,
        lists,
        restores,
        bodiless,
        class_name: class_name?,
        class: class?,
        restore_time: restore_time?,
        read_latency: read_latency?,
        write_latency: write_latency?,
        sse_kms: sse_kms?,
        encryption_span: raw
            .encryption
            .as_ref()
            .map_or(whole.start..whole.start, |e| e.span()),
        bucket_key: bucket_key?,
        stored_gb: stored_gb?,
        internet_egress: raw.internet_egress.unwrap_or(false),
        cors: cors?,
    })
}

/// `restore_tier` and `restore_time`, which only archived classes take.
fn parse_restore(raw: &RawS3, class: Option<&str>, ck: &mut Checker) -> Option<Dist> {
    let class = class?;
    let archived = matches!(class, "glacier_flexible" | "glacier_deep_archive");
    if !archived {
        for (key, span) in [
            ("restore_tier", raw.restore_tier.as_ref().map(|t| t.span())),
            ("restore_time", raw.restore_time.as_ref().map(|t| t.span())),
        ] {
            if let Some(span) = span {
                ck.error(
                    span,
                    format!("`{key}` applies to archived objects: storage_class glacier_flexible or glacier_deep_archive, not {class}"),
                );
                return None;
            }
        }
        return Some(Dist::Uniform { min: 0.0, max: 0.0 });
    }
    let tier = ck.one_of_or(&raw.restore_tier, "restore_tier", TIERS, "standard")?;
    let Some(default) = restore_default(class, tier) else {
        let span = raw.restore_tier.as_ref().map(|t| t.span())?;
        ck.error(
            span,
            "Glacier Deep Archive restores are standard (within 12 h) or bulk (within 48 h); it has no expedited tier",
        );
        return None;
    };
    ck.time_dist_or(&raw.restore_time, "restore_time", default)
}

impl S3Config {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let naming = match self.naming {
            Naming::Random => format!("random prefixes ({})", self.prefixes),
            Naming::Sequential => "sequential keys (one prefix)".to_string(),
        };
        let mut l = vec![
            naming,
            format!(
                "{} partition(s), {}/{} rps each",
                self.partitions, self.write_rps, self.read_rps
            ),
            format!("storage class {}", self.class_name),
        ];
        if self.sse_kms {
            l.push(if self.bucket_key.is_some() {
                "SSE-KMS, Bucket Key".to_string()
            } else {
                "SSE-KMS".to_string()
            });
        }
        l
    }
}
