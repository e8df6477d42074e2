//! The parts an architecture is made of, one file per kind, and the registry of kinds.
//!
//! A component knows the kernel (it handles `Input`s through a `Ctx`) and its own config; it
//! never reaches into another component. Calls to other components go through `Edge`s that the
//! scenario resolved when the world was built.

pub mod service;

use crate::dist::Dist;
use crate::kernel::{ActorId, CallTiming, Ctx, Input, Msg, SimRng, SimTime};
use crate::metrics::{Clock, EventRecord, MetricSet};
use crate::scenario::check::Checker;
use crate::scenario::raw::RawComponentTable;

/// Every kind a `[[component]]` may name, for error messages and for the registry below.
pub const KINDS: &[&str] = &["service"];

/// A component's validated configuration, by kind.
#[derive(Clone, Debug)]
pub enum ComponentSpec {
    Service(service::ServiceConfig),
}

impl ComponentSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            ComponentSpec::Service(_) => "service",
        }
    }

    /// The downstream calls this component makes, as written (ids not yet resolved).
    pub fn calls(&self) -> &[CallSpec] {
        match self {
            ComponentSpec::Service(c) => &c.calls,
        }
    }

    /// A few short lines of its key settings, for diagrams.
    pub fn summary_lines(&self) -> Vec<String> {
        match self {
            ComponentSpec::Service(c) => c.summary_lines(),
        }
    }

    /// Builds the running component. Cannot fail: the spec was validated.
    pub fn build(&self, env: BuildEnv) -> Box<dyn Component> {
        match self {
            ComponentSpec::Service(c) => Box::new(service::Service::new(c.clone(), env)),
        }
    }
}

/// Parses and validates the kind-specific part of a `[[component]]` table.
pub fn parse_spec(
    kind: &str,
    table: RawComponentTable<'_>,
    ck: &mut Checker,
) -> Option<ComponentSpec> {
    match kind {
        "service" => service::parse(table, ck).map(ComponentSpec::Service),
        _ => None,
    }
}

/// Which operation a downstream call carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpChoice {
    /// The operation of the call being handled.
    Inherit,
    Fixed(u16),
}

/// A downstream call as the scenario states it, before ids are resolved to actors.
#[derive(Clone, Debug)]
pub struct CallSpec {
    /// Index of the callee among the scenario's components.
    pub to: usize,
    pub op: OpChoice,
    /// Probability that a request makes this call.
    pub probability: f64,
    /// How long the caller waits for the answer; `None`: as long as it takes.
    pub timeout: Option<SimTime>,
    /// One-way network latency overriding the zone-based default.
    pub latency: Option<Dist>,
}

/// A downstream call resolved for the run: the callee's actor id and the hop latency.
#[derive(Clone, Debug)]
pub struct Edge {
    pub to: ActorId,
    pub op: OpChoice,
    pub probability: f64,
    pub timeout: Option<SimTime>,
    /// One-way latency of the hop, each direction drawn independently.
    pub latency: Dist,
}

impl Edge {
    /// Whether a request takes this edge (draws only when the probability is below 1).
    #[inline]
    pub fn taken(&self, rng: &mut SimRng) -> bool {
        use rand::Rng;
        self.probability >= 1.0 || rng.random::<f64>() < self.probability
    }

    /// Makes the call for a request carrying `msg`, tagging the reply with `tag`.
    #[inline]
    pub fn call(&self, ctx: &mut Ctx<'_>, rng: &mut SimRng, msg: Msg, tag: u64) {
        let msg = match self.op {
            OpChoice::Inherit => msg,
            OpChoice::Fixed(op) => Msg { op, ..msg },
        };
        let timing = CallTiming {
            request_delay: self.latency.sample_time(rng),
            reply_delay: self.latency.sample_time(rng),
            timeout: self.timeout,
        };
        ctx.call(self.to, msg, timing, tag);
    }
}

/// What a component is given when it is built for one run.
pub struct BuildEnv {
    /// The component's id, for its event records.
    pub name: String,
    pub clock: Clock,
    /// Its own random stream.
    pub rng: SimRng,
    /// Its downstream calls, in the order the scenario lists them.
    pub edges: Vec<Edge>,
}

/// What a component reports at the end of a run.
pub struct ComponentReport {
    pub metrics: MetricSet,
    pub series: Vec<(String, Vec<f64>)>,
    pub events: Vec<EventRecord>,
}

/// A running component.
pub trait Component: Send {
    fn kind(&self) -> &'static str;
    /// Called once before the first event.
    fn start(&mut self, _ctx: &mut Ctx<'_>) {}
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>);
    /// Closes its recorders at the end of the run and hands over what they hold.
    fn finish(&mut self) -> ComponentReport;
}
