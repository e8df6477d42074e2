//! Sweeps past one machine: a run split into shards (`archsim run … --shard K/N`), each a
//! deterministic slice of the batch's (scenario, variant, seed) jobs whose every run is saved
//! losslessly, and `archsim merge`, which pools the shards' runs into exactly the outputs an
//! unsharded run writes.
//!
//! A shard writes `DIR/shard-K-of-N/`: `runs/<job>.json` (one per job, `metrics::saved`) and,
//! last, `shard.json`, its manifest: the plan (the scenario paths as given, each file's text,
//! the overrides and options that shape the results) and the jobs it ran. Only that folder is
//! locked, so the shards of a sweep may share `DIR`. Merging refuses shards of different
//! plans, a shard missing or given twice, and scenario files changed since the shards ran.

use crate::limits::{MAX_CSV_BYTES, MAX_SCENARIO_BYTES, MAX_SUMMARY_BYTES};
use crate::metrics::saved;
use crate::scenario::Scenario;
use crate::sweep::{self, Gathering, Job, OutDir, Progress, RunOptions, ScenarioOutcome};
use crate::text::one_line;
use crate::world::RunError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The manifest format; another is refused.
const FORMAT: &str = "archsim-shard/1";
/// A shard's manifest, written last: a folder without it is a shard that did not finish.
const MANIFEST: &str = "shard.json";
/// The folder of a shard's saved runs.
pub(crate) const RUNS: &str = "runs";
/// The most shards a run may be split into.
pub const MAX_SHARDS: u32 = 100_000;

/// Which slice of the jobs a shard runs: job `j` (in `sweep::jobs` order) belongs to shard
/// `j mod n`, so every shard gets a share of every scenario and variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

/// The array-job index variables of the engines archsim knows, in the order they are read.
pub const INDEX_VARIABLES: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

impl Shard {
    /// Reads `--shard K/N`, or `--shard N` with K from the array-job index in `env`
    /// (`SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN` when that is set, Kubernetes'
    /// `JOB_COMPLETION_INDEX`, AWS Batch's `AWS_BATCH_JOB_ARRAY_INDEX`).
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let number = |what: &str, s: &str| -> Result<u32, String> {
            s.trim().parse::<u32>().map_err(|_| {
                format!(
                    "--shard {}: {what} \"{}\" is not a whole number",
                    one_line(text),
                    one_line(s)
                )
            })
        };
        let (k, n) = match text.split_once('/') {
            Some((k, n)) => (Some(number("K", k)?), number("N", n)?),
            None => (None, number("N", text)?),
        };
        if n == 0 || n > MAX_SHARDS {
            return Err(format!(
                "--shard: N is {n}; it must be from 1 to {MAX_SHARDS}"
            ));
        }
        let k = match k {
            Some(k) => k,
            None => Self::index_from(env)?,
        };
        if k >= n {
            return Err(format!(
                "--shard: shard {k} of {n} does not exist; K counts from 0 to {} (for a Slurm array, give --array=0-{} or set it from 1 to {n}: archsim subtracts SLURM_ARRAY_TASK_MIN)",
                n - 1,
                n - 1
            ));
        }
        Ok(Shard { k, n })
    }

    fn index_from(env: &dyn Fn(&str) -> Option<String>) -> Result<u32, String> {
        for var in INDEX_VARIABLES {
            let Some(value) = env(var) else { continue };
            let parse = |v: &str, name: &str| {
                v.trim().parse::<u32>().map_err(|_| {
                    format!("--shard: {name} is \"{}\", not a whole number", one_line(v))
                })
            };
            let mut k = parse(&value, var)?;
            if var == "SLURM_ARRAY_TASK_ID" {
                if let Some(min) = env("SLURM_ARRAY_TASK_MIN") {
                    let min = parse(&min, "SLURM_ARRAY_TASK_MIN")?;
                    k = k.checked_sub(min).ok_or_else(|| {
                        "--shard: SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN".to_string()
                    })?;
                }
            }
            return Ok(k);
        }
        Err(format!(
            "--shard N without K needs an array-job index in the environment ({}); give --shard K/N otherwise",
            INDEX_VARIABLES.join(", ")
        ))
    }

    /// The shard's folder under the shards' `--out`.
    pub fn folder(&self) -> String {
        format!("shard-{}-of-{}", self.k, self.n)
    }

    /// The numbers of the jobs (of `total`) this shard runs.
    pub fn jobs(&self, total: usize) -> Vec<usize> {
        (self.k as usize..total).step_by(self.n as usize).collect()
    }
}

/// What a sharded run was asked to do: every shard of a sweep must hold the same plan, and
/// merging re-reads the scenarios from it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Plan {
    /// The scenario files and folders as given on the command line.
    pub paths: Vec<String>,
    /// Each scenario file the paths name, with its text when the shard ran.
    pub files: Vec<(String, String)>,
    /// `--set` overrides.
    pub sets: Vec<String>,
    /// `--allow-read` folders.
    pub allow_read: Vec<String>,
    /// `--seeds`.
    pub seeds: Option<u32>,
    /// `--max-events`: a run's share of it stops the run, so it shapes the results.
    pub max_events: u64,
    /// The number of jobs of the whole batch.
    pub jobs: usize,
    /// The other files the scenarios read (traces) with a digest of each content: shards
    /// that read different traces do not merge, nor a trace changed since.
    pub inputs: Vec<(String, u64)>,
}

/// The files `scenarios` read besides themselves, once each, in order.
pub fn inputs(scenarios: &[Scenario]) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = scenarios
        .iter()
        .flat_map(|s| &s.inputs)
        .map(|(p, d)| (p.to_string_lossy().into_owned(), *d))
        .collect();
    all.sort();
    all.dedup();
    all
}

impl Plan {
    /// The plan of a run of `paths` (already expanded into `files`, and loaded as
    /// `scenarios`).
    pub fn new(
        paths: &[PathBuf],
        files: &[PathBuf],
        scenarios: &[Scenario],
        sets: &[String],
        allow_read: &[PathBuf],
        seeds: Option<u32>,
        max_events: u64,
    ) -> Result<Plan, String> {
        let text = |p: &PathBuf| p.to_string_lossy().into_owned();
        let mut read = Vec::new();
        for f in files {
            read.push((text(f), read_text(f)?));
        }
        Ok(Plan {
            paths: paths.iter().map(text).collect(),
            files: read,
            sets: sets.to_vec(),
            allow_read: allow_read.iter().map(text).collect(),
            seeds,
            max_events,
            jobs: sweep::jobs(scenarios).len(),
            inputs: inputs(scenarios),
        })
    }

    /// Refuses to merge when the shards were let read a folder (`--allow-read`) that the
    /// merge is not given: the manifest is a file like any other, which anyone may have
    /// written, so what the shards read beyond their scenarios' folders is granted by the
    /// one who merges, not by the manifest.
    pub fn check_reads(&self, given: &[PathBuf]) -> Result<(), String> {
        let given: Vec<String> = given
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let missing: Vec<String> = self
            .allow_read
            .iter()
            .filter(|d| !given.contains(d))
            .map(|d| format!("--allow-read {}", crate::text::clipped(d, 80)))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(format!(
            "the shards ran with {}: give it to merge too, if you trust what they read there",
            missing.join(" ")
        ))
    }

    /// Refuses to merge when a file the scenarios read (a trace) changed since the shards
    /// ran: `scenarios` are the scenarios read again.
    pub fn check_inputs(&self, scenarios: &[Scenario]) -> Result<(), String> {
        let now = inputs(scenarios);
        for (path, digest) in &self.inputs {
            if !now.iter().any(|(p, d)| p == path && d == digest) {
                return Err(format!(
                    "{}: changed since the shards ran (or is no longer read); run the shards again",
                    one_line(path)
                ));
            }
        }
        if now.len() != self.inputs.len() {
            return Err(
                "the scenarios now read other files than when the shards ran; run the shards again"
                    .into(),
            );
        }
        Ok(())
    }

    /// Refuses to merge when the scenario files are no longer those the shards ran: the
    /// paths must name the same files, with the same text.
    pub fn check_files(&self) -> Result<Vec<PathBuf>, String> {
        let paths: Vec<PathBuf> = self.paths.iter().map(PathBuf::from).collect();
        let files = sweep::scenario_files(&paths).map_err(|e| {
            format!("{e}; merge runs from the folder the shards ran in (they recorded the paths as given)")
        })?;
        let now: Vec<String> = files
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        let then: Vec<&String> = self.files.iter().map(|(p, _)| p).collect();
        if now.iter().collect::<Vec<_>>() != then {
            return Err(format!(
                "the scenario paths ({}) now name other files than when the shards ran; merge in the folder the shards ran from, with the same files",
                one_line(&self.paths.join(" "))
            ));
        }
        for (f, (path, text)) in files.iter().zip(&self.files) {
            if &read_text(f)? != text {
                return Err(format!(
                    "{}: changed since the shards ran; run the shards again",
                    one_line(path)
                ));
            }
        }
        Ok(files)
    }
}

/// A scenario file's text, read as every scenario is (a regular file, bounded, never quoted).
fn read_text(path: &Path) -> Result<String, String> {
    crate::scenario::files::read_text(path, "the scenario", MAX_SCENARIO_BYTES)
        .map_err(|e| format!("{}: {e}", one_line(&path.display().to_string())))
}

/// A job as a manifest lists it, to be matched against the scenarios merging re-reads.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct JobEntry {
    job: usize,
    scenario: String,
    variant: Option<String>,
    seed: u64,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    archsim: String,
    shard: u32,
    shards: u32,
    plan: Plan,
    ran: Vec<JobEntry>,
}

fn entry(scenarios: &[Scenario], j: usize, job: &Job) -> JobEntry {
    let sc = &scenarios[job.scenario];
    JobEntry {
        job: j,
        scenario: sc.name.clone(),
        variant: sc.variant.as_ref().map(|v| v.name.clone()),
        seed: job.seed,
    }
}

/// Runs this shard's jobs of `scenarios`, writing each run as it finishes into
/// `root/shard-K-of-N/runs/`, then the manifest. Returns the shard's folder and how many jobs
/// it ran.
pub fn run(
    root: &Path,
    shard: Shard,
    plan: Plan,
    scenarios: &[Scenario],
    options: &RunOptions,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<(PathBuf, usize), Vec<String>> {
    let all = sweep::jobs(scenarios);
    if all.len() != plan.jobs {
        return Err(vec!["the plan does not match the scenarios".into()]);
    }
    let mine = shard.jobs(all.len());
    let chosen: Vec<Job> = mine.iter().map(|&j| all[j]).collect();
    // A job's number is its scenario's first job's plus its seed's place (`sweep::jobs`
    // lists them scenario by scenario).
    let first: Vec<usize> = scenarios
        .iter()
        .scan(0, |n, sc| {
            let at = *n;
            *n += sc.seeds as usize;
            Some(at)
        })
        .collect();
    let number = |job: &Job| first[job.scenario] + job.k;
    let out = OutDir::open(&root.join(shard.folder())).map_err(|e| vec![e])?;
    // A manifest from an earlier run of this shard goes first: without one, the folder is
    // an unfinished shard until this run ends.
    match std::fs::remove_file(out.path().join(MANIFEST)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(vec![format!("{}: {e}", out.path().display())])
        }
        _ => {}
    }
    let failures: Mutex<Vec<(String, RunError)>> = Mutex::default();
    let written = out.write_scenario(RUNS, |dir| {
        let result = sweep::run_jobs(scenarios, &chosen, options, progress, &|job, r| {
            let name = format!("{}.json", number(job));
            sweep::write_new(dir, &name, saved::to_json(&r).as_bytes()).map_err(|e| RunError {
                seed: job.seed,
                at: "its end".into(),
                reason: format!("writing its result: {e}"),
            })
        });
        match result {
            Ok(()) => Ok(()),
            Err(f) => {
                *failures.lock().unwrap_or_else(|p| p.into_inner()) = f;
                Err(std::io::Error::other("a run failed"))
            }
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if !failures.is_empty() {
        return Err(failures
            .into_iter()
            .map(|(name, e)| format!("scenario {name}, {e}"))
            .collect());
    }
    written.map_err(|e| vec![format!("{}: {e}", out.path().display())])?;
    let manifest = Manifest {
        format: FORMAT.into(),
        archsim: env!("CARGO_PKG_VERSION").into(),
        shard: shard.k,
        shards: shard.n,
        plan,
        ran: mine
            .iter()
            .zip(&chosen)
            .map(|(&j, job)| entry(scenarios, j, job))
            .collect(),
    };
    let text = serde_json::to_string_pretty(&manifest).expect("plain data serialises");
    out.write_file(MANIFEST, text.as_bytes())
        .map_err(|e| vec![format!("{}: {e}", out.path().display())])?;
    Ok((out.path().to_path_buf(), chosen.len()))
}

/// The shards of one sweep, read from the folders given to `merge`.
pub struct Shards {
    pub plan: Plan,
    shards: Vec<(PathBuf, Manifest)>,
}

/// Finds and reads the shards under `dirs` (each a shard folder or a folder of them), and
/// checks that they are the N shards of one plan, each once.
pub fn find(dirs: &[PathBuf]) -> Result<Shards, String> {
    let mut folders = Vec::new();
    for d in dirs {
        let shown = one_line(&d.display().to_string()).into_owned();
        if !std::fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()) {
            return Err(format!("{shown}: not a folder"));
        }
        let own_name = d.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if d.join(MANIFEST).exists() || own_name.starts_with("shard-") {
            folders.push(d.clone());
            continue;
        }
        let mut inner: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| format!("{shown}: {e}"))?
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with("shard-"))
                    && e.file_type().is_ok_and(|t| t.is_dir())
            })
            .map(|e| e.path())
            .collect();
        if inner.is_empty() {
            return Err(format!(
                "{shown}: neither a shard folder (with {MANIFEST}) nor a folder of shard-K-of-N folders"
            ));
        }
        inner.sort();
        folders.extend(inner);
    }
    let mut shards: Vec<(PathBuf, Manifest)> = Vec::new();
    for f in folders {
        let shown = one_line(&f.display().to_string()).into_owned();
        let text = sweep::read_saved(&f, MANIFEST, MAX_SUMMARY_BYTES).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("{shown}: no {MANIFEST}: the shard did not finish; run it again")
            } else {
                one_line(&e.to_string()).into_owned()
            }
        })?;
        let m: Manifest = serde_json::from_str(&text)
            .map_err(|e| format!("{shown}/{MANIFEST}: not a shard manifest: {e}"))?;
        if m.format != FORMAT {
            return Err(format!(
                "{shown}: a shard of format \"{}\"; this archsim reads \"{FORMAT}\"",
                one_line(&m.format)
            ));
        }
        if m.archsim != env!("CARGO_PKG_VERSION") {
            return Err(format!(
                "{shown}: written by archsim {}, this is {}; merge with the archsim that ran the shards",
                one_line(&m.archsim),
                env!("CARGO_PKG_VERSION")
            ));
        }
        shards.push((f, m));
    }
    let Some((first_dir, first)) = shards.first() else {
        return Err("no shard to merge".into());
    };
    let n = first.shards;
    let mut seen: Vec<Option<&PathBuf>> = vec![None; n.min(MAX_SHARDS) as usize];
    for (dir, m) in &shards {
        let shown = one_line(&dir.display().to_string()).into_owned();
        if m.shards != n || m.plan != first.plan {
            return Err(format!(
                "{shown} and {} are shards of different runs (other scenarios, options or number of shards)",
                one_line(&first_dir.display().to_string())
            ));
        }
        let slot = seen
            .get_mut(m.shard as usize)
            .ok_or_else(|| format!("{shown}: shard {} of {n} does not exist", m.shard))?;
        if let Some(other) = slot {
            return Err(format!(
                "shard {} of {n} is given twice: {} and {shown}",
                m.shard,
                one_line(&other.display().to_string())
            ));
        }
        *slot = Some(dir);
        // Compared as they come, never gathered: the plan's count of jobs is the manifest's
        // word, and a manifest may say anything.
        let expected = (m.shard as usize..m.plan.jobs).step_by(n.max(1) as usize);
        if !m.ran.iter().map(|e| e.job).eq(expected) {
            return Err(format!(
                "{shown}: its manifest lists other jobs than shard {} of {n} runs",
                m.shard
            ));
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(k, _)| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} of {n} shards missing (shard {}); merge needs all of them",
            missing.len(),
            if missing.len() > 10 {
                format!("{}, …", missing[..10].join(", "))
            } else {
                missing.join(", ")
            }
        ));
    }
    Ok(Shards {
        plan: first.plan.clone(),
        shards,
    })
}

impl Shards {
    /// Pools every shard's runs into the outcomes of `scenarios` (re-read from the plan), as
    /// `sweep::run_all` would have.
    pub fn gather(&self, scenarios: &[Scenario]) -> Result<Vec<ScenarioOutcome>, String> {
        let all = sweep::jobs(scenarios);
        if all.len() != self.plan.jobs {
            return Err(format!(
                "the scenarios now make {} jobs, the shards ran {}; run the shards again",
                all.len(),
                self.plan.jobs
            ));
        }
        let gathering = Gathering::new(scenarios);
        for (dir, m) in &self.shards {
            let shown = one_line(&dir.display().to_string()).into_owned();
            let runs = dir.join(RUNS);
            for e in &m.ran {
                let job = &all[e.job];
                if entry(scenarios, e.job, job) != *e {
                    return Err(format!(
                        "{shown}: job {} was scenario {} seed {}, now it is another; run the shards again",
                        e.job,
                        one_line(&e.scenario),
                        e.seed
                    ));
                }
                let name = format!("{}.json", e.job);
                let text = sweep::read_saved(&runs, &name, MAX_CSV_BYTES)
                    .map_err(|err| format!("{shown}: {}", one_line(&err.to_string())))?;
                let run = saved::from_json(&text)
                    .map_err(|err| format!("{shown}/{RUNS}/{name}: {}", one_line(&err)))?;
                if let Some(why) = foreign(&scenarios[job.scenario], &run, &text) {
                    return Err(format!(
                        "{shown}/{RUNS}/{name}: {why}; run the shards again"
                    ));
                }
                if run.seed != job.seed {
                    return Err(format!(
                        "{shown}/{RUNS}/{name}: the run of seed {}, the job's seed is {}",
                        run.seed, job.seed
                    ));
                }
                gathering.add(job, run);
            }
        }
        Ok(gathering.finish())
    }
}

/// What a saved run holds that a run of `scenario` would not have, if anything: parts other
/// than the scenario's (their names become files' and pages' names) or text with a control
/// character or a bidirectional override (which no scenario's text may hold). A shard's
/// folder may come from anywhere: it is checked as any input is.
fn foreign(scenario: &Scenario, run: &crate::metrics::RunResult, text: &str) -> Option<String> {
    let parts = scenario
        .components
        .iter()
        .map(|c| c.id.as_str())
        .chain(scenario.workloads.iter().map(|w| w.name.as_str()));
    let named = run.actors.iter().map(|a| a.name.as_str());
    if !named.clone().eq(parts) {
        let names: Vec<String> = named.map(|n| crate::text::clipped(n, 40)).collect();
        return Some(format!(
            "its parts ({}) are not the scenario's",
            names.join(", ")
        ));
    }
    unprintable_json(text)
}

/// Whether a JSON text holds, in a string, a control character or a bidirectional override,
/// said shortly: read from the text as it is, not parsed again.
fn unprintable_json(text: &str) -> Option<String> {
    // A control character in a JSON string
    // is written as an escape (`\u001b`; raw, the text would not have parsed), a
    // bidirectional override as itself or as an escape. A `\u` is an escape when the
    // backslashes before its own are even in number (`\\u` is a backslash, then a `u`).
    let unprintable = crate::text::needs_escape;
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices("\\u") {
        let before = bytes[..at]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        let code = text.get(at + 2..at + 6).unwrap_or("");
        let escaped = u32::from_str_radix(code, 16).ok().and_then(char::from_u32);
        if before % 2 == 0 && escaped.is_some_and(unprintable) {
            return Some(format!("it holds \\u{code}, a control character or a bidirectional override, which no scenario's text may"));
        }
    }
    // Raw, only an override can be in a string: a control character there would not have
    // parsed, and a carriage return outside one is JSON's whitespace.
    text.chars()
        .any(|c| unprintable(c) && !c.is_control())
        .then(|| "it holds a bidirectional override, which no scenario's text may".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_are_given_or_read_from_the_array_index() {
        let none = env(&[]);
        assert_eq!(Shard::parse("2/5", &none), Ok(Shard { k: 2, n: 5 }));
        assert!(Shard::parse("5/5", &none)
            .unwrap_err()
            .contains("from 0 to 4"));
        assert!(Shard::parse("0/0", &none).is_err());
        assert!(Shard::parse("a/3", &none)
            .unwrap_err()
            .contains("not a whole number"));
        assert!(Shard::parse("4", &none)
            .unwrap_err()
            .contains("SLURM_ARRAY_TASK_ID"));
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1")]);
        assert_eq!(Shard::parse("4", &slurm), Ok(Shard { k: 2, n: 4 }));
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1")]);
        assert_eq!(Shard::parse("4", &k8s), Ok(Shard { k: 1, n: 4 }));
        let batch = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "3")]);
        assert_eq!(Shard::parse("4", &batch), Ok(Shard { k: 3, n: 4 }));
        let past = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "4")]);
        assert!(Shard::parse("4", &past).is_err());
    }

    #[test]
    fn an_escaped_control_character_is_found_and_an_escaped_backslash_is_not_one() {
        assert!(unprintable_json(r#"{"kind":"service\u001b[2J"}"#).is_some());
        assert!(unprintable_json(r#"{"kind":"x\u202e"}"#).is_some());
        assert!(unprintable_json("{\"kind\":\"x\u{202e}\"}").is_some());
        // A backslash written as `\\`, then `u001b`: six printable characters.
        assert_eq!(unprintable_json(r#"{"kind":"x\\u001b"}"#), None);
        assert!(unprintable_json(r#"{"kind":"x\\\u001b"}"#).is_some());
        // `\u00e9` (é) and `\n` are printable.
        assert_eq!(unprintable_json(r#"{"kind":"caf\u00e9\n"}"#), None);
        // Line ends of a file saved with carriage returns are whitespace, not a string's.
        assert_eq!(unprintable_json("{\r\n\"kind\": \"x\"\r\n}\r\n"), None);
    }

    #[test]
    fn the_shards_split_the_jobs_exactly() {
        for n in 1..7u32 {
            let mut all: Vec<usize> = (0..n).flat_map(|k| Shard { k, n }.jobs(20)).collect();
            all.sort_unstable();
            assert_eq!(all, (0..20).collect::<Vec<_>>());
        }
    }
}
