//! The service map: each node's request rate, error share and p99 as the summary has them;
//! each edge's call rate, error share and latency from the calls its caller saw end, over
//! every seed's measured time; one node per component and workload, one arrow per call.

use archsim::report::{diagram, service_map};
use archsim::sweep;

// Every figure here is exact: constant arrivals, fixed work, no network delay, room for all.
fn scenario() -> String {
    crate::web_and_db(
        "name = \"map-test\"\nwarmup = \"10s\"\nseeds = 2",
        "500ms",
        "[[fault]]\nat = \"0s\"\nkind = \"error_injection\"\ntarget = \"db\"\nrate = 0.3\nstatus = 503\n",
    )
}

fn outcome() -> (archsim::scenario::Scenario, sweep::ScenarioOutcome) {
    outcome_of(&scenario())
}

fn outcome_of(toml: &str) -> (archsim::scenario::Scenario, sweep::ScenarioOutcome) {
    let sc = crate::scenario(toml);
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
    for want in [
        "100/s",
        "mean 3.5 ms",
        "p99 5.0 ms",
        "100 req/s",
        "p99 15 ms",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(want)),
            "{want:?} not in {texts:?}"
        );
    }
    // The db's own p99 is of its successful answers (the injected failures are answered on
    // its behalf, before it sees them), and says so; web's counts every answer it gave, the
    // db's 503s it passes on included, and the client's every request: neither says more.
    let ok = |id: &str| f.nodes[id].p99_of_ok;
    assert!(ok("db") && !ok("web") && !ok("u"));
    let node_p99s: Vec<&String> = texts.iter().filter(|t| t.starts_with("p99 ")).collect();
    assert!(
        node_p99s.iter().any(|t| t.ends_with(" (OK)")),
        "{node_p99s:?}"
    );
    assert!(
        node_p99s.iter().any(|t| !t.ends_with(" (OK)")),
        "{node_p99s:?}"
    );
}

/// Every node that answered requests, or that calls reached, shows a p99 on its map, but
/// one that answered nothing while every call into it timed out, which shows none and says
/// its callers had no reply: for each scenario of `outcomes` (the bundled set, from
/// `bundled.rs`, which runs them).
pub fn check_every_reached_node_has_a_p99(outcomes: &[sweep::ScenarioOutcome]) {
    let mut checked = 0;
    for o in outcomes {
        let f = service_map::figures(&o.summary, &o.edges);
        for (name, n) in &f.nodes {
            let into = o.edges.iter().filter(|((_, to), _)| to == name);
            let (calls, timeouts) =
                into.fold((0, 0), |(c, t), (_, e)| (c + e.calls, t + e.timeouts));
            if n.rate > 0.0 || calls > 0 {
                let no_reply = n.rate == 0.0 && timeouts == calls;
                assert_eq!(
                    (n.p99_ms.is_some(), n.no_reply),
                    (!no_reply, no_reply),
                    "{} {:?}: node {name}, answering {} a second, {timeouts} of {calls} calls \
                     into it timed out",
                    o.name,
                    o.summary["variant"],
                    n.rate
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} nodes");
}

#[test]
fn a_component_no_call_reached_shows_no_latency_but_that_there_was_no_reply() {
    // web (zone a) calls db (zone b) with a 200 ms timeout, 100 times a second; zone b is
    // dark the whole run: every call is lost and ends at its timeout, and the db answers
    // none. Its callers' 200 ms is their timeout, not a time the db took: its box shows no
    // p99 but that they had no reply; the arrow into it keeps the timeouts.
    let toml = crate::web_and_db(
        "name = \"map-no-reply\"\nwarmup = \"10s\"\nseeds = 1",
        "200ms",
        "[[fault]]\nat = \"0s\"\nkind = \"az_outage\"\naz = \"b\"\n",
    );
    let (sc, o) = outcome_of(&toml);
    let raw = &o.edges[&("web".to_string(), "db".to_string())];
    // 100 calls a second over the measured 50 s, each ending 200 ms after it left.
    assert!((raw.calls as f64 - 5000.0).abs() <= 20.0, "{}", raw.calls);
    assert_eq!(raw.timeouts, raw.calls);
    let f = service_map::figures(&o.summary, &o.edges);
    let db = &f.nodes["db"];
    assert_eq!((db.rate, db.p99_ms, db.no_reply), (0.0, None, true));
    let svg = diagram::map::svg(&sc, &f);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts_of = |class: &str, id: &str| -> Vec<String> {
        let g = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("g")
                    && n.attribute("class") == Some(class)
                    && [n.attribute("data-id"), n.attribute("data-to")].contains(&Some(id))
            })
            .unwrap_or_else(|| panic!("no {class} {id}"));
        g.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or_default().to_string())
            .collect()
    };
    let box_texts = texts_of("node", "db");
    assert!(
        box_texts.iter().any(|t| t == "no reply: timeouts"),
        "{box_texts:?}"
    );
    assert!(
        !box_texts.iter().any(|t| t.contains("p99")),
        "{box_texts:?}"
    );
    // web answered every request with a 504 (its call timed out): its own p99 is of those,
    // not of successes, and its label does not say "(OK)".
    let web = texts_of("node", "web");
    assert!(!f.nodes["web"].p99_of_ok, "{web:?}");
    assert!(
        web.iter()
            .any(|t| t.starts_with("p99 ") && !t.contains("(OK)")),
        "{web:?}"
    );
    let arrow = texts_of("edge", "db");
    assert!(
        arrow.iter().any(|t| t == "p99 200 ms") && arrow.iter().any(|t| t == "100.0 % timed out"),
        "{arrow:?}"
    );
    // No p99 in the CSV's row for the db either.
    let csv = service_map::csv(&f);
    assert!(csv.lines().any(|l| l == "node,db,,0,0,,,,,"), "{csv}");
}

#[test]
fn a_function_shows_how_long_its_callers_waited_cold_starts_included() {
    // One request a second to a function whose environments live 0.5 s idle: each request
    // finds none warm and waits for a cold start, 1 s of Init, then 20 ms of work (2048 MB
    // is more than a full vCPU: the work is not stretched). Lambda's own `duration_ms` is
    // the handler's 20 ms, Init left out as in CloudWatch's Duration; its callers waited
    // 1,020 ms, and that is the node's p99 (3 significant digits: within 0.1 %).
    let (_, o) = outcome_of(
        r#"
[scenario]
name = "map-lambda"
duration = "60s"
warmup = "10s"
seeds = 1
[network]
same_az = "0s"
cross_az = "0s"
[[workload]]
name = "u"
target = "fn"
arrival = { process = "constant", rate = 1 }
timeout = "5s"
[[component]]
id = "fn"
kind = "lambda"
memory_mb = 2048
idle_lifetime = "500ms"
init = "1s"
work = "20ms"
"#,
    );
    let s = &o.summary;
    assert_eq!(crate::num(s, "components.fn.cold_starts"), 50.0);
    assert!((crate::num(s, "components.fn.duration_ms.p99") - 20.0).abs() < 0.05);
    let f = service_map::figures(s, &o.edges);
    let p99 = f.nodes["fn"].p99_ms.expect("the function shows a p99");
    assert!((p99 - 1020.0).abs() < 1.1, "{p99}");
    // The same figure as the call into it, its only caller's.
    let e = &f.edges[&("u".to_string(), "fn".to_string())];
    assert_eq!(e.p99_ms, Some(p99));
}

#[test]
fn an_edge_says_which_share_of_its_calls_timed_out() {
    // web (zone a) calls db (zone b) with a 200 ms timeout, 100 times a second; zone b is
    // dark from 20 s to 30 s: the 1,000 calls sent then are lost and end at their timeout,
    // of 5,000 in the measured 50 s: a fifth (±2 calls at the outage's edges). Each counts
    // the whole 200 ms, so the edge's p99 is the timeout, and its label says why.
    let toml = crate::web_and_db(
        "name = \"map-timeouts\"\nwarmup = \"10s\"\nseeds = 1",
        "200ms",
        "[[fault]]\nat = \"20s\"\nfor = \"10s\"\nkind = \"az_outage\"\naz = \"b\"\n",
    );
    let (sc, o) = outcome_of(&toml);
    let raw = &o.edges[&("web".to_string(), "db".to_string())];
    assert!(
        (raw.timeouts as f64 - 1000.0).abs() <= 2.0,
        "{}",
        raw.timeouts
    );
    assert_eq!(raw.errors, raw.timeouts, "every failure is a timeout");
    let f = service_map::figures(&o.summary, &o.edges);
    let e = &f.edges[&("web".to_string(), "db".to_string())];
    assert!((e.timeout_share - 0.2).abs() < 0.001, "{}", e.timeout_share);
    assert!((e.p99_ms.unwrap() - 200.0).abs() < 0.2, "{:?}", e.p99_ms);
    // The client's calls to web never time out: web answers each within 210 ms.
    assert_eq!(
        f.edges[&("u".to_string(), "web".to_string())].timeout_share,
        0.0
    );
    let svg = diagram::map::svg(&sc, &f);
    assert!(
        svg.contains(">p99 200 ms</text>") && svg.contains(">20.0 % timed out</text>"),
        "the label names the timeouts"
    );
    let csv = service_map::csv(&f);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("edge,web,db,") && l.contains(&format!(",{},", e.timeout_share))),
        "{csv}"
    );
}

#[test]
fn a_dns_name_is_drawn_as_a_lookup_beside_the_requests_not_in_their_path() {
    // Route 53 answers lookups; the clients then send their requests to the answer. The map
    // draws a dashed lookup to the name and the requests from the clients to the bucket.
    let (sc, o) = outcome_of(
        r#"
[scenario]
name = "dns"
duration = "30s"
warmup = "5s"
[network]
region = "us-east-1"
[[workload]]
name = "visitors"
target = "www"
arrival = { process = "constant", rate = 50 }
[[component]]
id = "www"
kind = "route53"
records = [ { to = "site" } ]
[[component]]
id = "site"
kind = "s3"
"#,
    );
    let f = service_map::figures(&o.summary, &o.edges);
    assert!(f.nodes["www"].lookups.is_some_and(|l| l > 0.0));
    let svg = diagram::map::svg(&sc, &f);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let edges: Vec<(&str, &str)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("edge"))
        .map(|n| {
            (
                n.attribute("data-from").unwrap(),
                n.attribute("data-to").unwrap(),
            )
        })
        .collect();
    assert!(
        edges.contains(&("workload:visitors", "www"))
            && edges.contains(&("workload:visitors", "site"))
            && !edges.contains(&("www", "site")),
        "{edges:?}"
    );
    assert!(
        svg.contains(">looks up</text>") && svg.contains(">where to go:</text>"),
        "{svg}"
    );
    assert!(svg.contains("answers where to go"), "{svg}");
}

#[test]
fn a_long_chain_of_calls_stays_narrow_enough_for_a_page() {
    // A client and four components in a row, every call carrying figures as wide as they
    // get (thousands a second, latencies of a second). Each gap between two columns is as
    // wide as its label: on one line ("12,300/s, mean 123 ms, p99 1.2 s", some 250 px)
    // the map came out at 2,280 px, shrunk to under 60 % on a 1,320 px page; a figure a
    // line, each gap is its widest line ("mean 123 ms") and the arrow's room.
    let sc = crate::scenario(
        r#"
[scenario]
name = "chain"
duration = "1m"
[[workload]]
name = "shoppers"
target = "orders-api"
arrival = { process = "constant", rate = 100 }
[[component]]
id = "orders-api"
kind = "api_gateway"
type = "rest"
target = "orders-queue"
[[component]]
id = "orders-queue"
kind = "sqs"
consumer = { to = "store-order", batch_size = 10 }
[[component]]
id = "store-order"
kind = "lambda"
work = "20ms"
calls = [ { to = "orders", op = "write" } ]
[[component]]
id = "orders"
kind = "dynamodb"
mode = "on_demand"
"#,
    );
    let mut f = diagram::map::Figures::default();
    let node = diagram::map::NodeFigures {
        rate: 12_345.0,
        error_share: 0.123,
        p99_ms: Some(1_234.0),
        p99_of_ok: true,
        no_reply: false,
        lag: None,
        bypassed: None,
        lookups: None,
        ios: None,
    };
    for name in [
        "shoppers",
        "orders-api",
        "orders-queue",
        "store-order",
        "orders",
    ] {
        f.nodes.insert(name.to_string(), node.clone());
    }
    let calls = diagram::map::calls(&sc);
    assert_eq!(calls.len(), 4, "{calls:?}");
    for call in calls {
        let edge = diagram::map::EdgeFigures {
            rate: 12_345.0,
            error_share: 0.0,
            timeout_share: 0.0,
            mean_ms: Some(123.0),
            p99_ms: Some(1_234.0),
        };
        f.edges.insert(call, edge);
    }
    let svg = diagram::map::svg(&sc, &f);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let nodes = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("data-id").is_some())
        .count();
    assert_eq!(nodes, 5, "{svg}");
    for line in ["12,300/s", "mean 123 ms", "p99 1.2 s"] {
        assert!(svg.contains(&format!(">{line}</text>")), "{line}: {svg}");
    }
    // Five boxes of 190 to 210 px, margins and the cloud's padding: some 1,090 px; four
    // gaps of at most 150 px each.
    let width: f64 = doc
        .root_element()
        .attribute("width")
        .and_then(|w| w.parse().ok())
        .unwrap();
    assert!(width <= 1_700.0, "{width} px wide");
}

#[test]
fn each_record_of_a_dns_name_carries_its_own_figures() {
    // Weighted records, 3 : 1, to two buckets: the requests to each are drawn from the
    // visitors straight to it, each arrow with its own label (not one label for both, as a
    // balancer's fan-out over its targets has).
    let (sc, o) = outcome_of(
        r#"
[scenario]
name = "dns"
duration = "40s"
warmup = "5s"
[network]
region = "us-east-1"
[[workload]]
name = "visitors"
target = "www"
arrival = { process = "constant", rate = 80 }
[[component]]
id = "www"
kind = "route53"
routing = "weighted"
records = [ { to = "big", weight = 3 }, { to = "small", weight = 1 } ]
[[component]]
id = "big"
kind = "s3"
[[component]]
id = "small"
kind = "s3"
"#,
    );
    let f = service_map::figures(&o.summary, &o.edges);
    let svg = diagram::map::svg(&sc, &f);
    let edges = edge_labels(&svg, "workload:visitors");
    let label = |to: &str| -> Vec<String> {
        edges
            .iter()
            .find(|(t, _)| t == to)
            .map(|(_, lines)| lines.clone())
            .unwrap_or_default()
    };
    let (big, small) = (label("big"), label("small"));
    let rate = |lines: &[String]| -> f64 {
        lines
            .first()
            .and_then(|l| l.strip_suffix("/s"))
            .and_then(|r| r.parse().ok())
            .unwrap_or(f64::NAN)
    };
    // About 60/s and 20/s: the weights' shares of 80/s, each on its own arrow.
    assert!((rate(&big) - 60.0).abs() <= 8.0, "{big:?}");
    assert!((rate(&small) - 20.0).abs() <= 8.0, "{small:?}");
}

#[test]
fn a_label_drawn_once_for_a_balancers_arrows_says_it_is_theirs_together() {
    // 100/s through a load balancer to two servers: the diagram labels the two arrows once,
    // with their total, which must not read as one arrow's beside the boxes' 50 req/s each.
    let (sc, o) = outcome_of(
        r#"
[scenario]
name = "fan-out"
duration = "60s"
seeds = 1
[[workload]]
name = "u"
target = "lb"
arrival = { process = "constant", rate = 100 }
[[component]]
id = "lb"
kind = "load_balancer"
targets = ["web-a", "web-b"]
[[component]]
id = "web-a"
kind = "service"
servers = 4
service_time = "5ms"
[[component]]
id = "web-b"
kind = "service"
servers = 4
service_time = "5ms"
"#,
    );
    let f = service_map::figures(&o.summary, &o.edges);
    let svg = diagram::map::svg(&sc, &f);
    let labels: Vec<Vec<String>> = edge_labels(&svg, "lb")
        .into_iter()
        .map(|(_, lines)| lines)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert_eq!(labels[0][..2], ["100/s", "over 2 arrows"], "{labels:?}");
    // The workload's single arrow says nothing of the kind.
    assert!(!svg.contains("over 1 arrow"));
}

#[test]
fn calls_drawn_alike_but_loaded_unlike_get_a_label_each() {
    // An API's two routes, one taking nine requests in ten: the diagram words both calls
    // alike (the integration's timeout), and the map had drawn one label, "10/s over 2
    // arrows", on the arrow into the function taking 1/s. Each arrow now carries its own.
    let (sc, o) = outcome_of(
        r#"
[scenario]
name = "routes"
duration = "60s"
seeds = 1
[[workload]]
name = "u"
target = "api"
arrival = { process = "constant", rate = 100 }
mix = [ { op = "read", weight = 9 }, { op = "write", weight = 1 } ]
[[component]]
id = "api"
kind = "api_gateway"
target = "reader"
routes = [ { op = "write", target = "writer" } ]
[[component]]
id = "reader"
kind = "service"
servers = 8
service_time = "5ms"
[[component]]
id = "writer"
kind = "service"
servers = 8
service_time = "5ms"
"#,
    );
    let f = service_map::figures(&o.summary, &o.edges);
    let svg = diagram::map::svg(&sc, &f);
    let labels: Vec<(String, Vec<String>)> = edge_labels(&svg, "api");
    assert_eq!(labels.len(), 2, "{labels:?}");
    // The mix is drawn request by request: about 90/s and 10/s.
    let rate = |to: &str| -> f64 {
        labels
            .iter()
            .find(|(t, _)| t == to)
            .and_then(|(_, l)| l.first()?.strip_suffix("/s")?.parse().ok())
            .unwrap_or_else(|| panic!("a rate on the arrow into {to}: {labels:?}"))
    };
    assert!((85.0..95.0).contains(&rate("reader")), "{labels:?}");
    assert!((7.0..13.0).contains(&rate("writer")), "{labels:?}");
    assert!(!svg.contains("over 2 arrows"), "{labels:?}");
}

/// The edges a service map draws from `from`: each one's target and the lines of its label
/// (none on an arrow whose group's label is drawn on another).
fn edge_labels(svg: &str, from: &str) -> Vec<(String, Vec<String>)> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| {
            n.has_tag_name("g")
                && n.attribute("class") == Some("edge")
                && n.attribute("data-from") == Some(from)
        })
        .map(|g| {
            let to = g.attribute("data-to").unwrap_or_default().to_string();
            let lines = g
                .children()
                .filter(|t| t.has_tag_name("text"))
                .filter_map(|t| t.text().map(str::to_string))
                .collect();
            (to, lines)
        })
        .collect()
}

#[test]
fn a_replicas_box_shows_the_reads_its_instances_served() {
    // Four read replicas (no zones named): two boxes of their own and one for "2 more";
    // 120 reads a second in turn, 30 each. A Multi-AZ instance's standby serves nothing
    // and shows nothing.
    let (sc, o) = outcome_of(
        r#"
[scenario]
name = "replicas"
duration = "30s"
warmup = "5s"
[network]
same_az = "0s"
[[workload]]
name = "app"
target = "db"
arrival = { process = "constant", rate = 120 }
[[component]]
id = "db"
kind = "rds"
az = "a"
deployment = "multi_az_instance"
instance_class = "db.m5.large"
read_time = "1ms"
write_time = "2ms"
read_replicas = 4
"#,
    );
    let f = service_map::figures(&o.summary, &o.edges);
    let each = &f.instance_reads["db"];
    assert_eq!(each.len(), 5, "{each:?}");
    for k in 1..5 {
        assert!((each[&k] - 30.0).abs() < 0.1, "{each:?}");
    }
    let svg = diagram::map::svg(&sc, &f);
    assert_eq!(svg.matches(">30 reads/s</text>").count(), 2, "{svg}");
    assert_eq!(svg.matches(">60 reads/s</text>").count(), 1, "{svg}");
    assert_eq!(
        svg.matches("reads/s").count(),
        3,
        "the standby shows none: {svg}"
    );
    let csv = service_map::csv(&f);
    assert!(csv.contains("\ninstance,db/1,,"), "{csv}");
}

#[test]
fn a_volumes_box_shows_the_ios_its_host_made_of_it() {
    // 100 reads a second of 2 I/Os each, 20 writes of 5: 300 I/Os a second on the
    // database's volume, over each seed's measured time (two seeds: the count is a mean of
    // theirs, not a sum). It serves no requests, and says what it does serve.
    let (sc, o) = outcome_of(
        r#"
[scenario]
name = "volume"
duration = "30s"
warmup = "5s"
seeds = 2
[[workload]]
name = "app"
target = "db"
arrival = { process = "constant", rate = 120 }
mix = [ { op = "read", weight = 5 }, { op = "write", weight = 1 } ]
[[component]]
id = "db"
kind = "rds"
az = "a"
instance_class = "db.m5.large"
read_time = "1ms"
write_time = "2ms"
[[component]]
id = "disk"
kind = "ebs"
attached_to = "db"
volume_type = "gp3"
size_gib = 100
ios_per_read = 2
ios_per_write = 5
"#,
    );
    let f = service_map::figures(&o.summary, &o.edges);
    let (iops, wait) = f.nodes["disk"].ios.expect("a volume's I/Os");
    assert!((iops - 300.0).abs() < 15.0, "{iops}");
    assert!(wait.is_some_and(|w| w > 0.0), "{wait:?}");
    assert_eq!(f.nodes["db"].ios, None);
    let svg = diagram::map::svg(&sc, &f);
    assert!(
        svg.contains(&format!(">{} IOPS</text>", iops.round())),
        "{svg}"
    );
    assert!(svg.contains(">I/O wait p99 "), "{svg}");
    assert!(!svg.contains(">0 req/s</text>"), "{svg}");
}

#[test]
fn the_page_says_what_a_replicas_box_shows_where_there_is_one() {
    // The service map's words name the replicas' reads on a page whose map has replicas,
    // and not on another's.
    let home = tempfile::tempdir().unwrap();
    let with = r#"[scenario]
name = "with"
duration = "20s"
[[workload]]
name = "app"
target = "db"
arrival = { process = "constant", rate = 20 }
[[component]]
id = "db"
kind = "rds"
instance_class = "db.m5.large"
read_time = "1ms"
write_time = "2ms"
read_replicas = 2
"#;
    let without = with
        .replace("name = \"with\"", "name = \"without\"")
        .replace("read_replicas = 2\n", "");
    std::fs::write(home.path().join("with.toml"), with).unwrap();
    std::fs::write(home.path().join("without.toml"), without).unwrap();
    crate::archsim_ok(
        &["run", "-q", "with.toml", "without.toml", "--out", "o"],
        home.path(),
    );
    let page = |name: &str| {
        std::fs::read_to_string(home.path().join(format!("o/{name}/report.html"))).unwrap()
    };
    let words = "a replica's or readable standby's box, the reads it served";
    assert!(page("with").contains(words));
    assert!(!page("without").contains(words));
}

#[test]
fn a_queues_box_shows_its_lag_and_its_dead_letter_queue_what_redrive_moved_there() {
    // Orders at 2 a second and a poison message a second into one queue; its function fails
    // the poison messages, each received once (`max_receive_count = 1`) and moved to the
    // dead-letter queue at its next receive, 7 s later. The queue answers its producers at
    // once; its box says how long its messages waited to be processed too. The dead-letter
    // queue answers no producer (its `by_status` is empty): its rate is what redrive moved.
    let (sc, o) = outcome_of(
        r#"
[scenario]
name = "map-queue"
duration = "2m"
warmup = "10s"
[network]
same_az = "0s"
[[workload]]
name = "shop"
target = "q"
arrival = { process = "constant", rate = 2 }
mix = [ { op = "order", weight = 1 } ]
[[workload]]
name = "bad"
target = "q"
arrival = { process = "constant", rate = 1 }
mix = [ { op = "poison", weight = 1 } ]
[[component]]
id = "q"
kind = "sqs"
visibility_timeout = "7s"
max_receive_count = 1
dead_letter = "dlq"
consumer = { to = "fn", batch_size = 1 }
[[component]]
id = "dlq"
kind = "sqs"
[[component]]
id = "fn"
kind = "lambda"
memory_mb = 1769
runtime = "go"
work = "10ms"
error_ops = ["poison"]
"#,
    );
    let s = &o.summary;
    let f = service_map::figures(s, &o.edges);
    let secs = crate::num(s, "measured_s");
    let moved = crate::num(s, "components.dlq.received_by_redrive");
    // A poison message a second, moved 7 s after it was sent: 100 or so in 110 s.
    assert!((95.0..=111.0).contains(&moved), "{moved}");
    assert_eq!(f.nodes["dlq"].rate, moved / secs);
    // The arrow into it carries as many: redrive is a call the map draws.
    let into = &f.edges[&("q".to_string(), "dlq".to_string())];
    assert!((into.rate - f.nodes["dlq"].rate).abs() < 0.02, "{into:?}");
    // The queue's lag is its summary's, named as a queue's; the others have none (the
    // dead-letter queue consumed nothing, the function was only called synchronously).
    let lag = f.nodes["q"].lag.clone().expect("the queue shows its lag");
    assert_eq!(lag.words, "lag");
    assert_eq!(lag.p99_ms, crate::num(s, "components.q.lag_ms.p99"));
    assert!(lag.p99_ms >= 10.0, "at least the function's work: {lag:?}");
    assert_eq!(f.nodes["dlq"].lag, None);
    assert_eq!(f.nodes["fn"].lag, None);
    assert_eq!(f.nodes["shop"].lag, None);
    let svg = diagram::map::svg(&sc, &f);
    let want = format!(">lag p99 {:.0} ms</text>", lag.p99_ms);
    assert_eq!(svg.matches(&want).count(), 1, "{want} in {svg}");
    let csv = service_map::csv(&f);
    let row = csv.lines().find(|l| l.starts_with("node,q,")).unwrap();
    assert!(row.ends_with(&format!(",{},", lag.p99_ms)), "{row}");
    assert!(
        csv.lines()
            .filter(|l| l.starts_with("edge,"))
            .all(|l| l.ends_with(",,")),
        "{csv}"
    );
}

#[test]
fn a_function_invoked_asynchronously_shows_the_lag_its_answers_hide() {
    // aws-facts: §14: an asynchronous invocation is answered 202 once queued; the event runs
    // when concurrency allows. One execution at a time (reserved 1) and 2 s of work, ten
    // events a second apart: the callers are answered at once, the last event ends about
    // 21 s after the first began, some 11 s after its request. Its box says both.
    let (sc, o) = outcome_of(
        r#"
[scenario]
name = "map-async"
duration = "10500ms"
[network]
same_az = "0s"
[[workload]]
name = "u"
target = "app"
arrival = { process = "constant", rate = 1 }
retry = { attempts = 1 }
[[component]]
id = "app"
kind = "service"
servers = 10
service_time = "1ms"
calls = [ { to = "fn", mode = "async" } ]
[[component]]
id = "fn"
kind = "lambda"
memory_mb = 1769
runtime = "go"
work = "2s"
reserved_concurrency = 1
"#,
    );
    let s = &o.summary;
    let f = service_map::figures(s, &o.edges);
    let node = &f.nodes["fn"];
    assert!(node.p99_ms.unwrap() < 1.0, "answered at once: {node:?}");
    assert_eq!(node.error_share, 0.0);
    let lag = node
        .lag
        .clone()
        .expect("the function shows its events' lag");
    assert_eq!(lag.words, "async lag");
    assert_eq!(lag.p99_ms, crate::num(s, "components.fn.async.lag_ms.p99"));
    assert!(lag.p99_ms >= 11_000.0 * (1.0 - 1e-3), "{lag:?}");
    // The service calling it queues nothing: no lag of its own.
    assert_eq!(f.nodes["app"].lag, None);
    let svg = diagram::map::svg(&sc, &f);
    let want = format!(">async lag p99 {:.0} s</text>", lag.p99_ms / 1000.0);
    assert_eq!(svg.matches(&want).count(), 1, "{want} in {svg}");
}

#[test]
fn a_caches_box_says_what_went_around_it_while_its_node_was_down() {
    // A Memcached node lost at 20 s: its reads pay the connect timeout and go to the
    // database, successes all. The box's errors stay 0 %; it says what share of its requests
    // went around it, as its summary counts them. Without the fault it says nothing more.
    let toml = |fault: &str| {
        format!(
            r#"
[scenario]
name = "map-cache"
duration = "60s"
warmup = "10s"
[network]
same_az = "0s"
[[workload]]
name = "u"
target = "cache"
arrival = {{ process = "constant", rate = 50 }}
keys = {{ dist = "uniform", count = 100 }}
[[component]]
id = "cache"
kind = "cache"
engine = "memcached"
nodes = 1
backend = "db"
connect_timeout = "100ms"
[[component]]
id = "db"
kind = "service"
servers = 50
service_time = "2ms"
{fault}"#
        )
    };
    let (sc, o) = outcome_of(&toml(
        "[[fault]]\nat = \"20s\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"\n",
    ));
    let s = &o.summary;
    let f = service_map::figures(s, &o.edges);
    let node = &f.nodes["cache"];
    let bypassed = crate::num(s, "components.cache.bypassed");
    let requests = crate::num(s, "components.cache.requests");
    assert!(bypassed > 0.5 * requests, "{bypassed} of {requests}");
    assert_eq!(node.bypassed, Some(bypassed / requests));
    assert_eq!(node.error_share, 0.0);
    let svg = diagram::map::svg(&sc, &f);
    let want = format!(
        ">bypassed {:.1} % (node down)</text>",
        100.0 * bypassed / requests
    );
    assert_eq!(svg.matches(&want).count(), 1, "{want} in {svg}");
    let csv = service_map::csv(&f);
    let row = csv.lines().find(|l| l.starts_with("node,cache,")).unwrap();
    assert!(row.ends_with(&format!(",{}", bypassed / requests)), "{row}");

    let (_, o) = outcome_of(&toml(""));
    let f = service_map::figures(&o.summary, &o.edges);
    assert_eq!(f.nodes["cache"].bypassed, None);
}
