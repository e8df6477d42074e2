//! `archsim diff`: two results folders of the same scenarios compared, headline by headline
//! (and on the scenario's own `compare_metrics` that both folders' summaries list), in words
//! for the terminal and as JSON.
//!
//! A diff makes many comparisons at once (each scenario and variant, each headline), and a
//! CI job fails it when any one moved: at 95 % each, a sweep of 8 variants × 5 headlines
//! would fail by chance most of the time. The intervals are Bonferroni's: each at
//! 1 − 0.05 / m for the m comparisons of the diff that have one, so that all of them hold
//! together at 95 % (the family-wise error of the whole diff is at most 5 %).

use crate::metrics::compare::{judged, latency_compared, Difference, OneSided, HEADLINES};
use serde_json::{json, Value};

/// The confidence at which all the intervals of one diff hold together.
pub const FAMILY_CONFIDENCE: f64 = 0.95;

/// How a diff's intervals were widened for their number (Bonferroni's correction).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Family {
    /// The comparisons with an interval, over every run and headline of the diff.
    pub comparisons: usize,
    /// The confidence of each interval shown: 1 − 0.05 / `comparisons`.
    pub confidence: f64,
}

impl Family {
    /// The line that opens the comparison: how many were made and at what confidence each.
    pub fn header(&self) -> String {
        let which = match self.comparisons {
            0 => "diff: no interval (one seed on a side): any change counts as a move\n".into(),
            1 => "diff: 1 comparison with an interval, at 95 %\n".into(),
            m => format!(
                "diff: {m} comparisons with an interval, each at {} % so that all {m} hold together at {} % (Bonferroni)\n",
                percent(self.confidence),
                percent(FAMILY_CONFIDENCE)
            ),
        };
        // The figures are means over seeds of each seed's own value: a seed's p99 is of its
        // own requests, so it can differ a little from the pooled p99 `run` prints.
        if self.comparisons == 0 {
            return which;
        }
        format!("{which}diff: each figure is the mean of the seeds' own values (a seed's p99 is of its own requests, not the pooled p99 `archsim run` prints)\n")
    }
}

/// A confidence as a percentage, with its share left out to three significant digits
/// (99.875, 98.333, 95).
fn percent(confidence: f64) -> String {
    let out = 100.0 * (1.0 - confidence);
    let decimals = (2 - out.log10().floor() as i32).clamp(0, 9) as usize;
    crate::text::trim_zeros(&format!("{:.decimals$}", 100.0 * confidence)).to_string()
}

/// Widens every interval of a diff so that they hold together at `FAMILY_CONFIDENCE`: each
/// at 1 − 0.05 / m for the m differences that have an interval (those without one, of a
/// single seed, move at any change and take no part).
pub fn correct(compared: &mut [Compared]) -> Family {
    let m = compared
        .iter()
        .flat_map(|c| &c.differences)
        .filter(|d| d.lo.is_finite() && d.hi.is_finite())
        .count();
    let confidence = 1.0 - (1.0 - FAMILY_CONFIDENCE) / m.max(1) as f64;
    for c in compared.iter_mut() {
        for d in &mut c.differences {
            *d = d.at_confidence(confidence);
        }
    }
    Family {
        comparisons: m,
        confidence,
    }
}

/// One scenario (or variant) found in both folders, and its headline differences `b − a`,
/// their intervals as `correct` widened them.
pub struct Compared {
    pub scenario: String,
    pub variant: Option<String>,
    pub differences: Vec<Difference>,
    /// What makes the two runs' figures less alike than their names say (`cautions`).
    pub cautions: Vec<String>,
    /// The latency its headline p50 and p99 are of, on both sides (`latency_compared`: what
    /// its users wait for, where its summaries name one); `None`: its clients'.
    pub latency: Option<String>,
    /// The numbers compared that one side has and the other has on no seed: each a move.
    pub one_sided: Vec<OneSided>,
}

/// What a reader of a comparison of summaries `a` (before) and `b` (after) must know beside
/// its figures: seeds of one side left out for want of a pair (when `differences` were
/// paired), measured periods of other lengths (a cost, a count, is of its period), costs
/// that leave out other parts, and other `--set` overrides.
pub fn cautions(a: &Value, b: &Value, differences: &[Difference]) -> Vec<String> {
    let mut out = Vec::new();
    let met = crate::metrics::compare::seeds_in_common(a, b);
    let (common, left_a, left_b) = (met.common, met.only_a, met.only_b);
    if differences.iter().any(|d| d.paired) && left_a + left_b > 0 {
        let side = |n: usize, which: &str| match n {
            0 => None,
            1 => Some(format!("1 seed of the {which} folder")),
            n => Some(format!("{n} seeds of the {which} folder")),
        };
        let left: Vec<String> = [side(left_a, "first"), side(left_b, "second")]
            .into_iter()
            .flatten()
            .collect();
        let both = match common {
            1 => "the 1 seed both ran".to_string(),
            n => format!("the {n} seeds both ran"),
        };
        out.push(format!(
            "paired on {both}: {} left out, so a figure is not that folder's whole result",
            left.join(" and ")
        ));
    }
    let period = |s: &Value| {
        let d = s["duration_s"].as_f64().unwrap_or(f64::NAN);
        let w = s["warmup_s"].as_f64().unwrap_or(0.0);
        d - w
    };
    let (pa, pb) = (period(a), period(b));
    if pa.is_finite() && pb.is_finite() && (pa - pb).abs() > 1e-9 {
        out.push(format!(
            "measured periods differ ({} s → {} s): a cost or a count is of its period, so theirs differ for that alone",
            num(pa),
            num(pb)
        ));
    }
    let (ua, ub) = (super::unpriced(a), super::unpriced(b));
    let only = |x: &[String], y: &[String]| -> Vec<String> {
        x.iter().filter(|p| !y.contains(p)).cloned().collect()
    };
    for (parts, when) in [
        (only(&ua, &ub), "before, not after"),
        (only(&ub, &ua), "after, not before"),
    ] {
        if !parts.is_empty() {
            out.push(format!(
                "the cost leaves out {} {when}: not priced",
                parts.join(", ")
            ));
        }
    }
    let (ja, jb) = (judged(a), judged(b));
    if ja != jb {
        let of = |j: Option<&str>| {
            j.map_or_else(
                || "its clients'".to_string(),
                |j| super::judged_name(j).into_owned(),
            )
        };
        out.push(format!(
            "the latency judged changed ({} before, {} after): p50 and p99 compared at {}, which both have",
            of(ja),
            of(jb),
            of(latency_compared(a, b).as_deref())
        ));
    }
    // A seed of both whose figure one side lacks (no value there) takes no part in its pair.
    let common = met.common;
    for d in differences.iter().filter(|d| d.paired && d.n < common) {
        out.push(format!(
            "{} paired on {} of the {common} seeds both ran: the others have no value on a side",
            short(&d.metric),
            d.n
        ));
    }
    if a["overrides"] != b["overrides"] {
        let list = |s: &Value| -> String {
            match s["overrides"].as_array() {
                Some(l) if !l.is_empty() => l
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => "none".into(),
            }
        };
        out.push(format!(
            "run with other --set overrides: {} before, {} after",
            crate::text::one_line(&list(a)),
            crate::text::one_line(&list(b))
        ));
    }
    out
}

impl Compared {
    pub fn name(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{v}", self.scenario),
            None => self.scenario.clone(),
        }
    }

    /// Whether a number it compares moved: a difference's interval leaves zero out, or one
    /// side has a number the other has on no seed.
    pub fn moved(&self) -> bool {
        !self.one_sided.is_empty() || self.differences.iter().any(Difference::moved)
    }

    /// A headline in words for the table of a run that moved: a latency's quantile as what
    /// it is of, where the run is judged by another latency than its clients'.
    fn words<'a>(&self, metric: &'a str) -> std::borrow::Cow<'a, str> {
        let quantile = HEADLINES
            .iter()
            .any(|(m, _, _)| *m == metric)
            .then(|| metric.strip_prefix("latency_ms."))
            .flatten();
        match (quantile, &self.latency) {
            (Some(q), Some(path)) => super::judged_quantile(q, path).into(),
            _ => words(metric),
        }
    }
}

/// A headline in a word or two, for the one line a run that did not move gets (a scenario's
/// own number by its path, printable).
fn short(metric: &str) -> std::borrow::Cow<'_, str> {
    match metric {
        "latency_ms.p50" => "p50 ms".into(),
        "latency_ms.p99" => "p99 ms".into(),
        "error_rate" => "errors %".into(),
        "throughput_rps" => "req/s".into(),
        "cost_usd.total" => "$/seed".into(),
        m => crate::text::one_line(m),
    }
}

/// How a difference was drawn: seeds paired, or two independent samples (Welch's interval).
fn how(d: &Difference) -> String {
    match (d.paired, d.n) {
        (true, 1) => "1 seed paired, no interval".into(),
        (true, n) => format!("{n} seeds paired"),
        (false, _) => "seeds unpaired: Welch's interval".into(),
    }
}

fn words(metric: &str) -> std::borrow::Cow<'_, str> {
    if metric == "error_rate" {
        return "error rate [%]".into();
    }
    HEADLINES
        .iter()
        .find(|(m, _, _)| *m == metric)
        .map_or_else(|| crate::text::one_line(metric), |(_, w, _)| (*w).into())
}

/// The factor a metric is shown at: the error rate in percent, as the experiment's tables
/// and the pages show it (`diff.json` keeps the summary's fraction).
fn shown_at(metric: &str) -> f64 {
    if metric == "error_rate" {
        100.0
    } else {
        1.0
    }
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x == 0.0 || x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        // Four significant digits: small changes of small numbers (error rates, costs) show.
        super::significant(x, 4)
    }
}

/// The comparison in words: how many comparisons at what confidence, each scenario, and for
/// those that moved, each headline.
pub fn terminal(
    compared: &[Compared],
    family: &Family,
    only_a: &[String],
    only_b: &[String],
) -> String {
    let mut out = family.header();
    let level = percent(family.confidence);
    for c in compared {
        if !c.moved() {
            // What was checked, on one line: each headline before → after and the interval
            // of the difference, Δ = after − before.
            let mut hows: Vec<String> = c.differences.iter().map(how).collect();
            hows.dedup();
            hows.extend(
                c.latency
                    .as_deref()
                    .map(|l| format!("latencies of {}", super::judged_name(l))),
            );
            // With the scenario's own numbers among them, more than the headlines held.
            let own = c
                .differences
                .iter()
                .any(|d| !HEADLINES.iter().any(|(m, _, _)| *m == d.metric));
            out.push_str(&format!(
                "{}: {} ({})\n",
                c.name(),
                if own {
                    "nothing compared moved"
                } else {
                    "no headline moved"
                },
                hows.join("; ")
            ));
            let figures: Vec<String> = c
                .differences
                .iter()
                .map(|d| {
                    let k = shown_at(&d.metric);
                    let interval = if d.lo.is_finite() && d.hi.is_finite() {
                        format!(" Δ∈[{}, {}]", num(k * d.lo), num(k * d.hi))
                    } else {
                        String::new()
                    };
                    format!(
                        "{} {} → {}{interval}",
                        short(&d.metric),
                        num(k * d.a),
                        num(k * d.b)
                    )
                })
                .collect();
            if !figures.is_empty() {
                out.push_str(&format!("  {}\n", figures.join("  ")));
            }
            for note in &c.cautions {
                out.push_str(&format!("  note: {note}\n"));
            }
            continue;
        }
        out.push_str(&format!("{}: MOVED\n", c.name()));
        for note in &c.cautions {
            out.push_str(&format!("  note: {note}\n"));
        }
        // The names in a column as wide as the longest (a scenario's own numbers are paths).
        let width = c
            .differences
            .iter()
            .map(|d| &d.metric)
            .chain(c.one_sided.iter().map(|o| &o.metric))
            .map(|m| c.words(m).chars().count())
            .fold(22, usize::max);
        for d in &c.differences {
            let how = how(d);
            let k = shown_at(&d.metric);
            let interval = if d.lo.is_finite() {
                format!("{level} % interval [{}, {}]", num(k * d.lo), num(k * d.hi))
            } else {
                "no interval".to_string()
            };
            out.push_str(&format!(
                "  {:<width$} {:>10} → {:<10} {:>11}  {interval}, {how}{}\n",
                c.words(&d.metric),
                num(k * d.a),
                num(k * d.b),
                if d.mean > 0.0 {
                    format!("+{}", num(k * d.mean))
                } else {
                    num(k * d.mean)
                },
                if d.moved() { "  ← moved" } else { "" }
            ));
        }
        // A number one side has on no seed: nothing to subtract, and a change all the same.
        for o in &c.one_sided {
            let value = num(shown_at(&o.metric) * o.mean);
            let (before, after) = if o.before {
                (value, "no value".to_string())
            } else {
                ("no value".to_string(), value)
            };
            out.push_str(&format!(
                "  {:<width$} {before:>10} → {after:<10} {:>11}  no seed of the {} folder has it  ← moved\n",
                c.words(&o.metric),
                "",
                if o.before { "second" } else { "first" }
            ));
        }
    }
    // A run gone from the second folder (removed, renamed, or no longer running) is a
    // regression a gate must not pass; one only in the second is new.
    if !only_a.is_empty() {
        out.push_str(&format!(
            "MISSING from the second folder (removed, renamed, or it failed to run): {}\n",
            only_a.join(", ")
        ));
    }
    if !only_b.is_empty() {
        out.push_str(&format!(
            "new in the second folder, nothing to compare it with: {}\n",
            only_b.join(", ")
        ));
    }
    // Runs, each a scenario or one of its variants: a sweep's are of one scenario.
    let moved = compared.iter().filter(|c| c.moved()).count();
    let n = compared.len();
    let mut scenarios: Vec<&str> = compared.iter().map(|c| c.scenario.as_str()).collect();
    scenarios.dedup();
    // The runs of the first folder that could not be compared are counted beside, so that
    // "of 1 scenario" is not read as all the first folder held.
    let missing = if only_a.is_empty() {
        String::new()
    } else {
        format!(
            "; {} run{} of the first folder missing from the second",
            only_a.len(),
            if only_a.len() == 1 { "" } else { "s" }
        )
    };
    out.push_str(&format!(
        "diff: {moved} of {n} run{} compared ({} scenario{}) moved beyond {} intervals{missing}\n",
        if n == 1 { "" } else { "s" },
        scenarios.len(),
        if scenarios.len() == 1 { "" } else { "s" },
        if n == 1 { "its" } else { "their" }
    ));
    out
}

/// Whether a diff passes as a regression gate: no headline moved and no run of the first
/// folder is missing from the second.
pub fn passes(compared: &[Compared], only_a: &[String]) -> bool {
    only_a.is_empty() && !compared.iter().any(Compared::moved)
}

/// The comparison as JSON; each difference's `interval` is at `confidence`, Bonferroni's
/// for the diff's `comparisons`; `pass` is the verdict of the exit status.
pub fn json(compared: &[Compared], family: &Family, only_a: &[String], only_b: &[String]) -> Value {
    json!({
        "pass": passes(compared, only_a),
        "moved": compared.iter().any(Compared::moved),
        "correction": "bonferroni",
        "comparisons": family.comparisons,
        "confidence": family.confidence,
        "family_confidence": FAMILY_CONFIDENCE,
        "scenarios": compared.iter().map(|c| json!({
            "scenario": c.scenario,
            "variant": c.variant,
            "moved": c.moved(),
            "latency_compared": c.latency,
            "one_sided": c.one_sided.iter().map(|o| json!({
                "metric": o.metric,
                "in": if o.before { "before" } else { "after" },
                "mean": o.mean,
            })).collect::<Vec<_>>(),
            "cautions": c.cautions,
            "differences": c.differences.iter().map(|d| {
                let mut v = d.to_json();
                // At the diff's confidence, not 95 %; the two figures are the folders'
                // (BEFORE and AFTER), not a baseline's and a variant's.
                if let Some(m) = v.as_object_mut() {
                    m.remove("excludes_zero");
                    for (from, to) in [("ci95", "interval"), ("baseline", "before"), ("variant", "after")] {
                        if let Some(x) = m.remove(from) {
                            m.insert(to.into(), x);
                        }
                    }
                }
                v["moved"] = json!(d.moved());
                v["paired"] = json!(d.paired);
                v
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "only_in_first": only_a,
        "only_in_second": only_b,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn difference(metric: &str, a: f64, b: f64, lo: f64, hi: f64) -> Difference {
        Difference {
            metric: metric.into(),
            a,
            b,
            mean: b - a,
            lo,
            hi,
            n: 3,
            paired: true,
            se: (hi - lo) / 8.6,
            df: 2.0,
        }
    }

    #[test]
    fn a_cost_that_leaves_out_another_part_is_said() {
        let a = json!({ "duration_s": 60.0, "cost_usd": { "unpriced": {} } });
        let b =
            json!({ "duration_s": 60.0, "cost_usd": { "unpriced": { "table": ["DAX cluster"] } } });
        assert_eq!(
            cautions(&a, &b, &[]),
            ["the cost leaves out DAX cluster (table) after, not before: not priced"]
        );
        assert!(cautions(&b, &b, &[]).is_empty());
    }

    #[test]
    fn seeds_listed_twice_count_once_and_one_shared_seed_is_said() {
        let paired = [difference("error_rate", 0.0, 0.0, 0.0, 0.0)];
        let a = json!({ "per_seed": [{ "seed": 1 }, { "seed": 1 }, { "seed": 2 }] });
        let b = json!({ "per_seed": [{ "seed": 1 }, { "seed": 2 }, { "seed": 3 }] });
        assert_eq!(
            cautions(&a, &b, &paired),
            ["paired on the 2 seeds both ran: 1 seed of the second folder left out, so a figure is not that folder's whole result"]
        );
        let one = json!({ "per_seed": [{ "seed": 2 }, { "seed": 7 }, { "seed": 8 }] });
        assert_eq!(
            cautions(&b, &one, &paired),
            ["paired on the 1 seed both ran: 2 seeds of the first folder and 2 seeds of the second folder left out, so a figure is not that folder's whole result"]
        );
        // Unpaired (Welch's interval over every seed of each): nothing is left out.
        let mut welch = paired.clone();
        welch[0].paired = false;
        assert!(cautions(&b, &one, &welch).is_empty());
    }

    #[test]
    fn a_judged_latency_is_named_and_a_change_of_it_is_said() {
        let family = Family {
            comparisons: 1,
            confidence: 0.95,
        };
        let lag = Some("components.orders-queue.lag_ms".to_string());
        let moved = Compared {
            scenario: "s".into(),
            variant: Some("buffered".into()),
            differences: vec![difference("latency_ms.p99", 100.0, 300.0, 150.0, 250.0)],
            cautions: Vec::new(),
            latency: lag.clone(),
            one_sided: Vec::new(),
        };
        let text = terminal(std::slice::from_ref(&moved), &family, &[], &[]);
        assert!(
            text.contains("  p99 of orders-queue.lag_ms [ms]") && !text.contains("of successes"),
            "{text}"
        );
        let still = Compared {
            differences: vec![difference("latency_ms.p99", 100.0, 101.0, -5.0, 7.0)],
            ..moved
        };
        let text = terminal(std::slice::from_ref(&still), &family, &[], &[]);
        assert!(
            text.contains(
                "s/buffered: no headline moved (3 seeds paired; latencies of orders-queue.lag_ms)"
            ),
            "{text}"
        );
        let j = json(std::slice::from_ref(&still), &family, &[], &[]);
        assert_eq!(j["scenarios"][0]["latency_compared"], json!(lag));
        // Judged before, its clients' after: compared at the judged lag where both seeds
        // have it, and said.
        let seeds = |judged: bool| {
            let per_seed: Vec<Value> = [1, 2]
                .iter()
                .map(|seed| {
                    json!({
                        "seed": seed,
                        "latency_ms": { "p99": 5.0 },
                        "components": { "orders-queue": { "lag_ms": { "p99": 80.0 } } },
                    })
                })
                .collect();
            let mut s = json!({ "per_seed": per_seed });
            if judged {
                s["latency_judged"] = json!("components.orders-queue.lag_ms");
            }
            s
        };
        let (a, b) = (seeds(true), seeds(false));
        assert_eq!(
            cautions(&a, &b, &[]),
            ["the latency judged changed (orders-queue.lag_ms before, its clients' after): p50 and p99 compared at orders-queue.lag_ms, which both have"]
        );
        assert!(cautions(&a, &a, &[]).is_empty());
        // A pair short of the seeds both ran is said.
        let short_pair = Difference {
            n: 1,
            ..difference("latency_ms.p99", 80.0, 90.0, f64::NAN, f64::NAN)
        };
        assert_eq!(
            cautions(&a, &a, &[short_pair]),
            ["p99 ms paired on 1 of the 2 seeds both ran: the others have no value on a side"]
        );
    }

    #[test]
    fn a_number_one_folder_lacks_is_a_move_and_says_which() {
        let family = Family {
            comparisons: 0,
            confidence: 0.95,
        };
        let c = Compared {
            scenario: "s".into(),
            variant: None,
            differences: vec![difference("error_rate", 0.0, 0.0, 0.0, 0.0)],
            cautions: Vec::new(),
            latency: Some("components.q.lag_ms".into()),
            one_sided: vec![OneSided {
                metric: "latency_ms.p99".into(),
                before: true,
                mean: 812.5,
            }],
        };
        assert!(c.moved() && !passes(std::slice::from_ref(&c), &[]));
        let text = terminal(std::slice::from_ref(&c), &family, &[], &[]);
        let line = text
            .lines()
            .find(|l| l.contains("p99 of q.lag_ms [ms]"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.contains("812.5 → no value")
                && line.contains("no seed of the second folder has it  ← moved"),
            "{line}"
        );
        let j = json(std::slice::from_ref(&c), &family, &[], &[]);
        assert_eq!(
            j["scenarios"][0]["one_sided"],
            json!([{ "metric": "latency_ms.p99", "in": "before", "mean": 812.5 }])
        );
        assert_eq!(j["pass"], false);
    }

    #[test]
    fn the_error_rate_is_shown_in_percent_and_the_figures_said_to_be_means_of_seeds() {
        let moved = Compared {
            scenario: "s".into(),
            variant: None,
            differences: vec![difference("error_rate", 0.02, 0.05, 0.01, 0.05)],
            cautions: Vec::new(),
            latency: None,
            one_sided: Vec::new(),
        };
        let family = Family {
            comparisons: 1,
            confidence: 0.95,
        };
        let text = terminal(std::slice::from_ref(&moved), &family, &[], &[]);
        let line = text
            .lines()
            .find(|l| l.contains("error rate"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains("error rate [%]"), "{line}");
        assert!(
            line.contains("2.000 → 5.000")
                && line.contains("+3.000")
                && line.contains("[1.000, 5.000]"),
            "{line}"
        );
        assert!(
            text.contains("each figure is the mean of the seeds' own values"),
            "{text}"
        );
        // Unmoved, on one line: in percent too.
        let still = Compared {
            scenario: "s".into(),
            variant: None,
            differences: vec![difference("error_rate", 0.02, 0.021, -0.01, 0.012)],
            cautions: Vec::new(),
            latency: None,
            one_sided: Vec::new(),
        };
        let text = terminal(&[still], &family, &[], &[]);
        assert!(
            text.contains("errors % 2.000 → 2.100 Δ∈[-1.000, 1.200]"),
            "{text}"
        );
    }
}
