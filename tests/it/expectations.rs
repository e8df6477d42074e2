//! `[[expect]]` and `archsim check`: the exit status CI relies on, and where a failure is
//! reported.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh folder for one test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archsim-expect-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An M/M/1-like service at half load (10 ms work at 50/s), with `expect` appended.
fn scenario(dir: &Path, expect: &str) -> PathBuf {
    let components = "[[component]]\nid = \"svc\"\nkind = \"service\"\nservice_time = \"10ms\"";
    written(dir, "svc.toml", "30s", "svc", components, expect)
}

/// File `name` in `dir`: a scenario of `duration` whose workload sends 50 requests/s to
/// `target`, with `components` and then `expect`.
fn written(
    dir: &Path,
    name: &str,
    duration: &str,
    target: &str,
    components: &str,
    expect: &str,
) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(
        &file,
        format!(
            r#"[scenario]
duration = "{duration}"
[[workload]]
name = "u"
target = "{target}"
arrival = {{ process = "poisson", rate = 50 }}
{components}
{expect}"#
        ),
    )
    .unwrap();
    file
}

fn check(dir: &Path, file: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["check", "-q", "--out"])
        .arg(dir.join("results"))
        .arg(file)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap(), text)
}

#[test]
fn check_passes_when_every_expectation_holds_and_records_them() {
    let dir = folder("pass");
    let file = scenario(
        &dir,
        r#"[[expect]]
metric = "components.svc.utilisation"
min = 0.4
max = 0.6
[[expect]]
metric = "requests.by_status.503"
max = 0"#,
    );
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("check: 2 of 2 expectations held"), "{text}");
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("results/svc/summary.json")).unwrap(),
    )
    .unwrap();
    let list = summary["expectations"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|e| e["pass"] == true));
    let u = list[0]["value"].as_f64().unwrap();
    assert!((0.4..=0.6).contains(&u), "{u}");
    assert_eq!(list[1]["value"].as_f64(), Some(0.0));
    let page = std::fs::read_to_string(dir.join("results/svc/report.html")).unwrap();
    assert!(page.contains("<h2>Expectations</h2>") && page.contains("holds"));
    let index = std::fs::read_to_string(dir.join("results/index.html")).unwrap();
    assert!(index.contains("expectations held</th>") && index.contains("<b>2 of 2</b>"));
}

#[test]
fn check_fails_with_the_place_and_the_reason() {
    let dir = folder("fail");
    let file = scenario(
        &dir,
        r#"[[expect]]
metric = "latency_ms.p99"
max = 5
[[expect]]
metric = "components.svc.queue_capacity"
max = 5"#,
    );
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 1, "{text}");
    let at = file.display().to_string();
    assert!(
        text.contains(&format!(
            "{at}:12:10: expectation fails: latency_ms.p99 ≤ 5:"
        )),
        "{text}"
    );
    assert!(text.contains("is above 5"), "{text}");
    // A number the service reports only when it has a bounded queue: this one has none.
    assert!(
        text.contains(&format!("{at}:15:10: expectation fails"))
            && text.contains("has no `queue_capacity`"),
        "{text}"
    );
    assert!(text.contains("check: 0 of 2 expectations held"), "{text}");
}

#[test]
fn a_series_is_judged_in_every_window_of_every_seed_between_from_and_until() {
    // A queue no one reads, sent 10 messages a second (at k / 10 s, k = 1, 2, …, stored at
    // once: no network delay): in the 1 s window from i s it holds 10 i + 4.5 on average
    // (10 i, then one more each tenth), in every seed alike. From 20 s until 30 s the
    // windows hold 204.5 … 294.5: above 250 from the window at 25 s, the highest at 29 s.
    let dir = folder("series");
    let file = dir.join("q.toml");
    let expect = |e: &str| format!("[[expect]]\nseries = \"components.q.backlog_visible\"\n{e}\n");
    std::fs::write(
        &file,
        "[scenario]\nduration = \"60s\"\nseeds = 2\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"u\"\ntarget = \"q\"\n\
         arrival = { process = \"constant\", rate = 10 }\nretry = { attempts = 1 }\n\
         [[component]]\nid = \"q\"\nkind = \"sqs\"\n"
            .to_string()
            + &expect("from = \"20s\"\nuntil = \"30s\"\nmax = 250")
            + &expect("from = \"20s\"\nuntil = \"30s\"\nmin = 200")
            + &expect("max = 600")
            + "[[expect]]\nseries = \"workloads.u.status_504_rps\"\nmax = 0\n",
    )
    .unwrap();
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 1, "{text}");
    let at = file.display().to_string();
    assert!(
        text.contains(&format!(
            "{at}:15:10: expectation fails: components.q.backlog_visible ≤ 250 in every window from 20s until 30s: seed 1: 294.5 in the window at 29s is above 250"
        )),
        "{text}"
    );
    assert!(text.contains("check: 3 of 4 expectations held"), "{text}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results/q/summary.json")).unwrap())
            .unwrap();
    let list = summary["expectations"].as_array().unwrap();
    // Listed as a series, not a number of the summary, with its stretch and each seed's
    // value nearest the bound.
    assert_eq!(list[0]["series"], "components.q.backlog_visible");
    assert!(list[0].get("metric").is_none());
    assert_eq!(list[0]["from_s"], 20.0);
    assert_eq!(list[0]["until_s"], 30.0);
    let per_seed: Vec<f64> = list[0]["per_seed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["value"].as_f64().unwrap())
        .collect();
    assert_eq!(per_seed.len(), 2);
    assert!(
        per_seed.iter().all(|v| (v - 294.5).abs() < 1e-6),
        "{per_seed:?}"
    );
    // The lowest window of the stretch is the one nearest `min`.
    assert_eq!(list[1]["pass"], true);
    assert!((list[1]["value"].as_f64().unwrap() - 204.5).abs() < 1e-6);
    // Without `from` and `until`: the whole run, 4.5 … 594.5.
    assert_eq!(list[2]["pass"], true);
    assert!((list[2]["value"].as_f64().unwrap() - 594.5).abs() < 1e-6);
    // A final status the workload never saw: none a second in every window, as a status
    // missing from `by_status` counted nothing.
    assert_eq!(list[3]["pass"], true, "{:?}", list[3]);
    assert_eq!(list[3]["value"], 0.0);
}

#[test]
fn the_share_of_errors_is_judged_window_by_window_where_the_runs_share_dilutes_it() {
    // 50 requests a second, evenly spaced, to a service that answers every call 500 from
    // 20 s until 30 s, not retried: the 10 s windows before 20 s and from 30 s on hold no
    // error, the one at 20 s nothing else (no network delay: a request that ends in it
    // reached the service in it); the run's error_rate is about a sixth.
    let dir = folder("error-share");
    let file = dir.join("e.toml");
    let expect = |e: &str| format!("[[expect]]\nseries = \"workloads.u.error_rate\"\n{e}\n");
    std::fs::write(
        &file,
        "[scenario]\nduration = \"60s\"\nwindow = \"10s\"\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"u\"\ntarget = \"svc\"\n\
         arrival = { process = \"constant\", rate = 50 }\nretry = { attempts = 1 }\n\
         [[component]]\nid = \"svc\"\nkind = \"service\"\nservice_time = \"10ms\"\n\
         [[fault]]\nat = \"20s\"\nfor = \"10s\"\nkind = \"error_injection\"\ntarget = \"svc\"\nrate = 1.0\n"
            .to_string()
            + &expect("until = \"20s\"\nmax = 0")
            + &expect("from = \"30s\"\nmax = 0")
            + &expect("from = \"20s\"\nuntil = \"30s\"\nmin = 0.99")
            + &expect("max = 0.5")
            + "[[expect]]\nmetric = \"error_rate\"\nmax = 0.2\n",
    )
    .unwrap();
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("check: 4 of 5 expectations held"), "{text}");
    assert!(
        text.contains("35:10: expectation fails: workloads.u.error_rate ≤ 0.5 in every window: 1 (100 %) in the window at 20s is above 0.5 (50 %)"),
        "{text}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results/e/summary.json")).unwrap())
            .unwrap();
    let list = summary["expectations"].as_array().unwrap();
    assert_eq!(list[2]["value"], 1.0);
    let pooled = summary["error_rate"].as_f64().unwrap();
    assert!((pooled - 1.0 / 6.0).abs() < 0.01, "{pooled}");
    // timeseries.csv has the series, a share in every window.
    let csv = std::fs::read_to_string(dir.join("results/e/timeseries.csv")).unwrap();
    let shares: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains(",1,u,error_rate,"))
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(shares, ["0", "0", "1", "0", "0", "0"], "{csv}");
}

#[test]
fn without_a_failure_the_share_that_failed_is_zero_and_all_requests_wait_as_the_successes() {
    // No request fails: timeseries.csv leaves the two series out (they would repeat the
    // others), and an expectation on them is judged on what they would hold.
    let dir = folder("no-failure");
    let file = scenario(
        &dir,
        "[[expect]]\nseries = \"workloads.u.error_rate\"\nmax = 0\n\
         [[expect]]\nseries = \"workloads.u.latency_all_p99_ms\"\nmax = 1000\n\
         [[expect]]\nseries = \"workloads.u.error_rate\"\nmin = 0.5\n\
         [[expect]]\nseries = \"workloads.u.latency_p99_ms\"\nmax = 1000\n",
    );
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("check: 3 of 4 expectations held"), "{text}");
    assert!(
        text.contains("workloads.u.error_rate ≥ 0.5 in every window: 0 (0 %) in the window at"),
        "{text}"
    );
    let csv = std::fs::read_to_string(dir.join("results/svc/timeseries.csv")).unwrap();
    assert!(
        !csv.contains("error_rate") && !csv.contains("latency_all"),
        "{csv}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("results/svc/summary.json")).unwrap(),
    )
    .unwrap();
    let list = summary["expectations"].as_array().unwrap();
    // The highest window's p99 of all requests is the successes' own.
    assert_eq!(list[1]["pass"], true, "{:?}", list[1]);
    assert!(list[1]["value"].as_f64().unwrap() > 10.0, "{:?}", list[1]);
    assert_eq!(list[1]["value"], list[3]["value"]);
    assert_eq!(list[1]["seed"], list[3]["seed"]);
}

#[test]
fn check_refuses_scenarios_without_expectations_and_run_ignores_them() {
    let dir = folder("none");
    let file = scenario(&dir, "");
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("nothing to check"), "{text}");
    // `run` reports a failing expectation but succeeds: only `check` judges.
    let file = scenario(&dir, "[[expect]]\nmetric = \"latency_ms.p99\"\nmax = 5");
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["run", "--out"])
        .arg(dir.join("results"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("expect     FAIL latency_ms.p99 ≤ 5"));
}

#[test]
fn check_leaves_out_the_files_without_expectations_and_names_them() {
    // A folder of a regression test and an exploration beside it: the check runs the one,
    // names the other as not run, and writes no results for it.
    let dir = folder("some");
    scenario(&dir, "[[expect]]\nmetric = \"latency_ms.p99\"\nmax = 1000");
    let components = "[[component]]\nid = \"svc\"\nkind = \"service\"\nservice_time = \"10ms\"";
    written(&dir, "explore.toml", "30s", "svc", components, "");
    // Quiet too: a CI log shows a test file that lost its expectations.
    let quiet = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["check", "-q", "--out"])
        .arg(dir.join("quiet"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&quiet.stderr)
            .contains("explore.toml: no [[expect]], not run by check"),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["check", "--out"])
        .arg(dir.join("results"))
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("explore.toml: no [[expect]], not run by check"),
        "{stderr}"
    );
    assert!(
        stdout.contains("check: 1 of 1 expectation held in 1 scenario"),
        "{stdout}"
    );
    assert!(dir.join("results/svc").is_dir());
    assert!(!dir.join("results/explore").exists());
}

/// Runs `check FILE --junit j.xml --json v.json` in `dir`: its exit status, the JUnit test
/// cases' `<error>` texts and the JSON entries.
fn check_files(dir: &Path, file: &str) -> (Option<i32>, Vec<String>, Vec<serde_json::Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(dir)
        .args(["check", "-q", file, "--junit", "j.xml", "--json", "v.json"])
        .output()
        .unwrap();
    let xml = std::fs::read_to_string(dir.join("j.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let errors = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|c| {
            assert!(!c.children().any(|f| f.has_tag_name("failure")), "{xml}");
            let e = c.children().find(|f| f.has_tag_name("error")).unwrap();
            e.text().unwrap_or("").to_string()
        })
        .collect();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v.json")).unwrap()).unwrap();
    (out.status.code(), errors, json.as_array().unwrap().clone())
}

#[test]
fn a_check_that_judges_nothing_still_writes_its_verdict_files_saying_why() {
    // Malformed: exit 2, and the dashboard shows the located problem instead of no results.
    let dir = folder("junit-refused");
    scenario(
        &dir,
        "[[expect]]\nmetric = \"latency_ms.p99\"\nmax = 50\nmaximum = 3\nminimum = 1\n",
    );
    let (code, errors, json) = check_files(&dir, "svc.toml");
    assert_eq!(code, Some(2));
    // An entry per problem, each named by its own place; the count closing them is not one.
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("svc.toml:14:1: unknown key `maximum`")
            && errors[1].starts_with("svc.toml:15:1: unknown key `minimum`"),
        "{errors:?}"
    );
    assert_eq!(json.len(), 2);
    for v in &json {
        assert_eq!(
            (v["pass"].as_bool(), v["exit_status"].as_u64()),
            (Some(false), Some(2))
        );
    }
    // Each entry and test case at the place its message names.
    let at = |v: &serde_json::Value| (v["file"].clone(), v["line"].clone(), v["column"].clone());
    assert_eq!(
        at(&json[0]),
        (
            serde_json::json!("svc.toml"),
            serde_json::json!(14),
            serde_json::json!(1)
        )
    );
    assert_eq!(at(&json[1]).1, serde_json::json!(15));
    let xml = std::fs::read_to_string(dir.join("j.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let places: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|c| (c.attribute("file"), c.attribute("line")))
        .collect();
    assert_eq!(
        places,
        [
            (Some("svc.toml"), Some("14")),
            (Some("svc.toml"), Some("15"))
        ],
        "{xml}"
    );
    // A value of the wrong type too, the error the kind's table reports.
    std::fs::write(
        dir.join("float.toml"),
        "[scenario]\nduration = \"30s\"\n[[workload]]\nname = \"u\"\ntarget = \"w\"\narrival = { process = \"poisson\", rate = 10 }\n[[component]]\nid = \"w\"\nkind = \"service\"\nservers = 1.5\nservice_time = \"5ms\"\n[[expect]]\nmetric = \"error_rate\"\nmax = 0\n",
    )
    .unwrap();
    let (code, errors, json) = check_files(&dir, "float.toml");
    assert_eq!(code, Some(2));
    assert!(errors[0].starts_with("float.toml:10:11: "), "{errors:?}");
    assert_eq!(
        at(&json[0]),
        (
            serde_json::json!("float.toml"),
            serde_json::json!(10),
            serde_json::json!(11)
        )
    );
    // A run that stops (an overloaded service with nothing bounding its backlog): exit 1.
    std::fs::write(
        dir.join("stops.toml"),
        r#"[scenario]
duration = "30s"
max_in_flight = 100
[[workload]]
name = "u"
target = "svc"
arrival = { process = "poisson", rate = 50 }
[[component]]
id = "svc"
kind = "service"
service_time = "40ms"
[[expect]]
metric = "latency_ms.p99"
max = 50
"#,
    )
    .unwrap();
    let (code, errors, json) = check_files(&dir, "stops.toml");
    assert_eq!(code, Some(1));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("more than 100 calls in flight"),
        "{errors:?}"
    );
    assert_eq!(json[0]["exit_status"], 1);
    // It is at no place of the file: none is named.
    assert_eq!(json[0]["file"], serde_json::Value::Null);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_writes_junit_and_json_per_variant_into_a_scratch_folder_by_default() {
    // Two expectations, one for every variant and one for variant "slow" only; the slow
    // variant (40 ms at 50/s: utilisation 2, overloaded) fails the utilisation bound.
    let dir = folder("junit");
    scenario(
        &dir,
        r#"[[variant]]
name = "slow"
set = { "svc.service_time" = "40ms", "svc.queue" = 10 }
[[expect]]
metric = "components.svc.utilisation"
max = 0.9
[[expect]]
metric = "requests.total"
min = 1
variant = "slow"
[[expect]]
metric = "latency_ms.p50"
relative_to = "baseline"
min = 1
variant = "slow"
"#,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(&dir)
        .args([
            "check", "-q", "svc.toml", "--junit", "j.xml", "--json", "v.json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // Expectations per variant: 1 for the baseline, 3 for "slow".
    assert!(
        text.contains("check: 3 of 4 expectations held in 1 scenario"),
        "{text}"
    );
    assert!(
        text.contains(
            "svc.toml:15:10: expectation fails (variant slow): components.svc.utilisation ≤ 0.9"
        ),
        "{text}"
    );
    assert!(
        !dir.join("results").exists(),
        "a check writes no results without --out"
    );
    let xml = std::fs::read_to_string(dir.join("j.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 4);
    // A test case's name is the expectation as written, the same at every run: the
    // baseline's p50 that the relative bound was measured against is not in it (a CI
    // dashboard keeps a test's history by its name).
    let names: Vec<&str> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert!(
        names.contains(&"slow: latency_ms.p50 ≥ 1 × baseline's"),
        "{names:?}"
    );
    let failed: Vec<_> = cases
        .iter()
        .filter(|c| c.children().any(|f| f.has_tag_name("failure")))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attribute("classname"), Some("svc.slow"));
    assert!(failed[0]
        .attribute("name")
        .unwrap()
        .starts_with("slow: components.svc.utilisation"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v.json")).unwrap()).unwrap();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list.iter().filter(|v| v["pass"] == false).count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn each_seed_on_a_number_no_seed_has_is_refused_where_it_is_written() {
    // `traces`, `kernel` and `theory` are the scenario's numbers, not any seed's: bounding
    // each seed's would fail whatever the run did.
    let dir = folder("each-seed");
    for metric in ["traces.kept", "kernel.lost_calls"] {
        let file = scenario(
            &dir,
            &format!("[[expect]]\nmetric = \"{metric}\"\nmin = 0\neach_seed = true\n"),
        );
        let (code, text) = check(&dir, &file);
        assert_eq!(code, 2, "{text}");
        assert!(text.contains("svc.toml:14:13"), "{text}");
        assert!(
            text.contains(&format!("`{metric}` is the scenario's alone")),
            "{text}"
        );
        assert!(text.contains("requests, latency_ms"), "{text}");
    }
    // A component's number has a value in each seed, and may be bounded in each.
    let file = scenario(
        &dir,
        "[[expect]]\nmetric = \"components.svc.utilisation\"\nmax = 0.9\neach_seed = true\n",
    );
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_misspelt_statistic_or_status_is_refused_before_any_run() {
    // A latency's statistics, the theory's, and a status table's entries are known before
    // the run: a typo is a located error (exit 2), not a failed expectation after the run.
    let dir = folder("last-part");
    for (metric, says) in [
        ("latency_ms.p98", "`latency_ms` has no \"p98\""),
        (
            "workloads.u.latency_ms.p9",
            "it has: count, mean, p50, p90, p95, p99, p999, max",
        ),
        ("components.svc.wait_ms.avg", "`wait_ms` has no \"avg\""),
        ("theory.latency_ms.p95", "it has: mean, p50, p99, p999"),
        (
            "requests.by_status.2OO",
            "a status code from 100 to 599, or one of timeout",
        ),
        (
            "components.svc.by_status.tmeout",
            "(did you mean `timeout`?)",
        ),
        // A table named without its unit: the table it begins, with the rest.
        ("latency.p99", "(did you mean `latency_ms.p99`?)"),
        // Only a table that holds the rest: "error.rate" is the number `error_rate`.
        ("error.rate", "(did you mean `error_rate`?)"),
        (
            "components.svc.response.p99",
            "(did you mean `response_ms.p99`?)",
        ),
    ] {
        let file = scenario(
            &dir,
            &format!("[[expect]]\nmetric = \"{metric}\"\nmin = 0\n"),
        );
        let (code, text) = check(&dir, &file);
        assert_eq!(code, 2, "{metric}: {text}");
        assert!(text.contains("svc.toml:12:10"), "{metric}: {text}");
        assert!(text.contains(says), "{metric}: {text}");
    }
    // What the tables hold passes: an absent status counted nothing.
    for metric in [
        "latency_ms.p999",
        "requests.by_status.429",
        "requests.by_status.timeout",
        "components.svc.by_status.503",
    ] {
        let file = scenario(
            &dir,
            &format!("[[expect]]\nmetric = \"{metric}\"\nmin = 0\n"),
        );
        let (code, text) = check(&dir, &file);
        assert_eq!(code, 0, "{metric}: {text}");
    }
}

#[test]
fn a_throttle_reason_is_known_before_the_run_and_none_is_zero() {
    // Lambda's and API Gateway's `throttled_by` tables hold a fixed set of limits: a typo is
    // a located error before any run, and a limit that refused nothing reads 0, so that an
    // expectation of none holds (it read "names nothing in summary.json" and failed).
    let dir = folder("throttled-by");
    let components = "[[component]]\nid = \"api\"\nkind = \"api_gateway\"\ntarget = \"fn\"\n\
                      [[component]]\nid = \"fn\"\nkind = \"lambda\"\nwork = \"10ms\"";
    let write = |expect: &str| written(&dir, "fn.toml", "20s", "api", components, expect);
    for (metric, says) in [
        (
            "components.fn.throttled_by.ratee",
            "(did you mean `throttled_by.rate`?)",
        ),
        (
            "components.api.throttled_by.stag",
            "(did you mean `throttled_by.stage`?)",
        ),
    ] {
        let file = write(&format!("[[expect]]\nmetric = \"{metric}\"\nmax = 0\n"));
        let (code, text) = check(&dir, &file);
        assert_eq!(code, 2, "{metric}: {text}");
        assert!(text.contains("fn.toml:16:10"), "{metric}: {text}");
        assert!(text.contains(says), "{metric}: {text}");
    }
    let file = write(
        "[[expect]]\nmetric = \"components.fn.throttled_by.scaling\"\nmax = 0\neach_seed = true\n\
         [[expect]]\nmetric = \"components.fn.throttled_by.concurrency\"\nmax = 0\n\
         [[expect]]\nmetric = \"components.api.throttled_by.account\"\nmax = 0\n",
    );
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_variant_is_judged_relative_to_another_on_the_same_traffic() {
    // The design intuition "two servers answer faster than one" as a test: the variant's
    // p99 at most 0.6 of the baseline's (one server at 10 ms and 50/s: M/M/1 at ρ = 0.5, its
    // sojourn exponential of mean 20 ms, p99 20 ln 100 = 92 ms; two: ρ = 0.25, p99 about
    // 48 ms, mostly the work's own 46 ms), pooled and seed by seed (each seed against the
    // baseline's same seed, the same arrivals). A claim that does not hold fails with both
    // figures.
    let dir = folder("relative");
    let components = "[[component]]\nid = \"svc\"\nkind = \"service\"\nservice_time = { dist = \"exponential\", mean = \"10ms\" }";
    let expect = r#"[[variant]]
name = "two"
set = { "svc.servers" = 2 }
[[expect]]
metric = "latency_ms.p99"
variant = "two"
relative_to = "baseline"
max = 0.6
[[expect]]
metric = "latency_ms.p99"
variant = "two"
relative_to = "baseline"
max = 0.6
each_seed = true
[[expect]]
metric = "latency_ms.p99"
variant = "two"
relative_to = "baseline"
min = 0.9
"#;
    let file = written(&dir, "two.toml", "60s", "svc", components, expect);
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("[scenario]\n", "[scenario]\nseeds = 3\n");
    std::fs::write(&file, text).unwrap();
    let (code, text) = check(&dir, &file);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("check: 2 of 3 expectations held"), "{text}");
    let at = file.display().to_string();
    // The third: at least 0.9 × the baseline's, which two servers are far below.
    let fail = text
        .lines()
        .find(|l| l.starts_with(&format!("{at}:27:10: expectation fails (variant two)")))
        .unwrap_or_else(|| panic!("the third fails at its metric:\n{text}"));
    assert!(
        fail.contains("latency_ms.p99 ≥ 0.9 × baseline's") && fail.contains("is below"),
        "{fail}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("results/two/two/summary.json")).unwrap(),
    )
    .unwrap();
    let base: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("results/two/baseline/summary.json")).unwrap(),
    )
    .unwrap();
    let list = summary["expectations"].as_array().unwrap();
    let (pooled, paired) = (&list[0], &list[1]);
    let p99 = |s: &serde_json::Value| s["latency_ms"]["p99"].as_f64().unwrap();
    assert_eq!(pooled["relative_to"], "baseline");
    assert_eq!(pooled["ratio_max"].as_f64(), Some(0.6));
    assert_eq!(pooled["relative_value"].as_f64(), Some(p99(&base)));
    assert_eq!(pooled["max"].as_f64(), Some(0.6 * p99(&base)));
    assert_eq!(pooled["value"].as_f64(), Some(p99(&summary)));
    assert!(p99(&summary) < 0.6 * p99(&base));
    assert_eq!(pooled["pass"], true);
    // Seed by seed: each of the three judged against its own seed's baseline.
    assert_eq!(paired["pass"], true);
    assert_eq!(paired["per_seed"].as_array().unwrap().len(), 3);
    // `check --json` lists them as the summary does.
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(&dir)
        .args(["check", "-q", "two.toml", "--json", "v.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v.json")).unwrap()).unwrap();
    let first = &v.as_array().unwrap()[0];
    assert_eq!(first["relative_to"], "baseline");
    assert_eq!(first["ratio_max"].as_f64(), Some(0.6));
    assert_eq!(first["relative_value"].as_f64(), Some(p99(&base)));
    // The baseline is not judged against itself: the expectations name variant "two".
    let base_list = base["expectations"].as_array().map_or(0, Vec::len);
    assert_eq!(base_list, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_relative_expectation_names_a_variant_the_scenario_has_and_bounds_a_number() {
    let dir = folder("relative-bad");
    let bad = |expect: &str| {
        let file = scenario(
            &dir,
            &format!("[[variant]]\nname = \"two\"\nset = {{ \"svc.servers\" = 2 }}\n{expect}"),
        );
        let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
            .args(["validate"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let text = bad("[[expect]]\nmetric = \"latency_ms.p99\"\nrelative_to = \"tow\"\nmax = 1");
    assert!(
        text.contains("svc.toml:16:15: `relative_to` names variant \"tow\" (did you mean `two`?), which the scenario does not have; it has: baseline, two"),
        "{text}"
    );
    let text = bad("[[expect]]\nmetric = \"latency_ms.p99\"\nrelative_to = \"two\"\nvariant = \"two\"\nmax = 1");
    assert!(
        text.contains("judges variant \"two\" relative to itself"),
        "{text}"
    );
    let text = bad("[[expect]]\nmetric = \"latency_ms.p99\"\nrelative_to = \"two\"\nmax = -1");
    assert!(
        text.contains("with `relative_to`, `max` is a ratio of variant \"two\"'s figure"),
        "{text}"
    );
    let text =
        bad("[[expect]]\nseries = \"components.svc.utilisation\"\nrelative_to = \"two\"\nmax = 1");
    assert!(
        text.contains("`relative_to` bounds one number of summary.json"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
