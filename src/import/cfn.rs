//! CloudFormation and SAM templates: YAML with its short-form tags (`!Ref`, `!GetAtt`, `!Sub`,
//! …) read as the long form (`{"Ref": …}`, `{"Fn::GetAtt": […]}`), parameters' defaults put in
//! place of their references, SAM's `Globals` applied and its implicit APIs (and its events'
//! integration timeouts) added.

use super::{Resources, Text};
use crate::components::iac::{Declared, Once};
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Map, Value};
use std::cell::RefCell;

/// A problem, located: line, column, message.
pub(super) type Located = (usize, usize, String);

/// Reads YAML text into JSON values, the short-form tags in their long form, with a note for
/// each key written twice in one mapping.
pub(super) fn parse_yaml(text: &str) -> Result<(Value, Vec<String>), Located> {
    let limit = crate::limits::MAX_TEMPLATE_NESTING;
    if let Some((line, column)) = super::nesting::too_deep(text, limit) {
        return Err((
            line,
            column,
            format!(
                "flow collections (`[…]`, `{{…}}`) nest more than {limit} deep here: archsim reads templates nested at most {limit} levels"
            ),
        ));
    }
    let twice = RefCell::new(Vec::new());
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let value = Reader { twice: &twice }.deserialize(de).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        (
            line,
            column,
            format!(
                "not valid YAML: {e}; archsim imports CloudFormation/SAM templates (YAML or JSON) and Terraform plans (JSON)"
            ),
        )
    })?;
    let notes = twice
        .into_inner()
        .into_iter()
        .map(|k| {
            format!("`{k}` is written twice in one mapping: the last is read, as CloudFormation reads it")
        })
        .collect();
    Ok((value, notes))
}

/// Reads one YAML value as JSON: a tag `!Name` becomes `{"Fn::Name": …}` (`!Ref` and
/// `!Condition` keep their names; `!GetAtt A.B` becomes `["A", "B"]`), as CloudFormation reads
/// them. A key written twice in a mapping takes its last value, as CloudFormation deploys such
/// a template (YAML forbids it, most YAML readers refuse it); the keys are kept in `twice`.
#[derive(Clone, Copy)]
struct Reader<'a> {
    twice: &'a RefCell<Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for Reader<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Reader<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::from(i))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::from(u))
    }

    fn visit_f64<E>(self, x: f64) -> Result<Value, E> {
        // JSON has no infinity nor NaN: such a number is kept as YAML wrote it.
        Ok(serde_json::Number::from_f64(x)
            .map_or_else(|| Value::String(x.to_string()), Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(x) = seq.next_element_seed(self)? {
            out.push(x);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key_seed(self)? {
            let key = match k {
                Value::String(s) => s,
                other => other.to_string(),
            };
            let v = map.next_value_seed(self)?;
            if out.insert(key.clone(), v).is_some() {
                let mut twice = self.twice.borrow_mut();
                if !twice.contains(&key) {
                    twice.push(key);
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, contents): (String, _) = data.variant()?;
        let value = contents.newtype_variant_seed(self)?;
        let name = tag.trim_start_matches('!');
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
        Ok(Value::Object(m))
    }
}

/// The resources of a template, notes on what was read in their place, and what
/// CloudFormation would refuse in it although it can be imported (located errors).
pub(super) fn resources(
    mut template: Value,
    text: &str,
) -> Result<(Resources, Vec<String>, Vec<Located>), Located> {
    let Some(top) = template.as_object_mut() else {
        return Err((
            1,
            1,
            "the template is not a mapping: a CloudFormation template has `Resources` at its top level".into(),
        ));
    };
    let parameters = defaults(top.get("Parameters"));
    let mut notes = Vec::new();
    let mut made = 0;
    let mut budget = Budget::of(text.len());
    let mut expanded = Ok(());
    for section in ["Resources", "Conditions"] {
        if let Some(v) = top.get_mut(section) {
            let mut ctx = Loops {
                params: &parameters,
                made: &mut made,
                notes: &mut notes,
                budget: &mut budget,
            };
            if let Err(m) = expand_loops(v, &mut ctx, 0) {
                expanded = Err((section, m));
                break;
            }
        }
    }
    // The names a message may be located at: the sections, and the resources as expanded.
    let mut located: std::collections::BTreeSet<&str> =
        ["Resources", "Conditions", "Globals"].into();
    if let Some(Value::Object(list)) = top.get("Resources") {
        located.extend(list.keys().map(String::as_str));
    }
    let index = Text::new(text, |name| located.contains(name));
    drop(located);
    if let Err((section, m)) = expanded {
        let (line, column) = index.locate(section);
        return Err((line, column, m));
    }
    let mappings = top.get("Mappings").cloned().unwrap_or(Value::Null);
    let globals = top.get("Globals").cloned().unwrap_or(Value::Null);
    let Some(Value::Object(list)) = top.remove("Resources") else {
        let (line, column) = index.locate("Resources");
        return Err((
            line,
            column,
            "the template has no `Resources` mapping: a CloudFormation or SAM template lists its resources there".into(),
        ));
    };
    if list.is_empty() {
        let (line, column) = index.locate("Resources");
        return Err((
            line,
            column,
            "`Resources` is empty: there is nothing to import".into(),
        ));
    }
    if list.len() > crate::limits::MAX_TEMPLATE_RESOURCES {
        let (line, column) = index.locate("Resources");
        return Err((
            line,
            column,
            super::too_many_resources(
                "the template",
                list.len(),
                "CloudFormation takes at most 500 a template",
            ),
        ));
    }
    let conditions = conditions(top.get("Conditions"), &parameters, &mappings, &mut budget)
        .map_err(|m| {
            let (line, column) = index.locate("Conditions");
            (line, column, m)
        })?;
    // Every name a `Ref`, `Fn::GetAtt` or `Fn::Sub` may name: the resources (those a false
    // condition leaves out too), the parameters, and, in a SAM template, what SAM makes of
    // a resource (`FnRole`, `ApiStage`, `FnAliaslive`: its name and more) and of nothing
    // (`ServerlessRestApi`, `ServerlessHttpApi`, `ServerlessDeploymentBucket`).
    let sam = top.get("Transform").is_some_and(|t| {
        let mut s = t.to_string();
        s.make_ascii_lowercase();
        s.contains("serverless")
    });
    let mut known: std::collections::BTreeSet<String> = list.keys().cloned().collect();
    if let Some(Value::Object(ps)) = top.get("Parameters") {
        known.extend(ps.keys().cloned());
    }
    let mut refused = Vec::new();
    let mut out = Vec::new();
    for (name, body) in list {
        let (line, column) = index.locate(&name);
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
            // `Type: !Rain::Module file`: a tag, read as a function, that a tool expands before
            // CloudFormation sees the template.
            let tag = body
                .get("Type")
                .and_then(Value::as_object)
                .and_then(|m| m.keys().next())
                .map(|k| k.trim_start_matches("Fn::"));
            return Err((
                line,
                column,
                match tag {
                    Some(tag) => format!(
                        "resource {name}'s `Type` is the tag !{tag}, not a type: a template that a tool expands before deploying (a module, a macro of its own) is imported as that tool outputs it"
                    ),
                    None => format!(
                        "resource {name} has no `Type` string: each resource says its type, such as AWS::Lambda::Function"
                    ),
                },
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
        let resolved = global_section(ty)
            .and_then(|s| globals.get(s))
            .map_or(Ok(()), |g| merge_globals(&mut props, g, &mut budget))
            .and_then(|()| resolve(&mut props, &parameters, &mappings, &mut budget, 0));
        if let Err(m) = resolved {
            return Err((line, column, format!("resource {name}: {m}")));
        }
        choose(&mut props, &conditions, 0);
        // CloudFormation: "Template format error: Unresolved resource dependencies [Nope] in
        // the Resources block of the template".
        let mut unresolved = named(&props);
        // A name SAM makes starts with the resource's (whose logical id is at most 255
        // characters).
        let made_by_sam = |n: &str| {
            n.starts_with("Serverless")
                || (1..=n.len().min(255))
                    .filter(|&i| n.is_char_boundary(i))
                    .any(|i| known.contains(&n[..i]))
        };
        let defined =
            |n: &str| n.starts_with("AWS::") || known.contains(n) || (sam && made_by_sam(n));
        unresolved.retain(|n| !defined(n));
        if let Some(first) = unresolved.first() {
            let (line, column) = index.locate_word(line, first);
            refused.push((
                line,
                column,
                format!(
                    "resource {name} names {}, which the template does not define: CloudFormation refuses it (\"Template format error: Unresolved resource dependencies [{}] in the Resources block of the template\")",
                    unresolved.join(", "),
                    unresolved.join(", ")
                ),
            ));
        }
        out.push(Declared {
            name,
            kind: ty.to_string(),
            props,
        });
    }
    implicit_apis(
        &mut out,
        &globals,
        &parameters,
        &mappings,
        &mut budget,
        &mut notes,
    )
    .map_err(|m| {
        let (line, column) = index.locate("Globals");
        (line, column, m)
    })?;
    event_integrations(&mut out);
    if !parameters.is_empty() {
        notes.push(format!(
            "parameters read at their defaults: {}",
            parameters.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok((out, notes, refused))
}

/// The names a value's `Ref`s, `Fn::GetAtt`s and `Fn::Sub`s name, in the order written,
/// each once; a `Fn::Sub`'s own variables are not names of the template.
fn named(v: &Value) -> Vec<String> {
    let mut list = Vec::new();
    named_into(v, &mut Once::new(&mut list));
    list
}

/// `named`, into `out`.
fn named_into(v: &Value, out: &mut Once<'_>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(n)) = m.get("Ref") {
                out.push(n);
                return;
            }
            match m.get("Fn::GetAtt") {
                Some(Value::Array(a)) => {
                    if let Some(Value::String(n)) = a.first() {
                        out.push(n);
                    }
                    a.iter().skip(1).for_each(|x| named_into(x, out));
                    return;
                }
                Some(Value::String(s)) => {
                    out.push(s.split('.').next().unwrap_or(s));
                    return;
                }
                _ => {}
            }
            if let Some(sub) = m.get("Fn::Sub") {
                let (text, vars) = match sub {
                    Value::String(s) => (s.as_str(), None),
                    Value::Array(a) => (
                        a.first().and_then(Value::as_str).unwrap_or(""),
                        a.get(1).and_then(Value::as_object),
                    ),
                    _ => ("", None),
                };
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let inner = &after[..end];
                    let n = inner.split('.').next().unwrap_or(inner);
                    let var = vars.is_some_and(|vs| vs.contains_key(n));
                    if !inner.starts_with('!') && !var && !n.is_empty() {
                        out.push(n);
                    }
                    rest = &after[end + 1..];
                }
                if let Some(vs) = vars {
                    vs.values().for_each(|x| named_into(x, out));
                }
                return;
            }
            m.values().for_each(|x| named_into(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| named_into(x, out)),
        _ => {}
    }
}

/// AWS::LanguageExtensions' loops, expanded as CloudFormation does before anything else reads
/// the template: each `"Fn::ForEach::Name": [Identifier, Collection, {OutputKey: OutputValue}]`
/// entry of a mapping is replaced by one copy of its fragment per value of the collection (a
/// list, or a `Ref` to a CommaDelimitedList parameter read at its default), with
/// `${Identifier}` and `&{Identifier}` (the value without its non-alphanumeric characters)
/// replaced in keys and strings and `{"Ref": Identifier}` replaced by the value. Loops nest.
/// `ctx.made` counts the entries made, bounded by `limits::MAX_LOOP_ENTRIES`, and each copy,
/// as its values are put in, is spent from `ctx.budget`: a few entries of a large fragment
/// are as many bytes as many entries of a small one.
fn expand_loops(v: &mut Value, ctx: &mut Loops<'_>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    match v {
        Value::Object(m) if m.keys().any(|k| k.starts_with(LOOP)) => {
            let mut out = Map::new();
            for (k, mut x) in std::mem::take(m) {
                if k.starts_with(LOOP) {
                    for (key, value) in unroll(&k, &x, ctx, depth + 1)? {
                        out.insert(key, value);
                    }
                } else {
                    expand_loops(&mut x, ctx, depth + 1)?;
                    out.insert(k, x);
                }
            }
            *m = out;
            Ok(())
        }
        Value::Object(m) => m
            .values_mut()
            .try_for_each(|x| expand_loops(x, ctx, depth + 1)),
        Value::Array(a) => a
            .iter_mut()
            .try_for_each(|x| expand_loops(x, ctx, depth + 1)),
        _ => Ok(()),
    }
}

/// What expanding a template's loops reads and keeps count of.
struct Loops<'a> {
    /// The parameters' defaults, by name (a loop's collection may be one).
    params: &'a Map<String, Value>,
    /// The entries made so far.
    made: &'a mut usize,
    notes: &'a mut Vec<String>,
    /// What the copies may still take.
    budget: &'a mut Budget,
}

/// The prefix of a loop's key.
const LOOP: &str = "Fn::ForEach::";

/// How deep the walks over a template's values go before they stop: a guard for the stack
/// that no template reaches, since serde's readers stop at 128 levels and a loop's copies
/// are no deeper than its fragment.
const MAX_DEPTH: usize = 200;

/// The entries one `Fn::ForEach` loop makes (none, with a note, when its collection cannot be
/// read from the template and the parameters' defaults).
fn unroll(
    key: &str,
    body: &Value,
    ctx: &mut Loops<'_>,
    depth: usize,
) -> Result<Vec<(String, Value)>, String> {
    if depth > MAX_DEPTH {
        return Ok(Vec::new());
    }
    let shape = || {
        format!(
            "`{key}` is not a loop: AWS::LanguageExtensions' Fn::ForEach takes [Identifier, Collection, {{OutputKey: OutputValue}}]"
        )
    };
    let Some([Value::String(id), collection, Value::Object(fragment)]) =
        body.as_array().map(Vec::as_slice)
    else {
        return Err(shape());
    };
    let collection = match collection {
        Value::Object(r) if r.len() == 1 => r
            .get("Ref")
            .and_then(Value::as_str)
            .and_then(|p| ctx.params.get(p))
            .unwrap_or(collection),
        c => c,
    };
    let values: Option<Vec<String>> = match collection {
        Value::Array(list) => list.iter().map(scalar).collect(),
        // A CommaDelimitedList parameter's default; spaces around its commas are dropped (a
        // choice: the documentation does not say).
        Value::String(s) => Some(s.split(',').map(|x| x.trim().to_string()).collect()),
        _ => None,
    };
    let Some(values) = values else {
        ctx.notes.push(format!(
            "{key} is left out: its collection is neither a list nor a parameter with a default"
        ));
        return Ok(Vec::new());
    };
    // Each entry's copy of its fragment, as written: measured once.
    let sizes: Vec<usize> = fragment
        .values()
        .map(|f| size(f, ctx.budget.left.saturating_add(1)))
        .collect();
    let what = || format!("the copies {key} makes");
    let mut out = Vec::new();
    for value in values {
        for ((k, fragment), &bytes) in fragment.iter().zip(&sizes) {
            *ctx.made += 1;
            if *ctx.made > crate::limits::MAX_LOOP_ENTRIES {
                return Err(format!(
                    "the template's Fn::ForEach loops make more than {} entries (at {key}): CloudFormation takes at most 500 resources a template",
                    crate::limits::MAX_LOOP_ENTRIES
                ));
            }
            ctx.budget.spend(bytes, &what)?;
            let mut copy = fragment.clone();
            substitute(&mut copy, id, &value, ctx.budget, 0)
                .map_err(|()| ctx.budget.refusal(&what))?;
            let k = replace_identifier(k, id, &value, ctx.budget)
                .map_err(|()| ctx.budget.refusal(&what))?;
            if k.starts_with(LOOP) {
                // A loop inside the fragment: its entries take this copy's place.
                out.extend(unroll(&k, &copy, ctx, depth + 1)?);
            } else {
                expand_loops(&mut copy, ctx, depth + 1)?;
                out.push((k, copy));
            }
        }
    }
    Ok(out)
}

/// `${id}` and `&{id}` replaced in a key or string, what that adds spent from `budget`
/// first (`Err` when it would pass it).
fn replace_identifier(s: &str, id: &str, value: &str, budget: &mut Budget) -> Result<String, ()> {
    let (dollar, amp) = (format!("${{{id}}}"), format!("&{{{id}}}"));
    if !s.contains(&dollar) && !s.contains(&amp) {
        return Ok(s.to_string());
    }
    let bare: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
    let grows = |pattern: &str, with: &str| {
        s.matches(pattern)
            .count()
            .saturating_mul(with.len().saturating_sub(pattern.len()))
    };
    budget.take(grows(&dollar, value).saturating_add(grows(&amp, &bare)))?;
    Ok(s.replace(&dollar, value).replace(&amp, &bare))
}

/// A loop's identifier replaced by one of its values throughout a copy of its fragment.
fn substitute(
    v: &mut Value,
    id: &str,
    value: &str,
    budget: &mut Budget,
    depth: usize,
) -> Result<(), ()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    match v {
        Value::Object(m) if m.len() == 1 && m.get("Ref").and_then(Value::as_str) == Some(id) => {
            budget.take(value.len())?;
            *v = Value::String(value.to_string());
        }
        Value::Object(m) => {
            let entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            for (k, mut x) in entries {
                substitute(&mut x, id, value, budget, depth + 1)?;
                m.insert(replace_identifier(&k, id, value, budget)?, x);
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                substitute(x, id, value, budget, depth + 1)?;
            }
        }
        Value::String(s) => *s = replace_identifier(s, id, value, budget)?,
        _ => {}
    }
    Ok(())
}

/// What the values put in place of a template's references (parameters' defaults, mappings'
/// values, SAM's `Globals`, `Fn::ForEach`'s copies) may still take [bytes, as `size` counts
/// them]: a template names a value in a few bytes, so, unbounded, a few lines could ask for
/// gigabytes. `limits::RESOLVED_PER_TEMPLATE_BYTE` times the template's size, within
/// `limits::MIN_RESOLVED_BYTES` and `limits::MAX_RESOLVED_BYTES`.
pub(super) struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    /// The budget of a template of `len` bytes.
    fn of(len: usize) -> Budget {
        use crate::limits::{MAX_RESOLVED_BYTES, MIN_RESOLVED_BYTES, RESOLVED_PER_TEMPLATE_BYTE};
        let limit = len
            .saturating_mul(RESOLVED_PER_TEMPLATE_BYTE)
            .clamp(MIN_RESOLVED_BYTES, MAX_RESOLVED_BYTES);
        Budget { left: limit, limit }
    }

    /// Takes `bytes`, or `Err` (and nothing) when fewer are left.
    fn take(&mut self, bytes: usize) -> Result<(), ()> {
        self.left = self.left.checked_sub(bytes).ok_or(())?;
        Ok(())
    }

    /// Takes `bytes` for what `what` says, or refuses in words.
    fn spend(&mut self, bytes: usize, what: &dyn Fn() -> String) -> Result<(), String> {
        self.take(bytes).map_err(|()| self.refusal(what))
    }

    /// Takes what a copy of `v` needs, for what `what` says.
    fn copy(&mut self, v: &Value, what: &dyn Fn() -> String) -> Result<(), String> {
        let bytes = size(v, self.left.saturating_add(1));
        self.spend(bytes, what)
    }

    /// The refusal, in words.
    fn refusal(&self, what: &dyn Fn() -> String) -> String {
        format!(
            "{} would take the values put in place of the template's references past {} MiB, the most archsim builds for it ({} times the template's size, within {} and {} MiB): a reference of a few bytes stands for a whole value (a parameter's default, a mapping's value, SAM's Globals, a Fn::ForEach copy), so a few lines could ask for gigabytes",
            what(),
            self.limit >> 20,
            crate::limits::RESOLVED_PER_TEMPLATE_BYTE,
            crate::limits::MIN_RESOLVED_BYTES >> 20,
            crate::limits::MAX_RESOLVED_BYTES >> 20,
        )
    }
}

/// The bytes a value takes as a `Budget` counts them: its strings' and keys' lengths, and 32
/// for each value and key (about what each takes in memory). Counting stops once past
/// `at_most`, so that measuring costs no more than what it allows.
fn size(v: &Value, at_most: usize) -> usize {
    const EACH: usize = 32;
    let mut total = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(EACH);
        match v {
            Value::String(s) => total = total.saturating_add(s.len()),
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => {
                for (k, x) in m {
                    total = total.saturating_add(EACH + k.len());
                    stack.push(x);
                }
            }
            _ => {}
        }
        if total > at_most {
            break;
        }
    }
    total
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

/// SAM's rule for `Globals`: a resource's own value wins; mappings merge key by key. What is
/// copied is spent from `budget`.
fn merge_globals(props: &mut Value, globals: &Value, budget: &mut Budget) -> Result<(), String> {
    let (Value::Object(p), Value::Object(g)) = (props, globals) else {
        return Ok(());
    };
    for (k, gv) in g {
        match p.get_mut(k) {
            None => {
                budget.copy(gv, &|| format!("SAM's Globals' {k}"))?;
                p.insert(k.clone(), gv.clone());
            }
            Some(pv @ Value::Object(_)) if gv.is_object() => merge_globals(pv, gv, budget)?,
            Some(_) => {}
        }
    }
    Ok(())
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
/// whose arguments are literal, so mappings read numbers where the template gives them. Each
/// value put in place is spent from `budget`.
fn resolve(
    v: &mut Value,
    params: &Map<String, Value>,
    mappings: &Value,
    budget: &mut Budget,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let replacement = match &*v {
        Value::Object(m) if m.len() == 1 => {
            if let Some(Value::String(p)) = m.get("Ref") {
                params
                    .get(p)
                    .map(|d| (d, format!("parameter {p}'s default")))
            } else if let Some(Value::Array(args)) = m.get("Fn::FindInMap") {
                let mut args = args.clone();
                for a in &mut args {
                    resolve(a, params, mappings, budget, depth + 1)?;
                }
                match args.as_slice() {
                    [Value::String(a), Value::String(b), Value::String(c)] => mappings
                        .get(a)
                        .and_then(|x| x.get(b))
                        .and_then(|x| x.get(c))
                        .map(|x| (x, format!("mapping {a}'s {b}.{c}"))),
                    _ => None,
                }
            } else {
                None
            }
        }
        _ => None,
    };
    if let Some((r, what)) = replacement {
        budget.copy(r, &|| what.clone())?;
        *v = r.clone();
        return Ok(());
    }
    match v {
        Value::Object(m) => m
            .values_mut()
            .try_for_each(|x| resolve(x, params, mappings, budget, depth + 1)),
        Value::Array(a) => a
            .iter_mut()
            .try_for_each(|x| resolve(x, params, mappings, budget, depth + 1)),
        _ => Ok(()),
    }
}

/// The template's conditions that can be decided from the parameters' defaults.
fn conditions(
    list: Option<&Value>,
    params: &Map<String, Value>,
    mappings: &Value,
    budget: &mut Budget,
) -> Result<std::collections::BTreeMap<String, bool>, String> {
    let mut out = std::collections::BTreeMap::new();
    let Some(Value::Object(list)) = list else {
        return Ok(out);
    };
    let mut resolved = Vec::with_capacity(list.len());
    for (name, c) in list {
        let mut c = c.clone();
        resolve(&mut c, params, mappings, budget, 0)
            .map_err(|m| format!("condition {name}: {m}"))?;
        resolved.push((name, c));
    }
    // A condition may name another: a few passes settle every chain of them.
    for _ in 0..list.len().min(16) {
        for (name, c) in &resolved {
            if out.contains_key(*name) {
                continue;
            }
            if let Some(b) = decide(c, &out, 0) {
                out.insert((*name).clone(), b);
            }
        }
    }
    Ok(out)
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
    if depth > MAX_DEPTH {
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
    budget: &mut Budget,
    notes: &mut Vec<String>,
) -> Result<(), String> {
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
                merge_globals(&mut props, g, budget)?;
            }
            resolve(&mut props, params, mappings, budget, 0)?;
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
    Ok(())
}

/// SAM writes an `Api` or `HttpApi` event's `TimeoutInMillis` on the integration it makes for
/// the event in its API (the one the event names, else the implicit one): added as that
/// integration, an `AWS::ApiGateway::Method` or an `AWS::ApiGatewayV2::Integration`, which
/// the API's mapping reads as it reads one written in the template. Each is named
/// `<Function>.Events.<Event>`, which no logical id can be (ids are alphanumeric).
fn event_integrations(out: &mut Resources) {
    let mut made = Vec::new();
    for r in out.iter().filter(|r| r.kind == "AWS::Serverless::Function") {
        let Some(events) = r.props.get("Events").and_then(Value::as_object) else {
            continue;
        };
        for (event, e) in events {
            let Some(props) = e.get("Properties") else {
                continue;
            };
            let Some(timeout) = props.get("TimeoutInMillis") else {
                continue;
            };
            // The API the event names, else SAM's implicit one.
            let api = |key: &str, implicit: &str| {
                props
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({ "Ref": implicit }))
            };
            let (kind, part) = match e.get("Type").and_then(Value::as_str) {
                Some("Api") => (
                    "AWS::ApiGateway::Method",
                    serde_json::json!({
                        "RestApiId": api("RestApiId", "ServerlessRestApi"),
                        "Integration": { "TimeoutInMillis": timeout },
                    }),
                ),
                Some("HttpApi") => (
                    "AWS::ApiGatewayV2::Integration",
                    serde_json::json!({
                        "ApiId": api("ApiId", "ServerlessHttpApi"),
                        "TimeoutInMillis": timeout,
                    }),
                ),
                _ => continue,
            };
            made.push(Declared {
                name: format!("{}.Events.{event}", r.name),
                kind: kind.to_string(),
                props: part,
            });
        }
    }
    out.extend(made);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_tags_read_as_the_long_form() {
        let (v, _) = parse_yaml(
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
