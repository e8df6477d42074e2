//! Time-series plots for projection: 1280×720, large type, units on every axis, a legend, the
//! same colours for the same things everywhere, and events drawn on every time axis.
//!
//! Each chart is described once (`Chart`) and rendered twice, to SVG and to PNG, from the
//! data in `SeriesTable`; nothing here runs a simulation or touches a file.

use super::table::{Band, Event, SeriesTable};
use crate::components::kind::{KindInfo, Mark, Tone};
use crate::components::registry;
use crate::faults;
use crate::workload;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::sync::Once;

pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 720;
const FONT: &str = "sans-serif";

/// Registers the bundled DejaVu Sans, so text renders the same on every machine and no
/// system font library is needed.
pub(crate) fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Colours used for the same meaning in every chart.
pub mod palette {
    use plotters::style::RGBColor;
    pub const P50: RGBColor = RGBColor(31, 119, 180);
    pub const P95: RGBColor = RGBColor(255, 127, 14);
    pub const P99: RGBColor = RGBColor(214, 39, 40);
    /// The p99 of all requests, failures among them, beside the successes' (dashed): a
    /// darker red.
    pub const P99_ALL: RGBColor = RGBColor(120, 20, 30);
    pub const OFFERED: RGBColor = RGBColor(40, 40, 40);
    /// Attempts beside what was offered: a hue of their own (with dashes), so that the two
    /// lines differ by more than a shade of grey on a projector.
    pub const ATTEMPTS: RGBColor = RGBColor(230, 110, 0);
    pub const UTILISATION: RGBColor = RGBColor(31, 119, 180);
    /// A limit drawn next to what uses it: the same hue, lighter.
    pub const UTILISATION_LIGHT: RGBColor = RGBColor(140, 190, 230);
    pub const ORANGE_LIGHT: RGBColor = RGBColor(255, 190, 130);
    pub const QUEUE: RGBColor = RGBColor(148, 103, 189);
    /// For comparisons: one colour per scenario, in order.
    pub const SERIES: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(23, 190, 207),
    ];

    /// The colour of a line by its role.
    pub fn tone(t: crate::components::kind::Tone) -> RGBColor {
        use crate::components::kind::Tone;
        match t {
            Tone::Load => UTILISATION,
            Tone::Limit => UTILISATION_LIGHT,
            Tone::Queue => QUEUE,
            Tone::Offered => OFFERED,
            Tone::Good => RGBColor(44, 160, 44),
            Tone::Bad => RGBColor(214, 39, 40),
            Tone::Warn => RGBColor(255, 127, 14),
            Tone::WarnLimit => ORANGE_LIGHT,
            // Brown: none of the other roles' hues, so it stands apart from a miss (orange)
            // and a stale read (red) on the same panel.
            Tone::Down => RGBColor(140, 86, 75),
        }
    }

    /// The colour of a final status: greens for success, yellow for throttles, warm colours
    /// for server errors. Every status archsim answers with has its own (a chart stacks them:
    /// two sharing a colour could not be told apart); any other falls back to a blue none of
    /// them uses.
    pub fn status(label: &str) -> RGBColor {
        use crate::status::*;
        // A status a scenario chose (an injected 404): one of colours none of the others
        // uses, by its number, so that two such statuses differ unless 6 apart.
        const REST: [RGBColor; 6] = [
            RGBColor(31, 119, 180),
            RGBColor(174, 199, 232),
            RGBColor(255, 127, 14),
            RGBColor(219, 219, 141),
            RGBColor(82, 84, 163),
            RGBColor(107, 110, 207),
        ];
        let Ok(code) = label.parse::<u16>() else {
            return match label {
                "timeout" => RGBColor(127, 127, 127),
                "error" => RGBColor(227, 119, 194),
                FUNCTION_ERROR_WORD => RGBColor(247, 182, 210),
                CORS_BLOCKED_WORD => RGBColor(255, 152, 150),
                _ => REST[0],
            };
        };
        match code {
            OK => RGBColor(44, 160, 44),
            ACCEPTED => RGBColor(152, 223, 138),
            c if is_success(c) => RGBColor(0, 100, 0),
            BAD_REQUEST => RGBColor(188, 189, 34),
            FORBIDDEN => RGBColor(23, 190, 207),
            PAYLOAD_TOO_LARGE => RGBColor(158, 218, 229),
            TOO_MANY_REQUESTS => RGBColor(255, 187, 34),
            INTERNAL_ERROR => RGBColor(140, 86, 75),
            BAD_GATEWAY => RGBColor(196, 156, 148),
            SERVICE_UNAVAILABLE => RGBColor(214, 39, 40),
            GATEWAY_TIMEOUT => RGBColor(148, 103, 189),
            CONNECT_FAILED => RGBColor(197, 176, 213),
            CONNECTION_RESET => RGBColor(120, 20, 20),
            other => REST[usize::from(other) % REST.len()],
        }
    }
}

/// One line of a chart: median over seeds, with the min-max range shaded when there are
/// several seeds.
pub struct Line {
    pub label: String,
    pub color: RGBColor,
    pub band: Band,
    pub dashed: bool,
}

/// How a panel's lines are drawn.
pub enum Kind {
    Lines,
    /// Lines stacked on top of each other, filled (throughput by status).
    Stacked,
}

pub struct Panel {
    pub y_desc: String,
    pub log_y: bool,
    pub kind: Kind,
    pub lines: Vec<Line>,
    /// Fixed y range, for quantities with natural bounds (utilisation 0-100 %).
    pub y_max: Option<f64>,
    /// The y range (bottom, top) this panel shares with its like in other charts
    /// (`share_scales`), over its own.
    pub shared: Option<(f64, f64)>,
    /// The limit lines left undrawn as off the scale (`off_scale`), as they were: a shared
    /// range that reaches them draws them again.
    pub hidden: Vec<Hidden>,
}

/// A line `off_scale` left undrawn: its place in the panel's lines, and its band and label
/// as they were.
pub struct Hidden {
    line: usize,
    band: Band,
    label: String,
}

pub struct Chart {
    pub title: String,
    /// A smaller second line: what is shown and how (seeds, markers).
    pub subtitle: String,
    pub panels: Vec<Panel>,
    /// End of the time axis [s].
    pub t_end: f64,
    pub warmup_s: f64,
    /// What the chart marks: the events of every seed shown. A span (a fault, a full
    /// queue) is drawn where the median seed has it, like the curves; instants (a scale-out)
    /// are those of `instants_seed`, which the subtitle names.
    pub events: Vec<Event>,
    pub instants_seed: u64,
    /// The kind of each component, for how its events are marked.
    pub kinds: BTreeMap<String, &'static KindInfo>,
}

/// Renders a chart to SVG text.
pub fn svg(chart: &Chart) -> String {
    fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        if let Err(e) = draw(&root, chart, Corners::Joined) {
            return error_svg(&format!("{e:?}"));
        }
        let _ = root.present();
    }
    out
}

/// Renders a chart to PNG bytes.
pub fn png(chart: &Chart) -> Vec<u8> {
    fonts();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = draw(&root, chart, Corners::Spiky);
        let _ = root.present();
    }
    encode_png(&rgb, WIDTH, HEIGHT)
}

pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        if let Ok(mut w) = enc.write_header() {
            let _ = w.write_image_data(rgb);
        }
    }
    bytes
}

fn error_svg(msg: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\"><text x=\"20\" y=\"40\">plot failed: {}</text></svg>",
        super::html::escape(msg)
    )
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// How a backend draws the corners of a wide line. SVG joins them round, whatever the angle;
/// the bitmap backend draws a mitre with no limit, and at a corner that turns back on itself
/// (a noisy series' p50 jumping up for one window, a line of several points a pixel column
/// at nearly every point) the mitre is a spike that runs out of the panel, over its
/// neighbours and the title.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Corners {
    Joined,
    Spiky,
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
    corners: Corners,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let title_height = if chart.subtitle.is_empty() { 60 } else { 88 };
    let (top, body) = root.split_vertically(title_height);
    // A long title (a variant's name in it) takes smaller type rather than run off the edge.
    let (width, _) = top.dim_in_pixel();
    let size = title_size(&chart.title, width.saturating_sub(48));
    top.draw(&Text::new(
        chart.title.clone(),
        (24, 10 + (36 - size as i32) / 2),
        bold(size).color(&BLACK),
    ))?;
    if !chart.subtitle.is_empty() {
        top.draw(&Text::new(
            chart.subtitle.clone(),
            (26, 56),
            (FONT, 22).into_font().color(&RGBColor(90, 90, 90)),
        ))?;
    }
    // The events' labels sit in a lane of their own above the panels, placed once, in rows
    // so that none covers another, and never over the data; each panel draws the marks.
    let (width, _) = body.dim_in_pixel();
    let (unit, _) = time_unit(chart.t_end);
    let marks = marks(
        &chart.events,
        chart.instants_seed,
        &chart.kinds,
        unit,
        (chart.warmup_s / unit, chart.t_end / unit),
    );
    let labels = layout(
        &marks,
        chart.t_end / unit,
        chart.warmup_s / unit,
        width as i32,
    );
    let rows = labels.iter().map(|l| l.row + 1).max().unwrap_or(0);
    let lane = if rows == 0 {
        0
    } else {
        8 + LABEL_ROW * rows as u32
    };
    let (lane_area, panels) = body.split_vertically(lane);
    for l in &labels {
        let y = 4 + LABEL_ROW as i32 * l.row as i32;
        // Under its words, a strip in its colour from its start to its end, nearer its own
        // words than the next row's (whose capitals reach a little above their row).
        for &(a, b) in &l.bars {
            lane_area.draw(&Rectangle::new(
                [(a, y + BAR_TOP), (b, y + BAR_TOP + BAR_HEIGHT)],
                l.color.mix(0.55).filled(),
            ))?;
        }
        lane_area.draw(&Text::new(
            l.text.clone(),
            (l.x, 4 + LABEL_ROW as i32 * l.row as i32),
            (FONT, LABEL_FONT).into_font().color(&l.color),
        ))?;
    }
    let prepared: Vec<Prepared> = chart.panels.iter().map(prepare).collect();
    let legend_font = (FONT, LEGEND_FONT).into_text_style(&panels);
    let text_width = |text: &str| {
        panels
            .estimate_text_size(text, &legend_font)
            .map_or(0, |(w, _)| w)
    };
    let plans = plan_panels(chart, &prepared, panels.dim_in_pixel(), &text_width);
    let breaks: Vec<i32> = plans.iter().skip(1).map(|p| p.y0).collect();
    let areas = panels.split_by_breakpoints::<i32, i32, _, _>([], breaks);
    for (((panel, prep), plan), area) in chart.panels.iter().zip(&prepared).zip(&plans).zip(&areas)
    {
        draw_panel(area, chart, panel, prep, plan, &marks, corners)?;
    }
    Ok(())
}

/// A panel's lines as drawn (stacked ones summed) and its y range.
struct Prepared {
    stacked: Option<Vec<Line>>,
    lo: f64,
    hi: f64,
}

impl Prepared {
    fn lines<'a>(&'a self, panel: &'a Panel) -> &'a [Line] {
        self.stacked.as_deref().unwrap_or(&panel.lines)
    }
}

fn prepare(panel: &Panel) -> Prepared {
    let stacked = stack(panel);
    let lines = stacked.as_deref().unwrap_or(&panel.lines);
    let (lo, hi) = y_extent(lines, panel.log_y);
    let hi = match (panel.y_max, panel.log_y, small_count(lines)) {
        (Some(top), _, _) => top,
        (None, false, Some(top)) => top,
        _ => hi,
    };
    let (lo, hi) = panel.shared.unwrap_or((lo, hi));
    Prepared { stacked, lo, hi }
}

/// Where a panel's legend goes.
#[derive(Debug)]
enum Legend {
    /// In the plotting area, at a place where it hides no line.
    Inside(SeriesLabelPosition),
    /// In rows above the plotting area, outside it.
    Above(Grid),
}

/// A legend laid out in rows above its panel: entry `i` in row `i / cols`, column `i % cols`;
/// each column's left edge [px from the plotting area's left].
#[derive(Debug, PartialEq)]
struct Grid {
    cols: usize,
    rows: usize,
    col_x: Vec<i32>,
    /// From the first column's left edge to the end of the widest row [px].
    width: i32,
}

/// A panel's place in the chart's body [px from the body's top]: its area from `y0` to `y1`,
/// the space above its plotting area (its legend's rows, if they go there) and below it (the
/// time axis's ticks, and on the last panel their labels), and its legend.
#[derive(Debug)]
struct PanelPlan {
    y0: i32,
    y1: i32,
    top: u32,
    x_label_area: u32,
    time_labels: bool,
    legend: Option<Legend>,
}

/// A box in pixels: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);

impl PanelPlan {
    /// The plotting area in the body, `width` px wide.
    fn plot(&self, width: u32) -> Rect {
        (
            PLOT_LEFT,
            self.y0 + self.top as i32,
            width as i32 - PLOT_RIGHT_MARGIN,
            self.y1 - self.x_label_area as i32,
        )
    }

    /// The box the legend takes in the body, `width` px wide: above the plotting area, or
    /// inside it where plotters puts a legend of `size` (`inside_legend_size`).
    #[cfg(test)]
    fn legend_box(&self, width: u32, size: (i32, i32)) -> Option<Rect> {
        let (x0, y0, x1, y1) = self.plot(width);
        match self.legend.as_ref()? {
            Legend::Above(g) => {
                let top = self.y0 + LEGEND_PAD as i32;
                Some((
                    x0,
                    top,
                    x0 + g.width,
                    top + g.rows as i32 * LEGEND_ROW as i32,
                ))
            }
            Legend::Inside(pos) => {
                use SeriesLabelPosition::*;
                let (w, h) = size;
                let x = match pos {
                    UpperLeft | MiddleLeft | LowerLeft => LEGEND_INSET,
                    UpperRight | MiddleRight | LowerRight => x1 - x0 - w - LEGEND_INSET,
                    UpperMiddle | MiddleMiddle | LowerMiddle => (x1 - x0 - w) / 2,
                    Coordinate(x, _) => *x,
                };
                let y = match pos {
                    UpperLeft | UpperMiddle | UpperRight => LEGEND_INSET,
                    MiddleLeft | MiddleMiddle | MiddleRight => (y1 - y0 - h) / 2,
                    LowerLeft | LowerMiddle | LowerRight => y1 - y0 - h - LEGEND_INSET,
                    Coordinate(_, y) => *y,
                };
                Some((x0 + x, y0 + y, x0 + x + w, y0 + y + h))
            }
        }
    }
}

/// The font size of a legend's labels and the height of a row of them [px].
const LEGEND_FONT: u32 = 22;
const LEGEND_ROW: u32 = 26;
/// Above a panel, the space over its legend's rows and between them and the plotting area,
/// so that they sit closer to their own panel than to the one above it [px].
const LEGEND_PAD: u32 = 6;
const LEGEND_GAP_BELOW: u32 = 4;
/// The space between two columns of a legend laid out above its panel [px].
const LEGEND_COL_GAP: i32 = 28;
/// The space under a panel that is not the last, whose time axis is not labelled: as much as
/// labels would take, or, when the legends are above the panels, room for the ticks [px].
const UNLABELLED: u32 = 28;
const TICKS_ONLY: u32 = 12;

/// Where each panel goes in a body of `(width, height)` px, and its legend. Each legend goes
/// in its plotting area where `legend_corner` finds a place that hides no line; when one of
/// the chart's panels has no such place, every panel's legend goes in rows above its
/// plotting area, where it can cover no line (and the chart reads alike from panel to
/// panel), and the panels share the height so that their plotting areas are equally tall.
/// `text_width` measures a legend's label [px].
fn plan_panels(
    chart: &Chart,
    prepared: &[Prepared],
    (width, height): (u32, u32),
    text_width: &dyn Fn(&str) -> u32,
) -> Vec<PanelPlan> {
    let n = chart.panels.len().max(1);
    let last = |i: usize| i + 1 == chart.panels.len();
    // The panels split evenly, each legend inside.
    let even = |i: usize| {
        let (size, n) = (height as usize, n);
        (i * (size / n) + i.min(size % n)) as i32
    };
    let mut plans: Vec<PanelPlan> = (0..chart.panels.len())
        .map(|i| PanelPlan {
            y0: even(i),
            y1: even(i + 1),
            top: PANEL_TOP,
            x_label_area: if last(i) { X_LABELS } else { UNLABELLED },
            time_labels: last(i),
            legend: None,
        })
        .collect();
    let mut all_free = true;
    for ((plan, panel), prep) in plans.iter_mut().zip(&chart.panels).zip(prepared) {
        let lines = prep.lines(panel);
        if lines.is_empty() {
            continue;
        }
        let (x0, y0, x1, y1) = plan.plot(width);
        let (hidden, pos) = legend_corner(
            lines,
            (prep.lo, prep.hi),
            panel.log_y,
            chart.t_end,
            ((x1 - x0).max(0) as u32, (y1 - y0).max(0) as u32),
            chart.warmup_s > 0.0,
        );
        all_free &= hidden == 0;
        plan.legend = Some(Legend::Inside(pos));
    }
    if all_free {
        return plans;
    }
    // Every legend above its panel; what is left of the height shared evenly by the
    // plotting areas.
    let room = (width as i32 - PLOT_RIGHT_MARGIN - PLOT_LEFT).max(1);
    for (i, (plan, panel)) in plans.iter_mut().zip(&chart.panels).enumerate() {
        let widths: Vec<i32> = panel
            .lines
            .iter()
            .map(|l| LEGEND_ICON as i32 + text_width(&l.label) as i32)
            .collect();
        plan.x_label_area = if last(i) { X_LABELS } else { TICKS_ONLY };
        plan.top = PANEL_TOP;
        plan.legend = None;
        if !widths.is_empty() {
            let grid = legend_grid(&widths, room);
            plan.top = LEGEND_PAD + grid.rows as u32 * LEGEND_ROW + LEGEND_GAP_BELOW;
            plan.legend = Some(Legend::Above(grid));
        }
    }
    let overhead: i32 = plans.iter().map(|p| (p.top + p.x_label_area) as i32).sum();
    let plot_room = (height as i32 - overhead).max(0) as usize;
    let mut y = 0;
    for (i, plan) in plans.iter_mut().enumerate() {
        let share = (plot_room / n + usize::from(i < plot_room % n)) as i32;
        plan.y0 = y;
        y += plan.top as i32 + share + plan.x_label_area as i32;
        plan.y1 = y;
    }
    plans
}

/// The fewest rows a legend of entries `widths` px wide takes in `room` px, in columns as
/// wide as their widest entry, `LEGEND_COL_GAP` apart: one row when they fit side by side,
/// then two, and so on (one entry a row when even that is too wide).
fn legend_grid(widths: &[i32], room: i32) -> Grid {
    let n = widths.len().max(1);
    for rows in 1..=n {
        let cols = n.div_ceil(rows);
        let col_w: Vec<i32> = (0..cols)
            .map(|c| {
                widths
                    .iter()
                    .skip(c)
                    .step_by(cols)
                    .copied()
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut col_x = Vec::with_capacity(cols);
        let mut x = 0;
        for w in &col_w {
            col_x.push(x);
            x += w + LEGEND_COL_GAP;
        }
        let total = x - LEGEND_COL_GAP;
        if total <= room || cols == 1 {
            return Grid {
                cols,
                rows: n.div_ceil(cols),
                col_x,
                width: total,
            };
        }
    }
    unreachable!("one column always fits")
}

/// The bundled bold face at `size`. Built whole: `FontDesc::style` keeps the face it was
/// given, so `.into_font().style(FontStyle::Bold)` draws the PNG in the regular face and
/// measures it so, while the SVG says bold.
pub(crate) fn bold(size: u32) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT), f64::from(size), FontStyle::Bold)
}

/// The largest type of 36 px down to 20 px in which a title fits in `room` px; the smallest
/// when none does.
pub(crate) fn title_size(text: &str, room: u32) -> u32 {
    sized_to_fit(text, room, |text, size| {
        bold(size).box_size(text).map_or(u32::MAX, |(w, _)| w)
    })
}

/// The largest type of 36 px down to 20 px that fits `text` in `room` px, given `width`, the
/// width of a text at a size [px]; the smallest when none does.
fn sized_to_fit(text: &str, room: u32, width: impl Fn(&str, u32) -> u32) -> u32 {
    (20..=36)
        .rev()
        .step_by(2)
        .find(|&size| width(text, size) <= room)
        .unwrap_or(20)
}

/// The height of a row of event labels, and their font size [px].
const LABEL_ROW: u32 = 28;
/// A span's strip in its label's row: from this far below the row's top [px], this thick.
/// The words of a row reach from about 3 px above its top to about 16 px below it: the
/// strip sits between them and the next row's words, clear of both.
const BAR_TOP: i32 = 18;
const BAR_HEIGHT: i32 = 3;
const LABEL_FONT: u32 = 20;
/// The most rows of labels a chart gives its events; the rest are counted in a last label.
const MAX_LABEL_ROWS: usize = 4;
/// Where a panel's plotting area starts and how much it leaves on the right [px]: the
/// margin and label area `draw_panel` gives the chart builder.
const PLOT_LEFT: i32 = 16 + 120;
const PLOT_RIGHT_MARGIN: i32 = 40;

/// What happened during the first seed, as the charts mark it: spans (a fault, a full
/// queue) by label with their colour, and instants (a scale-out) grouped when they repeat.
struct Marks {
    /// (label, colour, the spans as (start, end) in axis units).
    spans: Vec<Span>,
    /// (time in axis units, label, how many happened together).
    instants: Vec<(f64, String, usize)>,
    /// The labels of instants whose actor's event log was full before the chart's end
    /// (`MAX_EVENTS_PER_ACTOR`): their counts are the least there were.
    at_least: Vec<String>,
}

/// A labelled condition's spans: (label, colour, each (start, end) in axis units).
type Span = (String, RGBColor, Vec<(f64, f64)>);

/// An event's label placed in the lane: its left edge [px from the chart's left], its row,
/// and for a span's label the span's extents [px], drawn as strips in its row under it, so
/// that spans that overlap (a zone's outage and the database failover inside it) each show
/// where they start and end, which their shades, laid over one another, do not.
struct Placed {
    x: i32,
    row: usize,
    text: String,
    color: RGBColor,
    bars: Vec<(i32, i32)>,
}

/// A label before it has a row: where it would start [px], its words, colour and bars.
type Wanted = (i32, String, RGBColor, Vec<(i32, i32)>);

/// The width a label takes in the chart's font [px], a little generously.
fn label_width(text: &str) -> i32 {
    text.chars().count() as i32 * (LABEL_FONT as i32 * 62 / 100) + 8
}

/// Places each mark's label at its (first) time, in the first row where it covers no other label;
/// a label that would run off the right edge ends there instead. Labels beyond
/// `MAX_LABEL_ROWS` rows are left out and counted in a last one ("+3 more"). A count of
/// recurring marks says how many fell in the warmup (before `warmup`, in axis units), which
/// the summary's counts leave out.
fn layout(marks: &Marks, x_end: f64, warmup: f64, width: i32) -> Vec<Placed> {
    let right = width - PLOT_RIGHT_MARGIN;
    let px = |x: f64| PLOT_LEFT + ((x / x_end.max(1e-9)) * f64::from(right - PLOT_LEFT)) as i32;
    let mut wanted: Vec<Wanted> = Vec::new();
    for (label, color, list) in &marks.spans {
        if let Some(&(a, _)) = list.first() {
            let bars = list
                .iter()
                .map(|&(a, b)| (px(a), px(b).max(px(a) + 2)))
                .collect();
            wanted.push((px(a), label.clone(), *color, bars));
        }
    }
    // An instant that recurs (a scale-out at each step) is labelled once, at its first mark,
    // with how many marks it has: "web scale out (4 times)", "(15 times, 3 in the warmup)".
    let mut seen: Vec<(&str, f64, usize, usize)> = Vec::new();
    for (x, label, n) in &marks.instants {
        let early = if *x < warmup { *n } else { 0 };
        match seen.iter_mut().find(|s| s.0 == label.as_str()) {
            Some(s) => {
                s.2 += n;
                s.3 += early;
            }
            None => seen.push((label.as_str(), *x, *n, early)),
        }
    }
    let ticks = if instants_as_ticks(marks) {
        ": ticks at the top"
    } else {
        ""
    };
    for (label, x, n, early) in seen {
        let least = if marks.at_least.iter().any(|l| l == label) {
            "at least "
        } else {
            ""
        };
        let text = match (n, early) {
            (1, _) if least.is_empty() => format!(
                "{label}{}",
                if ticks.is_empty() {
                    ""
                } else {
                    " (a tick at the top)"
                }
            ),
            (n, 0) => format!("{label} ({least}{n} times{ticks})"),
            (n, e) => format!("{label} ({least}{n} times, {e} in the warmup{ticks})"),
        };
        wanted.push((px(x), text, BLACK, Vec::new()));
    }
    wanted.sort_by_key(|w| w.0);
    let mut rows: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut placed = Vec::new();
    let mut left_out = 0;
    for (x, text, color, bars) in wanted {
        let w = label_width(&text);
        let x = (x + 4).min(right - w).max(PLOT_LEFT);
        // What it takes of its row: its words, and its bars.
        let takes: Vec<(i32, i32)> = std::iter::once((x, x + w))
            .chain(bars.iter().copied())
            .collect();
        let free = |row: &Vec<(i32, i32)>| {
            takes
                .iter()
                .all(|&(x0, x1)| row.iter().all(|&(a, b)| x1 <= a || x0 >= b))
        };
        let row = match rows.iter().position(free) {
            Some(r) => r,
            None if rows.len() < MAX_LABEL_ROWS => {
                rows.push(Vec::new());
                rows.len() - 1
            }
            None => {
                left_out += 1;
                continue;
            }
        };
        rows[row].extend(takes);
        placed.push(Placed {
            x,
            row,
            text,
            color,
            bars,
        });
    }
    if left_out > 0 {
        let text = format!("+{left_out} more (events.csv)");
        let w = label_width(&text);
        placed.push(Placed {
            x: right - w,
            row: rows.len(),
            text,
            color: RGBColor(90, 90, 90),
            bars: Vec::new(),
        });
    }
    placed
}

/// Minutes on the time axis beyond ten minutes of simulated time, seconds below.
fn time_unit(t_end: f64) -> (f64, &'static str) {
    if t_end > 600.0 {
        (60.0, "time [min]")
    } else {
        (1.0, "time [s]")
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
    panel: &Panel,
    prep: &Prepared,
    plan: &PanelPlan,
    marks: &Marks,
    corners: Corners,
) -> DrawResult<DB> {
    let (unit, x_desc) = time_unit(chart.t_end);
    let x_end = chart.t_end / unit;
    let lines = prep.lines(panel);
    let (lo, hi) = (prep.lo, prep.hi);
    let show_x = plan.time_labels;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_left(16)
        .margin_right(PLOT_RIGHT_MARGIN)
        .margin_top(plan.top)
        .x_label_area_size(plan.x_label_area)
        .y_label_area_size(120);
    let legend = plan.legend.as_ref();
    if panel.log_y {
        // Labels at 1, 2 and 5 of each decade where the panel is tall enough to hold them,
        // so that a p99 of 210 ms can be read off it, not only 10, 100 and 1000.
        let (bold, light) = log_ticks(lo, hi, f64::from(area.dim_in_pixel().1));
        let y = (lo..hi)
            .log_scale()
            .with_key_points(bold)
            .with_light_points(light);
        let mut c = builder.build_cartesian_2d(0f64..x_end, y)?;
        finish_panel(
            &mut c, chart, panel, marks, lines, legend, unit, x_desc, show_x, lo, hi, corners,
        )?;
    } else {
        let mut c = builder.build_cartesian_2d(0f64..x_end, lo..hi)?;
        finish_panel(
            &mut c, chart, panel, marks, lines, legend, unit, x_desc, show_x, lo, hi, corners,
        )?;
    }
    if let Some(Legend::Above(grid)) = legend {
        draw_legend_above(area, panel, grid)?;
    }
    let bottom = area.dim_in_pixel().1 as i32 - plan.x_label_area as i32;
    draw_y_desc(area, &panel.y_desc, plan.top as i32, bottom)
}

/// The space under the last panel, for the time axis's labels and its description [px].
const X_LABELS: u32 = 64;

/// Draws a legend in rows above a panel's plotting area, as `grid` lays it out.
fn draw_legend_above<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel,
    grid: &Grid,
) -> DrawResult<DB> {
    let style = (FONT, LEGEND_FONT)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    // Entries in the order of `panel.lines`, left to right: a stack's bottom area first.
    for (i, line) in panel.lines.iter().enumerate() {
        let x = PLOT_LEFT + grid.col_x[i % grid.cols];
        let row = (i / grid.cols) as i32;
        let y = LEGEND_PAD as i32 + row * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
        area.draw(&legend_icon(
            matches!(panel.kind, Kind::Stacked),
            line.color,
            stroke_width(&panel.kind, i, panel.lines.len()).max(3),
            line.dashed,
            (x, y),
        ))?;
        area.draw(&Text::new(
            line.label.clone(),
            (x + LEGEND_ICON as i32, y),
            style.clone(),
        ))?;
    }
    Ok(())
}

/// The width the `i`th of `n` lines of a panel is drawn with [px]: earlier lines wider, so
/// that one equal to a later line (desired and in service, most of the time) shows as a rim
/// around it instead of vanishing; the outline of a stack's areas thin.
fn stroke_width(kind: &Kind, i: usize, n: usize) -> u32 {
    if matches!(kind, Kind::Stacked) {
        1
    } else {
        3 + 2 * (n - 1 - i).min(2) as u32
    }
}

/// A line's mark in its legend at `at`: a filled box for a stack's area, else a stretch of
/// its line, `width` px wide and dashed as it is drawn.
fn legend_icon<DB: DrawingBackend>(
    stacked: bool,
    color: RGBColor,
    width: u32,
    dashed: bool,
    (x, y): (i32, i32),
) -> DynElement<'static, DB, (i32, i32)> {
    if stacked {
        Rectangle::new([(x, y - 8), (x + 30, y + 8)], color.filled()).into_dyn()
    } else {
        legend_line((x, y), color.stroke_width(width), dashed).into_dyn()
    }
}

/// The space above a panel's plotting area [px].
const PANEL_TOP: u32 = 8;
/// The font sizes a y description may take [px], largest first.
const Y_DESC_SIZES: [u32; 5] = [26, 24, 22, 20, 18];

/// Draws a panel's y description, turned, in the label area left of the tick labels, centred
/// on the plotting area from `top` to `bottom`, in the lines and size `fit_y_desc` gives.
fn draw_y_desc<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    text: &str,
    top: i32,
    bottom: i32,
) -> DrawResult<DB> {
    let span = (bottom - top).max(1) as u32;
    let (lines, size) = fit_y_desc(text, span, |line, size| {
        area.estimate_text_size(line, &(FONT, size).into_text_style(area))
            .map_or(0, |(w, _)| w)
    });
    let style = (FONT, size)
        .into_font()
        .transform(FontTransform::Rotate270)
        .into_text_style(area)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let middle = (top + bottom) / 2;
    for (i, line) in lines.iter().enumerate() {
        let x = 16 + i as i32 * (size as i32 + 4);
        area.draw_text(line, &style, (x, middle))?;
    }
    Ok(())
}

/// The lines and font size of a y description `span` px long at most, given the width `width`
/// measures a line at a size: one line when that fits, else two split at the space nearest
/// the middle, in the largest of `Y_DESC_SIZES` that fits, else two lines (or the one, when
/// it has no space) at the smallest. A description longer than its panel would run into the
/// next panel's.
fn fit_y_desc(text: &str, span: u32, width: impl Fn(&str, u32) -> u32) -> (Vec<&str>, u32) {
    let one = vec![text];
    let two = text
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .min_by_key(|&(i, _)| i.abs_diff(text.len() / 2))
        .map(|(i, _)| vec![&text[..i], &text[i + 1..]]);
    for size in Y_DESC_SIZES {
        for lines in std::iter::once(&one).chain(two.as_ref()) {
            if lines.iter().all(|l| width(l, size) <= span) {
                return (lines.clone(), size);
            }
        }
    }
    (two.unwrap_or(one), Y_DESC_SIZES[Y_DESC_SIZES.len() - 1])
}

#[allow(clippy::too_many_arguments)]
fn finish_panel<'a, DB, Y>(
    c: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    chart: &Chart,
    panel: &Panel,
    marks: &Marks,
    lines: &[Line],
    legend: Option<&Legend>,
    unit: f64,
    x_desc: &str,
    show_x: bool,
    lo: f64,
    hi: f64,
    corners: Corners,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let x_axis = c.x_range();
    let log_y = panel.log_y;
    let y_label = move |v: &f64| {
        if log_y {
            short_number(*v)
        } else {
            axis_number(*v, &(lo..hi))
        }
    };
    let x_label = move |v: &f64| axis_number(*v, &x_axis);
    let mut mesh = c.configure_mesh();
    // The y description is drawn by `draw_y_desc`, fitted to the panel's height.
    mesh.axis_desc_style((FONT, 26))
        .label_style((FONT, 22))
        // One light line between labelled ones: a grid to read values by, not a texture.
        .max_light_lines(1)
        .light_line_style(RGBColor(242, 242, 242))
        .bold_line_style(RGBColor(220, 220, 220))
        // A count of a few (partitions, instances) is labelled at whole numbers only.
        // On a range shared with other charts (`share_scales`), only where it is this one's.
        .y_labels(
            match (panel.log_y, small_count(lines).filter(|&t| t == hi)) {
                (false, Some(top)) => top as usize + 1,
                _ => 6,
            },
        )
        .y_label_formatter(&y_label);
    if show_x {
        mesh.x_desc(x_desc).x_labels(10).x_label_formatter(&x_label);
    } else {
        mesh.x_label_formatter(&|_| String::new());
    }
    mesh.draw()?;

    // The warmup, shaded and labelled: its numbers are not in the summary.
    if chart.warmup_s > 0.0 {
        let w = chart.warmup_s / unit;
        c.draw_series(std::iter::once(Rectangle::new(
            [(0.0, lo), (w, hi)],
            RGBColor(120, 120, 120).mix(0.12).filled(),
        )))?;
        // Below the instants' ticks where they are drawn at the top.
        let top = if instants_as_ticks(marks) {
            tick_foot(lo, hi, panel.log_y)
        } else {
            hi
        };
        c.draw_series(std::iter::once(Text::new(
            "warmup",
            (w * 0.05, top),
            (FONT, 20).into_font().color(&RGBColor(90, 90, 90)),
        )))?;
    }
    draw_events(c, marks, lo, hi, panel.log_y)?;

    let width = c.plotting_area().dim_in_pixel().0 as usize;
    for (i, line) in lines.iter().enumerate() {
        let color = line.color;
        let b = &line.band;
        // More points than the panel has pixel columns are thinned to what the pixels show:
        // each point's column, as the panel places it.
        let columns = Columns {
            of: if b.t.len() > 4 * width {
                b.t.iter()
                    .map(|&t| c.backend_coord(&(t / unit, lo)).0)
                    .collect()
            } else {
                Vec::new()
            },
        };
        match panel.kind {
            Kind::Stacked => {
                // Fill down to the next line below (or zero), so areas add up visually.
                let below: Vec<f64> = if i + 1 < lines.len() {
                    lines[i + 1].band.median.clone()
                } else {
                    vec![0.0; b.t.len()]
                };
                for seg in segments(&b.t, &b.median) {
                    let mut pts = columns.thin(&seg, |k| (b.t[k] / unit, b.median[k].max(lo)));
                    let mut bottom =
                        columns.thin(&seg, |k| (b.t[k] / unit, below[k].max(lo).min(b.median[k])));
                    bottom.reverse();
                    pts.extend(bottom);
                    c.draw_series(std::iter::once(Polygon::new(pts, color.mix(0.85).filled())))?;
                }
            }
            Kind::Lines => {
                if b.min.iter().zip(&b.max).any(|(a, z)| z > a) {
                    for seg in segments(&b.t, &b.median) {
                        let mut pts = columns.thin(&seg, |k| (b.t[k] / unit, b.max[k].max(lo)));
                        let mut bottom = columns.thin(&seg, |k| (b.t[k] / unit, b.min[k].max(lo)));
                        bottom.reverse();
                        pts.extend(bottom);
                        c.draw_series(std::iter::once(Polygon::new(
                            pts,
                            color.mix(0.18).filled(),
                        )))?;
                    }
                }
            }
        }
        let style = ShapeStyle {
            color: color.to_rgba(),
            filled: false,
            stroke_width: stroke_width(&panel.kind, i, lines.len()),
        };
        // The line's legend entry, given to the first piece drawn of it.
        let stacked = matches!(panel.kind, Kind::Stacked);
        let (width, dashed) = (style.stroke_width.max(3), line.dashed);
        let entry = move |at| legend_icon(stacked, color, width, dashed, at);
        let mut first = true;
        for seg in segments(&b.t, &b.median) {
            let pts = columns.thin(&seg, |k| (b.t[k] / unit, b.median[k].max(lo)));
            let series = if line.dashed {
                c.draw_series(DashedLineSeries::new(pts, 12, 8, style))?
            } else if corners == Corners::Spiky {
                // A noisy line turns back on itself at many points (at nearly every one
                // when it has several a column): each segment is drawn on its own, with no
                // corner to spike.
                c.draw_series(
                    pts.windows(2)
                        .map(|w| PathElement::new(vec![w[0], w[1]], style)),
                )?
            } else {
                c.draw_series(LineSeries::new(pts, style))?
            };
            if first {
                series.label(line.label.clone()).legend(entry);
                first = false;
            }
        }
        if first && line.band.median.iter().all(|v| v.is_nan()) {
            // Nothing to draw (a limit far above the rest, `off_scale`): its legend entry
            // still says where it is.
            c.draw_series(LineSeries::new(std::iter::empty::<(f64, f64)>(), style))?
                .label(line.label.clone())
                .legend(entry);
        }
    }
    if let Some(Legend::Inside(pos)) = legend {
        c.configure_series_labels()
            .position(pos.clone())
            .legend_area_size(LEGEND_ICON)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font((FONT, LEGEND_FONT))
            .draw()?;
    }
    Ok(())
}

/// Where a panel's legend covers the least data: the place (the corners, upper right first,
/// then lower right, upper left, lower left; then the middles of the right and left edges,
/// for lines that run along both the top and the bottom) whose box, as large as the legend
/// will be, hides the least of the lines: their points (medians and both edges of their
/// shaded bands) inside it and the segments drawn between two points that cross it. The
/// upper left holds the warmup's label when there is one: the legend goes there only when
/// every other place is worse. When each of those hides something, a place between them
/// along the top, the bottom or the middle (every tenth of the width) that hides less.
/// Returns how much the place hides (`usize::MAX` when the legend is too large for the panel
/// to leave it any room) and the place.
fn legend_corner(
    lines: &[Line],
    (lo, hi): (f64, f64),
    log_y: bool,
    t_end: f64,
    (w_px, h_px): (u32, u32),
    warmup_label: bool,
) -> (usize, SeriesLabelPosition) {
    // The legend's size as a share of the panel, with the 5 px plotters leaves between it
    // and the edges.
    let (w, h) = inside_legend_size(lines);
    let (w, h) = (
        f64::from(w + LEGEND_INSET) / f64::from(w_px.max(1)),
        f64::from(h + LEGEND_INSET) / f64::from(h_px.max(1)),
    );
    let too_large = w > 0.6 || h > 0.9;
    let (w, h) = (w.min(0.6), h.min(0.9));
    let y_share = |v: f64| {
        if log_y {
            let (l, h) = (lo.max(1e-12).log10(), hi.max(1e-12).log10());
            (v.max(1e-12).log10() - l) / (h - l)
        } else {
            (v - lo) / (hi - lo)
        }
    };
    // Each place: its side, and the span up the panel its box covers [share] (a corner's
    // open past the axis, where a band may overshoot).
    let (upper, lower, middle) = (
        (1.0 - h, f64::INFINITY),
        (f64::NEG_INFINITY, h),
        (0.5 - h / 2.0, 0.5 + h / 2.0),
    );
    let places = [
        (SeriesLabelPosition::UpperRight, true, upper),
        (SeriesLabelPosition::LowerRight, true, lower),
        (SeriesLabelPosition::UpperLeft, false, upper),
        (SeriesLabelPosition::LowerLeft, false, lower),
        (SeriesLabelPosition::MiddleRight, true, middle),
        (SeriesLabelPosition::MiddleLeft, false, middle),
    ];
    // What a box hides: the points inside it, the drawn segments between two points that
    // cross it (a line's steep edge passes a box that holds none of its points), and the
    // shaded range from a band's bottom to its top at each point.
    let covered = |(x_lo, x_hi): (f64, f64), (y_lo, y_hi): (f64, f64)| {
        let rect = (x_lo, x_hi, y_lo, y_hi);
        // The times go up, so only the points from the first at or right of the box's left
        // edge to the last at or left of its right edge can be in it, and only the segments
        // that end in that run or leave it can cross it: found by bisection, not by looking at
        // every point (a run of 16,667 windows has that many in each line, and a legend tries
        // some thirty places). Times out of order (never drawn so) are all looked at.
        let x = |ti: f64| ti / t_end.max(1e-12);
        let run = |t: &[f64]| -> (usize, usize) {
            if !t.windows(2).all(|w| w[0] <= w[1]) {
                return (0, t.len());
            }
            (
                t.partition_point(|&ti| x(ti) < x_lo),
                t.partition_point(|&ti| x(ti) <= x_hi),
            )
        };
        let shaded = |b: &Band| {
            let (first, end) = run(&b.t);
            (first..end)
                .filter(|&i| b.min[i].is_finite() && b.max[i].is_finite() && b.max[i] > b.min[i])
                .filter(|&i| {
                    let x = x(b.t[i]);
                    crosses((x, y_share(b.min[i])), (x, y_share(b.max[i])), rect)
                })
                .count()
        };
        lines.iter().map(|l| shaded(&l.band)).sum::<usize>()
            + lines
                .iter()
                .flat_map(|l| {
                    [
                        (&l.band.t, &l.band.median),
                        (&l.band.t, &l.band.max),
                        (&l.band.t, &l.band.min),
                    ]
                })
                .map(|(t, v)| {
                    let at = |i: usize| (x(t[i]), y_share(v[i]));
                    let (first, end) = run(t);
                    let points = (first..end)
                        .filter(|&i| v[i].is_finite() && inside(at(i), rect))
                        .count();
                    // Segment i runs from point i − 1 to point i.
                    let segments = (first.max(1)..(end + 1).min(t.len()))
                        .filter(|&i| v[i - 1].is_finite() && v[i].is_finite())
                        .filter(|&i| crosses(at(i - 1), at(i), rect))
                        .count();
                    points + segments
                })
                .sum::<usize>()
    };
    // The warmup's label is worth a quarter of the points: the legend goes over it only when
    // every other place is worse.
    let warmup_cost = lines.iter().map(|l| 3 * l.band.t.len()).sum::<usize>() / 4;
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (pos, right, span) in places {
        let (x_lo, x_hi) = if right {
            (1.0 - w, BEYOND)
        } else {
            (-BEYOND, w)
        };
        let label = if warmup_label && pos == SeriesLabelPosition::UpperLeft {
            warmup_cost
        } else {
            0
        };
        let n = covered((x_lo, x_hi), span) + label;
        if n < best.0 {
            best = (n, pos);
        }
    }
    if too_large {
        return (usize::MAX, best.1);
    }
    if best.0 == 0 {
        return best;
    }
    // Every corner and middle hides something (spikes at the left, the middle and the right):
    // a place along the top, then the bottom, then across the middle, between them, in
    // tenths of the width, as a position in pixels from the plotting area's top left.
    let (w_px, h_px) = (f64::from(w_px), f64::from(h_px));
    let box_h = h * h_px;
    for (span, top) in [
        (upper, 5.0),
        (lower, h_px - box_h),
        (middle, (h_px - box_h) / 2.0),
    ] {
        for tenth in 1..10 {
            let x_lo = f64::from(tenth) / 10.0;
            if x_lo + w > 0.98 {
                break;
            }
            // The warmup's label is at the top left, some 90 px wide.
            let label = if warmup_label && span == upper && x_lo * w_px < 90.0 {
                warmup_cost
            } else {
                0
            };
            let n = covered((x_lo, x_lo + w), span) + label;
            if n < best.0 {
                best = (
                    n,
                    SeriesLabelPosition::Coordinate((x_lo * w_px) as i32, top.max(0.0) as i32),
                );
            }
        }
    }
    best
}

/// The size of a legend in its panel's plotting area [px], a little generously: about 12 px a
/// character of its longest label plus the icon and margins, 30 px a row.
fn inside_legend_size(lines: &[Line]) -> (i32, i32) {
    let longest = lines
        .iter()
        .map(|l| l.label.chars().count())
        .max()
        .unwrap_or(0);
    (longest as i32 * 12 + 80, lines.len() as i32 * 30 + 20)
}

/// How far plotters draws a legend from the edges of the plotting area it is in [px].
const LEGEND_INSET: i32 = 5;

/// Far past a panel's edge, as a share of it: a corner's box is open on its outer sides.
const BEYOND: f64 = 1e9;

/// Whether point `p` lies in `(x_lo, x_hi, y_lo, y_hi)`.
fn inside((x, y): (f64, f64), (x_lo, x_hi, y_lo, y_hi): (f64, f64, f64, f64)) -> bool {
    x >= x_lo && x <= x_hi && y >= y_lo && y <= y_hi
}

/// Whether the segment from `a` to `b` meets the box `(x_lo, x_hi, y_lo, y_hi)`: the part of
/// the segment left after clipping it to each of the box's four sides (Liang and Barsky).
fn crosses(a: (f64, f64), b: (f64, f64), (x_lo, x_hi, y_lo, y_hi): (f64, f64, f64, f64)) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut enter, mut leave) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x_lo),
        (dx, x_hi - a.0),
        (-dy, a.1 - y_lo),
        (dy, y_hi - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else if p < 0.0 {
            enter = enter.max(q / p);
        } else {
            leave = leave.min(q / p);
        }
    }
    enter <= leave
}

/// The width a legend gives its icons [px]: 30 px of icon and a gap before the text.
pub(crate) const LEGEND_ICON: u32 = 42;

/// A legend's line, 30 px long at `at`: dashed when the plot's line is (two dashes, so
/// that it reads as dashed), solid otherwise.
pub(crate) fn legend_line(
    (x, y): (i32, i32),
    style: ShapeStyle,
    dashed: bool,
) -> plotters::element::DashedPathElement<std::vec::IntoIter<(i32, i32)>, i32> {
    // Dashes of 11 px with 8 px gaps, or one dash as long as the line.
    let (dash, gap) = if dashed { (11, 8) } else { (30, 1) };
    plotters::element::DashedPathElement::new(vec![(x, y), (x + 30, y)], dash, gap, style)
}

/// The marks of a chart's events: a shaded span for a condition that starts and ends (a full
/// queue; spans closer than 1 % of the axis merge, and one still open at the end runs to the
/// end), a dashed line for an instant; the same instant several times at once (two targets
/// marked unhealthy together) is one mark, counted. Labels are in words: "web scale out",
/// not `web scale_out`.
///
/// The curves are medians over seeds, so the spans are too: of the seeds, those with the
/// median number of spans of a label give the k-th span as the median of their k-th starts
/// and ends (a failover of 70 s in one seed and 110 s in another is drawn as the middle
/// one). Instants are `instants_seed`'s alone: a median of scale-outs would be a scale-out
/// that never happened. `(warmup, x_end)` are in axis units; instants are grouped on one
/// side of the warmup's end, never across it, so that a group is in the warmup or not.
fn marks(
    events: &[Event],
    instants_seed: u64,
    kinds: &BTreeMap<String, &'static KindInfo>,
    unit: f64,
    (warmup, x_end): (f64, f64),
) -> Marks {
    let gap = 0.01 * x_end;
    let mut seeds: Vec<u64> = events.iter().map(|e| e.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let per_seed: Vec<BTreeMap<String, Vec<(f64, f64)>>> = seeds
        .iter()
        .map(|&seed| {
            let mine: Vec<&Event> = events.iter().filter(|e| e.seed == seed).collect();
            spans_of(&mine, kinds, unit, x_end, gap)
        })
        .collect();
    let mut labels: Vec<&String> = per_seed.iter().flat_map(|m| m.keys()).collect();
    labels.sort();
    labels.dedup();
    let red = RGBColor(214, 39, 40);
    let purple = RGBColor(118, 42, 131);
    let mut spans = Vec::new();
    for label in labels {
        let lists: Vec<&[(f64, f64)]> = per_seed
            .iter()
            .map(|m| m.get(label).map_or(&[][..], Vec::as_slice))
            .collect();
        let list = median_spans(&lists);
        if list.is_empty() {
            continue;
        }
        // Faults in purple, consequences (a full queue) in red.
        let color = if label.ends_with("queue full") || label.ends_with("writer down") {
            red
        } else {
            purple
        };
        spans.push((label.clone(), color, list));
    }
    // An actor whose log was full before the chart's end (its last record kept is earlier)
    // left some of its instants out.
    let mine = || events.iter().filter(|e| e.seed == instants_seed);
    let full = |actor: &str| {
        let kept = mine()
            .filter(|e| e.component == actor && e.event != crate::metrics::EVENTS_DROPPED)
            .map(|e| e.time_s / unit)
            .fold(f64::NEG_INFINITY, f64::max);
        kept < x_end
    };
    let full: Vec<&str> = mine()
        .filter(|e| e.event == crate::metrics::EVENTS_DROPPED && full(&e.component))
        .map(|e| e.component.as_str())
        .collect();
    let mut at_least = Vec::new();
    let mut grouped: Vec<(f64, String, usize)> = Vec::new();
    for e in mine() {
        let x = e.time_s / unit;
        // What happens after the chart's end (a backlog drained once arrivals stopped) is
        // neither drawn nor counted.
        if e.component.is_empty() || x > x_end {
            continue;
        }
        let label = match mark_of(e, kinds) {
            Mark::Instant if e.component == faults::ACTOR => e.detail.clone(),
            Mark::Instant => format!("{} {}", e.component, in_words(&e.event)),
            _ => continue,
        };
        if full.contains(&e.component.as_str()) && !at_least.contains(&label) {
            at_least.push(label.clone());
        }
        match grouped.last_mut() {
            Some(g) if g.1 == label && x - g.0 < gap && (g.0 < warmup) == (x < warmup) => g.2 += 1,
            _ => grouped.push((x, label, 1)),
        }
    }
    Marks {
        spans,
        instants: grouped,
        at_least,
    }
}

/// One seed's spans by label: (start, end) in axis units.
fn spans_of(
    events: &[&Event],
    kinds: &BTreeMap<String, &'static KindInfo>,
    unit: f64,
    x_end: f64,
    gap: f64,
) -> BTreeMap<String, Vec<(f64, f64)>> {
    let mut spans: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut open: BTreeMap<String, f64> = BTreeMap::new();
    for e in events.iter().filter(|e| !e.component.is_empty()) {
        let x = e.time_s / unit;
        match mark_of(e, kinds) {
            Mark::SpanStart(words) => {
                open.entry(span_label(e, words)).or_insert(x);
            }
            Mark::SpanEnd(words) => {
                let key = span_label(e, words);
                if let Some(start) = open.remove(&key) {
                    let list = spans.entry(key).or_default();
                    match list.last_mut() {
                        Some(last) if start - last.1 < gap => last.1 = x,
                        _ => list.push((start, x)),
                    }
                }
            }
            _ => {}
        }
    }
    for (key, start) in open {
        let list = spans.entry(key).or_default();
        match list.last_mut() {
            Some(last) if start - last.1 < gap => last.1 = x_end,
            _ => list.push((start, x_end)),
        }
    }
    spans
}

/// The median seed's spans of one label (each seed's list, a seed without it empty): the
/// lists of the median length, their k-th starts and ends each the median.
fn median_spans(lists: &[&[(f64, f64)]]) -> Vec<(f64, f64)> {
    let mut lengths: Vec<usize> = lists.iter().map(|l| l.len()).collect();
    lengths.sort_unstable();
    let Some(&n) = lengths.get((lengths.len().max(1) - 1) / 2) else {
        return Vec::new();
    };
    let same: Vec<&[(f64, f64)]> = lists.iter().copied().filter(|l| l.len() == n).collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len() % 2 == 1 {
            v[m]
        } else {
            0.5 * (v[m - 1] + v[m])
        }
    };
    (0..n)
        .map(|k| {
            (
                median(same.iter().map(|l| l[k].0).collect()),
                median(same.iter().map(|l| l[k].1).collect()),
            )
        })
        .collect()
}

/// An event's name in words: `scale_out` → "scale out".
fn in_words(name: &str) -> String {
    name.replace('_', " ")
}

/// The most marks of instants a panel draws as dashed lines across it; past it (a function
/// timing out all run long) each is a short tick down from the panel's top instead, so that
/// the curves stay readable, and the label says so.
const MAX_INSTANT_LINES: usize = 24;

/// The most marks of instants a panel draws at all (each group of close ones is one mark; the
/// labels count every instant).
const MAX_INSTANT_MARKS: usize = 2000;

/// Whether the instants are drawn as ticks at the panels' top (`MAX_INSTANT_LINES`).
fn instants_as_ticks(marks: &Marks) -> bool {
    marks.instants.len() > MAX_INSTANT_LINES
}

/// Where the instants' ticks end, a tenth of the panel's height down from its top (`lo` and
/// `hi` its value axis, logarithmic when `log_y`).
fn tick_foot(lo: f64, hi: f64, log_y: bool) -> f64 {
    if log_y {
        hi / (hi / lo).powf(0.1)
    } else {
        hi - 0.1 * (hi - lo)
    }
}

/// Draws the marks in a panel: shaded spans, dashed lines at instants, or ticks where they
/// are many (`instants_as_ticks`; their labels are in the chart's lane above the panels).
/// `log_y`: the panel's value axis is logarithmic (a tick's length is a share of its height).
fn draw_events<'a, DB, Y>(
    c: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    marks: &Marks,
    lo: f64,
    hi: f64,
    log_y: bool,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
{
    let gap = 0.01 * c.x_range().end;
    for (_, color, list) in &marks.spans {
        for &(a, b) in list {
            let b = b.max(a + gap / 4.0);
            c.draw_series(std::iter::once(Rectangle::new(
                [(a, lo), (b, hi)],
                color.mix(0.12).filled(),
            )))?;
        }
    }
    if instants_as_ticks(marks) {
        let foot = tick_foot(lo, hi, log_y);
        c.draw_series(
            marks
                .instants
                .iter()
                .take(MAX_INSTANT_MARKS)
                .map(|&(x, _, _)| {
                    PathElement::new(vec![(x, foot), (x, hi)], BLACK.mix(0.6).stroke_width(2))
                }),
        )?;
        return Ok(());
    }
    for (x, _, _) in &marks.instants {
        c.draw_series(DashedLineSeries::new(
            vec![(*x, lo), (*x, hi)],
            6,
            6,
            BLACK.mix(0.6).stroke_width(2),
        ))?;
    }
    Ok(())
}

/// How an event is marked: the timeline's faults as spans labelled by the fault, each
/// component's events as its kind declares.
fn mark_of(e: &Event, kinds: &BTreeMap<String, &'static KindInfo>) -> Mark {
    if e.event == crate::metrics::EVENTS_DROPPED {
        return Mark::Hidden;
    }
    if e.component == faults::ACTOR {
        return match e.event.as_str() {
            faults::FAULT_START => Mark::SpanStart(""),
            faults::FAULT_END => Mark::SpanEnd(""),
            _ => Mark::Instant,
        };
    }
    match kinds.get(&e.component) {
        Some(info) => info.mark(&e.event),
        None => Mark::Instant,
    }
}

/// The label of the span an event opens or closes: a fault's own label, or the component
/// and the words its kind gives the span ("db writer down").
fn span_label(e: &Event, words: &str) -> String {
    if e.component == faults::ACTOR {
        e.detail.clone()
    } else {
        format!("{} {words}", e.component)
    }
}

/// The pixel column a panel draws each point of a line at (empty when the line has no more
/// than four points a column), to thin a line of more points than its columns can show.
struct Columns {
    of: Vec<i32>,
}

impl Columns {
    /// The points `point(k)` of the indices `seg` (in x order), with at most four a pixel
    /// column: the first, the lowest, the highest and the last of the column's points, in
    /// their order (M4 decimation). The segments between them cover the column from its
    /// lowest point to its highest, as the segments between all of them do, and join the
    /// next column where they did: the picture is the same while a run of 16,667 windows no
    /// longer draws, and writes into its SVG, some 15 points a column.
    fn thin(&self, seg: &[usize], point: impl Fn(usize) -> (f64, f64)) -> Vec<(f64, f64)> {
        straightened(self.decimated(seg, point))
    }

    /// `thin`'s points before runs along an axis are straightened.
    fn decimated(&self, seg: &[usize], point: impl Fn(usize) -> (f64, f64)) -> Vec<(f64, f64)> {
        if self.of.is_empty() {
            return seg.iter().map(|&k| point(k)).collect();
        }
        let mut out = Vec::new();
        let mut start = 0;
        while start < seg.len() {
            let col = self.of[seg[start]];
            let mut end = start + 1;
            while end < seg.len() && self.of[seg[end]] == col {
                end += 1;
            }
            // The column's points are seg[start..end]: the first and last, and the places
            // of its lowest and highest.
            let (mut low, mut high) = ((start, point(seg[start]).1), (start, point(seg[start]).1));
            for (j, &k) in seg.iter().enumerate().take(end).skip(start + 1) {
                let y = point(k).1;
                if y < low.1 {
                    low = (j, y);
                }
                if y > high.1 {
                    high = (j, y);
                }
            }
            let mut keep = [start, low.0.min(high.0), low.0.max(high.0), end - 1];
            keep.sort_unstable();
            let mut last = usize::MAX;
            for j in keep {
                if j != last {
                    out.push(point(seg[j]));
                    last = j;
                }
            }
            start = end;
        }
        out
    }
}

/// The points without those in the middle of a straight run along an axis (the same y as
/// both neighbours, or the same x): the same picture with fewer points. A stepped series
/// (`Band::stepped_to`) has two points a window, and a flat stretch of it (a count at zero,
/// instances held steady) needs only its ends.
fn straightened(pts: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if pts.len() < 3 {
        return pts;
    }
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(pts.len());
    for (i, &p) in pts.iter().enumerate() {
        if let (Some(&a), Some(&b)) = (out.last(), pts.get(i + 1)) {
            // x only grows along a series; on one x, only a point between its neighbours
            // (not a spike's tip) is in the middle.
            let along_y = a.1 == p.1 && p.1 == b.1;
            let along_x = a.0 == p.0 && p.0 == b.0 && (a.1.min(b.1)..=a.1.max(b.1)).contains(&p.1);
            if along_y || along_x {
                continue;
            }
        }
        out.push(p);
    }
    out
}

/// Runs of consecutive windows with a finite value.
fn segments(t: &[f64], v: &[f64]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur = Vec::new();
    for (k, x) in v.iter().enumerate().take(t.len()) {
        if x.is_finite() {
            cur.push(k);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// For stacked panels: the lines as cumulative sums, topmost first, each with the band it
/// fills (from the sum below it to its own).
fn stack(panel: &Panel) -> Option<Vec<Line>> {
    if !matches!(panel.kind, Kind::Stacked) {
        return None;
    }
    let n = panel.lines.first()?.band.t.len();
    let mut acc = vec![0.0; n];
    let mut out = Vec::new();
    for l in &panel.lines {
        let below = acc.clone();
        for (k, a) in acc.iter_mut().enumerate() {
            let v = l.band.median.get(k).copied().unwrap_or(f64::NAN);
            if v.is_finite() {
                *a += v;
            }
        }
        // The band is the area's range, from the one below it to its top: what it fills.
        out.push(Line {
            label: l.label.clone(),
            color: l.color,
            band: Band {
                t: l.band.t.clone(),
                median: acc.clone(),
                min: below,
                max: acc.clone(),
            },
            dashed: l.dashed,
        });
    }
    out.reverse();
    Some(out)
}

/// The y range: from zero on a linear axis, from a round power of ten on a log one.
/// For lines whose every value is a whole number no larger than 5 (a count of a few, such as
/// a bucket's partitions), the top of an axis labelled at whole numbers: one above the
/// largest, so that a line at its largest value is not drawn on the frame.
fn small_count(lines: &[Line]) -> Option<f64> {
    let mut top = 0.0f64;
    for v in lines
        .iter()
        .flat_map(|l| l.band.max.iter().chain(&l.band.median).chain(&l.band.min))
        .filter(|v| v.is_finite())
    {
        if v.fract() != 0.0 || !(0.0..=5.0).contains(v) {
            return None;
        }
        top = top.max(*v);
    }
    (top > 0.0).then_some(top + 1.0)
}

/// A log axis's labelled values and its light grid lines from `lo` to `hi` on a panel
/// `height_px` tall: 1, 2 and 5 of each decade when a decade has 150 px or more, 1 and 3 from
/// 70 px, the decades alone below (every other one past eight); the light lines at each
/// unit of a decade (2, 3, … 9) that is not labelled.
fn log_ticks(lo: f64, hi: f64, height_px: f64) -> (Vec<f64>, Vec<f64>) {
    let decades = (hi / lo).log10().max(1e-9);
    // The plotting area is the panel less its labels and margins, about 100 px.
    let per_decade = (height_px - 100.0).max(1.0) / decades;
    let steps: &[f64] = if per_decade >= 150.0 {
        &[1.0, 2.0, 5.0]
    } else if per_decade >= 70.0 {
        &[1.0, 3.0]
    } else {
        &[1.0]
    };
    let every = if steps.len() == 1 && decades > 8.0 {
        2
    } else {
        1
    };
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let mut bold = Vec::new();
    let mut light = Vec::new();
    for (k, e) in (first..=last).enumerate() {
        let p = 10f64.powi(e);
        for m in 1..10 {
            let v = f64::from(m) * p;
            if v < lo * (1.0 - 1e-9) || v > hi * (1.0 + 1e-9) {
                continue;
            }
            if steps.contains(&f64::from(m)) && (m != 1 || k % every == 0) {
                bold.push(v);
            } else {
                light.push(v);
            }
        }
    }
    (bold, light)
}

fn y_extent(lines: &[Line], log: bool) -> (f64, f64) {
    let vals = lines
        .iter()
        .flat_map(|l| l.band.max.iter().chain(&l.band.median))
        .copied()
        .filter(|v| v.is_finite());
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals {
        if !log || v > 0.0 {
            lo = lo.min(v);
        }
        hi = hi.max(v);
    }
    if log {
        if !lo.is_finite() || !hi.is_finite() || hi <= 0.0 {
            return (0.1, 10.0);
        }
        // The bottom at the power of ten under the least value, or at half of it where the
        // value is within a quarter above it: at 10 ms under a p50 of 10.35 ms the lines ran
        // along the axis, hidden by it.
        let power = 10f64.powf(lo.log10().floor());
        let lo = if lo < power * 1.25 {
            power / 2.0
        } else {
            power
        };
        (lo, (hi * 2.0).max(lo * 10.0))
    } else {
        if !hi.is_finite() || hi <= 0.0 {
            return (0.0, 1.0);
        }
        (0.0, hi * 1.15)
    }
}

/// Tick labels without trailing noise: 0.5, 20, 1.5k, 2M.
pub(crate) fn short_number(v: f64) -> String {
    axis_number(v, &(v..v))
}

/// A tick label on a linear axis over `axis`: every tick of one axis in the same unit, by
/// the axis's largest magnitude, so that 5000 and 10k never sit on one axis (2.5k, 5k, 7.5k,
/// 10k, 12.5k instead), with the decimals the ticks' spacing needs, by the axis's width
/// (variants all near $1.47 put ticks 0.0005 apart, which two decimals printed as six
/// "1.47"). A log axis spans decades and labels each tick alone (`short_number`).
pub(crate) fn axis_number(v: f64, axis: &std::ops::Range<f64>) -> String {
    let (top, span) = (top_of(axis), axis.end - axis.start);
    if v == 0.0 {
        "0".into()
    } else if top >= 1e6 {
        format!("{}M", trim(v / 1e6, span / 1e6))
    } else if top >= 1e4 {
        format!("{}k", trim(v / 1e3, span / 1e3))
    } else {
        trim(v, span)
    }
}

/// The largest magnitude of a range, for `axis_number`.
fn top_of(r: &std::ops::Range<f64>) -> f64 {
    r.start.abs().max(r.end.abs())
}

/// `v` with two decimals, or three significant digits below 1 (ticks 0.005 apart, a cost
/// axis, must not print alike), or as many as ticks over a range `span` wide need: the
/// mesh puts about ten ticks on it, so a tick is some tenth of it apart from the next.
fn trim(v: f64, span: f64) -> String {
    let a = v.abs();
    let own = if a > 0.0 && a < 1.0 {
        super::significant_decimals(a, 3).clamp(2, 9)
    } else {
        2
    };
    let spacing = if span.is_finite() && span > 0.0 {
        (-(span / 10.0).log10()).ceil() as i32
    } else {
        0
    };
    let decimals = own.max(spacing).clamp(0, 9) as usize;
    let s = format!("{v:.decimals$}");
    crate::text::unsigned_zero(crate::text::trim_zeros(&s)).to_string()
}

/// The charts of one scenario, by file stem, built from its summary (which names the
/// workloads and the components with their kinds) and its series.
/// A scenario as its charts name it: `name`, or `name [variant]`. A variant's charts say
/// which variant they are, or a slide of one could be any of them.
pub fn chart_name(scenario: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{scenario} [{v}]"),
        None => scenario.to_string(),
    }
}

pub fn scenario_charts(
    summary: &serde_json::Value,
    table: &SeriesTable,
    events: &[Event],
) -> Vec<(String, Chart)> {
    let name = chart_name(
        summary["scenario"].as_str().unwrap_or("scenario"),
        summary["variant"].as_str(),
    );
    let t_end = summary["duration_s"]
        .as_f64()
        .unwrap_or(table.windows as f64 * table.window_s);
    let warmup_s = summary["warmup_s"].as_f64().unwrap_or(0.0);
    let first_seed = table.seeds.first().copied().unwrap_or(0);
    let kinds = kinds_of(summary);
    let bands = events
        .iter()
        .any(|e| matches!(mark_of(e, &kinds), Mark::SpanStart(_)));
    let subtitle = subtitle(&table.seeds, bands);
    // What a chart marks: faults and conditions with a duration (a full queue, a writer
    // down) matter on every chart; a component's instants (a scale-out, a target turning
    // healthy) only on its own chart.
    let chart_of = |title: String, panels: Vec<Panel>, focus: Option<&str>| Chart {
        title,
        subtitle: subtitle.clone(),
        panels,
        t_end,
        warmup_s,
        events: events
            .iter()
            .filter(|e| match mark_of(e, &kinds) {
                Mark::Instant => {
                    e.component == faults::ACTOR || Some(e.component.as_str()) == focus
                }
                _ => true,
            })
            .cloned()
            .collect(),
        instants_seed: first_seed,
        kinds: kinds.clone(),
    };
    let chart = |title: String, panels: Vec<Panel>| chart_of(title, panels, None);
    let line = |actor: &str, series: &str, label: &str, color: RGBColor, scale: f64| {
        table.band(actor, series, scale).map(|band| Line {
            label: label.to_string(),
            color,
            band: band.stepped_to(t_end),
            dashed: false,
        })
    };
    let mut out = Vec::new();
    let workloads: Vec<String> = summary["workloads"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for w in &workloads {
        let mut lat: Vec<Line> = [
            (&workload::LATENCY.p50, "p50", palette::P50),
            (&workload::LATENCY.p95, "p95", palette::P95),
            (&workload::LATENCY.p99, "p99", palette::P99),
        ]
        .iter()
        .filter_map(|(s, l, c)| line(w, s.id, l, *c, 1.0))
        .collect();
        // Each window's p99 is of its own requests, and most windows miss the bursts that
        // make the run's p99 (the pooled one of the summary, of every request of every
        // seed): drawn beside them, dashed over the measured period, so that the curve is
        // not read as the run's p99.
        let pooled = summary["workloads"][w]["latency_ms"]["p99"].as_f64();
        if let (Some(p99), false) = (pooled, lat.is_empty()) {
            let from = summary["warmup_s"].as_f64().unwrap_or(0.0);
            lat.push(Line {
                label: "p99 of the measured period, seeds pooled".into(),
                // Apart from the windows' red: on a plateau the two would be one line.
                color: RGBColor(60, 60, 60),
                band: crate::report::table::Band {
                    t: vec![from, t_end],
                    median: vec![p99; 2],
                    min: vec![p99; 2],
                    max: vec![p99; 2],
                },
                dashed: true,
            });
        }
        // Blank axes alone would read as a drawing that failed.
        let succeeded = lat
            .iter()
            .any(|l| l.band.median.iter().any(|v| v.is_finite()));
        // Where requests failed in the measured period, the p99 of all of them, a failure at
        // its time to fail: the successes' alone dip while customers time out (their
        // time-outs are not among them); and the share that failed, below.
        let failed = summary["workloads"][w]["error_rate"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.0;
        let all = failed
            .then(|| {
                line(
                    w,
                    workload::LATENCY_ALL.p99.id,
                    "p99 of all requests, a failure at its time to fail",
                    palette::P99_ALL,
                    1.0,
                )
            })
            .flatten();
        let mut title = format!("{name} · {w}: latency of successful requests");
        let with_all = all.is_some();
        if let Some(mut all) = all {
            all.dashed = true;
            lat.push(all);
            title.push_str(" and of all");
        }
        let mut latency = chart(
            title,
            vec![Panel {
                y_desc: "latency [ms] (log scale)".into(),
                log_y: true,
                kind: Kind::Lines,
                lines: lat,
                y_max: None,
                shared: None,
                hidden: Vec::new(),
            }],
        );
        if !succeeded {
            let drawn = if with_all {
                "only the p99 of all requests, failures at their time to fail"
            } else {
                "no latency to draw (see the requests by final status)"
            };
            latency.subtitle = format!("{} · no request succeeded: {drawn}", latency.subtitle);
        }
        out.push((format!("latency-{w}"), latency));
        // Final statuses, successes at the bottom, then errors by severity of colour.
        let mut statuses: Vec<(String, String)> = table
            .series_of(w, "")
            .into_iter()
            .filter_map(|s| workload::status_of_series(&s).map(|l| (l.to_string(), s.clone())))
            .collect();
        statuses.sort_by_key(|(l, _)| (!l.starts_with('2'), l.clone()));
        let stacked: Vec<Line> = statuses
            .iter()
            .filter_map(|(label, s)| line(w, s, label, palette::status(label), 1.0))
            .collect();
        let mut lines = stacked;
        let offered = line(w, workload::REQUESTS.id, "offered", palette::OFFERED, 1.0);
        let attempts = line(w, workload::ATTEMPTS.id, "attempts", palette::ATTEMPTS, 1.0);
        let mut overlay = Vec::new();
        if let Some(o) = offered {
            overlay.push(o);
        }
        let retried = summary["workloads"][w]["requests"]["retries"]
            .as_u64()
            .unwrap_or(0)
            > 0;
        if let (true, Some(mut a)) = (retried, attempts) {
            a.dashed = true;
            overlay.push(a);
        }
        let mut panels = vec![Panel {
            y_desc: "requests/s by final status".into(),
            log_y: false,
            kind: Kind::Stacked,
            lines: std::mem::take(&mut lines),
            y_max: None,
            shared: None,
            hidden: Vec::new(),
        }];
        if !overlay.is_empty() {
            panels.push(Panel {
                y_desc: "requests/s".into(),
                log_y: false,
                kind: Kind::Lines,
                lines: overlay,
                y_max: None,
                shared: None,
                hidden: Vec::new(),
            });
        }
        // The share that failed, window by window, when any did: a fault's errors stand out
        // at any rate of traffic, which a thin layer of the stack above hides.
        let share = failed
            .then(|| {
                line(
                    w,
                    workload::ERROR_RATE.id,
                    "failed, of the requests that ended",
                    palette::tone(Tone::Bad),
                    100.0,
                )
            })
            .flatten();
        if let Some(share) = share {
            panels.push(Panel {
                y_desc: "failed [%]".into(),
                log_y: false,
                kind: Kind::Lines,
                lines: vec![share],
                y_max: None,
                shared: None,
                hidden: Vec::new(),
            });
        }
        // A request is counted when it ends: a timeout long after it was sent, so that the
        // stack may stand above the offered rate for a while.
        out.push((
            format!("throughput-{w}"),
            chart(
                format!("{name} · {w}: requests by final status, as they end"),
                panels,
            ),
        ));
    }
    if let Some(components) = summary["components"].as_object() {
        for (id, c) in components {
            let kind = c["kind"].as_str().unwrap_or("");
            let declared = registry::info(kind).map_or(&[][..], |i| i.panels);
            let panels: Vec<Panel> = declared
                .iter()
                .filter_map(|spec| {
                    let mut lines = Vec::new();
                    let mut limits = Vec::new();
                    for l in spec.lines {
                        // The scenario's name for what the line stands for, if it has one.
                        // At most `MAX_LEGEND_CHARS`: a legend entry, not a paragraph.
                        let label = summary["legend"][id][l.series.id].as_str().map_or(
                            l.label.into(),
                            |s| {
                                let s = crate::text::one_line(s);
                                match s.char_indices().nth(MAX_LEGEND_CHARS) {
                                    Some((cut, _)) => format!("{}…", &s[..cut]).into(),
                                    None => s,
                                }
                            },
                        );
                        let Some(drawn) =
                            line(id, l.series.id, &label, palette::tone(l.tone), l.scale)
                        else {
                            continue;
                        };
                        if matches!(l.tone, Tone::Limit | Tone::WarnLimit) {
                            limits.push(lines.len());
                        }
                        lines.push(drawn);
                    }
                    let hidden = off_scale(&mut lines, &limits);
                    (!lines.is_empty()).then(|| Panel {
                        y_desc: spec.axis.to_string(),
                        log_y: false,
                        kind: Kind::Lines,
                        lines,
                        y_max: spec.y_max,
                        shared: None,
                        hidden,
                    })
                })
                .collect();
            if !panels.is_empty() {
                out.push((
                    format!("component-{id}"),
                    chart_of(format!("{name} · {id} ({kind})"), panels, Some(id.as_str())),
                ));
            }
        }
    }
    out
}

/// Gives each panel that several charts have alike (charts of one file stem, panels on one
/// axis) the y range that holds all of theirs: an experiment's variants, shown side by side
/// on its slides and page after page, are then compared by eye and not by their ticks.
/// `charts` holds each variant's charts; a panel without a value (no request succeeded: no
/// latency) neither sets the range nor takes it, a limit line left off its own scale is drawn
/// again where the shared range reaches it, and a chart whose panel took a shared range says
/// so in its subtitle.
pub fn share_scales(charts: &mut [&mut Vec<(String, Chart)>]) {
    // Per (stem, axis, log): the range so far, and how many charts have it.
    type Key = (String, String, bool);
    let key = |stem: &str, p: &Panel| (stem.to_string(), p.y_desc.clone(), p.log_y);
    let mut ranges: BTreeMap<Key, ((f64, f64), usize)> = BTreeMap::new();
    for (stem, chart) in charts.iter().flat_map(|c| c.iter()) {
        for panel in &chart.panels {
            if !has_values(&panel.lines) {
                continue;
            }
            let p = prepare(panel);
            ranges
                .entry(key(stem, panel))
                .and_modify(|((lo, hi), n)| {
                    (*lo, *hi, *n) = (lo.min(p.lo), hi.max(p.hi), *n + 1);
                })
                .or_insert(((p.lo, p.hi), 1));
        }
    }
    for (stem, chart) in charts.iter_mut().flat_map(|c| c.iter_mut()) {
        let mut any = false;
        for panel in &mut chart.panels {
            let Some(&(range, n)) = ranges.get(&key(stem, panel)) else {
                continue;
            };
            if n < 2 || !has_values(&panel.lines) {
                continue;
            }
            panel.shared = Some(range);
            any = true;
            for h in std::mem::take(&mut panel.hidden) {
                let bottom = h
                    .band
                    .median
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .fold(f64::INFINITY, f64::min);
                if bottom <= range.1 {
                    let l = &mut panel.lines[h.line];
                    (l.band, l.label) = (h.band, h.label);
                } else {
                    panel.hidden.push(h);
                }
            }
        }
        if any {
            chart
                .subtitle
                .push_str("; y axis shared with the other variants");
        }
    }
}

/// Whether any of `lines` has a value to draw.
fn has_values(lines: &[Line]) -> bool {
    lines.iter().any(|l| {
        l.band
            .median
            .iter()
            .chain(&l.band.max)
            .any(|v| v.is_finite())
    })
}

/// The longest legend label a summary's `legend` may give a line [characters]: a Route 53
/// record's target and role fit many times over.
const MAX_LEGEND_CHARS: usize = 60;

/// How far above a panel's other lines a limit may reach and still set the panel's scale:
/// beyond, it would flatten them against the axis (an on-demand table's 12,000 read units
/// over the 100 it uses, an account's KMS quota over one bucket's requests).
const OFF_SCALE: f64 = 5.0;

/// Leaves undrawn each limit line (`limits`, places in `lines`) that stays, at its lowest,
/// more than `OFF_SCALE` times above the panel's other lines; its legend entry says how high
/// it is. A limit that comes down near them at some point (a volume's burst falling to its
/// baseline, the lesson of its chart) is drawn whole, and so is every limit of a panel whose
/// other lines are all zero or empty.
fn off_scale(lines: &mut [Line], limits: &[usize]) -> Vec<Hidden> {
    let finite = |l: &Line| -> Vec<f64> {
        l.band
            .max
            .iter()
            .chain(&l.band.median)
            .copied()
            .filter(|v| v.is_finite())
            .collect()
    };
    let others = (0..lines.len())
        .filter(|i| !limits.contains(i))
        .flat_map(|i| finite(&lines[i]))
        .fold(0.0, f64::max);
    let mut hidden = Vec::new();
    if others <= 0.0 {
        return hidden;
    }
    for &i in limits {
        let values = finite(&lines[i]);
        let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let bottom = values.iter().copied().fold(f64::INFINITY, f64::min);
        if values.is_empty() || bottom <= OFF_SCALE * others {
            continue;
        }
        let l = &mut lines[i];
        hidden.push(Hidden {
            line: i,
            band: l.band.clone(),
            label: l.label.clone(),
        });
        let level = if bottom < top {
            format!("up to {}", short_number(top))
        } else {
            short_number(top)
        };
        l.label = format!("{} ({level}, off the scale)", l.label);
        let band = &mut l.band;
        for v in band
            .median
            .iter_mut()
            .chain(&mut band.min)
            .chain(&mut band.max)
        {
            *v = f64::NAN;
        }
    }
    hidden
}

/// What a scenario's charts show and from which seeds: with several, the curves are medians,
/// and so are the bands (see `marks`) while the instants are the first seed's, and the
/// subtitle says each, not one seed for all.
fn subtitle(seeds: &[u64], bands: bool) -> String {
    let first_seed = seeds.first().copied().unwrap_or(0);
    match seeds.len() {
        0 | 1 => format!("seed {first_seed}"),
        n if bands => format!(
            "median of {n} seeds, min-max range shaded; bands at the seeds' median, instants from seed {first_seed}"
        ),
        n => format!(
            "median of {n} seeds, min-max range shaded; instants marked from seed {first_seed}"
        ),
    }
}

/// Each component's kind, as the summary names it.
fn kinds_of(summary: &serde_json::Value) -> BTreeMap<String, &'static KindInfo> {
    summary["components"]
        .as_object()
        .map(|cs| {
            cs.iter()
                .filter_map(|(id, c)| {
                    registry::info(c["kind"].as_str()?).map(|info| (id.clone(), info))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The faults every scenario of a comparison has alike, as the first one's events (of each
/// one's first seed): a chart of them all can mark those, and no other (a fault of one
/// scenario would look like every curve's). A fault that lasts is alike when its label's
/// spans (`spans_of`) are the same in all, not by its start alone, which would be drawn
/// running to the end of the run; an instant when all have it at the same time.
fn shared_faults(events: &[&[Event]]) -> Vec<Event> {
    let kinds = BTreeMap::new();
    let each: Vec<(Vec<&Event>, _)> = events
        .iter()
        .map(|list| {
            let seed = list.iter().map(|e| e.seed).min();
            let mine: Vec<&Event> = list
                .iter()
                .filter(|e| e.component == faults::ACTOR && Some(e.seed) == seed)
                .collect();
            let spans = spans_of(&mine, &kinds, 1.0, f64::INFINITY, 0.0);
            (mine, spans)
        })
        .collect();
    let Some(((first, spans), rest)) = each.split_first() else {
        return Vec::new();
    };
    let at = |e: &Event| (e.time_s, e.event.clone(), e.detail.clone());
    first
        .iter()
        .filter(|e| match mark_of(e, &kinds) {
            Mark::SpanStart(w) | Mark::SpanEnd(w) => {
                let label = span_label(e, w);
                rest.iter().all(|(_, s)| s.get(&label) == spans.get(&label))
            }
            _ => rest.iter().all(|(m, _)| m.iter().any(|x| at(x) == at(e))),
        })
        .map(|e| (*e).clone())
        .collect()
}

/// Scenarios overlaid, one chart per metric, one colour per scenario (in index order): the
/// first workload's p99 latency and successful throughput, with the warmup shaded when all
/// have the same, and the faults they all have alike (`shared_faults`).
/// Overlays of the scenarios of one comparison group (`None`: scenarios without one).
pub fn comparison_charts(
    group: Option<&str>,
    scenarios: &[(&serde_json::Value, &SeriesTable, &[Event])],
) -> Vec<(String, Chart)> {
    let t_end = scenarios
        .iter()
        .filter_map(|(s, _, _)| s["duration_s"].as_f64())
        .fold(0.0, f64::max);
    let warmups: Vec<f64> = scenarios
        .iter()
        .map(|(s, _, _)| s["warmup_s"].as_f64().unwrap_or(0.0))
        .collect();
    let warmup_s = match warmups.split_first() {
        Some((w, rest)) if rest.iter().all(|x| x == w) => *w,
        _ => 0.0,
    };
    let events: Vec<&[Event]> = scenarios.iter().map(|(_, _, e)| *e).collect();
    let faults = shared_faults(&events);
    let instants_seed = faults.first().map_or(0, |e| e.seed);
    let mut p99 = Vec::new();
    let mut ok = Vec::new();
    for (i, (summary, table, _)) in scenarios.iter().enumerate() {
        let name = summary["scenario"].as_str().unwrap_or("?").to_string();
        let Some(w) = summary["workloads"]
            .as_object()
            .and_then(|m| m.keys().next().cloned())
        else {
            continue;
        };
        let color = palette::SERIES[i % palette::SERIES.len()];
        let end_s = summary["duration_s"].as_f64().unwrap_or(0.0);
        if let Some(band) = table.band(&w, workload::LATENCY.p99.id, 1.0) {
            p99.push(Line {
                label: name.clone(),
                color,
                band: band.stepped_to(end_s),
                dashed: false,
            });
        }
        if let Some(band) = table.band(&w, &workload::status_series("200"), 1.0) {
            ok.push(Line {
                label: name,
                color,
                band: band.stepped_to(end_s),
                dashed: false,
            });
        }
    }
    let chart = |title: &str, y_desc: &str, log_y: bool, lines: Vec<Line>| Chart {
        title: title.to_string(),
        subtitle: "first workload of each scenario; median over seeds".to_string(),
        panels: vec![Panel {
            y_desc: y_desc.to_string(),
            log_y,
            kind: Kind::Lines,
            lines,
            y_max: None,
            shared: None,
            hidden: Vec::new(),
        }],
        t_end,
        warmup_s,
        events: faults.clone(),
        instants_seed,
        kinds: BTreeMap::new(),
    };
    let (stem, of) = match group {
        Some(g) => (format!("compare-{g}-"), format!(": {g}")),
        None => ("compare-".to_string(), String::new()),
    };
    vec![
        (
            format!("{stem}latency-p99"),
            chart(
                &format!("p99 latency of successful requests, by scenario{of}"),
                "p99 latency [ms] (log scale)",
                true,
                p99,
            ),
        ),
        (
            format!("{stem}throughput"),
            chart(
                &format!("Successful requests per second, by scenario{of}"),
                "requests/s with status 200",
                false,
                ok,
            ),
        ),
    ]
}

#[cfg(test)]
mod comparison_tests {
    use super::tests::ev as fault;
    use super::*;

    #[test]
    fn only_the_faults_every_scenario_has_alike_are_shared() {
        let outage = |seed, at| {
            vec![
                fault(seed, at, faults::FAULT_START, "zone b outage"),
                fault(seed, at + 20.0, faults::FAULT_END, "zone b outage"),
            ]
        };
        // Seeds 1 and 2 of one scenario, seed 7 of the other: each one's first seed counts.
        let a: Vec<Event> = [outage(1, 60.0), outage(2, 60.0)].concat();
        let b = outage(7, 60.0);
        let shared = shared_faults(&[&a, &b]);
        assert_eq!(shared, outage(1, 60.0));
        // The same fault at another instant in one of them: nothing is shared.
        let late = outage(7, 90.0);
        assert!(shared_faults(&[&a, &late]).is_empty());
        // Starting alike but ending 40 s later: not alike (its start alone would be drawn
        // running to the end of the run).
        let mut longer = outage(7, 60.0);
        longer[1].time_s = 120.0;
        assert!(shared_faults(&[&a, &longer]).is_empty());
        // A component's own events are never a comparison's marks.
        let mut own = outage(7, 60.0);
        let mut failover = fault(7, 65.0, "failover", "db");
        failover.component = "db".to_string();
        own.push(failover.clone());
        let mut both = a.clone();
        both.push(failover);
        assert_eq!(shared_faults(&[&both, &own]), outage(1, 60.0));
    }
}

#[cfg(test)]
mod tick_tests {
    #[test]
    fn close_ticks_print_apart() {
        let ticks: Vec<String> = [0.03, 0.035, 0.04, 0.045, 0.05]
            .iter()
            .map(|&v| super::short_number(v))
            .collect();
        assert_eq!(ticks, ["0.03", "0.035", "0.04", "0.045", "0.05"]);
        assert_eq!(super::short_number(0.0), "0");
        assert_eq!(super::short_number(12_500.0), "12.5k");
        assert_eq!(super::short_number(2.5), "2.5");
        assert_eq!(super::short_number(-0.0001234), "-0.000123");
    }

    #[test]
    fn one_axis_labels_every_tick_in_one_unit() {
        let ticks: Vec<String> = [0.0, 2_500.0, 5_000.0, 7_500.0, 10_000.0, 12_500.0]
            .iter()
            .map(|&v| super::axis_number(v, &(0.0..12_500.0)))
            .collect();
        assert_eq!(ticks, ["0", "2.5k", "5k", "7.5k", "10k", "12.5k"]);
        let ticks: Vec<String> = [0.0, 500_000.0, 1_000_000.0, 1_500_000.0]
            .iter()
            .map(|&v| super::axis_number(v, &(0.0..1_500_000.0)))
            .collect();
        assert_eq!(ticks, ["0", "0.5M", "1M", "1.5M"]);
        assert_eq!(super::axis_number(4_000.0, &(0.0..5_000.0)), "4000");
        // Ticks close together get the decimals that tell them apart, and no more.
        let ticks: Vec<String> = [1.4690, 1.4695, 1.4700, 1.4705, 1.4710]
            .iter()
            .map(|&v| super::axis_number(v, &(1.4688..1.4712)))
            .collect();
        assert_eq!(ticks, ["1.469", "1.4695", "1.47", "1.4705", "1.471"]);
        let ticks: Vec<String> = [0.01680, 0.01685, 0.01690]
            .iter()
            .map(|&v| super::axis_number(v, &(0.01678..0.0169)))
            .collect();
        assert_eq!(ticks, ["0.0168", "0.01685", "0.0169"]);
    }

    #[test]
    fn a_log_axis_starts_clear_below_its_least_value() {
        let at = |v: f64| {
            let line = super::Line {
                label: "p50".into(),
                color: plotters::style::RGBColor(0, 0, 0),
                band: crate::report::table::Band {
                    t: vec![0.0, 1.0],
                    median: vec![v, 3000.0],
                    min: vec![v, 3000.0],
                    max: vec![v, 3000.0],
                },
                dashed: false,
            };
            super::y_extent(&[line], true).0
        };
        // Just above a power of ten: half of it, not the power on which the line would lie.
        assert_eq!(at(10.35), 5.0);
        assert_eq!(at(100.0), 50.0);
        // Well above: the power of ten under it, as ever.
        assert_eq!(at(12.5), 10.0);
        assert_eq!(at(60.0), 10.0);
        assert!((at(0.378) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_y_description_fits_its_panel() {
        // Half the font size a character, as a sans-serif font roughly is.
        let width = |line: &str, size: u32| line.chars().count() as u32 * size / 2;
        let fit = |text, span| super::fit_y_desc(text, span, width);
        // "requests/s" at 26 px is 130 px: one line in a tall panel.
        assert_eq!(fit("requests/s", 300), (vec!["requests/s"], 26));
        // "capacity units/s" is 208 px at 26 px: two lines of 8 and 7 characters in a
        // 150 px panel, split at its one space.
        assert_eq!(
            fit("capacity units/s", 150),
            (vec!["capacity", "units/s"], 26)
        );
        // The space nearest the middle splits it: "requests/s by" and "final status".
        assert_eq!(
            fit("requests/s by final status", 200),
            (vec!["requests/s by", "final status"], 26)
        );
        // Too long even on two lines at 26 and 24 px: 22 px fits (13 characters × 11 px).
        assert_eq!(
            fit("requests/s by final status", 150),
            (vec!["requests/s by", "final status"], 22)
        );
        // No space to split at and no size that fits: the smallest size, one line.
        assert_eq!(fit("throttles/s", 40), (vec!["throttles/s"], 18));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_keeps_its_corners_and_a_spike_its_tip() {
        // Three windows at 5, one at 9, one at 5: each window two points.
        let steps = vec![
            (0.0, 5.0),
            (1.0, 5.0),
            (1.0, 5.0),
            (2.0, 5.0),
            (2.0, 5.0),
            (3.0, 5.0),
            (3.0, 9.0),
            (4.0, 9.0),
            (4.0, 5.0),
            (5.0, 5.0),
        ];
        assert_eq!(
            straightened(steps),
            [
                (0.0, 5.0),
                (3.0, 5.0),
                (3.0, 9.0),
                (4.0, 9.0),
                (4.0, 5.0),
                (5.0, 5.0)
            ]
        );
        // On one x, a point beyond both neighbours is a tip, kept.
        let tip = vec![(1.0, 2.0), (1.0, 8.0), (1.0, 3.0)];
        assert_eq!(straightened(tip.clone()), tip);
        let through = vec![(1.0, 2.0), (1.0, 5.0), (1.0, 8.0)];
        assert_eq!(straightened(through), [(1.0, 2.0), (1.0, 8.0)]);
    }

    /// A one-panel chart of one line at `values`, its axis `y_desc`, linear or log.
    fn one_line_chart(y_desc: &str, log_y: bool, values: &[f64]) -> super::Chart {
        super::Chart {
            title: "t".into(),
            subtitle: "seed 1".into(),
            panels: vec![super::Panel {
                y_desc: y_desc.into(),
                log_y,
                kind: super::Kind::Lines,
                lines: vec![super::Line {
                    label: "l".into(),
                    color: plotters::style::RGBColor(0, 0, 0),
                    band: crate::report::table::Band {
                        t: (0..values.len()).map(|k| k as f64).collect(),
                        median: values.to_vec(),
                        min: values.to_vec(),
                        max: values.to_vec(),
                    },
                    dashed: false,
                }],
                y_max: None,
                shared: None,
                hidden: Vec::new(),
            }],
            t_end: values.len() as f64,
            warmup_s: 0.0,
            events: Vec::new(),
            instants_seed: 1,
            kinds: Default::default(),
        }
    }

    #[test]
    fn variants_charts_alike_share_the_range_that_holds_them_all() {
        let chart = |stem: &str, y: &str, log: bool, v: &[f64]| {
            (stem.to_string(), one_line_chart(y, log, v))
        };
        let mut a = vec![
            chart("throughput-users", "requests/s", false, &[100.0, 120.0]),
            chart("latency-users", "latency [ms]", true, &[20.0, 40.0]),
            chart("component-db", "connections", false, &[3.0, 4.0]),
            chart("component-web", "vCPUs busy", false, &[2.0, 2.0]),
        ];
        let mut b = vec![
            chart("throughput-users", "requests/s", false, &[300.0, 200.0]),
            chart("latency-users", "latency [ms]", true, &[300.0, f64::NAN]),
            // Another axis under the same stem: each keeps its own.
            chart("component-db", "queries/s", false, &[30.0, 40.0]),
        ];
        let own = |c: &super::Chart| {
            let p = super::prepare(&c.panels[0]);
            (p.lo, p.hi)
        };
        let (a_lat, b_lat) = (own(&a[1].1), own(&b[1].1));
        let b_top = own(&b[0].1).1;
        super::share_scales(&mut [&mut a, &mut b]);
        // Linear: from 0 to the higher top, the same in both.
        assert_eq!(own(&a[0].1), (0.0, b_top));
        assert_eq!(own(&b[0].1), (0.0, b_top));
        // Log: the lower bottom and the higher top.
        let both = (a_lat.0.min(b_lat.0), a_lat.1.max(b_lat.1));
        assert!(both.0 < b_lat.0 && both.1 > a_lat.1, "{both:?}");
        assert_eq!(own(&a[1].1), both);
        assert_eq!(own(&b[1].1), both);
        // Unlike axes, and a chart one variant alone has, keep their own scale and say nothing.
        for c in [&a[2].1, &b[2].1, &a[3].1] {
            assert!(c.panels[0].shared.is_none());
            assert_eq!(c.subtitle, "seed 1");
        }
        assert!(a[0]
            .1
            .subtitle
            .ends_with("; y axis shared with the other variants"));
    }

    #[test]
    fn a_limit_off_its_own_scale_is_drawn_where_the_shared_range_reaches_it() {
        // One variant uses 10 of a limit of 1,000 (off its scale, left undrawn and said so),
        // another 300 (the limit drawn): on the shared range the first draws it too.
        let chart = |usage: f64| {
            let mut c = one_line_chart("in use", false, &[usage, usage]);
            let mut limit = super::Line {
                label: "limit".into(),
                color: plotters::style::RGBColor(0, 0, 0),
                band: c.panels[0].lines[0].band.clone(),
                dashed: true,
            };
            for v in limit
                .band
                .median
                .iter_mut()
                .chain(&mut limit.band.max)
                .chain(&mut limit.band.min)
            {
                *v = 1000.0;
            }
            c.panels[0].lines.push(limit);
            c.panels[0].hidden = super::off_scale(&mut c.panels[0].lines, &[1]);
            ("component-fn".to_string(), c)
        };
        let (mut a, mut b) = (vec![chart(10.0)], vec![chart(300.0)]);
        assert_eq!(a[0].1.panels[0].hidden.len(), 1);
        assert!(a[0].1.panels[0].lines[1].label.contains("off the scale"));
        assert!(b[0].1.panels[0].hidden.is_empty());
        super::share_scales(&mut [&mut a, &mut b]);
        let drawn = &a[0].1.panels[0].lines[1];
        assert_eq!(drawn.label, "limit");
        assert_eq!(drawn.band.median, vec![1000.0, 1000.0]);
        assert!(a[0].1.panels[0].hidden.is_empty());
    }

    #[test]
    fn a_panel_without_a_value_neither_sets_a_shared_scale_nor_takes_it() {
        let mut a = vec![(
            "latency-users".to_string(),
            one_line_chart("ms", true, &[20.0, 30.0]),
        )];
        let mut b = vec![(
            "latency-users".to_string(),
            one_line_chart("ms", true, &[f64::NAN]),
        )];
        let mut c = vec![(
            "latency-users".to_string(),
            one_line_chart("ms", true, &[25.0]),
        )];
        let own_a = super::prepare(&a[0].1.panels[0]);
        super::share_scales(&mut [&mut a, &mut b, &mut c]);
        assert!(b[0].1.panels[0].shared.is_none());
        assert_eq!(a[0].1.panels[0].shared, Some((own_a.lo, own_a.hi)));
        assert!(c[0].1.panels[0].shared.is_some());
    }

    #[test]
    fn every_status_archsim_answers_has_its_own_colour() {
        use crate::status::*;
        let labels = CODES.iter().map(|c| c.to_string());
        let words = WORDS.iter().map(|w| w.to_string());
        // Another success, and two statuses a scenario might inject.
        let others = ["201", "404", "409"].map(String::from);
        let mut seen = std::collections::BTreeMap::new();
        for l in labels.chain(words).chain(others) {
            let c = palette::status(&l);
            if let Some(other) = seen.insert((c.0, c.1, c.2), l.clone()) {
                panic!("{l} and {other} share a colour");
            }
        }
    }

    /// An event of the fault timeline.
    pub(super) fn ev(seed: u64, time_s: f64, event: &str, detail: &str) -> Event {
        Event {
            time_s,
            seed,
            component: faults::ACTOR.to_string(),
            event: event.to_string(),
            detail: detail.to_string(),
        }
    }

    #[test]
    fn a_span_is_drawn_where_the_median_seed_has_it() {
        // A failover of 70, 110 and 90 s in three seeds: the band is the 90 s one, as the
        // median curves show it.
        let lists: [&[(f64, f64)]; 3] = [&[(10.0, 80.0)], &[(10.0, 120.0)], &[(10.0, 100.0)]];
        assert_eq!(median_spans(&lists), vec![(10.0, 100.0)]);
        // Two seeds of four have a second span: the median count is the lower median, one.
        let lists: [&[(f64, f64)]; 4] = [
            &[(1.0, 2.0)],
            &[],
            &[(1.0, 4.0), (5.0, 6.0)],
            &[(3.0, 4.0), (5.0, 6.0)],
        ];
        assert_eq!(median_spans(&lists), vec![(1.0, 2.0)]);
        // A span only one seed of three has is not drawn.
        let lists: [&[(f64, f64)]; 3] = [&[], &[], &[(1.0, 2.0)]];
        assert!(median_spans(&lists).is_empty());
    }

    #[test]
    fn a_count_of_a_few_is_labelled_at_whole_numbers() {
        // A bucket's one partition, then two: an axis 0 to 3 labelled 0, 1, 2, 3, not 0.2 apart.
        assert_eq!(small_count(&[flat_line("count", 1.0, 2.0)]), Some(3.0));
        // A time average of a split within a window (1.5), a count above 5, or nothing but
        // zeros keep the ordinary axis.
        assert_eq!(small_count(&[flat_line("count", 1.0, 1.5)]), None);
        assert_eq!(small_count(&[flat_line("instances", 4.0, 8.0)]), None);
        assert_eq!(small_count(&[flat_line("failed", 0.0, 0.0)]), None);
    }

    fn flat_line(label: &str, left: f64, right: f64) -> Line {
        // Ten windows of 10 s: `left` for the first half, `right` for the second.
        let t: Vec<f64> = (0..10).map(|k| 10.0 * f64::from(k)).collect();
        let v: Vec<f64> = (0..10).map(|k| if k < 5 { left } else { right }).collect();
        Line {
            label: label.into(),
            color: BLACK,
            band: crate::report::table::Band {
                t,
                median: v.clone(),
                min: v.clone(),
                max: v,
            },
            dashed: false,
        }
    }

    #[test]
    fn a_recurring_mark_says_how_many_fell_in_the_warmup() {
        let marks = |times: &[(f64, usize)]| Marks {
            spans: Vec::new(),
            instants: times
                .iter()
                .map(|&(x, n)| (x, "web scale out".to_string(), n))
                .collect(),
            at_least: Vec::new(),
        };
        let text = |m: &Marks, warmup: f64| layout(m, 10.0, warmup, 1280)[0].text.clone();
        // Two together at 1 (in a warmup to 2), one at 5: the summary counts 1.
        let m = marks(&[(1.0, 2), (5.0, 1)]);
        assert_eq!(text(&m, 2.0), "web scale out (3 times, 2 in the warmup)");
        assert_eq!(text(&m, 0.0), "web scale out (3 times)");
        assert_eq!(text(&marks(&[(1.0, 1)]), 2.0), "web scale out");
    }

    #[test]
    fn a_limit_far_above_the_rest_is_named_not_drawn() {
        // 100 requests/s against a 5,500 quota: the quota would flatten them to the axis.
        let mut lines = vec![
            flat_line("received", 80.0, 100.0),
            flat_line("quota", 5_500.0, 5_500.0),
        ];
        off_scale(&mut lines, &[1]);
        assert_eq!(lines[1].label, "quota (5500, off the scale)");
        assert!(lines[1].band.median.iter().all(|v| v.is_nan()));
        assert_eq!(lines[0].label, "received");
        let (lo, hi) = y_extent(&lines, false);
        assert!(lo == 0.0 && (hi - 115.0).abs() < 1e-9, "{hi}");
        // A capacity that varies, always far above, says how high it reaches.
        let mut lines = vec![
            flat_line("used", 10.0, 10.0),
            flat_line("capacity", 60.0, 90.0),
        ];
        off_scale(&mut lines, &[1]);
        assert_eq!(lines[1].label, "capacity (up to 90, off the scale)");
        // One that comes down near the rest is drawn whole: a gp2 volume's 3,000 IOPS burst
        // falling to its 300 baseline under 480 asked for is the chart's lesson.
        let mut lines = vec![
            flat_line("asked", 480.0, 480.0),
            flat_line("limit", 3_000.0, 300.0),
        ];
        off_scale(&mut lines, &[1]);
        assert_eq!(lines[1].label, "limit");
        assert!(lines[1].band.median.iter().all(|v| v.is_finite()));
        // Within five times the rest, or over lines that are all zero, it is drawn.
        for (used, limit) in [(1_200.0, 5_500.0), (0.0, 5_500.0)] {
            let mut lines = vec![
                flat_line("used", used, used),
                flat_line("limit", limit, limit),
            ];
            off_scale(&mut lines, &[1]);
            assert_eq!(lines[1].label, "limit");
            assert!(lines[1].band.median.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn a_log_axis_is_labelled_at_one_two_and_five_where_there_is_room() {
        // A full chart, three decades: 1, 2 and 5 of each.
        let (bold, light) = log_ticks(10.0, 10_000.0, 720.0);
        let want = [10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4];
        assert_eq!(bold, want);
        assert!(light.contains(&30.0) && light.contains(&9000.0) && !light.contains(&50.0));
        // A panel of a stacked chart: 1 and 3, then the decades alone.
        assert_eq!(
            log_ticks(10.0, 1000.0, 300.0).0,
            [10.0, 30.0, 100.0, 300.0, 1e3]
        );
        assert_eq!(log_ticks(10.0, 10_000.0, 250.0).0, [10.0, 100.0, 1e3, 1e4]);
        // Ten decades on a small panel: every other decade.
        assert_eq!(
            log_ticks(0.1, 1e9, 400.0).0,
            [0.1, 10.0, 1e3, 1e5, 1e7, 1e9]
        );
    }

    #[test]
    fn a_legend_goes_where_the_lines_are_not() {
        let corner = |lines: &[Line], warmup: bool| {
            format!(
                "{:?}",
                legend_corner(lines, (0.0, 10.0), false, 90.0, (1000, 200), warmup).1
            )
        };
        // Low everywhere: the upper right is free.
        assert_eq!(corner(&[flat_line("a", 1.0, 1.0)], false), "UpperRight");
        // High on the right: the lower right.
        assert_eq!(corner(&[flat_line("a", 1.0, 9.5)], false), "LowerRight");
        // High on the right and low on the right too: the upper left, unless the warmup's
        // label is there, then the lower left (which is also free).
        let both = [flat_line("a", 5.0, 9.5), flat_line("b", 5.0, 0.5)];
        assert_eq!(corner(&both, false), "UpperLeft");
        assert_eq!(corner(&both, true), "LowerLeft");
        // High and low on both sides, nothing between: the middle of the right edge.
        let apart = [flat_line("a", 9.5, 9.5), flat_line("b", 0.5, 0.5)];
        assert_eq!(corner(&apart, false), "MiddleRight");
        // Besides, a line that jumps from low to high near the right edge crosses the middle
        // of it between two points: the middle of the left edge.
        let jump = |label| {
            let mut l = flat_line(label, 0.5, 0.5);
            l.band.median[9] = 9.5;
            l.band.max[9] = 9.5;
            l
        };
        let edge = [flat_line("a", 9.5, 9.5), jump("b")];
        assert_eq!(corner(&edge, false), "MiddleLeft");
        // Spikes at the left, the middle and the right of a low line: every corner and middle
        // hides part of one, and the legend goes along the top between the first two, in
        // pixels from the plotting area's top left.
        let spiky = |at: &[usize]| {
            let mut l = flat_line("a", 0.5, 0.5);
            for &k in at {
                l.band.median[k] = 9.5;
                l.band.max[k] = 9.5;
            }
            l
        };
        assert_eq!(corner(&[spiky(&[0, 4, 9])], false), "Coordinate(100, 5)");
        // The warmup's label takes the top left's first 90 px, not the gap after them; in a
        // narrower panel the first tenth is under the label, and the next one is used.
        assert_eq!(corner(&[spiky(&[0, 4, 9])], true), "Coordinate(100, 5)");
        let narrow = |warmup: bool| {
            let lines = [spiky(&[0, 4, 9])];
            format!(
                "{:?}",
                legend_corner(&lines, (0.0, 10.0), false, 90.0, (800, 200), warmup).1
            )
        };
        assert_eq!(narrow(false), "Coordinate(80, 5)");
        assert_eq!(narrow(true), "Coordinate(160, 5)");
        // With a second, flat line along the bottom the legend is taller; a spike in that gap
        // too: the top there is taken, and the next free tenth is used.
        let two = [spiky(&[0, 2, 4, 9]), flat_line("b", 0.5, 0.5)];
        assert_eq!(corner(&two, false), "Coordinate(300, 5)");
    }

    /// A line of `values`, one a 4 s window over 240 s.
    fn line_of(label: &str, values: impl Fn(usize) -> f64) -> Line {
        let t: Vec<f64> = (0..60).map(|k| 4.0 * k as f64).collect();
        let v: Vec<f64> = (0..60).map(values).collect();
        Line {
            label: label.into(),
            color: BLACK,
            band: Band {
                t,
                median: v.clone(),
                min: v.iter().map(|x| x * 0.9).collect(),
                max: v.iter().map(|x| x * 1.1).collect(),
            },
            dashed: false,
        }
    }

    fn chart_of(panels: Vec<Vec<Line>>) -> Chart {
        Chart {
            title: String::new(),
            subtitle: "median of 2 seeds".into(),
            panels: panels
                .into_iter()
                .map(|lines| Panel {
                    y_desc: "units".into(),
                    log_y: false,
                    kind: Kind::Lines,
                    lines,
                    y_max: None,
                    shared: None,
                    hidden: Vec::new(),
                })
                .collect(),
            t_end: 240.0,
            warmup_s: 0.0,
            events: Vec::new(),
            instants_seed: 1,
            kinds: BTreeMap::new(),
        }
    }

    /// Each panel's plan in a 1280 px chart's body below a two-line title, with the
    /// boxes every legend takes, having checked that none of them covers any part of any
    /// panel's lines (their medians, both edges of their bands, the shaded range between),
    /// meets another legend, or leaves the body.
    fn check_legends_cover_nothing(chart: &Chart) -> Vec<PanelPlan> {
        let body = (WIDTH, HEIGHT - 88);
        // About 11 px a character of the 22 px font, as DejaVu Sans is.
        let text_width = |t: &str| t.chars().count() as u32 * 11;
        let prepared: Vec<Prepared> = chart.panels.iter().map(prepare).collect();
        let plans = plan_panels(chart, &prepared, body, &text_width);
        let boxes: Vec<Rect> = plans
            .iter()
            .zip(&chart.panels)
            .filter_map(|(plan, panel)| plan.legend_box(body.0, inside_legend_size(&panel.lines)))
            .collect();
        for (i, &(x0, y0, x1, y1)) in boxes.iter().enumerate() {
            assert!(x0 >= 0 && y0 >= 0 && x1 <= body.0 as i32 && y1 <= body.1 as i32);
            for other in &boxes[i + 1..] {
                assert!(!overlap((x0, y0, x1, y1), *other), "legends {boxes:?} meet");
            }
        }
        for ((plan, panel), prep) in plans.iter().zip(&chart.panels).zip(&prepared) {
            let (x0, y0, x1, y1) = plan.plot(body.0);
            assert!(y1 - y0 > 50, "a plotting area {} px tall", y1 - y0);
            let px = |t: f64, v: f64| {
                (
                    f64::from(x0) + t / chart.t_end * f64::from(x1 - x0),
                    f64::from(y1) - (v - prep.lo) / (prep.hi - prep.lo) * f64::from(y1 - y0),
                )
            };
            for l in &panel.lines {
                let b = &l.band;
                // Each edge's segments, and the shaded range at each point.
                let mut segments: Vec<((f64, f64), (f64, f64))> = Vec::new();
                for edge in [&b.median, &b.min, &b.max] {
                    let pts: Vec<(f64, f64)> =
                        b.t.iter().zip(edge).map(|(&t, &v)| px(t, v)).collect();
                    segments.extend(pts.windows(2).map(|w| (w[0], w[1])));
                }
                for k in 0..b.t.len() {
                    segments.push((px(b.t[k], b.min[k]), px(b.t[k], b.max[k])));
                }
                for r in &boxes {
                    let r = (
                        f64::from(r.0),
                        f64::from(r.2),
                        f64::from(r.1),
                        f64::from(r.3),
                    );
                    for &(a, z) in &segments {
                        assert!(!crosses(a, z, r), "{r:?} covers {} near {a:?}", l.label);
                    }
                }
            }
        }
        plans
    }

    fn overlap(a: Rect, b: Rect) -> bool {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    }

    #[test]
    fn a_legend_never_covers_a_line() {
        // The capacity panel of a DynamoDB table taking a burst of writes
        // (dynamodb-streams-iterator-age): write capacity along the top, read capacity and
        // the reads along the bottom, the writes stepping from the bottom to half way up and
        // back. A quarter of the chart is about 120 px tall; four rows of legend are about
        // 140: every corner and middle of it covers a line.
        let capacity = vec![
            line_of("reads consumed", |_| 1.0),
            line_of("read capacity", |_| 100.0),
            line_of("writes consumed", |k| {
                if (15..30).contains(&k) {
                    300.0
                } else {
                    20.0
                }
            }),
            line_of("write capacity", |_| 600.0),
        ];
        let chart = chart_of(vec![
            capacity,
            vec![line_of("throttled", |_| 0.0)],
            vec![line_of("iterator age (max)", |k| 3.0 * k as f64)],
            vec![
                line_of("held by the stream", |k| 200.0 * k.min(30) as f64),
                line_of("discarded (per window)", |_| 0.0),
            ],
        ]);
        let plans = check_legends_cover_nothing(&chart);
        // So every panel's legend is in a row above its plotting area, all four entries of
        // the first side by side.
        for p in &plans {
            assert!(matches!(
                p.legend,
                Some(Legend::Above(Grid { rows: 1, .. }))
            ));
        }
        // The plotting areas are equally tall, and the panels fill the body.
        let heights: Vec<i32> = plans
            .iter()
            .map(|p| p.plot(WIDTH).3 - p.plot(WIDTH).1)
            .collect();
        assert!(heights.iter().max().unwrap() - heights.iter().min().unwrap() <= 1);
        assert_eq!(plans.last().unwrap().y1, (HEIGHT - 88) as i32);

        // A chart whose every legend has a free corner keeps them there: lines low but for
        // a spike in the middle leave the upper right free.
        let plans = check_legends_cover_nothing(&chart_of(vec![
            vec![
                line_of("p50", |_| 1.0),
                line_of("p99", |k| if k == 30 { 10.0 } else { 2.0 }),
            ],
            vec![line_of("requests", |k| if k == 30 { 90.0 } else { 30.0 })],
        ]));
        for p in &plans {
            assert!(
                matches!(
                    p.legend,
                    Some(Legend::Inside(SeriesLabelPosition::UpperRight))
                ),
                "{p:?}"
            );
        }
    }

    #[test]
    fn a_legend_above_its_panel_takes_the_fewest_rows() {
        // Six entries of 130 to 300 px do not fit side by side in 1100 px (1257 with the
        // gaps); in two rows of three, columns as wide as their widest entry: 155, 255 and
        // 305 px, 28 px apart.
        let widths = [130, 155, 117, 155, 255, 305];
        assert_eq!(
            legend_grid(&widths, 1100),
            Grid {
                cols: 3,
                rows: 2,
                col_x: vec![0, 183, 466],
                width: 771,
            }
        );
        assert_eq!(legend_grid(&widths, 1300).rows, 1);
        // One entry wider than the room: one a row.
        assert_eq!(legend_grid(&[400, 50], 300).cols, 1);
    }

    #[test]
    fn a_segment_crosses_a_box_it_passes_through_not_one_beside_it() {
        let unit = (0.0, 1.0, 0.0, 1.0);
        assert!(crosses((-1.0, 0.5), (2.0, 0.5), unit), "straight through");
        assert!(crosses((0.5, -1.0), (0.5, 2.0), unit), "vertical, through");
        assert!(crosses((0.5, 0.5), (3.0, 3.0), unit), "from inside");
        assert!(!crosses((2.0, 0.0), (2.0, 5.0), unit), "vertical, beside");
        assert!(!crosses((-1.0, 0.5), (0.5, 3.0), unit), "past the corner");
        assert!(!crosses((1.5, 0.0), (3.0, 1.0), unit), "wholly right of it");
    }

    #[test]
    fn the_subtitle_says_the_bands_are_the_median_and_the_instants_one_seed() {
        // A fault's band is the seeds' median (the writer of seed 44 back at 387 s) but its
        // instants are seed 42's (back at 420 s): the subtitle must not name seed 42 for both.
        let s = subtitle(&[42, 43, 44, 45, 46], true);
        assert!(s.contains("bands at the seeds' median"), "{s}");
        assert!(s.contains("instants from seed 42"), "{s}");
        // Without a band there is nothing to say of bands; one seed is that seed's alone.
        let s = subtitle(&[42, 43, 44], false);
        assert!(!s.contains("bands"), "{s}");
        assert!(s.contains("instants marked from seed 42"), "{s}");
        assert_eq!(subtitle(&[7], true), "seed 7");
    }

    #[test]
    fn a_long_title_takes_smaller_type() {
        let width = |t: &str, size: u32| t.chars().count() as u32 * size * 6 / 10;
        assert_eq!(sized_to_fit("short", 1000, width), 36);
        let long = "serverless-burst-429 [stage-throttle-5000] · users: requests by final status";
        let size = sized_to_fit(long, 1232, width);
        assert!(size < 36 && width(long, size) <= 1232, "{size}");
    }

    #[test]
    fn marks_take_spans_from_every_seed_and_instants_from_one() {
        let mut events = Vec::new();
        for (seed, end) in [(1, 70.0), (2, 110.0), (3, 90.0)] {
            events.push(ev(seed, 10.0, faults::FAULT_START, "db down"));
            events.push(ev(seed, end, faults::FAULT_END, "db down"));
            events.push(ev(seed, 5.0 * seed as f64, "note", &format!("seed {seed}")));
        }
        let m = marks(&events, 2, &BTreeMap::new(), 1.0, (0.0, 200.0));
        assert_eq!(m.spans.len(), 1);
        assert_eq!(m.spans[0].0, "db down");
        assert_eq!(m.spans[0].2, vec![(10.0, 90.0)]);
        let instants: Vec<&str> = m.instants.iter().map(|(_, l, _)| l.as_str()).collect();
        assert_eq!(instants, ["seed 2"]);
    }

    #[test]
    fn overlapping_spans_get_a_row_each_with_their_extents_as_bars() {
        // A zone's outage from 180 to 360 s and, inside it, a database down from 180 to
        // 248 s: their shades overlap, so each label's row carries its span's extent; the
        // short one's label and bar leave room for nothing else of the long one's.
        let m = Marks {
            spans: vec![
                ("db writer down".into(), RED, vec![(180.0, 248.0)]),
                ("zone a outage".into(), BLUE, vec![(180.0, 360.0)]),
            ],
            instants: Vec::new(),
            at_least: Vec::new(),
        };
        let placed = layout(&m, 480.0, 60.0, 1280);
        let px = |x: f64| {
            PLOT_LEFT + (x / 480.0 * f64::from(1280 - PLOT_RIGHT_MARGIN - PLOT_LEFT)) as i32
        };
        assert_eq!(placed.len(), 2);
        assert_ne!(placed[0].row, placed[1].row);
        let bars = |text: &str| placed.iter().find(|p| p.text == text).unwrap().bars.clone();
        assert_eq!(bars("db writer down"), [(px(180.0), px(248.0))]);
        assert_eq!(bars("zone a outage"), [(px(180.0), px(360.0))]);
        // A span that ends before another starts shares its row.
        let m = Marks {
            spans: vec![
                ("first".into(), RED, vec![(10.0, 50.0)]),
                ("second".into(), BLUE, vec![(300.0, 400.0)]),
            ],
            instants: Vec::new(),
            at_least: Vec::new(),
        };
        let placed = layout(&m, 480.0, 0.0, 1280);
        assert_eq!((placed[0].row, placed[1].row), (0, 0));
    }

    #[test]
    fn instants_close_together_are_grouped_but_never_across_the_warmups_end() {
        // Three "note"s 1 s apart (a gap of 2 s groups them) around a warmup ending at 11 s:
        // the two before it are one group, the one after another, and the label counts 1 of 3
        // in the warmup, not 3 (the whole group's count at its first time).
        let events: Vec<Event> = [10.0, 10.5, 11.5]
            .iter()
            .map(|&t| ev(1, t, "note", "web scale out"))
            .collect();
        let m = marks(&events, 1, &BTreeMap::new(), 1.0, (11.0, 200.0));
        let groups: Vec<(f64, usize)> = m.instants.iter().map(|(x, _, n)| (*x, *n)).collect();
        assert_eq!(groups, [(10.0, 2), (11.5, 1)]);
        assert_eq!(
            layout(&m, 200.0, 11.0, 1280)[0].text,
            "web scale out (3 times, 2 in the warmup)"
        );
        let m = marks(&events, 1, &BTreeMap::new(), 1.0, (0.0, 200.0));
        assert_eq!(m.instants.len(), 1);
    }

    #[test]
    fn many_instants_are_ticks_counted_within_the_chart_and_a_full_log_says_at_least() {
        // A function timing out every 2 s of a 600 s chart (30 s of warmup), and on after the
        // end while its backlog drains: the marks after 600 s are neither drawn nor counted.
        let at = |t: f64, event: &str| Event {
            time_s: t,
            seed: 1,
            component: "fn".into(),
            event: event.into(),
            detail: String::new(),
        };
        let mut events: Vec<Event> = (0..400)
            .map(|k| at(f64::from(k) * 2.0 + 1.0, "function_timeout"))
            .collect();
        let m = marks(&events, 1, &BTreeMap::new(), 1.0, (30.0, 600.0));
        assert!(instants_as_ticks(&m) && m.instants.iter().all(|i| i.0 <= 600.0));
        assert_eq!(
            layout(&m, 600.0, 30.0, 1280)[0].text,
            "fn function timeout (300 times, 15 in the warmup: ticks at the top)"
        );
        // Its log full at the end of the run, its last record kept after the chart's end:
        // every instant within the chart was kept, and the count is whole.
        events.push(at(600.0, crate::metrics::EVENTS_DROPPED));
        let m = marks(&events, 1, &BTreeMap::new(), 1.0, (30.0, 600.0));
        assert!(m.at_least.is_empty());
        // Full before the chart's end (its last record kept at 301 s): the least there were.
        events.retain(|e| e.time_s <= 301.0 || e.event == crate::metrics::EVENTS_DROPPED);
        let m = marks(&events, 1, &BTreeMap::new(), 1.0, (30.0, 600.0));
        assert_eq!(
            layout(&m, 600.0, 30.0, 1280)[0].text,
            "fn function timeout (at least 151 times, 15 in the warmup: ticks at the top)"
        );
        // A few are lines across the panels, as before.
        let few: Vec<Event> = [100.0, 200.0, 300.0]
            .map(|t| at(t, "function_timeout"))
            .into();
        let m = marks(&few, 1, &BTreeMap::new(), 1.0, (30.0, 600.0));
        assert!(!instants_as_ticks(&m));
        assert_eq!(
            layout(&m, 600.0, 30.0, 1280)[0].text,
            "fn function timeout (3 times)"
        );
    }

    #[test]
    fn a_line_of_many_points_a_column_keeps_each_columns_first_extremes_and_last() {
        // Ten points a column (columns of 10 indices): a zigzag whose extremes fall inside.
        let of: Vec<i32> = (0..40).map(|k| k / 10).collect();
        let columns = Columns { of };
        let y = |k: usize| match k % 10 {
            3 => -5.0,
            6 => 9.0,
            _ => (k % 10) as f64 * 0.1,
        };
        let seg: Vec<usize> = (0..40).collect();
        let thin = columns.thin(&seg, |k| (k as f64, y(k)));
        let want: Vec<(f64, f64)> = (0..4)
            .flat_map(|c| [10 * c, 10 * c + 3, 10 * c + 6, 10 * c + 9])
            .map(|k| (k as f64, y(k)))
            .collect();
        assert_eq!(thin, want);
        // A column whose first point is its lowest keeps it once.
        let flat = columns.thin(&[0, 1, 2], |k| (k as f64, k as f64));
        assert_eq!(flat, vec![(0.0, 0.0), (2.0, 2.0)]);
        // A line of few points a column is left as it is, but for the middle of a straight
        // run (`straightened`).
        let sparse = Columns { of: Vec::new() };
        assert_eq!(
            sparse
                .thin(&[0, 1, 2], |k| (k as f64, (k * k) as f64))
                .len(),
            3
        );
        assert_eq!(sparse.thin(&[0, 1, 2], |k| (k as f64, 1.0)).len(), 2);
    }

    #[test]
    fn a_dense_zigzag_stays_inside_its_panel_in_the_png() {
        // 20,000 windows swinging between 1 and 9 (as per-window percentiles of a long run
        // do): drawn with mitred corners, every turn was a spike through the title and out
        // of the bottom of the picture. Nothing of the line's colour lies above the panel.
        let n = 20_000;
        let t: Vec<f64> = (0..n).map(|k| k as f64).collect();
        let v: Vec<f64> = (0..n).map(|k| if k % 2 == 0 { 1.0 } else { 9.0 }).collect();
        let colour = RGBColor(200, 30, 30);
        let mut chart = chart_of(vec![vec![Line {
            label: "zigzag".into(),
            color: colour,
            band: Band {
                t,
                median: v.clone(),
                min: v.clone(),
                max: v,
            },
            dashed: false,
        }]]);
        chart.t_end = n as f64;
        chart.title = "zigzag".into();
        let bytes = png(&chart);
        let mut reader = ::png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut rgb = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut rgb).unwrap();
        let at = |x: usize, y: usize| {
            let i = 3 * (y * WIDTH as usize + x);
            RGBColor(rgb[i], rgb[i + 1], rgb[i + 2])
        };
        // The title and subtitle take the top 88 px; the legend above the panel is below.
        let stray = (0..88)
            .flat_map(|y| (0..WIDTH as usize).map(move |x| (x, y)))
            .filter(|&(x, y)| at(x, y) == colour)
            .count();
        assert_eq!(stray, 0, "{stray} pixels of the line above its panel");
    }
}
