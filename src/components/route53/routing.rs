//! Which record Route 53 answers a query with: the routing policy over the records' health
//! as its checkers last saw it (aws-facts: §10 Route 53 routing).

use super::config::{Role, Routing};
use super::Route53;
use rand::Rng;

impl Route53 {
    /// Whether record `i` counts as healthy: it is not checked, or its checkers say so.
    fn healthy(&self, i: usize) -> bool {
        !self.cfg.records[i].checked || self.records[i].healthy
    }

    /// The record a query is answered with, for a client in `region` (latency routing).
    pub(super) fn answer(&mut self, region: Option<&str>) -> usize {
        match self.cfg.routing {
            Routing::Simple => 0,
            Routing::Failover => self.failover(),
            Routing::Weighted => self.weighted(),
            Routing::Latency => self.latency(region),
        }
    }

    /// The primary while it is healthy; the secondary while the primary is not and it is;
    /// the primary again when both are unhealthy (Route 53's API reference, `Failover`:
    /// "When the secondary resource record set is unhealthy, Route 53 responds to DNS
    /// queries with the applicable value from the primary").
    fn failover(&self) -> usize {
        let role = |r: Role| {
            self.cfg
                .records
                .iter()
                .position(|x| x.role == Some(r))
                .unwrap_or(0)
        };
        let (p, s) = (role(Role::Primary), role(Role::Secondary));
        if self.healthy(p) || !self.healthy(s) {
            p
        } else {
            s
        }
    }

    /// aws-facts: §10 weighted: a record's share is its weight over the sum of the healthy
    /// records' weights; records of weight 0 only when every other is unhealthy or 0 too
    /// (then equally). When no record is healthy, Route 53 answers as if all were.
    fn weighted(&mut self) -> usize {
        let n = self.cfg.records.len();
        let any_healthy = (0..n).any(|i| self.healthy(i));
        let pool: Vec<usize> = (0..n)
            .filter(|&i| !any_healthy || self.healthy(i))
            .collect();
        let total: u32 = pool.iter().map(|&i| self.cfg.records[i].weight).sum();
        if total == 0 {
            return pool[self.rng.random_range(0..pool.len())];
        }
        let mut x = self.rng.random_range(0..total);
        for &i in &pool {
            let w = self.cfg.records[i].weight;
            if x < w {
                return i;
            }
            x -= w;
        }
        n - 1
    }

    /// aws-facts: §10 latency: the record of the region with the lowest latency for the
    /// client: its own region's (a hop within a region is faster than any across regions),
    /// else, all other regions being as far (one cross-region latency), a healthy one drawn
    /// evenly; when none is healthy, as if all were.
    fn latency(&mut self, region: Option<&str>) -> usize {
        let n = self.cfg.records.len();
        let own = region.and_then(|r| (0..n).find(|&i| self.records[i].region == r));
        if let Some(i) = own.filter(|&i| self.healthy(i)) {
            return i;
        }
        let pool: Vec<usize> = (0..n).filter(|&i| self.healthy(i)).collect();
        if pool.is_empty() {
            return own.unwrap_or(0);
        }
        pool[self.rng.random_range(0..pool.len())]
    }
}
