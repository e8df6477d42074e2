//! S3 against its documented behaviour (aws-facts §8): each partitioned prefix's request
//! rates and 503 SlowDown beyond, splitting under sustained load, key naming, archived
//! objects and their restores, first-byte latency by class; and KMS's callers (§12): SSE-KMS,
//! S3 Bucket Keys, a generic component's decrypts and its data-key cache.

use crate::{num, run, Edit};

/// A scenario of `duration` (measured after `warmup`) with one workload per (name, op,
/// rate), each making one attempt per request, and the components `components`. Hops take
/// no time, so arrival instants are the workloads' own.
fn scenario(
    duration: &str,
    warmup: &str,
    workloads: &[(&str, &str, u32)],
    components: &str,
) -> String {
    let mut text = format!(
        "[scenario]\nduration = \"{duration}\"\nwarmup = \"{warmup}\"\n[network]\nsame_az = \"0s\"\n"
    );
    for (name, op, rate) in workloads {
        text += &format!(
            "[[workload]]\nname = \"{name}\"\ntarget = \"bucket\"\narrival = {{ process = \"constant\", rate = {rate} }}\nmix = [ {{ op = \"{op}\", weight = 1 }} ]\nretry = {{ attempts = 1 }}\n"
        );
    }
    text + components
}

fn bucket(extra: &str) -> String {
    format!("[[component]]\nid = \"bucket\"\nkind = \"s3\"\n{extra}\n")
}

#[test]
fn a_partition_admits_exactly_its_rate_and_answers_503_beyond() {
    // aws-facts: §8 request rates: 3,500 writes/s per partitioned prefix. Sequential names
    // put every key under one prefix, so one partition takes all 5,000 writes/s for 20 s.
    // Its token bucket starts full with one second's worth (3,500) and refills at 3,500/s:
    // it admits 3,500 × 20 + 3,500 = 73,500 over the run, less at most 3 for where the last
    // arrival falls (as in kms.rs). Arrivals come at k / 5,000 s for k ≥ 1: 99,999 of them.
    let s = run(&scenario(
        "20s",
        "0s",
        &[("up", "put", 5_000)],
        &bucket("key_naming = \"sequential\""),
    ));
    assert_eq!(num(&s, "components.bucket.requests"), 99_999.0);
    let ok = num(&s, "components.bucket.by_status.200");
    assert!((73_497.0..=73_500.0).contains(&ok), "{ok}");
    assert_eq!(num(&s, "components.bucket.by_status.503"), 99_999.0 - ok);
    assert_eq!(num(&s, "components.bucket.slowdowns"), 99_999.0 - ok);

    // Reads have their own 5,500/s: 8,000 GETs/s for 20 s, whole one-second windows: 5,500 in
    // each of the 20 seconds, 110,000 exactly.
    let s = run(&scenario(
        "20s",
        "0s",
        &[("down", "get", 8_000)],
        &bucket("key_naming = \"sequential\"\nrate_enforcement = \"fixed_window\""),
    ));
    assert_eq!(num(&s, "components.bucket.by_status.200"), 110_000.0);

    // A partition of one prefix never splits, however long it throttles: a bucket of one
    // prefix refusing writes for 20 s with a 1 s split delay stays one partition.
    let s = run(&scenario(
        "20s",
        "0s",
        &[("up", "put", 8_000)],
        &bucket(
            "prefixes = 1
split_delay = \"1s\"",
        ),
    ));
    assert!(num(&s, "components.bucket.slowdowns") > 0.0);
    assert_eq!(num(&s, "components.bucket.partitions"), 1.0);
}

#[test]
fn a_partition_splits_after_the_delay_and_its_admitted_rate_doubles() {
    // Two random prefixes in one partition, 10,000 writes/s, whole one-second windows. The
    // partition admits 3,500 of each second and refuses the rest from t = 0.3501 s (the
    // 3,501st arrival): refusals never pause 1 s, so the load is sustained, and the refusal
    // at 10.3501 s, 10 s after the first, splits it. From then on each prefix is a partition
    // of its own with 3,500/s; random naming sends each about 5,000/s (±100 at most over a
    // million uniform keys), so both are full: over the measured 15 s (from 15 s to 30 s, whole
    // windows), 2 × 3,500 × 15 = 105,000 admitted, twice the 52,500 that one partition
    // admits when the split delay is never reached.
    let base = "prefixes = 2\nrate_enforcement = \"fixed_window\"\n";
    let s = run(&scenario(
        "30s",
        "15s",
        &[("up", "put", 10_000)],
        &bucket(&format!("{base}split_delay = \"10s\"")),
    ));
    assert_eq!(num(&s, "components.bucket.partitions"), 2.0);
    assert_eq!(num(&s, "components.bucket.by_status.200"), 105_000.0);
    let s = run(&scenario(
        "30s",
        "15s",
        &[("up", "put", 10_000)],
        &bucket(&format!("{base}split_delay = \"1h\"")),
    ));
    assert_eq!(num(&s, "components.bucket.partitions"), 1.0);
    assert_eq!(num(&s, "components.bucket.by_status.200"), 52_500.0);
}

#[test]
fn short_dips_between_bursts_do_not_reset_the_clock_towards_a_split() {
    // Two random prefixes in one partition, whole one-second windows, a split after 30 s of
    // sustained throttling. The writers send 8,000/s for 8 s, then 1,000/s for 2 s, and
    // again: each burst is refused from 0.44 s into each second (past the 3,500 admitted),
    // each dip refuses nothing for about 2.4 s. A dip within `split_gap` (1 minute by
    // default) leaves the load sustained: the refusal just past 30.44 s splits the
    // partition. Were the clock restarted by every pause over 1 s, it would never reach
    // 30 s, as with `split_gap = "1s"`.
    let steps: Vec<String> = (0..6)
        .flat_map(|i| {
            [
                format!("[\"{}s\", 8000]", 10 * i),
                format!("[\"{}s\", 1000]", 10 * i + 8),
            ]
        })
        .collect();
    let text = |gap: &str| {
        scenario(
            "60s",
            "0s",
            &[("up", "put", 8000)],
            &bucket(&format!(
                "prefixes = 2\nrate_enforcement = \"fixed_window\"\nsplit_delay = \"30s\"\n{gap}"
            )),
        )
        .edit(
            r#"{ process = "constant", rate = 8000 }"#,
            &format!(r#"{{ process = "step", steps = [{}] }}"#, steps.join(", ")),
        )
    };
    let s = run(&text(""));
    assert_eq!(num(&s, "components.bucket.partitions"), 2.0);
    assert_eq!(num(&s, "components.bucket.splits"), 1.0);
    let s = run(&text("split_gap = \"1s\""));
    assert_eq!(num(&s, "components.bucket.partitions"), 1.0);
    assert_eq!(num(&s, "components.bucket.splits"), 0.0);
}

#[test]
fn splits_are_gradual_one_delay_at_a_time_down_to_a_prefix_each() {
    // 16 prefixes in one partition under 40,000 writes/s with a 5 s delay: the partition
    // splits at about 5 s, each half (still above 3,500/s at 20,000/s) about 5 s later, and
    // so on: 2, 4, 8, then 16 partitions after four delays, about 20 s, and no further (one
    // prefix each). At 2,500/s a prefix, 16 partitions admit everything.
    let s = run(&scenario(
        "40s",
        "25s",
        &[("up", "put", 40_000)],
        &bucket("split_delay = \"5s\""),
    ));
    assert_eq!(num(&s, "components.bucket.partitions"), 16.0);
    assert_eq!(num(&s, "components.bucket.slowdowns"), 0.0);
    let early = run(&scenario(
        "12s",
        "0s",
        &[("up", "put", 40_000)],
        &bucket("split_delay = \"5s\""),
    ));
    // By 12 s, two rounds of splits (token buckets start full: the first refusal at about
    // 0.1 s, the split at 5.1 s; the halves refuse from about 5.3 s and split at 10.3 s; the
    // next round would be at about 15.9 s): exactly 4 partitions.
    assert_eq!(num(&early, "components.bucket.partitions"), 4.0);
}

#[test]
fn random_naming_spreads_over_partitions_and_sequential_does_not() {
    // A bucket already split into 16 partitions (one prefix each) and 20,000 writes/s. Random
    // prefixes give each partition about 1,250/s, far below 3,500: nothing is refused.
    // Sequential names send all 20,000/s to the first partition, which admits 3,500/s (and
    // its first second's burst): 3,500 × 10 + 3,500 = 38,500 of 199,999, less at most 3.
    let split = "prefixes = 16\npartitions = 16\n";
    let s = run(&scenario(
        "10s",
        "0s",
        &[("up", "put", 20_000)],
        &bucket(&format!("{split}key_naming = \"random\"")),
    ));
    assert_eq!(num(&s, "components.bucket.slowdowns"), 0.0);
    let s = run(&scenario(
        "10s",
        "0s",
        &[("up", "put", 20_000)],
        &bucket(&format!("{split}key_naming = \"sequential\"")),
    ));
    let ok = num(&s, "components.bucket.by_status.200");
    assert!((38_497.0..=38_500.0).contains(&ok), "{ok}");
}

#[test]
fn an_archived_object_is_refused_until_restored() {
    // Glacier Flexible Retrieval: a GET of an object not restored is refused with 403
    // InvalidObjectState. One key; a restore at 1 s (constant 1/s) with a 2-minute restore
    // time makes it readable from 121 s. GETs at k / 10 s: those before 121 s, k = 1 …
    // 1,209, are refused; the rest of the 3,599 succeed. Restores go on once a second, each
    // accepted with 202.
    let comps = "[[component]]\nid = \"bucket\"\nkind = \"s3\"\nstorage_class = \"glacier_flexible\"\nrestore_tier = \"expedited\"\nrestore_time = \"2m\"\n";
    let text = scenario(
        "6m",
        "0s",
        &[("thaw", "restore", 1), ("read", "get", 10)],
        comps,
    )
    .replace(
        "mix = [ { op = \"get\", weight = 1 } ]",
        "mix = [ { op = \"get\", weight = 1 } ]\nkeys = { dist = \"uniform\", count = 1 }",
    )
    .replace(
        "mix = [ { op = \"restore\", weight = 1 } ]",
        "mix = [ { op = \"restore\", weight = 1 } ]\nkeys = { dist = \"uniform\", count = 1 }",
    );
    let s = run(&text);
    assert_eq!(num(&s, "components.bucket.archived_refused"), 1_209.0);
    assert_eq!(num(&s, "workloads.read.requests.by_status.403"), 1_209.0);
    assert_eq!(
        num(&s, "workloads.read.requests.by_status.200"),
        3_599.0 - 1_209.0
    );
    assert_eq!(num(&s, "components.bucket.by_status.202"), 359.0);
}

#[test]
fn first_byte_latency_follows_the_storage_class() {
    // aws-facts: §8 storage classes: milliseconds for Standard and Glacier Instant Retrieval
    // (a lognormal of median 15 ms and p99 60 ms here, σ = ln 4 / 2.326 = 0.596),
    // single-digit milliseconds for Express One Zone (median 3 ms, p99 9 ms, σ = ln 3 / 2.326
    // = 0.472). 99,999 GETs (1,000/s for 100 s, at k / 1,000 s for k ≥ 1, under a
    // partition's 5,500): the sample
    // median of n draws has a standard error of 1 / (2 f(m) √n), the density at the median
    // of a lognormal being f(m) = 1 / (m σ √(2π)): m σ √(π/2) / √n, 0.24 % of the median for
    // Glacier IR and 0.19 % for Express. Three of those, and the histogram's 0.1 % (three
    // significant figures): within 0.81 % and 0.66 %.
    let n: f64 = 99_999.0;
    for (class, median, p99) in [("glacier_ir", 15.0, 60.0), ("express_onezone", 3.0, 9.0)] {
        let s = run(&scenario(
            "100s",
            "0s",
            &[("read", "get", 1_000)],
            &bucket(&format!("storage_class = \"{class}\"")),
        ));
        assert_eq!(num(&s, "components.bucket.response_ms.count"), n);
        let sigma = f64::ln(p99 / median) / 2.326;
        let tolerance = 3.0 * sigma * (std::f64::consts::PI / 2.0).sqrt() / n.sqrt() + 0.001;
        let p50 = num(&s, "components.bucket.response_ms.p50");
        assert!(
            (p50 - median).abs() < tolerance * median,
            "{class}: {p50} against {median} ± {:.2} %",
            tolerance * 100.0
        );
    }
}

/// A bucket encrypted with SSE-KMS under the key of `keys`, and `keys`.
fn sse_kms(extra: &str) -> String {
    format!(
        "[[component]]\nid = \"bucket\"\nkind = \"s3\"\nencryption = \"sse-kms\"\nkms = \"keys\"\n{extra}\n[[component]]\nid = \"keys\"\nkind = \"kms\"\n"
    )
}

#[test]
fn sse_kms_makes_one_kms_call_per_get_and_put() {
    // aws-facts: §12 KMS: every SSE-KMS GET (Decrypt) and PUT (GenerateDataKey) is a KMS
    // request; a DELETE has no body and makes none. 300 PUTs, 300 GETs and 100 DELETEs a
    // second for 10 s, well under KMS's 5,500/s: 2,999 + 2,999 calls, each answered.
    let s = run(&scenario(
        "10s",
        "0s",
        &[
            ("up", "put", 300),
            ("down", "get", 300),
            ("rm", "delete", 100),
        ],
        &sse_kms(""),
    ));
    assert_eq!(num(&s, "components.keys.requests"), 5_998.0);
    assert_eq!(num(&s, "components.bucket.kms.calls"), 5_998.0);
    assert_eq!(num(&s, "components.bucket.kms.reused"), 0.0);
    assert_eq!(num(&s, "components.bucket.by_status.200"), 5_998.0 + 999.0);
}

#[test]
fn a_list_is_priced_with_puts_and_decrypts_nothing() {
    // A LIST returns keys, not an object: SSE-KMS calls no KMS for it, and S3's price page
    // bills it with PUT, COPY and POST at $0.005 per 1,000 (a GET is $0.0004). 100 LISTs a
    // second for 10 s: 999, all answered, $0.004995 with nothing stored.
    let s = run(&scenario("10s", "0s", &[("ls", "list", 100)], &sse_kms("")));
    assert_eq!(num(&s, "components.bucket.by_status.200"), 999.0);
    assert_eq!(num(&s, "components.bucket.kms.calls"), 0.0);
    assert_eq!(num(&s, "components.keys.requests"), 0.0);
    let cost = num(&s, "components.bucket.cost_usd");
    assert!((cost - 999.0 * 0.005 / 1000.0).abs() < 1e-12, "{cost}");
}

#[test]
fn bucket_keys_cut_kms_calls_to_one_per_requester_and_period() {
    // s3:bucket-key.html: a bucket-level key is fetched at least once per requester and kept
    // for a limited time. One requester, 100 PUTs and 100 GETs a second for 10 s, the key kept
    // 1 s: each side fetches a key about once a second, 10 each, so about 20 calls instead of
    // 1,998. A request that arrives while its side's key is being fetched calls too, but
    // KMS takes about 3 ms (p99 10 ms) and a request comes every 10 ms: about 1 % of the 20
    // fetches let one more in, so 20, rarely 21.
    let s = run(&scenario(
        "10s",
        "0s",
        &[("up", "put", 100), ("down", "get", 100)],
        &sse_kms("bucket_key = true\nbucket_key_period = \"1s\""),
    ));
    let calls = num(&s, "components.bucket.kms.calls");
    assert!((20.0..=21.0).contains(&calls), "{calls}");
    assert_eq!(num(&s, "components.keys.requests"), calls);
    assert_eq!(num(&s, "components.bucket.kms.reused"), 1_998.0 - calls);
}

#[test]
fn kms_throttles_sse_kms_uploads_and_bucket_keys_end_it() {
    // 8,000 PUTs/s over 16 random prefixes already partitioned (no SlowDown: 500/s each)
    // against KMS's 5,500/s: without a Bucket Key, KMS throttles a third of the
    // GenerateDataKey calls and S3 retries them (the SDK's standard mode); with one, a
    // handful of calls in all, nothing throttled.
    let split = "prefixes = 16\npartitions = 16\n";
    let s = run(&scenario(
        "20s",
        "5s",
        &[("up", "put", 8_000)],
        &sse_kms(split),
    ));
    // First attempts alone exceed the quota by 2,500/s over the 15 measured seconds.
    assert!(num(&s, "components.keys.throttles") >= 37_000.0);
    assert!(num(&s, "components.bucket.kms.attempts") > num(&s, "components.bucket.kms.calls"));
    // The uploads KMS left without a key are answered 503, not for S3's own limits: their
    // share has its own figure (and column), S3's SlowDown share stays 0.
    let failed = num(&s, "components.bucket.kms_failures");
    assert!(failed > 0.0);
    let share = num(&s, "components.bucket.kms_failure_fraction");
    assert_eq!(share, failed / num(&s, "components.bucket.requests"));
    assert_eq!(num(&s, "components.bucket.slowdown_fraction"), 0.0);
    let s = run(&scenario(
        "20s",
        "5s",
        &[("up", "put", 8_000)],
        &sse_kms(&format!("{split}bucket_key = true")),
    ));
    assert_eq!(num(&s, "components.keys.throttles"), 0.0);
    assert_eq!(num(&s, "components.bucket.slowdowns"), 0.0);
    assert!(num(&s, "components.keys.requests") <= 5.0);
}

#[test]
fn a_component_given_kms_decrypts_each_request_or_reuses_a_cached_key() {
    // Any component may name a KMS component: each request it handles first calls Decrypt.
    // 100 requests/s for 10 s to a service: 999 calls. With the Encryption SDK's cache (a
    // key serves at most 10 messages and 1 s), one call per 10 requests (a tenth of a second
    // at 100/s, so the age never ends a key): 999 / 10, 100 calls, the others reused; as
    // with Bucket Keys, a request that arrives while a key is being fetched (about 3 ms, p99
    // 10 ms, against requests 10 ms apart: about 1 % of the 100 fetches) calls too.
    let text = |cache: &str| {
        format!(
            "[scenario]\nduration = \"10s\"\n[network]\nsame_az = \"0s\"\n[[workload]]\nname = \"u\"\ntarget = \"app\"\narrival = {{ process = \"constant\", rate = 100 }}\n[[component]]\nid = \"app\"\nkind = \"service\"\nservers = 4\nservice_time = \"5ms\"\nkms = \"keys\"\n{cache}\n[[component]]\nid = \"keys\"\nkind = \"kms\"\n"
        )
    };
    let s = run(&text(""));
    assert_eq!(num(&s, "components.app.kms.calls"), 999.0);
    assert_eq!(num(&s, "components.keys.requests"), 999.0);
    assert_eq!(num(&s, "components.app.completed"), 999.0);
    let s = run(&text("kms_cache = { max_age = \"1s\", max_messages = 10 }"));
    let calls = num(&s, "components.app.kms.calls");
    assert!((100.0..=102.0).contains(&calls), "{calls}");
    assert_eq!(num(&s, "components.app.kms.reused"), 999.0 - calls);
}

/// A Lambda function whose environment variables are encrypted under `keys`'s key, behind a
/// workload of `rate` requests a second, and `keys`; `fault` is added as written.
fn lambda_with_kms(rate: u32, fault: &str) -> String {
    format!(
        "[scenario]\nduration = \"20s\"\n[network]\nsame_az = \"0s\"\n[[workload]]\nname = \"u\"\ntarget = \"fn\"\narrival = {{ process = \"poisson\", rate = {rate} }}\nretry = {{ attempts = 1 }}\n[[component]]\nid = \"fn\"\nkind = \"lambda\"\ninit = \"200ms\"\nwork = \"50ms\"\nkms = \"keys\"\n[[component]]\nid = \"keys\"\nkind = \"kms\"\n{fault}"
    )
}

#[test]
fn a_lambda_cold_start_decrypts_its_environment_and_fails_without_it() {
    // aws-facts: §12 KMS: Lambda's environment-variable decrypts are KMS requests: one per
    // cold start, none for a warm invocation.
    let s = run(&lambda_with_kms(200, ""));
    let cold = num(&s, "components.fn.cold_starts");
    assert!(cold >= 10.0, "{cold}");
    assert_eq!(num(&s, "components.fn.kms.calls"), cold);
    assert_eq!(num(&s, "components.keys.requests"), cold);
    assert_eq!(num(&s, "requests.by_status.200"), num(&s, "requests.total"));
    // KMS failing every call (500): no cold start gets its variables, so every invocation is
    // answered 502 (Lambda's KMS errors are 502), and its environment is discarded, so every
    // invocation is a cold start. The SDK retries a 500 until its retry quota is spent
    // (aws-facts: §7 retry quota: 500 tokens, 14 a transient retry, none refunded with no
    // success): 35 retries in all.
    let fault =
        "[[fault]]\nat = \"0s\"\nkind = \"error_injection\"\ntarget = \"keys\"\nrate = 1.0\n";
    let s = run(&lambda_with_kms(20, fault));
    let requests = num(&s, "requests.total");
    assert_eq!(num(&s, "requests.by_status.502"), requests);
    assert_eq!(num(&s, "components.fn.cold_starts"), requests);
    assert_eq!(num(&s, "components.fn.kms.failed"), requests);
    assert_eq!(num(&s, "components.fn.kms.attempts"), requests + 35.0);
}
