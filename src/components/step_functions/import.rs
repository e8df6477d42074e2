//! What `archsim import` makes of a template's state machines: the Amazon States Language
//! definition (CloudFormation's `Definition` or `DefinitionString`, SAM's `Definition`, with
//! `DefinitionSubstitutions`; Terraform's `definition`) read into archsim's `state` tables,
//! each Task's resource the component of the template's function, table, queue or topic it
//! names.

use super::config::STATE_TYPES;
use super::machine::{SERVICE_ERRORS, STATES_ERRORS};
use crate::components::iac::{component, mapped, references, string, Dialect, Mapped, Resource};
use crate::limits::{MAX_NAME_LEN, MAX_RETRIERS, MAX_STATES};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The map items a Map state's run processes when the template cannot say it (a starting
/// value).
const START_ITEMS: i64 = 10;

/// A state machine: its type and its states.
pub(super) fn state_machine(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let ty_key = match (cf, r.kind.starts_with("AWS::Serverless")) {
        (true, true) => "Type",
        (true, false) => "StateMachineType",
        (false, _) => "type",
    };
    if let Some(t) = r.text(ty_key) {
        match t.to_ascii_uppercase().as_str() {
            "EXPRESS" => m.set("type", string("express"), ty_key),
            "STANDARD" => m.set("type", string("standard"), ty_key),
            other => m.note(format!(
                "{}'s {ty_key} {other} is neither STANDARD nor EXPRESS: archsim's default, standard, is used",
                r.name
            )),
        }
    }
    let (definition, subs) = match definition(r) {
        Ok(d) => d,
        Err(why) => {
            // A state machine without its states cannot be written: left out, said so.
            m.folded = true;
            m.note(format!("{} is left out: {why}", r.name));
            return;
        }
    };
    let mut reader = Reader {
        r,
        subs: &subs,
        names: BTreeMap::new(),
        raised: Vec::new(),
        states: Vec::new(),
        choices: false,
        maps: false,
        notes: Vec::new(),
    };
    reader.name_all(&definition, 0);
    let start = definition
        .get("StartAt")
        .and_then(Value::as_str)
        .and_then(|s| reader.names.get(s).cloned());
    reader.read(&definition, 0);
    m.notes.append(&mut reader.notes);
    let (Some(start), false) = (start, reader.states.is_empty()) else {
        m.folded = true;
        m.note(format!(
            "{} is left out: its definition has no `StartAt` naming one of its `States`",
            r.name
        ));
        return;
    };
    if reader.states.len() > MAX_STATES {
        m.folded = true;
        m.note(format!(
            "{} is left out: it has {} states, more than archsim's {MAX_STATES}",
            r.name,
            reader.states.len()
        ));
        return;
    }
    m.set("start_at", string(&start), "StartAt");
    let states = toml::Value::Array(reader.states.into_iter().map(toml::Value::Table).collect());
    if reader.choices || reader.maps {
        let mut what = Vec::new();
        if reader.choices {
            what.push("each Choice's branches take equal shares (its rules read data archsim does not have): set `probability` from your executions' history");
        }
        if reader.maps {
            what.push(
                "each Map state's `items` is 10: set it from the lists your executions process",
            );
        }
        m.ask(
            "state",
            states,
            format!("the states of its definition; {}", what.join("; ")),
        );
    } else {
        m.set("state", states, "the states of its definition");
    }
}

/// The definition as JSON, and the substitutions its `${Name}` placeholders stand for (each
/// the resources its value names); else why it cannot be read.
fn definition(r: &Resource<'_>) -> Result<(Value, BTreeMap<String, Vec<String>>), String> {
    if let Some(Value::Array(join)) = r.get("DefinitionString").and_then(|d| d.get("Fn::Join")) {
        joined_within_bounds(join)?;
    }
    written(r).ok_or_else(|| {
        "its definition is not in the template (a DefinitionUri/DefinitionS3Location file, or a plan value known only after apply); import the definition inline to simulate it".to_string()
    })
}

/// Refuses a `Fn::Join` whose separator, repeated between its parts, would make a definition
/// more than `limits::RESOLVED_PER_TEMPLATE_BYTE` times as long as the join is written (a
/// kilobyte at least): a few lines of a template could otherwise ask for gigabytes. A
/// definition joined from its lines is as long as they are.
fn joined_within_bounds(join: &[Value]) -> Result<(), String> {
    let sep = join.first().and_then(Value::as_str).unwrap_or("");
    let parts = join
        .get(1)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    // A part that is not a string becomes a short `${Name}`.
    let parts_len: usize = parts.iter().map(|p| p.as_str().map_or(64, str::len)).sum();
    let written = sep.len() + parts_len;
    let joined = parts_len + sep.len().saturating_mul(parts.len().saturating_sub(1));
    let most = written.max(1 << 10) * crate::limits::RESOLVED_PER_TEMPLATE_BYTE;
    if joined > most {
        return Err(format!(
            "its DefinitionString's Fn::Join repeats its separator into {joined} bytes, more than {} times the {written} it is written in: archsim refuses to build it",
            crate::limits::RESOLVED_PER_TEMPLATE_BYTE
        ));
    }
    Ok(())
}

/// The definition as `definition` reads it, `None` where the template does not hold it.
fn written(r: &Resource<'_>) -> Option<(Value, BTreeMap<String, Vec<String>>)> {
    let mut subs = BTreeMap::new();
    if let Some(Value::Object(vars)) = r.get("DefinitionSubstitutions") {
        for (k, v) in vars {
            let mut names = Vec::new();
            references(v, &mut names);
            subs.insert(k.clone(), names);
        }
    }
    if let Some(d @ Value::Object(_)) = r.get("Definition") {
        return Some((d.clone(), subs));
    }
    let text = match r.get("DefinitionString").or_else(|| r.get("definition"))? {
        Value::String(s) => s.clone(),
        // A plan's definition that refers to resources, rendered where the plan knows it.
        Value::Object(o) if o.get("Known").is_some_and(Value::is_string) => {
            o.get("Known")?.as_str()?.to_string()
        }
        Value::Object(o) => {
            if let Some(sub) = o.get("Fn::Sub") {
                let (text, vars) = match sub {
                    Value::String(s) => (s.clone(), None),
                    Value::Array(a) => (a.first()?.as_str()?.to_string(), a.get(1)),
                    _ => return None,
                };
                if let Some(Value::Object(vars)) = vars {
                    for (k, v) in vars {
                        let mut names = Vec::new();
                        references(v, &mut names);
                        subs.insert(k.clone(), names);
                    }
                }
                text
            } else if let Some(Value::Array(join)) = o.get("Fn::Join") {
                let sep = join.first()?.as_str()?;
                let parts = join.get(1)?.as_array()?;
                let mut text = Vec::new();
                for p in parts {
                    match p {
                        Value::String(s) => text.push(s.clone()),
                        other => {
                            let mut names = Vec::new();
                            references(other, &mut names);
                            text.push(format!("${{{}}}", names.first()?));
                        }
                    }
                }
                text.join(sep)
            } else {
                return None;
            }
        }
        _ => return None,
    };
    let v: Value = serde_json::from_str(&text).ok()?;
    v.is_object().then_some((v, subs))
}

/// Reads a definition's states, flattened (a Parallel's branches and a Map's iterator are
/// states of the one list, as archsim writes them).
struct Reader<'a, 'r> {
    r: &'a Resource<'r>,
    subs: &'a BTreeMap<String, Vec<String>>,
    /// ASL names → archsim's (letters, digits, `-`, `_`).
    names: BTreeMap<String, String>,
    /// The errors its Fail states raise, which its catchers may name.
    raised: Vec<String>,
    states: Vec<toml::Table>,
    choices: bool,
    maps: bool,
    notes: Vec<String>,
}

impl Reader<'_, '_> {
    /// Gives every state (nested ones too) its archsim name.
    fn name_all(&mut self, scope: &Value, depth: usize) {
        if depth > 16 {
            return;
        }
        let Some(Value::Object(states)) = scope.get("States") else {
            return;
        };
        for (name, s) in states {
            let mut id: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(MAX_NAME_LEN - 4)
                .collect();
            if id.is_empty() {
                id = "state".into();
            }
            let base = id.clone();
            let mut n = 2;
            while self.names.values().any(|v| *v == id) {
                id = format!("{base}_{n}");
                n += 1;
            }
            self.names.insert(name.clone(), id);
            if s.get("Type").and_then(Value::as_str) == Some("Fail") {
                if let Some(e) = s.get("Error").and_then(Value::as_str) {
                    if !e.is_empty() && !e.starts_with("States.") {
                        self.raised.push(e.to_string());
                    }
                }
            }
            for inner in nested(s) {
                self.name_all(inner, depth + 1);
            }
        }
    }

    fn name(&self, asl: Option<&Value>) -> Option<toml::Value> {
        asl.and_then(Value::as_str)
            .and_then(|n| self.names.get(n))
            .map(|n| string(n))
    }

    /// Reads the states of a scope and of the scopes inside them.
    fn read(&mut self, scope: &Value, depth: usize) {
        if depth > 16 {
            return;
        }
        let Some(Value::Object(states)) = scope.get("States") else {
            return;
        };
        for (name, s) in states {
            let t = self.state(name, s);
            self.states.push(t);
            for inner in nested(s) {
                self.read(inner, depth + 1);
            }
        }
    }

    /// One state as archsim's table.
    fn state(&mut self, asl_name: &str, s: &Value) -> toml::Table {
        let mut t = toml::Table::new();
        t.insert("name".into(), string(&self.names[asl_name]));
        let ty = s.get("Type").and_then(Value::as_str).unwrap_or("");
        let mut ty = ty.to_ascii_lowercase();
        if !STATE_TYPES.contains(&ty.as_str()) {
            self.notes.push(format!(
                "{}'s state {asl_name} has type {ty:?}, not one of ASL's: read as a Pass state",
                self.r.name
            ));
            ty = "pass".into();
        }
        if ty == "task" {
            match self.task_target(s) {
                Some(target) => {
                    t.insert("resource".into(), component(&target));
                    if let Some(op) = dynamodb_op(s) {
                        t.insert("op".into(), string(op));
                    }
                    if let Some(n) = s.get("TimeoutSeconds").and_then(Value::as_i64) {
                        t.insert("timeout_seconds".into(), toml::Value::Integer(n.max(1)));
                    }
                }
                None => {
                    self.notes.push(format!(
                        "{}'s Task {asl_name} calls nothing the template simulates: read as a Pass state (its time is not counted)",
                        self.r.name
                    ));
                    ty = "pass".into();
                }
            }
        }
        t.insert("type".into(), string(&ty));
        let flows = matches!(ty.as_str(), "task" | "wait" | "parallel" | "map" | "pass");
        if flows {
            if let Some(n) = self.name(s.get("Next")) {
                t.insert("next".into(), n);
            } else {
                t.insert("end".into(), toml::Value::Boolean(true));
            }
        }
        match ty.as_str() {
            "wait" => {
                let secs = s.get("Seconds").and_then(Value::as_i64);
                if secs.is_none() {
                    self.notes.push(format!(
                        "{}'s Wait {asl_name} waits for a time its input gives: written as 1 s",
                        self.r.name
                    ));
                }
                t.insert(
                    "seconds".into(),
                    toml::Value::Integer(secs.unwrap_or(1).max(0)),
                );
            }
            "choice" => {
                let nexts: Vec<toml::Value> = s
                    .get("Choices")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| self.name(c.get("Next")))
                    .collect();
                let default = self.name(s.get("Default"));
                let ways = nexts.len() + usize::from(default.is_some());
                self.choices = true;
                // Equal shares: a starting value (the rules read the execution's data).
                let share = 1.0 / ways.max(1) as f64;
                let share = (share * 1000.0).floor() / 1000.0;
                let list = nexts
                    .into_iter()
                    .map(|n| {
                        let mut c = toml::Table::new();
                        c.insert("next".into(), n);
                        c.insert("probability".into(), toml::Value::Float(share));
                        toml::Value::Table(c)
                    })
                    .collect();
                t.insert("choices".into(), toml::Value::Array(list));
                if let Some(d) = default {
                    t.insert("default".into(), d);
                } else if ways > 0 {
                    // The shares were rounded down: the last choice takes the rest.
                    if let Some(toml::Value::Array(list)) = t.get_mut("choices") {
                        let rest = 1.0 - share * (ways - 1) as f64;
                        if let Some(toml::Value::Table(last)) = list.last_mut() {
                            last.insert("probability".into(), toml::Value::Float(rest));
                        }
                    }
                }
            }
            "parallel" => {
                let starts: Vec<toml::Value> = s
                    .get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|b| self.name(b.get("StartAt")))
                    .collect();
                t.insert("branches".into(), toml::Value::Array(starts));
            }
            "map" => {
                let it = s.get("ItemProcessor").or_else(|| s.get("Iterator"));
                if let Some(n) = it.and_then(|i| self.name(i.get("StartAt"))) {
                    t.insert("iterator".into(), n);
                }
                self.maps = true;
                t.insert("items".into(), toml::Value::Integer(START_ITEMS));
                if let Some(n) = s.get("MaxConcurrency").and_then(Value::as_i64) {
                    t.insert("max_concurrency".into(), toml::Value::Integer(n.max(0)));
                }
            }
            "fail" => {
                let e = s.get("Error").and_then(Value::as_str).unwrap_or("");
                let e = if e.is_empty() || e.starts_with("States.") {
                    "Failed"
                } else {
                    e
                };
                t.insert("error".into(), string(e));
            }
            _ => {}
        }
        if matches!(ty.as_str(), "task" | "parallel" | "map") {
            self.handlers(asl_name, s, &mut t);
        }
        t
    }

    /// A state's Retry and Catch, each error name one archsim knows (ASL's, the services',
    /// the Fail states'); the others are left out, said so.
    fn handlers(&mut self, asl_name: &str, s: &Value, t: &mut toml::Table) {
        let fail_errors = self.raised.clone();
        let known = |e: &str| {
            STATES_ERRORS.iter().any(|(n, _)| *n == e)
                || SERVICE_ERRORS.iter().any(|(n, _, _)| *n == e)
                || fail_errors.iter().any(|n| n == e)
        };
        let mut dropped = Vec::new();
        let mut errors = |list: Option<&Value>| -> Vec<toml::Value> {
            list.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|e| {
                    let ok = known(e);
                    if !ok {
                        dropped.push(e.to_string());
                    }
                    ok
                })
                .map(string)
                .collect()
        };
        let mut retry = Vec::new();
        for rt in s
            .get("Retry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let names = errors(rt.get("ErrorEquals"));
            if names.is_empty() || retry.len() >= MAX_RETRIERS {
                continue;
            }
            let mut x = toml::Table::new();
            x.insert("error_equals".into(), toml::Value::Array(names));
            for (asl, key) in [
                ("IntervalSeconds", "interval_seconds"),
                ("MaxAttempts", "max_attempts"),
                ("MaxDelaySeconds", "max_delay_seconds"),
            ] {
                if let Some(n) = rt.get(asl).and_then(Value::as_i64) {
                    x.insert(key.into(), toml::Value::Integer(n));
                }
            }
            if let Some(b) = rt.get("BackoffRate").and_then(Value::as_f64) {
                x.insert("backoff_rate".into(), toml::Value::Float(b));
            }
            if let Some(j) = rt.get("JitterStrategy").and_then(Value::as_str) {
                x.insert("jitter_strategy".into(), string(j));
            }
            retry.push(toml::Value::Table(x));
        }
        let mut catch = Vec::new();
        for c in s
            .get("Catch")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let names = errors(c.get("ErrorEquals"));
            let Some(next) = self.name(c.get("Next")) else {
                continue;
            };
            if names.is_empty() {
                continue;
            }
            let mut x = toml::Table::new();
            x.insert("error_equals".into(), toml::Value::Array(names));
            x.insert("next".into(), next);
            catch.push(toml::Value::Table(x));
        }
        if !retry.is_empty() {
            t.insert("retry".into(), toml::Value::Array(retry));
        }
        if !catch.is_empty() {
            t.insert("catch".into(), toml::Value::Array(catch));
        }
        if !dropped.is_empty() {
            dropped.dedup();
            self.notes.push(format!(
                "{}'s state {asl_name} names errors archsim does not raise ({}): those retriers and catchers are left out",
                self.r.name,
                dropped.join(", ")
            ));
        }
    }

    /// The resource a Task calls: named in its `Resource` or `Parameters` (`Arguments`) by an
    /// intrinsic, a `${Name}` placeholder, or (in a plan) its ARN or name; the first one the
    /// template simulates.
    fn task_target(&self, s: &Value) -> Option<String> {
        let mut names = Vec::new();
        for key in ["Resource", "Parameters", "Arguments"] {
            if let Some(v) = s.get(key) {
                self.named(v, &mut names, 0);
            }
        }
        names.retain(|n| mapped(self.r, n));
        // An integration's service (`arn:aws:states:::dynamodb:putItem`) says which of the
        // resources named is called, when two share a name.
        let service = service(s);
        let of_service = names.iter().find(|n| {
            service.is_some_and(|sv| {
                self.r
                    .other(n)
                    .is_some_and(|o| o.kind.to_ascii_lowercase().contains(sv))
            })
        });
        of_service.or(names.first()).cloned()
    }

    fn named(&self, v: &Value, out: &mut Vec<String>, depth: usize) {
        if depth > 16 {
            return;
        }
        let mut push = |n: String| {
            if n != self.r.name && !out.contains(&n) {
                out.push(n);
            }
        };
        match v {
            Value::String(s) => {
                let mut rest = s.as_str();
                while let Some(at) = rest.find("${") {
                    let after = &rest[at + 2..];
                    let Some(end) = after.find('}') else { break };
                    let var = &after[..end];
                    match self.subs.get(var) {
                        Some(names) => names.iter().cloned().for_each(&mut push),
                        None => push(var.split('.').next().unwrap_or(var).to_string()),
                    }
                    rest = &after[end + 1..];
                }
                // A plan's rendered definition names resources by ARN or name.
                for o in self.r.others() {
                    if names_resource(s, o.props) {
                        push(o.name.to_string());
                    }
                }
            }
            Value::Object(m) if is_intrinsic(m) => {
                let mut names = Vec::new();
                references(v, &mut names);
                names.into_iter().for_each(&mut push);
            }
            Value::Object(m) => m.values().for_each(|x| self.named(x, out, depth + 1)),
            Value::Array(a) => a.iter().for_each(|x| self.named(x, out, depth + 1)),
            _ => {}
        }
    }
}

/// The service of a Task's optimised integration (`arn:aws:states:::dynamodb:putItem` →
/// "dynamodb"), as it appears in resource types, or "lambda" for a function's ARN.
fn service(s: &Value) -> Option<&'static str> {
    let r = s.get("Resource")?.as_str()?;
    let r = r.strip_prefix("arn:aws:states:::").unwrap_or(r);
    ["lambda", "dynamodb", "sns", "sqs", "states"]
        .into_iter()
        .find(|sv| r.starts_with(&format!("{sv}:")) || r.contains(&format!(":{sv}:")))
}

/// The operation a DynamoDB Task performs, as the workloads' mix names them: a write for
/// PutItem, UpdateItem and DeleteItem, a read for GetItem, Query and Scan.
fn dynamodb_op(s: &Value) -> Option<&'static str> {
    let r = s.get("Resource")?.as_str()?;
    let action = r.strip_prefix("arn:aws:states:::dynamodb:")?;
    let action = action.split('.').next()?.to_ascii_lowercase();
    match action.as_str() {
        "putitem" | "updateitem" | "deleteitem" => Some("write"),
        "getitem" | "query" | "scan" => Some("read"),
        _ => None,
    }
}

/// The scopes a state holds: a Parallel's branches, a Map's iterator.
fn nested(s: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = s
        .get("Branches")
        .and_then(Value::as_array)
        .map(|b| b.iter().collect())
        .unwrap_or_default();
    if let Some(i) = s.get("ItemProcessor").or_else(|| s.get("Iterator")) {
        out.push(i);
    }
    out
}

/// Whether an object is one of CloudFormation's intrinsic functions.
fn is_intrinsic(m: &Map<String, Value>) -> bool {
    m.len() == 1 && m.keys().all(|k| k == "Ref" || k.starts_with("Fn::"))
}

/// Whether a string of a rendered definition names a planned resource: its ARN, or (a Lambda
/// function's ARN) its `function_name`, or a name the resource has (`name`).
fn names_resource(s: &str, values: &Value) -> bool {
    let text = |k: &str| {
        values
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    if text("arn").is_some_and(|a| s == a || s.starts_with(&format!("{a}:"))) {
        return true;
    }
    if let Some(f) = text("function_name") {
        let tail = format!(":function:{f}");
        if s.ends_with(&tail) || s.contains(&format!("{tail}:")) {
            return true;
        }
    }
    text("name")
        .is_some_and(|n| s == n || s.ends_with(&format!(":{n}")) || s.ends_with(&format!("/{n}")))
}
