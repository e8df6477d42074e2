//! CloudFront against its documented behaviour (aws-facts §9): TTL caches per edge, the
//! cache policy's TTL bounds on the origin's max-age, collapsed misses, origin timeouts ending
//! in 504, serve-stale on origin errors, regional edge caches (and the proxy methods that go
//! past them), and Origin Shield.

use crate::{assert_theory, num, per_seed, pointer_absent, run, ttl_cache_hit_ratio};

/// A scenario of `duration` (no warmup unless `extra_scenario` says so) whose workload sends
/// `arrival` over `keys` to a distribution `cdn` (`cdn_keys` added to its table) in front of
/// a `service` origin whose work takes `origin_time`. Every latency is zero unless the keys
/// given say otherwise, so that the figures are the caches' alone.
fn scenario(
    duration: &str,
    extra_scenario: &str,
    arrival: &str,
    keys: &str,
    cdn_keys: &str,
    origin_time: &str,
    faults: &str,
) -> String {
    format!(
        r#"
        [scenario]
        duration = "{duration}"
        {extra_scenario}
        [network]
        same_az = "0s"
        [[workload]]
        name = "viewers"
        target = "cdn"
        arrival = {arrival}
        keys = {keys}
        timeout = "5m"
        [[component]]
        id = "cdn"
        kind = "cloudfront"
        origin = "bucket"
        hit_latency = "0s"
        tier_latency = "0s"
        origin_latency = "0s"
        {cdn_keys}
        [[component]]
        id = "bucket"
        kind = "service"
        servers = 1000
        service_time = "{origin_time}"
        {faults}
        "#
    )
}

const ONE_KEY: &str = r#"{ dist = "uniform", count = 1 }"#;

/// One key, Poisson arrivals at `rate`, for an hour after a minute's warmup, five seeds.
fn poisson_one_key(rate: f64, cdn_keys: &str) -> String {
    scenario(
        "61m",
        "warmup = \"1m\"\nseeds = 5",
        &format!("{{ process = \"poisson\", rate = {rate} }}"),
        ONE_KEY,
        cdn_keys,
        "0s",
        "",
    )
}

#[test]
fn each_edges_hit_ratio_follows_the_ttl_cache_formula() {
    // A TTL cache fed Poisson requests at rate λ for one key: a miss fills it, every request
    // in the next T seconds hits, and the first request after that misses again. By the
    // memoryless property the wait for it is exponential with mean 1/λ, so a cycle holds on
    // average λT hits and one miss: hit ratio λT / (1 + λT). Viewers spread over edges at
    // random split the Poisson stream into independent Poisson streams of rate w·λ, each
    // edge a cache of its own. Here λ = 10/s, T = 1 s (the origin's max-age), weights 3 : 1:
    // edge "near" 7.5/s → 7.5 / 8.5 = 0.8824, edge "far" 2.5/s → 2.5 / 3.5 = 0.7143.
    // Tolerance: an hour of "far" is about 2,600 cycles a seed, its ratio within about
    // ±0.006 (1 %) per seed; the 99 % interval over five seeds must lie within 3 %.
    // Each edge has a regional edge cache of its own (edge i to cache i mod 2): an edge's copy
    // keeps the expiry it has there, and only that edge fills it, so the two go stale
    // together and the pair is one TTL cache. (One regional cache shared by both would hand
    // each edge the other's fetches, and their expiries.)
    let s = run(&poisson_one_key(
        10.0,
        r#"max_age = "1s"
        regional_caches = 2
        edge_locations = [ { name = "near", weight = 3 }, { name = "far", weight = 1 } ]"#,
    ));
    for (edge, rate) in [("near", 7.5), ("far", 2.5)] {
        assert_theory(
            &format!("edge {edge}'s hit ratio"),
            &per_seed(&s, &format!("components.cdn.edge_hit_ratio.{edge}")),
            rate / (1.0 + rate),
            0.03,
        );
    }
    // The spread is the two edges' figures.
    let lo = num(&s, "components.cdn.edge_hit_ratio_min");
    let hi = num(&s, "components.cdn.edge_hit_ratio_max");
    assert!(
        (0.69..0.74).contains(&lo) && (0.86..0.90).contains(&hi),
        "{lo} {hi}"
    );
    // One edge taking all 10/s, behind the default single regional cache (a pair, as
    // above): 10 / 11 = 0.9091.
    let s = run(&poisson_one_key(10.0, "max_age = \"1s\""));
    assert_theory(
        "one edge's hit ratio",
        &per_seed(&s, "components.cdn.hit_ratio"),
        10.0 / 11.0,
        0.03,
    );
}

/// One key requested once a second (at 1 s, 2 s, …) for 300 s, with `cdn_keys`: how many
/// requests reached the origin.
fn origin_requests_once_a_second(cdn_keys: &str) -> f64 {
    let s = run(&scenario(
        "300s",
        "warmup = \"0s\"",
        r#"{ process = "constant", rate = 1 }"#,
        ONE_KEY,
        cdn_keys,
        "0s",
        "",
    ));
    // 299 requests, at 1 s … 299 s.
    assert_eq!(num(&s, "components.cdn.requests"), 299.0);
    assert_eq!(
        num(&s, "components.cdn.origin_requests"),
        num(&s, "components.bucket.arrivals")
    );
    num(&s, "components.cdn.origin_requests")
}

#[test]
fn min_and_max_ttl_hold_the_origins_max_age() {
    // aws-facts: §9 TTLs: the origin's max-age is honoured within [MinTTL, MaxTTL]; DefaultTTL
    // applies when it sends none. With zero latencies an object fetched at t is fresh until
    // t + TTL exactly (a request at that instant misses), so the misses fall at 1 s, 1 + TTL,
    // 1 + 2·TTL, … below 300 s: ⌈299 / TTL⌉ of them.
    // max-age 10 s within the defaults [0, 1 year]: TTL 10 s → 1, 11, …, 291: 30.
    assert_eq!(origin_requests_once_a_second("max_age = \"10s\""), 30.0);
    // MinTTL 30 s lifts it: 1, 31, …, 271: 10.
    assert_eq!(
        origin_requests_once_a_second("max_age = \"10s\"\nmin_ttl = \"30s\"\ndefault_ttl = \"1m\""),
        10.0
    );
    // MaxTTL 5 s lowers it: 1, 6, …, 296: 60.
    assert_eq!(
        origin_requests_once_a_second("max_age = \"10s\"\ndefault_ttl = \"5s\"\nmax_ttl = \"5s\""),
        60.0
    );
    // No max-age from the origin: DefaultTTL 20 s → 1, 21, …, 281: 15.
    assert_eq!(origin_requests_once_a_second("default_ttl = \"20s\""), 15.0);
    // An operation's own max-age (here 50 s for the workload's "read") overrides the general
    // one: 1, 51, …, 251: 6.
    assert_eq!(
        origin_requests_once_a_second(
            "max_age = \"10s\"\nmax_age_by_op = [ { op = \"read\", max_age = \"50s\" } ]"
        ),
        6.0
    );
}

#[test]
fn concurrent_misses_for_a_key_make_one_origin_request() {
    // One key at 100/s (k / 100 s), an origin that takes 2 s, max-age 1 hour. The first
    // request (0.01 s) misses and goes to the origin; the object arrives at 2.01 s. Those
    // between (0.02 … 2.00 s: 199, or 200 with the one at 2.01 s if it comes before the
    // answer in the same instant) miss too but wait for that one fetch. All later ones hit.
    // Over 10 s: 999 requests, one origin request.
    let text = |cdn_keys: &str| {
        scenario(
            "10s",
            "warmup = \"0s\"",
            r#"{ process = "constant", rate = 100 }"#,
            ONE_KEY,
            cdn_keys,
            "2s",
            "",
        )
    };
    let s = run(&text("max_age = \"1h\""));
    assert_eq!(num(&s, "components.cdn.requests"), 999.0);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
    assert_eq!(num(&s, "components.bucket.arrivals"), 1.0);
    let collapsed = num(&s, "components.cdn.collapsed");
    assert!((199.0..=200.0).contains(&collapsed), "{collapsed}");
    assert_eq!(num(&s, "components.cdn.misses"), 1.0 + collapsed);
    assert_eq!(num(&s, "components.cdn.by_status.200"), 999.0);
    // Collapsing is per cache: four edges each send their own first miss (each sees a
    // request in the first 2 s: 25/s each). With no regional cache between them and the
    // origin (`regional_caches = 0`, as for an S3 origin in their Region), four origin
    // requests; behind the default one regional cache they collapse there: one.
    let s = run(&text("max_age = \"1h\"\nedges = 4\nregional_caches = 0"));
    assert_eq!(num(&s, "components.cdn.origin_requests"), 4.0);
    let s = run(&text("max_age = \"1h\"\nedges = 4"));
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
    assert_eq!(num(&s, "components.cdn.regional_hit_ratio"), 0.0);
    // Behind Origin Shield the four edges' misses collapse again there: one.
    let s = run(&text("max_age = \"1h\"\nedges = 4\norigin_shield = true"));
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
    assert_eq!(num(&s, "components.cdn.shield_hit_ratio"), 0.0);
    // Behind two regional caches (edges 1 and 3 to the first, 2 and 4 to the second), once
    // per regional cache: two.
    let s = run(&text("max_age = \"1h\"\nedges = 4\nregional_caches = 2"));
    assert_eq!(num(&s, "components.cdn.origin_requests"), 2.0);
}

#[test]
fn only_gets_and_heads_are_cached_and_every_other_operation_goes_to_the_origin() {
    // One key at 10/s for 10 s (99 requests), max-age 1 hour. CloudFront caches responses to
    // GET and HEAD only (OPTIONS when chosen): with every request a `read`, the first misses
    // and the other 98 hit; with every request a POST (or a write, or an operation of the
    // scenario's own naming), none is looked up and each goes to the origin.
    let s = one_key_of("read", "");
    assert_eq!(num(&s, "components.cdn.hits"), 98.0);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
    for op in ["post", "write", "checkout"] {
        let s = one_key_of(op, "");
        assert_eq!(num(&s, "components.cdn.requests"), 99.0, "{op}");
        assert_eq!(num(&s, "components.cdn.origin_requests"), 99.0, "{op}");
        assert_eq!(
            num(&s, "components.cdn.hits") + num(&s, "components.cdn.misses"),
            0.0,
            "{op}"
        );
        assert_eq!(num(&s, "components.cdn.offload_ratio"), 0.0, "{op}");
    }
    // OPTIONS is cached only when the distribution says so.
    let s = one_key_of("options", "");
    assert_eq!(num(&s, "components.cdn.origin_requests"), 99.0);
    let s = one_key_of("options", r#"cached = ["read", "head", "options"]"#);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
}

/// Ten requests for distinct keys at 1 s … 10 s, the origin as `faults` and `origin_time`
/// make it: the distribution's summary.
fn origin_trouble(cdn_keys: &str, origin_time: &str, faults: &str) -> archsim::metrics::Summary {
    run(&scenario(
        "11s",
        "warmup = \"0s\"",
        r#"{ process = "constant", rate = 1 }"#,
        r#"{ dist = "uniform", count = 1000000 }"#,
        cdn_keys,
        origin_time,
        faults,
    ))
}

#[test]
fn origin_timeouts_answer_504_after_the_attempts_or_the_read_timeout() {
    // aws-facts: §9 origin timeouts: time to 504 ≈ attempts × connection timeout when the
    // origin cannot be reached, or the response (read) timeout when it does not answer.
    let down = "[[fault]]\nat = \"0s\"\nkind = \"component_down\"\ntarget = \"bucket\"";
    // Unreachable: 3 attempts × 2 s = 6 s for each of the 10 requests.
    let s = origin_trouble("connection_timeout = \"2s\"", "0s", down);
    assert_eq!(num(&s, "components.cdn.by_status.504"), 10.0);
    assert_eq!(num(&s, "components.cdn.connect_failures"), 30.0);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 0.0);
    assert_eq!(num(&s, "components.cdn.origin_timeouts"), 10.0);
    let t = num(&s, "latency_all_ms.p50");
    assert!((t - 6_000.0).abs() <= 6.0, "{t} ms, not 6 s");
    // One attempt of 2 s: 2 s. The defaults, 3 × 10 s: 30 s.
    let s = origin_trouble(
        "connection_timeout = \"2s\"\nconnection_attempts = 1",
        "0s",
        down,
    );
    let t = num(&s, "latency_all_ms.max");
    assert!((t - 2_000.0).abs() <= 2.0, "{t} ms, not 2 s");
    let s = origin_trouble("", "0s", down);
    let t = num(&s, "latency_all_ms.max");
    assert!((t - 30_000.0).abs() <= 30.0, "{t} ms, not 30 s");
    // Reachable but answering after 50 s, read timeout 5 s: 504 after 5 s, one request each.
    let s = origin_trouble("read_timeout = \"5s\"", "50s", "");
    assert_eq!(num(&s, "components.cdn.by_status.504"), 10.0);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 10.0);
    assert_eq!(num(&s, "components.cdn.connect_failures"), 0.0);
    let t = num(&s, "latency_all_ms.max");
    assert!((t - 5_000.0).abs() <= 5.0, "{t} ms, not 5 s");
    // The same origin within the default 30 s read timeout... is not: 50 s > 30 s. At 20 s
    // it answers in time, 200.
    let s = origin_trouble("", "20s", "");
    assert_eq!(num(&s, "components.cdn.by_status.200"), 10.0);
}

#[test]
fn the_default_read_timeout_gives_504_after_30_seconds() {
    // aws-facts: §9 origin timeouts: the response (read) timeout defaults to 30 s. An origin
    // that connects but answers each of the ten requests after 50 s, with no `read_timeout`
    // set: each viewer gets 504 exactly 30 s after asking (every latency is zero here, and
    // the histogram keeps 3 significant figures: ±0.1 %, 30 ms), after one origin request
    // and no failed connection.
    let s = origin_trouble("", "50s", "");
    assert_eq!(num(&s, "components.cdn.by_status.504"), 10.0);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 10.0);
    assert_eq!(num(&s, "components.cdn.origin_timeouts"), 10.0);
    assert_eq!(num(&s, "components.cdn.connect_failures"), 0.0);
    for q in ["p50", "max"] {
        let t = num(&s, &format!("latency_all_ms.{q}"));
        assert!((t - 30_000.0).abs() <= 30.0, "{q} {t} ms, not 30 s");
    }
    // Just inside it, 29.9 s, the origin's answer arrives: 200 after 29.9 s.
    let s = origin_trouble("", "29.9s", "");
    assert_eq!(num(&s, "components.cdn.by_status.200"), 10.0);
    let t = num(&s, "latency_ms.max");
    assert!((t - 29_900.0).abs() <= 30.0, "{t} ms, not 29.9 s");
}

#[test]
fn an_origin_error_is_cached_for_the_error_caching_min_ttl() {
    // One key at 10/s, max-age 1 s; from 30 s on the origin answers every request with 503.
    // CloudFront caches a 503 for the error caching minimum TTL, 10 s by default
    // (custom-error-pages-expiration.html), and answers it meanwhile without the origin.
    // The fetches at 0.1, 1.1, … 29.1 s (each when the copy before it expired) succeed and
    // keep the request at 30.0 s fresh; the one at 30.1 s gets the 503, which is cached
    // until 40.1 s, then 50.1 s: 3 origin requests fail, and every request from 30.1 s to
    // 59.9 s gets a 503, 299 of them (300 if rounding moves the expiry). The expired copy
    // is not served instead (`serve_stale = false`), so that the error shows.
    let s = run(&stale_text("serve_stale = false", ""));
    let failed = num(&s, "components.cdn.by_status.503");
    assert!((299.0..=300.0).contains(&failed), "{failed}");
    assert_eq!(num(&s, "components.cdn.origin_requests"), 30.0 + 3.0);
    assert_eq!(num(&s, "components.cdn.error_hits"), failed - 3.0);
    // With the error caching minimum TTL at zero each of those requests goes to the origin.
    let s = run(&stale_text(
        "serve_stale = false\nerror_caching_min_ttl = \"0s\"",
        "",
    ));
    assert_eq!(num(&s, "components.cdn.by_status.503"), failed);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 30.0 + failed);
    assert_eq!(num(&s, "components.cdn.error_hits"), 0.0);
    // A status CloudFront does not cache without the origin's Cache-Control (403) is asked
    // of the origin every time.
    let s = run(&stale_text("", "403"));
    assert_eq!(num(&s, "components.cdn.by_status.403"), failed);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 30.0 + failed);
}

/// One key at 10/s for 60 s, max-age 1 s, the origin failing every request from 30 s on
/// with `status` (503 when empty); `cdn_keys` added to the distribution.
fn stale_text(cdn_keys: &str, status: &str) -> String {
    let status = if status.is_empty() { "503" } else { status };
    scenario(
        "60s",
        "warmup = \"0s\"",
        r#"{ process = "constant", rate = 10 }"#,
        ONE_KEY,
        &format!("max_age = \"1s\"\n{cdn_keys}"),
        "0s",
        &format!("[[fault]]\nat = \"30s\"\nkind = \"error_injection\"\ntarget = \"bucket\"\nrate = 1.0\nstatus = {status}"),
    )
}

#[test]
fn an_expired_copy_is_served_when_the_origin_fails() {
    // As above, but as CloudFront does by default (HTTPStatusCodes.html: when the origin
    // fails or does not answer, "CloudFront continues to serve cached content"): each request
    // that would get the 503 is answered with the expired copy, 200, and while the 503 is
    // cached that copy is served without the origin.
    let failed = num(
        &run(&stale_text("serve_stale = false", "")),
        "components.cdn.by_status.503",
    );
    let s = run(&stale_text("", ""));
    assert!(pointer_absent(&s, "components.cdn.by_status.503"));
    assert_eq!(num(&s, "components.cdn.by_status.200"), 599.0);
    assert_eq!(num(&s, "components.cdn.stale_served"), failed);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 30.0 + 3.0);
}

#[test]
fn origin_shield_cuts_origin_requests_to_one_caches_worth() {
    // 200 requests/s over 1,000 keys of Zipf(1.0) popularity, max-age 60 s, ten edges
    // sharing the viewers equally, two to each of five regional edge caches (viewers in five
    // geographies). An edge's copy keeps the expiry it has in the tier above, so the copies
    // of a key behind one regional cache go stale with it, and the first request to any of
    // its edges after that goes through: without a shield the origin sees five TTL caches
    // fed 40/s each, 200 × (1 − h(40/s)), h the TTL-cache hit ratio summed over keys
    // (`ttl_cache_hit_ratio`). Behind Origin Shield every copy keeps the shield's expiry: the
    // origin sees one cache fed all 200/s, 200 × (1 − h(200/s)). Each figure must lie in the 99 % interval of the mean over five
    // seeds of 25 minutes after a 5-minute warmup, an interval no wider than ±2 % of it.
    let text = |shield: &str| {
        scenario(
            "30m",
            "warmup = \"5m\"\nseeds = 5",
            r#"{ process = "poisson", rate = 200 }"#,
            r#"{ dist = "zipf", count = 1000, exponent = 1.0 }"#,
            &format!("max_age = \"60s\"\nedges = 10\nregional_caches = 5\n{shield}"),
            "0s",
            "",
        )
    };
    let without = run(&text(""));
    let with = run(&text("origin_shield = true"));
    let alone = 200.0 * (1.0 - ttl_cache_hit_ratio(1000, 40.0, 60.0));
    let shielded = 200.0 * (1.0 - ttl_cache_hit_ratio(1000, 200.0, 60.0));
    assert_theory(
        "origin requests/s without a shield",
        &per_seed(&without, "components.cdn.origin_request_rps"),
        alone,
        0.02,
    );
    assert_theory(
        "origin requests/s behind Origin Shield",
        &per_seed(&with, "components.cdn.origin_request_rps"),
        shielded,
        0.02,
    );
    // The simulated origins, not the formulas: the shield halves the load at least
    // (37.8/s against 12.9/s by the formulas).
    let mean = |s| {
        let v = per_seed(s, "components.cdn.origin_request_rps");
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean(&with) < 0.5 * mean(&without));
}

/// One key at 10/s for 10 s (99 requests, at 0.1 s … 9.9 s), every request `op`, max-age
/// 1 hour, `cdn_keys` added (a `tier_latency` among them replacing the zero one): the
/// summary.
fn one_key_of(op: &str, cdn_keys: &str) -> archsim::metrics::Summary {
    let text = scenario(
        "10s",
        "warmup = \"0s\"",
        &format!(
            r#"{{ process = "constant", rate = 10 }}
        mix = [ {{ op = "{op}", weight = 1 }} ]"#
        ),
        ONE_KEY,
        &format!("max_age = \"1h\"\n{cdn_keys}"),
        "0s",
        "",
    );
    if cdn_keys.contains("tier_latency") {
        run(&text.replacen("tier_latency = \"0s\"", "", 1))
    } else {
        run(&text)
    }
}

#[test]
fn a_distribution_has_a_regional_edge_cache_unless_told_otherwise() {
    // CloudFront's developer guide (HowCloudFrontWorks.html, "How CloudFront works with
    // regional edge caches"): a POP that misses goes to the nearest regional edge cache,
    // which every distribution has ("enabled by default for all CloudFront distributions").
    // Two edges, one key: the first request misses at its edge, at the regional cache and
    // goes to the origin; the first request at the other edge misses there but finds the
    // object in the regional cache. So two misses, 97 hits, one origin request, and the
    // regional cache answered one of its two lookups.
    let s = one_key_of("read", "edges = 2");
    assert_eq!(num(&s, "components.cdn.misses"), 2.0);
    assert_eq!(num(&s, "components.cdn.hits"), 97.0);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
    assert_eq!(num(&s, "components.cdn.regional_hit_ratio"), 0.5);
    // Without one (an S3 origin in the regional cache's Region, which the edges skip), each
    // edge's first request goes to the origin.
    let s = one_key_of("read", "edges = 2\nregional_caches = 0");
    assert_eq!(num(&s, "components.cdn.origin_requests"), 2.0);
    assert!(pointer_absent(&s, "components.cdn.regional_hit_ratio"));
}

#[test]
fn proxy_methods_go_past_the_regional_caches_but_through_origin_shield() {
    // HowCloudFrontWorks.html: "Proxy HTTP methods (PUT, POST, PATCH, OPTIONS, and DELETE)
    // go directly to the origin from the POPs and do not proxy through the regional edge
    // caches"; origin-shield.html: with Origin Shield "all requests from all of CloudFront's
    // caching layers to your origin go through Origin Shield", and for requests proxied to
    // the origin it "is always an incremental layer". One edge, one regional cache; each hop
    // between tiers takes 10 ms one way, everything else nothing, so a request's time counts
    // its hops.
    let hops = "tier_latency = \"10ms\"\nregional_caches = 1";
    let ms = |s: &archsim::metrics::Summary, q: &str| num(s, &format!("latency_ms.{q}"));
    // A read's one miss goes edge → regional cache → origin and back: 20 ms; the 98 hits 0.
    let s = one_key_of("read", hops);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
    assert!((ms(&s, "max") - 20.0).abs() < 0.1, "{}", ms(&s, "max"));
    // Every POST goes from the edge to the origin, no hop: 0 ms (a trip through the regional
    // cache would take 20), and 99 origin requests.
    let s = one_key_of("post", hops);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 99.0);
    assert_eq!(ms(&s, "max"), 0.0);
    // Behind Origin Shield a POST takes one hop up to it and one back: 20 ms, never cached
    // there (99 origin requests). The read's miss now takes four hops: 40 ms.
    let shielded = format!("{hops}\norigin_shield = true");
    let s = one_key_of("post", &shielded);
    assert_eq!(num(&s, "components.cdn.origin_requests"), 99.0);
    assert_eq!(num(&s, "components.cdn.shield_hit_ratio"), 0.0);
    for q in ["p50", "max"] {
        assert!((ms(&s, q) - 20.0).abs() < 0.1, "{q} {}", ms(&s, q));
    }
    let s = one_key_of("read", &shielded);
    assert!((ms(&s, "max") - 40.0).abs() < 0.1, "{}", ms(&s, "max"));
    // OPTIONS is a proxy method even when the edges cache it: its one miss goes straight to
    // the origin (0 ms), or to Origin Shield (20 ms), past the regional cache.
    let cached = "cached = [\"read\", \"head\", \"options\"]";
    let s = one_key_of("options", &format!("{hops}\n{cached}"));
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
    assert_eq!(num(&s, "components.cdn.hits"), 98.0);
    assert_eq!(ms(&s, "max"), 0.0);
    let s = one_key_of("options", &format!("{shielded}\n{cached}"));
    assert_eq!(num(&s, "components.cdn.origin_requests"), 1.0);
    assert!((ms(&s, "max") - 20.0).abs() < 0.1, "{}", ms(&s, "max"));
}
