//! What a Route 53 name costs. Prices in US dollars from AWS's pricing page
//! (https://aws.amazon.com/route53/pricing/), not in aws-facts: a hosted zone $0.50 a month
//! (the first 25), standard queries $0.40 per million and latency-routing queries $0.60 per
//! million (the first billion a month), queries of alias records to AWS resources (a load
//! balancer, a CloudFront distribution, an S3 website endpoint) free; a health check of an AWS endpoint $0.50 a month, and $1.00 a month more
//! for the fast (10 s) interval, an optional feature. The free allowance of health checks on
//! AWS endpoints and the lower prices past a billion queries are left out: a scenario's
//! minutes never reach them, and an account's other checks are not known.

use super::config::{Route53Config, Routing};
use crate::kernel::SimTime;

use crate::components::MONTH_SECS as MONTH_S;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::kind::Kind;
    use crate::config::Checker;
    use std::path::Path;

    fn config(text: &str) -> Route53Config {
        let full = format!("{text}\n");
        let doc = toml::de::DeTable::parse(&full).expect("parses");
        let span = doc.span();
        let table = toml::Spanned::new(span, toml::de::DeValue::Table(doc.into_inner()));
        let mut ck = Checker::new(Path::new("t.toml"), &full);
        ck.set_component_ids(vec!["a".into(), "b".into()]);
        Route53Config::parse(table, &mut ck).expect("valid")
    }

    #[test]
    fn a_month_of_a_failover_pair_checked_fast() {
        // A month (730 h): the hosted zone 0.50, two health checks at 0.50 + 1.00 (fast)
        // each, 3.00, and two million billed queries at 0.40 per million, 0.80: 4.30 USD.
        let cfg = config(
            r#"routing = "failover"
records = [{ to = "a", role = "primary", alias = false }, { to = "b", role = "secondary", alias = false }]
health_check = { interval = "10s" }"#,
        );
        let usd = cost(&cfg, MONTH_S, 2_000_000);
        assert!((usd - 4.30).abs() < 1e-9, "{usd}");
        // Simple routing: no health checks; latency routing: 0.60 per million queries.
        let simple = config(r#"records = [{ to = "a" }]"#);
        assert!((cost(&simple, MONTH_S, 0) - 0.50).abs() < 1e-9);
        let latency = config(
            r#"routing = "latency"
records = [{ to = "a", health_check = false }, { to = "b", health_check = false }]
client_regions = [{ region = "x", weight = 1 }]"#,
        );
        assert!((cost(&latency, MONTH_S, 1_000_000) - 1.10).abs() < 1e-9);
    }
}
