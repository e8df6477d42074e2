//! API Gateway and Lambda against their documented behaviour (aws-facts §1 and §2).

use crate::{assert_theory, num, per_seed, run};

#[test]
fn a_steady_stream_at_exactly_the_stage_throttle_passes_in_full_at_any_rate() {
    // aws-facts: §1 API Gateway token bucket. Constant arrivals at the throttle's own rate
    // with a burst of 1: each request finds its token (3/s and 7/s once throttled a third,
    // their arrival instants a nanosecond short of a whole token).
    for rate in [3, 7, 10, 333] {
        let s = run(&format!(
            r#"
            [scenario]
            duration = "60s"
            [[workload]]
            name = "u"
            target = "api"
            arrival = {{ process = "constant", rate = {rate} }}
            [[component]]
            id = "api"
            kind = "api_gateway"
            target = "fn"
            throttle = {{ rate = {rate}, burst = 1 }}
            overhead = "0s"
            [[component]]
            id = "fn"
            kind = "lambda"
            memory_mb = 1769
            work = "1ms"
            provisioned_concurrency = 10
            reserved_concurrency = 10
        "#
        ));
        assert_eq!(
            num(&s, "requests.total"),
            f64::from(rate * 60 - 1),
            "{rate}/s"
        );
        assert_eq!(
            num(&s, "requests.by_status.200"),
            num(&s, "requests.total"),
            "{rate}/s: {}",
            s["requests"]["by_status"]
        );
    }
}

#[test]
fn a_stage_throttle_admits_burst_plus_rate_and_answers_429() {
    // 400/s evenly spaced for 60 s against a stage throttle of 100/s with burst 50. The
    // bucket holds 50 at t = 0 and refills 100/s: by the last arrival (t = 59.9975 s) it has
    // let through 50 + floor(100 × 59.9975) = 6,049 of the 23,999 requests.
    let s = run(r#"
        [scenario]
        duration = "60s"
        [[workload]]
        name = "u"
        target = "api"
        arrival = { process = "constant", rate = 400 }
        [[component]]
        id = "api"
        kind = "api_gateway"
        target = "fn"
        throttle = { rate = 100, burst = 50 }
        overhead = "0s"
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 1769
        work = "1ms"
        provisioned_concurrency = 10
        reserved_concurrency = 10
    "#);
    assert_eq!(num(&s, "requests.total"), 23_999.0);
    assert_eq!(num(&s, "requests.by_status.200"), 6_049.0);
    assert_eq!(num(&s, "requests.by_status.429"), 23_999.0 - 6_049.0);
    assert_eq!(
        num(&s, "components.api.throttled_by.stage"),
        23_999.0 - 6_049.0
    );
}

#[test]
fn the_account_throttle_is_shared_by_every_api() {
    // Two APIs at 300/s each, account rate 200/s and burst 10: together they get about
    // 200/s (10 + 200 × 30 = 6,010 in 30 s), split between them.
    let s = run(r#"
        [scenario]
        duration = "30s"
        [account]
        api_gateway_rate = 200
        api_gateway_burst = 10
        [[workload]]
        name = "a"
        target = "api1"
        arrival = { process = "constant", rate = 300 }
        [[workload]]
        name = "b"
        target = "api2"
        arrival = { process = "constant", rate = 300 }
        [[component]]
        id = "api1"
        kind = "api_gateway"
        target = "fn"
        [[component]]
        id = "api2"
        kind = "api_gateway"
        target = "fn"
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 1769
        work = "1ms"
        provisioned_concurrency = 20
    "#);
    let ok = num(&s, "requests.by_status.200");
    assert!((ok - 6_010.0).abs() <= 2.0, "{ok}");
    assert!(num(&s, "components.api1.throttled_by.account") > 2000.0);
    assert!(num(&s, "components.api2.throttled_by.account") > 2000.0);
}

#[test]
fn lambda_throttles_the_erlang_b_fraction_behind_its_concurrency_limit() {
    // Reserved concurrency 10, all provisioned (no cold starts), exponential 100 ms at a full
    // vCPU, Poisson 80/s: an M/M/10/10 loss system with a = 8 erlangs, so the throttled
    // fraction is Erlang B(10, 8) ≈ 0.1217. Little's law: mean concurrency = admitted rate ×
    // mean duration = 80 × (1 − B) × 0.1.
    let b = {
        let a: f64 = 8.0;
        (1..=10).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
    };
    let s = run(r#"
        [scenario]
        duration = "1h"
        warmup = "1m"
        seeds = 10
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "fn"
        arrival = { process = "poisson", rate = 80 }
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 1769
        work = { dist = "exponential", mean = "100ms" }
        reserved_concurrency = 10
        provisioned_concurrency = 10
    "#);
    assert_theory(
        "throttled fraction",
        &per_seed(&s, "components.fn.throttle_fraction"),
        b,
        0.04,
    );
    assert_theory(
        "mean concurrency",
        &per_seed(&s, "components.fn.concurrency_mean"),
        8.0 * (1.0 - b),
        0.02,
    );
    assert_eq!(num(&s, "components.fn.cold_starts"), 0.0);
    assert_eq!(
        num(&s, "requests.by_status.429"),
        num(&s, "components.fn.throttles")
    );
}

#[test]
fn provisioned_concurrency_removes_cold_starts_up_to_its_size() {
    // Constant traffic of 100 ms work at a full vCPU needs rate/10 concurrent executions.
    let scenario = |rate: u32, provisioned: u32| {
        format!(
            r#"
            [scenario]
            duration = "2m"
            [[workload]]
            name = "u"
            target = "fn"
            arrival = {{ process = "constant", rate = {rate} }}
            [[component]]
            id = "fn"
            kind = "lambda"
            memory_mb = 1769
            runtime = "java"
            work = "100ms"
            provisioned_concurrency = {provisioned}
            "#
        )
    };
    // 50/s needs 5: with 8 provisioned nothing ever starts cold, and no request pays an init.
    let covered = run(&scenario(50, 8));
    assert_eq!(num(&covered, "components.fn.cold_starts"), 0.0);
    assert!((num(&covered, "latency_ms.max") - 100.0).abs() < 1.0);
    // 100/s needs 10: beyond the 8 provisioned, on-demand environments start cold, and a Java
    // cold start adds 185-270 ms of init to the requests that hit one.
    let beyond = run(&scenario(100, 8));
    assert!(num(&beyond, "components.fn.cold_starts") >= 2.0);
    assert!(num(&beyond, "latency_ms.max") > 285.0);
    // Fewer provisioned environments, more cold starts; none provisioned, more still.
    let fewer = num(&run(&scenario(50, 2)), "components.fn.cold_starts");
    let none = num(&run(&scenario(50, 0)), "components.fn.cold_starts");
    assert!(0.0 < fewer && fewer < none, "{fewer} vs {none}");
}

#[test]
fn scaling_is_limited_to_a_thousand_new_environments_per_ten_seconds() {
    // 3,000/s of 1 s work needs 3,000 environments at once. Since 2023-11 a function adds at
    // most 1,000 per 10 s (the allowance refills continuously at 100/s): in the first 10 s at
    // most 1,000 + 100 × 10 = 2,000 environments can exist, so requests are throttled while
    // the function climbs the staircase, and none once it reaches 3,000.
    let scenario = |duration: &str| {
        format!(
            r#"
            [scenario]
            duration = "{duration}"
            [account]
            lambda_concurrency = 5000
            [[workload]]
            name = "u"
            target = "fn"
            arrival = {{ process = "constant", rate = 3000 }}
            [[component]]
            id = "fn"
            kind = "lambda"
            memory_mb = 1769
            runtime = "rust"
            work = "1s"
            "#
        )
    };
    let first = run(&scenario("10s"));
    let max = num(&first, "components.fn.concurrency_max");
    assert!(
        max <= 2_000.0,
        "at most 1,000 + 100 × 10 environments in 10 s: {max}"
    );
    assert!(num(&first, "components.fn.throttles") > 5_000.0);
    // A minute in, the function has climbed the staircase: 3,000 × (1 s + ~13 ms of init on
    // the few cold ones) executions, created within 1,000 + 100 × 60 allowance.
    let minute = run(&scenario("60s"));
    let cold = num(&minute, "components.fn.cold_starts");
    assert!((3_000.0..=7_000.0).contains(&cold), "{cold}");
    assert!(num(&minute, "components.fn.concurrency_max") >= 3_000.0);
}

#[test]
fn the_account_pool_is_shared_and_reserved_concurrency_is_carved_out() {
    // Account 1,000; "big" reserves 600, leaving 400 for "a" and "b" together. Each gets
    // 300/s of 1 s work (300 concurrent wanted each, 600 in all): together they are held to
    // 400, and neither is limited by the other's reservation.
    let s = run(r#"
        [scenario]
        duration = "2m"
        warmup = "30s"
        [[workload]]
        name = "wa"
        target = "a"
        arrival = { process = "constant", rate = 300 }
        [[workload]]
        name = "wb"
        target = "b"
        arrival = { process = "constant", rate = 300 }
        [[component]]
        id = "a"
        kind = "lambda"
        memory_mb = 1769
        work = "1s"
        [[component]]
        id = "b"
        kind = "lambda"
        memory_mb = 1769
        work = "1s"
        [[component]]
        id = "big"
        kind = "lambda"
        work = "1s"
        reserved_concurrency = 600
    "#);
    let both = num(&s, "components.a.concurrency_max") + num(&s, "components.b.concurrency_max");
    assert!(both <= 400.0 + 1.0, "{both}");
    let mean = num(&s, "components.a.concurrency_mean") + num(&s, "components.b.concurrency_mean");
    assert!(mean > 390.0, "the pool is used to the full: {mean}");
    assert!(num(&s, "components.a.throttles") > 0.0 && num(&s, "components.b.throttles") > 0.0);
}

#[test]
fn gateway_maps_lambda_outcomes_to_500_502_and_504() {
    // A function that always fails (error_rate 1): 502. One that runs past the integration
    // timeout of 1 s: 504. One whose reserved concurrency is 0: every invoke is throttled (429),
    // which API Gateway answers with 500.
    let s = run(r#"
        [scenario]
        duration = "20s"
        [[workload]]
        name = "e"
        target = "api_err"
        arrival = { process = "constant", rate = 10 }
        [[workload]]
        name = "t"
        target = "api_slow"
        arrival = { process = "constant", rate = 10 }
        [[workload]]
        name = "z"
        target = "api_zero"
        arrival = { process = "constant", rate = 10 }
        [[component]]
        id = "api_err"
        kind = "api_gateway"
        target = "failing"
        [[component]]
        id = "api_slow"
        kind = "api_gateway"
        target = "slow"
        integration_timeout = "1s"
        [[component]]
        id = "api_zero"
        kind = "api_gateway"
        target = "off"
        [[component]]
        id = "failing"
        kind = "lambda"
        work = "5ms"
        error_rate = 1.0
        [[component]]
        id = "slow"
        kind = "lambda"
        memory_mb = 1769
        work = "2s"
        timeout = "10s"
        [[component]]
        id = "off"
        kind = "lambda"
        work = "5ms"
        reserved_concurrency = 0
    "#);
    let w = |name: &str, status: &str| {
        num(&s, &format!("workloads.{name}.requests.by_status.{status}"))
    };
    assert_eq!(w("e", "502"), 199.0);
    assert_eq!(w("t", "504"), 199.0);
    assert_eq!(w("z", "500"), 199.0);
    // The slow function's work was not cancelled by the gateway's timeout: it still ran.
    assert_eq!(num(&s, "components.slow.by_status.200"), 199.0);
}

#[test]
fn a_function_timeout_fails_the_invocation_with_502() {
    let s = run(r#"
        [scenario]
        duration = "20s"
        [[workload]]
        name = "u"
        target = "fn"
        arrival = { process = "constant", rate = 10 }
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 1769
        work = "5s"
        timeout = "3s"
    "#);
    assert_eq!(num(&s, "requests.by_status.502"), 199.0);
    assert_eq!(num(&s, "components.fn.timeouts"), 199.0);
    // Billed for the 3 s it was allowed, not the 5 s it wanted.
    assert!((num(&s, "components.fn.duration_ms.max") - 3000.0).abs() < 1.0);
}

#[test]
fn cpu_scales_with_memory_below_one_vcpu() {
    // 100 ms of work at 1,769 MB (one vCPU) takes 1769/512 × 100 ≈ 345.5 ms at 512 MB and
    // still 100 ms at 3,538 MB (a single-threaded handler gains nothing from a second vCPU).
    let at = |mb: u32| {
        let s = run(&format!(
            r#"
            [scenario]
            duration = "10s"
            [[workload]]
            name = "u"
            target = "fn"
            arrival = {{ process = "constant", rate = 5 }}
            [[component]]
            id = "fn"
            kind = "lambda"
            memory_mb = {mb}
            work = "100ms"
            "#
        ));
        num(&s, "components.fn.duration_ms.mean")
    };
    assert!((at(512) - 345.5).abs() < 0.5, "{}", at(512));
    assert!((at(3538) - 100.0).abs() < 0.1);
}

#[test]
fn api_keys_usage_plans_and_quotas() {
    // 5 keys share 50/s; the plan allows 2/s per key with burst 2 and a quota of 30 per day:
    // each key gets 30 requests in the first seconds and is then refused for the rest of
    // the day (429). Requests without a key get 403.
    let s = run(r#"
        [scenario]
        duration = "60s"
        [[workload]]
        name = "keyed"
        target = "api"
        arrival = { process = "constant", rate = 50 }
        api_keys = 5
        [[workload]]
        name = "anon"
        target = "api"
        arrival = { process = "constant", rate = 1 }
        [[component]]
        id = "api"
        kind = "api_gateway"
        target = "fn"
        usage_plan = { rate = 2, burst = 2, quota = 30, period = "day" }
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 1769
        work = "1ms"
        provisioned_concurrency = 5
    "#);
    assert_eq!(
        num(&s, "workloads.keyed.requests.by_status.200"),
        5.0 * 30.0
    );
    assert_eq!(num(&s, "workloads.anon.requests.by_status.403"), 59.0);
    // A missing key is forbidden, not throttled: the throttle figures count the 429s only.
    assert_eq!(num(&s, "components.api.forbidden"), 59.0);
    assert_eq!(
        num(&s, "components.api.throttled"),
        num(&s, "workloads.keyed.requests.by_status.429")
    );
    assert!(num(&s, "components.api.throttled_by.quota") > 2_000.0);
    assert!(num(&s, "components.api.throttled_by.api_key") > 0.0);
}

#[test]
fn the_cache_hit_ratio_emerges_from_key_popularity() {
    // A TTL cache that never evicts, fed by Poisson arrivals: key k (rate λ_k) is a hit unless
    // it is the first request since the entry expired. Each cycle is one miss followed by
    // hits during the TTL, so the hit ratio of key k is λ_k·T / (1 + λ_k·T), and the cache's
    // is the traffic-weighted mean. Zipf(1.0) over 200 keys at 100/s, TTL 10 s.
    let theory = crate::ttl_cache_hit_ratio(200, 100.0, 10.0);
    // The entry is stored when the integration answers, so requests that arrive while the
    // first miss is in flight miss too; zero overhead, work and hops make that window empty.
    let s = run(r#"
        [scenario]
        duration = "1h"
        warmup = "1m"
        seeds = 5
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "api"
        arrival = { process = "poisson", rate = 100 }
        keys = { dist = "zipf", count = 200, exponent = 1.0 }
        [[component]]
        id = "api"
        kind = "api_gateway"
        target = "fn"
        overhead = "0s"
        cache = { ttl = "10s", capacity = 1000 }
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 1769
        work = "0s"
        provisioned_concurrency = 5
    "#);
    assert_theory(
        "cache hit ratio",
        &per_seed(&s, "components.api.cache_hit_ratio"),
        theory,
        0.01,
    );
}

#[test]
fn a_canary_alias_routes_its_weight_and_keeps_its_errors() {
    // 10 % to a canary that fails 20 % of the time: about 1,200 of 12,000 invocations go to
    // it (binomial sd ≈ 33), and all errors are its own.
    let s = run(r#"
        [scenario]
        duration = "2m"
        [[workload]]
        name = "u"
        target = "fn"
        arrival = { process = "poisson", rate = 100 }
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 1769
        work = "20ms"
        canary = { weight = 0.1, error_rate = 0.2, work = "40ms" }
    "#);
    let canary = num(&s, "components.fn.versions.canary.invocations");
    let total = num(&s, "components.fn.invocations");
    assert!((canary / total - 0.1).abs() < 0.01, "{}", canary / total);
    assert_eq!(num(&s, "components.fn.versions.base.errors"), 0.0);
    let err = num(&s, "components.fn.versions.canary.errors") / canary;
    assert!((err - 0.2).abs() < 0.04, "{err}");
    assert_eq!(
        num(&s, "requests.by_status.502"),
        num(&s, "components.fn.versions.canary.errors")
    );
}

#[test]
fn init_is_billed_with_the_handler_on_demand() {
    // aws-facts: §2 pricing: since 2025-08-01 an on-demand invocation is billed Init Duration
    // + Duration. One request every 2 s to a 1,024 MB function whose idle environments live
    // 1 s: every invocation starts cold, with 500 ms of init and 100 ms of work, so each bills
    // 0.6 s × 1 GB, not 0.1.
    let s = run(r#"
        [scenario]
        duration = "10m"
        [[workload]]
        name = "u"
        target = "fn"
        arrival = { process = "constant", rate = 0.5 }
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 1024
        init = "500ms"
        work = "100ms"
        idle_lifetime = "1s"
    "#);
    let invocations = num(&s, "components.fn.invocations");
    assert_eq!(num(&s, "components.fn.cold_starts"), invocations);
    // Work runs at 1,024 / 1,769 of a vCPU: 100 ms of work takes 172.75 ms.
    let handler_s = 0.1 * 1769.0 / 1024.0;
    let billed = (0.5 + handler_s) * invocations;
    let gb_s = num(&s, "components.fn.gb_seconds");
    assert!(
        (gb_s - billed).abs() <= 0.001 * invocations,
        "{gb_s} GB-s billed, expected {billed} (init + handler)"
    );
}
