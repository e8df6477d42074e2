//! The architecture diagram, drawn from the scenario itself: workloads on the left, components
//! left to right along the call graph, in horizontal lanes by availability zone.

use super::html::escape;
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const BOX_W: f64 = 230.0;
const BOX_H: f64 = 92.0;
const COL_W: f64 = 320.0;
const ROW_H: f64 = 118.0;
const LANE_HEAD: f64 = 34.0;
const MARGIN: f64 = 24.0;

/// Column of each component: one past the deepest caller, entry components in column 1.
fn columns(sc: &Scenario) -> Vec<usize> {
    let n = sc.components.len();
    let mut col = vec![1usize; n];
    // The call graph is acyclic (validated), so n passes settle every longest path.
    for _ in 0..n {
        let mut changed = false;
        for (i, c) in sc.components.iter().enumerate() {
            for call in c.spec.calls() {
                if col[call.to] < col[i] + 1 {
                    col[call.to] = col[i] + 1;
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

struct Layout {
    /// Top-left corner of each component's box.
    boxes: Vec<(f64, f64)>,
    /// (name, y, height) of each lane.
    lanes: Vec<(String, f64, f64)>,
    workloads: Vec<(f64, f64)>,
    width: f64,
    height: f64,
}

fn layout(sc: &Scenario) -> Layout {
    let col = columns(sc);
    let max_col = col.iter().copied().max().unwrap_or(1);
    // Lanes: regional components (no zone) first, then zones in name order.
    let mut lane_names: Vec<Option<String>> = sc.components.iter().map(|c| c.az.clone()).collect();
    lane_names.sort();
    lane_names.dedup();
    let mut rows: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut slot = vec![(0usize, 0usize); sc.components.len()];
    for (i, c) in sc.components.iter().enumerate() {
        let lane = lane_names.iter().position(|l| *l == c.az).unwrap_or(0);
        let r = rows.entry((lane, col[i])).or_insert(0);
        slot[i] = (lane, *r);
        *r += 1;
    }
    let mut lanes = Vec::new();
    let mut y = MARGIN;
    let mut lane_y = Vec::new();
    for (li, name) in lane_names.iter().enumerate() {
        let depth = rows
            .iter()
            .filter(|((l, _), _)| *l == li)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(1);
        let h = LANE_HEAD + depth as f64 * ROW_H;
        let label = match name {
            Some(z) => format!("availability zone {z}"),
            None => "regional (no zone)".to_string(),
        };
        lanes.push((label, y, h));
        lane_y.push(y);
        y += h + 12.0;
    }
    let height = (y + MARGIN).max(sc.workloads.len() as f64 * ROW_H + 2.0 * MARGIN);
    let boxes = (0..sc.components.len())
        .map(|i| {
            let (lane, row) = slot[i];
            let x = MARGIN + col[i] as f64 * COL_W;
            (
                x,
                lane_y[lane] + LANE_HEAD + row as f64 * ROW_H + (ROW_H - BOX_H) / 2.0,
            )
        })
        .collect();
    let wl_top = (height - sc.workloads.len() as f64 * ROW_H) / 2.0;
    let workloads = (0..sc.workloads.len())
        .map(|i| (MARGIN, wl_top + i as f64 * ROW_H + (ROW_H - BOX_H) / 2.0))
        .collect();
    Layout {
        boxes,
        lanes,
        workloads,
        width: MARGIN * 2.0 + (max_col as f64 + 1.0) * COL_W - (COL_W - BOX_W),
        height,
    }
}

/// The diagram as a standalone SVG document.
pub fn svg(sc: &Scenario) -> String {
    let l = layout(sc);
    let mut o = String::new();
    let _ = write!(
        o,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="DejaVu Sans, Verdana, sans-serif">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>
<rect width="100%" height="100%" fill="white"/>
"##,
        w = l.width,
        h = l.height
    );
    for (name, y, h) in &l.lanes {
        let _ = writeln!(
            o,
            r##"<g class="lane"><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="#f4f7fb" stroke="#9db3cf" stroke-dasharray="6 4"/><text x="{tx}" y="{ty}" font-size="18" fill="#4a6a91">{}</text></g>"##,
            escape(name),
            x = MARGIN + COL_W - 24.0,
            w = l.width - MARGIN - (MARGIN + COL_W - 24.0),
            tx = MARGIN + COL_W - 10.0,
            ty = y + 23.0,
        );
    }
    let right_mid = |(x, y): (f64, f64)| (x + BOX_W, y + BOX_H / 2.0);
    let left_mid = |(x, y): (f64, f64)| (x, y + BOX_H / 2.0);
    for (i, w) in sc.workloads.iter().enumerate() {
        edge(
            &mut o,
            right_mid(l.workloads[i]),
            left_mid(l.boxes[w.target]),
            "",
        );
    }
    for (i, c) in sc.components.iter().enumerate() {
        for call in c.spec.calls() {
            let mut label = Vec::new();
            if call.probability < 1.0 {
                label.push(format!("p={}", call.probability));
            }
            if let Some(t) = call.timeout {
                label.push(format!("timeout {t}"));
            }
            edge(
                &mut o,
                right_mid(l.boxes[i]),
                left_mid(l.boxes[call.to]),
                &label.join(", "),
            );
        }
    }
    for (i, w) in sc.workloads.iter().enumerate() {
        let rate = w.peak_rate();
        let lines = [
            format!("peak {} req/s", short(rate)),
            w.timeout
                .map_or("no timeout".into(), |t| format!("timeout {t}")),
        ];
        node(
            &mut o,
            l.workloads[i],
            &w.name,
            "workload",
            &lines,
            "#fff7e6",
            "#d9a441",
        );
    }
    for (i, c) in sc.components.iter().enumerate() {
        node(
            &mut o,
            l.boxes[i],
            &c.id,
            c.spec.kind(),
            &c.spec.summary_lines(),
            "#ffffff",
            "#3d6ea8",
        );
    }
    o.push_str("</svg>\n");
    o
}

fn short(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{}", (v * 10.0).round() / 10.0)
    }
}

fn node(
    o: &mut String,
    (x, y): (f64, f64),
    title: &str,
    kind: &str,
    lines: &[String],
    fill: &str,
    stroke: &str,
) {
    let _ = write!(
        o,
        r##"<g class="node"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="2"/><text x="{tx}" y="{t1}" font-size="19" font-weight="bold">{}</text><text x="{tx}" y="{t1}" dx="{kdx}" font-size="14" fill="#666" text-anchor="end">{}</text>"##,
        escape(title),
        escape(kind),
        tx = x + 10.0,
        t1 = y + 25.0,
        kdx = BOX_W - 20.0,
    );
    // A line longer than the box is drawn narrower to fit inside it (its estimated width at
    // 15 px, about 0.6 em a character, against the box's inner width).
    let inner = BOX_W - 20.0;
    for (k, line) in lines.iter().take(3).enumerate() {
        let fit = if line.chars().count() as f64 * 0.6 * 15.0 > inner {
            format!(r#" textLength="{inner}" lengthAdjust="spacingAndGlyphs""#)
        } else {
            String::new()
        };
        let _ = write!(
            o,
            r##"<text x="{}" y="{}" font-size="15" fill="#333"{fit}>{}</text>"##,
            x + 10.0,
            y + 48.0 + 19.0 * k as f64,
            escape(line)
        );
    }
    o.push_str("</g>\n");
}

fn edge(o: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), label: &str) {
    let mx = (x1 + x2) / 2.0;
    let _ = write!(
        o,
        r##"<g class="edge"><path d="M {x1} {y1} C {mx} {y1}, {mx} {y2}, {x2} {y2}" fill="none" stroke="#444" stroke-width="2" marker-end="url(#arrow)"/>"##
    );
    if !label.is_empty() {
        let _ = write!(
            o,
            r##"<text x="{mx}" y="{}" font-size="14" fill="#444" text-anchor="middle">{}</text>"##,
            (y1 + y2) / 2.0 - 6.0,
            escape(label)
        );
    }
    o.push_str("</g>\n");
}

/// The diagram as Graphviz DOT, for `archsim graph`.
pub fn dot(sc: &Scenario) -> String {
    // A DOT string: backslashes and quotes escaped, each line break as DOT's `\n`.
    let q = |s: &str| {
        let escaped = s
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        format!("\"{escaped}\"")
    };
    let mut o = String::new();
    let _ = writeln!(o, "digraph {} {{", q(&sc.name));
    let _ = writeln!(
        o,
        "  rankdir=LR;\n  node [shape=box, style=\"rounded\", fontname=\"DejaVu Sans\"];"
    );
    for w in &sc.workloads {
        let _ = writeln!(
            o,
            "  {} [shape=ellipse, label={}];",
            q(&format!("workload:{}", w.name)),
            q(&format!(
                "{}\nworkload, peak {} req/s",
                w.name,
                short(w.peak_rate())
            ))
        );
    }
    let mut zones: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (i, c) in sc.components.iter().enumerate() {
        zones.entry(c.az.as_deref()).or_default().push(i);
    }
    for (zi, (zone, members)) in zones.iter().enumerate() {
        let indent = if zone.is_some() { "    " } else { "  " };
        if let Some(z) = zone {
            let _ = writeln!(
                o,
                "  subgraph cluster_{zi} {{\n    label={};\n    style=dashed;",
                q(&format!("availability zone {z}"))
            );
        }
        for &i in members {
            let c = &sc.components[i];
            let mut label = format!("{}\n{}", c.id, c.spec.kind());
            for l in c.spec.summary_lines() {
                label.push('\n');
                label.push_str(&l);
            }
            let _ = writeln!(o, "{indent}{} [label={}];", q(&c.id), q(&label));
        }
        if zone.is_some() {
            let _ = writeln!(o, "  }}");
        }
    }
    for w in &sc.workloads {
        let _ = writeln!(
            o,
            "  {} -> {};",
            q(&format!("workload:{}", w.name)),
            q(&sc.components[w.target].id)
        );
    }
    for c in &sc.components {
        for call in c.spec.calls() {
            let mut attrs = Vec::new();
            if call.probability < 1.0 {
                attrs.push(format!("p={}", call.probability));
            }
            if let Some(t) = call.timeout {
                attrs.push(format!("timeout {t}"));
            }
            let label = if attrs.is_empty() {
                String::new()
            } else {
                format!(" [label={}]", q(&attrs.join(", ")))
            };
            let _ = writeln!(
                o,
                "  {} -> {}{label};",
                q(&c.id),
                q(&sc.components[call.to].id)
            );
        }
    }
    o.push_str("}\n");
    o
}
