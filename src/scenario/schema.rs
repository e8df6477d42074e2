//! The JSON Schema of scenario files, generated from the declarations: the scenario's own
//! tables (`keys.rs`) and every kind's keys from the registry. `archsim schema` prints it;
//! `archsim.schema.json` at the top of the repository is that output, committed, which
//! editors read (Taplo's `#:schema` directive, VS Code's Even Better TOML) for completion and
//! hover docs. Draft 7, which editors support: each `[[component]]` is one of the kinds, told
//! apart by `kind`.

use super::keys;
use crate::components::kms::caller;
use crate::components::registry::KINDS;
use crate::config::keys::{Key, KeyType, CALL, RETRY};
use serde_json::{json, Map, Value};

/// A string `text::printable` leaves as it is: no control character but a tab or a line
/// break, no bidirectional override (the scenario's reader refuses them in every string).
const PRINTABLE: &str = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$";

/// What a duration looks like: numbers with archsim's units ("250ms", "1.5s", "1h30m");
/// `config::check::parse_duration` also wants each unit once, largest first, which a
/// pattern cannot say.
const DURATION_PATTERN: &str = r"^\s*([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h|d)\s*)+$";

/// The distributions and their parameters (every parameter any of them takes).
const DISTRIBUTIONS: &[&str] = &[
    "exponential",
    "lognormal",
    "normal",
    "uniform",
    "gamma",
    "pareto",
    "weibull",
    "empirical",
];

/// The whole schema.
pub fn scenario_schema() -> Value {
    let kinds: Vec<Value> = KINDS.iter().map(component_schema).collect();
    let kind_names: Vec<&str> = KINDS.iter().map(|k| k.info.name).collect();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "archsim scenario",
        "description": "A scenario for archsim, a discrete-event simulator of AWS architectures: traffic, a component graph, faults and expectations.",
        "type": "object",
        "additionalProperties": false,
        "required": ["scenario", "workload", "component"],
        "properties": {
            "scenario": table(keys::SCENARIO, "the scenario: its name, duration, seeds and windows"),
            "account": table(keys::ACCOUNT, "quotas AWS applies across the account and Region"),
            "network": table(keys::NETWORK, "one-way hop latency by zone placement"),
            "workload": {
                "type": "array",
                "description": "sources of traffic",
                "items": table(keys::WORKLOAD, "a workload: its arrivals, operations, keys, timeout and retries"),
            },
            "component": {
                "type": "array",
                "description": format!("the architecture's parts, each of a kind: {}", kind_names.join(", ")),
                "items": { "oneOf": kinds },
            },
            "fault": {
                "type": "array",
                "description": "the fault timeline",
                "items": fault_table(),
            },
            "expect": {
                "type": "array",
                "description": "expectations that `archsim check` judges",
                "items": expect_table(),
            },
            "role": {
                "type": "array",
                "description": "IAM roles: identity policies that components name (`role`) and that every call to an AWS API is checked against",
                "items": table(keys::ROLE, "a role: its id and policy statements"),
            },
            "security_group": {
                "type": "array",
                "description": "VPC security groups: allow-only inbound rules that guard the components naming them (`security_groups`); a call no rule lets in is dropped",
                "items": table(keys::SECURITY_GROUP, "a security group: its id and inbound rules"),
            },
            "network_acl": {
                "type": "array",
                "description": "VPC network ACLs: numbered, stateless allow and deny rules at the boundary of the subnets of the zones they list; a request or reply they deny is dropped",
                "items": table(keys::NETWORK_ACL, "a network ACL: its id, zones and inbound and outbound rules"),
            },
            "variant": {
                "type": "array",
                "description": "what-if variants of the scenario as written (the baseline), each run on the same seeds and compared with it",
                "items": table(keys::VARIANT, "a variant: a name and what it changes"),
            },
            "sweep": {
                "type": "object",
                "description": "a grid of values over paths, each point a variant (`zip = true` pairs the lists instead)",
                "properties": {
                    "zip": { "type": "boolean", "description": "pair the paths' values in order instead of taking every combination" },
                },
                "additionalProperties": {
                    "oneOf": [
                        { "type": "array", "minItems": 1, "description": "the values the path takes" },
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["from", "to", "steps"],
                            "description": "`steps` values from `from` to `to`",
                            "properties": {
                                "from": { "type": "number" },
                                "to": { "type": "number" },
                                "steps": { "type": "integer", "minimum": 2 },
                                "scale": { "enum": ["linear", "log"] },
                            },
                        },
                    ]
                },
            },
        },
        "definitions": {
            "duration": {
                "type": "string",
                "pattern": DURATION_PATTERN,
                "description": "a duration with its unit (ns, us, ms, s, m, h, d): \"250ms\", \"1.5s\", \"2m\", \"1h30m\"",
            },
            "time_dist": dist_schema(true),
            "number_dist": dist_schema(false),
            "retry": table(RETRY, "retries: attempts, backoff, cap, jitter and the outcomes retried"),
            "call": table(CALL, "a downstream call"),
        },
    })
}

/// A `[[fault]]`: its `kind` one of the generic faults or a kind's own.
fn fault_table() -> Value {
    let mut t = table(keys::FAULT, "a fault: when, what kind, where");
    let kinds: Vec<&str> = super::faults::fault_kinds().iter().map(|k| k.0).collect();
    t["properties"]["kind"]["enum"] = json!(kinds);
    t
}

/// A `[[component]]` of one kind: its common keys (`id`, `kind`, `az`, `region`) and its own.
fn component_schema(k: &crate::components::kind::KindEntry) -> Value {
    let (info, info_in_vpc) = (k.info, k.in_vpc);
    let mut schema = table(info.keys, info.about);
    let props = schema["properties"]
        .as_object_mut()
        .expect("a table has properties");
    props.insert(
        "id".into(),
        json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "the component's id, which calls and workloads name: letters, digits, '-' and '_'" }),
    );
    props.insert(
        "kind".into(),
        json!({ "const": info.name, "description": format!("{}: {}", info.title, info.about) }),
    );
    props.insert(
        "region".into(),
        json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "the region it is placed in (omit: the scenario's region, `[network] region`); its zones belong to it" }),
    );
    if !info.keys.iter().any(|k| k.name == "zones") {
        props.insert(
            "az".into(),
            json!({ "type": "string", "description": "the availability zone it is placed in (omit: regional)" }),
        );
    }
    // Any component may name the KMS component it calls (`components::kms::caller`).
    if !info.keys.iter().any(|k| k.name == caller::KEY) {
        props.insert(
            caller::KEY.into(),
            json!({ "type": "string", "description": "the id of the KMS component it calls: S3 with SSE-KMS for each GET and PUT, Lambda at each cold start, any other kind before each request it handles (Decrypt)" }),
        );
    }
    let role = if k.signs_as_callers {
        "the [[role]] whose policy its kms link is checked against (its calls to its backend are its callers' and checked against their roles; omit: not checked)"
    } else {
        "the [[role]] whose policy its calls to AWS APIs are checked against (omit: not checked)"
    };
    props.insert(
        super::roles::ROLE_KEY.into(),
        json!({ "type": "string", "description": role }),
    );
    if info_in_vpc {
        props.insert(
            super::security_groups::KEY.into(),
            json!({ "type": "array", "items": { "type": "string" }, "description": "the [[security_group]]s its network interfaces belong to (1 to 16); calls to it pass only when an inbound rule of one of them matches the caller (omit: not guarded)" }),
        );
    }
    props.insert(
        caller::CACHE_KEY.into(),
        table(
            caller::CACHE_KEYS,
            "with `kms`, on a kind that decrypts each request: the AWS Encryption SDK's data-key cache",
        ),
    );
    let required = schema["required"]
        .as_array_mut()
        .expect("a table lists what it requires");
    required.insert(0, json!("kind"));
    required.insert(0, json!("id"));
    schema["title"] = json!(info.title);
    schema
}

/// A table with `keys`, no others.
fn table(keys: &[Key], about: &str) -> Value {
    let mut props = Map::new();
    for k in keys {
        let v = key_type(&k.ty);
        // A `$ref` beside other keys is ignored by draft 7: wrapped, it keeps its description.
        let v = if v.get("$ref").is_some() {
            json!({ "allOf": [v], "description": k.about })
        } else {
            let mut v = v;
            v["description"] = json!(k.about);
            v
        };
        props.insert(k.name.to_string(), v);
    }
    let required: Vec<&str> = keys.iter().filter(|k| k.required).map(|k| k.name).collect();
    json!({
        "type": "object",
        "description": about,
        "additionalProperties": false,
        "properties": props,
        "required": required,
    })
}

fn key_type(t: &KeyType) -> Value {
    match t {
        KeyType::Integer { min, max } => {
            json!({ "type": "integer", "minimum": min, "maximum": max })
        }
        KeyType::Number { min, max } => {
            let mut v = json!({ "type": "number" });
            if min.is_finite() && *min > f64::MIN {
                v["minimum"] = json!(min);
            }
            if max.is_finite() && *max < f64::MAX {
                v["maximum"] = json!(max);
            }
            v
        }
        KeyType::Duration => json!({ "$ref": "#/definitions/duration" }),
        KeyType::TimeDist => json!({ "$ref": "#/definitions/time_dist" }),
        KeyType::NumberDist => json!({ "$ref": "#/definitions/number_dist" }),
        KeyType::Word(words) => json!({ "type": "string", "enum": words }),
        KeyType::NumberAbove { above, max } => {
            let mut v = json!({ "type": "number", "exclusiveMinimum": above });
            if max.is_finite() && *max < f64::MAX {
                v["maximum"] = json!(max);
            }
            v
        }
        KeyType::Text => json!({ "type": "string", "pattern": PRINTABLE }),
        KeyType::Prose { max_chars } => json!({
            "type": "string",
            "maxLength": max_chars,
            "pattern": PRINTABLE
        }),
        KeyType::Name => json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]+$" }),
        KeyType::Choice(list) => json!({ "type": "string", "enum": list() }),
        KeyType::Bool => json!({ "type": "boolean" }),
        KeyType::Calls => json!({ "type": "array", "items": { "$ref": "#/definitions/call" } }),
        KeyType::Retry => json!({ "$ref": "#/definitions/retry" }),
        KeyType::Ids => json!({
            "oneOf": [
                { "type": "string", "pattern": PRINTABLE },
                { "type": "array", "items": { "type": "string", "pattern": PRINTABLE } },
            ]
        }),
        KeyType::Words => {
            json!({ "type": "array", "items": { "type": "string", "pattern": PRINTABLE } })
        }
        KeyType::Table(keys) => table(keys, ""),
        KeyType::Tables(keys) => json!({ "type": "array", "items": table(keys, "") }),
        KeyType::TableOrBool(keys) => {
            json!({ "oneOf": [ { "type": "boolean" }, table(keys, "") ] })
        }
        KeyType::Steps => json!({
            "type": "array",
            "items": {
                "type": "array",
                "items": [ { "$ref": "#/definitions/duration" }, { "type": "number", "minimum": 0 } ],
                "minItems": 2,
                "maxItems": 2,
            }
        }),
        KeyType::Overrides => json!({
            "type": "object",
            "propertyNames": { "pattern": "^[^.]+(\\.[^.]+)+$" },
        }),
        KeyType::Paths => json!({
            "type": "array",
            "items": { "type": "string", "pattern": "^[^.]+(\\.[^.]+)+$" },
            "uniqueItems": true,
        }),
        KeyType::Outcomes => json!({
            "type": "array",
            "items": {
                "oneOf": [
                    { "type": "integer", "minimum": 400, "maximum": 599 },
                    { "const": "throttle" },
                    { "const": "timeout" },
                ]
            }
        }),
    }
}

/// A distribution: a constant (a duration, or a number), or a table naming it.
fn dist_schema(time: bool) -> Value {
    let value = if time {
        json!({ "$ref": "#/definitions/duration" })
    } else {
        json!({ "type": "number" })
    };
    // A `$ref` beside other keys is ignored by draft 7: wrapped, it keeps its description.
    let param = |desc: &str| json!({ "allOf": [value.clone()], "description": desc });
    json!({
        "description": if time {
            "a duration (a constant), or { dist = \"exponential\", mean = \"10ms\" } and the like"
        } else {
            "a number (a constant), or { dist = \"lognormal\", median = 1024, p99 = 8192 } and the like"
        },
        "oneOf": [
            value.clone(),
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["dist"],
                "properties": {
                    "dist": { "type": "string", "enum": DISTRIBUTIONS, "description": "the distribution; each takes its own parameters" },
                    "mean": param("exponential, lognormal, normal, gamma: the mean"),
                    "median": param("lognormal: the median"),
                    "p99": param("lognormal: the 99th percentile"),
                    "stddev": param("lognormal, normal, gamma: the standard deviation"),
                    "min": param("uniform: the least value"),
                    "max": param("uniform: the greatest value"),
                    "scale": param("gamma, pareto, weibull: the scale"),
                    "shape": { "type": "number", "exclusiveMinimum": 0, "description": "gamma, pareto, weibull: the shape, a plain number" },
                    "values": { "type": "array", "items": value, "minItems": 1, "description": "empirical: the values drawn from, equally likely" },
                },
            },
        ],
    })
}

/// An `[[expect]]`: a bound on a number of summary.json (`metric`) or on every window of a
/// series (`series`), one of the two.
fn expect_table() -> Value {
    let mut t = table(
        keys::EXPECT,
        "a bound on a number of summary.json, or on every window of a time series",
    );
    t["oneOf"] = json!([{ "required": ["metric"] }, { "required": ["series"] }]);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_schema_has_the_keys_an_unknown_key_message_lists() {
        for k in KINDS {
            let schema = component_schema(k);
            let mut in_schema: Vec<&str> = schema["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut listed: Vec<&str> = super::super::header_keys(k);
            listed.extend(k.info.keys.iter().map(|key| key.name));
            in_schema.sort_unstable();
            listed.sort_unstable();
            assert_eq!(in_schema, listed, "{}", k.info.name);
        }
    }
}
