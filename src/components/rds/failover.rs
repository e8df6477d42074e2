//! When the primary fails (aws-facts: §5 Multi-AZ, DNS, read replicas): its connections drop,
//! the writer endpoint answers 503 until a failover to the standby, the promotion of a replica
//! or the recovery of the instance completes, and then for a while longer to clients whose
//! cached DNS still names the old address.

use super::config::OnFailure;
use super::replicas::Node;
use super::{Rds, Timer, UNAVAILABLE};
use crate::components::{pack, unpack, Token};
use crate::kernel::{Ctx, SimTime};
use rand::Rng;

/// The faults of its own kind, told to it as `Input::Fault { code }`: a `[[fault]]` of kind
/// "rds_primary_failure", or an outage of its zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The primary instance fails (a host failure, or its zone).
    PrimaryFailure,
}

impl Token for Fault {
    fn encode(self) -> u64 {
        match self {
            Fault::PrimaryFailure => pack(0, 0),
        }
    }

    fn decode(token: u64) -> Option<Fault> {
        match unpack(token) {
            (0, 0) => Some(Fault::PrimaryFailure),
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

impl Rds {
    /// Whether a request for the writer endpoint reaches a live writer now.
    pub(super) fn writer_reachable(&mut self, now: SimTime) -> bool {
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

    /// The primary fails: the writer is down until the recovery its config allows ends.
    pub(super) fn primary_failure(&mut self, ctx: &mut Ctx<'_>) {
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
        ctx.schedule(took, Timer::WriterBack.encode());
    }

    /// The writer is back, by the way it went.
    pub(super) fn writer_back(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let event = match self.recovery {
            OnFailure::Failover => {
                // The old primary's host is replaced and becomes the new standby; until then
                // commits do not wait for one. Chosen: as long as a recovery.
                let t = self.cfg.recovery_time.sample_time(&mut self.rng);
                // A standby ready after the end changes nothing measured: no timer (it would
                // keep the run going for minutes).
                if now + t < self.clock.end {
                    ctx.schedule(t, Timer::StandbyReady.encode());
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
