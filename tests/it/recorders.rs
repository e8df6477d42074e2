//! The latency recorder counts each duration once (in its window's tally) and must still give
//! what recording every duration twice gave: a 3-digit histogram of the measured durations,
//! and each window's p50/p95/p99 from a 2-digit histogram of all of them. The reference below
//! is that double recording, written out.

use archsim::kernel::SimTime;
use archsim::metrics::{Clock, Hist, Latency, LatencySeries, Series, Unit};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

static NAMES: LatencySeries = LatencySeries {
    p50: Series {
        id: "p50",
        unit: Unit::Milliseconds,
        about: "",
    },
    p95: Series {
        id: "p95",
        unit: Unit::Milliseconds,
        about: "",
    },
    p99: Series {
        id: "p99",
        unit: Unit::Milliseconds,
        about: "",
    },
};

/// The recorder as it was: every duration into the summary (when measured) and into a coarse
/// histogram of the current window, whose quantiles are taken (overwriting the window's slot)
/// each time the window observed changes.
struct Reference {
    summary: Hist,
    window: Hist,
    current: usize,
    per_window: Vec<[f64; 3]>,
}

impl Reference {
    fn new(clock: &Clock) -> Reference {
        Reference {
            summary: Hist::new(),
            window: Hist::coarse(),
            current: 0,
            per_window: vec![[f64::NAN; 3]; clock.windows()],
        }
    }

    fn record(&mut self, clock: &Clock, now: SimTime, value: SimTime, measured: bool) {
        if measured {
            self.summary.record(value);
        }
        let w = clock.window_of(now);
        if w != self.current {
            self.flush();
            self.current = w;
        }
        self.window.record(value);
    }

    fn flush(&mut self) {
        if self.window.count() == 0 {
            return;
        }
        if let Some(slot) = self.per_window.get_mut(self.current) {
            *slot = [0.50, 0.95, 0.99].map(|q| self.window.quantile_ms(q));
        }
        self.window.reset();
    }
}

/// Durations from zero to minutes (log-uniform, with exact zeros), observed at times that
/// mostly move forward but sometimes step back a window or land past the end, some measured.
fn compare(seed: u64, n: usize, max_gap_ns: u64) {
    let clock = Clock {
        window: SimTime::from_millis(250),
        warmup: SimTime::from_secs(2),
        end: SimTime::from_secs(20),
    };
    let mut rng = Pcg64::seed_from_u64(seed);
    let (mut new, mut old) = (Latency::new(&clock), Reference::new(&clock));
    let mut now = 0u64;
    for _ in 0..n {
        now += rng.random_range(0..max_gap_ns);
        let at = match rng.random_range(0..100) {
            0 => now.saturating_sub(300_000_000),
            1 => now + 30_000_000_000,
            _ => now,
        };
        let value = if rng.random_range(0..10) == 0 {
            0
        } else {
            10f64.powf(rng.random_range(1.0..11.0)) as u64
        };
        let measured = clock.measured(SimTime(at)) || rng.random_range(0..20) == 0;
        new.record(&clock, SimTime(at), SimTime(value), measured);
        old.record(&clock, SimTime(at), SimTime(value), measured);
    }
    // Read before the last window closes, then after.
    let open = new.summary();
    assert!(open.count() > 0);
    new.finish();
    old.flush();
    for h in [&open, &new.summary()] {
        assert_eq!(h.count(), old.summary.count());
        assert_eq!(h.mean_ms().to_bits(), old.summary.mean_ms().to_bits());
        assert_eq!(h.max_ms().to_bits(), old.summary.max_ms().to_bits());
        for q in [0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0] {
            assert_eq!(
                h.quantile_ms(q).to_bits(),
                old.summary.quantile_ms(q).to_bits(),
                "seed {seed}: q {q}: {} against {}",
                h.quantile_ms(q),
                old.summary.quantile_ms(q)
            );
        }
    }
    let series = new.series(&NAMES);
    let mut filled = 0;
    for (w, want) in old.per_window.iter().enumerate() {
        for (k, (_, got)) in series.iter().enumerate() {
            assert_eq!(
                got[w].to_bits(),
                want[k].to_bits(),
                "seed {seed}: window {w}, quantile {k}: {} against {}",
                got[w],
                want[k]
            );
        }
        filled += usize::from(!want[0].is_nan());
    }
    assert!(
        filled >= n.min(clock.windows()) / 4,
        "seed {seed}: only {filled} windows saw durations"
    );
}

#[test]
fn one_record_per_duration_gives_what_two_gave() {
    for seed in 1..=20 {
        compare(seed, 20_000, 2_000_000);
    }
}

#[test]
fn a_recorder_between_sparse_and_dense_gives_what_two_gave() {
    // Tens of durations a window: a window's tally lists its buckets or gives the list up
    // (past 64 of them), and the summary it merges into gives up its own list midway.
    for seed in 41..=60 {
        compare(seed, 4_000, 10_000_000);
        compare(seed, 1_200, 33_000_000);
    }
}

#[test]
fn a_sparse_recorder_gives_what_two_gave() {
    // Fewer durations than windows: most windows empty, the others a value or two.
    for seed in 21..=40 {
        compare(seed, 40, 800_000_000);
    }
}

#[test]
fn windowed_counts_keep_each_label_apart_in_label_order() {
    // The label counted last is tried first: repeats, switches and new labels in between
    // must each land on their own counter.
    use archsim::metrics::WindowedCounts;
    let clock = Clock {
        window: SimTime::from_secs(1),
        warmup: SimTime::from_secs(1),
        end: SimTime::from_secs(3),
    };
    let mut counts = WindowedCounts::default();
    let seen = [
        (503u16, 100),
        (200, 200),
        (200, 1_100),
        (404, 1_200),
        (200, 1_300),
        (503, 2_100),
        (503, 2_200),
        (100, 2_300),
        (200, 2_400),
    ];
    for (label, ms) in seen {
        let t = SimTime::from_millis(ms);
        counts.add(&clock, label, t, clock.measured(t));
    }
    let got: Vec<(u16, Vec<f64>, u64)> = counts
        .iter()
        .map(|(l, c)| (l, c.count_series(), c.total()))
        .collect();
    assert_eq!(
        got,
        vec![
            (100, vec![0.0, 0.0, 1.0], 1),
            (200, vec![1.0, 2.0, 1.0], 3),
            (404, vec![0.0, 1.0, 0.0], 1),
            (503, vec![1.0, 0.0, 2.0], 2),
        ]
    );
}
