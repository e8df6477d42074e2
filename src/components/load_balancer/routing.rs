//! Which target a request goes to: the targets its entry node may route to (healthy ones, in
//! its zone unless cross-zone is on, failing open as AWS does; a node dropped from DNS still
//! gets the clients whose cached answer names it), then the algorithm, with slow start's ramp
//! for newly healthy targets. aws-facts: §3 routing, cross-zone, slow start, NLB failure
//! behaviour, misc (DNS).

use super::config::{Algorithm, LbType};
use super::least::LeastTree;
use super::targets::Target;
use super::LoadBalancer;
use crate::kernel::SimTime;
use rand::Rng;

impl LoadBalancer {
    /// The targets a request entering at the node of `zone` may go to, in target order (the
    /// least-outstanding trees find a target's place in the list by a binary search).
    fn compute_eligible(&self, zone: usize) -> Vec<usize> {
        let routable = |t: &Target| !t.gone && !t.draining;
        let healthy: Vec<usize> = (0..self.targets.len())
            .filter(|&i| {
                let t = &self.targets[i];
                routable(t) && t.in_rotation() && (self.cfg.cross_zone || t.zone == zone)
            })
            .collect();
        if !healthy.is_empty() {
            return healthy;
        }
        // No healthy target for this node, and (`pick` sends a fresh client of a node dropped
        // from DNS to a node that has one) none for any other.
        // aws-facts: §3 ALB status codes, NLB failure behaviour: with every target unhealthy
        // an ALB or an NLB fails open; a CLB answers 503.
        if self.fails_open() {
            (0..self.targets.len())
                .filter(|&i| routable(&self.targets[i]))
                .collect()
        } else {
            Vec::new()
        }
    }

    /// Target `t` now has `count` requests outstanding: its count in every node's tree.
    pub(super) fn set_outstanding(&mut self, t: usize, count: u32) {
        self.targets[t].outstanding = count;
        for (tree, list) in self.least.iter_mut().zip(&self.eligible) {
            if let (Some(tree), Some(list)) = (tree, list) {
                // Each list is in target order (`compute_eligible`).
                if let Ok(place) = list.binary_search(&t) {
                    tree.set(place, count);
                }
            }
        }
    }

    /// Whether it routes to unhealthy targets when none is healthy (aws-facts: §3).
    fn fails_open(&self) -> bool {
        self.cfg.lb_type != LbType::Classic
    }

    /// Whether the node of `zone` has a healthy target it may route to.
    fn node_has_healthy(&self, zone: usize) -> bool {
        self.targets.iter().any(|t| {
            !t.gone && !t.draining && t.in_rotation() && (self.cfg.cross_zone || t.zone == zone)
        })
    }

    /// Health or membership changed at `now`: routes are rebuilt, and a node left with no
    /// healthy target while another has one is dropped from DNS (aws-facts: §3 NLB failure
    /// behaviour), one that has one again is back.
    pub(super) fn invalidate(&mut self, now: SimTime) {
        self.eligible.iter_mut().for_each(|e| *e = None);
        self.least.iter_mut().for_each(|l| *l = None);
        let has: Vec<bool> = (0..self.zones).map(|z| self.node_has_healthy(z)).collect();
        let any = has.iter().any(|&h| h);
        for (z, has) in has.into_iter().enumerate() {
            if has || !any {
                self.dropped[z] = None;
            } else if self.dropped[z].is_none() {
                self.dropped[z] = Some(now);
            }
        }
    }

    /// Whether a client entering at the node of `zone` at `now` still resolves it though DNS
    /// dropped it: caches expire uniformly over `dns_ttl`, so the share of clients that still
    /// do falls linearly from all to none (aws-facts: §3 misc: DNS TTL 60 s).
    fn stale_client(&mut self, zone: usize, now: SimTime) -> bool {
        match self.dropped[zone] {
            Some(since) => self.still_cached(since, now),
            None => false,
        }
    }

    /// Whether a client at `now` still holds a DNS answer naming a node that left DNS at
    /// `since` (dropped with no healthy target, or lost with its zone): caches expire
    /// uniformly over `dns_ttl`, the share falling linearly from all to none; past it, none
    /// (and no draw).
    pub(super) fn still_cached(&mut self, since: SimTime, now: SimTime) -> bool {
        let ttl = self.cfg.dns_ttl;
        if now >= since + ttl {
            return false;
        }
        let left = 1.0 - (now - since).as_secs_f64() / ttl.as_secs_f64();
        self.rng.random::<f64>() < left
    }

    /// The target of a request entering at the node of `zone`; `None`: none to route to.
    pub(super) fn pick(&mut self, zone: usize, now: SimTime) -> Option<usize> {
        if self.stale_client(zone, now) {
            self.dns_stale += u64::from(self.clock.measured(now));
            // The dropped node routes to its own zone's targets, none healthy: it fails open
            // there, or (classic) has nothing to route to.
            if !self.fails_open() {
                return None;
            }
            let own: Vec<usize> = (0..self.targets.len())
                .filter(|&i| {
                    let t = &self.targets[i];
                    !t.gone && !t.draining && t.zone == zone
                })
                .collect();
            if own.is_empty() {
                return None;
            }
            let k = self.next[zone] % own.len();
            self.next[zone] = self.next[zone].wrapping_add(1);
            return Some(match self.cfg.algorithm {
                Algorithm::FlowHash => own[self.rng.random_range(0..own.len())],
                _ => own[k],
            });
        }
        // A client whose DNS answer is fresh resolves only the nodes left in DNS: one with no
        // healthy target in its zone (cross-zone off) is not among them, so the client
        // enters at one of the others, evenly, and is routed as that node routes (aws-facts:
        // §3 NLB failure behaviour, cross-zone: the AWS example's arithmetic).
        let mut zone = zone;
        if !self.cfg.cross_zone && self.zones > 1 && !self.node_has_healthy(zone) {
            let live: Vec<usize> = (0..self.zones)
                .filter(|&z| self.lost[z].is_none() && self.node_has_healthy(z))
                .collect();
            if !live.is_empty() {
                zone = live[self.rng.random_range(0..live.len())];
            }
        }
        if self.eligible[zone].is_none() {
            self.eligible[zone] = Some(self.compute_eligible(zone));
        }
        let eligible = self.eligible[zone].as_ref().expect("just computed");
        if eligible.is_empty() {
            return None;
        }
        // aws-facts: §3 slow start: a new target's share ramps up linearly, while another
        // target is past its own ramp.
        if self.cfg.slow_start > SimTime::ZERO {
            let ramp = self.cfg.slow_start.as_secs_f64();
            let weight = |t: &Target| {
                t.healthy_since
                    .map_or(1.0, |s| ((now - s).as_secs_f64() / ramp).min(1.0))
            };
            let ramping = eligible.iter().any(|&i| weight(&self.targets[i]) < 1.0);
            let settled = eligible.iter().any(|&i| weight(&self.targets[i]) >= 1.0);
            if ramping && settled {
                let total: f64 = eligible.iter().map(|&i| weight(&self.targets[i])).sum();
                let mut x = self.rng.random::<f64>() * total;
                let mut chosen = *eligible.last().expect("not empty");
                for &i in eligible {
                    x -= weight(&self.targets[i]);
                    if x < 0.0 {
                        chosen = i;
                        break;
                    }
                }
                if weight(&self.targets[chosen]) < 1.0 {
                    self.slow_start_requests += u64::from(self.clock.measured(now));
                }
                return Some(chosen);
            }
        }
        let i = match self.cfg.algorithm {
            Algorithm::RoundRobin => {
                let k = self.next[zone] % eligible.len();
                self.next[zone] = self.next[zone].wrapping_add(1);
                eligible[k]
            }
            Algorithm::LeastOutstanding => {
                let start = self.next[zone] % eligible.len();
                self.next[zone] = self.next[zone].wrapping_add(1);
                // The least loaded, ties broken in rotation: the first from `start` on.
                let targets = &self.targets;
                let tree = self.least[zone].get_or_insert_with(|| {
                    debug_assert!(eligible.is_sorted(), "a node's targets in target order");
                    LeastTree::new(eligible.iter().map(|&t| targets[t].outstanding))
                });
                eligible[tree.first_least(start).expect("not empty")]
            }
            Algorithm::FlowHash => eligible[self.rng.random_range(0..eligible.len())],
        };
        Some(i)
    }
}
