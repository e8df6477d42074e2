//! Read replicas and asynchronous replication (aws-facts: §5 read replicas): each replica
//! replays the writes one at a time (`apply_time` each), so its lag is the wait in that
//! single-threaded queue; an Aurora Replica sees each write on the shared volume its own
//! `aurora_replica_lag` after the commit, never before an earlier write (aws-facts: §5
//! Aurora). A read of a key whose last write the replica has not yet applied is stale, and
//! counted. A replica whose source is gone (another replica was promoted in its
//! place) receives nothing more: every key written afterwards is stale on it, and its lag
//! grows from the first write it missed.

use super::{Rds, Replication};
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
    /// Replica: when the replay of the last write it replayed ended.
    pub(super) applied_end: SimTime,
    /// RDS Proxy: queries waiting for a connection to it, by their index in `Rds::jobs`,
    /// with when the proxy gives up on each (first in, first out).
    pub(super) borrow: VecDeque<(usize, SimTime)>,
    /// RDS Proxy: when the timer that gives up on waiting queries next fires, if one is set.
    pub(super) expiry_at: Option<SimTime>,
    /// How many times its connections were all dropped: a pinned connection released after
    /// that is no longer counted.
    pub(super) epoch: u32,
    /// Replica: its source is gone (another replica was promoted), so it receives no more
    /// writes.
    pub(super) cut: bool,
    /// Aurora Replica: its lag behind the writer, and the period it was drawn for.
    pub(super) lag: SimTime,
    pub(super) lag_period: Option<u64>,
    /// In the database's configured zone (`az`): the first writer is, and a read replica
    /// `replica_zones` puts there; its standbys and other replicas are in others. A
    /// replacement stays where it was.
    pub(super) home: bool,
    /// Read replica placed by `replica_zones`: its zone, named by the place of the first
    /// replica there (`Fault::ZoneOutage`'s `replica`).
    pub(super) zone: Option<u16>,
    /// Its zone is out, since then: it serves nothing, and its replay is paused.
    pub(super) out_since: Option<SimTime>,
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
            applied_end: SimTime::ZERO,
            borrow: VecDeque::new(),
            expiry_at: None,
            epoch: 0,
            cut: false,
            lag: SimTime::ZERO,
            lag_period: None,
            home: false,
            zone: None,
            out_since: None,
        }
    }

    /// The same instance replaced by a new one; the queries waiting in the proxy for it
    /// stay.
    pub(super) fn replaced(&mut self) {
        let borrow = std::mem::take(&mut self.borrow);
        let expiry_at = self.expiry_at;
        let epoch = self.epoch.wrapping_add(1);
        let (home, zone, out_since) = (self.home, self.zone, self.out_since);
        *self = Node::new();
        self.borrow = borrow;
        self.expiry_at = expiry_at;
        self.epoch = epoch;
        self.home = home;
        self.zone = zone;
        self.out_since = out_since;
    }

    /// Its zone, out since `since`, is back at `now`. A replica that replays the writes
    /// (`shared` false) replays those it was sent meanwhile, and the one it was replaying when
    /// the zone went, from `now` in order, each taking as long as it would have (the replay
    /// was paused, not lost). An Aurora Replica (`shared`) reads the cluster's volume, which
    /// holds them all: it sees each at once, or as late as it would have anyway.
    pub(super) fn resume(&mut self, since: SimTime, now: SimTime, shared: bool) {
        self.catch_up(since);
        if shared {
            for (_, _, end) in self.unapplied.iter_mut() {
                *end = (*end).max(now);
            }
            self.out_since = None;
            return;
        }
        let mut prev_old = self.applied_end;
        let mut prev_new = now;
        for (_, commit, end) in self.unapplied.iter_mut() {
            // Lindley's recursion, run backwards for the replay's own time, then forwards
            // from `now`.
            let took = *end - prev_old.max(*commit);
            prev_old = *end;
            *end = prev_new + took;
            prev_new = *end;
        }
        self.last_apply_end = self.last_apply_end.max(prev_new);
        self.out_since = None;
    }

    /// Replays what has finished by `now`; returns the lag (age of the oldest write not yet
    /// replayed).
    pub(super) fn catch_up(&mut self, now: SimTime) -> SimTime {
        // Out of reach, it replays nothing after its zone went.
        let until = self.out_since.map_or(now, |since| since.min(now));
        while let Some(&(seq, _, end)) = self.unapplied.front() {
            if end > until {
                break;
            }
            self.applied_seq = seq;
            self.applied_end = end;
            self.unapplied.pop_front();
        }
        self.unapplied
            .front()
            .map_or(SimTime::ZERO, |&(_, commit, _)| now - commit)
    }
}

/// Bits of the table of keys written since replicas were cut off (2^20 bits, 128 KiB):
/// fixed, so memory does not grow with the keys written. Two keys may share a bit, so a read
/// on a cut-off replica of a key never written since counts as stale at most as often as the
/// table is full (with 10,000 keys written, under 1 %).
const CUT_BITS: u32 = 20;

/// The bit of `key` in the table of keys written since replicas were cut off.
fn cut_bit(key: u64) -> usize {
    // Fibonacci hashing: the top bits of the product spread neighbouring keys apart.
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CUT_BITS)) as usize
}

impl Rds {
    /// Another replica was promoted to be a standalone writer: the other replicas' source
    /// is gone, and they receive nothing more. aws-facts: §5 read replicas: promotion ends
    /// replication; AWS, USER_ReadRepl.Promote.html: promoting a read replica has no effect on
    /// the other replicas (which still replicate from the old primary, failed here).
    pub(super) fn cut_replicas(&mut self) {
        if self.replicas.is_empty() {
            return;
        }
        for &r in &self.replicas {
            self.nodes[r].cut = true;
        }
        self.cut_seq = self.write_seq;
        if self.written_since_cut.is_empty() {
            self.written_since_cut = vec![0; (1 << CUT_BITS) / 64];
        }
    }

    /// Sends a committed write to every replica's replay queue, except those cut off.
    pub(super) fn replicate(&mut self, ctx: &mut Ctx<'_>, key: u64) {
        if self.replicas.is_empty() {
            return;
        }
        let now = ctx.now();
        self.write_seq += 1;
        let seq = self.write_seq;
        self.last_write.insert(key, seq);
        if !self.written_since_cut.is_empty() {
            let b = cut_bit(key);
            self.written_since_cut[b / 64] |= 1 << (b % 64);
            self.first_missed.get_or_insert(now);
        }
        for k in 0..self.replicas.len() {
            let r = self.replicas[k];
            if self.nodes[r].cut {
                continue;
            }
            let n = &mut self.nodes[r];
            let end = match &self.cfg.replication {
                // Lindley's recursion: the replay starts when the previous one ends.
                Replication::Replay(apply) => {
                    n.last_apply_end.max(now) + apply.sample_time(&mut self.rng)
                }
                // Seen the replica's lag after its commit (a lag drawn once a period), not
                // before the write committed ahead of it: the lag does not pile up with the
                // writes.
                Replication::SharedVolume { lag, period } => {
                    let p = now.nanos() / period.nanos();
                    if n.lag_period != Some(p) {
                        n.lag = lag.sample_time(&mut self.lag_rng);
                        n.lag_period = Some(p);
                    }
                    n.last_apply_end.max(now + n.lag)
                }
            };
            n.last_apply_end = end;
            n.unapplied.push_back((seq, now, end));
        }
        if self.last_write.len() > self.prune_at {
            // A cut-off replica needs the sequence numbers only until it has replayed all it
            // was sent; after that the table of keys written since says what it lacks.
            let cut_seq = self.cut_seq;
            let oldest = self
                .replicas
                .iter()
                .filter_map(|&r| {
                    let n = &mut self.nodes[r];
                    n.catch_up(now);
                    (!n.cut || n.applied_seq < cut_seq).then_some(n.applied_seq)
                })
                .min()
                .unwrap_or(seq);
            self.last_write.retain(|_, s| *s > oldest);
            self.prune_at = (2 * self.last_write.len()).max(4096);
        }
    }

    /// Whether `key` on replica `node` is older than on the writer.
    fn stale(&self, node: usize, key: u64) -> bool {
        let n = &self.nodes[node];
        if self
            .last_write
            .get(&key)
            .is_some_and(|&s| s > n.applied_seq)
        {
            return true;
        }
        n.cut && !self.written_since_cut.is_empty() && {
            let b = cut_bit(key);
            self.written_since_cut[b / 64] & (1 << (b % 64)) != 0
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
        let mut lag = self.nodes[node].catch_up(now);
        if self.nodes[node].cut {
            // It lacks every write since the first it missed.
            if let Some(first) = self.first_missed {
                lag = lag.max(now - first);
            }
        }
        let lag = lag.as_secs_f64();
        self.replica_reads.add(&self.clock, now, measured);
        if self.stale(node, key) {
            self.stale.add(&self.clock, now, measured);
        }
        if let Some(w) = self.lag_max_window.get_mut(self.clock.window_of(now)) {
            // `f64::max` takes the lag over the NaN of a window not yet measured.
            *w = w.max(lag);
        }
        if measured {
            self.lag_sum_s += lag;
            self.lag_samples += 1;
            self.lag_max_s = self.lag_max_s.max(lag);
        }
    }
}
