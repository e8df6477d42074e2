//! Charts of one number against another, for experiments: a metric against a swept parameter
//! (the mean over seeds, its 95 % interval shaded), and cost against p99 latency with the
//! Pareto frontier drawn through the variants no other beats on both. Same size, fonts and
//! palette as the time-series charts; rendered to SVG and PNG.

use super::plots::{encode_png, palette, HEIGHT, WIDTH};
use plotters::prelude::*;

const FONT: &str = "sans-serif";

/// One point: x, the mean of y over seeds and its interval (NaN: none), and a label drawn
/// beside it (empty: none).
#[derive(Clone, Debug)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub lo: f64,
    pub hi: f64,
    pub label: String,
}

/// A chart of points joined by a line (a sweep), or scattered (a comparison of variants).
#[derive(Clone, Debug, Default)]
pub struct XyChart {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    pub y_desc: String,
    pub log_x: bool,
    /// Points in x order when `joined`.
    pub points: Vec<Point>,
    pub joined: bool,
    /// Indices of points drawn as a second line on top (the Pareto frontier), in x order.
    pub frontier: Vec<usize>,
    /// One point singled out (the cheapest that meets the expectations), by index.
    pub chosen: Option<usize>,
    /// Points drawn as failures (red crosses): a capacity search's probes that broke an SLO.
    pub failed: Vec<usize>,
    /// A horizontal line at a y value, with its legend (an SLO's bound).
    pub threshold: Option<(f64, String)>,
    /// A vertical band between two x values, with its legend (a capacity's interval).
    pub band_x: Option<(f64, f64, String)>,
    /// More joined lines, each with its legend and its own colour (a grid sweep: one line per
    /// value of the other parameters); drawn like `points` when `joined`.
    pub lines: Vec<(String, Vec<Point>)>,
    /// The top of the y axis, when far-off values (an overloaded probe) would squash the
    /// rest: points above it are drawn on it.
    pub y_cap: Option<f64>,
    /// Curves drawn dashed, without dots, each in the colour of the `lines` entry of the same
    /// index (a theory beside what was simulated).
    pub curves: Vec<(String, Vec<(f64, f64)>)>,
}

pub fn svg(chart: &XyChart) -> String {
    super::plots::fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        if draw(&root, chart).is_err() {
            return String::new();
        }
        let _ = root.present();
    }
    out
}

pub fn png(chart: &XyChart) -> Vec<u8> {
    super::plots::fonts();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = draw(&root, chart);
        let _ = root.present();
    }
    encode_png(&rgb, WIDTH, HEIGHT)
}

/// The range of values with a margin; a single value gets a range around it.
fn extent(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero && lo >= 0.0 {
        lo = 0.0;
    }
    if hi <= lo {
        hi = lo + lo.abs().max(1.0);
    }
    let pad = (hi - lo) * 0.08;
    (
        if from_zero && lo == 0.0 {
            0.0
        } else {
            lo - pad
        },
        hi + pad,
    )
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &XyChart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(88);
    top.draw(&Text::new(
        chart.title.clone(),
        (24, 10),
        (FONT, 36).into_font().style(FontStyle::Bold).color(&BLACK),
    ))?;
    top.draw(&Text::new(
        chart.subtitle.clone(),
        (26, 56),
        (FONT, 22).into_font().color(&RGBColor(90, 90, 90)),
    ))?;
    let pts = &chart.points;
    let curve_points: Vec<Point> = chart
        .curves
        .iter()
        .flat_map(|(_, c)| c.iter())
        .map(|&(x, y)| Point {
            x,
            y,
            lo: f64::NAN,
            hi: f64::NAN,
            label: String::new(),
        })
        .collect();
    let all = || {
        pts.iter()
            .chain(chart.lines.iter().flat_map(|(_, l)| l))
            .chain(&curve_points)
    };
    let (x0, x1) = if chart.log_x {
        let xs = all().map(|p| p.x).filter(|x| *x > 0.0);
        let (lo, hi) = extent(xs, false);
        (lo.max(1e-12) / 1.2, hi * 1.2)
    } else {
        extent(all().map(|p| p.x), false)
    };
    let (x0, x1) = match &chart.band_x {
        Some((lo, hi, _)) if !chart.log_x => (x0.min(*lo), x1.max(*hi)),
        _ => (x0, x1),
    };
    let ys = all()
        .flat_map(|p| [p.y, p.lo, p.hi])
        .chain(chart.threshold.as_ref().map(|(y, _)| *y))
        .filter(|v| v.is_finite())
        .map(|v| chart.y_cap.map_or(v, |cap| v.min(cap)));
    let (y0, y1) = extent(ys, true);
    let pinned = |y: f64| y.min(chart.y_cap.unwrap_or(y1)).min(y1);
    let mut builder = ChartBuilder::on(&body);
    builder
        .margin_left(16)
        .margin_right(48)
        .margin_top(8)
        .x_label_area_size(64)
        .y_label_area_size(120);
    let blue = palette::SERIES[0];
    let red = palette::SERIES[1];
    macro_rules! plot {
        ($c:expr) => {{
            let c = &mut $c;
            c.configure_mesh()
                .x_desc(chart.x_desc.as_str())
                .y_desc(chart.y_desc.as_str())
                .axis_desc_style((FONT, 26))
                .label_style((FONT, 22))
                .max_light_lines(1)
                .light_line_style(RGBColor(242, 242, 242))
                .bold_line_style(RGBColor(220, 220, 220))
                .x_labels(8)
                .y_labels(6)
                .x_label_formatter(&|v| super::plots::short_number(*v))
                .y_label_formatter(&|v| super::plots::short_number(*v))
                .draw()?;
            // The interval of each point, as a shaded band (joined) or a bar (scattered).
            if chart.joined {
                let with: Vec<&Point> = pts.iter().filter(|p| p.lo.is_finite()).collect();
                if with.len() >= 2 {
                    let mut poly: Vec<(f64, f64)> = with.iter().map(|p| (p.x, p.hi)).collect();
                    poly.extend(with.iter().rev().map(|p| (p.x, p.lo)));
                    c.draw_series(std::iter::once(Polygon::new(poly, blue.mix(0.18).filled())))?;
                }
                c.draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.x, p.y)),
                    blue.stroke_width(3),
                ))?;
            } else {
                for p in pts.iter().filter(|p| p.lo.is_finite()) {
                    c.draw_series(std::iter::once(PathElement::new(
                        vec![(p.x, p.lo), (p.x, p.hi)],
                        blue.mix(0.5).stroke_width(2),
                    )))?;
                }
            }
            for (k, (legend, line)) in chart.lines.iter().enumerate() {
                let colour = palette::SERIES[k % palette::SERIES.len()];
                let with: Vec<&Point> = line.iter().filter(|p| p.lo.is_finite()).collect();
                if chart.joined {
                    if with.len() >= 2 {
                        let mut poly: Vec<(f64, f64)> = with.iter().map(|p| (p.x, p.hi)).collect();
                        poly.extend(with.iter().rev().map(|p| (p.x, p.lo)));
                        c.draw_series(std::iter::once(Polygon::new(
                            poly,
                            colour.mix(0.15).filled(),
                        )))?;
                    }
                    c.draw_series(LineSeries::new(
                        line.iter().map(|p| (p.x, p.y)),
                        colour.stroke_width(3),
                    ))?
                    .label(legend.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 30, y)], colour.stroke_width(3))
                    });
                } else {
                    // Dots with their intervals as bars, the legend a dot.
                    for p in &with {
                        c.draw_series(std::iter::once(PathElement::new(
                            vec![(p.x, pinned(p.lo)), (p.x, pinned(p.hi))],
                            colour.mix(0.6).stroke_width(2),
                        )))?;
                    }
                    c.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                        .label(legend.as_str())
                        .legend(move |(x, y)| Circle::new((x + 15, y), 7, colour.filled()));
                }
                c.draw_series(
                    line.iter()
                        .map(|p| Circle::new((p.x, pinned(p.y)), 6, colour.filled())),
                )?;
            }
            for (k, (legend, curve)) in chart.curves.iter().enumerate() {
                let colour = palette::SERIES[k % palette::SERIES.len()];
                c.draw_series(DashedLineSeries::new(
                    curve.iter().map(|&(x, y)| (x, pinned(y))),
                    12,
                    8,
                    colour.stroke_width(3),
                ))?
                .label(legend.as_str())
                .legend(move |at| super::plots::legend_line(at, colour.stroke_width(3), true));
            }
            if chart.frontier.len() >= 2 {
                c.draw_series(LineSeries::new(
                    chart.frontier.iter().map(|&i| (pts[i].x, pts[i].y)),
                    red.stroke_width(2),
                ))?
                .label("Pareto frontier: no variant is both cheaper and faster")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 30, y)], red.stroke_width(3))
                });
            }
            let green = RGBColor(44, 160, 44);
            if let Some((lo, hi, legend)) = &chart.band_x {
                c.draw_series(std::iter::once(Rectangle::new(
                    [(*lo, y0), (*hi, y1)],
                    green.mix(0.22).filled(),
                )))?
                .label(legend.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 30, y + 8)], green.mix(0.4).filled())
                });
            }
            if let Some((y, legend)) = &chart.threshold {
                let y = *y;
                c.draw_series(DashedLineSeries::new(
                    [(x0, y), (x1, y)],
                    12,
                    8,
                    BLACK.stroke_width(2),
                ))?
                .label(legend.as_str())
                .legend(|at| super::plots::legend_line(at, BLACK.stroke_width(2), true));
            }
            c.draw_series(
                pts.iter()
                    .enumerate()
                    .filter(|(i, _)| !chart.failed.contains(i))
                    .map(|(i, p)| {
                        let on = chart.frontier.contains(&i);
                        Circle::new(
                            (p.x, pinned(p.y)),
                            7,
                            if on { red.filled() } else { blue.filled() },
                        )
                    }),
            )?;
            if !chart.failed.is_empty() {
                c.draw_series(
                    chart
                        .failed
                        .iter()
                        .filter_map(|&i| pts.get(i))
                        .map(|p| Cross::new((p.x, pinned(p.y)), 8, red.stroke_width(3))),
                )?
                .label("probe that broke an SLO")
                .legend(move |(x, y)| Cross::new((x + 15, y), 8, red.stroke_width(3)));
            }
            if let Some(i) = chart.chosen {
                c.draw_series(std::iter::once(Circle::new(
                    (pts[i].x, pts[i].y),
                    14,
                    RGBColor(44, 160, 44).stroke_width(4),
                )))?
                .label("cheapest that meets every requirement")
                .legend(|(x, y)| {
                    Circle::new((x + 15, y), 8, RGBColor(44, 160, 44).stroke_width(3))
                });
            }
            // Labels beside points, in rows so that neighbours do not collide.
            for (k, p) in pts.iter().enumerate().filter(|(_, p)| !p.label.is_empty()) {
                let area = c.plotting_area();
                let (px, py) = area.map_coordinate(&(p.x, p.y));
                let (bx, by) = area.get_base_pixel();
                let dy = if k % 2 == 0 { -30 } else { 12 };
                // A label that would run past the right edge goes to the point's left (about
                // 11 px a character at this size).
                let width = 11 * p.label.chars().count() as i32;
                let right = area.dim_in_pixel().0 as i32;
                let x = px - bx + 10;
                let x = if x + width > right {
                    px - bx - 10 - width
                } else {
                    x
                };
                area.strip_coord_spec().draw(&Text::new(
                    p.label.clone(),
                    (x, py - by + dy),
                    (FONT, 20).into_font().color(&RGBColor(60, 60, 60)),
                ))?;
            }
            // A frontier of one point draws no line, so it has no legend entry: a legend of
            // it alone would be an empty box.
            if chart.frontier.len() >= 2
                || !chart.lines.is_empty()
                || !chart.curves.is_empty()
                || chart.chosen.is_some()
                || !chart.failed.is_empty()
                || chart.threshold.is_some()
                || chart.band_x.is_some()
            {
                // A threshold chart's upper right holds the probes that broke it.
                c.configure_series_labels()
                    .position(if chart.threshold.is_some() || !chart.curves.is_empty() {
                        SeriesLabelPosition::UpperLeft
                    } else {
                        SeriesLabelPosition::UpperRight
                    })
                    .legend_area_size(super::plots::LEGEND_ICON)
                    .background_style(WHITE.mix(0.85))
                    .border_style(RGBColor(180, 180, 180))
                    .label_font((FONT, 22))
                    .draw()?;
            }
        }};
    }
    if chart.log_x {
        let mut c = builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?;
        plot!(c);
    } else {
        let mut c = builder.build_cartesian_2d(x0..x1, y0..y1)?;
        plot!(c);
    }
    Ok(())
}

/// The points no other beats on both x and y (lower is better on both): indices, by x.
pub fn pareto(points: &[(f64, f64)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite())
        .collect();
    idx.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[a].1.total_cmp(&points[b].1))
    });
    let mut out = Vec::new();
    let mut best_y = f64::INFINITY;
    for i in idx {
        if points[i].1 < best_y {
            best_y = points[i].1;
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontier_keeps_what_nothing_beats_on_both() {
        // (cost, p99): b is beaten by a (cheaper and faster); c is faster but dearer; d is
        // the fastest and dearest.
        let pts = [(1.0, 100.0), (2.0, 120.0), (3.0, 50.0), (4.0, 10.0)];
        assert_eq!(pareto(&pts), vec![0, 2, 3]);
    }
}
