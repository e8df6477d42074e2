//! ElastiCache used cache-aside: hit ratio, staleness by strategy, node failures (aws-facts §6).

use crate::Edit;
use crate::{assert_theory, event_at, num, per_seed, run};
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
fn invalidate_on_write_serves_no_stale_read_and_its_hit_ratio_follows_the_entry_lifetime() {
    // A tenth of requests write, over the same Zipf keys as the reads. Each write deletes
    // its key: an entry lives from a read's miss until its TTL or its key's next write,
    // whichever comes first, L = min(T, W) with W exponential at the key's write rate μ, so
    // E[L] = (1 − e^(−μT)) / μ; each miss starts an entry, the reads during its life hit,
    // and the hit ratio of a key read at rate λ is λE[L] / (1 + λE[L]) (lazy loading's
    // λT / (1 + λT) with writes shortening the life). No read is stale: a written key is
    // gone from the cache.
    let text = scenario(
        "invalidate_on_write",
        "redis",
        "ttl = \"60s\"",
        "",
        MOSTLY_READS,
    )
    .edit("duration = \"20m\"", "duration = \"1h\"")
    .edit("warmup = \"1m\"", "warmup = \"5m\"");
    let s = run(&text);
    let (keys, reads, writes, ttl) = (1000, 180.0, 20.0, 60.0);
    let h: f64 = (1..=keys).map(|k| 1.0 / k as f64).sum();
    let theory: f64 = (1..=keys)
        .map(|k| {
            let p = 1.0 / k as f64 / h;
            let (lambda, mu) = (reads * p, writes * p);
            let life = (1.0 - (-mu * ttl).exp()) / mu;
            p * lambda * life / (1.0 + lambda * life)
        })
        .sum();
    assert_theory(
        "hit ratio with invalidation",
        &per_seed(&s, "components.cache.hit_ratio"),
        theory,
        0.01,
    );
    // Below lazy loading's with the same TTL, whose entries outlive their keys' writes.
    let lazy = crate::ttl_cache_hit_ratio(keys, reads, ttl);
    assert!(theory < lazy - 0.01, "{theory} {lazy}");
    assert_eq!(num(&s, "components.cache.stale_reads"), 0.0);
    // A delete for every write answered in the measured time, none in a lazy cache.
    let deletes = num(&s, "components.cache.invalidations");
    let written = 0.1 * num(&s, "workloads.app.requests.total");
    assert!(
        (deletes / written - 1.0).abs() < 0.02,
        "{deletes} {written}"
    );
    let lazy_run = run(&scenario(
        "lazy_loading",
        "redis",
        "ttl = \"60s\"",
        "",
        MOSTLY_READS,
    ));
    assert!(archsim::metrics::pointer(&lazy_run, "components.cache.invalidations").is_none());
}

#[test]
fn a_memcached_node_loss_drops_the_hit_ratio_to_zero_and_it_recovers() {
    // A 10-second replacement: the node is unreachable over 10:00–10:10, then back empty.
    let text = scenario(
        "lazy_loading",
        "memcached",
        "replacement = \"10s\"",
        "[[fault]]\nat = \"10m\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"",
        READS,
    );
    let sc = crate::scenario(&text);
    let r = World::build(&sc, 1).run().unwrap();
    let ratio = crate::series(&r, "cache", "hit_ratio");
    // 10 s windows: the one before the failure (9:50) is warm, the one at 10:10 starts
    // empty and refills, and a few minutes later the cache is as warm as before.
    let (before, at, later) = (ratio[59], ratio[61], ratio[95]);
    assert!(before > 0.9, "{before}");
    assert!(at < before - 0.1, "the miss storm: {at} after {before}");
    assert!(
        (later - before).abs() < 0.03,
        "recovered: {later} vs {before}"
    );
    // The database saw the storm: its arrivals in that window jump.
    let arrivals = crate::series(&r, "db", "arrivals_rps");
    assert!(
        arrivals[61] > 3.0 * arrivals[59],
        "{} vs {}",
        arrivals[61],
        arrivals[59]
    );
    assert!(r.events.iter().any(|e| e.event == "node_lost"));
}

#[test]
fn a_lost_node_without_a_replica_is_unreachable_until_replaced() {
    // aws-facts §6: a node with no replica (Memcached, or Redis without Multi-AZ) is not
    // instantly back and empty: until its replacement (2 minutes here) every read first pays
    // the client's connect timeout (1 s here), then goes to the database uncached.
    for engine in ["memcached", "redis"] {
        let text = scenario(
            "lazy_loading",
            engine,
            "replacement = \"2m\"\nconnect_timeout = \"1s\"",
            "[[fault]]\nat = \"10m\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"",
            READS,
        );
        let s = run(&text);
        // 120 s of 200 reads/s: 24,000 per seed (Poisson sd 155, and 5 seeds averaged).
        let bypassed = num(&s, "components.cache.bypassed") / 5.0;
        assert!((bypassed - 24_000.0).abs() < 800.0, "{engine}: {bypassed}");
        assert_eq!(
            num(&s, "components.cache.connection_errors"),
            num(&s, "components.cache.bypassed"),
            "{engine}: every read paid the timeout"
        );
        // Those reads are 120 s of the 19 measured minutes (10.5 %): the p99 holds the
        // timeout (1 s, plus the database's zero time).
        let p99 = num(&s, "components.cache.response_ms.p99");
        assert!(p99 >= 1000.0, "{engine}: {p99}");
        let r = World::build(&crate::scenario(&text), 1).run().unwrap();
        assert_eq!(
            (event_at(&r, "node_lost"), event_at(&r, "node_replaced")),
            (600.0, 720.0)
        );
    }
}

#[test]
fn volatile_lru_evicts_only_keys_with_a_ttl_and_refuses_sets_when_none_has_one() {
    // A Redis cache of 100 entries, reads only over 1,000 keys, lazy loading. ElastiCache's
    // default policy is volatile-lru (aws-facts §6): with no `ttl` its entries have none, so
    // once the first 100 keys fill it nothing can be evicted, and every later miss's set is
    // refused (OOM) while the read is still answered from the database. Zero latencies: a
    // miss and its set fall in the same measured period.
    let small = |extra: &str| {
        run(&scenario(
            "lazy_loading",
            "redis",
            &format!("capacity = 100\n{extra}"),
            "",
            READS,
        ))
    };
    let no_ttl = small("");
    assert_eq!(num(&no_ttl, "components.cache.evictions"), 0.0);
    let misses = num(&no_ttl, "components.cache.misses");
    assert!(misses > 1000.0, "{misses}");
    assert_eq!(num(&no_ttl, "components.cache.refused_sets"), misses);
    assert_eq!(
        no_ttl["requests"]["by_status"]["200"],
        no_ttl["requests"]["total"]
    );
    // noeviction refuses the same sets.
    let none = small("maxmemory_policy = \"noeviction\"\nttl = \"60s\"");
    assert!(num(&none, "components.cache.refused_sets") > 0.0);
    assert_eq!(num(&none, "components.cache.evictions"), 0.0);
    // allkeys-lru evicts for every miss once full (no key repeats before it is gone: a miss
    // is for a key not held).
    let all = small("maxmemory_policy = \"allkeys-lru\"");
    assert_eq!(num(&all, "components.cache.refused_sets"), 0.0);
    assert_eq!(
        num(&all, "components.cache.evictions"),
        num(&all, "components.cache.misses")
    );
    // With a TTL every entry is volatile: volatile-lru evicts as allkeys-lru would.
    let ttl = small("ttl = \"1h\"");
    assert_eq!(num(&ttl, "components.cache.refused_sets"), 0.0);
    assert_eq!(
        num(&ttl, "components.cache.evictions"),
        num(&ttl, "components.cache.misses")
    );
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
    let ratio = crate::series(&r, "cache", "hit_ratio");
    assert!(
        (ratio[64] - ratio[59]).abs() < 0.03,
        "{} vs {}",
        ratio[64],
        ratio[59]
    );
}

#[test]
fn valkey_is_redis_by_another_name() {
    // aws-facts: §6 engines: Redis OSS / Valkey alike. The same Multi-AZ failover, figure for
    // figure; the diagram names the engine written.
    let fault = "[[fault]]\nat = \"10m\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"";
    let text = |engine: &str| scenario("lazy_loading", engine, "multi_az = true", fault, READS);
    let (redis, valkey) = (run(&text("redis")), run(&text("valkey")));
    for path in [
        "components.cache.bypassed",
        "components.cache.hit_ratio",
        "latency_ms.p99",
    ] {
        assert_eq!(num(&redis, path), num(&valkey, path), "{path}");
    }
    let sc = crate::scenario(&text("valkey"));
    assert_eq!(
        sc.components[0].spec.diagram().lines[0],
        "Valkey, Multi-AZ, lazy loading"
    );
}

/// The scenario above with the cache in zone a, and zone a out from 10:00 for 2 minutes.
fn zone_a_out_for_two_minutes(extra_cache: &str) -> String {
    scenario(
        "lazy_loading",
        "redis",
        &format!("az = \"a\"\n{extra_cache}"),
        "[[fault]]\nat = \"10m\"\nfor = \"2m\"\nkind = \"az_outage\"\naz = \"a\"",
        READS,
    )
}

#[test]
fn a_zone_outage_fails_a_multi_az_redis_over_to_its_replica() {
    // aws-facts §6: Multi-AZ promotes the replica in another zone. The outage is a node
    // failure: 30 s of 200 reads/s go to the database (about 6,000 per seed, Poisson sd 77),
    // then the replica serves, with the data kept, while zone a is still out. No request
    // is lost with the zone.
    let text = zone_a_out_for_two_minutes("multi_az = true");
    let s = run(&text);
    let bypassed = num(&s, "components.cache.bypassed") / 5.0;
    assert!((bypassed - 6_000.0).abs() < 400.0, "{bypassed}");
    assert_eq!(s["requests"]["by_status"]["200"], s["requests"]["total"]);
    let r = World::build(&crate::scenario(&text), 1).run().unwrap();
    assert_eq!(
        (
            event_at(&r, "failover_start"),
            event_at(&r, "failover_done")
        ),
        (600.0, 630.0)
    );
    // 10 s windows: at 10:40, inside the outage, the hit ratio is what it was before it.
    let ratio = crate::series(&r, "cache", "hit_ratio");
    assert!(
        (ratio[64] - ratio[59]).abs() < 0.03,
        "{} vs {}",
        ratio[64],
        ratio[59]
    );
}

#[test]
fn a_zone_outage_loses_a_single_node_until_the_zone_and_its_replacement_are_back() {
    // Without a replica the node is lost with its zone: every read pays the connect timeout
    // (0 s here) and goes to the database, and the node comes back empty no earlier than
    // `replacement` after the loss and no earlier than the zone's return (10:00 + 2 m).
    for (replacement, back) in [("1m", 720.0), ("3m", 780.0)] {
        let text = zone_a_out_for_two_minutes(&format!(
            "replacement = \"{replacement}\"\nconnect_timeout = \"0s\""
        ));
        let s = run(&text);
        assert_eq!(s["requests"]["by_status"]["200"], s["requests"]["total"]);
        // (back − 600) s of 200 reads/s per seed bypass the cache.
        let bypassed = num(&s, "components.cache.bypassed") / 5.0;
        let expected = (back - 600.0) * 200.0;
        assert!(
            (bypassed - expected).abs() < 0.04 * expected,
            "{replacement}: {bypassed} vs {expected}"
        );
        let r = World::build(&crate::scenario(&text), 1).run().unwrap();
        assert_eq!(
            (event_at(&r, "node_lost"), event_at(&r, "node_replaced")),
            (600.0, back)
        );
    }
}

#[test]
fn expired_entries_make_room_before_a_full_noeviction_cache_refuses_a_set() {
    // Redis deletes an expired key when it is read and by its periodic sweep, so a full
    // noeviction cache refuses a set only while its entries are fresh. 5 reads/s over 1,000
    // uniform keys, a 10 s TTL, room for 100 entries: about 50 sets are fresh at any time
    // (5/s × 10 s), so once the first 100 have expired there is always room. Were expired
    // entries kept, the first 100 keys would hold the cache for good and nearly every later
    // miss (the other 900 keys') would be refused.
    let text = scenario(
        "lazy_loading",
        "redis",
        "capacity = 100\nttl = \"10s\"\nmaxmemory_policy = \"noeviction\"",
        "",
        READS,
    )
    .edit("rate = 200", "rate = 5")
    .edit(
        r#"{ dist = "zipf", count = 1000, exponent = 1.0 }"#,
        r#"{ dist = "uniform", count = 1000 }"#,
    );
    let s = run(&text);
    let misses = num(&s, "components.cache.misses");
    let refused = num(&s, "components.cache.refused_sets");
    assert!(misses > 20_000.0, "{misses}");
    assert!(refused < 0.01 * misses, "{refused} of {misses}");
    assert_eq!(num(&s, "components.cache.evictions"), 0.0);
    // Every set but the refused makes an entry that expires (or is read after it has):
    // expiries are about the sets made, misses less the refused.
    let expired = num(&s, "components.cache.expired");
    assert!(
        (expired - (misses - refused)).abs() < 0.02 * misses,
        "{expired} vs {misses} − {refused}"
    );
}

/// `cache_node_failure` faults on "cache" at each of these times.
fn node_failures(at: &[&str]) -> String {
    at.iter()
        .map(|t| {
            format!("[[fault]]\nat = \"{t}\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"\n")
        })
        .collect()
}

/// When event `name` happened in one run, each time [s].
fn times_of(r: &archsim::metrics::RunResult, name: &str) -> Vec<f64> {
    r.events
        .iter()
        .filter(|e| e.event == name)
        .map(|e| e.time.as_secs_f64())
        .collect()
}

#[test]
fn a_failure_during_a_redis_failover_loses_the_cluster_once() {
    // AWS's "Failure scenarios with Multi-AZ responses": with one replica, losing the replica
    // being promoted while the failover runs loses every node ("the entire cluster fails":
    // nodes recreated, data lost). The primary fails at 10:00, the promoted replica at 10:15:
    // the failover ends there, once, without completing, and the cluster is unreachable until
    // recreated `replacement` (5 minutes by default) later, empty, at 15:15.
    let text = scenario(
        "lazy_loading",
        "redis",
        "multi_az = true\nconnect_timeout = \"0s\"",
        &node_failures(&["10m", "10m15s"]),
        READS,
    );
    let r = World::build(&crate::scenario(&text), 1).run().unwrap();
    assert_eq!(times_of(&r, "failover_start"), [600.0]);
    assert_eq!(times_of(&r, "failover_failed"), [615.0]);
    assert!(times_of(&r, "failover_done").is_empty());
    assert_eq!(times_of(&r, "node_lost"), [615.0]);
    assert_eq!(times_of(&r, "node_replaced"), [915.0]);
    let s = run(&text);
    // 15 s of failover and 300 s unreachable, 200 reads/s: 63,000 bypass the cache per seed
    // (Poisson sd 251, 5 seeds averaged), each after a connection error (the failover's too:
    // the endpoint names the lost primary).
    let bypassed = num(&s, "components.cache.bypassed");
    assert!((bypassed / 5.0 - 63_000.0).abs() < 1_500.0, "{bypassed}");
    assert_eq!(num(&s, "components.cache.connection_errors"), bypassed);
    // The cluster came back empty: the window after it (15:20) misses far more than the one
    // before the first failure (9:50).
    let ratio = crate::series(&r, "cache", "hit_ratio");
    assert!(
        ratio[92] < ratio[59] - 0.1,
        "{} vs {}",
        ratio[92],
        ratio[59]
    );
}

#[test]
fn a_redis_primary_lost_before_its_replacement_replica_syncs_loses_the_cluster() {
    // After a failover ElastiCache launches a replacement replica, which syncs before it can
    // be promoted (`replacement`, 2 minutes here: ready at 10:30 + 2 m = 12:30). The new
    // primary lost at 11:00 has no replica to fail over to: every node is lost and recreated
    // at 13:00. Lost at 13:00 instead, after the replica is ready, it fails over again.
    let run_with = |second: &str| {
        let text = scenario(
            "lazy_loading",
            "redis",
            "multi_az = true\nreplacement = \"2m\"",
            &node_failures(&["10m", second]),
            READS,
        );
        World::build(&crate::scenario(&text), 1).run().unwrap()
    };
    let early = run_with("11m");
    assert_eq!(times_of(&early, "failover_start"), [600.0]);
    assert_eq!(times_of(&early, "failover_done"), [630.0]);
    assert_eq!(times_of(&early, "node_lost"), [660.0]);
    assert_eq!(times_of(&early, "node_replaced"), [780.0]);
    // The replica that would have synced at 12:30 was recreated with the cluster instead.
    assert_eq!(times_of(&early, "replica_ready"), [780.0]);
    // Each failover launches a replacement replica: ready 2 minutes after each ends.
    let late = run_with("13m");
    assert_eq!(times_of(&late, "replica_ready"), [750.0, 930.0]);
    assert_eq!(times_of(&late, "failover_start"), [600.0, 780.0]);
    assert_eq!(times_of(&late, "failover_done"), [630.0, 810.0]);
    assert!(times_of(&late, "node_lost").is_empty());
}

#[test]
fn after_a_failover_a_zone_outage_of_the_old_primary_loses_only_the_replica() {
    // The primary fails at 10:00 and the replica in the other zone takes over at 10:30; the
    // replacement replica goes to the failed primary's zone, a. Zone a out from 11:00 for 2
    // minutes holds no primary: no request bypasses the cache beyond the failover's 30 s. Its
    // replica is lost, and its replacement is in sync no earlier than `replacement` (20 s)
    // after the loss and no earlier than the zone's return (13:00).
    let text = scenario(
        "lazy_loading",
        "redis",
        "az = \"a\"\nmulti_az = true\nreplacement = \"20s\"",
        &format!(
            "{}[[fault]]\nat = \"11m\"\nfor = \"2m\"\nkind = \"az_outage\"\naz = \"a\"",
            node_failures(&["10m"])
        ),
        READS,
    );
    let r = World::build(&crate::scenario(&text), 1).run().unwrap();
    assert_eq!(times_of(&r, "failover_done"), [630.0]);
    assert_eq!(times_of(&r, "replica_lost"), [660.0]);
    // Synced at 10:50; lost at 11:00; its replacement due at 11:20 but ready with the zone.
    assert_eq!(times_of(&r, "replica_ready"), [650.0, 780.0]);
    assert!(times_of(&r, "node_lost").is_empty());
    let s = run(&text);
    let bypassed = num(&s, "components.cache.bypassed") / 5.0;
    assert!((bypassed - 6_000.0).abs() < 400.0, "{bypassed}");
}

/// The entries the first `node_lost` event whose detail starts with `node` says were lost.
fn entries_lost(r: &archsim::metrics::RunResult, node: &str) -> f64 {
    let e = r
        .events
        .iter()
        .find(|e| e.event == "node_lost" && e.detail.starts_with(node))
        .unwrap_or_else(|| panic!("no node_lost for {node}"));
    // "node 1 of 4: 250 entries lost", or "1000 entries lost" for a lone node.
    let n = e
        .detail
        .rsplit(": ")
        .next()
        .and_then(|d| d.split(' ').next());
    n.and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", e.detail))
}

#[test]
fn a_lost_memcached_node_of_four_loses_only_its_keys() {
    // aws-facts §6: Memcached spreads keys over its nodes by a client-side hash; a lost node
    // loses its own keys and only the requests for them meet it unreachable (AWS's
    // FaultTolerance page: with 10 nodes a node failure loses about 10 % of the cache). Reads
    // only over 1,000 uniform keys, no TTL: by 10:00 (200 reads/s for 9 minutes) every key is
    // cached. Node 1 of 4 is lost for 2 minutes.
    let cluster = |nodes: usize| {
        scenario(
            "lazy_loading",
            "memcached",
            &format!("nodes = {nodes}\nreplacement = \"2m\"\nconnect_timeout = \"0s\""),
            &node_failures(&["10m"]),
            READS,
        )
        .edit(
            r#"{ dist = "zipf", count = 1000, exponent = 1.0 }"#,
            r#"{ dist = "uniform", count = 1000 }"#,
        )
    };
    let text = cluster(4);
    let r = World::build(&crate::scenario(&text), 1).run().unwrap();
    // Its entries are the keys the hash gives it: binomial(1,000, 1/4), 250 ± 14 (sd).
    let lost = entries_lost(&r, "node 1 of 4");
    assert!((lost - 250.0).abs() < 56.0, "{lost}");
    assert_eq!(times_of(&r, "node_replaced"), [720.0]);
    let s = run(&text);
    // The keys are uniform: that share of the 120 s × 200 reads/s met the lost node (about
    // 6,000 a seed, Poisson sd 77, 5 seeds averaged).
    let errors = num(&s, "components.cache.connection_errors") / 5.0;
    let expected = 24_000.0 * lost / 1000.0;
    assert!(
        (errors - expected).abs() < 0.05 * expected,
        "{errors} vs {expected}"
    );
    // One node holds every key: it loses them all, and every read meets it.
    let whole = World::build(&crate::scenario(&cluster(1)), 1)
        .run()
        .unwrap();
    assert_eq!(entries_lost(&whole, ""), 1000.0);
    let one = run(&cluster(1));
    // Four nodes are four node-hours.
    assert_eq!(
        num(&s, "components.cache.cost_usd"),
        4.0 * num(&one, "components.cache.cost_usd")
    );
}

#[test]
fn a_node_failure_takes_the_first_memcached_nodes_in_service() {
    // `count` nodes of the cluster, the first still in service: nodes 1 and 2 at 10:00, then
    // node 3 at 10:30 (1 and 2 being lost); each back empty 2 minutes after its loss. An
    // outage of the cache's zone, where all its nodes are, loses the four at 15:00.
    let faults =
        "[[fault]]\nat = \"10m\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"\ncount = 2\n\
        [[fault]]\nat = \"10m30s\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"\n\
        [[fault]]\nat = \"15m\"\nfor = \"1m\"\nkind = \"az_outage\"\naz = \"a\"\n";
    let text = scenario(
        "lazy_loading",
        "memcached",
        "az = \"a\"\nnodes = 4\nreplacement = \"2m\"",
        faults,
        READS,
    );
    let r = World::build(&crate::scenario(&text), 1).run().unwrap();
    let lost: Vec<(f64, String)> = r
        .events
        .iter()
        .filter(|e| e.event == "node_lost")
        .map(|e| {
            (
                e.time.as_secs_f64(),
                e.detail.split(':').next().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(f64, String)> = [
        (600.0, 1),
        (600.0, 2),
        (630.0, 3),
        (900.0, 1),
        (900.0, 2),
        (900.0, 3),
        (900.0, 4),
    ]
    .into_iter()
    .map(|(t, n)| (t, format!("node {n} of 4")))
    .collect();
    assert_eq!(lost, want);
    assert_eq!(
        times_of(&r, "node_replaced"),
        [720.0, 720.0, 750.0, 1020.0, 1020.0, 1020.0, 1020.0]
    );
}

#[test]
fn a_redis_failover_costs_each_read_a_connection_error() {
    // aws-facts §6: until the failover repoints the primary endpoint it names the lost
    // primary, so each read of the 30 s meets it and pays the connect timeout (1 s here)
    // before the database, as on an unreachable node: about 6,000 a seed (Poisson sd 77).
    let text = scenario(
        "lazy_loading",
        "redis",
        "multi_az = true\nconnect_timeout = \"1s\"",
        &node_failures(&["10m"]),
        READS,
    );
    let s = run(&text);
    let bypassed = num(&s, "components.cache.bypassed");
    assert!((bypassed / 5.0 - 6_000.0).abs() < 400.0, "{bypassed}");
    assert_eq!(num(&s, "components.cache.connection_errors"), bypassed);
    // 30 s of the 19 measured minutes is 2.6 % of the reads: the p99 holds the timeout.
    let p99 = num(&s, "components.cache.response_ms.p99");
    assert!(p99 >= 1000.0, "{p99}");
    // Clients that keep the old address for up to 20 s after the promotion (`reconnect`): a
    // share falling from all to none meets the old primary, 200 reads/s × 20 s / 2 = 2,000
    // more a seed. The same arrivals (common random numbers): the difference is those reads
    // alone (binomial, sd about 30 a seed).
    let tail = run(&text.edit(
        "connect_timeout = \"1s\"",
        "connect_timeout = \"1s\"\nreconnect = \"20s\"",
    ));
    let more = (num(&tail, "components.cache.bypassed") - bypassed) / 5.0;
    assert!((more - 2_000.0).abs() < 150.0, "{more}");
    assert_eq!(
        num(&tail, "components.cache.connection_errors"),
        num(&tail, "components.cache.bypassed")
    );
}

#[test]
fn a_client_that_names_the_old_primary_pays_for_its_write_through_set_too() {
    // Within `reconnect` a stale client's write goes to the database, then its set meets the
    // old primary as its reads do: a connection error and the connect timeout, not a set
    // skipped for free. Every bypassed request pays exactly one.
    let text = scenario(
        "write_through",
        "redis",
        "multi_az = true\nconnect_timeout = \"1s\"\nreconnect = \"20s\"",
        &node_failures(&["10m"]),
        MOSTLY_READS,
    );
    let s = run(&text);
    let bypassed = num(&s, "components.cache.bypassed");
    // The failover's 30 s and the reconnection's 20 s / 2, at 200 requests/s: 8,000 a seed.
    assert!((bypassed / 5.0 - 8_000.0).abs() < 400.0, "{bypassed}");
    assert_eq!(num(&s, "components.cache.connection_errors"), bypassed);
}

#[test]
fn the_hit_ratio_counts_only_the_reads_that_reached_a_node() {
    // As CloudWatch's CacheHitRate (cache_hits / (cache_hits + cache_misses)) and Memcached's
    // GetHits / CmdGet: a write is no lookup, and a read that met a lost node was never looked
    // up. A tenth of the requests write; the node is unreachable for 2 of the 20 minutes.
    let text = scenario(
        "lazy_loading",
        "memcached",
        "replacement = \"2m\"\nconnect_timeout = \"0s\"",
        &node_failures(&["10m"]),
        MOSTLY_READS,
    );
    let s = run(&text);
    // Each seed's ratio (the summary's is their mean).
    let ratios = per_seed(&s, "components.cache.hit_ratio");
    let seed_hits = per_seed(&s, "components.cache.hits");
    let seed_misses = per_seed(&s, "components.cache.misses");
    for ((r, h), m) in ratios.iter().zip(&seed_hits).zip(&seed_misses) {
        assert_eq!(*r, h / (h + m));
    }
    let (hits, misses) = (
        num(&s, "components.cache.hits"),
        num(&s, "components.cache.misses"),
    );
    // Every read is a hit, a miss or bypassed; writes are none of them: about a tenth of the
    // requests (binomial, 5 seeds × 228,000: sd 0.06 % of the requests).
    let requests = num(&s, "components.cache.requests");
    let reads_bypassed = num(&s, "components.cache.connection_errors");
    let writes = requests - hits - misses - reads_bypassed;
    assert!(
        (writes / requests - 0.1).abs() < 0.003,
        "{writes} of {requests}"
    );
}

#[test]
fn the_chart_shows_the_requests_that_went_around_a_lost_node() {
    // A node loss must show on the cache's chart: a per-second line of the requests that went
    // to the database without the cache, in the "per second" panel beside the misses.
    let info = archsim::components::registry::info("cache").unwrap();
    assert!(info
        .panels
        .iter()
        .any(|p| p.axis == "per second" && p.lines.iter().any(|l| l.series.id == "bypassed_rps")));
    // A Memcached node unreachable over 10:00–12:00 (`replacement`): each of its reads goes
    // around it after an immediate connection error, 200/s; none before or after. 10 s
    // windows, so windows 60 to 71 are the outage; a window counts Poisson(2,000) reads,
    // sd 4.5/s: within 25/s (over five sd).
    let text = scenario(
        "lazy_loading",
        "memcached",
        "replacement = \"2m\"\nconnect_timeout = \"0s\"",
        &node_failures(&["10m"]),
        READS,
    );
    let sc = crate::scenario(&text);
    let seed = sc.seed_list()[0];
    let r = World::build(&sc, seed).run().unwrap();
    let bypassed = crate::series(&r, "cache", "bypassed_rps");
    let errors = crate::series(&r, "cache", "connection_errors_rps");
    assert_eq!(bypassed.len(), 120);
    for (w, (&b, &e)) in bypassed.iter().zip(errors).enumerate() {
        if (60..72).contains(&w) {
            assert!((b - 200.0).abs() < 25.0, "window {w}: {b}/s");
        } else {
            assert_eq!(b, 0.0, "window {w}: the node was up");
        }
        // Reads only: each one that went around the node paid one connection error.
        assert_eq!(e, b, "window {w}");
    }
    // The line adds up to the summary's count (nothing was bypassed in the warmup).
    let total: f64 = bypassed.iter().map(|b| b * 10.0).sum();
    assert_eq!(total, per_seed(&run(&text), "components.cache.bypassed")[0]);
    // Redis with Multi-AZ: the 30 s failover (windows 60 to 62) shows the same way.
    let text = scenario(
        "lazy_loading",
        "redis",
        "multi_az = true\nconnect_timeout = \"0s\"",
        &node_failures(&["10m"]),
        READS,
    );
    let r = World::build(&crate::scenario(&text), seed).run().unwrap();
    let bypassed = crate::series(&r, "cache", "bypassed_rps");
    for (w, &b) in bypassed.iter().enumerate() {
        if (60..63).contains(&w) {
            assert!((b - 200.0).abs() < 25.0, "window {w}: {b}/s");
        } else {
            assert_eq!(b, 0.0, "window {w}: no failover");
        }
    }
}

#[test]
fn a_hit_is_answered_without_an_event_of_the_caches_own() {
    // One key, read over and over: after the first miss every read is a hit. A request is
    // then three events (its arrival, its call reaching the cache, the answer reaching the
    // client) and each call two: the hit's get time goes into the answer's delay
    // (`reply_after`), as a database's read time does, not into a timer of its own.
    let text = scenario("lazy_loading", "redis", "ttl = \"1h\"", "", READS)
        .edit("count = 1000", "count = 1")
        .edit("seeds = 5", "seeds = 1")
        .edit("latency = \"0s\"", "latency = \"300us\"");
    let s = run(&text);
    let (events, calls) = (num(&s, "kernel.events"), num(&s, "kernel.calls"));
    assert!(
        num(&s, "components.cache.hit_ratio") > 0.999,
        "all but the first read hit"
    );
    assert!(
        events < 3.0 * calls + 10.0,
        "{events} events for {calls} calls: about three a call"
    );
}
