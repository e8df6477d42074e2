//! SNS against its documented behaviour (aws-facts §17): fan-out to every subscription by its
//! protocol, filter policies, the publish quota, HTTP/S delivery retries (3, 20 s apart, or a
//! custom policy), client errors not retried, and dead-letter queues.

use crate::{num, run};

/// A scenario of `duration`, no network delay, one constant workload of `rate` publishes/s
/// to "topic" (one attempt each: at k / rate s for k = 1, 2, …), and `components`.
fn scenario(duration: &str, rate: f64, mix: &str, components: &str) -> String {
    format!(
        "[scenario]\nduration = \"{duration}\"\n[network]\nsame_az = \"0s\"\n\
         [[workload]]\nname = \"u\"\ntarget = \"topic\"\n\
         arrival = {{ process = \"constant\", rate = {rate} }}\n{mix}\
         retry = {{ attempts = 1 }}\n{components}"
    )
}

/// A topic with constant latencies and `subs` (the inside of `subscriptions = [ … ]`).
fn topic(extra: &str, subs: &str) -> String {
    format!(
        "[[component]]\nid = \"topic\"\nkind = \"sns\"\npublish_latency = \"5ms\"\ndelivery_latency = \"10ms\"\n{extra}subscriptions = [ {subs} ]\n"
    )
}

const QUEUE: &str = "[[component]]\nid = \"q\"\nkind = \"sqs\"\nsend_latency = \"5ms\"\n";
const FUNCTION: &str = "[[component]]\nid = \"fn\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\nwork = \"10ms\"\n";
const WEB: &str =
    "[[component]]\nid = \"web\"\nkind = \"service\"\nservers = 100\nservice_time = \"2ms\"\n";

#[test]
fn each_message_reaches_every_subscription_by_its_protocol() {
    // aws-facts: §17: each subscription is delivered on its own; SNS invokes a function
    // asynchronously (§16), sends to a queue, and posts to any other endpoint. 99 publishes
    // (at k / 10 s, k = 1 … 99, within 10 s).
    let t = topic("", "{ to = \"q\" }, { to = \"fn\" }, { to = \"web\" }");
    let s = run(&scenario("10s", 10.0, "", &(t + QUEUE + FUNCTION + WEB)));
    assert_eq!(num(&s, "components.topic.publishes"), 99.0);
    for sub in ["q", "fn", "web"] {
        assert_eq!(
            num(
                &s,
                &format!("components.topic.subscriptions.{sub}.delivered")
            ),
            99.0,
            "{sub}"
        );
    }
    assert_eq!(num(&s, "components.q.sends"), 99.0);
    // The function got events (202), not synchronous invocations.
    assert_eq!(num(&s, "components.fn.async.accepted"), 99.0);
    assert_eq!(num(&s, "components.topic.retries"), 0.0);
    // Publish answers after its 5 ms; a delivery is accepted 5 + 10 ms after the publish,
    // plus the queue's 5 ms send, or the service's 2 ms.
    let p50 = num(&s, "components.topic.delivery_ms.p50");
    assert!((15.0..=20.1).contains(&p50), "{p50}");
}

#[test]
fn a_filter_policy_delivers_only_its_operations() {
    // Two queues, each filtering one of the two operations the publishes carry: every
    // publish goes to exactly one of them.
    let t = topic(
        "",
        "{ to = \"qa\", ops = [\"a\"] }, { to = \"qb\", ops = [\"b\"] }",
    );
    let queues =
        "[[component]]\nid = \"qa\"\nkind = \"sqs\"\n[[component]]\nid = \"qb\"\nkind = \"sqs\"\n";
    let s = run(&scenario(
        "20s",
        10.0,
        "mix = [ { op = \"a\", weight = 1 }, { op = \"b\", weight = 1 } ]\n",
        &(t + queues),
    ));
    let a = num(&s, "components.topic.subscriptions.qa.delivered");
    let b = num(&s, "components.topic.subscriptions.qb.delivered");
    assert_eq!(a + b, 199.0);
    assert_eq!(num(&s, "components.qa.sends"), a);
    // Half each, within four standard deviations of a binomial (√(199 / 4) ≈ 7).
    assert!((a - 99.5).abs() < 28.0, "{a}");
}

#[test]
fn the_publish_quota_admits_its_rate_and_throttles_the_rest_with_400() {
    // aws-facts: §17: over the quota, ThrottlingException (400). A quota of 100 a second is a
    // bucket of 100 tokens refilled at 100 a second: of 1,999 publishes at 200 a second
    // (k / 200 s, k = 1 … 1,999) it admits the 100 it holds and 100 a second after, 100 +
    // 100 × 9.995 = 1,099.5: 1,099 or 1,100 as the last token lands.
    let t = topic("publish_quota = 100\n", "{ to = \"q\" }");
    let s = run(&scenario("10s", 200.0, "", &(t + QUEUE)));
    let admitted = num(&s, "components.topic.publishes");
    assert!((1099.0..=1100.0).contains(&admitted), "{admitted}");
    assert_eq!(num(&s, "components.topic.throttled"), 1999.0 - admitted);
    assert_eq!(num(&s, "components.topic.by_status.400"), 1999.0 - admitted);
}

/// An HTTP/S subscriber that answers every request with `status`, and a dead-letter queue
/// consumed by a Go function (init 40–55 ms, 10 ms of work).
fn failing_web(status: u16) -> String {
    format!(
        "{WEB}[[fault]]\nat = \"0s\"\nkind = \"error_injection\"\ntarget = \"web\"\nrate = 1.0\nstatus = {status}\n\
         [[component]]\nid = \"dlq\"\nkind = \"sqs\"\nsend_latency = \"5ms\"\nconsumer = {{ to = \"fn\", batch_size = 1 }}\n{FUNCTION}"
    )
}

#[test]
fn an_http_delivery_is_retried_three_times_twenty_seconds_apart_then_dead_lettered() {
    // aws-facts: §17: HTTP/S endpoints get 3 retries 20 s apart by default; then the message
    // goes to the subscription's dead-letter queue. One publish at 100 s (rate 0.01 over
    // 200 s). Its first attempt is at 100.015 s (5 ms publish, 10 ms delivery), the retries
    // at +20, +40, +60 s; given up at 160.015 s, sent to the queue (5 ms) and received at
    // once by its consumer, whose cold start and work take 50–65 ms: the message's lag from
    // its publish (the client's request) is 60.070 … 60.085 s. Retries exact
    // (`retry_jitter = 0`); jittered below.
    let t = topic(
        "retry_jitter = 0\n",
        "{ to = \"web\", dead_letter = \"dlq\" }",
    );
    let s = run(&scenario("200s", 0.01, "", &(t + &failing_web(503))));
    assert_eq!(num(&s, "components.topic.publishes"), 1.0);
    assert_eq!(num(&s, "components.topic.delivery_attempts"), 4.0);
    assert_eq!(num(&s, "components.topic.retries"), 3.0);
    assert_eq!(num(&s, "components.topic.given_up"), 1.0);
    assert_eq!(num(&s, "components.topic.to_dead_letter"), 1.0);
    assert_eq!(num(&s, "components.dlq.sends"), 1.0);
    let lag = num(&s, "components.dlq.lag_ms.max");
    assert!(
        (60_070.0 * 0.999..=60_085.0 * 1.001).contains(&lag),
        "lag {lag} ms"
    );
    // aws-facts: §17: retries are jittered, by default each delay within ±10 %: the three
    // 20 s delays sum to 54–66 s, and not to exactly 60 s.
    let t = topic("", "{ to = \"web\", dead_letter = \"dlq\" }");
    let s = run(&scenario("200s", 0.01, "", &(t + &failing_web(503))));
    assert_eq!(num(&s, "components.topic.retries"), 3.0);
    let jittered = num(&s, "components.dlq.lag_ms.max");
    assert!(
        (54_070.0..=66_085.0).contains(&jittered) && (jittered - lag).abs() > 1.0,
        "lag {jittered} ms against {lag} ms unjittered"
    );
}

#[test]
fn a_custom_policy_sets_the_retries_and_a_client_error_is_not_retried() {
    // aws-facts: §17: a custom HTTP/S policy: here 5 retries, 2 at once then 3 at 2 s
    // (minimum = maximum); and only server-side failures are retried: a 404 is final.
    let policy = "delivery_policy = { num_retries = 5, num_no_delay_retries = 2, min_delay_target = \"2s\", max_delay_target = \"2s\" }";
    for (status, attempts) in [(503u16, 6.0), (404, 1.0)] {
        let t = topic("", &format!("{{ to = \"web\", {policy} }}"));
        let s = run(&scenario("200s", 0.01, "", &(t + &failing_web(status))));
        assert_eq!(
            num(&s, "components.topic.delivery_attempts"),
            attempts,
            "{status}"
        );
        assert_eq!(num(&s, "components.topic.given_up"), 1.0);
    }
}

#[test]
fn a_retry_after_the_end_is_not_made_and_is_counted() {
    // The third retry of a publish at 100 s would come at 160 s, after a 150 s run.
    let t = topic("", "{ to = \"web\" }");
    let s = run(&scenario("150s", 0.01, "", &(t + &failing_web(503))));
    assert_eq!(num(&s, "components.topic.delivery_attempts"), 3.0);
    assert_eq!(num(&s, "components.topic.pending_end"), 1.0);
    assert_eq!(num(&s, "components.topic.given_up"), 0.0);
}

/// A topic (`fifo` or not, with `extra` keys) whose deliveries take 10 ms to 1 s (uniform:
/// wide enough that one published later often arrives first), subscribed by queue `q`
/// (`queue` keys) consumed by a function; 40 publishes a second for 20 s over 8 keys.
fn ordered(fifo: bool, extra: &str, queue: &str) -> String {
    let t = format!(
        "[[component]]\nid = \"topic\"\nkind = \"sns\"\nfifo = {fifo}\npublish_latency = \"5ms\"\n\
         delivery_latency = {{ dist = \"uniform\", min = \"10ms\", max = \"1s\" }}\n{extra}\
         subscriptions = [ {{ to = \"q\" }} ]\n"
    );
    let q = format!(
        "[[component]]\nid = \"q\"\nkind = \"sqs\"\nsend_latency = \"5ms\"\n{queue}consumer = {{ to = \"fn\" }}\n"
    );
    scenario(
        "20s",
        40.0,
        "keys = { dist = \"uniform\", count = 8 }\n",
        &(t + &q + FUNCTION),
    )
}

#[test]
fn a_fifo_topic_delivers_each_message_group_in_order_to_a_fifo_queue() {
    // aws-facts: §17 (sns:fifo-topic-message-ordering.html): a FIFO topic delivers to each
    // subscribed queue in publish order within a message group, and the SQS FIFO queue hands
    // each group to its consumer in the order it received (§15, §16). 799 publishes (at
    // k / 40 s), 8 keys in 8 groups: about 5 a second per group, 0.2 s apart, against
    // deliveries of 10 ms to 1 s. A standard topic's deliveries overtake each other: of two
    // messages 25 ms apart, the later arrives first nearly half the time.
    let standard = run(&ordered(false, "", ""));
    let overtaken = num(&standard, "components.topic.reordered");
    assert!(overtaken > 100.0, "{overtaken}");
    assert_eq!(num(&standard, "components.topic.deliveries"), 799.0);
    // The FIFO topic, into a FIFO queue of the same 8 groups: none out of order, each
    // group's deliveries one after the other, and every message reaches the consumer.
    let fifo = run(&ordered(
        true,
        "message_groups = 8\n",
        "fifo = true\nmessage_groups = 8\n",
    ));
    assert_eq!(num(&fifo, "components.topic.reordered"), 0.0);
    assert_eq!(num(&fifo, "components.topic.deliveries"), 799.0);
    // The queue counts the sends that reach it within the run: all but those of the last
    // second's 40 publishes that arrive after its end; and its consumer deletes what it gets.
    let sends = num(&fifo, "components.q.sends");
    assert!((759.0..=799.0).contains(&sends), "{sends}");
    let deletes = num(&fifo, "components.q.deletes");
    assert!(
        deletes >= sends - 10.0 && deletes <= sends,
        "{deletes} of {sends}"
    );
    // Waiting its turn costs time: a group's message waits for the one before it, so
    // deliveries take longer than the standard topic's (mean about 0.5 s there).
    let waited = num(&fifo, "components.topic.delivery_ms.mean");
    let free = num(&standard, "components.topic.delivery_ms.mean");
    assert!(waited > free, "{waited} vs {free}");
}

#[test]
fn a_fifo_topic_delivers_a_retried_publish_once() {
    // aws-facts: §17: a FIFO topic drops a message whose deduplication id it accepted in the
    // last 5 minutes, answering 200. Publish takes 50 ms, the client gives up after 30 ms and
    // tries again (3 attempts): every attempt reaches the topic, which accepted each. 99
    // publishes (at k / 10 s) × 3 attempts = 297 accepted; the FIFO topic delivers 99.
    let client = "timeout = \"30ms\"\n";
    let retry =
        "retry = { attempts = 3, base = \"10ms\", jitter = \"none\", on = [\"timeout\"] }\n";
    let topic_keys = |fifo: bool| {
        format!(
            "[[component]]\nid = \"topic\"\nkind = \"sns\"\nfifo = {fifo}\npublish_latency = \"50ms\"\ndelivery_latency = \"10ms\"\nsubscriptions = [ {{ to = \"q\" }} ]\n"
        )
    };
    let with_retry = |fifo: bool| {
        scenario("10s", 10.0, client, &(topic_keys(fifo) + QUEUE))
            .replace("retry = { attempts = 1 }\n", retry)
    };
    // (The last requests' retries that would come after the run's end are not made: a few
    // short of 297.)
    let s = run(&with_retry(true));
    let attempts = num(&s, "requests.attempts");
    assert!((290.0..=297.0).contains(&attempts), "{attempts}");
    assert_eq!(num(&s, "components.topic.publishes"), attempts);
    assert_eq!(num(&s, "components.topic.deduplicated"), attempts - 99.0);
    assert_eq!(num(&s, "components.topic.deliveries"), 99.0);
    assert_eq!(num(&s, "components.q.sends"), 99.0);
    // A standard topic delivers every accepted attempt: the retries are duplicates.
    let s = run(&with_retry(false));
    let attempts = num(&s, "requests.attempts");
    assert_eq!(num(&s, "components.topic.deliveries"), attempts);
    assert!(attempts >= 290.0, "{attempts}");
}

#[test]
fn a_fifo_topic_forgets_a_deduplication_id_after_five_minutes() {
    // The same request's retry 6 minutes later is new to the topic. One publish in 13
    // minutes (rate 1 / 400 s: at 400 s), which the client gives up on after 50 ms (Publish
    // takes 100 ms) and retries once after a backoff of 6 minutes, at 760.05 s: both
    // accepted and delivered. With a 4-minute backoff (at 640.05 s) the retry falls in the
    // window and is dropped.
    let topic = "[[component]]\nid = \"topic\"\nkind = \"sns\"\nfifo = true\npublish_latency = \"100ms\"\ndelivery_latency = \"10ms\"\nsubscriptions = [ { to = \"q\" } ]\n";
    let once = |backoff: &str| {
        scenario("13m", 0.0025, "timeout = \"50ms\"\n", &(topic.to_string() + QUEUE)).replace(
            "retry = { attempts = 1 }\n",
            &format!(
                "retry = {{ attempts = 2, base = \"{backoff}\", cap = \"{backoff}\", jitter = \"none\", on = [\"timeout\"] }}\n"
            ),
        )
    };
    let s = run(&once("6m"));
    assert_eq!(num(&s, "components.topic.publishes"), 2.0);
    assert_eq!(num(&s, "components.topic.deduplicated"), 0.0);
    assert_eq!(num(&s, "components.topic.deliveries"), 2.0);
    let s = run(&once("4m"));
    assert_eq!(num(&s, "components.topic.deduplicated"), 1.0);
    assert_eq!(num(&s, "components.topic.deliveries"), 1.0);
}

#[test]
fn message_group_scope_holds_each_group_to_its_own_quota() {
    // aws-facts: §17: under `fifo_throughput_scope = "MessageGroup"` each group has its own
    // quota. 20 publishes a second for 10 s (199), their keys 0 or 1 at random: 2 groups,
    // each offered about 10 a second against a group quota of 5/s (a bucket of 5, full at
    // the start). Each group admits about 5 + 5 × 9.95 ≈ 54: about 109 in all, the rest
    // refused with 400 (the randomness of the split moves it by a few).
    let t = "[[component]]\nid = \"topic\"\nkind = \"sns\"\nfifo = true\nmessage_groups = 2\nfifo_throughput_scope = \"MessageGroup\"\ngroup_quota = 5\npublish_latency = \"5ms\"\ndelivery_latency = \"10ms\"\nsubscriptions = [ { to = \"q\" } ]\n";
    let s = run(&scenario(
        "10s",
        20.0,
        "keys = { dist = \"uniform\", count = 2 }\n",
        &(t.to_string() + QUEUE),
    ));
    let ok = num(&s, "components.topic.publishes");
    assert!((100.0..=112.0).contains(&ok), "{ok}");
    assert_eq!(num(&s, "components.topic.throttled"), 199.0 - ok);
    // One key, so one group: it alone is held to 5/s, ⌊5 + 5 × 9.95⌋ = 54 of the 199.
    let s = run(&scenario(
        "10s",
        20.0,
        "keys = { dist = \"uniform\", count = 1 }\n",
        &(t.to_string() + QUEUE),
    ));
    let ok = num(&s, "components.topic.publishes");
    assert!((54.0..=55.0).contains(&ok), "{ok}");
}

#[test]
fn a_message_of_256_kib_is_published_and_one_byte_more_is_refused() {
    // SNS's largest message is 256 KB (262,144 bytes): a larger publish is refused (HTTP 400
    // InvalidParameter, counted 413), delivered to no one.
    let text = |size: u32| {
        scenario(
            "10s",
            10.0,
            &format!("size = {size}\n"),
            &(topic("", "{ to = \"q\" }") + QUEUE),
        )
    };
    let s = run(&text(256 * 1024));
    assert_eq!(num(&s, "components.topic.publishes"), 99.0);
    assert_eq!(num(&s, "components.q.sends"), 99.0);
    let s = run(&text(256 * 1024 + 1));
    assert_eq!(num(&s, "components.topic.by_status.413"), 99.0);
    assert_eq!(num(&s, "components.topic.publishes"), 0.0);
    assert_eq!(num(&s, "components.q.sends"), 0.0);
}
