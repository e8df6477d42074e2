//! The placed diagram as a list of primitives (boxes, lines, shapes, texts), written once and
//! rendered twice: to SVG, and to PNG with plotters and the bundled DejaVu font.

use super::layout::{Label, Layout, Rect};
use super::model::{Model, Node, Place};
use crate::report::html::escape;
use plotters::prelude::*;
use plotters::style::FontDesc;
use std::fmt::Write as _;

pub const EDGE_FONT: f64 = 15.0;
pub const LINK_FONT: f64 = 14.0;
pub const ZONE_FONT: f64 = 17.0;
const TITLE_FONT: f64 = 19.0;
const KIND_FONT: f64 = 14.0;
const LINE_FONT: f64 = 15.0;
const LINE_STEP: f64 = 20.0;
const PAD: f64 = 12.0;

pub type Rgb = (u8, u8, u8);

const INK: Rgb = (34, 34, 34);
const EDGE: Rgb = (68, 68, 68);
const GREY: Rgb = (96, 96, 96);
pub const WHITE: Rgb = (255, 255, 255);
const ZONE_FILL: Rgb = (238, 244, 251);
const REGION_INK: Rgb = (0, 122, 124);

/// One thing drawn. Groups name what they hold (SVG only) for readers and tests.
#[derive(Clone, Debug)]
pub enum Prim {
    Open(String),
    Close,
    Rect {
        r: Rect,
        rx: f64,
        fill: Option<Rgb>,
        stroke: Option<Rgb>,
        width: f64,
        dash: bool,
    },
    Line {
        pts: Vec<(f64, f64)>,
        color: Rgb,
        width: f64,
        dash: bool,
    },
    Shape {
        pts: Vec<(f64, f64)>,
        fill: Rgb,
    },
    Circle {
        c: (f64, f64),
        r: f64,
        fill: Option<Rgb>,
        stroke: Option<Rgb>,
    },
    /// A text by its left top corner.
    Text {
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        color: Rgb,
        text: String,
    },
}

/// The font library's size for a font size in CSS pixels (the em): it scales glyphs to the
/// font's height, ascent to descent, which for DejaVu Sans is 2,384 of its 2,048 units a em.
const EM: f64 = 2384.0 / 2048.0;

/// Width of a text in the bundled DejaVu Sans at `size` px (CSS font-size), from the font's
/// own metrics.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    crate::report::plots::fonts();
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    let font = FontDesc::new(FontFamily::Name("sans-serif"), size * EM, style);
    match font.box_size(text) {
        // Whole pixels, rounded up by the font library; one more for the antialiased edge.
        Ok((w, _)) => f64::from(w) + 1.0,
        Err(_) => text.chars().count() as f64 * 0.62 * size,
    }
}

/// Sizes of a node's parts: its mark, title and kind fonts.
fn scale_of(n: &Node) -> (f64, f64, f64) {
    if n.satellite.is_some() {
        (22.0, 15.0, 13.0)
    } else {
        (30.0, TITLE_FONT, KIND_FONT)
    }
}

/// A node's box: as wide as its widest text, as tall as its lines.
pub fn node_size(n: &Node) -> (f64, f64) {
    let (mark, title, kind) = scale_of(n);
    let mut w = mark + 10.0 + text_width(&n.title, title, true);
    w = w.max(text_width(&n.kind, kind, false));
    for l in &n.lines {
        w = w.max(text_width(l, LINE_FONT, false));
    }
    let min = if n.satellite.is_some() { 120.0 } else { 190.0 };
    let mut h = PAD + mark + 6.0 + kind + PAD;
    if !n.lines.is_empty() {
        h += 8.0 + LINE_STEP * n.lines.len() as f64 - (LINE_STEP - LINE_FONT);
    }
    ((w + 2.0 * PAD).max(min).ceil(), h.ceil())
}

/// A label's texts, a line each, every line centred in the block the label fills.
fn text(p: &mut Vec<Prim>, l: &Label, bold: bool, color: Rgb) {
    let w = super::layout::block_width(&l.text, l.size, bold);
    for (k, line) in l.text.split('\n').enumerate() {
        p.push(Prim::Text {
            x: l.x + (w - text_width(line, l.size, bold)) / 2.0,
            y: l.y + super::layout::line_step(l.size) * k as f64,
            size: l.size,
            bold,
            color,
            text: line.to_string(),
        });
    }
}

/// Everything drawn, back to front.
pub fn primitives(m: &Model, l: &Layout) -> Vec<Prim> {
    let mut p = vec![Prim::Rect {
        r: Rect {
            x: 0.0,
            y: 0.0,
            w: l.width,
            h: l.height,
        },
        rx: 0.0,
        fill: Some(WHITE),
        stroke: None,
        width: 0.0,
        dash: false,
    }];
    p.push(Prim::Open(r#"class="region""#.into()));
    p.push(Prim::Rect {
        r: l.region,
        rx: 6.0,
        fill: Some((250, 251, 253)),
        stroke: Some((35, 47, 62)),
        width: 2.0,
        dash: false,
    });
    text(&mut p, &l.region_label, true, (35, 47, 62));
    p.push(Prim::Close);
    // A Region's box, in the teal of AWS's diagrams, dashed as its zones are.
    for (name, (r, label)) in m.regions.iter().zip(&l.regions) {
        p.push(Prim::Open(format!(
            r#"class="aws-region" data-region="{}""#,
            escape(name)
        )));
        p.push(Prim::Rect {
            r: *r,
            rx: 6.0,
            fill: Some(WHITE),
            stroke: Some(REGION_INK),
            width: 1.5,
            dash: true,
        });
        text(&mut p, label, true, REGION_INK);
        p.push(Prim::Close);
    }
    for (z, (r, _)) in l.zones.iter().enumerate() {
        p.push(Prim::Open(format!(
            r#"class="zone" data-zone="{}""#,
            escape(&m.zones[z])
        )));
        p.push(Prim::Rect {
            r: *r,
            rx: 8.0,
            fill: Some(ZONE_FILL),
            stroke: Some((70, 120, 180)),
            width: 1.5,
            dash: true,
        });
        p.push(Prim::Close);
    }
    for (e, (pts, label)) in m.edges.iter().zip(&l.edges) {
        p.push(Prim::Open(format!(
            r#"class="edge" data-from="{}" data-to="{}" data-calls="{}""#,
            escape(&m.nodes[e.from].key),
            escape(&m.nodes[e.to].key),
            e.count
        )));
        arrow(&mut p, pts, e.asynchronous);
        if let Some(lb) = label {
            text(&mut p, lb, false, INK);
        }
        p.push(Prim::Close);
    }
    for (i, pts, label) in &l.links {
        p.push(Prim::Open(format!(
            r#"class="link" data-from="{}" data-to="{}""#,
            escape(&m.nodes[m.nodes[*i].tie().map_or(*i, |s| s.0)].key),
            escape(&m.nodes[*i].key)
        )));
        // A copy's line dashed, as its box is; a part's (a volume's) solid.
        p.push(Prim::Line {
            pts: pts.clone(),
            color: GREY,
            width: 2.0,
            dash: m.nodes[*i].satellite.is_some(),
        });
        if let Some(lb) = label {
            text(&mut p, lb, false, GREY);
        }
        p.push(Prim::Close);
    }
    for (i, n) in m.nodes.iter().enumerate() {
        node(&mut p, m, n, l.boxes[i]);
    }
    // Zones' names last: one may lie over a group's box that spans the zones.
    for (z, (_, label)) in l.zones.iter().enumerate() {
        p.push(Prim::Open(format!(
            r#"class="zone-label" data-zone="{}""#,
            escape(&m.zones[z])
        )));
        // On the zone's own colour, which hides a line passing under it.
        let w = text_width(&label.text, label.size, true);
        p.push(Prim::Rect {
            r: Rect {
                x: label.x - 3.0,
                y: label.y - 2.0,
                w: w + 6.0,
                h: label.size + 4.0,
            },
            rx: 3.0,
            fill: Some(ZONE_FILL),
            stroke: None,
            width: 0.0,
            dash: false,
        });
        text(&mut p, label, true, (40, 90, 150));
        p.push(Prim::Close);
    }
    p
}

/// A call's line and arrowhead; an asynchronous call's line dashed.
fn arrow(p: &mut Vec<Prim>, pts: &[(f64, f64)], dash: bool) {
    let (tx, ty) = pts[pts.len() - 1];
    let mut line = pts.to_vec();
    let last = line.len() - 1;
    line[last].0 -= 9.0;
    p.push(Prim::Line {
        pts: line,
        color: EDGE,
        width: 2.0,
        dash,
    });
    p.push(Prim::Shape {
        pts: vec![(tx - 11.0, ty - 6.0), (tx, ty), (tx - 11.0, ty + 6.0)],
        fill: EDGE,
    });
}

fn node(p: &mut Vec<Prim>, m: &Model, n: &Node, r: Rect) {
    let zones = match n.place {
        Place::Client | Place::Regional => String::new(),
        Place::Zone(z) => m.zones[z].clone(),
        Place::Span(a, b) => m.zones[a..=b].join(" "),
    };
    let class = match (n.place, n.satellite) {
        (Place::Client, _) => "node client",
        (_, Some(_)) => "node satellite",
        _ => "node",
    };
    let region = n.region.map_or("", |r| m.regions[r].as_str());
    p.push(Prim::Open(format!(
        r#"class="{class}" data-id="{}" data-zones="{}" data-region="{}""#,
        escape(&n.key),
        escape(&zones),
        escape(region)
    )));
    let c = super::marks::colour(n.mark);
    let light = (
        (255.0 - (255.0 - f64::from(c.0)) * 0.08) as u8,
        (255.0 - (255.0 - f64::from(c.1)) * 0.08) as u8,
        (255.0 - (255.0 - f64::from(c.2)) * 0.08) as u8,
    );
    p.push(Prim::Rect {
        r,
        rx: 8.0,
        fill: Some(if n.satellite.is_some() { light } else { WHITE }),
        stroke: Some(c),
        width: 2.0,
        dash: n.satellite.is_some(),
    });
    let (mark, title, kind) = scale_of(n);
    let (x, y) = (r.x + PAD, r.y + PAD);
    super::marks::icon(p, n.mark, x, y, mark, c);
    p.push(Prim::Text {
        x: x + mark + 10.0,
        y: y + (mark - title) / 2.0,
        size: title,
        bold: true,
        color: INK,
        text: n.title.clone(),
    });
    p.push(Prim::Text {
        x,
        y: y + mark + 6.0,
        size: kind,
        bold: false,
        color: GREY,
        text: n.kind.clone(),
    });
    for (k, line) in n.lines.iter().enumerate() {
        p.push(Prim::Text {
            x,
            y: y + mark + 6.0 + kind + 8.0 + LINE_STEP * k as f64,
            size: LINE_FONT,
            bold: false,
            color: INK,
            text: line.clone(),
        });
    }
    p.push(Prim::Close);
}

fn hex((r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn points(pts: &[(f64, f64)]) -> String {
    pts.iter()
        .map(|&(x, y)| format!("{},{}", n(x), n(y)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The primitives as a standalone SVG document.
pub fn svg(prims: &[Prim], width: f64, height: f64) -> String {
    let mut o = String::new();
    let (w, h) = (n(width), n(height));
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="DejaVu Sans, Verdana, sans-serif">"#
    );
    for p in prims {
        match p {
            Prim::Open(attrs) => {
                let _ = write!(o, "<g {attrs}>");
            }
            Prim::Close => o.push_str("</g>\n"),
            Prim::Rect {
                r,
                rx,
                fill,
                stroke,
                width,
                dash,
            } => {
                let _ = write!(
                    o,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="{}""#,
                    n(r.x),
                    n(r.y),
                    n(r.w),
                    n(r.h),
                    n(*rx),
                    fill.map_or("none".into(), hex)
                );
                if let Some(s) = stroke {
                    let _ = write!(o, r#" stroke="{}" stroke-width="{}""#, hex(*s), n(*width));
                }
                if *dash {
                    o.push_str(r#" stroke-dasharray="7 5""#);
                }
                o.push_str("/>");
            }
            Prim::Line {
                pts,
                color,
                width,
                dash,
            } => {
                let _ = write!(
                    o,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round""#,
                    points(pts),
                    hex(*color),
                    n(*width)
                );
                if *dash {
                    o.push_str(r#" stroke-dasharray="7 5""#);
                }
                o.push_str("/>");
            }
            Prim::Shape { pts, fill } => {
                let _ = write!(
                    o,
                    r#"<polygon points="{}" fill="{}"/>"#,
                    points(pts),
                    hex(*fill)
                );
            }
            Prim::Circle { c, r, fill, stroke } => {
                let _ = write!(
                    o,
                    r#"<circle cx="{}" cy="{}" r="{}" fill="{}""#,
                    n(c.0),
                    n(c.1),
                    n(*r),
                    fill.map_or("none".into(), hex)
                );
                if let Some(s) = stroke {
                    let _ = write!(o, r#" stroke="{}" stroke-width="2""#, hex(*s));
                }
                o.push_str("/>");
            }
            Prim::Text {
                x,
                y,
                size,
                bold,
                color,
                text,
            } => {
                let weight = if *bold { r#" font-weight="bold""# } else { "" };
                let _ = write!(
                    o,
                    r#"<text x="{}" y="{}" dy="0.76em" font-size="{}"{weight} fill="{}">{}</text>"#,
                    n(*x),
                    n(*y),
                    n(*size),
                    hex(*color),
                    escape(text)
                );
            }
        }
    }
    o.push_str("</svg>\n");
    o
}

/// A line cut into dashes of 7 on, 5 off (scaled), as the SVG draws it.
fn dashes(pts: &[(f64, f64)], on: f64, off: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    let (mut drawing, mut left) = (true, on);
    for w in pts.windows(2) {
        let (mut a, b) = (w[0], w[1]);
        let mut len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        while len > 0.0 {
            let step = left.min(len);
            let t = step / len;
            let next = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            if drawing {
                if cur.is_empty() {
                    cur.push(a);
                }
                cur.push(next);
            }
            a = next;
            len -= step;
            left -= step;
            if left <= 1e-9 {
                if drawing {
                    out.push(std::mem::take(&mut cur));
                }
                drawing = !drawing;
                left = if drawing { on } else { off };
            }
        }
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

/// A rectangle with rounded corners as a closed outline.
fn rounded(r: &Rect, rx: f64) -> Vec<(f64, f64)> {
    let rx = rx.min(r.w / 2.0).min(r.h / 2.0);
    let corners = [
        (r.right() - rx, r.y + rx, -0.25),
        (r.right() - rx, r.bottom() - rx, 0.0),
        (r.x + rx, r.bottom() - rx, 0.25),
        (r.x + rx, r.y + rx, 0.5),
    ];
    let mut pts = Vec::new();
    for (cx, cy, start) in corners {
        for k in 0..=6 {
            let a = std::f64::consts::TAU * (start + 0.25 * k as f64 / 6.0);
            pts.push((cx + rx * a.cos(), cy + rx * a.sin()));
        }
    }
    pts.push(pts[0]);
    pts
}

/// The primitives as a PNG, `scale` times the SVG's size.
pub fn png(prims: &[Prim], width: f64, height: f64, scale: f64) -> Vec<u8> {
    crate::report::plots::fonts();
    let (w, h) = (
        (width * scale).ceil() as u32,
        (height * scale).ceil() as u32,
    );
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        let at = |(x, y): (f64, f64)| ((x * scale).round() as i32, (y * scale).round() as i32);
        let col = |(r, g, b): Rgb| RGBColor(r, g, b);
        let stroke = |pts: &[(f64, f64)], c: Rgb, width: f64, dash: bool| {
            let style = ShapeStyle::from(col(c)).stroke_width((width * scale).round() as u32);
            let runs = if dash {
                dashes(pts, 7.0, 5.0)
            } else {
                vec![pts.to_vec()]
            };
            for run in runs {
                let _ = root.draw(&PathElement::new(
                    run.into_iter().map(at).collect::<Vec<_>>(),
                    style,
                ));
            }
        };
        for p in prims {
            match p {
                Prim::Open(_) | Prim::Close => {}
                Prim::Rect {
                    r,
                    rx,
                    fill,
                    stroke: s,
                    width,
                    dash,
                } => {
                    let outline = rounded(r, *rx);
                    if let Some(f) = fill {
                        let _ = root.draw(&Polygon::new(
                            outline.iter().copied().map(at).collect::<Vec<_>>(),
                            col(*f).filled(),
                        ));
                    }
                    if let Some(s) = s {
                        stroke(&outline, *s, *width, *dash);
                    }
                }
                Prim::Line {
                    pts,
                    color,
                    width,
                    dash,
                } => stroke(pts, *color, *width, *dash),
                Prim::Shape { pts, fill } => {
                    let _ = root.draw(&Polygon::new(
                        pts.iter().copied().map(at).collect::<Vec<_>>(),
                        col(*fill).filled(),
                    ));
                }
                Prim::Circle {
                    c,
                    r,
                    fill,
                    stroke: s,
                } => {
                    let radius = (r * scale).round() as i32;
                    if let Some(f) = fill {
                        let _ = root.draw(&Circle::new(at(*c), radius, col(*f).filled()));
                    }
                    if let Some(s) = s {
                        let style =
                            ShapeStyle::from(col(*s)).stroke_width((2.0 * scale).round() as u32);
                        let _ = root.draw(&Circle::new(at(*c), radius, style));
                    }
                }
                Prim::Text {
                    x,
                    y,
                    size,
                    bold,
                    color,
                    text,
                } => {
                    let style = if *bold {
                        FontStyle::Bold
                    } else {
                        FontStyle::Normal
                    };
                    let font =
                        FontDesc::new(FontFamily::Name("sans-serif"), size * scale * EM, style)
                            .color(&col(*color));
                    let _ = root.draw_text(text, &font, at((*x, *y)));
                }
            }
        }
        let _ = root.present();
    }
    crate::report::plots::encode_png(&rgb, w, h)
}
