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
    let file = dir.join("svc.toml");
    std::fs::write(
        &file,
        format!(
            r#"[scenario]
duration = "30s"
[[workload]]
name = "u"
target = "svc"
arrival = {{ process = "poisson", rate = 50 }}
[[component]]
id = "svc"
kind = "service"
service_time = "10ms"
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
    assert!(index.contains("<th>expectations held</th>") && index.contains("<b>2 of 2</b>"));
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
metric = "latency_ms.p100"
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
    assert!(
        text.contains(&format!("{at}:15:10: expectation fails"))
            && text.contains("`latency_ms` has no `p100`"),
        "{text}"
    );
    assert!(text.contains("check: 0 of 2 expectations held"), "{text}");
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
