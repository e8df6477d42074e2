//! Streaming recorders in bounded memory, and the per-run results they produce.
//!
//! Recorders never store samples: latencies go into fixed-size hdrhistograms, time series into
//! one slot per window. Memory grows with the number of windows (duration / window), never with
//! the number of requests.

pub mod compare;
mod recorders;
mod result;
pub mod saved;
mod series;
mod summary;

pub use recorders::{
    Clock, Counter, Counts, Durations, EventLog, Latency, Level, WindowedCounts, EVENTS_DROPPED,
    MAX_EVENTS_PER_ACTOR,
};
pub use result::{
    ActorResult, EdgeStats, EventRecord, Hist, MetricSet, Role, RunResult, Tally, Traces,
};
pub use series::{path_matches, Field, LatencySeries, Series, Unit};
pub use summary::{
    flatten, is_summed, pointer, summarize, Pool, Summary, SummaryMeta, FIELDS, HIST_KEYS,
    NOT_BOUNDABLE, PER_SEED,
};
