//! What each kind declares about itself (components/kind.rs) holds to what it does: the keys
//! its table takes, the series and summary fields it emits, the series its panels draw. And
//! no kind's name or series is spelled outside its own folder.

use archsim::components::kind::{Key, KeyType, KindInfo};
use archsim::components::registry::KINDS;
use archsim::config::Checker;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a path to a nested table: its key, and whether it holds a list of tables.
type Step = (&'static str, bool);

/// The keys a kind's parser accepts in the table at `path` (empty: the component's own
/// table), read from its message about a key it does not know.
fn accepted_keys(kind: &str, path: &[Step]) -> BTreeSet<String> {
    let mut text = String::new();
    for (key, list) in path {
        text.push_str(key);
        text.push_str(if *list { " = [{ " } else { " = { " });
    }
    text.push_str("__probe__ = 1");
    for (_, list) in path.iter().rev() {
        text.push_str(if *list { " }]" } else { " }" });
    }
    let doc = DeTable::parse(&text).expect("probe parses");
    let span = doc.span();
    let table: Spanned<DeValue<'_>> = Spanned::new(span, DeValue::Table(doc.into_inner()));
    let mut ck = Checker::new(Path::new("probe.toml"), &text);
    let entry = archsim::components::registry::find(kind).expect("a registered kind");
    let _ = (entry.parse)(table, &mut ck);
    let message = ck
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .find(|m| m.contains("`__probe__`"))
        .unwrap_or_else(|| panic!("{kind} {path:?}: no message about an unknown key"));
    let list = message
        .split("allowed keys here: ")
        .nth(1)
        .or_else(|| message.split("the only key allowed here is ").nth(1))
        .unwrap_or_else(|| panic!("{kind} {path:?}: {message}"));
    list.split(", ")
        .flat_map(|k| k.split(" or "))
        .map(|k| k.trim().to_string())
        .collect()
}

/// Compares declared keys with accepted ones, table by table, into `wrong`.
fn check_keys(kind: &str, path: &mut Vec<Step>, keys: &'static [Key], wrong: &mut Vec<String>) {
    let declared: BTreeSet<String> = keys.iter().map(|k| k.name.to_string()).collect();
    let accepted = accepted_keys(kind, path);
    if declared != accepted {
        wrong.push(format!(
            "{kind} {path:?}: declares {declared:?}, its parser takes {accepted:?}"
        ));
    }
    for k in keys {
        if k.about.is_empty() {
            wrong.push(format!("{kind} {path:?} `{}`: no `about`", k.name));
        }
        let nested = match k.ty {
            KeyType::Table(inner) => Some((inner, false)),
            KeyType::Tables(inner) => Some((inner, true)),
            KeyType::TableOrBool(inner) => Some((inner, false)),
            _ => None,
        };
        if let Some((inner, list)) = nested {
            path.push((k.name, list));
            check_keys(kind, path, inner, wrong);
            path.pop();
        }
    }
}

#[test]
fn every_kind_declares_the_keys_its_table_takes() {
    let mut wrong = Vec::new();
    for k in KINDS {
        check_keys(k.info.name, &mut Vec::new(), k.info.keys, &mut wrong);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn panels_draw_declared_series_and_columns_show_declared_fields() {
    let mut wrong = Vec::new();
    for k in KINDS {
        let info: &KindInfo = k.info;
        for p in info.panels {
            for l in p.lines {
                if !info.series.iter().any(|s| std::ptr::eq(*s, l.series)) {
                    wrong.push(format!(
                        "{}: panel {:?} draws undeclared {}",
                        info.name, p.axis, l.series.id
                    ));
                }
            }
        }
        for c in info.columns {
            if !info.has_field(c.field) && c.field != "cost_usd" {
                wrong.push(format!(
                    "{}: column {:?} shows undeclared field {}",
                    info.name, c.label, c.field
                ));
            }
        }
        let mut ids = BTreeSet::new();
        for s in info.series {
            if !ids.insert(s.id) {
                wrong.push(format!("{}: series {} declared twice", info.name, s.id));
            }
        }
        for e in info.events {
            if e.event.is_empty() {
                wrong.push(format!("{}: an event without a name", info.name));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// What the bundled scenarios' runs emit, checked against the declarations: every series a
/// component emits is one its kind declares, and every number it puts in the summary is a
/// declared field. Called by the bundled-scenarios test on the runs it makes anyway.
pub fn check_emitted(outcomes: &[archsim::sweep::ScenarioOutcome]) {
    let mut wrong = BTreeSet::new();
    for o in outcomes {
        for run in &o.runs {
            for a in run
                .actors
                .iter()
                .filter(|a| a.role == archsim::metrics::Role::Component)
            {
                let Some(info) = archsim::components::registry::info(&a.kind) else {
                    wrong.insert(format!("{}: unknown kind {}", a.name, a.kind));
                    continue;
                };
                for (name, _) in &a.series {
                    if !info.series.iter().any(|s| s.id == name) {
                        wrong.insert(format!("{}: emits undeclared series {name}", info.name));
                    }
                }
            }
        }
        if let Some(cs) = o.summary["components"].as_object() {
            for c in cs.values() {
                let kind = c["kind"].as_str().unwrap_or("");
                let Some(info) = archsim::components::registry::info(kind) else {
                    continue;
                };
                for (path, _) in archsim::metrics::flatten(c) {
                    if !info.has_field(&path) && path != "cost_usd" {
                        wrong.insert(format!("{kind}: emits undeclared field {path}"));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The string literals of a Rust source, with their line numbers (comments left out).
fn literals(src: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(start) = rest.find('"') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('"') else { break };
            out.push((i + 1, after[..end].to_string()));
            rest = &after[end + 1..];
        }
    }
    out
}

#[test]
fn no_kind_or_series_name_is_spelled_outside_its_own_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let components = root.join("components");
    let mut wrong = Vec::new();
    for file in sources(&root) {
        let rel = file.strip_prefix(&components).ok();
        // A kind's own place: its folder (or, before it has one, its file).
        let owner = rel.and_then(|r| {
            let first = r.components().next()?.as_os_str().to_str()?;
            Some(first.trim_end_matches(".rs").to_string())
        });
        let in_kind = owner
            .as_deref()
            .is_some_and(|o| KINDS.iter().any(|k| k.info.name == o));
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, lit) in literals(&text) {
            for k in KINDS {
                let info = k.info;
                let mine = owner.as_deref() == Some(info.name);
                // Another kind's folder may use the same word for something else (an API
                // Gateway's `cache` key); everywhere else, a kind's name is the registry's.
                if !mine && !in_kind && lit == info.name {
                    wrong.push(format!("{}:{line}: kind name \"{lit}\"", file.display()));
                }
                // Components use some series' words as summary field names too ("utilisation");
                // outside them (renderers above all), a series is named by its declaration.
                if rel.is_none()
                    && info.series.iter().any(|s| s.id == lit)
                    && !declares_series(&text, &lit)
                {
                    wrong.push(format!(
                        "{}:{line}: series name \"{lit}\" of {}",
                        file.display(),
                        info.name
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whether a source declares a series of that id itself (several kinds and the workloads
/// each emit a `requests_rps` of their own).
fn declares_series(src: &str, id: &str) -> bool {
    src.contains(&format!("id: \"{id}\""))
}
