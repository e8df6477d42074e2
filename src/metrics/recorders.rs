//! Recorders that components and workloads update as the simulation runs.

use super::result::{EventRecord, Hist, Tally};
use super::series::{LatencySeries, Series};
use crate::kernel::SimTime;

/// The measurement frame of a run: where the warmup ends, where arrivals stop, window width.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub window: SimTime,
    pub warmup: SimTime,
    pub end: SimTime,
}

impl Clock {
    /// Number of time-series windows covering [0, end).
    pub fn windows(&self) -> usize {
        self.end.0.div_ceil(self.window.0.max(1)) as usize
    }

    /// The window holding `t`; `windows()`, a window that does not exist, from `end` on:
    /// what happens while work drains after arrivals stop is in no window, whether or not the
    /// window divides the run.
    #[inline]
    pub fn window_of(&self, t: SimTime) -> usize {
        if t >= self.end {
            self.windows()
        } else {
            (t.0 / self.window.0) as usize
        }
    }

    /// The part of window `i` inside [0, end) [s]: the window's width, less for the last
    /// window when the window does not divide the run. Rates and time averages per window
    /// divide by it, so that a last, shorter window is not read as a fall.
    pub fn window_secs(&self, i: usize) -> f64 {
        self.window_span(i).as_secs_f64()
    }

    /// Where the window holding `now` closes: its end, or the end of the run for the last one.
    pub fn window_close(&self, now: SimTime) -> SimTime {
        let w = self.window.0.max(1);
        SimTime((now.0 / w + 1).saturating_mul(w).min(self.end.0))
    }

    fn window_span(&self, i: usize) -> SimTime {
        let start = (i as u64).saturating_mul(self.window.0);
        let end = start.saturating_add(self.window.0).min(self.end.0);
        SimTime(end.saturating_sub(start))
    }

    /// Whether something that happened (or started) at `t` counts in the summary statistics.
    #[inline]
    pub fn measured(&self, t: SimTime) -> bool {
        t >= self.warmup && t < self.end
    }

    /// Length of the measured period [warmup, end), in seconds.
    pub fn measured_secs(&self) -> f64 {
        (self.end - self.warmup).as_secs_f64()
    }
}

/// The window a recorder touched last and its bounds, so that an instant inside it finds its
/// window by two comparisons instead of a division (most updates land in the window of the
/// one before).
#[derive(Clone, Copy, Debug, Default)]
struct WindowCursor {
    index: usize,
    /// [start, end) of window `index`, in nanoseconds; empty before the first use.
    start: u64,
    end: u64,
}

impl WindowCursor {
    /// Whether `t` [ns] lies in the current window.
    #[inline]
    fn holds(&self, t: u64) -> bool {
        t >= self.start && t < self.end
    }

    /// The index of the window holding `t`, which becomes the current one.
    #[inline]
    fn at(&mut self, clock: &Clock, t: SimTime) -> usize {
        if !self.holds(t.0) {
            self.enter(clock, t);
        }
        self.index
    }

    #[cold]
    fn enter(&mut self, clock: &Clock, t: SimTime) {
        self.index = clock.window_of(t);
        if t >= clock.end {
            // After the windows: [end, ∞) holds everything that comes later.
            self.start = clock.end.0;
            self.end = u64::MAX;
            return;
        }
        self.start = self.index as u64 * clock.window.0;
        self.end = self.start.saturating_add(clock.window.0).min(clock.end.0);
    }
}

/// A count per window plus a total over the measured period.
#[derive(Clone, Debug)]
pub struct Counter {
    per_window: Vec<f64>,
    cursor: WindowCursor,
    total: u64,
    weighted_total: f64,
}

impl Counter {
    pub fn new(clock: &Clock) -> Counter {
        Counter {
            per_window: vec![0.0; clock.windows()],
            cursor: WindowCursor::default(),
            total: 0,
            weighted_total: 0.0,
        }
    }

    /// Counts one occurrence at `now`; `measured` says whether it enters the total.
    #[inline]
    pub fn add(&mut self, clock: &Clock, now: SimTime, measured: bool) {
        if let Some(slot) = self.per_window.get_mut(self.cursor.at(clock, now)) {
            *slot += 1.0;
        }
        if measured {
            self.total += 1;
        }
    }

    /// Counts an occurrence that weighs `amount` (capacity units, bytes): windows and the
    /// weighted total add the amount.
    #[inline]
    pub fn add_weighted(&mut self, clock: &Clock, now: SimTime, measured: bool, amount: f64) {
        if let Some(slot) = self.per_window.get_mut(self.cursor.at(clock, now)) {
            *slot += amount;
        }
        if measured {
            self.total += 1;
            self.weighted_total += amount;
        }
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn weighted_total(&self) -> f64 {
        self.weighted_total
    }

    /// Occurrences per second in each window, over the part of it inside the run.
    pub fn rate_series(&self, clock: &Clock) -> Vec<f64> {
        self.per_window
            .iter()
            .enumerate()
            .map(|(i, c)| c / clock.window_secs(i))
            .collect()
    }

    pub fn count_series(&self) -> Vec<f64> {
        self.per_window.clone()
    }

    /// Per window, this counter's share of `whole`, counts it is part of (stale reads among
    /// replica reads, one target's requests among all): NaN where `whole` counted nothing.
    pub fn fraction_of(&self, whole: &[f64]) -> Vec<f64> {
        fraction(&self.per_window, whole)
    }

    /// Per window, this counter's share of it and `other` together (hits against misses):
    /// NaN where neither counted anything.
    pub fn share_series(&self, other: &Counter) -> Vec<f64> {
        self.per_window
            .iter()
            .zip(&other.per_window)
            .map(|(a, b)| if a + b > 0.0 { a / (a + b) } else { f64::NAN })
            .collect()
    }
}

/// Per window, counts `part` as a share of counts `whole`: NaN where `whole` counted nothing.
fn fraction(part: &[f64], whole: &[f64]) -> Vec<f64> {
    part.iter()
        .zip(whole)
        .map(|(&a, &n)| if n > 0.0 { a / n } else { f64::NAN })
        .collect()
}

/// A value per label for a small, open set of labels (reply statuses, for instance), kept in
/// label order. Labels are small `Copy` values, compared without formatting on the hot path;
/// the label used last is tried first (most uses repeat it: 200 after 200).
#[derive(Clone, Debug)]
struct Labelled<K, V> {
    labels: Vec<(K, V)>,
    last: usize,
}

impl<K, V> Default for Labelled<K, V> {
    fn default() -> Self {
        Labelled {
            labels: Vec::new(),
            last: 0,
        }
    }
}

impl<K: Copy + Ord, V> Labelled<K, V> {
    /// `label`'s value, made by `new` if the label is new; it becomes the last.
    #[inline]
    fn get(&mut self, label: K, new: impl FnOnce() -> V) -> &mut V {
        let i = match self.labels.get(self.last) {
            Some((l, _)) if *l == label => self.last,
            _ => self.find(label, new),
        };
        &mut self.labels[i].1
    }

    fn find(&mut self, label: K, new: impl FnOnce() -> V) -> usize {
        let i = match self.labels.binary_search_by(|(l, _)| l.cmp(&label)) {
            Ok(i) => i,
            Err(i) => {
                self.labels.insert(i, (label, new()));
                i
            }
        };
        self.last = i;
        i
    }
}

/// Counts per window for a small, open set of labels (a workload's final statuses), each
/// label with a `Counter` of its own.
#[derive(Clone, Debug)]
pub struct WindowedCounts<K>(Labelled<K, Counter>);

impl<K> Default for WindowedCounts<K> {
    fn default() -> Self {
        WindowedCounts(Labelled::default())
    }
}

impl<K: Copy + Ord> WindowedCounts<K> {
    #[inline]
    pub fn add(&mut self, clock: &Clock, label: K, now: SimTime, measured: bool) {
        self.0
            .get(label, || Counter::new(clock))
            .add(clock, now, measured);
    }

    pub fn iter(&self) -> impl Iterator<Item = (K, &Counter)> {
        self.0.labels.iter().map(|(l, c)| (*l, c))
    }

    /// Per window, the share of all labels' counts that the labels `part` picks hold (the
    /// final statuses that are failures among all): NaN where nothing was counted.
    pub fn fraction_series(&self, part: impl Fn(K) -> bool) -> Vec<f64> {
        let n = self.0.labels.first().map_or(0, |(_, c)| c.per_window.len());
        let (mut picked, mut whole) = (vec![0.0; n], vec![0.0; n]);
        for (label, c) in self.iter() {
            let pick = part(label);
            for (i, &k) in c.per_window.iter().enumerate() {
                whole[i] += k;
                if pick {
                    picked[i] += k;
                }
            }
        }
        fraction(&picked, &whole)
    }
}

/// Counts over the measured period for a small, open set of labels (a component's reply
/// statuses), in label order: totals only, for labels no series shows per window. A label
/// seen only outside the measured period is listed with a count of 0, as in
/// `WindowedCounts`.
#[derive(Clone, Debug)]
pub struct Counts<K>(Labelled<K, u64>);

impl<K> Default for Counts<K> {
    fn default() -> Self {
        Counts(Labelled::default())
    }
}

impl<K: Copy + Ord> Counts<K> {
    #[inline]
    pub fn add(&mut self, label: K, measured: bool) {
        *self.0.get(label, || 0) += u64::from(measured);
    }

    /// Each label and its count over the measured period, in label order.
    pub fn iter(&self) -> impl Iterator<Item = (K, u64)> + '_ {
        self.0.labels.iter().copied()
    }
}

/// A quantity that holds a level between changes (busy servers, queue length): its time
/// average per window and over the measured period.
#[derive(Clone, Debug)]
pub struct Level {
    value: f64,
    last: SimTime,
    /// ∫ value dt within each window, in value·nanoseconds.
    area_per_window: Vec<f64>,
    /// A hint: the window where the last change that crossed a window boundary ended. A
    /// change inside it (both bounds checked) adds one segment without a division.
    cursor: WindowCursor,
    /// ∫ value dt over [warmup, end).
    measured_area: f64,
    max_measured: f64,
}

impl Level {
    pub fn new(clock: &Clock) -> Level {
        Level {
            value: 0.0,
            last: SimTime::ZERO,
            area_per_window: vec![0.0; clock.windows()],
            cursor: WindowCursor::default(),
            measured_area: 0.0,
            max_measured: 0.0,
        }
    }

    #[inline]
    pub fn set(&mut self, clock: &Clock, now: SimTime, value: f64) {
        self.advance(clock, now);
        self.value = value;
        if clock.measured(now) && value > self.max_measured {
            self.max_measured = value;
        }
    }

    #[inline]
    pub fn add(&mut self, clock: &Clock, now: SimTime, delta: f64) {
        let v = self.value + delta;
        self.set(clock, now, v);
    }

    /// Integrates the current level up to `now`. Inlined where a level changes (several
    /// times a request); only a change reaching outside the cursor's window (where the last
    /// crossing of windows ended) leaves the line.
    #[inline]
    fn advance(&mut self, clock: &Clock, now: SimTime) {
        let (from, to) = (self.last.min(clock.end), now.min(clock.end));
        self.last = now;
        if to <= from || self.value == 0.0 {
            return;
        }
        let (m_from, m_to) = (from.max(clock.warmup), to);
        if m_to > m_from {
            self.measured_area += self.value * (m_to - m_from).0 as f64;
            self.max_measured = self.max_measured.max(self.value);
        }
        // Most changes come within the window of the one before: one segment, no division.
        if from.0 >= self.cursor.start && to.0 <= self.cursor.end {
            if let Some(a) = self.area_per_window.get_mut(self.cursor.index) {
                *a += self.value * (to - from).0 as f64;
            }
            return;
        }
        self.advance_across(clock, from, to);
    }

    /// The area from `from` to `to` spread over the windows they span.
    #[cold]
    #[inline(never)]
    fn advance_across(&mut self, clock: &Clock, from: SimTime, to: SimTime) {
        let w = clock.window.0;
        let mut t = from.0;
        self.cursor.at(clock, to);
        while t < to.0 {
            let idx = (t / w) as usize;
            let window_end = (idx as u64 + 1).saturating_mul(w);
            let seg_end = window_end.min(to.0);
            if let Some(a) = self.area_per_window.get_mut(idx) {
                *a += self.value * (seg_end - t) as f64;
            }
            t = seg_end;
        }
    }

    /// Closes the integrals at the end of the run.
    pub fn finish(&mut self, clock: &Clock) {
        self.advance(clock, clock.end);
    }

    /// The time average over the measured period.
    pub fn mean(&self, clock: &Clock) -> f64 {
        let len = (clock.end - clock.warmup).0 as f64;
        if len > 0.0 {
            self.measured_area / len
        } else {
            0.0
        }
    }

    pub fn max(&self) -> f64 {
        self.max_measured
    }

    /// The time average within each window, over the part of it inside the run.
    pub fn mean_series(&self, clock: &Clock) -> Vec<f64> {
        self.area_per_window
            .iter()
            .enumerate()
            .map(|(i, a)| a / clock.window_span(i).0 as f64)
            .collect()
    }
}

/// Durations (latencies, waits): a histogram over the measured period, an exact sum for the
/// mean, and p50/p95/p99 per window. Each success is counted once, in the current window's
/// tally (measured or not); when the window closes its measured counts join the summary and
/// its quantiles are taken, so that at most one window is alive at a time. Failures, where a
/// recorder is told of them (`record_failed`), are counted twice, in a summary and a window
/// tally of their own (see `Failed`).
#[derive(Clone, Debug)]
pub struct Latency {
    /// The measured durations of the windows closed so far.
    summary: Tally,
    /// The current window: a duration that ends inside it needs no division to find it.
    cursor: WindowCursor,
    /// This window's durations that count in the summary, and those that do not.
    window: Tally,
    unmeasured: Tally,
    /// (count, p50, p95, p99) in milliseconds for each window; NaN where nothing completed.
    per_window: Vec<[f64; 4]>,
    /// Failures beside the successes, from the first one recorded (`record_failed`): most
    /// recorders never see one, and pay nothing for them.
    failed: Option<Box<Failed>>,
}

/// The durations of failures (a request's time to fail) beside a `Latency`'s successes: a
/// summary of their own, and each window's quantiles of all its durations, successes and
/// failures together, taken when the window closes (a failure is recorded once more, in
/// its window's tally: failures are few).
#[derive(Clone, Debug)]
struct Failed {
    /// The measured failures.
    summary: Tally,
    /// This window's failures, measured or not.
    window: Tally,
    /// For each window, the p50, p95 and p99 [ms] of all its durations; `None` where none
    /// failed (they are the successes').
    per_window: Vec<Option<[f64; 3]>>,
}

impl Latency {
    pub fn new(clock: &Clock) -> Latency {
        Latency {
            summary: Tally::new(),
            cursor: WindowCursor::default(),
            window: Tally::new(),
            unmeasured: Tally::new(),
            per_window: vec![[0.0, f64::NAN, f64::NAN, f64::NAN]; clock.windows()],
            failed: None,
        }
    }

    /// Records a failure's duration (the time a request took to fail) observed at `now`,
    /// apart from the successes: in its own summary (`failed_summary`) when `measured`, and
    /// in its window's quantiles of all durations (`series_all`).
    pub fn record_failed(&mut self, clock: &Clock, now: SimTime, value: SimTime, measured: bool) {
        if !self.cursor.holds(now.0) {
            self.enter(clock, now);
        }
        let windows = self.per_window.len();
        let f = self.failed.get_or_insert_with(|| {
            Box::new(Failed {
                summary: Tally::new(),
                window: Tally::new(),
                per_window: vec![None; windows],
            })
        });
        if measured {
            f.summary.record(value);
        }
        f.window.record(value);
    }

    /// Whether a failure was recorded (measured or not): without one, `series_all` is
    /// `series`.
    pub fn has_failures(&self) -> bool {
        self.failed.is_some()
    }

    /// The measured failures' durations (empty when none failed).
    pub fn failed_summary(&self) -> Hist {
        self.failed
            .as_ref()
            .map_or_else(|| Tally::new().hist(), |f| f.summary.hist())
    }

    /// Records a duration observed at `now`; `measured` says whether it enters the summary.
    #[inline]
    pub fn record(&mut self, clock: &Clock, now: SimTime, value: SimTime, measured: bool) {
        if !self.cursor.holds(now.0) {
            self.enter(clock, now);
        }
        if measured {
            self.window.record(value);
        } else {
            self.unmeasured.record(value);
        }
    }

    /// Closes the current window and makes `now`'s the current one.
    #[cold]
    fn enter(&mut self, clock: &Clock, now: SimTime) {
        let closed = self.cursor.index;
        if self.cursor.at(clock, now) != closed {
            self.flush(closed);
        }
    }

    /// Closes window `index`: its measured durations join the summary, its quantiles are taken.
    fn flush(&mut self, index: usize) {
        let n = self.window.count() + self.unmeasured.count();
        let failures = self.failed.as_ref().map_or(0, |f| f.window.count());
        if n + failures == 0 {
            return;
        }
        self.window.add_to(&mut self.summary);
        if self.unmeasured.count() > 0 {
            self.unmeasured.add_to(&mut self.window);
            self.unmeasured.clear();
        }
        if let Some(slot) = self.per_window.get_mut(index).filter(|_| n > 0) {
            let [p50, p95, p99] = self.window.coarse_quantiles_ms([0.50, 0.95, 0.99]);
            *slot = [n as f64, p50, p95, p99];
        }
        if let Some(f) = self.failed.as_mut().filter(|_| failures > 0) {
            self.window.add_to(&mut f.window);
            if let Some(slot) = f.per_window.get_mut(index) {
                *slot = Some(f.window.coarse_quantiles_ms([0.50, 0.95, 0.99]));
            }
            f.window.clear();
        }
        self.window.clear();
    }

    pub fn finish(&mut self) {
        self.flush(self.cursor.index);
    }

    /// The measured durations so far (those of the open window included).
    pub fn summary(&self) -> Hist {
        if self.window.count() == 0 {
            return self.summary.hist();
        }
        let mut all = self.summary.clone();
        self.window.add_to(&mut all);
        all.hist()
    }

    /// The per-window p50, p95 and p99 [ms], as the series `names` declares them.
    pub fn series(&self, names: &'static LatencySeries) -> [(&'static Series, Vec<f64>); 3] {
        let col = |i: usize| self.per_window.iter().map(|r| r[i]).collect();
        [
            (&names.p50, col(1)),
            (&names.p95, col(2)),
            (&names.p99, col(3)),
        ]
    }

    /// The per-window p50, p95 and p99 [ms] of all durations, failures among them, as the
    /// series `names` declares them: the successes' in a window where none failed.
    pub fn series_all(&self, names: &'static LatencySeries) -> [(&'static Series, Vec<f64>); 3] {
        let col = |i: usize| {
            self.per_window
                .iter()
                .enumerate()
                .map(|(w, r)| {
                    match self
                        .failed
                        .as_ref()
                        .and_then(|f| f.per_window.get(w).copied().flatten())
                    {
                        Some(all) => all[i - 1],
                        None => r[i],
                    }
                })
                .collect()
        };
        [
            (&names.p50, col(1)),
            (&names.p95, col(2)),
            (&names.p99, col(3)),
        ]
    }
}

/// Durations whose summary alone is reported: the measured ones go straight into the tally
/// that a `Latency` merges its windows into, which gives the same summary without closing a
/// window or taking its quantiles (for durations no series shows per window).
#[derive(Clone, Debug, Default)]
pub struct Durations {
    summary: Tally,
}

impl Durations {
    /// Records a duration; `measured` says whether it enters the summary (an unmeasured one
    /// is dropped: nothing else would show it).
    #[inline]
    pub fn record(&mut self, value: SimTime, measured: bool) {
        if measured {
            self.summary.record(value);
        }
    }

    /// The measured durations.
    pub fn summary(&self) -> Hist {
        self.summary.hist()
    }
}

/// Discrete happenings of one actor, capped so that a flapping condition cannot fill memory.
#[derive(Clone, Debug)]
pub struct EventLog {
    actor: String,
    records: Vec<EventRecord>,
    dropped: u64,
}

pub use crate::limits::MAX_EVENTS_PER_ACTOR;

/// The event an actor records at the end of a run when it recorded more than it may keep.
pub const EVENTS_DROPPED: &str = "events_dropped";

impl EventLog {
    pub fn new(actor: &str) -> EventLog {
        EventLog {
            actor: actor.to_string(),
            records: Vec::new(),
            dropped: 0,
        }
    }

    pub fn push(&mut self, time: SimTime, event: &str, detail: String) {
        if self.records.len() < MAX_EVENTS_PER_ACTOR {
            self.records.push(EventRecord {
                time,
                actor: self.actor.clone(),
                event: event.to_string(),
                detail,
            });
        } else {
            self.dropped += 1;
        }
    }

    pub fn finish(&mut self, end: SimTime) -> Vec<EventRecord> {
        if self.dropped > 0 {
            let detail = format!("{} more events not recorded", self.dropped);
            self.records.push(EventRecord {
                time: end,
                actor: self.actor.clone(),
                event: EVENTS_DROPPED.into(),
                detail,
            });
            self.dropped = 0;
        }
        std::mem::take(&mut self.records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock {
            window: SimTime::from_secs(1),
            warmup: SimTime::from_secs(1),
            end: SimTime::from_secs(4),
        }
    }

    #[test]
    fn level_integrates_across_window_boundaries() {
        let c = clock();
        let mut l = Level::new(&c);
        // 2 from 0.5 s to 2.5 s, then 0: window means 1, 2, 1, 0; measured mean (1..4 s) = 3/3 = 1.
        l.set(&c, SimTime::from_millis(500), 2.0);
        l.set(&c, SimTime::from_millis(2500), 0.0);
        l.finish(&c);
        assert_eq!(l.mean_series(&c), vec![1.0, 2.0, 1.0, 0.0]);
        assert!((l.mean(&c) - 1.0).abs() < 1e-12);
        assert_eq!(l.max(), 2.0);
    }

    #[test]
    fn level_ignores_time_past_the_end() {
        let c = clock();
        let mut l = Level::new(&c);
        l.set(&c, SimTime::from_secs(3), 1.0);
        l.set(&c, SimTime::from_secs(10), 0.0);
        l.finish(&c);
        // Level 1 only during [3, 4): measured mean 1/3.
        assert!((l.mean(&c) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(l.mean_series(&c), vec![0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn a_last_window_the_run_does_not_fill_divides_by_its_own_length() {
        // Windows of 2 s over a 5 s run: [0, 2), [2, 4), [4, 5). One count every 10 ms
        // until the end, and more at 5.5 s, while work drains: that is past the windows.
        let c = Clock {
            window: SimTime::from_secs(2),
            warmup: SimTime::ZERO,
            end: SimTime::from_secs(5),
        };
        assert_eq!(c.windows(), 3);
        assert_eq!(
            [c.window_secs(0), c.window_secs(1), c.window_secs(2)],
            [2.0, 2.0, 1.0]
        );
        let mut n = Counter::new(&c);
        for ms in (0..5000).step_by(10).chain([5500, 5999]) {
            let t = SimTime::from_millis(ms);
            n.add(&c, t, c.measured(t));
        }
        // 100 per second throughout: 200, 200 and 100 counts.
        assert_eq!(n.count_series(), vec![200.0, 200.0, 100.0]);
        assert_eq!(n.rate_series(&c), vec![100.0, 100.0, 100.0]);
        assert_eq!(n.total(), 500);
        // A level of 3 held from 1 s to the end, and changed after it: its last window's
        // mean is 3, not 1.5.
        let mut l = Level::new(&c);
        l.set(&c, SimTime::from_secs(1), 3.0);
        l.set(&c, SimTime::from_millis(5500), 0.0);
        l.finish(&c);
        assert_eq!(l.mean_series(&c), vec![1.5, 3.0, 3.0]);
        // A sample taken where a window closes: the last one closes at the end of the run.
        assert_eq!(c.window_close(SimTime::from_secs(2)), SimTime::from_secs(4));
        assert_eq!(c.window_close(SimTime::from_secs(4)), SimTime::from_secs(5));
        assert_eq!(c.window_of(SimTime::from_millis(5500)), 3);
    }

    #[test]
    fn counter_separates_windows_and_measured_total() {
        let c = clock();
        let mut n = Counter::new(&c);
        for ms in [100, 900, 1500, 3999, 4500] {
            let t = SimTime::from_millis(ms);
            n.add(&c, t, c.measured(t));
        }
        assert_eq!(n.count_series(), vec![2.0, 1.0, 0.0, 1.0]);
        assert_eq!(n.total(), 2);
    }

    #[test]
    fn counts_and_levels_find_their_windows_in_any_order_and_at_the_edges() {
        let c = clock();
        // Counts out of time order, on window edges, and back into a window left before.
        let mut n = Counter::new(&c);
        for ms in [2500, 999, 1000, 0, 2999, 3000, 1999, 2000, 500] {
            n.add(&c, SimTime::from_millis(ms), true);
        }
        assert_eq!(n.count_series(), vec![3.0, 2.0, 3.0, 1.0]);
        // A level changed every 8 ms (some changes on window edges, one a nanosecond past
        // one), its value the change's index but zero for a stretch, one change stepping back
        // 30 ms, against the integral summed segment by segment with a division for each.
        let mut l = Level::new(&c);
        let mut reference = [0.0f64; 4];
        let (mut value, mut last) = (0.0, 0u64);
        for i in 1..=520u64 {
            let t = match i {
                250 => 2_000_000_001,
                300 => 2_370_000_000,
                _ => i * 8_000_000,
            };
            let v = if (100..150).contains(&i) {
                0.0
            } else {
                i as f64
            };
            l.set(&c, SimTime(t), v);
            let mut from = last;
            while from < t.min(c.end.0) {
                let w = from / c.window.0;
                let seg_end = ((w + 1) * c.window.0).min(t);
                reference[w as usize] += value * (seg_end - from) as f64;
                from = seg_end;
            }
            (value, last) = (v, t);
        }
        l.finish(&c);
        let expected: Vec<f64> = reference.iter().map(|a| a / c.window.0 as f64).collect();
        assert_eq!(l.mean_series(&c), expected);
    }

    #[test]
    fn latency_quantiles_per_window() {
        let c = clock();
        let mut l = Latency::new(&c);
        for i in 1..=100u64 {
            l.record(
                &c,
                SimTime::from_millis(1500),
                SimTime::from_millis(i),
                true,
            );
        }
        l.record(
            &c,
            SimTime::from_millis(2500),
            SimTime::from_millis(7),
            true,
        );
        l.finish();
        let [(_, p50), _, (_, p99)] = l.series(&NAMES);
        assert!(p50[0].is_nan());
        assert!((p50[1] - 50.0).abs() < 0.5, "{}", p50[1]);
        assert!((p99[1] - 99.0).abs() < 1.0, "{}", p99[1]);
        assert!((p50[2] - 7.0).abs() < 0.1);
        assert_eq!(l.summary().count(), 101);
    }

    static NAMES: LatencySeries = LatencySeries {
        p50: Series {
            id: "p50",
            unit: crate::metrics::Unit::Milliseconds,
            about: "",
        },
        p95: Series {
            id: "p95",
            unit: crate::metrics::Unit::Milliseconds,
            about: "",
        },
        p99: Series {
            id: "p99",
            unit: crate::metrics::Unit::Milliseconds,
            about: "",
        },
    };

    #[test]
    fn failures_join_the_quantiles_of_all_in_their_windows_and_leave_the_successes_alone() {
        let c = clock();
        let mut l = Latency::new(&c);
        let ms = SimTime::from_millis;
        // Window 0 (the warmup): successes of 1..=100 ms, no failure.
        for i in 1..=100 {
            l.record(&c, ms(500), ms(i), false);
        }
        // Window 1: successes of 1..=90 ms and ten failures at 5 s (timeouts).
        for i in 1..=90 {
            l.record(&c, ms(1500), ms(i), true);
        }
        for _ in 0..10 {
            l.record_failed(&c, ms(1600), ms(5000), true);
        }
        // Window 2: failures alone; window 3: nothing.
        l.record_failed(&c, ms(2500), ms(2000), true);
        l.finish();
        let [(_, p50), _, (_, p99)] = l.series(&NAMES);
        let [(_, all50), _, (_, all99)] = l.series_all(&NAMES);
        // Before any failure the two are one.
        assert_eq!((all50[0], all99[0]), (p50[0], p99[0]));
        // The successes' own quantiles hold no failure; all of them, a tenth at 5 s.
        assert!((p99[1] - 90.0).abs() < 1.0, "{}", p99[1]);
        assert!((all99[1] - 5000.0).abs() < 10.0, "{}", all99[1]);
        assert!((all50[1] - 50.0).abs() < 0.5, "{}", all50[1]);
        assert!(p50[2].is_nan() && (all50[2] - 2000.0).abs() < 2.0);
        assert!(p50[3].is_nan() && all50[3].is_nan());
        // The failures have a summary of their own: the measured ones, 11.
        assert_eq!(l.failed_summary().count(), 11);
        assert_eq!(l.summary().count(), 90);
    }
}
