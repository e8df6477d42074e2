//! Running many (scenario × seed) simulations in parallel, and writing their outputs.
//!
//! One simulation per rayon task; each finished seed is folded into its scenario's summary at
//! once, in any order, and the summary does not depend on that order, so the outputs do not
//! depend on the number of threads. This module (with `main.rs`) is the only one that touches
//! threads, the wall clock and output files; `OutDir` is the only way it writes under `--out`.

use crate::kernel::SimTime;
use crate::metrics::{EdgeStats, Pool, RunResult, Summary, SummaryMeta};
use crate::report;
use crate::scenario::{self, FileAccess, Scenario, ScenarioError};
use crate::world::{RunError, World};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Expands files and folders into scenario files: a folder contributes its `*.toml` files
/// (not recursively), sorted by name. A file in a folder that is a symbolic link leading out
/// of the folder is refused: whoever packed the folder chose where it points (give the file
/// by its own path to run it anyway).
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let home = p
                .canonicalize()
                .map_err(|e| format!("{}: cannot open the folder: {e}", p.display()))?;
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: cannot list the folder: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml") && f.is_file())
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(format!(
                    "{}: the folder holds no .toml scenario",
                    p.display()
                ));
            }
            for f in &files {
                let inside = f.canonicalize().is_ok_and(|c| c.starts_with(&home));
                if !inside {
                    return Err(format!(
                        "{}: a symbolic link to a file outside the folder; archsim runs only the folder's own files (give the file's own path to run it)",
                        f.display()
                    ));
                }
            }
            out.extend(files);
        } else if p.exists() {
            // A FIFO or a device is refused when it is read, with the reason.
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    Ok(out)
}

/// Loads every scenario (each file's baseline and variants), collecting the errors of all
/// files; `sets` (`--set PATH=VALUE`) override every file's scenario. Also refuses two files
/// that would write to the same results folder.
pub fn load_all(
    files: &[PathBuf],
    access: &FileAccess,
    sets: &[String],
) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let results: Vec<Result<Vec<Scenario>, ScenarioError>> = files
        .iter()
        .map(|f| scenario::load(f, access, sets))
        .collect();
    let mut errors = Vec::new();
    let mut scenarios: Vec<Scenario> = Vec::new();
    for r in results {
        match r {
            Ok(list) => {
                let first = &list[0];
                if let Some(other) = scenarios.iter().find(|o| o.name == first.name) {
                    let (line, column) = first.name_position;
                    errors.push(ScenarioError {
                        diagnostics: vec![scenario::Diagnostic {
                            file: first.file.clone(),
                            line,
                            column,
                            message: format!(
                                "scenario name \"{}\" is also the name of {}; each needs its own results folder (set `name` in [scenario])",
                                first.name,
                                other.file.display()
                            ),
                        }],
                    });
                } else {
                    scenarios.extend(list);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

pub use crate::limits::DEFAULT_MAX_EVENTS;

/// Refuses, before anything runs, scenarios whose estimated work exceeds `max_events`: one
/// message per scenario (and variant, named), saying what the estimate is made of and what
/// to change; and scenarios that together make more runs than `limits::MAX_RUNS` or more
/// work than `limits::RUN_EVENTS_PER_SCENARIO_BUDGET` budgets, of which one of `shards`
/// shards takes its share.
pub fn check_budget(
    scenarios: &[Scenario],
    max_events: u64,
    shards: u32,
) -> Result<(), Vec<String>> {
    let over: Vec<String> = scenarios
        .iter()
        .filter_map(|sc| {
            let per_seed = sc.estimated_events();
            let total = per_seed * f64::from(sc.seeds);
            (total > max_events as f64).then(|| {
                format!(
                    "{}: scenario {}{} would take about {} events ({} per seed × {} seed{}; {} requests per seed); the budget is {max_events}: shorten the duration, lower the rates or the seeds, or raise the budget with --max-events",
                    sc.file.display(),
                    sc.name,
                    sc.variant
                        .as_ref()
                        .map_or(String::new(), |v| format!(", variant {},", v.name)),
                    round_big(total),
                    round_big(per_seed),
                    sc.seeds,
                    if sc.seeds == 1 { "" } else { "s" },
                    round_big(sc.expected_requests()),
                )
            })
        })
        .collect();
    if !over.is_empty() {
        return Err(over);
    }
    // All of them together: a folder of many files, or a sweep of many points.
    let runs: usize = scenarios.iter().map(|s| s.seeds as usize).sum();
    if runs > limits::MAX_RUNS {
        return Err(vec![format!(
            "these scenarios make {runs} runs (each scenario and variant times its seeds); one command makes at most {}: fewer seeds or sweep points, or several commands",
            limits::MAX_RUNS
        )]);
    }
    let each: Vec<(f64, &Scenario)> = scenarios
        .iter()
        .map(|s| (s.estimated_events() * f64::from(s.seeds), s))
        .collect();
    let total: f64 = each.iter().map(|(e, _)| e).sum::<f64>() / f64::from(shards.max(1));
    let whole = max_events.saturating_mul(limits::RUN_EVENTS_PER_SCENARIO_BUDGET);
    if total > whole as f64 {
        let mut largest = each.clone();
        largest.sort_by(|a, b| b.0.total_cmp(&a.0));
        let named: Vec<String> = largest
            .iter()
            .take(3)
            .map(|(e, s)| {
                let variant = s
                    .variant
                    .as_ref()
                    .map_or(String::new(), |v| format!("/{}", v.name));
                format!("{}{variant} {}", s.name, round_big(*e))
            })
            .collect();
        return Err(vec![format!(
            "these scenarios would take about {} events together{} (the largest: {}); one command takes at most {} × --max-events = {}: run fewer at once, split them into more shards (--shard K/N, merged after), or raise --max-events",
            round_big(total),
            if shards > 1 { format!(", a shard of {shards}") } else { String::new() },
            named.join(", "),
            limits::RUN_EVENTS_PER_SCENARIO_BUDGET,
            round_big(whole as f64),
        )]);
    }
    Ok(())
}

/// A large number in words a person can take in: "3.2 billion".
fn round_big(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.1} billion", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.1} million", x / 1e6)
    } else {
        format!("{x:.0}")
    }
}

/// One finished (scenario, seed) run, as progress reports see it.
pub struct Progress<'a> {
    pub scenario: &'a str,
    /// The variant, for an experiment's run.
    pub variant: Option<&'a str>,
    pub seed: u64,
    pub done: usize,
    pub total: usize,
}

impl Progress<'_> {
    /// "scenario" or "scenario · variant".
    pub fn run_name(&self) -> String {
        match self.variant {
            Some(v) => format!("{} · {v}", self.scenario),
            None => self.scenario.to_string(),
        }
    }
}

/// How a batch of runs is carried out.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Worker threads; all cores when `None`. Results do not depend on it.
    pub threads: Option<usize>,
    /// The events a scenario may take over all its seeds (each seed gets its share).
    pub max_events: u64,
    /// Where runs add the simulated time they cover (nanoseconds), for a progress display:
    /// it reaches the sum of the runs' durations (`simulated_total`) when all have ended.
    pub covered: Option<Arc<AtomicU64>>,
}

/// The simulated time of all the runs of `scenarios` (their durations times their seeds), in
/// nanoseconds: what `RunOptions::covered` reaches when they have all ended.
pub fn simulated_total(scenarios: &[Scenario]) -> u64 {
    scenarios
        .iter()
        .map(|s| s.clock().end.0.saturating_mul(u64::from(s.seeds)))
        .fold(0, u64::saturating_add)
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: None,
            max_events: DEFAULT_MAX_EVENTS,
            covered: None,
        }
    }
}

/// The outputs of one scenario over all its seeds.
pub struct ScenarioOutcome {
    pub name: String,
    pub summary: Summary,
    /// The scenario's `[[expect]]`s judged against `summary` (also in it, as `expectations`).
    pub verdicts: Vec<crate::expect::Verdict>,
    /// The runs of the first seeds (`Scenario::series_seeds`), for their time series and
    /// events; their statistics are in `summary`.
    pub runs: Vec<RunResult>,
    /// Per edge (caller, callee by name), its calls over all seeds' measured time, for the
    /// service map.
    pub edges: BTreeMap<(String, String), EdgeStats>,
}

/// What is gathered of one scenario while its seeds run.
#[derive(Default)]
struct Gathered {
    pool: Pool,
    /// (seed index, run) of the seeds whose series are kept.
    kept: Vec<(usize, RunResult)>,
    /// Every seed's edges, pooled by (caller, callee) name.
    edges: BTreeMap<(String, String), EdgeStats>,
    /// (seed index, what its windows showed) for each expectation on a series of those
    /// that apply (`judged`'s order), read from every seed as it ends.
    seen: BTreeMap<usize, Vec<(usize, crate::expect::Seen)>>,
}

/// One (scenario, seed) simulation of a batch: the `index`-th of `scenarios`, its `k`-th
/// seed. Jobs are numbered in the order of `jobs`, which is what a shard slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub scenario: usize,
    pub k: usize,
    pub seed: u64,
}

/// Every job of a batch, scenario by scenario, seed by seed.
pub fn jobs(scenarios: &[Scenario]) -> Vec<Job> {
    scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.seed_list()
                .into_iter()
                .enumerate()
                .map(move |(k, seed)| Job {
                    scenario: i,
                    k,
                    seed,
                })
        })
        .collect()
}

/// Runs every seed of every scenario. When a seed of a scenario fails (a limit), the
/// scenario's other seeds stop too, and the failure is reported once per scenario.
pub fn run_all(
    scenarios: &[Scenario],
    options: &RunOptions,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<Vec<ScenarioOutcome>, Vec<(String, RunError)>> {
    let gathered = Gathering::new(scenarios);
    run_jobs(
        scenarios,
        &jobs(scenarios),
        options,
        progress,
        &|job, run| {
            gathered.add(job, run);
            Ok(())
        },
    )?;
    Ok(gathered.finish())
}

/// What a run leaves to publish: each scenario's outcome, in the order of the scenarios, and
/// each file's folder staged (or why it could not be), in the order of `files_of`.
pub struct Ran {
    pub outcomes: Vec<ScenarioOutcome>,
    pub staged: Vec<std::io::Result<Staged>>,
}

/// Runs every seed of every scenario, as `run_all` does, and stages each file's folder (its
/// numbers, series, plots and pages, as `stage_file` writes them) as soon as the last of its
/// seeds ends: the drawing is rayon work beside the other files' simulations, not a tail
/// after them all. Nothing is put in place: the caller commits the staged folders, in order,
/// once it knows the whole run succeeded (a failed run leaves the results folder as it was).
pub fn run_and_stage(
    out: &OutDir,
    scenarios: &[Scenario],
    options: &RunOptions,
    drawings: Drawings,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<Ran, Vec<(String, RunError)>> {
    let files = files_of(scenarios);
    let jobs = jobs(scenarios);
    let mut file_of = vec![0; scenarios.len()];
    for (f, range) in files.iter().enumerate() {
        for i in range.clone() {
            file_of[i] = f;
        }
    }
    // The seeds of each file still running; whoever ends the last one stages the file.
    let remaining: Vec<AtomicUsize> = files.iter().map(|_| AtomicUsize::new(0)).collect();
    for job in &jobs {
        remaining[file_of[job.scenario]].fetch_add(1, Ordering::Relaxed);
    }
    type Slot = Mutex<Option<(Vec<ScenarioOutcome>, std::io::Result<Staged>)>>;
    let slots: Vec<Slot> = files.iter().map(|_| Mutex::default()).collect();
    let gathered = Gathering::new(scenarios);
    let stage = |f: usize| {
        let range = files[f].clone();
        let mut outcomes: Vec<ScenarioOutcome> = range.clone().map(|i| gathered.take(i)).collect();
        judge_relatives(&mut outcomes, &scenarios[range.clone()]);
        let staged = stage_file(out, &outcomes, &scenarios[range], drawings);
        (outcomes, staged)
    };
    run_jobs(scenarios, &jobs, options, progress, &|job, run| {
        gathered.add(job, run);
        let f = file_of[job.scenario];
        if remaining[f].fetch_sub(1, Ordering::AcqRel) == 1 {
            // No lock is held while the folder is drawn: its charts are rayon work too.
            let done = stage(f);
            *slots[f].lock().unwrap_or_else(|p| p.into_inner()) = Some(done);
        }
        Ok(())
    })?;
    let mut ran = Ran {
        outcomes: Vec::with_capacity(scenarios.len()),
        staged: Vec::with_capacity(files.len()),
    };
    for (f, slot) in slots.into_iter().enumerate() {
        // Every file was staged when its last seed ended; a file with no seed (none is
        // made so) is staged here.
        let (outcomes, staged) = slot
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(|| stage(f));
        ran.outcomes.extend(outcomes);
        ran.staged.push(staged);
    }
    Ok(ran)
}

/// What is gathered of each scenario of a batch while its seeds finish, in any order.
pub struct Gathering<'a> {
    scenarios: &'a [Scenario],
    gathered: Vec<Mutex<Gathered>>,
}

impl<'a> Gathering<'a> {
    pub fn new(scenarios: &'a [Scenario]) -> Self {
        Gathering {
            scenarios,
            gathered: scenarios.iter().map(|_| Mutex::default()).collect(),
        }
    }

    /// Folds in the run of a job: its statistics into its scenario's pool, and the run itself
    /// (without its histograms, which are pooled) when its series are kept.
    pub fn add(&self, job: &Job, mut run: RunResult) {
        let sc = &self.scenarios[job.scenario];
        let mut g = self.gathered[job.scenario]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if job.k >= sc.series_seeds() {
            // Only the runs of the series seeds are kept and their traces written: the count
            // of kept traces in the summary is what traces.json holds.
            run.traces.kept.clear();
        }
        g.pool.add(job.k, &run);
        for (i, e) in judged(sc).enumerate() {
            if let Some(w) = &e.window {
                let seen = crate::expect::seen(e, w, &run);
                g.seen.entry(i).or_default().push((job.k, seen));
            }
        }
        for (edge, e) in &run.edges {
            g.edges.entry(edge.clone()).or_default().merge(e);
        }
        if job.k < sc.series_seeds() {
            for a in &mut run.actors {
                a.metrics.hists.clear();
            }
            run.edges.clear();
            g.kept.push((job.k, run));
        }
    }

    /// The outcome of the `i`-th scenario, once all its seeds have been added; what was
    /// gathered of it is handed over, not copied.
    fn take(&self, i: usize) -> ScenarioOutcome {
        let g = std::mem::take(&mut *self.gathered[i].lock().unwrap_or_else(|p| p.into_inner()));
        outcome(&self.scenarios[i], g)
    }

    /// The outcome of each scenario, in order: its summary, its expectations judged, its kept
    /// runs.
    pub fn finish(self) -> Vec<ScenarioOutcome> {
        let mut outcomes: Vec<ScenarioOutcome> = self
            .scenarios
            .iter()
            .zip(self.gathered)
            .map(|(sc, g)| outcome(sc, g.into_inner().unwrap_or_else(|p| p.into_inner())))
            .collect();
        for range in files_of(self.scenarios) {
            judge_relatives(&mut outcomes[range.clone()], &self.scenarios[range]);
        }
        outcomes
    }
}

/// Runs `jobs` of `scenarios` on a pool of threads, handing each finished run to `done`. A
/// failed seed stops its scenario's other seeds; so does an error from `done` (an output that
/// could not be written), which is reported as the scenario's failure.
pub fn run_jobs(
    scenarios: &[Scenario],
    jobs: &[Job],
    options: &RunOptions,
    progress: &(dyn Fn(Progress<'_>) + Sync),
    done: &(dyn Fn(&Job, RunResult) -> Result<(), RunError> + Sync),
) -> Result<(), Vec<(String, RunError)>> {
    let total = jobs.len();
    let finished = AtomicUsize::new(0);
    let failed: Vec<Arc<AtomicBool>> = scenarios.iter().map(|_| Arc::default()).collect();
    let failures: Mutex<Vec<(usize, RunError)>> = Mutex::default();
    let fail = |i: usize, e: RunError| {
        // The first failure of a scenario stops its other seeds; theirs would only say that
        // they were stopped.
        if !failed[i].swap(true, Ordering::Relaxed) {
            failures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((i, e));
        }
    };
    let run_one = |job: &Job| {
        let i = job.scenario;
        let sc = &scenarios[i];
        if !failed[i].load(Ordering::Relaxed) {
            let started = Instant::now();
            let per_run = options.max_events.div_ceil(u64::from(sc.seeds).max(1));
            let mut world = World::build(sc, job.seed)
                .max_events(per_run)
                .cancel_when(failed[i].clone());
            if let Some(c) = &options.covered {
                world = world.report_progress(c.clone());
            }
            let result = world.run();
            match result {
                Ok(mut r) => {
                    r.wall_s = started.elapsed().as_secs_f64();
                    if let Err(e) = done(job, r) {
                        fail(i, e);
                    }
                }
                Err(e) => fail(i, e),
            }
        } else if let Some(c) = &options.covered {
            // Not run, its scenario having failed: its time is covered all the same.
            c.fetch_add(sc.clock().end.0, Ordering::Relaxed);
        }
        let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
        progress(Progress {
            scenario: &sc.name,
            variant: sc.variant.as_ref().map(|v| v.name.as_str()),
            seed: job.seed,
            done: n,
            total,
        });
    };
    // Longest first, each thread taking the next job as it frees: a long run started last
    // would leave the other threads idle at the end (the order of results does not depend
    // on it: each job's result is its own).
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    let cost: Vec<f64> = scenarios.iter().map(expected_work).collect();
    order.sort_by(|&a, &b| cost[jobs[b].scenario].total_cmp(&cost[jobs[a].scenario]));
    let next = AtomicUsize::new(0);
    on_threads(options.threads, || {
        rayon::scope(|s| {
            for _ in 0..rayon::current_num_threads() {
                s.spawn(|_| {
                    while let Some(&j) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        run_one(&jobs[j]);
                    }
                });
            }
        })
    });
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if failures.is_empty() {
        return Ok(());
    }
    failures.sort_by_key(|(i, _)| *i);
    Err(failures
        .into_iter()
        .map(|(i, e)| (scenarios[i].name.clone(), e))
        .collect())
}

/// A rough measure of the work of one run of `sc`, to start the longest first: the requests
/// its workloads are expected to send, times the components they may pass through.
fn expected_work(sc: &Scenario) -> f64 {
    let end = sc.clock().end;
    let arrivals: f64 = sc
        .workloads
        .iter()
        .map(|w| w.arrival.expected_between(SimTime::ZERO, end))
        .sum();
    arrivals * (sc.components.len() + 1) as f64
}

/// Runs `work` on a pool of `threads` workers (all cores when `None`); its parallel
/// iterators use that pool. Should a pool not be made, on the caller's thread.
pub fn on_threads<R: Send>(threads: Option<usize>, work: impl FnOnce() -> R + Send) -> R {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t.max(1));
    }
    match pool.build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// What AWS bills for the scenario's components that their costs leave out, by component
/// (`Kind::unpriced`): only those that leave something out.
fn unpriced(sc: &Scenario) -> serde_json::Value {
    by_component(sc, |spec| {
        let parts = spec.unpriced();
        (!parts.is_empty()).then(|| serde_json::json!(parts))
    })
    .into()
}

/// The charts' labels that name what the scenario names, by component and series
/// (`Kind::legend`); empty when no component has any.
fn legend(sc: &Scenario) -> serde_json::Map<String, serde_json::Value> {
    by_component(sc, |spec| {
        let labels = spec.legend();
        (!labels.is_empty()).then(|| {
            labels
                .into_iter()
                .map(|(series, label)| (series.to_string(), label.into()))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
    })
}

/// What `part` says of each component that has something to say, by its id, for the summary.
fn by_component(
    sc: &Scenario,
    part: impl Fn(&crate::components::ComponentSpec) -> Option<serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    sc.components
        .iter()
        .filter_map(|c| part(&c.spec).map(|v| (c.id.clone(), v)))
        .collect()
}

/// A scenario's outcome from what was gathered of its seeds.
fn outcome(sc: &Scenario, mut g: Gathered) -> ScenarioOutcome {
    let mut summary = g.pool.summary(&SummaryMeta {
        scenario: &sc.name,
        variant: sc.variant.as_ref().map(|v| v.name.as_str()),
        description: &sc.description,
        compare: sc.compare.as_deref(),
    });
    summary["cost_usd"]["unpriced"] = unpriced(sc);
    let legend = legend(sc);
    if !legend.is_empty() {
        summary["legend"] = legend.into();
    }
    if let Some(v) = &sc.variant {
        summary["variant_description"] = serde_json::json!(v.description);
        summary["swept"] = serde_json::json!(v.swept);
        let listed = |paths: &[crate::scenario::variants::PathValue]| -> serde_json::Value {
            paths
                .iter()
                .map(|(path, value, number)| {
                    serde_json::json!({ "path": path, "value": value, "number": number })
                })
                .collect()
        };
        summary["set"] = listed(&v.set);
        // The variant's own `latency`, else the scenario's: what its users wait for.
        let judged = v.latency.as_ref().or(sc.latency.as_ref().map(|(p, _)| p));
        if let Some(path) = judged {
            summary["latency_judged"] = serde_json::json!(path);
        }
        if !v.at.is_empty() {
            summary["at"] = listed(&v.at);
        }
    } else if let Some((path, _)) = &sc.latency {
        // A scenario without variants is judged by its `latency` too, where `archsim diff`
        // compares it with another run of itself.
        summary["latency_judged"] = serde_json::json!(path);
    }
    if !sc.overrides.is_empty() {
        summary["overrides"] = serde_json::json!(sc.overrides);
    }
    // The scenario's warnings (the baseline holds its variants' too), as `line:column:
    // message`, without the file's path: results read the same wherever they were made.
    if !sc.warnings.is_empty() {
        summary["warnings"] = sc
            .warnings
            .iter()
            .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
            .collect();
    }
    if !sc.compare_metrics.is_empty() {
        summary["compare_metrics"] = serde_json::json!(sc.compare_metrics);
    }
    if let Some(q) = crate::theory::of_scenario(sc) {
        summary["theory"] = q.to_json();
    }
    let mine: Vec<crate::expect::Expectation> = judged(sc).cloned().collect();
    let seen: Vec<Vec<crate::expect::Seen>> = (0..mine.len())
        .map(|i| {
            let mut list = g.seen.remove(&i).unwrap_or_default();
            list.sort_by_key(|(k, _)| *k);
            list.into_iter().map(|(_, s)| s).collect()
        })
        .collect();
    let verdicts = crate::expect::evaluate(&mine, &summary, &seen);
    summary["expectations"] = crate::expect::to_json(&verdicts);
    let mut kept = g.kept;
    kept.sort_by_key(|(k, _)| *k);
    ScenarioOutcome {
        name: sc.name.clone(),
        summary,
        verdicts,
        runs: kept.into_iter().map(|(_, r)| r).collect(),
        edges: g.edges,
    }
}

/// Judges the expectations relative to another variant (`relative_to`) of one file's
/// outcomes (its baseline and variants, in order), now that all have run: each against that
/// variant's summary; `summary.json`'s list follows.
fn judge_relatives(outcomes: &mut [ScenarioOutcome], scenarios: &[Scenario]) {
    let name = |sc: &Scenario| sc.variant.as_ref().map(|v| v.name.clone());
    for i in 0..outcomes.len() {
        let mut changed = false;
        for j in 0..outcomes[i].verdicts.len() {
            let e = outcomes[i].verdicts[j].expectation.clone();
            let Some(r) = &e.relative else { continue };
            let Some(k) = scenarios
                .iter()
                .position(|sc| name(sc).as_deref() == Some(&r.to))
            else {
                continue;
            };
            let verdict =
                crate::expect::judge_relative(&e, &outcomes[i].summary, &outcomes[k].summary);
            outcomes[i].verdicts[j] = verdict;
            changed = true;
        }
        if changed {
            outcomes[i].summary["expectations"] = crate::expect::to_json(&outcomes[i].verdicts);
        }
    }
}

/// The expectations judged on `sc` (its variant's).
fn judged(sc: &Scenario) -> impl Iterator<Item = &crate::expect::Expectation> {
    let variant = sc.variant.as_ref().map(|v| v.name.as_str());
    sc.expectations
        .iter()
        .filter(move |e| e.applies_to(variant))
}

/// The results folder of a command: created if need be, locked while archsim writes into it
/// (a second run into the same folder is refused with a message, not interleaved), and the
/// only way anything is written under it. Every path it writes is checked to stay inside.
pub struct OutDir {
    root: PathBuf,
    /// Held for the life of the value; the lock goes with it (`Drop`).
    lock: std::fs::File,
}

impl Drop for OutDir {
    /// Releases the lock now. Closing the file alone would not while a copy of its
    /// descriptor lives on: a child process forked by another thread keeps one until it
    /// execs, and the lock lasts as long as any copy does; an unlock ends it for all.
    fn drop(&mut self) {
        let _ = self.lock.unlock();
    }
}

/// The lock file in a results folder.
const LOCK_FILE: &str = ".archsim.lock";
/// A scenario's folder being written, before it is renamed into place.
const PARTIAL_PREFIX: &str = ".archsim-partial-";
/// A scenario's previous folder, between the two renames that replace it: `PREFIX NAME ~ x`.
const OLD_PREFIX: &str = ".archsim-old-";

impl OutDir {
    /// Opens (creating it if need be) and locks the results folder `root`. Fails at once,
    /// before anything is simulated, when `root` is a file, cannot be created, or another
    /// archsim holds it.
    pub fn open(root: &Path) -> Result<OutDir, String> {
        let shown = root.display();
        if root.exists() && !root.is_dir() {
            return Err(format!(
                "{shown} is a file; --out needs a folder (it is created if missing)"
            ));
        }
        std::fs::create_dir_all(root)
            .map_err(|e| format!("{shown}: cannot create the results folder: {e}"))?;
        let lock_path = root.join(LOCK_FILE);
        if let Ok(m) = std::fs::symlink_metadata(&lock_path) {
            if !m.is_file() {
                return Err(format!(
                    "{}: is not a regular file (a symbolic link?); remove it",
                    lock_path.display()
                ));
            }
        }
        let lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| format!("{}: cannot create the lock file: {e}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "another archsim is writing into {shown}; wait for it to finish, or give this run another --out"
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("{}: cannot lock it: {e}", lock_path.display()))
            }
        }
        let out = OutDir {
            root: root.to_path_buf(),
            lock,
        };
        out.recover();
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Cleans what an interrupted run left: folders being written are removed; a previous
    /// folder caught between its two renames is put back if its place is empty.
    fn recover(&self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(PARTIAL_PREFIX) {
                let _ = std::fs::remove_dir_all(e.path());
            } else if let Some(rest) = name.strip_prefix(OLD_PREFIX) {
                let original = rest.rsplit_once('~').map(|(n, _)| n).unwrap_or("");
                match self.child(original) {
                    Ok(place) if !place.exists() && place.symlink_metadata().is_err() => {
                        let _ = std::fs::rename(e.path(), place);
                    }
                    _ => {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
    }

    /// `root/name` for a name that is one plain path component (no separator, no `..`, not
    /// hidden): a scenario's name cannot lead anywhere else.
    fn child(&self, name: &str) -> std::io::Result<PathBuf> {
        let mut parts = Path::new(name).components();
        match (parts.next(), parts.next()) {
            (Some(Component::Normal(n)), None) if !name.starts_with('.') && n == name => {
                Ok(self.root.join(name))
            }
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("\"{name}\" cannot name a file or folder in the results folder"),
            )),
        }
    }

    /// A scenario's folder, if it exists as a real folder (not a symbolic link).
    pub fn existing_scenario_dir(&self, name: &str) -> Option<PathBuf> {
        let dir = self.child(name).ok()?;
        let meta = std::fs::symlink_metadata(&dir).ok()?;
        meta.is_dir().then_some(dir)
    }

    /// Writes a scenario's folder as a whole: `fill` writes its files into a fresh hidden
    /// folder, which then replaces `root/name`. A crash leaves the old folder or the new one,
    /// never a mix (a run interrupted between the two renames is mended by the next one).
    pub fn write_scenario(
        &self,
        name: &str,
        fill: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> std::io::Result<PathBuf> {
        let staged = self.stage(name, fill)?;
        self.commit(staged)
    }

    /// `root/name` for a scenario's folder, refused when something other than a folder
    /// archsim wrote is there (`written_by_archsim`): a file, a symbolic link, or someone's
    /// own folder, which a scenario's name must not replace (the name comes from a file that
    /// may be anyone's). Checked before a run (`OutDir::check_places`), and again when the
    /// folder is put in place.
    fn place(&self, name: &str) -> std::io::Result<PathBuf> {
        let place = self.child(name)?;
        if let Ok(m) = std::fs::symlink_metadata(&place) {
            let refuse = |why: &str| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} exists and {why}", place.display()),
                ))
            };
            if !m.is_dir() {
                return refuse("is not a folder (a file or a symbolic link); archsim does not write through it");
            }
            if !written_by_archsim(&place) {
                return refuse("holds no results (no summary.json, sweep.json or capacity.json): archsim replaces only the folders it wrote; move it, or give another --out");
            }
        }
        Ok(place)
    }

    /// Refuses, before anything runs, to write a folder where `place` would refuse to put
    /// it: each of `names`.
    pub fn check_places<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
        for name in names {
            self.place(name).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// `check_places` for the folders `scenarios` write: one per file (`files_of`), named
    /// as its scenario.
    pub fn check_scenario_places(&self, scenarios: &[Scenario]) -> Result<(), String> {
        self.check_places(
            files_of(scenarios)
                .into_iter()
                .map(|r| scenarios[r.start].name.as_str()),
        )
    }

    /// The first half of `write_scenario`: `fill` writes the folder's files into a fresh
    /// hidden folder, made durable; `commit` puts it in place. Dropped instead, it is removed.
    pub fn stage(
        &self,
        name: &str,
        fill: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> std::io::Result<Staged> {
        self.place(name)?;
        let partial = tempfile::Builder::new()
            .prefix(PARTIAL_PREFIX)
            .tempdir_in(&self.root)?;
        fill(partial.path())?;
        sync_tree(partial.path())?;
        Ok(Staged {
            name: name.to_string(),
            dir: partial,
        })
    }

    /// The second half of `write_scenario`: the staged folder replaces `root/name`.
    pub fn commit(&self, staged: Staged) -> std::io::Result<PathBuf> {
        let name = staged.name;
        let place = self.place(&name)?;
        let partial = staged.dir.keep();
        if place.exists() {
            let old = tempfile::Builder::new()
                .prefix(&format!("{OLD_PREFIX}{name}~"))
                .tempdir_in(&self.root)?
                .keep();
            std::fs::rename(&place, &old)?;
            std::fs::rename(&partial, &place)?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&partial, &place)?;
        }
        Ok(place)
    }

    /// Writes `root/name` atomically (a file of the whole folder: `index.html`, comparison
    /// charts).
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        write_atomic(&self.child(name)?, bytes)
    }
}

/// Whether the folder `dir` is one archsim wrote, and may replace: a scenario's (with its
/// `summary.json`), an experiment's (`sweep.json`), a capacity search's (`capacity.json`),
/// a shard's saved runs (`runs`, nothing but `N.json` files), or an empty one, whose
/// replacement loses nothing.
fn written_by_archsim(dir: &Path) -> bool {
    if ["summary.json", "sweep.json", "capacity.json"]
        .iter()
        .any(|f| dir.join(f).is_file())
    {
        return true;
    }
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        return false;
    };
    if dir.file_name().is_none_or(|n| n != crate::shard::RUNS) {
        return entries.next().is_none();
    }
    entries.all(|e| {
        e.is_ok_and(|e| {
            e.file_type().is_ok_and(|t| t.is_file())
                && e.file_name().to_str().is_some_and(|n| {
                    n.strip_suffix(".json")
                        .is_some_and(|j| !j.is_empty() && j.bytes().all(|b| b.is_ascii_digit()))
                })
        })
    })
}

/// A scenario's folder written in full under a hidden name in the results folder, waiting for
/// `OutDir::commit`; dropped, it is removed.
pub struct Staged {
    name: String,
    dir: tempfile::TempDir,
}

/// Writes `bytes` into the fresh folder `dir` (one `OutDir::write_scenario` made): the file
/// must not exist yet, so nothing planted there is followed.
pub(crate) fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(name))?;
    f.write_all(bytes)
}

/// Makes every file of a freshly written folder (and its subfolders) durable before the
/// folder is renamed into place: the syncs run at once, on all cores, so that the disk can
/// commit them together instead of one after another.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let t = e.file_type()?;
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                files.push(e.path());
            }
            // Nothing else is written here; a symbolic link planted by someone is not synced
            // through.
        }
    }
    files
        .par_iter()
        .try_for_each(|f| std::fs::File::open(f)?.sync_all())
}

/// Writes the results of a run: each scenario without variants as its folder
/// `out/<name>/`; each with variants as `out/<name>/` holding a folder per variant, beside
/// `sweep.csv`, `sweep.json`, the sweep's charts and a `report.html` that compares them.
/// Outcomes come in the order of `scenarios` (a file's variants together, baseline first).
pub fn write_all(
    out: &OutDir,
    outcomes: &[ScenarioOutcome],
    scenarios: &[Scenario],
    drawings: Drawings,
) -> std::io::Result<Vec<PathBuf>> {
    commit_all(out, stage_all(out, outcomes, scenarios, drawings))
}

/// Stages the folder of every file (see `write_all`), the files on all cores, in the order
/// of `files_of`.
pub fn stage_all(
    out: &OutDir,
    outcomes: &[ScenarioOutcome],
    scenarios: &[Scenario],
    drawings: Drawings,
) -> Vec<std::io::Result<Staged>> {
    files_of(scenarios)
        .into_par_iter()
        .map(|range| stage_file(out, &outcomes[range.clone()], &scenarios[range], drawings))
        .collect()
}

/// Puts staged folders in place, in order, stopping at the first that could not be staged
/// or put in place (the folders after it are removed, as if never written).
pub fn commit_all(
    out: &OutDir,
    staged: Vec<std::io::Result<Staged>>,
) -> std::io::Result<Vec<PathBuf>> {
    staged.into_iter().map(|s| out.commit(s?)).collect()
}

/// Stages the folder of one file's scenarios (one range of `files_of`, with their outcomes):
/// an experiment's when they are variants, else the scenario's own.
pub fn stage_file(
    out: &OutDir,
    outcomes: &[ScenarioOutcome],
    scenarios: &[Scenario],
    drawings: Drawings,
) -> std::io::Result<Staged> {
    let group: Vec<(&ScenarioOutcome, &Scenario)> = outcomes.iter().zip(scenarios).collect();
    match group.as_slice() {
        [] => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a file with no scenario has no folder",
        )),
        [(o, sc)] if sc.variant.is_none() => stage_outputs(out, o, sc, drawings),
        _ => stage_experiment(out, &group, drawings),
    }
}

/// The scenarios of each file, as ranges of `scenarios`: a file's baseline and variants
/// stand together, under one name.
pub fn files_of(scenarios: &[Scenario]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < scenarios.len() {
        let name = &scenarios[i].name;
        let n = scenarios[i..]
            .iter()
            .take_while(|s| &s.name == name)
            .count();
        out.push(i..i + n);
        i += n;
    }
    out
}

/// What is drawn beside a run's numbers.
#[derive(Clone, Copy, Debug)]
pub struct Drawings {
    /// The plots (SVG and PNG) and the diagram's PNG; without them a folder holds the numbers,
    /// the series, the diagram's SVG and the pages, and `archsim plot` draws the plots later.
    pub plots: bool,
    /// `slides.html` in each scenario's (and experiment's) folder; needs `plots`.
    pub slides: bool,
}

impl Default for Drawings {
    /// Plots, no slides: what `archsim run` draws unless told otherwise.
    fn default() -> Self {
        Drawings {
            plots: true,
            slides: false,
        }
    }
}

/// Writes everything about one scenario as the folder `out/<name>/`: `summary.json`,
/// `timeseries.csv`, `events.csv`, the architecture diagram, the plots and `report.html`
/// (as `drawings` asks: with `slides`, `slides.html`; without `plots`, no plot).
pub fn write_outputs(
    out: &OutDir,
    outcome: &ScenarioOutcome,
    scenario: &Scenario,
    drawings: Drawings,
) -> std::io::Result<PathBuf> {
    out.commit(stage_outputs(out, outcome, scenario, drawings)?)
}

/// `write_outputs`'s folder, staged.
fn stage_outputs(
    out: &OutDir,
    outcome: &ScenarioOutcome,
    scenario: &Scenario,
    drawings: Drawings,
) -> std::io::Result<Staged> {
    out.stage(&outcome.name, |dir| {
        let (diagram, plots) = write_run(dir, outcome, scenario, drawings)?;
        if drawings.slides {
            let charts = chart_svgs(&plots);
            let page = report::slides::scenario(scenario, &outcome.summary, &diagram, &charts);
            write_new(dir, "slides.html", page.as_bytes())?;
        }
        Ok(())
    })
}

/// A scenario's charts as (title, SVG, PNG file name), as `render` drew them.
type Drawn = Vec<(String, String, String)>;

/// Drawn charts as the slides take them, each named by its file stem.
fn chart_svgs(plots: &Drawn) -> Vec<report::slides::ChartSvg<'_>> {
    plots
        .iter()
        .map(|(title, svg, png)| report::slides::ChartSvg {
            stem: png.strip_suffix(".png").unwrap_or(png),
            title,
            svg,
        })
        .collect()
}

/// An experiment's folder, staged: a folder per variant (each as `write_outputs` writes
/// one), and the experiment's own files.
fn stage_experiment(
    out: &OutDir,
    group: &[(&ScenarioOutcome, &Scenario)],
    drawings: Drawings,
) -> std::io::Result<Staged> {
    let name = &group[0].1.name;
    out.stage(name, |dir| {
        // Each variant's folder is written on its own core, its charts drawn once all the
        // variants' are built, on scales they share.
        let own = Drawings {
            slides: false,
            ..drawings
        };
        let dirs: Vec<PathBuf> = group
            .iter()
            .map(|(_, sc)| {
                dir.join(
                    sc.variant
                        .as_ref()
                        .map_or(scenario::variants::BASELINE, |v| v.name.as_str()),
                )
            })
            .collect();
        let mut pages: Vec<Page> = group
            .par_iter()
            .zip(&dirs)
            .map(|((o, sc), vdir)| {
                std::fs::create_dir(vdir)?;
                write_data(vdir, o, sc, own)
            })
            .collect::<std::io::Result<_>>()?;
        share_scales(&mut pages);
        let drawn: Vec<(String, Drawn)> = pages
            .into_par_iter()
            .zip(group.par_iter().zip(&dirs))
            .map(|(page, ((o, _), vdir))| {
                let diagram = page.diagram.clone().unwrap_or_default();
                let plots = render(&o.summary, page, own, &|file, bytes| {
                    write_new(vdir, file, bytes)
                })?;
                Ok((diagram, plots))
            })
            .collect::<std::io::Result<_>>()?;
        let summaries: Vec<Summary> = group.iter().map(|(o, _)| o.summary.clone()).collect();
        let charts = write_experiment_files(
            name,
            &group[0].1.description,
            &summaries,
            drawings.plots,
            &|f, b| write_new(dir, f, b),
        )?;
        if drawings.slides {
            let charts: Vec<report::slides::ChartSvg<'_>> = charts
                .iter()
                .map(|(stem, title, svg)| report::slides::ChartSvg { stem, title, svg })
                .collect();
            let own: Vec<_> = drawn.iter().map(|(_, plots)| chart_svgs(plots)).collect();
            let faults: Vec<bool> = group.iter().map(|(_, sc)| !sc.faults.is_empty()).collect();
            let page = report::slides::experiment(
                group[0].1,
                &summaries,
                &drawn[0].0,
                &charts,
                &own,
                &faults,
            );
            write_new(dir, "slides.html", page.as_bytes())?;
        }
        Ok(())
    })
}

/// `sweep.csv`, `sweep.json`, the sweep's charts (with `plots`) and the comparison page of
/// an experiment; returns the charts as (file stem, title, SVG).
fn write_experiment_files(
    name: &str,
    description: &str,
    summaries: &[Summary],
    plots: bool,
    write: &(dyn Fn(&str, &[u8]) -> std::io::Result<()> + Sync),
) -> std::io::Result<Vec<(String, String, String)>> {
    write("sweep.csv", report::experiment::csv(summaries).as_bytes())?;
    write(
        "sweep.json",
        report::summary_json(&report::experiment::json(name, summaries)).as_bytes(),
    )?;
    let charts = if plots {
        report::experiment::charts(name, summaries)
    } else {
        Vec::new()
    };
    let drawn: Vec<(String, String, String)> = charts
        .into_par_iter()
        .map(|(stem, chart)| {
            let svg = report::xy::svg(&chart);
            write(&format!("{stem}.svg"), svg.as_bytes())?;
            write(&format!("{stem}.png"), &report::xy::png(&chart))?;
            Ok((stem, chart.title, svg))
        })
        .collect::<std::io::Result<_>>()?;
    let shown: Vec<(String, String)> = drawn
        .iter()
        .map(|(_, title, svg)| (title.clone(), svg.clone()))
        .collect();
    write(
        "report.html",
        report::experiment::html(name, description, summaries, &shown).as_bytes(),
    )?;
    Ok(drawn)
}

/// The files of one run of one scenario (or variant), into `dir`; returns its diagram and
/// charts.
fn write_run(
    dir: &Path,
    outcome: &ScenarioOutcome,
    scenario: &Scenario,
    drawings: Drawings,
) -> std::io::Result<(String, Drawn)> {
    let page = write_data(dir, outcome, scenario, drawings)?;
    let diagram = page.diagram.clone().unwrap_or_default();
    let plots = render(&outcome.summary, page, drawings, &|file, bytes| {
        write_new(dir, file, bytes)
    })?;
    Ok((diagram, plots))
}

/// The files of one run into `dir` but its charts and page: its numbers, series, diagram,
/// traces and service map; returns the page they make, its charts built but not drawn.
fn write_data(
    dir: &Path,
    outcome: &ScenarioOutcome,
    scenario: &Scenario,
    drawings: Drawings,
) -> std::io::Result<Page> {
    let timeseries = report::timeseries_csv(&outcome.runs);
    let events = report::events_csv(&outcome.runs);
    let diagram = report::diagram::svg(scenario);
    let (summary, timing) = report::saved_summary(&outcome.summary);
    write_new(dir, "summary.json", summary.as_bytes())?;
    write_new(dir, "timing.json", timing.as_bytes())?;
    write_new(dir, "timeseries.csv", timeseries.as_bytes())?;
    write_new(dir, "events.csv", events.as_bytes())?;
    write_new(dir, "diagram.svg", diagram.as_bytes())?;
    if drawings.plots {
        write_new(dir, "diagram.png", &report::diagram::png(scenario))?;
    }
    let waterfall = write_traces(dir, outcome, scenario, drawings.plots)?;
    let figures = report::service_map::figures(&outcome.summary, &outcome.edges);
    write_new(
        dir,
        "service-map.csv",
        report::service_map::csv(&figures).as_bytes(),
    )?;
    // A drawing like the charts: left out with them (`--no-plots`), its figures are in the CSV.
    let map = if drawings.plots {
        let map = report::diagram::map::svg(scenario, &figures);
        write_new(dir, "service-map.svg", map.as_bytes())?;
        write_new(
            dir,
            "service-map.png",
            &report::diagram::map::png(scenario, &figures),
        )?;
        Some(map)
    } else {
        None
    };
    Ok(Page {
        diagram: Some(diagram),
        map,
        waterfall,
        charts: charts(dir, &outcome.summary, &timeseries, &events, drawings.plots)?,
    })
}

/// A run's page as `render` draws it: the drawings it shows besides its charts, as SVG, and
/// its charts, built but not drawn.
struct Page {
    diagram: Option<String>,
    map: Option<String>,
    waterfall: Option<String>,
    charts: Vec<(String, report::plots::Chart)>,
}

/// Each variant's page of an experiment given the chart scales they share
/// (`report::plots::share_scales`).
fn share_scales(pages: &mut [Page]) {
    let mut charts: Vec<&mut Vec<(String, report::plots::Chart)>> =
        pages.iter_mut().map(|p| &mut p.charts).collect();
    report::plots::share_scales(&mut charts);
}

/// `traces.json` (when a workload traces) and, with `plots`, the waterfall of the slowest
/// traces (`waterfall.svg` and `.png`); returns the waterfall's SVG.
fn write_traces(
    dir: &Path,
    outcome: &ScenarioOutcome,
    scenario: &Scenario,
    plots: bool,
) -> std::io::Result<Option<String>> {
    if scenario.workloads.iter().all(|w| w.trace.is_none()) {
        return Ok(None);
    }
    let Some(first) = outcome.runs.first() else {
        return Ok(None);
    };
    let actors: Vec<String> = first.actors.iter().map(|a| a.name.clone()).collect();
    let names = report::traces::Names {
        actors: &actors,
        ops: &scenario.ops,
    };
    write_new(
        dir,
        "traces.json",
        report::traces::otlp_json(&outcome.runs, &names).as_bytes(),
    )?;
    if !plots {
        // A drawing like the charts, left out with them (`--no-plots`); the traces it would
        // show are in traces.json, which `archsim plot` does not draw from.
        return Ok(None);
    }
    let title = report::plots::chart_name(
        &scenario.name,
        scenario.variant.as_ref().map(|v| v.name.as_str()),
    );
    let svg = report::traces::waterfall_svg(&outcome.runs, &names, &title);
    if let Some(svg) = &svg {
        write_new(dir, "waterfall.svg", svg.as_bytes())?;
        if let Some(png) = report::traces::waterfall_png(&outcome.runs, &names, &title) {
            write_new(dir, "waterfall.png", &png)?;
        }
    }
    Ok(svg)
}

/// A run's charts from its saved series and events, built but not drawn; none without
/// `plots` (the series are then not read back at all).
fn charts(
    dir: &Path,
    summary: &Summary,
    timeseries: &str,
    events: &str,
    plots: bool,
) -> std::io::Result<Vec<(String, report::plots::Chart)>> {
    if !plots {
        return Ok(Vec::new());
    }
    let invalid = |e: String| invalid_data(dir, e);
    let window_s = report::table::window_of(summary).map_err(invalid)?;
    let table = report::table::SeriesTable::from_csv(timeseries, window_s).map_err(invalid)?;
    let events = report::table::events_from_csv(events).map_err(invalid)?;
    Ok(report::plots::scenario_charts(summary, &table, &events))
}

/// Draws a page's charts and writes `report.html` of a scenario folder, handing each file
/// (name, bytes) to `write` as soon as it is drawn; returns the charts drawn. The page links
/// `slides.html` when `drawings.slides`.
fn render(
    summary: &Summary,
    page: Page,
    drawings: Drawings,
    write: &(dyn Fn(&str, &[u8]) -> std::io::Result<()> + Sync),
) -> std::io::Result<Drawn> {
    // Charts are drawn on all cores, each written as soon as it is drawn; the page keeps
    // their SVG, in order.
    let plots: Vec<(String, String, String)> = page
        .charts
        .into_par_iter()
        .map(|(stem, chart)| {
            let svg = report::plots::svg(&chart);
            write(&format!("{stem}.svg"), svg.as_bytes())?;
            write(&format!("{stem}.png"), &report::plots::png(&chart))?;
            Ok((chart.title, svg, format!("{stem}.png")))
        })
        .collect::<std::io::Result<_>>()?;
    // The waterfall is shown after the charts; it is not one of them (`Drawn` is the charts).
    let waterfall = page.waterfall.as_deref().filter(|_| drawings.plots);
    write(
        "report.html",
        report::html::report(
            summary,
            page.diagram.as_deref(),
            page.map.as_deref(),
            &plots,
            waterfall,
            drawings.slides,
        )
        .as_bytes(),
    )?;
    Ok(plots)
}

use crate::limits::{self, MAX_CSV_BYTES, MAX_SUMMARY_BYTES};

/// Reads a saved CSV file (`read_saved`), refusing one holding a control character or a
/// bidirectional override, which archsim never writes there: its text goes into charts and
/// pages.
fn read_printable(dir: &Path, name: &str) -> std::io::Result<String> {
    let text = read_saved(dir, name, MAX_CSV_BYTES)?;
    if let Some((c, at, _)) = crate::text::first_unprintable(&text) {
        return Err(invalid_data(
            dir,
            format!(
                "{name}: character {at} is {}, a control character or a bidirectional override, which archsim never writes there",
                crate::text::one_line(&c.to_string())
            ),
        ));
    }
    Ok(text)
}

/// Reads a saved result file, refusing what is not a regular file or is larger than `max`.
pub(crate) fn read_saved(dir: &Path, name: &str, max: u64) -> std::io::Result<String> {
    let path = dir.join(name);
    let meta = std::fs::symlink_metadata(&path)?;
    let invalid = |why: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {why}", path.display()),
        )
    };
    if !meta.is_file() {
        return Err(invalid(
            "not a regular file (a symbolic link, a folder or a device)".into(),
        ));
    }
    if meta.len() > max {
        return Err(invalid(format!(
            "larger than {} MiB, more than archsim writes",
            max >> 20
        )));
    }
    let mut text = String::new();
    std::fs::File::open(&path)?
        .take(max)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Parses a saved `summary.json`, refusing one archsim would not have written (`saved_problem`).
fn read_summary(dir: &Path) -> std::io::Result<Summary> {
    let text = read_saved(dir, "summary.json", MAX_SUMMARY_BYTES)?;
    let summary: Summary =
        serde_json::from_str(&text).map_err(|e| invalid_data(dir, format!("summary.json: {e}")))?;
    match saved_problem(&summary) {
        Some(why) => Err(invalid_data(dir, format!("summary.json: {why}"))),
        None => Ok(summary),
    }
}

/// What a saved summary holds that archsim would not have written, if anything: a name that
/// becomes part of a file's name or a page's link (the scenario's, its variant's, its
/// comparison group's, a workload's or a component's) that a scenario could not have given,
/// or text with a control character or a bidirectional override (which a scenario cannot
/// hold either). The folder may come from anywhere: `plot` draws files named by these.
pub fn saved_problem(summary: &Summary) -> Option<String> {
    for key in ["scenario", "variant", "compare"] {
        if let Some(name) = summary[key].as_str() {
            if let Some(why) = scenario::name_problem(name) {
                let shown = crate::text::clipped(name, 40);
                return Some(format!(
                    "`{key}` \"{shown}\" is no name archsim gives: {why}"
                ));
            }
        }
    }
    for part in ["workloads", "components"] {
        for name in summary[part].as_object().into_iter().flat_map(|m| m.keys()) {
            if let Some(why) = scenario::name_problem(name) {
                let shown = crate::text::clipped(name, 40);
                return Some(format!(
                    "`{part}` names \"{shown}\", no name archsim gives: {why}"
                ));
            }
        }
    }
    unprintable_in(summary)
}

/// The first text in `v` (a key or a string, at any depth) holding a control character or a
/// bidirectional override, which no scenario's text may, said shortly.
pub fn unprintable_in(v: &Summary) -> Option<String> {
    let text = |s: &str| {
        crate::text::first_unprintable(s).map(|_| {
            format!(
                "\"{}\" holds a control character or a bidirectional override, which no scenario's text may",
                crate::text::clipped(s, 40)
            )
        })
    };
    match v {
        Summary::String(s) => text(s),
        Summary::Array(items) => items.iter().find_map(unprintable_in),
        Summary::Object(m) => m
            .iter()
            .find_map(|(k, v)| text(k).or_else(|| unprintable_in(v))),
        _ => None,
    }
}

/// Draws a scenario folder's plots and `report.html` again from its saved files, without
/// running anything. The folder may come from anywhere: what it holds is checked and bounded
/// like any input.
pub fn replot(out: &OutDir, name: &str) -> std::io::Result<()> {
    let dir = out.existing_scenario_dir(name).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "{}: not a scenario folder (or a symbolic link)",
                out.path().join(name).display()
            ),
        )
    })?;
    if !dir.join("sweep.json").is_file() {
        return replot_run(&dir);
    }
    // An experiment: each variant's folder, then its own pages from their summaries, in the
    // order its sweep.json lists them (the baseline first).
    let variants = read_experiment(&dir, name)?;
    let dirs: Vec<PathBuf> = variants
        .iter()
        .map(|v| dir.join(v.variant.as_deref().unwrap_or_default()))
        .collect();
    let (saved, mut pages): (Vec<Summary>, Vec<Page>) = dirs
        .iter()
        .map(|d| saved_page(d))
        .collect::<std::io::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    share_scales(&mut pages);
    for ((d, summary), page) in dirs.iter().zip(&saved).zip(pages) {
        redraw(d, summary, page)?;
    }
    let summaries: Vec<Summary> = variants.into_iter().map(|v| v.summary).collect();
    if summaries.is_empty() {
        return Err(invalid_data(&dir, "sweep.json lists no variant".into()));
    }
    let description = summaries[0]["description"]
        .as_str()
        .unwrap_or("")
        .to_string();
    write_experiment_files(name, &description, &summaries, true, &|f, b| {
        write_atomic(&dir.join(f), b)
    })
    .map(|_| ())
}

fn invalid_data(dir: &Path, why: String) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{}: {why}", dir.display()),
    )
}

/// Draws one run's plots and `report.html` again from its saved files.
fn replot_run(dir: &Path) -> std::io::Result<()> {
    let (summary, page) = saved_page(dir)?;
    redraw(dir, &summary, page)
}

/// A run's summary and its page, charts built but not drawn, from its saved files.
fn saved_page(dir: &Path) -> std::io::Result<(Summary, Page)> {
    let summary = read_summary(dir)?;
    let timeseries = read_printable(dir, "timeseries.csv")?;
    let events = read_printable(dir, "events.csv")?;
    let page = Page {
        diagram: read_saved(dir, "diagram.svg", MAX_SUMMARY_BYTES).ok(),
        map: read_saved(dir, "service-map.svg", MAX_SUMMARY_BYTES).ok(),
        waterfall: read_saved(dir, "waterfall.svg", MAX_SUMMARY_BYTES).ok(),
        charts: charts(dir, &summary, &timeseries, &events, true)?,
    };
    Ok((summary, page))
}

/// Draws a saved run's page into its folder again, each file replaced atomically.
fn redraw(dir: &Path, summary: &Summary, page: Page) -> std::io::Result<()> {
    render(
        summary,
        page,
        Drawings {
            plots: true,
            // Slides written earlier stay, and stay linked.
            slides: dir.join("slides.html").is_file(),
        },
        &|file, bytes| write_atomic(&dir.join(file), bytes),
    )
    .map(|_| ())
}

/// The scenario folders under `out`: real folders (not symbolic links) holding a
/// `summary.json` (or, for an experiment, a `sweep.json`), by name.
pub fn result_dirs(out: &OutDir) -> std::io::Result<Vec<String>> {
    scenario_folders(out.path())
}

/// The names of the scenario folders under `root`, sorted: real folders (not symbolic
/// links), named as a scenario may be (so not hidden, and printable as they are), holding a
/// `summary.json` or, for an experiment, a `sweep.json`.
fn scenario_folders(root: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(root)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| scenario::name_problem(n).is_none())
        .filter(|n| {
            let d = root.join(n);
            d.join("summary.json").is_file() || d.join("sweep.json").is_file()
        })
        .collect();
    names.sort();
    Ok(names)
}

/// One scenario's (or variant's) saved summary in a results folder.
pub struct SavedSummary {
    pub scenario: String,
    /// The variant, for an experiment's.
    pub variant: Option<String>,
    pub summary: Summary,
}

/// Reads the summaries of a results folder without writing or locking anything (it may be
/// someone else's, or a committed baseline): every scenario folder, and every variant of an
/// experiment in its `sweep.json` order. The folder is untrusted input: names are checked,
/// sizes bounded, symbolic links not followed.
pub fn read_results(root: &Path) -> std::io::Result<Vec<SavedSummary>> {
    // A scenario's own folder (`results/x`) stands for itself, named as its folder (as the
    // file system has it, so that "." has a name too).
    if root.join("sweep.json").is_file() || root.join("summary.json").is_file() {
        let full = root.canonicalize()?;
        let name = full
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("scenario");
        if let Some(why) = scenario::name_problem(name) {
            return Err(invalid_data(
                root,
                format!("a scenario's folder, named as no scenario may be: {why}"),
            ));
        }
        return read_scenario(root, name);
    }
    let mut names = scenario_folders(root)?;
    names.truncate(MAX_OTHER_FOLDERS);
    let mut out = Vec::new();
    for name in names {
        out.extend(read_scenario(&root.join(&name), &name)?);
    }
    Ok(out)
}

/// The summaries of scenario `name`'s folder `dir`: an experiment's variants, or its own.
fn read_scenario(dir: &Path, name: &str) -> std::io::Result<Vec<SavedSummary>> {
    if dir.join("sweep.json").is_file() {
        return read_experiment(dir, name);
    }
    Ok(vec![SavedSummary {
        scenario: name.to_string(),
        variant: None,
        summary: read_summary(dir)?,
    }])
}

/// The summaries of an experiment's variants, in its `sweep.json` order.
fn read_experiment(dir: &Path, name: &str) -> std::io::Result<Vec<SavedSummary>> {
    let listed: Summary = serde_json::from_str(&read_saved(dir, "sweep.json", MAX_SUMMARY_BYTES)?)
        .map_err(|e| invalid_data(dir, format!("sweep.json: {e}")))?;
    let mut out = Vec::new();
    for v in listed["variants"].as_array().map_or(&[][..], Vec::as_slice) {
        let variant = v["name"].as_str().unwrap_or("");
        if scenario::name_problem(variant).is_some() {
            return Err(invalid_data(
                dir,
                format!(
                    "sweep.json names a variant \"{}\" archsim would not",
                    crate::text::one_line(variant)
                ),
            ));
        }
        let vdir = dir.join(variant);
        if !std::fs::symlink_metadata(&vdir).is_ok_and(|m| m.is_dir()) {
            return Err(invalid_data(
                &vdir,
                "not a variant folder (or a symbolic link)".into(),
            ));
        }
        out.push(SavedSummary {
            scenario: name.to_string(),
            variant: Some(variant.to_string()),
            summary: read_summary(&vdir)?,
        });
    }
    Ok(out)
}

/// Scenarios without a comparison group are overlaid only up to this many: more lines than
/// the palette has colours cannot be told apart.
const MAX_UNGROUPED_OVERLAY: usize = 8;

/// The most scenario folders an index lists that the run did not write.
const MAX_OTHER_FOLDERS: usize = 1000;

/// Writes `out/index.html` over the scenarios `names` (those of the run that writes it), with
/// comparison charts per comparison group (with `plots`); the other scenario folders in `out`
/// (results of earlier runs) are listed apart, by name only.
pub fn write_index(out: &OutDir, names: &[String], plots: bool) -> std::io::Result<PathBuf> {
    let mut summaries = Vec::new();
    let mut dirs = Vec::new();
    let mut listed = Vec::new();
    // (scenario, variant, summary) of each line of the table: an experiment's variants each.
    let mut lines: Vec<(String, Option<String>, Summary, bool)> = Vec::new();
    for name in names {
        let Some(dir) = out.existing_scenario_dir(name) else {
            continue;
        };
        let slides = dir.join("slides.html").is_file();
        // An experiment shows as its baseline in the comparisons and the tables by kind,
        // and as each of its variants in the table of headlines.
        let experiment = dir.join("sweep.json").is_file();
        let dir = if experiment {
            for v in read_experiment(&dir, name).unwrap_or_default() {
                lines.push((name.clone(), v.variant, v.summary, slides));
            }
            dir.join(scenario::variants::BASELINE)
        } else {
            dir
        };
        let Ok(summary) = read_summary(&dir) else {
            continue;
        };
        if !experiment {
            lines.push((name.clone(), None, summary.clone(), slides));
        }
        dirs.push(dir);
        summaries.push(summary);
        listed.push(name.clone());
    }
    let others: Vec<String> = result_dirs(out)?
        .into_iter()
        .filter(|n| !names.contains(n))
        .take(MAX_OTHER_FOLDERS)
        .collect();
    // Overlays by comparison group (`compare` in [scenario]); scenarios in no group are
    // overlaid together only when no scenario has one (a run of ad-hoc variants) and they are
    // few enough to tell apart.
    let mut groups: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    for (i, s) in summaries.iter().enumerate() {
        let g = s["compare"].as_str().map(str::to_string);
        match groups.iter_mut().find(|(k, _)| *k == g) {
            Some((_, members)) => members.push(i),
            None => groups.push((g, vec![i])),
        }
    }
    let overlaid = |(group, members): &&(Option<String>, Vec<usize>)| {
        let unrelated =
            group.is_none() && (groups.len() > 1 || members.len() > MAX_UNGROUPED_OVERLAY);
        plots && members.len() >= 2 && !unrelated
    };
    // The series of the scenarios a chart overlays, read back on all cores; no other's.
    let mut wanted = vec![false; summaries.len()];
    for (_, members) in groups.iter().filter(overlaid) {
        for &i in members {
            wanted[i] = true;
        }
    }
    // With their events, for the faults they share.
    type Read = (report::table::SeriesTable, Vec<report::table::Event>);
    let tables: Vec<Option<Read>> = (0..summaries.len())
        .into_par_iter()
        .map(|i| {
            if !wanted[i] {
                return None;
            }
            let w = report::table::window_of(&summaries[i]).ok()?;
            let text = read_saved(&dirs[i], "timeseries.csv", MAX_CSV_BYTES).ok()?;
            let table = report::table::SeriesTable::from_csv(&text, w).ok()?;
            let events = read_saved(&dirs[i], "events.csv", MAX_CSV_BYTES)
                .ok()
                .and_then(|t| report::table::events_from_csv(&t).ok())
                .unwrap_or_default();
            Some((table, events))
        })
        .collect();
    let mut charts = Vec::new();
    for (group, members) in groups.iter().filter(overlaid) {
        let pairs: Vec<(
            &Summary,
            &report::table::SeriesTable,
            &[report::table::Event],
        )> = members
            .iter()
            .filter_map(|&i| {
                tables[i]
                    .as_ref()
                    .map(|(t, e)| (&summaries[i], t, e.as_slice()))
            })
            .collect();
        charts.extend(report::plots::comparison_charts(group.as_deref(), &pairs));
    }
    // Drawn on all cores, kept in the order of the groups.
    let comparisons: Vec<(String, String)> = charts
        .into_par_iter()
        .map(|(stem, chart)| {
            let svg = report::plots::svg(&chart);
            out.write_file(&format!("{stem}.svg"), svg.as_bytes())?;
            out.write_file(&format!("{stem}.png"), &report::plots::png(&chart))?;
            Ok((chart.title, svg))
        })
        .collect::<std::io::Result<_>>()?;
    let rows: Vec<(&str, &Summary)> = listed.iter().map(String::as_str).zip(&summaries).collect();
    let table: Vec<report::html::IndexRow<'_>> = lines
        .iter()
        .map(
            |(folder, variant, summary, slides)| report::html::IndexRow {
                folder,
                variant: variant.as_deref(),
                summary,
                slides: *slides,
            },
        )
        .collect();
    out.write_file(
        "index.html",
        report::html::index(&table, &rows, &comparisons, &others).as_bytes(),
    )?;
    Ok(out.path().join("index.html"))
}

/// Writes to a fresh temporary file beside `path` (created exclusively, with a name nobody
/// can predict), then renames it into place: a crash leaves the old file or the new one,
/// never half of one, and a symbolic link planted at `path` is replaced, not followed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".archsim-tmp-")
        .tempfile_in(dir)
        .map_err(|e| {
            // tempfile's message names its scratch file ("<the system's reason> at path
            // <file>"); the folder is what can be mended.
            let full = e
                .get_ref()
                .map_or_else(|| e.to_string(), ToString::to_string);
            let reason = full.split(" at path ").next().unwrap_or(&full);
            std::io::Error::new(
                e.kind(),
                format!("cannot write into {}: {reason}", dir.display()),
            )
        })?;
    tmp.write_all(bytes)?;
    // A temporary file is private; a result is as readable as any file archsim writes
    // (a web server or a colleague on a shared filesystem reads index.html).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::OutDir;

    #[test]
    fn the_shipped_binary_reads_numbers_back_with_the_bits_they_were_written_from() {
        // `plot` and `diff` read summary.json back and write sweep.csv and sweep.json from it:
        // they are the run's bytes only if every float parses to the bits it was written
        // from, which serde_json does with its `float_roundtrip` feature (without it about
        // one in ten is off by one unit in the last place: 0.37794357659128003 read as
        // 0.37794357659128). A test build has the feature whatever the manifest says (the
        // dev-dependency jsonschema asks for it), so a round trip here proves nothing: the
        // shipped binary has it only if the manifest names it.
        let manifest = include_str!("../Cargo.toml");
        let line = manifest
            .lines()
            .find(|l| l.starts_with("serde_json ="))
            .unwrap();
        assert!(line.contains("\"float_roundtrip\""), "{line}");
    }

    #[test]
    fn a_dropped_results_folder_is_unlocked_while_a_copy_of_its_descriptor_lives() {
        // A child process forked by another thread holds such a copy until it execs (the
        // test harness runs many threads that spawn archsim): the lock must end with the
        // value, not with the last copy.
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::open(dir.path()).unwrap();
        let copy = out.lock.try_clone().unwrap();
        drop(out);
        let again = OutDir::open(dir.path());
        assert!(again.is_ok(), "{:?}", again.err());
        drop(copy);
    }
}
