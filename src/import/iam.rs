//! IAM roles and their policies as `[[role]]` tables, and the `role` of each component that
//! assumes one: CloudFormation's `AWS::IAM::Role` (inline `Policies`, `ManagedPolicyArns`),
//! `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` attached through their `Roles`, a
//! function's `Role`, a state machine's `RoleArn`, SAM's `Role` and `Policies` on a function
//! or a state machine (statements, managed policies and policy templates, in the role SAM
//! makes for it), and an Auto Scaling group's instance profile (`AWS::IAM::InstanceProfile`
//! named by its launch template's `IamInstanceProfile` or its launch configuration's);
//! Terraform's `aws_iam_role`, `aws_iam_role_policy`, `aws_iam_policy` with
//! `aws_iam_role_policy_attachment`, `aws_lambda_function.role`,
//! `aws_sfn_state_machine.role_arn` and `aws_iam_instance_profile.role` named by a group's
//! launch template or configuration.
//!
//! A resource a statement names becomes the id of the component it is (which stands for that
//! component's ARN) when it is simulated and IAM checks its calls, except a bucket's or its
//! objects' ARN alone, written as archsim's ARN of it (the bucket's id stands for both); an
//! ARN written out is kept; anything else is left out of the statement and said in a note, so
//! an import never grants more than the template does. aws-facts: §19 IAM evaluation.

use crate::components::dynamodb::{self, DynamoConfig};
use crate::components::iac::{references, Declared, Dialect};
use crate::components::kind::Kind;
use crate::components::s3::{self, S3Config};
use crate::limits::{MAX_POLICY_ENTRIES, MAX_POLICY_ENTRY_LEN, MAX_ROLES, MAX_STATEMENTS};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Whether the importer reads this type here rather than through a kind.
pub(super) fn reads(dialect: Dialect, ty: &str) -> bool {
    match dialect {
        Dialect::CloudFormation => matches!(
            ty,
            "AWS::IAM::Role"
                | "AWS::IAM::Policy"
                | "AWS::IAM::ManagedPolicy"
                | "AWS::IAM::InstanceProfile"
        ),
        Dialect::Terraform => matches!(
            ty,
            "aws_iam_role"
                | "aws_iam_role_policy"
                | "aws_iam_policy"
                | "aws_iam_role_policy_attachment"
                | "aws_iam_instance_profile"
        ),
    }
}

/// A simulated component a statement may name: its id and its kind's IAM prefix (`None`: IAM
/// does not check calls to it).
pub(super) struct Target {
    pub id: String,
    pub prefix: Option<&'static str>,
}

/// One statement as written: effect, actions, resources, why.
struct Written {
    effect: &'static str,
    actions: Vec<String>,
    resources: Vec<String>,
    why: String,
}

/// A role to write.
struct RoleOut {
    /// The resource it is (or the function SAM makes it for).
    name: String,
    id: String,
    why: String,
    statements: Vec<Written>,
    /// Its policies a plan knows only after apply (a document built from ARNs the apply
    /// makes): their statements are unknown, so its users' calls are not checked.
    unknown: Vec<String>,
}

/// What the roles of a template become.
#[derive(Default)]
pub(super) struct Roles {
    /// The `[[role]]` tables, as TOML text.
    pub text: String,
    /// The role each function assumes: resource name → role id.
    pub assumed: BTreeMap<String, String>,
}

/// The roles of `resources`; `targets` are the simulated components by resource name, `taken`
/// the ids already used.
pub(super) fn roles(
    dialect: Dialect,
    resources: &[Declared],
    targets: &BTreeMap<String, Target>,
    mut taken: super::write::Taken,
    notes: &mut Vec<String>,
) -> Roles {
    let mut out: Vec<RoleOut> = Vec::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let cf = dialect == Dialect::CloudFormation;
    let role_type = if cf { "AWS::IAM::Role" } else { "aws_iam_role" };
    let ctx = Ctx {
        targets,
        resources,
        dialect,
    };
    // Roles, with their own policies.
    for d in resources.iter().filter(|d| d.kind == role_type) {
        let i = new_role(
            &d.name,
            format!("{} {}", d.kind, d.name),
            &mut out,
            &mut by_name,
            &mut taken,
        );
        if cf {
            if let Some(Value::Array(ps)) = d.props.get("Policies") {
                for p in ps {
                    let label = p
                        .get("PolicyName")
                        .and_then(Value::as_str)
                        .unwrap_or("inline policy")
                        .to_string();
                    if let Some(doc) = p.get("PolicyDocument") {
                        document(&ctx, doc, &d.name, &label, &mut out[i].statements, notes);
                    }
                }
            }
            for arn in list_of(d.props.get("ManagedPolicyArns")) {
                managed(&arn, &d.name, &mut out[i].statements, notes);
            }
        } else {
            if let Some(Value::Array(ps)) = d.props.get("inline_policy") {
                for p in ps {
                    let label = p
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("inline policy")
                        .to_string();
                    if let Some(doc) = p.get("policy") {
                        document(&ctx, doc, &d.name, &label, &mut out[i].statements, notes);
                    }
                }
            }
            for arn in list_of(d.props.get("managed_policy_arns")) {
                managed(&arn, &d.name, &mut out[i].statements, notes);
            }
        }
    }

    // Policies attached to roles.
    for d in resources.iter() {
        match (cf, d.kind.as_str()) {
            (true, "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") => {
                let mut roles = Vec::new();
                if let Some(r) = d.props.get("Roles") {
                    references(r, &mut roles);
                }
                if roles.is_empty() {
                    notes.push(format!(
                        "{} ({}) is attached to no role of the template: left out",
                        d.name, d.kind
                    ));
                }
                for r in roles {
                    match by_name.get(&r) {
                        Some(&i) => {
                            if let Some(doc) = d.props.get("PolicyDocument") {
                                document(&ctx, doc, &r, &d.name, &mut out[i].statements, notes);
                            }
                        }
                        None => notes.push(format!(
                            "{}'s Roles names {r}, which is not a role of the template: left out",
                            d.name
                        )),
                    }
                }
            }
            (false, "aws_iam_role_policy") => {
                let role = reference(d.props.get("role"));
                match role.as_ref().and_then(|r| by_name.get(r)) {
                    Some(&i) => {
                        let r = out[i].name.clone();
                        // A plan leaves out a value it knows only after apply.
                        match d.props.get("policy").filter(|v| !after_apply(v)) {
                            Some(doc) => {
                                document(&ctx, doc, &r, &d.name, &mut out[i].statements, notes)
                            }
                            None => out[i].unknown.push(d.name.clone()),
                        }
                    }
                    None => notes.push(format!("{} names no role of the plan: left out", d.name)),
                }
            }
            (false, "aws_iam_role_policy_attachment") => {
                let role = reference(d.props.get("role"));
                let Some(&i) = role.as_ref().and_then(|r| by_name.get(r)) else {
                    notes.push(format!("{} names no role of the plan: left out", d.name));
                    continue;
                };
                let r = out[i].name.clone();
                let policy = d.props.get("policy_arn");
                let named = reference(policy).and_then(|p| {
                    resources
                        .iter()
                        .find(|x| x.name == p && x.kind == "aws_iam_policy")
                });
                match (named, policy.and_then(Value::as_str)) {
                    (Some(p), _) => match p.props.get("policy").filter(|v| !after_apply(v)) {
                        Some(doc) => {
                            document(&ctx, doc, &r, &p.name, &mut out[i].statements, notes)
                        }
                        None => out[i].unknown.push(p.name.clone()),
                    },
                    (None, Some(arn)) => managed(arn, &r, &mut out[i].statements, notes),
                    (None, None) => out[i].unknown.push(d.name.clone()),
                }
            }
            _ => {}
        }
    }

    // The role each component assumes: its own, its instance profile's, or the one SAM
    // makes for it.
    let mut assumed = BTreeMap::new();
    for d in resources.iter() {
        if !targets.contains_key(&d.name) {
            continue;
        }
        let Some((named, said)) = roles_named(dialect, resources, d) else {
            continue;
        };
        if let Some(&i) = named.iter().find_map(|n| by_name.get(n)) {
            assumed.insert(d.name.clone(), out[i].id.clone());
            continue;
        }
        if let Some(said) = said {
            notes.push(format!(
                "{}'s {said} is not a role of the template: its calls are not checked (write its `role` yourself)",
                d.name
            ));
            continue;
        }
        // SAM: a function or state machine without `Role` gets a role of its own, with its
        // `Policies` (and, for a function, AWSLambdaBasicExecutionRole).
        let basic = match d.kind.as_str() {
            "AWS::Serverless::Function" => {
                Some("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            }
            "AWS::Serverless::StateMachine" => None,
            _ => continue,
        };
        let i = new_role(
            &format!("{}Role", d.name),
            format!("the role SAM makes for {}", d.name),
            &mut out,
            &mut by_name,
            &mut taken,
        );
        if let Some(arn) = basic {
            managed(arn, &d.name, &mut out[i].statements, notes);
        }
        sam_policies(&ctx, d, &mut out[i].statements, notes);
        pull_event_policies(d, &mut out[i].statements, notes);
        assumed.insert(d.name.clone(), out[i].id.clone());
    }

    // A role with a policy known only after apply may allow anything: checking its users'
    // calls against the rest would deny what it allows (a function's every publish).
    for r in &out {
        if r.unknown.is_empty() {
            continue;
        }
        let users: Vec<String> = assumed
            .iter()
            .filter(|(_, id)| **id == r.id)
            .map(|(n, _)| n.clone())
            .collect();
        if users.is_empty() {
            continue;
        }
        assumed.retain(|_, id| *id != r.id);
        notes.push(format!(
            "{}'s policy {} is known only after apply (the plan has no value for it): {} assume{} no role in the scenario and {} calls are not checked; write the role's statements and `role` yourself to check them",
            r.name,
            r.unknown.join(", "),
            users.join(", "),
            if users.len() == 1 { "s" } else { "" },
            if users.len() == 1 { "its" } else { "their" },
        ));
    }

    if out.len() > MAX_ROLES {
        notes.push(format!(
            "the template has {} roles; a scenario may have {MAX_ROLES}: the rest are left out",
            out.len()
        ));
        out.truncate(MAX_ROLES);
        let kept: Vec<String> = out.iter().map(|r| r.id.clone()).collect();
        assumed.retain(|_, r| kept.contains(r));
    }
    let mut text = String::new();
    for r in &mut out {
        let users: Vec<&str> = assumed
            .iter()
            .filter(|(_, id)| **id == r.id)
            .map(|(n, _)| n.as_str())
            .collect();
        text.push_str("[[role]]\n");
        let _ = writeln!(text, "id = {}  # {}", str_value(&r.id), one_line(&r.why));
        if users.is_empty() {
            text.push_str(
                "# assumed by no simulated component: written as the template has it, checking nothing\n",
            );
        }
        if r.statements.len() > MAX_STATEMENTS {
            notes.push(format!(
                "{} has {} statements; a role may have {MAX_STATEMENTS}: the rest are left out",
                r.name,
                r.statements.len()
            ));
            r.statements.truncate(MAX_STATEMENTS);
        }
        if r.statements.is_empty() {
            // No statement that applies: IAM's implicit deny refuses every call, and a
            // statement added to allow one takes effect (an explicit deny written here
            // would win over it).
            text.push_str("statements = []  # no statement of the template's grants an action archsim models: every call is denied (IAM's implicit deny) until one allows it\n\n");
            continue;
        }
        text.push_str("statements = [\n");
        for s in &r.statements {
            let mut t = toml::Table::new();
            t.insert("effect".into(), toml::Value::String(s.effect.into()));
            t.insert("actions".into(), strings(&s.actions));
            t.insert("resources".into(), strings(&s.resources));
            let _ = writeln!(text, "  {},  # {}", toml::Value::Table(t), one_line(&s.why));
        }
        text.push_str("]\n\n");
    }
    Roles { text, assumed }
}

/// The roles a resource's component may assume, as the template names them, and what names
/// them when it is written ("Role", "RoleArn", "WebTemplate's instance profile"; `None`: the
/// template leaves it to SAM or says nothing). `None` for a type that assumes no role.
fn roles_named(
    dialect: Dialect,
    resources: &[Declared],
    d: &Declared,
) -> Option<(Vec<String>, Option<String>)> {
    let key = match d.kind.as_str() {
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => "Role",
        "AWS::Serverless::StateMachine" => "Role",
        "AWS::StepFunctions::StateMachine" => "RoleArn",
        "aws_lambda_function" => "role",
        "aws_sfn_state_machine" => "role_arn",
        "AWS::AutoScaling::AutoScalingGroup" | "aws_autoscaling_group" => {
            return Some(instance_profile_roles(dialect, resources, d));
        }
        _ => return None,
    };
    let mut named = Vec::new();
    if let Some(r) = d.props.get(key) {
        references(r, &mut named);
    }
    Some((named, d.props.get(key).map(|_| key.to_string())))
}

/// The roles of the instance profile an Auto Scaling group's launch template or launch
/// configuration names: an instance's calls are made with its profile's role.
fn instance_profile_roles(
    dialect: Dialect,
    resources: &[Declared],
    d: &Declared,
) -> (Vec<String>, Option<String>) {
    let group = crate::components::iac::Resource {
        dialect,
        name: &d.name,
        kind: &d.kind,
        props: &d.props,
        template: resources,
    };
    let Some(launch) = crate::components::iac::launch_of(&group) else {
        return (Vec::new(), None);
    };
    let key = [
        "LaunchTemplateData.IamInstanceProfile",
        "IamInstanceProfile",
        "iam_instance_profile",
    ]
    .into_iter()
    .find(|k| {
        // A plan writes an unset block as `[]` and an unset name as `""`.
        launch.get(k).is_some_and(|v| match v {
            Value::Null => false,
            Value::Array(a) => !a.is_empty(),
            Value::String(s) => !s.is_empty(),
            _ => true,
        })
    });
    let Some(key) = key else {
        return (Vec::new(), None);
    };
    let said = Some(format!(
        "launch template {}'s instance profile",
        launch.name
    ));
    let profile = launch.refs(key).into_iter().find_map(|n| {
        resources.iter().find(|x| {
            x.name == n
                && matches!(
                    x.kind.as_str(),
                    "AWS::IAM::InstanceProfile" | "aws_iam_instance_profile"
                )
        })
    });
    let Some(profile) = profile else {
        return (Vec::new(), said);
    };
    let mut named = Vec::new();
    for k in ["Roles", "role"] {
        if let Some(v) = profile.props.get(k) {
            references(v, &mut named);
        }
    }
    (named, said)
}

/// Adds a role named after `name`, returning its index.
fn new_role(
    name: &str,
    why: String,
    out: &mut Vec<RoleOut>,
    by_name: &mut BTreeMap<String, usize>,
    taken: &mut super::write::Taken,
) -> usize {
    let id = taken.fresh(name);
    by_name.insert(name.to_string(), out.len());
    out.push(RoleOut {
        name: name.to_string(),
        id,
        why,
        statements: Vec::new(),
        unknown: Vec::new(),
    });
    out.len() - 1
}

/// What the statements' readers need.
struct Ctx<'a> {
    targets: &'a BTreeMap<String, Target>,
    resources: &'a [Declared],
    dialect: Dialect,
}

/// The resource a Terraform attribute refers to (`{"Ref": address}`), or a CloudFormation
/// reference's.
fn reference(v: Option<&Value>) -> Option<String> {
    let mut names = Vec::new();
    references(v?, &mut names);
    names.into_iter().next()
}

/// Whether a plan's policy document is known only after apply: it is a JSON string once
/// known; the plan leaves out one it does not know, and the reader puts the references
/// the configuration makes there instead (`{"Ref": …}`), without a known value beside them.
fn after_apply(v: &Value) -> bool {
    !(v.is_string() || v.get("Known").is_some_and(Value::is_string))
}

/// A string or a list of strings.
fn list_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// A policy document's statements (a mapping, or a JSON string as Terraform renders it).
fn document(
    ctx: &Ctx<'_>,
    doc: &Value,
    role: &str,
    label: &str,
    out: &mut Vec<Written>,
    notes: &mut Vec<String>,
) {
    let parsed;
    // A plan's policy rendered beside its references.
    let doc = doc.get("Known").unwrap_or(doc);
    let doc = match doc {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => {
                notes.push(format!(
                    "{role}'s policy {label} is not a JSON policy document: left out"
                ));
                return;
            }
        },
        v => v,
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => {
            notes.push(format!(
                "{role}'s policy {label} has no Statement: left out"
            ));
            return;
        }
    };
    for s in statements {
        statement(ctx, s, role, label, out, notes);
    }
}

/// One statement of a policy document, with the actions archsim can name and the resources it
/// can resolve.
fn statement(
    ctx: &Ctx<'_>,
    s: &Value,
    role: &str,
    label: &str,
    out: &mut Vec<Written>,
    notes: &mut Vec<String>,
) {
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => "Allow",
        Some("Deny") => "Deny",
        _ => {
            notes.push(format!(
                "{role}'s policy {label}: a statement without Effect Allow or Deny is left out"
            ));
            return;
        }
    };
    if s.get("NotAction").is_some() || s.get("NotResource").is_some() {
        notes.push(format!(
            "{role}'s policy {label}: a statement with NotAction or NotResource is left out (archsim's roles name what they match)"
        ));
        return;
    }
    if s.get("Condition").is_some() {
        notes.push(format!(
            "{role}'s policy {label}: a statement's Condition is not simulated: it applies to every request"
        ));
    }
    let actions = actions(&list_of(s.get("Action")), role, label, notes);
    let resources: Vec<String> = match s.get("Resource") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
    .into_iter()
    .filter_map(|r| resource(ctx, r, role, label, notes))
    .fold(Vec::new(), |mut acc, r| {
        if !acc.contains(&r) {
            acc.push(r);
        }
        acc
    });
    push(
        out,
        effect,
        actions,
        resources,
        label.to_string(),
        role,
        notes,
    );
}

/// Adds a statement when it has actions and resources left, else says it is left out.
fn push(
    out: &mut Vec<Written>,
    effect: &'static str,
    mut actions: Vec<String>,
    mut resources: Vec<String>,
    why: String,
    role: &str,
    notes: &mut Vec<String>,
) {
    if actions.is_empty() || resources.is_empty() {
        notes.push(format!(
            "{role}: a statement of {why} names no action or resource archsim can write: left out"
        ));
        return;
    }
    for l in [&mut actions, &mut resources] {
        if l.len() > MAX_POLICY_ENTRIES {
            notes.push(format!(
                "{role}: a statement of {why} lists more than {MAX_POLICY_ENTRIES} entries: the rest are left out"
            ));
            l.truncate(MAX_POLICY_ENTRIES);
        }
    }
    out.push(Written {
        effect,
        actions,
        resources,
        why,
    });
}

/// The actions archsim's roles can name: `*`, or a known service prefix and a name of letters,
/// digits, `*` and `?`; the others are said in a note.
fn actions(list: &[String], role: &str, label: &str, notes: &mut Vec<String>) -> Vec<String> {
    let known = crate::scenario::roles::prefixes();
    let mut out = Vec::new();
    let mut left = Vec::new();
    for a in list {
        let ok = a == "*"
            || a.split_once(':').is_some_and(|(p, n)| {
                known.contains(&p.to_ascii_lowercase().as_str())
                    && !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
            });
        if ok && a.len() <= MAX_POLICY_ENTRY_LEN {
            if !out.contains(a) {
                out.push(a.clone());
            }
        } else {
            left.push(a.as_str());
        }
    }
    if !left.is_empty() {
        notes.push(format!(
            "{role}'s policy {label}: actions of services archsim does not know are left out: {}",
            left.join(", ")
        ));
    }
    out
}

/// A statement's resource as archsim's roles name it: a simulated component's id (its ARN), an
/// ARN written out, or `*`; `None` (said in a note) when it names what is not simulated or an
/// ARN archsim cannot form.
fn resource(
    ctx: &Ctx<'_>,
    r: &Value,
    role: &str,
    label: &str,
    notes: &mut Vec<String>,
) -> Option<String> {
    let shown = one_line(&r.to_string());
    let got = match r {
        Value::String(s) => literal(ctx, s),
        Value::Object(m) if m.contains_key("Ref") || m.contains_key("Fn::GetAtt") => {
            let attr = m
                .get("Fn::GetAtt")
                .and_then(Value::as_array)
                .and_then(|a| a.get(1))
                .and_then(Value::as_str)
                .unwrap_or("");
            // `GetAtt X.Arn` is the ARN itself; `Ref` gives a name, an id or a URL, never an
            // ARN, so it matches nothing in AWS. A bucket's ARN is the bucket's alone, not
            // its objects' (`<bucket>/*`), which its id would stand for too.
            match reference(Some(r)) {
                Some(name) if attr == "Arn" => component(ctx, &name).map(|id| {
                    if objects(prefix(ctx, &name)) {
                        s3::bucket_arn(&id)
                    } else {
                        id
                    }
                }),
                // A table's stream (its current label): archsim's ARN of it names every label.
                Some(name) if attr == "StreamArn" && table(prefix(ctx, &name)) => {
                    component(ctx, &name).map(|id| stream_arn(&id))
                }
                _ => None,
            }
        }
        Value::Object(m) if m.contains_key("Fn::Sub") => sub(ctx, &m["Fn::Sub"]),
        _ => None,
    };
    if got.is_none() {
        notes.push(format!(
            "{role}'s policy {label}: resource {shown} is not a simulated component archsim checks, nor an ARN it can write: left out of the statement"
        ));
    }
    got
}

/// Whether a component of the service `prefix` is a bucket, whose id stands for two ARNs
/// (the bucket's and its objects', `<bucket>/*`: its `IAM_PARTS`): a template's ARN naming
/// one of them becomes that ARN as archsim writes it, never the id, which would grant the
/// other as well.
fn objects(prefix: Option<&str>) -> bool {
    prefix.is_some() && prefix == <S3Config as Kind>::IAM_PREFIX
}

/// Whether a component of the service `prefix` is a table, whose stream has an ARN of its
/// own beneath the table's, which the table's id does not stand for.
fn table(prefix: Option<&str>) -> bool {
    prefix.is_some() && prefix == <DynamoConfig as Kind>::IAM_PREFIX
}

/// archsim's ARN of the stream of table `id`, in any Region.
fn stream_arn(id: &str) -> String {
    format!("{}{}", dynamodb::table_arn(id, "*"), dynamodb::STREAM)
}

/// The IAM prefix of a simulated component's kind, by resource name.
fn prefix(ctx: &Ctx<'_>, name: &str) -> Option<&'static str> {
    ctx.targets.get(name).and_then(|t| t.prefix)
}

/// What a template's ARN of the service `service` becomes when it names the component `id`
/// (called `name` in it) as archsim's ARN of that component does: a bucket's
/// `…:::<name>` or its objects' `…:::<name>/*`, or a table's stream `…:table/<name>/stream/*`,
/// that ARN written with the id; any other `…/<name>` or `…:<name>` (a trailing `*` allowed:
/// it matches nothing as well), the id. `None`: it names something else (a table's
/// `/index/*`).
fn as_archsim(arn: &str, service: Option<&str>, name: &str, id: &str) -> Option<String> {
    if objects(service) {
        let resource = arn.splitn(6, ':').nth(5)?;
        return if resource == name {
            Some(s3::bucket_arn(id))
        } else if resource.strip_suffix(s3::OBJECTS) == Some(name) {
            Some(format!("{}{}", s3::bucket_arn(id), s3::OBJECTS))
        } else {
            None
        };
    }
    // A table's stream, every label (`…:table/<name>/stream/*`): archsim's ARN of it. One
    // label written out names one stream, which archsim's ARN (every label) would exceed.
    let stream = format!("table/{name}{}", dynamodb::STREAM);
    if table(service) && arn.splitn(6, ':').nth(5) == Some(stream.as_str()) {
        return Some(stream_arn(id));
    }
    let tail = arn.strip_suffix('*').unwrap_or(arn);
    (tail.ends_with(&format!("/{name}")) || tail.ends_with(&format!(":{name}")))
        .then(|| id.to_string())
}

/// The id of a simulated component whose calls IAM checks, by resource name.
fn component(ctx: &Ctx<'_>, name: &str) -> Option<String> {
    ctx.targets
        .get(name)
        .filter(|t| t.prefix.is_some())
        .map(|t| t.id.clone())
}

/// A literal resource: `*`; an ARN whose last part is a simulated component's AWS name (its
/// `TableName`, `name`…) becomes that component; another well-formed ARN is kept.
fn literal(ctx: &Ctx<'_>, s: &str) -> Option<String> {
    if s == "*" {
        return Some(s.into());
    }
    if !s.starts_with("arn:") || s.splitn(6, ':').count() < 6 || s.len() > MAX_POLICY_ENTRY_LEN {
        return None;
    }
    let service = s.split(':').nth(2).unwrap_or("");
    for d in ctx.resources.iter() {
        let Some(t) = ctx.targets.get(&d.name) else {
            continue;
        };
        if t.prefix != Some(service) {
            continue;
        }
        if let Some(r) = aws_name(ctx.dialect, d).and_then(|n| as_archsim(s, t.prefix, n, &t.id)) {
            return Some(r);
        }
    }
    Some(s.into())
}

/// The name AWS gives a resource, where the template sets it.
fn aws_name(dialect: Dialect, d: &Declared) -> Option<&str> {
    let keys: &[&str] = match dialect {
        Dialect::CloudFormation => &[
            "TableName",
            "BucketName",
            "QueueName",
            "FunctionName",
            "TopicName",
        ],
        Dialect::Terraform => &["name", "bucket", "function_name"],
    };
    keys.iter()
        .find_map(|k| d.props.get(*k).and_then(Value::as_str))
}

/// A `Fn::Sub` resource: pseudo parameters become `*` (the partition `aws`); `${X}` and
/// `${X.Arn}` a simulated component. When the whole string is one component's ARN (or, in an
/// ARN, its name in the place archsim's ARN has it) it becomes that component's id.
fn sub(ctx: &Ctx<'_>, v: &Value) -> Option<String> {
    let (text, vars) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Array(a) => (a.first()?.as_str()?, a.get(1).and_then(Value::as_object)),
        _ => return None,
    };
    let mut named: Option<String> = None;
    let mut service = None;
    let mut arn = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        // An entry is at most `MAX_POLICY_ENTRY_LEN` long: a variable written many times for a
        // long value would otherwise make one of gigabytes.
        if arn.len() > MAX_POLICY_ENTRY_LEN {
            return None;
        }
        arn.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        let var = &rest[start + 2..end];
        rest = &rest[end + 1..];
        match var {
            "AWS::Partition" => arn.push_str("aws"),
            "AWS::Region" | "AWS::AccountId" => arn.push('*'),
            _ => {
                // A variable of the list form names a value (a reference or a literal).
                let target = match vars.and_then(|m| m.get(var)) {
                    Some(Value::String(s)) => {
                        arn.push_str(s);
                        continue;
                    }
                    Some(other) => reference(Some(other))?,
                    None => var.split('.').next().unwrap_or(var).to_string(),
                };
                let id = component(ctx, &target)?;
                if var.ends_with(".StreamArn") && table(prefix(ctx, &target)) {
                    return (arn.is_empty() && rest.is_empty()).then(|| stream_arn(&id));
                }
                if var.ends_with(".Arn") {
                    // Only the whole string can be an ARN archsim forms: the resource's, or
                    // a bucket's objects (`${Bucket.Arn}/*`).
                    if !arn.is_empty() {
                        return None;
                    }
                    return match (objects(prefix(ctx, &target)), rest) {
                        (true, "") => Some(s3::bucket_arn(&id)),
                        (true, s3::OBJECTS) => {
                            Some(format!("{}{}", s3::bucket_arn(&id), s3::OBJECTS))
                        }
                        (false, "") => Some(id),
                        _ => None,
                    };
                }
                service = prefix(ctx, &target);
                if named.replace(id.clone()).is_some_and(|n| n != id) {
                    return None;
                }
                arn.push_str(&id);
            }
        }
    }
    arn.push_str(rest);
    let id = named?;
    // The ARN archsim gives the component ends with its id (S3: the bucket, or its objects
    // `<bucket>/*`): a template's ARN of that shape is the component; any other (a table's
    // `/index/*`) names what archsim does not simulate.
    let same_service = arn.split(':').nth(2) == service;
    if !(arn.starts_with("arn:") && same_service) {
        return None;
    }
    as_archsim(&arn, service, &id, &id)
}

/// An AWS managed policy (by ARN or, in SAM, by name) whose actions archsim knows, else a note.
fn managed(arn: &str, role: &str, out: &mut Vec<Written>, notes: &mut Vec<String>) {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    managed_because(arn, role, format!("AWS managed policy {name}"), out, notes);
}

/// The same, its statement said to come from `why`.
fn managed_because(
    arn: &str,
    role: &str,
    why: String,
    out: &mut Vec<Written>,
    notes: &mut Vec<String>,
) {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    // The actions of AWS managed policies, from AWS's Managed Policy Reference Guide
    // (docs.aws.amazon.com/aws-managed-policy/latest/reference/), the services archsim models
    // only; each grants on every resource.
    let actions: &[&str] = match name {
        "AWSLambdaBasicExecutionRole" => &[
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ],
        "AdministratorAccess" => &["*"],
        "AmazonDynamoDBFullAccess" => &["dynamodb:*"],
        "AmazonDynamoDBReadOnlyAccess" => &[
            "dynamodb:BatchGetItem",
            "dynamodb:Describe*",
            "dynamodb:List*",
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:PartiQLSelect",
        ],
        "AmazonS3FullAccess" => &["s3:*"],
        "AmazonS3ReadOnlyAccess" => &["s3:Get*", "s3:List*"],
        "AmazonSQSFullAccess" => &["sqs:*"],
        "AmazonSNSFullAccess" => &["sns:*"],
        "AWSLambdaSQSQueueExecutionRole" => &[
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ],
        "AWSLambdaDynamoDBExecutionRole" => &[
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ],
        _ => {
            notes.push(format!(
                "{role}: the managed policy {} is not one whose actions archsim knows: left out (write its statements in the role)",
                one_line(arn)
            ));
            return;
        }
    };
    push(
        out,
        "Allow",
        actions.iter().map(|a| a.to_string()).collect(),
        vec!["*".into()],
        why,
        role,
        notes,
    );
}

/// The managed policy SAM adds to the role it makes for a function with each event source
/// mapping event (SAM's `samtranslator/model/eventsources/pull.py`: an SQS event adds
/// AWSLambdaSQSQueueExecutionRole, a DynamoDB event AWSLambdaDynamoDBExecutionRole), which
/// grants what Lambda needs to read the source with the function's role. A Kinesis stream is
/// not simulated: its event adds nothing here.
fn pull_event_policies(d: &Declared, out: &mut Vec<Written>, notes: &mut Vec<String>) {
    let Some(Value::Object(events)) = d.props.get("Events") else {
        return;
    };
    let mut added: Vec<&str> = Vec::new();
    for (event, e) in events {
        let policy = match e.get("Type").and_then(Value::as_str) {
            Some("SQS") => "AWSLambdaSQSQueueExecutionRole",
            Some("DynamoDB") => "AWSLambdaDynamoDBExecutionRole",
            _ => continue,
        };
        if added.contains(&policy) {
            continue;
        }
        added.push(policy);
        let why = format!("AWS managed policy {policy}, which SAM adds for event {event}");
        let arn = format!("arn:aws:iam::aws:policy/service-role/{policy}");
        managed_because(&arn, &d.name, why, out, notes);
    }
}

/// SAM's `Policies` on a function: managed policies by name or ARN, policy documents, and
/// policy templates. The templates' actions and resources are those of AWS's "AWS SAM policy
/// template list"
/// (docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-template-list.html).
fn sam_policies(ctx: &Ctx<'_>, d: &Declared, out: &mut Vec<Written>, notes: &mut Vec<String>) {
    let items: Vec<&Value> = match d.props.get("Policies") {
        None => return,
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
    };
    for p in items {
        match p {
            Value::String(s) => managed(s, &d.name, out, notes),
            Value::Object(m) if m.contains_key("Statement") => {
                document(ctx, p, &d.name, "inline policy", out, notes)
            }
            Value::Object(m) => {
                for (template, args) in m {
                    policy_template(ctx, template, args, &d.name, out, notes);
                }
            }
            _ => notes.push(format!(
                "{}: a Policies entry is not read: left out",
                d.name
            )),
        }
    }
}

/// One SAM policy template: its actions on the component its parameter names.
fn policy_template(
    ctx: &Ctx<'_>,
    template: &str,
    args: &Value,
    role: &str,
    out: &mut Vec<Written>,
    notes: &mut Vec<String>,
) {
    let (param, actions): (&str, &[&str]) = match template {
        "DynamoDBCrudPolicy" => (
            "TableName",
            &[
                "dynamodb:GetItem",
                "dynamodb:DeleteItem",
                "dynamodb:PutItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
                "dynamodb:ConditionCheckItem",
            ],
        ),
        "DynamoDBReadPolicy" => (
            "TableName",
            &[
                "dynamodb:GetItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
            ],
        ),
        "DynamoDBWritePolicy" => (
            "TableName",
            &[
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
            ],
        ),
        "SQSSendMessagePolicy" => ("QueueName", &["sqs:SendMessage*"]),
        "SQSPollerPolicy" => (
            "QueueName",
            &[
                "sqs:ChangeMessageVisibility",
                "sqs:ChangeMessageVisibilityBatch",
                "sqs:DeleteMessage",
                "sqs:DeleteMessageBatch",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
        ),
        "S3ReadPolicy" => (
            "BucketName",
            &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:GetLifecycleConfiguration",
            ],
        ),
        "S3CrudPolicy" => (
            "BucketName",
            &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:DeleteObject",
            ],
        ),
        "S3WritePolicy" => (
            "BucketName",
            &[
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:PutLifecycleConfiguration",
            ],
        ),
        "S3FullAccessPolicy" => (
            "BucketName",
            &[
                "s3:GetObject",
                "s3:GetObjectAcl",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:DeleteObject",
                "s3:DeleteObjectTagging",
                "s3:DeleteObjectVersionTagging",
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
            ],
        ),
        "SNSPublishMessagePolicy" => ("TopicName", &["sns:Publish"]),
        "SNSCrudPolicy" => (
            "TopicName",
            &[
                "sns:ListSubscriptionsByTopic",
                "sns:CreateTopic",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Publish",
            ],
        ),
        "LambdaInvokePolicy" => ("FunctionName", &["lambda:InvokeFunction"]),
        "StepFunctionsExecutionPolicy" => ("StateMachineName", &["states:StartExecution"]),
        "KMSDecryptPolicy" => ("KeyId", &["kms:Decrypt"]),
        "KMSEncryptPolicy" => ("KeyId", &["kms:Encrypt"]),
        _ => {
            notes.push(format!(
                "{role}: the SAM policy template {} is not one archsim reads: left out",
                one_line(template)
            ));
            return;
        }
    };
    let why = format!("SAM policy template {template}");
    // The parameter names the resource: a reference to a component of the template, or its
    // AWS name written out.
    let target = match args.get(param) {
        Some(Value::String(name)) => ctx
            .resources
            .iter()
            .find(|d| aws_name(ctx.dialect, d) == Some(name.as_str()))
            .and_then(|d| component(ctx, &d.name)),
        Some(v) => reference(Some(v)).and_then(|n| component(ctx, &n)),
        None => None,
    };
    let Some(id) = target else {
        notes.push(format!(
            "{role}: {why}'s {param} is not a simulated component archsim checks: left out"
        ));
        return;
    };
    push(
        out,
        "Allow",
        actions.iter().map(|a| a.to_string()).collect(),
        vec![id],
        why,
        role,
        notes,
    );
}

/// Strings as a TOML array.
fn strings(l: &[String]) -> toml::Value {
    toml::Value::Array(l.iter().cloned().map(toml::Value::String).collect())
}

/// A string as TOML writes it.
fn str_value(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Text made one printable line.
fn one_line(s: &str) -> String {
    crate::text::one_line(s).into_owned()
}
