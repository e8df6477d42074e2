//! Traces of sampled requests: X-Ray's sampling rule (aws-facts §13), spans that nest and
//! add up to the request's latency, retries and cold starts as spans, and `traces.json` as
//! OpenTelemetry's OTLP JSON.

use crate::num;
use archsim::kernel::{Span, SpanEnd, Trace};
use archsim::metrics::RunResult;
use archsim::report::traces::{otlp_json, Names};
use archsim::world::World;

fn run_once(toml: &str, seed: u64) -> (archsim::scenario::Scenario, RunResult) {
    let sc = crate::scenario(toml);
    let r = World::build(&sc, seed)
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    (sc, r)
}

fn ms(t: archsim::kernel::SimTime) -> f64 {
    t.0 as f64 / 1e6
}

/// A constant 100 requests/s for 60 s to a service that answers in 1 ms, traced by `rule`.
fn sampling(rule: &str) -> u64 {
    let toml = format!(
        r#"
[scenario]
duration = "60s"
[[workload]]
name = "u"
target = "svc"
arrival = {{ process = "constant", rate = 100 }}
trace = {rule}
[[component]]
id = "svc"
kind = "service"
servers = 4
service_time = "1ms"
"#
    );
    run_once(&toml, 3).1.traces.sampled
}

#[test]
fn sampling_follows_xrays_reservoir_and_rate() {
    // Arrivals at k / 100 s for k = 1 … 5,999 (the 6,000th falls on the end): 99 in the
    // first second, 100 in each of the 59 others. aws-facts: §13 X-Ray: the reservoir takes
    // the first request of each second: 60 of them, exactly.
    assert_eq!(sampling("{ reservoir_per_second = 1, rate = 0 }"), 60);
    // Rate 1 takes everything; a reservoir of 3 a second and no rate takes 3 × 60.
    assert_eq!(sampling("{ reservoir_per_second = 0, rate = 1 }"), 5_999);
    assert_eq!(sampling("{ reservoir_per_second = 3, rate = 0 }"), 180);
    // The default rule: 60 from the reservoir, then 5 % of the other 5,939: binomial with
    // mean 296.95 and sd √(5,939 × 0.05 × 0.95) = 16.8; 4 sd either side is ± 67.
    let n = sampling("true") as f64;
    assert!((n - (60.0 + 0.05 * 5_939.0)).abs() <= 67.0, "{n}");
    let same = sampling("{ reservoir_per_second = 1, rate = 0.05 }") as f64;
    assert_eq!(n, same, "`true` is the default rule");
    assert_eq!(sampling("false"), 0);
}

/// Every span of `t` lies within its parent's interval, and every parent is in the trace.
fn assert_nested(t: &Trace) {
    for s in &t.spans[1..] {
        let p = t
            .spans
            .iter()
            .find(|p| p.id == s.parent)
            .unwrap_or_else(|| panic!("span {} has no parent in trace {}", s.id, t.id));
        assert!(
            p.start <= s.start && s.end <= p.end,
            "span {} [{:?}, {:?}] outside its parent {} [{:?}, {:?}]",
            s.id,
            s.start,
            s.end,
            p.id,
            p.start,
            p.end
        );
    }
}

fn children<'a>(t: &'a Trace, parent: &Span) -> Vec<&'a Span> {
    let mut c: Vec<&Span> = t.spans.iter().filter(|s| s.parent == parent.id).collect();
    c.sort_by_key(|s| s.start);
    c
}

/// Time of `parent` its children do not cover, and the time they cover [ms].
fn gaps_and_children(t: &Trace, parent: &Span) -> (f64, f64) {
    let mut at = parent.start;
    let (mut gaps, mut covered) = (0.0, 0.0);
    for c in children(t, parent) {
        if c.start > at {
            gaps += ms(c.start) - ms(at);
            at = c.start;
        }
        if c.end > at {
            covered += ms(c.end) - ms(at);
            at = c.end;
        }
    }
    gaps += ms(parent.end) - ms(at);
    (gaps, covered)
}

const TWO_TIERS: &str = r#"
[scenario]
duration = "20s"
[network]
same_az = "1ms"
[[workload]]
name = "u"
target = "api"
arrival = { process = "constant", rate = 10 }
trace = { reservoir_per_second = 0, rate = 1, slowest = 5, sample = 5 }
[[component]]
id = "api"
kind = "service"
servers = 4
service_time = "10ms"
calls = [ { to = "db" } ]
[[component]]
id = "db"
kind = "service"
servers = 4
service_time = "5ms"
"#;

#[test]
fn spans_nest_and_add_up_to_the_requests_latency() {
    // The client reaches the api at once (a workload's latency is 0 unless set); the api
    // works 10 ms, calls the db over a 1 ms hop, the db works 5 ms and answers over 1 ms:
    // 10 + 1 + 5 + 1 = 17 ms, every request alike (10/s on 4 servers never queue).
    let (_, r) = run_once(TWO_TIERS, 1);
    let s = crate::run(TWO_TIERS);
    assert!((num(&s, "latency_ms.max") - 17.0).abs() < 1e-3);
    assert!((num(&s, "latency_ms.p50") - 17.0).abs() < 0.02);
    // 5 slowest and a sample of 5: between 5 and 10 distinct traces.
    assert!(
        (5..=10).contains(&r.traces.kept.len()),
        "{}",
        r.traces.kept.len()
    );
    for t in &r.traces.kept {
        assert_nested(t);
        // The root is the request as the workload timed it: 17 ms.
        assert!((ms(t.duration()) - 17.0).abs() < 1e-6, "{:?}", t.duration());
        // Its one child is the attempt (workload → api), all of it: no gap.
        let root = t.root();
        let kids = children(t, root);
        assert_eq!(kids.len(), 1);
        let (gaps, covered) = gaps_and_children(t, root);
        assert!(gaps.abs() < 1e-9 && (covered - 17.0).abs() < 1e-9);
        // Under the api call: its service (0–10 ms) and its db call (10–17 ms), no gap.
        let api = kids[0];
        let under: Vec<_> = children(t, api);
        assert_eq!(under.len(), 2);
        assert_eq!(under[0].label, "service");
        assert!((ms(under[0].end) - ms(under[0].start) - 10.0).abs() < 1e-9);
        assert_eq!(under[1].callee, 1, "the db is actor 1");
        assert!((ms(under[1].end) - ms(under[1].start) - 7.0).abs() < 1e-9);
        let (gaps, covered) = gaps_and_children(t, api);
        assert!(gaps.abs() < 1e-9 && (covered + gaps - 17.0).abs() < 1e-9);
        // Under the db call: its 5 ms of service, between the two 1 ms hops (2 ms of gaps).
        let (gaps, covered) = gaps_and_children(t, under[1]);
        assert!((gaps - 2.0).abs() < 1e-9 && (covered - 5.0).abs() < 1e-9);
        let db = under[1];
        assert!((ms(db.arrival.unwrap()) - ms(db.start) - 1.0).abs() < 1e-9);
        assert!((ms(db.end) - ms(db.answer.unwrap()) - 1.0).abs() < 1e-9);
        assert_eq!(db.outcome, SpanEnd::Status(200));
    }
}

#[test]
fn retries_are_sibling_spans_with_their_attempt_numbers() {
    // Half the api's calls fail with 503 (injected); the client retries 503s up to 4
    // attempts, 10 ms apart. A request's attempts are calls from its root to the api,
    // siblings numbered 1, 2, …; each but the last failed, and the last ended the request.
    let toml = r#"
[scenario]
duration = "20s"
[[workload]]
name = "u"
target = "api"
arrival = { process = "constant", rate = 10 }
retry = { attempts = 4, base = "10ms", jitter = "none", on = [503] }
trace = { reservoir_per_second = 0, rate = 1, slowest = 20, sample = 0 }
[[component]]
id = "api"
kind = "service"
servers = 4
service_time = "5ms"
[[fault]]
at = "0s"
kind = "error_injection"
target = "api"
rate = 0.5
status = 503
"#;
    let (_, r) = run_once(toml, 2);
    let mut retried = 0;
    for t in &r.traces.kept {
        assert_nested(t);
        let root = t.root();
        let attempts = children(t, root);
        for (i, a) in attempts.iter().enumerate() {
            assert_eq!(a.attempt as usize, i + 1, "trace {}", t.id);
            if i + 1 < attempts.len() {
                assert_eq!(a.outcome, SpanEnd::Status(503));
                // The next attempt leaves after the 10 ms backoff (×2 each time, no jitter).
                let next = attempts[i + 1];
                let backoff = ms(next.start) - ms(a.end);
                assert!(backoff >= 10.0 - 1e-9, "{backoff}");
            }
        }
        assert_eq!(attempts.last().unwrap().outcome, root.outcome);
        retried += usize::from(attempts.len() > 1);
    }
    // The 20 slowest of 199 requests are those with the most retries: every one retried.
    assert_eq!(retried, r.traces.kept.len());
    assert_eq!(r.traces.kept.len(), 20);
}

const COLD: &str = r#"
[scenario]
duration = "10s"
[[workload]]
name = "u"
target = "fn"
arrival = { process = "constant", rate = 1 }
trace = { reservoir_per_second = 0, rate = 1, slowest = 3, sample = 0 }
[[component]]
id = "fn"
kind = "lambda"
memory_mb = 1769
init = "800ms"
work = "20ms"
"#;

#[test]
fn a_cold_start_is_a_span_of_its_own() {
    // 1,769 MB is one vCPU: the handler's 20 ms of work take 20 ms (less memory would run it
    // slower). Requests every second, each done in 20 ms: one environment serves them all, so the
    // first request (at 1 s, done at 1.82 s) is the one cold start: 800 ms of init, then
    // 20 ms of work.
    // It is the slowest trace, and its init span takes 800 of its 820 ms.
    let (_, r) = run_once(COLD, 1);
    let slowest = r
        .traces
        .kept
        .iter()
        .max_by_key(|t| t.duration())
        .expect("a trace");
    assert_nested(slowest);
    let init: Vec<_> = slowest
        .spans
        .iter()
        .filter(|s| s.label == "cold start (init)")
        .collect();
    assert_eq!(init.len(), 1);
    assert!((ms(init[0].end) - ms(init[0].start) - 800.0).abs() < 1e-9);
    assert!(
        (ms(slowest.duration()) - 820.0).abs() < 1e-6,
        "{:#?}",
        slowest
    );
    // The handler's 20 ms follow the init.
    let handler = slowest.spans.iter().find(|s| s.label == "handler").unwrap();
    assert_eq!(handler.start, init[0].end);
    // No other kept trace has a cold start: they took 20 ms.
    for t in &r.traces.kept {
        if t.id != slowest.id {
            assert!(t.spans.iter().all(|s| s.label != "cold start (init)"));
            assert!((ms(t.duration()) - 20.0).abs() < 1e-6);
        }
    }
}

#[test]
fn traces_json_is_otlp_and_every_parent_is_in_its_trace() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    let (sc, r) = run_once(TWO_TIERS, 4);
    let actors: Vec<String> = r.actors.iter().map(|a| a.name.clone()).collect();
    let names = Names {
        actors: &actors,
        ops: &sc.ops,
    };
    let text = otlp_json(std::slice::from_ref(&r), &names);
    // The OpenTelemetry project's own types, with its JSON mapping (hex ids, int64 as text).
    let req: ExportTraceServiceRequest = serde_json::from_str(&text).expect("OTLP JSON");
    let mut ids = std::collections::BTreeSet::new();
    // Each trace's (span id, parent span id) pairs.
    type Ids = Vec<(Vec<u8>, Vec<u8>)>;
    let mut by_trace: std::collections::BTreeMap<Vec<u8>, Ids> = Default::default();
    let mut services = Vec::new();
    for rs in &req.resource_spans {
        let res = rs.resource.as_ref().expect("a resource");
        let name = res
            .attributes
            .iter()
            .find(|a| a.key == "service.name")
            .expect("service.name");
        services.push(format!("{:?}", name.value));
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                assert_eq!(s.trace_id.len(), 16);
                assert_eq!(s.span_id.len(), 8);
                assert!(s.end_time_unix_nano >= s.start_time_unix_nano);
                assert!(ids.insert(s.span_id.clone()), "span ids are unique");
                by_trace
                    .entry(s.trace_id.clone())
                    .or_default()
                    .push((s.span_id.clone(), s.parent_span_id.clone()));
            }
        }
    }
    // The workload, the api and the db each report their spans.
    assert_eq!(services.len(), 3, "{services:?}");
    assert_eq!(by_trace.len(), r.traces.kept.len());
    for spans in by_trace.values() {
        let roots = spans.iter().filter(|(_, p)| p.is_empty()).count();
        assert_eq!(roots, 1, "one root per trace");
        for (_, parent) in spans {
            assert!(
                parent.is_empty() || spans.iter().any(|(id, _)| id == parent),
                "every parent is in the same trace"
            );
        }
    }
}
