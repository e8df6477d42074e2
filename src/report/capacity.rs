//! A capacity search in words and files: `capacity.csv` (every probe), `capacity.json`, a
//! chart per SLO, and what the terminal shows.

use crate::capacity::{Answer, Found, Op, Probe, Search, Slo, MIN_SCALE};
use serde_json::{json, Value};

/// A number to three significant digits.
fn significant3(x: f64) -> String {
    super::significant(x, 3)
}

/// `capacity.csv`: every probe of every seed, one row each.
pub fn csv(answer: &Answer, search: &Search) -> String {
    use crate::report::csv_field;
    let mut header = vec![
        "seed".to_string(),
        "step".into(),
        "scale".into(),
        "rate_rps".into(),
        "holds".into(),
    ];
    // A column per metric: two SLOs on one metric (a band) read the same number.
    let mut metrics: Vec<(&str, usize)> = Vec::new();
    for (i, slo) in search.slos.iter().enumerate() {
        if !metrics.iter().any(|(m, _)| *m == slo.metric) {
            metrics.push((&slo.metric, i));
        }
    }
    header.extend(metrics.iter().map(|(m, _)| csv_field(m)));
    header.push("broken".into());
    let mut out = header.join(",") + "\n";
    for s in &answer.seeds {
        for p in &s.probes {
            let mut row = vec![
                p.seed.to_string(),
                p.step.to_string(),
                format!("{}", p.scale),
                format!("{}", p.scale * answer.base_rate),
                p.holds().to_string(),
            ];
            row.extend(
                metrics
                    .iter()
                    .map(|&(_, i)| p.values[i].map_or(String::new(), |v| format!("{v}"))),
            );
            // Every SLO the probe broke, not only the first.
            let broken: Vec<String> = search
                .slos
                .iter()
                .zip(&p.values)
                .filter(|(slo, v)| !slo.holds(**v))
                .map(|(slo, _)| slo.describe())
                .collect();
            row.push(csv_field(&match &p.stopped {
                Some(why) => format!("stopped: {why}"),
                None => broken.join("; "),
            }));
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

/// Whether the workload's arrival rate varies over the run (a spike, a ramp, steps, a
/// diurnal profile): its peak is above its mean, and a rate alone would read as one the
/// system holds throughout.
fn varies(answer: &Answer) -> bool {
    answer.peak_rate > answer.base_rate * (1.0 + 1e-9)
}

/// `capacity.json`: the answer, each seed's, the SLOs and the `--set` overrides of the
/// scenario searched. Rates are means over the run; `peak_rps` is the highest rate of the
/// profile at that scale.
pub fn json(answer: &Answer, scenario: &str, workload: &str, search: &Search) -> Value {
    let rate = |x: f64| x * answer.base_rate;
    let peak = |x: f64| x * answer.peak_rate;
    json!({
        "scenario": scenario,
        "workload": workload,
        "slos": search.slos.iter().map(Slo::describe).collect::<Vec<_>>(),
        "overrides": answer.overrides,
        "tolerance": search.tolerance,
        "base_rate_rps": answer.base_rate,
        "base_peak_rps": answer.peak_rate,
        "rate_varies": varies(answer),
        "capacity": answer.scale.map(|(m, lo, hi)| json!({
            "scale": m, "scale_ci95": [lo, hi],
            "rate_rps": rate(m), "rate_rps_ci95": [rate(lo), rate(hi)],
            "peak_rps": peak(m), "peak_rps_ci95": [peak(lo), peak(hi)],
        })),
        "binding": search.slos.iter().zip(&answer.binding)
            .map(|(s, n)| json!({ "slo": s.describe(), "seeds": n })).collect::<Vec<_>>(),
        "bound_by_a_stopped_run": json!({ "seeds": answer.stopped.0, "why": answer.stopped.1 }),
        "per_seed": answer.seeds.iter().map(|s| match &s.found {
            Found::Capacity { scale, binding, stopped } => json!({
                "seed": s.seed, "scale": scale, "rate_rps": rate(*scale),
                "binding": binding.map(|b| search.slos[b].describe()),
                "stopped": stopped,
            }),
            Found::AtLeast { scale, why } => json!({
                "seed": s.seed, "at_least_scale": scale, "at_least_rate_rps": rate(*scale), "why": why,
            }),
            Found::Never { stopped } => json!({ "seed": s.seed, "never": true, "stopped": stopped }),
        }).collect::<Vec<_>>(),
    })
}

/// A chart per SLO: every probe's value against its rate (crosses where an SLO broke),
/// the SLO's bound, and the capacity's interval.
pub fn charts(
    answer: &Answer,
    scenario: &str,
    workload: &str,
    search: &Search,
) -> Vec<(String, crate::report::xy::XyChart)> {
    use crate::report::xy::{Point, XyChart};
    let probes: Vec<&Probe> = answer.seeds.iter().flat_map(|s| &s.probes).collect();
    search
        .slos
        .iter()
        .enumerate()
        .map(|(i, slo)| {
            let shown: Vec<&&Probe> = probes
                .iter()
                .filter(|p| p.values[i].is_some_and(f64::is_finite))
                .collect();
            let points = shown
                .iter()
                .map(|p| Point {
                    x: p.scale * answer.base_rate,
                    y: p.values[i].unwrap_or(f64::NAN),
                    lo: f64::NAN,
                    hi: f64::NAN,
                    label: String::new(),
                })
                .collect();
            // Each chart is of its own SLO: a probe broke it, or held it and broke another, or
            // held them all (a probe that stopped early has no values and is not drawn).
            let failed = shown
                .iter()
                .enumerate()
                .filter(|(_, p)| !slo.holds(p.values[i]))
                .map(|(k, _)| k)
                .collect();
            let broke_other = shown
                .iter()
                .enumerate()
                .filter(|(_, p)| slo.holds(p.values[i]) && !p.holds())
                .map(|(k, _)| k)
                .collect();
            // A profile that varies is scaled whole: the axis is its mean over the run, and
            // the subtitle gives the peak that mean carries, which is what the system held.
            let mean = if varies(answer) { "mean " } else { "" };
            let subtitle = match answer.scale {
                Some((m, lo, hi)) if varies(answer) => format!(
                    "capacity: a mean of {} /s (95 %: {}–{}), a peak of {} /s; {} seeds, a point a probe (off the top: on it)",
                    significant3(m * answer.base_rate),
                    significant3(lo * answer.base_rate),
                    significant3(hi * answer.base_rate),
                    significant3(m * answer.peak_rate),
                    answer.seeds.len()
                ),
                Some((m, lo, hi)) => format!(
                    "capacity {} /s (95 % interval {}–{}), {} seeds; each point a probe of one seed (off the top: on it)",
                    significant3(m * answer.base_rate),
                    significant3(lo * answer.base_rate),
                    significant3(hi * answer.base_rate),
                    answer.seeds.len()
                ),
                None => format!(
                    "no capacity over all {} seeds; each point a probe of one seed",
                    answer.seeds.len()
                ),
            };
            (
                format!("capacity-{}", i + 1),
                XyChart {
                    title: format!("{scenario}: {} against the rate of {workload}", slo.metric),
                    subtitle,
                    x_desc: format!("{mean}arrival rate of {workload} [requests/s]"),
                    y_desc: slo.metric.clone(),
                    points,
                    failed,
                    broke_other,
                    probes: true,
                    threshold: Some((slo.bound, format!("SLO: {}", slo.describe()))),
                    // An upper bound is read near it: overloaded probes sit on the top.
                    y_cap: matches!(slo.op, Op::Le | Op::Lt)
                        .then_some(slo.bound * 3.0)
                        .filter(|c| *c > 0.0),
                    band_x: answer.scale.map(|(_, lo, hi)| {
                        (
                            lo * answer.base_rate,
                            hi * answer.base_rate,
                            "capacity, 95 % interval".to_string(),
                        )
                    }),
                    ..Default::default()
                },
            )
        })
        .collect()
}

/// What the terminal shows.
pub fn terminal(answer: &Answer, scenario: &str, workload: &str, search: &Search) -> String {
    let mut out = String::new();
    let rate = |x: f64| significant3(x * answer.base_rate);
    let slos: Vec<String> = search.slos.iter().map(Slo::describe).collect();
    out.push_str(&format!(
        "capacity of workload {workload} in {scenario}, holding {}\n",
        slos.join(" and ")
    ));
    // The answer is the scenario's as overridden: say so beside it.
    if !answer.overrides.is_empty() {
        let sets: Vec<String> = answer
            .overrides
            .iter()
            .map(|s| format!("--set {s}"))
            .collect();
        out.push_str(&format!("  the scenario read with {}\n", sets.join(", ")));
    }
    match answer.scale {
        // A profile that varies is scaled whole: the scale is the answer, and a mean rate
        // alone would read as a steady rate the system holds, where it holds the peak.
        Some((m, lo, hi)) if varies(answer) => {
            let peak = |x: f64| significant3(x * answer.peak_rate);
            out.push_str(&format!(
                "  holds {}× the traffic as written (its profile scaled whole): a mean of {} requests/s over the run (written: a mean of {} /s), a peak of {} /s (written: {} /s)\n",
                significant3(m),
                rate(m),
                significant3(answer.base_rate),
                peak(m),
                significant3(answer.peak_rate),
            ));
            out.push_str(&format!(
                "  95 % interval {}–{}× (a mean of {}–{} /s, a peak of {}–{} /s) over {} seeds\n",
                significant3(lo),
                significant3(hi),
                rate(lo),
                rate(hi),
                peak(lo),
                peak(hi),
                answer.seeds.len()
            ));
        }
        Some((m, lo, hi)) => {
            out.push_str(&format!(
                "  {} requests/s ({}× the {} /s as written), 95 % interval {}–{} over {} seeds\n",
                rate(m),
                significant3(m),
                significant3(answer.base_rate),
                rate(lo),
                rate(hi),
                answer.seeds.len()
            ));
        }
        None => out.push_str("  no single answer: not every seed found a capacity (below)\n"),
    }
    if answer.scale.is_some() {
        if let Some((b, n)) = answer
            .binding
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)))
        {
            out.push_str(&format!(
                "  binding SLO: {} ({n} of {} seeds)\n",
                search.slos[b].describe(),
                answer.seeds.len()
            ));
        }
        if let (n @ 1.., Some(why)) = &answer.stopped {
            out.push_str(&format!(
                "  bound by runs that stopped, not by an SLO ({n} of {} seeds): this is where the \
                     scenario's limits give out, not where an SLO breaks: {why}\n",
                answer.seeds.len()
            ));
        }
    }
    for s in &answer.seeds {
        let walk: Vec<String> = s
            .probes
            .iter()
            .map(|p| format!("{}{}", rate(p.scale), if p.holds() { "✓" } else { "✗" }))
            .collect();
        let end = match &s.found {
            Found::Capacity { scale, .. } => format!("{} /s", rate(*scale)),
            Found::AtLeast { scale, why } => format!("at least {} /s ({why})", rate(*scale)),
            Found::Never { stopped } => match stopped {
                Some(why) => format!(
                    "none: the run stops even at {} /s, not an SLO ({why})",
                    rate(MIN_SCALE)
                ),
                None => format!("none: an SLO fails even at {} /s", rate(MIN_SCALE)),
            },
        };
        out.push_str(&format!(
            "  seed {}: {end}; walked {}\n",
            s.seed,
            walk.join(" ")
        ));
    }
    out
}
