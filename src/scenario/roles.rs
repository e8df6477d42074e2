//! `[[role]]` tables: IAM roles with their identity policy, in AWS's vocabulary (effect
//! `Allow` or `Deny`, actions `service:Action`, resources as ARNs or component ids, with `*`
//! and `?`), and the `role = "…"` a component names. Evaluation is `crate::iam`'s.

use crate::components::registry::KINDS;
use crate::config::Checker;
use crate::iam::{Effect, Resource, Role, Statement, OTHER_PREFIXES};
use crate::limits;
use serde::Deserialize;
use toml::de::DeValue;
use toml::Spanned;

/// The key of a component's table that names its role.
pub const ROLE_KEY: &str = "role";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    id: Spanned<String>,
    statements: Spanned<Vec<Spanned<RawStatement>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    effect: Spanned<String>,
    actions: Spanned<Vec<Spanned<String>>>,
    resources: Spanned<Vec<Spanned<String>>>,
}

/// What a role's resources may name: each component's id and the ARNs its calls name
/// (`None` for a kind IAM does not check).
pub struct Resources<'a> {
    pub ids: Vec<&'a str>,
    pub arns: Vec<Option<Vec<String>>>,
    pub nouns: Vec<&'static str>,
    /// The regions the components are in, each once.
    pub regions: Vec<&'a str>,
}

/// The `[[role]]` tables, read and checked; `None` when any is wrong (each problem reported).
pub fn parse(
    values: Vec<Spanned<DeValue<'_>>>,
    resources: &Resources<'_>,
    ck: &mut Checker,
) -> Option<Vec<Role>> {
    if values.len() > limits::MAX_ROLES {
        ck.error(
            values[limits::MAX_ROLES].span(),
            format!(
                "this scenario has {} [[role]] tables; a scenario may have at most {}",
                values.len(),
                limits::MAX_ROLES
            ),
        );
        return None;
    }
    let mut ok = true;
    let mut roles: Vec<Role> = Vec::new();
    for v in values {
        let Some(raw) = ck.declared(super::keys::ROLE, |ck| ck.deserialize::<RawRole>(v)) else {
            ok = false;
            continue;
        };
        match role(&raw, resources, ck) {
            Some(r) => {
                if let Some(first) = roles.iter().find(|o| o.id == r.id) {
                    ck.error(
                        raw.id.span(),
                        format!(
                            "role id \"{}\" is used twice (first on line {})",
                            r.id, first.position.0
                        ),
                    );
                    ok = false;
                }
                roles.push(r);
            }
            None => ok = false,
        }
    }
    ok.then_some(roles)
}

fn role(raw: &RawRole, resources: &Resources<'_>, ck: &mut Checker) -> Option<Role> {
    let id = raw.id.get_ref();
    let id_ok = !id.is_empty()
        && id.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '=' | ',' | '.' | '@')
        });
    if !id_ok {
        // IAM's naming rules: letters, digits and + = , . @ - _.
        ck.error(
            raw.id.span(),
            format!("role `id` \"{id}\" must be ASCII letters, digits and + = , . @ - _ only"),
        );
    }
    let statements = raw.statements.get_ref();
    // None is a role with no policy: IAM's implicit deny refuses every call, and a statement
    // that allows, added later, takes effect (an explicit deny of everything would not let it).
    if statements.len() > limits::MAX_STATEMENTS {
        ck.error(
            raw.statements.span(),
            format!(
                "role \"{id}\" has {} statements; a role may have at most {}",
                statements.len(),
                limits::MAX_STATEMENTS,
            ),
        );
        return None;
    }
    let mut ok = id_ok;
    let mut out = Vec::new();
    for s in statements {
        match statement(s, resources, ck) {
            Some(s) => out.push(s),
            None => ok = false,
        }
    }
    ok.then(|| Role {
        id: id.clone(),
        statements: out,
        position: ck.line_column(raw.id.span().start),
    })
}

fn statement(
    s: &Spanned<RawStatement>,
    resources: &Resources<'_>,
    ck: &mut Checker,
) -> Option<Statement> {
    let raw = s.get_ref();
    // IAM's policy grammar: `"Effect": ("Allow" | "Deny")`, spelled so.
    let effect = ck
        .one_of(&raw.effect, "effect", &["Allow", "Deny"])
        .map(|e| {
            if e == "Allow" {
                Effect::Allow
            } else {
                Effect::Deny
            }
        });
    let actions = list(&raw.actions, "actions", ck).and_then(|l| {
        let checked: Vec<_> = l.iter().map(|a| action(a, ck)).collect();
        checked.into_iter().collect::<Option<Vec<_>>>()
    });
    let res = list(&raw.resources, "resources", ck).and_then(|l| {
        let checked: Vec<_> = l.iter().map(|r| resource(r, resources, ck)).collect();
        checked.into_iter().collect::<Option<Vec<_>>>()
    });
    Some(Statement {
        effect: effect?,
        actions: actions?,
        resources: res?,
        position: ck.line_column(s.span().start),
    })
}

fn list<'a>(
    l: &'a Spanned<Vec<Spanned<String>>>,
    key: &str,
    ck: &mut Checker,
) -> Option<&'a [Spanned<String>]> {
    let n = l.get_ref().len();
    if n == 0 || n > limits::MAX_POLICY_ENTRIES {
        ck.error(
            l.span(),
            format!(
                "`{key}` needs from 1 to {} entries, not {n}",
                limits::MAX_POLICY_ENTRIES
            ),
        );
        return None;
    }
    for e in l.get_ref() {
        if e.get_ref().len() > limits::MAX_POLICY_ENTRY_LEN {
            ck.error(
                e.span(),
                format!(
                    "an entry of `{key}` may be at most {} characters",
                    limits::MAX_POLICY_ENTRY_LEN
                ),
            );
            return None;
        }
    }
    Some(l.get_ref())
}

/// Every service prefix a statement may name: the modelled kinds' and AWS's others.
pub fn prefixes() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = KINDS.iter().filter_map(|k| k.iam_prefix).collect();
    all.extend_from_slice(OTHER_PREFIXES);
    all.sort_unstable();
    all
}

/// An action: `*`, or `prefix:Name` with a known prefix and a name of letters, digits, `*`
/// and `?`.
fn action(a: &Spanned<String>, ck: &mut Checker) -> Option<String> {
    let text = a.get_ref();
    if text == "*" {
        return Some(text.clone());
    }
    let known = prefixes();
    let Some((prefix, name)) = text.split_once(':') else {
        ck.error(
            a.span(),
            format!(
                "action \"{text}\" must be `service:Action` (\"dynamodb:PutItem\", \"s3:Get*\") or \"*\""
            ),
        );
        return None;
    };
    // Prefixes are matched without regard to case, as IAM does.
    let lower = prefix.to_ascii_lowercase();
    if !known.contains(&lower.as_str()) {
        ck.error(
            a.span(),
            format!(
                "action \"{text}\" has an unknown service prefix `{prefix}`{}; known: {}",
                crate::text::did_you_mean(&lower, known.iter().copied()),
                known.join(", ")
            ),
        );
        return None;
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
    {
        ck.error(
            a.span(),
            format!(
                "action \"{text}\": an action's name is letters and digits, with `*` for any characters and `?` for one"
            ),
        );
        return None;
    }
    warn_misspelt(a, &lower, name, ck);
    Some(text.clone())
}

/// Warns of an action of a simulated service that none of its calls asks for but one they
/// ask for is one letter away from (`s3:GetObjects`, `s3:PutObjcet`: one added, dropped,
/// changed, or two swapped): a likely misspelling, which would match nothing and leave a call
/// denied (or, in a Deny, allowed). Real actions archsim does not simulate are left alone:
/// one further away (`kms:Encrypt`, two letters from `Decrypt`, `s3:ListAllMyBuckets`), and
/// one that adds a word to a simulated one (`s3:PutObjectAcl`, `kms:GenerateDataKeyPair`,
/// `lambda:InvokeFunctionUrl`). IAM compares names without regard to case.
fn warn_misspelt(a: &Spanned<String>, prefix: &str, name: &str, ck: &mut Checker) {
    if name.contains(['*', '?']) {
        return;
    }
    let Some(kind) = KINDS.iter().find(|k| k.iam_prefix == Some(prefix)) else {
        return;
    };
    if kind
        .iam_actions
        .iter()
        .any(|k| k.eq_ignore_ascii_case(name))
    {
        return;
    }
    let extends = |k: &str| {
        name.len() > k.len()
            && name[..k.len()].eq_ignore_ascii_case(k)
            && name[k.len()..].starts_with(|c: char| c.is_ascii_uppercase())
    };
    if kind.iam_actions.iter().any(|k| extends(k)) {
        return;
    }
    let near =
        kind.iam_actions.iter().copied().find(|k| {
            strsim::osa_distance(&name.to_ascii_lowercase(), &k.to_ascii_lowercase()) == 1
        });
    if let Some(near) = near {
        ck.warn(
            a.span(),
            format!(
                "action \"{}\" is none of the {prefix} actions archsim's calls ask for ({}), so it matches none of them (did you mean `{prefix}:{near}`?)",
                crate::text::one_line(a.get_ref()),
                kind.iam_actions.join(", ")
            ),
        );
    }
}

/// Warns of an ARN naming a region no component is in (`arn:aws:kms:us-east-1:…` in a
/// scenario that sets no region, whose components' ARNs name the default one): no call asks
/// for it, which the policy's author did not mean. A region written with a wildcard, or none
/// (S3's ARNs), is left alone.
fn warn_other_region(r: &Spanned<String>, resources: &Resources<'_>, ck: &mut Checker) {
    let region = r.get_ref().split(':').nth(3).unwrap_or("");
    if region.is_empty()
        || region.contains(['*', '?'])
        || resources.regions.contains(&region)
        || resources.regions.is_empty()
    {
        return;
    }
    let places: Vec<String> = resources
        .regions
        .iter()
        .map(|r| crate::components::region_words(r))
        .collect();
    let fix = if resources.regions == [crate::components::HOME_REGION] {
        format!(
            "; to have them there, set `[network] region = \"{}\"`",
            crate::text::one_line(region)
        )
    } else {
        String::new()
    };
    ck.warn(
        r.span(),
        format!(
            "resource \"{}\" names region \"{}\", where no component is (they are in {}): it matches none of their calls{fix}",
            crate::text::one_line(r.get_ref()),
            crate::text::one_line(region),
            places.join(", ")
        ),
    );
}

/// A resource: `*`, an ARN (`arn:partition:service:region:account:resource`), or a component
/// id, which stands for each ARN the calls to that component name (a bucket's and its
/// objects', `Kind::IAM_PARTS`).
fn resource(r: &Spanned<String>, resources: &Resources<'_>, ck: &mut Checker) -> Option<Resource> {
    let text = r.get_ref();
    if text == "*" {
        return Some(Resource::literal(text.clone()));
    }
    if text.starts_with("arn:") {
        if text.splitn(6, ':').count() < 6 {
            ck.error(
                r.span(),
                format!(
                    "resource \"{text}\" is not an ARN: it needs six parts, arn:partition:service:region:account:resource (region and account may be empty or `*`)"
                ),
            );
            return None;
        }
        warn_other_region(r, resources, ck);
        return Some(Resource::literal(text.clone()));
    }
    match resources.ids.iter().position(|id| id == text) {
        Some(i) => match &resources.arns[i] {
            Some(arns) => Some(Resource {
                written: text.clone(),
                patterns: arns.clone(),
            }),
            None => {
                ck.error(
                    r.span(),
                    format!(
                        "resource \"{text}\" is {}, whose calls IAM does not check; a statement's resources are AWS APIs' resources",
                        resources.nouns[i]
                    ),
                );
                None
            }
        },
        None => {
            ck.error(
                r.span(),
                format!(
                    "resource \"{text}\" is neither \"*\", an ARN (arn:aws:…) nor a component id{}",
                    crate::text::did_you_mean(text, resources.ids.iter().copied())
                ),
            );
            None
        }
    }
}

/// The role a component names, by index; reported when unknown.
pub fn find(name: &Spanned<String>, roles: &[Role], ck: &mut Checker) -> Option<usize> {
    match roles.iter().position(|r| &r.id == name.get_ref()) {
        Some(i) => Some(i),
        None => {
            let known = if roles.is_empty() {
                "the scenario has no [[role]]".to_string()
            } else {
                format!(
                    "roles are: {}",
                    roles
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            ck.error(
                name.span(),
                format!(
                    "`role` = \"{}\" is not a [[role]]{}; {known}",
                    name.get_ref(),
                    crate::text::did_you_mean(name.get_ref(), roles.iter().map(|r| r.id.as_str()))
                ),
            );
            None
        }
    }
}
