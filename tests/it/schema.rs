//! The JSON Schema editors read (`archsim.schema.json`): generated from the declarations and
//! committed as generated; it accepts every bundled scenario and refuses what the bad corpus
//! holds wherever a schema can tell; the scenario's own tables declare the keys their parser
//! takes.

use archsim::scenario;
use std::path::Path;

fn schema() -> serde_json::Value {
    archsim::scenario::schema::scenario_schema()
}

fn as_json(toml_text: &str) -> serde_json::Value {
    toml::from_str::<serde_json::Value>(toml_text).expect("TOML parses")
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("archsim.schema.json");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).expect("archsim.schema.json is committed"),
    )
    .expect("it is JSON");
    assert!(
        committed == schema(),
        "archsim.schema.json is out of date: run `cargo run --release -- schema > archsim.schema.json`"
    );
}

#[test]
fn the_schema_accepts_every_bundled_scenario() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut wrong = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let doc = as_json(&std::fs::read_to_string(&p).unwrap());
        for err in validator.iter_errors(&doc) {
            wrong.push(format!(
                "{}: {} at {}",
                p.display(),
                err,
                err.instance_path()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_schema_refuses_the_bad_corpus_where_a_schema_can_tell() {
    // A bad file says `# schema: cannot tell` (with why) when its mistake is beyond what a
    // schema expresses (an id that names no component, a cycle, a bound between two keys);
    // every other must be refused by the schema too, as an editor would flag it.
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut wrong = Vec::new();
    let mut judged = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let beyond = text.lines().any(|l| l.starts_with("# schema: cannot tell"));
        let Ok(doc) = toml::from_str::<serde_json::Value>(&text) else {
            continue; // Not TOML at all: the editor's TOML parser says so.
        };
        let valid = validator.is_valid(&doc);
        match (beyond, valid) {
            (false, true) => wrong.push(format!("{}: the schema accepts it", p.display())),
            (true, false) => wrong.push(format!(
                "{}: the schema refuses it, though it says it cannot tell",
                p.display()
            )),
            _ => judged += 1,
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(judged >= 40, "only {judged} judged");
}

/// The keys the parser accepts in a scenario table, read from its message about an unknown
/// key placed in it.
fn accepted(text_with_probe: &str) -> std::collections::BTreeSet<String> {
    let err =
        scenario::parse(Path::new("p.toml"), text_with_probe).expect_err("the probe is refused");
    let msg = err
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .find(|m| m.contains("`__probe__`"))
        .unwrap_or_else(|| panic!("no message about the probe: {err}"));
    msg.split("allowed keys here: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{msg}"))
        .split(", ")
        .map(str::to_string)
        .collect()
}

#[test]
fn the_scenario_tables_declare_the_keys_their_parser_takes() {
    use archsim::scenario::keys;
    let base = "[scenario]\nduration = \"1s\"\n[[workload]]\nname = \"u\"\ntarget = \"s\"\narrival = { process = \"constant\", rate = 1 }\n[[component]]\nid = \"s\"\nkind = \"service\"\nservice_time = \"1ms\"\n";
    let names = |keys: &[archsim::config::keys::Key]| -> std::collections::BTreeSet<String> {
        keys.iter().map(|k| k.name.to_string()).collect()
    };
    let cases: [(&str, &[archsim::config::keys::Key]); 11] = [
        (
            "[[network_acl]]\nid = \"n\"\nazs = [\"a\"]\ninbound = []\noutbound = []\n__probe__ = 1\n",
            keys::NETWORK_ACL,
        ),
        (
            "[[network_acl]]\nid = \"n\"\nazs = [\"a\"]\ninbound = [{ rule = 1, action = \"allow\", from = \"clients\", ports = \"all\", __probe__ = 1 }]\noutbound = []\n",
            keys::NACL_RULE,
        ),
        (
            "[[role]]\nid = \"r\"\nstatements = [{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"] }]\n__probe__ = 1\n",
            keys::ROLE,
        ),
        (
            "[[role]]\nid = \"r\"\nstatements = [{ effect = \"Allow\", actions = [\"*\"], resources = [\"*\"], __probe__ = 1 }]\n",
            keys::STATEMENT,
        ),
        ("[scenario]\n__probe__ = 1\n", keys::SCENARIO),
        ("[account]\n__probe__ = 1\n", keys::ACCOUNT),
        ("[network]\n__probe__ = 1\n", keys::NETWORK),
        ("[[workload]]\n__probe__ = 1\n", keys::WORKLOAD),
        ("[[fault]]\n__probe__ = 1\n", keys::FAULT),
        ("[[expect]]\n__probe__ = 1\n", keys::EXPECT),
        (
            "[[variant]]\nname = \"v\"\nset = { \"s.servers\" = 2 }\n__probe__ = 1\n",
            keys::VARIANT,
        ),
    ];
    for (probe, declared) in cases {
        let text = if probe.starts_with("[scenario]") {
            base.replacen("[scenario]\n", probe, 1)
        } else {
            format!("{base}{probe}")
        };
        assert_eq!(accepted(&text), names(declared), "{probe}");
    }
}
