//! The parsing framework every part of a scenario is read with, below the components that
//! use it: spans and diagnostics (`Checker`), the raw serde shapes shared by many tables
//! (`raw`), durations, distributions, downstream calls and retry policies. It knows nothing
//! of any component kind; `scenario` assembles a scenario from the kinds' registry with it.

pub mod calls;
pub mod check;
pub mod keys;
pub mod raw;

pub use calls::{CallSpec, OpChoice};
pub use check::{parse_duration, Checker, Diagnostic, ScenarioError};
