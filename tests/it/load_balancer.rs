//! Elastic Load Balancing against its documented behaviour (aws-facts §3).

use crate::num;
use crate::Edit;
use archsim::world::World;

/// A load balancer in front of `targets` (id, zone) services; `lb` holds its extra keys.
fn scenario(
    rate: u32,
    duration: &str,
    lb: &str,
    targets: &[(&str, &str)],
    work: &str,
    faults: &str,
) -> String {
    let mut s = format!(
        r#"
        [scenario]
        duration = "{duration}"
        [network]
        same_az = "0s"
        cross_az = "0s"
        [[workload]]
        name = "u"
        target = "lb"
        arrival = {{ process = "constant", rate = {rate} }}
        [[component]]
        id = "lb"
        kind = "load_balancer"
        targets = [{}]
        {lb}
        "#,
        targets
            .iter()
            .map(|(id, _)| format!("\"{id}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (id, zone) in targets {
        s.push_str(&format!(
            "[[component]]\nid = \"{id}\"\nkind = \"service\"\naz = \"{zone}\"\nservers = 1000\nservice_time = \"{work}\"\n"
        ));
    }
    s.push_str(faults);
    s
}

#[test]
fn round_robin_spreads_requests_evenly() {
    let s = crate::run(&scenario(
        300,
        "60s",
        "",
        &[("a", "x"), ("b", "x"), ("c", "x")],
        "1ms",
        "",
    ));
    // 17,999 requests in turn over three targets, plus one health probe each at 30 s.
    for t in ["a", "b", "c"] {
        let n = num(&s, &format!("components.{t}.arrivals"));
        assert!((n - 6_001.0).abs() <= 1.0, "{t}: {n}");
    }
}

#[test]
fn a_failed_target_is_detected_after_interval_times_threshold_and_gets_504s_until_then() {
    // Probes every 10 s (timeout 2 s), unhealthy after 2 failures. Target b dies at 100 s,
    // just before that instant's probe: the probes of 100 s and 110 s time out at 102 s and
    // 112 s, so it is detected 12 s after the failure, within one interval of 2 × 10 s. Until
    // then, a third of requests go to it and time out at the 1 s idle timeout (504).
    let text = scenario(
        300,
        "200s",
        "idle_timeout = \"1s\"\nhealth_check = { interval = \"10s\", timeout = \"2s\", unhealthy_threshold = 2 }",
        &[("a", "x"), ("b", "x"), ("c", "x")],
        "1ms",
        "[[fault]]\nat = \"100s\"\nkind = \"component_down\"\ntarget = \"b\"\n",
    );
    let sc = crate::scenario(&text);
    let r = World::build(&sc, 1).run().unwrap();
    let detected = r
        .events
        .iter()
        .find(|e| e.event == "target_unhealthy")
        .expect("detected")
        .time
        .as_secs_f64();
    assert!(
        (detected - 100.0 - 20.0).abs() <= 10.0,
        "detected at {detected}"
    );
    assert_eq!(detected, 112.0);
    let s = crate::run(&text);
    // 12 s × 300/s / 3 = 1,200 requests sent to b before detection.
    let lost = num(&s, "requests.by_status.504");
    assert!((lost - 1_200.0).abs() <= 5.0, "{lost}");
    assert_eq!(num(&s, "components.lb.idle_timeouts"), lost);
}

#[test]
fn a_target_slower_than_the_idle_timeout_gives_504() {
    let s = crate::run(&scenario(
        10,
        "30s",
        "idle_timeout = \"2s\"",
        &[("slow", "x")],
        "5s",
        "",
    ));
    assert_eq!(num(&s, "requests.by_status.504"), num(&s, "requests.total"));
}

#[test]
fn with_no_healthy_target_an_alb_fails_open_and_a_clb_answers_503() {
    // The only target fails everything for its first 20 s (error injection at 100 %), so
    // probes every 5 s mark it unhealthy at 10 s. From 20 s it works again, but is only
    // marked healthy after 5 good probes (ALB, at 40 s) or 10 (CLB, after the run). Meanwhile
    // the ALB, with no healthy target, fails open and serves every request from 20 s on; the
    // CLB answers 503 itself.
    let fault = "[[fault]]\nat = \"0s\"\nfor = \"20s\"\nkind = \"error_injection\"\ntarget = \"t\"\nrate = 1.0\nstatus = 503\n";
    let hc = "health_check = { interval = \"5s\", timeout = \"2s\" }";
    let alb = crate::run(&scenario(10, "60s", hc, &[("t", "x")], "1ms", fault));
    // Requests at 0.1 s steps: 199 before 20 s get the injected 503, the other 400 succeed.
    assert_eq!(num(&alb, "requests.by_status.503"), 199.0);
    assert_eq!(num(&alb, "requests.by_status.200"), 400.0);
    let clb = crate::run(&scenario(
        10,
        "60s",
        &format!("type = \"classic\"\n{hc}"),
        &[("t", "x")],
        "1ms",
        fault,
    ));
    assert_eq!(
        num(&clb, "requests.by_status.503"),
        num(&clb, "requests.total")
    );
    // The CLB refused them itself: the target saw only its probes after 10 s.
    assert!(num(&clb, "components.t.arrivals") < 20.0);
}

#[test]
fn cross_zone_balancing_follows_the_aws_example() {
    // aws-facts §3: 2 targets in zone A, 8 in zone B, half the clients at each zone's node.
    // Cross-zone off: each A target gets 25 %, each B target 6.25 %; on: 10 % each.
    let targets: Vec<(String, &str)> = (0..10)
        .map(|i| (format!("t{i}"), if i < 2 { "a" } else { "b" }))
        .collect();
    let refs: Vec<(&str, &str)> = targets.iter().map(|(id, z)| (id.as_str(), *z)).collect();
    let share = |cross: bool| {
        let s = crate::run(&scenario(
            1000,
            "100s",
            &format!("cross_zone = {cross}"),
            &refs,
            "1ms",
            "",
        ));
        let total = num(&s, "requests.total");
        (
            num(&s, "components.t0.arrivals") / total,
            num(&s, "components.t5.arrivals") / total,
        )
    };
    // 100,000 requests: the node draw is binomial, sd of a share ~0.0016.
    let (a, b) = share(false);
    assert!(
        (a - 0.25).abs() < 0.006 && (b - 0.0625).abs() < 0.003,
        "{a} {b}"
    );
    let (a, b) = share(true);
    assert!(
        (a - 0.10).abs() < 0.003 && (b - 0.10).abs() < 0.003,
        "{a} {b}"
    );
}

#[test]
fn the_classic_surge_queue_holds_1024_and_spills_over_with_503() {
    // Two targets, one back-end connection each, 100 ms per request: 20 requests/s at most.
    // At 100/s the surge queue fills to 1,024 and the rest spill over as 503.
    let s = crate::run(&scenario(
        100,
        "60s",
        "type = \"classic\"\nbackend_connections = 1\nidle_timeout = \"600s\"",
        &[("a", "x"), ("b", "x")],
        "100ms",
        "",
    ));
    assert_eq!(num(&s, "components.lb.surge_queue_max"), 1024.0);
    assert!(num(&s, "components.lb.spillover") > 3_000.0);
    assert_eq!(
        num(&s, "components.lb.spillover"),
        num(&s, "requests.by_status.503")
    );
}

#[test]
fn each_type_costs_its_hourly_price_and_its_capacity_units() {
    // One measured hour at 100 requests/s of 1,000 bytes: 0.36 GB. ALB: 100 new connections/s
    // at 25 per LCU = 4 LCU (more than 0.36 for the bytes): 0.0225 + 4 × 0.008. NLB: 800
    // connections per NLCU gives 0.125, the bytes 0.36: 0.0225 + 0.36 × 0.006. CLB: 0.025 an
    // hour and 0.008 per GB.
    for (t, expected) in [
        ("application", 0.0225 + 4.0 * 0.008),
        ("network", 0.0225 + 0.36 * 0.006),
        ("classic", 0.025 + 0.36 * 0.008),
    ] {
        let toml = scenario(
            100,
            "61m",
            &format!("type = \"{t}\""),
            &[("a", "x")],
            "1ms",
            "",
        )
        .edit("[scenario]", "[scenario]\nwarmup = \"1m\"")
        .edit(
            "arrival = { process = \"constant\", rate = 100 }",
            "arrival = { process = \"constant\", rate = 100 }\nsize = 1000",
        );
        let s = crate::run(&toml);
        let cost = num(&s, "components.lb.cost_usd");
        assert!((cost - expected).abs() < 1e-4, "{t}: {cost} vs {expected}");
    }
}

#[test]
fn deep_health_checks_follow_a_dependency_down_and_shallow_ones_do_not() {
    // Two web servers calling one database, which goes down for a minute. A deep check takes
    // the whole request path, so both targets fail their checks (the probes time out) and are
    // marked unhealthy; a shallow check only asks whether the server is up: no verdict changes.
    let run = |path: &str| {
        let toml = format!(
            r#"
            [scenario]
            duration = "3m"
            [[workload]]
            name = "u"
            target = "lb"
            arrival = {{ process = "constant", rate = 50 }}
            timeout = "2s"
            [[component]]
            id = "lb"
            kind = "load_balancer"
            targets = ["w1", "w2"]
            health_check = {{ interval = "10s", timeout = "2s", path = "{path}" }}
            [[component]]
            id = "w1"
            kind = "service"
            servers = 100
            service_time = "1ms"
            calls = [ {{ to = "db", timeout = "3s" }} ]
            [[component]]
            id = "w2"
            kind = "service"
            servers = 100
            service_time = "1ms"
            calls = [ {{ to = "db", timeout = "3s" }} ]
            [[component]]
            id = "db"
            kind = "service"
            servers = 100
            service_time = "1ms"
            [[fault]]
            at = "60s"
            for = "1m"
            kind = "component_down"
            target = "db"
            "#
        );
        let r = World::build(&crate::scenario(&toml), 1).run().unwrap();
        r.events
            .iter()
            .filter(|e| e.event == "target_unhealthy")
            .count()
    };
    assert_eq!(run("deep"), 2);
    assert_eq!(run("shallow"), 0);
}

#[test]
fn with_no_healthy_target_an_nlb_fails_open_too() {
    // aws-facts §3 NLB failure behaviour: like an ALB, an NLB whose targets are all unhealthy
    // routes to all of them. The target of the test above fails everything for 20 s (probes
    // over TCP every 5 s mark it unhealthy at 10 s) and is healthy again only after 5 good
    // probes; meanwhile the NLB routes to it anyway: the 199 requests before 20 s get the
    // target's own 503, passed through at layer 4 (but for one in flight as the target is
    // marked unhealthy at 10 s, whose connection is reset), and the 400 after it succeed.
    let fault = "[[fault]]\nat = \"0s\"\nfor = \"20s\"\nkind = \"error_injection\"\ntarget = \"t\"\nrate = 1.0\nstatus = 503\n";
    let hc = "type = \"network\"\nhealth_check = { interval = \"5s\", timeout = \"2s\" }";
    let nlb = crate::run(&scenario(10, "60s", hc, &[("t", "x")], "1ms", fault));
    let reset = num(&nlb, "components.lb.connections_reset");
    assert!(reset <= 1.0, "{reset}");
    assert_eq!(num(&nlb, "requests.by_status.503") + reset, 199.0);
    assert_eq!(num(&nlb, "requests.by_status.200"), 400.0);
}

#[test]
fn an_nlb_resets_connections_where_an_alb_answers_504() {
    // aws-facts §3: an NLB emits no HTTP status. A target slower than the idle timeout gets
    // its client's connection reset (599), not a 504; the same scenario behind an ALB: 504.
    let slow = |t: &str| {
        crate::run(&scenario(
            10,
            "30s",
            &format!("type = \"{t}\"\nidle_timeout = \"2s\""),
            &[("slow", "x")],
            "5s",
            "",
        ))
    };
    let nlb = slow("network");
    let total = num(&nlb, "requests.total");
    assert_eq!(num(&nlb, "requests.by_status.599"), total);
    assert!(archsim::metrics::pointer(&nlb, "requests.by_status.504").is_none());
    assert_eq!(num(&nlb, "components.lb.connections_reset"), total);
    let alb = slow("application");
    assert_eq!(num(&alb, "requests.by_status.504"), total);
}

#[test]
fn an_nlb_resets_the_connections_of_a_target_that_turns_unhealthy() {
    // aws-facts §3 NLB health checks: when a target turns unhealthy the NLB resets its client
    // connections. Target b of three dies at 100 s; probes every 10 s (timeout 2 s) find it
    // at 112 s. The 12 s × 300/s / 3 = 1,200 requests sent to it meanwhile wait (the idle
    // timeout is 350 s) and are all reset at 112 s, not answered 504 minutes later. (A flow
    // hash spreads requests at random: the count is binomial, sd about 28.)
    let text = scenario(
        300,
        "200s",
        "type = \"network\"\nhealth_check = { interval = \"10s\", timeout = \"2s\" }",
        &[("a", "x"), ("b", "x"), ("c", "x")],
        "1ms",
        "[[fault]]\nat = \"100s\"\nkind = \"component_down\"\ntarget = \"b\"\n",
    );
    let s = crate::run(&text);
    let reset = num(&s, "requests.by_status.599");
    assert!((reset - 1_200.0).abs() <= 100.0, "{reset}");
    assert_eq!(num(&s, "components.lb.idle_timeouts"), 0.0);
    assert_eq!(
        num(&s, "requests.by_status.200") + reset,
        num(&s, "requests.total")
    );
}

#[test]
fn nlb_health_checks_time_out_after_10s_over_tcp_and_6s_over_http() {
    // aws-facts §3 NLB health checks: timeout 10 s over TCP (the default), 6 s over HTTP;
    // an ALB's is 5 s. Probes every 30 s (the default) at 90, 120 and 150 s; target b dies at
    // 100 s, so the probes of 120 and 150 s fail, the second a timeout later: unhealthy at
    // 160 s (TCP), 156 s (HTTP), 155 s (ALB).
    let detected = |lb: &str| {
        let text = scenario(
            10,
            "300s",
            lb,
            &[("a", "x"), ("b", "x")],
            "1ms",
            "[[fault]]\nat = \"100s\"\nkind = \"component_down\"\ntarget = \"b\"\n",
        );
        let r = World::build(&crate::scenario(&text), 1).run().unwrap();
        r.events
            .iter()
            .find(|e| e.event == "target_unhealthy")
            .expect("detected")
            .time
            .as_secs_f64()
    };
    assert_eq!(detected("type = \"network\""), 160.0);
    assert_eq!(
        detected("type = \"network\"\nhealth_check = { protocol = \"http\" }"),
        156.0
    );
    assert_eq!(detected("type = \"application\""), 155.0);
}

#[test]
fn clients_keep_sending_to_a_dropped_zone_until_their_dns_cache_expires() {
    // aws-facts §3: a zone whose targets are all unhealthy has its node dropped from DNS, but
    // clients keep their cached answer (TTL 60 s). An NLB (cross-zone off) with one target in
    // each of zones a and b, 1,000 requests/s, half at each node. a1 dies at 100 s and is
    // found at 112 s (probes every 10 s, timeout 2 s); its requests are reset after the 1 s
    // idle timeout. Until then: 12 s × 500/s = 6,000 reset. Then the share of node a's
    // clients still resolving it falls linearly over 60 s: 500/s × 60 s / 2 = 15,000 more,
    // sent to a1 and reset. With `dns_ttl = "0s"`, none.
    let run = |extra: &str| {
        crate::run(&scenario(
            1000,
            "240s",
            &format!(
                "type = \"network\"\nidle_timeout = \"1s\"\nhealth_check = {{ interval = \"10s\", timeout = \"2s\" }}\n{extra}"
            ),
            &[("a1", "a"), ("b1", "b")],
            "1ms",
            "[[fault]]\nat = \"100s\"\nkind = \"component_down\"\ntarget = \"a1\"\n",
        ))
    };
    let cached = run("");
    // The node draw and the cache draw: sd of the stale count about 110.
    let stale = num(&cached, "components.lb.dns_stale_requests");
    assert!((stale - 15_000.0).abs() < 500.0, "{stale}");
    let reset = num(&cached, "requests.by_status.599");
    assert!((reset - 21_000.0).abs() < 600.0, "{reset}");
    let fresh = run("dns_ttl = \"0s\"");
    assert_eq!(num(&fresh, "components.lb.dns_stale_requests"), 0.0);
    let reset = num(&fresh, "requests.by_status.599");
    assert!((reset - 6_000.0).abs() < 250.0, "{reset}");
}

#[test]
fn a_lambda_target_is_not_health_checked_unless_asked() {
    // aws-facts: §3: a Lambda target group's health checks are off by default; asked for,
    // they run every 35 s with a 30 s timeout. Each check is an invocation (billed, and
    // holding concurrency).
    let toml = |hc: &str| {
        format!(
            r#"
            [scenario]
            duration = "10m"
            [[workload]]
            name = "u"
            target = "alb"
            arrival = {{ process = "constant", rate = 1 }}
            [[component]]
            id = "alb"
            kind = "load_balancer"
            targets = "fn"
            {hc}
            [[component]]
            id = "fn"
            kind = "lambda"
            work = "10ms"
            "#
        )
    };
    let s = crate::run(&toml(""));
    assert_eq!(
        num(&s, "components.fn.invocations"),
        num(&s, "components.alb.requests")
    );
    // Asked for: 17 rounds at 35 s, 70 s, … 595 s, one probe each.
    let s = crate::run(&toml("health_check = { healthy_threshold = 2 }"));
    assert_eq!(
        num(&s, "components.fn.invocations") - num(&s, "components.alb.requests"),
        17.0
    );
    // A timeout of 32 s is shorter than a Lambda target's 35 s interval: taken.
    let s = crate::run(&toml("health_check = { timeout = \"32s\" }"));
    assert_eq!(
        num(&s, "components.fn.invocations") - num(&s, "components.alb.requests"),
        17.0
    );
}

#[test]
fn a_node_left_with_no_healthy_target_hands_its_clients_to_the_other_nodes() {
    // Cross-zone off, zones a (2 targets), b (1) and c (4); zone a goes down at 1 s. Once
    // its node is out of DNS (detection, then the 60 s TTL), clients resolve the nodes of b
    // and c, half each, and each routes to its own zone (aws-facts §3): b1 takes 50 %, each
    // target in c 12.5 %, not a share of all healthy targets alike.
    let refs = [
        ("a1", "a"),
        ("a2", "a"),
        ("b1", "b"),
        ("c1", "c"),
        ("c2", "c"),
        ("c3", "c"),
        ("c4", "c"),
    ];
    let toml = scenario(
        400,
        "10m",
        "type = \"network\"\nhealth_check = { interval = \"10s\", timeout = \"5s\" }",
        &refs,
        "1ms",
        "[[fault]]\nat = \"1s\"\nfor = \"30m\"\nkind = \"az_outage\"\naz = \"a\"\n",
    )
    .replace("[scenario]\n", "[scenario]\nwarmup = \"3m\"\n");
    let s = crate::run(&toml);
    let total = num(&s, "components.b1.arrivals")
        + ["c1", "c2", "c3", "c4"]
            .iter()
            .map(|c| num(&s, &format!("components.{c}.arrivals")))
            .sum::<f64>();
    let b = num(&s, "components.b1.arrivals") / total;
    let c = num(&s, "components.c1.arrivals") / total;
    assert!(
        (b - 0.5).abs() < 0.01 && (c - 0.125).abs() < 0.005,
        "{b} {c}"
    );
}

#[test]
fn an_alb_bills_capacity_units_for_new_connections_as_its_clients_keep_them() {
    // 100 requests/s to an ALB: with a connection per request (the default, no keep-alive)
    // 100 new connections a second, 100 / 25 = 4 LCU; with 10 requests a connection, 0.4
    // LCU. Its hour: 0.0225 + units × 0.008 USD (us-east-1).
    let units = |extra: &str| {
        let s = crate::run(&format!(
            r#"
            [scenario]
            duration = "100s"
            [network]
            same_az = "0s"
            [[workload]]
            name = "u"
            target = "alb"
            arrival = {{ process = "constant", rate = 100 }}
            [[component]]
            id = "alb"
            kind = "load_balancer"
            targets = ["web"]
            {extra}
            [[component]]
            id = "web"
            kind = "service"
            servers = 10
            service_time = "1ms"
            "#
        ));
        let u = crate::num(&s, "components.alb.capacity_units_mean");
        let usd = crate::num(&s, "components.alb.cost_usd");
        assert!(
            (usd - (0.0225 + u * 0.008) * 100.0 / 3600.0).abs() < 1e-12,
            "{usd}"
        );
        u
    };
    // Constant arrivals at k/100 s: 9,999 in the 100 s.
    assert!((units("") - 3.9996).abs() < 1e-9);
    assert!((units("requests_per_connection = 10") - 0.39996).abs() < 1e-9);
    // A classic load balancer bills per GB: the key is warned of as changing nothing.
    let classic = crate::scenario(
        r#"
        [scenario]
        duration = "10s"
        [[workload]]
        name = "u"
        target = "lb"
        arrival = { process = "constant", rate = 10 }
        [[component]]
        id = "lb"
        kind = "load_balancer"
        type = "classic"
        targets = ["web"]
        requests_per_connection = 5
        [[component]]
        id = "web"
        kind = "service"
        servers = 4
        service_time = "1ms"
        "#,
    );
    assert!(
        classic
            .warnings
            .iter()
            .any(|w| w.message.contains("a classic one bills per GB processed")),
        "{:?}",
        classic.warnings
    );
}

#[test]
fn a_zone_outage_loses_its_node_until_the_clients_dns_caches_expire() {
    // Targets in zones a, b and c, 600 requests/s, 200 at each node; zone a is out from 60
    // to 240 s. Its node goes with it: clients still resolve it as their cached answers
    // expire, a share falling linearly over the 60 s TTL: 200/s × 60 s / 2 = 6,000 requests
    // unanswered, each ending in the client's timeout. Nothing after that (the zone is out
    // three minutes). With `lost_node_detection = "20s"` every client resolves it for 20 s
    // first: 200 × 20 + 6,000 = 10,000. A load balancer placed in zone a (`az`) is down.
    let run = |extra: &str| {
        crate::run(
            &scenario(
                600,
                "300s",
                extra,
                &[("a1", "a"), ("b1", "b"), ("c1", "c")],
                "1ms",
                "[[fault]]\nat = \"60s\"\nfor = \"3m\"\nkind = \"az_outage\"\naz = \"a\"\n",
            )
            .edit("target = \"lb\"", "target = \"lb\"\ntimeout = \"2s\""),
        )
    };
    let s = run("");
    // The node draw and the cache draw: sd of the count about 90.
    let lost = num(&s, "components.lb.lost_node_requests");
    assert!((lost - 6_000.0).abs() < 400.0, "{lost}");
    // A lost node never received them: the load balancer counts the others.
    assert_eq!(
        num(&s, "components.lb.requests") + lost,
        num(&s, "requests.total")
    );
    // Among the timeouts, with those of requests routed to a1 before the health checks
    // found it gone.
    assert!(num(&s, "requests.by_status.timeout") > lost);
    // The terminal and the page show it beside the balancer's other figures: often the
    // largest cause of an outage's timeouts, not to be found in summary.json alone.
    let info = archsim::components::registry::info("load_balancer").unwrap();
    let shown: Vec<String> = info
        .columns
        .iter()
        .filter_map(|c| archsim::report::columns::terminal(c, &s["components"]["lb"], &[]))
        .collect();
    assert!(
        shown
            .iter()
            .any(|t| t == &format!("sent to a lost zone's node (no answer) {lost}")),
        "{shown:?}"
    );
    let later = run("lost_node_detection = \"20s\"");
    let lost = num(&later, "components.lb.lost_node_requests");
    assert!((lost - 10_000.0).abs() < 450.0, "{lost}");
    // Without a zone outage, no such figure.
    let calm = crate::run(&scenario(
        600,
        "60s",
        "",
        &[("a1", "a"), ("b1", "b")],
        "1ms",
        "",
    ));
    assert!(archsim::metrics::pointer(&calm, "components.lb.lost_node_requests").is_none());
}

#[test]
fn without_cross_zone_a_group_built_after_its_balancer_gets_traffic_in_every_zone() {
    // An NLB (cross-zone off) before the Auto Scaling group it fronts, one instance in each
    // of three zones: each node routes to its own zone's instance, a third of the traffic
    // each, ρ = 300/s × 10 ms / 6 vCPUs = 0.5. (The group told the target group its zones
    // only when it was built, after the balancer, which then had one node: zone a's, whose
    // one instance took everything and refused what its 2 vCPUs could not hold.)
    let text = r#"
        [scenario]
        duration = "2m"
        warmup = "10s"
        [[workload]]
        name = "users"
        target = "nlb"
        arrival = { process = "poisson", rate = 300 }
        timeout = "5s"
        [[component]]
        id = "nlb"
        kind = "load_balancer"
        type = "network"
        targets = "web"
        [[component]]
        id = "web"
        kind = "ec2_autoscaling"
        instance_type = "c6i.large"
        zones = ["a", "b", "c"]
        min = 3
        max = 3
        work = "10ms"
        "#;
    let s = crate::run(text);
    assert_eq!(num(&s, "components.web.rejected"), 0.0);
    // As busy as with cross-zone balancing on, which spreads the traffic over every
    // instance whatever its node.
    let across = crate::run(&text.edit(
        "type = \"network\"",
        "type = \"network\"\ncross_zone = true",
    ));
    let (u, v) = (
        num(&s, "components.web.utilisation"),
        num(&across, "components.web.utilisation"),
    );
    assert!((u - v).abs() < 0.02, "{u} {v}");
}

#[test]
fn the_node_lost_is_the_failed_zones_whatever_order_the_groups_zones_are_written_in() {
    // An NLB (cross-zone off) before a group in zones written "c" then "a", an instance in
    // each; zone c fails. Its node is lost: the clients that still resolve it time out, and
    // nothing else does (zone a's node sends only to zone a's instance). Were the nodes
    // numbered apart from the group's zones, zone a's node would be the one lost and zone
    // c's would keep sending to its dead instance: far more timeouts than lost requests.
    let s = crate::run(
        r#"
        [scenario]
        duration = "4m"
        [network]
        same_az = "0s"
        cross_az = "0s"
        [[workload]]
        name = "users"
        target = "nlb"
        arrival = { process = "constant", rate = 200 }
        timeout = "2s"
        [[component]]
        id = "nlb"
        kind = "load_balancer"
        type = "network"
        targets = "web"
        [[component]]
        id = "web"
        kind = "ec2_autoscaling"
        instance_type = "c6i.large"
        zones = ["c", "a"]
        min = 2
        max = 2
        work = "1ms"
        [[fault]]
        at = "60s"
        for = "2m"
        kind = "az_outage"
        az = "c"
        "#,
    );
    // 100/s at zone c's node, falling to none over the 60 s TTL: about 3,000.
    let lost = num(&s, "components.nlb.lost_node_requests");
    assert!((lost - 3_000.0).abs() < 300.0, "{lost}");
    let timeouts = num(&s, "requests.by_status.timeout");
    assert!(timeouts - lost < 30.0, "{timeouts} timed out, {lost} lost");
}

#[test]
fn a_balancer_placed_in_the_failed_zone_is_down_with_it() {
    // `az = "a"`: the whole balancer is in zone a, and its outage takes it: every request
    // for the three minutes goes unanswered, none counted as a lost node's.
    let s = crate::run(
        &scenario(
            100,
            "300s",
            "az = \"a\"",
            &[("a1", "a"), ("b1", "b")],
            "1ms",
            "[[fault]]\nat = \"60s\"\nfor = \"3m\"\nkind = \"az_outage\"\naz = \"a\"\n",
        )
        .edit("target = \"lb\"", "target = \"lb\"\ntimeout = \"2s\""),
    );
    let timeouts = num(&s, "requests.by_status.timeout");
    assert!((timeouts - 18_000.0).abs() <= 2.0, "{timeouts}");
    assert!(archsim::metrics::pointer(&s, "components.lb.lost_node_requests").is_none());
}
