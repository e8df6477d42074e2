//! The kept traces of a scenario's runs: `traces.json` in OpenTelemetry's OTLP JSON
//! (an `ExportTraceServiceRequest`, what an OTLP/HTTP collector takes at `/v1/traces`), and
//! the waterfall of the slowest of them, drawn with the diagram's primitives.
//!
//! A call is one span, in its callee's resource (`service.name` = the component's id), of
//! kind SERVER, timed as its caller saw it (from the call leaving to the reply arriving or
//! the caller's timeout); when the request reached the callee and when the callee answered
//! are span events. A root is the request as its workload saw it (kind CLIENT), and an
//! actor's own time (a cold start, a queue wait) an INTERNAL span under the call it served.

use super::diagram::{draw_png, draw_svg, text_width, Prim, Rect};
use crate::kernel::{Span, SpanEnd, Trace};
use crate::metrics::RunResult;
use serde_json::{json, Value};

/// Simulated time 0 as a Unix time [ns]: 2026-01-01T00:00:00Z. A choice: tools sort and
/// show spans by wall-clock time and some take a zero as "unset", so a run starts on a
/// fixed, plausible date (the same in every run, so the file stays deterministic).
pub const EPOCH_UNIX_NS: u64 = 1_767_225_600 * 1_000_000_000;

/// OTLP's span kinds (`opentelemetry.proto.trace.v1.Span.SpanKind`).
const KIND_INTERNAL: u8 = 1;
const KIND_SERVER: u8 = 2;
const KIND_CLIENT: u8 = 3;
/// `Status.StatusCode`: unset, error.
const STATUS_UNSET: u8 = 0;
const STATUS_ERROR: u8 = 2;

/// The names a trace's ids stand for: actors (components, then workloads) and operations.
pub struct Names<'a> {
    pub actors: &'a [String],
    pub ops: &'a [String],
}

impl Names<'_> {
    fn actor(&self, a: u32) -> &str {
        self.actors.get(a as usize).map_or("?", |s| s.as_str())
    }
    fn op(&self, op: u16) -> &str {
        self.ops.get(op as usize).map_or("?", |s| s.as_str())
    }
}

/// The 32-hex trace id of trace `t` of the run with `seed`.
pub fn trace_id(seed: u64, t: &Trace) -> String {
    format!("{seed:016x}{:016x}", t.id)
}

/// The 16-hex span id of span `id` of the run with `seed` (ids are unique within a run).
pub fn span_id(seed: u64, id: u32) -> String {
    format!("{:08x}{id:08x}", seed as u32)
}

fn outcome_word(o: SpanEnd) -> String {
    match o {
        SpanEnd::Status(s) => s.to_string(),
        SpanEnd::Timeout => "timeout".into(),
        SpanEnd::Error => "error".into(),
        SpanEnd::Unfinished => "unfinished".into(),
        SpanEnd::Received => "received".into(),
        SpanEnd::Expired => "expired".into(),
        SpanEnd::DeadLettered => "dead-lettered".into(),
        SpanEnd::Discarded => "discarded".into(),
    }
}

fn failed(o: SpanEnd) -> bool {
    !matches!(o, SpanEnd::Status(s) if s < 400) && o != SpanEnd::Received
}

fn unix(t: crate::kernel::SimTime) -> String {
    (EPOCH_UNIX_NS + t.0).to_string()
}

fn string_attr(key: &str, v: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": v } })
}

fn int_attr(key: &str, v: i64) -> Value {
    // proto3's JSON mapping writes an int64 as a decimal string.
    json!({ "key": key, "value": { "intValue": v.to_string() } })
}

/// A span's name: a call's operation, or what an actor's own time went to.
pub fn span_name(s: &Span, names: &Names) -> String {
    if s.label.is_empty() {
        names.op(s.op).to_string()
    } else {
        s.label.to_string()
    }
}

fn otlp_span(seed: u64, t: &Trace, s: &Span, names: &Names) -> Value {
    let kind = if s.parent == 0 {
        KIND_CLIENT
    } else if s.label.is_empty() {
        KIND_SERVER
    } else {
        KIND_INTERNAL
    };
    let mut attributes = vec![
        string_attr("archsim.caller", names.actor(s.caller)),
        string_attr("archsim.callee", names.actor(s.callee)),
        string_attr("archsim.operation", names.op(s.op)),
        string_attr("archsim.outcome", &outcome_word(s.outcome)),
        int_attr("archsim.seed", seed as i64),
    ];
    if s.parent != 0 && s.label.is_empty() {
        attributes.push(int_attr("archsim.attempt", i64::from(s.attempt)));
    }
    if let SpanEnd::Status(code) = s.outcome {
        attributes.push(int_attr("http.response.status_code", i64::from(code)));
    }
    if s.lost {
        attributes.push(json!({ "key": "archsim.lost", "value": { "boolValue": true } }));
    }
    let mut events = Vec::new();
    if s.label.is_empty() && s.parent != 0 {
        if let Some(a) = s.arrival {
            events.push(json!({ "timeUnixNano": unix(a), "name": "reached the callee" }));
        }
        if let Some(a) = s.answer {
            events.push(json!({ "timeUnixNano": unix(a), "name": "callee answered" }));
        }
    }
    let (code, message) = if failed(s.outcome) {
        (STATUS_ERROR, outcome_word(s.outcome))
    } else {
        (STATUS_UNSET, String::new())
    };
    // OpenTelemetry's messaging conventions: a batch's call links the messages it carries
    // besides the one it nests under (each link names its span's own trace).
    let links: Vec<Value> = s
        .links
        .iter()
        .map(|&(trace, id)| {
            json!({
                "traceId": format!("{seed:016x}{trace:016x}"),
                "spanId": span_id(seed, id),
                "attributes": [string_attr("archsim.link", "queued message of the batch")],
            })
        })
        .collect();
    json!({
        "traceId": trace_id(seed, t),
        "spanId": span_id(seed, s.id),
        "parentSpanId": if s.parent == 0 { String::new() } else { span_id(seed, s.parent) },
        "name": span_name(s, names),
        "kind": kind,
        "startTimeUnixNano": unix(s.start),
        "endTimeUnixNano": unix(s.end),
        "attributes": attributes,
        "events": events,
        "links": links,
        "status": { "code": code, "message": message },
    })
}

/// The resource a span is reported by: a call's callee, a root's workload, an actor's own.
fn owner(s: &Span) -> u32 {
    s.callee
}

/// `traces.json`: every kept trace of `runs` as one OTLP `ExportTraceServiceRequest`, one
/// resource per actor that has spans (in actor order), spans by trace and then by id.
pub fn otlp_json(runs: &[RunResult], names: &Names) -> String {
    let mut by_actor: Vec<Vec<Value>> = vec![Vec::new(); names.actors.len()];
    for r in runs {
        for t in &r.traces.kept {
            for s in &t.spans {
                if let Some(v) = by_actor.get_mut(owner(s) as usize) {
                    v.push(otlp_span(r.seed, t, s, names));
                }
            }
        }
    }
    let resource_spans: Vec<Value> = by_actor
        .into_iter()
        .enumerate()
        .filter(|(_, spans)| !spans.is_empty())
        .map(|(a, spans)| {
            json!({
                "resource": { "attributes": [string_attr("service.name", names.actor(a as u32))] },
                "scopeSpans": [{
                    "scope": { "name": "archsim", "version": env!("CARGO_PKG_VERSION") },
                    "spans": spans,
                }],
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&json!({ "resourceSpans": resource_spans }))
        .expect("plain data serialises");
    out.push('\n');
    out
}

/// The slowest `n` kept traces of `runs` whose requests started in the measured period,
/// slowest first (ties: the earlier seed and trace). A request sent during the warmup is left
/// out, as every summary leaves it out: the waterfall shows what the figures beside it count,
/// not the first cold starts of a run that the warmup exists to set aside.
pub fn slowest(runs: &[RunResult], n: usize) -> Vec<(u64, &Trace)> {
    let mut all: Vec<(u64, &Trace)> = runs
        .iter()
        .flat_map(|r| {
            r.traces
                .kept
                .iter()
                .filter(|t| t.root().start >= r.clock.warmup)
                .map(move |t| (r.seed, t))
        })
        .collect();
    all.sort_by_key(|&(seed, t)| (std::cmp::Reverse(t.duration()), seed, t.id));
    all.truncate(n);
    all
}

/// How many of the slowest traces the waterfall shows.
pub const WATERFALL_TRACES: usize = 3;
/// The most rows a trace shows in the waterfall; the rest are counted in a last line.
const WATERFALL_ROWS: usize = 24;

const ROW: f64 = 26.0;
const FONT: f64 = 15.0;
/// The label column's width: as wide as its longest label needs, from `LABEL_W` up to
/// `LABEL_W_MAX`, past which a label is cut (`fit_label`).
const LABEL_W: f64 = 330.0;
const LABEL_W_MAX: f64 = 560.0;
/// The bars' least width; wider when the legend's line is (`waterfall`).
const BARS_W: f64 = 640.0;
/// Room right of the bars for a bar's duration.
const NOTE_W: f64 = 110.0;
/// The legend: what each colour says.
const LEGEND: &[(&str, (u8, u8, u8))] = &[
    ("answered 2xx/3xx", (66, 133, 244)),
    ("refused or failed (4xx, 5xx, error)", (240, 140, 40)),
    ("timed out or never answered", (210, 50, 50)),
    ("time of its own (cold start, queue)", (90, 160, 120)),
    ("dashed: after the client's answer", (200, 200, 200)),
];

/// How far the legend's line goes on past one entry: its swatch, its words and a gap.
fn legend_step(label: &str) -> f64 {
    20.0 + text_width(label, FONT - 2.0, false) * 1.25 + 24.0
}
const MARGIN: f64 = 16.0;
const INDENT: f64 = 16.0;

/// A span's colour by outcome: success blue, an actor's own time that ended well grey-green,
/// a status that refuses or fails (4xx, 5xx, an error) or a message that left unprocessed
/// orange, a timeout or an unfinished call red. A failure is a failure whoever spent the time:
/// an invocation of a queued event that ended 429 is orange, not the green of time of its own.
fn colour(s: &Span) -> (u8, u8, u8) {
    const BLUE: (u8, u8, u8) = (66, 133, 244);
    const ORANGE: (u8, u8, u8) = (240, 140, 40);
    const RED: (u8, u8, u8) = (210, 50, 50);
    const GREEN: (u8, u8, u8) = (90, 160, 120);
    match s.outcome {
        SpanEnd::Expired | SpanEnd::DeadLettered | SpanEnd::Discarded | SpanEnd::Error => ORANGE,
        SpanEnd::Status(c) if c >= 400 => ORANGE,
        SpanEnd::Timeout | SpanEnd::Unfinished => RED,
        SpanEnd::Received => GREEN,
        SpanEnd::Status(_) if s.label.is_empty() => BLUE,
        SpanEnd::Status(_) => GREEN,
    }
}

/// `name` and then `suffix` (a retry's attempt), within `width`: a name that would run into
/// the bars is cut and ends with "…", the suffix kept whole, so that the attempts of one
/// message stay told apart. (With a fifth to spare: viewers without the bundled font draw
/// wider.)
fn fit_label(name: String, suffix: &str, width: f64) -> String {
    let fits = |s: &str| text_width(s, FONT, false) * 1.2 <= width;
    let whole = format!("{name}{suffix}");
    if fits(&whole) {
        return whole;
    }
    let mut cut = name;
    while !cut.is_empty() && !fits(&format!("{cut}…{suffix}")) {
        cut.pop();
    }
    format!("{}…{suffix}", cut.trim_end())
}

/// A row's label, `who` (an actor's id), then `what` (the span: an operation, "get (a
/// miss)", "handler") and `suffix` (a retry's attempt), within `width`. Too long, the id is
/// cut in its middle first ("aws_elasticache_rep…group-sessions get (a miss)"): a
/// Terraform id's start says its type and its end its name, and the span's words say what
/// happened; only an id cut to a few characters each side cuts the span's words too
/// (`fit_label`).
fn fit_row_label(who: &str, what: &str, suffix: &str, width: f64) -> String {
    let fits = |s: &str| text_width(s, FONT, false) * 1.2 <= width;
    let whole = format!("{who}{what}{suffix}");
    if fits(&whole) {
        return whole;
    }
    let chars: Vec<char> = who.chars().collect();
    const KEEP: usize = 6;
    for kept in (2 * KEEP..chars.len()).rev() {
        let tail = kept / 2;
        let head: String = chars[..kept - tail].iter().collect();
        let end: String = chars[chars.len() - tail..].iter().collect();
        let cut = format!("{}…{}{what}{suffix}", head.trim_end(), end.trim_start());
        if fits(&cut) {
            return cut;
        }
    }
    fit_label(format!("{who}{what}"), suffix, width)
}

/// A row's actor (the caller for a root, else the callee) and its label's suffix (a
/// retry's attempt).
fn row_words(s: &Span, names: &Names) -> (String, String) {
    let who = if s.parent == 0 {
        names.actor(s.caller)
    } else {
        names.actor(s.callee)
    };
    let suffix = if s.attempt > 1 {
        format!(" (attempt {})", s.attempt)
    } else {
        String::new()
    };
    (who.to_string(), suffix)
}

/// The spans of `t` in depth-first order (children by start), each with its depth.
fn tree(t: &Trace) -> Vec<(usize, &Span)> {
    let mut out = Vec::with_capacity(t.spans.len());
    let mut stack = vec![(0usize, &t.spans[0])];
    while let Some((d, s)) = stack.pop() {
        out.push((d, s));
        let mut kids: Vec<&Span> = t.spans.iter().filter(|c| c.parent == s.id).collect();
        kids.sort_by_key(|c| (std::cmp::Reverse(c.start), std::cmp::Reverse(c.id)));
        stack.extend(kids.into_iter().map(|c| (d + 1, c)));
    }
    out
}

/// A round step for a time axis of `span_ms` milliseconds: about five ticks.
fn tick_step(span_ms: f64) -> f64 {
    let raw = (span_ms / 5.0).max(1e-6);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * p)
}

/// A duration of `ms` milliseconds in the unit a reader takes in at a glance: seconds from
/// ten of them ("64 s", not "64000 ms"), milliseconds below.
fn fmt_duration(ms: f64) -> String {
    fmt_in(ms, long(ms))
}

/// Whether a duration of `ms` milliseconds (or an axis that long) is told in seconds.
fn long(ms: f64) -> bool {
    ms >= 10_000.0
}

/// `ms` milliseconds, in seconds or in milliseconds, with its unit.
fn fmt_in(ms: f64, seconds: bool) -> String {
    if seconds {
        format!("{} s", fmt_ms(ms / 1000.0))
    } else {
        format!("{} ms", fmt_ms(ms))
    }
}

fn fmt_ms(v: f64) -> String {
    if v >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The waterfall of the slowest kept traces as primitives, titled with `scenario` as the charts
/// name it (`plots::chart_name`), with its width and height; `None`
/// when no trace was kept.
fn waterfall(runs: &[RunResult], names: &Names, scenario: &str) -> Option<(Vec<Prim>, f64, f64)> {
    let traces = slowest(runs, WATERFALL_TRACES);
    if traces.is_empty() {
        return None;
    }
    let ink = (34, 34, 34);
    let grey = (120, 120, 120);
    let mut p = Vec::new();
    let mut y = MARGIN;
    let label_w = traces
        .iter()
        .flat_map(|(_, t)| tree(t).into_iter().take(WATERFALL_ROWS))
        .map(|(depth, s)| {
            let (who, suffix) = row_words(s, names);
            let words = format!("{who} {}{suffix}", span_name(s, names));
            depth as f64 * INDENT + text_width(&words, FONT, false) * 1.2 + 8.0
        })
        .fold(LABEL_W, f64::max)
        .min(LABEL_W_MAX)
        .ceil();
    let x0 = MARGIN + label_w;
    // The bars take the width the legend's line needs anyway: no empty band to their right.
    let legend_w: f64 = LEGEND
        .iter()
        .map(|(label, _)| legend_step(label))
        .sum::<f64>()
        - 24.0;
    let bars_w = BARS_W.max(legend_w - label_w - NOTE_W).floor();
    let warmup = runs.iter().any(|r| r.clock.warmup.0 > 0);
    p.push(Prim::Text {
        x: MARGIN,
        y,
        size: FONT + 3.0,
        bold: true,
        color: ink,
        text: format!(
            "{scenario} · the {} slowest sampled requests{}: one bar per span",
            traces.len(),
            if warmup { " after the warmup" } else { "" }
        ),
    });
    y += ROW + 6.0;
    for (seed, t) in traces {
        let root = t.root();
        let total_ms = t.duration().0 as f64 / 1e6;
        // A callee keeps working after its caller timed out: the axis runs to the last span's
        // end, so that work done after the request ended shows too.
        let last = t.spans.iter().map(|s| s.end).max().unwrap_or(root.end);
        let axis_ms = (last.0.saturating_sub(root.start.0)) as f64 / 1e6;
        let scale = bars_w / axis_ms.max(total_ms).max(1e-9);
        p.push(Prim::Text {
            x: MARGIN,
            y,
            size: FONT,
            bold: true,
            color: ink,
            text: format!(
                "{} {} at {:.3} s (seed {seed}): {}, {}",
                names.actor(root.caller),
                names.op(root.op),
                root.start.0 as f64 / 1e9,
                fmt_duration(total_ms),
                outcome_word(root.outcome)
            ),
        });
        y += ROW;
        // The time axis: ticks from the request's start, in ms, or in s for a long one.
        let axis_ms = axis_ms.max(total_ms);
        let in_seconds = long(axis_ms);
        let step = tick_step(axis_ms);
        let mut v = 0.0;
        while v <= axis_ms + 1e-9 {
            let x = x0 + v * scale;
            p.push(Prim::Line {
                pts: vec![(x, y + 16.0), (x, y + 22.0)],
                color: grey,
                width: 1.0,
                dash: false,
            });
            let label = fmt_in(v, in_seconds);
            let w = text_width(&label, FONT - 2.0, false);
            p.push(Prim::Text {
                x: (x - w / 2.0).clamp(x0 - 4.0, x0 + bars_w - w + 40.0),
                y,
                size: FONT - 2.0,
                bold: false,
                color: grey,
                text: label,
            });
            v += step;
        }
        p.push(Prim::Line {
            pts: vec![(x0, y + 22.0), (x0 + bars_w, y + 22.0)],
            color: grey,
            width: 1.0,
            dash: false,
        });
        y += 28.0;
        let rows_top = y;
        let answered_x = x0 + total_ms * scale;
        let rows = tree(t);
        let hidden = rows.len().saturating_sub(WATERFALL_ROWS);
        for (depth, s) in rows.into_iter().take(WATERFALL_ROWS) {
            let (who, suffix) = row_words(s, names);
            let indent = depth as f64 * INDENT;
            let label = fit_row_label(
                &who,
                &format!(" {}", span_name(s, names)),
                &suffix,
                label_w - indent - 8.0,
            );
            p.push(Prim::Text {
                x: MARGIN + indent,
                y: y + 3.0,
                size: FONT,
                bold: false,
                color: ink,
                text: label,
            });
            let start = (s.start.0.saturating_sub(root.start.0)) as f64 / 1e6;
            let dur = (s.end.0.saturating_sub(s.start.0)) as f64 / 1e6;
            let w = (dur * scale).max(2.0);
            let bx = x0 + start * scale;
            // Work after the client had its answer (a queue's wait, its consumer) is the
            // asynchronous part: drawn paler, with a dashed outline.
            let after = s.parent != 0 && s.start >= root.end && root.end > root.start;
            let fill = if after {
                let (r, g, b) = colour(s);
                let pale = |c: u8| c + (255 - c) / 2;
                (pale(r), pale(g), pale(b))
            } else {
                colour(s)
            };
            p.push(Prim::Rect {
                r: Rect {
                    x: bx,
                    y: y + 3.0,
                    w,
                    h: ROW - 8.0,
                },
                rx: 2.0,
                fill: Some(fill),
                stroke: after.then_some(colour(s)),
                width: if after { 1.5 } else { 0.0 },
                dash: after,
            });
            let mut note = fmt_duration(dur);
            let worth_saying = if s.label.is_empty() {
                s.parent != 0 && !matches!(s.outcome, SpanEnd::Status(200))
            } else {
                !matches!(s.outcome, SpanEnd::Status(200) | SpanEnd::Received)
            };
            if worth_saying {
                note.push_str(&format!(" {}", outcome_word(s.outcome)));
            }
            // The duration beside the bar, or inside its end when the bar reaches the edge.
            let nw = text_width(&note, FONT - 2.0, false);
            let (nx, ncol) = if bx + w + 6.0 + nw <= x0 + bars_w + NOTE_W {
                (bx + w + 6.0, grey)
            } else {
                (bx + w - nw - 6.0, (255, 255, 255))
            };
            p.push(Prim::Text {
                x: nx,
                y: y + 5.0,
                size: FONT - 2.0,
                bold: false,
                color: ncol,
                text: note,
            });
            y += ROW;
        }
        if last > root.end {
            // Where the client had its answer: what follows is asynchronous.
            p.push(Prim::Line {
                pts: vec![(answered_x, rows_top), (answered_x, y)],
                color: ink,
                width: 1.0,
                dash: true,
            });
        }
        if hidden > 0 {
            p.push(Prim::Text {
                x: MARGIN,
                y: y + 3.0,
                size: FONT - 2.0,
                bold: false,
                color: grey,
                text: format!("… and {hidden} more spans (in traces.json)"),
            });
            y += ROW;
        }
        y += 14.0;
    }
    // The legend.
    let mut x = MARGIN;
    for &(label, c) in LEGEND {
        p.push(Prim::Rect {
            r: Rect {
                x,
                y: y + 3.0,
                w: 14.0,
                h: 14.0,
            },
            rx: 2.0,
            fill: Some(c),
            stroke: None,
            width: 0.0,
            dash: false,
        });
        p.push(Prim::Text {
            x: x + 20.0,
            y: y + 1.0,
            size: FONT - 2.0,
            bold: false,
            color: ink,
            text: label.to_string(),
        });
        x += legend_step(label);
    }
    y += ROW + MARGIN;
    let width = (MARGIN * 2.0 + label_w + bars_w + NOTE_W).max(x + MARGIN);
    Some((p, width, y))
}

/// The waterfall as SVG; `None` when no trace was kept.
pub fn waterfall_svg(runs: &[RunResult], names: &Names, scenario: &str) -> Option<String> {
    waterfall(runs, names, scenario).map(|(p, w, h)| draw_svg(&p, w, h))
}

/// The waterfall as PNG (twice the SVG's size, for slides); `None` when no trace was kept.
pub fn waterfall_png(runs: &[RunResult], names: &Names, scenario: &str) -> Option<Vec<u8>> {
    waterfall(runs, names, scenario).map(|(p, w, h)| draw_png(&p, w, h, 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::SimTime;

    fn span(label: &'static str, outcome: SpanEnd) -> Span {
        Span {
            id: 2,
            parent: 1,
            caller: 0,
            callee: 0,
            op: 0,
            label: label.into(),
            attempt: 1,
            start: SimTime::ZERO,
            arrival: None,
            answer: None,
            end: SimTime(1),
            outcome,
            lost: false,
            links: Vec::new(),
        }
    }

    #[test]
    fn a_failure_has_the_failure_colour_whoever_spent_the_time() {
        let (blue, orange, red, green) = (
            (66, 133, 244),
            (240, 140, 40),
            (210, 50, 50),
            (90, 160, 120),
        );
        for label in ["", "invocation"] {
            assert_eq!(
                colour(&span(label, SpanEnd::Status(429))),
                orange,
                "{label:?}"
            );
            assert_eq!(
                colour(&span(label, SpanEnd::Status(503))),
                orange,
                "{label:?}"
            );
            assert_eq!(colour(&span(label, SpanEnd::Error)), orange, "{label:?}");
            assert_eq!(colour(&span(label, SpanEnd::Timeout)), red, "{label:?}");
            assert_eq!(colour(&span(label, SpanEnd::Unfinished)), red, "{label:?}");
            assert_eq!(colour(&span(label, SpanEnd::Expired)), orange, "{label:?}");
        }
        assert_eq!(colour(&span("", SpanEnd::Status(200))), blue);
        assert_eq!(colour(&span("cold start", SpanEnd::Status(200))), green);
        assert_eq!(colour(&span("waiting", SpanEnd::Received)), green);
    }

    #[test]
    fn a_long_duration_is_told_in_seconds() {
        assert_eq!(fmt_duration(5.5), "5.5 ms");
        assert_eq!(fmt_duration(9_999.0), "9999 ms");
        assert_eq!(fmt_duration(64_000.0), "64 s");
        assert_eq!(fmt_duration(12_345.0), "12.3 s");
    }

    #[test]
    fn a_long_label_is_cut_before_its_attempt_and_says_so() {
        let short = fit_label("db read".into(), " (attempt 2)", 300.0);
        assert_eq!(short, "db read (attempt 2)");
        let width = LABEL_W - 4.0 * INDENT - 8.0;
        let long = fit_label(
            "store-order event queue of a very long name".into(),
            " (attempt 3)",
            width,
        );
        assert!(long.ends_with("… (attempt 3)"), "{long}");
        assert!(long.starts_with("store-order"), "{long}");
        assert!(text_width(&long, FONT, false) * 1.2 <= width, "{long}");
    }

    #[test]
    fn a_long_id_is_cut_in_its_middle_before_the_spans_words() {
        // A Terraform id beside what its span did: the row read "aws_elasticache_replication_
        // group-sessions get (a mi…", cutting the words that said it missed.
        let width = LABEL_W_MAX - 2.0 * INDENT - 8.0;
        let who = "module-cache-aws_elasticache_replication_group-sessions";
        let label = fit_row_label(who, " get (a miss)", " (attempt 2)", width);
        assert!(
            label.ends_with("-sessions get (a miss) (attempt 2)"),
            "{label}"
        );
        assert!(label.starts_with("module-cache"), "{label}");
        assert!(label.contains('…'), "{label}");
        assert!(text_width(&label, FONT, false) * 1.2 <= width, "{label}");
        // What fits is left whole.
        assert_eq!(fit_row_label("db", " read", "", width), "db read");
        // Too narrow for even a few characters of the id each side: the words are cut too.
        let narrow = fit_row_label(who, " get (a miss) from the primary", "", 200.0);
        assert!(narrow.ends_with('…'), "{narrow}");
    }
}
