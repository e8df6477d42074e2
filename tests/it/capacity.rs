//! Capacity search: against queueing theory's exact answers for an M/M/1 queue, and from the
//! command line, with what it writes and what it refuses.

use crate::archsim;
use archsim::capacity::{self, Found, Search, Slo};
use std::path::Path;

/// An M/M/1 queue: exponential service of 100 ms (μ = 10/s), Poisson arrivals at 5/s as
/// written.
const MM1: &str = r#"[scenario]
name = "mm1"
duration = "90m"
warmup = "5m"
seeds = 8
[[workload]]
name = "users"
target = "s"
arrival = { process = "poisson", rate = 5 }
[[component]]
id = "s"
kind = "service"
servers = 1
service_time = { dist = "exponential", mean = "100ms" }
"#;

/// Searches the M/M/1 for one SLO and checks that the analytic capacity `exact` (requests/s)
/// lies in the answer's interval, widened below by the bisection's tolerance (a seed's
/// capacity is the highest scale seen to hold, at most that far under its crossing), and
/// that the interval is narrower than `max_width` of the answer: sharp enough that a model
/// that far off would fail. `seeds` buy that sharpness.
fn holds_up_to(slo: &str, exact: f64, seeds: u32, max_width: f64) {
    let mut sc = crate::scenario(MM1);
    sc.seeds = seeds;
    let search = Search {
        workload: 0,
        slos: vec![Slo::parse(slo).unwrap()],
        tolerance: 0.01,
    };
    let answer = capacity::search(&sc, &search, &crate::on_threads(2)).unwrap();
    assert!((answer.base_rate - 5.0).abs() < 1e-9);
    let (mean, lo, hi) = answer.scale.expect("every seed finds a capacity");
    let rate = |s: f64| s * answer.base_rate;
    assert!(
        rate(lo) <= exact && exact <= rate(hi) * (1.0 + search.tolerance),
        "{slo}: capacity {:.3}/s, interval {:.3}–{:.3}, exact {exact:.3}",
        rate(mean),
        rate(lo),
        rate(hi)
    );
    assert!(
        (hi - lo) / mean < max_width,
        "{slo}: the interval {:.3}–{:.3} is too wide to test anything",
        rate(lo),
        rate(hi)
    );
    assert_eq!(
        answer.binding,
        vec![seeds as usize],
        "the one SLO binds every seed"
    );
    for s in &answer.seeds {
        let Found::Capacity { scale, .. } = s.found else {
            panic!("seed {} found {:?}", s.seed, s.found)
        };
        // Each seed's bracket ended within the tolerance: a probe holds at its capacity and
        // one breaks within 1 % above it.
        assert!(s.probes.iter().any(|p| p.holds() && p.scale == scale));
        assert!(s
            .probes
            .iter()
            .any(|p| !p.holds() && p.scale > scale && p.scale <= scale * 1.0101));
    }
}

#[test]
fn an_mm1_holds_a_mean_response_of_half_a_second_up_to_eight_per_second() {
    // W = 1 / (μ − λ) ≤ 0.5 s  ⇔  λ ≤ μ − 2 = 8/s.
    holds_up_to("latency_ms.mean<=500", 8.0, 8, 0.03);
}

#[test]
fn an_mm1_holds_a_p99_of_one_second_up_to_its_exponential_quantile() {
    // FCFS response times of an M/M/1 are exponential with rate μ − λ: the p99 is
    // ln(100) / (μ − λ) ≤ 1 s  ⇔  λ ≤ 10 − ln(100).
    // A seed's p99 is noisier than its mean: 20 seeds keep the interval within 5 %.
    holds_up_to("latency_ms.p99<=1000", 10.0 - 100f64.ln(), 20, 0.05);
}

#[test]
fn a_profile_scales_in_rate_and_keeps_its_shape() {
    use archsim::kernel::SimTime;
    let sc = crate::scenario(&MM1.replace(
        "arrival = { process = \"poisson\", rate = 5 }",
        "arrival = { process = \"ramp\", from = 2, to = 6, over = \"30m\" }",
    ));
    let a = &sc.workloads[0].arrival;
    let b = a.scaled(2.5).unwrap();
    for (from, to) in [(0, 600), (600, 1800), (1800, 5400)] {
        let (from, to) = (SimTime::from_secs(from), SimTime::from_secs(to));
        let (x, y) = (a.expected_between(from, to), b.expected_between(from, to));
        assert!((y - 2.5 * x).abs() < 1e-6 * y, "{x} → {y}");
    }
}

#[test]
fn the_command_prints_the_answer_and_writes_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let short = MM1.replace("90m", "20m");
    std::fs::write(d.join("mm1.toml"), &short).unwrap();
    let out = archsim(
        &[
            "capacity",
            "mm1.toml",
            "--slo",
            "latency_ms.mean<=500",
            "--seeds",
            "3",
            "--out",
            "o",
        ],
        d,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("requests/s"), "{stdout}");
    assert!(
        stdout.contains("binding SLO: latency_ms.mean <= 500"),
        "{stdout}"
    );
    let folder = d.join("o/mm1-capacity");
    let csv = std::fs::read_to_string(folder.join("capacity.csv")).unwrap();
    assert!(csv.starts_with("seed,step,scale,rate_rps,holds,latency_ms.mean,broken\n"));
    // Three seeds, each from the rate as written: 5/s holds, 10/s breaks.
    assert_eq!(csv.matches("\n1,0,1,5,true,").count(), 1, "{csv}");
    assert!(csv.lines().count() > 3 * 5);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("capacity.json")).unwrap()).unwrap();
    let rate = json["capacity"]["rate_rps"].as_f64().unwrap();
    assert!((7.0..9.0).contains(&rate), "{rate}");
    assert_eq!(json["overrides"], serde_json::json!([]));
    for f in ["capacity-1.svg", "capacity-1.png"] {
        assert!(
            std::fs::metadata(folder.join(f)).unwrap().len() > 1000,
            "{f}"
        );
    }
    // Without --out, a fresh scratch folder it names, never results/: a search never touches
    // committed results.
    let out = archsim(
        &[
            "capacity",
            "mm1.toml",
            "--slo",
            "latency_ms.mean<=500",
            "--seeds",
            "2",
            "--tolerance",
            "0.1",
        ],
        d,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let written = stdout
        .lines()
        .find_map(|l| l.strip_prefix("-> "))
        .unwrap_or_else(|| panic!("no folder named: {stdout}"));
    let written = Path::new(written);
    assert!(written.join("capacity.csv").is_file(), "{stdout}");
    assert!(!written.starts_with(d), "{stdout}");
    assert!(!d.join("results").exists());
    std::fs::remove_dir_all(written.parent().unwrap()).unwrap();

    // Refusals, each naming what is wrong.
    let refused = |args: &[&str], says: &str| {
        let out = archsim(args, d);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(
        &["capacity", "mm1.toml", "--slo", "latency_ms.p100<=5"],
        "latency_ms.p100",
    );
    refused(
        &["capacity", "mm1.toml", "--slo", "latency_ms.p99"],
        "no comparison",
    );
    // A lower bound on what grows with the rate holds only at high rates: no highest rate
    // holds it, and the search would halve its way down to nothing.
    for slo in [
        "throughput_rps>=60",
        "workloads.users.requests.total>1000",
        "components.s.throughput_rps>=4",
        "latency_ms.p99>=5",
        "components.s.utilisation>=0.5",
    ] {
        refused(
            &["capacity", "mm1.toml", "--slo", slo],
            "grows with the arrival rate, cannot be searched",
        );
    }
    refused(
        &["capacity", "mm1.toml", "--slo", "throughput_rps>=60"],
        "lower bound on a rate",
    );
    refused(
        &["capacity", "mm1.toml", "--slo", "latency_ms.p99>=5"],
        "lower bound on a latency or a duration",
    );
    // `--seeds 1` gives no interval; the help says why it is refused.
    refused(
        &[
            "capacity",
            "mm1.toml",
            "--slo",
            "error_rate<=0.01",
            "--seeds",
            "1",
        ],
        "a capacity needs at least 2 seeds",
    );
    let help = archsim(&["capacity", "--help"], d);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("at least 2, since the answer is their mean with a 95 % interval"),
        "{help}"
    );
    refused(
        &[
            "capacity",
            "mm1.toml",
            "--slo",
            "latency_ms.p99<=1",
            "--workload",
            "user",
        ],
        "did you mean",
    );
    refused(
        &[
            "capacity",
            "mm1.toml",
            "--slo",
            "latency_ms.p99<=1",
            "--tolerance",
            "0",
        ],
        "--tolerance",
    );
    std::fs::write(d.join("trace.csv"), "time_s\n400\n401\n").unwrap();
    std::fs::write(
        d.join("trace.toml"),
        short.replace(
            "arrival = { process = \"poisson\", rate = 5 }",
            "arrival = { process = \"trace\", file = \"trace.csv\" }",
        ),
    )
    .unwrap();
    refused(
        &["capacity", "trace.toml", "--slo", "error_rate<=0.01"],
        "cannot be scaled",
    );
}

/// The bundled capacity search (README, "Bundled scenarios"): the catalogue of
/// `db-read-replicas-sweep.toml` holds its p99 of 100 ms up to about 207 requests/s on the
/// primary alone, and up to about 478 with two read replicas: replicas more than double
/// what the database tier can take, since the primary keeps only the writes.
#[test]
fn two_read_replicas_more_than_double_the_bundled_catalogue_s_capacity() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/db-read-replicas-sweep.toml");
    let capacity = |sets: &[String]| {
        let mut sc = archsim::scenario::load(&file, &Default::default(), sets)
            .unwrap_or_else(|e| panic!("{e}"))
            .swap_remove(0);
        sc.seeds = 3;
        let search = Search {
            workload: 0,
            slos: vec![
                Slo::parse("latency_ms.p99<=100").unwrap(),
                Slo::parse("error_rate<=0.001").unwrap(),
            ],
            tolerance: 0.02,
        };
        let a = capacity::search(&sc, &search, &crate::on_threads(2)).unwrap();
        let (m, lo, hi) = a.scale.expect("a capacity");
        (m * a.base_rate, lo * a.base_rate, hi * a.base_rate)
    };
    let (alone, _, alone_hi) = capacity(&[]);
    let (two, two_lo, _) = capacity(&["db.read_replicas=2".to_string()]);
    assert!((190.0..230.0).contains(&alone), "{alone}");
    assert!(two_lo > 2.0 * alone_hi, "{two_lo} vs {alone_hi}");
    assert!(two < 600.0, "{two}");
}

#[test]
fn a_capacity_bound_by_runs_that_stopped_says_so_and_names_no_slo() {
    // Nothing bounds the M/M/1's backlog and every request succeeds once it drains, so the
    // error-rate SLO never breaks: what stops the search is the runs' in-flight limit.
    let mut sc = crate::scenario(
        &MM1.replace(
            "duration = \"90m\"",
            "duration = \"60s\"\nmax_in_flight = 500",
        )
        .replace("warmup = \"5m\"", "warmup = \"0s\""),
    );
    sc.seeds = 2;
    let search = Search {
        workload: 0,
        slos: vec![Slo::parse("error_rate<=0.001").unwrap()],
        tolerance: 0.05,
    };
    let answer = capacity::search(&sc, &search, &crate::on_threads(2)).unwrap();
    assert_eq!(answer.binding, vec![0]);
    assert_eq!(answer.stopped.0, 2);
    let why = answer.stopped.1.as_deref().unwrap();
    assert!(why.contains("more than 500 calls in flight"), "{why}");
    for s in &answer.seeds {
        assert!(
            matches!(
                &s.found,
                Found::Capacity {
                    binding: None,
                    stopped: Some(_),
                    ..
                }
            ),
            "{:?}",
            s.found
        );
    }
    let text = archsim::report::capacity::terminal(&answer, "mm1", "users", &search);
    assert!(
        text.contains("bound by runs that stopped, not by an SLO (2 of 2 seeds)")
            && !text.contains("binding SLO"),
        "{text}"
    );
    let json = archsim::report::capacity::json(&answer, "mm1", "users", &search);
    assert_eq!(json["bound_by_a_stopped_run"]["seeds"], 2);
}

#[test]
fn the_answer_says_which_overrides_it_was_found_with() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("mm1.toml"), MM1).unwrap();
    let out = archsim(
        &[
            "capacity",
            "mm1.toml",
            "--slo",
            "latency_ms.mean<=500",
            "--seeds",
            "2",
            "--tolerance",
            "0.1",
            "--set",
            "scenario.duration=10m",
            "--set",
            "scenario.warmup=1m",
            "--out",
            "o",
        ],
        d,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "  the scenario read with --set scenario.duration=10m, --set scenario.warmup=1m\n"
        ),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("o/mm1-capacity/capacity.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["overrides"],
        serde_json::json!(["scenario.duration=10m", "scenario.warmup=1m"])
    );
}

#[test]
fn the_walk_has_a_column_per_metric_and_names_every_slo_a_probe_broke() {
    use archsim::capacity::{Answer, Probe, SeedSearch};
    // A band on the mean (two SLOs on one metric) and one on the p99.
    let search = Search {
        workload: 0,
        slos: [
            "latency_ms.mean>=100",
            "latency_ms.mean<=500",
            "latency_ms.p99<=900",
        ]
        .iter()
        .map(|s| Slo::parse(s).unwrap())
        .collect(),
        tolerance: 0.01,
    };
    // As a search records them: `broken` is the first SLO broken.
    let probe = |step: usize, scale: f64, mean: f64, p99: f64, first: usize| Probe {
        seed: 1,
        step,
        scale,
        values: vec![Some(mean), Some(mean), Some(p99)],
        broken: Some(first),
        stopped: None,
        missing: None,
    };
    let answer = Answer {
        base_rate: 5.0,
        peak_rate: 5.0,
        seeds: vec![SeedSearch {
            seed: 1,
            found: Found::Never { stopped: None },
            probes: vec![
                probe(0, 1.0, 50.0, 300.0, 0),
                probe(1, 2.0, 600.0, 1200.0, 1),
            ],
        }],
        scale: None,
        binding: vec![0, 0, 0],
        stopped: (0, None),
        overrides: Vec::new(),
    };
    let csv = archsim::report::capacity::csv(&answer, &search);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "seed,step,scale,rate_rps,holds,latency_ms.mean,latency_ms.p99,broken"
    );
    assert_eq!(lines[1], "1,0,1,5,false,50,300,latency_ms.mean >= 100");
    assert_eq!(
        lines[2],
        "1,1,2,10,false,600,1200,latency_ms.mean <= 500; latency_ms.p99 <= 900"
    );
    // A seed whose smallest probe stopped found no capacity because of the stop, not an SLO.
    let mut stopped = answer.clone();
    stopped.seeds[0].found = Found::Never {
        stopped: Some("more than 500 calls in flight".into()),
    };
    let text = archsim::report::capacity::terminal(&stopped, "mm1", "users", &search);
    assert!(
        text.contains("none: the run stops even at")
            && text.contains("(more than 500 calls in flight)"),
        "{text}"
    );
    let text = archsim::report::capacity::terminal(&answer, "mm1", "users", &search);
    assert!(text.contains("none: an SLO fails even at"), "{text}");
}

#[test]
fn each_slos_chart_marks_the_probes_that_broke_it_apart_from_those_that_broke_another() {
    use archsim::capacity::{Answer, Probe, SeedSearch};
    let search = Search {
        workload: 0,
        slos: ["latency_ms.p99<=100", "error_rate<=0.001"]
            .iter()
            .map(|s| Slo::parse(s).unwrap())
            .collect(),
        tolerance: 0.01,
    };
    let probe = |step: usize, scale: f64, p99: f64, errors: f64, broken: Option<usize>| Probe {
        seed: 1,
        step,
        scale,
        values: vec![Some(p99), Some(errors)],
        broken,
        stopped: None,
        missing: None,
    };
    // Held both; broke the latency alone (no errors); broke both.
    let answer = Answer {
        base_rate: 100.0,
        peak_rate: 100.0,
        seeds: vec![SeedSearch {
            seed: 1,
            found: Found::Capacity {
                scale: 1.0,
                binding: Some(0),
                stopped: None,
            },
            probes: vec![
                probe(0, 1.0, 50.0, 0.0, None),
                probe(1, 2.0, 150.0, 0.0, Some(0)),
                probe(2, 4.0, 600.0, 0.01, Some(0)),
            ],
        }],
        scale: Some((1.0, 1.0, 1.0)),
        binding: vec![1, 0],
        stopped: (0, None),
        overrides: Vec::new(),
    };
    let charts = archsim::report::capacity::charts(&answer, "s", "users", &search);
    let (latency, errors) = (&charts[0].1, &charts[1].1);
    assert_eq!(
        (&latency.failed, &latency.broke_other),
        (&vec![1, 2], &vec![])
    );
    // The probe at 200/s had no errors: it held this chart's SLO, and broke the other.
    assert_eq!((&errors.failed, &errors.broke_other), (&vec![2], &vec![1]));
    let svg = archsim::report::xy::svg(errors);
    for legend in [
        "probe that held every SLO",
        "probe that held this SLO, broke another",
        "probe that broke this SLO",
    ] {
        assert!(svg.contains(legend), "no legend {legend:?}");
    }
    // The latency chart has no probe that held it and broke another: no such legend.
    assert!(!archsim::report::xy::svg(latency).contains("broke another"));
}

#[test]
fn a_spike_workloads_capacity_names_its_mean_as_a_mean_and_the_peak_it_holds() {
    // Base 400/s with a one-minute spike to 2,000/s in ten minutes: a mean of 560/s over
    // the run. Twenty servers of 10 ms hold 2,000/s, so the peak binds, near the scale
    // as written (the spike's queue is what breaks the p99).
    let sc = crate::scenario(
        r#"[scenario]
name = "spike"
duration = "10m"
seeds = 1
[[workload]]
name = "users"
target = "web"
arrival = { process = "spike", base = 400, peak = 2000, at = "2m", for = "1m" }
[[component]]
id = "web"
kind = "service"
servers = 20
queue = 100000
service_time = "10ms"
"#,
    );
    let search = Search {
        workload: 0,
        slos: vec![Slo::parse("latency_ms.p99<=500").unwrap()],
        tolerance: 0.01,
    };
    let answer = capacity::search(&sc, &search, &crate::on_threads(2)).unwrap();
    assert!(
        (answer.base_rate - 560.0).abs() < 1e-6,
        "{}",
        answer.base_rate
    );
    assert_eq!(answer.peak_rate, 2000.0);
    let (m, _, _) = answer.scale.expect("the seed finds a capacity");
    let text = archsim::report::capacity::terminal(&answer, "spike", "users", &search);
    let scale = archsim::report::significant(m, 3);
    let mean = archsim::report::significant(m * 560.0, 3);
    let peak = archsim::report::significant(m * 2000.0, 3);
    assert!(
        text.contains(&format!("holds {scale}× the traffic as written"))
            && text.contains(&format!(
                "a mean of {mean} requests/s over the run (written: a mean of 560 /s), a peak of {peak} /s (written: 2000 /s)"
            )),
        "{text}"
    );
    let json = archsim::report::capacity::json(&answer, "spike", "users", &search);
    assert_eq!(json["base_peak_rps"], 2000.0);
    assert_eq!(json["rate_varies"], true);
    assert!((json["capacity"]["peak_rps"].as_f64().unwrap() - m * 2000.0).abs() < 1e-6);

    // Its chart's axis is the mean, and the subtitle gives the peak that mean carries.
    let charts = archsim::report::capacity::charts(&answer, "spike", "users", &search);
    let (_, chart) = &charts[0];
    assert_eq!(chart.x_desc, "mean arrival rate of users [requests/s]");
    assert!(
        chart
            .subtitle
            .starts_with(&format!("capacity: a mean of {mean} /s"))
            && chart.subtitle.contains(&format!("a peak of {peak} /s")),
        "{}",
        chart.subtitle
    );

    // The case as reported: 0.740× of 720/s mean and 2,000/s peak.
    let mut reported = answer.clone();
    reported.base_rate = 720.0;
    reported.scale = Some((0.74, 0.73, 0.75));
    let text = archsim::report::capacity::terminal(&reported, "spike", "users", &search);
    assert!(
        text.contains("holds 0.740× the traffic as written (its profile scaled whole): a mean of 533 requests/s over the run (written: a mean of 720 /s), a peak of 1480 /s (written: 2000 /s)")
            && text.contains("95 % interval 0.730–0.750× (a mean of 526–540 /s, a peak of 1460–1500 /s) over 1 seeds"),
        "{text}"
    );
    // A steady workload's rate is its peak: it reads as before.
    reported.peak_rate = 720.0;
    let text = archsim::report::capacity::terminal(&reported, "spike", "users", &search);
    assert!(
        text.contains("533 requests/s (0.740× the 720 /s as written)") && !text.contains("peak"),
        "{text}"
    );
    let charts = archsim::report::capacity::charts(&reported, "spike", "users", &search);
    assert_eq!(charts[0].1.x_desc, "arrival rate of users [requests/s]");
    assert!(
        charts[0].1.subtitle.starts_with("capacity 533 /s"),
        "{}",
        charts[0].1.subtitle
    );
}
