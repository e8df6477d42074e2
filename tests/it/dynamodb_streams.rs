//! DynamoDB Streams and Lambda's event source mapping reading it, against their documented
//! behaviour (aws-facts §16 event source mappings, §22 DynamoDB Streams): one batch per shard
//! at a time, up to the parallelization factor with each key's records in order, retries up
//! to `maximum_retry_attempts` then the on-failure queue, `maximum_record_age`, bisection down
//! to a poison record, and the iterator age of a consumer slower than the writes.

use crate::{num, run};

/// A run of `duration` with no network delay: the workloads (`workloads`, each with one
/// attempt), a provisioned table "t" of one partition (100 RCU and 500 WCU need one:
/// 100 / 3,000 + 500 / 1,000 < 1) whose stream is `stream`, and `rest`.
fn scenario(duration: &str, workloads: &str, stream: &str, rest: &str) -> String {
    format!(
        "[scenario]\nduration = \"{duration}\"\n[network]\nsame_az = \"0s\"\n{workloads}\
         [[component]]\nid = \"t\"\nkind = \"dynamodb\"\nrcu = 100\nwcu = 500\n\
         writes = [\"put\", \"poison\"]\nstream = {{ consumer = \"fn\", {stream} }}\n{rest}"
    )
}

/// A workload `name` of `op` writes at a constant `rate` (at k / rate s for k = 1, 2, …) on
/// `keys` uniform keys.
fn writes(name: &str, op: &str, rate: f64, keys: u64) -> String {
    format!(
        "[[workload]]\nname = \"{name}\"\ntarget = \"t\"\n\
         arrival = {{ process = \"constant\", rate = {rate} }}\n\
         mix = [ {{ op = \"{op}\", weight = 1 }} ]\n\
         keys = {{ dist = \"uniform\", count = {keys} }}\nretry = {{ attempts = 1 }}\n"
    )
}

/// A Go function at a full vCPU doing `work` per record; `extra` adds keys.
fn function(work: &str, extra: &str) -> String {
    format!(
        "[[component]]\nid = \"fn\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\nwork = \"{work}\"\n{extra}"
    )
}

const DLQ: &str = "[[component]]\nid = \"dlq\"\nkind = \"sqs\"\n";

#[test]
fn a_shard_has_one_batch_in_flight_or_as_many_as_its_factor() {
    // aws-facts: §16: one batch per shard at a time; ParallelizationFactor up to 10 batches,
    // a key's records staying in order. 200 writes/s on one shard against 30 ms of work per
    // record: one lane reads 33 records/s, so at factors 1, 4 and 10 (133 and 333 a second)
    // every lane has a backlog and a batch in flight nearly all the time: the most in flight
    // at once is the factor, never more.
    for factor in [1.0, 4.0, 10.0] {
        let s = run(&scenario(
            "1m",
            &writes("u", "put", 200.0, 100_000),
            &format!("batch_size = 10, parallelization_factor = {factor}"),
            &function("30ms", ""),
        ));
        assert_eq!(num(&s, "components.t.stream.shards"), 1.0);
        assert_eq!(num(&s, "components.t.stream.batches_in_flight_max"), factor);
        assert_eq!(num(&s, "components.t.stream.records_out_of_order"), 0.0);
        // The 10 lanes keep up (333/s against 200/s); one lane reads a batch of 10 records
        // each 0.3 s: 200 batches, 2,000 records, of the 11,999 written.
        let processed = num(&s, "components.t.stream.records_processed");
        if factor == 1.0 {
            assert!((1_980.0..=2_000.0).contains(&processed), "{processed}");
        }
    }
    // One key at factor 10: all its records are in one lane, read one batch at a time, in
    // order: as slow as factor 1.
    let s = run(&scenario(
        "1m",
        &writes("u", "put", 200.0, 1),
        "batch_size = 10, parallelization_factor = 10",
        &function("30ms", ""),
    ));
    assert_eq!(num(&s, "components.t.stream.batches_in_flight_max"), 1.0);
    let processed = num(&s, "components.t.stream.records_processed");
    assert!((1_980.0..=2_000.0).contains(&processed), "{processed}");
}

#[test]
fn every_shard_has_its_own_batch() {
    // aws-facts: §22, §16: a shard per partition, one batch per shard. 1,500 WCU need two
    // partitions (1,500 / 1,000): the same overload gives two batches in flight at factor 1.
    let s = scenario(
        "1m",
        &writes("u", "put", 200.0, 100_000),
        "batch_size = 10",
        &function("30ms", ""),
    )
    .replace("wcu = 500", "wcu = 1500");
    let s = run(&s);
    assert_eq!(num(&s, "components.t.stream.shards"), 2.0);
    assert_eq!(num(&s, "components.t.stream.batches_in_flight_max"), 2.0);
}

#[test]
fn a_failing_batch_is_retried_then_sent_to_the_on_failure_queue() {
    // aws-facts: §16: a failed batch is retried until MaximumRetryAttempts, then discarded
    // and its metadata sent to the on-failure destination. A write every 5 s (at 5k s,
    // k = 1 … 11 before 60 s), each alone in its batch; the function always fails: each
    // batch is tried 1 + 2 times, 1 s apart (`retry_interval`), and discarded about 2 s
    // after its write, well before the next: 33 failed batches, 11 records discarded, 11
    // messages to the queue.
    let s = run(&scenario(
        "1m",
        &writes("u", "put", 0.2, 1_000),
        "maximum_retry_attempts = 2, on_failure = \"dlq\"",
        &(function("10ms", "error_rate = 1.0\n") + DLQ),
    ));
    assert_eq!(num(&s, "components.t.stream.records_written"), 11.0);
    assert_eq!(num(&s, "components.t.stream.batches"), 33.0);
    assert_eq!(num(&s, "components.t.stream.failed_batches"), 33.0);
    assert_eq!(num(&s, "components.t.stream.records_discarded"), 11.0);
    assert_eq!(num(&s, "components.t.stream.sent_on_failure"), 11.0);
    assert_eq!(num(&s, "components.dlq.sends"), 11.0);
    assert_eq!(num(&s, "components.t.stream.records_processed"), 0.0);
    // The third try reads a record 2 s old (two retry intervals, the wait for its shard's
    // poll, at most 250 ms, and the failures' 10 ms and a cold start of about 50 ms).
    let age = num(&s, "components.t.stream.iterator_age_ms.max");
    assert!((2_000.0..2_400.0).contains(&age), "{age}");
}

#[test]
fn records_older_than_the_maximum_record_age_are_discarded() {
    // aws-facts: §16: MaximumRecordAgeInSeconds: older records are discarded. A write every
    // 10 s (at 10k s, k = 1 … 17 before 3 min); the function always fails and retries are
    // unlimited (-1), so the lane is blocked by its oldest record until that record is
    // 60 s old, when it is discarded at the next retry (1 s later at most). Those written
    // at 10 … 110 s are discarded before the end, one message each; the 6 written at
    // 120 … 170 s are still held.
    let s = run(&scenario(
        "3m",
        &writes("u", "put", 0.1, 1_000),
        "maximum_record_age = \"60s\", on_failure = \"dlq\"",
        &(function("10ms", "error_rate = 1.0\n") + DLQ),
    ));
    assert_eq!(num(&s, "components.t.stream.records_written"), 17.0);
    assert_eq!(num(&s, "components.t.stream.records_discarded"), 11.0);
    assert_eq!(num(&s, "components.t.stream.sent_on_failure"), 11.0);
    assert_eq!(num(&s, "components.t.stream.records_held_end"), 6.0);
    // No record is read when older than 60 s (and a retry's wait past it).
    let age = num(&s, "components.t.stream.iterator_age_ms.max");
    assert!(age <= 61_100.0, "{age}");
}

#[test]
fn bisection_halves_a_failing_batch_down_to_the_poison_record() {
    // aws-facts: §16 BisectBatchOnFunctionError: a failed batch is split in two and each
    // half retried. Good writes at 0.1 s steps (599 in 60 s) and one poison write at
    // 32.05 s, the 321st record; batches of exactly 8 (a 10 s window never runs out at
    // 10 records/s), so the 41st batch is records 321 … 328, the poison first (the function
    // fails a batch by its first record's operation). It fails as 8, 4 and 2 records, then
    // alone 1 + 2 times (maximum_retry_attempts = 2): 6 failed batches; the poison record is
    // discarded alone, one message to the queue; the good records of its halves (1, 2 and 4)
    // succeed. Records read: 600 once, plus 4 + 2 + 1 + 1 + 1 (the halves tried again and
    // the poison's retries) + 1 + 2 + 4 (the good halves) = 616.
    let workloads =
        writes("good", "put", 10.0, 1_000) + &writes("bad", "poison", 1.0 / 32.05, 1_000);
    let s = run(&scenario(
        "1m",
        &workloads,
        "batch_size = 8, maximum_batching_window = \"10s\", \
         bisect_batch_on_function_error = true, maximum_retry_attempts = 2, on_failure = \"dlq\"",
        &(function("1ms", "error_ops = [\"poison\"]\n") + DLQ),
    ));
    assert_eq!(num(&s, "components.t.stream.records_written"), 600.0);
    assert_eq!(num(&s, "components.t.stream.failed_batches"), 6.0);
    assert_eq!(num(&s, "components.t.stream.records_discarded"), 1.0);
    assert_eq!(num(&s, "components.t.stream.sent_on_failure"), 1.0);
    assert_eq!(num(&s, "components.dlq.sends"), 1.0);
    assert_eq!(num(&s, "components.t.stream.records_read"), 616.0);
    assert_eq!(num(&s, "components.t.stream.records_out_of_order"), 0.0);

    // Without bisection the whole batch of 8 is tried 3 times and discarded: 7 good
    // records go with the poison.
    let s = run(&scenario(
        "1m",
        &workloads,
        "batch_size = 8, maximum_batching_window = \"10s\", maximum_retry_attempts = 2, \
         on_failure = \"dlq\"",
        &(function("1ms", "error_ops = [\"poison\"]\n") + DLQ),
    ));
    assert_eq!(num(&s, "components.t.stream.failed_batches"), 3.0);
    assert_eq!(num(&s, "components.t.stream.records_discarded"), 8.0);
    assert_eq!(num(&s, "components.t.stream.sent_on_failure"), 1.0);
}

#[test]
fn iterator_age_is_the_backlog_age_under_a_constant_overload() {
    // aws-facts: §16: the iterator age is the age of the last record of a batch when it is
    // read. 50 writes/s on one shard; 40 ms of work a record reads 25/s in batches of 10
    // (0.4 s each). By time t the lane has read about 25 t records; the batch read at t
    // ends with record 25 t + 10, written at (25 t + 10) / 50 = t / 2 + 0.2 s: its age is
    // t / 2 − 0.2 s. The last read, within 0.4 s of the end at 60 s, is 29.6 to 29.8 s
    // old; batches are read evenly in time, so the median is half of it, less the first
    // second's small batches.
    let s = run(&scenario(
        "1m",
        &writes("u", "put", 50.0, 100_000),
        "batch_size = 10",
        &function("40ms", ""),
    ));
    let max = num(&s, "components.t.stream.iterator_age_ms.max");
    assert!((29_500.0..=30_000.0).contains(&max), "{max}");
    let p50 = num(&s, "components.t.stream.iterator_age_ms.p50");
    assert!((14_000.0..=15_200.0).contains(&p50), "{p50}");
    // What it has not read is held: 2,999 written, about 25 × 60 = 1,500 read.
    let held = num(&s, "components.t.stream.records_held_end");
    assert!((1_480.0..=1_520.0).contains(&held), "{held}");
}

#[test]
fn records_beyond_max_records_are_not_kept_and_are_counted() {
    // A limit of the simulation (`limits::MAX_STREAM_RECORDS`, lowered by `max_records`): a
    // stream that holds 100 records keeps no more. Nothing reads it (its lane waits 5 minutes
    // for a batch of 1,000 that never fills): 50 writes/s for a minute is 2,999 records, of
    // which the first 100 are held and the rest counted; the writes themselves succeed.
    let s = run(&scenario(
        "1m",
        &writes("u", "put", 50.0, 100_000),
        "batch_size = 1000, maximum_batching_window = \"5m\", max_records = 100",
        &function("10ms", ""),
    ));
    assert_eq!(num(&s, "components.t.stream.records_written"), 2_999.0);
    assert_eq!(num(&s, "components.t.by_status.200"), 2_999.0);
    assert_eq!(num(&s, "components.t.stream.records_over_limit"), 2_899.0);
    assert_eq!(num(&s, "components.t.stream.records_held_max"), 100.0);
}

#[test]
fn with_batch_item_failures_the_checkpoint_moves_to_the_first_failed_record() {
    // aws-facts: §16 ReportBatchItemFailures: the function reports its first failed record;
    // the records before it are done and the batch is retried from it. Good writes at 0.1 s
    // steps (599 in 60 s) and one poison write at 32.35 s, the 324th record; batches of
    // exactly 8 (a 10 s window never runs out at 10 records/s), so the 41st batch is records
    // 321 … 328 with the poison 4th. With the report, 321 … 323 are done and 324 … 328 (5
    // records) are retried: they fail twice more (the poison first), and after
    // maximum_retry_attempts = 2 those 5 are discarded. Records read: 600 once, plus 2 × 5 =
    // 610; 3 failed batches; 5 discarded, the 3 before the poison never read again.
    let workloads =
        writes("good", "put", 10.0, 1_000) + &writes("bad", "poison", 1.0 / 32.35, 1_000);
    let mapping = "batch_size = 8, maximum_batching_window = \"10s\", maximum_retry_attempts = 2, \
         on_failure = \"dlq\"";
    let report = format!("{mapping}, function_response_types = [\"ReportBatchItemFailures\"]");
    let s = run(&scenario(
        "1m",
        &workloads,
        &report,
        &(function("1ms", "error_ops = [\"poison\"]\n") + DLQ),
    ));
    assert_eq!(num(&s, "components.t.stream.records_written"), 600.0);
    assert_eq!(num(&s, "components.t.stream.records_read"), 610.0);
    assert_eq!(num(&s, "components.t.stream.failed_batches"), 3.0);
    assert_eq!(num(&s, "components.t.stream.records_discarded"), 5.0);
    assert_eq!(num(&s, "components.t.stream.sent_on_failure"), 1.0);
    assert_eq!(num(&s, "components.t.stream.records_out_of_order"), 0.0);

    // Without it the whole batch of 8 is read 3 times and discarded: 600 + 2 × 8 = 616 read,
    // 8 discarded, the poison 4th in its batch failing it all the same.
    let s = run(&scenario(
        "1m",
        &workloads,
        mapping,
        &(function("1ms", "error_ops = [\"poison\"]\n") + DLQ),
    ));
    assert_eq!(num(&s, "components.t.stream.records_read"), 616.0);
    assert_eq!(num(&s, "components.t.stream.failed_batches"), 3.0);
    assert_eq!(num(&s, "components.t.stream.records_discarded"), 8.0);
}

#[test]
fn a_batch_stops_at_the_six_megabytes_a_synchronous_invocation_carries() {
    // 300 KB items written 3 a second, a batch size of 1,000 and a 60 s window: the window
    // would gather about 180 records (54 MB); the poller stops a batch at the 6 MB payload
    // limit (`lambda:with-ddb.html`), 20 records of 300,000 bytes.
    let s = run(&scenario(
        "5m",
        &writes("w", "put", 3.0, 1_000_000).replace(
            "retry = { attempts = 1 }",
            "retry = { attempts = 1 }\nsize = 300000",
        ),
        "batch_size = 1000, maximum_batching_window = \"60s\"",
        &function("1ms", "timeout = \"30s\""),
    )
    // Room for the writes' 879 units a second, in one partition still.
    .replace(
        "rcu = 100\nwcu = 500",
        "rcu = 10\nwcu = 990\npartitions = 1",
    ));
    let records = num(&s, "components.t.stream.records_processed");
    let batches = num(&s, "components.t.stream.batches");
    assert!(records > 600.0, "{records}");
    // Full batches of 20 leave at once; only the last ones of the run may be shorter.
    assert!(
        records / batches > 19.0 && records / batches <= 20.0,
        "{records} in {batches}"
    );
}

#[test]
fn a_shards_poller_looks_four_times_a_second() {
    // 100 writes a second to one shard, a function of 1 ms: the poller finds about 25
    // records at each of its 4 looks a second (`lambda:with-ddb.html`: "a base rate of 4
    // times per second"), 1,200 batches in 5 minutes, not one invocation per record. The
    // last record of a batch was written within the quarter second before it was read.
    let s = run(&scenario(
        "5m",
        &writes("w", "put", 100.0, 1_000_000),
        "batch_size = 100",
        &function("1ms", ""),
    ));
    let batches = num(&s, "components.t.stream.batches");
    assert!((1_195.0..=1_200.0).contains(&batches), "{batches}");
    let age = num(&s, "components.t.stream.iterator_age_ms.max");
    assert!(age < 250.0, "{age}");
}

#[test]
fn a_batch_written_in_one_call_streams_a_record_per_item() {
    // Batches of exactly 8 records of 100 bytes (as the bisection test's), each written on
    // in one call (`per_batch`: a BatchWriteItem) to a second table with a stream of its
    // own: each of the batch's items is a write of its own, with its own record (592, not
    // 74), on its own key's partition, rounded up to a write unit on its own (592 units,
    // where the batches' 800 bytes each would be 74).
    let copy = "batch_calls = \"per_batch\"\ncalls = [ { to = \"copy\" } ]\n\
                [[component]]\nid = \"copy\"\nkind = \"dynamodb\"\nrcu = 100\nwcu = 500\n\
                writes = [\"put\"]\nstream = { consumer = \"fn2\" }\n";
    let small = writes("good", "put", 10.0, 1_000).replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nsize = 100",
    );
    let s = run(&scenario(
        "1m",
        &small,
        "batch_size = 8, maximum_batching_window = \"10s\"",
        &(function("1ms", copy)
            + "[[component]]\nid = \"fn2\"\nkind = \"lambda\"\nmemory_mb = 1769\nruntime = \"go\"\nwork = \"1ms\"\n"),
    ));
    // 599 writes at 0.1 s steps: 74 full batches by the end (the last 7 records wait).
    assert_eq!(num(&s, "components.t.stream.records_written"), 599.0);
    assert_eq!(num(&s, "components.t.stream.batches"), 74.0);
    assert_eq!(num(&s, "components.copy.requests"), 74.0);
    assert_eq!(num(&s, "components.copy.stream.records_written"), 592.0);
    assert_eq!(num(&s, "components.copy.write_units_consumed"), 592.0);
}

#[test]
fn a_batch_writes_items_its_partition_refused_again_and_only_those() {
    // Writes of 50 KB on one key, 10 a second, streamed in batches of exactly 25 (as above)
    // to a function that writes each batch in one call to a second table: 25 items of 50
    // write units each (aws-facts: §7 capacity units), 1,250 units on one key's partition,
    // which holds 1,000 (aws-facts: §7 per-partition limit). The first 20 are written, the
    // last 5 answered unprocessed with a 200 (AWS's BatchWriteItem: "failed operations are
    // returned in the UnprocessedItems response parameter"); the handler sends those 5
    // again after the SDK's backoff, until the partition has room. Every item is written
    // once: 50 units an item, whatever the retries, and no batch fails.
    let big = writes("good", "put", 10.0, 1).replace(
        "retry = { attempts = 1 }",
        "retry = { attempts = 1 }\nsize = 51200",
    );
    let copy = "batch_calls = \"per_batch\"\ncalls = [ { to = \"copy\" } ]\n\
                [[component]]\nid = \"copy\"\nkind = \"dynamodb\"\nrcu = 100\nwcu = 10000\n\
                writes = [\"put\"]\n";
    let s = run(&scenario(
        "1m",
        &big,
        "batch_size = 25, maximum_batching_window = \"10s\"",
        &function("1ms", copy),
    ));
    // 599 writes: 23 full batches by the end.
    assert_eq!(num(&s, "components.t.stream.batches"), 23.0);
    assert_eq!(num(&s, "components.t.stream.failed_batches"), 0.0);
    assert_eq!(
        num(&s, "components.copy.write_units_consumed"),
        23.0 * 25.0 * 50.0
    );
    let unprocessed = num(&s, "components.copy.unprocessed_items");
    assert!(unprocessed >= 23.0 * 5.0, "{unprocessed}");
    let calls = num(&s, "components.copy.requests");
    assert!(calls >= 2.0 * 23.0, "{calls}");
}
