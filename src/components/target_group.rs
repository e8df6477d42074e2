//! A target group: the instances an Auto Scaling group has registered, as its load balancer
//! sees them. aws-facts: §3 target-group settings, §4 health and replacement.
//!
//! This is the one piece of state a load balancer and an Auto Scaling group share, as they do
//! in AWS: the group registers instances when they are in service and deregisters them
//! (draining) before it terminates them; the load balancer routes to what is registered and
//! writes back what its health checks find, which the group reads when its health check type
//! is "elb".

use crate::kernel::SimTime;
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
    pub members: Vec<Member>,
    /// Bumped on every registration change, so the load balancer resyncs only then.
    pub version: u64,
}

/// A target group as the Auto Scaling group and its load balancer both hold it.
pub type TargetGroup = Rc<RefCell<TargetGroupState>>;

impl TargetGroupState {
    /// Registers an instance in service in zone `zone`; `healthy`: it needs no check first.
    pub fn register(&mut self, instance: u32, zone: usize, healthy: bool) {
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
        if let Some(m) = self.members.iter_mut().find(|m| m.instance == instance) {
            m.draining = true;
            self.version += 1;
        }
    }

    /// Removes an instance from the group, draining or not: it gets no more requests.
    pub fn deregister(&mut self, instance: u32) {
        let before = self.members.len();
        self.members.retain(|m| m.instance != instance);
        if self.members.len() != before {
            self.version += 1;
        }
    }

    /// The load balancer's health verdict on an instance (does not change the version).
    pub fn set_health(&mut self, instance: u32, healthy: bool) {
        if let Some(m) = self.members.iter_mut().find(|m| m.instance == instance) {
            m.lb_healthy = Some(healthy);
        }
    }

    /// The load balancer's last health verdict on an instance; `None` before its first.
    pub fn lb_healthy(&self, instance: u32) -> Option<bool> {
        self.members
            .iter()
            .find(|m| m.instance == instance)
            .and_then(|m| m.lb_healthy)
    }
}
