//! What a kind declares for `archsim import`: the CloudFormation (and SAM) and Terraform
//! resource types it maps, and a small function per type that turns a resource's properties
//! into the kind's keys and the edges its wiring implies. The generic walking (reading the
//! template, resolving references, writing the scenario) lives in `crate::import`; this file
//! holds only the vocabulary the kinds and the importer share.

use serde_json::Value;

/// The language a resource was written in: its property names differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// A CloudFormation or SAM template: `MemorySize`, `{"Ref": "Table"}`.
    CloudFormation,
    /// A Terraform plan's planned values: `memory_size`, references from its configuration.
    Terraform,
}

/// One resource of a template as the importer read it: its name, type and properties.
#[derive(Debug, Clone)]
pub struct Declared {
    /// Its logical id (CloudFormation) or address (Terraform).
    pub name: String,
    /// Its resource type.
    pub kind: String,
    /// Its properties (see `Resource::props`).
    pub props: Value,
}

/// One resource of a template, as a kind's mapping reads it.
#[derive(Debug)]
pub struct Resource<'a> {
    /// Which language its properties are in.
    pub dialect: Dialect,
    /// Its logical id (CloudFormation) or address (Terraform).
    pub name: &'a str,
    /// Its resource type: "AWS::Lambda::Function", "aws_lambda_function".
    pub kind: &'a str,
    /// Its properties, parameters' defaults already put in place of their references. A
    /// reference to another resource is `{"Ref": "<name>"}`, `{"Fn::GetAtt": ["<name>", …]}`
    /// or a `{"Fn::Sub": …}` naming it.
    pub props: &'a Value,
    /// Every resource of the template, for a mapping that reads another one (a group's
    /// launch template, a listener's target group).
    pub template: &'a [Declared],
}

impl<'a> Resource<'a> {
    /// The resource of the template named `name`.
    pub fn other(&self, name: &str) -> Option<Resource<'a>> {
        self.others().find(|r| r.name == name)
    }

    /// Every resource of the template, in the order written.
    pub fn others(&self) -> impl Iterator<Item = Resource<'a>> + 'a {
        let (dialect, template) = (self.dialect, self.template);
        template.iter().map(move |d| Resource {
            dialect,
            name: &d.name,
            kind: &d.kind,
            props: &d.props,
            template,
        })
    }

    /// The value at a dotted path of its properties ("ProvisionedThroughput.ReadCapacityUnits").
    pub fn get(&self, path: &str) -> Option<&'a Value> {
        path.split('.').try_fold(self.props, |v, step| match v {
            Value::Object(m) => m.get(step),
            // Terraform writes a nested block as a list of one object.
            Value::Array(a) => a.first().and_then(|x| x.get(step)),
            _ => None,
        })
    }

    /// A number written literally (a number, or a string holding one: CloudFormation's
    /// templates often quote numbers); `None` for an intrinsic function or a missing value.
    pub fn num(&self, path: &str) -> Option<f64> {
        number(self.get(path)?)
    }

    /// A string written literally.
    pub fn text(&self, path: &str) -> Option<&'a str> {
        self.get(path)?.as_str()
    }

    /// A string written literally, or one a plan knows beside its references (`Known`, as
    /// `terraform.rs` keeps a value its configuration also refers to).
    pub fn known_text(&self, path: &str) -> Option<&'a str> {
        let v = self.get(path)?;
        v.as_str().or_else(|| v.get("Known")?.as_str())
    }

    /// A property's name in the resource's language: CloudFormation's or Terraform's.
    pub fn key(&self, cf: &'static str, tf: &'static str) -> &'static str {
        match self.dialect {
            Dialect::CloudFormation => cf,
            Dialect::Terraform => tf,
        }
    }

    /// A boolean written literally (or as "true"/"false").
    pub fn flag(&self, path: &str) -> Option<bool> {
        match self.get(path)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The resources referenced anywhere at or below a path, in the order written, each once.
    pub fn refs(&self, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(v) = self.get(path) {
            references(v, &mut out);
        }
        out
    }
}

/// Collects the names a value references (`Ref`, `Fn::GetAtt`, `${Name}` or `${Name.Attr}` in
/// `Fn::Sub`), in the order written, each once. Pseudo parameters (`AWS::Region`) are left out.
pub fn references(v: &Value, out: &mut Vec<String>) {
    references_in([v], out);
}

/// `references` of several values at once: the names of all of them, each once.
pub fn references_in<'v>(values: impl IntoIterator<Item = &'v Value>, out: &mut Vec<String>) {
    let mut once = Once::new(out);
    for v in values {
        each_reference(v, &mut |name, _| once.push(name));
    }
}

/// The resources whose endpoint a value names (`Fn::GetAtt` of `Endpoint.Address`,
/// `ReadEndpoint.Address`, `RedisEndpoint.Address`, …, or `${Name.Endpoint.Address}` in an
/// `Fn::Sub`; a plan's `address`, `primary_endpoint_address`, `cache_nodes[0].address`, …), in
/// the order written, each once: a process given that address connects to it.
pub fn endpoint_references(v: &Value, out: &mut Vec<String>) {
    let mut once = Once::new(out);
    each_reference(v, &mut |name, attribute| {
        if attribute.is_some_and(endpoint_attribute) {
            once.push(name);
        }
    });
}

/// Whether an attribute of a resource is the address a client connects to: an endpoint
/// (CloudFormation's `Endpoint.Address`, `RedisEndpoint.Port`; Terraform's `endpoint`,
/// `reader_endpoint`, `primary_endpoint_address`) or, in Terraform's words, an `address`
/// (`aws_db_instance`'s, a cache node's `cache_nodes[0].address`, `cluster_address`).
pub fn endpoint_attribute(attribute: &str) -> bool {
    let a = attribute.to_ascii_lowercase();
    a.contains("endpoint") || a == "address" || a.ends_with(".address") || a.ends_with("_address")
}

/// A list that takes each name once, in the order first pushed: a set beside it, so that a
/// value naming many resources takes time in proportion to them, not to their square.
pub(crate) struct Once<'a> {
    out: &'a mut Vec<String>,
    seen: std::collections::BTreeSet<String>,
}

impl<'a> Once<'a> {
    /// Over `out`, whose names are taken already.
    pub(crate) fn new(out: &'a mut Vec<String>) -> Once<'a> {
        let seen = out.iter().cloned().collect();
        Once { out, seen }
    }

    pub(crate) fn push(&mut self, name: &str) {
        if self.seen.insert(name.to_string()) {
            self.out.push(name.to_string());
        }
    }
}

/// Calls `f` with each reference a value makes, in the order written: the name and, for an
/// `Fn::GetAtt` or a `${Name.Attr}` in an `Fn::Sub`, the attribute. Pseudo parameters
/// (`AWS::Region`) and `${!Literal}`s are left out.
fn each_reference(v: &Value, f: &mut impl FnMut(&str, Option<&str>)) {
    let mut named = |name: &str, attribute: Option<&str>| {
        if !name.starts_with("AWS::") {
            f(name, attribute);
        }
    };
    match v {
        Value::Object(m) => {
            if let Some(Value::String(name)) = m.get("Ref") {
                named(name, None);
                return;
            }
            match m.get("Fn::GetAtt") {
                Some(Value::Array(a)) => {
                    if let Some(Value::String(name)) = a.first() {
                        named(name, a.get(1).and_then(Value::as_str));
                    }
                    return;
                }
                Some(Value::String(s)) => {
                    match s.split_once('.') {
                        Some((name, attribute)) => named(name, Some(attribute)),
                        None => named(s, None),
                    }
                    return;
                }
                _ => {}
            }
            if let Some(sub) = m.get("Fn::Sub") {
                let text = match sub {
                    Value::String(s) => s.as_str(),
                    Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or(""),
                    _ => "",
                };
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let inner = &after[..end];
                    if !inner.starts_with('!') {
                        match inner.split_once('.') {
                            Some((name, attribute)) => named(name, Some(attribute)),
                            None => named(inner, None),
                        }
                    }
                    rest = &after[end + 1..];
                }
                if let Some(Value::Object(vars)) = sub.as_array().and_then(|a| a.get(1)) {
                    for v in vars.values() {
                        each_reference(v, f);
                    }
                }
                return;
            }
            for v in m.values() {
                each_reference(v, f);
            }
        }
        Value::Array(a) => {
            for v in a {
                each_reference(v, f);
            }
        }
        _ => {}
    }
}

/// A call or tie the template's wiring implies, from one resource's component to another's.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The resource whose component makes the call (`None`: the one being mapped).
    pub from: Option<String>,
    /// The resource whose component is called.
    pub to: String,
    /// Why the importer believes the call is there, written beside it as a comment.
    pub why: String,
    /// Keys written beside `to` when the tie is a table (`consumer = { to, batch_size }`).
    pub with: Vec<(&'static str, toml::Value)>,
    /// The route of an API the call is the integration of (a SAM `Api` event's method and
    /// path), for a kind whose table gives routes their own integration
    /// (`Downstream::Routes`).
    pub route: Option<Route>,
    /// The integration of an HTTP API's `$default` route: requests no other route matches
    /// go to it, so it is the API's main `target`.
    pub catch_all: bool,
}

/// An API's route as a template states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method, upper case ("GET", "ANY").
    pub method: String,
    /// The path ("/orders/{id}").
    pub path: String,
}

/// How the reason of a call the importer assumes (from a function's environment or policies,
/// not from the template's wiring) begins.
pub const ASSUMED: &str = "assumed from configuration";

impl Edge {
    /// Whether the call is assumed from configuration rather than stated by the template's
    /// wiring (an event, an integration, a subscription).
    pub fn assumed(&self) -> bool {
        self.why.starts_with(ASSUMED)
    }
}

/// A key the template set (or a starting value it could not say), with where it came from.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The kind's key.
    pub key: &'static str,
    /// Its value.
    pub value: toml::Value,
    /// Where it came from or why it is what it is, written beside it as a comment.
    pub why: String,
    /// Whether the template could not say it: a starting value the user must set from what
    /// they measure, listed at the end of the import.
    pub ask: bool,
    /// Whether it adds to the value other resources give the key (a cluster's replicas).
    pub add: bool,
}

/// A key whose value is the id of another resource's component (`dead_letter = "…"`).
#[derive(Debug, Clone)]
pub struct Link {
    /// The kind's key.
    pub key: &'static str,
    /// The resource named.
    pub to: String,
    /// Where it came from.
    pub why: String,
}

/// What a kind's mapping makes of one resource.
#[derive(Debug, Default)]
pub struct Mapped {
    /// Keys of the component, in the order written.
    pub keys: Vec<Setting>,
    /// Calls and ties the resource's wiring implies.
    pub edges: Vec<Edge>,
    /// For a resource that configures another's component (an API's stage, a function's
    /// alias): that resource, whose component takes these keys.
    pub part_of: Option<String>,
    /// Keys naming another resource's component.
    pub links: Vec<Link>,
    /// Whether the resource is read by the mappings of others (a launch template, a target
    /// group) and is no component of its own.
    pub folded: bool,
    /// What the import could not carry over, in words, written as comments.
    pub notes: Vec<String>,
    /// Calls this resource's component stands in front of: (caller, backend) — the caller's
    /// call to the backend goes to this component instead, which calls the backend (a cache
    /// in front of a database).
    pub fronts: Vec<(String, String)>,
    /// Keys the workloads sent to this resource's component need (API keys for a usage
    /// plan), each a starting value.
    pub workload: Vec<Setting>,
    /// Whether its component is reached through the one a key of it names with `component`
    /// (a volume through the instances it is attached to) rather than called: it gets no
    /// traffic, and naming that component does not count as calling it.
    pub attached: bool,
}

impl Mapped {
    /// Sets a key the template said, with where it came from (a later setting of the same key
    /// replaces an earlier one: a stage's throttle after the API's).
    pub fn set(
        &mut self,
        key: &'static str,
        value: impl Into<toml::Value>,
        why: impl Into<String>,
    ) {
        self.put(key, value.into(), why.into(), false);
    }

    /// Adds to an integer key that other resources add to as well (a cluster's replicas).
    pub fn add(&mut self, key: &'static str, n: i64, why: impl Into<String>) {
        self.keys.push(Setting {
            key,
            value: toml::Value::Integer(n),
            why: why.into(),
            ask: false,
            add: true,
        });
    }

    /// Sets a key to the id of another resource's component.
    pub fn link(&mut self, key: &'static str, to: String, why: impl Into<String>) {
        self.links.push(Link {
            key,
            to,
            why: why.into(),
        });
    }

    /// Sets a starting value the template cannot say, with what to set it from.
    pub fn ask(
        &mut self,
        key: &'static str,
        value: impl Into<toml::Value>,
        why: impl Into<String>,
    ) {
        self.put(key, value.into(), why.into(), true);
    }

    /// Sets `key`, replacing an earlier setting of it: what `set` and `ask` share.
    fn put(&mut self, key: &'static str, value: toml::Value, why: String, ask: bool) {
        self.keys.retain(|s| s.key != key);
        self.keys.push(Setting {
            key,
            value,
            why,
            ask,
            add: false,
        });
    }

    /// Asks a key of the workloads sent to this component (a starting value).
    pub fn ask_workload(
        &mut self,
        key: &'static str,
        value: impl Into<toml::Value>,
        why: impl Into<String>,
    ) {
        self.workload.retain(|s| s.key != key);
        self.workload.push(Setting {
            key,
            value: value.into(),
            why: why.into(),
            ask: true,
            add: false,
        });
    }

    /// Adds a call from this resource's component (or `from`'s) to `to`'s.
    pub fn edge(&mut self, from: Option<String>, to: String, why: impl Into<String>) {
        self.edges.push(Edge {
            from,
            to,
            why: why.into(),
            with: Vec::new(),
            route: None,
            catch_all: false,
        });
    }

    /// Adds a call assumed from configuration (not the template's wiring): its reason is
    /// `why` after `ASSUMED`, which is how `Edge::assumed` tells it.
    pub fn assumed_edge(&mut self, from: Option<String>, to: String, why: &str) {
        self.edge(from, to, format!("{ASSUMED}: {why}"));
    }

    /// Adds a note on what was not carried over.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

/// What marks a string value of a setting (or of an edge's keys) as the name of a resource
/// whose component id the importer writes in its place: see `component`.
pub const COMPONENT_MARK: &str = "\u{0}component:";

/// A value naming the component of resource `name`, for a key nested in a setting (a state's
/// `resource`, a subscription's `dead_letter`): the importer writes that component's id, or
/// leaves out what holds it, said in a note, when the resource is not simulated.
pub fn component(name: &str) -> toml::Value {
    toml::Value::String(format!("{COMPONENT_MARK}{name}"))
}

/// Whether resource `name` of the template has a type some kind maps (it may still be left
/// out later, for a tie it lacks).
pub fn mapped(r: &Resource<'_>, name: &str) -> bool {
    r.other(name).is_some_and(|o| {
        crate::components::registry::KINDS
            .iter()
            .any(|k| k.imports.find(r.dialect, o.kind).is_some())
    })
}

/// The category of the kind that maps resource `name`'s type, if one does.
pub fn category_of(r: &Resource<'_>, name: &str) -> Option<crate::components::kind::Category> {
    let o = r.other(name)?;
    crate::components::registry::KINDS
        .iter()
        .find(|k| k.imports.find(r.dialect, o.kind).is_some())
        .map(|k| k.info.category)
}

/// How a kind's table names what it calls, for the edges the importer writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Downstream {
    /// It calls nothing.
    None,
    /// `calls = [{ to = "…" }, …]`.
    Calls,
    /// One id in a key (`target = "…"`); `required`: the table is invalid without it.
    One {
        /// The key.
        key: &'static str,
        /// Whether the kind cannot be written without it.
        required: bool,
    },
    /// A list of ids in a key (`targets = ["…", …]`), required.
    Many(&'static str),
    /// A table naming the callee in `to` with the edge's own keys (a queue's `consumer =
    /// { to = "…" }`, a table's `stream = { consumer = "…" }`), optional.
    Table {
        /// The component's key holding the table.
        key: &'static str,
        /// The table's key naming the callee.
        to: &'static str,
    },
    /// A list of such tables (`records = [{ to = "…", weight = 1 }, …]`), required.
    Tables(&'static str),
    /// One id in `key`, required (an API's `target`), and each further call a route of the
    /// template states (`Edge::route`) as `{ op, target }` in `routes`: that route's own
    /// integration.
    Routes {
        /// The key of the main call.
        key: &'static str,
        /// The key of the list of routes.
        routes: &'static str,
    },
}

/// How a kind maps resources of some types.
#[derive(Debug)]
pub struct ResourceMap {
    /// The CloudFormation and SAM resource types: "AWS::Lambda::Function".
    pub cloudformation: &'static [&'static str],
    /// The Terraform resource types: "aws_lambda_function".
    pub terraform: &'static [&'static str],
    /// Reads one resource of those types.
    pub map: fn(&Resource<'_>, &mut Mapped),
}

/// Everything a kind declares for the importer.
#[derive(Debug)]
pub struct Imports {
    /// The resource types it maps, and how.
    pub maps: &'static [ResourceMap],
    /// Resource types another kind maps whose instances each carry a component of this kind
    /// (an Auto Scaling group's volumes, from its launch template's block devices): a mapping
    /// that sets any key makes a component of this kind beside that resource's, named after
    /// it, which names it with `component` and is `attached`.
    pub companions: &'static [ResourceMap],
    /// How its table names what it calls.
    pub downstream: Downstream,
}

impl Imports {
    /// A kind no template maps to.
    pub const NONE: Imports = Imports {
        maps: &[],
        companions: &[],
        downstream: Downstream::None,
    };

    /// The mapping of resource type `kind` in `dialect`, if the kind has one.
    pub fn find(&self, dialect: Dialect, kind: &str) -> Option<&ResourceMap> {
        self.maps.iter().find(|m| match dialect {
            Dialect::CloudFormation => m.cloudformation.contains(&kind),
            Dialect::Terraform => m.terraform.contains(&kind),
        })
    }

    /// The companion mapping of resource type `kind` in `dialect`, if the kind has one.
    pub fn companion(&self, dialect: Dialect, kind: &str) -> Option<&ResourceMap> {
        self.companions.iter().find(|m| match dialect {
            Dialect::CloudFormation => m.cloudformation.contains(&kind),
            Dialect::Terraform => m.terraform.contains(&kind),
        })
    }
}

/// The launch template or launch configuration an Auto Scaling group launches from, if the
/// template has it.
pub fn launch_of<'a>(group: &Resource<'a>) -> Option<Resource<'a>> {
    [
        "LaunchTemplate.LaunchTemplateId",
        "LaunchTemplate.LaunchTemplateName",
        "LaunchConfigurationName",
        "launch_template.id",
        "launch_template.name",
        "launch_configuration",
    ]
    .iter()
    .find_map(|k| group.refs(k).into_iter().next())
    .and_then(|name| group.other(&name))
}

/// A duration in seconds, as a scenario writes it ("30s").
pub fn seconds(s: f64) -> toml::Value {
    toml::Value::String(format!("{s}s"))
}

/// `x` held within [lo, hi], with a note when it had to be.
pub fn clamp(x: f64, lo: f64, hi: f64, what: &str, m: &mut Mapped) -> f64 {
    if x < lo || x > hi {
        let held = x.clamp(lo, hi);
        m.note(format!(
            "{what} {x} is outside archsim's range {lo}..{hi}: written as {held}"
        ));
        held
    } else {
        x
    }
}

/// A literal number, or a string holding one (CloudFormation often quotes numbers).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

/// An integer as a TOML value.
pub fn int(x: f64) -> toml::Value {
    toml::Value::Integer(x.round() as i64)
}

/// A string as a TOML value.
pub fn string(s: &str) -> toml::Value {
    toml::Value::String(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_in_every_form() {
        let v: Value = serde_json::json!({
            "A": {"Ref": "Table"},
            "B": {"Fn::GetAtt": ["Queue", "Arn"]},
            "C": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/functions/${Fn.Arn}/invocations ${!Literal}"},
            "D": {"Fn::GetAtt": "Bucket.Arn"},
            "E": [{"Ref": "Table"}]
        });
        let mut out = Vec::new();
        references(&v, &mut out);
        assert_eq!(out, ["Table", "Queue", "Fn", "Bucket"]);
    }

    #[test]
    fn only_an_endpoints_name_is_an_endpoint_reference() {
        let v: Value = serde_json::json!({
            "UserData": {"Fn::Base64": {"Fn::Sub": "DB=${Db.Endpoint.Address} B=${Bucket} Q=${Queue.Arn}"}},
            "A": {"Fn::GetAtt": ["Cache", "RedisEndpoint.Address"]},
            "B": {"Fn::GetAtt": "Cluster.ReadEndpoint.Address"},
            "C": {"Fn::GetAtt": ["Table", "Arn"]},
            "D": {"Ref": "Other"}
        });
        let mut out = Vec::new();
        endpoint_references(&v, &mut out);
        out.sort();
        assert_eq!(out, ["Cache", "Cluster", "Db"]);
    }
}
