//! A table's capacity on one side (reads or writes): the table's token bucket with its burst
//! capacity, the partitions with their hard limits, and how a key finds its partition; and
//! split for heat: which key a hot partition would give a partition of its own.

use super::autoscaling::Tracker;
use crate::components::token_bucket::TokenBucket;
use crate::kernel::SimTime;
use crate::metrics::{Clock, Counter, Level};

/// aws-facts: §7 per-partition limit: 3,000 RCU and 1,000 WCU, which nothing lifts.
pub(super) const PARTITION_RCU: f64 = 3000.0;
pub(super) const PARTITION_WCU: f64 = 1000.0;
/// aws-facts: §7 burst capacity: up to 300 s of unused provisioned capacity.
pub(super) const BURST_SECONDS: f64 = 300.0;

/// Which side of the table's capacity: reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    Read,
    Write,
}

impl Side {
    /// Its capacity units, in words for events.
    pub(super) fn units(self) -> &'static str {
        match self {
            Side::Read => "RCU",
            Side::Write => "WCU",
        }
    }
}

/// Keys a hot partition's tally keeps (Space-Saving's counters): the hottest keys of a
/// throttling partition are among them. A choice: enough to find the hottest of a handful.
const TALLY_KEYS: usize = 8;

/// A key's partition: one of those its hash spreads keys over, or one of its own (split off
/// for heat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    Hashed(usize),
    Own(usize),
}

/// A partition that throttles: since when, when last, and a tally of the keys it refused
/// (Space-Saving: at most `TALLY_KEYS` counters, so memory is bounded by the partitions).
/// Refusals fall on keys in proportion to their traffic, so the tally finds the hottest.
#[derive(Debug)]
pub(super) struct Heat {
    /// When it last refused a request.
    pub(super) last: SimTime,
    counts: Vec<(u64, u64)>,
}

impl Heat {
    pub(super) fn new(now: SimTime) -> Heat {
        Heat {
            last: now,
            counts: Vec::with_capacity(TALLY_KEYS),
        }
    }

    /// Counts a refusal of `key` at `now`.
    pub(super) fn refused(&mut self, now: SimTime, key: u64) {
        self.last = now;
        if let Some(c) = self.counts.iter_mut().find(|c| c.0 == key) {
            c.1 += 1;
        } else if self.counts.len() < TALLY_KEYS {
            self.counts.push((key, 1));
        } else if let Some(c) = self.counts.iter_mut().min_by_key(|c| c.1) {
            // Space-Saving: the new key takes the smallest counter's place and count.
            *c = (key, c.1 + 1);
        }
    }

    /// The key refused most (the first of equals).
    pub(super) fn hottest(&self) -> Option<u64> {
        let top = self.counts.iter().map(|c| c.1).max()?;
        self.counts.iter().find(|c| c.1 == top).map(|c| c.0)
    }
}

/// Which limit refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Limit {
    Table,
    /// The key's partition was at its hard limit while the table had room: a hot key.
    Partition,
}

/// One side's (reads' or writes') capacity.
pub(super) struct Capacity {
    table: TokenBucket,
    pub(super) partitions: Vec<TokenBucket>,
    /// Partitions split off for heat, one key each.
    pub(super) own: Vec<TokenBucket>,
    /// Units per second provisioned (for on-demand: the current ceiling) [units/s].
    pub(super) capacity: f64,
    /// Units consumed, by window [units].
    pub(super) consumed: Counter,
    /// Capacity in effect, time-weighted [units/s].
    pub(super) capacity_level: Level,
    /// Units consumed in the current minute [units].
    pub(super) minute_units: f64,
    /// The most capacity scaling may reach [units/s].
    pub(super) max_capacity: f64,
    /// The capacity it started with, below which scaling never goes [units/s].
    pub(super) initial: f64,
    /// Auto scaling's alarms, or on-demand's memory of peaks.
    pub(super) scaling: Tracker,
}

impl Capacity {
    /// `capacity` units per second over `partitions` partitions of `partition_limit` each,
    /// banking `burst_seconds` of unused capacity, full at the start (a table long under its
    /// capacity: AWS does not say what a new table holds, a choice); scaling moves it up to
    /// `max` and never below `initial`.
    pub(super) fn new(
        clock: &Clock,
        capacity: f64,
        partitions: u32,
        partition_limit: f64,
        burst_seconds: f64,
        max: f64,
        initial: f64,
    ) -> Capacity {
        let mut level = Level::new(clock);
        level.set(clock, SimTime::ZERO, capacity);
        Capacity {
            table: TokenBucket::new(capacity, (capacity * burst_seconds).ceil() as u64),
            partitions: (0..partitions)
                .map(|_| TokenBucket::new(partition_limit, partition_limit as u64))
                .collect(),
            own: Vec::new(),
            capacity,
            consumed: Counter::new(clock),
            capacity_level: level,
            minute_units: 0.0,
            max_capacity: max,
            initial,
            scaling: Tracker::default(),
        }
    }

    /// The same capacity with `seconds` of it banked for bursts when the run starts, rather
    /// than its whole burst (`DynamoConfig::burst_banked`).
    pub(super) fn banked(mut self, seconds: f64) -> Capacity {
        self.table = self.table.starting_with(self.capacity * seconds);
        self
    }

    /// Takes `units` from the table and the key's partition, or says which refused.
    pub(super) fn admit(&mut self, now: SimTime, part: Part, units: f64) -> Result<(), Limit> {
        // A refused request takes nothing, so look at both before taking from either.
        if !self.table.has_amount(now, units) {
            return Err(Limit::Table);
        }
        let partition = match part {
            Part::Hashed(i) => &mut self.partitions[i],
            Part::Own(i) => &mut self.own[i],
        };
        if !partition.has_amount(now, units) {
            return Err(Limit::Partition);
        }
        partition.try_take_amount(now, units);
        self.table.try_take_amount(now, units);
        self.minute_units += units;
        Ok(())
    }

    /// Puts `capacity` units per second in effect from `now`, banking `burst_seconds` of it.
    pub(super) fn set_capacity(
        &mut self,
        clock: &Clock,
        now: SimTime,
        capacity: f64,
        burst_seconds: f64,
    ) {
        self.capacity = capacity;
        self.table
            .reconfigure(now, capacity, (capacity * burst_seconds).ceil() as u64);
        self.capacity_level.set(clock, now, capacity);
    }

    /// Adds partitions, each held to `limit` units per second, until there are `count`.
    pub(super) fn grow_to(&mut self, count: u32, limit: f64) {
        for _ in self.partitions.len() as u32..count {
            self.partitions.push(TokenBucket::new(limit, limit as u64));
        }
    }
}

impl Capacity {
    /// A new partition of its own for one key, held to `limit` units per second; its index.
    pub(super) fn split_off(&mut self, limit: f64) -> usize {
        self.own.push(TokenBucket::new(limit, limit as u64));
        self.own.len() - 1
    }
}

/// The partitions a table needs for `rcu` and `wcu` at the per-partition limits (the classic
/// sizing rule), and never fewer than `least`.
pub(super) fn partitions_needed(rcu: f64, wcu: f64, least: u32) -> u32 {
    ((rcu / PARTITION_RCU + wcu / PARTITION_WCU).ceil() as u32).max(least)
}

/// The partition of `key` among `count`: SplitMix64's finaliser spreads keys evenly, as
/// DynamoDB's hash of the partition key does.
pub(super) fn partition_of(key: u64, count: usize) -> usize {
    (crate::kernel::mix(key.wrapping_add(0x9e37_79b9_7f4a_7c15)) % count as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_finds_the_hottest_key_among_many() {
        let mut h = Heat::new(SimTime::ZERO);
        // Key 7 is refused every other time; 100 other keys share the rest.
        for i in 0..1000u64 {
            let key = if i % 2 == 0 { 7 } else { 100 + i % 100 };
            h.refused(SimTime::ZERO, key);
        }
        assert_eq!(h.hottest(), Some(7));
    }
}
