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
pub use rng::{mix, stream, SimRng};
pub use sim::{
    ActorId, CallId, CallTiming, Ctx, Faults, Input, Item, Kernel, KernelStats, Limits, Model, Msg,
    Outcome, Reply, Stop, TimerHandle,
};
pub use time::SimTime;
pub use trace::{Keep, Span, SpanEnd, Trace, Tracer};

/// A hash map keyed by the simulator's own integers (span ids, keys, request numbers), looked
/// up on the hot path: a fast, fixed (unseeded, so runs repeat) hash instead of SipHash, whose
/// resistance to chosen keys buys nothing here; iteration order must never matter.
pub type IdMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// A set of the simulator's own integers, hashed as `IdMap`'s keys are.
pub type IdSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;
