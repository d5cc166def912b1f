//! The registry of table specs: the single source of truth for every table codelake writes.
//!
//! A [`TableSpec`] holds the Arrow schema (nullability, nested types, a `description` in each
//! field's metadata), the key columns, the sort order rows are written in, the partition columns
//! and a description. Everything else derives from it: the Delta table's schema, the validation
//! of registered tables against `information_schema`, `codelake tables`, and the docs.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};

mod cpg;
mod flow;
mod syntax;
pub use cpg::{EDGE_KINDS, SEMANTIC_NODE_KINDS, edges_list_type, map_type, props_map_type};
pub use syntax::list_item;

/// The metadata key under which a field's description is kept.
pub const DESCRIPTION_KEY: &str = "description";
/// The metadata key under which a field's SQL default (a literal, as SQL text) is kept; the DDL
/// renders it as `DEFAULT <literal>`.
pub const DEFAULT_KEY: &str = "default";
/// The metadata key that marks a text column whose values are mostly distinct (source text,
/// qualified names, docstrings, comments) with the value [`DISTINCT_VALUES`]: Parquet writes it
/// without a dictionary, which would hash every value and hold nearly all of them for little
/// or no saving (see `codelake_engine::storage::writer_properties`).
pub const VALUES_KEY: &str = "values";
/// See [`VALUES_KEY`].
pub const DISTINCT_VALUES: &str = "distinct";
/// The [`VALUES_KEY`] value of an integer column of stable-hash ids whose name does not end in
/// `_id` (`cfg_edges.src`): written plain, as the `*_id` columns are, not delta-encoded.
pub const HASH_VALUES: &str = "hash";

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub schema: SchemaRef,
    /// Columns that together identify a row.
    pub keys: &'static [&'static str],
    /// Columns the rows are sorted by, declared only where that holds (it becomes the DDL's
    /// `WITH ORDER`, which a reader trusts to skip sorts). Every table is written in a
    /// deterministic order — evidence in scan order of the files (by path) and source order within
    /// a file, outputs in the order of their single-partition plan — but most are not sorted by
    /// any column: ids are hashes.
    pub sort_order: &'static [&'static str],
    pub partition_by: &'static [&'static str],
    /// Which part of the pipeline fills the table.
    pub layer: Layer,
}

/// The part of the pipeline a table belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Per-file facts, written by the parallel extraction pass.
    Evidence,
    /// Relations and graph outputs, written by the rules (DataFusion plans) after extraction.
    Cpg,
    /// Bookkeeping of the database itself (the `runs` history).
    Meta,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Evidence => "evidence",
            Layer::Cpg => "cpg",
            Layer::Meta => "meta",
        }
    }
}

impl TableSpec {
    /// The SQL default of a column (a literal as SQL text), from its field metadata.
    pub fn column_default(&self, column: &str) -> Option<&str> {
        self.schema
            .field_with_name(column)
            .ok()?
            .metadata()
            .get(DEFAULT_KEY)
            .map(String::as_str)
    }

    /// The description of a column, from its field metadata.
    pub fn column_description(&self, column: &str) -> Option<&str> {
        self.schema
            .field_with_name(column)
            .ok()?
            .metadata()
            .get(DESCRIPTION_KEY)
            .map(String::as_str)
    }
}

fn col(name: &str, data_type: DataType, nullable: bool, description: &str) -> Field {
    Field::new(name, data_type, nullable).with_metadata(HashMap::from([(
        DESCRIPTION_KEY.to_string(),
        description.to_string(),
    )]))
}

fn id(name: &str, description: &str) -> Field {
    col(name, DataType::Int64, false, description)
}

fn opt_id(name: &str, description: &str) -> Field {
    col(name, DataType::Int64, true, description)
}

fn text(name: &str, description: &str) -> Field {
    col(name, DataType::Utf8, false, description)
}

fn opt_text(name: &str, description: &str) -> Field {
    col(name, DataType::Utf8, true, description)
}

/// Marks a text column's values as mostly distinct (see [`VALUES_KEY`]).
fn distinct(field: Field) -> Field {
    let mut metadata = field.metadata().clone();
    metadata.insert(VALUES_KEY.to_string(), DISTINCT_VALUES.to_string());
    field.with_metadata(metadata)
}

/// Marks an integer column as holding stable-hash ids (see [`HASH_VALUES`]).
fn hash(field: Field) -> Field {
    let mut metadata = field.metadata().clone();
    metadata.insert(VALUES_KEY.to_string(), HASH_VALUES.to_string());
    field.with_metadata(metadata)
}

impl TableSpec {
    /// Whether a column holds stable-hash ids: named `*_id` (but `file_id`, whose runs
    /// delta-encode well) or marked (see [`HASH_VALUES`]).
    pub fn column_is_hash(&self, column: &str) -> bool {
        (column.ends_with("_id") && column != "file_id")
            || self.schema.field_with_name(column).is_ok_and(|f| {
                f.metadata().get(VALUES_KEY).map(String::as_str) == Some(HASH_VALUES)
            })
    }

    /// Whether a column is marked as holding mostly distinct values (see [`VALUES_KEY`]).
    pub fn column_values_distinct(&self, column: &str) -> bool {
        self.schema.field_with_name(column).is_ok_and(|f| {
            f.metadata().get(VALUES_KEY).map(String::as_str) == Some(DISTINCT_VALUES)
        })
    }
}

/// The `span` struct carried by every located row: the canonical byte span plus its derived
/// line/column form (lines 1-based, columns in UTF-8 bytes, like CPython).
pub fn span_fields() -> Fields {
    Fields::from(vec![
        Field::new("bstart", DataType::Int64, false),
        Field::new("bend", DataType::Int64, false),
        Field::new("start_line", DataType::Int32, false),
        Field::new("start_col", DataType::Int32, false),
        Field::new("end_line", DataType::Int32, false),
        Field::new("end_col", DataType::Int32, false),
    ])
}

pub fn span_type() -> DataType {
    DataType::Struct(span_fields())
}

fn files() -> TableSpec {
    TableSpec {
        name: "files",
        description: "Every Python file the scan found, one row each, whether or not it parsed.",
        schema: Arc::new(Schema::new(vec![
            id("file_id", "Stable hash of the repository-relative path"),
            col(
                "path",
                DataType::Utf8,
                false,
                "Repository-relative POSIX path",
            ),
            col(
                "module",
                DataType::Utf8,
                true,
                "Dotted module name from the package layout; null when a path part is not an identifier",
            ),
            col(
                "is_package",
                DataType::Boolean,
                false,
                "True for __init__.py / __init__.pyi",
            ),
            col(
                "is_stub",
                DataType::Boolean,
                false,
                "True for .pyi stub files",
            ),
            col("size_bytes", DataType::Int64, false, "File size in bytes"),
            col(
                "content_hash",
                DataType::Utf8,
                false,
                "BLAKE3 hex digest of the file's bytes",
            ),
            col(
                "line_count",
                DataType::Int32,
                false,
                "Number of lines (0 when undecodable)",
            ),
            col(
                "encoding",
                DataType::Utf8,
                true,
                "Source encoding (PEP 263 cookie or BOM; utf-8 by default); null when unreadable",
            ),
        ])),
        keys: &["file_id"],
        sort_order: &["path"],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

fn file_lines() -> TableSpec {
    TableSpec {
        name: "file_lines",
        description: "The line index of every decoded file: turns (line, column) into byte offsets.",
        schema: Arc::new(Schema::new(vec![
            id("file_id", "The file"),
            col("line_no", DataType::Int32, false, "0-based line number"),
            col(
                "bstart",
                DataType::Int64,
                false,
                "Byte offset of the line's first byte",
            ),
            col(
                "bend",
                DataType::Int64,
                false,
                "Byte offset just past the line's content, before its terminator",
            ),
            col(
                "newline",
                DataType::Utf8,
                false,
                "The terminator: \\n, \\r\\n, \\r, or empty on a last line without one",
            ),
        ])),
        keys: &["file_id", "line_no"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

fn ast_nodes() -> TableSpec {
    TableSpec {
        name: "ast_nodes",
        description: "One row per syntax-tree node, named and shaped like CPython's `ast` module.",
        schema: Arc::new(Schema::new(vec![
            id(
                "node_id",
                "Stable hash of file, kind, span and pre-order ordinal",
            ),
            id("file_id", "The file"),
            col(
                "parent_id",
                DataType::Int64,
                true,
                "The parent node; null for the Module",
            ),
            col(
                "field",
                DataType::Utf8,
                true,
                "The parent's field holding this node (body, targets, func, args, ...)",
            ),
            col(
                "field_index",
                DataType::Int32,
                true,
                "Position in a list field; null for a single-node field",
            ),
            col(
                "ordinal",
                DataType::Int32,
                false,
                "Pre-order position of the node in its file",
            ),
            col(
                "depth",
                DataType::Int32,
                false,
                "Depth below the Module (0)",
            ),
            col(
                "kind",
                DataType::Utf8,
                false,
                "CPython ast class name: FunctionDef, Name, Call, ...",
            ),
            col(
                "bstart",
                DataType::Int64,
                false,
                "Span start, inclusive byte offset",
            ),
            col(
                "bend",
                DataType::Int64,
                false,
                "Span end, exclusive byte offset",
            ),
            col(
                "span",
                span_type(),
                false,
                "The span with its derived 1-based lines and UTF-8 byte columns",
            ),
            col(
                "name",
                DataType::Utf8,
                true,
                "Identifier of defs, Name, Attribute, alias, keyword, arg, ...",
            ),
            col(
                "ctx",
                DataType::Utf8,
                true,
                "Expression context: Load, Store or Del",
            ),
            col(
                "op",
                DataType::Utf8,
                true,
                "Operator class name(s): Add, And, Not, Lt,Eq (Compare lists them in order)",
            ),
            distinct(col(
                "value",
                DataType::Utf8,
                true,
                "repr() of a Constant's value; conversion of a FormattedValue",
            )),
        ])),
        keys: &["node_id"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

fn extract_errors() -> TableSpec {
    TableSpec {
        name: "extract_errors",
        description: "Everything extraction could not take in whole: syntax errors, undecodable, binary, oversized or too deeply nested files.",
        schema: Arc::new(Schema::new(vec![
            id("file_id", "The file"),
            col(
                "path",
                DataType::Utf8,
                false,
                "Repository-relative POSIX path",
            ),
            col("stage", DataType::Utf8, false, "read, decode, parse or ast"),
            col(
                "kind",
                DataType::Utf8,
                false,
                "io_error, too_large, binary, decode_error, syntax_error, unsupported_syntax, too_deep",
            ),
            col(
                "message",
                DataType::Utf8,
                false,
                "What went wrong, in the words of the stage that saw it",
            ),
            col(
                "bstart",
                DataType::Int64,
                true,
                "Where, when the error has a position",
            ),
            col("bend", DataType::Int64, true, "End of the error's span"),
            col("line", DataType::Int32, true, "1-based line of bstart"),
            col("col", DataType::Int32, true, "UTF-8 byte column of bstart"),
        ])),
        keys: &["file_id", "stage", "bstart", "message"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

fn flag(name: &str, description: &str) -> Field {
    col(name, DataType::Boolean, false, description)
}

fn scopes() -> TableSpec {
    TableSpec {
        name: "scopes",
        description: "Every scope of every file, as CPython's symtable sees them, plus PEP 695 scopes.",
        schema: Arc::new(Schema::new(vec![
            id(
                "scope_id",
                "Stable hash of file, kind, name, span and position",
            ),
            id("file_id", "The file"),
            col(
                "parent_scope_id",
                DataType::Int64,
                true,
                "The enclosing scope; null for the module",
            ),
            col(
                "kind",
                DataType::Utf8,
                false,
                "module, class, function, lambda, comprehension, annotation, type_params or type_alias",
            ),
            distinct(col(
                "name",
                DataType::Utf8,
                false,
                "symtable's name: top, the def/class name, lambda, listcomp, setcomp, dictcomp, genexpr, _annotation",
            )),
            distinct(col(
                "qualname",
                DataType::Utf8,
                false,
                "__qualname__ style: C.m.<locals>.inner, f.<locals>.<lambda>",
            )),
            col(
                "lineno",
                DataType::Int32,
                false,
                "symtable's line (0 for the module)",
            ),
            col(
                "node_id",
                DataType::Int64,
                false,
                "The AST node that opens the scope",
            ),
            col(
                "bstart",
                DataType::Int64,
                false,
                "Span start of the scope's whole definition, decorators included (as in `defs`)",
            ),
            col(
                "bend",
                DataType::Int64,
                false,
                "Span end of the scope's whole definition",
            ),
            flag(
                "is_generator",
                "The scope contains yield (or is a generator expression)",
            ),
            flag("is_coroutine", "async def, or a comprehension that awaits"),
            flag(
                "is_nested",
                "symtable's is_nested: inside a function, or inside a nested scope",
            ),
            flag("has_varargs", "Has *args"),
            flag("has_varkeywords", "Has **kwargs"),
        ])),
        keys: &["scope_id"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

fn symbols() -> TableSpec {
    TableSpec {
        name: "symbols",
        description: "One row per (scope, name) with CPython symtable's predicates.",
        schema: Arc::new(Schema::new(vec![
            id("scope_id", "The scope"),
            id("file_id", "The file"),
            col(
                "name",
                DataType::Utf8,
                false,
                "The name as the namespace holds it (private names mangled: _C__x)",
            ),
            col(
                "scope",
                DataType::Utf8,
                false,
                "CPython's scope: local, cell, free, global_explicit or global_implicit",
            ),
            flag("is_referenced", "Used (loaded) in the scope"),
            flag("is_assigned", "Assigned in the scope (DEF_LOCAL)"),
            flag("is_parameter", "A parameter"),
            flag("is_imported", "Bound by an import"),
            flag(
                "is_global",
                "Global (implicit or declared), or bound at module level",
            ),
            flag("is_declared_global", "Declared with global"),
            flag("is_nonlocal", "Declared with nonlocal"),
            flag("is_local", "Local (or cell), or bound at module level"),
            flag("is_free", "Free: read from an enclosing function"),
            flag("is_annotated", "Annotated"),
            flag("is_namespace", "Bound to a nested def or class"),
            flag("is_cell", "A local that nested scopes read"),
            col(
                "namespace_count",
                DataType::Int32,
                false,
                "How many nested scopes the name is bound to",
            ),
        ])),
        keys: &["scope_id", "name"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

fn bindings() -> TableSpec {
    TableSpec {
        name: "bindings",
        description: "One row per binding site: where a name gets bound, and in which namespace.",
        schema: Arc::new(Schema::new(vec![
            id("binding_id", "Stable hash of the site"),
            id("file_id", "The file"),
            id(
                "scope_id",
                "The scope whose namespace the name is bound in (the module for a name declared global)",
            ),
            id("site_scope_id", "The scope the binding statement sits in"),
            col(
                "name",
                DataType::Utf8,
                false,
                "The bound name (mangled as the namespace holds it)",
            ),
            col(
                "kind",
                DataType::Utf8,
                false,
                "assign, augassign, annassign, param, import, def, class, for, with, except, walrus, match, comprehension, global, nonlocal, del, type_param, type_alias",
            ),
            id(
                "node_id",
                "The AST node of the site (Name, arg, alias, def, handler, pattern, statement)",
            ),
            col(
                "bstart",
                DataType::Int64,
                false,
                "Span start of the bound identifier",
            ),
            col(
                "bend",
                DataType::Int64,
                false,
                "Span end of the bound identifier",
            ),
        ])),
        keys: &["binding_id"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

fn name_refs() -> TableSpec {
    TableSpec {
        name: "name_refs",
        description: "One row per name occurrence, with where it resolves under Python's scoping rules.",
        schema: Arc::new(Schema::new(vec![
            id("ref_id", "Stable hash of the occurrence"),
            id("file_id", "The file"),
            id(
                "node_id",
                "The Name node (or the global/nonlocal statement)",
            ),
            id("scope_id", "The scope the occurrence is evaluated in"),
            col(
                "name",
                DataType::Utf8,
                false,
                "The name (mangled as the namespace holds it)",
            ),
            col(
                "ctx",
                DataType::Utf8,
                false,
                "Load, Store, Del; Declare for the names of global/nonlocal",
            ),
            col(
                "resolved_scope_id",
                DataType::Int64,
                true,
                "The scope whose binding it reads or writes; null for builtins and unresolved",
            ),
            col(
                "resolution",
                DataType::Utf8,
                false,
                "local, enclosing, global, builtin, class or unresolved",
            ),
            col("bstart", DataType::Int64, false, "Span start"),
            col("bend", DataType::Int64, false, "Span end"),
        ])),
        keys: &["ref_id"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

static REGISTRY: LazyLock<Vec<TableSpec>> = LazyLock::new(|| {
    vec![
        files(),
        file_lines(),
        ast_nodes(),
        extract_errors(),
        scopes(),
        symbols(),
        bindings(),
        name_refs(),
        syntax::defs(),
        syntax::params(),
        syntax::calls(),
        syntax::call_args(),
        syntax::imports(),
        syntax::decorators(),
        syntax::docstrings(),
        syntax::annotations(),
        syntax::comments(),
        syntax::tokens(),
        syntax::ts_nodes(),
        syntax::ts_errors(),
        flow::cfg_nodes(),
        flow::cfg_edges(),
        flow::basic_blocks(),
        flow::dominators(),
        flow::post_dominators(),
        flow::control_deps(),
        flow::defs_uses(),
        cpg::cpg_nodes(),
        cpg::cpg_edges(),
        cpg::cpg_props(),
        cpg::unresolved(),
        cpg::cpg_props_map(),
        cpg::cpg_edges_by_src(),
        cpg::call_edges(),
        cpg::unresolved_calls(),
        cpg::points_to(),
        cpg::runs(),
    ]
});

/// Every table spec, in catalog order.
pub fn registry() -> &'static [TableSpec] {
    &REGISTRY
}

/// The specs of one layer, in catalog order.
pub fn layer(layer: Layer) -> impl Iterator<Item = &'static TableSpec> {
    registry().iter().filter(move |s| s.layer == layer)
}

/// The spec of a table by name.
pub fn spec(name: &str) -> Option<&'static TableSpec> {
    registry().iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_orders_name_real_columns_and_every_column_is_described() {
        for spec in registry() {
            for c in spec
                .keys
                .iter()
                .chain(spec.sort_order)
                .chain(spec.partition_by)
            {
                assert!(spec.schema.field_with_name(c).is_ok(), "{}.{c}", spec.name);
            }
            for f in spec.schema.fields() {
                assert!(
                    spec.column_description(f.name())
                        .is_some_and(|d| !d.is_empty()),
                    "{}.{} has no description",
                    spec.name,
                    f.name()
                );
            }
        }
        let names: Vec<_> = registry().iter().map(|s| s.name).collect();
        let mut dedup = names.clone();
        dedup.dedup();
        assert_eq!(names, dedup);
    }
}
