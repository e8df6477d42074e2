//! Scenario files and results folders are untrusted: each reproducer of a way one could leak
//! a file, write outside `--out`, inject markup or terminal codes, panic, hang or exhaust the
//! machine, as a test. Most go through the real binary, as a user (or an attacker) would.

use crate::Edit;
use archsim::scenario::{self, FileAccess};
use archsim::sweep;
use std::path::{Path, PathBuf};
use std::process::Command;

const BASE: &str = r#"[scenario]
duration = "10s"
[[workload]]
name = "u"
target = "s"
arrival = { process = "constant", rate = 10 }
[[component]]
id = "s"
kind = "service"
service_time = "1ms"
"#;

/// BASE with its arrival process replaced.
fn with_arrival(arrival: &str) -> String {
    BASE.edit(
        "arrival = { process = \"constant\", rate = 10 }",
        &format!("arrival = {arrival}"),
    )
}

use crate::{archsim, located_warnings, output_text};

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// Every file (not folder) under `dir`, recursively, relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn parse_err(text: &str) -> String {
    match scenario::parse(Path::new("x.toml"), text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_trace_path_never_leaks_another_file() {
    let home = tempdir();
    let scen = home.path().join("scen");
    std::fs::create_dir(&scen).unwrap();
    // A secret beside the scenario's folder, and one inside it that is not a trace.
    write(home.path(), "secret.csv", "time_s\n1\n");
    write(&scen, "notes.csv", "password=hunter2\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink(home.path().join("secret.csv"), scen.join("link.csv")).unwrap();
    for (file, why) in [
        ("/proc/self/environ", "outside the scenario's folder"),
        ("/etc/hostname", "outside the scenario's folder"),
        ("../../../etc/hostname", "outside the scenario's folder"),
        ("../secret.csv", "outside the scenario's folder"),
        ("link.csv", "leads outside the scenario's folder"),
        ("notes.csv", "must be the header `time_s`"),
    ] {
        let p = write(
            &scen,
            "t.toml",
            &with_arrival(&format!("{{ process = \"trace\", file = \"{file}\" }}")),
        );
        for cmd in ["validate", "graph", "run", "check"] {
            let mut args = vec![cmd, "scen/t.toml"];
            if cmd == "run" || cmd == "check" {
                args.extend(["--out", "o"]);
            }
            let o = archsim(&args, home.path());
            let shown = output_text(&o);
            assert_eq!(o.status.code(), Some(2), "{cmd} {file}: {shown}");
            assert!(shown.contains(why), "{cmd} {file}: {shown}");
            for leak in ["hunter2", "PATH=", "HOME="] {
                assert!(!shown.contains(leak), "{cmd} {file} leaks {leak}: {shown}");
            }
        }
        let _ = std::fs::remove_file(p);
    }
    assert!(!home.path().join("o").exists(), "nothing was run");
}

#[test]
fn allow_read_lets_a_scenario_read_another_folder() {
    let home = tempdir();
    let traces = home.path().join("traces");
    std::fs::create_dir(&traces).unwrap();
    write(&traces, "t.csv", "time_s\n1\n2\n3\n");
    let scen = home.path().join("scen");
    std::fs::create_dir(&scen).unwrap();
    write(
        &scen,
        "s.toml",
        &with_arrival("{ process = \"trace\", file = \"../traces/t.csv\" }"),
    );
    let refused = archsim(&["validate", "scen/s.toml"], home.path());
    assert_eq!(refused.status.code(), Some(2), "{}", output_text(&refused));
    let allowed = archsim(
        &["validate", "scen/s.toml", "--allow-read", "traces"],
        home.path(),
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", output_text(&allowed));
    // In the library: the same policy.
    let mut access = FileAccess::default();
    access.allow(&traces).unwrap();
    let t = traces.join("t.csv").display().to_string();
    assert!(access.resolve(&scen, &t).is_ok());
    assert!(FileAccess::default().resolve(&scen, &t).is_err());
}

/// A trace is read once per command: every point of a sweep, and every scenario naming the
/// same file, holds the one copy of its rows (a copy per point of a 1,000-point sweep over
/// a large trace took gigabytes), and a problem in it is told to each as before.
#[test]
fn a_trace_is_read_once_for_every_point_of_a_sweep_and_every_scenario() {
    let home = tempdir();
    write(home.path(), "t.csv", "time_s\n1\n2\n3\n");
    write(home.path(), "r.csv", "time_s,rate\n0,10\n5,20\n");
    let swept = |file: &str| {
        format!(
            "{}[sweep]\n\"s.servers\" = [1, 2, 3]\n",
            with_arrival(&format!("{{ process = \"trace\", file = \"{file}\" }}"))
        )
    };
    let a = write(home.path(), "a.toml", &swept("t.csv"));
    let b = write(
        home.path(),
        "b.toml",
        &swept("t.csv").replace("[scenario]", "[scenario]\nname = \"b\""),
    );
    let c = write(home.path(), "c.toml", &swept("r.csv"));
    let loaded = sweep::load_all(&[a, b, c], &FileAccess::default(), &[]).unwrap();
    assert_eq!(
        loaded.len(),
        12,
        "three scenarios of a baseline and three points"
    );
    let instants = |sc: &scenario::Scenario| match &sc.workloads[0].arrival {
        archsim::workload::Arrival::Trace { times } => times.clone(),
        other => panic!("{other:?}"),
    };
    let first = instants(&loaded[0]);
    assert_eq!(first.len(), 3);
    for sc in &loaded[..8] {
        assert!(std::sync::Arc::ptr_eq(&instants(sc), &first), "{}", sc.name);
    }
    let steps = |sc: &scenario::Scenario| match &sc.workloads[0].arrival {
        archsim::workload::Arrival::Varying(archsim::workload::RateProfile::Steps(s)) => s.clone(),
        other => panic!("{other:?}"),
    };
    let rates = steps(&loaded[8]);
    assert_eq!(rates.len(), 2);
    for sc in &loaded[8..] {
        assert!(std::sync::Arc::ptr_eq(&steps(sc), &rates), "{}", sc.name);
    }
    // A broken trace is told at its line to each scenario naming it, the second from what
    // the first read.
    write(home.path(), "t.csv", "time_s\n1\nlate\n");
    let (a, b) = (home.path().join("a.toml"), home.path().join("b.toml"));
    let e = match sweep::load_all(&[a, b], &FileAccess::default(), &[]) {
        Err(e) => e
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        Ok(_) => panic!("a broken trace was read"),
    };
    assert_eq!(e.matches("t.csv:3:1: the first field").count(), 2, "{e}");
}

#[test]
fn a_trace_that_is_not_a_regular_file_is_refused_without_blocking() {
    let home = tempdir();
    let mut access = FileAccess::default();
    access.allow(Path::new("/dev")).unwrap();
    for file in ["/dev/zero", "/dev/stdin", "/dev/null"] {
        let text = with_arrival(&format!("{{ process = \"trace\", file = \"{file}\" }}"));
        let e = scenario::parse_with_access(&home.path().join("x.toml"), &text, &access)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not a regular file") || e.contains("outside"),
            "{file}: {e}"
        );
    }
    // A FIFO in the scenario's own folder: opening it to read would block until a writer
    // came; it is refused by what it is.
    let made = Command::new("mkfifo")
        .arg(home.path().join("fifo.csv"))
        .status();
    if made.is_ok_and(|s| s.success()) {
        let text = with_arrival("{ process = \"trace\", file = \"fifo.csv\" }");
        let e = scenario::parse(&home.path().join("x.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}

#[test]
fn a_name_from_the_file_name_cannot_lead_out_of_the_results_folder() {
    let home = tempdir();
    let s = home.path().join("s");
    std::fs::create_dir(&s).unwrap();
    for file in ["...toml", "..toml"] {
        let p = write(&s, file, BASE);
        let o = archsim(&["run", "s/", "--out", "o/inner"], home.path());
        let shown = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {shown}");
        assert!(
            shown.contains("set `name` in [scenario]"),
            "{file}: {shown}"
        );
        std::fs::remove_file(p).unwrap();
    }
    // Nothing was written anywhere: not beside `o/inner`, not in it.
    assert!(
        files_under(home.path()).is_empty(),
        "{:?}",
        files_under(home.path())
    );
    assert!(!home.path().join("o").exists());
}

#[test]
fn index_links_are_relative_paths_that_carry_no_scheme() {
    // A file name that would make a script link is refused as a name…
    let home = tempdir();
    write(home.path(), "javascript:alert(document.domain).toml", BASE);
    let o = archsim(
        &[
            "run",
            "javascript:alert(document.domain).toml",
            "--out",
            "o",
        ],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    // …and a folder named so (a results folder from elsewhere) is linked as a relative path.
    let s = serde_json::json!({"scenario": "x"});
    use archsim::report::html::{index, IndexRow};
    let rows = [
        IndexRow {
            folder: "javascript:alert(1)",
            variant: None,
            summary: &s,
            slides: true,
        },
        IndexRow {
            folder: "e",
            variant: Some("javascript:alert(2)"),
            summary: &s,
            slides: true,
        },
    ];
    let page = index(&rows, &[("javascript:alert(1)", &s)], &[], &[]);
    assert!(!page.contains("href=\"javascript"), "{page}");
    assert!(page.contains("href=\"./javascript%3Aalert%281%29/report.html\""));
    assert!(page.contains("href=\"./javascript%3Aalert%281%29/slides.html\""));
    assert!(
        page.contains("href=\"./e/javascript%3Aalert%282%29/report.html\""),
        "{page}"
    );
    for href in page.split("href=\"").skip(1) {
        assert!(href.starts_with("./"), "{href}");
    }
}

#[test]
fn malformed_values_are_refused_not_panicked_on() {
    let cases = [
        // A distribution parameter given as a list (an index panic once).
        (
            BASE.edit(
                "service_time = \"1ms\"",
                "service_time = { dist = \"exponential\", mean = [] }",
            ),
            "takes a single value, not a list",
        ),
        // Weights summing to infinity (rand panicked once).
        (
            BASE.edit(
                "[[component]]",
                "mix = [ { op = \"read\", weight = 1e308 }, { op = \"write\", weight = 1e308 } ]\n[[component]]",
            ),
            "`mix.weight` is at most 1000000000000",
        ),
        // Time that would overflow (time ran backwards once).
        (
            BASE.edit("duration = \"10s\"", "duration = \"5124095h\"\nwindow = \"1000000h\""),
            "longer than a year",
        ),
        (
            BASE.edit("duration = \"10s\"", "duration = \"100000000h\""),
            "longer than a year",
        ),
        // A whole cache allocated up front (36 GB once).
        (
            BASE.edit(
                "service_time = \"1ms\"",
                "service_time = \"1ms\"\n[[component]]\nid = \"t\"\nkind = \"dynamodb\"\nmode = \"on_demand\"\ndax = { capacity = 1000000000 }",
            ),
            "`dax.capacity` must be a whole number from 1 to 5000000",
        ),
        // An empirical distribution whose values are not a list.
        (
            BASE.edit(
                "service_time = \"1ms\"",
                "service_time = { dist = \"empirical\", values = \"1ms\" }",
            ),
            "must be a list of the values to draw from",
        ),
        // A shape is a number, not a duration.
        (
            BASE.edit(
                "service_time = \"1ms\"",
                "service_time = { dist = \"gamma\", shape = \"3s\", scale = \"1ms\" }",
            ),
            "`service_time.shape` must be a number",
        ),
        // Names that cannot name a folder beside index.html, or are too long.
        (
            BASE.edit("[scenario]", "[scenario]\nname = \"index.html\""),
            "must not end in \".html\"",
        ),
        (
            BASE.edit(
                "[scenario]",
                &format!("[scenario]\nname = \"{}\"", "n".repeat(300)),
            ),
            "longer than 64 characters",
        ),
    ];
    for (text, want) in cases {
        let e = parse_err(&text);
        assert!(e.contains(want), "want {want:?}, got:\n{e}");
    }
    // A gamma shape written as a number is what is meant.
    scenario::parse(
        Path::new("x.toml"),
        &BASE.edit(
            "service_time = \"1ms\"",
            "service_time = { dist = \"gamma\", shape = 1.5, scale = \"1ms\" }",
        ),
    )
    .unwrap();
}

#[test]
fn a_cache_allocates_as_it_fills() {
    // Five million entries of capacity, in each of DAX's two caches, cost nothing until keys
    // arrive: this runs in the time and memory of its few keys.
    let text = BASE.edit(
        "service_time = \"1ms\"",
        "service_time = \"1ms\"\ncalls = [ { to = \"t\" } ]\n[[component]]\nid = \"t\"\nkind = \"dynamodb\"\nmode = \"on_demand\"\ndax = { capacity = 5000000 }",
    );
    let s = crate::run(&text);
    // Arrivals at k / 10 s for k = 1 … 99 (the hundredth falls at the end).
    assert_eq!(crate::num(&s, "requests.total"), 99.0);
}

#[test]
fn windows_components_and_files_have_stated_limits() {
    let too_many_windows = BASE.edit("duration = \"10s\"", "duration = \"1ms\"\nwindow = \"1ns\"");
    assert!(parse_err(&too_many_windows).contains("more than 100000 windows"));
    // 201 components: refused by count, located at the first one too many.
    let mut many = BASE.to_string();
    for i in 0..200 {
        many.push_str(&format!(
            "[[component]]\nid = \"c{i}\"\nkind = \"service\"\nservice_time = \"1ms\"\n"
        ));
    }
    let e = parse_err(&many);
    assert!(e.contains("at most 200"), "{e}");
    assert!(e.contains("x.toml:807:1:"), "located at the 201st: {e}");
    // 200 components fit, and validation stays linear (ids are looked up, not scanned).
    let mut fine = BASE.edit("target = \"s\"", "target = \"c0\"");
    fine = fine.edit(
        "[[component]]\nid = \"s\"\nkind = \"service\"\nservice_time = \"1ms\"\n",
        "",
    );
    for i in 0..200 {
        let call = if i + 1 < 200 {
            format!(
                "calls = [ {{ to = \"c{}\", probability = 0.01 }} ]\n",
                i + 1
            )
        } else {
            String::new()
        };
        fine.push_str(&format!(
            "[[component]]\nid = \"c{i}\"\nkind = \"service\"\nservice_time = \"1ms\"\n{call}"
        ));
    }
    scenario::parse(Path::new("x.toml"), &fine).unwrap();
    // Windows × components: a seed's series are bounded too.
    let wide = fine.edit("duration = \"10s\"", "duration = \"6h\"");
    assert!(parse_err(&wide).contains("more than the 1000000 a run may keep"));
    // A scenario file larger than the limit is not read.
    let home = tempdir();
    let big = write(
        home.path(),
        "big.toml",
        &format!("{BASE}\n# {}\n", "x".repeat(2 << 20)),
    );
    let e = scenario::load(&big, &FileAccess::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than 1 MiB"), "{e}");
}

/// A load balancer's health checks are counted in the work estimate: a thousand instances
/// probed every 6 s for a year of next to no requests were estimated at a few hundred
/// thousand events, passed, and ran minutes into the budget before stopping with nothing
/// written; they are refused before running now. An hour of it is estimated at its probes,
/// a round per interval of every instance behind the load balancer (the run takes about
/// two events a probe, the estimate counts a call's four).
#[test]
fn health_checks_count_in_the_work_estimate() {
    let text = |duration: &str| {
        format!(
            r#"[scenario]
duration = "{duration}"
window = "1h"
[[workload]]
name = "u"
target = "alb"
arrival = {{ process = "poisson", rate = 0.001 }}
[[component]]
id = "alb"
kind = "load_balancer"
targets = "api"
health_check = {{ interval = "6s", path = "shallow" }}
[[component]]
id = "api"
kind = "ec2_autoscaling"
instance_type = "c6i.large"
zones = ["a", "b"]
min = 1000
max = 1000
work = "1ms"
"#
        )
    };
    let hour = crate::scenario(&text("1h"));
    let estimate = hour.estimated_events();
    // 600 rounds of 1,000 probes, 4 events each; a few requests beside.
    assert!((estimate - 2_400_000.0).abs() < 100.0, "{estimate}");
    let home = tempdir();
    write(home.path(), "year.toml", &text("8760h"));
    let o = archsim(&["validate", "year.toml"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("would take about 21.0 billion events"),
        "{}",
        output_text(&o)
    );
}

#[test]
fn work_beyond_the_budget_is_refused_before_running() {
    let heavy = crate::scenario(
        &BASE
            .edit("rate = 10", "rate = 1000000")
            .edit("duration = \"10s\"", "duration = \"1h\""),
    );
    let e = sweep::check_budget(
        std::slice::from_ref(&heavy),
        archsim::limits::DEFAULT_MAX_EVENTS,
        1,
    )
    .unwrap_err()
    .join("\n");
    // 1,000,000/s × 3,600 s = 3.6 billion requests, one call each, about 4 events a call.
    assert!(e.contains("about 14.4 billion events"), "{e}");
    assert!(e.contains("--max-events"), "{e}");
    let light = crate::scenario(BASE);
    sweep::check_budget(std::slice::from_ref(&light), 1_000, 1).unwrap();
    // Through the binary: refused with status 2, nothing written.
    let home = tempdir();
    write(
        home.path(),
        "heavy.toml",
        &BASE
            .edit("duration = \"10s\"", "duration = \"1h\"")
            .edit("rate = 10", "rate = 1000000"),
    );
    let o = archsim(&["run", "heavy.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(!home.path().join("o").exists());

    // Each within the budget, together beyond ten of them: a sweep of 1,000 points of 0.4
    // billion events each (100,000/s for an hour: 360 million requests, 4 events each, 1.44
    // billion per point) is 1.4 trillion. Shards take their share.
    let sweep = BASE
        .edit("rate = 10", "rate = 100000")
        .edit("duration = \"10s\"", "duration = \"1h\"")
        + "[sweep]\n\"s.servers\" = { from = 1, to = 1000, steps = 1000 }\n";
    let all =
        scenario::parse_all(Path::new("x.toml"), &sweep, &FileAccess::default(), &[]).unwrap();
    assert_eq!(all.len(), 1001);
    let e = sweep::check_budget(&all, archsim::limits::DEFAULT_MAX_EVENTS, 1)
        .unwrap_err()
        .join("\n");
    assert!(e.contains("these scenarios would take about 1441.4 billion events together (the largest: x/baseline 1.4 billion, x/servers-1 1.4 billion"), "{e}");
    assert!(
        e.contains("one command takes at most 10 × --max-events = 20.0 billion"),
        "{e}"
    );
    let e = sweep::check_budget(&all, archsim::limits::DEFAULT_MAX_EVENTS, 10)
        .unwrap_err()
        .join("\n");
    assert!(
        e.contains("144.1 billion events together, a shard of 10"),
        "{e}"
    );
    sweep::check_budget(&all, archsim::limits::DEFAULT_MAX_EVENTS, 100).unwrap();
    // Runs are counted over every scenario and seed: each kept until its summary is written.
    let many = BASE.edit("[scenario]", "[scenario]\nseeds = 100")
        + "[sweep]\n\"s.servers\" = { from = 1, to = 300, steps = 300 }\n";
    let all = scenario::parse_all(Path::new("x.toml"), &many, &FileAccess::default(), &[]).unwrap();
    let e = sweep::check_budget(&all, archsim::limits::DEFAULT_MAX_EVENTS, 1)
        .unwrap_err()
        .join("\n");
    assert!(e.contains("these scenarios make 30100 runs"), "{e}");
}

#[test]
fn a_failing_seed_stops_its_scenario_and_is_reported_once() {
    // A budget of 100 events per seed (a seed takes about 400): every seed would fail; the
    // first failure stops the rest.
    let mut sc = crate::scenario(BASE);
    sc.seeds = 8;
    let options = sweep::RunOptions {
        threads: Some(2),
        max_events: 800,
        covered: None,
    };
    let failures = match sweep::run_all(std::slice::from_ref(&sc), &options, &|_| {}) {
        Ok(_) => panic!("the budget should stop the runs"),
        Err(f) => f,
    };
    assert_eq!(failures.len(), 1, "one failure per scenario");
    assert!(
        failures[0].1.to_string().contains("budget"),
        "{}",
        failures[0].1
    );
}

#[test]
fn many_seeds_keep_the_series_of_a_few_and_pool_them_all() {
    let mut sc = crate::scenario(BASE);
    sc.seeds = 40;
    let outcomes = sweep::run_all(std::slice::from_ref(&sc), &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    assert_eq!(outcomes[0].runs.len(), archsim::limits::MAX_SERIES_SEEDS);
    assert_eq!(outcomes[0].summary["seeds"].as_array().unwrap().len(), 40);
    // 99 requests a seed (at k / 10 s before 10 s), 40 seeds.
    assert_eq!(crate::num(&outcomes[0].summary, "requests.total"), 3960.0);
}

#[test]
fn arrivals_that_all_fall_after_the_end_are_refused() {
    for (arrival, want) in [
        (
            "{ process = \"step\", steps = [[\"0s\", 0], [\"20s\", 100]] }",
            "this step starts at 20s, not before the end of the run (10s): it would never come",
        ),
        (
            "{ process = \"constant\", rate = 0.000001 }",
            "would arrive before the end",
        ),
        (
            "{ process = \"spike\", base = 0, peak = 100, at = \"30s\", for = \"5s\" }",
            "the spike would never come",
        ),
    ] {
        let e = parse_err(&with_arrival(arrival));
        assert!(e.contains(want), "{arrival}: {e}");
    }
    let home = tempdir();
    write(home.path(), "late.csv", "time_s\n20\n30\n");
    let e = scenario::parse(
        &home.path().join("x.toml"),
        &with_arrival("{ process = \"trace\", file = \"late.csv\" }"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("would arrive before the end"), "{e}");
    // All in the warmup: nothing would be measured.
    let e = parse_err(
        &with_arrival("{ process = \"step\", steps = [[\"0s\", 100], [\"2s\", 0]] }")
            .edit("duration = \"10s\"", "duration = \"10s\"\nwarmup = \"5s\""),
    );
    assert!(e.contains("during the warmup"), "{e}");
}

#[test]
fn a_spike_whose_peak_is_not_above_its_base_is_warned_of_at_the_peak() {
    let said = located_warnings(&with_arrival(
        "{ process = \"spike\", base = 500, peak = 100, at = \"2s\", for = \"3s\" }",
    ));
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("`arrival.peak` (100/s) is not above `base` (500/s): this spike is a dip"),
        "{said:?}"
    );
    let line =
        with_arrival("{ process = \"spike\", base = 500, peak = 100, at = \"2s\", for = \"3s\" }")
            .lines()
            .position(|l| l.contains("peak = 100"))
            .unwrap()
            + 1;
    assert!(said[0].starts_with(&format!("{line}:")), "{said:?}");
    assert!(located_warnings(&with_arrival(
        "{ process = \"spike\", base = 100, peak = 500, at = \"2s\", for = \"3s\" }"
    ))
    .is_empty());
}

#[test]
fn every_problem_of_a_file_is_reported_in_one_pass_with_suggestions() {
    let text = r#"[scenario]
duration = "10s"
[[workload]]
name = "u"
target = "fn"
arrival = { process = "constant", rate = 10 }
[[component]]
id = "fn"
kind = "lambda"
memroy_mb = 512
work = "5ms"
calls = [ { to = "tabel" } ]
[[component]]
id = "table"
kind = "dynamodb"
mode = "on_demand"
[[fault]]
at = "5s"
kind = "az_outage"
az = "q"
"#;
    let e = parse_err(text);
    for want in [
        "10:1: unknown key `memroy_mb` (did you mean `memory_mb`?)",
        "12:18: `calls.to` names \"tabel\", which is not a component id (did you mean `table`?)",
    ] {
        assert!(e.contains(want), "want {want:?} in:\n{e}");
    }
    // An unknown workload target hides no fault mistake.
    let text = format!(
        "{}[[fault]]\nat = \"5s\"\nkind = \"az_outage\"\naz = \"q\"\n",
        BASE.edit("target = \"s\"", "target = \"nope\"").edit(
            "service_time = \"1ms\"",
            "service_time = \"1ms\"\naz = \"a\""
        )
    );
    let e = parse_err(&text);
    assert!(e.contains("names \"nope\""), "{e}");
    assert!(e.contains("no component is placed in zone \"q\""), "{e}");
}

#[test]
fn zones_that_look_alike_are_warned_of() {
    let text = BASE.edit("service_time = \"1ms\"", "service_time = \"1ms\"\naz = \"zone-a\"\ncalls = [ { to = \"t\" } ]\n[[component]]\nid = \"t\"\nkind = \"service\"\nservice_time = \"1ms\"\naz = \"zona-a\"");
    let sc = scenario::parse(Path::new("x.toml"), &text).unwrap();
    assert_eq!(sc.warnings.len(), 1, "{:?}", sc.warnings);
    assert!(sc.warnings[0].message.contains("look alike"));
    // Zones "a" and "b" are how zones are named.
    let two = text.edit("zone-a", "a").edit("zona-a", "b");
    assert!(scenario::parse(Path::new("x.toml"), &two)
        .unwrap()
        .warnings
        .is_empty());
    // One zone named two ways, short and with its region ("a" and "us-east-1a"; the zone
    // ID's "az1" and "use1-az1"): an outage of one would not reach the other.
    for (x, y) in [("a", "us-east-1a"), ("az1", "use1-az1")] {
        let named = text.edit("zone-a", x).edit("zona-a", y);
        let w = scenario::parse(Path::new("x.toml"), &named)
            .unwrap()
            .warnings;
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].message.contains(&format!(
                "zones \"{x}\" and \"{y}\" look like one zone named two ways"
            )),
            "{}",
            w[0].message
        );
    }
    // "us-east-1a" and "us-east-1b", "a" and "1b": zones of their own.
    for (x, y) in [("us-east-1a", "us-east-1b"), ("a", "1b")] {
        let named = text.edit("zone-a", x).edit("zona-a", y);
        let w = scenario::parse(Path::new("x.toml"), &named)
            .unwrap()
            .warnings;
        assert!(w.is_empty(), "{x} {y}: {w:?}");
    }
}

#[test]
fn an_operation_that_looks_like_a_components_is_warned_of() {
    // A workload sends "wrtie" to a table whose writes are the default list: no component
    // names it, so the table takes it as a read. A typo, most likely: warned of, at its
    // place. A call's `op` is judged the same way.
    let table = "[[component]]\nid = \"t\"\nkind = \"dynamodb\"\nmode = \"on_demand\"";
    let text = format!(
        "[scenario]\nduration = \"10s\"\n[[workload]]\nname = \"u\"\ntarget = \"s\"\n\
         arrival = {{ process = \"poisson\", rate = 10 }}\n\
         mix = [ {{ op = \"read\", weight = 8 }}, {{ op = \"wrtie\", weight = 2 }} ]\n\
         [[component]]\nid = \"s\"\nkind = \"service\"\nservice_time = \"1ms\"\n\
         calls = [ {{ to = \"t\" }}, {{ to = \"t\", op = \"updte\" }} ]\n{table}\n"
    );
    let said = located_warnings(&text);
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said[0].starts_with(
            "7:45 operation \"wrtie\" is named by no component (did you mean `write`?)"
        ),
        "{said:?}"
    );
    assert!(
        said[1].contains("\"updte\"") && said[1].contains("`update`"),
        "{said:?}"
    );
    // Each says what the component that lists the near name does with another: the table
    // takes it as a read; an SNS subscription that lists `orders` lets `order` through to
    // no one.
    assert!(
        said[0].ends_with("`write` is listed by a component's writes, and it takes any operation it does not list as a read"),
        "{said:?}"
    );
    let topic = "[[component]]\nid = \"t\"\nkind = \"sns\"\n\
                 subscriptions = [ { to = \"q\", ops = [\"orders\"] } ]\n\
                 [[component]]\nid = \"q\"\nkind = \"sqs\"";
    let sns = text
        .edit(table, topic)
        .edit("\"wrtie\"", "\"order\"")
        .edit(", op = \"updte\"", "");
    let sc = scenario::parse(Path::new("x.toml"), &sns).unwrap();
    let said: Vec<&str> = sc.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        said,
        ["operation \"order\" is named by no component (did you mean `orders`?): `orders` is listed by an SNS subscription's `ops`, which lets no other operation through"]
    );
    // An operation of the scenario's own that no name is near, and one a component names
    // (the table's `writes` listing it), are not.
    // Nor is one named after a route, whose neighbour is another route ("get /orders").
    let own = text
        .edit("\"wrtie\"", "\"checkout\"")
        .edit(
            "{ op = \"read\", weight = 8 }",
            "{ op = \"read\", weight = 8 }, { op = \"get /orders/{id}\", weight = 1 }",
        )
        .edit("op = \"updte\"", "op = \"archive\"")
        .edit(
            "mode = \"on_demand\"",
            "mode = \"on_demand\"\nwrites = [\"archive\", \"get /orders\"]",
        );
    let sc = scenario::parse(Path::new("x.toml"), &own).unwrap();
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
}

#[test]
fn a_component_no_request_reaches_is_warned_of() {
    // A queue with its consumer left off: the function is reached by nothing.
    let text = "[scenario]\nduration = \"10s\"\n[[workload]]\nname = \"u\"\ntarget = \"q\"\n\
                arrival = { process = \"poisson\", rate = 10 }\n\
                [[component]]\nid = \"q\"\nkind = \"sqs\"\n\
                [[component]]\nid = \"worker\"\nkind = \"lambda\"\nwork = \"10ms\"\n";
    let said = located_warnings(text);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("11:6 no request reaches \"worker\""),
        "{said:?}"
    );
    // With its consumer, nothing is said.
    let wired = text.edit(
        "kind = \"sqs\"",
        "kind = \"sqs\"\nconsumer = { to = \"worker\" }",
    );
    let sc = scenario::parse(Path::new("x.toml"), &wired).unwrap();
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
    // A chain nothing reaches is one warning, at its first: a queue and its consumer.
    let chain = format!(
        "{}[[component]]\nid = \"s\"\nkind = \"service\"\nservice_time = \"1ms\"\n",
        wired.edit("target = \"q\"", "target = \"s\"")
    );
    let said = located_warnings(&chain);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0]
            .starts_with("8:6 no request reaches \"q\", nor what only it leads to (\"worker\"): "),
        "{said:?}"
    );
    // Nor when a variant sends the requests there: the scenario is about the difference.
    let variant =
        format!("{text}[[variant]]\nname = \"direct\"\nset = {{ \"u.target\" = \"worker\" }}\n");
    let sc = scenario::parse(Path::new("x.toml"), &variant).unwrap();
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
}

#[test]
fn messages_are_located() {
    // A provisioned table without capacity, and two scenarios of one name: each at its line.
    let e = parse_err(&BASE.edit(
        "service_time = \"1ms\"",
        "service_time = \"1ms\"\n[[component]]\nid = \"t\"\nkind = \"dynamodb\"\nmode = \"provisioned\"",
    ));
    assert!(
        e.contains("x.toml:14:8: a provisioned table needs `rcu` and `wcu`"),
        "{e}"
    );
    let home = tempdir();
    let named = BASE.edit("[scenario]", "[scenario]\nname = \"same\"");
    write(home.path(), "a.toml", &named);
    write(home.path(), "b.toml", &named);
    let files = sweep::scenario_files(&[home.path().to_path_buf()]).unwrap();
    let errs = sweep::load_all(&files, &FileAccess::default(), &[]).unwrap_err();
    let d = &errs[0].diagnostics[0];
    assert_eq!((d.line, d.column), (2, 8), "{d}");
}

#[test]
fn terminal_codes_in_a_scenario_are_refused_and_printed_escaped() {
    // Text reaches terminals, pages, charts, CSV and JSON files: a control character or a
    // bidirectional override anywhere in a scenario (a description, an operation's name, a
    // variant's description, a key, a --set value) is refused where it is written, and the
    // message shows it escaped.
    let home = tempdir();
    let text = BASE
        .edit(
            "[scenario]",
            "[scenario]\ndescription = \"\\u001b[2J\\u001b[31mFAKE CI LINE\\r\"",
        )
        .edit(
            "arrival = ",
            "mix = [ { op = \"rea\\u202ed\", weight = 1 } ]\narrival = ",
        )
        + "[[variant]]\nname = \"v\"\ndescription = \"ok\\u0007\"\nset = { \"s.service_time\" = \"2ms\" }\n";
    write(home.path(), "t.toml", &text);
    let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    let shown = output_text(&o);
    assert!(
        !shown.contains(['\u{1b}', '\u{202e}', '\u{7}']),
        "{shown:?}"
    );
    for expected in [
        "t.toml:2:15: `description` must be printable text: it holds a control character (\\u{1b}, character 1)",
        "`op` must be printable text: it holds a bidirectional override (\\u{202e}, character 4)",
        "`description` must be printable text: it holds a control character (\\u{7}, character 3)",
    ] {
        assert!(shown.contains(expected), "{expected}\n{shown}");
    }
    assert!(!home.path().join("o").exists());
    // A --set value is held to the same rule; tabs and line breaks pass.
    write(
        home.path(),
        "ok.toml",
        &BASE.edit(
            "[scenario]",
            "[scenario]\ndescription = \"two\\nlines\\tand a tab\"",
        ),
    );
    let o = archsim(
        &[
            "run",
            "ok.toml",
            "--set",
            "s.service_time=\"2ms\\u001b\"",
            "--out",
            "o",
        ],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("`service_time` must be printable text"),
        "{}",
        output_text(&o)
    );
    let o = archsim(&["run", "ok.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    // A file saved with Windows line endings keeps them inside a multi-line string: a
    // line break, not a control character.
    let crlf = BASE
        .edit(
            "[scenario]",
            "[scenario]\ndescription = \"\"\"two\nlines\"\"\"",
        )
        .replace('\n', "\r\n");
    write(home.path(), "crlf.toml", &crlf);
    let o = archsim(&["validate", "crlf.toml"], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    // An unknown key with an escape in its name, in a diagnostic.
    let bad = BASE.edit("[scenario]", "[scenario]\n\"\\u001b[2Jx\" = 1");
    write(home.path(), "bad.toml", &bad);
    let o = archsim(&["validate", "bad.toml"], home.path());
    assert!(!output_text(&o).contains('\u{1b}'), "{:?}", output_text(&o));
    assert!(
        output_text(&o).contains("the key \"\\u{1b}[2Jx\" must be printable text"),
        "{}",
        output_text(&o)
    );
}

#[test]
fn results_are_written_whole_under_a_lock_and_never_through_a_link() {
    let home = tempdir();
    write(
        home.path(),
        "t.toml",
        &BASE.edit("[scenario]", "[scenario]\nname = \"t\""),
    );
    let out = home.path().join("o");
    let victim = home.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::create_dir(&out).unwrap();
    // Planted links: the scenario's folder and the index.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&victim, out.join("t")).unwrap();
        std::os::unix::fs::symlink(victim.join("index.html"), out.join("index.html")).unwrap();
    }
    // Refused before anything runs.
    let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("not a folder"),
        "{}",
        output_text(&o)
    );
    assert!(files_under(&victim).is_empty(), "written through a link");
    std::fs::remove_file(out.join("t")).unwrap();
    let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(files_under(&victim).is_empty(), "written through a link");
    assert!(
        !out.join("index.html").is_symlink(),
        "the link was replaced"
    );
    // A second run while the folder is locked is refused at once.
    let held = sweep::OutDir::open(&out).unwrap();
    let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(output_text(&o).contains("another archsim is writing into"));
    drop(held);
    // What a killed run leaves is cleaned: a folder being written is removed; a previous
    // folder caught between its two renames is put back.
    std::fs::create_dir(out.join(".archsim-partial-x1")).unwrap();
    std::fs::rename(out.join("t"), out.join(".archsim-old-t~x2")).unwrap();
    let reopened = sweep::OutDir::open(&out).unwrap();
    assert!(!out.join(".archsim-partial-x1").exists());
    assert!(out.join("t/summary.json").is_file(), "restored");
    drop(reopened);
    // No temporary file is left behind.
    assert!(
        files_under(&out).iter().all(|f| !f.contains("tmp")),
        "{:?}",
        files_under(&out)
    );
    // `--out` naming a file is refused before anything runs.
    write(home.path(), "afile", "");
    let o = archsim(&["run", "t.toml", "--out", "afile"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(output_text(&o).contains("is a file"), "{}", output_text(&o));
}

#[test]
fn plot_checks_a_results_folder_like_any_input() {
    let home = tempdir();
    write(
        home.path(),
        "t.toml",
        &BASE.edit("[scenario]", "[scenario]\nname = \"t\""),
    );
    let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let dir = home.path().join("o/t");
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let csv = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    let cases = [
        (
            summary.edit("\"window_s\": 1.0", "\"window_s\": 0.0"),
            csv.clone(),
            "`window_s` must be a positive number",
        ),
        (
            summary.clone(),
            format!("{csv}1000000000000,1,s,x,1\n"),
            "not within 100000 windows",
        ),
        (
            summary.clone(),
            format!("{csv}1,1,s,x,1,2\n"),
            "not a row archsim writes",
        ),
        (
            summary.clone(),
            format!("{csv}1,1,s,x\n"),
            "not a row archsim writes",
        ),
        (
            summary.clone(),
            format!("{csv}1,1,<script>,x,1\n"),
            "characters archsim never writes",
        ),
    ];
    for (s, c, want) in cases {
        std::fs::write(dir.join("summary.json"), &s).unwrap();
        std::fs::write(dir.join("timeseries.csv"), &c).unwrap();
        let o = archsim(&["plot", "o"], home.path());
        assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
        assert!(
            output_text(&o).contains(want),
            "want {want:?}: {}",
            output_text(&o)
        );
    }
}

#[test]
fn the_readme_states_every_limit() {
    use archsim::limits::*;
    let readme = include_str!("../../README.md");
    let table = readme
        .split("## Limits")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Limits section");
    let grouped = |n: u64| -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    for want in [
        format!("| {} MiB |", MAX_SCENARIO_BYTES >> 20),
        format!(
            "| template or plan (`archsim import`) | {} MiB |",
            MAX_TEMPLATE_BYTES >> 20
        ),
        format!(
            "| resources a template or plan declares (`archsim import`) | {} |",
            grouped(MAX_TEMPLATE_RESOURCES as u64)
        ),
        format!(
            "| flow collections (`[…]`, `{{…}}`) nested in a YAML template (`archsim import`) | {} levels |",
            MAX_TEMPLATE_NESTING
        ),
        format!(
            "| entries a template's `Fn::ForEach` loops make (`archsim import`) | {} |",
            grouped(MAX_LOOP_ENTRIES as u64)
        ),
        format!(
            "| {RESOLVED_PER_TEMPLATE_BYTE} times the template's size, within {} and {} MiB |",
            MIN_RESOLVED_BYTES >> 20,
            MAX_RESOLVED_BYTES >> 20
        ),
        format!(
            "| {} MiB, {} rows |",
            MAX_TRACE_BYTES >> 20,
            grouped(MAX_TRACE_ROWS as u64)
        ),
        format!("({}h)", MAX_DURATION_S / 3600),
        format!(
            "| kernel events of one command, all its scenarios together | {} × `--max-events`",
            RUN_EVENTS_PER_SCENARIO_BUDGET
        ),
        format!(
            "| {} | each run's results are kept",
            grouped(MAX_RUNS as u64)
        ),
        format!(
            "| {} MiB: {} MiB each",
            grouped(MAX_RUN_BYTES >> 20),
            COMPONENT_BYTES >> 20
        ),
        format!("| {} |", grouped(MAX_WINDOWS)),
        format!("| {} |", grouped(MAX_ACTOR_WINDOWS)),
        format!(
            "| {}, and at most {} actor-windows",
            MAX_SERIES_SEEDS,
            grouped(SERIES_BUDGET_ACTOR_WINDOWS)
        ),
        format!("| {} |", MAX_COMPONENTS),
        format!(
            "| {}, {}, {} |",
            MAX_WORKLOADS,
            grouped(MAX_FAULTS as u64),
            grouped(MAX_EXPECTATIONS as u64)
        ),
        format!(
            "| {}, {}, {}; each at most {} characters |",
            MAX_ROLES,
            MAX_STATEMENTS,
            MAX_POLICY_ENTRIES,
            grouped(MAX_POLICY_ENTRY_LEN as u64)
        ),
        format!(
            "| {}, {}, {} (AWS's quotas) |",
            grouped(MAX_SECURITY_GROUPS as u64),
            MAX_SG_RULES,
            MAX_SGS_PER_COMPONENT
        ),
        format!(
            "| {}, {} (AWS's quotas) |",
            MAX_NETWORK_ACLS, MAX_NACL_RULES
        ),
        format!("| {} |", grouped(u64::from(MAX_SEEDS))),
        format!("| {} per second |", grouped(MAX_RATE as u64)),
        format!("| {} (`--max-events`)", grouped(DEFAULT_MAX_EVENTS)),
        format!("| `mix` weight | {MAX_MIX_WEIGHT:e} |"),
        format!(
            "| {} by default, at most {} |",
            grouped(archsim::kernel::Limits::default().max_in_flight as u64),
            grouped(MAX_IN_FLIGHT as u64)
        ),
        format!(
            "| {} each; {} spans; {} per second |",
            grouped(MAX_TRACES_KEPT as u64),
            grouped(MAX_SPANS_PER_TRACE as u64),
            grouped(MAX_TRACE_RESERVOIR as u64)
        ),
        format!(
            "a stream record of a sampled request) | {} |",
            grouped(u64::from(MAX_QUEUED_TRACES))
        ),
        format!("| {} |", grouped(MAX_CACHE_ENTRIES as u64)),
        format!("| {} edge locations |", MAX_EDGE_LOCATIONS),
        format!("| {} units per side |", grouped(MAX_DYNAMODB_UNITS as u64)),
        format!(
            "| {} | a partition per range",
            grouped(MAX_S3_PREFIXES as u64)
        ),
        format!("| {} | about 40 bytes", grouped(MAX_S3_RESTORES as u64)),
        format!(
            "| {} sessions, {} entries |",
            grouped(MAX_BROWSERS as u64),
            grouped(MAX_PREFLIGHT_ENTRIES)
        ),
        format!(
            "| {} | a queue's backlog",
            grouped(MAX_QUEUE_MESSAGES as u64)
        ),
        format!("| {} | each group", grouped(MAX_MESSAGE_GROUPS as u64)),
        format!(
            "| {} | two token buckets",
            grouped(MAX_HIGH_THROUGHPUT_TPS as u64)
        ),
        format!("| {} | each is a call the topic makes", MAX_SUBSCRIPTIONS),
        format!(
            "| {} | each accepted message's for 5 minutes",
            grouped(MAX_DEDUP_IDS as u64)
        ),
        format!(
            "| {} | AWS's own quota for Standard",
            grouped(MAX_OPEN_EXECUTIONS as u64)
        ),
        format!("| {MAX_STATES} states, {MAX_RETRIERS} retriers |"),
        format!("| {} items |", grouped(MAX_MAP_ITEMS as u64)),
        format!(
            "| {} | a stream's backlog",
            grouped(MAX_STREAM_RECORDS as u64)
        ),
        format!("| {} |", grouped(MAX_EVENTS_PER_ACTOR as u64)),
        format!("| {} I/Os |", grouped(MAX_EBS_IOS_PER_REQUEST as u64)),
        format!("| {} each |", grouped(MAX_DNS_CLIENTS as u64)),
        format!("records of a `route53` name | {} |", MAX_DNS_RECORDS),
        format!("| {} | AWS uses about 15 |", MAX_HEALTH_CHECKERS),
        format!("| {} characters |", MAX_NAME_LEN),
        format!(
            "| {} | a request carries its operation",
            grouped(archsim::limits::MAX_OPS as u64)
        ),
        format!("| {} characters each |", MAX_SLIDE_TEXT_LEN),
        format!(
            "summary.json {} MiB, CSV {} GiB",
            MAX_SUMMARY_BYTES >> 20,
            MAX_CSV_BYTES >> 30
        ),
    ] {
        assert!(table.contains(&want), "the README's Limits lack {want:?}");
    }
}

/// A results folder may come from anywhere (downloaded, committed by someone): `plot` draws
/// files named by what its summary says, so a name archsim would not give is refused, and
/// the pictures it reads back are shown as images, which run no script.
#[test]
fn plot_writes_only_into_the_folder_and_runs_no_script_from_it() {
    let home = tempdir();
    let traced = BASE
        .edit("[scenario]", "[scenario]\nname = \"t\"")
        .edit("rate = 10 }", "rate = 10 }\ntrace = { slowest = 2 }");
    write(home.path(), "t.toml", &traced);
    let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let dir = home.path().join("o/t");
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let mut s: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let users = s["workloads"]["u"].clone();
    std::fs::create_dir(home.path().join("victim")).unwrap();
    for (name, want) in [
        (
            "q/../../../victim/pwned",
            "`workloads` names \"q/../../../victim/pwned\", no name archsim gives",
        ),
        ("\"><img src=x onerror=alert(1)>", "no name archsim gives"),
    ] {
        let mut tampered = s.clone();
        tampered["workloads"][name] = users.clone();
        std::fs::write(dir.join("summary.json"), tampered.to_string()).unwrap();
        let o = archsim(&["plot", "o/t"], home.path());
        assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
        assert!(output_text(&o).contains(want), "{}", output_text(&o));
    }
    assert!(files_under(&home.path().join("victim")).is_empty());
    s["description"] = "fine\u{1b}[2J".into();
    std::fs::write(dir.join("summary.json"), s.to_string()).unwrap();
    let o = archsim(&["plot", "o"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("holds a control character"),
        "{}",
        output_text(&o)
    );
    let events = std::fs::read_to_string(dir.join("events.csv")).unwrap();
    std::fs::write(dir.join("summary.json"), &summary).unwrap();
    std::fs::write(
        dir.join("events.csv"),
        format!("{events}1.0,s,fault,x\u{202e}y\n"),
    )
    .unwrap();
    let o = archsim(&["plot", "o"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("events.csv: character"),
        "{}",
        output_text(&o)
    );
    std::fs::write(dir.join("events.csv"), &events).unwrap();
    // A picture planted in the folder is shown as an image, never inline.
    std::fs::write(
        dir.join("waterfall.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    )
    .unwrap();
    let o = archsim(&["plot", "o"], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!page.contains("<script"), "{page}");
    assert!(
        page.contains("<img src=\"data:image/svg+xml,%3Csvg"),
        "{page}"
    );
}

/// A scenario's name comes from a file that may be anyone's: it may replace the folder of
/// results it wrote before, never someone's own folder that happens to bear its name.
#[test]
fn a_scenario_never_replaces_a_folder_archsim_did_not_write() {
    let home = tempdir();
    write(
        home.path(),
        "t.toml",
        &BASE.edit("[scenario]", "[scenario]\nname = \"thesis\""),
    );
    std::fs::create_dir_all(home.path().join("o/thesis")).unwrap();
    write(&home.path().join("o/thesis"), "chapter1.tex", "mine");
    let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains(
            "thesis exists and holds no results (no summary.json, sweep.json or capacity.json)"
        ),
        "{}",
        output_text(&o)
    );
    assert_eq!(files_under(&home.path().join("o/thesis")), ["chapter1.tex"]);
    // Its own folder, written before, it replaces.
    std::fs::remove_dir_all(home.path().join("o/thesis")).unwrap();
    for _ in 0..2 {
        let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
        assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    }
}

/// A description is printed on one line: a line of it cannot stand in a CI log as a line of
/// its own (`::error …` is a workflow command there); folders named as no scenario may be
/// are not read as results.
#[test]
fn text_from_a_scenario_or_a_folder_cannot_forge_a_line_of_the_log() {
    let home = tempdir();
    write(
        home.path(),
        "t.toml",
        &BASE.edit(
            "[scenario]",
            "[scenario]\nname = \"t\"\ndescription = \"\"\"fine\n::error file=src/main.rs,line=1::Injected\"\"\"",
        ),
    );
    let o = archsim(&["run", "t.toml", "--out", "o"], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let text = output_text(&o);
    assert!(
        text.contains("fine ::error file=src/main.rs,line=1::Injected"),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("::")), "{text}");
    std::fs::rename(home.path().join("o/t"), home.path().join("o/t\n::error x")).unwrap();
    let o = archsim(&["diff", "o", "o"], home.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        !output_text(&o).lines().any(|l| l.starts_with("::")),
        "{}",
        output_text(&o)
    );
}

#[test]
fn parts_that_together_would_take_more_memory_than_a_run_may_are_refused() {
    // Thirty FIFO queues of a million message groups each: each within its own limit, about
    // 48 MiB each, 1.4 GiB together.
    let mut text = BASE.replace("target = \"s\"", "target = \"q0\"");
    for i in 0..30 {
        text.push_str(&format!(
            "[[component]]\nid = \"q{i}\"\nkind = \"sqs\"\nfifo = true\nmessage_groups = 1000000\n"
        ));
    }
    let e = parse_err(&text);
    assert!(
        e.contains("the 31 components would take about")
            && e.contains(
                "this one 48 MiB, for its 1000000 message groups; a run may take at most 1024 MiB"
            ),
        "{e}"
    );
    // Ten are well within it.
    let mut ten = BASE.replace("target = \"s\"", "target = \"q0\"");
    for i in 0..10 {
        ten.push_str(&format!(
            "[[component]]\nid = \"q{i}\"\nkind = \"sqs\"\nfifo = true\nmessage_groups = 1000000\n"
        ));
    }
    crate::scenario(&ten);
}

#[test]
fn a_scenario_naming_more_operations_than_the_limit_is_refused() {
    // A request carries its operation as a 16-bit index: 66,000 names in a table's
    // `writes` (a 450 KB file) had wrapped, so that `read`, interned first, was counted a
    // write. Past `limits::MAX_OPS` the scenario is refused, once.
    let names: Vec<String> = (0..66_000).map(|i| format!("\"{i:x}\"")).collect();
    let text = BASE.replace("target = \"s\"", "target = \"t\"")
        + &format!(
            "[[component]]\nid = \"t\"\nkind = \"dynamodb\"\nrcu = 10\nwcu = 10\nwrites = [{}]\n",
            names.join(",")
        );
    let e = parse_err(&text);
    assert!(
        e.contains(&format!(
            "names more than {} distinct operations",
            archsim::limits::MAX_OPS
        )),
        "{e}"
    );
    assert_eq!(e.matches("distinct operations").count(), 1, "{e}");
}
