//! ElastiCache used cache-aside: hit ratio, staleness by strategy, node failures (aws-facts §6).

use crate::Edit;
use crate::{assert_theory, num, per_seed, run};
use archsim::world::World;

fn scenario(strategy: &str, engine: &str, extra_cache: &str, fault: &str, mix: &str) -> String {
    format!(
        r#"
        [scenario]
        duration = "20m"
        warmup = "1m"
        window = "10s"
        seeds = 5
        [network]
        same_az = "0s"
        [[workload]]
        name = "app"
        target = "cache"
        arrival = {{ process = "poisson", rate = 200 }}
        mix = {mix}
        keys = {{ dist = "zipf", count = 1000, exponent = 1.0 }}
        [[component]]
        id = "cache"
        kind = "cache"
        engine = "{engine}"
        strategy = "{strategy}"
        backend = "db"
        latency = "0s"
        {extra_cache}
        [[component]]
        id = "db"
        kind = "service"
        servers = 200
        service_time = "0s"
        {fault}
        "#
    )
}

const READS: &str = r#"[ { op = "read", weight = 1 } ]"#;
const MOSTLY_READS: &str = r#"[ { op = "read", weight = 9 }, { op = "write", weight = 1 } ]"#;

#[test]
fn the_hit_ratio_follows_the_ttl_cache_formula() {
    // Reads only, TTL 60 s, no eviction, zero latencies: per key λ_k·T / (1 + λ_k·T).
    let theory = crate::ttl_cache_hit_ratio(1000, 200.0, 60.0);
    // The cache starts empty, and a key's renewal cycle needs a few TTLs to forget that:
    // a 5-minute warmup and an hour of measurement keep that transient out of the figure.
    let text = scenario("lazy_loading", "redis", "ttl = \"60s\"", "", READS)
        .edit("duration = \"20m\"", "duration = \"1h\"")
        .edit("warmup = \"1m\"", "warmup = \"5m\"");
    let s = run(&text);
    assert_theory(
        "cache hit ratio",
        &per_seed(&s, "components.cache.hit_ratio"),
        theory,
        0.01,
    );
}

#[test]
fn lazy_loading_serves_stale_reads_and_write_through_does_not() {
    // A tenth of requests write. Lazy loading leaves the cached value as it was until the TTL
    // ends, so reads after a write see the old one; write-through updates the cache on every
    // write, so no read is ever stale.
    let lazy = run(&scenario(
        "lazy_loading",
        "redis",
        "ttl = \"5m\"",
        "",
        MOSTLY_READS,
    ));
    let through = run(&scenario(
        "write_through",
        "redis",
        "ttl = \"5m\"",
        "",
        MOSTLY_READS,
    ));
    assert!(
        num(&lazy, "components.cache.stale_read_fraction") > 0.05,
        "{}",
        num(&lazy, "components.cache.stale_read_fraction")
    );
    assert_eq!(num(&through, "components.cache.stale_reads"), 0.0);
    // And write-through's hit ratio is higher: writes fill the cache too.
    assert!(num(&through, "components.cache.hit_ratio") > num(&lazy, "components.cache.hit_ratio"));
}

#[test]
fn a_memcached_node_loss_drops_the_hit_ratio_to_zero_and_it_recovers() {
    let text = scenario(
        "lazy_loading",
        "memcached",
        "",
        "[[fault]]\nat = \"10m\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"",
        READS,
    );
    let sc = crate::scenario(&text);
    let r = World::build(&sc, 1).run().unwrap();
    let cache = r.actors.iter().find(|a| a.name == "cache").unwrap();
    let ratio = &cache
        .series
        .iter()
        .find(|(n, _)| n == "hit_ratio")
        .unwrap()
        .1;
    // 10 s windows: the one before the failure (9:50) is warm, the one at 10:00 starts
    // empty and refills, and a few minutes later the cache is as warm as before.
    let (before, at, later) = (ratio[59], ratio[60], ratio[90]);
    assert!(before > 0.9, "{before}");
    assert!(at < before - 0.1, "the miss storm: {at} after {before}");
    assert!(
        (later - before).abs() < 0.03,
        "recovered: {later} vs {before}"
    );
    // The database saw the storm: its arrivals in that window jump.
    let db = r.actors.iter().find(|a| a.name == "db").unwrap();
    let arrivals = &db
        .series
        .iter()
        .find(|(n, _)| n == "arrivals_rps")
        .unwrap()
        .1;
    assert!(
        arrivals[60] > 3.0 * arrivals[59],
        "{} vs {}",
        arrivals[60],
        arrivals[59]
    );
    assert!(r.events.iter().any(|e| e.event == "node_lost"));
}

#[test]
fn redis_multi_az_fails_over_in_thirty_seconds_and_keeps_its_data() {
    let text = scenario(
        "lazy_loading",
        "redis",
        "multi_az = true",
        "[[fault]]\nat = \"10m\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"",
        READS,
    );
    let s = run(&text);
    // 30 s of 200/s go straight to the database: about 6,000 per seed (Poisson sd 77).
    let bypassed = num(&s, "components.cache.bypassed") / 5.0;
    assert!((bypassed - 6_000.0).abs() < 400.0, "{bypassed}");
    let sc = crate::scenario(&text);
    let r = World::build(&sc, 1).run().unwrap();
    let start = r
        .events
        .iter()
        .find(|e| e.event == "failover_start")
        .unwrap()
        .time;
    let done = r
        .events
        .iter()
        .find(|e| e.event == "failover_done")
        .unwrap()
        .time;
    assert_eq!((done - start).as_secs_f64(), 30.0);
    // The replica kept the data: right after the failover the hit ratio is as before.
    let cache = r.actors.iter().find(|a| a.name == "cache").unwrap();
    let ratio = &cache
        .series
        .iter()
        .find(|(n, _)| n == "hit_ratio")
        .unwrap()
        .1;
    assert!(
        (ratio[64] - ratio[59]).abs() < 0.03,
        "{} vs {}",
        ratio[64],
        ratio[59]
    );
}
