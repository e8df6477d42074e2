//! EBS against its documented behaviour (aws-facts §11): gp2's baseline and burst bucket,
//! gp3's flat 3,000 IOPS, io1's bounds, and a volume per instance; and an RDS instance's
//! storage under RDS's rules (its sizes, striping and gp3 provisioning by engine).

use crate::{num, run};
use archsim::metrics::{pointer, Summary};
use std::path::Path;

/// A host `id` (its other keys `host`) reached by `rate` requests a second, each doing `ios`
/// I/Os on its volume described by `volume` (keys of the `ebs` table), for `duration`.
fn on_host(duration: &str, rate: u32, id: &str, host: &str, ios: u32, volume: &str) -> String {
    format!(
        r#"
        [scenario]
        duration = "{duration}"
        window = "1s"
        [network]
        same_az = "0s"
        [[workload]]
        name = "app"
        target = "{id}"
        arrival = {{ process = "constant", rate = {rate} }}
        [[component]]
        id = "{id}"
        {host}
        [[component]]
        id = "disk"
        kind = "ebs"
        attached_to = "{id}"
        ios_per_read = {ios}
        {volume}
        "#
    )
}

/// A database (RDS for PostgreSQL: one writer, `replicas` read replicas taking the reads)
/// reached by `rate` reads a second, each doing `ios` I/Os on its storage described by
/// `volume` (under RDS's rules), for `duration`.
fn database(duration: &str, rate: u32, replicas: u32, ios: u32, volume: &str) -> String {
    let host = format!(
        r#"kind = "rds"
        engine = "postgres"
        instance_class = "db.m5.large"
        read_replicas = {replicas}
        read_time = "0.1ms"
        write_time = "0.1ms""#
    );
    on_host(duration, rate, "db", &host, ios, volume)
}

/// An Auto Scaling group of one instance reached by `rate` requests a second, each doing `ios`
/// I/Os on a volume described by `volume`, for `duration`: a volume under EBS's own rules
/// (an RDS instance's storage follows RDS's, `rds_storage_*` below).
fn instance(duration: &str, rate: u32, ios: u32, volume: &str) -> String {
    let host = r#"kind = "ec2_autoscaling"
        instance_type = "c6i.large"
        min = 1
        max = 1
        work = "0.1ms""#;
    on_host(duration, rate, "web", host, ios, volume)
}

fn has(s: &Summary, path: &str) -> bool {
    pointer(s, path).and_then(|v| v.as_f64()).is_some()
}

#[test]
fn a_gp2_burst_lasts_its_credits_over_burst_minus_baseline() {
    // aws-facts: §11 EBS gp2: 100 GiB has a baseline of 3 × 100 = 300 IOPS and bursts to
    // 3,000 from a bucket of 5.4 M credits refilled at 300 a second. 40 reads a second of 100
    // I/Os ask for 4,000 IOPS, more than the burst: the volume dispatches 3,000 a second and
    // the bucket drains at 3,000 − 300 = 2,700, so it is dry at 5.4 M / 2,700 = 2,000 s.
    let s = run(&database(
        "2100s",
        40,
        0,
        100,
        "volume_type = \"gp2\"\nsize_gib = 100",
    ));
    let spent = num(&s, "components.disk.burst_spent_at_s");
    // Within the time of one read's 100 I/Os at the burst (33 ms), and a window either way
    // for the arithmetic: the last I/O with credits leaves at 2,000 s.
    assert!((spent - 2_000.0).abs() < 1.0, "{spent}");
    // Over the 2,100 s: 3,000 a second for 2,000 s, then 300 a second for 100 s: 6,000,000
    // + 30,000 = 6,030,000 I/Os (5.4 M credits + 300 × 2,100 s of refill), each counted at
    // its dispatch; the last read's I/Os may straddle the end: within 100.
    let ios = num(&s, "components.disk.ios");
    assert!((ios - 6_030_000.0).abs() <= 100.0, "{ios}");
    assert_eq!(num(&s, "components.disk.baseline_iops"), 300.0);
    assert_eq!(num(&s, "components.disk.peak_iops"), 3_000.0);
    // The bucket's balance falls to nothing (under one credit at some window's end).
    assert!(num(&s, "components.disk.burst_balance_min_pct") < 1e-4);
}

#[test]
fn gp2_baseline_is_three_iops_per_gib_at_least_100() {
    // aws-facts: §11 EBS gp2: with its bucket empty (`burst_credits = 0`) a volume serves its
    // baseline: 3 IOPS per GiB, at least 100. Saturated for 100 s (50 reads a second of 100
    // I/Os), 10 GiB dispatches 100 × 100 = 10,000 I/Os (not 30 × 100), 500 GiB 1,500 × 100 =
    // 150,000; within one read's 100 I/Os for where the run ends.
    for (gib, baseline) in [(10, 100.0), (500, 1_500.0)] {
        let volume = format!("volume_type = \"gp2\"\nsize_gib = {gib}\nburst_credits = 0");
        let s = run(&instance("100s", 50, 100, &volume));
        assert_eq!(num(&s, "components.disk.baseline_iops"), baseline);
        let ios = num(&s, "components.disk.ios");
        assert!((ios - baseline * 100.0).abs() <= 100.0, "{gib} GiB: {ios}");
    }
    // 2,000 GiB: a baseline of 6,000, above the burst, so no bucket: 6,000 IOPS all along.
    let s = run(&instance(
        "100s",
        70,
        100,
        "volume_type = \"gp2\"\nsize_gib = 2000",
    ));
    assert_eq!(num(&s, "components.disk.baseline_iops"), 6_000.0);
    assert!(!has(&s, "components.disk.burst_spent_at_s"));
    let ios = num(&s, "components.disk.ios");
    assert!((ios - 600_000.0).abs() <= 100.0, "{ios}");
}

#[test]
fn gp3_is_flat_at_3000_iops() {
    // aws-facts: §11 EBS gp3: 3,000 IOPS at any size, no bucket. Saturated (4,000 IOPS asked)
    // for 600 s it dispatches 3,000 × 600 = 1,800,000 I/Os, at 1 GiB as at 1,000; no burst
    // ends, and the IOPS limit is 3,000 in every window.
    for gib in [1, 1000] {
        let volume = format!("volume_type = \"gp3\"\nsize_gib = {gib}");
        let s = run(&instance("600s", 40, 100, &volume));
        let ios = num(&s, "components.disk.ios");
        assert!((ios - 1_800_000.0).abs() <= 100.0, "{gib} GiB: {ios}");
        assert!(!has(&s, "components.disk.burst_spent_at_s"));
        assert!(!has(&s, "components.disk.io_wait_after_spent_mean_ms"));
    }
    // Provisioned to 6,000 IOPS the same load passes whole: 4,000 × 600 = 2,400,000.
    let s = run(&instance(
        "600s",
        40,
        100,
        "volume_type = \"gp3\"\nsize_gib = 100\niops = 6000",
    ));
    let ios = num(&s, "components.disk.ios");
    assert!((ios - 2_400_000.0).abs() <= 100.0, "{ios}");
}

#[test]
fn io_waits_raise_latency_once_the_credits_are_gone() {
    // 200 reads a second of 2 I/Os ask 400 IOPS of a 100 GiB gp2 volume (baseline 300): the
    // bucket, started with 20,000 credits, drains at 400 − 300 = 100 a second and is dry at
    // 200 s. Before, a read's two I/Os leave 1/3,000 s apart: its wait is at most a few
    // tenths of a millisecond. After, the volume serves 300 of the 400 I/Os asked each second
    // and the backlog grows by 100 a second: 100 / 300 s more wait each second, about 30 s
    // after 100 s, so the mean wait after is many seconds (the database's connections fill
    // and it refuses the queries beyond them, capping the wait).
    let gp2 = "volume_type = \"gp2\"\nsize_gib = 100\nburst_credits = 20000";
    let s = run(&database("300s", 200, 0, 2, gp2));
    let spent = num(&s, "components.disk.burst_spent_at_s");
    assert!((spent - 200.0).abs() < 1.0, "{spent}");
    let before = num(&s, "components.disk.io_wait_with_credits_mean_ms");
    let after = num(&s, "components.disk.io_wait_after_spent_mean_ms");
    assert!(before < 0.5, "{before}");
    assert!(after > 1_000.0, "{after}");
    // The database's reads wait for it: their p99 is seconds, where on gp3 (the same reads,
    // 400 of its 3,000 IOPS) it is the read's work and its I/O latency, milliseconds.
    let slow = num(&s, "components.db.read_ms.p99");
    let s = run(&database(
        "300s",
        200,
        0,
        2,
        "volume_type = \"gp3\"\nsize_gib = 100",
    ));
    let flat = num(&s, "components.db.read_ms.p99");
    assert!(
        flat < 10.0 && slow > 1_000.0,
        "gp3 {flat} ms, gp2 {slow} ms"
    );
}

#[test]
fn each_instance_has_its_own_volume() {
    // 40 reads a second of 100 I/Os spread over two read replicas: 2,000 IOPS on each
    // replica's own 100 GiB gp2 volume, under the 3,000 burst, so each bucket (170,000
    // credits) drains at 2,000 − 300 = 1,700 a second and is dry at 100 s. Were the two
    // sharing one volume, its 4,000 IOPS would saturate it and drain it at 2,700: 63 s.
    let gp2 = "volume_type = \"gp2\"\nsize_gib = 100\nburst_credits = 170000";
    let s = run(&database("130s", 40, 2, 100, gp2));
    let spent = num(&s, "components.disk.burst_spent_at_s");
    assert!((spent - 100.0).abs() < 1.0, "{spent}");
    // The writer's, and one for each replica.
    assert_eq!(num(&s, "components.disk.volumes"), 3.0);

    // The same for an Auto Scaling group's two instances, which take turns at the requests.
    let s = run(&format!(
        r#"
        [scenario]
        duration = "130s"
        window = "1s"
        [[workload]]
        name = "app"
        target = "web"
        arrival = {{ process = "constant", rate = 40 }}
        [[component]]
        id = "web"
        kind = "ec2_autoscaling"
        instance_type = "c6i.large"
        min = 2
        max = 2
        work = "0.1ms"
        [[component]]
        id = "disk"
        kind = "ebs"
        attached_to = "web"
        ios_per_read = 100
        {gp2}
        "#
    ));
    let spent = num(&s, "components.disk.burst_spent_at_s");
    assert!((spent - 100.0).abs() < 1.0, "{spent}");
    assert_eq!(num(&s, "components.disk.volumes"), 2.0);
}

#[test]
fn io1_iops_beyond_50_per_gib_are_refused() {
    // aws-facts: §11 EBS io1: at most 50 IOPS per GiB: 100 GiB takes 5,000, not 5,001.
    let io1 = |iops: u32| {
        database(
            "10s",
            1,
            0,
            1,
            &format!("volume_type = \"io1\"\nsize_gib = 100\niops = {iops}"),
        )
    };
    assert!(archsim::scenario::parse(Path::new("t.toml"), &io1(5_000)).is_ok());
    let e = archsim::scenario::parse(Path::new("t.toml"), &io1(5_001))
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("at most 50 IOPS per GiB: 5000 for 100 GiB"),
        "{e}"
    );
    // A provisioned 5,000 IOPS serves 5,000 (60 reads a second of 100 I/Os ask 6,000;
    // saturated for 100 s): 500,000 I/Os.
    let s = run(&io1(5_000)
        .replace("\"10s\"", "\"100s\"")
        .replace("rate = 1 }", "rate = 60 }")
        .replace("ios_per_read = 1\n", "ios_per_read = 100\n"));
    let ios = num(&s, "components.disk.ios");
    assert!((ios - 500_000.0).abs() <= 100.0, "{ios}");
}

#[test]
fn st1_bursts_on_throughput_credits_then_serves_its_baseline() {
    // aws-facts: §11 EBS st1: 1 TiB has a baseline of 40 MiB/s and bursts to 250 MiB/s from a
    // bucket of throughput credits. 30 reads a second of 10 I/Os of 1 MiB ask 300 MiB/s, more
    // than the burst: the volume moves 250 MiB/s and its bucket (started with 21,000 MiB)
    // drains at 250 − 40 = 210 MiB/s, dry at 100 s. Over 130 s it moves 21,000 + 40 × 130 =
    // 26,200 MiB, one I/O each (an HDD I/O counts once up to 1 MiB); within one read's 10
    // I/Os for where the run ends.
    let volume =
        "volume_type = \"st1\"\nsize_gib = 1024\nburst_credits = 21000\nio_size_kib = 1024";
    let s = run(&instance("130s", 30, 10, volume));
    let spent = num(&s, "components.disk.burst_spent_at_s");
    assert!((spent - 100.0).abs() < 1.0, "{spent}");
    let ios = num(&s, "components.disk.ios");
    assert!((ios - 26_200.0).abs() <= 10.0, "{ios}");
    assert_eq!(num(&s, "components.disk.peak_mibps"), 250.0);
}

#[test]
fn st1_charges_a_small_io_as_a_whole_mib() {
    // AWS's HDD volumes page: on st1 and sc1 an I/O of 1 MiB or less counts as a 1 MiB I/O
    // credit. 10 reads a second of 100 random 16 KiB I/Os ask 1,000 IOPS of a 1 TiB st1
    // volume: each spends 1 MiB, so with credits it dispatches its burst, 250 MiB/s, that
    // is 250 IOPS (not its 500-IOPS cap: 16 KiB × 500 is only 7.8 MiB/s), 25,000 I/Os in
    // 100 s; with its bucket empty, its baseline of 40 MiB/s: 40 IOPS, 4,000 I/Os. Within
    // one read's 100 I/Os for where the run ends.
    for (credits, iops) in [("", 250.0), ("\nburst_credits = 0", 40.0)] {
        let volume = format!("volume_type = \"st1\"\nsize_gib = 1024{credits}");
        let s = run(&instance("100s", 10, 100, &volume));
        let ios = num(&s, "components.disk.ios");
        assert!((ios - iops * 100.0).abs() <= 100.0, "{credits:?}: {ios}");
    }
}

#[test]
fn gp2_and_io1_throughput_caps_large_ios() {
    // AWS's General Purpose SSD page: a gp2 volume of 170 GiB or less moves at most
    // 128 MiB/s. 40 reads a second of 100 I/Os of 256 KiB ask 4,000 IOPS of a 100 GiB volume
    // with credits: its 3,000-IOPS burst would be 750 MiB/s, so the throughput binds at
    // 128 × 4 = 512 IOPS: 51,200 I/Os in 100 s (the bucket, draining at 512 − 300 a second,
    // lasts). Within one read's 100 I/Os for where the run ends.
    let gp2 = "volume_type = \"gp2\"\nsize_gib = 100\nio_size_kib = 256";
    let s = run(&database("100s", 40, 0, 100, gp2));
    let ios = num(&s, "components.disk.ios");
    assert!((ios - 51_200.0).abs() <= 100.0, "gp2: {ios}");
    assert_eq!(num(&s, "components.disk.peak_mibps"), 128.0);
    // AWS's Provisioned IOPS SSD page: io1 provisioned with up to 32,000 IOPS moves at most
    // 500 MiB/s. 5,000 IOPS of 256 KiB would be 1,250 MiB/s: it dispatches 500 × 4 = 2,000
    // a second of the 6,000 asked, 200,000 in 100 s.
    let io1 = "volume_type = \"io1\"\nsize_gib = 100\niops = 5000\nio_size_kib = 256";
    let s = run(&database("100s", 60, 0, 100, io1));
    let ios = num(&s, "components.disk.ios");
    assert!((ios - 200_000.0).abs() <= 100.0, "io1: {ios}");
}

#[test]
fn gp3_iops_and_throughput_are_bounded_by_their_ratios() {
    // AWS's General Purpose SSD page: gp3 takes at most 500 provisioned IOPS per GiB (its
    // 3,000 at any size) and at most 0.25 MiB/s per provisioned IOPS.
    let gp3 = |keys: &str| {
        let toml = instance("10s", 1, 1, &format!("volume_type = \"gp3\"\n{keys}"));
        archsim::scenario::parse(Path::new("t.toml"), &toml).map_err(|e| e.to_string())
    };
    assert!(gp3("size_gib = 1\niops = 3000").is_ok());
    assert!(gp3("size_gib = 10\niops = 5000").is_ok());
    let e = gp3("size_gib = 10\niops = 5001").expect_err("refused");
    assert!(
        e.contains("at most 500 IOPS per GiB: 5000 for 10 GiB"),
        "{e}"
    );
    assert!(gp3("size_gib = 100\nthroughput_mibps = 750").is_ok());
    let e = gp3("size_gib = 100\nthroughput_mibps = 751").expect_err("refused");
    assert!(
        e.contains("at most 0.25 MiB/s per provisioned IOPS: 750 for 3000 IOPS"),
        "{e}"
    );
    assert!(gp3("size_gib = 100\niops = 4000\nthroughput_mibps = 1000").is_ok());
}

#[test]
fn a_volume_costs_its_monthly_price_prorated_while_attached() {
    // One database instance, its gp3 volume of 100 GiB at 10,000 IOPS and 250 MiB/s attached
    // from the start of a 1-hour run: $8 + 7,000 × $0.005 + 125 × $0.04 = $48 a month of
    // 730 hours, so $48 / 730 = $0.065753… for the hour. A gp2 volume of the same size:
    // $10 / 730.
    for (volume, monthly) in [
        (
            "volume_type = \"gp3\"\nsize_gib = 100\niops = 10000\nthroughput_mibps = 250",
            48.0,
        ),
        ("volume_type = \"gp2\"\nsize_gib = 100", 10.0),
    ] {
        let s = run(&instance("1h", 1, 1, volume));
        assert_eq!(num(&s, "components.disk.monthly_usd_per_volume"), monthly);
        assert!((num(&s, "components.disk.volume_hours") - 1.0).abs() < 1e-9);
        let cost = num(&s, "components.disk.cost_usd");
        assert!((cost - monthly / 730.0).abs() < 1e-12, "{cost}");
    }
}

/// `database`'s scenario for `engine`, its volume `volume` (with any keys the engine needs).
fn on_engine(engine: &str, duration: &str, rate: u32, ios: u32, volume: &str) -> String {
    let extra = if matches!(engine, "oracle" | "sqlserver") {
        "\n        max_connections = 1000"
    } else {
        ""
    };
    database(duration, rate, 0, ios, volume).replace(
        "engine = \"postgres\"",
        &format!("engine = \"{engine}\"{extra}"),
    )
}

/// Parses `database`'s scenario on `engine` with `volume`: the error's text when refused.
fn parse_on(engine: &str, volume: &str) -> Result<(), String> {
    let toml = on_engine(engine, "10s", 1, 1, volume);
    archsim::scenario::parse(Path::new("t.toml"), &toml)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn rds_storage_takes_rdss_types_and_sizes() {
    // AWS, "Amazon RDS DB instance storage": General Purpose SSD (gp2, gp3) from 20 GiB,
    // Provisioned IOPS SSD (io1, io2) from 100 GiB, up to 64 TiB (16 TiB on SQL Server); no
    // HDD. The same sizes are fine on an EC2 instance's volume.
    let ok = |engine: &str, v: &str| parse_on(engine, v).map_err(|e| format!("{v}: {e}"));
    ok("postgres", "volume_type = \"gp3\"\nsize_gib = 20").unwrap();
    ok("mysql", "volume_type = \"gp2\"\nsize_gib = 65536").unwrap();
    ok(
        "oracle",
        "volume_type = \"io1\"\nsize_gib = 100\niops = 1000",
    )
    .unwrap();
    ok("sqlserver", "volume_type = \"gp2\"\nsize_gib = 16384").unwrap();
    for (engine, volume, words) in [
        (
            "postgres",
            "volume_type = \"gp3\"\nsize_gib = 19",
            "RDS for postgres takes gp3 storage of 20 to 65536 GiB (AWS, Amazon RDS DB instance storage), not 19",
        ),
        (
            "mariadb",
            "volume_type = \"io2\"\nsize_gib = 99\niops = 1000",
            "RDS for mariadb takes io2 storage of 100 to 65536 GiB",
        ),
        (
            "sqlserver",
            "volume_type = \"gp2\"\nsize_gib = 16385",
            "RDS for sqlserver takes gp2 storage of 20 to 16384 GiB",
        ),
        (
            "postgres",
            "volume_type = \"sc1\"\nsize_gib = 500",
            "RDS for postgres stores on gp2, gp3, io1 or io2",
        ),
    ] {
        let e = parse_on(engine, volume).expect_err(volume);
        assert!(e.contains(words), "{volume}: {e}");
    }
    let ec2 = instance("10s", 1, 1, "volume_type = \"gp3\"\nsize_gib = 19");
    assert!(archsim::scenario::parse(Path::new("t.toml"), &ec2).is_ok());
}

#[test]
fn rds_gp3_is_striped_from_the_engines_threshold_with_a_12000_iops_baseline() {
    // AWS, "Amazon RDS DB instance storage", gp3 table: MariaDB, MySQL and PostgreSQL under
    // 400 GiB have 3,000 IOPS and 125 MiB/s; from 400 GiB the storage is striped over four
    // volumes and its baseline is 12,000 IOPS and 500 MiB/s. Oracle's threshold is 200 GiB;
    // SQL Server never stripes. 140 reads a second of 100 I/Os ask 14,000 IOPS for 60 s:
    // saturated, the storage dispatches its baseline each second, 3,000 × 60 = 180,000 or
    // 12,000 × 60 = 720,000 (within one read's 100 I/Os for where the run ends).
    for (engine, gib, iops, mibps) in [
        ("postgres", 399, 3_000.0, 125.0),
        ("postgres", 400, 12_000.0, 500.0),
        ("mysql", 1_000, 12_000.0, 500.0),
        ("oracle", 199, 3_000.0, 125.0),
        ("oracle", 200, 12_000.0, 500.0),
        ("sqlserver", 1_000, 3_000.0, 125.0),
    ] {
        let volume = format!("volume_type = \"gp3\"\nsize_gib = {gib}");
        let s = run(&on_engine(engine, "60s", 140, 100, &volume));
        assert_eq!(
            num(&s, "components.disk.baseline_iops"),
            iops,
            "{engine} {gib}"
        );
        assert_eq!(
            num(&s, "components.disk.peak_mibps"),
            mibps,
            "{engine} {gib}"
        );
        let ios = num(&s, "components.disk.ios");
        assert!(
            (ios - iops * 60.0).abs() <= 100.0,
            "{engine} {gib} GiB: {ios}"
        );
        // The baseline is included in the storage's price: 0.08 $/GB-month for the size alone.
        let monthly = num(&s, "components.disk.monthly_usd_per_volume");
        assert!((monthly - 0.08 * f64::from(gib)).abs() < 1e-9, "{monthly}");
    }
}

#[test]
fn rds_gp3_takes_provisioned_iops_only_where_the_engine_allows() {
    // AWS, "Amazon RDS DB instance storage", gp3 table: MariaDB, MySQL, PostgreSQL and Oracle
    // take provisioned IOPS (12,000 to 64,000) and throughput (500 to 4,000 MiB/s) only on
    // striped storage; SQL Server at any size (3,000 to 16,000, 125 to 1,000), with at least
    // 0.5 IOPS per GiB. Throughput at most 0.25 MiB/s per IOPS everywhere.
    let gp3 = |gib: u32, keys: &str| format!("volume_type = \"gp3\"\nsize_gib = {gib}\n{keys}");
    for (engine, volume) in [
        (
            "postgres",
            gp3(500, "iops = 20000\nthroughput_mibps = 1000"),
        ),
        ("postgres", gp3(100, "iops = 3000")),
        ("oracle", gp3(200, "iops = 64000\nthroughput_mibps = 4000")),
        ("sqlserver", gp3(100, "iops = 6000\nthroughput_mibps = 500")),
    ] {
        parse_on(engine, &volume).unwrap_or_else(|e| panic!("{volume}: {e}"));
    }
    for (engine, volume, words) in [
        (
            "postgres",
            gp3(100, "iops = 6000"),
            "RDS for postgres provisions gp3 IOPS and throughput only from 400 GiB",
        ),
        (
            "mysql",
            gp3(399, "throughput_mibps = 250"),
            "leave `throughput_mibps` out, or make `size_gib` at least 400",
        ),
        (
            "postgres",
            gp3(500, "iops = 11000"),
            "`iops` must be a whole number from 12000 to 64000, not 11000",
        ),
        (
            "postgres",
            gp3(500, "throughput_mibps = 4001"),
            "`throughput_mibps` must be a whole number from 500 to 4000",
        ),
        (
            "postgres",
            gp3(500, "throughput_mibps = 3001"),
            "at most 0.25 MiB/s per provisioned IOPS: 3000 for 12000 IOPS",
        ),
        (
            "sqlserver",
            gp3(100, "iops = 17000"),
            "`iops` must be a whole number from 3000 to 16000",
        ),
        (
            "sqlserver",
            gp3(10_000, ""),
            "RDS for sqlserver takes gp3 storage with at least 0.5 IOPS per GiB (AWS, Amazon RDS DB instance storage): set `iops` to at least 5000 for 10000 GiB, not 3000",
        ),
    ] {
        let e = parse_on(engine, &volume).expect_err(&volume);
        assert!(e.contains(words), "{engine} {volume}: {e}");
    }
}

#[test]
fn rds_mysql_gp3_throughput_rises_with_iops_above_32000() {
    // AWS, "Amazon RDS DB instance storage": on MariaDB and MySQL, IOPS above 32,000 raise
    // the throughput ("when you set the IOPS to 40,000 on RDS for MySQL, the storage
    // throughput must be at least 625 MiBps": 40,000 × 16 KiB); not on PostgreSQL.
    let volume = "volume_type = \"gp3\"\nsize_gib = 1000\niops = 40000";
    let s = run(&on_engine("mysql", "10s", 1, 1, volume));
    assert_eq!(num(&s, "components.disk.peak_mibps"), 625.0);
    let s = run(&on_engine("postgres", "10s", 1, 1, volume));
    assert_eq!(num(&s, "components.disk.peak_mibps"), 500.0);
    let e = parse_on("mariadb", &format!("{volume}\nthroughput_mibps = 600")).unwrap_err();
    assert!(
        e.contains("at least 625 MiB/s for 40000 IOPS, not 600"),
        "{e}"
    );
}

#[test]
fn rds_gp2_striped_over_four_volumes_bursts_to_12000_from_four_buckets() {
    // AWS, "Amazon RDS DB instance storage", gp2: storage striped across four volumes bursts
    // to up to 12,000 IOPS. 500 GiB of PostgreSQL storage is four volumes of 125 GiB: each a
    // baseline of 375 IOPS (1,500 together) bursting to 3,000 (12,000) from its own bucket of
    // 5.4 M credits (21.6 M). Started with 1,050,000 credits and asked 14,000 IOPS, it
    // dispatches 12,000 a second while they last, draining at 12,000 − 1,500 = 10,500: dry
    // at 100 s; then 1,500 a second. Over 150 s: the credits plus 1,500 × 150 of refill,
    // 1,275,000 I/Os (within one read's 100 for where the run ends).
    let volume = "volume_type = \"gp2\"\nsize_gib = 500\nburst_credits = 1050000";
    let s = run(&on_engine("postgres", "150s", 140, 100, volume));
    assert_eq!(num(&s, "components.disk.baseline_iops"), 1_500.0);
    assert_eq!(num(&s, "components.disk.peak_iops"), 12_000.0);
    // Four volumes of 125 GiB, each at most 128 MiB/s (170 GiB or less).
    assert_eq!(num(&s, "components.disk.peak_mibps"), 512.0);
    let spent = num(&s, "components.disk.burst_spent_at_s");
    assert!((spent - 100.0).abs() < 1.0, "{spent}");
    let ios = num(&s, "components.disk.ios");
    assert!((ios - 1_275_000.0).abs() <= 100.0, "{ios}");
    // The four buckets hold 21.6 M credits together; unstriped (399 GiB), one holds 5.4 M.
    assert!(parse_on(
        "postgres",
        "volume_type = \"gp2\"\nsize_gib = 500\nburst_credits = 21600000"
    )
    .is_ok());
    let e = parse_on(
        "postgres",
        "volume_type = \"gp2\"\nsize_gib = 399\nburst_credits = 5400001",
    )
    .unwrap_err();
    assert!(e.contains("`burst_credits` is at most 5400000"), "{e}");
    // Under 400 GiB a single volume: 399 GiB bursts to 3,000 over a baseline of 1,197.
    let s = run(&on_engine(
        "postgres",
        "10s",
        1,
        1,
        "volume_type = \"gp2\"\nsize_gib = 399",
    ));
    assert_eq!(num(&s, "components.disk.baseline_iops"), 1_197.0);
    assert_eq!(num(&s, "components.disk.peak_iops"), 3_000.0);
}
