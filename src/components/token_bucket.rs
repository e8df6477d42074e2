//! A token bucket: capacity `burst`, refilled at `rate` tokens per second, one token per
//! request. Integer arithmetic (nano-tokens), so it admits exactly what it should over any run.

use crate::kernel::SimTime;

/// Nano-tokens per token.
const UNIT: u128 = 1_000_000_000;

/// A non-negative count of nano-tokens rounded to the nearest (half up), saturating at
/// `u64::MAX` (18 billion tokens, past any bucket). Spelled as an add and a truncating cast:
/// `f64::round` and a float-to-`u128` cast are library calls, a tenth of a gateway's work.
#[inline]
fn nano_tokens(x: f64) -> u128 {
    u128::from((x + 0.5) as u64)
}

/// Micro-tokens per second in a token per second: rates are exact to a millionth of a token
/// per second.
const MICRO: u128 = 1_000_000;

/// ⌊rate_micro × elapsed / 10⁶⌋, the nano-tokens `rate_micro` micro-tokens per second earn in
/// `elapsed` nanoseconds, exactly, without a 128-bit division: that is a library call
/// (`__udivti3`, 1.5 % of the serverless benchmark), where a 64-bit division by a constant is
/// a multiplication. With rate = q·10⁶ + r and elapsed = h·10⁶ + l, the quotient is
/// q·elapsed + r·h + ⌊r·l / 10⁶⌋, each term exact (r·l < 10¹²).
#[inline]
fn refilled(rate_micro: u64, elapsed: u64) -> u128 {
    const M: u64 = MICRO as u64;
    let (q, r) = (rate_micro / M, rate_micro % M);
    let (h, l) = (elapsed / M, elapsed % M);
    u128::from(q) * u128::from(elapsed) + u128::from(r) * u128::from(h) + u128::from(r * l / M)
}

/// A throttle that admits a burst at once and then a steady rate.
///
/// Refill is exact: the nano-tokens earned since the rate was set are `rate × elapsed`,
/// computed in integers from that instant (never summed from rounded steps). A request short
/// of its token by less than one nanosecond's refill is admitted and the shortfall carried:
/// arrival instants are whole nanoseconds, so a steady stream at exactly the rate (3/s lands
/// at 333,333,333 ns, a nano-token early) passes in full at any rate, as it does at AWS.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    /// Refill in micro-tokens per second.
    rate_micro: u64,
    capacity: i128,
    /// Nano-tokens in the bucket; below zero by at most `slack` after a request admitted on
    /// the clock's resolution.
    tokens: i128,
    /// When the rate was set, and the nano-tokens credited since then.
    origin: SimTime,
    credited: u128,
    last: SimTime,
    /// One nanosecond's refill, in nano-tokens (rounded up).
    slack: i128,
}

impl TokenBucket {
    /// A bucket that starts full, as AWS's throttles do.
    pub fn new(rate_per_s: f64, burst: u64) -> TokenBucket {
        let capacity = i128::from(burst) * UNIT as i128;
        let rate_micro = (rate_per_s.max(0.0) * MICRO as f64 + 0.5) as u64;
        TokenBucket {
            rate_micro,
            capacity,
            tokens: capacity,
            origin: SimTime::ZERO,
            credited: 0,
            last: SimTime::ZERO,
            slack: u128::from(rate_micro).div_ceil(MICRO) as i128,
        }
    }

    /// The same bucket holding `tokens` when it starts (at most its burst): one that was
    /// drawn down before the run.
    pub fn starting_with(mut self, tokens: f64) -> TokenBucket {
        self.tokens = (nano_tokens(tokens.max(0.0) * UNIT as f64) as i128).min(self.capacity);
        self
    }

    fn refill(&mut self, now: SimTime) {
        if now > self.last {
            let total = refilled(self.rate_micro, (now - self.origin).0);
            let add = (total - self.credited) as i128;
            self.credited = total;
            self.tokens = (self.tokens + add).min(self.capacity);
            self.last = now;
        }
    }

    /// Takes one token if there is one.
    #[inline]
    pub fn try_take(&mut self, now: SimTime) -> bool {
        self.take(now, UNIT as i128)
    }

    /// Takes `need` nano-tokens if they are there, to within one nanosecond's refill.
    #[inline]
    fn take(&mut self, now: SimTime, need: i128) -> bool {
        self.refill(now);
        if self.tokens + self.slack >= need {
            self.tokens -= need;
            true
        } else {
            false
        }
    }

    /// Takes `amount` tokens (fractions allowed, such as half a read unit) if all are there.
    #[inline]
    pub fn try_take_amount(&mut self, now: SimTime, amount: f64) -> bool {
        self.take(now, nano_tokens(amount * UNIT as f64) as i128)
    }

    /// Whether `amount` tokens are there, without taking them.
    pub fn has_amount(&mut self, now: SimTime, amount: f64) -> bool {
        self.refill(now);
        self.tokens + self.slack >= nano_tokens(amount * UNIT as f64) as i128
    }

    /// Changes the refill rate and the capacity from now on, keeping the tokens banked (up to
    /// the new capacity).
    pub fn reconfigure(&mut self, now: SimTime, rate_per_s: f64, burst: u64) {
        self.refill(now);
        let fresh = TokenBucket::new(rate_per_s, burst);
        self.rate_micro = fresh.rate_micro;
        self.slack = fresh.slack;
        self.capacity = fresh.capacity;
        self.tokens = self.tokens.min(self.capacity);
        self.origin = now;
        self.credited = 0;
    }

    /// Whether a token is there, without taking it (to check several buckets before taking).
    pub fn has_token(&mut self, now: SimTime) -> bool {
        self.refill(now);
        self.tokens + self.slack >= UNIT as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The split quotient is the 128-bit one, for any rate and elapsed time.
        #[test]
        fn refill_without_a_wide_division_is_exact(rate in any::<u64>(), elapsed in any::<u64>()) {
            let wide = u128::from(rate) * u128::from(elapsed) / MICRO;
            prop_assert_eq!(refilled(rate, elapsed), wide);
        }
    }

    #[test]
    fn admits_the_burst_then_the_rate() {
        // aws-facts: §1 API Gateway token bucket. 10,000 requests in the first millisecond
        // (one every 100 ns) against rate 10,000/s and burst 5,000: the 5,000 in the bucket
        // pass, plus the 9.999 tokens refilled by the last arrival at 0.9999 ms: 5,009.
        let mut b = TokenBucket::new(10_000.0, 5_000);
        let admitted = (0..10_000u64)
            .filter(|i| b.try_take(SimTime(i * 100)))
            .count();
        assert_eq!(admitted, 5_000 + 9);
    }

    #[test]
    fn constant_traffic_above_the_rate_gets_burst_plus_rate_times_time() {
        // 300/s offered for 60 s against 100/s with burst 50: 50 + 100 × 60 = 6,050 admitted
        // (the last refill at t = 59.99667 s leaves a fraction of a token, which is not admitted).
        let mut b = TokenBucket::new(100.0, 50);
        let n = 300 * 60;
        let admitted = (0..n)
            .filter(|i| b.try_take(SimTime::from_secs_f64(*i as f64 / 300.0)))
            .count();
        assert_eq!(admitted, 50 + 100 * 60 - 1);
        // Below the rate, everything passes.
        let mut b = TokenBucket::new(100.0, 1);
        assert!((0..6000).all(|i| b.try_take(SimTime::from_millis(i * 11))));
    }

    #[test]
    fn a_steady_stream_at_exactly_the_rate_passes_in_full_at_any_rate() {
        // Arrivals at k / R, each rounded once to a whole nanosecond, against a bucket of rate
        // R and burst 1: every one has its token (3/s and 7/s once throttled a third).
        for rate in [3.0, 7.0, 10.0, 13.0, 1234.5, 99_999.0] {
            let mut b = TokenBucket::new(rate, 1);
            let n = (rate * 100.0) as u64;
            let refused = (1..=n)
                .filter(|k| !b.try_take(SimTime::from_secs_f64(*k as f64 / rate)))
                .count();
            assert_eq!(refused, 0, "{rate}/s");
            // …and a stream a hair faster is throttled: the slack is one nanosecond, not more.
            let mut b = TokenBucket::new(rate, 1);
            let faster = rate * 1.001;
            let refused = (1..=n)
                .filter(|k| !b.try_take(SimTime::from_secs_f64(*k as f64 / faster)))
                .count();
            assert!(refused > 0, "{rate}/s");
        }
    }

    #[test]
    fn refill_is_exact_over_long_runs() {
        // 1/3 token per second for ten hours: exactly 12,000 tokens, however it is sliced.
        let mut b = TokenBucket::new(1.0 / 3.0, 100_000);
        b.tokens = 0;
        for s in 1..=36_000u64 {
            b.refill(SimTime::from_secs(s));
        }
        // A third to six decimals: 0.333333 tokens/s × 36,000 s.
        assert_eq!(b.tokens, 11_999_988_000_000);
    }

    #[test]
    fn fractional_rates_accumulate_exactly() {
        // 0.5 tokens per second, burst 1: a request every second is admitted every other time.
        let mut b = TokenBucket::new(0.5, 1);
        let admitted = (0..100)
            .filter(|s| b.try_take(SimTime::from_secs(*s)))
            .count();
        assert_eq!(admitted, 50);
    }
}
