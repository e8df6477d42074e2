//! IAM roles and policies (aws-facts: §19 IAM and STS): AWS's evaluation order on a table of
//! cases, wildcards and case rules, a denied call answered 403 at once and never retried,
//! and `archsim lint`.

use super::{num, refused, run, scenario};
use archsim::iam::{
    action_matches, evaluate, resource_matches, Decision, Effect, Resource, Role, Statement,
};
use std::path::Path;
use std::process::Command;

fn statement(effect: Effect, actions: &[&str], resources: &[&str]) -> Statement {
    Statement {
        effect,
        actions: actions.iter().map(|s| s.to_string()).collect(),
        resources: resources.iter().map(|s| Resource::literal(*s)).collect(),
        position: (1, 1),
    }
}

fn role(statements: Vec<Statement>) -> Role {
    Role {
        id: "r".into(),
        statements,
        position: (1, 1),
    }
}

const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/orders";

#[test]
fn evaluation_follows_aws_order_on_a_table_of_cases() {
    use Effect::{Allow, Deny};
    // (statements, action, resource, decision), each case one rule of the IAM evaluation
    // logic (aws-facts: §19): implicit deny, then an explicit deny wins, else an allow.
    let cases: Vec<(Vec<Statement>, &str, &str, Decision)> = vec![
        // No statement matches: the implicit deny.
        (vec![], "dynamodb:PutItem", TABLE, Decision::ImplicitDeny),
        (
            vec![statement(Allow, &["dynamodb:GetItem"], &[TABLE])],
            "dynamodb:PutItem",
            TABLE,
            Decision::ImplicitDeny,
        ),
        // An allow that matches action and resource.
        (
            vec![statement(Allow, &["dynamodb:PutItem"], &[TABLE])],
            "dynamodb:PutItem",
            TABLE,
            Decision::Allow(0),
        ),
        // The action matches but not the resource: not allowed.
        (
            vec![statement(
                Allow,
                &["dynamodb:PutItem"],
                &["arn:aws:dynamodb:us-east-1:123456789012:table/users"],
            )],
            "dynamodb:PutItem",
            TABLE,
            Decision::ImplicitDeny,
        ),
        // An explicit deny wins over an allow, before or after it.
        (
            vec![
                statement(Allow, &["dynamodb:*"], &["*"]),
                statement(Deny, &["dynamodb:PutItem"], &[TABLE]),
            ],
            "dynamodb:PutItem",
            TABLE,
            Decision::ExplicitDeny(1),
        ),
        (
            vec![
                statement(Deny, &["dynamodb:Put*"], &["*"]),
                statement(Allow, &["*"], &["*"]),
            ],
            "dynamodb:PutItem",
            TABLE,
            Decision::ExplicitDeny(0),
        ),
        // A deny that does not match leaves the allow.
        (
            vec![
                statement(Deny, &["dynamodb:DeleteItem"], &["*"]),
                statement(Allow, &["dynamodb:*Item"], &[TABLE]),
            ],
            "dynamodb:PutItem",
            TABLE,
            Decision::Allow(1),
        ),
        // Action names are case insensitive (IAM reference: Action element).
        (
            vec![statement(Allow, &["DynamoDB:putitem"], &[TABLE])],
            "dynamodb:PutItem",
            TABLE,
            Decision::Allow(0),
        ),
        // Resources are case sensitive: a table named Orders is another table.
        (
            vec![statement(
                Allow,
                &["dynamodb:PutItem"],
                &["arn:aws:dynamodb:us-east-1:123456789012:table/Orders"],
            )],
            "dynamodb:PutItem",
            TABLE,
            Decision::ImplicitDeny,
        ),
        // `?` is exactly one character.
        (
            vec![statement(Allow, &["s3:?etObject"], &["*"])],
            "s3:GetObject",
            "arn:aws:s3:::b/*",
            Decision::Allow(0),
        ),
        (
            vec![statement(Allow, &["s3:?Object"], &["*"])],
            "s3:GetObject",
            "arn:aws:s3:::b/*",
            Decision::ImplicitDeny,
        ),
    ];
    for (i, (statements, action, resource, want)) in cases.into_iter().enumerate() {
        let got = evaluate(&role(statements), action, resource);
        assert_eq!(got, want, "case {i}: {action} on {resource}");
    }
}

#[test]
fn wildcards_match_as_the_iam_reference_says() {
    // Actions: `*` any characters (none too), `?` one, without regard to case.
    assert!(action_matches("*", "sqs:SendMessage"));
    assert!(action_matches("sqs:*", "sqs:SendMessage"));
    assert!(action_matches("sqs:Send*", "SQS:SENDMESSAGE"));
    assert!(action_matches("sqs:SendMessage*", "sqs:SendMessage"));
    assert!(!action_matches("sqs:Send", "sqs:SendMessage"));
    assert!(!action_matches("s3:*", "sqs:SendMessage"));
    assert!(action_matches(
        "lambda:Invoke?unction",
        "lambda:InvokeFunction"
    ));
    // Resources: within a segment, `*` stops at a colon unless it ends the segment, where
    // it may run across colons (IAM reference: Resource element, wildcards).
    let q = "arn:aws:sqs:us-east-1:123456789012:orders";
    assert!(resource_matches("arn:aws:sqs:*:*:orders", q));
    assert!(resource_matches("arn:aws:sqs:us-east-1:*", q));
    assert!(resource_matches(
        "arn:aws:sqs:us-*-1:123456789012:ord?rs",
        q
    ));
    assert!(
        !resource_matches("arn:aws:sqs:us-*1:orders", q),
        "a `*` inside a segment stops at its colon"
    );
    assert!(
        !resource_matches("arn:aws:sqs:*:*:Orders", q),
        "resources are case sensitive"
    );
    assert!(resource_matches(
        "arn:aws:s3:::photos/*",
        "arn:aws:s3:::photos/*"
    ));
    assert!(!resource_matches(
        "arn:aws:s3:::photos/thumbs/*",
        "arn:aws:s3:::photos/*"
    ));
}

/// A service that writes to a DynamoDB table with a role; `statements` is the role's policy.
fn writer(statements: &str, role: bool) -> String {
    mixed(
        statements,
        role,
        r#"{ op = "read", weight = 1 }, { op = "write", weight = 1 }"#,
    )
}

fn mixed(statements: &str, role: bool, mix: &str) -> String {
    let role_line = if role { "role = \"api-role\"" } else { "" };
    format!(
        r#"
[scenario]
duration = "10s"
seed = 3

[[workload]]
name = "users"
target = "api"
arrival = {{ process = "constant", rate = 100 }}
mix = [ {mix} ]
timeout = "5s"
retry = {{ attempts = 3, base = "100ms", cap = "1s", jitter = "full" }}

[[role]]
id = "api-role"
statements = [ {statements} ]

[[component]]
id = "api"
kind = "service"
{role_line}
servers = 50
service_time = "1ms"
calls = [ {{ to = "orders", timeout = "1s" }} ]

[[component]]
id = "orders"
kind = "dynamodb"
rcu = 1000
wcu = 1000
"#
    )
}

#[test]
fn a_denied_call_answers_403_at_once_and_is_never_retried() {
    let s = run(&writer(
        r#"{ effect = "Allow", actions = ["dynamodb:GetItem"], resources = ["orders"] }"#,
        true,
    ));
    // Constant arrivals every 10 ms from t = 10 ms: 999 in 10 s; the mix draws reads and
    // writes at random, so count them from the answers: every write is a 403.
    let total = num(&s, "requests.total");
    assert_eq!(total, 999.0);
    let denied = num(&s, "requests.by_status.403");
    let ok = num(&s, "requests.by_status.200");
    assert_eq!(
        denied + ok,
        total,
        "reads pass, writes are denied, nothing else"
    );
    // Binomial(999, 1/2): within ±5 standard deviations (±79) of 499.5.
    assert!((denied - 499.5).abs() < 79.0, "{denied} writes denied");
    // Neither the client (which retries 5xx and timeouts) nor the service's DynamoDB SDK (4
    // attempts on throttles and 5xx) retried a 403: one attempt each, one gate crossing each.
    assert_eq!(num(&s, "requests.attempts"), total);
    assert_eq!(num(&s, "components.api.access.denied.orders"), denied);
    // At once: with writes only, every request is the service's 1 ms of work, then a 403
    // back over the hop to the table (0.1–0.25 ms each way, aws-facts: §13 latency) with no
    // work at the table, plus the client's own hops: under 2 ms, where a successful write
    // takes the table's milliseconds too.
    let writes = run(&mixed(
        r#"{ effect = "Allow", actions = ["dynamodb:GetItem"], resources = ["orders"] }"#,
        true,
        r#"{ op = "write", weight = 1 }"#,
    ));
    assert_eq!(num(&writes, "requests.by_status.403"), 999.0);
    let max = num(&writes, "latency_all_ms.max");
    assert!(max < 2.0, "a denial took {max} ms");
    assert!(
        max >= 1.2,
        "the service's 1 ms and two hops of at least 0.1 ms: {max} ms"
    );
}

#[test]
fn an_explicit_deny_wins_over_a_wildcard_allow_in_a_run() {
    let s = run(&writer(
        r#"{ effect = "Allow", actions = ["dynamodb:*"], resources = ["*"] },
           { effect = "Deny", actions = ["dynamodb:PutItem"], resources = ["arn:aws:dynamodb:*:*:table/orders"] }"#,
        true,
    ));
    assert!(num(&s, "requests.by_status.403") > 400.0);
    assert_eq!(
        num(&s, "requests.by_status.403") + num(&s, "requests.by_status.200"),
        999.0
    );
}

#[test]
fn a_component_with_no_role_is_not_checked() {
    // The same role (which would deny the writes) is declared but not named: all pass.
    let s = run(&writer(
        r#"{ effect = "Deny", actions = ["*"], resources = ["*"] }"#,
        false,
    ));
    assert_eq!(num(&s, "requests.by_status.200"), 999.0);
    assert!(archsim::metrics::pointer(&s, "components.api.access").is_none());
}

#[test]
fn a_component_id_in_resources_stands_for_its_arn() {
    let sc = scenario(&writer(
        r#"{ effect = "Allow", actions = ["dynamodb:PutItem"], resources = ["orders"] }"#,
        true,
    ));
    assert_eq!(
        sc.roles[0].statements[0].resources[0].patterns,
        vec![format!(
            "arn:aws:dynamodb:home:{}:table/orders",
            archsim::iam::ACCOUNT_ID
        )]
    );
}

/// A service with a role reading and writing a table through a cache (cache-aside: on a miss,
/// or a write, the application calls the table itself); `admin` is a second caller of the
/// cache, with a role of its own, when `admin_role` is given (it gets no traffic).
fn through_cache(api_role: Option<&str>, admin_role: Option<&str>) -> String {
    let role_line = |r: Option<&str>, id: &str| match r {
        Some(_) => format!("role = \"{id}-role\""),
        None => String::new(),
    };
    let role_table = |r: Option<&str>, id: &str| match r {
        Some(statements) => {
            format!("[[role]]\nid = \"{id}-role\"\nstatements = [ {statements} ]\n")
        }
        None => String::new(),
    };
    let admin = match admin_role {
        Some(_) => format!(
            "[[component]]\nid = \"admin\"\nkind = \"service\"\n{}\nservers = 1\nservice_time = \"1ms\"\ncalls = [ {{ to = \"cache\", timeout = \"1s\" }} ]\n",
            role_line(admin_role, "admin")
        ),
        None => String::new(),
    };
    format!(
        r#"
[scenario]
duration = "10s"
seed = 3

[[workload]]
name = "users"
target = "api"
arrival = {{ process = "constant", rate = 100 }}
mix = [ {{ op = "read", weight = 1 }}, {{ op = "write", weight = 1 }} ]
timeout = "5s"

{}
{}
[[component]]
id = "api"
kind = "service"
{}
servers = 50
service_time = "1ms"
calls = [ {{ to = "cache", timeout = "1s" }} ]

{admin}
[[component]]
id = "cache"
kind = "cache"
backend = "orders"
capacity = 1000

[[component]]
id = "orders"
kind = "dynamodb"
rcu = 1000
wcu = 1000
"#,
        role_table(api_role, "api"),
        role_table(admin_role, "admin"),
        role_line(api_role, "api"),
    )
}

#[test]
fn a_caches_calls_to_its_backend_are_checked_against_its_callers_roles() {
    // The cache has no role: its misses and writes are the service's, made with its role,
    // which allows reads only. Every write is a 403, counted on the cache's link.
    let s = run(&through_cache(Some(READS), None));
    let (total, denied) = (num(&s, "requests.total"), num(&s, "requests.by_status.403"));
    assert_eq!(total, 999.0);
    assert_eq!(denied + num(&s, "requests.by_status.200"), total);
    // Binomial(999, 1/2): within ±5 standard deviations (±79) of 499.5.
    assert!((denied - 499.5).abs() < 79.0, "{denied} writes denied");
    assert_eq!(num(&s, "components.cache.access.denied.orders"), denied);
    // Lint says whose role denies, and that the call is the callers'.
    let l = archsim::access::lint(&scenario(&through_cache(Some(READS), None)));
    assert!(l.failed());
    let hit = l
        .findings
        .iter()
        .find(|f| f.error)
        .map(|f| f.message.as_str())
        .unwrap_or_default();
    assert!(
        hit.contains("\"cache\"'s call its kind makes (its callers' request")
            && hit.contains("dynamodb:PutItem")
            && hit.contains("role \"api-role\" denies"),
        "{hit}"
    );
    // The role's GetItem is used, through the cache: no advice that nothing uses it.
    assert!(
        !l.findings.iter().any(|f| f
            .message
            .contains("is granted but no call of the scenario uses it")),
        "{:?}",
        l.findings
    );
    // With PutItem allowed, everything passes.
    let s = run(&through_cache(Some(ALL), None));
    assert_eq!(num(&s, "requests.by_status.200"), 999.0);
    // A caller with no role is out of the model's credentials: the cache's calls pass.
    let s = run(&through_cache(None, None));
    assert_eq!(num(&s, "requests.by_status.200"), 999.0);
    assert!(archsim::metrics::pointer(&s, "components.cache.access").is_none());
    // Two callers whose roles disagree: one gate per link, and the call passes when one of
    // them may make it (as the network judges the cache's connections). Each role that
    // allows a call has its grant used: lint calls neither's unused.
    let two = through_cache(Some(READS), Some(ALL));
    let s = run(&two);
    assert_eq!(num(&s, "requests.by_status.200"), 999.0);
    let l = archsim::access::lint(&scenario(&two));
    assert!(!l.failed(), "{:?}", l.findings);
    // But lint advises that the service's writes would be denied in AWS.
    assert!(
        l.findings.iter().any(|f| !f.error
            && f.message.contains(
                "which role \"api-role\" of one of its callers denies and \"admin-role\" allows"
            )
            && f.message
                .contains("operation `write` asks for dynamodb:PutItem")),
        "{:?}",
        l.findings
    );
    assert!(
        !l.findings.iter().any(|f| f
            .message
            .contains("is granted but no call of the scenario uses it")),
        "{:?}",
        l.findings
    );
    // Running it warns of it too: the run's figures show every write served.
    assert!(
        scenario(&two)
            .warnings
            .iter()
            .any(|w| w.message.contains("of one of its callers denies")),
        "{:?}",
        scenario(&two).warnings
    );
    // Swapped, the caller whose role denies writes sends none (it gets no requests at all):
    // nothing to note.
    let l = archsim::access::lint(&scenario(&through_cache(Some(ALL), Some(READS))));
    assert!(
        !l.findings
            .iter()
            .any(|f| f.message.contains("of one of its callers denies")),
        "{:?}",
        l.findings
    );
    // Two callers that both deny the writes: lint names both roles.
    let l = archsim::access::lint(&scenario(&through_cache(Some(READS), Some(READS))));
    let hit = l
        .findings
        .iter()
        .find(|f| f.error)
        .map(|f| f.message.as_str())
        .unwrap_or_default();
    assert!(
        hit.contains("which none of its callers' roles allows (role \"api-role\": no statement allows it (the implicit deny); role \"admin-role\": no statement allows it"),
        "{hit}"
    );
    // The cache's own role, allowing everything, does not sign its callers' requests.
    let own = through_cache(Some(READS), None).replace(
        "id = \"cache\"\nkind = \"cache\"",
        "id = \"cache\"\nkind = \"cache\"\nrole = \"cache-role\"",
    ) + "\n[[role]]\nid = \"cache-role\"\nstatements = [ { effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] } ]\n";
    assert!(own.contains("role = \"cache-role\""));
    let s = run(&own);
    assert!((num(&s, "requests.by_status.403") - 499.5).abs() < 79.0);
}

/// `text` (from `through_cache`) with every call to the cache made through a Route 53 name,
/// "name", written just before the cache or, with `first`, before every other component.
fn behind_name(text: &str, first: bool) -> String {
    let name =
        "[[component]]\nid = \"name\"\nkind = \"route53\"\nrecords = [{ to = \"cache\" }]\n\n";
    let text = text.replace(
        "{ to = \"cache\", timeout = \"1s\" }",
        "{ to = \"name\", timeout = \"1s\" }",
    );
    let before = if first {
        "[[component]]\nid = \"api\""
    } else {
        "[[component]]\nid = \"cache\""
    };
    let named = text.replacen(before, &format!("{name}{before}"), 1);
    assert!(named.contains("kind = \"route53\"") && named.contains("to = \"name\""));
    named
}

const READS: &str =
    r#"{ effect = "Allow", actions = ["dynamodb:GetItem"], resources = ["orders"] }"#;
const ALL: &str = r#"{ effect = "Allow", actions = ["dynamodb:GetItem", "dynamodb:PutItem"], resources = ["orders"] }"#;

#[test]
fn a_cache_behind_a_route53_name_is_checked_against_the_names_callers_roles() {
    // The service reaches the cache through a Route 53 name: the name's calls are its
    // callers' connections, so the cache's calls to its table are the service's too, made
    // with its role, which allows reads only. Every write is a 403, as with no name between.
    let named = behind_name(&through_cache(Some(READS), None), false);
    let s = run(&named);
    let (total, denied) = (num(&s, "requests.total"), num(&s, "requests.by_status.403"));
    assert_eq!(total, 999.0);
    assert!((denied - 499.5).abs() < 79.0, "{denied} writes denied");
    assert_eq!(num(&s, "components.cache.access.denied.orders"), denied);
    // Lint says the call is the callers' and whose role denies it.
    let l = archsim::access::lint(&scenario(&named));
    assert!(l.failed());
    assert!(
        l.findings.iter().any(|f| f.error
            && f.message
                .contains("(its callers' request, made with their credentials)")
            && f.message.contains("role \"api-role\" denies")
            && f.message.contains("dynamodb:PutItem")),
        "{:?}",
        l.findings
    );
    // The cache's connections are the service's, looked for through the name; the name's
    // own are the service's too.
    assert_eq!(acting_of(&named, "cache"), vec!["\"api\"".to_string()]);
    assert_eq!(acting_of(&named, "name"), vec!["\"api\"".to_string()]);
    // A service calling the cache both directly and through the name is its one caller,
    // whichever is written first: the name, called by it, never stands for itself.
    for first in [false, true] {
        let both = behind_name(&through_cache(Some(READS), None), first).replace(
            "calls = [ { to = \"name\", timeout = \"1s\" } ]",
            "calls = [ { to = \"name\", timeout = \"1s\" }, { to = \"cache\", timeout = \"1s\" } ]",
        );
        assert!(both.contains("{ to = \"cache\", timeout"));
        assert_eq!(
            acting_of(&both, "cache"),
            vec!["\"api\"".to_string()],
            "{first}"
        );
        let s = run(&both);
        assert!(num(&s, "requests.by_status.403") > 400.0, "{first}");
    }
}

#[test]
fn a_split_decision_through_a_route53_name_is_noted() {
    // Two callers reach the cache through the name, one whose role allows writes and one
    // whose role does not: one decision per link lets both through, and lint notes it, as
    // it does for callers of the cache itself.
    let two = behind_name(&through_cache(Some(READS), Some(ALL)), false);
    let s = run(&two);
    assert_eq!(num(&s, "requests.by_status.200"), 999.0);
    let l = archsim::access::lint(&scenario(&two));
    assert!(!l.failed(), "{:?}", l.findings);
    assert!(
        l.findings.iter().any(|f| !f.error
            && f.run_differs
            && f.message.contains(
                "which role \"api-role\" of one of its callers denies and \"admin-role\" allows"
            )),
        "{:?}",
        l.findings
    );
    // The name's own role signs nothing (its calls are its callers'): the writes it passes
    // on are not counted as sent by the callers holding that role. Here the service may
    // write and the one caller holding the name's role sends nothing: nothing to note.
    let signed = behind_name(&through_cache(Some(ALL), Some(READS)), false).replace(
        "kind = \"route53\"\n",
        "kind = \"route53\"\nrole = \"admin-role\"\n",
    );
    assert!(signed.contains("role = \"admin-role\"\nrecords"));
    let l = archsim::access::lint(&scenario(&signed));
    assert!(
        !l.findings
            .iter()
            .any(|f| f.message.contains("of one of its callers denies")),
        "{:?}",
        l.findings
    );
}

/// Who `network::acting` says makes component `id`'s connections, as messages name them.
fn acting_of(text: &str, id: &str) -> Vec<String> {
    use archsim::network::{acting, Caller};
    let sc = scenario(text);
    let c = sc
        .components
        .iter()
        .position(|c| c.id == id)
        .expect("the component");
    acting(&sc, Caller::Component(c))
        .into_iter()
        .map(|a| a.name(&sc))
        .collect()
}

#[test]
fn a_route53_names_calls_are_its_callers_connections_signed_by_nobody() {
    // A service whose role allows nothing reads a bucket's website through a Route 53 alias:
    // the name connects as its callers (security groups judge them so) but a website
    // endpoint is read anonymously, so no role is asked and every read passes.
    let text = r#"
[scenario]
duration = "10s"
seed = 3

[[workload]]
name = "users"
target = "app"
arrival = { process = "constant", rate = 100 }
timeout = "5s"

[[role]]
id = "app-role"
statements = [ { effect = "Deny", actions = ["*"], resources = ["*"] } ]

[[component]]
id = "app"
kind = "service"
role = "app-role"
servers = 50
service_time = "1ms"
calls = [ { to = "www", timeout = "2s" } ]

[[component]]
id = "www"
kind = "route53"
records = [{ to = "site", alias = true }]

[[component]]
id = "site"
kind = "s3"
"#;
    let s = run(text);
    assert_eq!(num(&s, "requests.by_status.200"), 999.0);
    let l = archsim::access::lint(&scenario(text));
    assert!(!l.failed(), "{:?}", l.findings);
    // The same role on a direct call to the bucket denies every read: the role is asked
    // there.
    let direct = text.replace("{ to = \"www\", timeout", "{ to = \"site\", timeout");
    let s = run(&direct);
    assert_eq!(num(&s, "requests.by_status.403"), 999.0);
}

fn lint(path: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("lint")
        .arg(path)
        .output()
        .expect("archsim runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Bundled scenarios whose lesson is a call that would be denied or dropped.
const LINT_FAILS: &[&str] = &[
    "iam-missing-putitem.toml",
    "security-group-missing-rule.toml",
    "nacl-forgot-ephemeral-ports.toml",
];

#[test]
fn lint_exits_1_on_a_denied_call_and_0_on_every_other_bundled_scenario() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let (code, text) = lint(&f);
        let want = if LINT_FAILS.contains(&name.as_str()) {
            1
        } else {
            0
        };
        assert_eq!(code, want, "lint {name}:\n{text}");
    }
}

#[test]
fn lint_locates_the_denied_call_at_its_call_entry() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/iam-missing-putitem.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    // The call entry `{ to = "orders", … }` of orders-api: its line and the column of `to`'s
    // value.
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            l.starts_with("calls = [ { to = \"orders\"")
                .then(|| (i + 1, l.find("\"orders\"").unwrap() + 1))
        })
        .expect("the call entry");
    let (code, out) = lint(&file);
    assert_eq!(code, 1);
    let want = format!("iam-missing-putitem.toml:{line}:{col}: error: ");
    let hit = out
        .lines()
        .find(|l| l.contains(&want))
        .unwrap_or_else(|| panic!("{want} in:\n{out}"));
    assert!(
        hit.contains("dynamodb:PutItem") && hit.contains("AccessDeniedException"),
        "{hit}"
    );
    // Said once: not again as the warning a run gives of it (it ends "`archsim lint` lists
    // them all").
    let again = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("lint")
        .arg(&file)
        .output()
        .expect("archsim runs");
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!err.contains("dynamodb:PutItem"), "{err}");
    // The reads are allowed, the writes denied: partly denied in the matrix.
    assert!(out.contains("partly denied"), "{out}");
    // Least privilege: Query is granted and no call uses it.
    assert!(
        out.contains("\"dynamodb:Query\" is granted but no call of the scenario uses it"),
        "{out}"
    );
}

#[test]
fn lint_suggests_narrowing_a_wildcard_to_what_is_used() {
    let sc = scenario(&writer(
        r#"{ effect = "Allow", actions = ["dynamodb:*"], resources = ["*"] }"#,
        true,
    ));
    let l = archsim::access::lint(&sc);
    assert!(!l.failed());
    let notes: Vec<&str> = l.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        notes.iter().any(|n| n.contains("\"dynamodb:*\" could be narrowed to what the calls use: \"dynamodb:GetItem\", \"dynamodb:PutItem\"")),
        "{notes:?}"
    );
}

#[test]
fn each_aws_api_kind_names_its_action_resource_and_error() {
    let sc = scenario(
        r#"
[scenario]
duration = "10s"

[[workload]]
name = "users"
target = "api"
arrival = { process = "constant", rate = 10 }
mix = [ { op = "read", weight = 1 }, { op = "write", weight = 1 } ]

[[role]]
id = "api-role"
statements = [ { effect = "Allow", actions = ["s3:GetObject"], resources = ["photos"] } ]

[[component]]
id = "api"
kind = "service"
role = "api-role"
service_time = "1ms"
calls = [ { to = "photos" }, { to = "thumbs" }, { to = "jobs" } ]

[[component]]
id = "photos"
kind = "s3"

[[component]]
id = "thumbs"
kind = "lambda"
runtime = "python3.12"
work = "5ms"

[[component]]
id = "jobs"
kind = "sqs"
"#,
    );
    let got: Vec<(String, String, String, &str, bool)> = archsim::access::checks(&sc)
        .into_iter()
        .map(|c| {
            (
                sc.ops[c.op as usize].clone(),
                c.action,
                c.resource,
                c.error,
                c.decision.allowed(),
            )
        })
        .collect();
    let acct = archsim::iam::ACCOUNT_ID;
    let lambda = format!("arn:aws:lambda:home:{acct}:function:thumbs");
    let sqs = format!("arn:aws:sqs:home:{acct}:jobs");
    // aws-facts §19 IAM errors: S3 answers AccessDenied, Lambda and SQS AccessDeniedException.
    let want: Vec<(String, String, String, &str, bool)> = vec![
        (
            "read".into(),
            "s3:GetObject".into(),
            "arn:aws:s3:::photos/*".into(),
            "AccessDenied",
            true,
        ),
        (
            "write".into(),
            "s3:PutObject".into(),
            "arn:aws:s3:::photos/*".into(),
            "AccessDenied",
            false,
        ),
        (
            "read".into(),
            "lambda:InvokeFunction".into(),
            lambda.clone(),
            "AccessDeniedException",
            false,
        ),
        (
            "write".into(),
            "lambda:InvokeFunction".into(),
            lambda,
            "AccessDeniedException",
            false,
        ),
        (
            "read".into(),
            "sqs:SendMessage".into(),
            sqs.clone(),
            "AccessDeniedException",
            false,
        ),
        (
            "write".into(),
            "sqs:SendMessage".into(),
            sqs,
            "AccessDeniedException",
            false,
        ),
    ];
    assert_eq!(got, want);
    // Lint says each denied call entry and action once, with its operations.
    let l = archsim::access::lint(&sc);
    let errors: Vec<&str> = l
        .findings
        .iter()
        .filter(|f| f.error)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[1].contains("operation `read`, `write` asks for lambda:InvokeFunction"),
        "{errors:?}"
    );
    // A resource written exactly as the calls use it is not a wildcard to narrow.
    assert!(
        l.findings
            .iter()
            .all(|f| !f.message.contains("could be narrowed")),
        "{:?}",
        l.findings
    );
}

/// A service that writes objects to a bucket encrypted with SSE-KMS and reads them back;
/// `statements` is its role's policy.
fn sse_kms_caller(statements: &str) -> String {
    format!(
        r#"
[scenario]
duration = "10s"
seed = 3

[[workload]]
name = "users"
target = "api"
arrival = {{ process = "constant", rate = 10 }}
mix = [ {{ op = "write", weight = 1 }}, {{ op = "read", weight = 1 }} ]
timeout = "5s"

[[role]]
id = "api-role"
statements = [ {statements} ]

[[component]]
id = "api"
kind = "service"
role = "api-role"
servers = 10
service_time = "1ms"
calls = [ {{ to = "docs", timeout = "2s" }} ]

[[component]]
id = "docs"
kind = "s3"
encryption = "sse-kms"
kms = "keys"

[[component]]
id = "keys"
kind = "kms"
"#
    )
}

#[test]
fn an_sse_kms_bucket_needs_the_callers_kms_permissions() {
    // s3:UsingKMSEncryption.html: the requester needs kms:GenerateDataKey to upload and
    // kms:Decrypt to download an SSE-KMS object; S3 answers 403 AccessDenied without them.
    let s3_only =
        r#"{ effect = "Allow", actions = ["s3:PutObject", "s3:GetObject"], resources = ["docs"] }"#;
    let s = run(&sse_kms_caller(s3_only));
    let total = num(&s, "requests.total");
    assert_eq!(num(&s, "requests.by_status.403"), total);
    assert_eq!(num(&s, "components.keys.requests"), 0.0);
    // The key's Decrypt alone: reads pass, writes (a new data key) are denied.
    let decrypt = format!(
        r#"{s3_only}, {{ effect = "Allow", actions = ["kms:Decrypt"], resources = ["keys"] }}"#
    );
    let s = run(&sse_kms_caller(&decrypt));
    let (denied, ok) = (
        num(&s, "requests.by_status.403"),
        num(&s, "requests.by_status.200"),
    );
    assert_eq!(denied + ok, total);
    assert!(denied > 0.0 && ok > 0.0, "{denied} denied, {ok} served");
    let sc = scenario(&sse_kms_caller(&decrypt));
    let key_checks: Vec<(String, String, bool)> = archsim::access::checks(&sc)
        .into_iter()
        .filter(|c| c.action.starts_with("kms:"))
        .map(|c| {
            (
                sc.ops[c.op as usize].clone(),
                c.action,
                c.decision.allowed(),
            )
        })
        .collect();
    assert_eq!(
        key_checks,
        [
            ("read".into(), "kms:Decrypt".into(), true),
            ("write".into(), "kms:GenerateDataKey".into(), false),
        ]
    );
    // Both: every request served.
    let both = format!(
        r#"{s3_only}, {{ effect = "Allow", actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = ["keys"] }}"#
    );
    let s = run(&sse_kms_caller(&both));
    assert_eq!(num(&s, "requests.by_status.200"), total);
    // A LIST reads no object, so asks for no key: served without any KMS permission (with
    // the bucket's ListBucket, API_ListObjectsV2).
    let lists = sse_kms_caller(&s3_only.replace("\"s3:GetObject\"", "\"s3:ListBucket\"")).replace(
        r#"mix = [ { op = "write", weight = 1 }, { op = "read", weight = 1 } ]"#,
        r#"mix = [ { op = "list", weight = 1 } ]"#,
    );
    assert!(lists.contains(r#"op = "list""#));
    let s = run(&lists);
    assert_eq!(num(&s, "requests.by_status.200"), total);
    // Nor does a RestoreObject, carried out on the stored object: only s3:RestoreObject is
    // asked for.
    let restores = sse_kms_caller(&s3_only.replace("\"s3:GetObject\"", "\"s3:RestoreObject\""))
        .replace(
            r#"mix = [ { op = "write", weight = 1 }, { op = "read", weight = 1 } ]"#,
            r#"mix = [ { op = "restore", weight = 1 } ]"#,
        )
        .replace(
            "encryption = \"sse-kms\"",
            "encryption = \"sse-kms\"\nstorage_class = \"glacier_flexible\"",
        );
    let sc = scenario(&restores);
    let asked: Vec<String> = archsim::access::checks(&sc)
        .into_iter()
        .map(|c| c.action)
        .collect();
    assert_eq!(asked, ["s3:RestoreObject"]);
}

#[test]
fn a_lambda_function_decrypts_its_variables_whatever_its_invocation_carries() {
    // A cold start decrypts the environment variables (API_Invoke: "Lambda couldn't decrypt
    // the environment variables"): kms:Decrypt, even when the invocation carries a write.
    let sc = scenario(
        r#"
[scenario]
duration = "10s"

[[workload]]
name = "users"
target = "fn"
arrival = { process = "constant", rate = 5 }
mix = [ { op = "write", weight = 1 } ]

[[role]]
id = "fn-role"
statements = [ { effect = "Allow", actions = ["kms:Decrypt"], resources = ["keys"] } ]

[[component]]
id = "fn"
kind = "lambda"
runtime = "python3.12"
work = "5ms"
role = "fn-role"
kms = "keys"

[[component]]
id = "keys"
kind = "kms"
"#,
    );
    let checks = archsim::access::checks(&sc);
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].action, "kms:Decrypt");
    assert!(checks[0].decision.allowed());
}

/// A service that lists a bucket (one workload) and reads its objects (another); `statements`
/// is its role's policy.
fn lister_and_reader(statements: &str) -> String {
    format!(
        r#"
[scenario]
duration = "10s"
seed = 5

[[workload]]
name = "listers"
target = "api"
arrival = {{ process = "constant", rate = 20 }}
mix = [ {{ op = "list", weight = 1 }} ]
timeout = "5s"

[[workload]]
name = "readers"
target = "api"
arrival = {{ process = "constant", rate = 20 }}
mix = [ {{ op = "read", weight = 1 }} ]
timeout = "5s"

[[role]]
id = "api-role"
statements = [ {statements} ]

[[component]]
id = "api"
kind = "service"
role = "api-role"
servers = 10
service_time = "1ms"
calls = [ {{ to = "photos", timeout = "2s" }} ]

[[component]]
id = "photos"
kind = "s3"
"#
    )
}

#[test]
fn a_list_asks_for_list_bucket_on_the_bucket_and_a_get_for_get_object_on_its_objects() {
    // API_ListObjectsV2: "You must have permission to perform the s3:ListBucket action", an
    // action on the bucket (arn:aws:s3:::photos); GetObject is an action on its objects
    // (arn:aws:s3:::photos/*). One grant does not stand in for the other.
    let statuses = |statements: &str| {
        let s = run(&lister_and_reader(statements));
        let each = |w: &str| {
            let path = |code: &str| format!("workloads.{w}.requests.by_status.{code}");
            let n = |code: &str| {
                archsim::metrics::pointer(&s, &path(code))
                    .map_or(0.0, |v| v.as_f64().expect("a number"))
            };
            (n("200"), n("403"))
        };
        (each("listers"), each("readers"))
    };
    // Constant arrivals every 50 ms from t = 50 ms: 199 of each in 10 s.
    let (all, none) = ((199.0, 0.0), (0.0, 199.0));
    // GetObject on the objects only: every LIST is denied, every GET served.
    let get_only = r#"{ effect = "Allow", actions = ["s3:GetObject"], resources = ["arn:aws:s3:::photos/*"] }"#;
    assert_eq!(statuses(get_only), (none, all));
    // ListBucket on the bucket only: the reverse.
    let list_only =
        r#"{ effect = "Allow", actions = ["s3:ListBucket"], resources = ["arn:aws:s3:::photos"] }"#;
    assert_eq!(statuses(list_only), (all, none));
    // ListBucket granted on the objects' ARN, the classic mistake: no LIST is allowed.
    let list_on_objects = r#"{ effect = "Allow", actions = ["s3:ListBucket", "s3:GetObject"], resources = ["arn:aws:s3:::photos/*"] }"#;
    assert_eq!(statuses(list_on_objects), (none, all));
    // The bucket's id stands for both its ARNs: both actions on it serve both.
    let both = r#"{ effect = "Allow", actions = ["s3:ListBucket", "s3:GetObject"], resources = ["photos"] }"#;
    assert_eq!(statuses(both), (all, all));
    // What each call asks for, as lint and the gates see it (by operation index).
    let sc = scenario(&lister_and_reader(get_only));
    let asked: Vec<(String, String, String)> = archsim::access::checks(&sc)
        .into_iter()
        .map(|c| (sc.ops[c.op as usize].clone(), c.action, c.resource))
        .collect();
    assert_eq!(
        asked,
        [
            (
                "read".to_string(),
                "s3:GetObject".to_string(),
                "arn:aws:s3:::photos/*".to_string()
            ),
            (
                "list".to_string(),
                "s3:ListBucket".to_string(),
                "arn:aws:s3:::photos".to_string()
            ),
        ]
    );
}

#[test]
fn a_bucket_id_in_resources_stands_for_the_bucket_and_its_objects_and_lint_says_it_once() {
    let sc = scenario(&lister_and_reader(
        r#"{ effect = "Allow", actions = ["s3:GetObject"], resources = ["photos"] }"#,
    ));
    let r = &sc.roles[0].statements[0].resources[0];
    assert_eq!(r.written, "photos");
    assert_eq!(r.patterns, ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"]);
    // The reads use the id (its objects' ARN): no note that it is granted and unused,
    // although the bucket's own ARN serves no call here.
    let l = archsim::access::lint(&sc);
    assert!(
        l.findings
            .iter()
            .all(|f| !f.message.contains("resource \"photos")
                && !f.message.contains("resource \"arn:aws:s3")),
        "{:?}",
        l.findings
    );
    // The LIST is denied, said at the call with the bucket's ARN.
    assert!(
        l.findings.iter().any(|f| f.error
            && f.message
                .contains("asks for s3:ListBucket on arn:aws:s3:::photos,")),
        "{:?}",
        l.findings
    );
    // An id no call uses is said once, by what is written and the ARNs it stands for.
    let sc = scenario(&lister_and_reader(
        r#"{ effect = "Allow", actions = ["s3:GetObject", "s3:ListBucket"], resources = ["photos"] }, { effect = "Allow", actions = ["s3:DeleteObject"], resources = ["photos"] }"#,
    ));
    let notes: Vec<String> = archsim::access::lint(&sc)
        .findings
        .into_iter()
        .map(|f| f.message)
        .filter(|m| m.contains("resource"))
        .collect();
    assert_eq!(
        notes,
        ["least privilege: resource \"photos (arn:aws:s3:::photos, arn:aws:s3:::photos/*)\" is granted but no call of the scenario uses it"]
    );
}

/// Messages sent to a queue "orders" whose event source mapping invokes the function
/// "worker", with role "worker-role" of `statements`.
fn queue_worker(statements: &str) -> String {
    format!(
        r#"
[scenario]
duration = "10s"
seed = 2

[[workload]]
name = "senders"
target = "orders"
arrival = {{ process = "constant", rate = 20 }}
mix = [ {{ op = "write", weight = 1 }} ]

[[role]]
id = "worker-role"
statements = [ {statements} ]

[[component]]
id = "orders"
kind = "sqs"
consumer = {{ to = "worker", batch_size = 10 }}

[[component]]
id = "worker"
kind = "lambda"
runtime = "python3.12"
work = "5ms"
role = "worker-role"
"#
    )
}

/// Line and column of the first `needle` in `text`, 1-based.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i + 1, c + 1)))
        .unwrap_or_else(|| panic!("{needle} in {text}"))
}

#[test]
fn a_queue_mapping_whose_function_cannot_read_the_queue_is_refused() {
    // Lambda Developer Guide, with-sqs.html: the function's execution role needs
    // sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes on the queue;
    // CreateEventSourceMapping refuses a role without them (InvalidParameterValueException,
    // "The provided execution role does not have permissions to call ReceiveMessage on SQS").
    let text = queue_worker(
        r#"{ effect = "Allow", actions = ["sqs:ReceiveMessage"], resources = ["orders"] }"#,
    );
    let err = refused(&text);
    let (line, column) = position_of(&text, "\"worker\", batch_size");
    assert!(
        err.contains(&format!("test.toml:{line}:{column}: ")),
        "located at consumer.to: {err}"
    );
    assert!(
        err.contains("\"worker\" reads the queue \"orders\" through a Lambda event source mapping, with its role \"worker-role\", which does not allow sqs:DeleteMessage, sqs:GetQueueAttributes on arn:aws:sqs:home:123456789012:orders: no statement allows sqs:DeleteMessage, sqs:GetQueueAttributes (the implicit deny); Lambda refuses to create such a mapping"),
        "{err}"
    );
    assert!(err.contains("AWSLambdaSQSQueueExecutionRole"), "{err}");
    // An explicit deny wins over an allow of every SQS action, and says which statement.
    let err = refused(&queue_worker(
        r#"{ effect = "Allow", actions = ["sqs:*"], resources = ["*"] },
  { effect = "Deny", actions = ["sqs:Delete*"], resources = ["*"] }"#,
    ));
    assert!(
        err.contains("which does not allow sqs:DeleteMessage on arn:aws:sqs:home:123456789012:orders: the statement on line"),
        "{err}"
    );
    assert!(
        err.contains("denies sqs:DeleteMessage (an explicit deny wins over any allow)"),
        "{err}"
    );
    // The three on the queue, by its id: the mapping reads and deletes every message.
    let granted = queue_worker(
        r#"{ effect = "Allow", actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], resources = ["orders"] }"#,
    );
    let s = run(&granted);
    // Constant sends every 50 ms from t = 50 ms: 199 in 10 s, each delivered and deleted
    // after the function's 5 ms (the last may still be in its batch when the run ends).
    assert_eq!(num(&s, "components.orders.sends"), 199.0);
    let deletes = num(&s, "components.orders.deletes");
    assert!(deletes >= 198.0, "{deletes} deleted");
    // A role that grants what the mapping needs changes nothing in the run: the same as a
    // function whose role is not checked (no `role`), bit for bit.
    let unchecked = text.replace("role = \"worker-role\"\n", "");
    assert!(!unchecked.contains("role = \"worker-role\""));
    let u = run(&unchecked);
    assert_eq!(u["components"]["orders"], s["components"]["orders"]);
    // The permissions the mapping uses are used: no least-privilege note says otherwise.
    let notes: Vec<String> = archsim::access::lint(&scenario(&granted))
        .findings
        .into_iter()
        .map(|f| f.message)
        .collect();
    assert!(notes.is_empty(), "{notes:?}");
}

/// Writes to a table "orders" whose stream's event source mapping invokes the function
/// "indexer", with role "indexer-role" of `statements`.
fn stream_indexer(statements: &str) -> String {
    format!(
        r#"
[scenario]
duration = "10s"
seed = 2

[[workload]]
name = "writers"
target = "orders"
arrival = {{ process = "constant", rate = 20 }}
mix = [ {{ op = "write", weight = 1 }} ]

[[role]]
id = "indexer-role"
statements = [ {statements} ]

[[component]]
id = "orders"
kind = "dynamodb"
rcu = 100
wcu = 100
stream = {{ consumer = "indexer", batch_size = 10 }}

[[component]]
id = "indexer"
kind = "lambda"
runtime = "python3.12"
work = "5ms"
role = "indexer-role"
"#
    )
}

#[test]
fn a_stream_mapping_whose_function_cannot_read_the_stream_is_refused() {
    // Lambda Developer Guide, with-ddb.html: the role needs dynamodb:DescribeStream,
    // GetRecords, GetShardIterator and ListStreams; the DynamoDB Developer Guide grants them on
    // the stream's ARN (table/<table>/stream/*), which is not the table's. AWS refuses the
    // mapping otherwise: "Cannot access stream … Please ensure the role can perform the
    // GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream".
    let text =
        stream_indexer(r#"{ effect = "Allow", actions = ["dynamodb:*"], resources = ["orders"] }"#);
    let err = refused(&text);
    let (line, column) = position_of(&text, "\"indexer\", batch_size");
    assert!(
        err.contains(&format!("test.toml:{line}:{column}: ")),
        "{err}"
    );
    assert!(
        err.contains("\"indexer\" reads the table's stream \"orders\" through a Lambda event source mapping, with its role \"indexer-role\", which does not allow dynamodb:DescribeStream, dynamodb:GetRecords, dynamodb:GetShardIterator, dynamodb:ListStreams on arn:aws:dynamodb:home:123456789012:table/orders/stream/*"),
        "{err}"
    );
    assert!(err.contains("AWSLambdaDynamoDBExecutionRole"), "{err}");
    // The four on the stream's ARN, as the DynamoDB Developer Guide's policy writes them: the
    // mapping reads the records as it would for a function whose role is not checked.
    let s = run(&stream_indexer(
        r#"{ effect = "Allow", actions = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], resources = ["arn:aws:dynamodb:*:*:table/orders/stream/*"] }"#,
    ));
    // One write every 50 ms from t = 50 ms: 199 records.
    assert_eq!(num(&s, "components.orders.stream.records_written"), 199.0);
    assert!(num(&s, "components.orders.stream.records_processed") > 0.0);
    let unchecked = text.replace("role = \"indexer-role\"\n", "");
    assert!(!unchecked.contains("role = \"indexer-role\""));
    assert_eq!(
        run(&unchecked)["components"]["orders"],
        s["components"]["orders"]
    );
}

#[test]
fn a_role_with_no_statement_denies_every_call_until_one_allows_it() {
    // A role with no policy: IAM's implicit deny refuses every call. It is no explicit deny:
    // a statement added to allow the calls takes effect.
    let none = run(&writer("", true));
    assert_eq!(num(&none, "requests.by_status.403"), 999.0);
    let allowed = run(&writer(
        r#"{ effect = "Allow", actions = ["dynamodb:GetItem", "dynamodb:PutItem"], resources = ["orders"] }"#,
        true,
    ));
    assert_eq!(num(&allowed, "requests.by_status.200"), 999.0);
}

#[test]
fn lint_calls_a_grant_an_explicit_deny_overrules_denied_not_unused() {
    // The writes ask for PutItem, which the first statement allows and the second denies:
    // lint reports the denial, and does not call PutItem's grant unused (a call uses it).
    let sc = scenario(&writer(
        r#"{ effect = "Allow", actions = ["dynamodb:GetItem", "dynamodb:PutItem"], resources = ["orders"] },
           { effect = "Deny", actions = ["dynamodb:PutItem"], resources = ["*"] }"#,
        true,
    ));
    let l = archsim::access::lint(&sc);
    assert!(l.failed());
    let notes: Vec<&str> = l.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        notes.iter().any(|n| n.contains("explicit deny")),
        "{notes:?}"
    );
    assert!(
        !notes
            .iter()
            .any(|n| n.contains("granted but no call of the scenario uses it")),
        "{notes:?}"
    );
    // An action no call asks for at all is still said to be unused.
    let sc = scenario(&writer(
        r#"{ effect = "Allow", actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"], resources = ["orders"] }"#,
        true,
    ));
    let notes: Vec<String> = archsim::access::lint(&sc)
        .findings
        .iter()
        .map(|f| f.message.clone())
        .collect();
    assert!(
        notes.iter().any(|n| n
            .contains("action \"dynamodb:Scan\" is granted but no call of the scenario uses it")),
        "{notes:?}"
    );
}

#[test]
fn lint_gives_no_advice_on_grants_of_services_nothing_simulates() {
    // Every function's role grants CloudWatch Logs (AWSLambdaBasicExecutionRole: logs:* on
    // "*"); no call of a scenario could use it, so "granted but unused" would be advice to
    // break logging. A grant that mixes it with a simulated service is judged on the rest.
    let sc = scenario(&lister_and_reader(
        r#"{ effect = "Allow", actions = ["s3:GetObject", "s3:ListBucket"], resources = ["photos"] }, { effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["*"] }, { effect = "Allow", actions = ["logs:PutLogEvents", "s3:DeleteObject"], resources = ["photos"] }"#,
    ));
    let notes: Vec<String> = archsim::access::lint(&sc)
        .findings
        .into_iter()
        .map(|f| f.message)
        .collect();
    assert!(notes.iter().all(|m| !m.contains("logs:")), "{notes:?}");
    assert!(
        notes.iter().all(|m| !m.contains("resource \"*\"")),
        "{notes:?}"
    );
    assert!(
        notes.contains(
            &"least privilege: action \"s3:DeleteObject\" is granted but no call of the scenario uses it"
                .to_string()
        ),
        "{notes:?}"
    );
}

/// How a warning of a denied or dropped call ends: said as `archsim lint` says it.
const LINT_LISTS: &str = "(`archsim lint` lists them all)";

#[test]
fn a_misspelt_action_of_a_simulated_service_is_warned_with_the_one_meant() {
    // IAM compares action names without regard to case; an action the simulation never asks
    // for but AWS has is no misspelling, whether far from one it asks for
    // (s3:ListAllMyBuckets; kms:Encrypt, two letters from Decrypt) or one of them and a word
    // (s3:PutObjectAcl, kms:GenerateDataKeyPair, lambda:InvokeFunctionUrl).
    let sc = scenario(&sse_kms_caller(
        r#"{ effect = "Allow", actions = ["s3:GetObjects", "s3:PutObjcet", "s3:getobject", "s3:ListAllMyBuckets", "s3:PutObjectAcl", "kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:GenerateDataKeyPair", "lambda:InvokeFunctionUrl"], resources = ["*"] }"#,
    ));
    // Besides the denials they cause, each warned of as `lint` reports it.
    let said: Vec<&str> = sc
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .filter(|m| !m.ends_with(LINT_LISTS))
        .collect();
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(sc.warnings.iter().any(|w| w
        .message
        .contains("asks for s3:PutObject on arn:aws:s3:::docs/*, which role \"api-role\" denies")));
    assert!(
        said[0].starts_with(
            "action \"s3:GetObjects\" is none of the s3 actions archsim's calls ask for"
        ) && said[0].ends_with("(did you mean `s3:GetObject`?)"),
        "{said:?}"
    );
    assert!(
        said[1].ends_with("(did you mean `s3:PutObject`?)"),
        "{said:?}"
    );
}

#[test]
fn every_action_a_call_asks_for_is_one_its_kind_declares() {
    // `Kind::IAM_ACTIONS` is what a misspelling is told from: the actions of the calls (and
    // of the event-source mappings) must all be in it, in the bundled scenarios with roles
    // and in one that calls each AWS API with every operation; the mappings are read from
    // the scenarios whether their function has a role or not.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut scenarios: Vec<archsim::scenario::Scenario> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .flat_map(|p| archsim::scenario::load(&p, &Default::default(), &[]).unwrap())
        .collect();
    scenarios.push(scenario(&sse_kms_caller(
        r#"{ effect = "Allow", actions = ["*"], resources = ["*"] }"#,
    )));
    let mut seen = 0;
    for sc in &scenarios {
        // The calls' actions, and those of every event source mapping, with a role or not.
        let calls = archsim::access::checks(sc).into_iter().map(|c| c.action);
        let mappings = sc
            .components
            .iter()
            .flat_map(|c| c.spec.mappings())
            .flat_map(|m| m.actions.iter().map(|a| a.to_string()));
        for action in calls.chain(mappings) {
            let (prefix, name) = action.split_once(':').unwrap();
            let kind = archsim::components::registry::KINDS
                .iter()
                .find(|k| k.iam_prefix == Some(prefix))
                .unwrap_or_else(|| panic!("{}: no kind has prefix {prefix}", sc.name));
            assert!(
                kind.iam_actions.contains(&name),
                "{}: {} is not in {:?}",
                sc.name,
                action,
                kind.iam_actions
            );
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen}");
}

#[test]
fn lint_says_when_a_granted_action_is_asked_for_on_resources_it_does_not_name() {
    // The bucket's ARN without its objects' `/*`: GetObject and PutObject name objects.
    let sc = scenario(&sse_kms_caller(
        r#"{ effect = "Allow", actions = ["s3:GetObject", "s3:PutObject", "kms:*"], resources = ["arn:aws:s3:::docs", "keys"] }"#,
    ));
    let l = archsim::access::lint(&sc);
    let notes: Vec<&str> = l.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        notes.contains(&"least privilege: action \"s3:GetObject\" is granted on resources none of its calls name: they ask for it on \"arn:aws:s3:::docs/*\""),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .all(|n| !n.contains("\"s3:GetObject\" is granted but no call")),
        "{notes:?}"
    );
}

#[test]
fn an_arn_in_a_region_no_component_is_in_is_warned_with_the_region_to_set() {
    // A realistic policy names us-east-1; a scenario that sets no region has its components
    // in the default one, whose ARNs the calls ask for: the statement matches none of them.
    let policy = r#"{ effect = "Allow", actions = ["s3:GetObject", "s3:PutObject"], resources = ["docs"] }, { effect = "Allow", actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = ["arn:aws:kms:us-east-1:123456789012:key/*"] }"#;
    let text = sse_kms_caller(policy);
    let said: Vec<String> = scenario(&text)
        .warnings
        .iter()
        .map(|w| w.message.clone())
        .filter(|m| !m.ends_with(LINT_LISTS))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("names region \"us-east-1\", where no component is")
            && said[0].ends_with("set `[network] region = \"us-east-1\"`"),
        "{said:?}"
    );
    // Denied as it said, every call.
    let s = run(&text);
    assert_eq!(num(&s, "requests.by_status.403"), num(&s, "requests.total"));
    // With the region set, no warning, and the calls are allowed.
    let there = format!("{text}\n[network]\nregion = \"us-east-1\"\n");
    assert!(scenario(&there).warnings.is_empty());
    let s = run(&there);
    assert_eq!(num(&s, "requests.by_status.200"), num(&s, "requests.total"));
}

#[test]
fn a_component_that_cannot_be_read_makes_no_false_role_errors() {
    // A statement naming the bucket and a component naming the role: one wrong value in the
    // bucket is the one error said, not the role's resource and every component's role
    // after it.
    let policy = r#"{ effect = "Allow", actions = ["s3:PutObject", "s3:GetObject", "kms:Decrypt", "kms:GenerateDataKey"], resources = ["docs", "keys"] }"#;
    let text =
        sse_kms_caller(policy).replace("encryption = \"sse-kms\"", "encryption = \"sse-kmz\"");
    let e = archsim::scenario::parse(std::path::Path::new("x.toml"), &text)
        .unwrap_err()
        .to_string();
    assert_eq!(e.matches("x.toml:").count(), 1, "{e}");
    assert!(e.contains("sse-kmz"), "{e}");
}
