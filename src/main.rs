//! The `archsim` command line: parses arguments, calls the library, maps errors to exit codes
//! (2 for bad input, 1 for a run that could not finish or an output that could not be written).

use anyhow::Context;
use archsim::{report, scenario, sweep};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "archsim",
    version,
    about = "Discrete-event simulator of AWS architectures"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios (files or folders of .toml files) and write their results.
    Run {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Run scenarios like `run`, then judge their `[[expect]]`s: exit status 1 when one fails
    /// (for CI), 2 when the scenarios are malformed or hold no expectation at all.
    Check {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Draw the plots and HTML reports again from a results folder, without re-running.
    Plot {
        /// A results folder (with one subfolder per scenario) or one scenario's folder.
        dir: PathBuf,
    },
    /// Print a scenario's architecture as Graphviz DOT.
    Graph { file: PathBuf },
    /// Check scenarios for errors without running them.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scenario files, or folders whose .toml files are all run.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Folder that receives one subfolder of results per scenario.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Replications per scenario, overriding each scenario's `seeds`.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    seeds: Option<u32>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Print nothing but errors (and, for `check`, the expectations that fail).
    #[arg(long, short)]
    quiet: bool,
}

/// Exit status for scenarios that are malformed or missing.
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { run: a } => run(&a, false),
        Command::Check { run: a } => run(&a, true),
        Command::Plot { dir } => plot(&dir),
        Command::Graph { file } => match load(std::slice::from_ref(&file)) {
            Ok(scenarios) => {
                for s in &scenarios {
                    print!("{}", archsim::report::diagram::dot(s));
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Validate { paths } => match load(&paths) {
            Ok(scenarios) => {
                for s in &scenarios {
                    println!("{}: ok ({})", s.file.display(), s.name);
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
    }
}

/// Loads scenarios, printing every problem of every file.
fn load(paths: &[PathBuf]) -> Result<Vec<scenario::Scenario>, ExitCode> {
    let files = sweep::scenario_files(paths).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(BAD_INPUT)
    })?;
    sweep::load_all(&files).map_err(|errors| {
        let n: usize = errors.iter().map(|e| e.diagnostics.len()).sum();
        for e in errors {
            eprintln!("{e}");
        }
        eprintln!(
            "error: {n} problem{} in the scenarios; nothing was run",
            if n == 1 { "" } else { "s" }
        );
        ExitCode::from(BAD_INPUT)
    })
}

fn run(args: &RunArgs, check: bool) -> ExitCode {
    let RunArgs {
        paths,
        out,
        seeds,
        threads,
        quiet,
    } = args;
    let (out, seeds, threads, quiet) = (out.as_path(), *seeds, *threads, *quiet);
    let mut scenarios = match load(paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let expected: usize = scenarios.iter().map(|s| s.expectations.len()).sum();
    if check && expected == 0 {
        eprintln!("error: no [[expect]] in these scenarios: nothing to check (see the README's `archsim check`)");
        return ExitCode::from(BAD_INPUT);
    }
    if let Some(n) = seeds {
        for s in &mut scenarios {
            s.seeds = n;
        }
    }
    let total: usize = scenarios.iter().map(|s| s.seeds as usize).sum();
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(total as u64);
        b.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    });
    let progress = |p: sweep::Progress<'_>| match &bar {
        Some(b) => {
            b.set_message(format!("{} seed {}", p.scenario, p.seed));
            b.inc(1);
        }
        None if !quiet => eprintln!(
            "[{}/{}] {} seed {} done",
            p.done, p.total, p.scenario, p.seed
        ),
        None => {}
    };
    let outcomes = sweep::run_all(&scenarios, threads.map(|t| t as usize), &progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let outcomes = match outcomes {
        Ok(o) => o,
        Err(failures) => {
            for (name, e) in failures {
                eprintln!("error: scenario {name}, {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    for (o, sc) in outcomes.iter().zip(&scenarios) {
        let written = sweep::write_outputs(out, o, sc)
            .with_context(|| format!("writing the results of {}", o.name));
        match written {
            Ok(dir) => {
                if !quiet {
                    println!("{}-> {}\n", report::text_summary(&o.summary), dir.display());
                }
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    match sweep::write_index(out) {
        Ok(index) => {
            if !quiet {
                println!("report: {}", index.display());
            }
            if check {
                return verdict(&outcomes, &scenarios, expected);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing the index of {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

/// `archsim check`'s last word: every failed expectation where it was written, a count, and
/// the exit status.
fn verdict(
    outcomes: &[sweep::ScenarioOutcome],
    scenarios: &[scenario::Scenario],
    expected: usize,
) -> ExitCode {
    let mut failed = 0;
    for (o, sc) in outcomes.iter().zip(scenarios) {
        for v in o.verdicts.iter().filter(|v| !v.pass) {
            failed += 1;
            let e = &v.expectation;
            println!(
                "{}:{}:{}: expectation fails: {}: {}",
                sc.file.display(),
                e.line,
                e.column,
                e.describe(),
                v.problem.as_deref().unwrap_or("")
            );
        }
    }
    let held = expected - failed;
    println!(
        "check: {held} of {expected} expectation{} held in {} scenario{}",
        if expected == 1 { "" } else { "s" },
        scenarios.len(),
        if scenarios.len() == 1 { "" } else { "s" }
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn plot(dir: &std::path::Path) -> ExitCode {
    let result = if dir.join("summary.json").is_file() {
        sweep::replot(dir).map(|_| dir.join("report.html"))
    } else {
        sweep::result_dirs(dir)
            .and_then(|dirs| {
                if dirs.is_empty() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no scenario results (summary.json) in it",
                    ));
                }
                dirs.iter().try_for_each(|d| sweep::replot(d))
            })
            .and_then(|_| sweep::write_index(dir))
    };
    match result {
        Ok(page) => {
            println!("report: {}", page.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            ExitCode::from(BAD_INPUT)
        }
    }
}
