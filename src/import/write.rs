//! From resources to a scenario: each resource's kind found in the registry and mapped, the
//! parts of a component merged into it, the edges resolved, traffic sent to the entry points,
//! and the scenario written with every starting value marked.

use super::iam;
use super::network::{self, Source};
use super::{Format, Imported};
use crate::components::iac::{
    Declared, Dialect, Downstream, Edge, Mapped, Resource, Route, Setting, COMPONENT_MARK,
};
use crate::components::kind::{Category, KindEntry};
use crate::components::registry::KINDS;
use crate::limits::{MAX_COMPONENTS, MAX_NAME_LEN};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A resource mapped by a kind.
struct Mapping {
    /// Its index among the resources.
    index: usize,
    /// The kind that mapped it.
    kind: &'static KindEntry,
    /// What the mapping made of it.
    mapped: Mapped,
}

/// A component of the scenario.
struct Component {
    /// The resource it is.
    index: usize,
    /// Its id in the scenario.
    id: String,
    /// Its kind.
    kind: &'static KindEntry,
    /// Its keys, merged from it and its parts.
    keys: Vec<Setting>,
    /// Keys naming other components: key, id, why.
    links: Vec<(&'static str, String, String)>,
    /// Edges to other components: target component, why, extra keys.
    edges: Vec<(usize, Edge)>,
    /// Keys the workloads sent to it need.
    workload: Vec<Setting>,
    /// Components its keys name inside them (a state's `resource`).
    embeds: Vec<usize>,
    /// Resources its keys name inside them that are not simulated.
    missing: Vec<String>,
    /// Whether it is written (false once dropped for a missing tie).
    kept: bool,
    /// Whether it is reached through the component it names (`Mapped::attached`): it gets no
    /// traffic and does not count as calling that component.
    attached: bool,
    /// Whether it is another kind's companion of its resource's component (`Imports::
    /// companions`) rather than that resource's own.
    companion: bool,
}

impl Component {
    /// The component of mapping `m`, named `id`, with its first `keys`; `companion` as above.
    fn new(m: &Mapping, id: String, keys: Vec<Setting>, companion: bool) -> Component {
        Component {
            index: m.index,
            id,
            kind: m.kind,
            keys,
            links: Vec::new(),
            edges: Vec::new(),
            workload: Vec::new(),
            embeds: Vec::new(),
            missing: Vec::new(),
            kept: true,
            attached: m.mapped.attached,
            companion,
        }
    }
}

/// Refuses a template that maps to more components than a scenario may have.
fn within_limit(components: usize) -> Result<(), String> {
    if components > MAX_COMPONENTS {
        return Err(format!(
            "the template maps to {components} components, more than a scenario's limit of {MAX_COMPONENTS}: import a smaller stack"
        ));
    }
    Ok(())
}

/// The properties that place a resource in subnets, CloudFormation's and Terraform's: an
/// Auto Scaling group's, a load balancer's, a function's VPC configuration, a database's
/// or a cache's subnet group.
const SUBNET_KEYS: &[&str] = &[
    "VPCZoneIdentifier",
    "Subnets",
    "SubnetMappings",
    "VpcConfig",
    "DBSubnetGroupName",
    "CacheSubnetGroupName",
    "vpc_zone_identifier",
    "subnets",
    "subnet_mapping",
    "vpc_config",
    "db_subnet_group_name",
    "subnet_group_name",
];

/// Whether the requests sent to component `t` reach, through calls and ties (a queue's
/// consumer, a topic's subscriptions, a state's resource, the volumes attached to a
/// group's instances), a kind that tells writes from reads by their operation
/// (`Kind::WRITE_OPS`: a table, a cache, a database, a bucket, a volume;
/// `Kind::TELLS_READS_FROM_WRITES`: a CloudFront distribution, which caches reads only).
fn reaches_writes(t: usize, components: &[Component]) -> bool {
    let mut seen = vec![t];
    let mut next = 0;
    while let Some(&c) = seen.get(next) {
        next += 1;
        if components[c].kind.tells_reads_from_writes {
            return true;
        }
        let me = &components[c];
        let tied = me
            .links
            .iter()
            .filter_map(|(_, id, _)| components.iter().position(|o| o.id == *id));
        // What its instances carry (a group's volumes), and what is attached to it and names
        // it: its requests reach those too.
        let attached = (0..components.len()).filter(|&o| {
            let other = &components[o];
            o != c
                && ((other.companion && !me.companion && other.index == me.index)
                    || (other.attached && other.links.iter().any(|(_, id, _)| *id == me.id)))
        });
        let called = me.edges.iter().map(|(n, _)| *n);
        for n in called
            .chain(tied)
            .chain(me.embeds.iter().copied())
            .chain(attached)
        {
            if components[n].kept && !seen.contains(&n) {
                seen.push(n);
            }
        }
    }
    false
}

/// Writes the scenario of `resources`, read from `file` (its stem `stem` names the scenario).
pub(super) fn scenario(
    stem: &str,
    file: &str,
    format: Format,
    dialect: Dialect,
    resources: &[Declared],
) -> Result<Imported, String> {
    let mut notes = Vec::new();
    let mut unmapped = Vec::new();
    let mut mappings: Vec<Option<Mapping>> = Vec::new();
    // Components of other kinds that a resource's instances carry (a group's volumes).
    let mut companions: Vec<Mapping> = Vec::new();
    let (groups, group_notes) = network::groups(dialect, resources);
    notes.extend(group_notes);
    for (index, d) in resources.iter().enumerate() {
        if network::reads(dialect, &d.kind) || iam::reads(dialect, &d.kind) {
            mappings.push(None);
            continue;
        }
        let r = Resource {
            dialect,
            name: &d.name,
            kind: &d.kind,
            props: &d.props,
            template: resources,
        };
        let found = KINDS
            .iter()
            .find_map(|k| k.imports.find(dialect, &d.kind).map(|m| (k, m)));
        match found {
            Some((kind, map)) => {
                let mut mapped = Mapped::default();
                (map.map)(&r, &mut mapped);
                for k in KINDS.iter() {
                    if let Some(c) = k.imports.companion(dialect, &d.kind) {
                        let mut carried = Mapped::default();
                        (c.map)(&r, &mut carried);
                        if !carried.keys.is_empty() {
                            companions.push(Mapping {
                                index,
                                kind: k,
                                mapped: carried,
                            });
                        }
                    }
                }
                mappings.push(Some(Mapping {
                    index,
                    kind,
                    mapped,
                }));
            }
            None => {
                unmapped.push(format!("{} ({})", d.name, d.kind));
                mappings.push(None);
            }
        }
    }
    let by_name: BTreeMap<&str, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.as_str(), i))
        .collect();

    // Each mapped resource's component: itself, or what it is part of.
    let owner = |i: usize| -> Option<usize> {
        let mut at = i;
        for _ in 0..8 {
            let m = mappings[at].as_ref()?;
            if m.mapped.folded {
                return None;
            }
            match &m.mapped.part_of {
                None => return Some(at),
                Some(p) => at = *by_name.get(p.as_str())?,
            }
        }
        None
    };

    let mut components: Vec<Component> = Vec::new();
    let mut index_of: BTreeMap<usize, usize> = BTreeMap::new();
    let own = |m: &&Mapping| m.mapped.part_of.is_none() && !m.mapped.folded;
    within_limit(mappings.iter().flatten().filter(own).count())?;
    let mut taken = Taken::default();
    for m in mappings.iter().flatten().filter(own) {
        let id = taken.fresh(&resources[m.index].name);
        index_of.insert(m.index, components.len());
        components.push(Component::new(m, id, Vec::new(), false));
    }

    // Keys and links, the component's own first, then its parts' in template order.
    for m in mappings.iter().flatten() {
        notes.extend(m.mapped.notes.iter().cloned());
        let name = &resources[m.index].name;
        let Some(c) = owner(m.index).and_then(|o| index_of.get(&o)).copied() else {
            if !m.mapped.folded {
                notes.push(format!(
                    "{name} ({}) configures {}, which is not simulated: left out",
                    resources[m.index].kind,
                    m.mapped.part_of.as_deref().unwrap_or("nothing")
                ));
            }
            continue;
        };
        if m.kind.info.name != components[c].kind.info.name {
            notes.push(format!(
                "{name} ({}) configures {}, which is not a component of its kind: its settings are left out",
                resources[m.index].kind, components[c].id
            ));
            continue;
        }
        for s in &m.mapped.keys {
            merge(&mut components[c].keys, s.clone());
        }
        for s in &m.mapped.workload {
            merge(&mut components[c].workload, s.clone());
        }
        for l in &m.mapped.links {
            let target = by_name
                .get(l.to.as_str())
                .and_then(|&i| owner(i))
                .and_then(|o| index_of.get(&o));
            match target {
                Some(&t) => {
                    let id = components[t].id.clone();
                    components[c].links.push((l.key, id, l.why.clone()));
                }
                None => notes.push(format!(
                    "{name}'s {} names {}, which is not simulated: left out",
                    l.key, l.to
                )),
            }
        }
    }

    // Companions, beside the components of the resources that carry them.
    for m in &companions {
        if owner(m.index).and_then(|o| index_of.get(&o)).is_none() {
            continue;
        }
        notes.extend(m.mapped.notes.iter().cloned());
        let id = taken.fresh(&format!("{}-{}", resources[m.index].name, m.kind.info.name));
        let mut keys = Vec::new();
        for s in &m.mapped.keys {
            merge(&mut keys, s.clone());
        }
        components.push(Component::new(m, id, keys, true));
    }
    within_limit(components.len())?;

    // The components that keys name inside them.
    let component_of = |name: &str| -> Option<usize> {
        by_name
            .get(name)
            .and_then(|&i| owner(i))
            .and_then(|o| index_of.get(&o))
            .copied()
    };
    for c in &mut components {
        let mut names = Vec::new();
        for s in &c.keys {
            marked(&s.value, &mut names);
        }
        for n in names {
            match component_of(&n) {
                Some(t) if !c.embeds.contains(&t) => c.embeds.push(t),
                Some(_) => {}
                None => c.missing.push(n),
            }
        }
    }

    // Edges, from their owners' components to their targets'.
    for m in mappings.iter().flatten() {
        for e in &m.mapped.edges {
            let from_res = match &e.from {
                None => Some(m.index),
                Some(n) => by_name.get(n.as_str()).copied(),
            };
            let from = from_res
                .and_then(owner)
                .and_then(|o| index_of.get(&o))
                .copied();
            let to = by_name
                .get(e.to.as_str())
                .and_then(|&i| owner(i))
                .and_then(|o| index_of.get(&o))
                .copied();
            match (from, to) {
                (Some(f), Some(t)) if f != t && e.catch_all => {
                    // The integration of an HTTP API's `$default` route: first, so that it
                    // is the API's main target, whatever order the template lists them in.
                    let edges = &mut components[f].edges;
                    edges.retain(|(x, old)| *x != t || old.route.is_some());
                    edges.insert(0, (t, e.clone()));
                }
                (Some(f), Some(t)) => {
                    // Each route an API states is kept, even to a function another route
                    // already calls: each may need its own `routes` entry.
                    let new = f != t
                        && (e.route.is_some() || !components[f].edges.iter().any(|(x, _)| *x == t));
                    if new {
                        components[f].edges.push((t, e.clone()));
                    }
                }
                _ if by_name.contains_key(e.to.as_str()) => notes.push(format!(
                    "{} → {} ({}): one end is not simulated, so no call is written",
                    e.from.as_deref().unwrap_or(&resources[m.index].name),
                    e.to,
                    e.why
                )),
                _ => {}
            }
        }
    }

    // A component in front of a call (a cache before its database) takes the caller's call.
    // A caller that is no component of its own but is read by others (a launch template
    // naming both, read by the groups that launch from it) speaks for those that name it.
    let speaks_for = |name: &str, components: &[Component]| -> Vec<usize> {
        if let Some(f) = component_of(name) {
            return vec![f];
        }
        let folded = by_name
            .get(name)
            .and_then(|&i| mappings[i].as_ref())
            .is_some_and(|m| m.mapped.folded);
        if !folded {
            return Vec::new();
        }
        (0..components.len())
            .filter(|&c| {
                let mut named = Vec::new();
                crate::components::iac::references(
                    &resources[components[c].index].props,
                    &mut named,
                );
                named.iter().any(|n| n == name)
            })
            .collect()
    };
    for m in mappings.iter().flatten() {
        let Some(me) = owner(m.index).and_then(|o| index_of.get(&o)).copied() else {
            continue;
        };
        for (caller, backend) in &m.mapped.fronts {
            let Some(b) = component_of(backend) else {
                continue;
            };
            for f in speaks_for(caller, &components) {
                if f == me || !components[f].edges.iter().any(|(t, _)| *t == b) {
                    continue;
                }
                let calls_me = components[f].edges.iter().any(|(t, _)| *t == me);
                if calls_me {
                    components[f].edges.retain(|(t, _)| *t != b);
                } else if let Some(e) = components[f].edges.iter_mut().find(|(t, _)| *t == b) {
                    e.0 = me;
                }
                notes.push(format!(
                    "{} calls {} through {}, which stands in front of it",
                    components[f].id, components[b].id, components[me].id
                ));
            }
        }
    }

    // A call assumed from configuration that would close a cycle (a function whose
    // environment or policies name the queue it consumes, or the API that invokes it) is left
    // out: the template's wiring says which way requests go, and archsim's calls wait on each
    // other, so a scenario with a cycle is refused.
    {
        let index_by_id: BTreeMap<&str, usize> = components
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let mut ties: Vec<Vec<usize>> = components
            .iter()
            .map(|c| {
                c.edges
                    .iter()
                    .filter(|(_, e)| !e.assumed())
                    .map(|(t, _)| *t)
                    .chain(c.embeds.iter().copied())
                    .chain(
                        c.links
                            .iter()
                            .filter_map(|(_, id, _)| index_by_id.get(id.as_str()).copied()),
                    )
                    .collect()
            })
            .collect();
        let mut cut = Vec::new();
        for (f, c) in components.iter().enumerate() {
            for (t, e) in &c.edges {
                if !e.assumed() {
                    continue;
                }
                if reaches(&ties, *t, f) {
                    cut.push((f, *t, e.why.clone()));
                } else {
                    ties[f].push(*t);
                }
            }
        }
        for (f, t, why) in cut {
            components[f].edges.retain(|(x, e)| *x != t || !e.assumed());
            notes.push(format!(
                "{} → {} ({why}) is not written: {} already leads to {} through the template's wiring, and a call back would make a cycle",
                components[f].id, components[t].id, components[t].id, components[f].id
            ));
        }
    }

    // Drop what cannot be written without a tie it lacks, until none is left.
    loop {
        let mut dropped = false;
        for c in 0..components.len() {
            if !components[c].kept {
                continue;
            }
            let live = components[c].edges.iter().any(|(t, _)| components[*t].kept);
            let required = matches!(
                components[c].kind.imports.downstream,
                Downstream::One { required: true, .. }
                    | Downstream::Routes { .. }
                    | Downstream::Many(_)
                    | Downstream::Tables(_)
            );
            if required && !live {
                components[c].kept = false;
                dropped = true;
                notes.push(format!(
                    "{} ({}) is left out: archsim's {} needs what it sends requests to, and the template names none that is simulated",
                    components[c].id, resources[components[c].index].kind, components[c].kind.info.title
                ));
                continue;
            }
            let gone = components[c]
                .embeds
                .iter()
                .find(|t| !components[**t].kept)
                .map(|t| components[*t].id.clone())
                .or_else(|| components[c].missing.first().cloned());
            if let Some(gone) = gone {
                components[c].kept = false;
                dropped = true;
                notes.push(format!(
                    "{} ({}) is left out: its settings name {gone}, which is not simulated",
                    components[c].id, resources[components[c].index].kind
                ));
            }
        }
        if !dropped {
            break;
        }
    }

    // The id each kept component's resource (and its parts') is written as.
    let ids: BTreeMap<String, String> = resources
        .iter()
        .filter_map(|d| {
            let c = component_of(&d.name)?;
            components[c]
                .kept
                .then(|| (d.name.clone(), components[c].id.clone()))
        })
        .collect();

    // Security groups: ids for the groups, and each kept component in a VPC's membership
    // (its own properties', or a launch template's it names).
    let mut group_ids: BTreeMap<&str, String> = BTreeMap::new();
    for g in &groups {
        group_ids.insert(g.name.as_str(), taken.fresh(&g.name));
    }
    let mut membership: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    if !groups.is_empty() {
        for (ci, c) in components.iter().enumerate() {
            if !c.kept || !c.kind.in_vpc || c.companion {
                continue;
            }
            let d = &resources[c.index];
            let mut names = Vec::new();
            crate::components::iac::references(&d.props, &mut names);
            let mut listed = network::members(dialect, &d.props, &groups, &mut notes, &d.name);
            for n in names {
                let folded = by_name
                    .get(n.as_str())
                    .and_then(|&i| mappings[i].as_ref())
                    .is_some_and(|m| m.mapped.folded);
                if folded {
                    let o = &resources[by_name[n.as_str()]];
                    for g in network::members(dialect, &o.props, &groups, &mut notes, &o.name) {
                        if !listed.contains(&g) {
                            listed.push(g);
                        }
                    }
                }
            }
            listed.truncate(crate::limits::MAX_SGS_PER_COMPONENT);
            if !listed.is_empty() {
                membership.insert(ci, listed);
            }
        }
    }

    // Roles: the components IAM checks, by resource name, for the statements to name.
    let targets: BTreeMap<String, iam::Target> = resources
        .iter()
        .filter_map(|d| {
            let c = component_of(&d.name)?;
            components[c].kept.then(|| {
                (
                    d.name.clone(),
                    iam::Target {
                        id: components[c].id.clone(),
                        prefix: components[c].kind.iam_prefix,
                    },
                )
            })
        })
        .collect();
    let roles = iam::roles(dialect, resources, &targets, taken, &mut notes);

    let mut asks = Vec::new();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Imported by `archsim import` from {} ({}).",
        comment(file),
        format.words()
    );
    text.push_str(
        "# Every value marked \"starting value\" is one the template cannot say: set it from what\n\
         # you measure (CloudWatch) before trusting the results. They are listed at the end.\n\n",
    );
    text.push_str("[scenario]\n");
    let _ = writeln!(text, "name = {}", toml_str(&scenario_name(stem)));
    let _ = writeln!(
        text,
        "description = {}",
        toml_str(&format!(
            "The architecture of {}, as imported: what it does with the traffic given below.",
            one_line(stem)
        ))
    );
    text.push_str(
        "duration = \"2m\"  # a short first run: lengthen it once the starting values are yours\n",
    );
    text.push_str("seed = 1\n\n");

    // Components an edge's keys name (a subscription's dead-letter queue) get their requests
    // through that tie.
    let mut named_by_edges = vec![false; components.len()];
    for c in components.iter().filter(|c| c.kept) {
        for (_, e) in &c.edges {
            let mut names = Vec::new();
            for (_, v) in &e.with {
                marked(v, &mut names);
            }
            for n in names {
                if let Some(t) = component_of(&n) {
                    named_by_edges[t] = true;
                }
            }
        }
    }

    // Subnets place a resource in zones, but a subnet's zone is rarely in the template (a
    // parameter, `!GetAZs`): the components sit in no zone, which is said, since a zone's
    // outage then takes none of them out.
    let in_subnets: Vec<&str> = components
        .iter()
        .filter(|c| c.kept && !c.companion)
        // A component the template places in zones by name (a group's `zones`) is in them.
        .filter(|c| !c.keys.iter().any(|k| k.key == "zones"))
        .filter(|c| {
            let props = &resources[c.index].props;
            // A plan writes a block never set as `[]` or `null`: not a placement.
            SUBNET_KEYS.iter().any(|k| match props.get(*k) {
                None | Some(serde_json::Value::Null) => false,
                Some(serde_json::Value::Array(a)) => !a.is_empty(),
                Some(serde_json::Value::Object(o)) => !o.is_empty(),
                Some(serde_json::Value::String(s)) => !s.is_empty(),
                Some(_) => true,
            })
        })
        .map(|c| c.id.as_str())
        .collect();
    if !in_subnets.is_empty() {
        notes.push(format!(
            "{} {} placed in subnets, whose zones the import does not read: {} in no zone, so an `az_outage` takes none of {} out; give {} `az` (an Auto Scaling group `zones`) to study one",
            in_subnets.join(", "),
            if in_subnets.len() == 1 { "is" } else { "are" },
            if in_subnets.len() == 1 { "it sits" } else { "they sit" },
            if in_subnets.len() == 1 { "it" } else { "them" },
            if in_subnets.len() == 1 { "it" } else { "them" },
        ));
    }

    // Traffic: to the components nothing else calls, the front doors first.
    let incoming: Vec<bool> = (0..components.len())
        .map(|t| {
            // A queue's dead-letter queue gets its messages through the tie.
            let id = &components[t].id;
            named_by_edges[t]
                || components.iter().any(|c| {
                    c.kept
                        && (c.edges.iter().any(|(x, _)| *x == t)
                            || (!c.attached && c.embeds.contains(&t))
                            || c.links.iter().any(|(_, to, _)| to == id))
                })
        })
        .collect();
    // What is attached to another component is reached through it, never sent traffic.
    let entries: Vec<usize> = (0..components.len())
        .filter(|&c| components[c].kept && !incoming[c] && !components[c].attached)
        .collect();
    let of = |cats: &[Category]| -> Vec<usize> {
        entries
            .iter()
            .copied()
            .filter(|&c| cats.contains(&components[c].kind.info.category))
            .collect()
    };
    let mut targets = of(&[Category::Networking]);
    if targets.is_empty() {
        targets = of(&[Category::Compute, Category::Integration]);
    }
    if targets.is_empty() {
        targets = entries.clone();
    }
    if targets.is_empty() {
        targets = (0..components.len())
            .filter(|&c| components[c].kept && !components[c].attached)
            .take(1)
            .collect();
    }
    if targets.is_empty() {
        let mut types: Vec<&str> = resources
            .iter()
            .zip(&mappings)
            .filter(|(d, m)| {
                m.is_none() && !network::reads(dialect, &d.kind) && !iam::reads(dialect, &d.kind)
            })
            .map(|(d, _)| d.kind.as_str())
            .collect();
        types.sort_unstable();
        types.dedup();
        let listed = if types.is_empty() {
            String::new()
        } else {
            format!(" (types not simulated: {})", types.join(", "))
        };
        return Err(format!(
            "no resource of the template maps to a kind archsim simulates: there is nothing to run{listed}"
        ));
    }
    // A component nothing calls and no workload is sent to gets no request at all: said, so
    // that a call the template does not state is added where the architecture makes one.
    for &c in entries.iter().filter(|c| !targets.contains(c)) {
        let id = &components[c].id;
        notes.push(format!(
            "{id}: nothing in the template calls it, and no workload is sent to it, so it gets no requests; add a call from the component that uses it (`calls = [{{ to = \"{id}\" }}]`) if one does"
        ));
    }
    let told_writes = tell_named_writes(&mut components, &targets);
    let mut workload_names = Taken::default();
    for &t in &targets {
        let name = workload_names.fresh(&format!("to-{}", components[t].id));
        text.push_str("[[workload]]\n");
        let _ = writeln!(text, "name = {}", toml_str(&name));
        let _ = writeln!(text, "target = {}", toml_str(&components[t].id));
        text.push_str("# starting value: requests per second at your busy hour, from CloudWatch\n");
        text.push_str("arrival = { process = \"poisson\", rate = 10 }\n");
        let routed = route_plan(&components[t], &components);
        let mix = if routed.is_empty() && !reaches_writes(t, &components) {
            // Nothing its requests reach tells a write from a read (a queue whose consumer
            // calls nothing that does): a mix would be a number to set that changes nothing.
            "none: nothing its requests reach tells writes from reads".to_string()
        } else if routed.is_empty() {
            // What its routes' methods say: reads only, writes only, or both in a share to
            // set; a guess, said to be one, where no route says (or one may do either, ANY).
            let methods = stated_methods(&components[t], &components);
            let (reads, writes): (Vec<&str>, Vec<&str>) =
                methods.iter().partition(|m| read_method(m));
            let known =
                !methods.is_empty() && methods.iter().all(|m| read_method(m) || write_method(m));
            let listed = |ms: &[&str]| ms.join(", ");
            if known && writes.is_empty() {
                let _ = writeln!(
                    text,
                    "# its routes only read ({}): every request is a read",
                    comment(&listed(&reads))
                );
                text.push_str("mix = [{ op = \"read\", weight = 1 }]\n");
                format!("reads only, as its routes' methods say: {}", listed(&reads))
            } else if known && reads.is_empty() {
                let _ = writeln!(
                    text,
                    "# its routes only write ({}): every request is a write",
                    comment(&listed(&writes))
                );
                text.push_str("mix = [{ op = \"write\", weight = 1 }]\n");
                format!(
                    "writes only, as its routes' methods say: {}",
                    listed(&writes)
                )
            } else if known {
                let _ = writeln!(
                    text,
                    "# starting value: your share of its routes' reads ({}) and writes ({})",
                    comment(&listed(&reads)),
                    comment(&listed(&writes))
                );
                text.push_str(
                    "mix = [{ op = \"read\", weight = 9 }, { op = \"write\", weight = 1 }]\n",
                );
                "9 reads : 1 write, a share to set between its routes' reads and writes".to_string()
            } else {
                text.push_str(
                    "# starting value, a guess: no route of the template says whether its requests read or write; set your share\n",
                );
                text.push_str(
                    "mix = [{ op = \"read\", weight = 9 }, { op = \"write\", weight = 1 }]\n",
                );
                "9 reads : 1 write, a guess: no route says whether it reads or writes".to_string()
            }
        } else {
            // Every route's operation, so that each integration gets requests.
            let mut ops: Vec<(&str, i64, &str)> = Vec::new();
            for r in &routed {
                if !ops.iter().any(|(op, _, _)| *op == r.op) {
                    let weight = if r.method == "GET" { 9 } else { 1 };
                    ops.push((&r.op, weight, &components[r.target].id));
                }
            }
            text.push_str(
                "# starting value: your share of each route's requests (reads 9, others 1)\n",
            );
            let entries: Vec<String> = ops
                .iter()
                .map(|(op, w, _)| format!("{{ op = {}, weight = {w} }}", toml_str(op)))
                .collect();
            let _ = writeln!(text, "mix = [{}]", entries.join(", "));
            let each: Vec<String> = ops
                .iter()
                .map(|(op, w, to)| format!("{op} {w} → {to}"))
                .collect();
            format!("one operation per route: {}", each.join(", "))
        };
        for s in &components[t].workload {
            let _ = writeln!(text, "# starting value: {}", comment(&s.why));
            let _ = writeln!(text, "{} = {}", s.key, value(&s.value));
            asks.push(format!(
                "workload {name}: {} = {}: {}",
                s.key,
                value(&s.value),
                one_line(&s.why)
            ));
        }
        text.push('\n');
        asks.push(format!(
            "workload {name}: arrival rate (10/s) and mix ({mix})"
        ));
    }

    for g in &groups {
        text.push_str("[[security_group]]\n");
        let _ = writeln!(
            text,
            "id = {}  # {}",
            toml_str(&group_ids[g.name.as_str()]),
            comment(&g.name)
        );
        if g.rules.is_empty() {
            text.push_str(
                "inbound = []  # no inbound rule: every call to its members is dropped\n\n",
            );
            continue;
        }
        text.push_str("inbound = [\n");
        for s in &g.rules {
            let (from, why) = match s {
                Source::Group(n) => (group_ids[n.as_str()].clone(), format!("members of {n}")),
                Source::Anywhere => ("0.0.0.0/0".to_string(), "every caller".to_string()),
                Source::Range(r) => (
                    "0.0.0.0/0".to_string(),
                    format!("{r}, read as every caller (a choice: archsim gives components no addresses)"),
                ),
            };
            let _ = writeln!(
                text,
                "  {{ from = {} }},  # {}",
                toml_str(&from),
                comment(&why)
            );
        }
        text.push_str("]\n\n");
    }

    text.push_str(&roles.text);

    for (ci, c) in components.iter().enumerate().filter(|(_, c)| c.kept) {
        let d = &resources[c.index];
        text.push_str("[[component]]\n");
        let _ = writeln!(text, "id = {}", toml_str(&c.id));
        let carried = if c.companion {
            "carried by each instance of "
        } else {
            ""
        };
        let _ = writeln!(
            text,
            "kind = {}  # {carried}{} {}",
            toml_str(c.kind.info.name),
            comment(&d.kind),
            comment(&d.name)
        );
        let own_role = roles.assumed.get(&d.name).filter(|_| !c.companion);
        if let Some(role) = own_role {
            let _ = writeln!(
                text,
                "role = {}  # its calls are checked against this role's policies",
                toml_str(role)
            );
        }
        if let Some(list) = membership.get(&ci) {
            let ids: Vec<String> = list
                .iter()
                .map(|n| toml_str(&group_ids[n.as_str()]))
                .collect();
            let _ = writeln!(
                text,
                "security_groups = [{}]  # the groups its properties list",
                ids.join(", ")
            );
        }
        for (key, id, why) in &c.links {
            let _ = writeln!(text, "{key} = {}  # {}", toml_str(id), comment(why));
        }
        for s in &c.keys {
            let filled = fill(&s.value, &ids);
            let s = &Setting {
                value: filled,
                ..s.clone()
            };
            if s.ask {
                let _ = writeln!(text, "# starting value: {}", comment(&s.why));
                let written = table_lines(&s.value).unwrap_or_else(|| value(&s.value));
                let _ = writeln!(text, "{} = {written}", s.key);
                let shown = if s.value.is_array() {
                    "(the list written above)".to_string()
                } else {
                    value(&s.value)
                };
                asks.push(format!(
                    "{}.{} = {shown}: {}",
                    c.id,
                    s.key,
                    one_line(&s.why)
                ));
            } else if let Some(lines) = table_lines(&s.value) {
                let _ = writeln!(text, "# {}", comment(&s.why));
                let _ = writeln!(text, "{} = {lines}", s.key);
            } else {
                let _ = writeln!(
                    text,
                    "{} = {}  # {}",
                    s.key,
                    value(&s.value),
                    comment(&s.why)
                );
            }
        }
        let told = told_writes.get(&ci).map_or(&[][..], Vec::as_slice);
        write_edges(&mut text, c, &components, &ids, told, &mut notes);
        text.push('\n');
    }

    if !unmapped.is_empty() {
        text.push_str("# Not simulated (no kind of archsim maps their types):\n");
        for u in &unmapped {
            let _ = writeln!(text, "#   {}", comment(u));
        }
        text.push('\n');
    }
    if !notes.is_empty() {
        text.push_str("# Notes on the import:\n");
        for n in &notes {
            let _ = writeln!(text, "#   {}", comment(n));
        }
        text.push('\n');
    }
    text.push_str("# Starting values to set from what you measure:\n");
    for a in &asks {
        let _ = writeln!(text, "#   {}", comment(a));
    }
    Ok(Imported {
        scenario: text,
        format,
        asks,
        unmapped,
        notes,
        components: components.iter().filter(|c| c.kept).count(),
        refusals: Vec::new(),
    })
}

/// Whether `to` can be reached from `from` along `ties` (or is `from`).
fn reaches(ties: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; ties.len()];
    let mut stack = vec![from];
    while let Some(at) = stack.pop() {
        if at == to {
            return true;
        }
        if std::mem::replace(&mut seen[at], true) {
            continue;
        }
        stack.extend(ties[at].iter().copied());
    }
    false
}

/// A route of an API the import writes: the operation its requests carry.
struct Routed {
    /// Its edge, an index in the component's `edges`.
    edge: usize,
    /// The component its integration calls.
    target: usize,
    /// Its method, upper case.
    method: String,
    /// The operation its requests carry.
    op: String,
}

/// The routes of component `c` (a kind of `Downstream::Routes`) the template states, each
/// with its operation; empty unless one of them integrates another component than its main
/// call (then its routes need operations of their own, and its workload all of them). A GET
/// carries "read" and a POST, PUT, PATCH or DELETE "write" when it is the only route of its
/// kind; any other route an operation named after its method and path ("post /orders").
fn route_plan(c: &Component, all: &[Component]) -> Vec<Routed> {
    if !matches!(c.kind.imports.downstream, Downstream::Routes { .. }) {
        return Vec::new();
    }
    let kept: Vec<(usize, usize, &Edge)> = c
        .edges
        .iter()
        .enumerate()
        .filter(|(_, (t, _))| all[*t].kept)
        .map(|(i, (t, e))| (i, *t, e))
        .collect();
    let Some(&(_, main, _)) = kept.first() else {
        return Vec::new();
    };
    let mut routes: Vec<(usize, usize, &Route)> = Vec::new();
    for (i, t, e) in &kept {
        if let Some(r) = &e.route {
            if !routes.iter().any(|(_, _, x)| *x == r) {
                routes.push((*i, *t, r));
            }
        }
    }
    if !routes.iter().any(|(_, t, _)| *t != main) {
        return Vec::new();
    }
    let reads = routes.iter().filter(|(_, _, r)| r.method == "GET").count();
    let writes = routes
        .iter()
        .filter(|(_, _, r)| write_method(&r.method))
        .count();
    routes
        .into_iter()
        .map(|(edge, target, r)| {
            let op = if r.method == "GET" && reads == 1 {
                "read".to_string()
            } else if write_method(&r.method) && writes == 1 {
                "write".to_string()
            } else {
                format!("{} {}", r.method.to_ascii_lowercase(), r.path)
            };
            Routed {
                edge,
                target,
                method: r.method.clone(),
                op,
            }
        })
        .collect()
}

/// A route's write named after its method and path ("post /orders") reaches what its
/// integration calls, and on, under that name: each component there that takes writes by name
/// (`Kind::WRITE_OPS`: a table, a cache, a bucket, a database) is given its list of writes
/// with them beside its default ones, so that they are charged and counted as writes, not
/// reads.
/// Returns the components told, by the API whose routes they are.
fn tell_named_writes(
    components: &mut [Component],
    targets: &[usize],
) -> BTreeMap<usize, Vec<usize>> {
    let mut named: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut told: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &api in targets {
        for r in route_plan(&components[api], components) {
            if !(r.op.contains(' ') && write_method(&r.method)) {
                continue;
            }
            // Every kept component the route's requests reach, through any number of calls.
            let mut seen = vec![r.target];
            let mut next = 0;
            while let Some(&c) = seen.get(next) {
                next += 1;
                for (t, _) in &components[c].edges {
                    if components[*t].kept && !components[*t].attached && !seen.contains(t) {
                        seen.push(*t);
                    }
                }
            }
            for c in seen {
                if components[c].kind.write_ops.is_none() {
                    continue;
                }
                let ops = named.entry(c).or_default();
                if !ops.contains(&r.op) {
                    ops.push(r.op.clone());
                }
                let apis = told.entry(api).or_default();
                if !apis.contains(&c) {
                    apis.push(c);
                }
            }
        }
    }
    for (c, ops) in named {
        let Some(w) = components[c].kind.write_ops else {
            continue;
        };
        let list: Vec<toml::Value> = w
            .default
            .iter()
            .map(|w| toml::Value::String((*w).to_string()))
            .chain(ops.iter().map(|o| toml::Value::String(o.clone())))
            .collect();
        merge(
            &mut components[c].keys,
            Setting {
                key: w.key,
                value: toml::Value::Array(list),
                why: format!(
                    "the default writes, and the routes' {} that reach it",
                    ops.join(", ")
                ),
                ask: false,
                add: false,
            },
        );
    }
    told
}

/// Whether an HTTP method changes what it names (a write), as opposed to reading it.
fn write_method(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// Whether an HTTP method only reads what it names.
fn read_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// The methods of the routes the template states for component `c` (an API's events,
/// methods and routes whose target is kept), each once, upper case.
fn stated_methods<'a>(c: &'a Component, all: &[Component]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for (t, e) in &c.edges {
        if let Some(r) = e.route.as_ref().filter(|_| all[*t].kept) {
            if !out.contains(&r.method.as_str()) {
                out.push(&r.method);
            }
        }
    }
    out
}

/// Writes a component's edges as its kind names what it calls.
/// `told`: the components behind it given its routes' writes (`tell_named_writes`).
fn write_edges(
    text: &mut String,
    c: &Component,
    all: &[Component],
    ids: &BTreeMap<String, String>,
    told: &[usize],
    notes: &mut Vec<String>,
) {
    let edges: Vec<&(usize, Edge)> = c.edges.iter().filter(|(t, _)| all[*t].kept).collect();
    if edges.is_empty() {
        return;
    }
    let extra_one = |notes: &mut Vec<String>, key: &str| {
        for (t, e) in edges.iter().skip(1) {
            notes.push(format!(
                "{} has one `{key}`: {} ({}) is not written; split it if both matter",
                c.id, all[*t].id, e.why
            ));
        }
    };
    match c.kind.imports.downstream {
        Downstream::None => {
            for (t, e) in &edges {
                notes.push(format!(
                    "{} → {} ({}): archsim's {} sends no requests on, so no call is written",
                    c.id, all[*t].id, e.why, c.kind.info.title
                ));
            }
        }
        Downstream::Calls => {
            text.push_str("calls = [\n");
            for (t, e) in &edges {
                let _ = writeln!(
                    text,
                    "  {{ to = {} }},  # {}",
                    toml_str(&all[*t].id),
                    comment(&e.why)
                );
            }
            text.push_str("]\n");
        }
        Downstream::Routes { key, routes } => {
            let (main, e) = edges[0];
            let _ = writeln!(
                text,
                "{key} = {}  # {}",
                toml_str(&all[*main].id),
                comment(&e.why)
            );
            let plan = route_plan(c, all);
            let own: Vec<&Routed> = plan.iter().filter(|r| r.target != *main).collect();
            if !own.is_empty() {
                let _ = writeln!(text, "{routes} = [");
                for r in &own {
                    let e = &c.edges[r.edge].1;
                    let path = e.route.as_ref().map_or("", |x| x.path.as_str());
                    let _ = writeln!(
                        text,
                        "  {{ op = {}, target = {} }},  # {} {}: {}",
                        toml_str(&r.op),
                        toml_str(&all[r.target].id),
                        comment(&r.method),
                        comment(path),
                        comment(&e.why)
                    );
                }
                text.push_str("]\n");
            }
            let named: Vec<&str> = plan
                .iter()
                .filter(|r| r.op.contains(' ') && !matches!(r.method.as_str(), "GET" | "HEAD"))
                .map(|r| r.op.as_str())
                .collect();
            if !named.is_empty() {
                let behind: Vec<String> = told
                    .iter()
                    .filter_map(|&t| {
                        let key = all[t].kind.write_ops?.key;
                        Some(format!("the `{key}` of {}", all[t].id))
                    })
                    .collect();
                let listed = if behind.is_empty() {
                    "a table, cache, bucket or database takes an operation as a write only when its list of writes names it".to_string()
                } else {
                    format!(
                        "{} list them, so that they are charged as writes",
                        behind.join(", ")
                    )
                };
                notes.push(format!(
                    "{}'s routes carry operations named after their method and path ({}): {listed}",
                    c.id,
                    named.join(", ")
                ));
            }
            let mut told: Vec<usize> = Vec::new();
            for (t, e) in edges.iter().skip(1) {
                let routed = *t == *main || plan.iter().any(|r| r.target == *t);
                if routed || told.contains(t) {
                    continue;
                }
                told.push(*t);
                notes.push(format!(
                    "{} has one `{key}`: {} ({}) is not written; split it if both matter",
                    c.id, all[*t].id, e.why
                ));
            }
        }
        Downstream::One { key, .. } => {
            let (t, e) = edges[0];
            let _ = writeln!(
                text,
                "{key} = {}  # {}",
                toml_str(&all[*t].id),
                comment(&e.why)
            );
            extra_one(notes, key);
        }
        Downstream::Many(key) => {
            if edges.len() == 1 {
                let (t, e) = edges[0];
                let _ = writeln!(
                    text,
                    "{key} = {}  # {}",
                    toml_str(&all[*t].id),
                    comment(&e.why)
                );
            } else {
                let _ = writeln!(text, "{key} = [");
                for (t, e) in &edges {
                    let _ = writeln!(text, "  {},  # {}", toml_str(&all[*t].id), comment(&e.why));
                }
                text.push_str("]\n");
            }
        }
        Downstream::Tables(key) => {
            let _ = writeln!(text, "{key} = [");
            for (t, e) in &edges {
                let _ = writeln!(
                    text,
                    "  {},  # {}",
                    value(&edge_table("to", &all[*t].id, e, ids, notes)),
                    comment(&e.why)
                );
            }
            text.push_str("]\n");
        }
        Downstream::Table { key, to } => {
            let (t, e) = edges[0];
            let _ = writeln!(
                text,
                "{key} = {}  # {}",
                value(&edge_table(to, &all[*t].id, e, ids, notes)),
                comment(&e.why)
            );
            extra_one(notes, key);
        }
    }
}

/// An edge as a table: `to` and the edge's own keys (one naming a resource that is not
/// simulated is left out, said in a note).
fn edge_table(
    key: &str,
    to: &str,
    e: &Edge,
    ids: &BTreeMap<String, String>,
    notes: &mut Vec<String>,
) -> toml::Value {
    let mut table = toml::Table::new();
    table.insert(key.into(), toml::Value::String(to.to_string()));
    for (k, v) in &e.with {
        let mut names = Vec::new();
        marked(v, &mut names);
        if let Some(n) = names.iter().find(|n| !ids.contains_key(n.as_str())) {
            notes.push(format!(
                "{to}'s `{k}` names {n}, which is not simulated: left out"
            ));
            continue;
        }
        table.insert((*k).into(), fill(v, ids));
    }
    toml::Value::Table(table)
}

/// The resource names marked in a value (`iac::component`), in the order written.
fn marked(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::String(s) => {
            if let Some(n) = s.strip_prefix(COMPONENT_MARK) {
                if !out.iter().any(|x| x == n) {
                    out.push(n.to_string());
                }
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|x| marked(x, out)),
        toml::Value::Table(t) => t.values().for_each(|x| marked(x, out)),
        _ => {}
    }
}

/// A value with each marked resource name replaced by its component's id (a name without one
/// is left as the bare name: its component was dropped and said so).
fn fill(v: &toml::Value, ids: &BTreeMap<String, String>) -> toml::Value {
    match v {
        toml::Value::String(s) => match s.strip_prefix(COMPONENT_MARK) {
            Some(n) => toml::Value::String(ids.get(n).cloned().unwrap_or_else(|| n.to_string())),
            None => v.clone(),
        },
        toml::Value::Array(a) => toml::Value::Array(a.iter().map(|x| fill(x, ids)).collect()),
        toml::Value::Table(t) => {
            toml::Value::Table(t.iter().map(|(k, x)| (k.clone(), fill(x, ids))).collect())
        }
        _ => v.clone(),
    }
}

/// Adds a setting to a component's keys: an addition sums, anything else replaces.
fn merge(keys: &mut Vec<Setting>, s: Setting) {
    if s.add {
        if let Some(k) = keys.iter_mut().find(|k| k.key == s.key) {
            if let (toml::Value::Integer(a), toml::Value::Integer(b)) = (&k.value, &s.value) {
                k.value = toml::Value::Integer(a + b);
                k.why = format!("{}; {}", k.why, s.why);
                return;
            }
        }
        keys.push(s);
        return;
    }
    keys.retain(|k| k.key != s.key);
    keys.push(s);
}

/// The ids given so far, so that each new one differs from them all: a set, and for each
/// name the next number to try, so that many names made alike (`a.b`, `a/b`, `a:b`: `a-b`)
/// take time in proportion to them, not to the cube of their number.
#[derive(Default)]
pub(super) struct Taken {
    ids: std::collections::BTreeSet<String>,
    next: BTreeMap<String, usize>,
}

impl Taken {
    /// `name` made an id: letters, digits, '-' and '_' (others become '-'), at most
    /// `MAX_NAME_LEN` characters, different from every id given before (a number added,
    /// `-2`, `-3`, …), and taken.
    pub(super) fn fresh(&mut self, name: &str) -> String {
        let mut base: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .take(MAX_NAME_LEN - 4)
            .collect();
        if base.trim_matches('-').is_empty() {
            base = "resource".into();
        }
        let mut id = base.clone();
        if self.ids.contains(&id) {
            let n = self.next.entry(base.clone()).or_insert(2);
            loop {
                // The base cut for the number to fit (it is ASCII): the 1,000th name alike
                // would otherwise be 65 characters.
                let number = format!("-{n}");
                let keep = base.len().min(MAX_NAME_LEN - number.len());
                id = format!("{}{number}", &base[..keep]);
                *n += 1;
                if !self.ids.contains(&id) {
                    break;
                }
            }
        }
        self.ids.insert(id.clone());
        id
    }
}

/// A scenario's name from a file stem: letters, digits, '-', '_' and '.'.
fn scenario_name(stem: &str) -> String {
    let s: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(MAX_NAME_LEN)
        .collect();
    if s.trim_matches(['-', '.']).is_empty() {
        "imported".into()
    } else {
        s
    }
}

/// A string as TOML writes it, quoted and escaped by `toml`'s serializer.
pub(super) fn toml_str(s: &str) -> String {
    value(&toml::Value::String(s.to_string()))
}

/// A list of tables written one table a line (a state machine's states), or `None` for any
/// other value.
fn table_lines(v: &toml::Value) -> Option<String> {
    let toml::Value::Array(list) = v else {
        return None;
    };
    if list.is_empty() || !list.iter().all(toml::Value::is_table) {
        return None;
    }
    let mut out = String::from("[\n");
    for t in list {
        let _ = writeln!(out, "  {},", value(t));
    }
    out.push(']');
    Some(out)
}

/// A value as TOML writes it (inline).
fn value(v: &toml::Value) -> String {
    v.to_string()
}

/// Text made one printable line.
fn one_line(s: &str) -> String {
    crate::text::one_line(s).into_owned()
}

/// Text from the template made safe inside a `#` comment: one printable line.
pub(super) fn comment(s: &str) -> String {
    one_line(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numbered_id_is_no_longer_than_any_other() {
        let mut taken = Taken::default();
        let long = "R".repeat(200);
        let ids: Vec<String> = (0..10_001).map(|_| taken.fresh(&long)).collect();
        assert!(ids.iter().all(|id| id.len() <= MAX_NAME_LEN));
        assert_eq!(ids[998], format!("{}-999", "R".repeat(MAX_NAME_LEN - 4)));
        assert_eq!(
            ids[9_999],
            format!("{}-10000", "R".repeat(MAX_NAME_LEN - 6))
        );
        let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }

    #[test]
    fn names_become_ids() {
        let mut taken = Taken::default();
        assert_eq!(
            taken.fresh("module.a.aws_sqs_queue.q[0]"),
            "module-a-aws_sqs_queue-q-0-"
        );
        assert_eq!(taken.fresh("Fn"), "Fn");
        assert_eq!(taken.fresh("Fn"), "Fn-2");
        // An id written as another's numbered one is skipped.
        assert_eq!(taken.fresh("a-2"), "a-2");
        assert_eq!(taken.fresh("a"), "a");
        assert_eq!(taken.fresh("a"), "a-3");
        assert_eq!(taken.fresh("a"), "a-4");
        assert_eq!(taken.fresh("\u{202e}"), "resource");
        // A string from the template reads back as itself, whatever it holds.
        let tricky = "a\"b\n[[component]]\n'''\"\"\"";
        let back: toml::Table = format!("x = {}", toml_str(tricky)).parse().unwrap();
        assert_eq!(back["x"].as_str(), Some(tricky));
    }
}
