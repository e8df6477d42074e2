//! Amazon RDS: a primary (optionally Multi-AZ, with a synchronous standby) and read replicas.
//! aws-facts: §5 (Multi-AZ, failover, DNS, read replicas, backups, max_connections), §4 (RDS
//! prices), §13 (cross-zone latency).
//!
//! Each node runs queries on its vCPUs (FIFO), at most `max_connections` at once (beyond that
//! 503). Writes (`write_ops`) go to the writer; reads go to the replicas in turn when there are
//! any (`reads = "replicas"`), else to the writer. With Multi-AZ a commit waits one cross-zone
//! round trip for the standby.
//!
//! Replication is asynchronous: each replica replays the writes one at a time (`apply_time`
//! each), so its lag is the wait in that single-threaded queue: near zero while writes are
//! light, growing without bound once they outpace the replay. A read of a key whose last write
//! the replica has not yet replayed is stale, and counted.
//!
//! When the primary fails, its connections drop (503) and the writer endpoint answers 503:
//! with Multi-AZ until the failover completes (60–120 s) and the clients' cached DNS expires
//! (the share of requests still sent to the old address falls linearly over the TTL); with a
//! replica and `on_primary_failure = "promote_replica"` until the promotion completes; else
//! until the instance is recovered. On a single-AZ instance the backup window suspends I/O
//! briefly: queries hold their vCPU until it resumes.

use super::instance_types::{self, DbClass};
use super::kind::ZoneOutage;
use super::kind::{
    Category, Column, EventInfo, FaultInfo, Kind, KindInfo, LatencySeries, Mark, PlotLine,
    PlotPanel, Series, Tone, Unit,
};
use super::{BuildEnv, Component, ComponentReport, Shared};
use crate::config::raw::{RawComponentTable, RawDist, RawFault};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::{CallId, Ctx, Input, Msg, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, Level, MetricSet, WindowedCounts};
use rand::Rng;
use serde::Deserialize;
use slab::Slab;
use std::collections::{HashMap, VecDeque};
use toml::Spanned;

/// Fault code (`Input::Fault`): the primary instance fails (a host failure, or its zone).
pub const FAULT_PRIMARY_FAILURE: u32 = 1;

/// Status of a query the database cannot take: endpoint unreachable, connections dropped, or
/// no connection left.
pub const UNAVAILABLE: u16 = 503;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// Multi-AZ: the standby takes over.
    Failover,
    /// A read replica is promoted to be the writer.
    PromoteReplica,
    /// Wait for RDS to recover the instance.
    Recover,
}

#[derive(Clone, Debug)]
pub struct RdsConfig {
    pub engine: String,
    pub class_name: String,
    pub class: DbClass,
    pub multi_az: bool,
    pub replicas: u32,
    pub reads_to_replicas: bool,
    pub read_time: Dist,
    pub write_time: Dist,
    pub apply_time: Dist,
    pub write_ops: Vec<u16>,
    pub max_connections: u32,
    pub failover_time: Dist,
    pub dns_ttl: SimTime,
    pub on_failure: OnFailure,
    pub promotion_time: Dist,
    pub recovery_time: Dist,
    /// (when, how long I/O pauses); only single-AZ instances pause.
    pub backup: Option<(SimTime, SimTime)>,
}

const READS: Series = Series {
    id: "reads_rps",
    unit: Unit::PerSecond,
    about: "reads received",
};
const WRITES: Series = Series {
    id: "writes_rps",
    unit: Unit::PerSecond,
    about: "writes received",
};
const UTILISATION: Series = Series {
    id: "utilisation",
    unit: Unit::Share,
    about: "busy vCPUs over vCPUs of all instances, time-averaged",
};
const REPLICA_LAG: Series = Series {
    id: "replica_lag_s",
    unit: Unit::Seconds,
    about: "the largest replica lag in the window",
};
const STALE_READ_SHARE: Series = Series {
    id: "stale_read_share",
    unit: Unit::Share,
    about: "share of replica reads that were stale",
};
static WRITE: LatencySeries = LatencySeries {
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
        keys: &[],
        faults: &[
            FaultInfo {
                name: "rds_primary_failure",
                takes: "`target`, a component of kind \"rds\"",
                keys: &["target"],
                about: "the primary fails: failover to the standby, promotion of a replica or recovery follows, as `on_primary_failure` says",
            },
        ],
        series: &[&READS, &WRITES, &UTILISATION, &REPLICA_LAG, &STALE_READ_SHARE, &WRITE.p50, &WRITE.p95, &WRITE.p99],
        fields: &[],
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
                lines: &[
                    PlotLine {
                        series: &UTILISATION,
                        label: "all instances",
                        tone: Tone::Load,
                        scale: 100.0,
                    },
                ],
                y_max: Some(105.0),
            },
            PlotPanel {
                axis: "replica lag [ms]",
                lines: &[
                    PlotLine {
                        series: &REPLICA_LAG,
                        label: "max in window",
                        tone: Tone::Queue,
                        scale: 1000.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "stale reads [%]",
                lines: &[
                    PlotLine {
                        series: &STALE_READ_SHARE,
                        label: "of replica reads",
                        tone: Tone::Bad,
                        scale: 100.0,
                    },
                ],
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
        parse(table, ck)
    }

    /// aws-facts: §5 Multi-AZ: an AZ outage is a failover trigger.
    fn zone_outage(&self, zone: &str, az: Option<&str>) -> ZoneOutage {
        if az == Some(zone) {
            ZoneOutage::Told(FAULT_PRIMARY_FAILURE)
        } else {
            ZoneOutage::Unaffected
        }
    }

    fn parse_fault(&self, _fault: &str, _f: &RawFault, _ck: &mut Checker) -> Option<(u32, String)> {
        Some((FAULT_PRIMARY_FAILURE, String::new()))
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let _ = (index, shared);
        Box::new(Rds::new(self.clone(), env))
    }
}

impl RdsConfig {
    fn lines(&self) -> Vec<String> {
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

    fn hourly(&self) -> f64 {
        // aws-facts: §4: Multi-AZ ≈ 2× single-AZ; each replica is an instance of its own.
        let primary = self.class.single_az_hourly * if self.multi_az { 2.0 } else { 1.0 };
        primary + f64::from(self.replicas) * self.class.single_az_hourly
    }
}

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<RdsConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawRds = ck.deserialize(table)?;
    let engine = match &raw.engine {
        None => Some("postgres"),
        Some(e) => ck.one_of(
            e,
            "engine",
            &["postgres", "mysql", "mariadb", "oracle", "sqlserver"],
        ),
    }?
    .to_string();
    let class = match instance_types::rds(raw.instance_class.get_ref()) {
        Some(c) => c,
        None => {
            ck.error(
                raw.instance_class.span(),
                format!(
                    "unknown instance class \"{}\"; known classes are: {}",
                    raw.instance_class.get_ref(),
                    instance_types::rds_names().join(", ")
                ),
            );
            return None;
        }
    };
    // aws-facts: §5 read replicas: 15 per source for MySQL, MariaDB and PostgreSQL; 5 for
    // Oracle and SQL Server.
    let max_replicas = if matches!(engine.as_str(), "oracle" | "sqlserver") {
        5
    } else {
        15
    };
    let replicas = match &raw.read_replicas {
        None => Some(0),
        Some(n) => match ck.int_in(n, "read_replicas", 0, 100) {
            Some(v) if v > max_replicas => {
                ck.error(
                    n.span(),
                    format!("{engine} allows at most {max_replicas} read replicas per source (aws-facts §5), not {v}"),
                );
                None
            }
            v => v.map(|v| v as u32),
        },
    };
    let multi_az = raw.multi_az.unwrap_or(false);
    let reads_to_replicas = match &raw.reads {
        None => Some(replicas.unwrap_or(0) > 0),
        Some(r) => match ck.one_of(r, "reads", &["primary", "replicas"]) {
            Some("replicas") if replicas == Some(0) => {
                ck.error(
                    r.span(),
                    "`reads = \"replicas\"` needs `read_replicas` of at least 1",
                );
                None
            }
            Some(r) => Some(r == "replicas"),
            None => None,
        },
    };
    let read_time = ck.time_dist(&raw.read_time, "read_time");
    let write_time = ck.time_dist(&raw.write_time, "write_time");
    let apply_time = match &raw.apply_time {
        // A replica replays each write at about the cost the primary paid for it.
        None => write_time.clone(),
        Some(a) => ck.time_dist(a, "apply_time"),
    };
    let write_ops = ck.write_ops(&raw.write_ops);
    // aws-facts: §5 max_connections: PostgreSQL LEAST(memory/9531392, 5000); MySQL and
    // MariaDB memory/12582880. No formula in the facts for Oracle or SQL Server.
    let memory = class.memory_gib * 1024.0 * 1024.0 * 1024.0;
    let formula = match engine.as_str() {
        "postgres" => Some((memory / 9_531_392.0).min(5000.0) as u32),
        "mysql" | "mariadb" => Some((memory / 12_582_880.0) as u32),
        _ => None,
    };
    let max_connections = match (&raw.max_connections, formula) {
        (Some(m), _) => ck
            .int_in(m, "max_connections", 1, 100_000)
            .map(|m| m as u32),
        (None, Some(f)) => Some(f.max(1)),
        (None, None) => {
            ck.error(
                raw.engine.as_ref().map_or(at.clone(), |e| e.span()),
                format!("for engine \"{engine}\" archsim has no documented default connection limit: set `max_connections`"),
            );
            None
        }
    };
    let failover_time = match &raw.failover_time {
        // aws-facts: §5 Multi-AZ: failover typically 60–120 s.
        None => Some(Dist::Uniform {
            min: 60.0,
            max: 120.0,
        }),
        Some(d) => ck.time_dist(d, "failover_time"),
    };
    let dns_ttl = match &raw.dns_ttl {
        // aws-facts: §5 DNS: endpoint record TTL about 5 s [?] (a JVM may cache up to 60 s).
        None => Some(SimTime::from_secs(5)),
        Some(t) => ck.duration(t, "dns_ttl"),
    };
    let on_failure = match &raw.on_primary_failure {
        None => Some(if multi_az {
            OnFailure::Failover
        } else {
            OnFailure::Recover
        }),
        Some(o) => match ck.one_of(
            o,
            "on_primary_failure",
            &["failover", "promote_replica", "recover"],
        ) {
            Some("failover") if !multi_az => {
                ck.error(
                    o.span(),
                    "a failover needs a standby: set `multi_az = true`",
                );
                None
            }
            Some("promote_replica") if replicas == Some(0) => {
                ck.error(
                    o.span(),
                    "promoting a replica needs `read_replicas` of at least 1",
                );
                None
            }
            Some("failover") => Some(OnFailure::Failover),
            Some("promote_replica") => Some(OnFailure::PromoteReplica),
            Some(_) => Some(OnFailure::Recover),
            None => None,
        },
    };
    let promotion_time = match &raw.promotion_time {
        // aws-facts: §5 read replicas: promotion takes minutes, a reboot included (chosen:
        // uniform 2–5 min).
        None => Some(Dist::Uniform {
            min: 120.0,
            max: 300.0,
        }),
        Some(d) => ck.time_dist(d, "promotion_time"),
    };
    let recovery_time = match &raw.recovery_time {
        // Not in aws-facts for RDS: replacing a failed single-AZ instance's host and
        // recovering the database; chosen uniform 5–10 min (the facts cite under 10 min for
        // Aurora without a replica).
        None => Some(Dist::Uniform {
            min: 300.0,
            max: 600.0,
        }),
        Some(d) => ck.time_dist(d, "recovery_time"),
    };
    let backup = match &raw.backup {
        None => Some(None),
        Some(b) => {
            let b = b.get_ref();
            let at = ck.duration(&b.at, "backup.at");
            let pause = match &b.io_pause {
                // aws-facts: §5 automated backups: single-AZ I/O may pause briefly at snapshot
                // start, typically seconds (chosen: 5 s).
                None => Some(SimTime::from_secs(5)),
                Some(p) => ck.duration(p, "backup.io_pause"),
            };
            Some(Some((at?, pause?)))
        }
    };
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
        max_connections: max_connections?,
        failover_time: failover_time?,
        dns_ttl: dns_ttl?,
        on_failure: on_failure?,
        promotion_time: promotion_time?,
        recovery_time: recovery_time?,
        backup: backup?,
    })
}

/// One database instance: the writer or a replica.
struct Node {
    busy: u32,
    cpu_queue: VecDeque<usize>,
    connections: u32,
    /// I/O suspended until then.
    paused_until: SimTime,
    /// Replica: writes sent but not yet replayed, as (sequence, commit time, replay end).
    unapplied: VecDeque<(u64, SimTime, SimTime)>,
    applied_seq: u64,
    last_apply_end: SimTime,
}

impl Node {
    fn new() -> Node {
        Node {
            busy: 0,
            cpu_queue: VecDeque::new(),
            connections: 0,
            paused_until: SimTime::ZERO,
            unapplied: VecDeque::new(),
            applied_seq: 0,
            last_apply_end: SimTime::ZERO,
        }
    }

    /// Replays what has finished by `now`; returns the lag (age of the oldest write not yet
    /// replayed).
    fn catch_up(&mut self, now: SimTime) -> SimTime {
        while let Some(&(seq, _, end)) = self.unapplied.front() {
            if end > now {
                break;
            }
            self.applied_seq = seq;
            self.unapplied.pop_front();
        }
        self.unapplied
            .front()
            .map_or(SimTime::ZERO, |&(_, commit, _)| now - commit)
    }
}

struct Job {
    call: CallId,
    arrived: SimTime,
    node: usize,
    key: u64,
    write: bool,
    dead: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Writer {
    Up,
    /// Unreachable until the given time (failover, promotion or recovery under way).
    Down,
}

const T_WORK: u64 = 0;
const T_WRITER_BACK: u64 = 1;
const T_BACKUP: u64 = 2;
const T_STANDBY_READY: u64 = 3;

pub struct Rds {
    cfg: RdsConfig,
    clock: Clock,
    rng: SimRng,
    /// The writer is `nodes[writer]`; replicas are listed in `replicas`.
    nodes: Vec<Node>,
    writer: usize,
    replicas: Vec<usize>,
    next_replica: usize,
    writer_state: Writer,
    /// When the writer came back: clients' cached DNS still points at the old address for up
    /// to a TTL after this.
    writer_back_at: Option<SimTime>,
    failed_at: SimTime,
    /// How the current outage of the writer ends.
    recovery: OnFailure,
    /// Multi-AZ: whether a standby is ready to take over.
    standby_ready: bool,
    jobs: Slab<Job>,
    write_seq: u64,
    /// Per key, the sequence number of its last write (kept while a replica may lack it).
    last_write: HashMap<u64, u64>,
    prune_at: usize,
    // Recorders.
    reads: Counter,
    writes: Counter,
    stale: Counter,
    replica_reads: Counter,
    statuses: WindowedCounts<u16>,
    read_latency: Latency,
    write_latency: Latency,
    busy: Level,
    lag_max_window: Vec<f64>,
    lag_sum_s: f64,
    lag_samples: u64,
    lag_max_s: f64,
    refused: u64,
    unavailable: u64,
    downtime: Vec<f64>,
    events: EventLog,
}

impl Rds {
    pub fn new(cfg: RdsConfig, env: BuildEnv) -> Rds {
        let clock = env.clock;
        let n = 1 + cfg.replicas as usize;
        Rds {
            nodes: (0..n).map(|_| Node::new()).collect(),
            writer: 0,
            replicas: (1..n).collect(),
            next_replica: 0,
            writer_state: Writer::Up,
            writer_back_at: None,
            failed_at: SimTime::ZERO,
            recovery: OnFailure::Recover,
            standby_ready: cfg.multi_az,
            jobs: Slab::new(),
            write_seq: 0,
            last_write: HashMap::new(),
            prune_at: 4096,
            reads: Counter::new(&clock),
            writes: Counter::new(&clock),
            stale: Counter::new(&clock),
            replica_reads: Counter::new(&clock),
            statuses: WindowedCounts::default(),
            read_latency: Latency::new(&clock),
            write_latency: Latency::new(&clock),
            busy: Level::new(&clock),
            lag_max_window: vec![0.0; clock.windows()],
            lag_sum_s: 0.0,
            lag_samples: 0,
            lag_max_s: 0.0,
            refused: 0,
            unavailable: 0,
            downtime: Vec::new(),
            events: EventLog::new(&env.name),
            cfg,
            clock,
            rng: env.rng,
        }
    }

    fn answer(
        &mut self,
        ctx: &mut Ctx<'_>,
        call: CallId,
        arrived: SimTime,
        write: bool,
        status: u16,
        delay: SimTime,
    ) {
        let now = ctx.now();
        ctx.reply_after(call, status, delay);
        let measured = self.clock.measured(arrived);
        self.statuses.add(&self.clock, status, now, measured);
        if status == 200 {
            let l = if write {
                &mut self.write_latency
            } else {
                &mut self.read_latency
            };
            l.record(&self.clock, now, now + delay - arrived, measured);
        }
    }

    /// Whether a request for the writer endpoint reaches a live writer now.
    fn writer_reachable(&mut self, now: SimTime) -> bool {
        if self.writer_state == Writer::Down {
            return false;
        }
        // aws-facts: §5 DNS: after the endpoint is repointed, clients whose cached answer has
        // not expired still go to the old address; caches expire uniformly over the TTL.
        match self.writer_back_at {
            Some(back) if now < back + self.cfg.dns_ttl => {
                let share_stale = 1.0 - (now - back).as_secs_f64() / self.cfg.dns_ttl.as_secs_f64();
                self.rng.random::<f64>() >= share_stale
            }
            _ => true,
        }
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        let write = self.cfg.write_ops.contains(&msg.op);
        if write {
            self.writes.add(&self.clock, now, measured);
        } else {
            self.reads.add(&self.clock, now, measured);
        }
        let node = if !write && self.cfg.reads_to_replicas && !self.replicas.is_empty() {
            let r = self.replicas[self.next_replica % self.replicas.len()];
            self.next_replica = self.next_replica.wrapping_add(1);
            r
        } else {
            if !self.writer_reachable(now) {
                self.unavailable += u64::from(measured);
                self.answer(ctx, call, now, write, UNAVAILABLE, SimTime::ZERO);
                return;
            }
            self.writer
        };
        let n = &mut self.nodes[node];
        if n.connections >= self.cfg.max_connections {
            self.refused += u64::from(measured);
            self.answer(ctx, call, now, write, UNAVAILABLE, SimTime::ZERO);
            return;
        }
        n.connections += 1;
        let job = self.jobs.insert(Job {
            call,
            arrived: now,
            node,
            key: msg.key,
            write,
            dead: false,
        });
        if self.nodes[node].busy < self.cfg.class.vcpus {
            self.run(ctx, job);
        } else {
            self.nodes[node].cpu_queue.push_back(job);
        }
    }

    fn run(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let j = &self.jobs[job];
        self.nodes[j.node].busy += 1;
        self.busy.add(&self.clock, ctx.now(), 1.0);
        let d = if j.write {
            &self.cfg.write_time
        } else {
            &self.cfg.read_time
        };
        let t = d.sample(&mut self.rng) / self.cfg.class.speed;
        ctx.schedule(SimTime::from_secs_f64(t), (job as u64) << 2 | T_WORK);
    }

    fn work_done(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let now = ctx.now();
        if self.jobs[job].dead {
            self.jobs.remove(job);
            return;
        }
        let node = self.jobs[job].node;
        // aws-facts: §5 backups: I/O suspended: the query holds its vCPU until it resumes.
        if self.nodes[node].paused_until > now {
            let wait = self.nodes[node].paused_until - now;
            ctx.schedule(wait, (job as u64) << 2 | T_WORK);
            return;
        }
        let j = self.jobs.remove(job);
        let n = &mut self.nodes[node];
        n.busy -= 1;
        n.connections -= 1;
        self.busy.add(&self.clock, now, -1.0);
        if let Some(next) = self.nodes[node].cpu_queue.pop_front() {
            self.run(ctx, next);
        }
        if j.write {
            self.replicate(ctx, j.key);
            // aws-facts: §5 Multi-AZ: the commit waits for the standby, one cross-zone round
            // trip (§13: 0.5–1 ms each way).
            let commit = if self.cfg.multi_az && self.standby_ready {
                SimTime::from_secs_f64(2.0 * self.rng.random_range(0.0005..0.001))
            } else {
                SimTime::ZERO
            };
            self.answer(ctx, j.call, j.arrived, true, 200, commit);
        } else {
            if node != self.writer {
                self.read_on_replica(now, node, j.key, j.arrived);
            }
            self.answer(ctx, j.call, j.arrived, false, 200, SimTime::ZERO);
        }
    }

    /// Sends a committed write to every replica's replay queue.
    fn replicate(&mut self, ctx: &mut Ctx<'_>, key: u64) {
        if self.replicas.is_empty() {
            return;
        }
        let now = ctx.now();
        self.write_seq += 1;
        let seq = self.write_seq;
        self.last_write.insert(key, seq);
        for k in 0..self.replicas.len() {
            let r = self.replicas[k];
            let apply = self.cfg.apply_time.sample_time(&mut self.rng);
            let n = &mut self.nodes[r];
            // Lindley's recursion: the replay starts when the previous one ends.
            let end = n.last_apply_end.max(now) + apply;
            n.last_apply_end = end;
            n.unapplied.push_back((seq, now, end));
        }
        if self.last_write.len() > self.prune_at {
            let oldest = self
                .replicas
                .iter()
                .map(|&r| {
                    self.nodes[r].catch_up(now);
                    self.nodes[r].applied_seq
                })
                .min()
                .unwrap_or(seq);
            self.last_write.retain(|_, s| *s > oldest);
            self.prune_at = (2 * self.last_write.len()).max(4096);
        }
    }

    fn read_on_replica(&mut self, now: SimTime, node: usize, key: u64, arrived: SimTime) {
        let measured = self.clock.measured(arrived);
        let lag = self.nodes[node].catch_up(now).as_secs_f64();
        self.replica_reads.add(&self.clock, now, measured);
        if self
            .last_write
            .get(&key)
            .is_some_and(|&s| s > self.nodes[node].applied_seq)
        {
            self.stale.add(&self.clock, now, measured);
        }
        if let Some(w) = self.lag_max_window.get_mut(self.clock.window_of(now)) {
            *w = w.max(lag);
        }
        if measured {
            self.lag_sum_s += lag;
            self.lag_samples += 1;
            self.lag_max_s = self.lag_max_s.max(lag);
        }
    }

    /// Drops every query on `node`: its connections are gone (503 to each).
    fn drop_node(&mut self, ctx: &mut Ctx<'_>, node: usize) {
        let now = ctx.now();
        let busy = self.nodes[node].busy;
        self.busy.add(&self.clock, now, -f64::from(busy));
        let queued: Vec<usize> = self.nodes[node].cpu_queue.drain(..).collect();
        let n = &mut self.nodes[node];
        n.busy = 0;
        n.connections = 0;
        let victims: Vec<usize> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.node == node && !j.dead)
            .map(|(k, _)| k)
            .collect();
        for k in victims {
            self.jobs[k].dead = true;
            let (call, arrived, write) =
                (self.jobs[k].call, self.jobs[k].arrived, self.jobs[k].write);
            self.answer(ctx, call, arrived, write, UNAVAILABLE, SimTime::ZERO);
        }
        for k in queued {
            self.jobs.remove(k);
        }
    }

    fn primary_failure(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.writer_state == Writer::Down {
            return;
        }
        let writer = self.writer;
        self.drop_node(ctx, writer);
        self.writer_state = Writer::Down;
        self.failed_at = now;
        self.recovery = match self.cfg.on_failure {
            OnFailure::Failover if self.standby_ready => OnFailure::Failover,
            OnFailure::PromoteReplica if !self.replicas.is_empty() => OnFailure::PromoteReplica,
            _ => OnFailure::Recover,
        };
        let (how, took) = match self.recovery {
            OnFailure::Failover => {
                self.standby_ready = false;
                (
                    "failover to the standby",
                    self.cfg.failover_time.sample_time(&mut self.rng),
                )
            }
            OnFailure::PromoteReplica => (
                "promoting a read replica",
                self.cfg.promotion_time.sample_time(&mut self.rng),
            ),
            OnFailure::Recover => (
                "recovering the instance",
                self.cfg.recovery_time.sample_time(&mut self.rng),
            ),
        };
        self.events
            .push(now, "primary_failed", format!("writer down; {how}"));
        ctx.schedule(took, T_WRITER_BACK);
    }

    fn writer_back(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let event = match self.recovery {
            OnFailure::Failover => {
                // The old primary's host is replaced and becomes the new standby; until then
                // commits do not wait for one. Chosen: as long as a recovery.
                let t = self.cfg.recovery_time.sample_time(&mut self.rng);
                // A standby ready after the end changes nothing measured: no timer (it would
                // keep the run going for minutes).
                if now + t < self.clock.end {
                    ctx.schedule(t, T_STANDBY_READY);
                }
                self.nodes[self.writer] = Node::new();
                "failover_complete"
            }
            OnFailure::PromoteReplica => {
                let r = self.replicas.remove(0);
                // The promoted replica replays what it had received, then takes writes;
                // the others follow the new writer.
                let n = &mut self.nodes[r];
                n.unapplied.clear();
                self.writer = r;
                "promotion_complete"
            }
            OnFailure::Recover => {
                self.nodes[self.writer] = Node::new();
                "recovery_complete"
            }
        };
        self.writer_state = Writer::Up;
        self.writer_back_at = Some(now);
        let down = (now - self.failed_at).as_secs_f64();
        self.downtime.push(down);
        self.events
            .push(now, event, format!("writer back after {down:.1} s"));
    }
}

impl Component for Rds {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        if let Some((at, _)) = self.cfg.backup {
            ctx.schedule(at, T_BACKUP);
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Fault { code, on } => {
                if code == FAULT_PRIMARY_FAILURE && on {
                    self.primary_failure(ctx);
                }
            }
            Input::Call(call, msg) => self.arrive(ctx, call, msg),
            Input::Timer(t) => match t & 3 {
                T_WORK => self.work_done(ctx, (t >> 2) as usize),
                T_WRITER_BACK => self.writer_back(ctx),
                T_BACKUP => {
                    let now = ctx.now();
                    let (_, pause) = self.cfg.backup.expect("scheduled only with a backup");
                    // aws-facts: §5: Multi-AZ (except SQL Server) backs up from the standby.
                    let pauses = !self.cfg.multi_az || self.cfg.engine == "sqlserver";
                    if pauses {
                        self.nodes[self.writer].paused_until = now + pause;
                        self.events.push(
                            now,
                            "backup_io_pause",
                            format!("I/O suspended for {pause}"),
                        );
                    } else {
                        self.events
                            .push(now, "backup", "taken from the standby, no pause".into());
                    }
                }
                _ => {
                    self.standby_ready = true;
                    self.events.push(ctx.now(), "standby_ready", String::new());
                }
            },
            // The database makes no calls.
            Input::Reply(_) => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.busy.finish(c);
        self.read_latency.finish();
        self.write_latency.finish();
        let mut m = MetricSet::default();
        m.count("reads", self.reads.total());
        m.count("writes", self.writes.total());
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n.total());
        }
        m.count("connections_refused", self.refused);
        m.count("writer_unavailable", self.unavailable);
        let vcpus = f64::from(self.cfg.class.vcpus) * self.nodes.len() as f64;
        m.gauge("utilisation", self.busy.mean(c) / vcpus);
        m.gauge("max_connections", f64::from(self.cfg.max_connections));
        if self.cfg.replicas > 0 {
            m.count("replica_reads", self.replica_reads.total());
            m.count("stale_reads", self.stale.total());
            m.gauge(
                "stale_read_fraction",
                self.stale.total() as f64 / self.replica_reads.total().max(1) as f64,
            );
            m.gauge(
                "replica_lag_mean_s",
                self.lag_sum_s / self.lag_samples.max(1) as f64,
            );
            m.gauge("replica_lag_max_s", self.lag_max_s);
        }
        if !self.downtime.is_empty() {
            m.gauge(
                "failover_downtime_s",
                self.downtime.iter().sum::<f64>() / self.downtime.len() as f64,
            );
        }
        m.gauge("cost_usd", self.cfg.hourly() * c.measured_secs() / 3600.0);
        m.hist("read_ms", self.read_latency.summary());
        m.hist("write_ms", self.write_latency.summary());
        let mut series = vec![
            (&READS, self.reads.rate_series(c)),
            (&WRITES, self.writes.rate_series(c)),
            (
                &UTILISATION,
                self.busy.mean_series(c).iter().map(|b| b / vcpus).collect(),
            ),
        ];
        if self.cfg.replicas > 0 {
            series.push((&REPLICA_LAG, self.lag_max_window.clone()));
            series.push((
                &STALE_READ_SHARE,
                self.stale.share_series(&self.replica_reads),
            ));
        }
        series.extend(self.write_latency.series(&WRITE));
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}
