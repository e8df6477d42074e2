//! A bucket's partitions: each holds a range of prefixes and admits its own reads and writes
//! per second; one that keeps throttling for the split delay splits its range in two.

use super::config::{Enforcement, Naming, S3Config};
use crate::components::token_bucket::TokenBucket;
use crate::kernel::{mix, SimTime};

/// A per-second rate, metered as the scenario chose.
#[derive(Clone, Debug)]
enum Meter {
    Bucket(TokenBucket),
    Window { rps: u32, second: u64, used: u32 },
}

impl Meter {
    fn new(rps: u32, how: Enforcement) -> Meter {
        match how {
            Enforcement::TokenBucket => {
                Meter::Bucket(TokenBucket::new(f64::from(rps), u64::from(rps)))
            }
            Enforcement::FixedWindow => Meter::Window {
                rps,
                second: 0,
                used: 0,
            },
        }
    }

    fn try_take(&mut self, now: SimTime) -> bool {
        match self {
            Meter::Bucket(b) => b.try_take(now),
            Meter::Window { rps, second, used } => {
                let s = now.0 / SimTime::from_secs(1).0;
                if s != *second {
                    *second = s;
                    *used = 0;
                }
                let room = *used < *rps;
                *used += u32::from(room);
                room
            }
        }
    }
}

/// One partition: the prefixes `lo..hi` and their rates.
#[derive(Debug)]
struct Partition {
    lo: u32,
    hi: u32,
    reads: Meter,
    writes: Meter,
    /// Since when it has been throttling without a pause longer than the split gap.
    hot_since: Option<SimTime>,
    last_refusal: SimTime,
}

/// What every partition of a bucket admits.
#[derive(Clone, Copy, Debug)]
struct Rates {
    read_rps: u32,
    write_rps: u32,
    how: Enforcement,
}

impl Partition {
    fn new(lo: u32, hi: u32, r: Rates) -> Partition {
        Partition {
            lo,
            hi,
            reads: Meter::new(r.read_rps, r.how),
            writes: Meter::new(r.write_rps, r.how),
            hot_since: None,
            last_refusal: SimTime::ZERO,
        }
    }
}

/// What the partitions said to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Admission {
    Admitted,
    /// 503 SlowDown; and when this refusal made its partition split, the prefixes it held
    /// and where they were cut.
    SlowDown(Option<(u32, u32, u32)>),
}

/// The bucket's partitions, ordered by their prefixes.
pub(super) struct Partitions {
    parts: Vec<Partition>,
    rates: Rates,
    naming: Naming,
    prefixes: u32,
    split_delay: SimTime,
    /// A partition that has refused nothing for longer than this is no longer under
    /// sustained load: its clock towards a split starts again at its next refusal.
    split_gap: SimTime,
}

impl Partitions {
    /// The partitions a bucket starts with: `cfg.partitions` equal ranges of its prefixes.
    pub(super) fn new(cfg: &S3Config) -> Partitions {
        let (n, p) = (cfg.partitions, cfg.prefixes);
        let rates = Rates {
            read_rps: cfg.read_rps,
            write_rps: cfg.write_rps,
            how: cfg.enforcement,
        };
        let parts = (0..n)
            .map(|i| Partition::new(i * p / n, (i + 1) * p / n, rates))
            .collect();
        Partitions {
            parts,
            rates,
            naming: cfg.naming,
            prefixes: p,
            split_delay: cfg.split_delay,
            split_gap: cfg.split_gap,
        }
    }

    /// How many there are.
    pub(super) fn len(&self) -> usize {
        self.parts.len()
    }

    /// The prefix a key's name falls under: with random naming, a hash of the key spreads
    /// keys evenly (and a hot key makes its prefix hot); with sequential names, every key
    /// shares the first.
    pub(super) fn prefix_of(&self, key: u64) -> u32 {
        match self.naming {
            Naming::Sequential => 0,
            Naming::Random => (mix(key) % u64::from(self.prefixes)) as u32,
        }
    }

    /// Admits a read or a write of `key` at `now`, or refuses it with 503 SlowDown and splits
    /// a partition that has throttled for the split delay (aws-facts: §8 request rates: S3
    /// splits prefixes gradually, and returns 503 Slow Down meanwhile).
    pub(super) fn admit(&mut self, now: SimTime, key: u64, write: bool) -> Admission {
        let prefix = self.prefix_of(key);
        let i = self.parts.partition_point(|p| p.hi <= prefix);
        let p = &mut self.parts[i];
        let room = if write {
            p.writes.try_take(now)
        } else {
            p.reads.try_take(now)
        };
        if room {
            return Admission::Admitted;
        }
        let since = match p.hot_since {
            Some(s) if now - p.last_refusal <= self.split_gap => s,
            _ => now,
        };
        p.hot_since = Some(since);
        p.last_refusal = now;
        // A partition of one prefix is as far as S3 goes: the documented rates are per
        // partitioned prefix.
        if now - since < self.split_delay || p.hi - p.lo < 2 {
            return Admission::SlowDown(None);
        }
        // The split: two fresh partitions, each with its own rates, their clocks at zero.
        let (lo, hi) = (p.lo, p.hi);
        let mid = lo + (hi - lo) / 2;
        self.parts[i] = Partition::new(lo, mid, self.rates);
        self.parts
            .insert(i + 1, Partition::new(mid, hi, self.rates));
        Admission::SlowDown(Some((lo, mid, hi)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_prefixes_spread_keys_evenly() {
        let mut counts = [0u32; 16];
        for k in 0..16_000u64 {
            counts[(mix(k) % 16) as usize] += 1;
        }
        // 1,000 each on average; a binomial's sd is about 31, so ±150 is a wide margin.
        assert!(
            counts.iter().all(|&c| (850..=1150).contains(&c)),
            "{counts:?}"
        );
    }
}
