//! DynamoDB against its documented behaviour (aws-facts §7).

use crate::{assert_theory, num, per_seed, pointer_absent, run};
use archsim::kernel::Msg;

fn table(mode_and_capacity: &str, extra: &str) -> String {
    format!(
        r#"
        [[component]]
        id = "table"
        kind = "dynamodb"
        {mode_and_capacity}
        {extra}
        "#
    )
}

#[test]
fn capacity_units_follow_size_consistency_and_transactions() {
    let text = format!(
        "[scenario]\nduration = \"1m\"\n[[workload]]\nname = \"u\"\ntarget = \"table\"\narrival = {{ process = \"constant\", rate = 1 }}\n{}",
        table("rcu = 10\nwcu = 10", "transactions = [\"txn\"]")
    );
    let sc = crate::scenario(&text);
    let cfg = sc.components[0]
        .spec
        .config::<archsim::components::dynamodb::DynamoConfig>()
        .expect("a table");
    let op = |name: &str| sc.ops.iter().position(|o| o == name).map(|i| i as u16);
    let (read, write) = (op("read").unwrap(), op("write").unwrap());
    let txn = op("txn").unwrap();
    let msg = |op: u16, size: u32| Msg {
        key: 1,
        size_bytes: size,
        ..Msg::probe(op, archsim::kernel::SimTime::ZERO)
    };
    // 5 KB eventually consistent read: 2 × 4 KB blocks at half a unit each = 1 RCU.
    assert_eq!(cfg.units(&msg(read, 5 * 1024)), (false, 1.0));
    // 1.5 KB write: 2 WCU; 1 KB transactional write: 2 WCU.
    assert_eq!(cfg.units(&msg(write, 1536)), (true, 2.0));
    assert_eq!(cfg.units(&msg(txn, 1024)), (false, 2.0));
}

#[test]
fn a_hot_key_throttles_while_the_table_has_room() {
    // 10,000 WCU spread over 10 partitions; 1,500 writes/s of 1 KB. On one key they all land
    // on one partition, held to 1,000 WCU/s: throttled though the table uses a tenth of its
    // capacity. Spread over 100,000 keys, nothing is throttled. (The client does not retry,
    // so that what the table refuses is what the workload offers.)
    let scenario = |keys: &str| {
        format!(
            r#"
            [scenario]
            duration = "2m"
            warmup = "10s"
            [[workload]]
            name = "u"
            target = "table"
            arrival = {{ process = "constant", rate = 1500 }}
            mix = [ {{ op = "write", weight = 1 }} ]
            retry = {{ attempts = 1 }}
            keys = {keys}
            {}
            "#,
            table("rcu = 1000\nwcu = 10000", "")
        )
    };
    let hot = run(&scenario(r#"{ dist = "uniform", count = 1 }"#));
    assert_eq!(num(&hot, "components.table.partitions"), 11.0);
    // After the first second the partition admits 1,000/s: a third of 1,500/s is refused.
    let frac = num(&hot, "components.table.throttle_fraction");
    assert!((frac - 1.0 / 3.0).abs() < 0.01, "{frac}");
    assert_eq!(
        num(&hot, "components.table.throttles_by_partition"),
        num(&hot, "components.table.throttles")
    );
    let spread = run(&scenario(r#"{ dist = "uniform", count = 100000 }"#));
    assert_eq!(num(&spread, "components.table.throttles"), 0.0);
}

#[test]
fn burst_capacity_absorbs_a_short_spike_and_not_a_long_one() {
    // 100 WCU provisioned; traffic 50/s, then 200/s. The bank holds 300 s × 100 = 30,000
    // units: a 2-minute spike overdraws 100/s × 120 s = 12,000 and passes untouched; a
    // 10-minute spike overdraws 60,000 and is throttled once the bank is empty, about
    // 60,000 − 30,000 − (what the quiet minutes before it banked, the bank being full) = 30,000.
    let scenario = |spike: &str| {
        format!(
            r#"
            [scenario]
            duration = "20m"
            [[workload]]
            name = "u"
            target = "table"
            arrival = {{ process = "spike", base = 50, peak = 200, at = "5m", for = "{spike}" }}
            mix = [ {{ op = "write", weight = 1 }} ]
            retry = {{ attempts = 1 }}
            keys = {{ dist = "uniform", count = 100000 }}
            {}
            "#,
            table("rcu = 100\nwcu = 100", "")
        )
    };
    let short = run(&scenario("2m"));
    assert_eq!(num(&short, "components.table.throttles"), 0.0);
    let long = run(&scenario("10m"));
    let throttled = num(&long, "components.table.throttles");
    assert!((throttled - 30_000.0).abs() < 1_000.0, "{throttled}");
}

#[test]
fn a_table_that_spent_its_burst_throttles_a_load_above_its_capacity_at_once() {
    // 100 WCU and 200 writes/s for two minutes from the start. With the bank full (the
    // default) the 12,000 units over capacity come out of its 30,000: no throttle. With
    // `burst_banked = "0s"` the table serves its 100/s and refuses the rest: about 100/s ×
    // 120 s = 12,000; with 60 s banked (6,000 units) about 6,000.
    let scenario = |banked: &str| {
        format!(
            r#"
            [scenario]
            duration = "2m"
            [[workload]]
            name = "u"
            target = "table"
            arrival = {{ process = "constant", rate = 200 }}
            mix = [ {{ op = "write", weight = 1 }} ]
            retry = {{ attempts = 1 }}
            keys = {{ dist = "uniform", count = 100000 }}
            {}
            "#,
            table("rcu = 100\nwcu = 100", banked)
        )
    };
    assert_eq!(num(&run(&scenario("")), "components.table.throttles"), 0.0);
    let spent = num(
        &run(&scenario("burst_banked = \"0s\"")),
        "components.table.throttles",
    );
    assert!((spent - 12_000.0).abs() < 200.0, "{spent}");
    let some = num(
        &run(&scenario("burst_banked = \"60s\"")),
        "components.table.throttles",
    );
    assert!((some - 6_000.0).abs() < 200.0, "{some}");
}

#[test]
fn on_demand_serves_twice_the_previous_peak_and_throttles_beyond() {
    // 3,000 writes/s for 40 minutes sets the peak; then a jump to 5,500/s is served (under
    // 2 × 3,000) and a jump to 8,000/s is held to 6,000/s until the new peak is 30 minutes old.
    let scenario = |to: u32| {
        format!(
            r#"
            [scenario]
            duration = "45m"
            warmup = "40m"
            [[workload]]
            name = "u"
            target = "table"
            arrival = {{ process = "step", steps = [["0s", 3000], ["40m", {to}]] }}
            mix = [ {{ op = "write", weight = 1 }} ]
            retry = {{ attempts = 1 }}
            keys = {{ dist = "uniform", count = 1000000 }}
            {}
            "#,
            table("mode = \"on_demand\"", "")
        )
    };
    assert_eq!(
        num(&run(&scenario(5500)), "components.table.throttles"),
        0.0
    );
    let over = run(&scenario(8000));
    let frac = num(&over, "components.table.throttle_fraction");
    // Held to 6,000 of 8,000 per second: a quarter refused.
    assert!((frac - 0.25).abs() < 0.02, "{frac}");
}

#[test]
fn the_sdk_retries_throttles_by_default() {
    // A service calling a table through one hot key (1,200 writes/s against the partition's
    // 1,000 WCU) without saying how to retry gets the SDK's standard mode (aws-facts: §7):
    // 4 attempts for DynamoDB, full jitter on 1 s after a throttle, within a retry quota
    // that first-try successes keep refilling; so far fewer final 400s than table throttles.
    let s = run(&service_writes("2m", 1200, 1, 1024));
    let throttles = num(&s, "components.table.throttles");
    let final_400 = s["requests"]["by_status"]["400"].as_f64().unwrap_or(0.0);
    assert!(
        throttles > 100.0 && final_400 < throttles / 2.0,
        "{final_400} of {throttles}"
    );
    assert!(num(&s, "components.table.requests") > num(&s, "components.app.arrivals"));
}

#[test]
fn dax_hit_ratio_emerges_from_key_popularity_and_saves_read_capacity() {
    // Item cache with a 60 s TTL, reads only, Zipf(1.0) over 1,000 keys at 200/s: the TTL
    // cache formula λ_k·T / (1 + λ_k·T) per key, weighted by traffic (as for API Gateway's
    // cache). Latencies are zero so a miss fills the cache at once.
    let theory = crate::ttl_cache_hit_ratio(1000, 200.0, 60.0);
    let s = run(&format!(
        r#"
        [scenario]
        duration = "1h"
        warmup = "2m"
        seeds = 5
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "table"
        arrival = {{ process = "poisson", rate = 200 }}
        keys = {{ dist = "zipf", count = 1000, exponent = 1.0 }}
        {}
        "#,
        table(
            "rcu = 1000\nwcu = 100",
            "read_latency = \"0s\"\ndax = { ttl = \"60s\", latency = \"0s\" }"
        )
    ));
    assert_theory(
        "DAX hit ratio",
        &per_seed(&s, "components.table.dax_hit_ratio"),
        theory,
        0.01,
    );
    // Only misses reach the table, at half a unit each (1 KB, eventually consistent).
    let misses = num(&s, "components.table.dax_misses");
    let seeds = 5.0;
    assert!((num(&s, "components.table.read_units_consumed") * seeds - 0.5 * misses).abs() < 1.0);
}

#[test]
fn auto_scaling_acts_after_two_minutes_above_target_and_its_lag() {
    // 100 WCU, target 70 %; writes step from 30/s to 90/s at 10 min. The alarm needs two
    // one-minute periods above 70 %: the periods ending at 11 and 12 min. The action then
    // takes its 2-minute lag: the new capacity (about 90 / 0.7 ≈ 129 WCU, from the Poisson
    // traffic's measured rate) is in effect at 14 min. Later periods may trim it further.
    let sc = crate::scenario(&format!(
        r#"
        [scenario]
        duration = "20m"
        [[workload]]
        name = "u"
        target = "table"
        arrival = {{ process = "step", steps = [["0s", 30], ["10m", 90]] }}
        mix = [ {{ op = "write", weight = 1 }} ]
        keys = {{ dist = "uniform", count = 100000 }}
        {}
        "#,
        table(
            "rcu = 100\nwcu = 100",
            "autoscaling = { target = 0.7, lag = \"2m\" }"
        )
    ));
    let r = archsim::world::World::build(&sc, 1).run().unwrap();
    let scaled: Vec<_> = r.events.iter().filter(|e| e.event == "scaled").collect();
    assert!(!scaled.is_empty(), "{:?}", r.events);
    assert_eq!(scaled[0].time.as_secs_f64(), 14.0 * 60.0);
    assert!(
        scaled[0].detail.starts_with("WCU 100 -> 1"),
        "{}",
        scaled[0].detail
    );
    let alarm = r
        .events
        .iter()
        .find(|e| e.event == "scaling_alarm")
        .unwrap();
    assert_eq!(alarm.time.as_secs_f64(), 12.0 * 60.0);
}

/// Writes at `rate` per second over `keys` uniform keys to a provisioned table of 1,000 RCU
/// and 10,000 WCU in 14 partitions, where keys 0 and 1 hash to the same partition, with
/// `extra` keys; the client does not retry, so what the table refuses is what it offers.
fn hot_writes(rate: u32, keys: u32, extra: &str) -> String {
    format!(
        r#"
        [scenario]
        duration = "10m"
        [[workload]]
        name = "u"
        target = "table"
        arrival = {{ process = "constant", rate = {rate} }}
        mix = [ {{ op = "write", weight = 1 }} ]
        retry = {{ attempts = 1 }}
        keys = {{ dist = "uniform", count = {keys} }}
        {}
        "#,
        table("rcu = 1000\nwcu = 10000\npartitions = 14", extra)
    )
}

#[test]
fn split_for_heat_gives_a_hot_key_its_own_partition_after_the_delay() {
    // aws-facts §7 split for heat. 1,500 writes/s over keys 0 and 1, which share a
    // partition: 1,500 WCU/s against its 1,000, so a third is throttled (500/s) once the
    // partition's second of burst is spent (1,000 / 500 = 2 s). A 2-minute delay after the
    // first throttle, the hotter key gets a partition of its own: 750 WCU/s each, nothing
    // throttled. So about 500/s × 120 s = 60,000 throttles, all in the first 122 s
    // (binomial sd ≈ 200).
    let s = run(&hot_writes(1500, 2, "split_delay = \"2m\""));
    let throttles = num(&s, "components.table.throttles");
    assert!((throttles - 60_000.0).abs() < 1_500.0, "{throttles}");
    assert_eq!(num(&s, "components.table.keys_split_off"), 1.0);
    assert_eq!(num(&s, "components.table.partitions"), 15.0);
    let sc = crate::scenario(&hot_writes(1500, 2, "split_delay = \"2m\""));
    let r = archsim::world::World::build(&sc, 1).run().unwrap();
    let split = r
        .events
        .iter()
        .find(|e| e.event == "split_for_heat")
        .expect("a split");
    let at = split.time.as_secs_f64();
    assert!((121.0..123.0).contains(&at), "{at}");
    // The exceptions: a local secondary index, a monotonic sort key, or Streams on a
    // provisioned table keep the partition shared and a third throttled all along.
    for blocked in [
        "local_secondary_index = true",
        "monotonic_sort_key = true",
        "streams = true",
    ] {
        let s = run(&hot_writes(
            1500,
            2,
            &format!("split_delay = \"2m\"\n{blocked}"),
        ));
        let frac = num(&s, "components.table.throttle_fraction");
        assert!((frac - 1.0 / 3.0).abs() < 0.01, "{blocked}: {frac}");
        assert_eq!(num(&s, "components.table.keys_split_off"), 0.0);
    }
}

#[test]
fn a_single_key_above_the_partition_limit_keeps_throttling_after_its_split() {
    // One key at 1,500 writes/s: split off after a minute, it is alone on a partition still
    // held to 1,000 WCU/s, so at least 1 − 1,000/1,500 = a third keeps being throttled (the
    // new partition's second of burst is 1,000 units: 0.2 % of the run's 900,000).
    let s = run(&hot_writes(1500, 1, "split_delay = \"1m\""));
    assert_eq!(num(&s, "components.table.keys_split_off"), 1.0);
    let frac = num(&s, "components.table.throttle_fraction");
    assert!((frac - 1.0 / 3.0).abs() < 0.01, "{frac}");
}

#[test]
fn warm_throughput_lets_an_on_demand_table_take_its_rate_at_once() {
    // aws-facts §7 warm throughput: a new on-demand table serves 4,000 write units/s at once;
    // pre-warmed to 20,000 it takes 15,000 writes/s from the first second. Spread over a
    // million keys and 4 + 20 = 24 partitions, no partition is near its 1,000.
    let scenario = |warm: &str| {
        format!(
            r#"
            [scenario]
            duration = "5m"
            [[workload]]
            name = "u"
            target = "table"
            arrival = {{ process = "constant", rate = 15000 }}
            mix = [ {{ op = "write", weight = 1 }} ]
            retry = {{ attempts = 1 }}
            keys = {{ dist = "uniform", count = 1000000 }}
            {}
            "#,
            table("mode = \"on_demand\"", warm)
        )
    };
    let warm = run(&scenario("warm_throughput = { write = 20000 }"));
    assert_eq!(num(&warm, "components.table.throttles"), 0.0);
    // Cold, the table is held to 4,000 of 15,000 per second for its first 30 minutes: 73 %
    // refused (1 − 4,000/15,000).
    let cold = run(&scenario(""));
    let frac = num(&cold, "components.table.throttle_fraction");
    assert!((frac - 11.0 / 15.0).abs() < 0.01, "{frac}");
    // A maximum below the warm throughput is refused; a lower maximum holds the table.
    let capped = run(&scenario("max_throughput = { write = 3000 }"));
    let frac = num(&capped, "components.table.throttle_fraction");
    assert!((frac - 0.8).abs() < 0.01, "{frac}");
}

#[test]
fn an_on_demand_table_starts_with_the_partitions_its_warm_throughput_needs() {
    // The classic sizing rule on what the table serves from its first second: a new table's
    // 12,000 read and 4,000 write units need 4 + 4 = 8 partitions; pre-warmed to 20,000
    // writes, 4 + 20 = 24. The diagram says so, and the run does not split at 0 s.
    let partitions = |warm: &str| {
        let text = format!(
            "[scenario]\nduration = \"1m\"\n[[workload]]\nname = \"u\"\ntarget = \"table\"\narrival = {{ process = \"constant\", rate = 1 }}\n{}",
            table("mode = \"on_demand\"", warm)
        );
        let sc = crate::scenario(&text);
        let cfg = sc.components[0]
            .spec
            .config::<archsim::components::dynamodb::DynamoConfig>()
            .expect("a table");
        let summary = crate::run_scenario(&sc);
        (cfg.partitions, num(&summary, "components.table.partitions"))
    };
    assert_eq!(partitions(""), (8, 8.0));
    assert_eq!(
        partitions("warm_throughput = { write = 20000 }"),
        (24, 24.0)
    );
}

#[test]
fn dax_answers_queries_from_a_query_cache_that_writes_do_not_fill() {
    // aws-facts: §7 DAX: Query and Scan results live in a query cache apart from the item
    // cache, and writes go through to the item cache only. Queries at 100/s over 100,000
    // keys hit as often with puts on the same keys beside them (100/s) as without.
    let toml = |mix: &str, rate: u32| {
        format!(
            r#"
            [scenario]
            duration = "20m"
            warmup = "5m"
            [[workload]]
            name = "w"
            target = "t"
            arrival = {{ process = "poisson", rate = {rate} }}
            mix = {mix}
            keys = {{ dist = "uniform", count = 100000 }}
            retry = {{ attempts = 1 }}
            [[component]]
            id = "t"
            kind = "dynamodb"
            rcu = 1000
            wcu = 1000
            writes = ["put"]
            dax = {{}}
            "#
        )
    };
    let alone = crate::run(&toml(r#"[ { op = "query", weight = 1 } ]"#, 100));
    let beside = crate::run(&toml(
        r#"[ { op = "query", weight = 1 }, { op = "put", weight = 1 } ]"#,
        200,
    ));
    let (a, b) = (
        num(&alone, "components.t.dax_hit_ratio"),
        num(&beside, "components.t.dax_hit_ratio"),
    );
    // 5 minutes of 100 queries a second over 100,000 keys: about 1 - e^(-0.3) ≈ 0.26 hit.
    assert!((0.2..0.3).contains(&a), "{a}");
    assert!((a - b).abs() < 0.02, "alone {a}, beside writes {b}");
}

/// A service writing `size`-byte items at `rate` a second over `keys` keys for `duration`,
/// through its SDK's default retries, to a table of 10,000 WCU.
fn service_writes(duration: &str, rate: u32, keys: u32, size: u32) -> String {
    format!(
        r#"
        [scenario]
        duration = "{duration}"
        [network]
        same_az = "0s"
        [[workload]]
        name = "u"
        target = "app"
        size = {size}
        arrival = {{ process = "constant", rate = {rate} }}
        mix = [ {{ op = "write", weight = 1 }} ]
        keys = {{ dist = "uniform", count = {keys} }}
        [[component]]
        id = "app"
        kind = "service"
        servers = 1000
        service_time = "1ms"
        calls = [ {{ to = "table" }} ]
        {}
        "#,
        table("rcu = 100\nwcu = 10000", "")
    )
}

#[test]
fn an_item_of_400_kb_is_written_and_one_byte_more_is_refused_and_not_retried() {
    // AWS's quotas: an item is at most 400 KB (409,600 bytes); a larger write is a
    // ValidationException (HTTP 400, counted 413 to tell it from the throttle): no capacity
    // consumed, no throttle, and not retried by the SDK (a throttle would be, 4 attempts).
    let s = run(&service_writes("1m", 2, 100_000, 409_600));
    let requests = num(&s, "components.table.requests");
    assert!(requests >= 100.0, "{requests}");
    assert_eq!(num(&s, "components.table.by_status.200"), requests);
    assert_eq!(
        num(&s, "components.table.write_units_consumed"),
        400.0 * requests
    );
    let s = run(&service_writes("1m", 2, 100_000, 409_601));
    let requests = num(&s, "components.table.requests");
    assert_eq!(requests, num(&s, "components.app.arrivals"));
    assert_eq!(num(&s, "components.table.by_status.413"), requests);
    assert_eq!(num(&s, "components.table.throttles"), 0.0);
    assert_eq!(num(&s, "components.table.write_units_consumed"), 0.0);
    assert_eq!(num(&s, "requests.by_status.413"), num(&s, "requests.total"));
}

#[test]
fn a_batch_write_with_an_item_over_400_kb_is_refused_whole() {
    // A function writes each batch of queue messages in one BatchWriteItem (`per_batch`).
    // AWS's BatchWriteItem API reference rejects the whole batch when "an individual item in
    // the batch exceeds 400 KB": with two workloads' messages, 9 of 1 KB a second and one
    // of 500 KB every 5 s, in batches of 10, a batch holding a large one is refused whole
    // (no item written, 413) and the others written, one unit an item; with the second
    // workload's messages of 1 KB too, every message is written.
    let text = |big: u32| {
        format!(
            r#"
            [scenario]
            duration = "1m"
            [network]
            same_az = "0s"
            [[workload]]
            name = "small"
            target = "q"
            size = 1024
            arrival = {{ process = "constant", rate = 9 }}
            retry = {{ attempts = 1 }}
            keys = {{ dist = "uniform", count = 100000 }}
            mix = [ {{ op = "write", weight = 1 }} ]
            [[workload]]
            name = "big"
            target = "q"
            size = {big}
            arrival = {{ process = "constant", rate = 0.2 }}
            retry = {{ attempts = 1 }}
            keys = {{ dist = "uniform", count = 100000 }}
            mix = [ {{ op = "write", weight = 1 }} ]
            [[component]]
            id = "q"
            kind = "sqs"
            visibility_timeout = "12h"
            consumer = {{ to = "fn", batch_size = 10, batching_window = "5s" }}
            [[component]]
            id = "fn"
            kind = "lambda"
            memory_mb = 1769
            runtime = "go"
            work = "10ms"
            batch_calls = "per_batch"
            calls = [ {{ to = "table" }} ]
            {}
            "#,
            table("rcu = 100\nwcu = 40000", "")
        )
    };
    let s = run(&text(1024));
    let sent = num(&s, "requests.total");
    assert!(sent >= 500.0, "{sent}");
    assert!(pointer_absent(&s, "components.table.by_status.413"));
    assert_eq!(
        num(&s, "components.table.write_units_consumed"),
        num(&s, "components.q.deletes")
    );
    let s = run(&text(500_000));
    let refused = num(&s, "components.table.by_status.413");
    assert!(refused >= 5.0, "{refused}");
    assert_eq!(num(&s, "components.table.throttles"), 0.0);
    let written = num(&s, "components.table.write_units_consumed");
    let small = num(&s, "workloads.small.requests.total");
    assert!(
        written >= small / 2.0 && written < small,
        "{written} of {small}"
    );
    // A large item written would have taken 489 units: every unit is a small message's.
    assert_eq!(written, num(&s, "components.q.deletes"));
}
