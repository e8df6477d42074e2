//! One EBS volume's performance (`VolumeSpec`, from its type and size as aws-facts §11 gives
//! them), and the volume as it serves I/Os (`Volume`): dispatched first in, first out at most
//! at its IOPS and throughput, each I/O taking a credit from its burst bucket where it has one.
//!
//! The volume keeps no queue: I/Os leave in order, so the dispatch time of the next one is a
//! number (`next_free`), and a request's I/Os are placed after it when the request arrives.
//! The bucket is refilled at its baseline between dispatches, exactly (credits are a linear
//! function of time between two dispatches); when it holds less than an I/O's cost the I/O
//! waits for the refill, so an empty bucket serves at its baseline rate, as AWS documents.

/// A burst bucket: its size and its refill rate, which is the baseline it serves at once empty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Credits {
    /// What it holds when full [credits: I/Os, or MiB for a throughput bucket].
    pub capacity: f64,
    /// Credits added each second, the baseline rate [credits/s].
    pub refill: f64,
}

/// A volume type's performance at one size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolumeSpec {
    /// The most I/Os it dispatches in a second (with credits, where it has a bucket) [IOPS].
    pub peak_iops: f64,
    /// The most MiB it moves in a second (with credits, where it has a bucket) [MiB/s].
    pub peak_mibps: f64,
    /// gp2: its I/O-credit bucket, when it bursts above its baseline.
    pub iops_credits: Option<Credits>,
    /// st1, sc1: its throughput-credit bucket.
    pub mib_credits: Option<Credits>,
    /// The most KiB an I/O may carry and still count as one [KiB]: I/Os larger count as
    /// several.
    pub io_unit_kib: f64,
}

use super::config::{VolumeType, GP2_BUCKET, GP2_BURST_IOPS};

/// The most a gp2 volume of `size_gib` moves [MiB/s]. AWS's General Purpose SSD page
/// (ebs: general-purpose.html, gp2 throughput; aws-facts §11 cites it, without the figures):
/// 170 GiB and smaller, 128 MiB/s; larger, 250 MiB/s, which a volume under 334 GiB reaches
/// only while it has burst credits. That last condition needs no rule of its own here: once
/// its credits are spent, such a volume dispatches its baseline of under 1,002 IOPS, whose
/// throughput is bounded by what its I/Os carry, and the credits it earns below the baseline
/// are spent at 250 MiB/s again, as AWS's bucket would spend them.
fn gp2_mibps(size_gib: f64) -> f64 {
    if size_gib <= 170.0 {
        128.0
    } else {
        250.0
    }
}

/// The most an io1 volume provisioned with `iops` moves [MiB/s]. AWS's Provisioned IOPS SSD
/// page (ebs: provisioned-iops.html; not in aws-facts): up to 32,000 IOPS a volume yields
/// at most 500 MiB/s (reached at 2,000 IOPS of 256 KiB); above, 16 KiB per provisioned
/// IOPS, so 750 MiB/s at 48,000 and 1,000 MiB/s only at 64,000.
fn io1_mibps(iops: f64) -> f64 {
    if iops <= 32_000.0 {
        500.0
    } else {
        iops * 16.0 / 1024.0
    }
}

impl VolumeSpec {
    /// The performance of storage of type `t` and `size` GiB, with the IOPS and throughput
    /// provisioned on it (where its type takes them), striped over `stripes` volumes: each
    /// of them a volume of a `stripes`-th of the size, IOPS and throughput. The stripes serve
    /// as one volume with their IOPS, throughput and burst buckets added up: the I/Os are
    /// spread evenly over them, so each bucket drains as the sum would (RDS's striping,
    /// `host.rs`; an EC2 instance's volume is one stripe).
    pub fn of(
        t: VolumeType,
        size_gib: u32,
        iops: Option<u32>,
        mibps: Option<u32>,
        stripes: u32,
    ) -> VolumeSpec {
        let n = f64::from(stripes.max(1));
        let one = VolumeSpec::one(
            t,
            f64::from(size_gib) / n,
            iops.map(|x| f64::from(x) / n),
            mibps.map(|x| f64::from(x) / n),
        );
        let times = |c: Credits| Credits {
            capacity: c.capacity * n,
            refill: c.refill * n,
        };
        VolumeSpec {
            peak_iops: one.peak_iops * n,
            peak_mibps: one.peak_mibps * n,
            iops_credits: one.iops_credits.map(times),
            mib_credits: one.mib_credits.map(times),
            io_unit_kib: one.io_unit_kib,
        }
    }

    /// The performance of one volume of type `t` and `size` GiB, with the IOPS and
    /// throughput provisioned on it (where its type takes them).
    fn one(t: VolumeType, size: f64, iops: Option<f64>, mibps: Option<f64>) -> VolumeSpec {
        let tib = size / 1024.0;
        let iops = iops.unwrap_or(0.0);
        // AWS's volume-types page (aws-facts §11 cites it; the figures below the facts do
        // not restate are marked): an I/O up to 256 KiB counts once on SSD, up to 1 MiB on
        // HDD; larger ones count as several.
        let ssd = |peak_iops: f64, peak_mibps: f64, iops_credits| VolumeSpec {
            peak_iops,
            peak_mibps,
            iops_credits,
            mib_credits: None,
            io_unit_kib: 256.0,
        };
        match t {
            VolumeType::Gp2 => {
                // aws-facts: §11 EBS gp2: 3 IOPS/GiB, at least 100 and at most 16,000; a
                // volume whose baseline is below 3,000 (under 1 TiB) bursts to 3,000 from a
                // bucket of 5.4 M credits refilled at its baseline.
                let baseline = (3.0 * size).clamp(100.0, 16_000.0);
                let mibps = gp2_mibps(size);
                if baseline < GP2_BURST_IOPS {
                    let bucket = Credits {
                        capacity: GP2_BUCKET,
                        refill: baseline,
                    };
                    ssd(GP2_BURST_IOPS, mibps, Some(bucket))
                } else {
                    ssd(baseline, mibps, None)
                }
            }
            // aws-facts: §11 EBS gp3: 3,000 IOPS and 125 MiB/s at any size, provisioned more.
            VolumeType::Gp3 => ssd(iops, mibps.unwrap_or(125.0), None),
            // aws-facts: §11 EBS io1: provisioned IOPS; its throughput follows them.
            VolumeType::Io1 => ssd(iops, io1_mibps(iops), None),
            // aws-facts: §11 EBS io2 Block Express: provisioned IOPS, 4,000 MiB/s.
            VolumeType::Io2 => ssd(iops, 4_000.0, None),
            // aws-facts: §11 EBS st1: baseline 40 MiB/s per TiB, burst 250 MiB/s per TiB,
            // at most 500 MiB/s; sc1: 12, 80 and 250. The bucket holds 1 TiB of credits per
            // TiB of volume, and st1 dispatches at most 500 I/Os a second, sc1 250, from
            // AWS's page (not in aws-facts).
            VolumeType::St1 | VolumeType::Sc1 => {
                let (base, burst, max, max_iops) = if t == VolumeType::St1 {
                    (40.0, 250.0, 500.0, 500.0)
                } else {
                    (12.0, 80.0, 250.0, 250.0)
                };
                VolumeSpec {
                    peak_iops: max_iops,
                    peak_mibps: (burst * tib).min(max),
                    iops_credits: None,
                    mib_credits: Some(Credits {
                        capacity: size * 1024.0,
                        refill: (base * tib).min(max),
                    }),
                    io_unit_kib: 1_024.0,
                }
            }
        }
    }

    /// Its burst bucket, if it has one.
    pub fn bucket(&self) -> Option<Credits> {
        self.iops_credits.or(self.mib_credits)
    }

    /// The IOPS it serves with an empty bucket [IOPS]: the I/O bucket's refill (gp2), else
    /// its peak.
    pub fn baseline_iops(&self) -> f64 {
        self.iops_credits.map_or(self.peak_iops, |c| c.refill)
    }
}

/// A volume's state: when it can dispatch its next I/O and what its bucket holds.
#[derive(Clone, Debug)]
pub struct Volume {
    /// The earliest instant it dispatches its next I/O [s].
    next_free: f64,
    /// The bucket's balance at `at` [credits].
    balance: f64,
    /// When `balance` was brought up to date [s].
    at: f64,
    /// Windows whose closing balance has been recorded.
    pub(super) sampled: usize,
    /// Whether its bucket has run dry at least once.
    pub(super) ran_out: bool,
    /// Whether it is attached to a running instance (a terminated one's is not).
    pub(super) live: bool,
    /// When it was attached [s].
    pub(super) attached: f64,
}

impl Volume {
    /// A volume attached at `now` [s], its bucket holding `credits`.
    pub fn new(now: f64, credits: f64, sampled: usize) -> Volume {
        Volume {
            next_free: now,
            balance: credits,
            at: now,
            sampled,
            ran_out: false,
            live: true,
            attached: now,
        }
    }

    /// The bucket's balance at `t` [credits], which is no earlier than the last dispatch
    /// (or, inside a wait for credits, the balance then: under one I/O's cost).
    pub fn balance_at(&self, spec: &VolumeSpec, t: f64) -> f64 {
        match spec.bucket() {
            Some(c) => (self.balance + c.refill * (t - self.at).max(0.0)).min(c.capacity),
            None => 0.0,
        }
    }

    fn refill(&mut self, spec: &VolumeSpec, t: f64) {
        if t > self.at {
            self.balance = self.balance_at(spec, t);
            self.at = t;
        }
    }

    /// Dispatches one I/O that costs `ios` I/Os and `mib` MiB, ready at `ready` [s]: it
    /// leaves once the volume is free and its bucket (if any) holds its cost. Returns the
    /// dispatch time [s] and whether it had to wait for credits.
    pub fn dispatch(&mut self, spec: &VolumeSpec, ready: f64, ios: f64, mib: f64) -> (f64, bool) {
        let mut t = ready.max(self.next_free);
        self.refill(spec, t);
        let mut waited = false;
        let cost = if spec.iops_credits.is_some() {
            ios
        } else {
            mib
        };
        if let Some(c) = spec.bucket() {
            if self.balance < cost {
                // The bucket is dry: the I/O waits for its credits, at the baseline rate.
                t += (cost - self.balance) / c.refill;
                self.balance = cost;
                self.at = t;
                waited = true;
            }
            self.balance -= cost;
        }
        self.next_free = t + (ios / spec.peak_iops).max(mib / spec.peak_mibps);
        (t, waited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gp2_baseline_is_three_iops_per_gib_between_100_and_16000() {
        // aws-facts: §11 EBS gp2.
        let base = |gib| VolumeSpec::of(VolumeType::Gp2, gib, None, None, 1).baseline_iops();
        assert_eq!(base(10), 100.0);
        assert_eq!(base(100), 300.0);
        assert_eq!(base(999), 2_997.0);
        assert_eq!(base(2_000), 6_000.0);
        assert_eq!(base(6_000), 16_000.0);
        // Under 1 TiB a bucket lets it burst to 3,000; from 1,000 GiB its baseline is there.
        assert!(VolumeSpec::of(VolumeType::Gp2, 999, None, None, 1)
            .iops_credits
            .is_some());
        assert!(VolumeSpec::of(VolumeType::Gp2, 1_000, None, None, 1)
            .iops_credits
            .is_none());
    }

    #[test]
    fn gp2_and_io1_throughput_follows_size_and_provisioned_iops() {
        // AWS's General Purpose SSD page: gp2 128 MiB/s up to 170 GiB, 250 above.
        let gp2 = |gib| VolumeSpec::of(VolumeType::Gp2, gib, None, None, 1).peak_mibps;
        assert_eq!(
            (gp2(1), gp2(170), gp2(171), gp2(2_000)),
            (128.0, 128.0, 250.0, 250.0)
        );
        // AWS's Provisioned IOPS SSD page: io1 500 MiB/s up to 32,000 IOPS, then 16 KiB per
        // IOPS: 48,000 × 16 / 1,024 = 750, 64,000 → 1,000.
        let io1 = |iops| VolumeSpec::of(VolumeType::Io1, 1_280, Some(iops), None, 1).peak_mibps;
        assert_eq!(
            (io1(100), io1(32_000), io1(48_000), io1(64_000)),
            (500.0, 500.0, 750.0, 1_000.0)
        );
    }

    #[test]
    fn st1_and_sc1_throughput_scales_per_tib_within_their_maxima() {
        // aws-facts: §11 EBS st1: 40 MiB/s per TiB baseline, 250 burst, at most 500; sc1:
        // 12, 80, at most 250. The bucket holds 1 TiB of credits (1,048,576 MiB) per TiB.
        let st1 = VolumeSpec::of(VolumeType::St1, 1_024, None, None, 1);
        let c = st1.mib_credits.expect("a bucket");
        assert_eq!(
            (c.refill, st1.peak_mibps, c.capacity),
            (40.0, 250.0, 1_048_576.0)
        );
        let big = VolumeSpec::of(VolumeType::St1, 16_384, None, None, 1);
        assert_eq!(big.peak_mibps, 500.0);
        assert_eq!(big.mib_credits.map(|c| c.refill), Some(500.0));
        let sc1 = VolumeSpec::of(VolumeType::Sc1, 16_384, None, None, 1);
        assert_eq!(sc1.peak_mibps, 250.0);
        assert_eq!(sc1.mib_credits.map(|c| c.refill), Some(192.0));
    }

    #[test]
    fn striped_storage_is_its_stripes_added_up() {
        // 2,000 GiB of gp2 over four volumes of 500 GiB: each a baseline of 1,500 IOPS
        // bursting to 3,000 from 5.4 M credits, 250 MiB/s (over 170 GiB); together 6,000,
        // 12,000, 21.6 M credits refilled at 6,000 a second, 1,000 MiB/s. From 4,000 GiB each
        // stripe's baseline is 3,000: no bucket, 12,000 IOPS.
        let s = VolumeSpec::of(VolumeType::Gp2, 2_000, None, None, 4);
        let c = s.iops_credits.expect("a bucket");
        assert_eq!(
            (c.refill, s.peak_iops, c.capacity, s.peak_mibps),
            (6_000.0, 12_000.0, 21_600_000.0, 1_000.0)
        );
        let big = VolumeSpec::of(VolumeType::Gp2, 4_000, None, None, 4);
        assert_eq!((big.iops_credits, big.peak_iops), (None, 12_000.0));
        // gp3's provisioned totals stay what they are.
        let gp3 = VolumeSpec::of(VolumeType::Gp3, 500, Some(12_000), Some(500), 4);
        assert_eq!((gp3.peak_iops, gp3.peak_mibps), (12_000.0, 500.0));
    }

    #[test]
    fn an_empty_bucket_serves_at_its_baseline() {
        // 100 GiB gp2: baseline 300 IOPS. With 30 credits, I/Os ready all at once leave at
        // 3,000 IOPS for the first 30 (the refill meanwhile adds 300 × 30 / 3,000 = 3 more,
        // so 33), then one every 1/300 s.
        let spec = VolumeSpec::of(VolumeType::Gp2, 100, None, None, 1);
        let mut v = Volume::new(0.0, 30.0, 0);
        let times: Vec<f64> = (0..200)
            .map(|_| v.dispatch(&spec, 0.0, 1.0, 0.016).0)
            .collect();
        let gap = |k: usize| times[k + 1] - times[k];
        assert!((gap(0) - 1.0 / 3_000.0).abs() < 1e-12);
        assert!((gap(150) - 1.0 / 300.0).abs() < 1e-9, "{}", gap(150));
        let fast = (0..199).filter(|&k| gap(k) < 1.0 / 2_000.0).count();
        assert!((32..=34).contains(&fast), "{fast}");
    }
}
