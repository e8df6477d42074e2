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
    multi_az: Option<bool>,
    read_replicas: Option<Spanned<i64>>,
    reads: Option<Spanned<String>>,
    read_time: Spanned<RawDist>,
    write_time: Spanned<RawDist>,
    apply_time: Option<Spanned<RawDist>>,
    write_ops: Option<Vec<Spanned<String>>>,
    max_connections: Option<Spanned<i64>>,
    failover_time: Option<Spanned<RawDist>>,
    dns_ttl: Option<Spanned<String>>,
    on_primary_failure: Option<Spanned<String>>,
    promotion_time: Option<Spanned<RawDist>>,
    recovery_time: Option<Spanned<RawDist>>,
    backup: Option<Spanned<RawBackup>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    at: Spanned<String>,
    io_pause: Option<Spanned<String>>,
}

/// The words `engine` takes.
pub(super) const ENGINES: &[&str] = &["postgres", "mysql", "mariadb", "oracle", "sqlserver"];
/// The words `reads` takes.
pub(super) const READS_GO_TO: &[&str] = &["primary", "replicas"];
/// The words `on_primary_failure` takes.
pub(super) const ON_FAILURE: &[&str] = &["failover", "promote_replica", "recover"];
/// The most read replicas the key takes; each engine's own limit is lower (aws-facts: §5).
pub(super) const MAX_READ_REPLICAS: i64 = 100;
/// The most connections `max_connections` may set.
pub(super) const MAX_CONNECTIONS: i64 = 100_000;

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

/// A validated `rds`.
#[derive(Clone, Debug)]
pub struct RdsConfig {
    /// The database engine, one of `ENGINES` [name].
    pub engine: String,
    /// The instance class as written ("db.m5.large") [name].
    pub class_name: String,
    /// What each instance of that class has: vCPUs, memory, speed and price.
    pub class: DbClass,
    /// Whether a synchronous standby in another zone waits to take over [on/off].
    pub multi_az: bool,
    /// Read replicas, each an instance of the class [instances].
    pub replicas: u32,
    /// Whether reads go to the replicas in turn rather than to the writer [on/off].
    pub reads_to_replicas: bool,
    /// Work of a read on one vCPU of speed 1 [s].
    pub read_time: Dist,
    /// Work of a write on one vCPU of speed 1, before its commit [s].
    pub write_time: Dist,
    /// Time a replica takes to replay one write [s].
    pub apply_time: Dist,
    /// The operations that are writes [op index].
    pub write_ops: Vec<u16>,
    /// Queries an instance takes at once, running or waiting for a vCPU [connections].
    pub max_connections: u32,
    /// Time a Multi-AZ failover to the standby takes [s].
    pub failover_time: Dist,
    /// Time clients cache the endpoint's address, so some still reach the old writer after it
    /// moved [s].
    pub dns_ttl: SimTime,
    /// What happens when the primary fails.
    pub on_failure: OnFailure,
    /// Time the promotion of a read replica takes [s].
    pub promotion_time: Dist,
    /// Time RDS takes to recover a failed instance [s].
    pub recovery_time: Dist,
    /// (when, from the start of the run [s]; how long I/O pauses [s]); only single-AZ
    /// instances (and SQL Server) pause.
    pub backup: Option<(SimTime, SimTime)>,
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<RdsConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawRds = ck.deserialize(table)?;
    let engine = ck
        .one_of_or(&raw.engine, "engine", ENGINES, "postgres")?
        .to_string();
    let Some(class) = instance_types::rds(raw.instance_class.get_ref()) else {
        ck.error(
            raw.instance_class.span(),
            format!(
                "unknown instance class \"{}\"; known classes are: {}",
                raw.instance_class.get_ref(),
                instance_types::rds_names().join(", ")
            ),
        );
        return None;
    };
    // aws-facts: §5 read replicas: 15 per source for MySQL, MariaDB and PostgreSQL; 5 for
    // Oracle and SQL Server.
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
    let multi_az = raw.multi_az.unwrap_or(false);
    let reads_to_replicas = ck.or(&raw.reads, replicas.unwrap_or(0) > 0, |ck, r| {
        match ck.one_of(r, "reads", READS_GO_TO) {
            Some("replicas") if replicas == Some(0) => {
                ck.error(
                    r.span(),
                    "`reads = \"replicas\"` needs `read_replicas` of at least 1",
                );
                None
            }
            r => r.map(|r| r == "replicas"),
        }
    });
    let read_time = ck.time_dist(&raw.read_time, "read_time");
    let write_time = ck.time_dist(&raw.write_time, "write_time");
    // A replica replays each write at about the cost the primary paid for it (none when
    // `write_time` is wrong, which is reported there).
    let apply_time = ck
        .or(&raw.apply_time, write_time.clone(), |ck, a| {
            ck.time_dist(a, "apply_time").map(Some)
        })
        .flatten();
    let write_ops = ck.write_ops(&raw.write_ops);
    // aws-facts: §5 max_connections: PostgreSQL LEAST(memory/9531392, 5000); MySQL and
    // MariaDB memory/12582880. No formula in the facts for Oracle or SQL Server.
    let memory = class.memory_gib * 1024.0 * 1024.0 * 1024.0;
    let formula = match engine.as_str() {
        "postgres" => Some((memory / 9_531_392.0).min(5000.0) as u32),
        "mysql" | "mariadb" => Some((memory / 12_582_880.0) as u32),
        _ => None,
    };
    let max_connections = match formula {
        // The engine's own limit, unless the key sets one.
        Some(f) => ck.int_or(
            &raw.max_connections,
            "max_connections",
            (1, MAX_CONNECTIONS),
            i64::from(f.max(1)),
        ),
        // No documented limit: the key is needed.
        None => match &raw.max_connections {
            Some(m) => ck.int_in(m, "max_connections", 1, MAX_CONNECTIONS),
            None => {
                ck.error(
                    raw.engine.as_ref().map_or(at.clone(), |e| e.span()),
                    format!("for engine \"{engine}\" archsim has no documented default connection limit: set `max_connections`"),
                );
                None
            }
        },
    };
    // aws-facts: §5 Multi-AZ: failover typically 60–120 s.
    let failover_time = ck.time_dist_or(
        &raw.failover_time,
        "failover_time",
        Dist::Uniform {
            min: 60.0,
            max: 120.0,
        },
    );
    // aws-facts: §5 DNS: endpoint record TTL about 5 s [?] (a JVM may cache up to 60 s).
    let dns_ttl = ck.duration_or(&raw.dns_ttl, "dns_ttl", SimTime::from_secs(5));
    let default_on_failure = if multi_az {
        OnFailure::Failover
    } else {
        OnFailure::Recover
    };
    let on_failure = ck.or(
        &raw.on_primary_failure,
        default_on_failure,
        |ck, o| match ck.one_of(o, "on_primary_failure", ON_FAILURE)? {
            "failover" if !multi_az => {
                ck.error(
                    o.span(),
                    "a failover needs a standby: set `multi_az = true`",
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
        },
    );
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
    // replica).
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
    Some(RdsConfig {
        engine,
        class_name: raw.instance_class.get_ref().clone(),
        class,
        multi_az,
        replicas: replicas?,
        reads_to_replicas: reads_to_replicas?,
        read_time: read_time?,
        write_time: write_time?,
        apply_time: apply_time?,
        write_ops,
        max_connections: max_connections? as u32,
        failover_time: failover_time?,
        dns_ttl: dns_ttl?,
        on_failure: on_failure?,
        promotion_time: promotion_time?,
        recovery_time: recovery_time?,
        backup: backup?,
    })
}

impl RdsConfig {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let mut first = format!("{} {}", self.engine, self.class_name);
        if self.multi_az {
            first.push_str(", Multi-AZ");
        }
        vec![
            first,
            match self.replicas {
                0 => "no read replicas".to_string(),
                1 => "1 read replica".to_string(),
                n => format!("{n} read replicas"),
            },
        ]
    }

    /// What its instances cost together [USD/h]. aws-facts: §4: Multi-AZ ≈ 2× single-AZ; each
    /// replica is an instance of its own.
    pub fn hourly(&self) -> f64 {
        let primary = self.class.single_az_hourly * if self.multi_az { 2.0 } else { 1.0 };
        primary + f64::from(self.replicas) * self.class.single_az_hourly
    }
}
