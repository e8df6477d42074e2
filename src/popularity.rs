//! Key popularity: which key a request touches, drawn from a Zipf law over `count` keys.
//!
//! `rand_distr::Zipf` draws by rejection with two or three `powf` per key: at 10,000 requests
//! a second that was a sixteenth of the serverless benchmark. Most draws land on the few
//! hottest keys, so `ZipfKeys` keeps an alias table (rand_distr's `WeightedAliasIndex`: one
//! index, one comparison) of the `HEAD` hottest keys' exact weights plus one entry for the
//! rest, and only for that rest runs rejection-inversion (Hörmann and Derflinger, "Rejection-
//! inversion to generate variates from monotone discrete distributions", 1996; the form of
//! Apache Commons' `RejectionInversionZipfSampler`), restricted to ranks `HEAD + 1..=count`.
//!
//! Exactness: the tail's entry weighs the area under the rejection envelope of the tail, and a
//! rejected tail draw starts over from the table. Every rank k is then accepted with mass
//! exactly k^-s (the head's directly, the tail's as the accepted part of its envelope), so the
//! draws follow Zipf(s) exactly, up to floating point. Rounding matters only deep in the tail
//! of a steep law (exponent 2 and more past the 16,384th key), where the whole tail weighs
//! less than a ten-thousandth.

use crate::kernel::SimRng;
use rand::Rng;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::Distribution;

/// How many of the hottest keys the table holds. 16,384 keys (192 KB) take, at exponent 1.1
/// over a million keys, 84 % of the draws; a table four times larger took more but ran
/// slower, its lookups missing the cache (measured on the serverless benchmark).
const HEAD: u64 = 1 << 14;

/// Zipf(s) over ranks 1..=n: rank k has weight k^-s.
#[derive(Clone, Debug)]
pub struct ZipfKeys {
    /// Ranks 1..=head by index 0..head, then (when the law has more ranks) index `head` for
    /// the tail.
    table: WeightedAliasIndex<f64>,
    head: u64,
    tail: Option<Tail>,
}

impl ZipfKeys {
    /// Zipf over `n >= 1` ranks with exponent `s >= 0` (0 is uniform).
    pub fn new(n: u64, s: f64) -> ZipfKeys {
        Self::with_head(n, s, HEAD)
    }

    fn with_head(n: u64, s: f64, head: u64) -> ZipfKeys {
        assert!(n >= 1 && s >= 0.0 && head >= 1, "validated zipf parameters");
        let head = head.min(n);
        let mut weights: Vec<f64> = (1..=head).map(|k| h(s, k as f64)).collect();
        let tail = (head < n).then(|| Tail::new(s, head + 1, n));
        if let Some(t) = &tail {
            weights.push(t.area());
        }
        ZipfKeys {
            table: WeightedAliasIndex::new(weights).expect("positive finite weights"),
            head,
            tail,
        }
    }

    /// A rank, from 1 (the hottest).
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        loop {
            let i = self.table.sample(rng) as u64;
            if i < self.head {
                return i + 1;
            }
            let tail = self
                .tail
                .as_ref()
                .expect("only a law with a tail has its entry");
            if let Some(k) = tail.try_sample(rng) {
                return k;
            }
        }
    }
}

/// The weight of rank `x`: x^-s.
fn h(s: f64, x: f64) -> f64 {
    (-s * x.ln()).exp()
}

/// ln(1 + t) / t, continuous at 0.
fn helper1(t: f64) -> f64 {
    if t.abs() > 1e-8 {
        t.ln_1p() / t
    } else {
        1.0 - t * (0.5 - t * (1.0 / 3.0 - 0.25 * t))
    }
}

/// (e^t - 1) / t, continuous at 0.
fn helper2(t: f64) -> f64 {
    if t.abs() > 1e-8 {
        t.exp_m1() / t
    } else {
        1.0 + t * 0.5 * (1.0 + t / 3.0 * (1.0 + 0.25 * t))
    }
}

/// Rejection-inversion over ranks `from..=to`. The envelope is an antiderivative H of x^-s
/// (only its differences matter). Near s = 1 it is (x^(1-s) - 1) / (1 - s), written through
/// `helper2` so that it is continuous in s (ln x at 1); elsewhere x^(1-s) / (1 - s), which for
/// s > 1 tends to 0 instead of to 1 / (s - 1): the first form would lose k^-s, the width
/// of a deep rank's acceptance, in the rounding of a value near that constant.
#[derive(Clone, Debug)]
struct Tail {
    s: f64,
    from: u64,
    to: u64,
    /// H(from - 1/2) and H(to + 1/2): a uniform draw between them, mapped back through H,
    /// lands in [from - 1/2, to + 1/2].
    lo: f64,
    hi: f64,
    /// Proposals with k - x at most this are accepted without evaluating H: the acceptance
    /// threshold k - H⁻¹(H(k + 1/2) - k^-s) does not decrease with k (the paper's squeeze,
    /// there at k = 2), so its value at the first rank holds for all.
    squeeze: f64,
}

impl Tail {
    fn new(s: f64, from: u64, to: u64) -> Tail {
        let mut t = Tail {
            s,
            from,
            to,
            lo: 0.0,
            hi: 0.0,
            squeeze: 0.0,
        };
        let first = from as f64;
        t.lo = t.big_h(first - 0.5);
        t.hi = t.big_h(to as f64 + 0.5);
        t.squeeze = first - t.big_h_inv(t.big_h(first + 0.5) - h(s, first));
        t
    }

    /// Whether H takes its form continuous at s = 1. Either form is accurate in a band
    /// around the switch: the first loses a factor x^|1-s| to cancellation, the second
    /// 1 / (|1-s| ln x).
    fn near_one(&self) -> bool {
        (1.0 - self.s).abs() < 0.1
    }

    fn big_h(&self, x: f64) -> f64 {
        let a = 1.0 - self.s;
        if self.near_one() {
            let log_x = x.ln();
            helper2(a * log_x) * log_x
        } else {
            (a * x.ln()).exp() / a
        }
    }

    fn big_h_inv(&self, y: f64) -> f64 {
        let a = 1.0 - self.s;
        if self.near_one() {
            (helper1((y * a).max(-1.0)) * y).exp()
        } else {
            ((a * y).ln() / a).exp()
        }
    }

    /// The envelope's area: the tail's weight in the table.
    fn area(&self) -> f64 {
        self.hi - self.lo
    }

    /// One proposal: a rank, or `None` when it is rejected. Rank k is accepted when the
    /// uniform falls in [H(k + 1/2) - k^-s, H(k + 1/2)], of width exactly k^-s and inside the
    /// span that maps to k (x^-s is convex, so k^-s is at most the integral over [k - 1/2,
    /// k + 1/2]).
    #[inline]
    fn try_sample(&self, rng: &mut SimRng) -> Option<u64> {
        let u = self.lo + rng.random::<f64>() * (self.hi - self.lo);
        let x = self.big_h_inv(u);
        let k = ((x + 0.5).floor() as u64).clamp(self.from, self.to);
        let kf = k as f64;
        (kf - x <= self.squeeze || u >= self.big_h(kf + 0.5) - h(self.s, kf)).then_some(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The exact probabilities of ranks 1..=n.
    fn pmf(n: u64, s: f64) -> Vec<f64> {
        let w: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
        let total: f64 = w.iter().sum();
        w.into_iter().map(|x| x / total).collect()
    }

    /// Pearson's chi-square of `counts` against `p` (bins merged from the coldest rank up
    /// until each expects at least 20 draws), and its degrees of freedom.
    fn chi_square(counts: &[u64], p: &[f64], draws: u64) -> (f64, usize) {
        let mut stat = 0.0;
        let mut bins = 0;
        let (mut o, mut e) = (0.0, 0.0);
        for (&c, &pk) in counts.iter().zip(p).rev() {
            o += c as f64;
            e += pk * draws as f64;
            if e >= 20.0 {
                stat += (o - e) * (o - e) / e;
                bins += 1;
                (o, e) = (0.0, 0.0);
            }
        }
        if e > 0.0 {
            stat += (o - e) * (o - e) / e.max(1e-300);
            bins += 1;
        }
        (stat, bins - 1)
    }

    /// The chi-square quantile at 1 - 1e-4 (Wilson-Hilferty, z = 3.719).
    fn critical(df: usize) -> f64 {
        let d = df as f64;
        let c = 2.0 / (9.0 * d);
        d * (1.0 - c + 3.719 * c.sqrt()).powi(3)
    }

    fn check(n: u64, s: f64, head: u64, seed: u64) {
        let z = ZipfKeys::with_head(n, s, head);
        let mut rng = SimRng::seed_from_u64(seed);
        let draws = 1_000_000;
        let mut counts = vec![0u64; n as usize];
        for _ in 0..draws {
            let k = z.sample(&mut rng);
            assert!((1..=n).contains(&k), "rank {k} outside 1..={n}");
            counts[k as usize - 1] += 1;
        }
        let (stat, df) = chi_square(&counts, &pmf(n, s), draws);
        assert!(
            stat < critical(df),
            "n={n} s={s} head={head}: chi-square {stat:.1} over {df} degrees of freedom (critical {:.1})",
            critical(df)
        );
    }

    #[test]
    fn a_table_alone_draws_zipf() {
        for s in [0.0, 0.8, 1.0, 1.1, 2.0] {
            check(500, s, HEAD, 1);
        }
    }

    #[test]
    fn table_and_rejection_tail_draw_zipf_together() {
        // A small head forces most of the mass through the tail's rejection-inversion.
        for (s, head) in [
            (0.0, 3),
            (0.5, 1),
            (0.95, 4),
            (1.0, 10),
            (1.1, 10),
            (1.5, 2),
            (3.0, 1),
        ] {
            check(2000, s, head, 2);
        }
    }

    #[test]
    fn the_squeeze_never_accepts_what_the_exact_test_rejects() {
        // The quick acceptance at the tail's first rank must be at most the exact threshold
        // k - H⁻¹(H(k + 1/2) - k^-s) of every later rank, up to the rounding of that
        // difference of two numbers near k (a few dozen ulps of k; 16 ulps are exceeded at
        // k = 1.6e8, by 7.5e-7 on a threshold of 0.5).
        for s in [0.0, 0.3, 0.9, 1.0, 1.1, 1.7, 2.5, 4.0] {
            for from in [1u64, 2, 7, 100, 16_385] {
                let t = Tail::new(s, from, u64::MAX >> 12);
                for k in (from..from + 2000).chain([from * 10, from * 100, from * 10_000]) {
                    let kf = k as f64;
                    let exact = kf - t.big_h_inv(t.big_h(kf + 0.5) - h(s, kf));
                    assert!(
                        t.squeeze <= exact + 64.0 * f64::EPSILON * kf,
                        "s={s} from={from} k={k}: squeeze {} above {exact}",
                        t.squeeze
                    );
                }
            }
        }
    }

    #[test]
    fn exponents_near_one_are_continuous() {
        // The envelope switches formula nowhere: 1 ± 1e-9 behaves as 1.
        for s in [1.0 - 1e-9, 1.0 + 1e-9] {
            check(1000, s, 5, 3);
        }
    }

    #[test]
    fn a_million_keys_hottest_frequencies() {
        // The benchmark's law: the top ranks' shares match 1/(k^1.1 H), the tail's total too.
        let (n, s) = (1_000_000u64, 1.1);
        let z = ZipfKeys::new(n, s);
        let total: f64 = (1..=n).map(|k| (k as f64).powf(-s)).sum();
        let mut rng = SimRng::seed_from_u64(4);
        let draws = 2_000_000u64;
        let mut top = [0u64; 4];
        let mut beyond_head = 0u64;
        for _ in 0..draws {
            let k = z.sample(&mut rng);
            if k <= 4 {
                top[k as usize - 1] += 1;
            }
            if k > HEAD {
                beyond_head += 1;
            }
        }
        let mut expected: Vec<f64> = (1..=4).map(|k| (k as f64).powf(-s) / total).collect();
        expected.push((HEAD + 1..=n).map(|k| (k as f64).powf(-s)).sum::<f64>() / total);
        let observed: Vec<u64> = top.iter().copied().chain([beyond_head]).collect();
        for (o, p) in observed.iter().zip(&expected) {
            let mean = p * draws as f64;
            let sd = (mean * (1.0 - p)).sqrt();
            assert!(
                (*o as f64 - mean).abs() < 4.5 * sd,
                "observed {o}, expected {mean:.0} ± {sd:.0}"
            );
        }
    }
}
