//! Every malformed scenario in `tests/bad/` is refused with the diagnostic its first line
//! announces: `# expect: LINE:COLUMN: words that must appear`.

use archsim::scenario;
use std::path::Path;

/// Each diagnostic of `text` (read as file `name`, which must be refused) as "line:column
/// message", in the order they are reported.
fn located(name: &str, text: &str) -> Vec<String> {
    scenario::parse(Path::new(name), text)
        .unwrap_err()
        .diagnostics
        .iter()
        .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
        .collect()
}

#[test]
fn each_bad_scenario_gets_its_diagnostic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|f| f.extension().is_some_and(|x| x == "toml"));
    files.sort();
    assert!(
        files.len() >= 20,
        "the corpus should cover every validation rule"
    );
    let mut wrong = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let expectations: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !expectations.is_empty(),
            "{}: no `# expect:` line",
            f.display()
        );
        let err = match scenario::parse(&f, &text) {
            Ok(_) => {
                wrong.push(format!("{} was accepted", f.display()));
                continue;
            }
            Err(e) => e,
        };
        let shown = err.to_string();
        for exp in expectations {
            let (pos, words) = exp.split_once(": ").unwrap();
            let want_prefix = format!("{}:{pos}: ", f.display());
            if !shown
                .lines()
                .any(|l| l.starts_with(&want_prefix) && l.contains(words))
            {
                wrong.push(format!(
                    "{}: expected a diagnostic at {pos} containing {words:?}; got:\n{shown}",
                    f.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn all_problems_of_a_file_are_reported_at_once() {
    let text = r#"
[scenario]
duration = "10s"
warmup = "20s"
[[workload]]
name = "u"
target = "nowhere"
arrival = { process = "poisson", rate = -1 }
[[component]]
id = "svc"
kind = "service"
service_time = "1ms"
servers = 0
"#;
    let msgs = located("x.toml", text);
    let all = msgs.join("\n");
    for want in [
        "4:10 `warmup`",
        "7:10 `target`",
        "8:41 `arrival.rate`",
        "13:11 `servers`",
    ] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
}

#[test]
fn every_mistake_of_a_first_try_comes_out_in_one_pass() {
    // A first scenario with mistakes of every sort. An unknown word beside a value of the
    // wrong type in one inline table, and a comparison of two keys in a table with other
    // mistakes, were each hidden until the others were fixed.
    let text = r#"[scenario]
name = "bad2"
duration = "5M"

[[workload]]
name = "users"
target = "api"
arrival = { process = "poison", rate = "100/s" }

[[component]]
id = "api"
kind = "api_gatway"
target = "fn"

[[component]]
id = "fn"
kind = "lambda"
memory_mb = 100
work = "30"
reserved_concurrency = 2000
provisioned_concurrency = 3000
calls = [ { to = "table", probability = 1.5 } ]

[[component]]
id = "table"
kind = "dynamodb"
rcu = 100
"#;
    let got = located("bad2.toml", text);
    let want = [
        "3:12 `duration`: \"5M\" is not a duration",
        "8:23 `arrival.process` = \"poison\" is not known",
        "8:40 `arrival.rate`: wrong type",
        "12:8 `kind` = \"api_gatway\" is not known",
        "18:13 `memory_mb` must be a whole number from 128 to 10240, not 100",
        "19:8 `work`: \"30\" has no unit",
        "21:27 `provisioned_concurrency` (3000) cannot exceed `reserved_concurrency` (2000)",
        "22:41 `calls.probability` must be from 0 to 1, not 1.5",
        "24:1 a provisioned table needs `rcu` and `wcu`",
    ];
    for w in want {
        assert!(
            got.iter().any(|g| g.starts_with(w)),
            "missing {w:?} in:\n{}",
            got.join("\n")
        );
    }
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
}

#[test]
fn a_value_of_the_wrong_type_hides_no_other_mistake_of_its_table_and_is_not_said_missing() {
    // `rate` and `rcu` are written, of the wrong type: the rest of each table is checked
    // without them (the target's typo, `wcu` out of range), and nothing says they are
    // missing.
    let text = r#"[scenario]
duration = "1m"
[[workload]]
name = "users"
target = "tabel"
arrival = { process = "poisson", rate = "100/s" }
[[component]]
id = "table"
kind = "dynamodb"
rcu = "100"
wcu = 0
"#;
    let got = located("x.toml", text);
    let want = [
        "5:10 `target` names \"tabel\", which is not a component id",
        "6:41 `arrival.rate`: wrong type",
        "10:7 `rcu`: wrong type",
        "11:7 `wcu` must be a positive number",
    ];
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
    for (g, w) in got.iter().zip(want) {
        assert!(g.starts_with(w), "{g:?} is not {w:?}");
    }
}

#[test]
fn a_distributions_own_mistake_and_a_second_unknown_word_are_told_in_the_same_pass() {
    // `servers` of the wrong type beside a lognormal given a p95; an RDS engine misspelt
    // beside a deployment misspelt: each mistake is told at once, not one per try.
    let text = r#"[scenario]
duration = "1m"
[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 100 }
[[component]]
id = "web"
kind = "service"
servers = 8.5
service_time = { dist = "lognormal", median = "20ms", p95 = "80ms" }
calls = [ { to = "db" } ]
[[component]]
id = "db"
kind = "rds"
az = "a"
engine = "postgresql"
deployment = "multi-az"
instance_class = "db.r5.large"
read_time = "2ms"
write_time = "4ms"
"#;
    let got = located("x.toml", text);
    let want = [
        "10:11 `servers`: wrong type",
        "11:55 `p95` is not a parameter of the lognormal distribution",
        "17:10 `engine` = \"postgresql\" is not known (did you mean `postgres`?)",
        "18:14 `deployment` = \"multi-az\" is not known",
    ];
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
    for (g, w) in got.iter().zip(want) {
        assert!(g.starts_with(w), "{g:?} is not {w:?}");
    }
}

#[test]
fn an_unknown_size_of_a_known_family_names_the_sizes_archsim_has() {
    // t3.large is not priced in aws-facts: the t3 sizes that are, not i3.large (one letter
    // away, another family); a misspelt class of a known family gets the nearest; an unknown
    // class hides no mistake in the engine beside it.
    let text = r#"[scenario]
duration = "1m"
[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 10 }
[[component]]
id = "web"
kind = "ec2_autoscaling"
instance_type = "t3.large"
min = 1
max = 1
work = "5ms"
calls = [ { to = "db" } ]
[[component]]
id = "db"
kind = "rds"
engine = "postgresql"
instance_class = "db.r5.larg"
read_time = "1ms"
write_time = "1ms"
"#;
    let got = located("x.toml", text);
    let want = [
        "10:17 unknown instance type \"t3.large\" (of t3, archsim has t3.micro and t3.medium: the sizes it has prices for)",
        "18:10 `engine` = \"postgresql\" is not known",
        "19:18 unknown instance class \"db.r5.larg\" (did you mean `db.r5.large`?)",
    ];
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
    for (g, w) in got.iter().zip(want) {
        assert!(g.starts_with(w), "{g:?} is not {w:?}");
    }
}

#[test]
fn a_workload_that_cannot_be_read_brings_no_second_error_from_an_expectation() {
    // Its name is read even so, and an expectation naming it is not refused (which would
    // say the scenario "has:" no workload at all).
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/workload_timeout_number.toml");
    let text = std::fs::read_to_string(&f).unwrap();
    let shown = scenario::parse(&f, &text).unwrap_err().to_string();
    assert!(shown.contains("`timeout`: wrong type"), "{shown}");
    assert!(!shown.contains("names workload"), "{shown}");
    assert_eq!(
        shown.lines().filter(|l| l.contains(".toml:")).count(),
        1,
        "{shown}"
    );
}

#[test]
fn validate_refuses_what_run_would_refuse_for_its_size() {
    // 8,000 hours at 400 requests a second: far past the default events budget.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("big.toml"),
        "[scenario]\nduration = \"8000h\"\nwindow = \"1h\"\n[[workload]]\nname = \"u\"\n\
         target = \"svc\"\narrival = { process = \"poisson\", rate = 400 }\n[[component]]\n\
         id = \"svc\"\nkind = \"service\"\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    for args in [
        &["validate", "big.toml"][..],
        &["run", "big.toml", "--out", "o"],
    ] {
        let (cmd, o) = (args[0], crate::archsim(args, dir.path()));
        let text = crate::output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {text}");
        assert!(text.contains("would take about"), "{cmd}: {text}");
        assert!(
            text.contains("raise the budget with --max-events"),
            "{cmd}: {text}"
        );
    }
    // A budget raised for it lets validate pass.
    let o = crate::archsim(
        &["validate", "big.toml", "--max-events", "100000000000"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", crate::output_text(&o));
    // With variants, each message names the one it is about.
    let mut text = std::fs::read_to_string(dir.path().join("big.toml")).unwrap();
    text.push_str("[sweep]\n\"svc.servers\" = [2, 3]\n");
    std::fs::write(dir.path().join("big.toml"), text).unwrap();
    let o = crate::archsim(&["validate", "big.toml"], dir.path());
    let text = crate::output_text(&o);
    for v in ["baseline", "servers-2", "servers-3"] {
        assert!(
            text.contains(&format!("scenario big, variant {v}, would take about")),
            "{text}"
        );
    }
    assert!(!dir.path().join("o").exists(), "nothing ran");
}

#[test]
fn a_swept_path_without_values_is_the_one_problem_of_its_sweep() {
    let text = r#"
[scenario]
duration = "1m"
[[workload]]
name = "u"
target = "svc"
arrival = { process = "poisson", rate = 10 }
[[component]]
id = "svc"
kind = "service"
service_time = "1ms"
[sweep]
"svc.servers" = []
"#;
    // Not also "a [sweep] needs at least one path": the path is there, its values are not.
    assert_eq!(
        located("s.toml", text),
        ["13:17 a swept path needs at least one value"]
    );
}

#[test]
fn a_mistake_every_point_of_a_sweep_makes_is_said_once_naming_them() {
    let text = r#"
[scenario]
duration = "10s"
[[workload]]
name = "u"
target = "svc"
arrival = { process = "poisson", rate = 10 }
[[component]]
id = "svc"
kind = "service"
service_time = "1ms"
servers = 2
[sweep]
"svc.srevers" = [1, 2, 3, 4, 5]
"#;
    let msgs = located("x.toml", text);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].starts_with("14:1 variants \"srevers-1\" and 4 more: unknown key `srevers`"),
        "{msgs:?}"
    );
    // Two variants with different mistakes keep a message each, with their own names.
    let two = r#"
[scenario]
duration = "10s"
[[workload]]
name = "u"
target = "svc"
arrival = { process = "poisson", rate = 10 }
[[component]]
id = "svc"
kind = "service"
service_time = "1ms"
servers = 2
[[variant]]
name = "a"
set = { "svc.srevers" = 3 }
[[variant]]
name = "b"
set = { "svc.servers" = -3 }
"#;
    let msgs = located("x.toml", two);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(
        msgs[0].contains("variant \"a\": unknown key `srevers`"),
        "{msgs:?}"
    );
    assert!(msgs[1].contains("variant \"b\": "), "{msgs:?}");
}

#[test]
fn a_max_of_one_on_a_share_is_warned_as_a_bound_that_never_fails() {
    let text = |max: &str| {
        format!(
            r#"
[scenario]
duration = "10s"
[[workload]]
name = "u"
target = "svc"
arrival = {{ process = "poisson", rate = 10 }}
[[component]]
id = "svc"
kind = "service"
service_time = "1ms"
servers = 2
[[expect]]
metric = "error_rate"
max = {max}
"#
        )
    };
    let sc = scenario::parse(Path::new("x.toml"), &text("1")).unwrap();
    let said: Vec<&str> = sc.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        said.iter()
            .any(|w| w.contains("a `max` of 1 can never fail (for 1 %, write 0.01)")),
        "{said:?}"
    );
    let sc = scenario::parse(Path::new("x.toml"), &text("0.01")).unwrap();
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
}

#[test]
fn a_name_written_as_a_number_gets_no_hint_of_durations_and_a_timeout_does() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let e = crate::refused(&read("name_a_number.toml"));
    assert!(
        e.contains("`name`: wrong type: integer `5`, expected a string in quotes"),
        "{e}"
    );
    assert!(!e.contains("duration"), "{e}");
    let e = crate::refused(&read("workload_timeout_number.toml"));
    assert!(e.contains("a duration is written with its unit"), "{e}");
}

/// A value of the wrong type where a string goes is told what its key takes, as the key is
/// declared: a word's choices (an arrival process, a distribution, a kind's mode) or a
/// duration's unit (a kind's, a call's, a retry's, a fault's, an expectation's); a
/// distribution's parameter has a message of its own.
#[test]
fn a_value_of_the_wrong_type_is_told_what_its_key_takes() {
    let e = crate::refused(
        r#"
[scenario]
name = "hints"
duration = "60s"

[[workload]]
name = "w"
target = "fn"
arrival = { process = 5, rate = 10 }

[[workload]]
name = "v"
target = "fn"
arrival = { process = "poisson", rate = 10 }
retry = { attempts = 3, base = 1 }

[[component]]
id = "fn"
kind = "lambda"
timeout = 3
work = { dist = 2, mean = "5ms" }
calls = [ { to = "db", timeout = 2 } ]

[[component]]
id = "db"
kind = "dynamodb"
mode = 1

[[component]]
id = "svc"
kind = "service"
service_time = { dist = "lognormal", median = true, p99 = "100ms" }

[[fault]]
kind = "az_outage"
az = "a"
at = 30
for = "10s"

[[expect]]
metric = "latency_ms.p99"
max = 100
from = 10
"#,
    );
    let duration = r#"expected a string in quotes (a duration is written with its unit, in quotes, such as "10s" or "250ms")"#;
    for said in [
        r#"`arrival.process`: wrong type: integer `5`, expected a string in quotes: one of "constant", "poisson", "step", "ramp", "spike", "diurnal", "trace""#,
        r#"`work.dist`: wrong type: integer `2`, expected a string in quotes: one of "exponential", "lognormal""#,
        r#"`mode`: wrong type: integer `1`, expected a string in quotes: one of "provisioned", "on_demand""#,
        &format!("`retry.base`: wrong type: integer `1`, {duration}"),
        &format!("`timeout`: wrong type: integer `3`, {duration}"),
        &format!("`calls.timeout`: wrong type: integer `2`, {duration}"),
        "`service_time.median`: wrong type: boolean `true`, expected a number, a duration such as \"15ms\", or a list of them",
        &format!("`at`: wrong type: integer `30`, {duration}"),
        &format!("`from`: wrong type: integer `10`, {duration}"),
    ] {
        assert!(e.contains(said), "{said}\nnot in\n{e}");
    }
    // Nine problems, each on its own line, and no duration hint on a word.
    assert_eq!(e.matches("wrong type").count(), 9, "{e}");
    assert_eq!(e.matches("a duration is written").count(), 5, "{e}");
}

/// `[scenario]`, `[network]` and `[account]` written as anything but one table are told how
/// to write them (serde had named its own types: "expected struct RawAccount"; `[[scenario]]`
/// had been told a table was the wrong type).
#[test]
fn a_top_table_written_as_a_value_or_a_list_is_told_to_be_one_table() {
    let rest = "[[workload]]\nname = \"u\"\ntarget = \"s\"\narrival = { process = \"poisson\", rate = 10 }\n[[component]]\nid = \"s\"\nkind = \"service\"\nservice_time = \"1ms\"\n";
    let meta = "[scenario]\nduration = \"10s\"\n";
    for (top, said) in [
        ("account = 5\n", "`account` must be one table, written [account] with its keys on the lines below, not an integer"),
        ("network = \"vpc\"\n", "`network` must be one table, written [network] with its keys on the lines below, not a string"),
        ("[[account]]\nlambda_concurrency = 5\n", "`account` must be one table, written [account] with its keys on the lines below, not a list ([[account]] or `account = [...]`)"),
    ] {
        let e = crate::refused(&format!("{top}{meta}{rest}"));
        assert!(e.contains(said), "{said}\nnot in\n{e}");
        assert!(!e.contains("Raw"), "{e}");
    }
    let e = crate::refused(&format!("[[scenario]]\nduration = \"10s\"\n{rest}"));
    assert!(
        e.contains("test.toml:1:1: `scenario` must be one table, written [scenario] with its keys on the lines below, not a list"),
        "{e}"
    );
    assert_eq!(e.matches("must be one table").count(), 1, "{e}");
}

/// A health check's timeout must be shorter than its interval (aws-facts §3): one left at its
/// default (a Lambda target's too) is said to be, at the interval written, which is what
/// the user changed.
#[test]
fn a_health_check_interval_at_its_default_timeout_is_told_so_where_it_is_written() {
    let text = |hc: &str| {
        format!(
            "[scenario]\nduration = \"10s\"\n[[workload]]\nname = \"u\"\ntarget = \"lb\"\narrival = {{ process = \"poisson\", rate = 10 }}\n[[component]]\nid = \"lb\"\nkind = \"load_balancer\"\ntargets = [\"s\"]\nhealth_check = {hc}\n[[component]]\nid = \"s\"\nkind = \"service\"\nservice_time = \"1ms\"\n"
        )
    };
    let e = crate::refused(&text("{ interval = \"5s\", path = \"shallow\" }"));
    assert!(
        e.contains("test.toml:11:29: `health_check.timeout` (5s, its default) must be shorter than its interval (5s): a longer `interval` or a shorter `timeout`"),
        "{e}"
    );
    let e = crate::refused(&text("{ interval = \"5s\", timeout = \"6s\" }"));
    assert!(
        e.contains(
            "test.toml:11:45: `health_check.timeout` (6s) must be shorter than its interval (5s)"
        ),
        "{e}"
    );
    crate::scenario(&text("{ interval = \"5s\", timeout = \"4s\" }"));
    // A Lambda target's default timeout is 30 s: said so, at the interval written.
    let lambda = text("{ interval = \"20s\" }").replace(
        "kind = \"service\"\nservice_time = \"1ms\"",
        "kind = \"lambda\"\nmemory_mb = 512\nruntime = \"go\"\nwork = \"1ms\"",
    );
    let e = crate::refused(&lambda);
    assert!(
        e.contains("test.toml:11:29: `health_check.timeout` (30s, its default) must be shorter than its interval (20s)"),
        "{e}"
    );
}

/// A whole number too large for any count is told its key's own range, as one within 64 bits
/// but out of range is (TOML's limit and serde's type had been said instead, with no key).
#[test]
fn a_whole_number_past_64_bits_is_told_its_keys_range() {
    let text = |seed: &str, servers: &str| {
        format!("[scenario]\nduration = \"10s\"\nseed = {seed}\n[[workload]]\nname = \"u\"\ntarget = \"s\"\narrival = {{ process = \"poisson\", rate = 10 }}\n[[component]]\nid = \"s\"\nkind = \"service\"\nservers = {servers}\nservice_time = \"1ms\"\n")
    };
    let e = crate::refused(&text("18446744073709551615", "99999999999999999999"));
    for said in [
        "test.toml:3:8: `seed` must be a whole number from 0 to 9223372036854775807, not 18446744073709551615",
        "test.toml:11:11: `servers` must be a whole number from 1 to 1000000, not 99999999999999999999",
    ] {
        assert!(e.contains(said), "{said}\nnot in\n{e}");
    }
    let e = crate::refused(&text("-1", "2000000"));
    assert!(
        e.contains("`seed` must be a whole number from 0 to 9223372036854775807, not -1"),
        "{e}"
    );
    assert!(
        e.contains("`servers` must be a whole number from 1 to 1000000, not 2000000"),
        "{e}"
    );
}

/// A Pareto of shape 1 or less has no finite mean: warned of, where it is written (the
/// overload warning alone had said "inf %").
#[test]
fn a_pareto_without_a_mean_is_warned_of() {
    let text = |shape: &str| {
        format!("[scenario]\nduration = \"10s\"\n[[workload]]\nname = \"u\"\ntarget = \"s\"\narrival = {{ process = \"poisson\", rate = 10 }}\n[[component]]\nid = \"s\"\nkind = \"service\"\nservers = 4\nservice_time = {{ dist = \"pareto\", scale = \"1ms\", shape = {shape} }}\n")
    };
    let warned = crate::located_warnings(&text("0.5"));
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with("11:16")
                && w.contains("a Pareto of shape 0.5 has no finite mean")),
        "{warned:?}"
    );
    assert!(crate::located_warnings(&text("2.5")).is_empty());
}
