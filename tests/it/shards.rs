//! Sharded runs: the shards of a sweep, merged, write exactly what the whole run writes (apart
//! from the wall-clock figures), whatever the number of shards; merging refuses shards that
//! do not belong together, a missing shard and scenario files changed since.

use std::path::Path;
use std::process::Command;

/// An experiment (a baseline, a variant and a sweep of three points) and a plain scenario
/// with a fault, so that events, series and histograms all travel through the shards.
const EXPERIMENT: &str = r#"[scenario]
name = "tiers"
duration = "2m"
warmup = "10s"
seeds = 3
window = "5s"
[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 40 }
[[component]]
id = "web"
kind = "service"
servers = 4
service_time = { dist = "exponential", mean = "80ms" }
[[variant]]
name = "five"
set = { "web.servers" = 5 }
[sweep]
"users.arrival.rate" = [20, 30, 45]
[[expect]]
metric = "error_rate"
max = 0.5
"#;

const PLAIN: &str = r#"[scenario]
name = "plain"
duration = "1m"
seeds = 2
[[workload]]
name = "u"
target = "s"
arrival = { process = "poisson", rate = 20 }
[[component]]
id = "s"
kind = "service"
servers = 2
queue = 4
service_time = { dist = "exponential", mean = "90ms" }
[[fault]]
kind = "latency_injection"
target = "s"
at = "20s"
for = "10s"
add = "100ms"
"#;

fn archsim(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(args)
        .current_dir(dir)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
        .output()
        .expect("archsim runs")
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `root`, by relative path, with its bytes; summary.json without the wall
/// clock's figures.
fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if name.ends_with(".archsim.lock") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let mut bytes = std::fs::read(&p).unwrap();
                if name.ends_with("summary.json") {
                    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    let kernel = v["kernel"].as_object_mut().unwrap();
                    assert!(kernel.remove("wall_s").is_some());
                    assert!(kernel.remove("events_per_sec").is_some());
                    bytes = serde_json::to_vec_pretty(&v).unwrap();
                }
                out.push((name, bytes));
            }
        }
    }
    out.sort();
    out
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sc")).unwrap();
    std::fs::write(dir.path().join("sc/tiers.toml"), EXPERIMENT).unwrap();
    std::fs::write(dir.path().join("sc/plain.toml"), PLAIN).unwrap();
    dir
}

#[test]
fn shards_merged_are_the_whole_run() {
    let dir = setup();
    let d = dir.path();
    ok(&archsim(d, &["run", "sc", "--out", "whole", "-q"]));
    let whole = files(&d.join("whole"));
    assert!(whole.iter().any(|(n, _)| n == "tiers/sweep.csv"));
    assert!(whole.iter().any(|(n, _)| n == "plain/events.csv"));
    // 5 variants × 3 seeds + 2 seeds = 17 jobs: one shard, fewer shards than jobs, and more.
    for n in [1, 4, 20] {
        let shards = format!("shards-{n}");
        for k in 0..n {
            ok(&archsim(
                d,
                &[
                    "run",
                    "sc",
                    "--shard",
                    &format!("{k}/{n}"),
                    "--out",
                    &shards,
                    "-q",
                    "--threads",
                    "1",
                ],
            ));
        }
        let merged = format!("merged-{n}");
        ok(&archsim(d, &["merge", &shards, "--out", &merged, "-q"]));
        let got = files(&d.join(&merged));
        assert_eq!(
            got.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            whole.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "{n} shards write other files"
        );
        for ((name, a), (_, b)) in whole.iter().zip(&got) {
            assert!(a == b, "{name} differs after merging {n} shards");
        }
    }
}

#[test]
fn the_array_index_picks_the_shard() {
    let dir = setup();
    let d = dir.path();
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["run", "sc/plain.toml", "--shard", "2", "--out", "s", "-q"])
        .current_dir(d)
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .output()
        .unwrap();
    ok(&out);
    assert!(d.join("s/shard-1-of-2/shard.json").is_file());
    let out = archsim(d, &["run", "sc/plain.toml", "--shard", "2", "--out", "s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SLURM_ARRAY_TASK_ID"));
}

#[test]
fn merging_refuses_what_does_not_belong_together() {
    let dir = setup();
    let d = dir.path();
    let err = |args: &[&str]| {
        let out = archsim(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?} should be refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    for k in 0..3 {
        ok(&archsim(
            d,
            &[
                "run",
                "sc",
                "--shard",
                &format!("{k}/3"),
                "--out",
                "a",
                "-q",
            ],
        ));
    }
    // A shard missing.
    let e = err(&["merge", "a/shard-0-of-3", "a/shard-2-of-3", "--out", "m"]);
    assert!(e.contains("1 of 3 shards missing (shard 1)"), "{e}");
    // A shard twice.
    let e = err(&["merge", "a", "a/shard-1-of-3", "--out", "m"]);
    assert!(e.contains("given twice"), "{e}");
    // Shards of another run (other seeds).
    ok(&archsim(
        d,
        &[
            "run", "sc", "--shard", "1/3", "--seeds", "2", "--out", "b", "-q",
        ],
    ));
    let e = err(&[
        "merge",
        "a/shard-0-of-3",
        "b/shard-1-of-3",
        "a/shard-2-of-3",
        "--out",
        "m",
    ]);
    assert!(e.contains("different runs"), "{e}");
    // An unfinished shard (no manifest).
    std::fs::remove_file(d.join("b/shard-1-of-3/shard.json")).unwrap();
    let e = err(&["merge", "b/shard-1-of-3", "--out", "m"]);
    assert!(e.contains("did not finish"), "{e}");
    // A saved run that is not one.
    std::fs::write(d.join("a/shard-2-of-3/runs/2.json"), "{\"format\": 1}").unwrap();
    let e = err(&["merge", "a", "--out", "m"]);
    assert!(e.contains("runs/2.json"), "{e}");
    // A scenario changed since the shards ran: its text is not what they ran.
    for k in 0..3 {
        ok(&archsim(
            d,
            &[
                "run",
                "sc",
                "--shard",
                &format!("{k}/3"),
                "--out",
                "c",
                "-q",
            ],
        ));
    }
    std::fs::write(
        d.join("sc/plain.toml"),
        PLAIN.replace("rate = 20", "rate = 21"),
    )
    .unwrap();
    let e = err(&["merge", "c", "--out", "m"]);
    assert!(
        e.contains("plain.toml: changed since the shards ran"),
        "{e}"
    );
    assert!(
        !e.contains("rate = 2"),
        "a message never quotes a file: {e}"
    );
    assert!(
        !d.join("m/plain").exists(),
        "nothing is written when merging is refused"
    );
}

#[test]
fn a_trace_that_changed_between_shards_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("rates.csv"), "time_s,rate\n0,100\n").unwrap();
    std::fs::write(
        d.join("t.toml"),
        PLAIN.replace(
            "arrival = { process = \"poisson\", rate = 20 }",
            "arrival = { process = \"trace\", file = \"rates.csv\" }",
        ),
    )
    .unwrap();
    ok(&archsim(
        d,
        &["run", "t.toml", "--shard", "0/2", "--out", "sh", "-q"],
    ));
    std::fs::write(d.join("rates.csv"), "time_s,rate\n0,300\n").unwrap();
    ok(&archsim(
        d,
        &["run", "t.toml", "--shard", "1/2", "--out", "sh", "-q"],
    ));
    let out = archsim(d, &["merge", "sh", "--out", "m"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different runs"));
    // Both shards on the new trace merge; a trace changed after them does not.
    ok(&archsim(
        d,
        &["run", "t.toml", "--shard", "0/2", "--out", "sh", "-q"],
    ));
    ok(&archsim(d, &["merge", "sh", "--out", "m", "-q"]));
    std::fs::write(d.join("rates.csv"), "time_s,rate\n0,200\n").unwrap();
    let out = archsim(d, &["merge", "sh", "--out", "m2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("rates.csv: changed since the shards ran"),
        "{err}"
    );
    // What the merge wrote is readable by others, like every result.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("m/index.html"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o644, 0o644, "index.html mode {mode:o}");
    }
}
