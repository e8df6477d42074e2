//! Every bundled scenario is valid and runs (shortened here; `archsim run scenarios/` runs
//! them in full), and its summary is a snapshot: a change in any number of any bundled
//! scenario shows in review as a diff of `tests/it/snapshots/`. An experiment's variants are
//! snapshots of their own, `<scenario>@<variant>.snap`. After a change that is meant
//! to move numbers, `INSTA_UPDATE=always cargo test --release bundled` rewrites them (or
//! `cargo insta review` to see each diff).

use archsim::kernel::SimTime;
use archsim::sweep;
use std::path::PathBuf;

#[test]
fn bundled_scenarios_load_and_run() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = sweep::scenario_files(&[dir]).unwrap();
    assert!(files.len() >= 2);
    let mut scenarios = sweep::load_all(&files, &Default::default(), &[]).unwrap_or_else(|errs| {
        panic!(
            "{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    for s in &mut scenarios {
        // A fifth of each run, one seed: enough to exercise everything they use.
        s.duration = SimTime(s.duration.0 / 5).max(s.warmup + SimTime::from_secs(10));
        s.seeds = 1;
    }
    let outcomes = sweep::run_all(&scenarios, &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    crate::kinds::check_emitted(&outcomes);
    crate::service_map::check_every_reached_node_has_a_p99(&outcomes);
    for o in outcomes {
        let total = o.summary["requests"]["total"].as_u64().unwrap();
        assert!(total > 0, "{} served nothing", o.name);
        // What the machine decides, not the model, is left out.
        let (summary, _) = archsim::report::without_timing(&o.summary);
        let snapshot = match summary["variant"].as_str() {
            Some(variant) => format!("{}@{variant}", o.name),
            None => o.name.clone(),
        };
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!(snapshot.as_str(), summary);
        });
    }
}

#[test]
fn bundled_expectations_hold_at_full_length() {
    // What `cargo run --release -- check scenarios/` judges, for the scenarios (and the
    // variants of an experiment) that an expectation applies to: run in full (a few seconds),
    // every verdict must hold.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = sweep::scenario_files(&[dir]).unwrap();
    let scenarios: Vec<_> = sweep::load_all(&files, &Default::default(), &[])
        .unwrap_or_else(|_| panic!("the bundled scenarios load"))
        .into_iter()
        .filter(|s| {
            let variant = s.variant.as_ref().map(|v| v.name.as_str());
            s.expectations.iter().any(|e| e.applies_to(variant))
        })
        .collect();
    assert!(
        scenarios.len() >= 6,
        "{} with expectations",
        scenarios.len()
    );
    let outcomes = sweep::run_all(&scenarios, &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1));
    for o in outcomes {
        assert!(!o.verdicts.is_empty());
        for v in &o.verdicts {
            assert!(
                v.pass,
                "{}: {:?} fails: {:?}",
                o.name, v.expectation, v.problem
            );
        }
    }
}

#[test]
fn the_readme_shows_plots_that_exist() {
    // The README's pictures are committed baselines under results/: a scenario renamed or
    // turned into an experiment (its folders one level down) must not leave a broken image.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let images: Vec<&str> = readme
        .split("](results/")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .collect();
    assert!(images.len() >= 4, "{images:?}");
    for image in images {
        assert!(
            root.join("results").join(image).is_file(),
            "README shows results/{image}, which does not exist"
        );
    }
}

#[test]
fn the_readmes_scenario_in_full_validates() {
    // Its keys are what a new user copies first: every one must parse and check, the
    // commented-out ones (which need variants) left out.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let at = readme
        .find("name = \"two-tier\"")
        .expect("the README's scenario in full");
    let start = readme[..at].rfind("```toml\n").expect("its block") + "```toml\n".len();
    let end = start + readme[start..].find("```").expect("its block's end");
    let sc = crate::scenario(&readme[start..end]);
    assert_eq!(sc.name, "two-tier");
    assert!(!sc.expectations.is_empty());
}
