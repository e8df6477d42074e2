//! EC2 instance types and RDS instance classes: size, relative speed and price.
//!
//! aws-facts: §4 instance families: the seed table covers every family of the "F I G H T D R M
//! C P X" mnemonic (plus Z and Inf). Sizes, memory and on-demand prices are the facts' (third
//! party tables, us-east-1, Linux); sizes beyond `.large` in the m, c and r families are derived
//! by AWS's own rule within those families: each size up doubles vCPUs, memory and price.
//!
//! Prices not in the facts, each with its source beside it (third-party, us-east-1, on
//! demand, 2026): m7g.large; t4g.micro, .small, .medium and .large; r7g.large; c7i.large;
//! db.t4g.micro, .small and .medium; db.m6g.large, db.r6g.large and db.r7g.large. Their
//! vCPUs and memory are AWS's instance-type pages'; their `speed` is that of the catalogue's
//! family of the same processor generation (Graviton2 as r6g, Graviton3 as c7g, 4th-generation
//! Xeon as m7i), a choice. The burstable t4g and db.t4g earn and spend CPU credits, which are
//! not modelled (as for t3).
//!
//! Not in the facts, chosen here and said so:
//! - `speed`, the CPU work one vCPU does per second relative to an m5 vCPU, from the
//!   processor generation (public single-thread benchmarks, rounded): a request's `work` is
//!   stated in m5-seconds and takes `work / speed` on the chosen type;
//! - spot and reserved prices, as fractions of on-demand: spot at 35 % (the typical 60–70 %
//!   discount) and a 1-year no-upfront reservation at 63 %. A scenario can override both.

/// One EC2 instance type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstanceType {
    /// Virtual CPUs [vCPUs].
    pub vcpus: u32,
    /// Memory [GiB].
    pub memory_gib: f64,
    /// CPU work per vCPU-second relative to m5.
    pub speed: f64,
    /// On-demand price, USD per hour.
    pub on_demand_hourly: f64,
}

/// The price of spot capacity as a fraction of on-demand (see the module note).
pub const SPOT_FRACTION: f64 = 0.35;
/// The price of a 1-year no-upfront reservation as a fraction of on-demand.
pub const RESERVED_FRACTION: f64 = 0.63;

/// (name, vCPU, GiB, speed, $/h); aws-facts: §4 instance families table.
const EC2: &[Row] = &[
    ("t3.micro", 2, 1.0, 1.0, 0.0104),
    ("t3.medium", 2, 4.0, 1.0, 0.0416),
    ("m5.large", 2, 8.0, 1.0, 0.096),
    ("m6i.large", 2, 8.0, 1.15, 0.096),
    ("m7i.large", 2, 8.0, 1.3, 0.1008),
    ("c5.large", 2, 4.0, 1.1, 0.085),
    ("c6i.large", 2, 4.0, 1.2, 0.085),
    ("c7g.large", 2, 4.0, 1.25, 0.0725),
    // Graviton3, speed as c7g's. Price not in aws-facts: 0.0816 $/h from factualminds.com,
    // "Amazon EC2 On-Demand Pricing" (2026-06-17), us-east-1 Linux.
    ("m7g.large", 2, 8.0, 1.25, 0.0816),
    // Graviton3, speed as c7g's; 16 GiB (AWS's R7g page). Price not in aws-facts: 0.1071 $/h
    // from github.com/getnable/finopsmcp, src/finops/aws_prices.py `EC2_HOURLY` (checked
    // there against AWS's Price List offer file 20260924211011), us-east-1 Linux.
    ("r7g.large", 2, 16.0, 1.25, 0.1071),
    // 4th-generation Xeon (Sapphire Rapids), speed as m7i's; 4 GiB (AWS's C7i page). Price
    // not in aws-facts: 0.08925 $/h from the same table (finopsmcp `EC2_HOURLY`).
    ("c7i.large", 2, 4.0, 1.3, 0.08925),
    // Graviton2 burstable, speed as r6g's; 2 vCPUs each, 1, 2, 4 and 8 GiB (AWS's T4g page).
    // Prices not in aws-facts: 0.0084, 0.0168, 0.0336, 0.0672 $/h from the same table
    // (finopsmcp `EC2_HOURLY`).
    ("t4g.micro", 2, 1.0, 1.05, 0.0084),
    ("t4g.small", 2, 2.0, 1.05, 0.0168),
    ("t4g.medium", 2, 4.0, 1.05, 0.0336),
    ("t4g.large", 2, 8.0, 1.05, 0.0672),
    ("r5.large", 2, 16.0, 1.0, 0.126),
    ("r6i.large", 2, 16.0, 1.15, 0.126),
    ("r6g.large", 2, 16.0, 1.05, 0.1008),
    ("i3.large", 2, 15.25, 0.9, 0.156),
    ("g4dn.xlarge", 4, 16.0, 1.0, 0.526),
    ("g5.xlarge", 4, 16.0, 1.1, 1.006),
    ("p3.2xlarge", 8, 61.0, 0.9, 3.06),
    ("inf1.xlarge", 4, 8.0, 1.0, 0.228),
    ("x1e.xlarge", 4, 122.0, 0.85, 0.834),
    ("f1.2xlarge", 8, 122.0, 0.85, 1.65),
    ("h1.2xlarge", 8, 32.0, 0.9, 0.468),
    ("d3.xlarge", 4, 32.0, 1.0, 0.499),
    ("z1d.large", 2, 16.0, 1.25, 0.186),
];

/// Families whose larger sizes follow by doubling from `.large`.
const DOUBLING_FAMILIES: &[&str] = &[
    "m5", "m6i", "m7i", "m7g", "c5", "c6i", "c7g", "c7i", "r5", "r6i", "r6g", "r7g",
];
/// Sizes above `.large` and their multiple of it.
const SIZES: &[(&str, u32)] = &[
    ("xlarge", 2),
    ("2xlarge", 4),
    ("4xlarge", 8),
    ("8xlarge", 16),
];

/// Every instance type name the table knows, for error messages.
pub fn ec2_names() -> Vec<String> {
    let mut names: Vec<String> = EC2.iter().map(|e| e.0.to_string()).collect();
    for f in DOUBLING_FAMILIES {
        for (s, _) in SIZES {
            names.push(format!("{f}.{s}"));
        }
    }
    names
}

/// A row of a price table: (name, vCPU, GiB, speed, $/h).
type Row = (&'static str, u32, f64, f64, f64);

/// Finds `name` in `table`, or derives it from the `.large` row of a family in `doubling`:
/// the row and its multiple.
fn find(table: &'static [Row], doubling: &[&str], name: &str) -> Option<(&'static Row, u32)> {
    if let Some(r) = table.iter().find(|r| r.0 == name) {
        return Some((r, 1));
    }
    let (family, size) = name.rsplit_once('.')?;
    let mult = SIZES.iter().find(|(s, _)| *s == size)?.1;
    if !doubling.contains(&family) {
        return None;
    }
    let base = table
        .iter()
        .find(|r| r.0.strip_suffix(".large") == Some(family))?;
    Some((base, mult))
}

/// Looks an EC2 instance type up by name.
pub fn ec2(name: &str) -> Option<InstanceType> {
    let (r, mult) = find(EC2, DOUBLING_FAMILIES, name)?;
    Some(InstanceType {
        vcpus: r.1 * mult,
        memory_gib: r.2 * f64::from(mult),
        speed: r.3,
        on_demand_hourly: r.4 * f64::from(mult),
    })
}

/// One RDS instance class (single-AZ price; Multi-AZ doubles it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DbClass {
    /// Virtual CPUs, each running one query's work at a time [vCPUs].
    pub vcpus: u32,
    /// Memory [GiB].
    pub memory_gib: f64,
    /// CPU work per vCPU-second relative to m5 [ratio]; a query's work takes `work / speed`.
    pub speed: f64,
    /// On-demand price of one single-AZ instance [USD/h].
    pub single_az_hourly: f64,
}

/// aws-facts: §4 (end): RDS single-AZ prices db.t3.micro 0.017, db.m5.large 0.171,
/// db.r5.large 0.24 $/h; larger m5 and r5 sizes double from `.large`.
const RDS: &[Row] = &[
    ("db.t3.micro", 2, 1.0, 1.0, 0.017),
    ("db.m5.large", 2, 8.0, 1.0, 0.171),
    ("db.r5.large", 2, 16.0, 1.0, 0.24),
    // Graviton2 (speed chosen as r6g's). Prices not in aws-facts: single-AZ PostgreSQL
    // 0.016, 0.032 and 0.065 $/h from infratally.com, "AWS RDS pricing explained" (2026),
    // us-east-1; burstable credits are not modelled.
    ("db.t4g.micro", 2, 1.0, 1.05, 0.016),
    ("db.t4g.small", 2, 2.0, 1.05, 0.032),
    ("db.t4g.medium", 2, 4.0, 1.05, 0.065),
    // Graviton2 (speed as r6g's) and Graviton3 (as c7g's); 8, 16 and 16 GiB (AWS's RDS
    // instance-class table). Prices not in aws-facts: single-AZ 0.152, 0.215 and 0.239 $/h
    // from github.com/getnable/finopsmcp, src/finops/aws_prices.py `RDS_HOURLY` (its rate for
    // MySQL, PostgreSQL and MariaDB, checked there against AWS's Price List offer file
    // 20260924211011), us-east-1.
    ("db.m6g.large", 2, 8.0, 1.05, 0.152),
    ("db.r6g.large", 2, 16.0, 1.05, 0.215),
    ("db.r7g.large", 2, 16.0, 1.25, 0.239),
];

/// RDS families whose larger sizes follow by doubling from `.large`.
const RDS_DOUBLING: &[&str] = &["db.m5", "db.r5", "db.m6g", "db.r6g", "db.r7g"];

/// What to say of `name`, which is not among `known` (instance types or DB classes): the
/// nearest known name where it is of the same family (`db.r5.larg`: `db.r5.large`), else
/// the sizes of its family archsim knows (`t3.large`: t3.micro and t3.medium, the sizes
/// aws-facts prices), else the nearest name of any family.
pub fn unknown_hint(name: &str, known: &[String]) -> String {
    let family = |n: &str| n.rsplit_once('.').map_or("", |(f, _)| f).to_string();
    let mine = family(name);
    let near = crate::text::nearest(name, known.iter().map(String::as_str));
    if near.is_some_and(|n| family(n) == mine) || mine.is_empty() {
        return crate::text::did_you_mean(name, known.iter().map(String::as_str));
    }
    let sizes: Vec<&str> = known
        .iter()
        .filter(|k| family(k) == mine)
        .map(String::as_str)
        .collect();
    match sizes.as_slice() {
        [] => crate::text::did_you_mean(name, known.iter().map(String::as_str)),
        [one] => format!(" (of {mine}, archsim has {one} alone: the sizes it has prices for)"),
        [rest @ .., last] => format!(
            " (of {mine}, archsim has {} and {last}: the sizes it has prices for)",
            rest.join(", ")
        ),
    }
}

/// Every RDS instance class name the table knows, for error messages and the schema.
pub fn rds_names() -> Vec<String> {
    let mut names: Vec<String> = RDS.iter().map(|r| r.0.to_string()).collect();
    for f in RDS_DOUBLING {
        for (s, _) in SIZES {
            names.push(format!("{f}.{s}"));
        }
    }
    names
}

/// Looks an RDS instance class up by name.
pub fn rds(name: &str) -> Option<DbClass> {
    let (r, mult) = find(RDS, RDS_DOUBLING, name)?;
    Some(DbClass {
        vcpus: r.1 * mult,
        memory_gib: r.2 * f64::from(mult),
        speed: r.3,
        single_az_hourly: r.4 * f64::from(mult),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_of_the_mnemonic_is_in_the_table() {
        // F I G H T D R M C P X, by their family letter.
        for letter in ["f", "i", "g", "h", "t", "d", "r", "m", "c", "p", "x"] {
            assert!(
                EC2.iter().any(|r| r.0.starts_with(letter)),
                "no family starting with {letter}"
            );
        }
    }

    #[test]
    fn graviton_and_current_classes_are_priced_from_their_sources() {
        let m7g = ec2("m7g.large").unwrap();
        assert_eq!(
            (m7g.vcpus, m7g.memory_gib, m7g.on_demand_hourly),
            (2, 8.0, 0.0816)
        );
        assert!((ec2("m7g.2xlarge").unwrap().on_demand_hourly - 4.0 * 0.0816).abs() < 1e-12);
        for (name, gib, price) in [
            ("db.t4g.micro", 1.0, 0.016),
            ("db.t4g.small", 2.0, 0.032),
            ("db.t4g.medium", 4.0, 0.065),
        ] {
            let c = rds(name).unwrap();
            assert_eq!(
                (c.vcpus, c.memory_gib, c.single_az_hourly),
                (2, gib, price),
                "{name}"
            );
        }
        for (name, vcpus, gib, speed, price) in [
            ("t4g.micro", 2, 1.0, 1.05, 0.0084),
            ("t4g.small", 2, 2.0, 1.05, 0.0168),
            ("t4g.medium", 2, 4.0, 1.05, 0.0336),
            ("t4g.large", 2, 8.0, 1.05, 0.0672),
            ("r7g.large", 2, 16.0, 1.25, 0.1071),
            ("c7i.large", 2, 4.0, 1.3, 0.08925),
        ] {
            let t = ec2(name).unwrap();
            assert_eq!(
                (t.vcpus, t.memory_gib, t.speed, t.on_demand_hourly),
                (vcpus, gib, speed, price),
                "{name}"
            );
        }
        // AWS's rule within a family: r7g.2xlarge is four r7g.large (0.4284 $/h in the same
        // source); the t family does not double here (no t4g.xlarge row).
        assert!((ec2("r7g.2xlarge").unwrap().on_demand_hourly - 0.4284).abs() < 1e-12);
        assert!((ec2("c7i.xlarge").unwrap().on_demand_hourly - 0.1785).abs() < 1e-12);
        assert_eq!(ec2("t4g.xlarge"), None);
        for (name, gib, speed, price) in [
            ("db.m6g.large", 8.0, 1.05, 0.152),
            ("db.r6g.large", 16.0, 1.05, 0.215),
            ("db.r7g.large", 16.0, 1.25, 0.239),
        ] {
            let c = rds(name).unwrap();
            assert_eq!(
                (c.vcpus, c.memory_gib, c.speed, c.single_az_hourly),
                (2, gib, speed, price),
                "{name}"
            );
        }
        // 0.43 and 0.478 $/h in the same source: twice the large.
        assert!((rds("db.r6g.xlarge").unwrap().single_az_hourly - 0.43).abs() < 1e-12);
        assert!((rds("db.r7g.xlarge").unwrap().single_az_hourly - 0.478).abs() < 1e-12);
    }

    #[test]
    fn derived_sizes_double() {
        let l = ec2("m5.large").unwrap();
        let x4 = ec2("m5.4xlarge").unwrap();
        assert_eq!(x4.vcpus, 16);
        assert!((x4.on_demand_hourly - 8.0 * l.on_demand_hourly).abs() < 1e-12);
        assert_eq!(ec2("t3.4xlarge"), None);
        assert_eq!(rds("db.r5.2xlarge").unwrap().vcpus, 8);
        assert_eq!(rds("db.t3.xlarge"), None);
        for n in ec2_names() {
            assert!(ec2(&n).is_some(), "{n}");
        }
        for n in rds_names() {
            assert!(rds(&n).is_some(), "{n}");
        }
    }
}
