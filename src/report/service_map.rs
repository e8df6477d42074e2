//! The service map's figures: per node (each component, each workload as a client) its
//! request rate, error share and p99 latency, read from the summary every request feeds; per
//! edge its call rate, error and timeout shares and mean and p99 latency, from the histogram
//! the world keeps per edge on the caller's side (`RunResult::edges`, fed by
//! `Model::call_ended`). All over every seed's measured time, none from the sampled traces.
//! Written as `service-map.csv` (not into `summary.json`, whose saved snapshots stay as they
//! were) and drawn by `diagram::map`.
//!
//! A volume's box (EBS) shows the I/Os its host made of it per second and the p99 of their
//! wait, in place of requests, which it serves none of.
//!
//! A replica's box (an RDS read replica or readable standby) shows the reads its instances
//! served, from its database's `instance_reads`. A component that queues work (a queue, a
//! function's asynchronous events, a table's stream) shows its processing lag's p99 too
//! (`lag_p99`): its answers come at once, whatever waits behind them.
//!
//! A node's p99 is how long the component took to answer its callers: its summary's own
//! `response_ms` where it keeps one (its successful answers alone, which the map's label
//! says: "p99 36 ms (OK)"; the arrows into it count every call, timeouts included; a
//! service's counts every answer it completed, and says "(OK)" only when they all were
//! successes), else
//! the p99 of every call into it as its callers saw them end (the edges into it merged:
//! network both ways included). Lambda's `duration_ms`
//! is not that figure: like CloudWatch's Duration it leaves the cold start's Init out, which
//! its callers waited for; so a function, like RDS (reads and writes apart) and SNS (its
//! `delivery_ms` is to subscribers), shows its callers' figure. A workload shows its
//! requests' latency, failures included. A component that answered nothing while every call
//! into it ended in its caller's timeout shows no p99 at all but "no reply: timeouts": the
//! callers' wait (their timeout) is not a time it took to answer; the arrows into it carry the
//! timeouts.

use super::diagram::map::{EdgeFigures, Figures, Lag, NodeFigures};
use crate::metrics::{EdgeStats, Hist, Summary};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Seconds measured over all seeds: each seed's measured time, summed.
fn measured(summary: &Summary) -> f64 {
    let seeds = summary["seeds"].as_array().map_or(0, Vec::len) as f64;
    summary["measured_s"].as_f64().unwrap_or(0.0) * seeds
}

fn per_s(n: f64, secs: f64) -> f64 {
    if secs > 0.0 {
        n / secs
    } else {
        0.0
    }
}

/// The share of a `by_status` table's answers that are errors (status 400 and above).
fn error_share(by_status: &Value) -> f64 {
    let Some(m) = by_status.as_object() else {
        return 0.0;
    };
    let (mut all, mut bad) = (0u64, 0u64);
    for (code, n) in m {
        let n = n.as_u64().unwrap_or(0);
        all += n;
        if code.parse::<u16>().map_or(true, |c| c >= 400) {
            bad += n;
        }
    }
    if all == 0 {
        0.0
    } else {
        bad as f64 / all as f64
    }
}

/// The requests a component answered over the measured time: its `by_status` table's total
/// where it keeps one (every kind that answers calls does), else its `requests`, else the
/// count of its `response_ms` (a queue's answers to its producers); plus the messages another
/// queue's redrive moved to it (`received_by_redrive`), calls its `by_status` leaves out as
/// CloudWatch's count of sent messages does, without which a dead-letter queue's box said
/// "0 req/s" under an arrow of hundreds.
fn answered(c: &Value) -> f64 {
    let own = match c["by_status"].as_object() {
        Some(m) => m.values().filter_map(Value::as_f64).sum(),
        None => c["requests"]
            .as_f64()
            .or_else(|| c["response_ms"]["count"].as_f64())
            .unwrap_or(0.0),
    };
    own + c["received_by_redrive"].as_f64().unwrap_or(0.0)
}

/// The p99 of a component's processing lag, from a client's request to the end of the work
/// it queued (a queue's messages, a function's asynchronous events, a stream's records, an
/// execution nobody waited for), with the words that name it: the field its kind declares
/// under a name ending in `lag_ms`, its prefix said ("async lag", "stream lag"). `None` for
/// a kind without one, or with nothing processed in the measured time. Without it a box
/// answering its callers at once showed a function throttled for most of its events, or a
/// queue whose messages waited for minutes, as healthy.
fn lag_p99(c: &Value) -> Option<Lag> {
    let info = crate::components::registry::info(c["kind"].as_str()?)?;
    info.fields.iter().find_map(|f| {
        let path = f.path.strip_suffix(".*")?;
        let prefix = path.strip_suffix("lag_ms")?;
        let hist = path.split('.').fold(c, |v, k| &v[k]);
        let p99 = hist["p99"].as_f64()?;
        (hist["count"].as_u64()? > 0).then(|| Lag {
            words: format!("{}lag", prefix.replace('.', " ")),
            p99_ms: p99,
        })
    })
}

/// The share of a cache's requests that went around it to its backend while their node was
/// unreachable or failing over (`bypassed` over `requests`, writes included), when some did:
/// its answers then came from the backend, its reads after the connect timeout, and a box
/// of "errors 0 %" hid a node down for minutes.
fn bypassed_share(c: &Value) -> Option<f64> {
    let bypassed = c["bypassed"].as_f64().filter(|&b| b > 0.0)?;
    let requests = c["requests"].as_f64().filter(|&r| r > 0.0)?;
    Some(bypassed / requests)
}

/// The p99 of the calls into `callee` as their callers saw them end [ms]: the edges into it
/// merged; `None` when none ended in the measured time.
fn p99_into(callee: &str, edges: &BTreeMap<(String, String), EdgeStats>) -> Option<f64> {
    let mut all = Hist::default();
    for ((_, to), e) in edges {
        if to == callee {
            all.merge(&e.latency);
        }
    }
    let p99 = all.quantile_ms(0.99);
    (all.count() > 0 && p99.is_finite()).then_some(p99)
}

/// Whether calls went to `callee` in the measured time and every one of them ended in its
/// caller's timeout: no caller had an answer from it.
fn every_call_timed_out(callee: &str, edges: &BTreeMap<(String, String), EdgeStats>) -> bool {
    let (mut calls, mut timeouts) = (0, 0);
    for ((_, to), e) in edges {
        if to == callee {
            calls += e.calls;
            timeouts += e.timeouts;
        }
    }
    calls > 0 && timeouts == calls
}

/// Whether component `c`'s own `response_ms` holds its successful answers alone. Every kind's
/// does but a service's, which counts every answer it completed, a failure it passes on
/// included (a 504 when its own call timed out); they were all successes when it counted no
/// more answers than its `by_status` has 2xx ones.
fn of_successes(c: &Value) -> bool {
    let Some(by_status) = c["by_status"].as_object() else {
        return true;
    };
    let ok: u64 = by_status
        .iter()
        .filter(|(code, _)| code.parse::<u16>().is_ok_and(|c| (200..300).contains(&c)))
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    c["response_ms"]["count"].as_u64().is_none_or(|n| n <= ok)
}

/// The p99 of the time component `c` (named `name`) took to answer its callers [ms], and
/// whether it is of its successful answers alone: its own `response_ms` where its summary
/// has answers in it (`of_successes` says which), else its callers' figure (every call,
/// timeouts included).
fn node_p99(
    name: &str,
    c: &Value,
    edges: &BTreeMap<(String, String), EdgeStats>,
) -> (Option<f64>, bool) {
    let own = &c["response_ms"];
    match own["p99"].as_f64() {
        Some(v) if own["count"].as_u64().unwrap_or(1) > 0 => (Some(v), of_successes(c)),
        _ => (p99_into(name, edges), false),
    }
}

/// The map's figures from a scenario's summary and its pooled edges.
pub fn figures(summary: &Summary, edges: &BTreeMap<(String, String), EdgeStats>) -> Figures {
    let secs = measured(summary);
    let mut f = Figures::default();
    if let Some(cs) = summary["components"].as_object() {
        for (name, c) in cs {
            let (p99_ms, p99_of_ok) = node_p99(name, c, edges);
            let rate = per_s(answered(c), secs);
            // A component that answered nothing, whose callers' calls all ended in their
            // timeouts (a network that drops the handshake, a zone gone dark): their wait is
            // not its latency. It shows that they had no reply, and no p99.
            let no_reply = !p99_of_ok && rate == 0.0 && every_call_timed_out(name, edges);
            f.nodes.insert(
                name.clone(),
                NodeFigures {
                    rate,
                    error_share: error_share(&c["by_status"]),
                    p99_ms: if no_reply { None } else { p99_ms },
                    p99_of_ok,
                    no_reply,
                    lag: lag_p99(c),
                    bypassed: bypassed_share(c),
                    // A DNS name counts the lookups it answered: its requests only passed
                    // by on their way to the answer.
                    lookups: c["lookups"].as_f64().map(|n| per_s(n, secs)),
                    // A volume counts the I/Os its host's requests made of it: a gauge, the
                    // mean of the seeds' counts, so over one seed's measured time.
                    ios: c["ios"].as_f64().map(|n| {
                        let one_seed = summary["measured_s"].as_f64().unwrap_or(0.0);
                        (per_s(n, one_seed), c["io_wait_ms"]["p99"].as_f64())
                    }),
                },
            );
            // Instances numbered 0, 1, …: a JSON object's keys.
            if let Some(each) = c["instance_reads"].as_object() {
                let reads = each
                    .iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, per_s(v.as_f64()?, secs))))
                    .collect();
                f.instance_reads.insert(name.clone(), reads);
            }
        }
    }
    if let Some(ws) = summary["workloads"].as_object() {
        for (name, w) in ws {
            let requests = w["requests"]["total"].as_f64().unwrap_or(0.0);
            f.nodes.insert(
                name.clone(),
                NodeFigures {
                    rate: per_s(requests, secs),
                    error_share: w["error_rate"].as_f64().unwrap_or(0.0),
                    p99_ms: w["latency_all_ms"]["p99"].as_f64(),
                    p99_of_ok: false,
                    no_reply: false,
                    lag: None,
                    bypassed: None,
                    lookups: None,
                    ios: None,
                },
            );
        }
    }
    for ((from, to), e) in edges {
        let some = |v: f64| (e.calls > 0 && v.is_finite()).then_some(v);
        f.edges.insert(
            (from.clone(), to.clone()),
            EdgeFigures {
                rate: per_s(e.calls as f64, secs),
                error_share: if e.calls == 0 {
                    0.0
                } else {
                    e.errors as f64 / e.calls as f64
                },
                timeout_share: if e.calls == 0 {
                    0.0
                } else {
                    e.timeouts as f64 / e.calls as f64
                },
                mean_ms: some(e.latency.mean_ms()),
                p99_ms: some(e.latency.quantile_ms(0.99)),
            },
        );
    }
    f
}

/// The figures as CSV: one row per node (`to` empty), then one per edge. A node's
/// `lag_p99_ms` is its processing lag's p99 where it has one (`lag_p99`), its
/// `bypassed_share` the share of a cache's requests sent around it (`bypassed_share`).
pub fn csv(f: &Figures) -> String {
    let mut o = String::from(
        "kind,from,to,rate_per_s,error_share,timeout_share,mean_ms,p99_ms,lag_p99_ms,bypassed_share\n",
    );
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for (name, n) in &f.nodes {
        let _ = writeln!(
            o,
            "node,{},,{},{},,,{},{},{}",
            super::csv_field(name),
            n.rate,
            n.error_share,
            opt(n.p99_ms),
            opt(n.lag.as_ref().map(|l| l.p99_ms)),
            opt(n.bypassed)
        );
    }
    // An instance of a component (an RDS writer or reader, by its number): the reads it
    // served, as `COMPONENT/NUMBER`.
    for (name, reads) in &f.instance_reads {
        for (k, r) in reads {
            let _ = writeln!(
                o,
                "instance,{},,{r},,,,,,",
                super::csv_field(&format!("{name}/{k}"))
            );
        }
    }
    for ((from, to), e) in &f.edges {
        let _ = writeln!(
            o,
            "edge,{},{},{},{},{},{},{},,",
            super::csv_field(from),
            super::csv_field(to),
            e.rate,
            e.error_share,
            e.timeout_share,
            opt(e.mean_ms),
            opt(e.p99_ms)
        );
    }
    o
}
