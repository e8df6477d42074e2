//! Validation with positions: every problem becomes a `Diagnostic` naming the file, line,
//! column, the key, what is wrong and what is allowed. Problems are collected, not stopped at.

use super::calls::{CallSpec, OpChoice};
use super::keys::{Key, KeyType, CALL, RETRY};
use super::raw::{Quantity, RawCall, RawDist, RawRetry, RetryOn};
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::retry::{Backoff, Jitter, RetryPolicy, RetrySpec, SDKS, SDK_WORDS};
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeValue, ValueDeserializer};
use toml::Spanned;

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    /// `file:line:column: message`, on one line, with anything a terminal would act on
    /// escaped (the message may quote the scenario); a problem with a value from outside the
    /// file (line 0) says where it came from instead: `--set db.x=4: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(
                f,
                "{}: {}",
                crate::text::one_line(&self.file.display().to_string()),
                crate::text::one_line(&self.message)
            );
        }
        write!(
            f,
            "{}:{}:{}: {}",
            crate::text::one_line(&self.file.display().to_string()),
            self.line,
            self.column,
            crate::text::one_line(&self.message)
        )
    }
}

/// Everything wrong with one scenario file.
#[derive(Clone, Debug, thiserror::Error)]
pub struct ScenarioError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The operations a table, a cache or a bucket takes as writes when its `writes` is not
/// written (`Checker::write_ops`).
pub const DEFAULT_WRITES: &[&str] = &["write", "put", "update", "delete"];

/// Collects diagnostics while a scenario is validated, and the names it interns on the way.
pub struct Checker {
    file: PathBuf,
    line_starts: Vec<usize>,
    pub diagnostics: Vec<Diagnostic>,
    /// Likely mistakes that do not stop the scenario (a zone only one component uses).
    pub warnings: Vec<Diagnostic>,
    /// Component ids in file order: `to`, `target` and `targets` resolve against these.
    pub component_ids: Vec<String>,
    /// Each id's index in `component_ids`, so that resolving a call is not a scan.
    component_index: std::collections::HashMap<String, usize>,
    /// Operation names, interned: a request carries the index.
    pub ops: Vec<String>,
    /// Each operation name's index in `ops`, so that interning is not a scan.
    op_index: std::collections::HashMap<String, u16>,
    /// More than `limits::MAX_OPS` were named (refused, once).
    too_many_ops: bool,
    /// For each operation, whether a component names it (as one of its writes, a route's,
    /// an error's…): a request's operation only matters where one does.
    /// For each operation a component lists, what listing it means: the words that end
    /// "`x` is listed by …" (the first component's), for a warning about a near name.
    op_meaning: Vec<Option<&'static str>>,
    /// The operations requests are sent with (a workload's mix, a call's `op`) and where
    /// each is written, to tell of a sent name no component knows (`unnamed_ops`).
    sent_ops: Vec<(u16, Range<usize>)>,
    /// The files the scenario read besides itself (traces), with a digest of each content.
    pub inputs: Vec<(PathBuf, u64)>,
    /// Words put before every message (`variant "x": `), when one file yields several
    /// scenarios.
    pub prefix: Option<String>,
    /// What set `scenario.duration` when an override did rather than the file (`--set
    /// scenario.duration=2m`, a variant): a step, a spike or a fault at or after that end is
    /// left out with a warning instead of refused, as a run shortened on purpose (a smoke
    /// test in CI) leaves out what comes later. `None`: the file's own duration, which a
    /// time past it contradicts (an error).
    pub duration_set_by: Option<String>,
    /// The file's own `duration`, when it gives one that reads: only what would begin
    /// before it and after an override's shorter end is left out (a time past the file's
    /// own end is the file's mistake, whatever an override says).
    pub file_duration: Option<SimTime>,
    /// Where values that are not in the file come from (`--set db.read_replicas=4`): the
    /// offsets past the file's end from the first to the second (inclusive) stand for the
    /// third. Each has its own, so a value parsed from one keeps spans of its own.
    origins: Vec<(usize, usize, String)>,
    text_len: usize,
    /// Inside `table`: whether a value of the wrong type was taken out of it (`Some(true)`),
    /// after which only problems of single values are reported. `None`: outside `table`.
    partial: Option<bool>,
    /// Inside `also_allowed`: the byte offsets of a table's own keys, and the keys taken out
    /// of it before its parser saw it, which an unknown key of that table is told of too.
    also: Option<(Vec<usize>, Vec<&'static str>)>,
    /// Inside `declared`: the declarations of the table read, which tell a value of the
    /// wrong type what its key takes.
    declared: &'static [Key],
}

impl Checker {
    /// Who shortened the run, when an override did and `t` begins before the file's own
    /// end: then what begins at `t`, past the run's end, is left out with a warning naming
    /// them; otherwise it is a mistake (`duration_set_by`).
    pub fn shortened_by(&self, t: SimTime) -> Option<String> {
        self.duration_set_by
            .clone()
            .filter(|_| self.file_duration.is_some_and(|d| t < d))
    }

    pub fn new(file: &Path, src: &str) -> Checker {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Checker {
            file: file.to_path_buf(),
            line_starts,
            diagnostics: Vec::new(),
            warnings: Vec::new(),
            component_ids: Vec::new(),
            component_index: std::collections::HashMap::new(),
            ops: Vec::new(),
            op_index: std::collections::HashMap::new(),
            too_many_ops: false,
            op_meaning: Vec::new(),
            sent_ops: Vec::new(),
            inputs: Vec::new(),
            prefix: None,
            duration_set_by: None,
            file_duration: None,
            origins: Vec::new(),
            text_len: src.len(),
            partial: None,
            also: None,
            declared: &[],
        }
    }

    /// A span that stands for a value from outside the file, such as a `--set` argument:
    /// messages about it name `label` instead of a line and column.
    pub fn synthetic(&mut self, label: String) -> Range<usize> {
        self.synthetic_with(label, 0)
    }

    /// `synthetic`, with `len` more offsets after the point reserved for the spans inside a
    /// value parsed from the label's text (`variants::shifted`): a mistake inside it is then
    /// said as the label's, and told apart from one in the file, whose offsets these are not.
    pub fn synthetic_with(&mut self, label: String, len: usize) -> Range<usize> {
        let at = self
            .origins
            .last()
            .map_or(self.text_len + 1, |(_, end, _)| end + 1);
        self.origins.push((at, at + len, label));
        at..at
    }

    /// Declares the scenario's component ids, in file order (an empty id for a component
    /// whose header could not be read). The first of two equal ids wins.
    pub fn set_component_ids(&mut self, ids: Vec<String>) {
        self.component_index.clear();
        for (i, id) in ids.iter().enumerate() {
            if !id.is_empty() {
                self.component_index.entry(id.clone()).or_insert(i);
            }
        }
        self.component_ids = ids;
    }

    /// The index of a component id, if the scenario has it.
    pub fn component_position(&self, id: &str) -> Option<usize> {
        self.component_index.get(id).copied()
    }

    /// (line, column), both from 1, of a byte offset. Columns count characters' bytes, which
    /// matches what editors show for the ASCII that scenario keys and values are made of.
    fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        (line, offset - self.line_starts[line - 1] + 1)
    }

    /// The scenario file this checker reads.
    pub fn file(&self) -> &std::path::Path {
        &self.file
    }

    /// The byte offset of a (line, column) position, for a message about something whose
    /// position was kept rather than its span.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .map_or(0, |s| s + column.saturating_sub(1))
    }

    /// The line (from 1) of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.position(offset).0
    }

    /// (line, column), both from 1, of a byte offset, for messages given after a run.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        self.position(offset)
    }

    /// A problem. Not reported while a table is read without a value of the wrong type
    /// (`table`): it may be about the key that was taken out (one it "needs"), or about a
    /// default that stands in for it.
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        if self.partial != Some(true) {
            self.value_error(span, message);
        }
    }

    /// A problem with one value written in the file, judged on that value alone (a word
    /// that is not one of a set, a number out of its range, an id that names nothing):
    /// reported even while a table is read without a value of the wrong type (`table`), since
    /// nothing taken out can have caused it.
    pub fn value_error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let d = self.diagnostic(span, message.into());
        self.diagnostics.push(d);
    }

    /// A problem at `line` of another file the scenario names (a trace), said as the
    /// scenario's own are (with the variant it was found in).
    pub fn error_in_file(&mut self, file: PathBuf, line: usize, message: String) {
        let message = self.prefixed(message);
        self.diagnostics.push(Diagnostic {
            file,
            line,
            column: 1,
            message,
        });
    }

    /// A message with the Checker's prefix (the variant it was found in), if it has one.
    fn prefixed(&self, message: String) -> String {
        match &self.prefix {
            Some(p) => format!("{p}{message}"),
            None => message,
        }
    }

    /// A likely mistake that does not make the scenario wrong: shown, not refused (nor
    /// while a table is read without a value of the wrong type, as `error`).
    pub fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        if self.partial != Some(true) {
            let d = self.diagnostic(span, message.into());
            self.warnings.push(d);
        }
    }

    /// Reads one table (a component, a workload) with `read`, so that a value of the wrong
    /// type in it hides no other mistake: `deserialize` takes such a value out and goes on,
    /// and `read` then validates the rest, reporting only problems of single values
    /// (`value_error`), as any other (a missing key, a comparison of two keys, a default
    /// standing in) could stem from the value taken out. The table is then refused (`None`)
    /// whatever `read` made of it: the scenario is wrong, and every problem of its values
    /// is reported in one pass.
    pub fn table<T>(&mut self, read: impl FnOnce(&mut Checker) -> Option<T>) -> Option<T> {
        let outer = self.partial.replace(false);
        let value = read(self);
        let taken_out = self.partial == Some(true);
        self.partial = outer;
        value.filter(|_| !taken_out)
    }

    /// Reads a table with `read`, telling an unknown key among its own (written at one of
    /// the byte offsets `top`) that `keys` are allowed there too: the keys taken out of the
    /// table before its parser saw it (a component's `id`, `kind`, `az`, …). A key of a table
    /// nested in it is told only of that table's.
    pub fn also_allowed<T>(
        &mut self,
        top: Vec<usize>,
        keys: Vec<&'static str>,
        read: impl FnOnce(&mut Checker) -> T,
    ) -> T {
        let outer = self.also.replace((top, keys));
        let value = read(self);
        self.also = outer;
        value
    }

    /// Reads a table declared by `keys` (a kind's, the workload's, …) with `read`: a value of
    /// the wrong type in it is told what its key takes, as declared (a duration's unit, a
    /// word's choices), and nothing when the key takes neither.
    pub fn declared<T>(&mut self, keys: &'static [Key], read: impl FnOnce(&mut Checker) -> T) -> T {
        let outer = std::mem::replace(&mut self.declared, keys);
        let value = read(self);
        self.declared = outer;
        value
    }

    fn diagnostic(&self, span: Range<usize>, message: String) -> Diagnostic {
        let message = self.prefixed(message);
        if let Some((_, _, label)) = self
            .origins
            .iter()
            .find(|(start, end, _)| (*start..=*end).contains(&span.start))
        {
            return Diagnostic {
                file: PathBuf::from(label),
                line: 0,
                column: 0,
                message,
            };
        }
        let (line, column) = self.position(span.start);
        Diagnostic {
            file: self.file.clone(),
            line,
            column,
            message,
        }
    }

    /// The value, with the warnings found, if no error was; otherwise every error.
    pub fn into_result<T>(
        mut self,
        value: Option<T>,
    ) -> Result<(T, Vec<Diagnostic>), ScenarioError> {
        match value {
            Some(v) if self.diagnostics.is_empty() => {
                self.warnings.sort_by_key(|d| (d.line, d.column));
                self.warnings.dedup();
                Ok((v, self.warnings))
            }
            _ => {
                self.diagnostics.sort_by_key(|d| (d.line, d.column));
                self.diagnostics.dedup();
                Err(ScenarioError {
                    diagnostics: self.diagnostics,
                })
            }
        }
    }

    /// A toml parse error of `text`, reworded for people who did not write the structs.
    pub fn toml_error(&mut self, e: &toml::de::Error, text: &str) {
        let span = e.span().unwrap_or(0..0);
        // toml says "duplicate key" without its name: the key is at the error's place.
        let duplicate = Some(span.clone())
            .filter(|_| e.message().trim() == "duplicate key")
            .and_then(|s| text.get(s))
            .map(|k| k.trim().trim_matches('"'))
            .filter(|k| !k.is_empty());
        let message = match duplicate {
            Some(k) => format!(
                "duplicate key `{}`: each key, and each [table], is written once",
                crate::text::one_line(k)
            ),
            None => reword(e.message()),
        };
        self.value_error(span, message);
    }

    /// Deserializes a table into one of the `Raw*` structs, reporting what does not fit.
    /// Every unknown key and every value of the wrong type in the table (and in the tables
    /// inside it) is reported, not only the first: each is taken out and the rest tried
    /// again, so one pass shows them all. A value of the wrong type taken out leaves the rest
    /// unchecked (`None`), unless the table is read with `table`, which checks the rest.
    pub fn deserialize<T>(&mut self, value: Spanned<DeValue<'_>>) -> Option<T>
    where
        T: for<'de> Deserialize<'de>,
    {
        let span = value.span();
        let mut value = value;
        // The keys whose values were of the wrong type, taken out.
        let mut taken: Vec<String> = Vec::new();
        loop {
            let e = match T::deserialize(ValueDeserializer::from(value.clone())) {
                Ok(v) if taken.is_empty() => return Some(v),
                Ok(v) => {
                    let partial = self.partial.as_mut()?;
                    *partial = true;
                    return Some(v);
                }
                Err(e) => e,
            };
            // A required key taken out for its type: said already.
            if let Some(missing) = e.message().strip_prefix("missing field ") {
                if taken.iter().any(|k| missing.trim().trim_matches('`') == k) {
                    return None;
                }
            }
            // serde names no key for a value of the wrong type: say whose it is.
            let key = e
                .span()
                .filter(|_| {
                    e.message().starts_with("invalid type")
                        || e.message().starts_with("invalid value: integer")
                })
                .and_then(|at| key_at(&value, &at));
            match key {
                Some(key) => {
                    let mut msg = format!("`{key}`: {}", reword(e.message()));
                    let declared = hint(self.declared, &key);
                    let at = e.span().unwrap_or(span.clone());
                    // A string was expected and something else written: what the key takes,
                    // as declared (a name or a text gets no hint).
                    let wrote_other = msg.contains("expected a string in quotes")
                        && (msg.contains("integer")
                            || msg.contains("floating point")
                            || msg.contains("boolean"));
                    // A --set is not TOML the user quotes: its value is read as a string
                    // unless it reads as something else, so the words are all it needs.
                    let command_line = at.start > self.text_len;
                    match declared {
                        // A whole number past what TOML or serde can hold, told the key's own
                        // range, as one within the type but out of it is.
                        Some(Hint::Whole(min, max)) => {
                            if let Some(n) = too_big(e.message()) {
                                msg = format!(
                                    "`{key}` must be a whole number from {min} to {max}, not {n}"
                                );
                            }
                        }
                        _ if !wrote_other => {}
                        Some(Hint::Duration) if command_line => {
                            msg = msg.replace(
                                ", expected a string in quotes",
                                "; a duration is written with its unit, such as 10s or 250ms (on the command line it needs no quotes)",
                            );
                        }
                        Some(Hint::Duration) => msg.push_str(" (a duration is written with its unit, in quotes, such as \"10s\" or \"250ms\")"),
                        Some(Hint::Words(words)) if command_line => {
                            msg = msg.replace(
                                ", expected a string in quotes",
                                &format!("; one of {} (on the command line it needs no quotes)", words.join(", ")),
                            );
                        }
                        Some(Hint::Words(words)) => {
                            let quoted: Vec<String> =
                                words.iter().map(|w| format!("\"{w}\"")).collect();
                            msg.push_str(&format!(": one of {}", quoted.join(", ")));
                        }
                        None => {}
                    }
                    // An arrival rate written with its unit ("6000/min"): it is a plain number
                    // of requests per second; one in quotes ("100") needs none. (Other
                    // `rate`s are shares, a trace's or a fault's.)
                    const RATES: &[&str] = &[
                        "arrival.rate",
                        "arrival.from",
                        "arrival.to",
                        "arrival.base",
                        "arrival.peak",
                        "arrival.mean",
                        "arrival.amplitude",
                    ];
                    if RATES.contains(&key.as_str())
                        && msg.contains("string")
                        && msg.ends_with("expected a number")
                    {
                        let quoted = msg
                            .split_once("string \"")
                            .and_then(|(_, rest)| rest.rsplit_once('"'))
                            .map(|(v, _)| v.trim());
                        if quoted.is_some_and(|v| v.parse::<f64>().is_ok()) {
                            msg.push_str(" (write it without quotes)");
                        } else {
                            msg.push_str(" of requests per second (6000 a minute is 100)");
                        }
                    }
                    // An expectation's bound written as a duration ("500ms"): it is a plain
                    // number in its metric's own unit, which the metric's name ends with.
                    let expectation = self.declared.iter().any(|k| k.name == "metric");
                    if expectation
                        && matches!(key.as_str(), "min" | "max")
                        && msg.ends_with("expected a number")
                    {
                        let quoted = msg
                            .split_once("string \"")
                            .and_then(|(_, rest)| rest.rsplit_once('"'))
                            .map(|(v, _)| v.trim().to_string());
                        if let Some(d) = quoted.and_then(|v| parse_duration(&v).ok()) {
                            let plain = |v: f64| {
                                let t = format!("{v:.6}");
                                t.trim_end_matches('0').trim_end_matches('.').to_string()
                            };
                            msg.push_str(&format!(
                                " in the metric's own unit, which its name ends with: for a `_ms` figure write {}, for a `_s` one {}",
                                plain(d.as_secs_f64() * 1e3),
                                plain(d.as_secs_f64()),
                            ));
                        }
                    }
                    self.value_error(at, msg);
                }
                None => {
                    let at = e.span().unwrap_or(span.clone());
                    let extra = match &self.also {
                        Some((top, keys)) if top.contains(&at.start) => keys.as_slice(),
                        _ => &[],
                    };
                    self.value_error(at, reword_with(e.message(), extra));
                }
            }
            let message = e.message();
            let removed = match e.span() {
                Some(at) if message.starts_with("unknown field") => remove_key(&mut value, &at),
                Some(at) if !message.starts_with("missing field") => remove_value(&mut value, &at)
                    .map(|k| taken.push(k))
                    .is_some(),
                _ => false,
            };
            if !removed {
                return None;
            }
        }
    }

    /// An optional key: checked by `check` when the scenario gives it, else `default`. Every
    /// optional key of every table has this shape; the typed helpers below cover the
    /// common cases.
    pub fn or<S, T>(
        &mut self,
        value: &Option<S>,
        default: T,
        check: impl FnOnce(&mut Checker, &S) -> Option<T>,
    ) -> Option<T> {
        match value {
            Some(v) => check(self, v),
            None => Some(default),
        }
    }

    /// An optional whole number from `min` to `max`, else `default`.
    pub fn int_or(
        &mut self,
        value: &Option<Spanned<i64>>,
        key: &str,
        (min, max): (i64, i64),
        default: i64,
    ) -> Option<i64> {
        self.or(value, default, |ck, v| ck.int_in(v, key, min, max))
    }

    /// An optional duration, else `default`.
    pub fn duration_or(
        &mut self,
        value: &Option<Spanned<String>>,
        key: &str,
        default: SimTime,
    ) -> Option<SimTime> {
        self.or(value, default, |ck, v| ck.duration(v, key))
    }

    /// An optional duration longer than zero, else `default`.
    pub fn positive_duration_or(
        &mut self,
        value: &Option<Spanned<String>>,
        key: &str,
        default: SimTime,
    ) -> Option<SimTime> {
        self.or(value, default, |ck, v| ck.positive_duration(v, key))
    }

    /// An optional distribution of durations, else `default`.
    pub fn time_dist_or(
        &mut self,
        value: &Option<Spanned<RawDist>>,
        key: &str,
        default: Dist,
    ) -> Option<Dist> {
        self.or(value, default, |ck, v| ck.time_dist(v, key))
    }

    /// An optional word of `allowed`, else `default`.
    pub fn one_of_or<'a>(
        &mut self,
        value: &Option<Spanned<String>>,
        key: &str,
        allowed: &[&'a str],
        default: &'a str,
    ) -> Option<&'a str> {
        self.or(value, default, |ck, v| ck.one_of(v, key, allowed))
    }

    /// A duration such as "250ms", "2m" or "1h30m".
    pub fn duration(&mut self, s: &Spanned<String>, key: &str) -> Option<SimTime> {
        match parse_duration(s.get_ref()) {
            Ok(t) => Some(t),
            Err(why) => {
                self.value_error(s.span(), format!("`{key}`: {why}"));
                None
            }
        }
    }

    /// A duration that must be longer than zero.
    pub fn positive_duration(&mut self, s: &Spanned<String>, key: &str) -> Option<SimTime> {
        let t = self.duration(s, key)?;
        if t == SimTime::ZERO {
            self.value_error(s.span(), format!("`{key}` must be longer than zero"));
            return None;
        }
        Some(t)
    }

    pub fn int_in(&mut self, v: &Spanned<i64>, key: &str, min: i64, max: i64) -> Option<i64> {
        let x = *v.get_ref();
        if x < min || x > max {
            self.value_error(
                v.span(),
                format!("`{key}` must be a whole number from {min} to {max}, not {x}"),
            );
            return None;
        }
        Some(x)
    }

    /// A finite number above zero (`what` says its unit, for the message).
    pub fn positive(&mut self, v: &Spanned<f64>, key: &str, what: &str) -> Option<f64> {
        let x = *v.get_ref();
        if !(x.is_finite() && x > 0.0) {
            self.value_error(
                v.span(),
                format!(
                    "`{key}` must be a positive number ({what}), not {}",
                    show(x)
                ),
            );
            return None;
        }
        Some(x)
    }

    /// A positive number no larger than `max`, a bound past which a model would allocate
    /// without limit (a partition per 3,000 read units, say); `why` says where it comes from.
    pub fn positive_up_to(
        &mut self,
        v: &Spanned<f64>,
        key: &str,
        what: &str,
        max: f64,
        why: &str,
    ) -> Option<f64> {
        let x = self.positive(v, key, what);
        self.at_most(v, x?, key, max, why)
    }

    /// `x`, read from `v`, if it is at most `max`; `why` says where the bound comes from.
    pub fn at_most(
        &mut self,
        v: &Spanned<f64>,
        x: f64,
        key: &str,
        max: f64,
        why: &str,
    ) -> Option<f64> {
        if x > max {
            self.error(
                v.span(),
                format!("`{key}` is at most {} ({why}), not {}", show(max), show(x)),
            );
            return None;
        }
        Some(x)
    }

    pub fn non_negative(&mut self, v: &Spanned<f64>, key: &str, what: &str) -> Option<f64> {
        let x = *v.get_ref();
        if !(x.is_finite() && x >= 0.0) {
            self.value_error(
                v.span(),
                format!("`{key}` must be zero or more ({what}), not {}", show(x)),
            );
            return None;
        }
        Some(x)
    }

    /// A list of words, each of a fixed set (repeats allowed): the words it holds.
    pub fn words_of<'a>(
        &mut self,
        list: &[Spanned<String>],
        key: &str,
        allowed: &[&'a str],
    ) -> Option<Vec<&'a str>> {
        let mut ok = true;
        let mut words = Vec::new();
        for w in list {
            match self.one_of(w, key, allowed) {
                Some(a) => words.push(a),
                None => ok = false,
            }
        }
        ok.then_some(words)
    }

    /// One of a fixed set of words.
    pub fn one_of<'a>(
        &mut self,
        v: &Spanned<String>,
        key: &str,
        allowed: &[&'a str],
    ) -> Option<&'a str> {
        let meant = crate::text::word_meant(v.get_ref(), allowed);
        self.one_of_meaning(v, key, allowed, meant)
    }

    /// As `one_of`, with `meant` the suggestion for a word not allowed (" (did you mean
    /// `standard`? …)"), where the caller knows better than its spelling what was meant.
    pub fn one_of_meaning<'a>(
        &mut self,
        v: &Spanned<String>,
        key: &str,
        allowed: &[&'a str],
        meant: String,
    ) -> Option<&'a str> {
        match allowed.iter().find(|a| **a == v.get_ref()) {
            Some(a) => Some(a),
            None => {
                self.value_error(
                    v.span(),
                    format!(
                        "`{key}` = \"{}\" is not known{meant}; allowed: {}",
                        v.get_ref(),
                        allowed.join(", ")
                    ),
                );
                None
            }
        }
    }

    /// A distribution of durations; its values are seconds.
    pub fn time_dist(&mut self, d: &Spanned<RawDist>, key: &str) -> Option<Dist> {
        self.dist(d, key, Unit::Duration)
    }

    /// A distribution of plain numbers (counts).
    pub fn number_dist(&mut self, d: &Spanned<RawDist>, key: &str) -> Option<Dist> {
        self.dist(d, key, Unit::Number)
    }

    /// A distribution of sizes; its values are bytes.
    pub fn bytes_dist(&mut self, d: &Spanned<RawDist>, key: &str) -> Option<Dist> {
        self.dist(d, key, Unit::Bytes)
    }

    /// Every problem it finds is of the distribution's own table (`value_error`): one is told
    /// even while another value of its component was of the wrong type.
    fn dist(&mut self, d: &Spanned<RawDist>, key: &str, unit: Unit) -> Option<Dist> {
        match d.get_ref() {
            RawDist::Constant(q) => {
                let v = self.quantity(q, d.span(), key, unit)?;
                let written = as_written(q);
                self.dist_result(Dist::constant(v), d.span(), key, &written)
            }
            RawDist::Table { dist, params } => {
                let Some(name) = dist else {
                    self.value_error(
                        d.span(),
                        format!(
                            "`{key}` needs `dist`: one of {}",
                            DIST_PARAMS
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    return None;
                };
                let names: Vec<&str> = DIST_PARAMS.iter().map(|(n, _)| *n).collect();
                let name_str = self.one_of(name, &format!("{key}.dist"), &names)?;
                let allowed = DIST_PARAMS
                    .iter()
                    .find(|(n, _)| *n == name_str)
                    .map(|(_, p)| *p)
                    .unwrap_or(&[]);
                let mut ok = true;
                for (k, _) in params {
                    if !allowed
                        .iter()
                        .any(|set| set.contains(&k.get_ref().as_str()))
                    {
                        ok = false;
                        self.value_error(
                            k.span(),
                            format!(
                                "`{}` is not a parameter of the {name_str} distribution; it takes {}",
                                k.get_ref(),
                                describe_param_sets(allowed)
                            ),
                        );
                    }
                }
                if !ok {
                    return None;
                }
                let given: Vec<&str> = params.iter().map(|(k, _)| k.get_ref().as_str()).collect();
                let Some(set) = allowed
                    .iter()
                    .find(|set| set.iter().all(|p| given.contains(p)) && given.len() == set.len())
                else {
                    self.value_error(
                        d.span(),
                        format!(
                            "`{key}`: the {name_str} distribution takes {}",
                            describe_param_sets(allowed)
                        ),
                    );
                    return None;
                };
                let mut vals = Vec::new();
                let mut list = Vec::new();
                let mut written = Vec::new();
                let mut ok = true;
                for p in set.iter() {
                    let (k, q) = params.iter().find(|(k, _)| k.get_ref() == p)?;
                    if !matches!(q.get_ref(), Quantity::List(_)) {
                        written.push(format!("{p} = {}", as_written(q.get_ref())));
                    }
                    let pkey = format!("{key}.{}", k.get_ref());
                    // A shape is a plain number whatever the distribution is of.
                    let punit = if *p == "shape" { Unit::Number } else { unit };
                    match (name_str, q.get_ref()) {
                        ("empirical", Quantity::List(items)) => {
                            for item in items {
                                match self.quantity(item.get_ref(), item.span(), &pkey, punit) {
                                    Some(v) => list.push(v),
                                    None => ok = false,
                                }
                            }
                        }
                        ("empirical", _) => {
                            let example = match unit {
                                Unit::Duration => "[\"1ms\", \"5ms\", \"20ms\"]",
                                Unit::Number | Unit::Bytes => "[512, 1024, 4096]",
                            };
                            self.value_error(
                                q.span(),
                                format!("`{pkey}` must be a list of the values to draw from, such as {example}"),
                            );
                            ok = false;
                        }
                        (_, q2) => match self.quantity(q2, q.span(), &pkey, punit) {
                            Some(v) => vals.push(v),
                            None => ok = false,
                        },
                    }
                }
                if !ok {
                    return None;
                }
                let built = match (name_str, *set) {
                    ("exponential", _) => Dist::exponential(vals[0]),
                    ("lognormal", ["median", "p99"]) => {
                        Dist::lognormal_median_p99(vals[0], vals[1])
                    }
                    ("lognormal", _) => Dist::lognormal_mean_stddev(vals[0], vals[1]),
                    ("normal", _) => Dist::normal(vals[0], vals[1]),
                    ("uniform", _) => Dist::uniform(vals[0], vals[1]),
                    ("gamma", ["shape", "scale"]) => Dist::gamma(vals[0], vals[1]),
                    ("gamma", _) => {
                        // From mean and stddev: shape = (mean/sd)², scale = sd²/mean.
                        let (m, s) = (vals[0], vals[1]);
                        if s > 0.0 && m > 0.0 {
                            Dist::gamma((m / s).powi(2), s * s / m)
                        } else {
                            Err("mean and stddev must be positive numbers".into())
                        }
                    }
                    ("pareto", _) => {
                        // Shape 1 or less: no finite mean (shape 2 or less: no variance).
                        if vals[1] <= 1.0 && vals[1] > 0.0 {
                            self.warn(
                                d.span(),
                                format!("`{key}`: a Pareto of shape {} has no finite mean: a run's mean and high percentiles are set by its few longest draws, and a station's offered load reads as infinite; a heavy tail with a mean has a shape above 1 (1.5 to 3 is usual)", vals[1]),
                            );
                        }
                        Dist::pareto(vals[0], vals[1])
                    }
                    ("weibull", _) => Dist::weibull(vals[0], vals[1]),
                    ("empirical", _) => Dist::empirical(list),
                    _ => Err(format!("unknown distribution {name_str}")),
                };
                self.dist_result(built, d.span(), key, &written.join(", "))
            }
        }
    }

    /// The distribution `r`, or its error reported at `span` with the parameters as
    /// `written` (durations in the units the scenario used, not in seconds).
    fn dist_result(
        &mut self,
        r: Result<Dist, String>,
        span: Range<usize>,
        key: &str,
        written: &str,
    ) -> Option<Dist> {
        match r {
            Ok(d) => Some(d),
            Err(why) if written.is_empty() => {
                self.value_error(span, format!("`{key}`: {why}"));
                None
            }
            Err(why) => {
                self.value_error(span, format!("`{key}`: {why} (here {written})"));
                None
            }
        }
    }

    /// A parameter value in the unit its context wants.
    fn quantity(&mut self, q: &Quantity, span: Range<usize>, key: &str, unit: Unit) -> Option<f64> {
        match (q, unit) {
            (Quantity::Str(s), Unit::Duration) => match parse_duration(s) {
                Ok(t) => Some(t.as_secs_f64()),
                Err(why) => {
                    self.value_error(span, format!("`{key}`: {why}"));
                    None
                }
            },
            (Quantity::Num(_), Unit::Duration) => {
                self.value_error(
                    span,
                    format!("`{key}` is a duration: write it with its unit, as \"15ms\", \"2s\" or \"1m\""),
                );
                None
            }
            (Quantity::Num(v), Unit::Number | Unit::Bytes) => Some(*v),
            (Quantity::Str(s), Unit::Bytes) => {
                self.value_error(
                    span,
                    format!("`{key}` is a number of bytes, such as 1024 for 1 KiB, not the string \"{s}\""),
                );
                None
            }
            (Quantity::Str(s), Unit::Number) => {
                self.value_error(
                    span,
                    format!("`{key}` must be a number, not the string \"{s}\""),
                );
                None
            }
            (Quantity::List(_), _) => {
                self.value_error(span, format!("`{key}` takes a single value, not a list"));
                None
            }
        }
    }

    /// A retry policy under `key`: by hand (`retry = { attempts, backoff, base, cap, jitter,
    /// on }`) or an SDK's (`retry = { sdk, attempts }`).
    pub fn retry(&mut self, r: &Spanned<RawRetry>, key: &str) -> Option<RetrySpec> {
        let raw = r.get_ref();
        let k = |name: &str| format!("{key}.{name}");
        let attempts = match &raw.attempts {
            None => Some(None),
            Some(a) => self
                .int_in(a, &k("attempts"), 1, 100)
                .map(|a| Some(a as u32)),
        };
        if let Some(s) = &raw.sdk {
            // A language's name alone (`python`): its SDK's default since 2026-11-10 is
            // standard mode; the `-legacy` and dated words are the defaults before (aws-facts
            // §7). Java 2.x is the one still on its own, `java-v2`, which `one_of` suggests.
            let word = s.get_ref().as_str();
            let language_alone = !SDK_WORDS.contains(&word)
                && SDK_WORDS
                    .iter()
                    .any(|m| m.split_once('-').is_some_and(|(f, _)| f == word) && *m != "java-v2");
            let word = if language_alone {
                self.one_of_meaning(s, &k("sdk"), SDK_WORDS, " (did you mean `standard`? since 2026-11-10 every AWS SDK but Java 2.x retries in standard mode by default; the `-legacy` and dated words are the defaults before)".to_string())
            } else {
                self.one_of(s, &k("sdk"), SDK_WORDS)
            };
            let sdk = word.and_then(|n| SDK_WORDS.iter().position(|m| *m == n).map(|i| SDKS[i]));
            let mut ok = true;
            let by_hand = [
                ("backoff", raw.backoff.as_ref().map(|v| v.span())),
                ("base", raw.base.as_ref().map(|v| v.span())),
                ("cap", raw.cap.as_ref().map(|v| v.span())),
                ("jitter", raw.jitter.as_ref().map(|v| v.span())),
                (
                    "on",
                    raw.on.as_ref().and_then(|v| v.first()).map(|v| v.span()),
                ),
            ];
            for (name, span) in by_hand {
                if let Some(span) = span {
                    self.error(
                        span,
                        format!(
                            "`{key}.{name}` cannot be set with `{key}.sdk`: an SDK's backoff and \
                             the errors it retries are its own (only `attempts` may be changed); \
                             drop `sdk` to write a policy by hand"
                        ),
                    );
                    ok = false;
                }
            }
            let (sdk, attempts) = (sdk?, attempts?);
            return ok.then_some(RetrySpec::Sdk { sdk, attempts });
        }
        let attempts = match attempts {
            Some(Some(a)) => Some(a),
            // Refused where it is written.
            None => None,
            Some(None) => {
                self.error(
                    r.span(),
                    format!(
                    "`{key}` needs `attempts` (a policy written by hand) or `sdk` (an AWS SDK's \
                     defaults: {})",
                    SDK_WORDS
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                    ),
                );
                None
            }
        };
        let exponential = match &raw.backoff {
            None => Some(true),
            Some(b) => self
                .one_of(b, &k("backoff"), &["exponential", "constant"])
                .map(|b| b == "exponential"),
        };
        let base = match &raw.base {
            None => Some(SimTime::from_millis(100)),
            Some(b) => self.duration(b, &k("base")),
        };
        let cap = match &raw.cap {
            None => Some(SimTime::from_secs(20)),
            Some(c) => self.duration(c, &k("cap")),
        };
        let jitter = match &raw.jitter {
            None => Some(Jitter::Full),
            Some(j) => self
                .one_of(j, &k("jitter"), &["none", "full", "equal"])
                .map(|j| match j {
                    "none" => Jitter::None,
                    "equal" => Jitter::Equal,
                    _ => Jitter::Full,
                }),
        };
        let mut on_status = Vec::new();
        let (mut on_timeout, mut on_throttle) = (false, false);
        let mut ok = true;
        match &raw.on {
            // Retryable by default: throttles (the callee's, whatever their status), server
            // errors, reset connections and timeouts, as the AWS SDKs do.
            None => {
                on_status = crate::retry::retried_statuses(&crate::retry::SdkService::GENERIC);
                (on_timeout, on_throttle) = (true, true);
            }
            Some(list) => {
                for item in list {
                    match item.get_ref() {
                        RetryOn::Status(s) if (400..600).contains(s) => on_status.push(*s as u16),
                        RetryOn::Word(w) if w == "timeout" => on_timeout = true,
                        RetryOn::Word(w) if w == "throttle" => on_throttle = true,
                        RetryOn::Status(s) => {
                            self.error(item.span(), format!("`{key}.on`: {s} is not an error status; give 4xx or 5xx codes, \"throttle\" or \"timeout\""));
                            ok = false;
                        }
                        RetryOn::Word(w) => {
                            self.error(item.span(), format!("`{key}.on`: \"{w}\" is not known; give status codes such as 503, \"throttle\" (the callee's throttling errors: 429, DynamoDB's 400) or \"timeout\""));
                            ok = false;
                        }
                    }
                }
            }
        }
        let (attempts, exponential, base, cap, jitter) =
            (attempts?, exponential?, base?, cap?, jitter?);
        if cap < base {
            self.error(
                r.span(),
                format!("`{key}.cap` ({cap}) must not be below `{key}.base` ({base})"),
            );
            return None;
        }
        let backoff = Backoff {
            base,
            exponential,
            cap,
            jitter,
        };
        ok.then(|| {
            let mut p = RetryPolicy::by_hand(attempts, backoff, on_status, on_timeout);
            p.on_throttle = on_throttle;
            RetrySpec::Policy(p)
        })
    }

    /// Operation names listed under `key`, interned; by default the usual names of writes
    /// (`write`, `put`, `update`, `delete`), for components that treat writes apart.
    pub fn write_ops(&mut self, list: &Option<Vec<Spanned<String>>>) -> Vec<u16> {
        const MEANS: &str =
            "a component's writes, and it takes any operation it does not list as a read";
        match list {
            None => DEFAULT_WRITES.iter().map(|o| self.op(o, MEANS)).collect(),
            Some(list) => list.iter().map(|o| self.op(o.get_ref(), MEANS)).collect(),
        }
    }

    /// The index of an operation name a component gives a meaning to (one of its writes,
    /// a route's, an error's), interning it on first sight. `means` ends "`name` is listed
    /// by …", saying what the component does with an operation it does not list: the
    /// warning about a near name (`orders` sent as `order`) says it.
    pub fn op(&mut self, name: &str, means: &'static str) -> u16 {
        let i = self.intern_op(name);
        self.op_meaning[i as usize].get_or_insert(means);
        i
    }

    /// The index of an operation name requests are sent with (a workload's mix, a call's
    /// `op`), written at `name`'s place.
    pub fn sent_op(&mut self, name: &Spanned<String>) -> u16 {
        let i = self.intern_op(name.get_ref());
        self.sent_ops.push((i, name.span()));
        i
    }

    fn intern_op(&mut self, name: &str) -> u16 {
        if let Some(&i) = self.op_index.get(name) {
            return i;
        }
        if self.ops.len() >= crate::limits::MAX_OPS {
            // Refused once; the names past the limit stand for the first meanwhile.
            if !self.too_many_ops {
                self.too_many_ops = true;
                self.error(
                    0..0,
                    format!(
                        "the scenario names more than {} distinct operations (in workloads' `mix`, calls' `op` and components' lists), the most archsim takes",
                        crate::limits::MAX_OPS
                    ),
                );
            }
            return 0;
        }
        let i = self.ops.len() as u16;
        self.ops.push(name.to_string());
        self.op_meaning.push(None);
        self.op_index.insert(name.to_string(), i);
        i
    }

    /// Warns of each operation sent that no component names but one looks like (`wrtie`
    /// beside a table's `write`): every component takes it as an operation it does not list
    /// (a table as a read, a subscription's filter as one it does not deliver), which
    /// a typo is likely not meant to be; the warning says which, from the near name's `op`. A
    /// name no known one is near (`checkout`) is the scenario's own and is not told of, nor
    /// is one named after a route ("get /orders/{id}", as an import writes them), which an
    /// API sends to its default target and whose neighbour ("get /orders") is no typo.
    pub fn warn_unnamed_ops(&mut self) {
        // Each name a component lists, with what that means, and `read`, which none need
        // list: a workload with no `mix` sends it, and a table takes any unlisted one as it.
        let mut named: Vec<(&str, String)> = self
            .ops
            .iter()
            .zip(&self.op_meaning)
            .filter(|(o, _)| *o != "read")
            .filter_map(|(o, m)| Some((o.as_str(), format!("is listed by {}", (*m)?))))
            .collect();
        named.push((
            "read",
            "is what a workload with no `mix` sends, and what a component that tells reads from writes takes an operation it does not list as".into(),
        ));
        let mut warnings = Vec::new();
        let mut told = Vec::new();
        for (i, span) in &self.sent_ops {
            let name = &self.ops[*i as usize];
            let route = name.contains(' ') || name.contains('/');
            if self.op_meaning[*i as usize].is_some() || name == "read" || route || told.contains(i)
            {
                continue;
            }
            told.push(*i);
            let Some((near, means)) = crate::text::nearest(name, named.iter().map(|(o, _)| *o))
                .and_then(|near| named.iter().find(|(o, _)| *o == near))
            else {
                continue;
            };
            warnings.push((
                span.clone(),
                format!(
                    "operation \"{}\" is named by no component{}: `{}` {means}",
                    crate::text::one_line(name),
                    crate::text::meant(near),
                    crate::text::one_line(near),
                ),
            ));
        }
        self.sent_ops.clear();
        for (span, message) in warnings {
            self.warn(span, message);
        }
    }

    /// The index of a component id, or a diagnostic listing the ids there are.
    pub fn component(&mut self, id: &Spanned<String>, key: &str) -> Option<usize> {
        match self.component_position(id.get_ref()) {
            Some(i) => Some(i),
            None => {
                let hint = crate::text::did_you_mean(
                    id.get_ref(),
                    self.component_ids.iter().map(String::as_str),
                );
                // Ids that are themselves wrong are kept as empty places (list_some skips
                // them): none valid is no list.
                let known = if self.component_ids.is_empty() {
                    "there are no components".to_string()
                } else if self.component_ids.iter().all(String::is_empty) {
                    "no component has a valid id".to_string()
                } else {
                    format!("components are: {}", list_some(&self.component_ids))
                };
                self.value_error(
                    id.span(),
                    format!(
                        "`{key}` names \"{}\", which is not a component id{hint}; {known}",
                        id.get_ref()
                    ),
                );
                None
            }
        }
    }

    /// Downstream calls of a component.
    pub fn calls(&mut self, calls: &[RawCall]) -> Option<Vec<CallSpec>> {
        let mut out = Vec::new();
        let mut ok = true;
        for c in calls {
            let to = self.component(&c.to, "calls.to");
            let op = match &c.op {
                None => Some(OpChoice::Inherit),
                Some(o) if o.get_ref() == "inherit" => Some(OpChoice::Inherit),
                Some(o) if o.get_ref().is_empty() => {
                    self.value_error(
                        o.span(),
                        "`calls.op` must be \"inherit\" or an operation name, not empty",
                    );
                    None
                }
                Some(o) => Some(OpChoice::Fixed(self.sent_op(o))),
            };
            let probability = match &c.probability {
                None => Some(1.0),
                Some(p) if (0.0..=1.0).contains(p.get_ref()) => Some(*p.get_ref()),
                Some(p) => {
                    self.value_error(
                        p.span(),
                        format!(
                            "`calls.probability` must be from 0 to 1, not {}",
                            show(*p.get_ref())
                        ),
                    );
                    None
                }
            };
            let timeout = match &c.timeout {
                None => Some(None),
                Some(t) => self.positive_duration(t, "calls.timeout").map(Some),
            };
            let latency = match &c.latency {
                None => Some(None),
                Some(l) => self.time_dist(l, "calls.latency").map(Some),
            };
            let retry = match &c.retry {
                None => Some(None),
                Some(r) => self.retry(r, "calls.retry").map(Some),
            };
            let asynchronous = match &c.mode {
                None => Some(None),
                Some(m) => self
                    .one_of(m, "calls.mode", &["sync", "async"])
                    .map(|w| (w == "async").then(|| m.span())),
            };
            match (to, op, probability, timeout, latency, retry, asynchronous) {
                (
                    Some(to),
                    Some(op),
                    Some(probability),
                    Some(timeout),
                    Some(latency),
                    Some(retry),
                    Some(asynchronous),
                ) => out.push(CallSpec {
                    to,
                    op,
                    probability,
                    timeout,
                    latency,
                    retry,
                    asynchronous,
                    position: Some(self.line_column(c.to.span().start)),
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// Names for a message: all of them if they are few, else the first ones and a count.
pub fn list_some<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 20;
    let shown: Vec<&str> = names
        .iter()
        .map(AsRef::as_ref)
        .filter(|n| !n.is_empty())
        .take(SHOWN)
        .collect();
    let rest = names.iter().filter(|n| !n.as_ref().is_empty()).count() - shown.len();
    if rest == 0 {
        shown.join(", ")
    } else {
        format!("{}, and {rest} more", shown.join(", "))
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Duration,
    Number,
    /// A size in bytes: a plain number too, but its errors say so.
    Bytes,
}

/// Each distribution and the parameter sets it accepts.
const DIST_PARAMS: &[(&str, &[&[&str]])] = &[
    ("exponential", &[&["mean"]]),
    ("lognormal", &[&["median", "p99"], &["mean", "stddev"]]),
    ("normal", &[&["mean", "stddev"]]),
    ("uniform", &[&["min", "max"]]),
    ("gamma", &[&["shape", "scale"], &["mean", "stddev"]]),
    ("pareto", &[&["scale", "shape"]]),
    ("weibull", &[&["scale", "shape"]]),
    ("empirical", &[&["values"]]),
];

fn describe_param_sets(sets: &[&[&str]]) -> String {
    sets.iter()
        .map(|s| {
            s.iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect::<Vec<_>>()
        .join(", or ")
}

/// " (for 80 %, write 0.8)": what a bound on a share written as a percentage (from 1 to 100)
/// meant; nothing for another number.
pub fn percent_hint(x: f64) -> String {
    if (1.0..=100.0).contains(&x) {
        format!(" (for {} %, write {})", show(x), show(x / 100.0))
    } else {
        String::new()
    }
}

/// A number as a message shows it: 1e300 as such, not as its three hundred digits.
pub fn show(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Parses "250ms", "2m", "1h30m", "0s". A bare number is refused: its unit would be a guess;
/// so is anything longer than a year (`limits::MAX_DURATION_S`), rather than clamped.
pub fn parse_duration(s: &str) -> Result<SimTime, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("a duration is needed, such as \"250ms\" or \"2m\"".into());
    }
    if t.parse::<f64>().is_ok() {
        return Err(format!(
            "\"{s}\" has no unit; write it as \"{t}s\" or \"{t}ms\""
        ));
    }
    if t.starts_with('-') {
        return Err(format!("\"{s}\" is negative; a duration is 0s or more"));
    }
    if t.contains('µ') {
        return Err(format!(
            "\"{s}\" is not a duration; write microseconds as \"us\" (the units are ns, us, ms, s, m, h, d)"
        ));
    }
    // humantime reads more than archsim documents: "5M" as five months, "1y", "10sec",
    // "10 minutes", "10ms10ms" as 20 ms. Only archsim's units, each once, largest first.
    if !in_documented_units(t) {
        let hint = duration_meant(t).map_or(String::new(), |m| crate::text::meant(&m));
        return Err(format!(
            "\"{s}\" is not a duration{hint}; write a number and a unit in lower case (ns, us, ms, s, m, h, d), as \"250ms\", or several, largest first, each once, as \"1h30m\""
        ));
    }
    let too_long = || {
        Err(format!(
            "\"{s}\" is longer than a year (8784h), the longest duration archsim accepts"
        ))
    };
    match humantime::parse_duration(t) {
        Ok(d) if d.as_secs() > crate::limits::MAX_DURATION_S => too_long(),
        // Too long to count at all (`99999999999999999999d`); a fraction overflows when it
        // is finer than a nanosecond, said below.
        Err(humantime::DurationError::NumberOverflow) if !t.contains('.') => too_long(),
        Ok(d) => Ok(SimTime(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))),
        // In archsim's units, yet unread: a part of a nanosecond, archsim's resolution.
        Err(_) if t.contains('.') => Err(format!(
            "\"{s}\" is finer than a nanosecond, the smallest step of simulated time"
        )),
        // humantime's own message lists its units (months, years, …) in words of its own:
        // one list, archsim's, is clearer.
        Err(_) => Err(format!(
            "\"{s}\" is not a duration; write a number and a unit in lower case (ns, us, ms, s, m, h, d), as \"250ms\" or \"1h30m\""
        )),
    }
}

/// What a duration written with units in words or capitals (`10min`, `60S`, `2 hours`)
/// means in archsim's units, if that is all that is wrong with it.
fn duration_meant(t: &str) -> Option<String> {
    const WORDS: &[(&str, &[&str])] = &[
        ("ns", &["nsec", "nsecs", "nanosecond", "nanoseconds"]),
        ("us", &["usec", "usecs", "microsecond", "microseconds"]),
        (
            "ms",
            &[
                "msec",
                "msecs",
                "milli",
                "millis",
                "millisecond",
                "milliseconds",
            ],
        ),
        ("s", &["sec", "secs", "second", "seconds"]),
        ("m", &["min", "mins", "minute", "minutes"]),
        ("h", &["hr", "hrs", "hour", "hours"]),
        ("d", &["day", "days"]),
    ];
    // A capital `M` alone is no unit: humantime reads it as months, a user may mean
    // minutes; no guess is made (`MS` is milliseconds however written).
    let chars: Vec<char> = t.chars().collect();
    if chars.iter().enumerate().any(|(i, &c)| {
        c == 'M'
            && !chars
                .get(i + 1)
                .is_some_and(|n| n.eq_ignore_ascii_case(&'s'))
    }) {
        return None;
    }
    let lower = t.to_lowercase();
    let mut out = String::new();
    let mut rest = lower.trim_start();
    while !rest.is_empty() {
        let unit_at = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, after) = rest.split_at(unit_at);
        let after = after.trim_start();
        let unit_end = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let word = &after[..unit_end];
        let unit = WORDS
            .iter()
            .find(|(u, words)| *u == word || words.contains(&word))?
            .0;
        out.push_str(number);
        out.push_str(unit);
        rest = after[unit_end..].trim_start();
    }
    (out != t && in_documented_units(&out)).then_some(out)
}

/// Whether `t` is numbers (a decimal point allowed) each followed by one of archsim's units
/// (ns, us, ms, s, m, h, d), with spaces between pieces allowed, each unit at most once and
/// larger units first.
fn in_documented_units(t: &str) -> bool {
    const UNITS: [&str; 7] = ["ns", "us", "ms", "s", "m", "h", "d"];
    let mut rest = t.trim_start();
    let mut smallest_so_far = UNITS.len();
    while !rest.is_empty() {
        let unit_at = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(unit_at);
        // Digits, then at most one point with digits after it.
        let (whole, fraction) = number.split_once('.').unwrap_or((number, "0"));
        let well_formed = !whole.is_empty() && !fraction.is_empty() && !fraction.contains('.');
        let unit_end = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        match UNITS.iter().position(|u| *u == &after[..unit_end]) {
            Some(rank) if well_formed && rank < smallest_so_far => smallest_so_far = rank,
            _ => return false,
        }
        rest = after[unit_end..].trim_start();
    }
    true
}

/// What a key takes, for a value of the wrong type written there.
enum Hint {
    /// A duration with its unit (or a distribution of them).
    Duration,
    /// One of these words.
    Words(Vec<&'static str>),
    /// A whole number in this range.
    Whole(i64, i64),
}

/// The number of a message saying a whole number does not fit the type it is read as
/// (`invalid value: integer `N``, or one past 64 bits read as an i128).
fn too_big(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("invalid value: integer `")
        .or_else(|| message.strip_prefix("invalid type: integer `"))?;
    let (n, after) = rest.split_once('`')?;
    (message.starts_with("invalid value") || after.starts_with(" as i128")).then_some(n)
}

/// What the key at `path` (as `key_at` names it: `arrival.process`, `mix.op`,
/// `calls.timeout`) of a table declared by `keys` takes, when it is a duration or
/// a word; `None` for any other key, and for one the declarations do not reach.
fn hint(keys: &'static [Key], path: &str) -> Option<Hint> {
    // A place in a list (`[0]`) names the list's key.
    let mut names = path
        .split('.')
        .map(|s| s.split('[').next().unwrap_or(s))
        .filter(|s| !s.is_empty());
    let mut keys = keys;
    let mut name = names.next()?;
    loop {
        let key = keys.iter().find(|k| k.name == name)?;
        let Some(inner) = names.next() else {
            return match &key.ty {
                KeyType::Duration | KeyType::TimeDist => Some(Hint::Duration),
                KeyType::Word(words) => Some(Hint::Words(words.to_vec())),
                KeyType::Integer { min, max } => Some(Hint::Whole(*min, *max)),
                _ => None,
            };
        };
        keys = match &key.ty {
            KeyType::Table(k) | KeyType::Tables(k) | KeyType::TableOrBool(k) => k,
            KeyType::Calls => CALL,
            KeyType::Retry => RETRY,
            // A distribution's table: its `dist` (its parameters, numbers or durations,
            // have a message of their own).
            KeyType::TimeDist | KeyType::NumberDist => {
                return (inner == "dist" && names.next().is_none())
                    .then(|| Hint::Words(DIST_PARAMS.iter().map(|(n, _)| *n).collect()));
            }
            _ => return None,
        };
        name = inner;
    }
}

/// The dotted name of the key whose value is at `at`, within `value`.
fn key_at(value: &Spanned<DeValue<'_>>, at: &Range<usize>) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(t) => t.iter().find_map(|(k, v)| {
            if v.span() == *at {
                Some(k.get_ref().to_string())
            } else {
                key_at(v, at).map(|inner| match inner.strip_prefix('[') {
                    Some(_) => format!("{}{inner}", k.get_ref()),
                    None => format!("{}.{inner}", k.get_ref()),
                })
            }
        }),
        // An item that is itself of the wrong type is named by its place (`branches[0]`);
        // a key inside a table of the list by the key alone, as the line says which table.
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            if v.span() == *at {
                Some(format!("[{i}]"))
            } else {
                // A list in a list keeps both places (`steps[1][0]`).
                key_at(v, at).map(|inner| match (v.get_ref(), inner.starts_with('[')) {
                    (DeValue::Array(_), true) => format!("[{i}]{inner}"),
                    _ => inner,
                })
            }
        }),
        _ => None,
    }
}

/// Takes out of `value` (or a table nested in it) the innermost key whose value holds `at`,
/// the place of a value of the wrong type: its name, if there was one. Nested values are
/// searched whatever their container's span says: an array of tables (`[[component.state]]`)
/// spans its first header only, not the tables under the later ones.
fn remove_value(value: &mut Spanned<DeValue<'_>>, at: &Range<usize>) -> Option<String> {
    let holds = |v: &Spanned<DeValue<'_>>| v.span().start <= at.start && at.end <= v.span().end;
    match value.get_mut() {
        DeValue::Table(t) => {
            if let Some(inner) = t.iter_mut().find_map(|(_, v)| remove_value(v, at)) {
                return Some(inner);
            }
            let k = t.iter().find(|(_, v)| holds(v)).map(|(k, _)| k.clone())?;
            t.remove(&k);
            Some(k.get_ref().to_string())
        }
        DeValue::Array(items) => items.iter_mut().find_map(|v| remove_value(v, at)),
        _ => None,
    }
}

/// Takes out of `value` (or a table nested in it) the key that starts at `at`; whether one was.
fn remove_key(value: &mut Spanned<DeValue<'_>>, at: &Range<usize>) -> bool {
    match value.get_mut() {
        DeValue::Table(t) => {
            let hit = t.keys().find(|k| k.span().start == at.start).cloned();
            if let Some(k) = hit {
                t.remove(&k);
                return true;
            }
            t.iter_mut().any(|(_, v)| remove_key(v, at))
        }
        DeValue::Array(items) => items.iter_mut().any(|v| remove_key(v, at)),
        _ => false,
    }
}

/// Turns serde's wording into the scenario's: keys, not fields.
fn reword(msg: &str) -> String {
    reword_with(msg, &[])
}

/// `reword`, with `extra` keys allowed besides those serde lists for an unknown key (first,
/// and suggested from too).
fn reword_with(msg: &str, extra: &[&str]) -> String {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        // serde lists many keys as "one of `a`, `b`", two as "`a` or `b`", one as "`a`".
        let listed = rest
            .split_once(", expected one of ")
            .map(|(key, list)| (key, list.split(", ").collect::<Vec<_>>()))
            .or_else(|| {
                rest.split_once(", expected ")
                    .map(|(key, list)| (key, list.split(" or ").collect()))
            });
        if let Some((key, listed)) = listed {
            let mut allowed: Vec<&str> = extra.to_vec();
            allowed.extend(listed.iter().map(|k| k.trim().trim_matches('`')));
            let name = key.trim_matches('`');
            // AWS's own words (CloudFormation's and Terraform's), which no edit distance
            // brings to archsim's: a zone's `az`, an Auto Scaling group's sizes.
            let aws = match name {
                "zone" | "availability_zone" | "availability-zone" => Some("az"),
                "min_size" | "MinSize" => Some("min"),
                "max_size" | "MaxSize" => Some("max"),
                _ => None,
            };
            let hint = match aws {
                Some(ours) if allowed.contains(&ours) => crate::text::meant(ours),
                _ => crate::text::did_you_mean(name, allowed.iter().copied()),
            };
            return if allowed.len() == 1 {
                format!(
                    "unknown key {key}{hint}; the only key allowed here is {}",
                    allowed[0]
                )
            } else {
                format!(
                    "unknown key {key}{hint}; allowed keys here: {}",
                    allowed.join(", ")
                )
            };
        }
        if let Some((key, _)) = rest.split_once(", there are no fields") {
            return format!("unknown key {key}; this table takes no keys");
        }
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return format!("missing key {rest}");
    }
    // TOML's integers are 64-bit: a longer one reaches serde as an i128.
    if let Some((n, _)) = msg
        .strip_prefix("invalid type: integer `")
        .and_then(|r| r.split_once("` as i128, expected "))
    {
        return format!(
            "{n} is out of range: whole numbers run from {} to {}",
            i64::MIN,
            i64::MAX
        );
    }
    // serde writes a float in full: 1e300 as 301 digits. One that long is said as written
    // in a scenario, with an exponent.
    let shortened;
    let msg = match msg
        .strip_prefix("invalid type: floating point `")
        .and_then(|r| r.split_once('`'))
        .and_then(|(n, rest)| Some((n.parse::<f64>().ok().filter(|_| n.len() > 20)?, rest)))
    {
        Some((v, rest)) => {
            shortened = format!("invalid type: floating point `{}`{rest}", show(v));
            shortened.as_str()
        }
        None => msg,
    };
    // serde's "map" and "sequence" are TOML's table and list (a "map" here would read as a
    // Step Functions Map state).
    // The range only for a whole number past it: a count written as a string or a fraction
    // is told what it should be, not the bounds of the type it is read through.
    let whole = if msg.starts_with("invalid value: integer") {
        format!("expected a whole number, from {} to {}", i64::MIN, i64::MAX)
    } else {
        "expected a whole number".to_string()
    };
    msg.replace("invalid type: map,", "wrong type: a table,")
        .replace("invalid type: sequence,", "wrong type: a list,")
        .replace("expected a sequence", "expected a list")
        .replace("expected a map", "expected a table")
        .replace("invalid type: ", "wrong type: ")
        .replace("expected i64", &whole)
        .replace("expected f64", "expected a number")
        .replace("expected a string", "expected a string in quotes")
}

/// A quantity as the scenario wrote it: a duration's own text ("10ms"), a number's digits.
fn as_written(q: &Quantity) -> String {
    match q {
        Quantity::Num(v) => v.to_string(),
        Quantity::Str(s) => format!("\"{}\"", crate::text::one_line(s)),
        Quantity::List(items) => format!("a list of {}", items.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_units() {
        assert_eq!(parse_duration("250ms"), Ok(SimTime::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(SimTime::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(SimTime::ZERO));
        assert!(parse_duration("250").unwrap_err().contains("no unit"));
        assert!(parse_duration("fast").is_err());
        // One list of units, archsim's, not the parser's too.
        let why = parse_duration("20MS").unwrap_err();
        assert!(
            why.contains("in lower case (ns, us, ms, s, m, h, d)"),
            "{why}"
        );
        assert!(!why.contains("months"), "{why}");
        // Longer than a year, whether it can be counted or not.
        for long in ["36600d", "99999999999999999999d"] {
            let why = parse_duration(long).unwrap_err();
            assert!(why.contains("is longer than a year (8784h)"), "{why}");
        }
    }

    #[test]
    fn durations_take_only_the_documented_units_each_once_largest_first() {
        let ms = |n: u64| Ok(SimTime::from_millis(n));
        assert_eq!(parse_duration("1.5s"), ms(1500));
        assert_eq!(parse_duration("6.5ms"), Ok(SimTime(6_500_000)));
        assert_eq!(parse_duration("1h 30m"), Ok(SimTime::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(SimTime::from_secs(172_800)));
        assert_eq!(parse_duration("1m30s250ms"), ms(90_250));
        assert_eq!(parse_duration("10us"), Ok(SimTime(10_000)));
        // humantime reads these (months, weeks, years, words, repeats); archsim refuses them
        // rather than take "5M" for five months.
        for bad in [
            "5M",
            "1w",
            "1y",
            "10sec",
            "10msec",
            "10 minutes",
            "10ms10ms",
            "1s1m",
            "1.s",
            ".5s",
            "1..5s",
            "5 s",
            "µs",
            "10µs",
            "s",
        ] {
            let why = parse_duration(bad).unwrap_err();
            assert!(why.contains("is not a duration"), "{bad}: {why}");
        }
        // Units in words or capitals are suggested in archsim's.
        for (bad, meant) in [
            ("10min", "10m"),
            ("60S", "60s"),
            ("10 minutes", "10m"),
            ("5 s", "5s"),
            ("1h 30min", "1h30m"),
            ("250 MS", "250ms"),
        ] {
            let why = parse_duration(bad).unwrap_err();
            assert!(
                why.contains(&format!("(did you mean `{meant}`?)")),
                "{bad}: {why}"
            );
        }
        for bad in ["1w", "10ms10ms", "1s1m", "s", "5M"] {
            assert!(
                !parse_duration(bad).unwrap_err().contains("did you mean"),
                "{bad}"
            );
        }
        let why = parse_duration("10µs").unwrap_err();
        assert!(why.contains("write microseconds as \"us\""), "{why}");
        let why = parse_duration("0.5ns").unwrap_err();
        assert!(why.contains("finer than a nanosecond"), "{why}");
        let why = parse_duration("-10ms").unwrap_err();
        assert!(
            why.contains("is negative; a duration is 0s or more"),
            "{why}"
        );
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Probe {
        word: Spanned<String>,
        n: Option<Spanned<i64>>,
        d: Option<Spanned<String>>,
        inner: Option<Vec<Inner>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        x: Option<Spanned<f64>>,
    }

    fn table(text: &'static str) -> Spanned<DeValue<'static>> {
        let doc = toml::de::DeTable::parse(text).unwrap();
        Spanned::new(doc.span(), DeValue::Table(doc.into_inner()))
    }

    /// Reads `text` as a `Probe` with `table`, judging its word and its number as a
    /// component's parser would.
    fn read_probe(ck: &mut Checker, text: &'static str) -> Option<()> {
        ck.table(|ck| {
            let p: Probe = ck.deserialize(table(text))?;
            let word = ck.one_of(&p.word, "word", &["a", "b"]);
            if p.n.is_none() {
                ck.error(p.word.span(), "needs `n`");
            }
            word.map(|_| ())
        })
    }

    #[test]
    fn every_value_of_the_wrong_type_in_a_table_is_reported_in_one_pass() {
        // What fits is read whole.
        let text = "word = \"a\"\nn = 3\nd = \"5s\"\ninner = [{ x = 1.5 }]\n";
        let mut ck = Checker::new(Path::new("t.toml"), text);
        let p = ck.deserialize::<Probe>(table(text)).unwrap();
        assert_eq!(p.word.get_ref(), "a");
        assert_eq!(p.n.map(Spanned::into_inner), Some(3));
        assert_eq!(p.d.map(Spanned::into_inner).as_deref(), Some("5s"));
        let x = p.inner.unwrap()[0].x.as_ref().map(|x| *x.get_ref());
        assert_eq!(x, Some(1.5));
        assert!(ck.diagnostics.is_empty());
        let text = "word = \"a\"\nn = \"3\"\nd = 5\nzz = 1\ninner = [{ x = \"y\" }]\n";
        let mut ck = Checker::new(Path::new("t.toml"), text);
        assert!(ck.deserialize::<Probe>(table(text)).is_none());
        let mut at: Vec<(usize, usize)> =
            ck.diagnostics.iter().map(|d| (d.line, d.column)).collect();
        at.sort_unstable();
        assert_eq!(
            at,
            [(2, 5), (3, 5), (4, 1), (5, 16)],
            "{:?}",
            ck.diagnostics
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_under_a_later_array_header_is_taken_out() {
        // An array of tables spans its first header only: the value under the second is
        // still found, taken out, and the rest of the table read.
        let text = "word = \"a\"\n[[inner]]\nx = 1.0\n[[inner]]\nx = \"y\"\n";
        let mut ck = Checker::new(Path::new("t.toml"), text);
        let mut inner = 0;
        let read = ck.table(|ck| {
            let p: Probe = ck.deserialize(table(text))?;
            inner = p.inner.map_or(0, |i| i.len());
            Some(())
        });
        assert!(read.is_none(), "the table is refused");
        assert_eq!(inner, 2, "{:?}", ck.diagnostics);
        let at: Vec<(usize, usize)> = ck.diagnostics.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(at, [(5, 5)], "{:?}", ck.diagnostics);
    }

    #[test]
    fn a_wrong_item_of_a_list_in_a_list_is_named_by_both_places() {
        #[derive(Deserialize)]
        struct Grid {
            #[allow(dead_code)]
            g: Vec<Vec<i64>>,
        }
        let text = "g = [[1, 2], [3, \"x\"]]\n";
        let mut ck = Checker::new(Path::new("t.toml"), text);
        assert!(ck.deserialize::<Grid>(table(text)).is_none());
        assert!(
            ck.diagnostics[0]
                .message
                .starts_with("`g[1][1]`: wrong type"),
            "{:?}",
            ck.diagnostics
        );
    }

    #[test]
    fn a_table_read_without_a_value_reports_only_what_single_values_show() {
        // `n` is of the wrong type: `word` is still judged, and nothing says `n` is missing;
        // the table is refused even so.
        let text = "word = \"c\"\nn = \"3\"\n";
        let mut ck = Checker::new(Path::new("t.toml"), text);
        assert!(read_probe(&mut ck, text).is_none());
        let got: Vec<String> = ck.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("t.toml:2:5: `n`: wrong type"), "{got:?}");
        assert!(
            got[1].starts_with("t.toml:1:8: `word` = \"c\" is not known"),
            "{got:?}"
        );
        // A table whose values all fit is read as before, every problem reported.
        let text = "word = \"a\"\n";
        let mut ck = Checker::new(Path::new("t.toml"), text);
        assert!(read_probe(&mut ck, text).is_some());
        assert_eq!(ck.diagnostics[0].message, "needs `n`");
        // A required key of the wrong type is said once, not missing too.
        let text = "word = 1\n";
        let mut ck = Checker::new(Path::new("t.toml"), text);
        assert!(read_probe(&mut ck, text).is_none());
        assert_eq!(ck.diagnostics.len(), 1, "{:?}", ck.diagnostics);
        assert!(ck.diagnostics[0].message.starts_with("`word`: wrong type"));
    }

    #[test]
    fn serde_messages_are_reworded() {
        for expected in ["i64", "f64"] {
            assert_eq!(
                reword(&format!(
                    "invalid type: integer `99999999999999999999` as i128, expected {expected}"
                )),
                "99999999999999999999 is out of range: whole numbers run from -9223372036854775808 to 9223372036854775807"
            );
        }
        assert_eq!(
            reword("unknown field `rat`, expected one of `process`, `rate`"),
            "unknown key `rat` (did you mean `rate`?); allowed keys here: process, rate"
        );
        assert_eq!(
            reword("unknown field `zzz`, expected one of `process`, `rate`"),
            "unknown key `zzz`; allowed keys here: process, rate"
        );
        assert_eq!(reword("missing field `duration`"), "missing key `duration`");
    }

    #[test]
    fn only_a_whole_number_past_the_range_is_told_the_range() {
        assert_eq!(
            reword("invalid type: string \"2\", expected i64"),
            "wrong type: string \"2\", expected a whole number"
        );
        assert_eq!(
            reword("invalid value: integer `18446744073709551615`, expected i64"),
            format!(
                "invalid value: integer `18446744073709551615`, expected a whole number, from {} to {}",
                i64::MIN,
                i64::MAX
            )
        );
    }
}
