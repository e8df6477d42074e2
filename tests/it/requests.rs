//! Request semantics: arrivals, timeouts that do not cancel work, retries, status propagation,
//! network hops.

use crate::{num, pointer_absent, run, scenario, series};
use archsim::world::World;

#[test]
fn constant_arrivals_are_exactly_rate_times_duration() {
    // 250/s evenly spaced over 60 s after a 10 s warmup: arrivals at k/250 s for k ≥ 1, so
    // those in [10 s, 70 s) number 60 × 250 = 15,000 exactly.
    let s = run(r#"
        [scenario]
        duration = "70s"
        warmup = "10s"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "constant", rate = 250 }
        [[component]]
        id = "svc"
        kind = "service"
        servers = 10
        service_time = "1ms"
    "#);
    assert_eq!(num(&s, "requests.total"), 15_000.0);
    assert_eq!(num(&s, "requests.by_status.200"), 15_000.0);
}

#[test]
fn a_last_window_the_run_does_not_fill_reads_the_offered_rate() {
    // 100/s (Poisson) for 5 min in windows of 2 min: the last window holds 60 s of the run,
    // about 6,000 arrivals (sd √6000 ≈ 77, 1.3 %), which are 100/s over those 60 s, not 50/s
    // over the window's 120 s. The service is busy 100/s × 50 ms = 5 servers of 10 on
    // average, in every window. 5 % is about 4 standard deviations of a window's count.
    let sc = scenario(
        r#"
        [scenario]
        duration = "5m"
        window = "2m"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "poisson", rate = 100 }
        [[component]]
        id = "svc"
        kind = "service"
        servers = 10
        service_time = "50ms"
    "#,
    );
    let r = World::build(&sc, 1).run().unwrap();
    for (actor, name, expected) in [
        ("u", "requests_rps", 100.0),
        ("svc", "arrivals_rps", 100.0),
        ("svc", "completions_rps", 100.0),
        ("svc", "utilisation", 0.5),
    ] {
        let v = series(&r, actor, name);
        assert_eq!(
            v.len(),
            3,
            "{actor} {name}: windows [0, 2m), [2m, 4m), [4m, 5m)"
        );
        for (i, x) in v.iter().enumerate() {
            assert!(
                (x / expected - 1.0).abs() < 0.05,
                "{actor} {name} window {i}: {x}, offered {expected} (seed 1)"
            );
        }
    }
}

#[test]
fn late_replies_count_the_calls_sent_after_the_warmup_as_every_figure_does() {
    // The service takes 200 ms and the client waits 100 ms, once: every call is answered
    // late. 10 requests a second (arrivals at k/10 s): 99 sent in the 10 s warmup, 900
    // after it. Only those 900 are counted late, as only they count in `requests.total`.
    let text = r#"
        [scenario]
        duration = "100s"
        warmup = "10s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "constant", rate = 10 }
        timeout = "100ms"
        retry = { attempts = 1 }
        [[component]]
        id = "svc"
        kind = "service"
        servers = 100
        service_time = "200ms"
    "#;
    let s = run(text);
    assert_eq!(num(&s, "requests.total"), 900.0);
    assert_eq!(num(&s, "components.svc.late_replies"), 900.0);
    // The same when the caller gives up while the answer is on its way back: a front
    // calls the service 6 ms away with a 100 ms timeout; 90 ms of work, the answer leaves at
    // 96 ms, before the timeout, and arrives at 102 ms, after it.
    let wire = text
        .replace("same_az = \"0s\"", "same_az = \"6ms\"")
        .replace("target = \"svc\"", "target = \"front\"")
        .replace("service_time = \"200ms\"", "service_time = \"90ms\"")
        + r#"
        [[component]]
        id = "front"
        kind = "service"
        servers = 100
        service_time = "1ms"
        calls = [ { to = "svc", timeout = "100ms", retry = { attempts = 1 } } ]
    "#;
    let s = run(&wire);
    assert_eq!(num(&s, "requests.total"), 900.0);
    assert_eq!(num(&s, "components.svc.late_replies"), 900.0);
}

#[test]
fn a_timeout_does_not_cancel_work_and_retries_amplify_it() {
    // The service takes 200 ms; the client gives up after 100 ms and tries 3 times in all.
    // Every request ends as a client timeout after 3 attempts, and the service still does all
    // 3 attempts' work: each of its answers arrives late and is counted as wasted.
    let s = run(r#"
        [scenario]
        duration = "100s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "constant", rate = 10 }
        timeout = "100ms"
        retry = { attempts = 3, base = "10ms", jitter = "none", on = ["timeout"] }
        [[component]]
        id = "svc"
        kind = "service"
        servers = 100
        service_time = "200ms"
    "#);
    // Constant arrivals come at k/rate for k ≥ 1: 999 of them before 100 s.
    let total = num(&s, "requests.total");
    assert_eq!(total, 999.0);
    assert_eq!(num(&s, "requests.by_status.timeout"), total);
    assert_eq!(num(&s, "requests.attempts"), 3.0 * total);
    assert_eq!(num(&s, "retry_amplification"), 3.0);
    // (The service's own `completed` counts only attempts that reached it before the end of
    // arrivals; the kernel's count of late replies includes the drain after it.)
    assert_eq!(num(&s, "components.svc.late_replies"), 3.0 * total);
    assert_eq!(num(&s, "throughput_rps"), 0.0);
    // No success, so no latency of successes; every request counts in the latency of all at
    // its time to fail: three attempts of 100 ms and backoffs of 10 and 20 ms, 330 ms.
    assert_eq!(num(&s, "latency_ms.count"), 0.0);
    assert_eq!(num(&s, "latency_all_ms.count"), total);
    for q in ["min", "p50", "p99", "max"] {
        if let Some(v) = archsim::metrics::pointer(&s, &format!("latency_all_ms.{q}")) {
            let v = v.as_f64().unwrap();
            assert!((v - 330.0).abs() < 0.5, "latency_all_ms.{q} = {v}");
        }
    }
}

#[test]
fn each_edge_counts_its_attempts_and_retries_and_their_amplification() {
    // The same deaf service behind a web tier whose call tries 3 times on a timeout: every
    // web request makes three attempts at "svc", two of them retries, an amplification of 3
    // on that edge, while the client (one attempt each, its timeout long) sees 1. Calls are
    // counted as they end at the caller, in the measured period.
    let s = run(r#"
        [scenario]
        duration = "100s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "web"
        arrival = { process = "constant", rate = 10 }
        timeout = "5s"
        retry = { attempts = 1 }
        [[component]]
        id = "web"
        kind = "service"
        servers = 100
        service_time = "1ms"
        calls = [ { to = "svc", timeout = "100ms", retry = { attempts = 3, base = "10ms", jitter = "none", on = ["timeout"] } } ]
        [[component]]
        id = "svc"
        kind = "service"
        servers = 100
        service_time = "200ms"
    "#);
    let attempts = num(&s, "components.web.calls.svc.attempts");
    let retries = num(&s, "components.web.calls.svc.retries");
    assert!(attempts > 2_900.0, "{attempts}");
    // But at the end of the measured period (a first attempt counted, its retries after).
    assert!(
        (attempts - retries - attempts / 3.0).abs() <= 1.0,
        "{attempts} {retries}"
    );
    let amplification = num(&s, "components.web.calls.svc.retry_amplification");
    assert!((amplification - 3.0).abs() < 0.01, "{amplification}");
    assert_eq!(num(&s, "retry_amplification"), 1.0);
    // The workload's own edge is counted as its requests' attempts, not as calls.
    assert!(pointer_absent(&s, "workloads.u.calls"));
}

#[test]
fn retries_turn_a_transient_503_into_success() {
    // One server, no queue: an attempt that finds it busy is refused with 503. Fresh arrivals
    // alone would be refused B(1, 0.2) = 0.2/1.2 ≈ 17 % of the time; retries add load, so
    // attempts are refused more often than that. With 5 attempts nearly every request
    // succeeds in the end.
    let s = run(r#"
        [scenario]
        duration = "10m"
        seeds = 2
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "poisson", rate = 20 }
        retry = { attempts = 5, base = "20ms", cap = "1s", jitter = "full", on = [503] }
        [[component]]
        id = "svc"
        kind = "service"
        servers = 1
        queue = 0
        service_time = { dist = "exponential", mean = "10ms" }
    "#);
    let p = num(&s, "components.svc.rejected_fraction");
    assert!(
        p > 0.2 / 1.2 + 0.02,
        "retries should raise the refusal rate above B(1, 0.2): {p}"
    );
    let err = num(&s, "error_rate");
    assert!(err < 0.01, "final failures need 5 refusals in a row: {err}");
    // Accounting: attempts = requests × amplification, of which a fraction p is refused and
    // the rest succeed, so amplification × (1 − p) = 1 − error rate (boundary effects aside).
    let amp = num(&s, "retry_amplification");
    assert!(
        (amp * (1.0 - p) - (1.0 - err)).abs() < 0.005,
        "amp {amp}, p {p}, err {err}"
    );
}

#[test]
fn a_downstream_timeout_becomes_504_and_a_downstream_503_passes_up() {
    let s = run(r#"
        [scenario]
        duration = "60s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "web"
        arrival = { process = "constant", rate = 10 }
        [[component]]
        id = "web"
        kind = "service"
        servers = 50
        service_time = "1ms"
        calls = [ { to = "slow", timeout = "50ms" } ]
        [[component]]
        id = "slow"
        kind = "service"
        servers = 50
        service_time = "80ms"
    "#);
    assert_eq!(num(&s, "requests.by_status.504"), num(&s, "requests.total"));
    // The web tier answers 504 after its 1 ms of work plus its 50 ms wait.
    assert!((num(&s, "components.web.response_ms.mean") - 51.0).abs() < 0.01);

    let s = run(r#"
        [scenario]
        duration = "60s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "web"
        arrival = { process = "constant", rate = 10 }
        [[component]]
        id = "web"
        kind = "service"
        servers = 50
        service_time = "1ms"
        calls = [ { to = "full" } ]
        [[component]]
        id = "full"
        kind = "service"
        servers = 1
        queue = 0
        service_time = "9.95s"
    "#);
    // Requests arrive at 0.1 s, 0.2 s, … (599 before 60 s) and reach "full" 1 ms later. The
    // one arriving at 0.1 s holds its only server until 10.051 s, the next free arrival is at
    // 10.1 s, and so on: 6 are served (0.1, 10.1, …, 50.1 s) and the other 593 are refused
    // with 503, which the web tier passes up.
    assert_eq!(num(&s, "requests.by_status.200"), 6.0);
    assert_eq!(num(&s, "requests.by_status.503"), 593.0);
}

#[test]
fn hops_cost_the_zone_latency_or_the_edge_override() {
    // Zero work everywhere: end-to-end latency is the network alone. web (zone a) → db
    // (zone b) is cross-zone: 2 × 1 ms; web → cache (zone a) is same-zone: 2 × 0.2 ms; the
    // client hop is 2 × 5 ms; the call to "far" overrides the latency with 3 ms each way.
    let s = run(r#"
        [scenario]
        duration = "10s"
        [network]
        same_az = "0.2ms"
        cross_az = "1ms"
        [[workload]]
        name = "u"
        target = "web"
        arrival = { process = "constant", rate = 10 }
        latency = "5ms"
        [[component]]
        id = "web"
        kind = "service"
        az = "a"
        servers = 10
        service_time = "0s"
        calls = [ { to = "db" }, { to = "cache" }, { to = "far", latency = "3ms" } ]
        [[component]]
        id = "db"
        kind = "service"
        az = "b"
        service_time = "0s"
        [[component]]
        id = "cache"
        kind = "service"
        az = "a"
        service_time = "0s"
        [[component]]
        id = "far"
        kind = "service"
        az = "a"
        service_time = "0s"
    "#);
    // 10 + 2 + 0.4 + 6 = 18.4 ms for every request.
    assert!(
        (num(&s, "latency_ms.mean") - 18.4).abs() < 1e-6,
        "{}",
        num(&s, "latency_ms.mean")
    );
    assert!((num(&s, "latency_ms.max") - 18.4).abs() < 1e-6);
}

#[test]
fn the_op_mix_and_fixed_call_ops_are_respected() {
    // A 9:1 mix reaches the service in proportion; p = 0.25 calls go downstream a quarter of
    // the time. 20,000 requests: binomial sd of the fraction is 0.002 and 0.003.
    let s = run(r#"
        [scenario]
        duration = "200s"
        [[workload]]
        name = "u"
        target = "web"
        arrival = { process = "poisson", rate = 100 }
        mix = [ { op = "read", weight = 9 }, { op = "write", weight = 1 } ]
        keys = { dist = "zipf", count = 1000, exponent = 1.1 }
        [[component]]
        id = "web"
        kind = "service"
        servers = 10
        service_time = "1ms"
        calls = [ { to = "audit", op = "log", probability = 0.25 } ]
        [[component]]
        id = "audit"
        kind = "service"
        servers = 10
        service_time = "1ms"
    "#);
    let frac = num(&s, "components.audit.arrivals") / num(&s, "components.web.arrivals");
    assert!((frac - 0.25).abs() < 0.012, "{frac}");
}

#[test]
fn overload_without_bounds_stops_with_a_clear_reason() {
    let sc = crate::scenario(
        r#"
        [scenario]
        duration = "1h"
        max_in_flight = 1000
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "poisson", rate = 200 }
        [[component]]
        id = "svc"
        kind = "service"
        service_time = "10ms"
    "#,
    );
    let err = archsim::world::World::build(&sc, 1)
        .run()
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 1000 calls in flight"), "{err}");
    assert!(err.contains("queue"), "{err}");
}

#[test]
fn trace_files_give_instants_or_a_rate_profile() {
    let dir = std::env::temp_dir().join(format!("archsim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Instants: five arrivals, one of them before the warmup ends and one after the end.
    std::fs::write(
        dir.join("instants.csv"),
        "time_s\n0.5\n1.5\n2.25\n2.25\n9.0\n12.0\n",
    )
    .unwrap();
    // A rate profile: 0/s for 10 s, then 100/s (Poisson) until the end at 30 s.
    std::fs::write(dir.join("rates.csv"), "time_s,rate\n0,0\n10,100\n").unwrap();
    let scenario_text = |file: &str| {
        format!(
            r#"
            [scenario]
            duration = "{}"
            warmup = "1s"
            [[workload]]
            name = "u"
            target = "svc"
            arrival = {{ process = "trace", file = "{file}" }}
            [[component]]
            id = "svc"
            kind = "service"
            servers = 4
            service_time = "1ms"
            "#,
            if file == "instants.csv" { "10s" } else { "30s" }
        )
    };
    let parse = |file: &str| {
        let path = dir.join("s.toml");
        archsim::scenario::parse(&path, &scenario_text(file)).unwrap_or_else(|e| panic!("{e}"))
    };
    // Arrivals at 1.5, 2.25, 2.25 and 9.0 s fall in [1 s, 10 s).
    let s = crate::run_scenario(&parse("instants.csv"));
    assert_eq!(num(&s, "requests.total"), 4.0);
    // 100/s over the 20 s after the profile switches on: 2,000 expected, Poisson sd 45.
    let s = crate::run_scenario(&parse("rates.csv"));
    let n = num(&s, "requests.total");
    assert!((n - 2000.0).abs() < 180.0, "{n}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A minute-long throttling outage (every call answered 429) in the middle of a run at 100
/// requests/s, against a client retrying with `retry`.
fn throttling_outage(retry: &str) -> archsim::metrics::Summary {
    run(&format!(
        r#"
        [scenario]
        duration = "180s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "api"
        arrival = {{ process = "constant", rate = 100 }}
        retry = {retry}
        [[component]]
        id = "api"
        kind = "service"
        servers = 100
        service_time = "1ms"
        [[fault]]
        at = "60s"
        for = "60s"
        kind = "error_injection"
        target = "api"
        rate = 1.0
        status = 429
        "#
    ))
}

#[test]
fn an_sdk_stops_retrying_a_throttling_outage_once_its_retry_quota_is_spent() {
    // aws-facts: §7 retry quota: 500 tokens, a throttled retry costs 5, so the client retries
    // 500 / 5 = 100 times and then returns the throttle at once; nothing refunds tokens while
    // every call fails, and after the outage no call fails. Exactly 100 retries in the run.
    let s = throttling_outage(r#"{ sdk = "standard" }"#);
    assert_eq!(num(&s, "requests.retries"), 100.0);
    // The outage's 6,000 requests fail (give or take the few whose retries outlived it).
    let throttled = num(&s, "requests.by_status.429");
    assert!((throttled - 6_000.0).abs() <= 100.0, "{throttled}");
    // A policy written by hand has no quota: every throttled request tries 3 times.
    let s = throttling_outage(r#"{ attempts = 3, base = "50ms" }"#);
    let retries = num(&s, "requests.retries");
    assert!((retries - 2.0 * 6_000.0).abs() <= 200.0, "{retries}");
}

/// 100 requests/s for a minute to a service that calls a DynamoDB table answering every
/// call with its throttle, a 400 (ProvisionedThroughputExceededException), retrying by
/// `retry`: the calls the service made to the table and the scenario's warnings.
fn throttled_table(retry: &str) -> (f64, Vec<String>) {
    let toml = format!(
        r#"
        [scenario]
        duration = "60s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "api"
        arrival = {{ process = "constant", rate = 100 }}
        retry = {{ attempts = 1 }}
        [[component]]
        id = "api"
        kind = "service"
        servers = 100
        service_time = "1ms"
        calls = [ {{ to = "orders", retry = {retry} }} ]
        [[component]]
        id = "orders"
        kind = "dynamodb"
        mode = "on_demand"
        [[fault]]
        at = "0s"
        kind = "error_injection"
        target = "orders"
        rate = 1.0
        status = 400
        "#
    );
    let sc = scenario(&toml);
    let out = archsim::sweep::run_all(std::slice::from_ref(&sc), &crate::on_threads(1), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    let calls = out[0].edges[&("api".to_string(), "orders".to_string())].calls as f64;
    (calls, crate::located_warnings(&toml))
}

#[test]
fn a_policy_by_hand_retries_the_callees_throttles_whatever_their_status() {
    // aws-facts: §7: an SDK retries throttling errors by their code; DynamoDB's is an HTTP
    // 400. A policy written by hand retries the callee's throttles by default, and with
    // "throttle" in `on`: 5,999 requests (at k / 100 s for k = 1 … 5,999), three attempts
    // each, every one a call along the
    // edge (the injected answers are given on the table's behalf, before it sees them).
    let base = r#"backoff = "constant", base = "1ms", jitter = "none""#;
    for retry in [
        format!("{{ attempts = 3, {base} }}"),
        format!("{{ attempts = 3, {base}, on = [\"throttle\", 503] }}"),
    ] {
        let (calls, warnings) = throttled_table(&retry);
        assert_eq!(calls, 3.0 * 5_999.0, "{retry}");
        assert!(warnings.is_empty(), "{retry}: {warnings:?}");
    }
    // `on = [429]` lists a status DynamoDB never answers: no throttle is retried, and the
    // scenario says so where the call is written.
    let (calls, warnings) = throttled_table(&format!("{{ attempts = 3, {base}, on = [429] }}"));
    assert_eq!(calls, 5_999.0);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("\"api\"'s retries of its calls to \"orders\" (Amazon DynamoDB) never retry a throttle: it answers one with 400")
            && warnings[0].contains("add \"throttle\" to `on`"),
        "{warnings:?}"
    );
}

#[test]
fn each_sdk_retries_with_its_own_costs_and_attempts() {
    // Java 2.x's legacy mode charges nothing for a throttled retry: the same outage is
    // retried in full, 4 attempts each (aws-facts: §7 pre-2026 table: 4 attempts; throttling
    // cost 0), 3 × 6,000 retries.
    let s = throttling_outage(r#"{ sdk = "java-v2" }"#);
    let retries = num(&s, "requests.retries");
    assert!((retries - 3.0 * 6_000.0).abs() <= 300.0, "{retries}");
    // `attempts` beside `sdk` changes the attempts only: 2 attempts, still within the quota.
    let s = throttling_outage(r#"{ sdk = "java-v2", attempts = 2 }"#);
    let retries = num(&s, "requests.retries");
    assert!((retries - 6_000.0).abs() <= 100.0, "{retries}");
}
