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
fn the_waterfall_shows_the_slowest_requests_of_the_measured_period() {
    // The one cold start is the request at 1 s (820 ms); with a 2 s warmup the summaries leave
    // it out, and so do the slowest kept and the waterfall: they are the 20 ms requests
    // measured after, the cold start taking none of the five places.
    let toml = COLD
        .replace("duration = \"10s\"", "duration = \"10s\"\nwarmup = \"2s\"")
        .replace("slowest = 3", "slowest = 5");
    let (sc, r) = run_once(&toml, 1);
    assert_eq!(r.traces.kept.len(), 5);
    assert!(
        r.traces
            .kept
            .iter()
            .all(|t| t.root().start >= r.clock.warmup),
        "a warmup trace is kept"
    );
    let shown = archsim::report::traces::slowest(std::slice::from_ref(&r), 3);
    assert_eq!(shown.len(), 3);
    for (_, t) in &shown {
        assert!(t.root().start >= r.clock.warmup, "{:?}", t.root().start);
        assert!((ms(t.duration()) - 20.0).abs() < 1e-6);
    }
    let actors: Vec<String> = r.actors.iter().map(|a| a.name.clone()).collect();
    let names = Names {
        actors: &actors,
        ops: &sc.ops,
    };
    let svg = archsim::report::traces::waterfall_svg(std::slice::from_ref(&r), &names, "cold")
        .expect("a waterfall");
    assert!(svg.contains("slowest sampled requests after the warmup"));
    // Without a warmup the cold start is the slowest shown.
    let (_, r) = run_once(COLD, 1);
    let shown = archsim::report::traces::slowest(std::slice::from_ref(&r), 3);
    assert!((ms(shown[0].1.duration()) - 820.0).abs() < 1e-6);
}

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
    // Through a queue whose batches carry several traced messages: every link names a span
    // of the file, in another trace, and every parent is still in its own trace.
    let toml = traced_to(
        "q",
        "5s",
        20.0,
        &format!(
            "[[component]]\nid = \"q\"\nkind = \"sqs\"\n\
             consumer = {{ to = \"fn\", batch_size = 10, batching_window = \"1s\" }}\n\
             {GO_FN}work = \"5ms\"\n"
        ),
    );
    let (sc, r) = run_once(&toml, 4);
    let actors: Vec<String> = r.actors.iter().map(|a| a.name.clone()).collect();
    let names = Names {
        actors: &actors,
        ops: &sc.ops,
    };
    let text = otlp_json(std::slice::from_ref(&r), &names);
    let req: ExportTraceServiceRequest = serde_json::from_str(&text).expect("OTLP JSON");
    let spans: Vec<_> = req
        .resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter().flat_map(|ss| ss.spans.iter()))
        .collect();
    let all: std::collections::BTreeSet<(Vec<u8>, Vec<u8>)> = spans
        .iter()
        .map(|s| (s.trace_id.clone(), s.span_id.clone()))
        .collect();
    let mut links = 0;
    for s in &spans {
        assert!(
            s.parent_span_id.is_empty()
                || all.contains(&(s.trace_id.clone(), s.parent_span_id.clone())),
            "every parent is in the same trace"
        );
        for l in &s.links {
            assert_eq!(l.trace_id.len(), 16);
            assert_ne!(l.trace_id, s.trace_id, "a link joins another trace");
            assert!(all.contains(&(l.trace_id.clone(), l.span_id.clone())));
            links += 1;
        }
    }
    let want: usize = r
        .traces
        .kept
        .iter()
        .flat_map(|t| t.spans.iter().map(|s| s.links.len()))
        .sum();
    assert_eq!(links, want);
    assert!(links > 20, "{links}");
}

// Asynchronous hops: a traced message's wait in a queue, and the consumer's work under it.

/// The spans of `t` whose label is `label`, by start.
fn labelled<'a>(t: &'a Trace, label: &str) -> Vec<&'a Span> {
    let mut v: Vec<&Span> = t.spans.iter().filter(|s| s.label == label).collect();
    v.sort_by_key(|s| (s.start, s.id));
    v
}

/// The actor named `name` in run `r`.
fn actor(r: &RunResult, name: &str) -> u32 {
    r.actors
        .iter()
        .position(|a| a.name == name)
        .expect("an actor") as u32
}

/// The span `id` of `t`.
fn by_id(t: &Trace, id: u32) -> &Span {
    t.spans
        .iter()
        .find(|s| s.id == id)
        .expect("a span of the trace")
}

/// Every parent is in the trace, and no span starts before its parent (the asynchronous
/// part may start and end after its parent: a wait outlives the send that began it, and a
/// redelivery's wait begins after it).
fn assert_rooted(t: &Trace) {
    for s in &t.spans[1..] {
        let p = by_id(t, s.parent);
        assert!(
            p.start <= s.start && s.start <= s.end,
            "span {} starts outside its parent {} in trace {}",
            s.id,
            p.id,
            t.id
        );
    }
}

/// Requests at a constant `rate` for `duration`, no network delay, every request traced and
/// every trace kept, sending to "q"; then `components`.
fn traced_to(target: &str, duration: &str, rate: f64, components: &str) -> String {
    format!(
        "[scenario]\nduration = \"{duration}\"\nseed = 1\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"u\"\ntarget = \"{target}\"\n\
         arrival = {{ process = \"constant\", rate = {rate} }}\nretry = {{ attempts = 1 }}\n\
         trace = {{ reservoir_per_second = 0, rate = 1, slowest = 1000, sample = 0 }}\n{components}"
    )
}

const GO_FN: &str =
    "[[component]]\nid = \"fn\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\n";

#[test]
fn an_sqs_message_waits_in_a_span_and_its_consumer_nests_under_it() {
    // 4 messages a second for 20 s into a queue whose function takes 1 s per message, one
    // at a time per batch and at most 2 batches at once: the backlog grows, so the waits
    // differ. Each trace: the send (u → q), the message's wait in q from the send's arrival
    // to its receive, and the function's invoke (q → fn) under the wait.
    let toml = traced_to(
        "q",
        "20s",
        4.0,
        &format!(
            "[[component]]\nid = \"q\"\nkind = \"sqs\"\n\
             consumer = {{ to = \"fn\", batch_size = 1, maximum_concurrency = 2 }}\n\
             {GO_FN}work = \"1s\"\n"
        ),
    );
    let (_, r) = run_once(&toml, 1);
    let s = crate::run(&toml);
    let (q, f) = (actor(&r, "q"), actor(&r, "fn"));
    // 79 sends (at k / 4 s, k = 1 … 79), all traced and kept.
    assert_eq!(r.traces.kept.len(), 79);
    let mut lags = Vec::new();
    let mut unfinished = 0;
    for t in &r.traces.kept {
        assert_rooted(t);
        let waits = labelled(t, "queued");
        assert_eq!(waits.len(), 1, "one receive each: the function never fails");
        let wait = waits[0];
        let send = by_id(t, wait.parent);
        assert_eq!(send.parent, t.root().id, "the wait is under the send");
        assert_eq!(wait.callee, q, "the queue waits");
        // It began when the send reached the queue.
        assert_eq!(Some(wait.start), send.arrival);
        let invokes = children(t, wait);
        if wait.outcome == SpanEnd::Unfinished {
            // Still queued when the run ended (the pollers stop with it).
            assert!(invokes.is_empty());
            assert_eq!(wait.end, r.end_time);
            unfinished += 1;
            continue;
        }
        assert_eq!(wait.outcome, SpanEnd::Received);
        // The wait ends as the invoke leaves: its length is the time from send to receive.
        assert_eq!(invokes.len(), 1);
        let invoke = invokes[0];
        assert_eq!(invoke.callee, f, "the function is invoked");
        assert_eq!(invoke.start, wait.end);
        // The function's handler nests under the invoke: 1 s of work.
        let handler = children(t, invoke)
            .into_iter()
            .find(|c| c.label == "handler")
            .expect("a handler span");
        assert!((ms(handler.end) - ms(handler.start) - 1000.0).abs() < 1e-9);
        // The client had its answer long before: the trace outlasts its root.
        assert!(invoke.end > t.root().end);
        // Deleted at the answer: the queue's lag, from the request to the delete.
        lags.push((invoke.end, ms(invoke.end) - ms(t.root().start)));
    }
    // The trace's figures are the queue's: the lag it measured for each message deleted
    // (every message is traced) has the same maximum (within hdrhistogram's 0.1 %), and its
    // deletes (of the messages sent in the run, whenever deleted) are as many.
    let max = lags.iter().map(|l| l.1).fold(0.0, f64::max);
    let measured = num(&s, "components.q.lag_ms.max");
    assert!((measured - max).abs() <= max * 1e-3, "{measured} vs {max}");
    assert_eq!(num(&s, "components.q.deletes") as usize, lags.len());
    // Two batches of 1 s at a time take about 2 a second of the 4 sent: a backlog remains.
    assert_eq!(unfinished as f64, num(&s, "components.q.backlog_end"));
    assert!(unfinished > 0);
}

#[test]
fn a_batch_nests_under_its_first_traced_message_and_links_the_others() {
    // 20 messages a second, batches of up to 10 gathered for up to 1 s: each batch carries
    // several traced messages. Its invoke nests under the first one's wait and links the
    // waits of the others, which end (received) as it leaves and have no child.
    let toml = traced_to(
        "q",
        "10s",
        20.0,
        &format!(
            "[[component]]\nid = \"q\"\nkind = \"sqs\"\n\
             consumer = {{ to = \"fn\", batch_size = 10, batching_window = \"1s\" }}\n\
             {GO_FN}work = \"5ms\"\n"
        ),
    );
    let (_, r) = run_once(&toml, 1);
    let f = actor(&r, "fn");
    let waits: std::collections::BTreeMap<(u64, u32), &Span> = r
        .traces
        .kept
        .iter()
        .flat_map(|t| {
            labelled(t, "queued")
                .into_iter()
                .map(move |s| ((t.id, s.id), s))
        })
        .collect();
    let received = waits
        .values()
        .filter(|w| w.outcome == SpanEnd::Received)
        .count();
    let (mut batches, mut carried) = (0, 0);
    for t in &r.traces.kept {
        assert_rooted(t);
        for w in labelled(t, "queued") {
            let kids = children(t, w);
            if kids.is_empty() {
                continue;
            }
            assert_eq!(kids.len(), 1);
            let invoke = kids[0];
            assert_eq!(invoke.callee, f);
            batches += 1;
            carried += 1 + invoke.links.len();
            assert!(invoke.links.len() < 10, "at most 10 messages a batch");
            for link in &invoke.links {
                assert_ne!(link.0, t.id, "each message is a trace of its own");
                let other = waits[link];
                assert_eq!(other.outcome, SpanEnd::Received);
                assert_eq!(other.end, invoke.start, "received into this batch");
                let owner = r.traces.kept.iter().find(|o| o.id == link.0).unwrap();
                assert!(
                    children(owner, other).is_empty(),
                    "a linked wait has no child"
                );
            }
        }
    }
    // Every message received is in exactly one batch, as its parent or a link; batches
    // carried several.
    assert_eq!(carried, received);
    assert!(
        received > 150 && batches * 3 < received,
        "{batches} {received}"
    );
}

#[test]
fn an_sns_publish_has_a_delivery_span_per_subscription() {
    // A topic with three subscriptions: a queue, a function (invoked asynchronously) and an
    // HTTP endpoint. Each traced publish opens one delivery per subscription under the
    // publish call, from the publish to the subscriber's acceptance, its attempt nested.
    let toml = traced_to(
        "topic",
        "5s",
        2.0,
        &format!(
            "[[component]]\nid = \"topic\"\nkind = \"sns\"\npublish_latency = \"5ms\"\n\
             delivery_latency = \"10ms\"\n\
             subscriptions = [ {{ to = \"q\" }}, {{ to = \"fn\" }}, {{ to = \"web\" }} ]\n\
             [[component]]\nid = \"q\"\nkind = \"sqs\"\nsend_latency = \"5ms\"\n\
             {GO_FN}work = \"10ms\"\n\
             [[component]]\nid = \"web\"\nkind = \"service\"\nservers = 10\nservice_time = \"2ms\"\n"
        ),
    );
    let (_, r) = run_once(&toml, 1);
    assert_eq!(r.traces.kept.len(), 9);
    for t in &r.traces.kept {
        assert_rooted(t);
        let publish = children(t, t.root())[0];
        let deliveries = labelled(t, "delivery");
        assert_eq!(deliveries.len(), 3);
        let mut reached = Vec::new();
        for d in &deliveries {
            assert_eq!(d.parent, publish.id);
            assert_eq!(d.outcome, SpanEnd::Received);
            let attempts = children(t, d);
            assert_eq!(attempts.len(), 1, "delivered at the first attempt");
            let a = attempts[0];
            // The first attempt leaves 5 + 10 ms after the publish reached the topic.
            assert_eq!(a.start.0 - d.start.0, 15_000_000);
            assert_eq!(d.end, a.end, "the delivery ends with its accepted attempt");
            reached.push(a.callee);
        }
        reached.sort_unstable();
        let mut want = vec![actor(&r, "q"), actor(&r, "fn"), actor(&r, "web")];
        want.sort_unstable();
        assert_eq!(reached, want);
        // Past the deliveries: the message queued in q (no consumer: still there at the
        // end), and the function's event queue and its invocation.
        assert_eq!(labelled(t, "queued")[0].outcome, SpanEnd::Unfinished);
        assert_eq!(labelled(t, "event queue").len(), 1);
        assert_eq!(labelled(t, "invocation")[0].outcome, SpanEnd::Status(200));
    }
}

#[test]
fn a_lambda_event_retried_shows_its_waits_and_both_attempts() {
    // aws-facts: §14: a function error is retried 1 minute later. Half the invocations fail
    // (error_rate 0.5), so some events fail once and then succeed. Their trace: the
    // asynchronous invoke (202), the event's first wait, the first invocation (an error),
    // a second wait of exactly 60 s from the error, the second invocation (success); a
    // second error, a third wait of 120 s.
    let toml = format!(
        "[scenario]\nduration = \"20s\"\nseed = 1\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"u\"\ntarget = \"app\"\n\
         arrival = {{ process = \"constant\", rate = 1 }}\nretry = {{ attempts = 1 }}\n\
         trace = {{ reservoir_per_second = 0, rate = 1, slowest = 100, sample = 0 }}\n\
         [[component]]\nid = \"app\"\nkind = \"service\"\nservers = 10\nservice_time = \"1ms\"\n\
         calls = [ {{ to = \"fn\", mode = \"async\" }} ]\n\
         {GO_FN}work = \"10ms\"\nerror_rate = 0.5\n"
    );
    let (_, r) = run_once(&toml, 1);
    let mut once = 0;
    for t in &r.traces.kept {
        assert_rooted(t);
        let waits = labelled(t, "event queue");
        let runs = labelled(t, "invocation");
        // Each run follows a wait; an event whose retries are spent (1 + 2 runs, all errors)
        // waits once more, for no time: discarded.
        if waits.len() > runs.len() {
            assert_eq!(waits.len(), 4);
            assert!(runs.iter().all(|r| r.outcome == SpanEnd::Error));
            let last = waits[3];
            assert_eq!((last.start, last.end), (runs[2].end, runs[2].end));
            assert_eq!(last.outcome, SpanEnd::Discarded);
        } else {
            assert_eq!(waits.len(), runs.len());
        }
        // The first wait is under the asynchronous call, answered 202.
        let call = by_id(t, waits[0].parent);
        assert_eq!(call.outcome, SpanEnd::Status(202));
        for (i, (w, run)) in waits.iter().zip(&runs).enumerate() {
            assert_eq!(w.attempt as usize, i + 1);
            assert_eq!(run.attempt as usize, i + 1);
            assert_eq!(w.parent, call.id, "retries' waits are siblings");
            assert_eq!(run.parent, w.id);
            assert_eq!(run.start, w.end);
            assert_eq!(w.outcome, SpanEnd::Received);
            if i > 0 {
                // The first retry waited exactly one minute from the error, the second two.
                assert_eq!(runs[i - 1].outcome, SpanEnd::Error);
                assert_eq!(w.start, runs[i - 1].end);
                assert_eq!(w.end.0 - w.start.0, 60_000_000_000 * i as u64);
            }
        }
        if runs.len() == 2 && runs[1].outcome == SpanEnd::Status(200) {
            once += 1;
        }
    }
    // Of 19 events, about a quarter fail once and then succeed (0.5 × 0.5).
    assert!(once >= 1, "no event failed exactly once");
}

#[test]
fn a_stream_record_waits_and_the_consumers_batch_nests_under_it() {
    // Writes to a table with a stream read by a function: each traced write's record waits
    // in the stream from the write's answer to the batch that reads it, and that batch's
    // invoke nests under the wait (or links it, when another record parents the batch).
    let toml = format!(
        "[scenario]\nduration = \"10s\"\nseed = 1\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"u\"\ntarget = \"t\"\n\
         arrival = {{ process = \"constant\", rate = 5 }}\nmix = [ {{ op = \"put\", weight = 1 }} ]\n\
         retry = {{ attempts = 1 }}\n\
         trace = {{ reservoir_per_second = 0, rate = 1, slowest = 100, sample = 0 }}\n\
         [[component]]\nid = \"t\"\nkind = \"dynamodb\"\nrcu = 100\nwcu = 500\nwrites = [\"put\"]\n\
         stream = {{ consumer = \"fn\", batch_size = 10 }}\n{GO_FN}work = \"250ms\"\ntimeout = \"10s\"\n"
    );
    let (_, r) = run_once(&toml, 1);
    let mut nested = 0;
    for t in &r.traces.kept {
        assert_rooted(t);
        let waits = labelled(t, "stream");
        assert_eq!(waits.len(), 1);
        let w = waits[0];
        let put = by_id(t, w.parent);
        assert_eq!(put.parent, t.root().id);
        // The record was appended when the table answered the write.
        assert_eq!(Some(w.start), put.answer);
        assert!(matches!(w.outcome, SpanEnd::Received | SpanEnd::Unfinished));
        if let Some(batch) = children(t, w).first() {
            assert_eq!(batch.start, w.end, "the batch leaves as the record is read");
            assert_eq!(batch.outcome, SpanEnd::Status(200));
            assert!(children(t, batch).iter().any(|c| c.label == "handler"));
            nested += 1;
        }
    }
    // With 250 ms a record (a batch of 10 well within the function's 10 s timeout: none
    // fails) and a record every 200 ms, records gather behind each batch: batches carry
    // several.
    assert!(nested >= 5, "{nested}");
    let linked: usize = r
        .traces
        .kept
        .iter()
        .flat_map(|t| t.spans.iter().map(|s| s.links.len()))
        .sum();
    assert!(linked > 0);
}

#[test]
fn a_message_redriven_to_the_dead_letter_queue_ends_its_wait_so() {
    // aws-facts: §15: a message received max_receive_count (1) times moves to the
    // dead-letter queue at its next receive, a visibility timeout (7 s) after the first.
    // Its trace: the first wait (received), the failed invoke, the second wait (attempt 2,
    // from the visibility timeout's end, ending at once: dead-lettered), the redrive call
    // to the dead-letter queue under it, and its wait there.
    let toml = traced_to(
        "q",
        "30s",
        1.0,
        &format!(
            "[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"7s\"\n\
             max_receive_count = 1\ndead_letter = \"dlq\"\n\
             consumer = {{ to = \"fn\", batch_size = 1 }}\n\
             [[component]]\nid = \"dlq\"\nkind = \"sqs\"\n{GO_FN}work = \"10ms\"\nerror_rate = 1.0\n"
        ),
    );
    let (_, r) = run_once(&toml, 1);
    let mut moved = 0;
    for t in &r.traces.kept {
        assert_rooted(t);
        let waits = labelled(t, "queued");
        let first = waits[0];
        assert_eq!(first.attempt, 1);
        let invoke = children(t, first)[0];
        assert_eq!(invoke.outcome, SpanEnd::Error);
        let Some(second) = waits.iter().find(|w| w.attempt == 2) else {
            // Sent within 7 s of the end: never visible again in the run.
            continue;
        };
        assert_eq!(
            second.parent, first.parent,
            "a second wait beside the first"
        );
        assert_eq!(second.start.0 - first.end.0, 7_000_000_000);
        assert_eq!(second.end, second.start);
        assert_eq!(second.outcome, SpanEnd::DeadLettered);
        let redrive = children(t, second)[0];
        assert_eq!(redrive.callee, actor(&r, "dlq"), "to the dead-letter queue");
        // In the dead-letter queue (no consumer), it waits until the run ends.
        let in_dlq = children(t, redrive)[0];
        assert_eq!(in_dlq.label, "queued");
        assert_eq!(in_dlq.callee, actor(&r, "dlq"));
        assert_eq!(in_dlq.outcome, SpanEnd::Unfinished);
        moved += 1;
    }
    let s = crate::run(&toml);
    assert_eq!(moved as f64, num(&s, "components.q.moved_to_dead_letter"));
    assert!(moved > 10);
}

#[test]
fn traces_held_by_queues_are_bounded() {
    // A queue with no consumer holds every message: 1,000 a second for 11 s are 10,999
    // messages (k / 1,000 s, k = 1 … 10,999), each of a traced request. The first
    // MAX_QUEUED_TRACES hold their traces open; the rest are not traced past the send, and
    // counted.
    let toml = traced_to(
        "q",
        "11s",
        1000.0,
        "[[component]]\nid = \"q\"\nkind = \"sqs\"\n",
    )
    .replace("slowest = 1000", "slowest = 1");
    let (_, r) = run_once(&toml, 1);
    let cap = u64::from(archsim::limits::MAX_QUEUED_TRACES);
    assert_eq!(r.traces.sampled, 10_999);
    assert_eq!(r.traces.queued_untraced, 10_999 - cap);
    // The summary says so: the user learns that traces were cut short, and how many.
    let s = crate::run(&toml);
    assert_eq!(num(&s, "traces.sampled"), 10_999.0);
    assert_eq!(num(&s, "traces.queued_untraced"), (10_999 - cap) as f64);
    assert_eq!(num(&s, "traces.spans_dropped"), 0.0);
}

#[test]
fn a_trace_past_its_span_limit_is_cut_and_the_summary_counts_what_it_lost() {
    // Two messages (at 500 s and 1,000 s) that their function always fails, redelivered
    // every second until the run ends at 1,200 s, with no dead-letter queue: each delivery
    // adds a wait and an invoke to the message's trace. The first's 700 deliveries pass the
    // span limit; the second's 200 do not.
    let toml = traced_to(
        "q",
        "1200s",
        0.002,
        &format!(
            "[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"1s\"\n\
             consumer = {{ to = \"fn\", batch_size = 1 }}\n\
             {GO_FN}work = \"10ms\"\nerror_rate = 1.0\ntimeout = \"1s\"\n"
        ),
    );
    let (_, r) = run_once(&toml, 1);
    assert_eq!(r.traces.sampled, 2);
    let mut sizes: Vec<usize> = r.traces.kept.iter().map(|t| t.spans.len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes.len(), 2);
    assert!(sizes[0] < archsim::limits::MAX_SPANS_PER_TRACE, "{sizes:?}");
    assert_eq!(sizes[1], archsim::limits::MAX_SPANS_PER_TRACE, "{sizes:?}");
    assert!(r.traces.spans_dropped > 0);
    let s = crate::run(&toml);
    assert_eq!(num(&s, "traces.sampled"), 2.0);
    assert_eq!(num(&s, "traces.kept"), 2.0);
    assert_eq!(
        num(&s, "traces.spans_dropped"),
        r.traces.spans_dropped as f64
    );
    assert_eq!(num(&s, "traces.queued_untraced"), 0.0);
    // An expectation may hold a scenario to traces that are whole.
    crate::scenario(&format!(
        "{toml}[[expect]]\nmetric = \"traces.spans_dropped\"\nmax = 0\n"
    ));
}

#[test]
fn the_summary_counts_the_traces_that_traces_json_holds() {
    // Twelve seeds, of which the first ten keep their series and traces: each traces every
    // request, and the summary counts all sampled and, kept, the ten seeds' that traces.json
    // holds.
    let toml = traced_to("fn", "10s", 1.0, GO_FN).replace("seed = 1\n", "seeds = 12\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.toml"),
        format!("{toml}work = \"10ms\"\n"),
    )
    .unwrap();
    crate::archsim_ok(
        &["run", "-q", "--no-plots", "--out", "o", "t.toml"],
        dir.path(),
    );
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("o/t/summary.json")).unwrap(),
    )
    .unwrap();
    let json = std::fs::read_to_string(dir.path().join("o/t/traces.json")).unwrap();
    let file: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for r in file["resourceSpans"].as_array().unwrap() {
        for sc in r["scopeSpans"].as_array().unwrap() {
            for span in sc["spans"].as_array().unwrap() {
                ids.insert(span["traceId"].as_str().unwrap().to_owned());
            }
        }
    }
    // One request a second, all traced, the same number in each seed.
    let per_seed = num(&s, "traces.sampled") / 12.0;
    assert_eq!(per_seed, num(&s, "workloads.u.requests.total") / 12.0);
    assert!(per_seed >= 9.0, "{per_seed}");
    assert_eq!(ids.len() as f64, 10.0 * per_seed);
    assert_eq!(num(&s, "traces.kept"), 10.0 * per_seed);
}

/// The `traces.json` that `archsim run` writes for bundled scenarios: the OpenTelemetry
/// project's own OTLP types read it, every span's parent is in the file, and the queue variant of `spike-sync-vs-queue` carries its asynchronous part (queue
/// waits, and batches linking their other messages).
#[test]
fn a_bundled_scenarios_traces_load_as_otlp_json() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["trace-cold-start.toml", "spike-sync-vs-queue.toml"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
            .args(["run", "-q", "--no-plots", "--out"])
            .arg(dir.path())
            .arg(root.join("scenarios").join(file))
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}: {out:?}");
    }
    let read = |path: &str| -> ExportTraceServiceRequest {
        let text = std::fs::read_to_string(dir.path().join(path)).expect(path);
        serde_json::from_str(&text).expect("OTLP JSON")
    };
    for (path, queued) in [
        ("trace-cold-start/traces.json", false),
        ("spike-sync-vs-queue/queue/traces.json", true),
    ] {
        let req = read(path);
        let spans: Vec<_> = req
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .collect();
        assert!(spans.len() > 10, "{path}: {} spans", spans.len());
        let ids: std::collections::BTreeSet<(&[u8], &[u8])> = spans
            .iter()
            .map(|s| (s.trace_id.as_slice(), s.span_id.as_slice()))
            .collect();
        for s in &spans {
            assert!(
                s.parent_span_id.is_empty()
                    || ids.contains(&(s.trace_id.as_slice(), s.parent_span_id.as_slice())),
                "{path}: a parent outside its trace"
            );
            // A link names another message's wait, in another trace, which the keepers
            // may or may not have kept.
            for l in &s.links {
                assert_eq!((l.trace_id.len(), l.span_id.len()), (16, 8), "{path}");
                assert_ne!(
                    l.trace_id, s.trace_id,
                    "{path}: a link within its own trace"
                );
            }
        }
        let waits = spans.iter().filter(|s| s.name.contains("queued")).count();
        let links: usize = spans.iter().map(|s| s.links.len()).sum();
        if queued {
            assert!(
                waits > 0 && links > 0,
                "{path}: {waits} waits, {links} links"
            );
        } else {
            assert_eq!(waits, 0, "{path}");
        }
    }
}

#[test]
fn a_cache_miss_and_a_failed_connection_are_spans_of_the_caches_own() {
    // Redis with Multi-AZ, its primary lost at 20 s: reads before it miss then fill (a get of
    // 1 ms that misses, the database, a set of 1 ms); reads in the 30 s failover pay the
    // 100 ms connect timeout before the database, and set nothing.
    let text = traced_to(
        "catalogue-cache-primary",
        "40s",
        2.0,
        "[[component]]\nid = \"catalogue-cache-primary\"\nkind = \"cache\"\nengine = \"redis\"\nmulti_az = true\n\
         backend = \"db\"\nlatency = \"1ms\"\nconnect_timeout = \"100ms\"\n\
         [[component]]\nid = \"db\"\nkind = \"service\"\nservers = 4\nservice_time = \"5ms\"\n\
         [[fault]]\nat = \"20s\"\nkind = \"cache_node_failure\"\ntarget = \"catalogue-cache-primary\"\n",
    )
    .replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nkeys = { dist = \"uniform\", count = 1000000 }",
    );
    let (_, r) = run_once(&text, 1);
    let (mut misses, mut failed) = (0, 0);
    for t in &r.traces.kept {
        assert_rooted(t);
        let started = ms(t.root().start) / 1e3;
        let get = labelled(t, "get (a miss)");
        let connect = labelled(t, "connect (failed)");
        let set = labelled(t, "set");
        if (20.0..50.0).contains(&started) && !connect.is_empty() {
            // During the failover: 100 ms lost to the connection, then the database; no set.
            assert_eq!(connect.len(), 1);
            assert!((ms(connect[0].end) - ms(connect[0].start) - 100.0).abs() < 1e-9);
            assert!(get.is_empty() && set.is_empty());
            failed += 1;
        } else if started < 20.0 {
            // Before: nearly every key is new, so a miss, the database, and the fill.
            assert_eq!((get.len(), set.len()), (1, 1), "trace at {started} s");
            assert!((ms(get[0].end) - ms(get[0].start) - 1.0).abs() < 1e-9);
            assert!(connect.is_empty());
            misses += 1;
        }
    }
    assert!(
        misses >= 30 && failed >= 30,
        "{misses} misses, {failed} failed"
    );
    // The waterfall's label column is as wide as its labels need: none is cut.
    let (sc, _) = run_once(&text, 1);
    let actors: Vec<String> = r.actors.iter().map(|a| a.name.clone()).collect();
    let names = Names {
        actors: &actors,
        ops: &sc.ops,
    };
    let svg = archsim::report::traces::waterfall_svg(std::slice::from_ref(&r), &names, "t")
        .expect("a waterfall");
    assert!(
        svg.contains("catalogue-cache-primary connect (failed)") && !svg.contains('…'),
        "{svg}"
    );
}

#[test]
fn a_write_through_write_answered_after_the_promotion_sets_the_new_primary() {
    // Writes at 2/s to a write-through Redis with Multi-AZ, its primary lost at 20 s and the
    // replica promoted at 50 s; the database takes 1 s. A write that came in the failover and
    // was answered before 50 s meets the lost primary at its set (a failed connection); one
    // answered after it sets the key on the new primary.
    let text = traced_to(
        "cache",
        "60s",
        2.0,
        "[[component]]\nid = \"cache\"\nkind = \"cache\"\nengine = \"redis\"\nmulti_az = true\n\
         strategy = \"write_through\"\nbackend = \"db\"\nlatency = \"1ms\"\n\
         connect_timeout = \"100ms\"\n\
         [[component]]\nid = \"db\"\nkind = \"service\"\nservers = 4\nservice_time = \"1s\"\n\
         [[fault]]\nat = \"20s\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"\n",
    )
    .replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nmix = [ { op = \"write\", weight = 1 } ]\n\
         keys = { dist = \"uniform\", count = 1000000 }",
    );
    let (_, r) = run_once(&text, 1);
    let (mut failed, mut set_after) = (0, 0);
    for t in &r.traces.kept {
        let started = ms(t.root().start) / 1e3;
        let set = labelled(t, "set");
        let lost = labelled(t, "set: connect (failed)");
        if (20.5..48.5).contains(&started) {
            assert_eq!((set.len(), lost.len()), (0, 1), "write at {started} s");
            failed += 1;
        } else if (49.05..49.95).contains(&started) {
            assert_eq!((set.len(), lost.len()), (1, 0), "write at {started} s");
            assert!(ms(set[0].start) / 1e3 >= 50.0);
            set_after += 1;
        }
    }
    assert!(
        failed >= 50 && set_after >= 1,
        "{failed} failed, {set_after} set after"
    );
}
