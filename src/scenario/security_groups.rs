//! `[[security_group]]` tables: VPC security groups with their inbound rules, and the
//! `security_groups = [..]` a component in a VPC names. What they do to calls is
//! `crate::network`'s.
//!
//! aws-facts: §20 VPC security groups: groups are allow-only (no deny rule) and stateful
//! (the reply of an allowed call passes whatever the rules say), and outbound traffic is
//! allowed by default: only the callee's inbound rules decide a call. A rule's source is
//! another group (its members) or an address range; archsim gives components no addresses,
//! so it knows two ranges: "0.0.0.0/0" (every caller) and the label "clients" (the
//! workloads: traffic from outside the VPC), a choice of the model.

use crate::config::Checker;
use crate::limits;
use serde::Deserialize;
use toml::de::DeValue;
use toml::Spanned;

/// The key of a component's table that names its security groups.
pub const KEY: &str = "security_groups";

/// The source that matches every caller.
pub const ANYWHERE: &str = "0.0.0.0/0";
/// The source that matches the workloads (clients outside the VPC).
pub const CLIENTS: &str = "clients";

/// Who an inbound rule lets in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The members of a group (index into `Scenario::security_groups`).
    Group(usize),
    /// Every caller ("0.0.0.0/0").
    Anywhere,
    /// The workloads ("clients").
    Clients,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub from: Source,
    /// Where it is written (line, column).
    pub position: (usize, usize),
}

#[derive(Clone, Debug)]
pub struct SecurityGroup {
    pub id: String,
    pub inbound: Vec<Rule>,
    pub position: (usize, usize),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    inbound: Spanned<Vec<Spanned<RawRule>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    from: Spanned<String>,
}

/// The `[[security_group]]` tables, read and checked, and whether all are right (each
/// problem reported). A group with a wrong rule is still returned, without it, so that the
/// components naming it are not reported too.
pub fn parse(values: Vec<Spanned<DeValue<'_>>>, ck: &mut Checker) -> (Vec<SecurityGroup>, bool) {
    let Some((raws, mut ok)) = super::read_tables::<RawGroup>(
        values,
        "[[security_group]]",
        limits::MAX_SECURITY_GROUPS,
        "AWS's quota per Region",
        super::keys::SECURITY_GROUP,
        ck,
    ) else {
        return (Vec::new(), false);
    };
    // Ids first: a rule may name a group written after it.
    let mut ids: Vec<&str> = Vec::new();
    ok &= super::unique_ids(raws.iter().map(|r| &r.id), "security group", ck);
    for r in &raws {
        let id = r.id.get_ref().as_str();
        let id_ok = !id.is_empty()
            && id != CLIENTS
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !id_ok {
            ck.error(
                r.id.span(),
                format!(
                    "security group `id` \"{id}\" must be ASCII letters, digits, '-', '_' and '.' only, and not \"{CLIENTS}\" (a rule's source label)"
                ),
            );
            ok = false;
        }
        ids.push(id);
    }
    let mut groups = Vec::new();
    for r in &raws {
        let rules = r.inbound.get_ref();
        if rules.len() > limits::MAX_SG_RULES {
            ck.error(
                r.inbound.span(),
                format!(
                    "security group \"{}\" has {} inbound rules; a group may have at most {} (AWS's quota)",
                    r.id.get_ref(),
                    rules.len(),
                    limits::MAX_SG_RULES
                ),
            );
            ok = false;
        }
        let mut inbound = Vec::new();
        for rule in rules.iter().take(limits::MAX_SG_RULES) {
            let from = rule.get_ref().from.get_ref().as_str();
            let source = match from {
                ANYWHERE => Some(Source::Anywhere),
                CLIENTS => Some(Source::Clients),
                _ => ids.iter().position(|i| *i == from).map(Source::Group),
            };
            match source {
                Some(s) => inbound.push(Rule {
                    from: s,
                    position: ck.line_column(rule.span().start),
                }),
                None => {
                    ck.error(
                        rule.get_ref().from.span(),
                        format!(
                            "inbound rule `from` = \"{from}\" is neither a [[security_group]] id{}, \"{ANYWHERE}\" (every caller) nor \"{CLIENTS}\" (the workloads); groups are: {}",
                            crate::text::did_you_mean(from, ids.iter().copied()),
                            if ids.is_empty() { "(none)".to_string() } else { ids.join(", ") }
                        ),
                    );
                    ok = false;
                }
            }
        }
        groups.push(SecurityGroup {
            id: r.id.get_ref().clone(),
            inbound,
            position: ck.line_column(r.id.span().start),
        });
    }
    (groups, ok)
}

/// A component's `security_groups`, by index into the groups; `None` when wrong (reported).
/// `noun` and `in_vpc` are its kind's: a managed API outside any VPC takes no groups.
pub fn find(
    value: &Spanned<DeValue<'_>>,
    in_vpc: bool,
    noun: &str,
    groups: &[SecurityGroup],
    ck: &mut Checker,
) -> Option<Vec<usize>> {
    if !in_vpc {
        ck.error(
            value.span(),
            format!(
                "`{KEY}`: this component is {noun}, an AWS API reached at its endpoint, not in a VPC: security groups do not guard it; they go on the kinds with network interfaces in a VPC (services, Auto Scaling groups, load balancers, databases, caches, Lambda functions in a VPC)"
            ),
        );
        return None;
    }
    let DeValue::Array(items) = value.get_ref() else {
        ck.error(
            value.span(),
            format!("`{KEY}` must be a list of [[security_group]] ids: [\"web-sg\"]"),
        );
        return None;
    };
    if items.is_empty() || items.len() > limits::MAX_SGS_PER_COMPONENT {
        ck.error(
            value.span(),
            format!(
                "`{KEY}` needs from 1 to {} group ids, not {} (AWS allows 5 per network interface by default, 16 at most)",
                limits::MAX_SGS_PER_COMPONENT,
                items.len()
            ),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        let DeValue::String(name) = item.get_ref() else {
            ck.error(
                item.span(),
                format!("`{KEY}` entries must be strings: [[security_group]] ids"),
            );
            ok = false;
            continue;
        };
        match groups.iter().position(|g| g.id == name.as_ref()) {
            Some(i) if !out.contains(&i) => out.push(i),
            Some(_) => {
                ck.error(item.span(), format!("`{KEY}` names \"{name}\" twice"));
                ok = false;
            }
            None => {
                ck.error(
                    item.span(),
                    format!(
                        "`{KEY}` names \"{name}\", which is not a [[security_group]]{}; groups are: {}",
                        crate::text::did_you_mean(name, groups.iter().map(|g| g.id.as_str())),
                        if groups.is_empty() {
                            "(none: the scenario has no [[security_group]])".to_string()
                        } else {
                            groups.iter().map(|g| g.id.as_str()).collect::<Vec<_>>().join(", ")
                        }
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}
