//! EC2 Auto Scaling behind a load balancer against its documented behaviour (aws-facts §4, §3).

use crate::Edit;
use crate::{num, pointer_absent, scenario};
use archsim::metrics::EventRecord;
use archsim::world::World;

/// An ALB in front of group `web` (m5.large, 2 vCPUs, speed 1), its keys in `group`; constant
/// traffic `arrival`; boot time 60 s, network hops free.
fn asg(duration: &str, arrival: &str, group: &str, lb: &str, faults: &str) -> String {
    format!(
        r#"
        [scenario]
        duration = "{duration}"
        [network]
        same_az = "0s"
        cross_az = "0s"
        [[workload]]
        name = "u"
        target = "alb"
        arrival = {arrival}
        timeout = "70s"
        [[component]]
        id = "alb"
        kind = "load_balancer"
        targets = "web"
        health_check = {{ interval = "10s", timeout = "5s", unhealthy_threshold = 2, healthy_threshold = 2 }}
        {lb}
        [[component]]
        id = "web"
        kind = "ec2_autoscaling"
        instance_type = "m5.large"
        boot_time = "60s"
        {group}
        {faults}
        "#
    )
}

fn events(toml: &str, seed: u64) -> Vec<EventRecord> {
    World::build(&scenario(toml), seed).run().unwrap().events
}

fn times(ev: &[EventRecord], event: &str) -> Vec<f64> {
    ev.iter()
        .filter(|e| e.event == event)
        .map(|e| e.time.as_secs_f64())
        .collect()
}

#[test]
fn cpu_utilisation_is_offered_work_over_vcpus_and_speed() {
    // 2 instances × 2 vCPUs; Poisson 300/s of 10 ms (m5-seconds) work: 3 vCPUs busy of 4 on
    // m5 (75 %), and 3 / 1.2 = 2.5 of 4 on c6i, 20 % faster per vCPU (62.5 %).
    for (itype, expected) in [("m5.large", 0.75), ("c6i.large", 0.625)] {
        let toml = asg(
            "10m",
            r#"{ process = "poisson", rate = 300 }"#,
            r#"min = 2
               work = { dist = "exponential", mean = "10ms" }"#,
            "",
            "",
        )
        .edit("\"m5.large\"", &format!("\"{itype}\""));
        let s = crate::run(&toml);
        let u = num(&s, "components.web.utilisation");
        assert!((u - expected).abs() < 0.015, "{itype}: {u} vs {expected}");
        assert_eq!(num(&s, "requests.by_status.200"), num(&s, "requests.total"));
        // The work accepted is the same ρ: every request is served.
        let accepted = num(&s, "components.web.accepted_utilisation");
        assert!(
            (accepted - expected).abs() < 0.015,
            "{itype}: {accepted} vs {expected}"
        );
        assert!((num(&s, "components.web.accepted_vcpus") - 4.0 * expected).abs() < 0.06);
    }
}

#[test]
fn target_tracking_scales_out_no_earlier_than_three_delayed_datapoints() {
    // Load steps from 100/s to 500/s at 5 min on 2 instances (20 ms work: 2 vCPUs busy of 4,
    // 50 %, below the 70 % target; then 10, saturated). One-minute periods close at whole
    // minutes; the three above target are [5,6), [6,7), [7,8) min, the last visible 60 s
    // later: scale-out at 9 min, no earlier.
    let toml = asg(
        "15m",
        r#"{ process = "step", steps = [["0s", 100], ["5m", 500]] }"#,
        r#"min = 2
           max = 10
           monitoring = "detailed"
           work = "20ms"
           scaling = { policy = "target_tracking", target = 70 }"#,
        "",
        "",
    );
    for seed in 1..=3 {
        let ev = events(&toml, seed);
        let out = times(&ev, "scale_out");
        assert_eq!(out.first().copied(), Some(540.0), "seed {seed}: {out:?}");
        // CPU read 100 % (saturated) on 2 instances: ⌈2 × 100 / 70⌉ = 3.
        let first = ev.iter().find(|e| e.event == "scale_out").unwrap();
        assert!(
            first.detail.starts_with("desired 2 -> 3"),
            "{}",
            first.detail
        );
        // The new instances serve after booting (60 s) and passing one health check (10 s).
        let healthy: Vec<f64> = times(&ev, "target_healthy");
        assert!(
            healthy.iter().any(|&t| (600.0..=611.0).contains(&t)),
            "{healthy:?}"
        );
    }
}

#[test]
fn simple_scaling_waits_out_its_cooldown_after_each_activity() {
    // Saturated from the start: each scale-out adds one; the next may come only when the
    // previous instance is in service (boot 60 s) and the 300 s cooldown has passed, and then
    // at the next datapoint (one-minute periods, visible a minute late).
    let toml = asg(
        "40m",
        r#"{ process = "constant", rate = 400 }"#,
        r#"min = 1
           max = 6
           monitoring = "detailed"
           work = "20ms"
           scaling = { policy = "simple", above = 70, add = 1, cooldown = "300s" }"#,
        "",
        "",
    );
    let ev = events(&toml, 1);
    let out = times(&ev, "scale_out");
    let in_service = times(&ev, "in_service");
    assert!(out.len() >= 3, "{out:?}");
    for k in 1..out.len().min(in_service.len()) {
        let allowed = in_service[k - 1] + 300.0;
        assert!(
            out[k] >= allowed,
            "scale-out {k} at {} before {allowed}",
            out[k]
        );
        assert!(
            out[k] <= allowed + 60.0,
            "scale-out {k} at {} long after {allowed}",
            out[k]
        );
    }
}

#[test]
fn a_failed_instance_gets_traffic_until_detected_then_is_replaced() {
    // Two instances, 100/s round robin; one fails at 120 s. The ALB keeps sending it half
    // the traffic (each request a 504 after the 10 s connection timeout) until two failed
    // checks 10 s apart. EC2 status checks see it two minutes in (240 s), and the group
    // replaces it then: an instance the run starts with stands for one long in service, past
    // its grace period (300 s by default), which holds a new instance's replacement only.
    let toml = asg(
        "8m",
        r#"{ process = "constant", rate = 100 }"#,
        r#"min = 2
           work = "5ms""#,
        "",
        r#"[[fault]]
           at = "120s"
           kind = "instance_failure"
           target = "web""#,
    );
    let ev = events(&toml, 1);
    let unhealthy = times(&ev, "target_unhealthy");
    assert_eq!(unhealthy.len(), 1, "{unhealthy:?}");
    assert!((130.0..=140.0).contains(&unhealthy[0]), "{unhealthy:?}");
    let replaced = ev
        .iter()
        .find(|e| e.event == "terminated" && e.detail.contains("status checks"))
        .expect("replaced");
    let t = replaced.time.as_secs_f64();
    assert!((240.0..=250.0).contains(&t), "replaced at {t}");
    let launch = times(&ev, "launch");
    assert_eq!(launch, vec![t]);
    let s = crate::run(&toml);
    // Half of ~10-20 s of traffic went to the dead instance.
    let e504 = num(&s, "requests.by_status.504");
    assert!((450.0..=1050.0).contains(&e504), "{e504}");
    assert_eq!(num(&s, "components.web.replacements"), 1.0);
    assert_eq!(num(&s, "components.alb.targets"), 2.0);
}

#[test]
fn spot_interruption_notice_is_two_minutes_and_rebalancing_acts_on_it() {
    let group = |rebalance: bool| {
        format!(
            r#"min = 4
               market = "spot"
               work = "5ms"
               capacity_rebalance = {rebalance}"#
        )
    };
    let wave = r#"[[fault]]
        at = "100s"
        kind = "spot_interruption"
        target = "web"
        fraction = 0.5"#;
    // Without capacity rebalancing: two instances serve to the end of their notice, then go;
    // the group launches replacements only then.
    let toml = asg(
        "8m",
        r#"{ process = "constant", rate = 200 }"#,
        &group(false),
        "",
        wave,
    );
    let ev = events(&toml, 1);
    assert_eq!(times(&ev, "spot_notice"), vec![100.0, 100.0]);
    assert_eq!(times(&ev, "launch"), vec![220.0, 220.0]);
    // With it (aws-facts §4: launch before terminate): replacements launch at the notice;
    // the noticed instances serve until the replacements are in service (the 60 s boot), and
    // only then drain. The group never has fewer than four in service; nor does it launch a
    // third instance when the noticed ones stop.
    let toml = asg(
        "8m",
        r#"{ process = "constant", rate = 200 }"#,
        &format!("{}\nmax = 6", group(true)),
        "",
        wave,
    );
    let r = World::build(&scenario(&toml), 1).run().unwrap();
    assert_eq!(times(&r.events, "launch"), vec![100.0, 100.0]);
    assert_eq!(times(&r.events, "in_service"), vec![160.0, 160.0]);
    assert_eq!(times(&r.events, "draining"), vec![160.0, 160.0]);
    let in_service = crate::series(&r, "web", "instances_in_service");
    let least = in_service.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(least >= 4.0 - 1e-9, "{in_service:?}");
    // A boot longer than the notice: the noticed instances stop at its end, as without
    // rebalancing, and the replacements, launched two minutes earlier, count in their place.
    let slow = asg(
        "8m",
        r#"{ process = "constant", rate = 200 }"#,
        &group(true),
        "",
        wave,
    )
    .replace("boot_time = \"60s\"", "boot_time = \"150s\"")
    .replace("min = 4", "min = 4\nmax = 6");
    let ev = events(&slow, 1);
    assert_eq!(times(&ev, "launch"), vec![100.0, 100.0]);
    assert_eq!(times(&ev, "in_service"), vec![250.0, 250.0]);
    assert!(times(&ev, "draining").is_empty());
    // At its maximum (4, the default: its minimum), a group launching first may go over it
    // by 10 % of its desired capacity, one instance at least: one replacement goes ahead,
    // the other instance is replaced when it is interrupted.
    let full = asg(
        "8m",
        r#"{ process = "constant", rate = 200 }"#,
        &group(true),
        "",
        wave,
    );
    assert_eq!(times(&events(&full, 1), "launch"), vec![100.0, 220.0]);
}

#[test]
fn a_noticed_instance_that_fails_before_its_replacement_is_in_service_leaves_it_counted() {
    // Four spot instances, a notice on two at 100 s, their replacements booting for 150 s;
    // every instance fails at 110 s. The replacements come into service at 250 s and the
    // failed instances they replace go then: the group must not take the replacements for
    // capacity beyond its desired four and scale them in (it used to, leaving nothing in
    // service until the failed ones were replaced).
    let toml = asg(
        "10m",
        r#"{ process = "constant", rate = 50 }"#,
        r#"min = 4
           max = 6
           market = "spot"
           work = "5ms"
           boot_time = "150s"
           capacity_rebalance = true"#,
        "",
        r#"[[fault]]
        at = "100s"
        kind = "spot_interruption"
        target = "web"
        fraction = 0.5
        [[fault]]
        at = "110s"
        kind = "instance_failure"
        target = "web"
        count = 4"#,
    )
    .replace("boot_time = \"60s\"\n", "");
    let ev = events(&toml, 1);
    assert_eq!(times(&ev, "in_service")[..2], [250.0, 250.0]);
    let scale_in: Vec<&EventRecord> = ev
        .iter()
        .filter(|e| e.event == "draining" && e.detail.contains("scale-in"))
        .collect();
    assert!(scale_in.is_empty(), "{scale_in:?}");
}

#[test]
fn a_load_balancer_counts_a_target_that_drained_then_stopped_once() {
    // Four instances, a request of 2 s every second; two get a spot notice at 100 s, drain when
    // their replacements are in service (160 s) with requests still running (a 300 s
    // deregistration delay), and stop at the notice's end (220 s). The load balancer's healthy
    // count lost each when it started draining, and must not lose it again when it goes: it
    // counted 2 for the rest of the run, though four instances served.
    let toml = asg(
        "8m",
        r#"{ process = "constant", rate = 1 }"#,
        r#"min = 4
           max = 6
           market = "spot"
           work = "2s"
           capacity_rebalance = true"#,
        "",
        r#"[[fault]]
        at = "100s"
        kind = "spot_interruption"
        target = "web"
        count = 2"#,
    );
    let r = World::build(&scenario(&toml), 1).run().unwrap();
    assert_eq!(times(&r.events, "draining"), vec![160.0, 160.0]);
    let healthy = crate::series(&r, "alb", "healthy_targets");
    let in_service = crate::series(&r, "web", "instances_in_service");
    let last = healthy.len() - 1;
    assert_eq!((healthy[last], in_service[last]), (4.0, 4.0), "{healthy:?}");
    // And from the first instant: the group's first instances count before any request
    // (the first window read 0 until the first request made the balancer look).
    assert_eq!((healthy[0], in_service[0]), (4.0, 4.0), "{healthy:?}");
}

#[test]
fn an_instance_stopping_as_a_period_closes_still_reports_that_period() {
    // One spot instance, reclaimed at 180 s (notice at 60 s), exactly when the one-minute
    // period [120 s, 180 s) closes. It served all of that period at 20 % CPU (40/s of 10 ms on
    // 2 vCPUs; 50 % before, at 100/s), so the group's metric shows 20 % once the datapoint
    // arrives 10 s later, instead of keeping the previous minute's 50 %.
    let toml = asg(
        "4m",
        r#"{ process = "step", steps = [["0s", 100], ["120s", 40]] }"#,
        r#"min = 1
           max = 1
           market = "spot"
           monitoring = "detailed"
           metric_delay = "10s"
           work = "10ms""#,
        "",
        r#"[[fault]]
        at = "60s"
        kind = "spot_interruption"
        target = "web"
        count = 1"#,
    );
    let r = World::build(&scenario(&toml), 1).run().unwrap();
    assert_eq!(times(&r.events, "terminated"), vec![180.0]);
    let metric = crate::series(&r, "web", "metric_cpu_pct");
    let at = |s: u64| metric[(s * 1_000_000_000 / r.clock.window.0) as usize];
    assert!((at(150) - 50.0).abs() < 2.0, "[60 s, 120 s): {}", at(150));
    assert!((at(200) - 20.0).abs() < 2.0, "[120 s, 180 s): {}", at(200));
}

#[test]
fn spot_and_reserved_cost_their_fraction_of_on_demand() {
    // aws-facts §4: m5.large 0.096 $/h; 3 instances for the measured hour.
    for (market, per_hour) in [
        ("on_demand", 0.096),
        ("spot", 0.096 * 0.35),
        ("reserved", 0.096 * 0.63),
    ] {
        let toml = asg(
            "61m",
            r#"{ process = "constant", rate = 10 }"#,
            &format!(
                r#"min = 3
                   market = "{market}"
                   work = "1ms""#
            ),
            "",
            "",
        )
        .edit("[scenario]", "[scenario]\nwarmup = \"1m\"");
        let s = crate::run(&toml);
        let cost = num(&s, "components.web.cost_usd");
        assert!((cost - 3.0 * per_hour).abs() < 1e-9, "{market}: {cost}");
    }
}

#[test]
fn deregistration_delay_lets_requests_finish_and_cuts_off_what_outlasts_it() {
    // A scheduled action halves the group at 60 s; requests take 20 s each (a slow report) on
    // 32-vCPU instances, each sent one a second (shallow health checks: a deep one would
    // take 20 s too). With a 5 s deregistration delay, what the drained instance took in its
    // last 15 s of service is still running at 65 s and gets 502; with 60 s it all finishes.
    let run = |delay: &str| {
        let toml = asg(
            "3m",
            r#"{ process = "constant", rate = 2 }"#,
            r#"min = 1
               max = 2
               desired = 2
               work = "20s"
               schedule = [ { at = "60s", desired = 1 } ]"#,
            &format!("deregistration_delay = \"{delay}\"\nidle_timeout = \"100s\""),
            "",
        )
        .edit("m5.large", "m5.8xlarge")
        .edit(
            "healthy_threshold = 2 }",
            "healthy_threshold = 2, path = \"shallow\" }",
        );
        crate::run(&toml)
    };
    let short = run("5s");
    let cut = num(&short, "components.web.drain_cut_off");
    assert!((14.0..=15.0).contains(&cut), "{cut}");
    assert_eq!(num(&short, "components.alb.by_status.502"), cut);
    let long = run("60s");
    assert_eq!(num(&long, "components.web.drain_cut_off"), 0.0);
    assert!(pointer_absent(&long, "components.alb.by_status.502"));
    assert_eq!(
        num(&long, "requests.by_status.200"),
        num(&long, "requests.total")
    );
}

#[test]
fn zone_outage_moves_capacity_and_rebalancing_brings_it_back() {
    // Four instances over zones a and b. Zone a fails at 60 s for 5 minutes: its two
    // instances are replaced in b (status checks, two minutes); when a is back the group
    // launches there before terminating in b, until the zones are even again.
    let toml = asg(
        "20m",
        r#"{ process = "constant", rate = 100 }"#,
        r#"min = 4
           max = 4
           zones = ["a", "b"]
           work = "5ms""#,
        "",
        r#"[[fault]]
           at = "60s"
           for = "5m"
           kind = "az_outage"
           az = "a""#,
    );
    let ev = events(&toml, 1);
    let launches: Vec<(f64, &str)> = ev
        .iter()
        .filter(|e| e.event == "launch")
        .map(|e| (e.time.as_secs_f64(), e.detail.as_str()))
        .collect();
    let during: Vec<_> = launches.iter().filter(|(t, _)| *t < 360.0).collect();
    assert_eq!(during.len(), 2, "{launches:?}");
    assert!(
        during.iter().all(|(_, d)| d.contains(" in b ")),
        "{during:?}"
    );
    let after: Vec<_> = launches.iter().filter(|(t, _)| *t >= 360.0).collect();
    assert_eq!(after.len(), 2, "{launches:?}");
    assert!(after.iter().all(|(_, d)| d.contains(" in a ")), "{after:?}");
    assert_eq!(
        ev.iter()
            .filter(|e| e.event == "draining" && e.detail.contains("rebalancing"))
            .count(),
        2
    );
}

#[test]
fn slow_start_ramps_a_new_targets_share_linearly() {
    // Two instances at 1000/s; a third, launched at 0 s, boots in 65 s and passes its first
    // health check at 70 s. With 120 s of slow start its weight grows as x = (t - 70 s)/120 s
    // beside two weights of 1, so over the ramp it gets 1000/s × 120 s × ∫₀¹ x/(2+x) dx
    // = 120,000 × (1 − 2 ln 1.5) ≈ 22,688 requests, against 40,000 without slow start.
    let toml = asg(
        "200s",
        r#"{ process = "constant", rate = 1000 }"#,
        r#"min = 2
           max = 3
           work = "1ms"
           schedule = [ { at = "0s", desired = 3 } ]"#,
        r#"slow_start = "120s""#,
        "",
    )
    .edit("boot_time = \"60s\"", "boot_time = \"65s\"");
    let ev = events(&toml, 1);
    let healthy = times(&ev, "target_healthy");
    assert_eq!(healthy.len(), 1, "{healthy:?}");
    // The first check after registration at 65 s: the 10 s probe round at 70 s.
    assert!((70.0..70.1).contains(&healthy[0]), "{healthy:?}");
    let theory = 120_000.0 * (1.0 - 2.0 * 1.5f64.ln());
    let s = crate::run(&toml);
    let n = num(&s, "components.alb.slow_start_requests");
    assert!((n - theory).abs() < 0.02 * theory, "{n} vs {theory:.0}");
}

#[test]
fn a_group_called_directly_balances_over_its_instances_in_service() {
    // No load balancer: a service calls the group, which spreads calls in turn over what is in
    // service. Three c6i.large (speed 1.2) at 600/s of 8 m5-ms: 4.8 vCPUs' worth in m5
    // terms, 4.8 / 1.2 = 4 busy of 6 (66.7 %); one instance alone could not pass 33 %.
    let s = crate::run(
        r#"
        [scenario]
        duration = "5m"
        [[workload]]
        name = "u"
        target = "front"
        arrival = { process = "poisson", rate = 600 }
        [[component]]
        id = "front"
        kind = "service"
        servers = 1000
        service_time = "0s"
        calls = [ { to = "web" } ]
        [[component]]
        id = "web"
        kind = "ec2_autoscaling"
        instance_type = "c6i.large"
        min = 3
        work = { dist = "exponential", mean = "8ms" }
        "#,
    );
    let u = num(&s, "components.web.utilisation");
    assert!((u - 600.0 * 0.008 / 1.2 / 6.0).abs() < 0.015, "{u}");
    assert_eq!(num(&s, "requests.by_status.200"), num(&s, "requests.total"));
}

#[test]
fn step_scaling_adds_by_step_and_counts_warming_instances() {
    // Saturated from 5 min (20 ms at 400/s on two instances: 8 vCPUs of work on 4). One
    // datapoint above 90 % triggers the biggest step, +3 on the 2 instances counted: desired
    // 5, when the [5, 6) min datapoint is visible at 7 min. While the three new ones boot
    // (60 s) and warm (5 min) they are not counted, so the same breach asks for 2 + 3 = 5
    // again: nothing more until they are warm.
    let toml = asg(
        "20m",
        r#"{ process = "step", steps = [["0s", 100], ["5m", 400]] }"#,
        r#"min = 2
           max = 10
           monitoring = "detailed"
           warmup = "5m"
           work = "20ms"
           scaling = { policy = "step", steps = [{ above = 60, add = 1 }, { above = 90, add = 3 }] }"#,
        "",
        "",
    );
    let ev = events(&toml, 1);
    let outs: Vec<(f64, &str)> = ev
        .iter()
        .filter(|e| e.event == "scale_out")
        .map(|e| (e.time.as_secs_f64(), e.detail.as_str()))
        .collect();
    assert_eq!(outs[0].0, 420.0, "{outs:?}");
    assert!(outs[0].1.starts_with("desired 2 -> 5"), "{outs:?}");
    // In service at 480 s, warm at 780 s, when the [11, 12) min datapoint is seen: the load,
    // spread over five now, keeps each at 80 % (8 vCPUs of work on 10), the +1 step, and the
    // five count: desired 6, no earlier.
    assert_eq!(outs[1].0, 780.0, "{outs:?}");
    assert!(outs[1].1.starts_with("desired 5 -> 6"), "{outs:?}");
}

#[test]
fn with_elb_health_checks_the_group_replaces_what_the_load_balancer_finds_unhealthy() {
    // The same failure as above, but the group trusts the load balancer's health checks
    // (grace period over): the ALB marks the instance unhealthy after two failed checks 10 s
    // apart, and the group's next health pass (every 10 s) replaces it, long before the EC2
    // status checks' two minutes.
    let toml = asg(
        "6m",
        r#"{ process = "constant", rate = 100 }"#,
        r#"min = 2
           work = "5ms"
           health_check_type = "elb"
           health_check_grace_period = "0s""#,
        "",
        r#"[[fault]]
           at = "120s"
           kind = "instance_failure"
           target = "web""#,
    );
    let ev = events(&toml, 1);
    let unhealthy = times(&ev, "target_unhealthy")[0];
    let replaced = ev
        .iter()
        .find(|e| e.event == "terminated" && e.detail.contains("load balancer"))
        .expect("replaced on the load balancer's word")
        .time
        .as_secs_f64();
    assert!(
        replaced >= unhealthy && replaced <= unhealthy + 10.0,
        "{unhealthy} {replaced}"
    );
    assert_eq!(times(&ev, "launch"), vec![replaced]);
}

#[test]
fn a_step_policy_waits_for_as_many_datapoints_as_it_says() {
    // Saturated from the start (20 ms at 400/s on two instances: 8 vCPUs of work on 4), one-
    // minute datapoints, the first visible at 2 min (the [0, 1) min period, a minute late).
    // With `datapoints = 20` the alarm needs the 20 periods [0, 20) min above 60 %: visible
    // at 21 min, and not before (the group once kept only 15 datapoints and never fired).
    let toml = asg(
        "30m",
        r#"{ process = "constant", rate = 400 }"#,
        r#"min = 2
           max = 4
           monitoring = "detailed"
           work = "20ms"
           scaling = { policy = "step", steps = [{ above = 60, add = 1 }], datapoints = 20 }"#,
        "",
        "",
    );
    let outs = times(&events(&toml, 1), "scale_out");
    assert_eq!(outs.first().copied(), Some(21.0 * 60.0), "{outs:?}");
}

#[test]
fn with_no_warmup_set_target_tracking_leaves_new_instances_out_for_the_default_cooldown() {
    // aws-facts §4: with no default instance warmup, a target tracking policy's warmup falls
    // back to the default cooldown, 300 s. The load of the test above: scale-out to 3 at
    // 540 s; the new instance is in service at 600 s (boot 60 s) but warm only at 900 s. Until
    // then the policy counts 2 instances, saturated: ⌈2 × 100 / 70⌉ = 3, no more than desired.
    // At 900 s it counts 3: ⌈3 × 100 / 70⌉ = 5, the second scale-out. With the warmup set to
    // 0 s the new instance counts as soon as it serves, and the second comes by 660 s.
    let toml = |warmup: &str| {
        asg(
            "20m",
            r#"{ process = "step", steps = [["0s", 100], ["5m", 500]] }"#,
            &format!(
                r#"min = 2
                   max = 10
                   monitoring = "detailed"
                   work = "20ms"
                   {warmup}
                   scaling = {{ policy = "target_tracking", target = 70 }}"#
            ),
            "",
            "",
        )
    };
    for seed in 1..=2 {
        let out = times(&events(&toml(""), seed), "scale_out");
        assert_eq!(&out[..2], &[540.0, 900.0], "seed {seed}: {out:?}");
        let out = times(&events(&toml("warmup = \"0s\""), seed), "scale_out");
        assert_eq!(out[0], 540.0, "seed {seed}: {out:?}");
        assert!(out[1] <= 660.0, "seed {seed}: {out:?}");
    }
}

#[test]
fn high_resolution_target_tracking_acts_on_ten_second_datapoints() {
    // aws-facts §4 high-resolution target tracking: a 10 s metric period. The load of the
    // tests above saturates 2 instances from 300 s: the three 10 s datapoints above target are
    // [300, 310), [310, 320) and [320, 330) s, the last visible one period (10 s) later:
    // scale-out at 340 s, where one-minute datapoints wait until 540 s. Still to
    // ⌈2 × 100 / 70⌉ = 3. (Shallow health checks: a deep one times out on a saturated
    // instance, which then sits out and leaves the group's mean CPU at 50 %.)
    let toml = asg(
        "10m",
        r#"{ process = "step", steps = [["0s", 100], ["5m", 500]] }"#,
        r#"min = 2
           max = 10
           work = "20ms"
           scaling = { policy = "target_tracking", target = 70, period = "10s" }"#,
        "",
        "",
    )
    .edit(
        "healthy_threshold = 2 }",
        "healthy_threshold = 2, path = \"shallow\" }",
    );
    for seed in 1..=2 {
        let ev = events(&toml, seed);
        let first = ev
            .iter()
            .find(|e| e.event == "scale_out")
            .expect("scales out");
        assert_eq!(first.time.as_secs_f64(), 340.0, "seed {seed}");
        assert!(
            first.detail.starts_with("desired 2 -> 3"),
            "{}",
            first.detail
        );
    }
}

#[test]
fn an_nlb_takes_a_failed_instance_out_by_its_passive_checks_before_the_active_ones() {
    // The failure of the test above behind an NLB (aws-facts §3 NLB). The first request
    // routed to the dead instance after 120 s finds its connection attempt failing at the
    // 10 s connection timeout, about 130 s; the passive health checks then take the instance
    // out of rotation, before the active checks (10 s apart, timeout 5 s) find it at 135 s
    // or later. Its clients see their connections fail (599), not 504: half the traffic of
    // those 10 s, 500, with a flow hash's binomial noise (sd about 16).
    let toml = asg(
        "8m",
        r#"{ process = "constant", rate = 100 }"#,
        r#"min = 2
           work = "5ms""#,
        "type = \"network\"",
        r#"[[fault]]
           at = "120s"
           kind = "instance_failure"
           target = "web""#,
    );
    for seed in 1..=3 {
        let ev = events(&toml, seed);
        let passive = times(&ev, "passive_unhealthy");
        assert_eq!(passive.len(), 1, "seed {seed}: {passive:?}");
        assert!(
            (130.0..130.1).contains(&passive[0]),
            "seed {seed}: {passive:?}"
        );
        let active = times(&ev, "target_unhealthy");
        assert!(active[0] >= 135.0, "seed {seed}: {active:?}");
    }
    let s = crate::run(&toml);
    let failed = num(&s, "requests.by_status.599");
    assert!((failed - 500.0).abs() < 80.0, "{failed}");
    assert!(archsim::metrics::pointer(&s, "requests.by_status.504").is_none());
    assert_eq!(num(&s, "components.alb.passive_unhealthy"), 1.0);
}

#[test]
fn requests_per_target_is_watched_each_minute_whatever_ec2_monitoring_says() {
    // The load balancer publishes its request count per target every 60 s; EC2's basic
    // monitoring (5 minutes, the default) is for the instances' own metrics. Traffic steps
    // from 100/s to 400/s at 10 minutes: three 1-minute datapoints above the target, seen a
    // minute late, scale out near 14 minutes, not 26 (3 five-minute periods and their delay).
    let toml = asg(
        "30m",
        r#"{ process = "step", steps = [["0s", 100], ["10m", 400]] }"#,
        r#"min = 2
           max = 20
           warmup = "1m"
           work = "2ms"
           scaling = { policy = "target_tracking", metric = "requests_per_target", target = 3000 }"#,
        "",
        "",
    );
    let out = times(&events(&toml, 1), "scale_out");
    assert!(!out.is_empty(), "no scale-out");
    assert!((780.0..=900.0).contains(&out[0]), "{out:?}");
}

#[test]
fn a_target_that_drops_its_connections_gets_each_load_balancers_own_answer() {
    // Half of four spot instances (32 vCPUs each, requests of 2 s, 20 a second: about 10 in
    // flight on each) get their notice at 4 minutes and are reclaimed two minutes later with
    // requests in flight: their connections close.
    // aws-facts §3: a CLB answers 504 ("instance closed the connection"), and an NLB has no
    // HTTP status: its client sees the reset (599 here). (An ALB's 502 for the same is
    // tested in `deregistration_delay_lets_requests_finish_and_cuts_off_what_outlasts_it`.)
    let toml = |lb_type: &str| {
        format!(
            r#"
            [scenario]
            duration = "8m"
            [[workload]]
            name = "c"
            target = "lb"
            arrival = {{ process = "constant", rate = 20 }}
            timeout = "10s"
            [[component]]
            id = "lb"
            kind = "load_balancer"
            type = "{lb_type}"
            targets = "api"
            [[component]]
            id = "api"
            kind = "ec2_autoscaling"
            instance_type = "c6i.8xlarge"
            zones = ["a", "b"]
            min = 4
            max = 4
            market = "spot"
            work = "2s"
            [[fault]]
            at = "4m"
            kind = "spot_interruption"
            target = "api"
            fraction = 0.5
            "#
        )
    };
    for (lb_type, seen) in [("classic", "504"), ("network", "599")] {
        let s = crate::run(&toml(lb_type));
        let cut = num(&s, &format!("requests.by_status.{seen}"));
        assert!(cut >= 10.0, "{lb_type}: {cut} answered {seen}");
        let by_status = s["requests"]["by_status"].as_object().unwrap();
        for other in ["502", "504", "599"].iter().filter(|o| **o != seen) {
            assert!(!by_status.contains_key(*other), "{lb_type}: {by_status:?}");
        }
    }
}

#[test]
fn a_health_replacement_drains_its_requests_before_it_terminates() {
    // An instance whose deep checks (3 s of work) outlast the 2 s probe timeout is found
    // unhealthy and replaced. It still answers: the group drains it for the deregistration
    // delay, as for a scale-in, and launches its replacement at once
    // (`asg:as-add-elb-healthcheck.html`), so its requests in flight finish instead of being
    // cut with 502. The instance the run starts with is past its grace period (it stands
    // for one long in service): replaced at the group's first health check after the load
    // balancer marks it (12 s; checks every 20 s). Its replacement, as slow, comes into
    // service at 120 s and is found unhealthy at once, but is kept for its grace period
    // (`asg:health-check-grace-period.html`): replaced at 120 + 120 s.
    let toml = r#"
        [scenario]
        duration = "5m"
        [[workload]]
        name = "u"
        target = "alb"
        arrival = { process = "constant", rate = 0.5 }
        timeout = "30s"
        [[component]]
        id = "alb"
        kind = "load_balancer"
        targets = "web"
        health_check = { interval = "5s", timeout = "2s", unhealthy_threshold = 2 }
        [[component]]
        id = "web"
        kind = "ec2_autoscaling"
        instance_type = "m5.large"
        min = 1
        max = 1
        work = "3s"
        boot_time = "100s"
        health_check_type = "elb"
        health_check_grace_period = "120s"
    "#;
    let ev = events(toml, 1);
    assert_eq!(times(&ev, "target_unhealthy"), vec![12.0, 127.0]);
    let draining: Vec<f64> = ev
        .iter()
        .filter(|e| e.event == "draining" && e.detail.contains("unhealthy"))
        .map(|e| e.time.as_secs_f64())
        .collect();
    assert_eq!(draining, vec![20.0, 240.0]);
    assert_eq!(times(&ev, "launch"), vec![20.0, 240.0]);
    assert_eq!(times(&ev, "in_service"), vec![120.0, 340.0]);
    let gone: Vec<_> = ev.iter().filter(|e| e.event == "terminated").collect();
    assert_eq!(gone.len(), 2);
    for (g, d) in gone.iter().zip(&draining) {
        assert!(g.detail.contains("drained"), "{}", g.detail);
        assert!(g.time.as_secs_f64() > *d);
    }
    let s = crate::run(toml);
    assert!(pointer_absent(&s, "components.alb.by_status.502"));
    assert_eq!(num(&s, "components.web.replacements"), 2.0);
}

#[test]
fn a_variant_of_the_work_boots_and_fails_the_same_instances_as_its_baseline() {
    // Four instances booting in 40–80 s; two fail at 120 s and are replaced. Whether the work
    // is drawn from one distribution or another, a seed's failed instances and boot times
    // are the same: they come from a stream the requests' draws do not shift.
    let with_work = |work: &str| {
        asg(
            "10m",
            r#"{ process = "poisson", rate = 200 }"#,
            &format!(
                r#"min = 4
                   work = {work}
                   health_check_grace_period = "60s""#
            ),
            "",
            r#"[[fault]]
               at = "120s"
               kind = "instance_failure"
               target = "web"
               count = 2"#,
        )
        .edit(
            "boot_time = \"60s\"",
            "boot_time = { dist = \"uniform\", min = \"40s\", max = \"80s\" }",
        )
    };
    let fleet = |toml: &str| -> Vec<(String, f64, String)> {
        events(toml, 3)
            .into_iter()
            .filter(|e| ["launch", "in_service", "instance_failed"].contains(&e.event.as_str()))
            .map(|e| (e.event.to_string(), e.time.as_secs_f64(), e.detail.clone()))
            .collect()
    };
    let a = fleet(&with_work(r#""5ms""#));
    let b = fleet(&with_work(r#"{ dist = "exponential", mean = "6ms" }"#));
    assert_eq!(
        a.iter().filter(|e| e.0 == "instance_failed").count(),
        2,
        "{a:?}"
    );
    assert_eq!(a.iter().filter(|e| e.0 == "in_service").count(), 2, "{a:?}");
    assert_eq!(a, b);
}

#[test]
fn target_tracking_scales_in_on_the_load_it_measured_not_again_on_a_stale_datapoint() {
    // 380 requests/s of 20 ms on 2-vCPU instances are 7.6 busy vCPUs: 8 instances at 47.5 %,
    // between the 45 % scale-in alarm and the 50 % target. At 20 min the load falls to 140/s,
    // 2.8 vCPUs. Fifteen datapoints below 45 % later, 8 instances at 17.5 % ask for
    // ⌈8 × 17.5 / 50⌉ = 3 (46.7 % each, again between the alarms). The datapoint seen a minute
    // after was still measured on the 8: from the 3 now in service, ⌈3 × 17.5 / 50⌉ = 2 would
    // put 2.8 vCPUs of work on 2 instances (70 %), and a scale-out would follow. Scaled from
    // the load it measured, it stays at 3 for the rest of the hour.
    let toml = asg(
        "60m",
        r#"{ process = "step", steps = [["0s", 380], ["20m", 140]] }"#,
        r#"min = 2
           max = 20
           desired = 8
           monitoring = "detailed"
           work = "20ms"
           warmup = "60s"
           scaling = { policy = "target_tracking", target = 50 }"#,
        "",
        "",
    );
    for seed in 1..=3 {
        let ev = events(&toml, seed);
        let changes: Vec<(f64, &str)> = ev
            .iter()
            .filter(|e| e.event == "scale_in" || e.event == "scale_out")
            .map(|e| (e.time.as_secs_f64(), e.detail.as_str()))
            .collect();
        assert_eq!(changes.len(), 1, "seed {seed}: {changes:?}");
        assert!(changes[0].0 > 20.0 * 60.0, "seed {seed}: {changes:?}");
        assert!(
            changes[0].1.starts_with("desired 8 -> 3"),
            "seed {seed}: {changes:?}"
        );
    }
}

#[test]
fn a_cpu_target_below_one_percent_is_warned_of_as_a_fraction() {
    // CloudWatch's CPUUtilization is a percent: 0.5 is half a percent, and most likely meant
    // as 50 (DynamoDB's autoscaling target is the fraction). Said where it is written; AWS
    // takes it, so the scenario is not refused.
    let text = |target: &str| {
        format!(
            "[scenario]\nduration = \"1m\"\n[[workload]]\nname = \"u\"\ntarget = \"web\"\n\
             arrival = {{ process = \"constant\", rate = 10 }}\n[[component]]\nid = \"web\"\n\
             kind = \"ec2_autoscaling\"\ninstance_type = \"m5.large\"\nwork = \"10ms\"\n\
             scaling = {{ policy = \"target_tracking\", metric = \"cpu\", target = {target} }}\n"
        )
    };
    let said = crate::located_warnings(&text("0.5"));
    assert_eq!(
        said,
        ["12:66 `scaling.target` is 0.5 % CPU: did you mean 50? (a CPU utilisation is in percent, 0 to 100)"],
        "{said:?}"
    );
    assert!(scenario(&text("50")).warnings.is_empty());
}
