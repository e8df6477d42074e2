//! What a volume costs (us-east-1). aws-facts has no EBS price and AWS's pricing page renders
//! its figures in script: these are the figures third-party copies of it agree on (as for
//! SQS's and SNS's prices), marked [O].

use super::config::VolumeType;

pub use crate::components::MONTH_SECS;

/// [O] gp3 $0.08, gp2 $0.10, io1 and io2 $0.125, st1 $0.045, sc1 $0.015 per GB-month.
fn per_gb_month(t: VolumeType) -> f64 {
    match t {
        VolumeType::Gp3 => 0.08,
        VolumeType::Gp2 => 0.10,
        VolumeType::Io1 | VolumeType::Io2 => 0.125,
        VolumeType::St1 => 0.045,
        VolumeType::Sc1 => 0.015,
    }
}

/// [O] gp3: the first 3,000 IOPS and 125 MiB/s are free, then $0.005 per IOPS-month and
/// $0.04 per MiB/s-month.
const GP3_FREE_IOPS: f64 = 3_000.0;
const GP3_FREE_MIBPS: f64 = 125.0;
const GP3_PER_IOPS: f64 = 0.005;
const GP3_PER_MIBPS: f64 = 0.04;
/// [O] io1: $0.065 per provisioned IOPS-month; io2 the same up to 32,000, then $0.046 up to
/// 64,000, then $0.032.
const IO_PER_IOPS: f64 = 0.065;
const IO2_TIERS: [(f64, f64); 3] = [(32_000.0, 0.065), (64_000.0, 0.046), (f64::INFINITY, 0.032)];

/// A volume's price for a month [USD]: its size, and the IOPS and throughput provisioned on
/// it where its type bills them (gp3 defaults to its free 3,000 IOPS and 125 MiB/s per
/// volume; storage striped over `stripes` volumes has each one's free part, as RDS's
/// striped gp3 includes its 12,000 IOPS and 500 MiB/s baseline).
pub fn monthly_usd(
    t: VolumeType,
    size_gib: u32,
    iops: Option<u32>,
    mibps: Option<u32>,
    stripes: u32,
) -> f64 {
    let storage = f64::from(size_gib) * per_gb_month(t);
    let iops = iops.map(f64::from);
    let n = f64::from(stripes.max(1));
    let (free_iops, free_mibps) = (GP3_FREE_IOPS * n, GP3_FREE_MIBPS * n);
    storage
        + match t {
            VolumeType::Gp3 => {
                let extra_iops = (iops.unwrap_or(free_iops) - free_iops).max(0.0);
                let extra_mibps = (mibps.map_or(free_mibps, f64::from) - free_mibps).max(0.0);
                extra_iops * GP3_PER_IOPS + extra_mibps * GP3_PER_MIBPS
            }
            VolumeType::Io1 => iops.unwrap_or(0.0) * IO_PER_IOPS,
            VolumeType::Io2 => {
                let iops = iops.unwrap_or(0.0);
                let mut below = 0.0;
                let mut cost = 0.0;
                for (up_to, price) in IO2_TIERS {
                    cost += (iops.min(up_to) - below).max(0.0) * price;
                    below = up_to;
                }
                cost
            }
            VolumeType::Gp2 | VolumeType::St1 | VolumeType::Sc1 => 0.0,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_follow_each_types_parts() {
        // 100 GiB gp3 at 10,000 IOPS and 250 MiB/s: $8 + 7,000 × $0.005 + 125 × $0.04 = $48.
        let gp3 = monthly_usd(VolumeType::Gp3, 100, Some(10_000), Some(250), 1);
        assert!((gp3 - 48.0).abs() < 1e-9, "{gp3}");
        // gp3 at its free baseline: the size alone.
        assert!((monthly_usd(VolumeType::Gp3, 100, None, None, 1) - 8.0).abs() < 1e-9);
        // gp2 100 GiB: $10.
        assert!((monthly_usd(VolumeType::Gp2, 100, None, None, 1) - 10.0).abs() < 1e-9);
        // io2 100 GiB at 40,000 IOPS: $12.50 + 32,000 × $0.065 + 8,000 × $0.046 = $2,460.50.
        let io2 = monthly_usd(VolumeType::Io2, 100, Some(40_000), None, 1);
        assert!((io2 - 2_460.5).abs() < 1e-6, "{io2}");
        // io1 100 GiB at 5,000 IOPS: $12.50 + $325.
        let io1 = monthly_usd(VolumeType::Io1, 100, Some(5_000), None, 1);
        assert!((io1 - 337.5).abs() < 1e-9, "{io1}");
        // st1 and sc1 500 GiB: $22.50 and $7.50.
        assert!((monthly_usd(VolumeType::St1, 500, None, None, 1) - 22.5).abs() < 1e-9);
        assert!((monthly_usd(VolumeType::Sc1, 500, None, None, 1) - 7.5).abs() < 1e-9);
        // RDS's gp3 striped over four volumes includes 4 × 3,000 IOPS and 4 × 125 MiB/s:
        // 500 GiB at its 12,000 IOPS and 500 MiB/s pays the size alone, $40; at 16,000 IOPS
        // and 1,000 MiB/s, $40 + 4,000 × $0.005 + 500 × $0.04 = $80.
        let striped = |iops, mibps| monthly_usd(VolumeType::Gp3, 500, Some(iops), Some(mibps), 4);
        assert!((striped(12_000, 500) - 40.0).abs() < 1e-9);
        assert!((striped(16_000, 1_000) - 80.0).abs() < 1e-9);
    }
}
