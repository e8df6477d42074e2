//! How a table's capacity moves, once a minute: target tracking on a provisioned table
//! (alarms on the minute's utilisation, then the new capacity after a lag) and an on-demand
//! table's ceiling (twice its previous peak). Both are functions of the minutes' figures,
//! kept apart from the table that acts on them.
//!
//! aws-facts §7 says nothing of DynamoDB's auto scaling (Application Auto Scaling's target
//! tracking); where §4 reports EC2 Auto Scaling's target-tracking alarms it is cited, and
//! every other figure is a choice, said as such.

use crate::kernel::SimTime;
use std::collections::VecDeque;

/// How often the alarms look at the table and on-demand remembers its peak [s]: one-minute
/// datapoints, as CloudWatch's detailed monitoring gives (aws-facts: §4: detailed 1 min).
pub(super) const TICK_S: u64 = 60;
/// The least target utilisation (`autoscaling.target`) [share]: not in aws-facts; the range
/// DynamoDB's auto scaling offers is 20 % to 90 %.
pub(super) const TARGET_MIN: f64 = 0.2;
/// The greatest target utilisation [share] (see `TARGET_MIN`).
pub(super) const TARGET_MAX: f64 = 0.9;
/// Consecutive minutes above the target that scale out: a choice. aws-facts §4 reports EC2
/// target tracking's scale-out alarm as 3 of 3 one-minute datapoints (observed, not
/// documented); this model reacts a minute sooner.
pub(super) const SCALE_OUT_MINUTES: u32 = 2;
/// Consecutive minutes clearly below the target that scale in: aws-facts §4 reports EC2
/// target tracking's scale-in alarm as 15 of 15 datapoints (observed, not documented).
pub(super) const SCALE_IN_MINUTES: u32 = 15;
/// How far below the target (in utilisation) a minute counts as clearly below it: a choice
/// (aws-facts §4 reports about 90 % of the target for EC2; this model takes 20 points under).
pub(super) const SCALE_IN_MARGIN: f64 = 0.2;
/// Time from the alarm to the new capacity being in effect, when `autoscaling.lag` is not
/// given: a choice; the facts give no figure, and a couple of minutes after the alarm is what
/// AWS's blog examples show.
pub(super) const DEFAULT_LAG: SimTime = SimTime::from_secs(120);
/// The most capacity scaling reaches when `max_rcu` / `max_wcu` are not given, as a multiple
/// of the provisioned capacity: a choice.
pub(super) const DEFAULT_MAX_FACTOR: f64 = 10.0;

/// aws-facts: §7 on-demand, warm throughput: a new table serves about 12,000 read and 4,000
/// write request units per second at once (its warm throughput, which `warm_throughput`
/// raises); the default table maximum is 40,000 of each (`max_throughput` sets it).
pub(super) const ON_DEMAND_INITIAL_READ: f64 = 12_000.0;
pub(super) const ON_DEMAND_INITIAL_WRITE: f64 = 4_000.0;
pub(super) const ON_DEMAND_MAX: f64 = 40_000.0;
/// aws-facts: §7 on-demand: up to twice the previous peak is served at once…
pub(super) const ON_DEMAND_PEAK_FACTOR: f64 = 2.0;
/// …and more than that within 30 minutes may throttle: minutes a peak takes to become the
/// previous peak. Three choices where the documentation is silent: a peak is a minute's
/// mean rate (what CloudWatch shows per minute); going past the ceiling always throttles
/// (AWS says "may"); and the ceiling (twice the old peak, never below the warm throughput)
/// never falls, as warm throughput never does.
pub(super) const ON_DEMAND_MEMORY_MIN: usize = 30;
/// Unused on-demand capacity banked [s]: a choice; on-demand has no burst capacity of its
/// own, so a second's worth only.
pub(super) const ON_DEMAND_BURST_SECONDS: f64 = 1.0;

/// aws-facts is silent; DynamoDB's service quotas (`ddb:ServiceQuotas.html`): a table's
/// provisioned capacity may be decreased "up to four times any time per day" (a UTC day),
/// and once more in each hour with no decrease before it, 27 times a day at most.
pub(super) const DECREASES_ANY_TIME: u32 = 4;
pub(super) const DECREASES_PER_DAY: u32 = 27;
const DAY: SimTime = SimTime::from_secs(86_400);
const HOUR: SimTime = SimTime::from_secs(3_600);

/// A table's decreases of its provisioned capacity today, which both sides draw on (the run
/// starts at midnight UTC, as its traces' times do).
#[derive(Debug, Default)]
pub(super) struct Decreases {
    day: u64,
    count: u32,
    last: Option<SimTime>,
}

impl Decreases {
    /// Whether a decrease is allowed at `now`.
    fn allowed(&mut self, now: SimTime) -> bool {
        if now.0 / DAY.0 != self.day {
            self.day = now.0 / DAY.0;
            self.count = 0;
        }
        self.count < DECREASES_ANY_TIME
            || (self.count < DECREASES_PER_DAY && self.last.is_none_or(|t| now - t >= HOUR))
    }

    fn take(&mut self, now: SimTime) {
        self.count += 1;
        self.last = Some(now);
    }
}

/// One side's scaling state across minutes.
#[derive(Debug, Default)]
pub(super) struct Tracker {
    /// Minutes in a row above the target [minutes].
    above: u32,
    /// Minutes in a row clearly below the target [minutes].
    below: u32,
    /// The capacity an alarm asked for, until it is in effect [units/s].
    pub(super) pending: Option<f64>,
    /// On-demand: each of the last minutes' rates, oldest first [units/s].
    recent_peaks: VecDeque<f64>,
    /// On-demand: the highest rate of the minutes before those [units/s].
    old_peak: f64,
}

impl Tracker {
    /// Target tracking, after a minute at `rate` units per second on `capacity`: the
    /// capacity to move to when an alarm fires (held between `floor` and `ceiling`), which
    /// then waits as pending until it is applied.
    /// A scale-in waits while the table may not decrease its capacity (`decreases`, at
    /// `now`), its alarm still sounding.
    pub(super) fn target_tracking(
        &mut self,
        target: f64,
        rate: f64,
        capacity: f64,
        (floor, ceiling): (f64, f64),
        (decreases, now): (&mut Decreases, SimTime),
    ) -> Option<f64> {
        let util = rate / capacity;
        if util > target {
            self.above += 1;
            self.below = 0;
        } else if util < target - SCALE_IN_MARGIN {
            self.below += 1;
            self.above = 0;
        } else {
            self.above = 0;
            self.below = 0;
        }
        let wanted = (rate / target).clamp(floor, ceiling).ceil();
        let scale_in = self.below >= SCALE_IN_MINUTES && wanted < capacity;
        let act = (self.above >= SCALE_OUT_MINUTES && wanted > capacity) || scale_in;
        // One action at a time: a pending one is the only cooldown.
        if act && self.pending.is_none() {
            if scale_in {
                if !decreases.allowed(now) {
                    return None;
                }
                decreases.take(now);
            }
            self.pending = Some(wanted);
            self.above = 0;
            self.below = 0;
            return Some(wanted);
        }
        None
    }

    /// On-demand, after a minute at `rate` units per second: the ceiling now, twice the
    /// peak from before the last 30 minutes, never below `floor` nor above `max`.
    pub(super) fn on_demand(&mut self, rate: f64, floor: f64, max: f64) -> f64 {
        self.recent_peaks.push_back(rate);
        if self.recent_peaks.len() > ON_DEMAND_MEMORY_MIN {
            let old = self.recent_peaks.pop_front().unwrap_or(0.0);
            self.old_peak = self.old_peak.max(old);
        }
        (ON_DEMAND_PEAK_FACTOR * self.old_peak).max(floor).min(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minute at `rate` on `capacity`, a 50 % target, between 1,000 and 10,000, with
    /// decreases allowed.
    fn minute(t: &mut Tracker, rate: f64, capacity: f64) -> Option<f64> {
        t.target_tracking(
            0.5,
            rate,
            capacity,
            (1000.0, 10_000.0),
            (&mut Decreases::default(), SimTime::ZERO),
        )
    }

    #[test]
    fn scales_out_after_two_minutes_above_the_target() {
        let mut t = Tracker::default();
        // 700 units/s on 1,000 at a 50 % target: 1,400 wanted, after the second minute.
        assert_eq!(minute(&mut t, 700.0, 1000.0), None);
        assert_eq!(minute(&mut t, 700.0, 1000.0), Some(1400.0));
        // Pending: no second action until it is applied.
        for _ in 0..3 {
            assert_eq!(minute(&mut t, 700.0, 1000.0), None);
        }
    }

    #[test]
    fn decreases_are_four_at_any_time_then_one_an_hour_and_27_a_day() {
        let mut d = Decreases::default();
        let at = |s: u64| SimTime::from_secs(s);
        for i in 0..4 {
            assert!(d.allowed(at(60 * i)));
            d.take(at(60 * i));
        }
        // The fifth waits for an hour with no decrease.
        assert!(!d.allowed(at(3_779)));
        assert!(d.allowed(at(3_780)));
        // One an hour from then on, 27 in the day at most: the last at 82,980 s.
        for k in 0..23 {
            let t = 3_780 + 3_600 * k;
            assert!(d.allowed(at(t)));
            d.take(at(t));
            if k < 22 {
                assert!(!d.allowed(at(t + 3_599)));
            }
        }
        assert!(!d.allowed(at(86_399)));
        // A new UTC day starts over.
        assert!(d.allowed(at(86_400)));
    }

    #[test]
    fn scales_in_after_fifteen_minutes_clearly_below() {
        let mut t = Tracker::default();
        // 100 units/s on 2,000 at a 50 % target: 5 % is more than 20 points under; 200
        // wanted, held to the floor of 1,000.
        for _ in 0..14 {
            assert_eq!(minute(&mut t, 100.0, 2000.0), None);
        }
        assert_eq!(minute(&mut t, 100.0, 2000.0), Some(1000.0));
    }

    #[test]
    fn on_demand_allows_twice_the_peak_from_before_the_last_half_hour() {
        let mut t = Tracker::default();
        // A peak of 10,000 is remembered only once 30 later minutes have passed.
        assert_eq!(t.on_demand(10_000.0, 4_000.0, 40_000.0), 4_000.0);
        for _ in 0..29 {
            assert_eq!(t.on_demand(0.0, 4_000.0, 40_000.0), 4_000.0);
        }
        assert_eq!(t.on_demand(0.0, 4_000.0, 40_000.0), 20_000.0);
    }
}
