//! The `lambda` table: its keys as written, and the validated config.

use crate::config::raw::{RawCall, RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker};
use crate::dist::Dist;
use crate::kernel::SimTime;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLambda {
    memory_mb: Option<Spanned<i64>>,
    architecture: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    runtime: Option<Spanned<String>>,
    init: Option<Spanned<RawDist>>,
    work: Spanned<RawDist>,
    error_rate: Option<Spanned<f64>>,
    error_ops: Option<Vec<Spanned<String>>>,
    reserved_concurrency: Option<Spanned<i64>>,
    provisioned_concurrency: Option<Spanned<i64>>,
    idle_lifetime: Option<Spanned<String>>,
    scaling_rate: Option<Spanned<i64>>,
    reuse: Option<Spanned<String>>,
    batch_calls: Option<Spanned<String>>,
    canary: Option<Spanned<RawCanary>>,
    #[serde(default)]
    calls: Vec<RawCall>,
    async_invocation: Option<Spanned<RawAsync>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAsync {
    maximum_retry_attempts: Option<Spanned<i64>>,
    maximum_event_age: Option<Spanned<String>>,
    on_failure: Option<Spanned<String>>,
    duplicates: Option<Spanned<f64>>,
}

/// How the function treats events invoked asynchronously (aws-facts: §14 Lambda
/// asynchronous invocation): its `async_invocation` table, AWS's defaults without one.
#[derive(Clone, Debug)]
pub struct AsyncConfig {
    /// Retries after a function error: 0–2 (default 2).
    pub maximum_retry_attempts: u32,
    /// An event older than this is discarded rather than run: 60 s–6 h (default 6 h).
    pub maximum_event_age: SimTime,
    /// Whether the last of the function's calls is its on-failure destination, which gets
    /// each discarded event.
    pub on_failure: bool,
    /// The share of events delivered twice (at-least-once delivery). AWS documents that
    /// duplicates happen, not how often: a choice, 0 by default.
    pub duplicates: f64,
}

impl Default for AsyncConfig {
    fn default() -> AsyncConfig {
        AsyncConfig {
            maximum_retry_attempts: MAX_ASYNC_RETRIES as u32,
            maximum_event_age: MAX_EVENT_AGE,
            on_failure: false,
            duplicates: 0.0,
        }
    }
}

/// aws-facts: §14: `MaximumRetryAttempts` 0–2 (default 2); `MaximumEventAgeInSeconds`
/// 60–21,600 (default the maximum).
pub const MAX_ASYNC_RETRIES: i64 = 2;
pub const MIN_EVENT_AGE: SimTime = SimTime::from_secs(60);
pub const MAX_EVENT_AGE: SimTime = SimTime::from_secs(21_600);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCanary {
    weight: Spanned<f64>,
    work: Option<Spanned<RawDist>>,
    init: Option<Spanned<RawDist>>,
    error_rate: Option<Spanned<f64>>,
}

/// What a version of the function does.
#[derive(Clone, Debug)]
pub struct Version {
    /// Init duration of a new environment [s].
    pub init: Dist,
    /// Handler time at one full vCPU or more [s]; scaled up below 1,769 MB.
    pub work: Dist,
    /// Probability that an invocation fails with an unhandled error [0–1].
    pub error_rate: f64,
}

/// Which idle environment a request is given when several are warm. AWS does not document
/// it (aws-facts: §2 environment reuse [?]): a choice, made explicit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reuse {
    /// The most recently used: a few environments stay hot and the rest idle out.
    Mru,
    /// The most recently created.
    Newest,
}

/// The function's instruction set architecture (`Architectures` in Lambda's CreateFunction).
/// It sets the duration price only: `work` is what the handler takes on the architecture
/// chosen, as measured there; archsim does not guess a speed-up from one to the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// 64-bit x86.
    X86_64,
    /// 64-bit Arm (AWS Graviton2).
    Arm64,
}

/// The words `architecture` takes, as AWS spells them, and the default: CreateFunction's
/// `Architectures` defaults to x86_64.
pub const ARCHITECTURE_NAMES: [&str; 2] = ["x86_64", "arm64"];
pub const DEFAULT_ARCHITECTURE: &str = "x86_64";

impl Architecture {
    /// AWS's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Architecture::X86_64 => ARCHITECTURE_NAMES[0],
            Architecture::Arm64 => ARCHITECTURE_NAMES[1],
        }
    }
}

/// What the handler's `calls` are made for when an invocation carries a batch (a queue's
/// messages, a stream's records): for each message in turn (`per_message`, a handler that
/// loops over its records, writing or publishing each one) or once for the batch
/// (`per_batch`, a handler that writes or sends them in one call: a BatchWriteItem, a
/// SendMessageBatch, a PublishBatch, cut to what the callee's batch action takes). It is the
/// function's own code, which AWS cannot say: a choice, per message by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchCalls {
    /// Each message's calls in turn, after the batch's work.
    PerMessage,
    /// The calls once for the whole batch (to a callee with batch actions, a call per
    /// action and as many entries as it takes: `PerBatch::plan`); under a partial answer
    /// for the messages done, not at all when every message failed.
    PerBatch,
}

/// The words `batch_calls` takes, and the default.
pub const BATCH_CALLS_NAMES: [&str; 2] = ["per_message", "per_batch"];
pub const DEFAULT_BATCH_CALLS: &str = "per_message";

/// The words `reuse` takes, and the default.
pub const REUSE_NAMES: [&str; 2] = ["mru", "newest"];
pub const DEFAULT_REUSE: &str = "mru";

/// A validated `lambda` function.
#[derive(Clone, Debug)]
pub struct LambdaConfig {
    /// Memory, which also sets the CPU share [MB].
    pub memory_mb: u32,
    /// The instruction set architecture, which sets the duration price.
    pub architecture: Architecture,
    /// The function timeout: an invocation still running then fails [s].
    pub timeout: SimTime,
    /// The version the alias routes to by default.
    pub base: Version,
    /// A second version and the share of invocations the alias routes to it [0–1].
    pub canary: Option<(f64, Version)>,
    /// Reserved concurrency, the function's guarantee and ceiling [executions]; `None`: it
    /// draws on the account's unreserved pool.
    pub reserved: Option<u32>,
    /// Environments initialised before the first request and never recycled [environments].
    pub provisioned: u32,
    /// Where the concurrency it sets aside (`set_aside`) is written: `reserved_concurrency`,
    /// else `provisioned_concurrency`; `None` when it sets none aside.
    pub set_aside_span: Option<std::ops::Range<usize>>,
    /// How long an idle on-demand environment lives before it is recycled [s].
    pub idle_lifetime: SimTime,
    /// New environments it may create per 10 seconds [environments].
    pub scaling_per_10s: u32,
    /// Which warm environment an invocation is given.
    pub reuse: Reuse,
    /// Whether a batch's invocation makes its calls for each message or once.
    pub batch_calls: BatchCalls,
    /// Where `batch_calls` is written, if it is: per_batch is warned of there when no queue
    /// or stream invokes the function with batches.
    pub batch_calls_span: Option<std::ops::Range<usize>>,
    /// Its downstream calls, made in turn by the handler after its own work.
    pub calls: Vec<CallSpec>,
    /// Operations whose invocations always fail (a poison message: one the handler cannot
    /// process, however often it is tried), whatever `error_rate` says.
    pub error_ops: Vec<u16>,
    /// Asynchronous invocation: retries, event age, destination.
    pub asynchronous: AsyncConfig,
}

// aws-facts: §2 limits: memory 128-10,240 MB; timeout at most 900 s. AWS's defaults for a new
// function are 128 MB and 3 s.
pub const MIN_MEMORY_MB: i64 = 128;
pub const MAX_MEMORY_MB: i64 = 10_240;
pub const DEFAULT_MEMORY_MB: i64 = 128;
pub const DEFAULT_TIMEOUT: SimTime = SimTime::from_secs(3);
pub const MAX_TIMEOUT: SimTime = SimTime::from_secs(900);
/// The longest an Init phase runs before Lambda cuts it (aws-facts: §2 limits); an `init`
/// whose mean is longer is refused.
pub const MAX_INIT: SimTime = SimTime::from_secs(10);
/// The most reserved or provisioned concurrency a function may have [executions]: a bound on
/// the environments kept in memory, far above any account's quota.
pub const MAX_CONCURRENCY: i64 = 1_000_000;
/// aws-facts: §2 environment reuse [?]: an idle environment lives about 10 minutes.
pub const DEFAULT_IDLE_LIFETIME: SimTime = SimTime::from_secs(600);
/// aws-facts: §2 scaling rate: since 2023-11, up to 1,000 new environments per 10 s.
pub const DEFAULT_SCALING_RATE: i64 = 1000;
pub const MAX_SCALING_RATE: i64 = 1_000_000;

/// Hello-world init durations by runtime, as uniform ranges [ms] (aws-facts: §2 cold starts:
/// gh:maxday/lambda-perf, December 2025, measured on 128-1,024 MB). Real functions with SDKs
/// and frameworks take 300 ms to over a second: set `init` for them.
const RUNTIMES: [(&str, f64, f64); 17] = [
    // AWS's runtime identifiers. aws-facts: Node 20/22 ~120-150 ms.
    ("nodejs20.x", 120.0, 150.0),
    ("nodejs22.x", 120.0, 150.0),
    // aws-facts: Python 3.12/3.13 ~70-110 ms.
    ("python3.12", 70.0, 110.0),
    ("python3.13", 70.0, 110.0),
    // aws-facts: Java 17/21 without SnapStart ~185-270 ms.
    ("java17", 185.0, 270.0),
    ("java21", 185.0, 270.0),
    // aws-facts: .NET 8 ~245-285 ms.
    ("dotnet8", 245.0, 285.0),
    // aws-facts: Ruby ~190-240 ms, no version named; that it holds for both current managed
    // Ruby runtimes is a choice.
    ("ruby3.3", 190.0, 240.0),
    ("ruby3.4", 190.0, 240.0),
    // aws-facts: Go on provided.al2023 ~40-55 ms (a Go binary, the usual tenant of the OS-only
    // runtime; a Rust binary on it starts faster: `rust`).
    ("provided.al2023", 40.0, 55.0),
    // A language without a version, with the same measured ranges; Rust, like Go, runs on
    // provided.al2023 (aws-facts: Rust ~11-16 ms).
    ("nodejs", 120.0, 150.0),
    ("python", 70.0, 110.0),
    ("java", 185.0, 270.0),
    ("dotnet", 245.0, 285.0),
    ("ruby", 190.0, 240.0),
    ("go", 40.0, 55.0),
    ("rust", 11.0, 16.0),
];

/// The words `runtime` takes, in the order of `RUNTIMES`.
pub const RUNTIME_NAMES: [&str; RUNTIMES.len()] = {
    let mut names = [""; RUNTIMES.len()];
    let mut i = 0;
    while i < RUNTIMES.len() {
        names[i] = RUNTIMES[i].0;
        i += 1;
    }
    names
};

/// The init time when neither `runtime` nor `init` is given: Node.js's (120-150 ms).
fn default_init() -> Dist {
    Dist::Uniform {
        min: 0.120,
        max: 0.150,
    }
}

/// A probability from 0 to 1.
fn probability(ck: &mut Checker, e: &Spanned<f64>, key: &str) -> Option<f64> {
    let x = *e.get_ref();
    if (0.0..=1.0).contains(&x) {
        return Some(x);
    }
    ck.value_error(
        e.span(),
        format!("`{key}` must be a probability from 0 to 1, not {x}"),
    );
    None
}

/// The typical init time of a runtime named by `runtime`.
fn runtime_init(ck: &mut Checker, r: &Spanned<String>) -> Option<Dist> {
    let name = ck.one_of(r, "runtime", &RUNTIME_NAMES)?;
    RUNTIMES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, lo, hi)| Dist::Uniform {
            min: lo / 1e3,
            max: hi / 1e3,
        })
}

/// The `async_invocation` table; an on-failure destination becomes a last call, made
/// asynchronously (a queue stores it; a function queues it as an event).
fn async_config(
    ck: &mut Checker,
    a: &Spanned<RawAsync>,
    calls: &mut Vec<CallSpec>,
) -> Option<AsyncConfig> {
    let a = a.get_ref();
    let retries = ck.int_or(
        &a.maximum_retry_attempts,
        "async_invocation.maximum_retry_attempts",
        (0, MAX_ASYNC_RETRIES),
        MAX_ASYNC_RETRIES,
    );
    let age = ck.or(&a.maximum_event_age, MAX_EVENT_AGE, |ck, t| {
        match ck.duration(t, "async_invocation.maximum_event_age") {
            Some(d) if (MIN_EVENT_AGE..=MAX_EVENT_AGE).contains(&d) => Some(d),
            Some(_) => {
                ck.value_error(
                    t.span(),
                    format!(
                        "`async_invocation.maximum_event_age` ({}) must be from 60s to 6h",
                        crate::text::printable(t.get_ref())
                    ),
                );
                None
            }
            None => None,
        }
    });
    let duplicates = ck.or(&a.duplicates, 0.0, |ck, e| {
        probability(ck, e, "async_invocation.duplicates")
    });
    let on_failure = match &a.on_failure {
        None => Some(false),
        Some(id) => ck.component(id, "async_invocation.on_failure").map(|to| {
            calls.push(CallSpec {
                asynchronous: Some(id.span()),
                ..CallSpec::to(to)
            });
            true
        }),
    };
    Some(AsyncConfig {
        maximum_retry_attempts: retries? as u32,
        maximum_event_age: age?,
        on_failure: on_failure?,
        duplicates: duplicates?,
    })
}

/// The canary version of `canary`, with what it leaves out taken from `base`.
fn canary(ck: &mut Checker, c: &Spanned<RawCanary>, base: &Version) -> Option<(f64, Version)> {
    let cr = c.get_ref();
    let weight = match *cr.weight.get_ref() {
        w if w > 0.0 && w < 1.0 => Some(w),
        w => {
            ck.value_error(
                cr.weight.span(),
                format!("`canary.weight` is the canary's share of invocations, above 0 and below 1, not {w}"),
            );
            None
        }
    };
    let work = ck.time_dist_or(&cr.work, "canary.work", base.work.clone());
    let init = ck.time_dist_or(&cr.init, "canary.init", base.init.clone());
    let error_rate = ck.or(&cr.error_rate, base.error_rate, |ck, e| {
        probability(ck, e, "canary.error_rate")
    });
    Some((
        weight?,
        Version {
            init: init?,
            work: work?,
            error_rate: error_rate?,
        },
    ))
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<LambdaConfig> {
    let raw: RawLambda = ck.deserialize(table)?;
    let memory_mb = ck.int_or(
        &raw.memory_mb,
        "memory_mb",
        (MIN_MEMORY_MB, MAX_MEMORY_MB),
        DEFAULT_MEMORY_MB,
    );
    let architecture = ck
        .one_of_or(
            &raw.architecture,
            "architecture",
            &ARCHITECTURE_NAMES,
            DEFAULT_ARCHITECTURE,
        )
        .map(|w| {
            if w == "arm64" {
                Architecture::Arm64
            } else {
                Architecture::X86_64
            }
        });
    let timeout = ck.or(&raw.timeout, DEFAULT_TIMEOUT, |ck, t| {
        match ck.positive_duration(t, "timeout") {
            Some(d) if d > MAX_TIMEOUT => {
                ck.value_error(t.span(), format!("`timeout` ({d}) must be at most 900s"));
                None
            }
            d => d,
        }
    });
    let runtime_init = ck.or(&raw.runtime, default_init(), runtime_init);
    if let (Some(_), Some(r)) = (&raw.init, &raw.runtime) {
        ck.error(
            r.span(),
            "give `runtime` (for its typical init time) or `init`, not both",
        );
        return None;
    }
    let init = match &raw.init {
        None => runtime_init,
        Some(i) => ck.time_dist(i, "init"),
    };
    if let (Some(d), Some(i)) = (&init, &raw.init) {
        if d.mean() > MAX_INIT.as_secs_f64() {
            ck.error(
                i.span(),
                "`init` averages more than 10s, the longest init phase Lambda allows",
            );
            return None;
        }
    }
    let work = ck.time_dist(&raw.work, "work");
    let err = ck.or(&raw.error_rate, 0.0, |ck, e| {
        probability(ck, e, "error_rate")
    });
    let reserved = ck.or(&raw.reserved_concurrency, None, |ck, r| {
        ck.int_in(r, "reserved_concurrency", 0, MAX_CONCURRENCY)
            .map(|r| Some(r as u32))
    });
    let provisioned = ck.int_or(
        &raw.provisioned_concurrency,
        "provisioned_concurrency",
        (0, MAX_CONCURRENCY),
        0,
    );
    // Compared as soon as both are read, so that a mistake elsewhere in the table does not
    // hide it. aws-facts: §2 concurrency: provisioned concurrency counts against the reserved.
    let concurrency = match (reserved, provisioned, &raw.provisioned_concurrency) {
        (Some(Some(r)), Some(p), Some(at)) if p > i64::from(r) => {
            ck.error(
                at.span(),
                format!(
                    "`provisioned_concurrency` ({p}) cannot exceed `reserved_concurrency` ({r})"
                ),
            );
            None
        }
        (Some(r), Some(p), _) => Some((r, p as u32)),
        _ => None,
    };
    let idle_lifetime =
        ck.positive_duration_or(&raw.idle_lifetime, "idle_lifetime", DEFAULT_IDLE_LIFETIME);
    let scaling = ck.int_or(
        &raw.scaling_rate,
        "scaling_rate",
        (1, MAX_SCALING_RATE),
        DEFAULT_SCALING_RATE,
    );
    let reuse = ck
        .one_of_or(&raw.reuse, "reuse", &REUSE_NAMES, DEFAULT_REUSE)
        .map(|w| {
            if w == "newest" {
                Reuse::Newest
            } else {
                Reuse::Mru
            }
        });
    let batch_calls = ck
        .one_of_or(
            &raw.batch_calls,
            "batch_calls",
            &BATCH_CALLS_NAMES,
            DEFAULT_BATCH_CALLS,
        )
        .map(|w| {
            if w == "per_batch" {
                BatchCalls::PerBatch
            } else {
                BatchCalls::PerMessage
            }
        });
    let mut calls = ck.calls(&raw.calls);
    let asynchronous = match (&raw.async_invocation, calls.as_mut()) {
        (None, _) => Some(AsyncConfig::default()),
        (Some(a), Some(calls)) => async_config(ck, a, calls),
        (Some(a), None) => async_config(ck, a, &mut Vec::new()),
    };
    let error_ops = raw
        .error_ops
        .iter()
        .flatten()
        .map(|o| {
            ck.op(
                o.get_ref(),
                "a function's `error_ops`, which always fail, and it fails any other only at its `error_rate`",
            )
        })
        .collect();
    let base = Version {
        init: init?,
        work: work?,
        error_rate: err?,
    };
    // A wrong canary stops the reading here.
    let canary = ck.or(&raw.canary, None, |ck, c| canary(ck, c, &base).map(Some))?;
    let (reserved, provisioned) = concurrency?;
    let set_aside_span = match (&raw.reserved_concurrency, &raw.provisioned_concurrency) {
        (Some(r), _) => Some(r.span()),
        (None, Some(p)) if provisioned > 0 => Some(p.span()),
        _ => None,
    };
    Some(LambdaConfig {
        memory_mb: memory_mb? as u32,
        architecture: architecture?,
        timeout: timeout?,
        base,
        canary,
        reserved,
        provisioned,
        set_aside_span,
        idle_lifetime: idle_lifetime?,
        scaling_per_10s: scaling? as u32,
        reuse: reuse?,
        batch_calls: batch_calls?,
        batch_calls_span: raw.batch_calls.as_ref().map(|w| w.span()),
        calls: calls?,
        error_ops,
        asynchronous: asynchronous?,
    })
}

impl LambdaConfig {
    /// The calls its handler makes, in turn: all but an on-failure destination.
    pub fn handler_calls(&self) -> usize {
        self.calls.len() - usize::from(self.asynchronous.on_failure)
    }

    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        // AWS's default (x86_64) goes unsaid, so that a diagram names only a choice.
        let architecture = match self.architecture {
            Architecture::X86_64 => String::new(),
            a => format!(" {}", a.name()),
        };
        let mut first = format!(
            "{} MB{architecture}, timeout {}",
            self.memory_mb, self.timeout
        );
        if let Some((w, _)) = &self.canary {
            first.push_str(&format!(", canary {:.0}%", w * 100.0));
        }
        let mut conc = match self.reserved {
            Some(r) => format!("reserved {r}"),
            None => "account pool".to_string(),
        };
        if self.provisioned > 0 {
            conc.push_str(&format!(", provisioned {}", self.provisioned));
        }
        // The handler's time at its memory: below 1,769 MB it has less than a vCPU, and the
        // diagram's "work 179 ms" read as the duration of a function that took 310 ms.
        let work = self.base.work.mean();
        let work = match self.cpu_factor() {
            f if f > 1.0 && work > 0.0 => {
                // Three significant digits: "173ms", not "172.754ms".
                let step = 10f64.powi((work * f).log10().floor() as i32 - 2);
                format!(
                    "work {} ({} at a full vCPU)",
                    SimTime::from_secs_f64((work * f / step).round() * step),
                    SimTime::from_secs_f64(work)
                )
            }
            _ => format!("work {}", SimTime::from_secs_f64(work)),
        };
        vec![first, conc, work]
    }

    /// Concurrency this function takes out of the account's unreserved pool for good.
    pub fn set_aside(&self) -> u32 {
        self.reserved.unwrap_or(self.provisioned)
    }
}
