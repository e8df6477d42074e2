//! Comparisons of two summaries of the same scenario, seed by seed: variants against their
//! baseline (common random numbers make each seed's pair see the same arrivals, so the
//! difference of a pair is far less noisy than either), and a results folder against
//! another (`archsim diff`).

use super::summary::{pointer, Summary};
use super::summary::{t975, t_quantile};
use serde_json::{json, Value};
use std::borrow::Cow;

/// The numbers every comparison reports: (path in summary.json, words, whether lower is
/// better). Latencies are of successful requests, and say so beside the error rate.
pub const HEADLINES: &[(&str, &str, bool)] = &[
    ("latency_ms.p50", "p50 latency of successes [ms]", true),
    ("latency_ms.p99", "p99 latency of successes [ms]", true),
    ("error_rate", "error rate", true),
    ("throughput_rps", "throughput [req/s]", false),
    ("cost_usd.total", "cost [$ per seed]", true),
];

/// The latency a summary is judged by, where its `[[variant]]` or its scenario names one with
/// `latency` (what its users wait for, where its clients are answered before the work is
/// done): its path in summary.json, `components.orders-queue.lag_ms`.
pub fn judged(s: &Summary) -> Option<&str> {
    s["latency_judged"].as_str()
}

/// Where a headline `metric` is in a summary: a headline latency (`HEADLINES`' p50 and p99) in
/// the latency it is judged by (`judged`), every other number where it is (a scenario's own
/// `compare_metrics`, "latency_ms.mean" among them, are what they say).
pub fn headline_at<'a>(s: &Summary, metric: &'a str) -> Cow<'a, str> {
    let headline = HEADLINES.iter().any(|(h, _, _)| *h == metric);
    match (judged(s), metric.strip_prefix("latency_ms.")) {
        (Some(path), Some(q)) if headline => Cow::Owned(format!("{path}.{q}")),
        _ => Cow::Borrowed(metric),
    }
}

/// Each seed's value of `metric` in a summary: (seed, value), for the seeds that have one.
pub fn per_seed(summary: &Summary, metric: &str) -> Vec<(u64, f64)> {
    summary["per_seed"]
        .as_array()
        .map(|seeds| {
            seeds
                .iter()
                .filter_map(|s| {
                    let seed = s["seed"].as_u64()?;
                    let v = value_or_zero(s, metric)?;
                    v.is_finite().then_some((seed, v))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A summary's value at `metric`; a status or a cost the summary lacks counted nothing.
fn value_or_zero(s: &Value, metric: &str) -> Option<f64> {
    match pointer(s, metric).and_then(Value::as_f64) {
        Some(v) => Some(v),
        None if metric.starts_with("requests.by_status.") || metric.starts_with("cost_usd.") => {
            Some(0.0)
        }
        None => None,
    }
}

/// The difference `b − a` of a metric over the seeds both have, with its Student-t 95 %
/// interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub metric: String,
    /// Mean of `a` and of `b` over the paired seeds.
    pub a: f64,
    pub b: f64,
    /// Mean of the paired differences.
    pub mean: f64,
    /// The 95 % interval of the mean difference (NaN with fewer than two pairs).
    pub lo: f64,
    pub hi: f64,
    /// Pairs of seeds (unpaired: the fewer seeds of the two).
    pub n: usize,
    /// Whether seeds were paired; otherwise the interval is Welch's, of two independent
    /// samples.
    pub paired: bool,
    /// The standard error of `mean` and its degrees of freedom (n − 1 paired, Welch's
    /// otherwise), from which an interval at another confidence is drawn (`at_confidence`);
    /// NaN where there is no interval.
    pub se: f64,
    pub df: f64,
}

impl Difference {
    /// Whether the interval leaves zero out: the two differ beyond what their seeds' noise
    /// explains.
    pub fn excludes_zero(&self) -> bool {
        self.n >= 2 && (self.lo > 0.0 || self.hi < 0.0)
    }

    /// Whether the metric moved: its interval leaves zero out, or, with too few seeds for an
    /// interval, it changed at all.
    pub fn moved(&self) -> bool {
        if self.lo.is_finite() && self.hi.is_finite() {
            self.excludes_zero()
        } else {
            self.mean != 0.0 && !self.mean.is_nan()
        }
    }

    /// The same difference with its interval at `confidence` (0.95 gives the interval it
    /// has): wider for a family of comparisons that must hold together. One without an
    /// interval is left as it is; one whose seeds have no spread stays exact.
    pub fn at_confidence(&self, confidence: f64) -> Difference {
        let mut d = self.clone();
        if !(self.lo.is_finite() && self.hi.is_finite()) {
            return d;
        }
        if self.se == 0.0 {
            (d.lo, d.hi) = (self.mean, self.mean);
        } else {
            let half = t_quantile(1.0 - (1.0 - confidence) / 2.0, self.df) * self.se;
            (d.lo, d.hi) = (self.mean - half, self.mean + half);
        }
        d
    }

    /// The difference as a share of `a`, when `a` is not zero.
    pub fn relative(&self) -> Option<f64> {
        (self.a != 0.0).then(|| self.mean / self.a.abs())
    }

    pub fn to_json(&self) -> Value {
        let num = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
        json!({
            "metric": self.metric,
            "baseline": num(self.a),
            "variant": num(self.b),
            "difference": num(self.mean),
            "ci95": [num(self.lo), num(self.hi)],
            "pairs": self.n,
            "excludes_zero": self.excludes_zero(),
        })
    }
}

/// `y − x`, and zero when the two are equal but for the last bits of the arithmetic that
/// made them (a variant's p50 equal to its baseline's was 5.9e-16 ms apart, and printed as
/// "+0.000000000").
fn difference(x: f64, y: f64) -> f64 {
    let d = y - x;
    if d.abs() <= 1e-12 * x.abs().max(y.abs()) {
        0.0
    } else {
        d
    }
}

/// The variance a number at `path` carries from how it is recorded: a quantile of a
/// latency histogram (a path ending `.p50`, `.p99`, …) is the top of its hdrhistogram
/// bucket, three significant digits (`Hist`: 2,048 sub-buckets, a bucket value / 1,024 wide
/// at most), so seeds whose quantiles fall in one bucket read alike though they differ, and
/// how much they differ below a bucket's width cannot be seen: taken as a bucket's width
/// (a standard deviation of value / 1,024), not as nothing. Zero for every other number.
/// Without it, two seeds alike to the bucket gave an interval of no width, and two folders
/// whose seeds read a few buckets apart (a p99 of 615.5 ms against 617.6 ms) "moved".
fn recorded_variance(path: &str, value: f64) -> f64 {
    // The histogram's keys (`summary::HIST_KEYS`) that are quantiles: count, mean and max
    // are recorded exactly.
    let quantile = path
        .rsplit('.')
        .next()
        .is_some_and(|last| last.starts_with('p') && super::summary::HIST_KEYS.contains(&last));
    if quantile && value.is_finite() {
        (value / 1024.0).powi(2)
    } else {
        0.0
    }
}

/// `b − a` of `metric`, paired by seed; `None` when no seed has it in both.
pub fn paired(a: &Summary, b: &Summary, metric: &str) -> Option<Difference> {
    paired_at(a, metric, b, metric, metric)
}

/// `b − a`, paired by seed, of the number at `a_path` in `a` and at `b_path` in `b` (each
/// variant's own path of one headline), reported as `metric`.
pub fn paired_at(
    a: &Summary,
    a_path: &str,
    b: &Summary,
    b_path: &str,
    metric: &str,
) -> Option<Difference> {
    let av = per_seed(a, a_path);
    let bv = per_seed(b, b_path);
    let pairs: Vec<(f64, f64)> = av
        .iter()
        .filter_map(|&(seed, x)| bv.iter().find(|(s, _)| *s == seed).map(|&(_, y)| (x, y)))
        .collect();
    let n = pairs.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let ma = pairs.iter().map(|p| p.0).sum::<f64>() / nf;
    let mb = pairs.iter().map(|p| p.1).sum::<f64>() / nf;
    let d: Vec<f64> = pairs.iter().map(|&(x, y)| difference(x, y)).collect();
    let mean = d.iter().sum::<f64>() / nf;
    // A pair alike to the bit (a variant that changes nothing) differs by nothing, its
    // rounding included; others carry both numbers' (`recorded_variance`).
    let recorded = pairs
        .iter()
        .zip(&d)
        .filter(|(_, d)| **d != 0.0)
        .map(|(&(x, y), _)| recorded_variance(a_path, x) + recorded_variance(b_path, y))
        .sum::<f64>()
        / nf;
    let se = if n > 1 {
        ((d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0) + recorded) / nf).sqrt()
    } else {
        f64::NAN
    };
    let half = t975(nf - 1.0) * se;
    let (lo, hi) = (mean - half, mean + half);
    Some(Difference {
        metric: metric.to_string(),
        a: ma,
        b: mb,
        mean,
        lo,
        hi,
        n,
        paired: true,
        se,
        df: nf - 1.0,
    })
}

/// `b − a` of `metric` as two independent samples (seeds that do not match), with Welch's
/// 95 % interval; `None` when either has no value.
pub fn unpaired(a: &Summary, b: &Summary, metric: &str) -> Option<Difference> {
    unpaired_at(a, metric, b, metric, metric)
}

/// `b − a` as two independent samples, of the number at `a_path` in `a` and at `b_path` in
/// `b`, reported as `metric` (as `paired_at`).
pub fn unpaired_at(
    a: &Summary,
    a_path: &str,
    b: &Summary,
    b_path: &str,
    metric: &str,
) -> Option<Difference> {
    let av: Vec<f64> = per_seed(a, a_path).into_iter().map(|p| p.1).collect();
    let bv: Vec<f64> = per_seed(b, b_path).into_iter().map(|p| p.1).collect();
    if av.is_empty() || bv.is_empty() {
        return None;
    }
    let stats = |v: &[f64], path: &str| {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let var = if v.len() > 1 {
            let recorded = v.iter().map(|&x| recorded_variance(path, x)).sum::<f64>() / n;
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) + recorded
        } else {
            f64::NAN
        };
        (m, var / n)
    };
    let ((ma, sa), (mb, sb)) = (stats(&av, a_path), stats(&bv, b_path));
    let mean = difference(ma, mb);
    let se2 = sa + sb;
    // Welch–Satterthwaite degrees of freedom; two samples without spread differ exactly.
    let df =
        se2.powi(2) / (sa.powi(2) / (av.len() as f64 - 1.0) + sb.powi(2) / (bv.len() as f64 - 1.0));
    let (lo, hi) = if se2 == 0.0 {
        (mean, mean)
    } else {
        let t = t975(df);
        (mean - t * se2.sqrt(), mean + t * se2.sqrt())
    };
    Some(Difference {
        metric: metric.to_string(),
        a: ma,
        b: mb,
        mean,
        lo,
        hi,
        n: av.len().min(bv.len()),
        paired: false,
        se: se2.sqrt(),
        df,
    })
}

/// The numbers of a summary's scenario compares beside the headlines (its
/// `compare_metrics`, which each summary of it carries).
pub fn own_metrics(summary: &Summary) -> Vec<String> {
    summary["compare_metrics"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// How the seeds of two summaries meet: those both ran, and those of each only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedsMet {
    /// Seeds both ran.
    pub common: usize,
    /// Seeds only the first ran.
    pub only_a: usize,
    /// Seeds only the second ran.
    pub only_b: usize,
}

/// The seeds of summaries `a` and `b`, each counted once (a hand-edited summary may list one
/// twice), as `headline_differences` pairs them.
pub fn seeds_in_common(a: &Summary, b: &Summary) -> SeedsMet {
    let seeds = |s: &Summary| -> Vec<u64> {
        let mut v: Vec<u64> = s["per_seed"]
            .as_array()
            .map(|v| v.iter().filter_map(|p| p["seed"].as_u64()).collect())
            .unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (sa, sb) = (seeds(a), seeds(b));
    let common = sa.iter().filter(|s| sb.contains(s)).count();
    SeedsMet {
        common,
        only_a: sa.len() - common,
        only_b: sb.len() - common,
    }
}

/// The latency two runs of one scenario compare their headline p50 and p99 at: the one both
/// are judged by (`judged`; `None`: their clients'). Where they are judged by different ones
/// (a `latency` added, changed or taken away between them), one both have on their seeds:
/// the later run's, else the earlier's, else their clients'; never one run's lag against
/// the other's acknowledgements.
pub fn latency_compared(a: &Summary, b: &Summary) -> Option<String> {
    let (ja, jb) = (judged(a), judged(b));
    if ja == jb {
        return ja.map(str::to_string);
    }
    let on_both = |path: &&str| {
        let p99 = format!("{path}.p99");
        !per_seed(a, &p99).is_empty() && !per_seed(b, &p99).is_empty()
    };
    [jb, ja]
        .into_iter()
        .flatten()
        .find(on_both)
        .map(str::to_string)
}

/// The numbers two runs of one scenario are compared on, each with its path in both
/// summaries: the headlines (the latencies at `latency_compared`), then the scenario's own
/// numbers that both summaries compare (`own_metrics`).
fn compared_paths(a: &Summary, b: &Summary) -> Vec<(String, String)> {
    let latency = latency_compared(a, b);
    let theirs = own_metrics(a);
    HEADLINES
        .iter()
        .map(|(m, _, _)| {
            let path = match (&latency, m.strip_prefix("latency_ms.")) {
                (Some(l), Some(q)) => format!("{l}.{q}"),
                _ => m.to_string(),
            };
            (m.to_string(), path)
        })
        .chain(
            own_metrics(b)
                .into_iter()
                .filter(|m| theirs.contains(m))
                .map(|m| (m.clone(), m)),
        )
        .collect()
}

/// `b − a` of each number two runs are compared on (`compared_paths`): paired by seed when at
/// least two seeds match, else as independent samples; with one seed in common and too few
/// seeds on a side for Welch's interval, that seed's pair (with no interval: a rerun of the
/// same seed that changed nothing has moved nothing). A number that one run or both have on
/// no seed is left out (`one_sided` finds those of one run).
pub fn headline_differences(a: &Summary, b: &Summary) -> Vec<Difference> {
    let common = seeds_in_common(a, b).common;
    compared_paths(a, b)
        .iter()
        .filter_map(|(metric, path)| {
            let paired = || paired_at(a, path, b, path, metric);
            if common >= 2 {
                return paired();
            }
            match unpaired_at(a, path, b, path, metric) {
                Some(d) if common == 1 && !(d.lo.is_finite() && d.hi.is_finite()) => paired(),
                d => d,
            }
        })
        .collect()
}

/// A number one run has on some seed and the other on none (a queue's lag when its consumer
/// processed nothing, a latency of successes when none succeeded): the mean over the seeds
/// of the run that has it.
#[derive(Clone, Debug, PartialEq)]
pub struct OneSided {
    pub metric: String,
    /// Whether the first run (before) is the one that has it.
    pub before: bool,
    pub mean: f64,
}

/// The numbers two runs are compared on that only one of them has (`OneSided`): no
/// difference can be drawn, and a regression gate must not read their absence as no change.
pub fn one_sided(a: &Summary, b: &Summary) -> Vec<OneSided> {
    let mean = |s: &Summary, path: &str| {
        let v = per_seed(s, path);
        (!v.is_empty()).then(|| v.iter().map(|p| p.1).sum::<f64>() / v.len() as f64)
    };
    compared_paths(a, b)
        .into_iter()
        .filter_map(|(metric, path)| match (mean(a, &path), mean(b, &path)) {
            (Some(m), None) => Some(OneSided {
                metric,
                before: true,
                mean: m,
            }),
            (None, Some(m)) => Some(OneSided {
                metric,
                before: false,
                mean: m,
            }),
            _ => None,
        })
        .collect()
}

/// The mean of the values (one per seed) of the number at `path` and the half-width of its
/// Student-t 95 % interval (NaN with fewer than two values), their spread widened by what
/// their recording leaves uncertain (`recorded_variance`).
fn t_interval_at(path: &str, values: &[f64]) -> (f64, f64) {
    let nf = values.len() as f64;
    let mean = values.iter().sum::<f64>() / nf;
    if values.len() < 2 {
        return (mean, f64::NAN);
    }
    let recorded = values
        .iter()
        .map(|&x| recorded_variance(path, x))
        .sum::<f64>()
        / nf;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0) + recorded;
    let t = t975(nf - 1.0);
    (mean, t * (var / nf).sqrt())
}

/// The mean of values (one per seed) and its Student-t 95 % interval: (mean, lo, hi), the
/// interval NaN with fewer than two values. When no value is negative (a latency, a rate, a
/// count, a cost, a fraction), neither is their mean, and the lower bound is held at 0
/// where the symmetric interval of a few spread-out seeds would reach below it (seeds at
/// 26.8, 584 and 604 ms: −409 .. 1,219 becomes 0 .. 1,219). Differences, which may be
/// negative, take `t_interval_at` as it is.
pub fn mean_interval(values: &[f64]) -> (f64, f64, f64) {
    mean_interval_at("", values)
}

/// `mean_interval` of the values of the number at `path` (`t_interval_at`).
pub fn mean_interval_at(path: &str, values: &[f64]) -> (f64, f64, f64) {
    let (mean, half) = t_interval_at(path, values);
    let lo = mean - half;
    let lo = if lo < 0.0 && values.iter().all(|&x| x >= 0.0) {
        0.0
    } else {
        lo
    };
    (mean, lo, mean + half)
}

/// The mean of a metric over seeds and its 95 % interval (`mean_interval_at`): (mean, lo,
/// hi), the interval NaN with one seed.
pub fn mean_ci(summary: &Summary, metric: &str) -> Option<(f64, f64, f64)> {
    let v: Vec<f64> = per_seed(summary, metric).into_iter().map(|p| p.1).collect();
    if v.is_empty() {
        return None;
    }
    Some(mean_interval_at(metric, &v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(values: &[(u64, f64)]) -> Summary {
        json!({
            "per_seed": values.iter().map(|(s, v)| json!({"seed": s, "latency_ms": {"p99": v, "mean": v}})).collect::<Vec<_>>()
        })
    }

    #[test]
    fn an_interval_of_values_that_cannot_be_negative_stops_at_zero() {
        // Means of 26.8, 584 and 604 ms (recorded exactly, unlike a histogram's quantile): mean 404.93, sd 327.5, t(0.975, 2) = 4.303, half-width
        // 4.303 × 327.5 / √3 = 813.6: the symmetric interval is −408.7 .. 1,218.6.
        let (mean, lo, hi) = mean_interval(&[26.8, 584.0, 604.0]);
        assert!((mean - 404.933).abs() < 1e-3, "{mean}");
        assert_eq!(lo, 0.0);
        assert!((hi - 1218.6).abs() < 1.0, "{hi}");
        let (_, half) = t_interval_at("", &[26.8, 584.0, 604.0]);
        assert!(
            (mean - half + 408.7).abs() < 1.0,
            "the raw lower bound is {}",
            mean - half
        );
        // A value below zero lets the interval go below it too; one value gives none.
        let (_, lo, _) = mean_interval(&[-26.8, 584.0, 604.0]);
        assert!(lo < 0.0);
        assert!(mean_interval(&[5.0]).1.is_nan());
        // The summary's `ci95` is the same interval.
        let per_seed: Vec<Value> = [26.8, 584.0, 604.0]
            .iter()
            .enumerate()
            .map(|(i, v)| json!({"seed": i, "latency_ms": {"mean": v}}))
            .collect();
        let ci = crate::metrics::summary::ci95(&per_seed);
        assert_eq!(ci["latency_ms.mean"][0], json!(0.0));
        assert!((ci["latency_ms.mean"][1].as_f64().unwrap() - hi).abs() < 1e-9);
    }

    #[test]
    fn figures_equal_but_for_their_last_bits_differ_by_zero() {
        let a = 13.62;
        let b = a + 5.9e-16 * 3.0;
        let d = paired(
            &summary(&[(1, a), (2, a)]),
            &summary(&[(1, b), (2, b)]),
            "latency_ms.mean",
        )
        .unwrap();
        assert_eq!((d.mean, d.lo, d.hi), (0.0, 0.0, 0.0));
        let d = unpaired(&summary(&[(1, a)]), &summary(&[(2, b)]), "latency_ms.mean").unwrap();
        assert_eq!(d.mean, 0.0);
        // A real difference, however small beside the figures, stays.
        let d = paired(
            &summary(&[(1, a)]),
            &summary(&[(1, a + 1e-6)]),
            "latency_ms.mean",
        )
        .unwrap();
        assert!(d.mean > 0.0);
    }

    #[test]
    fn pairs_by_seed_and_gives_the_t_interval_of_the_difference() {
        // Differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.303, half-width 4.303/√3 = 2.484.
        let a = summary(&[(1, 10.0), (2, 20.0), (3, 30.0), (4, 99.0)]);
        let b = summary(&[(1, 11.0), (2, 22.0), (3, 33.0)]);
        let d = paired(&a, &b, "latency_ms.mean").unwrap();
        assert_eq!(d.n, 3, "seed 4 has no pair");
        assert!((d.mean - 2.0).abs() < 1e-12);
        assert!((d.hi - d.mean - 2.484).abs() < 1e-3, "{d:?}");
        assert!(!d.excludes_zero());
        // Differences 10, 11, 12: the interval is 11 ± 2.48, clear of zero.
        let c = summary(&[(1, 20.0), (2, 31.0), (3, 42.0)]);
        assert!(paired(&a, &c, "latency_ms.mean").unwrap().excludes_zero());
    }

    #[test]
    fn an_interval_is_drawn_again_at_another_confidence() {
        // Differences 1, 2, 3: se 1/√3, df 2; t(0.995, 2) = 9.925, so at 99 % the half-width
        // is 9.925/√3 = 5.730; at 95 % it is the interval `paired` gave.
        let a = summary(&[(1, 10.0), (2, 20.0), (3, 30.0)]);
        let b = summary(&[(1, 11.0), (2, 22.0), (3, 33.0)]);
        let d = paired(&a, &b, "latency_ms.mean").unwrap();
        let same = d.at_confidence(0.95);
        assert!((same.lo - d.lo).abs() < 1e-9 && (same.hi - d.hi).abs() < 1e-9);
        let wide = d.at_confidence(0.99);
        assert!((wide.hi - 2.0 - 5.730).abs() < 1e-3, "{wide:?}");
        assert!((wide.lo - 2.0 + 5.730).abs() < 1e-3, "{wide:?}");
        // Differences 10, 11, 12 leave zero out at 95 % (11 ± 2.48) and at 99 % (± 5.73),
        // not at 99.9 % (t(0.9995, 2) = 31.6: ± 18.2).
        let c = summary(&[(1, 20.0), (2, 31.0), (3, 42.0)]);
        let d = paired(&a, &c, "latency_ms.mean").unwrap();
        assert!(d.moved() && d.at_confidence(0.99).moved());
        assert!(!d.at_confidence(0.999).moved());
        // Welch's, likewise (equal variances, n = 3: df 4, t(0.995, 4) = 4.604).
        let x = summary(&[(7, 10.5), (8, 20.5), (9, 30.5)]);
        let w = unpaired(&a, &x, "latency_ms.mean").unwrap();
        let wide = w.at_confidence(0.99);
        assert!(
            (w.df - 4.0).abs() < 1e-9 && (wide.hi - wide.mean - 4.604 * w.se).abs() < 1e-2,
            "{wide:?}"
        );
        // An exact difference (of a number recorded exactly, not a histogram's quantile)
        // stays exact; one seed has no interval to widen.
        let e = paired(
            &a,
            &summary(&[(1, 12.0), (2, 22.0), (3, 32.0)]),
            "latency_ms.mean",
        )
        .unwrap();
        let e = e.at_confidence(0.999);
        assert!(e.lo == 2.0 && e.hi == 2.0 && e.moved());
        let one = paired(
            &summary(&[(1, 1.0)]),
            &summary(&[(1, 2.0)]),
            "latency_ms.mean",
        )
        .unwrap();
        let one = one.at_confidence(0.999);
        assert!(one.lo.is_nan() && one.moved());
    }

    #[test]
    fn quantiles_alike_to_the_bucket_have_an_interval_and_two_a_bucket_apart_did_not_move() {
        // Two folders whose two seeds each read the same p99, the top of one hdrhistogram
        // bucket (615.514111 and 617.611263 ms, 0.34 % apart): no spread, but not exact.
        let a = summary(&[(11, 615.514111), (12, 615.514111)]);
        let b = summary(&[(21, 617.611263), (22, 617.611263)]);
        let d = unpaired(&a, &b, "latency_ms.p99").unwrap();
        assert!(d.lo < 0.0 && d.hi > 0.0 && !d.moved(), "{d:?}");
        let (_, lo, hi) = mean_ci(&a, "latency_ms.p99").unwrap();
        assert!(lo < 615.514111 && hi > 615.514111, "{lo} {hi}");
        // Ten percent apart is beyond any bucket: moved.
        let c = summary(&[(21, 680.0), (22, 680.0)]);
        assert!(unpaired(&a, &c, "latency_ms.p99").unwrap().moved());
        // A mean is recorded exactly: the same seeds without spread differ exactly.
        let m = unpaired(&a, &b, "latency_ms.mean").unwrap();
        assert!(m.lo == m.hi && m.moved(), "{m:?}");
        let (_, lo, hi) = mean_ci(&a, "latency_ms.mean").unwrap();
        assert!(lo == hi);
        // Paired seeds alike to the bit (a variant that changes nothing) differ by nothing.
        let same = paired(&a, &a, "latency_ms.p99").unwrap();
        assert!(
            same.lo == 0.0 && same.hi == 0.0 && !same.moved(),
            "{same:?}"
        );
        // Paired seeds a bucket apart in each: within what their recording leaves open.
        let next = summary(&[(11, 616.0), (12, 616.0)]);
        assert!(!paired(&a, &next, "latency_ms.p99").unwrap().moved());
    }
}

#[cfg(test)]
mod unpaired_tests {
    use super::*;

    fn summary(values: &[(u64, f64)]) -> Summary {
        json!({
            "per_seed": values.iter().map(|(s, v)| json!({"seed": s, "error_rate": v})).collect::<Vec<_>>()
        })
    }

    #[test]
    fn seeds_that_do_not_match_are_compared_as_independent_samples() {
        let a = summary(&[(1, 1.0), (2, 2.0), (3, 3.0)]);
        let b = summary(&[(7, 1.5), (8, 2.5), (9, 3.5)]);
        let d = headline_differences(&a, &b);
        let e = d.iter().find(|d| d.metric == "error_rate").unwrap();
        assert!(!e.paired);
        assert!((e.mean - 0.5).abs() < 1e-12);
        // Welch with equal variances 1 and n = 3: se = sqrt(2/3), df = 4, t = 2.776.
        let half = 2.776445 * (2.0f64 / 3.0).sqrt();
        assert!((e.hi - e.mean - half).abs() < 1e-4, "{e:?}");
        assert!(!e.moved());
        // Matching seeds are paired: a constant shift is exact.
        let c = summary(&[(1, 1.5), (2, 2.5), (3, 3.5)]);
        let p = headline_differences(&a, &c);
        let e = p.iter().find(|d| d.metric == "error_rate").unwrap();
        assert!(e.paired && e.moved() && e.lo == e.hi);
    }

    /// A summary whose clients' p99 is 5 ms on every seed and whose queue's lag p99 is
    /// `lag` (seed, value), judged by the lag when `judged`.
    fn queued(lag: &[(u64, f64)], judged: bool) -> Summary {
        let mut s = json!({
            "per_seed": lag.iter().map(|(seed, v)| json!({
                "seed": seed,
                "latency_ms": { "p50": 2.0, "p99": 5.0 },
                "components": { "q": { "lag_ms": { "p50": v / 2.0, "p99": v } } },
            })).collect::<Vec<_>>()
        });
        if judged {
            s["latency_judged"] = json!("components.q.lag_ms");
        }
        s
    }

    #[test]
    fn a_judged_run_is_compared_by_the_latency_it_is_judged_by() {
        let before = [(1, 100.0), (2, 110.0), (3, 120.0)];
        let after = [(1, 300.0), (2, 310.0), (3, 320.0)];
        let p99 = |d: Vec<Difference>| d.into_iter().find(|d| d.metric == "latency_ms.p99");
        // Paired: the lag's p99 rose by 200 ms on every seed, the clients' did not move.
        let d = p99(headline_differences(
            &queued(&before, true),
            &queued(&after, true),
        ))
        .unwrap();
        assert!(d.paired && d.mean == 200.0 && d.moved(), "{d:?}");
        // Unpaired (other seeds on the second side): Welch's interval of the lags.
        let later = [(7, 300.0), (8, 310.0), (9, 320.0)];
        let d = p99(headline_differences(
            &queued(&before, true),
            &queued(&later, true),
        ))
        .unwrap();
        assert!(
            !d.paired && (d.mean - 200.0).abs() < 1e-9 && d.moved(),
            "{d:?}"
        );
        // Not judged, the same runs compare their clients' latency, which stayed at 5 ms.
        let d = p99(headline_differences(
            &queued(&before, false),
            &queued(&after, false),
        ))
        .unwrap();
        assert!(d.mean == 0.0 && !d.moved(), "{d:?}");
        // A scenario's own "latency_ms.mean" and the other headlines stay where they are.
        assert_eq!(
            headline_at(&queued(&before, true), "latency_ms.mean"),
            "latency_ms.mean"
        );
        assert_eq!(
            headline_at(&queued(&before, true), "error_rate"),
            "error_rate"
        );
    }

    #[test]
    fn runs_judged_differently_are_compared_at_one_latency_both_have() {
        let judged = queued(&[(1, 100.0), (2, 110.0), (3, 120.0)], true);
        let plain = queued(&[(1, 300.0), (2, 310.0), (3, 320.0)], false);
        // The lag is in both summaries' seeds: both are read there, whichever side judged by it.
        for (a, b) in [(&judged, &plain), (&plain, &judged)] {
            assert_eq!(
                latency_compared(a, b).as_deref(),
                Some("components.q.lag_ms")
            );
            let d = headline_differences(a, b);
            let p99 = d.iter().find(|d| d.metric == "latency_ms.p99").unwrap();
            assert_eq!(p99.mean.abs(), 200.0, "{p99:?}");
        }
        // A run without the lag at all: both at their clients' latency, which did not move.
        let mut bare = plain.clone();
        for seed in bare["per_seed"].as_array_mut().unwrap() {
            seed["components"] = json!({});
        }
        assert_eq!(latency_compared(&judged, &bare), None);
        let d = headline_differences(&judged, &bare);
        let p99 = d.iter().find(|d| d.metric == "latency_ms.p99").unwrap();
        assert!(p99.mean == 0.0 && !p99.moved(), "{p99:?}");
        assert!(one_sided(&judged, &bare).is_empty());
    }

    #[test]
    fn a_judged_latency_with_no_value_on_one_side_is_found_not_dropped() {
        // The consumer took nothing after the change: the lag has no value on any seed.
        let before = queued(&[(1, 100.0), (2, 110.0), (3, 120.0)], true);
        let mut after = before.clone();
        for seed in after["per_seed"].as_array_mut().unwrap() {
            seed["components"]["q"]["lag_ms"] = json!({ "p50": null, "p99": null });
        }
        let d = headline_differences(&before, &after);
        assert!(
            !d.iter().any(|d| d.metric.starts_with("latency_ms.p")),
            "{d:?}"
        );
        let gone = one_sided(&before, &after);
        assert_eq!(
            gone.iter()
                .map(|o| (o.metric.as_str(), o.before))
                .collect::<Vec<_>>(),
            [("latency_ms.p50", true), ("latency_ms.p99", true)]
        );
        assert_eq!(gone[1].mean, 110.0);
        // The other way round, it is the second that has it.
        assert!(one_sided(&after, &before).iter().all(|o| !o.before));
        // One seed short: paired on the two that have it.
        let mut short = before.clone();
        short["per_seed"][2]["components"]["q"]["lag_ms"]["p99"] = json!(null);
        let d = headline_differences(&before, &short);
        let p99 = d.iter().find(|d| d.metric == "latency_ms.p99").unwrap();
        assert!(p99.paired && p99.n == 2, "{p99:?}");
        assert!(one_sided(&before, &short).is_empty());
    }

    #[test]
    fn one_seed_against_several_is_paired_on_the_seed_they_share() {
        // A one-seed run against a three-seed run of the same scenario: seed 1 is the same
        // in both, so nothing moved (unpaired, the other seeds' spread read as a change).
        let one = summary(&[(1, 1.0)]);
        let three = summary(&[(1, 1.0), (2, 2.0), (3, 3.0)]);
        for (a, b) in [(&one, &three), (&three, &one)] {
            let d = headline_differences(a, b);
            let e = d.iter().find(|d| d.metric == "error_rate").unwrap();
            assert!(e.paired && e.n == 1 && e.mean == 0.0 && !e.moved(), "{e:?}");
        }
        // With two seeds a side and one shared, Welch's interval is there: independent.
        let two = summary(&[(1, 1.0), (2, 2.0)]);
        let other = summary(&[(1, 1.0), (5, 4.0)]);
        let d = headline_differences(&two, &other);
        let e = d.iter().find(|d| d.metric == "error_rate").unwrap();
        assert!(!e.paired && e.lo.is_finite(), "{e:?}");
    }
}
