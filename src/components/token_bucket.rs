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

/// A throttle that admits a burst at once and then a steady rate.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    /// Refill in nano-tokens per nanosecond, which is tokens per second.
    rate: f64,
    capacity: u128,
    tokens: u128,
    last: SimTime,
}

impl TokenBucket {
    /// A bucket that starts full, as AWS's throttles do.
    pub fn new(rate_per_s: f64, burst: u64) -> TokenBucket {
        let capacity = u128::from(burst) * UNIT;
        TokenBucket {
            rate: rate_per_s,
            capacity,
            tokens: capacity,
            last: SimTime::ZERO,
        }
    }

    fn refill(&mut self, now: SimTime) {
        if now > self.last {
            let add = nano_tokens(self.rate * (now - self.last).0 as f64);
            self.tokens = (self.tokens + add).min(self.capacity);
            self.last = now;
        }
    }

    /// Takes one token if there is one.
    #[inline]
    pub fn try_take(&mut self, now: SimTime) -> bool {
        self.refill(now);
        if self.tokens >= UNIT {
            self.tokens -= UNIT;
            true
        } else {
            false
        }
    }

    /// Takes `amount` tokens (fractions allowed, such as half a read unit) if all are there.
    #[inline]
    pub fn try_take_amount(&mut self, now: SimTime, amount: f64) -> bool {
        self.refill(now);
        let need = nano_tokens(amount * UNIT as f64);
        if self.tokens >= need {
            self.tokens -= need;
            true
        } else {
            false
        }
    }

    /// Whether `amount` tokens are there, without taking them.
    pub fn has_amount(&mut self, now: SimTime, amount: f64) -> bool {
        self.refill(now);
        self.tokens >= nano_tokens(amount * UNIT as f64)
    }

    /// Changes the refill rate and the capacity from now on, keeping the tokens banked (up to
    /// the new capacity).
    pub fn reconfigure(&mut self, now: SimTime, rate_per_s: f64, burst: u64) {
        self.refill(now);
        self.rate = rate_per_s;
        self.capacity = u128::from(burst) * UNIT;
        self.tokens = self.tokens.min(self.capacity);
    }

    /// Whether a token is there, without taking it (to check several buckets before taking).
    pub fn has_token(&mut self, now: SimTime) -> bool {
        self.refill(now);
        self.tokens >= UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn fractional_rates_accumulate_exactly() {
        // 0.5 tokens per second, burst 1: a request every second is admitted every other time.
        let mut b = TokenBucket::new(0.5, 1);
        let admitted = (0..100)
            .filter(|s| b.try_take(SimTime::from_secs(*s)))
            .count();
        assert_eq!(admitted, 50);
    }
}
