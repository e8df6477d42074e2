//! Spans of sampled requests: where the time of one request went, hop by hop.
//!
//! An actor that originates a request may open a root span for it (`Ctx::open_root`) and
//! put its id in `Msg::span`. From then on the kernel does the rest: every call made with a
//! message whose `span` is not 0 opens a child span (caller, callee, operation, attempt,
//! when it left, reached the callee, was answered and ended, and how) and the callee
//! receives the message with `span` set to that child, so the calls it makes in turn nest
//! under it. An actor may add spans of its own time (`Ctx::own_span`: a cold start, a wait in
//! a service's queue). A message a component queues (an SQS message, a Lambda event, a
//! stream record, an SNS delivery) keeps its trace open across the asynchronous hop with a
//! wait span and a hold (`Ctx::enqueue_span` … `release_span`). A message whose `span` is 0
//! costs one test per call and nothing else.
//!
//! A trace is finished when its root and every span in it have ended (or the run ends); it
//! then goes to its root actor's keeper, which holds the slowest traces and a uniform sample
//! of the others, both of bounded size. Memory grows with sampled requests in flight (each
//! with at most `max_spans` spans), with the queued messages holding traces (at most
//! `max_held`) and with the keepers' sizes, never with requests served.

use super::IdMap;
use super::{ActorId, SimRng, SimTime};
use std::borrow::Cow;

/// How a span ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanEnd {
    /// The callee answered with this status (or, for a root, the request's final status).
    Status(u16),
    /// The caller's timeout fired first.
    Timeout,
    /// The answer arrived and says the work failed.
    Error,
    /// Still open when the run ended: a call nobody answered and nobody timed out, a
    /// message still queued.
    Unfinished,
    /// A queue's wait: its consumer took the message (a receive, a delivery, a stream's
    /// poller reading it).
    Received,
    /// A queue's wait: the message's retention (or maximum age) ran out.
    Expired,
    /// A queue's wait: the message was moved to a dead-letter queue (or a failure
    /// destination).
    DeadLettered,
    /// A queue's wait: the message was given up with nowhere to go.
    Discarded,
}

/// One finished span.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Its id, unique within the run (from 1).
    pub id: u32,
    /// The span it nests under; 0 for a trace's root.
    pub parent: u32,
    /// Who made the call (for an actor's own span and a root, that actor).
    pub caller: ActorId,
    /// Who was called (for an actor's own span and a root, the actor itself).
    pub callee: ActorId,
    /// The call's operation.
    pub op: u16,
    /// Empty for a call or a root; for an actor's own span, what the time was spent on.
    pub label: Cow<'static, str>,
    /// For a call: 1, or one more than the previous call from the same parent to the same
    /// callee with the same operation if that one had ended without success (a retry).
    pub attempt: u16,
    /// When it began: a call when its caller made it, a root when the request was sent.
    pub start: SimTime,
    /// When the request reached the callee (a call that never did: `None`).
    pub arrival: Option<SimTime>,
    /// When the callee answered (a call never answered: `None`).
    pub answer: Option<SimTime>,
    /// When it ended: for a call, when the reply reached the caller or its timeout fired.
    pub end: SimTime,
    /// How it ended.
    pub outcome: SpanEnd,
    /// A call the network or a fault lost on the way (it could only time out).
    pub lost: bool,
    /// Spans of other traces this one follows from, each by (trace number, span id): a
    /// batch's call under one message's wait links the other messages' waits (OTLP links).
    pub links: Vec<(u64, u32)>,
}

/// A finished trace: its spans, the root first, then in the order they were opened.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Its number within the run (from 1), in the order roots were opened.
    pub id: u64,
    /// Its spans; `spans[0]` is the root.
    pub spans: Vec<Span>,
}

impl Trace {
    /// The root span.
    pub fn root(&self) -> &Span {
        &self.spans[0]
    }

    /// The root's duration: the request's latency as its originator saw it.
    pub fn duration(&self) -> SimTime {
        let r = self.root();
        SimTime(r.end.0.saturating_sub(r.start.0))
    }
}

/// How many traces an actor keeps: its `slowest` and a uniform `sample` of the others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Keep {
    /// The slowest finished traces kept [traces].
    pub slowest: usize,
    /// A uniform sample of all its finished traces kept [traces].
    pub sample: usize,
    /// The slowest are taken among the traces whose root started then or later (the end of
    /// the warmup): an earlier one, which no figure counts, takes no place among them.
    pub slowest_from: SimTime,
}

#[derive(Default)]
struct Keeper {
    keep: Keep,
    /// The slowest, unordered (a new one replaces the fastest of them).
    slowest: Vec<Trace>,
    /// Once `slowest` is full: the index and duration of the one a slower trace replaces,
    /// so that a trace no slower (most of them) is turned away without a scan.
    fastest: Option<(usize, SimTime)>,
    /// Reservoir sample (Algorithm R) over every finished trace.
    sample: Vec<Trace>,
    seen: u64,
}

impl Keeper {
    /// Keeps `t` if it is among the slowest, and a copy if it is drawn into the sample;
    /// hands `t` back when the slowest did not take it.
    fn offer(&mut self, t: Trace, rng: &mut SimRng) -> Option<Trace> {
        use rand::Rng;
        self.seen += 1;
        if self.keep.sample > 0 {
            if self.sample.len() < self.keep.sample {
                self.sample.push(t.clone());
            } else {
                let j = rng.random_range(0..self.seen);
                if (j as usize) < self.keep.sample {
                    self.sample[j as usize] = t.clone();
                }
            }
        }
        if self.keep.slowest == 0 || t.root().start < self.keep.slowest_from {
            return Some(t);
        }
        if self.slowest.len() < self.keep.slowest {
            self.slowest.push(t);
        } else {
            let (i, fastest) = self.fastest.expect("a full keeper knows its fastest");
            // Ties keep the earlier trace: the result does not depend on anything but order.
            if t.duration() <= fastest {
                return Some(t);
            }
            self.slowest[i] = t;
        }
        self.find_fastest();
        None
    }

    /// Finds the kept trace a slower one would replace, once the slowest are full.
    fn find_fastest(&mut self) {
        self.fastest = if self.slowest.len() >= self.keep.slowest {
            self.slowest
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| (s.duration(), std::cmp::Reverse(s.id)))
                .map(|(i, s)| (i, s.duration()))
        } else {
            None
        };
    }
}

struct OpenTrace {
    id: u64,
    /// Who opened the root: its keeper takes the trace.
    owner: ActorId,
    spans: Vec<Span>,
    /// Spans opened and not ended.
    open: u32,
}

/// The spans of a run: open traces, and the keepers of finished ones.
pub struct Tracer {
    next_span: u32,
    next_trace: u64,
    /// Each span of an open trace: (its trace's slot, its index in that trace).
    live: IdMap<u32, (u32, u32)>,
    traces: slab::Slab<OpenTrace>,
    keepers: Vec<Keeper>,
    max_spans: usize,
    rng: SimRng,
    /// Spans not recorded because their trace had `max_spans` already.
    pub spans_dropped: u64,
    /// Queued messages holding their trace open now, and the most that may.
    held: u32,
    max_held: u32,
    /// Traced messages that entered a queue when `max_held` already held theirs: not
    /// traced further.
    pub queued_untraced: u64,
    /// Emptied span lists of traces no keeper kept, for the next roots (at most
    /// `SPARE_LISTS`, each of at most `SPARE_SPANS` spans' room): a sampled request
    /// allocates nothing once the run is under way.
    spare: Vec<Vec<Span>>,
}

const SPARE_LISTS: usize = 64;
const SPARE_SPANS: usize = 64;

impl Tracer {
    pub(crate) fn new(actors: usize, max_spans: usize, max_held: u32, rng: SimRng) -> Tracer {
        Tracer {
            next_span: 1,
            next_trace: 1,
            live: IdMap::default(),
            traces: slab::Slab::new(),
            keepers: (0..actors).map(|_| Keeper::default()).collect(),
            max_spans,
            rng,
            spans_dropped: 0,
            held: 0,
            max_held,
            queued_untraced: 0,
            spare: Vec::new(),
        }
    }

    /// How many of its finished traces `actor` keeps.
    pub fn keep(&mut self, actor: ActorId, keep: Keep) {
        let k = &mut self.keepers[actor as usize];
        k.keep = keep;
        k.find_fastest();
    }

    pub(crate) fn open_root(&mut self, actor: ActorId, op: u16, now: SimTime) -> u32 {
        if self.next_span == u32::MAX {
            return 0;
        }
        let id = self.next_span;
        self.next_span += 1;
        let mut spans = self.spare.pop().unwrap_or_default();
        spans.push(span(id, 0, actor, actor, op, now));
        let slot = self.traces.insert(OpenTrace {
            id: self.next_trace,
            owner: actor,
            spans,
            open: 1,
        });
        self.next_trace += 1;
        self.live.insert(id, (slot as u32, 0));
        id
    }

    /// Opens a span under `parent`; 0 when `parent` belongs to no open trace (it finished)
    /// or its trace is full.
    pub(crate) fn open(
        &mut self,
        parent: u32,
        caller: ActorId,
        callee: ActorId,
        op: u16,
        now: SimTime,
    ) -> u32 {
        let Some(&(slot, _)) = self.live.get(&parent) else {
            return 0;
        };
        let t = &mut self.traces[slot as usize];
        if t.spans.len() >= self.max_spans || self.next_span == u32::MAX {
            self.spans_dropped += 1;
            return 0;
        }
        let id = self.next_span;
        self.next_span += 1;
        let mut s = span(id, parent, caller, callee, op, now);
        // A retry follows an earlier failed call of the same parent, callee and operation.
        if let Some(prev) =
            t.spans.iter().rev().find(|p| {
                p.parent == parent && p.callee == callee && p.op == op && p.label.is_empty()
            })
        {
            let failed = !matches!(prev.outcome, SpanEnd::Status(s) if (200..300).contains(&s));
            if prev.end <= now && prev.end != SimTime::MAX && failed {
                s.attempt = prev.attempt.saturating_add(1);
            }
        }
        t.spans.push(s);
        t.open += 1;
        self.live.insert(id, (slot, (t.spans.len() - 1) as u32));
        id
    }

    /// Records a finished span of `actor`'s own time under `parent`.
    pub(crate) fn own(
        &mut self,
        parent: u32,
        actor: ActorId,
        label: &'static str,
        start: SimTime,
        end: SimTime,
    ) {
        let Some((slot, mut s)) = self.new_own(parent, actor, label, start) else {
            return;
        };
        s.end = end;
        s.outcome = SpanEnd::Status(200);
        s.answer = Some(end);
        // Its id is live so that it could parent others; it is not open.
        self.push(slot, s, false);
    }

    /// Opens a span of `actor`'s own time under `parent` that ends later (`end`), its
    /// attempt given; 0 when `parent` belongs to no open trace or its trace is full.
    pub(crate) fn open_own(
        &mut self,
        parent: u32,
        actor: ActorId,
        label: &'static str,
        now: SimTime,
        attempt: u16,
    ) -> u32 {
        let Some((slot, mut s)) = self.new_own(parent, actor, label, now) else {
            return 0;
        };
        s.attempt = attempt;
        self.push(slot, s, true)
    }

    /// A span of `actor`'s own time under `parent` begun at `start`, its id taken, with its
    /// trace's slot; `None` when `parent` is in no open trace or its trace is full.
    fn new_own(
        &mut self,
        parent: u32,
        actor: ActorId,
        label: &'static str,
        start: SimTime,
    ) -> Option<(u32, Span)> {
        let &(slot, pi) = self.live.get(&parent)?;
        let t = &self.traces[slot as usize];
        if t.spans.len() >= self.max_spans || self.next_span == u32::MAX {
            self.spans_dropped += 1;
            return None;
        }
        let id = self.next_span;
        self.next_span += 1;
        let mut s = span(id, parent, actor, actor, t.spans[pi as usize].op, start);
        s.label = Cow::Borrowed(label);
        s.arrival = Some(start);
        Some((slot, s))
    }

    /// Adds span `s` to the trace in `slot` (counted open if `open`) and makes its id live.
    fn push(&mut self, slot: u32, s: Span, open: bool) -> u32 {
        let id = s.id;
        let t = &mut self.traces[slot as usize];
        t.spans.push(s);
        t.open += u32::from(open);
        self.live.insert(id, (slot, (t.spans.len() - 1) as u32));
        id
    }

    /// A traced message enters a queue of `actor`: opens its wait (`label`) under `parent`,
    /// and holds its trace open until `release`, whatever becomes of the spans meanwhile.
    /// 0 when `parent` is not traced or its trace is full, and when `max_held` messages
    /// hold their traces already (counted in `queued_untraced`): that message is not
    /// traced further.
    pub(crate) fn enqueue(
        &mut self,
        parent: u32,
        actor: ActorId,
        label: &'static str,
        now: SimTime,
    ) -> u32 {
        let Some(&(slot, _)) = self.live.get(&parent) else {
            return 0;
        };
        if self.held >= self.max_held {
            self.queued_untraced += 1;
            return 0;
        }
        let id = self.open_own(parent, actor, label, now, 1);
        if id != 0 {
            self.held += 1;
            self.traces[slot as usize].open += 1;
        }
        id
    }

    /// The message of wait span `wait` waits again (a redelivery, a retry): a new wait
    /// beside it (same parent and label), its attempt one more. `wait` itself when its
    /// trace is full (the message's hold goes with either).
    pub(crate) fn requeue(&mut self, wait: u32, now: SimTime) -> u32 {
        let Some(s) = self.get(wait) else {
            return wait;
        };
        let (parent, actor, label, attempt) = (s.parent, s.callee, s.label.clone(), s.attempt);
        let Cow::Borrowed(label) = label else {
            return wait;
        };
        match self.open_own(parent, actor, label, now, attempt.saturating_add(1)) {
            0 => wait,
            id => id,
        }
    }

    /// The message of wait span `wait` leaves its queue for good: the wait ends with
    /// `outcome` if it is still open, and the message's hold on its trace is released.
    pub(crate) fn release(&mut self, wait: u32, outcome: SpanEnd, now: SimTime) {
        let Some(&(slot, _)) = self.live.get(&wait) else {
            return;
        };
        self.end(wait, outcome, now);
        self.held -= 1;
        let t = &mut self.traces[slot as usize];
        t.open -= 1;
        if t.open == 0 {
            self.finish(slot as usize);
        }
    }

    /// Notes that span `id` follows from span `other` too (of its trace or another one
    /// still open): an OTLP link.
    pub(crate) fn link(&mut self, id: u32, other: u32) {
        let Some(&(slot, _)) = self.live.get(&other) else {
            return;
        };
        let trace = self.traces[slot as usize].id;
        if let Some(s) = self.get(id) {
            s.links.push((trace, other));
        }
    }

    /// Notes when the request of span `id` reached its callee.
    pub(crate) fn arrived(&mut self, id: u32, now: SimTime) {
        if let Some(s) = self.get(id) {
            s.arrival = Some(now);
        }
    }

    /// Notes when the callee of span `id` answered.
    pub(crate) fn answered(&mut self, id: u32, now: SimTime) {
        if let Some(s) = self.get(id) {
            if s.answer.is_none() {
                s.answer = Some(now);
            }
        }
    }

    /// Marks span `id` as lost on the way.
    pub(crate) fn lost(&mut self, id: u32) {
        if let Some(s) = self.get(id) {
            s.lost = true;
        }
    }

    fn get(&mut self, id: u32) -> Option<&mut Span> {
        let &(slot, i) = self.live.get(&id)?;
        Some(&mut self.traces[slot as usize].spans[i as usize])
    }

    /// Ends span `id`; when that was its trace's last open span, the trace goes to its keeper.
    pub(crate) fn end(&mut self, id: u32, outcome: SpanEnd, now: SimTime) {
        let Some(&(slot, i)) = self.live.get(&id) else {
            return;
        };
        let t = &mut self.traces[slot as usize];
        let s = &mut t.spans[i as usize];
        if s.end != SimTime::MAX {
            return;
        }
        s.end = now;
        s.outcome = outcome;
        t.open -= 1;
        if t.open == 0 {
            self.finish(slot as usize);
        }
    }

    fn finish(&mut self, slot: usize) {
        let t = self.traces.remove(slot);
        for s in &t.spans {
            self.live.remove(&s.id);
        }
        let trace = Trace {
            id: t.id,
            spans: t.spans,
        };
        if let Some(mut turned_away) = self.keepers[t.owner as usize].offer(trace, &mut self.rng) {
            if self.spare.len() < SPARE_LISTS && turned_away.spans.capacity() <= SPARE_SPANS {
                turned_away.spans.clear();
                self.spare.push(turned_away.spans);
            }
        }
    }

    /// Ends every span still open at `now` (`SpanEnd::Unfinished`), in the order their traces
    /// were opened, and hands over every kept trace, by trace number.
    pub(crate) fn close(&mut self, now: SimTime) -> Vec<Trace> {
        let mut open: Vec<(u64, usize)> = self.traces.iter().map(|(k, t)| (t.id, k)).collect();
        open.sort_unstable();
        for (_, slot) in open {
            for s in &mut self.traces[slot].spans {
                if s.end == SimTime::MAX {
                    s.end = now;
                    s.outcome = SpanEnd::Unfinished;
                }
            }
            self.finish(slot);
        }
        self.held = 0;
        let mut all: Vec<Trace> = Vec::new();
        for k in &mut self.keepers {
            all.append(&mut k.slowest);
            all.append(&mut k.sample);
        }
        all.sort_by_key(|t| t.id);
        all.dedup_by_key(|t| t.id);
        all
    }
}

fn span(id: u32, parent: u32, caller: ActorId, callee: ActorId, op: u16, now: SimTime) -> Span {
    Span {
        id,
        parent,
        caller,
        callee,
        op,
        label: Cow::Borrowed(""),
        attempt: 1,
        start: now,
        arrival: None,
        answer: None,
        end: SimTime::MAX,
        outcome: SpanEnd::Unfinished,
        lost: false,
        links: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn trace(id: u64, ms: u64) -> Trace {
        let mut root = span(id as u32, 0, 0, 0, 0, SimTime::ZERO);
        root.end = SimTime::from_millis(ms);
        Trace {
            id,
            spans: vec![root],
        }
    }

    #[test]
    fn a_keeper_holds_the_slowest_ties_going_to_the_earlier_and_hands_back_the_rest() {
        let mut rng = SimRng::seed_from_u64(1);
        let mut k = Keeper {
            keep: Keep {
                slowest: 4,
                sample: 0,
                slowest_from: SimTime::ZERO,
            },
            ..Keeper::default()
        };
        // Durations with ties, the slowest arriving late; a no-faster trace is handed back.
        let ms = [5, 9, 5, 1, 9, 7, 5, 9, 3, 12, 7, 9, 12, 2, 9];
        let mut handed_back = Vec::new();
        for (i, &d) in ms.iter().enumerate() {
            if let Some(t) = k.offer(trace(i as u64 + 1, d), &mut rng) {
                handed_back.push(t.id);
            }
        }
        // The four slowest by (duration, earlier first): 12 (#10, #13), then 9 (#2, #5).
        let mut kept: Vec<u64> = k.slowest.iter().map(|t| t.id).collect();
        kept.sort_unstable();
        assert_eq!(kept, vec![2, 5, 10, 13]);
        // Turned away at once: those no slower than the fastest kept at their time. The
        // ones kept and displaced later (#4, #3, #1, #6, #8) are not handed back.
        assert_eq!(handed_back, vec![7, 9, 11, 12, 14, 15]);
        assert_eq!(k.seen, ms.len() as u64);
    }

    #[test]
    fn a_trace_that_started_before_the_slowest_are_counted_takes_no_place_among_them() {
        // The warmup's traces (rooted before 10 ms) are the slowest, yet the four kept are
        // the slowest of the later ones; the earlier are handed back at once.
        let mut rng = SimRng::seed_from_u64(1);
        let mut k = Keeper {
            keep: Keep {
                slowest: 4,
                sample: 0,
                slowest_from: SimTime::from_millis(10),
            },
            ..Keeper::default()
        };
        let at = |id: u64, start_ms: u64, ms: u64| {
            let mut t = trace(id, 0);
            t.spans[0].start = SimTime::from_millis(start_ms);
            t.spans[0].end = SimTime::from_millis(start_ms + ms);
            t
        };
        let mut handed_back = Vec::new();
        for (id, start, ms) in [
            (1, 0, 90),
            (2, 5, 80),
            (3, 10, 3),
            (4, 11, 5),
            (5, 12, 4),
            (6, 13, 6),
            (7, 9, 70),
            (8, 14, 7),
        ] {
            if let Some(t) = k.offer(at(id, start, ms), &mut rng) {
                handed_back.push(t.id);
            }
        }
        let mut kept: Vec<u64> = k.slowest.iter().map(|t| t.id).collect();
        kept.sort_unstable();
        assert_eq!(kept, vec![4, 5, 6, 8]);
        assert_eq!(handed_back, vec![1, 2, 7]);
    }
}
