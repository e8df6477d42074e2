//! What a volume's host makes of it. An EC2 instance takes a volume as EBS documents it
//! (aws-facts §11). An RDS DB instance's storage follows RDS's own rules, by engine (AWS,
//! "Amazon RDS DB instance storage",
//! https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html; aws-facts §5
//! does not restate them): it is gp2, gp3, io1 or io2 (magnetic storage is not modelled), of
//! at least 20 GiB of General Purpose SSD or 100 GiB of Provisioned IOPS SSD, and from a
//! size that depends on the engine it is striped over four volumes. On gp3 that striping is
//! what makes the baseline 12,000 IOPS and 500 MiB/s instead of 3,000 and 125, and below it
//! gp3 takes no provisioned IOPS or throughput (but on SQL Server, which never stripes).

use super::config::{self, Settled, Sizing, VolumeType, GP3_IOPS_PER_GIB, GP3_IOPS_PER_MIBPS};
use crate::config::Checker;
use toml::Spanned;

/// The host of a component's volumes, as `Kind::volume_host` tells it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VolumeHost {
    /// An EC2 instance: a volume as EBS documents it.
    Ec2,
    /// An RDS DB instance, whose storage follows RDS's rules for its engine.
    Rds(RdsStorage),
}

/// gp3's provisioned IOPS and throughput on RDS, where it takes them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gp3Provisioning {
    /// Its baseline: the IOPS and throughput it has unless more are provisioned [IOPS, MiB/s].
    pub baseline: (u32, u32),
    /// The IOPS it may be provisioned with, least and most [IOPS].
    pub iops: (u32, u32),
    /// The throughput it may be provisioned with, least and most [MiB/s].
    pub mibps: (u32, u32),
    /// The fewest IOPS per GiB of storage it takes [IOPS/GiB].
    pub least_iops_per_gib: f64,
}

/// RDS's rules for a DB instance's storage (not Aurora's, which is no EBS).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RdsStorage {
    /// The engine, as `engine` says it, for messages.
    pub engine: &'static str,
    /// The storage size from which RDS stripes it over four volumes [GiB]; `None`: never.
    pub stripes_from_gib: Option<u32>,
    /// The most storage it takes [GiB].
    pub max_gib: u32,
    /// gp3's provisioning where the storage is not striped; `None`: only its baseline.
    pub gp3_unstriped: Option<Gp3Provisioning>,
    /// Whether raising gp3's IOPS above 32,000 raises its least throughput with them, at
    /// 16 KiB per I/O (MariaDB and MySQL).
    pub gp3_throughput_follows_iops: bool,
}

/// AWS (page above): RDS's storage striped over four volumes.
pub const RDS_STRIPES: u32 = 4;
/// AWS (page above), General Purpose SSD: MariaDB, MySQL, Oracle, PostgreSQL and SQL Server
/// take at least 20 GiB ...
const RDS_GENERAL_PURPOSE_LEAST_GIB: i64 = 20;
/// ... and Provisioned IOPS SSD at least 100 GiB (the page's comparison table; the
/// CreateDBInstance API's AllocatedStorage constraints agree).
const RDS_PROVISIONED_LEAST_GIB: i64 = 100;
/// AWS (page above), gp3 storage table: where the storage is striped, gp3's baseline is
/// 12,000 IOPS and 500 MiB/s, and it takes 12,000 to 64,000 IOPS and 500 to 4,000 MiB/s,
/// for every engine that stripes.
pub const RDS_STRIPED_GP3: Gp3Provisioning = Gp3Provisioning {
    baseline: (12_000, 500),
    iops: (12_000, 64_000),
    mibps: (500, 4_000),
    least_iops_per_gib: 0.0,
};
/// Same page: gp3's baseline where the storage is not striped.
const RDS_GP3_BASELINE: (u32, u32) = (3_000, 125);
/// Same page: on MariaDB and MySQL, IOPS above 32,000 raise the least throughput ("when you
/// set the IOPS to 40,000 on RDS for MySQL, the storage throughput must be at least
/// 625 MiBps"): 16 KiB per I/O, one MiB/s per 64 IOPS.
const FOLLOWS_ABOVE_IOPS: u32 = 32_000;
const IOPS_PER_FOLLOWED_MIBPS: u32 = 64;

/// A DB instance's storage on RDS: its type, size, stripes, IOPS, throughput and burst
/// credits, checked against `r`'s rules.
pub(super) fn settle_rds(
    t: VolumeType,
    r: &RdsStorage,
    raw: &Sizing,
    ck: &mut Checker,
) -> Option<Settled> {
    let general = matches!(t, VolumeType::Gp2 | VolumeType::Gp3);
    if t.hdd() {
        ck.error(
            raw.volume_type.clone(),
            format!(
                "RDS for {} stores on gp2, gp3, io1 or io2 (AWS, Amazon RDS DB instance storage), not {}: an HDD volume is for an Auto Scaling group's instances",
                r.engine,
                t.name()
            ),
        );
        return None;
    }
    let least = if general {
        RDS_GENERAL_PURPOSE_LEAST_GIB
    } else {
        RDS_PROVISIONED_LEAST_GIB
    };
    let size = *raw.size_gib.get_ref();
    if size < least || size > i64::from(r.max_gib) {
        ck.error(
            raw.size_gib.span(),
            format!(
                "RDS for {} takes {} storage of {least} to {} GiB (AWS, Amazon RDS DB instance storage), not {size}",
                r.engine,
                t.name(),
                r.max_gib
            ),
        );
        return None;
    }
    let stripes = if general && r.stripes_from_gib.is_some_and(|g| size >= i64::from(g)) {
        RDS_STRIPES
    } else {
        1
    };
    let (iops, throughput) = if t == VolumeType::Gp3 {
        let (iops, mibps) = gp3(r, size, stripes, raw, ck)?;
        (Some(Some(iops)), Some(Some(mibps)))
    } else {
        // gp2's IOPS follow its size; io1's and io2's are provisioned as on EBS.
        let iops = config::iops(ck, t, size, &raw.iops, raw.table.clone());
        let throughput = config::throughput(ck, t, iops.flatten(), &raw.throughput_mibps);
        (iops, throughput)
    };
    let credits = config::burst_credits(ck, t, size, stripes, &raw.burst_credits);
    Some(Settled {
        size_gib: size as u32,
        stripes,
        iops: iops?,
        throughput_mibps: throughput?,
        burst_credits: credits?,
    })
}

/// gp3's IOPS and throughput on RDS: its baseline, or what is provisioned where RDS takes it
/// (striped storage; SQL Server at any size).
fn gp3(
    r: &RdsStorage,
    size: i64,
    stripes: u32,
    raw: &Sizing,
    ck: &mut Checker,
) -> Option<(u32, u32)> {
    let p = if stripes > 1 {
        RDS_STRIPED_GP3
    } else if let Some(p) = r.gp3_unstriped {
        p
    } else {
        return gp3_baseline_only(r, raw, ck);
    };
    let iops = match &raw.iops {
        None => i64::from(p.baseline.0),
        Some(v) => {
            let x = ck.int_in(v, "iops", p.iops.0.into(), p.iops.1.into())?;
            // AWS (page above): at most 500 IOPS per GiB on every engine.
            let most = GP3_IOPS_PER_GIB * size;
            if x > most {
                ck.error(
                    v.span(),
                    format!("`iops` on gp3 is at most {GP3_IOPS_PER_GIB} IOPS per GiB: {most} for {size} GiB, not {x}"),
                );
                return None;
            }
            x
        }
    };
    // AWS (page above): on SQL Server, at least 0.5 IOPS per GiB.
    let fewest = (p.least_iops_per_gib * size as f64).ceil() as i64;
    if iops < fewest {
        let span = raw.iops.as_ref().map_or(raw.size_gib.span(), Spanned::span);
        ck.error(
            span,
            format!(
                "RDS for {} takes gp3 storage with at least {} IOPS per GiB (AWS, Amazon RDS DB instance storage): set `iops` to at least {fewest} for {size} GiB, not {iops}",
                r.engine, p.least_iops_per_gib
            ),
        );
        return None;
    }
    let iops = iops as u32;
    let follows = (r.gp3_throughput_follows_iops && iops > FOLLOWS_ABOVE_IOPS)
        .then(|| iops.div_ceil(IOPS_PER_FOLLOWED_MIBPS));
    let mibps = match &raw.throughput_mibps {
        None => p.baseline.1.max(follows.unwrap_or(0)),
        Some(v) => {
            let x = ck.int_in(v, "throughput_mibps", p.mibps.0.into(), p.mibps.1.into())? as u32;
            // AWS (page above): at most 0.25 MiB/s per IOPS on every engine.
            let most = iops / GP3_IOPS_PER_MIBPS as u32;
            if x > most {
                ck.error(
                    v.span(),
                    format!("`throughput_mibps` on gp3 is at most 0.25 MiB/s per provisioned IOPS: {most} for {iops} IOPS, not {x}; provision more `iops`"),
                );
                return None;
            }
            if let Some(least) = follows.filter(|least| x < *least) {
                ck.error(
                    v.span(),
                    format!(
                        "RDS for {} raises gp3's throughput with IOPS above 32,000, at 16 KiB per I/O (AWS, Amazon RDS DB instance storage): at least {least} MiB/s for {iops} IOPS, not {x}",
                        r.engine
                    ),
                );
                return None;
            }
            x
        }
    };
    Some((iops, mibps))
}

/// gp3 on unstriped storage of an engine that provisions nothing there: its baseline, and a
/// written `iops` or `throughput_mibps` other than it refused.
fn gp3_baseline_only(r: &RdsStorage, raw: &Sizing, ck: &mut Checker) -> Option<(u32, u32)> {
    let (iops, mibps) = RDS_GP3_BASELINE;
    let from = r
        .stripes_from_gib
        .map_or(String::new(), |g| format!(" from {g} GiB"));
    let or = r.stripes_from_gib.map_or(String::new(), |g| {
        format!(", or make `size_gib` at least {g}")
    });
    let mut fine = true;
    for (v, key, baseline) in [
        (&raw.iops, "iops", iops),
        (&raw.throughput_mibps, "throughput_mibps", mibps),
    ] {
        if let Some(v) = v.as_ref().filter(|v| *v.get_ref() != i64::from(baseline)) {
            ck.error(
                v.span(),
                format!(
                    "RDS for {} provisions gp3 IOPS and throughput only{from}, where it stripes the storage over four volumes (baseline 12,000 IOPS and 500 MiB/s, provisioned 12,000 to 64,000 IOPS and 500 to 4,000 MiB/s); under that, gp3 storage has its baseline of {iops} IOPS and {mibps} MiB/s (AWS, Amazon RDS DB instance storage): leave `{key}` out{or}",
                    r.engine
                ),
            );
            fine = false;
        }
    }
    fine.then_some((iops, mibps))
}
