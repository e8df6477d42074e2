//! CloudFormation and SAM templates: YAML with its short-form tags (`!Ref`, `!GetAtt`, `!Sub`,
//! …) read as the long form (`{"Ref": …}`, `{"Fn::GetAtt": […]}`), parameters' defaults put in
//! place of their references, SAM's `Globals` applied and its implicit APIs added.

use super::{locate, Resources};
use crate::components::iac::Declared;
use serde_json::{Map, Value};
use serde_yaml_ng::Value as Yaml;

/// A problem, located: line, column, message.
pub(super) type Located = (usize, usize, String);

/// Reads YAML text into JSON values, the short-form tags in their long form.
pub(super) fn parse_yaml(text: &str) -> Result<Value, Located> {
    let yaml: Yaml = serde_yaml_ng::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        (
            line,
            column,
            format!(
                "not valid YAML: {e}; archsim imports CloudFormation/SAM templates (YAML or JSON) and Terraform plans (JSON)"
            ),
        )
    })?;
    Ok(to_json(yaml))
}

/// A YAML value as JSON: a tag `!Name` becomes `{"Fn::Name": …}` (`!Ref` and `!Condition`
/// keep their names; `!GetAtt A.B` becomes `["A", "B"]`), as CloudFormation reads them.
fn to_json(y: Yaml) -> Value {
    match y {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(seq) => Value::Array(seq.into_iter().map(to_json).collect()),
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Yaml::String(s) => s,
                    other => match to_json(other) {
                        Value::String(s) => s,
                        v => v.to_string(),
                    },
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
        Yaml::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = to_json(t.value);
            let (key, value) = match name {
                "Ref" | "Condition" => (name.to_string(), value),
                "GetAtt" => (
                    "Fn::GetAtt".to_string(),
                    match value {
                        Value::String(s) => {
                            let (res, attr) = s.split_once('.').unwrap_or((&s, ""));
                            Value::Array(vec![res.into(), attr.into()])
                        }
                        v => v,
                    },
                ),
                _ => (format!("Fn::{name}"), value),
            };
            let mut m = Map::new();
            m.insert(key, value);
            Value::Object(m)
        }
    }
}

/// The resources of a template, and notes on what was read in their place.
pub(super) fn resources(
    mut template: Value,
    text: &str,
) -> Result<(Resources, Vec<String>), Located> {
    let Some(top) = template.as_object_mut() else {
        return Err((
            1,
            1,
            "the template is not a mapping: a CloudFormation template has `Resources` at its top level".into(),
        ));
    };
    let parameters = defaults(top.get("Parameters"));
    let mappings = top.get("Mappings").cloned().unwrap_or(Value::Null);
    let globals = top.get("Globals").cloned().unwrap_or(Value::Null);
    let Some(Value::Object(list)) = top.remove("Resources") else {
        let (line, column) = locate(text, "Resources");
        return Err((
            line,
            column,
            "the template has no `Resources` mapping: a CloudFormation or SAM template lists its resources there".into(),
        ));
    };
    if list.is_empty() {
        let (line, column) = locate(text, "Resources");
        return Err((
            line,
            column,
            "`Resources` is empty: there is nothing to import".into(),
        ));
    }
    let conditions = conditions(top.get("Conditions"), &parameters, &mappings);
    let mut notes = Vec::new();
    let mut out = Vec::new();
    for (name, body) in list {
        let (line, column) = locate(text, &name);
        if let Some(c) = body.get("Condition").and_then(Value::as_str) {
            match conditions.get(c) {
                Some(false) => {
                    notes.push(format!(
                        "{name} is left out: its condition {c} is false with the parameters' defaults"
                    ));
                    continue;
                }
                Some(true) => {}
                None => notes.push(format!(
                    "{name} is imported although its condition {c} cannot be decided from the parameters' defaults"
                )),
            }
        }
        let Some(ty) = body.get("Type").and_then(Value::as_str) else {
            return Err((
                line,
                column,
                format!("resource {name} has no `Type` string: each resource says its type, such as AWS::Lambda::Function"),
            ));
        };
        let mut props = body
            .get("Properties")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if !props.is_object() {
            return Err((
                line,
                column,
                format!("resource {name}'s `Properties` is not a mapping"),
            ));
        }
        if let Some(g) = global_section(ty).and_then(|s| globals.get(s)) {
            merge_globals(&mut props, g);
        }
        resolve(&mut props, &parameters, &mappings, 0);
        choose(&mut props, &conditions, 0);
        out.push(Declared {
            name,
            kind: ty.to_string(),
            props,
        });
    }
    implicit_apis(&mut out, &globals, &parameters, &mappings, &mut notes);
    if !parameters.is_empty() {
        notes.push(format!(
            "parameters read at their defaults: {}",
            parameters.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok((out, notes))
}

/// The section of SAM's `Globals` that applies to a resource type.
fn global_section(ty: &str) -> Option<&'static str> {
    match ty {
        "AWS::Serverless::Function" => Some("Function"),
        "AWS::Serverless::Api" => Some("Api"),
        "AWS::Serverless::HttpApi" => Some("HttpApi"),
        "AWS::Serverless::SimpleTable" => Some("SimpleTable"),
        _ => None,
    }
}

/// SAM's rule for `Globals`: a resource's own value wins; mappings merge key by key.
fn merge_globals(props: &mut Value, globals: &Value) {
    let (Value::Object(p), Value::Object(g)) = (props, globals) else {
        return;
    };
    for (k, gv) in g {
        match p.get_mut(k) {
            None => {
                p.insert(k.clone(), gv.clone());
            }
            Some(pv @ Value::Object(_)) if gv.is_object() => merge_globals(pv, gv),
            Some(_) => {}
        }
    }
}

/// The parameters that have a default, by name.
fn defaults(params: Option<&Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(Value::Object(ps)) = params {
        for (name, p) in ps {
            if let Some(d) = p.get("Default") {
                out.insert(name.clone(), d.clone());
            }
        }
    }
    out
}

/// Puts parameters' defaults in place of their `Ref`s, and the value of a `Fn::FindInMap`
/// whose arguments are literal, so mappings read numbers where the template gives them.
fn resolve(v: &mut Value, params: &Map<String, Value>, mappings: &Value, depth: usize) {
    // serde's readers stop at 128 levels; this never goes deeper than what they built.
    if depth > 200 {
        return;
    }
    let replacement = match &*v {
        Value::Object(m) if m.len() == 1 => {
            if let Some(Value::String(p)) = m.get("Ref") {
                params.get(p).cloned()
            } else if let Some(Value::Array(args)) = m.get("Fn::FindInMap") {
                let mut args = args.clone();
                for a in &mut args {
                    resolve(a, params, mappings, depth + 1);
                }
                match args.as_slice() {
                    [Value::String(a), Value::String(b), Value::String(c)] => mappings
                        .get(a)
                        .and_then(|x| x.get(b))
                        .and_then(|x| x.get(c))
                        .cloned(),
                    _ => None,
                }
            } else {
                None
            }
        }
        _ => None,
    };
    if let Some(r) = replacement {
        *v = r;
        return;
    }
    match v {
        Value::Object(m) => m
            .values_mut()
            .for_each(|x| resolve(x, params, mappings, depth + 1)),
        Value::Array(a) => a
            .iter_mut()
            .for_each(|x| resolve(x, params, mappings, depth + 1)),
        _ => {}
    }
}

/// The template's conditions that can be decided from the parameters' defaults.
fn conditions(
    list: Option<&Value>,
    params: &Map<String, Value>,
    mappings: &Value,
) -> std::collections::BTreeMap<String, bool> {
    let mut out = std::collections::BTreeMap::new();
    let Some(Value::Object(list)) = list else {
        return out;
    };
    // A condition may name another: a few passes settle every chain of them.
    for _ in 0..list.len().min(16) {
        for (name, c) in list {
            if out.contains_key(name) {
                continue;
            }
            let mut c = c.clone();
            resolve(&mut c, params, mappings, 0);
            if let Some(b) = decide(&c, &out, 0) {
                out.insert(name.clone(), b);
            }
        }
    }
    out
}

/// The value of a condition (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`),
/// if its arguments are literal.
fn decide(
    c: &Value,
    known: &std::collections::BTreeMap<String, bool>,
    depth: usize,
) -> Option<bool> {
    if depth > 32 {
        return None;
    }
    let m = c.as_object()?;
    let (key, args) = m.iter().next()?;
    let all = |a: &Value| -> Option<Vec<bool>> {
        a.as_array()?
            .iter()
            .map(|x| decide(x, known, depth + 1))
            .collect()
    };
    match key.as_str() {
        "Condition" => known.get(args.as_str()?).copied(),
        "Fn::Equals" => match args.as_array()?.as_slice() {
            [a, b] if scalar(a).is_some() && scalar(b).is_some() => Some(scalar(a) == scalar(b)),
            _ => None,
        },
        "Fn::Not" => Some(!*all(args)?.first()?),
        "Fn::And" => Some(all(args)?.iter().all(|b| *b)),
        "Fn::Or" => Some(all(args)?.iter().any(|b| *b)),
        _ => None,
    }
}

/// A literal as CloudFormation compares it: as a string.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Puts the chosen branch of each `Fn::If` whose condition is decided in its place.
fn choose(v: &mut Value, conds: &std::collections::BTreeMap<String, bool>, depth: usize) {
    if depth > 200 {
        return;
    }
    let chosen = v
        .as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.get("Fn::If"))
        .and_then(Value::as_array)
        .and_then(|a| match a.as_slice() {
            [Value::String(c), yes, no] => {
                conds
                    .get(c)
                    .map(|b| if *b { yes.clone() } else { no.clone() })
            }
            _ => None,
        });
    if let Some(c) = chosen {
        *v = c;
        choose(v, conds, depth + 1);
        return;
    }
    match v {
        Value::Object(m) => m.values_mut().for_each(|x| choose(x, conds, depth + 1)),
        Value::Array(a) => a.iter_mut().for_each(|x| choose(x, conds, depth + 1)),
        _ => {}
    }
}

/// SAM makes an API for functions' `Api` events that name none (`ServerlessRestApi`) and one
/// for `HttpApi` events (`ServerlessHttpApi`): added as the template would be transformed.
fn implicit_apis(
    out: &mut Resources,
    globals: &Value,
    params: &Map<String, Value>,
    mappings: &Value,
    notes: &mut Vec<String>,
) {
    let needs = |event_type: &str, id_key: &str| {
        out.iter().any(|r| {
            r.kind == "AWS::Serverless::Function"
                && r.props
                    .get("Events")
                    .and_then(Value::as_object)
                    .is_some_and(|events| {
                        events.values().any(|e| {
                            e.get("Type").and_then(Value::as_str) == Some(event_type)
                                && e.get("Properties").and_then(|p| p.get(id_key)).is_none()
                        })
                    })
        })
    };
    let wanted = [
        (
            "Api",
            "RestApiId",
            "ServerlessRestApi",
            "AWS::Serverless::Api",
        ),
        (
            "HttpApi",
            "ApiId",
            "ServerlessHttpApi",
            "AWS::Serverless::HttpApi",
        ),
    ];
    let wanted: Vec<_> = wanted
        .into_iter()
        .filter(|(event, key, name, _)| needs(event, key) && !out.iter().any(|r| r.name == *name))
        .collect();
    for (event, _, name, ty) in wanted {
        {
            let mut props = Value::Object(Map::new());
            if let Some(g) = global_section(ty).and_then(|s| globals.get(s)) {
                merge_globals(&mut props, g);
            }
            resolve(&mut props, params, mappings, 0);
            notes.push(format!(
                "{name}: the {ty} SAM makes for functions' {event} events that name no API"
            ));
            out.push(Declared {
                name: name.to_string(),
                kind: ty.to_string(),
                props,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_tags_read_as_the_long_form() {
        let v = parse_yaml(
            "A: !Ref Table\nB: !GetAtt Queue.Arn\nC: !Sub 'x-${Fn}'\nD: !If [Cond, 1, 2]\nE: !Join ['', [a, !Ref B]]\n",
        )
        .unwrap();
        assert_eq!(v["A"], serde_json::json!({"Ref": "Table"}));
        assert_eq!(v["B"], serde_json::json!({"Fn::GetAtt": ["Queue", "Arn"]}));
        assert_eq!(v["C"], serde_json::json!({"Fn::Sub": "x-${Fn}"}));
        assert_eq!(v["D"], serde_json::json!({"Fn::If": ["Cond", 1, 2]}));
        assert_eq!(
            v["E"],
            serde_json::json!({"Fn::Join": ["", ["a", {"Ref": "B"}]]})
        );
    }

    #[test]
    fn a_yaml_error_is_located() {
        let (line, column, message) = parse_yaml("Resources:\n  A: [1, 2\n").unwrap_err();
        assert_eq!(line, 3, "{message}");
        assert!(column >= 1);
    }
}
