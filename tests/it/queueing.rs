//! The `service` component against queueing theory.
//!
//! Each test runs independent replications (seeds) and asks `assert_theory` that the 99 %
//! interval of their mean contains the textbook value and is narrower than a stated fraction
//! of it. Network hops are set to zero so the service is the whole system.
//!
//! Run lengths: for M/M/1 at ρ = 0.8, Whitt (1989) gives the asymptotic variance of the time
//! average of the number in system as 2ρ(1+ρ)/(1−ρ)⁴ ≈ 1800 (in units of the mean service
//! time). One hour is 360,000 service times of 10 ms, so one seed's estimate of L = 4 has a
//! standard deviation of √(1800/360000) ≈ 0.07 (1.8 %); ten seeds bring the 99 % half-width
//! of their mean to about 3.25 × 1.8 % / √10 ≈ 1.9 %. The other systems below are less
//! congested per server, hence no noisier. Each test demands a half-width under 4 %.

use crate::{assert_theory, num, per_seed, run};
pub use archsim::theory::{erlang_b, erlang_c};

/// Blocking probability of M/M/c/K (K in the system at most): P_K by PASTA.
fn mmck_blocking(c: u32, k: u32, a: f64) -> f64 {
    let weight = |n: u32| -> f64 {
        if n <= c {
            a.powi(n as i32) / (1..=n).map(f64::from).product::<f64>()
        } else {
            let c_fact: f64 = (1..=c).map(f64::from).product();
            a.powi(n as i32) / (c_fact * f64::from(c).powi((n - c) as i32))
        }
    };
    let total: f64 = (0..=k).map(weight).sum();
    weight(k) / total
}

fn service_scenario(
    duration: &str,
    rate: f64,
    servers: u32,
    queue: Option<u32>,
    service_time: &str,
) -> String {
    let queue = queue.map_or(String::new(), |q| format!("queue = {q}"));
    format!(
        r#"
        [scenario]
        duration = "{duration}"
        warmup = "2m"
        seed = 1
        seeds = 10
        [network]
        same_az = "0s"
        [[workload]]
        name = "users"
        target = "svc"
        arrival = {{ process = "poisson", rate = {rate} }}
        [[component]]
        id = "svc"
        kind = "service"
        servers = {servers}
        {queue}
        service_time = {service_time}
        "#
    )
}

#[test]
fn mm1_matches_theory() {
    // λ = 80/s, μ = 100/s, ρ = 0.8: W = 1/(μ−λ) = 50 ms, Wq = ρ/(μ−λ) = 40 ms,
    // Lq = ρ²/(1−ρ) = 3.2, P(wait) = ρ, utilisation = ρ.
    let s = run(&service_scenario(
        "1h",
        80.0,
        1,
        None,
        r#"{ dist = "exponential", mean = "10ms" }"#,
    ));
    assert_theory("M/M/1 W [ms]", &per_seed(&s, "latency_ms.mean"), 50.0, 0.04);
    assert_theory(
        "M/M/1 Wq [ms]",
        &per_seed(&s, "components.svc.wait_ms.mean"),
        40.0,
        0.04,
    );
    assert_theory(
        "M/M/1 Lq",
        &per_seed(&s, "components.svc.queue_mean"),
        3.2,
        0.04,
    );
    assert_theory(
        "M/M/1 P(wait)",
        &per_seed(&s, "components.svc.wait_probability"),
        0.8,
        0.01,
    );
    assert_theory(
        "M/M/1 utilisation",
        &per_seed(&s, "components.svc.utilisation"),
        0.8,
        0.01,
    );
    // The accepted work is λ·E[S] = ρ too (every request is accepted).
    assert_theory(
        "M/M/1 accepted utilisation",
        &per_seed(&s, "components.svc.accepted_utilisation"),
        0.8,
        0.01,
    );
}

#[test]
fn mmc_matches_erlang_c() {
    // c = 10, μ = 10/s, λ = 80/s: a = 8 erlangs, ρ = 0.8. C(10, 8) ≈ 0.409;
    // Wq = C/(cμ − λ) = C/20 s; W = Wq + 1/μ.
    let (c, a) = (10, 8.0);
    let pw = erlang_c(c, a);
    assert!((pw - 0.409).abs() < 0.001, "Erlang C sanity: {pw}");
    let wq_ms = 1000.0 * pw / (100.0 - 80.0);
    // Waits here are short next to the 100 ms service and a fraction of them are zero, so the
    // mean wait is relatively noisier than in M/M/1: two hours per seed keep it within 4 %.
    let s = run(&service_scenario(
        "2h",
        80.0,
        c,
        None,
        r#"{ dist = "exponential", mean = "100ms" }"#,
    ));
    assert_theory(
        "M/M/10 P(wait)",
        &per_seed(&s, "components.svc.wait_probability"),
        pw,
        0.04,
    );
    assert_theory(
        "M/M/10 Wq [ms]",
        &per_seed(&s, "components.svc.wait_ms.mean"),
        wq_ms,
        0.04,
    );
    assert_theory(
        "M/M/10 W [ms]",
        &per_seed(&s, "latency_ms.mean"),
        wq_ms + 100.0,
        0.02,
    );
    assert_theory(
        "M/M/10 utilisation",
        &per_seed(&s, "components.svc.utilisation"),
        0.8,
        0.01,
    );
}

#[test]
fn mmck_blocking_is_the_fraction_of_503s() {
    // c = 2, queue 3 (K = 5), a = λ/μ = 20/10 = 2 (fully loaded): P_K = 1/6 exactly, since
    // with a = c every state beyond c has the same weight 2 and P0..P5 ∝ 1, 2, 2, 2, 2, 2.
    let pk = mmck_blocking(2, 5, 2.0);
    assert!((pk - 2.0 / 11.0).abs() < 1e-12, "{pk}");
    let s = run(&service_scenario(
        "1h",
        20.0,
        2,
        Some(3),
        r#"{ dist = "exponential", mean = "100ms" }"#,
    ));
    assert_theory(
        "M/M/2/5 blocking",
        &per_seed(&s, "components.svc.rejected_fraction"),
        pk,
        0.04,
    );
    // The workload sees the same fraction as 503s.
    let total = num(&s, "requests.total");
    let rejected = num(&s, "requests.by_status.503");
    assert!((rejected / total - pk).abs() < 0.01, "{}", rejected / total);
}

#[test]
fn mmcc_loss_matches_erlang_b() {
    // No queue: M/M/5/5 with a = 4 erlangs loses B(5, 4) ≈ 0.199 of arrivals.
    let b = erlang_b(5, 4.0);
    assert!((b - 0.1991).abs() < 0.0005, "Erlang B sanity: {b}");
    let s = run(&service_scenario(
        "1h",
        40.0,
        5,
        Some(0),
        r#"{ dist = "exponential", mean = "100ms" }"#,
    ));
    assert_theory(
        "M/M/5/5 blocking",
        &per_seed(&s, "components.svc.rejected_fraction"),
        b,
        0.04,
    );
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    // Deterministic service 10 ms, λ = 70/s, ρ = 0.7. P-K: Wq = λE[S²]/(2(1−ρ))
    // = 70 × 0.0001 / 0.6 s = 11.667 ms, half the M/M/1 wait at the same load.
    let s = run(&service_scenario("1h", 70.0, 1, None, r#""10ms""#));
    let wq = 1000.0 * 70.0 * 0.0001 / (2.0 * 0.3);
    assert_theory(
        "M/D/1 Wq [ms]",
        &per_seed(&s, "components.svc.wait_ms.mean"),
        wq,
        0.04,
    );
    assert_theory(
        "M/D/1 W [ms]",
        &per_seed(&s, "latency_ms.mean"),
        wq + 10.0,
        0.03,
    );
}

#[test]
fn mg1_with_gamma_service_matches_pollaczek_khinchine() {
    // Gamma service, mean 10 ms and sd 20 ms: E[S²] = sd² + mean² = 5e-4 s². λ = 50/s, ρ = 0.5:
    // Wq = 50 × 5e-4 / (2 × 0.5) s = 25 ms.
    let s = run(&service_scenario(
        "1h",
        50.0,
        1,
        None,
        r#"{ dist = "gamma", mean = "10ms", stddev = "20ms" }"#,
    ));
    assert_theory(
        "M/G/1 Wq [ms]",
        &per_seed(&s, "components.svc.wait_ms.mean"),
        25.0,
        0.04,
    );
}

#[test]
fn littles_law_holds_for_components_and_clients() {
    // A two-tier system with network hops, lognormal work and a probabilistic call: no closed
    // form, but L = λW must hold for each part and for the whole. Over one hour the boundary
    // terms (requests straddling the ends) are below 0.1 % of the totals; allow 1 %.
    let s = run(r#"
        [scenario]
        duration = "1h"
        warmup = "1m"
        seeds = 3
        [[workload]]
        name = "users"
        target = "web"
        arrival = { process = "poisson", rate = 60 }
        latency = "5ms"
        [[component]]
        id = "web"
        kind = "service"
        servers = 4
        az = "a"
        service_time = { dist = "lognormal", median = "20ms", p99 = "80ms" }
        calls = [ { to = "db", probability = 0.5 } ]
        [[component]]
        id = "db"
        kind = "service"
        servers = 2
        az = "b"
        service_time = { dist = "exponential", mean = "15ms" }
    "#);
    for seed in s["per_seed"].as_array().unwrap() {
        for c in ["web", "db"] {
            let l = num(seed, &format!("components.{c}.in_system_mean"));
            let lambda = num(seed, &format!("components.{c}.arrival_rps"));
            let w = num(seed, &format!("components.{c}.response_ms.mean")) / 1000.0;
            assert!(
                (l - lambda * w).abs() / l < 0.01,
                "{c}: L = {l}, λW = {}",
                lambda * w
            );
        }
        let l = num(seed, "workloads.users.in_flight_mean");
        let lambda = num(seed, "workloads.users.offered_rps");
        let w = num(seed, "workloads.users.latency_ms.mean") / 1000.0;
        assert!(
            (l - lambda * w).abs() / l < 0.01,
            "client: L = {l}, λW = {}",
            lambda * w
        );
    }
    // The db sees half the web's arrivals.
    let ratio = num(&s, "components.db.arrivals") / num(&s, "components.web.arrivals");
    assert!((ratio - 0.5).abs() < 0.01, "{ratio}");
}

#[test]
fn the_accepted_work_counts_what_the_time_average_leaves_out() {
    // Constant arrivals at 1/s for 10 s (at 1, 2, …, 9 s), each holding one of 10 servers
    // for 2 s. The time average over [0, 10 s) sees 8 whole jobs and the first second of the
    // last one (9 s → 11 s): 17 server-seconds / 10 s = 1.7 busy. The accepted work counts
    // all 9 jobs whole: 9 × 2 s / 10 s = 1.8.
    let s = run(r#"
        [scenario]
        duration = "10s"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "constant", rate = 1 }
        [[component]]
        id = "svc"
        kind = "service"
        servers = 10
        service_time = "2s"
        "#);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let busy = num(&s, "components.svc.busy_mean");
    assert!(close(busy, 1.7), "{busy}");
    let work = num(&s, "components.svc.accepted_work");
    assert!(close(work, 1.8), "{work}");
    assert!(close(num(&s, "components.svc.accepted_utilisation"), 0.18));
}

#[test]
fn a_saturated_station_shows_what_it_serves_not_what_it_is_offered() {
    // Constant arrivals at 10/s for 10 s (at 0.1, 0.2, …, 9.9 s) on one server taking 1 s:
    // answers come at 1.1, 2.1, …, 9.1 s inside the run, 9 of them: a throughput of 0.9/s,
    // though all 99 requests succeed once the backlog drains after the end.
    let s = run(r#"
        [scenario]
        duration = "10s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "constant", rate = 10 }
        [[component]]
        id = "svc"
        kind = "service"
        servers = 1
        service_time = "1s"
        "#);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(num(&s, "offered_rps"), 9.9));
    assert!(
        close(num(&s, "throughput_rps"), 0.9),
        "{}",
        num(&s, "throughput_rps")
    );
    assert!(close(num(&s, "components.svc.arrival_rps"), 9.9));
    assert!(close(num(&s, "components.svc.throughput_rps"), 0.9));
    // The counts stay by arrival: every request sent in the run, and its final answer.
    assert_eq!(num(&s, "requests.total"), 99.0);
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
    assert_eq!(num(&s, "error_rate"), 0.0);
}

#[test]
fn a_station_offered_its_capacity_or_more_with_no_queue_limit_is_warned_of() {
    // ρ = λ·E[S]/c: 100/s × 10 ms on one server is 1, no steady state; 99/s is not warned of;
    // 300/s on two servers of 10 ms is 1.5; a queue limit bounds it (503s instead).
    let warned = |rate: f64, servers: u32, queue: Option<u32>| {
        let text = service_scenario(
            "10m",
            rate,
            servers,
            queue,
            r#"{ dist = "exponential", mean = "10ms" }"#,
        );
        let sc = archsim::scenario::parse(std::path::Path::new("x.toml"), &text).unwrap();
        sc.warnings
            .iter()
            .map(|w| (w.line, w.message.clone()))
            .find(|(_, m)| m.contains("no steady state"))
    };
    let (line, text) = warned(100.0, 1, None).expect("warned");
    assert_eq!(line, 14);
    assert!(
        text.starts_with("\"svc\" is offered 100 % of what its servers can do"),
        "{text}"
    );
    assert!(warned(99.0, 1, None).is_none());
    assert!(warned(300.0, 2, None).is_some_and(|(_, t)| t.contains("offered 150 %")));
    assert!(warned(300.0, 2, Some(100)).is_none());
    // A variant (a sweep point) past capacity is warned of under its name, a stable baseline
    // not; a load that ends above capacity is, whatever its mean over the run (60/s for
    // 8 minutes, then 150/s: 78 % on average, 150 % at the end).
    let text = service_scenario(
        "10m",
        50.0,
        1,
        None,
        r#"{ dist = "exponential", mean = "10ms" }"#,
    ) + "[[variant]]\nname = \"double\"\nset = { \"users.arrival.rate\" = 200 }\n";
    let sc = archsim::scenario::parse(std::path::Path::new("x.toml"), &text).unwrap();
    let said: Vec<&str> = sc.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("variant \"double\": \"svc\" is offered 200 % of what its servers can do at the end of the run"),
        "{said:?}"
    );
    let step = service_scenario(
        "10m",
        50.0,
        1,
        None,
        r#"{ dist = "exponential", mean = "10ms" }"#,
    )
    .replace(
        "arrival = { process = \"poisson\", rate = 50 }",
        "arrival = { process = \"step\", steps = [[\"0s\", 60], [\"8m\", 150]] }",
    );
    let sc = archsim::scenario::parse(std::path::Path::new("x.toml"), &step).unwrap();
    assert!(
        sc.warnings.iter().any(|w| w
            .message
            .contains("is offered 150 % of what its servers can do at the end of the run")),
        "{:?}",
        sc.warnings
    );
}

#[test]
fn the_overload_warning_is_written_into_the_results_too() {
    // Whoever reads the results rather than the terminal (a class given the folder) sees it:
    // in summary.json's `warnings` (line and column, no path) and on report.html.
    let dir = std::env::temp_dir().join(format!("archsim-overload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("over.toml");
    let text = service_scenario(
        "3m",
        150.0,
        1,
        None,
        r#"{ dist = "exponential", mean = "10ms" }"#,
    )
    .replace("seeds = 10", "seeds = 1");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["run", "-q", "--no-plots", "--out"])
        .arg(dir.join("results"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("results/over/summary.json")).unwrap(),
    )
    .unwrap();
    let warnings = summary["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    let w = warnings[0].as_str().unwrap();
    assert!(w.starts_with("14:14: \"svc\" is offered 150 %"), "{w}");
    let page = std::fs::read_to_string(dir.join("results/over/report.html")).unwrap();
    assert!(page.contains("<h2>Warnings</h2>") && page.contains("no steady state"));
}
