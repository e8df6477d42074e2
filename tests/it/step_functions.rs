//! Step Functions against its documented behaviour (aws-facts §18): Retry's waits and
//! attempts, Catch, Map's concurrency, Standard's answer before the execution ends and
//! Express's after, StartExecution's throttle, the StateTransition quota, duration limits,
//! and the price of each.

use crate::{num, run};
use archsim::metrics::pointer;

/// A scenario of `duration` at `rate` executions a second, no network latency, a `svc`
/// service taking `work` per call (a plenty of servers), the state machine `sfn` of
/// `workflow` with `extra` keys and `states`, and `more` (faults, other components).
fn scenario(
    duration: &str,
    rate: u32,
    work: &str,
    workflow: &str,
    extra: &str,
    states: &str,
    more: &str,
) -> String {
    format!(
        r#"
[scenario]
duration = "{duration}"
[network]
same_az = "0s"
[[workload]]
name = "u"
target = "sfn"
arrival = {{ process = "constant", rate = {rate} }}
retry = {{ attempts = 1 }}
[[component]]
id = "svc"
kind = "service"
servers = 10000
service_time = "{work}"
[[component]]
id = "sfn"
kind = "step_functions"
type = "{workflow}"
api_latency = "10ms"
transition_latency = "0s"
{extra}
{states}
{more}
"#
    )
}

/// Every call to `svc` fails at once with 500, for longer than any run here.
const SVC_FAILS: &str = r#"
[[fault]]
at = "0s"
for = "10h"
kind = "error_injection"
target = "svc"
rate = 1.0
status = 500
"#;

/// A task that calls `svc`, retried as `retry` says and caught into `done`.
fn retried(retry: &str) -> String {
    format!(
        r#"
[[component.state]]
name = "charge"
type = "task"
resource = "svc"
next = "done"
retry = [ {retry} ]
catch = [ {{ error_equals = ["States.ALL"], next = "done" }} ]
[[component.state]]
name = "done"
type = "succeed"
"#
    )
}

#[test]
fn retry_waits_interval_times_rate_to_the_n_capped_by_the_max_delay() {
    // aws-facts: §18 Retry: retry n (from 0) waits IntervalSeconds × BackoffRate^n. Every call
    // fails at once (no latency anywhere), so an execution lasts its waits alone:
    // 1 × 2^0 + 1 × 2^1 + 1 × 2^2 = 7 s with 3 attempts; then the catcher ends it in success.
    // 10 executions a second for 10 s: 99 (a constant process's first arrival comes after one
    // gap, its 100th at the end, which is not in the run).
    let s = run(&scenario(
        "10s",
        10,
        "1ms",
        "express",
        "",
        &retried(
            r#"{ error_equals = ["States.ALL"], interval_seconds = 1, backoff_rate = 2.0, max_attempts = 3 }"#,
        ),
        SVC_FAILS,
    ));
    assert_eq!(num(&s, "components.sfn.started"), 99.0);
    assert_eq!(num(&s, "components.sfn.succeeded"), 99.0);
    let mean = num(&s, "components.sfn.duration_ms.mean");
    let max = num(&s, "components.sfn.duration_ms.max");
    // The histogram keeps three significant digits: 7,000 ms within 0.1 %.
    assert!((mean - 7_000.0).abs() <= 7.0, "{mean}");
    assert!((max - 7_000.0).abs() <= 7.0, "{max}");
    // max_attempts counted exactly: 3 retries per execution, then one catch.
    assert_eq!(num(&s, "components.sfn.states.charge.retries"), 297.0);
    assert_eq!(num(&s, "components.sfn.states.charge.caught"), 99.0);
    assert_eq!(num(&s, "components.sfn.states.charge.entered"), 99.0);
    // Transitions: charge entered, 3 retries, done entered = 5 per execution.
    assert_eq!(num(&s, "components.sfn.transitions"), 495.0);

    // Capped by MaxDelaySeconds = 3: 1 + 2 + min(4, 3) = 6 s.
    let s = run(&scenario(
        "10s",
        10,
        "1ms",
        "express",
        "",
        &retried(r#"{ error_equals = ["States.ALL"], max_delay_seconds = 3 }"#),
        SVC_FAILS,
    ));
    let mean = num(&s, "components.sfn.duration_ms.mean");
    assert!((mean - 6_000.0).abs() <= 6.0, "{mean}");

    // max_attempts = 0: never retried, caught at once.
    let s = run(&scenario(
        "10s",
        10,
        "1ms",
        "express",
        "",
        &retried(r#"{ error_equals = ["States.ALL"], max_attempts = 0 }"#),
        SVC_FAILS,
    ));
    assert_eq!(num(&s, "components.sfn.states.charge.retries"), 0.0);
    assert_eq!(num(&s, "components.sfn.states.charge.caught"), 99.0);
    assert!(num(&s, "components.sfn.duration_ms.max") < 1.0);
}

#[test]
fn full_jitter_draws_each_wait_uniformly_below_its_value() {
    // aws-facts: §18 Retry: JitterStrategy FULL draws each wait from [0, delay]: waits of
    // 1, 2 and 4 s become uniform draws with means 0.5, 1 and 2 s: 3.5 s on average, never
    // above 7 s. The sum's variance is (1 + 4 + 16) / 12 = 1.75 s², so the mean of 300
    // executions (299) has a standard deviation of √(1.75 / 299) = 0.076 s: 0.35 s is over 4 of them.
    let s = run(&scenario(
        "30s",
        10,
        "1ms",
        "express",
        "",
        &retried(r#"{ error_equals = ["States.ALL"], jitter_strategy = "FULL" }"#),
        SVC_FAILS,
    ));
    assert_eq!(num(&s, "components.sfn.started"), 299.0);
    let mean = num(&s, "components.sfn.duration_ms.mean");
    assert!((mean - 3_500.0).abs() <= 350.0, "{mean}");
    assert!(num(&s, "components.sfn.duration_ms.max") <= 7_007.0);
}

#[test]
fn a_retrier_matches_only_its_errors_and_catch_routes_to_its_state() {
    // An order whose payment always fails (500): the catcher of every error sends it to the
    // compensating `release`, then to a fail state; `ship` is never reached.
    let states = r#"
[[component.state]]
name = "reserve"
type = "task"
resource = "svc"
op = "reserve"
next = "charge"
[[component.state]]
name = "charge"
type = "task"
resource = "pay"
next = "ship"
retry = [ { error_equals = ["Lambda.TooManyRequestsException"], max_attempts = 5 } ]
catch = [ { error_equals = ["States.TaskFailed"], next = "release" } ]
[[component.state]]
name = "ship"
type = "task"
resource = "svc"
end = true
[[component.state]]
name = "release"
type = "task"
resource = "svc"
next = "failed"
[[component.state]]
name = "failed"
type = "fail"
error = "OrderFailed"
"#;
    let pay = r#"
[[component]]
id = "pay"
kind = "service"
servers = 100
service_time = "1ms"
[[fault]]
at = "0s"
for = "10h"
kind = "error_injection"
target = "pay"
rate = 1.0
status = 500
"#;
    let s = run(&scenario("10s", 10, "1ms", "standard", "", states, pay));
    // 99 executions: the retrier names only 429s, so a 500 is not retried; the catcher's
    // States.TaskFailed takes it.
    assert_eq!(num(&s, "components.sfn.states.charge.retries"), 0.0);
    assert_eq!(num(&s, "components.sfn.states.charge.caught"), 99.0);
    assert_eq!(num(&s, "components.sfn.states.release.entered"), 99.0);
    assert_eq!(num(&s, "components.sfn.states.ship.entered"), 0.0);
    assert_eq!(num(&s, "components.sfn.failed"), 99.0);
    assert_eq!(num(&s, "components.sfn.succeeded"), 0.0);

    // A 429 is the retrier's: 5 retries, then (its attempts spent) the catcher, since a 429
    // is a task failure too.
    let throttled = pay.replace("status = 500", "status = 429");
    let s = run(&scenario(
        "10s", 10, "1ms", "standard", "", states, &throttled,
    ));
    assert_eq!(num(&s, "components.sfn.states.charge.retries"), 495.0);
    assert_eq!(num(&s, "components.sfn.states.charge.caught"), 99.0);

    // A catcher of timeouts alone does not take a 500: the error fails the execution at
    // `charge`.
    let only_timeouts = states.replace("[\"States.TaskFailed\"]", "[\"States.Timeout\"]");
    let s = run(&scenario(
        "10s",
        10,
        "1ms",
        "standard",
        "",
        &only_timeouts,
        pay,
    ));
    assert_eq!(num(&s, "components.sfn.states.charge.failed"), 99.0);
    assert_eq!(num(&s, "components.sfn.states.release.entered"), 0.0);
    assert_eq!(num(&s, "components.sfn.failed"), 99.0);
}

#[test]
fn a_task_timeout_is_states_timeout() {
    // The service takes 5 s; the task waits 1 s (`timeout_seconds`), fails with
    // States.Timeout, and its catcher of that error alone takes it.
    let states = r#"
[[component.state]]
name = "slow"
type = "task"
resource = "svc"
timeout_seconds = 1
end = true
catch = [ { error_equals = ["States.Timeout"], next = "gave_up" } ]
[[component.state]]
name = "gave_up"
type = "succeed"
"#;
    let s = run(&scenario("10s", 10, "5s", "express", "", states, ""));
    assert_eq!(num(&s, "components.sfn.states.slow.caught"), 99.0);
    assert_eq!(num(&s, "components.sfn.succeeded"), 99.0);
    let mean = num(&s, "components.sfn.duration_ms.mean");
    assert!((mean - 1_000.0).abs() <= 1.0, "{mean}");
}

#[test]
fn a_map_never_runs_more_items_at_once_than_its_limit() {
    // 20 items of 1 s each (the service's time), 3 at a time: ⌈20 / 3⌉ = 7 rounds of 1 s.
    let states = |conc: u32| {
        format!(
            r#"
[[component.state]]
name = "each"
type = "map"
iterator = "work"
items = 20
max_concurrency = {conc}
end = true
[[component.state]]
name = "work"
type = "task"
resource = "svc"
end = true
"#
        )
    };
    let s = run(&scenario("5s", 2, "1s", "express", "", &states(3), ""));
    assert_eq!(num(&s, "components.sfn.map_concurrency_max"), 3.0);
    assert_eq!(num(&s, "components.sfn.started"), 9.0);
    // 20 items each: the task entered 180 times.
    assert_eq!(num(&s, "components.sfn.states.work.entered"), 180.0);
    let mean = num(&s, "components.sfn.duration_ms.mean");
    assert!((mean - 7_000.0).abs() <= 7.0, "{mean}");
    // No limit (0): all 20 at once, one round.
    let s = run(&scenario("5s", 2, "1s", "express", "", &states(0), ""));
    assert_eq!(num(&s, "components.sfn.map_concurrency_max"), 20.0);
    let mean = num(&s, "components.sfn.duration_ms.mean");
    assert!((mean - 1_000.0).abs() <= 1.0, "{mean}");
    // An inline Map runs at most 40 iterations at once (AWS's developer guide): 100 items
    // with no limit of their own, or a limit of 100, take ⌈100 / 40⌉ = 3 rounds.
    for conc in ["0", "100"] {
        let hundred = states(0)
            .replace("items = 20", "items = 100")
            .replace("max_concurrency = 0", &format!("max_concurrency = {conc}"));
        let s = run(&scenario("5s", 2, "1s", "express", "", &hundred, ""));
        assert_eq!(num(&s, "components.sfn.map_concurrency_max"), 40.0);
        let mean = num(&s, "components.sfn.duration_ms.mean");
        assert!((mean - 3_000.0).abs() <= 3.0, "{conc}: {mean}");
    }
}

/// One task of 2 s.
const TWO_SECONDS: &str = r#"
[[component.state]]
name = "work"
type = "task"
resource = "svc"
end = true
"#;

#[test]
fn standard_answers_at_once_and_express_sync_at_the_end() {
    // aws-facts: §18: StartExecution (Standard) is answered once the execution starts: the
    // client waits api_latency (10 ms), while the execution takes the task's 2 s.
    let s = run(&scenario("10s", 10, "2s", "standard", "", TWO_SECONDS, ""));
    let client = num(&s, "latency_ms.p99");
    assert!((client - 10.0).abs() <= 0.1, "{client}");
    let took = num(&s, "components.sfn.duration_ms.mean");
    assert!((took - 2_000.0).abs() <= 2.0, "{took}");
    // The processing lag: from the client's request to the execution's end, 2 s.
    let lag = num(&s, "components.sfn.lag_ms.mean");
    assert!((lag - 2_000.0).abs() <= 2.0, "{lag}");
    // StartSyncExecution (Express) answers with the outcome: the client waits the 2 s.
    let s = run(&scenario("10s", 10, "2s", "express", "", TWO_SECONDS, ""));
    let client = num(&s, "latency_ms.p50");
    assert!((client - 2_000.0).abs() <= 2.0, "{client}");
}

#[test]
fn an_express_execution_times_out_after_five_minutes() {
    // aws-facts: §18: Express executions last at most 5 minutes; a 10-minute wait times out
    // at 300 s, and the synchronous caller is answered with the failure.
    let states = r#"
[[component.state]]
name = "long"
type = "wait"
seconds = 600
end = true
"#;
    let s = run(&scenario("10s", 1, "1ms", "express", "", states, ""));
    assert_eq!(num(&s, "components.sfn.timed_out"), 9.0);
    assert_eq!(num(&s, "components.sfn.succeeded"), 0.0);
    let took = num(&s, "components.sfn.duration_ms.max");
    assert!((took - 300_000.0).abs() <= 300.0, "{took}");
    // A Standard workflow may wait a year: the same wait succeeds after 600 s.
    let s = run(&scenario("10s", 1, "1ms", "standard", "", states, ""));
    assert_eq!(num(&s, "components.sfn.succeeded"), 9.0);
}

#[test]
fn a_throttled_start_execution_is_answered_400() {
    // aws-facts: §18: StartExecution is a token bucket; over it, ThrottlingException (400).
    // A bucket of 10 refilled at 5/s, offered 20/s for 10 s (199 calls, the first at 50 ms,
    // the last at 9.95 s): the 10 banked and 5 a second admitted, ⌊10 + 5 × 9.95⌋ = 59, give
    // or take the refill's last fraction of a token.
    let s = run(&scenario(
        "10s",
        20,
        "1ms",
        "standard",
        "start_rate = 5\nstart_burst = 10",
        TWO_SECONDS,
        "",
    ));
    let started = num(&s, "components.sfn.started");
    assert!((59.0..=60.0).contains(&started), "{started}");
    assert_eq!(num(&s, "components.sfn.requests"), 199.0);
    assert_eq!(num(&s, "components.sfn.by_status.400"), 199.0 - started);
    assert_eq!(num(&s, "requests.by_status.400"), 199.0 - started);
}

#[test]
fn standard_transitions_wait_for_their_quota() {
    // aws-facts: §18: a Standard workflow's transitions draw on a token bucket; without a
    // token the execution waits (ExecutionThrottled). Two pass states and a succeed: 3
    // transitions an execution, 20 executions a second for 10 s (199) = 597 transitions against
    // a bucket of 10 refilled at 10/s: the last is made about (597 − 10) / 10 = 58.7 s in,
    // though the last execution started at 9.95 s: it took about 48.75 s. All succeed.
    let states = r#"
[[component.state]]
name = "a"
type = "pass"
next = "b"
[[component.state]]
name = "b"
type = "pass"
next = "ok"
[[component.state]]
name = "ok"
type = "succeed"
"#;
    let s = run(&scenario(
        "10s",
        20,
        "1ms",
        "standard",
        "transition_rate = 10\ntransition_burst = 10",
        states,
        "",
    ));
    assert_eq!(num(&s, "components.sfn.succeeded"), 199.0);
    assert_eq!(num(&s, "components.sfn.transitions"), 597.0);
    assert!(num(&s, "components.sfn.transitions_delayed") > 500.0);
    let took = num(&s, "components.sfn.duration_ms.max");
    assert!((took - 48_750.0).abs() <= 1_000.0, "{took}");
}

#[test]
fn cost_is_per_transition_for_standard_and_per_request_and_gb_second_for_express() {
    // Standard: $0.025 per 1,000 transitions. A wait of 1 s and a succeed: 2 transitions,
    // 99 executions: 198 × $0.000025 = $0.00495.
    let states = r#"
[[component.state]]
name = "pause"
type = "wait"
seconds = 1
next = "ok"
[[component.state]]
name = "ok"
type = "succeed"
"#;
    let s = run(&scenario("10s", 10, "1ms", "standard", "", states, ""));
    assert_eq!(num(&s, "components.sfn.transitions"), 198.0);
    let cost = num(&s, "components.sfn.cost_usd");
    assert!((cost - 0.00495).abs() < 1e-12, "{cost}");
    // Express: $1.00 per million executions and $0.06 per GB-hour. Each lasts exactly 1 s
    // (no transition latency): billed 1.0 s at 64 MB = 1/16 GB-s. 99 executions:
    // 99 × ($0.000001 + 0.0625 × 0.06 / 3,600) = $0.000202125
    let s = run(&scenario("10s", 10, "1ms", "express", "", states, ""));
    assert!((num(&s, "components.sfn.billed_gb_s") - 99.0 / 16.0).abs() < 1e-9);
    let cost = num(&s, "components.sfn.cost_usd");
    let want = 99.0 * (1e-6 + 0.0625 * 0.06 / 3_600.0);
    assert!((cost - want).abs() < 1e-12, "{cost} vs {want}");
    // 100 MB is billed as two 64 MB chunks: 128 MB = 0.125 GB-s each, 99 / 8 in all.
    let s = run(&scenario(
        "10s",
        10,
        "1ms",
        "express",
        "memory_mb = 100",
        states,
        "",
    ));
    assert!((num(&s, "components.sfn.billed_gb_s") - 99.0 / 8.0).abs() < 1e-9);
}

#[test]
fn a_parallel_state_waits_for_all_its_branches_and_fails_with_one() {
    // Two branches, of 1 s and 2 s: the state goes on after 2 s.
    let states = r#"
[[component.state]]
name = "both"
type = "parallel"
branches = ["short", "long"]
end = true
catch = [ { error_equals = ["States.ALL"], next = "undo" } ]
[[component.state]]
name = "short"
type = "wait"
seconds = 1
end = true
[[component.state]]
name = "long"
type = "wait"
seconds = 2
next = "maybe"
[[component.state]]
name = "maybe"
type = "pass"
end = true
[[component.state]]
name = "undo"
type = "succeed"
"#;
    let s = run(&scenario("10s", 10, "1ms", "express", "", states, ""));
    assert_eq!(num(&s, "components.sfn.succeeded"), 99.0);
    let took = num(&s, "components.sfn.duration_ms.mean");
    assert!((took - 2_000.0).abs() <= 2.0, "{took}");
    // The short branch fails (a fail state raising "Broken") at 1 s: the parallel state
    // fails then, without waiting for the long one, and its catcher takes the error.
    let failing = states.replace(
        "name = \"short\"\ntype = \"wait\"\nseconds = 1\nend = true",
        "name = \"short\"\ntype = \"wait\"\nseconds = 1\nnext = \"broken\"\n[[component.state]]\nname = \"broken\"\ntype = \"fail\"\nerror = \"Broken\"",
    );
    let failing = failing.replace("[\"States.ALL\"]", "[\"Broken\"]");
    assert!(failing.contains("[\"Broken\"]") && failing.contains("name = \"broken\""));
    let s = run(&scenario("10s", 10, "1ms", "express", "", &failing, ""));
    assert_eq!(num(&s, "components.sfn.states.both.caught"), 99.0);
    assert_eq!(num(&s, "components.sfn.states.maybe.entered"), 0.0);
    let took = num(&s, "components.sfn.duration_ms.mean");
    assert!((took - 1_000.0).abs() <= 1.0, "{took}");
}

/// Two state machines, `a` and `b`, each started by its own workload at `rate` a second
/// for 10 s, each with one Pass state; `b_extra` goes into `b`'s table (a region, say).
fn two_machines(rate: u32, quota: &str, b_extra: &str) -> String {
    let machine = |id: &str, extra: &str| {
        format!(
            r#"
[[workload]]
name = "u{id}"
target = "{id}"
arrival = {{ process = "constant", rate = {rate} }}
retry = {{ attempts = 1 }}
[[component]]
id = "{id}"
kind = "step_functions"
api_latency = "10ms"
transition_latency = "0s"
{quota}
{extra}
[[component.state]]
name = "ok"
type = "succeed"
"#
        )
    };
    format!(
        "[scenario]\nduration = \"10s\"\n[network]\nsame_az = \"0s\"\ncross_region = \"0s\"\n{}{}",
        machine("a", ""),
        machine("b", b_extra)
    )
}

#[test]
fn state_machines_of_one_account_and_region_share_the_start_execution_bucket() {
    // aws-facts: §18: StartExecution's bucket is the account's in the Region. A bucket of 10
    // refilled at 5/s; each machine offered 4/s for 10 s (39 calls, at 0.25 s … 9.75 s).
    let quota = "start_rate = 5\nstart_burst = 10";
    // Alone, 4/s is under the refill: all 39 start.
    let s = run(&two_machines(4, quota, "region = \"eu-west-1\""));
    assert_eq!(num(&s, "components.a.started"), 39.0);
    assert_eq!(num(&s, "components.b.started"), 39.0);
    assert_eq!(num(&s, "components.a.throttles"), 0.0);
    assert_eq!(num(&s, "components.b.throttles"), 0.0);
    // Together in one Region, 8/s against 5/s: the 10 banked and 5 a second admitted by the
    // last calls at 9.75 s, ⌊10 + 5 × 9.75⌋ = 58, give or take the refill's last fraction.
    let s = run(&two_machines(4, quota, ""));
    let started = num(&s, "components.a.started") + num(&s, "components.b.started");
    assert!((57.0..=59.0).contains(&started), "{started}");
    let throttled = num(&s, "components.a.throttles") + num(&s, "components.b.throttles");
    assert_eq!(throttled, 78.0 - started);
    // Who is refused follows arrival order: a's calls come first at each instant, so once
    // the bank is spent it is b's that find the bucket empty (each alone was never refused).
    assert!(num(&s, "components.b.throttles") > 0.0);
}

#[test]
fn state_machines_of_one_region_share_the_state_transition_bucket_and_open_executions() {
    // aws-facts: §18: StateTransition's bucket is the account's in the Region too. One
    // transition per execution (the succeed state), 4/s each, a bucket of 5 refilled at 5/s:
    // alone none waits; together 8 transitions a second against 5, so some wait.
    let quota = "transition_rate = 5\ntransition_burst = 5";
    let s = run(&two_machines(4, quota, "region = \"eu-west-1\""));
    assert_eq!(num(&s, "components.a.transitions_delayed"), 0.0);
    assert_eq!(num(&s, "components.b.transitions_delayed"), 0.0);
    let s = run(&two_machines(4, quota, ""));
    let waited =
        num(&s, "components.a.transitions_delayed") + num(&s, "components.b.transitions_delayed");
    // The bucket runs dry once 5 + 5t < 8t, t > 1.7 s; from then on 3 a second more than
    // the refill arrive: about 3 × (9.75 − 1.7) ≈ 24 transitions or more wait (each waiter
    // also holds back later ones: they queue behind it).
    assert!(waited >= 20.0, "{waited}");
    assert_eq!(
        num(&s, "components.a.succeeded") + num(&s, "components.b.succeeded"),
        78.0
    );
    // Open executions are the account's too: a 5-s wait each, at most 12 open in the
    // Region. Alone each machine would hold 4/s × 5 s = 20 open. Together, 2 starts every
    // 0.25 s fill the 12 by 1.5 s; every start is then refused until the first two end at
    // 5.25 s, and from then one start per end: 2 at each of 5.25 … 6.5 s (12), after which
    // the next end is at 10.25 s, past the last call (9.75 s). 24 of the 78 start, give or
    // take an end and a start at the same instant.
    let states = "[[component.state]]\nname = \"w\"\ntype = \"wait\"\nseconds = 5\nend = true\n";
    let scenario = two_machines(4, "max_open_executions = 12", "").replace(
        "[[component.state]]\nname = \"ok\"\ntype = \"succeed\"\n",
        states,
    );
    let s = run(&scenario);
    let running = num(&s, "components.a.running_max") + num(&s, "components.b.running_max");
    assert!(running <= 12.0 + 1e-9, "{running}");
    let started = num(&s, "components.a.started") + num(&s, "components.b.started");
    assert!((22.0..=26.0).contains(&started), "{started}");
    assert_eq!(
        num(&s, "components.a.refused_open_limit") + num(&s, "components.b.refused_open_limit"),
        78.0 - started
    );
}

#[test]
fn a_machine_timeout_ends_executions_timed_out() {
    // ASL's top-level TimeoutSeconds: a 10-s wait under timeout_seconds = 3 ends TIMED_OUT
    // 3 s after its start. 1 execution a second for 10 s: 9, all timed out (the run goes on
    // until the work in flight ends).
    let states = r#"
[[component.state]]
name = "long"
type = "wait"
seconds = 10
end = true
"#;
    let s = run(&scenario(
        "10s",
        1,
        "1ms",
        "standard",
        "timeout_seconds = 3",
        states,
        "",
    ));
    assert_eq!(num(&s, "components.sfn.timed_out"), 9.0);
    assert_eq!(num(&s, "components.sfn.succeeded"), 0.0);
    let took = num(&s, "components.sfn.duration_ms.max");
    assert!((took - 3_000.0).abs() <= 3.0, "{took}");
}

#[test]
fn stop_executions_aborts_the_running_ones_and_ignores_their_tasks_answers() {
    // StopExecution on every running execution at 1.05 s: the 10 started at 0.1 … 1.0 s are
    // in their 2-s task; they end ABORTED at once, and the task's answers
    // that come later are ignored (no success, no failure, no catch). The 89 started after
    // the fault (1.1 … 9.9 s) succeed: the run goes on until they end.
    let states = r#"
[[component.state]]
name = "work"
type = "task"
resource = "svc"
next = "done"
catch = [ { error_equals = ["States.ALL"], next = "done" } ]
[[component.state]]
name = "done"
type = "succeed"
"#;
    let fault = r#"
[[fault]]
at = "1050ms"
kind = "stop_executions"
target = "sfn"
"#;
    let s = run(&scenario("10s", 10, "2s", "standard", "", states, fault));
    assert_eq!(num(&s, "components.sfn.started"), 99.0);
    assert_eq!(num(&s, "components.sfn.aborted"), 10.0);
    assert_eq!(num(&s, "components.sfn.succeeded"), 89.0);
    assert_eq!(num(&s, "components.sfn.failed"), 0.0);
    assert_eq!(num(&s, "components.sfn.states.work.caught"), 0.0);
    // 99 entered `work`, 89 went on to `done`: the aborted ones never left it.
    assert_eq!(num(&s, "components.sfn.states.done.entered"), 89.0);
    // The clients were answered at start, before the stop: all 200.
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
}

/// A Standard machine at 10 executions a second for a minute whose one task invokes the
/// function `fn` with the machine's role `sfn-role` granting `actions`: the task retries the
/// Lambda errors AWS advises retrying and catches `States.Permissions` into a Fail state.
fn with_role(actions: &str) -> String {
    format!(
        r#"
[scenario]
duration = "1m"
[network]
same_az = "0s"
[[workload]]
name = "u"
target = "sfn"
arrival = {{ process = "constant", rate = 10 }}
retry = {{ attempts = 1 }}
[[role]]
id = "sfn-role"
statements = [ {{ effect = "Allow", actions = [{actions}], resources = ["*"] }} ]
[[component]]
id = "fn"
kind = "lambda"
runtime = "python3.12"
work = "5ms"
[[component]]
id = "sfn"
kind = "step_functions"
type = "standard"
role = "sfn-role"
api_latency = "10ms"
transition_latency = "0s"
[[component.state]]
name = "charge"
type = "task"
resource = "fn"
next = "done"
retry = [ {{ error_equals = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"], max_attempts = 3 }} ]
catch = [ {{ error_equals = ["States.Permissions"], next = "denied" }} ]
[[component.state]]
name = "denied"
type = "fail"
error = "NotAllowed"
[[component.state]]
name = "done"
type = "succeed"
"#
    )
}

#[test]
fn a_task_its_role_denies_fails_with_states_permissions_and_is_not_retried() {
    // The role grants DynamoDB only: each task's Invoke is denied at once (403, aws-facts
    // §19), which is ASL's States.Permissions (a task without the privileges to run), not a
    // Lambda error: the Lambda retrier does not retry it and the catcher takes every one.
    let s = run(&with_role("\"dynamodb:GetItem\""));
    let started = num(&s, "components.sfn.started");
    assert!(started >= 590.0, "{started}");
    assert_eq!(num(&s, "components.sfn.access.denied.fn"), started);
    assert_eq!(num(&s, "components.sfn.states.charge.retries"), 0.0);
    assert_eq!(num(&s, "components.sfn.states.charge.caught"), started);
    assert_eq!(num(&s, "components.sfn.states.denied.entered"), started);
    assert_eq!(num(&s, "components.sfn.failed"), started);
    assert_eq!(num(&s, "components.fn.invocations"), 0.0);
    // Granted lambda:InvokeFunction, the same machine invokes the function on every task.
    let s = run(&with_role("\"lambda:InvokeFunction\""));
    let started = num(&s, "components.sfn.started");
    assert_eq!(num(&s, "components.fn.invocations"), started);
    assert_eq!(num(&s, "components.sfn.succeeded"), started);
    assert!(pointer(&s, "components.sfn.access").is_none());
}

#[test]
fn the_history_limit_stops_a_standard_loop_and_not_an_express_one() {
    // aws-facts: §18: a Standard execution's history holds at most 25,000 events (counted
    // as transitions); an Express workflow keeps no history, so only its 5 minutes stop it.
    let looping = |kind: &str| {
        format!(
            r#"[scenario]
duration = "60s"
[[workload]]
name = "w"
target = "m"
arrival = {{ process = "step", steps = [["0s", 2], ["3s", 0]] }}
timeout = "400s"
[[component]]
id = "m"
kind = "step_functions"
type = "{kind}"
transition_latency = "1ms"
[[component.state]]
name = "a"
type = "pass"
next = "loop"
[[component.state]]
name = "loop"
type = "choice"
choices = [ {{ next = "a", probability = 0.999999 }} ]
default = "done"
[[component.state]]
name = "done"
type = "succeed"
"#
        )
    };
    let standard = run(&looping("standard"));
    let started = num(&standard, "requests.total");
    assert!(started >= 3.0, "{started}");
    assert_eq!(num(&standard, "components.m.history_limit"), started);
    let express = run(&looping("express"));
    assert_eq!(num(&express, "requests.total"), started);
    assert_eq!(num(&express, "components.m.history_limit"), 0.0);
    // Each ran its 5 minutes, far past 25,000 transitions of 1 ms.
    assert!(num(&express, "components.m.transitions") > started * 200_000.0);
}
