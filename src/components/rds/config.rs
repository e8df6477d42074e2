//! The `rds` table: its keys as written, and the validated config.

use crate::components::instance_types::{self, DbClass};
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::SimTime;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRds {
    engine: Option<Spanned<String>>,
    instance_class: Spanned<String>,
    deployment: Option<Spanned<String>>,
    multi_az: Option<Spanned<bool>>,
    read_replicas: Option<Spanned<i64>>,
    replica_zones: Option<Spanned<Vec<Spanned<String>>>>,
    reads: Option<Spanned<String>>,
    read_time: Spanned<RawDist>,
    write_time: Spanned<RawDist>,
    apply_time: Option<Spanned<RawDist>>,
    aurora_replica_lag: Option<Spanned<RawDist>>,
    aurora_replica_lag_period: Option<Spanned<String>>,
    write_ops: Option<Vec<Spanned<String>>>,
    max_connections: Option<Spanned<i64>>,
    failover_time: Option<Spanned<RawDist>>,
    dns_ttl: Option<Spanned<String>>,
    on_primary_failure: Option<Spanned<String>>,
    down_writer: Option<Spanned<String>>,
    promotion_time: Option<Spanned<RawDist>>,
    recovery_time: Option<Spanned<RawDist>>,
    backup: Option<Spanned<RawBackup>>,
    proxy: Option<Spanned<bool>>,
    proxy_latency: Option<Spanned<RawDist>>,
    proxy_borrow_timeout: Option<Spanned<String>>,
    proxy_pinned: Option<Spanned<f64>>,
    proxy_pinned_for: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    at: Spanned<String>,
    io_pause: Option<Spanned<String>>,
}

/// The words `engine` takes.
pub(super) const ENGINES: &[&str] = &[
    "postgres",
    "mysql",
    "mariadb",
    "oracle",
    "sqlserver",
    "aurora-postgresql",
    "aurora-mysql",
];
/// The words `deployment` takes, in the order of `Deployment`.
pub(super) const DEPLOYMENTS: &[&str] = &[
    "single_az",
    "multi_az_instance",
    "multi_az_cluster",
    "aurora",
];
/// The words `reads` takes.
pub(super) const READS_GO_TO: &[&str] = &["primary", "replicas"];
/// The words `on_primary_failure` takes.
pub(super) const ON_FAILURE: &[&str] = &["failover", "promote_replica", "recover"];
/// The words `down_writer` takes, in the order of `DownWriter`.
pub(super) const DOWN_WRITER: &[&str] = &["refuse", "hang"];
/// The most read replicas the key takes; each engine's own limit is lower (aws-facts: §5).
pub(super) const MAX_READ_REPLICAS: i64 = 100;
/// The most connections `max_connections` may set.
pub(super) const MAX_CONNECTIONS: i64 = 100_000;

/// How the database is deployed: what stands by to take over from the writer.
/// aws-facts: §5 (Multi-AZ DB instance, Multi-AZ DB cluster, Aurora).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deployment {
    /// One instance; nothing stands by.
    SingleAz,
    /// One synchronous, non-readable standby in another zone; failover typically 60–120 s.
    MultiAzInstance,
    /// A writer and two readable standbys in three zones, semi-synchronous; failover
    /// typically under 35 s.
    MultiAzCluster,
    /// A writer and Aurora Replicas on shared storage; a replica is promoted on failure.
    Aurora,
}

impl Deployment {
    /// Its word in `DEPLOYMENTS`.
    pub fn name(self) -> &'static str {
        DEPLOYMENTS[self as usize]
    }

    /// What the older key `multi_az` says: a Multi-AZ DB instance, or a single-AZ one.
    pub fn of_multi_az(multi_az: bool) -> Deployment {
        if multi_az {
            Deployment::MultiAzInstance
        } else {
            Deployment::SingleAz
        }
    }

    /// Readable standbys it keeps beside the writer [instances]: a Multi-AZ DB cluster's two.
    pub fn standbys(self) -> u32 {
        if self == Deployment::MultiAzCluster {
            2
        } else {
            0
        }
    }

    /// Whether its failover promotes a reader (a cluster's standby, an Aurora Replica)
    /// rather than a hidden standby.
    pub fn promotes_a_reader(self) -> bool {
        matches!(self, Deployment::MultiAzCluster | Deployment::Aurora)
    }
}

/// How a committed write reaches each reader.
#[derive(Clone, Debug)]
pub enum Replication {
    /// Read replicas and a Multi-AZ DB cluster's standbys replay the writes one at a time,
    /// each taking this long [s]: their lag is the wait in that queue, and grows without bound
    /// once writes outpace it (aws-facts: §5 read replicas).
    Replay(Dist),
    /// Aurora Replicas read the cluster's shared volume: a write is seen on each `lag` after
    /// its commit, in commit order, whatever the rate of writes (aws-facts: §5 Aurora).
    SharedVolume {
        /// Each replica's lag behind the writer [s].
        lag: Dist,
        /// How long a replica keeps one lag before the next is drawn [s].
        period: SimTime,
    },
}

/// RDS Proxy in front of the database (aws-facts: §5 RDS Proxy).
#[derive(Clone, Debug)]
pub struct Proxy {
    /// Time the proxy's hop adds to each query, both ways together [s].
    pub latency: Dist,
    /// Longest a query waits for a database connection (a writer, or a free connection)
    /// before the proxy answers it with an error [s].
    pub borrow_timeout: SimTime,
    /// Share of queries whose session state pins their connection [share].
    pub pinned: f64,
    /// How long a pinned connection stays with its client after the query [s].
    pub pinned_for: SimTime,
}

/// What the database does when its primary fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// Multi-AZ: the standby takes over.
    Failover,
    /// A read replica is promoted to be the writer.
    PromoteReplica,
    /// Wait for RDS to recover the instance.
    Recover,
}

/// What a query sent to a writer that is down meets: the failed primary during a failover,
/// a promotion or a recovery, or its old address in a client's cached DNS answer afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownWriter {
    /// Refused at once: 503.
    Refuse,
    /// No answer: the caller waits for its own timeout (503 if it still waits when the writer
    /// is back, or when the last cached address has expired).
    Hang,
}

/// A validated `rds`.
#[derive(Clone, Debug)]
pub struct RdsConfig {
    /// The database engine, one of `ENGINES` [name].
    pub engine: String,
    /// The instance class as written ("db.m5.large") [name].
    pub class_name: String,
    /// What each instance of that class has: vCPUs, memory, speed and price.
    pub class: DbClass,
    /// How it is deployed: what stands by to take over.
    pub deployment: Deployment,
    /// Read replicas (Aurora Replicas with Aurora), each an instance of the class [instances].
    pub replicas: u32,
    /// The zone of each read replica, in order, as `replica_zones` places them in turn;
    /// empty when the key is not set: each in a zone of its own that no outage reaches.
    pub replica_zones: Vec<String>,
    /// Whether reads go to the readers (readable standbys and replicas) in turn rather than
    /// to the writer [on/off].
    pub reads_to_replicas: bool,
    /// Work of a read on one vCPU of speed 1 [s].
    pub read_time: Dist,
    /// Work of a write on one vCPU of speed 1, before its commit [s].
    pub write_time: Dist,
    /// How a write reaches the readers: replayed by each, or seen on Aurora's shared
    /// storage.
    pub replication: Replication,
    /// The operations that are writes [op index].
    pub write_ops: Vec<u16>,
    /// Queries an instance takes at once, running or waiting for a vCPU [connections].
    pub max_connections: u32,
    /// Time a failover takes: to the standby, or the promotion of a cluster's standby or an
    /// Aurora Replica [s].
    pub failover_time: Dist,
    /// Time clients cache the endpoint's address, so some still reach the old writer after it
    /// moved [s].
    pub dns_ttl: SimTime,
    /// What happens when the primary fails.
    pub on_failure: OnFailure,
    /// What a query sent to the writer while it is down meets, as `down_writer` says; `None`
    /// when the key is not set: the deployment's own (Aurora's fenced writer hangs during a
    /// failover, else refused).
    pub down_writer: Option<DownWriter>,
    /// Time the promotion of a read replica takes [s].
    pub promotion_time: Dist,
    /// Time RDS takes to recover a failed instance [s].
    pub recovery_time: Dist,
    /// (when, from the start of the run [s]; how long I/O pauses [s]); only single-AZ
    /// instances (and SQL Server) pause.
    pub backup: Option<(SimTime, SimTime)>,
    /// RDS Proxy in front of it, if any.
    pub proxy: Option<Proxy>,
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<RdsConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawRds = ck.deserialize(table)?;
    let class = instance_types::rds(raw.instance_class.get_ref());
    if class.is_none() {
        let known = instance_types::rds_names();
        ck.value_error(
            raw.instance_class.span(),
            format!(
                "unknown instance class \"{}\"{}; known classes are: {}",
                raw.instance_class.get_ref(),
                instance_types::unknown_hint(raw.instance_class.get_ref(), &known),
                known.join(", ")
            ),
        );
    }
    // The engine and deployment are judged even so: an unknown class hides no mistake there.
    let engine_deployment = engine_and_deployment(&raw, ck);
    let (class, (engine, deployment)) = (class?, engine_deployment?);
    let class_runs = class_runs_deployment(&raw.instance_class, deployment, ck);
    // aws-facts: §5 read replicas: 15 per source for MySQL, MariaDB and PostgreSQL; 5 for
    // Oracle and SQL Server; Aurora: up to 15 replicas.
    let max_replicas = if matches!(engine.as_str(), "oracle" | "sqlserver") {
        5
    } else {
        15
    };
    let replicas = ck.or(&raw.read_replicas, 0, |ck, n| {
        match ck.int_in(n, "read_replicas", 0, MAX_READ_REPLICAS) {
            Some(v) if v > max_replicas => {
                ck.error(
                    n.span(),
                    format!("{engine} allows at most {max_replicas} read replicas per source (aws-facts §5), not {v}"),
                );
                None
            }
            v => v.map(|v| v as u32),
        }
    });
    let replica_zones = replica_zones(&raw.replica_zones, replicas, ck);
    let readers = replicas.unwrap_or(0) + deployment.standbys();
    let reads_to_replicas = ck.or(&raw.reads, readers > 0, |ck, r| {
        match ck.one_of(r, "reads", READS_GO_TO) {
            Some("replicas") if readers == 0 && replicas.is_some() => {
                ck.error(
                    r.span(),
                    "`reads = \"replicas\"` needs `read_replicas` of at least 1 (or a Multi-AZ DB cluster's readable standbys)",
                );
                None
            }
            r => r.map(|r| r == "replicas"),
        }
    });
    let read_time = ck.time_dist(&raw.read_time, "read_time");
    let write_time = ck.time_dist(&raw.write_time, "write_time");
    let replication = replication(&raw, deployment, write_time.clone(), ck);
    let write_ops = ck.write_ops(&raw.write_ops);
    // A class the deployment does not run is reported once, not again for its connections.
    let max_connections =
        class_runs.and_then(|_| max_connections(&raw, &engine, &class, at.clone(), ck));
    let failover_time = ck.time_dist_or(
        &raw.failover_time,
        "failover_time",
        default_failover_time(deployment),
    );
    // aws-facts: §5 DNS: endpoint record TTL about 5 s [?] (a JVM may cache up to 60 s);
    // Aurora's DNS zone TTL is 5 s.
    let dns_ttl = ck.duration_or(&raw.dns_ttl, "dns_ttl", SimTime::from_secs(5));
    let on_failure = on_failure(&raw, deployment, replicas, ck);
    let down_writer = ck.or(&raw.down_writer, None, |ck, w| {
        match ck.one_of(w, "down_writer", DOWN_WRITER)? {
            "hang" => Some(Some(DownWriter::Hang)),
            _ => Some(Some(DownWriter::Refuse)),
        }
    });
    // aws-facts: §5 read replicas: promotion takes minutes, a reboot included (chosen:
    // uniform 2–5 min).
    let promotion_time = ck.time_dist_or(
        &raw.promotion_time,
        "promotion_time",
        Dist::Uniform {
            min: 120.0,
            max: 300.0,
        },
    );
    // Not in aws-facts for RDS: replacing a failed single-AZ instance's host and recovering
    // the database; chosen uniform 5–10 min (the facts cite under 10 min for Aurora without a
    // replica, which uses it too).
    let recovery_time = ck.time_dist_or(
        &raw.recovery_time,
        "recovery_time",
        Dist::Uniform {
            min: 300.0,
            max: 600.0,
        },
    );
    let backup = ck.or(&raw.backup, None, |ck, b| {
        let b = b.get_ref();
        let at = ck.duration(&b.at, "backup.at");
        // aws-facts: §5 automated backups: single-AZ I/O may pause briefly at snapshot
        // start, typically seconds (chosen: 5 s).
        let pause = ck.duration_or(&b.io_pause, "backup.io_pause", SimTime::from_secs(5));
        Some(Some((at?, pause?)))
    });
    let proxy = proxy(&raw, ck);
    class_runs?;
    Some(RdsConfig {
        engine,
        class_name: raw.instance_class.get_ref().clone(),
        class,
        deployment,
        replicas: replicas?,
        replica_zones: replica_zones?,
        reads_to_replicas: reads_to_replicas?,
        read_time: read_time?,
        write_time: write_time?,
        replication: replication?,
        write_ops,
        max_connections: max_connections? as u32,
        failover_time: failover_time?,
        dns_ttl: dns_ttl?,
        on_failure: on_failure?,
        down_writer: down_writer?,
        promotion_time: promotion_time?,
        recovery_time: recovery_time?,
        backup: backup?,
        proxy: proxy?,
    })
}

/// The instance-class families Aurora runs, at every size AWS lists for them: memory
/// optimized. AWS, "Supported DB engines for DB instance classes"
/// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.SupportAurora.html):
/// db.r5, db.r6g, db.r6i, db.r8g, db.x2g and the Optimized Reads db.r6gd, db.r6id and
/// db.r8gd, on both Aurora engines; db.r7g from AWS's Graviton guide
/// (https://github.com/aws/aws-graviton-getting-started, managed_services.md: "Amazon Aurora
/// MySQL and PostgreSQL support for Graviton3 based R7g instance family"). db.r3 and db.r4
/// ran only Aurora MySQL versions AWS no longer offers. No general-purpose db.m* class and no
/// db.t*.micro or .small is listed; db.serverless (Aurora Serverless v2) is not modelled.
const AURORA_FAMILIES: &[&str] = &[
    "db.r5", "db.r6g", "db.r6i", "db.r7g", "db.r8g", "db.x2g", "db.r6gd", "db.r6id", "db.r8gd",
];

/// The burstable classes Aurora runs (same page): medium and large only, both engines.
const AURORA_BURSTABLE: &[&str] = &[
    "db.t3.medium",
    "db.t3.large",
    "db.t4g.medium",
    "db.t4g.large",
];

/// Whether Aurora runs instance class `name` (AWS's list above).
pub(super) fn aurora_runs(name: &str) -> bool {
    AURORA_BURSTABLE.contains(&name) || AURORA_FAMILIES.contains(&family(name))
}

/// The classes archsim knows that Aurora runs, for messages: family by family, each from
/// its smallest size.
pub(super) fn aurora_class_names() -> Vec<String> {
    let mut names: Vec<String> = instance_types::rds_names()
        .into_iter()
        .filter(|n| aurora_runs(n))
        .collect();
    // Stable: within a family the table's order, smallest first.
    names.sort_by(|a, b| family(a).cmp(family(b)));
    names
}

/// A class's family: "db.r6g" of "db.r6g.xlarge".
fn family(class: &str) -> &str {
    class.rsplit_once('.').map_or(class, |(f, _)| f)
}

/// Refuses a class the deployment cannot run: Aurora's instances come from AWS's list of
/// Aurora classes, not from every RDS class. `None` when refused (reported on `ck`).
fn class_runs_deployment(
    class: &Spanned<String>,
    deployment: Deployment,
    ck: &mut Checker,
) -> Option<()> {
    let name = class.get_ref();
    if deployment != Deployment::Aurora || aurora_runs(name) {
        return Some(());
    }
    ck.error(
        class.span(),
        format!(
            "Aurora does not run instance class \"{name}\": AWS lists memory-optimized classes (db.r5, db.r6g, db.r7g, db.r8g, db.x2g, …) and burstable db.t3 and db.t4g medium and large for it, no db.m* class and no smaller db.t*; of archsim's classes: {}",
            aurora_class_names().join(", ")
        ),
    );
    None
}

/// How writes reach the readers: `apply_time` for read replicas and a Multi-AZ DB cluster's
/// standbys, `aurora_replica_lag` for Aurora Replicas, each refused where the other applies.
/// `None` when one is wrong (reported on `ck`).
fn replication(
    raw: &RawRds,
    deployment: Deployment,
    write_time: Option<Dist>,
    ck: &mut Checker,
) -> Option<Replication> {
    let aurora = deployment == Deployment::Aurora;
    if let (false, Some(p)) = (aurora, &raw.aurora_replica_lag_period) {
        ck.error(
            p.span(),
            "`aurora_replica_lag_period` paces an Aurora Replica's lag: it needs `deployment = \"aurora\"`",
        );
        return None;
    }
    match (aurora, &raw.apply_time, &raw.aurora_replica_lag) {
        (true, Some(a), _) => {
            ck.error(
                a.span(),
                "`apply_time` is a read replica's replay of each write; Aurora Replicas read the cluster's shared volume: set `aurora_replica_lag` instead",
            );
            None
        }
        (false, _, Some(l)) => {
            ck.error(
                l.span(),
                format!(
                    "`aurora_replica_lag` is an Aurora Replica's lag behind the writer; a {} deployment's readers replay the writes: set `apply_time` instead",
                    deployment.name()
                ),
            );
            None
        }
        // aws-facts: §5 Aurora: replica lag typically under 100 ms. AWS, "Replication with
        // Amazon Aurora" (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Replication.html):
        // Aurora Replicas share the cluster volume with the writer, and the lag "is usually
        // much less than 100 milliseconds after the primary instance has written an update";
        // it "varies depending on the rate of database change", increasing under many
        // writes. AWS gives no distribution, no figure for how it grows with the writes and
        // no time over which it varies: chosen, a lognormal with median 20 ms and 99th
        // percentile 100 ms, the same at any rate of writes (a heavier write load is a larger
        // `aurora_replica_lag`), drawn afresh each second. A replica applies the log in
        // order, so consecutive writes see the same lag: a lag drawn for each write, the
        // writes then seen in order, would make the lag the largest of many draws, growing
        // with the rate of writes.
        (true, None, l) => {
            let lag = ck.time_dist_or(
                l,
                "aurora_replica_lag",
                Dist::lognormal_median_p99(0.020, 0.100).expect("a valid default distribution"),
            );
            let period = ck.positive_duration_or(
                &raw.aurora_replica_lag_period,
                "aurora_replica_lag_period",
                SimTime::from_secs(1),
            );
            Some(Replication::SharedVolume {
                lag: lag?,
                period: period?,
            })
        }
        // A replica replays each write at about the cost the primary paid for it (none when
        // `write_time` is wrong, which is reported there).
        (false, a, None) => ck
            .or(a, write_time, |ck, a| {
                ck.time_dist(a, "apply_time").map(Some)
            })
            .flatten()
            .map(Replication::Replay),
    }
}

/// The most connections Aurora MySQL's `max_connections` parameter takes. AWS,
/// AuroraMySQL.Managing.Performance.html: "up to 16,000".
pub(super) const AURORA_MYSQL_MAX_CONNECTIONS: i64 = 16_000;

/// Aurora MySQL's default `max_connections` by instance class [connections]. AWS,
/// AuroraMySQL.Managing.Performance.html, "Maximum connections to an Aurora MySQL DB
/// instance": a table per class, not RDS MySQL's formula (which would give db.r5.large 1,321
/// rather than 1,000). Only the rows that page lists are here; a class it does not list needs
/// `max_connections` written.
const AURORA_MYSQL_CONNECTIONS: &[(&str, u32)] = &[
    ("db.t2.small", 45),
    ("db.t2.medium", 90),
    ("db.t3.small", 45),
    ("db.t3.medium", 90),
    ("db.t3.large", 135),
    ("db.t4g.medium", 90),
    ("db.t4g.large", 135),
    ("db.r3.large", 1000),
    ("db.r3.xlarge", 2000),
    ("db.r3.2xlarge", 3000),
    ("db.r3.4xlarge", 4000),
    ("db.r3.8xlarge", 5000),
    ("db.r4.large", 1000),
    ("db.r4.xlarge", 2000),
    ("db.r4.2xlarge", 3000),
    ("db.r4.4xlarge", 4000),
    ("db.r4.8xlarge", 5000),
    ("db.r4.16xlarge", 6000),
    ("db.r5.large", 1000),
    ("db.r5.xlarge", 2000),
    ("db.r5.2xlarge", 3000),
    ("db.r5.4xlarge", 4000),
    ("db.r5.8xlarge", 5000),
    ("db.r5.12xlarge", 6000),
    ("db.r5.16xlarge", 6000),
    ("db.r5.24xlarge", 7000),
    ("db.r6g.large", 1000),
    ("db.r6g.xlarge", 2000),
];

/// The connection limit: `max_connections` as written, else the engine's default for the
/// class; an engine without a documented default needs it written.
fn max_connections(
    raw: &RawRds,
    engine: &str,
    class: &DbClass,
    at: std::ops::Range<usize>,
    ck: &mut Checker,
) -> Option<i64> {
    let class_name = raw.instance_class.get_ref().as_str();
    // aws-facts: §5 max_connections: PostgreSQL LEAST(memory/9531392, 5000); MySQL and
    // MariaDB memory/12582880, where memory is DBInstanceClassMemory. No formula in the
    // facts for Oracle or SQL Server. Aurora PostgreSQL: chosen, PostgreSQL's formula (the
    // facts give none for Aurora). Aurora MySQL: AWS's own table, up to 16,000.
    let memory = class_memory_bytes(class.memory_gib);
    let (default, max) = match engine {
        "postgres" | "aurora-postgresql" => (
            Some((memory / 9_531_392.0).min(5000.0) as u32),
            MAX_CONNECTIONS,
        ),
        "mysql" | "mariadb" => (Some((memory / 12_582_880.0) as u32), MAX_CONNECTIONS),
        "aurora-mysql" => (
            AURORA_MYSQL_CONNECTIONS
                .iter()
                .find(|(c, _)| *c == class_name)
                .map(|&(_, n)| n),
            AURORA_MYSQL_MAX_CONNECTIONS,
        ),
        _ => (None, MAX_CONNECTIONS),
    };
    match (default, &raw.max_connections) {
        (_, Some(m)) if engine == "aurora-mysql" && *m.get_ref() > max => {
            ck.error(
                m.span(),
                format!(
                    "aurora-mysql takes `max_connections` from 1 to {max}, not {}",
                    m.get_ref()
                ),
            );
            None
        }
        (_, Some(m)) => ck.int_in(m, "max_connections", 1, max),
        // The engine's own limit, unless the key sets one.
        (Some(d), None) => Some(i64::from(d.max(1))),
        // No documented limit: the key is needed.
        (None, None) if engine == "aurora-mysql" => {
            ck.error(
                raw.instance_class.span(),
                format!(
                    "archsim's table of Aurora MySQL's default connection limits (AWS's, as far as it was confirmed) has no row for \"{class_name}\": set `max_connections` (1 to {AURORA_MYSQL_MAX_CONNECTIONS}), or use a listed class ({})",
                    AURORA_MYSQL_CONNECTIONS
                        .iter()
                        .map(|(c, _)| *c)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            None
        }
        (None, None) => {
            ck.error(
                raw.engine.as_ref().map_or(at, |e| e.span()),
                format!("for engine \"{engine}\" archsim has no documented default connection limit: set `max_connections`"),
            );
            None
        }
    }
}

/// What the OS and RDS's own processes keep of an instance's memory, by its memory, as
/// (memory [GiB], reserve [MiB]). AWS's parameter documentation defines DBInstanceClassMemory
/// as the class's memory less what the operating system and the RDS processes that manage
/// the instance use, without a figure. Chosen: fitted to the PostgreSQL defaults aws-facts
/// §5 gives as observed (t2.small 198, t2.medium 413, m4.large 856, r4.large 1,660): each
/// reserve here is the middle of the range that yields that default exactly
/// ((2 GiB − 244 MiB) / 9,531,392 = 198.5 …). Between two sizes the reserve is interpolated;
/// outside them, the nearest one's is kept (no observation says how it grows further).
const CLASS_MEMORY_RESERVE_MIB: &[(f64, f64)] =
    &[(2.0, 244.0), (4.0, 337.0), (8.0, 406.0), (15.25, 522.0)];

/// DBInstanceClassMemory of a class with `memory_gib` of memory [bytes].
fn class_memory_bytes(memory_gib: f64) -> f64 {
    let table = CLASS_MEMORY_RESERVE_MIB;
    let (first, last) = (table[0], table[table.len() - 1]);
    let reserve_mib = if memory_gib <= first.0 {
        first.1
    } else if memory_gib >= last.0 {
        last.1
    } else {
        let k = table
            .iter()
            .position(|&(m, _)| m >= memory_gib)
            .unwrap_or(1);
        let ((m0, r0), (m1, r1)) = (table[k - 1], table[k]);
        r0 + (r1 - r0) * (memory_gib - m0) / (m1 - m0)
    };
    (memory_gib * 1024.0 - reserve_mib) * 1024.0 * 1024.0
}

/// How long a failover takes unless `failover_time` says: AWS gives a typical figure per
/// deployment (aws-facts: §5), taken here as stated.
fn default_failover_time(deployment: Deployment) -> Dist {
    let lognormal = |median: f64, p99: f64| {
        Dist::lognormal_median_p99(median, p99).expect("a valid default distribution")
    };
    match deployment {
        // aws-facts: §5 Multi-AZ DB instance: failover typically 60–120 s.
        Deployment::SingleAz | Deployment::MultiAzInstance => Dist::Uniform {
            min: 60.0,
            max: 120.0,
        },
        // aws-facts: §5 Multi-AZ DB cluster: failover typically under 35 s. Chosen: the 35 s
        // as the 99th percentile of a lognormal whose median is 20 s.
        Deployment::MultiAzCluster => lognormal(20.0, 35.0),
        // aws-facts: §5 Aurora: with a replica, service typically back within 120 s, often
        // under 60 s. Chosen: a lognormal with median 30 s and 99th percentile 120 s, 88 %
        // of failovers under a minute.
        Deployment::Aurora => lognormal(30.0, 120.0),
    }
}

/// The engine and the deployment, which must agree: `deployment` (or the older
/// `multi_az`) chooses, and an Aurora engine means an Aurora cluster.
fn engine_and_deployment(raw: &RawRds, ck: &mut Checker) -> Option<(String, Deployment)> {
    // Both words judged before either stops the reading, so that one hides no mistake in
    // the other.
    let engine = ck.one_of_or(&raw.engine, "engine", ENGINES, "postgres");
    let word = raw
        .deployment
        .as_ref()
        .map(|d| ck.one_of(d, "deployment", DEPLOYMENTS));
    let engine = engine?;
    let aurora_engine = engine.starts_with("aurora-");
    let chosen = match word {
        Some(word) => {
            let word = word?;
            let i = DEPLOYMENTS.iter().position(|w| *w == word)?;
            Some(
                [
                    Deployment::SingleAz,
                    Deployment::MultiAzInstance,
                    Deployment::MultiAzCluster,
                    Deployment::Aurora,
                ][i],
            )
        }
        None => None,
    };
    let multi_az = raw.multi_az.as_ref().map(|m| (*m.get_ref(), m.span()));
    // An Aurora engine makes an Aurora cluster unless `deployment` says otherwise.
    let chosen = chosen.or(aurora_engine.then_some(Deployment::Aurora));
    let deployment = match (chosen, multi_az) {
        (Some(d), Some((m, span))) if d != Deployment::of_multi_az(m) => {
            ck.error(
                span,
                format!(
                    "`multi_az = {m}` disagrees with `deployment = \"{}\"`: leave `multi_az` out, `deployment` says it all",
                    d.name()
                ),
            );
            return None;
        }
        (Some(d), _) => d,
        (None, Some((m, _))) => Deployment::of_multi_az(m),
        (None, None) => Deployment::SingleAz,
    };
    let engine = match (deployment, &raw.engine) {
        (Deployment::Aurora, None) => "aurora-postgresql",
        (Deployment::Aurora, Some(e)) if !aurora_engine => {
            ck.error(
                e.span(),
                format!("Aurora runs aurora-postgresql or aurora-mysql, not {engine}"),
            );
            return None;
        }
        (Deployment::Aurora, Some(_)) => engine,
        (_, _) if aurora_engine => {
            let span = raw.deployment.as_ref().map(|d| d.span());
            ck.error(
                span.or(raw.multi_az.as_ref().map(|m| m.span()))
                    .unwrap_or_default(),
                format!("engine \"{engine}\" runs as an Aurora cluster: `deployment = \"aurora\"`, or leave it out"),
            );
            return None;
        }
        // aws-facts: §5 Multi-AZ DB cluster: MySQL and PostgreSQL.
        (Deployment::MultiAzCluster, _) if !matches!(engine, "mysql" | "postgres") => {
            ck.error(
                raw.engine.as_ref().map(|e| e.span()).unwrap_or_default(),
                format!(
                    "a Multi-AZ DB cluster runs mysql or postgres (aws-facts §5), not {engine}"
                ),
            );
            return None;
        }
        _ => engine,
    };
    Some((engine.to_string(), deployment))
}

/// The zone of each read replica, `replica_zones` taken in turn (two zones for four replicas:
/// b, c, b, c); empty when the key is not set. AWS places a replica created without a zone in
/// one it picks ("a random, system-chosen Availability Zone", CreateDBInstanceReadReplica):
/// where it sits matters only to an outage, so unless the key names it, it is in a zone no
/// outage reaches.
fn replica_zones(
    raw: &Option<Spanned<Vec<Spanned<String>>>>,
    replicas: Option<u32>,
    ck: &mut Checker,
) -> Option<Vec<String>> {
    let Some(list) = raw else {
        return Some(Vec::new());
    };
    let replicas = replicas? as usize;
    if replicas == 0 {
        ck.error(
            list.span(),
            "`replica_zones` places read replicas, and there are none: set `read_replicas` too",
        );
        return None;
    }
    if list.get_ref().is_empty() || replicas < list.get_ref().len() {
        ck.error(
            list.span(),
            format!(
                "`replica_zones` places the {replicas} read replica{} in its zones in turn: give from 1 to {replicas} zone{}, not {}",
                if replicas == 1 { "" } else { "s" },
                if replicas == 1 { "" } else { "s" },
                list.get_ref().len()
            ),
        );
        return None;
    }
    let zones: Vec<String> = list.get_ref().iter().map(|z| z.get_ref().clone()).collect();
    Some(
        (0..replicas)
            .map(|k| zones[k % zones.len()].clone())
            .collect(),
    )
}

/// What follows a failure of the primary: by default the deployment's own failover.
fn on_failure(
    raw: &RawRds,
    deployment: Deployment,
    replicas: Option<u32>,
    ck: &mut Checker,
) -> Option<OnFailure> {
    let default = match deployment {
        Deployment::SingleAz => OnFailure::Recover,
        Deployment::Aurora if replicas == Some(0) => OnFailure::Recover,
        _ => OnFailure::Failover,
    };
    ck.or(&raw.on_primary_failure, default, |ck, o| {
        match ck.one_of(o, "on_primary_failure", ON_FAILURE)? {
            "failover" if deployment == Deployment::SingleAz => {
                ck.error(
                    o.span(),
                    "a failover needs a standby: set `multi_az = true` (or a `deployment` with one)",
                );
                None
            }
            "failover" if deployment == Deployment::Aurora && replicas == Some(0) => {
                ck.error(
                    o.span(),
                    "an Aurora failover promotes a replica: set `read_replicas` of at least 1",
                );
                None
            }
            "promote_replica" if deployment.promotes_a_reader() => {
                ck.error(
                    o.span(),
                    format!(
                        "a {} fails over by promoting a reader: `on_primary_failure = \"failover\"`",
                        deployment.name()
                    ),
                );
                None
            }
            "promote_replica" if replicas == Some(0) => {
                ck.error(
                    o.span(),
                    "promoting a replica needs `read_replicas` of at least 1",
                );
                None
            }
            "failover" => Some(OnFailure::Failover),
            "promote_replica" => Some(OnFailure::PromoteReplica),
            _ => Some(OnFailure::Recover),
        }
    })
}

/// RDS Proxy's keys: all need `proxy = true`.
fn proxy(raw: &RawRds, ck: &mut Checker) -> Option<Option<Proxy>> {
    let on = raw.proxy.as_ref().is_some_and(|p| *p.get_ref());
    if !on {
        let given = [
            (
                "proxy_latency",
                raw.proxy_latency.as_ref().map(|v| v.span()),
            ),
            (
                "proxy_borrow_timeout",
                raw.proxy_borrow_timeout.as_ref().map(|v| v.span()),
            ),
            ("proxy_pinned", raw.proxy_pinned.as_ref().map(|v| v.span())),
            (
                "proxy_pinned_for",
                raw.proxy_pinned_for.as_ref().map(|v| v.span()),
            ),
        ];
        let mut fine = true;
        for (key, span) in given {
            if let Some(span) = span {
                ck.error(span, format!("`{key}` needs `proxy = true`"));
                fine = false;
            }
        }
        return fine.then_some(None);
    }
    // aws-facts: §5 RDS Proxy: an extra hop, +1–5 ms [?]; chosen uniform over that range.
    let latency = ck.time_dist_or(
        &raw.proxy_latency,
        "proxy_latency",
        Dist::Uniform {
            min: 0.001,
            max: 0.005,
        },
    );
    // Not in aws-facts: AWS documents the proxy's ConnectionBorrowTimeout with a default of
    // 120 s (RDS Proxy target group settings); taken as it is.
    let borrow_timeout = ck.positive_duration_or(
        &raw.proxy_borrow_timeout,
        "proxy_borrow_timeout",
        SimTime::from_secs(120),
    );
    // aws-facts: §5 RDS Proxy pinning: how often sessions pin and for how long are the
    // application's; chosen defaults: none.
    let pinned = ck.or(&raw.proxy_pinned, 0.0, |ck, p| {
        let x = ck.non_negative(p, "proxy_pinned", "a share of queries")?;
        ck.at_most(p, x, "proxy_pinned", 1.0, "a share of queries")
    });
    let pinned_for = ck.duration_or(
        &raw.proxy_pinned_for,
        "proxy_pinned_for",
        SimTime::from_secs(1),
    );
    Some(Some(Proxy {
        latency: latency?,
        borrow_timeout: borrow_timeout?,
        pinned: pinned?,
        pinned_for: pinned_for?,
    }))
}

impl RdsConfig {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let mut first = format!("{} {}", self.engine, self.class_name);
        match self.deployment {
            Deployment::SingleAz | Deployment::Aurora => {}
            Deployment::MultiAzInstance => first.push_str(", Multi-AZ"),
            Deployment::MultiAzCluster => first.push_str(", Multi-AZ cluster"),
        }
        if self.proxy.is_some() {
            first.push_str(", RDS Proxy");
        }
        let what = if self.deployment == Deployment::Aurora {
            "Aurora Replica"
        } else {
            "read replica"
        };
        let mut second = match self.replicas {
            0 => format!("no {what}s"),
            1 => format!("1 {what}"),
            n => format!("{n} {what}s"),
        };
        if self.deployment == Deployment::MultiAzCluster {
            second = format!("2 readable standbys, {second}");
        }
        vec![first, second]
    }

    /// What its instances cost together [USD/h]. aws-facts: §4: Multi-AZ ≈ 2× single-AZ; each
    /// replica is an instance of its own. Not in the facts, chosen: a Multi-AZ DB cluster's
    /// three instances and an Aurora cluster's instances each at the class's single-AZ price
    /// (Aurora's own prices, its storage and I/O, and RDS Proxy's price are not in aws-facts
    /// and not counted). `None` for Oracle and SQL Server (`licensed`), whose prices are not
    /// the class's open-source one.
    pub fn hourly(&self) -> Option<f64> {
        if self.licensed() {
            return None;
        }
        let primary = match self.deployment {
            Deployment::SingleAz | Deployment::Aurora => 1.0,
            Deployment::MultiAzInstance => 2.0,
            Deployment::MultiAzCluster => 3.0,
        };
        Some(
            primary * self.class.single_az_hourly
                + f64::from(self.replicas) * self.class.single_az_hourly,
        )
    }

    /// Whether its engine is Oracle or SQL Server: AWS prices their instances with a licence
    /// included (or for a licence brought along), several times the open-source engines'
    /// price on SQL Server's editions, and none of it is in aws-facts, whose RDS prices
    /// (§4) are the class's single price archsim gives MySQL, MariaDB and PostgreSQL.
    pub fn licensed(&self) -> bool {
        matches!(self.engine.as_str(), "oracle" | "sqlserver")
    }

    /// Readers: readable standbys and read replicas [instances].
    pub fn readers(&self) -> u32 {
        self.deployment.standbys() + self.replicas
    }

    /// The number of its first read replica among its instances (`instance_reads`): after
    /// the writer (0) and a Multi-AZ DB cluster's two readable standbys.
    pub fn first_replica(&self) -> usize {
        1 + self.deployment.standbys() as usize
    }

    /// RDS's rules for its instances' EBS storage, by engine. AWS, "Amazon RDS DB instance
    /// storage" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html),
    /// gp3 storage table: MariaDB, MySQL and PostgreSQL stripe the storage over four volumes
    /// from 400 GiB, Oracle from 200 GiB, and there gp3's baseline is 12,000 IOPS and
    /// 500 MiB/s; SQL Server never stripes, and takes gp3's provisioned 3,000–16,000 IOPS and
    /// 125–1,000 MiB/s at any size, with at least 0.5 IOPS per GiB. Storage up to 64 TiB,
    /// 16 TiB on SQL Server. On MariaDB and MySQL, gp3 IOPS above 32,000 raise its throughput.
    /// (Aurora's storage is not EBS: it is never asked.)
    pub fn storage(&self) -> crate::components::ebs::RdsStorage {
        use crate::components::ebs::{Gp3Provisioning, RdsStorage};
        let engine = ENGINES
            .iter()
            .copied()
            .find(|e| *e == self.engine)
            .unwrap_or("postgres");
        let (stripes_from_gib, max_gib, gp3_unstriped) = match engine {
            "oracle" => (Some(200), 65_536, None),
            "sqlserver" => (
                None,
                16_384,
                Some(Gp3Provisioning {
                    baseline: (3_000, 125),
                    iops: (3_000, 16_000),
                    mibps: (125, 1_000),
                    least_iops_per_gib: 0.5,
                }),
            ),
            _ => (Some(400), 65_536, None),
        };
        RdsStorage {
            engine,
            stripes_from_gib,
            max_gib,
            gp3_unstriped,
            gp3_throughput_follows_iops: matches!(engine, "mysql" | "mariadb"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_memory_less_its_reserve_gives_the_observed_postgres_defaults() {
        // aws-facts: §5 max_connections, observed PostgreSQL defaults:
        // LEAST(DBInstanceClassMemory / 9531392, 5000).
        let pg = |gib: f64| (class_memory_bytes(gib) / 9_531_392.0).min(5000.0) as u32;
        assert_eq!(
            (pg(2.0), pg(4.0), pg(8.0), pg(15.25)),
            (198, 413, 856, 1660)
        );
    }
}
