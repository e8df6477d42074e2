//! archsim: a discrete-event simulator of AWS architectures.
//!
//! Data flows one way: scenario text → `scenario::Scenario` → `world::World` → kernel run →
//! `metrics::RunResult` → `report` (summaries, CSV, text). See ARCHITECTURE.md for the map.

#![forbid(unsafe_code)]

pub mod access;
pub mod capacity;
pub mod components;
pub mod config;
pub mod dist;
pub mod expect;
pub mod faults;
pub mod iam;
pub mod import;
pub mod kernel;
pub mod limits;
pub mod metrics;
pub mod network;
pub mod popularity;
pub mod report;
pub mod retry;
pub mod scenario;
pub mod shard;
pub mod status;
pub mod sweep;
pub mod text;
pub mod theory;
pub mod workload;
pub mod world;
