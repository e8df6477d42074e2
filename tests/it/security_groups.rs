//! VPC security groups (aws-facts: §20 VPC security groups and network ACLs): a call no
//! inbound rule lets in is dropped silently, so it costs its caller exactly its timeout per
//! attempt (§7: then the retries apply as for any timeout); a matching rule passes; a group
//! as a source matches its members only; `archsim lint` fails on a dropped edge.

use super::{num, run, scenario};
use std::process::Command;

/// A web service calling a database service guarded by "db-sg", whose inbound rules are
/// `rules`; the web service belongs to `web_groups`. Constant arrivals every 100 ms from
/// t = 100 ms: 99 in 10 s. `call` is the rest of the call entry (timeout, retry).
fn two_tiers(rules: &str, web_groups: &str, call: &str) -> String {
    format!(
        r#"
[scenario]
duration = "10s"
seed = 1

[[workload]]
name = "users"
target = "web"
arrival = {{ process = "constant", rate = 10 }}
timeout = "30s"
retry = {{ attempts = 1 }}

[[security_group]]
id = "web-sg"
inbound = [ {{ from = "clients" }} ]

[[security_group]]
id = "other-sg"
inbound = [ {{ from = "clients" }} ]

[[security_group]]
id = "db-sg"
inbound = [ {rules} ]

[[component]]
id = "web"
kind = "service"
security_groups = [{web_groups}]
servers = 100
service_time = "1ms"
calls = [ {{ to = "db"{call} }} ]

[[component]]
id = "db"
kind = "service"
security_groups = ["db-sg"]
servers = 100
service_time = "1ms"
"#
    )
}

#[test]
fn a_dropped_connection_costs_exactly_the_connect_timeout_per_attempt() {
    // No rule lets web-sg in: every attempt is dropped and ends at its 1 s timeout. Three
    // attempts with a constant 10 ms backoff, no jitter: 3 × 1000 + 2 × 10 = 3,020 ms, plus
    // the web service's 1 ms of work and the users' two hops (0.1–0.25 ms each way, aws-facts:
    // §13 latency): from 3,021.2 to 3,021.5 ms. The dropped call's timeout starts when it
    // leaves, so no hop to the database adds to it.
    let s = run(&two_tiers(
        r#"{ from = "other-sg" }"#,
        r#""web-sg""#,
        r#", timeout = "1s", retry = { attempts = 3, base = "10ms", backoff = "constant", jitter = "none" }"#,
    ));
    assert_eq!(num(&s, "requests.total"), 99.0);
    // Each request: 3 attempts dropped, none refused, none hung.
    assert_eq!(num(&s, "components.web.network.dropped.db"), 3.0 * 99.0);
    assert_eq!(num(&s, "components.web.network.hung.db"), 0.0);
    assert_eq!(num(&s, "requests.by_status.504"), 99.0);
    // The database never saw a call.
    assert_eq!(num(&s, "components.db.arrivals"), 0.0);
    let (p50, max) = (num(&s, "latency_all_ms.p50"), num(&s, "latency_all_ms.max"));
    assert!(
        (3021.0..=3022.0).contains(&p50) && (3021.0..=3022.0).contains(&max),
        "every request takes 3 connect timeouts and 2 backoffs: p50 {p50}, max {max} ms"
    );
    // One attempt: exactly the one timeout, 1,000 ms, plus the same ~1.5 ms.
    let one = run(&two_tiers(
        r#"{ from = "other-sg" }"#,
        r#""web-sg""#,
        r#", timeout = "1s", retry = { attempts = 1 }"#,
    ));
    assert_eq!(num(&one, "components.web.network.dropped.db"), 99.0);
    let max = num(&one, "latency_all_ms.max");
    assert!((1001.0..=1002.0).contains(&max), "{max} ms");
}

#[test]
fn a_dropped_call_without_a_timeout_hangs_and_is_counted() {
    // No timeout on the call: nothing ends it; each of the 99 hangs until the run ends (the
    // users' own 30 s timeout answers them, after the run's 10 s of arrivals).
    let s = run(&two_tiers(r#"{ from = "other-sg" }"#, r#""web-sg""#, ""));
    assert_eq!(num(&s, "components.web.network.dropped.db"), 99.0);
    assert_eq!(num(&s, "components.web.network.hung.db"), 99.0);
    assert_eq!(num(&s, "components.db.arrivals"), 0.0);
}

#[test]
fn a_matching_rule_passes() {
    for rule in [
        r#"{ from = "web-sg" }"#,
        r#"{ from = "0.0.0.0/0" }"#,
        r#"{ from = "other-sg" }, { from = "web-sg" }"#,
    ] {
        let s = run(&two_tiers(rule, r#""web-sg""#, r#", timeout = "1s""#));
        assert_eq!(num(&s, "requests.by_status.200"), 99.0, "{rule}");
        assert_eq!(num(&s, "components.db.arrivals"), 99.0, "{rule}");
    }
}

#[test]
fn a_group_as_source_matches_its_members_only() {
    // db-sg lets in web-sg's members; web belongs to other-sg alone: dropped.
    let out = run(&two_tiers(
        r#"{ from = "web-sg" }"#,
        r#""other-sg""#,
        r#", timeout = "1s""#,
    ));
    assert_eq!(num(&out, "components.web.network.dropped.db"), 99.0);
    // A member of both: one of its groups matches, so it passes.
    let both = run(&two_tiers(
        r#"{ from = "web-sg" }"#,
        r#""other-sg", "web-sg""#,
        r#", timeout = "1s""#,
    ));
    assert_eq!(num(&both, "requests.by_status.200"), 99.0);
    // "clients" is the workloads, not a component: a rule from it does not let web in.
    let clients = run(&two_tiers(
        r#"{ from = "clients" }"#,
        r#""web-sg""#,
        r#", timeout = "1s""#,
    ));
    assert_eq!(num(&clients, "components.web.network.dropped.db"), 99.0);
}

#[test]
fn workloads_are_let_in_by_clients_rules_only() {
    // web-sg lets in "clients": the users pass (every test above). Put web in db-sg, which
    // lets in web-sg's members only, and the users' requests are dropped.
    let text = two_tiers(r#"{ from = "web-sg" }"#, r#""other-sg""#, "").replace(
        r#"security_groups = ["other-sg"]"#,
        r#"security_groups = ["db-sg"]"#,
    );
    let sc = scenario(&text);
    let lint = archsim::access::lint(&sc);
    assert!(lint.failed());
    assert!(lint
        .matrix
        .iter()
        .any(|(from, cells)| from == "users" && cells == &[("web".to_string(), "dropped")]));
}

#[test]
fn lint_exits_1_on_a_dropped_edge_located_at_its_call_entry() {
    let dir = std::env::temp_dir().join(format!("archsim-sg-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lint = |text: &str| {
        let file = dir.join("s.toml");
        std::fs::write(&file, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
            .arg("lint")
            .arg(&file)
            .output()
            .expect("archsim runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let dropped = two_tiers(
        r#"{ from = "other-sg" }"#,
        r#""web-sg""#,
        r#", timeout = "1s""#,
    );
    let (code, out) = lint(&dropped);
    assert_eq!(code, 1, "{out}");
    // The call entry `calls = [ { to = "db", … } ]`: its line, the column of `to`'s value.
    let (line, col) = dropped
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            l.starts_with("calls = [ { to = \"db\"")
                .then(|| (i + 1, l.find("\"db\"").unwrap() + 1))
        })
        .unwrap();
    assert!(
        out.contains(&format!(
            "s.toml:{line}:{col}: error: \"web\"'s call to \"db\" would be dropped"
        )),
        "{out}"
    );
    assert!(out.contains("dropped"), "{out}");
    let (code, out) = lint(&two_tiers(
        r#"{ from = "web-sg" }"#,
        r#""web-sg""#,
        r#", timeout = "1s""#,
    ));
    assert_eq!(code, 0, "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A web service reading through a Redis cache (in "cache-sg") in front of an RDS database
/// guarded by "db-sg", whose inbound rules are `rules`.
fn cached(rules: &str) -> String {
    format!(
        r#"
[scenario]
duration = "10s"
seed = 1

[[workload]]
name = "users"
target = "web"
arrival = {{ process = "constant", rate = 10 }}
timeout = "30s"
retry = {{ attempts = 1 }}
keys = {{ dist = "uniform", count = 1000000 }}

[[security_group]]
id = "web-sg"
inbound = [ {{ from = "clients" }} ]

[[security_group]]
id = "cache-sg"
inbound = [ {{ from = "web-sg" }} ]

[[security_group]]
id = "db-sg"
inbound = [ {rules} ]

[[component]]
id = "web"
kind = "service"
security_groups = ["web-sg"]
servers = 100
service_time = "1ms"
calls = [ {{ to = "cache", timeout = "2s", retry = {{ attempts = 1 }} }} ]

[[component]]
id = "cache"
kind = "cache"
engine = "redis"
az = "a"
security_groups = ["cache-sg"]
backend = "db"
backend_timeout = "1s"

[[component]]
id = "db"
kind = "rds"
az = "a"
engine = "postgres"
instance_class = "db.r5.large"
security_groups = ["db-sg"]
read_time = "1ms"
write_time = "2ms"
"#
    )
}

#[test]
fn a_caches_backend_calls_are_its_callers_connections() {
    // aws-facts: §6: with cache-aside the application reads the database on a miss; the
    // cache never connects to it. A database that lets the web tier in serves every miss
    // (the keys are a million: all 99 reads miss).
    let s = run(&cached(r#"{ from = "web-sg" }"#));
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
    assert_eq!(num(&s, "components.db.reads"), 99.0);
    // One that lets only the cache's group in drops them: the web tier cannot connect.
    let s = run(&cached(r#"{ from = "cache-sg" }"#));
    assert_eq!(num(&s, "components.cache.network.dropped.db"), 99.0);
    assert!(
        s["requests"]["by_status"].get("200").is_none(),
        "{}",
        s["requests"]
    );
}

#[test]
fn a_cache_some_of_whose_callers_may_not_reach_its_backend_is_noted() {
    // A second caller of the cache, a workload of operators (clients), whom the database's
    // group does not let in where it lets the web tier in: one gate per link, so the run
    // lets every miss through, and lint notes that the operators' would be dropped in AWS.
    let text = cached(r#"{ from = "web-sg" }"#)
        .replace(
            "id = \"cache-sg\"\ninbound = [ { from = \"web-sg\" } ]",
            "id = \"cache-sg\"\ninbound = [ { from = \"web-sg\" }, { from = \"clients\" } ]",
        )
        .replace(
            "[[security_group]]\nid = \"web-sg\"",
            "[[workload]]\nname = \"operators\"\ntarget = \"cache\"\n\
             arrival = { process = \"constant\", rate = 1 }\n\n\
             [[security_group]]\nid = \"web-sg\"",
        );
    assert!(text.contains("name = \"operators\"") && text.contains("{ from = \"clients\" } ]"));
    let s = run(&text);
    assert_eq!(num(&s, "components.db.reads"), 99.0 + 9.0);
    let l = archsim::access::lint(&scenario(&text));
    assert!(!l.failed(), "{:?}", l.findings);
    let note = l
        .findings
        .iter()
        .find(|f| f.message.contains("are its callers' connections"))
        .map(|f| f.message.as_str())
        .unwrap_or_default();
    assert!(
        note.contains("\"web\" may connect, but workload \"operators\"'s (no inbound rule of \"db\"'s security groups lets it in) would be dropped"),
        "{:?}",
        l.findings
    );
    // Running it warns of it too: no figure of the run shows it.
    assert!(
        scenario(&text).warnings.iter().any(|w| w
            .message
            .contains("would be dropped; the run lets every caller's call through")),
        "{:?}",
        scenario(&text).warnings
    );
    // Both may connect: nothing to note.
    let both = text.replace(
        "id = \"db-sg\"\ninbound = [ { from = \"web-sg\" } ]",
        "id = \"db-sg\"\ninbound = [ { from = \"web-sg\" }, { from = \"clients\" } ]",
    );
    assert_ne!(both, text);
    let l = archsim::access::lint(&scenario(&both));
    assert!(
        !l.findings
            .iter()
            .any(|f| f.message.contains("are its callers' connections")),
        "{:?}",
        l.findings
    );
}
