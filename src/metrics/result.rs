//! What one simulation run produces: plain data, ready to be pooled, summarised and rendered.

use super::Clock;
use crate::kernel::{KernelStats, SimTime};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// A latency histogram in bounded memory, with the exact sum and maximum beside it so that
/// means (which queueing theory predicts) are not blurred by bucketing. The sum is an integer,
/// so merging histograms gives the same bits in any order (seeds finish in any order).
#[derive(Clone, Debug)]
pub struct Hist {
    h: Histogram<u64>,
    sum_ns: u128,
    max_ns: u64,
}

/// Values are nanoseconds, resolved to 1 µs and 3 significant digits; the range grows on
/// demand (an hour fits without growing).
const LOWEST_NS: u64 = 1_000;
const HIGHEST_NS: u64 = 3_600 * 1_000_000_000;

impl Hist {
    pub fn new() -> Hist {
        Self::with_sigfig(3)
    }

    /// Two significant digits: enough for per-window quantiles, an eighth of the memory.
    pub fn coarse() -> Hist {
        Self::with_sigfig(2)
    }

    fn with_sigfig(sigfig: u8) -> Hist {
        let mut h = Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, sigfig)
            .expect("static histogram bounds are valid");
        h.auto(true);
        Hist {
            h,
            sum_ns: 0,
            max_ns: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, value: SimTime) {
        // With auto-resize on, recording only fails past u64::MAX / 2 ns (292 years).
        let v = value.0.min(u64::MAX / 4);
        let _ = self.h.record(v);
        self.sum_ns += u128::from(v);
        self.max_ns = self.max_ns.max(v);
    }

    pub fn count(&self) -> u64 {
        self.h.len()
    }

    pub fn mean_ms(&self) -> f64 {
        if self.count() == 0 {
            f64::NAN
        } else {
            self.sum_ns as f64 / self.count() as f64 / 1e6
        }
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count() == 0 {
            f64::NAN
        } else {
            // hdrhistogram answers with the top of the bucket; never report above the true max.
            // The bucket that holds zero holds everything below the resolution (1 µs): a
            // zero wait is 0, not the top of that bucket (0.000511 ms).
            let v = self.h.value_at_quantile(q);
            if self.h.lowest_equivalent(v) == 0 {
                0.0
            } else {
                (v.min(self.max_ns)) as f64 / 1e6
            }
        }
    }

    pub fn max_ms(&self) -> f64 {
        if self.count() == 0 {
            f64::NAN
        } else {
            self.max_ns as f64 / 1e6
        }
    }

    pub fn merge(&mut self, other: &Hist) {
        // Both grow on demand, so adding never fails for lack of range.
        let _ = self.h.add(&other.h);
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// The histogram as `saved` writes it: only the buckets that hold anything.
    pub(crate) fn saved(&self) -> super::saved::SavedHist {
        super::saved::SavedHist {
            sigfig: self.h.sigfig(),
            sum_ns: self.sum_ns.to_string(),
            max_ns: self.max_ns,
            buckets: self
                .h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        }
    }

    /// A histogram read back: the same buckets, sum and maximum as the one saved.
    pub(crate) fn from_saved(s: &super::saved::SavedHist) -> Result<Hist, String> {
        if !(2..=3).contains(&s.sigfig) {
            return Err(format!(
                "{} significant digits, archsim records 2 or 3",
                s.sigfig
            ));
        }
        let mut hist = Hist::with_sigfig(s.sigfig);
        hist.sum_ns = s
            .sum_ns
            .parse()
            .map_err(|_| "its sum is not a whole number".to_string())?;
        hist.max_ns = s.max_ns;
        for &(value, count) in &s.buckets {
            if value > u64::MAX / 4 {
                return Err("a value past the range archsim records".into());
            }
            hist.h
                .record_n(value, count)
                .map_err(|e| format!("a bucket cannot be recorded: {e:?}"))?;
        }
        Ok(hist)
    }

    pub fn reset(&mut self) {
        self.h.reset();
        self.sum_ns = 0;
        self.max_ns = 0;
    }
}

/// `Hist`'s layout (lowest 1 µs, 3 significant digits): 2^11 sub-buckets of 2^9 ns at
/// the bottom, each later bucket half as fine, so that `Tally` indexes exactly as
/// hdrhistogram does and hands over its counts bucket for bucket.
const UNIT_MAGNITUDE: u32 = 9;
const SUB_BUCKET_MAGNITUDE: u32 = 11;
const SUB_BUCKET_HALF_MAGNITUDE: u32 = SUB_BUCKET_MAGNITUDE - 1;
/// `Hist::coarse`'s sub-buckets (2 significant digits): 2^8.
const COARSE_SUB_BUCKET_MAGNITUDE: u32 = 8;

/// hdrhistogram's bucket of `v` under `sub_magnitude`, from its leading zeros.
#[inline]
fn bucket_of(v: u64, sub_magnitude: u32) -> u32 {
    let mask = ((1u64 << sub_magnitude) - 1) << UNIT_MAGNITUDE;
    (64 - UNIT_MAGNITUDE - sub_magnitude) - (v | mask).leading_zeros()
}

/// The index of `v`'s count in a 3-significant-digit `Hist`.
#[inline]
fn index_of(v: u64) -> usize {
    let bucket = bucket_of(v, SUB_BUCKET_MAGNITUDE);
    let sub = (v >> (bucket + UNIT_MAGNITUDE)) as usize;
    ((bucket as usize + 1) << SUB_BUCKET_HALF_MAGNITUDE) + sub - (1 << SUB_BUCKET_HALF_MAGNITUDE)
}

/// The lowest value whose count is at `index` in a 3-significant-digit `Hist`.
fn value_of(index: usize) -> u64 {
    let half = 1usize << SUB_BUCKET_HALF_MAGNITUDE;
    let (bucket, sub) = match (index >> SUB_BUCKET_HALF_MAGNITUDE).checked_sub(1) {
        Some(b) => (b, (index & (half - 1)) + half),
        None => (0, index & (half - 1)),
    };
    (sub as u64) << (bucket as u32 + UNIT_MAGNITUDE)
}

/// The highest value equivalent to `v` in a 2-significant-digit `Hist` (`Hist::coarse`), and
/// whether the lowest one is 0: what `value_at_quantile` answers there for a quantile in
/// `v`'s bucket. Each 3-digit bucket lies inside one 2-digit bucket (both are aligned powers
/// of two, the 2-digit ones as wide or wider), so the first 3-digit bucket that reaches a
/// rank lies in the first 2-digit bucket that does.
fn coarse_top(v: u64) -> (u64, bool) {
    let shift = bucket_of(v, COARSE_SUB_BUCKET_MAGNITUDE) + UNIT_MAGNITUDE;
    let lowest = (v >> shift) << shift;
    if v == u64::MAX {
        return (u64::MAX, lowest == 0);
    }
    (lowest.saturating_add(1u64 << shift) - 1, lowest == 0)
}

/// Durations counted in `Hist`'s buckets: per value one increment, the range of buckets
/// touched, the exact sum and maximum; windows are merged into the summary by adding counts
/// (`add_to`), so that a duration is recorded once, not once per window and once overall.
/// What a recorder updates per request; it becomes a `Hist` (the same buckets, sum and
/// maximum as recording each value into one) when read. Its counts grow to the largest bucket
/// recorded.
///
/// A window's tally is merged, read for its quantiles and cleared every window. Walking its
/// range of buckets for that costs the range, not the values: a minute of 54 durations spread
/// over 0.1–10 s spans some 7,000 buckets, and SimFaaS's point spent a quarter of its time
/// there. So while at most `SPARSE` buckets hold counts, the tally lists them (`touched`),
/// and merging, quantiles and clearing visit those alone.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    counts: Vec<u64>,
    /// The buckets touched since the last `clear`: [lo, hi), empty when lo >= hi.
    lo: usize,
    hi: usize,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
    /// Unless `dense`: every bucket with a count, each once, in the order first counted.
    touched: Vec<u32>,
    /// More than `SPARSE` buckets have counts (or a dense tally was merged in): the range is
    /// walked instead.
    dense: bool,
}

/// The most buckets with counts a tally lists.
const SPARSE: usize = 64;

impl Tally {
    pub fn new() -> Tally {
        Tally::default()
    }

    #[inline]
    pub fn record(&mut self, value: SimTime) {
        // The same clamp as `Hist::record`.
        let v = value.0.min(u64::MAX / 4);
        let i = index_of(v);
        if i >= self.counts.len() {
            self.grow(i);
        }
        let c = &mut self.counts[i];
        // The flag first: a dense tally's increment stays a store nothing waits on (the
        // counts span hundreds of kilobytes, and the load of a count often misses the cache).
        if !self.dense && *c == 0 {
            Self::list(&mut self.touched, &mut self.dense, i);
        }
        *c += 1;
        if self.count == 0 {
            (self.lo, self.hi) = (i, i + 1);
        } else {
            self.lo = self.lo.min(i);
            self.hi = self.hi.max(i + 1);
        }
        self.count += 1;
        self.sum_ns += u128::from(v);
        self.max_ns = self.max_ns.max(v);
    }

    /// Lists bucket `i`, which has just got its first count; past `SPARSE`, gives up the list.
    /// Out of line: at most `SPARSE` times a window, and `record` stays small enough to inline.
    #[cold]
    #[inline(never)]
    fn list(touched: &mut Vec<u32>, dense: &mut bool, i: usize) {
        if touched.len() < SPARSE {
            touched.push(i as u32);
        } else {
            *dense = true;
        }
    }

    #[cold]
    fn grow(&mut self, i: usize) {
        // A bucket's worth at a time (hdrhistogram grows the same way).
        let len = (i | ((1 << SUB_BUCKET_HALF_MAGNITUDE) - 1)) + 1;
        self.counts.resize(len, 0);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds this tally's counts into `into`, as if each value had been recorded there too.
    pub fn add_to(&self, into: &mut Tally) {
        if self.count == 0 {
            return;
        }
        if self.hi > into.counts.len() {
            into.grow(self.hi - 1);
        }
        if self.dense {
            for (a, b) in into.counts[self.lo..self.hi]
                .iter_mut()
                .zip(&self.counts[self.lo..self.hi])
            {
                *a += b;
            }
            into.dense = true;
        } else {
            for &i in &self.touched {
                let a = &mut into.counts[i as usize];
                if !into.dense && *a == 0 {
                    Self::list(&mut into.touched, &mut into.dense, i as usize);
                }
                *a += self.counts[i as usize];
            }
        }
        if into.count == 0 {
            (into.lo, into.hi) = (self.lo, self.hi);
        } else {
            into.lo = into.lo.min(self.lo);
            into.hi = into.hi.max(self.hi);
        }
        into.count += self.count;
        into.sum_ns += self.sum_ns;
        into.max_ns = into.max_ns.max(self.max_ns);
    }

    /// Empties the tally, in time proportional to the buckets touched.
    pub fn clear(&mut self) {
        if self.dense && self.count > 0 {
            self.counts[self.lo..self.hi].fill(0);
        } else {
            for &i in &self.touched {
                self.counts[i as usize] = 0;
            }
        }
        self.touched.clear();
        self.dense = false;
        (self.lo, self.hi, self.count, self.sum_ns, self.max_ns) = (0, 0, 0, 0, 0);
    }

    /// The quantiles `qs` (ascending, each above 0) in milliseconds, exactly as
    /// `Hist::coarse` would answer `quantile_ms` had it recorded the same values; NaN when
    /// empty. One pass over the buckets touched.
    pub fn coarse_quantiles_ms<const N: usize>(&self, qs: [f64; N]) -> [f64; N] {
        let mut out = [f64::NAN; N];
        if self.count == 0 || N == 0 {
            return out;
        }
        // hdrhistogram's rank for a quantile: ceil(q · count), at least 1.
        let ranks = qs.map(|q| ((q.min(1.0) * self.count as f64).ceil() as u64).max(1));
        // The quantile a rank reached in bucket `i` answers.
        let value = |i: usize| {
            let (top, zero) = coarse_top(value_of(i));
            if zero {
                0.0
            } else {
                top.min(self.max_ns) as f64 / 1e6
            }
        };
        let (mut k, mut seen) = (0, 0u64);
        if !self.dense {
            // The listed buckets in order: the empty ones between them reach no rank.
            let mut listed = [0u32; SPARSE];
            let listed = &mut listed[..self.touched.len()];
            listed.copy_from_slice(&self.touched);
            listed.sort_unstable();
            for &i in listed.iter() {
                seen += self.counts[i as usize];
                while seen >= ranks[k] {
                    out[k] = value(i as usize);
                    k += 1;
                    if k == N {
                        return out;
                    }
                }
            }
            return out;
        }
        let counts = &self.counts[self.lo..self.hi];
        // Summed eight buckets at a time (a slice of constant length, which the compiler may
        // unroll), bucket by bucket only where a rank is reached.
        const CHUNK: usize = 8;
        for (c, chunk) in counts.chunks(CHUNK).enumerate() {
            let sum: u64 = if chunk.len() == CHUNK {
                chunk[..CHUNK].iter().sum()
            } else {
                chunk.iter().sum()
            };
            if seen + sum < ranks[k] {
                seen += sum;
                continue;
            }
            for (j, &n) in chunk.iter().enumerate() {
                seen += n;
                while seen >= ranks[k] {
                    out[k] = value(self.lo + c * CHUNK + j);
                    k += 1;
                    if k == N {
                        return out;
                    }
                }
            }
        }
        out
    }

    /// The same buckets, sum and maximum in a `Hist`.
    pub fn hist(&self) -> Hist {
        let mut hist = Hist::new();
        if self.count > 0 {
            for (i, &c) in self.counts[self.lo..self.hi].iter().enumerate() {
                if c > 0 {
                    // Recording any value of a bucket counts it in that bucket.
                    let _ = hist.h.record_n(value_of(self.lo + i), c);
                }
            }
        }
        hist.sum_ns = self.sum_ns;
        hist.max_ns = self.max_ns;
        hist
    }
}

impl Default for Hist {
    fn default() -> Self {
        Hist::new()
    }
}

/// The summary statistics of one actor in one run. Names are dotted paths in `summary.json`
/// (`requests.by_status.503`). When seeds are pooled, counts add up, gauges are averaged and
/// histograms merge.
#[derive(Clone, Debug, Default)]
pub struct MetricSet {
    pub counts: BTreeMap<String, u64>,
    pub gauges: BTreeMap<String, f64>,
    pub hists: BTreeMap<String, Hist>,
}

impl MetricSet {
    pub fn count(&mut self, name: impl Into<String>, v: u64) {
        *self.counts.entry(name.into()).or_insert(0) += v;
    }

    /// Each edge's `calls.<callee>.retry_amplification` from its `attempts` and `retries`
    /// counts: attempts per first attempt, none without a first attempt. Pooled over seeds,
    /// a ratio of the summed counts (as the summary's own `retry_amplification`), not a mean
    /// of the seeds' ratios.
    pub fn edge_amplifications(&mut self) {
        let edges: Vec<(String, u64, u64)> = self
            .counts
            .iter()
            .filter_map(|(k, &attempts)| {
                let edge = k
                    .strip_suffix(".attempts")
                    .filter(|e| e.starts_with("calls."))?;
                let retries = self.counts.get(&format!("{edge}.retries")).copied();
                Some((edge.to_string(), attempts, retries.unwrap_or(0)))
            })
            .collect();
        for (edge, attempts, retries) in edges {
            let key = format!("{edge}.retry_amplification");
            if attempts > retries {
                let first = (attempts - retries) as f64;
                self.gauges.insert(key, attempts as f64 / first);
            } else {
                self.gauges.remove(&key);
            }
        }
    }

    pub fn gauge(&mut self, name: impl Into<String>, v: f64) {
        self.gauges.insert(name.into(), v);
    }

    pub fn hist(&mut self, name: impl Into<String>, h: &Hist) {
        self.hists
            .entry(name.into())
            .and_modify(|x| x.merge(h))
            .or_insert_with(|| h.clone());
    }

    /// The same set without its histograms: what is kept of each seed once its histograms
    /// are merged into the pool.
    pub fn without_hists(&self) -> MetricSet {
        MetricSet {
            counts: self.counts.clone(),
            gauges: self.gauges.clone(),
            hists: BTreeMap::new(),
        }
    }

    /// Pools runs of the same actor over seeds: counts add, histograms merge, gauges average,
    /// except maxima (names ending in `_max`), which stay maxima.
    pub fn pool<'a>(sets: impl IntoIterator<Item = &'a MetricSet>) -> MetricSet {
        let mut out = MetricSet::default();
        // (sum, count, max) of each gauge over the sets.
        let mut gauges: BTreeMap<String, (f64, u32, f64)> = BTreeMap::new();
        for s in sets {
            for (k, v) in &s.counts {
                out.count(k.clone(), *v);
            }
            for (k, h) in &s.hists {
                out.hist(k.clone(), h);
            }
            for (k, v) in &s.gauges {
                let e = gauges
                    .entry(k.clone())
                    .or_insert((0.0, 0, f64::NEG_INFINITY));
                e.0 += v;
                e.1 += 1;
                e.2 = e.2.max(*v);
            }
        }
        out.gauges = gauges
            .into_iter()
            .map(|(k, (sum, n, max))| {
                let v = if is_maximum(&k) {
                    max
                } else {
                    sum / f64::from(n)
                };
                (k, v)
            })
            .collect();
        out
    }
}

/// Whether a gauge is a maximum, which pools over seeds as the largest seed's: its name ends
/// with `_max`, or with `_max` and a unit (`failover_downtime_max_s`, `oldest_age_max_s`).
fn is_maximum(name: &str) -> bool {
    ["", "_s", "_ms"]
        .iter()
        .any(|unit| name.strip_suffix(unit).is_some_and(|n| n.ends_with("_max")))
}

/// Whether an actor is a source of traffic or a part of the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Workload,
    Component,
}

#[derive(Clone, Debug)]
pub struct ActorResult {
    pub name: String,
    pub kind: String,
    pub role: Role,
    pub metrics: MetricSet,
    /// Named per-window series, each with one value per window.
    pub series: Vec<(String, Vec<f64>)>,
}

/// A discrete happening worth a marker on a plot (a queue filling up, a fault, a failover).
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    pub time: SimTime,
    pub actor: String,
    pub event: String,
    pub detail: String,
}

/// The calls along one edge (caller → callee) that ended at their caller in the measured
/// window: answered, refused on the way, or timed out. For the service map.
#[derive(Clone, Debug, Default)]
pub struct EdgeStats {
    pub calls: u64,
    /// Of them, those not answered with a success (an error status, or the timeout).
    pub errors: u64,
    /// Of the errors, those ended by the caller's timeout: each counts the caller's whole
    /// wait (its timeout) in `latency`, which is why a few of them can set an edge's p99.
    pub timeouts: u64,
    /// From when the request left the caller until its answer (or timeout) reached it.
    pub latency: Hist,
}

impl EdgeStats {
    /// Adds another seed's calls along the same edge.
    pub fn merge(&mut self, other: &EdgeStats) {
        self.calls += other.calls;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.latency.merge(&other.latency);
    }
}

/// Everything one (scenario, seed) run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub seed: u64,
    pub clock: Clock,
    pub actors: Vec<ActorResult>,
    pub events: Vec<EventRecord>,
    pub kernel: KernelStats,
    /// When the last event happened (after arrivals stopped, in-flight work drains).
    pub end_time: SimTime,
    /// Wall-clock seconds the run took; measured by the caller, outside the simulation.
    pub wall_s: f64,
    /// The traces of sampled requests its workloads kept.
    pub traces: Traces,
    /// Per edge, by (caller, callee) name: its calls in the measured window.
    pub edges: BTreeMap<(String, String), EdgeStats>,
}

/// A run's traces: those kept (each workload's slowest and a sample), and counts.
#[derive(Clone, Debug, Default)]
pub struct Traces {
    /// The kept traces, by trace number.
    pub kept: Vec<crate::kernel::Trace>,
    /// Requests traced, kept or not.
    pub sampled: u64,
    /// Spans not recorded because their trace was full (`limits::MAX_SPANS_PER_TRACE`).
    pub spans_dropped: u64,
    /// Traced messages queued while `limits::MAX_QUEUED_TRACES` held their traces open
    /// already: not traced further.
    pub queued_untraced: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Quantiles are within the histogram's resolution of the exact order statistic:
        /// 0.1 % relative (3 significant digits), or 1 µs absolute below a millisecond.
        #[test]
        fn quantiles_match_sorted_samples(values in prop::collection::vec(0u64..10_000_000_000, 1..2000), q in 0.0f64..1.0) {
            let mut h = Hist::new();
            for &v in &values {
                h.record(SimTime(v));
            }
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            let exact = sorted[rank - 1] as f64 / 1e6;
            let got = h.quantile_ms(q);
            prop_assert!((got - exact).abs() <= exact * 0.001 + 0.001, "q {q}: {got} vs {exact}");
            let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64 / 1e6;
            prop_assert!((h.mean_ms() - mean).abs() <= mean * 1e-9 + 1e-9);
            prop_assert_eq!(h.max_ms(), *sorted.last().unwrap() as f64 / 1e6);
        }

        /// Merging two histograms is the same as recording both sets into one.
        #[test]
        fn merge_equals_recording_everything(a in prop::collection::vec(0u64..u32::MAX as u64 * 100, 0..500),
                                             b in prop::collection::vec(0u64..u32::MAX as u64 * 100, 0..500)) {
            let (mut ha, mut hb, mut hall) = (Hist::new(), Hist::new(), Hist::new());
            for &v in &a { ha.record(SimTime(v)); hall.record(SimTime(v)); }
            for &v in &b { hb.record(SimTime(v)); hall.record(SimTime(v)); }
            ha.merge(&hb);
            prop_assert_eq!(ha.count(), hall.count());
            for q in [0.5, 0.9, 0.99, 1.0] {
                prop_assert_eq!(ha.quantile_ms(q).to_bits(), hall.quantile_ms(q).to_bits());
            }
        }
    }

    /// A histogram's every bucket, sum, maximum and precision, to compare two exactly.
    fn buckets(h: &Hist) -> (Vec<(u64, u64)>, String, u64, u8) {
        let s = h.saved();
        (s.buckets, s.sum_ns, s.max_ns, s.sigfig)
    }

    /// Values over every magnitude a run meets: zeros, sub-microsecond, bucket edges, hours,
    /// and past the clamp.
    fn wide() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0u64),
            0u64..2_000,
            (0u32..62).prop_flat_map(|b| (1u64 << b)..(1u64 << (b + 1))),
            (0u32..63).prop_map(|b| (1u64 << b) - 1),
            Just(u64::MAX),
        ]
    }

    proptest! {
        /// A tally read as a histogram is the histogram of the same values, bucket for bucket.
        #[test]
        fn tally_is_the_histogram_of_its_values(values in prop::collection::vec(wide(), 0..400)) {
            let (mut t, mut h) = (Tally::new(), Hist::new());
            for &v in &values {
                t.record(SimTime(v));
                h.record(SimTime(v));
            }
            prop_assert_eq!(t.count(), h.count());
            prop_assert_eq!(buckets(&t.hist()), buckets(&h));
        }

        /// Its coarse quantiles are `Hist::coarse`'s, to the bit, after adds and clears.
        #[test]
        fn tally_quantiles_are_the_coarse_histograms(a in prop::collection::vec(wide(), 0..300),
                                                     b in prop::collection::vec(wide(), 1..300),
                                                     q in 0.000_001f64..1.0) {
            let (mut ta, mut tb, mut h) = (Tally::new(), Tally::new(), Hist::coarse());
            for &v in &a {
                ta.record(SimTime(v));
            }
            ta.clear();
            for &v in &b {
                ta.record(SimTime(v));
                h.record(SimTime(v));
            }
            for &v in &a {
                tb.record(SimTime(v));
                h.record(SimTime(v));
            }
            tb.add_to(&mut ta);
            let qs = [0.5, 0.95, 0.99, 1.0];
            let got = ta.coarse_quantiles_ms(qs);
            prop_assert_eq!(got.map(f64::to_bits), qs.map(|q| h.quantile_ms(q).to_bits()));
            let [one] = ta.coarse_quantiles_ms([q]);
            prop_assert_eq!(one.to_bits(), h.quantile_ms(q).to_bits());
        }
    }

    #[test]
    fn an_empty_tally_is_an_empty_histogram() {
        let t = Tally::new();
        assert!(t.coarse_quantiles_ms([0.5]).iter().all(|q| q.is_nan()));
        assert_eq!(buckets(&t.hist()), buckets(&Hist::new()));
    }

    #[test]
    fn a_zero_reads_as_zero() {
        // Most requests never wait: the median wait is 0, not the first bucket's top.
        let mut h = Hist::new();
        for _ in 0..60 {
            h.record(SimTime::ZERO);
        }
        for ms in 1..=40 {
            h.record(SimTime::from_millis(ms));
        }
        assert_eq!(h.quantile_ms(0.5), 0.0);
        assert_eq!(h.quantile_ms(0.0), 0.0);
        assert_eq!(h.quantile_ms(0.6), 0.0, "the 60th of 100 is the last zero");
        assert!((h.quantile_ms(0.61) - 1.0).abs() < 0.002);
        assert!((h.quantile_ms(0.99) - 39.0).abs() < 0.05);
    }

    #[test]
    fn an_edges_pooled_amplification_is_of_the_summed_counts_not_a_mean_of_ratios() {
        // Seed A: 10 first attempts of 100 (10×); seed B: 1,000 of 1,000 (1×). The edge made
        // 1,100 attempts for 1,010 first ones: 1.089, not the seeds' mean of 5.5.
        let seed = |attempts: u64, retries: u64| {
            let mut m = MetricSet::default();
            m.count("calls.db.attempts", attempts);
            m.count("calls.db.retries", retries);
            m.edge_amplifications();
            m
        };
        let (a, b) = (seed(100, 90), seed(1000, 0));
        assert_eq!(a.gauges["calls.db.retry_amplification"], 10.0);
        let mut pooled = MetricSet::pool([&a, &b]);
        pooled.edge_amplifications();
        let got = pooled.gauges["calls.db.retry_amplification"];
        assert!((got - 1100.0 / 1010.0).abs() < 1e-12, "{got}");
        // Only retries (no first attempt in the window): no ratio.
        let mut only = seed(5, 5);
        only.edge_amplifications();
        assert!(!only.gauges.contains_key("calls.db.retry_amplification"));
    }

    #[test]
    fn pooling_adds_counts_averages_gauges_and_merges_histograms() {
        let mut a = MetricSet::default();
        a.count("n", 3);
        a.gauge("u", 0.5);
        let mut h = Hist::new();
        h.record(SimTime::from_millis(10));
        a.hist("lat", &h);
        a.gauge("queue_max", 3.0);
        let mut b = a.clone();
        b.gauge("u", 0.7);
        b.gauge("queue_max", 9.0);
        let p = MetricSet::pool([&a, &b]);
        assert_eq!(p.counts["n"], 6);
        assert!((p.gauges["u"] - 0.6).abs() < 1e-12);
        assert_eq!(
            p.gauges["queue_max"], 9.0,
            "a maximum over seeds is the largest"
        );
        // With a unit after `_max` too (an RDS failover's longest downtime, a queue's oldest
        // message); a name that only has "max" elsewhere is a mean.
        for (name, pooled) in [
            ("failover_downtime_max_s", 107.49),
            ("oldest_age_max_ms", 107.49),
            ("max_seen", (61.17 + 107.49) / 2.0),
            ("maximum_s", (61.17 + 107.49) / 2.0),
        ] {
            let (mut x, mut y) = (MetricSet::default(), MetricSet::default());
            x.gauge(name, 61.17);
            y.gauge(name, 107.49);
            let p = MetricSet::pool([&x, &y]);
            assert!(
                (p.gauges[name] - pooled).abs() < 1e-12,
                "{name}: {}",
                p.gauges[name]
            );
        }
        assert_eq!(p.hists["lat"].count(), 2);
    }
}
