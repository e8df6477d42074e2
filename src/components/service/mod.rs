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

mod config;
mod kind;

pub use config::ServiceConfig;
use kind::{ARRIVALS, COMPLETIONS, QUEUE, REJECTED, RESPONSE, UTILISATION};

use super::{
    pack, unpack, AfterReply, BuildEnv, CallCursor, Component, ComponentReport, Edge, RetryTokens,
    Token,
};
use crate::kernel::{CallId, Ctx, Input, Msg, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, Latency, Level, MetricSet};
use crate::status;
use slab::Slab;
use std::collections::VecDeque;

/// Status a full queue answers with.
pub const QUEUE_FULL: u16 = status::SERVICE_UNAVAILABLE;

/// What a service's timers are for, each about one job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// The job's own work is done: on to its calls.
    WorkDone(usize),
    /// The SDK's backoff before the job's current call again is over.
    Retry(usize),
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::WorkDone(job) => pack(0, job as u64),
            Timer::Retry(job) => pack(1, job as u64),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, job) => Some(Timer::WorkDone(job as usize)),
            (1, job) => Some(Timer::Retry(job as usize)),
            _ => None,
        }
    }
}

/// A request being served: it holds a server from `started` until it is answered.
struct Job {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
    /// When it took its server.
    started: SimTime,
    /// Its way through the downstream calls.
    calls: CallCursor,
}

struct Waiting {
    call: CallId,
    msg: Msg,
    arrived: SimTime,
}

/// A running `service`: its servers, its queue and the requests they hold.
pub struct Service {
    cfg: ServiceConfig,
    clock: Clock,
    rng: SimRng,
    edges: Vec<Edge>,
    /// Its SDK clients' retry quotas. A `service` is one process: its servers are
    /// interchangeable slots of one queue (no request knows which server it holds), as a
    /// process's worker threads are, so they share its clients (aws-facts: §7 retry quota,
    /// per client). Several processes with their own quotas are an Auto Scaling group's
    /// instances.
    tokens: RetryTokens,
    busy: u32,
    queue: VecDeque<Waiting>,
    jobs: Slab<Job>,
    queue_full: bool,
    // Recorders.
    arrivals: Counter,
    rejected: Counter,
    completions: Counter,
    /// Answers given within the measured period, whenever their requests arrived: the
    /// throughput (`completions` counts by arrival, as the statuses do).
    answered_in_period: u64,
    waited: u64,
    admitted: u64,
    /// Server-seconds held by the requests that arrived in the measured period.
    accepted_held: f64,
    statuses: Counts<u16>,
    busy_level: Level,
    queue_level: Level,
    wait: Durations,
    response: Latency,
    events: EventLog,
}

impl Service {
    /// Builds it for one run, idle and empty.
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
            answered_in_period: 0,
            waited: 0,
            admitted: 0,
            accepted_held: 0.0,
            statuses: Counts::default(),
            busy_level: Level::new(&clock),
            queue_level: Level::new(&clock),
            wait: Durations::default(),
            response: Latency::new(&clock),
            events: EventLog::new(&env.name),
            cfg,
            clock,
            rng: env.rng,
            tokens: RetryTokens::full(&env.edges),
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
            self.statuses.add(QUEUE_FULL, measured);
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
        self.wait
            .record(now - arrived, self.clock.measured(arrived));
        let job = self.jobs.insert(Job {
            call,
            msg,
            arrived,
            started: now,
            calls: CallCursor::default(),
        });
        let work = self.cfg.service_time.sample_time(&mut self.rng);
        if now > arrived {
            ctx.own_span(msg.span, "queue wait", arrived, now);
        }
        ctx.own_span(msg.span, "service", now, now + work);
        ctx.schedule(work, Timer::WorkDone(job).encode());
    }

    /// Makes the job's next downstream call, or answers it when none is left.
    fn proceed(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let j = &mut self.jobs[job];
        if j.calls
            .call_next(&self.edges, ctx, &mut self.rng, j.msg, job as u64)
            .is_none()
        {
            self.complete(ctx, job, status::OK);
        }
    }

    fn complete(&mut self, ctx: &mut Ctx<'_>, job: usize, status: u16) {
        let now = ctx.now();
        let j = self.jobs.remove(job);
        let measured = self.clock.measured(j.arrived);
        if measured {
            self.accepted_held += (now - j.started).as_secs_f64();
        }
        ctx.reply(j.call, status);
        self.completions.add(&self.clock, now, measured);
        self.answered_in_period += u64::from(self.clock.measured(now));
        self.statuses.add(status, measured);
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
            Input::Timer(tag) => match Timer::decode(tag) {
                Some(Timer::WorkDone(job)) => self.proceed(ctx, job),
                Some(Timer::Retry(job)) => {
                    let j = &mut self.jobs[job];
                    j.calls
                        .call_again(&self.edges, ctx, &mut self.rng, j.msg, job as u64);
                }
                None => {}
            },
            Input::Reply(r) => {
                let job = r.tag as usize;
                match self.jobs[job].calls.after_reply(
                    &self.edges,
                    &mut self.tokens,
                    r.outcome,
                    &mut self.rng,
                ) {
                    AfterReply::Retry(wait) => ctx.schedule(wait, Timer::Retry(job).encode()),
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
        self.response.finish();
        let servers = f64::from(self.cfg.servers);
        let mut m = MetricSet::default();
        m.count("arrivals", self.arrivals.total());
        m.count("completed", self.completions.total());
        m.count("rejected", self.rejected.total());
        for (label, n) in self.statuses.iter() {
            m.count(format!("by_status.{label}"), n);
        }
        m.gauge("servers", servers);
        if let Some(q) = self.cfg.queue {
            m.gauge("queue_capacity", f64::from(q));
        }
        m.gauge("utilisation", self.busy_level.mean(c) / servers);
        m.gauge("busy_mean", self.busy_level.mean(c));
        // The work the measured period accepted, however long it took to drain: accepted
        // requests × their mean holding time / measured time. Beside the time average, it
        // shows what an empty start or work running past the end hides.
        let accepted_work = self.accepted_held / c.measured_secs();
        m.gauge("accepted_work", accepted_work);
        m.gauge("accepted_utilisation", accepted_work / servers);
        m.gauge("queue_mean", self.queue_level.mean(c));
        m.gauge("queue_max", self.queue_level.max());
        m.gauge(
            "in_system_mean",
            self.busy_level.mean(c) + self.queue_level.mean(c),
        );
        let secs = c.measured_secs();
        m.gauge("arrival_rps", self.arrivals.total() as f64 / secs);
        // By the answer's time: a saturated station shows what it can serve, not what it
        // was offered (the backlog drained after the end is not in it).
        m.gauge("throughput_rps", self.answered_in_period as f64 / secs);
        let arrivals = self.arrivals.total().max(1) as f64;
        m.gauge("rejected_fraction", self.rejected.total() as f64 / arrivals);
        m.gauge(
            "wait_probability",
            self.waited as f64 / self.admitted.max(1) as f64,
        );
        m.hist("wait_ms", &self.wait.summary());
        m.hist("response_ms", &self.response.summary());

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn timers_survive_the_kernel(job in 0usize..(1 << 40), retry in any::<bool>()) {
            let t = if retry { Timer::Retry(job) } else { Timer::WorkDone(job) };
            prop_assert_eq!(crate::components::token_round_trip(t), Ok(()));
        }
    }
}
