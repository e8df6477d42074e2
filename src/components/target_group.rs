//! A target group: the instances an Auto Scaling group has registered, as its load balancer
//! sees them. aws-facts: §3 target-group settings, §4 health and replacement.
//!
//! This is the one piece of state a load balancer and an Auto Scaling group share, as they do
//! in AWS: the group registers instances when they are in service and deregisters them
//! (draining) before it terminates them; the load balancer routes to what is registered and
//! writes back what its health checks find, which the group reads when its health check type
//! is "elb".

use crate::kernel::{IdMap, SimTime};
use std::cell::RefCell;
use std::rc::Rc;

/// A registered instance.
#[derive(Clone, Debug)]
pub struct Member {
    /// The instance id (from 1), carried in `Msg::instance` to route a call to it.
    pub instance: u32,
    /// Its zone, as an index into `TargetGroupState::zones`.
    pub zone: usize,
    /// Deregistering: no new requests; those in flight may finish.
    pub draining: bool,
    /// Healthy from the start (the group's initial instances); others must pass a check.
    pub healthy_at_registration: bool,
    /// The load balancer's verdict, once it has one.
    pub lb_healthy: Option<bool>,
}

/// A target group's registrations and settings, shared by the group and its load balancer.
#[derive(Debug, Default)]
pub struct TargetGroupState {
    /// The group's zones (`None`: a group placed in no particular zone).
    pub zones: Vec<Option<String>>,
    /// aws-facts: §3 target-group settings: deregistration delay, 300 s by default.
    pub deregistration_delay: SimTime,
    /// Whether a load balancer routes to this group (otherwise the group balances itself).
    pub has_load_balancer: bool,
    /// The registered instances, draining ones included, in registration order.
    members: Vec<Member>,
    /// Each registered instance's place in `members`: a group of thousands of instances is
    /// asked about one of them at every health check, which a search of the list made a
    /// step per instance.
    places: IdMap<u32, usize>,
    /// Bumped on every registration change, so the load balancer resyncs only then.
    pub version: u64,
}

/// A target group as the Auto Scaling group and its load balancer both hold it.
pub type TargetGroup = Rc<RefCell<TargetGroupState>>;

impl TargetGroupState {
    /// A group with no instance registered yet, that deregisters after `deregistration_delay`.
    pub fn new(deregistration_delay: SimTime) -> TargetGroupState {
        TargetGroupState {
            deregistration_delay,
            ..TargetGroupState::default()
        }
    }

    /// Registers an instance in service in zone `zone`; `healthy`: it needs no check first.
    pub fn register(&mut self, instance: u32, zone: usize, healthy: bool) {
        if self.places.contains_key(&instance) {
            debug_assert!(false, "instance {instance} registered twice");
            return;
        }
        self.places.insert(instance, self.members.len());
        self.members.push(Member {
            instance,
            zone,
            draining: false,
            healthy_at_registration: healthy,
            lb_healthy: None,
        });
        self.version += 1;
    }

    /// Starts deregistering an instance: it gets no new requests while those in flight finish.
    pub fn drain(&mut self, instance: u32) {
        if let Some(m) = self.member_mut(instance) {
            m.draining = true;
            self.version += 1;
        }
    }

    /// Removes an instance from the group, draining or not: it gets no more requests.
    pub fn deregister(&mut self, instance: u32) {
        let Some(place) = self.places.remove(&instance) else {
            return;
        };
        self.members.remove(place);
        // Those registered after it move up one.
        for m in &self.members[place..] {
            *self
                .places
                .get_mut(&m.instance)
                .expect("every member has a place") -= 1;
        }
        self.version += 1;
    }

    /// The load balancer's health verdict on an instance (does not change the version).
    pub fn set_health(&mut self, instance: u32, healthy: bool) {
        if let Some(m) = self.member_mut(instance) {
            m.lb_healthy = Some(healthy);
        }
    }

    /// The load balancer's last health verdict on an instance; `None` before its first.
    pub fn lb_healthy(&self, instance: u32) -> Option<bool> {
        self.member(instance).and_then(|m| m.lb_healthy)
    }

    /// The registered instances, draining ones included, in registration order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The registration of `instance`, if it is registered.
    pub fn member(&self, instance: u32) -> Option<&Member> {
        self.places.get(&instance).map(|&p| &self.members[p])
    }

    fn member_mut(&mut self, instance: u32) -> Option<&mut Member> {
        self.places.get(&instance).map(|&p| &mut self.members[p])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Registrations keep their order as instances leave from anywhere in it, and each
    /// instance is found by its id afterwards: its health written and read, its draining.
    #[test]
    fn instances_are_found_by_id_as_others_leave() {
        let mut g = TargetGroupState::new(SimTime::from_secs(300));
        for (id, zone) in [(4, 0), (2, 1), (7, 0), (9, 1)] {
            g.register(id, zone, true);
        }
        let v = g.version;
        g.deregister(2);
        g.deregister(5); // never registered: nothing changes
        assert_eq!(g.version, v + 1);
        let ids = |g: &TargetGroupState| g.members().iter().map(|m| m.instance).collect::<Vec<_>>();
        assert_eq!(ids(&g), [4, 7, 9]);
        g.set_health(9, false);
        g.set_health(2, true); // gone: no effect
        assert_eq!(g.lb_healthy(9), Some(false));
        assert_eq!(g.lb_healthy(7), None);
        assert_eq!(g.lb_healthy(2), None);
        g.drain(7);
        assert!(g.member(7).is_some_and(|m| m.draining && m.zone == 0));
        g.deregister(4);
        g.register(11, 1, false);
        assert_eq!(ids(&g), [7, 9, 11]);
        assert_eq!(g.member(9).map(|m| m.lb_healthy), Some(Some(false)));
        assert!(g
            .member(11)
            .is_some_and(|m| !m.healthy_at_registration && m.zone == 1));
        assert!(g.member(4).is_none());
    }
}
