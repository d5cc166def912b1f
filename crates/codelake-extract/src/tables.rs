//! Row buffers for the evidence tables, turned into Arrow record batches with the schemas of
//! the spec registry (so a batch can never disagree with its table's spec).

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{
    ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray, StructArray,
};
use arrow_schema::ArrowError;
use codelake_schema::span::{LineCol, LineIndex};
use codelake_schema::spec::{self, span_fields};

/// The evidence tables written by the extraction pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Files,
    FileLines,
    AstNodes,
    ExtractErrors,
    Scopes,
    Symbols,
    Bindings,
    NameRefs,
    Defs,
    Params,
    Calls,
    CallArgs,
    Imports,
    Decorators,
    Docstrings,
    Annotations,
    Comments,
    Tokens,
    TsNodes,
    TsErrors,
}

impl Table {
    pub const ALL: [Table; 20] = [
        Table::Files,
        Table::FileLines,
        Table::AstNodes,
        Table::ExtractErrors,
        Table::Scopes,
        Table::Symbols,
        Table::Bindings,
        Table::NameRefs,
        Table::Defs,
        Table::Params,
        Table::Calls,
        Table::CallArgs,
        Table::Imports,
        Table::Decorators,
        Table::Docstrings,
        Table::Annotations,
        Table::Comments,
        Table::Tokens,
        Table::TsNodes,
        Table::TsErrors,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Files => "files",
            Table::FileLines => "file_lines",
            Table::AstNodes => "ast_nodes",
            Table::ExtractErrors => "extract_errors",
            Table::Scopes => "scopes",
            Table::Symbols => "symbols",
            Table::Bindings => "bindings",
            Table::NameRefs => "name_refs",
            Table::Defs => "defs",
            Table::Params => "params",
            Table::Calls => "calls",
            Table::CallArgs => "call_args",
            Table::Imports => "imports",
            Table::Decorators => "decorators",
            Table::Docstrings => "docstrings",
            Table::Annotations => "annotations",
            Table::Comments => "comments",
            Table::Tokens => "tokens",
            Table::TsNodes => "ts_nodes",
            Table::TsErrors => "ts_errors",
        }
    }

    pub fn spec(self) -> &'static spec::TableSpec {
        match spec::spec(self.name()) {
            Some(s) => s,
            // The registry and this enum are defined together; a test checks they agree.
            None => unreachable!("table {} missing from the spec registry", self.name()),
        }
    }
}

pub(crate) fn batch(table: Table, columns: Vec<ArrayRef>) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(table.spec().schema.clone(), columns)
}

/// One `files` row.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub file_id: i64,
    pub path: String,
    pub module: Option<String>,
    pub is_package: bool,
    pub is_stub: bool,
    pub size_bytes: i64,
    pub content_hash: String,
    pub line_count: i32,
    pub encoding: Option<String>,
}

pub fn files_batch(rows: &[FileRow]) -> Result<RecordBatch, ArrowError> {
    batch(
        Table::Files,
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.file_id))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.path))),
            Arc::new(StringArray::from_iter(
                rows.iter().map(|r| r.module.as_deref()),
            )),
            Arc::new(BooleanArray::from_iter(
                rows.iter().map(|r| Some(r.is_package)),
            )),
            Arc::new(BooleanArray::from_iter(
                rows.iter().map(|r| Some(r.is_stub)),
            )),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.size_bytes),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.content_hash),
            )),
            Arc::new(Int32Array::from_iter_values(
                rows.iter().map(|r| r.line_count),
            )),
            Arc::new(StringArray::from_iter(
                rows.iter().map(|r| r.encoding.as_deref()),
            )),
        ],
    )
}

/// The `file_lines` rows of one file.
pub fn file_lines_batch(file_id: i64, index: &LineIndex) -> Result<RecordBatch, ArrowError> {
    let lines = index.lines();
    let n = lines.len();
    batch(
        Table::FileLines,
        vec![
            Arc::new(Int64Array::from_iter_values(std::iter::repeat_n(
                file_id, n,
            ))),
            Arc::new(Int32Array::from_iter_values(0..n as i32)),
            Arc::new(Int64Array::from_iter_values(
                lines.iter().map(|l| l.bstart as i64),
            )),
            Arc::new(Int64Array::from_iter_values(
                lines.iter().map(|l| l.bend as i64),
            )),
            Arc::new(StringArray::from_iter_values(
                lines.iter().map(|l| l.newline.as_str()),
            )),
        ],
    )
}

/// One `extract_errors` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRow {
    pub file_id: i64,
    pub path: String,
    pub stage: &'static str,
    pub kind: &'static str,
    pub message: String,
    pub bstart: Option<i64>,
    pub bend: Option<i64>,
    pub line: Option<i32>,
    pub col: Option<i32>,
}

pub fn errors_batch(rows: &[ErrorRow]) -> Result<RecordBatch, ArrowError> {
    batch(
        Table::ExtractErrors,
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.file_id))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.path))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.stage))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.kind))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.message),
            )),
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.bstart))),
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.bend))),
            Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.line))),
            Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.col))),
        ],
    )
}

/// One `ast_nodes` row, borrowed from the tree while it is walked.
pub struct AstRow<'s> {
    pub node_id: i64,
    pub file_id: i64,
    pub parent_id: Option<i64>,
    pub field: Option<&'static str>,
    pub field_index: Option<i32>,
    pub ordinal: i32,
    pub depth: i32,
    pub kind: &'static str,
    pub bstart: u32,
    pub bend: u32,
    pub start: LineCol,
    pub end: LineCol,
    pub name: Option<&'s str>,
    pub ctx: Option<&'static str>,
    pub op: Option<&'s str>,
    pub value: Option<&'s str>,
}

/// Columnar buffer of `ast_nodes` rows.
#[derive(Default)]
pub struct AstRows {
    node_id: Vec<i64>,
    file_id: Vec<i64>,
    parent_id: Vec<Option<i64>>,
    field: StringBuilder,
    field_index: Vec<Option<i32>>,
    ordinal: Vec<i32>,
    depth: Vec<i32>,
    kind: StringBuilder,
    bstart: Vec<i64>,
    bend: Vec<i64>,
    start_line: Vec<i32>,
    start_col: Vec<i32>,
    end_line: Vec<i32>,
    end_col: Vec<i32>,
    name: StringBuilder,
    ctx: StringBuilder,
    op: StringBuilder,
    value: StringBuilder,
}

impl AstRows {
    /// Room for `rows` rows without growing (see [`crate::ast::expected_nodes`]).
    pub fn with_capacity(rows: usize) -> Self {
        let strings = || StringBuilder::with_capacity(rows, rows * 4);
        Self {
            node_id: Vec::with_capacity(rows),
            file_id: Vec::with_capacity(rows),
            parent_id: Vec::with_capacity(rows),
            field: strings(),
            field_index: Vec::with_capacity(rows),
            ordinal: Vec::with_capacity(rows),
            depth: Vec::with_capacity(rows),
            kind: StringBuilder::with_capacity(rows, rows * 8),
            bstart: Vec::with_capacity(rows),
            bend: Vec::with_capacity(rows),
            start_line: Vec::with_capacity(rows),
            start_col: Vec::with_capacity(rows),
            end_line: Vec::with_capacity(rows),
            end_col: Vec::with_capacity(rows),
            name: strings(),
            ctx: strings(),
            op: StringBuilder::with_capacity(rows, rows),
            value: strings(),
        }
    }

    pub fn len(&self) -> usize {
        self.node_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.node_id.is_empty()
    }

    /// The id of the row at `i` (rows are in pre-order: `i` is the node's ordinal).
    pub fn node_id_at(&self, i: usize) -> Option<i64> {
        self.node_id.get(i).copied()
    }

    /// `(node_id, bstart, bend)` of every row so far, in pre-order.
    pub fn spans(&self) -> (&[i64], &[i64], &[i64]) {
        (&self.node_id, &self.bstart, &self.bend)
    }

    pub fn push(&mut self, r: AstRow<'_>) {
        self.node_id.push(r.node_id);
        self.file_id.push(r.file_id);
        self.parent_id.push(r.parent_id);
        self.field.append_option(r.field);
        self.field_index.push(r.field_index);
        self.ordinal.push(r.ordinal);
        self.depth.push(r.depth);
        self.kind.append_value(r.kind);
        self.bstart.push(r.bstart as i64);
        self.bend.push(r.bend as i64);
        self.start_line.push(r.start.line as i32);
        self.start_col.push(r.start.col as i32);
        self.end_line.push(r.end.line as i32);
        self.end_col.push(r.end.col as i32);
        self.name.append_option(r.name);
        self.ctx.append_option(r.ctx);
        self.op.append_option(r.op);
        self.value.append_option(r.value);
    }

    /// Takes the buffered rows as a record batch, leaving the buffer empty.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let bstart: ArrayRef = Arc::new(Int64Array::from(std::mem::take(&mut self.bstart)));
        let bend: ArrayRef = Arc::new(Int64Array::from(std::mem::take(&mut self.bend)));
        let span = StructArray::try_new(
            span_fields(),
            vec![
                bstart.clone(),
                bend.clone(),
                Arc::new(Int32Array::from(std::mem::take(&mut self.start_line))),
                Arc::new(Int32Array::from(std::mem::take(&mut self.start_col))),
                Arc::new(Int32Array::from(std::mem::take(&mut self.end_line))),
                Arc::new(Int32Array::from(std::mem::take(&mut self.end_col))),
            ],
            None,
        )?;
        batch(
            Table::AstNodes,
            vec![
                Arc::new(Int64Array::from(std::mem::take(&mut self.node_id))),
                Arc::new(Int64Array::from(std::mem::take(&mut self.file_id))),
                Arc::new(Int64Array::from(std::mem::take(&mut self.parent_id))),
                Arc::new(self.field.finish()),
                Arc::new(Int32Array::from(std::mem::take(&mut self.field_index))),
                Arc::new(Int32Array::from(std::mem::take(&mut self.ordinal))),
                Arc::new(Int32Array::from(std::mem::take(&mut self.depth))),
                Arc::new(self.kind.finish()),
                bstart,
                bend,
                Arc::new(span),
                Arc::new(self.name.finish()),
                Arc::new(self.ctx.finish()),
                Arc::new(self.op.finish()),
                Arc::new(self.value.finish()),
            ],
        )
    }
}

/// The stable id of every scope of a tree, by index.
pub fn scope_ids(file_id: i64, tree: &crate::scopes::ScopeTree) -> Vec<i64> {
    tree.scopes
        .iter()
        .enumerate()
        .map(|(i, sc)| crate::scopes::scope_id(file_id, sc, i))
        .collect()
}

/// The `scopes`, `symbols`, `bindings` and `name_refs` rows of one file.
pub fn scope_batches(
    file_id: i64,
    base: u32,
    tree: &crate::scopes::ScopeTree,
) -> Result<[RecordBatch; 4], ArrowError> {
    use crate::scopes::ScopeKind;
    use codelake_schema::ids::StableId;
    let ids = scope_ids(file_id, tree);
    let off = |v: ruff_text_size::TextSize| (base + v.to_u32()) as i64;
    let sc = &tree.scopes;
    let scopes = batch(
        Table::Scopes,
        vec![
            Arc::new(Int64Array::from(ids.clone())),
            Arc::new(Int64Array::from_iter_values(std::iter::repeat_n(
                file_id,
                sc.len(),
            ))),
            Arc::new(Int64Array::from_iter(
                sc.iter().map(|s| s.parent.map(|p| ids[p])),
            )),
            Arc::new(StringArray::from_iter_values(
                sc.iter().map(|s| s.kind.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                sc.iter().map(|s| s.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                sc.iter().map(|s| s.qualname.as_str()),
            )),
            Arc::new(Int32Array::from_iter_values(
                sc.iter().map(|s| s.lineno as i32),
            )),
            Arc::new(Int64Array::from_iter_values(sc.iter().map(|s| s.node_id))),
            Arc::new(Int64Array::from_iter_values(
                sc.iter().map(|s| off(s.range.start())),
            )),
            Arc::new(Int64Array::from_iter_values(
                sc.iter().map(|s| off(s.range.end())),
            )),
            Arc::new(BooleanArray::from_iter(
                sc.iter().map(|s| Some(s.is_generator)),
            )),
            Arc::new(BooleanArray::from_iter(
                sc.iter().map(|s| Some(s.is_coroutine)),
            )),
            Arc::new(BooleanArray::from_iter(sc.iter().map(|s| Some(s.nested)))),
            Arc::new(BooleanArray::from_iter(
                sc.iter().map(|s| Some(s.has_varargs)),
            )),
            Arc::new(BooleanArray::from_iter(
                sc.iter().map(|s| Some(s.has_varkeywords)),
            )),
        ],
    )?;

    // symbols
    let mut sym_scope = Vec::new();
    let mut name = Vec::new();
    let mut scope_name = Vec::new();
    let mut preds: Vec<Vec<bool>> = vec![Vec::new(); 12];
    let mut ns_count = Vec::new();
    for (i, s) in sc.iter().enumerate() {
        let module = s.kind == ScopeKind::Module;
        for sym in &s.symbols {
            use crate::scopes::*;
            let bound = sym.is(DEF_BOUND);
            let count = s
                .children
                .iter()
                .filter(|&&c| sc[c].name == sym.name)
                .count();
            let values = [
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
            for (p, v) in preds.iter_mut().zip(values) {
                p.push(v);
            }
            sym_scope.push(ids[i]);
            name.push(sym.name.as_str());
            scope_name.push(sym.scope.as_str());
            ns_count.push(count as i32);
        }
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(sym_scope)),
        Arc::new(Int64Array::from_iter_values(std::iter::repeat_n(
            file_id,
            name.len(),
        ))),
        Arc::new(StringArray::from(name)),
        Arc::new(StringArray::from(scope_name)),
    ];
    for p in preds {
        cols.push(Arc::new(BooleanArray::from(p)));
    }
    cols.push(Arc::new(Int32Array::from(ns_count)));
    let symbols = batch(Table::Symbols, cols)?;

    let b = &tree.bindings;
    let binding_id = |x: &crate::scopes::Binding| {
        StableId::new("binding")
            .int(file_id)
            .int(x.node_id)
            .str(&x.name)
            .str(x.kind)
            .int(off(x.range.start()))
            .finish()
    };
    let bindings = batch(
        Table::Bindings,
        vec![
            Arc::new(Int64Array::from_iter_values(b.iter().map(binding_id))),
            Arc::new(Int64Array::from_iter_values(std::iter::repeat_n(
                file_id,
                b.len(),
            ))),
            Arc::new(Int64Array::from_iter_values(b.iter().map(|x| ids[x.scope]))),
            Arc::new(Int64Array::from_iter_values(
                b.iter().map(|x| ids[x.site_scope]),
            )),
            Arc::new(StringArray::from_iter_values(
                b.iter().map(|x| x.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(b.iter().map(|x| x.kind))),
            Arc::new(Int64Array::from_iter_values(b.iter().map(|x| x.node_id))),
            Arc::new(Int64Array::from_iter_values(
                b.iter().map(|x| off(x.range.start())),
            )),
            Arc::new(Int64Array::from_iter_values(
                b.iter().map(|x| off(x.range.end())),
            )),
        ],
    )?;

    let r = &tree.refs;
    let ref_id = |x: &crate::scopes::NameRef| {
        StableId::new("ref")
            .int(file_id)
            .int(x.node_id)
            .str(&x.name)
            .int(off(x.range.start()))
            .finish()
    };
    let refs = batch(
        Table::NameRefs,
        vec![
            Arc::new(Int64Array::from_iter_values(r.iter().map(ref_id))),
            Arc::new(Int64Array::from_iter_values(std::iter::repeat_n(
                file_id,
                r.len(),
            ))),
            Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.node_id))),
            Arc::new(Int64Array::from_iter_values(r.iter().map(|x| ids[x.scope]))),
            Arc::new(StringArray::from_iter_values(
                r.iter().map(|x| x.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(r.iter().map(|x| x.ctx))),
            Arc::new(Int64Array::from_iter(
                r.iter().map(|x| x.resolved.map(|i| ids[i])),
            )),
            Arc::new(StringArray::from_iter_values(
                r.iter().map(|x| x.resolution),
            )),
            Arc::new(Int64Array::from_iter_values(
                r.iter().map(|x| off(x.range.start())),
            )),
            Arc::new(Int64Array::from_iter_values(
                r.iter().map(|x| off(x.range.end())),
            )),
        ],
    )?;
    Ok([scopes, symbols, bindings, refs])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_spec_and_empty_batches_match_it() {
        for t in Table::ALL {
            assert_eq!(t.spec().name, t.name());
        }
        assert_eq!(files_batch(&[]).unwrap().num_rows(), 0);
        assert_eq!(errors_batch(&[]).unwrap().num_rows(), 0);
        assert_eq!(AstRows::default().finish().unwrap().num_rows(), 0);
        let idx = LineIndex::new("a\nb", 0);
        assert_eq!(file_lines_batch(1, &idx).unwrap().num_rows(), 2);
    }
}
