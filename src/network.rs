//! Which calls the scenario's security groups and network ACLs let through, decided once
//! before any run. The world turns each closed edge into a kernel gate that drops the call
//! (no answer, no refusal: the caller learns of it only when its own timeout ends it, and
//! without one it hangs until the run ends); `archsim lint` reports the closed edges and the
//! layer that closes each.
//!
//! aws-facts: §20 VPC security groups: stateful and allow-only, outbound allowed by default,
//! so a call passes when any inbound rule of any group of its callee matches its caller;
//! unmatched inbound traffic is silently dropped, and the client sees a connect timeout,
//! not a refusal. A callee with no `security_groups` is not guarded (the model's scope: its
//! network is not described). A Lambda function's groups guard its own connections, not its
//! invocations, which go through Lambda's API: calls to an AWS API are never dropped here.
//! A cache's calls to its backend are its callers' connections (cache-aside: the
//! application reads the database on a miss), judged as theirs (`acting`).
//!
//! aws-facts: §20 network ACLs: stateless, numbered rules, lowest first, the first match
//! decides, and what no rule matches is denied; a zone with no `[[network_acl]]` has the
//! default ACL, which allows everything. A call crosses up to four checks, each at a subnet's
//! boundary: its caller's ACL outbound and its callee's inbound (the request, to the
//! callee's port), then its callee's ACL outbound and its caller's inbound (the reply, to
//! the caller's ephemeral ports). Traffic within one zone (one subnet) crosses none. A
//! caller outside the VPC (a workload) has no ACL of its own; nor has a callee reached at
//! an AWS API's endpoint, but its caller's ACL still checks both ways ("0.0.0.0/0" matches
//! the endpoint). A request stopped drops the call, like a security group; so does a reply
//! stopped: every call here is a TCP connection, and the first reply is the handshake's
//! SYN-ACK, so the connection never opens and the callee never receives the request nor
//! does its work.

use crate::access::Place;
use crate::config::Checker;
use crate::scenario::network_acls::{AclRule, Action, Peer};
use crate::scenario::security_groups::Source;
use crate::scenario::Scenario;

/// Who makes a call: a component or a workload (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    Component(usize),
    Workload(usize),
}

impl Caller {
    /// How a message names it: `"api"`, `workload "users"`.
    pub fn name(self, scenario: &Scenario) -> String {
        match self {
            Caller::Component(c) => format!("\"{}\"", scenario.components[c].id),
            Caller::Workload(w) => format!("workload \"{}\"", scenario.workloads[w].name),
        }
    }
}

/// Which check of a network ACL stops a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The caller's subnet's ACL, outbound: the request leaving.
    CallerOutbound,
    /// The callee's subnet's ACL, inbound: the request arriving.
    CalleeInbound,
    /// The callee's subnet's ACL, outbound: the reply leaving, to ephemeral ports.
    CalleeReply,
    /// The caller's subnet's ACL, inbound: the reply arriving, on ephemeral ports.
    CallerReply,
}

impl Side {
    /// Whether it is on the reply's way (the handshake's SYN-ACK: the connection never opens).
    pub fn reply(self) -> bool {
        matches!(self, Side::CalleeReply | Side::CallerReply)
    }

    /// The rules it reads, and what it checks, in words; `(lo, hi)`: the callers' ephemeral
    /// ports.
    pub fn describe(self, (lo, hi): (u16, u16)) -> String {
        match self {
            Side::CallerOutbound => {
                "outbound rules (the request leaving the caller's subnet)".to_string()
            }
            Side::CalleeInbound => {
                "inbound rules (the request entering the callee's subnet)".to_string()
            }
            Side::CalleeReply => format!(
                "outbound rules (the reply leaving the callee's subnet for the caller's ephemeral ports {lo}-{hi})"
            ),
            Side::CallerReply => format!(
                "inbound rules (the reply entering the caller's subnet on its ephemeral ports {lo}-{hi})"
            ),
        }
    }
}

/// What closes an edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layer {
    /// No inbound rule of the callee's security groups lets the caller in.
    SecurityGroup,
    /// A network ACL (index into `Scenario::network_acls`): on which side, and the rule
    /// that denies (its number and position), or `None` when no rule matches (the `*` deny).
    Acl {
        acl: usize,
        side: Side,
        rule: Option<(u32, (usize, usize))>,
    },
}

/// An edge the security groups or network ACLs close: every call on it is dropped, or
/// every answer.
#[derive(Clone, Debug)]
pub struct Dropped {
    pub from: Caller,
    /// The callee's component index.
    pub to: usize,
    /// What closes it.
    pub layer: Layer,
    /// What names the call, and where it is written (the call entry's `to`, else the
    /// caller's `id`; for a workload, the callee's `id`).
    pub place: Place,
    pub position: (usize, usize),
}

/// Whether the callee's security groups let a call from `from` in.
pub fn allows(scenario: &Scenario, from: Caller, to: usize) -> bool {
    let callee = &scenario.components[to];
    if callee.security_groups.is_empty()
        || callee
            .spec
            .iam_resource(&callee.id, &callee.region)
            .is_some()
    {
        return true;
    }
    callee.security_groups.iter().any(|&g| {
        scenario.security_groups[g]
            .inbound
            .iter()
            .any(|rule| match rule.from {
                Source::Anywhere => true,
                Source::Clients => matches!(from, Caller::Workload(_)),
                Source::Group(src) => match from {
                    Caller::Component(c) => scenario.components[c].security_groups.contains(&src),
                    Caller::Workload(_) => false,
                },
            })
    })
}

/// Every edge of the scenario the security groups close, in scenario order (components'
/// calls as written, their KMS link, then workloads).
pub fn dropped(scenario: &Scenario) -> Vec<Dropped> {
    let mut out = Vec::new();
    for (from, c) in scenario.components.iter().enumerate() {
        let mut edges: Vec<(usize, Place, (usize, usize))> = c
            .spec
            .calls()
            .iter()
            .map(|call| match call.position {
                Some(p) => (call.to, Place::Call, p),
                None => (call.to, Place::Component, c.position),
            })
            .collect();
        if let Some(link) = c.spec.kms() {
            edges.push((link.to, Place::Kms, c.position));
        }
        for (to, place, position) in edges {
            if out.iter().any(|d: &Dropped| {
                d.from == Caller::Component(from) && d.to == to && d.position == position
            }) {
                continue;
            }
            if let Some(layer) = verdict(scenario, Caller::Component(from), to) {
                out.push(Dropped {
                    from: Caller::Component(from),
                    to,
                    layer,
                    place,
                    position,
                });
            }
        }
    }
    for (i, w) in scenario.workloads.iter().enumerate() {
        if let Some(layer) = verdict(scenario, Caller::Workload(i), w.target) {
            out.push(Dropped {
                from: Caller::Workload(i),
                to: w.target,
                layer,
                place: Place::Component,
                position: scenario.components[w.target].position,
            });
        }
    }
    out
}

/// One end of a call, as network ACL rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End<'a> {
    /// A component in a VPC, in the subnet of this zone (`None`: a zone not named, which
    /// only the default ACL guards).
    Subnet(Option<&'a str>),
    /// A workload: a client outside the VPC.
    Clients,
    /// Outside the VPC, not a workload: an AWS API's endpoint, or a kind with no network
    /// interface in a VPC.
    Outside,
}

/// The ends a caller or callee may be: one per zone it sits in.
fn ends(scenario: &Scenario, who: Caller, as_callee: bool) -> Vec<End<'_>> {
    let c = match who {
        Caller::Workload(_) => return vec![End::Clients],
        Caller::Component(c) => &scenario.components[c],
    };
    let api = as_callee && c.spec.iam_resource(&c.id, &c.region).is_some();
    if !c.spec.in_vpc() || api {
        return vec![End::Outside];
    }
    let mut zones: Vec<End<'_>> = c.az.iter().map(|z| End::Subnet(Some(z))).collect();
    for z in c.spec.zones() {
        if !zones.contains(&End::Subnet(Some(z))) {
            zones.push(End::Subnet(Some(z)));
        }
    }
    if zones.is_empty() {
        zones.push(End::Subnet(None));
    }
    zones
}

/// The ports a packet goes to: the callee's listener port (a request) or the caller's
/// ephemeral ports (a reply).
#[derive(Clone, Copy)]
enum Ports {
    Request(u16),
    /// A reply, to the caller's ephemeral ports (`Network::ephemeral`).
    Reply((u16, u16)),
}

/// What the rules of one direction of an ACL say of a packet to or from `peer`: `Ok` when
/// the first matching rule allows it, else the denying rule (`None`: none matched).
fn evaluate<'r>(
    rules: &'r [AclRule],
    peer: End<'_>,
    ports: Ports,
) -> Result<(), Option<&'r AclRule>> {
    for r in rules {
        let peer_ok = match &r.peer {
            Peer::Anywhere => true,
            Peer::Clients => peer == End::Clients,
            Peer::Zone(z) => peer == End::Subnet(Some(z.as_str())),
        };
        let (lo, hi) = r.ports;
        let port_ok = match (ports, r.action) {
            (Ports::Request(p), _) => (lo..=hi).contains(&p),
            (Ports::Reply((a, b)), Action::Allow) => lo <= a && hi >= b,
            (Ports::Reply((a, b)), Action::Deny) => lo <= b && hi >= a,
        };
        if peer_ok && port_ok {
            return match r.action {
                Action::Allow => Ok(()),
                Action::Deny => Err(Some(r)),
            };
        }
    }
    Err(None)
}

/// The network ACL guarding an end's subnet, if a custom one does.
fn acl_of(scenario: &Scenario, end: End<'_>) -> Option<usize> {
    let End::Subnet(Some(z)) = end else {
        return None;
    };
    scenario
        .network_acls
        .iter()
        .position(|a| a.azs.iter().any(|x| x == z))
}

/// What closes a call between two ends, the request's checks first (network ACLs, then
/// security groups), then the reply's; `None`: it passes.
fn verdict_between(
    scenario: &Scenario,
    from: Caller,
    to: usize,
    caller: End<'_>,
    callee: End<'_>,
) -> Option<Layer> {
    let same_subnet = matches!(caller, End::Subnet(_)) && caller == callee;
    let port = scenario.components[to].spec.port();
    let check = |end: End<'_>, side: Side, peer: End<'_>, ports: Ports| -> Option<Layer> {
        let acl = acl_of(scenario, end)?;
        let a = &scenario.network_acls[acl];
        let rules = match side {
            Side::CallerOutbound | Side::CalleeReply => &a.outbound,
            Side::CalleeInbound | Side::CallerReply => &a.inbound,
        };
        evaluate(rules, peer, ports).err().map(|rule| Layer::Acl {
            acl,
            side,
            rule: rule.map(|r| (r.number, r.position)),
        })
    };
    if !same_subnet {
        let request = check(caller, Side::CallerOutbound, callee, Ports::Request(port))
            .or_else(|| check(callee, Side::CalleeInbound, caller, Ports::Request(port)));
        if request.is_some() {
            return request;
        }
    }
    if !allows(scenario, from, to) {
        return Some(Layer::SecurityGroup);
    }
    if same_subnet {
        return None;
    }
    let reply = Ports::Reply(scenario.network.ephemeral);
    check(callee, Side::CalleeReply, caller, reply)
        .or_else(|| check(caller, Side::CallerReply, callee, reply))
}

/// What closes calls from `from` to `to`, if anything: the verdict of its first pair of
/// zones (`check_zones` has made sure that every pair's gate is the same).
pub fn verdict(scenario: &Scenario, from: Caller, to: usize) -> Option<Layer> {
    // A kind whose calls are its callers' connections (a cache in front of a database) is
    // judged as them: its calls pass when one of its callers may connect (each gate is one
    // per edge, taken before the run; `split` finds the edges where another may not).
    let mut first = None;
    for (_, closed) in verdicts(scenario, from, to) {
        match closed {
            None => return None,
            closed => {
                first.get_or_insert(closed);
            }
        }
    }
    first.flatten()
}

/// The verdict on the calls from `from` to `to` for each caller whose connections they are
/// (`acting`), in its order.
fn verdicts(scenario: &Scenario, from: Caller, to: usize) -> Vec<(Caller, Option<Layer>)> {
    let callee = ends(scenario, Caller::Component(to), true)[0];
    acting(scenario, from)
        .into_iter()
        .map(|who| {
            let caller = ends(scenario, who, false)[0];
            (who, verdict_between(scenario, who, to, caller, callee))
        })
        .collect()
}

/// An edge whose calls are several callers' connections (`acting`), some of which may
/// connect and others not: the run lets every call through (one gate per edge).
#[derive(Clone, Debug)]
pub struct Split {
    /// The component making the calls (a cache).
    pub from: usize,
    pub to: usize,
    /// The callers that may connect.
    pub open: Vec<Caller>,
    /// The callers that may not, and what closes their connections.
    pub closed: Vec<(Caller, Layer)>,
    /// Where the call is written (the call entry's `to`, else the component's `id`).
    pub position: (usize, usize),
}

/// Every edge of a component that connects as its callers (`Kind::CONNECTS_AS_CALLERS`)
/// which some of them may connect over and others not.
pub fn split(scenario: &Scenario) -> Vec<Split> {
    let mut out: Vec<Split> = Vec::new();
    for (from, c) in scenario.components.iter().enumerate() {
        if !c.spec.connects_as_callers() {
            continue;
        }
        for call in c.spec.calls() {
            let position = call.position.unwrap_or(c.position);
            if out
                .iter()
                .any(|d| (d.from, d.to, d.position) == (from, call.to, position))
            {
                continue;
            }
            let (mut open, mut closed) = (Vec::new(), Vec::new());
            for (who, layer) in verdicts(scenario, Caller::Component(from), call.to) {
                match layer {
                    None => open.push(who),
                    Some(layer) => closed.push((who, layer)),
                }
            }
            if !open.is_empty() && !closed.is_empty() {
                out.push(Split {
                    from,
                    to: call.to,
                    open,
                    closed,
                    position,
                });
            }
        }
    }
    out
}

/// Who makes the connections `from`'s calls stand for: its callers (the components that
/// call it and the workloads that target it) when its kind connects as them
/// (`Kind::CONNECTS_AS_CALLERS`), else itself. A caller that connects as its own callers (a
/// Route 53 name in front of a cache, a cache in front of another) is looked through to
/// them, each once, in scenario order; one that nobody calls (but the components on the way
/// there) stands for itself.
pub fn acting(scenario: &Scenario, from: Caller) -> Vec<Caller> {
    acting_via(scenario, from).0
}

/// `acting`, and the components looked through on the way (each once): the calls of the
/// acting callers to these or to `from` are those `from`'s calls stand for.
pub fn acting_via(scenario: &Scenario, from: Caller) -> (Vec<Caller>, Vec<usize>) {
    let Caller::Component(c) = from else {
        return (vec![from], Vec::new());
    };
    if !scenario.components[c].spec.connects_as_callers() {
        return (vec![from], Vec::new());
    }
    let mut way = vec![c];
    let mut via = Vec::new();
    let mut out = Vec::new();
    look_through(scenario, c, &mut way, &mut via, &mut out);
    if out.is_empty() {
        out.push(from);
    }
    (out, via)
}

/// Who calls component `c` directly: the components that call it (in scenario order), then
/// the workloads that target it.
fn direct_callers(scenario: &Scenario, c: usize) -> impl Iterator<Item = Caller> + '_ {
    let components = scenario
        .components
        .iter()
        .enumerate()
        .filter(move |(i, other)| *i != c && other.spec.calls().iter().any(|call| call.to == c))
        .map(|(i, _)| Caller::Component(i));
    let workloads = scenario
        .workloads
        .iter()
        .enumerate()
        .filter(move |(_, w)| w.target == c)
        .map(|(i, _)| Caller::Workload(i));
    components.chain(workloads)
}

/// Adds to `out` who calls component `c`, looking through each caller that connects as its
/// own callers: one with callers off `way` (the components from `from` to `c`) is replaced by
/// them, one without stands for itself. `via` lists those looked through, each once (one met
/// again adds nothing new, whichever way it is met). Recursion as deep as a chain of such
/// components, at most `MAX_COMPONENTS`.
fn look_through(
    scenario: &Scenario,
    c: usize,
    way: &mut Vec<usize>,
    via: &mut Vec<usize>,
    out: &mut Vec<Caller>,
) {
    for who in direct_callers(scenario, c) {
        match who {
            Caller::Component(i) if scenario.components[i].spec.connects_as_callers() => {
                if way.contains(&i) || via.contains(&i) {
                    continue;
                }
                via.push(i);
                let called = direct_callers(scenario, i)
                    .any(|w| !matches!(w, Caller::Component(j) if way.contains(&j)));
                if called {
                    way.push(i);
                    look_through(scenario, i, way, via, out);
                    way.pop();
                } else if !out.contains(&who) {
                    out.push(who);
                }
            }
            who if !out.contains(&who) => out.push(who),
            _ => {}
        }
    }
}

/// Whether every edge gets one gate whatever the zones of its ends: a component spanning
/// zones (an Auto Scaling group) whose zones' network ACLs treat its calls differently is
/// reported, since archsim takes one verdict per caller and callee before the run. The calls
/// of a kind that connects as its callers are judged from its callers' zones (`acting`), as
/// `verdict` judges them.
pub fn check_zones(scenario: &Scenario, ck: &mut Checker) -> bool {
    if scenario.network_acls.is_empty() {
        return true;
    }
    let mut ok = true;
    let mut edges: Vec<(Caller, usize, (usize, usize))> = Vec::new();
    for (from, c) in scenario.components.iter().enumerate() {
        for call in c.spec.calls() {
            edges.push((Caller::Component(from), call.to, c.position));
        }
        if let Some(link) = c.spec.kms() {
            edges.push((Caller::Component(from), link.to, c.position));
        }
    }
    for (i, w) in scenario.workloads.iter().enumerate() {
        edges.push((
            Caller::Workload(i),
            w.target,
            scenario.components[w.target].position,
        ));
    }
    // Judged as `verdict` judges them: each caller whose connections the calls are, said
    // where each caller's calls are written (its own, a cache's made as it).
    let name = |e: End<'_>| match e {
        End::Subnet(Some(z)) => z.to_string(),
        End::Subnet(None) => "(no zone)".to_string(),
        End::Clients => "clients".to_string(),
        End::Outside => "outside the VPC".to_string(),
    };
    let mut seen: Vec<(Caller, Caller, usize)> = Vec::new();
    for (from, to, position) in edges {
        let callees = ends(scenario, Caller::Component(to), true);
        for who in acting(scenario, from) {
            if seen.contains(&(from, who, to)) {
                continue;
            }
            seen.push((from, who, to));
            let mut dropped: Vec<(String, bool)> = Vec::new();
            for &a in &ends(scenario, who, false) {
                for &b in &callees {
                    let g = verdict_between(scenario, who, to, a, b).is_some();
                    dropped.push((format!("{} → {}", name(a), name(b)), g));
                }
            }
            if dropped.iter().all(|(_, g)| *g == dropped[0].1) {
                continue;
            }
            let show = |dropped: bool| if dropped { "dropped" } else { "passes" };
            let calls = if who == from {
                format!("{}'s calls", who.name(scenario))
            } else {
                format!(
                    "{}'s calls (its callers' connections, made by {})",
                    from.name(scenario),
                    who.name(scenario)
                )
            };
            ck.error(
                {
                    let at = ck.offset_of(position.0, position.1);
                    at..at
                },
                format!(
                    "the network ACLs treat {calls} to \"{}\" differently from zone to zone ({}); archsim takes one verdict per caller and callee before the run: give the zones of a component spanning zones the same network ACL rules",
                    scenario.components[to].id,
                    dropped
                        .iter()
                        .map(|(z, g)| format!("{z}: {}", show(*g)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            ok = false;
        }
    }
    ok
}
