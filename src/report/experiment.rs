//! The outputs of an experiment (a scenario with variants or a sweep), drawn from its
//! variants' summaries alone (the baseline first): `sweep.csv` (long format), `sweep.json`
//! (each variant's headline numbers, its paired differences from the baseline, the Pareto
//! frontier of cost against p99 and the cheapest variant that meets every expectation), the
//! charts of each headline metric against a swept parameter, and the page that puts the
//! variants side by side.

use super::csv_field;
use super::html::{escape, fmt, relative_link};
use super::xy::{self, Point, XyChart};
use crate::metrics::compare::{
    headline_at as at, judged, mean_ci, own_metrics, paired_at, per_seed, Difference, HEADLINES,
};
use crate::metrics::{Summary, Unit};
use crate::scenario::variants::{PathValue, BASELINE};
use crate::theory::Mmc;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// A variant's name in its summary.
fn name(s: &Summary) -> &str {
    s["variant"].as_str().unwrap_or("baseline")
}

/// `b − a` of a headline, each at its own variant's path (`at`).
fn paired_in(a: &Summary, b: &Summary, metric: &str) -> Option<Difference> {
    paired_at(a, &at(a, metric), b, &at(b, metric), metric)
}

/// The latency every variant is judged by, when they all are by the same one (the
/// scenario's `latency`): the tables and charts then name it in their headings.
fn common_judged(variants: &[Summary]) -> Option<&str> {
    let first = judged(variants.first()?)?;
    variants
        .iter()
        .all(|s| judged(s) == Some(first))
        .then_some(first)
}

/// How the tables and charts name a headline: a latency's quantile as what it is of, when
/// every variant is judged by one (`common_judged`).
fn headline_words(variants: &[Summary], metric: &str, words: &str) -> String {
    match (common_judged(variants), metric.strip_prefix("latency_ms.")) {
        (Some(path), Some(q)) => super::judged_quantile(q, path),
        _ => words.to_string(),
    }
}

/// The mark beside a latency a variant is judged by, where the variants are not all judged
/// by the same one (`common_judged`).
const JUDGED_MARK: &str = "†";

/// The mark beside variant `s`'s latencies: `JUDGED_MARK` where it is judged by a latency
/// of its own and the others are not all judged by it.
fn mark(variants: &[Summary], s: &Summary) -> &'static str {
    if judged(s).is_some() && common_judged(variants).is_none() {
        JUDGED_MARK
    } else {
        ""
    }
}

/// What the latency columns show, in a sentence under the tables, when a variant is
/// judged by a latency other than its clients'; `marked`: the table marks those variants'
/// figures (the page's does, the terminal's differences do not).
fn judged_note(variants: &[Summary], marked: bool) -> Option<String> {
    if let Some(path) = common_judged(variants) {
        return Some(format!(
            "Latencies are of {path}, what the users of every variant wait for (their clients are answered before the work is done), as the scenario's `latency` names it."
        ));
    }
    let named: Vec<String> = variants
        .iter()
        .filter_map(|s| Some(format!("{}: {}", name(s), judged(s)?)))
        .collect();
    let mark = if marked {
        format!("{JUDGED_MARK} ")
    } else {
        String::new()
    };
    (!named.is_empty()).then(|| {
        format!(
            "{mark}Where a variant is answered before the work is done, its latencies are not its clients' but what its users wait for, as its `latency` names it: {}. Differences from the baseline are of what each one's users wait for.",
            named.join("; ")
        )
    })
}

/// A variant's overrides: (path, value in words, value as a number if one).
fn set_of(s: &Summary) -> Vec<PathValue> {
    listed(s, "set")
}

/// Its values of the paths an experiment varies: what a variant sets, and the baseline's
/// own values of the swept paths (`at`), where it writes them.
fn values_of(s: &Summary) -> Vec<PathValue> {
    let mut all = set_of(s);
    all.extend(listed(s, "at"));
    all
}

/// A summary's list of (path, words, number) under `key`: a variant's `set`, or the
/// baseline's own values of the swept paths, `at`.
fn listed(s: &Summary, key: &str) -> Vec<PathValue> {
    s[key]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|o| {
                    (
                        o["path"].as_str().unwrap_or("").to_string(),
                        o["value"].as_str().unwrap_or("").to_string(),
                        o["number"].as_f64(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The paths a sweep varies, in the order they first appear.
fn swept_paths(variants: &[Summary]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in variants.iter().filter(|s| s["swept"] == true) {
        for (p, _, _) in set_of(s) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// (held, total) of a summary's expectations.
fn held(s: &Summary) -> (usize, usize) {
    let list = s["expectations"].as_array().map_or(&[][..], Vec::as_slice);
    (
        list.iter().filter(|e| e["pass"] == true).count(),
        list.len(),
    )
}

/// `sweep.csv`: `variant, <each swept or set path>, seed, metric, value`, one row per
/// variant, seed and headline metric; a variant's value of a path it does not set is empty
/// (the baseline's, where it writes one, its own).
pub fn csv(variants: &[Summary]) -> String {
    let mut paths: Vec<String> = Vec::new();
    for s in variants {
        for (p, _, _) in set_of(s) {
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
    }
    let mut out = String::from("variant");
    for p in &paths {
        let _ = write!(out, ",{p}");
    }
    out.push_str(",seed,metric,value\n");
    let metrics = compared(variants);
    for s in variants {
        let set = values_of(s);
        let cells: Vec<String> = paths
            .iter()
            .map(|p| {
                set.iter()
                    .find(|(q, _, _)| q == p)
                    .map_or(String::new(), |(_, v, _)| csv_field(v))
            })
            .collect();
        for (metric, _) in &metrics {
            // Named by where its values are (a latency the variant is judged by, `at`).
            let path = at(s, metric);
            for (seed, v) in per_seed(s, &path) {
                let _ = write!(out, "{}", name(s));
                for c in &cells {
                    let _ = write!(out, ",{c}");
                }
                let _ = writeln!(out, ",{seed},{},{v}", csv_field(&path));
            }
        }
    }
    out
}

/// How far above the fewest errors among an experiment's variants a variant's error rate may
/// be and still stand on the frontier of cost against p99 [share]. The p99 is of successes,
/// so a variant that fails requests (throttled, down in an outage) looks fast, and cheap for
/// the work it did not do: the frontier would recommend it. A choice: a tenth of a percentage
/// point, a fixed share, not a test of the seeds' noise (in a run of a few thousand requests
/// it is a handful of them, in rds-ha-options about 300 a seed). A whole point let a variant
/// failing 0.9 % of its requests through a failover beat one failing none (rds-ha-options),
/// the difference such an experiment is about; variants that differ in nothing touching
/// their errors fail the same requests (common random numbers), not merely as many.
pub const FRONTIER_ERROR_MARGIN: f64 = 0.001;

/// Each variant's error rate, the mean of its seeds' (NaN when no seed measured one).
fn error_rates(variants: &[Summary]) -> Vec<f64> {
    variants
        .iter()
        .map(|s| mean_ci(s, "error_rate").map_or(f64::NAN, |m| m.0))
        .collect()
}

/// The variant that fails fewest requests, and its error rate (`error_rates`).
fn fewest_errors(errors: &[f64]) -> Option<(usize, f64)> {
    errors
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, e)| e.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The expectations written for every variant (no `variant = "…"`): the experiment's
/// requirements, as one variant's summary judged them.
fn required(s: &Summary) -> Vec<&Value> {
    s["expectations"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|e| e.get("variant").is_none())
        .collect()
}

/// The frontier of cost against p99 (`cp`, by `cost_p99`; `xy::pareto`) among the variants
/// whose error rate is within `FRONTIER_ERROR_MARGIN` of the fewest, and the variants left
/// off it for their errors. None when the variants change the work itself (`work_paths`):
/// a lighter load is no better choice, only less work.
fn frontier(variants: &[Summary], cp: &[(f64, f64)]) -> (Vec<usize>, Vec<usize>) {
    if !work_paths(variants).is_empty() {
        return (Vec::new(), Vec::new());
    }
    let errors = error_rates(variants);
    let fewest = fewest_errors(&errors).map_or(f64::INFINITY, |(_, e)| e);
    // A variant whose errors are unknown (no seed measured any) cannot show it serves.
    let off: Vec<usize> = (0..variants.len())
        .filter(|&i| errors[i].is_nan() || errors[i] > fewest + FRONTIER_ERROR_MARGIN)
        .collect();
    let kept: Vec<(f64, f64)> = cp
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if off.contains(&i) {
                (f64::NAN, f64::NAN)
            } else {
                c
            }
        })
        .collect();
    (xy::pareto(&kept), off)
}

/// Cost and p99 of each variant, means over seeds, for the frontier.
fn cost_p99(variants: &[Summary]) -> Vec<(f64, f64)> {
    variants
        .iter()
        .map(|s| {
            let c = mean_ci(s, "cost_usd.total").map_or(f64::NAN, |m| m.0);
            let p = mean_ci(s, &at(s, "latency_ms.p99")).map_or(f64::NAN, |m| m.0);
            (c, p)
        })
        .collect()
}

/// The headline metrics an experiment's tables show: (path, words, scale). The error rate
/// is a percentage; cost is left out when no variant has a priced component (a table of
/// "0 [0 – 0]" says nothing).
fn shown(variants: &[Summary]) -> Vec<(String, String, f64)> {
    let priced = priced(variants);
    compared(variants)
        .into_iter()
        .filter(|(m, _)| priced || m != "cost_usd.total")
        .map(|(m, words)| {
            let (words, k) = in_percent(&m, words);
            (m, words, k)
        })
        .collect()
}

/// How tables and charts show a headline: the error rate, a share, in percent as the
/// terminal and the pages say it (words, and the factor its values are shown at).
fn in_percent(metric: &str, words: String) -> (String, f64) {
    match metric {
        "error_rate" => ("error rate [%]".to_string(), 100.0),
        _ => (words, 1.0),
    }
}

/// `points` with their values (and intervals) shown at `k` times.
fn times(points: Vec<Point>, k: f64) -> Vec<Point> {
    points
        .into_iter()
        .map(|p| Point {
            y: k * p.y,
            lo: k * p.lo,
            hi: k * p.hi,
            ..p
        })
        .collect()
}

/// `shown`'s columns parted into the headlines' and, in a table of their own beneath so that
/// neither runs off a page or a terminal, the scenario's own numbers.
fn parted<'a>(
    columns: &'a [(String, String, f64)],
    variants: &[Summary],
) -> [&'a [(String, String, f64)]; 2] {
    let (headlines, theirs) = columns.split_at(columns.len() - own(variants).len());
    [headlines, theirs]
}

/// How a table or a chart names one of the scenario's own numbers: its path, less the
/// `components.` every component's number starts with.
fn own_words(metric: &str, base: &Summary) -> String {
    let shown = crate::text::one_line(metric.strip_prefix("components.").unwrap_or(metric));
    // Its unit, as its kind declares the field (a share is plotted as it is, 0 to 1).
    let kind_of = |id: &str| {
        base["components"][id]["kind"]
            .as_str()
            .and_then(crate::components::registry::info)
    };
    let unit = match crate::scenario::metric_unit(metric, &kind_of) {
        Some(Unit::Share) => "share, 0–1",
        Some(u) => super::columns::unit_suffix(u),
        None => "",
    };
    if unit.is_empty() {
        shown.into_owned()
    } else {
        format!("{shown} [{unit}]")
    }
}

/// A swept path as an axis names it, with its unit where the values or the key say it: a
/// duration's seconds (`number` reads "250ms" as 0.25), a key named with its unit
/// (`memory_mb`), an arrival rate's requests per second. Other paths are shown bare, their
/// unit being the key's own (an instance count, a capacity unit).
fn axis_words(path: &str, variants: &[&Summary]) -> String {
    let durations = durations(path, variants);
    let last = path.rsplit('.').next().unwrap_or(path);
    let unit = if durations && x_scale(path, variants) != 1.0 {
        Some("ms")
    } else if durations {
        Some("s")
    } else if path.ends_with("arrival.rate") {
        Some("requests per second")
    } else if last.starts_with("price") {
        // A price per unit (`price_per_gb`): its unit is dollars, not the unit it names.
        None
    } else {
        [
            ("_mb", "MB"),
            ("_gb", "GB"),
            ("_gib", "GiB"),
            ("_mib", "MiB"),
            ("_seconds", "s"),
            ("_ms", "ms"),
            ("_percent", "%"),
        ]
        .iter()
        .find(|(suffix, _)| last.ends_with(suffix))
        .map(|(_, u)| *u)
    };
    let shown = crate::text::one_line(path);
    match unit {
        Some(u) => format!("{shown} [{u}]"),
        None => shown.into_owned(),
    }
}

/// Whether the values `path` is set to are durations (its numbers then in seconds).
fn durations(path: &str, variants: &[&Summary]) -> bool {
    variants.iter().any(|s| {
        set_of(s).iter().any(|(p, value, n)| {
            p == path
                && n.is_some()
                && crate::config::parse_duration(value.trim_matches('"')).is_ok()
        })
    })
}

/// What an axis over `path` multiplies its numbers by: durations all under a second are
/// drawn in milliseconds (a sweep of 10 ms to 40 ms read "0.015 s"), others as they are.
fn x_scale(path: &str, variants: &[&Summary]) -> f64 {
    let under_a_second = variants
        .iter()
        .filter_map(|s| x_of(s, path))
        .all(|x| x.abs() < 1.0);
    if durations(path, variants) && under_a_second {
        1000.0
    } else {
        1.0
    }
}

/// The numbers the scenario asks its variants to be compared on besides the headlines
/// (`compare_metrics`, written in every variant's summary).
fn own(variants: &[Summary]) -> Vec<String> {
    own_metrics(&variants[0])
}

/// Every number an experiment compares its variants on, with its words: the headlines, then
/// the scenario's own (`own`), named by their paths.
fn compared(variants: &[Summary]) -> Vec<(String, String)> {
    HEADLINES
        .iter()
        .map(|&(m, words, _)| (m.to_string(), headline_words(variants, m, words)))
        .chain(own(variants).into_iter().map(|m| {
            let words = own_words(&m, &variants[0]);
            (m, words)
        }))
        .collect()
}

/// Whether any variant has a priced component (a cost above zero).
fn priced(variants: &[Summary]) -> bool {
    variants
        .iter()
        .any(|s| mean_ci(s, "cost_usd.total").is_some_and(|(v, _, _)| v > 0.0))
}

/// The variants that meet the experiment's requirements: the expectations written for every
/// variant (no `variant = "…"`). An expectation of one variant is a claim about that
/// variant, not a requirement the others could meet: a variant whose own claims hold does
/// not thereby meet them, so with no requirement at all none does.
fn meeting(variants: &[Summary]) -> Vec<usize> {
    let meets = |s: &Summary| {
        let required = required(s);
        !required.is_empty() && required.iter().all(|e| e["pass"] == true)
    };
    (0..variants.len())
        .filter(|&i| meets(&variants[i]))
        .collect()
}

/// The paths the variants set that change the work itself rather than what serves it: a
/// workload's arrivals, mix, keys, sizes or trace, or the scenario's measured period. Their
/// costs then pay for different work, and the cheapest of them says nothing: a sweep of the
/// arrival rate would name its lightest load. A workload's target, retries, timeout or
/// latency change how the same work is served, and are compared as any component's are.
fn work_paths(variants: &[Summary]) -> Vec<String> {
    const WORKLOAD: [&str; 5] = ["arrival", "mix", "keys", "size", "trace"];
    const SCENARIO: [&str; 2] = ["duration", "warmup"];
    let mut out: Vec<String> = Vec::new();
    for s in variants {
        let workloads = s["workloads"].as_object();
        for (p, _, _) in set_of(s) {
            let mut parts = p.split('.');
            let (head, key) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let work = if head == "scenario" {
                SCENARIO.contains(&key)
            } else {
                workloads.is_some_and(|w| w.contains_key(head)) && WORKLOAD.contains(&key)
            };
            if work && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Why no variant is named cheapest though some meet the requirements: nothing is priced,
/// or the variants change the work (`work_paths`). `None` when one may be named.
fn none_cheapest(variants: &[Summary]) -> Option<String> {
    if !priced(variants) {
        return Some("nothing is priced, so none is cheapest".into());
    }
    let work = work_paths(variants);
    if !work.is_empty() {
        let paths: Vec<String> = work.iter().map(|p| format!("`{p}`")).collect();
        return Some(format!(
            "the variants change the work itself ({}), so their costs pay for different work and none is named cheapest",
            paths.join(", ")
        ));
    }
    // A tie in cost among all that meet the requirements: naming one for its p99 would call
    // it cheapest when it is only faster (seven TTLs of one cache, each $0.0595).
    let costs = cost_p99(variants);
    let among: Vec<f64> = candidates(variants, &costs)
        .into_iter()
        .map(|i| costs[i].0)
        .collect();
    let (lo, hi) = among
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &c| {
            (lo.min(c), hi.max(c))
        });
    (among.len() > 1 && hi - lo <= 1e-9 * hi.abs()).then(|| {
        format!(
            "they cost the same, ${}{}, so none is cheapest",
            super::short(lo),
            if among.len() == variants.len() {
                ""
            } else {
                " each"
            }
        )
    })
}

/// The variants named instead of a cheapest one (`none_cheapest` says why): those that meet
/// the requirements, if any do.
fn listed_instead(variants: &[Summary]) -> Option<Vec<usize>> {
    let listed = meeting(variants);
    (none_cheapest(variants).is_some() && !listed.is_empty()).then_some(listed)
}

/// The variants the cheapest is chosen among: those meeting the requirements, with a cost
/// (`costs`, `cost_p99`'s).
fn candidates(variants: &[Summary], costs: &[(f64, f64)]) -> Vec<usize> {
    meeting(variants)
        .into_iter()
        .filter(|&i| costs[i].0.is_finite())
        .collect()
}

/// The cheapest variant that meets the experiment's requirements (`meeting`; the cheaper
/// p99 on a tie in cost). With nothing priced no variant is cheaper than another, and none
/// is named (a tie broken by p99 alone would name the largest).
fn cheapest_meeting(variants: &[Summary]) -> Option<usize> {
    if none_cheapest(variants).is_some() {
        return None;
    }
    let costs = cost_p99(variants);
    candidates(variants, &costs).into_iter().min_by(|&a, &b| {
        costs[a]
            .0
            .total_cmp(&costs[b].0)
            .then(costs[a].1.total_cmp(&costs[b].1))
    })
}

/// What the variants' costs leave out (`report::unpriced`): each part left out, with the
/// variants that have it (`None`: every variant), in the order first met.
fn unpriced_by_part(variants: &[Summary]) -> Vec<(String, Option<Vec<usize>>)> {
    let each: Vec<Vec<String>> = variants.iter().map(super::unpriced).collect();
    let mut parts: Vec<String> = Vec::new();
    for p in each.iter().flatten() {
        if !parts.contains(p) {
            parts.push(p.clone());
        }
    }
    parts
        .into_iter()
        .map(|p| {
            let having: Vec<usize> = (0..variants.len())
                .filter(|&i| each[i].contains(&p))
                .collect();
            let having = (having.len() < variants.len()).then_some(having);
            (p, having)
        })
        .collect()
}

/// A sentence on what the costs leave out, `name_of` writing a variant's name; `None` when
/// everything is priced.
fn unpriced_note(variants: &[Summary], name_of: impl Fn(&Summary) -> String) -> Option<String> {
    let parts = unpriced_by_part(variants);
    if parts.is_empty() || !priced(variants) {
        return None;
    }
    let said: Vec<String> = parts
        .into_iter()
        .map(|(p, having)| match having {
            None => format!("{p} in every variant"),
            Some(list) => {
                let names: Vec<String> = list.iter().map(|&i| name_of(&variants[i])).collect();
                format!("{p} in {}", names.join(", "))
            }
        })
        .collect();
    Some(format!(
        "The costs leave out what archsim does not price: {}.",
        said.join("; ")
    ))
}

/// What to doubt about the cheapest variant that meets the requirements, said after its
/// name: what its cost leaves out that another variant meeting the requirements does not
/// have (its cost is a lower bound, and that one may cost less; with no other variant
/// meeting them, there is no comparison to doubt), and the requests it fails when they are
/// more than `FRONTIER_ERROR_MARGIN` above the variant that fails fewest (the requirements
/// did not bound its errors, and a variant is cheap and quick by failing what it cannot
/// serve: the frontier leaves such a variant off for the same reason).
fn cheapest_caveat(variants: &[Summary], i: usize) -> Option<String> {
    let mut said = Vec::new();
    let each: Vec<Vec<String>> = variants.iter().map(super::unpriced).collect();
    // The others `cheapest_meeting` chose among.
    let others: Vec<usize> = candidates(variants, &cost_p99(variants))
        .into_iter()
        .filter(|&j| j != i)
        .collect();
    let own: Vec<&str> = each[i]
        .iter()
        .filter(|p| others.iter().any(|&j| !each[j].contains(p)))
        .map(String::as_str)
        .collect();
    if !own.is_empty() {
        said.push(format!(
            "its cost leaves out {}, which another variant that meets them does not have: it may not be the cheapest",
            own.join(", ")
        ));
    }
    let errors = error_rates(variants);
    if let Some((j, least)) = fewest_errors(&errors) {
        let mine = errors[i];
        if mine > least + FRONTIER_ERROR_MARGIN {
            let bounded = required(&variants[i])
                .iter()
                .any(|e| e["metric"] == "error_rate");
            said.push(format!(
                "it fails {} of requests, {} {}{}",
                percent(mine),
                name(&variants[j]),
                percent(least),
                if bounded {
                    ": within the requirements' bound on errors"
                } else {
                    ": no requirement bounds the errors"
                }
            ));
        }
    }
    (!said.is_empty()).then(|| said.join("; "))
}

/// A share as a percentage for a sentence: "29.7 %", "0.02 %".
fn percent(share: f64) -> String {
    format!("{} %", fmt(share * 100.0))
}

/// `sweep.json`: every variant's set, headline means with intervals, differences from the
/// baseline, expectations; the frontier and the cheapest variant that meets expectations.
pub fn json(scenario: &str, variants: &[Summary]) -> Value {
    let base = &variants[0];
    let (frontier, off) = frontier(variants, &cost_p99(variants));
    let compared = compared(variants);
    let list: Vec<Value> = variants
        .iter()
        .map(|s| {
            let mut metrics = serde_json::Map::new();
            for (m, _) in &compared {
                if let Some((mean, lo, hi)) = mean_ci(s, &at(s, m)) {
                    let n = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
                    metrics.insert(
                        m.to_string(),
                        json!({"mean": n(mean), "ci95": [n(lo), n(hi)]}),
                    );
                }
            }
            let vs: Vec<Value> = if std::ptr::eq(s, base) {
                Vec::new()
            } else {
                compared
                    .iter()
                    .filter_map(|(m, _)| paired_in(base, s, m).map(|d| d.to_json()))
                    .collect()
            };
            let (h, n) = held(s);
            let mut v = json!({
                "name": name(s),
                "description": s["variant_description"],
                "swept": s["swept"] == true,
                "set": s["set"],
                "metrics": metrics,
                "vs_baseline": vs,
                "expectations": { "held": h, "total": n },
                "cost_leaves_out": super::unpriced(s),
            });
            if let Some(path) = judged(s) {
                v["latency_judged"] = json!(path);
            }
            v
        })
        .collect();
    json!({
        "scenario": scenario,
        "baseline": name(base),
        "swept": swept_paths(variants),
        "variants": list,
        "pareto_cost_p99": frontier.iter().map(|&i| name(&variants[i])).collect::<Vec<_>>(),
        "off_frontier_for_errors": off.iter().map(|&i| name(&variants[i])).collect::<Vec<_>>(),
        "cheapest_meeting_expectations": cheapest_meeting(variants).map(|i| name(&variants[i])),
        "none_cheapest_because": none_cheapest(variants),
    })
}

/// Each variant's mean of `metric` (with its interval) against its value of `path`, in x
/// order.
fn against(variants: &[&Summary], path: &str, metric: &str, scale: f64) -> Vec<Point> {
    let mut points: Vec<Point> = variants
        .iter()
        .filter_map(|s| {
            // No seed has the figure (a latency where nothing succeeded): a point with no y,
            // which the chart marks (`XyChart::no_value`) rather than leaving out.
            let (y, lo, hi) = mean_ci(s, &at(s, metric)).unwrap_or((f64::NAN, f64::NAN, f64::NAN));
            Some(Point {
                x: scale * x_of(s, path)?,
                y,
                lo,
                hi,
                label: String::new(),
            })
        })
        .collect();
    points.sort_by(|a, b| a.x.total_cmp(&b.x));
    points
}

/// The file stem of the chart of latency against utilisation beside theory.
pub const AGAINST_THEORY: &str = "latency-vs-utilisation";

/// Latency against utilisation, simulated beside queueing theory's curves: when every
/// variant is the same M/M/c queue (servers, work) at different loads (the summary's
/// `theory`), at least three of them.
fn against_theory(scenario: &str, variants: &[Summary], bars: &str) -> Option<XyChart> {
    let queues: Vec<(&Summary, Mmc)> = variants
        .iter()
        .filter_map(|s| {
            let t = &s["theory"];
            let q = Mmc {
                servers: u32::try_from(t["servers"].as_u64()?).ok()?,
                arrival_rate: t["arrival_rps"].as_f64()?,
                service_time: t["service_ms"].as_f64()? / 1e3,
            };
            Some((s, q))
        })
        .collect();
    let (_, first) = *queues.first()?;
    let same = queues.iter().all(|(_, q)| {
        q.servers == first.servers && (q.service_time - first.service_time).abs() <= 1e-12
    });
    if queues.len() < 3 || queues.len() < variants.len() || !same {
        return None;
    }
    let model = variants[0]["theory"]["model"].as_str().unwrap_or("M/M/c");
    let simulated = |metric: &str| -> Vec<Point> {
        let mut points: Vec<Point> = queues
            .iter()
            .filter_map(|(s, q)| {
                let (y, lo, hi) = mean_ci(s, metric)?;
                Some(Point {
                    x: 100.0 * q.utilisation(),
                    y,
                    lo,
                    hi,
                    label: String::new(),
                })
            })
            .collect();
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        points
    };
    // The curves from no load to the busiest variant, finely enough to look smooth.
    let top = queues
        .iter()
        .map(|(_, q)| q.utilisation())
        .fold(0.0, f64::max);
    // Through each variant's load exactly, so that a dot sits beside its own theory.
    let mut loads: Vec<f64> = (0..=200).map(|k| top * f64::from(k) / 200.0).collect();
    loads.extend(queues.iter().map(|(_, q)| q.utilisation()));
    loads.sort_by(f64::total_cmp);
    loads.dedup();
    let curve = |f: fn(&Mmc) -> f64| -> Vec<(f64, f64)> {
        loads
            .iter()
            .map(|&rho| {
                let q = Mmc {
                    arrival_rate: rho * f64::from(first.servers) / first.service_time,
                    ..first
                };
                (100.0 * rho, 1e3 * f(&q))
            })
            .collect()
    };
    Some(XyChart {
        title: format!("{scenario}: latency against utilisation"),
        subtitle: format!(
            "dots: simulated, {}; dashed: {model} theory, {} server{} of {} ms",
            bars,
            first.servers,
            if first.servers == 1 { "" } else { "s" },
            super::short(first.service_time * 1e3)
        ),
        x_desc: "utilisation of the servers [%]".into(),
        y_desc: "latency [ms]".into(),
        lines: vec![
            ("simulated mean".into(), simulated("latency_ms.mean")),
            ("simulated p99".into(), simulated("latency_ms.p99")),
        ],
        curves: vec![
            (format!("{model} mean"), curve(Mmc::mean_response)),
            (format!("{model} p99"), curve(|q| q.response_quantile(0.99))),
        ],
        joined: false,
        ..Default::default()
    })
}

/// Whether the values of `path` span enough (30 times, all positive) to want a log axis.
fn log_axis(variants: &[&Summary], path: &str) -> bool {
    let xs: Vec<f64> = variants.iter().filter_map(|s| x_of(s, path)).collect();
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    xs.iter().all(|x| *x > 0.0) && hi / lo >= 30.0
}

/// Whether points, taken in turn, do not move.
fn flat(points: &[Point]) -> bool {
    let valued: Vec<&Point> = points.iter().filter(|p| p.y.is_finite()).collect();
    // Points with no value beside one with a value say something (only the longest TTL
    // succeeded); with none at all there is nothing to draw.
    if valued.is_empty() {
        return true;
    }
    valued.len() == points.len()
        && valued
            .windows(2)
            .all(|w| (w[0].y - w[1].y).abs() <= 1e-12 * w[0].y.abs().max(1.0))
}

/// The legend of a chart's points with no value of `metric` in any seed: a latency has none
/// where no request succeeded.
fn no_value(metric: &str) -> String {
    if metric.starts_with("latency") {
        "no value: nothing succeeded in any seed".into()
    } else {
        "no value in any seed".into()
    }
}

/// The charts: each headline metric against the swept parameter (when one parameter is
/// swept, or several together with `zip`), and cost against p99 for every variant.
pub fn charts(scenario: &str, variants: &[Summary]) -> Vec<(String, XyChart)> {
    let mut out = Vec::new();
    let paths = swept_paths(variants);
    let swept: Vec<&Summary> = variants.iter().filter(|s| s["swept"] == true).collect();
    let seeds = variants[0]["seeds"].as_array().map_or(0, Vec::len);
    let band = if seeds > 1 {
        format!("mean of {seeds} seeds, 95 % interval shaded")
    } else {
        "one seed: no interval".to_string()
    };
    // Dots carry their interval as a bar, lines as a band.
    let bars = band.replace("shaded", "as bars");
    // Theory beside the simulation first, when the variants are one queue at several loads.
    if let Some(chart) = against_theory(scenario, variants, &bars) {
        out.push((AGAINST_THEORY.into(), chart));
    }
    // A parameter the points order by: the first swept path, when every point has a number
    // for it and the others vary with it (one path, or a zip).
    let axis = paths.first().filter(|p| {
        swept.len() >= 2
            && swept
                .iter()
                .all(|s| set_of(s).iter().any(|(q, _, n)| q == *p && n.is_some()))
            && (paths.len() == 1 || {
                let mut xs: Vec<f64> = swept.iter().filter_map(|s| x_of(s, p)).collect();
                xs.sort_by(f64::total_cmp);
                xs.dedup();
                xs.len() == swept.len()
            })
    });
    let compared = compared(variants);
    if let Some(p) = axis {
        // The baseline (the first of the variants) among the points, named beside its own,
        // when it writes its value of the one swept path and no point of the sweep is at
        // that value (queueing-knee's rate 50 between the swept 30 and 60).
        let mut swept = swept.clone();
        let mut baseline_x = None;
        if let (Some(b), [_]) = (variants.first(), paths.as_slice()) {
            if let Some(x) = x_of(b, p).filter(|_| b["swept"] != true) {
                if swept.iter().all(|s| x_of(s, p) != Some(x)) {
                    swept.push(b);
                    baseline_x = Some(x);
                }
            }
        }
        let log_x = log_axis(&swept, p);
        let scale = x_scale(p, &swept);
        for (metric, words) in &compared {
            let (words, k) = in_percent(metric, words.clone());
            let mut points = times(against(&swept, p, metric, scale), k);
            if let Some(x) = baseline_x {
                for pt in points.iter_mut().filter(|pt| pt.x == scale * x) {
                    pt.label = BASELINE.to_string();
                }
            }
            // A metric that does not move (no cost, no errors) would be a flat line saying
            // nothing: left out.
            if points.len() < 2 || flat(&points) {
                continue;
            }
            let stem = format!("sweep-{}", slug(metric));
            out.push((
                stem,
                XyChart {
                    title: format!("{scenario}: {words} against {p}"),
                    subtitle: band.clone(),
                    x_desc: axis_words(p, &swept),
                    y_desc: words.to_string(),
                    log_x,
                    points,
                    joined: true,
                    no_value: Some(no_value(metric)),
                    ..Default::default()
                },
            ));
        }
    }
    // A grid: each metric against each parameter, a line for each value of the others (when
    // the palette can tell them apart).
    if axis.is_none() && paths.len() >= 2 {
        for p in &paths {
            let mut groups: Vec<(String, Vec<&Summary>)> = Vec::new();
            for s in &swept {
                let others: Vec<String> = set_of(s)
                    .into_iter()
                    .filter(|(q, _, _)| paths.contains(q) && q != p)
                    .map(|(q, v, _)| format!("{q} = {v}"))
                    .collect();
                let key = others.join(", ");
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, g)) => g.push(s),
                    None => groups.push((key, vec![s])),
                }
            }
            let usable = groups.len() <= 8
                && groups
                    .iter()
                    .all(|(_, g)| g.len() >= 2 && g.iter().all(|s| x_of(s, p).is_some()));
            if !usable {
                continue;
            }
            let log_x = log_axis(&swept, p);
            let scale = x_scale(p, &swept);
            for (metric, words) in &compared {
                let (words, k) = in_percent(metric, words.clone());
                let lines: Vec<(String, Vec<Point>)> = groups
                    .iter()
                    .map(|(key, g)| (key.clone(), times(against(g, p, metric, scale), k)))
                    .collect();
                let all: Vec<Point> = lines.iter().flat_map(|(_, l)| l.clone()).collect();
                if flat(&all) || lines.iter().any(|(_, l)| l.len() < 2) {
                    continue;
                }
                out.push((
                    format!("sweep-{}-by-{}", slug(metric), slug(p)),
                    XyChart {
                        title: format!("{scenario}: {words} against {p}"),
                        subtitle: format!("{band}; a line for each value of the other parameters"),
                        x_desc: axis_words(p, &swept),
                        y_desc: words.to_string(),
                        log_x,
                        lines,
                        joined: true,
                        no_value: Some(no_value(metric)),
                        ..Default::default()
                    },
                ));
            }
        }
    }
    // Cost against p99: every variant a point, the frontier in red. Each is named beside
    // its point; past a dozen, only those on the frontier and the cheapest that meets the
    // expectations (the rest would be a crowd of names).
    let cp = cost_p99(variants);
    let (frontier, off) = frontier(variants, &cp);
    let chosen = cheapest_meeting(variants);
    let named = |i: usize| variants.len() <= 12 || frontier.contains(&i) || chosen == Some(i);
    // Some points carry the mark of a latency of their own (`mark`).
    let marked = variants.iter().any(|s| !mark(variants, s).is_empty());
    let points: Vec<Point> = variants
        .iter()
        .zip(&cp)
        .enumerate()
        .map(|(i, (s, &(c, p)))| {
            let (_, lo, hi) =
                mean_ci(s, &at(s, "latency_ms.p99")).unwrap_or((p, f64::NAN, f64::NAN));
            let mark = mark(variants, s);
            Point {
                x: c,
                y: p,
                lo,
                hi,
                label: if named(i) {
                    format!("{}{mark}", name(s))
                } else {
                    String::new()
                },
            }
        })
        .collect();
    if points
        .iter()
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .count()
        >= 2
        && cp.iter().any(|c| c.0 > 0.0)
    {
        out.push((
            "cost-vs-p99".into(),
            XyChart {
                title: format!("{scenario}: cost against p99 latency"),
                subtitle: if work_paths(variants).is_empty() {
                    let judged = if marked {
                        format!("; {JUDGED_MARK} the p99 its users wait for (see the table)")
                    } else {
                        String::new()
                    };
                    format!("each variant: {bars}; lower and left is better{judged}")
                } else {
                    format!(
                        "each variant: {bars}; the variants do different work, so none is better"
                    )
                },
                x_desc: "cost [$ per seed, measured period]".into(),
                y_desc: if marked {
                    format!("p99 latency [ms] (of successes; {JUDGED_MARK} users' wait)")
                } else {
                    headline_words(variants, "latency_ms.p99", "p99 latency of successes [ms]")
                },
                log_x: false,
                points,
                joined: false,
                frontier,
                off_frontier: off,
                chosen,
                no_value: Some("no p99: nothing succeeded in any seed".into()),
                ..Default::default()
            },
        ));
    }
    // Two paths may make one file name (ids `a-b` and `a_b` both become `a-b`): the later
    // chart gets a number, so that no file is written twice.
    let mut used: Vec<String> = Vec::new();
    for (stem, _) in &mut out {
        let mut unique = stem.clone();
        let mut n = 2;
        while used.contains(&unique) {
            unique = format!("{stem}-{n}");
            n += 1;
        }
        stem.clone_from(&unique);
        used.push(unique);
    }
    out
}

/// The number a variant sets `path` to.
fn x_of(s: &Summary, path: &str) -> Option<f64> {
    values_of(s)
        .into_iter()
        .find(|(p, _, _)| p == path)
        .and_then(|(_, _, n)| n)
}

/// A metric's path as a file-name part: `latency_ms.p99` → `latency-ms-p99`.
pub(crate) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The experiment's page: the variants side by side, each against the baseline, the charts.
pub fn html(
    scenario: &str,
    description: &str,
    variants: &[Summary],
    charts: &[(String, String)],
) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} – archsim</title>{}</head><body>\n",
        escape(scenario),
        super::html::STYLE
    );
    let _ = writeln!(
        o,
        "<p><a href=\"../index.html\">← all scenarios</a></p><h1>{}</h1>",
        escape(scenario)
    );
    if !description.is_empty() {
        let _ = writeln!(o, "<p class=\"lead\">{}</p>", escape(description));
    }
    o.push_str(&super::html::overrides_note(&variants[0]));
    let seeds = variants[0]["seeds"].as_array().map_or(0, Vec::len);
    let _ = writeln!(
        o,
        "<p class=\"meta\">{} variants, each run on the same {seeds} seed{}: every variant sees the same arrivals for a seed, so differences are paired seed by seed. Each figure is the mean of the seeds' own values (a seed's p99 is of its own requests), so it can differ a little from a variant's report and the terminal, which pool every seed's requests. Intervals are 95 % (Student t).</p>",
        variants.len(),
        if seeds == 1 { "" } else { "s" }
    );
    let columns = shown(variants);
    if let Some(i) = cheapest_meeting(variants) {
        let caveat =
            cheapest_caveat(variants, i).map_or(String::new(), |c| format!(" ({})", escape(&c)));
        let _ = writeln!(
            o,
            "<p><b>Cheapest variant that meets every requirement (the expectations written for all variants): <a href=\"{}\">{}</a></b>{caveat}.</p>",
            relative_link(name(&variants[i]), "report.html"),
            escape(name(&variants[i]))
        );
    } else if let Some(listed) = listed_instead(variants) {
        let links: Vec<String> = listed
            .into_iter()
            .map(|i| {
                format!(
                    "<a href=\"{}\">{}</a>",
                    relative_link(name(&variants[i]), "report.html"),
                    escape(name(&variants[i]))
                )
            })
            .collect();
        let why = none_cheapest(variants).unwrap_or_default();
        let _ = writeln!(
            o,
            "<p><b>Variants that meet every requirement (the expectations written for all variants): {}</b>. No variant is named cheapest: {}.</p>",
            links.join(", "),
            escape(&why)
        );
    }
    let [headlines, theirs] = parted(&columns, variants);
    o.push_str("<h2>Variants</h2>");
    values_table(&mut o, variants, headlines, true);
    if let Some(note) = judged_note(variants, true) {
        let _ = writeln!(o, "<p class=\"meta\">{}</p>", escape(&note));
    }
    if let Some(note) = unpriced_note(variants, |s| name(s).to_string()) {
        let _ = writeln!(o, "<p class=\"meta\">{}</p>", escape(&note));
    }
    if !theirs.is_empty() {
        o.push_str("<p class=\"meta\">The numbers the scenario compares its variants on besides these:</p>");
        values_table(&mut o, variants, theirs, false);
    }
    if variants.len() > 1 {
        let _ = writeln!(
            o,
            "<h2>Against the baseline</h2><p class=\"meta\">Each variant minus <b>{}</b>, paired seed by seed; in bold where the interval leaves zero out (a difference the seeds' noise does not explain).</p>",
            escape(name(&variants[0]))
        );
        for group in [headlines, theirs].into_iter().filter(|c| !c.is_empty()) {
            differences_table(&mut o, variants, group);
        }
    }
    if !charts.is_empty() {
        o.push_str("<h2>Charts</h2>\n");
        for (title, svg) in charts {
            let _ = writeln!(
                o,
                "<div class=\"plot\" title=\"{}\">{svg}</div>",
                escape(title)
            );
        }
    }
    o.push_str("<h2>Data</h2><p><a href=\"sweep.csv\">sweep.csv</a> · <a href=\"sweep.json\">sweep.json</a> · each variant's folder holds its own summary, series and plots.</p>\n</body></html>\n");
    o
}

/// The page's table of each variant's `columns` (mean and interval); with `what`, beside
/// what each variant changes and how many of its expectations held.
fn values_table(
    o: &mut String,
    variants: &[Summary],
    columns: &[(String, String, f64)],
    what: bool,
) {
    o.push_str("<table><tr><th>variant</th>");
    if what {
        o.push_str("<th style=\"text-align:left\">what it changes</th>");
    }
    for (_, words, _) in columns {
        let _ = write!(o, "<th>{}</th>", escape(words));
    }
    if what {
        o.push_str("<th>expectations held</th>");
    }
    o.push_str("</tr>\n");
    for s in variants {
        let _ = write!(
            o,
            "<tr><td><a href=\"{}\">{}</a></td>",
            relative_link(name(s), "report.html"),
            escape(name(s)),
        );
        if what {
            let set: Vec<String> = set_of(s)
                .iter()
                .map(|(p, v, _)| format!("{} = {}", escape(p), escape(v)))
                .collect();
            let _ = write!(
                o,
                "<td style=\"text-align:left\">{}</td>",
                if set.is_empty() {
                    "the scenario as written".to_string()
                } else {
                    set.join("<br>")
                }
            );
        }
        for (m, _, k) in columns {
            let path = at(s, m);
            let mark = if path != m.as_str() {
                mark(variants, s)
            } else {
                ""
            };
            let cell = match mean_ci(s, &path) {
                Some((v, lo, hi)) if lo.is_finite() => format!(
                    "{}{mark} <span class=\"ci\">[{} – {}]</span>",
                    fmt(k * v),
                    fmt(k * lo),
                    fmt(k * hi)
                ),
                Some((v, _, _)) => format!("{}{mark}", fmt(k * v)),
                None if !mark.is_empty() => format!("–{mark} (none at {})", escape(&path)),
                None => "–".into(),
            };
            let _ = write!(o, "<td>{cell}</td>");
        }
        if what {
            let (h, n) = held(s);
            let _ = write!(
                o,
                "<td>{}</td>",
                if n == 0 {
                    "–".to_string()
                } else {
                    format!("{h} of {n}")
                }
            );
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

/// The page's table of each variant's paired differences from the baseline in `columns`.
fn differences_table(o: &mut String, variants: &[Summary], columns: &[(String, String, f64)]) {
    o.push_str("<table><tr><th>variant</th>");
    for (_, words, _) in columns {
        let _ = write!(o, "<th>Δ {}</th>", escape(words));
    }
    o.push_str("</tr>\n");
    for s in &variants[1..] {
        let _ = write!(o, "<tr><td>{}</td>", escape(name(s)));
        for (m, _, k) in columns {
            // Differences to the precision of the baseline's value (`fmt_diff`).
            let base = k * mean_ci(&variants[0], &at(&variants[0], m)).map_or(f64::NAN, |c| c.0);
            let show = |v: f64| super::html::fmt_diff(k * v, base);
            let cell = match paired_in(&variants[0], s, m) {
                Some(d) if d.lo.is_finite() => {
                    let mean = show(d.mean);
                    let text = format!(
                        "{}{mean} <span class=\"ci\">[{} – {}]</span>",
                        if d.mean > 0.0 && mean != "0" { "+" } else { "" },
                        show(d.lo),
                        show(d.hi)
                    );
                    // A difference that shows as 0 is not one to point at, however
                    // narrow its interval (every seed apart by the same float dust).
                    if d.excludes_zero() && mean != "0" {
                        format!("<b>{text}</b>")
                    } else {
                        text
                    }
                }
                Some(d) => show(d.mean),
                None => "–".into(),
            };
            let _ = write!(o, "<td>{cell}</td>");
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

/// The comparison in a few lines for the terminal: each variant against the baseline, the
/// differences whose interval leaves zero out marked with `*`.
pub fn terminal(scenario: &str, variants: &[Summary]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "== {} : {} variants against {} (paired by seed; * the 95 % interval leaves zero out) ==",
        crate::text::one_line(scenario),
        variants.len(),
        name(&variants[0])
    );
    let columns = shown(variants);
    for columns in parted(&columns, variants)
        .into_iter()
        .filter(|c| !c.is_empty())
    {
        // Each column as wide as its words (at least 12 characters).
        let widths: Vec<usize> = columns
            .iter()
            .map(|(_, w, _)| w.chars().count().max(12))
            .collect();
        let mut header = format!("  {:<24}", "variant");
        for ((_, words, _), w) in columns.iter().zip(&widths) {
            let _ = write!(header, "  {words:>w$}");
        }
        let _ = writeln!(o, "{header}");
        for s in &variants[1..] {
            let mut line = format!("  {:<24}", crate::text::one_line(name(s)));
            for ((m, _, k), w) in columns.iter().zip(&widths) {
                // To the precision of the baseline's value, as the page shows it: a cost
                // apart by a millionth of a dollar reads 0 in both, not +0.00000069 here.
                let base =
                    k * mean_ci(&variants[0], &at(&variants[0], m)).map_or(f64::NAN, |c| c.0);
                let cell = match paired_in(&variants[0], s, m) {
                    Some(d) => {
                        let v = k * d.mean;
                        // Thousands ungrouped, as the terminal's other figures.
                        let mean = if v.abs() >= 1000.0 {
                            super::short(v)
                        } else {
                            super::html::fmt_diff(v, base)
                        };
                        // A difference shown as 0 is neither signed nor starred.
                        let shows = mean != "0";
                        format!(
                            "{}{mean}{}",
                            if d.mean > 0.0 && shows { "+" } else { "" },
                            if d.excludes_zero() && shows { "*" } else { " " }
                        )
                    }
                    None => "–".into(),
                };
                let _ = write!(line, "  {cell:>w$}");
            }
            let _ = writeln!(o, "{line}");
        }
    }
    if let Some(note) = judged_note(variants, false) {
        let _ = writeln!(o, "  {}", crate::text::one_line(&note));
    }
    if let Some(note) = unpriced_note(variants, |s| crate::text::one_line(name(s)).into_owned()) {
        let _ = writeln!(o, "  {}", crate::text::one_line(&note));
    }
    if let Some(i) = cheapest_meeting(variants) {
        let caveat = cheapest_caveat(variants, i).map_or(String::new(), |c| {
            format!(" ({})", crate::text::one_line(&c))
        });
        let _ = writeln!(
            o,
            "  cheapest that meets every requirement (expectations for all variants): {}{caveat}",
            crate::text::one_line(name(&variants[i]))
        );
    } else if let Some(listed) = listed_instead(variants) {
        let names: Vec<String> = listed
            .into_iter()
            .map(|i| crate::text::one_line(name(&variants[i])).into_owned())
            .collect();
        let why = none_cheapest(variants).unwrap_or_default();
        let _ = writeln!(
            o,
            "  meet every requirement (expectations for all variants; {}): {}",
            crate::text::one_line(&why),
            names.join(", ")
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(cost: f64, p99: f64, expectations: Value) -> Summary {
        json!({
            "per_seed": [
                { "seed": 1, "cost_usd": { "total": cost }, "latency_ms": { "p99": p99 } },
                { "seed": 2, "cost_usd": { "total": cost }, "latency_ms": { "p99": p99 } },
            ],
            "expectations": expectations,
        })
    }

    #[test]
    fn the_terminal_shows_a_difference_to_the_precision_the_page_does() {
        // Two variants a millionth of a dollar apart (float dust of instance timings): the
        // page's table says 0, and so does the terminal, not +0.00000069.
        let mut variants = vec![
            variant(1.0096, 200.0, json!([])),
            variant(1.00960069, 250.0, json!([])),
        ];
        variants[0]["variant"] = json!("baseline");
        variants[1]["variant"] = json!("other");
        let text = terminal("s", &variants);
        let row = text
            .lines()
            .find(|l| l.trim_start().starts_with("other"))
            .unwrap();
        // Not marked as a difference either: none shows.
        assert_eq!(row.split_whitespace().last(), Some("0"), "{text}");
        assert!(!text.contains("0.00000069"), "{text}");
        assert!(row.contains("+50.0"), "{text}");
    }

    #[test]
    fn a_sweep_charts_its_error_rate_in_percent_as_the_tables_show_it() {
        // Three points of a sweep of `web.servers`, with 2 % and 6 % of errors at the end.
        let point = |servers: f64, errors: f64| {
            json!({
                "swept": true,
                "seeds": [1, 2],
                "set": [{ "path": "web.servers", "value": servers.to_string(), "number": servers }],
                "per_seed": [
                    { "seed": 1, "error_rate": errors },
                    { "seed": 2, "error_rate": errors },
                ],
            })
        };
        let variants = [point(4.0, 0.0), point(5.0, 0.02), point(6.0, 0.06)];
        let charts = charts("exp", &variants);
        let (_, chart) = charts
            .iter()
            .find(|(stem, _)| stem == "sweep-error-rate")
            .expect("an error-rate chart");
        assert_eq!(chart.y_desc, "error rate [%]");
        let ys: Vec<f64> = chart.points.iter().map(|p| p.y).collect();
        assert_eq!(ys.len(), 3);
        assert!(
            (ys[1] - 2.0).abs() < 1e-9 && (ys[2] - 6.0).abs() < 1e-9,
            "{ys:?}"
        );
    }

    #[test]
    fn a_sweep_point_where_nothing_succeeded_is_marked_not_dropped() {
        // A TTL of 1 s and 10 s: every request failed, so no seed has a p99. The points stay
        // on the sweep's axis and the cost chart, with no y, which the chart marks along its
        // top and names (they had dropped out of the sweep, the axis starting at the third
        // point, and been pinned unnamed to the top of the cost chart).
        let point = |ttl: f64, p99: Option<f64>| {
            let seed = |s: u64| match p99 {
                Some(v) => {
                    json!({ "seed": s, "error_rate": 0.0, "cost_usd": { "total": 0.1 }, "latency_ms": { "p99": v } })
                }
                None => {
                    json!({ "seed": s, "error_rate": 1.0, "cost_usd": { "total": 0.1 }, "latency_ms": {} })
                }
            };
            json!({
                "swept": true,
                "seeds": [1, 2],
                "variant": format!("ttl-{ttl}"),
                "set": [{ "path": "cache.ttl", "value": format!("{ttl}s"), "number": ttl }],
                "per_seed": [seed(1), seed(2)],
            })
        };
        let variants = [
            point(1.0, None),
            point(10.0, None),
            point(30.0, Some(50.0)),
            point(60.0, Some(25.0)),
        ];
        let charts = charts("ttl", &variants);
        let (_, sweep) = charts
            .iter()
            .find(|(stem, _)| stem == "sweep-latency-ms-p99")
            .expect("a p99 chart");
        let xs: Vec<f64> = sweep.points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [1.0, 10.0, 30.0, 60.0]);
        assert!(sweep.points[0].y.is_nan() && sweep.points[1].y.is_nan());
        let words = sweep.no_value.as_deref().expect("the marks are named");
        assert_eq!(words, "no value: nothing succeeded in any seed");
        let svg = super::super::xy::svg(sweep);
        assert!(svg.contains(words), "the legend names them");
        let (_, cost) = charts
            .iter()
            .find(|(stem, _)| stem == "cost-vs-p99")
            .expect("a cost chart");
        assert_eq!(
            cost.no_value.as_deref(),
            Some("no p99: nothing succeeded in any seed")
        );
        let svg = super::super::xy::svg(cost);
        assert!(svg.contains("no p99: nothing succeeded in any seed"));
        // Both are named at their mark, as one label (they stand at one place).
        assert!(svg.contains("ttl-1 = ttl-10"), "{svg}");
        // One point with a value among failed ones still has its chart.
        let charts = super::charts("ttl", &variants[..3]);
        assert!(charts
            .iter()
            .any(|(stem, _)| stem == "sweep-latency-ms-p99"));
    }

    #[test]
    fn tables_leave_out_a_cost_nobody_pays_and_show_errors_in_percent() {
        let unpriced = [variant(0.0, 40.0, json!([])), variant(0.0, 50.0, json!([]))];
        let columns = shown(&unpriced);
        assert!(columns.iter().all(|(m, _, _)| *m != "cost_usd.total"));
        let errors = columns.iter().find(|(m, _, _)| *m == "error_rate").unwrap();
        assert_eq!((errors.1.as_str(), errors.2), ("error rate [%]", 100.0));
        let priced = [variant(0.0, 40.0, json!([])), variant(0.5, 50.0, json!([]))];
        assert!(shown(&priced)
            .iter()
            .any(|(m, _, _)| *m == "cost_usd.total"));
        // The terminal's columns are as wide as their words: nothing runs into its neighbour.
        let text = terminal("s", &priced);
        assert!(
            text.contains("  p99 latency of successes [ms]  error rate [%]"),
            "{text}"
        );
    }

    /// A variant whose clients are answered at once (p99 20 ms) while its orders wait in a
    /// queue (lag p99 80 s), judged by that lag where `latency` names it.
    fn queued(cost: f64, judged: bool) -> Summary {
        let seed = |n: u64| {
            json!({ "seed": n, "cost_usd": { "total": cost }, "error_rate": 0.0,
                "latency_ms": { "p50": 10.0, "p99": 20.0 },
                "components": { "q": { "lag_ms": { "p50": 40_000.0, "p99": 80_000.0 } } } })
        };
        let mut s = json!({ "variant": "queued", "seeds": [1, 2], "per_seed": [seed(1), seed(2)] });
        if judged {
            s["latency_judged"] = json!("components.q.lag_ms");
        }
        s
    }

    #[test]
    fn a_variant_is_judged_by_the_latency_its_users_wait_for_where_it_names_one() {
        // The baseline answers in 200 ms for less; the queue's clients are answered in 20 ms
        // but wait 80 s for their orders. Judged by its clients' latency the queue would
        // stand on the frontier, faster for more money; judged by its lag it is beaten.
        let mut base = variant(1.0, 200.0, json!([]));
        base["variant"] = json!("baseline");
        base["seeds"] = json!([1, 2]);
        for seed in base["per_seed"].as_array_mut().unwrap() {
            seed["error_rate"] = json!(0.0);
            seed["latency_ms"]["p50"] = json!(100.0);
        }
        let fooled = [base.clone(), queued(1.5, false)];
        assert_eq!(frontier(&fooled, &cost_p99(&fooled)).0, vec![0, 1]);
        let variants = [base, queued(1.5, true)];
        assert_eq!(cost_p99(&variants)[1], (1.5, 80_000.0));
        // Only the headlines' latencies: a scenario's own "latency_ms.mean" is what it says.
        assert_eq!(
            at(&variants[1], "latency_ms.p50"),
            "components.q.lag_ms.p50"
        );
        assert_eq!(at(&variants[1], "latency_ms.mean"), "latency_ms.mean");
        assert_eq!(frontier(&variants, &cost_p99(&variants)).0, vec![0]);
        // The tables show the lag, marked, and say what it is; the difference from the
        // baseline is of what each one's users wait for.
        let page = html("s", "", &variants, &[]);
        assert!(page.contains(&format!("{}†", fmt(80_000.0))), "{page}");
        assert!(page.contains("queued: components.q.lag_ms"), "{page}");
        let d = paired_in(&variants[0], &variants[1], "latency_ms.p99").unwrap();
        assert_eq!(d.mean, 79_800.0);
        let text = terminal("s", &variants);
        assert!(text.contains("+79800*"), "{text}");
        // sweep.csv names each value by where it is; sweep.json says what judged it.
        let csv = csv(&variants);
        assert!(
            csv.contains("queued,1,components.q.lag_ms.p99,80000"),
            "{csv}"
        );
        assert!(csv.contains("baseline,1,latency_ms.p99,200"), "{csv}");
        let j = json("s", &variants);
        assert_eq!(
            j["variants"][1]["latency_judged"],
            json!("components.q.lag_ms")
        );
        assert_eq!(
            j["variants"][1]["metrics"]["latency_ms.p99"]["mean"],
            json!(80_000.0)
        );
        // The chart names the point with the mark and says what it means.
        let (_, chart) = charts("s", &variants)
            .into_iter()
            .find(|(stem, _)| stem == "cost-vs-p99")
            .expect("a cost chart");
        assert_eq!(chart.points[1].label, "queued†");
        assert!(
            chart.subtitle.contains("† the p99 its users wait for"),
            "{}",
            chart.subtitle
        );
    }

    #[test]
    fn variants_all_judged_by_one_latency_name_it_in_the_headings() {
        let variants = [queued(1.0, true), queued(2.0, true)];
        let columns = shown(&variants);
        assert!(columns
            .iter()
            .any(|(m, words, _)| m == "latency_ms.p99" && words == "p99 of q.lag_ms [ms]"));
        let page = html("s", "", &variants, &[]);
        assert!(
            !page.contains('†'),
            "no mark when every variant is judged alike"
        );
        assert!(
            page.contains("Latencies are of components.q.lag_ms"),
            "{page}"
        );
    }

    #[test]
    fn a_variant_that_fails_requests_is_left_off_the_frontier() {
        // (cost, p99 of successes, error rate): the cheapest and fastest throttles a fifth
        // of its requests; the next fails 0.05 point more than the fewest, within the margin.
        let v = |cost: f64, p99: f64, errors: f64| {
            let mut s = variant(cost, p99, json!([]));
            for seed in s["per_seed"].as_array_mut().unwrap() {
                seed["error_rate"] = json!(errors);
            }
            s
        };
        let variants = [v(1.0, 20.0, 0.2), v(2.0, 30.0, 0.0005), v(3.0, 25.0, 0.0)];
        let (on, off) = frontier(&variants, &cost_p99(&variants));
        assert_eq!((on, off), (vec![1, 2], vec![0]));
        // Half a point more than the fewest is off (a whole point's margin let it stand).
        let half = [v(2.0, 30.0, 0.005), v(3.0, 25.0, 0.0)];
        assert_eq!(frontier(&half, &cost_p99(&half)), (vec![1], vec![0]));
        // One whose errors no seed measured cannot show it serves: off too.
        let unknown = [v(1.0, 20.0, f64::NAN), v(2.0, 30.0, 0.0)];
        assert_eq!(frontier(&unknown, &cost_p99(&unknown)), (vec![1], vec![0]));
        let j = json("s", &variants);
        assert_eq!(j["off_frontier_for_errors"], json!(["baseline"]), "{j}");
    }

    #[test]
    fn the_cheapest_meeting_its_requirements_is_doubted_when_it_fails_more_requests() {
        // Only p99 is required: the cheapest meets it by failing 29.7 % of its requests.
        let slo = json!([{ "metric": "latency_ms.p99", "pass": true }]);
        let v = |cost: f64, errors: f64| {
            let mut s = variant(cost, 40.0, slo.clone());
            for seed in s["per_seed"].as_array_mut().unwrap() {
                seed["error_rate"] = json!(errors);
            }
            s
        };
        let variants = [v(3.0, 0.023), v(2.0, 0.297)];
        assert_eq!(cheapest_meeting(&variants), Some(1));
        let caveat = cheapest_caveat(&variants, 1).expect("a caveat");
        assert!(
            caveat.contains("it fails 29.7 % of requests, baseline 2.30 %"),
            "{caveat}"
        );
        assert!(terminal("s", &variants).contains(&caveat));
        // A requirement on the error rate that it meets: said so, not denied.
        let mut bounded = variants.clone();
        for v in &mut bounded {
            v["expectations"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "metric": "error_rate", "pass": true }));
        }
        let caveat = cheapest_caveat(&bounded, 1).expect("a caveat");
        assert!(
            caveat.ends_with("within the requirements' bound on errors"),
            "{caveat}"
        );
        // Within a tenth of a point of the fewest: nothing to doubt; 0.7 point more is
        // said.
        let close = [v(3.0, 0.023), v(2.0, 0.0235)];
        assert_eq!(cheapest_caveat(&close, 1), None);
        let apart = [v(3.0, 0.023), v(2.0, 0.03)];
        assert!(cheapest_caveat(&apart, 1).is_some_and(|c| c.contains("it fails 3.00 %")));
    }

    #[test]
    fn the_cheapest_meeting_its_expectations_wins_a_tie_on_p99() {
        let slo = |pass: bool| json!([{ "metric": "latency_ms.p99", "pass": pass }]);
        let v = [
            variant(3.0, 40.0, slo(true)),
            variant(2.0, 50.0, slo(true)),
            variant(0.5, 2000.0, slo(false)),
            variant(0.4, 2000.0, json!([])),
        ];
        assert_eq!(cheapest_meeting(&v), Some(1));
        // A tie for the cheapest goes to the lower p99.
        let tie = [
            variant(1.0, 80.0, slo(true)),
            variant(1.0, 60.0, slo(true)),
            variant(2.0, 50.0, slo(true)),
        ];
        assert_eq!(cheapest_meeting(&tie), Some(1));
        // All at one cost: none is cheaper, and none is named for its p99 alone (seven TTLs
        // of one cache named the fastest "cheapest").
        let same = [variant(1.0, 80.0, slo(true)), variant(1.0, 60.0, slo(true))];
        assert_eq!(cheapest_meeting(&same), None);
        let text = terminal("s", &same);
        assert!(
            text.contains("they cost the same, $1, so none is cheapest"),
            "{text}"
        );
        // No requirement at all: nobody is named.
        let none = [variant(1.0, 80.0, json!([])), variant(2.0, 60.0, json!([]))];
        assert_eq!(cheapest_meeting(&none), None);
        // Claims about single variants are not requirements: the cheap variant whose own
        // claim holds is not named.
        let claim = |v: &str| json!([{ "metric": "error_rate", "variant": v, "pass": true }]);
        let claims = [
            variant(1.0, 80.0, claim("single-az")),
            variant(3.0, 60.0, claim("multi-az")),
        ];
        assert_eq!(cheapest_meeting(&claims), None);
        // Nothing priced: no variant is cheaper than another, and none is named, though
        // both meet the requirement (p99 alone would name the larger, faster one).
        let free = [variant(0.0, 80.0, slo(true)), variant(0.0, 60.0, slo(true))];
        assert_eq!(cheapest_meeting(&free), None);
        assert_eq!(meeting(&free), [0, 1]);
        let text = terminal("s", &free);
        assert!(
            text.contains("nothing is priced, so none is cheapest"),
            "{text}"
        );
        assert!(!text.contains("cheapest that meets"), "{text}");
    }

    #[test]
    fn variants_that_change_the_work_name_no_cheapest() {
        // A sweep of the producer's rate: the lightest load costs least, which is no answer.
        let slo = json!([{ "metric": "latency_ms.p99", "pass": true }]);
        let at = |rate: f64, cost: f64, path: &str| {
            let mut v = variant(cost, 50.0, slo.clone());
            v["workloads"] = json!({ "producer": {} });
            v["set"] = json!([{ "path": path, "value": rate.to_string(), "number": rate }]);
            v
        };
        let load = [
            at(20.0, 1.0, "producer.arrival.rate"),
            at(40.0, 2.0, "producer.arrival.rate"),
        ];
        assert_eq!(cheapest_meeting(&load), None);
        // Nor is a frontier drawn: less work is not a better choice.
        assert_eq!(json("s", &load)["pareto_cost_p99"], json!([]));
        let text = terminal("s", &load);
        assert!(
            text.contains("the variants change the work itself (`producer.arrival.rate`)"),
            "{text}"
        );
        assert_eq!(
            json("s", &load)["none_cheapest_because"],
            json!("the variants change the work itself (`producer.arrival.rate`), so their costs pay for different work and none is named cheapest")
        );
        // The same values set on a component: the architecture changes, the work does not.
        let fleet = [at(20.0, 1.0, "fn.memory_mb"), at(40.0, 2.0, "fn.memory_mb")];
        assert_eq!(cheapest_meeting(&fleet), Some(0));
        assert_eq!(json("s", &fleet)["none_cheapest_because"], Value::Null);
        // Nor does the way the workload is served: its retries, its target.
        let retries = [
            at(2.0, 1.0, "producer.retry.attempts"),
            at(3.0, 2.0, "producer.retry.attempts"),
        ];
        assert_eq!(cheapest_meeting(&retries), Some(0));
        // The scenario's measured period is the work's length.
        let longer = [
            at(600.0, 1.0, "scenario.duration"),
            at(900.0, 2.0, "scenario.duration"),
        ];
        assert_eq!(cheapest_meeting(&longer), None);
    }

    #[test]
    fn a_swept_path_and_a_compared_metric_are_named_with_their_units() {
        let set = |path: &str, value: &str, n: f64| json!({ "set": [{ "path": path, "value": value, "number": n }] });
        let rate = set("producer.arrival.rate", "20", 20.0);
        assert_eq!(
            axis_words("producer.arrival.rate", &[&rate]),
            "producer.arrival.rate [requests per second]"
        );
        let memory = set("fn.memory_mb", "1024", 1024.0);
        assert_eq!(axis_words("fn.memory_mb", &[&memory]), "fn.memory_mb [MB]");
        let ttl = set("cache.ttl", "\"5m\"", 300.0);
        assert_eq!(axis_words("cache.ttl", &[&ttl]), "cache.ttl [s]");
        // Durations all under a second are drawn in milliseconds, their numbers with them.
        let (a, b) = (
            set("api.timeout", "\"10ms\"", 0.01),
            set("api.timeout", "\"40ms\"", 0.04),
        );
        assert_eq!(axis_words("api.timeout", &[&a, &b]), "api.timeout [ms]");
        assert_eq!(x_scale("api.timeout", &[&a, &b]), 1000.0);
        let long = set("api.timeout", "\"2s\"", 2.0);
        assert_eq!(axis_words("api.timeout", &[&a, &long]), "api.timeout [s]");
        let price = set("cdn.price_per_gb", "0.085", 0.085);
        assert_eq!(
            axis_words("cdn.price_per_gb", &[&price]),
            "cdn.price_per_gb"
        );
        let replicas = set("db.read_replicas", "2", 2.0);
        assert_eq!(
            axis_words("db.read_replicas", &[&replicas]),
            "db.read_replicas"
        );
        // A kind's field in milliseconds, and one that counts, as any kind declares them.
        let (kind, ms, count) = crate::components::registry::names()
            .into_iter()
            .find_map(|k| {
                let fields = crate::components::registry::info(k)?.fields;
                let ms = fields.iter().find(|f| f.path.ends_with("_ms.*"))?;
                let count = fields.iter().find(|f| f.unit == Unit::Count)?;
                Some((k, ms.path.trim_end_matches(".*"), count.path))
            })
            .expect("a kind with both");
        let base = json!({ "components": { "jobs": { "kind": kind } } });
        assert_eq!(
            own_words(&format!("components.jobs.{ms}.p99"), &base),
            format!("jobs.{ms}.p99 [ms]")
        );
        assert_eq!(
            own_words(&format!("components.jobs.{count}"), &base),
            format!("jobs.{count}")
        );
    }
}
