//! Sharded runs: the shards of a sweep, merged, write exactly what the whole run writes (apart
//! from the wall-clock figures), whatever the number of shards; merging refuses shards that
//! do not belong together, a missing shard and scenario files changed since.

use crate::archsim;
use std::path::Path;
use std::process::Command;

/// An experiment (a baseline, a variant judged by its queue wait and a sweep of three
/// points) and a plain scenario with a fault, so that events, series, histograms and what
/// judges a variant all travel through the shards.
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
latency = "components.web.wait_ms"
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

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs archsim with `args` in `d`, which must refuse them (status 2): its errors.
fn refused(d: &Path, args: &[&str]) -> String {
    let out = archsim(args, d);
    assert_eq!(out.status.code(), Some(2), "{args:?} should be refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs every shard of `n` of the scenarios at `paths` into `out`, one after another.
fn all_shards(d: &Path, paths: &str, n: u32, out: &str, extra: &[&str]) {
    for k in 0..n {
        let shard = format!("{k}/{n}");
        let mut args = vec!["run", paths, "--shard", &shard, "--out", out, "-q"];
        args.extend_from_slice(extra);
        ok(&archsim(&args, d));
    }
}

/// Every file under `root` but its timing (the one thing allowed to differ), by relative path,
/// with its bytes.
fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    crate::files_under(root)
        .into_iter()
        .filter(|(name, _)| !name.ends_with("timing.json"))
        .collect()
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
    ok(&archsim(&["run", "sc", "--out", "whole", "-q"], d));
    let whole = files(&d.join("whole"));
    assert!(whole.iter().any(|(n, _)| n == "tiers/sweep.csv"));
    let judged = whole.iter().find(|(n, _)| n == "tiers/sweep.json").unwrap();
    assert!(
        String::from_utf8_lossy(&judged.1)
            .contains("\"latency_judged\": \"components.web.wait_ms\""),
        "the variant's latency is in sweep.json"
    );
    assert!(whole.iter().any(|(n, _)| n == "plain/events.csv"));
    // 5 variants × 3 seeds + 2 seeds = 17 jobs: one shard, fewer shards than jobs, and more.
    for n in [1, 4, 20] {
        let shards = format!("shards-{n}");
        all_shards(d, "sc", n, &shards, &["--threads", "1"]);
        let merged = format!("merged-{n}");
        ok(&archsim(&["merge", &shards, "--out", &merged, "-q"], d));
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
    let out = archsim(&["run", "sc/plain.toml", "--shard", "2", "--out", "s"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SLURM_ARRAY_TASK_ID"));
}

#[test]
fn merging_refuses_what_does_not_belong_together() {
    let dir = setup();
    let d = dir.path();
    let err = |args: &[&str]| refused(d, args);
    all_shards(d, "sc", 3, "a", &[]);
    // A shard missing.
    let e = err(&["merge", "a/shard-0-of-3", "a/shard-2-of-3", "--out", "m"]);
    assert!(e.contains("1 of 3 shards missing (shard 1)"), "{e}");
    // A shard twice.
    let e = err(&["merge", "a", "a/shard-1-of-3", "--out", "m"]);
    assert!(e.contains("given twice"), "{e}");
    // Shards of another run (other seeds).
    ok(&archsim(
        &[
            "run", "sc", "--shard", "1/3", "--seeds", "2", "--out", "b", "-q",
        ],
        d,
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
    all_shards(d, "sc", 3, "c", &[]);
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
        &["run", "t.toml", "--shard", "0/2", "--out", "sh", "-q"],
        d,
    ));
    std::fs::write(d.join("rates.csv"), "time_s,rate\n0,300\n").unwrap();
    ok(&archsim(
        &["run", "t.toml", "--shard", "1/2", "--out", "sh", "-q"],
        d,
    ));
    let out = archsim(&["merge", "sh", "--out", "m"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different runs"));
    // Both shards on the new trace merge; a trace changed after them does not.
    ok(&archsim(
        &["run", "t.toml", "--shard", "0/2", "--out", "sh", "-q"],
        d,
    ));
    ok(&archsim(&["merge", "sh", "--out", "m", "-q"], d));
    std::fs::write(d.join("rates.csv"), "time_s,rate\n0,200\n").unwrap();
    let out = archsim(&["merge", "sh", "--out", "m2"], d);
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

/// A shard's folder is input like any other: its manifest cannot grant itself reads, nor
/// make merge allocate what it says; its saved runs cannot rename the scenario's parts.
#[test]
fn merge_trusts_no_shard_folder() {
    let dir = setup();
    let d = dir.path();
    let err = |args: &[&str]| refused(d, args);
    all_shards(d, "sc/plain.toml", 1, "a", &[]);
    let manifest = d.join("a/shard-0-of-1/shard.json");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&original).unwrap();
    // Reads beyond the scenarios' folders are the merger's to grant.
    m["plan"]["allow_read"] = serde_json::json!(["/"]);
    std::fs::write(&manifest, m.to_string()).unwrap();
    let e = err(&["merge", "a", "--out", "m"]);
    assert!(
        e.contains("the shards ran with --allow-read /: give it to merge too"),
        "{e}"
    );
    // A count of jobs no shard ran is compared, not allocated.
    m["plan"]["allow_read"] = serde_json::json!([]);
    m["plan"]["jobs"] = serde_json::json!(1_000_000_000_000_000u64);
    std::fs::write(&manifest, m.to_string()).unwrap();
    let e = err(&["merge", "a", "--out", "m"]);
    assert!(e.contains("lists other jobs than shard 0 of 1 runs"), "{e}");
    std::fs::write(&manifest, &original).unwrap();
    // A saved run whose parts are not the scenario's: their names become files and links.
    let run = d.join("a/shard-0-of-1/runs/0.json");
    let text = std::fs::read_to_string(&run).unwrap();
    std::fs::write(
        &run,
        text.replace("\"name\":\"u\"", "\"name\":\"\\\"><img src=x>\""),
    )
    .unwrap();
    let e = err(&["merge", "a", "--out", "m"]);
    assert!(
        e.contains("runs/0.json: its parts (s, \"><img src=x>) are not the scenario's"),
        "{e}"
    );
    assert!(!d.join("m/plain").exists());
    // Nor text a terminal or a page would act on.
    std::fs::write(
        &run,
        text.replace("\"kind\":\"service\"", "\"kind\":\"service\\u001b[2J\""),
    )
    .unwrap();
    let e = err(&["merge", "a", "--out", "m"]);
    assert!(e.contains("it holds \\u001b, a control character"), "{e}");
    std::fs::write(&run, &text).unwrap();
    ok(&archsim(&["merge", "a", "--out", "m", "-q"], d));
}
