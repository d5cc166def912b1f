//! Specs of the flow tables: each scope's control-flow graph (`cfg_nodes`, `cfg_edges`,
//! `basic_blocks`), its dominator and post-dominator trees, control dependence, and reaching
//! definitions (`defs_uses`).
//!
//! A scope is a module body, a class body, a function, a lambda or a comprehension (one
//! graph each, as CPython compiles one code object each). Flow nodes are keyed by
//! `cfg_node_id`; every row carries its file and scope.

use arrow_schema::{DataType, Field};

use super::syntax::{int, offset, opt_offset, spec};
use super::{TableSpec, col, flag, hash, id, opt_id, text};

fn opt_int(name: &str, description: &str) -> Field {
    col(name, DataType::Int32, true, description)
}

fn owner() -> [Field; 2] {
    [
        id("file_id", "The file"),
        id(
            "scope_id",
            "The scope whose graph the row belongs to (scopes.scope_id)",
        ),
    ]
}

pub(super) fn cfg_nodes() -> TableSpec {
    let mut f = vec![id(
        "cfg_node_id",
        "The node: its AST node's id (node_id) for the first flow node of an AST node outside the copies (so that CPG flow edges join the AST nodes, as in Joern); a stable hash of the scope and the node's position in its graph for the others (entry and exits, a second role, copies)",
    )];
    f.extend(owner());
    f.extend([
        opt_id(
            "node_id",
            "The AST node evaluated (ast_nodes.node_id); null for entry, exit and exception_exit",
        ),
        opt_id(
            "stmt_id",
            "The statement the node is part of (an except handler, match case, lambda or comprehension for nodes of those); null for entry and exits",
        ),
        text(
            "kind",
            "entry, exit, exception_exit, or the CPython ast class of node_id (Assign, Call, If, ExceptHandler, withitem, match_case, comprehension, ...)",
        ),
        text(
            "role",
            "What the node does for its AST node: eval, test (a branch), next (a loop's step), target (a loop's assignment), bind (a handler's or case's names), enter/exit (a with item's __enter__/__exit__), cleanup (the implicit del after except ... as), pattern, guard, element, yield, return",
        ),
        int(
            "copy",
            "Which copy of a duplicated finally body, __exit__ call or handler cleanup the node is in: 0 for normal completion (and nodes not copied), others for the exception, return, break and continue paths",
        ),
        opt_offset("bstart", "Span start of the AST node, inclusive byte offset"),
        opt_offset("bend", "Span end of the AST node, exclusive byte offset"),
        opt_int("line", "1-based line of bstart"),
        id("block_id", "The basic block (basic_blocks.block_id)"),
        int("index_in_block", "Position in the block, from 0"),
        int(
            "ordinal",
            "Position in the scope's graph: 0 entry, 1 exit, 2 exception_exit, then evaluation order",
        ),
    ]);
    spec(
        "cfg_nodes",
        "Flow nodes of every scope's control-flow graph: entry, exit, exception_exit, and every statement, call, yield, await, comprehension, lambda, walrus and short-circuit test, in evaluation order.",
        &["cfg_node_id"],
        f,
    )
}

pub(super) fn cfg_edges() -> TableSpec {
    let mut f = vec![
        hash(id("src", "The node control leaves (cfg_nodes.cfg_node_id)")),
        hash(id("dst", "The node control reaches")),
    ];
    f.extend(owner());
    f.extend([
        text(
            "kind",
            "normal, true, false, exception, exhausted (a for loop or comprehension ran out), break, continue or return",
        ),
        flag(
            "implicit",
            "An exception edge from a node that may raise (not from raise, a failed assert, a handler that does not match or a re-raise)",
        ),
    ]);
    spec(
        "cfg_edges",
        "Edges of the control-flow graphs, with their kind.",
        &["src", "dst", "kind"],
        f,
    )
}

pub(super) fn basic_blocks() -> TableSpec {
    let mut f = vec![id(
        "block_id",
        "Stable hash of the scope and the block's first node",
    )];
    f.extend(owner());
    f.extend([
        hash(id(
            "first_node",
            "The block's first node (cfg_nodes.cfg_node_id)",
        )),
        hash(id("last_node", "The block's last node")),
        int("node_count", "Nodes in the block"),
        opt_offset(
            "bstart",
            "Smallest span start of the block's nodes; null for a block of entry or exit",
        ),
        opt_offset("bend", "Largest span end of the block's nodes"),
    ]);
    spec(
        "basic_blocks",
        "Basic blocks: maximal chains of flow nodes joined by non-exception edges (factored: exception edges leave from inside a block).",
        &["block_id"],
        f,
    )
}

pub(super) fn dominators() -> TableSpec {
    let mut f = vec![id("cfg_node_id", "The node")];
    f.extend(owner());
    f.extend([
        hash(opt_id(
            "idom",
            "Its immediate dominator over all edges from entry; null for entry and for unreachable nodes",
        )),
        opt_int("depth", "Depth in the dominator tree (entry 0); null when unreachable"),
    ]);
    spec(
        "dominators",
        "The dominator tree of every scope's graph: one row per flow node.",
        &["cfg_node_id"],
        f,
    )
}

pub(super) fn post_dominators() -> TableSpec {
    let mut f = vec![id("cfg_node_id", "The node")];
    f.extend(owner());
    f.extend([hash(opt_id(
        "ipdom",
        "Its immediate post-dominator towards exit and exception_exit, over all edges but implicit exception edges; null when no node post-dominates it (and for the exits)",
    ))]);
    spec(
        "post_dominators",
        "The post-dominator tree of every scope's graph: one row per flow node.",
        &["cfg_node_id"],
        f,
    )
}

pub(super) fn control_deps() -> TableSpec {
    let mut f = vec![
        id("cfg_node_id", "The dependent node"),
        id(
            "branch_id",
            "The node whose outgoing edge decides whether it runs",
        ),
    ];
    f.extend(owner());
    f.push(text(
        "kind",
        "The kind of the branch's edge (true, false, exhausted, exception, ...)",
    ));
    spec(
        "control_deps",
        "Control dependence (the CDG): a node depends on a branch through one of its edges.",
        &["cfg_node_id", "branch_id", "kind"],
        f,
    )
}

pub(super) fn defs_uses() -> TableSpec {
    let mut f = vec![id(
        "use_cfg_node_id",
        "The flow node in which the variable is read",
    )];
    f.extend(owner());
    f.extend([
        text("var", "The variable (mangled as CPython mangles private names)"),
        id("use_node_id", "The Name read (ast_nodes.node_id)"),
        offset("use_bstart", "Span start of the read"),
        offset("use_bend", "Span end of the read"),
        id("def_cfg_node_id", "The flow node of the definition"),
        id("def_scope_id", "The scope of the definition (another one for closure rows)"),
        id(
            "def_node_id",
            "The definition's AST node: the Name target, alias, def, class, arg, except handler or pattern",
        ),
        text(
            "def_kind",
            "assign, augassign, annassign, for, with, except, walrus, import, def, class, param, del, implicit_del, match, type_alias or comprehension",
        ),
        offset("def_bstart", "Span start of the definition site"),
        offset("def_bend", "Span end of the definition site"),
        text(
            "via",
            "local: the definition reaches the read along the scope's control flow; closure: a read of a free (or nonlocal-written cell) variable, paired with every write of it in the scopes sharing the cell",
        ),
    ]);
    spec(
        "defs_uses",
        "Reaching definitions: for each read of a local, cell or free variable, each definition that can reach it.",
        &[
            "use_cfg_node_id",
            "use_node_id",
            "def_cfg_node_id",
            "def_node_id",
        ],
        f,
    )
}
