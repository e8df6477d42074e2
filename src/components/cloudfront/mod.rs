//! Amazon CloudFront: a distribution in front of an origin (any component), its viewers
//! spread over edge locations, each with a cache of its own (aws-facts §9).
//!
//! A request goes to one edge location, drawn by the edges' shares of viewers. The edge's
//! cache is keyed by the request's key: a fresh object is a hit, answered at once; a miss goes
//! up the tiers (a regional edge cache, which every distribution has, then an optional Origin
//! Shield, each a cache too) and at the top to the origin. How long a cache keeps an object
//! is the origin's `Cache-Control: max-age` (per operation, or for all) held within the cache
//! policy's [MinTTL, MaxTTL], or DefaultTTL when the origin sends none. An object passed down from a
//! tier above keeps the expiry it has there (its `Age` counts), so the tiers agree on when it
//! goes stale.
//!
//! Concurrent misses for one key at one cache are collapsed: the first goes up, the others
//! wait for its answer. Caches are bounded (`capacity`, least recently used evicted first).
//!
//! The origin: a connection attempt to an unreachable origin (down, or its zone out) is given
//! up after `connection_timeout` and tried again up to `connection_attempts` times, then the
//! viewer gets 504; once connected, an origin that has not answered within `read_timeout`
//! also means 504 (aws-facts §9 origin timeouts). An error response of a status CloudFront
//! caches (404, 405, 414, 500–504; a timeout counts as the origin's 504) is kept by the cache
//! that fetched it, and the tiers below, for `error_caching_min_ttl` (10 s by default), and
//! answers later requests for the key without asking the origin. A cache that still holds an
//! expired copy serves it when the origin fails (5xx or a timeout), and while that error is
//! cached, instead of the error, as CloudFront does (HTTPStatusCodes.html: "CloudFront
//! continues to serve cached content"); `serve_stale = false` turns that off.
//! Only the operations in `cached` (GETs and HEADs by default) are cached; every other one
//! (POST, PUT, DELETE, …) goes from the edge to the origin, never cached, past the regional
//! edge caches as CloudFront's proxy methods do (and so does an edge's miss for a cached
//! OPTIONS), but through Origin Shield when it is on (see `CloudFront::up`).

mod config;
mod kind;

pub use config::{parse, CloudFrontConfig, EdgeLocation};
use kind::{EDGE_HIT_MAX, EDGE_HIT_MIN, ERRORS, HIT_RATIO, ORIGIN_REQUESTS, REQUESTS};

use super::lru::Lru;
use super::{pack, unpack, BuildEnv, Component, ComponentReport, Edge, Token};
use crate::kernel::IdMap;
use crate::kernel::{CallId, Ctx, Input, Msg, Outcome, SimRng, SimTime};
use crate::metrics::{Clock, Counter, Counts, Durations, EventLog, MetricSet};
use crate::status;
use rand::Rng;
use slab::Slab;

/// What a distribution's timers are for, each about one fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// The fetch has reached the tier above its cache.
    AtParent(usize),
    /// The tier above has answered the fetch, and the answer is back at its cache.
    BackFromParent(usize),
    /// A connection attempt to the origin has timed out.
    ConnectTimedOut(usize),
}

impl Token for Timer {
    fn encode(self) -> u64 {
        match self {
            Timer::AtParent(f) => pack(0, f as u64),
            Timer::BackFromParent(f) => pack(1, f as u64),
            Timer::ConnectTimedOut(f) => pack(2, f as u64),
        }
    }

    fn decode(token: u64) -> Option<Timer> {
        match unpack(token) {
            (0, f) => Some(Timer::AtParent(f as usize)),
            (1, f) => Some(Timer::BackFromParent(f as usize)),
            (2, f) => Some(Timer::ConnectTimedOut(f as usize)),
            _ => None,
        }
    }
}

/// A cached object: fresh until `expires`, kept after that for `serve_stale` until evicted;
/// and an error response cached for the key since.
#[derive(Clone, Copy)]
struct Entry {
    /// When the object goes stale; zero: no object held, only an error.
    expires: SimTime,
    /// An error response cached (the error caching minimum TTL): its status and until when.
    error: Option<(u16, SimTime)>,
}

/// What a cache holds for a key: a fresh object, a cached error, or nothing of use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    /// A fresh object, until its expiry.
    Fresh(SimTime),
    /// A cached error, answered as this (status, expiry, stale) answer: the error until it
    /// expires, or under `serve_stale` an expired copy held beside a 5xx.
    Error((u16, SimTime, bool)),
    /// Nothing fresh: a miss.
    Miss,
}

/// One cache: an edge location's, a regional edge cache or Origin Shield.
struct Tier {
    objects: Lru<u64, Entry>,
    /// The tier a miss goes to; `None`: the origin.
    parent: Option<usize>,
    /// The fetch under way for each key missed here: later misses wait for it. Only looked
    /// up, never iterated.
    inflight: IdMap<u64, usize>,
    /// Lookups and hits in the measured period.
    lookups: u64,
    hits: u64,
}

/// Who waits for a fetch's answer.
#[derive(Clone, Copy, Debug)]
enum Waiter {
    /// A viewer's request (its index in `pending`).
    Viewer(usize),
    /// A fetch of the tier below (its index in `fetches`).
    Child(usize),
}

/// A miss on its way up: to the tier above, or to the origin.
struct Fetch {
    /// The cache that missed; `None`: an uncached operation passed to the origin.
    tier: Option<usize>,
    /// Where it goes: the tier above (`Some`) or the origin (`None`).
    parent: Option<usize>,
    msg: Msg,
    waiters: Vec<Waiter>,
    /// Connection attempts made to the origin.
    attempts: u32,
    /// When the request to the origin was sent.
    sent: SimTime,
    /// When the miss (or the uncached request) that started it came: what it does counts in
    /// the summary when that is in the measured period, as requests do.
    started: SimTime,
    /// The answer from the tier above: its status, the object's expiry, and whether it is a
    /// stale copy served on an error.
    answer: (u16, SimTime, bool),
}

/// A viewer's request waiting for its edge.
struct Pending {
    call: CallId,
    arrived: SimTime,
    size_bytes: u32,
}

/// Per window, the lowest and highest hit ratio among the edges that had lookups in it,
/// counted as time goes on so that memory holds one window's counts per edge.
struct EdgeSpread {
    window: usize,
    lookups: Vec<u32>,
    hits: Vec<u32>,
    min: Vec<f64>,
    max: Vec<f64>,
}

impl EdgeSpread {
    fn new(clock: &Clock, edges: usize) -> EdgeSpread {
        EdgeSpread {
            window: 0,
            lookups: vec![0; edges],
            hits: vec![0; edges],
            min: vec![f64::NAN; clock.windows()],
            max: vec![f64::NAN; clock.windows()],
        }
    }

    fn record(&mut self, clock: &Clock, now: SimTime, edge: usize, hit: bool) {
        let w = clock.window_of(now);
        if w != self.window {
            self.flush();
            self.window = w;
        }
        self.lookups[edge] += 1;
        self.hits[edge] += u32::from(hit);
    }

    fn flush(&mut self) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for (l, h) in self.lookups.iter_mut().zip(self.hits.iter_mut()) {
            if *l > 0 {
                let r = f64::from(*h) / f64::from(*l);
                lo = lo.min(r);
                hi = hi.max(r);
            }
            (*l, *h) = (0, 0);
        }
        if let (Some(a), Some(b)) = (self.min.get_mut(self.window), self.max.get_mut(self.window)) {
            if lo <= hi {
                (*a, *b) = (lo, hi);
            }
        }
    }
}

/// A running distribution: its caches, the misses on their way and the viewers waiting.
pub struct CloudFront {
    cfg: CloudFrontConfig,
    clock: Clock,
    rng: SimRng,
    origin: Edge,
    /// Edge locations first (in the order written), then regional caches, then Origin Shield.
    tiers: Vec<Tier>,
    /// The edges' cumulative shares of viewers.
    cumulative: Vec<f64>,
    fetches: Slab<Fetch>,
    pending: Slab<Pending>,
    // Recorders.
    requests: Counter,
    hits: Counter,
    misses: Counter,
    collapsed: u64,
    origin_requests: Counter,
    connect_failures: u64,
    origin_timeouts: u64,
    stale_served: u64,
    error_hits: u64,
    errors: Counter,
    bytes_out: f64,
    spread: EdgeSpread,
    statuses: Counts<u16>,
    latency: Durations,
    events: EventLog,
}

impl CloudFront {
    /// Builds it for one run, its caches empty.
    pub fn new(cfg: CloudFrontConfig, env: BuildEnv) -> CloudFront {
        let clock = env.clock;
        let (e, r) = (cfg.edges.len(), cfg.regional_caches);
        let shield = cfg.origin_shield.then_some(e + r);
        let tier = |parent| Tier {
            objects: Lru::new(cfg.capacity),
            parent,
            inflight: IdMap::default(),
            lookups: 0,
            hits: 0,
        };
        let mut tiers: Vec<Tier> = (0..e)
            .map(|i| tier(if r > 0 { Some(e + i % r) } else { shield }))
            .collect();
        tiers.extend((0..r).map(|_| tier(shield)));
        if shield.is_some() {
            tiers.push(tier(None));
        }
        let mut sum = 0.0;
        let cumulative = cfg
            .edges
            .iter()
            .map(|edge| {
                sum += edge.share;
                sum
            })
            .collect();
        CloudFront {
            tiers,
            cumulative,
            fetches: Slab::new(),
            pending: Slab::new(),
            requests: Counter::new(&clock),
            hits: Counter::new(&clock),
            misses: Counter::new(&clock),
            collapsed: 0,
            origin_requests: Counter::new(&clock),
            connect_failures: 0,
            origin_timeouts: 0,
            stale_served: 0,
            error_hits: 0,
            errors: Counter::new(&clock),
            bytes_out: 0.0,
            spread: EdgeSpread::new(&clock, e),
            statuses: Counts::default(),
            latency: Durations::default(),
            events: EventLog::new(&env.name),
            origin: env
                .edges
                .into_iter()
                .next()
                .expect("a distribution has its origin"),
            rng: env.rng,
            cfg,
            clock,
        }
    }

    /// The edge location a viewer's request goes to, drawn by the edges' shares.
    fn pick_edge(&mut self) -> usize {
        if self.cumulative.len() == 1 {
            return 0;
        }
        let u: f64 = self.rng.random();
        self.cumulative
            .iter()
            .position(|c| u < *c)
            .unwrap_or(self.cumulative.len() - 1)
    }

    /// What tier `t` holds for `key` at `now`.
    fn find(&mut self, t: usize, key: u64, now: SimTime) -> Found {
        let Some(e) = self.tiers[t].objects.get(&key).copied() else {
            return Found::Miss;
        };
        match e.error {
            Some((status, until)) if until > now => {
                // HTTPStatusCodes.html (not in aws-facts): on a 5xx for an expired object
                // still held, CloudFront serves the object for the error caching minimum TTL.
                let stale = self.cfg.serve_stale && status >= 500 && e.expires > SimTime::ZERO;
                Found::Error(if stale {
                    (status::OK, e.expires, true)
                } else {
                    (status, until, false)
                })
            }
            _ if e.expires > now => Found::Fresh(e.expires),
            _ => Found::Miss,
        }
    }

    fn request(&mut self, ctx: &mut Ctx<'_>, call: CallId, msg: Msg) {
        let now = ctx.now();
        let measured = self.clock.measured(now);
        self.requests.add(&self.clock, now, measured);
        let p = self.pending.insert(Pending {
            call,
            arrived: now,
            size_bytes: msg.size_bytes,
        });
        if !self.cfg.cached.contains(&msg.op) {
            // A proxy method, or any operation not cached: past the regional edge caches,
            // through Origin Shield when it is on (see `up`).
            let f = self.new_fetch(now, None, self.shield(), msg, Waiter::Viewer(p));
            self.send_up(ctx, f);
            return;
        }
        let edge = self.pick_edge();
        let found = self.find(edge, msg.key, now);
        if let Found::Error((status, _, stale)) = found {
            self.error_hits += u64::from(measured);
            self.answer(ctx, p, status, stale);
            return;
        }
        let hit = found != Found::Miss;
        self.spread.record(&self.clock, now, edge, hit);
        let t = &mut self.tiers[edge];
        if measured {
            t.lookups += 1;
            t.hits += u64::from(hit);
        }
        if hit {
            self.hits.add(&self.clock, now, measured);
            self.answer(ctx, p, status::OK, false);
            return;
        }
        self.misses.add(&self.clock, now, measured);
        self.miss(ctx, edge, msg, Waiter::Viewer(p));
    }

    /// A miss at tier `t`: wait for the fetch under way for the key there, or start one.
    fn miss(&mut self, ctx: &mut Ctx<'_>, t: usize, msg: Msg, waiter: Waiter) {
        if let Some(&f) = self.tiers[t].inflight.get(&msg.key) {
            let now = ctx.now();
            if let Waiter::Viewer(_) = waiter {
                self.collapsed += u64::from(self.clock.measured(now));
            }
            self.fetches[f].waiters.push(waiter);
            return;
        }
        let f = self.new_fetch(ctx.now(), Some(t), self.up(t, msg.op), msg, waiter);
        self.tiers[t].inflight.insert(msg.key, f);
        self.send_up(ctx, f);
    }

    /// Origin Shield's tier, when it is on.
    fn shield(&self) -> Option<usize> {
        self.cfg.origin_shield.then(|| self.tiers.len() - 1)
    }

    /// Where a miss at tier `t` for operation `op` goes: the tier above, or `None` for the
    /// origin. Not in aws-facts: CloudFront's developer guide, "How CloudFront works with
    /// regional edge caches"
    /// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HowCloudFrontWorks.html#CloudFrontRegionaledgecaches):
    /// "Proxy HTTP methods (PUT, POST, PATCH, OPTIONS, and DELETE) go directly to the origin
    /// from the POPs and do not proxy through the regional edge caches", so an edge's miss
    /// for a cached OPTIONS skips them. Origin Shield still stands in the way: "When you use
    /// Origin Shield, all requests from all of CloudFront's caching layers to your origin go
    /// through Origin Shield", and for requests proxied to the origin "Origin Shield is always
    /// an incremental layer" (origin-shield.html, "Estimating Origin Shield costs").
    fn up(&self, t: usize, op: u16) -> Option<usize> {
        let edge = t < self.cfg.edges.len();
        if edge && self.cfg.cached_proxies.contains(&op) {
            self.shield()
        } else {
            self.tiers[t].parent
        }
    }

    /// Sends fetch `f` on its way: one tier hop to the tier above, or to the origin.
    fn send_up(&mut self, ctx: &mut Ctx<'_>, f: usize) {
        match self.fetches[f].parent {
            Some(_) => {
                let hop = self.cfg.tier_latency.sample_time(&mut self.rng);
                ctx.schedule(hop, Timer::AtParent(f).encode());
            }
            None => self.connect_to_origin(ctx, f),
        }
    }

    fn new_fetch(
        &mut self,
        now: SimTime,
        tier: Option<usize>,
        parent: Option<usize>,
        msg: Msg,
        waiter: Waiter,
    ) -> usize {
        self.fetches.insert(Fetch {
            started: now,
            tier,
            parent,
            msg,
            waiters: vec![waiter],
            attempts: 0,
            sent: SimTime::ZERO,
            answer: (status::OK, SimTime::ZERO, false),
        })
    }

    /// The fetch has reached the tier above its cache: a hit there goes back down, a miss
    /// goes on up. An uncached request passing through (Origin Shield) is not looked up: it
    /// goes on to the origin, and its answer comes back the same way, never cached.
    fn at_parent(&mut self, ctx: &mut Ctx<'_>, f: usize) {
        let now = ctx.now();
        let (tier, msg) = (self.fetches[f].tier, self.fetches[f].msg);
        let parent = self.fetches[f]
            .parent
            .expect("a fetch sent up has a tier above");
        if tier.is_none() {
            let g = self.new_fetch(self.fetches[f].started, None, None, msg, Waiter::Child(f));
            self.connect_to_origin(ctx, g);
            return;
        }
        let found = self.find(parent, msg.key, now);
        if self.clock.measured(now) && !matches!(found, Found::Error(_)) {
            let p = &mut self.tiers[parent];
            p.lookups += 1;
            p.hits += u64::from(found != Found::Miss);
        }
        match found {
            Found::Fresh(expires) => self.send_down(ctx, f, (status::OK, expires, false)),
            // The cached error goes down with its expiry, and is cached there too.
            Found::Error(answer) => self.send_down(ctx, f, answer),
            Found::Miss => self.miss(ctx, parent, msg, Waiter::Child(f)),
        }
    }

    /// Sends the answer for fetch `f` back down to its cache, one tier hop away.
    fn send_down(&mut self, ctx: &mut Ctx<'_>, f: usize, answer: (u16, SimTime, bool)) {
        self.fetches[f].answer = answer;
        let hop = self.cfg.tier_latency.sample_time(&mut self.rng);
        ctx.schedule(hop, Timer::BackFromParent(f).encode());
    }

    /// A connection attempt to the origin: an unreachable origin lets it time out
    /// (aws-facts: §9 origin timeouts); a reachable one gets the request, which the read
    /// timeout bounds (the origin call's own timeout).
    fn connect_to_origin(&mut self, ctx: &mut Ctx<'_>, f: usize) {
        let now = ctx.now();
        let measured = self.clock.measured(self.fetches[f].started);
        self.fetches[f].attempts += 1;
        if !ctx.reachable(self.origin.to) {
            self.connect_failures += u64::from(measured);
            ctx.schedule(
                self.cfg.connection_timeout,
                Timer::ConnectTimedOut(f).encode(),
            );
            return;
        }
        self.origin_requests.add(&self.clock, now, measured);
        self.fetches[f].sent = now;
        let (msg, retry) = (self.fetches[f].msg, self.fetches[f].attempts > 1);
        self.origin
            .attempt(ctx, &mut self.rng, msg, f as u64, retry);
    }

    /// A connection attempt has failed: try again, or answer 504 after the last
    /// (aws-facts: §9: time to 504 ≈ attempts × connection timeout).
    fn connect_timed_out(&mut self, ctx: &mut Ctx<'_>, f: usize) {
        if self.fetches[f].attempts < self.cfg.connection_attempts {
            self.connect_to_origin(ctx, f);
            return;
        }
        let now = ctx.now();
        let measured = self.clock.measured(self.fetches[f].started);
        self.origin_timeouts += u64::from(measured);
        // HTTPStatusCodes.html (not in aws-facts): an origin that does not respond counts as
        // its 5xx, cached as one.
        let expires = self
            .cfg
            .error_expiry(status::GATEWAY_TIMEOUT, now)
            .unwrap_or(SimTime::ZERO);
        self.fetched(ctx, f, (status::GATEWAY_TIMEOUT, expires, false));
    }

    /// The origin has answered fetch `f` (or the read timeout has passed).
    fn origin_replied(&mut self, ctx: &mut Ctx<'_>, f: usize, outcome: Outcome) {
        let now = ctx.now();
        let measured = self.clock.measured(self.fetches[f].started);
        let status = match outcome {
            Outcome::Status(status::CONNECT_FAILED) => {
                // An instance that did not take the connection: the attempt times out.
                let waited = now - self.fetches[f].sent;
                let rest = self.cfg.connection_timeout.saturating_sub(waited);
                self.connect_failures += u64::from(measured);
                ctx.schedule(rest, Timer::ConnectTimedOut(f).encode());
                return;
            }
            Outcome::Status(s) => s,
            // aws-facts: §9 origin timeouts: no response within the read timeout → 504.
            Outcome::Timeout => {
                self.origin_timeouts += u64::from(measured);
                status::GATEWAY_TIMEOUT
            }
            Outcome::Error => super::DOWNSTREAM_ERROR,
        };
        let expires = if status::is_success(status) {
            now + self.cfg.ttl(self.fetches[f].msg.op)
        } else {
            self.cfg.error_expiry(status, now).unwrap_or(SimTime::ZERO)
        };
        self.fetched(ctx, f, (status, expires, false));
    }

    /// Fetch `f` has its answer at its cache: keep the object, or the error until its expiry
    /// (falling back on a stale copy when the answer is a 5xx), then answer everyone waiting.
    fn fetched(&mut self, ctx: &mut Ctx<'_>, f: usize, answer: (u16, SimTime, bool)) {
        let now = ctx.now();
        let fetch = self.fetches.remove(f);
        let key = fetch.msg.key;
        let (mut status, mut expires, mut stale) = answer;
        if let Some(t) = fetch.tier {
            let tier = &mut self.tiers[t];
            tier.inflight.remove(&key);
            if status::is_success(status) {
                // An object whose TTL is zero (or that went stale above) is not kept.
                if expires > now {
                    tier.objects.put(
                        key,
                        Entry {
                            expires,
                            error: None,
                        },
                    );
                }
            } else {
                let object = tier.objects.get(&key).map_or(SimTime::ZERO, |e| e.expires);
                // An error CloudFront caches carries its expiry; the object, if any, stays
                // beside it for serve_stale.
                if expires > now {
                    let error = Some((status, expires));
                    tier.objects.put(
                        key,
                        Entry {
                            expires: object,
                            error,
                        },
                    );
                }
                // aws-facts: §9 origin timeouts: stale objects can be served on origin errors.
                if self.cfg.serve_stale && status >= 500 && object > SimTime::ZERO {
                    (status, expires, stale) = (status::OK, object, true);
                }
            }
        }
        for w in fetch.waiters {
            match w {
                Waiter::Viewer(p) => self.answer(ctx, p, status, stale),
                Waiter::Child(g) => self.send_down(ctx, g, (status, expires, stale)),
            }
        }
    }

    /// Answers a viewer's request from its edge.
    fn answer(&mut self, ctx: &mut Ctx<'_>, p: usize, status: u16, stale: bool) {
        let now = ctx.now();
        let req = self.pending.remove(p);
        let measured = self.clock.measured(req.arrived);
        let serve = self.cfg.hit_latency.sample_time(&mut self.rng);
        let done = now + serve;
        self.statuses.add(status, measured);
        if status::is_success(status) {
            self.latency.record(done - req.arrived, measured);
            if measured {
                self.bytes_out += f64::from(req.size_bytes);
            }
            if stale {
                self.stale_served += u64::from(measured);
            }
        } else if status >= 500 {
            self.errors.add(&self.clock, done, measured);
        }
        ctx.reply_after(req.call, status, serve);
    }

    fn summary(&self, m: &mut MetricSet) {
        let c = &self.clock;
        let requests = self.requests.total();
        let (h, mi) = (self.hits.total(), self.misses.total());
        let origin = self.origin_requests.total();
        m.count("requests", requests);
        m.count("hits", h);
        m.count("misses", mi);
        m.count("collapsed", self.collapsed);
        m.count("origin_requests", origin);
        m.count("connect_failures", self.connect_failures);
        m.count("origin_timeouts", self.origin_timeouts);
        m.count("stale_served", self.stale_served);
        m.count("error_hits", self.error_hits);
        m.gauge("hit_ratio", h as f64 / (h + mi).max(1) as f64);
        // A distribution no request reached offloaded nothing (as its hit ratio is 0).
        let offload = if requests == 0 {
            0.0
        } else {
            1.0 - origin as f64 / requests as f64
        };
        m.gauge("offload_ratio", offload);
        m.gauge("origin_request_rps", origin as f64 / c.measured_secs());
        let e = self.cfg.edges.len();
        let ratio = |t: &Tier| t.hits as f64 / t.lookups.max(1) as f64;
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for (edge, t) in self.cfg.edges.iter().zip(&self.tiers) {
            let r = ratio(t);
            m.gauge(format!("edge_hit_ratio.{}", edge.name), r);
            if t.lookups > 0 {
                lo = lo.min(r);
                hi = hi.max(r);
            }
        }
        if lo <= hi {
            m.gauge("edge_hit_ratio_min", lo);
            m.gauge("edge_hit_ratio_max", hi);
        }
        let regional = &self.tiers[e..e + self.cfg.regional_caches];
        if !regional.is_empty() {
            let (l, h): (u64, u64) = regional
                .iter()
                .fold((0, 0), |(l, h), t| (l + t.lookups, h + t.hits));
            m.gauge("regional_hit_ratio", h as f64 / l.max(1) as f64);
        }
        if self.cfg.origin_shield {
            m.gauge("shield_hit_ratio", ratio(&self.tiers[self.tiers.len() - 1]));
        }
        // A choice: AWS's price page says GB without defining it; a GB here is 2^30 bytes.
        let gb = self.bytes_out / f64::from(1u32 << 30);
        m.gauge("gb_out", gb);
        m.gauge(
            "cost_usd",
            requests as f64 / 10_000.0 * self.cfg.price_per_10k_requests
                + gb * self.cfg.price_per_gb,
        );
        for (s, n) in self.statuses.iter() {
            m.count(format!("by_status.{s}"), n);
        }
        m.hist("response_ms", &self.latency.summary());
    }
}

impl Component for CloudFront {
    fn handle(&mut self, input: Input, ctx: &mut Ctx<'_>) {
        match input {
            Input::Call(call, msg) => self.request(ctx, call, msg),
            Input::Timer(tag) => match Timer::decode(tag) {
                Some(Timer::AtParent(f)) => self.at_parent(ctx, f),
                Some(Timer::BackFromParent(f)) => {
                    let answer = self.fetches[f].answer;
                    self.fetched(ctx, f, answer);
                }
                Some(Timer::ConnectTimedOut(f)) => self.connect_timed_out(ctx, f),
                None => {}
            },
            Input::Reply(r) => self.origin_replied(ctx, r.tag as usize, r.outcome),
            // It has no fault of its own kind.
            Input::Fault { .. } => {}
        }
    }

    fn finish(&mut self) -> ComponentReport {
        self.spread.flush();
        let mut m = MetricSet::default();
        self.summary(&mut m);
        let c = &self.clock;
        let series = vec![
            (&REQUESTS, self.requests.rate_series(c)),
            (&HIT_RATIO, self.hits.share_series(&self.misses)),
            (&ORIGIN_REQUESTS, self.origin_requests.rate_series(c)),
            (&ERRORS, self.errors.rate_series(c)),
            (&EDGE_HIT_MIN, std::mem::take(&mut self.spread.min)),
            (&EDGE_HIT_MAX, std::mem::take(&mut self.spread.max)),
        ];
        ComponentReport {
            metrics: m,
            series,
            events: self.events.finish(c.end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Timer, Token};
    use crate::components::token_round_trip;
    use proptest::prelude::*;

    fn timer() -> impl Strategy<Value = Timer> {
        prop_oneof![
            (0usize..(1 << 40)).prop_map(Timer::AtParent),
            (0usize..(1 << 40)).prop_map(Timer::BackFromParent),
            (0usize..(1 << 40)).prop_map(Timer::ConnectTimedOut),
        ]
    }

    proptest! {
        #[test]
        fn timers_survive_the_kernel(t in timer()) {
            prop_assert_eq!(token_round_trip(t), Ok(()));
        }

        #[test]
        fn a_token_is_one_timer_or_none(token in any::<u64>()) {
            if let Some(t) = Timer::decode(token) {
                prop_assert_eq!(t.encode(), token);
            }
        }
    }
}
