//! Every malformed scenario in `tests/bad/` is refused with the diagnostic its first line
//! announces: `# expect: LINE:COLUMN: words that must appear`.

use archsim::scenario;
use std::path::Path;

#[test]
fn each_bad_scenario_gets_its_diagnostic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|f| f.extension().is_some_and(|x| x == "toml"));
    files.sort();
    assert!(
        files.len() >= 20,
        "the corpus should cover every validation rule"
    );
    let mut wrong = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let expectations: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !expectations.is_empty(),
            "{}: no `# expect:` line",
            f.display()
        );
        let err = match scenario::parse(&f, &text) {
            Ok(_) => {
                wrong.push(format!("{} was accepted", f.display()));
                continue;
            }
            Err(e) => e,
        };
        let shown = err.to_string();
        for exp in expectations {
            let (pos, words) = exp.split_once(": ").unwrap();
            let want_prefix = format!("{}:{pos}: ", f.display());
            if !shown
                .lines()
                .any(|l| l.starts_with(&want_prefix) && l.contains(words))
            {
                wrong.push(format!(
                    "{}: expected a diagnostic at {pos} containing {words:?}; got:\n{shown}",
                    f.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn all_problems_of_a_file_are_reported_at_once() {
    let text = r#"
[scenario]
duration = "10s"
warmup = "20s"
[[workload]]
name = "u"
target = "nowhere"
arrival = { process = "poisson", rate = -1 }
[[component]]
id = "svc"
kind = "service"
service_time = "1ms"
servers = 0
"#;
    let err = scenario::parse(Path::new("x.toml"), text).unwrap_err();
    let msgs: Vec<String> = err
        .diagnostics
        .iter()
        .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
        .collect();
    let all = msgs.join("\n");
    for want in [
        "4:10 `warmup`",
        "7:10 `target`",
        "8:41 `arrival.rate`",
        "13:11 `servers`",
    ] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
}

mod fuzz {
    use archsim::scenario;
    use proptest::prelude::*;
    use std::path::Path;

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
        #![proptest_config(ProptestConfig::with_cases(512))]
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

    /// The bundled scenarios, which between them use every component kind and fault.
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
        #![proptest_config(ProptestConfig::with_cases(256))]
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

    /// A mutant is refused with located messages, or accepted and run for two simulated
    /// seconds (a panic anywhere fails the property).
    fn refused_or_runs(name: &str, text: &str) -> Result<(), TestCaseError> {
        match scenario::parse(Path::new(name), text) {
            Err(e) => {
                prop_assert!(!e.diagnostics.is_empty());
                for d in &e.diagnostics {
                    prop_assert!(d.line >= 1 && d.column >= 1 && !d.message.is_empty());
                }
            }
            Ok(mut sc) => {
                sc.duration = sc.duration.min(archsim::kernel::SimTime::from_secs(2));
                sc.warmup = archsim::kernel::SimTime::ZERO;
                let _ = archsim::world::World::build(&sc, 1).run();
            }
        }
        Ok(())
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
        #![proptest_config(ProptestConfig::with_cases(256))]
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
}
