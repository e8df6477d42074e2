//! `run --slides`: a `slides.html` per scenario and per experiment, five slides in order,
//! self-contained and script-free, the scenario's text escaped, the same bytes at every run.

use crate::{archsim, files_under, output_text, Edit};
use std::path::Path;

/// A service behind a fault: its key chart is requests by final status.
const FAULTY: &str = r#"
[scenario]
name = "faulty"
description = "The database goes down for ten seconds."
question = "What do users see while the database is down?"
lesson = "Every request that needs the database fails while it is down."
duration = "40s"
seeds = 2
[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 100 }
[[component]]
id = "web"
kind = "service"
servers = 8
service_time = "5ms"
calls = [ { to = "db", timeout = "100ms" } ]
[[component]]
id = "db"
kind = "service"
servers = 4
service_time = "2ms"
[[fault]]
at = "15s"
for = "10s"
kind = "component_down"
target = "db"
[[expect]]
metric = "error_rate"
min = 0.1
"#;

/// No fault, and a variant: an experiment, whose slides compare the variants.
const EXPERIMENT: &str = r#"
[scenario]
name = "servers"
description = "Four servers against five under the same load."
duration = "30s"
[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 150 }
[[component]]
id = "web"
kind = "service"
servers = 4
service_time = { dist = "exponential", mean = "20ms" }
[[variant]]
name = "five-servers"
set = { "web.servers" = 5 }
"#;

/// Writes the scenarios into a fresh folder and runs `archsim` there with `args`.
fn run_in(files: &[(&str, &str)], args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = archsim(args, dir.path());
    assert!(out.status.success(), "{}", output_text(&out));
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sections of a deck, in order: (id, its HTML).
fn sections(page: &str) -> Vec<(String, String)> {
    page.split("<section id=\"")
        .skip(1)
        .map(|s| {
            let (id, rest) = s.split_once('"').unwrap();
            let body = rest.split("</section>").next().unwrap();
            (id.to_string(), body.to_string())
        })
        .collect()
}

#[test]
fn slides_are_written_for_each_scenario_and_experiment_with_the_flag_only() {
    let files = [("faulty.toml", FAULTY), ("servers.toml", EXPERIMENT)];
    let args = ["run", "faulty.toml", "servers.toml", "--out", "out", "-q"];
    let with = run_in(&files, &[&args[..], &["--slides"]].concat());
    let out = with.path().join("out");
    assert!(out.join("faulty/slides.html").is_file());
    assert!(out.join("servers/slides.html").is_file());
    // An experiment's deck compares its variants: their own folders have none.
    assert!(!out.join("servers/baseline/slides.html").exists());
    assert!(!out.join("servers/five-servers/slides.html").exists());
    // Without the flag, nothing else changes and no deck is written.
    let without = run_in(&files, &args);
    let (a, b) = (files_under(&out), files_under(&without.path().join("out")));
    let mut extra: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    extra.sort();
    assert_eq!(extra, ["faulty/slides.html", "servers/slides.html"]);
    for (name, bytes) in &b {
        if name == "faulty/report.html" {
            // The scenario's page links to its slides, and differs by that line only.
            let (with, without) = (
                String::from_utf8(a[name].clone()).unwrap(),
                String::from_utf8(bytes.clone()).unwrap(),
            );
            assert!(with.contains("<a href=\"slides.html\">") && !without.contains("slides.html"));
            let unlinked: String = with
                .lines()
                .filter(|l| !l.contains("href=\"slides.html\""))
                .map(|l| format!("{l}\n"))
                .collect();
            assert_eq!(unlinked, without);
        } else if name == "index.html" {
            // The index links each deck after its scenario's (or experiment's) name.
            let with = String::from_utf8(a[name].clone()).unwrap();
            let links = [
                " · <a href=\"./faulty/slides.html\">slides</a>",
                " · <a href=\"./servers/slides.html\">slides</a>",
            ];
            for link in links {
                assert!(with.contains(link), "{link} missing: {with}");
            }
            let unlinked = links.iter().fold(with.clone(), |s, l| s.replace(l, ""));
            assert!(
                unlinked.as_bytes() == &bytes[..],
                "the index differs by more than its links"
            );
        } else if name.ends_with(".json") || name.ends_with(".csv") || name.ends_with(".html") {
            assert!(a[name] == *bytes || name.ends_with("timing.json"), "{name}");
        }
    }
}

#[test]
fn a_scenario_deck_has_its_five_slides_in_order() {
    let dir = run_in(
        &[("faulty.toml", FAULTY)],
        &["run", "faulty.toml", "--out", "out", "-q", "--slides"],
    );
    let page = read(&dir.path().join("out/faulty/slides.html"));
    let s = sections(&page);
    let ids: Vec<&str> = s.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["s1", "s2", "s3", "s4", "s5"]);
    // (a) the question: the name in words and the question as written.
    assert!(s[0].1.contains("<h1>Faulty</h1>"), "{}", s[0].1);
    assert!(s[0]
        .1
        .contains("What do users see while the database is down?"));
    // (b) the architecture, as an image inside the page.
    assert!(s[1].1.contains("The architecture"));
    assert!(s[1].1.contains("<img src=\"data:image/svg+xml,"));
    // (c) with a fault, the key chart is requests by final status (where the fault's band is
    // drawn), not latency.
    assert!(s[2].1.contains("Requests by final status"), "{}", s[2].1);
    assert!(s[2]
        .1
        .contains("alt=\"faulty · users: requests by final status, as they end\""));
    // (d) the numbers, with their labels; the error rate as a percentage: 10 s of 40 s down,
    // so about a quarter of requests failed, and the figure is far above 1 (not a fraction).
    assert!(s[3].1.contains("The numbers"));
    assert!(s[3].1.contains("p99 latency of successful requests"));
    assert!(s[3].1.contains("of requests failed"));
    let figures = s[3].1.matches("class=\"figure\"").count();
    assert!((2..=6).contains(&figures), "{figures} figures");
    let error_figure = s[3]
        .1
        .split("class=\"figure\"")
        .find(|f| f.contains("of requests failed"))
        .unwrap();
    let value: f64 = error_figure
        .split("class=\"v\"")
        .nth(1)
        .and_then(|v| v.split_once('>'))
        .and_then(|(_, v)| v.split('<').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!((15.0..=35.0).contains(&value), "error rate {value} %");
    // (e) the lesson as written.
    assert!(s[4].1.contains("The lesson"));
    assert!(s[4]
        .1
        .contains("Every request that needs the database fails while it is down."));
    // Each slide numbered, linked to its neighbours.
    for (i, (_, body)) in s.iter().enumerate() {
        let k = i + 1;
        assert!(body.contains(&format!("{k} / 5")));
        if k > 1 {
            assert!(body.contains(&format!("href=\"#s{}\"", k - 1)));
        }
        if k < 5 {
            assert!(body.contains(&format!("href=\"#s{}\"", k + 1)));
        }
    }
}

#[test]
fn a_scenario_with_no_lesson_or_description_has_no_empty_lesson_slide() {
    let bare = FAULTY
        .edit(
            "description = \"The database goes down for ten seconds.\"\n",
            "",
        )
        .edit(
            "lesson = \"Every request that needs the database fails while it is down.\"\n",
            "",
        );
    let dir = run_in(
        &[("faulty.toml", &bare)],
        &["run", "faulty.toml", "--out", "out", "-q", "--slides"],
    );
    let page = read(&dir.path().join("out/faulty/slides.html"));
    let s = sections(&page);
    assert_eq!(s.len(), 4, "{page}");
    assert!(!page.contains("The lesson"));
    assert!(s[3].1.contains("The numbers") && s[3].1.contains("4 / 4"));
}

#[test]
fn an_experiment_deck_compares_its_variants() {
    let dir = run_in(
        &[("servers.toml", EXPERIMENT)],
        &["run", "servers.toml", "--out", "out", "-q", "--slides"],
    );
    let page = read(&dir.path().join("out/servers/slides.html"));
    let s = sections(&page);
    assert_eq!(s.len(), 5);
    // No question or lesson written: both fall back to the description.
    let description = "Four servers against five under the same load.";
    assert!(s[0].1.contains(description));
    assert!(s[4].1.contains(description));
    // The variants set no swept number and nothing fails: each one's latency chart, side by
    // side, captioned with its name.
    assert!(s[2].1.contains("<figcaption>baseline</figcaption>"));
    assert!(s[2].1.contains("<figcaption>five-servers</figcaption>"));
    assert!(s[2].1.contains("latency of successful requests"));
    // The numbers: one row per variant.
    assert_eq!(s[3].1.matches("<tr style=").count(), 2);
    assert!(s[3].1.contains("<td class=\"name\">baseline</td>"));
    assert!(s[3].1.contains("<td class=\"name\">five-servers</td>"));
    // Five variants: a chart a slide, each as large as a slide holds, not four in a row a
    // quarter of its width each; the heading says what they show, the caption whose it is
    // and which of how many (every one: a fifth was once left out, the captions saying
    // "of 4").
    let five = format!(
        "{EXPERIMENT}[[variant]]\nname = \"six\"\nset = {{ \"web.servers\" = 6 }}\n[[variant]]\nname = \"seven\"\nset = {{ \"web.servers\" = 7 }}\n[[variant]]\nname = \"eight\"\nset = {{ \"web.servers\" = 8 }}\n"
    );
    let dir = run_in(
        &[("servers.toml", &five)],
        &["run", "servers.toml", "--out", "out", "-q", "--slides"],
    );
    let page = read(&dir.path().join("out/servers/slides.html"));
    let s = sections(&page);
    assert_eq!(s.len(), 9, "{page}");
    for (k, name) in ["baseline", "five-servers", "six", "seven", "eight"]
        .iter()
        .enumerate()
    {
        let slide = &s[2 + k].1;
        assert_eq!(slide.matches("<figure>").count(), 1, "{slide}");
        assert!(slide.contains(&format!("<figcaption>{name} ({} of 5)</figcaption>", k + 1)));
        assert!(slide.contains("The variants: latency of successful requests"));
    }
    assert!(!page.contains("report.html has them all"));
}

#[test]
fn past_ten_variants_the_last_chart_slide_says_where_the_others_are() {
    let mut many = EXPERIMENT.to_string();
    for n in 6..=14 {
        many.push_str(&format!(
            "[[variant]]\nname = \"n{n}\"\nset = {{ \"web.servers\" = {n} }}\n"
        ));
    }
    let dir = run_in(
        &[("servers.toml", &many)],
        &["run", "servers.toml", "--out", "out", "-q", "--slides"],
    );
    let page = read(&dir.path().join("out/servers/slides.html"));
    let s = sections(&page);
    let charts: Vec<&String> = s
        .iter()
        .map(|x| &x.1)
        .filter(|b| b.contains("<figcaption>"))
        .collect();
    assert_eq!(charts.len(), 10, "{page}");
    assert!(charts[9].contains("<figcaption>n13 (10 of 11)</figcaption>"));
    assert!(charts[9].contains("The first 10 of 11 variants; report.html has them all."));
    assert!(!charts[8].contains("report.html has them all"));
}

/// Every place the page could reach outside itself or run something.
fn assert_self_contained(page: &str, what: &str) {
    let lower = page.to_lowercase();
    for bad in [
        "<script",
        "javascript:",
        "@import",
        "url(",
        "<link",
        "<iframe",
        "<object",
    ] {
        assert!(!lower.contains(bad), "{what}: {bad}");
    }
    // The only `http` is the SVG namespace of the inlined images (percent-encoded in them).
    let mut rest = page;
    while let Some(i) = rest.find("http") {
        let tail = &rest[i..];
        assert!(
            tail.starts_with("http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg")
                || tail.starts_with("http://www.w3.org/2000/svg"),
            "{what}: a link out: {}",
            &tail[..tail.len().min(60)]
        );
        rest = &tail[4..];
    }
    // Images are data, links go to the page's own slides.
    for src in page.split("src=\"").skip(1) {
        assert!(
            src.starts_with("data:image/svg+xml,"),
            "{what}: src {}",
            &src[..20]
        );
    }
    for href in page.split("href=\"").skip(1) {
        assert!(href.starts_with("#s"), "{what}: href {}", &href[..20]);
    }
}

#[test]
fn decks_are_self_contained_and_script_free() {
    let dir = run_in(
        &[("faulty.toml", FAULTY), ("servers.toml", EXPERIMENT)],
        &[
            "run",
            "faulty.toml",
            "servers.toml",
            "--out",
            "out",
            "-q",
            "--slides",
        ],
    );
    for name in ["faulty", "servers"] {
        let page = read(&dir.path().join(format!("out/{name}/slides.html")));
        assert_self_contained(&page, name);
        // Inline CSS with scroll snapping, a full-viewport section each, a page each in print.
        assert!(page.contains("scroll-snap-type: y mandatory"));
        assert!(page.contains("height: 100vh"));
        assert!(page.contains("@media print"));
        assert!(page.contains("break-after: page"));
    }
}

#[test]
fn hostile_scenario_text_comes_out_escaped() {
    // Markup in the question and lesson, and in a description, which a deck shows when
    // neither is written. Control characters and bidirectional overrides are refused in any
    // string of a scenario (tests/bad/question_control_character.toml,
    // tests/bad/op_name_with_terminal_code.toml), and a page escapes them all the same
    // (`report::html::tests::a_page_shows_control_characters_and_overrides_written_out`).
    let hostile = FAULTY
        .edit(
            "question = \"What do users see while the database is down?\"",
            r#"question = "</section><script>alert(1)</script><a href=\"//evil.example/x\">&amp; 'q'""#,
        )
        .edit(
            "lesson = \"Every request that needs the database fails while it is down.\"",
            "lesson = \"<img src=x onerror=alert(2)>\"",
        );
    let quiet = EXPERIMENT.edit(
        "description = \"Four servers against five under the same load.\"",
        r#"description = "<style>*{display:none}</style>gnp.exe""#,
    );
    let dir = run_in(
        &[("faulty.toml", &hostile), ("servers.toml", &quiet)],
        &[
            "run",
            "faulty.toml",
            "servers.toml",
            "--out",
            "out",
            "-q",
            "--slides",
        ],
    );
    let page = read(&dir.path().join("out/faulty/slides.html"));
    assert_self_contained(&page, "hostile question");
    assert!(page.contains(
        "&lt;/section&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&quot;//evil.example/x&quot;&gt;&amp;amp; &#39;q&#39;"
    ));
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert_eq!(sections(&page).len(), 5, "the question closed a section");
    let page = read(&dir.path().join("out/servers/slides.html"));
    assert_self_contained(&page, "hostile description");
    assert!(page.contains("&lt;style&gt;*{display:none}&lt;/style&gt;gnp.exe"));
}

#[test]
fn slides_are_the_same_bytes_at_every_run() {
    let files = [("faulty.toml", FAULTY), ("servers.toml", EXPERIMENT)];
    let run = |threads: &str| {
        let dir = run_in(
            &files,
            &[
                "run",
                "faulty.toml",
                "servers.toml",
                "--out",
                "out",
                "-q",
                "--slides",
                "--threads",
                threads,
            ],
        );
        ["faulty", "servers"].map(|n| read(&dir.path().join(format!("out/{n}/slides.html"))))
    };
    let (one, two) = (run("1"), run("2"));
    assert!(one == two, "slides.html differs between runs");
}

#[test]
fn check_and_merge_write_slides_and_a_shard_refuses_them() {
    let dir = run_in(
        &[("faulty.toml", FAULTY)],
        &["check", "faulty.toml", "--out", "out", "-q", "--slides"],
    );
    assert!(dir.path().join("out/faulty/slides.html").is_file());
    // A shard writes no pages: `--slides` belongs to the merge.
    let refused = archsim(
        &[
            "run",
            "faulty.toml",
            "--shard",
            "0/1",
            "--slides",
            "--out",
            "shards",
        ],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(2), "{}", output_text(&refused));
    assert!(output_text(&refused).contains("give --slides to `archsim merge`"));
    let shard = archsim(
        &[
            "run",
            "faulty.toml",
            "--shard",
            "0/1",
            "--out",
            "shards",
            "-q",
        ],
        dir.path(),
    );
    assert!(shard.status.success(), "{}", output_text(&shard));
    let merged = archsim(
        &["merge", "shards", "--out", "merged", "-q", "--slides"],
        dir.path(),
    );
    assert!(merged.status.success(), "{}", output_text(&merged));
    assert!(dir.path().join("merged/faulty/slides.html").is_file());
}

#[test]
fn every_bundled_scenario_asks_its_question_and_draws_its_lesson() {
    // Both written directly after the description, as plain one-line strings.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30);
    for f in files {
        let text = read(&f);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("description = "))
            .unwrap_or_else(|| panic!("{}: no description", f.display()));
        for (line, key) in [
            (lines[at + 1], "question = \""),
            (lines[at + 2], "lesson = \""),
        ] {
            assert!(
                line.starts_with(key) && line.len() > key.len() + 20,
                "{}: no {key}…\" after the description",
                f.display()
            );
        }
        assert!(
            lines[at + 1].ends_with("?\""),
            "{}: a question ends in a question mark",
            f.display()
        );
        // And the scenario reads: the keys are known, the texts short and plain.
        if let Err(e) = archsim::scenario::parse(&f, &text) {
            panic!("{}: {e}", f.display());
        }
    }
}

/// An overloaded service with a short queue: every seed refuses a different number of
/// requests with 503, and the scenario bounds that count in each seed.
const REFUSING: &str = r#"
[scenario]
name = "refusing"
description = "Two servers, a queue of four, more requests than they serve."
question = "How many requests does a full queue refuse?"
duration = "20s"
seeds = 3
[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 120 }
[[component]]
id = "web"
kind = "service"
servers = 2
queue = 4
service_time = { dist = "exponential", mean = "20ms" }
[[expect]]
metric = "components.web.rejected"
min = 1
each_seed = true
"#;

/// The count of 503s of `web` in each seed, from the run's `summary.json`.
fn rejected_per_seed(dir: &Path) -> Vec<u64> {
    let summary: serde_json::Value =
        serde_json::from_str(&read(&dir.join("out/refusing/summary.json"))).unwrap();
    summary["per_seed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["components"]["web"]["rejected"].as_u64().unwrap())
        .collect()
}

#[test]
fn counts_summed_over_seeds_are_shown_per_seed_with_their_range_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("refusing.toml"), REFUSING).unwrap();
    let out = archsim(
        &["run", "refusing.toml", "--out", "out", "--slides"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let terminal = output_text(&out);
    let seeds = rejected_per_seed(dir.path());
    let (lo, hi) = (*seeds.iter().min().unwrap(), *seeds.iter().max().unwrap());
    assert!(lo < hi && lo > 0, "the seeds should differ: {seeds:?}");
    let mean = seeds.iter().sum::<u64>() as f64 / 3.0;
    let per_seed = if mean < 100.0 {
        format!("{mean:.1} per seed ({lo}–{hi})")
    } else {
        format!("{} per seed ({lo}–{hi})", mean.round())
    };
    // The terminal: the component's 503s and the status line, one seed's worth with the
    // seeds' range, not the three seeds' sum unlabelled.
    let web = terminal
        .lines()
        .find(|l| l.trim_start().starts_with("web"))
        .unwrap();
    assert!(
        web.contains(&format!("503 (queue full) {per_seed}")),
        "{web}"
    );
    let status = terminal.lines().find(|l| l.starts_with("status")).unwrap();
    assert!(status.contains(" per seed ("), "{status}");
    // report.html's component table and status table say the same.
    let page = read(&dir.path().join("out/refusing/report.html"));
    assert!(hi < 1000, "no thousands to group: {seeds:?}");
    assert!(
        page.contains(&format!("<td>{per_seed}</td>")),
        "report.html lacks {per_seed}"
    );
    let statuses = page.split("Requests by final status").nth(1).unwrap();
    let statuses = statuses.split("</table>").next().unwrap();
    assert!(statuses.contains(" per seed ("), "{statuses}");
    // The slides: the count judged by the scenario's expectation, per seed, with its verdict.
    let slides = read(&dir.path().join("out/refusing/slides.html"));
    let numbers = sections(&slides)
        .into_iter()
        .find(|(_, b)| b.contains("The numbers"))
        .unwrap()
        .1;
    let figure = numbers
        .split("class=\"figure\"")
        .find(|f| f.contains("503 (queue full) · web"))
        .unwrap_or_else(|| panic!("no 503 figure: {numbers}"));
    assert!(figure.contains("per seed"), "{figure}");
    assert!(figure.contains(&format!("({lo}–{hi})")), "{figure}");
    assert!(
        figure.contains("class=\"x ok\">✓ expected ≥ 1 in every seed<"),
        "{figure}"
    );

    // One seed: the count alone, as before.
    let one = archsim(
        &["run", "refusing.toml", "--out", "one", "--seeds", "1", "-q"],
        dir.path(),
    );
    assert!(one.status.success(), "{}", output_text(&one));
    let page = read(&dir.path().join("one/refusing/report.html"));
    assert!(
        !page.contains("per seed ("),
        "one seed has no per-seed figure"
    );
}

#[test]
fn a_faulted_experiment_shows_its_variants_over_time_before_cost_against_p99() {
    // Two variants apart in both bill and p99 (a function at two sizes), and a database down
    // for ten seconds: the lesson is the outage, told by each variant's requests by final
    // status with the fault's band; cost against p99 follows, not instead.
    let text = r#"
[scenario]
name = "faulty-fn"
description = "The database goes down for ten seconds under two sizes of function."
duration = "40s"
seeds = 2
[[workload]]
name = "users"
target = "fn"
arrival = { process = "poisson", rate = 50 }
[[component]]
id = "fn"
kind = "lambda"
memory_mb = 1769
runtime = "go"
work = "20ms"
calls = [ { to = "db", timeout = "100ms" } ]
[[component]]
id = "db"
kind = "service"
servers = 8
service_time = "2ms"
[[fault]]
at = "15s"
for = "10s"
kind = "component_down"
target = "db"
[[variant]]
name = "small"
set = { "fn.memory_mb" = 256 }
"#;
    let dir = run_in(
        &[("faulty.toml", text)],
        &["run", "faulty.toml", "--out", "out", "-q", "--slides"],
    );
    let page = read(&dir.path().join("out/faulty-fn/slides.html"));
    let s = sections(&page);
    let headings: Vec<String> = s
        .iter()
        .map(|(_, body)| body.split("</h2>").next().unwrap_or("").to_string())
        .collect();
    let at = |words: &str| {
        headings
            .iter()
            .position(|h| h.contains(words))
            .unwrap_or_else(|| panic!("no slide of {words}: {headings:?}"))
    };
    let over_time = at("The variants: requests by final status");
    let cost = at("Cost against p99 latency");
    assert!(over_time < cost, "{headings:?}");
    assert!(s[over_time].1.contains("<figcaption>small</figcaption>"));
}
