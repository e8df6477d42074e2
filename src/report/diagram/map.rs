//! The service map: the architecture diagram's nodes and places, each node carrying what it
//! served (request rate, error share, p99 latency) and each call edge what went along it
//! (call rate, mean and p99 latency), so that a student finds the figures where the diagram
//! taught them the architecture.

use super::model::{Model, Place};
use super::{draw, layout};
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// What a node served over the measured time.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeFigures {
    /// Requests answered per second, over all seeds' measured time.
    pub rate: f64,
    /// Share of requests answered with an error (status 400 and above) [0–1].
    pub error_share: f64,
    /// 99th percentile of the time to answer [ms]; `None` when nothing was answered.
    pub p99_ms: Option<f64>,
    /// Whether `p99_ms` is of the successful answers alone (a component's own
    /// `response_ms`), which its label then says, rather than of every answer.
    pub p99_of_ok: bool,
    /// It answered nothing, and every call into it ended in its caller's timeout: it has
    /// no latency to show (`p99_ms` is `None`), and its box says its callers had no reply.
    pub no_reply: bool,
    /// The p99 of its processing lag, where its kind keeps one and it processed something
    /// (`service_map::lag_p99`): a queue's, a function's asynchronous events'.
    pub lag: Option<Lag>,
    /// The share of a cache's requests that went around it while their node was down
    /// (`service_map::bypassed_share`), when some did.
    pub bypassed: Option<f64>,
    /// A DNS name's lookups per second (Route 53): the clients ask it where to go, then send
    /// their requests there; the map draws it beside the request path, not in it.
    pub lookups: Option<f64>,
    /// A volume's I/Os per second and the p99 of their wait [ms] (EBS): it serves its
    /// host's I/O, not requests, and the map shows that.
    pub ios: Option<(f64, Option<f64>)>,
}

/// A processing lag's p99 and its words ("lag", "async lag", "stream lag").
#[derive(Clone, Debug, PartialEq)]
pub struct Lag {
    pub words: String,
    pub p99_ms: f64,
}

/// The calls along one edge, as its caller saw them end.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeFigures {
    /// Calls per second, over all seeds' measured time.
    pub rate: f64,
    /// Share of calls not answered with a success (an error status or the timeout) [0–1].
    pub error_share: f64,
    /// Of all calls, the share ended by the caller's timeout [0–1]: each of them counts the
    /// whole timeout in the latencies, so a share above 1 % makes the p99 the timeout.
    pub timeout_share: f64,
    pub mean_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// The figures a map is drawn with: nodes by actor name, edges by (caller, callee) name.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub nodes: BTreeMap<String, NodeFigures>,
    pub edges: BTreeMap<(String, String), EdgeFigures>,
    /// Per component with several instances that serve reads (RDS with readers): the reads
    /// each instance served per second, by its number, for the boxes of its replicas.
    pub instance_reads: BTreeMap<String, BTreeMap<usize, f64>>,
}

fn ms(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 10_000.0 => format!("{:.0} s", v / 1000.0),
        Some(v) if v >= 1000.0 => format!("{:.1} s", v / 1000.0),
        Some(v) if v >= 10.0 => format!("{v:.0} ms"),
        Some(v) => format!("{v:.1} ms"),
    }
}

fn share(v: f64) -> String {
    if v == 0.0 {
        "0 %".into()
    } else if v < 0.001 {
        "<0.1 %".into()
    } else {
        format!("{:.1} %", v * 100.0)
    }
}

/// The diagram's model with the figures in place of its words: a node's detail lines become
/// its rate, error share and p99; an edge's label its call rate and latencies; a call with
/// no figures (none ended in the measured time) says so.
fn model(sc: &Scenario, f: &Figures) -> Model {
    let mut m = Model::of(sc);
    // The actor name of each node: a component's id, a workload's name.
    let name = |key: &str| key.strip_prefix("workload:").unwrap_or(key).to_string();
    let keys: Vec<String> = m.nodes.iter().map(|n| name(&n.key)).collect();
    for n in &mut m.nodes {
        if let Some((owner, _)) = n.satellite {
            // A replica's box: the reads its instances served; a standby that only takes
            // over shows nothing.
            let reads = f.instance_reads.get(&keys[owner]).and_then(|each| {
                let mine: Vec<f64> = n
                    .instances
                    .iter()
                    .filter_map(|k| each.get(k).copied())
                    .collect();
                (!mine.is_empty()).then(|| mine.iter().sum::<f64>())
            });
            n.lines = reads
                .map(|r| vec![format!("{} reads/s", super::words::rounded_rate(r))])
                .unwrap_or_default();
            continue;
        }
        n.lines = match f.nodes.get(&name(&n.key)) {
            Some(NodeFigures {
                ios: Some((iops, wait)),
                ..
            }) => vec![
                format!("{} IOPS", super::words::rounded_rate(*iops)),
                format!("I/O wait p99 {}", ms(*wait)),
            ],
            Some(NodeFigures {
                lookups: Some(l), ..
            }) => vec![
                format!("{} lookups/s", super::words::rounded_rate(*l)),
                "answers where to go".into(),
            ],
            Some(x) if x.no_reply => vec![
                format!("{} req/s", super::words::rounded_rate(x.rate)),
                "no reply: timeouts".into(),
            ],
            Some(x) => {
                let mut lines = vec![
                    format!("{} req/s", super::words::rounded_rate(x.rate)),
                    format!("errors {}", share(x.error_share)),
                    match x.p99_of_ok {
                        true => format!("p99 {} (OK)", ms(x.p99_ms)),
                        false => format!("p99 {}", ms(x.p99_ms)),
                    },
                ];
                // What waited behind the answer: a queue or a function answers its callers
                // at once and does the work later, so its p99 says nothing of the lag.
                if let Some(lag) = &x.lag {
                    lines.push(format!("{} p99 {}", lag.words, ms(Some(lag.p99_ms))));
                }
                // A cache whose node was down answered from its backend: no error, slower.
                if let Some(b) = x.bypassed {
                    lines.push(format!("bypassed {} (node down)", share(b)));
                }
                lines
            }
            None => vec!["no requests".into()],
        };
        if n.place == Place::Client {
            n.kind = "client".into();
        }
    }
    // A group of edges the diagram labels once (a fan-out over a balancer's targets) keeps
    // one label: the group's total rate (saying over how many arrows), its mean weighted by
    // calls, its highest p99; each edge's own figures are in `service-map.csv`.
    // A DNS name's records are no fan-out: each is drawn from the callers to its own target
    // (`dns_beside_the_path`), and a failover's two carry very different figures, so each
    // is a group, and a label, of its own.
    let mut fresh = m.edges.iter().map(|e| e.group + 1).max().unwrap_or(0);
    for e in &mut m.edges {
        let dns = f
            .nodes
            .get(&name(&m.nodes[e.from].key))
            .is_some_and(|x| x.lookups.is_some());
        if dns {
            e.group = fresh;
            fresh += 1;
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, e) in m.edges.iter().enumerate() {
        groups.entry(e.group).or_default().push(k);
    }
    // A group is one label only where its arrows carry alike traffic (a balancer's spread,
    // each within twice another's rate): calls that share their words on the diagram but
    // not their load (an API's routes to two functions, one taking a tenth of the other's)
    // get a label each, or the total on one arrow reads as that arrow's.
    let rate_of = |k: usize| {
        let e = &m.edges[k];
        f.edges
            .get(&(name(&m.nodes[e.from].key), name(&m.nodes[e.to].key)))
            .map_or(0.0, |x| x.rate)
    };
    let mut split = Vec::new();
    for members in groups.values_mut() {
        let rates: Vec<f64> = members.iter().map(|&k| rate_of(k)).collect();
        let (lo, hi) = rates.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
        if members.len() > 1 && hi > 2.0 * lo {
            split.extend(members.drain(1..));
        }
    }
    for k in split {
        m.edges[k].group = fresh;
        groups.insert(fresh, vec![k]);
        fresh += 1;
    }
    for members in groups.values() {
        let figures: Vec<&EdgeFigures> = members
            .iter()
            .filter_map(|&k| {
                let e = &m.edges[k];
                f.edges
                    .get(&(name(&m.nodes[e.from].key), name(&m.nodes[e.to].key)))
            })
            .collect();
        let rate: f64 = figures.iter().map(|x| x.rate).sum();
        let label = if figures.is_empty() || rate == 0.0 {
            "no calls\nmeasured".to_string()
        } else {
            let mean = figures
                .iter()
                .filter_map(|x| x.mean_ms.map(|v| v * x.rate))
                .sum::<f64>()
                / rate;
            let p99 = figures
                .iter()
                .filter_map(|x| x.p99_ms)
                .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.max(v))));
            let timed_out = figures
                .iter()
                .map(|x| x.timeout_share * x.rate)
                .sum::<f64>()
                / rate;
            // Rate and latencies, a figure a line as a node's are: the gap the diagram
            // leaves between two columns is as wide as its widest label, so a label on one
            // line stretches a long chain far wider than a page or a slide shows without
            // shrinking its words. The failed share (and each edge of a group) is in the
            // CSV. Calls that timed out are named: each counts its caller's whole timeout,
            // which is what a p99 far above the mean then shows.
            let mut lines = vec![format!("{}/s", super::words::rounded_rate(rate))];
            // A label drawn on one arrow of several says that its rate is theirs together:
            // beside a box's own "26 req/s", a bare "52/s" reads as that arrow's.
            if members.len() > 1 {
                lines.push(format!("over {} arrows", members.len()));
            }
            lines.push(format!("mean {}", ms(Some(mean))));
            lines.push(format!("p99 {}", ms(p99)));
            if timed_out > 0.0 {
                lines.push(format!("{} timed out", share(timed_out)));
            }
            lines.join("\n")
        };
        for &k in members {
            m.edges[k].label = label.clone();
        }
    }
    dns_beside_the_path(&mut m, f);
    m
}

/// A DNS name (Route 53) is no hop: a client looks the name up, then sends its request to the
/// answer (`components::route53`). The call into it becomes a dashed lookup, labelled with
/// the lookups that reached it; each call out of it is drawn from its callers straight to the
/// target, with the requests' figures it carried.
fn dns_beside_the_path(m: &mut Model, f: &Figures) {
    let name = |key: &str| key.strip_prefix("workload:").unwrap_or(key).to_string();
    for r in 0..m.nodes.len() {
        let Some(lookups) = f.nodes.get(&name(&m.nodes[r].key)).and_then(|x| x.lookups) else {
            continue;
        };
        let callers: Vec<usize> = m
            .edges
            .iter()
            .filter(|e| e.to == r)
            .map(|e| e.from)
            .collect();
        for e in m.edges.iter_mut().filter(|e| e.to == r) {
            e.label = format!(
                "looks up\nwhere to go:\n{} lookups/s",
                super::words::rounded_rate(lookups)
            );
            e.asynchronous = true;
        }
        let mut moved = Vec::new();
        for e in m.edges.iter_mut().filter(|e| e.from == r) {
            for (k, &c) in callers.iter().enumerate() {
                if k == 0 {
                    e.from = c;
                } else {
                    moved.push(super::model::Edge {
                        from: c,
                        label: e.label.clone(),
                        ..*e
                    });
                }
            }
        }
        m.edges.extend(moved);
        // It stands in its targets' column, above or below them, so that the requests' arrows
        // pass by it rather than through it; unless that would take its lookup arrow across
        // another node of its area between its callers and them.
        let targets = m
            .edges
            .iter()
            .filter(|e| callers.contains(&e.from) && e.to != r);
        let Some(layer) = targets.map(|e| m.nodes[e.to].layer).min() else {
            continue;
        };
        let from = callers.iter().map(|&c| m.nodes[c].layer).max().unwrap_or(0);
        let (region, place) = (m.nodes[r].region, m.nodes[r].place);
        let crossed = m.nodes.iter().enumerate().any(|(i, n)| {
            i != r && n.region == region && n.place == place && n.layer > from && n.layer < layer
        });
        if !crossed {
            m.nodes[r].layer = layer;
        }
    }
}

/// The service map as a standalone SVG document.
pub fn svg(sc: &Scenario, f: &Figures) -> String {
    let m = model(sc, f);
    let l = layout::layout(&m);
    draw::svg(&draw::primitives(&m, &l), l.width, l.height)
}

/// The service map as a PNG, at twice the SVG's size.
pub fn png(sc: &Scenario, f: &Figures) -> Vec<u8> {
    let m = model(sc, f);
    let l = layout::layout(&m);
    draw::png(&draw::primitives(&m, &l), l.width, l.height, 2.0)
}

/// The calls the map draws, one per (caller, callee) by actor name, in the diagram's order.
pub fn calls(sc: &Scenario) -> Vec<(String, String)> {
    let m = Model::of(sc);
    let name = |key: &str| key.strip_prefix("workload:").unwrap_or(key).to_string();
    m.edges
        .iter()
        .map(|e| (name(&m.nodes[e.from].key), name(&m.nodes[e.to].key)))
        .collect()
}
