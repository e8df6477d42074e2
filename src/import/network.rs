//! VPC security groups of a template: CloudFormation's `AWS::EC2::SecurityGroup` (with its
//! `SecurityGroupIngress` list) and `AWS::EC2::SecurityGroupIngress`; Terraform's
//! `aws_security_group` (its `ingress` blocks), `aws_security_group_rule` (type "ingress")
//! and `aws_vpc_security_group_ingress_rule`. Each becomes a `[[security_group]]`; the
//! components in a VPC name theirs from the properties that list them (a function's
//! `VpcConfig.SecurityGroupIds`, a database's `VPCSecurityGroups`, …).

use crate::components::iac::{references, Declared, Dialect};
use crate::limits::{MAX_SECURITY_GROUPS, MAX_SGS_PER_COMPONENT, MAX_SG_RULES};
use serde_json::Value;

/// A group of the template.
pub(super) struct Group {
    /// Its resource's name.
    pub name: String,
    /// Its inbound rules: the group resource a rule names, or an address range.
    pub rules: Vec<Source>,
}

/// Who an inbound rule lets in.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Source {
    /// The members of a group of the template (its resource's name).
    Group(String),
    /// Every caller: 0.0.0.0/0 or ::/0.
    Anywhere,
    /// Another address range, which archsim cannot tell apart (it gives components no
    /// addresses): read as every caller, said so.
    Range(String),
}

/// The resource types read here, by dialect.
const CF_TYPES: &[&str] = &["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"];
const TF_TYPES: &[&str] = &[
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
];

/// Whether a resource type is one this module reads.
pub(super) fn reads(dialect: Dialect, kind: &str) -> bool {
    match dialect {
        Dialect::CloudFormation => CF_TYPES.contains(&kind),
        Dialect::Terraform => TF_TYPES.contains(&kind),
    }
}

/// The template's groups with their inbound rules, and notes on what was left out.
pub(super) fn groups(dialect: Dialect, resources: &[Declared]) -> (Vec<Group>, Vec<String>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut notes = Vec::new();
    let is_group = |k: &str| k == "AWS::EC2::SecurityGroup" || k == "aws_security_group";
    for d in resources.iter().filter(|d| is_group(&d.kind)) {
        let mut rules = Vec::new();
        let list = match dialect {
            Dialect::CloudFormation => d.props.get("SecurityGroupIngress"),
            Dialect::Terraform => d.props.get("ingress"),
        };
        for rule in list.and_then(Value::as_array).into_iter().flatten() {
            rules.extend(sources(dialect, rule, &d.name));
        }
        groups.push(Group {
            name: d.name.clone(),
            rules,
        });
    }
    // Rules written as resources of their own.
    for d in resources
        .iter()
        .filter(|d| !is_group(&d.kind) && reads(dialect, &d.kind))
    {
        if d.kind == "aws_security_group_rule"
            && d.props.get("type").and_then(Value::as_str) != Some("ingress")
        {
            continue;
        }
        let key = match dialect {
            Dialect::CloudFormation => "GroupId",
            Dialect::Terraform => "security_group_id",
        };
        let mut owner = Vec::new();
        if let Some(v) = d.props.get(key) {
            references(v, &mut owner);
        }
        let Some(g) = owner
            .first()
            .and_then(|o| groups.iter_mut().find(|g| g.name == *o))
        else {
            notes.push(format!(
                "{} ({}) adds a rule to a group outside the template: left out",
                d.name, d.kind
            ));
            continue;
        };
        for s in sources(dialect, &d.props, &d.name) {
            if !g.rules.contains(&s) {
                g.rules.push(s);
            }
        }
    }
    if groups.len() > MAX_SECURITY_GROUPS {
        notes.push(format!(
            "the template has {} security groups, more than a scenario's {MAX_SECURITY_GROUPS} (AWS's quota): the first {MAX_SECURITY_GROUPS} are kept",
            groups.len()
        ));
        groups.truncate(MAX_SECURITY_GROUPS);
    }
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    for g in &mut groups {
        let before = g.rules.len();
        g.rules
            .retain(|s| !matches!(s, Source::Group(n) if !names.contains(n)));
        if g.rules.len() < before {
            notes.push(format!(
                "{}: rules naming a group outside the template are left out",
                g.name
            ));
        }
        let mut seen = Vec::new();
        g.rules.retain(|s| {
            let fresh = !seen.contains(s);
            seen.push(s.clone());
            fresh
        });
        if g.rules.len() > MAX_SG_RULES {
            notes.push(format!(
                "{} has {} inbound rules, more than AWS's quota of {MAX_SG_RULES}: the first {MAX_SG_RULES} are kept",
                g.name,
                g.rules.len()
            ));
            g.rules.truncate(MAX_SG_RULES);
        }
        for s in &g.rules {
            if let Source::Range(r) = s {
                notes.push(format!(
                    "{}'s rule from {r} is written as 0.0.0.0/0: archsim gives components no addresses, so a narrower range lets in every caller (a choice; narrow it to a group if it matters)",
                    g.name
                ));
            }
        }
    }
    (groups, notes)
}

/// The sources of one inbound rule (a group, address ranges).
fn sources(dialect: Dialect, rule: &Value, name: &str) -> Vec<Source> {
    let mut out = Vec::new();
    let group_keys: &[&str] = match dialect {
        Dialect::CloudFormation => &["SourceSecurityGroupId", "SourceSecurityGroupName"],
        Dialect::Terraform => &[
            "security_groups",
            "source_security_group_id",
            "referenced_security_group_id",
        ],
    };
    for k in group_keys {
        if let Some(v) = rule.get(*k) {
            let mut named = Vec::new();
            references(v, &mut named);
            out.extend(named.into_iter().map(Source::Group));
        }
    }
    if dialect == Dialect::Terraform && rule.get("self").and_then(Value::as_bool) == Some(true) {
        out.push(Source::Group(name.to_string()));
    }
    let range_keys: &[&str] = match dialect {
        Dialect::CloudFormation => &["CidrIp", "CidrIpv6"],
        Dialect::Terraform => &["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"],
    };
    for k in range_keys {
        let ranges: Vec<&str> = match rule.get(*k) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for r in ranges {
            out.push(if r == "0.0.0.0/0" || r == "::/0" {
                Source::Anywhere
            } else {
                Source::Range(r.to_string())
            });
        }
    }
    out
}

/// The properties that list a resource's security groups, by dialect.
const MEMBER_PATHS: &[(Dialect, &str)] = &[
    (Dialect::CloudFormation, "VpcConfig.SecurityGroupIds"),
    (Dialect::CloudFormation, "SecurityGroupIds"),
    (Dialect::CloudFormation, "VPCSecurityGroups"),
    (Dialect::CloudFormation, "VpcSecurityGroupIds"),
    (Dialect::CloudFormation, "SecurityGroups"),
    (
        Dialect::CloudFormation,
        "LaunchTemplateData.SecurityGroupIds",
    ),
    (Dialect::Terraform, "vpc_config.security_group_ids"),
    (Dialect::Terraform, "security_group_ids"),
    (Dialect::Terraform, "vpc_security_group_ids"),
    (Dialect::Terraform, "security_groups"),
];

/// The groups (by resource name) a resource's properties list, at most the component limit.
pub(super) fn members(
    dialect: Dialect,
    props: &Value,
    groups: &[Group],
    notes: &mut Vec<String>,
    name: &str,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, path) in MEMBER_PATHS.iter().filter(|(d, _)| *d == dialect) {
        let v = path.split('.').try_fold(props, |v, step| match v {
            Value::Object(m) => m.get(step),
            Value::Array(a) => a.first().and_then(|x| x.get(step)),
            _ => None,
        });
        let mut named = Vec::new();
        if let Some(v) = v {
            references(v, &mut named);
        }
        for n in named {
            if groups.iter().any(|g| g.name == n) && !out.contains(&n) {
                out.push(n);
            }
        }
    }
    if out.len() > MAX_SGS_PER_COMPONENT {
        notes.push(format!(
            "{name} is in {} groups, more than the {MAX_SGS_PER_COMPONENT} archsim allows: the first {MAX_SGS_PER_COMPONENT} are kept",
            out.len()
        ));
        out.truncate(MAX_SGS_PER_COMPONENT);
    }
    out
}
