//! Fuzzing scenario files: whatever a user writes, archsim refuses it with located messages
//! or runs it, and never panics or hangs.
//!
//! Two families of mutants of the bundled scenarios (which between them use every component
//! kind and fault): byte-level ones (cut and splice the text, replace digit runs), and
//! value-level ones (`mutated_values_never_panic`), which parse a scenario into a TOML table,
//! replace one to three of its values by awkward ones (0, -1, 1e308, 2^53, 5e-324, a list, a
//! table, "", "1ns", "100000000h", control characters, …) or move its tables about (swap,
//! duplicate, delete, carry a key or a `[[component]]` elsewhere, take a key from a table of the
//! same shape in another bundled scenario), and write it back.
//!
//! The property, `refused_or_runs`: a mutant is refused with diagnostics that each point inside
//! the file (1 ≤ line ≤ lines + 1, column ≥ 1) and say something, or it is accepted, built and
//! run (two simulated seconds, no warmup, seed 1) and summarised without a panic, within 20 s of
//! wall time. A run stopped by a limit is an answer, not a failure.
//!
//! The value fuzzer is deterministic: case `k` draws from a ChaCha generator seeded by `k`, so
//! any case reproduces alone. It catches each panic, so one run collects every distinct
//! finding; at the end it prints each panic location (or hang) once, with a shrunk scenario
//! that reproduces it, and fails if there was any.
//!
//! Its budget is `DEFAULT_CASES`, a few seconds in release mode. For a long run, raise it with
//! `ARCHSIM_FUZZ_CASES` (and start elsewhere than case 0 with `ARCHSIM_FUZZ_FROM`):
//!
//! ```text
//! ARCHSIM_FUZZ_CASES=200000 cargo test --release --test it -- fuzz::mutated_values --nocapture
//! ```
//!
//! It runs about 500 cases a second on one core. Adding `CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true`
//! also catches the integer overflows a release build would wrap silently.
//!
//! A long run reports its progress every 10,000 cases and each new finding as it meets it. A hang
//! leaves its thread running (Rust cannot stop a thread), so a long run stops at the second
//! hang still running and names the case to resume from.

use archsim::kernel::SimTime;
use archsim::metrics::{summarize, SummaryMeta};
use archsim::scenario;
use archsim::world::World;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Once};
use std::time::{Duration, Instant};
use toml::{Table, Value};

/// A proptest configuration with `cases` cases from a fixed seed, so that CI runs the same
/// mutants every time (a failure it finds reproduces), and no failure file is written.
fn fixed(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x4152_4348_5349_4d00),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const VALID: &str = r#"[scenario]
duration = "1m"
warmup = "10s"
[[workload]]
name = "u"
target = "svc"
arrival = { process = "step", steps = [["0s", 5], ["30s", 10]] }
retry = { attempts = 3, on = [503, "timeout"] }
[[component]]
id = "svc"
kind = "service"
servers = 2
service_time = { dist = "lognormal", median = "5ms", p99 = "20ms" }
"#;

proptest! {
    #![proptest_config(fixed(512))]
    /// Whatever is cut from or spliced into a valid scenario, parsing never panics, and a
    /// refusal always points inside the file with a message.
    #[test]
    fn mutated_scenarios_never_panic(at in 0usize..VALID.len(), cut in 0usize..40, insert in "[ -~\n]{0,12}") {
        let start = VALID.floor_char_boundary(at);
        let end = VALID.floor_char_boundary((start + cut).min(VALID.len()));
        let text = format!("{}{}{}", &VALID[..start], insert, &VALID[end..]);
        if let Err(e) = scenario::parse(Path::new("f.toml"), &text) {
            prop_assert!(!e.diagnostics.is_empty());
            let lines = text.lines().count().max(1) + 1;
            for d in &e.diagnostics {
                prop_assert!(d.line >= 1 && d.line <= lines, "{d} outside {lines} lines");
                prop_assert!(d.column >= 1);
                prop_assert!(!d.message.is_empty());
            }
        }
    }
}

/// The bundled scenarios as (path, text), sorted by path.
fn bundled() -> &'static [(String, String)] {
    static FILES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(fixed(256))]
    /// The same for every bundled scenario; and a mutant that is accepted builds and runs
    /// (two simulated seconds) without a panic: what validation lets through, the
    /// components must take.
    #[test]
    fn mutated_bundled_scenarios_never_panic(which in 0usize..64, at in 0usize..100_000, cut in 0usize..40, insert in "[ -~\n]{0,12}") {
        let all = bundled();
        let (name, text) = &all[which % all.len()];
        let start = text.floor_char_boundary(at % text.len());
        let end = text.floor_char_boundary((start + cut).min(text.len()));
        let text = format!("{}{}{}", &text[..start], insert, &text[end..]);
        refused_or_runs(name, &text)?;
    }
}

/// Extreme values a number in a scenario may be replaced with.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.0",
    "1e-300",
    "1e300",
    "9223372036854775807",
    "4294967296",
    "0.5",
    "nan",
    "inf",
    "\"0s\"",
    "\"1ns\"",
    "\"10000h\"",
    "\"\"",
];

proptest! {
    #![proptest_config(fixed(256))]
    /// One number of a bundled scenario (a count, a rate, a duration's digits) replaced by
    /// an extreme: refused with a located message, or accepted and run without a panic.
    #[test]
    fn extreme_numbers_in_bundled_scenarios_never_panic(which in 0usize..64, nth in 0usize..1000, value in 0usize..64) {
        let all = bundled();
        let (name, text) = &all[which % all.len()];
        // Digit runs outside comments.
        let mut spans = Vec::new();
        for (line_start, line) in text.split_inclusive('\n').scan(0, |pos, l| {
            let start = *pos;
            *pos += l.len();
            Some((start, l))
        }) {
            let code = line.split('#').next().unwrap_or("");
            let bytes = code.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i].is_ascii_digit() {
                    let j = (i..bytes.len()).find(|&k| !(bytes[k].is_ascii_digit() || bytes[k] == b'.')).unwrap_or(bytes.len());
                    spans.push((line_start + i, line_start + j));
                    i = j;
                } else {
                    i += 1;
                }
            }
        }
        prop_assume!(!spans.is_empty());
        let (a, b) = spans[nth % spans.len()];
        let text = format!("{}{}{}", &text[..a], EXTREMES[value % EXTREMES.len()], &text[b..]);
        refused_or_runs(name, &text)?;
    }
}

#[test]
fn the_unmutated_scenario_is_valid() {
    scenario::parse(Path::new("f.toml"), VALID).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The property, with its guards.

/// The events an accepted mutant's run may take: what bounds its time, the same on every
/// machine (a run past it stops with an error, which is an answer). Twenty million take a
/// few seconds.
const MAX_EVENTS: u64 = 20_000_000;

/// The wall time after which a case counts as a hang: a loop that processes no event, which
/// the event budget cannot stop. Far beyond what the budget allows on a loaded machine, so
/// it never mistakes slow for stuck.
const HANG_AFTER: Duration = Duration::from_secs(120);

/// The property as a proptest assertion.
fn refused_or_runs(name: &str, text: &str) -> Result<(), TestCaseError> {
    match judge_guarded(name, text, HANG_AFTER) {
        Ok(_) => Ok(()),
        Err(f) => Err(TestCaseError::fail(f.to_string())),
    }
}

/// What became of a mutant that kept the property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Refused,
    Ran,
    /// The run stopped at one of its limits.
    Stopped,
}

/// A mutant that broke the property.
#[derive(Clone, Debug)]
enum Finding {
    Panic {
        /// `file:line:column` of the panic, and of the first archsim frame when the panic is
        /// in the standard library or a dependency.
        location: String,
        message: String,
    },
    Hang,
    /// A refusal whose diagnostics do not point inside the file or say nothing.
    BadDiagnostic(String),
}

impl Finding {
    /// What distinguishes one finding from another: where it panicked.
    fn signature(&self) -> String {
        match self {
            Finding::Panic { location, .. } => format!("panic at {location}"),
            Finding::Hang => "hang".into(),
            // Numbers differ from mutant to mutant; the words do not.
            Finding::BadDiagnostic(what) => format!(
                "diagnostic {}",
                what.chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .collect::<String>()
            ),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Panic { location, message } => write!(f, "panic at {location}: {message}"),
            Finding::Hang => write!(
                f,
                "hang: two simulated seconds took more than {} s of wall time",
                HANG_AFTER.as_secs()
            ),
            Finding::BadDiagnostic(what) => write!(f, "bad diagnostic: {what}"),
        }
    }
}

/// Parses a mutant and, if it is accepted, runs it: the property without its guards.
fn judge(name: &str, text: &str) -> Result<Outcome, Finding> {
    let mut sc = match scenario::parse(Path::new(name), text) {
        Ok(sc) => sc,
        Err(e) => {
            if e.diagnostics.is_empty() {
                return Err(Finding::BadDiagnostic(
                    "a refusal with no diagnostic".into(),
                ));
            }
            let lines = text.lines().count() + 1;
            for d in &e.diagnostics {
                if d.line < 1 || d.line > lines || d.column < 1 || d.message.trim().is_empty() {
                    return Err(Finding::BadDiagnostic(format!(
                        "{}:{}: {:?} in a file of {} lines",
                        d.line,
                        d.column,
                        d.message,
                        lines - 1
                    )));
                }
            }
            return Ok(Outcome::Refused);
        }
    };
    sc.duration = sc.duration.min(SimTime::from_secs(2));
    sc.warmup = SimTime::ZERO;
    match World::build(&sc, 1).max_events(MAX_EVENTS).run() {
        Ok(run) => {
            let meta = SummaryMeta {
                scenario: &sc.name,
                variant: None,
                description: &sc.description,
                compare: sc.compare.as_deref(),
            };
            summarize(&meta, &[run]);
            Ok(Outcome::Ran)
        }
        Err(_) => Ok(Outcome::Stopped),
    }
}

/// The name of the threads mutants run on; the panic hook keeps quiet on them.
const CASE_THREAD: &str = "fuzz-case";

thread_local! {
    /// The last panic on this thread, as the hook saw it.
    static LAST_PANIC: RefCell<Option<Finding>> = const { RefCell::new(None) };
}

/// Hangs whose threads are still running.
static HUNG_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Installs, once, a panic hook that records a mutant's panic (message and location) instead of
/// printing it, and leaves every other thread's panics to the previous hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(CASE_THREAD) {
                return previous(info);
            }
            let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "(a panic without a message)".into()
            };
            let mut location = info.location().map_or("?".into(), |l| {
                format!("{}:{}:{}", l.file(), l.line(), l.column())
            });
            if !location.starts_with("src/") {
                if let Some(ours) = first_archsim_frame() {
                    location = format!("{location} (from {ours})");
                }
            }
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(Finding::Panic { location, message }));
        }));
    });
}

/// The source location of the innermost archsim frame of the current backtrace: where a panic
/// in the standard library or a dependency was called from.
fn first_archsim_frame() -> Option<String> {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    let mut lines = trace.lines();
    while let Some(l) = lines.next() {
        let l = l.trim();
        let is_ours = l
            .split_once(": ")
            .is_some_and(|(_, f)| f.starts_with("archsim::") || f.starts_with("<archsim::"));
        if is_ours {
            let at = lines.next()?.trim();
            let at = at.strip_prefix("at ")?;
            return Some(at.trim_start_matches("./").to_string());
        }
    }
    None
}

/// `judge` on a thread of its own, with panics caught and a time limit: the property whole.
fn judge_guarded(name: &str, text: &str, limit: Duration) -> Result<Outcome, Finding> {
    install_panic_hook();
    let (tx, rx) = mpsc::channel();
    let (name, text) = (name.to_string(), text.to_string());
    let running = Arc::new(());
    let alive = Arc::clone(&running);
    std::thread::Builder::new()
        .name(CASE_THREAD.into())
        .spawn(move || {
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| judge(&name, &text)))
                .unwrap_or_else(|_| {
                    Err(LAST_PANIC
                        .with(|p| p.borrow_mut().take())
                        .unwrap_or(Finding::Panic {
                            location: "?".into(),
                            message: "(the hook saw no panic)".into(),
                        }))
                });
            let _ = tx.send(outcome);
            drop(alive);
        })
        .expect("a thread for the case");
    match rx.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(_) => {
            HUNG_RUNNING.fetch_add(1, Ordering::SeqCst);
            // The count goes down if the hung run ever ends.
            std::thread::spawn(move || {
                while Arc::strong_count(&running) > 1 {
                    std::thread::sleep(Duration::from_secs(1));
                }
                HUNG_RUNNING.fetch_sub(1, Ordering::SeqCst);
            });
            Err(Finding::Hang)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Value-level mutants.

/// Cases in a normal test run: under 10 s in release mode on two cores. Most of the time goes
/// to a few mutants that multiply an arrival rate by a thousand.
const DEFAULT_CASES: u64 = 2500;

/// One step from a table or array to a value inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

type ValuePath = Vec<Seg>;

fn show_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if s.is_empty() => s.push_str(k),
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Every value below `v` (not `v` itself), depth first, with its path.
fn all_paths(v: &Value) -> Vec<ValuePath> {
    fn walk(v: &Value, path: &mut ValuePath, out: &mut Vec<ValuePath>) {
        match v {
            Value::Table(t) => {
                for (k, child) in t {
                    path.push(Seg::Key(k.clone()));
                    out.push(path.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    path.push(Seg::Index(i));
                    out.push(path.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

fn get<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, seg| match (v, seg) {
        (Value::Table(t), Seg::Key(k)) => t.get(k),
        (Value::Array(a), Seg::Index(i)) => a.get(*i),
        _ => None,
    })
}

fn get_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, seg| match (v, seg) {
        (Value::Table(t), Seg::Key(k)) => t.get_mut(k),
        (Value::Array(a), Seg::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// Removes the value at `path` (a key from its table, an element from its array).
fn remove(v: &mut Value, path: &[Seg]) -> Option<Value> {
    let (last, parent) = path.split_last()?;
    match (get_mut(v, parent)?, last) {
        (Value::Table(t), Seg::Key(k)) => t.remove(k),
        (Value::Array(a), Seg::Index(i)) if *i < a.len() => Some(a.remove(*i)),
        _ => None,
    }
}

/// A number, or a string that starts as one ("250ms").
fn is_quantity(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Integer(_) | Value::Float(_)) => true,
        Some(Value::String(s)) => s.starts_with(|c: char| c.is_ascii_digit()),
        _ => false,
    }
}

fn is_leaf(v: &Value) -> bool {
    !matches!(v, Value::Table(_) | Value::Array(_))
}

fn pick<'a, T>(rng: &mut TestRng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        Some(&items[rng.random_range(0..items.len())])
    }
}

/// An awkward value to put in place of `old`: half the time one of its own type, which
/// validation is likelier to let through to the simulation.
fn awkward_value(rng: &mut TestRng, old: &Value, doc: &Value) -> Value {
    if rng.random_bool(0.5) {
        if let Some(v) = awkward_of_its_type(rng, old, doc) {
            return v;
        }
    }
    any_awkward_value(rng, old, doc)
}

/// An awkward value of the type of `old`, if it is a number or a string.
fn awkward_of_its_type(rng: &mut TestRng, old: &Value, doc: &Value) -> Option<Value> {
    let choices: &[u32] = match old {
        Value::Integer(_) => &[0, 1, 3, 7, 20, 24, 25, 28, 32, 33, 34, 35],
        Value::Float(_) => &[0, 2, 4, 5, 6, 7, 21, 22, 23, 26, 32, 33, 34, 35],
        Value::String(_) => &[13, 14, 15, 16, 17, 18, 27, 29, 30, 31, 32, 33, 34, 35],
        _ => return None,
    };
    let n = *pick(rng, choices)?;
    Some(nth_awkward_value(rng, n, old, doc))
}

/// Any awkward value; `doc` is the whole scenario, whose other values are candidates too (a
/// component id where a number was, a workload's name as a target).
fn any_awkward_value(rng: &mut TestRng, old: &Value, doc: &Value) -> Value {
    let n = rng.random_range(0..36);
    nth_awkward_value(rng, n, old, doc)
}

fn nth_awkward_value(rng: &mut TestRng, n: u32, old: &Value, doc: &Value) -> Value {
    let table = |pairs: &[(&str, i64)]| {
        Value::Table(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::Integer(*v)))
                .collect(),
        )
    };
    match n {
        0 => Value::Integer(0),
        1 => Value::Integer(-1),
        2 => Value::Float(1e308),
        3 => Value::Integer(1 << 53),
        4 => Value::Float(9007199254740992.0),
        5 => Value::Float(1e-300),
        6 => Value::Float(5e-324),
        // The same number, integer for float and float for integer.
        7 | 8 => match old {
            Value::Integer(i) => Value::Float(*i as f64),
            Value::Float(f) => Value::Integer(*f as i64),
            _ => Value::Float(1.0),
        },
        9 => Value::Array(vec![Value::Integer(1), Value::Integer(2)]),
        10 => Value::Array(vec![]),
        11 => table(&[("a", 1)]),
        12 => table(&[]),
        13 => Value::String("x".into()),
        14 => Value::String(String::new()),
        15 => Value::String("1ns".into()),
        16 => Value::String("100000000h".into()),
        17 => Value::String("0s".into()),
        18 => Value::String("\u{0}\u{1}\u{8}\t\n\r\u{1b}\u{7f}\u{85}".into()),
        19 => Value::Boolean(!matches!(old, Value::Boolean(true))),
        20 => Value::Integer(1),
        21 => Value::Float(f64::NAN),
        22 => Value::Float(f64::INFINITY),
        23 => Value::Float(-0.0),
        24 => Value::Integer(i64::MAX),
        25 => Value::Integer(i64::MIN),
        26 => Value::Float(-1e308),
        27 => Value::String("-1s".into()),
        28 => Value::Integer(u32::MAX as i64 + 1),
        // Another value of the same scenario.
        29..=31 => {
            let leaves: Vec<_> = all_paths(doc)
                .into_iter()
                .filter(|p| get(doc, p).is_some_and(is_leaf))
                .collect();
            pick(rng, &leaves)
                .and_then(|p| get(doc, p))
                .cloned()
                .unwrap_or(Value::Integer(0))
        }
        // The same kind of value, scaled far up or down.
        _ => scaled(rng, old),
    }
}

/// `old` scaled by a large or small factor; a duration's digits replaced.
fn scaled(rng: &mut TestRng, old: &Value) -> Value {
    let factor = *pick(rng, &[0.0, 1e-9, 1e-3, 1e3, 1e9, 1e18, -1.0]).unwrap();
    match old {
        Value::Integer(i) => Value::Integer((*i as f64 * factor) as i64),
        Value::Float(f) => Value::Float(f * factor),
        Value::String(s) if s.starts_with(|c: char| c.is_ascii_digit()) => {
            let digits = s.find(|c: char| !c.is_ascii_digit() && c != '.');
            let (_, unit) = s.split_at(digits.unwrap_or(s.len()));
            let n = pick(
                rng,
                &[
                    "0",
                    "0.000000001",
                    "99999999999",
                    "18446744073709551616",
                    "-5",
                ],
            );
            Value::String(format!("{}{unit}", n.unwrap()))
        }
        _ => Value::Integer(1_000_000_000),
    }
}

/// Paths of the arrays of tables in `doc` (`[[component]]`, `[[workload]]`, …).
fn arrays_of_tables(doc: &Value) -> Vec<ValuePath> {
    all_paths(doc)
        .into_iter()
        .filter(|p| {
            matches!(get(doc, p), Some(Value::Array(a))
                if !a.is_empty() && a.iter().all(|x| matches!(x, Value::Table(_))))
        })
        .collect()
}

/// Paths of the tables in `doc`, the root (the empty path) included.
fn tables(doc: &Value) -> Vec<ValuePath> {
    let mut out = vec![vec![]];
    out.extend(
        all_paths(doc)
            .into_iter()
            .filter(|p| matches!(get(doc, p), Some(Value::Table(_)))),
    );
    out
}

/// Applies one mutation to `doc` and says what it did, or `None` if the scenario offered no
/// place for the mutation drawn.
fn mutate(rng: &mut TestRng, doc: &mut Value) -> Option<String> {
    let paths = all_paths(doc);
    match rng.random_range(0..115) {
        // A leaf replaced.
        0..=69 => {
            // Numbers and durations thrice as often as names, which are mostly refused.
            let leaves: Vec<_> = paths
                .iter()
                .filter(|p| get(doc, p).is_some_and(is_leaf))
                .flat_map(|p| std::iter::repeat_n(p, if is_quantity(get(doc, p)) { 3 } else { 1 }))
                .collect();
            let path = (*pick(rng, &leaves)?).clone();
            let new = awkward_value(rng, get(doc, &path)?, doc);
            let what = format!("{} = {}", show_path(&path), inline(&new));
            *get_mut(doc, &path)? = new;
            Some(what)
        }
        // A table or array replaced whole.
        70..=74 => {
            let containers: Vec<_> = paths
                .iter()
                .filter(|p| get(doc, p).is_some_and(|v| !is_leaf(v)))
                .collect();
            let path = (*pick(rng, &containers)?).clone();
            let new = awkward_value(rng, get(doc, &path)?, doc);
            let what = format!("{} = {}", show_path(&path), inline(&new));
            *get_mut(doc, &path)? = new;
            Some(what)
        }
        // Two tables of an array of tables swapped.
        75..=78 => {
            let aots = arrays_of_tables(doc);
            let path = pick(rng, &aots)?.clone();
            let Value::Array(a) = get_mut(doc, &path)? else {
                return None;
            };
            let (i, j) = (rng.random_range(0..a.len()), rng.random_range(0..a.len()));
            a.swap(i, j);
            Some(format!("swap {0}[{i}] and {0}[{j}]", show_path(&path)))
        }
        // An element of an array duplicated.
        79..=82 => {
            let arrays: Vec<_> = paths
                .iter()
                .filter(|p| matches!(get(doc, p), Some(Value::Array(a)) if !a.is_empty()))
                .collect();
            let path = (*pick(rng, &arrays)?).clone();
            let Value::Array(a) = get_mut(doc, &path)? else {
                return None;
            };
            let (i, j) = (rng.random_range(0..a.len()), rng.random_range(0..=a.len()));
            let copy = a[i].clone();
            a.insert(j, copy);
            Some(format!("copy {0}[{i}] to {0}[{j}]", show_path(&path)))
        }
        // A key or an element deleted.
        83..=87 => {
            let path = pick(rng, &paths)?.clone();
            remove(doc, &path)?;
            Some(format!("delete {}", show_path(&path)))
        }
        // A key moved (or copied) from one table into another.
        88..=94 => {
            let keys: Vec<_> = paths
                .iter()
                .filter(|p| matches!(p.last(), Some(Seg::Key(_))))
                .collect();
            let from = (*pick(rng, &keys)?).clone();
            let Some(Seg::Key(key)) = from.last().cloned() else {
                return None;
            };
            let keep = rng.random_bool(0.3);
            let value = if keep {
                get(doc, &from)?.clone()
            } else {
                remove(doc, &from)?
            };
            let targets = tables(doc);
            let to = pick(rng, &targets)?.clone();
            let Value::Table(t) = get_mut(doc, &to)? else {
                return None;
            };
            t.insert(key.clone(), value);
            Some(format!(
                "{} {} to {}.{key}",
                if keep { "copy" } else { "move" },
                show_path(&from),
                show_path(&to)
            ))
        }
        // A table carried from one array of tables to another ([[component]] to
        // [[workload]], [[fault]] to [[component]], …).
        95..=99 => {
            let aots = arrays_of_tables(doc);
            let from = pick(rng, &aots)?.clone();
            let Value::Array(a) = get_mut(doc, &from)? else {
                return None;
            };
            let i = rng.random_range(0..a.len());
            let keep = rng.random_bool(0.3);
            let table = if keep { a[i].clone() } else { a.remove(i) };
            let targets = arrays_of_tables(doc);
            let to = pick(rng, &targets)?.clone();
            let Value::Array(b) = get_mut(doc, &to)? else {
                return None;
            };
            let j = rng.random_range(0..=b.len());
            b.insert(j, table);
            Some(format!(
                "{} {}[{i}] to {}[{j}]",
                if keep { "copy" } else { "move" },
                show_path(&from),
                show_path(&to)
            ))
        }
        // A key of another scenario's table of the same shape.
        _ => graft(rng, doc),
    }
}

/// The shape of the table at `path`: its keys without the indices, and the kind of each
/// `[[component]]` on the way, so that tables of one shape take the same keys.
fn shape(doc: &Value, path: &[Seg]) -> String {
    let mut s = String::new();
    for (i, seg) in path.iter().enumerate() {
        match seg {
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(_) => {
                if let Some(Value::String(kind)) = get(doc, &path[..=i]).and_then(|v| v.get("kind"))
                {
                    s.push_str(&format!("({kind})"));
                }
            }
        }
    }
    s
}

/// The bundled scenarios as tables, and every table of them by shape: (scenario, path).
#[allow(clippy::type_complexity)]
fn donors() -> &'static (Vec<Value>, BTreeMap<String, Vec<(usize, ValuePath)>>) {
    static DONORS: std::sync::OnceLock<(Vec<Value>, BTreeMap<String, Vec<(usize, ValuePath)>>)> =
        std::sync::OnceLock::new();
    DONORS.get_or_init(|| {
        let docs: Vec<Value> = bundled()
            .iter()
            .map(|(_, text)| Value::Table(toml::from_str::<Table>(text).unwrap()))
            .collect();
        let mut by_shape: BTreeMap<String, Vec<(usize, ValuePath)>> = BTreeMap::new();
        for (i, d) in docs.iter().enumerate() {
            for p in tables(d) {
                by_shape.entry(shape(d, &p)).or_default().push((i, p));
            }
        }
        (docs, by_shape)
    })
}

fn component_ids(doc: &Value) -> Vec<String> {
    match doc.get("component") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|c| c.get("id").and_then(Value::as_str).map(String::from))
            .collect(),
        _ => vec![],
    }
}

/// Gives a table of `doc` a key, with its value, from a table of the same shape in a bundled
/// scenario (an `autoscaling` for a DynamoDB table, a `[[fault]]`, another distribution), or
/// appends an element of that scenario's array to the same array of `doc`. Component ids of
/// the other scenario become ids of this one.
fn graft(rng: &mut TestRng, doc: &mut Value) -> Option<String> {
    let (docs, by_shape) = donors();
    let targets = tables(doc);
    let to = pick(rng, &targets)?.clone();
    let (from_doc, from) = pick(rng, by_shape.get(&shape(doc, &to))?)?;
    let Some(Value::Table(t)) = get(&docs[*from_doc], from) else {
        return None;
    };
    let keys: Vec<&String> = t.keys().collect();
    let key = (*pick(rng, &keys)?).clone();
    let mut value = t[&key].clone();
    let (theirs, ours) = (component_ids(&docs[*from_doc]), component_ids(doc));
    rename_ids(rng, &mut value, &theirs, &ours);
    let Value::Table(dest) = get_mut(doc, &to)? else {
        return None;
    };
    let append = rng.random_bool(0.5);
    match (dest.get_mut(&key), value) {
        (Some(Value::Array(a)), Value::Array(b)) if append && !b.is_empty() => {
            let i = rng.random_range(0..b.len());
            a.push(b[i].clone());
        }
        (_, value) => {
            dest.insert(key.clone(), value);
        }
    }
    let file = Path::new(&bundled()[*from_doc].0)
        .file_name()?
        .to_string_lossy();
    Some(format!(
        "graft {} from {file}:{}",
        show_path(&[to, vec![Seg::Key(key)]].concat()),
        show_path(from)
    ))
}

/// Replaces each string of `v` that is one of `theirs` by one of `ours`.
fn rename_ids(rng: &mut TestRng, v: &mut Value, theirs: &[String], ours: &[String]) {
    match v {
        Value::String(s) if theirs.contains(s) && !ours.contains(s) => {
            if let Some(id) = pick(rng, ours) {
                *s = id.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename_ids(rng, x, theirs, ours)),
        Value::Table(t) => t
            .iter_mut()
            .for_each(|(_, x)| rename_ids(rng, x, theirs, ours)),
        _ => {}
    }
}

/// A value as TOML text on one line, for the description of a mutation.
fn inline(v: &Value) -> String {
    let s = v.to_string().replace('\n', "\\n");
    if s.len() > 60 {
        format!("{}…", &s[..s.floor_char_boundary(60)])
    } else {
        s
    }
}

fn to_text(doc: &Value) -> Option<String> {
    match doc {
        Value::Table(t) => toml::to_string(t).ok(),
        _ => None,
    }
}

/// Case `k`: a bundled scenario with one to three mutations, as (file, mutations, text).
fn case(k: u64) -> Option<(&'static str, Vec<String>, Value)> {
    let mut seed = *b"archsim value fuzzer, case ....."; // 32 bytes, the last 8 replaced
    seed[24..].copy_from_slice(&k.to_le_bytes());
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let which = rng.random_range(0..bundled().len());
    let name = &bundled()[which].0;
    let mut doc = donors().0[which].clone();
    let n = *pick(&mut rng, &[1, 1, 1, 2, 2, 3]).unwrap();
    let mut what = Vec::new();
    for _ in 0..n {
        what.extend(mutate(&mut rng, &mut doc));
    }
    Some((name, what, doc))
}

/// The first time a finding was met, and how often.
struct Seen {
    finding: Finding,
    case: u64,
    file: &'static str,
    mutations: Vec<String>,
    reproducer: String,
    count: u64,
}

/// Shrinks a mutant that gives finding `sig`: drops every key and element it can, one at a
/// time, while the finding stays, and shortens the run to two seconds if it still does.
fn shrink(name: &str, mut doc: Value, sig: &str) -> String {
    let same = |d: &Value| {
        to_text(d).is_some_and(|t| {
            matches!(judge_guarded(name, &t, Duration::from_secs(5)), Err(f) if f.signature() == sig)
        })
    };
    let mut budget = 2000;
    loop {
        let mut progress = false;
        let mut i = 0;
        while budget > 0 {
            // Whole tables first: once `[scenario]` or `[[workload]]` is gone, a finding of
            // validation is tried without running anything.
            let mut paths = all_paths(&doc);
            paths.sort_by_key(Vec::len);
            let Some(path) = paths.get(i) else { break };
            let mut smaller = doc.clone();
            remove(&mut smaller, path);
            budget -= 1;
            if same(&smaller) {
                doc = smaller;
                progress = true;
            } else {
                i += 1;
            }
        }
        if !progress || budget == 0 {
            break;
        }
    }
    let mut shorter = doc.clone();
    if let Some(Value::Table(meta)) = get_mut(&mut shorter, &[Seg::Key("scenario".into())]) {
        meta.insert("duration".into(), Value::String("2s".into()));
        meta.remove("warmup");
    }
    if same(&shorter) {
        doc = shorter;
    }
    to_text(&doc).unwrap_or_default()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

/// Mutated values and tables of every bundled scenario are refused with located messages or
/// run without a panic or a hang.
#[test]
fn mutated_values_never_panic() {
    let cases = env_u64("ARCHSIM_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let from = env_u64("ARCHSIM_FUZZ_FROM").unwrap_or(0);
    let long = cases > DEFAULT_CASES;
    let started = Instant::now();
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut outcomes: BTreeMap<Outcome, u64> = BTreeMap::new();
    let mut unwritable = 0;
    let mut last = from;
    for k in from..from + cases {
        last = k;
        if long && k > from && (k - from).is_multiple_of(10_000) {
            eprintln!(
                "fuzz: {} cases in {:.0?}, {} findings, outcomes {outcomes:?}",
                k - from,
                started.elapsed(),
                seen.len()
            );
        }
        let Some((name, mutations, doc)) = case(k) else {
            continue;
        };
        let Some(text) = to_text(&doc) else {
            unwritable += 1;
            continue;
        };
        let finding = match judge_guarded(name, &text, HANG_AFTER) {
            Ok(o) => {
                *outcomes.entry(o).or_default() += 1;
                continue;
            }
            Err(f) => f,
        };
        let sig = finding.signature();
        if let Some(s) = seen.get_mut(&sig) {
            s.count += 1;
        } else {
            let reproducer = if matches!(finding, Finding::Hang) {
                text.clone()
            } else {
                shrink(name, doc, &sig)
            };
            let s = Seen {
                finding,
                case: k,
                file: name,
                mutations,
                reproducer,
                count: 1,
            };
            if long {
                eprintln!("fuzz: new finding\n{}", show_seen(&s));
            }
            seen.insert(sig.clone(), s);
        }
        if HUNG_RUNNING.load(Ordering::SeqCst) > 1 {
            eprintln!(
                "fuzz: stopping at case {k}: two hung runs are still using the CPU; resume with ARCHSIM_FUZZ_FROM={}",
                k + 1
            );
            break;
        }
    }
    let ran = last + 1 - from;
    let mut report = format!(
        "{ran} cases (from case {from}) in {:.1?}: outcomes {outcomes:?}, {unwritable} not writable as TOML, {} distinct findings\n",
        started.elapsed(),
        seen.len()
    );
    for s in seen.values() {
        report.push_str(&show_seen(s));
    }
    eprintln!("fuzz: {report}");
    assert!(seen.is_empty(), "{report}");
}

fn show_seen(s: &Seen) -> String {
    format!(
        "== {}\n   {} times; first case {} ({}: {})\n   reproducer:\n{}\n",
        s.finding,
        s.count,
        s.case,
        s.file,
        s.mutations.join("; "),
        s.reproducer
            .lines()
            .map(|l| format!("      {l}\n"))
            .collect::<String>()
    )
}
