//! The `service` table: its keys as written, and the validated config.

use crate::config::raw::{RawCall, RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker};
use crate::dist::Dist;
use crate::kernel::SimTime;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    servers: Option<Spanned<i64>>,
    queue: Option<Spanned<i64>>,
    service_time: Spanned<RawDist>,
    #[serde(default)]
    calls: Vec<RawCall>,
}

/// A validated `service`.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Requests served at once [servers].
    pub servers: u32,
    /// Requests that may wait beyond those being served [requests]; `None`: no limit.
    pub queue: Option<u32>,
    /// Time a request holds its server for its own work [s].
    pub service_time: Dist,
    /// Its downstream calls, made in turn while the request holds its server.
    pub calls: Vec<CallSpec>,
}

/// The most servers a service may have.
pub const MAX_SERVERS: i64 = 1_000_000;
/// The largest bounded queue [requests]; what waits is in flight, bounded by `max_in_flight`.
pub const MAX_QUEUE: i64 = 100_000_000;

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<ServiceConfig> {
    let raw: RawService = ck.deserialize(table)?;
    let servers = ck.int_or(&raw.servers, "servers", (1, MAX_SERVERS), 1);
    let queue = ck.or(&raw.queue, None, |ck, q| {
        ck.int_in(q, "queue", 0, MAX_QUEUE).map(|v| Some(v as u32))
    });
    let service_time = ck.time_dist(&raw.service_time, "service_time");
    let calls = ck.calls(&raw.calls);
    Some(ServiceConfig {
        servers: servers? as u32,
        queue: queue?,
        service_time: service_time?,
        calls: calls?,
    })
}

impl ServiceConfig {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let servers = if self.servers == 1 {
            "1 server".to_string()
        } else {
            format!("{} servers", self.servers)
        };
        let queue = match self.queue {
            Some(q) => format!("queue {q}"),
            None => "unbounded queue".to_string(),
        };
        vec![
            format!("{servers}, {queue}"),
            format!("work {}", SimTime::from_secs_f64(self.service_time.mean())),
        ]
    }
}
