//! Scenarios: the TOML format of DESIGN.md, validated into a `Scenario` that cannot be wrong.
//!
//! Only this module reads TOML. Parsing keeps spans, so every error names file, line and
//! column; validation collects every problem in the file rather than stopping at the first.

pub mod check;
mod faults;
pub mod raw;
mod workloads;

use crate::components::{self, Account, ComponentSpec};
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::metrics::Clock;
use crate::workload::WorkloadSpec;
use check::Checker;
pub use check::{Diagnostic, ScenarioError};
use petgraph::graph::DiGraph;
use raw::{RawAccount, RawMeta, RawNetwork, RawWorkload};
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The top-level tables a scenario may have.
const TOP_LEVEL: &[&str] = &[
    "scenario",
    "account",
    "network",
    "workload",
    "component",
    "fault",
    "expect",
];

/// The most time-series windows a run may have (duration / window).
pub const MAX_WINDOWS: u64 = 1_000_000;

/// A validated scenario: everything in it is known to make sense.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The comparison group: scenarios run together with the same group are overlaid in
    /// `index.html` and `compare-GROUP-*` charts.
    pub compare: Option<String>,
    /// The file it was read from.
    pub file: PathBuf,
    /// Simulated time during which requests arrive.
    pub duration: SimTime,
    /// Excluded from summary statistics.
    pub warmup: SimTime,
    pub seed: u64,
    /// Replications: seeds `seed`, `seed + 1`, …
    pub seeds: u32,
    /// Width of time-series buckets.
    pub window: SimTime,
    pub max_in_flight: usize,
    pub network: Network,
    /// Account-wide quotas shared by components of a kind.
    pub account: Account,
    /// Operation names; requests carry indices into this list.
    pub ops: Vec<String>,
    pub workloads: Vec<WorkloadSpec>,
    pub components: Vec<ComponentDecl>,
    /// The fault timeline.
    pub faults: Vec<crate::faults::FaultSpec>,
    /// `[[expect]]`: bounds on numbers of the summary, judged after the runs.
    pub expectations: Vec<crate::expect::Expectation>,
}

#[derive(Clone, Debug)]
pub struct ComponentDecl {
    pub id: String,
    /// Availability zone, if the component sits in one.
    pub az: Option<String>,
    pub spec: ComponentSpec,
}

/// One-way network latency between components, by zone placement.
#[derive(Clone, Debug)]
pub struct Network {
    pub same_az: Dist,
    pub cross_az: Dist,
}

impl Default for Network {
    fn default() -> Self {
        // aws-facts: §13 network latency: same-AZ 0.1–0.25 ms one-way, cross-AZ 0.5–1 ms one-way.
        Network {
            same_az: Dist::Uniform {
                min: 0.000_1,
                max: 0.000_25,
            },
            cross_az: Dist::Uniform {
                min: 0.000_5,
                max: 0.001,
            },
        }
    }
}

impl Network {
    /// The hop latency between components placed in `a` and `b`. A component with no zone
    /// is regional (DynamoDB, Lambda's front end): its hops count as same-zone.
    pub fn between(&self, a: &Option<String>, b: &Option<String>) -> Dist {
        match (a, b) {
            (Some(a), Some(b)) if a != b => self.cross_az.clone(),
            _ => self.same_az.clone(),
        }
    }
}

impl Scenario {
    pub fn clock(&self) -> Clock {
        Clock {
            window: self.window,
            warmup: self.warmup,
            end: self.duration,
        }
    }

    /// The seeds of its replications.
    pub fn seed_list(&self) -> Vec<u64> {
        (0..u64::from(self.seeds))
            .map(|i| self.seed.wrapping_add(i))
            .collect()
    }
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) => Err(ScenarioError {
            diagnostics: vec![Diagnostic {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("cannot read the scenario: {e}"),
            }],
        }),
    }
}

/// Validates scenario text; `path` names it in messages, and relative trace files resolve
/// against its folder.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let mut ck = Checker::new(path, text);
    let scenario = parse_with(path, text, &mut ck);
    ck.into_result(scenario)
}

fn parse_with(path: &Path, text: &str, ck: &mut Checker) -> Option<Scenario> {
    let doc = match DeTable::parse(text) {
        Ok(d) => d,
        Err(e) => {
            ck.toml_error(&e, 0..0);
            return None;
        }
    };
    let whole = doc.span();
    let mut doc = doc.into_inner();
    for (key, _) in doc.iter() {
        if !TOP_LEVEL.contains(&key.get_ref().as_ref()) {
            ck.error(
                key.span(),
                format!(
                    "unknown table `{}`; a scenario has: {}",
                    key.get_ref(),
                    TOP_LEVEL
                        .iter()
                        .map(|t| format!("[{t}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let meta = match doc.remove("scenario") {
        Some(v) => ck.deserialize::<RawMeta>(v),
        None => {
            ck.error(
                whole.start..whole.start,
                "missing table [scenario] (it needs at least `duration`)",
            );
            None
        }
    };
    let network = match doc.remove("network") {
        Some(v) => ck
            .deserialize::<RawNetwork>(v)
            .and_then(|n| parse_network(&n, ck)),
        None => Some(Network::default()),
    };
    let account_span = doc.get("account").map(|v| v.span());
    let account = match doc.remove("account") {
        Some(v) => ck
            .deserialize::<RawAccount>(v)
            .and_then(|a| parse_account(&a, ck)),
        None => Some(Account::default()),
    };
    let component_values = array_of_tables(&mut doc, "component", "[[component]]", ck);
    let workload_values = array_of_tables(&mut doc, "workload", "[[workload]]", ck);
    let fault_values = array_of_tables(&mut doc, "fault", "[[fault]]", ck);
    let expect_values = array_of_tables(&mut doc, "expect", "[[expect]]", ck);
    if component_values.is_empty() {
        ck.error(
            whole.start..whole.start,
            "a scenario needs at least one [[component]]",
        );
    }
    if workload_values.is_empty() {
        ck.error(
            whole.start..whole.start,
            "a scenario needs at least one [[workload]]",
        );
    }

    // Components first: workloads and calls refer to their ids.
    let headers: Vec<_> = component_values
        .into_iter()
        .map(|v| component_header(v, ck))
        .collect();
    ck.component_ids = headers
        .iter()
        .map(|h| h.as_ref().map_or(String::new(), |h| h.id.get_ref().clone()))
        .collect();
    let mut components = Vec::new();
    let mut ok = true;
    for h in headers {
        let Some(h) = h else {
            ok = false;
            continue;
        };
        if !h.kind_ok {
            ok = false;
            continue;
        }
        match components::parse_spec(h.kind.get_ref(), h.rest, ck) {
            Some(spec) => components.push((h.id, h.az, spec)),
            None => ok = false,
        }
    }
    let mut seen: Vec<&Spanned<String>> = Vec::new();
    for (id, _, _) in &components {
        if let Some(first) = seen.iter().find(|s| s.get_ref() == id.get_ref()) {
            let line = ck.line_of(first.span().start);
            ck.error(
                id.span(),
                format!(
                    "component id \"{}\" is used twice (first on line {line})",
                    id.get_ref()
                ),
            );
        }
        seen.push(id);
    }
    if ok {
        check_call_cycles(&components, ck);
        ok &= check_groups(&mut components, ck);
    }
    if let Some(acc) = &account {
        // aws-facts: §2 concurrency: reserved (and provisioned) concurrency is carved out of
        // the account's pool, which must keep at least 100 for everything else.
        let set_aside: u32 = components
            .iter()
            .filter_map(|(_, _, s)| match s {
                ComponentSpec::Lambda(l) => Some(l.set_aside()),
                _ => None,
            })
            .sum();
        if set_aside + components::LAMBDA_UNRESERVED_MIN > acc.lambda_concurrency {
            let span = account_span.clone().unwrap_or(whole.start..whole.start);
            ck.error(
                span,
                format!(
                    "the Lambda functions set aside {set_aside} of the account's {} concurrency (reserved, or provisioned where nothing is reserved); at least {} must stay unreserved",
                    acc.lambda_concurrency,
                    components::LAMBDA_UNRESERVED_MIN
                ),
            );
            ok = false;
        }
    }

    let raw_workloads: Vec<Option<RawWorkload>> = workload_values
        .into_iter()
        .map(|v| ck.deserialize(v))
        .collect();
    let base = path.parent().unwrap_or(Path::new("."));
    let mut workloads = Vec::new();
    for rw in raw_workloads.iter().flatten() {
        if ck.component_ids.contains(rw.name.get_ref()) {
            ck.error(
                rw.name.span(),
                format!(
                    "workload name \"{}\" is also a component id; names must differ",
                    rw.name.get_ref()
                ),
            );
        }
        match workloads::parse(rw, base, ck) {
            Some(w) => workloads.push(w),
            None => ok = false,
        }
    }
    let mut next_key = 1;
    for w in &mut workloads {
        w.first_api_key = next_key;
        next_key += w.api_keys;
    }
    for (i, w) in raw_workloads
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.as_ref().map(|w| (i, w)))
    {
        if raw_workloads[..i]
            .iter()
            .flatten()
            .any(|p| p.name.get_ref() == w.name.get_ref())
        {
            ck.error(
                w.name.span(),
                format!("workload name \"{}\" is used twice", w.name.get_ref()),
            );
        }
    }
    if raw_workloads.iter().any(Option::is_none) {
        ok = false;
    }

    let meta = meta?;
    let (duration, warmup, window) = parse_times(&meta, ck)?;
    let seed = match &meta.seed {
        Some(s) => ck.int_in(s, "seed", 0, i64::MAX)? as u64,
        None => 1,
    };
    let seeds = match &meta.seeds {
        Some(s) => ck.int_in(s, "seeds", 1, 10_000)? as u32,
        None => 1,
    };
    let max_in_flight = match &meta.max_in_flight {
        Some(m) => ck.int_in(m, "max_in_flight", 1, 100_000_000)? as usize,
        None => crate::kernel::Limits::default().max_in_flight,
    };
    let compare = match &meta.compare {
        Some(c) => Some(valid_name(
            c,
            "compare",
            "names the comparison charts' files",
            ck,
        )?),
        None => None,
    };
    let name = match &meta.name {
        Some(n) => valid_name(n, "name", "names the results folder", ck)?,
        None => path
            .file_stem()
            .map_or("scenario".into(), |s| s.to_string_lossy().into_owned()),
    };
    let raw_faults: Vec<Option<Spanned<raw::RawFault>>> = fault_values
        .into_iter()
        .map(|v| {
            let span = v.span();
            ck.deserialize::<raw::RawFault>(v)
                .map(|f| Spanned::new(span, f))
        })
        .collect();
    let workload_names: Vec<&str> = raw_workloads
        .iter()
        .flatten()
        .map(|w| w.name.get_ref().as_str())
        .collect();
    let mut expectations = Vec::new();
    for v in expect_values {
        match ck
            .deserialize::<raw::RawExpect>(v)
            .and_then(|e| parse_expect(&e, &workload_names, ck))
        {
            Some(e) => expectations.push(e),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let decls: Vec<ComponentDecl> = components
        .into_iter()
        .map(|(id, az, spec)| ComponentDecl {
            id: id.into_inner(),
            az: az.map(Spanned::into_inner),
            spec,
        })
        .collect();
    let mut fault_specs = Vec::new();
    for f in &raw_faults {
        match f
            .as_ref()
            .and_then(|f| faults::parse(f, &decls, duration, ck))
        {
            Some(spec) => fault_specs.push(spec),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(Scenario {
        name,
        description: meta.description.clone().unwrap_or_default(),
        compare,
        file: path.to_path_buf(),
        duration,
        warmup,
        seed,
        seeds,
        window,
        max_in_flight,
        network: network?,
        account: account?,
        ops: ck.ops.clone(),
        workloads,
        components: decls,
        faults: fault_specs,
        expectations,
    })
}

/// An `[[expect]]`: a dotted path into `summary.json` and at least one finite bound. Paths
/// under `components` and `workloads` must name one of the scenario's; the rest of a path is
/// checked against the summary after the run (what a component reports depends on its kind).
fn parse_expect(
    e: &raw::RawExpect,
    workloads: &[&str],
    ck: &mut Checker,
) -> Option<crate::expect::Expectation> {
    let metric = e.metric.get_ref();
    let segments: Vec<&str> = metric.split('.').collect();
    if metric.trim().is_empty() || segments.iter().any(|s| s.is_empty()) {
        ck.error(
            e.metric.span(),
            format!("`metric` \"{metric}\" must be a dotted path into summary.json, such as \"latency_ms.p99\" or \"components.db.failover_downtime_s\""),
        );
        return None;
    }
    let named = match segments[..] {
        ["components", id, ..] => Some(("component", id, ck.component_ids.clone())),
        ["workloads", w, ..] => Some((
            "workload",
            w,
            workloads.iter().map(|s| s.to_string()).collect(),
        )),
        _ => None,
    };
    if let Some((what, name, known)) = named {
        if !known.iter().any(|k| k == name) {
            ck.error(
                e.metric.span(),
                format!(
                    "`metric` names {what} \"{name}\", which the scenario does not have; it has: {}",
                    known.join(", ")
                ),
            );
            return None;
        }
    }
    let bound = |ck: &mut Checker, b: &Option<Spanned<f64>>, key: &str| -> Option<Option<f64>> {
        match b {
            None => Some(None),
            Some(v) if v.get_ref().is_finite() => Some(Some(*v.get_ref())),
            Some(v) => {
                ck.error(
                    v.span(),
                    format!("`{key}` must be a finite number, not {}", v.get_ref()),
                );
                None
            }
        }
    };
    let (min, max) = (bound(ck, &e.min, "min")?, bound(ck, &e.max, "max")?);
    match (min, max) {
        (None, None) => {
            ck.error(
                e.metric.span(),
                "an [[expect]] needs `min`, `max` or both (bounds on the metric, inclusive)",
            );
            return None;
        }
        (Some(lo), Some(hi)) if lo > hi => {
            let span = e.min.as_ref().map_or(0..0, |m| m.span());
            ck.error(
                span,
                format!("`min` ({lo}) is above `max` ({hi}): nothing could pass"),
            );
            return None;
        }
        _ => {}
    }
    let (line, column) = ck.line_column(e.metric.span().start);
    Some(crate::expect::Expectation {
        metric: metric.clone(),
        min,
        max,
        each_seed: e.each_seed.unwrap_or(false),
        line,
        column,
    })
}

fn valid_name(n: &Spanned<String>, key: &str, what: &str, ck: &mut Checker) -> Option<String> {
    let s = n.get_ref();
    let fine = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !s.starts_with('.');
    if !fine {
        ck.error(
            n.span(),
            format!("`{key}` \"{s}\" {what}: use letters, digits, '-', '_' and '.' only"),
        );
        return None;
    }
    Some(s.clone())
}

fn parse_times(meta: &RawMeta, ck: &mut Checker) -> Option<(SimTime, SimTime, SimTime)> {
    let duration = ck.positive_duration(&meta.duration, "duration");
    let warmup = match &meta.warmup {
        Some(w) => ck.duration(w, "warmup"),
        None => Some(SimTime::ZERO),
    };
    let window = match &meta.window {
        Some(w) => ck.positive_duration(w, "window"),
        None => Some(SimTime::from_secs(1)),
    };
    let (duration, warmup, window) = (duration?, warmup?, window?);
    if warmup >= duration {
        let span = meta
            .warmup
            .as_ref()
            .map_or(meta.duration.span(), |w| w.span());
        ck.error(
            span,
            format!("`warmup` ({warmup}) must be shorter than `duration` ({duration})"),
        );
        return None;
    }
    if duration.0.div_ceil(window.0) > MAX_WINDOWS {
        let span = meta
            .window
            .as_ref()
            .map_or(meta.duration.span(), |w| w.span());
        ck.error(
            span,
            format!(
                "`window` ({window}) cuts `duration` ({duration}) into more than {MAX_WINDOWS} windows; use a wider window"
            ),
        );
        return None;
    }
    Some((duration, warmup, window))
}

fn parse_account(a: &RawAccount, ck: &mut Checker) -> Option<Account> {
    let d = Account::default();
    let rate = match &a.api_gateway_rate {
        Some(r) => ck.positive(r, "api_gateway_rate", "requests per second"),
        None => Some(d.api_gateway_rate),
    };
    let burst = match &a.api_gateway_burst {
        Some(b) => ck
            .int_in(b, "api_gateway_burst", 1, 1_000_000_000)
            .map(|b| b as u64),
        None => Some(d.api_gateway_burst),
    };
    let conc = match &a.lambda_concurrency {
        Some(c) => ck
            .int_in(
                c,
                "lambda_concurrency",
                i64::from(components::LAMBDA_UNRESERVED_MIN),
                10_000_000,
            )
            .map(|c| c as u32),
        None => Some(d.lambda_concurrency),
    };
    Some(Account {
        api_gateway_rate: rate?,
        api_gateway_burst: burst?,
        lambda_concurrency: conc?,
    })
}

fn parse_network(n: &RawNetwork, ck: &mut Checker) -> Option<Network> {
    let d = Network::default();
    let same_az = match &n.same_az {
        Some(x) => ck.time_dist(x, "same_az"),
        None => Some(d.same_az),
    };
    let cross_az = match &n.cross_az {
        Some(x) => ck.time_dist(x, "cross_az"),
        None => Some(d.cross_az),
    };
    Some(Network {
        same_az: same_az?,
        cross_az: cross_az?,
    })
}

/// The elements of `[[name]]`, each a table with its span.
fn array_of_tables<'i>(
    doc: &mut DeTable<'i>,
    key: &str,
    shown: &str,
    ck: &mut Checker,
) -> Vec<Spanned<DeValue<'i>>> {
    let Some(v) = doc.remove(key) else {
        return Vec::new();
    };
    let span = v.span();
    match v.into_inner() {
        DeValue::Array(items) => items
            .into_iter()
            .filter(|item| {
                let is_table = matches!(item.get_ref(), DeValue::Table(_));
                if !is_table {
                    ck.error(item.span(), format!("each {shown} must be a table"));
                }
                is_table
            })
            .collect(),
        _ => {
            ck.error(span, format!("`{key}` must be written as {shown} tables"));
            Vec::new()
        }
    }
}

/// A component whose kind-specific part parsed: (id, zone, spec).
type ParsedComponent = (Spanned<String>, Option<Spanned<String>>, ComponentSpec);

struct ComponentHeader<'i> {
    id: Spanned<String>,
    kind: Spanned<String>,
    kind_ok: bool,
    az: Option<Spanned<String>>,
    rest: Spanned<DeValue<'i>>,
}

/// Takes the keys every component has (`id`, `kind`, `az`) out of its table.
fn component_header<'i>(v: Spanned<DeValue<'i>>, ck: &mut Checker) -> Option<ComponentHeader<'i>> {
    let span = v.span();
    let DeValue::Table(mut t) = v.into_inner() else {
        return None;
    };
    let take_str =
        |t: &mut DeTable<'i>, key: &str, ck: &mut Checker| -> Option<Option<Spanned<String>>> {
            match t.remove(key) {
                None => Some(None),
                Some(v) => match v.get_ref() {
                    DeValue::String(s) => Some(Some(Spanned::new(v.span(), s.to_string()))),
                    _ => {
                        ck.error(v.span(), format!("`{key}` must be a string"));
                        None
                    }
                },
            }
        };
    let id = take_str(&mut t, "id", ck);
    let kind = take_str(&mut t, "kind", ck);
    let az = take_str(&mut t, "az", ck);
    let (id, kind, az) = (id?, kind?, az?);
    let Some(id) = id else {
        ck.error(span.start..span.start, "[[component]] needs an `id`");
        return None;
    };
    let id_ok = !id.get_ref().is_empty()
        && id
            .get_ref()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !id_ok {
        ck.error(
            id.span(),
            format!(
                "`id` \"{}\" must be letters, digits, '-' and '_' only",
                id.get_ref()
            ),
        );
    }
    let Some(kind) = kind else {
        ck.error(
            id.span(),
            format!(
                "component \"{}\" needs a `kind`: one of {}",
                id.get_ref(),
                components::KINDS.join(", ")
            ),
        );
        return None;
    };
    // An unknown kind still declares its id, so that references to it are not reported too.
    let kind_ok = ck.one_of(&kind, "kind", components::KINDS).is_some();
    if !id_ok {
        return None;
    }
    Some(ComponentHeader {
        id,
        kind,
        kind_ok,
        az,
        rest: Spanned::new(span, DeValue::Table(t)),
    })
}

/// Synchronous calls cannot loop: a request would wait on itself.
fn check_call_cycles(components: &[ParsedComponent], ck: &mut Checker) {
    let mut g = DiGraph::<usize, ()>::new();
    let nodes: Vec<_> = (0..components.len()).map(|i| g.add_node(i)).collect();
    for (i, (_, _, spec)) in components.iter().enumerate() {
        for c in spec.calls() {
            g.add_edge(nodes[i], nodes[c.to], ());
        }
    }
    for scc in petgraph::algo::tarjan_scc(&g) {
        let self_loop = scc.len() == 1 && g.contains_edge(scc[0], scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let mut members: Vec<usize> = scc.iter().map(|n| g[*n]).collect();
        members.sort_unstable();
        let names: Vec<&str> = members
            .iter()
            .map(|&i| components[i].0.get_ref().as_str())
            .collect();
        let first = &components[members[0]].0;
        let cycle = if self_loop {
            format!("\"{}\" calls itself", names[0])
        } else {
            format!(
                "these components call each other in a cycle: {}",
                names.join(" → ")
            )
        };
        ck.error(
            first.span(),
            format!("{cycle}; calls are synchronous, so a request would wait on itself"),
        );
    }
}

/// Auto Scaling groups: they span `zones` (no `az`), and a load balancer in front of one has it
/// as its only target, one load balancer per group (the group's target group is one).
fn check_groups(components: &mut [ParsedComponent], ck: &mut Checker) -> bool {
    let mut ok = true;
    let mut fronted: Vec<Option<usize>> = vec![None; components.len()];
    let is_group: Vec<bool> = components
        .iter()
        .map(|c| matches!(c.2, ComponentSpec::AutoScaling(_)))
        .collect();
    let ids: Vec<String> = components.iter().map(|c| c.0.get_ref().clone()).collect();
    for (i, (id, az, spec)) in components.iter_mut().enumerate() {
        match spec {
            ComponentSpec::AutoScaling(_) => {
                if let Some(az) = az {
                    ck.error(
                        az.span(),
                        format!("\"{}\" is an Auto Scaling group, which spans zones: list them in `zones` instead of `az`", id.get_ref()),
                    );
                    ok = false;
                }
            }
            ComponentSpec::LoadBalancer(lb) => {
                for (c, span) in lb.calls.iter().zip(&lb.target_spans) {
                    if !is_group[c.to] {
                        continue;
                    }
                    let group = &ids[c.to];
                    if lb.calls.len() > 1 {
                        ck.error(span.clone(), format!("\"{group}\" is an Auto Scaling group: a load balancer routes to its instances, so it must be the only target (`targets = \"{group}\"`)"));
                        ok = false;
                    } else if let Some(first) = fronted[c.to] {
                        ck.error(span.clone(), format!("\"{group}\" is already behind load balancer \"{}\"; a group has one target group here", ids[first]));
                        ok = false;
                    } else {
                        fronted[c.to] = Some(i);
                    }
                }
                lb.group_target = lb.calls.len() == 1 && is_group[lb.calls[0].to];
            }
            _ => {}
        }
    }
    ok
}
