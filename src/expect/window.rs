//! Expectations on a time series (`series = "components.q.backlog_visible"`: the actor and
//! series columns of `timeseries.csv`, prefixed by what the actor is): judged window by
//! window, in every seed, over the windows that start at or after `from` (default: the
//! warmup's end) and before `until` (default: the end of the run). "The backlog is under 10 messages from minute 15 on" or "p99 is back under
//! 200 ms two minutes after the failure" are claims about a stretch of time, which no number
//! of the summary (pooled over the whole measured period) can hold.
//!
//! Each seed's windows are read as its run ends (`seen`), so that seeds whose series are not
//! kept are judged too; a window without a value (a latency where no request ended) is not
//! judged. The verdict names the seed and the window of the value that failed, or when all
//! held the one nearest a bound.

use super::{when, Expectation, Verdict};
use crate::kernel::SimTime;
use crate::metrics::{Role, RunResult};

/// The stretch of time a series expectation judges, as written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// The first window judged starts at or after it (`None`: at the warmup's end).
    pub from: Option<SimTime>,
    /// Windows judged start before it (`None`: the end of the run).
    pub until: Option<SimTime>,
}

/// What one seed's windows of the series showed.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub seed: u64,
    /// The stretch judged [s from the start], and the end of the run.
    pub from_s: f64,
    pub until_s: f64,
    pub end_s: f64,
    /// The windows judged: those in the stretch with a value.
    pub windows: usize,
    /// (value, start of its window [s]) of the highest and of the lowest.
    pub highest: Option<(f64, f64)>,
    pub lowest: Option<(f64, f64)>,
    /// The run has no such series (a series of its kind this component does not keep).
    pub absent: bool,
}

/// The actor's name and the series' id of a series path ("components.q.backlog_visible"),
/// and whether the actor is a component; `None` for a path that is not one.
pub fn split(path: &str) -> Option<(bool, &str, &str)> {
    let (component, rest) = match path.split_once('.')? {
        ("components", rest) => (true, rest),
        ("workloads", rest) => (false, rest),
        _ => return None,
    };
    // Series ids have no dot; an id may.
    let (actor, series) = rest.rsplit_once('.')?;
    (!actor.is_empty() && !series.is_empty()).then_some((component, actor, series))
}

/// What `run`'s windows of the series `e` names show, over `w`.
pub fn seen(e: &Expectation, w: &Window, run: &RunResult) -> Seen {
    let c = &run.clock;
    let from = w.from.unwrap_or(c.warmup);
    let until = w.until.unwrap_or(c.end).min(c.end);
    let mut seen = Seen {
        seed: run.seed,
        from_s: from.as_secs_f64(),
        until_s: until.as_secs_f64(),
        end_s: c.end.as_secs_f64(),
        windows: 0,
        highest: None,
        lowest: None,
        absent: true,
    };
    let Some((component, actor, id)) = split(&e.metric) else {
        return seen;
    };
    let role = if component {
        Role::Component
    } else {
        Role::Workload
    };
    let kept: &[(String, Vec<f64>)] = run
        .actors
        .iter()
        .find(|a| a.role == role && a.name == actor)
        .map_or(&[], |a| &a.series);
    let values = kept
        .iter()
        .find(|(name, _)| name == id)
        .map(|(_, v)| v.as_slice());
    // A workload keeps the series of the final statuses it saw: one it never saw is nothing
    // a second in every window, as a status missing from `by_status` counted nothing.
    // Nor does it keep the share that failed and the latency of all requests when none
    // failed: they are then 0 where requests ended and the successes' latency.
    let none;
    let values = match values {
        Some(v) => v,
        None if !component && crate::workload::status_of_series(id).is_some() => {
            none = vec![0.0; c.windows()];
            &none
        }
        None if !component => match crate::workload::stand_in(id, kept) {
            Some(v) => {
                none = v;
                &none
            }
            None => return seen,
        },
        None => return seen,
    };
    seen.absent = false;
    let width = c.window.0.max(1);
    for (i, &v) in values.iter().enumerate() {
        let start = SimTime((i as u64).saturating_mul(width));
        if start < from || start >= until || !v.is_finite() {
            continue;
        }
        let t = start.as_secs_f64();
        seen.windows += 1;
        if seen.highest.is_none_or(|(h, _)| v > h) {
            seen.highest = Some((v, t));
        }
        if seen.lowest.is_none_or(|(l, _)| v < l) {
            seen.lowest = Some((v, t));
        }
    }
    seen
}

/// Judges a series expectation on every seed's windows (`seen`, in seed order). A seed
/// fails it by the window farthest past a bound (the highest above `max` or the lowest below
/// `min`, whichever is farther); when all hold, the window nearest a bound stands for them.
pub fn judge(e: &Expectation, seen: &[Seen]) -> Verdict {
    let several = seen.len() > 1;
    let mut problem = None;
    let mut judged: Option<(u64, f64)> = None;
    let mut per_seed = Vec::new();
    // How far inside its bounds a value is (below zero: past one).
    let margin = |v: f64| {
        let below = e.max.map_or(f64::INFINITY, |hi| hi - v);
        let above = e.min.map_or(f64::INFINITY, |lo| v - lo);
        below.min(above)
    };
    for s in seen {
        let worst = [s.highest, s.lowest]
            .into_iter()
            .flatten()
            .min_by(|a, b| margin(a.0).total_cmp(&margin(b.0)));
        per_seed.push((s.seed, worst.map(|(v, _)| v)));
        let who = if several {
            format!("seed {}: ", s.seed)
        } else {
            String::new()
        };
        let failed = if s.absent {
            Some(format!(
                "{who}the run has no series `{}`: its kind keeps it only in some configurations, not in this one (timeseries.csv lists what it kept)",
                e.metric
            ))
        } else if s.from_s >= s.end_s {
            // A run made shorter than the scenario's (`--set scenario.duration=…`).
            Some(format!(
                "{who}the run ends at {}, before the windows from {}",
                when(s.end_s),
                when(s.from_s)
            ))
        } else if s.windows == 0 {
            Some(format!(
                "{who}no window that starts from {} until {} has a value (nothing was measured in them)",
                when(s.from_s),
                when(s.until_s)
            ))
        } else {
            match worst {
                Some((v, t)) if margin(v) < 0.0 => Some(match e.max.filter(|&hi| v > hi) {
                    Some(hi) => {
                        let (v, hi) = e.shown(v, hi);
                        format!("{who}{v} in the window at {} is above {hi}", when(t))
                    }
                    None => {
                        let (v, lo) = e.shown(v, e.min.unwrap_or(0.0));
                        format!("{who}{v} in the window at {} is below {lo}", when(t))
                    }
                }),
                _ => None,
            }
        };
        match (&problem, failed) {
            (None, Some(p)) => {
                problem = Some(p);
                judged = worst.map(|(v, _)| (s.seed, v));
            }
            (None, None) => {
                if let Some((v, _)) = worst {
                    if judged.is_none_or(|(_, j)| margin(v) < margin(j)) {
                        judged = Some((s.seed, v));
                    }
                }
            }
            _ => {}
        }
    }
    // No seed at all would pass it unjudged.
    if seen.is_empty() {
        problem = Some("no seed's windows were read".to_string());
    }
    Verdict {
        expectation: e.clone(),
        value: judged.map(|(_, v)| v),
        seed: judged.map(|(s, _)| s),
        per_seed,
        pass: problem.is_none(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(min: Option<f64>, max: Option<f64>) -> Expectation {
        Expectation {
            window: Some(Window {
                from: None,
                until: None,
            }),
            ..crate::expect::tests::exp("components.q.backlog_visible", min, max)
        }
    }

    fn seen(seed: u64, highest: (f64, f64), lowest: (f64, f64)) -> Seen {
        Seen {
            seed,
            from_s: 0.0,
            until_s: 60.0,
            end_s: 60.0,
            windows: 60,
            highest: Some(highest),
            lowest: Some(lowest),
            absent: false,
        }
    }

    #[test]
    fn the_first_seed_outside_fails_it_and_otherwise_the_nearest_stands_for_all() {
        let e = exp(None, Some(10.0));
        let all = [
            seen(1, (8.0, 5.0), (0.0, 0.0)),
            seen(2, (9.5, 7.0), (1.0, 0.0)),
        ];
        let v = judge(&e, &all);
        assert!(v.pass);
        assert_eq!((v.value, v.seed), (Some(9.5), Some(2)));
        assert_eq!(v.per_seed, vec![(1, Some(8.0)), (2, Some(9.5))]);
        let all = [
            seen(1, (12.0, 65.0), (0.0, 0.0)),
            seen(2, (30.0, 7.0), (1.0, 0.0)),
        ];
        let v = judge(&e, &all);
        assert!(!v.pass);
        assert_eq!((v.value, v.seed), (Some(12.0), Some(1)));
        assert_eq!(
            v.problem.as_deref(),
            Some("seed 1: 12 in the window at 1m 5s is above 10")
        );
        // A lower bound judges the lowest window; one seed is not named.
        let v = judge(&exp(Some(2.0), None), &[seen(7, (9.0, 1.0), (1.5, 30.0))]);
        assert_eq!(
            v.problem.as_deref(),
            Some("1.5 in the window at 30s is below 2")
        );
        // Past both bounds: the farther is said, and is the value.
        let both = exp(Some(45.0), Some(55.0));
        let v = judge(&both, &[seen(1, (71.0, 204.0), (0.0, 10.0))]);
        assert_eq!(
            v.problem.as_deref(),
            Some("0 in the window at 10s is below 45")
        );
        assert_eq!(v.value, Some(0.0));
        let v = judge(&both, &[seen(1, (71.0, 204.0), (40.0, 10.0))]);
        assert_eq!(
            v.problem.as_deref(),
            Some("71 in the window at 3m 24s is above 55")
        );
        assert_eq!(v.value, Some(71.0));
        // No seed read: not passed unjudged.
        assert!(!judge(&e, &[]).pass);
    }

    #[test]
    fn a_series_missing_or_without_a_value_in_the_stretch_fails() {
        let e = exp(None, Some(10.0));
        let mut s = seen(1, (0.0, 0.0), (0.0, 0.0));
        s.absent = true;
        let v = judge(&e, &[s.clone()]);
        assert!(v
            .problem
            .as_deref()
            .is_some_and(|p| p.starts_with("the run has no series `components.q.backlog_visible`: its kind keeps it only in some configurations")));
        s.absent = false;
        (s.windows, s.highest, s.lowest) = (0, None, None);
        let v = judge(&e, &[s]);
        assert_eq!(
            v.problem.as_deref(),
            Some(
                "no window that starts from 0s until 1m has a value (nothing was measured in them)"
            )
        );
        // A run shorter than the scenario's, ending before `from`.
        let mut s = seen(1, (0.0, 0.0), (0.0, 0.0));
        (s.from_s, s.until_s, s.end_s, s.windows) = (90.0, 48.0, 48.0, 0);
        assert_eq!(
            judge(&e, &[s]).problem.as_deref(),
            Some("the run ends at 48s, before the windows from 1m 30s")
        );
    }

    #[test]
    fn a_path_splits_into_its_actor_and_series() {
        assert_eq!(
            split("components.web.v2.busy_ms"),
            Some((true, "web.v2", "busy_ms"))
        );
        assert_eq!(
            split("workloads.u.latency_p99_ms"),
            Some((false, "u", "latency_p99_ms"))
        );
        assert_eq!(split("latency_ms.p99"), None);
        assert_eq!(split("components.web"), None);
    }
}
