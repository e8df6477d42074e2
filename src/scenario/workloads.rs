//! Validation of `[[workload]]` tables: arrival processes, mix, keys, size, timeout, retries.

use super::files::{read_text, FileAccess, MAX_TRACE_BYTES};
use super::raw::{RawArrival, RawTrace, RawWorkload};
use crate::components::cors::{self, Engine};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::workload::{Arrival, BrowserSpec, Keys, RateProfile, TraceRule, WorkloadSpec};
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

use crate::limits::{
    MAX_BROWSERS, MAX_MIX_WEIGHT, MAX_PREFLIGHT_ENTRIES, MAX_RATE, MAX_TRACE_ROWS,
};
const MAX_RATE_WHY: &str = "ten million requests a second; faster would take hours to simulate";

/// Each arrival process and the keys it takes.
const PROCESSES: &[(&str, &[&str])] = &[
    ("constant", &["rate"]),
    ("poisson", &["rate"]),
    ("step", &["steps"]),
    ("ramp", &["from", "to", "over"]),
    ("spike", &["base", "peak", "at", "for"]),
    ("diurnal", &["mean", "amplitude", "period"]),
    ("trace", &["file"]),
];

pub fn parse(
    w: &RawWorkload,
    duration: Option<SimTime>,
    base: &Path,
    access: &FileAccess,
    ck: &mut Checker,
) -> Option<WorkloadSpec> {
    // Names become file names of plots and keys of summary.json, like component ids.
    let name = w.name.get_ref();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        ck.value_error(
            w.name.span(),
            format!("`name` \"{name}\" must be ASCII letters, digits, '-' and '_' only"),
        );
        return None;
    }
    let target = ck.component(&w.target, "target");
    let arrival = parse_arrival(&w.arrival, duration, base, access, ck);
    let mix = match &w.mix {
        None => Some(vec![(ck.op("read", "every component, as a read"), 1.0)]),
        Some(m) if m.is_empty() => {
            ck.error(w.name.span(), "`mix` must list at least one operation");
            None
        }
        Some(m) => {
            let mut out = Vec::new();
            let mut ok = true;
            for e in m {
                let weight = ck.positive_up_to(
                    &e.weight,
                    "mix.weight",
                    "a relative weight",
                    MAX_MIX_WEIGHT,
                    "weights are relative: only their ratios matter",
                );
                if e.op.get_ref().is_empty() || e.op.get_ref() == "inherit" {
                    ck.error(
                        e.op.span(),
                        "`mix.op` must name an operation, such as \"read\" or \"write\"",
                    );
                    ok = false;
                }
                match weight {
                    Some(wt) => out.push((ck.sent_op(&e.op), wt)),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    let keys = match &w.keys {
        None => Some(Keys::Uniform { count: 1_000_000 }),
        Some(k) => {
            let count = ck.int_in(&k.get_ref().count, "keys.count", 1, 1_i64 << 53);
            match ck.one_of(&k.get_ref().dist, "keys.dist", &["uniform", "zipf"]) {
                Some("zipf") => {
                    let exponent = match &k.get_ref().exponent {
                        Some(e) => ck.non_negative(
                            e,
                            "keys.exponent",
                            "the skew; 0 is uniform, 1 is classic Zipf",
                        ),
                        None => {
                            ck.error(
                                k.span(),
                                "`keys` with dist = \"zipf\" needs `exponent` (for example 1.1)",
                            );
                            None
                        }
                    };
                    Some(Keys::Zipf {
                        count: count? as u64,
                        exponent: exponent?,
                    })
                }
                Some(_) => {
                    if let Some(e) = &k.get_ref().exponent {
                        ck.error(
                            e.span(),
                            "`keys.exponent` belongs to dist = \"zipf\", not \"uniform\"",
                        );
                        return None;
                    }
                    Some(Keys::Uniform {
                        count: count? as u64,
                    })
                }
                None => None,
            }
        }
    };
    let size_bytes = match &w.size {
        None => Some(Dist::Constant(1024.0)),
        Some(s) => {
            let d = ck.bytes_dist(s, "size");
            if let Some(d) = &d {
                if d.mean() <= 0.0 {
                    ck.value_error(s.span(), "`size` must be a positive number of bytes");
                    return None;
                }
            }
            d
        }
    };
    let timeout = match &w.timeout {
        None => Some(None),
        Some(t) => ck.positive_duration(t, "timeout").map(Some),
    };
    let retry = match &w.retry {
        None => Some(None),
        Some(r) => ck.retry(r, "retry").map(Some),
    };
    let api_keys = match &w.api_keys {
        None => Some(0),
        Some(k) => ck.int_in(k, "api_keys", 0, 1_000_000).map(|k| k as u32),
    };
    let browser = parse_browser(w, ck);
    let latency = match &w.latency {
        None => Some(Dist::Constant(0.0)),
        Some(l) => ck.time_dist(l, "latency"),
    };
    let trace = parse_trace(&w.trace, ck);
    Some(WorkloadSpec {
        name: w.name.get_ref().clone(),
        target: target?,
        arrival: arrival?,
        mix: mix?,
        keys: keys?,
        size_bytes: size_bytes?,
        timeout: timeout?,
        retry: retry?,
        latency: latency?,
        api_keys: api_keys?,
        trace: trace?,
        // Assigned once all workloads are known, so that key ids never overlap.
        first_api_key: 0,
        browser: browser?,
    })
}

/// The browser settings of a workload (aws-facts: §21 CORS): `Some(None)` for a workload that
/// is not a browser (and then sets none of them).
fn parse_browser(w: &RawWorkload, ck: &mut Checker) -> Option<Option<BrowserSpec>> {
    let is_browser = w.browser.as_ref().is_some_and(|b| *b.get_ref());
    let mix = w.mix.as_deref().unwrap_or_default();
    if !is_browser {
        // Each browser-only key, located, so that none is silently ignored.
        let mut stray: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
        stray.extend(w.origin.as_ref().map(|v| ("origin", v.span())));
        stray.extend(w.browsers.as_ref().map(|v| ("browsers", v.span())));
        stray.extend(
            w.browser_engine
                .as_ref()
                .map(|v| ("browser_engine", v.span())),
        );
        stray.extend(
            w.headers
                .as_ref()
                .and_then(|h| h.first())
                .map(|v| ("headers", v.span())),
        );
        for e in mix {
            stray.extend(e.method.as_ref().map(|v| ("mix.method", v.span())));
            stray.extend(
                e.content_type
                    .as_ref()
                    .map(|v| ("mix.content_type", v.span())),
            );
            stray.extend(e.preflight.as_ref().map(|v| ("mix.preflight", v.span())));
        }
        for (key, span) in &stray {
            ck.error(
                span.clone(),
                format!("`{key}` belongs to a browser workload: add browser = true, or remove it"),
            );
        }
        return stray.is_empty().then_some(None);
    }
    let origin = match &w.origin {
        Some(o) => cors::origin(ck, o, "origin", false),
        None => {
            ck.error(
                w.browser.as_ref().map_or(w.name.span(), |b| b.span()),
                "a browser workload needs `origin`, its page's origin, such as \"https://app.example\"",
            );
            None
        }
    };
    let browsers = ck.int_or(&w.browsers, "browsers", (1, MAX_BROWSERS), 1);
    let engine = ck
        .one_of_or(&w.browser_engine, "browser_engine", cors::ENGINES, "chrome")
        .map(Engine::from_name);
    let headers: Vec<String> = w
        .headers
        .iter()
        .flatten()
        .map(|h| h.get_ref().clone())
        .collect();
    // A request with no `mix` is one route, a "read".
    let mut preflight = Vec::new();
    let mut ok = true;
    if mix.is_empty() {
        preflight.push(!cors::is_simple("GET", &headers, None));
    }
    for e in mix {
        let default_method = if e.op.get_ref() == "read" {
            "GET"
        } else {
            "POST"
        };
        let Some(method) = ck.one_of_or(&e.method, "mix.method", cors::METHODS, default_method)
        else {
            ok = false;
            continue;
        };
        let has_body = matches!(method, "POST" | "PUT" | "PATCH");
        // An SPA's script sends JSON bodies unless told otherwise: a choice.
        let content_type = match &e.content_type {
            Some(t) => Some(t.get_ref().as_str()),
            None if has_body => Some("application/json"),
            None => None,
        };
        let derived = !cors::is_simple(method, &headers, content_type);
        preflight.push(e.preflight.as_ref().map_or(derived, |p| *p.get_ref()));
    }
    if let (Some(n), Some(b)) = (browsers, &w.browsers) {
        let entries = n as u64 * preflight.len() as u64;
        if entries > MAX_PREFLIGHT_ENTRIES {
            ck.error(
                b.span(),
                format!(
                    "`browsers` ({n}) × routes ({}) is {entries} preflight-cache entries, more than the {MAX_PREFLIGHT_ENTRIES} a workload may keep: fewer browsers or fewer `mix` entries",
                    preflight.len()
                ),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    Some(Some(BrowserSpec {
        origin: origin?,
        browsers: browsers? as u32,
        engine: engine?,
        preflight,
    }))
}

/// `trace`: X-Ray's default rule unless it says otherwise, `false` for none.
fn parse_trace(t: &Option<Spanned<RawTrace>>, ck: &mut Checker) -> Option<Option<TraceRule>> {
    use crate::limits::{MAX_TRACES_KEPT, MAX_TRACE_RESERVOIR};
    let d = TraceRule::default();
    let Some(t) = t else {
        return Some(Some(d));
    };
    let r = match t.get_ref() {
        RawTrace::Switch(false) => return Some(None),
        RawTrace::Switch(true) => return Some(Some(d)),
        RawTrace::Rule(r) => r,
    };
    let count =
        |ck: &mut Checker, v: &Option<Spanned<i64>>, key: &str, max: usize, or: usize| match v {
            None => Some(or),
            Some(v) => ck.int_in(v, key, 0, max as i64).map(|v| v as usize),
        };
    let reservoir = count(
        ck,
        &r.reservoir_per_second,
        "trace.reservoir_per_second",
        MAX_TRACE_RESERVOIR as usize,
        d.reservoir_per_second as usize,
    );
    let rate = match &r.rate {
        None => Some(d.rate),
        Some(v) => {
            let x = ck.non_negative(v, "trace.rate", "a share of requests, from 0 to 1");
            ck.at_most(v, x?, "trace.rate", 1.0, "a share of requests")
        }
    };
    let slowest = count(ck, &r.slowest, "trace.slowest", MAX_TRACES_KEPT, d.slowest);
    let sample = count(ck, &r.sample, "trace.sample", MAX_TRACES_KEPT, d.sample);
    Some(Some(TraceRule {
        reservoir_per_second: reservoir? as u32,
        rate: rate?,
        slowest: slowest?,
        sample: sample?,
    }))
}

/// `duration`, the run's when it parsed: a step or a spike that would begin only after the
/// end is refused, as a fault's `at` is (the run would silently leave it out), unless an
/// override shortened the run (`Checker::duration_set_by`): then it is left out, said in a
/// warning.
fn parse_arrival(
    a: &Spanned<RawArrival>,
    duration: Option<SimTime>,
    base: &Path,
    access: &FileAccess,
    ck: &mut Checker,
) -> Option<Arrival> {
    let span = a.span();
    let a = a.get_ref();
    let names: Vec<&str> = PROCESSES.iter().map(|(n, _)| *n).collect();
    let process = ck.one_of(&a.process, "arrival.process", &names)?;
    let wanted = PROCESSES
        .iter()
        .find(|(n, _)| *n == process)
        .map_or(&[][..], |(_, k)| k);
    // Which keys were given, with their spans, to say which do not belong to this process.
    let given: [(&str, Option<std::ops::Range<usize>>); 13] = [
        ("rate", a.rate.as_ref().map(|v| v.span())),
        (
            "steps",
            a.steps.as_ref().and_then(|v| v.first().map(|s| s.span())),
        ),
        ("from", a.from.as_ref().map(|v| v.span())),
        ("to", a.to.as_ref().map(|v| v.span())),
        ("over", a.over.as_ref().map(|v| v.span())),
        ("base", a.base.as_ref().map(|v| v.span())),
        ("peak", a.peak.as_ref().map(|v| v.span())),
        ("at", a.at.as_ref().map(|v| v.span())),
        ("for", a.for_.as_ref().map(|v| v.span())),
        ("mean", a.mean.as_ref().map(|v| v.span())),
        ("amplitude", a.amplitude.as_ref().map(|v| v.span())),
        ("period", a.period.as_ref().map(|v| v.span())),
        ("file", a.file.as_ref().map(|v| v.span())),
    ];
    let keys_of = || {
        wanted
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut ok = true;
    for (k, s) in &given {
        if let Some(s) = s {
            if !wanted.contains(k) {
                ck.error(
                    s.clone(),
                    format!(
                        "`{k}` does not belong to process \"{process}\", which takes {}",
                        keys_of()
                    ),
                );
                ok = false;
            }
        }
    }
    let steps_missing = a.steps.is_none();
    for k in wanted.iter() {
        let present =
            given.iter().any(|(g, s)| g == k && s.is_some()) || (*k == "steps" && !steps_missing);
        if !present {
            ck.error(
                span.clone(),
                format!("process \"{process}\" needs `{k}`; it takes {}", keys_of()),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let rate = |ck: &mut Checker, v: &Option<Spanned<f64>>, key: &str| -> Option<f64> {
        let v = v.as_ref()?;
        let key = format!("arrival.{key}");
        let x = ck.positive(v, &key, "requests per second")?;
        ck.at_most(v, x, &key, MAX_RATE, MAX_RATE_WHY)
    };
    let level = |ck: &mut Checker, v: &Option<Spanned<f64>>, key: &str| -> Option<f64> {
        let v = v.as_ref()?;
        let key = format!("arrival.{key}");
        let x = ck.non_negative(v, &key, "requests per second")?;
        ck.at_most(v, x, &key, MAX_RATE, MAX_RATE_WHY)
    };
    match process {
        "constant" => Some(Arrival::Constant {
            rate: rate(ck, &a.rate, "rate")?,
        }),
        "poisson" => Some(Arrival::Poisson {
            rate: rate(ck, &a.rate, "rate")?,
        }),
        "step" => {
            let steps = a.steps.as_ref()?;
            if steps.is_empty() {
                ck.error(
                    span,
                    "`arrival.steps` needs at least one [\"time\", rate] pair",
                );
                return None;
            }
            let mut out: Vec<(SimTime, f64)> = Vec::new();
            // The step before, kept or left out: the order holds over all of them.
            let mut prev: Option<SimTime> = None;
            let mut left_out = false;
            for s in steps {
                let (t, r) = s.get_ref();
                let t = ck.duration(t, "arrival.steps time");
                let r = ck
                    .non_negative(r, "arrival.steps rate", "requests per second")
                    .and_then(|x| ck.at_most(r, x, "arrival.steps rate", MAX_RATE, MAX_RATE_WHY));
                let (t, r) = (t?, r?);
                if let Some(prev) = prev.filter(|&p| t <= p) {
                    ck.error(
                        s.span(),
                        format!("`arrival.steps` times must increase: {t} follows {prev}"),
                    );
                    return None;
                }
                prev = Some(t);
                if let Some(d) = duration.filter(|&d| t >= d) {
                    if let Some(who) = ck.shortened_by(t) {
                        left_out = true;
                        ck.warn(
                            s.span(),
                            format!("this step starts at {t}, not before the end of the run ({d}, which {who} sets): it never comes in this run, and is left out"),
                        );
                        continue;
                    }
                    ck.error(
                        s.span(),
                        format!(
                            "this step starts at {t}, not before the end of the run ({d}): it would never come; drop it or make `duration` longer"
                        ),
                    );
                    return None;
                }
                out.push((t, r));
            }
            if out.iter().all(|&(_, r)| r == 0.0) {
                ck.error(
                    span,
                    if left_out {
                        "without the steps this shorter run leaves out, this arrival sends no requests: make the run longer"
                    } else {
                        "`arrival.steps` has no step with a rate above zero: no request would arrive"
                    },
                );
                return None;
            }
            Some(Arrival::Varying(RateProfile::Steps(out.into())))
        }
        "ramp" => {
            let from = level(ck, &a.from, "from");
            let to = level(ck, &a.to, "to");
            let over = ck.positive_duration(a.over.as_ref()?, "arrival.over");
            let (from, to, over) = (from?, to?, over?);
            if from == 0.0 && to == 0.0 {
                ck.error(span, "a ramp from 0 to 0 sends no requests");
                return None;
            }
            Some(Arrival::Varying(RateProfile::Ramp { from, to, over }))
        }
        "spike" => {
            let base_rate = level(ck, &a.base, "base");
            let peak = rate(ck, &a.peak, "peak");
            let at = ck.duration(a.at.as_ref()?, "arrival.at");
            let len = ck.positive_duration(a.for_.as_ref()?, "arrival.for");
            let (base_rate, peak, at, len) = (base_rate?, peak?, at?, len?);
            if peak <= base_rate {
                // A dip is a spike written the other way round, most likely: run as written.
                ck.warn(
                    a.peak.as_ref().map_or(span.clone(), |v| v.span()),
                    format!("`arrival.peak` ({peak}/s) is not above `base` ({base_rate}/s): this spike is a dip (or nothing); did you swap them?"),
                );
            }
            if let Some(d) = duration.filter(|&d| at >= d) {
                let at_span = a.at.as_ref().map_or(span.clone(), |v| v.span());
                let Some(who) = ck.shortened_by(at) else {
                    ck.error(
                        at_span,
                        format!("`arrival.at` ({at}) is not before the end of the run ({d}): the spike would never come"),
                    );
                    return None;
                };
                ck.warn(
                    at_span,
                    format!("`arrival.at` ({at}) is not before the end of the run ({d}, which {who} sets): the spike never comes in this run, and is left out"),
                );
                if base_rate == 0.0 {
                    ck.error(
                        span,
                        "without its spike this arrival sends no requests (`base` is 0): make the run longer",
                    );
                    return None;
                }
                return Some(Arrival::Varying(RateProfile::Steps(
                    vec![(SimTime::ZERO, base_rate)].into(),
                )));
            }
            let mut steps = vec![(SimTime::ZERO, base_rate)];
            if at == SimTime::ZERO {
                steps[0].1 = peak;
            } else {
                steps.push((at, peak));
            }
            steps.push((at + len, base_rate));
            Some(Arrival::Varying(RateProfile::Steps(steps.into())))
        }
        "diurnal" => {
            let mean = rate(ck, &a.mean, "mean");
            let amplitude = level(ck, &a.amplitude, "amplitude");
            let period = ck.positive_duration(a.period.as_ref()?, "arrival.period");
            let (mean, amplitude, period) = (mean?, amplitude?, period?);
            if amplitude > mean {
                ck.error(
                    a.amplitude.as_ref()?.span(),
                    format!("`arrival.amplitude` ({amplitude}) must not exceed `mean` ({mean}): the rate would go below zero"),
                );
                return None;
            }
            Some(Arrival::Varying(RateProfile::Diurnal {
                mean,
                amplitude,
                period,
            }))
        }
        "trace" => load_trace(a.file.as_ref()?, base, access, ck),
        _ => None,
    }
}

/// A trace file as one command read it: a sweep's variants, and every scenario naming the
/// same file, share one read, one parse and one copy of its rows (a 1,000-point sweep over
/// a 20 MB trace held a copy per point, gigabytes, and read the file each time).
#[derive(Debug)]
pub(super) enum TraceFile {
    /// It could not be read: why.
    Unreadable(String),
    /// Its content's digest, and what it gives, or its first problem (its line, what).
    Read {
        digest: u64,
        parsed: Result<Arrival, (usize, String)>,
    },
}

/// A trace is a CSV file with a header: `time_s` alone lists arrival instants (seconds from
/// the start, non-decreasing); `time_s,rate` gives a rate from each instant on. Messages
/// about it give the line and what was expected, never the content of the file (it could be
/// any file the scenario's author pointed at).
fn load_trace(
    file: &Spanned<String>,
    base: &Path,
    access: &FileAccess,
    ck: &mut Checker,
) -> Option<Arrival> {
    let path = match access.resolve(base, file.get_ref()) {
        Ok(p) => p,
        Err(why) => {
            ck.error(file.span(), format!("`arrival.file`: {why}"));
            return None;
        }
    };
    let trace = access.trace(&path, || {
        match read_text(&path, "the trace", MAX_TRACE_BYTES) {
            Ok(text) => TraceFile::Read {
                digest: super::files::digest(text.as_bytes()),
                parsed: trace_arrivals(&text),
            },
            Err(why) => TraceFile::Unreadable(why),
        }
    });
    match &*trace {
        TraceFile::Unreadable(why) => {
            ck.error(file.span(), format!("`arrival.file`: {why}"));
            None
        }
        TraceFile::Read { digest, parsed } => {
            ck.inputs.push((path.clone(), *digest));
            match parsed {
                Ok(arrival) => Some(arrival.clone()),
                Err((line, why)) => {
                    ck.error_in_file(path, *line, why.clone());
                    None
                }
            }
        }
    }
}

/// A trace's arrivals, or its first problem: the line (from 1) and what is wrong there.
fn trace_arrivals(text: &str) -> Result<Arrival, (usize, String)> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((hline, header)) = lines.next() else {
        return Err((
            1,
            "the trace is empty; it needs a header `time_s` or `time_s,rate`".into(),
        ));
    };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let with_rate = match cols.as_slice() {
        ["time_s"] => false,
        ["time_s", "rate"] => true,
        _ => {
            return Err((hline + 1, format!("the first line of a trace must be the header `time_s` (arrival instants) or `time_s,rate` (a rate profile); this one is not ({} comma-separated field{}, not those names)", cols.len(), if cols.len() == 1 { "" } else { "s" })));
        }
    };
    let mut times = Vec::new();
    let mut steps = Vec::new();
    let mut prev = -1.0f64;
    for (i, line) in lines {
        if times.len() + steps.len() >= MAX_TRACE_ROWS {
            return Err((
                i + 1,
                format!("the trace has more than {MAX_TRACE_ROWS} rows"),
            ));
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != cols.len() {
            return Err((
                i + 1,
                format!(
                    "expected {} comma-separated values, found {}",
                    cols.len(),
                    fields.len()
                ),
            ));
        }
        let Ok(t) = fields[0].parse::<f64>() else {
            return Err((
                i + 1,
                "the first field (`time_s`) is not a number of seconds".into(),
            ));
        };
        if !(t.is_finite() && t >= 0.0) || t < prev || (with_rate && t == prev) {
            return Err((i + 1, format!("`time_s` must be a finite number of seconds from 0, not before the row above{}", if with_rate { " nor equal to it" } else { "" })));
        }
        prev = t;
        if with_rate {
            match fields[1].parse::<f64>() {
                Ok(r) if r.is_finite() && (0.0..=MAX_RATE).contains(&r) => {
                    steps.push((SimTime::from_secs_f64(t), r))
                }
                _ => {
                    return Err((i + 1, format!("the second field (`rate`) must be zero or a positive number of requests per second, at most {MAX_RATE} ({MAX_RATE_WHY})")));
                }
            }
        } else {
            times.push(SimTime::from_secs_f64(t));
        }
    }
    if times.is_empty() && steps.iter().all(|&(_, r)| r == 0.0) {
        return Err((hline + 1, "the trace has no arrivals".into()));
    }
    Ok(if with_rate {
        Arrival::Varying(RateProfile::Steps(steps.into()))
    } else {
        Arrival::Trace {
            times: Arc::from(times),
        }
    })
}
