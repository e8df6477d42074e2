//! What a load balancer costs. Prices in us-east-1, not in aws-facts (AWS pricing pages): per
//! load-balancer hour and per capacity-unit hour (ALB LCU, NLB NLCU); CLB bills per GB
//! instead of capacity units.

use super::config::LbType;

/// Price of one load-balancer hour [USD/h].
fn hourly(t: LbType) -> f64 {
    match t {
        LbType::Application => 0.0225,
        LbType::Network => 0.0225,
        LbType::Classic => 0.025,
    }
}

/// Price of one capacity-unit hour [USD/h] (a classic load balancer has none).
fn per_capacity_unit_hour(t: LbType) -> f64 {
    match t {
        LbType::Application => 0.008,
        LbType::Network => 0.006,
        LbType::Classic => 0.0,
    }
}

/// Price of a GB a classic load balancer processes [USD/GB].
const CLB_PER_GB: f64 = 0.008;

/// New connections per second in one capacity unit (ALB 25, NLB 800) [connections/s]; a
/// capacity unit also covers 1 processed GB per hour.
fn connections_per_unit(t: LbType) -> f64 {
    match t {
        LbType::Application => 25.0,
        LbType::Network => 800.0,
        LbType::Classic => f64::INFINITY,
    }
}

/// What a load balancer of type `t` cost [USD] over `secs` seconds in which it received
/// `connections` new connections and `bytes` bytes in all, and the capacity units it was
/// billed for per hour (`None` for a classic one, billed per GB). Of a capacity unit's
/// dimensions, the new connections and the processed bytes are counted; active connections
/// and rule evaluations (free up to 10 rules) are not.
pub(super) fn cost(t: LbType, secs: f64, connections: f64, bytes: u64) -> (f64, Option<f64>) {
    let hours = secs / 3600.0;
    let gb = bytes as f64 / 1e9;
    if t == LbType::Classic {
        (hourly(t) * hours + gb * CLB_PER_GB, None)
    } else {
        let conn_rate = connections / secs.max(1e-9);
        let units = (conn_rate / connections_per_unit(t)).max(gb / hours.max(1e-12));
        (
            hourly(t) * hours + units * hours * per_capacity_unit_hour(t),
            Some(units),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alb_is_billed_for_the_larger_of_its_connections_and_its_bytes() {
        // 50 requests/s over an hour: 50 / 25 = 2 LCU; 0.18 GB in the hour is below that.
        // 0.0225 + 2 × 0.008 = 0.0385 USD.
        let (usd, units) = cost(LbType::Application, 3600.0, 180_000.0, 180_000_000);
        assert_eq!(units, Some(2.0));
        assert!((usd - 0.0385).abs() < 1e-12, "{usd}");
    }

    #[test]
    fn a_clb_is_billed_per_gb() {
        // 0.025 USD for the hour, and 2 GB × 0.008 = 0.016 USD.
        let (usd, units) = cost(LbType::Classic, 3600.0, 1.0, 2_000_000_000);
        assert_eq!(units, None);
        assert!((usd - 0.041).abs() < 1e-12, "{usd}");
    }
}
