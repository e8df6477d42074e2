//! The `archsim` command line: parses arguments, calls the library, maps errors to exit codes
//! (2 for bad input, 1 for a run that could not finish or an output that could not be written).

#![forbid(unsafe_code)]

use anyhow::Context;
use archsim::text::printable;
use archsim::{report, scenario, sweep};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// `println!` that ends the program quietly when standard output is closed (`archsim … |
/// head`), instead of panicking on the broken pipe.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            stdout_failed(e);
        }
    }};
}

/// `print!`, likewise.
macro_rules! say_part {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            stdout_failed(e);
        }
    }};
}

/// Standard output is gone: a closed pipe ends the program as a pipe's writer should; any
/// other failure says so.
fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        eprintln!("error: writing to standard output: {e}");
    }
    std::process::exit(if e.kind() == std::io::ErrorKind::BrokenPipe {
        141
    } else {
        1
    })
}

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
        /// Run only slice K of N, counted from 0 (0/4 to 3/4), of the (scenario, variant, seed) jobs, saving each
        /// run whole into OUT/shard-K-of-N/ for `archsim merge` (OUT defaults to `shards`).
        /// With N alone, K is the array-job index (SLURM_ARRAY_TASK_ID less
        /// SLURM_ARRAY_TASK_MIN, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX).
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// Run scenarios like `run`, then judge their `[[expect]]`s: exit status 1 when one fails
    /// (for CI), 2 when the scenarios are malformed or hold no expectation at all. Files
    /// without any `[[expect]]` are not run; the terminal lists them (with `-q` too).
    Check {
        #[command(flatten)]
        run: RunArgs,
        /// Also write the verdicts as JUnit XML (a test case per expectation per variant).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Also write the verdicts as a JSON list.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// Find the highest arrival rate of a workload at which every SLO holds: each seed is
    /// bisected on common random numbers; prints the rate with its 95 % interval, the binding
    /// SLO and the walk, and writes them (CSV, JSON, a chart per SLO).
    Capacity(CapacityArgs),
    /// Compare two results folders of the same scenarios (before and after a change): each
    /// headline metric's difference with its interval, paired by seed where the seeds
    /// match, every interval widened (Bonferroni) so that all of one diff hold together at
    /// 95 %. Exit status 1 when one moved beyond its interval, or when a scenario or variant
    /// of the first folder is missing from the second.
    Diff {
        /// The results folder before.
        a: PathBuf,
        /// The results folder after.
        b: PathBuf,
        /// Also write the comparison as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// Combine the shards of a sharded run into the outputs the whole run writes.
    Merge {
        /// Shard folders (shard-K-of-N), or folders holding them.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Folder that receives the results (default `results`).
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Also write `slides.html` in each scenario's (and experiment's) folder, as `run
        /// --slides` does.
        #[arg(long)]
        slides: bool,
        /// Write the numbers, series and pages but draw no plot, as `run --no-plots` does.
        #[arg(long, conflicts_with = "slides")]
        no_plots: bool,
        /// Each folder the shards were let read (their `--allow-read`), given again: a
        /// shard's manifest says which it needs but cannot grant them. Repeatable.
        #[arg(long = "allow-read", value_name = "DIR")]
        allow_read: Vec<PathBuf>,
    },
    /// Draw the plots and HTML reports again from a results folder, without re-running.
    Plot {
        /// A results folder (with one subfolder per scenario) or one scenario's folder.
        dir: PathBuf,
    },
    /// Print a scenario's architecture as Graphviz DOT.
    Graph {
        file: PathBuf,
        #[command(flatten)]
        reads: ReadArgs,
    },
    /// Turn a CloudFormation or SAM template (YAML or JSON) or a Terraform plan (`terraform
    /// show -json plan.out`) into a scenario: resources mapped to kinds with their settings,
    /// the calls its wiring implies, and commented starting values for what a template cannot
    /// say (traffic, per-request work), listed on stderr.
    Import {
        /// The template or plan (the format is told from its content).
        file: PathBuf,
        /// Where to write the scenario (default: standard output). A file already there
        /// is left alone (it may hold edits) unless `--force` is given.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace the `--out` file if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Print the JSON Schema of scenario files (for editors: completion and hover docs).
    Schema,
    /// Check, before running, who may call whom: print every call an IAM role would deny
    /// (located at its call entry), the reachability matrix (caller × callee) and
    /// least-privilege notes (permissions no call uses, wildcards that could be narrowed).
    /// Exit status 1 when a call would be denied, 0 otherwise.
    Lint {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        reads: ReadArgs,
    },
    /// Check scenarios for errors without running them, and against the budget a run
    /// would refuse them over.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        reads: ReadArgs,
        /// The most kernel events a scenario may take over all its seeds, as `run` takes it.
        #[arg(long, value_name = "N", default_value_t = archsim::limits::DEFAULT_MAX_EVENTS,
              value_parser = clap::value_parser!(u64).range(1..))]
        max_events: u64,
    },
}

#[derive(clap::Args)]
struct ReadArgs {
    /// Also let scenarios read files (traces) under DIR; by default a scenario reads only
    /// files under its own folder. Repeatable.
    #[arg(long = "allow-read", value_name = "DIR")]
    allow_read: Vec<PathBuf>,
    /// Override a value of every scenario as if written in it: a component id, a workload
    /// name, scenario/account/network or fault.N (the N-th [[fault]], from 0), then the keys
    /// inside (`db.read_replicas=4`, `scenario.duration=10m`, `fault.0.for=30m`).
    /// Repeatable; checked like a variant's `set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scenario files, or folders whose .toml files are all run.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Folder that receives one subfolder of results per scenario (`run`: default
    /// `results`; `check`: default a scratch folder, removed at the end, so that a check
    /// never overwrites committed results).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replications per scenario, overriding each scenario's `seeds`.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(archsim::limits::MAX_SEEDS)))]
    seeds: Option<u32>,
    /// The most kernel events a scenario may take over all its seeds: a scenario estimated
    /// above it is refused before it runs, and a run that reaches its share stops.
    #[arg(long, value_name = "N", default_value_t = archsim::limits::DEFAULT_MAX_EVENTS,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_events: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Print nothing but errors (and, for `check`, the expectations that fail).
    #[arg(long, short)]
    quiet: bool,
    /// Also write `slides.html` in each scenario's (and experiment's) folder: the question,
    /// the architecture, the key chart, the numbers and the lesson (when written), a slide
    /// each, for a lecture (one page, no script).
    #[arg(long)]
    slides: bool,
    /// Write the numbers, the series and the pages but draw no plot (nor the diagram's PNG,
    /// the service map or the trace waterfall): for sweeps that only need numbers. `archsim
    /// plot OUT` draws the plots later from the saved series.
    #[arg(long, conflicts_with = "slides")]
    no_plots: bool,
    #[command(flatten)]
    reads: ReadArgs,
}

impl RunArgs {
    /// What the run draws beside its numbers.
    fn drawings(&self) -> sweep::Drawings {
        sweep::Drawings {
            plots: !self.no_plots,
            slides: self.slides,
        }
    }
}

/// Exit status for scenarios that are malformed or missing.
const BAD_INPUT: u8 = 2;
/// The exit status of a run that failed (a scenario stopped, results not written): 1, as
/// `ExitCode::FAILURE`.
const FAILED: u8 = 1;

/// Says what is wrong with the input (made printable) and gives the exit status for it.
fn bad_input(e: &str) -> ExitCode {
    Refused::bad_input(e).report()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `--threads` bounds everything archsim does at once: the runs, and the drawing and
    // writing of their outputs.
    let threads = match &cli.command {
        Command::Run { run, .. } | Command::Check { run, .. } => run.threads,
        Command::Capacity(a) => a.threads,
        _ => None,
    };
    if let Some(t) = threads {
        // Only fails when a pool exists already, which nothing here makes before.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(t as usize)
            .build_global();
    }
    match cli.command {
        Command::Run { run: a, shard } => match shard {
            Some(s) => run_shard(&a, &s),
            None => run(&a, None),
        },
        Command::Merge {
            dirs,
            out,
            quiet,
            slides,
            no_plots,
            allow_read,
        } => merge(
            &dirs,
            &out,
            quiet,
            sweep::Drawings {
                plots: !no_plots,
                slides,
            },
            &allow_read,
        ),
        Command::Diff { a, b, json } => diff(&a, &b, json.as_deref()),
        Command::Capacity(a) => capacity(&a),
        Command::Check {
            run: a,
            junit,
            json,
        } => run(
            &a,
            Some(CheckOutputs {
                junit: junit.as_deref(),
                json: json.as_deref(),
            }),
        ),
        Command::Plot { dir } => plot(&dir),
        Command::Graph { file, reads } => match load(std::slice::from_ref(&file), &reads) {
            Ok(scenarios) => {
                for s in &scenarios {
                    say_part!("{}", archsim::report::diagram::dot(s));
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Import { file, out, force } => import(&file, out.as_deref(), force),
        Command::Schema => {
            let schema = archsim::scenario::schema::scenario_schema();
            match serde_json::to_string_pretty(&schema) {
                Ok(text) => {
                    say!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        // Its findings are the warnings of denied and dropped calls a load gives: said once.
        Command::Lint { paths, reads } => match loaded_warning(&paths, &reads, |w| {
            !w.message.ends_with(scenario::LINT_LISTS_THEM)
        })
        .map_err(Refused::report)
        {
            Ok(scenarios) => {
                let mut failed = false;
                for s in &scenarios {
                    let lint = archsim::access::lint(s);
                    failed |= lint.failed();
                    say_part!("{}", archsim::access::render(s, &lint));
                }
                if failed {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(code) => code,
        },
        Command::Validate {
            paths,
            reads,
            max_events,
        } => match load(&paths, &reads) {
            Ok(scenarios) => {
                // What `run` would refuse before running, `validate` refuses too.
                if let Err(over) = sweep::check_budget(&scenarios, max_events, 1) {
                    for e in over {
                        eprintln!("error: {}", printable(&e));
                    }
                    return ExitCode::from(BAD_INPUT);
                }
                for s in &scenarios {
                    say!(
                        "{}: ok ({}{}; about {} requests and {} events per seed)",
                        printable(&s.file.display().to_string()),
                        s.name,
                        s.variant
                            .as_ref()
                            .map_or(String::new(), |v| format!(", variant {}", v.name)),
                        s.expected_requests().round(),
                        s.estimated_events().round()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
    }
}

/// `archsim import`: reads the one file named (bounded; nothing in it makes archsim read
/// another), writes the scenario, and lists on stderr what the user must set.
fn import(file: &std::path::Path, out: Option<&std::path::Path>, force: bool) -> ExitCode {
    let name = file.display().to_string();
    // An imported scenario is a starting point that gets edited (traffic, work): importing
    // again over it would lose those edits without a word.
    if let Some(path) = out.filter(|p| p.is_dir()) {
        return bad_input(&format!(
            "{} is a folder: --out names the scenario file to write, as {}",
            path.display(),
            path.join("scenario.toml").display()
        ));
    }
    if let Some(path) = out.filter(|p| !force && p.exists()) {
        return bad_input(&format!(
            "{} exists: `import` does not replace it (it may hold your edits); give another \
             --out, or --force to replace it",
            path.display()
        ));
    }
    let text =
        match scenario::files::read_text(file, "the template", archsim::limits::MAX_TEMPLATE_BYTES)
        {
            Ok(t) => t,
            Err(e) => return bad_input(&format!("{name}: {e}")),
        };
    let mut imported = match archsim::import::import(&name, &text) {
        Ok(i) => i,
        Err(e) => return bad_input(&e.to_string()),
    };
    let at = out.map_or_else(
        || std::path::PathBuf::from(format!("{name} as imported")),
        std::path::Path::to_path_buf,
    );
    // A call assumed from configuration carries what the function's own role allows of it.
    if let Ok(sc) = scenario::parse(&at, &imported.scenario) {
        imported.narrow(&archsim::access::partly_denied(&sc));
    }
    match out {
        Some(path) => {
            if let Err(e) = sweep::write_atomic(path, imported.scenario.as_bytes()) {
                eprintln!(
                    "error: cannot write {}: {e}",
                    printable(&path.display().to_string())
                );
                return ExitCode::FAILURE;
            }
        }
        None => say_part!("{}", imported.scenario),
    }
    eprintln!(
        "imported {} as {}: {} component{}",
        printable(&name),
        imported.format.words(),
        imported.components,
        if imported.components == 1 { "" } else { "s" }
    );
    if !imported.unmapped.is_empty() {
        eprintln!("not simulated ({}):", imported.unmapped.len());
        for u in &imported.unmapped {
            eprintln!("  {}", archsim::text::one_line(u));
        }
    }
    if !imported.notes.is_empty() {
        eprintln!("notes:");
        for n in &imported.notes {
            eprintln!("  {}", archsim::text::one_line(n));
        }
    }
    eprintln!("starting values to set from what you measure (CloudWatch p50/p99, request rates):");
    for a in &imported.asks {
        eprintln!("  {}", archsim::text::one_line(a));
    }
    // A template CloudFormation would refuse (a name it does not define) is said where it is,
    // its scenario written.
    let mut refused = false;
    for e in &imported.refusals {
        eprintln!("{}", printable(&e.to_string()));
        refused = true;
    }
    // What it wrote must run: a template that AWS itself would refuse (a queue whose
    // visibility timeout is shorter than its consumer's function timeout) gives a scenario
    // that does not validate, said here rather than at the first run.
    match scenario::parse(&at, &imported.scenario) {
        Err(e) => {
            eprintln!("{}", printable(&e.to_string()));
            return bad_input(
                "the scenario as imported does not validate (it is written: fix it before it runs)",
            );
        }
        // What a run of it would warn of (a call its role denies, a component nothing
        // reaches), said now rather than at the first run.
        Ok(sc) => {
            for w in &sc.warnings {
                let d = printable(&w.to_string()).into_owned();
                let (at, message) = d.split_once(": ").unwrap_or(("", &d));
                eprintln!("{at}: warning: {message}");
            }
        }
    }
    if refused {
        return bad_input(
            "CloudFormation would refuse the template (its scenario is written: fix the template before you trust it)",
        );
    }
    ExitCode::SUCCESS
}

/// Loads scenarios, printing every problem of every file (and the warnings of those that
/// load).
fn load(paths: &[PathBuf], reads: &ReadArgs) -> Result<Vec<scenario::Scenario>, ExitCode> {
    loaded(paths, reads).map_err(Refused::report)
}

/// Why a command stops before it runs anything, or a run before its results: the lines it
/// prints on standard error and its exit status. `check` also writes them into its verdict
/// files, so that a CI dashboard shows why nothing was judged.
struct Refused {
    code: u8,
    lines: Vec<String>,
    /// What `check`'s verdict files list, one entry each, when not the lines themselves
    /// (a malformed file's diagnostics, each with its place, without the count that closes
    /// them).
    problems: Option<Vec<report::verdicts::Problem>>,
}

impl Refused {
    /// Malformed input: exit status 2.
    fn bad_input(e: &str) -> Refused {
        Refused::new(BAD_INPUT, vec![format!("error: {}", printable(e))])
    }

    fn new(code: u8, lines: Vec<String>) -> Refused {
        Refused {
            code,
            lines,
            problems: None,
        }
    }

    /// The problems, each with its own entry in `check`'s verdict files.
    fn problems(&self) -> Vec<report::verdicts::Problem> {
        self.problems.clone().unwrap_or_else(|| {
            self.lines
                .iter()
                .map(|l| {
                    report::verdicts::Problem::unlocated(
                        l.strip_prefix("error: ").unwrap_or(l).to_string(),
                    )
                })
                .collect()
        })
    }

    fn report(self) -> ExitCode {
        for l in &self.lines {
            eprintln!("{l}");
        }
        ExitCode::from(self.code)
    }
}

/// The scenarios under `paths`, or every problem found in them.
fn loaded(paths: &[PathBuf], reads: &ReadArgs) -> Result<Vec<scenario::Scenario>, Refused> {
    loaded_warning(paths, reads, |_| true)
}

/// `loaded`, printing only the warnings `shown` keeps.
fn loaded_warning(
    paths: &[PathBuf],
    reads: &ReadArgs,
    shown: impl Fn(&archsim::config::Diagnostic) -> bool,
) -> Result<Vec<scenario::Scenario>, Refused> {
    let mut access = scenario::FileAccess::default();
    for dir in &reads.allow_read {
        access.allow(dir).map_err(|e| Refused::bad_input(&e))?;
    }
    let files = sweep::scenario_files(paths).map_err(|e| Refused::bad_input(&e))?;
    let loaded = sweep::load_all(&files, &access, &reads.sets);
    if let Ok(scenarios) = &loaded {
        for w in scenarios
            .iter()
            .flat_map(|s| &s.warnings)
            .filter(|w| shown(w))
        {
            let d = w.to_string();
            let (at, message) = d.split_once(": ").unwrap_or(("", &d));
            eprintln!("{at}: warning: {message}");
        }
    }
    loaded.map_err(|errors| {
        let n: usize = errors.iter().map(|e| e.diagnostics.len()).sum();
        let mut lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        // Each problem, and where in its file when it is at a line of one (line 0: a --set's
        // own).
        let mut problems: Vec<report::verdicts::Problem> = errors
            .iter()
            .flat_map(|e| {
                e.diagnostics.iter().map(|d| report::verdicts::Problem {
                    message: d.to_string(),
                    at: (d.line != 0).then(|| (d.file.display().to_string(), d.line, d.column)),
                })
            })
            .collect();
        // A --set is named where its own value is wrong; where it conflicts with a value the
        // file holds (a shorter duration than the file's warmup), the error is at the file's.
        // A problem named at a --set needs no such note.
        if !reads.sets.is_empty() && problems.iter().any(|p| p.at.is_some()) {
            let sets: Vec<String> = reads
                .sets
                .iter()
                .map(|s| format!("--set {}", printable(s)))
                .collect();
            let note = format!(
                "note: read with {}: a value set there may conflict with one written in the file",
                sets.join(", ")
            );
            for p in problems.iter_mut().filter(|p| p.at.is_some()) {
                p.message.push('\n');
                p.message.push_str(&note);
            }
            lines.push(note);
        }
        lines.push(format!(
            "error: {n} problem{} in the scenarios; nothing was run",
            if n == 1 { "" } else { "s" }
        ));
        Refused {
            code: BAD_INPUT,
            lines,
            problems: Some(problems),
        }
    })
}

/// Loads the scenarios of a run with its `--seeds`, and refuses them when they exceed the
/// `--max-events` budget.
fn prepare(args: &RunArgs, shards: u32) -> Result<Vec<scenario::Scenario>, Refused> {
    let mut scenarios = loaded(&args.paths, &args.reads)?;
    if let Some(n) = args.seeds {
        for s in &mut scenarios {
            s.seeds = n;
        }
    }
    if let Err(over) = sweep::check_budget(&scenarios, args.max_events, shards) {
        return Err(Refused::new(
            BAD_INPUT,
            over.iter()
                .map(|e| format!("error: {}", printable(e)))
                .collect(),
        ));
    }
    Ok(scenarios)
}

type ProgressFn = Box<dyn Fn(sweep::Progress<'_>) + Sync>;

/// A progress bar on a terminal, a line per run elsewhere, nothing when quiet. Given the
/// simulated time of all runs [ns], the bar moves with the simulated time covered (read by
/// `follow`) and estimates the time left; otherwise it moves as runs end.
fn progress_bar(
    total: usize,
    simulated_ns: Option<u64>,
    quiet: bool,
) -> (Option<ProgressBar>, ProgressFn) {
    let by_time = simulated_ns.is_some();
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let (len, template) = match simulated_ns {
            // In simulated milliseconds.
            Some(ns) => (
                (ns / 1_000_000).max(1),
                "{elapsed_precise} [{bar:30}] {percent:>3}%  about {eta} left  {msg}",
            ),
            None => (
                total as u64,
                "{elapsed_precise} [{bar:30}] {pos}/{len} runs  {msg}",
            ),
        };
        let b = ProgressBar::new(len);
        b.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        if by_time {
            b.set_message(format!("0/{total} runs"));
        }
        b
    });
    let b = bar.clone();
    let report = move |p: sweep::Progress<'_>| match &b {
        Some(b) if by_time => {
            b.set_message(format!(
                "{}/{} runs, last {} seed {}",
                p.done,
                p.total,
                p.run_name(),
                p.seed
            ));
        }
        Some(b) => {
            b.set_message(format!("{} seed {}", p.run_name(), p.seed));
            b.inc(1);
        }
        None if !quiet => eprintln!(
            "[{}/{}] {} seed {} done",
            p.done,
            p.total,
            p.run_name(),
            p.seed
        ),
        None => {}
    };
    (bar, Box::new(report))
}

/// Runs `work`, moving `bar` (if any) to the simulated time `covered` [ns] has reached, five
/// times a second, until the work ends.
fn follow<T>(bar: Option<&ProgressBar>, covered: &AtomicU64, work: impl FnOnce() -> T) -> T {
    let Some(bar) = bar else {
        return work();
    };
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                bar.set_position(covered.load(Ordering::Relaxed) / 1_000_000);
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        let out = work();
        done.store(true, Ordering::Relaxed);
        out
    })
}

/// `archsim run … --shard K/N`: runs one slice of the jobs and saves each run whole.
fn run_shard(args: &RunArgs, shard: &str) -> ExitCode {
    // A shard saves its runs whole and writes no pages: the merge does.
    if args.slides {
        return bad_input("--slides with --shard: a shard writes no pages; give --slides to `archsim merge`, which writes them");
    }
    if args.no_plots {
        return bad_input("--no-plots with --shard: a shard draws no plot; give --no-plots to `archsim merge`, which draws them");
    }
    let shard = match archsim::shard::Shard::parse(shard, &|k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let scenarios = match prepare(args, shard.n) {
        Ok(s) => s,
        Err(r) => return r.report(),
    };
    let files = match sweep::scenario_files(&args.paths) {
        Ok(f) => f,
        Err(e) => return bad_input(&e),
    };
    let total = sweep::jobs(&scenarios).len();
    let plan = match archsim::shard::Plan::new(
        &args.paths,
        &files,
        &scenarios,
        &args.reads.sets,
        &args.reads.allow_read,
        args.seeds,
        args.max_events,
    ) {
        Ok(p) => p,
        Err(e) => return bad_input(&e),
    };
    let root = args.out.clone().unwrap_or_else(|| PathBuf::from("shards"));
    let (bar, progress) = progress_bar(shard.jobs(total).len(), None, args.quiet);
    let options = sweep::RunOptions {
        threads: args.threads.map(|t| t as usize),
        max_events: args.max_events,
        covered: None,
    };
    let result = archsim::shard::run(&root, shard, plan, &scenarios, &options, &*progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    match result {
        Ok((dir, ran)) => {
            if !args.quiet {
                say!(
                    "shard {} of {}: {ran} of {total} runs -> {}",
                    shard.k,
                    shard.n,
                    printable(&dir.display().to_string())
                );
                say!(
                    "when every shard is done: archsim merge {} --out DIR",
                    printable(&root.display().to_string())
                );
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors {
                eprintln!("error: {}", printable(&e));
            }
            ExitCode::FAILURE
        }
    }
}

#[derive(clap::Args)]
struct CapacityArgs {
    /// The scenario (its baseline is searched; change it with --set).
    file: PathBuf,
    /// The workload whose whole arrival process is scaled (needed when there are several).
    #[arg(long)]
    workload: Option<String>,
    /// A bound on a number of summary.json, as an [[expect]] names it:
    /// "latency_ms.p99<=300", "error_rate<=0.001". Repeatable: all must hold. Each must
    /// worsen as the rate rises: a lower bound on a rate or a count (throughput_rps>=60)
    /// is refused.
    #[arg(long = "slo", value_name = "METRIC<=BOUND", required = true)]
    slos: Vec<String>,
    /// Replications (each searched on its own), overriding the scenario's `seeds`: at least
    /// 2, since the answer is their mean with a 95 % interval, which one seed cannot give.
    #[arg(long, value_parser = capacity_seeds)]
    seeds: Option<u32>,
    /// Each seed's search stops when its bracket is narrower than this share.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    tolerance: f64,
    /// Folder that receives SCENARIO-capacity/ (default: a fresh scratch folder, printed).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The most kernel events one probe's runs may take over all seeds.
    #[arg(long, value_name = "N", default_value_t = archsim::limits::DEFAULT_MAX_EVENTS,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_events: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    #[command(flatten)]
    reads: ReadArgs,
}

/// `capacity --seeds`: from 2, saying why when fewer.
fn capacity_seeds(text: &str) -> Result<u32, String> {
    let max = archsim::limits::MAX_SEEDS;
    match text.parse::<u32>().map_err(|e| e.to_string())? {
        n @ (0 | 1) => Err(format!(
            "{n} is not in 2..={max}: a capacity needs at least 2 seeds, its answer being their mean with a 95 % interval, which one seed cannot give"
        )),
        n if n > max => Err(format!("{n} is not in 2..={max}")),
        n => Ok(n),
    }
}

/// `archsim capacity`.
fn capacity(a: &CapacityArgs) -> ExitCode {
    use archsim::capacity::{self, Search, Slo};
    if !(0.0001..=0.5).contains(&a.tolerance) {
        return bad_input("--tolerance must be from 0.0001 to 0.5 (a share of the rate)");
    }
    let mut scenarios = match load(std::slice::from_ref(&a.file), &a.reads) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut sc = scenarios.swap_remove(0);
    if let Some(n) = a.seeds {
        sc.seeds = n;
    }
    if sc.seeds < 2 {
        return bad_input(&format!(
            "scenario {} runs one seed; a capacity needs an interval: give --seeds (10 or more is good)",
            sc.name
        ));
    }
    let names: Vec<&str> = sc.workloads.iter().map(|w| w.name.as_str()).collect();
    let workload = match (&a.workload, names.as_slice()) {
        (None, [_]) => 0,
        (None, _) => {
            return bad_input(&format!(
                "scenario {} has {} workloads; say which to scale with --workload ({})",
                sc.name,
                names.len(),
                names.join(", ")
            ))
        }
        (Some(w), _) => match names.iter().position(|n| n == w) {
            Some(i) => i,
            None => {
                let hint = archsim::text::did_you_mean(w, names.iter().copied());
                return bad_input(&format!(
                    "--workload {w}{hint}: scenario {} has no such workload; it has {}",
                    sc.name,
                    names.join(", ")
                ));
            }
        },
    };
    if let Some(why) = capacity::refuse(&sc, workload) {
        return bad_input(&why);
    }
    let ids: Vec<&str> = sc.components.iter().map(|c| c.id.as_str()).collect();
    let kinds = |id: &str| sc.kind_of(id);
    let mut slos = Vec::new();
    for text in &a.slos {
        let unit_of = |m: &str| archsim::scenario::metric_unit(m, &kinds);
        let slo = match Slo::parse_with_units(text, &unit_of) {
            Ok(s) => s,
            Err(e) => return bad_input(&e),
        };
        if let Err(Some(why)) =
            archsim::scenario::metric_problem("metric", &slo.metric, &ids, &names, &kinds)
        {
            return bad_input(&format!(
                "--slo \"{}\": {why}",
                archsim::text::one_line(text)
            ));
        }
        if let Some(why) = slo.unsearchable(archsim::scenario::metric_unit(&slo.metric, &kinds)) {
            return bad_input(&why);
        }
        slos.push(slo);
    }
    let search = Search {
        workload,
        slos,
        tolerance: a.tolerance,
    };
    let out_path = match &a.out {
        Some(o) => o.clone(),
        None => match tempfile::Builder::new()
            .prefix("archsim-capacity-")
            .tempdir()
        {
            Ok(d) => d.keep(),
            Err(e) => {
                eprintln!("error: cannot make a scratch folder: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let out = match sweep::OutDir::open(&out_path) {
        Ok(o) => o,
        Err(e) => return bad_input(&e),
    };
    // Where its folder goes is checked before the search, which may take minutes.
    if let Err(e) = out.check_places([capacity::folder(&sc.name).as_str()]) {
        return bad_input(&e);
    }
    let options = sweep::RunOptions {
        threads: a.threads.map(|t| t as usize),
        max_events: a.max_events,
        covered: None,
    };
    let answer = match capacity::search(&sc, &search, &options) {
        Ok(a) => a,
        Err(e) => return bad_input(&e),
    };
    let wname = &sc.workloads[workload].name;
    say_part!(
        "{}",
        printable(&report::capacity::terminal(
            &answer, &sc.name, wname, &search
        ))
    );
    let written = capacity::write(&out, &sc.name, wname, &search, &answer);
    match written {
        Ok(dir) => {
            say!("-> {}", printable(&dir.display().to_string()));
            if answer.scale.is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        // Not 1, which says no seed found a single answer.
        Err(e) => bad_input(&format!("writing the search: {e}")),
    }
}

/// `archsim diff`.
fn diff(a: &std::path::Path, b: &std::path::Path, json: Option<&std::path::Path>) -> ExitCode {
    use report::diff::Compared;
    let read = |dir: &std::path::Path| {
        let shown = printable(&dir.display().to_string()).into_owned();
        match sweep::read_results(dir) {
            Ok(r) if r.is_empty() => {
                Err(format!("{shown}: no scenario results (summary.json) in it"))
            }
            Ok(r) => Ok(r),
            Err(e) => Err(format!("{shown}: {}", printable(&e.to_string()))),
        }
    };
    let (ra, rb) = match (read(a), read(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return bad_input(&e),
    };
    let key = |s: &sweep::SavedSummary| (s.scenario.clone(), s.variant.clone());
    let label = |s: &sweep::SavedSummary| match &s.variant {
        Some(v) => format!("{}/{v}", s.scenario),
        None => s.scenario.clone(),
    };
    let mut compared: Vec<Compared> = ra
        .iter()
        .filter_map(|x| {
            let y = rb.iter().find(|y| key(y) == key(x))?;
            let differences =
                archsim::metrics::compare::headline_differences(&x.summary, &y.summary);
            Some(Compared {
                scenario: x.scenario.clone(),
                variant: x.variant.clone(),
                cautions: report::diff::cautions(&x.summary, &y.summary, &differences),
                differences,
                latency: archsim::metrics::compare::latency_compared(&x.summary, &y.summary),
                one_sided: archsim::metrics::compare::one_sided(&x.summary, &y.summary),
            })
        })
        .collect();
    let only_a: Vec<String> = ra
        .iter()
        .filter(|x| !rb.iter().any(|y| key(y) == key(x)))
        .map(label)
        .collect();
    let only_b: Vec<String> = rb
        .iter()
        .filter(|y| !ra.iter().any(|x| key(y) == key(x)))
        .map(label)
        .collect();
    if compared.is_empty() {
        return bad_input("the two folders have no scenario in common; nothing to compare");
    }
    // Every interval widened so that they hold together: one diff, one verdict.
    let family = report::diff::correct(&mut compared);
    say_part!(
        "{}",
        printable(&report::diff::terminal(
            &compared, &family, &only_a, &only_b
        ))
    );
    if let Some(path) = json {
        let text = report::summary_json(&report::diff::json(&compared, &family, &only_a, &only_b));
        if let Err(e) = sweep::write_atomic(path, text.as_bytes()) {
            // Not 1, which says a headline moved: a CI job must not read this as a verdict.
            return bad_input(&format!("writing {}: {e}", path.display()));
        }
    }
    if report::diff::passes(&compared, &only_a) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `archsim merge`: the outputs of a whole run, from its shards.
fn merge(
    dirs: &[PathBuf],
    out: &std::path::Path,
    quiet: bool,
    drawings: sweep::Drawings,
    allow_read: &[PathBuf],
) -> ExitCode {
    let shards = match archsim::shard::find(dirs) {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let plan = &shards.plan;
    if let Err(e) = plan.check_reads(allow_read) {
        return bad_input(&e);
    }
    let files = match plan.check_files() {
        Ok(f) => f,
        Err(e) => return bad_input(&e),
    };
    let reads = ReadArgs {
        allow_read: plan.allow_read.iter().map(PathBuf::from).collect(),
        sets: plan.sets.clone(),
    };
    let mut scenarios = match load(&files, &reads) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(n) = plan.seeds {
        for s in &mut scenarios {
            s.seeds = n;
        }
    }
    if let Err(e) = plan.check_inputs(&scenarios) {
        return bad_input(&e);
    }
    let out = match sweep::OutDir::open(out) {
        Ok(o) => o,
        Err(e) => return bad_input(&e),
    };
    if let Err(e) = out.check_scenario_places(&scenarios) {
        return bad_input(&e);
    }
    let outcomes = match shards.gather(&scenarios) {
        Ok(o) => o,
        Err(e) => return bad_input(&e),
    };
    let staged = sweep::stage_all(&out, &outcomes, &scenarios, drawings);
    match publish(&out, &outcomes, staged, &scenarios, quiet, false, drawings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(r) => r.report(),
    }
}

/// Where `check` also writes its verdicts.
struct CheckOutputs<'a> {
    junit: Option<&'a std::path::Path>,
    json: Option<&'a std::path::Path>,
}

fn run(args: &RunArgs, check: Option<CheckOutputs<'_>>) -> ExitCode {
    match run_all(args, check.is_some()) {
        Ok(ran) => match &check {
            Some(outputs) => verdict(&ran.outcomes, &ran.scenarios, ran.expected, outputs),
            None => ExitCode::SUCCESS,
        },
        Err(refused) => {
            // A check that judged nothing still leaves its verdict files, saying why.
            if let Some(outputs) = &check {
                let (problems, code) = (refused.problems(), refused.code);
                let status = refused.report();
                if !write_verdicts(
                    outputs,
                    report::verdicts::junit_refused(&problems, code),
                    report::summary_json(&report::verdicts::json_refused(&problems, code)),
                ) {
                    return ExitCode::from(BAD_INPUT);
                }
                return status;
            }
            refused.report()
        }
    }
}

/// Leaves out of a check the files that hold no `[[expect]]` (a folder's explorations beside
/// its regression tests): running them would judge nothing. Each is named on stderr, quiet
/// or not, as a warning is, so that a test file that lost its expectations is seen in a CI
/// log. A file keeps all its variants when any has one, so that its comparison pages stay
/// whole.
fn skip_unexpected(scenarios: &mut Vec<scenario::Scenario>) {
    let expecting: std::collections::BTreeSet<PathBuf> = scenarios
        .iter()
        .filter(|s| !s.expectations.is_empty())
        .map(|s| s.file.clone())
        .collect();
    if expecting.is_empty() {
        // Refused as a whole by the caller, with its own words.
        return;
    }
    let mut skipped: Vec<PathBuf> = Vec::new();
    scenarios.retain(|s| {
        let keep = expecting.contains(&s.file);
        if !keep && !skipped.contains(&s.file) {
            skipped.push(s.file.clone());
        }
        keep
    });
    for f in skipped {
        eprintln!(
            "{}: no [[expect]], not run by check",
            printable(&f.display().to_string())
        );
    }
}

/// What a run leaves for `check` to judge.
struct Ran {
    scenarios: Vec<scenario::Scenario>,
    outcomes: Vec<sweep::ScenarioOutcome>,
    /// How many expectations apply to the scenarios and variants run.
    expected: usize,
}

/// Runs the scenarios of `args` and publishes their results; for `check`, refuses scenarios
/// that hold no expectation before running them.
fn run_all(args: &RunArgs, check: bool) -> Result<Ran, Refused> {
    let RunArgs {
        out,
        max_events,
        threads,
        quiet,
        ..
    } = args;
    let (threads, quiet) = (*threads, *quiet);
    let mut scenarios = prepare(args, 1)?;
    if check {
        skip_unexpected(&mut scenarios);
    }
    let expected: usize = scenarios
        .iter()
        .map(|s| {
            let v = s.variant.as_ref().map(|v| v.name.as_str());
            s.expectations.iter().filter(|e| e.applies_to(v)).count()
        })
        .sum();
    if check && expected == 0 {
        return Err(Refused::bad_input(
            "no [[expect]] in these scenarios: nothing to check (see the README's `archsim check`)",
        ));
    }
    // The results folder is checked and locked before anything runs: a mistake in `--out`
    // costs nothing, and a second run into the same folder is told at once. A check without
    // `--out` writes into a scratch folder, gone when it ends.
    let scratch = match (out, check) {
        (None, true) => match tempfile::Builder::new().prefix("archsim-check-").tempdir() {
            Ok(d) => Some(d),
            Err(e) => {
                return Err(Refused::new(
                    FAILED,
                    vec![format!("error: cannot make a scratch folder: {e}")],
                ))
            }
        },
        _ => None,
    };
    let out_path = match (out, &scratch) {
        (Some(o), _) => o.clone(),
        (None, Some(d)) => d.path().to_path_buf(),
        (None, None) => PathBuf::from("results"),
    };
    let out = sweep::OutDir::open(&out_path).map_err(|e| Refused::bad_input(&e))?;
    out.check_scenario_places(&scenarios)
        .map_err(|e| Refused::bad_input(&e))?;
    let total: usize = scenarios.iter().map(|s| s.seeds as usize).sum();
    let simulated = sweep::simulated_total(&scenarios);
    let (bar, progress) = progress_bar(total, Some(simulated), quiet);
    let covered = Arc::new(AtomicU64::new(0));
    let options = sweep::RunOptions {
        threads: threads.map(|t| t as usize),
        max_events: *max_events,
        covered: bar.is_some().then(|| covered.clone()),
    };
    // Each file's folder is drawn and staged as soon as its seeds end, beside the other
    // simulations; nothing is put in place before the whole run has succeeded.
    let drawings = args.drawings();
    let ran = follow(bar.as_ref(), &covered, || {
        sweep::run_and_stage(&out, &scenarios, &options, drawings, &*progress)
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let sweep::Ran { outcomes, staged } = ran.map_err(|failures| {
        Refused::new(
            FAILED,
            failures
                .into_iter()
                .map(|(name, e)| format!("error: scenario {name}, {e}"))
                .collect(),
        )
    })?;
    publish(
        &out,
        &outcomes,
        staged,
        &scenarios,
        quiet,
        scratch.is_some(),
        drawings,
    )?;
    Ok(Ran {
        scenarios,
        outcomes,
        expected,
    })
}

/// Prints what a run found and puts its staged folders (`staged`, one per file, in order) and
/// its index in place under `out`.
fn publish(
    out: &sweep::OutDir,
    outcomes: &[sweep::ScenarioOutcome],
    staged: Vec<std::io::Result<sweep::Staged>>,
    scenarios: &[scenario::Scenario],
    quiet: bool,
    scratch: bool,
    drawings: sweep::Drawings,
) -> Result<(), Refused> {
    if !quiet {
        for o in outcomes {
            say!("{}", report::text_summary(&o.summary));
        }
    }
    let written = sweep::commit_all(out, staged).context("writing the results");
    match written {
        Ok(dirs) => {
            if !quiet {
                for (dir, range) in dirs.iter().zip(sweep::files_of(scenarios)) {
                    // An experiment's comparison, in a few lines, after its variants.
                    if scenarios[range.start].variant.is_some() {
                        let summaries: Vec<_> = outcomes[range.clone()]
                            .iter()
                            .map(|o| o.summary.clone())
                            .collect();
                        say_part!(
                            "{}",
                            report::experiment::terminal(&scenarios[range.start].name, &summaries)
                        );
                    }
                    say!("-> {}\n", printable(&dir.display().to_string()));
                }
            }
        }
        Err(e) => {
            return Err(Refused::new(
                FAILED,
                vec![format!("error: {}", printable(&format!("{e:#}")))],
            ))
        }
    }
    let mut names: Vec<String> = outcomes.iter().map(|o| o.name.clone()).collect();
    names.dedup();
    match sweep::write_index(out, &names, drawings.plots) {
        Ok(index) => {
            if !quiet {
                if !drawings.plots && !scratch {
                    say!(
                        "plots not drawn (--no-plots): `archsim plot {}` draws the charts from the saved series; the diagram's PNG, the service map and the trace waterfall need a run with plots",
                        printable(&out.path().display().to_string())
                    );
                }
                if scratch {
                    say!("results written to a scratch folder, removed when the check ends (give --out DIR to keep them)");
                } else {
                    say!("report: {}", printable(&index.display().to_string()));
                }
            }
            Ok(())
        }
        Err(e) => Err(Refused::new(
            FAILED,
            vec![format!(
                "error: writing the index of {}: {}",
                printable(&out.path().display().to_string()),
                printable(&e.to_string())
            )],
        )),
    }
}

/// Writes `check`'s verdict files that were asked for; a failure is said on standard error.
fn write_verdicts(outputs: &CheckOutputs<'_>, junit: String, json: String) -> bool {
    for (path, text) in [(outputs.junit, junit), (outputs.json, json)] {
        if let Some(path) = path {
            if let Err(e) = sweep::write_atomic(path, text.as_bytes()) {
                eprintln!(
                    "error: writing {}: {}",
                    printable(&path.display().to_string()),
                    printable(&e.to_string())
                );
                return false;
            }
        }
    }
    true
}

/// `archsim check`'s last word: every failed expectation where it was written, a count, and
/// the exit status.
fn verdict(
    outcomes: &[sweep::ScenarioOutcome],
    scenarios: &[scenario::Scenario],
    expected: usize,
    outputs: &CheckOutputs<'_>,
) -> ExitCode {
    let records: Vec<report::verdicts::Record<'_>> = outcomes
        .iter()
        .zip(scenarios)
        .flat_map(|(o, sc)| {
            o.verdicts.iter().map(move |v| report::verdicts::Record {
                scenario: &sc.name,
                variant: sc.variant.as_ref().map(|v| v.name.as_str()),
                file: sc.file.display().to_string(),
                verdict: v,
            })
        })
        .collect();
    let failed = records.iter().filter(|r| !r.verdict.pass).count();
    for r in records.iter().filter(|r| !r.verdict.pass) {
        say!("{}", archsim::text::one_line(&r.message()));
    }
    if !write_verdicts(
        outputs,
        report::verdicts::junit(&records),
        report::summary_json(&report::verdicts::json(&records)),
    ) {
        // Not 1, which says an expectation failed: a CI job must not read this as a verdict.
        return ExitCode::from(BAD_INPUT);
    }
    let held = expected - failed;
    let mut names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    names.dedup();
    say!(
        "check: {held} of {expected} expectation{} held in {} scenario{}",
        if expected == 1 { "" } else { "s" },
        names.len(),
        if names.len() == 1 { "" } else { "s" }
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn plot(dir: &std::path::Path) -> ExitCode {
    let shown = printable(&dir.display().to_string()).into_owned();
    if !dir.is_dir() {
        eprintln!("error: {shown}: no such results folder");
        return ExitCode::from(BAD_INPUT);
    }
    // A scenario's own folder is redrawn alone; a results folder, with all its scenarios and
    // its index.
    let single = dir.join("summary.json").is_file();
    let (root, name) = match (single, dir.parent(), dir.file_name()) {
        (true, Some(parent), Some(name)) => (
            if parent.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                parent
            },
            Some(name.to_string_lossy().into_owned()),
        ),
        _ => (dir, None),
    };
    let out = match sweep::OutDir::open(root) {
        Ok(o) => o,
        Err(e) => return bad_input(&e),
    };
    let result = match name {
        Some(name) => sweep::replot(&out, &name).map(|_| dir.join("report.html")),
        None => sweep::result_dirs(&out).and_then(|names| {
            if names.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no scenario results (summary.json) in it",
                ));
            }
            names.iter().try_for_each(|n| sweep::replot(&out, n))?;
            sweep::write_index(&out, &names, true)
        }),
    };
    match result {
        Ok(page) => {
            say!("report: {}", printable(&page.display().to_string()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {shown}: {}", printable(&e.to_string()));
            ExitCode::from(BAD_INPUT)
        }
    }
}
