//! The future event list: a radix heap of events by time, plus FIFO lanes for events
//! scheduled a fixed delay ahead (timeouts), which need no sorting.
//!
//! Ties are deterministic and first-in-first-out: two events scheduled for the same instant
//! come out in the order they were pushed, on every run and machine. The heap keeps ties in
//! push order by itself (see `Radix`); each event carries a sequence number that only grows,
//! which orders it against a lane's event of the same time.
//!
//! Why lanes: most timeouts never fire (the call is answered first) but would sit in the queue
//! for their whole delay: at 10,000 requests/s a 29 s timeout keeps 290,000 entries in a heap
//! that otherwise holds a few hundred. Events pushed with the same delay come due in the order
//! they were pushed, so a list per delay keeps them sorted for free; `pop` takes the earliest
//! of the heap's top and the lanes' heads, by (time, sequence). A lane is a
//! doubly linked list over one slab, so a timeout whose call was answered is cancelled in
//! O(1) and leaves no trace: the lanes hold only what may still fire (a few hundred entries,
//! in cache) instead of streaming hundreds of thousands of dead ones through memory.
//!
//! The heap stays small only if the delays that recur are the lanes' (at most 16 distinct):
//! a timeout measured from a varying instant (now + work + timeout) would land in the heap
//! every time, which was measured to cost a fifth of the serverless benchmark's time.
//!
//! Why a radix heap: a simulation never schedules into its past, so the queue is monotone and
//! a radix heap's pushes need no comparison at all. Measured against std's binary heap (with
//! its popped top overwritten by the next push) and a 4-ary heap, whole processes: M/M/10
//! (10 M customers) took 1.16× less CPU with it and the serverless benchmark (5 simulated
//! minutes) 1.07× less, in the README's release build (one codegen unit); 1.21× and 1.16× in
//! a build of 16 units, where the 4-ary heap gave 1.06× and 1.04×. Keyed by the time alone
//! (one word, not the time and sequence in two), the events at the time it last took out in
//! its bucket 0 (where the events due at the instant just popped had a FIFO of their own
//! beside it; one pushed at an instant a lane's event made now takes a spread), it took 0.958×
//! the CPU on M/M/10 and 0.973× on the serverless benchmark at 5 simulated minutes in the
//! README's release build (README, Performance: whole `archsim run … --no-plots` processes,
//! interleaved pairs against the build before; pairs 0.91–1.00× and 0.969–0.997×). Each lane
//! keeping its head's key (so that finding the earliest head reads no node): 0.985× on the
//! serverless benchmark at 5 minutes, 0.972× on db-cache-in-front (16 units).

use super::SimTime;

/// A radix heap of events by time: a monotone priority queue (every time pushed is at least
/// the last one popped, as a simulation's clock never goes back), in buckets by the highest
/// bit in which a time differs from `last`, the time last moved to `due`. A push is one bit scan
/// and a `Vec::push`; taking the least time out empties the lowest occupied bucket, moving
/// the entries of that time, in order, to bucket 0 (a FIFO) and spreading the others over the
/// buckets below. Each entry moves at most once per bit of its time, in practice a few times,
/// with no comparison among the others.
///
/// Ties keep their push order with no sequence number in the key: every entry of one time is
/// in one bucket (a bucket is a function of the time and `last`, and spreading a bucket keeps
/// its order and moves all of a time's entries to the same bucket, which held none of that
/// time), each appended behind the earlier ones. Keys of one word rather than (time, sequence)
/// in two: the sequence is carried, to order an entry against the lanes' at the same time.
struct Radix<E> {
    /// Entries of time `last`, in push order: popped from the front, pushed at the back.
    due: std::collections::VecDeque<(u64, u64, E)>,
    /// Bucket `b` (1..=64) holds the entries whose time's highest bit differing from `last`
    /// is bit `b - 1`; bucket 0's place is `due`'s, and stays empty.
    buckets: Vec<Vec<(u64, u64, E)>>,
    /// Each bucket's least time (`u64::MAX` when empty): the least time of all is the lowest
    /// occupied bucket's, found without looking at its entries, however many there are (a
    /// cluster of far timers peeked at between events that come from the lanes).
    least: [u64; 65],
    /// Bit `b - 1` set when bucket `b` (1..=64) holds an entry.
    occupied: u64,
    last: u64,
    len: usize,
}

impl<E: Copy> Radix<E> {
    fn new() -> Self {
        Radix {
            due: std::collections::VecDeque::new(),
            buckets: (0..=64).map(|_| Vec::new()).collect(),
            least: [u64::MAX; 65],
            occupied: 0,
            last: 0,
            len: 0,
        }
    }

    #[inline]
    fn put(&mut self, time: u64, seq: u64, event: E) {
        let b = (64 - (time ^ self.last).leading_zeros()) as usize;
        if b == 0 {
            self.due.push_back((time, seq, event));
            return;
        }
        self.occupied |= 1 << (b - 1);
        self.buckets[b].push((time, seq, event));
        self.least[b] = self.least[b].min(time);
    }

    #[inline]
    fn push(&mut self, time: u64, seq: u64, event: E) {
        debug_assert!(time >= self.last, "a time before the last one popped");
        self.put(time, seq, event);
        self.len += 1;
    }

    /// The least time among the buckets (not `due`'s), if any holds an entry.
    #[inline]
    fn least_spread(&self) -> Option<u64> {
        (self.occupied != 0).then(|| self.least[self.occupied.trailing_zeros() as usize + 1])
    }

    /// Makes the least time `last`, its entries `due`'s: empties the lowest occupied bucket,
    /// whose least time it is, over `due` and the buckets below. Only with `due` empty and a
    /// bucket occupied. (Measured when keys held a sequence number too, so that each key was
    /// alone: a pop moved 2.1 entries on M/M/10 and 4.0 on the serverless benchmark, one of
    /// them the entry popped.)
    fn refill(&mut self) {
        debug_assert!(self.due.is_empty() && self.occupied != 0);
        let b = self.occupied.trailing_zeros() as usize + 1;
        self.occupied &= !(1 << (b - 1));
        self.last = self.least[b];
        self.least[b] = u64::MAX;
        let mut spread = std::mem::take(&mut self.buckets[b]);
        for &(time, seq, event) in &spread {
            self.put(time, seq, event);
        }
        spread.clear();
        self.buckets[b] = spread;
    }
}

/// A handle on an event in a lane, to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneHandle(u32);

const NIL: u32 = u32::MAX;

/// An event waiting in a lane: a node of the lane's doubly linked list.
struct Node<E> {
    key: u128,
    event: E,
    prev: u32,
    next: u32,
    lane: u32,
}

struct Lane {
    delay: u64,
    /// The key of its head (`u128::MAX` when empty), kept here so that finding the earliest
    /// head reads the lanes alone, not a node of each (which the cache may not hold).
    head_key: u128,
    head: u32,
    tail: u32,
}

/// A priority queue of events keyed by (time, insertion sequence).
pub struct EventQueue<E: Copy> {
    heap: Radix<E>,
    /// Every lane's events, linked in push order; only events still pending are kept, so a
    /// cancelled timeout costs nothing more.
    nodes: slab::Slab<Node<E>>,
    lanes: Vec<Lane>,
    /// The lane with the earliest head (its key is the lane's `head_key`), kept up to date
    /// so that popping from the heap does not scan the lanes.
    first_lane: Option<usize>,
    next_seq: u64,
}

/// The most distinct delays that get a lane; further ones go to the heap.
const MAX_LANES: usize = 16;

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue with no lanes yet.
    pub fn new() -> Self {
        EventQueue {
            heap: Radix::new(),
            nodes: slab::Slab::new(),
            lanes: Vec::new(),
            first_lane: None,
            next_seq: 0,
        }
    }

    fn seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn key(&mut self, time: SimTime) -> u128 {
        (u128::from(time.0) << 64) | u128::from(self.seq())
    }

    /// Schedules `event` at `time`, in the heap, behind any event pushed earlier for the same
    /// time; it cannot be cancelled.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.seq();
        self.heap.push(time.0, seq, event);
    }

    /// Schedules `event` at `now + delay`. The caller promises that `now` never decreases
    /// between calls (the kernel's clock), which keeps each delay's lane in order. Returns a
    /// handle to cancel it, unless it went to the heap (more distinct delays than lanes).
    pub fn push_after(&mut self, now: SimTime, delay: SimTime, event: E) -> Option<LaneHandle> {
        self.push_in_lane(delay, now + delay, event)
    }

    /// Schedules `event` at `at` in the lane of `delay`, for an event `delay` after an instant
    /// a little before now (a timeout that started when a call left, pushed when it arrives):
    /// it goes in key order, found from the lane's tail, where it belongs or nearly.
    pub fn push_in_lane(&mut self, delay: SimTime, at: SimTime, event: E) -> Option<LaneHandle> {
        let key = self.key(at);
        let lane = match self.lanes.iter().position(|l| l.delay == delay.0) {
            Some(i) => i,
            None if self.lanes.len() < MAX_LANES => {
                self.lanes.push(Lane {
                    delay: delay.0,
                    head_key: u128::MAX,
                    head: NIL,
                    tail: NIL,
                });
                self.lanes.len() - 1
            }
            None => {
                self.heap.push(at.0, key as u64, event);
                return None;
            }
        };
        // The last node with a smaller key: the new one goes right after it.
        let mut prev = self.lanes[lane].tail;
        while prev != NIL && self.nodes[prev as usize].key > key {
            prev = self.nodes[prev as usize].prev;
        }
        let next = match prev {
            NIL => self.lanes[lane].head,
            p => self.nodes[p as usize].next,
        };
        let n = self.nodes.insert(Node {
            key,
            event,
            prev,
            next,
            lane: lane as u32,
        }) as u32;
        match prev {
            NIL => {
                self.lanes[lane].head = n;
                self.lanes[lane].head_key = key;
                // Only a lane's first entry can become the earliest head, and it comes before
                // the head it displaced: the first lane's when this lane was first.
                if self
                    .first_lane
                    .is_none_or(|l| l == lane || key < self.lanes[l].head_key)
                {
                    self.first_lane = Some(lane);
                }
            }
            p => self.nodes[p as usize].next = n,
        }
        match next {
            NIL => self.lanes[lane].tail = n,
            x => self.nodes[x as usize].prev = n,
        }
        Some(LaneHandle(n))
    }

    /// Takes a pending lane event out of the queue (a timeout whose call was answered).
    pub fn cancel(&mut self, h: LaneHandle) -> E {
        let node = self.nodes.remove(h.0 as usize);
        let lane = node.lane as usize;
        match node.next {
            NIL => self.lanes[lane].tail = node.prev,
            n => self.nodes[n as usize].prev = node.prev,
        }
        match node.prev {
            NIL => {
                self.lanes[lane].head = node.next;
                self.lanes[lane].head_key = match node.next {
                    NIL => u128::MAX,
                    n => self.nodes[n as usize].key,
                };
            }
            p => self.nodes[p as usize].next = node.next,
        }
        if node.prev == NIL && self.first_lane == Some(lane) {
            self.first_lane = self.scan_lanes();
        }
        node.event
    }

    /// The lane whose head comes first, by looking at every lane; none when all are empty.
    fn scan_lanes(&self) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, lane) in self.lanes.iter().enumerate() {
            if lane.head != NIL && best.is_none_or(|b| lane.head_key < self.lanes[b].head_key) {
                best = Some(i);
            }
        }
        best
    }

    /// Removes and returns the earliest event and its time, ties first-in-first-out; `None`
    /// when nothing is pending.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let lane_key = self.first_lane.map(|l| self.lanes[l].head_key);
        if self.heap.due.is_empty() {
            // The heap's least time comes out to `due` unless a lane's head comes before it
            // (at a later time it does not; at that time, the sequences decide below).
            if let Some(t) = self.heap.least_spread() {
                if lane_key.is_none_or(|k| (k >> 64) as u64 >= t) {
                    self.heap.refill();
                }
            }
        }
        let from_heap = match (self.heap.due.front(), lane_key) {
            (Some(&(time, seq, _)), Some(k)) => ((u128::from(time) << 64) | u128::from(seq)) < k,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if from_heap {
            let (time, _, event) = self.heap.due.pop_front()?;
            self.heap.len -= 1;
            return Some((SimTime(time), event));
        }
        let (i, key) = (self.first_lane?, lane_key?);
        let h = self.lanes[i].head;
        Some((SimTime((key >> 64) as u64), self.cancel(LaneHandle(h))))
    }

    /// The number of pending events, in the heap and the lanes.
    pub fn len(&self) -> usize {
        self.heap.len + self.nodes.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference the property tests hold the queue to: pending events by (time, push
    /// order), each with its value.
    type Model = std::collections::BTreeMap<(u64, u64), u64>;

    /// Pops one event and checks it is the model's least (or that both are empty); the clock
    /// moves to its time.
    fn pop_checked(
        q: &mut EventQueue<u64>,
        model: &mut Model,
        now: &mut u64,
    ) -> Result<(), TestCaseError> {
        let got = q.pop().map(|(t, v)| (t.0, v));
        prop_assert_eq!(got, model.pop_first().map(|((t, _), v)| (t, v)));
        if let Some((t, _)) = got {
            *now = t;
        }
        Ok(())
    }

    /// Pops everything left, each event the model's least, until both are empty.
    fn drain_checked(q: &mut EventQueue<u64>, model: &mut Model) -> Result<(), TestCaseError> {
        while let Some((t, v)) = q.pop() {
            prop_assert_eq!(Some((t.0, v)), model.pop_first().map(|((t, _), v)| (t, v)));
        }
        prop_assert!(model.is_empty());
        Ok(())
    }

    #[test]
    fn ties_come_out_first_in_first_out() {
        let mut q = EventQueue::new();
        for i in 0..100 {
            q.push(SimTime(5), i);
        }
        q.push(SimTime(1), -1);
        assert_eq!(q.pop(), Some((SimTime(1), -1)));
        for i in 0..100 {
            assert_eq!(q.pop(), Some((SimTime(5), i)));
        }
        assert!(q.pop().is_none());
    }

    #[test]
    fn an_event_due_now_waits_for_its_instants_earlier_ones() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), 'a');
        q.push(SimTime(5), 'b');
        q.push(SimTime(3), 'c');
        assert_eq!(q.pop(), Some((SimTime(3), 'c')));
        // Now is 3: 'd' is due now and goes behind nothing, 'e' joins 'a' and 'b' at 5 behind
        // them.
        q.push(SimTime(3), 'd');
        q.push(SimTime(5), 'e');
        assert_eq!(q.pop(), Some((SimTime(3), 'd')));
        assert_eq!(q.pop(), Some((SimTime(5), 'a')));
        // Now is 5: 'f' is due now, but 'b' and 'e' were scheduled for 5 before it.
        q.push(SimTime(5), 'f');
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop(), Some((SimTime(5), 'b')));
        assert_eq!(q.pop(), Some((SimTime(5), 'e')));
        assert_eq!(q.pop(), Some((SimTime(5), 'f')));
        assert!(q.is_empty());
    }

    #[test]
    fn lanes_interleave_by_key_and_a_cancelled_head_hands_over() {
        let mut q = EventQueue::new();
        // Lane 10: at 10 and 12; lane 7: at 8 and 9 (pushed from 1 and 2); the heap: 11.
        let a = q
            .push_after(SimTime(0), SimTime(10), "a10")
            .expect("a lane");
        q.push_after(SimTime(2), SimTime(10), "b12");
        let c = q.push_after(SimTime(1), SimTime(7), "c8").expect("a lane");
        q.push_after(SimTime(2), SimTime(7), "d9");
        q.push(SimTime(11), "e11");
        // Cancelling the earliest head hands the first place to the other lane's head.
        assert_eq!(q.cancel(c), "c8");
        assert_eq!(q.pop(), Some((SimTime(9), "d9")));
        assert_eq!(q.cancel(a), "a10");
        assert_eq!(q.pop(), Some((SimTime(11), "e11")));
        assert_eq!(q.pop(), Some((SimTime(12), "b12")));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn a_lane_and_the_heap_at_one_instant_merge_by_push_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), "h0");
        q.push_after(SimTime(0), SimTime(10), "l1").expect("a lane");
        q.push(SimTime(10), "h2");
        q.push_after(SimTime(0), SimTime(10), "l3").expect("a lane");
        q.push(SimTime(10), "h4");
        // The heap's least time comes out with a lane's head at the same time: the sequence
        // decides.
        assert_eq!(q.pop(), Some((SimTime(10), "h0")));
        // At the heap's last time, with events of it still waiting: behind h2 and h4.
        q.push(SimTime(10), "h5");
        // A lane of delay 0, at 10.
        q.push_after(SimTime(10), SimTime(0), "l6").expect("a lane");
        for want in ["l1", "h2", "l3", "h4", "h5", "l6"] {
            assert_eq!(q.pop(), Some((SimTime(10), want)));
        }
        assert!(q.is_empty());
    }

    #[test]
    fn heap_events_at_an_instant_a_lane_made_now_keep_push_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(1), "a");
        q.push(SimTime(100), "far");
        q.push_after(SimTime(0), SimTime(7), "lane7")
            .expect("a lane");
        assert_eq!(q.pop(), Some((SimTime(1), "a")));
        // From a lane: the clock is 7, the heap's last time still 1.
        assert_eq!(q.pop(), Some((SimTime(7), "lane7")));
        q.push(SimTime(7), "b");
        q.push_after(SimTime(7), SimTime(0), "lane0")
            .expect("a lane");
        q.push(SimTime(7), "c");
        q.push(SimTime(100), "far2");
        assert_eq!(q.pop(), Some((SimTime(7), "b")));
        // Now at the heap's last time: behind c.
        q.push(SimTime(7), "d");
        assert_eq!(q.pop(), Some((SimTime(7), "lane0")));
        assert_eq!(q.pop(), Some((SimTime(7), "c")));
        assert_eq!(q.pop(), Some((SimTime(7), "d")));
        assert_eq!(q.pop(), Some((SimTime(100), "far")));
        assert_eq!(q.pop(), Some((SimTime(100), "far2")));
        assert!(q.is_empty());
    }

    proptest! {
        /// Ties everywhere: heap and lane events share instants, pushes overflowing the
        /// lanes (15 taken up front, so that delay 0 gets the last and 1 and 2 go to the
        /// heap) tie with lane ones, and the heap's last time falls behind the clock after
        /// lane pops.
        #[test]
        fn dense_ties_between_heap_and_lanes(
            fill in any::<bool>(),
            ops in prop::collection::vec((0u8..6, 0u64..4), 1..600),
        ) {
            let mut q = EventQueue::new();
            if fill {
                for i in 0..15 {
                    let h = q.push_after(SimTime(0), SimTime(1000 + i), u64::MAX).expect("a lane");
                    q.cancel(h);
                }
            }
            let mut model = std::collections::BTreeMap::new();
            let (mut now, mut seq) = (0u64, 0u64);
            let mut handles: Vec<(LaneHandle, (u64, u64))> = Vec::new();
            for (op, a) in ops {
                match op {
                    0 | 1 => {
                        pop_checked(&mut q, &mut model, &mut now)?;
                    }
                    2 => {
                        let at = now + a % 2;
                        q.push(SimTime(at), seq);
                        model.insert((at, seq), seq);
                        seq += 1;
                    }
                    3 => {
                        let d = a % 2;
                        if let Some(h) = q.push_after(SimTime(now), SimTime(d), seq) {
                            handles.push((h, (now + d, seq)));
                        }
                        model.insert((now + d, seq), seq);
                        seq += 1;
                    }
                    4 => {
                        // A timeout of 2 that started up to 2 ago: due now to 2 ahead.
                        let at = (now + 2).saturating_sub(a % 3).max(now);
                        if let Some(h) = q.push_in_lane(SimTime(2), SimTime(at), seq) {
                            handles.push((h, (at, seq)));
                        }
                        model.insert((at, seq), seq);
                        seq += 1;
                    }
                    _ => {
                        if !handles.is_empty() {
                            let (h, k) = handles.swap_remove(a as usize % handles.len());
                            if let Some(v) = model.remove(&k) {
                                prop_assert_eq!(q.cancel(h), v);
                            }
                        }
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            drain_checked(&mut q, &mut model)?;
        }

        /// Far-apart heap times with lanes of small and huge delays: lane heads fall before,
        /// at and after the heap's least time, and the heap's last time lags the clock by many
        /// bits.
        #[test]
        fn far_apart_times_with_lanes_pop_in_order(
            ops in prop::collection::vec((0u8..5, 0u32..48, any::<u64>()), 1..400),
        ) {
            const DELAYS: [u64; 4] = [0, 3, 1 << 20, 1 << 40];
            let mut q = EventQueue::new();
            let mut model = std::collections::BTreeMap::new();
            let (mut now, mut seq) = (0u64, 0u64);
            let mut handles: Vec<(LaneHandle, (u64, u64))> = Vec::new();
            for (op, bits, r) in ops {
                match op {
                    0 => {
                        pop_checked(&mut q, &mut model, &mut now)?;
                    }
                    1 | 3 => {
                        // 3: due at the clock, often right after a lane's event.
                        let delay = if op == 3 || bits == 0 { 0 } else { r >> (64 - bits) };
                        q.push(SimTime(now + delay), seq);
                        model.insert((now + delay, seq), seq);
                        seq += 1;
                    }
                    2 => {
                        let d = DELAYS[(r % 4) as usize];
                        if let Some(h) = q.push_after(SimTime(now), SimTime(d), seq) {
                            handles.push((h, (now + d, seq)));
                        }
                        model.insert((now + d, seq), seq);
                        seq += 1;
                    }
                    _ => {
                        if !handles.is_empty() {
                            let (h, k) = handles.swap_remove(r as usize % handles.len());
                            if let Some(v) = model.remove(&k) {
                                prop_assert_eq!(q.cancel(h), v);
                            }
                        }
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            drain_checked(&mut q, &mut model)?;
        }

        /// Against a reference model (a `BTreeMap` by (time, push order)), for random sequences
        /// of pushes into the heap (some due now), into lanes (more delays than lanes, so some
        /// overflow to the heap; some slightly out of order), cancellations and pops: every pop
        /// is the model's least entry, and the sizes agree throughout.
        #[test]
        fn pops_match_a_sorted_map(ops in prop::collection::vec((0u8..6, 0u64..40, 0u64..20), 1..600)) {
            let mut q = EventQueue::new();
            let mut model = std::collections::BTreeMap::new();
            let mut now = 0u64;
            let mut seq = 0u64;
            let mut handles: Vec<(LaneHandle, (u64, u64))> = Vec::new();
            for (op, a, b) in ops {
                let value = seq * 7 + 3;
                match op {
                    0 => {
                        pop_checked(&mut q, &mut model, &mut now)?;
                    }
                    1 => {
                        // Into the heap, or due now when `a` is 0.
                        let at = now + a % 20;
                        q.push(SimTime(at), value);
                        model.insert((at, seq), value);
                        seq += 1;
                    }
                    2 => {
                        if !handles.is_empty() {
                            let (h, k) = handles.swap_remove(a as usize % handles.len());
                            // Only an event still pending may be cancelled.
                            if let Some(v) = model.remove(&k) {
                                prop_assert_eq!(q.cancel(h), v);
                            }
                        }
                    }
                    3 => {
                        // A delay that started up to `a % 5` ago: slightly out of order.
                        let at = (now + b).saturating_sub(a % 5).max(now);
                        if let Some(h) = q.push_in_lane(SimTime(b), SimTime(at), value) {
                            handles.push((h, (at, seq)));
                        }
                        model.insert((at, seq), value);
                        seq += 1;
                    }
                    _ => {
                        // 20 distinct delays for 16 lanes: some overflow to the heap.
                        if let Some(h) = q.push_after(SimTime(now), SimTime(b), value) {
                            handles.push((h, (now + b, seq)));
                        }
                        model.insert((now + b, seq), value);
                        seq += 1;
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            drain_checked(&mut q, &mut model)?;
        }

        /// Whatever the pushes, pops come out sorted by (time, push order): a stable sort.
        #[test]
        fn pops_are_a_stable_sort_of_pushes(times in prop::collection::vec(0u64..50, 0..300)) {
            let mut q = EventQueue::new();
            for (i, &t) in times.iter().enumerate() {
                q.push(SimTime(t), i);
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort_by_key(|&(t, _)| t);
            let got: Vec<(u64, usize)> = std::iter::from_fn(|| q.pop()).map(|(t, i)| (t.0, i)).collect();
            prop_assert_eq!(got, expected);
        }

        /// With fixed-delay lanes in the mix (more delays than lanes, so some overflow to the
        /// heap), pops are still a stable sort by (time, push order).
        #[test]
        fn lanes_keep_the_global_order(ops in prop::collection::vec((0u8..5, 0u64..40, 0u64..20), 1..400)) {
            // A reference model: the set of pending (time, push index); every pop must be its
            // least element.
            let mut q = EventQueue::new();
            let mut model = std::collections::BTreeSet::new();
            let mut now = 0u64;
            let mut n = 0usize;
            let mut handles: Vec<(LaneHandle, (u64, usize))> = Vec::new();
            for (op, a, b) in ops {
                match op {
                    3 => {
                        // Cancel a pending lane event (a timeout whose call was answered).
                        if !handles.is_empty() {
                            let (h, item) = handles.swap_remove(a as usize % handles.len());
                            if model.remove(&item) {
                                prop_assert_eq!(q.cancel(h), item.1);
                            }
                        }
                    }
                    0 => {
                        let got = q.pop().map(|(t, i)| (t.0, i));
                        let want = model.pop_first();
                        prop_assert_eq!(got, want);
                        if let Some((t, _)) = got {
                            now = t;
                        }
                    }
                    1 => {
                        q.push(SimTime(now + a), n);
                        model.insert((now + a, n));
                        n += 1;
                    }
                    4 => {
                        // A delay that started up to `a % 5` ago: slightly out of order.
                        let at = (now + b).saturating_sub(a % 5).max(now);
                        if let Some(h) = q.push_in_lane(SimTime(b), SimTime(at), n) {
                            handles.push((h, (at, n)));
                        }
                        model.insert((at, n));
                        n += 1;
                    }
                    _ => {
                        // 20 distinct delays for 16 lanes: some overflow to the heap.
                        if let Some(h) = q.push_after(SimTime(now), SimTime(b), n) {
                            handles.push((h, (now + b, n)));
                        }
                        model.insert((now + b, n));
                        n += 1;
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            while let Some((t, i)) = q.pop() {
                prop_assert_eq!(Some((t.0, i)), model.pop_first());
            }
            prop_assert!(model.is_empty());
        }

        /// Times far apart (any bit of the clock may differ, so every bucket of the radix heap
        /// is used) and ties alike: pops are the model's least entry, pushes never into the past.
        #[test]
        fn far_apart_times_pop_in_order(ops in prop::collection::vec((any::<bool>(), 0u32..64, any::<u64>()), 1..400)) {
            let mut q = EventQueue::new();
            let mut model = std::collections::BTreeMap::new();
            let (mut now, mut seq) = (0u64, 0u64);
            for (pop, bits, r) in ops {
                if pop {
                    pop_checked(&mut q, &mut model, &mut now)?;
                } else {
                    // A delay of up to `bits` bits: 0 (due now), ties, or far ahead.
                    let delay = if bits == 0 { 0 } else { r >> (64 - bits) };
                    let at = now.saturating_add(delay);
                    q.push(SimTime(at), seq);
                    model.insert((at, seq), seq);
                    seq += 1;
                }
            }
            drain_checked(&mut q, &mut model)?;
        }

        /// Interleaving pushes and pops never yields an event earlier than one already popped,
        /// as long as nothing is pushed into the past (the kernel never does).
        #[test]
        fn interleaved_pops_are_monotone(ops in prop::collection::vec((any::<bool>(), 0u64..20), 1..300)) {
            let mut q = EventQueue::new();
            let mut now = 0u64;
            for (pop, dt) in ops {
                if pop {
                    if let Some((t, _)) = q.pop() {
                        prop_assert!(t.0 >= now);
                        now = t.0;
                    }
                } else {
                    q.push(SimTime(now + dt), ());
                }
            }
        }
    }
}
