//! Validation of `[[fault]]` tables into the fault timeline's `FaultSpec`s.

use super::ComponentDecl;
use crate::components::kind::ZoneOutage;
use crate::components::registry;
use crate::config::raw::RawFault;
use crate::config::Checker;
use crate::faults::{Effect, FaultSpec};
use crate::kernel::{ActorId, SimTime};
use toml::Spanned;

/// The generic faults, which apply to any component: each with the keys it takes (beyond
/// `at`, `for` and `kind`) in words, and as names. Faults particular to a kind are declared by
/// the kind (`KindInfo::faults`).
const GENERIC: &[(&str, &str, &[&str])] = &[
    ("az_outage", "`az`", &["az"]),
    ("component_down", "`target`", &["target"]),
    (
        "error_injection",
        "`target` (or `from` and `to`), `rate`, and optionally `status`",
        &["target", "from", "to", "rate", "status"],
    ),
    (
        "latency_injection",
        "`target` (or `from` and `to`), and `add`",
        &["target", "from", "to", "add"],
    ),
    ("region_outage", "`region`", &["region"]),
];

/// Every fault kind: (name, what it takes in words, its keys, the component kind it belongs
/// to, if any).
pub(crate) fn fault_kinds() -> Vec<(
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
)> {
    let generic = GENERIC.iter().map(|&(n, t, k)| (n, t, k, None));
    let of_kinds = registry::KINDS.iter().flat_map(|k| {
        k.info
            .faults
            .iter()
            .map(move |f| (f.name, f.takes, f.keys, Some(k.info.name)))
    });
    generic.chain(of_kinds).collect()
}

/// Checks what a fault holds that needs no component, its kind and its times, for a
/// scenario whose components could not all be read (`parse` checks these and the rest).
pub fn check_alone(f: &Spanned<RawFault>, ck: &mut Checker) {
    let f = f.get_ref();
    let kinds = fault_kinds();
    let names: Vec<&str> = kinds.iter().map(|k| k.0).collect();
    ck.one_of(&f.kind, "kind", &names);
    let _ = times(f, ck);
}

/// A fault's `at` and `for` (`None`: until the end), each checked even when the other is
/// wrong.
fn times(f: &RawFault, ck: &mut Checker) -> Option<(SimTime, Option<SimTime>)> {
    let at = ck.duration(&f.at, "at");
    let len = match &f.for_ {
        None => Some(None),
        Some(d) => ck.positive_duration(d, "for").map(Some),
    };
    Some((at?, len?))
}

pub fn parse(
    f: &Spanned<RawFault>,
    components: &[ComponentDecl],
    duration: SimTime,
    ck: &mut Checker,
) -> Option<FaultSpec> {
    let span = f.span();
    let f = f.get_ref();
    let kinds = fault_kinds();
    let names: Vec<&str> = kinds.iter().map(|k| k.0).collect();
    let kind = ck.one_of(&f.kind, "kind", &names)?;
    let (_, takes, allowed, owner) =
        kinds
            .iter()
            .find(|k| k.0 == kind)
            .copied()
            .unwrap_or((kind, "", &[], None));
    let (at, len) = times(f, ck)?;
    if at >= duration {
        let Some(who) = ck.shortened_by(at) else {
            ck.error(
                f.at.span(),
                format!("`at` ({at}) is not before the end of the run ({duration})"),
            );
            return None;
        };
        // A run shortened on purpose: the fault is checked as any other, then left out by
        // the caller (its `at` is past the end).
        ck.warn(
            f.at.span(),
            format!("`at` ({at}) is not before the end of the run ({duration}, which {who} sets): this fault never comes in this run, and is left out"),
        );
    }
    // Keys given that this kind does not take.
    let given: [(&str, Option<std::ops::Range<usize>>); 10] = [
        ("az", f.az.as_ref().map(|v| v.span())),
        ("region", f.region.as_ref().map(|v| v.span())),
        ("target", f.target.as_ref().map(|v| v.span())),
        ("from", f.from.as_ref().map(|v| v.span())),
        ("to", f.to.as_ref().map(|v| v.span())),
        ("rate", f.rate.as_ref().map(|v| v.span())),
        ("status", f.status.as_ref().map(|v| v.span())),
        ("add", f.add.as_ref().map(|v| v.span())),
        ("count", f.count.as_ref().map(|v| v.span())),
        ("fraction", f.fraction.as_ref().map(|v| v.span())),
    ];
    let mut ok = true;
    for (k, s) in &given {
        if let (Some(s), false) = (s, allowed.contains(k)) {
            ck.error(
                s.clone(),
                format!("`{k}` does not belong to a fault of kind \"{kind}\", which takes {takes}"),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let actor = |ck: &mut Checker, id: &Spanned<String>, key: &str| {
        ck.component(id, key).map(|i| i as ActorId)
    };
    // A component, or an edge between two; for the kinds that take either.
    let place = |ck: &mut Checker| -> Option<Result<ActorId, (ActorId, ActorId)>> {
        match (&f.target, &f.from, &f.to) {
            (Some(t), None, None) => actor(ck, t, "target").map(Ok),
            (None, Some(a), Some(b)) => {
                let (from, to) = (actor(ck, a, "from")?, actor(ck, b, "to")?);
                let calls = components[from as usize]
                    .spec
                    .calls()
                    .iter()
                    .any(|c| c.to == to as usize);
                if !calls {
                    ck.error(b.span(), format!("\"{}\" does not call \"{}\": a fault on an edge needs a call between them", a.get_ref(), b.get_ref()));
                    return None;
                }
                Some(Err((from, to)))
            }
            _ => {
                ck.error(span.clone(), format!("a fault of kind \"{kind}\" takes {takes}: either `target` or both `from` and `to`"));
                None
            }
        }
    };
    if let Some(owner) = owner {
        return kind_fault(f, span, kind, owner, components, (at, len), ck);
    }
    let (label, effect) = match kind {
        "az_outage" => {
            let Some(az) = &f.az else {
                ck.error(span, "a fault of kind \"az_outage\" needs `az`");
                return None;
            };
            let zone = az.get_ref().as_str();
            let mut actors = Vec::new();
            let mut signals = Vec::new();
            for (i, c) in components.iter().enumerate() {
                match c.spec.zone_outage(zone, c.az.as_deref()) {
                    ZoneOutage::Down => actors.push(i as ActorId),
                    ZoneOutage::Told(code) => signals.push((i as ActorId, code)),
                    ZoneOutage::Unaffected => {}
                }
            }
            if actors.is_empty() && signals.is_empty() {
                let mut zones: Vec<&str> = components
                    .iter()
                    .filter_map(|c| c.az.as_deref())
                    .chain(components.iter().flat_map(|c| c.spec.zones()))
                    .collect();
                zones.sort_unstable();
                zones.dedup();
                ck.error(
                    az.span(),
                    format!(
                        "no component is placed in zone \"{}\"; zones in use: {}",
                        az.get_ref(),
                        if zones.is_empty() {
                            "none".to_string()
                        } else {
                            zones.join(", ")
                        }
                    ),
                );
                return None;
            }
            (
                format!("zone {} outage", az.get_ref()),
                Effect::AzOutage {
                    az: az.get_ref().clone(),
                    actors,
                    signals,
                },
            )
        }
        "region_outage" => region_outage(f, span, components, ck)?,
        "component_down" => {
            let Some(t) = &f.target else {
                ck.error(span, "a fault of kind \"component_down\" needs `target`");
                return None;
            };
            (
                format!("{} down", t.get_ref()),
                Effect::Down {
                    actor: actor(ck, t, "target")?,
                },
            )
        }
        "error_injection" => {
            let rate = match &f.rate {
                Some(r) if (0.0..=1.0).contains(r.get_ref()) && *r.get_ref() > 0.0 => {
                    Some(*r.get_ref())
                }
                Some(r) => {
                    ck.value_error(
                        r.span(),
                        format!(
                            "`rate` is the share of calls that fail, above 0 and at most 1, not {}",
                            crate::config::check::show(*r.get_ref())
                        ),
                    );
                    None
                }
                None => {
                    ck.error(
                        span.clone(),
                        "a fault of kind \"error_injection\" needs `rate`",
                    );
                    None
                }
            };
            let status = match &f.status {
                None => Some(crate::status::INTERNAL_ERROR),
                Some(s) => ck.int_in(s, "status", 400, 599).map(|s| s as u16),
            };
            let (rate, status, place) = (rate?, status?, place(ck)?);
            match place {
                Ok(a) => (
                    format!(
                        "{} fails {:.0}% with {status}",
                        components[a as usize].id,
                        rate * 100.0
                    ),
                    Effect::Errors {
                        actor: a,
                        rate,
                        status,
                    },
                ),
                Err((from, to)) => (
                    format!(
                        "{}→{} fails {:.0}% with {status}",
                        components[from as usize].id,
                        components[to as usize].id,
                        rate * 100.0
                    ),
                    Effect::Link {
                        from,
                        to,
                        add: SimTime::ZERO,
                        error: Some((rate, status)),
                    },
                ),
            }
        }
        _ => {
            let add = match &f.add {
                Some(a) => ck.positive_duration(a, "add"),
                None => {
                    ck.error(
                        span.clone(),
                        "a fault of kind \"latency_injection\" needs `add`, the extra latency",
                    );
                    None
                }
            };
            let (add, place) = (add?, place(ck)?);
            match place {
                Ok(a) => (
                    format!("{} {add} slower", components[a as usize].id),
                    Effect::Latency { actor: a, add },
                ),
                Err((from, to)) => (
                    format!(
                        "{}→{} {add} slower",
                        components[from as usize].id, components[to as usize].id
                    ),
                    Effect::Link {
                        from,
                        to,
                        add,
                        error: None,
                    },
                ),
            }
        }
    };
    Some(FaultSpec {
        at,
        duration: len,
        label,
        effect,
    })
}

/// A whole region fails: every component placed in it is unreachable while it lasts,
/// whatever its kind (an Auto Scaling group's every zone is in the region, a database's
/// standby too), as a zone's outage makes the components in the zone. A global service
/// (Route 53) is in no region and stays up.
fn region_outage(
    f: &RawFault,
    span: std::ops::Range<usize>,
    components: &[ComponentDecl],
    ck: &mut Checker,
) -> Option<(String, Effect)> {
    let Some(region) = &f.region else {
        ck.error(span, "a fault of kind \"region_outage\" needs `region`");
        return None;
    };
    let actors: Vec<ActorId> = components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.region == *region.get_ref() && !c.spec.global())
        .map(|(i, _)| i as ActorId)
        .collect();
    if actors.is_empty() {
        let mut regions: Vec<&str> = components
            .iter()
            .filter(|c| !c.spec.global())
            .map(|c| c.region.as_str())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        let in_use: Vec<String> = regions
            .iter()
            .map(|r| crate::components::region_words(r))
            .collect();
        ck.error(
            region.span(),
            format!(
                "no component is placed in region \"{}\"; the components are in {}",
                crate::text::printable(region.get_ref()),
                in_use.join(" and ")
            ),
        );
        return None;
    }
    Some((
        format!("region {} outage", region.get_ref()),
        Effect::RegionOutage {
            region: region.get_ref().clone(),
            actors,
        },
    ))
}

/// A fault particular to a kind: its target must be of that kind, which reads the rest.
fn kind_fault(
    f: &RawFault,
    span: std::ops::Range<usize>,
    kind: &str,
    owner: &str,
    components: &[ComponentDecl],
    (at, len): (SimTime, Option<SimTime>),
    ck: &mut Checker,
) -> Option<FaultSpec> {
    let Some(t) = &f.target else {
        ck.error(span, format!("a fault of kind \"{kind}\" needs `target`"));
        return None;
    };
    if let Some(d) = &f.for_ {
        ck.error(d.span(), format!("a fault of kind \"{kind}\" happens at an instant (what follows is the component's doing): it takes no `for`"));
        return None;
    }
    let a = ck.component(t, "target")?;
    let spec = &components[a].spec;
    if spec.kind() != owner {
        let noun = registry::info(owner).map_or(owner, |i| i.noun);
        ck.error(
            t.span(),
            format!(
                "\"{}\" is {}, not {noun}: `{kind}` needs a component of kind \"{owner}\"",
                t.get_ref(),
                spec.info().noun
            ),
        );
        return None;
    }
    let (code, what) = spec.parse_fault(kind, f, ck)?;
    debug_assert!(len.is_none());
    Some(FaultSpec {
        at,
        duration: None,
        label: format!("{}: {}{what}", t.get_ref(), kind.replace('_', " ")),
        effect: Effect::Component {
            actor: a as ActorId,
            code,
        },
    })
}
