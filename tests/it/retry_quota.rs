//! The scope of the SDKs' retry quota (aws-facts: §7 retry quota: a token bucket of 500 per
//! client): each process holds its own clients, so each Lambda execution environment and
//! each Auto Scaling group's instance has buckets of its own, full when it starts.
//!
//! Every scenario here fails every call to its table with a 500 for the whole run, and its
//! arrivals stop well before the end, so every call ends inside the measured period and the
//! counts are exact. Under the standard mode's defaults a transient retry costs 14 tokens
//! and nothing is refunded while every call fails, so each client retries 500 / 14 = 35
//! times (10 tokens left) and then passes the 500 up at once.

use crate::{num, on_threads, scenario};
use archsim::sweep;

/// What one client retries before its quota is spent: ⌊500 / 14⌋.
const RETRIES_PER_CLIENT: f64 = 35.0;

/// The calls `from` made to `to` (first attempts and retries) and the summary, one seed.
fn calls_made(toml: &str, from: &str, to: &str) -> (f64, archsim::metrics::Summary) {
    let sc = scenario(toml);
    let mut out = sweep::run_all(std::slice::from_ref(&sc), &on_threads(1), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    let o = out.remove(0);
    let n = o.edges[&(from.to_string(), to.to_string())].calls as f64;
    (n, o.summary)
}

/// A table failing every call with a 500 from the start.
const FAILING_TABLE: &str = r#"
[[component]]
id = "table"
kind = "dynamodb"
mode = "on_demand"
[[fault]]
at = "0s"
kind = "error_injection"
target = "table"
rate = 1.0
status = 500
"#;

/// 100 requests a second to a function held to 5 environments (the rest throttled, and not
/// retried by the workload) in the bursts `steps` says, each invocation 100 ms of work then
/// one call to the failing table with the SDK's default retries.
fn function(steps: &str, idle_lifetime: &str) -> String {
    format!(
        r#"
[scenario]
duration = "40s"
[network]
same_az = "0s"
[[workload]]
name = "u"
target = "fn"
arrival = {{ process = "step", steps = {steps} }}
retry = {{ attempts = 1 }}
[[component]]
id = "fn"
kind = "lambda"
memory_mb = 1769
init = "100ms"
work = "100ms"
reserved_concurrency = 5
idle_lifetime = "{idle_lifetime}"
calls = [ {{ to = "table" }} ]
{FAILING_TABLE}"#
    )
}

#[test]
fn each_lambda_environment_spends_its_own_retry_quota() {
    // One burst of 5 s: the 5 environments are made at its start and kept busy (100 a
    // second against 5 executions of at least 100 ms each). An invocation retries 3 times
    // (4 attempts for DynamoDB) while its environment has tokens, so an environment spends
    // its 35 retries within its first 12 invocations, about 2 s; after that each invocation
    // makes one call. Every admitted invocation makes one first call: the calls beyond the
    // invocations are the retries, 5 × 35. One bucket for the whole function would allow
    // 35 in all.
    let toml = function(r#"[["0s", 100], ["5s", 0]]"#, "10m");
    let (calls, s) = calls_made(&toml, "fn", "table");
    assert_eq!(num(&s, "components.fn.cold_starts"), 5.0);
    let retries = calls - num(&s, "components.fn.invocations");
    assert_eq!(retries, 5.0 * RETRIES_PER_CLIENT);
}

#[test]
fn a_new_lambda_environment_retries_with_a_full_quota() {
    // Two bursts of 5 s, 15 s apart; the first burst's environments spend their quotas, go
    // idle at about 5 s and are recycled 5 s later (the second's likewise, at about 30 s).
    // The second burst meets none warm: its 5 new environments (10 cold starts in all) each
    // start with 500 tokens and spend them again: 2 × 5 × 35 retries.
    let toml = function(
        r#"[["0s", 100], ["5s", 0], ["20s", 100], ["25s", 0]]"#,
        "5s",
    );
    let (calls, s) = calls_made(&toml, "fn", "table");
    assert_eq!(num(&s, "components.fn.cold_starts"), 10.0);
    assert_eq!(num(&s, "components.fn.environments_recycled"), 10.0);
    let retries = calls - num(&s, "components.fn.invocations");
    assert_eq!(retries, 2.0 * 5.0 * RETRIES_PER_CLIENT);
    // Kept warm between the bursts, the same 5 environments come back with nothing left:
    // no retry in the second burst.
    let toml = function(
        r#"[["0s", 100], ["5s", 0], ["20s", 100], ["25s", 0]]"#,
        "10m",
    );
    let (calls, s) = calls_made(&toml, "fn", "table");
    assert_eq!(num(&s, "components.fn.cold_starts"), 5.0);
    let retries = calls - num(&s, "components.fn.invocations");
    assert_eq!(retries, 5.0 * RETRIES_PER_CLIENT);
}

#[test]
fn each_instance_of_an_auto_scaling_group_spends_its_own_retry_quota() {
    // Four instances in two zones, in service from the start, share 100 requests a second
    // for 5 s in turn (about 125 each); each request does 5 ms of work, then calls the failing
    // table with the SDK's default retries. Each instance's application has its own client:
    // 4 × 35 retries (a bucket per zone, as before, would allow 2 × 35; one per group 35).
    // The group answers every request (with the table's 500), so the calls beyond the
    // requests are the retries.
    let toml = format!(
        r#"
[scenario]
duration = "20s"
[network]
same_az = "0s"
cross_az = "0s"
[[workload]]
name = "u"
target = "web"
arrival = {{ process = "step", steps = [["0s", 100], ["5s", 0]] }}
retry = {{ attempts = 1 }}
[[component]]
id = "web"
kind = "ec2_autoscaling"
instance_type = "m5.large"
zones = ["a", "b"]
min = 4
max = 4
work = "5ms"
calls = [ {{ to = "table" }} ]
{FAILING_TABLE}"#
    );
    let (calls, s) = calls_made(&toml, "web", "table");
    let requests = num(&s, "requests.total");
    assert_eq!(num(&s, "requests.by_status.500"), requests);
    assert_eq!(calls - requests, 4.0 * RETRIES_PER_CLIENT);
}
