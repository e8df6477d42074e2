//! The scenario read as a diagram: nodes (workloads, components, their standbys and
//! replicas), where each sits (outside the cloud, regional, in a zone, across zones), and the
//! calls between them merged into one edge per pair with one label.

use super::words;
use crate::components::kind::{Category, SatelliteZone};
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// Where a node sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A workload: outside the cloud, on the left.
    Client,
    /// In the region, outside every zone.
    Regional,
    /// In one zone (an index into `Model::zones`).
    Zone(usize),
    /// Across the zones `first..=last` (indices into `Model::zones`).
    Span(usize, usize),
}

/// The mark drawn on a node: its service category, or a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Client,
    Kind(Category),
}

#[derive(Clone, Debug)]
pub struct Node {
    /// Unique among the nodes: the component's id, "workload:NAME", "ID/standby-1".
    pub key: String,
    /// The bold first line.
    pub title: String,
    /// The kind in words: "Amazon RDS", "workload".
    pub kind: String,
    pub mark: Mark,
    /// Detail lines, rounded.
    pub lines: Vec<String>,
    pub place: Place,
    /// Column along the call graph: 0 for workloads.
    pub layer: usize,
    /// For a standby or replica: the node it copies and the words of the link.
    pub satellite: Option<(usize, &'static str)>,
    /// For a standby or replica: the instances of its component it stands for
    /// (`Satellite::instances`), whose figures the service map shows.
    pub instances: Vec<usize>,
    /// A satellite drawn beside its node (a replica in its zone) rather than in another
    /// zone's band in the same column.
    pub beside: bool,
    /// For the second standby in other zones on: a column of its own to the right, so that
    /// the line to it crosses no other standby.
    pub apart: usize,
    /// The region box it is drawn in (an index into `Model::regions`); `None` for a
    /// workload, a global service, or any node when regions are not drawn.
    pub region: Option<usize>,
    /// For a component that is a part of another (an EBS volume of its host): that node
    /// and the words of the line joining them (`DiagramSpec::part_of`). Drawn beside it
    /// like a replica in its zone, but as a box of its own.
    pub part_of: Option<(usize, &'static str)>,
}

impl Node {
    /// The node it is drawn beside and joined to, and the words of the line: a standby's
    /// or replica's, or a part's.
    pub fn tie(&self) -> Option<(usize, &'static str)> {
        self.satellite.or(self.part_of)
    }

    /// Whether it stands in the column right beside its node's (a replica in its zone, a
    /// part) rather than in another zone's band.
    pub fn beside(&self) -> bool {
        self.beside || self.part_of.is_some()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// Calls merged into it.
    pub count: usize,
    /// Its words ("×3, timeout 350 s"), or the group's shared words.
    pub label: String,
    /// Edges with the same group carry one label between them: a fan-out or fan-in whose
    /// calls say the same.
    pub group: usize,
    /// Every call merged into it is asynchronous (`mode = "async"`): drawn dashed.
    pub asynchronous: bool,
}

#[derive(Debug)]
pub struct Model {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Zone names, in order: a region's zones together, in the order of `regions`.
    pub zones: Vec<String>,
    /// The regions drawn as boxes of their own, in the order the scenario first names them:
    /// every region, when there is more than one or a global service stands outside them;
    /// none otherwise (one region, the AWS Cloud box alone).
    pub regions: Vec<String>,
    /// Each zone's region (an index into `regions`), when regions are drawn.
    pub zone_region: Vec<usize>,
}

/// Where a node sits, by zone name, before zones are numbered.
#[derive(Clone)]
enum Named {
    Client,
    Regional,
    Zones(Vec<String>),
}

impl Model {
    pub fn of(sc: &Scenario) -> Model {
        let c = sc.components.len();
        // Components' places: a zone, several (a group, or a load balancer over its targets'
        // zones), or none.
        let mut named: Vec<Named> = sc
            .components
            .iter()
            .map(|d| {
                let mut z: Vec<String> = d.az.iter().cloned().collect();
                if d.spec.spans_zones() {
                    z.extend(d.spec.zones().into_iter().map(String::from));
                }
                z.sort();
                z.dedup();
                if z.is_empty() {
                    Named::Regional
                } else {
                    Named::Zones(z)
                }
            })
            .collect();
        // A load balancer with no zone of its own has nodes in its targets' zones; a global
        // service (Route 53) has none, whatever it routes to.
        for _ in 0..2 {
            for (i, d) in sc.components.iter().enumerate() {
                if !(d.spec.routes_to_one() && d.az.is_none()) || d.spec.global() {
                    continue;
                }
                let mut z: Vec<String> = Vec::new();
                for call in d.spec.calls() {
                    if let Named::Zones(t) = &named[call.to] {
                        z.extend(t.iter().cloned());
                    }
                }
                z.sort();
                z.dedup();
                if !z.is_empty() {
                    named[i] = Named::Zones(z);
                }
            }
        }
        // A part is where its host is, in the host's column.
        let mut layers = layers(sc);
        for (i, d) in sc.components.iter().enumerate() {
            if let Some((host, _)) = d.spec.diagram().part_of {
                named[i] = named[host].clone();
                layers[i] = layers[host];
            }
        }
        // Regions drawn: each component's, global services in none of them.
        let mut regions: Vec<String> = Vec::new();
        for d in sc.components.iter().filter(|d| !d.spec.global()) {
            if !regions.contains(&d.region) {
                regions.push(d.region.clone());
            }
        }
        let global = sc.components.iter().any(|d| d.spec.global());
        if regions.len() < 2 && !global {
            regions.clear();
        }
        let region_of = |i: usize| {
            let d = &sc.components[i];
            if d.spec.global() {
                None
            } else {
                regions.iter().position(|r| *r == d.region)
            }
        };
        let mut nodes_named: Vec<(Node, Named)> = Vec::new();
        for (i, d) in sc.components.iter().enumerate() {
            let info = d.spec.info();
            let spec = d.spec.diagram();
            let place = std::mem::replace(&mut named[i], Named::Regional);
            nodes_named.push((
                Node {
                    key: d.id.clone(),
                    title: d.id.clone(),
                    kind: info.title.to_string(),
                    mark: Mark::Kind(info.category),
                    lines: spec.lines.iter().map(|l| words::round_line(l)).collect(),
                    place: Place::Regional,
                    layer: layers[i],
                    satellite: None,
                    instances: Vec::new(),
                    beside: false,
                    apart: 0,
                    region: region_of(i),
                    part_of: spec.part_of,
                },
                place,
            ));
        }
        for w in &sc.workloads {
            let lines = vec![
                format!("peak {} req/s", words::rounded_rate(w.peak_rate())),
                w.timeout.map_or("no timeout".into(), |t| {
                    format!("timeout {}", words::duration(t.as_secs_f64()))
                }),
            ];
            nodes_named.push((
                Node {
                    key: format!("workload:{}", w.name),
                    title: w.name.clone(),
                    kind: "workload".into(),
                    mark: Mark::Client,
                    lines,
                    place: Place::Client,
                    layer: 0,
                    satellite: None,
                    instances: Vec::new(),
                    beside: false,
                    apart: 0,
                    region: None,
                    part_of: None,
                },
                Named::Client,
            ));
        }
        // Every zone named so far; a standby "in another zone" takes the next one there is,
        // or a new one named after the last letter used.
        let mut zones: Vec<String> = nodes_named
            .iter()
            .flat_map(|(_, p)| match p {
                Named::Zones(z) => z.clone(),
                _ => Vec::new(),
            })
            .collect();
        zones.sort();
        zones.dedup();
        for (i, d) in sc.components.iter().enumerate() {
            let own: Option<String> = match &nodes_named[i].1 {
                Named::Zones(z) if z.len() == 1 => Some(z[0].clone()),
                _ => None,
            };
            for (k, s) in d.spec.diagram().satellites.into_iter().enumerate() {
                let apart = match s.zone {
                    SatelliteZone::Other(n) => n,
                    SatelliteZone::Named(_) | SatelliteZone::Unplaced => 0,
                };
                let (place, beside) = match (&s.zone, &own) {
                    (SatelliteZone::Other(n), Some(own)) => {
                        let others: Vec<&String> = zones.iter().filter(|z| *z != own).collect();
                        let z = match others.get(*n) {
                            Some(z) => (*z).clone(),
                            None => {
                                let z = new_zone(&zones);
                                zones.push(z.clone());
                                zones.sort();
                                z
                            }
                        };
                        (Named::Zones(vec![z]), false)
                    }
                    // In no zone, as the simulation has it: no outage reaches it.
                    (SatelliteZone::Other(_), None) | (SatelliteZone::Unplaced, _) => {
                        (Named::Regional, false)
                    }
                    (SatelliteZone::Named(z), own) => {
                        if !zones.contains(z) {
                            zones.push(z.clone());
                            zones.sort();
                        }
                        (Named::Zones(vec![z.clone()]), own.as_ref() == Some(z))
                    }
                };
                nodes_named.push((
                    Node {
                        key: format!("{}/{}-{}", d.id, s.name.replace(' ', "-"), k + 1),
                        title: s.name,
                        kind: d.spec.info().title.to_string(),
                        mark: Mark::Kind(d.spec.info().category),
                        lines: Vec::new(),
                        place: Place::Regional,
                        layer: layers[i],
                        satellite: Some((i, s.link)),
                        instances: s.instances,
                        beside,
                        apart,
                        region: region_of(i),
                        part_of: None,
                    },
                    place,
                ));
            }
        }
        // Each zone in the region of the nodes in it (a zone belongs to one region, as the
        // scenario checks); a region's zones together, in the order of the regions.
        let mut zone_region = vec![0usize; zones.len()];
        for (n, p) in &nodes_named {
            if let (Named::Zones(z), Some(r)) = (p, n.region) {
                for name in z {
                    if let Some(k) = zones.iter().position(|x| x == name) {
                        zone_region[k] = r;
                    }
                }
            }
        }
        let mut by_region: Vec<(usize, String)> = zone_region.into_iter().zip(zones).collect();
        by_region.sort();
        let (zone_region, zones): (Vec<usize>, Vec<String>) = if regions.is_empty() {
            (Vec::new(), by_region.into_iter().map(|(_, z)| z).collect())
        } else {
            by_region.into_iter().unzip()
        };
        let nodes: Vec<Node> = nodes_named
            .into_iter()
            .map(|(mut n, p)| {
                let at = |z: &String| zones.iter().position(|x| x == z).unwrap_or(0);
                n.place = match p {
                    Named::Client => Place::Client,
                    Named::Regional => Place::Regional,
                    Named::Zones(z) if z.len() == 1 => Place::Zone(at(&z[0])),
                    Named::Zones(z) => {
                        let idx: Vec<usize> = z.iter().map(at).collect();
                        Place::Span(
                            idx.iter().copied().min().unwrap_or(0),
                            idx.iter().copied().max().unwrap_or(0),
                        )
                    }
                };
                n
            })
            .collect();
        let edges = merged_edges(sc, c);
        Model {
            nodes,
            edges,
            zones,
            regions,
            zone_region,
        }
    }

    /// The nodes whose place passes `pred`, in order.
    pub fn indices(&self, pred: impl Fn(&Place) -> bool) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| pred(&self.nodes[i].place))
            .collect()
    }
}

/// A zone name not yet used: the first letter after those used, else "another zone".
fn new_zone(zones: &[String]) -> String {
    ('a'..='z')
        .map(String::from)
        .find(|z| !zones.contains(z))
        .unwrap_or_else(|| format!("other {}", zones.len() + 1))
}

/// Column of each component: one past the deepest caller, entry components in column 1.
fn layers(sc: &Scenario) -> Vec<usize> {
    let n = sc.components.len();
    let mut col = vec![1usize; n];
    // The call graph is acyclic (validated), so n passes settle every longest path.
    for _ in 0..n {
        let mut changed = false;
        for (i, c) in sc.components.iter().enumerate() {
            // A component's KMS component (`kms`) sits after it, like a callee.
            let kms = c.spec.kms().map(|l| l.to);
            for to in c.spec.calls().iter().map(|c| c.to).chain(kms) {
                if col[to] < col[i] + 1 {
                    col[to] = col[i] + 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    col
}

/// The words of one call: whether it is asynchronous, its probability and timeout.
fn call_words(
    asynchronous: bool,
    probability: f64,
    timeout: Option<crate::kernel::SimTime>,
) -> String {
    let mut w = Vec::new();
    if asynchronous {
        w.push("async".to_string());
    }
    if probability < 1.0 {
        w.push(format!("p={}", words::figures(probability)));
    }
    if let Some(t) = timeout {
        w.push(format!("timeout {}", words::duration(t.as_secs_f64())));
    }
    w.join(", ")
}

/// Calls merged into edges: one per (caller, callee), counting the calls ("×3, timeout
/// 350 s"); a caller's edges that say the same share one label ("timeout 350 s each"), and
/// so do a callee's.
fn merged_edges(sc: &Scenario, c: usize) -> Vec<Edge> {
    // Each pair's calls: their words, and whether each is asynchronous.
    let mut pairs: BTreeMap<(usize, usize), Vec<(String, bool)>> = BTreeMap::new();
    for (wi, w) in sc.workloads.iter().enumerate() {
        pairs
            .entry((c + wi, w.target))
            .or_default()
            .push((String::new(), false));
    }
    for (i, d) in sc.components.iter().enumerate() {
        for call in d.spec.calls() {
            let asynchronous = call.asynchronous.is_some();
            pairs.entry((i, call.to)).or_default().push((
                call_words(asynchronous, call.probability, call.timeout),
                asynchronous,
            ));
        }
        // The calls it makes to its KMS component for keys, drawn as any call.
        if let Some(link) = d.spec.kms() {
            pairs
                .entry((i, link.to))
                .or_default()
                .push(("keys".to_string(), false));
        }
    }
    let mut edges: Vec<Edge> = pairs
        .into_iter()
        .enumerate()
        .map(|(g, ((from, to), calls))| {
            let asynchronous = calls.iter().all(|(_, a)| *a);
            let labels: Vec<String> = calls.into_iter().map(|(l, _)| l).collect();
            let count = labels.len();
            let mut distinct = labels.clone();
            distinct.dedup();
            let said = distinct
                .iter()
                .filter(|l| !l.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            let label = match (count, said.is_empty()) {
                (1, _) => said,
                (n, true) => format!("×{n}"),
                (n, false) => format!("×{n}, {said}"),
            };
            Edge {
                from,
                to,
                count,
                label,
                group: g,
                asynchronous,
            }
        })
        .collect();
    // Shared labels: first a caller's fan-out, then a callee's fan-in among the rest.
    let mut grouped = vec![false; edges.len()];
    for by_from in [true, false] {
        let mut groups: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
        for (k, e) in edges.iter().enumerate() {
            if !grouped[k] && !e.label.is_empty() && e.count == 1 {
                let end = if by_from { e.from } else { e.to };
                groups.entry((end, e.label.clone())).or_default().push(k);
            }
        }
        for members in groups.into_values().filter(|m| m.len() > 1) {
            let g = edges[members[0]].group;
            for &k in &members {
                grouped[k] = true;
                edges[k].group = g;
                edges[k].label = format!("{} each", edges[k].label);
            }
        }
    }
    edges
}
