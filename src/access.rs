//! Who may call whom, decided once from the scenario before any run: each call a component
//! makes, for each operation it can carry, is checked against the caller's IAM role
//! (`crate::iam`) when the callee is an AWS API. The world turns the decisions into the
//! kernel's gates (a denial answers 403 at once, with no work done by the callee);
//! `archsim lint` prints them.
//!
//! A component with no `role` is not checked: it stands for a caller whose credentials are
//! out of the model's scope, and all its calls pass. Workloads (clients outside AWS) are not
//! checked either.
//!
//! A kind whose calls carry its callers' credentials (`Kind::SIGNS_AS_CALLERS`: a cache in
//! front of a table, where on a miss the application reads the table itself) has those
//! calls checked against its callers' roles (its callers as `crate::network::acting` finds
//! them, the network judging the same calls as their connections); its own role signs only
//! its KMS link. A call passes when one of its callers may make it, as for the network: each
//! gate is one per edge, and archsim cannot tell whose request a miss is; a caller with no
//! role (or a workload) lets every such call pass. Lint names every caller's role that
//! denies, and counts a grant used by each role that allows.

use crate::components::kind::Mapping;
use crate::components::OpChoice;
use crate::config::Checker;
use crate::iam::{self, Decision};
use crate::scenario::Scenario;
use std::collections::BTreeSet;

/// What names a call in the scenario: a call entry, a component's `kms` key, or the keys of
/// a kind that makes calls of its own (a load balancer's `targets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Call,
    Kms,
    Component,
    /// A call to a callee that asks KMS for its key with the caller's credentials (S3 with
    /// SSE-KMS): the caller's role needs the key's action.
    KeyAsCaller,
}

impl Place {
    /// What a finding calls a call named there: `"api"'s call`, `"alb"'s call its kind makes`.
    fn via(self) -> &'static str {
        match self {
            Place::Call | Place::KeyAsCaller => "call",
            Place::Kms => "call to KMS (`kms`)",
            Place::Component => "call its kind makes",
        }
    }
}

/// The decision on one (caller, callee, operation) the scenario can make.
#[derive(Clone, Debug)]
pub struct Check {
    /// The caller's and the callee's component index.
    pub from: usize,
    pub to: usize,
    /// The operation (index into `Scenario::ops`).
    pub op: u16,
    /// What names the call, and where it is written (line, column: the call entry's `to`,
    /// else the caller's `id`).
    pub place: Place,
    pub position: (usize, usize),
    /// The role that decides (index into `Scenario::roles`): the caller's own, or for a kind
    /// whose calls are its callers' (`Kind::SIGNS_AS_CALLERS`), the first of their roles that
    /// allows, else the first.
    pub role: usize,
    /// The call is signed with the caller's callers' credentials (`Kind::SIGNS_AS_CALLERS`):
    /// `roles` are theirs.
    pub for_callers: bool,
    /// The roles asked: the caller's own, or each of its callers' once.
    pub roles: Vec<usize>,
    /// Those of `roles` that allow it.
    pub allowing: Vec<usize>,
    /// The action asked for (`dynamodb:PutItem`) and the resource (an ARN).
    pub action: String,
    pub resource: String,
    /// The error code a denial answers with (`AccessDeniedException`).
    pub error: &'static str,
    /// AWS's decision.
    pub decision: Decision,
}

/// The operations each component can be asked to carry out: those of the workloads that
/// send to it, and those its callers' calls carry (a fixed operation, or each one the caller
/// itself carries). A static over-approximation: a kind that changes a request's operation
/// on its way is taken at its calls' word.
pub fn reaching_ops(scenario: &Scenario) -> Vec<BTreeSet<u16>> {
    let n = scenario.components.len();
    let mut reach: Vec<BTreeSet<u16>> = vec![BTreeSet::new(); n];
    for w in &scenario.workloads {
        reach[w.target].extend(w.mix.iter().map(|(op, _)| *op));
    }
    // The call graph has no cycle: at most n rounds settle it.
    for _ in 0..=n {
        let mut changed = false;
        for (i, c) in scenario.components.iter().enumerate() {
            let mut out: Vec<(usize, Vec<u16>)> = Vec::new();
            for (k, call) in c.spec.calls().iter().enumerate() {
                out.push((call.to, carried(&c.spec, k, &reach[i])));
            }
            if let Some(link) = c.spec.kms() {
                out.push((link.to, reach[i].iter().copied().collect()));
            }
            for (to, ops) in out {
                for op in ops {
                    changed |= reach[to].insert(op);
                }
            }
        }
        if !changed {
            break;
        }
    }
    reach
}

/// The operations call `k` of `spec` can carry: its fixed `op`, or, inheriting its request's,
/// those of `reaching` (all of them, but for a kind that sends some operations down one call
/// alone).
fn carried(
    spec: &crate::components::ComponentSpec,
    k: usize,
    reaching: &BTreeSet<u16>,
) -> Vec<u16> {
    match spec.calls()[k].op {
        OpChoice::Fixed(op) => vec![op],
        OpChoice::Inherit => reaching
            .iter()
            .copied()
            .filter(|&op| spec.call_carries(k, op))
            .collect(),
    }
}

/// A call as written: its callee, the operations it can carry, what names it and where.
type Edge = (usize, Vec<u16>, Place, (usize, usize));

/// A row of the reachability matrix: a caller and, for each of its callees, the verdict.
pub type Row = (String, Vec<(String, &'static str)>);

/// Every IAM decision the scenario's calls need: for each component with a role (for a kind
/// whose calls carry its callers' credentials, with theirs), each call to an AWS API, each
/// operation it can carry. In scenario order (caller, then its calls as
/// written, then its KMS link; operations by index).
pub fn checks(scenario: &Scenario) -> Vec<Check> {
    let reach = reaching_ops(scenario);
    let mut out = Vec::new();
    for (from, c) in scenario.components.iter().enumerate() {
        let callers = callers_roles(scenario, from);
        if c.role.is_none() && callers.as_ref().is_none_or(|r| r.is_empty()) {
            continue;
        }
        let mut edges: Vec<Edge> = Vec::new();
        for (k, call) in c.spec.calls().iter().enumerate() {
            let ops = carried(&c.spec, k, &reach[from]);
            let (place, position) = match call.position {
                Some(p) => (Place::Call, p),
                None => (Place::Component, c.position),
            };
            edges.push((call.to, ops, place, position));
        }
        // A component's own KMS link is signed with its role, unless its KMS requests carry
        // its callers' credentials (those are checked on the callers' calls, below).
        if let (Some(link), false) = (c.spec.kms(), c.spec.kms_as_caller()) {
            let ops = reach[from].iter().copied().collect();
            edges.push((link.to, ops, Place::Kms, c.position));
        }
        for (to, ops, place, position) in edges {
            // A kind that connects as its callers but signs nothing (a Route 53 name: a
            // bucket's website endpoint is read anonymously) has its calls checked by none.
            let calls_own = matches!(place, Place::Call | Place::Component);
            if calls_own && c.spec.connects_as_callers() && !c.spec.signs_as_callers() {
                continue;
            }
            // Whose roles decide: the callers' for a call made as them, else its own.
            let (roles, for_callers): (Vec<usize>, bool) = match (&callers, place) {
                (Some(r), Place::Call | Place::Component) => (r.clone(), true),
                _ => (c.role.into_iter().collect(), false),
            };
            if roles.is_empty() {
                continue;
            }
            // Each of `among`'s decisions: the first that allows decides, else the first.
            let decide = |among: &[usize], action: &str, resource: &str| {
                let all: Vec<(usize, Decision)> = among
                    .iter()
                    .map(|&r| (r, iam::evaluate(&scenario.roles[r], action, resource)))
                    .collect();
                let allowing: Vec<usize> = all
                    .iter()
                    .filter(|(_, d)| d.allowed())
                    .map(|(r, _)| *r)
                    .collect();
                let (role, decision) = all
                    .iter()
                    .copied()
                    .find(|(_, d)| d.allowed())
                    .unwrap_or(all[0]);
                (role, decision, allowing)
            };
            let callee = &scenario.components[to];
            let Some(arn) = callee.spec.iam_resource(&callee.id, &callee.region) else {
                continue;
            };
            // A callee that asks KMS with its caller's credentials (S3 with SSE-KMS): the
            // caller's role needs the key's action too, and a denial answers its call.
            let key = callee
                .spec
                .kms()
                .filter(|_| callee.spec.kms_as_caller() && place != Place::Kms)
                .and_then(|link| {
                    let k = &scenario.components[link.to];
                    k.spec.iam_resource(&k.id, &k.region)
                });
            for op in ops {
                let name = &scenario.ops[op as usize];
                let action = if place == Place::Kms {
                    // The action is the caller's to say (`Kind::kms_action`), not the
                    // operation's name: a Lambda function decrypts its variables whatever
                    // its invocation carries. It names the key itself.
                    c.spec.kms_action(op).map(|a| {
                        let error = callee.spec.iam_action(op, name).map(|(_, w)| w.error);
                        let error = error.unwrap_or("AccessDeniedException");
                        (format!("kms:{a}"), arn.clone(), error)
                    })
                } else {
                    // The resource or the part of it the action names (S3: the bucket for
                    // ListBucket, its objects for the others).
                    callee
                        .spec
                        .iam_action(op, name)
                        .map(|(a, w)| (a, format!("{arn}{}", w.part), w.error))
                };
                let Some((action, resource, error)) = action else {
                    continue;
                };
                let (role, decision, allowing) = decide(&roles, &action, &resource);
                // The key's action is asked of the roles that may make the call itself: one
                // caller must be allowed both.
                let key_roles = if allowing.is_empty() {
                    roles.clone()
                } else {
                    allowing.clone()
                };
                out.push(Check {
                    from,
                    to,
                    op,
                    place,
                    position,
                    role,
                    for_callers,
                    roles: roles.clone(),
                    allowing,
                    action,
                    resource,
                    error,
                    decision,
                });
                if let Some((key, kms)) = key.as_ref().zip(callee.spec.kms_action(op)) {
                    let action = format!("kms:{kms}");
                    let (role, decision, allowing) = decide(&key_roles, &action, key);
                    out.push(Check {
                        from,
                        to,
                        op,
                        place: Place::KeyAsCaller,
                        position,
                        role,
                        for_callers,
                        roles: key_roles.clone(),
                        allowing,
                        action,
                        resource: key.clone(),
                        error,
                        decision,
                    });
                }
            }
        }
    }
    out
}

/// Every call entry (`calls = [...]`) of which the caller's own role denies some operation,
/// in scenario order: what `archsim import` narrows when the call was only assumed.
pub fn partly_denied(scenario: &Scenario) -> Vec<iam::PartlyDenied> {
    use std::collections::BTreeMap;
    let mut by_call: Vec<((usize, usize), usize, usize, usize)> = Vec::new();
    let mut ops: BTreeMap<(usize, usize), BTreeMap<u16, Option<String>>> = BTreeMap::new();
    let mut touched: BTreeMap<(usize, usize), bool> = BTreeMap::new();
    for ck in checks(scenario) {
        if ck.for_callers || !matches!(ck.place, Place::Call | Place::KeyAsCaller) {
            continue;
        }
        if !by_call.iter().any(|c| c.0 == ck.position) {
            by_call.push((ck.position, ck.from, ck.to, ck.role));
        }
        let denial = ops
            .entry(ck.position)
            .or_default()
            .entry(ck.op)
            .or_insert(None);
        if !ck.decision.allowed() && denial.is_none() {
            *denial = Some(ck.action.clone());
        }
        // The call's own resource (not the key a callee asks KMS for as its caller).
        if ck.place == Place::Call {
            let service = ck.action.split(':').next().unwrap_or_default();
            let role = &scenario.roles[ck.role];
            let any = ck.decision.allowed() || touches(role, service, &ck.resource);
            *touched.entry(ck.position).or_default() |= any;
        }
    }
    by_call
        .into_iter()
        .filter_map(|(position, from, to, role)| {
            let each = &ops[&position];
            let name = |op: &u16| scenario.ops[*op as usize].clone();
            let denied: Vec<(String, String)> = each
                .iter()
                .filter_map(|(op, d)| Some((name(op), d.clone()?)))
                .collect();
            (!denied.is_empty()).then(|| iam::PartlyDenied {
                position,
                caller: scenario.components[from].id.clone(),
                callee: scenario.components[to].id.clone(),
                role: scenario.roles[role].id.clone(),
                allowed: each
                    .iter()
                    .filter(|(_, d)| d.is_none())
                    .map(|(op, _)| name(op))
                    .collect(),
                denied,
                touches: touched.get(&position).copied().unwrap_or(true),
            })
        })
        .collect()
}

/// Whether `role` allows some action of `service` (`dynamodb`) on `resource`: an Allow
/// whose actions name the service (or any) and whose resources match, unless a Deny of every
/// action of the service (`dynamodb:*`, `*`) covers the resource.
fn touches(role: &iam::Role, service: &str, resource: &str) -> bool {
    let prefix = format!("{}:", service.to_ascii_lowercase());
    let on = |s: &iam::Statement| s.resources.iter().any(|r| r.matches(resource));
    let denied_all = role.statements.iter().any(|s| {
        s.effect == iam::Effect::Deny
            && on(s)
            && s.actions.iter().any(|a| {
                let a = a.to_ascii_lowercase();
                a == "*" || a == format!("{prefix}*")
            })
    });
    !denied_all
        && role.statements.iter().any(|s| {
            s.effect == iam::Effect::Allow
                && on(s)
                && s.actions.iter().any(|a| {
                    let a = a.to_ascii_lowercase();
                    a == "*" || a.starts_with(&prefix)
                })
        })
}

/// For a kind whose calls carry its callers' credentials (`Kind::SIGNS_AS_CALLERS`), their
/// roles (each once, in scenario order; its callers as `network::acting` finds them, looking
/// through a Route 53 name or another cache in front of it to their callers): `Some` of none
/// when one of them has no role (a workload, a component out of the model's credentials, or
/// one whose own calls are its callers' but that nobody calls, whatever its `role`), which
/// lets every such call pass. `Kind::SIGNS_AS_CALLERS` needs `Kind::CONNECTS_AS_CALLERS`,
/// which `acting` follows. `None` for any other kind, or one nobody calls (its own role
/// decides).
fn callers_roles(scenario: &Scenario, from: usize) -> Option<Vec<usize>> {
    use crate::network::{acting, Caller};
    if !scenario.components[from].spec.signs_as_callers() {
        return None;
    }
    let acting = acting(scenario, Caller::Component(from));
    if acting == [Caller::Component(from)] {
        return None;
    }
    let mut roles: Vec<usize> = Vec::new();
    for who in acting {
        let role = match who {
            // A caller whose own calls are its callers' (a Route 53 name, a cache in front of
            // this one) that nobody calls signs none with a role of its own: it passes.
            Caller::Component(i) if scenario.components[i].spec.connects_as_callers() => None,
            Caller::Component(i) => scenario.components[i].role,
            Caller::Workload(_) => None,
        };
        match role {
            Some(r) if !roles.contains(&r) => roles.push(r),
            Some(_) => {}
            None => return Some(Vec::new()),
        }
    }
    Some(roles)
}

/// An event source mapping whose function has a role: the actions it needs on its source,
/// each with AWS's decision.
#[derive(Clone, Debug)]
pub struct MappingCheck {
    /// The source's component index (the queue, the table).
    pub source: usize,
    /// The mapping, as its source declares it.
    pub mapping: Mapping,
    /// The source's ARN with the mapping's part (a table's stream).
    pub resource: String,
    /// Each action the function's role needs on it, and the decision.
    pub decisions: Vec<(&'static str, Decision)>,
}

impl MappingCheck {
    /// The actions the role does not allow.
    pub fn denied(&self) -> Vec<&'static str> {
        self.decisions
            .iter()
            .filter(|(_, d)| !d.allowed())
            .map(|(a, _)| *a)
            .collect()
    }
}

/// Every event source mapping of the scenario (`Kind::mappings`) whose function has a role,
/// checked against it: Lambda reads the source with the function's execution role. A
/// consumer that is not a Lambda function (a kind with no function timeout) stands for a
/// poller outside the model's credentials, and one with no role is not checked, as for calls.
pub fn mapping_checks(scenario: &Scenario) -> Vec<MappingCheck> {
    let mut out = Vec::new();
    for (source, c) in scenario.components.iter().enumerate() {
        for mapping in c.spec.mappings() {
            let function = &scenario.components[mapping.function];
            let lambda = function.spec.function_timeout().is_some();
            let (Some(role), true) = (function.role.map(|r| &scenario.roles[r]), lambda) else {
                continue;
            };
            let Some(arn) = c.spec.iam_resource(&c.id, &c.region) else {
                continue;
            };
            let resource = format!("{arn}{}", mapping.part);
            let decisions = mapping
                .actions
                .iter()
                .map(|a| (*a, iam::evaluate(role, a, &resource)))
                .collect();
            out.push(MappingCheck {
                source,
                mapping,
                resource,
                decisions,
            });
        }
    }
    out
}

/// Refuses each event source mapping whose function's role lacks an action it needs on its
/// source, located where the function is named. Lambda validates the execution role when a
/// mapping is created and refuses it with InvalidParameterValueException: for a queue "The
/// provided execution role does not have permissions to call ReceiveMessage on SQS", for a
/// stream "Cannot access stream … Please ensure the role can perform the GetRecords,
/// GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM" (AWS's
/// own messages, as CloudFormation reports them: aws/aws-cdk#6770,
/// aws-samples/lambda-refarch-webapp#7). aws-facts §16 is silent on it; the Lambda Developer
/// Guide lists the permissions the role needs
/// (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html,
/// https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html) without saying which of them
/// creation checks: archsim refuses a mapping lacking any of them, a choice (without
/// DeleteMessage, say, no message could ever be deleted), so the scenario describes a stack
/// that works.
pub fn check_mappings(scenario: &Scenario, ck: &mut Checker) -> bool {
    let mut ok = true;
    for m in mapping_checks(scenario) {
        let denied = m.denied();
        if denied.is_empty() {
            continue;
        }
        ok = false;
        let function = &scenario.components[m.mapping.function];
        let role = &scenario.roles[function.role.unwrap_or(0)];
        // Why, statement by statement: an explicit deny, else the implicit deny.
        let mut why: Vec<String> = Vec::new();
        let mut implicit: Vec<&str> = Vec::new();
        let mut denying: Vec<(usize, Vec<&str>)> = Vec::new();
        for (action, d) in &m.decisions {
            match d {
                Decision::ExplicitDeny(i) => match denying.iter_mut().find(|(s, _)| s == i) {
                    Some((_, l)) => l.push(action),
                    None => denying.push((*i, vec![action])),
                },
                Decision::ImplicitDeny => implicit.push(action),
                Decision::Allow(_) => {}
            }
        }
        for (i, actions) in denying {
            why.push(format!(
                "the statement on line {} denies {} (an explicit deny wins over any allow)",
                role.statements[i].position.0,
                actions.join(", ")
            ));
        }
        if !implicit.is_empty() {
            why.push(format!(
                "no statement allows {} (the implicit deny)",
                implicit.join(", ")
            ));
        }
        let all = m.mapping.actions;
        let (last, first) = all.split_last().expect("a mapping needs actions");
        ck.error(
            m.mapping.span.clone(),
            format!(
                "\"{}\" reads {} \"{}\" through a Lambda event source mapping, with its role \"{}\", which does not allow {} on {}: {}; Lambda refuses to create such a mapping (InvalidParameterValueException); grant {} and {last} on it (AWS's managed policy {} grants them on every resource)",
                function.id,
                m.mapping.source,
                scenario.components[m.source].id,
                role.id,
                denied.join(", "),
                m.resource,
                why.join("; "),
                first.join(", "),
                m.mapping.managed,
            ),
        );
    }
    ok
}

/// One finding of `archsim lint`, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Line and column in the scenario file.
    pub position: (usize, usize),
    /// Whether it makes lint fail (a call that would be denied) or is advice (least
    /// privilege).
    pub error: bool,
    /// Advice on where the run lets through what AWS would not (a link one caller may use
    /// and another may not, decided once): `run` warns of it, as of an error.
    pub run_differs: bool,
    pub message: String,
}

/// What `archsim lint` says of a scenario: its findings (in file order) and the reachability
/// matrix of its calls.
#[derive(Clone, Debug)]
pub struct Lint {
    pub findings: Vec<Finding>,
    /// Caller × callee: for each component that calls others, each callee and the verdict
    /// on its calls ("ok", "denied", "denied for some operations", "dropped" by a security
    /// group, "dropped by NACL", "reply dropped" by a network ACL); then each
    /// workload and its target.
    pub matrix: Vec<Row>,
}

impl Lint {
    /// Whether a call would be denied or dropped (lint exits 1).
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.error)
    }
}

/// Every call the scenario's roles would deny, the reachability matrix, and least-privilege
/// advice: permissions its roles grant that no call of the scenario uses, and wildcards that
/// could be narrowed to what its calls use. The calls are those the scenario can make (every
/// operation that can reach a caller, `reaching_ops`), known before any run.
pub fn lint(scenario: &Scenario) -> Lint {
    let checks = checks(scenario);
    let mut findings = Vec::new();
    // One finding per call entry and action, with every operation that asks for it.
    let mut denied: Vec<(&Check, Vec<&str>)> = Vec::new();
    for c in checks.iter().filter(|c| !c.decision.allowed()) {
        let op = scenario.ops[c.op as usize].as_str();
        match denied.iter_mut().find(|(d, _)| {
            (d.from, d.to, d.position, &d.action) == (c.from, c.to, c.position, &c.action)
        }) {
            Some((_, ops)) => ops.push(op),
            None => denied.push((c, vec![op])),
        }
    }
    for (c, ops) in denied {
        // Why a role denies it: an explicit deny, else the implicit deny.
        let why = |r: usize| {
            let role = &scenario.roles[r];
            match iam::evaluate(role, &c.action, &c.resource) {
                Decision::ExplicitDeny(s) => format!(
                    "the statement on line {} denies it (an explicit deny wins over any allow)",
                    role.statements[s].position.0
                ),
                _ => "no statement allows it (the implicit deny)".to_string(),
            }
        };
        // A call made with its callers' credentials is denied when all their roles deny it:
        // each says why.
        let whose = if c.roles.len() > 1 {
            let each: Vec<String> = c
                .roles
                .iter()
                .map(|&r| format!("role \"{}\": {}", scenario.roles[r].id, why(r)))
                .collect();
            format!(
                "which none of its callers' roles allows ({})",
                each.join("; ")
            )
        } else {
            format!(
                "which role \"{}\" denies: {}",
                scenario.roles[c.role].id,
                why(c.role)
            )
        };
        findings.push(Finding {
            position: c.position,
            error: true,
            run_differs: false,
            message: format!(
                "{}, {whose}; it would answer 403 {} at once, never retried",
                asks(scenario, c, &ops),
                c.error
            ),
        });
    }
    findings.extend(split_findings(scenario, &checks));
    findings.extend(dropped_findings(scenario));
    findings.extend(network_split_findings(scenario));
    // What the roles' statements decide: the calls, and what event source mappings read.
    let mappings = mapping_checks(scenario);
    // A call is asked of each role it was asked of, with that role's own decision: each
    // allowing role's grant is used, and a denying one's near miss is told as such.
    let mut asked: Vec<Asked<'_>> = Vec::new();
    for c in &checks {
        asked.extend(c.roles.iter().map(|&role| Asked {
            role,
            action: &c.action,
            resource: &c.resource,
            decision: iam::evaluate(&scenario.roles[role], &c.action, &c.resource),
        }));
    }
    for m in &mappings {
        // Only a function with a role has its mappings checked.
        let Some(role) = scenario.components[m.mapping.function].role else {
            continue;
        };
        asked.extend(m.decisions.iter().map(|(action, decision)| Asked {
            role,
            action,
            resource: &m.resource,
            decision: *decision,
        }));
    }
    findings.extend(least_privilege(scenario, &asked));
    findings.sort_by_key(|f| (f.position, !f.error));
    Lint {
        findings,
        matrix: matrix(scenario, &checks),
    }
}

/// What a call asks for, as a finding opens: `"api"'s call to "orders" with operation
/// `write` asks for dynamodb:PutItem on <arn>`, saying how the call is named and whose
/// credentials it carries.
fn asks(scenario: &Scenario, c: &Check, ops: &[&str]) -> String {
    let via = c.place.via();
    format!(
        "\"{}\"'s {via}{} to \"{}\"{} with operation {} asks for {} on {}",
        scenario.components[c.from].id,
        if c.for_callers {
            " (its callers' request, made with their credentials)"
        } else {
            ""
        },
        scenario.components[c.to].id,
        if c.place == Place::KeyAsCaller {
            " (which asks KMS for its key with the caller's credentials)"
        } else {
            ""
        },
        quoted(ops),
        c.action,
        c.resource
    )
}

/// Operations as a finding lists them: `read`, `write`.
fn quoted(ops: &[&str]) -> String {
    ops.iter()
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Advice for each call made with its callers' credentials that one of their roles allows
/// and another denies: the run lets it through (one decision per link), where AWS would
/// answer the denied caller's requests 403. One per call entry, action and denying role,
/// with every operation that asks for it.
fn split_findings(scenario: &Scenario, checks: &[Check]) -> Vec<Finding> {
    let role_id = |r: usize| scenario.roles[r].id.as_str();
    let reach = reaching_ops(scenario);
    // The operations the callers holding role `r` send to `targets` (a component and those
    // its callers are looked for through, a Route 53 name): a caller whose calls are its own
    // callers' signs none with its role.
    let sent = |targets: &[usize], r: usize| -> BTreeSet<u16> {
        let mut ops = BTreeSet::new();
        for (i, caller) in scenario.components.iter().enumerate() {
            if caller.role != Some(r) || caller.spec.connects_as_callers() {
                continue;
            }
            for (k, call) in caller.spec.calls().iter().enumerate() {
                if targets.contains(&call.to) {
                    ops.extend(carried(&caller.spec, k, &reach[i]));
                }
            }
        }
        ops
    };
    // A link the run refuses for an operation (any of its checks denied) is an error
    // already: no note beside it.
    let refused = |c: &Check| {
        checks
            .iter()
            .any(|d| (d.from, d.to, d.op) == (c.from, c.to, c.op) && !d.decision.allowed())
    };
    let mut split: Vec<(&Check, usize, Vec<&str>)> = Vec::new();
    for c in checks
        .iter()
        .filter(|c| c.for_callers && !c.allowing.is_empty() && !refused(c))
    {
        let op = scenario.ops[c.op as usize].as_str();
        let (_, mut targets) =
            crate::network::acting_via(scenario, crate::network::Caller::Component(c.from));
        targets.push(c.from);
        // Only a role whose callers send this operation would see its 403.
        for &r in c
            .roles
            .iter()
            .filter(|&&r| !c.allowing.contains(&r) && sent(&targets, r).contains(&c.op))
        {
            match split.iter_mut().find(|(d, dr, _)| {
                (d.from, d.to, d.position, &d.action, *dr)
                    == (c.from, c.to, c.position, &c.action, r)
            }) {
                Some((_, _, ops)) => ops.push(op),
                None => split.push((c, r, vec![op])),
            }
        }
    }
    split
        .into_iter()
        .map(|(c, r, ops)| {
            let allowing: Vec<String> = c
                .allowing
                .iter()
                .map(|&a| format!("\"{}\"", role_id(a)))
                .collect();
            Finding {
                position: c.position,
                error: false,
                run_differs: true,
                message: format!(
                    "{}, which role \"{}\" of one of its callers denies and {} {}: the run lets every caller's call through (one decision per link), where AWS would answer 403 {} to the requests of the callers with role \"{}\"",
                    asks(scenario, c, &ops),
                    role_id(r),
                    allowing.join(", "),
                    if allowing.len() > 1 { "allow" } else { "allows" },
                    c.error,
                    role_id(r),
                ),
            }
        })
        .collect()
}

/// A finding for each call entry whose callee's security groups, or a network ACL on its
/// way, would drop it (or its reply).
fn dropped_findings(scenario: &Scenario) -> Vec<Finding> {
    use crate::network::{Caller, Layer};
    crate::network::dropped(scenario)
        .into_iter()
        .map(|d| {
            let callee = &scenario.components[d.to];
            let groups = callee
                .security_groups
                .iter()
                .map(|&g| format!("\"{}\"", scenario.security_groups[g].id))
                .collect::<Vec<_>>()
                .join(", ");
            let who = match d.from {
                Caller::Component(c) => {
                    let via = d.place.via();
                    let acting = crate::network::acting(scenario, d.from);
                    if acting == [d.from] {
                        format!("\"{}\"'s {via}", scenario.components[c].id)
                    } else {
                        let names: Vec<String> =
                            acting.iter().map(|a| a.name(scenario)).collect();
                        format!(
                            "\"{}\"'s {via} (its callers' connection, made by {})",
                            scenario.components[c].id,
                            names.join(", ")
                        )
                    }
                }
                Caller::Workload(w) => format!("workload \"{}\"'s requests", scenario.workloads[w].name),
            };
            let message = match d.layer {
                Layer::SecurityGroup => format!(
                    "{who} to \"{}\" would be dropped: no inbound rule of its security groups ({groups}) lets the caller in; the caller would wait its timeout on every attempt (or hang without one), then retry; add an inbound rule from one of the caller's groups",
                    callee.id
                ),
                Layer::Acl { acl, side, rule } => {
                    let a = &scenario.network_acls[acl];
                    let why = match rule {
                        Some((n, (line, column))) => {
                            format!("its rule {n} (line {line}, column {column}) denies it")
                        }
                        None => format!(
                            "no rule matches, so its `*` rule denies it (network ACL \"{}\" on line {})",
                            a.id, a.position.0
                        ),
                    };
                    if side.reply() {
                        // The default range is every client's; a rule written for Linux
                        // clients' part of it drops replies to the rest, which `[network]
                        // ephemeral_ports` says the callers do not use.
                        let narrower = if scenario.network.ephemeral
                            == crate::scenario::network_acls::EPHEMERAL
                        {
                            " (or, if the callers use only part of them, as Linux's 32768-61000, say so in `[network] ephemeral_ports`)"
                        } else {
                            ""
                        };
                        format!(
                            "{who} to \"{}\" would never connect: network ACL \"{}\"'s {} drop the reply, the TCP handshake's SYN-ACK, as network ACLs are stateless: {why}; \"{}\" would never receive a request nor do any work, and the caller would wait its timeout on every attempt (or hang without one), then retry; allow the ephemeral ports {}-{} on the reply's way{narrower}",
                            callee.id,
                            a.id,
                            side.describe(scenario.network.ephemeral),
                            callee.id,
                            scenario.network.ephemeral.0,
                            scenario.network.ephemeral.1
                        )
                    } else {
                        format!(
                            "{who} to \"{}\" would be dropped by network ACL \"{}\"'s {} (port {}): {why}; the caller would wait its timeout on every attempt (or hang without one), then retry",
                            callee.id,
                            a.id,
                            side.describe(scenario.network.ephemeral),
                            callee.spec.port()
                        )
                    }
                }
            };
            Finding {
                position: d.position,
                error: true,
                run_differs: false,
                message,
            }
        })
        .collect()
}

/// Advice for each call made as its callers' connections (a cache's backend) that some of
/// them may make and others not: the run lets it through (one gate per link), where AWS
/// would drop the others' connections.
fn network_split_findings(scenario: &Scenario) -> Vec<Finding> {
    use crate::network::Layer;
    crate::network::split(scenario)
        .into_iter()
        .map(|d| {
            let (from, callee) = (&scenario.components[d.from], &scenario.components[d.to]);
            let open: Vec<String> = d.open.iter().map(|w| w.name(scenario)).collect();
            let closed: Vec<String> = d
                .closed
                .iter()
                .map(|(who, layer)| {
                    let why = match layer {
                        Layer::SecurityGroup => format!(
                            "no inbound rule of \"{}\"'s security groups lets it in",
                            callee.id
                        ),
                        Layer::Acl { acl, side, rule } => {
                            let a = &scenario.network_acls[*acl];
                            let rule = match rule {
                                Some((n, (line, column))) => {
                                    format!("rule {n} (line {line}, column {column})")
                                }
                                None => "`*` rule".to_string(),
                            };
                            format!(
                                "network ACL \"{}\"'s {}: its {rule} denies it",
                                a.id,
                                side.describe(scenario.network.ephemeral)
                            )
                        }
                    };
                    format!("{}'s ({why})", who.name(scenario))
                })
                .collect();
            Finding {
                position: d.position,
                error: false,
                run_differs: true,
                message: format!(
                    "\"{}\"'s calls to \"{}\" are its callers' connections: {} may connect, but {} would be dropped; the run lets every caller's call through (one decision per link), where in AWS the dropped callers' requests would wait their timeout",
                    from.id,
                    callee.id,
                    open.join(", "),
                    closed.join(", ")
                ),
            }
        })
        .collect()
}

fn matrix(scenario: &Scenario, checks: &[Check]) -> Vec<Row> {
    use crate::network::{verdict, Caller, Layer};
    let network = |from: Caller, to: usize| match verdict(scenario, from, to) {
        None => None,
        Some(Layer::SecurityGroup) => Some("dropped"),
        Some(Layer::Acl { side, .. }) if side.reply() => Some("reply dropped"),
        Some(Layer::Acl { .. }) => Some("dropped by NACL"),
    };
    let mut rows = Vec::new();
    for (from, c) in scenario.components.iter().enumerate() {
        let mut callees: Vec<usize> = c.spec.calls().iter().map(|k| k.to).collect();
        callees.extend(c.spec.kms().map(|l| l.to));
        let mut seen = BTreeSet::new();
        callees.retain(|t| seen.insert(*t));
        if callees.is_empty() {
            continue;
        }
        let cells = callees
            .into_iter()
            .map(|to| {
                let mine: Vec<&Check> = checks
                    .iter()
                    .filter(|k| k.from == from && k.to == to)
                    .collect();
                // By operation: one carried is denied when any of its checks is (the
                // callee's action, or the key's that it asks for with the caller's rights).
                let ops: BTreeSet<u16> = mine.iter().map(|k| k.op).collect();
                let denied: BTreeSet<u16> = mine
                    .iter()
                    .filter(|k| !k.decision.allowed())
                    .map(|k| k.op)
                    .collect();
                // A dropped call never reaches whoever would deny it.
                let verdict = if let Some(v) = network(Caller::Component(from), to) {
                    v
                } else if denied.is_empty() {
                    "ok"
                } else if denied.len() == ops.len() {
                    "denied"
                } else {
                    "denied for some operations"
                };
                (scenario.components[to].id.clone(), verdict)
            })
            .collect();
        rows.push((c.id.clone(), cells));
    }
    // Workloads' requests are checked by security groups and network ACLs only (IAM does
    // not check them): their rows are shown when the scenario has either.
    let guarded = !scenario.security_groups.is_empty() || !scenario.network_acls.is_empty();
    for (i, w) in scenario.workloads.iter().enumerate().filter(|_| guarded) {
        let verdict = network(Caller::Workload(i), w.target).unwrap_or("ok");
        rows.push((
            w.name.clone(),
            vec![(scenario.components[w.target].id.clone(), verdict)],
        ));
    }
    rows
}

/// One request a role's statements decide: a call, or a read of an event source mapping.
struct Asked<'a> {
    /// The role asked (index into `Scenario::roles`).
    role: usize,
    action: &'a str,
    resource: &'a str,
    decision: Decision,
}

/// Advice on each role's allowing statements, from the requests of the components that use
/// it: a pattern no allowed request matches, and a wildcard pattern that only ever matches a
/// few exact values (listed, to be written instead).
fn least_privilege(scenario: &Scenario, asked: &[Asked<'_>]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (r, role) in scenario.roles.iter().enumerate() {
        let users: Vec<&Asked<'_>> = asked.iter().filter(|c| c.role == r).collect();
        let named = scenario.components.iter().any(|c| c.role == Some(r));
        if !named {
            out.push(Finding {
                position: role.position,
                error: false,
                run_differs: false,
                message: format!("role \"{}\" is named by no component", role.id),
            });
            continue;
        }
        for (i, s) in role.statements.iter().enumerate() {
            // A statement that grants only actions of services archsim does not simulate
            // (CloudWatch Logs, which every function's role grants) has nothing a call could
            // use: no advice on it, nor on its resources.
            if s.effect != iam::Effect::Allow || !s.actions.iter().any(|a| simulated(a)) {
                continue;
            }
            // The requests this statement is what allows.
            let used: Vec<&&Asked<'_>> = users
                .iter()
                .filter(|c| {
                    c.decision == Decision::Allow(i)
                        || (c.decision.allowed() && iam::statement_matches(s, c.action, c.resource))
                })
                .collect();
            // The requests it would allow but another statement denies: the deny is reported
            // as an error of its own, and the grant is not unused.
            let overruled: Vec<&&Asked<'_>> = users
                .iter()
                .filter(|c| {
                    !c.decision.allowed() && iam::statement_matches(s, c.action, c.resource)
                })
                .collect();
            for a in s.actions.iter().filter(|a| simulated(a)) {
                let hits: BTreeSet<&str> = used
                    .iter()
                    .filter(|c| iam::action_matches(a, c.action))
                    .map(|c| c.action)
                    .collect();
                if hits.is_empty() && overruled.iter().any(|c| iam::action_matches(a, c.action)) {
                    continue;
                }
                // Calls do ask for it, on resources the statement does not name (a bucket's
                // ARN without its objects' `/*`): that, not the action, is what is wrong.
                let elsewhere: BTreeSet<&str> = users
                    .iter()
                    .filter(|c| !c.decision.allowed() && iam::action_matches(a, c.action))
                    .map(|c| c.resource)
                    .collect();
                if hits.is_empty() && !elsewhere.is_empty() {
                    out.push(Finding {
                        position: s.position,
                        error: false,
                        run_differs: false,
                        message: format!(
                            "least privilege: action \"{}\" is granted on resources none of its calls name: they ask for it on {}",
                            crate::text::one_line(a),
                            elsewhere
                                .iter()
                                .map(|r| format!("\"{}\"", crate::text::one_line(r)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                    continue;
                }
                out.extend(advice(s.position, "action", a, &hits));
            }
            for r in &s.resources {
                let hits: BTreeSet<&str> = used
                    .iter()
                    .filter(|c| r.matches(c.resource))
                    .map(|c| c.resource)
                    .collect();
                if hits.is_empty() && overruled.iter().any(|c| r.matches(c.resource)) {
                    continue;
                }
                // A component id stands for each ARN its calls name (a bucket's and its
                // objects'): said once, by what is written, and never a wildcard to narrow.
                let pattern = match r.patterns.as_slice() {
                    [p] => p.clone(),
                    _ if hits.is_empty() => format!("{} ({})", r.written, r.patterns.join(", ")),
                    _ => continue,
                };
                out.extend(advice(s.position, "resource", &pattern, &hits));
            }
        }
    }
    out
}

/// Whether action pattern `a` may name a request of the scenario: `*`, or an action of a
/// service some kind simulates (its `Kind::IAM_PREFIX`).
fn simulated(a: &str) -> bool {
    let prefix = a.split_once(':').map_or(a, |(p, _)| p);
    prefix == "*"
        || crate::components::registry::KINDS
            .iter()
            .any(|k| k.iam_prefix.is_some_and(|p| p.eq_ignore_ascii_case(prefix)))
}

fn advice(
    position: (usize, usize),
    what: &str,
    pattern: &str,
    hits: &BTreeSet<&str>,
) -> Option<Finding> {
    let wild = pattern.contains(['*', '?']);
    let message = if hits.is_empty() {
        format!(
            "least privilege: {what} \"{pattern}\" is granted but no call of the scenario uses it"
        )
    } else if wild && !(hits.len() == 1 && hits.contains(pattern)) {
        format!(
            "least privilege: {what} \"{pattern}\" could be narrowed to what the calls use: {}",
            hits.iter()
                .map(|h| format!("\"{h}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        return None;
    };
    Some(Finding {
        position,
        error: false,
        run_differs: false,
        message,
    })
}

/// The lint of a scenario as text: findings as `file:line:column: error|note: …`, then the
/// matrix.
pub fn render(scenario: &Scenario, lint: &Lint) -> String {
    let path = scenario.file.display().to_string();
    let file = crate::text::printable(&path);
    let mut out = String::new();
    for f in &lint.findings {
        out.push_str(&format!(
            "{file}:{}:{}: {}: {}\n",
            f.position.0,
            f.position.1,
            if f.error { "error" } else { "note" },
            f.message
        ));
    }
    let label = match &scenario.variant {
        Some(v) => format!("{} ({})", scenario.name, v.name),
        None => scenario.name.clone(),
    };
    out.push_str(&format!(
        "reachability of {label} (rows call columns; · no call):\n"
    ));
    if lint.matrix.is_empty() {
        out.push_str("  (no component calls another)\n");
        return out;
    }
    let mut callees: Vec<&str> = Vec::new();
    for (_, cells) in &lint.matrix {
        for (to, _) in cells {
            if !callees.contains(&to.as_str()) {
                callees.push(to);
            }
        }
    }
    let short = |v: &'static str| {
        if v == "denied for some operations" {
            "partly denied"
        } else {
            v
        }
    };
    let first = lint
        .matrix
        .iter()
        .map(|(f, _)| f.chars().count())
        .max()
        .unwrap_or(0);
    let widest = lint
        .matrix
        .iter()
        .flat_map(|(_, cells)| cells.iter().map(|(_, v)| short(v).len()))
        .fold("partly denied".len(), usize::max);
    let widths: Vec<usize> = callees
        .iter()
        .map(|c| c.chars().count().max(widest))
        .collect();
    out.push_str(&format!("  {:first$}", ""));
    for (c, w) in callees.iter().zip(&widths) {
        out.push_str(&format!("  {c:w$}"));
    }
    out.push('\n');
    for (from, cells) in &lint.matrix {
        out.push_str(&format!("  {from:first$}"));
        for (c, w) in callees.iter().zip(&widths) {
            let v = cells
                .iter()
                .find(|(to, _)| to == c)
                .map_or("·", |(_, v)| short(v));
            out.push_str(&format!("  {v:w$}"));
        }
        out.push('\n');
    }
    out
}
