//! Simulated time: an integer count of nanoseconds, never a float clock.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in simulated time, or a span of it, in nanoseconds.
///
/// Integer time keeps runs bit-identical across machines: two events scheduled "at the same
/// time" really are at the same time, and ties are broken by insertion order (see `queue`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every run, and the empty span.
    pub const ZERO: SimTime = SimTime(0);
    /// The last representable instant; sums saturate here instead of wrapping.
    pub const MAX: SimTime = SimTime(u64::MAX);
    /// Nanoseconds in one second [ns/s].
    pub const NANOS_PER_SEC: u64 = 1_000_000_000;

    /// The time `ns` nanoseconds after the start, or a span that long [ns].
    pub const fn from_nanos(ns: u64) -> SimTime {
        SimTime(ns)
    }

    /// The time `ms` milliseconds after the start, or a span that long [ms].
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    /// The time `s` seconds after the start, or a span that long [s].
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * Self::NANOS_PER_SEC)
    }

    /// Rounds to the nearest nanosecond; negative and NaN inputs become zero, and values past
    /// the end of representable time saturate (584 years is beyond any scenario).
    pub fn from_secs_f64(s: f64) -> SimTime {
        let ns = s * Self::NANOS_PER_SEC as f64;
        if ns.is_nan() || ns <= 0.0 {
            SimTime::ZERO
        } else if ns >= u64::MAX as f64 {
            SimTime::MAX
        } else {
            // Round half up; `as` truncates, which for a positive value is the floor.
            SimTime((ns + 0.5) as u64)
        }
    }

    /// This time as a count of nanoseconds [ns].
    pub const fn nanos(self) -> u64 {
        self.0
    }

    /// This time in seconds, as a float for reports and rates [s].
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::NANOS_PER_SEC as f64
    }

    /// This time in milliseconds, as a float for reports and latencies [ms].
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// The sum, stopping at `MAX` instead of wrapping; `+` does the same.
    pub fn saturating_add(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(other.0))
    }

    /// The difference, stopping at zero instead of wrapping; `-` does the same.
    pub fn saturating_sub(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(other.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        self.saturating_add(rhs)
    }
}

impl AddAssign for SimTime {
    fn add_assign(&mut self, rhs: SimTime) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.as_secs_f64())
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Three decimals at most, trailing zeros dropped: 60s, 1.5s, 250ms, 12.5µs.
        let (v, unit) = if self.0 >= Self::NANOS_PER_SEC || self.0 == 0 {
            (self.as_secs_f64(), "s")
        } else if self.0 >= 1_000_000 {
            (self.as_millis_f64(), "ms")
        } else {
            (self.0 as f64 / 1e3, "µs")
        };
        let s = format!("{v:.3}");
        write!(f, "{}{unit}", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_conversion_rounds_and_saturates() {
        assert_eq!(SimTime::from_secs_f64(1.5e-9), SimTime(2));
        assert_eq!(SimTime::from_secs_f64(-3.0), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(f64::NAN), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(1e300), SimTime::MAX);
        assert_eq!(
            SimTime::from_secs(2) + SimTime::from_millis(5),
            SimTime(2_005_000_000)
        );
        assert_eq!(SimTime::MAX + SimTime(1), SimTime::MAX);
        assert_eq!(SimTime(1) - SimTime(5), SimTime::ZERO);
        let shown: Vec<String> = [0, 60_000_000_000, 1_500_000_000, 250_000_000, 12_500]
            .iter()
            .map(|&n| SimTime(n).to_string())
            .collect();
        assert_eq!(shown, ["0s", "60s", "1.5s", "250ms", "12.5µs"]);
    }
}
