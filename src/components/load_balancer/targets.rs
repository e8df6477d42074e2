//! A load balancer's targets: the components its scenario lists, or the instances an Auto
//! Scaling group registers in the target group the two share (aws-facts: §3 target-group
//! settings), kept in line with the group's registrations.

use super::LoadBalancer;
use crate::components::Edge;
use crate::kernel::{IdSet, SimTime};

/// A target as the load balancer sees it.
pub(super) struct Target {
    pub(super) edge: Edge,
    /// Its name in event records: the component's id, or the group's and the instance's.
    pub(super) name: String,
    /// The zone of its load-balancer node [node index].
    pub(super) zone: usize,
    /// The instance of a group (0: the target is a component).
    pub(super) instance: u32,
    pub(super) healthy: bool,
    /// Network: a connection to it failed, so the passive health checks took it out of
    /// rotation until an active check passes (its reported health is unchanged).
    pub(super) passive_out: bool,
    /// Registered, not yet checked: it must pass one check before traffic.
    pub(super) initial: bool,
    pub(super) draining: bool,
    /// Deregistered: kept so indices stay stable; never routed to or probed again.
    pub(super) gone: bool,
    /// Health-check results in a row that disagree with its state [checks].
    pub(super) streak: u32,
    /// Requests sent to it and not yet answered [requests].
    pub(super) outstanding: u32,
    /// When it last became healthy (`None`: from the start, past any slow start).
    pub(super) healthy_since: Option<SimTime>,
}

impl Target {
    /// Whether it takes new requests while another is healthy: healthy, and not taken out by
    /// the passive health checks.
    pub(super) fn in_rotation(&self) -> bool {
        self.healthy && !self.passive_out
    }

    /// A component the scenario lists: healthy from the start.
    pub(super) fn listed(edge: Edge, name: String, zone: usize) -> Target {
        Target {
            edge,
            name,
            zone,
            instance: 0,
            healthy: true,
            passive_out: false,
            initial: false,
            draining: false,
            gone: false,
            streak: 0,
            outstanding: 0,
            healthy_since: None,
        }
    }
}

impl LoadBalancer {
    /// Brings the targets in line with the group's registrations, if they changed.
    pub(super) fn sync(&mut self, now: SimTime) {
        let Some(g) = &self.group else {
            return;
        };
        let g = g.borrow();
        if g.version == self.group_version {
            return;
        }
        self.group_version = g.version;
        for t in &mut self.targets {
            if t.gone {
                continue;
            }
            match g.member(t.instance) {
                None => {
                    t.gone = true;
                    // A draining target left the healthy count when it started to drain.
                    if t.healthy && !t.draining {
                        self.healthy.add(&self.clock, now, -1.0);
                    }
                }
                Some(m) if m.draining && !t.draining => {
                    t.draining = true;
                    if t.healthy {
                        self.healthy.add(&self.clock, now, -1.0);
                    }
                }
                Some(_) => {}
            }
        }
        // The instances it routes to already (a target that left is gone for good: one
        // registered again would be a new target).
        let held: IdSet<u32> = self
            .targets
            .iter()
            .filter(|t| !t.gone)
            .map(|t| t.instance)
            .collect();
        for m in g.members() {
            if held.contains(&m.instance) || m.draining {
                continue;
            }
            let edge = self.group_edge.clone().expect("a group target has an edge");
            let healthy = m.healthy_at_registration;
            if healthy {
                self.healthy.add(&self.clock, now, 1.0);
            }
            self.targets.push(Target {
                edge,
                name: format!("{} i-{}", self.group_name, m.instance),
                zone: m.zone,
                instance: m.instance,
                healthy,
                passive_out: false,
                initial: !healthy,
                draining: false,
                gone: false,
                streak: 0,
                outstanding: 0,
                // The group's first instances are past any slow start.
                healthy_since: (!healthy).then_some(now),
            });
        }
        drop(g);
        self.invalidate(now);
    }
}
