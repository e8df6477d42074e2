//! Integration tests, in one binary so the test build stays fast.
//!
//! `run(toml)` runs a scenario given as text and returns its `summary.json` value; most tests
//! are a scenario and a few assertions on that value, with the expected figure derived beside.

mod autoscaling;
mod bad_input;
mod bundled;
mod cache;
mod capacity;
mod cloudfront;
mod cors;
mod determinism;
mod dynamodb;
mod dynamodb_streams;
mod ebs;
mod expectations;
mod experiments;
mod faults;
mod fuzz;
mod iam;
mod import;
mod kernel_bench;
mod kinds;
mod kms;
mod lambda_async;
mod load_balancer;
mod network_acls;
mod outputs;
pub mod queueing;
mod rds;
mod recorders;
mod reports;
mod requests;
mod retry_quota;
mod route53;
mod s3;
mod schema;
mod security_groups;
mod shards;
mod slides;
mod sns;
mod sqs;
mod step_functions;
mod traces;

mod serverless;
mod service_map;
mod untrusted;

use archsim::metrics::{pointer, summarize, Summary, SummaryMeta};
use archsim::scenario::{self, Scenario};
use archsim::world::World;
use std::path::Path;

/// web in zone a calls db in zone b (`timeout = db_timeout`), 100 requests a second from a
/// constant workload on 100 servers each, with no network delay: every figure is exact.
/// `scenario` adds keys to `[scenario]`, whose duration is 60 s; `more` is appended.
pub fn web_and_db(scenario: &str, db_timeout: &str, more: &str) -> String {
    format!(
        r#"
[scenario]
duration = "60s"
{scenario}
[network]
same_az = "0s"
cross_az = "0s"
[[workload]]
name = "u"
target = "web"
arrival = {{ process = "constant", rate = 100 }}
timeout = "1s"
[[component]]
id = "web"
kind = "service"
az = "a"
servers = 100
service_time = "10ms"
calls = [ {{ to = "db", timeout = "{db_timeout}" }} ]
[[component]]
id = "db"
kind = "service"
az = "b"
servers = 100
service_time = "5ms"
{more}"#
    )
}

/// Parses scenario text (named `test.toml` in messages), panicking with its diagnostics.
pub fn scenario(toml: &str) -> Scenario {
    scenario::parse(Path::new("test.toml"), toml)
        .unwrap_or_else(|e| panic!("scenario does not parse:\n{e}"))
}

/// The warnings of scenario text that parses (`scenario`), as "line:column message".
pub fn located_warnings(toml: &str) -> Vec<String> {
    scenario(toml)
        .warnings
        .iter()
        .map(|w| format!("{}:{} {}", w.line, w.column, w.message))
        .collect()
}

/// The diagnostics of scenario text (named `test.toml` in them) that must not parse.
pub fn refused(toml: &str) -> String {
    match scenario::parse(Path::new("test.toml"), toml) {
        Ok(_) => panic!("the scenario parsed:\n{toml}"),
        Err(e) => e.to_string(),
    }
}

/// Runs every seed of a scenario and summarises them as `archsim run` would.
pub fn run(toml: &str) -> Summary {
    run_scenario(&scenario(toml))
}

pub fn run_scenario(sc: &Scenario) -> Summary {
    let runs: Vec<_> = sc
        .seed_list()
        .into_iter()
        .map(|seed| {
            World::build(sc, seed)
                .run()
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    summarize(
        &SummaryMeta {
            scenario: &sc.name,
            variant: None,
            description: &sc.description,
            compare: sc.compare.as_deref(),
        },
        &runs,
    )
}

/// Actor `actor`'s time series `name` in one run, a value per window.
pub fn series<'a>(r: &'a archsim::metrics::RunResult, actor: &str, name: &str) -> &'a [f64] {
    let a = r
        .actors
        .iter()
        .find(|a| a.name == actor)
        .unwrap_or_else(|| panic!("no actor {actor}"));
    &a.series
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{actor} has no series {name}"))
        .1
}

/// When event `name` first happened in one run [s].
pub fn event_at(r: &archsim::metrics::RunResult, name: &str) -> f64 {
    r.events
        .iter()
        .find(|e| e.event == name)
        .unwrap_or_else(|| panic!("no event {name}"))
        .time
        .as_secs_f64()
}

/// The number at a dotted path of a summary.
pub fn num(summary: &Summary, path: &str) -> f64 {
    pointer(summary, path)
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("no number at {path} in the summary"))
}

/// Whether a summary has nothing at a dotted path (a status never answered, a reason never
/// given).
pub fn pointer_absent(summary: &Summary, path: &str) -> bool {
    pointer(summary, path).is_none()
}

/// The number at `path` in each seed's part of the summary.
pub fn per_seed(summary: &Summary, path: &str) -> Vec<f64> {
    summary["per_seed"]
        .as_array()
        .expect("per_seed")
        .iter()
        .map(|s| {
            pointer(s, path)
                .and_then(|v| v.as_f64())
                .unwrap_or_else(|| panic!("no number at per_seed[].{path}"))
        })
        .collect()
}

/// Checks a simulated statistic against theory with independent replications (one per
/// seed): the theoretical value must lie in the 99 % Student-t interval of the replications'
/// mean, and that interval must be narrower than `max_rel_half_width` of the value, so the
/// check is sharp enough to catch a model that is wrong by more than that.
pub fn assert_theory(what: &str, values: &[f64], theory: f64, max_rel_half_width: f64) {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let n = values.len() as f64;
    assert!(n >= 5.0, "{what}: need at least 5 replications");
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .unwrap()
        .inverse_cdf(0.995);
    let half = t * sd / n.sqrt();
    assert!(
        half <= max_rel_half_width * theory.abs(),
        "{what}: the 99% interval ±{half:.4} is wider than {:.1}% of the theory {theory:.4}; run longer",
        100.0 * max_rel_half_width
    );
    assert!(
        (mean - theory).abs() <= half,
        "{what}: simulated {mean:.5} ± {half:.5} (99%, {n} seeds) does not contain theory {theory:.5}; values {values:?}"
    );
}

/// The hit ratio of a TTL cache that never evicts, fed by Poisson arrivals at `rate` over
/// `keys` keys of Zipf(1.0) popularity. A key with rate λ misses once and then hits until its
/// entry expires T later, so its hit ratio is λT / (1 + λT); the cache's is the
/// traffic-weighted mean over keys.
pub fn ttl_cache_hit_ratio(keys: usize, rate: f64, ttl_s: f64) -> f64 {
    let h: f64 = (1..=keys).map(|k| 1.0 / k as f64).sum();
    (1..=keys)
        .map(|k| {
            let p = 1.0 / k as f64 / h;
            let x = rate * p * ttl_s;
            p * x / (1.0 + x)
        })
        .sum()
}

/// Runs the archsim binary in `dir` with `args`, without an array-job index in its
/// environment (a CI runner may set one, and `--shard N` would read it).
pub fn archsim(args: &[&str], dir: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(args)
        .current_dir(dir)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
        .output()
        .expect("the archsim binary runs")
}

/// Runs the archsim binary like `archsim` and asserts that it succeeded, showing its errors
/// when it did not.
pub fn archsim_ok(args: &[&str], dir: &Path) -> std::process::Output {
    let o = archsim(args, dir);
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    o
}

/// Every file under `root` (but lock files), by its path inside it, with its bytes, sorted.
pub fn files_under(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if !name.ends_with(".archsim.lock") {
                out.insert(name, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// What a run of the binary printed, standard output then standard error.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Run options with `threads` worker threads and the default budget.
pub fn on_threads(threads: usize) -> archsim::sweep::RunOptions {
    archsim::sweep::RunOptions {
        threads: Some(threads),
        ..Default::default()
    }
}

/// Edits of a scenario template that fail loudly when the text to replace is not there: a
/// test whose edit silently matched nothing would test the template, not the change.
pub trait Edit {
    /// `self` with every `from` replaced by `to`; panics if `from` does not occur.
    fn edit(&self, from: &str, to: &str) -> String;
}

impl Edit for str {
    fn edit(&self, from: &str, to: &str) -> String {
        assert!(
            self.contains(from),
            "the template has no {from:?} to replace:\n{self}"
        );
        self.replace(from, to)
    }
}
