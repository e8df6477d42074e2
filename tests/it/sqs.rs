//! SQS and Lambda's event source mapping against their documented behaviour (aws-facts §15
//! SQS, §16 event source mappings): the visibility timeout, redrive to a dead-letter queue,
//! retention, the in-flight limit, the FIFO quota and message groups, the pollers' scaling,
//! and the lag from send to delete.

use crate::{num, run};

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
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nvisibility_timeout = \"12h\"\nconsumer = { to = \"fn\", batch_size = 1 }\n";
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
        &(fifo.to_string() + DLQ + &function("10ms", true)),
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
    // 59 s) ends after the run, so its deletes fall outside the measured period: 58 × 10.
    let q = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nconsumer = { to = \"fn\", batch_size = 10, batching_window = \"1s\" }\n";
    let s = run(&scenario(
        "1m",
        10,
        &(q.to_string() + &function("100ms", false)),
    ));
    assert_eq!(num(&s, "components.q.sends"), 599.0);
    assert_eq!(num(&s, "components.q.batches"), 59.0);
    assert_eq!(num(&s, "components.q.deletes"), 580.0);
    assert_eq!(num(&s, "components.fn.invocations"), 59.0);
    let p50 = num(&s, "components.fn.duration_ms.p50");
    assert!((p50 - 1_000.0).abs() <= 1.0, "{p50}");
}
