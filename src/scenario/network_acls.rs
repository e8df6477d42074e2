//! `[[network_acl]]` tables: VPC network ACLs, each guarding the subnets of the zones it
//! lists (`azs`), with numbered inbound and outbound rules. What they do to calls is
//! `crate::network`'s.
//!
//! aws-facts: §20 network ACLs: stateless (the reply of an allowed request is checked again,
//! on the ephemeral ports 1024–65535), numbered rules evaluated lowest first, the first that
//! matches decides, explicit denies allowed; a subnet with no custom ACL has the default
//! ACL, which allows everything, and a custom ACL denies what no rule allows (its `*`
//! rule). They act at the subnet's boundary: traffic between two interfaces of one subnet
//! never crosses them.
//!
//! archsim places components in zones, not subnets: the subnets a network ACL guards are
//! modelled as the zones of the components in a VPC (one subnet per zone, a choice of the
//! model), and a rule's address range is a label: "0.0.0.0/0" (everything), "clients" (the
//! workloads, from outside the VPC) or a zone's name (its subnet's range).

use crate::config::Checker;
use crate::limits;
use serde::Deserialize;
use toml::de::DeValue;
use toml::Spanned;

/// The range that matches everything.
pub const ANYWHERE: &str = "0.0.0.0/0";
/// The range of the workloads (clients outside the VPC).
pub const CLIENTS: &str = "clients";

/// The ports a reply goes to by default: the caller's ephemeral ports. aws-facts: §20 NACLs:
/// return traffic needs the ephemeral ports 1024–65535 allowed; clients differ in the part
/// they use (`vpc:nacl-ephemeral-ports.html`: many Linux kernels 32768–61000, Windows
/// 49152–65535, load balancers, NAT gateways and Lambda 1024–65535), so the range is the
/// scenario's (`[network] ephemeral_ports`), the whole one by default. An allow rule lets a
/// reply through only when it covers the whole range; a deny rule stops it when it covers
/// any part of it (some connections would fail: the model fails them all, a choice).
pub const EPHEMERAL: (u16, u16) = (1024, 65535);

/// AWS's rule numbers: 1 to 32766.
pub const MAX_RULE_NUMBER: u32 = 32_766;

/// Whether a rule lets traffic through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
}

/// The other end a rule matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Everything ("0.0.0.0/0").
    Anywhere,
    /// The workloads ("clients").
    Clients,
    /// The subnet of a zone (its name).
    Zone(String),
}

#[derive(Clone, Debug)]
pub struct AclRule {
    pub number: u32,
    pub action: Action,
    pub peer: Peer,
    /// The ports it matches, inclusive.
    pub ports: (u16, u16),
    /// Where it is written (line, column).
    pub position: (usize, usize),
}

#[derive(Clone, Debug)]
pub struct NetworkAcl {
    pub id: String,
    /// The zones whose subnets it guards.
    pub azs: Vec<String>,
    /// Its rules, by rule number (lowest first).
    pub inbound: Vec<AclRule>,
    pub outbound: Vec<AclRule>,
    pub position: (usize, usize),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAcl {
    id: Spanned<String>,
    azs: Spanned<Vec<Spanned<String>>>,
    inbound: Spanned<Vec<Spanned<RawRule>>>,
    outbound: Spanned<Vec<Spanned<RawRule>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    rule: Spanned<i64>,
    action: Spanned<String>,
    from: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
    ports: Spanned<String>,
}

/// Reads a port range: "all", "N" or "N-M" (1–65535, N ≤ M).
pub fn port_range(text: &str) -> Option<(u16, u16)> {
    if text == "all" {
        return Some((0, 65535));
    }
    let port = |s: &str| {
        s.trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p >= 1 && s.trim().chars().all(|c| c.is_ascii_digit()))
    };
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port(a)?, port(b)?);
            (a <= b).then_some((a, b))
        }
        None => port(text).map(|p| (p, p)),
    }
}

/// The `[[network_acl]]` tables, read and checked, and whether all are right (each problem
/// reported). `zones` are the zones of the scenario's components in a VPC, which `azs` and
/// rules may name.
pub fn parse(
    values: Vec<Spanned<DeValue<'_>>>,
    zones: &[String],
    ck: &mut Checker,
) -> (Vec<NetworkAcl>, bool) {
    let Some((raws, mut ok)) = super::read_tables::<RawAcl>(
        values,
        "[[network_acl]]",
        limits::MAX_NETWORK_ACLS,
        "AWS's quota per VPC",
        super::keys::NETWORK_ACL,
        ck,
    ) else {
        return (Vec::new(), false);
    };
    let zone_list = if zones.is_empty() {
        "(none: no component in a VPC names an `az`)".to_string()
    } else {
        zones.join(", ")
    };
    ok &= super::unique_ids(raws.iter().map(|r| &r.id), "network ACL", ck);
    let mut acls: Vec<NetworkAcl> = Vec::new();
    // Each zone's ACL and where it was named, for a zone named twice.
    let mut claimed: Vec<(String, usize)> = Vec::new();
    for r in &raws {
        let id = r.id.get_ref().as_str();
        let id_ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !id_ok {
            ck.error(
                r.id.span(),
                format!("network ACL `id` \"{id}\" must be ASCII letters, digits, '-', '_' and '.' only"),
            );
            ok = false;
        }
        if r.azs.get_ref().is_empty() {
            ck.error(
                r.azs.span(),
                format!("`azs` lists the zones whose subnets the network ACL guards: give at least one of: {zone_list}"),
            );
            ok = false;
        }
        let mut azs = Vec::new();
        for z in r.azs.get_ref() {
            let name = z.get_ref();
            if !zones.contains(name) {
                ck.error(
                    z.span(),
                    format!(
                        "`azs` names zone \"{name}\", where no component in a VPC sits{}; zones are: {zone_list}",
                        crate::text::did_you_mean(name, zones.iter().map(String::as_str))
                    ),
                );
                ok = false;
                continue;
            }
            if let Some((_, line)) = claimed.iter().find(|(c, _)| c == name) {
                ck.error(
                    z.span(),
                    format!(
                        "zone \"{name}\" is already guarded by the network ACL on line {line}: a subnet is associated with exactly one network ACL"
                    ),
                );
                ok = false;
                continue;
            }
            claimed.push((name.clone(), ck.line_of(z.span().start)));
            azs.push(name.clone());
        }
        let inbound = rules(&r.inbound, "inbound", "from", zones, &zone_list, ck);
        let outbound = rules(&r.outbound, "outbound", "to", zones, &zone_list, ck);
        ok &= inbound.is_some() && outbound.is_some();
        acls.push(NetworkAcl {
            id: id.to_string(),
            azs,
            inbound: inbound.unwrap_or_default(),
            outbound: outbound.unwrap_or_default(),
            position: ck.line_column(r.id.span().start),
        });
    }
    (acls, ok)
}

/// One direction's rules, sorted by number; `None` when one is wrong (each reported).
fn rules(
    list: &Spanned<Vec<Spanned<RawRule>>>,
    direction: &str,
    peer_key: &str,
    zones: &[String],
    zone_list: &str,
    ck: &mut Checker,
) -> Option<Vec<AclRule>> {
    if list.get_ref().len() > limits::MAX_NACL_RULES {
        ck.error(
            list.span(),
            format!(
                "{} {direction} rules; a network ACL may have at most {} per direction (AWS's quota, raised)",
                list.get_ref().len(),
                limits::MAX_NACL_RULES
            ),
        );
        return None;
    }
    let mut ok = true;
    let mut out: Vec<AclRule> = Vec::new();
    for spanned in list.get_ref() {
        let raw = spanned.get_ref();
        let number = *raw.rule.get_ref();
        let number_ok = (1..=i64::from(MAX_RULE_NUMBER)).contains(&number);
        if !number_ok {
            ck.error(
                raw.rule.span(),
                format!("`rule` = {number}: a rule number is a whole number from 1 to {MAX_RULE_NUMBER}; the lowest matching rule decides"),
            );
            ok = false;
        } else if let Some(first) = out.iter().find(|o| i64::from(o.number) == number) {
            ck.error(
                raw.rule.span(),
                format!(
                    "{direction} rule number {number} is used twice (first on line {}): each rule of a direction has its own number",
                    first.position.0
                ),
            );
            ok = false;
        }
        let action = match raw.action.get_ref().as_str() {
            "allow" => Some(Action::Allow),
            "deny" => Some(Action::Deny),
            other => {
                ck.error(
                    raw.action.span(),
                    format!("`action` = \"{other}\": a rule's action is \"allow\" or \"deny\""),
                );
                None
            }
        };
        let other_key = if peer_key == "from" { "to" } else { "from" };
        let wrong_key = if peer_key == "from" {
            &raw.to
        } else {
            &raw.from
        };
        if let Some(w) = wrong_key {
            ck.error(
                w.span(),
                format!(
                    "an {direction} rule names the other end with `{peer_key}`, not `{other_key}`"
                ),
            );
            ok = false;
        }
        let peer_value = if peer_key == "from" {
            &raw.from
        } else {
            &raw.to
        };
        let peer = match peer_value {
            None if wrong_key.is_some() => None,
            None => {
                ck.error(
                    spanned.span(),
                    format!("an {direction} rule needs `{peer_key}`: \"{ANYWHERE}\", \"{CLIENTS}\" or a zone's name"),
                );
                None
            }
            Some(p) => match p.get_ref().as_str() {
                ANYWHERE => Some(Peer::Anywhere),
                CLIENTS => Some(Peer::Clients),
                z if zones.iter().any(|x| x == z) => Some(Peer::Zone(z.to_string())),
                other => {
                    ck.error(
                        p.span(),
                        format!(
                            "`{peer_key}` = \"{other}\" is neither \"{ANYWHERE}\" (everything), \"{CLIENTS}\" (the workloads) nor a zone where a component in a VPC sits (its subnet){}; zones are: {zone_list}",
                            crate::text::did_you_mean(other, zones.iter().map(String::as_str))
                        ),
                    );
                    None
                }
            },
        };
        let ports = port_range(raw.ports.get_ref());
        if ports.is_none() {
            ck.error(
                raw.ports.span(),
                format!(
                    "`ports` = \"{}\": give \"all\", one port \"443\" or a range \"1024-65535\" (ports 1 to 65535, the lower first)",
                    raw.ports.get_ref()
                ),
            );
        }
        match (number_ok, action, peer, ports) {
            (true, Some(action), Some(peer), Some(ports)) => out.push(AclRule {
                number: number as u32,
                action,
                peer,
                ports,
                position: ck.line_column(spanned.span().start),
            }),
            _ => ok = false,
        }
    }
    out.sort_by_key(|r| r.number);
    ok.then_some(out)
}
