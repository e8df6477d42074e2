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
