//! SQS and Lambda's event source mapping against their documented behaviour (aws-facts §15
//! SQS, §16 event source mappings): the visibility timeout, redrive to a dead-letter queue,
//! retention, the in-flight limit, the FIFO quota and message groups, the pollers' scaling,
//! and the lag from send to delete.

use crate::{num, pointer_absent, run};

/// A scenario of `duration`, no network delay, one constant workload of `rate` messages/s
/// sending to "q" (one attempt: at k / rate s for k = 1, 2, …), and `components`.
fn scenario(duration: &str, rate: u32, components: &str) -> String {
    format!(
        "[scenario]\nduration = \"{duration}\"\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"u\"\ntarget = \"q\"\n\
         arrival = {{ process = \"constant\", rate = {rate} }}\n\
         retry = {{ attempts = 1 }}\n{components}"
    )
}

/// A function of constant `work` at a full vCPU, failing every invocation when `fails`.
fn function(work: &str, fails: bool) -> String {
    let error = if fails { "error_rate = 1.0\n" } else { "" };
    format!(
        "[[component]]\nid = \"fn\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\nwork = \"{work}\"\n{error}"
    )
}

const DLQ: &str = "[[component]]\nid = \"dlq\"\nkind = \"sqs\"\n";

#[test]
fn a_failed_message_reappears_after_its_visibility_timeout_until_redrive() {
    // aws-facts: §15 SQS, §16: a message whose batch fails stays invisible for the
    // visibility timeout (7 s here), then is received again; received max_receive_count
    // times, it moves to the dead-letter queue at its next receive. With no network delay a
    // message is received the instant it is sent (a poller is free), so it moves exactly
    // max_receive_count × 7 s after its send: 7 s for 1, 21 s for 3. The function answers
    // its failure well within the 7 s (a cold start and 10 ms), so no receive is late.
    // Sends at k / 2 s for k = 1 … 239 over 2 minutes; the pollers stop at the end, so a
    // message moves if k / 2 + 7 s < 120 s (k ≤ 225) for 1 receive, k / 2 + 21 s < 120 s
    // (k ≤ 197) for 3.
    for (count, age_ms, moved) in [(1, 7_000.0, 225.0), (3, 21_000.0, 197.0)] {
        let q = format!(
            "[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"7s\"\nmax_receive_count = {count}\ndead_letter = \"dlq\"\nconsumer = {{ to = \"fn\", batch_size = 1 }}\n"
        );
        let s = run(&scenario("2m", 2, &(q + DLQ + &function("10ms", true))));
        assert_eq!(num(&s, "components.q.sends"), 239.0);
        assert_eq!(num(&s, "components.q.moved_to_dead_letter"), moved);
        assert_eq!(num(&s, "components.dlq.received_by_redrive"), moved);
        assert_eq!(num(&s, "components.q.deletes"), 0.0);
        // Those not moved are in flight at the end, waiting out a visibility timeout: the
        // visible backlog misses them, `in_flight_end` holds them.
        assert_eq!(num(&s, "components.q.in_flight_end"), 239.0 - moved);
        assert_eq!(num(&s, "components.q.backlog_end"), 0.0);
        // Each message moved was handed over `count` times first.
        assert!(num(&s, "components.q.batches") >= moved * f64::from(count));
        // The histogram keeps three significant figures: within 0.1 %.
        for p in ["p50", "max"] {
            let age = num(&s, &format!("components.q.dead_letter_age_ms.{p}"));
            assert!(
                (age - age_ms).abs() <= age_ms * 1e-3,
                "{p} {age} vs {age_ms}"
            );
        }
    }
}

#[test]
fn a_dead_letter_queue_no_message_can_reach_within_the_run_is_said() {
    // Two receives each followed by a 30 s visibility timeout: a message moves 60 s after
    // its send at the earliest, so a run of 1 minute moves none (an expectation that the
    // dead-letter queue stays empty would hold whatever the consumer did), and it is said
    // at the queue; a run of 3 minutes moves messages and says nothing.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"30s\"\nmax_receive_count = 2\ndead_letter = \"dlq\"\nconsumer = { to = \"fn\", batch_size = 1 }\n";
    let parts = q.to_string() + DLQ + &function("10ms", true);
    let short = scenario("1m", 2, &parts);
    let warnings = crate::located_warnings(&short);
    let line = short
        .lines()
        .position(|l| l == "id = \"q\"")
        .expect("the queue's id")
        + 1;
    let want = format!(
        "{line}:6 \"q\": no message can reach its dead-letter queue \"dlq\" within the run: a message moves after `max_receive_count` (2) receives, each followed by a `visibility_timeout` (30s), 60s at least, and `duration` is 60s; run longer"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with(&want)),
        "{want} in {warnings:?}"
    );
    assert_eq!(num(&run(&short), "components.q.moved_to_dead_letter"), 0.0);
    let long = scenario("3m", 2, &parts);
    assert!(
        !crate::located_warnings(&long)
            .iter()
            .any(|w| w.contains("dead-letter queue")),
        "{:?}",
        crate::located_warnings(&long)
    );
    assert!(num(&run(&long), "components.q.moved_to_dead_letter") > 0.0);
}

#[test]
fn lag_is_the_time_from_send_to_delete() {
    // aws-facts: §16: a successful batch is deleted. One message a second, a function of
    // constant 200 ms: each is received at once (no network delay) and deleted when the
    // function answers, 200 ms later (plus a cold start on the first invocation only, which
    // the median does not see). The SendMessage answer (15 ms median) is not part of it.
    let q =
        "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 1 }\n";
    let s = run(&scenario(
        "2m",
        1,
        &(q.to_string() + &function("200ms", false)),
    ));
    let sends = num(&s, "components.q.sends");
    assert_eq!(num(&s, "components.q.deletes"), sends);
    let p50 = num(&s, "components.q.lag_ms.p50");
    assert!((p50 - 200.0).abs() <= 0.2, "{p50}");
    assert_eq!(num(&s, "components.q.backlog_end"), 0.0);
}

#[test]
fn retention_deletes_old_messages() {
    // aws-facts: §15 SQS: messages older than the retention period (60 s, its least) are
    // deleted. No consumer; 10 sends/s for 2 minutes, at k / 10 s for k = 1 … 1,199. Those
    // sent before 60 s (k = 1 … 599) expire before the end; the one sent at 60 s expires at
    // 120 s, the end, and is not counted. 1,199 − 599 = 600 remain; the oldest held is never
    // older than 60 s.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nretention = \"60s\"\n";
    let s = run(&scenario("2m", 10, q));
    assert_eq!(num(&s, "components.q.sends"), 1_199.0);
    assert_eq!(num(&s, "components.q.expired"), 599.0);
    assert_eq!(num(&s, "components.q.backlog_end"), 600.0);
    assert!(num(&s, "components.q.oldest_age_max_s") <= 60.0);
}

#[test]
fn a_receive_beyond_the_in_flight_limit_gets_nothing() {
    // aws-facts: §15 SQS: at most 120,000 messages in flight in a standard queue; a receive
    // beyond gets nothing (OverLimit). Every batch fails and stays invisible for 12 h, so
    // in-flight messages only accumulate: 3,000 sends/s for 60 s (179,999 of them) reach the
    // limit at about 40 s, and the 59,999 sent after stay visible.
    // The mapping does not back off on the failures (`backoff_batches = 0`), so that its
    // pollers scale up as the test needs.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"12h\"\nconsumer = { to = \"fn\", batch_size = 1, backoff_batches = 0 }\n";
    let s = run(&scenario(
        "1m",
        3_000,
        &(q.to_string() + &function("10ms", true)),
    ));
    let sends = num(&s, "components.q.sends");
    assert_eq!(sends, 179_999.0);
    assert_eq!(num(&s, "components.q.in_flight_max"), 120_000.0);
    assert!(num(&s, "components.q.over_limit") > 0.0);
    assert_eq!(num(&s, "components.q.backlog_end"), sends - 120_000.0);
}

#[test]
fn pollers_start_at_five_and_add_three_hundred_a_minute() {
    // aws-facts: §16 SQS: 5 concurrent batches at first, up to 300 more per minute while
    // messages remain (5 more each second here). A backlog that never empties (2,000/s
    // against batches of one message taking 1 s) makes them scale all along: in second k the
    // pollers allow 5 + 5k batches, and at 59 s they reach 5 + 5 × 59 = 300 (the step at 60 s
    // is the end of the run). Each allowed batch is busy about all of its second, so the
    // batches handed over are about Σ (5 + 5k) for k = 0 … 59 = 300 + 8,850 = 9,150, fewer
    // by the cold starts of the new environments (Go's init, about 50 ms each).
    let q =
        "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 1 }\n";
    let s = run(&scenario(
        "1m",
        2_000,
        &(q.to_string() + &function("1s", false)),
    ));
    assert_eq!(num(&s, "components.q.concurrent_batches_max"), 300.0);
    let batches = num(&s, "components.q.batches");
    assert!((8_600.0..=9_150.0).contains(&batches), "{batches}");

    // maximum_concurrency caps them: 20 at most.
    let capped = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 1, maximum_concurrency = 20 }\n";
    let s = run(&scenario(
        "1m",
        2_000,
        &(capped.to_string() + &function("1s", false)),
    ));
    assert_eq!(num(&s, "components.q.concurrent_batches_max"), 20.0);
}

#[test]
fn a_mapping_that_keeps_up_holds_its_pollers_when_the_queue_is_empty_for_an_instant() {
    // 100 messages/s, each 200 ms of work: about 20 batches at once keep up, and each
    // message is taken as it comes, so at most scaling steps the queue is empty. Pollers
    // whose batches still run are kept (AWS does not say how fast it scales back); falling
    // back to 5 at each such step made the backlog a sawtooth with seconds of lag.
    let q =
        "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 1 }\n";
    let sc = crate::scenario(&scenario(
        "2m",
        100,
        &(q.to_string() + &function("200ms", false)),
    ));
    let s = crate::run_scenario(&sc);
    // The ramp from 5 (and the cold starts) leaves a backlog in the first seconds only:
    // falling back made it about 94 messages on average and a median lag of seconds.
    let (lag, backlog) = (
        num(&s, "components.q.lag_ms.p90"),
        num(&s, "components.q.backlog_mean"),
    );
    assert!(
        lag < 300.0 && backlog < 15.0,
        "lag p90 {lag} ms, backlog {backlog}"
    );
    // Once ramped up, the pollers allowed never fall back while the load goes on: each
    // window's mean stays at 20 or more (falling back, it dropped to 7 and below).
    let r = archsim::world::World::build(&sc, 1).run().unwrap();
    let allowed = crate::series(&r, "q", "batches_allowed");
    let steady = &allowed[10..allowed.len() - 5];
    let low = steady.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(low >= 20.0, "{low}: {steady:?}");
}

#[test]
fn a_fifo_queue_admits_three_hundred_sends_a_second() {
    // aws-facts: §15 SQS: a FIFO queue takes 300 calls per second per action, 400
    // ThrottlingException beyond. 500 sends/s for 20 s (9,999 of them); the quota's bucket
    // holds one second's worth and starts full, so it admits 300 × 20 + 300 = 6,300 over the
    // run, less at most a token for where the last arrivals fall.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nfifo = true\n";
    let s = run(&scenario("20s", 500, q));
    let sends = num(&s, "components.q.sends");
    assert_eq!(sends, 9_999.0);
    let ok = num(&s, "components.q.by_status.200");
    assert!((6_298.0..=6_300.0).contains(&ok), "{ok}");
    assert_eq!(num(&s, "components.q.throttles"), sends - ok);
    assert_eq!(num(&s, "components.q.by_status.400"), sends - ok);
}

#[test]
fn a_fifo_group_is_received_in_order_and_blocked_by_a_failure() {
    // aws-facts: §16 SQS: FIFO messages are handed over in order per message group, one
    // batch per group at a time, and an error blocks the group. One group, every batch
    // failing, visibility 10 s, max_receive_count 1, 10 sends/s for 60 s. At 0.1 s the
    // first message goes alone (the only one visible) and fails; the group waits until
    // 10.1 s, when that message moves to the dead-letter queue and the next 10 in order go
    // (one batch of 10, FIFO's most); at 20.1 s those 10 move and the next 10 go; and so on
    // at 30.1, 40.1 and 50.1 s. By the end (60 s): 1 + 4 × 10 = 41 moved, the oldest first.
    let fifo = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nfifo = true\nvisibility_timeout = \"10s\"\nmax_receive_count = 1\ndead_letter = \"dlq\"\nconsumer = { to = \"fn\" }\n";
    let s = run(&scenario(
        "1m",
        10,
        &(fifo.to_string()
            + &DLQ.replace("sqs\"\n", "sqs\"\nfifo = true\n")
            + &function("10ms", true)),
    ));
    assert_eq!(num(&s, "components.q.moved_to_dead_letter"), 41.0);
    assert_eq!(num(&s, "components.q.concurrent_batches_max"), 1.0);
    // In order, waiting behind the group: the last ten moved (at 50.1 s) were sent at 3.2 …
    // 4.1 s, the oldest of them 46.9 s old (the histogram keeps three significant figures).
    let oldest = num(&s, "components.q.dead_letter_age_ms.max");
    assert!((oldest - 46_900.0).abs() <= 47.0, "{oldest}");

    // A standard queue, failing alike, has no groups to block: every message sent by 50 s
    // moves 10 s after its send: those sent before 50 s (k = 1 … 499), 10 s old each.
    let standard = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"10s\"\nmax_receive_count = 1\ndead_letter = \"dlq\"\nconsumer = { to = \"fn\", batch_size = 1 }\n";
    let s = run(&scenario(
        "1m",
        10,
        &(standard.to_string() + DLQ + &function("10ms", true)),
    ));
    assert_eq!(num(&s, "components.q.moved_to_dead_letter"), 499.0);
    let age = num(&s, "components.q.dead_letter_age_ms.max");
    assert!((age - 10_000.0).abs() <= 10.0, "{age}");
}

#[test]
fn a_fifo_batch_takes_messages_from_several_groups() {
    // `lambda:services-sqs-scaling.html`: "each batch may contain messages from more than one
    // message group, but the order of messages within each group is maintained". 200 sends/s
    // over 1,000 groups (a group rarely holds two messages at once) for 30 s, to a function
    // of 50 ms a message with at most 2 batches at a time: it serves 40 messages a second,
    // so a backlog builds. Batches of one group's messages would carry about one message
    // each, an invocation (and a receive, and its request charge) per message; filled
    // across the waiting groups they carry the batch size, 10, all but the first few.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nfifo = true\nmessage_groups = 1000\n\
             consumer = { to = \"fn\", batch_size = 10, maximum_concurrency = 2 }\n";
    let s = run(&scenario(
        "30s",
        200,
        &(q.to_string() + &function("50ms", false)),
    ));
    let (deletes, batches) = (
        num(&s, "components.q.deletes"),
        num(&s, "components.q.batches"),
    );
    // 40 a second for 30 s, less the first batches' cold starts (the last batches, running
    // at the end, are deleted after it and counted: their messages were sent before).
    assert!((1_100.0..=1_220.0).contains(&deletes), "{deletes}");
    assert!(
        deletes / batches > 9.0,
        "{deletes} messages in {batches} batches"
    );
    assert_eq!(num(&s, "components.q.concurrent_batches_max"), 2.0);
}

#[test]
fn the_bundled_poison_scenario_is_deterministic() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/sqs-poison-message-dlq.toml"),
    )
    .expect("the bundled scenario");
    // Everything but the wall-clock figures.
    let (a, b) = (run(&text), run(&text));
    for part in ["requests", "latency_ms", "components", "cost_usd"] {
        assert!(a.get(part).is_some(), "no {part}");
        assert_eq!(a.get(part), b.get(part), "{part} differs");
    }
    assert_eq!(a["kernel"]["events"], b["kernel"]["events"]);
}

#[test]
fn a_batch_gathers_for_its_window_and_its_handler_does_each_messages_work() {
    // aws-facts: §16: a poller waits up to the batching window for a full batch. 10 sends/s
    // (at k / 10 s), batches of 10, a 1 s window: the first message of each ten opens a
    // window that the tenth fills 0.9 s later, so every batch goes full, at 1, 2, … 59 s.
    // The nine sent after 59 s wait for a window that would end after the run. A function
    // of constant 100 ms a message runs 10 × 100 ms = 1 s per batch; the last batch (at
    // 59 s) ends after the run, its messages deleted then, and counted, as sent in the
    // measured period: 59 × 10.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 10, batching_window = \"1s\" }\n";
    let s = run(&scenario(
        "1m",
        10,
        &(q.to_string() + &function("100ms", false)),
    ));
    assert_eq!(num(&s, "components.q.sends"), 599.0);
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.q.deletes"), 590.0);
    assert_eq!(num(&s, "components.fn.invocations"), 59.0);
    let p50 = num(&s, "components.fn.duration_ms.p50");
    assert!((p50 - 1_000.0).abs() <= 1.0, "{p50}");
}

#[test]
fn messages_a_poller_gathers_in_its_window_are_no_backlog_to_scale_for() {
    // The load of the test above: a batch a second, gathered over 0.9 s by one poller while
    // four more are free. The messages visible meanwhile are in that poller's hands (AWS's
    // poller has received them): the pollers allowed stay at 5 all along. Counted as a
    // backlog, they climbed by 5 at each second's scaling step, to 300 within the minute.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 10, batching_window = \"1s\" }\n";
    let sc = crate::scenario(&scenario(
        "1m",
        10,
        &(q.to_string() + &function("100ms", false)),
    ));
    let r = archsim::world::World::build(&sc, 1).run().unwrap();
    let allowed = crate::series(&r, "q", "batches_allowed");
    assert!(allowed.iter().all(|&a| a == 5.0), "{allowed:?}");
    // A backlog beyond what the free pollers gather does scale them: 200 messages a second
    // against batches of 10 that take 10 × 100 ms = 1 s (20 batches at once keep up).
    let sc = crate::scenario(&scenario(
        "1m",
        200,
        &(q.to_string() + &function("100ms", false)),
    ));
    let r = archsim::world::World::build(&sc, 1).run().unwrap();
    let allowed = crate::series(&r, "q", "batches_allowed");
    let most = allowed.iter().copied().fold(0.0, f64::max);
    assert!(most >= 20.0, "{allowed:?}");
}

/// A minute of 9 good messages a second (at k / 9 s) and 1 "bad" one (at k s) sent to "q",
/// whose consumer takes batches of 10 and waits 5 minutes for a full one (a window that never
/// ends within the run): each batch is the 10 messages that arrive over a second, 9 good and
/// the bad one of second j that completes it at j s (j = 1 … 59), as 8 good ones are visible
/// just before. `queue` adds keys to the queue; the function fails on "bad" messages.
fn good_and_bad(queue: &str, consumer: &str) -> String {
    format!(
        "[scenario]\nduration = \"1m\"\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"good\"\ntarget = \"q\"\n\
         arrival = {{ process = \"constant\", rate = 9 }}\nretry = {{ attempts = 1 }}\n\
         [[workload]]\nname = \"bad\"\ntarget = \"q\"\n\
         arrival = {{ process = \"constant\", rate = 1 }}\nretry = {{ attempts = 1 }}\n\
         mix = [ {{ op = \"bad\", weight = 1 }} ]\n\
         [[component]]\nid = \"q\"\nkind = \"sqs\"\n{queue}\
         consumer = {{ to = \"fn\", batch_size = 10, batching_window = \"5m\"{consumer} }}\n\
         {}error_ops = [\"bad\"]\n{DLQ}",
        function("10ms", false)
    )
}

const REPORT: &str = ", function_response_types = [\"ReportBatchItemFailures\"]";

#[test]
fn with_batch_item_failures_only_the_failed_messages_stay() {
    // aws-facts: §16 SQS: with ReportBatchItemFailures only the messages the function
    // reports return to the queue; the rest are deleted. A 12 h visibility timeout keeps the
    // failed ones away for the whole run, so the batches are exactly as `good_and_bad` says:
    // 59 batches of 10, each with 1 failed message (k = 1 of n = 10): 59 × 9 = 531 deleted,
    // 59 kept in flight, none received twice; the 8 good ones sent after 59 s are visible at
    // the end. 539 good + 59 bad = 598 sends. The most in flight: the 58 kept before the last
    // batch and its 10, until its answer.
    let vis = "visibility_timeout = \"12h\"\n";
    let s = run(&good_and_bad(vis, REPORT));
    assert_eq!(num(&s, "components.q.sends"), 598.0);
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.q.deletes"), 531.0);
    assert_eq!(num(&s, "components.q.failed_items"), 59.0);
    assert_eq!(num(&s, "components.q.failed_batches"), 0.0);
    assert_eq!(num(&s, "components.q.in_flight_max"), 68.0);
    assert_eq!(num(&s, "components.q.redelivered"), 0.0);
    assert_eq!(num(&s, "components.q.backlog_end"), 8.0);

    // Without it, the one bad message fails its batch, and all 10 stay in flight: nothing is
    // deleted, 590 in flight by the end.
    let s = run(&good_and_bad(vis, ""));
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.q.failed_batches"), 59.0);
    assert_eq!(num(&s, "components.q.deletes"), 0.0);
    assert_eq!(num(&s, "components.q.in_flight_max"), 590.0);
}

#[test]
fn with_batch_item_failures_the_poison_message_alone_reaches_the_dead_letter_queue() {
    // aws-facts: §15 SQS, §16: a reported message becomes visible again after the visibility
    // timeout (10 s) and, received max_receive_count = 1 time, moves to the dead-letter queue
    // at its next receive. The bad message of second j is received at j s or with the next
    // batch (within a second: 10 messages arrive a second, and a batch goes as soon as 10
    // are visible), is visible again 10 s later, and moves with the next batch after that:
    // 10 to 12 s old. Those whose second batch falls before 60 s move: j ≤ 47 … 49, 46 to 50
    // of them with a second's slack. Every good message is deleted the first time it is
    // received (never twice): all 539 but the at most 9 visible at the end and those of a
    // last batch still running at the end.
    let vis = "visibility_timeout = \"10s\"\nmax_receive_count = 1\ndead_letter = \"dlq\"\n";
    let s = run(&good_and_bad(vis, REPORT));
    let moved = num(&s, "components.q.moved_to_dead_letter");
    assert!((46.0..=50.0).contains(&moved), "{moved}");
    assert_eq!(num(&s, "components.dlq.received_by_redrive"), moved);
    assert_eq!(num(&s, "components.q.redelivered"), 0.0);
    let deletes = num(&s, "components.q.deletes");
    assert!((520.0..=539.0).contains(&deletes), "{deletes}");
    for p in ["p50", "max"] {
        let age = num(&s, &format!("components.q.dead_letter_age_ms.{p}"));
        assert!((10_000.0..=12_100.0).contains(&age), "{p} {age}");
    }

    // Without it a batch holding a bad message fails whole, and its good messages move with
    // it: each of the first batches is 9 good and 1 bad, so the queue moves several times
    // more (about 10 per failed batch that comes back in time; at least 5 is a loose floor
    // for batches that the returning messages break up), and deletes far fewer.
    let s = run(&good_and_bad(vis, ""));
    let moved_whole = num(&s, "components.q.moved_to_dead_letter");
    assert!(moved_whole >= 5.0 * moved, "{moved_whole} vs {moved}");
    assert!(num(&s, "components.q.deletes") < deletes / 2.0);
}

#[test]
fn a_fifo_batch_with_item_failures_returns_from_its_first_failure_on() {
    // A FIFO group keeps its order: a reported failure returns its message and every one
    // after it in the batch (AWS's advice for FIFO consumers; aws-facts §16: an error blocks
    // the group). One group; 9 good messages a second (at k / 9 s) and a bad one at 1 s,
    // 2 s, …; a 12 h visibility timeout. The group's batches take what is visible as soon as
    // the group is free: the 8 good messages before 1 s are deleted, the good one sent at
    // 1 s too if it goes before the bad one sent at the same instant; from the bad one on,
    // the batch stays in flight and blocks the group for the rest of the run.
    let workloads = "[scenario]\nduration = \"1m\"\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"good\"\ntarget = \"q\"\n\
         arrival = { process = \"constant\", rate = 9 }\nretry = { attempts = 1 }\n\
         [[workload]]\nname = \"bad\"\ntarget = \"q\"\n\
         arrival = { process = \"constant\", rate = 1 }\nretry = { attempts = 1 }\n\
         mix = [ { op = \"bad\", weight = 1 } ]\n";
    let q = format!(
        "[[component]]\nid = \"q\"\nkind = \"sqs\"\nfifo = true\nvisibility_timeout = \"12h\"\n\
         consumer = {{ to = \"fn\", batch_size = 10{REPORT} }}\n{}error_ops = [\"bad\"]\n",
        function("10ms", false)
    );
    let s = run(&(workloads.to_string() + &q));
    // The good messages up to the first bad one (at 1 s: 8 of them at 1/9 … 8/9 s, and the
    // one at 1 s if it is received before the bad one) are deleted; then the group holds the
    // bad one and what follows it in its batch, for 12 h.
    let deletes = num(&s, "components.q.deletes");
    assert!((8.0..=9.0).contains(&deletes), "{deletes}");
    assert!(num(&s, "components.q.failed_items") >= 1.0);
    assert_eq!(num(&s, "components.q.redelivered"), 0.0);
    // Over 1,000 groups, with a function slow enough (250 ms a message, 2 batches at once: 8
    // messages a second of the 10 sent) that a backlog builds and batches fill across
    // groups: a failure returns the rest of its own group only (rarely anything, with so
    // many groups), so the other groups' good messages after it are deleted. About 48 of
    // the 59 bad messages are received and fail; returning the rest of each batch too
    // would hold back some 180 good ones with them (242 deleted instead of 422).
    let many = q
        .replace("fifo = true\n", "fifo = true\nmessage_groups = 1000\n")
        .replace(
            "batch_size = 10",
            "batch_size = 10, maximum_concurrency = 2",
        )
        .replace("work = \"10ms\"", "work = \"250ms\"");
    let s = run(&(workloads.to_string() + &many));
    let deletes = num(&s, "components.q.deletes");
    assert!(deletes >= 400.0, "{deletes} good messages deleted");
    assert!(num(&s, "components.q.failed_items") <= 59.0);
}

#[test]
fn a_fifo_consumer_stops_a_group_at_its_first_failure_and_makes_none_of_its_later_calls() {
    // One group; 9 good messages a second and a bad one at 1 s, 2 s, …; a function of
    // 200 ms a message (a batch of 10 within its 3 s timeout) that calls "db" once for each
    // message it processes (per message, the default). While a batch runs, the group's next
    // messages wait, so a later batch holds the bad message of 1 s with good ones after it.
    // The function stops the group there (AWS's advice for a FIFO consumer taking partial
    // answers): the good messages after the bad one are not worked on, make no call, and
    // return with it. So "db" is called exactly once per message deleted, and some messages
    // of that batch were neither.
    let text = format!(
        "[scenario]\nduration = \"1m\"\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"good\"\ntarget = \"q\"\n\
         arrival = {{ process = \"constant\", rate = 9 }}\nretry = {{ attempts = 1 }}\n\
         [[workload]]\nname = \"bad\"\ntarget = \"q\"\n\
         arrival = {{ process = \"constant\", rate = 1 }}\nretry = {{ attempts = 1 }}\n\
         mix = [ {{ op = \"bad\", weight = 1 }} ]\n\
         [[component]]\nid = \"q\"\nkind = \"sqs\"\nfifo = true\nvisibility_timeout = \"12h\"\n\
         consumer = {{ to = \"fn\", batch_size = 10{REPORT} }}\n{}error_ops = [\"bad\"]\n\
         calls = [ {{ to = \"db\" }} ]\n\
         [[component]]\nid = \"db\"\nkind = \"service\"\nservers = 10\nservice_time = \"1ms\"\n",
        function("200ms", false)
    );
    let s = run(&text);
    let deletes = num(&s, "components.q.deletes");
    let calls = num(&s, "components.db.arrivals");
    assert!(deletes >= 5.0, "{deletes} deleted");
    assert_eq!(calls, deletes, "one call per message processed and deleted");
    // The batch holding the bad message returned it and the good ones after it: more than
    // the one failure.
    let failed = num(&s, "components.q.failed_items");
    assert!(failed >= 2.0, "{failed} returned");
    assert_eq!(num(&s, "components.q.redelivered"), 0.0);
}

#[test]
fn a_batch_whose_every_message_failed_under_a_partial_answer_makes_no_call() {
    // Only bad messages, 2 a second, to a function that calls "db" once per batch
    // (`per_batch`): under a partial answer every batch succeeds with all its messages
    // reported failed, and nothing was done to write: no call. With good messages it makes
    // one per batch.
    let text = |mix: &str| {
        format!(
            "[scenario]\nduration = \"1m\"\n[network]\nsame_az = \"0s\"\n\
             [[workload]]\nname = \"w\"\ntarget = \"q\"\n\
             arrival = {{ process = \"constant\", rate = 2 }}\nretry = {{ attempts = 1 }}\n\
             mix = [ {{ op = \"{mix}\", weight = 1 }} ]\n\
             [[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"12h\"\n\
             consumer = {{ to = \"fn\", batch_size = 10{REPORT} }}\n{}error_ops = [\"bad\"]\n\
             batch_calls = \"per_batch\"\ncalls = [ {{ to = \"db\" }} ]\n\
             [[component]]\nid = \"db\"\nkind = \"service\"\nservers = 10\nservice_time = \"1ms\"\n",
            function("10ms", false)
        )
    };
    let s = run(&text("bad"));
    assert!(num(&s, "components.q.failed_items") >= 100.0);
    assert_eq!(num(&s, "components.db.arrivals"), 0.0);
    let s = run(&text("read"));
    let batches = num(&s, "components.q.batches");
    assert!(batches >= 100.0, "{batches}");
    assert_eq!(num(&s, "components.db.arrivals"), batches);
}

#[test]
fn a_batch_call_under_a_partial_answer_carries_the_messages_done() {
    // 9 good messages and 1 bad a second, 1 KB each, to a function of 250 ms a message
    // running at most 2 batches (8 messages a second): a backlog builds and batches fill
    // with good messages and bad ones. Under a partial answer the function makes its one
    // call (`per_batch`) for the messages it did, each an item of its own: a write of
    // 1 KB per good message, one capacity unit each (aws-facts: §7 capacity
    // units), with a good message's operation even when the batch's first is bad. So the
    // table's write units are the messages deleted, not the batches' whole size, and it
    // reads nothing.
    let text = format!(
        "[scenario]\nduration = \"1m\"\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"good\"\ntarget = \"q\"\nsize = 1024\n\
         arrival = {{ process = \"constant\", rate = 9 }}\nretry = {{ attempts = 1 }}\n\
         mix = [ {{ op = \"put\", weight = 1 }} ]\n\
         [[workload]]\nname = \"bad\"\ntarget = \"q\"\nsize = 1024\n\
         arrival = {{ process = \"constant\", rate = 1 }}\nretry = {{ attempts = 1 }}\n\
         mix = [ {{ op = \"bad\", weight = 1 }} ]\n\
         [[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"12h\"\n\
         consumer = {{ to = \"fn\", batch_size = 10, maximum_concurrency = 2{REPORT} }}\n\
         {}error_ops = [\"bad\"]\nbatch_calls = \"per_batch\"\n\
         calls = [ {{ to = \"t\" }} ]\n\
         [[component]]\nid = \"t\"\nkind = \"dynamodb\"\nwcu = 1000\nrcu = 1000\n\
         writes = [\"put\"]\n",
        function("250ms", false)
    );
    let s = run(&text);
    let deletes = num(&s, "components.q.deletes");
    let failed = num(&s, "components.q.failed_items");
    assert!(deletes >= 300.0, "{deletes} deleted");
    assert!(failed >= 30.0, "{failed} failed");
    assert_eq!(num(&s, "components.t.throttles"), 0.0);
    // The deletes are of the messages sent in the measured period, whenever deleted; the
    // units, of the writes done in it: the two batches running at its end (20 messages at
    // most) are written after it.
    let units = num(&s, "components.t.write_units_consumed");
    assert!(
        units <= deletes && deletes - units <= 20.0,
        "{units} units, {deletes} deleted"
    );
    assert_eq!(num(&s, "components.t.read_units_consumed"), 0.0);
}

#[test]
fn a_high_throughput_fifo_queue_admits_three_hundred_a_second_per_partition() {
    // aws-facts: §15 SQS: in high-throughput mode the limits are per partition, with a
    // regional maximum; spread message groups. 500 sends/s for 20 s (9,999) over 1,000
    // message groups (keys uniform): each group's partition (its number modulo the 234
    // partitions of 70,000 calls/s) gets about 500 / 234 ≈ 2 a second, far under its 300,
    // and the Region's 70,000 are far off: every send is admitted, where the queue's normal
    // 300 a second admits 6,300 (`a_fifo_queue_admits_three_hundred_sends_a_second`).
    let keys = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nfifo = true\nmessage_groups = 1000\n";
    let ht = "fifo_throughput_limit = \"per_message_group_id\"\ndeduplication_scope = \"message_group\"\n";
    let s = run(&scenario("20s", 500, &(keys.to_string() + ht)));
    assert_eq!(num(&s, "components.q.by_status.200"), 9_999.0);
    assert_eq!(num(&s, "components.q.throttles"), 0.0);

    // One message group is one partition: 300 a second, as without the mode.
    let one = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nfifo = true\n";
    let s = run(&scenario("20s", 500, &(one.to_string() + ht)));
    let ok = num(&s, "components.q.by_status.200");
    assert!((6_298.0..=6_300.0).contains(&ok), "{ok}");

    // A regional maximum of 300 holds many groups to 300 a second too.
    let capped = format!("{keys}{ht}high_throughput_tps = 300\n");
    let s = run(&scenario("20s", 500, &capped));
    let ok = num(&s, "components.q.by_status.200");
    assert!((6_298.0..=6_300.0).contains(&ok), "{ok}");

    // Only one of the two settings keeps the normal 300 a second (AWS's rule).
    let half = format!("{keys}fifo_throughput_limit = \"per_message_group_id\"\n");
    let s = run(&scenario("20s", 500, &half));
    let ok = num(&s, "components.q.by_status.200");
    assert!((6_298.0..=6_300.0).contains(&ok), "{ok}");
}

#[test]
fn provisioned_pollers_start_at_their_minimum_and_stop_at_ten_batches_each() {
    // aws-facts: §16 SQS: provisioned mode: the minimum pollers are there at once, each
    // running up to 10 concurrent invokes; scaling about 3× the default's (15 batches a
    // second here); at most 10 × the maximum pollers. A backlog that never empties (2,000
    // sends/s against batches of one message taking 1 s): in the first second 20 pollers
    // run 200 batches at once (the default mode, 5); then 15 more a second reach the cap,
    // 30 pollers × 10 = 300, after 7 s, and it holds there.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 1, provisioned_pollers = { minimum = 20, maximum = 30 } }\n";
    let s = run(&scenario(
        "1s",
        2_000,
        &(q.to_string() + &function("1s", false)),
    ));
    assert_eq!(num(&s, "components.q.concurrent_batches_max"), 200.0);
    let s = run(&scenario(
        "1m",
        2_000,
        &(q.to_string() + &function("1s", false)),
    ));
    assert_eq!(num(&s, "components.q.concurrent_batches_max"), 300.0);
}

#[test]
fn a_batch_stops_at_the_six_megabytes_a_synchronous_invocation_carries() {
    // 250 KB messages, 50 a second, batches of up to 1,000 gathered over 10 s: a window
    // would hold 500 messages (125 MB), but Lambda's batch stops at the 6 MB payload limit
    // (`lambda:gettingstarted-limits.html`): 25 messages of 250,000 bytes. And the poller
    // stops gathering there (`lambda:invocation-eventsourcemapping.html`, Batching
    // behavior: until the window ends, the batch is full or its payload reaches 6 MB): a
    // batch leaves as the 26th message comes, 0.5 s after its first, one batch at a time.
    // Waiting out the window instead held the messages 5 s on average, 10 s at p99, and
    // scaled the pollers up to 20.
    let s = run(&(scenario("2m", 50, "").replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nsize = 250000",
    ) + "[[component]]\nid = \"q\"\nkind = \"sqs\"\n\
           consumer = { to = \"fn\", batch_size = 1000, batching_window = \"10s\" }\n"
        + &function("1ms", false)));
    let deletes = num(&s, "components.q.deletes");
    let batches = num(&s, "components.q.batches");
    assert!(deletes > 5_000.0, "{deletes}");
    assert!(
        deletes / batches > 24.0 && deletes / batches <= 25.0,
        "{deletes} in {batches}"
    );
    let lag = num(&s, "components.q.lag_ms.p99");
    assert!((500.0..600.0).contains(&lag), "{lag}");
    assert_eq!(num(&s, "components.q.concurrent_batches_max"), 1.0);
}

#[test]
fn what_producers_see_does_not_move_when_only_the_consumers_change() {
    // A variant that changes the consumer side alone (the visibility timeout, which decides
    // when failed messages are received again) must leave the producers' SendMessage
    // latencies as they were, draw for draw: the queue draws for its producers from a stream
    // of their own, so paired comparisons of variants see no noise there. The network's
    // default latencies make the consumer's calls draw too; a third of the messages fail.
    let with = |visibility: &str| {
        let toml = format!(
            "[scenario]\nduration = \"1m\"\n\
             [[workload]]\nname = \"u\"\ntarget = \"q\"\n\
             arrival = {{ process = \"poisson\", rate = 50 }}\n\
             mix = [ {{ op = \"ok\", weight = 2 }}, {{ op = \"bad\", weight = 1 }} ]\n\
             [[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"{visibility}\"\n\
             max_receive_count = 2\ndead_letter = \"dlq\"\n\
             consumer = {{ to = \"fn\", batch_size = 1 }}\n\
             [[component]]\nid = \"fn\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\n\
             work = {{ dist = \"exponential\", mean = \"20ms\" }}\nerror_ops = [\"bad\"]\n{DLQ}"
        );
        run(&toml)
    };
    let (a, b) = (with("5s"), with("9s"));
    // The consumer side did change ...
    assert_ne!(
        num(&a, "components.q.batches"),
        num(&b, "components.q.batches")
    );
    // ... and the producers saw the same.
    for p in ["mean", "p50", "p99", "max"] {
        let path = format!("components.q.response_ms.{p}");
        assert_eq!(num(&a, &path), num(&b, &path), "{path}");
        let path = format!("workloads.u.latency_ms.{p}");
        assert_eq!(num(&a, &path), num(&b, &path), "{path}");
    }
}

#[test]
fn an_expectation_on_a_dead_letter_queues_sends_is_told_that_redrives_are_not_sends() {
    // As CloudWatch's NumberOfMessagesSent, `sends` leaves out what a redrive moves in: an
    // expectation that a dead-letter queue gets nothing, written on its `sends`, could never
    // fail, and is warned of where it is written; one on `received_by_redrive` is not.
    let text = |metric: &str| {
        let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nmax_receive_count = 3\ndead_letter = \"dlq\"\nconsumer = { to = \"fn\" }\n";
        // Two minutes: three receives 30 s apart can move a message (in one minute none
        // could, which is warned of too).
        scenario("2m", 1, &(q.to_string() + DLQ + &function("10ms", true)))
            + &format!("[[expect]]\nmetric = \"{metric}\"\nmax = 0\n")
    };
    let parse = |metric: &str| {
        archsim::scenario::parse(std::path::Path::new("x.toml"), &text(metric)).unwrap()
    };
    let sc = parse("components.dlq.sends");
    let said: Vec<(usize, &str)> = sc
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].1.starts_with("`components.dlq.sends` counts the messages sent to it only, not those \"q\"'s redrive moves into it: `components.dlq.received_by_redrive` counts those"),
        "{said:?}"
    );
    assert_eq!(said[0].0, text("x").lines().count() - 1);
    assert!(parse("components.dlq.received_by_redrive")
        .warnings
        .is_empty());
    assert!(parse("components.q.sends").warnings.is_empty());
}

/// A queue's batches of 10 (as `a_batch_gathers_for_its_window_…`: 59 full batches) to a
/// function that publishes to a topic, which a second function is subscribed to; the first
/// function's `batch_calls` written as `how` ("" for the default).
fn fan_out(how: &str) -> String {
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 10, batching_window = \"1s\" }\n";
    let topic = "[[component]]\nid = \"topic\"\nkind = \"sns\"\npublish_latency = \"5ms\"\ndelivery_latency = \"10ms\"\nsubscriptions = [ { to = \"notify\" } ]\n";
    let notify = "[[component]]\nid = \"notify\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\nwork = \"20ms\"\n";
    scenario(
        "1m",
        10,
        &format!(
            "{q}{}{how}calls = [ {{ to = \"topic\", timeout = \"1s\" }} ]\n{topic}{notify}",
            function("10ms", false)
        ),
    )
}

#[test]
fn a_batch_handler_publishes_each_message_alone_or_in_one_batch_and_a_subscriber_does_one_messages_work(
) {
    // A handler looping over its records makes its calls for each one (the default): 59
    // batches of 10, each message published once, 590 publishes. SNS invokes a subscribed
    // function with one message per invocation: its duration is one message's 20 ms, not a
    // batch's. The first function does its 10 × 10 ms of work, then the ten publishes in
    // turn (5 ms each).
    let s = run(&fan_out(""));
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.topic.publishes"), 590.0);
    let p50 = num(&s, "components.notify.duration_ms.p50");
    assert!((p50 - 20.0).abs() <= 1.0, "{p50}");
    let p50 = num(&s, "components.fn.duration_ms.p50");
    assert!((p50 - 150.0).abs() <= 1.0, "{p50}");

    // A handler that sends the batch on in one call: one PublishBatch a batch, of its ten
    // messages, each delivered on its own; one request billed a batch (its 10 messages are
    // under 64 KB), where the handler above is billed ten.
    let billed = num(&s, "components.topic.requests_billed");
    assert_eq!(billed, 590.0);
    let s = run(&fan_out("batch_calls = \"per_batch\"\n"));
    assert_eq!(num(&s, "components.topic.publishes"), 590.0);
    assert_eq!(num(&s, "components.topic.requests_billed"), 59.0);
    assert_eq!(num(&s, "components.notify.invocations"), 590.0);
    let p50 = num(&s, "components.notify.duration_ms.p50");
    assert!((p50 - 20.0).abs() <= 1.0, "{p50}");
    let p50 = num(&s, "components.fn.duration_ms.p50");
    assert!((p50 - 105.0).abs() <= 1.0, "{p50}");
}

#[test]
fn a_batch_written_in_one_call_is_billed_per_item_and_cut_at_25() {
    // 100 orders a second of 100 bytes to a queue whose poller gathers batches of 50 (full
    // in half a second), to a function that writes each batch in one call (`per_batch`): a
    // BatchWriteItem takes 25 items (AWS's BatchWriteItem API reference), so each batch is
    // two calls, and each item rounds up to 1 KB on its own (aws-facts: §7 capacity units:
    // 50 write units a batch, where the batch's 5,000 bytes together would be 5).
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 50, batching_window = \"1s\" }\n";
    let table = "[[component]]\nid = \"t\"\nkind = \"dynamodb\"\nwcu = 1000\nrcu = 1000\nwrites = [\"put\"]\n";
    let text = scenario(
        "1m",
        100,
        &format!(
            "{q}{}batch_calls = \"per_batch\"\ncalls = [ {{ to = \"t\" }} ]\n{table}",
            function("1ms", false)
        ),
    )
    .replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nsize = 100\nmix = [ { op = \"put\", weight = 1 } ]",
    );
    let s = run(&text);
    let batches = num(&s, "components.q.batches");
    let deletes = num(&s, "components.q.deletes");
    assert!(batches >= 100.0, "{batches}");
    assert!(
        (deletes - 50.0 * batches).abs() <= 50.0,
        "{deletes} of {batches}"
    );
    let calls = num(&s, "components.t.requests");
    assert!(
        (calls - 2.0 * batches).abs() <= 2.0,
        "{calls} for {batches}"
    );
    let units = num(&s, "components.t.write_units_consumed");
    assert!((units - deletes).abs() <= 50.0, "{units} for {deletes}");
    assert_eq!(num(&s, "components.t.throttles"), 0.0);
}

#[test]
fn a_batch_of_a_hundred_is_ten_receives_and_ten_deletes_on_the_bill() {
    // aws-facts: §15: a ReceiveMessage returns, and a DeleteMessageBatch deletes, at most 10
    // messages: a poller's batch of 100 (200 small messages a second, full within the
    // window) is billed 10 receives and 10 deletes beside its 100 sends; what is left is the
    // idle pollers' empty long polls, one per 20 s each (at most 5 pollers × 60 s / 20 s).
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 100, batching_window = \"1s\" }\n";
    let s = run(&scenario(
        "1m",
        200,
        &format!("{q}{}", function("1ms", false)),
    ));
    let batches = num(&s, "components.q.batches");
    assert!(batches >= 100.0, "{batches}");
    let rest = num(&s, "components.q.requests_billed") - num(&s, "components.q.sends");
    assert!(
        rest >= 20.0 * batches && rest <= 20.0 * batches + 20.0,
        "{rest} billed beside the sends for {batches} batches"
    );

    // Messages of 10 KB: each receive of 10 returns 100 KB, two requests on the bill (each
    // 64 KB one), so 20 receives and 10 deletes a batch; each send is one.
    let big = scenario("1m", 200, &format!("{q}{}", function("1ms", false))).replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nsize = 10240",
    );
    let s = run(&big);
    let batches = num(&s, "components.q.batches");
    let rest = num(&s, "components.q.requests_billed") - num(&s, "components.q.sends");
    assert!(
        rest >= 30.0 * batches && rest <= 30.0 * batches + 20.0,
        "{rest} billed beside the sends for {batches} batches of 1 MB"
    );
}

#[test]
fn a_batch_to_a_table_is_a_call_per_action_each_cut_to_what_it_takes() {
    // Batches of 100 (200 messages a second, full within the window) written on to a table
    // in one call per batch (`per_batch`): reads go in BatchGetItem, 100 a call (AWS's
    // BatchGetItem API reference), puts in BatchWriteItem, 25 a call, and an update, which
    // has no batch form (UpdateItem), alone.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 100, batching_window = \"1s\" }\n";
    let table = "[[component]]\nid = \"t\"\nkind = \"dynamodb\"\nwcu = 40000\nrcu = 40000\n";
    let with = |mix: &str| {
        scenario(
            "1m",
            200,
            &format!(
                "{q}{}batch_calls = \"per_batch\"\ncalls = [ {{ to = \"t\" }} ]\n{table}",
                function("1ms", false)
            ),
        )
        .replace(
            "retry = { attempts = 1 }",
            &format!("retry = {{ attempts = 1 }}\nsize = 100\nkeys = {{ dist = \"uniform\", count = 1000000 }}\nmix = {mix}"),
        )
    };
    let calls = |mix: &str| {
        let s = run(&with(mix));
        let batches = num(&s, "components.q.batches");
        assert!(batches >= 100.0, "{batches}");
        (num(&s, "components.t.requests") / batches, s)
    };
    let (reads, _) = calls("[ { op = \"read\", weight = 1 } ]");
    assert!((reads - 1.0).abs() < 0.02, "{reads} calls a batch of reads");
    let (puts, _) = calls("[ { op = \"put\", weight = 1 } ]");
    assert!((puts - 4.0).abs() < 0.05, "{puts} calls a batch of puts");
    let (updates, s) = calls("[ { op = \"update\", weight = 1 } ]");
    assert!(
        (updates - 100.0).abs() < 1.0,
        "{updates} calls a batch of updates"
    );
    assert_eq!(
        num(&s, "components.t.write_units_consumed"),
        num(&s, "components.t.requests")
    );
    // Half reads, half puts (drawn): a BatchGetItem and two or three BatchWriteItems.
    let (mixed, _) = calls("[ { op = \"read\", weight = 1 }, { op = \"put\", weight = 1 } ]");
    assert!(mixed > 3.0 && mixed < 4.0, "{mixed} calls a mixed batch");
}

#[test]
fn a_batch_sent_on_in_one_call_is_each_message_in_the_next_queue() {
    // Batches of 10 (59 full ones, as `fan_out`) sent on in one call to a second queue: a
    // SendMessageBatch of ten messages, all sent and stored, one billed request each (ten
    // 64-byte messages are under 64 KB).
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 10, batching_window = \"1s\" }\n";
    let out = "[[component]]\nid = \"out\"\nkind = \"sqs\"\n";
    let text = scenario(
        "1m",
        10,
        &format!(
            "{q}{}batch_calls = \"per_batch\"\ncalls = [ {{ to = \"out\" }} ]\n{out}",
            function("10ms", false)
        ),
    );
    let s = run(&text);
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.out.sends"), 590.0);
    assert_eq!(num(&s, "components.out.requests_billed"), 59.0);
    assert_eq!(num(&s, "components.out.backlog_end"), 590.0);

    // Batches of 20 (at 20 a second, full within the window: 59 of them) are two
    // SendMessageBatch calls each, a SendMessageBatch taking 10 (AWS's SendMessageBatch API
    // reference).
    let s = run(&text
        .replace("batch_size = 10", "batch_size = 20")
        .replace("rate = 10 }", "rate = 20 }"));
    let batches = num(&s, "components.q.batches");
    assert!(batches >= 58.0, "{batches}");
    assert_eq!(num(&s, "components.out.requests_billed"), 2.0 * batches);
    assert_eq!(num(&s, "components.out.sends"), 20.0 * batches);
    assert_eq!(num(&s, "components.out.backlog_end"), 20.0 * batches);

    // Sent on by half the batches (`probability = 0.5`): two calls for each batch that
    // sends, none for the others.
    let s = run(&text
        .replace("batch_size = 10", "batch_size = 20")
        .replace("rate = 10 }", "rate = 20 }")
        .replace("to = \"out\"", "to = \"out\", probability = 0.5"));
    let (batches, calls) = (
        num(&s, "components.q.batches"),
        num(&s, "components.out.requests_billed"),
    );
    assert_eq!(calls % 2.0, 0.0, "{calls}");
    assert!(
        calls > 0.6 * batches && calls < 1.4 * batches,
        "{calls} of {batches}"
    );
    assert_eq!(num(&s, "components.out.sends"), 10.0 * calls);
    assert_eq!(num(&s, "components.out.backlog_end"), 10.0 * calls);
}

#[test]
fn a_batch_sent_in_one_call_to_a_function_is_one_invocation_of_one_message() {
    // A callee without a batch action (a function invoked synchronously) takes the batch's
    // one call as one request: one invocation a batch, of one message's work (20 ms).
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 10, batching_window = \"1s\" }\n";
    let worker = "[[component]]\nid = \"worker\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\nwork = \"20ms\"\n";
    let text = scenario(
        "1m",
        10,
        &format!(
            "{q}{}batch_calls = \"per_batch\"\ncalls = [ {{ to = \"worker\" }} ]\n{worker}",
            function("1ms", false)
        ),
    );
    let s = run(&text);
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.worker.invocations"), 59.0);
    let p50 = num(&s, "components.worker.duration_ms.p50");
    assert!((p50 - 20.0).abs() <= 1.0, "{p50}");
}

#[test]
fn a_batch_calls_operation_is_each_items() {
    // Orders (operation "order", which the table does not count as a write) written by a
    // call that says its own operation, `op = "put"`: every item of the BatchWriteItem is
    // a put, one write unit each, and nothing is read.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 10, batching_window = \"1s\" }\n";
    let table = "[[component]]\nid = \"t\"\nkind = \"dynamodb\"\nwcu = 1000\nrcu = 1000\nwrites = [\"put\"]\n";
    let text = scenario(
        "1m",
        10,
        &format!(
            "{q}{}batch_calls = \"per_batch\"\ncalls = [ {{ to = \"t\", op = \"put\" }} ]\n{table}",
            function("1ms", false)
        ),
    )
    .replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nsize = 100\nmix = [ { op = \"order\", weight = 1 } ]",
    );
    let s = run(&text);
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.t.write_units_consumed"), 590.0);
    assert_eq!(num(&s, "components.t.read_units_consumed"), 0.0);
}

#[test]
fn each_messages_calls_carry_that_message_and_a_failed_ones_are_not_made() {
    // Each round of calls carries its own message's key: a cache read with each message's
    // key, over a million uniform keys, hits almost never (had every round carried the
    // batch's first key, nine in ten would hit).
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 10, batching_window = \"1s\" }\n";
    let rest = "calls = [ { to = \"cache\", timeout = \"1s\" } ]\n[[component]]\nid = \"cache\"\nkind = \"cache\"\nengine = \"redis\"\naz = \"a\"\nbackend = \"db\"\n[[component]]\nid = \"db\"\nkind = \"service\"\nservers = 100\nservice_time = \"1ms\"\n";
    let text = scenario("1m", 10, &format!("{q}{}{rest}", function("10ms", false))).replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nkeys = { dist = \"uniform\", count = 1000000 }",
    );
    let s = run(&text);
    // A request for each message: 58 full batches' 580 end in the measured period.
    assert!(
        num(&s, "components.cache.requests") >= 580.0,
        "{}",
        num(&s, "components.cache.requests")
    );
    assert!(
        num(&s, "components.cache.hit_ratio") < 0.01,
        "{}",
        num(&s, "components.cache.hit_ratio")
    );
    // Every message failed, with a partial answer taken: no message is done, so no call is
    // made for any.
    let topic = "[[component]]\nid = \"topic\"\nkind = \"sns\"\nsubscriptions = [ { to = \"sink\" } ]\n[[component]]\nid = \"sink\"\nkind = \"sqs\"\n";
    let q = format!("[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"12h\"\nconsumer = {{ to = \"fn\", batch_size = 10, batching_window = \"1s\"{REPORT} }}\n");
    let text = scenario(
        "1m",
        10,
        &format!(
            "{q}{}error_ops = [\"bad\"]\ncalls = [ {{ to = \"topic\", timeout = \"1s\" }} ]\n{topic}",
            function("10ms", false)
        ),
    )
    .replace("retry = { attempts = 1 }", "retry = { attempts = 1 }\nmix = [ { op = \"bad\", weight = 1 } ]");
    let s = run(&text);
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.q.failed_items"), 590.0);
    assert_eq!(num(&s, "components.topic.publishes"), 0.0);
}

#[test]
fn a_message_of_1_mib_is_stored_and_one_byte_more_is_refused() {
    // SQS's largest message is 1 MiB (1,048,576 bytes) since August 2025: a larger send is
    // refused whole (HTTP 400 InvalidParameterValue, counted 413), neither stored nor billed.
    let text = |size: u32| {
        scenario("1m", 2, "[[component]]\nid = \"q\"\nkind = \"sqs\"\n")
            .replace("[[workload]]\n", &format!("[[workload]]\nsize = {size}\n"))
    };
    let s = run(&text(1 << 20));
    let sends = num(&s, "components.q.sends");
    assert!(sends >= 100.0, "{sends}");
    assert_eq!(num(&s, "components.q.by_status.200"), sends);
    let s = run(&text((1 << 20) + 1));
    let sends = num(&s, "components.q.sends");
    assert_eq!(num(&s, "components.q.by_status.413"), sends);
    assert_eq!(num(&s, "components.q.cost_usd"), 0.0);
    assert_eq!(num(&s, "requests.by_status.413"), num(&s, "requests.total"));
}

#[test]
fn a_send_batch_over_1_mib_in_all_is_refused_whole() {
    // A function sends each batch of 10 messages of 200 KB on in one SendMessageBatch
    // (`per_batch`): 2 MB in all, over SQS's 1 MiB for a batch (BatchRequestTooLong), so
    // every batch call is refused whole and nothing reaches the second queue; messages of
    // 100 KB (1 MB in all, under 1 MiB) all get there.
    let text = |size: u32| {
        format!(
            "[scenario]\nduration = \"1m\"\n[network]\nsame_az = \"0s\"\n\
             [[workload]]\nname = \"w\"\ntarget = \"q\"\nsize = {size}\n\
             arrival = {{ process = \"constant\", rate = 10 }}\nretry = {{ attempts = 1 }}\n\
             [[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"12h\"\n\
             consumer = {{ to = \"fn\", batch_size = 10, batching_window = \"2s\" }}\n\
             {}batch_calls = \"per_batch\"\ncalls = [ {{ to = \"out\" }} ]\n\
             [[component]]\nid = \"out\"\nkind = \"sqs\"\n",
            function("10ms", false)
        )
    };
    let s = run(&text(200_000));
    assert!(num(&s, "components.out.by_status.413") >= 10.0);
    assert!(pointer_absent(&s, "components.out.by_status.200"));
    assert_eq!(num(&s, "components.q.deletes"), 0.0);
    let s = run(&text(100_000));
    let deletes = num(&s, "components.q.deletes");
    assert!(deletes >= 500.0, "{deletes}");
    assert_eq!(num(&s, "components.out.sends"), deletes);
    assert!(pointer_absent(&s, "components.out.by_status.413"));
}

#[test]
fn a_mapping_running_more_batches_than_the_function_reserves_is_warned_of() {
    // The event source mapping does not heed the function's reserved concurrency: beyond it
    // the invocations are throttled and their messages received for nothing (AWS's
    // knowledge center, "lambda-sqs-scaling"). Said where the consumer is named; not when
    // `maximum_concurrency` is within it, nor for a FIFO queue with as few message groups.
    let text = |consumer: &str, queue: &str| {
        scenario(
            "2m",
            2,
            &format!(
                "[[component]]\nid = \"q\"\nkind = \"sqs\"\n{queue}max_receive_count = 3\ndead_letter = \"dlq\"\n\
                 consumer = {{ to = \"fn\"{consumer} }}\n{}reserved_concurrency = 5\n{DLQ}{queue}",
                function("10ms", false)
            ),
        )
    };
    let warned = crate::located_warnings(&text("", ""));
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].starts_with("15:19 ")
            && warned[0].contains("1000 batches at once")
            && warned[0].contains("`reserved_concurrency = 5`")
            && warned[0].contains("`max_receive_count` (3)")
            && warned[0].contains("at most 5"),
        "{warned:?}"
    );
    assert!(crate::located_warnings(&text(", maximum_concurrency = 5", "")).is_empty());
    let fifo = "fifo = true\nmessage_groups = 5\n";
    assert!(crate::located_warnings(&text("", fifo)).is_empty());
    let fifo = "fifo = true\nmessage_groups = 6\n";
    assert_eq!(crate::located_warnings(&text("", fifo)).len(), 1);
}

#[test]
fn deletes_are_of_the_messages_sent_in_the_measured_period() {
    // Counts are of what was sent in the measured period, whenever it ends. 10 messages a
    // second to a function that does 8 (250 ms a message, batches of 10, at most 2 at once):
    // when the 30 s warmup ends some 60 wait, sent in it, and are deleted first. Of the
    // 10 s measured, about 80 deleted, some 20 of them sent in it: the deletes counted.
    let text = scenario(
        "40s",
        10,
        &format!(
            "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = {{ to = \"fn\", batch_size = 10, maximum_concurrency = 2 }}\n{}",
            function("250ms", false)
        ),
    )
    .replace("duration = \"40s\"\n", "duration = \"40s\"\nwarmup = \"30s\"\n");
    let s = run(&text);
    let (sends, deletes) = (
        num(&s, "components.q.sends"),
        num(&s, "components.q.deletes"),
    );
    assert_eq!(sends, 100.0);
    assert!((5.0..=40.0).contains(&deletes), "{deletes} of {sends}");
}

#[test]
fn per_batch_calls_on_a_function_no_queue_invokes_are_warned_of() {
    // `batch_calls` decides how a batch's calls are made; a function called by a workload
    // (or a gateway) gets requests, never batches, so per_batch there does nothing: said
    // where it is written. The same function as a queue's consumer is not warned of.
    let fn_per_batch = format!(
        "{}batch_calls = \"per_batch\"\ncalls = [ {{ to = \"db\" }} ]\n\
         [[component]]\nid = \"db\"\nkind = \"dynamodb\"\nmode = \"on_demand\"\n",
        function("10ms", false)
    );
    let direct = scenario("1m", 2, &fn_per_batch).replace("target = \"q\"", "target = \"fn\"");
    let warned = crate::located_warnings(&direct);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].starts_with("16:15 ")
            && warned[0].contains("no queue or table stream invokes \"fn\"")
            && warned[0].contains("made for each request"),
        "{warned:?}"
    );
    let queued = scenario(
        "1m",
        2,
        &format!("[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = {{ to = \"fn\" }}\n{fn_per_batch}"),
    );
    assert!(crate::located_warnings(&queued).is_empty());
}

/// Poisson sends at `rate` a second to a queue of visibility `visibility` whose mapping
/// (batches of one, `consumer` more of its keys) invokes a 100 ms function held to
/// `reserved_concurrency = 1`.
fn throttled(visibility: &str, consumer: &str, rate: u32, duration: &str) -> String {
    scenario(duration, rate, "")
        .replace("process = \"constant\"", "process = \"poisson\"")
        + &format!(
            "[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"{visibility}\"\n\
             max_receive_count = 5\ndead_letter = \"dlq\"\n\
             consumer = {{ to = \"fn\", batch_size = 1{consumer} }}\n{}reserved_concurrency = 1\n{DLQ}",
            function("100ms", false)
        )
}

#[test]
fn a_throttled_batch_is_retried_until_its_visibility_timeout_not_returned_at_once() {
    // `lambda:services-sqs-errorhandling.html`: "If the invocation fails due to throttling
    // … Lambda continues to retry the message until the message's timestamp exceeds your
    // queue's visibility timeout". Five batches at once against one environment: four of
    // them are throttled at first, and retried every second (`throttle_retry_delay`) while
    // the function, 10 messages a second at most, keeps up with 5 a second (Poisson, so
    // that some arrive while it is busy): every throttle
    // is retried, no batch fails, no message comes back, none reaches the dead-letter queue.
    let s = run(&throttled("30s", "", 5, "1m"));
    let throttled_n = num(&s, "components.q.throttled_invocations");
    assert!(throttled_n > 0.0, "nothing throttled");
    assert_eq!(num(&s, "components.fn.throttles"), throttled_n);
    // Each retried but those throttled in the run's last second, whose retry would come
    // after it (the pollers stop with the run).
    let retried = num(&s, "components.q.throttle_retries");
    assert!(
        retried <= throttled_n && throttled_n - retried <= 5.0,
        "{retried} of {throttled_n}"
    );
    assert_eq!(num(&s, "components.q.failed_batches"), 0.0);
    assert_eq!(num(&s, "components.q.redelivered"), 0.0);
    assert_eq!(num(&s, "components.dlq.received_by_redrive"), 0.0);
    // Every message but those of the last seconds is deleted.
    assert!(num(&s, "components.q.deletes") >= num(&s, "components.q.sends") - 20.0);

    // A retry that would come after the visibility timeout is not made: the batch has
    // failed, and its message is visible again when the timeout ends, received once more.
    let s = run(&throttled(
        "10s",
        ", throttle_retry_delay = \"11s\"",
        5,
        "1m",
    ));
    assert!(num(&s, "components.q.throttled_invocations") > 0.0);
    assert_eq!(num(&s, "components.q.throttle_retries"), 0.0);
    assert!(num(&s, "components.q.failed_batches") > 0.0);
    assert!(num(&s, "components.q.redelivered") > 0.0);
}

#[test]
fn throttles_lower_the_mappings_concurrency_and_hold_its_scaling() {
    // The same page: on throttles Lambda "gradually backs off retries by reducing the amount
    // of concurrency allocated" to the mapping; the knowledge center's "lambda-sqs-scaling":
    // it "throttles function scaling when invocation errors occur". Twenty messages a second
    // against a function that takes 10: a backlog that would scale the pollers up by 5 a
    // second. Backing off, the mapping stays near where it starts (5 batches); with
    // `backoff_batches = 0` it climbs while messages remain, its batches throttled.
    let held = run(&throttled("30s", "", 20, "1m"));
    let climbing = run(&throttled("30s", ", backoff_batches = 0", 20, "1m"));
    let most = |s: &crate::Summary| num(s, "components.q.concurrent_batches_max");
    assert!(most(&held) <= 10.0, "held to {}", most(&held));
    assert!(most(&climbing) >= 100.0, "climbed to {}", most(&climbing));
    // The function does the same work either way: its one environment is busy throughout.
    let done = |s: &crate::Summary| num(s, "components.q.deletes");
    assert!((done(&held) - done(&climbing)).abs() <= 0.05 * done(&held));
}
