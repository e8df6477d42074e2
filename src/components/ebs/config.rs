//! The `ebs` table: its keys as written, and the validated config.

use super::host::VolumeHost;
use super::volume::{Credits, VolumeSpec};
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEbs {
    attached_to: Spanned<String>,
    volume_type: Spanned<String>,
    size_gib: Spanned<i64>,
    iops: Option<Spanned<i64>>,
    throughput_mibps: Option<Spanned<i64>>,
    burst_credits: Option<Spanned<f64>>,
    ios_per_read: Option<Spanned<i64>>,
    ios_per_write: Option<Spanned<i64>>,
    io_size_kib: Option<Spanned<i64>>,
    io_latency: Option<Spanned<RawDist>>,
    write_ops: Option<Vec<Spanned<String>>>,
}

/// The words `volume_type` takes.
pub(super) const VOLUME_TYPES: &[&str] = &["gp2", "gp3", "io1", "io2", "st1", "sc1"];

/// aws-facts: §11 EBS gp2: a bucket of 5.4 million I/O credits, full when the volume is
/// created.
pub const GP2_BUCKET: f64 = 5_400_000.0;
/// aws-facts: §11 EBS gp2: volumes burst to 3,000 IOPS.
pub const GP2_BURST_IOPS: f64 = 3_000.0;
/// AWS's General Purpose SSD page (ebs: general-purpose.html, not in aws-facts): a gp3
/// volume takes at most 500 provisioned IOPS per GiB ...
pub(super) const GP3_IOPS_PER_GIB: i64 = 500;
/// ... and at most 0.25 MiB/s of provisioned throughput per provisioned IOPS: one MiB/s
/// per 4 IOPS.
pub(super) const GP3_IOPS_PER_MIBPS: i64 = 4;
/// The most I/Os `ios_per_read` and `ios_per_write` may set: each is a step of a loop when a
/// request reaches its volume (`crate::limits`).
pub(super) use crate::limits::MAX_EBS_IOS_PER_REQUEST;

/// A volume type, with what AWS documents of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeType {
    /// General Purpose SSD, IOPS by size with a burst bucket.
    Gp2,
    /// General Purpose SSD, IOPS and throughput provisioned apart from size.
    Gp3,
    /// Provisioned IOPS SSD.
    Io1,
    /// Provisioned IOPS SSD, Block Express.
    Io2,
    /// Throughput Optimized HDD, with a throughput-credit bucket.
    St1,
    /// Cold HDD, with a throughput-credit bucket.
    Sc1,
}

impl VolumeType {
    pub(super) fn of(word: &str) -> VolumeType {
        match word {
            "gp2" => VolumeType::Gp2,
            "gp3" => VolumeType::Gp3,
            "io1" => VolumeType::Io1,
            "io2" => VolumeType::Io2,
            "st1" => VolumeType::St1,
            _ => VolumeType::Sc1,
        }
    }

    /// Its name, as `volume_type` says it.
    pub fn name(self) -> &'static str {
        match self {
            VolumeType::Gp2 => "gp2",
            VolumeType::Gp3 => "gp3",
            VolumeType::Io1 => "io1",
            VolumeType::Io2 => "io2",
            VolumeType::St1 => "st1",
            VolumeType::Sc1 => "sc1",
        }
    }

    /// Whether it is an HDD type, whose I/Os are counted up to 1 MiB each.
    pub fn hdd(self) -> bool {
        matches!(self, VolumeType::St1 | VolumeType::Sc1)
    }

    /// The sizes it takes [GiB]. AWS's volume-types page (the source of aws-facts §11, which
    /// does not restate them): gp2 and gp3 1 GiB–16 TiB, io1 4 GiB–16 TiB, io2 Block Express
    /// 4 GiB–64 TiB, st1 and sc1 125 GiB–16 TiB.
    pub fn sizes(self) -> (i64, i64) {
        match self {
            VolumeType::Gp2 | VolumeType::Gp3 => (1, 16_384),
            VolumeType::Io1 => (4, 16_384),
            VolumeType::Io2 => (4, 65_536),
            VolumeType::St1 | VolumeType::Sc1 => (125, 16_384),
        }
    }

    /// The provisioned IOPS it takes (least, most, most per GiB), for the types that take
    /// them. aws-facts: §11 EBS: gp3 from its 3,000 baseline to 16,000; io1 100–64,000 and at
    /// most 50 IOPS/GiB; io2 Block Express up to 256,000 and 1,000 IOPS/GiB (its least, 100,
    /// is io1's: aws-facts gives none of its own). gp3's 500 IOPS/GiB is from AWS's General
    /// Purpose SSD page (ebs: general-purpose.html, not in aws-facts); its 3,000 baseline
    /// comes at any size, so the ratio bounds only IOPS above it.
    pub(super) fn iops_bounds(self) -> Option<(i64, i64, i64)> {
        match self {
            VolumeType::Gp3 => Some((3_000, 16_000, GP3_IOPS_PER_GIB)),
            VolumeType::Io1 => Some((100, 64_000, 50)),
            VolumeType::Io2 => Some((100, 256_000, 1_000)),
            _ => None,
        }
    }
}

/// The keys whose bounds depend on the host (EBS's own for an EC2 instance, RDS's for a
/// database's engine), as written: settled by `EbsConfig::settle` once the host is known.
#[derive(Clone, Debug)]
pub(super) struct Sizing {
    pub(super) size_gib: Spanned<i64>,
    pub(super) iops: Option<Spanned<i64>>,
    pub(super) throughput_mibps: Option<Spanned<i64>>,
    pub(super) burst_credits: Option<Spanned<f64>>,
    /// Where `volume_type` is written.
    pub(super) volume_type: Range<usize>,
    /// Where the table starts, for a key it lacks.
    pub(super) table: Range<usize>,
}

/// A validated `ebs` component: the volume each instance of `attached_to` has.
#[derive(Clone, Debug)]
pub struct EbsConfig {
    /// The component whose instances have the volumes, by index (set by `parse`, checked by
    /// `relate`).
    pub host: usize,
    /// Where `attached_to` is written, for messages.
    pub host_span: Range<usize>,
    /// The host's id, for diagrams.
    pub host_id: String,
    /// The volume type.
    pub volume_type: VolumeType,
    /// The keys the host bounds, as written, until `settle` has read them.
    pub(super) sizing: Option<Sizing>,
    /// The storage's size: each instance's, over all its stripes [GiB]. This and the four
    /// fields below are set by `settle`, when the host is known.
    pub size_gib: u32,
    /// Volumes each instance's storage is striped over: 4 for an RDS instance's gp2 or gp3
    /// storage from its engine's threshold, else 1 [volumes].
    pub stripes: u32,
    /// Provisioned IOPS (gp3, io1, io2), all stripes together [IOPS]; `None` for the types
    /// whose IOPS follow size.
    pub iops: Option<u32>,
    /// Provisioned throughput (gp3), all stripes together [MiB/s].
    pub throughput_mibps: Option<u32>,
    /// The credits in each volume's bucket when it is attached: I/O credits (gp2) or MiB of
    /// throughput credits (st1, sc1) [credits].
    pub burst_credits: Option<f64>,
    /// I/Os a read makes on its instance's volume [I/Os].
    pub ios_per_read: u32,
    /// I/Os a write makes on its instance's volume [I/Os].
    pub ios_per_write: u32,
    /// The size of each I/O [KiB].
    pub io_size_kib: u32,
    /// Time from an I/O's dispatch by the volume to its completion [s].
    pub io_latency: Dist,
    /// The operations that are writes, for a host that does not say (an Auto Scaling group).
    pub write_ops: Vec<u16>,
}

/// aws-facts: §11 EBS gives a latency only for io2 (sub-millisecond, under 500 µs on
/// average): lognormal median 0.3 ms, p99 0.8 ms. For the others it is a choice: the SSD
/// types single-digit milliseconds at most (median 0.6 ms, p99 3 ms), the HDD types a few
/// milliseconds (median 5 ms, p99 20 ms).
fn default_latency(t: VolumeType) -> Dist {
    let (median, p99) = match t {
        VolumeType::Io2 => (0.000_3, 0.000_8),
        VolumeType::St1 | VolumeType::Sc1 => (0.005, 0.020),
        _ => (0.000_6, 0.003),
    };
    Dist::lognormal_median_p99(median, p99).expect("valid")
}

/// Reads and validates an `ebs` table; `None` when it has errors (reported on `ck`). Its
/// size, IOPS, throughput and burst credits are checked by `settle`, against its host's
/// rules.
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<EbsConfig> {
    let whole = table.span();
    let raw: RawEbs = ck.deserialize(table)?;
    let host = ck.component(&raw.attached_to, "attached_to");
    let vt = ck
        .one_of(&raw.volume_type, "volume_type", VOLUME_TYPES)
        .map(VolumeType::of);
    let per_io = (1, MAX_EBS_IOS_PER_REQUEST);
    let ios_per_read = ck.int_or(&raw.ios_per_read, "ios_per_read", per_io, 1);
    let ios_per_write = ck.int_or(&raw.ios_per_write, "ios_per_write", per_io, 1);
    let io_size = ck.int_or(&raw.io_size_kib, "io_size_kib", (1, 1_024), 16);
    let latency =
        vt.and_then(|t| ck.time_dist_or(&raw.io_latency, "io_latency", default_latency(t)));
    let write_ops = ck.write_ops(&raw.write_ops);
    Some(EbsConfig {
        host: host?,
        host_span: raw.attached_to.span(),
        host_id: raw.attached_to.get_ref().clone(),
        volume_type: vt?,
        sizing: Some(Sizing {
            size_gib: raw.size_gib,
            iops: raw.iops,
            throughput_mibps: raw.throughput_mibps,
            burst_credits: raw.burst_credits,
            volume_type: raw.volume_type.span(),
            table: whole.start..whole.start,
        }),
        size_gib: 0,
        stripes: 1,
        iops: None,
        throughput_mibps: None,
        burst_credits: None,
        ios_per_read: ios_per_read? as u32,
        ios_per_write: ios_per_write? as u32,
        io_size_kib: io_size? as u32,
        io_latency: latency?,
        write_ops,
    })
}

/// A volume on an EC2 instance, as EBS documents it (aws-facts §11): its type's sizes, its
/// IOPS, throughput and burst credits.
pub(super) fn settle_ec2(t: VolumeType, raw: &Sizing, ck: &mut Checker) -> Option<Settled> {
    let (lo, hi) = t.sizes();
    let size = ck.int_in(&raw.size_gib, "size_gib", lo, hi)?;
    let iops = iops(ck, t, size, &raw.iops, raw.table.clone());
    let throughput = throughput(ck, t, iops.flatten(), &raw.throughput_mibps);
    let credits = burst_credits(ck, t, size, 1, &raw.burst_credits);
    Some(Settled {
        size_gib: size as u32,
        stripes: 1,
        iops: iops?,
        throughput_mibps: throughput?,
        burst_credits: credits?,
    })
}

/// What `settle` finds: the storage's size, stripes, IOPS, throughput and starting credits.
pub(super) struct Settled {
    pub(super) size_gib: u32,
    pub(super) stripes: u32,
    pub(super) iops: Option<u32>,
    pub(super) throughput_mibps: Option<u32>,
    pub(super) burst_credits: Option<f64>,
}

/// `iops`: required for io1 and io2, optional for gp3, refused for the others.
pub(super) fn iops(
    ck: &mut Checker,
    t: VolumeType,
    size: i64,
    raw: &Option<Spanned<i64>>,
    table: Range<usize>,
) -> Option<Option<u32>> {
    let Some((lo, hi, per_gib)) = t.iops_bounds() else {
        if let Some(v) = raw {
            ck.error(
                v.span(),
                format!(
                    "`iops` is provisioned on gp3, io1 and io2 volumes; a {} volume's IOPS follow from its size",
                    t.name()
                ),
            );
            return None;
        }
        return Some(None);
    };
    let Some(v) = raw else {
        if t == VolumeType::Gp3 {
            // aws-facts: §11 EBS gp3: 3,000 IOPS at any size.
            return Some(Some(3_000));
        }
        ck.error(
            table,
            format!(
                "an {} volume needs `iops`: its provisioned IOPS, from {lo} to {hi} and at most {per_gib} per GiB",
                t.name()
            ),
        );
        return None;
    };
    let x = ck.int_in(v, "iops", lo, hi)?;
    // The least is allowed at any size (io1's and io2's least at their smallest size too).
    let most = (per_gib * size).max(lo);
    if x > most {
        ck.error(
            v.span(),
            format!(
                "`iops` on {} is at most {per_gib} IOPS per GiB: {most} for {size} GiB, not {x}",
                t.name()
            ),
        );
        return None;
    }
    Some(Some(x as u32))
}

/// `throughput_mibps`: gp3 only (aws-facts: §11 EBS gp3: 125 MiB/s, provisionable to
/// 1,000 MiB/s), at most 0.25 MiB/s per provisioned IOPS (`iops`, when it is valid).
pub(super) fn throughput(
    ck: &mut Checker,
    t: VolumeType,
    iops: Option<u32>,
    raw: &Option<Spanned<i64>>,
) -> Option<Option<u32>> {
    match (t, raw) {
        (VolumeType::Gp3, None) => Some(Some(125)),
        (VolumeType::Gp3, Some(v)) => {
            let x = ck.int_in(v, "throughput_mibps", 125, 1_000)?;
            if let Some(iops) = iops.map(i64::from) {
                let most = iops / GP3_IOPS_PER_MIBPS;
                if x > most {
                    ck.error(
                        v.span(),
                        format!(
                            "`throughput_mibps` on gp3 is at most 0.25 MiB/s per provisioned IOPS: {most} for {iops} IOPS, not {x}; provision more `iops`"
                        ),
                    );
                    return None;
                }
            }
            Some(Some(x as u32))
        }
        (_, None) => Some(None),
        (_, Some(v)) => {
            ck.error(
                v.span(),
                format!(
                    "`throughput_mibps` is provisioned on gp3 volumes only; a {} volume's throughput follows from its type and size",
                    t.name()
                ),
            );
            None
        }
    }
}

/// `burst_credits`: the bucket's balance when a volume is attached, for the types that have
/// a bucket (gp2 I/O credits, st1 and sc1 throughput credits), at most the bucket's size
/// (its stripes' buckets together).
pub(super) fn burst_credits(
    ck: &mut Checker,
    t: VolumeType,
    size: i64,
    stripes: u32,
    raw: &Option<Spanned<f64>>,
) -> Option<Option<f64>> {
    let Some(v) = raw else {
        return Some(None);
    };
    let spec = VolumeSpec::of(t, size as u32, None, None, stripes);
    let Some(Credits { capacity, .. }) = spec.iops_credits.or(spec.mib_credits) else {
        ck.error(
            v.span(),
            format!(
                "`burst_credits` is the balance of a burst bucket, which gp2, st1 and sc1 volumes have; a {} volume has none",
                t.name()
            ),
        );
        return None;
    };
    let x = ck.non_negative(v, "burst_credits", "credits")?;
    let what = if t.hdd() {
        "the volume's bucket of throughput credits, 1 MiB each"
    } else if stripes > 1 {
        "aws-facts: §11 EBS gp2: each bucket holds 5.4 million I/O credits, one per volume the storage is striped over"
    } else {
        "aws-facts: §11 EBS gp2: the bucket holds 5.4 million I/O credits"
    };
    ck.at_most(v, x, "burst_credits", capacity, what).map(Some)
}

impl EbsConfig {
    /// Checks its size, IOPS, throughput and burst credits against its host's rules, and
    /// sets them; false when one is wrong (reported on `ck`).
    pub(super) fn settle(&mut self, host: VolumeHost, ck: &mut Checker) -> bool {
        let Some(raw) = self.sizing.take() else {
            return true;
        };
        let settled = match host {
            VolumeHost::Ec2 => settle_ec2(self.volume_type, &raw, ck),
            VolumeHost::Rds(rules) => super::host::settle_rds(self.volume_type, &rules, &raw, ck),
        };
        let Some(s) = settled else {
            return false;
        };
        self.size_gib = s.size_gib;
        self.stripes = s.stripes;
        self.iops = s.iops;
        self.throughput_mibps = s.throughput_mibps;
        self.burst_credits = s.burst_credits;
        true
    }

    /// The performance of each instance's storage (its stripes together).
    pub fn spec(&self) -> VolumeSpec {
        VolumeSpec::of(
            self.volume_type,
            self.size_gib,
            self.iops,
            self.throughput_mibps,
            self.stripes,
        )
    }

    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let spec = self.spec();
        let mut first = format!("{} {} GiB", self.volume_type.name(), self.size_gib);
        if self.stripes > 1 {
            first += &format!(" striped over {}", self.stripes);
        }
        if let Some(c) = &spec.iops_credits {
            first += &format!(", {:.0} IOPS, burst {:.0}", c.refill, spec.peak_iops);
        } else if spec.mib_credits.is_none() {
            first += &format!(", {:.0} IOPS", spec.peak_iops);
        }
        let second = match &spec.mib_credits {
            Some(c) => format!("{:.0} MiB/s, burst {:.0}", c.refill, spec.peak_mibps),
            None => format!("{:.0} MiB/s", spec.peak_mibps),
        };
        vec![
            first,
            second,
            format!("a volume per instance of {}", self.host_id),
        ]
    }
}
