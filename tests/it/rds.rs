//! RDS against its documented behaviour (aws-facts §5).

use crate::{num, per_seed, scenario};
use archsim::world::World;

/// A workload calling database `db` directly: `rate` per second, `writes` of them writes;
/// `db` holds the database's extra keys.
fn rds(duration: &str, rate: f64, writes: f64, db: &str, faults: &str, seeds: u32) -> String {
    format!(
        r#"
        [scenario]
        duration = "{duration}"
        seeds = {seeds}
        [network]
        same_az = "0s"
        cross_az = "0s"
        [[workload]]
        name = "app"
        target = "db"
        arrival = {{ process = "poisson", rate = {rate} }}
        mix = [ {{ op = "read", weight = {r} }}, {{ op = "write", weight = {writes} }} ]
        keys = {{ dist = "zipf", count = 1000, exponent = 1.0 }}
        [[component]]
        id = "db"
        kind = "rds"
        az = "a"
        instance_class = "db.m5.large"
        read_time = "1ms"
        write_time = "2ms"
        {db}
        {faults}
        "#,
        r = 1.0 - writes
    )
}

#[test]
fn max_connections_follow_the_engines_formula() {
    // aws-facts §5: PostgreSQL memory/9531392 (capped at 5000), MySQL memory/12582880;
    // db.m5.large has 8 GiB.
    for (engine, expected) in [("postgres", 901.0), ("mysql", 682.0)] {
        let s = crate::run(&rds(
            "10s",
            10.0,
            0.1,
            &format!("engine = \"{engine}\""),
            "",
            1,
        ));
        assert_eq!(
            num(&s, "components.db.max_connections"),
            expected,
            "{engine}"
        );
    }
}

#[test]
fn multi_az_failover_takes_the_documented_time_and_the_writer_fails_meanwhile() {
    // aws-facts §5: failover typically 60–120 s; writes answer 503 from the failure until the
    // standby has taken over and the clients' DNS caches (5 s TTL) have expired.
    let s = crate::run(&rds(
        "6m",
        200.0,
        0.2,
        "multi_az = true",
        r#"[[fault]]
           at = "60s"
           kind = "rds_primary_failure"
           target = "db""#,
        8,
    ));
    let downtimes = per_seed(&s, "components.db.failover_downtime_s");
    for d in &downtimes {
        assert!((60.0..=120.0).contains(d), "{downtimes:?}");
    }
    // 503s: 200/s for the downtime, plus on average half the TTL's worth as caches expire.
    // Summary counts add up over the seeds.
    let expected: f64 = downtimes.iter().map(|d| 200.0 * (d + 2.5)).sum();
    let errors = num(&s, "requests.by_status.503");
    assert!(
        (errors - expected).abs() < 0.05 * expected,
        "{errors} vs {expected}"
    );
}

#[test]
fn a_single_az_instance_is_down_until_recovered_and_a_replica_can_be_promoted() {
    let fault = r#"[[fault]]
        at = "30s"
        kind = "rds_primary_failure"
        target = "db""#;
    let s = crate::run(&rds("15m", 50.0, 0.2, r#"recovery_time = "7m""#, fault, 1));
    assert_eq!(num(&s, "components.db.failover_downtime_s"), 420.0);
    let promote = scenario(&rds(
        "10m",
        50.0,
        0.2,
        r#"read_replicas = 1
           on_primary_failure = "promote_replica"
           promotion_time = "3m""#,
        fault,
        1,
    ));
    let s = crate::run_scenario(&promote);
    assert_eq!(num(&s, "components.db.failover_downtime_s"), 180.0);
    let r = World::build(&promote, 1).run().unwrap();
    assert!(r.events.iter().any(|e| e.event == "promotion_complete"));
    // Reads kept going to the replica while the writer was down: 80 % of the traffic served.
    let ok = num(&s, "requests.by_status.200") / num(&s, "requests.total");
    assert!((ok - (1.0 - 0.2 * 180.0 / 600.0)).abs() < 0.01, "{ok}");
}

#[test]
fn multi_az_commits_wait_one_cross_zone_round_trip() {
    // aws-facts §5/§13: + one cross-AZ round trip per commit (0.5–1 ms each way: 1.5 ms on
    // average).
    let mean = |db: &str| {
        let s = crate::run(&rds("5m", 100.0, 0.5, db, "", 1));
        num(&s, "components.db.write_ms.mean")
    };
    let extra = mean("multi_az = true") - mean("multi_az = false");
    assert!((1.4..=1.6).contains(&extra), "{extra}");
}

#[test]
fn stale_reads_appear_only_with_replicas_and_vanish_at_zero_lag() {
    let stale = |db: &str| {
        let s = crate::run(&rds("3m", 500.0, 0.3, db, "", 1));
        crate::num(&s, "components.db.stale_reads")
    };
    // Replicas replaying each write in 2 ms at 150 writes/s (30 % busy): some reads of hot
    // keys land before their write is replayed.
    assert!(stale("read_replicas = 2") > 50.0);
    // Zero replay time: zero lag, no stale read.
    assert_eq!(stale("read_replicas = 2\napply_time = \"0s\""), 0.0);
    // Replicas present but reads sent to the writer: none either.
    assert_eq!(stale("read_replicas = 2\nreads = \"primary\""), 0.0);
    // Without replicas there is nothing to be stale: the metric does not exist.
    let s = crate::run(&rds("1m", 500.0, 0.3, "", "", 1));
    assert!(archsim::metrics::pointer(&s, "components.db.stale_reads").is_none());
}

#[test]
fn replica_lag_grows_without_bound_once_writes_outpace_the_replay() {
    // Replay takes 2 ms per write: 500 writes/s is its capacity. At 550/s the backlog grows
    // by 50 writes a second, so after t seconds the oldest unreplayed write is t·(1 − 500/550)
    // old: 60 s in, about 5.5 s. At 250/s (50 % busy) the lag stays in milliseconds.
    let lag = |writes_per_s: f64| {
        let s = crate::run(&rds(
            "60s",
            writes_per_s * 2.0,
            0.5,
            "read_replicas = 1\napply_time = \"2ms\"",
            "",
            1,
        ));
        num(&s, "components.db.replica_lag_max_s")
    };
    let light = lag(250.0);
    assert!(light < 0.1, "{light}");
    let heavy = lag(550.0);
    let theory = 60.0 * (1.0 - 500.0 / 550.0);
    assert!(
        (heavy - theory).abs() < 0.15 * theory,
        "{heavy} vs {theory}"
    );
}

#[test]
fn a_single_az_backup_suspends_io_and_a_multi_az_one_does_not() {
    let max_write = |multi: bool| {
        let s = crate::run(&rds(
            "2m",
            100.0,
            0.5,
            &format!("multi_az = {multi}\nbackup = {{ at = \"30s\", io_pause = \"5s\" }}"),
            "",
            1,
        ));
        num(&s, "components.db.write_ms.max")
    };
    // A query caught at the start of the pause waits it out: about 5 s.
    let single = max_write(false);
    assert!((4_900.0..=5_100.0).contains(&single), "{single}");
    assert!(max_write(true) < 100.0);
}

#[test]
fn a_failover_near_the_end_leaves_nothing_running_past_it_and_events_stay_in_order() {
    // The old primary's replacement takes 5–10 min, past the end of a 4-minute run: no
    // standby_ready event, and the run stops once in-flight work has drained (well before
    // 5 min). events.csv lists, per seed, in time order with arrivals_end in its place.
    let sc = scenario(&rds(
        "4m",
        50.0,
        0.2,
        "multi_az = true",
        r#"[[fault]]
           at = "60s"
           kind = "rds_primary_failure"
           target = "db""#,
        1,
    ));
    let r = World::build(&sc, 1).run().unwrap();
    assert!(r.end_time.as_secs_f64() < 250.0, "{:?}", r.end_time);
    assert!(r.events.iter().all(|e| e.event != "standby_ready"));
    let csv = archsim::report::events_csv(&[r]);
    let times: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{csv}");
    assert!(
        csv.lines().any(|l| l.starts_with("240,1,,arrivals_end")),
        "{csv}"
    );
}
