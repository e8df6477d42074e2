//! The fault timeline: `[[fault]]`s switched on at their start and off at their end, each
//! written to `events.csv` so plots can mark it.
//!
//! Faults here are the generic ones the kernel can apply to any component: a zone outage
//! (every component placed in the zone unreachable), a region outage (every component of
//! the region unreachable), a component down, latency and error
//! injection on a component or on one call edge. Kind-specific failures (an RDS primary, a
//! cache node) belong to their components.

use crate::kernel::{ActorId, Ctx, SimTime};
use crate::metrics::{EventLog, EventRecord};

/// The actor name the timeline's events carry in `events.csv`.
pub const ACTOR: &str = "faults";
/// A fault that lasts starts (the event's detail is its label).
pub const FAULT_START: &str = "fault_start";
/// A fault that lasts ends.
pub const FAULT_END: &str = "fault_end";
/// A fault that happens at an instant (a node lost).
pub const FAULT: &str = "fault";

/// What a fault does while it lasts.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Every listed component is unreachable: calls to them, and their answers, vanish.
    /// Components that span zones or fail over (`signals`) are told instead, with their own
    /// fault code, and act as their kind does.
    AzOutage {
        az: String,
        actors: Vec<ActorId>,
        signals: Vec<(ActorId, u32)>,
    },
    /// Every component of the region is unreachable, whatever its kind.
    RegionOutage {
        region: String,
        actors: Vec<ActorId>,
    },
    Down {
        actor: ActorId,
    },
    /// A share of calls to the component fail at once with `status`.
    Errors {
        actor: ActorId,
        rate: f64,
        status: u16,
    },
    /// The component's answers leave `add` later.
    Latency {
        actor: ActorId,
        add: SimTime,
    },
    /// Calls on the edge `from → to` take `add` longer each way, and a share `rate` of them
    /// fail with `status` on the way.
    Link {
        from: ActorId,
        to: ActorId,
        add: SimTime,
        error: Option<(f64, u16)>,
    },
    /// A failure particular to the component's kind (a cache node lost), told to it as
    /// `Input::Fault { code }`.
    Component {
        actor: ActorId,
        code: u32,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    pub at: SimTime,
    /// `None`: until the end of the run.
    pub duration: Option<SimTime>,
    /// What `events.csv` and the plots call it, in words: "zone a outage", "db 150ms
    /// slower", "db: rds primary failure".
    pub label: String,
    pub effect: Effect,
}

/// The actor that plays the timeline.
pub struct Timeline {
    faults: Vec<FaultSpec>,
    log: EventLog,
}

impl Timeline {
    pub fn new(faults: Vec<FaultSpec>) -> Timeline {
        Timeline {
            faults,
            log: EventLog::new(ACTOR),
        }
    }

    pub fn start(&mut self, ctx: &mut Ctx<'_>) {
        for (i, f) in self.faults.iter().enumerate() {
            ctx.schedule(f.at, (i as u64) << 1);
            if let Some(d) = f.duration {
                ctx.schedule(f.at + d, (i as u64) << 1 | 1);
            }
        }
    }

    /// Switches fault `tag >> 1` on (low bit 0) or off (1).
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, tag: u64) {
        let f = &self.faults[(tag >> 1) as usize];
        let on = tag & 1 == 0;
        let faults = ctx.faults();
        match &f.effect {
            Effect::AzOutage {
                actors, signals, ..
            } => {
                for &a in actors {
                    faults.set_down(a, on);
                }
                for &(a, code) in signals {
                    ctx.signal_fault(a, code, on);
                }
            }
            Effect::RegionOutage { actors, .. } => {
                for &a in actors {
                    faults.set_down(a, on);
                }
            }
            Effect::Down { actor } => faults.set_down(*actor, on),
            Effect::Errors {
                actor,
                rate,
                status,
            } => faults.set_failing(*actor, on.then_some((*rate, *status))),
            Effect::Latency { actor, add } => {
                faults.set_slow(*actor, if on { *add } else { SimTime::ZERO })
            }
            Effect::Component { actor, code } => ctx.signal_fault(*actor, *code, on),
            Effect::Link {
                from,
                to,
                add,
                error,
            } => {
                if on {
                    faults.set_link(*from, *to, *add, *error);
                } else {
                    faults.set_link(*from, *to, SimTime::ZERO, None);
                }
            }
        }
        let now = ctx.now();
        // A fault with no end that a component takes in at once (a node lost) is an instant.
        let instant = f.duration.is_none() && matches!(f.effect, Effect::Component { .. });
        let event = match (instant, on) {
            (true, _) => FAULT,
            (false, true) => FAULT_START,
            (false, false) => FAULT_END,
        };
        self.log.push(now, event, f.label.clone());
    }

    pub fn finish(&mut self, end: SimTime) -> Vec<EventRecord> {
        self.log.finish(end)
    }
}
