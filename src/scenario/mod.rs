//! Scenarios: the TOML format the README describes, validated into a `Scenario` that cannot be
//! wrong.
//!
//! Only this module reads TOML. Parsing keeps spans, so every error names file, line and
//! column; validation collects every problem in the file rather than stopping at the first.

mod faults;
pub mod files;
pub mod keys;
pub mod network_acls;
pub mod raw;
pub mod roles;
pub mod schema;
pub mod security_groups;
pub mod variants;
mod workloads;

use crate::components::kind::Kind;
use crate::components::kms::caller;
use crate::components::{self, Account, ComponentSpec};
use crate::config::{check, Checker};
pub use crate::config::{Diagnostic, ScenarioError};
use crate::kernel::SimTime;
use crate::limits;
use crate::metrics::Clock;
use crate::workload::WorkloadSpec;
pub use files::FileAccess;
use petgraph::graph::DiGraph;
use raw::{RawAccount, RawMeta, RawNetwork, RawWorkload};
use std::collections::hash_map::{Entry, HashMap};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;
pub use variants::VariantInfo;

/// The top-level tables a scenario may have.
const TOP_LEVEL: &[&str] = &[
    "scenario",
    "account",
    "network",
    "workload",
    "component",
    "fault",
    "expect",
    "role",
    "security_group",
    "network_acl",
    "variant",
    "sweep",
];

pub use crate::limits::MAX_WINDOWS;

/// Kernel events per call, for the work estimate: a call's delivery, its reply, the work in
/// between (a timer) and its timeout; measured on the bundled scenarios, where a request of
/// one call takes about four events.
const EVENTS_PER_CALL: f64 = 4.0;

/// A validated scenario: everything in it is known to make sense.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    /// Where the name is written (line, column), or (1, 1) when it comes from the file name.
    pub name_position: (usize, usize),
    pub description: String,
    /// The question its first slide asks, and the lesson its last slide draws (`run
    /// --slides`); empty when not written (the slides then show the description).
    pub question: String,
    pub lesson: String,
    /// The comparison group: scenarios run together with the same group are overlaid in
    /// `index.html` and `compare-GROUP-*` charts.
    pub compare: Option<String>,
    /// Numbers of the summary its variants are compared on beside the headline ones
    /// (`compare_metrics`): dotted paths, checked as an expectation's.
    pub compare_metrics: Vec<String>,
    /// The latency its users wait for (`[scenario] latency`), a latency table of the
    /// summary, which its variants are judged by where their clients' is not; where it is
    /// written.
    pub latency: Option<(String, std::ops::Range<usize>)>,
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
    /// `[[role]]`: IAM roles that components name.
    pub roles: Vec<crate::iam::Role>,
    /// `[[security_group]]`: VPC security groups that components name.
    pub security_groups: Vec<security_groups::SecurityGroup>,
    /// `[[network_acl]]`: VPC network ACLs guarding the subnets of the zones they list.
    pub network_acls: Vec<network_acls::NetworkAcl>,
    pub workloads: Vec<WorkloadSpec>,
    pub components: Vec<ComponentDecl>,
    /// The fault timeline.
    pub faults: Vec<crate::faults::FaultSpec>,
    /// `[[expect]]`: bounds on numbers of the summary, judged after the runs.
    pub expectations: Vec<crate::expect::Expectation>,
    /// Likely mistakes found while validating, which did not stop it (shown to the user).
    pub warnings: Vec<Diagnostic>,
    /// The files it read besides itself (traces), with a digest of each content
    /// (`files::digest`): what a sharded run checks has not changed between its shards.
    pub inputs: Vec<(PathBuf, u64)>,
    /// Which variant of its file it is, when the file has variants or a sweep (the scenario
    /// as written is then the one named `baseline`).
    pub variant: Option<VariantInfo>,
    /// The `--set PATH=VALUE`s applied to it (to the scenario as written and to each variant
    /// alike), as given: its outputs say that they are not the file's as written.
    pub overrides: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct ComponentDecl {
    pub id: String,
    /// Availability zone, if the component sits in one.
    pub az: Option<String>,
    /// Its region (`[network] region` unless it names one); its zones belong to it.
    pub region: String,
    pub spec: ComponentSpec,
    /// The IAM role it calls AWS APIs with (`role = "…"`), by index into `Scenario::roles`;
    /// `None`: its calls are not checked. A kind whose calls carry its callers' credentials
    /// (`Kind::SIGNS_AS_CALLERS`, a cache) has them checked against its callers' roles, and
    /// its own signs only its `kms` link.
    pub role: Option<usize>,
    /// The security groups it belongs to (`security_groups = [..]`), by index into
    /// `Scenario::security_groups`; empty: none guards it.
    pub security_groups: Vec<usize>,
    /// Where its `id` is written (line, column), for messages about it.
    pub position: (usize, usize),
}

pub use crate::components::Network;

impl Scenario {
    /// What component `id`'s kind declares (its fields, for paths into the summary); `None`
    /// when the scenario has no such component.
    pub fn kind_of(&self, id: &str) -> Option<&'static components::KindInfo> {
        self.components
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.spec.info())
    }

    pub fn clock(&self) -> Clock {
        Clock {
            window: self.window,
            warmup: self.warmup,
            end: self.duration,
        }
    }

    /// The requests one seed is expected to send (arrivals before the end of the run).
    pub fn expected_requests(&self) -> f64 {
        self.workloads
            .iter()
            .map(|w| w.arrival.expected_between(SimTime::ZERO, self.duration))
            .sum()
    }

    /// About how many kernel events one seed takes: each request's calls down the graph
    /// (a call taken with its probability; a load balancer routes a request to one of its
    /// targets), and the probes components send on their own (a load balancer's health
    /// checks of every instance behind it, which a large group probed often for a long run
    /// makes outnumber the requests), times `EVENTS_PER_CALL`. Retries, scaling and other
    /// periodic work come on top, which the budget's margin absorbs. A run is refused before
    /// it starts when this exceeds its budget, and stopped when it really does.
    pub fn estimated_events(&self) -> f64 {
        let probes: f64 = self
            .components
            .iter()
            .map(|c| {
                let behind: f64 = c
                    .spec
                    .calls()
                    .iter()
                    .map(|call| self.components[call.to].spec.instances())
                    .sum();
                c.spec.probes(self.duration) * behind * EVENTS_PER_CALL
            })
            .sum();
        let mut memo = vec![None; self.components.len()];
        let requests: f64 = self
            .workloads
            .iter()
            .map(|w| {
                let requests = w.arrival.expected_between(SimTime::ZERO, self.duration);
                // A browser may put a preflight, one call its target answers itself, before
                // each request: counted as if it always did.
                let preflight = if w.browser.is_some() { 1.0 } else { 0.0 };
                requests
                    * (self.calls_per_request(w.target, &mut memo) + preflight)
                    * EVENTS_PER_CALL
            })
            .sum();
        requests + probes
    }

    /// The calls a request entering component `c` makes, itself included.
    fn calls_per_request(&self, c: usize, memo: &mut Vec<Option<f64>>) -> f64 {
        if let Some(n) = memo[c] {
            return n;
        }
        let spec = &self.components[c].spec;
        let below = spec
            .calls()
            .iter()
            .map(|call| call.probability * self.calls_per_request(call.to, memo));
        // Calls form no cycle (validation refuses one), so the recursion ends.
        let n = 1.0
            + if spec.routes_to_one() {
                below.fold(0.0, f64::max)
            } else {
                below.sum()
            };
        memo[c] = Some(n);
        n
    }

    /// The seeds whose time series and events are kept: at most `MAX_SERIES_SEEDS`, fewer
    /// when one seed's series are large (`SERIES_BUDGET_ACTOR_WINDOWS` over them all).
    pub fn series_seeds(&self) -> usize {
        let per_seed = self.clock().windows() as u64
            * (self.components.len() + self.workloads.len()).max(1) as u64;
        let fit = (limits::SERIES_BUDGET_ACTOR_WINDOWS / per_seed.max(1)).max(1) as usize;
        fit.min(limits::MAX_SERIES_SEEDS).min(self.seeds as usize)
    }

    /// The seeds of its replications.
    pub fn seed_list(&self) -> Vec<u64> {
        (0..u64::from(self.seeds))
            .map(|i| self.seed.wrapping_add(i))
            .collect()
    }
}

/// Reads and validates a scenario file: the scenario as written (the baseline, with the
/// `--set` overrides `sets` applied) and its variants; the files it names are read as
/// `access` allows.
pub fn load(
    path: &Path,
    access: &FileAccess,
    sets: &[String],
) -> Result<Vec<Scenario>, ScenarioError> {
    match files::read_text(path, "the scenario", files::MAX_SCENARIO_BYTES) {
        Ok(text) => parse_all(path, &text, access, sets),
        Err(why) => Err(ScenarioError {
            diagnostics: vec![Diagnostic {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
                message: why,
            }],
        }),
    }
}

/// Validates scenario text; `path` names it in messages, and the files it names (traces)
/// must lie under its folder. The scenario as written; its variants are checked too.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    parse_with_access(path, text, &FileAccess::default())
}

/// Validates scenario text, reading the files it names as `access` allows: the scenario as
/// written (its variants are checked too).
pub fn parse_with_access(
    path: &Path,
    text: &str,
    access: &FileAccess,
) -> Result<Scenario, ScenarioError> {
    parse_all(path, text, access, &[]).map(|mut all| all.swap_remove(0))
}

/// Validates scenario text into the scenario as written (first, with `sets` applied) and
/// each of its variants and sweep points, every one validated as if its overrides were
/// written in place. Problems of all of them are reported together.
pub fn parse_all(
    path: &Path,
    text: &str,
    access: &FileAccess,
    sets: &[String],
) -> Result<Vec<Scenario>, ScenarioError> {
    let mut ck = Checker::new(path, text);
    let Some((doc, whole)) = parse_doc(text, &mut ck) else {
        return ck.into_result::<()>(None).map(|_| Vec::new());
    };
    refuse_unprintable(&doc, &mut ck);
    let mut doc = doc;
    let declared = variants::take(&mut doc, &mut ck);
    let mut base_doc = doc.clone();
    for set in sets {
        if let Some(ov) = cli_override(set, &mut ck) {
            variants::apply(&mut base_doc, &ov, &mut ck);
        }
    }
    // The baseline's own values of the swept paths (with `--set` applied), in the order the
    // sweep's points write them.
    let mut swept_paths: Vec<String> = Vec::new();
    for d in declared.iter().filter(|d| d.swept) {
        for o in &d.overrides {
            if !swept_paths.contains(&o.path_text()) {
                swept_paths.push(o.path_text());
            }
        }
    }
    let baseline_at = variants::baseline_values(&base_doc, &swept_paths);
    ck.duration_set_by = duration_set_by(sets);
    ck.file_duration = file_duration(&doc);
    let baseline = validate(path, base_doc, whole.clone(), access, &mut ck);
    // An expectation naming a variant names one the file declares.
    if let Some(b) = &baseline {
        let known: Vec<&str> = std::iter::once(variants::BASELINE)
            .chain(declared.iter().map(|d| d.name.as_str()))
            .collect();
        // What is wrong with a variant's name written by `who` ("this [[expect]]",
        // "`relative_to`"), if anything.
        let unknown = |who: &str, v: &str| -> Option<String> {
            if declared.is_empty() {
                Some(format!(
                    "{who} names variant \"{v}\", but the scenario has no [[variant]] or [sweep]"
                ))
            } else if !known.contains(&v) {
                let hint = crate::text::did_you_mean(v, known.iter().copied());
                Some(format!("{who} names variant \"{v}\"{hint}, which the scenario does not have; it has: {}", known.join(", ")))
            } else {
                None
            }
        };
        for e in &b.expectations {
            if let Some(r) = &e.relative {
                let at = ck.offset_of(r.at.0, r.at.1);
                if let Some(problem) = unknown("`relative_to`", &r.to) {
                    ck.error(at..at, problem);
                } else if e.variant.as_deref() == Some(r.to.as_str()) {
                    ck.error(
                        at..at,
                        format!("this [[expect]] judges variant \"{}\" relative to itself: name another variant in `relative_to` (or in `variant`)", r.to),
                    );
                }
            }
            if let Some(problem) = e
                .variant
                .as_deref()
                .and_then(|v| unknown("this [[expect]]", v))
            {
                let at = ck.offset_of(e.variant_at.0, e.variant_at.1);
                ck.error(at..at, problem);
            }
        }
    }
    if let Some(b) = &baseline {
        let name = (!declared.is_empty()).then_some(variants::BASELINE);
        check_theory(b, name, &mut ck);
        warn_overloaded(b, name, &mut ck);
        warn_closed(b, name, &mut ck);
        warn_throttles_unretried(b, name, &mut ck);
        warn_kinds(b, name, &mut ck);
    }
    if let Some((_, at)) = baseline.as_ref().and_then(|b| b.latency.as_ref()) {
        if declared.is_empty() {
            ck.warn(
                at.clone(),
                "`latency` says which latency the variants are compared by, and the scenario has no [[variant]] or [sweep]: here only `archsim diff` compares by it and the slides lead with it (the report's figures are the clients' latency)",
            );
        }
    }
    let (mut baseline, warnings) = match ck.into_result(baseline) {
        Ok(read) => read,
        Err(mut e) => {
            // The variants' own mistakes (a misspelt path in a `set`) are told with the
            // baseline's, not after those are mended: each variant is read as ever, and
            // what it finds where the variant writes is kept (the rest is the baseline's,
            // said already).
            let mut problems = Vec::new();
            for d in &declared {
                let (mut vck, vdoc) = variant_read(path, text, &doc, d, sets);
                let _ = validate(path, vdoc, whole.clone(), access, &mut vck);
                let own: Vec<std::ops::Range<usize>> = d
                    .unsets
                    .iter()
                    .map(|u| u.at.clone())
                    .chain(
                        d.overrides
                            .iter()
                            .flat_map(|o| [o.at.clone(), o.value.span()]),
                    )
                    .collect();
                let is_own = |diag: &check::Diagnostic| {
                    let at = vck.offset_of(diag.line, diag.column);
                    diag.line != 0
                        && own
                            .iter()
                            .any(|r| r.start <= at && at < r.end.max(r.start + 1))
                };
                problems.extend(
                    vck.diagnostics
                        .iter()
                        .filter(|diag| is_own(diag))
                        .cloned()
                        .map(|diag| (d.name.clone(), diag)),
                );
            }
            e.diagnostics.extend(merge_variants(problems));
            return Err(e);
        }
    };
    baseline.warnings = warnings;
    baseline.overrides = sets.to_vec();
    if declared.is_empty() {
        let mut all = vec![baseline];
        warn_unreached(path, text, &doc, &mut all);
        return Ok(all);
    }
    let as_written = if sets.is_empty() {
        "the scenario as written".to_string()
    } else {
        let typed: Vec<String> = sets.iter().map(|s| format!("--set {s}")).collect();
        format!("the scenario as written, with {}", typed.join(" "))
    };
    baseline.variant = Some(VariantInfo {
        name: variants::BASELINE.into(),
        description: as_written,
        set: Vec::new(),
        swept: false,
        at: baseline_at,
        latency: None,
    });
    let mut all = vec![baseline];
    let mut problems = Vec::new();
    let mut variant_warnings = Vec::new();
    let baseline_keys = variants::baseline_keys(&doc);
    for d in &declared {
        let (mut ck, vdoc) = variant_read(path, text, &doc, d, sets);
        let sc = validate(path, vdoc, whole.clone(), access, &mut ck);
        if let (Some(sc), Some((at, latency))) = (&sc, &d.latency) {
            let ids: Vec<&str> = sc.components.iter().map(|c| c.id.as_str()).collect();
            let workloads: Vec<&str> = sc.workloads.iter().map(|w| w.name.as_str()).collect();
            if let Some(p) = latency_problem(latency, &ids, &workloads, &|id| sc.kind_of(id)) {
                ck.error(at.clone(), p);
            }
        }
        if let Some(sc) = &sc {
            check_theory(sc, Some(&d.name), &mut ck);
            warn_overloaded(sc, None, &mut ck);
            warn_closed(sc, None, &mut ck);
            warn_throttles_unretried(sc, None, &mut ck);
            warn_kinds(sc, None, &mut ck);
        }
        variants::baseline_hints(&mut ck, &baseline_keys, d);
        match ck.into_result(sc) {
            Ok((mut sc, warnings)) => {
                // A variant's own warnings (a sweep point past a station's capacity), not
                // the baseline's again under its name, are the scenario's too.
                let prefix = format!("variant \"{}\": ", d.name);
                let baseline = format!("{}: ", variants::BASELINE);
                let own: Vec<Diagnostic> = warnings
                    .into_iter()
                    .filter(|w| {
                        let bare = w.message.strip_prefix(&prefix).unwrap_or(&w.message);
                        !all[0].warnings.iter().any(|b| {
                            let said = b.message.strip_prefix(&baseline).unwrap_or(&b.message);
                            (b.line, b.column) == (w.line, w.column) && said == bare
                        })
                    })
                    .collect();
                variant_warnings.extend(own);
                sc.variant = Some(VariantInfo {
                    name: d.name.clone(),
                    description: d.description.clone(),
                    set: d
                        .unsets
                        .iter()
                        .map(|u| (u.path_text(), variants::UNSET_WORDS.to_string(), None))
                        .chain(d.overrides.iter().map(|o| {
                            (
                                o.path_text(),
                                variants::words(o.value.get_ref()),
                                variants::number(o.value.get_ref()),
                            )
                        }))
                        .collect(),
                    swept: d.swept,
                    at: Vec::new(),
                    latency: d.latency.as_ref().map(|(_, p)| p.clone()),
                });
                sc.warnings = Vec::new();
                sc.overrides = sets.to_vec();
                all.push(sc);
            }
            Err(e) => problems.extend(e.diagnostics.into_iter().map(|x| (d.name.clone(), x))),
        }
    }
    if problems.is_empty() {
        all[0].warnings.extend(variant_warnings);
        all[0].warnings.sort_by_key(|d| (d.line, d.column));
        warn_unreached(path, text, &doc, &mut all);
        Ok(all)
    } else {
        Err(ScenarioError {
            diagnostics: merge_variants(problems),
        })
    }
}

/// The variants' problems, each said once: the same mistake at the same place in several
/// variants (a misspelt key in a sweep gives it to every point) is one message naming them,
/// not one message each.
fn merge_variants(problems: Vec<(String, check::Diagnostic)>) -> Vec<check::Diagnostic> {
    // (diagnostic without its variant's prefix, the variants that had it), in first order.
    let mut merged: Vec<(check::Diagnostic, Vec<String>)> = Vec::new();
    for (name, mut d) in problems {
        let prefix = format!("variant \"{name}\": ");
        let Some(rest) = d.message.strip_prefix(&prefix) else {
            if !merged.iter().any(|(m, _)| *m == d) {
                merged.push((d, Vec::new()));
            }
            continue;
        };
        d.message = rest.to_string();
        match merged
            .iter_mut()
            .find(|(m, names)| *m == d && !names.is_empty())
        {
            Some((_, names)) => {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            None => merged.push((d, vec![name])),
        }
    }
    merged
        .into_iter()
        .map(|(mut d, names)| {
            let who = match names.len() {
                0 => String::new(),
                1 => format!("variant \"{}\": ", names[0]),
                2 => format!("variants \"{}\" and \"{}\": ", names[0], names[1]),
                n => format!("variants \"{}\" and {} more: ", names[0], n - 1),
            };
            d.message = format!("{who}{}", d.message);
            d
        })
        .collect()
}

/// An expectation on `theory.*` judged on a scenario that is no M/M/c queue could only fail
/// after the whole run: its summary has no `theory` (`theory::of_scenario`). Refused before.
fn check_theory(sc: &Scenario, variant: Option<&str>, ck: &mut Checker) {
    if crate::theory::of_scenario(sc).is_some() {
        return;
    }
    for e in &sc.expectations {
        if e.metric.starts_with("theory.") && e.applies_to(variant) {
            let at = ck.offset_of(e.line, e.column);
            // A variant's checker names it already; the baseline's does not.
            let who = match variant {
                Some(v) if ck.prefix.is_none() => format!("variant \"{v}\": "),
                _ => String::new(),
            };
            ck.error(
                at..at,
                format!(
                    "{who}`metric` \"{}\" needs a scenario that is an M/M/c queue, and this one is not, so its summary has no `theory`; an M/M/c queue is {}",
                    e.metric,
                    crate::mmc_conditions!()
                ),
            );
        }
    }
}

/// Variant `d`'s document, the file's `doc` with the `--set` overrides `sets` and then the
/// variant's own applied, and the checker to validate it with (its messages named after the
/// variant, what its overrides did to the run's length known).
fn variant_read<'i>(
    path: &Path,
    text: &str,
    doc: &DeTable<'i>,
    d: &variants::VariantDecl<'i>,
    sets: &[String],
) -> (Checker, DeTable<'i>) {
    let mut ck = Checker::new(path, text);
    ck.prefix = Some(format!("variant \"{}\": ", d.name));
    let mut vdoc = doc.clone();
    // Every override that leads somewhere is applied and the whole validated, so that
    // one wrong path hides no other mistake.
    for set in sets {
        if let Some(ov) = cli_override(set, &mut ck) {
            variants::apply(&mut vdoc, &ov, &mut ck);
        }
    }
    // Removals first, so that `set` may write afresh inside a table removed whole.
    for u in &d.unsets {
        variants::apply_unset(&mut vdoc, u, &mut ck);
    }
    for ov in &d.overrides {
        variants::apply(&mut vdoc, ov, &mut ck);
    }
    variants::remove_faults(&mut vdoc, &d.unsets, &mut ck);
    ck.file_duration = file_duration(doc);
    // `scenario.duration`, or the whole `scenario` table written anew.
    ck.duration_set_by = if d
        .overrides
        .iter()
        .any(|o| o.path == DURATION_PATH || o.path == DURATION_PATH[..1])
    {
        Some("this variant".to_string())
    } else {
        duration_set_by(sets)
    };
    variants::keep_own_expectations(&mut vdoc, d, &mut ck);
    (ck, vdoc)
}

/// The path of the run's length, which an override may shorten (`Checker::duration_set_by`).
const DURATION_PATH: [&str; 2] = ["scenario", "duration"];

/// The file's own `duration`, when it gives one that reads.
fn file_duration(doc: &DeTable<'_>) -> Option<SimTime> {
    let scenario = doc.get("scenario")?;
    let DeValue::Table(t) = scenario.get_ref() else {
        return None;
    };
    let DeValue::String(d) = t.get("duration")?.get_ref() else {
        return None;
    };
    check::parse_duration(d).ok()
}

/// The `--set` that gives the run's length, if one does (the last, as it wins), as the
/// messages name it.
fn duration_set_by(sets: &[String]) -> Option<String> {
    sets.iter()
        .rev()
        .find(|s| {
            s.split_once('=')
                .is_some_and(|(path, _)| path.trim().split('.').eq(DURATION_PATH))
        })
        .map(|s| format!("--set {s}"))
}

/// A `--set PATH=VALUE` as an override, reported as the argument it is.
fn cli_override(set: &str, ck: &mut Checker) -> Option<variants::Override<'static>> {
    // Offsets for the value's own spans: a mistake inside a table it writes is the --set's.
    let at = ck.synthetic_with(format!("--set {set}"), set.len() + 1);
    let Some((path, value)) = set.split_once('=') else {
        ck.error(at, "a --set needs PATH=VALUE, as db.read_replicas=4");
        return None;
    };
    let path: Vec<String> = path.trim().split('.').map(str::to_string).collect();
    if path.len() < 2 || path.iter().any(|p| p.is_empty()) {
        ck.error(at, "the path of a --set is a component id, a workload name, scenario/account/network or fault.N (the N-th [[fault]], from 0), then the keys inside, as db.read_replicas or fault.0.for");
        return None;
    }
    let value = Spanned::new(
        at.clone(),
        variants::shifted(variants::value_of(value.trim()), at.start + 1),
    );
    refuse_unprintable_value(&value, path.last().map_or("", String::as_str), ck);
    Some(variants::Override {
        path,
        at: at.clone(),
        value,
    })
}

/// Refuses every key and string in `table` (and below) that holds a control character other
/// than a line break or a tab, or a bidirectional override. A scenario's text reaches
/// terminals, pages, charts, CSV and JSON files, where such a character would act (clear a
/// screen, forge a CI log's line, reverse what a page shows) instead of reading as written:
/// refused once here, no output has to be trusted to escape it.
fn refuse_unprintable(table: &DeTable<'_>, ck: &mut Checker) {
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        if let Some(problem) = unprintable(name) {
            let shown = crate::text::one_line(name);
            ck.error(
                key.span(),
                format!("the key \"{shown}\" must be printable text: {problem}"),
            );
        }
        refuse_unprintable_value(value, name, ck);
    }
}

fn refuse_unprintable_value(value: &Spanned<DeValue<'_>>, place: &str, ck: &mut Checker) {
    match value.get_ref() {
        DeValue::String(s) => {
            if let Some(problem) = unprintable(s) {
                ck.error(
                    value.span(),
                    format!("`{place}` must be printable text: {problem}"),
                );
            }
        }
        DeValue::Table(t) => refuse_unprintable(t, ck),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refuse_unprintable_value(item, &format!("{place}[{i}]"), ck);
            }
        }
        _ => {}
    }
}

/// What is wrong with `s` as a scenario's text, if anything: its first control character
/// or bidirectional override, and what text may hold.
fn unprintable(s: &str) -> Option<String> {
    let (c, at, bidi) = crate::text::first_unprintable(s)?;
    Some(format!(
        "it holds {} ({}, character {at}); text in a scenario may hold line breaks and tabs, but no other control character and no bidirectional override",
        if bidi {
            "a bidirectional override"
        } else {
            "a control character"
        },
        crate::text::printable(c.encode_utf8(&mut [0; 4])),
    ))
}

/// Parses the TOML of a scenario: its top-level table and the span of the whole.
fn parse_doc<'i>(text: &'i str, ck: &mut Checker) -> Option<(DeTable<'i>, std::ops::Range<usize>)> {
    match DeTable::parse(text) {
        Ok(d) => {
            let whole = d.span();
            Some((d.into_inner(), whole))
        }
        Err(e) => {
            ck.toml_error(&e, text);
            None
        }
    }
}

/// Validates a scenario's document (variants and sweep already taken out).
fn validate(
    path: &Path,
    doc: DeTable<'_>,
    whole: std::ops::Range<usize>,
    access: &FileAccess,
    ck: &mut Checker,
) -> Option<Scenario> {
    let mut doc = doc;

    for (key, _) in doc.iter() {
        if !TOP_LEVEL.contains(&key.get_ref().as_ref()) {
            ck.error(
                key.span(),
                format!(
                    "unknown table `{}`{}; a scenario has: {}",
                    key.get_ref(),
                    crate::text::did_you_mean(key.get_ref(), TOP_LEVEL.iter().copied()),
                    TOP_LEVEL
                        .iter()
                        .map(|t| format!("[{t}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let meta = match single_table(&mut doc, "scenario", ck) {
        Some(Some(v)) => ck.declared(keys::SCENARIO, |ck| ck.deserialize::<RawMeta>(v)),
        None => None,
        Some(None) => {
            ck.error(
                whole.start..whole.start,
                "missing table [scenario] (it needs at least `duration`)",
            );
            None
        }
    };
    let network = match single_table(&mut doc, "network", ck) {
        Some(Some(v)) => ck
            .declared(keys::NETWORK, |ck| ck.deserialize::<RawNetwork>(v))
            .and_then(|n| parse_network(&n, ck)),
        Some(None) => Some(Network::default()),
        None => None,
    };
    let account = match single_table(&mut doc, "account", ck) {
        Some(Some(v)) => ck
            .declared(keys::ACCOUNT, |ck| ck.deserialize::<RawAccount>(v))
            .and_then(|a| parse_account(&a, ck)),
        Some(None) => Some(Account::default()),
        None => None,
    };
    let component_values = array_of_tables(&mut doc, "component", "[[component]]", ck);
    let workload_values = array_of_tables(&mut doc, "workload", "[[workload]]", ck);
    let fault_values = array_of_tables(&mut doc, "fault", "[[fault]]", ck);
    let expect_values = array_of_tables(&mut doc, "expect", "[[expect]]", ck);
    let role_values = array_of_tables(&mut doc, "role", "[[role]]", ck);
    let sg_values = array_of_tables(&mut doc, "security_group", "[[security_group]]", ck);
    let acl_values = array_of_tables(&mut doc, "network_acl", "[[network_acl]]", ck);
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
    let mut ok = true;
    for (values, what, max) in [
        (&component_values, "[[component]]", limits::MAX_COMPONENTS),
        (&workload_values, "[[workload]]", limits::MAX_WORKLOADS),
        (&fault_values, "[[fault]]", limits::MAX_FAULTS),
        (&expect_values, "[[expect]]", limits::MAX_EXPECTATIONS),
    ] {
        if values.len() > max {
            ck.error(
                values[max].span(),
                format!(
                    "this scenario has {} {what} tables; a scenario may have at most {max}",
                    values.len()
                ),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let actors = component_values.len() + workload_values.len();

    // Components first: workloads and calls refer to their ids.
    let headers: Vec<_> = component_values
        .into_iter()
        .map(|v| component_header(v, ck))
        .collect();
    ck.set_component_ids(
        headers
            .iter()
            .map(|h| h.as_ref().map_or(String::new(), |h| h.id.get_ref().clone()))
            .collect(),
    );
    let mut components = Vec::new();
    let mut regions: Vec<Option<Spanned<String>>> = Vec::new();
    let mut role_names: Vec<Option<Spanned<String>>> = Vec::new();
    let mut sg_names: Vec<Option<Spanned<DeValue<'_>>>> = Vec::new();
    let mut components_ok = true;
    for h in headers {
        let Some(h) = h else {
            components_ok = false;
            continue;
        };
        if !h.kind_ok {
            components_ok = false;
            continue;
        }
        let link = kms_link(h.kms, h.kms_cache, ck);
        let kind = components::registry::find(h.kind.get_ref());
        let own_keys: Vec<usize> = match h.rest.get_ref() {
            DeValue::Table(t) => t.keys().map(|k| k.span().start).collect(),
            _ => Vec::new(),
        };
        let spec = kind.and_then(|k| {
            ck.also_allowed(own_keys, header_keys(k), |ck| {
                ck.declared(k.info.keys, |ck| ck.table(|ck| (k.parse)(h.rest, ck)))
            })
        });
        match spec {
            Some(mut spec) => {
                let placed = h.region.as_ref().or(h.az.as_ref());
                if let (true, Some(p)) = (spec.global(), placed) {
                    ck.error(
                        p.span(),
                        format!(
                            "\"{}\" is {}, a global service in no region or zone: it takes no `region` or `az`",
                            h.id.get_ref(),
                            spec.info().noun
                        ),
                    );
                    components_ok = false;
                }
                match link {
                    Some(link) => {
                        spec.set_kms(link);
                        components.push((h.id, h.az, spec));
                        regions.push(h.region);
                        role_names.push(h.role);
                        sg_names.push(h.security_groups);
                    }
                    None => components_ok = false,
                }
            }
            None => components_ok = false,
        }
    }
    components_ok &= unique_ids(components.iter().map(|(id, _, _)| id), "component", ck);
    let mut blind = Vec::new();
    if components_ok {
        components_ok &= check_kms_links(&components, ck);
        check_call_cycles(&components, ck);
        let home = network
            .as_ref()
            .map_or(components::HOME_REGION, |n| n.region.as_str());
        let in_region: Vec<String> = regions
            .iter()
            .map(|r| {
                r.as_ref()
                    .map_or(home, |r| r.get_ref().as_str())
                    .to_string()
            })
            .collect();
        let (grouped, tied) = check_groups(&mut components, &in_region, ck);
        components_ok &= grouped;
        blind = tied;
    }
    if let Some(acc) = &account {
        let home = network
            .as_ref()
            .map_or(components::HOME_REGION, |n| n.region.as_str());
        ok &= check_lambda_set_aside(&components, &regions, home, acc, ck);
    }

    // [scenario]'s settings, each checked on its own so that one mistake hides no other; the
    // duration first, so that an arrival can be checked against the end of the run.
    let times = meta.as_ref().and_then(|m| parse_times(m, actors, ck));
    let base = path.parent().unwrap_or(Path::new("."));
    // Each workload read whole, so that a value of the wrong type hides no other mistake in
    // it; the table as written is kept, for its name, even when it could not be validated.
    let mut raw_workloads: Vec<Option<RawWorkload>> = Vec::new();
    let mut parsed_workloads: Vec<Option<WorkloadSpec>> = Vec::new();
    for v in workload_values {
        let mut raw = None;
        let parsed = ck.table(|ck| {
            let rw: RawWorkload = ck.declared(keys::WORKLOAD, |ck| ck.deserialize(v))?;
            let w = workloads::parse(&rw, times.map(|t| t.0), base, access, ck);
            raw = Some(rw);
            w
        });
        if raw.is_some() {
            parsed_workloads.push(parsed);
        }
        raw_workloads.push(raw);
    }
    let mut workloads = Vec::new();
    let mut seen_workloads: HashMap<&str, ()> = HashMap::new();
    for (rw, parsed) in raw_workloads.iter().flatten().zip(parsed_workloads) {
        if ck.component_position(rw.name.get_ref()).is_some() {
            ck.error(
                rw.name.span(),
                format!(
                    "workload name \"{}\" is also a component id; names must differ",
                    rw.name.get_ref()
                ),
            );
        }
        if seen_workloads.insert(rw.name.get_ref(), ()).is_some() {
            ck.error(
                rw.name.span(),
                format!("workload name \"{}\" is used twice", rw.name.get_ref()),
            );
        }
        match parsed {
            // Only when every component parsed: else `components` is not indexed by id.
            Some(w) if components_ok && !components[w.target].2.answers_calls() => {
                ck.error(
                    rw.target.span(),
                    format!(
                        "\"{}\" takes no requests: it is part of the component it is attached to; send them to that one",
                        rw.target.get_ref()
                    ),
                );
                ok = false;
            }
            // aws-facts: §21 CORS: a browser calls what answers its preflights itself.
            Some(w)
                if components_ok
                    && w.browser.is_some()
                    && components[w.target].2.cors().is_none() =>
            {
                ck.error(
                    rw.browser.as_ref().map_or(rw.target.span(), |b| b.span()),
                    format!(
                        "a browser workload's target must answer CORS preflights itself, and \"{}\" does not: target a component whose kind takes a `cors` table",
                        rw.target.get_ref()
                    ),
                );
                ok = false;
            }
            Some(w) => workloads.push(w),
            None => ok = false,
        }
    }
    let mut next_key = 1;
    for w in &mut workloads {
        w.first_api_key = next_key;
        next_key += w.api_keys;
    }
    if components_ok {
        callers_wait(&mut components, &workloads);
    }
    if raw_workloads.iter().any(Option::is_none) {
        ok = false;
    }

    let setting = |v: Option<Option<i64>>| v.map(|x| x.map(|x| x as u64));
    let seed = meta.as_ref().map(|m| match &m.seed {
        Some(s) => ck.int_in(s, "seed", 0, i64::MAX).map(|s| s as u64),
        None => Some(1),
    });
    let seeds = meta.as_ref().map(|m| match &m.seeds {
        Some(s) => ck
            .int_in(s, "seeds", 1, i64::from(limits::MAX_SEEDS))
            .map(|s| s as u32),
        None => Some(1),
    });
    let max_in_flight = setting(meta.as_ref().map(|m| match &m.max_in_flight {
        Some(x) => ck.int_in(x, "max_in_flight", 1, limits::MAX_IN_FLIGHT),
        None => Some(crate::kernel::Limits::default().max_in_flight as i64),
    }));
    let compare = meta.as_ref().map(|m| match &m.compare {
        Some(c) => valid_name(c, "compare", "names the comparison charts' files", ck).map(Some),
        None => Some(None),
    });
    let named = meta.as_ref().map(|m| scenario_name(m, path, ck));
    let question = meta
        .as_ref()
        .map(|m| slide_text(m.question.as_ref(), "question", ck));
    let lesson = meta
        .as_ref()
        .map(|m| slide_text(m.lesson.as_ref(), "lesson", ck));

    let raw_faults: Vec<Option<Spanned<crate::config::raw::RawFault>>> = fault_values
        .into_iter()
        .map(|v| {
            let span = v.span();
            ck.declared(keys::FAULT, |ck| {
                ck.deserialize::<crate::config::raw::RawFault>(v)
            })
            .map(|f| Spanned::new(span, f))
        })
        .collect();
    let workload_names: Vec<&str> = raw_workloads
        .iter()
        .flatten()
        .map(|w| w.name.get_ref().as_str())
        .collect();
    // A workload that could not be read was reported already: its name is unknown, and an
    // expectation naming a workload is not judged against the others.
    let workloads_whole = raw_workloads.iter().all(Option::is_some);
    // Each component's kind, for the fields an expectation may name.
    let kind_of: HashMap<&str, &'static components::KindInfo> = components
        .iter()
        .map(|(id, _, spec)| (id.get_ref().as_str(), spec.info()))
        .collect();
    let compare_metrics = meta.as_ref().and_then(|m| {
        parse_compare_metrics(
            m.compare_metrics.as_ref(),
            &workload_names,
            workloads_whole,
            &kind_of,
            ck,
        )
    });
    ok &= compare_metrics.is_some();
    let latency = meta
        .as_ref()
        .and_then(|m| m.latency.as_ref())
        .and_then(|l| {
            let problem = latency_problem(
                l.get_ref(),
                &ck.component_ids
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                &workload_names,
                &|id| kind_of.get(id).copied(),
            );
            match problem {
                Some(p) => {
                    ck.error(l.span(), p);
                    ok = false;
                    None
                }
                None => Some((l.get_ref().clone(), l.span())),
            }
        });
    let mut expectations = Vec::new();
    let browsers: Vec<&str> = raw_workloads
        .iter()
        .flatten()
        .filter(|w| w.browser.as_ref().is_some_and(|b| *b.get_ref()))
        .map(|w| w.name.get_ref().as_str())
        .collect();
    let names = ExpectNames {
        workloads: &workload_names,
        browsers: &browsers,
        workloads_whole,
        kind_of: &kind_of,
        blind: &blind,
        times,
    };
    for v in expect_values {
        let span = v.span();
        match ck
            .declared(keys::EXPECT, |ck| ck.deserialize::<raw::RawExpect>(v))
            .and_then(|e| parse_expect(&e, span, &names, ck))
        {
            Some(e) => expectations.push(e),
            None => ok = false,
        }
    }
    let home = network
        .as_ref()
        .map_or(components::HOME_REGION, |n| n.region.as_str())
        .to_string();
    warn_similar_zones(&components, &regions, &home, &raw_faults, ck);
    warn_unplaced(&components, &regions, &home, &raw_faults, ck);
    ck.warn_unnamed_ops();
    let regions: Vec<String> = regions
        .into_iter()
        .map(|r| r.map_or_else(|| home.clone(), Spanned::into_inner))
        .collect();
    components_ok &= check_zone_regions(&components, &regions, ck);
    components_ok &= check_memory(&components, ck);
    // Roles name components as resources, and components name roles.
    let resources = roles::Resources {
        ids: components
            .iter()
            .map(|(id, _, _)| id.get_ref().as_str())
            .collect(),
        arns: components
            .iter()
            .zip(&regions)
            .map(|((id, _, spec), region)| spec.iam_resources(id.get_ref(), region))
            .collect(),
        nouns: components.iter().map(|(_, _, s)| s.info().noun).collect(),
        regions: {
            let mut seen: Vec<&str> = Vec::new();
            for r in &regions {
                if !seen.contains(&r.as_str()) {
                    seen.push(r);
                }
            }
            seen
        },
    };
    // They wait, as every check across components does, while a component cannot be read:
    // its id missing from the resources would fail every statement naming it, and those
    // statements' roles every component naming them, each a false error before the real one.
    let parsed_roles = if components_ok {
        let parsed = roles::parse(role_values, &resources, ck);
        ok &= parsed.is_some();
        parsed.unwrap_or_default()
    } else {
        Vec::new()
    };
    let component_roles: Vec<Option<usize>> = role_names
        .iter()
        .map(|name| {
            let name = name.as_ref().filter(|_| components_ok)?;
            let found = roles::find(name, &parsed_roles, ck);
            ok &= found.is_some();
            found
        })
        .collect();
    // Components name security groups, and rules name groups.
    let (parsed_groups, groups_ok) = security_groups::parse(sg_values, ck);
    ok &= groups_ok;
    let component_groups: Vec<Vec<usize>> = sg_names
        .iter()
        .zip(&components)
        .map(|(value, (_, _, spec))| {
            let Some(value) = value else {
                return Vec::new();
            };
            let found =
                security_groups::find(value, spec.in_vpc(), spec.info().noun, &parsed_groups, ck);
            ok &= found.is_some();
            found.unwrap_or_default()
        })
        .collect();
    // Faults name components: they are checked when every component could be read.
    let mut fault_specs = Vec::new();
    let decls: Vec<ComponentDecl> = components
        .into_iter()
        .zip(regions)
        .zip(component_roles)
        .zip(component_groups)
        .map(
            |((((id, az, spec), region), role), security_groups)| ComponentDecl {
                position: ck.line_column(id.span().start),
                id: id.into_inner(),
                az: az.map(Spanned::into_inner),
                region,
                spec,
                role,
                security_groups,
            },
        )
        .collect();
    // Network ACLs name the zones of the components in a VPC (their subnets).
    let mut vpc_zones: Vec<String> = Vec::new();
    for d in decls.iter().filter(|d| d.spec.in_vpc()) {
        for z in d.az.iter().map(String::as_str).chain(d.spec.zones()) {
            if !vpc_zones.iter().any(|v| v == z) {
                vpc_zones.push(z.to_string());
            }
        }
    }
    let (parsed_acls, acls_ok) = network_acls::parse(acl_values, &vpc_zones, ck);
    ok &= acls_ok;
    if components_ok {
        let until = times.map_or(SimTime::MAX, |(d, _, _)| d);
        for f in &raw_faults {
            match f.as_ref().and_then(|f| faults::parse(f, &decls, until, ck)) {
                // After the end of a run an override shortened: warned of, left out.
                Some(spec) if spec.at >= until => {}
                Some(spec) => fault_specs.push(spec),
                None => ok = false,
            }
        }
    } else {
        // What a fault holds that needs no component (its kind, its times) is checked
        // anyway, so that a mistake there is told with the components' own.
        for f in raw_faults.iter().flatten() {
            faults::check_alone(f, ck);
        }
    }
    if raw_faults.iter().any(Option::is_none) {
        ok = false;
    }
    if let Some((duration, warmup, _)) = times {
        ok &= check_arrivals(&raw_workloads, &workloads, duration, warmup, ck);
    }

    let (duration, warmup, window) = times?;
    let (name, name_position) = named??;
    if !(ok && components_ok) {
        return None;
    }
    Some(Scenario {
        name,
        name_position,
        description: meta.as_ref()?.description.clone().unwrap_or_default(),
        question: question??,
        lesson: lesson??,
        compare: compare??,
        compare_metrics: compare_metrics?,
        latency,
        file: path.to_path_buf(),
        duration,
        warmup,
        seed: seed??,
        seeds: seeds??,
        window,
        max_in_flight: max_in_flight?? as usize,
        network: network?,
        account: account?,
        ops: ck.ops.clone(),
        roles: parsed_roles,
        security_groups: parsed_groups,
        network_acls: parsed_acls,
        workloads,
        components: decls,
        faults: fault_specs,
        expectations,
        warnings: Vec::new(),
        inputs: ck.inputs.clone(),
        variant: None,
        overrides: Vec::new(),
    })
    .filter(|s| {
        let zones = crate::network::check_zones(s, ck);
        crate::access::check_mappings(s, ck) && zones
    })
}

/// Refuses, at the largest, components that together would take more memory before the
/// first request than a run may (`limits::MAX_RUN_BYTES`): each what every component holds
/// and what its configuration sets up (`Kind::upfront_bytes`: a FIFO queue's message groups,
/// a table's partitions), so that two hundred parts each at its own limit cannot take tens
/// of gigabytes.
fn check_memory<A>(
    components: &[(Spanned<String>, A, components::ComponentSpec)],
    ck: &mut Checker,
) -> bool {
    let each: Vec<(u64, Option<String>)> = components
        .iter()
        .map(|(_, _, spec)| match spec.upfront_bytes() {
            Some((bytes, what)) => (limits::COMPONENT_BYTES + bytes, Some(what)),
            None => (limits::COMPONENT_BYTES, None),
        })
        .collect();
    let total: u64 = each.iter().map(|(b, _)| b).sum();
    if total <= limits::MAX_RUN_BYTES {
        return true;
    }
    let largest = (0..each.len())
        .max_by_key(|&i| (each[i].0, std::cmp::Reverse(i)))
        .expect("a total past the limit has a part");
    let mib = |b: u64| b.div_ceil(1 << 20);
    let why = each[largest]
        .1
        .as_ref()
        .map_or(String::new(), |w| format!(", for {w}"));
    ck.error(
        components[largest].0.span(),
        format!(
            "the {} components would take about {} MiB of memory before the first request, this one {} MiB{why}; a run may take at most {} MiB (each component {} MiB and what its settings set up): fewer or smaller parts",
            components.len(),
            mib(total),
            mib(each[largest].0),
            mib(limits::MAX_RUN_BYTES),
            mib(limits::COMPONENT_BYTES),
        ),
    );
    false
}

/// Warns, at each component, of what its kind says it cannot show within the run's
/// `duration` (`ComponentSpec::run_warnings`: a dead-letter queue no message can reach).
fn warn_kinds(sc: &Scenario, name: Option<&str>, ck: &mut Checker) {
    let whose = name.map_or(String::new(), |n| format!("{n}: "));
    let ids: Vec<&str> = sc.components.iter().map(|c| c.id.as_str()).collect();
    for c in &sc.components {
        for w in c.spec.run_warnings(sc.duration, &ids) {
            let at = ck.offset_of(c.position.0, c.position.1);
            ck.warn(
                at..at,
                format!("{whose}\"{}\": {w}", crate::text::one_line(&c.id)),
            );
        }
    }
}

/// What ends each warning of a call a role denies or the network drops: `archsim lint`,
/// which lists them itself, leaves these warnings out.
pub const LINT_LISTS_THEM: &str = "(`archsim lint` lists them all)";

/// Warns, where each is written, of the calls the scenario's IAM roles would deny or its
/// network (security groups, network ACLs) would drop, as `archsim lint` reports them: a run
/// shows their 403s and timeouts, but says nowhere else why. And of the links the run lets
/// through where AWS would refuse some callers' requests (a cache's, one decision per link),
/// which no figure of the run shows.
fn warn_closed(sc: &Scenario, name: Option<&str>, ck: &mut Checker) {
    let whose = name.map_or(String::new(), |n| format!("{n}: "));
    for f in crate::access::lint(sc)
        .findings
        .into_iter()
        .filter(|f| f.error || f.run_differs)
    {
        let at = ck.offset_of(f.position.0, f.position.1);
        ck.warn(at..at, format!("{whose}{} {LINT_LISTS_THEM}", f.message));
    }
}

/// Warns of a call retried by a policy written by hand whose `on` lists statuses but not
/// "throttle", to an AWS API whose throttling errors it leaves out (DynamoDB's are 400s:
/// `on = [429]` retries none of them). An SDK tells a throttle by its error code and retries
/// it (aws-facts: §7); a run would show the throttles unretried and say nowhere why.
fn warn_throttles_unretried(sc: &Scenario, name: Option<&str>, ck: &mut Checker) {
    let whose = name.map_or(String::new(), |n| format!("{n}: "));
    for c in &sc.components {
        for call in c.spec.calls() {
            let (Some(crate::retry::RetrySpec::Policy(p)), Some(at)) = (&call.retry, call.position)
            else {
                continue;
            };
            let callee = &sc.components[call.to];
            let Some(service) = callee.spec.sdk_service() else {
                continue;
            };
            let left: Vec<String> = service
                .throttles
                .iter()
                .filter(|t| !p.on_status.contains(t))
                .map(u16::to_string)
                .collect();
            if p.attempts < 2 || p.on_throttle || left.is_empty() {
                continue;
            }
            let title =
                crate::components::registry::info(callee.spec.kind()).map_or("", |i| i.title);
            let offset = ck.offset_of(at.0, at.1);
            ck.warn(
                offset..offset,
                format!(
                    "{whose}\"{}\"'s retries of its calls to \"{}\" ({title}) never retry a throttle: it answers one with {}, which `retry.on` does not list; add \"throttle\" to `on` (the callee's throttling errors, as an SDK retries them by their code)",
                    crate::text::one_line(&c.id),
                    crate::text::one_line(&callee.id),
                    left.join(" or "),
                ),
            );
        }
    }
}

/// Warns of each station that has not caught up when the run ends (`theory::overloaded`):
/// its figures depend on the run's length, and a student would quote them as a steady
/// state's. `name` names the baseline among variants (a variant's checker names it).
fn warn_overloaded(sc: &Scenario, name: Option<&str>, ck: &mut Checker) {
    let whose = name.map_or(String::new(), |n| format!("{n}: "));
    for o in crate::theory::overloaded(sc) {
        let c = &sc.components[o.component];
        let at = ck.offset_of(c.position.0, c.position.1);
        let how = if o.load_at_end >= 1.0 {
            format!(
                "is offered {:.0} % of what its servers can do at the end of the run",
                o.load_at_end * 100.0
            )
        } else {
            format!(
                "is offered more than its servers can do for a while, and about {} of work is still queued when the run ends",
                SimTime::from_secs_f64(o.backlog_s)
            )
        };
        ck.warn(
            at..at,
            format!(
                "{whose}\"{}\" {how} (its workloads' mean arrival rate × mean `service_time` ÷ servers; calls from other components and retries would add to it) and has no `queue` limit: its queue has not caught up when the run ends, there is no steady state, and its latency depends on `duration` rather than settling; offer less, add servers, or give it a `queue` (a full queue answers 503)",
                crate::text::one_line(&c.id),
            ),
        );
    }
}

/// aws-facts: §2 concurrency: reserved (and provisioned) concurrency is carved out of the
/// account's pool of each Region, which must keep at least `LAMBDA_UNRESERVED_MIN` for every
/// other function. A Region whose functions set aside more is refused at the setting of the
/// function that takes the sum past the line (in file order), naming the others that share
/// the blame. Whether every Region keeps enough.
fn check_lambda_set_aside(
    components: &[ParsedComponent],
    regions: &[Option<Spanned<String>>],
    home: &str,
    account: &Account,
    ck: &mut Checker,
) -> bool {
    let most = u64::from(
        account
            .lambda_concurrency
            .saturating_sub(components::LAMBDA_UNRESERVED_MIN),
    );
    // Each Region's functions that set some aside, in file order, with their shares.
    let mut by_region: BTreeMap<&str, Vec<(usize, u64)>> = BTreeMap::new();
    for (i, ((_, _, spec), region)) in components.iter().zip(regions).enumerate() {
        let mut mine = components::AccountClaims::default();
        spec.claim(&mut mine);
        if mine.lambda_set_aside > 0 {
            let region = region.as_ref().map_or(home, |r| r.get_ref().as_str());
            by_region
                .entry(region)
                .or_default()
                .push((i, u64::from(mine.lambda_set_aside)));
        }
    }
    let mut ok = true;
    for (region, shares) in by_region {
        let total: u64 = shares.iter().map(|(_, n)| n).sum();
        let mut sum = 0;
        let Some(crossing) = shares.iter().position(|(_, n)| {
            sum += n;
            sum > most
        }) else {
            continue;
        };
        let (i, n) = shares[crossing];
        let (id, _, spec) = &components[i];
        let others: Vec<String> = shares
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != crossing)
            .map(|(_, (j, m))| format!("\"{}\" ({m})", components[*j].0.get_ref()))
            .collect();
        let with_others = match others.split_last() {
            None => String::new(),
            Some((last, [])) => format!(", which with {last} makes {total}"),
            Some((last, rest)) => {
                format!(", which with {} and {last} makes {total}", rest.join(", "))
            }
        };
        ck.error(
            spec.set_aside_span().unwrap_or(id.span()),
            format!(
                "\"{}\" sets aside {n} of the Lambda concurrency of {}{with_others} (reserved, or provisioned where nothing is reserved); the account has {} there, of which at least {} must stay unreserved, so the functions there may set aside {most} in all: set aside less, or raise `lambda_concurrency` in [account]",
                id.get_ref(),
                components::region_words(region),
                account.lambda_concurrency,
                components::LAMBDA_UNRESERVED_MIN
            ),
        );
        ok = false;
    }
    ok
}

/// The scenario's name (from `name`, or else its file's name) and where it is written; a name
/// derived from the file name passes the same checks as one written out, since it names the
/// results folder too.
fn scenario_name(
    meta: &RawMeta,
    path: &Path,
    ck: &mut Checker,
) -> Option<(String, (usize, usize))> {
    match &meta.name {
        Some(n) => {
            let name = valid_name(n, "name", "names the results folder", ck)?;
            Some((name, ck.line_column(n.span().start)))
        }
        None => {
            let stem = path
                .file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned());
            match name_problem(&stem) {
                None => Some((stem, (1, 1))),
                Some(why) => {
                    ck.error(
                        0..0,
                        format!(
                            "the file name gives this scenario the name \"{stem}\", which cannot name its results folder: {why}; set `name` in [scenario]"
                        ),
                    );
                    None
                }
            }
        }
    }
}

/// Each workload must be able to send a request in the measured period: a profile, a trace
/// or evenly spaced arrivals that fall only after the end (or only in the warmup) would run
/// and report nothing. Returns whether all can.
fn check_arrivals(
    raw: &[Option<RawWorkload>],
    workloads: &[WorkloadSpec],
    duration: SimTime,
    warmup: SimTime,
    ck: &mut Checker,
) -> bool {
    let mut ok = true;
    let mut expected = 0.0;
    for w in workloads {
        let Some(rw) = raw.iter().flatten().find(|r| *r.name.get_ref() == w.name) else {
            continue;
        };
        let span = rw.arrival.span();
        if !w.arrival.can_arrive_between(SimTime::ZERO, duration) {
            ck.error(
                span,
                format!(
                    "no request of workload \"{}\" would arrive before the end of the run ({duration}); move its arrivals earlier or make `duration` longer",
                    w.name
                ),
            );
            ok = false;
        } else if !w.arrival.can_arrive_between(warmup, duration) {
            ck.error(
                span,
                format!(
                    "every request of workload \"{}\" would arrive during the warmup (the first {warmup}), which the statistics leave out; shorten `warmup` or move its arrivals later",
                    w.name
                ),
            );
            ok = false;
        }
        expected += w.arrival.expected_between(warmup, duration);
    }
    if ok && expected < 1.0 {
        if let Some(rw) = raw.iter().flatten().next() {
            ck.warn(
                rw.arrival.span(),
                format!(
                    "fewer than one request is expected in the measured period ({expected:.2} on average): the results may hold nothing"
                ),
            );
        }
    }
    ok
}

/// Zone names that look like misspellings of each other are said as a warning (one zone
/// may be a typo for the other, which would make a zone outage or a cross-zone hop miss it):
/// names equal but for case and punctuation ("us-east-1a" and "US-EAST-1A"), or ending in the
/// same letter but differing before it ("zone-a" and "zona-a"), or one the other with a
/// region before it ("a" and "us-east-1a"). Zones that differ in their
/// last letter ("a" and "b", "us-east-1a" and "us-east-1b") are how zones are named.
/// Where a zone is first named, and its region (`None`: named by a fault, in any region).
type Place<'a> = (std::ops::Range<usize>, Option<&'a str>);

fn warn_similar_zones(
    components: &[ParsedComponent],
    regions: &[Option<Spanned<String>>],
    home: &str,
    faults: &[Option<Spanned<crate::config::raw::RawFault>>],
    ck: &mut Checker,
) {
    // Each zone name with the first place that uses it, and its region (a fault's zone is
    // compared with every region's).
    let mut places: BTreeMap<&str, Place> = BTreeMap::new();
    for ((id, az, spec), region) in components.iter().zip(regions) {
        let region = Some(region.as_ref().map_or(home, |r| r.get_ref().as_str()));
        if let Some(az) = az {
            places.entry(az.get_ref()).or_insert((az.span(), region));
        }
        for z in spec.zones() {
            places.entry(z).or_insert((id.span(), region));
        }
    }
    for f in faults.iter().flatten() {
        if let Some(az) = &f.get_ref().az {
            places.entry(az.get_ref()).or_insert((az.span(), None));
        }
    }
    let normal = |z: &str| -> String {
        z.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let zones: Vec<(&str, Place)> = places.into_iter().collect();
    for (i, (a, (_, ra))) in zones.iter().enumerate() {
        for (b, (span, rb)) in &zones[i + 1..] {
            // Zones of two regions are told apart by their region ("us-east-1a", "us-west-2a").
            if let (Some(ra), Some(rb)) = (ra, rb) {
                if ra != rb {
                    continue;
                }
            }
            let same_letter = a.len() > 1 && b.len() > 1 && a.chars().last() == b.chars().last();
            // One the other with its region before it ("a" and "us-east-1a"): one zone named
            // two ways.
            let (na, nb) = (normal(a), normal(b));
            let (short, long) = if na.len() < nb.len() {
                (&na, &nb)
            } else {
                (&nb, &na)
            };
            let region_before = !short.is_empty()
                && long
                    .strip_suffix(short.as_str())
                    .is_some_and(|r| r.ends_with(|c: char| c.is_ascii_digit()));
            if region_before {
                ck.warn(
                    span.clone(),
                    format!("zones \"{a}\" and \"{b}\" look like one zone named two ways: name it one way (they are different zones to archsim, and an outage of one does not reach the other)"),
                );
            } else if na == nb || same_letter {
                ck.warn(
                    span.clone(),
                    format!("zones \"{a}\" and \"{b}\" look alike: is one a typo for the other? (they are different zones to archsim)"),
                );
            }
        }
    }
}

/// A scenario with an `az_outage` is warned of each zonal part of a component that it puts
/// in no zone (`Kind::unplaced`: a database without `az`, read replicas without
/// `replica_zones`, a group without `zones`): the outage never reaches it, which a scenario
/// about losing a zone most likely did not mean. Only for an outage of a zone of the
/// component's region (a zone no component names may be in any region): placing a part in
/// one region brings no other region's outage to it.
fn warn_unplaced(
    components: &[ParsedComponent],
    regions: &[Option<Spanned<String>>],
    home: &str,
    faults: &[Option<Spanned<crate::config::raw::RawFault>>],
    ck: &mut Checker,
) {
    let region_of = |r: &Option<Spanned<String>>| -> String {
        r.as_ref()
            .map_or_else(|| home.to_string(), |r| r.get_ref().clone())
    };
    // Each zone a component names, with its region.
    let mut zone_region: BTreeMap<&str, String> = BTreeMap::new();
    for ((_, az, spec), region) in components.iter().zip(regions) {
        for z in az.iter().map(|a| a.get_ref().as_str()).chain(spec.zones()) {
            zone_region.entry(z).or_insert_with(|| region_of(region));
        }
    }
    let mut zones: Vec<&str> = Vec::new();
    for f in faults.iter().flatten().map(Spanned::get_ref) {
        if let (true, Some(az)) = (f.kind.get_ref() == "az_outage", &f.az) {
            if !zones.contains(&az.get_ref().as_str()) {
                zones.push(az.get_ref());
            }
        }
    }
    for ((id, az, spec), region) in components.iter().zip(regions) {
        let region = region_of(region);
        let near: Vec<&str> = zones
            .iter()
            .copied()
            .filter(|z| zone_region.get(z).is_none_or(|r| *r == region))
            .collect();
        let outage = match near.as_slice() {
            [] => continue,
            [z] => format!("the az_outage of zone \"{z}\""),
            _ => {
                let named: Vec<String> = near.iter().map(|z| format!("\"{z}\"")).collect();
                format!("the az_outages of zones {}", named.join(", "))
            }
        };
        for part in spec.unplaced(az.as_ref().map(|a| a.get_ref().as_str())) {
            let (it, is) = if part.plural {
                ("them", "are")
            } else {
                ("it", "is")
            };
            ck.warn(
                id.span(),
                format!(
                    "{} of \"{}\" {is} in no zone, so {outage} never reaches {it}: set `{}` to place {it} in a zone",
                    part.what,
                    id.get_ref(),
                    part.key,
                ),
            );
        }
    }
}

/// Whether `metric` is a dotted path to a number of `summary.json` of a scenario with these
/// components (ids, and the kind of each) and workloads: `Err(Some(why))` when it is not,
/// `Err(None)` when it names a component whose kind is unknown (reported elsewhere).
pub fn metric_problem(
    key: &str,
    metric: &str,
    component_ids: &[&str],
    workloads: &[&str],
    kind_of: &dyn Fn(&str) -> Option<&'static components::KindInfo>,
) -> Result<(), Option<String>> {
    let segments: Vec<&str> = metric.split('.').collect();
    if metric.trim().is_empty() || segments.iter().any(|s| s.is_empty()) {
        return Err(Some(format!("`{key}` \"{metric}\" must be a dotted path into summary.json, such as \"latency_ms.p99\" or \"components.db.failover_downtime_s\"")));
    }
    // The fields the path may name: a component's kind's, a workload's, or the summary's own.
    let (fields, rest, whose, own): (&[crate::metrics::Field], String, String, bool) =
        match segments[..] {
            ["components", id, ref tail @ ..] => {
                if !component_ids.contains(&id) {
                    let hint = crate::text::did_you_mean(id, component_ids.iter().copied());
                    return Err(Some(format!(
                    "`{key}` names component \"{id}\"{hint}, which the scenario does not have; it has: {}",
                    check::list_some(component_ids)
                )));
                }
                let info = kind_of(id).ok_or(None)?;
                // Any component that names a KMS component has these (`kms::caller`), any
                // whose calls an access rule closes (`access`), and any that calls another.
                let tail_path = tail.join(".");
                if components::kind::KMS_FIELDS
                    .iter()
                    .chain(components::kind::ACCESS_FIELDS)
                    .chain(components::kind::CALL_FIELDS)
                    .any(|f| crate::metrics::path_matches(f.path, &tail_path))
                {
                    return Ok(());
                }
                // A number of one of its edges, misspelt: what an edge holds.
                if let ["calls", callee, last] = tail {
                    let held: Vec<&str> = components::kind::CALL_FIELDS
                        .iter()
                        .filter_map(|f| f.path.rsplit('.').next())
                        .collect();
                    return Err(Some(format!(
                        "`{key}`: {} \"{id}\"'s `calls.{callee}` has no \"{last}\"{}: it holds {}",
                        info.noun,
                        crate::text::did_you_mean(last, held.iter().copied()),
                        held.join(", ")
                    )));
                }
                (
                    info.fields,
                    tail.join("."),
                    format!("{} \"{id}\"", info.noun),
                    false,
                )
            }
            ["workloads", w, ref tail @ ..] => {
                if !workloads.contains(&w) {
                    let hint = crate::text::did_you_mean(w, workloads.iter().copied());
                    return Err(Some(format!(
                    "`{key}` names workload \"{w}\"{hint}, which the scenario does not have; it has: {}",
                    workloads.join(", ")
                )));
                }
                (
                    crate::workload::FIELDS,
                    tail.join("."),
                    format!("workload \"{w}\""),
                    false,
                )
            }
            _ => (
                crate::metrics::FIELDS,
                metric.to_string(),
                "the summary".to_string(),
                true,
            ),
        };
    // The summary's own texts and machine figures are listed but bound nothing.
    let barred = |path: &str| {
        crate::metrics::NOT_BOUNDABLE
            .iter()
            .find(|(p, _)| own && *p == path)
            .map(|(_, why)| *why)
    };
    let Some(field) = fields
        .iter()
        .find(|f| crate::metrics::path_matches(f.path, &rest))
    else {
        // A table's name followed by more than one part ("latency_ms.p99.9"): what the
        // table holds says more than the whole list.
        for f in fields {
            let Some(prefix) = f.path.strip_suffix('*') else {
                continue;
            };
            if let Some(last) = rest.strip_prefix(prefix) {
                segment_problem(f.path, prefix.trim_end_matches('.'), last)
                    .map_err(|why| Some(format!("`{key}`: {whose}'s {why}")))?;
            }
        }
        let numbers: Vec<&str> = fields
            .iter()
            .map(|f| f.path)
            .filter(|p| barred(p).is_none())
            .collect();
        let paths: Vec<String> = numbers.iter().map(|p| p.replace(".*", "")).collect();
        // A table named without its unit ("latency.p99"): the table (`latency_ms.*`) whose
        // name it begins up to the unit, with the rest of the path, if that table holds
        // it; else the nearest path.
        let table_hint = rest.split_once('.').and_then(|(head, tail)| {
            numbers.iter().find_map(|pattern| {
                let table = pattern.strip_suffix(".*")?;
                let unit = table.strip_prefix(head)?.strip_prefix('_')?;
                let whole = format!("{table}.{tail}");
                (!unit.contains('.')
                    && crate::metrics::path_matches(pattern, &whole)
                    && last_segment_problem(pattern, &whole).is_ok())
                .then(|| crate::text::meant(&whole))
            })
        });
        let hint = table_hint
            .unwrap_or_else(|| crate::text::did_you_mean(&rest, paths.iter().map(String::as_str)));
        // The summary's own list: theory's numbers in one entry (only an M/M/c queue has
        // them), then the tables of each workload and component, by name.
        let mut listed: Vec<String> = numbers
            .iter()
            .filter(|p| !(own && p.starts_with("theory.")))
            .map(|p| p.to_string())
            .collect();
        if own {
            if numbers.iter().any(|p| p.starts_with("theory.")) {
                listed.push("theory.* (of a scenario that is an M/M/c queue)".into());
            }
            const SHOWN: usize = 8;
            let tables: Vec<String> = workloads
                .iter()
                .map(|w| format!("workloads.{w}.*"))
                .chain(component_ids.iter().map(|c| format!("components.{c}.*")))
                .collect();
            let more = tables.len().saturating_sub(SHOWN);
            listed.extend(tables.into_iter().take(SHOWN));
            if more > 0 {
                listed.push(format!("and {more} more workloads and components"));
            }
        }
        return Err(Some(
            crate::text::one_line(&format!(
                "`{key}`: {whose} has no number \"{rest}\"{hint}; it has: {}",
                listed.join(", ")
            ))
            .into_owned(),
        ));
    };
    if let Some(why) = barred(field.path) {
        return Err(Some(format!(
            "`{key}` \"{metric}\" is no measurement to bound or compare: `{}` {why}",
            field.path.trim_end_matches(".*")
        )));
    }
    // A component's cost names the component: one the scenario does not have would read 0
    // (a cost not incurred) on every run.
    if let (true, Some(id)) = (own, rest.strip_prefix("cost_usd.by_component.")) {
        if !component_ids.contains(&id) {
            let hint = crate::text::did_you_mean(id, component_ids.iter().copied());
            return Err(Some(format!(
                "`{key}` names the cost of component \"{}\"{hint}, which the scenario does not have; it has: {}",
                crate::text::one_line(id),
                check::list_some(component_ids)
            )));
        }
    }
    last_segment_problem(field.path, &rest).map_err(|why| Some(format!("`{key}`: {whose}'s {why}")))
}

/// The unit of the number `metric` names, as its declaration says (a path `metric_problem`
/// accepts; `None` for one it does not).
pub fn metric_unit(
    metric: &str,
    kind_of: &dyn Fn(&str) -> Option<&'static components::KindInfo>,
) -> Option<crate::metrics::Unit> {
    let segments: Vec<&str> = metric.split('.').collect();
    let (fields, rest): (Vec<&[crate::metrics::Field]>, String) = match segments[..] {
        ["components", id, ref tail @ ..] => (
            vec![
                kind_of(id)?.fields,
                components::kind::KMS_FIELDS,
                components::kind::ACCESS_FIELDS,
                components::kind::CALL_FIELDS,
            ],
            tail.join("."),
        ),
        ["workloads", _, ref tail @ ..] => (vec![crate::workload::FIELDS], tail.join(".")),
        _ => (vec![crate::metrics::FIELDS], metric.to_string()),
    };
    fields
        .into_iter()
        .flatten()
        .find(|f| crate::metrics::path_matches(f.path, &rest))
        .map(|f| f.unit)
}

/// Whether the last part of `path`, which `pattern` (ending in `.*`) matched, is one that
/// table can hold: a latency's statistics, a status. Other tables (by operation, by target)
/// are named by the scenario and may hold anything.
fn last_segment_problem(pattern: &str, path: &str) -> Result<(), String> {
    let (table, last) = path.rsplit_once('.').unwrap_or(("", path));
    segment_problem(pattern, table, last)
}

/// Whether `table` (which `pattern`, ending in `.*`, names) can hold `last`.
fn segment_problem(pattern: &str, table: &str, last: &str) -> Result<(), String> {
    let known: &[&str] = if pattern == "theory.latency_ms.*" {
        crate::theory::LATENCY_KEYS
    } else if pattern.ends_with("_ms.*") {
        crate::metrics::HIST_KEYS
    } else if pattern.ends_with("by_status.*") {
        // A status code (an absent one counted nothing: 0), or how a call ended without one.
        if crate::status::is_name(last) {
            return Ok(());
        }
        return Err(format!(
            "`{table}` has no \"{last}\"{}: it holds a status code from 100 to 599, or one of {}",
            crate::text::did_you_mean(last, crate::status::WORDS.iter().copied()),
            crate::status::WORDS.join(", ")
        ));
    } else {
        return Ok(());
    };
    if known.contains(&last) {
        return Ok(());
    }
    Err(format!(
        "`{table}` has no \"{last}\"{}; it has: {}",
        crate::text::did_you_mean(last, known.iter().copied()),
        known.join(", ")
    ))
}

/// What is wrong with a `latency` (the scenario's, or a variant's), if anything: it must be
/// a latency table every seed has, named without a quantile (the clients' `latency_ms`, a
/// workload's, or one a component's kind reports, such as "components.q.lag_ms"), checked
/// as an expectation's path to its p99.
fn latency_problem(
    path: &str,
    component_ids: &[&str],
    workloads: &[&str],
    kind_of: &dyn Fn(&str) -> Option<&'static components::KindInfo>,
) -> Option<String> {
    let example = "such as \"components.orders-queue.lag_ms\" (a queue's lag)";
    if path == "latency_ms" {
        return Some("`latency` \"latency_ms\" is the clients' latency of successes, which variants are compared by without it: leave it out, or name what the users wait for, such as \"components.orders-queue.lag_ms\"".into());
    }
    if let Some((table, q)) = path.rsplit_once('.') {
        if q.starts_with('p') && q[1..].chars().all(|c| c.is_ascii_digit()) && !q[1..].is_empty() {
            return Some(format!("`latency` \"{path}\" names one quantile; name the latency whole, \"{table}\": the comparison shows its p50 and p99"));
        }
    }
    match metric_problem("latency", &format!("{path}.p99"), component_ids, workloads, kind_of) {
        Err(Some(problem)) => Some(format!(
            "{problem} (`latency` names a latency whole, {example}, and is checked by its p99)"
        )),
        Err(None) => None,
        Ok(()) if !crate::metrics::PER_SEED.contains(&path.split('.').next().unwrap_or_default()) => Some(format!(
            "`latency` \"{path}\" is the scenario's alone, and variants are compared seed by seed: name a latency each seed has, {example}"
        )),
        // A latency's table is named for its unit (`lag_ms`): a share's or a count's is not.
        Ok(()) if !path.rsplit('.').next().unwrap_or_default().ends_with("_ms") => Some(format!(
            "`latency` \"{path}\" is no latency (a latency's table ends in `_ms`): name one whole, {example}"
        )),
        Ok(()) => None,
    }
}

/// `compare_metrics`: at most `limits::MAX_COMPARE_METRICS` dotted paths into `summary.json`,
/// each checked as an expectation's `metric` and one each seed has (`metrics::PER_SEED`), none
/// twice and none a headline every comparison shows anyway.
fn parse_compare_metrics(
    list: Option<&Spanned<Vec<Spanned<String>>>>,
    workloads: &[&str],
    workloads_whole: bool,
    kind_of: &HashMap<&str, &'static components::KindInfo>,
    ck: &mut Checker,
) -> Option<Vec<String>> {
    let Some(list) = list else {
        return Some(Vec::new());
    };
    if list.get_ref().len() > limits::MAX_COMPARE_METRICS {
        ck.error(
            list.span(),
            format!(
                "`compare_metrics` lists {} numbers; at most {} are allowed (each is a column of the comparison's tables and a chart of its sweep)",
                list.get_ref().len(),
                limits::MAX_COMPARE_METRICS
            ),
        );
        return None;
    }
    let known = ck.component_ids.clone();
    let ids: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for m in list.get_ref() {
        let metric = m.get_ref();
        if !workloads_whole && metric.starts_with("workloads.") {
            ok = false;
            continue;
        }
        if let Err(problem) = metric_problem("compare_metrics", metric, &ids, workloads, &|id| {
            kind_of.get(id).copied()
        }) {
            if let Some(problem) = problem {
                ck.error(m.span(), problem);
            }
            ok = false;
        } else if !crate::metrics::PER_SEED.contains(&metric.split('.').next().unwrap_or_default())
        {
            ck.error(
                m.span(),
                format!(
                    "`compare_metrics`: \"{metric}\" is the scenario's alone, and variants are compared seed by seed; each seed has its own numbers under: {}",
                    crate::metrics::PER_SEED.join(", ")
                ),
            );
            ok = false;
        } else if crate::metrics::compare::HEADLINES
            .iter()
            .any(|(h, _, _)| h == metric)
        {
            ck.error(
                m.span(),
                format!(
                    "`compare_metrics`: \"{metric}\" is compared anyway: every comparison shows {}",
                    crate::metrics::compare::HEADLINES
                        .iter()
                        .map(|(h, _, _)| *h)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            ok = false;
        } else if out.contains(metric) {
            ck.error(
                m.span(),
                format!("`compare_metrics` lists \"{metric}\" twice"),
            );
            ok = false;
        } else {
            out.push(metric.clone());
        }
    }
    ok.then_some(out)
}

/// What an `[[expect]]` may name: the workloads (all of them, when `workloads_whole`; those
/// of browsers apart), each component's kind, the numbers ties leave blind, and the run's
/// duration, warmup and window (when they were read).
struct ExpectNames<'a> {
    workloads: &'a [&'a str],
    browsers: &'a [&'a str],
    workloads_whole: bool,
    kind_of: &'a HashMap<&'a str, &'static components::KindInfo>,
    blind: &'a [components::kind::Blind],
    times: Option<(SimTime, SimTime, SimTime)>,
}

/// An `[[expect]]`: a dotted path into `summary.json` (`metric`), or a series judged window
/// by window (`series`, `series_window`), and at least one finite bound. Paths under
/// `components` and `workloads` must name one of the scenario's; the rest of a metric's path
/// is checked against the summary after the run (what a component reports depends on its
/// kind). `each_seed` only on the numbers each seed has (`metrics::PER_SEED`).
fn parse_expect(
    e: &raw::RawExpect,
    table: std::ops::Range<usize>,
    names: &ExpectNames<'_>,
    ck: &mut Checker,
) -> Option<crate::expect::Expectation> {
    let ExpectNames {
        workloads,
        workloads_whole,
        kind_of,
        blind,
        ..
    } = *names;
    let (named, window) = match (&e.metric, &e.series) {
        (Some(m), None) => {
            if let Some(key) = [&e.from, &e.until].into_iter().flatten().next() {
                ck.error(
                    key.span(),
                    "`from` and `until` bound the windows of a `series`; `metric` names one number of summary.json, over the whole measured period: name a series of timeseries.csv instead (such as \"components.q.backlog_visible\") to judge a stretch of time",
                );
                return None;
            }
            (m, None)
        }
        (None, Some(s)) => (s, Some(series_window(e, s, names, ck)?)),
        (Some(m), Some(_)) => {
            ck.error(
                m.span(),
                "an [[expect]] takes `metric` (a number of summary.json) or `series` (a series of timeseries.csv, judged window by window), not both",
            );
            return None;
        }
        (None, None) => {
            ck.error(
                table,
                "an [[expect]] needs `metric` (a number of summary.json, such as \"latency_ms.p99\") or `series` (a series of timeseries.csv, such as \"components.q.backlog_visible\", judged in every window)",
            );
            return None;
        }
    };
    let metric = named.get_ref();
    if !workloads_whole && metric.starts_with("workloads.") {
        return None;
    }
    let ids: Vec<&str> = ck.component_ids.iter().map(String::as_str).collect();
    if window.is_none() {
        if let Err(problem) = metric_problem("metric", metric, &ids, workloads, &|id| {
            kind_of.get(id).copied()
        }) {
            // A component whose kind could not be read was reported already.
            if let Some(problem) = problem {
                ck.error(named.span(), problem);
            }
            return None;
        }
    }
    let bound = |ck: &mut Checker, b: &Option<Spanned<f64>>, key: &str| -> Option<Option<f64>> {
        match b {
            None => Some(None),
            Some(v) if v.get_ref().is_finite() => Some(Some(*v.get_ref())),
            Some(v) => {
                ck.value_error(
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
                named.span(),
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
    // A share is from 0 to 1, and printed as a percentage: a bound written as one (`max =
    // 80` for 80 %) could never fail, nor pass as `min`.
    let unit = match window {
        Some(_) => series_of(metric, kind_of).map(|s| s.unit),
        None => metric_unit(metric, &|id| kind_of.get(id).copied()),
    };
    // Bounds relative to another variant's figure are ratios of it: any size, not below 0.
    if let Some(to) = &e.relative_to {
        if window.is_some() {
            ck.error(
                to.span(),
                "`relative_to` bounds one number of summary.json by another variant's; a `series` is judged window by window against fixed bounds: name its summary figure with `metric` instead",
            );
            return None;
        }
        for (b, key) in [(&e.min, "min"), (&e.max, "max")] {
            if let Some(v) = b.as_ref().filter(|v| *v.get_ref() < 0.0) {
                ck.error(
                    v.span(),
                    format!(
                        "with `relative_to`, `{key}` is a ratio of variant \"{}\"'s figure (0.5: half of it, 1: the same), 0 or more, not {}",
                        to.get_ref(),
                        check::show(*v.get_ref())
                    ),
                );
                return None;
            }
        }
    }
    if unit == Some(crate::metrics::Unit::Share) && e.relative_to.is_none() {
        for (b, key) in [(&e.min, "min"), (&e.max, "max")] {
            let Some(v) = b.as_ref().filter(|v| !(0.0..=1.0).contains(v.get_ref())) else {
                continue;
            };
            let x = *v.get_ref();
            let hint = check::percent_hint(x);
            ck.error(
                v.span(),
                format!(
                    "`{metric}` is a share from 0 to 1, printed as a percentage: a `{key}` of {} is outside it{hint}",
                    check::show(x)
                ),
            );
            return None;
        }
        // A share never passes 1: a `max` of 1 can never fail (1 % is 0.01).
        if let Some(v) = e.max.as_ref().filter(|v| *v.get_ref() == 1.0) {
            ck.warn(
                v.span(),
                format!(
                    "`{metric}` is a share from 0 to 1: a `max` of 1 can never fail{}",
                    check::percent_hint(1.0)
                ),
            );
        }
    }
    // A number a tie leaves blind to part of what it seems to count: said, as the
    // expectation may be meant to catch just that part.
    // Once, however many ties leave it blind (two queues redriving into one).
    let blinded = blind.iter().find(|b| {
        let id = ck.component_ids.get(b.component).map_or("", String::as_str);
        window.is_none()
            && metric
                .strip_prefix("components.")
                .and_then(|m| m.strip_prefix(id))
                == Some(&format!(".{}", b.field))
    });
    if let Some(b) = blinded {
        ck.warn(named.span(), format!("`{metric}` {}", b.why));
    }
    let each_seed = e.each_seed.as_ref().is_some_and(|b| *b.get_ref());
    if let (true, Some(_)) = (each_seed, window) {
        ck.error(
            e.each_seed.as_ref().map_or(0..0, |b| b.span()),
            "a `series` is judged in every window of every seed already: drop `each_seed`",
        );
        return None;
    }
    let root = metric.split('.').next().unwrap_or_default();
    if each_seed && !crate::metrics::PER_SEED.contains(&root) {
        ck.error(
            e.each_seed.as_ref().map_or(0..0, |b| b.span()),
            format!(
                "`each_seed = true` judges each seed's own number, and `{metric}` is the \
                 scenario's alone; each seed has its own under: {} (drop `each_seed` to judge \
                 the summary's)",
                crate::metrics::PER_SEED.join(", ")
            ),
        );
        return None;
    }
    let (line, column) = ck.line_column(named.span().start);
    // Relative bounds are the ratios' until the other variant has run.
    let relative = e.relative_to.as_ref().map(|to| crate::expect::Relative {
        to: to.get_ref().clone(),
        at: ck.line_column(to.span().start),
        min,
        max,
        of: None,
    });
    let (min, max) = match relative {
        Some(_) => (None, None),
        None => (min, max),
    };
    Some(crate::expect::Expectation {
        metric: metric.clone(),
        window,
        min,
        max,
        each_seed,
        variant: e.variant.as_ref().map(|v| v.get_ref().clone()),
        variant_at: e
            .variant
            .as_ref()
            .map_or((line, column), |v| ck.line_column(v.span().start)),
        line,
        column,
        share: unit == Some(crate::metrics::Unit::Share),
        relative,
    })
}

/// The declaration of the series `path` names (`components.<id>.<series>`,
/// `workloads.<name>.<series>`; a workload's series of a final status is its requests' rate),
/// if it names one.
fn series_of(
    path: &str,
    kind_of: &HashMap<&str, &'static components::KindInfo>,
) -> Option<&'static crate::metrics::Series> {
    let (component, actor, id) = crate::expect::series_parts(path)?;
    if component {
        let info = kind_of.get(actor)?;
        return info.series.iter().copied().find(|s| s.id == id);
    }
    crate::workload::SERIES
        .iter()
        .copied()
        .find(|s| s.id == id)
        .or_else(|| {
            let status = crate::workload::status_of_series(id)?;
            crate::status::is_name(status).then_some(&crate::workload::REQUESTS)
        })
}

/// The stretch of windows an expectation on series `s` judges, its path checked against the
/// series the component's kind or a workload keeps, and `from` before `until`, both within
/// the run.
fn series_window(
    e: &raw::RawExpect,
    s: &Spanned<String>,
    names: &ExpectNames<'_>,
    ck: &mut Checker,
) -> Option<crate::expect::Window> {
    let path = s.get_ref();
    let Some((component, actor, id)) = crate::expect::series_parts(path) else {
        ck.error(
            s.span(),
            format!(
                "`series` \"{}\" names no series: write `components.<id>.<series>` or `workloads.<name>.<series>`, with the `component` and `series` columns of timeseries.csv",
                crate::text::one_line(path)
            ),
        );
        return None;
    };
    let known: Vec<String> = if component {
        let ids: Vec<&str> = ck.component_ids.iter().map(String::as_str).collect();
        if !ids.contains(&actor) {
            ck.error(
                s.span(),
                format!(
                    "`series` names component \"{}\"{}, which the scenario does not have; it has: {}",
                    crate::text::one_line(actor),
                    crate::text::did_you_mean(actor, ids.iter().copied()),
                    check::list_some(&ids)
                ),
            );
            return None;
        }
        // A component whose kind could not be read was reported already.
        let info = names.kind_of.get(actor)?;
        info.series.iter().map(|s| s.id.to_string()).collect()
    } else {
        if !names.workloads.contains(&actor) {
            if names.workloads_whole {
                ck.error(
                    s.span(),
                    format!(
                        "`series` names workload \"{}\"{}, which the scenario does not have; it has: {}",
                        crate::text::one_line(actor),
                        crate::text::did_you_mean(actor, names.workloads.iter().copied()),
                        names.workloads.join(", ")
                    ),
                );
            }
            return None;
        }
        crate::workload::SERIES
            .iter()
            .map(|s| s.id.to_string())
            .chain(std::iter::once(crate::workload::status_series("<status>")))
            .collect()
    };
    // A workload that sends no preflights keeps no series of them.
    if !component && id == crate::workload::PREFLIGHTS.id && !names.browsers.contains(&actor) {
        ck.error(
            s.span(),
            format!(
                "workload \"{actor}\" is no browser workload (`browser = true`): it sends no CORS preflights, and keeps no series \"{id}\""
            ),
        );
        return None;
    }
    if series_of(path, names.kind_of).is_none() {
        let whose = if component {
            format!("component \"{actor}\"")
        } else {
            format!("workload \"{actor}\"")
        };
        ck.error(
            s.span(),
            format!(
                "{whose} keeps no series \"{}\"{}; it keeps: {}",
                crate::text::one_line(id),
                crate::text::did_you_mean(id, known.iter().map(String::as_str)),
                known.join(", ")
            ),
        );
        return None;
    }
    let from = match &e.from {
        Some(f) => Some((ck.duration(f, "from")?, f.span())),
        None => None,
    };
    let until = match &e.until {
        Some(u) => Some((ck.positive_duration(u, "until")?, u.span())),
        None => None,
    };
    if let Some((end, _, _)) = names.times {
        for (t, span, key) in [
            from.clone().map(|(t, s)| (t, s, "from")),
            until.clone().map(|(t, s)| (t, s, "until")),
        ]
        .into_iter()
        .flatten()
        {
            if t > end || (key == "from" && t == end) {
                ck.error(
                    span,
                    format!("`{key}` ({t}) is past the end of the run (`duration`, {end}): no window starts there"),
                );
                return None;
            }
        }
    }
    if let (Some((f, _)), Some((u, span))) = (&from, &until) {
        if u <= f {
            ck.error(
                span.clone(),
                format!("`until` ({u}) is not after `from` ({f}): no window lies between"),
            );
            return None;
        }
    }
    // Some window must start in the stretch: from `from` (the warmup's end without it)
    // and before `until` (the end).
    if let Some((end, warmup, width)) = names.times {
        let first = from.as_ref().map_or(warmup, |(t, _)| *t);
        let last = until.as_ref().map_or(end, |(t, _)| *t).min(end);
        let w = width.0.max(1);
        let start = SimTime(first.0.div_ceil(w).saturating_mul(w));
        if start >= last {
            let span = until
                .as_ref()
                .or(from.as_ref())
                .map_or(s.span(), |(_, span)| span.clone());
            let before = SimTime(first.0 / w * w);
            let message = match (&from, &until) {
                (None, Some((u, _))) if *u <= warmup => format!(
                    "`until` ({u}) is not after the warmup's end ({warmup}), where the windows judged begin without `from`: give `from`, or a later `until`"
                ),
                _ => format!(
                    "no window starts from {first} until {last}: windows start every {width} (the last one before is at {before}); move `from` to {before} or earlier, or `until` later"
                ),
            };
            ck.error(span, message);
            return None;
        }
    }
    Some(crate::expect::Window {
        from: from.map(|(t, _)| t),
        until: until.map(|(t, _)| t),
    })
}

fn valid_name(n: &Spanned<String>, key: &str, what: &str, ck: &mut Checker) -> Option<String> {
    let s = n.get_ref();
    if let Some(why) = name_problem(s) {
        ck.error(n.span(), format!("`{key}` \"{s}\" {what}: {why}"));
        return None;
    }
    Some(s.clone())
}

/// A `question` or `lesson`: a slide's text, so short; empty when not written.
fn slide_text(v: Option<&Spanned<String>>, key: &str, ck: &mut Checker) -> Option<String> {
    let Some(v) = v else {
        return Some(String::new());
    };
    let s = v.get_ref();
    let n = s.chars().count();
    if n > limits::MAX_SLIDE_TEXT_LEN {
        ck.error(
            v.span(),
            format!(
                "`{key}` is {n} characters long, more than {}: a slide shows a sentence or two in large type",
                limits::MAX_SLIDE_TEXT_LEN
            ),
        );
        return None;
    }
    // A control character or a bidirectional override is refused with every other string
    // (`refuse_unprintable`).
    Some(s.clone())
}

/// File endings of what archsim writes beside the scenario folders (`index.html`,
/// `compare-*.svg`, …): a scenario named so could be mistaken for one of them.
const RESERVED_ENDINGS: &[&str] = &[".html", ".svg", ".png", ".json", ".csv", ".lock", ".tmp"];

/// Why a name cannot name a results folder or file, if it cannot.
pub fn name_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("it is empty".into());
    }
    if s.chars().count() > limits::MAX_NAME_LEN {
        return Some(format!(
            "it is longer than {} characters",
            limits::MAX_NAME_LEN
        ));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Some("use ASCII letters, digits, '-', '_' and '.' only".into());
    }
    if s.starts_with('.') {
        return Some("it must not start with '.'".into());
    }
    if let Some(end) = RESERVED_ENDINGS.iter().find(|e| s.ends_with(*e)) {
        return Some(format!(
            "it must not end in \"{end}\", like the files archsim writes beside the scenario folders"
        ));
    }
    None
}

fn parse_times(
    meta: &RawMeta,
    actors: usize,
    ck: &mut Checker,
) -> Option<(SimTime, SimTime, SimTime)> {
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
    let windows = duration.0.div_ceil(window.0);
    let span = meta
        .window
        .as_ref()
        .map_or(meta.duration.span(), |w| w.span());
    // A window past the end of the run would be one window of the run's length under another
    // name: its series would be single points, no curve. The default window (1s) is kept
    // for a shorter run, whose one window is then the run.
    if meta.window.is_some() && window > duration {
        ck.error(
            span,
            format!(
                "`window` ({window}) is longer than `duration` ({duration}); a window must fit in the run: use at most {duration}, and a fraction of it to draw a curve"
            ),
        );
        return None;
    }
    if windows > MAX_WINDOWS {
        ck.error(
            span,
            format!(
                "`window` ({window}) cuts `duration` ({duration}) into more than {MAX_WINDOWS} windows; use a wider window"
            ),
        );
        return None;
    }
    let cells = windows.saturating_mul(actors as u64);
    if cells > limits::MAX_ACTOR_WINDOWS {
        ck.error(
            span,
            format!(
                "`window` ({window}) cuts `duration` ({duration}) into {windows} windows, each with the series of {actors} components and workloads: {cells} in all, more than the {} a run may keep; use a wider window",
                limits::MAX_ACTOR_WINDOWS
            ),
        );
        return None;
    }
    Some((duration, warmup, window))
}

fn parse_account(a: &RawAccount, ck: &mut Checker) -> Option<Account> {
    let d = Account::default();
    let rate = match &a.api_gateway_rate {
        Some(r) => ck
            .positive(r, "api_gateway_rate", "requests per second")
            .map(Some),
        None => Some(d.api_gateway_rate),
    };
    let burst = match &a.api_gateway_burst {
        Some(b) => ck
            .int_in(b, "api_gateway_burst", 1, 1_000_000_000)
            .map(|b| Some(b as u64)),
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
    let lambda_rate_burst = ck.positive_duration_or(
        &a.lambda_rate_burst,
        "lambda_rate_burst",
        d.lambda_rate_burst,
    );
    Some(Account {
        api_gateway_rate: rate?,
        api_gateway_burst: burst?,
        lambda_concurrency: conc?,
        lambda_rate_burst: lambda_rate_burst?,
    })
}

fn parse_network(n: &RawNetwork, ck: &mut Checker) -> Option<Network> {
    let d = Network::default();
    let same_az = ck.time_dist_or(&n.same_az, "same_az", d.same_az);
    let cross_az = ck.time_dist_or(&n.cross_az, "cross_az", d.cross_az);
    let cross_region = ck.time_dist_or(&n.cross_region, "cross_region", d.cross_region);
    let region = ck.or(&n.region, d.region, |ck, r| region_name(r, "region", ck));
    let ephemeral = ck.or(&n.ephemeral_ports, d.ephemeral, |ck, p| {
        let range = network_acls::port_range(p.get_ref())
            .filter(|&(lo, _)| lo >= network_acls::EPHEMERAL.0);
        if range.is_none() {
            ck.error(
                p.span(),
                format!(
                    "`ephemeral_ports` = \"{}\": give the range callers take replies on, within 1024-65535 and the lower first (\"32768-61000\" for Linux, \"49152-65535\" for Windows, \"1024-65535\" for load balancers, NAT gateways and Lambda)",
                    p.get_ref()
                ),
            );
        }
        range
    });
    Some(Network {
        same_az: same_az?,
        cross_az: cross_az?,
        cross_region: cross_region?,
        region: region?,
        ephemeral: ephemeral?,
    })
}

/// A region's name: letters, digits, '-' and '_', as AWS names them ("us-east-1").
fn region_name(r: &Spanned<String>, key: &str, ck: &mut Checker) -> Option<String> {
    let name = r.get_ref();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        ck.error(
            r.span(),
            format!(
                "`{key}` \"{}\" must be 1 to 64 ASCII letters, digits, '-' and '_' (a region such as \"us-east-1\")",
                crate::text::printable(name)
            ),
        );
        return None;
    }
    Some(name.clone())
}

/// Zones belong to a region: a zone named in two regions is refused (a choice: two zones of
/// one name would make `az_outage` ambiguous and are most likely a slip of the pen), each
/// use past the first said where the first is.
fn check_zone_regions(
    components: &[ParsedComponent],
    regions: &[String],
    ck: &mut Checker,
) -> bool {
    let mut first: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut ok = true;
    for ((id, az, spec), region) in components.iter().zip(regions) {
        let zones = az
            .iter()
            .map(|a| (a.get_ref().as_str(), a.span()))
            .chain(spec.zones().into_iter().map(|z| (z, id.span())));
        for (zone, span) in zones {
            match first.get(zone) {
                None => {
                    first.insert(zone, (region.as_str(), id.get_ref().as_str()));
                }
                Some((r, _)) if *r == region.as_str() => {}
                Some((r, other)) => {
                    // An example of a zone's name, from a region the scenario names.
                    let example = [region.as_str(), r]
                        .into_iter()
                        .find(|r| *r != components::HOME_REGION)
                        .map_or(String::new(), |r| format!(" (\"{r}a\")"));
                    ck.error(
                        span,
                        format!(
                            "zone \"{zone}\" is in {} (where \"{other}\" uses it), so it cannot be in {} too: a zone belongs to one region; name the zones of each region apart{example}",
                            components::region_words(r),
                            components::region_words(region),
                        ),
                    );
                    ok = false;
                }
            }
        }
    }
    ok
}

/// The table `[key]`, if the scenario has it; one written as anything but a table (`key = 5`,
/// `[[key]]`) is refused, saying how to write it (serde would name its own type instead).
fn single_table<'i>(
    doc: &mut DeTable<'i>,
    key: &str,
    ck: &mut Checker,
) -> Option<Option<Spanned<DeValue<'i>>>> {
    let Some(v) = doc.remove(key) else {
        return Some(None);
    };
    if matches!(v.get_ref(), DeValue::Table(_)) {
        return Some(Some(v));
    }
    let written = match v.get_ref() {
        DeValue::Array(_) => format!("a list ([[{key}]] or `{key} = [...]`)"),
        DeValue::Integer(_) => "an integer".into(),
        DeValue::Float(_) => "a number".into(),
        DeValue::Boolean(_) => "true or false".into(),
        DeValue::Datetime(_) => "a date".into(),
        _ => "a string".into(),
    };
    ck.error(
        v.span(),
        format!("`{key}` must be one table, written [{key}] with its keys on the lines below, not {written}"),
    );
    None
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
    /// The KMS component it calls (`kms`), and its data-key cache (`kms_cache`).
    kms: Option<Spanned<String>>,
    kms_cache: Option<Spanned<DeValue<'i>>>,
    region: Option<Spanned<String>>,
    /// The IAM role it names (`role`).
    role: Option<Spanned<String>>,
    /// The security groups it names (`security_groups`), as written.
    security_groups: Option<Spanned<DeValue<'i>>>,
    rest: Spanned<DeValue<'i>>,
}

/// The keys a component of kind `k` takes besides its kind's own, which `component_header`
/// takes out of its table: `id`, `kind`, `region`, `az` (unless the kind places itself by
/// `zones`), `kms`, `kms_cache`, `role`, and `security_groups` for a kind in a VPC; a key
/// the kind also declares (S3's `kms`) is listed once, among its own.
pub(crate) fn header_keys(k: &components::kind::KindEntry) -> Vec<&'static str> {
    let own = |name: &str| k.info.keys.iter().any(|key| key.name == name);
    let az = (!own("zones")).then_some("az");
    let sg = k.in_vpc.then_some(security_groups::KEY);
    ["id", "kind", "region"]
        .into_iter()
        .chain(az)
        .chain([caller::KEY, caller::CACHE_KEY, roles::ROLE_KEY])
        .chain(sg)
        .filter(|name| !own(name))
        .collect()
}

/// Takes the keys every component has (`id`, `kind`, `az`, `region`) out of its table.
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
    let kms = take_str(&mut t, caller::KEY, ck);
    let kms_cache = t.remove(caller::CACHE_KEY);
    let region = take_str(&mut t, "region", ck);
    let role = take_str(&mut t, roles::ROLE_KEY, ck);
    let security_groups = t.remove(security_groups::KEY);
    let (id, kind, az, kms, region, role) = (id?, kind?, az?, kms?, region?, role?);
    let region_ok = region
        .as_ref()
        .is_none_or(|r| region_name(r, "region", ck).is_some());
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
                "`id` \"{}\" must be ASCII letters, digits, '-' and '_' only",
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
                components::registry::names().join(", ")
            ),
        );
        return None;
    };
    // An unknown kind still declares its id, so that references to it are not reported too.
    let names = components::registry::names();
    let kind_ok = match components::registry::by_title(kind.get_ref()) {
        // The service's AWS name, where archsim has its own (`elasticache`).
        Some(name) if name != kind.get_ref() => {
            let title = components::registry::info(name).map_or("it", |i| i.title);
            let meant = format!(" (did you mean `{name}`? archsim's name for {title})");
            ck.one_of_meaning(&kind, "kind", &names, meant).is_some()
        }
        _ => ck.one_of(&kind, "kind", &names).is_some(),
    };
    if !id_ok {
        return None;
    }
    Some(ComponentHeader {
        id,
        kind,
        kind_ok: kind_ok && region_ok,
        az,
        kms,
        kms_cache,
        region,
        role,
        security_groups,
        rest: Spanned::new(span, DeValue::Table(t)),
    })
}

/// A component's `kms` and `kms_cache`, read: `Some(None)` when it names no KMS component,
/// `None` when either is wrong (reported on `ck`).
fn kms_link(
    kms: Option<Spanned<String>>,
    cache: Option<Spanned<DeValue<'_>>>,
    ck: &mut Checker,
) -> Option<Option<caller::KmsLink>> {
    let cache_span = cache.as_ref().map(|c| c.span());
    let reuse = match cache {
        Some(c) => Some(caller::parse_cache(c, ck)?),
        None => None,
    };
    let Some(kms) = kms else {
        if let Some(span) = cache_span {
            ck.error(
                span,
                format!(
                    "`{}` is the cache of the keys a component gets from KMS: name the KMS component in `{}` too",
                    caller::CACHE_KEY,
                    caller::KEY
                ),
            );
            return None;
        }
        return Some(None);
    };
    let to = ck.component(&kms, caller::KEY)?;
    Some(Some(caller::KmsLink {
        to,
        span: kms.span(),
        cache: reuse,
        cache_span,
    }))
}

/// Each `kms` names a KMS component, on a kind that takes one, with a cache only where each
/// request calls KMS.
fn check_kms_links(components: &[ParsedComponent], ck: &mut Checker) -> bool {
    let kms_kind = components::kms::KmsConfig::INFO;
    let mut ok = true;
    for (id, _, spec) in components {
        let Some(link) = spec.kms() else { continue };
        let target = &components[link.to];
        if target.2.config::<components::kms::KmsConfig>().is_none() {
            ck.error(
                link.span.clone(),
                format!(
                    "`{}` names \"{}\", which is {}; it must name {} (kind = \"{}\")",
                    caller::KEY,
                    target.0.get_ref(),
                    target.2.info().noun,
                    kms_kind.noun,
                    kms_kind.name
                ),
            );
            ok = false;
            continue;
        }
        match spec.kms_use() {
            caller::KmsUse::PerRequest => {}
            caller::KmsUse::Own => {
                if let Some(span) = &link.cache_span {
                    ck.error(
                        span.clone(),
                        format!(
                            "\"{}\" is {}, which calls KMS as AWS does, not through a data-key cache: `{}` is for components that decrypt each request themselves",
                            id.get_ref(),
                            spec.info().noun,
                            caller::CACHE_KEY
                        ),
                    );
                    ok = false;
                }
            }
            caller::KmsUse::Refused(why) => {
                ck.error(
                    link.span.clone(),
                    format!(
                        "\"{}\" takes no `{}` here: {why}",
                        id.get_ref(),
                        caller::KEY
                    ),
                );
                ok = false;
            }
        }
    }
    ok
}

/// Synchronous calls cannot loop: a request would wait on itself.
/// Who calls whom: a node per component (its weight its index), an edge per call.
fn call_graph(components: &[ParsedComponent]) -> DiGraph<usize, ()> {
    let mut g = DiGraph::<usize, ()>::new();
    let nodes: Vec<_> = (0..components.len()).map(|i| g.add_node(i)).collect();
    for (i, (_, _, spec)) in components.iter().enumerate() {
        for c in spec.calls() {
            g.add_edge(nodes[i], nodes[c.to], ());
        }
    }
    g
}

fn check_call_cycles(components: &[ParsedComponent], ck: &mut Checker) {
    let g = call_graph(components);
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

/// What a component reaches directly: those it calls (a call, a subscription, a queue's
/// consumer, a record's target) and its KMS key (`kms = "…"`).
fn reaches(spec: &ComponentSpec) -> impl Iterator<Item = usize> + '_ {
    spec.calls()
        .iter()
        .map(|c| c.to)
        .chain(spec.kms().map(|l| l.to))
}

/// Which components of `sc` are reached from `from` (`reaches`, step by step), `from`
/// included.
fn reached_from(sc: &Scenario, from: impl IntoIterator<Item = usize>) -> Vec<bool> {
    let mut reached = vec![false; sc.components.len()];
    let mut next: Vec<usize> = from.into_iter().collect();
    while let Some(i) = next.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        next.extend(reaches(&sc.components[i].spec));
    }
    reached
}

/// Whether a request can reach each component of `sc`, from a workload's target.
fn reached(sc: &Scenario) -> Vec<bool> {
    reached_from(sc, sc.workloads.iter().map(|w| w.target))
}

/// Warns of each component no request reaches in the scenario or any of its variants
/// (`all`, the scenario first): it does nothing in any run, which is rarely meant (a
/// consumer left off its queue, an edge forgotten). One a variant reaches (a queue a
/// variant sends to) is not told of; nor is a part of another (a target group, a volume),
/// reached through it. Only the first of a chain is told of, at its `id`, naming those it
/// alone would reach (a queue and its dead-letter queue are one warning).
fn warn_unreached(path: &Path, text: &str, doc: &DeTable<'_>, all: &mut [Scenario]) {
    let base = &all[0];
    let mut any = vec![false; base.components.len()];
    // Variants set values inside components and workloads: they have the same components.
    for sc in all.iter() {
        for (a, r) in any.iter_mut().zip(reached(sc)) {
            *a |= r;
        }
    }
    let Some(DeValue::Array(items)) = doc.get("component").map(|v| v.get_ref()) else {
        return;
    };
    let unreached = |i: usize| !any[i] && base.components[i].spec.answers_calls();
    // A chain's first: no other unreached component reaches it.
    let led: Vec<bool> = (0..any.len())
        .map(|i| {
            (0..any.len()).any(|j| {
                j != i && unreached(j) && reaches(&base.components[j].spec).any(|t| t == i)
            })
        })
        .collect();
    let mut ck = Checker::new(path, text);
    for (i, c) in base.components.iter().enumerate() {
        if !unreached(i) || led[i] {
            continue;
        }
        // Those it leads to: unreached too, as it is.
        let behind: Vec<usize> = reached_from(base, [i])
            .into_iter()
            .enumerate()
            .filter(|&(t, r)| r && t != i && unreached(t))
            .map(|(t, _)| t)
            .collect();
        let also = if behind.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = behind
                .iter()
                .map(|&t| format!("\"{}\"", crate::text::one_line(&base.components[t].id)))
                .collect();
            format!(", nor what only it leads to ({})", ids.join(", "))
        };
        let span = items.iter().find_map(|item| match item.get_ref() {
            DeValue::Table(t) => t
                .get("id")
                .filter(|v| matches!(v.get_ref(), DeValue::String(s) if *s == c.id))
                .map(|v| v.span()),
            _ => None,
        });
        if let Some(span) = span {
            ck.warn(
                span,
                format!(
                    "no request reaches \"{}\"{also}: no workload targets it and no component reaches it (by a call, a subscription, a queue's `consumer`, a `kms` key), in the scenario or a variant, so it does nothing in the run; an edge left out?",
                    crate::text::one_line(&c.id)
                ),
            );
        }
    }
    if let Ok(((), warnings)) = ck.into_result(Some(())) {
        let w = &mut all[0].warnings;
        w.extend(warnings);
        w.sort_by_key(|d| (d.line, d.column));
    }
}

/// Tells each component how long its callers wait for an answer (`Kind::callers_wait`): the
/// longest timeout among the workloads and calls sent to it, `None` when one has none. Callers
/// are told first (the call graph's order; the scenario's when it has a cycle, which is
/// refused anyway), so that a wait one settles (a Route 53 name whose record is another name)
/// is the one its callees hear.
fn callers_wait(components: &mut [ParsedComponent], workloads: &[WorkloadSpec]) {
    let g = call_graph(components);
    let order: Vec<usize> = match petgraph::algo::toposort(&g, None) {
        Ok(nodes) => nodes.into_iter().map(|n| g[n]).collect(),
        Err(_) => (0..components.len()).collect(),
    };
    for i in order {
        // (whether every caller has a timeout, the longest).
        let (mut all, mut longest): (bool, Option<SimTime>) = (true, None);
        let timeouts = workloads
            .iter()
            .filter(|w| w.target == i)
            .map(|w| w.timeout)
            .chain(
                components
                    .iter()
                    .flat_map(|(_, _, spec)| spec.calls())
                    .filter(|c| c.to == i)
                    .map(|c| c.timeout),
            );
        for timeout in timeouts {
            match timeout {
                Some(t) => longest = Some(longest.map_or(t, |l: SimTime| l.max(t))),
                None => all = false,
            }
        }
        components[i].2.callers_wait(longest.filter(|_| all));
    }
}

/// Ties between components: a kind that spans zones takes no `az`; each kind then settles
/// its relations with the others (a load balancer in front of an Auto Scaling group). Whether
/// all hold, and the numbers the ties leave blind (`Relations::blind`).
fn check_groups(
    components: &mut [ParsedComponent],
    regions: &[String],
    ck: &mut Checker,
) -> (bool, Vec<components::kind::Blind>) {
    let mut ok = true;
    let mut relations = components::kind::Relations {
        ids: components.iter().map(|c| c.0.get_ref().clone()).collect(),
        fleets: components.iter().map(|c| c.2.is_fleet()).collect(),
        kinds: components.iter().map(|c| c.2.kind()).collect(),
        fronted_by: vec![None; components.len()],
        application_lb: vec![false; components.len()],
        volume_hosts: components.iter().map(|c| c.2.volume_host()).collect(),
        volumes: vec![None; components.len()],
        kms: components.iter().map(|c| c.2.kms().map(|l| l.to)).collect(),
        function_timeouts: components.iter().map(|c| c.2.function_timeout()).collect(),
        reserved_concurrency: components
            .iter()
            .map(|c| c.2.reserved_concurrency())
            .collect(),
        fifo: components.iter().map(|c| c.2.fifo()).collect(),
        regions: regions.to_vec(),
        azs: components
            .iter()
            .map(|c| c.1.as_ref().map(|a| a.get_ref().clone()))
            .collect(),
        zone_lists: components
            .iter()
            .map(|c| c.2.zones().into_iter().map(String::from).collect())
            .collect(),
        ..Default::default()
    };
    let answers: Vec<bool> = components.iter().map(|c| c.2.answers_calls()).collect();
    let accepts_async: Vec<bool> = components.iter().map(|c| c.2.accepts_async()).collect();
    for (i, (id, az, spec)) in components.iter_mut().enumerate() {
        for c in spec.calls() {
            if let (Some(at), false) = (&c.asynchronous, accepts_async[c.to]) {
                let kinds: Vec<&str> = components::registry::KINDS
                    .iter()
                    .filter(|k| k.accepts_async)
                    .map(|k| k.info.name)
                    .collect();
                ck.error(
                    at.clone(),
                    format!(
                        "\"{}\" calls \"{}\" ({}) with `mode = \"async\"`, which only a kind that answers once it has accepted the work takes: {}",
                        id.get_ref(),
                        relations.ids[c.to],
                        relations.kinds[c.to],
                        kinds.join(", ")
                    ),
                );
                ok = false;
            }
            if !answers[c.to] {
                ck.error(
                    id.span(),
                    format!(
                        "\"{}\" calls \"{}\", which takes no calls: it is part of the component it is attached to",
                        id.get_ref(),
                        relations.ids[c.to]
                    ),
                );
                ok = false;
            }
        }
        if let (true, Some(az)) = (spec.spans_zones(), az) {
            ck.error(
                az.span(),
                format!(
                    "\"{}\" is {}, which spans zones: list them in `zones` instead of `az`",
                    id.get_ref(),
                    spec.info().noun
                ),
            );
            ok = false;
        }
        ok &= spec.relate(i, &mut relations, ck);
    }
    // aws-facts: §4 target tracking: ALBRequestCountPerTarget is an Application Load
    // Balancer's metric, the requests its target group's targets each received.
    for (group, span) in std::mem::take(&mut relations.per_target) {
        let why = match relations.fronted_by[group] {
            Some(lb) if relations.application_lb[lb] => continue,
            Some(lb) => format!(
                "load balancer \"{}\" in front of it is not an Application Load Balancer",
                relations.ids[lb]
            ),
            None => "no load balancer has it as its target".to_string(),
        };
        ck.error(
            span,
            format!(
                "\"{}\" scales on requests_per_target (ALBRequestCountPerTarget), an Application Load Balancer's count of requests per target, but {why}: put the group behind an application load balancer (`targets = \"{}\"`) or scale on cpu",
                relations.ids[group], relations.ids[group]
            ),
        );
        ok = false;
    }
    // Only an event source mapping hands a function batches: elsewhere per_batch does nothing.
    if !relations.per_batch.is_empty() {
        let mapped: Vec<usize> = components
            .iter()
            .flat_map(|c| c.2.mappings())
            .map(|m| m.function)
            .collect();
        for (function, span) in std::mem::take(&mut relations.per_batch) {
            if !mapped.contains(&function) {
                ck.warn(
                    span,
                    format!(
                        "`batch_calls = \"per_batch\"` changes only how a batch's calls are made, and no queue or table stream invokes \"{}\" with batches (no queue's `consumer.to` nor table's `stream.consumer` names it): its calls are made for each request",
                        relations.ids[function]
                    ),
                );
            }
        }
    }
    (ok, relations.blind)
}

/// Refuses each id of `ids` that an earlier one already has, at the repeat: "`what` id
/// \"x\" is used twice (first on line N)". Whether all were unique.
pub(crate) fn unique_ids<'a>(
    ids: impl IntoIterator<Item = &'a Spanned<String>>,
    what: &str,
    ck: &mut Checker,
) -> bool {
    let mut ok = true;
    let mut first_of: HashMap<&str, &Spanned<String>> = HashMap::new();
    for id in ids {
        match first_of.entry(id.get_ref().as_str()) {
            Entry::Occupied(first) => {
                let line = ck.line_of(first.get().span().start);
                ck.error(
                    id.span(),
                    format!(
                        "{what} id \"{}\" is used twice (first on line {line})",
                        id.get_ref()
                    ),
                );
                ok = false;
            }
            Entry::Vacant(slot) => {
                slot.insert(id);
            }
        }
    }
    ok
}

/// Reads a scenario's `what` tables (`[[security_group]]`, …) as `T`, refusing more than
/// `max` of them (`quota` says whose limit it is): the tables that read, and whether all did
/// (each problem reported). `None` when there are too many to read at all.
pub(crate) fn read_tables<T>(
    values: Vec<Spanned<DeValue<'_>>>,
    what: &str,
    max: usize,
    quota: &str,
    declared: &'static [crate::config::keys::Key],
    ck: &mut Checker,
) -> Option<(Vec<T>, bool)>
where
    T: for<'de> serde::Deserialize<'de>,
{
    if values.len() > max {
        ck.error(
            values[max].span(),
            format!(
                "this scenario has {} {what} tables; a scenario may have at most {max} ({quota})",
                values.len()
            ),
        );
        return None;
    }
    let raws: Vec<Option<T>> = values
        .into_iter()
        .map(|v| ck.declared(declared, |ck| ck.deserialize::<T>(v)))
        .collect();
    let ok = raws.iter().all(Option::is_some);
    Some((raws.into_iter().flatten().collect(), ok))
}
