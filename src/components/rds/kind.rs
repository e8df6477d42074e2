//! What `rds` declares about itself: its keys, fault, series, summary fields, columns, plot
//! panels and events, and what an outage of its zone does to it.

use super::config::{
    self, RdsConfig, DEPLOYMENTS, DOWN_WRITER, ENGINES, MAX_CONNECTIONS, MAX_READ_REPLICAS,
    ON_FAILURE, READS_GO_TO,
};
use super::Fault;
use crate::components::iac::{string, Dialect, Downstream, Imports, Mapped, Resource, ResourceMap};
use crate::components::kind::{
    Category, Column, DiagramSpec, EventInfo, FaultInfo, Field, Key, KeyType, Kind, KindInfo,
    LatencySeries, Mark, PlotLine, PlotPanel, Satellite, SatelliteZone, Series, Tone, Unit,
    Unplaced, ZoneOutage,
};
use crate::components::{BuildEnv, Component, Shared};
use crate::config::raw::{RawComponentTable, RawFault};
use crate::config::Checker;

pub(super) const READS: Series = Series {
    id: "reads_rps",
    unit: Unit::PerSecond,
    about: "reads received",
};
pub(super) const WRITES: Series = Series {
    id: "writes_rps",
    unit: Unit::PerSecond,
    about: "writes received",
};
pub(super) const UTILISATION: Series = Series {
    id: "utilisation",
    unit: Unit::Share,
    about: "busy vCPUs over vCPUs of all instances, time-averaged",
};
pub(super) const REPLICA_LAG: Series = Series {
    id: "replica_lag_s",
    unit: Unit::Seconds,
    about: "the largest lag a read on a replica met in the window (none without such a read)",
};
pub(super) const STALE_READ_SHARE: Series = Series {
    id: "stale_read_share",
    unit: Unit::Share,
    about: "share of replica reads that were stale",
};
pub(super) static WRITE: LatencySeries = LatencySeries {
    p50: Series {
        id: "write_p50_ms",
        unit: Unit::Milliseconds,
        about: "median time of a write, commit included",
    },
    p95: Series {
        id: "write_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the time of a write, commit included",
    },
    p99: Series {
        id: "write_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the time of a write, commit included",
    },
};

impl Kind for RdsConfig {
    const WRITE_OPS: Option<crate::components::kind::WriteOps> =
        Some(crate::components::kind::WriteOps::shared("write_ops"));
    /// Each engine's default port, which network ACL rules match.
    fn port(&self) -> u16 {
        match self.engine.trim_start_matches("aurora-") {
            "mysql" | "mariadb" => 3306,
            "oracle" => 1521,
            "sqlserver" => 1433,
            _ => 5432,
        }
    }

    // aws-facts: §20 VPC: its network interfaces sit in a VPC, guarded by security groups.
    const IN_VPC: bool = true;
    const INFO: &'static KindInfo = &KindInfo {
        name: "rds",
        title: "Amazon RDS",
        noun: "an RDS database",
        category: Category::Database,
        about: "a database with its engine’s connection limit, a deployment (single-AZ, Multi-AZ instance, Multi-AZ cluster with readable standbys, Aurora) and its failover, read replicas with replication lag and stale reads, RDS Proxy, backups, and cost",
        keys: &[
            Key {
                name: "engine",
                ty: KeyType::Word(ENGINES),
                required: false,
                about: "the database engine; it sets the default connection limit and the most read replicas (15, or 5 for oracle and sqlserver); aurora-postgresql and aurora-mysql make an Aurora cluster, aurora-postgresql with postgres's connection limit, aurora-mysql with AWS's table per class (default postgres, or aurora-postgresql with deployment = \"aurora\")",
            },
            Key {
                name: "instance_class",
                ty: KeyType::Choice(crate::components::instance_types::rds_names),
                required: true,
                about: "the instance class of the primary and of each replica (\"db.m5.large\"): its vCPUs, memory, speed and hourly price; Aurora runs only the classes AWS lists for it, of these db.r5, db.r6g, db.r7g and db.t4g.medium",
            },
            Key {
                name: "deployment",
                ty: KeyType::Word(DEPLOYMENTS),
                required: false,
                about: "what stands by to take over from the writer: single_az (nothing); multi_az_instance (one hidden synchronous standby, failover typically 60–120 s, commits wait one cross-zone round trip, price ×2); multi_az_cluster (two readable standbys in other zones serving reads, semi-synchronous commits, failover typically under 35 s, price ×3, mysql or postgres); aurora (Aurora Replicas on shared storage serving reads, a replica promoted in typically under a minute, the old writer fenced so clients hang until their timeout, each instance at the class's price) (default: multi_az_instance with multi_az = true, aurora with an aurora engine, else single_az)",
            },
            Key {
                name: "multi_az",
                ty: KeyType::Bool,
                required: false,
                about: "the older way to say deployment = \"multi_az_instance\" (true) or \"single_az\" (false); it must agree with `deployment` when both are set (default false)",
            },
            Key {
                name: "read_replicas",
                ty: KeyType::Integer {
                    min: 0,
                    max: MAX_READ_REPLICAS,
                },
                required: false,
                about: "read replicas (Aurora Replicas with aurora, the failover targets), replicated asynchronously, each an instance of the class; at most 15, or 5 for oracle and sqlserver (default 0)",
            },
            Key {
                name: "replica_zones",
                ty: KeyType::Words,
                required: false,
                about: "the zones of the read replicas (Aurora Replicas), taken in turn: [\"b\", \"c\"] puts four in b, c, b, c; an outage of one takes its replicas out until it is back, their replay paused (a read replica's own endpoint there answers nothing; Aurora's reader endpoint stops naming a replica there, and a failover passes it by) (default: each in a zone no outage reaches, as AWS places a replica created without a zone in one it picks: drawn outside the zones, and warned of when the scenario has an az_outage)",
            },
            Key {
                name: "reads",
                ty: KeyType::Word(READS_GO_TO),
                required: false,
                about: "where reads go: primary, or the readers in turn, the reader endpoint: read replicas, Aurora Replicas, a Multi-AZ DB cluster's standbys (default: replicas when there are any readers, else primary)",
            },
            Key {
                name: "read_time",
                ty: KeyType::TimeDist,
                required: true,
                about: "the vCPU time a read takes on an instance class of speed 1",
            },
            Key {
                name: "write_time",
                ty: KeyType::TimeDist,
                required: true,
                about: "the vCPU time a write takes on an instance class of speed 1, before its commit",
            },
            Key {
                name: "apply_time",
                ty: KeyType::TimeDist,
                required: false,
                about: "the time a read replica (or a Multi-AZ DB cluster's standby) takes to replay one write, one at a time, so its lag grows once writes outpace it; not on Aurora (default: write_time)",
            },
            Key {
                name: "aurora_replica_lag",
                ty: KeyType::TimeDist,
                required: false,
                about: "Aurora only: the time after its commit a write is seen on each Aurora Replica, which reads the cluster's shared volume rather than replaying writes; in commit order, whatever the rate of writes. AWS: usually much less than 100 ms, higher under many writes, with no figure for how much (default lognormal, median 20ms, p99 100ms, a choice)",
            },
            Key {
                name: "aurora_replica_lag_period",
                ty: KeyType::Duration,
                required: false,
                about: "Aurora only: how long each Aurora Replica keeps one lag drawn from aurora_replica_lag before the next (its lag varies over time, the same for consecutive writes, as it applies the log in order; AWS gives no time scale) (default 1s, a choice)",
            },
            Key {
                name: "write_ops",
                ty: KeyType::Words,
                required: false,
                about: "the operations that are writes; the others are reads (default: write, put, update, delete)",
            },
            Key {
                name: "max_connections",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_CONNECTIONS,
                },
                required: false,
                about: "queries an instance holds at once, running or waiting for a vCPU; beyond them 503 (default: the engine's formula from DBInstanceClassMemory, the class's memory less what the OS and RDS keep (fitted to observed defaults), postgres at most 5000; aurora-mysql: AWS's default per class, at most 16000, and a class AWS does not list needs it set; oracle and sqlserver need it set)",
            },
            Key {
                name: "failover_time",
                ty: KeyType::TimeDist,
                required: false,
                about: "time a failover takes: to a Multi-AZ instance's standby (default uniform 60s to 120s), to a Multi-AZ cluster's standby (default lognormal, median 20s, p99 35s: AWS's typically under 35 s), to an Aurora Replica (default lognormal, median 30s, p99 120s: AWS's typically within 120 s, often under 60 s)",
            },
            Key {
                name: "dns_ttl",
                ty: KeyType::Duration,
                required: false,
                about: "time clients cache the endpoint's address: after the writer is back, a share of queries falling linearly over it still go to the old address, where they meet what down_writer says (on Aurora after a failover, the old writer, now a reader: 503) (default 5s)",
            },
            Key {
                name: "on_primary_failure",
                ty: KeyType::Word(ON_FAILURE),
                required: false,
                about: "what follows the primary's failure: failover (needs a deployment with a standby, or Aurora with a replica), promote_replica (needs read_replicas; not in a cluster or Aurora, which promote by failover) or recover (default: failover when the deployment can, else recover)",
            },
            Key {
                name: "down_writer",
                ty: KeyType::Word(DOWN_WRITER),
                required: false,
                about: "what a query sent to the writer while it is down (the failed primary during a failover, promotion or recovery, or its old address still in a client's DNS cache) meets: refuse (503 at once) or hang (no answer: the caller waits for its own timeout, and gets 503 when the writer is back, or when the last cached address has expired, if it still waits). AWS documents the hang for Aurora's fenced writer during a failover; for a failed RDS instance it does not say whether a connection is refused or left unanswered, so refuse is a choice, kept from earlier versions; a dead host usually leaves connections unanswered, a restarting database refuses them. Setting it on Aurora overrides the documented hang; writes that reach Aurora's old writer from a stale cache after a failover are refused whatever it says (it is a reader then). With RDS Proxy queries wait in the proxy instead (default: hang on Aurora during a failover, else refuse)",
            },
            Key {
                name: "promotion_time",
                ty: KeyType::TimeDist,
                required: false,
                about: "time the promotion of a read replica to writer takes (default uniform 120s to 300s)",
            },
            Key {
                name: "recovery_time",
                ty: KeyType::TimeDist,
                required: false,
                about: "time RDS takes to recover a failed instance (on Aurora without a replica, to create a new writer), or to replace a standby or an old writer that rejoins as a reader after a failover (default uniform 300s to 600s)",
            },
            Key {
                name: "backup",
                ty: KeyType::Table(&[
                    Key {
                        name: "at",
                        ty: KeyType::Duration,
                        required: true,
                        about: "when the backup starts, from the start of the run",
                    },
                    Key {
                        name: "io_pause",
                        ty: KeyType::Duration,
                        required: false,
                        about: "how long a single-AZ instance's I/O is suspended (default 5s)",
                    },
                ]),
                required: false,
                about: "an automated backup: single-AZ instances (and sqlserver on a Multi-AZ instance) pause I/O, Multi-AZ ones back up from the standby, Aurora's are continuous (default: none)",
            },
            Key {
                name: "proxy",
                ty: KeyType::Bool,
                required: false,
                about: "RDS Proxy in front: clients keep their connections across a failover and wait (a stall, not errors, and no DNS tail); queries beyond max_connections wait for a connection instead of 503; not priced (default false)",
            },
            Key {
                name: "proxy_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time the proxy's hop adds to each query, both ways (default uniform 1ms to 5ms, a choice)",
            },
            Key {
                name: "proxy_borrow_timeout",
                ty: KeyType::Duration,
                required: false,
                about: "longest a query waits in the proxy for a connection or a writer before it is answered 503 (AWS's ConnectionBorrowTimeout, default 120s)",
            },
            Key {
                name: "proxy_pinned",
                ty: KeyType::Number {
                    min: 0.0,
                    max: 1.0,
                },
                required: false,
                about: "share of queries whose session state (SET, temporary tables, …) pins their database connection, 0 to 1 (default 0)",
            },
            Key {
                name: "proxy_pinned_for",
                ty: KeyType::Duration,
                required: false,
                about: "how long a pinned connection stays with its client after the query, so no other query can borrow it (default 1s, a choice)",
            },
        ],
        faults: &[FaultInfo {
            name: "rds_primary_failure",
            takes: "`target`, a component of kind \"rds\"",
            keys: &["target"],
            about: "the primary fails: failover to the standby, promotion of a replica or recovery follows, as `on_primary_failure` says",
        }],
        series: &[
            &READS,
            &WRITES,
            &UTILISATION,
            &REPLICA_LAG,
            &STALE_READ_SHARE,
            &WRITE.p50,
            &WRITE.p95,
            &WRITE.p99,
        ],
        fields: &[
            Field {
                path: "reads",
                unit: Unit::Count,
                about: "reads received in the measured period",
            },
            Field {
                path: "writes",
                unit: Unit::Count,
                about: "writes received in the measured period",
            },
            Field {
                path: "by_status.*",
                unit: Unit::Count,
                about: "queries by the status they were answered with",
            },
            Field {
                path: "connections_refused",
                unit: Unit::Count,
                about: "queries refused with 503, their instance at max_connections",
            },
            Field {
                path: "writer_unavailable",
                unit: Unit::Count,
                about: "queries for the writer (reads too, where no replica takes them) answered 503 or left unanswered (down_writer = \"hang\", on Aurora during a failover, and while the writer's zone is out), the writer being down or a client's cached address stale, those in flight when it failed included",
            },
            Field {
                path: "replica_unreachable",
                unit: Unit::Count,
                about: "with readers: reads sent to a read replica whose zone was out (`replica_zones`, or Aurora's old writer rejoined as a reader in its own zone), and those running on a reader when its zone went, left unanswered (behind RDS Proxy, the running ones are answered 503 by the proxy)",
            },
            Field {
                path: "proxy_borrow_timeouts",
                unit: Unit::Count,
                about: "with RDS Proxy: queries answered 503 after waiting the borrow timeout for a connection or a writer",
            },
            Field {
                path: "utilisation",
                unit: Unit::Share,
                about: "busy vCPUs over vCPUs of all instances, time-averaged",
            },
            Field {
                path: "max_connections",
                unit: Unit::Number,
                about: "queries an instance holds at once",
            },
            Field {
                path: "replica_reads",
                unit: Unit::Count,
                about: "reads the readers (replicas, readable standbys) served; 0 without readers",
            },
            Field {
                path: "instance_reads.*",
                unit: Unit::Count,
                about: "reads each instance served, by its number: 0 the writer the run starts with, then a Multi-AZ DB cluster's two readable standbys, then the read replicas in order; only with readers",
            },
            Field {
                path: "stale_reads",
                unit: Unit::Count,
                about: "replica reads of a key whose last write the replica had not yet replayed; 0 without readers",
            },
            Field {
                path: "stale_read_fraction",
                unit: Unit::Share,
                about: "with replicas: share of replica reads that were stale",
            },
            Field {
                path: "replica_lag_mean_s",
                unit: Unit::Seconds,
                about: "with replicas: the replica's lag seen by its reads, averaged over them",
            },
            Field {
                path: "replica_lag_max_s",
                unit: Unit::Seconds,
                about: "with replicas: the largest lag a replica read saw",
            },
            Field {
                path: "failover_downtime_s",
                unit: Unit::Seconds,
                about: "after a failure of the primary in the measured period (not the warmup): from the failure until a writer is back (failover, promotion or recovery), even past the run's end (but for a recovery that waits for its zone, which never came back: until the run's end), averaged over failures; the DNS tail after it, for clients still on the old address, is not in it",
            },
            Field {
                path: "writer_failures",
                unit: Unit::Count,
                about: "failures of the primary in the measured period that `failover_downtime_s` averages over (reported with it)",
            },
            Field {
                path: "failover_downtime_max_s",
                unit: Unit::Seconds,
                about: "the longest of the downtimes `failover_downtime_s` averages (reported with it)",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "its instances' price over the measured period (Multi-AZ instance twice, Multi-AZ cluster three times, each replica once); not for oracle and sqlserver, whose licence-included prices archsim does not have",
            },
            Field {
                path: "read_ms.*",
                unit: Unit::Milliseconds,
                about: "time of a successful read, from arrival to answer (count, mean, p50 … p999, max)",
            },
            Field {
                path: "write_ms.*",
                unit: Unit::Milliseconds,
                about: "time of a successful write, commit included (count, mean, p50 … p999, max)",
            },
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "utilisation",
                field: "utilisation",
                unit: Unit::Share,
            },
            Column {
                label: "failover downtime, mean",
                field: "failover_downtime_s",
                unit: Unit::Seconds,
            },
            Column {
                label: "writer failures",
                field: "writer_failures",
                unit: Unit::Count,
            },
            Column {
                label: "mean lag",
                field: "replica_lag_mean_s",
                unit: Unit::Seconds,
            },
            Column {
                label: "stale, of replica reads",
                field: "stale_read_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "writer unavailable (503 or no answer)",
                field: "writer_unavailable",
                unit: Unit::Count,
            },
            Column {
                label: "connections refused",
                field: "connections_refused",
                unit: Unit::Count,
            },
            crate::components::kind::LATE_REPLIES_COLUMN,
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "utilisation [%]",
                lines: &[PlotLine {
                    series: &UTILISATION,
                    label: "all instances",
                    tone: Tone::Load,
                    scale: 100.0,
                }],
                y_max: Some(105.0),
            },
            PlotPanel {
                axis: "replica lag [ms]",
                lines: &[PlotLine {
                    series: &REPLICA_LAG,
                    label: "max in window",
                    tone: Tone::Queue,
                    scale: 1000.0,
                }],
                y_max: None,
            },
            PlotPanel {
                axis: "stale reads [%]",
                lines: &[PlotLine {
                    series: &STALE_READ_SHARE,
                    label: "of replica reads",
                    tone: Tone::Bad,
                    scale: 100.0,
                }],
                y_max: None,
            },
        ],
        events: &[
            EventInfo {
                event: "primary_failed",
                mark: Mark::SpanStart("writer down"),
            },
            EventInfo {
                event: "failover_complete",
                mark: Mark::SpanEnd("writer down"),
            },
            EventInfo {
                event: "promotion_complete",
                mark: Mark::SpanEnd("writer down"),
            },
            EventInfo {
                event: "recovery_complete",
                mark: Mark::SpanEnd("writer down"),
            },
            EventInfo {
                event: "standby_ready",
                mark: Mark::Hidden,
            },
            EventInfo {
                event: "backup",
                mark: Mark::Hidden,
            },
            EventInfo {
                event: "backup_io_pause",
                mark: Mark::Instant,
            },
        ],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[
            ResourceMap {
                cloudformation: &["AWS::RDS::DBInstance"],
                terraform: &["aws_db_instance", "aws_rds_cluster_instance"],
                map: import_instance,
            },
            ResourceMap {
                cloudformation: &["AWS::RDS::DBCluster"],
                terraform: &["aws_rds_cluster"],
                map: import_cluster,
            },
        ],
        companions: &[],
        downstream: Downstream::None,
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    /// The zones of its read replicas, each once.
    fn zones(&self) -> Vec<&str> {
        let mut zones: Vec<&str> = Vec::new();
        for z in &self.replica_zones {
            if !zones.contains(&z.as_str()) {
                zones.push(z);
            }
        }
        zones
    }

    /// A writer without `az` and read replicas without `replica_zones` are in no zone an
    /// outage can reach.
    fn unplaced(&self, az: Option<&str>) -> Vec<Unplaced> {
        let mut parts = Vec::new();
        if az.is_none() {
            parts.push(Unplaced {
                what: "the writer".into(),
                plural: false,
                key: "az",
            });
        }
        if self.replicas > 0 && self.replica_zones.is_empty() {
            let what = if self.deployment == config::Deployment::Aurora {
                "Aurora Replica"
            } else {
                "read replica"
            };
            parts.push(Unplaced {
                what: match self.replicas {
                    1 => format!("the {what}"),
                    n => format!("the {n} {what}s"),
                },
                plural: self.replicas > 1,
                key: "replica_zones",
            });
        }
        parts
    }

    /// aws-facts: §5 Multi-AZ: an AZ outage is a failover trigger. It is told of an outage of
    /// its writer's zone or of a zone its read replicas are in.
    fn zone_outage(&self, zone: &str, az: Option<&str>) -> ZoneOutage {
        let writer = az == Some(zone);
        let replica = self
            .replica_zones
            .iter()
            .position(|z| z == zone)
            .map(|r| r as u16);
        if writer || replica.is_some() {
            ZoneOutage::Told(Fault::ZoneOutage { writer, replica }.code())
        } else {
            ZoneOutage::Unaffected
        }
    }

    /// Its one fault, `rds_primary_failure`, takes nothing beyond its target.
    fn parse_fault(&self, _fault: &str, _f: &RawFault, _ck: &mut Checker) -> Option<(u32, String)> {
        Some((Fault::PrimaryFailure.code(), String::new()))
    }

    /// Its cost counts instance hours only (`RdsConfig::hourly`).
    fn unpriced(&self) -> Vec<&'static str> {
        let mut left_out = Vec::new();
        if self.proxy.is_some() {
            left_out.push("RDS Proxy");
        }
        if self.deployment == config::Deployment::Aurora {
            left_out.push("Aurora storage and I/O");
        }
        match self.engine.as_str() {
            "sqlserver" => left_out.push("SQL Server instances (licence-included prices)"),
            "oracle" => left_out.push("Oracle instances (licence prices)"),
            _ => {}
        }
        left_out
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    /// The standbys in other zones and the read replicas beside the writer.
    fn diagram(&self) -> DiagramSpec {
        let mut satellites = Vec::new();
        let standby = |name: &str, zone: usize, link, instances| Satellite {
            name: name.to_string(),
            zone: SatelliteZone::Other(zone),
            link,
            instances,
        };
        match self.deployment {
            // aws-facts: §5 Multi-AZ DB instance: one non-readable standby in another zone,
            // kept by synchronous replication. It serves nothing.
            config::Deployment::MultiAzInstance => {
                satellites.push(standby("standby", 0, "sync replication", Vec::new()))
            }
            // aws-facts: §5 Multi-AZ DB cluster: two readable standbys in the other two zones,
            // semi-synchronous: the instances after the writer.
            config::Deployment::MultiAzCluster => {
                for z in 0..2 {
                    satellites.push(standby("readable standby", z, "semi-sync", vec![1 + z]));
                }
            }
            config::Deployment::SingleAz | config::Deployment::Aurora => {}
        }
        // aws-facts: §5 Read replicas: asynchronous. Aurora Replicas share the cluster's
        // storage.
        let (what, link) = if self.deployment == config::Deployment::Aurora {
            ("Aurora Replica", "shared storage")
        } else {
            ("read replica", "async")
        };
        let first = self.first_replica();
        let box_of = |instances: Vec<usize>, zone: SatelliteZone| Satellite {
            name: match instances.len() {
                1 => what.to_string(),
                n => format!("{n} {what}s"),
            },
            zone,
            link,
            instances,
        };
        let replicas = self.replicas as usize;
        if self.replica_zones.is_empty() {
            // In no zone the scenario names, where no outage reaches them (`replica_zones`):
            // drawn so, outside the zones, not in one the simulation does not put them in.
            // Up to three boxes; more are one box that counts them.
            let shown = if replicas > 3 { 2 } else { replicas };
            for r in 0..shown {
                satellites.push(box_of(vec![first + r], SatelliteZone::Unplaced));
            }
            if replicas > 3 {
                let mut more = box_of(
                    (first + 2..first + replicas).collect(),
                    SatelliteZone::Unplaced,
                );
                more.name = format!("{} more {what}s", replicas - 2);
                satellites.push(more);
            }
        } else {
            // One box per zone, counting the replicas there.
            for z in Kind::zones(self) {
                let here = (0..replicas)
                    .filter(|&r| self.replica_zones.get(r).is_some_and(|x| x == z))
                    .map(|r| first + r)
                    .collect();
                satellites.push(box_of(here, SatelliteZone::Named(z.to_string())));
            }
        }
        DiagramSpec {
            lines: self.lines(),
            satellites,
            part_of: None,
        }
    }

    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        Box::new(super::Rds::new(
            self.clone(),
            env,
            shared.volumes[index].clone(),
        ))
    }

    /// Each instance has its own EBS storage, under RDS's rules for its engine, but Aurora's,
    /// whose storage is a cluster volume of its own (aws-facts: §5 Aurora).
    fn volume_host(&self) -> Option<crate::components::ebs::VolumeHost> {
        (self.deployment != config::Deployment::Aurora)
            .then(|| crate::components::ebs::VolumeHost::Rds(self.storage()))
    }
}

// What `archsim import` makes of a template's databases. An instance of a cluster, or a read
// replica of an instance, is part of the cluster's (or the source's) component: the first
// sets the class, the others count as replicas.

/// The `engine` word for an RDS engine name.
fn rds_engine(engine: &str) -> Option<&'static str> {
    let e = engine.to_ascii_lowercase();
    let word = match e.as_str() {
        "aurora" => "aurora-mysql",
        _ if e.starts_with("oracle") => "oracle",
        _ if e.starts_with("sqlserver") => "sqlserver",
        _ => e.as_str(),
    };
    ENGINES.iter().copied().find(|w| *w == word)
}

/// An instance: its class, engine and Multi-AZ; as a cluster's member or a replica, a reader.
fn import_instance(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let (class, engine, multi, cluster, source) = if cf {
        (
            "DBInstanceClass",
            "Engine",
            "MultiAZ",
            "DBClusterIdentifier",
            "SourceDBInstanceIdentifier",
        )
    } else {
        (
            "instance_class",
            "engine",
            "multi_az",
            "cluster_identifier",
            "replicate_source_db",
        )
    };
    let parent = r.refs(cluster).into_iter().chain(r.refs(source)).next();
    // An Aurora cluster's instances run only the classes Aurora lists.
    let aurora = r.text(engine).is_some_and(|e| e.starts_with("aurora"));
    if let Some(p) = parent {
        m.part_of = Some(p.clone());
        // The cluster's first instance (in template order) is its writer.
        let first = r
            .others()
            .find(|o| {
                o.kind == r.kind
                    && o.refs(cluster).into_iter().chain(o.refs(source)).next() == Some(p.clone())
            })
            .is_some_and(|o| o.name == r.name);
        if r.refs(source).is_empty() && first {
            instance_class(r, class, aurora, m);
        } else {
            m.add(
                "read_replicas",
                1,
                format!("{} {} reads from it", r.kind, r.name),
            );
        }
        return;
    }
    instance_class(r, class, aurora, m);
    match r.text(engine).map(|e| (e, rds_engine(e))) {
        Some((_, Some(word))) => m.set("engine", string(word), engine),
        Some((e, None)) => m.note(format!(
            "engine {e} is not simulated: postgres's connection formula is used"
        )),
        None => {}
    }
    if r.flag(multi) == Some(true) {
        m.set("deployment", string("multi_az_instance"), multi);
    }
    storage_note(r, m);
    rds_work(m);
}

/// A note of the instance's storage, which the import does not carry over: an `ebs`
/// component attached to the database simulates it (its IOPS, throughput and burst credits),
/// under RDS's own rules for sizes and striping, which a template's values would have to be
/// checked against. Nothing when the template says nothing of it.
fn storage_note(r: &Resource<'_>, m: &mut Mapped) {
    let keys: &[&str] = match r.dialect {
        Dialect::CloudFormation => &[
            "StorageType",
            "AllocatedStorage",
            "Iops",
            "StorageThroughput",
        ],
        Dialect::Terraform => &[
            "storage_type",
            "allocated_storage",
            "iops",
            "storage_throughput",
        ],
    };
    let said: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            let v = r.get(k).filter(|v| !v.is_null())?;
            Some(match v {
                serde_json::Value::String(t) => format!("{k} {}", crate::text::one_line(t)),
                serde_json::Value::Number(n) => format!("{k} {n}"),
                _ => format!("{k} (not a literal)"),
            })
        })
        .collect();
    if !said.is_empty() {
        m.note(format!(
            "{}'s storage ({}) is not imported: the database's I/O is not simulated; an `ebs` component attached_to it would simulate its volume",
            r.name,
            said.join(", "),
        ));
    }
}

/// The class of an instance, or a starting value when archsim has no figures for it (or, on
/// Aurora, when Aurora does not run it).
fn instance_class(r: &Resource<'_>, key: &str, aurora: bool, m: &mut Mapped) {
    use crate::components::instance_types;
    let fallback = if aurora { "db.r5.large" } else { "db.m5.large" };
    match r.text(key) {
        Some(c) if instance_types::rds(c).is_some() && (!aurora || config::aurora_runs(c)) => {
            m.set("instance_class", string(c), key)
        }
        Some(c) => {
            // The same family letter and size (db.t3.medium → db.t4g.medium) among the
            // classes it may run, else the fallback.
            let names = if aurora {
                config::aurora_class_names()
            } else {
                instance_types::rds_names()
            };
            let size = c.rsplit('.').next().unwrap_or("");
            let family = c.strip_prefix("db.").and_then(|f| f.chars().next());
            let near = names
                .iter()
                .find(|n| {
                    n.strip_prefix("db.").and_then(|f| f.chars().next()) == family
                        && n.ends_with(&format!(".{size}"))
                })
                .cloned()
                .unwrap_or_else(|| fallback.to_string());
            let why = if instance_types::rds(c).is_some() {
                "Aurora does not run it"
            } else {
                "it is not in archsim's table"
            };
            m.ask(
                "instance_class",
                string(&near),
                format!("{key} {c}: {why}; {near} is the nearest it has"),
            )
        }
        None => m.ask(
            "instance_class",
            string(fallback),
            format!("{key} is not a literal in the template: set yours"),
        ),
    }
}

/// The query times a template cannot say.
fn rds_work(m: &mut Mapped) {
    m.ask(
        "read_time",
        string("2ms"),
        "vCPU time a read takes: set from your Performance Insights or slow-query log (p50)",
    );
    m.ask(
        "write_time",
        string("4ms"),
        "vCPU time a write takes before its commit: set it as read_time",
    );
}

/// A cluster: Aurora (its instances the writer and its replicas) or a Multi-AZ DB cluster.
fn import_cluster(r: &Resource<'_>, m: &mut Mapped) {
    let engine = r.text("Engine").or_else(|| r.text("engine"));
    match engine.map(|e| (e, rds_engine(e))) {
        Some((_, Some(word))) => m.set("engine", string(word), "Engine"),
        Some((e, None)) => m.note(format!(
            "engine {e} is not simulated: postgres's connection formula is used"
        )),
        None => {}
    }
    let aurora = engine.is_some_and(|e| e.starts_with("aurora"));
    m.ask(
        "instance_class",
        string("db.r5.large"),
        "the cluster's first instance in the template sets it; none does: set yours",
    );
    if aurora {
        m.set("deployment", string("aurora"), "an Aurora cluster");
    } else {
        m.set(
            "deployment",
            string("multi_az_cluster"),
            "a Multi-AZ DB cluster",
        );
        // A Multi-AZ DB cluster states its class on the cluster.
        if r.text("DBClusterInstanceClass")
            .or_else(|| r.text("db_cluster_instance_class"))
            .is_some()
        {
            let key = if r.dialect == Dialect::CloudFormation {
                "DBClusterInstanceClass"
            } else {
                "db_cluster_instance_class"
            };
            instance_class(r, key, false, m);
        }
    }
    rds_work(m);
}
