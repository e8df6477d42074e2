//! The service map: each node's request rate, error share and p99 as the summary has them;
//! each edge's call rate, error share and latency from the calls its caller saw end, over
//! every seed's measured time; one node per component and workload, one arrow per call.

use archsim::report::{diagram, service_map};
use archsim::sweep;

// Every figure here is exact: constant arrivals, fixed work, no network delay, room for all.
const SCENARIO: &str = r#"
[scenario]
name = "map-test"
duration = "60s"
warmup = "10s"
seeds = 2
[network]
same_az = "0s"
cross_az = "0s"
[[workload]]
name = "u"
target = "web"
arrival = { process = "constant", rate = 100 }
timeout = "1s"
[[component]]
id = "web"
kind = "service"
az = "a"
servers = 100
service_time = "10ms"
calls = [ { to = "db", timeout = "500ms" } ]
[[component]]
id = "db"
kind = "service"
az = "b"
servers = 100
service_time = "5ms"
[[fault]]
at = "0s"
kind = "error_injection"
target = "db"
rate = 0.3
status = 503
"#;

fn outcome() -> (archsim::scenario::Scenario, sweep::ScenarioOutcome) {
    let sc = crate::scenario(SCENARIO);
    let mut out = sweep::run_all(std::slice::from_ref(&sc), &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    (sc, out.remove(0))
}

#[test]
fn nodes_and_edges_carry_the_measured_rates_errors_and_latencies() {
    let (_, o) = outcome();
    let s = &o.summary;
    let f = service_map::figures(s, &o.edges);
    // Measured time: 50 s per seed (60 s less a 10 s warmup), 2 seeds: 100 s.
    let secs = 100.0;
    assert_eq!(crate::num(s, "measured_s") * 2.0, secs);
    // A node's rate is the requests the component answered (its summary's statuses) over
    // the measured time. For web that is the summary's own arrival rate, 100 a second (each
    // answered within 15 ms of arriving, so within one request at the window's edges). The
    // injected failures are answered on the db's behalf before it sees them: it answers
    // the other 70 %, about 70 a second (sd 100 × 0.0046 = 0.46, so ±2), all successes.
    for id in ["web", "db"] {
        let statuses = s["components"][id]["by_status"].as_object().unwrap();
        let answered: f64 = statuses.values().map(|v| v.as_f64().unwrap()).sum();
        assert_eq!(f.nodes[id].rate, answered / secs, "{id}");
    }
    let web_rate = crate::num(s, "components.web.arrival_rps");
    assert!((f.nodes["web"].rate - web_rate).abs() < 0.02, "{web_rate}");
    assert!((web_rate - 100.0).abs() < 0.02, "{web_rate}");
    assert!(
        (f.nodes["db"].rate - 70.0).abs() < 2.0,
        "{}",
        f.nodes["db"].rate
    );
    assert_eq!(f.nodes["db"].error_share, 0.0);
    let sent = crate::num(s, "workloads.u.requests.total");
    assert_eq!(f.nodes["u"].rate, sent / secs);
    assert!(
        (f.nodes["u"].rate - 100.0).abs() < 0.02,
        "{}",
        f.nodes["u"].rate
    );
    // web passes the db's 30 % of failures (503) on: its error share and the client's are
    // about 0.3; 10,000 draws, sd sqrt(0.21/10⁴) = 0.0046, so ±0.02 is over 4 sd.
    for node in ["web", "u"] {
        let e = f.nodes[node].error_share;
        assert!((e - 0.3).abs() < 0.02, "{node}: {e}");
    }
    // The call web → db: one per request, 100 a second, each ending within a millisecond or
    // so of the request's arrival, so within one call of 100 × 100 s at the window's edges.
    let e = &f.edges[&("web".to_string(), "db".to_string())];
    let calls = o.edges[&("web".to_string(), "db".to_string())].calls as f64;
    assert_eq!(e.rate, calls / secs, "calls made / measured time");
    assert!((calls - 10_000.0).abs() <= 2.0, "{calls}");
    assert!((e.error_share - 0.3).abs() < 0.02, "{}", e.error_share);
    // Latency as web sees it, no network delay: a success is the db's 5 ms of work, an
    // injected failure answers at once (0 ms). Mean 0.7 × 5 = 3.5 ms (±0.1 for the share's
    // spread), p99 5 ms (the histogram keeps 3 significant digits).
    let mean = e.mean_ms.unwrap();
    assert!((mean - 3.5).abs() < 0.1, "{mean}");
    assert!((e.p99_ms.unwrap() - 5.0).abs() < 0.01, "{:?}", e.p99_ms);
    // The client's call to web: 10 ms of web's work, then its call: 15 ms, or 10 ms when the
    // db failed; p99 15 ms.
    let u = &f.edges[&("u".to_string(), "web".to_string())];
    assert!((u.rate - 100.0).abs() < 0.05, "{}", u.rate);
    assert!((u.p99_ms.unwrap() - 15.0).abs() < 0.02, "{:?}", u.p99_ms);
    assert!((u.mean_ms.unwrap() - 13.5).abs() < 0.1, "{:?}", u.mean_ms);
    // The CSV holds the same figures: a row per node, a row per edge.
    let csv = service_map::csv(&f);
    assert_eq!(csv.lines().count(), 1 + 3 + 2, "{csv}");
    assert!(csv.contains(&format!("edge,web,db,{},", e.rate)), "{csv}");
}

#[test]
fn the_map_draws_one_node_per_component_and_one_arrow_per_call() {
    let (sc, o) = outcome();
    let f = service_map::figures(&o.summary, &o.edges);
    let svg = diagram::map::svg(&sc, &f);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let of_class = |class: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name("g"))
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|c| c.split(' ').any(|w| w == class))
            })
            .collect::<Vec<_>>()
    };
    let mut nodes: Vec<&str> = of_class("node")
        .iter()
        .map(|n| n.attribute("data-id").unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["db", "web", "workload:u"]);
    let edges: Vec<(&str, &str)> = of_class("edge")
        .iter()
        .map(|n| {
            (
                n.attribute("data-from").unwrap(),
                n.attribute("data-to").unwrap(),
            )
        })
        .collect();
    assert_eq!(edges.len(), 2, "{edges:?}");
    assert!(edges.contains(&("workload:u", "web")) && edges.contains(&("web", "db")));
    // Each arrow says its rate and latencies; each node its rate, errors and p99.
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.descendants().filter_map(|t| t.text()).collect())
        .collect();
    for want in ["100/s, mean 3.5", "p99 5.0 ms", "100 req/s", "p99 15 ms"] {
        assert!(
            texts.iter().any(|t| t.contains(want)),
            "{want:?} not in {texts:?}"
        );
    }
}
