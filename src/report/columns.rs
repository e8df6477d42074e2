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

fn unit_suffix(u: Unit) -> &'static str {
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

/// A value as a table cell: a few significant digits, thousands grouped; "–" when absent.
pub fn cell(c: &Column, component: &Value) -> String {
    value(c, component).map_or("–".into(), |v| match c.unit {
        Unit::Usd => format!("{v:.4}"),
        // A count is whole when it is one (a mean over seeds may not be).
        Unit::Count if v.fract() == 0.0 && v.abs() < 1000.0 => format!("{v:.0}"),
        _ => super::html::fmt(v),
    })
}

/// A value as the terminal shows it, with its unit: "utilisation 41.9%", "cost $0.0123".
pub fn terminal(c: &Column, component: &Value) -> Option<String> {
    let v = value(c, component)?;
    Some(match c.unit {
        Unit::Share | Unit::Percent => format!("{} {v:.1}%", c.label),
        Unit::Usd => format!("{} ${v:.4}", c.label),
        Unit::Milliseconds => format!("{} {} ms", c.label, super::short(v)),
        Unit::Seconds => format!("{} {} s", c.label, super::short(v)),
        _ => format!("{} {}", c.label, super::short(v)),
    })
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
