//! The error-tolerant layer: tree-sitter-python.
//!
//! Files ruff reports syntax errors in (or every file, on request) are parsed again with
//! tree-sitter, whose GLR recovery keeps the intact regions of a broken file as ordinary
//! subtrees around `ERROR` and missing nodes. The whole tree goes to `ts_nodes`, the recovery
//! points to `ts_errors`, and the definitions, calls and imports it holds that ruff's recovered
//! tree does not are added to the syntax tables with `source = 'tree-sitter'`.

use std::cell::RefCell;

use arrow_schema::ArrowError;
use codelake_schema::span::LineIndex;
use rustc_hash::FxHashSet;
use tree_sitter::{Node, Parser, Tree};

use crate::syntax::{
    CallRow, DefRow, ImportSite, SyntaxRows, TREE_SITTER, absolute_module, row_id,
};
use crate::tables::{Chunk, Table};

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parses `text` with tree-sitter-python; `None` only if the grammar cannot be loaded (an ABI
/// mismatch between the crates) or the parse was cancelled.
pub fn parse(text: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&tree_sitter_python::LANGUAGE.into()).ok()?;
            *slot = Some(p);
        }
        slot.as_mut()?.parse(text, None)
    })
}

/// Appends the `ts_nodes` and `ts_errors` rows of a tree (pre-order, every node, named or
/// not).
pub fn tree_rows(
    chunk: &mut Chunk,
    file_id: i64,
    base: u32,
    text: &str,
    index: &LineIndex,
    tree: &Tree,
) -> Result<(), ArrowError> {
    struct Row<'t> {
        id: i64,
        parent: Option<i64>,
        kind: &'t str,
        field: Option<&'t str>,
        named: bool,
        error: bool,
        missing: bool,
        span: (i64, i64),
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut errors: Vec<(usize, String)> = Vec::new();
    let mut parents: Vec<i64> = Vec::new();
    let mut cursor = tree.walk();
    let b = base as i64;
    'walk: loop {
        let node = cursor.node();
        let span = (b + node.start_byte() as i64, b + node.end_byte() as i64);
        let ordinal = rows.len();
        let id = row_id("ts_node", file_id, node.kind(), span, ordinal as i64);
        let (error, missing) = (node.is_error(), node.is_missing());
        if error || missing {
            let message = if missing {
                format!("missing {}", node.kind())
            } else {
                let s = text.get(node.start_byte()..node.end_byte()).unwrap_or("");
                let mut snippet: String = s.chars().take(40).collect();
                if snippet.len() < s.len() {
                    snippet.push_str("...");
                }
                format!("unexpected {snippet:?}")
            };
            errors.push((ordinal, message));
        }
        rows.push(Row {
            id,
            parent: parents.last().copied(),
            kind: node.kind(),
            field: cursor.field_name(),
            named: node.is_named(),
            error,
            missing,
            span,
        });
        if cursor.goto_first_child() {
            parents.push(id);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            parents.pop();
        }
    }
    let n = rows.len();
    let t = chunk.buf(Table::TsNodes);
    t.i64s(rows.iter().map(|r| r.id))
        .repeat_i64(file_id, n)
        .opt_i64s(rows.iter().map(|r| r.parent))
        .i32s(0..n as i32)
        .strs(rows.iter().map(|r| r.kind))
        .opt_strs(rows.iter().map(|r| r.field))
        .bools(rows.iter().map(|r| r.named))
        .bools(rows.iter().map(|r| r.error))
        .bools(rows.iter().map(|r| r.missing))
        .i64s(rows.iter().map(|r| r.span.0))
        .i64s(rows.iter().map(|r| r.span.1));
    t.end()?;
    let pos: Vec<_> = errors
        .iter()
        .map(|&(i, _)| index.line_col(rows[i].span.0 as u32))
        .collect();
    let t = chunk.buf(Table::TsErrors);
    t.repeat_i64(file_id, errors.len())
        .i64s(errors.iter().map(|&(i, _)| rows[i].id))
        .strs(
            errors
                .iter()
                .map(|&(i, _)| if rows[i].missing { "missing" } else { "error" }),
        )
        .strs(errors.iter().map(|(_, m)| m.as_str()))
        .i64s(errors.iter().map(|&(i, _)| rows[i].span.0))
        .i64s(errors.iter().map(|&(i, _)| rows[i].span.1))
        .i32s(pos.iter().map(|p| p.line as i32))
        .i32s(pos.iter().map(|p| p.col as i32));
    t.end()
}

struct Recover<'a, 'r> {
    file_id: i64,
    base: i64,
    text: &'a str,
    package: Option<&'a str>,
    rows: &'r mut SyntaxRows<'a>,
    /// Name spans of ruff's defs, callee spans of its calls, alias spans of its imports.
    known_defs: FxHashSet<(i64, i64)>,
    known_calls: FxHashSet<(i64, i64)>,
    known_imports: FxHashSet<(i64, i64)>,
}

/// A definition on the way down: its id, and whether it is function-like (for qualnames).
struct Outer {
    def_id: i64,
    qualname: String,
    function_like: bool,
}

impl<'a> Recover<'a, '_> {
    fn span(&self, n: Node) -> (i64, i64) {
        (
            self.base + n.start_byte() as i64,
            self.base + n.end_byte() as i64,
        )
    }

    fn src(&self, n: Node) -> &'a str {
        let text: &'a str = self.text;
        text.get(n.start_byte()..n.end_byte()).unwrap_or("")
    }

    fn dotted(&self, n: Node) -> Option<String> {
        match n.kind() {
            "identifier" => Some(self.src(n).to_string()),
            "attribute" => {
                let mut s = self.dotted(n.child_by_field_name("object")?)?;
                s.push('.');
                s.push_str(self.src(n.child_by_field_name("attribute")?));
                Some(s)
            }
            _ => None,
        }
    }

    fn walk(&mut self, root: Node) {
        // Iterative pre-order with the enclosing definitions on a stack (tree-sitter trees of
        // pathological files are as deep as their nesting).
        let mut defs: Vec<Outer> = Vec::new();
        let mut stack: Vec<(Node, Option<usize>)> = vec![(root, None)];
        while let Some((node, outer)) = stack.pop() {
            // Inside an ERROR node tree-sitter guesses (a class header reads as a call); only
            // its clean subtrees are trusted.
            if node.is_error() {
                continue;
            }
            let mut inner = outer;
            let enclosing = outer.map(|i| &defs[i]);
            // Keywords are anonymous nodes of the same kind name (`lambda`).
            let kind = if node.is_named() { node.kind() } else { "" };
            match kind {
                "function_definition" | "class_definition" | "lambda" => {
                    let o = self.def(node, enclosing);
                    defs.push(o);
                    inner = Some(defs.len() - 1);
                }
                "call" => self.call(node, enclosing),
                "import_statement" | "import_from_statement" | "future_import_statement" => {
                    self.import(node)
                }
                _ => {}
            }
            let mut cursor = node.walk();
            let children: Vec<Node> = node.children(&mut cursor).collect();
            for c in children.into_iter().rev() {
                stack.push((c, inner));
            }
        }
    }

    fn def(&mut self, node: Node, parent: Option<&Outer>) -> Outer {
        let (kind, name_node) = match node.kind() {
            "lambda" => ("Lambda", None),
            "class_definition" => ("ClassDef", node.child_by_field_name("name")),
            _ => {
                let is_async = node.child(0).is_some_and(|c| c.kind() == "async");
                let k = if is_async {
                    "AsyncFunctionDef"
                } else {
                    "FunctionDef"
                };
                (k, node.child_by_field_name("name"))
            }
        };
        // A decorated definition spans its decorators, as ruff's does.
        let whole = node
            .parent()
            .filter(|p| p.kind() == "decorated_definition")
            .unwrap_or(node);
        let span = self.span(whole);
        let def_id = row_id("def", self.file_id, kind, span, 0);
        let name = name_node.map_or("<lambda>", |n| self.src(n));
        let qualname = match parent {
            None => name.to_string(),
            Some(p) if p.function_like => format!("{}.<locals>.{name}", p.qualname),
            Some(p) => format!("{}.{name}", p.qualname),
        };
        let here = Outer {
            def_id,
            qualname: qualname.clone(),
            function_like: kind != "ClassDef",
        };
        let name_span = name_node.map(|n| self.span(n));
        // Lambdas have no name to match on: their whole span stands in.
        if !self.known_defs.insert(name_span.unwrap_or(span)) {
            return here;
        }
        let decorators = if whole.id() != node.id() {
            let mut c = whole.walk();
            whole
                .children(&mut c)
                .filter(|d| d.kind() == "decorator")
                .count() as i32
        } else {
            0
        };
        let (bases, keywords) = if kind == "ClassDef" {
            let mut bases = Vec::new();
            let mut keywords = Vec::new();
            if let Some(args) = node.child_by_field_name("superclasses") {
                let mut c = args.walk();
                for a in args.named_children(&mut c) {
                    match a.kind() {
                        "keyword_argument" | "dictionary_splat" => keywords.push(self.src(a)),
                        "comment" => {}
                        _ => bases.push(self.src(a)),
                    }
                }
            }
            (Some(bases), Some(keywords))
        } else {
            (None, None)
        };
        self.rows.defs.push(DefRow {
            def_id,
            node_id: None,
            kind,
            name,
            qualname: Some(qualname),
            scope_id: None,
            parent_def_id: parent.map(|p| p.def_id),
            span,
            name_span,
            is_async: kind == "AsyncFunctionDef",
            decorator_count: decorators,
            docstring: None,
            returns_annotation: node.child_by_field_name("return_type").map(|r| self.src(r)),
            bases,
            keywords,
            source: TREE_SITTER,
        });
        here
    }

    fn call(&mut self, node: Node, outer: Option<&Outer>) {
        let Some(mut func) = node.child_by_field_name("function") else {
            return;
        };
        // Ruff's callee of `(f)()` is `f`, without the parentheses.
        while func.kind() == "parenthesized_expression" {
            match func.named_child(0) {
                Some(inner) if inner.kind() != "comment" => func = inner,
                _ => break,
            }
        }
        let callee_span = self.span(func);
        if !self.known_calls.insert(callee_span) {
            return;
        }
        let (shape, name) = match func.kind() {
            "identifier" => ("name", Some(self.src(func))),
            "attribute" => (
                "attribute",
                func.child_by_field_name("attribute").map(|a| self.src(a)),
            ),
            "subscript" => ("subscript", None),
            "call" => ("call", None),
            _ => ("other", None),
        };
        let (mut count, mut star, mut kwargs) = (0, false, false);
        if let Some(args) = node.child_by_field_name("arguments") {
            let mut c = args.walk();
            for a in args.named_children(&mut c) {
                match a.kind() {
                    "comment" => continue,
                    "list_splat" => star = true,
                    "dictionary_splat" => kwargs = true,
                    _ => {}
                }
                count += 1;
            }
        }
        let span = self.span(node);
        self.rows.calls.push(CallRow {
            call_id: row_id("call", self.file_id, "", span, 0),
            node_id: None,
            callee_text: self.src(func),
            callee_shape: shape,
            callee_dotted: self.dotted(func),
            callee_name: name,
            arg_count: count,
            has_star_args: star,
            has_kwargs: kwargs,
            enclosing_def_id: outer.map(|o| o.def_id),
            scope_id: None,
            span,
            callee_span,
            source: TREE_SITTER,
        });
    }

    fn import(&mut self, node: Node) {
        let span = self.span(node);
        let from = node.kind() != "import_statement";
        let (module, level) = match node.kind() {
            "future_import_statement" => (Some("__future__"), 0),
            "import_from_statement" => match node.child_by_field_name("module_name") {
                Some(m) if m.kind() == "relative_import" => {
                    let text = self.src(m);
                    let dots = text.bytes().take_while(|&b| b == b'.').count();
                    let rest = text[dots..].trim();
                    ((!rest.is_empty()).then_some(rest), dots as u32)
                }
                Some(m) => (Some(self.src(m)), 0),
                None => (None, 0),
            },
            _ => (None, 0),
        };
        let mut site = ImportSite::new(self.file_id, from, module, level, span);
        if from {
            site.absolute = absolute_module(self.package, level, module);
        }
        let mut aliases: Vec<(Node, Option<Node>, &'a str)> = Vec::new();
        let mut c = node.walk();
        for (i, child) in node.children(&mut c).enumerate() {
            let field = node.field_name_for_child(i as u32);
            match child.kind() {
                "wildcard_import" => aliases.push((child, None, "*")),
                "dotted_name" if field == Some("name") => {
                    aliases.push((child, None, self.src(child)))
                }
                "aliased_import" => {
                    let Some(n) = child.child_by_field_name("name") else {
                        continue;
                    };
                    aliases.push((child, child.child_by_field_name("alias"), self.src(n)));
                }
                _ => {}
            }
        }
        for (i, (alias, asname, name)) in aliases.into_iter().enumerate() {
            let alias_span = self.span(alias);
            if !self.known_imports.insert(alias_span) {
                continue;
            }
            let asname = asname.map(|a| self.src(a));
            self.rows
                .imports
                .push(site.alias(i, name, asname, alias_span, TREE_SITTER));
        }
    }
}

/// Adds to `rows` the definitions, calls and imports of `tree` that ruff's rows lack (matched
/// by the span of the def's name, the callee, the alias), marked `source = 'tree-sitter'`.
/// Subtrees under an ERROR node are skipped: there tree-sitter's reading is a guess.
pub fn recover<'a>(
    rows: &mut SyntaxRows<'a>,
    tree: &Tree,
    file_id: i64,
    base: u32,
    text: &'a str,
    package: Option<&'a str>,
) {
    let known_defs = rows
        .defs
        .iter()
        .map(|d| d.name_span.unwrap_or(d.span))
        .collect();
    let known_calls = rows.calls.iter().map(|c| c.callee_span).collect();
    let known_imports = rows.imports.iter().map(|i| i.alias_span).collect();
    let mut r = Recover {
        file_id,
        base: base as i64,
        text,
        package,
        rows,
        known_defs,
        known_calls,
        known_imports,
    };
    r.walk(tree.root_node());
}
