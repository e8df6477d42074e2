//! `summary.json`: statistics pooled over seeds, per-seed values, and 95 % intervals.
//!
//! A pure function of the runs' results. The numbers it holds, and what each means, are listed
//! in `FIELDS` (and, for workloads and components, by the workload and each kind): the
//! `metric` of an `[[expect]]` is checked against those lists.

use super::{Field, Hist, MetricSet, Role, RunResult, Unit};

use serde_json::{json, Map, Value};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// What the summary says about the scenario itself.
pub struct SummaryMeta<'a> {
    pub scenario: &'a str,
    pub variant: Option<&'a str>,
    pub description: &'a str,
    pub compare: Option<&'a str>,
}

/// What an `[[expect]]` may not bound although `FIELDS` lists it, and why: a text, the list
/// of seeds, or a figure of the machine rather than of the simulation (an expectation on it
/// would pass on one machine and fail on a slower one).
pub const NOT_BOUNDABLE: &[(&str, &str)] = &[
    ("scenario", "is the scenario's name, a text"),
    ("theory.model", "is the queue's name, a text"),
    ("seeds.*", "are the seeds run, not a measurement"),
    (
        "cost_usd.unpriced.*",
        "are the parts of components left unpriced, texts",
    ),
    (
        "kernel.events_per_sec",
        "depends on the machine and the moment (it is saved in timing.json, not summary.json)",
    ),
    (
        "kernel.wall_s",
        "depends on the machine and the moment (it is saved in timing.json, not summary.json)",
    ),
];

/// The numbers of the summary outside `workloads.*` and `components.*` (whose own are
/// declared by the workload and by each kind), by dotted path.
pub const FIELDS: &[Field] = &[
    Field {
        path: "scenario",
        unit: Unit::Number,
        about: "(text) the scenario's name",
    },
    Field {
        path: "seeds.*",
        unit: Unit::Number,
        about: "the seeds run",
    },
    Field {
        path: "duration_s",
        unit: Unit::Seconds,
        about: "simulated time during which requests arrived",
    },
    Field {
        path: "warmup_s",
        unit: Unit::Seconds,
        about: "time left out of the statistics, from the start",
    },
    Field {
        path: "measured_s",
        unit: Unit::Seconds,
        about: "the measured period: duration less warmup",
    },
    Field {
        path: "window_s",
        unit: Unit::Seconds,
        about: "the width of the time-series windows",
    },
    Field {
        path: "requests.total",
        unit: Unit::Count,
        about: "requests sent by every workload in the measured period, over all seeds",
    },
    Field {
        path: "requests.attempts",
        unit: Unit::Count,
        about: "attempts, retries included",
    },
    Field {
        path: "requests.retries",
        unit: Unit::Count,
        about: "retries",
    },
    Field {
        path: "requests.by_status.*",
        unit: Unit::Count,
        about: "requests by their final status (`timeout` for a client timeout, `error` for an error the callee reported in an answer that arrived, such as a Lambda function error, which no retry policy retries)",
    },
    Field {
        path: "latency_ms.*",
        unit: Unit::Milliseconds,
        about: "latency of successful requests, from first attempt to answer (count, mean, p50, p90, p95, p99, p999, max)",
    },
    Field {
        path: "latency_all_ms.*",
        unit: Unit::Milliseconds,
        about: "latency of every request, failures included at their time to fail (a client timeout at the moment the client gave up), from first attempt to final answer; beside `latency_ms` it shows what fast failures hide",
    },
    Field {
        path: "throughput_rps",
        unit: Unit::PerSecond,
        about: "successful requests per second, per seed: answers given within the measured period, by the time of the answer (a saturated system shows what it serves, not what it is offered)",
    },
    Field {
        path: "offered_rps",
        unit: Unit::PerSecond,
        about: "requests sent per second, per seed",
    },
    Field {
        path: "error_rate",
        unit: Unit::Share,
        about: "share of requests whose final status was not a success",
    },
    Field {
        path: "retry_amplification",
        unit: Unit::Number,
        about: "attempts per request",
    },
    Field {
        path: "cost_usd.total",
        unit: Unit::Usd,
        about: "cost of the measured period, per seed",
    },
    Field {
        path: "cost_usd.by_component.*",
        unit: Unit::Usd,
        about: "cost of each priced component",
    },
    Field {
        path: "cost_usd.unpriced.*",
        unit: Unit::Number,
        about: "(texts) what AWS bills for a component that its cost leaves out (\"RDS Proxy\"), by component",
    },
    Field {
        path: "theory.model",
        unit: Unit::Number,
        about: concat!(
            "(text) the queue the scenario is, when it is one (\"M/M/1\", \"M/M/c\"): ",
            crate::mmc_conditions!(),
            ". Absent otherwise"
        ),
    },
    Field {
        path: "theory.servers",
        unit: Unit::Count,
        about: "its servers, c",
    },
    Field {
        path: "theory.arrival_rps",
        unit: Unit::PerSecond,
        about: "its arrival rate, λ",
    },
    Field {
        path: "theory.service_ms",
        unit: Unit::Milliseconds,
        about: "its mean work, 1/μ",
    },
    Field {
        path: "theory.server_utilisation",
        unit: Unit::Share,
        about: "each server's utilisation, λ/(cμ)",
    },
    Field {
        path: "theory.wait_probability",
        unit: Unit::Share,
        about: "the chance a request waits for a server (Erlang C)",
    },
    Field {
        path: "theory.latency_ms.*",
        unit: Unit::Milliseconds,
        about: "what queueing theory says the service's response time is (mean, p50, p99, p999), waiting and work, without the client's network hops; compare with `latency_ms.*`",
    },
    Field {
        path: "kernel.events",
        unit: Unit::Count,
        about: "events the kernel processed, over all seeds",
    },
    Field {
        path: "kernel.events_per_sec",
        unit: Unit::PerSecond,
        about: "events per second of wall time (saved in timing.json, not summary.json)",
    },
    Field {
        path: "kernel.wall_s",
        unit: Unit::Seconds,
        about: "wall time of the runs, summed over seeds (saved in timing.json, not summary.json)",
    },
    Field {
        path: "kernel.calls",
        unit: Unit::Count,
        about: "calls made, over all seeds",
    },
    Field {
        path: "kernel.peak_in_flight",
        unit: Unit::Count,
        about: "the most calls open at once in any seed",
    },
    Field {
        path: "kernel.lost_calls",
        unit: Unit::Count,
        about: "calls and answers that vanished (a component down)",
    },
    Field {
        path: "kernel.drained_at_s",
        unit: Unit::Seconds,
        about: "when the last work in flight ended",
    },
    Field {
        path: "traces.sampled",
        unit: Unit::Count,
        about: "requests traced (the workloads' `trace` rule), over all seeds",
    },
    Field {
        path: "traces.kept",
        unit: Unit::Count,
        about: "traces in traces.json (each workload's slowest and a sample, of each seed whose series are kept)",
    },
    Field {
        path: "traces.spans_dropped",
        unit: Unit::Count,
        about: "spans not recorded, their trace full (limits: spans per trace): calls made, and components' own time (queue waits, cold starts)",
    },
    Field {
        path: "traces.queued_untraced",
        unit: Unit::Count,
        about: "queued messages not traced further, too many traces held open by queues",
    },
];

/// The summary of a scenario's runs (one per seed, all of the same world).
pub type Summary = Value;

/// Summarises runs held in memory (tests, and a caller with few seeds); `Pool` is the same
/// summary folded one seed at a time.
pub fn summarize(meta: &SummaryMeta<'_>, runs: &[RunResult]) -> Summary {
    let mut pool = Pool::default();
    for (i, r) in runs.iter().enumerate() {
        pool.add(i, r);
    }
    pool.summary(meta)
}

/// A scenario's seeds folded into its summary as they finish, in any order: histograms merge
/// at once (their sums are integers, so the order changes no bit), and of each seed only
/// its summary numbers, counts and gauges stay. Memory does not grow with the seeds'
/// histograms, and the summary is the same whichever seed finished first.
#[derive(Default)]
pub struct Pool {
    clock: Option<super::Clock>,
    /// Each actor's name, kind and role, and its histograms merged over the seeds so far.
    actors: Vec<(String, String, Role, MetricSet)>,
    seeds: Vec<SeedPart>,
}

/// What is kept of one seed.
struct SeedPart {
    /// Its place among the scenario's seeds: the summary lists seeds in this order.
    index: usize,
    seed: u64,
    /// Its own statistics (`per_seed`).
    body: Map<String, Value>,
    /// Counts and gauges of each actor (gauges are averaged over seeds in seed order).
    metrics: Vec<MetricSet>,
    kernel: crate::kernel::KernelStats,
    /// Its traces' counts: sampled, kept, spans dropped, queued messages left untraced.
    traces: [u64; 4],
    end_time: crate::kernel::SimTime,
    wall_s: f64,
}

impl Pool {
    /// Folds in the run of the `index`-th seed.
    pub fn add(&mut self, index: usize, run: &RunResult) {
        self.clock.get_or_insert(run.clock);
        if self.actors.is_empty() {
            self.actors = run
                .actors
                .iter()
                .map(|a| (a.name.clone(), a.kind.clone(), a.role, MetricSet::default()))
                .collect();
        }
        for (pooled, a) in self.actors.iter_mut().zip(&run.actors) {
            for (k, h) in &a.metrics.hists {
                pooled.3.hist(k.clone(), h);
            }
        }
        let own: Vec<PooledActor> = run
            .actors
            .iter()
            .map(|a| PooledActor {
                name: a.name.clone(),
                kind: a.kind.clone(),
                role: a.role,
                metrics: a.metrics.clone(),
            })
            .collect();
        let mut body = Map::new();
        body.insert("seed".into(), json!(run.seed));
        for (k, v) in self::body(&own) {
            body.insert(k, v);
        }
        self.seeds.push(SeedPart {
            index,
            seed: run.seed,
            body,
            metrics: run
                .actors
                .iter()
                .map(|a| a.metrics.without_hists())
                .collect(),
            kernel: run.kernel.clone(),
            traces: [
                run.traces.sampled,
                run.traces.kept.len() as u64,
                run.traces.spans_dropped,
                run.traces.queued_untraced,
            ],
            end_time: run.end_time,
            wall_s: run.wall_s,
        });
    }

    /// The summary of the seeds folded in.
    pub fn summary(mut self, meta: &SummaryMeta<'_>) -> Summary {
        self.seeds.sort_by_key(|s| s.index);
        let seeds = &self.seeds;
        let mut out = Map::new();
        out.insert("scenario".into(), json!(meta.scenario));
        out.insert("variant".into(), json!(meta.variant));
        if !meta.description.is_empty() {
            out.insert("description".into(), json!(meta.description));
        }
        if let Some(c) = meta.compare {
            out.insert("compare".into(), json!(c));
        }
        out.insert(
            "seeds".into(),
            json!(seeds.iter().map(|r| r.seed).collect::<Vec<_>>()),
        );
        if let Some(clock) = self.clock {
            out.insert("duration_s".into(), json!(clock.end.as_secs_f64()));
            out.insert("warmup_s".into(), json!(clock.warmup.as_secs_f64()));
            out.insert("measured_s".into(), json!(clock.measured_secs()));
            out.insert("window_s".into(), json!(clock.window.as_secs_f64()));
        }
        let pooled: Vec<PooledActor> = self
            .actors
            .iter()
            .enumerate()
            .map(|(i, (name, kind, role, hists))| {
                let mut metrics = MetricSet::pool(seeds.iter().map(|s| &s.metrics[i]));
                metrics.edge_amplifications();
                metrics.hists = hists.hists.clone();
                PooledActor {
                    name: name.clone(),
                    kind: kind.clone(),
                    role: *role,
                    metrics,
                }
            })
            .collect();
        for (k, v) in body(&pooled) {
            out.insert(k, v);
        }
        let events: u64 = seeds.iter().map(|r| r.kernel.events).sum();
        let wall: f64 = seeds.iter().map(|r| r.wall_s).sum();
        out.insert(
            "kernel".into(),
            json!({
                "events": events,
                "events_per_sec": if wall > 0.0 { events as f64 / wall } else { 0.0 },
                "wall_s": wall,
                "calls": seeds.iter().map(|r| r.kernel.calls).sum::<u64>(),
                "peak_in_flight": seeds.iter().map(|r| r.kernel.peak_in_flight).max().unwrap_or(0),
                "lost_calls": seeds.iter().map(|r| r.kernel.lost_calls).sum::<u64>(),
                "drained_at_s": seeds.iter().map(|r| r.end_time.as_secs_f64()).fold(0.0, f64::max),
            }),
        );
        // What the traces hold, and what they could not: a trace past its span limit, or a
        // queued message past the limit of traces held open, is cut short and counted here.
        let traces = |i: usize| seeds.iter().map(|r| r.traces[i]).sum::<u64>();
        out.insert(
            "traces".into(),
            json!({
                "sampled": traces(0),
                "kept": traces(1),
                "spans_dropped": traces(2),
                "queued_untraced": traces(3),
            }),
        );
        let per_seed: Vec<Value> = self
            .seeds
            .into_iter()
            .map(|s| Value::Object(s.body))
            .collect();
        out.insert("ci95".into(), Value::Object(ci95(&per_seed)));
        out.insert("per_seed".into(), Value::Array(per_seed));
        Value::Object(out)
    }
}

/// One actor's statistics pooled over seeds.
struct PooledActor {
    name: String,
    kind: String,
    role: Role,
    metrics: MetricSet,
}

/// The parts of the summary that each seed has its own of (under `per_seed`, as `body` writes
/// them); the rest (`kernel`, `traces`, `theory`, `seeds`, …) are the scenario's alone.
pub const PER_SEED: &[&str] = &[
    "requests",
    "latency_ms",
    "latency_all_ms",
    "throughput_rps",
    "offered_rps",
    "error_rate",
    "retry_amplification",
    "workloads",
    "components",
    "cost_usd",
];

/// The statistics part of a summary (shared by the pooled summary and each seed's).
fn body(actors: &[PooledActor]) -> Vec<(String, Value)> {
    let workloads: Vec<&PooledActor> = actors.iter().filter(|a| a.role == Role::Workload).collect();
    let all = MetricSet::pool(workloads.iter().map(|w| &w.metrics));
    let gauge_sum = |name: &str| -> f64 {
        workloads
            .iter()
            .filter_map(|w| w.metrics.gauges.get(name))
            .sum()
    };
    let count = |name: &str| all.counts.get(name).copied().unwrap_or(0);
    let total = count("requests.total");
    let ok: u64 = all
        .counts
        .iter()
        .filter(|(k, _)| k.starts_with("requests.by_status.2"))
        .map(|(_, v)| v)
        .sum();
    let requests = nested(&all.counts, "requests.", |v| json!(v));
    let latency = all.hists.get("latency_ms").map_or(Value::Null, hist_json);
    let latency_all = all
        .hists
        .get("latency_all_ms")
        .map_or(Value::Null, hist_json);

    let mut out = vec![
        ("requests".to_string(), requests),
        ("latency_ms".to_string(), latency),
        ("latency_all_ms".to_string(), latency_all),
        (
            "throughput_rps".to_string(),
            json!(gauge_sum("throughput_rps")),
        ),
        ("offered_rps".to_string(), json!(gauge_sum("offered_rps"))),
        (
            "error_rate".to_string(),
            json!(if total > 0 {
                (total - ok) as f64 / total as f64
            } else {
                0.0
            }),
        ),
        (
            "retry_amplification".to_string(),
            json!(if total > 0 {
                count("requests.attempts") as f64 / total as f64
            } else {
                0.0
            }),
        ),
    ];
    let mut w = Map::new();
    for a in &workloads {
        w.insert(a.name.clone(), actor_json(&a.metrics, None));
    }
    out.push(("workloads".to_string(), Value::Object(w)));
    let mut c = Map::new();
    let mut cost = Map::new();
    let mut cost_total = 0.0;
    for a in actors.iter().filter(|a| a.role == Role::Component) {
        c.insert(a.name.clone(), actor_json(&a.metrics, Some(&a.kind)));
        if let Some(&usd) = a.metrics.gauges.get("cost_usd") {
            cost.insert(a.name.clone(), json!(usd));
            cost_total += usd;
        }
    }
    out.push(("components".to_string(), Value::Object(c)));
    // Cost of the measured period (per seed, averaged over seeds), by component that has a price.
    out.push((
        "cost_usd".to_string(),
        json!({ "total": cost_total, "by_component": cost }),
    ));
    out
}

fn actor_json(m: &MetricSet, kind: Option<&str>) -> Value {
    let mut obj = Map::new();
    if let Some(k) = kind {
        obj.insert("kind".into(), json!(k));
    }
    let mut tree = Value::Object(obj);
    for (k, v) in &m.counts {
        insert_path(&mut tree, k, json!(v));
    }
    for (k, v) in &m.gauges {
        insert_path(&mut tree, k, json!(v));
    }
    for (k, h) in &m.hists {
        insert_path(&mut tree, k, hist_json(h));
    }
    tree
}

/// The statistics of a latency (or any duration) in the summary, as `hist_json` writes them.
pub const HIST_KEYS: &[&str] = &["count", "mean", "p50", "p90", "p95", "p99", "p999", "max"];

fn hist_json(h: &Hist) -> Value {
    json!({
        "count": h.count(),
        "mean": h.mean_ms(),
        "p50": h.quantile_ms(0.50),
        "p90": h.quantile_ms(0.90),
        "p95": h.quantile_ms(0.95),
        "p99": h.quantile_ms(0.99),
        "p999": h.quantile_ms(0.999),
        "max": h.max_ms(),
    })
}

/// The entries under `prefix`, as a nested object.
fn nested<T: Copy>(
    map: &std::collections::BTreeMap<String, T>,
    prefix: &str,
    f: impl Fn(T) -> Value,
) -> Value {
    let mut tree = Value::Object(Map::new());
    for (k, v) in map {
        if let Some(rest) = k.strip_prefix(prefix) {
            insert_path(&mut tree, rest, f(*v));
        }
    }
    tree
}

fn insert_path(tree: &mut Value, path: &str, v: Value) {
    let mut node = tree;
    let mut parts = path.split('.').peekable();
    while let Some(p) = parts.next() {
        let Value::Object(map) = node else {
            return;
        };
        if parts.peek().is_none() {
            map.insert(p.to_string(), v);
            return;
        }
        node = map
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Every numeric leaf of a JSON tree, by dotted path.
pub fn flatten(v: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(v: &'a Value, path: &mut String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    walk(child, path, out);
                    path.truncate(len);
                }
            }
            Value::Number(_) => out.push((path.clone(), v)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut String::new(), &mut out);
    out
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom: a 95 % interval's
/// half-width in standard errors (NaN when `df` is not positive).
pub fn t975(df: f64) -> f64 {
    t_quantile(0.975, df)
}

/// The `p` quantile of Student's t with `df` degrees of freedom (NaN when `df` is not
/// positive): a two-sided interval at confidence `c` is `t_quantile(1 − (1 − c) / 2, df)`
/// standard errors either side.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df)
        .map(|d| d.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// Student-t 95 % intervals of the mean over seeds, for every non-integer statistic (rates,
/// latencies, utilisations), not below 0 for a statistic no seed has below it
/// (`compare::mean_interval_at`); counts are left out, their totals being what matters.
pub(crate) fn ci95(per_seed: &[Value]) -> Map<String, Value> {
    let mut out = Map::new();
    let n = per_seed.len();
    if n < 2 {
        return out;
    }
    let first = flatten(&per_seed[0]);
    for (path, v) in first {
        if path == "seed" || v.is_u64() || v.is_i64() {
            continue;
        }
        let values: Vec<f64> = per_seed
            .iter()
            .filter_map(|s| pointer(s, &path).and_then(Value::as_f64))
            .filter(|x| x.is_finite())
            .collect();
        if values.len() != n {
            continue;
        }
        let (_, lo, hi) = super::compare::mean_interval_at(&path, &values);
        out.insert(path, json!([lo, hi]));
    }
    out
}

/// Whether a figure of `summary.json` is a count summed over seeds: counts are written as
/// integers (u64, or i64 below zero) and pool by adding; every other figure (a mean, a
/// maximum, a gauge averaged over the seeds) is written as a float, even when it is whole
/// (a table's "partitions": 4.0). The one test of it for expectations, the terminal, both
/// pages and the slides.
pub fn is_summed(v: &Value) -> bool {
    v.is_u64() || v.is_i64()
}

/// The value at a dotted path.
pub fn pointer<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |node, key| node.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hist_keys_are_what_a_latency_holds() {
        let json = hist_json(&Hist::default());
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HIST_KEYS);
    }

    #[test]
    fn what_no_expectation_may_bound_is_listed_as_the_summary_has_it() {
        // A renamed field would otherwise become boundable without a word.
        for (path, _) in NOT_BOUNDABLE {
            assert!(FIELDS.iter().any(|f| f.path == *path), "{path}");
        }
        // And a field its description calls a text, or keeps out of summary.json, is listed.
        for f in FIELDS {
            if f.about.starts_with("(text)") || f.about.contains("not summary.json") {
                assert!(
                    NOT_BOUNDABLE.iter().any(|(p, _)| *p == f.path),
                    "{}",
                    f.path
                );
            }
        }
    }

    #[test]
    fn per_seed_names_what_each_seed_has() {
        let names: Vec<String> = body(&[]).into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, PER_SEED);
        // The key's description lists them for editors.
        let key = crate::scenario::keys::EXPECT
            .iter()
            .find(|k| k.name == "each_seed")
            .unwrap();
        for name in PER_SEED {
            assert!(key.about.contains(name), "{name}");
        }
    }
}
