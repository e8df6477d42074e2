//! Capacity search: the highest rate at which a workload can arrive while every SLO holds.
//!
//! The workload's whole arrival process is scaled by a factor (a profile keeps its shape). Each
//! seed is searched on its own, on common random numbers (the same seed at every scale sees
//! the same draws, its arrivals compressed or stretched): from the scale as written, doubling
//! or halving until the SLOs change verdict, then bisecting (geometrically) until the bracket
//! is narrower than the tolerance. A seed's capacity is the highest scale seen to hold; the
//! answer is their mean with a Student-t 95 % interval over seeds. Bisection assumes that a
//! metric only worsens as the rate grows (a lower bound on a rate or a count, which grows with
//! it, is refused: `Slo::unsearchable`); a probe whose run stops at a limit (too many calls
//! in flight) counts as broken.

use crate::expect::number_at;
use crate::metrics::{summarize, SummaryMeta, Unit};
use crate::scenario::Scenario;
use crate::sweep::RunOptions;
use crate::world::World;
use rayon::prelude::*;

/// How an SLO compares its metric with its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Le,
    Lt,
    Ge,
    Gt,
}

/// A service level objective: a number of `summary.json` (a dotted path, as `[[expect]]`
/// names it) against a bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub metric: String,
    pub op: Op,
    pub bound: f64,
}

/// The number to write for a bound written with a unit, as a hint for its message, by the
/// metric's declared unit (`scenario::metric_unit`): a percentage as the share a `Share`
/// is ("1%": 0.01) or as itself for a `Percent`, a duration in milliseconds or seconds
/// ("100ms" is 100 for `latency_ms.p99`); else to write it without a unit.
fn unit_hint(metric: &str, bound: &str, unit: Option<Unit>) -> String {
    let show = crate::config::check::show;
    let metric_shown = crate::text::one_line(metric);
    let plain = format!(": write the bound without a unit, in the unit of {metric_shown}");
    if let Some(n) = bound.strip_suffix('%') {
        let Ok(x) = n.trim().parse::<f64>() else {
            return String::new();
        };
        return match unit {
            Some(Unit::Percent) => format!(": write {} ({metric_shown} is in percent)", show(x)),
            Some(Unit::Share) => format!(
                ": write {} (a share is from 0 to 1: {} % is {0})",
                show(x / 100.0),
                show(x)
            ),
            _ => plain,
        };
    }
    let Ok(t) = crate::config::check::parse_duration(bound) else {
        return String::new();
    };
    let (name, ns) = match unit {
        Some(Unit::Milliseconds) => ("milliseconds", 1e6),
        Some(Unit::Seconds) => ("seconds", 1e9),
        _ => return plain,
    };
    format!(
        ": write {} ({metric_shown} is in {name})",
        show(t.nanos() as f64 / ns)
    )
}

impl Slo {
    /// Reads `latency_ms.p99<=300` (also `<`, `>=`, `>`, `≤`, `≥`; spaces allowed), knowing
    /// no metric's unit: a bound written with one is told to drop it (`parse_with_units`).
    pub fn parse(text: &str) -> Result<Slo, String> {
        Slo::parse_with_units(text, &|_| None)
    }

    /// `parse`, where `unit_of` gives a metric's declared unit (`scenario::metric_unit`) for
    /// the hint to a bound written with one: "100ms" for `latency_ms.p99` is told to be 100.
    pub fn parse_with_units(
        text: &str,
        unit_of: &dyn Fn(&str) -> Option<Unit>,
    ) -> Result<Slo, String> {
        let shown = crate::text::one_line(text);
        let ops = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("≤", Op::Le),
            ("≥", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        let Some((at, sym, op)) = ops
            .iter()
            .filter_map(|(sym, op)| text.find(sym).map(|at| (at, *sym, *op)))
            .min_by_key(|(at, sym, _)| (*at, std::cmp::Reverse(sym.len())))
        else {
            return Err(format!(
                "--slo \"{shown}\": no comparison; write a summary path, <=, <, >= or >, and a number (\"latency_ms.p99<=300\", \"error_rate<=0.001\")"
            ));
        };
        let metric = text[..at].trim().to_string();
        let bound_text = text[at + sym.len()..].trim();
        let bound: f64 = bound_text.parse().map_err(|_| {
            format!(
                "--slo \"{shown}\": \"{}\" is not a number{}",
                crate::text::one_line(bound_text),
                unit_hint(&metric, bound_text, unit_of(&metric))
            )
        })?;
        if !bound.is_finite() {
            return Err(format!("--slo \"{shown}\": the bound must be finite"));
        }
        Ok(Slo { metric, op, bound })
    }

    /// Whether a value meets it; no number (no successful request to measure) does not.
    pub fn holds(&self, value: Option<f64>) -> bool {
        match value {
            Some(v) if v.is_finite() => match self.op {
                Op::Le => v <= self.bound,
                Op::Lt => v < self.bound,
                Op::Ge => v >= self.bound,
                Op::Gt => v > self.bound,
            },
            _ => false,
        }
    }

    /// Why the search cannot find a highest rate that holds it, when it cannot: a lower
    /// bound on a rate, a count, a latency or a duration, or a share (utilisation, errors,
    /// hits) (`unit`, as the metric's declaration says), each of which grows with the arrival
    /// rate. Such a bound fails at low rates and holds at high ones, where
    /// the search needs every SLO to hold at low rates and break as the rate rises: it would
    /// halve the rate to the bottom of its range and report that nothing holds.
    pub fn unsearchable(&self, unit: Option<crate::metrics::Unit>) -> Option<String> {
        use crate::metrics::Unit;
        let lower = matches!(self.op, Op::Ge | Op::Gt);
        // Every declared unit but a plain number (rates, counts, latencies, shares,
        // percentages, money) is never below 0: an upper bound under it never holds, and the
        // search would halve the rate to its floor to say so.
        let never_negative = unit.is_some_and(|u| u != Unit::Number);
        if never_negative
            && !lower
            && (self.bound < 0.0 || (self.bound == 0.0 && self.op == Op::Lt))
        {
            return Some(format!(
                "--slo \"{}\": {} is never below 0, so this bound can never hold",
                crate::text::one_line(&self.describe()),
                self.metric
            ));
        }
        // A share is from 0 to 1, and printed as a percentage: `error_rate<=5` for 5 % would
        // hold at every rate, and the search would stop only at its ceiling.
        if unit == Some(Unit::Share) && !(0.0..1.0).contains(&self.bound) {
            let hint = crate::config::check::percent_hint(self.bound);
            return Some(format!(
                "--slo \"{}\": {} is a share from 0 to 1, printed as a percentage: a bound of {} can never break{hint}",
                crate::text::one_line(&self.describe()),
                self.metric,
                crate::config::check::show(self.bound)
            ));
        }
        let what = match unit {
            Some(Unit::PerSecond) => "a rate",
            Some(Unit::Count) => "a count",
            Some(Unit::Milliseconds | Unit::Seconds) => "a latency or a duration",
            Some(Unit::Share) => "a share (utilisation, errors, hits)",
            // Money, plain numbers (capacity units, instance counts) and percentages (a
            // volume's burst balance, which falls as load rises) may be bounded below.
            Some(Unit::Usd | Unit::Number | Unit::Percent) | None => return None,
        };
        lower.then(|| {
            format!(
                "--slo \"{}\": a lower bound on {what}, which grows with the arrival rate, cannot be searched: it fails at low rates and holds at high ones, while the search looks for the highest rate below which every SLO holds, raising the rate until one breaks. Bound what worsens with load (\"latency_ms.p99<=300\", \"error_rate<=0.001\"); to ask whether a rate is served, run the scenario at that rate with an [[expect]] on {} (`archsim check`)",
                crate::text::one_line(&self.describe()),
                self.metric
            )
        })
    }

    pub fn describe(&self) -> String {
        let op = match self.op {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
        };
        format!("{} {op} {}", self.metric, self.bound)
    }
}

/// What to search.
#[derive(Clone, Debug)]
pub struct Search {
    /// The index of the scaled workload in the scenario.
    pub workload: usize,
    pub slos: Vec<Slo>,
    /// The bracket of each seed is narrowed until hi / lo − 1 is below this.
    pub tolerance: f64,
}

/// The scales the search does not go beyond (a factor of a thousand either way).
pub const MAX_SCALE: f64 = 1024.0;
pub const MIN_SCALE: f64 = 1.0 / 1024.0;

/// One run of one seed at one scale.
#[derive(Clone, Debug)]
pub struct Probe {
    pub seed: u64,
    /// Its place in its seed's walk, from 0.
    pub step: usize,
    pub scale: f64,
    /// Each SLO's metric in this run.
    pub values: Vec<Option<f64>>,
    /// The first SLO it broke, if any.
    pub broken: Option<usize>,
    /// Why the run stopped early, when it did (it counts as broken).
    pub stopped: Option<String>,
    /// An SLO whose path names nothing in the run's summary, and what is there instead.
    pub missing: Option<(usize, String)>,
}

impl Probe {
    pub fn holds(&self) -> bool {
        self.broken.is_none() && self.stopped.is_none()
    }
}

/// Where a seed's search ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// The highest scale seen to hold, and the SLO broken at the lowest scale seen to fail,
    /// or why that run stopped early when it did (`stopped`: no SLO was judged there; the
    /// run's limits, such as `max_in_flight`, bound the answer).
    Capacity {
        scale: f64,
        binding: Option<usize>,
        stopped: Option<String>,
    },
    /// Every SLO held up to `scale`, where the search stopped (`why`).
    AtLeast { scale: f64, why: String },
    /// Some SLO failed even at the smallest scale, or its run stopped early there (`stopped`:
    /// why; no SLO was judged).
    Never { stopped: Option<String> },
}

/// A seed's search.
#[derive(Clone, Debug)]
pub struct SeedSearch {
    pub seed: u64,
    pub found: Found,
    pub probes: Vec<Probe>,
}

/// The answer over seeds.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The workload's mean arrival rate as written, per second: over the run, for a
    /// profile that varies.
    pub base_rate: f64,
    /// The workload's highest arrival rate as written, per second: its peak, for a profile
    /// that varies (a scale applies to the whole profile, so at a scale the peak is the
    /// scale times this); `base_rate` for a steady one.
    pub peak_rate: f64,
    pub seeds: Vec<SeedSearch>,
    /// Mean, and 95 % interval, of the seeds' capacity scales, when every seed found one.
    pub scale: Option<(f64, f64, f64)>,
    /// How many seeds each SLO bound.
    pub binding: Vec<usize>,
    /// How many seeds a run that stopped early bound instead, and why the first one stopped.
    pub stopped: (usize, Option<String>),
    /// The `--set` overrides of the scenario searched (`PATH=VALUE`, as given): the answer
    /// is the scenario's with them.
    pub overrides: Vec<String>,
}

/// Why a scenario's workload cannot be searched, if it cannot.
pub fn refuse(sc: &Scenario, workload: usize) -> Option<String> {
    let w = &sc.workloads[workload];
    if w.arrival.scaled(1.0).is_none() {
        return Some(format!(
            "workload \"{}\" replays a trace: its instants are what was recorded and cannot be scaled; search a workload with a rate",
            w.name
        ));
    }
    if w.arrival
        .expected_between(crate::kernel::SimTime::ZERO, sc.duration)
        <= 0.0
    {
        return Some(format!(
            "workload \"{}\" sends nothing as written; give it a rate to scale",
            w.name
        ));
    }
    None
}

/// The scenario with its workload's arrivals scaled.
fn scaled(sc: &Scenario, workload: usize, factor: f64) -> Scenario {
    let mut s = sc.clone();
    let w = &mut s.workloads[workload];
    if let Some(a) = w.arrival.scaled(factor) {
        w.arrival = a;
    }
    s
}

/// Runs the search on every seed of `sc` (in parallel; the answer does not depend on the
/// number of threads). Fails when an SLO names a number the summary does not have.
pub fn search(sc: &Scenario, search: &Search, options: &RunOptions) -> Result<Answer, String> {
    let seeds = sc.seed_list();
    let per_run = options.max_events.div_ceil(u64::from(sc.seeds).max(1));
    let one = |seed: u64| seed_search(sc, search, seed, per_run);
    let results: Vec<SeedSearch> = crate::sweep::on_threads(options.threads, || {
        seeds.par_iter().map(|&s| one(s)).collect()
    });
    let w = &sc.workloads[search.workload];
    let base_rate = w
        .arrival
        .expected_between(crate::kernel::SimTime::ZERO, sc.duration)
        / sc.duration.as_secs_f64();
    let capacities: Option<Vec<f64>> = results
        .iter()
        .map(|r| match r.found {
            Found::Capacity { scale, .. } => Some(scale),
            _ => None,
        })
        .collect();
    let scale = capacities.map(|c| crate::metrics::compare::mean_interval(&c));
    if let Some((i, why)) = results
        .iter()
        .flat_map(|r| &r.probes)
        .find_map(|p| p.missing.clone())
    {
        return Err(format!("--slo \"{}\": {why}", search.slos[i].describe()));
    }
    let mut binding = vec![0; search.slos.len()];
    let mut stopped = (0, None);
    for r in &results {
        match &r.found {
            Found::Capacity {
                binding: Some(b), ..
            } => binding[*b] += 1,
            Found::Capacity {
                stopped: Some(why), ..
            } => {
                stopped.0 += 1;
                stopped.1.get_or_insert_with(|| why.clone());
            }
            _ => {}
        }
    }
    Ok(Answer {
        base_rate,
        peak_rate: w.peak_rate(),
        seeds: results,
        scale,
        binding,
        stopped,
        overrides: sc.overrides.clone(),
    })
}

fn seed_search(sc: &Scenario, search: &Search, seed: u64, per_run: u64) -> SeedSearch {
    let mut probes: Vec<Probe> = Vec::new();
    let mut probe = |scale: f64| -> Result<bool, String> {
        let s = scaled(sc, search.workload, scale);
        if s.estimated_events() > per_run as f64 {
            return Err(format!(
                "a run at {scale:.3}× would take more than its share of --max-events ({per_run} events)"
            ));
        }
        if s.workloads[search.workload].peak_rate() > crate::limits::MAX_RATE {
            return Err(format!(
                "{scale:.3}× is past the highest rate archsim simulates"
            ));
        }
        let p = run_probe(&s, search, seed, probes.len(), scale, per_run);
        let holds = p.holds();
        let missing = p.missing.clone();
        probes.push(p);
        match missing {
            Some((i, why)) => Err(format!("--slo {}: {why}", search.slos[i].describe())),
            None => Ok(holds),
        }
    };
    // Bracket: from the scale as written, double while it holds, halve while it fails.
    let stop = |found: Found, probes: Vec<Probe>| SeedSearch {
        seed,
        found,
        probes,
    };
    let (mut lo, mut hi) = match probe(1.0) {
        Err(why) => return stop(Found::AtLeast { scale: 0.0, why }, probes),
        Ok(true) => {
            let mut lo = 1.0;
            loop {
                let next = lo * 2.0;
                if next > MAX_SCALE {
                    let why = format!("the search stops at {MAX_SCALE}× the rate as written");
                    return stop(Found::AtLeast { scale: lo, why }, probes);
                }
                match probe(next) {
                    Ok(true) => lo = next,
                    Ok(false) => break (lo, next),
                    Err(why) => return stop(Found::AtLeast { scale: lo, why }, probes),
                }
            }
        }
        Ok(false) => {
            let mut hi = 1.0;
            loop {
                let next = hi / 2.0;
                if next < MIN_SCALE {
                    // The walk's last probe is its smallest.
                    let stopped = probes.last().and_then(|p| p.stopped.clone());
                    return stop(Found::Never { stopped }, probes);
                }
                match probe(next) {
                    Ok(true) => break (next, hi),
                    // A smaller scale takes less work: only a refusal of its own stops it.
                    Ok(false) => hi = next,
                    Err(why) => return stop(Found::AtLeast { scale: 0.0, why }, probes),
                }
            }
        }
    };
    // Bisect, geometrically, until the bracket is as narrow as asked.
    while hi / lo - 1.0 > search.tolerance {
        let mid = (lo * hi).sqrt();
        match probe(mid) {
            Ok(true) => lo = mid,
            Ok(false) => hi = mid,
            Err(_) => hi = mid,
        }
    }
    let first_failure = probes
        .iter()
        .filter(|p| !p.holds() && p.scale >= lo)
        .min_by(|a, b| a.scale.total_cmp(&b.scale));
    let binding = first_failure.and_then(|p| p.broken);
    let stopped = first_failure
        .filter(|p| p.broken.is_none())
        .and_then(|p| p.stopped.clone());
    SeedSearch {
        seed,
        found: Found::Capacity {
            scale: lo,
            binding,
            stopped,
        },
        probes,
    }
}

fn run_probe(
    s: &Scenario,
    search: &Search,
    seed: u64,
    step: usize,
    scale: f64,
    per_run: u64,
) -> Probe {
    match World::build(s, seed).max_events(per_run).run() {
        Ok(run) => {
            let summary = summarize(
                &SummaryMeta {
                    scenario: &s.name,
                    variant: None,
                    description: "",
                    compare: None,
                },
                std::slice::from_ref(&run),
            );
            let values: Vec<Option<f64>> = search
                .slos
                .iter()
                .map(|slo| number_at(&summary, &slo.metric))
                .collect();
            let broken = search
                .slos
                .iter()
                .zip(&values)
                .position(|(slo, v)| !slo.holds(*v));
            // A path that leads nowhere (`latency_ms.p100`) is a mistake, not a broken SLO;
            // a number that is null (no request succeeded) is a broken one.
            let missing = search.slos.iter().enumerate().find_map(|(i, slo)| {
                (crate::metrics::pointer(&summary, &slo.metric).is_none() && values[i].is_none())
                    .then(|| (i, crate::expect::not_a_number(&summary, &slo.metric)))
            });
            Probe {
                seed,
                step,
                scale,
                values,
                broken,
                stopped: None,
                missing,
            }
        }
        Err(e) => Probe {
            seed,
            step,
            scale,
            values: vec![None; search.slos.len()],
            broken: None,
            stopped: Some(e.reason),
            missing: None,
        },
    }
}

/// The folder a search of `scenario` writes in its results folder.
pub fn folder(scenario: &str) -> String {
    format!("{scenario}-capacity")
}

/// Writes a search's files into `out/<scenario>-capacity/` (as whole as any results
/// folder): `capacity.csv`, `capacity.json` and a chart per SLO (SVG and PNG).
pub fn write(
    out: &crate::sweep::OutDir,
    scenario: &str,
    workload: &str,
    search: &Search,
    answer: &Answer,
) -> std::io::Result<std::path::PathBuf> {
    use crate::report::{self, capacity as render};
    use crate::sweep::write_new;
    out.write_scenario(&folder(scenario), |dir| {
        write_new(dir, "capacity.csv", render::csv(answer, search).as_bytes())?;
        let json = render::json(answer, scenario, workload, search);
        write_new(dir, "capacity.json", report::summary_json(&json).as_bytes())?;
        for (stem, chart) in render::charts(answer, scenario, workload, search) {
            write_new(
                dir,
                &format!("{stem}.svg"),
                report::xy::svg(&chart).as_bytes(),
            )?;
            write_new(dir, &format!("{stem}.png"), &report::xy::png(&chart))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lower_bound_is_refused_on_what_grows_with_load_and_kept_on_what_falls() {
        use crate::metrics::Unit;
        let at_least = Slo::parse("x>=5").unwrap();
        for unit in [
            Unit::PerSecond,
            Unit::Count,
            Unit::Milliseconds,
            Unit::Seconds,
            Unit::Share,
        ] {
            assert!(at_least.unsearchable(Some(unit)).is_some(), "{unit:?}");
        }
        // A volume's burst balance (a percentage) falls as load rises: searchable.
        for unit in [Unit::Percent, Unit::Usd, Unit::Number] {
            assert!(at_least.unsearchable(Some(unit)).is_none(), "{unit:?}");
        }
        // An upper bound on any of them is what the search is for.
        let at_most = Slo::parse("x<=5").unwrap();
        assert!(at_most.unsearchable(Some(Unit::Milliseconds)).is_none());
        // But not a bound on a share written as a percentage: it never breaks.
        let why = at_most.unsearchable(Some(Unit::Share)).unwrap();
        assert!(
            why.contains("a bound of 5 can never break (for 5 %, write 0.05)"),
            "{why}"
        );
        let share = Slo::parse("x<=0.05").unwrap();
        assert!(share.unsearchable(Some(Unit::Share)).is_none());
        // Nothing that is never negative holds under 0 (nor under `< 0`); `<= 0` may.
        for slo in ["latency_ms.p99<=-5", "error_rate<0", "cost_usd.total<-1"] {
            let s = Slo::parse(slo).unwrap();
            for unit in [
                Unit::Milliseconds,
                Unit::Share,
                Unit::Usd,
                Unit::Count,
                Unit::Percent,
            ] {
                let why = s.unsearchable(Some(unit)).expect(slo);
                assert!(
                    why.contains("is never below 0, so this bound can never hold"),
                    "{why}"
                );
            }
        }
        let zero = Slo::parse("errors<=0").unwrap();
        assert!(zero.unsearchable(Some(Unit::Count)).is_none());
        assert!(Slo::parse("x<=-5")
            .unwrap()
            .unsearchable(Some(Unit::Number))
            .is_none());
    }

    #[test]
    fn slos_are_read_with_every_comparison() {
        let s = Slo::parse("latency_ms.p99<=300").unwrap();
        assert_eq!(
            (s.metric.as_str(), s.op, s.bound),
            ("latency_ms.p99", Op::Le, 300.0)
        );
        assert_eq!(Slo::parse(" error_rate < 0.001 ").unwrap().op, Op::Lt);
        assert_eq!(Slo::parse("throughput_rps>=10").unwrap().op, Op::Ge);
        assert_eq!(Slo::parse("throughput_rps≥10").unwrap().op, Op::Ge);
        assert_eq!(Slo::parse("x>1").unwrap().op, Op::Gt);
        assert!(Slo::parse("latency_ms.p99")
            .unwrap_err()
            .contains("no comparison"));
        assert!(Slo::parse("latency_ms.p99<=fast")
            .unwrap_err()
            .contains("not a number"));
        assert!(Slo::parse("x<=inf").is_err());
        let le = Slo::parse("x<=1").unwrap();
        assert!(le.holds(Some(1.0)) && !le.holds(Some(1.5)) && !le.holds(None));
        assert!(!le.holds(Some(f64::NAN)));
        assert!(!Slo::parse("x<1").unwrap().holds(Some(1.0)));
    }

    #[test]
    fn a_bound_written_with_a_unit_is_told_the_number_to_write() {
        // Units as the summary declares them; a component's as its kind would (a volume's
        // burst balance is a percent).
        let unit_of = |m: &str| match m {
            "components.vol.burst_balance_min_pct" => Some(Unit::Percent),
            "components.db.failover_downtime_s" => Some(Unit::Seconds),
            m => crate::scenario::metric_unit(m, &|_| None),
        };
        let said = |t: &str| Slo::parse_with_units(t, &unit_of).unwrap_err();
        // Milliseconds, then seconds.
        assert!(
            said("latency_ms.p99<=100ms").ends_with(
                "\"100ms\" is not a number: write 100 (latency_ms.p99 is in milliseconds)"
            ),
            "{}",
            said("latency_ms.p99<=100ms")
        );
        assert!(said("latency_ms.p99<=1.5s").contains("write 1500 "));
        assert!(said("components.db.failover_downtime_s<=2m").contains("write 120 "));
        // A share from 0 to 1: 1 % is 0.01.
        assert!(
            said("error_rate<=1%").contains("\"1%\" is not a number: write 0.01 "),
            "{}",
            said("error_rate<=1%")
        );
        // A metric in percent keeps its number; one that is neither a share nor a percent
        // gets no share.
        assert!(said("components.vol.burst_balance_min_pct>=20%").contains("write 20 ("));
        assert!(said("latency_ms.p99<=1%").contains("without a unit"));
        // A metric whose unit is not known (or not a duration): drop the unit.
        assert!(said("x<=5s").contains("without a unit"));
        assert!(Slo::parse("latency_ms.p99<=100ms")
            .unwrap_err()
            .contains("without a unit"));
        // No unit to read: no hint.
        assert!(said("latency_ms.p99<=fast").ends_with("is not a number"));
    }
}
