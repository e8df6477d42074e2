//! Renderers: pure functions from results to bytes (JSON, CSV, text). They never run the
//! simulation and never touch files; `sweep` writes what they return.

pub mod capacity;
pub mod columns;
pub mod diagram;
pub mod diff;
pub mod experiment;
pub mod html;
pub mod plots;
pub mod service_map;
pub mod slides;
pub mod table;
pub mod traces;
pub mod verdicts;
pub mod xy;

use crate::kernel::SimTime;
use crate::metrics::{RunResult, Summary};
use serde_json::Value;
use std::fmt::Write as _;

/// The figures of a summary's `kernel` table that depend on the machine and the moment (wall
/// time, events per second): written apart, to `timing.json`, so that `summary.json` is the
/// same bytes for the same scenario, seed and commit, and committed baselines stay put.
pub const TIMING: &[&str] = &["wall_s", "events_per_sec"];

/// A summary split in two: itself without the `TIMING` figures (the same for the same
/// scenario, seed and commit), and those figures.
pub fn without_timing(summary: &Summary) -> (Summary, Value) {
    let mut kept = summary.clone();
    let mut timing = serde_json::Map::new();
    if let Some(kernel) = kept.get_mut("kernel").and_then(Value::as_object_mut) {
        for k in TIMING {
            if let Some(v) = kernel.remove(*k) {
                timing.insert((*k).to_string(), v);
            }
        }
    }
    (kept, Value::Object(timing))
}

/// A summary as its folder saves it: `summary.json` without the `TIMING` figures, and
/// `timing.json` with them.
pub fn saved_summary(summary: &Summary) -> (String, String) {
    let (kept, timing) = without_timing(summary);
    (summary_json(&kept), summary_json(&timing))
}

/// `summary.json`, pretty-printed.
pub fn summary_json(summary: &Summary) -> String {
    let mut s =
        serde_json::to_string_pretty(summary).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// `timeseries.csv` in long format: one row per (window, seed, actor, series). A window in
/// which a quantile had no data (nothing completed) has no row rather than a made-up value.
pub fn timeseries_csv(runs: &[RunResult]) -> String {
    let mut out = String::from("time_s,seed,component,series,value\n");
    for r in runs {
        let w = r.clock.window.as_secs_f64();
        for a in &r.actors {
            for (name, values) in &a.series {
                for (i, v) in values.iter().enumerate() {
                    if v.is_finite() {
                        let _ = writeln!(
                            out,
                            "{},{},{},{},{}",
                            fmt_num(i as f64 * w),
                            r.seed,
                            a.name,
                            name,
                            fmt_num(*v)
                        );
                    }
                }
            }
        }
    }
    out
}

/// `events.csv`: discrete happenings for annotating plots, each seed's in time order, with
/// the warmup's end and the arrivals' end (`warmup_end`, `arrivals_end`) among them: the
/// warmup's end before what happens at its instant (measured, as the summary measures it),
/// the arrivals' end after (what happens while in-flight work drains comes after it).
pub fn events_csv(runs: &[RunResult]) -> String {
    let mut out = String::from("time_s,seed,component,event,detail\n");
    for r in runs {
        let marker = |out: &mut String, at: SimTime, name: &str| {
            let _ = writeln!(out, "{},{},,{name},", fmt_num(at.as_secs_f64()), r.seed);
        };
        let warm = r.events.partition_point(|e| e.time < r.clock.warmup);
        let drained = r.events.partition_point(|e| e.time <= r.clock.end);
        for i in 0..=r.events.len() {
            if i == warm {
                marker(&mut out, r.clock.warmup, "warmup_end");
            }
            if i == drained {
                marker(&mut out, r.clock.end, "arrivals_end");
            }
            let Some(e) = r.events.get(i) else { break };
            let _ = writeln!(
                out,
                "{},{},{},{},{}",
                fmt_num(e.time.as_secs_f64()),
                r.seed,
                e.actor,
                e.event,
                csv_field(&e.detail)
            );
        }
    }
    out
}

/// Shortest form that reads back to the same number (Rust's `Display` for f64 is that), with
/// integers written without a fractional part.
fn fmt_num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

pub use crate::text::{significant, significant_decimals};

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// What a run is about, as its summary says: a variant's own description where it has one
/// (it says what the variant changes), the scenario's otherwise, and for the baseline, whose
/// own ("the scenario as written") says less than the scenario's.
pub(crate) fn description(summary: &Summary) -> Option<&str> {
    let baseline =
        summary.get("variant").and_then(Value::as_str) == Some(crate::scenario::variants::BASELINE);
    summary
        .get("variant_description")
        .and_then(Value::as_str)
        .filter(|d| !baseline && !d.trim().is_empty())
        .or_else(|| summary.get("description").and_then(Value::as_str))
}

/// A judged latency's path as the tables name it, without `components.` (`orders-queue.lag_ms`).
pub(crate) fn judged_name(path: &str) -> std::borrow::Cow<'_, str> {
    crate::text::one_line(path.strip_prefix("components.").unwrap_or(path))
}

/// A headline quantile (`p99`) of a judged latency, as the experiment's tables and `archsim
/// diff` head it: "p99 of orders-queue.lag_ms [ms]".
pub(crate) fn judged_quantile(q: &str, path: &str) -> String {
    format!("{q} of {} [ms]", judged_name(path))
}

/// A one-screen text summary for the terminal.
pub fn text_summary(summary: &Summary) -> String {
    let mut o = String::new();
    let get = |path: &str| crate::metrics::pointer(summary, path);
    let num = |path: &str| get(path).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let name = match get("variant").and_then(Value::as_str) {
        Some(v) => format!(
            "{} · {}",
            get("scenario").and_then(Value::as_str).unwrap_or("?"),
            v
        ),
        None => get("scenario")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string(),
    };
    let name = crate::text::one_line(&name);
    let seeds = get("seeds").and_then(Value::as_array).map_or(0, Vec::len);
    let _ = writeln!(
        o,
        "== {name} ({seeds} seed{}) ==",
        if seeds == 1 { "" } else { "s" }
    );
    if let Some(d) = description(summary) {
        // Folded onto one line: a line of a description must not stand in a terminal or a
        // CI log as a line of its own (`::error …` is a workflow command to some CI).
        let folded = d.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(o, "{}", crate::text::printable(&folded));
    }
    let total = num("requests.total");
    let _ = writeln!(
        o,
        "requests   {} measured over {}s x {seeds}, {:.1} attempts/request; offered {:.1} rps, throughput {:.1} rps",
        total,
        num("measured_s"),
        num("retry_amplification"),
        num("offered_rps"),
        num("throughput_rps"),
    );
    if let Some(Value::Object(by)) = get("requests.by_status") {
        // A status seen only in the warm-up counts 0 here: nothing to say.
        let parts: Vec<String> = by
            .iter()
            .filter(|(_, v)| v.as_f64() != Some(0.0))
            .map(|(k, v)| {
                let n = v.as_f64().unwrap_or(0.0);
                let per_seed = columns::seed_values(summary, &format!("requests.by_status.{k}"));
                let share = 100.0 * n / total.max(1.0);
                let shown = columns::pooled_count(n, &per_seed, short);
                // Two parentheses in a row read badly: a count with its range takes a comma.
                if shown.range.is_some() {
                    format!("{k}: {shown}, {share:.2}%")
                } else {
                    format!("{k}: {shown} ({share:.2}%)")
                }
            })
            .collect();
        let _ = writeln!(o, "status     {}", parts.join("  "));
    }
    let _ = writeln!(
        o,
        "latency ms of successes: mean {}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        ms(num("latency_ms.mean")),
        ms(num("latency_ms.p50")),
        ms(num("latency_ms.p90")),
        ms(num("latency_ms.p99")),
        ms(num("latency_ms.p999")),
        ms(num("latency_ms.max")),
    );
    if let Some(ci) = summary["ci95"]
        .get("latency_ms.p99")
        .and_then(Value::as_array)
    {
        // Of the seeds' own p99s, whose mean can be far from the pooled p99 above (one seed's
        // slow spell is the pool's tail): the mean said beside its interval.
        let mean = crate::metrics::compare::mean_ci(summary, "latency_ms.p99").map(|m| m.0);
        if let (Some(lo), Some(hi), Some(mean)) = (ci[0].as_f64(), ci[1].as_f64(), mean) {
            let _ = writeln!(
                o,
                "           seeds' own p99: mean {}, 95% interval {} .. {}",
                ms(mean),
                ms(lo),
                ms(hi)
            );
        }
    }
    // Where requests failed, the same with each failure at its time to fail: a fast 503
    // leaves the p99 of successes low while users wait on timeouts.
    if num("error_rate") > 0.0 {
        let _ = writeln!(
            o,
            "           of all, a failure at its time to fail: mean {}  p50 {}  p99 {}  max {}",
            ms(num("latency_all_ms.mean")),
            ms(num("latency_all_ms.p50")),
            ms(num("latency_all_ms.p99")),
            ms(num("latency_all_ms.max")),
        );
    }
    if let Some(Value::Object(cs)) = get("components") {
        // The ids in a column as wide as the longest, so that every kind and figure lines up.
        let width = cs
            .keys()
            .map(|id| id.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        for (id, c) in cs {
            let kind = c.get("kind").and_then(Value::as_str).unwrap_or("?");
            let mut line = format!("  {id:<width$} {kind:<15}");
            let declared = crate::components::registry::info(kind).map_or(&[][..], |i| i.columns);
            let seeds = columns::seeds_of(summary, id);
            // The kind's figures, its first always, the rest when they say something; when
            // none does (a dead-letter queue nothing reached has no lag), its first figure
            // that has a value, zero as it is, so that no line is left bare.
            let mut said = false;
            for (i, col) in declared.iter().enumerate() {
                let shown = columns::value(col, c).is_some_and(|v| v != 0.0 || i == 0);
                if let (true, Some(text)) = (shown, columns::terminal(col, c, &seeds)) {
                    let _ = write!(line, " {text}");
                    said = true;
                }
            }
            if !said {
                if let Some(text) = declared
                    .iter()
                    .find_map(|col| columns::terminal(col, c, &seeds))
                {
                    let _ = write!(line, " {text}");
                }
            }
            if let Some(text) = columns::denied(c, &seeds, short) {
                let _ = write!(line, " denied by IAM {text}");
            }
            let _ = writeln!(o, "{line}");
        }
    }
    // Each part is one printable line already (`unpriced`).
    let left_out = unpriced(summary).join(", ");
    let rate = cost_rate(summary).map_or(String::new(), |r| format!("; {r}"));
    match get("cost_usd.total").and_then(Value::as_f64) {
        Some(total) if total > 0.0 && left_out.is_empty() => {
            let _ = writeln!(
                o,
                "cost       ${total:.4} for the measured period (per seed){rate}"
            );
        }
        Some(total) if total > 0.0 => {
            let _ = writeln!(
                o,
                "cost       ${total:.4} for the measured period (per seed){rate}; leaving out what is not priced: {left_out}"
            );
        }
        _ if !left_out.is_empty() => {
            let _ = writeln!(o, "cost       not priced: {left_out}");
        }
        _ => {}
    }
    if let Some(Value::Array(list)) = get("expectations") {
        for e in list {
            let pass = e["pass"].as_bool().unwrap_or(false);
            let _ = writeln!(
                o,
                "expect     {} {}: {}",
                if pass { "ok  " } else { "FAIL" },
                crate::expect::words_of_json(e),
                match (
                    e["value"].as_f64(),
                    e["problem"].as_str(),
                    e["seed"].as_u64()
                ) {
                    (_, Some(p), _) => p.to_string(),
                    (Some(v), None, Some(seed)) =>
                        format!("{} (seed {seed}, nearest the bound)", short(v)),
                    (Some(v), None, None) => short(v) + &summed_note(summary, e),
                    (None, None, _) => "?".into(),
                }
            );
        }
    }
    let _ = writeln!(
        o,
        "kernel     {} events in {:.2}s of CPU: {:.1} M events/s",
        num("kernel.events"),
        num("kernel.wall_s"),
        num("kernel.events_per_sec") / 1e6
    );
    o
}

/// " (the sum of 3 seeds)" after an expectation's value when it is a count pooled over
/// several seeds (a whole number in `summary.json`, judged on the pool, not on each seed).
pub(crate) fn summed_note(summary: &Value, e: &Value) -> String {
    let seeds = summary["seeds"].as_array().map_or(0, Vec::len);
    let whole = e["metric"]
        .as_str()
        .and_then(|m| crate::metrics::pointer(summary, m))
        .is_some_and(columns::is_summed);
    if seeds > 1 && whole && e["seed"].is_null() {
        format!(" (the sum of {seeds} seeds)")
    } else {
        String::new()
    }
}

/// The measured period's cost per hour [USD/h], for a bill's scale. It assumes the period's
/// traffic goes on, which a run of a spike or a daily peak does not stand for: said "at that
/// rate" wherever shown. `None` when nothing is priced or nothing was measured.
pub fn cost_per_hour(summary: &Value) -> Option<f64> {
    let total = summary["cost_usd"]["total"].as_f64()?;
    let secs = summary["measured_s"].as_f64()?;
    (total > 0.0 && secs > 0.0).then(|| total * 3600.0 / secs)
}

/// "$1.29 an hour, $942 a month at that rate" (a month of 730 hours, as AWS prorates).
fn cost_rate(summary: &Value) -> Option<String> {
    let hour = cost_per_hour(summary)?;
    Some(format!(
        "${} an hour, ${} a month at that rate",
        money(hour),
        money(hour * crate::components::MONTH_SECS / 3600.0)
    ))
}

/// Dollars to a useful precision: whole dollars from $100 (ungrouped, as the terminal's other
/// figures), cents from $1, three significant figures below; a figure that rounds up to the
/// next range is shown in it ($99.996 is $100, not $100.00).
pub fn money(usd: f64) -> String {
    if usd >= 99.995 {
        format!("{usd:.0}")
    } else if usd >= 0.9995 {
        format!("{usd:.2}")
    } else {
        let digits = (2 - usd.log10().floor() as i32).clamp(2, 8) as usize;
        format!("{usd:.digits$}")
    }
}

/// What a summary's cost leaves out (`cost_usd.unpriced`), as "RDS Proxy (db)" each, in
/// the components' order of the summary, each on one printable line (a results folder is
/// untrusted: a forged summary must not start a line of its own); nothing when everything
/// is priced.
pub fn unpriced(summary: &Value) -> Vec<String> {
    let Some(by) = summary["cost_usd"]["unpriced"].as_object() else {
        return Vec::new();
    };
    by.iter()
        .flat_map(|(id, parts)| {
            let parts = parts.as_array().map_or(&[][..], Vec::as_slice);
            parts
                .iter()
                .filter_map(Value::as_str)
                .map(move |p| crate::text::one_line(&format!("{p} ({id})")).into_owned())
        })
        .collect()
}

pub(crate) fn short(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 0.1 {
        format!("{v:.2}")
    } else {
        // Small values keep two significant digits: a cost difference of $0.004 is not 0.00.
        significant(v, 2)
    }
}

fn ms(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cost_is_also_said_per_hour_and_per_month_at_its_rate() {
        // $4.95 over 3.83 hours measured: $1.29 an hour, $943 a month of 730 hours.
        let s = json!({ "measured_s": 3.83 * 3600.0, "cost_usd": { "total": 4.95 } });
        assert_eq!(
            cost_rate(&s).as_deref(),
            Some("$1.29 an hour, $943 a month at that rate")
        );
        assert_eq!(money(0.01763), "0.0176");
        assert_eq!(money(12_345.4), "12345");
        // At a range's edge, the larger range's precision.
        assert_eq!(money(99.996), "100");
        assert_eq!(money(0.9996), "1.00");
        // Nothing priced, or nothing measured: no rate.
        assert_eq!(
            cost_rate(&json!({ "measured_s": 60.0, "cost_usd": { "total": 0.0 } })),
            None
        );
        assert_eq!(
            cost_rate(&json!({ "measured_s": 0.0, "cost_usd": { "total": 1.0 } })),
            None
        );
    }
}
