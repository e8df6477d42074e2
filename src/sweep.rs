//! Running many (scenario × seed) simulations in parallel, and writing their outputs.
//!
//! One simulation per rayon task; results are collected in input order, so the outputs do not
//! depend on the number of threads. This module (with `main.rs`) is the only one that touches
//! threads, the wall clock and output files.

use crate::metrics::{summarize, RunResult, Summary, SummaryMeta};
use crate::report;
use crate::scenario::{self, Scenario, ScenarioError};
use crate::world::{RunError, World};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Expands files and folders into scenario files: a folder contributes its `*.toml` files
/// (not recursively), sorted by name.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
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
            out.extend(files);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    Ok(out)
}

/// Loads every scenario, collecting the errors of all files; also refuses two scenarios
/// that would write to the same results folder.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let results: Vec<Result<Scenario, ScenarioError>> =
        files.iter().map(|f| scenario::load(f)).collect();
    let mut errors = Vec::new();
    let mut scenarios: Vec<Scenario> = Vec::new();
    for r in results {
        match r {
            Ok(s) => {
                if let Some(other) = scenarios.iter().find(|o| o.name == s.name) {
                    errors.push(ScenarioError {
                        diagnostics: vec![scenario::Diagnostic {
                            file: s.file.clone(),
                            line: 1,
                            column: 1,
                            message: format!(
                                "scenario name \"{}\" is also the name of {}; each needs its own results folder",
                                s.name,
                                other.file.display()
                            ),
                        }],
                    });
                } else {
                    scenarios.push(s);
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

/// One finished (scenario, seed) run, as progress reports see it.
pub struct Progress<'a> {
    pub scenario: &'a str,
    pub seed: u64,
    pub done: usize,
    pub total: usize,
}

/// The outputs of one scenario over all its seeds.
pub struct ScenarioOutcome {
    pub name: String,
    pub summary: Summary,
    /// The scenario's `[[expect]]`s judged against `summary` (also in it, as `expectations`).
    pub verdicts: Vec<crate::expect::Verdict>,
    pub runs: Vec<RunResult>,
}

/// Runs every seed of every scenario on `threads` threads (all cores when `None`).
pub fn run_all(
    scenarios: &[Scenario],
    threads: Option<usize>,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<Vec<ScenarioOutcome>, Vec<(String, RunError)>> {
    let jobs: Vec<(usize, u64)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.seed_list().into_iter().map(move |seed| (i, seed)))
        .collect();
    let total = jobs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let run_one = |&(i, seed): &(usize, u64)| {
        let sc = &scenarios[i];
        let started = Instant::now();
        let result = World::build(sc, seed).run().map(|mut r| {
            r.wall_s = started.elapsed().as_secs_f64();
            r
        });
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(Progress {
            scenario: &sc.name,
            seed,
            done: n,
            total,
        });
        result
    };
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t.max(1));
    }
    let results: Vec<Result<RunResult, RunError>> = match pool.build() {
        Ok(pool) => pool.install(|| jobs.par_iter().map(run_one).collect()),
        Err(_) => jobs.iter().map(run_one).collect(),
    };

    let mut failures = Vec::new();
    let mut per_scenario: Vec<Vec<RunResult>> = scenarios.iter().map(|_| Vec::new()).collect();
    for (&(i, _), r) in jobs.iter().zip(results) {
        match r {
            Ok(r) => per_scenario[i].push(r),
            Err(e) => failures.push((scenarios[i].name.clone(), e)),
        }
    }
    if !failures.is_empty() {
        return Err(failures);
    }
    Ok(scenarios
        .iter()
        .zip(per_scenario)
        .map(|(sc, runs)| {
            let mut summary = summarize(
                &SummaryMeta {
                    scenario: &sc.name,
                    variant: None,
                    description: &sc.description,
                    compare: sc.compare.as_deref(),
                },
                &runs,
            );
            let verdicts = crate::expect::evaluate(&sc.expectations, &summary);
            summary["expectations"] = crate::expect::to_json(&verdicts);
            ScenarioOutcome {
                name: sc.name.clone(),
                summary,
                verdicts,
                runs,
            }
        })
        .collect())
}

/// Writes everything about one scenario under `out/<name>/`: `summary.json`,
/// `timeseries.csv`, `events.csv`, the architecture diagram, the plots and `report.html`.
pub fn write_outputs(
    out: &Path,
    outcome: &ScenarioOutcome,
    scenario: &Scenario,
) -> std::io::Result<PathBuf> {
    let dir = out.join(&outcome.name);
    std::fs::create_dir_all(&dir)?;
    let timeseries = report::timeseries_csv(&outcome.runs);
    let events = report::events_csv(&outcome.runs);
    write_atomic(
        &dir.join("summary.json"),
        report::summary_json(&outcome.summary).as_bytes(),
    )?;
    write_atomic(&dir.join("timeseries.csv"), timeseries.as_bytes())?;
    write_atomic(&dir.join("events.csv"), events.as_bytes())?;
    let diagram = report::diagram::svg(scenario);
    write_atomic(&dir.join("diagram.svg"), diagram.as_bytes())?;
    render(&dir, &outcome.summary, &timeseries, &events, Some(&diagram))?;
    Ok(dir)
}

/// Draws the plots and `report.html` of a scenario folder from its data.
fn render(
    dir: &Path,
    summary: &Summary,
    timeseries: &str,
    events: &str,
    diagram: Option<&str>,
) -> std::io::Result<()> {
    let invalid = |e: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}", dir.display()),
        )
    };
    let window_s = summary["window_s"]
        .as_f64()
        .ok_or_else(|| invalid("summary.json has no window_s".into()))?;
    let table = report::table::SeriesTable::from_csv(timeseries, window_s).map_err(invalid)?;
    let events = report::table::events_from_csv(events).map_err(invalid)?;
    let mut plots = Vec::new();
    for (stem, chart) in report::plots::scenario_charts(summary, &table, &events) {
        let svg = report::plots::svg(&chart);
        write_atomic(&dir.join(format!("{stem}.svg")), svg.as_bytes())?;
        write_atomic(
            &dir.join(format!("{stem}.png")),
            &report::plots::png(&chart),
        )?;
        plots.push((chart.title.clone(), svg, format!("{stem}.png")));
    }
    write_atomic(
        &dir.join("report.html"),
        report::html::report(summary, diagram, &plots).as_bytes(),
    )
}

/// Renders a scenario folder again from its saved files, without running anything.
pub fn replot(dir: &Path) -> std::io::Result<()> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f));
    let summary: Summary = serde_json::from_str(&read("summary.json")?).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: summary.json: {e}", dir.display()),
        )
    })?;
    let diagram = read("diagram.svg").ok();
    render(
        dir,
        &summary,
        &read("timeseries.csv")?,
        &read("events.csv")?,
        diagram.as_deref(),
    )
}

/// The scenario folders under `out`: those holding a `summary.json`, by name.
pub fn result_dirs(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|d| d.join("summary.json").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Scenarios without a comparison group are overlaid only up to this many: more lines than
/// the palette has colours cannot be told apart.
const MAX_UNGROUPED_OVERLAY: usize = 8;

/// Writes `out/index.html` over every scenario folder in `out`, with comparison charts per
/// comparison group.
pub fn write_index(out: &Path) -> std::io::Result<PathBuf> {
    let mut summaries = Vec::new();
    let mut tables = Vec::new();
    for d in result_dirs(out)? {
        let Ok(text) = std::fs::read_to_string(d.join("summary.json")) else {
            continue;
        };
        let Ok(summary) = serde_json::from_str::<Summary>(&text) else {
            continue;
        };
        let window_s = summary["window_s"].as_f64().unwrap_or(1.0);
        let table = std::fs::read_to_string(d.join("timeseries.csv"))
            .ok()
            .and_then(|t| report::table::SeriesTable::from_csv(&t, window_s).ok());
        tables.push(table);
        summaries.push(summary);
    }
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
    let mut comparisons = Vec::new();
    for (group, members) in &groups {
        let unrelated =
            group.is_none() && (groups.len() > 1 || members.len() > MAX_UNGROUPED_OVERLAY);
        if members.len() < 2 || unrelated {
            continue;
        }
        let pairs: Vec<(&Summary, &report::table::SeriesTable)> = members
            .iter()
            .filter_map(|&i| tables[i].as_ref().map(|t| (&summaries[i], t)))
            .collect();
        for (stem, chart) in report::plots::comparison_charts(group.as_deref(), &pairs) {
            let svg = report::plots::svg(&chart);
            write_atomic(&out.join(format!("{stem}.svg")), svg.as_bytes())?;
            write_atomic(
                &out.join(format!("{stem}.png")),
                &report::plots::png(&chart),
            )?;
            comparisons.push((chart.title.clone(), svg));
        }
    }
    let path = out.join("index.html");
    write_atomic(
        &path,
        report::html::index(&summaries, &comparisons).as_bytes(),
    )?;
    Ok(path)
}

/// Writes to a temporary file beside `path`, then renames it into place: a crash leaves the
/// old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let file_name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
