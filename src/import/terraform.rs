//! Terraform plans in JSON (`terraform show -json plan.out`): the managed resources of
//! `planned_values` (the root module and its child modules), each attribute that the plan's
//! `configuration` says refers to another resource replaced by `{"Ref": "<address>"}`, so the
//! kinds' mappings read references as they read CloudFormation's. A reference to a module's
//! output (`module.worker.queue_arn`) is followed to what the output's expression refers to
//! inside the module (`module_calls.worker.module.outputs.queue_arn`), through nested modules,
//! as far as the plan's configuration says.

use super::Resources;
use crate::components::iac::Declared;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Whether a JSON document is a Terraform plan rather than a template.
pub(super) fn is_plan(v: &Value) -> bool {
    v.get("planned_values").is_some() || v.get("terraform_version").is_some()
}

/// The plan's managed resources, in the order planned.
pub(super) fn resources(plan: &Value) -> Result<Resources, String> {
    let Some(root) = plan
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    else {
        return Err(
            "the Terraform plan has no `planned_values.root_module`: write it with `terraform show -json plan.out`"
                .into(),
        );
    };
    let mut out = Vec::new();
    planned(root, &mut out, 0);
    if out.len() > crate::limits::MAX_TEMPLATE_RESOURCES {
        return Err(super::too_many_resources(
            "the plan",
            out.len(),
            "a bound of archsim's on an import's work; Terraform sets none",
        ));
    }
    let addresses: Vec<String> = out.iter().map(|r| bare(&r.name).to_string()).collect();
    let mut config = Configured::default();
    if let Some(m) = plan.get("configuration").and_then(|c| c.get("root_module")) {
        configured(m, "", &mut config, 0);
    }
    let mut known = Known {
        addresses: addresses.iter().map(String::as_str).collect(),
        outputs: &config.outputs,
        resolved: BTreeMap::new(),
    };
    for r in &mut out {
        if let Some(expressions) = config.expressions.get(bare(&r.name)) {
            let module = module_of(&r.name);
            apply(expressions, &mut r.props, module, &mut known, 0);
        }
    }
    Ok(out)
}

/// Collects the managed resources of a planned module and its children.
fn planned(module: &Value, out: &mut Resources, depth: usize) {
    if depth > 32 {
        return;
    }
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("mode").and_then(Value::as_str) != Some("managed") {
            continue;
        }
        let (Some(address), Some(ty)) = (
            r.get("address").and_then(Value::as_str),
            r.get("type").and_then(Value::as_str),
        ) else {
            continue;
        };
        out.push(Declared {
            name: address.to_string(),
            kind: ty.to_string(),
            props: r
                .get("values")
                .cloned()
                .unwrap_or(Value::Object(Map::new())),
        });
    }
    for child in module
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        planned(child, out, depth + 1);
    }
}

/// What a plan's configuration says of its modules.
#[derive(Default)]
struct Configured {
    /// Each configured resource's `expressions`, by its address without an index.
    expressions: Map<String, Value>,
    /// Each module output's references, by `module.<name>.<output>`, with the module
    /// (`module.<name>.`) they are read in.
    outputs: BTreeMap<String, (String, Vec<String>)>,
}

/// The addresses planned and the modules' outputs, which references resolve against, and
/// what each reference read so far resolved to.
struct Known<'a> {
    addresses: std::collections::BTreeSet<&'a str>,
    outputs: &'a BTreeMap<String, (String, Vec<String>)>,
    /// By reference (with its module): each is followed once, so that outputs naming outputs
    /// many times over, module inside module, take time in proportion to them rather than
    /// to the number of ways through them.
    resolved: BTreeMap<String, Vec<String>>,
}

impl Known<'_> {
    /// The longest of `names` that is `full` or that `full` is an attribute of (`full` up to
    /// one of its `.`s).
    fn longest(full: &str, names: impl Fn(&str) -> bool) -> Option<&str> {
        std::iter::once(full.len())
            .chain(full.rmatch_indices('.').map(|(i, _)| i))
            .map(|end| &full[..end])
            .find(|prefix| names(prefix))
    }
}

/// Collects each configured resource's `expressions` by its address without an index,
/// child modules' under `module.<name>.`, and each child module's outputs.
fn configured(module: &Value, prefix: &str, out: &mut Configured, depth: usize) {
    if depth > 32 {
        return;
    }
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(address), Some(e)) = (
            r.get("address").and_then(Value::as_str),
            r.get("expressions"),
        ) {
            out.expressions
                .insert(format!("{prefix}{address}"), e.clone());
        }
    }
    if let Some(Value::Object(calls)) = module.get("module_calls") {
        for (name, call) in calls {
            let Some(m) = call.get("module") else {
                continue;
            };
            let inner = format!("{prefix}module.{name}.");
            if let Some(Value::Object(outputs)) = m.get("outputs") {
                for (o, body) in outputs {
                    let refs = body
                        .get("expression")
                        .and_then(|e| e.get("references"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    out.outputs
                        .insert(format!("{inner}{o}"), (inner.clone(), refs));
                }
            }
            configured(m, &inner, out, depth + 1);
        }
    }
}

/// An address without its instance keys: `aws_sqs_queue.q[0]` → `aws_sqs_queue.q`.
fn bare(address: &str) -> &str {
    address.split('[').next().unwrap_or(address)
}

/// The module part of an address: `module.a.aws_sqs_queue.q` → `module.a.`.
fn module_of(address: &str) -> &str {
    let bare = bare(address);
    let mut end = 0;
    let parts: Vec<&str> = bare.split('.').collect();
    let mut i = 0;
    while i + 1 < parts.len() && parts[i] == "module" {
        end += parts[i].len() + parts[i + 1].len() + 2;
        i += 2;
    }
    &bare[..end.min(bare.len())]
}

/// Replaces each attribute of `values` whose expression refers to resources of the plan by
/// references to them (nested blocks followed as lists of objects).
fn apply(expr: &Value, values: &mut Value, module: &str, known: &mut Known<'_>, depth: usize) {
    if depth > 32 {
        return;
    }
    match expr {
        Value::Object(e) if e.contains_key("references") || e.contains_key("constant_value") => {
            // One reference to each resource, in the order first named: a reference to its
            // endpoint or address (`aws_db_instance.db.address`) as `Fn::GetAtt` of that
            // attribute, as CloudFormation's is, so that a mapping can tell a process given
            // the address (a launch template's `user_data`); any other as `Ref`.
            let mut refs: Vec<Value> = Vec::new();
            let mut at: BTreeMap<String, usize> = BTreeMap::new();
            for r in e
                .get("references")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(r) = r.as_str() else { continue };
                let full = format!("{module}{r}");
                for a in resolve(r, module, known, 0) {
                    let host = attribute(&full, &a)
                        .filter(|attr| crate::components::iac::endpoint_attribute(attr));
                    let v = match host {
                        Some(attr) => serde_json::json!({ "Fn::GetAtt": [a, attr] }),
                        None => serde_json::json!({ "Ref": a }),
                    };
                    match at.get(&a) {
                        None => {
                            at.insert(a, refs.len());
                            refs.push(v);
                        }
                        Some(&i) if host.is_some() && refs[i].get("Ref").is_some() => refs[i] = v,
                        Some(_) => {}
                    }
                }
            }
            match (refs.len(), &*values) {
                (0, _) => {}
                // A value the plan knows (a definition rendered with its ARNs) is kept beside
                // the references, for the mapping that reads it.
                (_, Value::String(known)) => {
                    *values = serde_json::json!({ "Known": known, "References": refs });
                }
                (1, _) => *values = refs.remove(0),
                _ => *values = Value::Array(refs),
            }
        }
        Value::Object(e) => {
            if !values.is_object() {
                *values = Value::Object(Map::new());
            }
            if let Value::Object(v) = values {
                for (k, sub) in e {
                    let slot = v.entry(k.clone()).or_insert(Value::Null);
                    apply(sub, slot, module, known, depth + 1);
                }
            }
        }
        Value::Array(blocks) => {
            if !values.is_array() {
                *values = Value::Array(Vec::new());
            }
            if let Value::Array(v) = values {
                for (i, sub) in blocks.iter().enumerate() {
                    if v.len() <= i {
                        v.push(Value::Null);
                    }
                    apply(sub, &mut v[i], module, known, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// The attribute a reference (with its module) takes of the planned resource `address`
/// (`aws_db_instance.db[0].address` of `aws_db_instance.db`: `address`), if it takes one.
fn attribute<'r>(reference: &'r str, address: &str) -> Option<&'r str> {
    let mut rest = reference.strip_prefix(address)?;
    // The instance's key (`[0]`, `["a"]`), which the address has not.
    while let Some(after) = rest.strip_prefix('[') {
        rest = &after[after.find(']')? + 1..];
    }
    rest.strip_prefix('.').filter(|a| !a.is_empty())
}

/// The planned resources a reference (`aws_sqs_queue.dlq.arn`, in module `module`) names:
/// the one it is an attribute of, or what the module output it names refers to.
fn resolve(reference: &str, module: &str, known: &mut Known<'_>, depth: usize) -> Vec<String> {
    let full = format!("{module}{}", bare(reference));
    if let Some(a) = Known::longest(&full, |p| known.addresses.contains(p)) {
        return vec![a.to_string()];
    }
    // A module's output (`module.worker.queue_arn`, or an attribute of it).
    if depth > 16 {
        return Vec::new();
    }
    if let Some(done) = known.resolved.get(&full) {
        return done.clone();
    }
    let outputs = known.outputs;
    let Some((inner, refs)) =
        Known::longest(&full, |p| outputs.contains_key(p)).and_then(|o| outputs.get(o))
    else {
        return Vec::new();
    };
    // An output that names itself, through others, names nothing more the second time.
    known.resolved.insert(full.clone(), Vec::new());
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in refs {
        for a in resolve(r, inner, known, depth + 1) {
            if seen.insert(a.clone()) {
                out.push(a);
            }
        }
    }
    known.resolved.insert(full, out.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_refs() {
        let plan = serde_json::json!({
            "planned_values": {"root_module": {"resources": [
                {"address": "aws_sqs_queue.dlq", "mode": "managed", "type": "aws_sqs_queue", "values": {}},
                {"address": "aws_sqs_queue.q", "mode": "managed", "type": "aws_sqs_queue",
                 "values": {"visibility_timeout_seconds": 60, "redrive_policy": null}}
            ]}},
            "configuration": {"root_module": {"resources": [
                {"address": "aws_sqs_queue.q", "expressions": {
                    "visibility_timeout_seconds": {"constant_value": 60},
                    "redrive_policy": {"references": ["aws_sqs_queue.dlq.arn", "aws_sqs_queue.dlq"]}
                }}
            ]}}
        });
        let r = resources(&plan).unwrap();
        assert_eq!(
            r[1].props["redrive_policy"],
            serde_json::json!({"Ref": "aws_sqs_queue.dlq"})
        );
        assert_eq!(r[1].props["visibility_timeout_seconds"], 60);
        assert_eq!(
            module_of("module.a.module.b.aws_x.y[0]"),
            "module.a.module.b."
        );
    }
}
