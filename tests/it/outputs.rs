//! How a run's outputs are written: each file's folder is drawn and staged as soon as its
//! seeds end, beside the other simulations, and put in place only when the whole run has
//! succeeded; what lands on disk is what writing after the run wrote, at any thread count.

use archsim::scenario::{self, Scenario};
use archsim::sweep;
use std::path::Path;

/// A small scenario file's text: `name`, a web tier at `rate` requests/s for a minute.
fn file(name: &str, rate: u32, sweep_servers: bool) -> String {
    let sweep = if sweep_servers {
        "[sweep]\n\"web.servers\" = [3, 5]\n"
    } else {
        ""
    };
    format!(
        r#"[scenario]
name = "{name}"
duration = "1m"
warmup = "0s"
seeds = 2
window = "10s"
[[workload]]
name = "users"
target = "web"
arrival = {{ process = "poisson", rate = {rate} }}
trace = {{ reservoir_per_second = 1, rate = 0.05, slowest = 5, sample = 5 }}
[[component]]
id = "web"
kind = "service"
servers = 4
service_time = {{ dist = "exponential", mean = "50ms" }}
{sweep}"#
    )
}

/// The scenarios of the files, in order, as `archsim run` loads them.
fn load(files: &[(&str, String)]) -> Vec<Scenario> {
    files
        .iter()
        .flat_map(|(name, text)| {
            let path = format!("{name}.toml");
            scenario::parse_all(Path::new(&path), text, &Default::default(), &[])
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

/// Every file under `root` with its bytes, but the wall-clock timings.
fn results(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = crate::files_under(root);
    files.retain(|f, _| !f.ends_with("timing.json"));
    files
}

#[test]
fn staging_during_the_run_writes_what_writing_after_it_wrote() {
    let scenarios = load(&[
        ("alpha", file("alpha", 20, false)),
        ("beta", file("beta", 30, true)),
        ("gamma", file("gamma", 10, false)),
    ]);
    let home = tempfile::tempdir().unwrap();
    // After the run, on two threads: every file's folder drawn once all seeds are done.
    let after = sweep::OutDir::open(&home.path().join("after")).unwrap();
    let outcomes = sweep::run_all(&scenarios, &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    let dirs = sweep::write_all(&after, &outcomes, &scenarios, Default::default()).unwrap();
    assert_eq!(
        dirs.len(),
        3,
        "one folder per file: alpha, beta (two variants), gamma"
    );
    let expected = results(after.path());
    assert!(expected.contains_key("beta/servers-5/waterfall.png"));
    assert!(expected.contains_key("alpha/latency-users.png"));

    for threads in [1, 2] {
        let root = home.path().join(format!("during-{threads}"));
        let out = sweep::OutDir::open(&root).unwrap();
        let ran = sweep::run_and_stage(
            &out,
            &scenarios,
            &crate::on_threads(threads),
            Default::default(),
            &|_| {},
        )
        .unwrap_or_else(|f| panic!("{}", f[0].1));
        // The outcomes are the scenarios', in order; a folder per file, staged.
        let names: Vec<&str> = ran.outcomes.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "beta", "beta", "gamma"]);
        // The same summaries but the wall-clock timings (saved apart, in timing.json).
        let saved = |o: &sweep::ScenarioOutcome| archsim::report::saved_summary(&o.summary).0;
        for (o, r) in ran.outcomes.iter().zip(&outcomes) {
            assert_eq!(saved(o), saved(r), "{threads} threads");
        }
        assert_eq!(ran.staged.len(), 3);
        // Nothing is in place before the commit: only the hidden staged folders.
        let before: Vec<String> = crate::files_under(&root)
            .into_keys()
            .filter(|f| !f.starts_with(".archsim-partial-"))
            .collect();
        assert!(before.is_empty(), "in place before the commit: {before:?}");
        let placed = sweep::commit_all(&out, ran.staged).unwrap();
        assert_eq!(
            placed,
            dirs.iter()
                .map(|d| root.join(d.file_name().unwrap()))
                .collect::<Vec<_>>()
        );
        assert_eq!(results(&root), expected, "{threads} threads");
    }
}

#[test]
fn a_failed_run_leaves_the_results_folder_as_it_was() {
    // alpha takes about 10 requests/s × 60 s × 2 seeds; beta 2,000 requests/s, far beyond its
    // seeds' share of the budget: beta stops at its limit, alpha ends and is staged.
    let scenarios = load(&[
        ("alpha", file("alpha", 10, false)),
        ("beta", file("beta", 2000, false)),
    ]);
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("out");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("kept.txt"), "an earlier file").unwrap();
    let out = sweep::OutDir::open(&root).unwrap();
    let options = sweep::RunOptions {
        threads: Some(2),
        max_events: 100_000,
        covered: None,
    };
    let failures =
        match sweep::run_and_stage(&out, &scenarios, &options, Default::default(), &|_| {}) {
            Ok(_) => panic!("beta should have reached its event limit"),
            Err(f) => f,
        };
    let failed: Vec<&str> = failures.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(failed, ["beta"]);
    // alpha's staged folder went with the failure; nothing else was written.
    let left: Vec<String> = crate::files_under(&root).into_keys().collect();
    assert_eq!(left, ["kept.txt"]);
}
