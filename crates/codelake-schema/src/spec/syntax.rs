//! Specs of the syntax-evidence tables (definitions, parameters, calls, imports, decorators,
//! docstrings, annotations, comments, tokens) and of the error-tolerant tree-sitter layer.
//!
//! Every row is anchored by a byte span (`bstart` inclusive, `bend` exclusive) into its file and
//! carries the parser it came from in `source`: `ruff` for the main parse (also of files with
//! syntax errors, whose intact regions ruff recovers), `tree-sitter` for rows found only by the
//! error-tolerant parse of a file ruff could not parse completely.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};

use super::{Layer, TableSpec, col, distinct, flag, id, opt_id, opt_text, text};

pub(super) fn int(name: &str, description: &str) -> Field {
    col(name, DataType::Int32, false, description)
}

pub(super) fn offset(name: &str, description: &str) -> Field {
    col(name, DataType::Int64, false, description)
}

pub(super) fn opt_offset(name: &str, description: &str) -> Field {
    col(name, DataType::Int64, true, description)
}

/// The item field of list columns, named as Delta Lake names array elements (so a table read
/// back has exactly the spec's type).
pub fn list_item(data_type: DataType) -> Arc<Field> {
    Arc::new(Field::new("element", data_type, false))
}

fn text_list(name: &str, description: &str) -> Field {
    col(
        name,
        DataType::List(list_item(DataType::Utf8)),
        true,
        description,
    )
}

fn span(what: &str) -> [Field; 2] {
    [
        offset(
            "bstart",
            &format!("Span start of {what}, inclusive byte offset"),
        ),
        offset(
            "bend",
            &format!("Span end of {what}, exclusive byte offset"),
        ),
    ]
}

fn source() -> Field {
    text(
        "source",
        "The parser the row came from: ruff, or tree-sitter for regions only the error-tolerant parse recovered",
    )
}

pub(super) fn spec(
    name: &'static str,
    description: &'static str,
    keys: &'static [&'static str],
    fields: Vec<Field>,
) -> TableSpec {
    TableSpec {
        name,
        description,
        schema: Arc::new(Schema::new(fields)),
        keys,
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

pub(super) fn defs() -> TableSpec {
    let mut f = vec![
        id("def_id", "Stable hash of file, kind and span"),
        id("file_id", "The file"),
        opt_id(
            "node_id",
            "The def's ast_nodes row (null for rows from tree-sitter)",
        ),
        text(
            "kind",
            "FunctionDef, AsyncFunctionDef, ClassDef or Lambda (CPython's ast class names)",
        ),
        distinct(text("name", "The defined name; <lambda> for lambdas")),
        distinct(opt_text(
            "qualname",
            "Qualified name as in scopes.qualname (f.<locals>.g, C.m); null when not analysed",
        )),
        opt_id(
            "scope_id",
            "The scope of the body (scopes.scope_id); null when not analysed",
        ),
        opt_id(
            "parent_def_id",
            "The def whose body holds this one; null at module level",
        ),
    ];
    f.extend(span("the whole definition, decorators included"));
    f.extend([
        opt_offset(
            "name_bstart",
            "Span start of the identifier; null for lambdas",
        ),
        opt_offset("name_bend", "Span end of the identifier; null for lambdas"),
        flag("is_async", "True for async def"),
        int("decorator_count", "Number of decorators"),
        distinct(opt_text(
            "docstring",
            "The docstring's value, when the body starts with one",
        )),
        opt_text("returns_annotation", "Source text of the return annotation"),
        text_list(
            "bases",
            "Classes only: source text of each positional base (Base, Generic[T])",
        ),
        text_list(
            "keywords",
            "Classes only: source text of each class keyword (metaclass=ABCMeta, **kw)",
        ),
        source(),
    ]);
    spec(
        "defs",
        "Every function, async function, class and lambda definition.",
        &["def_id"],
        f,
    )
}

pub(super) fn params() -> TableSpec {
    let mut f = vec![
        id("param_id", "Stable hash of the def and position"),
        id("file_id", "The file"),
        id("def_id", "The function or lambda (defs.def_id)"),
        opt_id("node_id", "The arg node in ast_nodes"),
        text("name", "The parameter name"),
        int(
            "position",
            "0-based position in the signature, in source order",
        ),
        text("kind", "posonly, positional, vararg, kwonly or kwarg"),
        opt_text("annotation", "Source text of the annotation"),
        opt_text("default", "Source text of the default value"),
    ];
    f.extend(span("the parameter (name and annotation)"));
    f.push(source());
    spec(
        "params",
        "Every parameter of every function and lambda.",
        &["param_id"],
        f,
    )
}

pub(super) fn calls() -> TableSpec {
    let mut f = vec![
        id("call_id", "Stable hash of file and span"),
        id("file_id", "The file"),
        opt_id("node_id", "The Call node in ast_nodes"),
        text("callee_text", "Source text of the callee expression"),
        text(
            "callee_shape",
            "name, attribute, subscript, call or other: the callee expression's form",
        ),
        opt_text(
            "callee_dotted",
            "For a callee that is a pure a.b.c chain of names: a.b.c",
        ),
        opt_text(
            "callee_name",
            "The last identifier of a name or attribute callee (c for a.b.c)",
        ),
        int("arg_count", "Number of arguments, positional and keyword"),
        flag("has_star_args", "Some argument is *args"),
        flag("has_kwargs", "Some argument is **kwargs"),
        opt_id(
            "enclosing_def_id",
            "The def whose body holds the call; null at module level",
        ),
        opt_id(
            "scope_id",
            "The scope the call is evaluated in; null when not analysed",
        ),
    ];
    f.extend(span("the call"));
    f.extend([
        offset("callee_bstart", "Span start of the callee"),
        offset("callee_bend", "Span end of the callee"),
        source(),
    ]);
    spec(
        "calls",
        "Every call expression, with the shape of its callee.",
        &["call_id"],
        f,
    )
}

pub(super) fn call_args() -> TableSpec {
    let mut f = vec![
        id("arg_id", "Stable hash of the call and position"),
        id("call_id", "The call (calls.call_id)"),
        id("file_id", "The file"),
        opt_id(
            "node_id",
            "The argument's value expression in ast_nodes (the Starred node for *args)",
        ),
        int(
            "position",
            "0-based position among the call's arguments, in source order",
        ),
        opt_text(
            "keyword",
            "The keyword of a keyword argument; null if positional",
        ),
        opt_text("star", "* or ** for unpacked arguments; null otherwise"),
        distinct(text("text", "Source text of the argument's value")),
    ];
    f.extend(span("the whole argument (keyword= and * included)"));
    f.push(source());
    spec("call_args", "Every argument of every call.", &["arg_id"], f)
}

pub(super) fn imports() -> TableSpec {
    let mut f = vec![
        id(
            "import_id",
            "Stable hash of the statement and alias position",
        ),
        id("file_id", "The file"),
        opt_id("node_id", "The alias node in ast_nodes"),
        opt_id("stmt_node_id", "The Import or ImportFrom node in ast_nodes"),
        text("kind", "import (import a.b) or from (from m import x)"),
        opt_text(
            "module",
            "The module as written: a.b for import a.b, m for from ..m import x; null for from . import x",
        ),
        int("level", "Relative-import dots (0 for absolute imports)"),
        opt_text(
            "name",
            "The imported name of from m import name (* for a star import); null for import",
        ),
        opt_text("asname", "The as-name, if any"),
        opt_text(
            "bound_name",
            "The name the statement binds: the as-name, the first part of import a.b, or the name; null for *",
        ),
        flag("is_star", "from m import *"),
        opt_text(
            "absolute_module",
            "The module made absolute from the importing file's package; null when it climbs above the top",
        ),
        opt_id(
            "scope_id",
            "The scope the statement binds in; null when not analysed",
        ),
    ];
    f.extend(span("the statement"));
    f.extend([
        offset("alias_bstart", "Span start of the alias (a.b as c)"),
        offset("alias_bend", "Span end of the alias"),
        source(),
    ]);
    spec(
        "imports",
        "One row per imported name of every import statement.",
        &["import_id"],
        f,
    )
}

pub(super) fn decorators() -> TableSpec {
    let mut f = vec![
        id("decorator_id", "Stable hash of the def and position"),
        id("file_id", "The file"),
        id("def_id", "The decorated def (defs.def_id)"),
        opt_id("node_id", "The decorator expression in ast_nodes"),
        int("position", "0-based position, top to bottom"),
        distinct(text("text", "Source text of the expression after @")),
        opt_text(
            "dotted",
            "The decorator as a dotted name when it is a.b.c or a call of one (app.route for @app.route('/'))",
        ),
    ];
    f.extend(span("the expression after @"));
    f.push(source());
    spec(
        "decorators",
        "Every decorator of every function and class.",
        &["decorator_id"],
        f,
    )
}

pub(super) fn docstrings() -> TableSpec {
    let mut f = vec![
        id("docstring_id", "Stable hash of file and span"),
        id("file_id", "The file"),
        text("owner_kind", "module, class or function"),
        opt_id("def_id", "The documented def; null for a module docstring"),
        opt_id("owner_node_id", "The Module or def node in ast_nodes"),
        opt_id("node_id", "The string Constant in ast_nodes"),
        distinct(text(
            "text",
            "The docstring's value (escapes decoded, not dedented)",
        )),
    ];
    f.extend(span("the string literal"));
    f.push(source());
    spec(
        "docstrings",
        "Docstrings of modules, classes and functions.",
        &["docstring_id"],
        f,
    )
}

pub(super) fn annotations() -> TableSpec {
    let mut f = vec![
        id("annotation_id", "Stable hash of file and span"),
        id("file_id", "The file"),
        opt_id("node_id", "The annotation expression in ast_nodes"),
        text("role", "parameter, return or variable"),
        opt_id(
            "def_id",
            "The function, for parameter and return annotations",
        ),
        opt_id(
            "owner_node_id",
            "The annotated node: the arg, the def (return) or the AnnAssign",
        ),
        opt_text(
            "target",
            "The parameter name, or the source text of the annotated variable target",
        ),
        text("text", "Source text of the annotation expression"),
    ];
    f.extend(span("the annotation expression"));
    f.push(source());
    spec(
        "annotations",
        "Every annotation expression with its owner and role.",
        &["annotation_id"],
        f,
    )
}

pub(super) fn comments() -> TableSpec {
    let mut f = vec![
        id("comment_id", "Stable hash of file and span"),
        id("file_id", "The file"),
        distinct(text("text", "The comment, from # to the end of the line")),
    ];
    f.extend(span("the comment"));
    f.extend([
        opt_id(
            "owner_node_id",
            "The innermost AST node whose span contains the comment; for a comment on a line of its own, the next statement",
        ),
        flag("standalone", "True when only whitespace precedes it on its line"),
        opt_text(
            "directive",
            "type: ignore, type, noqa, pragma, pylint, mypy, pyright, fmt or isort when the comment carries that tool directive",
        ),
        source(),
    ]);
    spec(
        "comments",
        "Every comment of every file.",
        &["comment_id"],
        f,
    )
}

pub(super) fn tokens() -> TableSpec {
    let mut f = vec![
        id("file_id", "The file"),
        int("ordinal", "0-based position in the file's token stream"),
        text(
            "kind",
            "ruff token kind (Name, Lpar, String, Comment, Newline, Indent, ...) or Whitespace for the bytes between tokens",
        ),
    ];
    f.extend(span("the token"));
    f.push(text("text", "The token's source text"));
    TableSpec {
        name: "tokens",
        description: "The full token stream, whitespace included: concatenating text in order gives the file back (--evidence tokens).",
        schema: Arc::new(Schema::new(f)),
        keys: &["file_id", "ordinal"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

pub(super) fn ts_nodes() -> TableSpec {
    let f = vec![
        id("ts_node_id", "Stable hash of file and pre-order position"),
        id("file_id", "The file"),
        opt_id("parent_id", "The parent node; null for the root"),
        int("ordinal", "Pre-order position in the file's tree"),
        text(
            "kind",
            "tree-sitter-python node kind (function_definition, call, ERROR, ...)",
        ),
        opt_text(
            "field",
            "The parent's field holding this node (name, body, arguments, ...)",
        ),
        flag(
            "is_named",
            "A named node (false for punctuation and keywords)",
        ),
        flag("is_error", "An ERROR node"),
        flag(
            "is_missing",
            "A node the parser inserted to recover (zero width)",
        ),
        offset("bstart", "Span start, inclusive byte offset"),
        offset("bend", "Span end, exclusive byte offset"),
    ];
    TableSpec {
        name: "ts_nodes",
        description: "The tree-sitter-python syntax tree of files that failed to parse (of every file with --evidence tree-sitter).",
        schema: Arc::new(Schema::new(f)),
        keys: &["ts_node_id"],
        sort_order: &[],
        partition_by: &[],
        layer: Layer::Evidence,
    }
}

pub(super) fn ts_errors() -> TableSpec {
    let mut f = vec![
        id("file_id", "The file"),
        id(
            "ts_node_id",
            "The ERROR or missing node (ts_nodes.ts_node_id)",
        ),
        text(
            "kind",
            "error (text the parser skipped) or missing (a token it inserted)",
        ),
        text(
            "message",
            "What is wrong: the missing token, or the start of the skipped text",
        ),
    ];
    f.extend(span("the ERROR node, or the point of the missing token"));
    f.extend([
        int("line", "1-based line of bstart"),
        int("col", "0-based UTF-8 byte column of bstart"),
    ]);
    spec(
        "ts_errors",
        "Where tree-sitter had to recover: its ERROR and missing nodes.",
        &["ts_node_id"],
        f,
    )
}
