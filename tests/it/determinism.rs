//! The same scenario and seed give identical outputs, whatever the number of threads.

use archsim::report;
use archsim::sweep;

fn outputs(threads: usize) -> Vec<(String, String, String)> {
    let sc = crate::scenario(
        r#"
        [scenario]
        name = "det"
        duration = "2m"
        warmup = "10s"
        seeds = 4
        [[workload]]
        name = "u"
        target = "web"
        arrival = { process = "spike", base = 100, peak = 400, at = "30s", for = "20s" }
        keys = { dist = "zipf", count = 100, exponent = 1.0 }
        timeout = "300ms"
        retry = { attempts = 3, base = "50ms", jitter = "full" }
        [[component]]
        id = "web"
        kind = "service"
        az = "a"
        servers = 8
        queue = 50
        service_time = { dist = "lognormal", median = "10ms", p99 = "80ms" }
        calls = [ { to = "db", probability = 0.3, timeout = "100ms" } ]
        [[component]]
        id = "db"
        kind = "service"
        az = "b"
        servers = 2
        service_time = { dist = "exponential", mean = "5ms" }
    "#,
    );
    let scenarios = vec![sc.clone(), sc];
    let outcomes = sweep::run_all(&scenarios, Some(threads), &|_| {})
        .unwrap_or_else(|_| panic!("runs failed"));
    outcomes
        .iter()
        .map(|o| {
            let mut summary = o.summary.clone();
            // Wall-clock figures are the only ones allowed to differ.
            let k = summary["kernel"].as_object_mut().unwrap();
            k.remove("wall_s");
            k.remove("events_per_sec");
            (
                report::summary_json(&summary),
                report::timeseries_csv(&o.runs),
                report::events_csv(&o.runs),
            )
        })
        .collect()
}

#[test]
fn one_thread_and_two_threads_give_identical_outputs() {
    let one = outputs(1);
    let two = outputs(2);
    assert_eq!(one.len(), 2);
    assert!(one == two, "outputs differ between 1 and 2 threads");
    // Two copies of the same scenario in one sweep are identical too.
    assert!(one[0] == one[1]);
    // And the run did something worth comparing: retries and 503s or timeouts happened.
    assert!(one[0].0.contains("\"retries\""));
}

#[test]
fn changing_one_component_leaves_the_arrivals_unchanged() {
    // Common random numbers: the workload's stream does not depend on the components.
    let base = r#"
        [scenario]
        duration = "30s"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "poisson", rate = 100 }
        [[component]]
        id = "svc"
        kind = "service"
        servers = SERVERS
        service_time = { dist = "exponential", mean = "5ms" }
    "#;
    let a = crate::run(&base.replace("SERVERS", "1"));
    let b = crate::run(&base.replace("SERVERS", "4"));
    assert_eq!(a["requests"]["total"], b["requests"]["total"]);
    assert_eq!(
        a["components"]["svc"]["arrivals"],
        b["components"]["svc"]["arrivals"]
    );
    assert_ne!(a["latency_ms"]["mean"], b["latency_ms"]["mean"]);
}

#[test]
fn every_kind_and_the_fault_timeline_are_deterministic_across_threads() {
    // The AWS kinds share account state and draw from more streams; faults draw too.
    let sc = crate::scenario(
        r#"
        [scenario]
        name = "det-aws"
        duration = "90s"
        warmup = "10s"
        seeds = 3
        [[workload]]
        name = "u"
        target = "api"
        arrival = { process = "poisson", rate = 300 }
        mix = [ { op = "read", weight = 8 }, { op = "write", weight = 2 } ]
        keys = { dist = "zipf", count = 500, exponent = 1.1 }
        timeout = "2s"
        retry = { attempts = 2, jitter = "full" }
        [[component]]
        id = "api"
        kind = "api_gateway"
        target = "fn"
        throttle = { rate = 250, burst = 50 }
        cache = { ttl = "5s" }
        [[component]]
        id = "fn"
        kind = "lambda"
        memory_mb = 512
        work = { dist = "lognormal", median = "10ms", p99 = "40ms" }
        canary = { weight = 0.2, error_rate = 0.05 }
        calls = [ { to = "cache" } ]
        [[component]]
        id = "cache"
        kind = "cache"
        backend = "table"
        ttl = "20s"
        [[component]]
        id = "table"
        kind = "dynamodb"
        rcu = 100
        wcu = 30
        dax = { ttl = "30s" }
        [[fault]]
        at = "40s"
        for = "10s"
        kind = "error_injection"
        target = "table"
        rate = 0.3
        [[fault]]
        at = "60s"
        kind = "cache_node_failure"
        target = "cache"
    "#,
    );
    let render = |threads: usize| {
        let outcomes = sweep::run_all(std::slice::from_ref(&sc), Some(threads), &|_| {})
            .unwrap_or_else(|_| panic!("runs failed"));
        let o = &outcomes[0];
        let mut summary = o.summary.clone();
        let k = summary["kernel"].as_object_mut().unwrap();
        k.remove("wall_s");
        k.remove("events_per_sec");
        (
            report::summary_json(&summary),
            report::timeseries_csv(&o.runs),
            report::events_csv(&o.runs),
        )
    };
    let (one, two) = (render(1), render(2));
    assert!(one == two, "outputs differ between 1 and 2 threads");
    // Everything happened: throttles, cold starts, the injected errors, the node loss.
    for want in [
        "\"throttled\"",
        "\"cold_starts\"",
        "\"dax_hits\"",
        "\"stale_reads\"",
    ] {
        assert!(one.0.contains(want), "{want}");
    }
    assert!(one.2.contains("cache_node_failure cache") && one.2.contains("error_injection table"));
}
