//! Read replicas and asynchronous replication (aws-facts: §5 read replicas): each replica
//! replays the writes one at a time (`apply_time` each), so its lag is the wait in that
//! single-threaded queue; a read of a key whose last write the replica has not yet replayed is
//! stale, and counted.

use super::Rds;
use crate::kernel::{Ctx, SimTime};
use std::collections::VecDeque;

/// One database instance: the writer or a replica.
pub(super) struct Node {
    /// Queries running on its vCPUs [queries].
    pub(super) busy: u32,
    /// Queries waiting for a vCPU, by their index in `Rds::jobs`.
    pub(super) cpu_queue: VecDeque<usize>,
    /// Queries it holds, running or waiting [connections].
    pub(super) connections: u32,
    /// I/O suspended until then.
    pub(super) paused_until: SimTime,
    /// Replica: writes sent but not yet replayed, as (sequence, commit time, replay end).
    pub(super) unapplied: VecDeque<(u64, SimTime, SimTime)>,
    /// Replica: the sequence number of the last write it replayed.
    pub(super) applied_seq: u64,
    /// Replica: when the replay of the last write it was sent ends.
    pub(super) last_apply_end: SimTime,
    /// RDS Proxy: queries waiting for a connection to it, by their index in `Rds::jobs`,
    /// with when the proxy gives up on each (first in, first out).
    pub(super) borrow: VecDeque<(usize, SimTime)>,
    /// RDS Proxy: when the timer that gives up on waiting queries next fires, if one is set.
    pub(super) expiry_at: Option<SimTime>,
    /// How many times its connections were all dropped: a pinned connection released after
    /// that is no longer counted.
    pub(super) epoch: u32,
}

impl Node {
    pub(super) fn new() -> Node {
        Node {
            busy: 0,
            cpu_queue: VecDeque::new(),
            connections: 0,
            paused_until: SimTime::ZERO,
            unapplied: VecDeque::new(),
            applied_seq: 0,
            last_apply_end: SimTime::ZERO,
            borrow: VecDeque::new(),
            expiry_at: None,
            epoch: 0,
        }
    }

    /// The same instance replaced by a new one; the queries waiting in the proxy for it
    /// stay.
    pub(super) fn replaced(&mut self) {
        let borrow = std::mem::take(&mut self.borrow);
        let expiry_at = self.expiry_at;
        let epoch = self.epoch.wrapping_add(1);
        *self = Node::new();
        self.borrow = borrow;
        self.expiry_at = expiry_at;
        self.epoch = epoch;
    }

    /// Replays what has finished by `now`; returns the lag (age of the oldest write not yet
    /// replayed).
    pub(super) fn catch_up(&mut self, now: SimTime) -> SimTime {
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

impl Rds {
    /// Sends a committed write to every replica's replay queue.
    pub(super) fn replicate(&mut self, ctx: &mut Ctx<'_>, key: u64) {
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

    /// Counts a read replica `node` served at `now`: whether it was stale, and the replica's lag.
    pub(super) fn read_on_replica(
        &mut self,
        now: SimTime,
        node: usize,
        key: u64,
        arrived: SimTime,
    ) {
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
}
