//! The rows of the scope tables (`scopes`, `symbols`, `bindings`, `name_refs`) from one file's
//! [`ScopeTree`]: the analysis in [`super`] knows nothing of Arrow; this is where its results
//! become table rows.

use arrow_schema::ArrowError;
use codelake_schema::ids::StableId;

use super::{
    Binding, DEF_ANNOT, DEF_BOUND, DEF_IMPORT, DEF_LOCAL, DEF_NONLOCAL, DEF_PARAM, NameRef,
    ScopeKind, ScopeTree, SymScope, USE, scope_id,
};
use crate::tables::{Chunk, Table};

/// The stable id of every scope of a tree, by index.
pub fn scope_ids(file_id: i64, tree: &ScopeTree) -> Vec<i64> {
    tree.scopes
        .iter()
        .enumerate()
        .map(|(i, sc)| scope_id(file_id, sc, i))
        .collect()
}

/// Appends the `scopes`, `symbols`, `bindings` and `name_refs` rows of one file.
pub fn scope_rows(
    chunk: &mut Chunk,
    file_id: i64,
    base: u32,
    tree: &ScopeTree,
) -> Result<(), ArrowError> {
    let ids = scope_ids(file_id, tree);
    let off = |v: ruff_text_size::TextSize| (base + v.to_u32()) as i64;
    let sc = &tree.scopes;
    let t = chunk.buf(Table::Scopes);
    t.i64s(ids.iter().copied())
        .repeat_i64(file_id, sc.len())
        .opt_i64s(sc.iter().map(|s| s.parent.map(|p| ids[p])))
        .strs(sc.iter().map(|s| s.kind.as_str()))
        .strs(sc.iter().map(|s| s.name.as_str()))
        .strs(sc.iter().map(|s| s.qualname.as_str()))
        .i32s(sc.iter().map(|s| s.lineno as i32))
        .i64s(sc.iter().map(|s| s.node_id))
        .i64s(sc.iter().map(|s| off(s.range.start())))
        .i64s(sc.iter().map(|s| off(s.range.end())))
        .bools(sc.iter().map(|s| s.is_generator))
        .bools(sc.iter().map(|s| s.is_coroutine))
        .bools(sc.iter().map(|s| s.nested))
        .bools(sc.iter().map(|s| s.has_varargs))
        .bools(sc.iter().map(|s| s.has_varkeywords));
    t.end()?;

    // symbols: one pass gathers each symbol's scope and predicates, then the columns are
    // filled from it.
    struct Sym<'t> {
        scope: usize,
        name: &'t str,
        scope_name: &'static str,
        preds: [bool; 12],
        ns_count: i32,
    }
    let mut syms = Vec::new();
    // The child scopes of a scope by name (a module's classes and functions can number in the
    // hundreds, and so can its symbols: counting by scanning the children per symbol was
    // quadratic).
    let mut children: rustc_hash::FxHashMap<&str, i32> = rustc_hash::FxHashMap::default();
    for (i, s) in sc.iter().enumerate() {
        let module = s.kind == ScopeKind::Module;
        children.clear();
        for &c in &s.children {
            *children.entry(sc[c].name.as_str()).or_default() += 1;
        }
        for sym in &s.symbols {
            let bound = sym.is(DEF_BOUND);
            let count = children.get(sym.name.as_str()).copied().unwrap_or(0);
            let preds = [
                sym.is(USE),
                sym.is(DEF_LOCAL),
                sym.is(DEF_PARAM),
                sym.is(DEF_IMPORT),
                matches!(
                    sym.scope,
                    SymScope::GlobalImplicit | SymScope::GlobalExplicit
                ) || (module && bound),
                sym.scope == SymScope::GlobalExplicit,
                sym.is(DEF_NONLOCAL),
                matches!(sym.scope, SymScope::Local | SymScope::Cell) || (module && bound),
                sym.scope == SymScope::Free,
                sym.is(DEF_ANNOT),
                count > 0,
                sym.scope == SymScope::Cell,
            ];
            syms.push(Sym {
                scope: i,
                name: sym.name.as_str(),
                scope_name: sym.scope.as_str(),
                preds,
                ns_count: count,
            });
        }
    }
    let t = chunk.buf(Table::Symbols);
    t.i64s(syms.iter().map(|s| ids[s.scope]))
        .repeat_i64(file_id, syms.len())
        .strs(syms.iter().map(|s| s.name))
        .strs(syms.iter().map(|s| s.scope_name));
    for p in 0..12 {
        t.bools(syms.iter().map(|s| s.preds[p]));
    }
    t.i32s(syms.iter().map(|s| s.ns_count));
    t.end()?;

    let b = &tree.bindings;
    let binding_id = |x: &Binding| {
        StableId::new("binding")
            .int(file_id)
            .int(x.node_id)
            .str(&x.name)
            .str(x.kind)
            .int(off(x.range.start()))
            .finish()
    };
    let t = chunk.buf(Table::Bindings);
    t.i64s(b.iter().map(binding_id))
        .repeat_i64(file_id, b.len())
        .i64s(b.iter().map(|x| ids[x.scope]))
        .i64s(b.iter().map(|x| ids[x.site_scope]))
        .strs(b.iter().map(|x| x.name.as_str()))
        .strs(b.iter().map(|x| x.kind))
        .i64s(b.iter().map(|x| x.node_id))
        .i64s(b.iter().map(|x| off(x.range.start())))
        .i64s(b.iter().map(|x| off(x.range.end())));
    t.end()?;

    let r = &tree.refs;
    let ref_id = |x: &NameRef| {
        StableId::new("ref")
            .int(file_id)
            .int(x.node_id)
            .str(&x.name)
            .int(off(x.range.start()))
            .finish()
    };
    let t = chunk.buf(Table::NameRefs);
    t.i64s(r.iter().map(ref_id))
        .repeat_i64(file_id, r.len())
        .i64s(r.iter().map(|x| x.node_id))
        .i64s(r.iter().map(|x| ids[x.scope]))
        .strs(r.iter().map(|x| x.name.as_str()))
        .strs(r.iter().map(|x| x.ctx))
        .opt_i64s(r.iter().map(|x| x.resolved.map(|i| ids[i])))
        .strs(r.iter().map(|x| x.resolution))
        .i64s(r.iter().map(|x| off(x.range.start())))
        .i64s(r.iter().map(|x| off(x.range.end())));
    t.end()
}
