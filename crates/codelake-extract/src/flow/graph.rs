//! Graph facts of one scope's control-flow graph: basic blocks, immediate dominators,
//! immediate post-dominators and control dependence.
//!
//! - Dominators follow every edge, exception edges included, from ENTRY (Lengauer and
//!   Tarjan's algorithm).
//! - Post-dominators and control dependence follow every edge but the *implicit* exception
//!   edges (from nodes that merely may raise): with them, almost no node would post-dominate
//!   another. Explicit exception paths (`raise`, a failed `assert`, re-raises) count. Both exits
//!   lead to one virtual sink; a node post-dominated only by the sink has no post-dominator.
//! - Control dependence is Ferrante, Ottenstein and Warren's: for an edge `a -> b` of kind `k`,
//!   every node on the post-dominator tree path from `b` up to (not including) `a`'s immediate
//!   post-dominator depends on `a` through `k`.
//! - Basic blocks are factored: exception edges leave from inside a block, so a `try` body
//!   does not fall apart into single nodes; a block is a maximal chain joined by the other
//!   edges.

use super::{EXCEPTION_EXIT, EXIT, EdgeKind, ScopeFlow};

const NONE: u32 = u32::MAX;

/// The graph facts of one scope.
#[derive(Debug, Default, Clone)]
pub struct GraphFacts {
    /// Immediate dominator of each node (`None` for ENTRY and unreachable nodes).
    pub idom: Vec<Option<u32>>,
    /// Depth of each node in the dominator tree (ENTRY 0; unreachable `None`).
    pub dom_depth: Vec<Option<u32>>,
    /// Immediate post-dominator of each node (`None` when only the virtual sink post-dominates
    /// it, for the exits, and for nodes that reach no exit).
    pub ipdom: Vec<Option<u32>>,
    /// `(node, branch, kind)`: `node` is control dependent on `branch` through its `kind` edge.
    pub control_deps: Vec<(u32, u32, EdgeKind)>,
    /// The basic block of each node, and its index in it.
    pub block_of: Vec<(u32, u32)>,
    /// Each block's nodes, in order.
    pub blocks: Vec<Vec<u32>>,
}

/// Adjacency in compressed form.
pub(super) struct Adj {
    start: Vec<u32>,
    targets: Vec<(u32, EdgeKind)>,
}

impl Adj {
    pub(super) fn new(n: usize, edges: impl Iterator<Item = (u32, u32, EdgeKind)> + Clone) -> Self {
        let mut start = vec![0u32; n + 1];
        for (s, _, _) in edges.clone() {
            start[s as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut targets = vec![(0u32, EdgeKind::Normal); start[n] as usize];
        for (s, d, k) in edges {
            targets[fill[s as usize] as usize] = (d, k);
            fill[s as usize] += 1;
        }
        Self { start, targets }
    }

    fn of(&self, n: u32) -> &[(u32, EdgeKind)] {
        &self.targets[self.start[n as usize] as usize..self.start[n as usize + 1] as usize]
    }
}

/// Reverse post-order from `root` (iterative DFS); returns the order and each node's position
/// in it (`NONE` when unreachable).
pub(super) fn rpo(n: usize, root: u32, succ: &Adj) -> (Vec<u32>, Vec<u32>) {
    let mut post = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
    seen[root as usize] = true;
    while let Some(&mut (v, ref mut i)) = stack.last_mut() {
        let out = succ.of(v);
        if *i < out.len() {
            let w = out[*i].0;
            *i += 1;
            if !seen[w as usize] {
                seen[w as usize] = true;
                stack.push((w, 0));
            }
        } else {
            post.push(v);
            stack.pop();
        }
    }
    post.reverse();
    let mut pos = vec![NONE; n];
    for (i, &v) in post.iter().enumerate() {
        pos[v as usize] = i as u32;
    }
    (post, pos)
}

/// Immediate dominators from `root` (`NONE` for unreachable nodes; the root is its own), by
/// Lengauer and Tarjan's algorithm with path compression: O(m log n). (Cooper, Harvey and
/// Kennedy's iteration is quadratic here: every node has an exception edge to
/// EXCEPTION_EXIT, and each of those predecessors is intersected up the whole dominator tree.)
fn dominators(n: usize, root: u32, succ: &Adj, pred: &Adj) -> Vec<u32> {
    // Depth-first pre-order numbering, with each node's DFS-tree parent.
    let mut dfn = vec![NONE; n];
    let mut vertex: Vec<u32> = Vec::with_capacity(n);
    let mut parent = vec![NONE; n];
    let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
    dfn[root as usize] = 0;
    vertex.push(root);
    while let Some(&mut (v, ref mut i)) = stack.last_mut() {
        let out = succ.of(v);
        if *i < out.len() {
            let w = out[*i].0;
            *i += 1;
            if dfn[w as usize] == NONE {
                dfn[w as usize] = vertex.len() as u32;
                vertex.push(w);
                parent[w as usize] = v;
                stack.push((w, 0));
            }
        } else {
            stack.pop();
        }
    }
    // semi: DFS number of the semidominator; label and ancestor: the link-eval forest.
    let mut semi = dfn.clone();
    let mut label: Vec<u32> = (0..n as u32).collect();
    let mut ancestor = vec![NONE; n];
    let mut idom = vec![NONE; n];
    let mut bucket: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut path: Vec<u32> = Vec::new();
    let mut eval = |v: u32, ancestor: &mut [u32], label: &mut [u32], semi: &[u32]| -> u32 {
        if ancestor[v as usize] == NONE {
            return v;
        }
        // Compress the path from v to its forest root, top down.
        path.clear();
        let mut u = v;
        while ancestor[ancestor[u as usize] as usize] != NONE {
            path.push(u);
            u = ancestor[u as usize];
        }
        while let Some(x) = path.pop() {
            let a = ancestor[x as usize];
            if semi[label[a as usize] as usize] < semi[label[x as usize] as usize] {
                label[x as usize] = label[a as usize];
            }
            ancestor[x as usize] = ancestor[a as usize];
        }
        label[v as usize]
    };
    for i in (1..vertex.len()).rev() {
        let w = vertex[i];
        for &(v, _) in pred.of(w) {
            if dfn[v as usize] == NONE {
                continue;
            }
            let u = eval(v, &mut ancestor, &mut label, &semi);
            if semi[u as usize] < semi[w as usize] {
                semi[w as usize] = semi[u as usize];
            }
        }
        bucket[vertex[semi[w as usize] as usize] as usize].push(w);
        let p = parent[w as usize];
        ancestor[w as usize] = p;
        for v in std::mem::take(&mut bucket[p as usize]) {
            let u = eval(v, &mut ancestor, &mut label, &semi);
            idom[v as usize] = if semi[u as usize] < semi[v as usize] {
                u
            } else {
                p
            };
        }
    }
    for &w in vertex.iter().skip(1) {
        if idom[w as usize] != vertex[semi[w as usize] as usize] {
            idom[w as usize] = idom[idom[w as usize] as usize];
        }
    }
    idom[root as usize] = root;
    idom
}

/// Computes the graph facts of a scope's graph.
pub fn analyze(flow: &ScopeFlow) -> GraphFacts {
    let n = flow.nodes.len();
    let all = flow.edges.iter().map(|e| (e.src, e.dst, e.kind));
    let succ = Adj::new(n, all.clone());
    let pred = Adj::new(n, all.map(|(s, d, k)| (d, s, k)));
    let idom = dominators(n, super::ENTRY, &succ, &pred);
    let mut dom_depth = vec![None; n];
    // Depths in an order where a node's idom comes first: reverse post-order.
    let (order, _) = rpo(n, super::ENTRY, &succ);
    for &v in &order {
        let d = idom[v as usize];
        dom_depth[v as usize] = if v == super::ENTRY {
            Some(0)
        } else {
            dom_depth[d as usize].map(|x: u32| x + 1)
        };
    }

    // Post-dominators: the reversed graph without implicit exception edges, rooted at a
    // virtual sink (index n) that both exits lead to.
    let sink = n as u32;
    let explicit: Vec<(u32, u32, EdgeKind)> = flow
        .edges
        .iter()
        .filter(|e| !e.implicit)
        .map(|e| (e.src, e.dst, e.kind))
        .chain([
            (EXIT, sink, EdgeKind::Normal),
            (EXCEPTION_EXIT, sink, EdgeKind::Normal),
        ])
        .collect();
    let rsucc = Adj::new(n + 1, explicit.iter().map(|&(s, d, k)| (d, s, k)));
    let rpred = Adj::new(n + 1, explicit.iter().copied());
    let pdom = dominators(n + 1, sink, &rsucc, &rpred);
    let ipdom: Vec<Option<u32>> = (0..n)
        .map(|v| match pdom[v] {
            NONE => None,
            p if p == sink => None,
            p => Some(p),
        })
        .collect();

    let mut control_deps = Vec::new();
    for &(a, b, kind) in &explicit {
        if b == sink || pdom[a as usize] == NONE || pdom[b as usize] == NONE {
            continue;
        }
        let stop = pdom[a as usize];
        let mut runner = b;
        while runner != stop && runner != sink {
            control_deps.push((runner, a, kind));
            runner = pdom[runner as usize];
        }
    }
    control_deps.sort_unstable();
    control_deps.dedup();

    // Factored basic blocks over the non-exception edges.
    let normal = |k: EdgeKind| k != EdgeKind::Exception;
    let mut npred = vec![0u32; n];
    let mut nsucc = vec![0u32; n];
    let mut only_succ = vec![NONE; n];
    let mut caught = vec![false; n];
    for e in &flow.edges {
        if normal(e.kind) {
            npred[e.dst as usize] += 1;
            nsucc[e.src as usize] += 1;
            only_succ[e.src as usize] = e.dst;
        } else {
            caught[e.dst as usize] = true;
        }
    }
    // A block starts where control joins, after a branch, and where an exception edge lands.
    let leader = |v: usize| {
        v as u32 <= EXCEPTION_EXIT || npred[v] != 1 || caught[v] || {
            // The one predecessor must fall through to v alone.
            let p = pred
                .of(v as u32)
                .iter()
                .find(|(_, k)| normal(*k))
                .map(|(p, _)| *p);
            p.is_none_or(|p| nsucc[p as usize] != 1 || p <= EXCEPTION_EXIT)
        }
    };
    let mut block_of = vec![(NONE, 0u32); n];
    let mut blocks: Vec<Vec<u32>> = Vec::new();
    for v in 0..n {
        if !leader(v) {
            continue;
        }
        let b = blocks.len() as u32;
        let mut members = vec![v as u32];
        block_of[v] = (b, 0);
        let mut cur = v;
        while nsucc[cur] == 1 && cur as u32 > EXCEPTION_EXIT {
            let next = only_succ[cur] as usize;
            if leader(next) || block_of[next].0 != NONE {
                break;
            }
            block_of[next] = (b, members.len() as u32);
            members.push(next as u32);
            cur = next;
        }
        blocks.push(members);
    }
    // Nodes on a cycle with no leader (unreachable loops): each becomes its own block.
    for (v, b) in block_of.iter_mut().enumerate() {
        if b.0 == NONE {
            *b = (blocks.len() as u32, 0);
            blocks.push(vec![v as u32]);
        }
    }

    GraphFacts {
        idom: (0..n)
            .map(|v| match idom[v] {
                NONE => None,
                d if d as usize == v => None,
                d => Some(d),
            })
            .collect(),
        dom_depth,
        ipdom,
        control_deps,
        block_of,
        blocks,
    }
}
