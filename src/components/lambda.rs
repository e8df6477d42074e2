//! AWS Lambda: execution environments that are created (a cold start), reused while warm and
//! recycled after an idle lifetime; concurrency limited by the function's reserved concurrency
//! or by the account's pool, which every function of the scenario shares; the scaling rate;
//! provisioned concurrency; CPU in proportion to memory; the function timeout; a canary
//! version behind a weighted alias; downstream calls with the SDK's retries; cost.
//!
//! An environment serves one request at a time. A request that finds no idle environment and
//! no room to create one is throttled with 429 (TooManyRequestsException).

use super::kind::{
    Category, Column, EventInfo, Kind, KindInfo, LatencySeries, Mark, PlotLine, PlotPanel, Series,
    Tone, Unit,
};
use super::token_bucket::TokenBucket;
use super::{
    AccountClaims, AfterReply, BuildEnv, CallCursor, CallSpec, Component, ComponentReport, Edge,
    Shared,
};
use crate::config::raw::{RawCall, RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::{CallId, Ctx, Input, Msg, SimRng, SimTime, TimerHandle};
use crate::metrics::{Clock, Counter, EventLog, Hist, Latency, Level, MetricSet, WindowedCounts};
use rand::Rng;
use serde::Deserialize;
use slab::Slab;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use toml::Spanned;

/// aws-facts: §2 limits: 1,769 MB of memory buys one vCPU.
const MB_PER_VCPU: f64 = 1769.0;
/// aws-facts: §2 pricing: requests $0.20 per million; x86 duration $0.0000166667 per GB-s;
/// provisioned concurrency $0.0000041667 per GB-s while enabled plus $0.0000097222 per GB-s of
/// duration on it.
const PRICE_PER_REQUEST: f64 = 0.20 / 1e6;
const PRICE_GB_S: f64 = 0.000_016_666_7;
const PRICE_PC_GB_S: f64 = 0.000_004_166_7;
const PRICE_PC_DURATION_GB_S: f64 = 0.000_009_722_2;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLambda {
    memory_mb: Option<Spanned<i64>>,
    timeout: Option<Spanned<String>>,
    runtime: Option<Spanned<String>>,
    init: Option<Spanned<RawDist>>,
    work: Spanned<RawDist>,
    error_rate: Option<Spanned<f64>>,
    reserved_concurrency: Option<Spanned<i64>>,
    provisioned_concurrency: Option<Spanned<i64>>,
    idle_lifetime: Option<Spanned<String>>,
    scaling_rate: Option<Spanned<i64>>,
    canary: Option<Spanned<RawCanary>>,
    #[serde(default)]
    calls: Vec<RawCall>,
}

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
    /// Probability that an invocation fails (an unhandled error).
    pub error_rate: f64,
}

#[derive(Clone, Debug)]
pub struct LambdaConfig {
    pub memory_mb: u32,
    pub timeout: SimTime,
    pub base: Version,
    /// A second version and the share of invocations the alias routes to it.
    pub canary: Option<(f64, Version)>,
    pub reserved: Option<u32>,
    pub provisioned: u32,
    pub idle_lifetime: SimTime,
    /// New environments per 10 seconds.
    pub scaling_per_10s: u32,
    pub calls: Vec<CallSpec>,
}

/// Hello-world init durations by runtime, as uniform ranges [ms] (aws-facts: §2 cold starts,
/// measured on 128-1,024 MB). Real functions with SDKs and frameworks take 300 ms to over a
/// second: set `init` for them.
const RUNTIMES: &[(&str, f64, f64)] = &[
    ("nodejs", 120.0, 150.0),
    ("python", 70.0, 110.0),
    ("java", 185.0, 270.0),
    ("dotnet", 245.0, 285.0),
    ("ruby", 190.0, 240.0),
    ("go", 40.0, 55.0),
    ("rust", 11.0, 16.0),
];

fn error_rate(ck: &mut Checker, v: &Option<Spanned<f64>>, key: &str) -> Option<f64> {
    match v {
        None => Some(0.0),
        Some(e) if (0.0..=1.0).contains(e.get_ref()) => Some(*e.get_ref()),
        Some(e) => {
            ck.error(
                e.span(),
                format!(
                    "`{key}` must be a probability from 0 to 1, not {}",
                    e.get_ref()
                ),
            );
            None
        }
    }
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<LambdaConfig> {
    let raw: RawLambda = ck.deserialize(table)?;
    // aws-facts: §2 limits: memory 128-10,240 MB; timeout at most 900 s. AWS's defaults for a
    // new function are 128 MB and 3 s.
    let memory_mb = match &raw.memory_mb {
        None => Some(128),
        Some(m) => ck.int_in(m, "memory_mb", 128, 10_240).map(|m| m as u32),
    };
    let timeout = match &raw.timeout {
        None => Some(SimTime::from_secs(3)),
        Some(t) => match ck.positive_duration(t, "timeout") {
            Some(d) if d > SimTime::from_secs(900) => {
                ck.error(t.span(), format!("`timeout` ({d}) must be at most 900s"));
                None
            }
            d => d,
        },
    };
    let runtime_init = match &raw.runtime {
        None => Some(Dist::Uniform {
            min: 0.120,
            max: 0.150,
        }),
        Some(r) => {
            let names: Vec<&str> = RUNTIMES.iter().map(|(n, _, _)| *n).collect();
            ck.one_of(r, "runtime", &names).and_then(|n| {
                RUNTIMES
                    .iter()
                    .find(|(m, _, _)| *m == n)
                    .map(|&(_, lo, hi)| Dist::Uniform {
                        min: lo / 1e3,
                        max: hi / 1e3,
                    })
            })
        }
    };
    let init = match &raw.init {
        None => runtime_init,
        Some(i) => {
            if let Some(r) = &raw.runtime {
                ck.error(
                    r.span(),
                    "give `runtime` (for its typical init time) or `init`, not both",
                );
                return None;
            }
            let d = ck.time_dist(i, "init");
            // aws-facts: §2 limits: the init phase is capped at 10 s.
            if d.as_ref().is_some_and(|d| d.mean() > 10.0) {
                ck.error(
                    i.span(),
                    "`init` averages more than 10s, the longest init phase Lambda allows",
                );
                return None;
            }
            d
        }
    };
    let work = ck.time_dist(&raw.work, "work");
    let err = error_rate(ck, &raw.error_rate, "error_rate");
    let reserved = match &raw.reserved_concurrency {
        None => Some(None),
        Some(r) => ck
            .int_in(r, "reserved_concurrency", 0, 1_000_000)
            .map(|r| Some(r as u32)),
    };
    let provisioned = match &raw.provisioned_concurrency {
        None => Some(0),
        Some(p) => ck
            .int_in(p, "provisioned_concurrency", 0, 1_000_000)
            .map(|p| p as u32),
    };
    // aws-facts: §2 environment reuse [?]: an idle environment lives about 10 minutes.
    let idle_lifetime = match &raw.idle_lifetime {
        None => Some(SimTime::from_secs(600)),
        Some(t) => ck.positive_duration(t, "idle_lifetime"),
    };
    // aws-facts: §2 scaling rate: since 2023-11, up to 1,000 new environments per 10 s.
    let scaling = match &raw.scaling_rate {
        None => Some(1000),
        Some(s) => ck.int_in(s, "scaling_rate", 1, 1_000_000).map(|s| s as u32),
    };
    let calls = ck.calls(&raw.calls);
    let base = Version {
        init: init?,
        work: work?,
        error_rate: err?,
    };
    let canary = match &raw.canary {
        None => Some(None),
        Some(c) => {
            let cr = c.get_ref();
            let weight = match *cr.weight.get_ref() {
                w if w > 0.0 && w < 1.0 => Some(w),
                w => {
                    ck.error(cr.weight.span(), format!("`canary.weight` is the canary's share of invocations, above 0 and below 1, not {w}"));
                    None
                }
            };
            let work = match &cr.work {
                None => Some(base.work.clone()),
                Some(w) => ck.time_dist(w, "canary.work"),
            };
            let init = match &cr.init {
                None => Some(base.init.clone()),
                Some(i) => ck.time_dist(i, "canary.init"),
            };
            let error_rate = match &cr.error_rate {
                None => Some(base.error_rate),
                e => error_rate(ck, e, "canary.error_rate"),
            };
            Some(Some((
                weight?,
                Version {
                    init: init?,
                    work: work?,
                    error_rate: error_rate?,
                },
            )))
        }
    };
    let (reserved, provisioned) = (reserved?, provisioned?);
    if let (Some(r), Some(p)) = (reserved, &raw.provisioned_concurrency) {
        if provisioned > r {
            ck.error(p.span(), format!("`provisioned_concurrency` ({provisioned}) cannot exceed `reserved_concurrency` ({r})"));
            return None;
        }
    }
    Some(LambdaConfig {
        memory_mb: memory_mb?,
        timeout: timeout?,
        base,
        canary: canary?,
        reserved,
        provisioned,
        idle_lifetime: idle_lifetime?,
        scaling_per_10s: scaling?,
        calls: calls?,
    })
}

const INVOCATIONS: Series = Series {
    id: "invocations_rps",
    unit: Unit::PerSecond,
    about: "invocations started",
};
const CONCURRENCY: Series = Series {
    id: "concurrency",
    unit: Unit::Number,
    about: "executions running, time-averaged",
};
const ENVIRONMENTS: Series = Series {
    id: "environments",
    unit: Unit::Number,
    about: "execution environments alive, time-averaged",
};
const COLD_STARTS: Series = Series {
    id: "cold_starts_rps",
    unit: Unit::PerSecond,
    about: "invocations that started a new environment",
};
const THROTTLES: Series = Series {
    id: "throttles_rps",
    unit: Unit::PerSecond,
    about: "invocations refused with 429",
};
static DURATION: LatencySeries = LatencySeries {
    p50: Series {
        id: "duration_p50_ms",
        unit: Unit::Milliseconds,
        about: "median run time of the handler",
    },
    p95: Series {
        id: "duration_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the run time of the handler",
    },
    p99: Series {
        id: "duration_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the run time of the handler",
    },
};

impl Kind for LambdaConfig {
    const INFO: &'static KindInfo = &KindInfo {
        name: "lambda",
        title: "AWS Lambda",
        noun: "a Lambda function",
        category: Category::Compute,
        about: "a function: execution environments with cold starts and reuse, reserved and provisioned concurrency from the account pool, scaling limits, memory-proportional CPU, timeouts and a weighted canary",
        keys: &[],
        faults: &[],
        series: &[&INVOCATIONS, &CONCURRENCY, &ENVIRONMENTS, &COLD_STARTS, &THROTTLES, &DURATION.p50, &DURATION.p95, &DURATION.p99],
        fields: &[],
        columns: &[
            Column {
                label: "mean concurrency",
                field: "concurrency_mean",
                unit: Unit::Number,
            },
            Column {
                label: "max concurrency",
                field: "concurrency_max",
                unit: Unit::Number,
            },
            Column {
                label: "cold starts",
                field: "cold_start_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "throttled",
                field: "throttle_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "timeouts",
                field: "timeouts",
                unit: Unit::Count,
            },
            Column {
                label: "late replies",
                field: "late_replies",
                unit: Unit::Count,
            },
            Column {
                label: "cost",
                field: "cost_usd",
                unit: Unit::Usd,
            },
        ],
        panels: &[
            PlotPanel {
                axis: "concurrency [executions]",
                lines: &[
                    PlotLine {
                        series: &CONCURRENCY,
                        label: "busy",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &ENVIRONMENTS,
                        label: "environments",
                        tone: Tone::Queue,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "per second",
                lines: &[
                    PlotLine {
                        series: &COLD_STARTS,
                        label: "cold starts",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &THROTTLES,
                        label: "throttles (429)",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
        ],
        events: &[
            EventInfo {
                event: "function_timeout",
                mark: Mark::Instant,
            },
        ],
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let _ = (index, shared);
        Box::new(Lambda::new(self.clone(), env, shared.lambda.clone()))
    }

    fn claim(&self, claims: &mut AccountClaims) {
        claims.lambda_set_aside += self.set_aside();
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }
}

impl LambdaConfig {
    fn lines(&self) -> Vec<String> {
        let mut first = format!("{} MB, timeout {}", self.memory_mb, self.timeout);
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
        vec![
            first,
            conc,
            format!("work {}", SimTime::from_secs_f64(self.base.work.mean())),
        ]
    }

    /// Concurrency this function takes out of the account's unreserved pool for good.
    pub fn set_aside(&self) -> u32 {
        self.reserved.unwrap_or(self.provisioned)
    }

    /// How much slower the handler runs than on a full vCPU.
    fn cpu_factor(&self) -> f64 {
        (MB_PER_VCPU / f64::from(self.memory_mb)).max(1.0)
    }
}

/// The account's concurrency, shared by every function in the scenario.
#[derive(Debug)]
pub struct AccountPool {
    /// Concurrency available to functions without reserved concurrency.
    pub unreserved: u32,
    pub in_use: u32,
}

pub type SharedPool = Rc<RefCell<AccountPool>>;

struct Env {
    version: usize,
    provisioned: bool,
    busy: bool,
    /// When it last went idle.
    idle_since: SimTime,
}

struct Job {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
    env: usize,
    /// When the handler started (after any init).
    started: SimTime,
    fails: bool,
    calls: CallCursor,
    gen: u32,
    /// The function timeout's timer, cancelled when the invocation ends first.
    timeout: Option<TimerHandle>,
}

/// Timer kinds, in the low 3 bits of a tag; the rest holds an index and a generation.
const T_INIT_DONE: u64 = 0;
const T_WORK_DONE: u64 = 1;
const T_TIMEOUT: u64 = 2;
const T_RETRY: u64 = 3;
const T_EXPIRE: u64 = 4;

fn tag(kind: u64, idx: usize, gen: u32) -> u64 {
    (idx as u64) << 32 | u64::from(gen & 0x1fff_ffff) << 3 | kind
}

fn untag(t: u64) -> (u64, usize, u32) {
    (t & 7, (t >> 32) as usize, ((t >> 3) & 0x1fff_ffff) as u32)
}

pub struct Lambda {
    cfg: LambdaConfig,
    versions: Vec<Version>,
    clock: Clock,
    rng: SimRng,
    edges: Vec<Edge>,
    pool: SharedPool,
    scaling: TokenBucket,
    envs: Slab<Env>,
    /// Idle provisioned environments per version; they never expire.
    idle_provisioned: Vec<Vec<usize>>,
    /// Idle on-demand environments per version, in the order they went idle: the most
    /// recently used (taken first) at the back, the next to expire at the front.
    idle: Vec<VecDeque<usize>>,
    /// Whether a version's expiry timer is set. One timer per version, for the front of its
    /// queue, rather than one per idle period: memory stays flat in the request rate.
    expiry_armed: Vec<bool>,
    jobs: Slab<Job>,
    next_gen: u32,
    busy: u32,
    // Recorders.
    invocations: Counter,
    cold_starts: Counter,
    throttles: Counter,
    statuses: WindowedCounts<u16>,
    per_version: Vec<(u64, u64)>,
    concurrency: Level,
    environments: Level,
    duration: Latency,
    init: Hist,
    timeouts: u64,
    gb_seconds: f64,
    pc_gb_seconds: f64,
    events: EventLog,
}

impl Lambda {
    pub fn new(cfg: LambdaConfig, env: BuildEnv, pool: SharedPool) -> Lambda {
        let clock = env.clock;
        let mut versions = vec![cfg.base.clone()];
        if let Some((_, v)) = &cfg.canary {
            versions.push(v.clone());
        }
        let n = versions.len();
        Lambda {
            scaling: TokenBucket::new(
                f64::from(cfg.scaling_per_10s) / 10.0,
                u64::from(cfg.scaling_per_10s),
            ),
            envs: Slab::new(),
            idle_provisioned: vec![Vec::new(); n],
            idle: vec![VecDeque::new(); n],
            expiry_armed: vec![false; n],
            jobs: Slab::new(),
            next_gen: 0,
            busy: 0,
            invocations: Counter::new(&clock),
            cold_starts: Counter::new(&clock),
            throttles: Counter::new(&clock),
            statuses: WindowedCounts::default(),
            per_version: vec![(0, 0); n],
            concurrency: Level::new(&clock),
            environments: Level::new(&clock),
            duration: Latency::new(&clock),
            init: Hist::new(),
            timeouts: 0,
            gb_seconds: 0.0,
            pc_gb_seconds: 0.0,
            events: EventLog::new(&env.name),
            versions,
            cfg,
            clock,
            rng: env.rng,
            edges: env.edges,
            pool,
        }
    }

    /// Whether the execution that makes `busy` concurrent ones into `busy + 1` draws on the
    /// account's unreserved pool: only beyond the function's own provisioned environments,
    /// and never for a function with reserved concurrency.
    fn uses_pool(&self, busy: u32) -> bool {
        self.cfg.reserved.is_none() && busy >= self.cfg.provisioned
    }

    /// Whether one more concurrent execution fits now, taking it from the pool if needed.
    fn acquire(&mut self) -> bool {
        if let Some(r) = self.cfg.reserved {
            return self.busy < r;
        }
        if !self.uses_pool(self.busy) {
            return true;
        }
        let mut p = self.pool.borrow_mut();
        if p.in_use < p.unreserved {
            p.in_use += 1;
            true
        } else {
            false
        }
    }

    /// Gives back what `acquire` took when `busy` executions were running.
    fn release(&mut self, busy: u32) {
        if self.uses_pool(busy) {
            self.pool.borrow_mut().in_use -= 1;
        }
    }

    fn set_busy(&mut self, now: SimTime, delta: i32) {
        self.busy = self.busy.saturating_add_signed(delta);
        self.concurrency.set(&self.clock, now, f64::from(self.busy));
    }

    fn invoke(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.invocations.add(&self.clock, now, measured);
        let version = match &self.cfg.canary {
            Some((w, _)) if self.rng.random::<f64>() < *w => 1,
            _ => 0,
        };
        // Provisioned environments take the traffic first, then the most recently used.
        let warm = self.idle_provisioned[version]
            .pop()
            .or_else(|| self.idle[version].pop_back());
        let admitted = self.acquire();
        let cold = warm.is_none();
        if !admitted || (cold && !self.scaling.try_take(now)) {
            if admitted {
                self.release(self.busy);
            }
            if let Some(e) = warm {
                if self.envs[e].provisioned {
                    self.idle_provisioned[version].push(e);
                } else {
                    self.idle[version].push_back(e);
                }
            }
            self.throttles.add(&self.clock, now, measured);
            self.statuses.add(&self.clock, 429, now, measured);
            // aws-facts: §2 throttling: TooManyRequestsException, HTTP 429.
            ctx.reply(call, 429);
            return;
        }
        self.set_busy(now, 1);
        let env = match warm {
            Some(e) => e,
            None => {
                self.cold_starts.add(&self.clock, now, measured);
                self.environments.add(&self.clock, now, 1.0);
                self.envs.insert(Env {
                    version,
                    provisioned: false,
                    busy: true,
                    idle_since: now,
                })
            }
        };
        self.envs[env].busy = true;
        if measured {
            self.per_version[version].0 += 1;
        }
        self.next_gen = self.next_gen.wrapping_add(1);
        let gen = self.next_gen;
        let job = self.jobs.insert(Job {
            call,
            msg,
            arrived: now,
            env,
            started: now,
            fails: false,
            calls: CallCursor::default(),
            gen,
            timeout: None,
        });
        if cold {
            let init = self.versions[version].init.sample_time(&mut self.rng);
            if measured {
                self.init.record(init);
            }
            ctx.schedule(init, tag(T_INIT_DONE, job, gen));
        } else {
            self.start_handler(ctx, job);
        }
    }

    fn start_handler(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let now = ctx.now();
        let version = self.envs[self.jobs[job].env].version;
        let v = &self.versions[version];
        let work = SimTime::from_secs_f64(v.work.sample(&mut self.rng) * self.cfg.cpu_factor());
        let fails = v.error_rate > 0.0 && self.rng.random::<f64>() < v.error_rate;
        let j = &mut self.jobs[job];
        j.started = now;
        j.fails = fails;
        let gen = j.gen;
        self.jobs[job].timeout = ctx.schedule_fixed(self.cfg.timeout, tag(T_TIMEOUT, job, gen));
        // The first downstream call leaves when the work is done: no event for the work's end,
        // when nothing changes but that the call leaves (unless the function times out or
        // fails first, and never sends it).
        let j = &mut self.jobs[job];
        let t = (job as u64) << 32 | u64::from(gen);
        if !fails
            && work < self.cfg.timeout
            && j.calls
                .call_next_after(&self.edges, ctx, &mut self.rng, j.msg, t, work)
        {
            return;
        }
        ctx.schedule(work, tag(T_WORK_DONE, job, gen));
    }

    /// The next downstream call, or the answer when none is left.
    fn proceed(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let j = &mut self.jobs[job];
        if j.fails {
            self.complete(ctx, job, 502);
            return;
        }
        let t = (job as u64) << 32 | u64::from(j.gen);
        if !j.calls.call_next(&self.edges, ctx, &mut self.rng, j.msg, t) {
            self.complete(ctx, job, 200);
        }
    }

    fn complete(&mut self, ctx: &mut Ctx<'_>, job: usize, status: u16) {
        let now = ctx.now();
        let j = self.jobs.remove(job);
        if let Some(h) = j.timeout {
            ctx.cancel_timer(h);
        }
        let measured = self.clock.measured(j.arrived);
        ctx.reply(j.call, status);
        self.statuses.add(&self.clock, status, now, measured);
        let env = &mut self.envs[j.env];
        let version = env.version;
        if measured {
            // aws-facts: §2 pricing: billed per 1 ms of handler time.
            let billed_ms = (now - j.started).0.div_ceil(1_000_000);
            let gb_s = billed_ms as f64 / 1e3 * f64::from(self.cfg.memory_mb) / 1024.0;
            if env.provisioned {
                self.pc_gb_seconds += gb_s;
            } else {
                self.gb_seconds += gb_s;
            }
            if status != 200 {
                self.per_version[version].1 += 1;
            }
        }
        // Every window's series gets the duration, warmup included, as other components'.
        self.duration
            .record(&self.clock, now, now - j.started, measured);
        self.release(self.busy - 1);
        self.set_busy(now, -1);
        if status == 502 && now - j.started >= self.cfg.timeout {
            // After a timeout Lambda resets the environment: the next request starts cold.
            let provisioned = self.envs[j.env].provisioned;
            self.envs.remove(j.env);
            self.environments.add(&self.clock, now, -1.0);
            if provisioned {
                self.provision(ctx, version);
            }
            return;
        }
        let env = &mut self.envs[j.env];
        env.busy = false;
        env.idle_since = now;
        if env.provisioned {
            self.idle_provisioned[version].push(j.env);
        } else {
            self.idle[version].push_back(j.env);
            // Recycling after the end of arrivals changes nothing measured: no timer then,
            // so the run ends when the work in flight has drained.
            if !self.expiry_armed[version] && now + self.cfg.idle_lifetime < self.clock.end {
                self.expiry_armed[version] = true;
                ctx.schedule(self.cfg.idle_lifetime, tag(T_EXPIRE, version, 0));
            }
        }
    }

    /// Recycles the version's environments idle for their whole lifetime, and sets the timer
    /// for the next one due.
    fn expire(&mut self, ctx: &mut Ctx<'_>, version: usize) {
        let now = ctx.now();
        self.expiry_armed[version] = false;
        while let Some(&front) = self.idle[version].front() {
            let due = self.envs[front].idle_since + self.cfg.idle_lifetime;
            if due > now {
                if due < self.clock.end {
                    self.expiry_armed[version] = true;
                    ctx.schedule(due - now, tag(T_EXPIRE, version, 0));
                }
                break;
            }
            self.idle[version].pop_front();
            self.envs.remove(front);
            self.environments.add(&self.clock, now, -1.0);
        }
    }

    /// A provisioned environment, initialised ahead of demand.
    fn provision(&mut self, ctx: &mut Ctx<'_>, version: usize) {
        let e = self.envs.insert(Env {
            version,
            provisioned: true,
            busy: false,
            idle_since: ctx.now(),
        });
        self.idle_provisioned[version].push(e);
        self.environments.add(&self.clock, ctx.now(), 1.0);
    }

    fn job(&self, idx: usize, gen: u32) -> bool {
        self.jobs
            .get(idx)
            .is_some_and(|j| j.gen & 0x1fff_ffff == gen & 0x1fff_ffff)
    }
}

impl Component for Lambda {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        // Provisioned environments are ready before the first request, split between the
        // versions by the alias weights.
        let canary_share = self.cfg.canary.as_ref().map_or(0.0, |(w, _)| *w);
        let to_canary = (f64::from(self.cfg.provisioned) * canary_share).round() as u32;
        for i in 0..self.cfg.provisioned {
            let version = usize::from(i < to_canary);
            self.provision(ctx, version);
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Call(call, msg) => self.invoke(ctx, call, msg),
            Input::Timer(t) => {
                let (kind, idx, gen) = untag(t);
                match kind {
                    T_INIT_DONE if self.job(idx, gen) => self.start_handler(ctx, idx),
                    T_WORK_DONE if self.job(idx, gen) => self.proceed(ctx, idx),
                    T_TIMEOUT if self.job(idx, gen) => {
                        // Fired: nothing left to cancel.
                        self.jobs[idx].timeout = None;
                        if self.clock.measured(self.jobs[idx].arrived) {
                            self.timeouts += 1;
                        }
                        self.events.push(now, "function_timeout", String::new());
                        self.complete(ctx, idx, 502);
                    }
                    T_RETRY if self.job(idx, gen) => {
                        let j = &mut self.jobs[idx];
                        let t = (idx as u64) << 32 | u64::from(j.gen);
                        j.calls
                            .call_again(&self.edges, ctx, &mut self.rng, j.msg, t);
                    }
                    T_EXPIRE => self.expire(ctx, idx),
                    // A timer of an invocation that has already ended (timed out): ignore.
                    _ => {}
                }
            }
            Input::Reply(r) => {
                let (idx, gen) = ((r.tag >> 32) as usize, r.tag as u32);
                if self.jobs.get(idx).is_none_or(|j| j.gen != gen) {
                    // The invocation timed out while this call was out: the reply is moot.
                    return;
                }
                match self.jobs[idx]
                    .calls
                    .after_reply(&self.edges, r.outcome, &mut self.rng)
                {
                    AfterReply::Retry(wait) => ctx.schedule(wait, tag(T_RETRY, idx, gen)),
                    AfterReply::Next => self.proceed(ctx, idx),
                    // An SDK error the handler does not catch fails the invocation.
                    AfterReply::Fail(_) => self.complete(ctx, idx, 502),
                }
            }
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.concurrency.finish(c);
        self.environments.finish(c);
        self.duration.finish();
        let mut m = MetricSet::default();
        let inv = self.invocations.total();
        m.count("invocations", inv);
        m.count("cold_starts", self.cold_starts.total());
        m.count("throttles", self.throttles.total());
        m.count("timeouts", self.timeouts);
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n.total());
        }
        if self.cfg.canary.is_some() {
            for (i, name) in ["base", "canary"].iter().enumerate() {
                m.count(
                    format!("versions.{name}.invocations"),
                    self.per_version[i].0,
                );
                m.count(format!("versions.{name}.errors"), self.per_version[i].1);
            }
        }
        m.gauge(
            "cold_start_fraction",
            self.cold_starts.total() as f64 / inv.max(1) as f64,
        );
        m.gauge(
            "throttle_fraction",
            self.throttles.total() as f64 / inv.max(1) as f64,
        );
        m.gauge("concurrency_mean", self.concurrency.mean(c));
        m.gauge("concurrency_max", self.concurrency.max());
        m.gauge("environments_mean", self.environments.mean(c));
        m.gauge("memory_mb", f64::from(self.cfg.memory_mb));
        let gb = f64::from(self.cfg.memory_mb) / 1024.0;
        let pc_enabled = f64::from(self.cfg.provisioned) * gb * c.measured_secs();
        let cost = inv as f64 * PRICE_PER_REQUEST
            + self.gb_seconds * PRICE_GB_S
            + self.pc_gb_seconds * PRICE_PC_DURATION_GB_S
            + pc_enabled * PRICE_PC_GB_S;
        m.gauge("gb_seconds", self.gb_seconds + self.pc_gb_seconds);
        m.gauge("cost_usd", cost);
        m.hist("duration_ms", self.duration.summary());
        m.hist("init_ms", &self.init);
        let mut series = vec![
            (&INVOCATIONS, self.invocations.rate_series(c)),
            (&CONCURRENCY, self.concurrency.mean_series(c)),
            (&ENVIRONMENTS, self.environments.mean_series(c)),
            (&COLD_STARTS, self.cold_starts.rate_series(c)),
            (&THROTTLES, self.throttles.rate_series(c)),
        ];
        series.extend(self.duration.series(&DURATION));
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}
