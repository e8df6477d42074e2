//! Expectations: `[[expect]]` tables that bound a number of `summary.json` by its path
//! (`latency_ms.p99`, `components.db.failover_downtime_s`), judged after a scenario's runs.
//! `archsim run` reports them; `archsim check` fails when one does not hold, for CI.
//!
//! A metric is judged on the pooled value over seeds, as `summary.json` gives it at that path,
//! or with `each_seed = true` on every seed's own value (`per_seed`) alone: one seed outside
//! the bounds fails it, and a count's bounds are one seed's (the pooled count is the sum). A
//! summary without seeds' parts (a run always writes them) is judged on its pooled value
//! either way. A status absent from a `by_status` table (a code, or a word such as `timeout`)
//! counted no request: it is 0. An expectation on a time series (`series = …`, with `from`
//! and `until`) is judged on every window of every seed instead (`window`).

mod window;

pub use window::{seen, split as series_parts, Seen, Window};

use crate::kernel::SimTime;
use crate::metrics::{is_summed, pointer, Summary};
use serde_json::{json, Value};

/// One bound on one number of the summary, or on every window of a series, with where it
/// was written (for messages).
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// The number's dotted path in the summary, or with `window` the series' path
    /// (`components.<id>.<series>`, `workloads.<name>.<series>`).
    pub metric: String,
    /// On a series: the stretch of its windows judged.
    pub window: Option<Window>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Judged on every seed's value rather than the pooled one.
    pub each_seed: bool,
    /// The only variant it is judged on (`variant = "…"`), and where that is written (line,
    /// column); `None`: every variant.
    pub variant: Option<String>,
    pub variant_at: (usize, usize),
    pub line: usize,
    pub column: usize,
    /// The number is a share from 0 to 1, which the run's tables print as a percentage: a
    /// failure shows both.
    pub share: bool,
    /// Bounds relative to another variant's figure (`relative_to`): `min` and `max` are
    /// then the figures the ratios make of it, set when that variant has run.
    pub relative: Option<Relative>,
}

/// An expectation's bounds as ratios of another variant's figure of the same metric
/// (`relative_to = "no-jitter"`, `max = 0.5`: at most half of no-jitter's).
#[derive(Clone, Debug, PartialEq)]
pub struct Relative {
    /// The variant (or "baseline") it is compared with, and where that is written.
    pub to: String,
    pub at: (usize, usize),
    /// The ratios as written.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// That variant's figure, pooled, once judged (`None` before, or when it has none).
    pub of: Option<f64>,
}

impl Relative {
    /// Its fields in an expectation's JSON (summary.json's, `check --json`'s): the variant,
    /// the ratios as written and that variant's figure; `words_of_json` reads them back.
    pub fn put_json(&self, o: &mut Value) {
        o["relative_to"] = json!(self.to);
        o["ratio_min"] = json!(self.min);
        o["ratio_max"] = json!(self.max);
        o["relative_value"] = json!(self.of);
    }
}

/// How an expectation fared.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub expectation: Expectation,
    /// The number judged (with `each_seed`, the first seed's that failed, or when all held
    /// the one nearest a bound); `None` when the path names no number.
    pub value: Option<f64>,
    /// With `each_seed`, the seed whose number `value` is.
    pub seed: Option<u64>,
    /// With `each_seed`: (seed, value) for every seed.
    pub per_seed: Vec<(u64, Option<f64>)>,
    pub pass: bool,
    /// Why it failed, in words.
    pub problem: Option<String>,
}

impl Expectation {
    /// "latency_ms.p99 ≤ 400", "error_rate in [0, 0.01] in every seed",
    /// "components.q.backlog_visible ≤ 10 in every window from 15m".
    pub fn describe(&self) -> String {
        let text = self.words();
        match &self.variant {
            Some(v) => format!("{text} (variant {v})"),
            None => text,
        }
    }

    /// The bound in words, without the variant it is judged on: "latency_ms.p99 ≤ 400",
    /// "error_rate ≤ 0.5 × no-jitter's (0.0123)".
    pub fn words(&self) -> String {
        match &self.relative {
            Some(r) => describe_relative(&self.metric, r, self.judged()),
            None => describe(&self.metric, self.min, self.max, self.judged()),
        }
    }

    /// `words` without what a run measured (a relative bound's reference figure): the same
    /// at every run, as a CI dashboard's test name must be to keep its history.
    pub fn name(&self) -> String {
        match &self.relative {
            Some(r) => bound_relative(&self.metric, r, self.judged(), false),
            None => self.words(),
        }
    }

    /// How it is judged, for its words.
    pub fn judged(&self) -> Judged {
        match (self.window, self.each_seed) {
            (Some(w), _) => Judged::Windows(
                w.from.map(SimTime::as_secs_f64),
                w.until.map(SimTime::as_secs_f64),
            ),
            (None, true) => Judged::EachSeed,
            (None, false) => Judged::Pooled,
        }
    }

    /// Whether it is judged on the variant named `variant` (`None`: a scenario without
    /// variants).
    pub fn applies_to(&self, variant: Option<&str>) -> bool {
        match &self.variant {
            None => true,
            Some(v) => variant == Some(v.as_str()),
        }
    }
}

impl Verdict {
    /// `e` failed on `summary` for `problem`, before its bounds could be judged: its own
    /// number, no seed.
    fn failed(e: &Expectation, summary: &Summary, problem: String) -> Verdict {
        Verdict {
            expectation: e.clone(),
            value: number_at(summary, &e.metric),
            seed: None,
            per_seed: Vec::new(),
            pass: false,
            problem: Some(problem),
        }
    }
}

/// How an expectation is judged: on the pooled number, on each seed's, or on every window
/// of a series (from and until, in seconds, as written).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Judged {
    Pooled,
    EachSeed,
    Windows(Option<f64>, Option<f64>),
}

/// An expectation in words, from its parts (as `summary.json` also lists them).
pub fn describe(metric: &str, min: Option<f64>, max: Option<f64>, judged: Judged) -> String {
    let bound = match (min, max) {
        (Some(lo), Some(hi)) => format!("{metric} in [{lo}, {hi}]"),
        (Some(lo), None) => format!("{metric} ≥ {lo}"),
        (None, Some(hi)) => format!("{metric} ≤ {hi}"),
        (None, None) => metric.to_string(),
    };
    match judged {
        Judged::Pooled => bound,
        Judged::EachSeed => bound + " in every seed",
        Judged::Windows(from, until) => {
            let mut text = bound + " in every window";
            if let Some(f) = from {
                text += &format!(" from {}", when(f));
            }
            if let Some(u) = until {
                text += &format!(" until {}", when(u));
            }
            text
        }
    }
}

/// A relative expectation in words: "error_rate ≤ 0.5 × no-jitter's (0.0123)", "latency_ms.p99
/// in [0.8, 1] × baseline's in every seed" (each seed against its own: no one figure).
pub fn describe_relative(metric: &str, r: &Relative, judged: Judged) -> String {
    bound_relative(metric, r, judged, true)
}

/// `describe_relative`, with the reference's figure when `measured` and one was measured.
fn bound_relative(metric: &str, r: &Relative, judged: Judged, measured: bool) -> String {
    let of = match (judged, r.of) {
        (Judged::Pooled, Some(of)) if measured => format!(" ({})", figure(of)),
        _ => String::new(),
    };
    let bound = match (r.min, r.max) {
        (Some(lo), Some(hi)) => format!("{metric} in [{lo}, {hi}] × {}'s{of}", r.to),
        (Some(lo), None) => format!("{metric} ≥ {lo} × {}'s{of}", r.to),
        (None, Some(hi)) => format!("{metric} ≤ {hi} × {}'s{of}", r.to),
        (None, None) => metric.to_string(),
    };
    match judged {
        Judged::EachSeed => bound + " in every seed, against its own seed",
        _ => bound,
    }
}

/// A time [s from the start of the run] as a duration is written: "15m", "1h 30m", "2.5s"
/// as "2s 500ms".
pub(crate) fn when(secs: f64) -> String {
    let t = SimTime::from_secs_f64(secs);
    humantime::format_duration(std::time::Duration::from_nanos(t.0)).to_string()
}

/// Judges every expectation against a scenario's summary, or one on a series against what
/// each seed's windows showed (`seen[i]` for `expectations[i]`, in seed order).
pub fn evaluate(
    expectations: &[Expectation],
    summary: &Summary,
    seen: &[Vec<Seen>],
) -> Vec<Verdict> {
    expectations
        .iter()
        .enumerate()
        .map(|(i, e)| match (e.window, &e.relative) {
            (Some(_), _) => window::judge(e, seen.get(i).map_or(&[][..], Vec::as_slice)),
            // Judged once the other variant has run (`judge_relative`); until then, failed.
            (None, Some(r)) => Verdict::failed(
                e,
                summary,
                format!("not judged: variant \"{}\" did not run", r.to),
            ),
            (None, None) => judge(e, summary),
        })
        .collect()
}

/// Judges `e`, an expectation relative to another variant, on `summary` against `other`,
/// that variant's summary: its bounds are the ratios of the other's pooled figure, or with
/// `each_seed` each seed's ratios of the other's same seed (the same traffic: common random
/// numbers), so that a variant is compared seed by seed with what it changed.
pub fn judge_relative(e: &Expectation, summary: &Summary, other: &Summary) -> Verdict {
    let Some(r) = &e.relative else {
        return judge(e, summary);
    };
    let of = number_at(other, &e.metric);
    let resolved = |of: f64| Expectation {
        min: r.min.map(|x| x * of),
        max: r.max.map(|x| x * of),
        relative: Some(Relative {
            of: Some(of),
            ..r.clone()
        }),
        ..e.clone()
    };
    let missing = |what: &str, at: &Summary| {
        format!(
            "variant \"{}\"'s `{}`{what} {}",
            r.to,
            e.metric,
            not_a_number(at, &e.metric)
        )
    };
    // Below zero a ratio turns its bounds round (a sentinel such as -1 for "never").
    let negative = |what: &str, of: f64| {
        format!(
            "variant \"{}\"'s `{}`{what} is {}, below zero: a ratio of it bounds nothing",
            r.to,
            e.metric,
            figure(of)
        )
    };
    let seeds = summary["per_seed"].as_array().filter(|s| !s.is_empty());
    if let (true, Some(seeds)) = (e.each_seed, seeds) {
        let others = other["per_seed"].as_array().cloned().unwrap_or_default();
        return judge_seeds(e, seeds, |seed| {
            let theirs = others.iter().find(|o| o["seed"].as_u64() == Some(seed));
            match (theirs, theirs.and_then(|o| number_at(o, &e.metric))) {
                (None, _) => Err(format!("variant \"{}\" has no seed {seed}", r.to)),
                (Some(o), None) => Err(missing(&format!(" in seed {seed}"), o)),
                (_, Some(of)) if of < 0.0 => Err(negative(&format!(" in seed {seed}"), of)),
                (_, Some(of)) => Ok((
                    resolved(of),
                    format!(", {} × {}'s {}", ratio_words(r), r.to, figure(of)),
                )),
            }
        });
    }
    match of {
        Some(of) if of < 0.0 => Verdict::failed(e, summary, negative("", of)),
        // The figure multiplied is in the expectation's words ("≤ 0.5 × baseline's (94.77)");
        // a failure says the ratio reached, which is what the bound is written in.
        Some(of) => {
            let x = resolved(of);
            let mut v = judge(&x, summary);
            if let (Some(problem), Some(value)) = (v.problem.as_mut(), v.value) {
                problem.push_str(&ratio_reached(&x, value));
            }
            v
        }
        None => Verdict::failed(e, summary, missing("", other)),
    }
}

/// Another variant's figure, as a bound made of it is told: four significant digits.
fn figure(v: f64) -> String {
    crate::text::trim_zeros(&crate::text::significant(v, 4)).to_string()
}

/// A failed relative bound's ratio reached, for its message (": 0.6 × wcu-400's"); nothing
/// for a bound of no reference above zero.
fn ratio_reached(x: &Expectation, value: f64) -> String {
    match &x.relative {
        Some(r @ Relative { of: Some(of), .. }) if *of > 0.0 && value.is_finite() => {
            let crossed = [r.min, r.max].into_iter().flatten();
            format!(": {} × {}'s", ratio_figure(value / of, crossed), r.to)
        }
        _ => String::new(),
    }
}

/// A ratio reached, in as many significant digits (four at least) as tell it from each
/// `bound` it is not equal to: 0.500003 against a bound of 0.5 is not "0.5".
fn ratio_figure(ratio: f64, bounds: impl Iterator<Item = f64> + Clone) -> String {
    let at =
        |digits: i32| crate::text::trim_zeros(&crate::text::significant(ratio, digits)).to_string();
    (4..=12)
        .map(at)
        .find(|text| {
            bounds
                .clone()
                .all(|b| b == ratio || text.parse::<f64>().ok().is_none_or(|t| t != b))
        })
        .unwrap_or_else(|| at(12))
}

/// The ratio a failure crossed, in words: "0.5", "0.8 to 1".
fn ratio_words(r: &Relative) -> String {
    match (r.min, r.max) {
        (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
        (Some(x), None) | (None, Some(x)) => x.to_string(),
        (None, None) => String::new(),
    }
}

fn judge(e: &Expectation, summary: &Summary) -> Verdict {
    // A count pooled over several seeds is their sum: its failure says so, or it reads as a
    // contradiction of the "per seed" figures printed beside it.
    let seeds_run = summary["seeds"].as_array().map_or(0, Vec::len);
    let summed = seeds_run > 1 && pointer(summary, &e.metric).is_some_and(is_summed);
    let pooled = if summed {
        format!(", the sum of {seeds_run} seeds,")
    } else {
        String::new()
    };
    let (value, problem) = judge_in(e, summary, &pooled);
    let seeds = summary["per_seed"].as_array().filter(|s| !s.is_empty());
    if let (true, Some(seeds)) = (e.each_seed, seeds) {
        // The seeds alone are judged: a pooled count is their sum (it grows with the number
        // of seeds), so the bounds of one seed's count would not hold it; a pooled rate or
        // percentile lies among the seeds' when they all hold.
        return judge_seeds(e, seeds, |_| Ok((e.clone(), String::new())));
    }
    Verdict {
        expectation: e.clone(),
        value,
        seed: None,
        per_seed: Vec::new(),
        pass: problem.is_none(),
        problem,
    }
}

/// Judges each of `seeds` (a summary's `per_seed` parts) alone: `bounds(seed)` gives the
/// expectation that seed is held to and what its failure says after it (another variant's
/// figure for that seed), or why it cannot be judged. The first seed that fails stands for
/// them; when all held, the one that came nearest to a bound (the pooled number would say
/// nothing of the seeds).
fn judge_seeds(
    e: &Expectation,
    seeds: &[Value],
    bounds: impl Fn(u64) -> Result<(Expectation, String), String>,
) -> Verdict {
    let mut verdict = Verdict {
        expectation: e.clone(),
        value: None,
        seed: None,
        per_seed: Vec::new(),
        pass: true,
        problem: None,
    };
    let mut nearest: Option<(f64, u64, f64)> = None;
    for part in seeds {
        let seed = part["seed"].as_u64().unwrap_or(0);
        let (x, after) = match bounds(seed) {
            Ok(b) => b,
            Err(why) => {
                verdict.per_seed.push((seed, number_at(part, &e.metric)));
                if verdict.problem.is_none() {
                    (verdict.problem, verdict.seed) = (Some(why), Some(seed));
                }
                continue;
            }
        };
        let (v, p) = judge_in(&x, part, "");
        verdict.per_seed.push((seed, v));
        match (p, v) {
            (Some(p), _) => {
                if verdict.problem.is_none() {
                    let ratio = v.map_or(String::new(), |v| ratio_reached(&x, v));
                    verdict.problem = Some(format!("seed {seed}: {p}{after}{ratio}"));
                    (verdict.value, verdict.seed) = (v, Some(seed));
                }
            }
            (None, Some(v)) => {
                let below = x.max.map_or(f64::INFINITY, |hi| hi - v);
                let above = x.min.map_or(f64::INFINITY, |lo| v - lo);
                let margin = below.min(above);
                if nearest.is_none_or(|(m, _, _)| margin < m) {
                    nearest = Some((margin, seed, v));
                }
            }
            (None, None) => {}
        }
    }
    verdict.pass = verdict.problem.is_none();
    if let (true, Some((_, seed, v))) = (verdict.pass, nearest) {
        (verdict.value, verdict.seed) = (Some(v), Some(seed));
    }
    verdict
}

/// The number at `metric` (a dotted path) in a summary or one seed's part of it: a status
/// (a code or one of `status::WORDS`) absent from a `by_status` table counted no request (0);
/// `None` when there is no number.
pub fn number_at(summary: &Summary, metric: &str) -> Option<f64> {
    match pointer(summary, metric) {
        Some(v) => v.as_f64(),
        None if absent_status(summary, metric) => Some(0.0),
        None => None,
    }
}

/// The number at the expectation's path in `summary` (or one seed's part of it), and why it
/// fails, if it does, with `what` said of the number after it (", the sum of 3 seeds,").
fn judge_in(e: &Expectation, summary: &Summary, what: &str) -> (Option<f64>, Option<String>) {
    let value = number_at(summary, &e.metric);
    let problem = match value {
        None => Some(not_a_number(summary, &e.metric)),
        Some(v) if e.min.is_some_and(|lo| v < lo) => {
            let lo = e.min.unwrap_or(0.0);
            let (v, lo) = e.shown(v, lo);
            Some(format!("{v}{what} is below {lo}"))
        }
        Some(v) if e.max.is_some_and(|hi| v > hi) => {
            let hi = e.max.unwrap_or(0.0);
            let (v, hi) = e.shown(v, hi);
            Some(format!("{v}{what} is above {hi}"))
        }
        Some(_) => None,
    };
    (value, problem)
}

/// `v`, a value on one side of `bound`, in as few significant digits as still show it there
/// (four at least): 0.6776 for 0.6776166424000001, 0.10000004 above 0.1.
impl Expectation {
    /// A number and the bound it crossed, as a failure says them: with enough digits to
    /// show which side it is on (`beside`), a share's percentages beside ("0.3746 (37.46 %)",
    /// "0.01 (1 %)") as the run's tables print it.
    pub(crate) fn shown(&self, v: f64, bound: f64) -> (String, String) {
        let text = beside(v, bound);
        // A bound made of another variant's figure has as many digits as tell it from the
        // value, not the product's seventeen.
        let relative = self.relative.is_some();
        let b = if relative {
            beside(bound, v)
        } else {
            bound.to_string()
        };
        if !self.share {
            return (text, b);
        }
        let percent = if relative {
            beside(100.0 * bound, 100.0 * v)
        } else {
            crate::text::trim_zeros(&format!("{:.4}", 100.0 * bound)).to_string()
        };
        (
            format!("{text} ({} %)", beside(100.0 * v, 100.0 * bound)),
            format!("{b} ({percent} %)"),
        )
    }
}

fn beside(v: f64, bound: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return v.to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    for digits in 4..=17 {
        let decimals = (digits - 1 - magnitude).max(0) as usize;
        let text = format!("{v:.decimals$}");
        let shown: f64 = text.parse().unwrap_or(v);
        if (shown - bound).signum() == (v - bound).signum() && shown != bound {
            return crate::text::trim_zeros(&text).to_string();
        }
    }
    v.to_string()
}

/// Whether `path` is a status missing from a `by_status` table that exists.
fn absent_status(summary: &Summary, path: &str) -> bool {
    match path.rsplit_once('.') {
        Some((table, status)) => {
            table.ends_with("by_status")
                && crate::status::is_name(status)
                && pointer(summary, table).is_some_and(Value::is_object)
        }
        None => false,
    }
}

/// Says how far `path` goes in the summary and what is there instead.
pub fn not_a_number(summary: &Summary, path: &str) -> String {
    let mut node = summary;
    let mut walked = Vec::new();
    for key in path.split('.') {
        match node.get(key) {
            Some(next) => {
                node = next;
                walked.push(key);
            }
            None => {
                let here = if walked.is_empty() {
                    "summary.json".to_string()
                } else {
                    format!("`{}`", walked.join("."))
                };
                return match node.as_object() {
                    Some(map) => format!(
                        "names nothing in summary.json: {here} has no `{key}`; it has {}",
                        map.keys()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => format!("names nothing in summary.json: {here} is not a table"),
                };
            }
        }
    }
    if node.is_null() {
        "is empty in this run (nothing was measured)".into()
    } else {
        "names a table or a text in summary.json, not a number".into()
    }
}

/// An expectation of `summary.json`'s list (`to_json`) in words: "latency_ms.p99 ≤ 400".
pub fn words_of_json(e: &Value) -> String {
    let judged = match e.get("series") {
        Some(_) => Judged::Windows(e["from_s"].as_f64(), e["until_s"].as_f64()),
        None if e["each_seed"].as_bool() == Some(true) => Judged::EachSeed,
        None => Judged::Pooled,
    };
    let path = e["metric"].as_str().or(e["series"].as_str()).unwrap_or("?");
    if let Some(to) = e["relative_to"].as_str() {
        let r = Relative {
            to: to.to_string(),
            at: (0, 0),
            min: e["ratio_min"].as_f64(),
            max: e["ratio_max"].as_f64(),
            of: e["relative_value"].as_f64(),
        };
        return describe_relative(path, &r, judged);
    }
    describe(path, e["min"].as_f64(), e["max"].as_f64(), judged)
}

/// The verdicts as `summary.json` lists them under `expectations`.
pub fn to_json(verdicts: &[Verdict]) -> Value {
    Value::Array(
        verdicts
            .iter()
            .map(|v| {
                let e = &v.expectation;
                // A series is no number of the summary: it is listed under `series` (with its
                // stretch as written, `null` for the warmup's end and the run's), so that
                // what reads `metric` as a summary path (a slide's figures) passes it by.
                let mut o = match e.window {
                    None => json!({
                        "metric": e.metric,
                        "min": e.min,
                        "max": e.max,
                        "each_seed": e.each_seed,
                        "value": v.value,
                        "pass": v.pass,
                        "problem": v.problem,
                    }),
                    Some(w) => json!({
                        "series": e.metric,
                        "from_s": w.from.map(SimTime::as_secs_f64),
                        "until_s": w.until.map(SimTime::as_secs_f64),
                        "min": e.min,
                        "max": e.max,
                        "value": v.value,
                        "pass": v.pass,
                        "problem": v.problem,
                    }),
                };
                if let Some(seed) = v.seed {
                    o["seed"] = json!(seed);
                }
                if let Some(variant) = &v.expectation.variant {
                    o["variant"] = json!(variant);
                }
                // `min` and `max` are the figures judged; the ratios written and the other
                // variant's figure beside them.
                if let Some(r) = &v.expectation.relative {
                    r.put_json(&mut o);
                }
                if v.expectation.each_seed || v.expectation.window.is_some() {
                    o["per_seed"] = v
                        .per_seed
                        .iter()
                        .map(|(seed, x)| json!({ "seed": seed, "value": x }))
                        .collect();
                }
                o
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An expectation on `metric` (a number of the summary) with these bounds, written at
    /// 1:1; `window` tests set its window.
    pub(super) fn exp(metric: &str, min: Option<f64>, max: Option<f64>) -> Expectation {
        Expectation {
            metric: metric.into(),
            window: None,
            min,
            max,
            each_seed: false,
            variant: None,
            variant_at: (1, 1),
            line: 1,
            column: 1,
            share: false,
            relative: None,
        }
    }

    fn summary() -> Summary {
        json!({
            "latency_ms": { "p99": 180.0, "mean": null },
            "requests": { "by_status": { "200": 990, "503": 10 } },
            "components": { "db": { "failover_downtime_s": 74.2 } },
        })
    }

    /// A summary of three seeds' p99s, pooled as `pooled`.
    fn seeds(pooled: f64, per_seed: [f64; 3]) -> Summary {
        json!({
            "latency_ms": { "p99": pooled },
            "seeds": [1, 2, 3],
            "per_seed": per_seed
                .iter()
                .enumerate()
                .map(|(i, v)| json!({ "seed": i + 1, "latency_ms": { "p99": v } }))
                .collect::<Vec<_>>(),
        })
    }

    /// "latency_ms.p99 at most `max` × baseline's", pooled or each seed against its own.
    fn relative(max: f64, each_seed: bool) -> Expectation {
        Expectation {
            each_seed,
            variant: Some("two".into()),
            relative: Some(Relative {
                to: "baseline".into(),
                at: (1, 1),
                min: None,
                max: Some(max),
                of: None,
            }),
            ..exp("latency_ms.p99", None, None)
        }
    }

    #[test]
    fn a_relative_bound_is_the_ratio_of_the_other_figure_pooled_or_seed_by_seed() {
        // Pooled, 40 against 100 holds at most half; seed by seed, seed 2 (45 against its
        // own 80) does not, though every seed is under half the pooled 100.
        let two = seeds(40.0, [30.0, 45.0, 44.0]);
        let base = seeds(100.0, [120.0, 80.0, 100.0]);
        let pooled = judge_relative(&relative(0.5, false), &two, &base);
        assert!(pooled.pass, "{pooled:?}");
        // Failed, it says the ratio reached, the bound's own terms.
        let over = judge_relative(&relative(0.3, false), &two, &base);
        assert_eq!(
            over.problem.as_deref(),
            Some("40 is above 30: 0.4 × baseline's")
        );
        assert_eq!(pooled.expectation.max, Some(50.0));
        assert_eq!(
            pooled.expectation.relative.as_ref().unwrap().of,
            Some(100.0)
        );
        assert_eq!(
            pooled.expectation.describe(),
            "latency_ms.p99 ≤ 0.5 × baseline's (100) (variant two)"
        );
        let paired = judge_relative(&relative(0.5, true), &two, &base);
        assert!(!paired.pass);
        assert_eq!(paired.seed, Some(2));
        assert_eq!(
            paired.problem.as_deref(),
            Some("seed 2: 45 is above 40, 0.5 × baseline's 80: 0.5625 × baseline's")
        );
        // A figure the other has not, and one below zero (a sentinel), judge nothing.
        let none = judge_relative(&relative(0.5, false), &two, &json!({ "latency_ms": {} }));
        assert!(
            !none.pass
                && none
                    .problem
                    .unwrap()
                    .contains("variant \"baseline\"'s `latency_ms.p99`")
        );
        let negative = judge_relative(&relative(0.5, false), &two, &seeds(-1.0, [-1.0; 3]));
        assert!(!negative.pass);
        assert!(negative
            .problem
            .unwrap()
            .contains("below zero: a ratio of it bounds nothing"));
        let negative = judge_relative(&relative(0.5, true), &two, &seeds(-1.0, [-1.0; 3]));
        assert!(negative
            .problem
            .unwrap()
            .contains("in seed 1 is -1, below zero"));
        // A bound near its value shows as many digits as tell them apart.
        let near = judge_relative(&relative(0.5, false), &seeds(50.0003, [0.0; 3]), &base);
        assert_eq!(
            near.problem.as_deref(),
            Some("50.0003 is above 50: 0.500003 × baseline's")
        );
    }

    #[test]
    fn bounds_are_inclusive_and_either_side_may_be_open() {
        let s = summary();
        let pass = |e| evaluate(&[e], &s, &[])[0].pass;
        assert!(pass(exp("latency_ms.p99", None, Some(180.0))));
        assert!(!pass(exp("latency_ms.p99", None, Some(179.9))));
        assert!(pass(exp("latency_ms.p99", Some(180.0), None)));
        assert!(!pass(exp("latency_ms.p99", Some(180.1), None)));
        assert!(pass(exp(
            "components.db.failover_downtime_s",
            Some(60.0),
            Some(120.0)
        )));
        assert!(!pass(exp(
            "components.db.failover_downtime_s",
            Some(80.0),
            Some(120.0)
        )));
    }

    #[test]
    fn a_pooled_count_that_fails_says_it_is_the_sum_of_the_seeds() {
        // The terminal prints "503: 1292 per seed" beside it: the bare 3875 would read as
        // a contradiction. A rate or percentile pooled over seeds is no sum; nor is one seed.
        let s = json!({
            "seeds": [1, 2, 3],
            "latency_ms": { "p99": 180.0 },
            "requests": { "by_status": { "503": 3875 } },
        });
        let v = &evaluate(&[exp("requests.by_status.503", None, Some(1.0))], &s, &[])[0];
        assert_eq!(
            v.problem.as_deref(),
            Some("3875, the sum of 3 seeds, is above 1")
        );
        let v = &evaluate(&[exp("latency_ms.p99", Some(200.0), None)], &s, &[])[0];
        assert_eq!(v.problem.as_deref(), Some("180 is below 200"));
        let one = json!({ "seeds": [1], "requests": { "by_status": { "503": 3875 } } });
        let v = &evaluate(&[exp("requests.by_status.503", None, Some(1.0))], &one, &[])[0];
        assert_eq!(v.problem.as_deref(), Some("3875 is above 1"));
    }

    #[test]
    fn a_share_that_fails_shows_its_percentage_beside() {
        // error_rate 0.3746 against `max = 0.01`: the terminal's tables say 37.46 %.
        let e = Expectation {
            share: true,
            relative: None,
            ..exp("error_rate", None, Some(0.01))
        };
        let v = judge(&e, &json!({ "error_rate": 0.3746 }));
        assert_eq!(
            v.problem.as_deref(),
            Some("0.3746 (37.46 %) is above 0.01 (1 %)")
        );
        let e = Expectation {
            share: true,
            relative: None,
            ..exp("error_rate", Some(0.999), None)
        };
        let v = judge(&e, &json!({ "error_rate": 0.99875 }));
        assert_eq!(
            v.problem.as_deref(),
            Some("0.9988 (99.88 %) is below 0.999 (99.9 %)")
        );
    }

    #[test]
    fn each_seed_fails_on_one_seed_outside_while_the_pooled_value_is_inside() {
        let s = json!({
            "latency_ms": { "p99": 100.0 },
            "per_seed": [
                { "seed": 7, "latency_ms": { "p99": 90.0 } },
                { "seed": 8, "latency_ms": { "p99": 130.0 } },
            ],
        });
        let mut e = exp("latency_ms.p99", None, Some(120.0));
        assert!(evaluate(std::slice::from_ref(&e), &s, &[])[0].pass);
        e.each_seed = true;
        let v = &evaluate(&[e], &s, &[])[0];
        assert!(!v.pass);
        assert_eq!(v.value, Some(130.0));
        assert_eq!(v.per_seed, vec![(7, Some(90.0)), (8, Some(130.0))]);
        assert_eq!(v.problem.as_deref(), Some("seed 8: 130 is above 120"));
    }

    #[test]
    fn a_value_is_shown_in_the_digits_that_put_it_beside_its_bound() {
        assert_eq!(beside(0.6776166424000001, 0.1), "0.6776");
        assert_eq!(beside(352.321535, 10.0), "352.3");
        assert_eq!(beside(0.10000004, 0.1), "0.10000004");
        assert_eq!(beside(0.09999999, 0.1), "0.09999999");
        assert_eq!(beside(1234567.8, 100.0), "1234568");
        assert_eq!(beside(-0.5, 0.0), "-0.5");
    }

    #[test]
    fn each_seed_bounds_one_seed_s_count_not_the_pooled_sum() {
        // Three seeds of 1 split each: the pooled count is 3, judged on each seed it is 1.
        let s = json!({
            "components": { "t": { "keys_split_off": 3 } },
            "per_seed": [
                { "seed": 1, "components": { "t": { "keys_split_off": 1 } } },
                { "seed": 2, "components": { "t": { "keys_split_off": 1 } } },
                { "seed": 3, "components": { "t": { "keys_split_off": 1 } } },
            ],
        });
        let mut e = exp("components.t.keys_split_off", Some(1.0), Some(1.0));
        assert!(!evaluate(std::slice::from_ref(&e), &s, &[])[0].pass);
        e.each_seed = true;
        let v = &evaluate(std::slice::from_ref(&e), &s, &[])[0];
        assert!(v.pass, "{:?}", v.problem);
        assert_eq!(v.value, Some(1.0));
        // A seed without the number still fails it.
        let s = json!({
            "components": { "t": { "keys_split_off": 1 } },
            "per_seed": [ { "seed": 1, "components": { "t": {} } } ],
        });
        assert!(!evaluate(&[e], &s, &[])[0].pass);
    }

    #[test]
    fn each_seed_when_all_hold_gives_the_seed_nearest_a_bound() {
        let s = json!({
            "error_rate": 0.02,
            "per_seed": [
                { "seed": 1, "error_rate": 0.015 },
                { "seed": 2, "error_rate": 0.028 },
                { "seed": 3, "error_rate": 0.011 },
            ],
        });
        let judged = |min, max| {
            let mut e = exp("error_rate", min, max);
            e.each_seed = true;
            let v = evaluate(&[e], &s, &[]).remove(0);
            assert!(v.pass);
            (v.seed, v.value)
        };
        // Not the pooled 0.02: the highest under a ceiling, the lowest over a floor, and
        // between two bounds the one closest to either.
        assert_eq!(judged(None, Some(0.03)), (Some(2), Some(0.028)));
        assert_eq!(judged(Some(0.01), None), (Some(3), Some(0.011)));
        assert_eq!(judged(Some(0.0), Some(0.029)), (Some(2), Some(0.028)));
        assert_eq!(judged(Some(0.0105), Some(0.04)), (Some(3), Some(0.011)));
    }

    #[test]
    fn an_absent_status_counted_nothing() {
        // A status code, or an ending without one (no request timed out).
        for path in ["requests.by_status.429", "requests.by_status.timeout"] {
            let v = &evaluate(&[exp(path, None, Some(0.0))], &summary(), &[])[0];
            assert_eq!((v.value, v.pass), (Some(0.0), true), "{path}");
        }
    }

    #[test]
    fn a_path_to_nothing_fails_and_says_what_is_there() {
        let v = &evaluate(&[exp("latency_ms.p100", None, Some(1.0))], &summary(), &[])[0];
        assert!(!v.pass);
        let p = v.problem.as_deref().unwrap();
        assert!(
            p.contains("`latency_ms` has no `p100`") && p.contains("`p99`"),
            "{p}"
        );
        let v = &evaluate(&[exp("components.db", None, Some(1.0))], &summary(), &[])[0];
        assert!(v.problem.as_deref().unwrap().contains("not a number"));
        // A null (nothing measured) fails rather than passing silently.
        let v = &evaluate(&[exp("latency_ms.mean", None, Some(1.0))], &summary(), &[])[0];
        assert!(!v.pass);
    }
}
