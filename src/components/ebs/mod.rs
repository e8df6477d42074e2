//! Amazon EBS volumes, attached to the instances of another component: each RDS instance
//! (writer, Multi-AZ standby, read replicas) or each instance of an Auto Scaling group has a
//! volume of its own, with its own credits. aws-facts: §11 EBS (volume types, gp2's burst
//! bucket, gp3's baseline, io1/io2, st1/sc1 throughput credits).
//!
//! A request on an instance makes `ios_per_read` or `ios_per_write` I/Os of `io_size_kib` on
//! its instance's volume. The volume dispatches I/Os first in, first out at most at its IOPS
//! and throughput (`volume.rs`); where it has a burst bucket (gp2's I/O credits, st1's and
//! sc1's throughput credits) each I/O takes its cost from it, and once it is dry I/Os wait
//! for the refill, at the baseline. The request goes on when its last I/O has been dispatched
//! and has completed (`io_latency` later); the time it waited for the volume is its I/O wait.
//! So a database whose gp2 volume spends its credits serves at its baseline, and when its
//! queries need more, their I/Os queue and its latency climbs.
//!
//! The host (the database, the group) holds its volumes through `Shared::volumes` and calls
//! `Volumes::request`; the `ebs` component itself answers no calls: it reports what its
//! volumes did. Not modelled: AWS's merging of sequential I/Os, snapshots, initialisation of
//! volumes restored from snapshots and the instance's own EBS bandwidth limit. Volumes are
//! priced by `prices` (us-east-1, from third-party copies of AWS's pricing page).

mod config;
mod host;
mod import;
mod kind;
mod prices;
mod volume;

pub use config::{parse, EbsConfig, VolumeType, GP2_BUCKET};
pub use host::{Gp3Provisioning, RdsStorage, VolumeHost};
pub use volume::{Credits, VolumeSpec};

use super::{BuildEnv, Component, ComponentReport};
use crate::dist::Dist;
use crate::kernel::{Ctx, Input, SimRng, SimTime};
use crate::metrics::{Clock, Counter, EventLog, Latency, MetricSet};
use kind::{BURST_BALANCE, BURST_CREDITS, IOPS, IOPS_LIMIT, IO_WAIT};
use std::cell::RefCell;
use std::rc::Rc;
use volume::Volume;

/// The volumes of one host component, shared by the host (which does I/O on them) and the
/// `ebs` component (which reports them).
pub type Disk = Rc<RefCell<Volumes>>;

/// The volumes of one host's instances, by instance index, and what they did.
pub struct Volumes {
    spec: VolumeSpec,
    ios_per_read: u32,
    ios_per_write: u32,
    /// The MiB each I/O is charged against the volume's throughput and its credits [MiB].
    io_mib: f64,
    /// I/Os each of the request's I/Os counts as (larger than the type's unit: several).
    counted: f64,
    latency: Dist,
    write_ops: Vec<u16>,
    initial_credits: f64,
    clock: Clock,
    vols: Vec<Volume>,
    // Recorders.
    ios: Counter,
    wait: Latency,
    /// Per window, the lowest closing balance of a live volume [% of its bucket] and the
    /// IOPS limit of that volume then (NaN where no volume was live).
    low_pct: Vec<f64>,
    low_credits: Vec<f64>,
    low_limit: Vec<f64>,
    first_dry: Option<SimTime>,
    /// I/O wait of measured requests before and after their volume first ran dry: (sum [s],
    /// count).
    before: (f64, u64),
    after: (f64, u64),
    /// What happened to the volumes, as (time, event, words), one per volume at most.
    events: Vec<(SimTime, &'static str, String)>,
    /// A volume's price for a month [USD].
    monthly_usd: f64,
    /// Seconds of the measured period the volumes that were detached were attached for.
    volume_secs: f64,
}

/// The MiB an I/O of `size_kib` is charged against a volume's throughput and throughput
/// credits [MiB]. AWS's HDD volumes page (ebs: hdd-vols.html, "Inefficiency of small
/// read/writes on HDD"; aws-facts §11 cites the volume types, not this rule): on st1 and
/// sc1 an I/O of 1 MiB or less counts as a 1 MiB I/O credit, so small random I/Os spend the
/// throughput as whole MiB. SSD types are charged what they move.
fn charged_mib(t: VolumeType, size_kib: f64) -> f64 {
    let mib = size_kib / 1024.0;
    if t.hdd() {
        mib.max(1.0)
    } else {
        mib
    }
}

impl Volumes {
    /// The volumes an `ebs` component describes, none attached yet.
    pub fn new(cfg: &EbsConfig, clock: Clock) -> Volumes {
        let spec = cfg.spec();
        let unit = spec.io_unit_kib;
        let size = f64::from(cfg.io_size_kib);
        let initial_credits = cfg
            .burst_credits
            .or(spec.bucket().map(|c| c.capacity))
            .unwrap_or(0.0);
        Volumes {
            spec,
            ios_per_read: cfg.ios_per_read,
            ios_per_write: cfg.ios_per_write,
            io_mib: charged_mib(cfg.volume_type, size),
            counted: (size / unit).ceil(),
            latency: cfg.io_latency.clone(),
            write_ops: cfg.write_ops.clone(),
            initial_credits,
            clock,
            vols: Vec::new(),
            ios: Counter::new(&clock),
            wait: Latency::new(&clock),
            low_pct: vec![f64::NAN; clock.windows()],
            low_credits: vec![f64::NAN; clock.windows()],
            low_limit: vec![f64::NAN; clock.windows()],
            first_dry: None,
            before: (0.0, 0),
            after: (0.0, 0),
            events: Vec::new(),
            monthly_usd: prices::monthly_usd(
                cfg.volume_type,
                cfg.size_gib,
                cfg.iops,
                cfg.throughput_mibps,
                cfg.stripes,
            ),
            volume_secs: 0.0,
        }
    }

    /// The part of [`attached`, `until`] inside the measured period [s].
    fn measured_secs(&self, attached: f64, until: f64) -> f64 {
        let (from, to) = (
            self.clock.warmup.as_secs_f64(),
            self.clock.end.as_secs_f64(),
        );
        (until.min(to) - attached.max(from)).max(0.0)
    }

    /// A new volume for instance `index`, attached at `now` with a full bucket (or the
    /// scenario's `burst_credits`); the instance's earlier volume, if any, is replaced.
    pub fn attach(&mut self, index: usize, now: SimTime) {
        let t = now.as_secs_f64();
        let v = Volume::new(t, self.initial_credits, self.clock.window_of(now));
        if index >= self.vols.len() {
            self.vols.resize_with(index + 1, || {
                let mut dead = Volume::new(t, 0.0, usize::MAX);
                dead.live = false;
                dead
            });
        }
        self.vols[index] = v;
    }

    /// Instance `index` is gone, and its volume with it.
    pub fn detach(&mut self, index: usize, now: SimTime) {
        if index < self.vols.len() && self.vols[index].live {
            self.sample(index, now.as_secs_f64());
            self.volume_secs += self.measured_secs(self.vols[index].attached, now.as_secs_f64());
            let v = &mut self.vols[index];
            v.live = false;
            v.sampled = usize::MAX;
        }
    }

    /// Instances `a` and `b` exchange volumes (a standby taking over keeps its own).
    pub fn swap(&mut self, a: usize, b: usize) {
        self.vols.swap(a, b);
    }

    /// Records the closing balance of each window of volume `index` that ends by `t` [s]
    /// (the last window closes at the end of the run, which it may not fill).
    fn sample(&mut self, index: usize, t: f64) {
        let Some(c) = self.spec.bucket() else {
            return;
        };
        let v = &mut self.vols[index];
        let width = self.clock.window.as_secs_f64();
        let end = self.clock.end.as_secs_f64();
        let close = |w: usize| ((w + 1) as f64 * width).min(end);
        while v.sampled < self.low_pct.len() && close(v.sampled) <= t {
            let w = v.sampled;
            let bal = v.balance_at(&self.spec, close(w));
            let pct = 100.0 * bal / c.capacity;
            if self.low_pct[w].is_nan() || pct < self.low_pct[w] {
                self.low_pct[w] = pct;
                self.low_credits[w] = bal;
                // An I/O leaves at the peak while a whole credit is there, else at the baseline.
                let dry = bal
                    < if self.spec.iops_credits.is_some() {
                        1.0
                    } else {
                        self.io_mib
                    };
                self.low_limit[w] = if !dry {
                    self.spec.peak_iops.min(self.spec.peak_mibps / self.io_mib)
                } else if self.spec.iops_credits.is_some() {
                    c.refill
                } else {
                    self.spec.peak_iops.min(c.refill / self.io_mib)
                };
            }
            v.sampled += 1;
        }
    }

    /// The I/Os of a request of operation `op` (a write if `write` says so, or else if `op`
    /// is one of the `ebs` component's `write_ops`) on the volumes `on` (the writer's, and a
    /// Multi-AZ standby's that mirrors its writes), arriving at `now`: when the last of them
    /// has completed. Latencies are drawn from the host's stream.
    pub fn request(
        &mut self,
        rng: &mut SimRng,
        on: &[usize],
        now: SimTime,
        op: u16,
        write: Option<bool>,
    ) -> SimTime {
        let write = write.unwrap_or_else(|| self.write_ops.contains(&op));
        let n = if write {
            self.ios_per_write
        } else {
            self.ios_per_read
        };
        let t0 = now.as_secs_f64();
        let measured = self.clock.measured(now);
        let mut last = t0;
        let mut dry = false;
        for &index in on {
            self.sample(index, t0);
            for _ in 0..n {
                let (t, waited) =
                    self.vols[index].dispatch(&self.spec, t0, self.counted, self.io_mib);
                if waited && !self.vols[index].ran_out {
                    self.ran_dry(index, t);
                }
                let at = SimTime::from_secs_f64(t);
                self.ios
                    .add_weighted(&self.clock, at, self.clock.measured(at), self.counted);
                last = last.max(t);
            }
            dry |= self.vols[index].ran_out;
        }
        let wait = last - t0;
        self.wait
            .record(&self.clock, now, SimTime::from_secs_f64(wait), measured);
        if measured {
            let side = if dry {
                &mut self.after
            } else {
                &mut self.before
            };
            side.0 += wait;
            side.1 += 1;
        }
        SimTime::from_secs_f64(last + self.latency.sample(rng))
    }

    fn ran_dry(&mut self, index: usize, t: f64) {
        self.vols[index].ran_out = true;
        let at = SimTime::from_secs_f64(t);
        let words = format!("volume {index}: burst credits spent, down to its baseline");
        let event = if self.first_dry.is_none() {
            self.first_dry = Some(at);
            "burst_credits_spent"
        } else {
            "volume_credits_spent"
        };
        if self.events.len() < crate::limits::MAX_EVENTS_PER_ACTOR {
            self.events.push((at, event, words));
        }
    }

    fn report(&mut self, mut events: EventLog) -> ComponentReport {
        let c = self.clock;
        let end = c.end.as_secs_f64();
        for i in 0..self.vols.len() {
            self.sample(i, end);
        }
        self.wait.finish();
        let mut m = MetricSet::default();
        m.gauge("ios", self.ios.weighted_total());
        m.gauge("volumes", self.vols.len() as f64);
        m.gauge("baseline_iops", self.spec.baseline_iops());
        m.gauge("peak_iops", self.spec.peak_iops);
        m.gauge("peak_mibps", self.spec.peak_mibps);
        m.hist("io_wait_ms", &self.wait.summary());
        // Billed by the second while attached: volumes still attached at the end count to it.
        let live: f64 = self
            .vols
            .iter()
            .filter(|v| v.live)
            .map(|v| self.measured_secs(v.attached, end))
            .sum();
        let hours = (self.volume_secs + live) / 3600.0;
        m.gauge("volume_hours", hours);
        m.gauge("monthly_usd_per_volume", self.monthly_usd);
        m.gauge(
            "cost_usd",
            self.monthly_usd * hours * 3600.0 / prices::MONTH_SECS,
        );
        if let Some(t) = self.first_dry {
            m.gauge("burst_spent_at_s", t.as_secs_f64());
        }
        let mean_ms = |(sum, n): (f64, u64)| 1_000.0 * sum / n as f64;
        if self.before.1 > 0 {
            m.gauge("io_wait_with_credits_mean_ms", mean_ms(self.before));
        }
        if self.after.1 > 0 {
            m.gauge("io_wait_after_spent_mean_ms", mean_ms(self.after));
        }
        let mut series = vec![(&IOPS, self.ios.rate_series(&c))];
        if self.spec.bucket().is_some() {
            let measured: Vec<f64> = self
                .low_pct
                .iter()
                .copied()
                .filter(|p| p.is_finite())
                .collect();
            if let Some(low) = measured.iter().copied().reduce(f64::min) {
                m.gauge("burst_balance_min_pct", low);
            }
            series.push((&BURST_BALANCE, self.low_pct.clone()));
            series.push((&BURST_CREDITS, self.low_credits.clone()));
        }
        series.push((&IOPS_LIMIT, self.iops_limit_series()));
        series.extend(self.wait.series(&IO_WAIT));
        ComponentReport {
            metrics: m,
            series,
            events: {
                for (at, event, words) in std::mem::take(&mut self.events) {
                    events.push(at, event, words);
                }
                events.finish(c.end)
            },
        }
    }

    /// Per window, the IOPS limit of the emptiest volume at its close (a bucketless type's
    /// is its peak, wherever a volume was attached).
    fn iops_limit_series(&self) -> Vec<f64> {
        if self.spec.bucket().is_some() {
            return self.low_limit.clone();
        }
        vec![self.spec.peak_iops.min(self.spec.peak_mibps / self.io_mib); self.low_limit.len()]
    }
}

/// The `ebs` component: it answers no calls; its volumes are used by their host, and it
/// reports them.
pub struct Ebs {
    disk: Disk,
    name: String,
}

impl Ebs {
    /// Builds it for one run over the host's `disk`.
    pub fn new(env: BuildEnv, disk: Disk) -> Ebs {
        Ebs {
            disk,
            name: env.name,
        }
    }
}

impl Component for Ebs {
    fn handle(&mut self, _input: Input, _ctx: &mut Ctx<'_>) {
        // Nothing reaches it: a scenario that sends requests or calls to it is refused
        // (`Kind::answers_calls`), and it sets no timers.
    }

    fn finish(&mut self) -> ComponentReport {
        self.disk.borrow_mut().report(EventLog::new(&self.name))
    }
}
