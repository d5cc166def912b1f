//! Specs of the Code Property Graph outputs, which the rules (DataFusion plans over the evidence
//! tables) write after extraction, and of the `runs` history.
//!
//! Node ids are the ids of the evidence they stand for (`ast_nodes.node_id`, `files.file_id`,
//! `scopes.scope_id`, `bindings.binding_id`); nodes with no evidence row of their own (modules,
//! external modules, builtins) get stable ids hashed from what names them.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};

use super::{DEFAULT_KEY, Layer, TableSpec, col, id, opt_id, opt_text, span_type, text};

fn with_default(field: Field, default: &str) -> Field {
    let mut metadata = field.metadata().clone();
    metadata.insert(DEFAULT_KEY.to_string(), default.to_string());
    field.with_metadata(metadata)
}

fn spec(
    name: &'static str,
    description: &'static str,
    keys: &'static [&'static str],
    sort_order: &'static [&'static str],
    layer: Layer,
    fields: Vec<Field>,
) -> TableSpec {
    TableSpec {
        name,
        description,
        schema: Arc::new(Schema::new(fields)),
        keys,
        sort_order,
        partition_by: &[],
        layer,
    }
}

/// The kinds of semantic (non-AST) nodes of `cpg_nodes`.
pub const SEMANTIC_NODE_KINDS: &[&str] = &[
    "FILE",
    "MODULE",
    "SCOPE",
    "BINDING",
    "CFG_NODE",
    "EXTERNAL_MODULE",
    "BUILTIN",
];

/// The kinds of `cpg_edges`.
pub const EDGE_KINDS: &[&str] = &[
    "AST",
    "CONTAINS",
    "SCOPE_PARENT",
    "DEFINES",
    "BINDS",
    "REFERS_TO",
    "BUILTIN",
    "IMPORTS",
    "CALLS",
    "INHERITS",
    "CFG",
    "CDG",
    "DOMINATE",
    "POST_DOMINATE",
    "REACHING_DEF",
    "EVALUATES",
];

pub(super) fn cpg_nodes() -> TableSpec {
    spec(
        "cpg_nodes",
        "Every node of the graph: each AST node (kind = its ast class) and the semantic nodes FILE, MODULE, SCOPE, BINDING, CFG_NODE (a flow node that is not an AST node: a graph's entry and exits, a second role, a copy), EXTERNAL_MODULE and BUILTIN.",
        &["node_id"],
        &[],
        Layer::Cpg,
        vec![
            id(
                "node_id",
                "The node: the id of the evidence row it stands for",
            ),
            text(
                "kind",
                "The ast class (FunctionDef, Name, ...) or FILE, MODULE, SCOPE, BINDING, CFG_NODE, EXTERNAL_MODULE, BUILTIN",
            ),
            opt_id(
                "file_id",
                "The file the node lies in; null for EXTERNAL_MODULE and BUILTIN",
            ),
            opt_text("path", "Repository-relative path of that file"),
            col(
                "bstart",
                DataType::Int64,
                true,
                "Span start, inclusive byte offset; null for nodes outside the repository",
            ),
            col(
                "bend",
                DataType::Int64,
                true,
                "Span end, exclusive byte offset",
            ),
            opt_text(
                "name",
                "Identifier: of the def, name, scope or binding; the dotted module name of MODULE and EXTERNAL_MODULE",
            ),
            opt_text(
                "qualname",
                "Qualified name: module-qualified for defs, scopes and modules (pkg.mod.C.m)",
            ),
            col(
                "span",
                span_type(),
                true,
                "The span with its derived 1-based lines and UTF-8 byte columns; null where bstart is",
            ),
        ],
    )
}

pub(super) fn cpg_edges() -> TableSpec {
    spec(
        "cpg_edges",
        "Every edge of the graph, each with the rule that derived it and how sure it is.",
        &["edge_id"],
        &[],
        Layer::Cpg,
        vec![
            id("edge_id", "Stable hash of kind, source, target and rule"),
            text(
                "kind",
                "AST, CONTAINS, SCOPE_PARENT, DEFINES, BINDS, REFERS_TO, BUILTIN, IMPORTS, CALLS, INHERITS, or of the flow layer: CFG, CDG, DOMINATE, POST_DOMINATE, REACHING_DEF (as Joern names them) and EVALUATES (flow node -> the AST node or scope it stands for)",
            ),
            id("src_id", "The source node (cpg_nodes.node_id)"),
            id("dst_id", "The target node (cpg_nodes.node_id)"),
            id(
                "file_id",
                "The file that owns the edge (the source's file): a change of that file replaces it",
            ),
            with_default(
                text(
                    "origin",
                    "The evidence the edge rests on: ast, scopes, syntax, or resolution (across files)",
                ),
                "'resolution'",
            ),
            text(
                "rule",
                "The rule (see `codelake plan`) that derived the edge",
            ),
            with_default(
                col(
                    "confidence",
                    DataType::Float64,
                    false,
                    "1.0 for a certain edge; 1/n for each of n candidates of one ambiguous site",
                ),
                "1.0",
            ),
            opt_id(
                "ambiguity_group_id",
                "Shared by the candidate edges of one site that may go to several targets",
            ),
            opt_text("field", "AST edges: the parent's field holding the child"),
            col(
                "field_index",
                DataType::Int32,
                true,
                "AST edges: position in a list field",
            ),
            opt_text(
                "variable",
                "REACHING_DEF edges: the variable defined and read (Joern's VARIABLE)",
            ),
            opt_text(
                "flow_kind",
                "CFG edges: the edge's kind (normal, true, false, exception, exhausted, break, continue, return); CDG edges: the kind of the branch's edge the target depends on",
            ),
        ],
    )
}

pub(super) fn cpg_props() -> TableSpec {
    spec(
        "cpg_props",
        "Typed properties of nodes: one row per (entity, key), with the value in the column of its type.",
        &["entity_id", "key"],
        &[],
        Layer::Cpg,
        vec![
            id(
                "entity_id",
                "The node (cpg_nodes.node_id) the property belongs to",
            ),
            text(
                "key",
                "Property name (ctx, op, value, is_async, size_bytes, ...)",
            ),
            text(
                "value_type",
                "str, int, float or bool: which value column holds it",
            ),
            opt_text("value_str", "The value, when value_type is str"),
            col(
                "value_int",
                DataType::Int64,
                true,
                "The value, when value_type is int",
            ),
            col(
                "value_float",
                DataType::Float64,
                true,
                "The value, when value_type is float",
            ),
            col(
                "value_bool",
                DataType::Boolean,
                true,
                "The value, when value_type is bool",
            ),
        ],
    )
}

pub(super) fn unresolved() -> TableSpec {
    spec(
        "unresolved",
        "Every site a resolution rule could not connect, with the reason: nothing is dropped silently.",
        &["unresolved_id"],
        &[],
        Layer::Cpg,
        vec![
            id("unresolved_id", "Stable hash of rule and site"),
            id("file_id", "The file of the site"),
            id(
                "node_id",
                "The site's node (a Name, alias, Call or base expression)",
            ),
            text(
                "rule",
                "The rule that tried: refers_to, imports, calls or inherits",
            ),
            text(
                "name",
                "What was looked up: the name, the imported module or name, the dotted callee or base",
            ),
            text(
                "reason",
                "Why it did not resolve: no_binding, star_import, relative_beyond_top_level, not_in_module, not_a_definition, attribute, dynamic, ...",
            ),
            col("bstart", DataType::Int64, false, "Span start of the site"),
            col("bend", DataType::Int64, false, "Span end of the site"),
        ],
    )
}

/// An Arrow map with its entries named as Delta Lake names them (`key_value`, `key`, `value`),
/// so a map column read back from Delta has exactly the spec's type.
pub fn map_type(key: DataType, value: DataType) -> DataType {
    DataType::Map(
        Arc::new(Field::new(
            "key_value",
            DataType::Struct(Fields::from(vec![
                Field::new("key", key, false),
                Field::new("value", value, true),
            ])),
            false,
        )),
        false,
    )
}

/// The type of `cpg_props_map.props`: text keys to text values.
pub fn props_map_type() -> DataType {
    map_type(DataType::Utf8, DataType::Utf8)
}

/// The type of `cpg_edges_by_src.edges`.
///
/// Its elements are declared nullable although none is ever null (`codelake diag` checks that
/// the lists hold exactly the edges of cpg_edges): delta-rs checks a non-nullable list element
/// on every write with `array_length(l) IS NOT DISTINCT FROM array_length(array_compact(l))`,
/// which copies every list and slices it row by row (docs/performance.md has the cost).
pub fn edges_list_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "element",
        DataType::Struct(Fields::from(vec![
            Field::new("kind", DataType::Utf8, false),
            Field::new("dst_id", DataType::Int64, false),
            Field::new("confidence", DataType::Float64, false),
        ])),
        true,
    )))
}

pub(super) fn cpg_props_map() -> TableSpec {
    spec(
        "cpg_props_map",
        "The properties of each entity as one map (every value as text), built with map_from_entries over named_struct entries.",
        &["entity_id"],
        &[],
        Layer::Cpg,
        vec![
            id("entity_id", "The node"),
            col(
                "props",
                props_map_type(),
                false,
                "key -> value as text (cpg_props.value_* cast to text)",
            ),
        ],
    )
}

pub(super) fn cpg_edges_by_src() -> TableSpec {
    spec(
        "cpg_edges_by_src",
        "The adjacency list of the graph: every source node with its outgoing edges, built with named_struct and array_agg.",
        &["src_id"],
        &[],
        Layer::Cpg,
        vec![
            id("src_id", "The source node"),
            col(
                "edges",
                edges_list_type(),
                false,
                "Outgoing edges as struct<kind, dst_id, confidence>, in the order of cpg_edges (edge kinds in rule order; an AST node's children in source order)",
            ),
        ],
    )
}

pub(super) fn runs() -> TableSpec {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")));
    let f = vec![
        text("run_id", "Unique id of the build (UUID v4)"),
        col("started_at", ts, false, "When the build started"),
        text("codelake_version", "codelake's version"),
        text("datafusion_version", "DataFusion's version"),
        text("deltalake_version", "delta-rs' version"),
        text("arrow_version", "arrow-rs' version"),
        text("repo", "The repository built"),
        text("config", "The build configuration, as JSON"),
        text(
            "info_schema_hash",
            "Hash of the information_schema snapshot taken after the build",
        ),
        col("files", DataType::Int64, false, "Files scanned"),
        col("bytes", DataType::Int64, false, "Bytes of source read"),
        col(
            "elapsed_ms",
            DataType::Int64,
            false,
            "Wall time of the whole build, in milliseconds",
        ),
        text(
            "manifest",
            "The whole manifest (as in _codelake/manifest.json): rule fingerprints, DDL fingerprints, rows and Delta versions per table, timings per stage",
        ),
    ];
    spec(
        "runs",
        "One row per build: versions, configuration, fingerprints, rows and timings.",
        &["run_id"],
        &["started_at"],
        Layer::Meta,
        f,
    )
}

/// The call graph: every call site with each function, external or builtin it may call, from
/// the value flow (a points-to analysis run to its fixpoint).
pub(super) fn call_edges() -> TableSpec {
    spec(
        "call_edges",
        "The call graph from the value flow: each call site (a call, a decorator's application, a property's read) with each function, external or builtin it may call, and how.",
        &["call_edge_id"],
        &[],
        Layer::Cpg,
        vec![
            id("call_edge_id", "Stable hash of site, callee and how"),
            id("file_id", "The file of the site"),
            id(
                "site_node_id",
                "The site: the Call node, the decorated def (a decorator's application) or the Attribute (a property's read)",
            ),
            id(
                "caller_id",
                "The function, lambda or class whose body holds the site (its def node), or the MODULE node",
            ),
            opt_id(
                "callee_id",
                "The function called (its def node); null for externals and builtins",
            ),
            text(
                "callee_qualname",
                "The callee's module-qualified name (pkg.mod.Class.method), an external's qualified name (os.path.join) or a builtin's (builtins.len)",
            ),
            text("callee_kind", "function, external or builtin"),
            text(
                "how",
                "call (the callee's value), bound_method (through an instance, the receiver first), init (a class called runs its __init__), dunder_call (an instance called runs its class's __call__), decorator, property (a property's getter, run by its read)",
            ),
            col("bstart", DataType::Int64, false, "Span start of the site"),
            col("bend", DataType::Int64, false, "Span end of the site"),
        ],
    )
}

/// The call sites the value flow found no callee for, with the reason.
pub(super) fn unresolved_calls() -> TableSpec {
    spec(
        "unresolved_calls",
        "Every call the call graph has no callee for, with the reason: the recall gaps, visible.",
        &["site_node_id"],
        &[],
        Layer::Cpg,
        vec![
            id("site_node_id", "The Call node"),
            id("file_id", "The file of the call"),
            text("callee_text", "Source text of the callee expression"),
            text(
                "reason",
                "no_value (the value flow reaches the callee with nothing: a parameter no call fills, an attribute of an unknown object, ...) or not_callable (only values that cannot be called: modules, instances without __call__, ...)",
            ),
            col("bstart", DataType::Int64, false, "Span start of the call"),
            col("bend", DataType::Int64, false, "Span end of the call"),
        ],
    )
}

/// What the value flow says each expression may evaluate to.
pub(super) fn points_to() -> TableSpec {
    spec(
        "points_to",
        "The value flow's points-to sets: each expression, target, parameter or def (an AST node) with each abstract value it may hold: a function, class, instance of a class, bound method, module, external or builtin.",
        &["node_id", "value_id"],
        &[],
        Layer::Cpg,
        vec![
            id("node_id", "The AST node"),
            id("file_id", "The node's file"),
            id(
                "value_id",
                "The value: a def node for functions and classes, a MODULE node, or a stable hash (instance, bound method, external, builtin)",
            ),
            text(
                "value_kind",
                "function, class, instance, bound (a method bound to its receiver), module, external or builtin",
            ),
            opt_text(
                "value_qualname",
                "The value's qualified name (of its function, class or module; an external's or builtin's)",
            ),
        ],
    )
}
