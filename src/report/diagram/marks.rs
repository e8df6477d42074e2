//! A mark per service category, drawn with simple shapes in the category's colour (a chip
//! for compute, a cylinder for databases, a hub for networking, a bucket for storage, a drive for a volume, a queue
//! for application integration, a person for a workload), and that colour.

use super::draw::{Prim, Rgb, WHITE};
use super::layout::Rect;
use super::model::Mark;
use crate::components::kind::Category;

/// The colour of a category, for its mark and its box's border.
pub fn colour(m: Mark) -> Rgb {
    match m {
        Mark::Client => (35, 47, 62),
        Mark::Kind(Category::Generic) => (84, 104, 134),
        Mark::Kind(Category::Compute) => (224, 108, 0),
        Mark::Kind(Category::Database) => (52, 76, 200),
        Mark::Kind(Category::Networking) => (128, 72, 230),
        Mark::Kind(Category::Storage | Category::BlockStorage) => (92, 140, 24),
        Mark::Kind(Category::Integration) => (214, 24, 116),
    }
}

/// A category's mark in an `s`-pixel square: simple shapes in white on its colour.
pub fn icon(p: &mut Vec<Prim>, mark: Mark, x: f64, y: f64, s: f64, c: Rgb) {
    let at = |u: f64, v: f64| (x + u * s, y + v * s);
    let w = (s / 15.0).max(1.5);
    let line = |pts: Vec<(f64, f64)>| Prim::Line {
        pts,
        color: WHITE,
        width: w,
        dash: false,
    };
    let ellipse = |cx: f64, cy: f64, rx: f64, ry: f64| -> Vec<(f64, f64)> {
        (0..=24)
            .map(|k| {
                let a = std::f64::consts::TAU * k as f64 / 24.0;
                at(cx + rx * a.cos(), cy + ry * a.sin())
            })
            .collect()
    };
    if mark == Mark::Client {
        // A person: head and shoulders.
        p.push(Prim::Circle {
            c: at(0.5, 0.5),
            r: s / 2.0,
            fill: Some(c),
            stroke: None,
        });
        p.push(Prim::Circle {
            c: at(0.5, 0.36),
            r: s * 0.15,
            fill: Some(WHITE),
            stroke: None,
        });
        let mut body: Vec<(f64, f64)> = (0..=12)
            .map(|k| {
                let a = std::f64::consts::PI * k as f64 / 12.0;
                at(0.5 - 0.27 * a.cos(), 0.8 - 0.22 * a.sin())
            })
            .collect();
        body.push(at(0.5, 0.8));
        p.push(Prim::Shape {
            pts: body,
            fill: WHITE,
        });
        return;
    }
    p.push(Prim::Rect {
        r: Rect { x, y, w: s, h: s },
        rx: s * 0.12,
        fill: Some(c),
        stroke: None,
        width: 0.0,
        dash: false,
    });
    let Mark::Kind(cat) = mark else { return };
    match cat {
        Category::Compute => {
            // A chip: a square with pins on every side.
            p.push(line(vec![
                at(0.3, 0.3),
                at(0.7, 0.3),
                at(0.7, 0.7),
                at(0.3, 0.7),
                at(0.3, 0.3),
            ]));
            for k in [0.4, 0.5, 0.6] {
                p.push(line(vec![at(k, 0.15), at(k, 0.3)]));
                p.push(line(vec![at(k, 0.7), at(k, 0.85)]));
                p.push(line(vec![at(0.15, k), at(0.3, k)]));
                p.push(line(vec![at(0.7, k), at(0.85, k)]));
            }
        }
        Category::Database => {
            // A cylinder.
            p.push(line(ellipse(0.5, 0.28, 0.28, 0.1)));
            p.push(line(vec![at(0.22, 0.28), at(0.22, 0.72)]));
            p.push(line(vec![at(0.78, 0.28), at(0.78, 0.72)]));
            let bottom: Vec<(f64, f64)> =
                ellipse(0.5, 0.72, 0.28, 0.1).into_iter().take(13).collect();
            p.push(line(bottom));
            let middle: Vec<(f64, f64)> =
                ellipse(0.5, 0.5, 0.28, 0.1).into_iter().take(13).collect();
            p.push(line(middle));
        }
        Category::Networking => {
            // A hub with links going four ways.
            p.push(Prim::Circle {
                c: at(0.5, 0.5),
                r: s * 0.12,
                fill: Some(WHITE),
                stroke: None,
            });
            for (u, v) in [(0.5, 0.15), (0.5, 0.85), (0.15, 0.5), (0.85, 0.5)] {
                p.push(line(vec![at(0.5, 0.5), at(u, v)]));
                p.push(Prim::Circle {
                    c: at(u, v),
                    r: s * 0.07,
                    fill: Some(WHITE),
                    stroke: None,
                });
            }
        }
        Category::Storage => {
            // A bucket.
            p.push(line(ellipse(0.5, 0.28, 0.3, 0.09)));
            p.push(line(vec![
                at(0.2, 0.28),
                at(0.32, 0.8),
                at(0.68, 0.8),
                at(0.8, 0.28),
            ]));
        }
        Category::BlockStorage => {
            // A drive: a case, the line of its lid and its light.
            p.push(line(vec![
                at(0.18, 0.25),
                at(0.82, 0.25),
                at(0.82, 0.75),
                at(0.18, 0.75),
                at(0.18, 0.25),
            ]));
            p.push(line(vec![at(0.18, 0.55), at(0.82, 0.55)]));
            p.push(Prim::Circle {
                c: at(0.68, 0.65),
                r: s * 0.05,
                fill: Some(WHITE),
                stroke: None,
            });
        }
        Category::Integration => {
            // A queue: messages in a row, an arrow through them.
            for k in 0..3 {
                let u = 0.2 + 0.2 * k as f64;
                p.push(line(vec![
                    at(u, 0.35),
                    at(u + 0.14, 0.35),
                    at(u + 0.14, 0.65),
                    at(u, 0.65),
                    at(u, 0.35),
                ]));
            }
            p.push(Prim::Shape {
                pts: vec![at(0.8, 0.38), at(0.92, 0.5), at(0.8, 0.62)],
                fill: WHITE,
            });
        }
        Category::Generic => {
            // A gear: a ring with teeth.
            p.push(Prim::Circle {
                c: at(0.5, 0.5),
                r: s * 0.22,
                fill: None,
                stroke: Some(WHITE),
            });
            for k in 0..8 {
                let a = std::f64::consts::TAU * k as f64 / 8.0;
                p.push(line(vec![
                    at(0.5 + 0.22 * a.cos(), 0.5 + 0.22 * a.sin()),
                    at(0.5 + 0.34 * a.cos(), 0.5 + 0.34 * a.sin()),
                ]));
            }
        }
    }
}
