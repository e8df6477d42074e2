//! Validation of `[[fault]]` tables into the fault timeline's `FaultSpec`s.

use super::raw::RawFault;
use super::ComponentDecl;
use crate::components::{ec2_autoscaling, rds, ComponentSpec};
use crate::config::Checker;
use crate::faults::{Effect, FaultSpec};
use crate::kernel::{ActorId, SimTime};
use toml::Spanned;

/// Each kind and the keys it takes (beyond `at`, `for` and `kind`).
const KINDS: &[(&str, &str)] = &[
    ("az_outage", "`az`"),
    ("component_down", "`target`"),
    (
        "error_injection",
        "`target` (or `from` and `to`), `rate`, and optionally `status`",
    ),
    (
        "latency_injection",
        "`target` (or `from` and `to`), and `add`",
    ),
    (
        "cache_node_failure",
        "`target`, a component of kind \"cache\"",
    ),
    (
        "instance_failure",
        "`target`, a component of kind \"ec2_autoscaling\", and optionally `count`",
    ),
    (
        "spot_interruption",
        "`target`, a component of kind \"ec2_autoscaling\", and `count` or `fraction`",
    ),
    (
        "rds_primary_failure",
        "`target`, a component of kind \"rds\"",
    ),
];

pub fn parse(
    f: &Spanned<RawFault>,
    components: &[ComponentDecl],
    duration: SimTime,
    ck: &mut Checker,
) -> Option<FaultSpec> {
    let span = f.span();
    let f = f.get_ref();
    let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    let kind = ck.one_of(&f.kind, "kind", &names)?;
    let takes = KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, t)| t);
    let at = ck.duration(&f.at, "at");
    let len = match &f.for_ {
        None => Some(None),
        Some(d) => ck.positive_duration(d, "for").map(Some),
    };
    let (at, len) = (at?, len?);
    if at >= duration {
        ck.error(
            f.at.span(),
            format!("`at` ({at}) is not before the end of the run ({duration})"),
        );
        return None;
    }
    // Keys given that this kind does not take.
    let given: [(&str, Option<std::ops::Range<usize>>); 9] = [
        ("az", f.az.as_ref().map(|v| v.span())),
        ("target", f.target.as_ref().map(|v| v.span())),
        ("from", f.from.as_ref().map(|v| v.span())),
        ("to", f.to.as_ref().map(|v| v.span())),
        ("rate", f.rate.as_ref().map(|v| v.span())),
        ("status", f.status.as_ref().map(|v| v.span())),
        ("add", f.add.as_ref().map(|v| v.span())),
        ("count", f.count.as_ref().map(|v| v.span())),
        ("fraction", f.fraction.as_ref().map(|v| v.span())),
    ];
    let allowed: &[&str] = match kind {
        "az_outage" => &["az"],
        "component_down" | "cache_node_failure" | "rds_primary_failure" => &["target"],
        "instance_failure" => &["target", "count"],
        "spot_interruption" => &["target", "count", "fraction"],
        "error_injection" => &["target", "from", "to", "rate", "status"],
        _ => &["target", "from", "to", "add"],
    };
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
                match &c.spec {
                    // A group loses its instances there and launches elsewhere.
                    ComponentSpec::AutoScaling(g) => {
                        if let Some(z) = g.zones.iter().position(|z| z.as_deref() == Some(zone)) {
                            signals.push((
                                i as ActorId,
                                ec2_autoscaling::FAULT_ZONE_OUTAGE | z as u32,
                            ));
                        }
                    }
                    // aws-facts: §5 Multi-AZ: an AZ outage is a failover trigger.
                    ComponentSpec::Rds(_) if c.az.as_deref() == Some(zone) => {
                        signals.push((i as ActorId, rds::FAULT_PRIMARY_FAILURE));
                    }
                    _ if c.az.as_deref() == Some(zone) => actors.push(i as ActorId),
                    _ => {}
                }
            }
            if actors.is_empty() && signals.is_empty() {
                let mut zones: Vec<&str> = components
                    .iter()
                    .filter_map(|c| c.az.as_deref())
                    .chain(components.iter().flat_map(|c| match &c.spec {
                        ComponentSpec::AutoScaling(g) => {
                            g.zones.iter().filter_map(|z| z.as_deref()).collect()
                        }
                        _ => Vec::new(),
                    }))
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
                format!("az_outage {}", az.get_ref()),
                Effect::AzOutage {
                    az: az.get_ref().clone(),
                    actors,
                    signals,
                },
            )
        }
        "component_down" => {
            let Some(t) = &f.target else {
                ck.error(span, "a fault of kind \"component_down\" needs `target`");
                return None;
            };
            (
                format!("component_down {}", t.get_ref()),
                Effect::Down {
                    actor: actor(ck, t, "target")?,
                },
            )
        }
        "cache_node_failure" | "instance_failure" | "spot_interruption" | "rds_primary_failure" => {
            let Some(t) = &f.target else {
                ck.error(span, format!("a fault of kind \"{kind}\" needs `target`"));
                return None;
            };
            if let Some(d) = &f.for_ {
                ck.error(d.span(), format!("a fault of kind \"{kind}\" happens at an instant (what follows is the component's doing): it takes no `for`"));
                return None;
            }
            let a = actor(ck, t, "target")?;
            let (needs, noun) = match kind {
                "cache_node_failure" => ("cache", "a cache"),
                "rds_primary_failure" => ("rds", "an RDS database"),
                _ => ("ec2_autoscaling", "an Auto Scaling group"),
            };
            let is = components[a as usize].spec.kind();
            if is != needs {
                ck.error(
                    t.span(),
                    format!(
                        "\"{}\" is a {is}, not {noun}: `{kind}` needs a component of kind \"{needs}\"",
                        t.get_ref()
                    ),
                );
                return None;
            }
            let (code, what) = match kind {
                "cache_node_failure" => (crate::components::cache::NODE_FAILURE, String::new()),
                "rds_primary_failure" => (rds::FAULT_PRIMARY_FAILURE, String::new()),
                "instance_failure" => {
                    let n = match &f.count {
                        None => 1,
                        Some(c) => ck.int_in(c, "count", 1, 10_000)?,
                    };
                    (
                        ec2_autoscaling::FAULT_INSTANCE_FAILURE | n as u32,
                        format!(" x{n}"),
                    )
                }
                _ => match (&f.count, &f.fraction) {
                    (Some(c), None) => {
                        let n = ck.int_in(c, "count", 1, 10_000)?;
                        (
                            ec2_autoscaling::FAULT_SPOT_COUNT | n as u32,
                            format!(" x{n}"),
                        )
                    }
                    (None, Some(x)) if *x.get_ref() > 0.0 && *x.get_ref() <= 1.0 => {
                        let permille = (x.get_ref() * 1000.0).round() as u32;
                        (
                            ec2_autoscaling::FAULT_SPOT_SHARE | permille,
                            format!(" {:.0}%", x.get_ref() * 100.0),
                        )
                    }
                    (None, Some(x)) => {
                        ck.error(x.span(), format!("`fraction` is the share of the group's spot instances interrupted, above 0 and at most 1, not {}", x.get_ref()));
                        return None;
                    }
                    _ => {
                        ck.error(span, "a fault of kind \"spot_interruption\" needs either `count` (instances) or `fraction` (of the spot instances), not both");
                        return None;
                    }
                },
            };
            (
                format!("{kind} {}{what}", t.get_ref()),
                Effect::Component { actor: a, code },
            )
        }
        "error_injection" => {
            let rate = match &f.rate {
                Some(r) if (0.0..=1.0).contains(r.get_ref()) && *r.get_ref() > 0.0 => {
                    Some(*r.get_ref())
                }
                Some(r) => {
                    ck.error(
                        r.span(),
                        format!(
                            "`rate` is the share of calls that fail, above 0 and at most 1, not {}",
                            r.get_ref()
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
                None => Some(500),
                Some(s) => ck.int_in(s, "status", 400, 599).map(|s| s as u16),
            };
            let (rate, status, place) = (rate?, status?, place(ck)?);
            match place {
                Ok(a) => (
                    format!(
                        "error_injection {} {:.0}% {status}",
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
                        "error_injection {}->{} {:.0}% {status}",
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
                    format!("latency_injection {} +{add}", components[a as usize].id),
                    Effect::Latency { actor: a, add },
                ),
                Err((from, to)) => (
                    format!(
                        "latency_injection {}->{} +{add}",
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
