//! The same scenario and seed give identical outputs, whatever the number of threads.

use crate::Edit;
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
    let outcomes = sweep::run_all(&scenarios, &crate::on_threads(threads), &|_| {})
        .unwrap_or_else(|_| panic!("runs failed"));
    outcomes
        .iter()
        .map(|o| {
            // Wall-clock figures are the only ones allowed to differ.
            (
                report::saved_summary(&o.summary).0,
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
    let a = crate::run(&base.edit("SERVERS", "1"));
    let b = crate::run(&base.edit("SERVERS", "4"));
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
    let render = |threads: usize| render(&sc, threads);
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
    assert!(one.2.contains("cache: cache node failure") && one.2.contains("table fails"));
}

/// The summary (without wall-clock figures), series and events of a scenario run on `threads`.
fn render(sc: &archsim::scenario::Scenario, threads: usize) -> (String, String, String) {
    let outcomes = sweep::run_all(
        std::slice::from_ref(sc),
        &crate::on_threads(threads),
        &|_| {},
    )
    .unwrap_or_else(|_| panic!("runs failed"));
    let o = &outcomes[0];
    (
        report::saved_summary(&o.summary).0,
        report::timeseries_csv(&o.runs),
        report::events_csv(&o.runs),
    )
}

#[test]
fn the_server_path_is_deterministic_across_threads() {
    // A load balancer, an Auto Scaling group (spot, scaling, instance and spot faults, a zone
    // outage) and an RDS database with replicas failing over. The spike starts early so that
    // target tracking's three one-minute datapoints are in (at 210 s) before the outage.
    let sc = crate::scenario(
        r#"
        [scenario]
        name = "det-server"
        duration = "6m"
        warmup = "30s"
        seeds = 3
        [[workload]]
        name = "u"
        target = "alb"
        arrival = { process = "spike", base = 200, peak = 700, at = "10s", for = "4m" }
        mix = [ { op = "read", weight = 8 }, { op = "write", weight = 2 } ]
        keys = { dist = "zipf", count = 500, exponent = 1.1 }
        timeout = "5s"
        [[component]]
        id = "alb"
        kind = "load_balancer"
        targets = "web"
        slow_start = "30s"
        health_check = { interval = "10s" }
        [[component]]
        id = "web"
        kind = "ec2_autoscaling"
        instance_type = "c5.large"
        zones = ["a", "b"]
        min = 3
        max = 8
        market = "spot"
        on_demand_base = 1
        monitoring = "detailed"
        metric_delay = "30s"
        health_check_type = "elb"
        health_check_grace_period = "60s"
        work = { dist = "lognormal", median = "3ms", p99 = "15ms" }
        scaling = { policy = "target_tracking", target = 30 }
        calls = [ { to = "db" } ]
        [[component]]
        id = "db"
        kind = "rds"
        az = "a"
        instance_class = "db.r5.large"
        multi_az = true
        read_replicas = 2
        read_time = { dist = "exponential", mean = "1ms" }
        write_time = { dist = "exponential", mean = "2ms" }
        [[fault]]
        at = "90s"
        kind = "instance_failure"
        target = "web"
        [[fault]]
        at = "120s"
        kind = "spot_interruption"
        target = "web"
        fraction = 0.5
        [[fault]]
        at = "240s"
        for = "60s"
        kind = "az_outage"
        az = "a"
    "#,
    );
    let (one, two) = (render(&sc, 1), render(&sc, 2));
    assert!(one == two, "outputs differ between 1 and 2 threads");
    for want in [
        "spot_notice",
        "instance_failed",
        "primary_failed",
        "scale_out",
    ] {
        assert!(one.2.contains(want), "{want}");
    }
    // The replicas served reads.
    let summary: serde_json::Value = serde_json::from_str(&one.0).unwrap();
    assert!(crate::num(&summary, "components.db.replica_reads") > 0.0);
}

/// A batch starts its longest runs first, so that no long run is left to finish alone while
/// the other threads idle; the outcomes stay in the scenarios' order all the same.
#[test]
fn the_longest_runs_start_first_and_outcomes_keep_their_order() {
    let one = |name: &str, rate: u32| {
        crate::scenario(&format!(
            r#"
            [scenario]
            name = "{name}"
            duration = "20s"
            seeds = 2
            [[workload]]
            name = "u"
            target = "web"
            arrival = {{ process = "poisson", rate = {rate} }}
            [[component]]
            id = "web"
            kind = "service"
            servers = 4
            service_time = {{ dist = "exponential", mean = "1ms" }}
        "#
        ))
    };
    let scenarios = vec![one("short", 10), one("long", 1000), one("middle", 100)];
    let started = std::sync::Mutex::new(Vec::new());
    let outcomes = sweep::run_all(&scenarios, &crate::on_threads(1), &|p| {
        started.lock().unwrap().push(p.scenario.to_string())
    })
    .unwrap_or_else(|_| panic!("runs failed"));
    // One thread: runs end in the order they start.
    assert_eq!(
        started.into_inner().unwrap(),
        ["long", "long", "middle", "middle", "short", "short"]
    );
    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["short", "long", "middle"]);
}
