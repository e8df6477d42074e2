//! Amazon RDS and Aurora: a writer, what stands by to replace it (`deployment`), read replicas,
//! and optionally RDS Proxy in front. aws-facts: §5 (Multi-AZ DB instance and cluster, Aurora,
//! RDS Proxy, failover, DNS, read replicas, backups, max_connections), §4 (RDS prices), §13
//! (cross-zone latency).
//!
//! Each node runs queries on its vCPUs (FIFO), at most `max_connections` at once (beyond that
//! 503). Writes (`write_ops`) go to the writer; reads go to the readers in turn when there are
//! any (`reads = "replicas"`: a Multi-AZ DB cluster's two readable standbys, read replicas,
//! Aurora Replicas), else to the writer. A commit waits for the standbys: on a Multi-AZ DB
//! instance one cross-zone round trip; on a Multi-AZ DB cluster the faster of its two
//! standbys' (semi-synchronous); on Aurora, chosen, the second fastest of four cross-zone
//! storage copies (a four-of-six quorum with two copies in the writer's zone).
//!
//! Replication is asynchronous: each read replica (and a Multi-AZ DB cluster's standby)
//! replays the writes one at a time (`apply_time` each), so its lag is the wait in that
//! single-threaded queue: near zero while writes are light, growing without bound once they
//! outpace the replay. An Aurora Replica reads the cluster's shared volume instead: each write
//! is seen on it `aurora_replica_lag` after its commit (in commit order), however many writes
//! there are. A read of a key whose last write the replica has not yet applied is stale, and
//! counted. After a read replica is promoted to a standalone writer the other replicas
//! receive no more writes: their reads go stale.
//!
//! When the primary fails, its connections drop (503) and the writer endpoint has no writer:
//! on a Multi-AZ DB instance until the failover completes (60–120 s), on a Multi-AZ DB cluster
//! until a standby is promoted (under 35 s), and then until the clients' cached DNS expires
//! (the share of requests still sent to the old address falls linearly over the TTL); with a
//! replica and `on_primary_failure = "promote_replica"` until the promotion completes; else
//! until the instance is recovered. A query sent there meanwhile is refused at once (503) by
//! default; with `down_writer = "hang"` it gets no answer, so its caller waits for its own
//! timeout (503 when the writer is back, or, sent to a stale cached address, when the last
//! cache has expired, if the caller still waits). AWS does not say which a failed instance
//! does. On Aurora the old writer is fenced during a failover: by default queries sent to it
//! get no answer until it ends (then 503), as AWS documents; after it, writes that reach it
//! from a stale cache are refused, the old writer being a reader. With
//! RDS Proxy clients keep their connections: queries for the writer wait in the proxy (up to
//! its borrow timeout) and go to the new writer, with no DNS tail; queries beyond the
//! connection limit wait for a connection too, and pinned sessions hold theirs longer. On a
//! single-AZ instance the backup window suspends I/O briefly: queries hold their vCPU until
//! it resumes.
//!
//! Its parts: `config.rs` (its table), `kind.rs` (what it declares), `replicas.rs` (the
//! instances and replication), `failover.rs` (the primary's failure and what follows).

mod config;
mod failover;
mod kind;
mod replicas;

pub use config::{Deployment, DownWriter, OnFailure, RdsConfig, Replication};
pub use failover::Fault;
use failover::{Access, Recovery, Writer};
use kind::{READS, REPLICA_LAG, STALE_READ_SHARE, UTILISATION, WRITE, WRITES};
use replicas::Node;

use super::ebs::Disk;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Token};
use crate::kernel::IdMap;
use crate::kernel::{CallId, Ctx, Input, Msg, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, Latency, Level, MetricSet};
use crate::status;
use rand::{Rng, SeedableRng};
use slab::Slab;

/// Mixed into the seed of the Aurora Replicas' lag stream, so that it is not the component's.
const LAG_STREAM: u64 = 0x6c61_675f_7374_726d;

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
    /// Multi-AZ: a new standby is ready to take over (or, in a cluster or Aurora, the old
    /// writer's replacement joins the readers).
    StandbyReady,
    /// RDS Proxy: queries that waited too long for a connection to a node are given up.
    BorrowExpiry(usize),
    /// RDS Proxy: a pinned connection to a node is released, if the node has not dropped
    /// all its connections since (its epoch).
    Unpin { node: usize, epoch: u32 },
    /// A query's I/Os on its instance's EBS volume are done, by its index in `jobs`.
    Io(usize),
    /// The last client's cached address of the old writer has expired: what it left
    /// unanswered is answered.
    StaleExpired,
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::Work(job) => pack(0, job as u64),
            Timer::WriterBack => pack(1, 0),
            Timer::Backup => pack(2, 0),
            Timer::StandbyReady => pack(3, 0),
            Timer::BorrowExpiry(node) => pack(4, node as u64),
            Timer::Unpin { node, epoch } => pack(5, (u64::from(epoch) << 24) | node as u64),
            Timer::Io(job) => pack(6, job as u64),
            Timer::StaleExpired => pack(7, 0),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, job) => Some(Timer::Work(job as usize)),
            (1, 0) => Some(Timer::WriterBack),
            (2, 0) => Some(Timer::Backup),
            (3, 0) => Some(Timer::StandbyReady),
            (4, node) => Some(Timer::BorrowExpiry(node as usize)),
            (5, v) => Some(Timer::Unpin {
                node: (v & ((1 << 24) - 1)) as usize,
                epoch: u32::try_from(v >> 24).ok()?,
            }),
            (6, job) => Some(Timer::Io(job as usize)),
            (7, 0) => Some(Timer::StaleExpired),
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
    /// RDS Proxy: it waits in the proxy for a connection to its instance.
    waiting: bool,
}

/// A running RDS database: its writer, standby and read replicas.
pub struct Rds {
    cfg: RdsConfig,
    clock: Clock,
    rng: SimRng,
    /// Aurora Replicas' lags: a stream of their own, so that a variant changing
    /// `aurora_replica_lag` leaves every other draw (query times, failovers) as it was.
    lag_rng: SimRng,
    /// The durations of failovers, promotions, recoveries and replacements: a stream of
    /// their own, so that a variant whose queries draw more or fewer numbers (RDS Proxy's
    /// hop, another read share) sees the same failover as its baseline for a seed, and a
    /// paired comparison of downtime compares like with like.
    failure_rng: SimRng,
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
    recovery: Recovery,
    /// The writer is in its configured zone (`az`): a failover or a promotion moves it to
    /// another (a Multi-AZ instance's standby's, or the promoted node's, `Node::home`), a
    /// Multi-AZ instance's second failover back; a recovery in place leaves it where it is.
    writer_home: bool,
    /// The zone of the writer that failed is out: its address answers nothing, and an
    /// instance to recover there cannot come back before the zone does.
    writer_zone_out: bool,
    /// The outage (its `Fault::ZoneOutage` code) that took the writer: only its end ends it.
    writer_outage: u32,
    /// The recovery's own time is over but the writer's zone is still out: it comes back
    /// when the zone does.
    waits_for_zone: bool,
    /// Replacements of instances lost in the zone, ready but for the zone: they are ready
    /// when it is back [instances].
    replacements_waiting: u32,
    /// Multi-AZ DB instance: whether a standby is ready to take over.
    standby_ready: bool,
    /// Multi-AZ DB cluster: how many of the readers, at the front of `replicas`, are
    /// standbys that can take over.
    standbys_left: usize,
    /// Cluster and Aurora: old writers being replaced, to rejoin as readers.
    rebuilding: Vec<usize>,
    /// Queries sent to a writer that is down and left unanswered (Aurora's fenced old writer,
    /// or `down_writer = "hang"`) until it is back (or, sent to a stale cached address, until
    /// the last cache has expired), as (call, arrival, write). At most the arrivals of one
    /// outage and its DNS tail: every outage ends. Those whose callers gave up stay until
    /// then; their late answers are dropped.
    fenced: Vec<(CallId, SimTime, bool)>,
    jobs: Slab<Job>,
    write_seq: u64,
    /// Per key, the sequence number of its last write (kept while a replica may lack it).
    last_write: IdMap<u64, u64>,
    prune_at: usize,
    /// The last write replicas cut off from their source were sent [sequence number].
    cut_seq: u64,
    /// When the first write replicas cut off never received was committed.
    first_missed: Option<SimTime>,
    /// A bit per hashed key written since replicas were cut off (empty until then).
    written_since_cut: Vec<u64>,
    // Recorders.
    reads: Counter,
    writes: Counter,
    stale: Counter,
    replica_reads: Counter,
    /// Reads each instance served (by its index in `nodes`), measured ones.
    instance_reads: Vec<u64>,
    statuses: Counts<u16>,
    read_latency: Durations,
    write_latency: Latency,
    busy: Level,
    lag_max_window: Vec<f64>,
    lag_sum_s: f64,
    lag_samples: u64,
    lag_max_s: f64,
    refused: u64,
    unavailable: u64,
    /// Reads sent to a read replica whose zone was out, left unanswered [queries].
    replica_unreachable: u64,
    borrow_timeouts: u64,
    downtime: Vec<f64>,
    events: EventLog,
    /// The EBS volumes of its instances, when an `ebs` component gives it some.
    disk: Option<Disk>,
    /// Each node's volume, by its index in `disk`.
    volume: Vec<usize>,
    /// A Multi-AZ DB instance's standby's volume, which mirrors the writer's writes.
    standby_volume: usize,
}

impl Rds {
    /// Builds it for one run from its validated config, with the volumes of `disk`.
    pub fn new(cfg: RdsConfig, env: BuildEnv, disk: Option<Disk>) -> Rds {
        let clock = env.clock;
        let n = 1 + cfg.readers() as usize;
        if let Some(d) = &disk {
            // One volume per instance, a Multi-AZ standby's last, each with its own credits.
            let standby = usize::from(cfg.deployment == Deployment::MultiAzInstance);
            for v in 0..n + standby {
                d.borrow_mut().attach(v, SimTime::ZERO);
            }
        }
        Rds {
            disk,
            volume: (0..n).collect(),
            standby_volume: n,
            nodes: (0..n)
                .map(|k| {
                    // Read replicas come after the writer and a cluster's standbys.
                    let placed = k
                        .checked_sub(cfg.first_replica())
                        .and_then(|r| cfg.replica_zones.get(r));
                    Node {
                        home: k == 0 || placed.is_some_and(|z| Some(z) == env.az.as_ref()),
                        zone: placed.and_then(|z| {
                            let first = cfg.replica_zones.iter().position(|y| y == z)?;
                            u16::try_from(first).ok()
                        }),
                        ..Node::new()
                    }
                })
                .collect(),
            writer: 0,
            replicas: (1..n).collect(),
            next_replica: 0,
            writer_state: Writer::Up,
            writer_back_at: None,
            failed_at: SimTime::ZERO,
            recovery: Recovery::Recover,
            writer_home: true,
            writer_zone_out: false,
            writer_outage: 0,
            waits_for_zone: false,
            replacements_waiting: 0,
            standby_ready: cfg.deployment == Deployment::MultiAzInstance,
            standbys_left: cfg.deployment.standbys() as usize,
            rebuilding: Vec::new(),
            fenced: Vec::new(),
            jobs: Slab::new(),
            write_seq: 0,
            last_write: IdMap::default(),
            prune_at: 4096,
            cut_seq: 0,
            first_missed: None,
            written_since_cut: Vec::new(),
            reads: Counter::new(&clock),
            writes: Counter::new(&clock),
            stale: Counter::new(&clock),
            replica_reads: Counter::new(&clock),
            instance_reads: vec![0; n],
            statuses: Counts::default(),
            read_latency: Durations::default(),
            write_latency: Latency::new(&clock),
            busy: Level::new(&clock),
            // NaN until a replica read measures it: a window with none is a gap on the chart.
            lag_max_window: vec![f64::NAN; clock.windows()],
            lag_sum_s: 0.0,
            lag_samples: 0,
            lag_max_s: 0.0,
            refused: 0,
            unavailable: 0,
            replica_unreachable: 0,
            borrow_timeouts: 0,
            downtime: Vec::new(),
            events: EventLog::new(&env.name),
            cfg,
            clock,
            // Forked from its stream without advancing it.
            lag_rng: SimRng::seed_from_u64(env.rng.clone().random::<u64>() ^ LAG_STREAM),
            failure_rng: env.stream("failures"),
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
        // aws-facts: §5 RDS Proxy: its hop adds to every answer.
        let delay = match &self.cfg.proxy {
            Some(p) => delay + p.latency.sample_time(&mut self.rng),
            None => delay,
        };
        ctx.reply_after(call, status, delay);
        let measured = self.clock.measured(arrived);
        self.statuses.add(status, measured);
        if status == status::OK {
            let took = now + delay - arrived;
            if write {
                self.write_latency.record(&self.clock, now, took, measured);
            } else {
                self.read_latency.record(took, measured);
            }
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
        let node = match self.reader(write) {
            Some(r) if self.nodes[r].out_since.is_some() => {
                // Its own endpoint's address is in a zone that is out: nothing answers.
                self.replica_unreachable += u64::from(measured);
                ctx.lose_call(call);
                return;
            }
            Some(r) => r,
            None => self.writer,
        };
        // RDS Proxy: whether the query waits in the proxy for the writer to be back.
        let mut wait = false;
        if node == self.writer {
            match self.writer_access(now) {
                Access::Open => {}
                Access::Wait => wait = true,
                Access::Hang => {
                    self.unavailable += u64::from(measured);
                    self.fenced.push((call, now, write));
                    return;
                }
                Access::Refused => {
                    self.unavailable += u64::from(measured);
                    self.answer(ctx, call, now, write, UNAVAILABLE, SimTime::ZERO);
                    return;
                }
                Access::Lost => {
                    self.unavailable += u64::from(measured);
                    ctx.lose_call(call);
                    return;
                }
            }
        }
        let full = self.nodes[node].connections >= self.cfg.max_connections;
        if full && self.cfg.proxy.is_none() {
            self.refused += u64::from(measured);
            self.answer(ctx, call, now, write, UNAVAILABLE, SimTime::ZERO);
            return;
        }
        let job = self.jobs.insert(Job {
            call,
            arrived: now,
            node,
            key: msg.key,
            write,
            dead: false,
            waiting: false,
        });
        // aws-facts: §5 RDS Proxy: a query borrows a connection when one is free; first in,
        // first out behind those already waiting.
        if wait || full || !self.nodes[node].borrow.is_empty() {
            self.wait_for_connection(ctx, job);
        } else {
            self.connect(ctx, job);
        }
    }

    /// The reader a query goes to, in turn, if it is a read and readers take reads; `None`:
    /// the writer. A reader endpoint (Aurora's, a Multi-AZ DB cluster's) names only the
    /// readers whose zones are up, and the writer when there is none (chosen: at once, the
    /// endpoint's DNS TTL not followed); a read replica has an endpoint of its own, which
    /// the application keeps sending to whatever befalls the replica.
    fn reader(&mut self, write: bool) -> Option<usize> {
        if write || !self.cfg.reads_to_replicas || self.replicas.is_empty() {
            return None;
        }
        let endpoint = self.cfg.deployment.promotes_a_reader();
        let n = self.replicas.len();
        for _ in 0..if endpoint { n } else { 1 } {
            let r = self.replicas[self.next_replica % n];
            self.next_replica = self.next_replica.wrapping_add(1);
            if !endpoint || self.nodes[r].out_since.is_none() {
                return Some(r);
            }
        }
        None
    }

    /// The query takes a connection to its instance, does its I/Os on the instance's volume
    /// if it has one, and then takes a vCPU when one is free.
    fn connect(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let node = self.jobs[job].node;
        self.nodes[node].connections += 1;
        if let Some(disk) = &self.disk {
            let now = ctx.now();
            let j = &self.jobs[job];
            // aws-facts: §5 Multi-AZ DB instance: writes are replicated synchronously, so a
            // write's I/Os wait for the standby's volume too.
            let mirrored = j.write
                && node == self.writer
                && self.standby_ready
                && self.cfg.deployment == Deployment::MultiAzInstance;
            let both = [self.volume[node], self.standby_volume];
            let on = if mirrored { &both[..] } else { &both[..1] };
            let done = disk
                .borrow_mut()
                .request(&mut self.rng, on, now, 0, Some(j.write));
            ctx.schedule(done - now, Timer::Io(job).encode());
            return;
        }
        self.take_cpu(ctx, job);
    }

    /// The query takes a vCPU when one is free, else waits for one.
    fn take_cpu(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let node = self.jobs[job].node;
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
        // aws-facts: §5 RDS Proxy pinning: a session that changed its state keeps its
        // connection after the query, until its client lets go.
        let pinned = match &self.cfg.proxy {
            Some(p) if p.pinned > 0.0 => {
                (self.rng.random::<f64>() < p.pinned).then_some(p.pinned_for)
            }
            _ => None,
        };
        let n = &mut self.nodes[node];
        n.busy -= 1;
        match pinned {
            Some(hold) => ctx.schedule(
                hold,
                Timer::Unpin {
                    node,
                    epoch: n.epoch,
                }
                .encode(),
            ),
            None => n.connections -= 1,
        }
        self.busy.add(&self.clock, now, -1.0);
        if let Some(next) = self.nodes[node].cpu_queue.pop_front() {
            self.run(ctx, next);
        }
        self.admit(ctx, node);
        if j.write {
            self.replicate(ctx, j.key);
            let commit = self.commit_wait();
            self.answer(ctx, j.call, j.arrived, true, status::OK, commit);
        } else {
            self.instance_reads[node] += u64::from(self.clock.measured(j.arrived));
            if node != self.writer {
                self.read_on_replica(now, node, j.key, j.arrived);
            }
            self.answer(ctx, j.call, j.arrived, false, status::OK, SimTime::ZERO);
        }
    }

    /// How long a commit waits for the standbys' acknowledgement.
    fn commit_wait(&mut self) -> SimTime {
        // aws-facts: §13: a cross-zone round trip, 0.5–1 ms each way.
        let rtt = |rng: &mut SimRng| 2.0 * rng.random_range(0.0005..0.001);
        let wait = match self.cfg.deployment {
            // aws-facts: §5 Multi-AZ DB instance: the commit waits for the standby, one
            // cross-zone round trip.
            Deployment::MultiAzInstance if self.standby_ready => rtt(&mut self.rng),
            // aws-facts: §5 Multi-AZ DB cluster: semi-synchronous, the commit waits for the
            // first of its standbys to acknowledge.
            Deployment::MultiAzCluster if self.standbys_left > 0 => (0..self.standbys_left.min(2))
                .map(|_| rtt(&mut self.rng))
                .fold(f64::INFINITY, f64::min),
            // aws-facts: §5 Aurora: six copies in three zones. Chosen: a write quorum of four,
            // two copies in the writer's zone: the second fastest of the other four.
            Deployment::Aurora => {
                let mut copies = [0.0; 4];
                for c in &mut copies {
                    *c = rtt(&mut self.rng);
                }
                copies.sort_by(f64::total_cmp);
                copies[1]
            }
            _ => return SimTime::ZERO,
        };
        SimTime::from_secs_f64(wait)
    }

    /// RDS Proxy: the query waits for a connection to its instance, at most the borrow
    /// timeout.
    fn wait_for_connection(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let timeout = self
            .cfg
            .proxy
            .as_ref()
            .map_or(SimTime::ZERO, |p| p.borrow_timeout);
        let node = self.jobs[job].node;
        self.jobs[job].waiting = true;
        self.nodes[node]
            .borrow
            .push_back((job, ctx.now() + timeout));
        self.arm_expiry(ctx, node);
    }

    /// Sets a timer for the first query waiting for `node` to give up, unless one is set
    /// that fires no later.
    fn arm_expiry(&mut self, ctx: &mut Ctx<'_>, node: usize) {
        let now = ctx.now();
        let n = &mut self.nodes[node];
        let Some(&(_, first)) = n.borrow.front() else {
            return;
        };
        if n.expiry_at.is_some_and(|t| t <= first && t >= now) {
            return;
        }
        n.expiry_at = Some(first);
        ctx.schedule(first - now, Timer::BorrowExpiry(node).encode());
    }

    /// RDS Proxy: queries that waited their borrow timeout for `node` are answered with an
    /// error.
    fn borrow_expiry(&mut self, ctx: &mut Ctx<'_>, node: usize) {
        let now = ctx.now();
        if self.nodes[node].expiry_at == Some(now) {
            self.nodes[node].expiry_at = None;
        }
        while let Some(&(job, deadline)) = self.nodes[node].borrow.front() {
            if deadline > now {
                break;
            }
            self.nodes[node].borrow.pop_front();
            let j = self.jobs.remove(job);
            self.borrow_timeouts += u64::from(self.clock.measured(j.arrived));
            self.answer(ctx, j.call, j.arrived, j.write, UNAVAILABLE, SimTime::ZERO);
        }
        self.arm_expiry(ctx, node);
    }

    /// RDS Proxy: queries waiting for `node` take the connections it has free.
    pub(super) fn admit(&mut self, ctx: &mut Ctx<'_>, node: usize) {
        if node == self.writer && self.writer_state == Writer::Down
            || self.nodes[node].out_since.is_some()
        {
            return;
        }
        while self.nodes[node].connections < self.cfg.max_connections {
            let Some((job, _)) = self.nodes[node].borrow.pop_front() else {
                break;
            };
            self.jobs[job].waiting = false;
            self.connect(ctx, job);
        }
    }

    /// The backup starts. aws-facts: §5 automated backups: a single-AZ instance's I/O pauses;
    /// Multi-AZ (except SQL Server) backs up from the standby.
    fn backup(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let (_, pause) = self.cfg.backup.expect("scheduled only with a backup");
        // Chosen: Aurora's backups are continuous, from its shared storage, with no pause
        // (not in aws-facts); a Multi-AZ DB cluster backs up from a standby like an instance.
        let pauses = match self.cfg.deployment {
            Deployment::SingleAz => true,
            Deployment::MultiAzInstance => self.cfg.engine == "sqlserver",
            Deployment::MultiAzCluster | Deployment::Aurora => false,
        };
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
            // A primary failure happens at an instant: nothing to undo when it is switched
            // off. A zone outage ends.
            Input::Fault { code, on } => match Fault::of_code(code) {
                Some(Fault::PrimaryFailure) if on => self.primary_failure(ctx, false),
                Some(Fault::ZoneOutage { writer, replica }) => {
                    self.zone_outage(ctx, on, writer, replica)
                }
                _ => {}
            },
            Input::Call(call, msg) => self.arrive(ctx, call, msg),
            Input::Timer(tag) => match Timer::decode(tag) {
                Some(Timer::Work(job)) => self.work_done(ctx, job),
                Some(Timer::WriterBack) => self.writer_back(ctx),
                Some(Timer::Backup) => self.backup(ctx),
                Some(Timer::StandbyReady) => self.standby_back(ctx),
                Some(Timer::BorrowExpiry(node)) => self.borrow_expiry(ctx, node),
                // A release after the node dropped all its connections has nothing to free.
                Some(Timer::Unpin { node, epoch }) if self.nodes[node].epoch == epoch => {
                    self.nodes[node].connections -= 1;
                    self.admit(ctx, node);
                }
                Some(Timer::Unpin { .. }) => {}
                // Its instance failed meanwhile: it was answered; its place is freed.
                Some(Timer::Io(job)) if self.jobs[job].dead => {
                    self.jobs.remove(job);
                }
                Some(Timer::Io(job)) => self.take_cpu(ctx, job),
                Some(Timer::StaleExpired) => self.stale_expired(ctx),
                None => {}
            },
            // The database makes no calls.
            Input::Reply(_) => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.busy.finish(c);
        self.write_latency.finish();
        let mut m = MetricSet::default();
        m.count("reads", self.reads.total());
        m.count("writes", self.writes.total());
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.count("connections_refused", self.refused);
        m.count("writer_unavailable", self.unavailable);
        if self.cfg.readers() > 0 {
            m.count("replica_unreachable", self.replica_unreachable);
        }
        if self.cfg.proxy.is_some() {
            m.count("proxy_borrow_timeouts", self.borrow_timeouts);
        }
        let vcpus = f64::from(self.cfg.class.vcpus) * self.nodes.len() as f64;
        m.gauge("utilisation", self.busy.mean(c) / vcpus);
        m.gauge("max_connections", f64::from(self.cfg.max_connections));
        // Counted with or without readers (none without): a variant without replicas then
        // compares with one that has them. The share and the lag have no value without.
        m.count("replica_reads", self.replica_reads.total());
        m.count("stale_reads", self.stale.total());
        if self.cfg.readers() > 0 {
            // Each instance's share of the reads, for the service map's replica boxes.
            for (k, &n) in self.instance_reads.iter().enumerate() {
                m.count(format!("instance_reads.{k}"), n);
            }
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
        // A writer waiting for a zone that never came back is down until the run's end: the
        // downtime it has had so far, a lower bound, rather than none.
        if self.waits_for_zone && self.clock.measured(self.failed_at) {
            self.downtime
                .push((self.clock.end - self.failed_at).as_secs_f64());
        }
        if !self.downtime.is_empty() {
            m.gauge(
                "failover_downtime_s",
                self.downtime.iter().sum::<f64>() / self.downtime.len() as f64,
            );
            // The mean may be of unlike outages (a failover, then a recovery while the
            // standby was being rebuilt): how many, and the longest.
            m.count("writer_failures", self.downtime.len() as u64);
            m.gauge(
                "failover_downtime_max_s",
                self.downtime.iter().copied().fold(0.0, f64::max),
            );
        }
        if let Some(hourly) = self.cfg.hourly() {
            m.gauge("cost_usd", hourly * c.measured_secs() / 3600.0);
        }
        m.hist("read_ms", &self.read_latency.summary());
        m.hist("write_ms", &self.write_latency.summary());
        let mut series = vec![
            (&READS, self.reads.rate_series(c)),
            (&WRITES, self.writes.rate_series(c)),
            (
                &UTILISATION,
                self.busy.mean_series(c).iter().map(|b| b / vcpus).collect(),
            ),
        ];
        if self.cfg.readers() > 0 {
            series.push((&REPLICA_LAG, self.lag_max_window.clone()));
            // Stale reads are among the replica reads: their share of them, window by window.
            let share = self.stale.fraction_of(&self.replica_reads.count_series());
            series.push((&STALE_READ_SHARE, share));
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
            (0usize..1 << 20).prop_map(Timer::BorrowExpiry),
            ((0usize..1 << 24), any::<u32>())
                .prop_map(|(node, epoch)| Timer::Unpin { node, epoch }),
            (0usize..(1 << 40)).prop_map(Timer::Io),
            Just(Timer::StaleExpired),
        ]
    }

    fn faults() -> impl Strategy<Value = Fault> {
        prop_oneof![
            Just(Fault::PrimaryFailure),
            (any::<bool>(), proptest::option::of(any::<u16>()))
                .prop_map(|(writer, replica)| Fault::ZoneOutage { writer, replica }),
        ]
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
