//! Reaching definitions of one scope, and the def-use pairs they give.
//!
//! The variables are the scope's locals and cells (CPython's symbol table decides: a name
//! declared `global` or `nonlocal`, a free variable or an implicit global is not local flow).
//! A definition is every write event of such a name: assignment and augmented-assignment
//! targets, `for`/`with`/`except`/comprehension targets, walrus, imports, `def`/`class` names,
//! parameters at ENTRY, `del`, the implicit `del` after `except ... as`, match captures. A
//! write kills the name's other definitions; a walrus inside a comprehension (a *may* write,
//! in the enclosing scope) does not.
//!
//! The analysis is the classic forward bit-vector one over the factored basic blocks, with
//! each variable's definitions numbered contiguously, so a write clears one range and a read
//! scans one range: the cost is O(blocks × definitions / 64) per pass, with few passes in
//! reverse post-order. An exception edge carries what holds anywhere in its block: the
//! block's entry state and every definition made in it (sound; a definition killed later in
//! the same block may show as reaching a handler).

use super::graph::GraphFacts;
use super::{Access, EdgeKind, ScopeFlow};

/// Which of a scope's names are local flow (by index in `flow.names`): its locals and cells
/// as the symbol table decides, and a comprehension's `.0`.
pub fn tracked(flow: &ScopeFlow, scope: &crate::scopes::Scope) -> Vec<bool> {
    use crate::scopes::SymScope;
    flow.names
        .iter()
        .map(|n| {
            n.as_str() == ".0"
                || scope
                    .symbol(n.as_str())
                    .is_some_and(|s| matches!(s.scope, SymScope::Local | SymScope::Cell))
        })
        .collect()
}

/// One def-use pair: the read and the definition, each as (node, index of the event in the
/// node's events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefUse {
    pub use_node: u32,
    pub use_event: u32,
    pub def_node: u32,
    pub def_event: u32,
}

struct Bits {
    words: usize,
    data: Vec<u64>,
}

impl Bits {
    fn new(rows: usize, bits: usize) -> Self {
        let words = bits.div_ceil(64).max(1);
        Self {
            words,
            data: vec![0; rows * words],
        }
    }
    fn row(&self, r: usize) -> &[u64] {
        &self.data[r * self.words..(r + 1) * self.words]
    }
    fn row_mut(&mut self, r: usize) -> &mut [u64] {
        &mut self.data[r * self.words..(r + 1) * self.words]
    }
}

fn set(bits: &mut [u64], i: u32) {
    bits[i as usize / 64] |= 1 << (i % 64);
}

fn clear_range(bits: &mut [u64], lo: u32, hi: u32) {
    for i in lo..hi {
        bits[i as usize / 64] &= !(1 << (i % 64));
    }
}

fn get(bits: &[u64], i: u32) -> bool {
    bits[i as usize / 64] & (1 << (i % 64)) != 0
}

/// The def-use pairs of a scope. `tracked(var)` says whether a name (by its index in
/// `flow.names`) is local flow.
pub fn def_uses(flow: &ScopeFlow, facts: &GraphFacts, tracked: &[bool]) -> Vec<DefUse> {
    // Number the definitions by variable.
    let nvars = flow.names.len();
    let mut count = vec![0u32; nvars + 1];
    for e in &flow.events {
        if tracked[e.var as usize] && !matches!(e.access, Access::Read) {
            count[e.var as usize + 1] += 1;
        }
    }
    for v in 0..nvars {
        count[v + 1] += count[v];
    }
    let range = |v: u32| (count[v as usize], count[v as usize + 1]);
    let ndefs = count[nvars] as usize;
    if ndefs == 0 {
        return Vec::new();
    }
    // The definition number of each write event (events are numbered graph-wide).
    let mut fill = count.clone();
    let mut def_no = vec![u32::MAX; flow.events.len()];
    let mut def_site = vec![(0u32, 0u32); ndefs];
    for (ni, node) in flow.nodes.iter().enumerate() {
        for k in 0..node.event_count {
            let ei = (node.first_event + k) as usize;
            let e = &flow.events[ei];
            if tracked[e.var as usize] && !matches!(e.access, Access::Read) {
                let d = fill[e.var as usize];
                fill[e.var as usize] += 1;
                def_no[ei] = d;
                def_site[d as usize] = (ni as u32, k);
            }
        }
    }

    let nblocks = facts.blocks.len();
    let transfer = |state: &mut [u64], node: u32| {
        let n = &flow.nodes[node as usize];
        for k in 0..n.event_count {
            let ei = (n.first_event + k) as usize;
            let e = &flow.events[ei];
            let d = def_no[ei];
            match e.access {
                Access::Read => {}
                Access::Write(_) if d != u32::MAX => {
                    let (lo, hi) = range(e.var);
                    clear_range(state, lo, hi);
                    set(state, d);
                }
                Access::MayWrite(_) if d != u32::MAX => set(state, d),
                _ => {}
            }
        }
    };
    // Every definition made in a block (what an exception edge out of it may carry).
    let mut made = Bits::new(nblocks, ndefs);
    for (b, members) in facts.blocks.iter().enumerate() {
        let row = made.row_mut(b);
        for &v in members {
            let n = &flow.nodes[v as usize];
            for k in 0..n.event_count {
                let d = def_no[(n.first_event + k) as usize];
                if d != u32::MAX {
                    set(row, d);
                }
            }
        }
    }
    // Block-level predecessors: (pred block, through an exception edge).
    let mut preds: Vec<Vec<(u32, bool)>> = vec![Vec::new(); nblocks];
    for e in &flow.edges {
        let (sb, _) = facts.block_of[e.src as usize];
        let (db, di) = facts.block_of[e.dst as usize];
        let exc = e.kind == EdgeKind::Exception;
        // Only edges into a block's first node join states (the others are its chain).
        if di == 0 {
            preds[db as usize].push((sb, exc));
        }
    }
    let order = block_order(facts, flow);
    let mut inb = Bits::new(nblocks, ndefs);
    let mut out = Bits::new(nblocks, ndefs);
    let words = inb.words;
    let mut scratch = vec![0u64; words];
    let mut changed = true;
    while changed {
        changed = false;
        for &b in &order {
            let b = b as usize;
            scratch.iter_mut().for_each(|w| *w = 0);
            for &(p, exc) in &preds[b] {
                let p = p as usize;
                if exc {
                    for ((s, i), m) in scratch.iter_mut().zip(inb.row(p)).zip(made.row(p)) {
                        *s |= i | m;
                    }
                } else {
                    for (s, o) in scratch.iter_mut().zip(out.row(p)) {
                        *s |= o;
                    }
                }
            }
            inb.row_mut(b).copy_from_slice(&scratch);
            for &v in &facts.blocks[b] {
                transfer(&mut scratch, v);
            }
            if out.row(b) != scratch.as_slice() {
                out.row_mut(b).copy_from_slice(&scratch);
                changed = true;
            }
        }
    }

    // The pairs: replay each block from its entry state.
    let mut pairs = Vec::new();
    for (b, members) in facts.blocks.iter().enumerate() {
        scratch.copy_from_slice(inb.row(b));
        for &v in members {
            let n = &flow.nodes[v as usize];
            for k in 0..n.event_count {
                let ei = (n.first_event + k) as usize;
                let e = &flow.events[ei];
                if !tracked[e.var as usize] {
                    continue;
                }
                match e.access {
                    Access::Read => {
                        let (lo, hi) = range(e.var);
                        for d in lo..hi {
                            if get(&scratch, d) {
                                let (def_node, def_event) = def_site[d as usize];
                                pairs.push(DefUse {
                                    use_node: v,
                                    use_event: k,
                                    def_node,
                                    def_event,
                                });
                            }
                        }
                    }
                    Access::Write(_) => {
                        let (lo, hi) = range(e.var);
                        clear_range(&mut scratch, lo, hi);
                        set(&mut scratch, def_no[ei]);
                    }
                    Access::MayWrite(_) => set(&mut scratch, def_no[ei]),
                }
            }
        }
    }
    pairs
}

/// Blocks in reverse post-order of their first nodes (unreached blocks last).
fn block_order(facts: &GraphFacts, flow: &ScopeFlow) -> Vec<u32> {
    let nblocks = facts.blocks.len();
    let edges = flow.edges.iter().filter_map(|e| {
        let (sb, _) = facts.block_of[e.src as usize];
        let (db, _) = facts.block_of[e.dst as usize];
        (sb != db).then_some((sb, db, e.kind))
    });
    let succ = super::graph::Adj::new(nblocks, edges);
    let root = facts.block_of[super::ENTRY as usize].0;
    let (mut order, pos) = super::graph::rpo(nblocks, root, &succ);
    order.extend((0..nblocks as u32).filter(|&b| pos[b as usize] == u32::MAX));
    order
}
