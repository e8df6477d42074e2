//! The parts an architecture is made of, one file per kind, and the registry of kinds.
//!
//! A component knows the kernel (it handles `Input`s through a `Ctx`) and its own config; it
//! never reaches into another component. Calls to other components go through `Edge`s that the
//! scenario resolved when the world was built.

#![warn(missing_docs)]

pub mod api_gateway;
pub mod cache;
pub mod cloudfront;
pub mod cors;
pub mod dynamodb;
pub mod ebs;
pub mod ec2_autoscaling;
pub mod iac;
pub mod instance_types;
pub mod kind;
pub mod kms;
pub mod lambda;
pub mod load_balancer;
pub mod lru;
pub mod rds;
pub mod registry;
pub mod route53;
pub mod s3;
pub mod service;
pub mod sns;
pub mod sqs;
pub mod step_functions;
pub mod target_group;
pub mod token_bucket;

pub use crate::config::{CallSpec, OpChoice};
use crate::dist::Dist;
use crate::kernel::{ActorId, CallId, CallTiming, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, EventRecord, MetricSet};
use crate::retry::{Charge, RetryPolicy};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The operation of a load balancer's deep health-check probe: it takes the target's whole
/// request path (its work and its downstream calls).
pub const PROBE_DEEP: u16 = u16::MAX;
/// The operation of a load balancer's shallow health-check probe: a target that is up
/// answers it at once.
pub const PROBE_SHALLOW: u16 = u16::MAX - 1;
/// The operation of a browser's CORS preflight (`OPTIONS`), sent before a request that is not
/// "simple" (aws-facts: §21 preflight). Only kinds whose `Kind::cors` is `Some` receive it:
/// they answer it themselves and never pass it on.
pub const PREFLIGHT: u16 = u16::MAX - 2;

/// Whether a call is a load balancer's health check rather than a request.
#[inline]
pub fn is_probe(op: u16) -> bool {
    op >= PROBE_SHALLOW
}

pub use kind::{AccountClaims, BatchAction, ComponentSpec, Kind, KindInfo};

/// A downstream call resolved for the run: the callee's actor id and the hop latency.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The callee.
    pub to: ActorId,
    /// The operation the call carries: the request's own, or a fixed one.
    pub op: OpChoice,
    /// Probability that a request makes this call [0–1].
    pub probability: f64,
    /// How long the caller waits for each attempt's answer; `None`: as long as it takes.
    pub timeout: Option<SimTime>,
    /// One-way latency of the hop, each direction drawn independently.
    pub latency: Dist,
    /// The caller's retries: the scenario's, else the SDK's default for a callee that is an
    /// AWS API, else one attempt. The retry quota's tokens are not here but in the SDK client
    /// that makes the call (`RetryTokens`), which the caller holds: one per process.
    pub retry: RetryPolicy,
    /// The call's `mode`: asynchronous calls wait only for the callee's acceptance. Set on
    /// each message it carries (`Msg::asynchronous`), whatever the message it was made from.
    pub asynchronous: bool,
    /// The callee's batch action for each operation (`Kind::batch_action`, by the
    /// scenario's operation number), for a Lambda handler that makes one call per batch;
    /// `None` for a callee without one.
    pub batch: Option<std::sync::Arc<[Option<BatchAction>]>>,
}

impl Edge {
    /// Whether a request takes this edge (draws only when the probability is below 1).
    #[inline]
    pub fn taken(&self, rng: &mut SimRng) -> bool {
        use rand::Rng;
        self.probability >= 1.0 || rng.random::<f64>() < self.probability
    }

    /// The operation this call carries for a message of operation `op`: its own, unless
    /// the call gives one.
    #[inline]
    pub fn op_for(&self, op: u16) -> u16 {
        match self.op {
            OpChoice::Inherit => op,
            OpChoice::Fixed(op) => op,
        }
    }

    /// The batch action a message of operation `op` goes in on this call.
    pub fn batch_action(&self, op: u16) -> Option<BatchAction> {
        let op = self.op_for(op);
        self.batch.as_ref()?.get(usize::from(op)).copied().flatten()
    }

    /// Makes the call for a request carrying `msg`, tagging the reply with `tag`.
    #[inline]
    pub fn call(&self, ctx: &mut Ctx<'_>, rng: &mut SimRng, msg: Msg, tag: u64) -> CallId {
        self.call_after(ctx, rng, msg, tag, SimTime::ZERO)
    }

    /// Like `call`, a first attempt or (`retry`) the caller's retry of a call that failed,
    /// counted as such on the edge (`calls.<callee>.retries` in the caller's summary). A
    /// batch whose items the callee decides one by one attaches them to the call it returns
    /// (`Ctx::attach_items`).
    pub fn attempt(
        &self,
        ctx: &mut Ctx<'_>,
        rng: &mut SimRng,
        msg: Msg,
        tag: u64,
        retry: bool,
    ) -> CallId {
        self.send(ctx, rng, msg, tag, SimTime::ZERO, retry)
    }

    /// Like `call`, for a caller that spends `delay` of its own before the request leaves
    /// (a gateway's overhead, a failed cache lookup); the timeout starts when it leaves.
    #[inline]
    pub fn call_after(
        &self,
        ctx: &mut Ctx<'_>,
        rng: &mut SimRng,
        msg: Msg,
        tag: u64,
        delay: SimTime,
    ) -> CallId {
        self.send(ctx, rng, msg, tag, delay, false)
    }

    /// The call over this hop: its operation and mode set, leaving after `delay`, a retry
    /// or a first attempt.
    #[inline]
    fn send(
        &self,
        ctx: &mut Ctx<'_>,
        rng: &mut SimRng,
        msg: Msg,
        tag: u64,
        delay: SimTime,
        retry: bool,
    ) -> CallId {
        let op = self.op_for(msg.op);
        let msg = Msg {
            op,
            asynchronous: self.asynchronous,
            ..msg
        };
        let timing = CallTiming {
            retry,
            ..self.timing(rng, delay, self.timeout)
        };
        ctx.call(self.to, msg, timing, tag)
    }

    /// The timing of a call over this hop that leaves after `delay` and waits `timeout`:
    /// each direction's latency drawn independently.
    pub fn timing(&self, rng: &mut SimRng, delay: SimTime, timeout: Option<SimTime>) -> CallTiming {
        CallTiming {
            request_delay: delay + self.latency.sample_time(rng),
            reply_delay: self.latency.sample_time(rng),
            timeout,
            leaves_after: delay,
            retry: false,
        }
    }

    /// A call to `to` with `retry`.
    pub fn new(
        to: ActorId,
        op: OpChoice,
        probability: f64,
        timeout: Option<SimTime>,
        latency: Dist,
        retry: RetryPolicy,
    ) -> Edge {
        Edge {
            to,
            op,
            probability,
            timeout,
            latency,
            retry,
            asynchronous: false,
            batch: None,
        }
    }
}

/// The retry quotas of the SDK clients of one process (aws-facts: §7 retry quota: a token
/// bucket of 500 per client): the tokens left for each of its caller's calls, by the call's
/// place among the caller's edges. A new one is full.
///
/// Every SDK gives each client instance a bucket of its own (Go v2: each `retry.NewStandard()`
/// makes its own, and `aws.Config.Retryer` is a factory so that each client gets a new
/// retryer, avoiding "sharing the same retry token bucket across services"; botocore: a
/// `RetryQuota` made with each client; Java v2: "Each SDK client has a retry strategy created
/// at build time"; JS v3: shared only by calls of the same client and strategy). The Rust
/// SDK shares one bucket between the clients of a retry partition, but only within a
/// process. A bucket never spans processes, so a caller holds one `RetryTokens` per process
/// it models (a Lambda execution environment, an Auto Scaling group's instance), made with
/// the process and dropped with it. Within a process each call (`calls` entry) draws on
/// tokens of its own: one client per call, a choice the documentation leaves to the code.
#[derive(Clone, Debug, Default)]
pub struct RetryTokens(Box<[u32]>);

impl RetryTokens {
    /// A new process's full buckets for `edges`; nothing at all when none of them has a
    /// quota, so that a process whose calls have none holds no memory for them.
    pub fn full(edges: &[Edge]) -> RetryTokens {
        if edges.iter().all(|e| e.retry.quota.is_none()) {
            return RetryTokens::default();
        }
        RetryTokens(edges.iter().map(|e| e.retry.initial_tokens()).collect())
    }

    /// The tokens left for call `edge` (its place among the caller's edges); 0 for a call
    /// without a quota.
    #[cfg(test)]
    pub fn of(&self, edge: usize) -> u32 {
        self.0.get(edge).copied().unwrap_or(0)
    }

    /// The bucket of call `edge`. A process holding no buckets (none of its calls has a
    /// quota) lends `scratch`, which a policy without a quota never touches.
    fn bucket<'a>(&'a mut self, edge: usize, scratch: &'a mut u32) -> &'a mut u32 {
        self.0.get_mut(edge).unwrap_or(scratch)
    }
}

/// A billing month as AWS prorates monthly prices (a GB-month, a key, a hosted zone) [s]:
/// 730 hours, a choice where months differ in length.
pub const MONTH_SECS: f64 = 730.0 * 3600.0;

/// The name of the region of components that name none, unless `[network] region` says
/// otherwise: a scenario that never speaks of regions has all its components in it.
pub const HOME_REGION: &str = "home";

/// A Region as messages name it: `region "us-east-1"`, or, for the default one, words that
/// say which it is rather than its bare name, which a scenario that never speaks of regions
/// has not written (`the Lambda functions of home` says nothing to its author).
pub fn region_words(region: &str) -> String {
    if region == HOME_REGION {
        format!("the account's default Region (\"{HOME_REGION}\": the scenario sets no `[network] region`)")
    } else {
        format!("region \"{}\"", crate::text::printable(region))
    }
}

/// One-way network latency between components, by region and zone placement.
#[derive(Clone, Debug)]
pub struct Network {
    /// One-way latency of a hop within a zone, or to a regional component [s]. Default
    /// uniform 0.1–0.25 ms.
    pub same_az: Dist,
    /// One-way latency of a hop between zones [s]. Default uniform 0.5–1 ms.
    pub cross_az: Dist,
    /// One-way latency of a hop between regions [s]. Default uniform 30–40 ms.
    pub cross_region: Dist,
    /// The region of components that name none. Default `HOME_REGION`.
    pub region: String,
    /// The ports callers take replies on (`ephemeral_ports`), which a network ACL must let
    /// replies through to. Default `network_acls::EPHEMERAL`, 1024–65535.
    pub ephemeral: (u16, u16),
}

impl Default for Network {
    fn default() -> Self {
        // aws-facts: §13 network latency: same-AZ 0.1–0.25 ms one-way, cross-AZ 0.5–1 ms
        // one-way, cross-Region "tens of ms" (the derived default); 30–40 ms one-way is a
        // choice within it (regions of one continent), to be set per scenario.
        Network {
            same_az: Dist::Uniform {
                min: 0.000_1,
                max: 0.000_25,
            },
            cross_az: Dist::Uniform {
                min: 0.000_5,
                max: 0.001,
            },
            cross_region: Dist::Uniform {
                min: 0.030,
                max: 0.040,
            },
            region: HOME_REGION.to_string(),
            ephemeral: crate::scenario::network_acls::EPHEMERAL,
        }
    }
}

impl Network {
    /// The hop latency between a component in region `ra`, zone `a` and one in region `rb`,
    /// zone `b`. Regions differ: the cross-region latency, whatever the zones. A component
    /// with no zone is regional (DynamoDB, Lambda's front end): within its region its hops
    /// count as same-zone.
    pub fn between(&self, ra: &str, a: &Option<String>, rb: &str, b: &Option<String>) -> Dist {
        if ra != rb {
            return self.cross_region.clone();
        }
        match (a, b) {
            (Some(a), Some(b)) if a != b => self.cross_az.clone(),
            _ => self.same_az.clone(),
        }
    }
}

/// Account-level quotas, which AWS applies across every resource of a kind: the one place
/// where components share state. Built fresh for each run by the world.
pub struct Shared {
    /// aws-facts: §1 account throttle, shared by every API Gateway API in a Region: by
    /// Region.
    pub api_gateway: BTreeMap<String, api_gateway::AccountThrottle>,
    /// aws-facts: §2 concurrency: the account's pool and its requests-per-second quota,
    /// shared by every Lambda function in a Region: by Region.
    pub lambda: BTreeMap<String, lambda::SharedPool>,
    /// aws-facts: §12 KMS: the symmetric-crypto request quota, shared by every KMS component
    /// of a Region: by Region.
    pub kms: BTreeMap<String, kms::SharedQuota>,
    /// aws-facts: §18 Step Functions: the StartExecution and StateTransition buckets and
    /// the open executions of each Region and workflow type, shared by its state machines.
    pub step_functions: step_functions::AccountQuotas,
    /// The target group of each Auto Scaling group (by component index), which the load
    /// balancer in front of it reads and writes health into.
    pub target_groups: Vec<Option<target_group::TargetGroup>>,
    /// The EBS volumes of each host's instances (by the host's component index), which the
    /// host does I/O on and its `ebs` component reports.
    pub volumes: Vec<Option<ebs::Disk>>,
}

impl Shared {
    /// The account's shared state for one run: the quota pools, less what the components set
    /// aside, and a target group for each fleet, with the settings of the load balancer in
    /// front of it.
    pub fn new(
        account: &Account,
        specs: &[&ComponentSpec],
        regions: &[&str],
        clock: &Clock,
    ) -> Shared {
        // Each Region's quotas, less what its own functions set aside.
        let mut api_gateway = BTreeMap::new();
        let mut lambda = BTreeMap::new();
        let mut kms = BTreeMap::new();
        let claims = AccountClaims::by_region(specs.iter().copied().zip(regions.iter().copied()));
        for (region, here) in claims {
            let (rate, burst) = account.api_gateway(region);
            api_gateway.insert(
                region.to_string(),
                Rc::new(RefCell::new(token_bucket::TokenBucket::new(rate, burst))),
            );
            lambda.insert(
                region.to_string(),
                Rc::new(RefCell::new(lambda::AccountPool::new(
                    account.lambda_concurrency,
                    here.lambda_set_aside,
                    account.lambda_rate_burst,
                ))),
            );
            kms.insert(
                region.to_string(),
                Rc::new(RefCell::new(kms::AccountQuota::new(
                    here.kms_quota.unwrap_or_default(),
                ))),
            );
        }
        let target_groups: Vec<Option<target_group::TargetGroup>> = specs
            .iter()
            .map(|s| {
                s.is_fleet().then(|| {
                    Rc::new(RefCell::new(target_group::TargetGroupState::new(
                        // aws-facts: §3 target-group settings: 300 s unless the load balancer
                        // in front says otherwise.
                        SimTime::from_secs(300),
                    )))
                })
            })
            .collect();
        for s in specs {
            if let Some((fleet, delay)) = s.fronts() {
                if let Some(g) = &target_groups[fleet] {
                    let mut g = g.borrow_mut();
                    g.deregistration_delay = delay;
                    g.has_load_balancer = true;
                }
            }
        }
        let mut volumes: Vec<Option<ebs::Disk>> = vec![None; specs.len()];
        for s in specs {
            if let Some((host, disk)) = s.disk(clock) {
                volumes[host] = Some(disk);
            }
        }
        Shared {
            target_groups,
            volumes,
            api_gateway,
            lambda,
            kms,
            step_functions: step_functions::AccountQuotas::default(),
        }
    }
}

/// Account quotas (`[account]`), each applied in every Region on its own (aws-facts: §1
/// "per account per Region", §2 "per Region").
#[derive(Clone, Debug)]
pub struct Account {
    /// API Gateway's account throttle, shared by every API in a Region [requests/s];
    /// `None`: AWS's default for the Region (`Account::api_gateway`).
    pub api_gateway_rate: Option<f64>,
    /// The account throttle's burst: the bucket's size [requests]; `None`: the Region's
    /// default.
    pub api_gateway_burst: Option<u64>,
    /// Lambda's concurrency quota for the account in each Region, shared by every function
    /// there [executions]. Default 1,000.
    pub lambda_concurrency: u32,
    /// How much of Lambda's request-rate quota may be taken at once, as a time at that rate
    /// [s]. Default 1 s, a choice: AWS documents no burst.
    pub lambda_rate_burst: SimTime,
}

impl Default for Account {
    fn default() -> Self {
        // aws-facts: §2 account concurrency 1,000.
        Account {
            api_gateway_rate: None,
            api_gateway_burst: None,
            lambda_concurrency: 1_000,
            lambda_rate_burst: SimTime::from_secs(1),
        }
    }
}

/// The Regions whose API Gateway account throttle is 2,500 requests/s with a burst of 1,250
/// (aws-facts: §1 account throttle: Cape Town, Milan, Jakarta, UAE, Hyderabad, Melbourne,
/// Spain, Zurich, Tel Aviv, Calgary, Malaysia, Thailand, Mexico).
pub const NEWER_REGIONS: [&str; 13] = [
    "af-south-1",
    "eu-south-1",
    "ap-southeast-3",
    "me-central-1",
    "ap-south-2",
    "ap-southeast-4",
    "eu-south-2",
    "eu-central-2",
    "il-central-1",
    "ca-west-1",
    "ap-southeast-5",
    "ap-southeast-7",
    "mx-central-1",
];

impl Account {
    /// API Gateway's account throttle in `region`: what `[account]` says, or AWS's default
    /// there (aws-facts: §1: 10,000 requests/s, burst 5,000; 2,500 and 1,250 in the newer
    /// Regions).
    pub fn api_gateway(&self, region: &str) -> (f64, u64) {
        let (rate, burst) = if NEWER_REGIONS.contains(&region) {
            (2_500.0, 1_250)
        } else {
            (10_000.0, 5_000)
        };
        (
            self.api_gateway_rate.unwrap_or(rate),
            self.api_gateway_burst.unwrap_or(burst),
        )
    }
}

/// The least concurrency the account's unreserved pool must keep (aws-facts: §2 concurrency).
pub const LAMBDA_UNRESERVED_MIN: u32 = 100;

/// The most bytes a synchronous Lambda invocation carries, beyond which the Invoke API
/// answers 413 and which an event source mapping's batch (a queue's, a stream's) stops short
/// of (aws-facts is silent; `lambda:gettingstarted-limits.html`: 6 MB for a synchronous
/// invocation's request).
pub const LAMBDA_SYNC_PAYLOAD_MAX: u64 = 6 * 1024 * 1024;

/// The most bytes an asynchronous Lambda invocation carries, beyond which the Invoke API
/// answers 413 and queues no event (API_Invoke: "For asynchronous invocations, the maximum
/// payload size is 1 MB"; aws-facts: §14 gives it as unconfirmed).
pub const LAMBDA_ASYNC_PAYLOAD_MAX: u64 = 1024 * 1024;

/// Status a downstream timeout becomes.
pub const DOWNSTREAM_TIMEOUT: u16 = 504;
/// Status a downstream error reported in an answer (`Outcome::Error`) becomes when it is
/// passed up.
pub const DOWNSTREAM_ERROR: u16 = crate::status::FAILED_UPSTREAM;

/// What a request does once a downstream call has ended (see `CallCursor::after_reply`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterReply {
    /// The SDK retries the call after this backoff (`CallCursor::call_again` when it is over).
    Retry(SimTime),
    /// The call succeeded: go on to the request's next call, or finish it.
    Next,
    /// The call failed for good: end the request with this status.
    Fail(u16),
}

/// A request's way through its component's downstream calls: which call is current and how
/// many attempts it has had. Components that make calls in sequence keep one per request.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallCursor {
    next: usize,
    /// The edge `next` moved past was taken (a call made on it, or about to be).
    taken: bool,
    attempt: u32,
    /// What the current call's last retry cost from the quota.
    charged: Charge,
}

impl CallCursor {
    /// Makes the next call the request takes (each edge drawn against its probability), tagging
    /// its reply with `tag`; `None` when no call is left.
    pub fn call_next(
        &mut self,
        edges: &[Edge],
        ctx: &mut Ctx<'_>,
        rng: &mut SimRng,
        msg: Msg,
        tag: u64,
    ) -> Option<CallId> {
        self.call_next_after(edges, ctx, rng, msg, tag, SimTime::ZERO)
    }

    /// Like `call_next`, for a caller that first spends `delay` of its own (its work): the
    /// call leaves when the work is done, with no event in between.
    pub fn call_next_after(
        &mut self,
        edges: &[Edge],
        ctx: &mut Ctx<'_>,
        rng: &mut SimRng,
        msg: Msg,
        tag: u64,
        delay: SimTime,
    ) -> Option<CallId> {
        self.advance(edges, rng)?;
        Some(self.call_current(edges, ctx, rng, msg, tag, delay))
    }

    /// The place among `edges` of the current call (the one last made); `None` before the
    /// first, and once `advance` found none left.
    pub fn at(&self) -> Option<usize> {
        self.taken.then(|| self.next - 1)
    }

    /// Moves to the next call the request takes (each edge drawn against its probability)
    /// without making it, for a caller whose message depends on the edge; its place among
    /// `edges`, `None` when no call is left. `call_current` makes it.
    pub fn advance(&mut self, edges: &[Edge], rng: &mut SimRng) -> Option<usize> {
        self.taken = false;
        while let Some(edge) = edges.get(self.next) {
            self.next += 1;
            if edge.taken(rng) {
                self.taken = true;
                return Some(self.next - 1);
            }
        }
        None
    }

    /// Makes the current call afresh (its first attempt), leaving after `delay`: the one
    /// `advance` moved to, or the same edge's next call of a request that makes several.
    pub fn call_current(
        &mut self,
        edges: &[Edge],
        ctx: &mut Ctx<'_>,
        rng: &mut SimRng,
        msg: Msg,
        tag: u64,
        delay: SimTime,
    ) -> CallId {
        self.attempt = 1;
        self.charged = Charge::default();
        edges[self.next - 1].call_after(ctx, rng, msg, tag, delay)
    }

    /// What the caller does after the current call ended with `outcome`: wait out the SDK's
    /// backoff and try again, go on with the request, or stop it with the status passed up (a
    /// downstream timeout becomes 504 and an error in an answer 502, as a gateway's would).
    /// `tokens` holds the retry quotas of the process that made the call.
    pub fn after_reply(
        &mut self,
        edges: &[Edge],
        tokens: &mut RetryTokens,
        outcome: Outcome,
        rng: &mut SimRng,
    ) -> AfterReply {
        let at = self.next - 1;
        let mut scratch = 0;
        let bucket = tokens.bucket(at, &mut scratch);
        let charged = &mut self.charged;
        if let Some(wait) = edges[at]
            .retry
            .after(self.attempt, outcome, bucket, charged, rng)
        {
            return AfterReply::Retry(wait);
        }
        match outcome {
            o if o.is_success() => AfterReply::Next,
            Outcome::Status(s) => AfterReply::Fail(s),
            Outcome::Timeout => AfterReply::Fail(DOWNSTREAM_TIMEOUT),
            Outcome::Error => AfterReply::Fail(DOWNSTREAM_ERROR),
        }
    }

    /// Makes the current call again, its backoff being over.
    pub fn call_again(
        &mut self,
        edges: &[Edge],
        ctx: &mut Ctx<'_>,
        rng: &mut SimRng,
        msg: Msg,
        tag: u64,
    ) -> CallId {
        self.attempt += 1;
        edges[self.next - 1].attempt(ctx, rng, msg, tag, true)
    }
}

/// What a component is given when it is built for one run.
pub struct BuildEnv {
    /// The component's id, for its event records.
    pub name: String,
    /// The run's measurement frame: window width, end of warmup, end of arrivals.
    pub clock: Clock,
    /// Its own random stream.
    pub rng: SimRng,
    /// The run's seed, for more streams of its own (`BuildEnv::stream`).
    pub seed: u64,
    /// Its downstream calls, in the order the scenario lists them.
    pub edges: Vec<Edge>,
    /// The zone of each call's callee (`None`: regional), in the same order.
    pub edge_zones: Vec<Option<String>>,
    /// Its own region.
    pub region: String,
    /// Its own zone (`az`), if it has one.
    pub az: Option<String>,
    /// The region of each call's callee, in the same order.
    pub edge_regions: Vec<String>,
    /// The id of each call's callee, in the same order, for event records.
    pub edge_names: Vec<String>,
    /// One-way latencies by zone, for components that span zones.
    pub network: Network,
    /// Its client of the KMS component its table names, for a kind that calls KMS itself
    /// (`Kind::kms_use` is `Own`); `None` for every other.
    pub kms: Option<kms::caller::KmsClient>,
    /// Whether a browser workload sends it requests (and so preflights): it then reports
    /// its preflights even when it has no CORS configuration to answer them.
    pub browsers: bool,
}

impl BuildEnv {
    /// A random stream of the component's own for one purpose (`component:<id>:<purpose>`):
    /// draws for one side of its work (a queue's producers) then stay the same when a
    /// variant changes another side (its consumers), so that variants compare on common
    /// random numbers there too.
    pub fn stream(&self, purpose: &str) -> SimRng {
        crate::kernel::stream(self.seed, &format!("component:{}:{purpose}", self.name))
    }
}

/// What a component reports at the end of a run.
pub struct ComponentReport {
    /// Its summary statistics: counts, gauges and histograms by dotted path.
    pub metrics: MetricSet,
    /// Its series, each declared in its kind's `KindInfo::series`.
    pub series: Vec<(&'static crate::metrics::Series, Vec<f64>)>,
    /// The events it recorded, for `events.csv` and the plots' marks.
    pub events: Vec<EventRecord>,
}

/// A running component. A world lives on one thread, so components need not be `Send`.
pub trait Component {
    /// Called once before the first event.
    fn start(&mut self, _ctx: &mut Ctx<'_>) {}
    /// Handles one input the kernel delivers: a timer, a call, a reply or a fault.
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>);
    /// Closes its recorders at the end of the run and hands over what they hold.
    fn finish(&mut self) -> ComponentReport;
}

/// A component's timers (or faults) as one typed enum, carried by the kernel as a number
/// (`Input::Timer(tag)`, `Input::Fault { code }`): each kind encodes its own, in one place,
/// and tests that every value survives the trip (`token_round_trip`). No component does bit
/// arithmetic on tags in its logic.
pub trait Token: Sized + Copy + PartialEq + std::fmt::Debug {
    /// The number the kernel carries.
    fn encode(self) -> u64;
    /// The value a number carries, if it is one of this type's.
    fn decode(token: u64) -> Option<Self>;
}

/// Bits of a token that hold which variant it is; the rest hold an index (a job, a
/// request, an instance). Sixteen variants and 2^60 indices are more than any kind needs.
pub const TOKEN_VARIANT_BITS: u32 = 4;

/// A token of variant `variant` (below 16) about `index`.
pub const fn pack(variant: u64, index: u64) -> u64 {
    (index << TOKEN_VARIANT_BITS) | variant
}

/// (variant, index) of a token made by `pack`.
pub const fn unpack(token: u64) -> (u64, u64) {
    (
        token & ((1 << TOKEN_VARIANT_BITS) - 1),
        token >> TOKEN_VARIANT_BITS,
    )
}

/// Checks that `value` encodes and decodes to itself: for each kind's property test.
#[cfg(test)]
pub fn token_round_trip<T: Token>(value: T) -> Result<(), String> {
    match T::decode(value.encode()) {
        Some(v) if v == value => Ok(()),
        other => Err(format!("{value:?} came back as {other:?}")),
    }
}

/// The most other traces a batch's call links: X-Ray links a segment to at most 20 traces
/// (AWS X-Ray developer guide, "Tracing event-driven applications"); the messages past them
/// are carried untraced by that call.
pub(crate) const MAX_BATCH_LINKS: usize = 20;

/// The spans of a batch's call from the spans of its messages, in order (0: untraced): the
/// wait of the first traced message parents the call, and up to `MAX_BATCH_LINKS` of the
/// others' are linked (`Ctx::link_call`). Which message parents a batch no documentation
/// says: the first traced one is a choice.
pub(crate) fn batch_spans(spans: impl IntoIterator<Item = u32>) -> (u32, Vec<u32>) {
    let mut traced = spans.into_iter().filter(|&s| s != 0);
    let parent = traced.next().unwrap_or(0);
    (parent, traced.take(MAX_BATCH_LINKS).collect())
}
