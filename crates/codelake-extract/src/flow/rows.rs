//! The rows of the flow tables from one file's graphs: the analyses in [`super`] know nothing
//! of Arrow; this is where they become table rows.

use rustc_hash::FxHashMap as HashMap;

use arrow_schema::ArrowError;
use codelake_schema::ids::StableId;
use codelake_schema::span::LineIndex;
use ruff_python_ast::name::Name;

use super::graph::{self, GraphFacts};
use super::reach::{self, DefUse};
use super::{Access, Event, ScopeFlow};
use crate::scopes::{DEF_NONLOCAL, ScopeKind, ScopeTree, SymScope};
use crate::tables::{Bufs, Table};

/// Figures of one file's flow layer.
#[derive(Debug, Default, Clone, Copy)]
pub struct FlowStats {
    pub nodes: usize,
    pub def_uses: usize,
}

/// The ids of a file's flow nodes, graph by graph. The first flow node of an AST node outside
/// the copies of a duplicated finally body, `__exit__` call or handler cleanup (its "own" flow
/// node) takes the AST node's id, so that flow edges join the AST nodes themselves, as in Joern;
/// the others (entry, exit and exception_exit, a node's second role, such as a for loop's
/// target after its step, and the copies) hash the scope and the node's position.
fn node_ids(scope_ids: &[i64], flows: &[ScopeFlow], ast_nodes: usize) -> Vec<Vec<i64>> {
    let mut claimed = vec![false; ast_nodes];
    flows
        .iter()
        .map(|flow| {
            let scope_id = scope_ids[flow.scope];
            flow.nodes
                .iter()
                .enumerate()
                .map(|(i, n)| match (n.ordinal, n.node_id) {
                    (Some(o), Some(node_id))
                        if n.copy == 0 && claimed.get(o as usize).is_some_and(|c| !c) =>
                    {
                        claimed[o as usize] = true;
                        node_id
                    }
                    _ => StableId::new("cfg_node")
                        .int(scope_id)
                        .int(i as i64)
                        .finish(),
                })
                .collect()
        })
        .collect()
}

/// One def-use row before it is written.
struct Row<'f> {
    use_flow: usize,
    use_node: u32,
    use_ev: &'f Event,
    def_flow: usize,
    def_node: u32,
    def_ev: &'f Event,
    via: &'static str,
}

/// The file's `ast_nodes` spans by ordinal: a flow node's row takes the span of its AST node
/// (CPython's positions: a decorated def starts at `def`).
pub struct AstSpans<'s> {
    pub bstart: &'s [i64],
    pub bend: &'s [i64],
}

/// Appends the rows of every flow table for one file.
#[allow(clippy::too_many_arguments)]
pub fn flow_rows(
    bufs: &mut Bufs<'_>,
    file_id: i64,
    base: u32,
    index: &LineIndex,
    tree: &ScopeTree,
    scope_ids: &[i64],
    flows: &[ScopeFlow],
    spans: &AstSpans<'_>,
) -> Result<FlowStats, ArrowError> {
    let off = |v: ruff_text_size::TextSize| (base + v.to_u32()) as i64;
    let span = |n: &super::FlowNode| {
        n.ordinal
            .map(|o| (spans.bstart[o as usize], spans.bend[o as usize]))
    };
    let facts: Vec<GraphFacts> = flows.iter().map(graph::analyze).collect();
    let ids = node_ids(scope_ids, flows, spans.bstart.len());
    let block_ids: Vec<Vec<i64>> = flows
        .iter()
        .zip(&facts)
        .zip(&ids)
        .map(|((f, g), ids)| {
            g.blocks
                .iter()
                .map(|members| {
                    StableId::new("block")
                        .int(scope_ids[f.scope])
                        .int(ids[members[0] as usize])
                        .finish()
                })
                .collect()
        })
        .collect();

    // cfg_nodes
    let total: usize = flows.iter().map(|f| f.nodes.len()).sum();
    let nodes = || {
        flows
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| f.nodes.iter().enumerate().map(move |(i, n)| (fi, i, n)))
    };
    let t = bufs.buf(Table::CfgNodes);
    t.i64s(nodes().map(|(fi, i, _)| ids[fi][i]))
        .repeat_i64(file_id, total)
        .i64s(nodes().map(|(fi, _, _)| scope_ids[flows[fi].scope]))
        .opt_i64s(nodes().map(|(_, _, n)| n.node_id))
        .opt_i64s(nodes().map(|(_, _, n)| n.stmt_id))
        .strs(nodes().map(|(_, _, n)| n.kind))
        .strs(nodes().map(|(_, _, n)| n.role))
        .i32s(nodes().map(|(_, _, n)| n.copy as i32))
        .opt_i64s(nodes().map(|(_, _, n)| span(n).map(|s| s.0)))
        .opt_i64s(nodes().map(|(_, _, n)| span(n).map(|s| s.1)))
        .opt_i32s(nodes().map(|(_, _, n)| span(n).map(|s| index.line_col(s.0 as u32).line as i32)))
        .i64s(nodes().map(|(fi, i, _)| block_ids[fi][facts[fi].block_of[i].0 as usize]))
        .i32s(nodes().map(|(fi, i, _)| facts[fi].block_of[i].1 as i32))
        .i32s(nodes().map(|(_, i, _)| i as i32));
    t.end()?;

    // cfg_edges
    let edges = || {
        flows
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| f.edges.iter().map(move |e| (fi, e)))
    };
    let n_edges: usize = flows.iter().map(|f| f.edges.len()).sum();
    let t = bufs.buf(Table::CfgEdges);
    t.i64s(edges().map(|(fi, e)| ids[fi][e.src as usize]))
        .i64s(edges().map(|(fi, e)| ids[fi][e.dst as usize]))
        .repeat_i64(file_id, n_edges)
        .i64s(edges().map(|(fi, _)| scope_ids[flows[fi].scope]))
        .strs(edges().map(|(_, e)| e.kind.as_str()))
        .bools(edges().map(|(_, e)| e.implicit));
    t.end()?;

    // basic_blocks
    let blocks = || {
        facts
            .iter()
            .enumerate()
            .flat_map(|(fi, g)| g.blocks.iter().enumerate().map(move |(b, m)| (fi, b, m)))
    };
    let n_blocks: usize = facts.iter().map(|g| g.blocks.len()).sum();
    // Each block's span: the smallest start and largest end of its nodes'.
    let block_spans: Vec<(Option<i64>, Option<i64>)> = blocks()
        .map(|(fi, _, m)| {
            let f = &flows[fi];
            let spans = m.iter().filter_map(|&v| span(&f.nodes[v as usize]));
            let lo = spans.clone().map(|s| s.0).min();
            let hi = spans.map(|s| s.1).max();
            (lo, hi)
        })
        .collect();
    let t = bufs.buf(Table::BasicBlocks);
    t.i64s(blocks().map(|(fi, b, _)| block_ids[fi][b]))
        .repeat_i64(file_id, n_blocks)
        .i64s(blocks().map(|(fi, _, _)| scope_ids[flows[fi].scope]))
        .i64s(blocks().map(|(fi, _, m)| ids[fi][m[0] as usize]))
        .i64s(blocks().map(|(fi, _, m)| ids[fi][m[m.len() - 1] as usize]))
        .i32s(blocks().map(|(_, _, m)| m.len() as i32))
        .opt_i64s(block_spans.iter().map(|s| s.0))
        .opt_i64s(block_spans.iter().map(|s| s.1));
    t.end()?;

    // dominators, post_dominators
    let t = bufs.buf(Table::Dominators);
    t.i64s(nodes().map(|(fi, i, _)| ids[fi][i]))
        .repeat_i64(file_id, total)
        .i64s(nodes().map(|(fi, _, _)| scope_ids[flows[fi].scope]))
        .opt_i64s(nodes().map(|(fi, i, _)| facts[fi].idom[i].map(|d| ids[fi][d as usize])))
        .opt_i32s(nodes().map(|(fi, i, _)| facts[fi].dom_depth[i].map(|d| d as i32)));
    t.end()?;
    let t = bufs.buf(Table::PostDominators);
    t.i64s(nodes().map(|(fi, i, _)| ids[fi][i]))
        .repeat_i64(file_id, total)
        .i64s(nodes().map(|(fi, _, _)| scope_ids[flows[fi].scope]))
        .opt_i64s(nodes().map(|(fi, i, _)| facts[fi].ipdom[i].map(|d| ids[fi][d as usize])));
    t.end()?;

    // control_deps
    let deps = || {
        facts
            .iter()
            .enumerate()
            .flat_map(|(fi, g)| g.control_deps.iter().map(move |d| (fi, d)))
    };
    let n_deps: usize = facts.iter().map(|g| g.control_deps.len()).sum();
    let t = bufs.buf(Table::ControlDeps);
    t.i64s(deps().map(|(fi, d)| ids[fi][d.0 as usize]))
        .i64s(deps().map(|(fi, d)| ids[fi][d.1 as usize]))
        .repeat_i64(file_id, n_deps)
        .i64s(deps().map(|(fi, _)| scope_ids[flows[fi].scope]))
        .strs(deps().map(|(_, d)| d.2.as_str()));
    t.end()?;

    // defs_uses
    let rows = def_use_rows(tree, flows, &facts);
    let site = |e: &Event| match e.span_of {
        Some(o) => (spans.bstart[o as usize], spans.bend[o as usize]),
        None => (off(e.range.start()), off(e.range.end())),
    };
    let t = bufs.buf(Table::DefsUses);
    t.i64s(rows.iter().map(|r| ids[r.use_flow][r.use_node as usize]))
        .repeat_i64(file_id, rows.len())
        .i64s(rows.iter().map(|r| scope_ids[flows[r.use_flow].scope]))
        .strs(
            rows.iter()
                .map(|r| flows[r.use_flow].names[r.use_ev.var as usize].as_str()),
        )
        .i64s(rows.iter().map(|r| r.use_ev.node_id))
        .i64s(rows.iter().map(|r| site(r.use_ev).0))
        .i64s(rows.iter().map(|r| site(r.use_ev).1))
        .i64s(rows.iter().map(|r| ids[r.def_flow][r.def_node as usize]))
        .i64s(rows.iter().map(|r| scope_ids[flows[r.def_flow].scope]))
        .i64s(rows.iter().map(|r| r.def_ev.node_id))
        .strs(rows.iter().map(|r| match r.def_ev.access {
            Access::Write(k) | Access::MayWrite(k) => k,
            Access::Read => "read",
        }))
        .i64s(rows.iter().map(|r| site(r.def_ev).0))
        .i64s(rows.iter().map(|r| site(r.def_ev).1))
        .strs(rows.iter().map(|r| r.via));
    t.end()?;
    Ok(FlowStats {
        nodes: total,
        def_uses: rows.len(),
    })
}

/// The scope a free variable's cell lives in: the nearest enclosing function-like scope
/// that holds it as a cell.
fn owner_of(tree: &ScopeTree, scope: usize, name: &str) -> Option<usize> {
    let mut p = tree.scopes[scope].parent;
    while let Some(i) = p {
        let s = &tree.scopes[i];
        if s.kind != ScopeKind::Class
            && s.symbol(name)
                .is_some_and(|sym| sym.scope == SymScope::Cell)
        {
            return Some(i);
        }
        p = s.parent;
    }
    None
}

/// Def-use rows of a file: local reaching definitions per scope, then closure rows.
fn def_use_rows<'f>(
    tree: &ScopeTree,
    flows: &'f [ScopeFlow],
    facts: &[GraphFacts],
) -> Vec<Row<'f>> {
    let mut rows = Vec::new();
    for (fi, (flow, g)) in flows.iter().zip(facts).enumerate() {
        let tracked = reach::tracked(flow, &tree.scopes[flow.scope]);
        for DefUse {
            use_node,
            use_event,
            def_node,
            def_event,
        } in reach::def_uses(flow, g, &tracked)
        {
            rows.push(Row {
                use_flow: fi,
                use_node,
                use_ev: &flow.events_of(use_node)[use_event as usize],
                def_flow: fi,
                def_node,
                def_ev: &flow.events_of(def_node)[def_event as usize],
                via: "local",
            });
        }
    }

    // Closure rows. Writes of each cell, by (owner scope, name): the owner's own and those of
    // nested scopes that declare the name nonlocal.
    type Site<'f> = (usize, u32, &'f Event);
    let mut own: HashMap<(usize, &Name), Vec<Site<'f>>> = HashMap::default();
    let mut foreign: HashMap<(usize, &Name), Vec<Site<'f>>> = HashMap::default();
    let writes = |flow: &'f ScopeFlow| {
        flow.nodes.iter().enumerate().flat_map(move |(ni, n)| {
            flow.events[n.first_event as usize..(n.first_event + n.event_count) as usize]
                .iter()
                .filter(|e| !matches!(e.access, Access::Read))
                .map(move |e| (ni as u32, e))
        })
    };
    for (fi, flow) in flows.iter().enumerate() {
        let scope = &tree.scopes[flow.scope];
        for (ni, e) in writes(flow) {
            let name = &flow.names[e.var as usize];
            let Some(sym) = scope.symbol(name.as_str()) else {
                continue;
            };
            match sym.scope {
                SymScope::Cell => own.entry((flow.scope, name)).or_default().push((fi, ni, e)),
                SymScope::Free if sym.is(DEF_NONLOCAL) => {
                    if let Some(o) = owner_of(tree, flow.scope, name.as_str()) {
                        foreign.entry((o, name)).or_default().push((fi, ni, e));
                    }
                }
                _ => {}
            }
        }
    }
    for (fi, flow) in flows.iter().enumerate() {
        let scope = &tree.scopes[flow.scope];
        for (ni, n) in flow.nodes.iter().enumerate() {
            for e in &flow.events[n.first_event as usize..(n.first_event + n.event_count) as usize]
            {
                if e.access != Access::Read {
                    continue;
                }
                let name = &flow.names[e.var as usize];
                let Some(sym) = scope.symbol(name.as_str()) else {
                    continue;
                };
                let sites: Vec<&Site> = match sym.scope {
                    SymScope::Free => match owner_of(tree, flow.scope, name.as_str()) {
                        Some(o) => own
                            .get(&(o, name))
                            .into_iter()
                            .chain(foreign.get(&(o, name)))
                            .flatten()
                            .collect(),
                        None => Vec::new(),
                    },
                    SymScope::Cell => foreign
                        .get(&(flow.scope, name))
                        .into_iter()
                        .flatten()
                        .collect(),
                    _ => Vec::new(),
                };
                for &(df, dn, de) in sites {
                    rows.push(Row {
                        use_flow: fi,
                        use_node: ni as u32,
                        use_ev: e,
                        def_flow: df,
                        def_node: dn,
                        def_ev: de,
                        via: "closure",
                    });
                }
            }
        }
    }
    rows
}
