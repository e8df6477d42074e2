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
//!
//! Its parts: `config.rs` (its table), `kind.rs` (what it declares), `replicas.rs` (the
//! instances and replication), `failover.rs` (the primary's failure and what follows).

mod config;
mod failover;
mod kind;
mod replicas;

pub use config::{OnFailure, RdsConfig};
pub use failover::Fault;
use failover::Writer;
use kind::{READS, REPLICA_LAG, STALE_READ_SHARE, UTILISATION, WRITE, WRITES};
use replicas::Node;

use super::{pack, unpack, BuildEnv, Component, ComponentReport, Token};
use crate::kernel::{CallId, Ctx, Input, Msg, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, Level, MetricSet, WindowedCounts};
use crate::status;
use rand::Rng;
use slab::Slab;
use std::collections::HashMap;

/// Status of a query the database cannot take: endpoint unreachable, connections dropped, or
/// no connection left.
pub const UNAVAILABLE: u16 = status::SERVICE_UNAVAILABLE;

/// What a database's timers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// A query's work is done (or its instance's I/O pause is over), by its index in `jobs`.
    Work(usize),
    /// The writer is back: the failover, promotion or recovery is complete.
    WriterBack,
    /// The backup starts.
    Backup,
    /// Multi-AZ: a new standby is ready to take over.
    StandbyReady,
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::Work(job) => pack(0, job as u64),
            Timer::WriterBack => pack(1, 0),
            Timer::Backup => pack(2, 0),
            Timer::StandbyReady => pack(3, 0),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, job) => Some(Timer::Work(job as usize)),
            (1, 0) => Some(Timer::WriterBack),
            (2, 0) => Some(Timer::Backup),
            (3, 0) => Some(Timer::StandbyReady),
            _ => None,
        }
    }
}

/// A query on an instance, from its arrival to its answer.
struct Job {
    call: CallId,
    arrived: SimTime,
    /// The instance it is on, by its index in `nodes`.
    node: usize,
    key: u64,
    write: bool,
    /// Its instance failed and it was answered 503: its timer only frees its place.
    dead: bool,
}

/// A running RDS database: its writer, standby and read replicas.
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
    /// Builds it for one run from its validated config.
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
        if status == status::OK {
            let l = if write {
                &mut self.write_latency
            } else {
                &mut self.read_latency
            };
            l.record(&self.clock, now, now + delay - arrived, measured);
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
        ctx.schedule(SimTime::from_secs_f64(t), Timer::Work(job).encode());
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
            ctx.schedule(wait, Timer::Work(job).encode());
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
            self.answer(ctx, j.call, j.arrived, true, status::OK, commit);
        } else {
            if node != self.writer {
                self.read_on_replica(now, node, j.key, j.arrived);
            }
            self.answer(ctx, j.call, j.arrived, false, status::OK, SimTime::ZERO);
        }
    }

    /// The backup starts. aws-facts: §5 automated backups: a single-AZ instance's I/O pauses;
    /// Multi-AZ (except SQL Server) backs up from the standby.
    fn backup(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let (_, pause) = self.cfg.backup.expect("scheduled only with a backup");
        let pauses = !self.cfg.multi_az || self.cfg.engine == "sqlserver";
        if pauses {
            self.nodes[self.writer].paused_until = now + pause;
            self.events
                .push(now, "backup_io_pause", format!("I/O suspended for {pause}"));
        } else {
            self.events
                .push(now, "backup", "taken from the standby, no pause".into());
        }
    }
}

impl Component for Rds {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        if let Some((at, _)) = self.cfg.backup {
            ctx.schedule(at, Timer::Backup.encode());
        }
    }

    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            // It happens at an instant: nothing to undo when it is switched off.
            Input::Fault { code, on } => {
                if on && Fault::of_code(code) == Some(Fault::PrimaryFailure) {
                    self.primary_failure(ctx);
                }
            }
            Input::Call(call, msg) => self.arrive(ctx, call, msg),
            Input::Timer(tag) => match Timer::decode(tag) {
                Some(Timer::Work(job)) => self.work_done(ctx, job),
                Some(Timer::WriterBack) => self.writer_back(ctx),
                Some(Timer::Backup) => self.backup(ctx),
                Some(Timer::StandbyReady) => {
                    self.standby_ready = true;
                    self.events.push(ctx.now(), "standby_ready", String::new());
                }
                None => {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    fn timers() -> impl Strategy<Value = Timer> {
        prop_oneof![
            (0usize..(1 << 40)).prop_map(Timer::Work),
            Just(Timer::WriterBack),
            Just(Timer::Backup),
            Just(Timer::StandbyReady),
        ]
    }

    fn faults() -> impl Strategy<Value = Fault> {
        prop_oneof![Just(Fault::PrimaryFailure)]
    }

    proptest! {
        #[test]
        fn timers_survive_the_kernel(t in timers()) {
            prop_assert_eq!(token_round_trip(t), Ok(()));
        }

        #[test]
        fn faults_survive_the_kernel(f in faults()) {
            prop_assert_eq!(token_round_trip(f), Ok(()));
            prop_assert_eq!(Fault::of_code(f.code()), Some(f));
        }
    }
}
