//! What `rds` declares about itself: its keys, fault, series, summary fields, columns, plot
//! panels and events, and what an outage of its zone does to it.

use super::config::{
    self, RdsConfig, ENGINES, MAX_CONNECTIONS, MAX_READ_REPLICAS, ON_FAILURE, READS_GO_TO,
};
use super::Fault;
use crate::components::kind::{
    Category, Column, EventInfo, FaultInfo, Field, Key, KeyType, Kind, KindInfo, LatencySeries,
    Mark, PlotLine, PlotPanel, Series, Tone, Unit, ZoneOutage,
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
    about: "the largest replica lag in the window",
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
    const INFO: &'static KindInfo = &KindInfo {
        name: "rds",
        title: "Amazon RDS",
        noun: "an RDS database",
        category: Category::Database,
        about: "a database instance with its engine’s connection limit, Multi-AZ standby and failover, read replicas with replication lag and stale reads, backups, and cost",
        keys: &[
            Key {
                name: "engine",
                ty: KeyType::Word(ENGINES),
                required: false,
                about: "the database engine; it sets the default connection limit and the most read replicas (15, or 5 for oracle and sqlserver) (default postgres)",
            },
            Key {
                name: "instance_class",
                ty: KeyType::Choice(crate::components::instance_types::rds_names),
                required: true,
                about: "the instance class of the primary and of each replica (\"db.m5.large\"): its vCPUs, memory, speed and hourly price",
            },
            Key {
                name: "multi_az",
                ty: KeyType::Bool,
                required: false,
                about: "whether a synchronous standby in another zone takes over when the primary fails; each commit waits one cross-zone round trip, and it costs twice (default false)",
            },
            Key {
                name: "read_replicas",
                ty: KeyType::Integer {
                    min: 0,
                    max: MAX_READ_REPLICAS,
                },
                required: false,
                about: "read replicas, replicated asynchronously, each an instance of the class; at most 15, or 5 for oracle and sqlserver (default 0)",
            },
            Key {
                name: "reads",
                ty: KeyType::Word(READS_GO_TO),
                required: false,
                about: "where reads go: primary, or the replicas in turn (default: replicas when there are any, else primary)",
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
                about: "the time a replica takes to replay one write, one at a time (default: write_time)",
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
                about: "queries an instance holds at once, running or waiting for a vCPU; beyond them 503 (default: the engine's formula from the class's memory, postgres at most 5000; oracle and sqlserver need it set)",
            },
            Key {
                name: "failover_time",
                ty: KeyType::TimeDist,
                required: false,
                about: "time a Multi-AZ failover to the standby takes (default uniform 60s to 120s)",
            },
            Key {
                name: "dns_ttl",
                ty: KeyType::Duration,
                required: false,
                about: "time clients cache the endpoint's address: after the writer is back, a share of queries falling linearly over it still go to the old address and get 503 (default 5s)",
            },
            Key {
                name: "on_primary_failure",
                ty: KeyType::Word(ON_FAILURE),
                required: false,
                about: "what follows the primary's failure: failover (needs multi_az), promote_replica (needs read_replicas) or recover (default: failover with multi_az, else recover)",
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
                about: "time RDS takes to recover a failed instance, or to replace a Multi-AZ standby (default uniform 300s to 600s)",
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
                about: "an automated backup: single-AZ instances (and sqlserver) pause I/O, Multi-AZ ones back up from the standby (default: none)",
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
                about: "queries for the writer answered 503, the writer being down or a client's cached address stale",
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
                about: "with replicas: reads the replicas served",
            },
            Field {
                path: "stale_reads",
                unit: Unit::Count,
                about: "with replicas: replica reads of a key whose last write the replica had not yet replayed",
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
                about: "after a failure of the primary: time the writer was down, averaged over failures",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "its instances' price over the measured period (Multi-AZ twice, each replica once)",
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
            Field {
                path: "late_replies",
                unit: Unit::Count,
                about: "answers that came after their caller had timed out",
            },
        ],
        columns: &[
            Column {
                label: "utilisation",
                field: "utilisation",
                unit: Unit::Share,
            },
            Column {
                label: "failover downtime",
                field: "failover_downtime_s",
                unit: Unit::Seconds,
            },
            Column {
                label: "mean lag",
                field: "replica_lag_mean_s",
                unit: Unit::Seconds,
            },
            Column {
                label: "stale reads",
                field: "stale_read_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "writes refused (503)",
                field: "writer_unavailable",
                unit: Unit::Count,
            },
            Column {
                label: "connections refused",
                field: "connections_refused",
                unit: Unit::Count,
            },
            Column {
                label: "late replies",
                field: "late_replies",
                unit: Unit::Count,
            },
            Column {
                label: "cost",
                field: "cost_usd",
                unit: Unit::Usd,
            },
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

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    /// aws-facts: §5 Multi-AZ: an AZ outage is a failover trigger.
    fn zone_outage(&self, zone: &str, az: Option<&str>) -> ZoneOutage {
        if az == Some(zone) {
            ZoneOutage::Told(Fault::PrimaryFailure.code())
        } else {
            ZoneOutage::Unaffected
        }
    }

    /// Its one fault, `rds_primary_failure`, takes nothing beyond its target.
    fn parse_fault(&self, _fault: &str, _f: &RawFault, _ck: &mut Checker) -> Option<(u32, String)> {
        Some((Fault::PrimaryFailure.code(), String::new()))
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::Rds::new(self.clone(), env))
    }
}
