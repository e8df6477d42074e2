//! What-if experiments: variants and sweeps see the same arrivals for a seed (common random
//! numbers), their paired differences match queueing theory, overrides are validated where
//! they are written, and the outputs of an experiment are what the README promises.

use crate::queueing::erlang_c;
use crate::{archsim, archsim_ok, output_text, Edit};
use archsim::metrics::compare::paired;
use archsim::scenario;
use archsim::sweep;
use std::path::Path;

/// A web tier of `servers` exponential servers (100 ms) at 30 requests/s, calling a
/// database half of the time.
const BASE: &str = r#"[scenario]
name = "exp"
duration = "30m"
warmup = "1m"
seeds = 10
window = "10s"
[network]
same_az = "0s"
cross_az = "0s"
[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 30 }
[[component]]
id = "web"
kind = "service"
servers = 4
service_time = { dist = "exponential", mean = "100ms" }
"#;

fn all(text: &str) -> Vec<archsim::scenario::Scenario> {
    scenario::parse_all(Path::new("exp.toml"), text, &Default::default(), &[])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The problems parsing `text` (as exp.toml) finds: it must be refused.
fn refused(text: &str) -> String {
    scenario::parse_all(Path::new("exp.toml"), text, &Default::default(), &[])
        .unwrap_err()
        .to_string()
}

fn run(scenarios: &[archsim::scenario::Scenario]) -> Vec<sweep::ScenarioOutcome> {
    sweep::run_all(scenarios, &crate::on_threads(2), &|_| {})
        .unwrap_or_else(|f| panic!("{}", f[0].1))
}

#[test]
fn variants_see_the_same_arrivals_and_a_no_op_variant_changes_nothing() {
    let text = format!(
        "{BASE}[[variant]]\nname = \"five\"\nset = {{ \"web.servers\" = 5 }}\n[[variant]]\nname = \"same\"\nset = {{ \"web.servers\" = 4 }}\n"
    );
    let sc = all(&text);
    assert_eq!(sc.len(), 3);
    let names: Vec<&str> = sc
        .iter()
        .map(|s| s.variant.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["baseline", "five", "same"]);
    let out = run(&sc);
    // The same requests arrive, seed by seed, whatever serves them.
    for path in ["requests.total", "components.web.arrivals"] {
        assert_eq!(
            crate::per_seed(&out[0].summary, path),
            crate::per_seed(&out[1].summary, path),
            "{path}"
        );
    }
    // A variant that sets what is already there is the baseline, to the bit.
    let strip = |s: &serde_json::Value| {
        let mut s = s.clone();
        for k in ["variant", "set", "swept", "variant_description", "kernel"] {
            s.as_object_mut().unwrap().remove(k);
        }
        s
    };
    assert_eq!(strip(&out[0].summary), strip(&out[2].summary));
}

#[test]
fn a_variant_that_changes_the_clients_retries_sees_the_same_arrivals() {
    // Retries with full jitter draw their waits, and each attempt its network delays, at
    // random: drawn from the arrivals' stream, they would shift every later arrival, and a
    // variant without retries would see other requests. A throttle (100/s, 20 % of 125/s
    // refused with 429) makes retries happen; the requests must be the same seed by seed.
    let text = r#"[scenario]
name = "retry-crn"
duration = "2m"
warmup = "10s"
seeds = 3
[[workload]]
name = "clients"
target = "api"
arrival = { process = "poisson", rate = 125 }
latency = { dist = "exponential", mean = "2ms" }
retry = { attempts = 3, base = "100ms", cap = "1s", jitter = "full", on = [429] }
[[component]]
id = "api"
kind = "api_gateway"
target = "fn"
throttle = { rate = 100, burst = 10 }
[[component]]
id = "fn"
kind = "service"
servers = 50
service_time = "10ms"
[[variant]]
name = "no-retries"
set = { "clients.retry.attempts" = 1 }
"#;
    let out = run(&all(text));
    let retries = crate::per_seed(&out[0].summary, "requests.retries");
    assert!(retries.iter().all(|&r| r > 100.0), "{retries:?}");
    assert_eq!(
        crate::per_seed(&out[0].summary, "requests.total"),
        crate::per_seed(&out[1].summary, "requests.total")
    );
}

#[test]
fn the_paired_interval_holds_the_analytic_difference_of_m_m_4_and_m_m_5() {
    // λ = 30/s, μ = 10/s, a = 3: the mean response is 1/μ + C(c, a) / (cμ − λ).
    // M/M/4: 100 + 0.50943 / 10 s = 150.94 ms; M/M/5: 100 + 0.23615 / 20 s = 111.81 ms; the
    // fifth server takes 39.13 ms off. Paired by seed (the same arrivals), ten seeds of 29
    // measured minutes give an interval a few ms wide, which must hold it.
    let w = |c: u32| 1000.0 * (0.1 + erlang_c(c, 3.0) / (f64::from(c) * 10.0 - 30.0));
    let analytic = w(5) - w(4);
    assert!((analytic + 39.13).abs() < 0.01, "{analytic}");
    let text = format!("{BASE}[[variant]]\nname = \"five\"\nset = {{ \"web.servers\" = 5 }}\n");
    let out = run(&all(&text));
    let d = paired(
        &out[0].summary,
        &out[1].summary,
        "components.web.response_ms.mean",
    )
    .unwrap();
    assert_eq!(d.n, 10);
    assert!(
        d.lo <= analytic && analytic <= d.hi,
        "the 95 % interval [{:.2}, {:.2}] does not hold {analytic:.2}",
        d.lo,
        d.hi
    );
    assert!(d.hi - d.lo < 6.0, "too wide to say much: {d:?}");
    // Pairing is what makes it narrow: the same difference between independent runs of ten
    // seeds would be several times wider.
    assert!(d.excludes_zero());
}

#[test]
fn a_sweep_is_a_grid_or_a_zip_of_values_each_point_a_variant() {
    let grid = all(&format!(
        "{BASE}[sweep]\n\"web.servers\" = [4, 5]\n\"users.arrival.rate\" = {{ from = 10, to = 30, steps = 3 }}\n"
    ));
    let names: Vec<String> = grid
        .iter()
        .map(|s| s.variant.as_ref().unwrap().name.clone())
        .collect();
    // Paths in name order: users.arrival.rate, then web.servers.
    assert_eq!(
        names,
        [
            "baseline",
            "rate-10_servers-4",
            "rate-10_servers-5",
            "rate-20_servers-4",
            "rate-20_servers-5",
            "rate-30_servers-4",
            "rate-30_servers-5"
        ]
    );
    let five = &grid[2];
    assert_eq!(
        five.variant.as_ref().unwrap().set,
        vec![
            (
                "users.arrival.rate".to_string(),
                "10".to_string(),
                Some(10.0)
            ),
            ("web.servers".to_string(), "5".to_string(), Some(5.0))
        ]
    );
    let zip = all(&format!(
        "{BASE}[sweep]\nzip = true\n\"web.servers\" = [4, 5, 6]\n\"users.arrival.rate\" = [20, 25, 30]\n"
    ));
    assert_eq!(zip.len(), 4, "three points and the baseline");
    // A log range: 10, 100, 1000.
    let log = all(&format!(
        "{BASE}[sweep]\n\"users.arrival.rate\" = {{ from = 10, to = 1000, steps = 3, scale = \"log\" }}\n"
    ));
    let rates: Vec<Option<f64>> = log[1..]
        .iter()
        .map(|s| s.variant.as_ref().unwrap().set[0].2)
        .collect();
    assert_eq!(rates, [Some(10.0), Some(100.0), Some(1000.0)]);
}

/// A range's ends written as whole numbers give whole numbers (a count), each once, and a
/// warning when rounding leaves fewer points than its steps; ends written with a decimal
/// point give the fractions between them (`0.0` to `1.0` in 11 steps had been rounded to
/// 0 and 1, silently).
#[test]
fn a_ranges_ends_say_whether_its_points_are_whole() {
    let rates = |range: &str| -> Vec<f64> {
        all(&format!(
            "{BASE}[sweep]\n\"users.arrival.rate\" = {range}\n"
        ))[1..]
            .iter()
            .map(|s| s.variant.as_ref().unwrap().set[0].2.unwrap())
            .collect()
    };
    let tenths = rates("{ from = 0.5, to = 1.5, steps = 11 }");
    assert_eq!(tenths.len(), 11);
    assert!((tenths[1] - 0.6).abs() < 1e-9, "{tenths:?}");
    assert_eq!(
        rates("{ from = 10.0, to = 12, steps = 5 }"),
        [10.0, 10.5, 11.0, 11.5, 12.0]
    );
    assert_eq!(
        rates("{ from = 10, to = 12, steps = 5 }"),
        [10.0, 11.0, 12.0]
    );
    let text =
        format!("{BASE}[sweep]\n\"users.arrival.rate\" = {{ from = 10, to = 12, steps = 5 }}\n");
    let warned = crate::located_warnings(&text);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("its points are too: 3 whole numbers, not 5 steps")),
        "{warned:?}"
    );
    let text =
        format!("{BASE}[sweep]\n\"users.arrival.rate\" = {{ from = 10, to = 30, steps = 3 }}\n");
    assert!(crate::located_warnings(&text).is_empty());
}

#[test]
fn overrides_are_validated_where_they_are_written() {
    let text = format!(
        "{BASE}[[variant]]\nname = \"bad\"\nset = {{ \"web.servers\" = -2, \"web.servrs\" = 1 }}\n"
    );
    let e = refused(&text);
    assert!(
        e.contains("exp.toml:21:25: variant \"bad\": `servers` must be a whole number"),
        "{e}"
    );
    assert!(
        e.contains("unknown key `servrs` (did you mean `servers`?)"),
        "{e}"
    );
}

#[test]
fn a_run_an_override_shortens_leaves_out_what_would_come_later_and_says_so() {
    // A smoke run in CI shortens a scenario with --set scenario.duration: the steps, spikes
    // and faults past its new end are left out, each with a warning, not refused; in the
    // file's own duration they are mistakes, and refused.
    let text = BASE
        .edit("duration = \"30m\"", "duration = \"10m\"")
        .edit(
            "arrival = { process = \"poisson\", rate = 30 }",
            "arrival = { process = \"step\", steps = [[\"0s\", 20], [\"5m\", 30]] }",
        )
        + "[[workload]]\nname = \"burst\"\ntarget = \"web\"\narrival = { process = \"spike\", base = 1, peak = 20, at = \"6m\", for = \"1m\" }\n[[fault]]\nat = \"8m\"\nfor = \"1m\"\nkind = \"latency_injection\"\ntarget = \"web\"\nadd = \"50ms\"\n";
    let short = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        scenario::parse_all(Path::new("exp.toml"), &text, &Default::default(), &sets)
    };
    let all = short(&["scenario.duration=4m"]).unwrap_or_else(|e| panic!("{e}"));
    let sc = &all[0];
    assert_eq!(sc.duration.as_secs_f64(), 240.0);
    assert!(sc.faults.is_empty(), "the fault at 8m is left out");
    let steps = |i: usize| match &sc.workloads[i].arrival {
        archsim::workload::Arrival::Varying(archsim::workload::RateProfile::Steps(s)) => s.to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(steps(0), vec![(archsim::kernel::SimTime::ZERO, 20.0)]);
    assert_eq!(steps(1), vec![(archsim::kernel::SimTime::ZERO, 1.0)]);
    let said: Vec<String> = sc
        .warnings
        .iter()
        .map(|w| format!("{}:{} {}", w.line, w.column, w.message))
        .collect();
    let by = "which --set scenario.duration=4m sets";
    for (at, what) in [
        (
            "13:",
            "this step starts at 300s, not before the end of the run (240s, ",
        ),
        (
            "22:",
            "`arrival.at` (360s) is not before the end of the run (240s, ",
        ),
        (
            "24:",
            "`at` (480s) is not before the end of the run (240s, ",
        ),
    ] {
        assert!(
            said.iter()
                .any(|w| w.starts_with(at) && w.contains(what) && w.contains(by)),
            "{what}: {said:?}"
        );
    }
    // What comes before the new end stays: a fault at 3m in a run of 4m.
    let all = short(&["scenario.duration=4m", "fault.0.at=3m"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all[0].faults.len(), 1);
    // A variant that shortens the run leaves them out of its own run alone.
    let with_variant = format!(
        "{text}[[variant]]\nname = \"short\"\nset = {{ \"scenario.duration\" = \"4m\" }}\n"
    );
    let all = scenario::parse_all(
        Path::new("exp.toml"),
        &with_variant,
        &Default::default(),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((all[0].faults.len(), all[1].faults.len()), (1, 0));
    assert!(
        all[0].warnings.iter().any(|w| w
            .message
            .starts_with("variant \"short\": `at` (480s) is not before the end of the run (240s, which this variant sets)")),
        "{:?}",
        all[0].warnings
    );
    // The file's own duration: each is a mistake in the file.
    let e = refused(&text.edit("duration = \"10m\"", "duration = \"4m\""));
    for what in [
        "this step starts at 300s, not before the end of the run (240s): it would never come",
        "the spike would never come",
        "24:6: `at` (480s) is not before the end of the run (240s)",
    ] {
        assert!(e.contains(what), "{what}: {e}");
    }
    // Without its spike a workload with no base sends nothing: refused, even so; so is one
    // whose only steps above zero are left out.
    let e = short(&["scenario.duration=4m", "burst.arrival.base=0"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("without its spike this arrival sends no requests"),
        "{e}"
    );
    let e = short(&[
        "scenario.duration=4m",
        "users.arrival.steps=[[\"0s\", 0], [\"5m\", 30]]",
    ])
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("without the steps this shorter run leaves out, this arrival sends no requests"),
        "{e}"
    );
    // A step left out still orders the ones after it.
    let e = short(&[
        "scenario.duration=4m",
        "users.arrival.steps=[[\"0s\", 20], [\"5m\", 30], [\"3m\", 10]]",
    ])
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`arrival.steps` times must increase: 180s follows 300s"),
        "{e}"
    );
    // A time past the file's own end stays the file's mistake, whatever end an override
    // gives.
    let late = text.edit("at = \"8m\"", "at = \"12m\"");
    for set in ["scenario.duration=4m", "scenario.duration=10m"] {
        let e = scenario::parse_all(
            Path::new("exp.toml"),
            &late,
            &Default::default(),
            &[set.to_string()],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`at` (720s) is not before the end of the run ("),
            "{set}: {e}"
        );
    }
}

#[test]
fn set_on_the_command_line_overrides_and_is_named_in_its_errors() {
    let home = tempfile::tempdir().unwrap();
    let short = BASE
        .edit("duration = \"30m\"", "duration = \"2m\"")
        .edit("seeds = 10", "seeds = 2");
    std::fs::write(home.path().join("exp.toml"), &short).unwrap();
    let o = archsim(
        &[
            "validate",
            "exp.toml",
            "--set",
            "web.servers=0",
            "--set",
            "web.service_time=fast",
        ],
        home.path(),
    );
    let text = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--set web.servers=0: `servers` must be a whole number"),
        "{text}"
    );
    assert!(
        text.contains("--set web.service_time=fast: `service_time`"),
        "{text}"
    );
    // Problems named at their --set need no note that a set value may conflict with the file.
    assert!(!text.contains("may conflict"), "{text}");
    // A mistake inside a table a --set writes is the --set's too, not a place in the file.
    let set = "users.arrival={ process = \"poisson\", rate = \"fast\" }";
    let e = scenario::parse_all(
        Path::new("exp.toml"),
        &short,
        &Default::default(),
        &[set.to_string()],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.lines()
            .any(|l| l.starts_with(&format!("--set {set}: `arrival.rate`: wrong type"))),
        "{e}"
    );
    // A duration without its unit: on the command line it needs a unit, not quotes.
    let o = archsim(
        &["validate", "exp.toml", "--set", "users.timeout=5"],
        home.path(),
    );
    let text = String::from_utf8_lossy(&o.stderr);
    assert!(
        text.contains("--set users.timeout=5: `timeout`: wrong type: integer `5`; a duration is written with its unit, such as 10s or 250ms (on the command line it needs no quotes)"),
        "{text}"
    );
    // A set value that conflicts with one the file holds is found at the file's; the
    // message then says which sets were given.
    let o = archsim(
        &["validate", "exp.toml", "--set", "scenario.duration=30s"],
        home.path(),
    );
    let text = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("exp.toml:4:10: `warmup` (60s) must be shorter than `duration` (30s)")
            && text.contains("note: read with --set scenario.duration=30s: a value set there"),
        "{text}"
    );
    archsim_ok(
        &[
            "run",
            "exp.toml",
            "--out",
            "o",
            "-q",
            "--set",
            "scenario.duration=90s",
        ],
        home.path(),
    );
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("o/exp/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(s["duration_s"], 90.0);
    // The folder says its results are not the file's as written.
    assert_eq!(s["overrides"], serde_json::json!(["scenario.duration=90s"]));
    let page = std::fs::read_to_string(home.path().join("o/exp/report.html")).unwrap();
    assert!(
        page.contains("run with <code>--set scenario.duration=90s</code>"),
        "{page}"
    );
    // With variants, the baseline is no longer described as the scenario as written.
    std::fs::write(
        home.path().join("exp.toml"),
        format!("{short}[[variant]]\nname = \"five\"\nset = {{ \"web.servers\" = 5 }}\n"),
    )
    .unwrap();
    archsim_ok(
        &[
            "run",
            "exp.toml",
            "--out",
            "v",
            "-q",
            "--set",
            "scenario.duration=90s",
        ],
        home.path(),
    );
    let base: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("v/exp/baseline/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        base["variant_description"],
        "the scenario as written, with --set scenario.duration=90s"
    );
    let five = std::fs::read_to_string(home.path().join("v/exp/five/summary.json")).unwrap();
    assert!(
        five.contains("\"overrides\": [\n    \"scenario.duration=90s\""),
        "{five}"
    );
    let page = std::fs::read_to_string(home.path().join("v/exp/report.html")).unwrap();
    assert!(
        page.contains("<b>Changed on the command line:</b>"),
        "{page}"
    );
}

#[test]
fn an_experiment_writes_its_variants_sweep_files_and_comparison() {
    let home = tempfile::tempdir().unwrap();
    let short = BASE
        .edit("duration = \"30m\"", "duration = \"3m\"")
        .edit("seeds = 10", "seeds = 3");
    let text = format!("{short}[sweep]\n\"web.servers\" = [4, 5, 6]\n");
    std::fs::write(home.path().join("exp.toml"), &text).unwrap();
    let o = archsim_ok(&["run", "exp.toml", "--out", "o"], home.path());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("== exp : 4 variants against baseline"),
        "{stdout}"
    );
    let dir = home.path().join("o/exp");
    for f in [
        "report.html",
        "sweep.csv",
        "sweep.json",
        "sweep-latency-ms-p99.svg",
        "baseline/summary.json",
        "servers-6/report.html",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    assert!(
        csv.starts_with("variant,web.servers,seed,metric,value\n"),
        "{csv}"
    );
    // 4 variants × 3 seeds × 5 headline metrics (cost is 0, still a row).
    assert_eq!(csv.lines().count(), 1 + 4 * 3 * 5);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["swept"], serde_json::json!(["web.servers"]));
    let six = &json["variants"][3];
    assert_eq!(six["name"], "servers-6");
    assert!(six["vs_baseline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["metric"] == "latency_ms.p99"));
    // The experiment's page says its figures are means of the seeds' own, not the pooled
    // figures of each variant's page.
    let experiment = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        experiment.contains("the mean of the seeds' own values"),
        "{experiment}"
    );
    // The variant's page links back to the experiment and the index; the index to the
    // experiment.
    let page = std::fs::read_to_string(dir.join("servers-6/report.html")).unwrap();
    assert!(page.contains("href=\"../report.html\"") && page.contains("href=\"../../index.html\""));
    let index = std::fs::read_to_string(home.path().join("o/index.html")).unwrap();
    assert!(index.contains("href=\"./exp/report.html\""), "{index}");
    // …and lists each variant with its own line and link.
    for v in ["baseline", "servers-4", "servers-5", "servers-6"] {
        assert!(
            index.contains(&format!("href=\"./exp/{v}/report.html\">{v}</a>")),
            "{v}: {index}"
        );
    }
    // `plot` redraws it all from the saved files.
    std::fs::remove_file(dir.join("report.html")).unwrap();
    std::fs::remove_file(dir.join("servers-6/report.html")).unwrap();
    archsim_ok(&["plot", "o"], home.path());
    assert!(dir.join("report.html").is_file() && dir.join("servers-6/report.html").is_file());
}

#[test]
fn an_experiment_compares_its_variants_on_the_numbers_the_scenario_names() {
    // Four, five and six servers of 100 ms at 30 requests/s: utilisation 3/4, 3/5 and 1/2,
    // a number no headline shows.
    let home = tempfile::tempdir().unwrap();
    let short = BASE
        .edit("duration = \"30m\"", "duration = \"3m\"")
        .edit("seeds = 10", "seeds = 3")
        .edit(
            "window = \"10s\"\n",
            "window = \"10s\"\ncompare_metrics = [\"components.web.utilisation\", \"components.web.wait_ms.p99\"]\n",
        );
    let text = format!("{short}[sweep]\n\"web.servers\" = [4, 5, 6]\n");
    std::fs::write(home.path().join("exp.toml"), &text).unwrap();
    let o = archsim_ok(&["run", "exp.toml", "--out", "o"], home.path());
    let stdout = String::from_utf8_lossy(&o.stdout);
    // The terminal puts them in a table of their own under the headlines'.
    let header = stdout
        .lines()
        .find(|l| l.contains("web.utilisation"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        header.contains("web.wait_ms.p99") && !header.contains("latency"),
        "{header}"
    );
    let dir = home.path().join("o/exp");
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    // 4 variants × 3 seeds × (5 headlines + 2 of the scenario's own).
    assert_eq!(csv.lines().count(), 1 + 4 * 3 * 7, "{csv}");
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains(",components.web.utilisation,"))
            .count(),
        4 * 3
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    let six = &json["variants"][3];
    assert_eq!(six["name"], "servers-6");
    let u = six["metrics"]["components.web.utilisation"]["mean"]
        .as_f64()
        .unwrap();
    assert!((u - 0.5).abs() < 0.03, "utilisation of six servers {u}");
    let d = six["vs_baseline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["metric"] == "components.web.utilisation")
        .expect("a paired difference of the scenario's number");
    let diff = d["difference"].as_f64().unwrap();
    assert!((diff + 0.25).abs() < 0.03, "0.5 − 0.75, got {diff}");
    assert_eq!(d["excludes_zero"], true);
    // Charted against the swept parameter, and on the page in tables of their own.
    assert!(dir.join("sweep-components-web-utilisation.svg").is_file());
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        page.contains("<th>web.utilisation [share, 0–1]</th>")
            && page.contains("<th>Δ web.wait_ms.p99 [ms]</th>"),
        "{page}"
    );
}

#[test]
fn two_numbers_whose_paths_make_one_file_name_get_a_chart_each() {
    // `a-b` and `a_b` both make `a-b` in a file name: the second chart is numbered, and the
    // run writes both (it once failed whole on the second file). A path with a comma is
    // quoted in sweep.csv.
    let home = tempfile::tempdir().unwrap();
    let text = r#"[scenario]
name = "coll"
duration = "1m"
seeds = 2
compare_metrics = ["components.a-b.utilisation", "components.a_b.utilisation"]
[[workload]]
name = "users"
target = "a-b"
arrival = { process = "poisson", rate = 30 }
[[component]]
id = "a-b"
kind = "service"
servers = 4
service_time = { dist = "exponential", mean = "100ms" }
calls = [ { to = "a_b" } ]
[[component]]
id = "a_b"
kind = "service"
servers = 8
service_time = { dist = "exponential", mean = "100ms" }
[sweep]
"users.arrival.rate" = [10, 20]
"#;
    std::fs::write(home.path().join("coll.toml"), text).unwrap();
    archsim_ok(&["run", "coll.toml", "--out", "o", "-q"], home.path());
    let dir = home.path().join("o/coll");
    for f in [
        "sweep-components-a-b-utilisation.svg",
        "sweep-components-a-b-utilisation-2.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn diff_passes_the_same_results_and_fails_a_headline_that_moved() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = BASE
        .replace("duration = \"30m\"", "duration = \"5m\"")
        .replace("seeds = 10", "seeds = 5")
        + "[[variant]]\nname = \"five\"\nset = { \"web.servers\" = 5 }\n";
    std::fs::write(d.join("exp.toml"), text).unwrap();
    std::fs::write(
        d.join("plain.toml"),
        BASE.replace("name = \"exp\"", "name = \"plain\"")
            .replace("30m", "5m"),
    )
    .unwrap();
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec!["run", "exp.toml", "plain.toml", "--out", out, "-q"];
        args.extend_from_slice(extra);
        archsim_ok(&args, d);
    };
    run("a", &[]);
    run("b", &[]);
    // The same scenarios and seeds: every difference is exactly zero.
    let same = archsim(&["diff", "a", "b", "--json", "same.json"], d);
    let text = String::from_utf8_lossy(&same.stdout);
    assert_eq!(same.status.code(), Some(0), "{text}");
    assert!(
        text.contains("exp/five: no headline moved (5 seeds paired)\n"),
        "{text}"
    );
    // What was compared is shown, though nothing moved: every figure and its interval.
    let figures = text
        .lines()
        .skip_while(|l| !l.starts_with("exp/five:"))
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    for want in [
        "p50 ms ",
        "p99 ms ",
        "errors ",
        "req/s ",
        "$/seed ",
        " → ",
        " Δ∈[0.0, 0.0]",
    ] {
        assert!(figures.contains(want), "{want:?} missing from {figures:?}");
    }
    assert!(
        text.contains("diff: 0 of 3 runs compared (2 scenarios) moved beyond their intervals\n"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("same.json")).unwrap()).unwrap();
    assert_eq!(json["moved"], false);
    // Each difference gives the two folders' figures, as before and after.
    let five = json["scenarios"]
        .as_array()
        .and_then(|l| l.iter().find(|r| r["variant"] == "five"))
        .unwrap_or_else(|| panic!("{json}"));
    let p99 = &five["differences"][1];
    assert_eq!(p99["metric"], "latency_ms.p99", "{five}");
    assert!(p99["before"].as_f64().is_some_and(|x| x > 0.0), "{p99}");
    assert_eq!(p99["before"], p99["after"], "{p99}");
    assert_eq!(p99["difference"], 0.0, "{p99}");
    assert!(
        p99.get("baseline").is_none() && p99.get("variant").is_none(),
        "{p99}"
    );
    // A fifth server everywhere: p99 falls, paired over the same seeds, beyond its interval.
    run("c", &["--set", "web.servers=5"]);
    let moved = archsim(&["diff", "a", "c"], d);
    let text = String::from_utf8_lossy(&moved.stdout);
    assert_eq!(moved.status.code(), Some(1), "{text}");
    assert!(text.contains("plain: MOVED"), "{text}");
    assert!(text.contains("exp/baseline: MOVED"), "{text}");
    // Each run says it was run with another override.
    assert!(
        text.contains("plain: MOVED\n  note: run with other --set overrides: none before, web.servers=5 after\n"),
        "{text}"
    );
    // Fewer seeds and a shorter measured period: said, with the seeds left out.
    run("e", &["--seeds", "3", "--set", "scenario.duration=4m"]);
    let shorter = archsim(&["diff", "c", "e"], d);
    let shorter = String::from_utf8_lossy(&shorter.stdout);
    for want in [
        "note: paired on the 3 seeds both ran: 2 seeds of the first folder left out, so a figure is not that folder's whole result",
        "note: measured periods differ (240.0 s → 180.0 s): a cost or a count is of its period, so theirs differ for that alone",
    ] {
        assert!(shorter.contains(want), "{want:?} missing from {shorter}");
    }
    // exp/five had five servers already: the override changes nothing there.
    assert!(text.contains("exp/five: no headline moved"), "{text}");
    let p99 = text
        .lines()
        .find(|l| l.contains("p99 latency") && l.contains("moved"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(p99.contains("5 seeds paired"), "{p99}");
    // Not results folders.
    let bad = archsim(&["diff", "a", "nowhere"], d);
    assert_eq!(bad.status.code(), Some(2));
    std::fs::create_dir(d.join("empty")).unwrap();
    let bad = archsim(&["diff", "a", "empty"], d);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no scenario results"));
    // One scenario's folder, or an experiment's, stands for itself.
    for (x, y, names) in [
        ("a/plain", "c/plain", "plain: MOVED"),
        ("a/exp", "b/exp", "exp/five: no headline moved"),
    ] {
        let one = archsim(&["diff", x, y], d);
        let text = String::from_utf8_lossy(&one.stdout);
        assert!(text.contains(names), "{x} {y}: {text}");
    }
    // A scenario gone from the second folder (removed, or broken on the branch) fails the
    // gate though nothing moved; a new one is said, and passes.
    archsim_ok(&["run", "plain.toml", "--out", "d", "-q"], d);
    let gone = archsim(&["diff", "a", "d", "--json", "gone.json"], d);
    let text = String::from_utf8_lossy(&gone.stdout);
    assert_eq!(gone.status.code(), Some(1), "{text}");
    assert!(text.contains("plain: no headline moved"), "{text}");
    assert!(
        text.contains("MISSING from the second folder (removed, renamed, or it failed to run): exp/baseline, exp/five\n"),
        "{text}"
    );
    // The last line counts them beside the runs compared.
    assert!(
        text.contains("diff: 0 of 1 run compared (1 scenario) moved beyond its intervals; 2 runs of the first folder missing from the second\n"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("gone.json")).unwrap()).unwrap();
    assert_eq!(
        (json["pass"].clone(), json["moved"].clone()),
        (false.into(), false.into())
    );
    let new = archsim(&["diff", "d", "a"], d);
    let text = String::from_utf8_lossy(&new.stdout);
    assert_eq!(new.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "new in the second folder, nothing to compare it with: exp/baseline, exp/five\n"
        ),
        "{text}"
    );
    // One seed against five: paired on seed 1, which is the same run, so nothing moved.
    run("one", &["--seeds", "1"]);
    let paired = archsim(&["diff", "one/plain", "a/plain"], d);
    let text = String::from_utf8_lossy(&paired.stdout);
    assert_eq!(paired.status.code(), Some(0), "{text}");
    // A comparison that cannot be written is not a verdict (1): 2, naming the file.
    let unwritable = archsim(&["diff", "a", "b", "--json", "nowhere/x.json"], d);
    let err = String::from_utf8_lossy(&unwritable.stderr);
    assert_eq!(unwritable.status.code(), Some(2), "{err}");
    assert!(
        err.contains("writing nowhere/x.json: cannot write into nowhere: No such file")
            && !err.contains("tmp"),
        "{err}"
    );
}

#[test]
fn diff_compares_the_scenarios_own_numbers_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = BASE
        .replace("duration = \"30m\"", "duration = \"5m\"")
        .replace("seeds = 10", "seeds = 5")
        .replace(
            "window = \"10s\"\n",
            "window = \"10s\"\ncompare_metrics = [\"components.web.utilisation\"]\n",
        );
    std::fs::write(d.join("exp.toml"), text).unwrap();
    archsim_ok(&["run", "exp.toml", "--out", "a", "-q"], d);
    archsim_ok(
        &[
            "run",
            "exp.toml",
            "--out",
            "b",
            "-q",
            "--set",
            "web.servers=6",
        ],
        d,
    );
    // Six servers instead of four: utilisation from 3/4 to 1/2, on a line of its own, its
    // name in the column of the headlines' names however long.
    // The same folder against itself: its own numbers held with the headlines.
    let same = archsim(&["diff", "a", "a"], d);
    let text = String::from_utf8_lossy(&same.stdout);
    assert!(text.contains("exp: nothing compared moved ("), "{text}");
    let o = archsim(&["diff", "a", "b", "--json", "diff.json"], d);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("components.web.utilisation"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("moved"), "{line}");
    let p99 = text
        .lines()
        .find(|l| l.trim_start().starts_with("p99 latency"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(line.find(" → "), p99.find(" → "), "{text}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("diff.json")).unwrap()).unwrap();
    assert!(
        json.to_string().contains("components.web.utilisation"),
        "{json}"
    );
}

#[test]
fn diff_compares_a_judged_run_by_the_latency_it_is_judged_by() {
    // Judged by its queue wait: at 90 % busy, four servers against five moves the wait's
    // p99 from hundreds of milliseconds to tens, and that is what the diff reads, names and
    // writes.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = r#"[scenario]
name = "waits"
duration = "10m"
warmup = "10s"
seeds = 5
latency = "components.web.wait_ms"
[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 45 }
[[component]]
id = "web"
kind = "service"
servers = 4
service_time = { dist = "exponential", mean = "80ms" }
"#;
    std::fs::write(d.join("waits.toml"), text).unwrap();
    archsim_ok(&["run", "waits.toml", "--out", "a", "-q"], d);
    archsim_ok(
        &[
            "run",
            "waits.toml",
            "--out",
            "b",
            "-q",
            "--set",
            "web.servers=5",
        ],
        d,
    );
    let o = archsim(&["diff", "a", "b", "--json", "diff.json"], d);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("p99 of web.wait_ms [ms]"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("moved"), "{line}");
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join(p)).unwrap()).unwrap()
    };
    // The figures compared are the means of the seeds' wait p99s, not their clients' p99s.
    let mean = |s: &serde_json::Value, path: &[&str]| {
        let seeds = s["per_seed"].as_array().unwrap();
        seeds
            .iter()
            .map(|x| path.iter().fold(x, |v, k| &v[*k]).as_f64().unwrap())
            .sum::<f64>()
            / seeds.len() as f64
    };
    let (sa, sb) = (read("a/waits/summary.json"), read("b/waits/summary.json"));
    let wait = ["components", "web", "wait_ms", "p99"];
    let json = read("diff.json");
    let run = &json["scenarios"][0];
    assert_eq!(run["latency_compared"], "components.web.wait_ms", "{json}");
    assert_eq!(run["one_sided"], serde_json::json!([]), "{json}");
    let p99 = run["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["metric"] == "latency_ms.p99")
        .unwrap();
    for (side, s) in [("before", &sa), ("after", &sb)] {
        let got = p99[side].as_f64().unwrap();
        assert!((got - mean(s, &wait)).abs() < 1e-9, "{side}: {got} {p99}");
        assert!((got - mean(s, &["latency_ms", "p99"])).abs() > 1.0, "{p99}");
    }
}

#[test]
fn diff_of_many_comparisons_holds_them_together_at_95_percent() {
    // A sweep of nine runs (the baseline and eight rates) × five headlines: 45 comparisons.
    // Run twice on different seeds, nothing changed, at 95 % each one of them would leave
    // zero out by chance (the throughput of rate-25 does with these seeds): one diff, one
    // verdict, so each interval is Bonferroni's, at 1 − 0.05 / 45.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = BASE
        .replace("duration = \"30m\"", "duration = \"3m\"")
        .replace("warmup = \"1m\"", "warmup = \"30s\"")
        .replace("seeds = 10", "seeds = 5")
        + "[sweep]\n\"users.arrival.rate\" = [10, 13, 16, 19, 22, 25, 28, 31]\n";
    std::fs::write(d.join("exp.toml"), text).unwrap();
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec!["run", "exp.toml", "--out", out, "-q", "--no-plots"];
        args.extend_from_slice(extra);
        archsim_ok(&args, d);
    };
    run("a", &[]);
    run("b", &["--set", "scenario.seed=101"]);
    let same = archsim(&["diff", "a", "b", "--json", "same.json"], d);
    let text = String::from_utf8_lossy(&same.stdout);
    assert_eq!(same.status.code(), Some(0), "{text}");
    assert!(
        text.contains("exp/rate-25: no headline moved (seeds unpaired: Welch's interval)\n"),
        "{text}"
    );
    assert!(
        text.starts_with("diff: 45 comparisons with an interval, each at 99.889 % so that all 45 hold together at 95 % (Bonferroni)\n"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("same.json")).unwrap()).unwrap();
    assert_eq!(json["moved"], false);
    assert_eq!(json["comparisons"], 45);
    assert_eq!(json["correction"], "bonferroni");
    let rate25 = &json["scenarios"][6];
    assert_eq!(rate25["variant"], "rate-25");
    let throughput = &rate25["differences"][3];
    assert_eq!(throughput["metric"], "throughput_rps");
    assert_eq!(throughput["paired"], false, "other seeds: Welch's interval");
    let (lo, hi) = (
        throughput["interval"][0].as_f64().unwrap(),
        throughput["interval"][1].as_f64().unwrap(),
    );
    assert!(lo < 0.0 && 0.0 < hi, "{throughput}");
    // A real change, a server fewer on other seeds again, still moves beyond the wider
    // intervals.
    run(
        "c",
        &["--set", "scenario.seed=101", "--set", "web.servers=3"],
    );
    let moved = archsim(&["diff", "a", "c"], d);
    let text = String::from_utf8_lossy(&moved.stdout);
    assert_eq!(moved.status.code(), Some(1), "{text}");
    assert!(text.contains("exp/rate-31: MOVED\n"), "{text}");
    let p50 = text
        .lines()
        .find(|l| l.contains("p50 latency") && l.contains("← moved"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        p50.contains("99.889 % interval") && p50.contains("seeds unpaired"),
        "{p50}"
    );
    // The runs are variants of one scenario, counted as runs.
    assert!(
        text.contains(" of 9 runs compared (1 scenario) moved beyond their intervals\n"),
        "{text}"
    );
}

#[test]
fn a_grid_sweep_charts_each_metric_against_each_parameter_a_line_per_other_value() {
    let short = BASE
        .edit("duration = \"30m\"", "duration = \"3m\"")
        .edit("seeds = 10", "seeds = 2");
    let text =
        format!("{short}[sweep]\n\"web.servers\" = [4, 5, 6]\n\"users.arrival.rate\" = [20, 30]\n");
    let outcomes = run(&all(&text));
    let summaries: Vec<_> = outcomes.iter().map(|o| o.summary.clone()).collect();
    let charts = archsim::report::experiment::charts("exp", &summaries);
    let by = |stem: &str| {
        charts.iter().find(|(s, _)| s == stem).unwrap_or_else(|| {
            panic!(
                "no {stem} in {:?}",
                charts.iter().map(|c| &c.0).collect::<Vec<_>>()
            )
        })
    };
    let (_, servers) = by("sweep-latency-ms-p99-by-web-servers");
    let legends: Vec<&str> = servers.lines.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        legends,
        ["users.arrival.rate = 20", "users.arrival.rate = 30"]
    );
    assert!(servers
        .lines
        .iter()
        .all(|(_, l)| l.iter().map(|p| p.x).eq([4.0, 5.0, 6.0])));
    let (_, rate) = by("sweep-latency-ms-p99-by-users-arrival-rate");
    assert_eq!(rate.lines.len(), 3, "a line for each number of servers");
    assert!(archsim::report::xy::svg(rate).contains("web.servers = 5"));
}

#[test]
fn runs_report_the_simulated_time_they_cover() {
    // A progress display reads the simulated time the runs have covered: two scenarios, of
    // 30 s × 3 seeds and 2 min × 1 seed, cover 3 × 30 s + 120 s = 210 s in all, whatever the
    // threads; a run of many events reports along the way (at its checkpoints) and its
    // drain after the end of arrivals is not counted twice.
    let short = crate::scenario(
        r#"
        [scenario]
        name = "short"
        duration = "30s"
        seeds = 3
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "poisson", rate = 5000 }
        [[component]]
        id = "svc"
        kind = "service"
        servers = 100
        service_time = "1ms"
        "#,
    );
    let long = crate::scenario(
        r#"
        [scenario]
        name = "long"
        duration = "2m"
        [[workload]]
        name = "u"
        target = "svc"
        arrival = { process = "constant", rate = 10 }
        [[component]]
        id = "svc"
        kind = "service"
        service_time = "5s"
        "#,
    );
    let scenarios = vec![short, long];
    let total = sweep::simulated_total(&scenarios);
    assert_eq!(total, 210_000_000_000);
    let covered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let options = sweep::RunOptions {
        covered: Some(covered.clone()),
        ..crate::on_threads(2)
    };
    sweep::run_all(&scenarios, &options, &|_| {}).unwrap_or_else(|_| panic!("runs failed"));
    assert_eq!(covered.load(std::sync::atomic::Ordering::Relaxed), total);
}

#[test]
fn a_load_sweep_of_one_queue_is_charted_against_utilisation_beside_m_m_c() {
    // Four servers of 100 ms (40 requests/s at most) at 10, 20, 30 (the baseline) and 35
    // requests/s: utilisation 25, 50, 75 and 87.5 %. At 30/s M/M/4 gives a mean response of
    // 100 + C(4, 3)/(40 − 30) s = 150.94 ms (the paired test above derives it).
    let short = BASE
        .edit("duration = \"30m\"", "duration = \"10m\"")
        .edit("seeds = 10", "seeds = 3");
    let text = format!("{short}[sweep]\n\"users.arrival.rate\" = [10, 20, 35]\n");
    let outcomes = run(&all(&text));
    let summaries: Vec<_> = outcomes.iter().map(|o| o.summary.clone()).collect();
    let base = &summaries[0];
    assert_eq!(base["theory"]["model"], "M/M/4");
    assert!((base["theory"]["server_utilisation"].as_f64().unwrap() - 0.75).abs() < 1e-12);
    let theory = base["theory"]["latency_ms"]["mean"].as_f64().unwrap();
    assert!((theory - 150.94).abs() < 0.01, "{theory}");
    // The simulation agrees with it (three seeds of nine measured minutes: a few %).
    let simulated = base["latency_ms"]["mean"].as_f64().unwrap();
    assert!(
        (simulated / theory - 1.0).abs() < 0.08,
        "{simulated} vs {theory}"
    );

    let charts = archsim::report::experiment::charts("exp", &summaries);
    let (stem, chart) = &charts[0];
    assert_eq!(stem, "latency-vs-utilisation", "theory comes first");
    for (_, dots) in &chart.lines {
        assert!(dots.iter().map(|p| p.x).eq([25.0, 50.0, 75.0, 87.5]));
    }
    // The dashed curves run from no load to the busiest variant and pass through theory's
    // figure at each variant's load.
    let (legend, mean) = &chart.curves[0];
    assert_eq!(legend, "M/M/4 mean");
    assert_eq!(mean.first().unwrap().0, 0.0);
    assert_eq!(mean.last().unwrap().0, 87.5);
    let at_75 = mean
        .iter()
        .find(|(x, _)| (x - 75.0).abs() < 1e-9)
        .unwrap()
        .1;
    assert!((at_75 - theory).abs() < 1e-6, "{at_75}");
    let svg = archsim::report::xy::svg(chart);
    assert!(svg.contains("M/M/4 p99") && svg.contains("simulated mean"));
}

#[test]
fn the_baseline_stands_among_a_sweeps_points_at_its_own_value() {
    // The baseline runs at 30 requests/s, the sweep at 10, 20 and 35: the charts against the
    // rate have four points, the baseline's at 30, and sweep.csv gives its rate too. Swept
    // over a value the baseline has (20 with `--set` making it the baseline's), it is
    // charted once.
    let short = BASE
        .edit("duration = \"30m\"", "duration = \"2m\"")
        .edit("seeds = 10", "seeds = 2");
    let text = format!("{short}[sweep]\n\"users.arrival.rate\" = [10, 20, 35]\n");
    let summaries: Vec<_> = run(&all(&text)).into_iter().map(|o| o.summary).collect();
    assert_eq!(
        summaries[0]["at"],
        serde_json::json!([{ "path": "users.arrival.rate", "value": "30", "number": 30.0 }])
    );
    assert!(summaries[1..].iter().all(|s| s.get("at").is_none()));
    let xs = |summaries: &[serde_json::Value]| -> Vec<f64> {
        let charts = archsim::report::experiment::charts("exp", summaries);
        let (_, chart) = charts
            .iter()
            .find(|(stem, _)| stem == "sweep-latency-ms-p50")
            .expect("p50 against the rate");
        // Only the baseline's point is named.
        let named: Vec<(f64, &str)> = chart
            .points
            .iter()
            .filter(|p| !p.label.is_empty())
            .map(|p| (p.x, p.label.as_str()))
            .collect();
        assert!(
            named.len() <= 1 && named.iter().all(|n| n.1 == "baseline"),
            "{named:?}"
        );
        chart.points.iter().map(|p| p.x).collect()
    };
    assert_eq!(xs(&summaries), [10.0, 20.0, 30.0, 35.0]);
    let charts = archsim::report::experiment::charts("exp", &summaries);
    let named: Vec<f64> = charts
        .iter()
        .flat_map(|(_, c)| {
            c.points
                .iter()
                .filter(|p| p.label == "baseline")
                .map(|p| p.x)
        })
        .collect();
    assert!(named.contains(&30.0), "{named:?}");
    let csv = archsim::report::experiment::csv(&summaries);
    assert!(csv.contains("\nbaseline,30,1,latency_ms.p50,"), "{csv}");
    assert!(csv.contains("\nrate-10,10,1,latency_ms.p50,"), "{csv}");

    let set = ["users.arrival.rate=20".to_string()];
    let at_20 = scenario::parse_all(Path::new("exp.toml"), &text, &Default::default(), &set)
        .unwrap_or_else(|e| panic!("{e}"));
    let summaries: Vec<_> = run(&at_20).into_iter().map(|o| o.summary).collect();
    assert_eq!(summaries[0]["at"][0]["number"], 20.0);
    assert_eq!(xs(&summaries), [10.0, 20.0, 35.0]);
}

#[test]
fn a_scenario_that_is_not_a_queue_of_theory_has_no_theory() {
    // A client timeout can end requests early; a queue limit turns some away; work that is
    // not exponential is not M/M/c; past full utilisation there is no steady state.
    for (from, to) in [
        ("target = \"web\"", "target = \"web\"\ntimeout = \"5s\""),
        ("servers = 4", "servers = 4\nqueue = 10"),
        ("{ dist = \"exponential\", mean = \"100ms\" }", "\"100ms\""),
        ("rate = 30", "rate = 45"),
    ] {
        let text = BASE
            .edit("duration = \"30m\"", "duration = \"1m\"")
            .edit("warmup = \"1m\"", "warmup = \"0s\"")
            .edit("seeds = 10", "seeds = 1")
            .edit(from, to);
        let out = run(&all(&text));
        assert!(out[0].summary.get("theory").is_none(), "with {to}");
    }
}

#[test]
fn no_plots_writes_the_numbers_and_pages_and_plot_draws_the_rest_later() {
    let home = tempfile::tempdir().unwrap();
    // Traced, for the waterfall: a drawing like the charts.
    let short = BASE
        .edit("duration = \"30m\"", "duration = \"2m\"")
        .edit("seeds = 10", "seeds = 2")
        .edit(
            "rate = 30 }",
            "rate = 30 }\ntrace = { reservoir_per_second = 1, rate = 0.05, slowest = 5, sample = 5 }",
        );
    let text = format!("{short}[sweep]\n\"web.servers\" = [4, 5]\n");
    std::fs::write(home.path().join("exp.toml"), &text).unwrap();
    // The diagram is drawn with the numbers; the trace waterfall, like the charts, is not
    // (its traces are in traces.json).
    let drawn =
        |f: &String| f.ends_with(".png") || (f.ends_with(".svg") && !f.ends_with("diagram.svg"));
    // The same sweep with its plots, for what a folder holds.
    archsim_ok(&["run", "exp.toml", "--out", "full"], home.path());
    let full = crate::files_under(&home.path().join("full"));
    assert!(full.keys().any(drawn));
    for f in [
        "exp/servers-5/waterfall.svg",
        "exp/servers-5/waterfall.png",
        "exp/servers-5/traces.json",
    ] {
        assert!(full.contains_key(f), "{f} missing");
    }
    // The waterfall says whose requests it shows, as the charts do.
    let waterfall = String::from_utf8_lossy(&full["exp/servers-5/waterfall.svg"]).into_owned();
    assert!(
        waterfall.contains("exp [servers-5] · the "),
        "{}",
        &waterfall[..waterfall.len().min(600)]
    );

    let o = archsim_ok(
        &["run", "exp.toml", "--out", "bare", "--no-plots"],
        home.path(),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("plots not drawn (--no-plots): `archsim plot bare` draws the charts")
            && stdout.contains("the service map and the trace waterfall need a run with plots"),
        "{stdout}"
    );
    let bare = crate::files_under(&home.path().join("bare"));
    let undrawn: Vec<&String> = bare.keys().filter(|f| drawn(f)).collect();
    assert!(undrawn.is_empty(), "drawn with --no-plots: {undrawn:?}");
    // Every other file is there, with the same bytes (but the wall-clock timings).
    for (f, bytes) in &full {
        if drawn(f) || f.ends_with("timing.json") || f.ends_with(".html") {
            continue;
        }
        assert!(bare.get(f) == Some(bytes), "{f} differs");
    }
    for page in ["index.html", "exp/report.html", "exp/servers-5/report.html"] {
        assert!(bare.contains_key(page), "{page} missing");
    }
    // `plot` draws them from the saved series: the same pictures as the run drew.
    archsim_ok(&["plot", "bare"], home.path());
    let replotted = crate::files_under(&home.path().join("bare"));
    for (f, bytes) in full.iter().filter(|(f, _)| drawn(f)) {
        // The diagram's PNG is drawn from the scenario, which a results folder does not
        // hold, and so is the service map (its figures stay in service-map.csv); the index's
        // comparison charts are the run's, not a scenario's. The waterfall is drawn from the
        // run's traces in memory, which `plot` does not read back from traces.json.
        if f.ends_with("diagram.png")
            || f.contains("service-map.")
            || f.contains("waterfall.")
            || !f.contains('/')
        {
            continue;
        }
        assert!(replotted.get(f) == Some(bytes), "{f} differs or is missing");
    }
    // The numbers `plot` writes again from the summaries it read back (sweep.csv and
    // sweep.json) are the run's, to the last digit: floats are read back exactly.
    for (f, bytes) in &full {
        if drawn(f) || f.ends_with("timing.json") || f.ends_with(".html") {
            continue;
        }
        assert!(replotted.get(f) == Some(bytes), "{f} differs after plot");
    }

    // Slides show plots: asking for both is refused before anything runs.
    let o = archsim(
        &["run", "exp.toml", "--out", "x", "--no-plots", "--slides"],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!home.path().join("x").exists());
}

#[test]
fn a_variants_charts_and_pages_name_it_and_say_what_it_changes() {
    let home = tempfile::tempdir().unwrap();
    let short = BASE
        .edit("duration = \"30m\"", "duration = \"2m\"")
        .edit("seeds = 10", "seeds = 2")
        .edit(
            "window = \"10s\"\n",
            "window = \"10s\"\ndescription = \"A service of four servers.\"\n",
        );
    let text = format!(
        "{short}[[variant]]\nname = \"five\"\ndescription = \"One server more.\"\nset = {{ \"web.servers\" = 5 }}\n\
         [[variant]]\nname = \"six\"\nset = {{ \"web.servers\" = 6 }}\n"
    );
    std::fs::write(home.path().join("exp.toml"), &text).unwrap();
    let o = archsim_ok(&["run", "exp.toml", "--out", "o"], home.path());
    let stdout = String::from_utf8_lossy(&o.stdout);
    // The terminal: each variant's block with its own description, the scenario's where it
    // has none, and the baseline's the scenario's.
    for (v, d) in [
        ("baseline", "A service of four servers."),
        ("five", "One server more."),
        ("six", "A service of four servers."),
    ] {
        assert!(
            stdout.contains(&format!("== exp · {v} (2 seeds) ==\n{d}\n")),
            "{stdout}"
        );
    }
    let read = |f: &str| std::fs::read_to_string(home.path().join("o/exp").join(f)).unwrap();
    let page = read("five/report.html");
    assert!(
        page.contains("<p class=\"lead\">One server more.</p>"),
        "{page}"
    );
    let page = read("six/report.html");
    assert!(
        page.contains("<p class=\"lead\">A service of four servers.</p>"),
        "{page}"
    );
    // A chart of one variant cannot be taken for another's.
    for (v, title) in [
        ("five", "exp [five] · users: latency"),
        ("six", "exp [six] · users: latency"),
        ("baseline", "exp [baseline] · users: latency"),
    ] {
        let svg = read(&format!("{v}/latency-users.svg"));
        assert!(svg.contains(title), "{v}: {svg}");
    }
}

/// A DynamoDB table provisioned below its traffic, and a variant asking what on-demand
/// would do: it must remove `rcu` and `wcu`, which belong to provisioned mode.
const PROVISIONED: &str = r#"[scenario]
name = "ddb"
duration = "3m"
seeds = 2
[[workload]]
name = "w"
target = "api"
arrival = { process = "poisson", rate = 1000 }
mix = [ { op = "write", weight = 1 } ]
keys = { dist = "uniform", count = 100000 }
[[component]]
id = "api"
kind = "service"
servers = 1000
service_time = "2ms"
calls = [ { to = "table", timeout = "2s", retry = { attempts = 1 } } ]
[[component]]
id = "table"
kind = "dynamodb"
rcu = 100
wcu = 100
"#;

#[test]
fn a_variant_unsets_a_provisioned_tables_units_to_ask_what_on_demand_does() {
    // `set` alone cannot: the baseline's units stay, and belong to provisioned mode; the
    // message says how a variant removes them.
    let set_only = format!(
        "{PROVISIONED}[[variant]]\nname = \"on-demand\"\nset = {{ \"table.mode\" = \"on_demand\" }}\n"
    );
    let e = refused(&set_only);
    assert!(
        e.contains("exp.toml:20:7: variant \"on-demand\": `rcu` belongs to mode = \"provisioned\"")
            && e.contains("a variant removes it with unset = [\"table.rcu\"]"),
        "{e}"
    );
    let text = format!(
        "{PROVISIONED}[[variant]]\nname = \"on-demand\"\nunset = [\"table.rcu\", \"table.wcu\"]\nset = {{ \"table.mode\" = \"on_demand\" }}\n"
    );
    let sc = all(&text);
    let v = sc[1].variant.as_ref().unwrap();
    assert_eq!(
        v.set,
        [
            ("table.rcu".to_string(), "(unset)".to_string(), None),
            ("table.wcu".to_string(), "(unset)".to_string(), None),
            ("table.mode".to_string(), "on_demand".to_string(), None),
        ]
    );
    let out = run(&sc);
    // 100 WCU with 300 s of burst is spent in half a minute at 1,000 writes/s: then most
    // writes are throttled. On demand the table starts warm at 4,000 WRU: none is.
    let throttled = |i: usize| {
        out[i].summary["requests"]["by_status"]["400"]
            .as_f64()
            .unwrap_or(0.0)
            / crate::num(&out[i].summary, "requests.total")
    };
    assert!(throttled(0) > 0.3, "provisioned: {}", throttled(0));
    assert_eq!(throttled(1), 0.0);
    // The summary lists the removed keys among what the variant changes.
    let set = &out[1].summary["set"];
    assert_eq!(set[0]["path"], "table.rcu");
    assert_eq!(set[0]["value"], "(unset)");
    assert_eq!(set[2]["path"], "table.mode");
}

#[test]
fn a_variant_unsets_multi_az_to_ask_what_a_multi_az_cluster_does() {
    let base = r#"[scenario]
name = "rds"
duration = "8m"
warmup = "1m"
seeds = 2
[[workload]]
name = "orders"
target = "api"
arrival = { process = "poisson", rate = 100 }
mix = [ { op = "read", weight = 7 }, { op = "write", weight = 3 } ]
timeout = "5s"
[[component]]
id = "api"
kind = "service"
servers = 500
service_time = "1ms"
calls = [ { to = "db", timeout = "3s", retry = { attempts = 1 } } ]
[[component]]
id = "db"
kind = "rds"
az = "a"
engine = "postgres"
instance_class = "db.r5.large"
multi_az = true
read_time = "1ms"
write_time = "2ms"
[[fault]]
at = "4m"
kind = "rds_primary_failure"
target = "db"
"#;
    let set_only = format!(
        "{base}[[variant]]\nname = \"cluster\"\nset = {{ \"db.deployment\" = \"multi_az_cluster\" }}\n"
    );
    let e = refused(&set_only);
    assert!(
        e.contains("exp.toml:24:12: variant \"cluster\": `multi_az = true` disagrees with `deployment = \"multi_az_cluster\"`: leave `multi_az` out")
            && e.contains("a variant removes it with unset = [\"db.multi_az\"]"),
        "{e}"
    );
    let text = format!(
        "{base}[[variant]]\nname = \"cluster\"\nunset = [\"db.multi_az\"]\nset = {{ \"db.deployment\" = \"multi_az_cluster\" }}\n"
    );
    let out = run(&all(&text));
    let downtime = |i: usize| crate::num(&out[i].summary, "components.db.failover_downtime_s");
    let errors = |i: usize| crate::num(&out[i].summary, "error_rate");
    // A Multi-AZ instance deployment fails over in 60–120 s, a Multi-AZ DB cluster in
    // under 35 s (aws-facts): fewer writes fail.
    assert!(
        downtime(1) < downtime(0),
        "{} vs {}",
        downtime(1),
        downtime(0)
    );
    assert!(errors(1) < errors(0), "{} vs {}", errors(1), errors(0));
    assert_eq!(out[1].summary["set"][0]["path"], "db.multi_az");
    assert_eq!(out[1].summary["set"][0]["value"], "(unset)");
}

#[test]
fn unset_is_applied_before_set_and_refuses_what_it_cannot_remove() {
    // A table removed whole and written afresh: only what `set` writes is left of it.
    let text = format!(
        "{BASE}[[variant]]\nname = \"fresh\"\nunset = [\"users.arrival\"]\nset = {{ \"users.arrival.process\" = \"constant\", \"users.arrival.rate\" = 10 }}\n"
    );
    let sc = all(&text);
    assert_eq!(sc[1].workloads[0].peak_rate(), 10.0);
    let variant = |unset: &str, set: &str| {
        refused(&format!(
            "{BASE}[[variant]]\nname = \"v\"\nunset = {unset}\n{set}\n"
        ))
    };
    let e = variant("[\"web.servrs\"]", "");
    assert!(e.contains("exp.toml:21:10: variant \"v\": `unset` path \"web.servrs\": the baseline's \"web\" has no key `servrs` (did you mean `servers`?)"), "{e}");
    let e = variant("[\"wbe.servers\"]", "");
    assert!(e.contains("\"wbe\" is not a component id, a workload name, scenario/account/network or fault.N (the N-th [[fault]]) (did you mean `web`?); the scenario has: web, users, scenario, account, network"), "{e}");
    let e = variant("[\"web.servers\"]", "set = { \"web.servers\" = 2 }");
    assert!(
        e.contains("exp.toml:21:10: \"web.servers\" is both in `unset` and in `set`"),
        "{e}"
    );
    let e = variant(
        "[\"users.arrival.rate\"]",
        "set = { \"users.arrival\" = { process = \"constant\", rate = 3 } }",
    );
    assert!(
        e.contains("`set` writes the whole of \"users.arrival\" that holds it"),
        "{e}"
    );
    let e = variant("[\"web.id\"]", "");
    assert!(e.contains("a variant may not remove \"web.id\""), "{e}");
    let e = variant("[\"scenario.seeds\"]", "");
    assert!(
        e.contains("variants may not change `scenario.seeds`"),
        "{e}"
    );
    let e = variant("\"web.servers\"", "");
    assert!(e.contains("`unset` must be a list of paths"), "{e}");
}

#[test]
fn a_trace_files_problem_gets_no_hint_about_a_baseline_key_at_the_same_place() {
    // A variant's trace file is bad on its line 12; line 12, column 1 of the scenario is the
    // baseline's `servers` key. The trace's problem is about the trace, not about that key.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut trace = String::from("time_s\n");
    for i in 1..=10 {
        trace.push_str(&format!("{i}\n"));
    }
    trace.push_str("soon\n");
    std::fs::write(d.join("t.csv"), trace).unwrap();
    let scenario = "[scenario]\nname = \"s\"\nduration = \"20s\"\n\
        [[workload]]\nname = \"u\"\ntarget = \"web\"\n\
        arrival = { process = \"poisson\", rate = 5 }\n\
        [[component]]\nid = \"web\"\nkind = \"service\"\nservice_time = \"10ms\"\n\
        servers = 1\n\
        [[variant]]\nname = \"replay\"\n\
        set = { \"u.arrival\" = { process = \"trace\", file = \"t.csv\" } }\n";
    assert_eq!(scenario.lines().nth(11), Some("servers = 1"));
    std::fs::write(d.join("s.toml"), scenario).unwrap();
    let out = archsim(&["validate", "s.toml"], d);
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    // Said, as the scenario's own problems of a variant are, with the variant it is found in.
    assert!(text.contains("t.csv:12:1: variant \"replay\": "), "{text}");
    assert!(!text.contains("is written in the baseline"), "{text}");
}

#[test]
fn a_variant_that_adds_an_unpriced_part_is_not_named_cheapest_without_saying_so() {
    // A Multi-AZ instance (two instances' hours) against a single instance behind RDS Proxy
    // (one instance's hours and a proxy archsim does not price): both meet the requirement,
    // and the proxy's variant is the cheaper of what is priced.
    let text = r#"[scenario]
name = "proxy-cost"
duration = "2m"
seeds = 2
[[workload]]
name = "users"
target = "db"
arrival = { process = "poisson", rate = 50 }
[[component]]
id = "db"
kind = "rds"
instance_class = "db.m5.large"
read_time = "2ms"
write_time = "4ms"
multi_az = true
[[variant]]
name = "one-behind-proxy"
set = { "db.multi_az" = false, "db.proxy" = true }
[[expect]]
metric = "error_rate"
max = 0.01
"#;
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("p.toml"), text).unwrap();
    let o = archsim_ok(&["run", "p.toml", "--out", "o"], home.path());
    let stdout = String::from_utf8_lossy(&o.stdout);
    // Each summary lists what its cost leaves out; the baseline's leaves out nothing.
    let dir = home.path().join("o/proxy-cost");
    let summary = |v: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(v).join("summary.json")).unwrap())
            .unwrap()
    };
    assert_eq!(
        summary("one-behind-proxy")["cost_usd"]["unpriced"],
        serde_json::json!({ "db": ["RDS Proxy"] })
    );
    assert_eq!(
        summary("baseline")["cost_usd"]["unpriced"],
        serde_json::json!({})
    );
    // The variant's own block, the experiment's note and its choice say it.
    assert!(
        stdout.contains("leaving out what is not priced: RDS Proxy (db)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "The costs leave out what archsim does not price: RDS Proxy (db) in one-behind-proxy."
        ),
        "{stdout}"
    );
    let choice = stdout
        .lines()
        .find(|l| l.contains("cheapest that meets every requirement"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        choice.contains("one-behind-proxy (its cost leaves out RDS Proxy (db), which another variant that meets them does not have: it may not be the cheapest)"),
        "{choice}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(
        json["variants"][1]["cost_leaves_out"],
        serde_json::json!(["RDS Proxy (db)"])
    );
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("it may not be the cheapest"), "{page}");
    let variant_page = std::fs::read_to_string(dir.join("one-behind-proxy/report.html")).unwrap();
    assert!(
        variant_page.contains("(not priced: RDS Proxy (db))"),
        "{variant_page}"
    );
    // When the proxy's variant is the only one that meets the requirements (a bound on the
    // cost between the two), no other is a cheaper choice: nothing to doubt.
    let cost = |v: &str| summary(v)["cost_usd"]["total"].as_f64().unwrap();
    let between = (cost("baseline") + cost("one-behind-proxy")) / 2.0;
    let alone = format!("{text}[[expect]]\nmetric = \"cost_usd.total\"\nmax = {between}\n");
    std::fs::write(home.path().join("p.toml"), alone).unwrap();
    let o = archsim_ok(&["run", "p.toml", "--out", "o2"], home.path());
    let stdout = String::from_utf8_lossy(&o.stdout);
    let choice = stdout
        .lines()
        .find(|l| l.contains("cheapest that meets every requirement"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(choice.ends_with(": one-behind-proxy"), "{choice}");
}

#[test]
fn a_table_a_variant_sets_is_shown_as_written() {
    // A table set whole (`api.throttle = { … }`): its value is recorded, not elided, in the
    // summary's `set`, and so in sweep.csv and the pages.
    let text = format!(
        "{}{}",
        BASE.replace("duration = \"30m\"", "duration = \"2m\"")
            .replace("seeds = 10", "seeds = 1")
            .replace("target = \"web\"", "target = \"api\""),
        r#"[[component]]
id = "api"
kind = "api_gateway"
target = "web"
[[variant]]
name = "throttled"
set = { "api.throttle" = { rate = 20, burst = 5 }, "api.cache" = { ttl = "5m" } }
"#
    );
    let scenarios = all(&text);
    let variant = scenarios[1].variant.as_ref().expect("a variant");
    let shown: Vec<&str> = variant.set.iter().map(|(_, v, _)| v.as_str()).collect();
    // In the order of their paths, each table's keys in theirs.
    assert_eq!(shown, ["{ ttl = \"5m\" }", "{ burst = 5, rate = 20 }"]);
}

#[test]
fn a_faults_keys_are_reached_by_its_place_among_the_faults() {
    // "What if the outage lasts 10 minutes?" without a copy of the file: `fault.0.for` is
    // the first [[fault]]'s duration, in a sweep, a variant or a --set.
    let text = r#"
[scenario]
duration = "20m"
[[workload]]
name = "app"
target = "db"
arrival = { process = "poisson", rate = 20 }
timeout = "2s"
[[component]]
id = "db"
kind = "rds"
az = "a"
instance_class = "db.m5.large"
read_time = "1ms"
write_time = "2ms"
recovery_time = "3m"
[[fault]]
at = "1m"
for = "2m"
kind = "az_outage"
az = "a"
[sweep]
"fault.0.for" = ["2m", "10m"]
"#;
    let scenarios = all(text);
    assert_eq!(scenarios.len(), 3);
    let outcomes = run(&scenarios);
    let downtime =
        |o: &sweep::ScenarioOutcome| crate::num(&o.summary, "components.db.failover_downtime_s");
    // A single-AZ instance recovers in its 3 minutes after a 2-minute outage, and with the
    // zone after a 10-minute one.
    assert_eq!(downtime(&outcomes[1]), 180.0);
    assert_eq!(downtime(&outcomes[2]), 600.0);
    // On the command line, and its mistakes named there: an index past the faults, a key
    // a fault does not take, and a scenario without faults.
    let set = |s: &str| {
        scenario::parse_all(
            Path::new("f.toml"),
            text,
            &Default::default(),
            &[s.to_string()],
        )
    };
    assert_eq!(
        crate::num(
            &run(&set("fault.0.for=10m").unwrap()[..1])[0].summary,
            "components.db.failover_downtime_s"
        ),
        600.0
    );
    let e = set("fault.1.for=1m").unwrap_err().to_string();
    assert!(
        e.contains("--set fault.1.for=1m: `set` path \"fault.1.for\": `1` steps into a list of 1 here, so it must be an index from 0 to 0"),
        "{e}"
    );
    let e = set("fault.0.fr=1m").unwrap_err().to_string();
    assert!(e.contains("unknown key `fr` (did you mean `for`?)"), "{e}");
    let calm = text.split("[[fault]]").next().unwrap();
    let e = scenario::parse_all(
        Path::new("f.toml"),
        calm,
        &Default::default(),
        &["fault.0.for=1m".to_string()],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("the scenario has no [[fault]]: `fault.N` names its N-th (from 0)"),
        "{e}"
    );
}

/// A service reading through a cache in front of a database, for variants that ask what the
/// system is without its cache.
const CACHED: &str = r#"[scenario]
name = "cached"
duration = "2m"
warmup = "20s"
seeds = 2
[[workload]]
name = "users"
target = "api"
arrival = { process = "poisson", rate = 200 }
keys = { dist = "zipf", count = 1000, exponent = 1.0 }
timeout = "3s"
[[component]]
id = "api"
kind = "service"
servers = 200
service_time = "1ms"
calls = [ { to = "cache", timeout = "1s" } ]
[[component]]
id = "cache"
kind = "cache"
engine = "redis"
backend = "db"
ttl = "10m"
[[component]]
id = "db"
kind = "rds"
az = "a"
engine = "postgres"
instance_class = "db.r5.large"
read_time = "2ms"
write_time = "4ms"
"#;

#[test]
fn a_variant_removes_a_whole_component_and_neither_runs_nor_bills_it() {
    let text = format!(
        "{CACHED}[[expect]]\nmetric = \"components.cache.hit_ratio\"\nmin = 0.5\nvariant = \"baseline\"\n[[variant]]\nname = \"no-cache\"\nunset = [\"cache\"]\nset = {{ \"api.calls\" = [ {{ to = \"db\", timeout = \"1s\" }} ] }}\n"
    );
    let sc = all(&text);
    assert_eq!(
        sc[1].variant.as_ref().unwrap().set[0],
        ("cache".to_string(), "(unset)".to_string(), None)
    );
    // The expectation judged on the baseline only is not the variant's.
    assert_eq!(sc[0].expectations.len(), 1);
    assert!(sc[1].expectations.is_empty());
    let out = run(&sc);
    let (with, without) = (&out[0].summary, &out[1].summary);
    assert!(with["components"]["cache"].is_object());
    assert!(
        without["components"].get("cache").is_none(),
        "{}",
        without["components"]
    );
    assert!(without["cost_usd"]["by_component"].get("cache").is_none());
    let cost =
        |s: &serde_json::Value, id: &str| crate::num(s, &format!("cost_usd.by_component.{id}"));
    let total = |s: &serde_json::Value| crate::num(s, "cost_usd.total");
    // The rest is billed alike: the variant is cheaper by the cache's bill exactly.
    assert!(cost(with, "cache") > 0.0);
    assert!((total(with) - cost(with, "cache") - total(without)).abs() < 1e-9);
    // Every read now reaches the database; the same arrivals, seed by seed (each actor's
    // draws are its own: removing one leaves the others' streams alone).
    assert_eq!(
        crate::num(with, "requests.total"),
        crate::num(without, "requests.total")
    );
    assert!(
        crate::num(without, "components.db.utilisation")
            > crate::num(with, "components.db.utilisation")
    );

    // What still names the removed part is said where it is written.
    let variant =
        |variant: &str| refused(&format!("{CACHED}[[variant]]\nname = \"v\"\n{variant}\n"));
    let e = variant("unset = [\"cache\"]");
    assert!(e.contains("exp.toml:17:18: variant \"v\": `calls.to` names \"cache\", which is not a component id"), "{e}");
    let e = variant("unset = [\"cach\"]");
    assert!(e.contains("`unset` path \"cach\": \"cach\" is not a component id or a workload name (did you mean `cache`?)"), "{e}");
    let e = variant("unset = [\"cache\"]\nset = { \"cache.ttl\" = \"1m\" }");
    assert!(
        e.contains("\"cache.ttl\" is set, but `unset` removes \"cache\" whole"),
        "{e}"
    );
    let e = variant("unset = [\"scenario\"]");
    assert!(
        e.contains("\"scenario\" is not a component id or a workload name"),
        "{e}"
    );
    let text = format!(
        "{CACHED}[[expect]]\nmetric = \"components.cache.hit_ratio\"\nmin = 0.5\n[[variant]]\nname = \"v\"\nunset = [\"cache\"]\nset = {{ \"api.calls\" = [ {{ to = \"db\" }} ] }}\n"
    );
    let e = refused(&text);
    assert!(e.contains("exp.toml:33:10: variant \"v\": this [[expect]] is judged on every variant, and \"v\" removes \"cache\""), "{e}");
}

#[test]
fn a_latency_to_judge_by_is_checked_where_it_is_written() {
    // A variant's own: a latency its component reports, whole; and the scenario's.
    let ok = all(&format!(
        "{BASE}[[variant]]\nname = \"five\"\nset = {{ \"web.servers\" = 5 }}\nlatency = \"components.web.wait_ms\"\n"
    ));
    assert_eq!(ok[0].variant.as_ref().unwrap().latency, None);
    assert_eq!(
        ok[1].variant.as_ref().unwrap().latency.as_deref(),
        Some("components.web.wait_ms")
    );
    let scenario_wide = BASE.replace(
        "window = \"10s\"\n",
        "window = \"10s\"\nlatency = \"components.web.response_ms\"\n",
    );
    let both = all(&format!(
        "{scenario_wide}[[variant]]\nname = \"five\"\nset = {{ \"web.servers\" = 5 }}\n"
    ));
    assert!(both
        .iter()
        .all(|s| s.latency.as_ref().map(|l| l.0.as_str()) == Some("components.web.response_ms")));
    // Without variants only `archsim diff` compares by it, and the warning says so.
    let alone = all(&scenario_wide);
    let w: Vec<String> = alone[0]
        .warnings
        .iter()
        .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
        .collect();
    assert!(
        w.iter().any(|w| w.starts_with("7:11 ")
            && w.contains("no [[variant]] or [sweep]: here only `archsim diff` compares by it")),
        "{w:?}"
    );
    // A quantile, a component the variant lacks, a number that is no latency, a figure
    // only the scenario has: each refused at its place, saying what is allowed.
    let variant = |latency: &str| {
        refused(&format!(
            "{BASE}[[variant]]\nname = \"v\"\nset = {{ \"web.servers\" = 5 }}\nlatency = \"{latency}\"\n"
        ))
    };
    let e = variant("components.web.wait_ms.p99");
    assert!(
        e.contains("exp.toml:22:11: variant \"v\": `latency` \"components.web.wait_ms.p99\" names one quantile; name the latency whole, \"components.web.wait_ms\""),
        "{e}"
    );
    let e = variant("components.wbe.wait_ms");
    assert!(
        e.contains("names component \"wbe\" (did you mean `web`?)"),
        "{e}"
    );
    let e = variant("components.web.utilisation");
    assert!(e.contains("`latency` names a latency whole"), "{e}");
    // A table that is no latency (calls an access rule denied), and the clients' own.
    let e = variant("components.web.access.denied");
    assert!(
        e.contains("`latency` \"components.web.access.denied\" is no latency (a latency's table ends in `_ms`)"),
        "{e}"
    );
    let e = variant("latency_ms");
    assert!(
        e.contains("which variants are compared by without it: leave it out"),
        "{e}"
    );
    let e = refused(&scenario_wide.replace("components.web.response_ms", "theory.latency_ms"));
    assert!(
        e.contains("exp.toml:7:11: `latency` \"theory.latency_ms\" is the scenario's alone, and variants are compared seed by seed"),
        "{e}"
    );
    // A variant names its own with `latency`, not by changing the scenario's.
    let e = refused(&format!(
        "{scenario_wide}[[variant]]\nname = \"v\"\nset = {{ \"scenario.latency\" = \"components.web.wait_ms\" }}\n"
    ));
    assert!(
        e.contains("a [[variant]] names the latency it is judged by with its own `latency`"),
        "{e}"
    );
    let e = refused(&format!(
        "{BASE}[[variant]]\nname = \"v\"\nset = {{ \"web.servers\" = 5 }}\nlatency = 3\n"
    ));
    assert!(e.contains("variant `latency` must be a string"), "{e}");
}

#[test]
fn an_experiment_judges_a_variant_by_the_latency_it_names() {
    // Four servers against five, the five-server variant judged by its queue wait: its
    // figures in the tables are the wait's, and sweep.json says so.
    let text = format!(
        "{}[[variant]]\nname = \"five\"\nset = {{ \"web.servers\" = 5 }}\nlatency = \"components.web.wait_ms\"\n",
        BASE.replace("duration = \"30m\"", "duration = \"5m\"")
            .replace("seeds = 10", "seeds = 2")
    );
    let scenarios = all(&text);
    let outcomes = run(&scenarios);
    let summaries: Vec<_> = outcomes.iter().map(|o| o.summary.clone()).collect();
    assert_eq!(summaries[1]["latency_judged"], "components.web.wait_ms");
    assert!(summaries[0].get("latency_judged").is_none());
    let j = archsim::report::experiment::json("exp", &summaries);
    // The mean of the seeds' own p99s of the wait, as every figure of the tables is.
    let seeds: Vec<f64> = summaries[1]["per_seed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["components"]["web"]["wait_ms"]["p99"].as_f64().unwrap())
        .collect();
    let mean = seeds.iter().sum::<f64>() / seeds.len() as f64;
    let shown = j["variants"][1]["metrics"]["latency_ms.p99"]["mean"]
        .as_f64()
        .unwrap();
    assert!((shown - mean).abs() < 1e-9 * mean, "{shown} {seeds:?}");
    // Not the clients' (the wait plus the 100 ms of work); the baseline's is its clients'.
    assert!(
        mean > 0.0 && shown < crate::num(&summaries[1], "latency_ms.p99"),
        "{j}"
    );
    let base = j["variants"][0]["metrics"]["latency_ms.p99"]["mean"]
        .as_f64()
        .unwrap();
    assert!(
        base > crate::num(&summaries[0], "components.web.wait_ms.p99"),
        "{j}"
    );
}

#[test]
fn a_variant_removes_a_fault_whole_by_its_number_in_the_baseline() {
    // "Without the cache" must lose the fault aimed at the cache too: `unset = ["fault.0"]`
    // removes the baseline's first [[fault]]. The second keeps its number in the variant's
    // `set` (removals of faults follow `set`, so each number is the baseline's).
    let faults = "[[fault]]\nat = \"1m\"\nkind = \"cache_node_failure\"\ntarget = \"cache\"\n\
                  [[fault]]\nat = \"30s\"\nfor = \"10s\"\nkind = \"latency_injection\"\ntarget = \"db\"\nadd = \"50ms\"\n";
    let text = format!(
        "{CACHED}{faults}[[variant]]\nname = \"no-cache\"\nunset = [\"cache\", \"fault.0\"]\nset = {{ \"api.calls\" = [ {{ to = \"db\", timeout = \"1s\" }} ], \"fault.1.for\" = \"20s\" }}\n"
    );
    let sc = all(&text);
    assert_eq!(sc[0].faults.len(), 2);
    assert_eq!(sc[1].faults.len(), 1);
    let kept = &sc[1].faults[0];
    assert_eq!(kept.at, archsim::kernel::SimTime::from_secs(30));
    assert_eq!(kept.duration, Some(archsim::kernel::SimTime::from_secs(20)));
    assert!(
        sc[1]
            .variant
            .as_ref()
            .unwrap()
            .set
            .iter()
            .any(|(p, v, _)| p == "fault.0" && v == "(unset)"),
        "{:?}",
        sc[1].variant.as_ref().unwrap().set
    );
    let out = run(&sc);
    assert!(out[1].summary["components"].get("cache").is_none());

    let variant = |v: &str| refused(&format!("{CACHED}{faults}[[variant]]\nname = \"v\"\n{v}\n"));
    // Without it, the fault's target is what is wrong, and the message says how to fix it.
    let e = variant("unset = [\"cache\"]\nset = { \"api.calls\" = [ { to = \"db\" } ] }");
    assert!(
        e.contains("removes the whole fault with unset = [\"fault.0\"], as a variant without its target needs"),
        "{e}"
    );
    let e = variant("unset = [\"fault.2\"]");
    assert!(
        e.contains("`unset` path \"fault.2\": the scenario has 2 [[fault]]s, fault.0 … fault.1"),
        "{e}"
    );
    let e = variant("unset = [\"fault.0\"]\nset = { \"fault.0.at\" = \"2m\" }");
    assert!(
        e.contains("\"fault.0.at\" is set, but `unset` removes \"fault.0\" whole"),
        "{e}"
    );
    let e = variant("unset = [\"fault\"]");
    assert!(e.contains("(fault.0 removes the first [[fault]])"), "{e}");
}

/// The numbers written on a chart: its ticks, mostly.
fn numbers_on(svg: &[u8]) -> Vec<String> {
    crate::reports::texts(&String::from_utf8_lossy(svg))
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || ".k".contains(c)))
        .collect()
}

#[test]
fn the_variants_charts_share_their_scales_so_that_they_compare_by_eye() {
    let home = tempfile::tempdir().unwrap();
    // Twice the load in the variant: on scales of their own the two charts of requests by
    // status would look alike.
    let text = BASE
        .edit("duration = \"30m\"", "duration = \"2m\"")
        .edit("seeds = 10", "seeds = 1")
        + "[[variant]]\nname = \"double\"\nset = { \"users.arrival.rate\" = 60, \"web.servers\" = 8 }\n";
    std::fs::write(home.path().join("exp.toml"), &text).unwrap();
    archsim_ok(&["run", "exp.toml", "--out", "o", "--slides"], home.path());
    let files = crate::files_under(&home.path().join("o"));
    for chart in ["throughput-users.svg", "latency-users.svg"] {
        let base = &files[&format!("exp/baseline/{chart}")];
        let double = &files[&format!("exp/double/{chart}")];
        assert_eq!(numbers_on(base), numbers_on(double), "{chart}");
        for svg in [base, double] {
            assert!(
                String::from_utf8_lossy(svg).contains("y axis shared with the other variants"),
                "{chart}"
            );
        }
    }
    // The slides show the two side by side: the variants' own drawings, shared scales and all.
    let slides = String::from_utf8_lossy(&files["exp/slides.html"]).into_owned();
    assert!(slides.contains("The variants"), "no variants slide");
    // Charts only one variant has keep their own scale: none here says otherwise.
    let single = BASE
        .edit("duration = \"30m\"", "duration = \"2m\"")
        .edit("seeds = 10", "seeds = 1");
    std::fs::write(home.path().join("one.toml"), &single).unwrap();
    archsim_ok(&["run", "one.toml", "--out", "p"], home.path());
    let one = crate::files_under(&home.path().join("p"));
    let thr = String::from_utf8_lossy(&one["exp/throughput-users.svg"]).into_owned();
    assert!(!thr.contains("shared with the other variants"));
    // No request failed: no panel of the share that failed, no p99 of all requests.
    assert!(!thr.contains("failed [%]"), "{thr}");
    let lat = String::from_utf8_lossy(&one["exp/latency-users.svg"]).into_owned();
    assert!(!lat.contains("p99 of all requests"), "{lat}");
}
