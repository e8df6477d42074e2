//! What a Route 53 name costs. Prices in US dollars from AWS's pricing page
//! (https://aws.amazon.com/route53/pricing/), not in aws-facts: a hosted zone $0.50 a month
//! (the first 25), standard queries $0.40 per million and latency-routing queries $0.60 per
//! million (the first billion a month), queries of alias records to AWS resources (a load
//! balancer) free; a health check of an AWS endpoint $0.50 a month, and $1.00 a month more
//! for the fast (10 s) interval, an optional feature. The free allowance of health checks on
//! AWS endpoints and the lower prices past a billion queries are left out: a scenario's
//! minutes never reach them, and an account's other checks are not known.

use super::config::{Route53Config, Routing};
use crate::kernel::SimTime;

/// A month as AWS prorates monthly prices [s]: 730 hours.
const MONTH_S: f64 = 730.0 * 3600.0;
/// A hosted zone [USD/month].
const HOSTED_ZONE: f64 = 0.50;
/// A million standard queries [USD].
const STANDARD_PER_MILLION: f64 = 0.40;
/// A million latency-routing queries [USD].
const LATENCY_PER_MILLION: f64 = 0.60;
/// A basic health check of an AWS endpoint [USD/month].
const HEALTH_CHECK: f64 = 0.50;
/// The fast interval, an optional feature of a health check [USD/month].
const FAST_INTERVAL: f64 = 1.00;

/// Its cost [USD] over `secs` seconds in which it answered `billed` queries of records that
/// are not aliases.
pub(super) fn cost(cfg: &Route53Config, secs: f64, billed: u64) -> f64 {
    let months = secs / MONTH_S;
    let per_million = if cfg.routing == Routing::Latency {
        LATENCY_PER_MILLION
    } else {
        STANDARD_PER_MILLION
    };
    let checks = if cfg.routing == Routing::Simple {
        0
    } else {
        cfg.records.iter().filter(|r| r.checked).count()
    };
    let fast = cfg.health.interval == SimTime::from_secs(10);
    let per_check = HEALTH_CHECK + if fast { FAST_INTERVAL } else { 0.0 };
    HOSTED_ZONE * months + billed as f64 / 1e6 * per_million + checks as f64 * per_check * months
}
