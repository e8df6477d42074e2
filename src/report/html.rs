//! `report.html` for one scenario and `index.html` over a results folder: self-contained pages
//! (inline SVG and CSS, no scripts, no external fonts) that a lecturer can open offline.

use crate::metrics::pointer;
use serde_json::Value;
use std::fmt::Write as _;

/// A paragraph saying the run changed the scenario from the command line (`--set`), from the
/// summary's `overrides`; empty when it did not.
pub fn overrides_note(summary: &Value) -> String {
    let Some(list) = summary["overrides"].as_array().filter(|l| !l.is_empty()) else {
        return String::new();
    };
    let sets: Vec<String> = list
        .iter()
        .filter_map(Value::as_str)
        .map(|s| format!("<code>--set {}</code>", escape(s)))
        .collect();
    format!(
        "<p class=\"meta\"><b>Changed on the command line:</b> run with {}, so these are not the results of the file as written.</p>\n",
        sets.join(", ")
    )
}

/// `s` as text of a page or an SVG document: markup characters as entities, and control
/// characters and bidirectional overrides written out (`text::printable`), since a page is
/// also read with `cat` and `grep`, and `plot` draws pages from folders that may come from
/// elsewhere.
pub fn escape(s: &str) -> String {
    crate::text::printable(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A link to `file` inside the folder `folder` beside the page: always a relative path that
/// starts with `./` (so no name can make it a `javascript:` or any other scheme), with every
/// byte outside letters, digits, `-`, `_` and `.` percent-encoded.
pub fn relative_link(folder: &str, file: &str) -> String {
    format!("./{}/{file}", percent_encode(folder))
}

/// Every byte outside letters, digits, `-`, `_` and `.` as `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// An SVG document as an image inside the page: self-contained (a `data:` URI), and, being
/// an image, never able to run a script or fetch anything, whatever the file holds (`plot`
/// redraws pages from folders that may come from elsewhere).
fn svg_image(svg: &str, alt: &str) -> String {
    format!(
        "<img src=\"data:image/svg+xml,{}\" alt=\"{}\">",
        percent_encode(svg),
        escape(alt)
    )
}

pub(crate) const STYLE: &str = r#"<style>
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em auto; max-width: 1320px; color: #222; padding: 0 1em; }
h1 { font-size: 2.2em; margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 2px solid #dde4ee; }
p.lead { font-size: 1.25em; color: #444; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 1.05em; }
th, td { padding: 0.35em 0.6em; border-bottom: 1px solid #e3e3e3; text-align: right; }
th:first-child, td:first-child { text-align: left; white-space: nowrap; }
table { display: block; overflow-x: auto; max-width: 100%; }
th { background: #f4f7fb; }
.ci { color: #777; font-size: 0.85em; }
.plot svg { width: 100%; height: auto; border: 1px solid #eee; margin: 0.5em 0; }
.plot img { max-width: 100%; height: auto; }
.diagram img { max-width: 100%; height: auto; margin: 0.5em 0; }
.meta { color: #555; }
a { color: #245a9c; }
</style>"#;

/// A number for people: a few significant digits, thousands grouped.
pub fn fmt(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        let s = format!("{:.0}", v);
        let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push('\u{202f}');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        with_decimals(v, 3)
    }
}

/// `v` with `decimals` decimals, a zero unsigned ("-0.000" said nothing).
fn with_decimals(v: f64, decimals: usize) -> String {
    crate::text::unsigned_zero(&format!("{v:.decimals$}")).to_string()
}

/// A difference from `base`: below 1, to the decimals of `base`'s three significant digits
/// (at least `fmt`'s three, to a millionth), so that a cost difference of $0.0001 on $0.0168
/// is "0.0001", not "0.000"; from 1, as `fmt` shows the difference itself, where a
/// throughput's float dust of 0.0001 req/s on 51.5 is 0. (`fmt` shows `base` itself with
/// three decimals below 1, "0.017": the difference may carry a digit more.)
pub fn fmt_diff(v: f64, base: f64) -> String {
    let b = base.abs();
    if !v.is_finite() || v.abs() >= 1000.0 || !b.is_finite() || b >= 1.0 || b == 0.0 {
        return fmt(v);
    }
    let decimals = super::significant_decimals(b, 3).clamp(3, 6) as usize;
    with_decimals(v, decimals)
}

/// A whole number for people: every digit, thousands grouped ("1", "12 001").
pub fn fmt_whole(v: f64) -> String {
    if v.abs() >= 1000.0 {
        fmt(v)
    } else {
        format!("{v:.0}")
    }
}

fn num(s: &Value, path: &str) -> f64 {
    pointer(s, path).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// The value (× 100 for a percentage) with its 95 % interval over seeds, when there is one.
fn with_ci(s: &Value, path: &str, percent: bool) -> String {
    let k = if percent { 100.0 } else { 1.0 };
    let v = fmt(k * num(s, path));
    match s["ci95"].get(path).and_then(Value::as_array) {
        Some(ci) if ci.len() == 2 => format!(
            "{v} <span class=\"ci\">[{} – {}]</span>",
            fmt(k * ci[0].as_f64().unwrap_or(f64::NAN)),
            fmt(k * ci[1].as_f64().unwrap_or(f64::NAN))
        ),
        _ => v,
    }
}

/// The headline numbers every scenario is compared by: (path, label, shown as a
/// percentage). Latencies are of successful requests only, and say so: a run whose
/// requests mostly fail can show a short p99.
pub const HEADLINES: &[(&str, &str, bool)] = &[
    ("requests.total", "requests [per seed]", false),
    ("throughput_rps", "throughput [req/s]", false),
    ("error_rate", "errors [%]", true),
    ("latency_ms.mean", "mean of successes [ms]", false),
    ("latency_ms.p50", "p50 of successes [ms]", false),
    ("latency_ms.p99", "p99 of successes [ms]", false),
    ("latency_ms.p999", "p99.9 of successes [ms]", false),
    ("latency_all_ms.p99", "p99 incl. failures [ms]", false),
    ("retry_amplification", "attempts per request", false),
    ("cost_usd.total", "cost [$, per seed]", false),
];

/// Whether a headline says something about these summaries: the p99 of all requests where
/// some failed (else it is the p99 of successes again), the cost where something is priced.
fn headline_applies(path: &str, summaries: &[&Value]) -> bool {
    match path {
        "latency_all_ms.p99" => summaries.iter().any(|s| num(s, "error_rate") > 0.0),
        "cost_usd.total" => summaries.iter().any(|s| priced(s)),
        _ => true,
    }
}

/// Whether any component of the scenario has a price (a generic service has none: its cost
/// is not zero, it is not modelled).
fn priced(s: &Value) -> bool {
    s["cost_usd"]["by_component"]
        .as_object()
        .is_some_and(|m| !m.is_empty())
}

/// A headline's cell: the value with its interval, or why there is none.
fn headline_cell(s: &Value, path: &str, percent: bool, interval: bool) -> String {
    if path == "cost_usd.total" && !priced(s) {
        return "<span class=\"ci\">not priced</span>".into();
    }
    let cell = if pointer(s, path).is_some_and(super::columns::is_summed) {
        // A count (of the headlines, the requests): the sum over the seeds, shown per seed.
        // "per seed" is in its label: the cell is the count, and the seeds' range in grey.
        let per_seed = super::columns::seed_values(s, path);
        let pooled = super::columns::pooled_count(num(s, path), &per_seed, fmt_whole);
        match &pooled.range {
            Some(range) => format!(
                "{} <span class=\"ci\" title=\"the seeds' range\">({})</span>",
                escape(&pooled.value),
                escape(range)
            ),
            None => escape(&pooled.value),
        }
    } else if interval {
        with_ci(s, path, percent)
    } else {
        let k = if percent { 100.0 } else { 1.0 };
        fmt(k * num(s, path))
    };
    // A cost says what it comes to an hour, and what it leaves out, beside it.
    let cell = match super::cost_per_hour(s) {
        Some(hour) if path == "cost_usd.total" => format!(
            "{cell} <span class=\"ci\" title=\"at the measured period's rate\">(${}/h)</span>",
            super::money(hour)
        ),
        _ => cell,
    };
    let left_out = super::unpriced(s);
    if path == "cost_usd.total" && !left_out.is_empty() {
        return format!(
            "{cell} <span class=\"ci\">(not priced: {})</span>",
            escape(&left_out.join(", "))
        );
    }
    cell
}

/// A scenario's page. `plots` are (title, inline SVG, PNG file name) in display order, drawn
/// by archsim from the data just checked; the architecture diagram, the service map and the
/// waterfall of the slowest traces (the folder's own SVG files, which `plot` reads back from
/// a folder that may come from elsewhere) are shown as images, which run no script.
pub fn report(
    summary: &Value,
    diagram_svg: Option<&str>,
    map_svg: Option<&str>,
    plots: &[(String, String, String)],
    waterfall_svg: Option<&str>,
    slides: bool,
) -> String {
    let name = summary["scenario"].as_str().unwrap_or("scenario");
    let mut o = String::new();
    let _ = write!(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} – archsim</title>{STYLE}</head><body>\n", escape(name));
    match summary["variant"].as_str() {
        // A variant's folder sits in its experiment's.
        Some(v) => {
            let _ = writeln!(
                o,
                "<p><a href=\"../../index.html\">← all scenarios</a> · <a href=\"../report.html\">← the variants of {0}</a></p><h1>{0} · {1}</h1>",
                escape(name),
                escape(v)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "<p><a href=\"../index.html\">← all scenarios</a></p><h1>{}</h1>",
                escape(name)
            );
        }
    }
    if let Some(d) = super::description(summary) {
        let _ = writeln!(o, "<p class=\"lead\">{}</p>", escape(d));
    }
    o.push_str(&overrides_note(summary));
    if slides {
        o.push_str("<p><a href=\"slides.html\"><b>▶ Slides</b></a>: this scenario for a lecture, one message a slide</p>\n");
    }
    let seeds: Vec<String> = summary["seeds"]
        .as_array()
        .map(|a| a.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    let warmup = num(summary, "warmup_s");
    let warmup = if warmup > 0.0 {
        format!("{} s warmup excluded from the numbers", fmt(warmup))
    } else {
        "no warmup".to_string()
    };
    // One seed has no interval nor range to explain.
    let seeds = match seeds.as_slice() {
        [one] => format!("seed {one}."),
        _ => format!(
            "seeds {}. Intervals in grey, [low – high], are 95 % over seeds; a count's (low–high) is the seeds' range.",
            seeds.join(", ")
        ),
    };
    let _ = writeln!(
        o,
        "<p class=\"meta\">{} s simulated ({warmup}), {seeds}</p>",
        fmt(num(summary, "duration_s")),
    );
    // What the scenario's check said before the run (a station with no steady state): on
    // the page too, for whoever reads the results and not the terminal.
    if let Some(list) = summary["warnings"].as_array().filter(|l| !l.is_empty()) {
        o.push_str("<h2>Warnings</h2><ul>\n");
        for w in list.iter().filter_map(Value::as_str) {
            let _ = writeln!(o, "<li>{}</li>", escape(w));
        }
        o.push_str("</ul>\n");
    }
    if let Some(list) = summary["expectations"].as_array().filter(|l| !l.is_empty()) {
        o.push_str("<h2>Expectations</h2><table><tr><th>expectation</th><th>value</th><th>verdict</th></tr>\n");
        for e in list {
            let pass = e["pass"].as_bool().unwrap_or(false);
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td style=\"color:{}\"><b>{}</b>{}</td></tr>",
                escape(&crate::expect::words_of_json(e)),
                match (e["value"].as_f64(), e["seed"].as_u64()) {
                    (Some(v), Some(seed)) => format!("{} (seed {seed})", super::columns::count(v)),
                    // A failure's own words say that a count is a sum of seeds.
                    (Some(v), None) if e["problem"].is_string() => super::columns::count(v),
                    (Some(v), None) => super::columns::count(v) + &super::summed_note(summary, e),
                    (None, _) => "–".into(),
                },
                if pass { "#1a7f37" } else { "#c62828" },
                if pass { "holds" } else { "fails" },
                e["problem"]
                    .as_str()
                    .map_or(String::new(), |p| format!(": {}", escape(p)))
            );
        }
        o.push_str("</table>\n");
    }
    o.push_str("<h2>Headline numbers</h2><table><tr><th>measure</th><th>value</th></tr>\n");
    for (path, label, percent) in HEADLINES {
        if headline_applies(path, &[summary]) {
            let _ = writeln!(
                o,
                "<tr><td>{label}</td><td>{}</td></tr>",
                headline_cell(summary, path, *percent, true)
            );
        }
    }
    o.push_str("</table>\n<h2>Requests by final status</h2><table><tr><th>status</th><th>requests</th><th>share</th></tr>\n");
    let total = num(summary, "requests.total");
    if let Some(by) = summary["requests"]["by_status"].as_object() {
        for (k, v) in by {
            let n = v.as_f64().unwrap_or(0.0);
            let per_seed = super::columns::seed_values(summary, &format!("requests.by_status.{k}"));
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{:.2} %</td></tr>",
                escape(k),
                super::columns::pooled_count(n, &per_seed, fmt_whole),
                100.0 * n / total.max(1.0)
            );
        }
    }
    o.push_str("</table>\n");
    if let Some(svg) = diagram_svg {
        let _ = writeln!(
            o,
            "<h2>Architecture</h2><div class=\"diagram\">{}</div>",
            svg_image(svg, "architecture diagram: the components and their calls")
        );
    }
    if let Some(svg) = map_svg {
        // A database's replicas show the reads they served (`instance_reads`), said only
        // where there are some.
        let replicas = summary["components"]
            .as_object()
            .is_some_and(|cs| cs.values().any(|c| c.get("instance_reads").is_some()));
        // Likewise a volume's box, its I/Os (`service_map::figures`' `ios`).
        let volumes = summary["components"]
            .as_object()
            .is_some_and(|cs| cs.values().any(|c| c.get("ios").is_some()));
        let _ = writeln!(
            o,
            "<h2>Service map</h2><p>What each component served (requests per second, share of errors, 99th percentile of its answer time, marked (OK) where it is of its successful answers alone{}{}; for a component that queues work, the 99th percentile of its processing lag too) and what each call carried (calls per second as the caller made them, mean and 99th percentile of the time until the answer reached it), over the measured time of every seed (<code>service-map.csv</code>).</p><div class=\"diagram\">{}</div>",
            if replicas { "; a replica's or readable standby's box, the reads it served" } else { "" },
            if volumes { "; a volume's box, the I/Os per second its host made of it and the 99th percentile of their wait" } else { "" },
            svg_image(svg, "service map: each component's request rate, errors and p99, each call's rate and latency")
        );
    }
    let kinds = super::columns::by_kind(summary);
    if !kinds.is_empty() {
        o.push_str("<h2>Components</h2>\n");
        for (info, members) in &kinds {
            let rows: Vec<Row<'_>> = members
                .iter()
                .map(|(id, c)| (escape(id), *c, super::columns::seeds_of(summary, id)))
                .collect();
            kind_table(&mut o, info, "component", &rows);
        }
    }
    if !plots.is_empty() || waterfall_svg.is_some() {
        o.push_str("<h2>Over time</h2>\n");
        for (title, svg, png) in plots {
            let _ = writeln!(o, "<div class=\"plot\" title=\"{}\">{svg}</div><p class=\"meta\"><a href=\"{}\">PNG for slides</a></p>", escape(title), escape(png));
        }
        if let Some(svg) = waterfall_svg {
            let title = "Where the time went: the slowest sampled requests";
            let _ = writeln!(o, "<div class=\"plot\" title=\"{title}\">{}</div><p class=\"meta\"><a href=\"waterfall.png\">PNG for slides</a></p>", svg_image(svg, title));
        }
    }
    o.push_str("<h2>Data</h2><p><a href=\"summary.json\">summary.json</a> · <a href=\"timeseries.csv\">timeseries.csv</a> · <a href=\"events.csv\">events.csv</a></p>\n</body></html>\n");
    o
}

/// A row of a table of components: its first cell (already escaped), the component's
/// pooled summary and its summary in each seed.
type Row<'a> = (String, &'a Value, Vec<&'a Value>);

/// A table of components of one kind, one row each, one column per figure its kind declares.
fn kind_table(
    o: &mut String,
    info: &crate::components::kind::KindInfo,
    first: &str,
    rows: &[Row<'_>],
) {
    let _ = write!(
        o,
        "<h3>{} <span class=\"meta\">({})</span></h3><table><tr><th>{first}</th>",
        escape(info.title),
        escape(info.name)
    );
    // A column no component of the table has (an asynchronous lag where every function is
    // invoked synchronously) is left out rather than filled with dashes.
    let columns: Vec<&crate::components::kind::Column> = info
        .columns
        .iter()
        .filter(|col| {
            rows.iter()
                .any(|(_, c, _)| super::columns::value(col, c).is_some())
        })
        .collect();
    for c in &columns {
        let _ = write!(o, "<th>{}</th>", escape(&super::columns::header(c)));
    }
    // Calls its role denied: a column only where some component of the table had them.
    let denied: Vec<Option<String>> = rows
        .iter()
        .map(|(_, c, seeds)| super::columns::denied(c, seeds, fmt_whole))
        .collect();
    let any_denied = denied.iter().any(Option::is_some);
    if any_denied {
        o.push_str("<th>denied by IAM</th>");
    }
    o.push_str("</tr>\n");
    for ((name, c, seeds), denied) in rows.iter().zip(&denied) {
        let _ = write!(o, "<tr><td>{name}</td>");
        for col in &columns {
            let _ = write!(o, "<td>{}</td>", super::columns::cell(col, c, seeds));
        }
        if any_denied {
            let _ = write!(o, "<td>{}</td>", escape(denied.as_deref().unwrap_or("–")));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

/// The page over a results folder: the scenarios of the run, as (folder name, summary), with
/// their headline numbers side by side; the comparison charts (inline SVG); and the names of
/// other scenario folders in it (`others`, results of earlier runs), linked apart.
/// A line of the index's table: a scenario, or one variant of an experiment.
pub struct IndexRow<'a> {
    /// The scenario's folder.
    pub folder: &'a str,
    /// The variant's folder inside it, for an experiment's variant.
    pub variant: Option<&'a str>,
    pub summary: &'a Value,
    /// Whether the scenario's (or experiment's) folder holds `slides.html`.
    pub slides: bool,
}

/// A link to a row's slides, after its name, when its folder has them.
fn slides_link(r: &IndexRow<'_>) -> String {
    if r.slides {
        format!(
            " · <a href=\"{}\">slides</a>",
            relative_link(r.folder, "slides.html")
        )
    } else {
        String::new()
    }
}

/// `index.html`: `rows` in the table of headlines (an experiment's variants each on its line,
/// under a line that links to its comparison page), `summaries` (one per scenario, an
/// experiment by its baseline) in the descriptions and the tables by kind.
pub fn index(
    rows: &[IndexRow<'_>],
    summaries: &[(&str, &Value)],
    comparisons: &[(String, String)],
    others: &[String],
) -> String {
    let mut o = String::new();
    let _ = write!(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>archsim results</title>{STYLE}</head><body>\n<h1>archsim results</h1>\n");
    o.push_str("<h2>Scenarios side by side</h2><p class=\"meta\">Over several seeds, a count is one seed's worth, with the seeds' range in grey; the other figures pool the seeds.</p><table><tr><th rowspan=\"2\">scenario</th>");
    let all: Vec<&Value> = rows.iter().map(|r| r.summary).collect();
    let headlines: Vec<&(&str, &str, bool)> = HEADLINES
        .iter()
        .filter(|(path, _, _)| headline_applies(path, &all))
        .collect();
    // The latencies of successes under one heading: "latency of successes [ms]" over
    // mean, p50, p99, p99.9; the other headlines span both header rows.
    let of_successes = |path: &str| path.starts_with("latency_ms.");
    let mut second = String::new();
    let mut grouped = false;
    for (path, label, _) in &headlines {
        if of_successes(path) {
            if !grouped {
                let n = headlines.iter().filter(|(p, _, _)| of_successes(p)).count();
                let _ = write!(o, "<th colspan=\"{n}\" style=\"text-align:center\">latency of successes [ms]</th>");
                grouped = true;
            }
            let short = label.split(" of successes").next().unwrap_or(label);
            let _ = write!(second, "<th>{short}</th>");
        } else {
            let title = if *path == "latency_all_ms.p99" {
                " title=\"the p99 of every request, a failure counted at its time to fail\""
            } else {
                ""
            };
            let _ = write!(o, "<th rowspan=\"2\"{title}>{label}</th>");
        }
    }
    let with_expectations = rows.iter().any(|r| {
        r.summary["expectations"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    });
    if with_expectations {
        o.push_str("<th rowspan=\"2\">expectations held</th>");
    }
    let _ = writeln!(o, "</tr><tr>{second}</tr>");
    let columns = headlines.len() + 1 + usize::from(with_expectations);
    for (i, r) in rows.iter().enumerate() {
        let (link, label) = match r.variant {
            None => (relative_link(r.folder, "report.html"), escape(r.folder)),
            Some(v) => {
                // The first variant of an experiment opens it with a line of its own.
                if i == 0 || rows[i - 1].folder != r.folder {
                    let n = rows.iter().filter(|x| x.folder == r.folder).count();
                    let _ = writeln!(
                        o,
                        "<tr><td colspan=\"{columns}\"><a href=\"{}\"><b>{}</b></a>: an experiment of {n} variants, compared on its page{}</td></tr>",
                        relative_link(r.folder, "report.html"),
                        escape(r.folder),
                        slides_link(r)
                    );
                }
                (
                    format!(
                        "{}/{}",
                        relative_link(r.folder, "").trim_end_matches('/'),
                        relative_link(v, "report.html").trim_start_matches("./")
                    ),
                    escape(v),
                )
            }
        };
        let s = r.summary;
        // A variant sits indented under its experiment's line.
        let indent = if r.variant.is_some() {
            " style=\"padding-left:2.2em;white-space:nowrap\""
        } else {
            ""
        };
        let slides = if r.variant.is_none() {
            slides_link(r)
        } else {
            String::new()
        };
        let _ = write!(
            o,
            "<tr><td{indent}><a href=\"{link}\">{label}</a>{slides}</td>"
        );
        for (path, _, percent) in &headlines {
            let _ = write!(o, "<td>{}</td>", headline_cell(s, path, *percent, false));
        }
        if with_expectations {
            let list = s["expectations"].as_array().map_or(&[][..], Vec::as_slice);
            let held = list.iter().filter(|e| e["pass"] == true).count();
            let cell = match list.len() {
                0 => "–".to_string(),
                n => format!(
                    "<span style=\"color:{}\"><b>{held} of {n}</b></span>",
                    if held == n { "#1a7f37" } else { "#c62828" }
                ),
            };
            let _ = write!(o, "<td>{cell}</td>");
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
    for &(folder, s) in summaries {
        if let Some(d) = super::description(s) {
            let _ = writeln!(
                o,
                "<p><a href=\"{}\"><b>{}</b></a>: {}</p>",
                relative_link(folder, "report.html"),
                escape(folder),
                escape(d)
            );
        }
    }
    // Each kind's figures across the scenarios: the same component kind side by side.
    let mut kinds: Vec<(&crate::components::kind::KindInfo, Vec<Row<'_>>)> = Vec::new();
    for &(folder, s) in summaries {
        for (info, members) in super::columns::by_kind(s) {
            let rows = members.into_iter().map(|(id, c)| {
                (
                    format!(
                        "<a href=\"{}\">{}</a> · {}",
                        relative_link(folder, "report.html"),
                        escape(folder),
                        escape(id)
                    ),
                    c,
                    super::columns::seeds_of(s, id),
                )
            });
            // By name: a `const`'s reference has no fixed address (each use may be a copy of
            // its own, and was, in a build of several codegen units).
            match kinds.iter_mut().find(|(k, _)| k.name == info.name) {
                Some((_, list)) => list.extend(rows),
                None => kinds.push((info, rows.collect())),
            }
        }
    }
    kinds.sort_by_key(|(k, _)| {
        crate::components::registry::KINDS
            .iter()
            .position(|e| e.info.name == k.name)
    });
    if !kinds.is_empty() {
        o.push_str("<h2>Components, by kind</h2>\n");
        if rows.iter().any(|r| r.variant.is_some()) {
            // A sweep of forty points would be forty rows a component: its page has them.
            o.push_str("<p class=\"meta\">An experiment by its baseline; its own page compares its variants' components.</p>\n");
        }
        for (info, rows) in &kinds {
            kind_table(&mut o, info, "scenario · component", rows);
        }
    }
    if !comparisons.is_empty() {
        o.push_str("<h2>Compared over time</h2>\n");
        for (title, svg) in comparisons {
            let _ = writeln!(
                o,
                "<div class=\"plot\" title=\"{}\">{svg}</div>",
                escape(title)
            );
        }
    }
    if !others.is_empty() {
        o.push_str("<h2>Other results in this folder</h2><p class=\"meta\">Written by earlier runs, not by the one that wrote this page:</p><p>");
        for (i, name) in others.iter().enumerate() {
            if i > 0 {
                o.push_str(" · ");
            }
            let _ = write!(
                o,
                "<a href=\"{}\">{}</a>",
                relative_link(name, "report.html"),
                escape(name)
            );
        }
        o.push_str("</p>\n");
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_column_no_component_of_the_table_has_is_left_out() {
        // Two functions invoked synchronously: no asynchronous lag, so no column of dashes.
        let info = crate::components::registry::KINDS
            .iter()
            .map(|k| k.info)
            .find(|i| i.columns.iter().any(|c| c.field == "async.lag_ms.p99"))
            .expect("a kind with an asynchronous lag");
        let (a, b) = (json!({ "timeouts": 1 }), json!({ "timeouts": 2 }));
        let rows: Vec<Row<'_>> = vec![("a".into(), &a, vec![]), ("b".into(), &b, vec![])];
        let mut o = String::new();
        kind_table(&mut o, info, "component", &rows);
        assert!(o.contains("<th>timeouts</th>"), "{o}");
        assert!(!o.contains("async lag"), "{o}");
        // One invoked asynchronously: the column, with a dash for the other.
        let c = json!({ "timeouts": 0, "async": { "lag_ms": { "p99": 1500.0 } } });
        let rows: Vec<Row<'_>> = vec![("a".into(), &a, vec![]), ("c".into(), &c, vec![])];
        let mut o = String::new();
        kind_table(&mut o, info, "component", &rows);
        assert!(o.contains("<th>async lag p99 [ms]</th>"), "{o}");
        assert!(o.contains("<td>–</td>"), "{o}");
    }

    #[test]
    fn a_page_shows_control_characters_and_overrides_written_out() {
        // A results folder `plot` redraws may come from elsewhere: its text is escaped as
        // markup and as terminal codes alike.
        let page = report(
            &json!({ "scenario": "s", "seeds": [1], "description": "a\u{1b}[2J <b> \u{202e}x\u{85}" }),
            None,
            None,
            &[],
            None,
            false,
        );
        assert!(!page.contains(['\u{1b}', '\u{202e}', '\u{85}']), "{page}");
        assert!(
            page.contains("a\\u{1b}[2J &lt;b&gt; \\u{202e}x\\u{85}"),
            "{page}"
        );
    }

    #[test]
    fn a_zero_has_no_sign_and_a_difference_has_its_base_s_decimals() {
        assert_eq!(fmt(0.5), "0.500");
        assert_eq!(fmt(0.0), "0");
        assert_eq!(fmt(-0.0), "0");
        assert_eq!(fmt(-0.0001), "0");
        assert_eq!(fmt(2.5), "2.50");
        // A cost difference of a ten-thousandth on $0.0168 shows; float dust on 51.5 req/s
        // does not, nor a sign on it.
        assert_eq!(fmt_diff(0.000123, 0.0168), "0.0001");
        assert_eq!(fmt_diff(-0.000099, 51.5), "0");
        assert_eq!(fmt_diff(-3.17, 51.5), "-3.17");
        assert_eq!(fmt_diff(0.0580, 0.0948), "0.0580");
        assert_eq!(fmt_diff(-3e-9, 0.0948), "0");
        assert_eq!(fmt_diff(4104.0, 290.0), "4\u{202f}104");
    }

    #[test]
    fn counts_are_whole_and_say_when_they_are_summed_over_seeds() {
        // One seed: a status seen once is "1", not "1.00"; a count judged is "5".
        let one = json!({
            "scenario": "s", "seeds": [1],
            "requests": { "total": 10, "by_status": { "200": 9, "502": 1 } },
            "expectations": [ { "metric": "requests.by_status.502", "max": 5, "value": 1, "pass": true } ],
        });
        let page = report(&one, None, None, &[], None, false);
        // One seed: no interval nor range to explain; no warmup said as such.
        assert!(page.contains("(no warmup), seed 1.</p>"), "{page}");
        assert!(!page.contains("Intervals in grey"), "{page}");
        assert!(page.contains("<tr><td>502</td><td>1</td>"), "{page}");
        assert!(
            page.contains("<tr><td>requests [per seed]</td><td>10</td>"),
            "{page}"
        );
        assert!(
            page.contains("<td>requests.by_status.502 ≤ 5</td><td>1</td>"),
            "{page}"
        );
        // Two seeds: per seed with the range, and the expectation's value says it is a sum.
        let two = json!({
            "scenario": "s", "seeds": [1, 2],
            "requests": { "total": 20, "by_status": { "200": 17, "502": 3 } },
            "per_seed": [
                { "seed": 1, "requests": { "total": 10, "by_status": { "200": 9, "502": 1 } } },
                { "seed": 2, "requests": { "total": 10, "by_status": { "200": 8, "502": 2 } } },
            ],
            "expectations": [ { "metric": "requests.by_status.502", "max": 5, "value": 3, "pass": true } ],
        });
        let page = report(&two, None, None, &[], None, false);
        assert!(page.contains("seeds 1, 2. Intervals in grey"), "{page}");
        assert!(
            page.contains("<tr><td>502</td><td>1.5 per seed (1–2)</td>"),
            "{page}"
        );
        assert!(
            page.contains("<tr><td>requests [per seed]</td><td>10 <span class=\"ci\" title=\"the seeds' range\">(every seed)</span></td>"),
            "{page}"
        );
        assert!(page.contains("<td>3 (the sum of 2 seeds)</td>"), "{page}");
    }

    fn row<'a>(folder: &'a str, s: &'a Value) -> IndexRow<'a> {
        IndexRow {
            folder,
            variant: None,
            summary: s,
            slides: false,
        }
    }

    #[test]
    fn the_index_shows_failures_and_costs_only_where_they_apply() {
        let ok = json!({ "error_rate": 0.0, "latency_all_ms": { "p99": 10.0 },
            "cost_usd": { "total": 0.0, "by_component": {} } });
        let failing = json!({ "error_rate": 0.5, "latency_all_ms": { "p99": 5000.0 },
            "cost_usd": { "total": 0.0, "by_component": {} } });
        let priced = json!({ "error_rate": 0.0, "latency_all_ms": { "p99": 10.0 },
            "cost_usd": { "total": 0.25, "by_component": { "db": 0.25 } } });
        // No failure, nothing priced: neither column.
        let page = index(&[row("a", &ok)], &[], &[], &[]);
        assert!(!page.contains("incl. failures") && !page.contains("cost"));
        // A failing scenario brings the p99 including failures; a priced one the cost, with
        // the unpriced scenario's cell saying so instead of a cost of 0.
        let page = index(
            &[row("a", &ok), row("b", &failing), row("c", &priced)],
            &[],
            &[],
            &[],
        );
        assert!(page.contains("p99 incl. failures [ms]") && page.contains("5\u{202f}000"));
        assert!(page.contains("cost [$, per seed]") && page.contains("not priced"));
        assert!(page.contains("latency of successes [ms]"));
    }

    #[test]
    fn the_index_shows_requests_per_seed_and_a_dash_where_a_summary_has_none() {
        let two = json!({ "seeds": [1, 2], "requests": { "total": 21 },
            "per_seed": [ { "requests": { "total": 10 } }, { "requests": { "total": 11 } } ] });
        let page = index(&[row("a", &two)], &[], &[], &[]);
        // "per seed" in the heading, the seeds' range in grey beside the count.
        assert!(page.contains("requests [per seed]"), "{page}");
        assert!(
            page.contains(
                "<td>10.5 <span class=\"ci\" title=\"the seeds' range\">(10–11)</span></td>"
            ),
            "{page}"
        );
        // Without the count, no number at all: "–", as for any other headline.
        let none = json!({ "error_rate": 0.0 });
        let page = index(&[row("a", &none)], &[], &[], &[]);
        assert!(
            page.contains("<a href=\"./a/report.html\">a</a></td><td>–</td>"),
            "{page}"
        );
        assert!(!page.contains("NaN"), "{page}");
    }

    #[test]
    fn kinds_are_tabled_once_each_in_the_registry_order_whatever_the_scenarios_order() {
        // Two registered kinds, the registry's first and last; the first scenario has only
        // the later one, the second both.
        let kinds = crate::components::registry::KINDS;
        let (early, late) = (kinds[0].info.name, kinds[kinds.len() - 1].info.name);
        let later = json!({ "components": { "x": { "kind": late } } });
        let both = json!({ "components": { "x": { "kind": late }, "y": { "kind": early } } });
        let page = index(&[], &[("a", &later), ("b", &both)], &[], &[]);
        let heading = |name: &str| format!("<span class=\"meta\">({name})</span>");
        let (early, late) = (heading(early), heading(late));
        assert_eq!(page.matches(early.as_str()).count(), 1);
        assert_eq!(page.matches(late.as_str()).count(), 1);
        assert!(page.find(&early) < page.find(&late));
    }
}
