//! A tiny run of each benchmark model, so the benches never rot: the model file the bench
//! uses must load and run, and its figures must be the M/M/c ones.

use archsim::kernel::SimTime;
use archsim::scenario;
use std::path::PathBuf;

#[test]
fn the_mmc_bench_model_runs() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/mm10.toml");
    let mut sc = scenario::load(&path, &Default::default(), &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .swap_remove(0);
    sc.duration = SimTime::from_secs(60);
    let s = crate::run_scenario(&sc);
    // λ = 900/s for 60 s: about 54,000 customers, utilisation near 0.9.
    let n = crate::num(&s, "requests.total");
    assert!((n - 54_000.0).abs() < 1_000.0, "{n}");
    let u = crate::num(&s, "components.mmc.utilisation");
    assert!((u - 0.9).abs() < 0.03, "{u}");
    // Four events per customer: arrival, delivery, completion, reply.
    let events = crate::num(&s, "kernel.events");
    assert!((events / n - 4.0).abs() < 0.01, "{}", events / n);
}

#[test]
fn the_serverless_bench_model_runs() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/serverless-1h-10k.toml");
    let mut sc = scenario::load(&path, &Default::default(), &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .swap_remove(0);
    sc.duration = SimTime::from_secs(20);
    let s = crate::run_scenario(&sc);
    // 10,000/s for 20 s, nearly all served: the model exercises the three kinds end to end.
    let n = crate::num(&s, "requests.total");
    assert!((n - 200_000.0).abs() < 2_000.0, "{n}");
    assert!(crate::num(&s, "requests.by_status.200") > 0.99 * n);
    assert!(crate::num(&s, "components.table.requests") > 0.99 * n);
}

#[test]
fn the_server_bench_model_runs() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/server-1h-2k.toml");
    let mut sc = scenario::load(&path, &Default::default(), &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .swap_remove(0);
    sc.duration = SimTime::from_secs(30);
    let s = crate::run_scenario(&sc);
    // 2,000/s for 30 s through the group to the database, all served.
    let n = crate::num(&s, "requests.total");
    assert!((n - 60_000.0).abs() < 1_500.0, "{n}");
    assert_eq!(crate::num(&s, "requests.by_status.200"), n);
    assert!(crate::num(&s, "components.db.replica_reads") > 0.85 * n);
}
