//! The architecture diagram, drawn from the scenario itself, as a lecture slide draws one:
//! workloads on the left outside the cloud; inside the AWS Cloud box, regional services above
//! the availability zones, which are side by side as horizontal bands; components left to
//! right along the call graph, each in its zone, a group over several zones across their
//! bands; standbys and replicas dashed beside what they copy. With more than one region, or
//! a global service (Route 53, CloudFront), each region is a box of its own holding its
//! regional services and zones, the global services above them in the cloud.
//!
//! `model` reads the scenario into nodes and merged edges, `layout` places them, `draw` turns
//! the placed diagram into a list of primitives rendered to SVG and to PNG alike. `dot` gives
//! the same structure to Graphviz.

mod draw;
mod layout;
pub mod map;
mod marks;
mod model;
mod words;

pub use draw::text_width;
pub(crate) use draw::{png as draw_png, svg as draw_svg, Prim};
pub(crate) use layout::Rect;
pub use layout::LABEL_GAP;
pub use words::{round_line, rounded_rate};

use crate::scenario::Scenario;
use model::{Model, Place};
use std::fmt::Write as _;

/// The diagram as a standalone SVG document.
pub fn svg(sc: &Scenario) -> String {
    let m = Model::of(sc);
    let l = layout::layout(&m);
    draw::svg(&draw::primitives(&m, &l), l.width, l.height)
}

/// The diagram as a PNG for slides: the same drawing as the SVG, at twice its size.
pub fn png(sc: &Scenario) -> Vec<u8> {
    let m = Model::of(sc);
    let l = layout::layout(&m);
    draw::png(&draw::primitives(&m, &l), l.width, l.height, 2.0)
}

/// The diagram as Graphviz DOT, for `archsim graph`: a cluster for the cloud and one per
/// zone inside it, merged edges, labels with DOT's `\n` line breaks.
pub fn dot(sc: &Scenario) -> String {
    // A DOT string: backslashes and quotes escaped, each line break as DOT's `\n`.
    let q = |s: &str| {
        let escaped = s
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        format!("\"{escaped}\"")
    };
    let m = Model::of(sc);
    let mut o = String::new();
    // A variant's graph says whose it is, as its charts do: `archsim graph` prints one for
    // the baseline and each variant.
    let name =
        crate::report::plots::chart_name(&sc.name, sc.variant.as_ref().map(|v| v.name.as_str()));
    let _ = writeln!(o, "digraph {} {{", q(&name));
    let _ = writeln!(
        o,
        "  rankdir=LR;\n  compound=true;\n  node [shape=box, style=\"rounded\", fontname=\"DejaVu Sans\"];\n  edge [fontname=\"DejaVu Sans\"];"
    );
    let label = |n: &model::Node| {
        let mut s = format!("{}\n{}", n.title, n.kind);
        for l in &n.lines {
            s.push('\n');
            s.push_str(l);
        }
        if let Place::Span(a, b) = n.place {
            s.push_str(&format!("\nacross zones {}", m.zones[a..=b].join(", ")));
        }
        s
    };
    let decl = |o: &mut String, indent: &str, i: usize| {
        let n = &m.nodes[i];
        let style = match n.place {
            Place::Client => ", shape=ellipse".to_string(),
            _ if n.satellite.is_some() => ", style=\"rounded,dashed\"".to_string(),
            _ => String::new(),
        };
        let _ = writeln!(o, "{indent}{} [label={}{style}];", q(&n.key), q(&label(n)));
    };
    for i in m.indices(|p| matches!(p, Place::Client)) {
        decl(&mut o, "  ", i);
    }
    let _ = writeln!(
        o,
        "  subgraph cluster_cloud {{\n    label=\"AWS Cloud\";\n    style=rounded;"
    );
    // With regions drawn, a cluster for each inside the cloud, holding its zones; a global
    // service in the cloud outside them.
    let in_region = |i: usize, r: Option<usize>| m.regions.is_empty() || m.nodes[i].region == r;
    let areas: Vec<Option<usize>> = if m.regions.is_empty() {
        vec![None]
    } else {
        std::iter::once(None)
            .chain((0..m.regions.len()).map(Some))
            .collect()
    };
    for r in areas {
        let indent = match r {
            Some(k) => {
                let _ = writeln!(
                    o,
                    "    subgraph cluster_region_{k} {{\n      label={};\n      style=dashed;",
                    q(&region_label(&m.regions[k]))
                );
                "      "
            }
            None => "    ",
        };
        for i in m.indices(|p| matches!(p, Place::Regional | Place::Span(..))) {
            if in_region(i, r) {
                decl(&mut o, indent, i);
            }
        }
        for (z, zone) in m.zones.iter().enumerate() {
            if !m.regions.is_empty() && Some(m.zone_region[z]) != r {
                continue;
            }
            let _ = writeln!(
                o,
                "{indent}subgraph cluster_zone_{z} {{\n{indent}  label={};\n{indent}  style=dashed;",
                q(&format!("Availability Zone {zone}"))
            );
            for i in m.indices(|p| *p == Place::Zone(z)) {
                decl(&mut o, &format!("{indent}  "), i);
            }
            let _ = writeln!(o, "{indent}}}");
        }
        if r.is_some() {
            let _ = writeln!(o, "    }}");
        }
    }
    let _ = writeln!(o, "  }}");
    // A group of edges saying the same carries its words once, on its middle edge.
    let mut carrier = std::collections::BTreeMap::new();
    for g in m.edges.iter().map(|e| e.group) {
        let members: Vec<usize> = (0..m.edges.len())
            .filter(|&k| m.edges[k].group == g)
            .collect();
        carrier.insert(g, members[members.len() / 2]);
    }
    for (k, e) in m.edges.iter().enumerate() {
        let mut attrs = Vec::new();
        if !e.label.is_empty() && carrier.get(&e.group) == Some(&k) {
            attrs.push(format!("label={}", q(&e.label)));
        }
        if e.asynchronous {
            attrs.push("style=dashed".to_string());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(
            o,
            "  {} -> {}{attrs};",
            q(&m.nodes[e.from].key),
            q(&m.nodes[e.to].key)
        );
    }
    for (i, n) in m.nodes.iter().enumerate() {
        if let Some((primary, link)) = n.tie() {
            // A copy's line dashed, as its box is; a part's plain.
            let style = if n.satellite.is_some() {
                ", style=dashed"
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "  {} -> {} [label={}{style}, arrowhead=none];",
                q(&m.nodes[primary].key),
                q(&m.nodes[i].key),
                q(link)
            );
        }
    }
    o.push_str("}\n");
    o
}

/// A region's box label: "Region us-east-1", or "Region" alone for the default one, which a
/// scenario that names no region has its components in without having named it.
fn region_label(name: &str) -> String {
    if name == crate::components::HOME_REGION {
        "Region".to_string()
    } else {
        format!("Region {name}")
    }
}

#[cfg(test)]
mod tests;
