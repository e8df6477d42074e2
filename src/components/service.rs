//! The generic `service`: `servers` identical servers, a FIFO queue of bounded (or unbounded)
//! capacity, a service-time distribution and downstream calls.
//!
//! It is the building block for custom parts and the component that is checked against
//! queueing theory (M/M/1, M/M/c, M/M/c/K, M/D/1, Little's law) in `tests/it/queueing.rs`.
//!
//! A request holds its server for its own work and then for each downstream call in turn (a
//! worker thread blocked on its database call), and is answered when the last call returns.
//! A full queue answers 503. A failed downstream call stops the request: its status is passed
//! up, and a downstream timeout becomes 504, as a gateway's would.

use super::kind::{
    Category, Column, EventInfo, Kind, KindInfo, LatencySeries, Mark, PlotLine, PlotPanel, Series,
    Tone, Unit,
};
use super::{AfterReply, BuildEnv, CallCursor, CallSpec, Component, ComponentReport, Edge, Shared};
use crate::config::raw::{RawCall, RawComponentTable, RawDist};
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::{CallId, Ctx, Input, Msg, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, Level, MetricSet, WindowedCounts};
use serde::Deserialize;
use slab::Slab;
use std::collections::VecDeque;
use toml::Spanned;

/// Status a full queue answers with.
pub const QUEUE_FULL: u16 = 503;

/// Timer tags: the job index shifted left by one, and what the timer is for.
const TIMER_WORK_DONE: u64 = 0;
const TIMER_RETRY: u64 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    servers: Option<Spanned<i64>>,
    queue: Option<Spanned<i64>>,
    service_time: Spanned<RawDist>,
    #[serde(default)]
    calls: Vec<RawCall>,
}

#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Requests served at once.
    pub servers: u32,
    /// Requests that may wait beyond those being served; `None`: no limit.
    pub queue: Option<u32>,
    /// Time a request holds its server for its own work [s].
    pub service_time: Dist,
    pub calls: Vec<CallSpec>,
}

const ARRIVALS: Series = Series {
    id: "arrivals_rps",
    unit: Unit::PerSecond,
    about: "requests arriving",
};
const COMPLETIONS: Series = Series {
    id: "completions_rps",
    unit: Unit::PerSecond,
    about: "requests answered",
};
const REJECTED: Series = Series {
    id: "rejected_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 503, the queue being full",
};
const UTILISATION: Series = Series {
    id: "utilisation",
    unit: Unit::Share,
    about: "busy servers over servers, time-averaged",
};
const QUEUE: Series = Series {
    id: "queue",
    unit: Unit::Number,
    about: "requests waiting, time-averaged",
};
static RESPONSE: LatencySeries = LatencySeries {
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
    const INFO: &'static KindInfo = &KindInfo {
        name: "service",
        title: "service",
        noun: "a service",
        category: Category::Generic,
        about: "a generic queueing station: servers, a bounded or unbounded FIFO queue, a service time and downstream calls",
        keys: &[],
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
        fields: &[],
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
            Column {
                label: "late replies",
                field: "late_replies",
                unit: Unit::Count,
            },
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
        parse(table, ck)
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(Service::new(self.clone(), env))
    }

    fn calls(&self) -> &[CallSpec] {
        &self.calls
    }

    fn summary_lines(&self) -> Vec<String> {
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

pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<ServiceConfig> {
    let raw: RawService = ck.deserialize(table)?;
    let servers = match &raw.servers {
        Some(s) => ck.int_in(s, "servers", 1, 1_000_000).map(|v| v as u32),
        None => Some(1),
    };
    let queue = match &raw.queue {
        Some(q) => ck
            .int_in(q, "queue", 0, 100_000_000)
            .map(|v| Some(v as u32)),
        None => Some(None),
    };
    let service_time = ck.time_dist(&raw.service_time, "service_time");
    let calls = ck.calls(&raw.calls);
    Some(ServiceConfig {
        servers: servers?,
        queue: queue?,
        service_time: service_time?,
        calls: calls?,
    })
}

/// A request being served: it holds a server from `started` until it is answered.
struct Job {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
    /// Its way through the downstream calls.
    calls: CallCursor,
}

struct Waiting {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
}

pub struct Service {
    cfg: ServiceConfig,
    clock: Clock,
    rng: SimRng,
    edges: Vec<Edge>,
    busy: u32,
    queue: VecDeque<Waiting>,
    jobs: Slab<Job>,
    queue_full: bool,
    // Recorders.
    arrivals: Counter,
    rejected: Counter,
    completions: Counter,
    waited: u64,
    admitted: u64,
    statuses: WindowedCounts<u16>,
    busy_level: Level,
    queue_level: Level,
    wait: Latency,
    response: Latency,
    events: EventLog,
}

impl Service {
    pub fn new(cfg: ServiceConfig, env: BuildEnv) -> Service {
        let clock = env.clock;
        Service {
            busy: 0,
            queue: VecDeque::new(),
            jobs: Slab::new(),
            queue_full: false,
            arrivals: Counter::new(&clock),
            rejected: Counter::new(&clock),
            completions: Counter::new(&clock),
            waited: 0,
            admitted: 0,
            statuses: WindowedCounts::default(),
            busy_level: Level::new(&clock),
            queue_level: Level::new(&clock),
            wait: Latency::new(&clock),
            response: Latency::new(&clock),
            events: EventLog::new(&env.name),
            cfg,
            clock,
            rng: env.rng,
            edges: env.edges,
        }
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        if msg.op == super::PROBE_SHALLOW {
            // A shallow health check: up is healthy.
            ctx.reply(call, 200);
            return;
        }
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.arrivals.add(&self.clock, now, measured);
        if self.busy < self.cfg.servers {
            self.admitted += u64::from(measured);
            self.start(ctx, call, msg, now);
        } else if self
            .cfg
            .queue
            .is_none_or(|cap| self.queue.len() < cap as usize)
        {
            self.admitted += u64::from(measured);
            self.waited += u64::from(measured);
            self.queue.push_back(Waiting {
                call,
                msg,
                arrived: now,
            });
            self.queue_level.add(&self.clock, now, 1.0);
        } else {
            self.rejected.add(&self.clock, now, measured);
            self.statuses.add(&self.clock, QUEUE_FULL, now, measured);
            if !self.queue_full {
                self.queue_full = true;
                self.events.push(
                    now,
                    "queue_full",
                    format!("{} waiting; answering 503", self.queue.len()),
                );
            }
            ctx.reply(call, QUEUE_FULL);
        }
    }

    fn start(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg, arrived: SimTime) {
        let now = ctx.now();
        self.busy += 1;
        self.busy_level.add(&self.clock, now, 1.0);
        self.wait.record(
            &self.clock,
            now,
            now - arrived,
            self.clock.measured(arrived),
        );
        let job = self.jobs.insert(Job {
            call,
            msg,
            arrived,
            calls: CallCursor::default(),
        });
        let work = self.cfg.service_time.sample_time(&mut self.rng);
        ctx.schedule(work, (job as u64) << 1 | TIMER_WORK_DONE);
    }

    /// Makes the job's next downstream call, or answers it when none is left.
    fn proceed(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let j = &mut self.jobs[job];
        if !j
            .calls
            .call_next(&self.edges, ctx, &mut self.rng, j.msg, job as u64)
        {
            self.complete(ctx, job, 200);
        }
    }

    fn complete(&mut self, ctx: &mut Ctx<'_>, job: usize, status: u16) {
        let now = ctx.now();
        let j = self.jobs.remove(job);
        let measured = self.clock.measured(j.arrived);
        ctx.reply(j.call, status);
        self.completions.add(&self.clock, now, measured);
        self.statuses.add(&self.clock, status, now, measured);
        self.response
            .record(&self.clock, now, now - j.arrived, measured);
        self.busy -= 1;
        self.busy_level.add(&self.clock, now, -1.0);
        if let Some(w) = self.queue.pop_front() {
            self.queue_level.add(&self.clock, now, -1.0);
            // Hysteresis: a queue hovering at its capacity is one episode, not thousands.
            let low_water = self.cfg.queue.map_or(0, |q| q as usize * 9 / 10);
            if self.queue_full && self.queue.len() <= low_water {
                self.queue_full = false;
                self.events.push(
                    now,
                    "queue_recovered",
                    format!("{} waiting", self.queue.len()),
                );
            }
            self.start(ctx, w.call, w.msg, w.arrived);
        }
    }
}

impl Component for Service {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            // No fault of its own kind exists for it (validation allows none).
            Input::Fault { .. } => {}
            Input::Call(call, msg) => self.arrive(ctx, call, msg),
            Input::Timer(tag) if tag & 1 == TIMER_WORK_DONE => {
                self.proceed(ctx, (tag >> 1) as usize)
            }
            Input::Timer(tag) => {
                // The SDK's backoff is over: the same call again.
                let job = (tag >> 1) as usize;
                let j = &mut self.jobs[job];
                j.calls
                    .call_again(&self.edges, ctx, &mut self.rng, j.msg, job as u64);
            }
            Input::Reply(r) => {
                let job = r.tag as usize;
                match self.jobs[job]
                    .calls
                    .after_reply(&self.edges, r.outcome, &mut self.rng)
                {
                    AfterReply::Retry(wait) => ctx.schedule(wait, (job as u64) << 1 | TIMER_RETRY),
                    AfterReply::Next => self.proceed(ctx, job),
                    AfterReply::Fail(s) => self.complete(ctx, job, s),
                }
            }
        }
    }

    fn finish(&mut self) -> ComponentReport {
        let c = &self.clock;
        self.busy_level.finish(c);
        self.queue_level.finish(c);
        self.wait.finish();
        self.response.finish();
        let servers = f64::from(self.cfg.servers);
        let mut m = MetricSet::default();
        m.count("arrivals", self.arrivals.total());
        m.count("completed", self.completions.total());
        m.count("rejected", self.rejected.total());
        for (label, n) in self.statuses.iter() {
            m.count(format!("by_status.{label}"), n.total());
        }
        m.gauge("servers", servers);
        if let Some(q) = self.cfg.queue {
            m.gauge("queue_capacity", f64::from(q));
        }
        m.gauge("utilisation", self.busy_level.mean(c) / servers);
        m.gauge("busy_mean", self.busy_level.mean(c));
        m.gauge("queue_mean", self.queue_level.mean(c));
        m.gauge("queue_max", self.queue_level.max());
        m.gauge(
            "in_system_mean",
            self.busy_level.mean(c) + self.queue_level.mean(c),
        );
        let secs = c.measured_secs();
        m.gauge("arrival_rps", self.arrivals.total() as f64 / secs);
        m.gauge("throughput_rps", self.completions.total() as f64 / secs);
        let arrivals = self.arrivals.total().max(1) as f64;
        m.gauge("rejected_fraction", self.rejected.total() as f64 / arrivals);
        m.gauge(
            "wait_probability",
            self.waited as f64 / self.admitted.max(1) as f64,
        );
        m.hist("wait_ms", self.wait.summary());
        m.hist("response_ms", self.response.summary());

        let mut series = vec![
            (&ARRIVALS, self.arrivals.rate_series(c)),
            (&COMPLETIONS, self.completions.rate_series(c)),
            (&REJECTED, self.rejected.rate_series(c)),
            (
                &UTILISATION,
                self.busy_level
                    .mean_series(c)
                    .iter()
                    .map(|b| b / servers)
                    .collect(),
            ),
            (&QUEUE, self.queue_level.mean_series(c)),
        ];
        series.extend(self.response.series(&RESPONSE));
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}
