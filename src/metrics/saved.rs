//! A run's results as JSON, losslessly: what a shard writes for each (scenario, variant, seed)
//! job and `merge` reads back, so that a sharded sweep pools exactly the numbers an unsharded
//! one would. Every `f64` travels as its bit pattern (JSON has no NaN, and decimal text is
//! not guaranteed to come back to the same bits); histograms as their recorded buckets.

use super::{ActorResult, Clock, EdgeStats, EventRecord, Hist, MetricSet, Role, RunResult, Traces};
use crate::kernel::{KernelStats, SimTime, Span, SpanEnd, Trace};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the format; a file of another version is refused.
/// Version 2 adds the run's traces.
pub const FORMAT: &str = "archsim-run/2";

#[derive(Serialize, Deserialize)]
struct SavedRun {
    format: String,
    seed: u64,
    clock: [u64; 3],
    actors: Vec<SavedActor>,
    events: Vec<(u64, String, String, String)>,
    kernel: SavedKernel,
    end_time: u64,
    wall_s: u64,
    traces: SavedTraces,
    /// Per edge: caller, callee, calls, errors, latency (absent from runs saved before it:
    /// their service map has no call figures).
    #[serde(default)]
    edges: Vec<(String, String, u64, u64, SavedHist)>,
    /// Per edge, in the order of `edges`: of its errors, those that were timeouts (absent
    /// from runs saved before it: none counted).
    #[serde(default)]
    edge_timeouts: Vec<u64>,
}

#[derive(Serialize, Deserialize)]
struct SavedTraces {
    sampled: u64,
    spans_dropped: u64,
    kept: Vec<(u64, Vec<SavedSpan>)>,
    #[serde(default)]
    queued_untraced: u64,
}

/// A span: its times in ns (`u64::MAX`: none), its outcome as a status, or 0 for a timeout,
/// 1 for an error, 2 when unfinished, 3 received, 4 expired, 5 dead-lettered, 6 discarded
/// (statuses start at 100).
#[derive(Serialize, Deserialize)]
struct SavedSpan {
    id: u32,
    parent: u32,
    caller: u32,
    callee: u32,
    op: u16,
    label: String,
    attempt: u16,
    times: [u64; 4],
    outcome: u16,
    lost: bool,
    /// (trace number, span id) of each span it links to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    links: Vec<(u64, u32)>,
}

fn save_span(s: &Span) -> SavedSpan {
    let none = u64::MAX;
    SavedSpan {
        id: s.id,
        parent: s.parent,
        caller: s.caller,
        callee: s.callee,
        op: s.op,
        label: s.label.to_string(),
        attempt: s.attempt,
        times: [
            s.start.0,
            s.arrival.map_or(none, |t| t.0),
            s.answer.map_or(none, |t| t.0),
            s.end.0,
        ],
        outcome: match s.outcome {
            SpanEnd::Status(c) => c,
            SpanEnd::Timeout => 0,
            SpanEnd::Error => 1,
            SpanEnd::Unfinished => 2,
            SpanEnd::Received => 3,
            SpanEnd::Expired => 4,
            SpanEnd::DeadLettered => 5,
            SpanEnd::Discarded => 6,
        },
        lost: s.lost,
        links: s.links.clone(),
    }
}

fn load_span(s: SavedSpan) -> Span {
    let at = |t: u64| (t != u64::MAX).then_some(SimTime(t));
    Span {
        id: s.id,
        parent: s.parent,
        caller: s.caller,
        callee: s.callee,
        op: s.op,
        label: s.label.into(),
        attempt: s.attempt,
        start: SimTime(s.times[0]),
        arrival: at(s.times[1]),
        answer: at(s.times[2]),
        end: SimTime(s.times[3]),
        outcome: match s.outcome {
            0 => SpanEnd::Timeout,
            1 => SpanEnd::Error,
            2 => SpanEnd::Unfinished,
            3 => SpanEnd::Received,
            4 => SpanEnd::Expired,
            5 => SpanEnd::DeadLettered,
            6 => SpanEnd::Discarded,
            c => SpanEnd::Status(c),
        },
        lost: s.lost,
        links: s.links,
    }
}

#[derive(Serialize, Deserialize)]
struct SavedActor {
    name: String,
    kind: String,
    workload: bool,
    counts: BTreeMap<String, u64>,
    gauges: BTreeMap<String, u64>,
    hists: BTreeMap<String, SavedHist>,
    series: Vec<(String, Vec<u64>)>,
}

/// A histogram as its significant digits, exact sum and maximum, and (value, count) of each
/// bucket that holds anything: recording those counts again fills the same buckets.
#[derive(Serialize, Deserialize)]
pub struct SavedHist {
    pub sigfig: u8,
    /// A u128 as decimal text (JSON numbers stop at 64 bits in most readers).
    pub sum_ns: String,
    pub max_ns: u64,
    pub buckets: Vec<(u64, u64)>,
}

#[derive(Serialize, Deserialize)]
struct SavedKernel {
    events: u64,
    calls: u64,
    late_replies: Vec<u64>,
    peak_in_flight: u64,
    lost_calls: u64,
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

/// The run as JSON text.
pub fn to_json(run: &RunResult) -> String {
    let saved = SavedRun {
        format: FORMAT.to_string(),
        seed: run.seed,
        clock: [run.clock.window.0, run.clock.warmup.0, run.clock.end.0],
        actors: run
            .actors
            .iter()
            .map(|a| SavedActor {
                name: a.name.clone(),
                kind: a.kind.clone(),
                workload: a.role == Role::Workload,
                counts: a.metrics.counts.clone(),
                gauges: a
                    .metrics
                    .gauges
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_bits()))
                    .collect(),
                hists: a
                    .metrics
                    .hists
                    .iter()
                    .map(|(k, h)| (k.clone(), h.saved()))
                    .collect(),
                series: a.series.iter().map(|(k, v)| (k.clone(), bits(v))).collect(),
            })
            .collect(),
        events: run
            .events
            .iter()
            .map(|e| (e.time.0, e.actor.clone(), e.event.clone(), e.detail.clone()))
            .collect(),
        kernel: SavedKernel {
            events: run.kernel.events,
            calls: run.kernel.calls,
            late_replies: run.kernel.late_replies.clone(),
            peak_in_flight: run.kernel.peak_in_flight as u64,
            lost_calls: run.kernel.lost_calls,
        },
        edges: run
            .edges
            .iter()
            .map(|((a, b), e)| (a.clone(), b.clone(), e.calls, e.errors, e.latency.saved()))
            .collect(),
        edge_timeouts: run.edges.values().map(|e| e.timeouts).collect(),
        end_time: run.end_time.0,
        wall_s: run.wall_s.to_bits(),
        traces: SavedTraces {
            sampled: run.traces.sampled,
            spans_dropped: run.traces.spans_dropped,
            queued_untraced: run.traces.queued_untraced,
            kept: run
                .traces
                .kept
                .iter()
                .map(|t| (t.id, t.spans.iter().map(save_span).collect()))
                .collect(),
        },
    };
    serde_json::to_string(&saved).expect("plain data serialises")
}

/// Reads a run back; says what is wrong with text that is not one (it may come from anywhere).
pub fn from_json(text: &str) -> Result<RunResult, String> {
    let saved: SavedRun = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if saved.format != FORMAT {
        return Err(format!(
            "format \"{}\", this archsim reads \"{FORMAT}\"",
            crate::text::one_line(&saved.format)
        ));
    }
    if !saved.edge_timeouts.is_empty() && saved.edge_timeouts.len() != saved.edges.len() {
        return Err(format!(
            "{} edges but {} edge timeout counts",
            saved.edges.len(),
            saved.edge_timeouts.len()
        ));
    }
    let edges = saved
        .edges
        .iter()
        .enumerate()
        .map(|(k, (a, b, calls, errors, h))| {
            let latency = Hist::from_saved(h).map_err(|e| format!("edge {a}->{b}: {e}"))?;
            let timeouts = saved.edge_timeouts.get(k).copied().unwrap_or(0);
            if timeouts > *errors {
                return Err(format!(
                    "edge {a}->{b}: {timeouts} timeouts of {errors} errors"
                ));
            }
            let stats = EdgeStats {
                calls: *calls,
                errors: *errors,
                timeouts,
                latency,
            };
            Ok(((a.clone(), b.clone()), stats))
        })
        .collect::<Result<BTreeMap<_, _>, String>>();
    let mut actors = Vec::with_capacity(saved.actors.len());
    for a in saved.actors {
        let mut hists = BTreeMap::new();
        for (k, h) in a.hists {
            let hist = Hist::from_saved(&h).map_err(|e| format!("histogram {k}: {e}"))?;
            hists.insert(k, hist);
        }
        actors.push(ActorResult {
            name: a.name,
            kind: a.kind,
            role: if a.workload {
                Role::Workload
            } else {
                Role::Component
            },
            metrics: MetricSet {
                counts: a.counts,
                gauges: a
                    .gauges
                    .into_iter()
                    .map(|(k, v)| (k, f64::from_bits(v)))
                    .collect(),
                hists,
            },
            series: a
                .series
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().map(f64::from_bits).collect()))
                .collect(),
        });
    }
    let [window, warmup, end] = saved.clock;
    Ok(RunResult {
        seed: saved.seed,
        clock: Clock {
            window: SimTime(window),
            warmup: SimTime(warmup),
            end: SimTime(end),
        },
        actors,
        events: saved
            .events
            .into_iter()
            .map(|(time, actor, event, detail)| EventRecord {
                time: SimTime(time),
                actor,
                event,
                detail,
            })
            .collect(),
        kernel: KernelStats {
            events: saved.kernel.events,
            calls: saved.kernel.calls,
            late_replies: saved.kernel.late_replies,
            peak_in_flight: usize::try_from(saved.kernel.peak_in_flight)
                .map_err(|_| "peak_in_flight out of range".to_string())?,
            lost_calls: saved.kernel.lost_calls,
            // The counts are as saved, already bounded by the run's warmup.
            late_from: SimTime::ZERO,
        },
        edges: edges?,
        end_time: SimTime(saved.end_time),
        wall_s: f64::from_bits(saved.wall_s),
        traces: Traces {
            sampled: saved.traces.sampled,
            spans_dropped: saved.traces.spans_dropped,
            queued_untraced: saved.traces.queued_untraced,
            kept: saved
                .traces
                .kept
                .into_iter()
                .filter(|(_, spans)| !spans.is_empty())
                .map(|(id, spans)| Trace {
                    id,
                    spans: spans.into_iter().map(load_span).collect(),
                })
                .collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run_with(values: &[u64], gauge: f64, series: Vec<f64>) -> RunResult {
        let mut h = Hist::new();
        for &v in values {
            h.record(SimTime(v));
        }
        let mut metrics = MetricSet::default();
        metrics.count("requests.total", values.len() as u64);
        metrics.gauge("g", gauge);
        metrics.hist("latency_ms", &h);
        metrics.hist("coarse", &{
            let mut c = Hist::coarse();
            values.iter().for_each(|&v| c.record(SimTime(v)));
            c
        });
        RunResult {
            seed: 7,
            clock: Clock {
                window: SimTime::from_secs(1),
                warmup: SimTime::from_secs(2),
                end: SimTime::from_secs(60),
            },
            actors: vec![ActorResult {
                name: "u".into(),
                kind: "workload".into(),
                role: Role::Workload,
                metrics,
                series: vec![("rate".into(), series)],
            }],
            events: vec![EventRecord {
                time: SimTime(5),
                actor: "db".into(),
                event: "failover".into(),
                detail: "to \"b\"\n".into(),
            }],
            kernel: KernelStats {
                events: 10,
                calls: 3,
                late_replies: vec![0, 2],
                peak_in_flight: 4,
                lost_calls: 1,
                late_from: SimTime::ZERO,
            },
            end_time: SimTime(61_000_000_123),
            wall_s: 0.25,
            edges: [(
                ("u".to_string(), "db".to_string()),
                EdgeStats {
                    calls: values.len() as u64,
                    errors: 1,
                    timeouts: 1,
                    latency: h.clone(),
                },
            )]
            .into_iter()
            .collect(),
            traces: Traces {
                sampled: 3,
                spans_dropped: 1,
                queued_untraced: 2,
                kept: vec![Trace {
                    id: 2,
                    spans: vec![Span {
                        id: 5,
                        parent: 0,
                        caller: 1,
                        callee: 1,
                        op: 0,
                        label: "".into(),
                        attempt: 1,
                        start: SimTime(10),
                        arrival: None,
                        answer: Some(SimTime(30)),
                        end: SimTime(40),
                        outcome: SpanEnd::Timeout,
                        lost: true,
                        links: vec![(1, 3)],
                    }],
                }],
            },
        }
    }

    proptest! {
        /// What comes back summarises to the same bits as what went out: histograms (counts,
        /// quantiles, sum, maximum), gauges and series (NaN included), events and counters.
        #[test]
        fn a_run_comes_back_whole(values in prop::collection::vec(0u64..u64::MAX / 8, 0..400),
                                  gauge in prop::num::f64::ANY,
                                  series in prop::collection::vec(prop::num::f64::ANY, 0..50)) {
            let run = run_with(&values, gauge, series);
            let back = from_json(&to_json(&run)).unwrap();
            let meta = crate::metrics::SummaryMeta { scenario: "s", variant: None, description: "", compare: None };
            let a = crate::metrics::summarize(&meta, std::slice::from_ref(&run));
            let b = crate::metrics::summarize(&meta, std::slice::from_ref(&back));
            prop_assert_eq!(a.to_string(), b.to_string());
            prop_assert_eq!(to_json(&run), to_json(&back));
            let (h, g) = (&run.actors[0].metrics.hists["latency_ms"], &back.actors[0].metrics.hists["latency_ms"]);
            prop_assert_eq!(h.count(), g.count());
            for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
                prop_assert_eq!(h.quantile_ms(q).to_bits(), g.quantile_ms(q).to_bits());
            }
            prop_assert_eq!(h.mean_ms().to_bits(), g.mean_ms().to_bits());
        }
    }

    #[test]
    fn text_that_is_not_a_run_is_refused_with_a_reason() {
        assert!(from_json("{}").is_err());
        assert!(from_json("not json").is_err());
        let other = to_json(&run_with(&[1], 0.0, vec![])).replace(FORMAT, "archsim-run/99");
        assert!(from_json(&other).unwrap_err().contains("archsim-run/99"));
        let bad_sum = to_json(&run_with(&[1_000_000], 0.0, vec![])).replacen(
            "\"sum_ns\":\"1000000\"",
            "\"sum_ns\":\"x\"",
            1,
        );
        assert!(from_json(&bad_sum).unwrap_err().contains("sum"));
    }
}
