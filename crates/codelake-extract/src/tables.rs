//! Row buffers for the evidence tables, turned into Arrow record batches with the schemas of
//! the spec registry (so a batch can never disagree with its table's spec).

use std::sync::Arc;

use arrow_array::builder::{BooleanBufferBuilder, ListBuilder, NullBufferBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray, StructArray,
};
use arrow_schema::{ArrowError, DataType, FieldRef};
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
    CfgNodes,
    CfgEdges,
    BasicBlocks,
    Dominators,
    PostDominators,
    ControlDeps,
    DefsUses,
}

impl Table {
    pub const ALL: [Table; 27] = [
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
        Table::CfgNodes,
        Table::CfgEdges,
        Table::BasicBlocks,
        Table::Dominators,
        Table::PostDominators,
        Table::ControlDeps,
        Table::DefsUses,
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
            Table::CfgNodes => "cfg_nodes",
            Table::CfgEdges => "cfg_edges",
            Table::BasicBlocks => "basic_blocks",
            Table::Dominators => "dominators",
            Table::PostDominators => "post_dominators",
            Table::ControlDeps => "control_deps",
            Table::DefsUses => "defs_uses",
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

/// The values of a fixed-width column and which of them are null.
///
/// Arrow's builders are filled a call per value, a call the compiler leaves out of line in
/// these loops; a column here is a vector the loops push to (and extend in one go when no
/// value is null), taken whole by [`ColBuf::finish`].
struct Fixed<T> {
    values: Vec<T>,
    nulls: NullBufferBuilder,
}

impl<T: Default> Default for Fixed<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Default> Fixed<T> {
    fn new() -> Self {
        Self::with_capacity(0)
    }

    fn with_capacity(rows: usize) -> Self {
        Self {
            values: Vec::with_capacity(rows),
            nulls: NullBufferBuilder::new(rows),
        }
    }

    /// Appends one value that may be null.
    #[inline]
    fn push_opt(&mut self, value: Option<T>) {
        match value {
            Some(v) => {
                self.values.push(v);
                self.nulls.append_non_null();
            }
            None => {
                self.values.push(T::default());
                self.nulls.append_null();
            }
        }
    }

    /// Appends values none of which is null.
    #[inline]
    fn extend(&mut self, values: impl Iterator<Item = T>) {
        let before = self.values.len();
        self.values.extend(values);
        self.nulls.append_n_non_nulls(self.values.len() - before);
    }

    /// Appends values some of which may be null.
    #[inline]
    fn extend_opt(&mut self, values: impl Iterator<Item = Option<T>>) {
        for v in values {
            self.push_opt(v);
        }
    }

    /// Takes the values and their nulls, leaving room for as many.
    fn take(&mut self) -> (Vec<T>, Option<arrow_buffer::NullBuffer>) {
        (take_sized(&mut self.values), self.nulls.finish())
    }
}

impl Fixed<i64> {
    fn finish_i64(&mut self) -> Int64Array {
        let (values, nulls) = self.take();
        Int64Array::new(values.into(), nulls)
    }
}

impl Fixed<i32> {
    fn finish_i32(&mut self) -> Int32Array {
        let (values, nulls) = self.take();
        Int32Array::new(values.into(), nulls)
    }
}

/// One growable column of a [`TableBuf`].
enum ColBuf {
    I64(Fixed<i64>),
    I32(Fixed<i32>),
    Str(StringBuilder),
    Bool(BooleanBufferBuilder, NullBufferBuilder),
    /// A list of strings, and its item field.
    StrList(ListBuilder<StringBuilder>, FieldRef),
    /// A type row buffers do not build (`ast_nodes` has its own buffer): filling it fails.
    Unsupported,
}

impl ColBuf {
    fn new(data_type: &DataType) -> Self {
        match data_type {
            DataType::Int64 => ColBuf::I64(Fixed::new()),
            DataType::Int32 => ColBuf::I32(Fixed::new()),
            DataType::Utf8 => ColBuf::Str(StringBuilder::new()),
            DataType::Boolean => {
                ColBuf::Bool(BooleanBufferBuilder::new(0), NullBufferBuilder::new(0))
            }
            DataType::List(item) if item.data_type() == &DataType::Utf8 => ColBuf::StrList(
                ListBuilder::new(StringBuilder::new()).with_field(FieldRef::clone(item)),
                FieldRef::clone(item),
            ),
            _ => ColBuf::Unsupported,
        }
    }

    fn len(&self) -> usize {
        use arrow_array::builder::ArrayBuilder;
        match self {
            ColBuf::I64(b) => b.values.len(),
            ColBuf::I32(b) => b.values.len(),
            ColBuf::Str(b) => b.len(),
            ColBuf::Bool(b, _) => b.len(),
            ColBuf::StrList(b, _) => b.len(),
            ColBuf::Unsupported => 0,
        }
    }

    /// Empties the column, with room for as many values (and string bytes) as `like` has.
    /// (Fixed-width columns keep their room when they are taken.)
    fn presize(&mut self, like: &ArrayRef) {
        use arrow_array::cast::AsArray;
        let n = like.len();
        let bytes = |a: &ArrayRef| a.as_string_opt::<i32>().map_or(0, |s| s.values().len());
        match self {
            ColBuf::I64(_) | ColBuf::I32(_) | ColBuf::Unsupported => {}
            ColBuf::Str(b) => *b = StringBuilder::with_capacity(n, bytes(like)),
            ColBuf::Bool(b, _) => *b = BooleanBufferBuilder::new(n),
            ColBuf::StrList(b, item) => {
                let values = like.as_list_opt::<i32>().map(|l| l.values().clone());
                let inner = values.as_ref().map_or_else(StringBuilder::new, |v| {
                    StringBuilder::with_capacity(v.len(), bytes(v))
                });
                *b = ListBuilder::with_capacity(inner, n).with_field(FieldRef::clone(item));
            }
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColBuf::I64(b) => Arc::new(b.finish_i64()),
            ColBuf::I32(b) => Arc::new(b.finish_i32()),
            ColBuf::Str(b) => Arc::new(b.finish()),
            ColBuf::Bool(b, nulls) => Arc::new(BooleanArray::new(b.finish(), nulls.finish())),
            ColBuf::StrList(b, _) => Arc::new(b.finish()),
            ColBuf::Unsupported => Arc::new(arrow_array::NullArray::new(0)),
        }
    }
}

/// The rows of one table over a run of files, built in place: each file appends its rows a
/// column at a time, in the schema's order (`i64s`, `strs`, ... then [`TableBuf::end`]), so no
/// file makes arrays of its own. [`TableBuf::finish`] takes the rows as one record batch.
///
/// A column filled with the wrong type, or columns of unequal length, make `end` fail (a bug
/// in the caller, reported rather than written).
pub struct TableBuf {
    table: Table,
    cols: Vec<ColBuf>,
    /// The column the next call fills.
    cursor: usize,
    /// Rows of the files ended so far.
    rows: usize,
    /// A file ended since the last finish (it may have had no rows).
    touched: bool,
    error: Option<ArrowError>,
}

macro_rules! fill {
    ($(#[$doc:meta])* $name:ident $(<$lt:lifetime>)?, $variant:ident, $item:ty, |$b:ident, $v:ident| $append:expr) => {
        $(#[$doc])*
        pub fn $name $(<$lt>)? (&mut self, values: impl Iterator<Item = $item>) -> &mut Self {
            match self.cols.get_mut(self.cursor) {
                Some(ColBuf::$variant($b, ..)) => {
                    for $v in values {
                        $append;
                    }
                }
                _ => self.wrong(stringify!($name)),
            }
            self.cursor += 1;
            self
        }
    };
}

/// Like `fill!`, with the whole iterator handed to the column at once.
macro_rules! fill_all {
    ($(#[$doc:meta])* $name:ident, Bool, $item:ty, |$b:ident, $vs:ident| $append:expr) => {
        $(#[$doc])*
        pub fn $name(&mut self, $vs: impl Iterator<Item = $item>) -> &mut Self {
            match self.cols.get_mut(self.cursor) {
                Some(ColBuf::Bool(values, nulls)) => {
                    let $b = (values, nulls);
                    $append;
                }
                _ => self.wrong(stringify!($name)),
            }
            self.cursor += 1;
            self
        }
    };
    ($(#[$doc:meta])* $name:ident, $variant:ident, $item:ty, |$b:ident, $vs:ident| $append:expr) => {
        $(#[$doc])*
        pub fn $name(&mut self, $vs: impl Iterator<Item = $item>) -> &mut Self {
            match self.cols.get_mut(self.cursor) {
                Some(ColBuf::$variant($b)) => $append,
                _ => self.wrong(stringify!($name)),
            }
            self.cursor += 1;
            self
        }
    };
}

impl TableBuf {
    pub fn new(table: Table) -> Self {
        let cols = table
            .spec()
            .schema
            .fields()
            .iter()
            .map(|f| ColBuf::new(f.data_type()))
            .collect();
        Self {
            table,
            cols,
            cursor: 0,
            rows: 0,
            touched: false,
            error: None,
        }
    }

    pub fn table(&self) -> Table {
        self.table
    }

    /// Rows of the files ended so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Whether a file ended since the last [`TableBuf::finish`].
    pub fn touched(&self) -> bool {
        self.touched
    }

    fn wrong(&mut self, what: &str) {
        if self.error.is_none() {
            let column = self
                .table
                .spec()
                .schema
                .fields()
                .get(self.cursor)
                .map_or("(past the last column)".to_string(), |f| {
                    format!("{} ({})", f.name(), f.data_type())
                });
            self.error = Some(ArrowError::InvalidArgumentError(format!(
                "{}: column {} {column} filled by {what}",
                self.table.name(),
                self.cursor
            )));
        }
    }

    fill_all!(
        /// Fills the next column (`Int64`, not null).
        i64s, I64, i64, |b, values| b.extend(values)
    );
    fill_all!(
        /// Fills the next column (`Int64`, nullable).
        opt_i64s, I64, Option<i64>, |b, values| b.extend_opt(values)
    );
    fill_all!(
        /// Fills the next column (`Int32`, not null).
        i32s, I32, i32, |b, values| b.extend(values)
    );
    fill_all!(
        /// Fills the next column (`Int32`, nullable).
        opt_i32s, I32, Option<i32>, |b, values| b.extend_opt(values)
    );
    fill!(
        /// Fills the next column (`Utf8`, not null).
        strs<'s>, Str, &'s str, |b, v| b.append_value(v)
    );
    fill!(
        /// Fills the next column (`Utf8`, nullable).
        opt_strs<'s>, Str, Option<&'s str>, |b, v| b.append_option(v)
    );
    fill_all!(
        /// Fills the next column (`Boolean`, not null).
        bools, Bool, bool, |b, values| {
            let before = b.0.len();
            for v in values {
                b.0.append(v);
            }
            b.1.append_n_non_nulls(b.0.len() - before);
        }
    );
    fill!(
        /// Fills the next column (`List<Utf8>`, nullable).
        str_lists<'s>, StrList, Option<&'s [&'s str]>, |b, v| match v {
            Some(list) => {
                for s in list {
                    b.values().append_value(s);
                }
                b.append(true);
            }
            None => b.append(false),
        }
    );

    /// Fills the next column (`Int64`) with `n` copies of `value` (a file's `file_id`).
    pub fn repeat_i64(&mut self, value: i64, n: usize) -> &mut Self {
        match self.cols.get_mut(self.cursor) {
            Some(ColBuf::I64(b)) => b.extend(std::iter::repeat_n(value, n)),
            _ => self.wrong("repeat_i64"),
        }
        self.cursor += 1;
        self
    }

    /// Ends one file's rows: every column must have been filled, with as many values each.
    pub fn end(&mut self) -> Result<(), ArrowError> {
        if self.cursor != self.cols.len() {
            self.wrong("end");
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let rows = self.cols.first().map_or(0, ColBuf::len);
        if let Some((i, c)) = self.cols.iter().enumerate().find(|(_, c)| c.len() != rows) {
            return Err(ArrowError::InvalidArgumentError(format!(
                "{}: column {i} has {} values, column 0 has {rows}",
                self.table.name(),
                c.len()
            )));
        }
        self.cursor = 0;
        self.rows = rows;
        self.touched = true;
        Ok(())
    }

    /// Takes the rows of the files ended so far as one record batch, leaving the buffer empty.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        if self.cursor != 0 {
            return Err(ArrowError::InvalidArgumentError(format!(
                "{}: a file's rows were not ended",
                self.table.name()
            )));
        }
        let columns: Vec<ArrayRef> = self.cols.iter_mut().map(ColBuf::finish).collect();
        // The next run of files is sized like this one: the columns grow without copying.
        for (c, a) in self.cols.iter_mut().zip(&columns) {
            c.presize(a);
        }
        self.rows = 0;
        self.touched = false;
        batch(self.table, columns)
    }
}

/// The row buffers of every per-file table over a run of consecutive files: the extraction
/// appends each file's rows in place and takes one batch per table for the whole run, so the
/// cost of making arrays is paid per run, not per file.
pub struct Chunk {
    /// The `files` rows, in order.
    pub files: Vec<FileRow>,
    /// The `extract_errors` rows, in order.
    pub errors: Vec<ErrorRow>,
    /// Files with at least one error row.
    pub files_with_errors: usize,
    /// The `ast_nodes` rows.
    pub ast: AstRows,
    ast_touched: bool,
    /// One buffer per table, in [`Table::ALL`] order (those of `files`, `ast_nodes` and
    /// `extract_errors` stay unused).
    bufs: Vec<TableBuf>,
}

/// The table buffers of a [`Chunk`], borrowed apart from its AST rows.
pub struct Bufs<'a>(&'a mut [TableBuf]);

impl Bufs<'_> {
    /// The buffer of one table.
    pub fn buf(&mut self, table: Table) -> &mut TableBuf {
        &mut self.0[table as usize]
    }
}

impl Default for Chunk {
    fn default() -> Self {
        Self::new()
    }
}

impl Chunk {
    /// Empty buffers (they grow with the first run of files and keep that size; see
    /// [`Chunk::take_tables`]).
    pub fn new() -> Self {
        Self {
            files: Vec::new(),
            errors: Vec::new(),
            files_with_errors: 0,
            ast: AstRows::default(),
            ast_touched: false,
            bufs: Table::ALL.into_iter().map(TableBuf::new).collect(),
        }
    }

    /// The buffer of one table.
    pub fn buf(&mut self, table: Table) -> &mut TableBuf {
        &mut self.bufs[table as usize]
    }

    /// The `ast_nodes` rows beside the other tables' buffers: for rows that take columns of
    /// the file's AST rows (the flow tables take their spans) without copying them.
    pub fn split_ast(&mut self) -> (&AstRows, Bufs<'_>) {
        (&self.ast, Bufs(&mut self.bufs))
    }

    /// Notes that a file's syntax tree was emitted (so a one-file chunk has an `ast_nodes`
    /// batch even when the tree is empty).
    pub fn ast_emitted(&mut self) {
        self.ast_touched = true;
    }

    /// The most rows any table holds.
    pub fn max_rows(&self) -> usize {
        self.bufs
            .iter()
            .map(TableBuf::rows)
            .chain([self.ast.len()])
            .max()
            .unwrap_or(0)
    }

    /// Takes the rows of every per-file table but `files` and `extract_errors`, one batch per
    /// table in [`Table::ALL`] order, leaving the buffers empty. With `empty`, a table a file
    /// touched without rows gives an empty batch; without it, such tables are left out.
    pub fn take_tables(&mut self, empty: bool) -> Result<Vec<(Table, RecordBatch)>, ArrowError> {
        let mut out = Vec::new();
        for table in Table::ALL {
            match table {
                Table::Files | Table::ExtractErrors => {}
                Table::AstNodes => {
                    if (empty && self.ast_touched) || !self.ast.is_empty() {
                        out.push((table, self.ast.finish()?));
                    }
                    self.ast_touched = false;
                }
                _ => {
                    let buf = &mut self.bufs[table as usize];
                    if (empty && buf.touched()) || buf.rows() > 0 {
                        out.push((table, buf.finish()?));
                    }
                }
            }
        }
        Ok(out)
    }
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

/// Appends the `file_lines` rows of one file.
pub fn file_lines_rows(
    t: &mut TableBuf,
    file_id: i64,
    index: &LineIndex,
) -> Result<(), ArrowError> {
    let lines = index.lines();
    let n = lines.len();
    t.repeat_i64(file_id, n)
        .i32s(0..n as i32)
        .i64s(lines.iter().map(|l| l.bstart as i64))
        .i64s(lines.iter().map(|l| l.bend as i64))
        .strs(lines.iter().map(|l| l.newline.as_str()));
    t.end()
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
    parent_id: Fixed<i64>,
    field: StringBuilder,
    field_index: Fixed<i32>,
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
    /// Room for `rows` rows without growing.
    pub fn with_capacity(rows: usize) -> Self {
        let strings = || StringBuilder::with_capacity(rows, rows * 4);
        Self {
            node_id: Vec::with_capacity(rows),
            file_id: Vec::with_capacity(rows),
            parent_id: Fixed::with_capacity(rows),
            field: strings(),
            field_index: Fixed::with_capacity(rows),
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

    /// `(node_id, bstart, bend)` of the rows from `first` on, in pre-order.
    pub fn spans_from(&self, first: usize) -> (&[i64], &[i64], &[i64]) {
        fn from(v: &[i64], first: usize) -> &[i64] {
            v.get(first..).unwrap_or_default()
        }
        (
            from(&self.node_id, first),
            from(&self.bstart, first),
            from(&self.bend, first),
        )
    }

    /// Room for `rows` more rows in the fixed-width columns.
    pub fn reserve(&mut self, rows: usize) {
        for v in [
            &mut self.node_id,
            &mut self.file_id,
            &mut self.bstart,
            &mut self.bend,
        ] {
            v.reserve(rows);
        }
        for v in [
            &mut self.ordinal,
            &mut self.depth,
            &mut self.start_line,
            &mut self.start_col,
            &mut self.end_line,
            &mut self.end_col,
        ] {
            v.reserve(rows);
        }
        self.parent_id.values.reserve(rows);
        self.field_index.values.reserve(rows);
    }

    pub fn push(&mut self, r: AstRow<'_>) {
        self.node_id.push(r.node_id);
        self.file_id.push(r.file_id);
        self.parent_id.push_opt(r.parent_id);
        self.field.append_option(r.field);
        self.field_index.push_opt(r.field_index);
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

    /// Takes the buffered rows as a record batch, leaving the buffer empty, with room for as many
    /// rows (the next run of files is sized like this one).
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let bstart: ArrayRef = Arc::new(Int64Array::from(take_sized(&mut self.bstart)));
        let bend: ArrayRef = Arc::new(Int64Array::from(take_sized(&mut self.bend)));
        let span = StructArray::try_new(
            span_fields(),
            vec![
                bstart.clone(),
                bend.clone(),
                Arc::new(Int32Array::from(take_sized(&mut self.start_line))),
                Arc::new(Int32Array::from(take_sized(&mut self.start_col))),
                Arc::new(Int32Array::from(take_sized(&mut self.end_line))),
                Arc::new(Int32Array::from(take_sized(&mut self.end_col))),
            ],
            None,
        )?;
        batch(
            Table::AstNodes,
            vec![
                Arc::new(Int64Array::from(take_sized(&mut self.node_id))),
                Arc::new(Int64Array::from(take_sized(&mut self.file_id))),
                Arc::new(self.parent_id.finish_i64()),
                Arc::new(finish_sized(&mut self.field)),
                Arc::new(self.field_index.finish_i32()),
                Arc::new(Int32Array::from(take_sized(&mut self.ordinal))),
                Arc::new(Int32Array::from(take_sized(&mut self.depth))),
                Arc::new(finish_sized(&mut self.kind)),
                bstart,
                bend,
                Arc::new(span),
                Arc::new(finish_sized(&mut self.name)),
                Arc::new(finish_sized(&mut self.ctx)),
                Arc::new(finish_sized(&mut self.op)),
                Arc::new(finish_sized(&mut self.value)),
            ],
        )
    }
}

/// Takes a vector's items, leaving it empty with as much room.
fn take_sized<T>(v: &mut Vec<T>) -> Vec<T> {
    let n = v.len();
    std::mem::replace(v, Vec::with_capacity(n))
}

/// Finishes a string builder, leaving it with room for as many strings and bytes.
fn finish_sized(b: &mut StringBuilder) -> StringArray {
    let a = b.finish();
    *b = StringBuilder::with_capacity(arrow_array::Array::len(&a), a.values().len());
    a
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
        let mut chunk = Chunk::new();
        file_lines_rows(chunk.buf(Table::FileLines), 1, &idx).unwrap();
        file_lines_rows(chunk.buf(Table::FileLines), 2, &idx).unwrap();
        let batches = chunk.take_tables(false).unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].0, Table::FileLines);
        assert_eq!(batches[0].1.num_rows(), 4);
        assert!(chunk.take_tables(true).unwrap().is_empty(), "taken");
    }

    #[test]
    fn a_column_filled_with_the_wrong_type_or_length_is_an_error() {
        let mut t = TableBuf::new(Table::FileLines);
        t.strs(["x"].into_iter());
        let e = t.end().unwrap_err().to_string();
        assert!(
            e.contains("file_lines: column 0 file_id (Int64) filled by strs"),
            "{e}"
        );
        let mut t = TableBuf::new(Table::FileLines);
        t.repeat_i64(1, 2)
            .i32s(0..1)
            .i64s([0, 1].into_iter())
            .i64s([1, 2].into_iter())
            .strs(["\n", ""].into_iter());
        let e = t.end().unwrap_err().to_string();
        assert!(e.contains("column 1 has 1 values, column 0 has 2"), "{e}");
        let mut t = TableBuf::new(Table::AstNodes);
        t.i64s(std::iter::empty());
        assert!(t.end().is_err(), "ast_nodes has its own buffer");
    }
}
