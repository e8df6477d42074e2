//! Charts of one number against another, for experiments: a metric against a swept parameter
//! (the mean over seeds, its 95 % interval shaded), and cost against p99 latency with the
//! Pareto frontier drawn through the variants no other beats on both (among those the
//! experiment keeps on it: `experiment::FRONTIER_ERROR_MARGIN`). Same size, fonts and
//! palette as the time-series charts; rendered to SVG and PNG.

use super::plots::{self, encode_png, palette, HEIGHT, WIDTH};
use plotters::prelude::*;

const FONT: &str = "sans-serif";

/// The legends of the marks, which `legend_entries` sizes the legend's box by: the frontier's
/// line, a capacity search's probes (each chart is of one SLO: a probe broke it, held it but
/// broke another, or held them all), the chosen variant.
const FRONTIER: &str = "Pareto frontier: no variant is both cheaper and faster";
const FAILED_PROBE: &str = "probe that broke this SLO";
const OTHER_PROBE: &str = "probe that held this SLO, broke another";
const HELD_PROBE: &str = "probe that held every SLO";
const CHOSEN: &str = "cheapest that meets every requirement";

/// The legend of points left off the frontier for their errors.
const OFF_FRONTIER: &str = "off the frontier: errors over 0.1 percentage point above the fewest";

/// The legend of the points a frontier variant beats (filled blue): neither off the frontier
/// for their errors nor on it.
const BEATEN: &str = "beaten: a frontier variant is cheaper or faster, and no worse";

/// The legend of a frontier of one point.
const FRONTIER_ONE: &str = "Pareto frontier (a single point)";

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
    /// Points drawn hollow, left off the frontier for their errors
    /// (`experiment::FRONTIER_ERROR_MARGIN`), by index.
    pub off_frontier: Vec<usize>,
    /// One point singled out (the cheapest that meets the expectations), by index.
    pub chosen: Option<usize>,
    /// Points drawn as failures (red crosses): a capacity search's probes that broke the
    /// chart's SLO.
    pub failed: Vec<usize>,
    /// Points drawn as hollow orange triangles: a capacity search's probes that held the
    /// chart's SLO but broke another.
    pub broke_other: Vec<usize>,
    /// Whether the points are a capacity search's probes: the plain dots, which held every
    /// SLO, are named in the legend too.
    pub probes: bool,
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
    /// The legend of the points with an x and no y (`absent`: a variant whose every request
    /// failed has no latency), drawn as grey crosses along the top of the chart and named
    /// there; `None`: such points are not drawn (they had been pinned to the top edge
    /// unexplained, as if they were the slowest).
    pub no_value: Option<String>,
}

/// Whether a point has an x and no y: a variant without the figure charted.
fn absent(p: &Point) -> bool {
    p.x.is_finite() && p.y.is_nan()
}

/// The chart's points with no y, of `points` and of every line: the grey crosses, and
/// whether the legend names them.
fn absent_points(chart: &XyChart) -> impl Iterator<Item = &Point> {
    chart
        .points
        .iter()
        .chain(chart.lines.iter().flat_map(|(_, l)| l))
        .filter(|p| absent(p))
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

/// The range of the positive values on a log axis, with a margin of a fifth each way (a
/// linear margin below the least would reach zero, and the axis down to 10⁻¹²).
fn log_extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.1, 10.0);
    }
    (lo / 1.2, hi * 1.2)
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
        // One value: half of it each way (seven variants at $0.059 drew from $0 to $1.06,
        // all in the left twentieth), or a unit around zero.
        let half = if lo == 0.0 { 0.5 } else { lo.abs() * 0.5 };
        hi = lo + half;
        if !(from_zero && lo == 0.0) {
            lo -= half;
        }
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
    let (top, body) = root.split_vertically(TITLE_PX);
    let (width, _) = top.dim_in_pixel();
    let size = plots::title_size(&chart.title, width.saturating_sub(48));
    top.draw(&Text::new(
        chart.title.clone(),
        (24, 10 + (36 - size as i32) / 2),
        plots::bold(size).color(&BLACK),
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
        log_extent(all().map(|p| p.x))
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
    let (width, height) = root.dim_in_pixel();
    let area = (
        width as i32 - MARGIN_LEFT - Y_LABEL_PX - MARGIN_RIGHT,
        height as i32 - TITLE_PX as i32 - MARGIN_TOP - X_LABEL_PX,
    );
    let y1 = headroom(chart, area, (x0, x1), (y0, y1));
    let pinned = |y: f64| y.min(chart.y_cap.unwrap_or(y1)).min(y1);
    // Each axis's ticks in one unit (`axis_number`), but a log axis's each alone.
    let x_label = |v: f64| {
        if chart.log_x {
            super::plots::short_number(v)
        } else {
            super::plots::axis_number(v, &(x0..x1))
        }
    };
    // A parameter of whole numbers (servers, replicas, shards) gets whole ticks: at most one
    // per whole number in the range, so that no tick reads 1.5 replicas.
    let whole = (x1.floor() - x0.ceil() + 1.0).max(1.0) as usize;
    let x_ticks = if !chart.log_x && all().all(|p| p.x.fract() == 0.0) {
        whole.min(8)
    } else {
        8
    };
    let mut builder = ChartBuilder::on(&body);
    builder
        .margin_left(MARGIN_LEFT)
        .margin_right(MARGIN_RIGHT)
        .margin_top(MARGIN_TOP)
        .x_label_area_size(X_LABEL_PX)
        .y_label_area_size(Y_LABEL_PX);
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
                .x_labels(x_ticks)
                .y_labels(6)
                .x_label_formatter(&|v| x_label(*v))
                .y_label_formatter(&|v| super::plots::axis_number(*v, &(y0..y1)))
                .draw()?;
            // The interval of each point, as a shaded band (joined) or a bar (scattered).
            if chart.joined {
                let with: Vec<&Point> = pts.iter().filter(|p| p.lo.is_finite()).collect();
                if with.len() >= 2 {
                    let mut poly: Vec<(f64, f64)> = with.iter().map(|p| (p.x, p.hi)).collect();
                    poly.extend(with.iter().rev().map(|p| (p.x, p.lo)));
                    c.draw_series(std::iter::once(Polygon::new(poly, blue.mix(0.18).filled())))?;
                }
                // Broken where a point has no value: a segment across it would draw the
                // curve it does not have.
                for run in pts.split(|p| absent(p)) {
                    c.draw_series(LineSeries::new(
                        run.iter().map(|p| (p.x, p.y)),
                        blue.stroke_width(3),
                    ))?;
                }
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
                    for run in line.split(|p| absent(p)) {
                        c.draw_series(LineSeries::new(
                            run.iter().map(|p| (p.x, p.y)),
                            colour.stroke_width(3),
                        ))?;
                    }
                    c.draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
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
                        .filter(|p| !absent(p))
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
            let frontier_line = frontier_places(chart);
            if frontier_line.len() == 1 {
                // One point beats every other: no line, a red dot named in the legend.
                c.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                    .label(FRONTIER_ONE)
                    .legend(move |(x, y)| Circle::new((x + 15, y), 7, red.filled()));
            }
            if frontier_line.len() >= 2 {
                c.draw_series(LineSeries::new(frontier_line, red.stroke_width(2)))?
                    .label(FRONTIER)
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
            if !chart.off_frontier.is_empty() {
                c.draw_series(
                    chart
                        .off_frontier
                        .iter()
                        .filter_map(|&i| pts.get(i))
                        .filter(|p| !absent(p))
                        .map(|p| Circle::new((p.x, pinned(p.y)), 7, blue.stroke_width(3))),
                )?
                .label(OFF_FRONTIER)
                .legend(move |(x, y)| Circle::new((x + 15, y), 7, blue.stroke_width(3)));
            }
            // The frontier's dots last, so that a variant drawn on one of them (it sets what
            // the baseline has) does not hide its red.
            let mut dots: Vec<usize> = (0..pts.len())
                .filter(|i| plain(chart, *i) && !chart.off_frontier.contains(i))
                .filter(|i| !absent(&pts[*i]))
                .collect();
            dots.sort_by_key(|i| chart.frontier.contains(i));
            if beaten(chart) {
                c.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                    .label(BEATEN)
                    .legend(move |(x, y)| Circle::new((x + 15, y), 7, blue.filled()));
            }
            if held_probes(chart) {
                c.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                    .label(HELD_PROBE)
                    .legend(move |(x, y)| Circle::new((x + 15, y), 7, blue.filled()));
            }
            c.draw_series(dots.into_iter().map(|i| {
                let on = chart.frontier.contains(&i);
                Circle::new(
                    (pts[i].x, pinned(pts[i].y)),
                    7,
                    if on { red.filled() } else { blue.filled() },
                )
            }))?;
            if !chart.broke_other.is_empty() {
                let orange = palette::SERIES[3];
                c.draw_series(
                    chart
                        .broke_other
                        .iter()
                        .filter_map(|&i| pts.get(i))
                        .map(|p| {
                            TriangleMarker::new((p.x, pinned(p.y)), 9, orange.stroke_width(3))
                        }),
                )?
                .label(OTHER_PROBE)
                .legend(move |(x, y)| TriangleMarker::new((x + 15, y), 9, orange.stroke_width(3)));
            }
            if !chart.failed.is_empty() {
                c.draw_series(
                    chart
                        .failed
                        .iter()
                        .filter_map(|&i| pts.get(i))
                        .map(|p| Cross::new((p.x, pinned(p.y)), 8, red.stroke_width(3))),
                )?
                .label(FAILED_PROBE)
                .legend(move |(x, y)| Cross::new((x + 15, y), 8, red.stroke_width(3)));
            }
            // The points with no value, as grey crosses along the top, named in the legend.
            let nothing: Vec<&Point> = absent_points(chart).collect();
            if let (Some(words), false) = (&chart.no_value, nothing.is_empty()) {
                let grey = RGBColor(110, 110, 110);
                c.draw_series(
                    nothing
                        .iter()
                        .map(|p| Cross::new((p.x, y1), 8, grey.stroke_width(3))),
                )?
                .label(words.as_str())
                .legend(move |(x, y)| Cross::new((x + 15, y), 8, grey.stroke_width(3)));
            }
            if let Some(i) = chart.chosen {
                c.draw_series(std::iter::once(Circle::new(
                    (pts[i].x, pts[i].y),
                    14,
                    RGBColor(44, 160, 44).stroke_width(4),
                )))?
                .label(CHOSEN)
                .legend(|(x, y)| {
                    Circle::new((x + 15, y), 8, RGBColor(44, 160, 44).stroke_width(3))
                });
            }
            // The legend where it hides the fewest marks, then each label beside its own
            // point where it covers no mark, no other label and not the legend.
            let area = c.plotting_area();
            let (bx, by) = area.get_base_pixel();
            let (w_px, h_px) = area.dim_in_pixel();
            // A point with no value stands at the top.
            let at = |x: f64, y: f64| {
                let y = if y.is_nan() { y1 } else { pinned(y) };
                let (px, py) = area.map_coordinate(&(x, y));
                (px - bx, py - by)
            };
            let shown = |p: &Point| shown(chart, p);
            let (marks, lines) = marks_of(chart, &at, (x0, x1));
            let labels = shared_labels(pts, at, shown);
            let entries = legend_entries(chart);
            let prefer_left = prefers_left(chart);
            let placed = layout(
                &marks,
                &lines,
                &labels
                    .iter()
                    .map(|(text, xy)| (*xy, text.chars().count()))
                    .collect::<Vec<_>>(),
                (!entries.is_empty()).then(|| legend_size(&entries)),
                (w_px as i32, h_px as i32),
                prefer_left,
            );
            let grey = RGBColor(60, 60, 60);
            for ((text, point), &(x, y, leader)) in labels.iter().zip(&placed.labels) {
                let flat = area.strip_coord_spec();
                if let Some(end) = leader {
                    flat.draw(&PathElement::new(
                        vec![*point, end],
                        grey.mix(0.5).stroke_width(1),
                    ))?;
                }
                flat.draw(&Text::new(
                    text.clone(),
                    (x, y),
                    (FONT, 20).into_font().color(&grey),
                ))?;
            }
            if !entries.is_empty() {
                c.configure_series_labels()
                    .position(placed.legend)
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

/// The chart's frame [px]: the title's band, the margins and the axes' label areas around
/// the plotting area.
const TITLE_PX: u32 = 88;
const MARGIN_LEFT: i32 = 16;
const MARGIN_RIGHT: i32 = 48;
const MARGIN_TOP: i32 = 8;
const X_LABEL_PX: i32 = 64;
const Y_LABEL_PX: i32 = 120;

/// Whether the legend tries the upper left first: a threshold's or a theory's legend entry
/// reads best there (their lines leave the upper left freer).
fn prefers_left(chart: &XyChart) -> bool {
    chart.threshold.is_some() || !chart.curves.is_empty()
}

/// Where a point is drawn in a plotting area of `w` by `h` px with these axes' ranges, as
/// plotters maps it: a value above the cap or the axis on its top, one with no value at the
/// top.
fn pixels(
    chart: &XyChart,
    (w, h): (i32, i32),
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> impl Fn(f64, f64) -> (i32, i32) + '_ {
    move |x: f64, y: f64| {
        let across = if chart.log_x {
            (x.ln() - x0.ln()) / (x1.ln() - x0.ln())
        } else {
            (x - x0) / (x1 - x0)
        };
        let up = if y.is_nan() {
            1.0
        } else {
            (y.min(chart.y_cap.unwrap_or(y1)).min(y1) - y0) / (y1 - y0)
        };
        (
            (across * f64::from(w)).round() as i32,
            ((1.0 - up) * f64::from(h)).round() as i32,
        )
    }
}

/// The top of the y axis: `y1`, or higher when the legend would cover something wherever
/// it went (a column of variants of one cost spans the height, and the legend is wider
/// than half the chart; a sweep's line runs under every corner), so that everything drawn
/// keeps below a legend in a top corner. `area`: the plotting area [px]; the axes' ranges
/// as drawn without it.
fn headroom(
    chart: &XyChart,
    (w, h): (i32, i32),
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> f64 {
    let entries = legend_entries(chart);
    if entries.is_empty() || y1 <= y0 || x1 <= x0 {
        return y1;
    }
    let (lw, lh) = legend_size(&entries);
    // The legend's band, its padding and a dot's radius with room to spare.
    let room = lh + 2 * PAD + 12;
    if 2 * room > h {
        return y1;
    }
    let pinned = |y: f64| y.min(chart.y_cap.unwrap_or(y1)).min(y1);
    let at = pixels(chart, (w, h), (x0, x1), (y0, y1));
    let (marks, lines) = marks_of(chart, &at, (x0, x1));
    let (_, cost) = legend_place(&marks, &lines, (lw, lh), (w, h), prefers_left(chart));
    if cost == 0 {
        return y1;
    }
    let curve_ys = chart.curves.iter().flat_map(|(_, c)| c.iter().map(|p| p.1));
    let top = chart
        .points
        .iter()
        .chain(chart.lines.iter().flat_map(|(_, l)| l))
        .filter(|p| shown(chart, p))
        .flat_map(|p| [p.y, p.hi])
        .chain(curve_ys)
        .chain(chart.threshold.as_ref().map(|(y, _)| *y))
        .filter(|y| y.is_finite())
        .map(pinned)
        .fold(y0, f64::max);
    (y0 + (top - y0) * f64::from(h) / f64::from(h - room)).max(y1)
}

/// Whether a point is drawn: with an x, and a y or (named in the legend) none.
fn shown(chart: &XyChart, p: &Point) -> bool {
    p.x.is_finite() && (p.y.is_finite() || (absent(p) && chart.no_value.is_some()))
}

/// What the legend and the labels should not cover, in pixels of the plotting area (`at`
/// maps a point there, one with no y to the top): each point's dot, its interval's bar and
/// the chosen point's ring (`marks`); the joined lines', curves', the frontier's and the
/// threshold's segments, a bit every 6 px (`lines`). `x0..x1`: the x axis's range.
fn marks_of(
    chart: &XyChart,
    at: &dyn Fn(f64, f64) -> (i32, i32),
    (x0, x1): (f64, f64),
) -> (Vec<Mark>, Vec<Mark>) {
    let pts = &chart.points;
    let (mut marks, mut lines): (Vec<Mark>, Vec<Mark>) = (Vec::new(), Vec::new());
    for p in pts.iter().chain(chart.lines.iter().flat_map(|(_, l)| l)) {
        if !shown(chart, p) {
            continue;
        }
        let (x, y) = at(p.x, p.y);
        marks.push(Mark::dot(x, y));
        if p.lo.is_finite() && p.hi.is_finite() {
            marks.push(Mark::bar(x, at(p.x, p.hi).1, at(p.x, p.lo).1));
        }
    }
    // A joined line's segments, every few pixels.
    let joined: Vec<&[Point]> = if chart.joined {
        std::iter::once(pts.as_slice())
            .chain(chart.lines.iter().map(|(_, l)| l.as_slice()))
            .collect()
    } else {
        Vec::new()
    };
    // Joined lines', curves' and the frontier's segments; the chosen point's ring; a
    // threshold's line.
    let mut segments: Vec<((f64, f64), (f64, f64))> = Vec::new();
    for line in joined {
        segments.extend(
            line.windows(2)
                .map(|w| ((w[0].x, w[0].y), (w[1].x, w[1].y))),
        );
    }
    for (_, c) in &chart.curves {
        segments.extend(c.windows(2).map(|w| (w[0], w[1])));
    }
    for w in chart.frontier.windows(2) {
        segments.push(((pts[w[0]].x, pts[w[0]].y), (pts[w[1]].x, pts[w[1]].y)));
    }
    if let Some((y, _)) = &chart.threshold {
        segments.push(((x0, *y), (x1, *y)));
    }
    for (a, b) in segments {
        if [a.0, a.1, b.0, b.1].iter().all(|v| v.is_finite()) {
            let (a, b) = (at(a.0, a.1), at(b.0, b.1));
            lines.extend(along(a, b, 6).map(|(x, y)| Mark::bar(x, y - 2, y + 2)));
        }
    }
    if let Some(p) = chart.chosen.and_then(|i| pts.get(i)) {
        let (x, y) = at(p.x, p.y);
        marks.push(Mark::around(x, y, 17));
    }
    (marks, lines)
}

/// A drawn mark a label or the legend should not cover, in pixels of the plotting area: a
/// box from `(x0, y0)` to `(x1, y1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Mark {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl Mark {
    /// The box of `w` by `h` from its top left `(x, y)`.
    fn new(x: i32, y: i32, w: i32, h: i32) -> Mark {
        Mark {
            x0: x,
            y0: y,
            x1: x + w,
            y1: y + h,
        }
    }

    /// The square `r` px each way around `(x, y)`.
    fn around(x: i32, y: i32, r: i32) -> Mark {
        Mark::new(x - r, y - r, 2 * r, 2 * r)
    }

    /// A point's dot (radius 7, with room around it; the chosen one's ring is its own mark).
    fn dot(x: i32, y: i32) -> Mark {
        Mark::around(x, y, 9)
    }

    /// A point's interval, a vertical bar from `top` to `bottom`.
    fn bar(x: i32, top: i32, bottom: i32) -> Mark {
        Mark::new(x - 2, top.min(bottom), 4, (top - bottom).abs())
    }

    /// The box grown by `by` px on every side.
    fn grown(&self, by: i32) -> Mark {
        Mark::new(
            self.x0 - by,
            self.y0 - by,
            self.x1 - self.x0 + 2 * by,
            self.y1 - self.y0 + 2 * by,
        )
    }

    /// Whether the two overlap (touching is not overlapping).
    fn meets(&self, o: &Mark) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    /// Whether `(x, y)` lies in it, its edges included.
    fn holds(&self, (x, y): (i32, i32)) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }
}

/// Points every `step` pixels from `a` to `b`, both ends left out (they are marks already).
fn along(a: (i32, i32), b: (i32, i32), step: i32) -> impl Iterator<Item = (i32, i32)> {
    let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
    let n = ((dx.hypot(dy) / f64::from(step)) as i32).clamp(0, 400);
    (1..n).map(move |k| {
        let t = f64::from(k) / f64::from(n);
        (a.0 + (dx * t) as i32, a.1 + (dy * t) as i32)
    })
}

/// Each point's label where it is drawn (`at`: its pixel). Points drawn on one another share
/// one label naming each: "a = b" when their figures are the same (a variant that sets what
/// the baseline has), "a ≈ b" when they only look it, their figures differing by less than
/// the drawing shows (the table beside the chart has them).
fn shared_labels(
    pts: &[Point],
    at: impl Fn(f64, f64) -> (i32, i32),
    shown: impl Fn(&Point) -> bool,
) -> Vec<(String, (i32, i32))> {
    // Each label, its pixel, and the figures of its first point.
    type Shared = (String, (i32, i32), (f64, f64));
    let mut labels: Vec<Shared> = Vec::new();
    for p in pts.iter().filter(|p| !p.label.is_empty() && shown(p)) {
        let xy = at(p.x, p.y);
        match labels
            .iter_mut()
            .find(|(_, o, _)| (o.0 - xy.0).abs() <= 3 && (o.1 - xy.1).abs() <= 3)
        {
            Some((text, _, first)) => {
                let same = |a: f64, b: f64| {
                    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || (a.is_nan() && b.is_nan())
                };
                let sign = if same(first.0, p.x) && same(first.1, p.y) {
                    " = "
                } else {
                    " ≈ "
                };
                text.push_str(sign);
                text.push_str(&p.label);
            }
            None => labels.push((p.label.clone(), xy, (p.x, p.y))),
        }
    }
    labels.into_iter().map(|(t, xy, _)| (t, xy)).collect()
}

/// Whether point `i` is drawn as a plain dot: not a capacity probe that broke an SLO.
fn plain(chart: &XyChart, i: usize) -> bool {
    !chart.failed.contains(&i) && !chart.broke_other.contains(&i)
}

/// Whether some probe of a capacity search held every SLO (a plain dot, named then).
fn held_probes(chart: &XyChart) -> bool {
    chart.probes
        && (0..chart.points.len()).any(|i| {
            plain(chart, i) && chart.points[i].x.is_finite() && chart.points[i].y.is_finite()
        })
}

/// Whether some point is drawn filled blue beside a frontier: a variant on neither the
/// frontier nor off it for its errors, which a frontier variant beats.
fn beaten(chart: &XyChart) -> bool {
    !chart.frontier.is_empty()
        && (0..chart.points.len()).any(|i| {
            !chart.frontier.contains(&i)
                && !chart.off_frontier.contains(&i)
                && plain(chart, i)
                && chart.points[i].x.is_finite()
                && chart.points[i].y.is_finite()
        })
}

/// The places the frontier passes through, in its order: a variant equal to another (the
/// baseline swept onto its own value) is on it too, at the same place (`pareto` keeps such
/// twins side by side), and makes no line of it.
fn frontier_places(chart: &XyChart) -> Vec<(f64, f64)> {
    let mut places: Vec<(f64, f64)> = chart
        .frontier
        .iter()
        .map(|&i| (chart.points[i].x, chart.points[i].y))
        .collect();
    places.dedup();
    places
}

/// What the legend lists: each line's and curve's name, then the marks' meanings.
fn legend_entries(chart: &XyChart) -> Vec<&str> {
    let mut e: Vec<&str> = chart
        .lines
        .iter()
        .map(|(l, _)| l.as_str())
        .chain(chart.curves.iter().map(|(l, _)| l.as_str()))
        .collect();
    match frontier_places(chart).len() {
        0 => {}
        1 => e.push(FRONTIER_ONE),
        _ => e.push(FRONTIER),
    }
    if beaten(chart) {
        e.push(BEATEN);
    }
    if !chart.off_frontier.is_empty() {
        e.push(OFF_FRONTIER);
    }
    e.extend(chart.band_x.as_ref().map(|(_, _, l)| l.as_str()));
    e.extend(chart.threshold.as_ref().map(|(_, l)| l.as_str()));
    if held_probes(chart) {
        e.push(HELD_PROBE);
    }
    if !chart.broke_other.is_empty() {
        e.push(OTHER_PROBE);
    }
    if !chart.failed.is_empty() {
        e.push(FAILED_PROBE);
    }
    if chart.chosen.is_some() {
        e.push(CHOSEN);
    }
    if let (Some(words), true) = (&chart.no_value, absent_points(chart).next().is_some()) {
        e.push(words);
    }
    e
}

/// The legend's box [px], as wide as its longest entry could be in any sans-serif face:
/// 0.6 em a character at 22 px (the drawing's own face is narrower, and a browser may show
/// the SVG in a wider one), plus the icon and margins; 30 px a row.
fn legend_size(entries: &[&str]) -> (i32, i32) {
    let longest = entries.iter().map(|e| e.chars().count()).max().unwrap_or(0) as i32;
    (
        longest * 66 / 5 + super::plots::LEGEND_ICON as i32 + 20,
        entries.len() as i32 * 30 + 12,
    )
}

/// A label's top left and, when it sits a row or more from its point, where the line drawn
/// to it from the point ends [px of the plotting area].
type Placed = (i32, i32, Option<(i32, i32)>);

/// Where the legend and the labels go.
struct Layout {
    legend: SeriesLabelPosition,
    /// Each label's top left [px of the plotting area], in the order given, and the end of
    /// the line drawn to it from its point when it sits a row or more away.
    labels: Vec<Placed>,
}

/// Room between the legend and the plotting area's edges [px].
const PAD: i32 = 6;

/// What box `b` covers: a hundred for each of `marks` (a point, a label, the legend), one
/// for each bit of a line (one every 6 px), which text can cross and still be read.
fn covered<'m>(b: &Mark, marks: impl Iterator<Item = &'m Mark>, lines: &[Mark]) -> usize {
    100 * marks.filter(|m| m.meets(b)).count() + lines.iter().filter(|m| m.meets(b)).count()
}

/// The legend's box (of `size`) in the first of the corners and the middles of the sides,
/// the upper right first (the upper left with `prefer_left`), that covers the least, and
/// what it covers (`covered`).
fn legend_place(
    marks: &[Mark],
    lines: &[Mark],
    (lw, lh): (i32, i32),
    (w, h): (i32, i32),
    prefer_left: bool,
) -> (Mark, usize) {
    let (right, left, mid) = (w - lw - PAD, PAD, (h - lh) / 2);
    let mut places = [
        (right, PAD),
        (left, PAD),
        (right, h - lh - PAD),
        (left, h - lh - PAD),
        (right, mid),
        (left, mid),
    ];
    if prefer_left {
        places.swap(0, 1);
    }
    places
        .into_iter()
        .map(|(x, y)| {
            let b = Mark::new(x, y, lw, lh);
            (b, covered(&b, marks.iter(), lines))
        })
        .min_by_key(|&(_, cost)| cost)
        .expect("six places")
}

/// The legend (`legend`: its size, if there is one) in the place among the corners and the
/// middles of the sides that covers the fewest `marks` (the upper right first, or the upper
/// left with `prefer_left`), given by its top left; then each label (its point and its length
/// in characters, 11 px each at 20 px type), in the order of the points from the left, beside
/// its own point on the side of the least cost: a point, a label or the legend covered costs
/// 100, a bit of one of `lines` 1, each row away 6, sitting beside another point 50, leaving
/// the area 1,000. A label is never moved away from its point, so it names only its own.
fn layout(
    marks: &[Mark],
    lines: &[Mark],
    labels: &[((i32, i32), usize)],
    legend: Option<(i32, i32)>,
    (w, h): (i32, i32),
    prefer_left: bool,
) -> Layout {
    let covered = |b: &Mark, taken: &[Mark]| covered(b, marks.iter().chain(taken), lines);
    let mut taken: Vec<Mark> = Vec::new();
    let mut position = SeriesLabelPosition::UpperRight;
    if let Some(size) = legend {
        let (best, _) = legend_place(marks, lines, size, (w, h), prefer_left);
        // By its top left, so that a face wider than the drawing's still fits the box.
        position = SeriesLabelPosition::Coordinate(best.x0, best.y0);
        taken.push(best);
    }
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| (labels[i].0 .0, labels[i].0 .1));
    let mut out = vec![(0, 0, None); labels.len()];
    for i in order {
        let ((px, py), chars) = labels[i];
        let (lw, lh) = (11 * chars as i32, 22);
        // Beside the point, then a row further up or down at a time (with a line to it),
        // to its right and then to its left.
        let mut sides = vec![(px + 12, py - lh / 2, 0), (px - 12 - lw, py - lh / 2, 0)];
        // Clear of the point's own dot (`Mark::dot`, 9 px each way).
        for row in 0..8 {
            let up = py - lh - 10 - row * (lh + 6);
            let down = py + 10 + row * (lh + 6);
            sides.extend([
                (px + 10, up, row),
                (px + 10, down, row),
                (px - 10 - lw, up, row),
                (px - 10 - lw, down, row),
            ]);
        }
        // The first side of the least cost.
        let (x, y, row) = sides
            .into_iter()
            .min_by_key(|&(x, y, row)| {
                let b = Mark::new(x, y, lw, lh);
                let outside = usize::from(x < 0 || y < 0 || x + lw > w || y + lh > h);
                // A label beside another labelled point would seem to name it.
                let beside_other = labels
                    .iter()
                    .enumerate()
                    .filter(|&(k, &(o, _))| {
                        k != i && (o.0 - px).abs() + (o.1 - py).abs() > 3 && b.grown(14).holds(o)
                    })
                    .count();
                // A row further away costs as much as 36 px of line under the label (a
                // line crossing it upright covers about 22).
                covered(&b, &taken) + 1000 * outside + 6 * row as usize + 50 * beside_other
            })
            .expect("34 sides");
        taken.push(Mark::new(x, y, lw, lh).grown(3));
        // The line ends at the label's near corner, at its middle's height.
        let end = (row > 0).then(|| (if x > px { x - 2 } else { x + lw + 2 }, y + lh / 2));
        out[i] = (x, y, end);
    }
    Layout {
        legend: position,
        labels: out,
    }
}

/// The points no other beats on both x and y (lower is better on both): indices, by x. A
/// point equal to one on the frontier is on it too: nothing beats it (a variant that
/// changes nothing the chart measures, such as the baseline swept onto its own value).
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
        let twin = out
            .last()
            .is_some_and(|&last: &usize| points[last] == points[i]);
        if points[i].1 < best_y || twin {
            best_y = points[i].1;
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {

    fn point(x: f64, y: f64, label: &str) -> Point {
        Point {
            x,
            y,
            lo: f64::NAN,
            hi: f64::NAN,
            label: label.into(),
        }
    }

    #[test]
    fn one_value_gets_an_axis_around_it() {
        let (lo, hi) = extent([0.059, 0.059].into_iter(), false);
        assert!(
            lo > 0.0 && lo < 0.059 && hi > 0.059 && hi < 0.1,
            "{lo} {hi}"
        );
        assert_eq!(extent([0.0].into_iter(), true), (0.0, 0.54));
        assert_eq!(extent(std::iter::empty(), true), (0.0, 1.0));
    }

    #[test]
    fn a_parameter_of_whole_numbers_gets_whole_ticks() {
        // A lecturer's sweep of 1 to 3 servers read "1.5" and "2.5" under the axis.
        let ticks = |xs: &[f64]| {
            let chart = XyChart {
                points: xs.iter().map(|&x| point(x, x * 10.0, "")).collect(),
                joined: true,
                x_desc: "servers".into(),
                ..Default::default()
            };
            let svg = svg(&chart);
            // The x axis's tick labels: the texts below the plotting area, in its row.
            let texts: Vec<String> = svg
                .split("<text")
                .skip(1)
                .filter_map(|t| {
                    let at = |k: &str| -> Option<f64> {
                        t.split(&format!(" {k}=\""))
                            .nth(1)?
                            .split('"')
                            .next()?
                            .parse()
                            .ok()
                    };
                    let text = t.split('>').nth(1)?.split('<').next()?;
                    // Right of the y axis's labels (120 px and the margin).
                    (at("x")? > 140.0 && at("y")? > 600.0 && at("y")? < 690.0)
                        .then(|| text.trim().to_string())
                })
                .filter(|t| !t.is_empty() && t != "servers")
                .collect();
            texts
        };
        assert_eq!(ticks(&[1.0, 2.0, 3.0]), ["1", "2", "3"]);
        assert_eq!(ticks(&[1.0, 2.0]), ["1", "2"]);
        // Not whole: the finer ticks stay.
        let fine = ticks(&[1.0, 1.5, 2.0]);
        assert!(fine.iter().any(|t| t.contains('.')), "{fine:?}");
    }

    #[test]
    fn a_legend_that_would_cover_a_point_anywhere_gets_room_above_them() {
        // A user's variants all at one cost: a column of points and their bars over the
        // whole height, and a legend wider than half the chart, covered a bar wherever it
        // went. The axis's top is raised until a top corner is free of everything drawn.
        let bar = |x: f64, y: f64, lo: f64, hi: f64| Point {
            lo,
            hi,
            ..point(x, y, "v")
        };
        let chart = XyChart {
            points: vec![
                bar(0.0057, 0.7, 0.6, 0.8),
                bar(0.0057, 16.7, 14.3, 19.0),
                bar(0.0057, 20.9, 17.8, 24.0),
                bar(0.0057, 34.7, 29.5, 40.0),
            ],
            frontier: vec![0],
            ..Default::default()
        };
        let area = (1096, 560);
        let x = extent(chart.points.iter().map(|p| p.x), false);
        let y = extent(chart.points.iter().flat_map(|p| [p.y, p.hi]), true);
        let size = legend_size(&legend_entries(&chart));
        let cost = |y1: f64| {
            let (marks, lines) = marks_of(&chart, &pixels(&chart, area, x, (y.0, y1)), x);
            legend_place(&marks, &lines, size, area, false).1
        };
        assert!(cost(y.1) >= 100, "the case needs a covered point");
        let raised = headroom(&chart, area, x, y);
        assert!(raised > y.1);
        assert_eq!(cost(raised), 0);
        // A legend with a free corner leaves the axis as it was.
        let low = XyChart {
            points: vec![bar(1.0, 1.0, 0.5, 1.5), bar(2.0, 40.0, 39.0, 41.0)],
            frontier: vec![0],
            ..Default::default()
        };
        let xs = extent(low.points.iter().map(|p| p.x), false);
        let ys = extent(low.points.iter().flat_map(|p| [p.y, p.hi]), true);
        assert_eq!(headroom(&low, area, xs, ys), ys.1);
    }

    #[test]
    fn a_log_axis_spans_its_values_not_down_to_zero() {
        // A user's TTL sweep, 5 s to 30 min: its axis ran from 10⁻¹² and the five points
        // filled its right-hand seventh.
        let (lo, hi) = log_extent([5.0, 30.0, 60.0, 300.0, 1800.0, 0.0, f64::NAN].into_iter());
        assert_eq!((lo, hi), (5.0 / 1.2, 1800.0 * 1.2));
        assert_eq!(log_extent([300.0].into_iter()), (250.0, 360.0));
    }

    #[test]
    fn points_drawn_together_are_equal_only_when_their_figures_are() {
        // A user's two variants at $1.9891 and $1.9909 with the same p99 fell on one pixel:
        // they are close, not equal; a variant that sets what the baseline has is equal.
        let at = |x: f64, y: f64| ((x * 100.0) as i32, (y / 10.0) as i32);
        let pts = [
            point(1.9891, 200.0, "baseline"),
            point(1.9909, 200.0, "provisioned"),
            point(1.9891, 200.0, "same"),
            point(5.0, 900.0, "far"),
        ];
        let labels: Vec<String> = shared_labels(&pts, at, |p| p.y.is_finite())
            .into_iter()
            .map(|l| l.0)
            .collect();
        assert_eq!(labels, ["baseline ≈ provisioned = same", "far"]);
    }

    #[test]
    fn the_legend_explains_the_filled_points_a_frontier_beats() {
        let chart = XyChart {
            points: vec![
                point(1.0, 9.0, "a"),
                point(2.0, 5.0, "b"),
                point(3.0, 6.0, "c"),
            ],
            frontier: vec![0, 1],
            ..Default::default()
        };
        assert!(legend_entries(&chart).contains(&BEATEN));
        // Every point on the frontier: no filled blue point to explain.
        let all_on = XyChart {
            frontier: vec![0, 1, 2],
            ..chart.clone()
        };
        assert!(!legend_entries(&all_on).contains(&BEATEN));
        // Without a frontier (a sweep's line) there is nothing they are beaten by.
        let none = XyChart {
            frontier: Vec::new(),
            ..chart
        };
        assert!(!legend_entries(&none).contains(&BEATEN));
    }

    #[test]
    fn a_frontier_of_one_place_is_a_single_variant_however_many_share_it() {
        // The baseline and its swept twin, equal, alone on the frontier: one red dot.
        let chart = XyChart {
            points: vec![
                point(1.0, 5.0, "baseline"),
                point(1.0, 5.0, "x-1"),
                point(2.0, 9.0, "x-2"),
            ],
            frontier: vec![0, 1],
            ..Default::default()
        };
        let legend = legend_entries(&chart);
        assert!(
            legend.contains(&FRONTIER_ONE) && !legend.contains(&FRONTIER),
            "{legend:?}"
        );
    }
    use super::*;

    #[test]
    fn labels_name_their_own_points_without_covering_marks_labels_or_the_legend() {
        // The cost-against-p99 case a user met: seven variants along the top right of the
        // area, long names, and a legend of two entries whose usual corner is there.
        let (w, h) = (1100, 560);
        let xs = [80, 490, 730, 730, 940, 1010, 1020];
        let dots: Vec<(i32, i32)> = xs.iter().map(|&x| (x, 50)).collect();
        let marks: Vec<Mark> = dots.iter().map(|&(x, y)| Mark::dot(x, y)).collect();
        let labels: Vec<((i32, i32), usize)> = dots.iter().map(|&d| (d, 23)).collect();
        let legend = legend_size(&["Pareto frontier: the cheapest is also the fastest", "x"]);
        let placed = layout(&marks, &[], &labels, Some(legend), (w, h), false);
        // Not along the top, over the points: the lower right, inside the area.
        assert_eq!(
            format!("{:?}", placed.legend),
            format!(
                "{:?}",
                SeriesLabelPosition::Coordinate(w - legend.0 - 6, h - legend.1 - 6)
            )
        );
        let boxes: Vec<Mark> = placed
            .labels
            .iter()
            .zip(&labels)
            .map(|(&(x, y, _), &(_, n))| Mark::new(x, y, 11 * n as i32, 22))
            .collect();
        for (i, b) in boxes.iter().enumerate() {
            assert!(
                b.x0 >= 0 && b.y0 >= 0 && b.x1 <= w && b.y1 <= h,
                "{i}: {b:?}"
            );
            assert!(
                marks.iter().all(|m| !m.meets(b)),
                "{i} covers a point: {b:?}"
            );
            assert!(
                boxes[..i].iter().all(|o| !o.meets(b)),
                "{i} covers a label: {b:?}"
            );
            // Beside its own point: within a few rows, its line (when it has one) from it.
            let (px, py) = dots[i];
            assert!((b.y0 - py).abs() <= 8 * 28 + 30, "{i}: {b:?}");
            assert!(
                b.x0 - 12 <= px && px <= b.x1 + 12,
                "{i} is not at its point's side: {b:?}"
            );
            // Not beside another point, which it would seem to name.
            for (k, &(ox, oy)) in dots.iter().enumerate() {
                let apart = (ox - px).abs() + (oy - py).abs() > 3;
                let near = b.grown(10).holds((ox, oy));
                assert!(!(apart && near), "{i} sits beside point {k}: {b:?}");
            }
        }
        // A lone label goes right beside its point, with no line.
        let lone = layout(
            &[Mark::dot(300, 300)],
            &[],
            &[((300, 300), 8)],
            None,
            (w, h),
            false,
        );
        assert_eq!(lone.labels, vec![(312, 289, None)]);
    }

    #[test]
    fn the_legend_of_points_off_the_frontier_says_the_margin() {
        let margin = super::super::experiment::FRONTIER_ERROR_MARGIN * 100.0;
        assert!(OFF_FRONTIER.contains(&format!("errors over {margin} percentage point above")));
    }

    #[test]
    fn the_frontier_keeps_what_nothing_beats_on_both() {
        // (cost, p99): b is beaten by a (cheaper and faster); c is faster but dearer; d is
        // the fastest and dearest.
        let pts = [(1.0, 100.0), (2.0, 120.0), (3.0, 50.0), (4.0, 10.0)];
        assert_eq!(pareto(&pts), vec![0, 2, 3]);
        // A twin of a frontier point is on it too (nothing beats it); one as cheap but
        // slower is not.
        let pts = [(3.0, 50.0), (1.0, 100.0), (3.0, 50.0), (3.0, 60.0)];
        assert_eq!(pareto(&pts), vec![1, 0, 2]);
    }
}
