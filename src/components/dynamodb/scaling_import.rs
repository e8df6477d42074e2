//! What `archsim import` makes of Application Auto Scaling's scalable targets and scaling
//! policies (CloudFormation's `AWS::ApplicationAutoScaling::*`, Terraform's
//! `aws_appautoscaling_*`) that scale a table's read or write capacity: the table's
//! `autoscaling = { target, max_rcu, max_wcu }`. The table's mapping reads them (they are no
//! component of their own); one that scales anything else is said not to be simulated.

use crate::components::iac::{clamp, Dialect, Mapped, Resource};

use super::autoscaling::{TARGET_MAX, TARGET_MIN};

/// The scalable targets' types, CloudFormation's and Terraform's.
pub(super) const TARGETS: &[&str] = &[
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "aws_appautoscaling_target",
];
/// The scaling policies' types.
pub(super) const POLICIES: &[&str] = &[
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "aws_appautoscaling_policy",
];

/// The service namespace of a table's scalable dimensions.
const NAMESPACE: &str = "dynamodb";

/// A table's capacity, as Application Auto Scaling names its dimensions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Read,
    Write,
}

impl Side {
    /// The side a scalable dimension scales, and whether it is an index's rather than the
    /// table's.
    fn of(dimension: &str) -> Option<(Side, bool)> {
        let (what, units) = dimension.strip_prefix("dynamodb:")?.split_once(':')?;
        let side = match units {
            "ReadCapacityUnits" => Side::Read,
            "WriteCapacityUnits" => Side::Write,
            _ => return None,
        };
        Some((side, what == "index"))
    }

    /// The table's key for its most units.
    fn max_key(self) -> &'static str {
        match self {
            Side::Read => "max_rcu",
            Side::Write => "max_wcu",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Side::Read => "reads",
            Side::Write => "writes",
        }
    }
}

/// A scalable target's or policy's service namespace and scalable dimension, as written.
fn scaled<'a>(r: &Resource<'a>) -> (Option<&'a str>, Option<&'a str>) {
    (
        r.known_text(r.key("ServiceNamespace", "service_namespace")),
        r.known_text(r.key("ScalableDimension", "scalable_dimension")),
    )
}

/// Whether `r`'s resource id (`table/<name>`) names table `t`: a reference to it, or its
/// name written out.
fn names_table(r: &Resource<'_>, t: &Resource<'_>) -> bool {
    let id = r.key("ResourceId", "resource_id");
    if r.refs(id).iter().any(|n| n == t.name) {
        return true;
    }
    let name = t.text("TableName").or_else(|| t.text("name"));
    match (r.known_text(id), name) {
        (Some(written), Some(name)) => written.strip_prefix("table/") == Some(name),
        _ => false,
    }
}

/// A target-tracking policy's target (a percent) and the cooldowns it sets, as written.
struct Policy<'a> {
    name: &'a str,
    target: Option<f64>,
    cooldowns: Vec<&'static str>,
}

/// What a scaling policy says, `None` (with a note) when it is not target tracking.
fn policy<'a>(p: &Resource<'a>, m: &mut Mapped) -> Option<Policy<'a>> {
    let config = p.key(
        "TargetTrackingScalingPolicyConfiguration",
        "target_tracking_scaling_policy_configuration",
    );
    if p.get(config).is_none() {
        m.note(format!(
            "scaling policy {} is not target tracking: archsim's tables scale by target tracking only, so it is left out",
            p.name
        ));
        return None;
    }
    let target = p.num(&format!(
        "{config}.{}",
        p.key("TargetValue", "target_value")
    ));
    let cooldowns = [
        ("ScaleInCooldown", "scale_in_cooldown"),
        ("ScaleOutCooldown", "scale_out_cooldown"),
    ]
    .into_iter()
    .map(|(cf, tf)| p.key(cf, tf))
    .filter(|k| {
        p.get(&format!("{config}.{k}"))
            .is_some_and(|v| !v.is_null())
    })
    .collect();
    Some(Policy {
        name: p.name,
        target,
        cooldowns,
    })
}

/// A scalable target's literal maximum, and where it was read (for the comment).
type Maximum = (f64, String);

/// A table's scalable targets and target-tracking policies, read into its `autoscaling`
/// (`units`: the table's read and write units as mapped, when they are literal).
pub(super) fn table_scaling(
    t: &Resource<'_>,
    m: &mut Mapped,
    on_demand: bool,
    units: (Option<f64>, Option<f64>),
) {
    let mut sides: Vec<(Side, Resource<'_>)> = Vec::new();
    for o in t.others().filter(|o| TARGETS.contains(&o.kind)) {
        let (namespace, dimension) = scaled(&o);
        if namespace != Some(NAMESPACE) || !names_table(&o, t) {
            continue;
        }
        match dimension.and_then(Side::of) {
            Some((side, false)) if !sides.iter().any(|(s, _)| *s == side) => {
                sides.push((side, o));
            }
            _ => {}
        }
    }
    if sides.is_empty() {
        return;
    }
    if on_demand {
        m.note(format!(
            "{}'s scalable targets are left out: it is on demand, whose capacity Application Auto Scaling does not scale",
            t.name
        ));
        return;
    }
    // Each side's target value, from a target-tracking policy of its scalable target, and
    // its maximum when the target's is literal.
    let mut tracked: Vec<(Side, f64, &str, Option<Maximum>)> = Vec::new();
    for (side, target) in &sides {
        let policies: Vec<Resource<'_>> = t
            .others()
            .filter(|p| POLICIES.contains(&p.kind) && scales(p, target, t, *side))
            .collect();
        // Every policy is read, so that each one left out is said.
        let tracking: Vec<Policy<'_>> = policies.iter().filter_map(|p| policy(p, m)).collect();
        for extra in tracking.iter().skip(1) {
            m.note(format!(
                "scaling policy {} is left out: archsim's table has one target-tracking policy for its {}, {}'s",
                extra.name,
                side.words(),
                tracking[0].name
            ));
        }
        let Some(p) = tracking.into_iter().next() else {
            m.note(format!(
                "{}'s scalable target {} has no target-tracking policy: its {} are not scaled",
                t.name,
                target.name,
                side.words()
            ));
            continue;
        };
        let Some(value) = p.target.filter(|v| *v > 0.0) else {
            m.note(format!(
                "scaling policy {}'s target value is not a literal in the template: its {} are not scaled",
                p.name,
                side.words()
            ));
            continue;
        };
        if !p.cooldowns.is_empty() {
            m.note(format!(
                "scaling policy {}'s {} not simulated: archsim's table scales out after `autoscaling.lag` (2 minutes unless set) and in after 15 minutes under its target",
                p.name,
                match p.cooldowns.as_slice() {
                    [one] => format!("{one} is"),
                    many => format!("{} are", many.join(" and ")),
                }
            ));
        }
        let (min_key, max_key) = (
            target.key("MinCapacity", "min_capacity"),
            target.key("MaxCapacity", "max_capacity"),
        );
        let own = match side {
            Side::Read => units.0,
            Side::Write => units.1,
        };
        // archsim's table scales down to its provisioned units: a minimum that is not them is
        // not simulated.
        if let Some(min) = target.num(min_key).filter(|min| Some(*min) != own) {
            m.note(format!(
                "scalable target {}'s {min_key} ({min}) is not simulated: archsim's table scales its {} between its provisioned units and `autoscaling.{}`",
                target.name,
                side.words(),
                side.max_key()
            ));
        }
        let max = target.num(max_key);
        if max.is_none() {
            m.note(format!(
                "scalable target {}'s {max_key} is not a literal in the template: `autoscaling.{}` is archsim's default, 10 times the table's units",
                target.name,
                side.max_key()
            ));
        }
        let max = max.map(|max| (max, format!("scalable target {}'s {max_key}", target.name)));
        tracked.push((*side, value, p.name, max));
    }
    let Some(&(_, lowest, _, _)) = tracked.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else {
        return;
    };
    if tracked.len() == 2 && tracked[0].1 != tracked[1].1 {
        m.note(format!(
            "{}'s policies track {}% ({}) and {}% ({}): archsim's table has one target for both, the lower",
            t.name, tracked[0].1, tracked[0].2, tracked[1].1, tracked[1].2
        ));
    }
    // Application Auto Scaling's target value is a percent of the provisioned capacity
    // consumed; archsim's is a share, within DynamoDB's 20 % to 90 %.
    let share = clamp(
        lowest / 100.0,
        TARGET_MIN,
        TARGET_MAX,
        "the scaling policy's target value (as a share)",
        m,
    );
    let mut table = toml::Table::new();
    table.insert("target".into(), toml::Value::Float(share));
    let mut why = vec![format!(
        "Application Auto Scaling's target tracking at {}%",
        lowest
    )];
    for side in [Side::Read, Side::Write] {
        let own = match side {
            Side::Read => units.0,
            Side::Write => units.1,
        };
        match tracked.iter().find(|t| t.0 == side) {
            Some((_, _, _, Some((max, from)))) => {
                table.insert(side.max_key().into(), toml::Value::Float(*max));
                why.push(format!("{} {from}", side.max_key()));
            }
            // Scaled, to a maximum not literal: archsim's default (said above).
            Some((_, _, _, None)) => {}
            // A side no policy scales keeps its units: its maximum is its own.
            None => match own {
                Some(u) => {
                    table.insert(side.max_key().into(), toml::Value::Float(u));
                    why.push(format!(
                        "{} its provisioned units: no policy scales its {}",
                        side.max_key(),
                        side.words()
                    ));
                }
                None => m.note(format!(
                    "{}'s {} are not scaled by any policy, but its units are not literal: set `autoscaling.{}` to its units",
                    t.name,
                    side.words(),
                    side.max_key()
                )),
            },
        }
    }
    m.set("autoscaling", toml::Value::Table(table), why.join("; "));
}

/// Whether policy `p` scales `side` of table `t` through scalable target `target`: it names
/// the target (CloudFormation's `ScalingTargetId`, or a plan's references to the target), or
/// the table and the same dimension.
fn scales(p: &Resource<'_>, target: &Resource<'_>, t: &Resource<'_>, side: Side) -> bool {
    let named = target_keys(p)
        .iter()
        .any(|k| p.refs(k).iter().any(|n| n == target.name));
    if named {
        return true;
    }
    let (namespace, dimension) = scaled(p);
    namespace == Some(NAMESPACE)
        && names_table(p, t)
        && dimension.and_then(Side::of) == Some((side, false))
}

/// The keys by which a policy names its scalable target: CloudFormation's `ScalingTargetId`,
/// a plan's references to the target's attributes.
fn target_keys(p: &Resource<'_>) -> &'static [&'static str] {
    match p.dialect {
        Dialect::CloudFormation => &["ScalingTargetId"],
        Dialect::Terraform => &["resource_id", "scalable_dimension", "service_namespace"],
    }
}

/// The types of the tables a scalable target may name.
const TABLES: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::Serverless::SimpleTable",
    "aws_dynamodb_table",
];

/// A scalable target or scaling policy: read by the table it scales (no component of its
/// own); one that scales anything else is said not to be simulated.
pub(super) fn import_scaling_part(r: &Resource<'_>, m: &mut Mapped) {
    m.folded = true;
    let (namespace, dimension) = scaled(r);
    // A policy naming its target takes the target's namespace and dimension.
    let target = target_keys(r)
        .iter()
        .flat_map(|k| r.refs(k))
        .find_map(|n| r.other(&n).filter(|o| TARGETS.contains(&o.kind)));
    let (namespace, dimension) = match (namespace, dimension, &target) {
        (None, None, Some(o)) => scaled(o),
        (n, d, _) => (n, d),
    };
    let what = match (namespace, dimension) {
        (Some(NAMESPACE), Some(d)) => match Side::of(d) {
            Some((_, true)) => Some(format!(
                "scales a global secondary index's capacity ({d}), which archsim does not simulate"
            )),
            Some((_, false)) => {
                let id = r.key("ResourceId", "resource_id");
                let on = target.as_ref().unwrap_or(r);
                let table = r
                    .others()
                    .filter(|t| TABLES.contains(&t.kind))
                    .any(|t| names_table(on, &t));
                (!table).then(|| format!("names no table of the template in its {id}"))
            }
            None => Some(format!("scales {d}, which archsim does not simulate")),
        },
        (Some(n), d) => Some(format!(
            "scales {n} {}, which archsim does not simulate",
            d.unwrap_or("capacity")
        )),
        (None, _) => Some("states no service namespace literally".to_string()),
    };
    if let Some(what) = what {
        m.note(format!("{} ({}) {what}: left out", r.name, r.kind));
    }
}
