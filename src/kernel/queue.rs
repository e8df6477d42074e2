//! The future event list: a radix heap ordered by (time, insertion sequence), plus FIFO lanes
//! for events scheduled a fixed delay ahead (timeouts) and a FIFO for events due at the
//! instant just popped (a reply across a zero-latency hop, a signal), which need no sorting.
//!
//! The sequence number makes ties deterministic and first-in-first-out: two events scheduled
//! for the same instant come out in the order they were pushed, on every run and machine.
//!
//! Why lanes: most timeouts never fire (the call is answered first) but would sit in the queue
//! for their whole delay: at 10,000 requests/s a 29 s timeout keeps 290,000 entries in a heap
//! that otherwise holds a few hundred. Events pushed with the same delay come due in the order
//! they were pushed, so a list per delay keeps them sorted for free; `pop` takes the earliest
//! of the heap's top, the lanes' heads and the due-now FIFO's front, by the same (time,
//! sequence) key. A lane is a
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
//! a build of 16 units, where the 4-ary heap gave 1.06× and 1.04×.

use super::SimTime;

/// A radix heap of events by key: a monotone priority queue (every key pushed is at least the
/// last one popped, as a simulation's clock never goes back), in buckets by the highest bit
/// in which a key differs from the last key popped. A push is one bit scan and a `Vec::push`;
/// a pop takes the lowest occupied bucket, hands back its least entry, whose key becomes the
/// last, and spreads the others over the buckets below. Each entry moves at most once per
/// bit of the key, in practice a few times, with no comparison among the others.
///
/// Keys are unique and every key pushed is above the last one popped (`EventQueue::key`: a
/// sequence number that only grows, from 1), so no key ever equals `last` and bucket 0 stays
/// empty.
struct Radix<E> {
    /// Bucket `b` (1..=128) holds the keys whose highest bit differing from `last` is bit
    /// `b - 1`; bucket 0, that of a key equal to `last`, is never used.
    buckets: Vec<Vec<(u128, E)>>,
    /// Each bucket's least key (`u128::MAX` when empty): the least key of all is the lowest
    /// occupied bucket's, found without looking at its entries, however many there are (a
    /// cluster of far timers peeked at between events that come from the lanes).
    least: Vec<u128>,
    /// Bit `b - 1` set when bucket `b` (1..=128) holds an entry: bit `(b - 1) % 64` of word
    /// `(b - 1) / 64`. Two words, because a `u128` cleared by a bit was written back in 32
    /// bits and read in 64, which stalled every pop of the heap on a failed store-to-load
    /// forwarding (3–4 % of a run's time in a build of 16 codegen units; in the release build
    /// the stall is smaller, and the two changes together gave the serverless hour 0.92×).
    occupied: [u64; 2],
    last: u128,
    len: usize,
}

impl<E: Copy> Radix<E> {
    fn new() -> Self {
        Radix {
            buckets: (0..=128).map(|_| Vec::new()).collect(),
            least: vec![u128::MAX; 129],
            occupied: [0; 2],
            last: 0,
            len: 0,
        }
    }

    #[inline]
    fn bucket(&self, key: u128) -> usize {
        (128 - (key ^ self.last).leading_zeros()) as usize
    }

    #[inline]
    fn put(&mut self, key: u128, event: E) {
        let b = self.bucket(key);
        debug_assert!(b > 0, "a key equal to the last one popped");
        self.occupied[(b - 1) >> 6] |= 1 << ((b - 1) & 63);
        self.buckets[b].push((key, event));
        self.least[b] = self.least[b].min(key);
    }

    #[inline]
    fn push(&mut self, key: u128, event: E) {
        debug_assert!(key > self.last, "a key not above the last one popped");
        self.put(key, event);
        self.len += 1;
    }

    /// The bucket holding the least key, the lowest occupied one; only for a heap that holds
    /// an entry.
    #[inline]
    fn lowest(&self) -> usize {
        match self.occupied {
            [0, high] => high.trailing_zeros() as usize + 65,
            [low, _] => low.trailing_zeros() as usize + 1,
        }
    }

    /// The least key, without taking it.
    #[inline]
    fn peek(&self) -> Option<u128> {
        (self.len > 0).then(|| self.least[self.lowest()])
    }

    /// Takes the entry of the least key: the lowest bucket's least, handed back as the rest
    /// of the bucket is spread. (When the least entry was spread into bucket 0 and popped
    /// from there, a pop moved 2.1 entries on M/M/10 and 4.0 on the serverless benchmark,
    /// one of them that entry.)
    fn pop(&mut self) -> Option<(u128, E)> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let b = self.lowest();
        self.occupied[(b - 1) >> 6] &= !(1 << ((b - 1) & 63));
        let least = self.least[b];
        self.last = least;
        self.least[b] = u128::MAX;
        let mut spread = std::mem::take(&mut self.buckets[b]);
        let mut taken = None;
        for &(key, event) in &spread {
            if key == least {
                taken = Some((key, event));
            } else {
                self.put(key, event);
            }
        }
        spread.clear();
        self.buckets[b] = spread;
        debug_assert!(taken.is_some(), "a bucket's least key is in it");
        taken
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
    /// The lane with the earliest head and that head's key, kept up to date so that popping
    /// from the heap does not scan the lanes.
    first_lane: Option<(usize, u128)>,
    /// Events due at `now` (pushed with no delay: a reply across a zero-latency hop, a signal),
    /// in push order with their sequence numbers: they skip the heap, and come out before
    /// anything later. One at `now` pushed earlier, in the heap or a lane, still goes first.
    due_now: std::collections::VecDeque<(u128, E)>,
    /// The time of the last event popped: the queue's clock.
    now: u64,
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
            due_now: std::collections::VecDeque::new(),
            now: 0,
            // From 1: no key is 0, the radix heap's first `last`.
            next_seq: 1,
        }
    }

    fn key(&mut self, time: SimTime) -> u128 {
        let seq = self.next_seq;
        self.next_seq += 1;
        (u128::from(time.0) << 64) | u128::from(seq)
    }

    /// Schedules `event` at `time`, in the heap (or, due now, behind the others due now); it
    /// cannot be cancelled.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let key = self.key(time);
        if time.0 == self.now {
            self.due_now.push_back((key, event));
            return;
        }
        self.heap.push(key, event);
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
                    head: NIL,
                    tail: NIL,
                });
                self.lanes.len() - 1
            }
            None => {
                self.heap.push(key, event);
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
                // Only a lane's first entry can become the earliest head.
                if self.first_lane.is_none_or(|(l, k)| key < k || l == lane) {
                    self.first_lane = self.scan_lanes();
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
        match node.prev {
            NIL => self.lanes[lane].head = node.next,
            p => self.nodes[p as usize].next = node.next,
        }
        match node.next {
            NIL => self.lanes[lane].tail = node.prev,
            n => self.nodes[n as usize].prev = node.prev,
        }
        if node.prev == NIL && self.first_lane.is_some_and(|(l, _)| l == lane) {
            self.first_lane = self.scan_lanes();
        }
        node.event
    }

    /// The lane whose head comes first, and that head's key, by looking at every lane.
    fn scan_lanes(&self) -> Option<(usize, u128)> {
        let mut best: Option<(usize, u128)> = None;
        for (i, lane) in self.lanes.iter().enumerate() {
            if lane.head != NIL {
                let key = self.nodes[lane.head as usize].key;
                if best.is_none_or(|(_, k)| key < k) {
                    best = Some((i, key));
                }
            }
        }
        best
    }

    /// Removes and returns the earliest event and its time, ties first-in-first-out; `None`
    /// when nothing is pending.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let heap_key = self.heap.peek();
        if let Some(&(key, event)) = self.due_now.front() {
            if heap_key.is_none_or(|hk| key < hk) && self.first_lane.is_none_or(|(_, lk)| key < lk)
            {
                self.due_now.pop_front();
                return Some((SimTime(self.now), event));
            }
        }
        let from_lane = match (self.first_lane, heap_key) {
            (Some((i, lk)), Some(hk)) if lk < hk => Some(i),
            (Some((i, _)), None) => Some(i),
            _ => None,
        };
        let (key, event) = match from_lane {
            Some(i) => {
                let h = self.lanes[i].head;
                let key = self.nodes[h as usize].key;
                (key, self.cancel(LaneHandle(h)))
            }
            None => self.heap.pop()?,
        };
        self.now = (key >> 64) as u64;
        Some((SimTime(self.now), event))
    }

    /// The number of pending events, in the heap, the lanes and the due-now FIFO.
    pub fn len(&self) -> usize {
        self.heap.len + self.nodes.len() + self.due_now.len()
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
        // Now is 3: 'd' is due now and skips the heap, 'e' joins 'a' and 'b' at 5 behind them.
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

    proptest! {
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
                        let got = q.pop().map(|(t, v)| (t.0, v));
                        let want = model.pop_first().map(|((t, _), v)| (t, v));
                        prop_assert_eq!(got, want);
                        if let Some((t, _)) = got {
                            now = t;
                        }
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
            while let Some((t, v)) = q.pop() {
                prop_assert_eq!(Some((t.0, v)), model.pop_first().map(|((t, _), v)| (t, v)));
            }
            prop_assert!(model.is_empty());
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
                    let got = q.pop().map(|(t, v)| (t.0, v));
                    prop_assert_eq!(got, model.pop_first().map(|((t, _), v)| (t, v)));
                    if let Some((t, _)) = got {
                        now = t;
                    }
                } else {
                    // A delay of up to `bits` bits: 0 (due now), ties, or far ahead.
                    let delay = if bits == 0 { 0 } else { r >> (64 - bits) };
                    let at = now.saturating_add(delay);
                    q.push(SimTime(at), seq);
                    model.insert((at, seq), seq);
                    seq += 1;
                }
            }
            while let Some((t, v)) = q.pop() {
                prop_assert_eq!(Some((t.0, v)), model.pop_first().map(|((t, _), v)| (t, v)));
            }
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
