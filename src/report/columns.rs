//! A kind's declared columns (`KindInfo::columns`) as table headers and cells: the one way
//! the terminal, `report.html` and `index.html` show a component's own figures.

use crate::components::kind::{Column, KindInfo, Unit};
use crate::components::registry;
use crate::metrics::pointer;
use serde_json::Value;

/// A column's header with its unit: "mean response [ms]".
pub fn header(c: &Column) -> String {
    match unit_suffix(c.unit) {
        "" => c.label.to_string(),
        u => format!("{} [{u}]", c.label),
    }
}

/// The unit a value of `u` is written in beside it, as the tables show it (a share as a
/// percentage); empty for a count or a plain number.
pub(crate) fn unit_suffix(u: Unit) -> &'static str {
    match u {
        Unit::Share | Unit::Percent => "%",
        Unit::Milliseconds => "ms",
        Unit::Seconds => "s",
        Unit::Usd => "$",
        Unit::PerSecond => "/s",
        Unit::Count | Unit::Number => "",
    }
}

/// A column's value for a component's summary, in the column's unit (a share as a
/// percentage), if the component has it.
pub fn value(c: &Column, component: &Value) -> Option<f64> {
    let v = pointer(component, c.field)?.as_f64()?;
    Some(if c.unit == Unit::Share { 100.0 * v } else { v })
}

/// A whole number as `whole` writes it, any other as `other` does.
fn count_with(v: f64, whole: fn(f64) -> String, other: &dyn Fn(f64) -> String) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        whole(v)
    } else {
        other(v)
    }
}

/// A count for a page: whole, thousands grouped ("1", "12 001"), never "1.00".
pub fn count(v: f64) -> String {
    count_with(v, super::html::fmt_whole, &super::html::fmt)
}

/// Each seed's own summary of component `id` (from the summary's `per_seed`), in seed
/// order; empty when the summary holds no seeds' own figures.
pub fn seeds_of<'a>(summary: &'a Value, id: &str) -> Vec<&'a Value> {
    summary["per_seed"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|s| &s["components"][id])
        .collect()
}

/// Each seed's value of the count at `path` in the summary's `per_seed`; empty without
/// them. A seed that lacks the count had none: counts kept by label (`by_status`'s, a
/// call's denials) are written only where some happened, so a 504 in two seeds of three is
/// "1.3 per seed (0–2)", not their sum passed off as the whole.
pub fn seed_values(summary: &Value, path: &str) -> Vec<f64> {
    summary["per_seed"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|s| pointer(s, path).and_then(Value::as_f64).unwrap_or(0.0))
        .collect()
}

/// The seeds' values, one a seed, if every seed has one; else none: a range over only some
/// of the seeds would pass for the range over all of them.
fn every_seed(values: impl Iterator<Item = Option<f64>>) -> Vec<f64> {
    values.collect::<Option<Vec<f64>>>().unwrap_or_default()
}

/// A count pooled over seeds as `pooled_count` shows it; as text, "4.3 per seed (4–5)" or
/// the count alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Pooled {
    /// One seed's worth, "4.3", or the count alone ("4" of one seed, "0" of none in any).
    pub value: String,
    /// Over several seeds, their range, "4–5", or "every seed" when they agree: `value`
    /// is then per seed.
    pub range: Option<String>,
}

impl std::fmt::Display for Pooled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.range {
            Some(range) => write!(f, "{} per seed ({range})", self.value),
            None => f.write_str(&self.value),
        }
    }
}

/// A count pooled over seeds as shown: alone for one seed; over several, one seed's worth
/// (the seeds' mean) and their range, "4.3 per seed (4–5)", since the pooled figure is
/// their sum and grows with the number of seeds. `per_seed` are the seeds' own values and
/// `whole` writes a whole number.
pub fn pooled_count(total: f64, per_seed: &[f64], whole: fn(f64) -> String) -> Pooled {
    // A mean of counts: one decimal below 100 ("4.3"), whole above.
    let one = |v: f64| {
        count_with(v, whole, &|v: f64| {
            if v.abs() < 100.0 {
                format!("{v:.1}")
            } else {
                whole(v.round())
            }
        })
    };
    // None in any seed is none: nothing to say per seed.
    if per_seed.len() < 2 || total == 0.0 {
        return Pooled {
            value: one(total),
            range: None,
        };
    }
    let lo = per_seed.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = per_seed.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = per_seed.iter().sum::<f64>() / per_seed.len() as f64;
    if lo == hi {
        Pooled {
            value: one(lo),
            range: Some("every seed".into()),
        }
    } else {
        Pooled {
            value: one(mean),
            range: Some(format!("{}–{}", one(lo), one(hi))),
        }
    }
}

pub use crate::metrics::is_summed;

/// Whether a column holds what was left at a seed's end (a queue's messages in flight, a
/// function's events waiting: a field ending in `_end`): a count of one instant, pooled
/// over seeds as their mean, which it is shown as with their range, as a summed count is.
fn end_state(c: &Column) -> bool {
    c.unit == Unit::Number && c.field.ends_with("_end")
}

/// The seeds' own values of a summed count or an end state, when there are several seeds
/// and each has it.
fn per_seed_of(c: &Column, component: &Value, seeds: &[&Value]) -> Vec<f64> {
    let counted = end_state(c) || pointer(component, c.field).is_some_and(is_summed);
    if seeds.len() < 2 || !counted {
        return Vec::new();
    }
    every_seed(seeds.iter().map(|s| value(c, s)))
}

/// A value as a table cell: a few significant digits, thousands grouped; "–" when absent.
/// `seeds` are the component's summaries of each seed (`seeds_of`): a count summed over
/// several is shown per seed.
pub fn cell(c: &Column, component: &Value, seeds: &[&Value]) -> String {
    value(c, component).map_or("–".into(), |v| match c.unit {
        Unit::Usd => format!("{v:.4}"),
        _ if c.unit == Unit::Count || end_state(c) => {
            pooled_count(v, &per_seed_of(c, component, seeds), super::html::fmt_whole).to_string()
        }
        _ => super::html::fmt(v),
    })
}

/// A value as the terminal shows it, with its unit: "utilisation 41.9%", "cost $0.0123";
/// a count summed over several seeds per seed, "scale-outs 4.3 per seed (4–5)".
pub fn terminal(c: &Column, component: &Value, seeds: &[&Value]) -> Option<String> {
    let v = value(c, component)?;
    Some(match c.unit {
        // A share too small for one decimal keeps two significant digits: 11 cold starts in
        // 90,000 invocations are 0.012 %, not 0.0 % (the page shows 0.012 too).
        Unit::Share | Unit::Percent if v != 0.0 && v.abs() < 0.05 => {
            format!("{} {}%", c.label, super::significant(v, 2))
        }
        Unit::Share | Unit::Percent => format!("{} {v:.1}%", c.label),
        Unit::Usd => format!("{} ${v:.4}", c.label),
        // Ten seconds and more read as seconds: "async lag p99 1112 s", not 1112001 ms.
        Unit::Milliseconds if v.abs() >= 10_000.0 => {
            format!("{} {} s", c.label, super::short(v / 1000.0))
        }
        Unit::Milliseconds => format!("{} {} ms", c.label, super::short(v)),
        Unit::Seconds => format!("{} {} s", c.label, super::short(v)),
        _ if c.unit == Unit::Count || end_state(c) => format!(
            "{} {}",
            c.label,
            pooled_count(v, &per_seed_of(c, component, seeds), super::short)
        ),
        _ => format!("{} {}", c.label, super::short(v)),
    })
}

/// The calls a component's role denied (`access.denied.<callee>`), as "5999 to orders",
/// each callee's count per seed over several seeds; `None` when its role denied none. The
/// callees are any kind's, so this is no column a kind declares: every table and terminal
/// line shows it beside the kind's own.
pub fn denied(component: &Value, seeds: &[&Value], whole: fn(f64) -> String) -> Option<String> {
    let by_callee = component["access"]["denied"].as_object()?;
    let parts: Vec<String> = by_callee
        .iter()
        .filter_map(|(callee, n)| {
            let n = n.as_f64().filter(|&n| n > 0.0)?;
            let per_seed: Vec<f64> = if seeds.len() > 1 {
                seeds
                    .iter()
                    .map(|s| {
                        s["access"]["denied"][callee.as_str()]
                            .as_f64()
                            .unwrap_or(0.0)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Some(format!("{} to {callee}", pooled_count(n, &per_seed, whole)))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The kinds of a summary's components, in registry order, with their components.
pub fn by_kind(summary: &Value) -> Vec<(&'static KindInfo, Vec<(&str, &Value)>)> {
    let Some(cs) = summary["components"].as_object() else {
        return Vec::new();
    };
    registry::KINDS
        .iter()
        .filter_map(|k| {
            let members: Vec<(&str, &Value)> = cs
                .iter()
                .filter(|(_, c)| c["kind"].as_str() == Some(k.info.name))
                .map(|(id, c)| (id.as_str(), c))
                .collect();
            (!members.is_empty()).then_some((k.info, members))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn denied_calls_are_said_by_callee_and_per_seed() {
        let fmt = crate::report::html::fmt_whole;
        let one = json!({ "access": { "denied": { "orders": 5999 } } });
        assert_eq!(
            denied(&one, &[], fmt).as_deref(),
            Some("5\u{202f}999 to orders")
        );
        assert_eq!(denied(&json!({ "calls": 10 }), &[], fmt), None);
        // Three seeds: the ledger's calls were denied 2, 3 and no times.
        let pooled = json!({ "access": { "denied": { "ledger": 5, "audit": 3 } } });
        let seeds = [
            json!({ "access": { "denied": { "ledger": 2, "audit": 1 } } }),
            json!({ "access": { "denied": { "ledger": 3, "audit": 1 } } }),
            json!({ "access": { "denied": { "audit": 1 } } }),
        ];
        let seeds: Vec<&Value> = seeds.iter().collect();
        assert_eq!(
            denied(&pooled, &seeds, fmt).as_deref(),
            Some("1.7 per seed (0–3) to ledger, 1 per seed (every seed) to audit")
        );
    }

    #[test]
    fn a_count_a_seed_lacks_is_none_in_that_seed() {
        // by_status keeps only the statuses that happened: the third seed had no timeout.
        let summary = json!({
            "requests": { "by_status": { "timeout": 4 } },
            "per_seed": [
                { "requests": { "by_status": { "timeout": 2, "200": 5 } } },
                { "requests": { "by_status": { "timeout": 2, "200": 5 } } },
                { "requests": { "by_status": { "200": 5 } } },
            ],
        });
        let per_seed = seed_values(&summary, "requests.by_status.timeout");
        assert_eq!(per_seed, [2.0, 2.0, 0.0]);
        assert_eq!(
            pooled_count(4.0, &per_seed, crate::report::html::fmt_whole).to_string(),
            "1.3 per seed (0–2)"
        );
        assert!(seed_values(&json!({ "requests": {} }), "requests.total").is_empty());
    }

    const SCALE_OUTS: Column = Column {
        label: "scale-outs",
        field: "scale_outs",
        unit: Unit::Count,
    };
    const MAX_INSTANCES: Column = Column {
        label: "max instances",
        field: "instances_max",
        unit: Unit::Count,
    };

    #[test]
    fn a_long_time_in_milliseconds_reads_in_seconds() {
        const LAG: Column = Column {
            label: "async lag p99",
            field: "async.lag_ms.p99",
            unit: Unit::Milliseconds,
        };
        let at = |ms: f64| terminal(&LAG, &json!({ "async": { "lag_ms": { "p99": ms } } }), &[]);
        assert_eq!(at(1_112_001.2).as_deref(), Some("async lag p99 1112 s"));
        assert_eq!(at(9_999.0).as_deref(), Some("async lag p99 9999 ms"));
        assert_eq!(at(10_400.0).as_deref(), Some("async lag p99 10.40 s"));
        assert_eq!(at(1.48).as_deref(), Some("async lag p99 1.48 ms"));
        assert_eq!(terminal(&LAG, &json!({ "timeouts": 0 }), &[]), None);
    }

    #[test]
    fn a_small_share_is_not_shown_as_zero() {
        const COLD: Column = Column {
            label: "cold starts, of invocations",
            field: "cold_start_fraction",
            unit: Unit::Share,
        };
        let shown = |v: f64| terminal(&COLD, &json!({ "cold_start_fraction": v }), &[]).unwrap();
        assert_eq!(shown(0.000_12), "cold starts, of invocations 0.012%");
        assert_eq!(shown(0.0), "cold starts, of invocations 0.0%");
        assert_eq!(shown(0.419), "cold starts, of invocations 41.9%");
        assert_eq!(shown(0.0004), "cold starts, of invocations 0.040%");
    }

    #[test]
    fn a_count_summed_over_seeds_is_shown_per_seed_with_its_range() {
        let pooled = json!({ "scale_outs": 13, "instances_max": 10.0 });
        let seeds = [
            json!({ "scale_outs": 4, "instances_max": 9.0 }),
            json!({ "scale_outs": 4, "instances_max": 10.0 }),
            json!({ "scale_outs": 5, "instances_max": 8.0 }),
        ];
        let seeds: Vec<&Value> = seeds.iter().collect();
        assert_eq!(
            terminal(&SCALE_OUTS, &pooled, &seeds).unwrap(),
            "scale-outs 4.3 per seed (4–5)"
        );
        assert_eq!(cell(&SCALE_OUTS, &pooled, &seeds), "4.3 per seed (4–5)");
        // A maximum is the largest seed's, not a sum: shown as it is, whole.
        assert_eq!(cell(&MAX_INSTANCES, &pooled, &seeds), "10");
        assert_eq!(
            terminal(&MAX_INSTANCES, &pooled, &seeds).unwrap(),
            "max instances 10"
        );
        // One seed: the count alone.
        let one = json!({ "scale_outs": 4 });
        assert_eq!(cell(&SCALE_OUTS, &one, &[&one]), "4");
        assert_eq!(
            terminal(&SCALE_OUTS, &one, &[&one]).unwrap(),
            "scale-outs 4"
        );
    }

    #[test]
    fn what_was_left_at_each_seeds_end_is_shown_per_seed_with_its_range() {
        // A queue's messages in flight at the end: 3 seeds left 8,100, 8,300 and 8,500; the
        // summary pools them as their mean. Without the range it read as the one run's.
        const IN_FLIGHT_END: Column = Column {
            label: "in flight at end",
            field: "in_flight_end",
            unit: Unit::Number,
        };
        let pooled = json!({ "in_flight_end": 8300.0 });
        let seeds = [
            json!({ "in_flight_end": 8100.0 }),
            json!({ "in_flight_end": 8300.0 }),
            json!({ "in_flight_end": 8500.0 }),
        ];
        let seeds: Vec<&Value> = seeds.iter().collect();
        assert_eq!(
            terminal(&IN_FLIGHT_END, &pooled, &seeds).unwrap(),
            "in flight at end 8300 per seed (8100–8500)"
        );
        assert_eq!(
            cell(&IN_FLIGHT_END, &pooled, &seeds),
            "8\u{202f}300 per seed (8\u{202f}100–8\u{202f}500)"
        );
        // One seed: the number alone; nothing left in any seed: 0.
        let one = json!({ "in_flight_end": 12.0 });
        assert_eq!(
            terminal(&IN_FLIGHT_END, &one, &[&one]).unwrap(),
            "in flight at end 12"
        );
        let none = json!({ "in_flight_end": 0.0 });
        assert_eq!(cell(&IN_FLIGHT_END, &none, &[&none, &none]), "0");
        // Any other number stays the pooled figure it is.
        const BACKLOG_MEAN: Column = Column {
            label: "mean backlog",
            field: "backlog_mean",
            unit: Unit::Number,
        };
        let pooled = json!({ "backlog_mean": 2.5 });
        let seeds = [
            json!({ "backlog_mean": 2.0 }),
            json!({ "backlog_mean": 3.0 }),
        ];
        let seeds: Vec<&Value> = seeds.iter().collect();
        assert_eq!(
            terminal(&BACKLOG_MEAN, &pooled, &seeds).unwrap(),
            "mean backlog 2.50"
        );
    }

    #[test]
    fn pooled_counts_read_as_whole_numbers_and_equal_seeds_say_so() {
        let page = super::super::html::fmt_whole;
        assert_eq!(
            pooled_count(13.0, &[4.0, 4.0, 5.0], page),
            Pooled {
                value: "4.3".into(),
                range: Some("4–5".into())
            }
        );
        assert_eq!(pooled_count(1.0, &[], page).to_string(), "1");
        assert_eq!(pooled_count(0.0, &[0.0, 0.0, 0.0], page).to_string(), "0");
        assert_eq!(
            pooled_count(8.0, &[4.0, 4.0], page).to_string(),
            "4 per seed (every seed)"
        );
        assert_eq!(
            pooled_count(
                596_882.0,
                &[199_898.0, 198_000.0, 198_984.0],
                super::super::short
            )
            .to_string(),
            "198961 per seed (198000–199898)"
        );
        assert_eq!(count(1.0), "1");
        assert_eq!(count(12_001.0), "12\u{202f}001");
    }
}
