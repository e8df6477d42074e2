//! `archsim diff`: two results folders of the same scenarios compared, headline by headline,
//! in words for the terminal and as JSON.

use crate::metrics::compare::{Difference, HEADLINES};
use serde_json::{json, Value};

/// One scenario (or variant) found in both folders, and its headline differences `b − a`.
pub struct Compared {
    pub scenario: String,
    pub variant: Option<String>,
    pub differences: Vec<Difference>,
}

impl Compared {
    pub fn name(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{v}", self.scenario),
            None => self.scenario.clone(),
        }
    }

    pub fn moved(&self) -> bool {
        self.differences.iter().any(Difference::moved)
    }
}

fn words(metric: &str) -> &str {
    HEADLINES
        .iter()
        .find(|(m, _, _)| *m == metric)
        .map_or(metric, |(_, w, _)| w)
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

/// The comparison in words: each scenario, and for those that moved, each headline.
pub fn terminal(compared: &[Compared], only_a: &[String], only_b: &[String]) -> String {
    let mut out = String::new();
    for c in compared {
        if !c.moved() {
            out.push_str(&format!("{}: no headline moved\n", c.name()));
            continue;
        }
        out.push_str(&format!("{}: MOVED\n", c.name()));
        for d in &c.differences {
            let how = if d.paired {
                format!("{} seeds paired", d.n)
            } else {
                "seeds unpaired".to_string()
            };
            let interval = if d.lo.is_finite() {
                format!("95 % interval [{}, {}]", num(d.lo), num(d.hi))
            } else {
                "no interval".to_string()
            };
            out.push_str(&format!(
                "  {:<22} {:>10} → {:<10} {:>11}  {interval}, {how}{}\n",
                words(&d.metric),
                num(d.a),
                num(d.b),
                if d.mean > 0.0 {
                    format!("+{}", num(d.mean))
                } else {
                    num(d.mean)
                },
                if d.moved() { "  ← moved" } else { "" }
            ));
        }
    }
    for (names, side) in [(only_a, "first"), (only_b, "second")] {
        if !names.is_empty() {
            out.push_str(&format!(
                "only in the {side} folder: {}\n",
                names.join(", ")
            ));
        }
    }
    let moved = compared.iter().filter(|c| c.moved()).count();
    out.push_str(&format!(
        "diff: {moved} of {} scenario{} moved beyond its interval\n",
        compared.len(),
        if compared.len() == 1 { "" } else { "s" }
    ));
    out
}

/// The comparison as JSON.
pub fn json(compared: &[Compared], only_a: &[String], only_b: &[String]) -> Value {
    json!({
        "moved": compared.iter().any(Compared::moved),
        "scenarios": compared.iter().map(|c| json!({
            "scenario": c.scenario,
            "variant": c.variant,
            "moved": c.moved(),
            "differences": c.differences.iter().map(|d| {
                let mut v = d.to_json();
                v["moved"] = json!(d.moved());
                v["paired"] = json!(d.paired);
                v
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "only_in_first": only_a,
        "only_in_second": only_b,
    })
}
