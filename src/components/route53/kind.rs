//! What `route53` declares about itself: its keys, series, summary fields, columns, plot
//! panels and events.

use super::config::{self, Role, Route53Config, Routing, ROLES, ROUTINGS};
use crate::components::iac::{
    clamp, int, seconds, string, Dialect, Downstream, Edge, Imports, Mapped, Resource, ResourceMap,
};
use crate::components::kind::{
    Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, Mark, PlotLine, PlotPanel,
    Series, Tone, Unit,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::limits::{MAX_DNS_CLIENTS, MAX_HEALTH_CHECKERS};

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests its clients sent on to a record's target",
};
pub(super) const LOOKUPS: Series = Series {
    id: "lookups_rps",
    unit: Unit::PerSecond,
    about: "lookups by clients whose cached answer had expired (or who had none)",
};
pub(super) const QUERIES: Series = Series {
    id: "queries_rps",
    unit: Unit::PerSecond,
    about: "queries Route 53 answered: lookups that found their resolver's cache expired",
};

/// Declares the share and health series of each record slot (`limits::MAX_DNS_RECORDS`).
macro_rules! record_series {
    ($($share:ident, $healthy:ident, $sid:literal, $hid:literal, $about_share:literal, $about_healthy:literal;)*) => {
        $(
            const $share: Series = Series {
                id: $sid,
                unit: Unit::Share,
                about: $about_share,
            };
            const $healthy: Series = Series {
                id: $hid,
                unit: Unit::Share,
                about: $about_healthy,
            };
        )*
    };
}

record_series! {
    SHARE_1, HEALTHY_1, "record_1_share", "record_1_healthy", "share of requests sent to the first record's target", "the first record's target healthy as Route 53 sees it (share of the window)";
    SHARE_2, HEALTHY_2, "record_2_share", "record_2_healthy", "share of requests sent to the second record's target", "the second record's target healthy as Route 53 sees it (share of the window)";
    SHARE_3, HEALTHY_3, "record_3_share", "record_3_healthy", "share of requests sent to the third record's target", "the third record's target healthy as Route 53 sees it (share of the window)";
    SHARE_4, HEALTHY_4, "record_4_share", "record_4_healthy", "share of requests sent to the fourth record's target", "the fourth record's target healthy as Route 53 sees it (share of the window)";
}

/// The share series of each record, in order.
pub(super) const SHARES: [&Series; 4] = [&SHARE_1, &SHARE_2, &SHARE_3, &SHARE_4];
/// The health series of each record, in order.
pub(super) const HEALTHY: [&Series; 4] = [&HEALTHY_1, &HEALTHY_2, &HEALTHY_3, &HEALTHY_4];

/// A record's target turned unhealthy as Route 53 sees it (the detail names the target).
pub(super) const RECORD_UNHEALTHY: &str = "record_unhealthy";
/// A record's target turned healthy again.
pub(super) const RECORD_HEALTHY: &str = "record_healthy";

/// The tone of each record's lines, so that record n has one colour on both panels.
const TONES: [Tone; 4] = [Tone::Offered, Tone::Good, Tone::Warn, Tone::Queue];

/// The lines of a panel with one line per record slot.
macro_rules! per_record {
    ($s1:expr, $s2:expr, $s3:expr, $s4:expr) => {
        &[
            PlotLine {
                series: $s1,
                label: "record 1",
                tone: TONES[0],
                scale: 100.0,
            },
            PlotLine {
                series: $s2,
                label: "record 2",
                tone: TONES[1],
                scale: 100.0,
            },
            PlotLine {
                series: $s3,
                label: "record 3",
                tone: TONES[2],
                scale: 100.0,
            },
            PlotLine {
                series: $s4,
                label: "record 4",
                tone: TONES[3],
                scale: 100.0,
            },
        ]
    };
}

const RECORD: &[Key] = &[
    Key {
        name: "to",
        ty: KeyType::Text,
        required: true,
        about: "the id of the component the record points at (a load balancer, a service)",
    },
    Key {
        name: "weight",
        ty: KeyType::Integer { min: 0, max: 255 },
        required: false,
        about: "weighted routing (required there, refused elsewhere): its share is weight / the sum of the healthy records' weights; 0: only when every other is unhealthy or 0",
    },
    Key {
        name: "role",
        ty: KeyType::Word(ROLES),
        required: false,
        about: "failover routing (required there, refused elsewhere): primary (answered while healthy) or secondary (while the primary is not)",
    },
    Key {
        name: "alias",
        ty: KeyType::Bool,
        required: false,
        about: "an alias record to an AWS resource (a load balancer, a CloudFront distribution, an S3 bucket's website endpoint, an API Gateway domain): it takes the resource's TTL, 60 s (ELB's; a choice for the others, whose TTL AWS does not state), and its queries are free; false: the component's `ttl`, queries billed (default: true to such a resource, false to any other, which cannot be aliased)",
    },
    Key {
        name: "health_check",
        ty: KeyType::Bool,
        required: false,
        about: "whether Route 53 checks its target (unchecked: always healthy); simple routing checks nothing (default true, false with simple routing)",
    },
];

const HEALTH: &[Key] = &[
    Key {
        name: "interval",
        ty: KeyType::Duration,
        required: false,
        about: "time between one checker's probes: 30s (standard) or 10s (fast, priced more) (default 30s)",
    },
    Key {
        name: "failure_threshold",
        ty: KeyType::Integer { min: 1, max: 10 },
        required: false,
        about: "probes in a row a checker needs to change its view, failing or passing (default 3)",
    },
    Key {
        name: "checkers",
        ty: KeyType::Integer {
            min: 1,
            max: MAX_HEALTH_CHECKERS,
        },
        required: false,
        about: "health checkers probing each target, each from its own place; healthy while more than 18 % say so (default 15)",
    },
];

const CLIENT_REGION: &[Key] = &[
    Key {
        name: "region",
        ty: KeyType::Text,
        required: true,
        about: "a region clients are in",
    },
    Key {
        name: "weight",
        ty: KeyType::NumberAbove {
            above: 0.0,
            max: 1e12,
        },
        required: true,
        about: "its share of the clients, relative to the others'",
    },
];

impl Kind for Route53Config {
    // aws-facts: §20 VPC: a name's "calls" are the answers it gives; the clients connect to
    // the target they are given, so the target's security groups judge the clients.
    const CONNECTS_AS_CALLERS: bool = true;
    /// Its clients' and resolvers' cached answers.
    fn upfront_bytes(&self) -> Option<(u64, String)> {
        let each = std::mem::size_of::<super::Cached>() as u64;
        Some((
            (u64::from(self.clients) + u64::from(self.resolvers)) * each,
            format!(
                "its {} clients and {} resolvers",
                self.clients, self.resolvers
            ),
        ))
    }
    const INFO: &'static KindInfo = &KindInfo {
        name: "route53",
        title: "Amazon Route 53",
        noun: "a Route 53 name",
        category: Category::Networking,
        about: "a DNS name with simple, weighted, failover or latency routing between components, health checks of their targets, and answers cached by resolvers and clients for the TTL (some clients ignoring it)",
        keys: &[
            Key {
                name: "routing",
                ty: KeyType::Word(ROUTINGS),
                required: false,
                about: "how a record is picked: simple (its one record), weighted (by weight among healthy records), failover (the primary while healthy, else the secondary), latency (the record in the client's region, else another healthy one) (default simple)",
            },
            Key {
                name: "records",
                ty: KeyType::Tables(RECORD),
                required: true,
                about: "its records, 1 to 4: each points at a component (a request goes to one of them)",
            },
            Key {
                name: "ttl",
                ty: KeyType::Duration,
                required: false,
                about: "the TTL of records that are not aliases, for which resolvers and clients cache an answer (default 300s; alias records take their target's 60s)",
            },
            Key {
                name: "health_check",
                ty: KeyType::Table(HEALTH),
                required: false,
                about: "how Route 53 checks the records' targets (not with simple routing)",
            },
            Key {
                name: "clients",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_DNS_CLIENTS,
                },
                required: false,
                about: "DNS clients the requests come from, each with its own cache; a request's client follows from its key (default 1,000)",
            },
            Key {
                name: "ignore_ttl",
                ty: KeyType::Number { min: 0.0, max: 1.0 },
                required: false,
                about: "share of clients that ignore the TTL and keep their first answer for `ignored_ttl_cache` (default 0)",
            },
            Key {
                name: "ignored_ttl_cache",
                ty: KeyType::Text,
                required: false,
                about: "how long a client that ignores the TTL keeps an answer: a duration, or \"forever\" (the JVM's address cache with a security manager; 30s without one) (default forever)",
            },
            Key {
                name: "resolvers",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_DNS_CLIENTS,
                },
                required: false,
                about: "recursive resolvers the clients share, each caching an answer for its TTL; Route 53 is queried when a resolver's answer has expired (default 100)",
            },
            Key {
                name: "resolver_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "a client's lookup answered by its resolver, round trip; a choice, AWS documents none (default uniform 1–5 ms)",
            },
            Key {
                name: "query_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "what a resolver's query to Route 53 adds to a lookup, round trip; a choice (default uniform 10–30 ms)",
            },
            Key {
                name: "client_regions",
                ty: KeyType::Tables(CLIENT_REGION),
                required: false,
                about: "latency routing (required there, refused elsewhere): the regions clients are in and their shares",
            },
            Key {
                name: "timeout",
                ty: KeyType::Duration,
                required: false,
                about: "how long a client's request to a target waits before its connection gives up (599) (default: as long as its clients wait, the longest `timeout` of the workloads and calls sent to it; 60s when one of them has none)",
            },
        ],
        faults: &[],
        series: &[
            &REQUESTS, &LOOKUPS, &QUERIES, &SHARE_1, &SHARE_2, &SHARE_3, &SHARE_4, &HEALTHY_1,
            &HEALTHY_2, &HEALTHY_3, &HEALTHY_4,
        ],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests its clients sent on in the measured period",
            },
            Field {
                path: "lookups",
                unit: Unit::Count,
                about: "lookups by clients whose cached answer had expired",
            },
            Field {
                path: "queries",
                unit: Unit::Count,
                about: "queries Route 53 answered (resolvers' caches expired)",
            },
            Field {
                path: "health_changes",
                unit: Unit::Count,
                about: "times a record's target changed health as Route 53 sees it",
            },
            Field {
                path: "to.*.requests",
                unit: Unit::Count,
                about: "requests sent to the target of the record pointing at this component",
            },
            Field {
                path: "to.*.share",
                unit: Unit::Share,
                about: "share of requests sent to this target",
            },
            Field {
                path: "to.*.unhealthy_s",
                unit: Unit::Number,
                about: "time this target was unhealthy as Route 53 saw it, in the measured period [s]",
            },
            Field {
                path: "to.*.unhealthy_at_s",
                unit: Unit::Number,
                about: "when Route 53 first saw this target unhealthy, from the start of the run; -1: never [s]",
            },
            Field {
                path: "to.*.last_sent_s",
                unit: Unit::Number,
                about: "when a client that respects the TTL last sent a request to this target; -1: never [s]",
            },
            Field {
                path: "to.*.last_sent_ignoring_s",
                unit: Unit::Number,
                about: "when a client that ignores the TTL last sent a request to this target; -1: never [s]",
            },
            Field {
                path: "by_status.*",
                unit: Unit::Count,
                about: "requests by the status their target answered (599: no answer within `timeout`)",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "its price over the measured period: the hosted zone, billed queries, health checks",
            },
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "requests",
                field: "requests",
                unit: Unit::Count,
            },
            Column {
                label: "queries",
                field: "queries",
                unit: Unit::Count,
            },
            Column {
                label: "health changes",
                field: "health_changes",
                unit: Unit::Count,
            },
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "DNS/s",
                lines: &[
                    PlotLine {
                        series: &LOOKUPS,
                        label: "client lookups",
                        tone: Tone::Offered,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &QUERIES,
                        label: "queries to Route 53",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "to record [%]",
                lines: per_record!(&SHARE_1, &SHARE_2, &SHARE_3, &SHARE_4),
                y_max: Some(105.0),
            },
            PlotPanel {
                axis: "healthy [%]",
                lines: per_record!(&HEALTHY_1, &HEALTHY_2, &HEALTHY_3, &HEALTHY_4),
                y_max: Some(105.0),
            },
        ],
        events: &[
            EventInfo {
                event: RECORD_UNHEALTHY,
                mark: Mark::Instant,
            },
            EventInfo {
                event: RECORD_HEALTHY,
                mark: Mark::Instant,
            },
        ],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[ResourceMap {
            cloudformation: &["AWS::Route53::RecordSet"],
            terraform: &["aws_route53_record"],
            map: import_record,
        }],
        companions: &[],
        downstream: Downstream::Tables("records"),
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn relate(
        &mut self,
        _me: usize,
        rel: &mut crate::components::kind::Relations,
        ck: &mut Checker,
    ) -> bool {
        self.settle_aliases(&rel.kinds, ck)
    }

    fn callers_wait(&mut self, longest: Option<crate::kernel::SimTime>) {
        self.settle_timeout(longest);
    }

    /// Each record's lines named by its target and its part ("alb-east (primary)"), not by
    /// its place ("record 1").
    fn legend(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (r, (share, healthy)) in self.records.iter().zip(SHARES.iter().zip(HEALTHY)) {
            let label = match (r.role, &self.routing) {
                (Some(Role::Primary), _) => format!("{} (primary)", r.name),
                (Some(Role::Secondary), _) => format!("{} (secondary)", r.name),
                (None, Routing::Weighted) => format!("{} (weight {})", r.name, r.weight),
                (None, _) => r.name.clone(),
            };
            out.push((share.id, label.clone()));
            out.push((healthy.id, label));
        }
        out
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::Route53::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn routes_to_one(&self) -> bool {
        true
    }

    /// aws-facts: §10 Route 53: a global service, answering from many locations.
    fn global(&self) -> bool {
        true
    }
}

// What `archsim import` makes of a template's DNS records. The records of one name (weighted
// or failover, told apart by their set identifiers) are one component: the first in the
// template, the others part of it.

/// A record: its target (an alias's or a record value naming a resource of the template), its
/// routing policy, weight or failover role, and TTL.
fn import_record(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let name_key = if cf { "Name" } else { "name" };
    if let Some(name) = r.text(name_key) {
        let first = r
            .others()
            .find(|o| o.kind == r.kind && o.text(name_key) == Some(name))
            .map(|o| o.name.to_string());
        if first.as_deref() != Some(r.name) {
            m.part_of = first;
        }
    }
    let (alias, values, weight, failover, ttl) = if cf {
        (
            "AliasTarget",
            "ResourceRecords",
            "Weight",
            "Failover",
            "TTL",
        )
    } else {
        (
            "alias",
            "records",
            "weighted_routing_policy.weight",
            "failover_routing_policy.type",
            "ttl",
        )
    };
    let is_alias = r.get(alias).is_some();
    let mut with = Vec::new();
    if let Some(w) = r.num(weight) {
        m.set("routing", string("weighted"), weight);
        with.push(("weight", int(clamp(w, 0.0, 255.0, weight, m))));
    } else if let Some(role) = r.text(failover) {
        m.set("routing", string("failover"), failover);
        let role = if role == "PRIMARY" {
            "primary"
        } else {
            "secondary"
        };
        with.push(("role", string(role)));
    }
    if r.get("Region").is_some() || r.get("latency_routing_policy").is_some() {
        m.note(format!(
            "{} uses latency routing: give `routing = \"latency\"` and `client_regions` to simulate it",
            r.name
        ));
    }
    if !is_alias {
        with.push(("alias", toml::Value::Boolean(false)));
        if let Some(t) = r.num(ttl) {
            m.set("ttl", seconds(t.max(0.0)), ttl);
        }
    }
    let targets: Vec<String> = r.refs(alias).into_iter().chain(r.refs(values)).collect();
    if targets.is_empty() {
        m.note(format!(
            "record {} points at nothing the template defines (an address, or a name outside it)",
            r.name
        ));
    }
    for t in targets {
        m.edges.push(Edge {
            from: None,
            to: t,
            why: format!("record {} points at it", r.name),
            with: with.clone(),
            route: None,
            catch_all: false,
        });
    }
}
