//! When the primary fails (aws-facts: §5 Multi-AZ, DNS, read replicas): its connections drop
//! (503), and the writer endpoint has no writer behind it until a failover to the standby, the
//! promotion of a replica or the recovery of the instance completes, and then for a while
//! longer for clients whose cached DNS still names the old address. A query sent there is
//! refused (503) or left unanswered until its caller's own timeout, as `down_writer` says
//! (Aurora's fenced writer, by default, leaves it unanswered).

use super::config::{Deployment, DownWriter, OnFailure, Replication};
use super::{Rds, Timer, UNAVAILABLE};
use crate::components::{pack, unpack, Token};
use crate::kernel::{Ctx, SimTime};
use rand::Rng;

/// The faults of its own kind, told to it as `Input::Fault { code }`: a `[[fault]]` of kind
/// "rds_primary_failure", or an outage of a zone it has an instance in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The primary instance fails (a host failure).
    PrimaryFailure,
    /// A zone is out, from `on` to its end.
    ZoneOutage {
        /// It is the configured writer's zone (`az`).
        writer: bool,
        /// It is the zone of this read replica (by its place among them), the first
        /// `replica_zones` puts there.
        replica: Option<u16>,
    },
}

impl Token for Fault {
    fn encode(self) -> u64 {
        match self {
            Fault::PrimaryFailure => pack(0, 0),
            Fault::ZoneOutage { writer, replica } => pack(
                1,
                u64::from(writer) | (replica.map_or(0, |r| u64::from(r) + 1) << 1),
            ),
        }
    }

    fn decode(token: u64) -> Option<Fault> {
        match unpack(token) {
            (0, 0) => Some(Fault::PrimaryFailure),
            (1, v) if v >> 1 <= u64::from(u16::MAX) + 1 => Some(Fault::ZoneOutage {
                writer: v & 1 == 1,
                replica: (v >> 1).checked_sub(1).map(|r| r as u16),
            }),
            _ => None,
        }
    }
}

impl Fault {
    /// The code the kernel carries for it.
    pub fn code(self) -> u32 {
        u32::try_from(self.encode()).expect("a fault's token fits a fault code")
    }

    /// The fault a code carries, if it is one of its kind's.
    pub fn of_code(code: u32) -> Option<Fault> {
        Fault::decode(u64::from(code))
    }
}

/// Whether the writer endpoint has a writer behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Writer {
    Up,
    /// Unreachable until it is back (failover, promotion or recovery under way).
    Down,
}

/// What becomes of a query for the writer endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// It reaches the writer.
    Open,
    /// It is refused (503): no writer, or a client's cached address is stale.
    Refused,
    /// It gets no answer (Aurora's fenced old writer, or `down_writer = "hang"`): the caller
    /// waits for its own timeout.
    Hang,
    /// RDS Proxy: it waits in the proxy for the writer.
    Wait,
    /// It vanishes: the address is in a zone that is out (`Ctx::lose_call`).
    Lost,
}

/// How the current outage of the writer ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Recovery {
    /// Multi-AZ DB instance: the standby takes over.
    Standby,
    /// Multi-AZ DB cluster or Aurora: a reader (standby, Aurora Replica) is promoted.
    PromoteReader,
    /// A read replica is promoted to a standalone writer.
    PromoteReplica,
    /// The instance is recovered (or, on Aurora, a new writer created).
    Recover,
}

impl Rds {
    /// Whether the current outage ends in an Aurora Replica's promotion: the old writer is
    /// fenced while it lasts, and a reader afterwards.
    fn aurora_promotion(&self) -> bool {
        self.cfg.deployment == Deployment::Aurora && self.recovery == Recovery::PromoteReader
    }

    /// What a query sent to the writer while it is down meets: `down_writer` when it is set,
    /// else the deployment's own.
    fn down_writer(&self) -> Access {
        if self.writer_zone_out {
            // The address is in a zone that is out: as every component placed there, it
            // answers nothing, whatever `down_writer` says of a failed instance (the README's
            // `az_outage`: calls and answers vanish).
            return Access::Lost;
        }
        let w = match self.cfg.down_writer {
            Some(w) => w,
            // aws-facts: §5 Aurora: during a failover the old primary is fenced; clients see
            // no traffic and hang until their own timeout.
            None if self.aurora_promotion() => DownWriter::Hang,
            // AWS does not say whether a connection to a failed RDS instance's address (or to
            // Aurora's while its writer is recreated) is refused or unanswered: chosen, refused,
            // as archsim has always modelled it; `down_writer = "hang"` says otherwise.
            None => DownWriter::Refuse,
        };
        match w {
            DownWriter::Hang => Access::Hang,
            DownWriter::Refuse => Access::Refused,
        }
    }

    /// What becomes of a query for the writer endpoint now.
    pub(super) fn writer_access(&mut self, now: SimTime) -> Access {
        if self.writer_state == Writer::Down {
            if self.cfg.proxy.is_some() {
                // aws-facts: §5 RDS Proxy: client connections stay open; queries wait.
                return Access::Wait;
            }
            return self.down_writer();
        }
        if self.cfg.proxy.is_some() {
            // aws-facts: §5 RDS Proxy: it tracks the writer; clients bypass DNS caching.
            return Access::Open;
        }
        // aws-facts: §5 DNS: after the endpoint is repointed, clients whose cached answer has
        // not expired still go to the old address; caches expire uniformly over the TTL.
        match self.writer_back_at {
            Some(back) if now < back + self.cfg.dns_ttl => {
                let share_stale = 1.0 - (now - back).as_secs_f64() / self.cfg.dns_ttl.as_secs_f64();
                if self.rng.random::<f64>() >= share_stale {
                    Access::Open
                } else {
                    self.stale_access()
                }
            }
            _ => Access::Open,
        }
    }

    /// What a query sent to the old writer's address by a stale DNS cache meets.
    fn stale_access(&self) -> Access {
        // aws-facts: §5 Aurora: after a failover the old writer is a reader, which refuses
        // writes (unless its zone is out).
        if self.aurora_promotion() && !self.writer_zone_out {
            return Access::Refused;
        }
        // Elsewhere the old address is the failed instance's: as while the writer was down.
        self.down_writer()
    }

    /// Answers 503 to the queries left unanswered by a writer that was down, once the last
    /// client's cached address of it has expired. Chosen, not documented: that is when a
    /// caller with no timeout of its own, or a longer one, gives up on the old address; it
    /// bounds how long they are kept. A failure of the writer since keeps them for its own end.
    pub(super) fn stale_expired(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let over = self
            .writer_back_at
            .is_some_and(|back| now >= back + self.cfg.dns_ttl);
        if self.writer_state == Writer::Up && over {
            self.release_hung(ctx);
        }
    }

    /// The queries left unanswered by the writer are answered 503: their connections are reset.
    fn release_hung(&mut self, ctx: &mut Ctx<'_>) {
        for (call, arrived, write) in std::mem::take(&mut self.fenced) {
            self.answer(ctx, call, arrived, write, UNAVAILABLE, SimTime::ZERO);
        }
    }

    /// Drops every query on `node` as it fails: its connections are gone (503 to each, or,
    /// its zone out (`zone_out`), no answer at all; counted as the writer unavailable, or a
    /// replica unreachable). Queries waiting in the proxy for it stay.
    fn drop_node(&mut self, ctx: &mut Ctx<'_>, node: usize, zone_out: bool) {
        let now = ctx.now();
        let busy = self.nodes[node].busy;
        self.busy.add(&self.clock, now, -f64::from(busy));
        let queued: Vec<usize> = self.nodes[node].cpu_queue.drain(..).collect();
        let n = &mut self.nodes[node];
        n.busy = 0;
        n.connections = 0;
        n.epoch = n.epoch.wrapping_add(1);
        let victims: Vec<usize> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.node == node && !j.dead && !j.waiting)
            .map(|(k, _)| k)
            .collect();
        for k in victims {
            self.jobs[k].dead = true;
            let (call, arrived, write) =
                (self.jobs[k].call, self.jobs[k].arrived, self.jobs[k].write);
            let measured = u64::from(self.clock.measured(arrived));
            if node == self.writer {
                self.unavailable += measured;
            } else {
                self.replica_unreachable += measured;
            }
            // RDS Proxy fronts the writer, and Aurora's readers by its reader endpoint; a read
            // replica's own endpoint is reached directly.
            let proxied = self.cfg.proxy.is_some()
                && (node == self.writer || self.cfg.deployment.promotes_a_reader());
            if zone_out && !proxied {
                // Its zone is out: nor do these answers leave it (behind RDS Proxy, in the
                // other zones, the proxy answers its clients).
                ctx.lose_call(call);
            } else {
                self.answer(ctx, call, arrived, write, UNAVAILABLE, SimTime::ZERO);
            }
        }
        for k in queued {
            self.jobs.remove(k);
        }
    }

    /// The place in `replicas` of the first reader that can take over from the writer, in a
    /// zone that is up: a cluster's standby (first among its readers), an Aurora Replica.
    fn candidate(&self) -> Option<usize> {
        let among = match self.cfg.deployment {
            Deployment::MultiAzCluster => self.standbys_left,
            Deployment::Aurora => self.replicas.len(),
            _ => 0,
        };
        self.live_readers().find(|&k| k < among)
    }

    /// The first replica that still receives the writer's changes, by its place in
    /// `replicas`: one cut off from its source is no copy of the writer to promote.
    fn first_fed_replica(&self) -> Option<usize> {
        self.live_readers()
            .find(|&k| !self.nodes[self.replicas[k]].cut)
    }

    /// The places in `replicas` of the readers whose zones are up.
    fn live_readers(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.replicas.len()).filter(|&k| self.nodes[self.replicas[k]].out_since.is_none())
    }

    /// The primary fails, by its zone going out (`zone_out`) or on its own: the writer is down
    /// until the recovery its config allows ends.
    pub(super) fn primary_failure(&mut self, ctx: &mut Ctx<'_>, zone_out: bool) {
        let now = ctx.now();
        if self.writer_state == Writer::Down {
            return;
        }
        self.writer_zone_out = zone_out;
        let writer = self.writer;
        self.drop_node(ctx, writer, zone_out);
        self.writer_state = Writer::Down;
        self.failed_at = now;
        let promotes = self.cfg.deployment.promotes_a_reader();
        self.recovery = match self.cfg.on_failure {
            OnFailure::Failover if promotes && self.candidate().is_some() => {
                Recovery::PromoteReader
            }
            OnFailure::Failover if !promotes && self.standby_ready => Recovery::Standby,
            OnFailure::PromoteReplica if self.first_fed_replica().is_some() => {
                Recovery::PromoteReplica
            }
            _ => Recovery::Recover,
        };
        let (how, took) = match self.recovery {
            Recovery::Standby => {
                self.standby_ready = false;
                (
                    "failover to the standby",
                    self.cfg.failover_time.sample_time(&mut self.failure_rng),
                )
            }
            Recovery::PromoteReader => (
                "failover to a reader",
                self.cfg.failover_time.sample_time(&mut self.failure_rng),
            ),
            Recovery::PromoteReplica => (
                "promoting a read replica",
                self.cfg.promotion_time.sample_time(&mut self.failure_rng),
            ),
            Recovery::Recover => (
                "recovering the instance",
                self.cfg.recovery_time.sample_time(&mut self.failure_rng),
            ),
        };
        self.events
            .push(now, "primary_failed", format!("writer down; {how}"));
        ctx.schedule(took, Timer::WriterBack.encode());
    }

    /// The old writer's host is replaced after `recovery_time` (chosen: as long as a
    /// recovery); a replacement ready after the end changes nothing measured: no timer (it
    /// would keep the run going for minutes).
    fn replace_later(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let t = self.cfg.recovery_time.sample_time(&mut self.failure_rng);
        let due = ctx.now() + t < self.clock.end;
        if due {
            ctx.schedule(t, Timer::StandbyReady.encode());
        }
        due
    }

    /// The writer moves to `to`: what waited in the proxy for the old one follows it.
    fn move_writer(&mut self, to: usize) {
        let from = self.writer;
        let mut waiting: Vec<(usize, SimTime)> = self.nodes[from].borrow.drain(..).collect();
        waiting.extend(self.nodes[to].borrow.drain(..));
        // First in, first out: the earliest deadline first.
        waiting.sort_by_key(|&(_, deadline)| deadline);
        for &(job, _) in &waiting {
            self.jobs[job].node = to;
        }
        self.nodes[to].borrow = waiting.into();
        self.writer = to;
    }

    /// A zone goes out (`on`) or comes back: the configured writer's (`writer`), or one of
    /// its read replicas' (`replica`, `Fault::ZoneOutage`), or both. aws-facts: §5 Multi-AZ:
    /// an AZ outage is a failover trigger. The instances there are out of reach: a reader's
    /// queries vanish and its replay pauses until the zone is back; the writer there fails.
    /// A writer that a failover or a promotion has moved to another zone is not touched (a
    /// Multi-AZ instance's standby or old host there is lost, which this model does not
    /// follow: commits keep waiting for a standby).
    pub(super) fn zone_outage(
        &mut self,
        ctx: &mut Ctx<'_>,
        on: bool,
        writer: bool,
        replica: Option<u16>,
    ) {
        let now = ctx.now();
        let there = |n: &super::Node| writer && n.home || replica.is_some() && n.zone == replica;
        let code = Fault::ZoneOutage { writer, replica }.code();
        let readers: Vec<usize> = self
            .replicas
            .iter()
            .chain(&self.rebuilding)
            .copied()
            .filter(|&r| there(&self.nodes[r]))
            .collect();
        if on {
            for &r in &readers {
                if self.nodes[r].out_since.is_none() {
                    self.nodes[r].out_since = Some(now);
                    self.drop_node(ctx, r, true);
                }
            }
            // A writer already down there (a failure being recovered in place, a failover
            // under way) is caught by it too.
            // In `az` (`writer_home`: a Multi-AZ instance's writer moves between its two zones
            // without changing node), or a promoted replica's zone.
            let writer_there = writer && self.writer_home
                || replica.is_some() && self.nodes[self.writer].zone == replica;
            if writer_there {
                self.primary_failure(ctx, true);
                self.writer_zone_out = true;
                self.writer_outage = code;
            }
            return;
        }
        for r in readers {
            if let Some(since) = self.nodes[r].out_since {
                let shared = matches!(self.cfg.replication, Replication::SharedVolume { .. });
                self.nodes[r].resume(since, now, shared);
                self.admit(ctx, r);
            }
        }
        if !self.writer_zone_out || self.writer_outage != code {
            return;
        }
        self.writer_zone_out = false;
        if std::mem::take(&mut self.waits_for_zone) {
            self.writer_back(ctx);
        }
        for _ in 0..std::mem::take(&mut self.replacements_waiting) {
            self.standby_back(ctx);
        }
    }

    /// The writer is back, by the way it went.
    pub(super) fn writer_back(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.recovery == Recovery::Recover && self.writer_zone_out {
            // The instance is recovered in its own zone (a single-AZ instance has no other
            // copy; Aurora without a replica recreates its writer "in the same Availability
            // Zone", aws-facts §5), which is out: not before the zone is back. AWS does not
            // say how long a recovery takes after a zone returns: chosen, none beyond the
            // recovery's own time, run meanwhile.
            self.waits_for_zone = true;
            self.events.push(
                now,
                "recovery_waits",
                "the writer's zone is out: the instance comes back with it".to_string(),
            );
            return;
        }
        let event = match self.recovery {
            Recovery::Standby => {
                // The old primary's host is replaced and becomes the new standby; until then
                // commits do not wait for one. The standby's volume is the writer's now.
                let w = self.writer;
                std::mem::swap(&mut self.volume[w], &mut self.standby_volume);
                self.replace_later(ctx);
                self.nodes[self.writer].replaced();
                // The standby was in the other of the instance's two zones; the old
                // primary's replacement, the new standby, is in this one's.
                self.writer_home = !self.writer_home;
                "failover_complete"
            }
            Recovery::PromoteReader => {
                // Only a reader in a zone that is up is promoted; one whose zone went out
                // during the failover is passed by (`promotion_fails` when none is left).
                let Some(k) = self.candidate() else {
                    return self.promotion_fails(ctx);
                };
                let r = self.replicas.remove(k);
                if self.cfg.deployment == Deployment::MultiAzCluster {
                    self.standbys_left -= 1;
                }
                let old = self.writer;
                self.nodes[r].unapplied.clear();
                self.move_writer(r);
                self.writer_home = self.nodes[r].home;
                // The old writer is replaced and rejoins as a reader.
                self.nodes[old].replaced();
                if self.replace_later(ctx) {
                    self.rebuilding.push(old);
                }
                "failover_complete"
            }
            Recovery::PromoteReplica => {
                let Some(k) = self.first_fed_replica() else {
                    return self.promotion_fails(ctx);
                };
                let r = self.replicas.remove(k);
                // The promoted replica replays what it had received, then takes writes. The
                // others still replicate from the old primary, which failed: they receive
                // nothing more.
                self.nodes[r].unapplied.clear();
                self.move_writer(r);
                self.writer_home = self.nodes[r].home;
                self.cut_replicas();
                "promotion_complete"
            }
            Recovery::Recover => {
                self.nodes[self.writer].replaced();
                "recovery_complete"
            }
        };
        self.writer_state = Writer::Up;
        self.writer_back_at = Some(now);
        let down = (now - self.failed_at).as_secs_f64();
        // A failure in the warmup is not measured, as nothing of the warmup is; one in the
        // measured period counts whole, even when the writer is back after the run's end.
        if self.clock.measured(self.failed_at) {
            self.downtime.push(down);
        }
        self.events
            .push(now, event, format!("writer back after {down:.1} s"));
        // The connections of the queries the down writer left unanswered (Aurora's fenced
        // writer's) are reset now.
        self.release_hung(ctx);
        // Those that reach the old address from a stale cache are kept until the last cache
        // has expired; a release after the end changes nothing measured (no timer then).
        let stale_end = self.cfg.dns_ttl;
        if self.stale_access() == Access::Hang
            && self.cfg.proxy.is_none()
            && now + stale_end < self.clock.end
        {
            ctx.schedule(stale_end, Timer::StaleExpired.encode());
        }
        let writer = self.writer;
        self.admit(ctx, writer);
    }

    /// The failover or promotion ends with no reader to promote: every one left was in a zone
    /// that went out meanwhile. Chosen (AWS does not say): the instance is then recovered in
    /// place, `recovery_time` from now (Aurora recreates its writer; a single instance is
    /// repaired), the writer down meanwhile, and no sooner than its zone if that is out.
    fn promotion_fails(&mut self, ctx: &mut Ctx<'_>) {
        self.recovery = Recovery::Recover;
        self.events.push(
            ctx.now(),
            "promotion_fails",
            "no reader left in a zone that is up: recovering the instance".to_string(),
        );
        let took = self.cfg.recovery_time.sample_time(&mut self.failure_rng);
        ctx.schedule(took, Timer::WriterBack.encode());
    }

    /// A replaced instance is ready: the Multi-AZ DB instance's new standby, or the old
    /// writer rejoining a cluster as a standby or Aurora as a replica, caught up.
    pub(super) fn standby_back(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.writer_zone_out {
            // It replaces an instance lost with its zone, in that zone: ready when the zone
            // is back, not before.
            self.replacements_waiting += 1;
            return;
        }
        match self.rebuilding.pop() {
            Some(node) => {
                let n = &mut self.nodes[node];
                n.applied_seq = self.write_seq;
                n.last_apply_end = now;
                if self.cfg.deployment == Deployment::MultiAzCluster {
                    self.replicas.insert(0, node);
                    self.standbys_left += 1;
                } else {
                    self.replicas.push(node);
                }
            }
            None => self.standby_ready = true,
        }
        self.events.push(now, "standby_ready", String::new());
    }
}
