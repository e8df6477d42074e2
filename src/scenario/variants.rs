//! What-if experiments inside a scenario file: `[[variant]]`s, each a set of overrides of the
//! scenario as written (the `baseline`), and a `[sweep]`, a grid (or a zip) of values over
//! paths, each point a variant. Overrides are applied to the parsed document and the result
//! is validated exactly as if written in place, so a wrong value is reported where the
//! override writes it. `--set PATH=VALUE` on the command line is one more override of the
//! baseline, reported as `--set …`.
//!
//! A path starts with a component id, a workload name, or `scenario`/`account`/`network`,
//! then the keys inside: `"db.read_replicas"`, `"users.arrival.rate"`,
//! `"web.scaling.target"`; a number steps into a list (`"web.calls.0.timeout"`).
//!
//! TOML has no null, so a variant removes a key of the baseline by naming it in `unset`
//! (`unset = ["table.rcu", "table.wcu"]`): removals are applied first, then `set`. A removed
//! key must be one the baseline has, and no path may be both removed and set (or removed
//! inside a path that is set): `set` alone replaces a value, so the removal would do nothing.
//! A path of one segment removes a whole component or workload (`unset = ["cache"]`): what
//! named it (a call, a cache's backend) must then be set to something else.

use crate::config::Checker;
use crate::limits;
use std::borrow::Cow;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One override: a path (its segments, and where it is written) and a value.
#[derive(Clone, Debug)]
pub struct Override<'i> {
    pub path: Vec<String>,
    /// Where the path is written: messages about it point here.
    pub at: Range<usize>,
    pub value: Spanned<DeValue<'i>>,
}

impl Override<'_> {
    /// The path as written: `db.read_replicas`.
    pub fn path_text(&self) -> String {
        self.path.join(".")
    }
}

/// A key of the baseline a variant removes: its path and where the path is written.
#[derive(Clone, Debug)]
pub struct Unset {
    pub path: Vec<String>,
    pub at: Range<usize>,
}

impl Unset {
    /// The path as written: `db.multi_az`.
    pub fn path_text(&self) -> String {
        self.path.join(".")
    }
}

/// How a removed key reads among a variant's overrides (`db.multi_az = (unset)`).
pub const UNSET_WORDS: &str = "(unset)";

/// A variant as declared, before it is applied.
#[derive(Clone, Debug)]
pub struct VariantDecl<'i> {
    pub name: String,
    /// Where its name is written (or its point of the sweep).
    pub at: Range<usize>,
    pub description: String,
    /// Keys of the baseline it removes, applied before `overrides`.
    pub unsets: Vec<Unset>,
    pub overrides: Vec<Override<'i>>,
    /// Whether it is a point of the `[sweep]`.
    pub swept: bool,
    /// `latency`, where it is written, and the path.
    pub latency: Option<(Range<usize>, String)>,
}

/// A path and a value at it: (path, the value in words, the value as a number when it is
/// one: a number, or a duration in seconds).
pub type PathValue = (String, String, Option<f64>);

/// What a scenario knows of the variant it is: its name and what it changes.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantInfo {
    pub name: String,
    pub description: String,
    /// Each override as (path, value in words, value as a number when it is one: a number,
    /// or a duration in seconds), for tables and charts of a sweep; a removed key first, as
    /// (path, `UNSET_WORDS`, None).
    pub set: Vec<PathValue>,
    /// Whether it is a point of the `[sweep]` (rather than a `[[variant]]`).
    pub swept: bool,
    /// The baseline of a sweep: its own values of the swept paths, where it writes them,
    /// as `set`'s are told, so that the sweep's charts can show it among the points.
    pub at: Vec<PathValue>,
    /// The latency its users wait for, a path of its summary (`[[variant]] latency`), where
    /// its clients' is not: the experiment judges it by that one.
    pub latency: Option<String>,
}

/// The name of the scenario as written, among its variants.
pub const BASELINE: &str = "baseline";

/// Paths a variant may not change: the seeds are what variants are compared over (common
/// random numbers), the name is the folder they share, and the metrics they are compared on
/// are the same for all.
const FIXED: &[&str] = &[
    "scenario.seed",
    "scenario.seeds",
    "scenario.name",
    "scenario.compare_metrics",
    "scenario.latency",
];

/// Takes `[[variant]]` and `[sweep]` out of the document and reads them: the variants, in
/// the order written, then the sweep's points.
pub fn take<'i>(doc: &mut DeTable<'i>, ck: &mut Checker) -> Vec<VariantDecl<'i>> {
    let mut out = Vec::new();
    if let Some(v) = doc.remove("variant") {
        let span = v.span();
        match v.into_inner() {
            DeValue::Array(items) => {
                for item in items {
                    if let Some(d) = variant(item, ck) {
                        out.push(d);
                    }
                }
            }
            _ => ck.error(span, "`variant` must be written as [[variant]] tables"),
        }
    }
    if let Some(s) = doc.remove("sweep") {
        out.extend(sweep(s, ck));
    }
    let mut seen: Vec<&str> = vec![BASELINE];
    let mut dup = Vec::new();
    for d in &out {
        if seen.contains(&d.name.as_str()) {
            dup.push((d.at.clone(), d.name.clone()));
        }
        seen.push(&d.name);
    }
    for (at, name) in dup {
        ck.error(
            at,
            format!("variant name \"{name}\" is used twice (\"{BASELINE}\" is the scenario as written); each names its own results folder"),
        );
    }
    if out.len() > limits::MAX_VARIANTS {
        let at = out[limits::MAX_VARIANTS].at.clone();
        ck.error(
            at,
            format!(
                "this scenario has {} variants (sweep points included); at most {} may run: sweep fewer values",
                out.len(),
                limits::MAX_VARIANTS
            ),
        );
        out.truncate(limits::MAX_VARIANTS);
    }
    out
}

/// One `[[variant]]`: `name`, `description`, `unset = ["path", …]`,
/// `set = { "path" = value, … }`.
fn variant<'i>(item: Spanned<DeValue<'i>>, ck: &mut Checker) -> Option<VariantDecl<'i>> {
    let span = item.span();
    let DeValue::Table(mut t) = item.into_inner() else {
        ck.error(span, "each [[variant]] must be a table");
        return None;
    };
    let name = match t.remove("name") {
        Some(n) => match n.get_ref() {
            DeValue::String(s) => {
                if let Some(why) = super::name_problem(s) {
                    ck.error(
                        n.span(),
                        format!("variant `name` \"{s}\" names its results folder: {why}"),
                    );
                    return None;
                }
                Spanned::new(n.span(), s.to_string())
            }
            _ => {
                ck.error(n.span(), "variant `name` must be a string");
                return None;
            }
        },
        None => {
            ck.error(
                span.start..span.start,
                "a [[variant]] needs a `name` (it names its results folder)",
            );
            return None;
        }
    };
    let description = match t.remove("description") {
        None => String::new(),
        Some(d) => match d.get_ref() {
            DeValue::String(s) => s.to_string(),
            _ => {
                ck.error(d.span(), "variant `description` must be a string");
                String::new()
            }
        },
    };
    let unsets = match t.remove("unset") {
        Some(u) => Some(unset_list(u, ck)?),
        None => None,
    };
    let overrides = match t.remove("set") {
        Some(s) => Some(set_table(s, ck)?),
        None => None,
    };
    if unsets.is_none() && overrides.is_none() {
        ck.error(
            name.span(),
            "a [[variant]] needs `set = { \"path\" = value, … }`, `unset = [\"path\", …]` or both: what it changes",
        );
        return None;
    }
    let unsets = unsets.unwrap_or_default();
    let overrides = overrides.unwrap_or_default();
    for u in &unsets {
        let p = u.path_text();
        // A fault removed whole: nothing of it may be set.
        if removed_fault(&u.path).is_some() {
            if let Some(o) = overrides.iter().find(|o| o.path.starts_with(&u.path)) {
                ck.error(
                    o.at.clone(),
                    format!("\"{}\" is set, but `unset` removes \"{p}\" whole: set a key of a fault the variant keeps, or remove a key of \"{p}\" rather than all of it", o.path_text()),
                );
            }
            continue;
        }
        if let [whole] = &u.path[..] {
            if let Some(o) = overrides.iter().find(|o| o.path[0] == *whole) {
                ck.error(
                    o.at.clone(),
                    format!("\"{}\" is set, but `unset` removes \"{whole}\" whole: set a key of a part the variant keeps, or remove a key of \"{whole}\" rather than all of it", o.path_text()),
                );
            }
            continue;
        }
        // `set` replaces the value at its path, and everything under it: a removal there
        // would do nothing.
        if let Some(o) = overrides.iter().find(|o| u.path.starts_with(&o.path)) {
            let same = o.path == u.path;
            ck.error(
                u.at.clone(),
                if same {
                    format!("\"{p}\" is both in `unset` and in `set`: `set` alone replaces the baseline's value; keep it in one of them")
                } else {
                    format!("\"{p}\" is in `unset`, but `set` writes the whole of \"{}\" that holds it: `set` alone replaces it; keep \"{p}\" out of `unset`", o.path_text())
                },
            );
        }
    }
    // Checked once the variant is built (`scenario::latency_problem`).
    let latency = t.remove("latency").and_then(|l| match l.get_ref() {
        DeValue::String(p) => Some((l.span(), p.to_string())),
        _ => {
            ck.error(
                l.span(),
                "variant `latency` must be a string: a latency of summary.json, such as \"components.orders-queue.lag_ms\"",
            );
            None
        }
    });
    const KEYS: [&str; 5] = ["name", "description", "unset", "set", "latency"];
    for (k, _) in t.iter() {
        ck.error(
            k.span(),
            format!(
                "unknown key `{}`{} in a [[variant]]; allowed keys here: {}",
                k.get_ref(),
                crate::text::did_you_mean(k.get_ref(), KEYS),
                KEYS.join(", ")
            ),
        );
    }
    Some(VariantDecl {
        name: name.get_ref().clone(),
        at: name.span(),
        description,
        unsets,
        overrides,
        swept: false,
        latency,
    })
}

/// `["path", …]`: keys of the baseline to remove, each path checked for its shape.
fn unset_list(v: Spanned<DeValue<'_>>, ck: &mut Checker) -> Option<Vec<Unset>> {
    let span = v.span();
    let DeValue::Array(items) = v.into_inner() else {
        ck.error(
            span,
            "`unset` must be a list of paths, as unset = [\"table.rcu\", \"table.wcu\"]",
        );
        return None;
    };
    let mut out: Vec<Unset> = Vec::new();
    for item in items {
        let at = item.span();
        let DeValue::String(text) = item.get_ref() else {
            ck.error(
                at,
                format!(
                    "`unset` lists paths as strings, as \"table.rcu\"; this is {}",
                    words(item.get_ref())
                ),
            );
            continue;
        };
        // One segment alone removes a whole component or workload (checked against the
        // document when applied): "without the cache" is then the baseline less its cache,
        // neither run nor billed.
        let path = if text.contains('.') || text.trim().is_empty() {
            path_of(text, at.clone(), ck)
        } else {
            Some(vec![text.to_string()])
        };
        let Some(path) = path else {
            continue;
        };
        if names_a_part(&path) {
            ck.error(
                at,
                format!("a variant may not remove \"{text}\": the `{}` is how paths find the component or workload", path[1]),
            );
            continue;
        }
        if out.iter().any(|u| u.path == path) {
            ck.error(at, format!("\"{text}\" is listed twice in `unset`"));
            continue;
        }
        out.push(Unset { path, at });
    }
    Some(out)
}

/// `{ "path" = value, … }`: overrides, each path checked for its shape.
fn set_table<'i>(v: Spanned<DeValue<'i>>, ck: &mut Checker) -> Option<Vec<Override<'i>>> {
    let span = v.span();
    let DeValue::Table(t) = v.into_inner() else {
        ck.error(span, "`set` must be a table of \"path\" = value");
        return None;
    };
    let mut out = Vec::new();
    for (k, value) in t {
        if let Some(path) = path_of(k.get_ref(), k.span(), ck) {
            out.push(Override {
                path,
                at: k.span(),
                value,
            });
        }
    }
    Some(out)
}

/// The first segment of a path to a fault: `fault.0.for` is the first [[fault]]'s `for`.
const FAULTS: &str = "fault";

/// The baseline's fault an `unset` path removes whole (`fault.1`: its second [[fault]], as
/// numbered in the baseline), if it is one.
pub fn removed_fault(path: &[String]) -> Option<usize> {
    match path {
        [f, n] if f == FAULTS => n.parse().ok(),
        _ => None,
    }
}

/// Removes the baseline's faults the variant's `unset` lists whole (`fault.N`), once its
/// `set` has been applied: each path names a fault by its number in the baseline, which
/// removing another first would shift. False (with a message) for a number the baseline
/// has no fault of.
pub fn remove_faults(doc: &mut DeTable<'_>, unsets: &[Unset], ck: &mut Checker) -> bool {
    let mut gone: Vec<usize> = Vec::new();
    let count = match doc.get(FAULTS).map(|v| v.get_ref()) {
        Some(DeValue::Array(items)) => items.len(),
        _ => 0,
    };
    let mut ok = true;
    for u in unsets {
        let Some(n) = removed_fault(&u.path) else {
            continue;
        };
        if n < count {
            gone.push(n);
            continue;
        }
        ck.error(
            u.at.clone(),
            match count {
                0 => format!("`unset` path \"fault.{n}\": the scenario has no [[fault]]"),
                1 => format!("`unset` path \"fault.{n}\": the scenario has one [[fault]], fault.0"),
                _ => format!(
                    "`unset` path \"fault.{n}\": the scenario has {count} [[fault]]s, fault.0 … fault.{}",
                    count - 1
                ),
            },
        );
        ok = false;
    }
    if let Some(DeValue::Array(items)) = doc.get_mut(FAULTS).map(|v| v.get_mut()) {
        let mut j = 0;
        retain(items, |_| {
            j += 1;
            !gone.contains(&(j - 1))
        });
    }
    ok
}

/// A path's segments, refused when empty or when it would change what variants may not.
fn path_of(text: &str, at: Range<usize>, ck: &mut Checker) -> Option<Vec<String>> {
    let segments: Vec<String> = text.split('.').map(str::to_string).collect();
    if segments.len() < 2 || segments.iter().any(|s| s.trim().is_empty()) {
        ck.error(
            at,
            format!("\"{text}\" is not a path: write a component id, a workload name, scenario/account/network or fault.N (the N-th [[fault]], from 0), then the keys inside, as \"db.read_replicas\", \"users.arrival.rate\" or \"fault.0.for\""),
        );
        return None;
    }
    if FIXED
        .iter()
        .any(|f| text == *f || text.strip_prefix(f).is_some_and(|r| r.starts_with('.')))
    {
        ck.error(
            at,
            if text == "scenario.latency" {
                format!("variants may not change `{text}`: a [[variant]] names the latency it is judged by with its own `latency`")
            } else {
                format!("variants may not change `{text}`: they share the scenario's name and are compared seed by seed, on the same metrics")
            },
        );
        return None;
    }
    Some(segments)
}

/// One swept path: its segments, where it is written, and its values.
type Axis<'i> = (Vec<String>, Range<usize>, Vec<Spanned<DeValue<'i>>>);

/// The `[sweep]`: `"path" = [values]` or `{ from, to, steps, scale = "log" }`, and `zip`.
fn sweep<'i>(v: Spanned<DeValue<'i>>, ck: &mut Checker) -> Vec<VariantDecl<'i>> {
    let span = v.span();
    let DeValue::Table(t) = v.into_inner() else {
        ck.error(
            span,
            "`sweep` must be a table: [sweep] then \"path\" = [values]",
        );
        return Vec::new();
    };
    let mut zip = false;
    let mut axes: Vec<Axis<'i>> = Vec::new();
    // Paths written, whether or not their values could be read: a wrong one is reported
    // where it is, not as a sweep with no path.
    let mut written = 0;
    for (k, value) in t {
        if k.get_ref() == "zip" {
            match value.get_ref() {
                DeValue::Boolean(b) => zip = *b,
                _ => ck.error(value.span(), "`zip` must be true or false"),
            }
            continue;
        }
        written += 1;
        let Some(path) = path_of(k.get_ref(), k.span(), ck) else {
            continue;
        };
        if let Some(values) = axis_values(value, ck) {
            axes.push((path, k.span(), values));
        }
    }
    if axes.is_empty() {
        if written == 0 {
            ck.error(span, "a [sweep] needs at least one \"path\" = [values]");
        }
        return Vec::new();
    }
    let points: Vec<Vec<usize>> = if zip {
        let n = axes[0].2.len();
        if let Some((_, at, vals)) = axes.iter().find(|a| a.2.len() != n) {
            ck.error(
                at.clone(),
                format!("with `zip = true` every path takes as many values: the first has {n}, this one {}", vals.len()),
            );
            return Vec::new();
        }
        (0..n).map(|i| vec![i; axes.len()]).collect()
    } else {
        let total = axes.iter().map(|a| a.2.len() as u128).product::<u128>();
        if total > limits::MAX_VARIANTS as u128 {
            ck.error(
                span,
                format!(
                    "the sweep's grid has {total} points ({}); at most {} may run: sweep fewer values, or pair them with `zip = true`",
                    axes.iter().map(|a| a.2.len().to_string()).collect::<Vec<_>>().join(" × "),
                    limits::MAX_VARIANTS
                ),
            );
            return Vec::new();
        }
        let mut points = vec![Vec::new()];
        for a in &axes {
            points = points
                .into_iter()
                .flat_map(|p| {
                    (0..a.2.len()).map(move |i| {
                        let mut q = p.clone();
                        q.push(i);
                        q
                    })
                })
                .collect();
        }
        points
    };
    let names = point_names(&axes, &points);
    points
        .iter()
        .zip(names)
        .map(|(p, name)| VariantDecl {
            name,
            at: axes[0].1.clone(),
            description: String::new(),
            unsets: Vec::new(),
            swept: true,
            latency: None,
            overrides: axes
                .iter()
                .zip(p)
                .map(|((path, at, vals), &i)| Override {
                    path: path.clone(),
                    at: at.clone(),
                    value: vals[i].clone(),
                })
                .collect(),
        })
        .collect()
}

/// The values of one axis: a list, or `{ from, to, steps, scale }`.
fn axis_values<'i>(v: Spanned<DeValue<'i>>, ck: &mut Checker) -> Option<Vec<Spanned<DeValue<'i>>>> {
    let span = v.span();
    match v.into_inner() {
        DeValue::Array(items) if !items.is_empty() => Some(items.into_iter().collect()),
        DeValue::Array(_) => {
            ck.error(span, "a swept path needs at least one value");
            None
        }
        DeValue::Table(t) => range(t, span, ck),
        _ => {
            ck.error(
                span,
                "a swept path takes a list of values, [4, 8, 16], or a range, { from = 100, to = 2000, steps = 12 }",
            );
            None
        }
    }
}

/// `{ from, to, steps, scale = "linear" | "log" }`: `steps` values from `from` to `to`.
fn range<'i>(
    t: DeTable<'i>,
    span: Range<usize>,
    ck: &mut Checker,
) -> Option<Vec<Spanned<DeValue<'i>>>> {
    let mut from = None;
    let mut to = None;
    let mut steps = None;
    let mut log = false;
    // Whether `from` and `to` are written as whole numbers (`4`, not `4.0`).
    let mut integers = [false; 2];
    for (k, v) in t {
        let number = match v.get_ref() {
            DeValue::Integer(i) => i.as_str().parse::<f64>().ok(),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            _ => None,
        };
        let integer = matches!(v.get_ref(), DeValue::Integer(_));
        match (k.get_ref().as_ref(), number) {
            ("from", Some(x)) => (from, integers[0]) = (Some(x), integer),
            ("to", Some(x)) => (to, integers[1]) = (Some(x), integer),
            ("steps", Some(x))
                if x.fract() == 0.0 && (2.0..=limits::MAX_VARIANTS as f64).contains(&x) =>
            {
                steps = Some(x as usize)
            }
            ("steps", _) => {
                ck.error(
                    v.span(),
                    format!(
                        "`steps` is a whole number of values, from 2 to {}",
                        limits::MAX_VARIANTS
                    ),
                );
                return None;
            }
            ("scale", _) => match v.get_ref() {
                DeValue::String(s) if s == "log" => log = true,
                DeValue::String(s) if s == "linear" => log = false,
                _ => {
                    ck.error(v.span(), "`scale` is \"linear\" or \"log\"");
                    return None;
                }
            },
            ("from" | "to", None) => {
                ck.error(v.span(), format!("`{}` must be a number", k.get_ref()));
                return None;
            }
            (other, _) => {
                ck.error(
                    k.span(),
                    format!("unknown key `{other}` in a swept range; allowed keys here: from, to, steps, scale"),
                );
                return None;
            }
        }
    }
    let (Some(a), Some(b), Some(n)) = (from, to, steps) else {
        ck.error(span, "a swept range needs `from`, `to` and `steps`");
        return None;
    };
    if log && (a <= 0.0 || b <= 0.0) {
        ck.error(span, "a log-scaled range needs `from` and `to` above zero");
        return None;
    }
    // Ends written as whole numbers (a count of replicas) give whole numbers; `0.0` to
    // `1.0` gives fractions.
    let whole = integers == [true, true] && !log;
    let mut values: Vec<f64> = (0..n)
        .map(|i| {
            let f = i as f64 / (n - 1) as f64;
            if log {
                (a.ln() + f * (b.ln() - a.ln())).exp()
            } else {
                a + f * (b - a)
            }
        })
        .collect();
    // Whole numbers stay whole (a count of replicas), and no value repeats.
    if whole {
        for v in &mut values {
            *v = v.round();
        }
        values.dedup();
        if values.len() < n {
            ck.warn(
                span.clone(),
                format!(
                    "this range's ends are whole numbers, so its points are too: {} whole numbers, not {n} steps (points that round alike are one); for a key that takes fractions, an end written with a decimal point (`{}.0`) gives the points between",
                    values.len(),
                    a as i64
                ),
            );
        }
    }
    Some(
        values
            .into_iter()
            .map(|v| {
                let text = if whole {
                    format!("{}", v as i64)
                } else {
                    format!("{:?}", round_sig(v))
                };
                Spanned::new(span.clone(), value_of(&text))
            })
            .collect(),
    )
}

/// The TOML value `text` writes, for values made here (a range's points, a `--set`): a
/// value of its own, so its text is kept for the life of the process (a few bytes for each).
/// Text that is not a TOML value is a string (`--set web.market=spot`).
pub fn value_of(text: &str) -> DeValue<'static> {
    let kept: &'static str = Box::leak(text.to_string().into_boxed_str());
    match DeValue::parse(kept) {
        Ok(v)
            if !matches!(v.get_ref(), DeValue::Table(_)) || text.trim_start().starts_with('{') =>
        {
            v.into_inner()
        }
        _ => DeValue::String(Cow::Borrowed(kept)),
    }
}

/// `v` with every span inside it moved `by` bytes on: a value parsed from text of its own
/// (`value_of`), whose spans start at 0, placed at offsets a `Checker` reserved for it
/// (`Checker::synthetic_with`), where they cannot be taken for places in the file.
pub fn shifted(v: DeValue<'static>, by: usize) -> DeValue<'static> {
    let moved = |s: std::ops::Range<usize>| s.start + by..s.end + by;
    match v {
        DeValue::Array(items) => DeValue::Array(
            items
                .into_iter()
                .map(|i| {
                    let span = moved(i.span());
                    Spanned::new(span, shifted(i.into_inner(), by))
                })
                .collect(),
        ),
        DeValue::Table(t) => DeValue::Table(
            t.into_iter()
                .map(|(k, v)| {
                    let (kspan, vspan) = (moved(k.span()), moved(v.span()));
                    (
                        Spanned::new(kspan, k.into_inner()),
                        Spanned::new(vspan, shifted(v.into_inner(), by)),
                    )
                })
                .collect(),
        ),
        other => other,
    }
}

/// `v` to 6 significant digits: sweep values a person reads (1200.0000000002 is 1200).
fn round_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let magnitude = 10f64.powi(5 - v.abs().log10().floor() as i32);
    if !magnitude.is_normal() {
        // Near the ends of the floating-point range (5e-324, 1e308): as it is, for the
        // value's own check to judge, never a NaN of its rounding.
        return v;
    }
    (v * magnitude).round() / magnitude
}

/// Names of the sweep's points: `<last key>-<value>` joined with `_` ("max-8_rate-1200"),
/// or `point-001` … when those would not be unique or would be too long for a folder.
fn point_names(axes: &[Axis<'_>], points: &[Vec<usize>]) -> Vec<String> {
    let readable: Vec<String> = points
        .iter()
        .map(|p| {
            axes.iter()
                .zip(p)
                .map(|((path, _, vals), &i)| {
                    let key = path.last().map_or("", String::as_str);
                    format!("{key}-{}", slug(&words(vals[i].get_ref())))
                })
                .collect::<Vec<_>>()
                .join("_")
        })
        .collect();
    let mut sorted = readable.clone();
    sorted.sort();
    sorted.dedup();
    let fine = sorted.len() == readable.len()
        && readable
            .iter()
            .all(|n| super::name_problem(n).is_none() && n != BASELINE);
    if fine {
        readable
    } else {
        (1..=points.len())
            .map(|i| format!("point-{i:03}"))
            .collect()
    }
}

/// A value in a folder name's letters: digits, letters, `.`, `-`, `_`; others become `-`.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A value in words, as a table of a sweep shows it: 8, 0.5, 10m, spot, true.
pub fn words(v: &DeValue<'_>) -> String {
    shown(v, false)
}

/// A value in words, its strings `quoted` (within a table, where keys and values must read
/// apart) or bare.
fn shown(v: &DeValue<'_>, quoted: bool) -> String {
    match v {
        DeValue::String(s) if quoted => format!("{:?}", s.as_ref()),
        DeValue::String(s) => s.to_string(),
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|x| shown(x.get_ref(), quoted))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        DeValue::Table(t) => inline_table(t),
        DeValue::Datetime(d) => d.to_string(),
    }
}

/// A table as it is written inline, its strings quoted so that its keys and values read
/// apart: `{ ttl = "5m", nodes = 3 }`.
fn inline_table(t: &toml::de::DeTable<'_>) -> String {
    let entries: Vec<String> = t
        .iter()
        .map(|(k, v)| {
            let k = k.get_ref();
            let bare = !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let key = if bare {
                k.to_string()
            } else {
                format!("{k:?}")
            };
            format!("{key} = {}", shown(v.get_ref(), true))
        })
        .collect();
    if entries.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", entries.join(", "))
    }
}

/// A value as a number, when it is one: a number, or a duration in seconds.
pub fn number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(i) => i.as_str().replace('_', "").parse().ok(),
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        DeValue::String(s) => crate::config::parse_duration(s)
            .ok()
            .map(|t| t.as_secs_f64()),
        _ => None,
    }
}

/// Applies one override to the document; false (with a message) when the path leads
/// nowhere.
pub fn apply<'i>(doc: &mut DeTable<'i>, ov: &Override<'i>, ck: &mut Checker) -> bool {
    let walk = Walk {
        unset: false,
        path: &ov.path,
        at: &ov.at,
    };
    match walk.to_end(doc, ck) {
        Some(End::Key(t, key)) => {
            let key = Spanned::new(ov.at.clone(), Cow::Owned(key.to_string()));
            t.insert(key, ov.value.clone());
            true
        }
        Some(End::Element(item)) => {
            *item = ov.value.clone();
            true
        }
        None => false,
    }
}

/// Removes one key of the baseline from the document; false (with a message) when the
/// baseline has no such key.
pub fn apply_unset(doc: &mut DeTable<'_>, u: &Unset, ck: &mut Checker) -> bool {
    let walk = Walk {
        unset: true,
        path: &u.path,
        at: &u.at,
    };
    if let [whole] = &u.path[..] {
        return remove_part(doc, whole, &walk, ck);
    }
    // A fault removed whole goes once `set` is applied (`remove_faults`).
    if removed_fault(&u.path).is_some() {
        return true;
    }
    let last = u.path.len().saturating_sub(1);
    match walk.to_end(doc, ck) {
        Some(End::Key(t, key)) => {
            if t.remove(key).is_some() {
                return true;
            }
            walk.no_key(t, key, last, ck);
            false
        }
        Some(End::Element(_)) => {
            let list = walk.reached(last);
            walk.error(
                ck,
                format!(
                    "`{}` is an element of the list \"{list}\", not a key; `unset` removes keys: to change the list, set the whole of it (\"{list}\" = [ … ])",
                    u.path[last]
                ),
            );
            false
        }
        None => false,
    }
}

/// Removes the `[[component]]` whose `id`, or the `[[workload]]` whose `name`, is `name`;
/// false (with a message) when there is none. What else names it (a call, a backend, a
/// fault's target) is then checked as if the baseline had never had it.
fn remove_part(doc: &mut DeTable<'_>, name: &str, walk: &Walk<'_>, ck: &mut Checker) -> bool {
    let Some((array, i)) = position_named(doc, name) else {
        let parts = part_names(doc);
        walk.error(
            ck,
            format!(
                "\"{name}\" is not a component id or a workload name{}; a path of one segment removes a whole component or workload, a longer one a key inside (\"db.multi_az\"), and fault.N the N-th [[fault]] (from 0); the scenario has: {}",
                if name == FAULTS {
                    " (fault.0 removes the first [[fault]])".to_string()
                } else {
                    crate::text::did_you_mean(name, parts.iter().map(String::as_str))
                },
                parts.join(", ")
            ),
        );
        return false;
    };
    if let Some(DeValue::Array(items)) = doc.get_mut(array).map(|v| v.get_mut()) {
        let mut j = 0;
        retain(items, |_| {
            j += 1;
            j - 1 != i
        });
    }
    true
}

/// Keeps the elements of a list for which `keep` says so, in order (toml's list has no
/// `retain` of its own).
fn retain<'i>(items: &mut toml::de::DeArray<'i>, keep: impl FnMut(&Spanned<DeValue<'i>>) -> bool) {
    *items = std::mem::replace(items, toml::de::DeArray::new())
        .into_iter()
        .filter(keep)
        .collect();
}

/// Leaves out of a variant's document the `[[expect]]`s judged on another variant only
/// (`variant = "…"`): they are not this variant's, and may name what it removed. One judged
/// on every variant that names a component or workload this variant removes (`unset =
/// ["cache"]`) is a mistake, said where its metric is written.
pub fn keep_own_expectations(doc: &mut DeTable<'_>, decl: &VariantDecl<'_>, ck: &mut Checker) {
    let Some(DeValue::Array(items)) = doc.get_mut("expect").map(|v| v.get_mut()) else {
        return;
    };
    let removed: Vec<&str> = decl
        .unsets
        .iter()
        .filter_map(|u| match &u.path[..] {
            [whole] => Some(whole.as_str()),
            _ => None,
        })
        .collect();
    retain(items, |item| {
        let DeValue::Table(t) = item.get_ref() else {
            return true;
        };
        match t.get("variant").map(|v| v.get_ref()) {
            Some(DeValue::String(v)) => return v == &decl.name,
            Some(_) => return true,
            None => {}
        }
        let named = ["metric", "series"].into_iter().find_map(|key| {
            let v = t.get(key)?;
            let DeValue::String(text) = v.get_ref() else {
                return None;
            };
            let mut segments = text.split('.');
            let (first, second) = (segments.next()?, segments.next()?);
            let part = match first {
                "components" | "workloads" => second,
                "cost_usd" if second == "by_component" => segments.next()?,
                _ => return None,
            };
            removed
                .contains(&part)
                .then(|| (v.span(), part.to_string()))
        });
        let Some((at, part)) = named else {
            return true;
        };
        ck.error(
            at,
            format!(
                "this [[expect]] is judged on every variant, and \"{}\" removes \"{part}\" (unset = [\"{part}\"]): judge it on the others only, with variant = \"{BASELINE}\" (or another variant's name) in it",
                decl.name
            ),
        );
        false
    });
}

/// The path of a `set` or an `unset`, walked through the document: its first segment names
/// a component, a workload, scenario/account/network or the faults (`fault`, whose next
/// segment is an index: faults have no names), each next one a key of a table or an index
/// of a list. A `set` makes the tables it lacks on the way; an `unset` removes
/// a key the baseline writes, so a key missing on the way is a mistake.
struct Walk<'p> {
    unset: bool,
    path: &'p [String],
    /// Where the path is written: its messages point here.
    at: &'p Range<usize>,
}

/// What holds a path's last segment, where the walk ends.
enum End<'a, 'i> {
    /// The table, and the key (written in it or not).
    Key(&'a mut DeTable<'i>, &'a str),
    /// The element of a list the last segment indexes.
    Element(&'a mut Spanned<DeValue<'i>>),
}

impl<'p> Walk<'p> {
    /// Follows the path to what holds its last segment; None (with a message) when it leads
    /// nowhere. A path has two segments or more (`path_of`, a `--set`'s own check).
    fn to_end<'a, 'i>(&self, doc: &'a mut DeTable<'i>, ck: &mut Checker) -> Option<End<'a, 'i>>
    where
        'p: 'a,
    {
        let [head, between @ .., last] = self.path else {
            return None;
        };
        let mut node = self.head(doc, head, ck)?;
        for (n, key) in between.iter().enumerate() {
            // `node` is what the path's first n + 1 segments reach.
            node = match self.step(node, key, n + 1, ck)? {
                End::Key(t, key) => self.child(t, key, n + 1, ck)?,
                End::Element(item) => item,
            };
        }
        self.step(node, last, self.path.len() - 1, ck)
    }

    /// The component or workload named `head`, or the scenario/account/network table (a
    /// `set` makes it when the baseline has none).
    fn head<'a, 'i>(
        &self,
        doc: &'a mut DeTable<'i>,
        head: &str,
        ck: &mut Checker,
    ) -> Option<&'a mut Spanned<DeValue<'i>>> {
        if ["scenario", "account", "network"].contains(&head) {
            if self.unset {
                let found = doc.get_mut(head);
                if found.is_none() {
                    self.error(
                        ck,
                        format!("the baseline has no [{head}] table, so nothing in it to remove"),
                    );
                }
                return found;
            }
            let key = Spanned::new(self.at.clone(), Cow::Owned(head.to_string()));
            return Some(
                doc.entry(key).or_insert_with(|| {
                    Spanned::new(self.at.clone(), DeValue::Table(DeTable::new()))
                }),
            );
        }
        let named = position_named(doc, head);
        if named.is_none() && head == FAULTS {
            // `fault.N…`: the N-th [[fault]] (from 0), which has no name of its own; the next
            // segment indexes the list.
            let found = doc.get_mut(FAULTS);
            if found.is_none() {
                self.error(
                    ck,
                    "the scenario has no [[fault]]: `fault.N` names its N-th (from 0)".to_string(),
                );
            }
            return found;
        }
        let Some((array, i)) = named else {
            let known = names_in(doc);
            self.error(
                ck,
                format!(
                    "\"{head}\" is not a component id, a workload name, scenario/account/network or fault.N (the N-th [[fault]]){}; the scenario has: {}",
                    crate::text::did_you_mean(head, known.iter().map(String::as_str)),
                    known.join(", ")
                ),
            );
            return None;
        };
        match doc.get_mut(array)?.get_mut() {
            DeValue::Array(items) => items.get_mut(i),
            _ => None,
        }
    }

    /// Where segment `key` leads from `node`, which the path's first `n` segments reach: a
    /// key of its table, or the element of its list `key` indexes.
    fn step<'a, 'i>(
        &self,
        node: &'a mut Spanned<DeValue<'i>>,
        key: &'a str,
        n: usize,
        ck: &mut Checker,
    ) -> Option<End<'a, 'i>> {
        match node.get_mut() {
            DeValue::Table(t) => Some(End::Key(t, key)),
            DeValue::Array(items) => match key.parse::<usize>() {
                Ok(i) if i < items.len() => items.get_mut(i).map(End::Element),
                _ => {
                    let list = if self.unset {
                        format!("the list \"{}\" of {}", self.reached(n), items.len())
                    } else {
                        format!("a list of {} here", items.len())
                    };
                    self.error(
                        ck,
                        format!(
                            "`{key}` steps into {list}, so it must be an index from 0 to {}",
                            items.len().saturating_sub(1)
                        ),
                    );
                    None
                }
            },
            other => {
                let value = if self.unset {
                    format!("\"{}\" = {}", self.reached(n), words(other))
                } else {
                    words(other)
                };
                self.error(
                    ck,
                    format!("before `{key}` it reaches {value}, which has no keys inside"),
                );
                None
            }
        }
    }

    /// The value of `key` in table `t` (which the path's first `n` segments reach), on the
    /// way to the path's end: a `set` makes a table there when `t` has none.
    fn child<'a, 'i>(
        &self,
        t: &'a mut DeTable<'i>,
        key: &str,
        n: usize,
        ck: &mut Checker,
    ) -> Option<&'a mut Spanned<DeValue<'i>>> {
        if !self.unset {
            let key = Spanned::new(self.at.clone(), Cow::Owned(key.to_string()));
            return Some(
                t.entry(key).or_insert_with(|| {
                    Spanned::new(self.at.clone(), DeValue::Table(DeTable::new()))
                }),
            );
        }
        if !t.contains_key(key) {
            self.no_key(t, key, n, ck);
            return None;
        }
        t.get_mut(key)
    }

    /// An `unset`'s key the baseline's table `t` (which the path's first `n` segments
    /// reach) does not write.
    fn no_key(&self, t: &DeTable<'_>, key: &str, n: usize, ck: &mut Checker) {
        let reached = format!("\"{}\"", self.reached(n));
        let keys: Vec<String> = t.iter().map(|(k, _)| k.get_ref().to_string()).collect();
        self.error(
            ck,
            format!(
                "the baseline's {reached} has no key `{key}`{}, so there is nothing to remove; `unset` removes a key the baseline writes, and {reached} has: {}",
                crate::text::did_you_mean(key, keys.iter().map(String::as_str)),
                if keys.is_empty() { "no keys".to_string() } else { keys.join(", ") }
            ),
        );
    }

    /// The path's first `n` segments: what a step has reached.
    fn reached(&self, n: usize) -> String {
        self.path[..n].join(".")
    }

    /// A problem with the path, said where it is written: `` `set` path "db.x": {why} ``.
    fn error(&self, ck: &mut Checker, why: String) {
        let verb = if self.unset { "unset" } else { "set" };
        ck.error(
            self.at.clone(),
            format!("`{verb}` path \"{}\": {why}", self.path.join(".")),
        );
    }
}

/// Where the `[[component]]` whose `id`, or the `[[workload]]` whose `name`, is `name` is:
/// the array and the index in it.
fn position_named(doc: &DeTable<'_>, name: &str) -> Option<(&'static str, usize)> {
    let position = |array: &str, key: &str| -> Option<usize> {
        let DeValue::Array(items) = doc.get(array)?.get_ref() else {
            return None;
        };
        items.iter().position(|item| match item.get_ref() {
            DeValue::Table(t) => {
                matches!(t.get(key).map(|v| v.get_ref()), Some(DeValue::String(s)) if s == name)
            }
            _ => false,
        })
    };
    [("component", "id"), ("workload", "name")]
        .into_iter()
        .find_map(|(array, key)| position(array, key).map(|i| (array, i)))
}

/// Component ids and workload names, for a message.
fn names_in(doc: &DeTable<'_>) -> Vec<String> {
    let mut out = part_names(doc);
    out.extend(["scenario", "account", "network"].map(String::from));
    if let Some(DeValue::Array(faults)) = doc.get(FAULTS).map(|v| v.get_ref()) {
        out.extend((0..faults.len()).map(|i| format!("{FAULTS}.{i}")));
    }
    out
}

/// Component ids and workload names alone: the parts a path of one segment removes.
fn part_names(doc: &DeTable<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (array, key) in [("component", "id"), ("workload", "name")] {
        if let Some(DeValue::Array(items)) = doc.get(array).map(|v| v.get_ref()) {
            for item in items {
                if let DeValue::Table(t) = item.get_ref() {
                    if let Some(DeValue::String(s)) = t.get(key).map(|v| v.get_ref()) {
                        out.push(s.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Where each key the baseline writes under a component, a workload or
/// scenario/account/network is (the byte offsets of its key and of its value), with its path:
/// a variant's problem found at one of them is about the baseline's text, which the variant
/// can change only with `set` or `unset`, and its message says so (`baseline_hints`).
pub fn baseline_keys(doc: &DeTable<'_>) -> Vec<(usize, String)> {
    fn walk(v: &Spanned<DeValue<'_>>, path: &str, out: &mut Vec<(usize, String)>) {
        match v.get_ref() {
            DeValue::Table(t) => {
                for (k, child) in t.iter() {
                    let p = format!("{path}.{}", k.get_ref());
                    out.push((k.span().start, p.clone()));
                    out.push((child.span().start, p.clone()));
                    walk(child, &p, out);
                }
            }
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}.{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in doc.iter() {
        let head = k.get_ref().as_ref();
        match (head, v.get_ref()) {
            ("scenario" | "account" | "network", DeValue::Table(_)) => walk(v, head, &mut out),
            (FAULTS, DeValue::Array(_)) => walk(v, head, &mut out),
            ("component" | "workload", DeValue::Array(items)) => {
                let key = if head == "component" { "id" } else { "name" };
                for item in items {
                    if let DeValue::Table(t) = item.get_ref() {
                        if let Some(DeValue::String(name)) = t.get(key).map(|n| n.get_ref()) {
                            walk(item, name, &mut out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// The values the baseline writes at `paths` (each as `Override::path_text` writes it), as
/// (path, words, number), for those it writes; a path it leaves to its default is left out.
/// A path's head is found as `Walk::head` finds it: the `[scenario]`, `[account]` or
/// `[network]` table, a component or workload by name, else `fault` the list of faults.
pub fn baseline_values(doc: &DeTable<'_>, paths: &[String]) -> Vec<PathValue> {
    fn find<'a, 'i>(v: &'a DeValue<'i>, rest: &[&str]) -> Option<&'a DeValue<'i>> {
        let Some((first, rest)) = rest.split_first() else {
            return Some(v);
        };
        let next = match v {
            DeValue::Table(t) => t.get(*first)?.get_ref(),
            DeValue::Array(items) => items.get(first.parse::<usize>().ok()?)?.get_ref(),
            _ => return None,
        };
        find(next, rest)
    }
    let head = |name: &str| -> Option<&DeValue<'_>> {
        if ["scenario", "account", "network"].contains(&name) {
            return doc.get(name).map(|v| v.get_ref());
        }
        match position_named(doc, name) {
            Some((array, i)) => match doc.get(array)?.get_ref() {
                DeValue::Array(items) => items.get(i).map(|v| v.get_ref()),
                _ => None,
            },
            None if name == FAULTS => doc.get(FAULTS).map(|v| v.get_ref()),
            None => None,
        }
    };
    let mut out = Vec::new();
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        let Some((first, rest)) = segments.split_first() else {
            continue;
        };
        if let Some(v) = head(first).and_then(|h| find(h, rest)) {
            out.push((path.clone(), words(v), number(v)));
        }
    }
    out
}

/// Whether `path` is a component's `id` or a workload's `name`: how paths find it, so a
/// variant may change it but not remove it.
fn names_a_part(path: &[impl AsRef<str>]) -> bool {
    path.len() == 2 && matches!(path[1].as_ref(), "id" | "name") && path[0].as_ref() != "scenario"
}

/// Adds to each of a variant's problems that points at a key written in the baseline (`keys`,
/// of `baseline_keys`), and not at one the variant writes, how a variant changes that key:
/// it cannot leave a key out by editing the baseline, so `leave 'multi_az' out` says
/// `unset = ["db.multi_az"]` too.
pub fn baseline_hints(ck: &mut Checker, keys: &[(usize, String)], decl: &VariantDecl<'_>) {
    let mut diagnostics = std::mem::take(&mut ck.diagnostics);
    for d in &mut diagnostics {
        // A position in another file (a trace's) or from `--set` is no baseline key's.
        if d.line == 0 || d.file != ck.file() {
            continue;
        }
        let at = ck.offset_of(d.line, d.column);
        let Ok(i) = keys.binary_search_by_key(&at, |(o, _)| *o) else {
            continue;
        };
        let path = &keys[i].1;
        let written = |p: &[String]| p.join(".") == *path;
        if decl.overrides.iter().any(|o| written(&o.path))
            || decl.unsets.iter().any(|u| written(&u.path))
        {
            continue;
        }
        let parts: Vec<&str> = path.split('.').collect();
        d.message.push_str(&if names_a_part(&parts) {
            format!(" (\"{path}\" is written in the baseline: a variant changes it with set)")
        } else if let [FAULTS, n, key, ..] = parts[..] {
            // A fault needs what it names: it changes, or the fault goes whole.
            format!(
                " (\"{path}\" is written in the baseline: a variant changes it with set, or removes the whole fault with unset = [\"{FAULTS}.{n}\"]{})",
                if key == "target" { ", as a variant without its target needs" } else { "" }
            )
        } else {
            format!(
                " (\"{path}\" is written in the baseline: a variant removes it with unset = [\"{path}\"] or changes it with set)"
            )
        });
    }
    ck.diagnostics = diagnostics;
}

#[cfg(test)]
mod tests {
    use super::{baseline_values, round_sig};

    #[test]
    fn the_baselines_own_values_are_found_by_the_paths_a_sweep_writes() {
        let text = r#"
[scenario]
duration = "5m"
[[workload]]
name = "users"
arrival = { process = "poisson", rate = 30 }
[[component]]
id = "web"
servers = 4
calls = [ { to = "db", timeout = "2s" } ]
[[fault]]
at = "1m"
for = "30s"
"#;
        let doc = toml::de::DeTable::parse(text).unwrap().into_inner();
        let paths: Vec<String> = [
            "scenario.duration",
            "users.arrival.rate",
            "web.servers",
            "web.calls.0.timeout",
            "web.queue",
            "db.servers",
            "web.calls.3.timeout",
            "fault.0.for",
            "fault.1.for",
        ]
        .iter()
        .map(|p| p.to_string())
        .collect();
        let found = baseline_values(&doc, &paths);
        let got: Vec<(&str, &str, Option<f64>)> = found
            .iter()
            .map(|(p, w, n)| (p.as_str(), w.as_str(), *n))
            .collect();
        // A duration's number is its seconds, as a swept point's is; what the baseline
        // leaves to its default, or names nothing, is not there.
        assert_eq!(
            got,
            [
                ("scenario.duration", "5m", Some(300.0)),
                ("users.arrival.rate", "30", Some(30.0)),
                ("web.servers", "4", Some(4.0)),
                ("web.calls.0.timeout", "2s", Some(2.0)),
                ("fault.0.for", "30s", Some(30.0)),
            ]
        );
    }

    #[test]
    fn a_swept_value_keeps_six_significant_digits_and_never_becomes_nan() {
        assert_eq!(round_sig(1234.5678), 1234.57);
        assert_eq!(round_sig(0.000123456789), 0.000123457);
        // At the ends of the range the scaling overflows: the value is kept as it is, for
        // its key's own check to judge (a log range from 5e-324 made "NaN" here once).
        for v in [5e-324, 1e-310, 1e308, -1e308] {
            assert_eq!(round_sig(v), v);
        }
    }
}
