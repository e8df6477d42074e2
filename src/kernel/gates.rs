//! Gates: what the way from one actor to another does with a call, decided once before a run
//! and never changed by it. A call passes, is answered at once with a status by the network's
//! side of the callee (a refusal), or vanishes (a drop: the caller learns of it only by its
//! timeout). The kernel knows nothing of why; whoever builds the world decides.

use super::ActorId;

/// What a gate does with a call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gate {
    /// The call goes through.
    #[default]
    Pass,
    /// The call is answered at once with this status, never reaching the callee.
    Refuse(u16),
    /// The call vanishes: no answer ever comes.
    Drop,
}

/// The gated links of a run: for each (caller, callee), a gate for every call, or one per
/// operation. Empty for a run with no gate, which then pays one test per call.
#[derive(Debug, Default)]
pub struct Gates {
    actors: usize,
    /// For each caller × callee, the index of its link in `links`, or `NONE`.
    index: Vec<u32>,
    links: Vec<Link>,
}

const NONE: u32 = u32::MAX;

#[derive(Debug)]
struct Link {
    from: ActorId,
    to: ActorId,
    /// The gate of every call, whatever its operation (a network rule).
    all: Gate,
    /// The gate of calls carrying each operation, by operation index (an access check); an
    /// operation beyond the list passes.
    by_op: Vec<Gate>,
    counts: GateCounts,
}

/// What a gated link did over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GateCounts {
    /// Calls answered at once by a refusal.
    pub refused: u64,
    /// Calls dropped.
    pub dropped: u64,
    /// Dropped calls whose caller had no timeout: it waits until the run ends.
    pub hung: u64,
}

impl Gates {
    /// Gates over `actors` actors, none set.
    pub fn new(actors: usize) -> Gates {
        Gates {
            actors,
            index: Vec::new(),
            links: Vec::new(),
        }
    }

    /// Whether no gate is set.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    fn link(&mut self, from: ActorId, to: ActorId) -> &mut Link {
        if self.index.is_empty() {
            self.index = vec![NONE; self.actors * self.actors];
        }
        let slot = from as usize * self.actors + to as usize;
        if self.index[slot] == NONE {
            self.index[slot] = self.links.len() as u32;
            self.links.push(Link {
                from,
                to,
                all: Gate::Pass,
                by_op: Vec::new(),
                counts: GateCounts::default(),
            });
        }
        &mut self.links[self.index[slot] as usize]
    }

    /// Sets the gate of every call from `from` to `to`.
    pub fn set_all(&mut self, from: ActorId, to: ActorId, gate: Gate) {
        self.link(from, to).all = gate;
    }

    /// Sets the gate of calls from `from` to `to` carrying operation `op`.
    pub fn set_op(&mut self, from: ActorId, to: ActorId, op: u16, gate: Gate) {
        let link = self.link(from, to);
        let i = op as usize;
        if link.by_op.len() <= i {
            link.by_op.resize(i + 1, Gate::Pass);
        }
        link.by_op[i] = gate;
    }

    /// What happens to a call from `from` to `to` carrying `op`, counted. A network drop
    /// comes before any refusal: a dropped packet never reaches who would refuse it.
    #[inline]
    pub fn pass(&mut self, from: ActorId, to: ActorId, op: u16, has_timeout: bool) -> Gate {
        if self.links.is_empty() {
            return Gate::Pass;
        }
        let slot = self.index[from as usize * self.actors + to as usize];
        if slot == NONE {
            return Gate::Pass;
        }
        let link = &mut self.links[slot as usize];
        let gate = match link.all {
            Gate::Pass => link.by_op.get(op as usize).copied().unwrap_or_default(),
            other => other,
        };
        match gate {
            Gate::Pass => {}
            Gate::Refuse(_) => link.counts.refused += 1,
            Gate::Drop => {
                link.counts.dropped += 1;
                link.counts.hung += u64::from(!has_timeout);
            }
        }
        gate
    }

    /// Each gated link and what it did, in the order the links were first set.
    pub fn counts(&self) -> Vec<(ActorId, ActorId, GateCounts)> {
        self.links
            .iter()
            .map(|l| (l.from, l.to, l.counts))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_of_every_call_comes_before_a_refusal_by_operation() {
        let mut g = Gates::new(3);
        assert_eq!(g.pass(0, 1, 0, true), Gate::Pass);
        g.set_op(0, 1, 2, Gate::Refuse(403));
        assert_eq!(g.pass(0, 1, 0, true), Gate::Pass);
        assert_eq!(g.pass(0, 1, 2, true), Gate::Refuse(403));
        assert_eq!(g.pass(0, 1, 9, true), Gate::Pass);
        assert_eq!(g.pass(1, 0, 2, true), Gate::Pass);
        g.set_all(0, 1, Gate::Drop);
        assert_eq!(g.pass(0, 1, 2, false), Gate::Drop);
        let counts = g.counts();
        assert_eq!(
            counts,
            vec![(
                0,
                1,
                GateCounts {
                    refused: 1,
                    dropped: 1,
                    hung: 1
                }
            )]
        );
    }
}
