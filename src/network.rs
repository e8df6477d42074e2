//! Which calls the scenario's security groups let through, decided once before any run. The
//! world turns each closed edge into a kernel gate that drops the call (no answer, no
//! refusal: the caller learns of it only when its own timeout ends it, and without one it
//! hangs until the run ends); `archsim lint` reports the closed edges.
//!
//! aws-facts: §20 VPC security groups: stateful and allow-only, outbound allowed by default,
//! so a call passes when any inbound rule of any group of its callee matches its caller;
//! unmatched inbound traffic is silently dropped, and the client sees a connect timeout,
//! not a refusal. A callee with no `security_groups` is not guarded (the model's scope: its
//! network is not described). A Lambda function's groups guard its own connections, not its
//! invocations, which go through Lambda's API: calls to an AWS API are never dropped here.

use crate::access::Place;
use crate::scenario::security_groups::Source;
use crate::scenario::Scenario;

/// Who makes a call: a component or a workload (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    Component(usize),
    Workload(usize),
}

/// An edge the security groups close: every call on it is dropped.
#[derive(Clone, Debug)]
pub struct Dropped {
    pub from: Caller,
    /// The callee's component index.
    pub to: usize,
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
            if !allows(scenario, Caller::Component(from), to)
                && !out.iter().any(|d: &Dropped| {
                    d.from == Caller::Component(from) && d.to == to && d.position == position
                })
            {
                out.push(Dropped {
                    from: Caller::Component(from),
                    to,
                    place,
                    position,
                });
            }
        }
    }
    for (i, w) in scenario.workloads.iter().enumerate() {
        if !allows(scenario, Caller::Workload(i), w.target) {
            out.push(Dropped {
                from: Caller::Workload(i),
                to: w.target,
                place: Place::Component,
                position: scenario.components[w.target].position,
            });
        }
    }
    out
}
