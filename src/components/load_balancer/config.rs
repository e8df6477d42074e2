//! The `load_balancer` table: its keys as written, and the validated config.

use crate::components::{CallSpec, OpChoice, PROBE_DEEP, PROBE_SHALLOW};
use crate::config::raw::{RawComponentTable, RawIds};
use crate::config::Checker;
use crate::kernel::SimTime;
use crate::retry::{RetryPolicy, RetrySpec};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLb {
    #[serde(rename = "type")]
    lb_type: Option<Spanned<String>>,
    targets: Spanned<RawIds>,
    algorithm: Option<Spanned<String>>,
    idle_timeout: Option<Spanned<String>>,
    cross_zone: Option<bool>,
    health_check: Option<Spanned<RawHealth>>,
    backend_connections: Option<Spanned<i64>>,
    deregistration_delay: Option<Spanned<String>>,
    slow_start: Option<Spanned<String>>,
    dns_ttl: Option<Spanned<String>>,
    lost_node_detection: Option<Spanned<String>>,
    requests_per_connection: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    healthy_threshold: Option<Spanned<i64>>,
    unhealthy_threshold: Option<Spanned<i64>>,
    path: Option<Spanned<String>>,
    protocol: Option<Spanned<String>>,
}

/// The words `type` takes.
pub(super) const TYPES: &[&str] = &["application", "network", "classic"];
/// The words `algorithm` takes (a network load balancer takes none).
pub(super) const ALGORITHMS: &[&str] = &["round_robin", "least_outstanding"];
/// The words `health_check.path` takes.
pub(super) const PROBE_PATHS: &[&str] = &["deep", "shallow"];
/// The words `health_check.protocol` takes (a network load balancer's).
pub(super) const PROTOCOLS: &[&str] = &["tcp", "http"];
/// aws-facts: §3 health checks: both thresholds are 2 to 10.
pub(super) const THRESHOLDS: (i64, i64) = (2, 10);
/// The most back-end connections per target a classic load balancer may be given.
pub(super) const MAX_BACKEND_CONNECTIONS: i64 = 1_000_000;

/// The type of Elastic Load Balancing load balancer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbType {
    /// An Application Load Balancer (layer 7): round robin and cross-zone on by default; it
    /// fails open when no target is healthy.
    Application,
    /// A Network Load Balancer (layer 4): a flow hash, cross-zone off by default, a 350 s
    /// idle timeout.
    Network,
    /// A Classic Load Balancer (the previous generation): least outstanding requests,
    /// cross-zone off by default, and a surge queue when its back-end connections are capped.
    Classic,
}

/// How a load-balancer node picks a target among those it may route to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// Each target in turn: the ALB's default.
    RoundRobin,
    /// The target with the fewest requests in flight, ties taken in turn: the CLB's default
    /// for HTTP, and the ALB's least outstanding requests.
    LeastOutstanding,
    /// NLB: a flow hash, one target per connection; per request it is a uniform draw.
    FlowHash,
}

/// How the load balancer checks its targets' health.
#[derive(Clone, Debug)]
pub struct HealthCheck {
    /// Time between two rounds of probes [s].
    pub interval: SimTime,
    /// Time a probe waits for its answer before it counts as failed [s].
    pub timeout: SimTime,
    /// Successes in a row that make an unhealthy target healthy [checks].
    pub healthy_threshold: u32,
    /// Failures in a row that make a healthy target unhealthy [checks].
    pub unhealthy_threshold: u32,
    /// The probe's operation [op]: `PROBE_DEEP` (the target's whole request path) or
    /// `PROBE_SHALLOW`.
    pub probe_op: u16,
    /// Whether it probes at all: a Lambda target is not checked unless the scenario asks.
    pub enabled: bool,
    /// Whether the scenario wrote the interval and the timeout (`None`: no `health_check`),
    /// for the defaults of a Lambda target, known once the targets' kinds are.
    pub written: Option<(bool, bool)>,
    /// Where the timeout is written, for a timeout found too long once the interval is known.
    pub timeout_span: Option<Range<usize>>,
    /// Where the interval is written, for a timeout left at its default that is too long.
    pub interval_span: Option<Range<usize>>,
}

/// A validated `load_balancer`.
#[derive(Clone, Debug)]
pub struct LbConfig {
    /// Application, network or classic [type].
    pub lb_type: LbType,
    /// How a node picks a target among those it may route to [algorithm].
    pub algorithm: Algorithm,
    /// Time a target has to answer before the request gets 504 [s].
    pub idle_timeout: SimTime,
    /// Whether a node routes to targets in every zone, or only in its own [on/off].
    pub cross_zone: bool,
    /// Its health checks.
    pub health: HealthCheck,
    /// Classic: connections per target, beyond which requests wait in the surge queue
    /// [connections]; `None`: no limit.
    pub backend_connections: Option<u32>,
    /// One call spec per target, in order; filled in with zones when the world is built.
    /// An Auto Scaling group is one target standing for the instances it registers.
    pub calls: Vec<CallSpec>,
    /// Where each target is named [byte range], for checks across components.
    pub target_spans: Vec<Range<usize>>,
    /// Whether the one target is an Auto Scaling group (set when the scenario is checked).
    pub group_target: bool,
    /// aws-facts: §3 target-group settings: draining time of a deregistered target [s].
    pub deregistration_delay: SimTime,
    /// aws-facts: §3: a new target's share ramps up linearly over this [s] (`ZERO`: off).
    pub slow_start: SimTime,
    /// How long clients keep resolving a zone's node after DNS drops it [s]: their cached
    /// answers expire uniformly over this.
    pub dns_ttl: SimTime,
    /// How long after its zone fails a node lost with it leaves DNS [s].
    pub lost_node_detection: SimTime,
    /// The zone of each node, in the order the running load balancer numbers them (set when
    /// the scenario is checked): the group's zones, or its targets' zones sorted (`None`: a
    /// target in no zone).
    pub node_zones: Vec<Option<String>>,
    /// Requests a client connection carries before it closes, for the capacity units billed
    /// for new connections [requests].
    pub requests_per_connection: u32,
}

/// The most requests per connection `requests_per_connection` takes: a bound on input, far
/// beyond what an idle timeout lets a connection carry.
pub(super) const MAX_REQUESTS_PER_CONNECTION: i64 = 1_000_000;

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<LbConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawLb = ck.deserialize(table)?;
    let lb_type = ck
        .one_of_or(&raw.lb_type, "type", TYPES, "application")
        .map(|t| match t {
            "application" => LbType::Application,
            "network" => LbType::Network,
            _ => LbType::Classic,
        })?;
    // aws-facts: §3 routing: ALB round robin by default; CLB least outstanding requests
    // for HTTP; NLB a flow hash.
    let default_algorithm = match lb_type {
        LbType::Application => Algorithm::RoundRobin,
        LbType::Classic => Algorithm::LeastOutstanding,
        LbType::Network => Algorithm::FlowHash,
    };
    let algorithm = ck.or(&raw.algorithm, default_algorithm, |ck, a| {
        if lb_type == LbType::Network {
            ck.error(
                a.span(),
                "a network load balancer routes by flow hash: it takes no `algorithm`",
            );
            return None;
        }
        ck.one_of(a, "algorithm", ALGORITHMS).map(|a| {
            if a == "round_robin" {
                Algorithm::RoundRobin
            } else {
                Algorithm::LeastOutstanding
            }
        })
    });
    // aws-facts: §3 idle timeouts: ALB and CLB 60 s, NLB 350 s.
    let default_idle = SimTime::from_secs(if lb_type == LbType::Network { 350 } else { 60 });
    let idle_timeout = ck.positive_duration_or(&raw.idle_timeout, "idle_timeout", default_idle);
    // aws-facts: §3 cross-zone: on for ALB, off by default for NLB and (API-created) CLB.
    let cross_zone = raw.cross_zone.unwrap_or(lb_type == LbType::Application);
    // A health check that is wrong stops the reading here, as it always has.
    let health = ck.or(
        &raw.health_check,
        HealthCheck::by_default(lb_type, Protocol::Tcp),
        |ck, h| health_check(h.get_ref(), lb_type, &at, ck),
    )?;
    let backend_connections = ck.or(&raw.backend_connections, None, |ck, c| {
        if lb_type != LbType::Classic {
            ck.error(
                c.span(),
                "`backend_connections` (and the surge queue) belong to type = \"classic\"",
            );
            return None;
        }
        ck.int_in(c, "backend_connections", 1, MAX_BACKEND_CONNECTIONS)
            .map(|c| Some(c as u32))
    });
    let targets = RawIds::into_list(&raw.targets);
    if targets.is_empty() {
        ck.error(
            raw.targets.span(),
            "a load balancer needs at least one target in `targets`",
        );
        return None;
    }
    // aws-facts: §3 target-group settings: deregistration delay 300 s by default, at most
    // 3600 s.
    let deregistration_delay = ck.or(
        &raw.deregistration_delay,
        SimTime::from_secs(300),
        |ck, d| match ck.duration(d, "deregistration_delay") {
            Some(t) if t > SimTime::from_secs(3600) => {
                ck.error(
                    d.span(),
                    format!("`deregistration_delay` is at most 3600s (aws-facts §3), not {t}"),
                );
                None
            }
            t => t,
        },
    );
    let slow_start = ck.or(&raw.slow_start, SimTime::ZERO, |ck, d| {
        // aws-facts: §3 target-group settings: slow start is an ALB target group's attribute.
        if lb_type != LbType::Application {
            ck.error(
                d.span(),
                "`slow_start` belongs to type = \"application\": network and classic load balancers have no slow start mode",
            );
            return None;
        }
        let t = ck.duration(d, "slow_start")?;
        let secs = t.as_secs_f64();
        if t != SimTime::ZERO && !(30.0..=900.0).contains(&secs) {
            ck.error(
                d.span(),
                format!("`slow_start` is 30s to 900s, or 0s for off (aws-facts §3), not {t}"),
            );
            None
        } else if t != SimTime::ZERO && algorithm == Some(Algorithm::LeastOutstanding) {
            ck.error(d.span(), "slow start does not work with least outstanding requests (aws-facts §3): use `algorithm = \"round_robin\"`");
            None
        } else {
            Some(t)
        }
    });
    // aws-facts: §3 misc: a load balancer's DNS TTL is 60 s; how long clients keep a cached
    // answer beyond it is theirs, so this is a choice: they keep it one TTL.
    let dns_ttl = ck.duration_or(&raw.dns_ttl, "dns_ttl", SimTime::from_secs(60));
    // How soon ELB takes a node lost with its zone out of DNS AWS does not say: a choice, at
    // once, so that the clients' cached answers (`dns_ttl`) are the whole tail.
    let lost_node_detection = ck.duration_or(
        &raw.lost_node_detection,
        "lost_node_detection",
        SimTime::ZERO,
    );
    // How many requests clients send over one connection is theirs, not AWS's: chosen, one
    // (no keep-alive), which bills the most capacity units for new connections, an upper
    // bound; a browser or an SDK with keep-alive sends many.
    let requests_per_connection = ck.int_or(
        &raw.requests_per_connection,
        "requests_per_connection",
        (1, MAX_REQUESTS_PER_CONNECTION),
        1,
    );
    if let (Some(r), LbType::Classic) = (&raw.requests_per_connection, lb_type) {
        ck.warn(
            r.span(),
            "`requests_per_connection` sets an application or network load balancer's capacity units; a classic one bills per GB processed, so it changes nothing here",
        );
    }
    let mut calls = Vec::new();
    let target_spans = targets.iter().map(|t| t.span()).collect();
    for t in &targets {
        let to = ck.component(t, "targets")?;
        calls.push(CallSpec {
            to,
            op: OpChoice::Inherit,
            probability: 1.0,
            timeout: None,
            latency: None,
            // A load balancer does not retry.
            retry: Some(RetrySpec::Policy(RetryPolicy::none())),
            asynchronous: None,
            position: None,
        });
    }
    let idle_timeout = idle_timeout?;
    for c in &mut calls {
        c.timeout = Some(idle_timeout);
    }
    Some(LbConfig {
        lb_type,
        algorithm: algorithm?,
        idle_timeout,
        cross_zone,
        health,
        backend_connections: backend_connections?,
        calls,
        target_spans,
        group_target: false,
        deregistration_delay: deregistration_delay?,
        slow_start: slow_start?,
        dns_ttl: dns_ttl?,
        lost_node_detection: lost_node_detection?,
        node_zones: Vec::new(),
        requests_per_connection: u32::try_from(requests_per_connection?)
            .expect("within 1..=MAX_REQUESTS_PER_CONNECTION"),
    })
}

/// How a network load balancer's health checks probe (ALB and CLB probe over HTTP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// A TCP connection: a target that is up answers at once (a shallow probe).
    Tcp,
    /// An HTTP request to the health-check path.
    Http,
}

impl HealthCheck {
    /// aws-facts: §3 health checks: interval 30 s, unhealthy after 2, healthy after 5 (10 for
    /// CLB); a timeout of 5 s, but an NLB's is 10 s over TCP (its default protocol) and 6 s
    /// over HTTP.
    fn by_default(lb_type: LbType, protocol: Protocol) -> HealthCheck {
        let (timeout, probe_op) = match (lb_type, protocol) {
            (LbType::Network, Protocol::Tcp) => (10, PROBE_SHALLOW),
            (LbType::Network, Protocol::Http) => (6, PROBE_DEEP),
            _ => (5, PROBE_DEEP),
        };
        HealthCheck {
            interval: SimTime::from_secs(30),
            timeout: SimTime::from_secs(timeout),
            healthy_threshold: if lb_type == LbType::Classic { 10 } else { 5 },
            unhealthy_threshold: 2,
            probe_op,
            enabled: true,
            written: None,
            timeout_span: None,
            interval_span: None,
        }
    }
}

/// The `health_check` table of a load balancer of type `lb_type`; `at` is where the component
/// is written, for a timeout left at its default that is too long for the interval given.
fn health_check(
    h: &RawHealth,
    lb_type: LbType,
    at: &Range<usize>,
    ck: &mut Checker,
) -> Option<HealthCheck> {
    let protocol = ck.or(&h.protocol, Protocol::Tcp, |ck, p| {
        if lb_type != LbType::Network {
            ck.error(
                p.span(),
                "`health_check.protocol` belongs to type = \"network\": application and classic load balancers check over HTTP here",
            );
            return None;
        }
        ck.one_of(p, "health_check.protocol", PROTOCOLS)
            .map(|p| if p == "tcp" { Protocol::Tcp } else { Protocol::Http })
    })?;
    let d = HealthCheck::by_default(lb_type, protocol);
    let interval = ck.positive_duration_or(&h.interval, "health_check.interval", d.interval);
    let timeout = ck.positive_duration_or(&h.timeout, "health_check.timeout", d.timeout);
    let healthy = ck.int_or(
        &h.healthy_threshold,
        "health_check.healthy_threshold",
        THRESHOLDS,
        i64::from(d.healthy_threshold),
    );
    let unhealthy = ck.int_or(
        &h.unhealthy_threshold,
        "health_check.unhealthy_threshold",
        THRESHOLDS,
        i64::from(d.unhealthy_threshold),
    );
    let probe_op = match (&h.path, lb_type, protocol) {
        (Some(p), LbType::Network, Protocol::Tcp) => {
            ck.error(
                p.span(),
                "a TCP health check only opens a connection: it takes no `path` (set `protocol = \"http\"` for one)",
            );
            None
        }
        (None, ..) => Some(d.probe_op),
        (Some(_), ..) => ck
            .one_of_or(&h.path, "health_check.path", PROBE_PATHS, "deep")
            .map(|p| {
                if p == "deep" {
                    PROBE_DEEP
                } else {
                    PROBE_SHALLOW
                }
            }),
    };
    let (interval, timeout) = (interval?, timeout?);
    // aws-facts: §3 health checks: interval 5–300 s, timeout 2–120 s.
    let mut in_range = true;
    for (value, key, field, lo, hi) in [
        (interval, &h.interval, "interval", 5, 300),
        (timeout, &h.timeout, "timeout", 2, 120),
    ] {
        if value < SimTime::from_secs(lo) || value > SimTime::from_secs(hi) {
            ck.error(
                key.as_ref().map_or(at.clone(), |k| k.span()),
                format!("`health_check.{field}` is {lo}s to {hi}s (aws-facts §3), not {value}"),
            );
            in_range = false;
        }
    }
    if !in_range {
        return None;
    }
    // The timeout is compared with the interval in `relate`, once the defaults are final (a
    // Lambda target's are 35 s and 30 s).
    Some(HealthCheck {
        interval,
        timeout,
        healthy_threshold: healthy? as u32,
        unhealthy_threshold: unhealthy? as u32,
        probe_op: probe_op?,
        enabled: true,
        written: Some((h.interval.is_some(), h.timeout.is_some())),
        timeout_span: h.timeout.as_ref().map(|t| t.span()),
        interval_span: h.interval.as_ref().map(|i| i.span()),
    })
}

impl LbConfig {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let t = match self.lb_type {
            LbType::Application => "ALB",
            LbType::Network => "NLB",
            LbType::Classic => "CLB",
        };
        let a = match self.algorithm {
            Algorithm::RoundRobin => "round robin",
            Algorithm::LeastOutstanding => "least outstanding",
            Algorithm::FlowHash => "flow hash",
        };
        let targets = match (self.group_target, self.calls.len()) {
            (true, _) => "an Auto Scaling group".to_string(),
            (false, 1) => "1 target".to_string(),
            (false, n) => format!("{n} targets"),
        };
        vec![
            format!("{t}, {a}, {targets}"),
            format!(
                "idle timeout {}, cross-zone {}",
                self.idle_timeout,
                if self.cross_zone { "on" } else { "off" }
            ),
        ]
    }
}
