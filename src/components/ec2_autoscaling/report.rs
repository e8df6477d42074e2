//! What the group hands over at the end of a run: its summary figures (declared in `kind.rs`
//! as `FIELDS`) and its series.

use super::kind::{
    BOOTING, CPU, DESIRED, IN_SERVICE, METRIC_CPU, METRIC_REQUESTS, REJECTED, REQUESTS, RESPONSE,
};
use super::{AutoScalingGroup, Market, Metric};
use crate::components::ComponentReport;
use crate::metrics::{MetricSet, Series};

impl AutoScalingGroup {
    /// Closes the recorders and hands over what they hold.
    pub(super) fn report(&mut self) -> ComponentReport {
        self.close_recorders();
        ComponentReport {
            metrics: self.summary(),
            series: self.series(),
            events: self.events.finish(self.clock.end),
        }
    }

    fn close_recorders(&mut self) {
        let c = &self.clock;
        for l in [
            &mut self.busy,
            &mut self.vcpus_in_service,
            &mut self.in_service,
            &mut self.booting,
            &mut self.desired_level,
            &mut self.metric_level,
        ] {
            l.finish(c);
        }
        for b in &mut self.billed {
            b.finish(c);
        }
        self.response.finish();
    }

    fn summary(&self) -> MetricSet {
        let c = &self.clock;
        let mut m = MetricSet::default();
        m.count("requests", self.requests.total());
        m.count("rejected", self.rejected.total());
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        let vcpu_mean = self.vcpus_in_service.mean(c);
        m.gauge(
            "utilisation",
            if vcpu_mean > 0.0 {
                self.busy.mean(c) / vcpu_mean
            } else {
                0.0
            },
        );
        // The CPU work the measured period's requests took on, however long it ran: the
        // vCPUs it needed on average, and their share of the vCPUs in service.
        let accepted_vcpus = self.accepted_cpu_s / c.measured_secs();
        m.gauge("accepted_vcpus", accepted_vcpus);
        m.gauge(
            "accepted_utilisation",
            if vcpu_mean > 0.0 {
                accepted_vcpus / vcpu_mean
            } else {
                0.0
            },
        );
        m.gauge("instances_mean", self.in_service.mean(c));
        m.gauge("instances_max", self.in_service.max());
        m.gauge("desired_max", self.desired_level.max());
        m.count("launches", self.launches);
        m.count("scale_outs", self.scale_outs);
        m.count("scale_ins", self.scale_ins);
        m.count("replacements", self.replacements);
        m.count("spot_interruptions", self.spot_interruptions);
        m.count("drain_cut_off", self.drain_killed);
        self.cost(&mut m);
        m.hist("response_ms", &self.response.summary());
        m
    }

    /// Instance-hours and their cost in the measured period, by purchase option.
    fn cost(&self, m: &mut MetricSet) {
        let c = &self.clock;
        let hours = c.measured_secs() / 3600.0;
        let mut cost = 0.0;
        for market in [Market::OnDemand, Market::Spot, Market::Reserved] {
            let inst_hours = self.billed[market as usize].mean(c) * hours;
            if inst_hours > 0.0 {
                let usd = inst_hours * self.cfg.price(market);
                m.gauge(format!("instance_hours.{}", market.name()), inst_hours);
                m.gauge(format!("cost_by_market.{}", market.name()), usd);
                cost += usd;
            }
        }
        m.gauge("cost_usd", cost);
    }

    fn series(&self) -> Vec<(&'static Series, Vec<f64>)> {
        let c = &self.clock;
        let vcpus = self.vcpus_in_service.mean_series(c);
        let busy = self.busy.mean_series(c);
        let metric_series = match self.cfg.scaling.as_ref().map(|s| s.metric) {
            Some(Metric::RequestsPerTarget) => &METRIC_REQUESTS,
            _ => &METRIC_CPU,
        };
        let mut series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&REJECTED, self.rejected.rate_series(c)),
            (&IN_SERVICE, self.in_service.mean_series(c)),
            (&BOOTING, self.booting.mean_series(c)),
            (&DESIRED, self.desired_level.mean_series(c)),
            (
                &CPU,
                busy.iter()
                    .zip(&vcpus)
                    .map(|(b, v)| if *v > 0.0 { 100.0 * b / v } else { 0.0 })
                    .collect(),
            ),
            (metric_series, {
                // The policy's metric is empty until its first datapoint.
                let first = self.first_metric.map_or(usize::MAX, |t| c.window_of(t));
                let mut m = self.metric_level.mean_series(c);
                m.iter_mut().take(first).for_each(|v| *v = f64::NAN);
                m
            }),
        ];
        series.extend(self.response.series(&RESPONSE));
        series
    }
}
