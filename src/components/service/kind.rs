//! What `service` declares about itself: its keys, series, summary fields, columns, plot
//! panels and events.

use super::config::{self, ServiceConfig, MAX_QUEUE, MAX_SERVERS};
use crate::components::kind::{
    Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, LatencySeries, Mark,
    PlotLine, PlotPanel, Series, Tone, Unit,
};
use crate::components::{BuildEnv, CallSpec, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;

pub(super) const ARRIVALS: Series = Series {
    id: "arrivals_rps",
    unit: Unit::PerSecond,
    about: "requests arriving",
};
pub(super) const COMPLETIONS: Series = Series {
    id: "completions_rps",
    unit: Unit::PerSecond,
    about: "requests answered",
};
pub(super) const REJECTED: Series = Series {
    id: "rejected_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 503, the queue being full",
};
pub(super) const UTILISATION: Series = Series {
    id: "utilisation",
    unit: Unit::Share,
    about: "busy servers over servers, time-averaged",
};
pub(super) const QUEUE: Series = Series {
    id: "queue",
    unit: Unit::Number,
    about: "requests waiting, time-averaged",
};
pub(super) static RESPONSE: LatencySeries = LatencySeries {
    p50: Series {
        id: "response_p50_ms",
        unit: Unit::Milliseconds,
        about: "median time from arrival to answer",
    },
    p95: Series {
        id: "response_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the time from arrival to answer",
    },
    p99: Series {
        id: "response_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the time from arrival to answer",
    },
};

impl Kind for ServiceConfig {
    // aws-facts: §20 VPC: its network interfaces sit in a VPC, guarded by security groups.
    const IN_VPC: bool = true;
    const INFO: &'static KindInfo = &KindInfo {
        name: "service",
        title: "service",
        noun: "a service",
        category: Category::Generic,
        about: "a generic queueing station: servers, a bounded or unbounded FIFO queue, a service time and downstream calls",
        keys: &[
            Key {
                name: "servers",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_SERVERS,
                },
                required: false,
                about: "requests served at once (default 1)",
            },
            Key {
                name: "queue",
                ty: KeyType::Integer {
                    min: 0,
                    max: MAX_QUEUE,
                },
                required: false,
                about: "requests that may wait beyond those being served; a full queue answers 503 (default: no limit)",
            },
            Key {
                name: "service_time",
                ty: KeyType::TimeDist,
                required: true,
                about: "how long a request holds its server for its own work, before its calls",
            },
            Key {
                name: "calls",
                ty: KeyType::Calls,
                required: false,
                about: "downstream calls, made in turn while the request holds its server",
            },
        ],
        faults: &[],
        series: &[
            &ARRIVALS,
            &COMPLETIONS,
            &REJECTED,
            &UTILISATION,
            &QUEUE,
            &RESPONSE.p50,
            &RESPONSE.p95,
            &RESPONSE.p99,
        ],
        fields: &[
            Field {
                path: "arrivals",
                unit: Unit::Count,
                about: "requests that arrived in the measured period",
            },
            Field {
                path: "completed",
                unit: Unit::Count,
                about: "requests answered (with any status but a full queue's)",
            },
            Field {
                path: "rejected",
                unit: Unit::Count,
                about: "requests refused with 503, the queue being full",
            },
            crate::components::kind::BY_STATUS,
            Field {
                path: "servers",
                unit: Unit::Number,
                about: "its servers",
            },
            Field {
                path: "queue_capacity",
                unit: Unit::Number,
                about: "its queue's capacity, when bounded",
            },
            Field {
                path: "utilisation",
                unit: Unit::Share,
                about: "busy servers over servers, time-averaged",
            },
            Field {
                path: "busy_mean",
                unit: Unit::Number,
                about: "busy servers, time-averaged",
            },
            Field {
                path: "accepted_work",
                unit: Unit::Number,
                about: "the work accepted in the measured period, in servers: accepted requests × their mean holding time / measured time (counts work draining after the end, unlike busy_mean)",
            },
            Field {
                path: "accepted_utilisation",
                unit: Unit::Share,
                about: "accepted_work over servers",
            },
            Field {
                path: "queue_mean",
                unit: Unit::Number,
                about: "requests waiting, time-averaged",
            },
            Field {
                path: "queue_max",
                unit: Unit::Number,
                about: "the most requests waiting at once",
            },
            Field {
                path: "in_system_mean",
                unit: Unit::Number,
                about: "requests waiting or being served, time-averaged (L in Little's law)",
            },
            Field {
                path: "arrival_rps",
                unit: Unit::PerSecond,
                about: "requests arriving per second",
            },
            Field {
                path: "throughput_rps",
                unit: Unit::PerSecond,
                about: "requests answered per second within the measured period, by the time of the answer (a saturated station shows what it serves, not what it is offered)",
            },
            Field {
                path: "rejected_fraction",
                unit: Unit::Share,
                about: "share of arrivals refused, the queue being full",
            },
            Field {
                path: "wait_probability",
                unit: Unit::Share,
                about: "share of admitted requests that waited for a server",
            },
            Field {
                path: "wait_ms.*",
                unit: Unit::Milliseconds,
                about: "time waiting for a server (count, mean, p50 … p999, max)",
            },
            Field {
                path: "response_ms.*",
                unit: Unit::Milliseconds,
                about: "time from arrival to answer (count, mean, p50 … p999, max)",
            },
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "utilisation",
                field: "utilisation",
                unit: Unit::Share,
            },
            Column {
                label: "mean queue",
                field: "queue_mean",
                unit: Unit::Number,
            },
            Column {
                label: "P(wait)",
                field: "wait_probability",
                unit: Unit::Share,
            },
            Column {
                label: "mean response",
                field: "response_ms.mean",
                unit: Unit::Milliseconds,
            },
            Column {
                label: "503 (queue full)",
                field: "rejected",
                unit: Unit::Count,
            },
            crate::components::kind::LATE_REPLIES_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "utilisation [%]",
                lines: &[PlotLine {
                    series: &UTILISATION,
                    label: "utilisation",
                    tone: Tone::Load,
                    scale: 100.0,
                }],
                y_max: Some(105.0),
            },
            PlotPanel {
                axis: "queue [requests]",
                lines: &[PlotLine {
                    series: &QUEUE,
                    label: "waiting",
                    tone: Tone::Queue,
                    scale: 1.0,
                }],
                y_max: None,
            },
        ],
        events: &[
            EventInfo {
                event: "queue_full",
                mark: Mark::SpanStart("queue full"),
            },
            EventInfo {
                event: "queue_recovered",
                mark: Mark::SpanEnd("queue full"),
            },
        ],
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::Service::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }
}
