//! The plots, the diagram and the HTML pages: parsed back and checked for the series, labels
//! and links a reader needs.

use crate::Edit;
use archsim::report::diagram;
use archsim::sweep;
use std::path::{Path, PathBuf};

const SCENARIO: &str = r#"
[scenario]
name = "report-test"
description = "A spike overflows a bounded queue."
duration = "2m"
warmup = "10s"
seeds = 2
[[workload]]
name = "users"
target = "web"
arrival = { process = "spike", base = 50, peak = 400, at = "40s", for = "20s" }
timeout = "1s"
retry = { attempts = 2, on = [503] }
[[component]]
id = "web"
kind = "service"
az = "a"
servers = 4
queue = 20
service_time = { dist = "exponential", mean = "20ms" }
calls = [ { to = "db", probability = 0.5, timeout = "200ms" } ]
[[component]]
id = "db"
kind = "service"
az = "b"
servers = 2
service_time = "2ms"
"#;

/// The texts of an SVG drawing, in document order.
pub(crate) fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("SVG does not parse: {e}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.descendants().filter_map(|t| t.text()).collect::<String>())
        .collect()
}

/// Whether some text holds `want`, or consecutive ones do: an axis description too long for
/// its panel is drawn on two lines.
fn assert_has(texts: &[String], want: &str, what: &str) {
    assert!(
        texts.iter().any(|t| t.contains(want))
            || texts.windows(2).any(|w| {
                let line = |t: &str| {
                    t.lines()
                        .map(str::trim)
                        .find(|l| !l.is_empty())
                        .unwrap_or("")
                        .to_string()
                };
                format!("{} {}", line(&w[0]), line(&w[1])) == want
            }),
        "{what}: no text {want:?} among {texts:?}"
    );
}

fn run_into(out: &Path) -> archsim::scenario::Scenario {
    let sc = crate::scenario(SCENARIO);
    let outcomes = sweep::run_all(std::slice::from_ref(&sc), &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    let dir = sweep::OutDir::open(out).unwrap();
    sweep::write_outputs(&dir, &outcomes[0], &sc, Default::default()).unwrap();
    sweep::write_index(&dir, std::slice::from_ref(&sc.name), true).unwrap();
    sc
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("archsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn plots_show_their_series_units_legends_and_events() {
    let out = temp("plots");
    run_into(&out);
    let dir = out.join("report-test");
    let read =
        |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));

    let lat = texts(&read("latency-users.svg"));
    for want in [
        "latency [ms] (log scale)",
        "time [s]",
        "p50",
        "p95",
        "p99",
        "warmup",
        "median of 2 seeds",
        // The run's pooled p99 beside the windows' own, which most windows fall short of.
        "p99 of the measured period, seeds pooled",
        // Some requests failed: the p99 of all of them beside the successes'.
        "p99 of all requests, a failure at its time to fail",
    ] {
        assert_has(&lat, want, "latency chart");
    }
    assert!(
        !lat.iter().any(|t| t.contains("no request succeeded")),
        "{lat:?}"
    );
    let thr = texts(&read("throughput-users.svg"));
    for want in [
        "requests/s by final status",
        "200",
        "503",
        "offered",
        "attempts",
        "web queue full",
        // Some requests failed: the share that did, window by window.
        "failed [%]",
        "failed, of the requests that ended",
    ] {
        assert_has(&thr, want, "throughput chart");
    }
    let web = texts(&read("component-web.svg"));
    for want in ["utilisation [%]", "queue [requests]", "waiting"] {
        assert_has(&web, want, "component chart");
    }
    // The PNG twins are real 1280×720 images.
    for f in [
        "latency-users.png",
        "throughput-users.png",
        "component-web.png",
        "component-db.png",
    ] {
        let bytes = std::fs::read(dir.join(f)).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (1280, 720), "{f}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_latency_chart_with_no_success_says_so() {
    // Every request times out (1 ms against 10 ms of work): blank axes alone would read as
    // a chart that failed to draw. The p99 of all requests, their timeouts, is drawn.
    let sc = crate::scenario(
        "[scenario]\nname = \"all-fail\"\nduration = \"30s\"\n\
         [[workload]]\nname = \"users\"\ntarget = \"web\"\n\
         arrival = { process = \"constant\", rate = 20 }\ntimeout = \"1ms\"\n\
         [[component]]\nid = \"web\"\nkind = \"service\"\nservers = 4\nservice_time = \"10ms\"\n",
    );
    let out = temp("all-fail");
    let outcomes = sweep::run_all(std::slice::from_ref(&sc), &crate::on_threads(1), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    let dir = sweep::OutDir::open(&out).unwrap();
    sweep::write_outputs(&dir, &outcomes[0], &sc, Default::default()).unwrap();
    let svg = std::fs::read_to_string(out.join("all-fail/latency-users.svg")).unwrap();
    assert_has(
        &texts(&svg),
        "no request succeeded: only the p99 of all requests, failures at their time to fail",
        "latency chart",
    );
    assert_has(
        &texts(&svg),
        "p99 of all requests, a failure at its time to fail",
        "latency chart",
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_diagram_and_pages_are_self_contained_and_linked() {
    let out = temp("pages");
    let sc = run_into(&out);
    let dir = out.join("report-test");
    let dia = texts(&std::fs::read_to_string(dir.join("diagram.svg")).unwrap());
    for want in [
        "users",
        "web",
        "db",
        "service",
        "workload",
        "Availability Zone a",
        "Availability Zone b",
        "AWS Cloud",
        "4 servers, queue 20",
        "work 20 ms",
        "p=0.5, timeout 200 ms",
    ] {
        assert_has(&dia, want, "diagram");
    }
    // The PNG for slides: the same drawing at twice the SVG's size.
    let png = std::fs::read(dir.join("diagram.png")).expect("diagram.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg_doc = std::fs::read_to_string(dir.join("diagram.svg")).unwrap();
    let svg_w: f64 = roxmltree::Document::parse(&svg_doc)
        .unwrap()
        .root_element()
        .attribute("width")
        .and_then(|w| w.parse().ok())
        .unwrap();
    let png_w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(png_w, (svg_w * 2.0).ceil() as u32);
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("A spike overflows a bounded queue."));
    assert!(!report.contains("diagram.png"), "the page keeps the SVG");
    assert!(report.matches("<svg").count() >= 4, "plots inline");
    assert!(
        report.contains("<img src=\"data:image/svg+xml,%3Csvg"),
        "the diagram inline, as an image"
    );
    assert!(!report.contains("<script"), "no scripts");
    assert!(
        !report.contains("src=\"http") && !report.contains("href=\"http"),
        "nothing external"
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("href=\"./report-test/report.html\""));
    // Latencies say they are of successful requests; errors are a percentage.
    assert!(report.contains("p99 of successes [ms]") && report.contains("errors [%]"));
    assert!(index.contains("latency of successes [ms]") && index.contains("errors [%]"));
    // Some requests fail (503s), so the p99 of all of them is there too.
    assert!(report.contains("p99 incl. failures [ms]") && index.contains("p99 incl. failures"));

    let dot = diagram::dot(&sc);
    for want in [
        "rankdir=LR",
        "subgraph cluster_cloud",
        "subgraph cluster_zone_0",
        "label=\"Availability Zone b\"",
        "\"workload:users\" -> \"web\"",
        "\"web\" -> \"db\" [label=\"p=0.5, timeout 200 ms\"]",
    ] {
        assert!(dot.contains(want), "DOT lacks {want:?}:\n{dot}");
    }
    // Line breaks in labels are DOT's escape `\n`, not an escaped backslash that Graphviz
    // would print as a literal "\n".
    assert!(
        dot.contains("label=\"users\\nworkload\\npeak"),
        "DOT label lines:\n{dot}"
    );
    assert!(!dot.contains("\\\\n"), "escaped backslash before n:\n{dot}");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn replotting_from_saved_files_draws_the_same_pictures() {
    let out = temp("replot");
    run_into(&out);
    let dir = out.join("report-test");
    let before = std::fs::read(dir.join("throughput-users.svg")).unwrap();
    let report_before = std::fs::read(dir.join("report.html")).unwrap();
    std::fs::remove_file(dir.join("throughput-users.svg")).unwrap();
    sweep::replot(&sweep::OutDir::open(&out).unwrap(), "report-test").unwrap();
    assert_eq!(
        std::fs::read(dir.join("throughput-users.svg")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read(dir.join("report.html")).unwrap(),
        report_before
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_terminal_summary_shows_statuses_percentiles_and_intervals() {
    let s = crate::run(SCENARIO);
    let text = archsim::report::text_summary(&s);
    for want in [
        "== report-test (2 seeds) ==",
        "status     200:",
        "503:",
        "latency ms of successes: mean",
        "of all, a failure at its time to fail: mean",
        "seeds' own p99: mean ",
        "web ",
        "utilisation",
        "kernel ",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    // A status counted only in the warm-up is 0 over the measured time: not listed.
    let mut warm_only = s.clone();
    warm_only["requests"]["by_status"]["500"] = serde_json::json!(0);
    let text = archsim::report::text_summary(&warm_only);
    assert!(!text.contains("500:"), "{text}");
    assert!(text.contains("status     200:"), "{text}");
    // An id longer than the column: every component's kind still starts where the others'
    // do, after the longest id.
    let mut long = s.clone();
    long["components"]["CreateOrderFunction"] = long["components"]["web"].clone();
    let text = archsim::report::text_summary(&long);
    let starts: Vec<usize> = text
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(" service "))
        .map(|l| l.find(" service ").unwrap())
        .collect();
    assert_eq!(starts.len(), 3, "web, db and the long one: {text}");
    assert!(
        starts.iter().all(|&s| s == 2 + "CreateOrderFunction".len()),
        "{text}"
    );
    // A dead-letter queue nothing reached has no lag: its line still says something.
    let mut idle = s.clone();
    idle["components"]["idle-dlq"] = serde_json::json!({ "kind": "sqs", "sends": 0 });
    let text = archsim::report::text_summary(&idle);
    let line = text.lines().find(|l| l.contains("idle-dlq")).unwrap();
    assert!(line.trim_end().ends_with(" sends 0"), "{line:?}");
    // A queue's lag is of the messages deleted: their count stands beside it.
    idle["components"]["jobs"] = serde_json::json!({
        "kind": "sqs", "sends": 3600, "deletes": 42, "moved_to_dead_letter": 1200,
        "lag_ms": { "p99": 3103.0 },
    });
    let text = archsim::report::text_summary(&idle);
    let line = text.lines().find(|l| l.contains(" jobs ")).unwrap();
    assert!(
        line.contains("lag p99 3103 ms sends 3600 deleted 42 to DLQ 1200"),
        "{line:?}"
    );
}

#[test]
fn comparison_charts_overlay_the_scenarios_of_a_group_only() {
    // Three scenarios: two in group "pair", one in none. The pair gets its overlays, titled
    // with the group and with one legend entry per member; the loner is in no overlay (it
    // would be compared with scenarios it has nothing to do with).
    let out = temp("compare");
    // The pair has the same warmup and the same outage, which their overlays mark.
    let variant = |name: &str, compare: Option<&str>| {
        let mut s = SCENARIO.edit("name = \"report-test\"", &format!("name = \"{name}\""));
        if let Some(g) = compare {
            s = s.edit("[scenario]\n", &format!("[scenario]\ncompare = \"{g}\"\n"));
            s.push_str(
                "[[fault]]\nat = \"60s\"\nfor = \"20s\"\nkind = \"az_outage\"\naz = \"b\"\n",
            );
        }
        crate::scenario(&s)
    };
    let scenarios = [
        variant("a", Some("pair")),
        variant("b", Some("pair")),
        variant("loner", None),
    ];
    let outcomes = sweep::run_all(&scenarios, &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    let dir = sweep::OutDir::open(&out).unwrap();
    for (o, sc) in outcomes.iter().zip(&scenarios) {
        sweep::write_outputs(&dir, o, sc, Default::default()).unwrap();
    }
    let names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    sweep::write_index(&dir, &names, true).unwrap();
    let svg = std::fs::read_to_string(out.join("compare-pair-latency-p99.svg")).unwrap();
    let t = texts(&svg);
    assert_has(&t, "by scenario: pair", "title");
    assert_has(&t, "a", "legend");
    assert_has(&t, "b", "legend");
    assert!(!t.iter().any(|x| x == "loner"), "{t:?}");
    assert_has(&t, "warmup", "the shared warmup");
    assert!(
        t.iter().any(|x| x.contains("zone b outage")),
        "the shared fault: {t:?}"
    );
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("compare-"))
        .collect();
    assert_eq!(files.len(), 4, "{files:?}");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn pages_show_each_kind_s_own_figures() {
    // API Gateway in front of a Lambda function: report.html and index.html each have a
    // table per kind with the kind's declared columns, and the function's share of cold
    // starts (a number only Lambda reports) in its row, as a percentage, not a dash.
    let sc = crate::scenario(
        r#"
        [scenario]
        name = "kinds-in-pages"
        duration = "2m"
        [[workload]]
        name = "u"
        target = "api"
        arrival = { process = "poisson", rate = 50 }
        [[component]]
        id = "api"
        kind = "api_gateway"
        target = "fn"
        [[component]]
        id = "fn"
        kind = "lambda"
        runtime = "java"
        work = "100ms"
        "#,
    );
    let out = temp("kinds-in-pages");
    let outcomes = sweep::run_all(std::slice::from_ref(&sc), &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    let dir = sweep::OutDir::open(&out).unwrap();
    sweep::write_outputs(&dir, &outcomes[0], &sc, Default::default()).unwrap();
    sweep::write_index(&dir, std::slice::from_ref(&sc.name), true).unwrap();
    let cold = outcomes[0].summary["components"]["fn"]["cold_start_fraction"]
        .as_f64()
        .unwrap();
    assert!(cold > 0.0);
    let cold = format!("<td>{:.2}</td>", 100.0 * cold);
    for page in [
        out.join("kinds-in-pages/report.html"),
        out.join("index.html"),
    ] {
        let html = std::fs::read_to_string(&page).unwrap();
        for (kind, id) in [("api_gateway", "api"), ("lambda", "fn")] {
            let info = archsim::components::registry::KINDS
                .iter()
                .find(|k| k.info.name == kind)
                .unwrap()
                .info;
            // Every column the component has a figure for; one it has none for (a cache's
            // hits without a cache, an asynchronous lag without asynchronous calls) is left
            // out, not filled with dashes.
            let component = &outcomes[0].summary["components"][id];
            for c in info.columns {
                let th = format!(
                    "<th>{}</th>",
                    archsim::report::html::escape(&archsim::report::columns::header(c))
                );
                let has = archsim::report::columns::value(c, component).is_some();
                assert_eq!(html.contains(&th), has, "{}: {th}", page.display());
            }
        }
        let row = html
            .lines()
            .find(|l| l.contains("<td>") && l.contains("fn</td>") && !l.contains("api"))
            .unwrap_or_else(|| panic!("{}: no row for fn", page.display()));
        assert!(
            row.contains(&cold),
            "{}: {cold} not in {row}",
            page.display()
        );
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_second_run_writes_the_same_bytes_but_for_its_timing() {
    // The committed baselines under results/ stay put when the README's command runs again:
    // everything machine- or moment-dependent is in timing.json, and only there.
    let (a, b) = (temp("same-bytes-a"), temp("same-bytes-b"));
    run_into(&a);
    run_into(&b);
    let (fa, fb) = (crate::files_under(&a), crate::files_under(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    let mut timings = 0;
    for (path, bytes) in &fa {
        if path.ends_with("timing.json") {
            let t: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            assert!(t["wall_s"].as_f64().unwrap() > 0.0, "{t}");
            assert!(t["events_per_sec"].as_f64().unwrap() > 0.0, "{t}");
            timings += 1;
        } else {
            assert!(&fb[path] == bytes, "{path} differs between runs");
        }
    }
    assert_eq!(timings, 1);
    let summary = String::from_utf8(fa["report-test/summary.json"].clone()).unwrap();
    assert!(!summary.contains("wall_s") && !summary.contains("events_per_sec"));
    let _ = (std::fs::remove_dir_all(&a), std::fs::remove_dir_all(&b));
}

/// The boxes of an SVG's horizontal texts, [x0, y0, x1, y1] with their words, their width
/// measured with the font's own metrics, as the charts measure them when they lay them out.
fn text_boxes(svg: &str) -> Vec<([f64; 4], String)> {
    text_boxes_measured(svg, &|words, size, bold| {
        archsim::report::diagram::text_width(words, size, bold)
    })
}

/// The boxes of an SVG's horizontal texts, their widths given by `width(words, size, bold)`.
fn text_boxes_measured(
    svg: &str,
    width: &dyn Fn(&str, f64, bool) -> f64,
) -> Vec<([f64; 4], String)> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("transform").is_none())
        .filter_map(|n| text_box(n, width))
        .collect()
}

fn text_box(
    n: roxmltree::Node,
    width: &dyn Fn(&str, f64, bool) -> f64,
) -> Option<([f64; 4], String)> {
    let words: String = n
        .descendants()
        .filter(|t| t.is_text())
        .filter_map(|t| t.text())
        .collect();
    let num = |a: &str| n.attribute(a)?.parse::<f64>().ok();
    let (x, y, size) = (num("x")?, num("y")?, num("font-size")?);
    let w = width(
        words.trim(),
        size,
        n.attribute("font-weight") == Some("bold"),
    );
    let x0 = match n.attribute("text-anchor") {
        Some("middle") => x - w / 2.0,
        Some("end") => x - w,
        _ => x,
    };
    // `dy="0.76em"`: y is the top of the text.
    (!words.trim().is_empty()).then_some(([x0, y, x0 + w, y + size], words))
}

#[test]
fn no_text_of_a_busy_chart_covers_another_or_leaves_it() {
    // Scenarios where a lot happens at once: scale-outs and targets turning healthy, a zone
    // outage with its detection, a failover. Their event labels sit in a lane above the
    // panels, placed so that none covers another.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let names = [
        "scale-out-lag",
        "az-outage-cross-zone",
        "rds-multi-az-failover",
    ];
    let mut args = vec!["run".to_string()];
    args.extend(
        names
            .iter()
            .map(|n| root.join(format!("{n}.toml")).display().to_string()),
    );
    args.extend(["--seeds", "1", "-q", "--out"].map(String::from));
    args.push(out.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = crate::archsim(&args, dir.path());
    assert!(o.status.success(), "{}", crate::output_text(&o));
    let mut charts = 0;
    for (path, bytes) in crate::files_under(&out) {
        if !path.ends_with(".svg") || path.ends_with("diagram.svg")
            // The service map is the diagram's drawing: the test of every bundled diagram
            // measures its texts with the font's metrics.
            || path.ends_with("service-map.svg")
            || path.contains("compare")
        {
            continue;
        }
        let svg = String::from_utf8(bytes).unwrap();
        let width: f64 = roxmltree::Document::parse(&svg)
            .unwrap()
            .root_element()
            .attribute("width")
            .and_then(|w| w.parse().ok())
            .unwrap();
        let boxes = text_boxes(&svg);
        for (i, (a, wa)) in boxes.iter().enumerate() {
            assert!(
                a[0] >= 0.0 && a[2] <= width,
                "{path}: {wa:?} leaves the chart: {a:?}"
            );
            for (b, wb) in &boxes[i + 1..] {
                let apart = a[2] <= b[0] + 1.0
                    || b[2] <= a[0] + 1.0
                    || a[3] <= b[1] + 1.0
                    || b[3] <= a[1] + 1.0;
                assert!(apart, "{path}: {wa:?} {a:?} covers {wb:?} {b:?}");
            }
        }
        charts += 1;
    }
    assert!(charts >= 10, "{charts} charts");
    // A component's instants are marked on its own chart only; faults on every chart.
    let text = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    assert!(text("scale-out-lag/component-web.svg").contains("web scale out"));
    assert!(!text("scale-out-lag/latency-shoppers.svg").contains("scale out"));
    assert!(!text("scale-out-lag/component-web.svg").contains("alb target healthy"));
    assert!(text("az-outage-cross-zone/baseline/latency-clients.svg").contains("zone a outage"));
}

/// A rectangle's [x0, y0, x1, y1] from its attributes.
fn rect_of(n: roxmltree::Node) -> [f64; 4] {
    let num = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok()).unwrap();
    let (x, y) = (num("x"), num("y"));
    [x, y, x + num("width"), y + num("height")]
}

/// How far apart two rectangles are along the axis that separates them most [px]; zero or
/// less when they touch or overlap.
fn separation(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    (b[0] - a[2])
        .max(a[0] - b[2])
        .max(b[1] - a[3])
        .max(a[1] - b[3])
}

/// Where a line (an arrow, a link) of a diagram runs through the words of a call or a link
/// (the block of a label's lines): the line's segment and the words; and how many lines
/// there are.
fn lines_through_words(svg: &str, width: &dyn Fn(&str, f64, bool) -> f64) -> (Vec<String>, usize) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let groups = || {
        doc.descendants().filter(|n| {
            n.has_tag_name("g") && matches!(n.attribute("class"), Some("edge" | "link"))
        })
    };
    // A label's lines as one block: an arrow between two of them lies across it too.
    let words: Vec<_> = groups()
        .filter_map(|g| {
            let lines: Vec<_> = g
                .descendants()
                .filter(|t| t.has_tag_name("text"))
                .filter_map(|t| text_box(t, width))
                .collect();
            let block = lines.iter().map(|(b, _)| *b).reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })?;
            let words: Vec<_> = lines.into_iter().map(|(_, w)| w).collect();
            Some((block, words.join(" / ")))
        })
        .collect();
    let lines: Vec<_> = groups()
        .flat_map(|g| g.children().filter(|c| c.has_tag_name("polyline")))
        .map(|p| points_of(p.attribute("points").unwrap()))
        .collect();
    let mut crossed = Vec::new();
    for pts in &lines {
        for w in pts.windows(2) {
            for (b, text) in &words {
                if segment_crosses(w[0], w[1], b) {
                    crossed.push(format!("{:?}–{:?} through {text:?} {b:?}", w[0], w[1]));
                }
            }
        }
    }
    (crossed, lines.len())
}

#[test]
fn words_with_no_room_beside_their_arrow_move_the_arrow_rather_than_lie_on_it() {
    // clb-slow-database-504's service map with its run's figures: the balancer's five
    // lines above its arrow into web-2, and web-2's three below its arrow into the
    // database, have no room between the zones' borders. They were moved onto their own
    // arrows (one line below the arrow, the rest above; the middle line on it); the arrows
    // move instead, and stay in the boxes they join.
    use diagram::map::{EdgeFigures, Figures, NodeFigures};
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/clb-slow-database-504.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let sc = archsim::scenario::parse_all(&file, &text, &Default::default(), &[])
        .unwrap()
        .swap_remove(0);
    let mut f = Figures::default();
    let node = NodeFigures {
        rate: 18.0,
        error_share: 0.107,
        p99_ms: Some(75_000.0),
        p99_of_ok: true,
        no_reply: false,
        lag: None,
        bypassed: None,
        lookups: None,
        ios: None,
    };
    for name in sc
        .components
        .iter()
        .map(|c| &c.id)
        .chain(sc.workloads.iter().map(|w| &w.name))
    {
        f.nodes.insert(name.clone(), node.clone());
    }
    for call in diagram::map::calls(&sc) {
        let from_balancer = call.0 == "clb";
        let edge = EdgeFigures {
            rate: if from_balancer { 18.0 } else { 16.0 },
            error_share: 0.0,
            timeout_share: if from_balancer { 0.017 } else { 0.0 },
            mean_ms: Some(if from_balancer { 1_000.0 } else { 1_400.0 }),
            p99_ms: Some(if from_balancer { 60_000.0 } else { 75_000.0 }),
        };
        f.edges.insert(call, edge);
    }
    let svg = diagram::map::svg(&sc, &f);
    let width = |w: &str, size: f64, bold: bool| diagram::text_width(w, size, bold);
    let (crossed, lines) = lines_through_words(&svg, &width);
    assert!(lines >= 4, "{lines}");
    assert!(crossed.is_empty(), "{crossed:#?}");
    // Every arrow still ends inside the box it points at, clear of its corners, and the two
    // into the database keep their order (web-1's above) and their distance.
    let nodes = diagram_nodes(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let mut into_db = Vec::new();
    for g in doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("edge"))
    {
        let to = g.attribute("data-to").unwrap();
        let line = g.children().find(|c| c.has_tag_name("polyline")).unwrap();
        let &(_, y) = points_of(line.attribute("points").unwrap()).last().unwrap();
        let r = nodes.iter().find(|n| n.0 == to).unwrap().3;
        assert!(y >= r[1] + 10.0 && y <= r[3] - 10.0, "into {to}: {y} {r:?}");
        if to == "db" {
            into_db.push((g.attribute("data-from").unwrap().to_string(), y));
        }
    }
    into_db.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(
        into_db.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["web-1", "web-2"]
    );
    assert!(into_db[1].1 - into_db[0].1 >= 12.0, "{into_db:?}");
}

/// An SVG polyline's points.
fn points_of(points: &str) -> Vec<(f64, f64)> {
    points
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// Whether the segment from `a` to `b` passes through the rectangle `r` ([x0, y0, x1, y1])
/// shrunk by a pixel on every side (Liang and Barsky's clipping).
fn segment_crosses(a: (f64, f64), b: (f64, f64), r: &[f64; 4]) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.0 - (r[0] + 1.0)),
        (dx, (r[2] - 1.0) - a.0),
        (-dy, a.1 - (r[1] + 1.0)),
        (dy, (r[3] - 1.0) - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    t0 < t1
}

#[test]
fn a_segment_crosses_a_rectangle_only_through_its_inside() {
    let r = [10.0, 10.0, 20.0, 20.0];
    assert!(segment_crosses((0.0, 15.0), (30.0, 15.0), &r));
    assert!(segment_crosses((15.0, 0.0), (15.0, 12.0), &r));
    assert!(
        !segment_crosses((0.0, 10.5), (30.0, 10.5), &r),
        "along its edge"
    );
    assert!(!segment_crosses((0.0, 0.0), (9.0, 30.0), &r));
    assert!(
        !segment_crosses((0.0, 15.0), (10.5, 15.0), &r),
        "stops at it"
    );
}

fn apart(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[2] <= b[0] + 1.0 || b[2] <= a[0] + 1.0 || a[3] <= b[1] + 1.0 || b[3] <= a[1] + 1.0
}

fn inside(outer: &[f64; 4], inner: &[f64; 4]) -> bool {
    inner[0] >= outer[0] - 0.5
        && inner[1] >= outer[1] - 0.5
        && inner[2] <= outer[2] + 0.5
        && inner[3] <= outer[3] + 0.5
}

#[test]
fn every_bundled_diagram_keeps_its_texts_and_boxes_apart_and_in_place() {
    // Every bundled scenario and each of its variants: no text covers another, every text
    // of a box stays inside it, no two boxes overlap, every box of the cloud is inside it and
    // inside the zones it names (a box across zones starts in the first and ends in the
    // last). Texts are measured with the font's own metrics.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let width = |w: &str, size: f64, bold: bool| diagram::text_width(w, size, bold);
    let mut drawn = 0;
    let (mut zoned, mut spanning, mut satellites) = (0, 0, 0);
    let mut regions_drawn = 0;
    let mut labels_checked = 0;
    let mut lines_checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let all = archsim::scenario::parse_all(file, &text, &Default::default(), &[])
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for sc in &all {
            let what = format!(
                "{} {:?}",
                file.display(),
                sc.variant.as_ref().map(|v| &v.name)
            );
            // The architecture diagram, and the service map at the same places with its
            // longest figures on every node and call.
            let pictures = [
                (diagram::svg(sc), what.clone()),
                (
                    diagram::map::svg(sc, &longest_figures(sc)),
                    format!("{what} service map"),
                ),
            ];
            for (svg, what) in pictures {
                let doc = roxmltree::Document::parse(&svg).unwrap();
                let group = |class: &str| {
                    doc.descendants()
                        .filter(|n| n.has_tag_name("g"))
                        .filter(|n| {
                            n.attribute("class")
                                .is_some_and(|c| c.split(' ').any(|w| w == class))
                        })
                        .collect::<Vec<_>>()
                };
                let first_rect = |g: &roxmltree::Node| {
                    rect_of(g.children().find(|c| c.has_tag_name("rect")).unwrap())
                };
                let region = first_rect(&group("region")[0]);
                let zones: Vec<(String, [f64; 4])> = group("zone")
                    .iter()
                    .map(|g| (g.attribute("data-zone").unwrap().to_string(), first_rect(g)))
                    .collect();
                let areas: Vec<(String, [f64; 4])> = group("aws-region")
                    .iter()
                    .map(|g| {
                        (
                            g.attribute("data-region").unwrap().to_string(),
                            first_rect(g),
                        )
                    })
                    .collect();
                for (i, (a, ra)) in areas.iter().enumerate() {
                    assert!(inside(&region, ra), "{what}: region {a} leaves the cloud");
                    for (b, rb) in &areas[i + 1..] {
                        assert!(apart(ra, rb), "{what}: regions {a} and {b} overlap");
                    }
                }
                regions_drawn += usize::from(!areas.is_empty());
                let boxes = text_boxes_measured(&svg, &width);
                for (i, (a, wa)) in boxes.iter().enumerate() {
                    for (b, wb) in &boxes[i + 1..] {
                        assert!(apart(a, b), "{what}: {wa:?} {a:?} covers {wb:?} {b:?}");
                    }
                }
                // No arrow or line runs through the words of a call or of a link (a zone's
                // name, which hides what runs behind it, may stand on a line where the zone
                // leaves no other room).
                let (crossed, lines) = lines_through_words(&svg, &width);
                assert!(crossed.is_empty(), "{what}: {crossed:?}");
                lines_checked += lines;
                let nodes = group("node");
                // Each call's label keeps the layout's gap from every box and every other
                // text: none seems to touch the box it points at, even on a wide map.
                for e in group("edge") {
                    for t in e.descendants().filter(|t| t.has_tag_name("text")) {
                        let Some((lb, words)) = text_box(t, &width) else {
                            continue;
                        };
                        for g in &nodes {
                            let r = first_rect(g);
                            let id = g.attribute("data-id").unwrap();
                            assert!(
                                separation(&lb, &r) >= diagram::LABEL_GAP - 0.01,
                                "{what}: {words:?} {lb:?} is {:.1} px from {id} {r:?}",
                                separation(&lb, &r)
                            );
                        }
                        for (b, wb) in boxes.iter().filter(|(b, _)| *b != lb) {
                            assert!(
                                separation(&lb, b) >= diagram::LABEL_GAP - 0.01,
                                "{what}: {words:?} {lb:?} is {:.1} px from {wb:?} {b:?}",
                                separation(&lb, b)
                            );
                        }
                        // Nor does it run across the cloud's, a region's or a zone's border.
                        let borders = std::iter::once(("the cloud", &region))
                            .chain(zones.iter().map(|(z, r)| (z.as_str(), r)))
                            .chain(areas.iter().map(|(a, r)| (a.as_str(), r)));
                        for (name, r) in borders {
                            assert!(
                                inside(r, &lb) || apart(r, &lb),
                                "{what}: {words:?} {lb:?} crosses the border of {name} {r:?}"
                            );
                        }
                        labels_checked += 1;
                    }
                }
                for (i, g) in nodes.iter().enumerate() {
                    let id = g.attribute("data-id").unwrap();
                    let r = first_rect(g);
                    for t in g.descendants().filter(|t| t.has_tag_name("text")) {
                        let (tb, words) = text_box(t, &width).unwrap();
                        assert!(
                            inside(&r, &tb),
                            "{what}: {words:?} {tb:?} leaves {id} {r:?}"
                        );
                    }
                    for h in &nodes[i + 1..] {
                        let (o, oid) = (first_rect(h), h.attribute("data-id").unwrap());
                        assert!(apart(&r, &o), "{what}: {id} {r:?} overlaps {oid} {o:?}");
                    }
                    let client = g.attribute("class").unwrap().contains("client");
                    assert_eq!(inside(&region, &r), !client, "{what}: {id} and the cloud");
                    // In its own region's box and apart from the others; a global service (or a
                    // workload) apart from all of them.
                    let own = g.attribute("data-region").unwrap();
                    for (name, ra) in &areas {
                        if name == own {
                            assert!(inside(ra, &r), "{what}: {id} {r:?} leaves region {name}");
                        } else {
                            assert!(apart(ra, &r), "{what}: {id} {r:?} in region {name}");
                        }
                    }
                    let named: Vec<&str> = g
                        .attribute("data-zones")
                        .unwrap()
                        .split(' ')
                        .filter(|z| !z.is_empty())
                        .collect();
                    let zone = |z: &str| zones.iter().find(|(n, _)| n == z).unwrap().1;
                    match named.as_slice() {
                        [] => {
                            for (z, zr) in &zones {
                                assert!(apart(&r, zr), "{what}: regional {id} in zone {z}");
                            }
                        }
                        [z] => {
                            zoned += 1;
                            assert!(inside(&zone(z), &r), "{what}: {id} {r:?} leaves zone {z}");
                        }
                        [first, .., last] => {
                            spanning += 1;
                            let (f, l) = (zone(first), zone(last));
                            assert!(
                                r[0] >= f[0] && r[2] <= f[2] && r[1] > f[1] && r[1] < f[3],
                                "{what}: {id} {r:?} does not start in zone {first} {f:?}"
                            );
                            assert!(
                                r[3] > l[1] && r[3] < l[3],
                                "{what}: {id} {r:?} does not end in zone {last} {l:?}"
                            );
                        }
                    }
                    satellites += usize::from(g.attribute("class").unwrap().contains("satellite"));
                }
                drawn += 1;
            }
        }
    }
    assert!(drawn >= 2 * files.len(), "{drawn} diagrams");
    assert!(labels_checked > 100, "{labels_checked} call labels");
    assert!(lines_checked > 100, "{lines_checked} lines");
    assert!(
        zoned > 10 && spanning > 5 && satellites > 3 && regions_drawn >= 2,
        "{zoned} {spanning} {satellites} {regions_drawn}"
    );
}

/// Service-map figures as wide as they get in practice, for every node and call of `sc`:
/// thousands of requests a second, errors in tenths of a percent, seconds of latency.
fn longest_figures(sc: &archsim::scenario::Scenario) -> diagram::map::Figures {
    use diagram::map::{EdgeFigures, Figures, NodeFigures};
    let mut f = Figures::default();
    let node = NodeFigures {
        rate: 12_345.0,
        error_share: 0.123,
        p99_ms: Some(1_234.0),
        // The longer label: "p99 1.23 s (OK)".
        p99_of_ok: true,
        no_reply: false,
        lag: None,
        bypassed: None,
        lookups: None,
        ios: None,
    };
    for c in &sc.components {
        // A DNS name's figures are its lookups, as a run's are.
        let lookups = (c.spec.kind() == "route53").then_some(12_345.0);
        f.nodes.insert(
            c.id.clone(),
            NodeFigures {
                lookups,
                ..node.clone()
            },
        );
    }
    for w in &sc.workloads {
        f.nodes.insert(w.name.clone(), node.clone());
    }
    for call in diagram::map::calls(sc) {
        let edge = EdgeFigures {
            rate: 12_345.0,
            error_share: 0.123,
            timeout_share: 0.123,
            mean_ms: Some(123.0),
            p99_ms: Some(1_234.0),
        };
        f.edges.insert(call, edge);
    }
    f
}

/// A diagram's nodes as (id, class, zones, [x0, y0, x1, y1]).
fn diagram_nodes(svg: &str) -> Vec<(String, String, String, [f64; 4])> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("data-id").is_some())
        .map(|g| {
            let rect = g.children().find(|c| c.has_tag_name("rect")).unwrap();
            (
                g.attribute("data-id").unwrap().to_string(),
                g.attribute("class").unwrap().to_string(),
                g.attribute("data-zones").unwrap().to_string(),
                rect_of(rect),
            )
        })
        .collect()
}

/// A diagram's groups of a class as (attribute `a`, attribute `b`, their texts).
fn diagram_groups(svg: &str, class: &str) -> Vec<(String, String, Vec<String>)> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
        .map(|g| {
            (
                g.attribute("data-from").unwrap_or("").to_string(),
                g.attribute("data-to").unwrap_or("").to_string(),
                g.descendants()
                    .filter(|t| t.has_tag_name("text"))
                    .map(|t| t.text().unwrap_or("").to_string())
                    .collect(),
            )
        })
        .collect()
}

fn zone_rects(svg: &str) -> Vec<(String, [f64; 4])> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("zone"))
        .map(|g| {
            let rect = g.children().find(|c| c.has_tag_name("rect")).unwrap();
            (g.attribute("data-zone").unwrap().to_string(), rect_of(rect))
        })
        .collect()
}

fn diagram_of(components: &str) -> String {
    let sc = crate::scenario(&format!(
        "[scenario]\nname = \"d\"\nduration = \"1m\"\n[[workload]]\nname = \"users\"\ntarget = \"front\"\narrival = {{ process = \"poisson\", rate = 1000 }}\n{components}"
    ));
    diagram::svg(&sc)
}

#[test]
fn the_diagram_orders_a_column_by_the_one_before_so_calls_do_not_cross() {
    // As written, left comes after right and d1 before d2: drawn in that order, left→d1 and
    // right→d2 would cross. The barycentre sweeps order one column by the other.
    let svg = diagram_of(
        r#"
[[component]]
id = "front"
kind = "service"
service_time = "1ms"
calls = [ { to = "right" }, { to = "left" } ]
[[component]]
id = "right"
kind = "service"
az = "a"
service_time = "1ms"
calls = [ { to = "d2" } ]
[[component]]
id = "left"
kind = "service"
az = "a"
service_time = "1ms"
calls = [ { to = "d1" } ]
[[component]]
id = "d1"
kind = "service"
az = "a"
service_time = "1ms"
[[component]]
id = "d2"
kind = "service"
az = "a"
service_time = "1ms"
"#,
    );
    let nodes = diagram_nodes(&svg);
    let y = |id: &str| nodes.iter().find(|n| n.0 == id).unwrap().3[1];
    assert_eq!(
        y("left") < y("right"),
        y("d1") < y("d2"),
        "left→d1 and right→d2 cross: {nodes:?}"
    );
}

#[test]
fn parallel_calls_are_one_arrow_with_one_label() {
    let svg = diagram_of(
        r#"
[[component]]
id = "front"
kind = "service"
service_time = "1ms"
calls = [ { to = "a", timeout = "350ms" }, { to = "a", timeout = "350ms" }, { to = "a", timeout = "350ms" }, { to = "b", timeout = "2s" }, { to = "c", timeout = "2s" } ]
[[component]]
id = "a"
kind = "service"
service_time = "1ms"
[[component]]
id = "b"
kind = "service"
service_time = "1ms"
[[component]]
id = "c"
kind = "service"
service_time = "1ms"
"#,
    );
    let edges = diagram_groups(&svg, "edge");
    let to_a: Vec<_> = edges
        .iter()
        .filter(|e| e.0 == "front" && e.1 == "a")
        .collect();
    assert_eq!(to_a.len(), 1, "{edges:?}");
    assert_eq!(to_a[0].2, ["×3, timeout 350 ms"]);
    // Calls to b and c say the same: one label for both.
    let labels: Vec<&String> = edges.iter().flat_map(|e| &e.2).collect();
    assert_eq!(
        labels
            .iter()
            .filter(|l| l.as_str() == "timeout 2 s each")
            .count(),
        1,
        "{edges:?}"
    );
    assert_eq!(labels.len(), 2, "{edges:?}");
}

const GROUP_AND_DATABASE: &str = r#"
[[component]]
id = "front"
kind = "load_balancer"
targets = "api"
[[component]]
id = "api"
kind = "ec2_autoscaling"
instance_type = "c6i.large"
zones = ["a", "b"]
min = 2
max = 2
work = "2ms"
calls = [ { to = "db", timeout = "3s" } ]
[[component]]
id = "db"
kind = "rds"
az = "a"
instance_class = "db.r5.large"
read_time = "1ms"
write_time = "2ms"
multi_az = true
read_replicas = 1
"#;

#[test]
fn a_group_over_two_zones_is_drawn_across_both_and_its_balancer_too() {
    let svg = diagram_of(GROUP_AND_DATABASE);
    let zones = zone_rects(&svg);
    assert_eq!(
        zones.iter().map(|z| z.0.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let (a, b) = (zones[0].1, zones[1].1);
    for (id, _, named, r) in diagram_nodes(&svg) {
        if id == "api" || id == "front" {
            assert_eq!(named, "a b", "{id}");
            // It starts inside zone a's container and ends inside zone b's.
            assert!(r[1] > a[1] && r[1] < a[3], "{id} {r:?} {a:?}");
            assert!(r[3] > b[1] && r[3] < b[3], "{id} {r:?} {b:?}");
            assert!(r[0] > a[0] && r[2] < a[2], "{id} {r:?} {a:?}");
        }
    }
}

#[test]
fn a_multi_az_standby_is_drawn_in_another_zone_an_unplaced_replica_in_none_a_placed_one_in_its_own()
{
    let svg = diagram_of(GROUP_AND_DATABASE);
    let zones = zone_rects(&svg);
    let nodes = diagram_nodes(&svg);
    let find = |prefix: &str| {
        nodes
            .iter()
            .find(|n| n.0.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}: {nodes:?}"))
    };
    let (db, standby, replica) = (find("db"), find("db/standby"), find("db/read-replica"));
    assert_eq!(db.2, "a");
    assert_eq!(
        (standby.1.as_str(), standby.2.as_str()),
        ("node satellite", "b")
    );
    // A replica `replica_zones` does not place is in no zone, where no outage reaches it, as
    // the simulation has it: drawn outside every zone, not in one whose outage spares it.
    assert_eq!(replica.2, "");
    assert!(inside(&zones[1].1, &standby.3), "{standby:?} {zones:?}");
    for (name, zone) in &zones {
        assert!(!inside(zone, &replica.3), "{replica:?} in zone {name}");
    }
    // The standby dashed and joined by its replication, the replica by "async".
    let links = diagram_groups(&svg, "link");
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(links.contains(&(
        "db".into(),
        standby.0.clone(),
        vec!["sync replication".into()]
    )));
    assert!(links.contains(&("db".into(), replica.0.clone(), vec!["async".into()])));
    assert!(svg.contains("stroke-dasharray"));
    // A database alone in zone a has its standby in a zone of its own.
    let alone = diagram_of(
        r#"
[[component]]
id = "front"
kind = "rds"
az = "a"
instance_class = "db.r5.large"
read_time = "1ms"
write_time = "2ms"
multi_az = true
"#,
    );
    assert_eq!(
        zone_rects(&alone)
            .iter()
            .map(|z| z.0.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    // Placed, replicas are drawn in their zones, one box a zone counting them.
    let placed = diagram_of(&GROUP_AND_DATABASE.replace(
        "read_replicas = 1",
        "read_replicas = 3\nreplica_zones = [\"a\", \"c\"]",
    ));
    let nodes = diagram_nodes(&placed);
    let replicas: Vec<(&str, &str)> = nodes
        .iter()
        .filter(|n| n.0.starts_with("db/") && n.0.contains("read-replica"))
        .map(|n| (n.0.as_str(), n.2.as_str()))
        .collect();
    assert_eq!(
        replicas,
        [("db/2-read-replicas-2", "a"), ("db/read-replica-3", "c")],
        "{nodes:?}"
    );
}

#[test]
fn a_volume_is_drawn_beside_its_host_in_its_zones_joined_by_a_plain_line() {
    // One volume per instance of the group (zones a and b) and of the database (zone a):
    // each is a box of its own (not a dashed copy) in its host's zones, right beside it,
    // joined by a solid "attached" line; nothing calls it, and it is no longer left alone
    // in the region with a bucket for its mark.
    let components = format!(
        "{GROUP_AND_DATABASE}{}",
        r#"
[[component]]
id = "root"
kind = "ebs"
attached_to = "api"
volume_type = "gp3"
size_gib = 20
[[component]]
id = "data"
kind = "ebs"
attached_to = "db"
volume_type = "gp3"
size_gib = 100
"#
    );
    let svg = diagram_of(&components);
    let nodes = diagram_nodes(&svg);
    let find = |id: &str| {
        nodes
            .iter()
            .find(|n| n.0 == id)
            .unwrap_or_else(|| panic!("no {id}: {nodes:?}"))
    };
    for (volume, host, zones) in [("root", "api", "a b"), ("data", "db", "a")] {
        let (v, h) = (find(volume), find(host));
        assert_eq!((v.1.as_str(), v.2.as_str()), ("node", zones), "{v:?}");
        // rect_of: [x0, y0, x1, y1]. To the right of its host, level with it.
        assert!(v.3[0] > h.3[2], "{v:?} right of {h:?}");
        assert!(v.3[1] < h.3[3] && h.3[1] < v.3[3], "{v:?} level with {h:?}");
        // Nothing stands between them.
        for other in nodes.iter().filter(|n| n.0 != volume && n.0 != host) {
            let between = other.3[0] >= h.3[2] && other.3[2] <= v.3[0];
            assert!(
                !(between && other.3[1] < v.3[3] && v.3[1] < other.3[3]),
                "{other:?} between {h:?} and {v:?}"
            );
        }
    }
    let links = diagram_groups(&svg, "link");
    for (host, volume) in [("api", "root"), ("db", "data")] {
        assert!(
            links.contains(&(host.into(), volume.into(), vec!["attached".into()])),
            "{links:?}"
        );
    }
    let doc = roxmltree::Document::parse(&svg).unwrap();
    for g in doc.descendants().filter(|n| {
        n.has_tag_name("g")
            && n.attribute("class") == Some("link")
            && n.attribute("data-to")
                .is_some_and(|t| t == "root" || t == "data")
    }) {
        let line = g.children().find(|c| c.has_tag_name("polyline")).unwrap();
        assert!(line.attribute("stroke-dasharray").is_none(), "solid");
    }
    // No arrow: the volume is no callee.
    assert!(diagram_groups(&svg, "edge")
        .iter()
        .all(|e| e.1 != "root" && e.1 != "data"));
    // Graphviz has the same: an undirected, undashed line in its host's zone.
    let sc = crate::scenario(&format!(
        "[scenario]\nname = \"d\"\nduration = \"1m\"\n[[workload]]\nname = \"users\"\ntarget = \"front\"\narrival = {{ process = \"poisson\", rate = 1000 }}\n{components}"
    ));
    let dot = diagram::dot(&sc);
    assert!(
        dot.contains("\"db\" -> \"data\" [label=\"attached\", arrowhead=none];"),
        "{dot}"
    );
    let zone_a = dot.find("label=\"Availability Zone a\"").unwrap();
    let zone_b = dot.find("label=\"Availability Zone b\"").unwrap();
    let data = dot.find("\"data\" [").unwrap();
    assert!(zone_a < data && data < zone_b, "{dot}");
}

#[test]
fn the_dot_graph_has_the_cloud_its_zones_and_merged_edges() {
    // The group calls the database twice.
    let components = GROUP_AND_DATABASE.replace(
        "calls = [ { to = \"db\", timeout = \"3s\" } ]",
        "calls = [ { to = \"db\", timeout = \"3s\" }, { to = \"db\", timeout = \"3s\" } ]",
    );
    let sc = crate::scenario(&format!(
        "[scenario]\nname = \"d\"\nduration = \"1m\"\n[[workload]]\nname = \"users\"\ntarget = \"front\"\narrival = {{ process = \"poisson\", rate = 1000 }}\n{components}"
    ));
    let dot = diagram::dot(&sc);
    // The cloud holds the zones; a group across zones sits in the cloud, saying which.
    let cloud = dot.find("subgraph cluster_cloud").expect("a cloud cluster");
    let zone_a = dot.find("label=\"Availability Zone a\"").expect("zone a");
    let zone_b = dot.find("label=\"Availability Zone b\"").expect("zone b");
    assert!(cloud < zone_a && zone_a < zone_b, "{dot}");
    assert!(dot.contains("across zones a, b"), "{dot}");
    let standby = dot.find("\"db/standby-1\" [").expect("the standby");
    assert!(standby > zone_b, "the standby in zone b:\n{dot}");
    assert!(dot.contains("style=\"rounded,dashed\""));
    assert!(dot.contains("[label=\"sync replication\", style=dashed"));
    // Two calls from api to db: one edge, counted.
    assert_eq!(dot.matches("\"api\" -> \"db\"").count(), 1, "{dot}");
    assert!(
        dot.contains("\"api\" -> \"db\" [label=\"×2, timeout 3 s\"]"),
        "{dot}"
    );
}

#[test]
fn load_balancers_over_different_zones_share_a_column() {
    // Two regions' load balancers, each across its own two zones, called from one front:
    // they do not overlap, so they stand one above the other in one column, and a call to
    // the lower one never runs past the upper one as if that one made it.
    let svg = diagram_of(
        r#"
[[component]]
id = "front"
kind = "service"
servers = 4
service_time = { dist = "exponential", mean = "5ms" }
calls = [ { to = "lb-east" }, { to = "lb-west", probability = 0.5 } ]
[[component]]
id = "lb-east"
kind = "load_balancer"
targets = ["e1", "e2"]
[[component]]
id = "lb-west"
kind = "load_balancer"
targets = ["w1", "w2"]
[[component]]
id = "e1"
kind = "service"
az = "east-a"
servers = 1
service_time = { dist = "exponential", mean = "5ms" }
[[component]]
id = "e2"
kind = "service"
az = "east-b"
servers = 1
service_time = { dist = "exponential", mean = "5ms" }
[[component]]
id = "w1"
kind = "service"
az = "west-a"
servers = 1
service_time = { dist = "exponential", mean = "5ms" }
[[component]]
id = "w2"
kind = "service"
az = "west-b"
servers = 1
service_time = { dist = "exponential", mean = "5ms" }
"#,
    );
    let nodes = diagram_nodes(&svg);
    let at = |id: &str| nodes.iter().find(|n| n.0 == id).unwrap().3;
    let (east, west) = (at("lb-east"), at("lb-west"));
    assert_eq!(east[0], west[0], "one column: {east:?} {west:?}");
    assert!(
        east[3] <= west[1] || west[3] <= east[1],
        "apart: {east:?} {west:?}"
    );
}

/// A diagram's drawn regions as (name, [x0, y0, x1, y1]).
fn region_rects(svg: &str) -> Vec<(String, [f64; 4])> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("aws-region"))
        .map(|g| {
            let rect = g.children().find(|c| c.has_tag_name("rect")).unwrap();
            (
                g.attribute("data-region").unwrap().to_string(),
                rect_of(rect),
            )
        })
        .collect()
}

const TWO_REGIONS_BEHIND_A_NAME: &str = r#"
[[component]]
id = "front"
kind = "route53"
routing = "weighted"
records = [ { to = "east", weight = 1 }, { to = "west", weight = 1 } ]
[[component]]
id = "east"
kind = "service"
region = "r1"
az = "r1-a"
servers = 1
service_time = "5ms"
calls = [ { to = "store" } ]
[[component]]
id = "store"
kind = "s3"
region = "r1"
[[component]]
id = "west"
kind = "service"
region = "r2"
az = "r2-a"
servers = 1
service_time = "5ms"
"#;

#[test]
fn regions_are_drawn_apart_with_their_zones_inside_and_a_global_service_outside() {
    // Route 53 (global) in front of a service in each of two regions, r1's calling a bucket
    // of its region (in no zone): a box for each region, in the order the scenario names
    // them; each zone inside its own region; the bucket in r1 outside its zone; the name in
    // the cloud but in neither region.
    let svg = diagram_of(TWO_REGIONS_BEHIND_A_NAME);
    let regions = region_rects(&svg);
    assert_eq!(
        regions.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["r1", "r2"]
    );
    let (r1, r2) = (regions[0].1, regions[1].1);
    assert!(apart(&r1, &r2), "{r1:?} {r2:?}");
    let zones = zone_rects(&svg);
    let zone = |z: &str| zones.iter().find(|x| x.0 == z).unwrap().1;
    assert!(inside(&r1, &zone("r1-a")) && apart(&r2, &zone("r1-a")));
    assert!(inside(&r2, &zone("r2-a")) && apart(&r1, &zone("r2-a")));
    let nodes = diagram_nodes(&svg);
    let at = |id: &str| nodes.iter().find(|n| n.0 == id).unwrap().3;
    assert!(inside(&zone("r1-a"), &at("east")));
    assert!(inside(&zone("r2-a"), &at("west")));
    assert!(inside(&r1, &at("store")) && apart(&zone("r1-a"), &at("store")));
    assert!(apart(&r1, &at("front")) && apart(&r2, &at("front")));
    assert!(
        svg.contains(">Region r1<") && svg.contains(">Region r2<"),
        "{svg}"
    );
    // The DOT graph nests the same way: r1's cluster holds its zone's, the name is outside.
    let sc = crate::scenario(&format!(
        "[scenario]\nname = \"d\"\nduration = \"1m\"\n[[workload]]\nname = \"users\"\ntarget = \"front\"\narrival = {{ process = \"poisson\", rate = 1000 }}\n{TWO_REGIONS_BEHIND_A_NAME}"
    ));
    let dot = diagram::dot(&sc);
    let (front, r1, zone_a, r2) = (
        dot.find("\"front\" [label").unwrap(),
        dot.find("label=\"Region r1\"").unwrap(),
        dot.find("label=\"Availability Zone r1-a\"").unwrap(),
        dot.find("label=\"Region r2\"").unwrap(),
    );
    assert!(front < r1 && r1 < zone_a && zone_a < r2, "{dot}");
}

#[test]
fn the_default_region_beside_a_global_service_is_drawn_without_a_name() {
    // A scenario that names no region has its components in the default one, whose name
    // ("home") it never wrote: its box says "Region" alone, in the SVG and the DOT text.
    let components = r#"
[[component]]
id = "front"
kind = "cloudfront"
origin = "web"
[[component]]
id = "web"
kind = "service"
service_time = "5ms"
"#;
    let svg = diagram_of(components);
    assert_eq!(region_rects(&svg).len(), 1, "{svg}");
    assert!(
        svg.contains(">Region<") && !svg.contains(">Region home<"),
        "{svg}"
    );
    let sc = crate::scenario(&format!(
        "[scenario]\nname = \"d\"\nduration = \"1m\"\n[[workload]]\nname = \"users\"\ntarget = \"front\"\narrival = {{ process = \"poisson\", rate = 10 }}\n{components}"
    ));
    let dot = diagram::dot(&sc);
    assert!(
        dot.contains("label=\"Region\";") && !dot.contains("Region home"),
        "{dot}"
    );
}

#[test]
fn one_region_and_no_global_service_draws_no_region_box() {
    // The cloud alone holds the zones, as before regions were drawn: a box saying the one
    // region would only take room.
    let svg = diagram_of(
        r#"
[[component]]
id = "front"
kind = "service"
az = "a"
servers = 1
service_time = "5ms"
"#,
    );
    assert!(region_rects(&svg).is_empty());
    assert_eq!(zone_rects(&svg).len(), 1);
}

#[test]
fn an_asynchronous_call_is_drawn_dashed_and_says_so() {
    // front calls fn asynchronously and q synchronously: only the first line is dashed, and
    // only its label says "async", in the SVG and in the DOT text alike.
    let components = r#"
[[component]]
id = "front"
kind = "service"
service_time = "1ms"
calls = [ { to = "fn", mode = "async" }, { to = "q" } ]
[[component]]
id = "fn"
kind = "lambda"
work = "10ms"
[[component]]
id = "q"
kind = "sqs"
"#;
    let svg = diagram_of(components);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let edge = |to: &str| {
        doc.descendants()
            .find(|n| {
                n.attribute("class") == Some("edge")
                    && n.attribute("data-from") == Some("front")
                    && n.attribute("data-to") == Some(to)
            })
            .unwrap_or_else(|| panic!("an edge to {to}"))
    };
    let dashed = |to: &str| {
        edge(to)
            .children()
            .any(|c| c.has_tag_name("polyline") && c.attribute("stroke-dasharray").is_some())
    };
    let words = |to: &str| {
        edge(to)
            .descendants()
            .filter_map(|c| c.text())
            .collect::<String>()
    };
    assert!(dashed("fn") && words("fn").contains("async"));
    assert!(!dashed("q") && !words("q").contains("async"));
    let sc = crate::scenario(&format!(
        "[scenario]\nname = \"d\"\nduration = \"1m\"\n[[workload]]\nname = \"users\"\ntarget = \"front\"\narrival = {{ process = \"poisson\", rate = 10 }}\n{components}"
    ));
    let dot = diagram::dot(&sc);
    assert!(
        dot.contains("\"front\" -> \"fn\" [label=\"async\", style=dashed];"),
        "{dot}"
    );
    assert!(dot.contains("\"front\" -> \"q\";"), "{dot}");
}

#[test]
fn replicas_stacked_above_their_database_branch_off_one_line_and_its_words_sit_by_it() {
    // Five replicas: two boxes and a wider "3 more read replicas". Each is the database's
    // copy, not the next one's: a line straight from the database to the far ones would run
    // through the near ones and read as a chain. They stand indented from the database's
    // left, one line runs up the indent from the database's top and branches into the side
    // of each, crossing no box; "async" sits between the nearest box and the database, not
    // below the database across its zone.
    let svg = diagram_of(
        &GROUP_AND_DATABASE
            .replace("multi_az = true\n", "")
            .replace("read_replicas = 1", "read_replicas = 5"),
    );
    let nodes = diagram_nodes(&svg);
    let db = nodes.iter().find(|n| n.0 == "db").expect("db").3;
    let more = nodes
        .iter()
        .find(|n| n.0.starts_with("db/3-more"))
        .unwrap_or_else(|| panic!("{nodes:?}"))
        .3;
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let links: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("link"))
        .collect();
    assert_eq!(links.len(), 3);
    let mut trunk = Vec::new();
    for g in &links {
        let replica = nodes
            .iter()
            .find(|n| Some(n.0.as_str()) == g.attribute("data-to"))
            .unwrap()
            .3;
        let line = g.children().find(|c| c.has_tag_name("polyline")).unwrap();
        let pts = points_of(line.attribute("points").unwrap());
        // rect_of: [x0, y0, x1, y1]. From the database's top, up, then into the replica's
        // left side at its middle.
        assert_eq!(pts.len(), 3, "{pts:?}");
        assert!(
            pts[0].1 == db[1] && pts[0].0 > db[0] && pts[0].0 < db[2],
            "{pts:?} {db:?}"
        );
        assert_eq!(pts[0].0, pts[1].0, "up: {pts:?}");
        assert_eq!(pts[2], (replica[0], (replica[1] + replica[3]) / 2.0));
        trunk.push(pts[0].0);
        for n in &nodes {
            for w in pts.windows(2) {
                assert!(!segment_crosses(w[0], w[1], &n.3), "{pts:?} through {n:?}");
            }
        }
    }
    assert!(trunk.iter().all(|x| *x == trunk[0]), "one line: {trunk:?}");
    let words = links
        .iter()
        .flat_map(|g| g.descendants().filter(|t| t.has_tag_name("text")))
        .map(|t| t.attribute("y").unwrap().parse::<f64>().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(words.len(), 1, "one label");
    assert!(
        words[0] >= more[3] && words[0] < db[1],
        "{words:?} {more:?} {db:?}"
    );
}

#[test]
fn each_standby_s_own_line_says_how_it_is_kept() {
    // A Multi-AZ DB cluster's two readable standbys, in zones b and c, each joined by a line
    // of its own: each says "semi-sync" (one without words read as a different kind of
    // copy), beside its line and clear of its box.
    let svg = diagram_of(&GROUP_AND_DATABASE.replace(
        "multi_az = true\nread_replicas = 1\n",
        "deployment = \"multi_az_cluster\"\n",
    ));
    let nodes = diagram_nodes(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let links: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("link"))
        .collect();
    assert_eq!(links.len(), 2, "{svg}");
    for g in links {
        let to = g.attribute("data-to").unwrap();
        let standby = nodes.iter().find(|n| n.0 == to).unwrap().3;
        let words: Vec<_> = g.descendants().filter(|t| t.has_tag_name("text")).collect();
        assert_eq!(words.len(), 1, "{to}");
        let (at, text) = text_box(words[0], &|w, size, bold| {
            archsim::report::diagram::text_width(w, size, bold)
        })
        .unwrap();
        assert_eq!(text, "semi-sync");
        assert!(apart(&at, &standby), "{to}: words at {at:?} on {standby:?}");
    }
}

#[test]
fn an_arrow_across_columns_goes_round_the_boxes_between_its_ends() {
    // An imported stack where a function calls both a queue and, two columns on, the table
    // the queue's worker writes: its arrow to the table ran straight behind the queue and
    // the worker, so that it read as the worker's second arrow into the table. Every arrow
    // now keeps out of every box but its own two.
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import/templates/iam-missing-write.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let out = archsim::import::import("iam-missing-write.yaml", &text).unwrap();
    let sc = crate::scenario(&out.scenario);
    let svg = diagram::svg(&sc);
    let nodes = diagram_nodes(&svg);
    let arrows = diagram_arrows(&svg);
    assert!(
        arrows
            .iter()
            .any(|(from, to, _)| from == "OrdersFn" && to == "OrdersTable"),
        "{arrows:?}"
    );
    for (from, to, pts) in &arrows {
        for (id, _, _, r) in nodes.iter().filter(|n| n.0 != *from && n.0 != *to) {
            // Inside by more than a line's width: an arrow along a border does not count.
            let inner = [r[0] + 2.0, r[1] + 2.0, r[2] - 2.0, r[3] - 2.0];
            assert!(
                !pts.windows(2).any(|w| segment_crosses(w[0], w[1], &inner)),
                "{from} → {to} runs through {id}: {pts:?}"
            );
        }
    }
}

/// An arrow of a diagram: from, to, the points of its line.
type Arrow = (String, String, Vec<(f64, f64)>);

/// A diagram's arrows.
fn diagram_arrows(svg: &str) -> Vec<Arrow> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("edge"))
        .map(|g| {
            let line = g.children().find(|c| c.has_tag_name("polyline")).unwrap();
            (
                g.attribute("data-from").unwrap().to_string(),
                g.attribute("data-to").unwrap().to_string(),
                points_of(line.attribute("points").unwrap()),
            )
        })
        .collect()
}

#[test]
fn graph_names_each_variants_digraph_by_its_variant() {
    // `archsim graph` prints the baseline's graph and each variant's: each named for whose
    // it is, as the charts are, not all alike.
    let dir = tempfile::tempdir().unwrap();
    let text =
        SCENARIO.to_string() + "[[variant]]\nname = \"big\"\nset = { \"web.servers\" = 8 }\n";
    std::fs::write(dir.path().join("g.toml"), text).unwrap();
    let out = crate::archsim_ok(&["graph", "g.toml"], dir.path());
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(
        dot.contains("digraph \"report-test [baseline]\" {"),
        "{dot}"
    );
    assert!(dot.contains("digraph \"report-test [big]\" {"), "{dot}");
}
