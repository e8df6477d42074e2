//! `archsim check`'s verdicts for CI: JUnit XML (one test case per expectation per variant,
//! a failure carrying the `file:line:column` message) and a JSON list.

use crate::expect::Verdict;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// One verdict with what it was judged on.
pub struct Record<'a> {
    pub scenario: &'a str,
    /// The variant, in a scenario with variants.
    pub variant: Option<&'a str>,
    /// The scenario file, as given.
    pub file: String,
    pub verdict: &'a Verdict,
}

impl Record<'_> {
    /// The message a failure prints: `file:line:column: expectation fails: …`.
    pub fn message(&self) -> String {
        let e = &self.verdict.expectation;
        let on = self
            .variant
            .map_or(String::new(), |v| format!(" (variant {v})"));
        format!(
            "{}:{}:{}: expectation fails{on}: {}: {}",
            self.file,
            e.line,
            e.column,
            self.bound(),
            self.verdict.problem.as_deref().unwrap_or("")
        )
    }

    /// The test case's name: the expectation as written, the same at every run (a figure a
    /// run measured, as a relative bound's reference, is in the failure's message only).
    fn case_name(&self) -> String {
        let e = &self.verdict.expectation;
        match (self.variant, &e.variant) {
            (Some(v), _) => format!("{v}: {}", e.name()),
            (None, Some(v)) => format!("{} (variant {v})", e.name()),
            (None, None) => e.name(),
        }
    }

    /// The expectation in words; the variant it names, if it names one, is the record's,
    /// which the message and the test case say already.
    fn bound(&self) -> String {
        let e = &self.verdict.expectation;
        match self.variant {
            Some(_) => e.words(),
            None => e.describe(),
        }
    }
}

/// XML text with the five special characters escaped and control characters (which XML 1.0
/// cannot carry) written as `\u{…}`.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::one_line(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a test suite per scenario, a test case per expectation per variant.
pub fn junit(records: &[Record<'_>]) -> String {
    let failures = records.iter().filter(|r| !r.verdict.pass).count();
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"archsim check\" tests=\"{}\" failures=\"{failures}\">",
        records.len()
    );
    let mut i = 0;
    while i < records.len() {
        let scenario = records[i].scenario;
        let n = records[i..]
            .iter()
            .take_while(|r| r.scenario == scenario)
            .count();
        let group = &records[i..i + n];
        let _ = writeln!(
            o,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{}\">",
            xml(scenario),
            group.iter().filter(|r| !r.verdict.pass).count()
        );
        for r in group {
            let classname = match r.variant {
                Some(v) => format!("{scenario}.{v}"),
                None => scenario.to_string(),
            };
            let _ = write!(
                o,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                xml(&r.case_name()),
                xml(&classname),
                xml(&r.file),
                r.verdict.expectation.line
            );
            if r.verdict.pass {
                o.push_str("/>\n");
            } else {
                let msg = r.message();
                let _ = writeln!(
                    o,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    xml(&msg),
                    xml(&msg)
                );
            }
        }
        o.push_str("  </testsuite>\n");
        i += n;
    }
    o.push_str("</testsuites>\n");
    o
}

/// A problem that stopped a check before any verdict, with where it is when it is at a place
/// of a scenario file (a malformed value: `bad.toml:10:11: …`).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The whole message, as printed.
    pub message: String,
    /// The file, line and column it names.
    pub at: Option<(String, usize, usize)>,
}

impl Problem {
    /// A problem at no place of a file (a run that stopped, a folder that cannot be read).
    pub fn unlocated(message: String) -> Problem {
        Problem { message, at: None }
    }
}

/// JUnit XML for a check that judged nothing: one errored test case per problem that stopped
/// it (a malformed scenario, a run that failed), with the file and line of one that names
/// them, so that a CI dashboard shows why, where it would otherwise find no results. `code`
/// is the exit status.
pub fn junit_refused(problems: &[Problem], code: u8) -> String {
    let n = problems.len();
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"archsim check\" tests=\"{n}\" failures=\"0\" errors=\"{n}\">"
    );
    let _ = writeln!(
        o,
        "  <testsuite name=\"archsim check\" tests=\"{n}\" failures=\"0\" errors=\"{n}\">"
    );
    for (i, p) in problems.iter().enumerate() {
        // The message's first line (a located diagnostic's `file:line:column: …`) names it.
        let first = p.message.lines().next().unwrap_or("");
        let body: Vec<String> = p.message.lines().map(xml).collect();
        let at = p.at.as_ref().map_or(String::new(), |(file, line, _)| {
            format!(" file=\"{}\" line=\"{line}\"", xml(file))
        });
        let _ = writeln!(
            o,
            "    <testcase name=\"not checked ({})\" classname=\"archsim check\"{at}>\n      <error message=\"{}\" type=\"exit status {code}\">{}</error>\n    </testcase>",
            i + 1,
            xml(first),
            body.join("\n")
        );
    }
    o.push_str("  </testsuite>\n</testsuites>\n");
    o
}

/// The JSON list for a check that judged nothing: an entry per problem that stopped it, with
/// `pass` false, `problem` its message and `exit_status`, its `file`, `line` and `column`
/// when it names them, the other keys null, so that a script that requires every entry to
/// pass fails, as the check did.
pub fn json_refused(problems: &[Problem], code: u8) -> Value {
    Value::Array(
        problems
            .iter()
            .map(|p| {
                let (file, line, column) = match &p.at {
                    Some((f, l, c)) => (json!(f), json!(l), json!(c)),
                    None => (Value::Null, Value::Null, Value::Null),
                };
                json!({
                    "scenario": null,
                    "variant": null,
                    "file": file,
                    "line": line,
                    "column": column,
                    "expectation": null,
                    "metric": null,
                    "series": null,
                    "min": null,
                    "max": null,
                    "value": null,
                    "seed": null,
                    "pass": false,
                    "problem": p.message,
                    "exit_status": code,
                })
            })
            .collect(),
    )
}

/// The verdicts as a JSON list.
pub fn json(records: &[Record<'_>]) -> Value {
    Value::Array(
        records
            .iter()
            .map(|r| {
                let e = &r.verdict.expectation;
                let mut o = json!({
                    "scenario": r.scenario,
                    "variant": r.variant,
                    "file": r.file,
                    "line": e.line,
                    "column": e.column,
                    "expectation": e.describe(),
                    // A series' path apart from a number's, as summary.json lists them.
                    "metric": e.window.is_none().then_some(&e.metric),
                    "series": e.window.is_some().then_some(&e.metric),
                    "min": e.min,
                    "max": e.max,
                    "value": r.verdict.value,
                    "seed": r.verdict.seed,
                    "pass": r.verdict.pass,
                    "problem": r.verdict.problem,
                });
                // Bounds made of another variant's figure: which, and the ratios written,
                // as summary.json lists them.
                if let Some(rel) = &e.relative {
                    rel.put_json(&mut o);
                }
                o
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expect::{Expectation, Verdict};

    #[test]
    fn an_expectation_on_one_variant_names_it_once() {
        let verdict = |variant: Option<&str>| Verdict {
            expectation: Expectation {
                metric: "latency_ms.p99".into(),
                window: None,
                min: None,
                max: Some(30.0),
                each_seed: false,
                variant: variant.map(str::to_string),
                variant_at: (0, 0),
                line: 19,
                column: 10,
                share: false,
                relative: None,
            },
            value: Some(41.0),
            seed: None,
            per_seed: Vec::new(),
            pass: false,
            problem: Some("41 is above 30".into()),
        };
        fn record(v: &Verdict) -> Record<'_> {
            Record {
                scenario: "vexp",
                variant: Some("two-servers"),
                file: "vexp.toml".into(),
                verdict: v,
            }
        }
        // Written for variant two-servers alone, or for every variant: the same words.
        for written in [Some("two-servers"), None] {
            let v = verdict(written);
            let r = record(&v);
            assert_eq!(
                r.message(),
                "vexp.toml:19:10: expectation fails (variant two-servers): latency_ms.p99 ≤ 30: 41 is above 30"
            );
            assert_eq!(r.case_name(), "two-servers: latency_ms.p99 ≤ 30");
        }
        // The JSON list keeps the expectation as written, variant included.
        let v = verdict(Some("two-servers"));
        assert_eq!(
            json(&[record(&v)])[0]["expectation"],
            "latency_ms.p99 ≤ 30 (variant two-servers)"
        );
    }
}
