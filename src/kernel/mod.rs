//! The simulation kernel: time, the event queue, random streams and the run loop.
//!
//! It knows nothing of AWS, TOML, files, threads or output formats. Its vocabulary is actors,
//! timers, calls, replies and timeouts; components and workloads are built on top of it.

#![warn(missing_docs)]

mod gates;
mod queue;
mod rng;
mod sim;
mod time;
mod trace;

pub use gates::{Gate, GateCounts, Gates};
pub use queue::EventQueue;
pub use rng::{stream, SimRng};
pub use sim::{
    ActorId, CallId, CallTiming, Ctx, Faults, Input, Item, Kernel, KernelStats, Limits, Model, Msg,
    Outcome, Reply, Stop, TimerHandle,
};
pub use time::SimTime;
pub use trace::{Keep, Span, SpanEnd, Trace, Tracer};
