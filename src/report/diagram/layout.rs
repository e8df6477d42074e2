//! Where everything goes: columns along the call graph (a layered layout), bands for the
//! regional services and each zone, nodes ordered within their column and band by barycentre
//! sweeps to cut crossings, edges entering and leaving at spread ports, labels placed where
//! they cover nothing.

use super::draw::{self, EDGE_FONT, LINK_FONT, ZONE_FONT};
use super::model::{Model, Place};
use std::collections::BTreeMap;

pub const MARGIN: f64 = 24.0;
/// Room above the zones for the cloud's label.
const REGION_HEAD: f64 = 44.0;
const REGION_PAD: f64 = 18.0;
/// Room at the top of a zone for its label.
const ZONE_HEAD: f64 = 40.0;
const ZONE_PAD: f64 = 18.0;
const ZONE_GAP: f64 = 14.0;
/// Room at the top of a region's box for its name.
const AREA_HEAD: f64 = 40.0;
/// Room between a region's box and the zones inside it.
const AREA_PAD: f64 = 14.0;
const ROW_GAP: f64 = 26.0;
const MIN_GAP: f64 = 70.0;
/// How far satellites stacked on one side of their node stand in from its left: their
/// shared line runs down the middle of it.
const COMB_INDENT: f64 = 28.0;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
    /// Whether the two overlap by more than a pixel.
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x + 1.0 < o.right()
            && o.x + 1.0 < self.right()
            && self.y + 1.0 < o.bottom()
            && o.y + 1.0 < self.bottom()
    }
}

/// A text placed: its left top corner, size and words, on lines of their own where the
/// words hold line breaks (a call's figures stacked, so that the gap it stands in need be
/// no wider than its widest line).
#[derive(Clone, Debug)]
pub struct Label {
    pub x: f64,
    pub y: f64,
    pub size: f64,
    pub text: String,
}

impl Label {
    /// The block its lines fill: as wide as the widest, as tall as all of them.
    pub fn rect(&self, bold: bool) -> Rect {
        Rect {
            x: self.x,
            y: self.y,
            w: block_width(&self.text, self.size, bold),
            h: block_height(&self.text, self.size),
        }
    }
}

/// From one line's top to the next one's, for a text of `size` px: each line keeps the
/// labels' gap from the next, as every text of the picture does from every other.
pub fn line_step(size: f64) -> f64 {
    size + LABEL_GAP
}

/// The width of a text's widest line.
pub fn block_width(text: &str, size: f64, bold: bool) -> f64 {
    text.split('\n')
        .map(|l| draw::text_width(l, size, bold))
        .fold(0.0, f64::max)
}

/// The height of a text's lines, from the first one's top to the last one's bottom.
pub fn block_height(text: &str, size: f64) -> f64 {
    size + line_step(size) * text.split('\n').count().saturating_sub(1) as f64
}

/// A line as its points.
pub type Path = Vec<(f64, f64)>;

#[derive(Debug)]
pub struct Layout {
    pub boxes: Vec<Rect>,
    pub region: Rect,
    pub region_label: Label,
    /// Each zone's container and label.
    pub zones: Vec<(Rect, Label)>,
    /// Each drawn region's box and label (`Model::regions`).
    pub regions: Vec<(Rect, Label)>,
    /// Each edge's path (its last point at the arrow's tip) and label.
    pub edges: Vec<(Path, Option<Label>)>,
    /// Each satellite's link to its node: the line and its label.
    pub links: Vec<(usize, Path, Option<Label>)>,
    pub width: f64,
    pub height: f64,
}

/// Edge crossings of an ordering: pairs of edges whose ends are in opposite vertical order at
/// either side, among edges whose column spans overlap. `pos` is each node's vertical rank.
pub fn crossings(pos: &[f64], col: &[usize], edges: &[(usize, usize)]) -> usize {
    let mut n = 0;
    for (i, &(a, b)) in edges.iter().enumerate() {
        for &(c, d) in &edges[i + 1..] {
            if a == c || b == d || a == d || b == c {
                continue;
            }
            let (lo1, hi1) = (col[a].min(col[b]), col[a].max(col[b]));
            let (lo2, hi2) = (col[c].min(col[d]), col[c].max(col[d]));
            if hi1 <= lo2 || hi2 <= lo1 {
                continue;
            }
            if (pos[a] - pos[c]) * (pos[b] - pos[d]) < 0.0 {
                n += 1;
            }
        }
    }
    n
}

pub fn layout(m: &Model) -> Layout {
    let n = m.nodes.len();
    let sizes: Vec<(f64, f64)> = m.nodes.iter().map(draw::node_size).collect();
    // Grid columns: per layer, groups across zones first (a column for each set of groups
    // whose zones do not overlap: two regions' load balancers stand in one), then the nodes
    // of one zone or none, then replicas beside them.
    let mut span_cols: BTreeMap<usize, Vec<Vec<(usize, usize)>>> = BTreeMap::new();
    let keys: Vec<(usize, usize)> = m
        .nodes
        .iter()
        .map(|nd| match nd.place {
            Place::Client => (0, 0),
            Place::Span(a, b) => {
                let cols = span_cols.entry(nd.layer).or_default();
                let free = cols
                    .iter()
                    .position(|taken| taken.iter().all(|&(x, y)| b < x || y < a));
                let k = free.unwrap_or_else(|| {
                    cols.push(Vec::new());
                    cols.len() - 1
                });
                cols[k].push((a, b));
                (nd.layer, k)
            }
            _ if nd.beside() => (nd.layer, 101),
            _ if nd.apart > 0 => (nd.layer, 101 + nd.apart),
            _ => (nd.layer, 100),
        })
        .collect();
    let mut uniq = keys.clone();
    uniq.sort();
    uniq.dedup();
    let col: Vec<usize> = keys
        .iter()
        .map(|k| uniq.binary_search(k).unwrap_or(0))
        .collect();
    let ncols = uniq.len();
    // Bands, top to bottom: 0 the regional one (global services' when regions are drawn),
    // then one per zone; with regions drawn, each region's own regional band before its
    // zones. `bands[b]` is (region, zone).
    let mut bands: Vec<(Option<usize>, Option<usize>)> = vec![(None, None)];
    if m.regions.is_empty() {
        bands.extend((0..m.zones.len()).map(|z| (None, Some(z))));
    } else {
        for r in 0..m.regions.len() {
            bands.push((Some(r), None));
            bands.extend(
                (0..m.zones.len())
                    .filter(|&z| m.zone_region[z] == r)
                    .map(|z| (Some(r), Some(z))),
            );
        }
    }
    let nbands = bands.len();
    let zone_band: Vec<usize> = (0..m.zones.len())
        .map(|z| bands.iter().position(|b| b.1 == Some(z)).unwrap_or(0))
        .collect();
    let band_of = |i: usize| match m.nodes[i].place {
        Place::Client => 0,
        Place::Regional => m.nodes[i]
            .region
            .and_then(|r| bands.iter().position(|b| *b == (Some(r), None)))
            .unwrap_or(0),
        Place::Zone(z) | Place::Span(z, _) => zone_band[z],
    };
    // Groups of nodes that stack: (column, band), spans alone.
    let mut groups: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, nd) in m.nodes.iter().enumerate() {
        if !matches!(nd.place, Place::Span(..)) {
            groups.entry((col[i], band_of(i))).or_default().push(i);
        }
    }
    // Neighbours for the ordering: calls and satellite links.
    let mut links: Vec<(usize, usize)> = m.edges.iter().map(|e| (e.from, e.to)).collect();
    for (i, nd) in m.nodes.iter().enumerate() {
        if let Some((p, _)) = nd.tie() {
            links.push((p, i));
        }
    }
    let rank = |groups: &BTreeMap<(usize, usize), Vec<usize>>| {
        let mut pos = vec![0.0; n];
        for ((_, b), g) in groups {
            for (k, &i) in g.iter().enumerate() {
                pos[i] = *b as f64 * 1000.0 + k as f64;
            }
        }
        for (i, nd) in m.nodes.iter().enumerate() {
            if let Place::Span(a, b) = nd.place {
                pos[i] = (zone_band[a] + zone_band[b]) as f64 * 500.0 + 500.0;
            }
        }
        pos
    };
    let call_edges: Vec<(usize, usize)> = m.edges.iter().map(|e| (e.from, e.to)).collect();
    let mut best = groups.clone();
    let mut best_x = crossings(&rank(&groups), &col, &call_edges);
    for pass in 0..6 {
        let pos = rank(&groups);
        let forward = pass % 2 == 0;
        let mut order: Vec<(usize, usize)> = groups.keys().copied().collect();
        if !forward {
            order.reverse();
        }
        let mut pos = pos;
        for key in order {
            let g = groups.get_mut(&key).expect("a key of the map");
            let bary = |i: usize| {
                let ns: Vec<f64> = links
                    .iter()
                    .filter_map(|&(a, b)| match (a == i, b == i) {
                        (true, _) if (col[b] < col[i]) == forward || col[b] == col[i] => {
                            Some(pos[b])
                        }
                        (_, true) if (col[a] < col[i]) == forward || col[a] == col[i] => {
                            Some(pos[a])
                        }
                        _ => None,
                    })
                    .collect();
                if ns.is_empty() {
                    pos[i]
                } else {
                    ns.iter().sum::<f64>() / ns.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize)> = g.iter().map(|&i| (bary(i), i)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            *g = keyed.into_iter().map(|(_, i)| i).collect();
            for (k, &i) in g.iter().enumerate() {
                pos[i] = key.1 as f64 * 1000.0 + k as f64;
            }
        }
        let x = crossings(&rank(&groups), &col, &call_edges);
        if x < best_x {
            best_x = x;
            best = groups.clone();
        }
    }
    let mut groups = best;
    // A standby sits next to the border between its zone and its node's, so that the line
    // joining them crosses no other box.
    for (i, nd) in m.nodes.iter().enumerate() {
        let Some((p, _)) = nd.tie() else { continue };
        if nd.beside() {
            continue;
        }
        let (bs, bp) = (band_of(i), band_of(p));
        if bs == bp || matches!(m.nodes[p].place, Place::Span(..)) {
            continue;
        }
        let down = bs > bp;
        for (who, toward_end) in [(p, down), (i, !down)] {
            if let Some(g) = groups.get_mut(&(col[who], band_of(who))) {
                g.retain(|&x| x != who);
                if toward_end {
                    g.push(who);
                } else {
                    g.insert(0, who);
                }
            }
        }
    }

    // Horizontal: columns as wide as their widest box, gaps as wide as their labels.
    let mut cw = vec![0.0f64; ncols];
    for i in 0..n {
        cw[col[i]] = cw[col[i]].max(sizes[i].0);
    }
    // Satellites stacked above or below their node in its column, two or more on a side (a
    // database's read replicas): a line from the node straight to a far one would pass
    // through the nearer ones and read as a chain, each copying the next. They stand
    // indented from the node's left instead, a trunk down the indent with a branch into
    // each one's side, as a tree's children; the column widens where it must for that.
    let mut side_count: BTreeMap<(usize, bool), usize> = BTreeMap::new();
    let stacked = |i: usize| {
        let nd = &m.nodes[i];
        nd.tie()
            .filter(|&(p, _)| !nd.beside() && col[i] == col[p] && band_of(i) != band_of(p))
            .map(|(p, _)| (p, band_of(i) > band_of(p)))
    };
    for i in 0..n {
        if let Some(side) = stacked(i) {
            *side_count.entry(side).or_default() += 1;
        }
    }
    let combed: Vec<Option<usize>> = (0..n)
        .map(|i| stacked(i).filter(|s| side_count[s] > 1).map(|(p, _)| p))
        .collect();
    for (i, p) in combed.iter().enumerate() {
        if let Some(p) = *p {
            let c = col[i];
            cw[c] = cw[c].max(2.0 * (COMB_INDENT + sizes[i].0) - sizes[p].0);
        }
    }
    let mut gap = vec![MIN_GAP; ncols];
    for e in &m.edges {
        if !e.label.is_empty() {
            let w = block_width(&e.label, EDGE_FONT, false) + 40.0;
            gap[col[e.to]] = gap[col[e.to]].max(w);
        }
    }
    for (i, nd) in m.nodes.iter().enumerate() {
        if let (Some((_, link)), true) = (nd.tie(), nd.beside()) {
            let w = draw::text_width(link, LINK_FONT, false) + 30.0;
            gap[col[i]] = gap[col[i]].max(w);
        }
    }
    // Regions drawn as boxes hold their zones one step further in.
    let area_pad = if m.regions.is_empty() { 0.0 } else { AREA_PAD };
    if ncols > 1 {
        gap[1] += REGION_PAD + ZONE_PAD + area_pad;
    }
    let mut cx = vec![MARGIN; ncols];
    for c in 1..ncols {
        cx[c] = cx[c - 1] + cw[c - 1] + gap[c];
    }
    let first = if ncols > 1 { cx[1] } else { MARGIN };
    let last = cx[ncols - 1] + cw[ncols - 1];
    let region_x = first - ZONE_PAD - REGION_PAD - area_pad;
    let region_right = last + ZONE_PAD + REGION_PAD + area_pad;

    // Vertical: band heights from their stacks, stretched for groups taller than their zones.
    let stack = |g: &[usize]| {
        g.iter().map(|&i| sizes[i].1).sum::<f64>() + ROW_GAP * g.len().saturating_sub(1) as f64
    };
    // A group holding a standby joined from another zone above or below leaves a row for
    // the words of the line, clear of its zone's name.
    let lead = |g: &[usize]| {
        let vertical = g.iter().any(|&i| {
            let nd = &m.nodes[i];
            nd.tie()
                .is_some_and(|(p, _)| !nd.beside() && nd.apart == 0 && band_of(p) != band_of(i))
        });
        if vertical {
            LINK_FONT + 14.0
        } else {
            0.0
        }
    };
    let mut inner = vec![0.0f64; nbands];
    for ((c, b), g) in &groups {
        if *c > 0 || *b > 0 {
            inner[*b] = inner[*b].max(stack(g) + lead(g));
        }
    }
    for (v, _) in inner.iter_mut().zip(&bands).filter(|(_, b)| b.1.is_some()) {
        *v = v.max(60.0);
    }
    // Each band's top, each drawn region's top and bottom, and the bottom of the last band.
    let band_tops = |inner: &[f64]| {
        let mut tops = vec![0.0; nbands];
        let mut areas = vec![(0.0, 0.0); m.regions.len()];
        let mut y = MARGIN + REGION_HEAD;
        for (b, &(region, zone)) in bands.iter().enumerate() {
            if zone.is_none() {
                if let Some(r) = region {
                    areas[r].0 = y;
                    y += AREA_HEAD;
                }
                tops[b] = y;
                if inner[b] > 0.0 {
                    y += inner[b] + ZONE_GAP + 6.0;
                }
            } else {
                tops[b] = y;
                y += ZONE_HEAD + inner[b] + ZONE_PAD + ZONE_GAP;
            }
            if let Some(r) = region {
                if bands.get(b + 1).is_none_or(|next| next.0 != Some(r)) {
                    y += AREA_PAD - ZONE_GAP;
                    areas[r].1 = y;
                    y += ZONE_GAP;
                }
            }
        }
        (tops, areas, y - ZONE_GAP)
    };
    // A group across zones has its words in the first one, clear of the next one's label.
    for (i, nd) in m.nodes.iter().enumerate() {
        if let Place::Span(a, _) = nd.place {
            let a = zone_band[a];
            inner[a] = inner[a].max(sizes[i].1);
        }
    }
    for _ in 0..2 {
        let (tops, _, _) = band_tops(&inner);
        for (i, nd) in m.nodes.iter().enumerate() {
            if let Place::Span(a, b) = nd.place {
                let (a, b) = (zone_band[a], zone_band[b]);
                let room = tops[b] + ZONE_HEAD + inner[b] - (tops[a] + ZONE_HEAD);
                if sizes[i].1 > room {
                    inner[b] += sizes[i].1 - room;
                }
            }
        }
    }
    let (tops, areas, bottom) = band_tops(&inner);
    let region = Rect {
        x: region_x,
        y: MARGIN,
        w: region_right - region_x,
        h: bottom + REGION_PAD - MARGIN,
    };
    let zones_r: Vec<Rect> = (0..m.zones.len())
        .map(|z| Rect {
            x: region_x + REGION_PAD + area_pad,
            y: tops[zone_band[z]],
            w: region.w - 2.0 * (REGION_PAD + area_pad),
            h: ZONE_HEAD + inner[zone_band[z]] + ZONE_PAD,
        })
        .collect();
    let areas_r: Vec<Rect> = areas
        .iter()
        .map(|&(top, bottom)| Rect {
            x: region_x + REGION_PAD,
            y: top,
            w: region.w - 2.0 * REGION_PAD,
            h: bottom - top,
        })
        .collect();
    let content_top = |b: usize| {
        if bands[b].1.is_none() {
            tops[b]
        } else {
            tops[b] + ZONE_HEAD
        }
    };
    let mut boxes = vec![Rect::default(); n];
    for ((c, b), g) in &groups {
        if *c == 0 {
            continue;
        }
        let mut y = content_top(*b) + lead(g) + (inner[*b] - lead(g) - stack(g)) / 2.0;
        for &i in g {
            boxes[i] = Rect {
                x: cx[*c] + (cw[*c] - sizes[i].0) / 2.0,
                y,
                w: sizes[i].0,
                h: sizes[i].1,
            };
            y += sizes[i].1 + ROW_GAP;
        }
    }
    for (i, p) in combed.iter().enumerate() {
        if let Some(p) = *p {
            boxes[i].x = boxes[p].x + COMB_INDENT;
        }
    }
    for (i, nd) in m.nodes.iter().enumerate() {
        if let Place::Span(a, b) = nd.place {
            let (a, b) = (zone_band[a], zone_band[b]);
            let top = content_top(a);
            boxes[i] = Rect {
                x: cx[col[i]] + (cw[col[i]] - sizes[i].0) / 2.0,
                y: top,
                w: sizes[i].0,
                h: content_top(b) + inner[b] - top,
            };
        }
    }
    // Workloads: stacked, centred on their targets.
    let clients: Vec<usize> = groups.get(&(0, 0)).cloned().unwrap_or_default();
    let targets: Vec<f64> = m
        .edges
        .iter()
        .filter(|e| clients.contains(&e.from))
        .map(|e| boxes[e.to].cy())
        .collect();
    let centre = if targets.is_empty() {
        region.cy()
    } else {
        targets.iter().sum::<f64>() / targets.len() as f64
    };
    let mut y = (centre - stack(&clients) / 2.0).max(MARGIN);
    for &i in &clients {
        boxes[i] = Rect {
            x: MARGIN + (cw[0] - sizes[i].0) / 2.0,
            y,
            w: sizes[i].0,
            h: sizes[i].1,
        };
        y += sizes[i].1 + ROW_GAP;
    }
    let height = region.bottom().max(y - ROW_GAP) + MARGIN;
    let width = region.right() + MARGIN;

    // Texts placed so far, which later ones must not cover: nodes' boxes and labels.
    let mut taken: Vec<Rect> = boxes.clone();
    let region_label = Label {
        x: region.x + 14.0,
        y: region.y + 12.0,
        size: ZONE_FONT,
        text: "AWS Cloud".into(),
    };
    taken.push(region_label.rect(true));
    let areas: Vec<(Rect, Label)> = areas_r
        .iter()
        .zip(&m.regions)
        .map(|(r, name)| {
            let label = Label {
                x: r.x + 14.0,
                y: r.y + 11.0,
                size: ZONE_FONT,
                text: super::region_label(name),
            };
            taken.push(label.rect(true));
            (*r, label)
        })
        .collect();
    // Labels keep off the cloud's, the zones' and the regions' top and bottom borders,
    // where a line would cross their words; the borders are taken only while labels are
    // placed.
    let borders = taken.len();
    for r in std::iter::once(&region).chain(&zones_r).chain(&areas_r) {
        for y in [r.y, r.bottom()] {
            taken.push(Rect {
                x: r.x,
                y: y - 1.5,
                w: r.w,
                h: 3.0,
            });
        }
    }
    // Ports: a node's edges leave and enter spread over its side, in the order of the
    // nodes at their other ends.
    let ne = m.edges.len();
    let mut out_y = vec![0.0; ne];
    let mut in_y = vec![0.0; ne];
    for i in 0..n {
        for outgoing in [true, false] {
            let mut es: Vec<usize> = (0..ne)
                .filter(|&k| {
                    if outgoing {
                        m.edges[k].from == i
                    } else {
                        m.edges[k].to == i
                    }
                })
                .collect();
            let other = |k: usize| {
                if outgoing {
                    boxes[m.edges[k].to].cy()
                } else {
                    boxes[m.edges[k].from].cy()
                }
            };
            es.sort_by(|&a, &b| other(a).total_cmp(&other(b)));
            let r = boxes[i];
            for (j, &k) in es.iter().enumerate() {
                // A tall group's edges run straight across where they can; between two
                // such groups, in the first zone rather than along the gap between zones.
                let far = if outgoing {
                    m.edges[k].to
                } else {
                    m.edges[k].from
                };
                let both = matches!(m.nodes[far].place, Place::Span(..));
                let y = if matches!(m.nodes[i].place, Place::Span(..)) && both {
                    let o = boxes[far];
                    r.y.max(o.y) + 0.3 * r.h.min(o.h)
                } else if matches!(m.nodes[i].place, Place::Span(..)) {
                    other(k).clamp(r.y + 30.0, r.bottom() - 30.0)
                } else if es.len() == 1 {
                    r.cy()
                } else {
                    let span = (r.h * 0.6).min(24.0 * es.len() as f64);
                    r.cy() - span / 2.0 + span * j as f64 / (es.len() - 1) as f64
                };
                if outgoing {
                    out_y[k] = y;
                } else {
                    in_y[k] = y;
                }
            }
        }
    }
    // The edge of a group that carries its label: the middle one.
    let mut carrier: BTreeMap<usize, usize> = BTreeMap::new();
    {
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, e) in m.edges.iter().enumerate() {
            members.entry(e.group).or_default().push(k);
        }
        for (g, mut ks) in members {
            ks.sort_by(|&a, &b| in_y[a].total_cmp(&in_y[b]));
            carrier.insert(g, ks[ks.len() / 2]);
        }
    }
    let shown =
        |k: usize| !m.edges[k].label.is_empty() && carrier.get(&m.edges[k].group) == Some(&k);
    // A call into the cloud from outside it (a client's) has its label before the cloud's
    // border, in the gap left for it, not across the border and the zones'.
    let label_right = |k: usize| {
        let (x1, x2) = (boxes[m.edges[k].from].right(), boxes[m.edges[k].to].x);
        if x1 < region_x && region_x < x2 {
            region_x
        } else {
            x2
        }
    };
    // Of the labelled calls into one node whose labels stand in one gap, one above the
    // other, the lowest has its words below its arrow when any of them takes more than a
    // line: above it, a block of lines would stand between two arrows, read as the upper
    // one's.
    let hangs: Vec<bool> = (0..ne)
        .map(|k| {
            let into: Vec<usize> = (0..ne)
                .filter(|&o| shown(o) && m.edges[o].to == m.edges[k].to)
                .filter(|&o| label_right(o) == label_right(k))
                .collect();
            shown(k)
                && into.iter().any(|&o| m.edges[o].label.contains('\n'))
                && into.iter().any(|&o| in_y[o] < in_y[k])
                && into.iter().all(|&o| in_y[o] <= in_y[k])
        })
        .collect();
    let mut edges = Vec::new();
    for (k, e) in m.edges.iter().enumerate() {
        let (x1, mut y1) = (boxes[e.from].right(), out_y[k]);
        let (x2, mut y2) = (boxes[e.to].x, in_y[k]);
        let shown = shown(k);
        let lw = if shown {
            block_width(&e.label, EDGE_FONT, false)
        } else {
            0.0
        };
        let xr = label_right(k);
        let xm = (xr - lw - 24.0).min(xr - 20.0).max(x1 + 10.0);
        let label = shown.then(|| {
            let (y, dirs) = if hangs[k] {
                (y2 + 5.0, [1.0, -1.0])
            } else {
                (y2 - 5.0 - block_height(&e.label, EDGE_FONT), [-1.0, 1.0])
            };
            let base = Label {
                x: (xm + xr) / 2.0 - lw / 2.0,
                y,
                size: EDGE_FONT,
                text: e.label.clone(),
            };
            place(base, &mut taken, &dirs, EDGE_FONT + 10.0)
        });
        // Words moved onto their own arrow's last run: the arrow moves instead.
        let ends = Ends {
            k,
            from: (x1, y1),
            bend: xm,
            to: (x2, y2),
        };
        let moved = label.as_ref().and_then(|l| {
            arrow_off_words(
                &ends,
                &l.rect(false),
                hangs[k],
                m,
                &boxes,
                &out_y,
                &in_y,
                &taken,
            )
        });
        if let Some((y, straight)) = moved {
            if straight {
                y1 = y;
                out_y[k] = y;
            }
            y2 = y;
            in_y[k] = y;
        }
        let mut pts = bezier((x1, y1), (xm, y2));
        pts.push((x2, y2));
        // An arrow across columns between its ends that would run behind a box there goes
        // round it: along a corridor clear of those columns' boxes, entering it in the gap
        // after its source's column and leaving it in the gap before its target's.
        let behind = |pts: &[(f64, f64)]| {
            boxes.iter().enumerate().any(|(b, r)| {
                b != e.from && b != e.to && pts.windows(2).any(|w| crosses(r, w[0], w[1]))
            })
        };
        if col[e.to] > col[e.from] + 1 && behind(&pts) {
            let between = col[e.from] + 1..col[e.to];
            let (xa, xb) = (
                cx[between.start] - 8.0,
                cx[between.end - 1] + cw[between.end - 1] + 8.0,
            );
            let xm = xm.max(xb + 24.0).min(x2 - 4.0);
            let blocked: Vec<Rect> = (0..n)
                .filter(|&b| between.contains(&col[b]))
                .map(|b| boxes[b])
                .collect();
            if let Some(y) = corridor(&blocked, xa, xb, (y1 + y2) / 2.0) {
                let mut round = bezier((x1, y1), (xa, y));
                round.extend(bezier((xb, y), (xm, y2)));
                round.push((x2, y2));
                if !behind(&round) {
                    pts = round;
                }
            }
        }
        edges.push((pts, label));
    }
    // Satellites' links: beside, a short line from the node's side; in another zone, a
    // vertical line between the two boxes.
    let mut links = Vec::new();
    // Words on every line: once for the satellites that share one (stacked on one side of
    // their node), on the one nearest level with the node; a line of its own carries its
    // own (a second standby's in a zone further on says "semi-sync" too).
    let line_of = |i: usize, p: usize| match combed[i] {
        Some(_) => usize::MAX - usize::from(boxes[i].y >= boxes[p].bottom()),
        None => i,
    };
    let mut carrier: BTreeMap<(usize, &str, usize), usize> = BTreeMap::new();
    for (i, nd) in m.nodes.iter().enumerate() {
        if let Some((p, link)) = nd.tie() {
            let off = |k: usize| (boxes[k].cy() - boxes[p].cy()).abs();
            let c = carrier.entry((p, link, line_of(i, p))).or_insert(i);
            if off(i) < off(*c) {
                *c = i;
            }
        }
    }
    for (i, nd) in m.nodes.iter().enumerate() {
        let Some((p, link)) = nd.tie() else {
            continue;
        };
        let (a, s) = (boxes[p], boxes[i]);
        let w = draw::text_width(link, LINK_FONT, false);
        let at = |x: f64, y: f64| Label {
            x,
            y,
            size: LINK_FONT,
            text: link.to_string(),
        };
        // Beside: a line from the node's side, its label above the line's middle. Above or
        // below: a vertical line, its label beside it, just clear of the satellite's box.
        let (pts, base) = if nd.beside() || (s.bottom() > a.y && s.y < a.bottom()) {
            let y = s.cy().clamp(a.y + 10.0, a.bottom() - 10.0);
            let (mx, my) = ((a.right() + s.x) / 2.0, (y + s.cy()) / 2.0);
            (
                vec![(a.right(), y), (s.x, s.cy())],
                at(mx - w / 2.0, my - 6.0 - LINK_FONT),
            )
        } else if s.x >= a.right() {
            // In a column of its own to the right: an elbow through the gap before it.
            let y = a.cy();
            let xm = s.x - 20.0;
            // Its words left of the elbow's last bend, level with the branch into the box
            // (right of the bend they would lie on the box).
            (
                vec![(a.right(), y), (xm, y), (xm, s.cy()), (s.x, s.cy())],
                at(xm - 8.0 - w, s.cy() - LINK_FONT / 2.0),
            )
        } else {
            let below = s.y >= a.bottom();
            // Where the line leaves the node, and the row its words take beside the nearest
            // satellite (left for them between it and the node).
            let (from_y, words_y) = if below {
                (a.bottom(), s.y - LINK_FONT - 6.0)
            } else {
                (a.y, s.bottom() + 6.0)
            };
            if combed[i].is_some() {
                // Down the indent, then into the satellite's side; its words right of it.
                let trunk = a.x + COMB_INDENT / 2.0;
                (
                    vec![(trunk, from_y), (trunk, s.cy()), (s.x, s.cy())],
                    at(trunk + 8.0, words_y),
                )
            } else {
                // Near the right of both boxes, away from the zones' names at the left; its
                // words at the left of the line.
                let x = (a.right().min(s.right()) - 24.0).max(a.x.max(s.x) + 8.0);
                let end = if below { s.y } else { s.bottom() };
                (vec![(x, from_y), (x, end)], at(x - 8.0 - w, words_y))
            }
        };
        let label = (carrier.get(&(p, link, line_of(i, p))) == Some(&i)).then_some(base);
        links.push((i, pts, label));
    }
    taken.drain(borders..borders + 2 * (1 + zones_r.len() + areas_r.len()));
    // Zones' names, clear of every box, arrow, edge label and standby's line.
    let lines = links
        .iter()
        .map(|(_, pts, _)| pts)
        .chain(edges.iter().map(|(pts, _)| pts));
    for pts in lines {
        for w in pts.windows(2) {
            let (x0, y0, x1, y1) = (
                w[0].0.min(w[1].0),
                w[0].1.min(w[1].1),
                w[0].0.max(w[1].0),
                w[0].1.max(w[1].1),
            );
            taken.push(Rect {
                x: x0 - 2.0,
                y: y0 - 2.0,
                w: x1 - x0 + 4.0,
                h: y1 - y0 + 4.0,
            });
        }
    }
    let mut zones = Vec::new();
    for (z, r) in zones_r.iter().enumerate() {
        let text = format!("Availability Zone {}", m.zones[z]);
        let w = draw::text_width(&text, ZONE_FONT, true);
        let mut xs = vec![r.x + 14.0];
        xs.extend((0..ncols).map(|c| cx[c] + cw[c] + 10.0));
        xs.push(r.right() - 14.0 - w);
        let spots: Vec<Label> = xs
            .into_iter()
            .filter(|&x| x >= r.x + 4.0 && x + w <= r.right() - 4.0)
            .map(|x| Label {
                x,
                y: r.y + 11.0,
                size: ZONE_FONT,
                text: text.clone(),
            })
            .collect();
        // The first spot clear of everything by the labels' gap, else the first that
        // covers nothing.
        let pick = [LABEL_GAP, 0.0]
            .iter()
            .find_map(|&gap| {
                spots
                    .iter()
                    .find(|l| clear_of(&taken, &l.rect(true), gap))
                    .cloned()
            })
            .unwrap_or(Label {
                x: r.x + 14.0,
                y: r.y + 11.0,
                size: ZONE_FONT,
                text: text.clone(),
            });
        taken.push(pick.rect(true));
        zones.push((*r, pick));
    }
    // Then the standbys' and replicas' words, clear of those names too.
    for (_, _, label) in links.iter_mut() {
        if let Some(base) = label.take() {
            *label = Some(place(base, &mut taken, &[-1.0, 1.0], LINK_FONT + 6.0));
        }
    }

    Layout {
        boxes,
        region,
        region_label,
        zones,
        regions: areas,
        edges,
        links,
        width,
        height,
    }
}

/// An arrow's ends: edge `k`, from its source's side to its target's, bending at `bend`.
struct Ends {
    k: usize,
    from: (f64, f64),
    bend: f64,
    to: (f64, f64),
}

/// Where an arrow moves, off the words the search for room (`place`) put across its last
/// run (no room where they belong, between the zones' borders): the height at which it
/// then enters its box, as the words would have put it (above them, or below them when
/// they hang), and whether its start moves with it (a straight arrow stays straight when
/// the box it leaves has room too). `None` where the words are clear of it, or where the
/// box it enters has no room (10 px from its corners), another arrow at that box would be
/// nearer than 12 px or change sides with it, or the new run would cross something placed.
#[allow(clippy::too_many_arguments)]
fn arrow_off_words(
    e: &Ends,
    words: &Rect,
    hangs: bool,
    m: &Model,
    boxes: &[Rect],
    out_y: &[f64],
    in_y: &[f64],
    taken: &[Rect],
) -> Option<(f64, bool)> {
    let ((x1, y1), (x2, y2)) = (e.from, e.to);
    let run = |from: f64, y: f64| Rect {
        x: from,
        y: y - 1.0,
        w: x2 - from,
        h: 2.0,
    };
    if !words.overlaps(&run(e.bend, y2)) {
        return None;
    }
    let y = if hangs {
        words.y - 5.0
    } else {
        words.bottom() + 5.0
    };
    let room = |b: &Rect| y >= b.y + 10.0 && y <= b.bottom() - 10.0;
    // The other arrows at that end of box `node` keep their distance and their side: none
    // is crossed at the box, and the lowest label stays the lowest.
    let apart = |ys: &[f64], mine: f64, node: usize, outgoing: bool| {
        m.edges
            .iter()
            .enumerate()
            .filter(|&(o, f)| o != e.k && node == if outgoing { f.from } else { f.to })
            .all(|(o, _)| (ys[o] - y).abs() >= 12.0 && (ys[o] < y) == (ys[o] < mine))
    };
    let edge = &m.edges[e.k];
    let straight =
        (y1 - y2).abs() < 0.5 && room(&boxes[edge.from]) && apart(out_y, y1, edge.from, true);
    let start = if straight { x1 } else { e.bend };
    (room(&boxes[edge.to])
        && apart(in_y, y2, edge.to, false)
        && clear_of(taken, &run(start, y), 0.0))
    .then_some((y, straight))
}

/// The room a label keeps from every box and every other text placed before it [px]: a
/// gap the eye sees at a projector's resolution, so that no label seems to touch a box.
pub const LABEL_GAP: f64 = 6.0;

/// `base`, or the nearest spot above or below it that keeps `LABEL_GAP` from everything
/// taken; where none does (a crowded picture), the nearest that merely covers nothing; then
/// taken.
fn place(base: Label, taken: &mut Vec<Rect>, dirs: &[f64], step: f64) -> Label {
    let clear = |l: &Label, gap: f64| clear_of(taken, &l.rect(false), gap);
    let mut best = base.clone();
    'search: for gap in [LABEL_GAP, 0.0] {
        for k in 0..12 {
            for &d in dirs {
                let l = Label {
                    y: base.y + d * step * k as f64,
                    ..base.clone()
                };
                if clear(&l, gap) {
                    best = l;
                    break 'search;
                }
            }
        }
    }
    taken.push(best.rect(false));
    best
}

/// Whether `r` keeps `gap` from every rect of `taken` (0: merely does not overlap one).
fn clear_of(taken: &[Rect], r: &Rect, gap: f64) -> bool {
    // `overlaps` allows a pixel: grown by one more, a rect that does not overlap is a full
    // `gap` away.
    let grown = if gap > 0.0 {
        Rect {
            x: r.x - gap - 1.0,
            y: r.y - gap - 1.0,
            w: r.w + 2.0 * (gap + 1.0),
            h: r.h + 2.0 * (gap + 1.0),
        }
    } else {
        *r
    };
    !taken.iter().any(|t| t.overlaps(&grown))
}

/// Whether the segment from `a` to `b` passes through `r` (sampled every few pixels: the
/// segments are a curve's short steps or a straight run).
fn crosses(r: &Rect, a: (f64, f64), b: (f64, f64)) -> bool {
    let steps = ((b.0 - a.0).hypot(b.1 - a.1) / 4.0)
        .ceil()
        .clamp(1.0, 2000.0) as usize;
    (0..=steps).any(|s| {
        let t = s as f64 / steps as f64;
        let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        x > r.x && x < r.right() && y > r.y && y < r.bottom()
    })
}

/// The height at which a horizontal run from `x0` to `x1` keeps 12 px from every box of
/// `blocked` (the boxes of the columns it crosses): `near` itself when that is clear, else
/// the nearest below it (below a box, where no arrow's words stand: they stand above their
/// arrows), else the nearest above. `None` when none is (never: below them all is clear).
fn corridor(blocked: &[Rect], x0: f64, x1: f64, near: f64) -> Option<f64> {
    const ROOM: f64 = 12.0;
    let in_way: Vec<&Rect> = blocked
        .iter()
        .filter(|r| r.right() > x0 && r.x < x1)
        .collect();
    let clear = |y: f64| {
        in_way
            .iter()
            .all(|r| y < r.y - ROOM || y > r.bottom() + ROOM)
    };
    if clear(near) {
        return Some(near);
    }
    let candidates: Vec<f64> = in_way
        .iter()
        .flat_map(|r| [r.y - ROOM - 1.0, r.bottom() + ROOM + 1.0])
        .filter(|&y| clear(y))
        .collect();
    let nearest = |below: bool| {
        candidates
            .iter()
            .copied()
            .filter(|&y| (y > near) == below)
            .min_by(|a, b| (a - near).abs().total_cmp(&(b - near).abs()))
    };
    nearest(true).or_else(|| nearest(false))
}

/// A smooth S from one point to another, leaving and arriving horizontally, as points.
fn bezier((x1, y1): (f64, f64), (x2, y2): (f64, f64)) -> Vec<(f64, f64)> {
    let mx = (x1 + x2) / 2.0;
    let steps = if (y1 - y2).abs() < 0.5 { 1 } else { 24 };
    (0..=steps)
        .map(|s| {
            let t = s as f64 / steps as f64;
            let u = 1.0 - t;
            let x = u * u * u * x1 + 3.0 * u * u * t * mx + 3.0 * u * t * t * mx + t * t * t * x2;
            let y = u * u * u * y1 + 3.0 * u * u * t * y1 + 3.0 * u * t * t * y2 + t * t * t * y2;
            (x, y)
        })
        .collect()
}
