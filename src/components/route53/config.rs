//! The `route53` table: its keys as written, and the validated config.

use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker, OpChoice};
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::limits::{MAX_DNS_CLIENTS, MAX_DNS_RECORDS, MAX_HEALTH_CHECKERS};
use crate::retry::{RetryPolicy, RetrySpec};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute53 {
    routing: Option<Spanned<String>>,
    records: Spanned<Vec<Spanned<RawRecord>>>,
    ttl: Option<Spanned<String>>,
    health_check: Option<Spanned<RawHealthCheck>>,
    clients: Option<Spanned<i64>>,
    ignore_ttl: Option<Spanned<f64>>,
    ignored_ttl_cache: Option<Spanned<String>>,
    resolvers: Option<Spanned<i64>>,
    resolver_latency: Option<Spanned<RawDist>>,
    query_latency: Option<Spanned<RawDist>>,
    client_regions: Option<Vec<Spanned<RawClientRegion>>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    to: Spanned<String>,
    weight: Option<Spanned<i64>>,
    role: Option<Spanned<String>>,
    alias: Option<Spanned<bool>>,
    health_check: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealthCheck {
    interval: Option<Spanned<String>>,
    failure_threshold: Option<Spanned<i64>>,
    checkers: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClientRegion {
    region: Spanned<String>,
    weight: Spanned<f64>,
}

/// The words `routing` takes.
pub(super) const ROUTINGS: &[&str] = &["simple", "weighted", "failover", "latency"];
/// The words a failover record's `role` takes.
pub(super) const ROLES: &[&str] = &["primary", "secondary"];

/// How Route 53 picks the record it answers with (aws-facts: §10 Route 53 routing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// One record, answered whatever its health.
    Simple,
    /// Each healthy record in proportion to its weight.
    Weighted,
    /// The primary while it is healthy, else the secondary.
    Failover,
    /// The record in the client's region, else another healthy one.
    Latency,
}

/// A failover record's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Answered while healthy.
    Primary,
    /// Answered while the primary is not.
    Secondary,
}

/// One record: where it sends clients, and how it is weighed and checked.
#[derive(Clone, Debug)]
pub struct Record {
    /// The component it points at (an index among the scenario's components).
    pub to: usize,
    /// The component's id, for messages, events and summary fields.
    pub name: String,
    /// Weighted routing's weight, 0–255 [relative].
    pub weight: u32,
    /// Failover routing's role.
    pub role: Option<Role>,
    /// An alias record (to a load balancer, a CloudFront distribution, an S3 website
    /// endpoint, an API Gateway domain): its TTL is the target's, 60 s, and its queries are
    /// free. Settled by `relate` from the target's kind unless written.
    pub alias: bool,
    /// `alias` as written, and where, for `relate` to check against the target's kind.
    pub alias_written: Option<(bool, std::ops::Range<usize>)>,
    /// Whether Route 53 health-checks it (a record without a check is always healthy).
    pub checked: bool,
    /// How long resolvers and clients may cache an answer with it [s].
    pub ttl: SimTime,
}

/// How Route 53's health checkers probe each checked record (aws-facts: §10 health checks).
#[derive(Clone, Debug)]
pub struct HealthCheck {
    /// Time between two checks by one checker: 30 s (standard) or 10 s (fast) [s].
    pub interval: SimTime,
    /// Checks in a row a checker needs to change its view, 1–10 [checks].
    pub failure_threshold: u32,
    /// Checkers probing the endpoint, each from its own place [checkers].
    pub checkers: u32,
}

/// A validated `route53` component.
#[derive(Clone, Debug)]
pub struct Route53Config {
    /// How a record is picked.
    pub routing: Routing,
    /// Its records, in the order written.
    pub records: Vec<Record>,
    /// The health checks of its checked records.
    pub health: HealthCheck,
    /// DNS clients the requests come from [clients].
    pub clients: u32,
    /// Share of clients that ignore the TTL [0–1].
    pub ignore_ttl: f64,
    /// How long a client that ignores the TTL keeps its answer; `None`: for the whole run [s].
    pub ignored_ttl_cache: Option<SimTime>,
    /// Recursive resolvers the clients share, each with its cache [resolvers].
    pub resolvers: u32,
    /// A client's lookup answered by its resolver, round trip [s].
    pub resolver_latency: Dist,
    /// What a resolver's query to Route 53 adds when its cache has expired, round trip [s].
    pub query_latency: Dist,
    /// Clients' regions and their shares, for latency routing (empty: clients in no region).
    pub client_regions: Vec<(String, f64)>,
    /// The calls to the records' targets, one per record.
    pub calls: Vec<CallSpec>,
    /// The TTL of records that are not aliases [s].
    pub ttl: SimTime,
    /// Where `ttl` was written, if it was: refused when every record is an alias.
    pub ttl_written: Option<std::ops::Range<usize>>,
    /// Whether `timeout` was written: if not, the calls wait as long as the clients do
    /// (`settle_timeout`).
    pub timeout_written: bool,
}

/// The kinds a record may alias (aws-facts: §10 Route 53 routing: alias records point at AWS
/// resources; Route 53's alias targets include these, never an EC2 instance or a database).
pub const ALIAS_KINDS: &[&str] = &["load_balancer", "cloudfront", "s3", "api_gateway"];

impl Route53Config {
    /// With no `timeout` written, a request sent on waits as long as its clients do (the
    /// longest of their timeouts, `longest`), no longer: a client that gave up is not
    /// waited for, and the answer a target never gives ends when the clients' own timeout
    /// does, not a minute later. Clients that wait without end keep `DEFAULT_TIMEOUT`.
    pub fn settle_timeout(&mut self, longest: Option<SimTime>) {
        if let (false, Some(t)) = (self.timeout_written, longest) {
            for c in &mut self.calls {
                c.timeout = Some(t);
            }
        }
    }

    /// Settles each record's `alias` by its target's kind (`kinds`, by component index): an
    /// alias by default where the target can be one, a plain record elsewhere; an alias
    /// written to a target that cannot be one is an error. Then the TTLs follow, and a `ttl`
    /// that no record takes is refused. False when something is wrong (reported on `ck`).
    pub fn settle_aliases(&mut self, kinds: &[&str], ck: &mut Checker) -> bool {
        let mut ok = true;
        for r in &mut self.records {
            let kind = kinds[r.to];
            let can = ALIAS_KINDS.contains(&kind);
            r.alias = match &r.alias_written {
                Some((true, span)) if !can => {
                    ck.error(
                        span.clone(),
                        format!(
                            "\"{}\" is a {kind}, which a record cannot alias (an alias points at a load balancer, a CloudFront distribution, an S3 website endpoint or an API Gateway domain): set alias = false, and the record takes the component's `ttl`",
                            r.name
                        ),
                    );
                    ok = false;
                    false
                }
                Some((written, _)) => *written,
                None => can,
            };
            r.ttl = if r.alias { ALIAS_TTL } else { self.ttl };
        }
        if let Some(span) = &self.ttl_written {
            if ok && self.records.iter().all(|r| r.alias) {
                ck.error(
                    span.clone(),
                    "`ttl` is the TTL of records that are not aliases; every record here is an alias (to a load balancer, a CloudFront distribution, an S3 website endpoint or an API Gateway domain, by default), which takes its target's TTL of 60s: set alias = false on a record to give it this TTL",
                );
                ok = false;
            }
        }
        ok
    }
}

/// aws-facts: §10 Route 53 routing: alias records take the target's TTL, 60 s for ELB. AWS
/// states no TTL for its other alias targets (a CloudFront distribution, an S3 website
/// endpoint): they get the same 60 s, a choice.
pub(super) const ALIAS_TTL: SimTime = SimTime::from_secs(60);
/// aws-facts: §10 Route 53 routing: other records use the user's TTL, 300 s being common.
const DEFAULT_TTL: SimTime = SimTime::from_secs(300);
/// aws-facts: §10 health checks: ~15 checkers in different locations.
const DEFAULT_CHECKERS: i64 = 15;
/// How long a request sent on to a record's target waits for its answer when its clients
/// wait without end (else it waits as long as they do, `settle_timeout`): a choice; it bounds
/// how long a request to a target that vanished (a region down) is remembered.
const DEFAULT_TIMEOUT: SimTime = SimTime::from_secs(60);

/// aws-facts is silent on resolver latency: a lookup answered from a resolver's cache takes
/// 1–5 ms (a resolver in the client's network or ISP), a choice.
fn default_resolver_latency() -> Dist {
    Dist::uniform(0.001, 0.005).expect("valid")
}

/// aws-facts is silent on query latency: a resolver's query to Route 53's authoritative
/// servers adds 10–30 ms, a choice.
fn default_query_latency() -> Dist {
    Dist::uniform(0.010, 0.030).expect("valid")
}

/// Reads and validates a `route53` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Route53Config> {
    let whole = table.span();
    let raw: RawRoute53 = ck.deserialize(table)?;
    let routing = ck
        .one_of_or(&raw.routing, "routing", ROUTINGS, "simple")
        .map(|r| match r {
            "weighted" => Routing::Weighted,
            "failover" => Routing::Failover,
            "latency" => Routing::Latency,
            _ => Routing::Simple,
        });
    let ttl = ck.positive_duration_or(&raw.ttl, "ttl", DEFAULT_TTL);
    let health = health_check(&raw, routing, ck);
    let clients = ck.int_or(&raw.clients, "clients", (1, MAX_DNS_CLIENTS), 1_000);
    let ignore_ttl = ck.or(&raw.ignore_ttl, 0.0, |ck, v| {
        let x = ck.non_negative(v, "ignore_ttl", "a share of clients")?;
        ck.at_most(v, x, "ignore_ttl", 1.0, "a share of clients")
    });
    let ignored_ttl_cache = ck.or(&raw.ignored_ttl_cache, None, |ck, v| {
        if v.get_ref() == "forever" {
            Some(None)
        } else {
            ck.positive_duration(v, "ignored_ttl_cache").map(Some)
        }
    });
    let resolvers = ck.int_or(&raw.resolvers, "resolvers", (1, MAX_DNS_CLIENTS), 100);
    let resolver_latency = ck.time_dist_or(
        &raw.resolver_latency,
        "resolver_latency",
        default_resolver_latency(),
    );
    let query_latency =
        ck.time_dist_or(&raw.query_latency, "query_latency", default_query_latency());
    let timeout = ck.positive_duration_or(&raw.timeout, "timeout", DEFAULT_TIMEOUT);
    let client_regions = client_regions(&raw, routing, whole.clone(), ck);
    let (routing, ttl, timeout) = (routing?, ttl?, timeout?);
    let records = records(&raw, routing, ttl, ck)?;
    let calls = records
        .iter()
        .map(|r| CallSpec {
            to: r.to,
            op: OpChoice::Inherit,
            probability: 1.0,
            timeout: Some(timeout),
            // DNS is no hop: a client reaches the target directly, over the workload's own
            // latency (and the cross-region latency when its region is another).
            latency: Some(Dist::Constant(0.0)),
            // A request sent on is the client's own connection: whatever retries there are
            // are the client's (the workload's `retry`), not Route 53's.
            retry: Some(RetrySpec::Policy(RetryPolicy::none())),
            asynchronous: None,
            position: None,
        })
        .collect();
    Some(Route53Config {
        routing,
        records,
        health: health?,
        clients: clients? as u32,
        ignore_ttl: ignore_ttl?,
        ignored_ttl_cache: ignored_ttl_cache?,
        resolvers: resolvers? as u32,
        resolver_latency: resolver_latency?,
        query_latency: query_latency?,
        client_regions: client_regions?,
        calls,
        ttl,
        ttl_written: raw.ttl.as_ref().map(Spanned::span),
        timeout_written: raw.timeout.is_some(),
    })
}

/// The health checks: refused with simple routing (AWS does not check a simple record).
fn health_check(
    raw: &RawRoute53,
    routing: Option<Routing>,
    ck: &mut Checker,
) -> Option<HealthCheck> {
    let Some(h) = &raw.health_check else {
        return Some(HealthCheck {
            interval: SimTime::from_secs(30),
            failure_threshold: 3,
            checkers: DEFAULT_CHECKERS as u32,
        });
    };
    if routing == Some(Routing::Simple) {
        ck.error(
            h.span(),
            "simple routing answers its one record whatever its health, so it takes no `health_check`: use failover, weighted or latency routing to route by health",
        );
        return None;
    }
    let h = h.get_ref();
    // aws-facts: §10 health checks: 30 s (standard) or 10 s (fast), nothing else.
    let interval = ck.or(&h.interval, SimTime::from_secs(30), |ck, v| {
        let t = ck.duration(v, "health_check.interval")?;
        if t != SimTime::from_secs(10) && t != SimTime::from_secs(30) {
            ck.error(
                v.span(),
                format!(
                    "`health_check.interval` is {t}; Route 53 checks every 30s (standard) or every 10s (fast), nothing else"
                ),
            );
            return None;
        }
        Some(t)
    });
    // aws-facts: §10 health checks: FailureThreshold default 3, 1–10.
    let threshold = ck.int_or(
        &h.failure_threshold,
        "health_check.failure_threshold",
        (1, 10),
        3,
    );
    let checkers = ck.int_or(
        &h.checkers,
        "health_check.checkers",
        (1, MAX_HEALTH_CHECKERS),
        DEFAULT_CHECKERS,
    );
    Some(HealthCheck {
        interval: interval?,
        failure_threshold: threshold? as u32,
        checkers: checkers? as u32,
    })
}

/// The clients' regions, which only latency routing reads and needs.
fn client_regions(
    raw: &RawRoute53,
    routing: Option<Routing>,
    whole: Range<usize>,
    ck: &mut Checker,
) -> Option<Vec<(String, f64)>> {
    let list = raw.client_regions.as_deref().unwrap_or(&[]);
    match (routing, list.is_empty()) {
        (Some(Routing::Latency), true) => {
            ck.error(
                whole.start..whole.start,
                "latency routing answers each client with the record of its own region: say where clients are with `client_regions = [{ region = \"…\", weight = … }]`",
            );
            return None;
        }
        (Some(r), false) if r != Routing::Latency => {
            ck.error(
                list[0].span(),
                "`client_regions` is read by latency routing only; this component's `routing` is another",
            );
            return None;
        }
        _ => {}
    }
    let mut out = Vec::new();
    let mut ok = true;
    for c in list {
        let c = c.get_ref();
        match ck.positive(&c.weight, "client_regions.weight", "a relative share") {
            Some(w) if w <= crate::limits::MAX_MIX_WEIGHT => {
                out.push((c.region.get_ref().clone(), w))
            }
            Some(_) => {
                ck.at_most(
                    &c.weight,
                    *c.weight.get_ref(),
                    "client_regions.weight",
                    crate::limits::MAX_MIX_WEIGHT,
                    "weights are relative",
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// The records, each checked against the routing: a weight only in weighted routing, a role
/// only in failover routing (one primary, one secondary), one record in simple routing.
fn records(
    raw: &RawRoute53,
    routing: Routing,
    ttl: SimTime,
    ck: &mut Checker,
) -> Option<Vec<Record>> {
    let list = raw.records.get_ref();
    let span = raw.records.span();
    if list.is_empty() || list.len() > MAX_DNS_RECORDS {
        ck.error(
            span,
            format!(
                "`records` lists {} records; a route53 component routes between 1 and {MAX_DNS_RECORDS}",
                list.len()
            ),
        );
        return None;
    }
    if routing == Routing::Simple && list.len() > 1 {
        ck.error(
            list[1].span(),
            "simple routing has one record; to share traffic between targets use weighted routing, to fail over use failover routing",
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for r in list {
        let r = r.get_ref();
        let to = ck.component(&r.to, "records.to");
        let weight = match (&r.weight, routing) {
            (None, Routing::Weighted) => {
                ck.error(
                    r.to.span(),
                    "a record of weighted routing needs a `weight` (0 to 255)",
                );
                None
            }
            (None, _) => Some(0),
            // aws-facts: §10 Route 53 routing: weights 0–255.
            (Some(w), Routing::Weighted) => ck.int_in(w, "weight", 0, 255).map(|w| w as u32),
            (Some(w), _) => {
                ck.error(w.span(), "`weight` belongs to weighted routing only");
                None
            }
        };
        let role = match (&r.role, routing) {
            (None, Routing::Failover) => {
                ck.error(
                    r.to.span(),
                    "a record of failover routing needs a `role`: primary or secondary",
                );
                None
            }
            (None, _) => Some(None),
            (Some(v), Routing::Failover) => ck.one_of(v, "role", ROLES).map(|x| {
                Some(if x == "primary" {
                    Role::Primary
                } else {
                    Role::Secondary
                })
            }),
            (Some(v), _) => {
                ck.error(v.span(), "`role` belongs to failover routing only");
                None
            }
        };
        // Settled by `relate`, which knows the target's kind.
        let alias_written = r.alias.as_ref().map(|a| (*a.get_ref(), a.span()));
        let alias = alias_written.as_ref().is_none_or(|a| a.0);
        let checked = match (&r.health_check, routing) {
            (Some(h), Routing::Simple) if *h.get_ref() => {
                ck.error(
                    h.span(),
                    "simple routing answers its one record whatever its health: a record of it is not health-checked",
                );
                None
            }
            (_, Routing::Simple) => Some(false),
            (h, _) => Some(h.as_ref().is_none_or(|h| *h.get_ref())),
        };
        match (to, weight, role, checked) {
            (Some(to), Some(weight), Some(role), Some(checked)) => out.push(Record {
                to,
                name: r.to.get_ref().clone(),
                weight,
                role,
                alias,
                alias_written,
                checked,
                ttl: if alias { ALIAS_TTL } else { ttl },
            }),
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if routing == Routing::Failover {
        let primaries = out.iter().filter(|r| r.role == Some(Role::Primary)).count();
        let secondaries = out.len() - primaries;
        if primaries != 1 || secondaries != 1 {
            ck.error(
                span,
                format!(
                    "failover routing has one primary record and one secondary; these records have {primaries} primary and {secondaries} secondary"
                ),
            );
            return None;
        }
    }
    Some(out)
}

impl Route53Config {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let routing = match self.routing {
            Routing::Simple => "simple",
            Routing::Weighted => "weighted",
            Routing::Failover => "failover",
            Routing::Latency => "latency",
        };
        // One TTL for all records in the heading; each its own when they differ (an alias
        // beside a plain record).
        let one_ttl = self.records.iter().all(|r| r.ttl == self.records[0].ttl);
        let mut lines = vec![if one_ttl {
            format!("{routing} routing, TTL {}", self.records[0].ttl)
        } else {
            format!("{routing} routing")
        }];
        for (i, r) in self.records.iter().enumerate() {
            let mut about = match r.role {
                Some(Role::Primary) => vec!["primary".to_string()],
                Some(Role::Secondary) => vec!["secondary".to_string()],
                None if self.routing == Routing::Weighted => vec![format!("weight {}", r.weight)],
                None => vec![],
            };
            if !one_ttl {
                about.push(format!("TTL {}", r.ttl));
            }
            let about = if about.is_empty() {
                String::new()
            } else {
                format!(" ({})", about.join(", "))
            };
            lines.push(format!("record {}: {}{about}", i + 1, r.name));
        }
        if self.routing != Routing::Simple {
            lines.push(format!(
                "checks {}s apart, {} in a row",
                self.health.interval.as_secs_f64(),
                self.health.failure_threshold
            ));
        }
        if self.ignore_ttl > 0.0 {
            lines.push(format!(
                "{:.0}% of clients ignore the TTL",
                self.ignore_ttl * 100.0
            ));
        }
        lines
    }
}
