//! Requests on the group's instances: a worker thread each (or a place in the queue), CPU
//! work on a free vCPU, then the downstream calls in turn, and the answer.

use super::fleet::State;
use super::{AutoScalingGroup, Timer};
use crate::components::{is_probe, AfterReply, CallCursor, Token, PROBE_SHALLOW};
use crate::kernel::{CallId, Ctx, Msg, Reply, SimTime};
use crate::status;

/// aws-facts: §3 ALB status codes: a target connection not established in 10 s gives 504.
const CONNECT_TIMEOUT: SimTime = SimTime::from_secs(10);

/// A request holding one of an instance's worker threads.
pub(super) struct Job {
    pub(super) call: CallId,
    pub(super) msg: Msg,
    /// When it arrived [s].
    pub(super) arrived: SimTime,
    /// Its instance's index.
    pub(super) instance: usize,
    /// Its way through the downstream calls.
    pub(super) calls: CallCursor,
    /// A load balancer's health check, left out of the figures.
    pub(super) probe: bool,
    /// Its instance is gone: nobody gets an answer; the slot is freed at its next event.
    pub(super) dead: bool,
}

impl AutoScalingGroup {
    /// The instance stops: what it holds gets `status` (or nothing, for a failure nobody
    /// sees), its jobs die.
    /// Returns how many requests (not probes) it held.
    pub(super) fn kill(&mut self, ctx: &mut Ctx<'_>, idx: usize, status: Option<u16>) -> u64 {
        let mut held = 0;
        let now = ctx.now();
        let inst = &mut self.instances[idx];
        inst.advance(now);
        let busy = inst.busy_cpus;
        inst.busy_cpus = 0;
        inst.threads_used = 0;
        let waiting: Vec<_> = inst.waiting.drain(..).collect();
        let queued: Vec<usize> = inst.cpu_queue.drain(..).collect();
        self.busy.add(&self.clock, now, -f64::from(busy));
        for (call, msg, arrived) in waiting {
            let probe = is_probe(msg.op);
            held += u64::from(!probe);
            if let Some(s) = status {
                self.answer(ctx, call, arrived, s, probe);
            }
        }
        let mine: Vec<usize> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.instance == idx && !j.dead)
            .map(|(k, _)| k)
            .collect();
        for k in mine {
            let (call, arrived, probe) = {
                let j = &mut self.jobs[k];
                j.dead = true;
                (j.call, j.arrived, j.probe)
            };
            held += u64::from(!probe);
            if let Some(s) = status {
                self.answer(ctx, call, arrived, s, probe);
            }
        }
        // Jobs waiting for a vCPU have no event to come: free them now.
        for k in queued {
            self.jobs.remove(k);
        }
        held
    }

    pub(super) fn answer(
        &mut self,
        ctx: &mut Ctx<'_>,
        call: CallId,
        arrived: SimTime,
        status: u16,
        probe: bool,
    ) {
        ctx.reply(call, status);
        if probe {
            return;
        }
        let now = ctx.now();
        let measured = self.clock.measured(arrived);
        self.statuses.add(status, measured);
        if status::is_success(status) {
            self.response
                .record(&self.clock, now, now - arrived, measured);
        }
    }

    pub(super) fn arrive(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let probe = is_probe(msg.op);
        if !probe {
            self.requests
                .add(&self.clock, now, self.clock.measured(now));
        }
        let idx = if msg.instance != 0 {
            msg.instance as usize - 1
        } else if self.routable.is_empty() {
            self.answer(ctx, call, now, status::SERVICE_UNAVAILABLE, probe);
            return;
        } else {
            let k = self.routable[self.next % self.routable.len()];
            self.next = self.next.wrapping_add(1);
            k
        };
        match self.instances.get(idx).map(|i| i.state) {
            Some(State::InService | State::Draining) => {}
            Some(State::Failed) => {
                // Nothing answers: a probe times out, a request's connection attempt fails. Its
                // load balancer is told the connection failed, and answers as its type does.
                if !probe {
                    let s = if msg.instance != 0 {
                        status::CONNECT_FAILED
                    } else {
                        status::GATEWAY_TIMEOUT
                    };
                    ctx.reply_after(call, s, CONNECT_TIMEOUT);
                    let measured = self.clock.measured(now);
                    self.statuses.add(status::GATEWAY_TIMEOUT, measured);
                }
                return;
            }
            // Gone (the load balancer's view was a hop behind): connection refused.
            _ => {
                self.answer(ctx, call, now, status::CONNECTION_RESET, probe);
                return;
            }
        }
        if msg.op == PROBE_SHALLOW {
            ctx.reply(call, status::OK);
            return;
        }
        let inst = &mut self.instances[idx];
        inst.requests_in_period += u64::from(!probe);
        if inst.threads_used < self.cfg.threads {
            self.start_job(ctx, idx, call, msg, now, probe);
        } else if inst.waiting.len() < self.cfg.queue as usize {
            inst.waiting.push_back((call, msg, now));
        } else {
            if !probe {
                self.rejected
                    .add(&self.clock, now, self.clock.measured(now));
            }
            self.answer(ctx, call, now, status::SERVICE_UNAVAILABLE, probe);
        }
    }

    pub(super) fn start_job(
        &mut self,
        ctx: &mut Ctx<'_>,
        idx: usize,
        call: CallId,
        msg: Msg,
        arrived: SimTime,
        probe: bool,
    ) {
        self.instances[idx].threads_used += 1;
        let job = self.jobs.insert(Job {
            call,
            msg,
            arrived,
            instance: idx,
            calls: CallCursor::default(),
            probe,
            dead: false,
        });
        let inst = &self.instances[idx];
        if inst.busy_cpus < self.cfg.itype.vcpus {
            self.run_cpu(ctx, job);
        } else {
            self.instances[idx].cpu_queue.push_back(job);
        }
    }

    pub(super) fn run_cpu(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let now = ctx.now();
        let idx = self.jobs[job].instance;
        let inst = &mut self.instances[idx];
        inst.advance(now);
        inst.busy_cpus += 1;
        self.busy.add(&self.clock, now, 1.0);
        let work = self.cfg.work.sample(&mut self.rng) / self.cfg.itype.speed;
        let j = &self.jobs[job];
        if !j.probe && self.clock.measured(j.arrived) {
            self.accepted_cpu_s += work;
        }
        ctx.schedule(SimTime::from_secs_f64(work), Timer::Work(job).encode());
    }

    pub(super) fn work_done(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        if self.jobs[job].dead {
            self.jobs.remove(job);
            return;
        }
        let now = ctx.now();
        let idx = self.jobs[job].instance;
        let inst = &mut self.instances[idx];
        inst.advance(now);
        inst.busy_cpus -= 1;
        self.busy.add(&self.clock, now, -1.0);
        if let Some(next) = self.instances[idx].cpu_queue.pop_front() {
            self.run_cpu(ctx, next);
        }
        let j = &self.jobs[job];
        match &self.disk {
            // Its I/Os on the instance's volume, then its calls. A load balancer's probe
            // does none: it checks the instance, not its disk.
            Some(disk) if !j.probe => {
                let done = disk
                    .borrow_mut()
                    .request(&mut self.rng, &[idx], now, j.msg.op, None);
                ctx.schedule(done - now, Timer::Io(job).encode());
            }
            _ => self.proceed(ctx, job),
        }
    }

    /// A job's I/Os are done: on to its calls, unless its instance is gone meanwhile.
    pub(super) fn io_done(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        if self.jobs[job].dead {
            self.jobs.remove(job);
            return;
        }
        self.proceed(ctx, job);
    }

    pub(super) fn proceed(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        let j = &mut self.jobs[job];
        let zone = self.instances[j.instance].zone;
        if j.calls
            .call_next(
                &self.zone_edges[zone],
                ctx,
                &mut self.rng,
                j.msg,
                job as u64,
            )
            .is_none()
        {
            self.complete(ctx, job, status::OK);
        }
    }

    pub(super) fn complete(&mut self, ctx: &mut Ctx<'_>, job: usize, status: u16) {
        let now = ctx.now();
        let j = self.jobs.remove(job);
        self.answer(ctx, j.call, j.arrived, status, j.probe);
        let idx = j.instance;
        let inst = &mut self.instances[idx];
        inst.threads_used -= 1;
        if let Some((call, msg, arrived)) = inst.waiting.pop_front() {
            let probe = is_probe(msg.op);
            self.start_job(ctx, idx, call, msg, arrived, probe);
        } else if inst.state == State::Draining && inst.in_flight() == 0 {
            self.finish_drain(now, idx);
        }
    }

    /// The SDK's backoff is over: the job's current call again, unless its instance is gone.
    pub(super) fn call_again(&mut self, ctx: &mut Ctx<'_>, job: usize) {
        if self.jobs[job].dead {
            self.jobs.remove(job);
            return;
        }
        let zone = self.instances[self.jobs[job].instance].zone;
        let j = &mut self.jobs[job];
        j.calls.call_again(
            &self.zone_edges[zone],
            ctx,
            &mut self.rng,
            j.msg,
            job as u64,
        );
    }

    /// A downstream call of a job has ended: try it again, go on, or answer.
    pub(super) fn reply(&mut self, ctx: &mut Ctx<'_>, r: Reply) {
        let job = r.tag as usize;
        if self.jobs[job].dead {
            self.jobs.remove(job);
            return;
        }
        let j = &mut self.jobs[job];
        let inst = &mut self.instances[j.instance];
        let edges = &self.zone_edges[inst.zone];
        match j
            .calls
            .after_reply(edges, &mut inst.tokens, r.outcome, &mut self.rng)
        {
            AfterReply::Retry(wait) => ctx.schedule(wait, Timer::Retry(job).encode()),
            AfterReply::Next => self.proceed(ctx, job),
            AfterReply::Fail(s) => self.complete(ctx, job, s),
        }
    }
}
