//! Lambda's asynchronous invocation against its documented behaviour (aws-facts §14): the
//! 202 at once, events waiting for concurrency instead of being refused, function errors
//! retried 1 and 2 minutes later, events older than the maximum age discarded, the on-failure
//! destination, duplicates, and the processing lag from the client's request.

use crate::{num, run};

/// A scenario of `duration`, no network delay, one constant workload of `rate` requests/s to
/// "app" (one attempt: at k / rate s for k = 1, 2, …), a `service` that calls "fn"
/// asynchronously at once, and `components`.
fn scenario(duration: &str, rate: u32, components: &str) -> String {
    format!(
        "[scenario]\nduration = \"{duration}\"\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"u\"\ntarget = \"app\"\n\
         arrival = {{ process = \"constant\", rate = {rate} }}\n\
         retry = {{ attempts = 1 }}\n\
         [[component]]\nid = \"app\"\nkind = \"service\"\nservers = 1000\nservice_time = \"1ms\"\n\
         calls = [ {{ to = \"fn\", mode = \"async\" }} ]\n{components}"
    )
}

/// A Go function (init 40–55 ms) of constant `work` at a full vCPU, with `extra` keys.
fn function(id: &str, work: &str, extra: &str) -> String {
    format!(
        "[[component]]\nid = \"{id}\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\nwork = \"{work}\"\n{extra}\n"
    )
}

/// Within the 0.1 % an hdrhistogram of three significant figures keeps.
fn close(x: f64, lo: f64, hi: f64) -> bool {
    x >= lo * (1.0 - 1e-3) && x <= hi * (1.0 + 1e-3)
}

#[test]
fn events_above_concurrency_wait_and_all_run_the_callers_seeing_202() {
    // aws-facts: §14: an Event invocation is answered 202 once queued, and queued events run
    // under the function's concurrency, waiting rather than failing. One execution at a time
    // (reserved 1), 2 s of work each, 10 events at 1 s intervals: nine of them find it busy.
    let s = run(&scenario(
        "10500ms",
        1,
        &function("fn", "2s", "reserved_concurrency = 1"),
    ));
    assert_eq!(num(&s, "workloads.u.requests.total"), 10.0);
    assert_eq!(num(&s, "workloads.u.requests.by_status.200"), 10.0);
    assert_eq!(num(&s, "components.fn.by_status.202"), 10.0);
    assert_eq!(num(&s, "components.fn.async.accepted"), 10.0);
    // Every event ran once the queue drained, after arrivals stopped.
    assert_eq!(num(&s, "components.fn.async.succeeded"), 10.0);
    assert!(num(&s, "components.fn.async.throttled") >= 1.0);
    assert!(s["components"]["fn"]["by_status"].get("429").is_none());
    // The callers' answers did not wait for the work: the service's 1 ms and nothing else.
    assert!(num(&s, "workloads.u.latency_all_ms.max") < 2.0);
    // Serialised on one execution, the last event ends no sooner than 10 × 2 s after the
    // first began (at 1 s): its lag from its request (at 10 s) is at least 21 − 10 = 11 s.
    assert!(num(&s, "components.fn.async.lag_ms.max") >= 11_000.0 * (1.0 - 1e-3));
    // By 10 s the one execution has started at most 5 events (at 1, 3, 5, 7 and 9 s): at
    // least 5 of the 10 accepted wait then.
    assert!(num(&s, "components.fn.async.queue_max") >= 5.0);
}

#[test]
fn a_function_error_is_retried_the_stated_times_one_then_two_minutes_later() {
    // aws-facts: §14: after a function error Lambda retries up to MaximumRetryAttempts times
    // (0–2), about 1 minute and then 2 minutes later; then the event is discarded, here to an
    // on-failure destination: another function, invoked asynchronously. One event, sent at
    // 1 s; each run is 10 ms of work, the first and the destination's on a cold start (Go:
    // 40–55 ms of init). The destination's lag from the request is therefore
    // plus the service's 1 ms before it invokes:
    //   retries 0: 1 ms + 2 × init + 2 × 10 ms                = 0.101 … 0.131 s
    //   retries 1: 1 ms + 2 × init + 3 × 10 ms + 60 s         = 60.111 … 60.141 s
    //   retries 2: 1 ms + 2 × init + 4 × 10 ms + 60 s + 120 s = 180.121 … 180.151 s
    // (Counters of the function's runs count those in the measured period only; the
    // queue's count every run of the events accepted in it.)
    for (retries, lo, hi) in [
        (0u32, 101.0, 131.0),
        (1, 60_111.0, 60_141.0),
        (2, 180_121.0, 180_151.0),
    ] {
        let f = function(
            "fn",
            "10ms",
            &format!(
                "error_rate = 1.0\nasync_invocation = {{ maximum_retry_attempts = {retries}, on_failure = \"dest\" }}"
            ),
        );
        let s = run(&scenario("1500ms", 1, &(f + &function("dest", "10ms", ""))));
        let r = f64::from(retries);
        assert_eq!(num(&s, "components.fn.async.accepted"), 1.0);
        assert_eq!(num(&s, "components.fn.async.retried"), r);
        assert_eq!(
            num(&s, "components.fn.async.discarded.retries_exhausted"),
            1.0
        );
        assert_eq!(num(&s, "components.fn.async.to_destination"), 1.0);
        // The destination ran it once (its lag counts requests of the measured period).
        assert_eq!(num(&s, "components.dest.async.lag_ms.count"), 1.0);
        let lag = num(&s, "components.dest.async.lag_ms.max");
        assert!(close(lag, lo, hi), "retries {retries}: lag {lag} ms");
    }
}

#[test]
fn an_event_older_than_the_maximum_age_is_discarded_to_the_destination() {
    // aws-facts: §14: a throttled event waits 1 s, 2 s, 4 s … (up to 5 min) between attempts
    // until MaximumEventAgeInSeconds. Reserved concurrency 0 throttles every attempt: with a
    // 60 s maximum age the attempts are at 0, 1, 3, 7, 15 and 31 s of the event's age (the
    // next would be at 63 s), six throttles, and it is discarded at 60 s exactly, to the
    // destination, whose run adds a cold start and 10 ms; the service's 1 ms came before:
    // a lag of 60.051 … 60.066 s.
    let f = function(
        "fn",
        "10ms",
        "reserved_concurrency = 0\nasync_invocation = { maximum_event_age = \"60s\", on_failure = \"dest\" }",
    );
    let s = run(&scenario("1500ms", 1, &(f + &function("dest", "10ms", ""))));
    assert_eq!(num(&s, "components.fn.async.throttled"), 6.0);
    assert_eq!(num(&s, "components.fn.async.discarded.expired"), 1.0);
    assert_eq!(num(&s, "components.fn.async.discarded_total"), 1.0);
    assert_eq!(num(&s, "components.fn.async.succeeded"), 0.0);
    let lag = num(&s, "components.dest.async.lag_ms.max");
    assert!(close(lag, 60_051.0, 60_066.0), "lag {lag} ms");
}

#[test]
fn without_a_destination_a_discarded_event_is_counted_and_dropped() {
    // aws-facts: §14: with no destination or DLQ a discarded event is lost: counted here.
    let f = function(
        "fn",
        "10ms",
        "error_rate = 1.0\nasync_invocation = { maximum_retry_attempts = 0 }",
    );
    let s = run(&scenario("5500ms", 1, &f));
    assert_eq!(num(&s, "components.fn.async.accepted"), 5.0);
    assert_eq!(
        num(&s, "components.fn.async.discarded.retries_exhausted"),
        5.0
    );
    // The total the component's line shows beside the lag of the events that succeeded.
    assert_eq!(num(&s, "components.fn.async.discarded_total"), 5.0);
    assert_eq!(num(&s, "components.fn.async.to_destination"), 0.0);
}

#[test]
fn duplicates_deliver_a_share_of_events_twice_and_only_once_more() {
    // aws-facts: §14: at-least-once delivery. With `duplicates = 1` every event runs exactly
    // twice (a duplicate is not duplicated again); with 0 (the default), once.
    for (share, runs) in [(1.0, 40.0), (0.0, 20.0)] {
        let f = function(
            "fn",
            "10ms",
            &format!("async_invocation = {{ duplicates = {share} }}"),
        );
        let s = run(&scenario("20500ms", 1, &f));
        assert_eq!(num(&s, "components.fn.async.accepted"), 20.0);
        assert_eq!(num(&s, "components.fn.async.succeeded"), runs);
        assert_eq!(num(&s, "components.fn.async.duplicates"), runs - 20.0);
    }
}

#[test]
fn a_rest_api_with_an_async_integration_answers_202_where_a_sync_one_throttles() {
    // aws-facts: §1, §14: a REST API's Lambda integration invoked with
    // X-Amz-Invocation-Type: Event gives the client the 202 at once; the same spike through
    // a synchronous integration finds 5 executions for 20 requests a second of 1 s each and
    // the Invoke API's 429s reach the client as 500s.
    let api = |mode: &str| {
        format!(
            "[scenario]\nduration = \"10500ms\"\n[network]\nsame_az = \"0s\"\n\
             [[workload]]\nname = \"u\"\ntarget = \"api\"\n\
             arrival = {{ process = \"constant\", rate = 20 }}\nretry = {{ attempts = 1 }}\n\
             [[component]]\nid = \"api\"\nkind = \"api_gateway\"\ntarget = \"fn\"\n\
             integration_mode = \"{mode}\"\n{}",
            function("fn", "1s", "reserved_concurrency = 5")
        )
    };
    let sync = run(&api("sync"));
    assert!(num(&sync, "workloads.u.requests.by_status.500") > 100.0);
    let a = run(&api("async"));
    assert_eq!(num(&a, "workloads.u.requests.by_status.202"), 209.0);
    assert_eq!(num(&a, "components.fn.async.succeeded"), 209.0);
    // 209 requests at k / 20 s (k = 1 … 209): 209 s of work on 5 executions, so the last
    // event ends about 42 s after the first request, some 30 s after its own (at 10.45 s).
    let lag = num(&a, "components.fn.async.lag_ms.max");
    assert!(lag > 25_000.0, "lag {lag} ms");
}
