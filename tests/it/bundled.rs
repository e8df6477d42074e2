//! Every bundled scenario is valid and runs (shortened here; `archsim run scenarios/` runs
//! them in full).

use archsim::kernel::SimTime;
use archsim::sweep;
use std::path::PathBuf;

#[test]
fn bundled_scenarios_load_and_run() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = sweep::scenario_files(&[dir]).unwrap();
    assert!(files.len() >= 2);
    let mut scenarios = sweep::load_all(&files).unwrap_or_else(|errs| {
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
    let outcomes =
        sweep::run_all(&scenarios, Some(2), &|_| {}).unwrap_or_else(|f| panic!("{}", f[0].1));
    for o in outcomes {
        let total = o.summary["requests"]["total"].as_u64().unwrap();
        assert!(total > 0, "{} served nothing", o.name);
    }
}
