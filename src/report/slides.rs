//! `slides.html` (`archsim run --slides`): a scenario, or an experiment's variants, as five
//! slides for a lecture, one message each in large type: the question, the architecture, the
//! key chart, the headline numbers and the lesson. One self-contained page: inline CSS,
//! images as `data:` URIs, no script; each slide a full-viewport `<section>` that CSS scroll
//! snapping moves through (Page Down, the arrow keys, space), with links to the previous and
//! next ones, and one printed page each.

use super::columns;
use super::html::{self, escape, fmt};
use crate::components::registry;
use crate::metrics::{pointer, Summary};
use crate::scenario::Scenario;
use serde_json::Value;
use std::fmt::Write as _;

/// A chart as the slides get it: its file stem (`latency-users`, `sweep-error-rate`), its
/// title and its SVG.
pub struct ChartSvg<'a> {
    pub stem: &'a str,
    pub title: &'a str,
    pub svg: &'a str,
}

/// The most headline figures on the numbers slide: more would not read from the back row.
const MAX_FIGURES: usize = 6;
/// The most variants on an experiment's numbers slide, and figures per variant.
const MAX_ROWS: usize = 10;
const MAX_COLUMNS: usize = 4;
/// The most variants whose own charts are shown, a slide each, when an experiment has no
/// comparison chart: as many as the numbers slide has rows.
const MAX_VARIANT_CHARTS: usize = MAX_ROWS;
/// The most of those charts that stand side by side on one slide: a chart drawn for 1280
/// pixels keeps its text readable from the back of a room at half the slide's width, not at
/// a quarter (four in a row were 330 pixels wide, their text 6 to 8 pixels); more get a
/// slide each.
const MAX_SIDE_BY_SIDE: usize = 2;

const STYLE: &str = r#"<style>
html { scroll-snap-type: y mandatory; }
html, body { margin: 0; padding: 0; background: #fff; }
body { font-family: "DejaVu Sans", Verdana, sans-serif; color: #1d2733; }
section { box-sizing: border-box; height: 100vh; width: 100%; overflow: hidden; scroll-snap-align: start; scroll-snap-stop: always; display: flex; flex-direction: column; padding: 3.2vh 4vw 1.6vh; }
.top { display: flex; justify-content: space-between; align-items: baseline; color: #5b6b7f; font-size: max(13px, 2.1vh); border-bottom: 0.3vh solid #dde4ee; padding-bottom: 0.8vh; }
.top b { color: #245a9c; font-weight: 600; }
h2 { font-size: min(5.6vh, 3.2vw); margin: 2vh 0 1.4vh; font-weight: 700; color: #16324f; }
.main { flex: 1; min-height: 0; display: flex; flex-direction: column; justify-content: center; }
.pic { flex: 1; min-height: 0; display: flex; gap: 1.5vw; }
.pic figure { flex: 1; min-width: 0; min-height: 0; margin: 0; display: flex; flex-direction: column; }
.pic figcaption { font-size: min(3.2vh, 1.9vw); font-weight: 600; text-align: center; margin-bottom: 0.6vh; color: #245a9c; }
.pic img { flex: 1; min-height: 0; width: 100%; height: 100%; object-fit: contain; }
.pic.side figure { justify-content: center; }
.pic.side img { flex: 0 1 auto; height: auto; }
.title h1 { font-size: min(9vh, 5.4vw); line-height: 1.1; margin: 0 0 4vh; color: #16324f; }
.title p, .lesson p { font-size: min(6vh, 3.6vw); line-height: 1.3; margin: 0; max-width: 88%; }
.lesson p { border-left: 1.2vh solid #245a9c; padding-left: 3vw; }
.figures { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4vh 3vw; align-content: center; }
.figures.n1, .figures.n2, .figures.n4 { grid-template-columns: repeat(2, 1fr); }
.figure .v { font-weight: 700; line-height: 1.05; color: #16324f; white-space: nowrap; }
.figure .u { font-size: 0.45em; font-weight: 600; color: #5b6b7f; margin-left: 0.2em; }
.figure .l { font-size: min(3.4vh, 2vw); color: #39495c; margin-top: 0.8vh; }
.figure .x, td .x { font-size: min(3vh, 1.8vw); font-weight: 700; margin-top: 0.4vh; }
td .x { font-size: 0.6em; margin: 0 0 0 0.4em; }
.x.ok { color: #1a7f37; } .x.fail { color: #c62828; }
table { border-collapse: collapse; align-self: center; }
th, td { padding: 0.6vh 1.6vw; text-align: right; border-bottom: 0.2vh solid #e3e8ef; white-space: nowrap; }
th { font-size: min(2.8vh, 1.7vw); color: #39495c; font-weight: 600; vertical-align: bottom; white-space: normal; max-width: 18vw; }
td { font-weight: 700; color: #16324f; }
th:first-child, td:first-child { text-align: left; }
td.name { color: #245a9c; font-size: 0.6em; }
.note { font-size: min(2.4vh, 1.5vw); color: #5b6b7f; margin: 4vh 0 0; }
nav { display: flex; justify-content: space-between; align-items: center; font-size: max(13px, 2vh); color: #5b6b7f; padding-top: 0.8vh; }
nav a { color: #245a9c; text-decoration: none; }
nav span.off { visibility: hidden; }
@page { size: 1600px 900px; margin: 0; }
@media print {
  html { scroll-snap-type: none; }
  section { height: 900px; width: 1600px; break-after: page; page-break-after: always; }
  nav { display: none; }
}
</style>"#;

/// Scenario text as a slide shows it: control characters written out, markup escaped.
fn text(s: &str) -> String {
    escape(&crate::text::printable(s))
}

/// How a word of a scenario's name is written in a title, besides the kinds' names (which
/// their titles spell): initialisms and AWS's names as AWS writes them.
const SPELLED: &[(&str, &str)] = &[
    ("alb", "ALB"),
    ("api", "API"),
    ("apigw", "API Gateway"),
    ("aws", "AWS"),
    ("az", "AZ"),
    ("clb", "CLB"),
    ("dax", "DAX"),
    ("db", "DB"),
    ("ec2", "EC2"),
    ("elasticache", "ElastiCache"),
    ("nlb", "NLB"),
    ("sse", "SSE"),
    ("ttl", "TTL"),
];

/// A word of a scenario's name as a title writes it: a kind's name as its title spells it
/// ("rds" → "RDS", from "Amazon RDS"), a known initialism, or the word as it is.
fn spelled(word: &str) -> String {
    let kind = registry::KINDS.iter().find_map(|k| {
        let title = k.info.title;
        let bare = title
            .strip_prefix("Amazon ")
            .or_else(|| title.strip_prefix("AWS "))
            .unwrap_or(title);
        let squeezed: String = bare.split(' ').collect();
        squeezed.eq_ignore_ascii_case(word).then_some(bare)
    });
    kind.or_else(|| {
        SPELLED
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(word))
            .map(|(_, s)| *s)
    })
    .unwrap_or(word)
    .to_string()
}

/// A scenario's name in words: "rds-multi-az-failover" → "RDS multi AZ failover".
fn in_words(name: &str) -> String {
    let words: Vec<String> = name
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(spelled)
        .collect();
    capitalised(&words.join(" "))
}

/// `s` with its first letter in capitals.
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An SVG document as an image: a `data:` URI, every byte outside letters, digits, `-`, `_`
/// and `.` percent-encoded, so the page stays one file and the image can run nothing.
fn image(svg: &str, alt: &str) -> String {
    let mut uri = String::with_capacity(svg.len() * 2);
    for b in svg.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            uri.push(b as char);
        } else {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    format!(
        "<img src=\"data:image/svg+xml,{uri}\" alt=\"{}\">",
        escape(alt)
    )
}

/// The figures every scenario is shown by: (path, label, short label for a table's header,
/// unit, scale). Latencies are of successful requests only, and say so.
const KNOWN: &[(&str, &str, &str, &str, f64)] = &[
    (
        "latency_ms.p99",
        "p99 latency of successful requests",
        "p99 of successes",
        "ms",
        1.0,
    ),
    (
        "latency_ms.p50",
        "median latency of successful requests",
        "p50 of successes",
        "ms",
        1.0,
    ),
    (
        "latency_ms.p999",
        "p99.9 latency of successful requests",
        "p99.9 of successes",
        "ms",
        1.0,
    ),
    (
        "latency_ms.mean",
        "mean latency of successful requests",
        "mean of successes",
        "ms",
        1.0,
    ),
    ("error_rate", "of requests failed", "failed", "%", 100.0),
    ("throughput_rps", "throughput", "throughput", "req/s", 1.0),
    (
        "retry_amplification",
        "attempts per request",
        "attempts per request",
        "",
        1.0,
    ),
    (
        "cost_usd.total",
        "cost of one run",
        "cost of a run",
        "$",
        1.0,
    ),
];

/// One headline figure: its value in words, its unit and what it is (at length, and short).
struct Figure {
    value: String,
    unit: String,
    label: String,
    short: String,
    /// What the summary's number is multiplied by to be shown (100 for a percentage).
    scale: f64,
}

/// The figure of `path` in `summary`, if it has one: a known headline, a component's
/// declared column (`components.db.failover_downtime_s`), or else the path itself.
fn figure(summary: &Value, path: &str) -> Option<Figure> {
    let raw = pointer(summary, path)?.as_f64()?;
    if let Some((_, label, short, unit, k)) = KNOWN.iter().find(|(p, ..)| *p == path) {
        let v = k * raw;
        let (value, unit) = if *unit == "$" {
            (format!("${}", fmt(v)), "")
        } else {
            (fmt(v), *unit)
        };
        return Some(Figure {
            value,
            unit: unit.to_string(),
            label: label.to_string(),
            short: short.to_string(),
            scale: *k,
        });
    }
    if let Some((id, field)) = path
        .strip_prefix("components.")
        .and_then(|p| p.split_once('.'))
    {
        let component = &summary["components"][id];
        let column = component["kind"]
            .as_str()
            .and_then(registry::info)
            .and_then(|info| info.columns.iter().find(|c| c.field == field));
        if let Some(c) = column {
            let v = columns::value(c, component)?;
            // "failover downtime, mean [s]": the unit goes beside the figure.
            let header = columns::header(c);
            let (name, unit) = match header.strip_suffix(']').and_then(|h| h.rsplit_once(" [")) {
                Some((name, unit)) => (name.to_string(), unit.to_string()),
                None => (header.clone(), String::new()),
            };
            let scale = if c.unit == crate::components::kind::Unit::Share {
                100.0
            } else {
                1.0
            };
            if c.unit == crate::components::kind::Unit::Count {
                return Some(count_figure(summary, path, v, &name, Some(id)));
            }
            return Some(Figure {
                value: fmt(v),
                unit,
                label: format!("{name} · {id}"),
                short: format!("{id}: {name}"),
                scale,
            });
        }
    }
    // A figure no kind declares as a column: its path in words, its unit from its name's
    // ending ("write_stall_s" → "write stall", s), a component's id last.
    let (owner, rest) = match path
        .strip_prefix("components.")
        .and_then(|p| p.split_once('.'))
    {
        Some((id, rest)) => (Some(id), rest),
        None => (None, path),
    };
    // A share ("stale_read_fraction", "hit_ratio") as a percentage; a unit in the name, at
    // its end or before a statistic ("write_ms.max"), beside the figure.
    let share = ["_fraction", "_ratio"].iter().any(|e| rest.ends_with(e));
    let (rest, unit) = [("_ms", "ms"), ("_s", "s"), ("_rps", "/s"), ("_usd", "$")]
        .iter()
        .find_map(|(end, unit)| {
            rest.strip_suffix(end)
                .map(str::to_string)
                .or_else(|| {
                    let inside = format!("{end}.");
                    rest.contains(&inside)
                        .then(|| rest.replacen(&inside, ".", 1))
                })
                .map(|r| (r, *unit))
        })
        .unwrap_or((rest.to_string(), if share { "%" } else { "" }));
    let words = rest.replace(['.', '_'], " ");
    if unit.is_empty() && !share && pointer(summary, path).is_some_and(columns::is_summed) {
        return Some(count_figure(summary, path, raw, &words, owner));
    }
    Some(Figure {
        value: fmt(if share { 100.0 * raw } else { raw }),
        unit: unit.to_string(),
        label: owner.map_or(words.clone(), |id| format!("{words} · {id}")),
        short: owner.map_or(words.clone(), |id| format!("{id}: {words}")),
        scale: if share { 100.0 } else { 1.0 },
    })
}

/// A count's figure (`v` at `path`): when summed over several seeds, one seed's worth,
/// "4.3 per seed", with the seeds' range beside its label, "scale-outs · web (4–5)"; else
/// (a gauge averaged over the seeds, such as a table's partitions) as it is. `name` is what
/// it counts, `owner` the component it is of.
fn count_figure(summary: &Value, path: &str, v: f64, name: &str, owner: Option<&str>) -> Figure {
    let per_seed = if pointer(summary, path).is_some_and(columns::is_summed) {
        columns::seed_values(summary, path)
    } else {
        Vec::new()
    };
    let shown = columns::pooled_count(v, &per_seed, html::fmt_whole);
    let label = owner.map_or(name.to_string(), |id| format!("{name} · {id}"));
    let (unit, label) = match shown.range {
        Some(range) => ("per seed".into(), format!("{label} ({range})")),
        None => (String::new(), label),
    };
    Figure {
        value: shown.value,
        unit,
        label,
        short: owner.map_or(name.to_string(), |id| format!("{id}: {name}")),
        scale: 1.0,
    }
}

/// The verdict of the `[[expect]]`s of `summary` on `path`, if any judges it: whether all
/// hold, and their bounds in the figure's unit ("expected ≤ 400 in every seed").
fn verdict(summary: &Value, path: &str, figure: &Figure) -> Option<(bool, String)> {
    let judged: Vec<&Value> = summary["expectations"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|e| e["metric"].as_str() == Some(path))
        .collect();
    if judged.is_empty() {
        return None;
    }
    let pass = judged.iter().all(|e| e["pass"].as_bool() == Some(true));
    let unit = match figure.unit.as_str() {
        "" | "per seed" => String::new(),
        "%" => "%".into(),
        u => format!(" {u}"),
    };
    // A bound as written, without the zeros `fmt` pads to ("5.2", not "5.20").
    let b = |v: f64| {
        let n = fmt(figure.scale * v);
        format!("{}{unit}", crate::text::trim_zeros(&n))
    };
    let bounds: Vec<String> = judged
        .iter()
        .map(|e| {
            let bound = match (e["min"].as_f64(), e["max"].as_f64()) {
                (Some(lo), Some(hi)) => format!("{}–{}", b(lo), b(hi)),
                (Some(lo), None) => format!("≥ {}", b(lo)),
                (None, Some(hi)) => format!("≤ {}", b(hi)),
                (None, None) => String::new(),
            };
            if e["each_seed"].as_bool() == Some(true) {
                bound + " in every seed"
            } else if figure.unit == "per seed" {
                // Judged on the pool: the sum, not the figure shown.
                bound + " summed over the seeds"
            } else {
                bound
            }
        })
        .collect();
    Some((
        pass,
        format!(
            "{} expected {}",
            if pass { "✓" } else { "✗" },
            bounds.join(", ")
        ),
    ))
}

/// A verdict as a slide shows it, under a figure or in a cell.
fn verdict_html(v: &(bool, String)) -> String {
    format!(
        "<div class=\"x {}\">{}</div>",
        if v.0 { "ok" } else { "fail" },
        escape(&v.1)
    )
}

/// What a scenario's numbers slide shows, in order: p99 and the error rate, what its
/// `[[expect]]`s judge and what it asks to compare (`compare_metrics`: what the scenario is
/// about), retries when there were any, throughput and cost; at most `limit`.
fn headline_paths(summaries: &[&Value], limit: usize) -> Vec<String> {
    // What the users wait for first, where a variant names it (`[scenario] latency`, a
    // [[variant]]'s own): its clients' latency is an acknowledgement's.
    let mut paths: Vec<String> = summaries
        .iter()
        .filter_map(|s| s["latency_judged"].as_str())
        .map(|p| format!("{p}.p99"))
        .collect();
    paths.extend(["latency_ms.p99".into(), "error_rate".into()]);
    // What the scenario asks to compare first (every variant's summary says the same), then
    // what each variant's expectations judge: the columns are few, and the question the
    // scenario asks is the same for all.
    let list = |s: &&Value, key: &str| -> Vec<String> {
        s[key]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|e| e.as_str().or_else(|| e["metric"].as_str()))
            .map(str::to_string)
            .collect()
    };
    let compared = summaries.iter().flat_map(|s| list(s, "compare_metrics"));
    let judged: Vec<String> = summaries
        .iter()
        .flat_map(|s| list(s, "expectations"))
        .collect();
    for m in compared.chain(judged) {
        if !paths.contains(&m) {
            paths.push(m);
        }
    }
    let any = |path: &str, cond: &dyn Fn(f64) -> bool| {
        summaries
            .iter()
            .any(|s| pointer(s, path).and_then(Value::as_f64).is_some_and(cond))
    };
    if any("retry_amplification", &|v| v > 1.01) {
        paths.push("retry_amplification".into());
    }
    paths.push("throughput_rps".into());
    if any("cost_usd.total", &|v| v > 0.0) {
        paths.push("cost_usd.total".into());
    }
    let mut seen = Vec::new();
    paths.retain(|p| {
        let keep = !seen.contains(p) && summaries.iter().any(|s| pointer(s, p).is_some());
        seen.push(p.clone());
        keep
    });
    paths.truncate(limit);
    paths
}

/// The chart a scenario is best told by: requests by final status, with the fault bands,
/// when it has faults; its latency otherwise (of its first workload).
fn key_chart<'a>(has_faults: bool, plots: &'a [ChartSvg<'a>]) -> Option<&'a ChartSvg<'a>> {
    let first = if has_faults {
        "throughput-"
    } else {
        "latency-"
    };
    plots
        .iter()
        .find(|p| p.stem.starts_with(first))
        .or_else(|| plots.first())
}

/// A chart's title as a slide's heading: what it shows, without the scenario's name that
/// the chart itself carries ("… · users: latency of successful requests" → "Latency of
/// successful requests").
fn chart_heading(title: &str) -> String {
    let what = title.rsplit(": ").next().unwrap_or(title);
    text(&capitalised(what))
}

/// The largest type a figure of `chars` characters fits its column in [vw]: a bold digit is
/// about 0.65 em wide, and a column of three about 27 % of the slide's width.
fn figure_vw(chars: f64, columns: f64) -> f64 {
    (85.0 / columns / (0.65 * chars.max(1.0))).min(7.0)
}

/// The deck being written: its sections in order, each with its heading and body.
struct Deck {
    name: String,
    slides: Vec<(String, String, &'static str)>,
}

impl Deck {
    fn push(&mut self, heading: String, body: String, class: &'static str) {
        self.slides.push((heading, body, class));
    }

    fn html(&self) -> String {
        let n = self.slides.len();
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} – slides</title>{STYLE}</head><body>\n",
            escape(&self.name)
        );
        for (i, (heading, body, class)) in self.slides.iter().enumerate() {
            let k = i + 1;
            let prev = if k > 1 {
                format!("<a href=\"#s{}\">← previous</a>", k - 1)
            } else {
                "<span class=\"off\">← previous</span>".into()
            };
            let next = if k < n {
                format!("<a href=\"#s{}\">next →</a>", k + 1)
            } else {
                "<span class=\"off\">next →</span>".into()
            };
            let _ = write!(
                o,
                "<section id=\"s{k}\" class=\"{class}\">\n<div class=\"top\"><b>{}</b><span>{k} / {n}</span></div>\n",
                escape(&self.name)
            );
            if !heading.is_empty() {
                let _ = writeln!(o, "<h2>{heading}</h2>");
            }
            let _ = write!(
                o,
                "<div class=\"main\">{body}</div>\n<nav>{prev}<span>{k} / {n}</span>{next}</nav>\n</section>\n"
            );
        }
        o.push_str("</body></html>\n");
        o
    }
}

/// The question slide and the architecture slide, the same for a scenario and an experiment.
fn opening(deck: &mut Deck, sc: &Scenario, diagram_svg: &str) {
    let question = if sc.question.is_empty() {
        &sc.description
    } else {
        &sc.question
    };
    deck.push(
        String::new(),
        format!(
            "<h1>{}</h1><p{}>{}</p>",
            text(&in_words(&sc.name)),
            prose_size(question),
            text(question)
        ),
        "title",
    );
    deck.push(
        "The architecture".into(),
        format!(
            "<div class=\"pic\"><figure>{}</figure></div>",
            image(
                diagram_svg,
                "architecture diagram: the components and their calls"
            )
        ),
        "",
    );
}

/// Smaller type for a longer question or lesson, so that 500 characters still fit a slide.
fn prose_size(s: &str) -> String {
    let vh: f64 = match s.chars().count() {
        0..=160 => return String::new(),
        161..=280 => 5.0,
        _ => 4.0,
    };
    format!(" style=\"font-size:min({vh:.1}vh, {:.1}vw)\"", vh * 0.6)
}

fn lesson(deck: &mut Deck, sc: &Scenario) {
    let lesson = if sc.lesson.trim().is_empty() {
        &sc.description
    } else {
        &sc.lesson
    };
    // With neither written, there is nothing to show: no empty slide.
    if lesson.trim().is_empty() {
        return;
    }
    deck.push(
        "The lesson".into(),
        format!("<p{}>{}</p>", prose_size(lesson), text(lesson)),
        "lesson",
    );
}

fn seeds_note(summary: &Value) -> String {
    let seeds = summary["seeds"].as_array().map_or(0, Vec::len);
    let warmup = summary["warmup_s"].as_f64().unwrap_or(0.0);
    let mut note = if seeds > 1 {
        format!("Pooled over {seeds} seeds")
    } else {
        "One seed".to_string()
    };
    if warmup > 0.0 {
        let shown = if warmup.fract() == 0.0 {
            format!("{warmup:.0}")
        } else {
            fmt(warmup)
        };
        let _ = write!(note, "; the first {shown} s of warmup left out");
    }
    note.push('.');
    note
}

/// A scenario's slides: `summary` its pooled summary, `diagram_svg` its architecture,
/// `plots` its charts as drawn for `report.html`.
pub fn scenario(
    sc: &Scenario,
    summary: &Summary,
    diagram_svg: &str,
    plots: &[ChartSvg<'_>],
) -> String {
    let mut deck = Deck {
        name: sc.name.clone(),
        slides: Vec::new(),
    };
    opening(&mut deck, sc, diagram_svg);
    match key_chart(!sc.faults.is_empty(), plots) {
        Some(c) => deck.push(
            chart_heading(c.title),
            format!(
                "<div class=\"pic\"><figure>{}</figure></div>",
                image(c.svg, c.title)
            ),
            "",
        ),
        None => deck.push(
            "Over time".into(),
            "<p class=\"note\">No chart: the run recorded no series.</p>".into(),
            "",
        ),
    }
    let figures: Vec<(Figure, Option<(bool, String)>)> = headline_paths(&[summary], MAX_FIGURES)
        .iter()
        .filter_map(|p| {
            let f = figure(summary, p)?;
            let v = verdict(summary, p, &f);
            Some((f, v))
        })
        .collect();
    let mut body = format!("<div class=\"figures n{}\">", figures.len());
    let columns = if matches!(figures.len(), 1 | 2 | 4) {
        2.0
    } else {
        3.0
    };
    // Every figure in the same type, as large as the longest one allows.
    let longest = figures
        .iter()
        .map(|(f, _)| f.value.chars().count() as f64 + 0.5 * f.unit.chars().count() as f64)
        .fold(0.0, f64::max);
    let vw = figure_vw(longest, columns);
    for (f, v) in &figures {
        let _ = write!(
            body,
            "<div class=\"figure\"><div class=\"v\" style=\"font-size:min(13vh, {vw:.2}vw)\">{}<span class=\"u\">{}</span></div><div class=\"l\">{}</div>{}</div>",
            escape(&f.value),
            escape(&f.unit),
            text(&f.label),
            v.as_ref().map_or(String::new(), verdict_html)
        );
    }
    let _ = write!(body, "</div><p class=\"note\">{}</p>", seeds_note(summary));
    deck.push("The numbers".into(), body, "");
    lesson(&mut deck, sc);
    deck.html()
}

/// The chart that compares an experiment's variants best: the one of the metric its
/// expectations judge, else the first (`charts` in `experiment::charts`' order).
fn comparison_chart<'a>(
    summaries: &[Summary],
    charts: &'a [ChartSvg<'a>],
) -> Option<&'a ChartSvg<'a>> {
    let judged: Vec<String> = summaries
        .iter()
        .flat_map(|s| s["expectations"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["metric"].as_str().map(super::experiment::slug))
        .collect();
    // Simulation beside theory says the most, when the experiment has it.
    let theory = charts
        .iter()
        .find(|c| c.stem == super::experiment::AGAINST_THEORY);
    // Then what the expectations judge, then what the scenario asks to compare
    // (`compare_metrics`: a cache sweep's hit ratio says more than its p50).
    let own = summaries
        .first()
        .map(crate::metrics::compare::own_metrics)
        .unwrap_or_default();
    let judged: Vec<String> = judged
        .into_iter()
        .chain(own.iter().map(|m| super::experiment::slug(m)))
        .collect();
    theory
        .or_else(|| {
            judged.iter().find_map(|m| {
                let stem = format!("sweep-{m}");
                charts
                    .iter()
                    .find(|c| c.stem == stem || c.stem.starts_with(&format!("{stem}-by-")))
            })
        })
        .or_else(|| {
            // Cost against p99 says something only when the variants differ in both: with
            // the same bill (or none), or the same p99 (variants that differ behind a queue),
            // their own charts side by side say more.
            let spread = |path: &str| {
                let values: Vec<f64> = summaries
                    .iter()
                    .filter_map(|s| {
                        pointer(s, &crate::metrics::compare::headline_at(s, path))
                            .and_then(Value::as_f64)
                    })
                    .collect();
                let (lo, hi) = values
                    .iter()
                    .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &c| {
                        (lo.min(c), hi.max(c))
                    });
                hi > 0.0 && hi > 1.05 * lo
            };
            let both = spread("cost_usd.total") && spread("latency_ms.p99");
            charts.iter().find(|c| both || c.stem != "cost-vs-p99")
        })
}

/// An experiment's slides: `baseline` the scenario as written, `summaries` each variant's
/// (the baseline first), `charts` the experiment's comparison charts, and `own` each
/// variant's charts (shown side by side when there is no comparison chart).
pub fn experiment(
    baseline: &Scenario,
    summaries: &[Summary],
    diagram_svg: &str,
    charts: &[ChartSvg<'_>],
    own: &[Vec<ChartSvg<'_>>],
    has_faults: &[bool],
) -> String {
    let mut deck = Deck {
        name: baseline.name.clone(),
        slides: Vec::new(),
    };
    opening(&mut deck, baseline, diagram_svg);
    let variant = |s: &Summary| s["variant"].as_str().unwrap_or("baseline").to_string();
    let chart_slide = |deck: &mut Deck, c: &ChartSvg<'_>| {
        deck.push(
            chart_heading(c.title),
            format!(
                "<div class=\"pic\"><figure>{}</figure></div>",
                image(c.svg, c.title)
            ),
            "",
        )
    };
    // A fault's story is told over time: where a variant has one, the variants' own charts
    // (requests by final status, the fault's band on them) come first, and cost against p99
    // after them, rather than that chart alone.
    let faulted = has_faults.iter().any(|f| *f);
    let (lead, after) = match comparison_chart(summaries, charts) {
        Some(c) if faulted && c.stem == "cost-vs-p99" => (None, Some(c)),
        c => (c, None),
    };
    match lead {
        Some(c) => chart_slide(&mut deck, c),
        None => {
            // Variants without a swept number: their own key charts, side by side; requests
            // by final status when faults or failures set the variants apart.
            let failing = summaries
                .iter()
                .any(|s| s["error_rate"].as_f64().is_some_and(|e| e >= 0.01));
            // Each shown chart's variant, its number among all of them, and the chart.
            let mut shown: Vec<(String, usize, &ChartSvg<'_>)> = Vec::new();
            let mut capped = false;
            for (k, ((s, plots), faults)) in summaries.iter().zip(own).zip(has_faults).enumerate() {
                if shown.len() >= MAX_VARIANT_CHARTS {
                    capped = true;
                    break;
                }
                // Where any variant has a fault, every variant shows requests by final status,
                // so that the side-by-side charts are of one thing.
                if let Some(c) = key_chart(*faults || faulted || failing, plots) {
                    shown.push((variant(s), k + 1, c));
                }
            }
            // Each chart's own words: a variant without faults shows its latency, another its
            // requests by final status.
            let heading_of = |c: &ChartSvg<'_>| {
                format!(
                    "The variants: {}",
                    text(c.title.rsplit(": ").next().unwrap_or(c.title))
                )
            };
            let heading = shown
                .first()
                .map_or("The variants".into(), |(_, _, c)| heading_of(c));
            let figure = |name: &str, c: &ChartSvg<'_>| {
                format!(
                    "<figure><figcaption>{}</figcaption>{}</figure>",
                    text(name),
                    image(c.svg, c.title)
                )
            };
            if shown.len() <= MAX_SIDE_BY_SIDE {
                let mut body = String::from("<div class=\"pic side\">");
                for (name, _, c) in &shown {
                    body.push_str(&figure(name, c));
                }
                body.push_str("</div>");
                deck.push(heading, body, "");
            } else {
                // Numbered among all the variants: past the cap, the last says where the
                // others are.
                let n = summaries.len();
                for (k, (name, number, c)) in shown.iter().enumerate() {
                    let caption = format!("{name} ({number} of {n})");
                    let mut body = format!("<div class=\"pic\">{}</div>", figure(&caption, c));
                    if k + 1 == shown.len() && capped {
                        body.push_str(&format!(
                            "<p class=\"note\">The first {} of {n} variants; report.html has them all.</p>",
                            shown.len()
                        ));
                    }
                    deck.push(heading_of(c), body, "");
                }
            }
        }
    }
    if let Some(c) = after {
        chart_slide(&mut deck, c);
    }
    let refs: Vec<&Value> = summaries.iter().collect();
    let paths = headline_paths(&refs, MAX_COLUMNS);
    let mut body = String::from("<table><tr><th>variant</th>");
    for p in &paths {
        let head = summaries.iter().find_map(|s| figure(s, p)).map_or_else(
            || p.clone(),
            |f| match f.unit.as_str() {
                "" => f.short,
                u => format!("{} [{u}]", f.short),
            },
        );
        let _ = write!(body, "<th>{}</th>", text(&head));
    }
    body.push_str("</tr>\n");
    let rows = summaries.len().min(MAX_ROWS);
    // Rows in type as large as the slide holds: fewer variants, larger figures; and no wider
    // than the slide (a name at 0.6 em, each cell with its padding about two characters more).
    let figures: Vec<Vec<Option<Figure>>> = summaries[..rows]
        .iter()
        .map(|s| paths.iter().map(|p| figure(s, p)).collect())
        .collect();
    let cells: Vec<Vec<String>> = figures
        .iter()
        .map(|r| {
            r.iter()
                .map(|f| f.as_ref().map_or("–".into(), |f| f.value.clone()))
                .collect()
        })
        .collect();
    // Each variant's verdict on a figure its expectations judge: a mark beside the figure.
    let marks: Vec<Vec<String>> = summaries[..rows]
        .iter()
        .zip(&figures)
        .map(|(s, r)| {
            paths
                .iter()
                .zip(r)
                .map(|(p, f)| {
                    f.as_ref()
                        .and_then(|f| verdict(s, p, f))
                        .map_or(String::new(), |(pass, _)| {
                            format!(
                                "<span class=\"x {}\">{}</span>",
                                if pass { "ok" } else { "fail" },
                                if pass { "✓" } else { "✗" }
                            )
                        })
                })
                .collect()
        })
        .collect();
    let name_chars = summaries[..rows]
        .iter()
        .map(|s| variant(s).chars().count())
        .max()
        .unwrap_or(8) as f64;
    let cell_chars: f64 = (0..paths.len())
        .map(|j| {
            cells
                .iter()
                .map(|r| r[j].chars().count() + 3)
                .max()
                .unwrap_or(3) as f64
        })
        .sum();
    let size = (46.0 / (rows as f64 + 1.5)).min(8.0);
    let vw = 88.0 / (0.65 * (0.6 * name_chars + 2.0 + cell_chars));
    for ((s, row), marks) in summaries[..rows].iter().zip(&cells).zip(&marks) {
        let _ = write!(
            body,
            "<tr style=\"font-size:min({size:.1}vh, {vw:.2}vw)\"><td class=\"name\">{}</td>",
            text(&variant(s))
        );
        for (cell, mark) in row.iter().zip(marks) {
            let _ = write!(body, "<td>{}{mark}</td>", escape(cell));
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</table>");
    let mut note = seeds_note(&summaries[0]);
    if summaries.len() > rows {
        let _ = write!(
            note,
            " The first {rows} of {} variants; report.html has them all.",
            summaries.len()
        );
    }
    let _ = write!(body, "<p class=\"note\">{note}</p>");
    deck.push("The numbers".into(), body, "");
    lesson(&mut deck, baseline);
    deck.html()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numbers_show_what_the_scenario_judges_and_asks_to_compare() {
        // A P-K lecture compares means: `compare_metrics` puts it on the slide beside the
        // headlines, before what the expectations judge; a series judged is no figure.
        let s = serde_json::json!({
            "latency_ms": { "p99": 238.0, "mean": 55.0 },
            "error_rate": 0.0,
            "throughput_rps": 90.0,
            "components": { "server": { "queue_max": 9.0 } },
            "expectations": [
                { "metric": "components.server.queue_max", "max": 0.95 },
                { "series": "workloads.users.latency_p99_ms", "max": 500.0 }
            ],
            "compare_metrics": ["latency_ms.mean"],
        });
        assert_eq!(
            headline_paths(&[&s], 8),
            [
                "latency_ms.p99",
                "error_rate",
                "latency_ms.mean",
                "components.server.queue_max",
                "throughput_rps"
            ]
        );
    }

    #[test]
    fn a_name_in_words() {
        assert_eq!(in_words("rds-multi-az-failover"), "RDS multi AZ failover");
        assert_eq!(in_words("dynamodb-dax"), "DynamoDB DAX");
        assert_eq!(in_words("lambda-cold-starts"), "Lambda cold starts");
        assert_eq!(in_words("cache-lazy-loading"), "Cache lazy loading");
        assert_eq!(
            in_words("apigw-throttling-spike"),
            "API Gateway throttling spike"
        );
        assert_eq!(in_words("one--fast"), "One fast");
        assert_eq!(in_words("a_b"), "A b");
        assert_eq!(in_words(""), "");
    }

    #[test]
    fn cost_against_p99_is_the_key_chart_only_when_the_bills_and_the_p99s_differ() {
        let chart = |stem| ChartSvg {
            stem,
            title: "t",
            svg: "<svg/>",
        };
        let charts = [chart("cost-vs-p99")];
        let pair = |a: f64, b: f64, p99a: f64, p99b: f64| {
            vec![
                serde_json::json!({ "cost_usd": { "total": a }, "latency_ms": { "p99": p99a } }),
                serde_json::json!({ "cost_usd": { "total": b }, "latency_ms": { "p99": p99b } }),
            ]
        };
        let bills = |a: f64, b: f64| pair(a, b, 40.0, 20.0);
        // 0.30 against 0.20: a trade-off worth a chart.
        assert!(comparison_chart(&bills(0.3, 0.2), &charts).is_some());
        // The same bill to 1 %: the variants' own charts say more.
        assert!(comparison_chart(&bills(0.2, 0.202), &charts).is_none());
        // Bills apart but the same p99 (the variants differ behind a queue): a flat row of
        // points says nothing either.
        assert!(comparison_chart(&pair(0.3, 0.2, 14.7, 14.8), &charts).is_none());
        // A sweep's chart of what the expectations judge comes first.
        let mut judged = bills(0.3, 0.2);
        judged[0]["expectations"] = serde_json::json!([{ "metric": "error_rate" }]);
        let charts = [
            chart("sweep-latency-ms-p99"),
            chart("sweep-error-rate"),
            chart("cost-vs-p99"),
        ];
        let found = comparison_chart(&judged, &charts).map(|c| c.stem);
        assert_eq!(found, Some("sweep-error-rate"));
        // With nothing judged, what the scenario asks to compare comes before p50 or p99.
        let mut own = pair(0.3, 0.3, 40.0, 20.0);
        own[0]["compare_metrics"] = serde_json::json!(["components.cache.hit_ratio"]);
        let charts = [
            chart("sweep-latency-ms-p50"),
            chart("sweep-components-cache-hit-ratio"),
        ];
        let found = comparison_chart(&own, &charts).map(|c| c.stem);
        assert_eq!(found, Some("sweep-components-cache-hit-ratio"));
        // Simulation beside queueing theory leads, when the experiment has it.
        let charts = [
            chart("sweep-error-rate"),
            chart(super::super::experiment::AGAINST_THEORY),
        ];
        let found = comparison_chart(&judged, &charts).map(|c| c.stem);
        assert_eq!(found, Some(super::super::experiment::AGAINST_THEORY));
    }

    #[test]
    fn only_a_count_summed_over_seeds_is_shown_per_seed_not_a_whole_gauge() {
        // A kind's count column: written as an integer where it counts (summed over the
        // seeds), as a float where it is a gauge averaged over them (a DynamoDB table's
        // partitions), which can be whole.
        let (kind, c) = registry::KINDS
            .iter()
            .find_map(|k| {
                let c = k.info.columns.iter().find(|c| {
                    c.unit == crate::components::kind::Unit::Count && !c.field.contains('.')
                })?;
                Some((k.info.name, c))
            })
            .unwrap();
        let (field, path) = (c.field, format!("components.t.{}", c.field));
        let summary = |pooled: Value, one: Value, two: Value| {
            serde_json::json!({
                "seeds": [1, 2],
                "components": { "t": { "kind": kind, field: pooled } },
                "per_seed": [
                    { "seed": 1, "components": { "t": { field: one } } },
                    { "seed": 2, "components": { "t": { field: two } } },
                ],
                "expectations": [ { "metric": path, "max": 8, "pass": true } ],
            })
        };
        let shown = |s: &Value| {
            let f = figure(s, &path).unwrap();
            let v = verdict(s, &path, &f).unwrap().1;
            (f.value, f.unit, f.label, v)
        };
        let counted = summary(7.into(), 3.into(), 4.into());
        assert_eq!(
            shown(&counted),
            (
                "3.5".into(),
                "per seed".into(),
                format!("{} · t (3–4)", c.label),
                "✓ expected ≤ 8 summed over the seeds".into()
            )
        );
        // The gauge as it is, judged as it is: nothing per seed, nothing summed.
        let gauge = summary(4.0.into(), 4.0.into(), 4.0.into());
        assert_eq!(
            shown(&gauge),
            (
                "4".into(),
                String::new(),
                format!("{} · t", c.label),
                "✓ expected ≤ 8".into()
            )
        );
    }

    #[test]
    fn an_image_is_a_data_uri_that_holds_no_markup() {
        let img = image("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "a \"b\"");
        assert!(img.starts_with("<img src=\"data:image/svg+xml,%3Csvg"));
        assert!(!img[5..].contains('<'));
        assert!(img.contains("alt=\"a &quot;b&quot;\""));
    }
}
