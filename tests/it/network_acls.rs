//! VPC network ACLs (aws-facts: §20 VPC security groups and network ACLs): numbered rules,
//! the lowest matching one decides, what none matches is denied; stateless, so a reply must
//! be allowed on the caller's ephemeral ports as well; a zone with no custom ACL has the
//! default one, which allows everything; traffic within one subnet (zone) crosses none; a
//! denied request or reply is dropped silently, and the caller waits its timeout.

use super::{num, refused, run, scenario};
use std::process::Command;

/// Users call "web" (zone a), which calls "db" (zone b) with a 1 s timeout and no retry.
/// Constant arrivals every 100 ms from t = 100 ms: 99 in 10 s. `acls` are the
/// `[[network_acl]]` tables; `db_az` is the database's zone.
fn two_zones(acls: &str, db_az: &str) -> String {
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

{acls}

[[component]]
id = "web"
kind = "service"
az = "a"
servers = 100
service_time = "1ms"
calls = [ {{ to = "db", timeout = "1s", retry = {{ attempts = 1 }} }} ]

[[component]]
id = "db"
kind = "service"
az = "{db_az}"
servers = 100
service_time = "1ms"
"#
    )
}

/// Zone a's ACL lets everything in and out.
const OPEN_A: &str = r#"
[[network_acl]]
id = "web-acl"
azs = ["a"]
inbound = [ { rule = 100, action = "allow", from = "0.0.0.0/0", ports = "all" } ]
outbound = [ { rule = 100, action = "allow", to = "0.0.0.0/0", ports = "all" } ]
"#;

/// Zone b's ACL with these inbound and outbound rules.
fn acl_b(inbound: &str, outbound: &str) -> String {
    format!(
        r#"
[[network_acl]]
id = "db-acl"
azs = ["b"]
inbound = [ {inbound} ]
outbound = [ {outbound} ]
"#
    )
}

const ALLOW_OUT: &str = r#"{ rule = 100, action = "allow", to = "0.0.0.0/0", ports = "all" }"#;

#[test]
fn the_lowest_numbered_matching_rule_decides() {
    // A deny numbered 100 before an allow numbered 200: the request from zone a to the
    // database's port (443, a service's) is denied at db-acl's inbound and dropped; the
    // database sees nothing and every request ends at web's 1 s timeout (504).
    let deny_first = acl_b(
        r#"{ rule = 200, action = "allow", from = "0.0.0.0/0", ports = "all" },
           { rule = 100, action = "deny", from = "a", ports = "443" }"#,
        ALLOW_OUT,
    );
    let s = run(&two_zones(&format!("{OPEN_A}{deny_first}"), "b"));
    assert_eq!(num(&s, "components.web.network.dropped.db"), 99.0);
    assert_eq!(num(&s, "components.db.arrivals"), 0.0);
    assert_eq!(num(&s, "requests.by_status.504"), 99.0);
    // The same two rules numbered the other way round: the allow comes first and decides.
    let allow_first = acl_b(
        r#"{ rule = 100, action = "allow", from = "0.0.0.0/0", ports = "all" },
           { rule = 200, action = "deny", from = "a", ports = "443" }"#,
        ALLOW_OUT,
    );
    let s = run(&two_zones(&format!("{OPEN_A}{allow_first}"), "b"));
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
    assert_eq!(num(&s, "components.db.arrivals"), 99.0);
    // A deny on another port does not match the request; nothing else allows it: the `*`
    // rule denies it.
    let other_port = acl_b(
        r#"{ rule = 100, action = "allow", from = "a", ports = "5432" }"#,
        ALLOW_OUT,
    );
    let s = run(&two_zones(&format!("{OPEN_A}{other_port}"), "b"));
    assert_eq!(num(&s, "components.web.network.dropped.db"), 99.0);
}

#[test]
fn a_reply_denied_on_the_ephemeral_ports_never_opens_the_connection() {
    // db-acl lets the request in on 443 but lets out only port 443: the reply goes to web's
    // ephemeral ports (1024-65535), which no outbound rule allows (stateless). The first
    // reply is the TCP handshake's SYN-ACK: no connection opens, the database receives none
    // of the 99 calls, and web waits its whole 1 s timeout and answers 504: latency 1,000 ms
    // plus web's 1 ms of work and the users' two hops (0.1–0.25 ms each way, aws-facts: §13),
    // from 1,001.2 to 1,001.5 ms.
    let forgot = acl_b(
        r#"{ rule = 100, action = "allow", from = "a", ports = "443" }"#,
        r#"{ rule = 100, action = "allow", to = "a", ports = "443" }"#,
    );
    let s = run(&two_zones(&format!("{OPEN_A}{forgot}"), "b"));
    assert_eq!(num(&s, "components.db.arrivals"), 0.0);
    assert_eq!(num(&s, "components.web.network.dropped.db"), 99.0);
    assert_eq!(num(&s, "requests.by_status.504"), 99.0);
    let (p50, max) = (num(&s, "latency_all_ms.p50"), num(&s, "latency_all_ms.max"));
    assert!(
        (1001.0..=1002.0).contains(&p50) && (1001.0..=1002.0).contains(&max),
        "one timeout per request: p50 {p50}, max {max} ms"
    );
    // The fix, an outbound rule for the ephemeral range: every call answered.
    let fixed = acl_b(
        r#"{ rule = 100, action = "allow", from = "a", ports = "443" }"#,
        r#"{ rule = 100, action = "allow", to = "a", ports = "1024-65535" }"#,
    );
    let s = run(&two_zones(&format!("{OPEN_A}{fixed}"), "b"));
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
    // A rule covering part of the range does not let replies through (the model's callers
    // may use any of it, a choice): the same drops as with none.
    let part = acl_b(
        r#"{ rule = 100, action = "allow", from = "a", ports = "443" }"#,
        r#"{ rule = 100, action = "allow", to = "a", ports = "32768-61000" }"#,
    );
    let s = run(&two_zones(&format!("{OPEN_A}{part}"), "b"));
    assert_eq!(num(&s, "components.web.network.dropped.db"), 99.0);
    // Callers said to take replies on Linux's range (`vpc:nacl-ephemeral-ports.html`): that
    // rule covers it, and every call is answered; a deny of a port below it (RDP's 3389,
    // before the allow) touches no reply.
    let linux = "[network]\nephemeral_ports = \"32768-61000\"\n";
    let s = run(&two_zones(&format!("{linux}{OPEN_A}{part}"), "b"));
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
    let rdp = acl_b(
        r#"{ rule = 100, action = "allow", from = "a", ports = "443" }"#,
        r#"{ rule = 50, action = "deny", to = "a", ports = "3389" },
           { rule = 100, action = "allow", to = "a", ports = "32768-61000" }"#,
    );
    let s = run(&two_zones(&format!("{linux}{OPEN_A}{rdp}"), "b"));
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
    // With the whole range the default, the same deny stops every reply (a choice: some
    // callers would take a reply on 3389).
    let s = run(&two_zones(
        &format!("{OPEN_A}{}", rdp.replace("32768-61000", "1024-65535")),
        "b",
    ));
    assert_eq!(num(&s, "components.web.network.dropped.db"), 99.0);
    // The caller's side: web-acl lets in only the users' requests on 443, not the
    // database's replies on the ephemeral ports.
    let caller_side = r#"
[[network_acl]]
id = "web-acl"
azs = ["a"]
inbound = [ { rule = 100, action = "allow", from = "clients", ports = "443" } ]
outbound = [ { rule = 100, action = "allow", to = "0.0.0.0/0", ports = "all" } ]
"#;
    let s = run(&two_zones(caller_side, "b"));
    assert_eq!(num(&s, "components.db.arrivals"), 0.0);
    assert_eq!(num(&s, "components.web.network.dropped.db"), 99.0);
    assert_eq!(num(&s, "requests.by_status.504"), 99.0);
}

#[test]
fn a_zone_with_no_custom_acl_allows_all_and_a_custom_acl_with_no_rule_denies_all() {
    // Only zone a has a custom ACL (allowing everything); zone b has the default one.
    let s = run(&two_zones(OPEN_A, "b"));
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
    assert_eq!(num(&s, "components.db.arrivals"), 99.0);
    // Zone b with a custom ACL and no rule: its `*` rule denies the request.
    let s = run(&two_zones(&format!("{OPEN_A}{}", acl_b("", "")), "b"));
    assert_eq!(num(&s, "components.web.network.dropped.db"), 99.0);
    assert_eq!(num(&s, "components.db.arrivals"), 0.0);
}

#[test]
fn traffic_within_one_zone_crosses_no_acl() {
    // Both in zone a, whose ACL lets in only the users on 443 and out only their replies:
    // web's call to db stays in the subnet and is not filtered.
    let only_users = r#"
[[network_acl]]
id = "web-acl"
azs = ["a"]
inbound = [ { rule = 100, action = "allow", from = "clients", ports = "443" } ]
outbound = [ { rule = 100, action = "allow", to = "clients", ports = "1024-65535" } ]
"#;
    let s = run(&two_zones(only_users, "a"));
    assert_eq!(num(&s, "requests.by_status.200"), 99.0);
    assert_eq!(num(&s, "components.db.arrivals"), 99.0);
    // The users come from outside: without the clients rule their requests are dropped.
    let sc = scenario(&two_zones(
        &only_users.replace(r#"from = "clients""#, r#"from = "a""#),
        "a",
    ));
    let lint = archsim::access::lint(&sc);
    assert!(
        lint.matrix
            .iter()
            .any(|(from, cells)| from == "users"
                && cells == &[("web".to_string(), "dropped by NACL")])
    );
}

#[test]
fn lint_exits_1_and_names_the_layer_and_the_rule() {
    let dir = std::env::temp_dir().join(format!("archsim-nacl-lint-{}", std::process::id()));
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
    let call_at = |text: &str| {
        text.lines()
            .enumerate()
            .find_map(|(i, l)| {
                l.starts_with("calls = [ { to = \"db\"")
                    .then(|| (i + 1, l.find("\"db\"").unwrap() + 1))
            })
            .unwrap()
    };
    // The request denied by rule 100 of db-acl's inbound rules.
    let denied = two_zones(
        &format!(
            "{OPEN_A}{}",
            acl_b(
                r#"{ rule = 100, action = "deny", from = "a", ports = "all" }"#,
                ALLOW_OUT
            )
        ),
        "b",
    );
    let (code, out) = lint(&denied);
    assert_eq!(code, 1, "{out}");
    let (line, col) = call_at(&denied);
    let rule_line = denied
        .lines()
        .position(|l| l.contains(r#"action = "deny""#))
        .unwrap()
        + 1;
    assert!(
        out.contains(&format!(
            "s.toml:{line}:{col}: error: \"web\"'s call to \"db\" would be dropped by network ACL \"db-acl\"'s inbound rules (the request entering the callee's subnet) (port 443): its rule 100 (line {rule_line}, column 13) denies it"
        )),
        "{out}"
    );
    assert!(out.contains("dropped by NACL"), "{out}");
    // The reply path: the finding says the work is done and the reply lost.
    let reply = two_zones(
        &format!(
            "{OPEN_A}{}",
            acl_b(
                r#"{ rule = 100, action = "allow", from = "a", ports = "443" }"#,
                r#"{ rule = 100, action = "allow", to = "a", ports = "443" }"#
            )
        ),
        "b",
    );
    let (code, out) = lint(&reply);
    assert_eq!(code, 1, "{out}");
    let (line, col) = call_at(&reply);
    assert!(
        out.contains(&format!(
            "s.toml:{line}:{col}: error: \"web\"'s call to \"db\" would never connect: network ACL \"db-acl\"'s outbound rules (the reply leaving the callee's subnet for the caller's ephemeral ports 1024-65535) drop the reply, the TCP handshake's SYN-ACK"
        )),
        "{out}"
    );
    assert!(
        out.contains("no rule matches, so its `*` rule denies it"),
        "{out}"
    );
    assert!(out.contains("reply dropped"), "{out}");
    // With the default range, it says how to narrow it, should the callers use less.
    assert!(
        out.contains("allow the ephemeral ports 1024-65535 on the reply's way (or, if the callers use only part of them, as Linux's 32768-61000, say so in `[network] ephemeral_ports`)"),
        "{out}"
    );
    // Open both ways: exit 0.
    let (code, out) = lint(&two_zones(OPEN_A, "b"));
    assert_eq!(code, 0, "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_database_listens_on_its_engines_port() {
    // An RDS PostgreSQL database in zone b: a rule for 5432 lets web's calls in, one for
    // 3306 (MySQL's) does not.
    let text = |port: &str| {
        format!(
            r#"
[scenario]
duration = "1s"
[[workload]]
name = "users"
target = "web"
arrival = {{ process = "constant", rate = 10 }}
{OPEN_A}
[[network_acl]]
id = "db-acl"
azs = ["b"]
inbound = [ {{ rule = 100, action = "allow", from = "a", ports = "{port}" }} ]
outbound = [ {{ rule = 100, action = "allow", to = "a", ports = "1024-65535" }} ]
[[component]]
id = "web"
kind = "service"
az = "a"
service_time = "1ms"
calls = [ {{ to = "db", timeout = "1s" }} ]
[[component]]
id = "db"
kind = "rds"
az = "b"
engine = "postgres"
instance_class = "db.r5.large"
read_time = "1ms"
write_time = "1ms"
"#
        )
    };
    let open = archsim::access::lint(&scenario(&text("5432")));
    assert!(!open.failed(), "{:?}", open.findings);
    let closed = archsim::access::lint(&scenario(&text("3306")));
    assert!(closed.failed());
    assert!(
        closed.findings[0].message.contains("(port 5432)"),
        "{:?}",
        closed.findings
    );
}

/// An Auto Scaling group in zones a and b reading "db" (zone c), directly or, with `cached`,
/// through a cache; zone c's network ACL lets only zone a in.
fn spanning(cached: bool) -> String {
    let (to, cache) = if cached {
        (
            "cache",
            "[[component]]\nid = \"cache\"\nkind = \"cache\"\nbackend = \"db\"\n",
        )
    } else {
        ("db", "")
    };
    format!(
        r#"
[scenario]
duration = "10s"

[[workload]]
name = "users"
target = "api"
arrival = {{ process = "constant", rate = 10 }}

[[network_acl]]
id = "db-acl"
azs = ["c"]
inbound = [ {{ rule = 100, action = "allow", from = "a", ports = "all" }} ]
outbound = [ {{ rule = 100, action = "allow", to = "0.0.0.0/0", ports = "all" }} ]

[[component]]
id = "api"
kind = "ec2_autoscaling"
instance_type = "c6i.large"
zones = ["a", "b"]
min = 2
max = 2
work = "1ms"
calls = [ {{ to = "{to}", timeout = "2s" }} ]

{cache}
[[component]]
id = "db"
kind = "rds"
az = "c"
engine = "postgres"
instance_class = "db.r5.large"
read_time = "1ms"
write_time = "2ms"
"#
    )
}

#[test]
fn a_caller_whose_zones_network_acls_disagree_is_refused_also_through_a_cache() {
    // One verdict per caller and callee is taken before the run, so a caller spanning zones
    // whose calls one zone's ACL treats differently is refused where it is written: zone a's
    // instances may reach the database, zone b's may not.
    let direct = refused(&spanning(false));
    assert!(
        direct.contains("the network ACLs treat \"api\"'s calls to \"db\" differently from zone to zone (a → c: passes, b → c: dropped)"),
        "{direct}"
    );
    // Through a cache its misses are still the group's connections, from both zones: the
    // same, said of the cache's calls (the cache itself is in no zone, and was judged alone).
    let cached = refused(&spanning(true));
    assert!(
        cached.contains("the network ACLs treat \"cache\"'s calls (its callers' connections, made by \"api\") to \"db\" differently from zone to zone (a → c: passes, b → c: dropped)"),
        "{cached}"
    );
    // The group calling the database both directly and through the cache: both places say
    // it.
    let both = spanning(true).replace(
        "calls = [ { to = \"cache\", timeout = \"2s\" } ]",
        "calls = [ { to = \"cache\", timeout = \"2s\" }, { to = \"db\", timeout = \"2s\" } ]",
    );
    assert_ne!(both, spanning(true));
    let said = refused(&both);
    assert!(
        said.contains("treat \"api\"'s calls to \"db\" differently")
            && said.contains("treat \"cache\"'s calls (its callers' connections, made by \"api\") to \"db\" differently"),
        "{said}"
    );
}
