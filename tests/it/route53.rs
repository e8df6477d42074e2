//! Route 53 and regions against their documented behaviour (aws-facts §10, §13): the
//! cross-region hop, a region's outage, health checks' detection time, clients following
//! within the TTL (or not, when they ignore it), weighted shares.

use crate::{num, per_seed, run};

/// A workload of `rate` requests/s for `duration` to `dns`, a Route 53 name with `dns`'s
/// own keys, routing to two services `primary` (region us-east-1) and `secondary`
/// (us-west-2), then `rest` (faults).
fn two_regions(duration: &str, rate: u32, dns: &str, rest: &str) -> String {
    format!(
        r#"[scenario]
duration = "{duration}"
seed = 3
seeds = 5
[network]
region = "us-east-1"
[[workload]]
name = "users"
target = "dns"
arrival = {{ process = "poisson", rate = {rate} }}
keys = {{ dist = "uniform", count = 1000000 }}
timeout = "1s"
[[component]]
id = "dns"
kind = "route53"
{dns}
[[component]]
id = "primary"
kind = "service"
servers = 100
service_time = "5ms"
[[component]]
id = "secondary"
kind = "service"
region = "us-west-2"
servers = 100
service_time = "5ms"
{rest}"#
    )
}

/// Records to services, which a record cannot alias: their TTL is the component's, set to
/// the 60 s an alias to a load balancer takes (aws-facts: §10).
const FAILOVER: &str = r#"routing = "failover"
records = [{ to = "primary", role = "primary" }, { to = "secondary", role = "secondary" }]
ttl = "60s"
clients = 5000
resolvers = 500
"#;

const PRIMARY_DOWN_AT_60S: &str = r#"[[fault]]
at = "60s"
kind = "component_down"
target = "primary"
"#;

#[test]
fn a_cross_region_hop_takes_the_cross_region_latency() {
    // "a" (us-east-1) calls "b": each takes 1 ms of work. In another region each way of the
    // hop takes the cross-region latency, 20 ms here: a's response time is 1 + 20 + 1 + 20
    // = 42 ms exactly. In a's region (no zones) each way is a same-zone hop of 0.1–0.25 ms,
    // 0.175 ms on average: 2.35 ms, within 0.3 ms whatever the draws.
    let text = |b_region: &str| {
        format!(
            r#"[scenario]
duration = "20s"
[network]
region = "us-east-1"
cross_region = "20ms"
[[workload]]
name = "u"
target = "a"
arrival = {{ process = "constant", rate = 10 }}
[[component]]
id = "a"
kind = "service"
servers = 10
service_time = "1ms"
calls = [{{ to = "b" }}]
[[component]]
id = "b"
kind = "service"
region = "{b_region}"
servers = 10
service_time = "1ms"
"#
        )
    };
    let far = run(&text("eu-west-1"));
    let ms = num(&far, "components.a.response_ms.mean");
    assert!((ms - 42.0).abs() < 1e-6, "cross-region: {ms} ms");
    let near = run(&text("us-east-1"));
    let ms = num(&near, "components.a.response_ms.mean");
    assert!((ms - 2.35).abs() < 0.03, "same region: {ms} ms");
}

#[test]
fn a_region_outage_takes_every_component_of_the_region_and_no_other() {
    // Two services in us-east-1 (one in a zone, one regional) and one in us-west-2, each fed
    // 100 requests/s for 30 s; us-east-1 is down from 10 s to 20 s. Each east service loses
    // the 10 s of its traffic, 1,000 requests that time out (1 s client timeout), give or take
    // one at the edges; the west one loses none.
    let s = run(r#"[scenario]
duration = "30s"
[network]
region = "us-east-1"
[[workload]]
name = "e1"
target = "east-zoned"
arrival = { process = "constant", rate = 100 }
timeout = "1s"
[[workload]]
name = "e2"
target = "east-regional"
arrival = { process = "constant", rate = 100 }
timeout = "1s"
[[workload]]
name = "w"
target = "west"
arrival = { process = "constant", rate = 100 }
timeout = "1s"
[[component]]
id = "east-zoned"
kind = "service"
az = "us-east-1a"
servers = 10
service_time = "1ms"
[[component]]
id = "east-regional"
kind = "service"
servers = 10
service_time = "1ms"
[[component]]
id = "west"
kind = "service"
region = "us-west-2"
az = "us-west-2a"
servers = 10
service_time = "1ms"
[[fault]]
at = "10s"
for = "10s"
kind = "region_outage"
region = "us-east-1"
"#);
    for w in ["e1", "e2"] {
        let lost = num(&s, &format!("workloads.{w}.requests.by_status.timeout"));
        assert!((999.0..=1001.0).contains(&lost), "{w}: {lost}");
    }
    assert!(archsim::metrics::pointer(&s, "workloads.w.requests.by_status.timeout").is_none());
}

#[test]
fn a_failover_is_detected_within_interval_times_threshold() {
    // aws-facts: §10 health checks: 30 s interval, threshold 3, 15 checkers, healthy while
    // more than 18 % say so. The primary goes down at 60 s; each checker's first probe after
    // that leaves within one interval, (60, 90] s, and fails at its 6 s timeout (4 s to
    // connect, 2 s to answer); its third failure in a row, two intervals later, is known 6 s
    // after it leaves. The checkers are staggered over the interval, checker i at
    // interval × (i + u) / 15, so they fail in turn, and Route 53 flips when the 13th does
    // (2 of 15 = 13 % healthy is no longer above 18 %): checker 12, whose probes leave at
    // 24–26 s into each interval, so its first after 60 s leaves in [84, 86), its third in
    // [144, 146), known in [150, 152). Flipping at the first checker's (126–128 s) or only
    // when all 15 fail (154–156 s) would both miss it.
    let s = run(&two_regions("4m", 50, FAILOVER, PRIMARY_DOWN_AT_60S));
    for at in per_seed(&s, "components.dns.to.primary.unhealthy_at_s") {
        assert!((150.0..=152.05).contains(&at), "detected at {at} s");
    }
    // The secondary was never seen unhealthy.
    for at in per_seed(&s, "components.dns.to.secondary.unhealthy_at_s") {
        assert_eq!(at, -1.0);
    }

    // The fast interval (10 s) and threshold 1: checker 12 probes 8–8.67 s into each
    // interval, its first failed probe leaves in [68, 68.67) and is known 6 s later.
    let fast =
        FAILOVER.to_string() + "health_check = { interval = \"10s\", failure_threshold = 1 }\n";
    let s = run(&two_regions("3m", 50, &fast, PRIMARY_DOWN_AT_60S));
    for at in per_seed(&s, "components.dns.to.primary.unhealthy_at_s") {
        assert!((74.0..=74.72).contains(&at), "detected at {at} s");
    }
}

#[test]
fn clients_follow_within_the_ttl_of_detection() {
    // aws-facts: §10: an alias record to a load balancer takes its 60 s TTL (the records
    // here are to services, with that TTL written: see FAILOVER). Resolvers cache
    // an answer for the TTL and clients keep it as long as their resolver does, so after
    // Route 53 sees the primary unhealthy, the last client that respects the TTL leaves it
    // within 60 s (plus its 1 s timeout, if a request was just sent). With 500 resolvers
    // whose answers expire spread over the TTL, the last one expires close to the end of it:
    // more than 50 s after detection (the chance that all 500 expire in the first 50 s is
    // (5/6)^500, nil).
    let s = run(&two_regions("4m", 50, FAILOVER, PRIMARY_DOWN_AT_60S));
    let detected = per_seed(&s, "components.dns.to.primary.unhealthy_at_s");
    let last = per_seed(&s, "components.dns.to.primary.last_sent_s");
    for (d, l) in detected.iter().zip(&last) {
        assert!(
            *l > d + 50.0 && *l <= d + 61.0,
            "detected {d} s, last sent {l} s"
        );
    }
    // A record that is not an alias takes the component's TTL: 20 s here.
    let short = FAILOVER.replace("ttl = \"60s\"", "ttl = \"20s\"");
    assert_ne!(short, FAILOVER);
    let s = run(&two_regions("4m", 50, &short, PRIMARY_DOWN_AT_60S));
    let detected = per_seed(&s, "components.dns.to.primary.unhealthy_at_s");
    let last = per_seed(&s, "components.dns.to.primary.last_sent_s");
    for (d, l) in detected.iter().zip(&last) {
        assert!(
            *l > d + 15.0 && *l <= d + 21.0,
            "detected {d} s, last sent {l} s"
        );
    }
}

#[test]
fn clients_that_ignore_the_ttl_stay_on_the_failed_target() {
    // 20 % of clients keep their first answer forever (a JVM with a security manager). After
    // the failover, the 80 % move and the 20 % stay: over the last minute (after detection
    // at most at 156 s and the 60 s TTL) the primary still gets a fifth of the requests,
    // and a client that ignores the TTL sends it one until the end (4 m, within the last
    // second at 50 requests/s: 10 a second from those clients).
    let dns = FAILOVER.to_string() + "ignore_ttl = 0.2\n";
    let s = run(&two_regions("5m", 50, &dns, PRIMARY_DOWN_AT_60S));
    for last in per_seed(&s, "components.dns.to.primary.last_sent_ignoring_s") {
        assert!(last > 299.0, "{last}");
    }
    // Over the whole run, the primary's share: all of the first 60 s (minus nothing: warmup
    // is 0), then about 0.2 of the requests after the failover and the whole of them until
    // then: detection in [150, 152) s (see `a_failover_is_detected_within_interval_times_threshold`)
    // and on average half the 60 s TTL after it, 0.2 + 0.8 × (151 + 30)/300 ≈ 0.68.
    let share = num(&s, "components.dns.to.primary.share");
    assert!((0.64..=0.72).contains(&share), "{share}");
    // And without them, nothing reaches the primary after the TTL: see
    // `clients_follow_within_the_ttl_of_detection`; here the ones that ignore it are the
    // only ones left there.
    for (l, d) in per_seed(&s, "components.dns.to.primary.last_sent_s")
        .iter()
        .zip(per_seed(&s, "components.dns.to.primary.unhealthy_at_s"))
    {
        assert!(*l <= d + 61.0, "a client respecting the TTL sent at {l} s");
    }
}

#[test]
fn weighted_routing_splits_by_weight() {
    // aws-facts: §10 weighted: share = weight / sum of weights: 1 and 3, so 25 % and 75 %.
    // Each query draws a record; a resolver's answer then serves its clients for the TTL
    // (1 s here, not an alias), so requests follow the draws of about 5,000 queries a
    // second... fewer: 1,000 requests/s over 100,000 clients sharing 10,000 resolvers, each
    // resolver querying at most once a second. Over 60 s and 5 seeds, some 300,000 requests
    // and tens of thousands of draws: the share's standard error is well under 0.005, and
    // 0.01 is a generous tolerance.
    let dns = r#"routing = "weighted"
records = [{ to = "primary", weight = 1, alias = false }, { to = "secondary", weight = 3, alias = false }]
ttl = "1s"
clients = 100000
resolvers = 10000
"#;
    let s = run(&two_regions("60s", 1000, dns, ""));
    let a = num(&s, "components.dns.to.primary.share");
    let b = num(&s, "components.dns.to.secondary.share");
    assert!((a - 0.25).abs() < 0.01, "{a}");
    assert!((b - 0.75).abs() < 0.01, "{b}");
    // Weight 0 takes nothing while the other record is healthy.
    let zero = dns.replace("weight = 1,", "weight = 0,");
    let s = run(&two_regions("30s", 200, &zero, ""));
    assert_eq!(num(&s, "components.dns.to.primary.requests"), 0.0);
}

#[test]
fn latency_routing_answers_each_client_with_its_own_region() {
    // aws-facts: §10 latency: the record of the region with the lowest latency for the
    // client. Half the clients are in us-east-1 and half in us-west-2: each half is sent to
    // its own region's service, so each gets about half of the requests (clients are split
    // in order, requests spread over them by key: within 0.03 over some 75,000 requests),
    // and no request crosses regions: the slowest success takes the 5 ms of work and at
    // most a lookup (a resolver's 5 ms and a query's 30 ms), 40 ms, short of the 60 ms of a
    // cross-region round trip alone.
    let dns = r#"routing = "latency"
records = [{ to = "primary" }, { to = "secondary" }]
ttl = "60s"
client_regions = [{ region = "us-east-1", weight = 1 }, { region = "us-west-2", weight = 1 }]
clients = 5000
resolvers = 500
"#;
    let s = run(&two_regions("60s", 250, dns, ""));
    let east = num(&s, "components.dns.to.primary.share");
    assert!((east - 0.5).abs() < 0.03, "{east}");
    let max = num(&s, "components.dns.response_ms.max");
    assert!(max <= 40.0 + 1e-6, "{max} ms");

    // When us-east-1's service fails, its clients are sent to us-west-2 once Route 53 sees
    // it (within 156 s, see above) and their TTL has run out (60 s): then every request
    // goes west, and those of east clients cross regions, taking at least 5 + 2 × 30 ms.
    let s = run(&two_regions("5m", 250, dns, PRIMARY_DOWN_AT_60S));
    for last in per_seed(&s, "components.dns.to.primary.last_sent_s") {
        assert!(last <= 156.0 + 61.0, "{last}");
    }
    let max = num(&s, "components.dns.response_ms.max");
    assert!(max >= 65.0, "{max} ms");
}

#[test]
fn an_alias_to_a_cloudfront_distribution_in_front_of_a_bucket_bills_no_queries() {
    // The notes' static website: a name aliased to a distribution whose origin is a bucket.
    // 100 requests/s for 100 s over 10 keys: CloudFront's one edge fetches each key once
    // (max-age 1 h), so the bucket answers 10 GETs and every request ends 200. Queries of an
    // alias to an AWS resource are free (Route 53's price page): the name costs its hosted
    // zone alone, $0.50 a month × 100 s / 730 h = $0.0000190, though resolvers did query it
    // (a request's client, hence its resolver, follows from its key: with 10 keys, a few
    // resolvers, each asking again after the 60 s TTL). With `alias = false` every query is
    // billed at $0.40 a million on top of the hosted zone.
    let text = |alias: &str| {
        format!(
            r#"[scenario]
duration = "100s"
warmup = "0s"
seed = 2
[[workload]]
name = "viewers"
target = "www"
arrival = {{ process = "poisson", rate = 100 }}
keys = {{ dist = "uniform", count = 10 }}
timeout = "5s"
[[component]]
id = "www"
kind = "route53"
records = [{{ to = "cdn"{alias} }}]
clients = 500
resolvers = 50
[[component]]
id = "cdn"
kind = "cloudfront"
origin = "site"
max_age = "1h"
[[component]]
id = "site"
kind = "s3"
"#
        )
    };
    let s = run(&text(""));
    let total = num(&s, "requests.total");
    assert!(total > 9_000.0, "{total}");
    assert_eq!(num(&s, "requests.by_status.200"), total);
    assert_eq!(num(&s, "components.site.requests"), 10.0);
    let hosted_zone = 0.50 * 100.0 / (730.0 * 3600.0);
    let usd = num(&s, "components.www.cost_usd");
    assert!(
        (usd - hosted_zone).abs() < 1e-12,
        "{usd} against {hosted_zone}"
    );
    let queries = num(&s, "components.www.queries");
    assert!(queries >= 1.0, "{queries}");
    let billed = run(&text(", alias = false"));
    let extra = num(&billed, "components.www.cost_usd") - hosted_zone;
    let queries = num(&billed, "components.www.queries");
    assert!(
        (extra - 0.40 * queries / 1e6).abs() < 1e-12,
        "{extra} for {queries}"
    );
    assert!(queries >= 1.0, "{queries}");
}

#[test]
fn a_record_aliases_only_what_route53_can_alias() {
    // aws-facts: §10: alias records point at AWS resources (a load balancer here, TTL 60 s);
    // a record to anything else (a service standing for an instance) is a plain record with
    // the component's TTL (300 s by default), and an alias written to one is refused.
    let dns = |records: &str| {
        format!(
            "[scenario]\nduration = \"10s\"\n[[workload]]\nname = \"u\"\ntarget = \"dns\"\n\
             arrival = {{ process = \"poisson\", rate = 10 }}\n\
             [[component]]\nid = \"dns\"\nkind = \"route53\"\nrouting = \"weighted\"\n\
             records = [{records}]\n\
             [[component]]\nid = \"alb\"\nkind = \"load_balancer\"\ntargets = [\"web\"]\n\
             [[component]]\nid = \"web\"\nkind = \"service\"\nservice_time = \"5ms\"\n"
        )
    };
    let sc = crate::scenario(&dns(
        "{ to = \"alb\", weight = 1 }, { to = \"web\", weight = 1 }",
    ));
    let dot = archsim::report::diagram::dot(&sc);
    assert!(
        dot.contains("weighted routing\\nrecord 1: alb (weight 1, TTL 60 s)\\nrecord 2: web (weight 1, TTL 300 s)"),
        "{dot}"
    );
    let text = dns("{ to = \"alb\", weight = 1 }, { to = \"web\", weight = 1, alias = true }");
    let err = archsim::scenario::parse(std::path::Path::new("d.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"web\" is a service, which a record cannot alias"),
        "{err}"
    );
}

#[test]
fn a_request_sent_on_waits_as_long_as_its_clients_do() {
    let waits = |text: &str| record_waits(text).swap_remove(0);
    // The users wait 1 s: a request sent on waits as long, so that a target that vanished
    // holds nothing after the client gave up.
    assert_eq!(waits(&two_regions("1m", 10, FAILOVER, "")), [Some(1.0); 2]);
    // Two workloads: the longer wait, 3 s.
    let batch = "[[workload]]\nname = \"batch\"\ntarget = \"dns\"\narrival = { process = \"poisson\", rate = 1 }\ntimeout = \"3s\"\n";
    assert_eq!(
        waits(&two_regions("1m", 10, FAILOVER, batch)),
        [Some(3.0); 2]
    );
    // One that waits without end: Route 53's own default, 60 s.
    let endless = two_regions("1m", 10, FAILOVER, "").replace("timeout = \"1s\"\n", "");
    assert_eq!(waits(&endless), [Some(60.0); 2]);
    // A `timeout` written is kept.
    let written = FAILOVER.to_string() + "timeout = \"10s\"\n";
    assert_eq!(waits(&two_regions("1m", 10, &written, "")), [Some(10.0); 2]);
}

#[test]
fn a_name_whose_record_is_another_name_passes_its_clients_wait_on() {
    // The users wait 1 s; "outer" sends them to "inner", which sends them to the service:
    // both names' calls wait 1 s, the inner one too (it hears the outer one's settled wait,
    // not its 60 s default).
    let text = r#"[scenario]
duration = "1m"
[[workload]]
name = "users"
target = "outer"
arrival = { process = "poisson", rate = 10 }
timeout = "1s"
[[component]]
id = "inner"
kind = "route53"
records = [{ to = "web" }]
[[component]]
id = "outer"
kind = "route53"
records = [{ to = "inner" }]
[[component]]
id = "web"
kind = "service"
service_time = "5ms"
"#;
    let waits = record_waits(text);
    assert_eq!(waits[0], [Some(1.0)], "inner");
    assert_eq!(waits[1], [Some(1.0)], "outer");
}

/// What each component's calls wait for, in seconds, call by call, in the scenario `text` as
/// read (its defaults settled).
fn record_waits(text: &str) -> Vec<Vec<Option<f64>>> {
    let all = archsim::scenario::parse_all(
        std::path::Path::new("dns.toml"),
        text,
        &Default::default(),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    all[0]
        .components
        .iter()
        .map(|c| {
            c.spec
                .calls()
                .iter()
                .map(|c| c.timeout.map(|t| t.as_secs_f64()))
                .collect()
        })
        .collect()
}

#[test]
fn the_charts_name_each_record_by_its_target_and_part() {
    // "record 1" and "record 2" said nothing a lecturer's class could read: the legend
    // names the records' targets and their failover roles (or weights).
    let dir = tempfile::tempdir().unwrap();
    let text =
        two_regions("2m", 20, FAILOVER, PRIMARY_DOWN_AT_60S).replace("seeds = 5", "seeds = 1");
    std::fs::write(dir.path().join("r53.toml"), text).unwrap();
    crate::archsim_ok(&["run", "r53.toml", "--out", "out", "-q"], dir.path());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/r53/summary.json")).unwrap())
            .unwrap();
    assert_eq!(
        summary["legend"]["dns"]["record_1_share"],
        "primary (primary)"
    );
    assert_eq!(
        summary["legend"]["dns"]["record_2_healthy"],
        "secondary (secondary)"
    );
    let svg = std::fs::read_to_string(dir.path().join("out/r53/component-dns.svg")).unwrap();
    assert!(svg.contains("primary (primary)") && svg.contains("secondary (secondary)"));
    assert!(!svg.contains("record 1"), "{svg}");
}
