//! KMS against its documented behaviour (aws-facts §12): the account's shared
//! symmetric-crypto quota, its throttle (400) and the SDKs' retries of it.

use crate::{num, run};

/// A scenario of `duration` with one workload per (name, target, rate), each retrying as
/// `retry` says, and the `kms` components `components`.
fn scenario(
    duration: &str,
    workloads: &[(&str, &str, u32)],
    retry: &str,
    components: &str,
) -> String {
    let mut text = format!("[scenario]\nduration = \"{duration}\"\n[network]\nsame_az = \"0s\"\n");
    for (name, target, rate) in workloads {
        text += &format!(
            "[[workload]]\nname = \"{name}\"\ntarget = \"{target}\"\narrival = {{ process = \"constant\", rate = {rate} }}\nretry = {retry}\n"
        );
    }
    text + components
}

const ONE: &str = "[[component]]\nid = \"keys\"\nkind = \"kms\"\n";

#[test]
fn the_quota_admits_exactly_its_rate() {
    // aws-facts: §12 KMS: 5,500 requests/s by default, metered by default in whole
    // one-second windows (`kms:throttling.html`: requests over the quota "in a second" are
    // throttled for the rest of that second). 8,000/s for 20 s, no retries: 5,500 in each of
    // the 20 seconds, 110,000 exactly. Arrivals come at k / 8,000 s for k ≥ 1, so the last
    // one is 1/8,000 s before the end: 159,999 of them.
    let s = run(&scenario(
        "20s",
        &[("u", "keys", 8_000)],
        "{ attempts = 1 }",
        ONE,
    ));
    let requests = num(&s, "components.keys.requests");
    assert_eq!(requests, 159_999.0);
    let ok = num(&s, "components.keys.by_status.200");
    assert_eq!(ok, 110_000.0);
    assert_eq!(num(&s, "components.keys.by_status.400"), requests - ok);
    assert_eq!(num(&s, "components.keys.throttles"), requests - ok);
    assert_eq!(num(&s, "components.keys.quota_rps"), 5_500.0);

    // A token bucket, the other choice: it starts full with one second's worth (5,500) and
    // refills at 5,500/s, so over the run it admits 5,500 × 20 + 5,500 = 115,500 (it empties
    // at 5,500 / (8,000 − 5,500) = 2.2 s, well inside the run), less at most 3: the refill
    // up to the last arrival is a fraction of a token short of 5,500 × 20.
    let bucket = format!("{ONE}quota_enforcement = \"token_bucket\"\n");
    let s = run(&scenario(
        "20s",
        &[("u", "keys", 8_000)],
        "{ attempts = 1 }",
        &bucket,
    ));
    let ok = num(&s, "components.keys.by_status.200");
    assert!((115_497.0..=115_500.0).contains(&ok), "{ok}");

    // aws-facts: §12 KMS: 10,000/s in the larger Regions: 8,000/s all pass.
    let large = format!("{ONE}region_class = \"large\"\n");
    let s = run(&scenario(
        "20s",
        &[("u", "keys", 8_000)],
        "{ attempts = 1 }",
        &large,
    ));
    assert_eq!(num(&s, "components.keys.throttles"), 0.0);
    assert_eq!(num(&s, "components.keys.quota_rps"), 10_000.0);
}

#[test]
fn the_quota_is_the_one_of_the_regions_name_unless_written() {
    // aws-facts: §12 KMS names the Regions of each quota: 10,000/s in us-east-2 (among
    // others), 50,000/s in us-east-1 (among others), 5,500/s elsewhere.
    let quota = |region: &str, extra: &str| {
        let text = scenario("2s", &[("u", "keys", 100)], "{ attempts = 1 }", ONE).replacen(
            "[network]\n",
            &format!("[network]\nregion = \"{region}\"\n"),
            1,
        ) + extra;
        num(&run(&text), "components.keys.quota_rps")
    };
    assert_eq!(quota("us-east-2", ""), 10_000.0);
    assert_eq!(quota("eu-west-1", ""), 50_000.0);
    assert_eq!(quota("sa-east-1", ""), 5_500.0);
    // Written, the class wins over the Region's name.
    assert_eq!(quota("us-east-1", "region_class = \"standard\"\n"), 5_500.0);
}

#[test]
fn two_kms_components_share_the_one_account_quota() {
    // Each offers 4,000/s, below the 5,500/s quota on its own; together 8,000/s draw on the
    // account's one quota, which admits 5,500 in each of the 20 seconds between them
    // (110,000, as in `the_quota_admits_exactly_its_rate`). Two separate quotas would admit
    // all 160,000.
    let two =
        "[[component]]\nid = \"a\"\nkind = \"kms\"\n[[component]]\nid = \"b\"\nkind = \"kms\"\n";
    let s = run(&scenario(
        "20s",
        &[("ua", "a", 4_000), ("ub", "b", 4_000)],
        "{ attempts = 1 }",
        two,
    ));
    let ok = num(&s, "components.a.by_status.200") + num(&s, "components.b.by_status.200");
    assert_eq!(ok, 110_000.0);
    let throttles = num(&s, "components.a.throttles") + num(&s, "components.b.throttles");
    let requests = num(&s, "components.a.requests") + num(&s, "components.b.requests");
    assert_eq!(throttles, requests - ok);
    // The two workloads' arrivals coincide: each second's first 5,500 are 2,750 of each,
    // so each has 55,000 of its 79,999 admitted and 24,999 refused.
    for c in ["a", "b"] {
        assert_eq!(
            num(&s, &format!("components.{c}.throttles")),
            24_999.0,
            "{c}"
        );
    }
}

#[test]
fn throttles_are_400_and_an_sdk_retries_them() {
    // 6,000/s against 5,500/s: after the first second's burst is spent (at 5,500 / 500 = 11 s)
    // a twelfth of the calls is refused with 400. An SDK client (standard mode) retries a
    // ThrottlingException as a throttle (aws-facts: §12 KMS, §7 SDK retries): its retries
    // are the kms's 400s it did not give up on. A 400 from a generic service is not retried
    // (`retry.rs`), so retries here come from the kind's SDK declaration.
    let s = run(&scenario(
        "60s",
        &[("u", "keys", 6_000)],
        "{ sdk = \"standard\" }",
        ONE,
    ));
    let throttles = num(&s, "components.keys.throttles");
    assert!(throttles > 1_000.0, "{throttles}");
    assert_eq!(num(&s, "components.keys.by_status.400"), throttles);
    let retries = num(&s, "requests.retries");
    assert!(retries >= 100.0, "{retries}");
    // Each 400 at the kms is either retried or, the retry quota spent, given up as the
    // request's answer: retries plus final 400s make up the throttles (within 1 %, for the
    // attempts that outlive the measured period at one end or the other).
    let given_up = num(&s, "requests.by_status.400");
    assert!(given_up < throttles, "{given_up}");
    let sum = retries + given_up;
    assert!(
        (sum - throttles).abs() <= 0.01 * throttles,
        "{sum} vs {throttles}"
    );
    // The same client told to make one attempt retries nothing.
    let s = run(&scenario(
        "60s",
        &[("u", "keys", 6_000)],
        "{ attempts = 1 }",
        ONE,
    ));
    assert_eq!(num(&s, "requests.retries"), 0.0);
    assert_eq!(
        num(&s, "requests.by_status.400"),
        num(&s, "components.keys.throttles")
    );
}

#[test]
fn each_region_has_its_own_quota() {
    // aws-facts §12: one quota per account and Region. Two KMS components in two Regions,
    // each called 4,000 times a second, one against a standard 5,500/s and one against a
    // large 10,000/s: neither throttles (one quota for both would: 8,000/s), and the two may
    // state their quotas differently.
    let region = |id: &str, region: &str, class: &str| {
        format!(
            r#"
            [[workload]]
            name = "{id}"
            target = "app-{id}"
            arrival = {{ process = "constant", rate = 4000 }}
            [[component]]
            id = "app-{id}"
            kind = "service"
            region = "{region}"
            servers = 100
            service_time = "1ms"
            calls = [ {{ to = "kms-{id}" }} ]
            [[component]]
            id = "kms-{id}"
            kind = "kms"
            region = "{region}"
            region_class = "{class}"
            "#
        )
    };
    let s = crate::run(&format!(
        "[scenario]\nduration = \"20s\"\n{}{}",
        region("east", "us-east-1", "standard"),
        region("west", "eu-west-2", "large")
    ));
    for id in ["east", "west"] {
        assert_eq!(
            num(&s, &format!("components.kms-{id}.throttles")),
            0.0,
            "{id}"
        );
        assert!(
            num(&s, &format!("components.kms-{id}.requests")) > 70_000.0,
            "{id}"
        );
    }
}

#[test]
fn accepted_requests_and_customer_managed_keys_are_billed_at_kms_prices() {
    // AWS's KMS pricing page: $0.03 per 10,000 symmetric requests and $1.00 a month per
    // customer managed key, prorated (a month of 730 hours). 8,000/s for 20 s against the
    // 5,500/s quota: 110,000 accepted (`the_quota_admits_exactly_its_rate`), the 49,999
    // throttled not billed. One key by default: 20 s of a month.
    let month_s = 730.0 * 3600.0;
    let cost = |keys: &str| {
        let s = run(&scenario(
            "20s",
            &[("u", "keys", 8_000)],
            "{ attempts = 1 }",
            &format!("{ONE}{keys}"),
        ));
        num(&s, "components.keys.cost_usd")
    };
    let requests = 110_000.0 * 0.03 / 10_000.0;
    let one = cost("");
    assert!((one - (requests + 20.0 / month_s)).abs() < 1e-9, "{one}");
    // AWS managed keys (aws/s3) cost nothing a month: requests alone.
    let managed = cost("customer_managed_keys = 0\n");
    assert!((managed - requests).abs() < 1e-9, "{managed}");
    let three = cost("customer_managed_keys = 3\n");
    assert!(
        (three - (requests + 60.0 / month_s)).abs() < 1e-9,
        "{three}"
    );
}
