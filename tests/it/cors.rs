//! CORS against its documented behaviour (aws-facts §21): a browser preflights a request that
//! is not simple, once per origin and route per `Access-Control-Max-Age` (capped by the
//! browser: Chrome 2 h, Firefox 24 h; 5 s without the header); a REST API's preflights go
//! through its throttle and are billed; an HTTP API answers them itself; a missing CORS
//! configuration fails the request in the browser, counted apart; an S3 bucket's preflights
//! are requests on its partition's rate.

use crate::{num, run};

/// A scenario of `duration`, no warmup, hops taking no time, and `rest`: workloads and
/// components.
fn scenario(duration: &str, rest: &str) -> String {
    format!(
        "[scenario]\nduration = \"{duration}\"\nwarmup = \"0s\"\nwindow = \"1m\"\n[network]\nsame_az = \"0s\"\n{rest}"
    )
}

/// A browser workload `name` from `origin` at a constant `rate` with `extra` keys, one
/// attempt per request, calling "api".
fn browser(name: &str, origin: &str, rate: u32, extra: &str) -> String {
    format!(
        "[[workload]]\nname = \"{name}\"\ntarget = \"api\"\narrival = {{ process = \"constant\", rate = {rate} }}\nretry = {{ attempts = 1 }}\nbrowser = true\norigin = \"{origin}\"\n{extra}\n"
    )
}

/// A JSON POST: not simple, so preflighted.
const POST: &str = "mix = [ { op = \"write\", weight = 1 } ]";

/// An API Gateway "api" with `extra` keys (its gateway time exactly 5 ms) in front of a
/// service "backend" with room to spare.
fn api(extra: &str) -> String {
    format!(
        "[[component]]\nid = \"api\"\nkind = \"api_gateway\"\ntarget = \"backend\"\noverhead = \"5ms\"\n{extra}\n[[component]]\nid = \"backend\"\nkind = \"service\"\nservers = 100\nservice_time = \"1ms\"\n"
    )
}

const APP: &str = "https://app.example";

#[test]
fn one_preflight_per_origin_and_route_per_max_age() {
    // 10 JSON POSTs a second for 60 s from one browser, max-age 10 s. Arrivals at k / 10 s,
    // k = 1 … 599. The first (0.1 s) preflights; its answer comes back 5 ms later (the
    // gateway's time; hops take none) and is kept until 10.105 s, so the arrival at 10.1 s
    // still finds it and 10.2 s preflights again (kept until 20.205 s); then 20.3, 30.4,
    // 40.5, 50.6 s: 6 preflights, the next being due at 60.7 s, after the end.
    let one = scenario(
        "60s",
        &(browser("spa", APP, 10, POST)
            + &api(&format!(
                "cors = {{ allow_origins = [\"{APP}\"], max_age = 10 }}"
            ))),
    );
    let s = run(&one);
    assert_eq!(num(&s, "workloads.spa.requests.total"), 599.0);
    assert_eq!(num(&s, "workloads.spa.requests.preflights"), 6.0);
    assert_eq!(num(&s, "components.api.preflights"), 6.0);
    // Billed: 599 requests and 6 preflights.
    assert_eq!(num(&s, "components.api.requests"), 605.0);
    assert_eq!(num(&s, "workloads.spa.requests.by_status.200"), 599.0);
    assert_eq!(num(&s, "workloads.spa.requests.cors_blocked"), 0.0);
    // The preflights never reach the integration.
    assert_eq!(num(&s, "components.backend.arrivals"), 599.0);

    // A second page origin has its own cache: 6 more.
    let two = scenario(
        "60s",
        &(browser("spa", APP, 10, POST)
            + &browser("admin", "https://admin.example", 10, POST)
            + &api("cors = { allow_origins = [\"*\"], max_age = 10 }")),
    );
    let s = run(&two);
    assert_eq!(num(&s, "components.api.preflights"), 12.0);
    assert_eq!(num(&s, "workloads.admin.requests.preflights"), 6.0);

    // Two routes (two `mix` entries, drawn at random for each of 100 arrivals a second): each
    // route is asked for every 20 ms on average, so each preflights at its first request
    // after its answer expires, a few tens of ms late each time: 6 per route, the seventh
    // falling after 60.1 s. The chance that a route goes unasked for half a second, enough
    // to shift it, is 2^-50 per gap.
    let routes = scenario(
        "60s",
        &(browser(
            "spa",
            APP,
            100,
            "mix = [ { op = \"write\", weight = 1 }, { op = \"update\", weight = 1, method = \"PUT\" } ]",
        ) + &api(&format!("cors = {{ allow_origins = [\"{APP}\"], max_age = 10 }}"))),
    );
    let s = run(&routes);
    assert_eq!(num(&s, "components.api.preflights"), 12.0);
}

#[test]
fn browsers_cap_the_max_age_chrome_at_two_hours_firefox_at_a_day() {
    // A day's max-age, one request a second for 5 h (arrivals at 1 … 17,999 s). Chrome keeps
    // a preflight 7,200 s: answered at 1.005 s it holds until 7,201.005 s, so 7,202 s
    // preflights again (until 14,402.005 s), then 14,403 s: 3. Firefox keeps it 86,400 s,
    // longer than the run: 1.
    let cors = format!("cors = {{ allow_origins = [\"{APP}\"], max_age = 86400 }}");
    let chrome = scenario("5h", &(browser("spa", APP, 1, POST) + &api(&cors)));
    assert_eq!(num(&run(&chrome), "components.api.preflights"), 3.0);
    let firefox = scenario(
        "5h",
        &(browser(
            "spa",
            APP,
            1,
            &format!("{POST}\nbrowser_engine = \"firefox\""),
        ) + &api(&cors)),
    );
    assert_eq!(num(&run(&firefox), "components.api.preflights"), 1.0);
}

#[test]
fn without_a_max_age_a_preflight_is_kept_five_seconds() {
    // No Access-Control-Max-Age: 5 s. One request a second (1 … 59 s): the preflight at
    // 1 s holds until 6.005 s, so 7 s preflights again, then 13, 19, …, 55 s: 10 of them.
    let s = run(&scenario(
        "60s",
        &(browser("spa", APP, 1, POST)
            + &api(&format!("cors = {{ allow_origins = [\"{APP}\"] }}"))),
    ));
    assert_eq!(num(&s, "components.api.preflights"), 10.0);
    // A simple request (a GET with no custom header) sends none.
    let s = run(&scenario(
        "60s",
        &(browser("spa", APP, 1, "") + &api(&format!("cors = {{ allow_origins = [\"{APP}\"] }}"))),
    ));
    assert_eq!(num(&s, "components.api.preflights"), 0.0);
    assert_eq!(num(&s, "workloads.spa.requests.by_status.200"), 59.0);
    // The same GET with an Authorization header is not simple.
    let s = run(&scenario(
        "60s",
        &(browser("spa", APP, 1, "headers = [\"Authorization\"]")
            + &api(&format!("cors = {{ allow_origins = [\"{APP}\"] }}"))),
    ));
    assert_eq!(num(&s, "components.api.preflights"), 10.0);
}

#[test]
fn a_rest_apis_preflights_go_through_its_throttle_and_are_billed() {
    // 8 POSTs a second against an account throttle of 10/s (burst 10). Alone they pass. From
    // browsers that preflight every request (max-age 0), the account sees 16 a second: the
    // bucket (10 to start, 10/s after) admits at most 10 + 10 × 60 = 610 of the 2 × 479
    // = 958 asked for if every preflight passed, and a throttled preflight fails its request
    // in the browser, unsent.
    let account = "[account]\napi_gateway_rate = 10\napi_gateway_burst = 10\n";
    let plain = scenario(
        "60s",
        &(format!("{account}[[workload]]\nname = \"spa\"\ntarget = \"api\"\narrival = {{ process = \"constant\", rate = 8 }}\nretry = {{ attempts = 1 }}\n{POST}\n")
            + &api("")),
    );
    let s = run(&plain);
    assert_eq!(num(&s, "components.api.throttled"), 0.0);
    assert_eq!(num(&s, "components.api.requests"), 479.0);

    let cors = format!("cors = {{ allow_origins = [\"{APP}\"], max_age = 0 }}");
    let s = run(&scenario(
        "60s",
        &(account.to_string() + &browser("spa", APP, 8, POST) + &api(&cors)),
    ));
    let preflights = num(&s, "components.api.preflights");
    let requests = num(&s, "components.api.requests");
    let throttled = num(&s, "components.api.throttled");
    // Every request preflights: 479 of them, billed with the requests sent after them when
    // the throttle lets them through.
    assert_eq!(preflights, 479.0);
    assert_eq!(num(&s, "workloads.spa.requests.preflights"), 479.0);
    // Each request ends one of three ways: its preflight throttled (never sent), itself
    // throttled (a 429 the browser shows as a CORS error), or served.
    let sent = num(&s, "components.backend.arrivals");
    let failed = num(&s, "workloads.spa.requests.cors_preflight_failed");
    let hidden = num(&s, "workloads.spa.requests.cors_hidden_errors");
    assert_eq!(failed + hidden + sent, 479.0);
    assert_eq!(requests, preflights + hidden + sent);
    // The bucket admits 10 + 10 × 60 = 610 at most (a fraction of a token less for where
    // the last request falls), so 958 asked − 610 is about the throttled, counting the
    // requests never sent because their preflight was throttled.
    let admitted = requests - throttled;
    assert!((605.0..=610.0).contains(&admitted), "{admitted}");
    assert!(throttled > 100.0, "{throttled}");
    // aws-facts: §1 pricing: $3.50 a million, preflights included, but not the ones the
    // gateway's own throttle refused (API Gateway bills none of those).
    assert_eq!(num(&s, "components.api.billed_requests"), admitted);
    let cost = num(&s, "components.api.cost_usd");
    assert!((cost - admitted * 3.5e-6).abs() < 1e-12, "{cost}");
    // In the browser, every failure is a CORS error: throttled preflights block their
    // request, and a throttled request's 429 carries no CORS headers (aws-facts: §21 [O]).
    let blocked = num(&s, "workloads.spa.requests.cors_blocked");
    assert_eq!(blocked, failed + hidden);
    assert_eq!(blocked, throttled);
    assert_eq!(
        num(&s, "workloads.spa.requests.by_status.cors_blocked"),
        blocked
    );
    // Arrivals are 125 ms apart and the bucket earns a token each 100 ms: once its burst is
    // spent, each preflight finds the 1.25 tokens earned since the last arrival and passes,
    // and its request 5 ms later finds a whole token only every fourth time. So no preflight
    // fails, and about three requests in four are throttled, 429s shown as CORS errors.
    assert_eq!(failed, 0.0);
    assert!((330.0..=370.0).contains(&hidden), "{hidden}");

    // With gateway responses that carry the CORS headers the script sees the 429s of its
    // requests (no preflight being throttled, as above, every 429 is a request's).
    let shown = format!(
        "cors = {{ allow_origins = [\"{APP}\"], max_age = 0, gateway_responses_have_cors = true }}"
    );
    let s = run(&scenario(
        "60s",
        &(account.to_string() + &browser("spa", APP, 8, POST) + &api(&shown)),
    ));
    assert_eq!(num(&s, "workloads.spa.requests.cors_hidden_errors"), 0.0);
    assert_eq!(
        num(&s, "workloads.spa.requests.by_status.429"),
        num(&s, "components.api.throttled")
    );

    // A stage throttle of the same 10/s is a default each method gets on its own ("applied
    // at the API method level", `apigw:api-gateway-request-throttling.html`): the POSTs and
    // the OPTIONS preflights, 8 a second each, both stay under it.
    let stage = format!("throttle = {{ rate = 10, burst = 10 }}\n{cors}");
    let s = run(&scenario(
        "60s",
        &(browser("spa", APP, 8, POST) + &api(&stage)),
    ));
    assert_eq!(num(&s, "components.api.preflights"), 479.0);
    assert_eq!(num(&s, "components.api.throttled"), 0.0);
}

#[test]
fn a_missing_cors_configuration_blocks_in_the_browser() {
    // No `cors`: each POST's preflight is refused (403) by the gateway, and the POST is
    // never sent: 59 requests, 59 preflights, all blocked, none at the integration.
    let s = run(&scenario("60s", &(browser("spa", APP, 1, POST) + &api(""))));
    assert_eq!(num(&s, "workloads.spa.requests.cors_blocked"), 59.0);
    assert_eq!(
        num(&s, "workloads.spa.requests.cors_preflight_failed"),
        59.0
    );
    assert_eq!(
        num(&s, "workloads.spa.requests.by_status.cors_blocked"),
        59.0
    );
    assert_eq!(num(&s, "components.api.preflights"), 59.0);
    assert_eq!(num(&s, "components.api.by_status.403"), 59.0);
    assert_eq!(num(&s, "components.backend.arrivals"), 0.0);
    // The gateway's own refusals: it received them and served none.
    assert_eq!(num(&s, "components.api.arrival_rps"), 59.0 / 60.0);
    assert_eq!(num(&s, "components.api.throughput_rps"), 0.0);
    // Not a server error: the API answered every call it was sent.
    assert_eq!(num(&s, "workloads.spa.error_rate"), 1.0);

    // A simple GET needs no preflight: it is sent and served, but its answer has no CORS
    // headers, so the browser keeps it from the script.
    let s = run(&scenario("60s", &(browser("spa", APP, 1, "") + &api(""))));
    assert_eq!(num(&s, "components.backend.arrivals"), 59.0);
    assert_eq!(num(&s, "workloads.spa.requests.cors_origin_refused"), 59.0);
    assert_eq!(
        num(&s, "workloads.spa.requests.by_status.cors_blocked"),
        59.0
    );

    // An origin the API does not allow: its preflight is answered (200), and still fails.
    let other = "cors = { allow_origins = [\"https://other.example\"], max_age = 600 }";
    let s = run(&scenario(
        "60s",
        &(browser("spa", APP, 1, POST) + &api(other)),
    ));
    assert_eq!(num(&s, "components.api.by_status.200"), 59.0);
    assert_eq!(
        num(&s, "workloads.spa.requests.cors_preflight_failed"),
        59.0
    );
    assert_eq!(num(&s, "components.backend.arrivals"), 0.0);
}

#[test]
fn an_http_api_answers_preflights_itself() {
    // An HTTP API with CORS answers every preflight (max-age 0: one per request) without its
    // integration: 59 POSTs reach the backend, 59 preflights stay at the gateway, billed
    // (by default, a choice) at $1.00 a million.
    let cors = format!("type = \"http\"\ncors = {{ allow_origins = [\"{APP}\"], max_age = 0 }}");
    let s = run(&scenario(
        "60s",
        &(browser("spa", APP, 1, POST) + &api(&cors)),
    ));
    assert_eq!(num(&s, "components.api.preflights"), 59.0);
    assert_eq!(num(&s, "components.backend.arrivals"), 59.0);
    assert_eq!(num(&s, "components.api.requests"), 118.0);
    assert!((num(&s, "components.api.cost_usd") - 118.0e-6).abs() < 1e-12);
    assert_eq!(num(&s, "workloads.spa.requests.by_status.200"), 59.0);
    // Unbilled and unthrottled preflights (the knobs for what AWS does not say): a stage
    // throttle of 1/s (burst 1) then sees only the POSTs, one a second.
    let free = format!(
        "type = \"http\"\nthrottle = {{ rate = 1, burst = 1 }}\ncors = {{ allow_origins = [\"{APP}\"], max_age = 0, preflight_billed = false, preflight_throttled = false }}"
    );
    let s = run(&scenario(
        "60s",
        &(browser("spa", APP, 1, POST) + &api(&free)),
    ));
    assert_eq!(num(&s, "components.api.requests"), 59.0);
    assert_eq!(num(&s, "components.api.preflights"), 59.0);
    assert_eq!(num(&s, "components.api.throttled"), 0.0);
    assert_eq!(num(&s, "workloads.spa.requests.by_status.200"), 59.0);
}

#[test]
fn an_s3_buckets_preflights_are_requests_on_its_partition() {
    // Browsers PUT objects 8 times a second, each preflighted (max-age 0), into a bucket
    // whose partition takes 100 writes but only 5 reads a second (fixed one-second windows):
    // the preflights draw on the read side, so 5 pass each second and 3 are refused with
    // 503 SlowDown, failing their PUT in the browser. Seconds 1 … 59 hold 8 arrivals each
    // (k / 8 s, k = 8 … 479) and second 0 holds 7: 5 × 60 = 300 preflights pass, 179 fail.
    let text = scenario(
        "60s",
        "[[workload]]\nname = \"up\"\ntarget = \"bucket\"\narrival = { process = \"constant\", rate = 8 }\nretry = { attempts = 1 }\nbrowser = true\norigin = \"https://app.example\"\nmix = [ { op = \"put\", weight = 1, method = \"PUT\" } ]\n[[component]]\nid = \"bucket\"\nkind = \"s3\"\nkey_naming = \"sequential\"\nread_rps = 5\nwrite_rps = 100\nrate_enforcement = \"fixed_window\"\ncors = { allow_origins = [\"https://app.example\"], max_age = 0 }\n",
    );
    let s = run(&text);
    assert_eq!(num(&s, "components.bucket.preflights"), 479.0);
    assert_eq!(num(&s, "components.bucket.slowdowns"), 179.0);
    assert_eq!(
        num(&s, "workloads.up.requests.cors_preflight_failed"),
        179.0
    );
    assert_eq!(num(&s, "workloads.up.requests.by_status.200"), 300.0);
    // Requests: 479 preflights and the 300 PUTs they let through.
    assert_eq!(num(&s, "components.bucket.requests"), 779.0);
}
