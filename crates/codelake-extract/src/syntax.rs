//! Syntax evidence from ruff's tree: definitions, parameters, calls and their arguments,
//! imports, decorators, docstrings, annotations, comments and (optionally) the token stream.
//!
//! One walk in source order over the tree the AST pass already emitted: node ids come from the
//! emitter's id map (every statement and expression is in it), scope ids from the scope
//! analysis when it ran. Rows borrow their text from the source; spans are byte offsets into the
//! file (`base` added for a BOM).

use arrow_schema::ArrowError;
use codelake_schema::ids::StableId;
use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::visitor::source_order::{self, SourceOrderVisitor};
use ruff_python_ast::{self as ast, ArgOrKeyword, Expr, Parameters, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::ast::{NodeIds, node_key};
use crate::scopes::ScopeTree;
use crate::tables::{Chunk, Table, TableBuf};
use ruff_python_ast::HasNodeIndex;

/// The parser a row came from.
pub const RUFF: &str = "ruff";
pub const TREE_SITTER: &str = "tree-sitter";

#[derive(Debug, Clone)]
pub struct DefRow<'a> {
    pub def_id: i64,
    pub node_id: Option<i64>,
    pub kind: &'static str,
    pub name: &'a str,
    pub qualname: Option<String>,
    pub scope_id: Option<i64>,
    pub parent_def_id: Option<i64>,
    pub span: (i64, i64),
    pub name_span: Option<(i64, i64)>,
    pub is_async: bool,
    pub decorator_count: i32,
    pub docstring: Option<&'a str>,
    pub returns_annotation: Option<&'a str>,
    pub bases: Option<Vec<&'a str>>,
    pub keywords: Option<Vec<&'a str>>,
    pub source: &'static str,
}

#[derive(Debug, Clone)]
pub struct ParamRow<'a> {
    pub def_id: i64,
    pub node_id: Option<i64>,
    pub name: &'a str,
    pub position: i32,
    pub kind: &'static str,
    pub annotation: Option<&'a str>,
    pub default: Option<&'a str>,
    pub span: (i64, i64),
}

#[derive(Debug, Clone)]
pub struct CallRow<'a> {
    pub call_id: i64,
    pub node_id: Option<i64>,
    pub callee_text: &'a str,
    pub callee_shape: &'static str,
    pub callee_dotted: Option<String>,
    pub callee_name: Option<&'a str>,
    pub arg_count: i32,
    pub has_star_args: bool,
    pub has_kwargs: bool,
    pub enclosing_def_id: Option<i64>,
    pub scope_id: Option<i64>,
    pub span: (i64, i64),
    pub callee_span: (i64, i64),
    pub source: &'static str,
}

#[derive(Debug, Clone)]
pub struct CallArgRow<'a> {
    pub call_id: i64,
    pub node_id: Option<i64>,
    pub position: i32,
    pub keyword: Option<&'a str>,
    pub star: Option<&'static str>,
    pub text: &'a str,
    pub span: (i64, i64),
}

#[derive(Debug, Clone)]
pub struct ImportRow<'a> {
    pub import_id: i64,
    pub node_id: Option<i64>,
    pub stmt_node_id: Option<i64>,
    pub kind: &'static str,
    pub module: Option<&'a str>,
    pub level: i32,
    pub name: Option<&'a str>,
    pub asname: Option<&'a str>,
    pub bound_name: Option<&'a str>,
    pub is_star: bool,
    pub absolute_module: Option<String>,
    pub scope_id: Option<i64>,
    pub span: (i64, i64),
    pub alias_span: (i64, i64),
    pub source: &'static str,
}

#[derive(Debug, Clone)]
pub struct DecoratorRow<'a> {
    pub def_id: i64,
    pub node_id: Option<i64>,
    pub position: i32,
    pub text: &'a str,
    pub dotted: Option<String>,
    pub span: (i64, i64),
}

#[derive(Debug, Clone)]
pub struct DocstringRow<'a> {
    pub owner_kind: &'static str,
    pub def_id: Option<i64>,
    pub owner_node_id: Option<i64>,
    pub node_id: Option<i64>,
    pub text: &'a str,
    pub span: (i64, i64),
}

#[derive(Debug, Clone)]
pub struct AnnotationRow<'a> {
    pub node_id: Option<i64>,
    pub role: &'static str,
    pub def_id: Option<i64>,
    pub owner_node_id: Option<i64>,
    pub target: Option<&'a str>,
    pub text: &'a str,
    pub span: (i64, i64),
}

#[derive(Debug, Clone)]
pub struct CommentRow<'a> {
    pub text: &'a str,
    pub span: (i64, i64),
    pub owner_node_id: Option<i64>,
    pub standalone: bool,
    pub directive: Option<&'static str>,
}

/// The syntax-evidence rows of one file.
#[derive(Debug, Default)]
pub struct SyntaxRows<'a> {
    pub defs: Vec<DefRow<'a>>,
    pub params: Vec<ParamRow<'a>>,
    pub calls: Vec<CallRow<'a>>,
    pub call_args: Vec<CallArgRow<'a>>,
    pub imports: Vec<ImportRow<'a>>,
    pub decorators: Vec<DecoratorRow<'a>>,
    pub docstrings: Vec<DocstringRow<'a>>,
    pub annotations: Vec<AnnotationRow<'a>>,
    pub comments: Vec<CommentRow<'a>>,
    /// `(start, node_id)` of every statement, in source order (for comment owners).
    stmt_starts: Vec<(u32, i64)>,
}

/// Stable id of a located row: its table, file, kind and span (and a position for rows that
/// share a span, like the aliases of one statement).
pub fn row_id(table: &str, file_id: i64, kind: &str, span: (i64, i64), position: i64) -> i64 {
    StableId::new(table)
        .int(file_id)
        .str(kind)
        .int(span.0)
        .int(span.1)
        .int(position)
        .finish()
}

/// The package a module's relative imports are relative to.
pub fn package_of(module: Option<&str>, is_package: bool) -> Option<&str> {
    let m = module?;
    if is_package {
        Some(m)
    } else {
        Some(m.rsplit_once('.').map_or("", |(p, _)| p))
    }
}

/// The absolute module of `from <level dots><module> import ...` inside `package`: `None` when
/// the dots climb above the top-level package (Python's "attempted relative import beyond
/// top-level package") or the file is not importable.
pub fn absolute_module(package: Option<&str>, level: u32, module: Option<&str>) -> Option<String> {
    if level == 0 {
        return module.map(str::to_string);
    }
    let package = package?;
    if package.is_empty() {
        return None;
    }
    let mut base = package;
    for _ in 1..level {
        base = base.rsplit_once('.')?.0;
    }
    Some(match module {
        Some(m) if !m.is_empty() => format!("{base}.{m}"),
        _ => base.to_string(),
    })
}

/// `a.b.c` for an expression that is a pure chain of names.
pub fn dotted(e: &Expr) -> Option<String> {
    match e {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => {
            let mut s = dotted(&a.value)?;
            s.push('.');
            s.push_str(a.attr.as_str());
            Some(s)
        }
        _ => None,
    }
}

/// The tool directive a comment carries, if any.
pub fn directive(comment: &str) -> Option<&'static str> {
    for part in comment.split('#').skip(1) {
        let p = part.trim_start();
        let lower = |prefix: &str| {
            p.get(..prefix.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
        };
        if lower("type:") {
            let rest = p["type:".len()..].trim_start();
            return Some(if rest.starts_with("ignore") {
                "type: ignore"
            } else {
                "type"
            });
        }
        for (prefix, name) in [
            ("noqa", "noqa"),
            ("pragma:", "pragma"),
            ("pylint:", "pylint"),
            ("mypy:", "mypy"),
            ("pyright:", "pyright"),
            ("fmt:", "fmt"),
            ("isort:", "isort"),
        ] {
            if lower(prefix) {
                return Some(name);
            }
        }
    }
    None
}

/// One import statement, from which its alias rows are made (by the ruff walk and by the
/// tree-sitter recovery alike).
pub struct ImportSite<'a> {
    pub file_id: i64,
    /// `from m import ...` rather than `import a.b`.
    pub from: bool,
    pub module: Option<&'a str>,
    pub level: u32,
    /// The absolute module of a `from` import (see [`absolute_module`]).
    pub absolute: Option<String>,
    /// The statement's span.
    pub span: (i64, i64),
}

impl<'a> ImportSite<'a> {
    pub fn new(
        file_id: i64,
        from: bool,
        module: Option<&'a str>,
        level: u32,
        span: (i64, i64),
    ) -> Self {
        Self {
            file_id,
            from,
            module,
            level,
            absolute: None,
            span,
        }
    }

    /// The row of the alias at `position` (node ids and scope left unset).
    pub fn alias(
        &self,
        position: usize,
        name: &'a str,
        asname: Option<&'a str>,
        alias_span: (i64, i64),
        source: &'static str,
    ) -> ImportRow<'a> {
        let is_star = self.from && name == "*";
        let kind = if self.from { "from" } else { "import" };
        let (module, name, bound_name, absolute_module) = if self.from {
            let bound = (!is_star).then(|| asname.unwrap_or(name));
            (self.module, Some(name), bound, self.absolute.clone())
        } else {
            // `import a.b` binds `a` and imports the module `a.b`.
            let first = name.split('.').next().unwrap_or(name);
            (
                Some(name),
                None,
                Some(asname.unwrap_or(first)),
                Some(name.to_string()),
            )
        };
        ImportRow {
            import_id: row_id("import", self.file_id, kind, self.span, position as i64),
            node_id: None,
            stmt_node_id: None,
            kind,
            module,
            level: self.level as i32,
            name,
            asname,
            bound_name,
            is_star,
            absolute_module,
            scope_id: None,
            span: self.span,
            alias_span,
            source,
        }
    }
}

/// What the walk needs from the rest of the file's extraction.
pub struct SyntaxInput<'a> {
    pub file_id: i64,
    pub base: u32,
    pub text: &'a str,
    /// Node ids of the AST pass.
    pub ids: &'a NodeIds,
    /// The scope analysis and the ids of its scopes, when it ran.
    pub scopes: Option<(&'a ScopeTree, Vec<i64>)>,
    /// The package relative imports are resolved against (see [`package_of`]).
    pub package: Option<&'a str>,
}

struct Walker<'a, 'r> {
    input: &'r SyntaxInput<'a>,
    rows: &'r mut SyntaxRows<'a>,
    defs: Vec<i64>,
}

impl<'a> Walker<'a, '_> {
    fn span(&self, r: TextRange) -> (i64, i64) {
        let b = self.input.base as i64;
        (b + r.start().to_u32() as i64, b + r.end().to_u32() as i64)
    }

    fn src(&self, r: TextRange) -> &'a str {
        let text: &'a str = self.input.text;
        text.get(r.start().to_usize()..r.end().to_usize())
            .unwrap_or("")
    }

    fn id<T: HasNodeIndex>(&self, node: &T) -> Option<i64> {
        self.input.ids.get(node)
    }

    fn scope_of<T>(&self, node: &T) -> Option<(i64, &ScopeTree, usize)> {
        let (tree, ids) = self.input.scopes.as_ref()?;
        let idx = *tree.node_scopes.get(&node_key(node))?;
        Some((*ids.get(idx)?, tree, idx))
    }

    /// Adds a def row, with the qualname and scope id of the body scope of `node` when the
    /// scope analysis ran.
    fn push_def<T>(&mut self, node: &T, mut row: DefRow<'a>) {
        if let Some((id, tree, idx)) = self.scope_of(node) {
            row.scope_id = Some(id);
            row.qualname = Some(tree.scopes[idx].qualname.clone());
        }
        self.rows.defs.push(row);
    }

    fn docstring(
        &mut self,
        body: &'a [Stmt],
        owner_kind: &'static str,
        def_id: Option<i64>,
        owner: Option<i64>,
    ) -> Option<&'a str> {
        let Some(Stmt::Expr(e)) = body.first() else {
            return None;
        };
        let Expr::StringLiteral(s) = e.value.as_ref() else {
            return None;
        };
        let text = s.value.to_str();
        self.rows.docstrings.push(DocstringRow {
            owner_kind,
            def_id,
            owner_node_id: owner,
            node_id: self.id(e.value.as_ref()),
            text,
            span: self.span(s.range),
        });
        Some(text)
    }

    fn params(&mut self, def_id: i64, p: &'a Parameters, annotations: bool) {
        let mut position = 0;
        let mut push = |w: &mut Self,
                        prm: &'a ast::Parameter,
                        kind: &'static str,
                        default: Option<&'a Expr>| {
            let span = w.span(prm.range);
            let node_id = w.id(prm);
            w.rows.params.push(ParamRow {
                def_id,
                node_id,
                name: prm.name.as_str(),
                position,
                kind,
                annotation: prm.annotation.as_deref().map(|a| w.src(a.range())),
                default: default.map(|d| w.src(d.range())),
                span,
            });
            if annotations && let Some(a) = prm.annotation.as_deref() {
                w.rows.annotations.push(AnnotationRow {
                    node_id: w.id(a),
                    role: "parameter",
                    def_id: Some(def_id),
                    owner_node_id: node_id,
                    target: Some(prm.name.as_str()),
                    text: w.src(a.range()),
                    span: w.span(a.range()),
                });
            }
            position += 1;
        };
        for pd in &p.posonlyargs {
            push(self, &pd.parameter, "posonly", pd.default.as_deref());
        }
        for pd in &p.args {
            push(self, &pd.parameter, "positional", pd.default.as_deref());
        }
        if let Some(v) = &p.vararg {
            push(self, v, "vararg", None);
        }
        for pd in &p.kwonlyargs {
            push(self, &pd.parameter, "kwonly", pd.default.as_deref());
        }
        if let Some(k) = &p.kwarg {
            push(self, k, "kwarg", None);
        }
    }

    fn decorators(&mut self, def_id: i64, list: &'a [ast::Decorator]) {
        for (i, d) in list.iter().enumerate() {
            let e = &d.expression;
            let dotted = match e {
                Expr::Call(c) => dotted(&c.func),
                _ => dotted(e),
            };
            self.rows.decorators.push(DecoratorRow {
                def_id,
                node_id: self.id(e),
                position: i as i32,
                text: self.src(e.range()),
                dotted,
                span: self.span(e.range()),
            });
        }
    }

    fn function_def(&mut self, f: &'a ast::StmtFunctionDef) {
        let kind = if f.is_async {
            "AsyncFunctionDef"
        } else {
            "FunctionDef"
        };
        let span = self.span(f.range);
        let def_id = row_id("def", self.input.file_id, kind, span, 0);
        let node_id = self.id(f);
        let docstring = self.docstring(&f.body, "function", Some(def_id), node_id);
        let returns = f.returns.as_deref();
        let row = DefRow {
            def_id,
            node_id,
            kind,
            name: f.name.as_str(),
            qualname: None,
            scope_id: None,
            parent_def_id: self.defs.last().copied(),
            span,
            name_span: Some(self.span(f.name.range)),
            is_async: f.is_async,
            decorator_count: f.decorator_list.len() as i32,
            docstring,
            returns_annotation: returns.map(|r| self.src(r.range())),
            bases: None,
            keywords: None,
            source: RUFF,
        };
        self.push_def(f, row);
        self.decorators(def_id, &f.decorator_list);
        self.params(def_id, &f.parameters, true);
        if let Some(r) = returns {
            self.rows.annotations.push(AnnotationRow {
                node_id: self.id(r),
                role: "return",
                def_id: Some(def_id),
                owner_node_id: node_id,
                target: None,
                text: self.src(r.range()),
                span: self.span(r.range()),
            });
        }
        // Decorators, type parameters, defaults and annotations are evaluated outside the body.
        for d in &f.decorator_list {
            self.visit_decorator(d);
        }
        if let Some(tp) = &f.type_params {
            self.visit_type_params(tp);
        }
        self.visit_parameters(&f.parameters);
        if let Some(r) = returns {
            self.visit_annotation(r);
        }
        self.defs.push(def_id);
        self.visit_body(&f.body);
        self.defs.pop();
    }

    fn class_def(&mut self, c: &'a ast::StmtClassDef) {
        let span = self.span(c.range());
        let def_id = row_id("def", self.input.file_id, "ClassDef", span, 0);
        let node_id = self.id(c);
        let docstring = self.docstring(&c.body, "class", Some(def_id), node_id);
        let (bases, keywords) = match &c.arguments {
            Some(args) => (
                args.args.iter().map(|b| self.src(b.range())).collect(),
                args.keywords.iter().map(|k| self.src(k.range)).collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let row = DefRow {
            def_id,
            node_id,
            kind: "ClassDef",
            name: c.name.as_str(),
            qualname: None,
            scope_id: None,
            parent_def_id: self.defs.last().copied(),
            span,
            name_span: Some(self.span(c.name.range)),
            is_async: false,
            decorator_count: c.decorator_list.len() as i32,
            docstring,
            returns_annotation: None,
            bases: Some(bases),
            keywords: Some(keywords),
            source: RUFF,
        };
        self.push_def(c, row);
        self.decorators(def_id, &c.decorator_list);
        for d in &c.decorator_list {
            self.visit_decorator(d);
        }
        if let Some(tp) = &c.type_params {
            self.visit_type_params(tp);
        }
        if let Some(args) = &c.arguments {
            self.visit_arguments(args);
        }
        self.defs.push(def_id);
        self.visit_body(&c.body);
        self.defs.pop();
    }

    fn lambda(&mut self, l: &'a ast::ExprLambda) {
        let span = self.span(l.range);
        let def_id = row_id("def", self.input.file_id, "Lambda", span, 0);
        let row = DefRow {
            def_id,
            node_id: self.id(l),
            kind: "Lambda",
            name: "<lambda>",
            qualname: None,
            scope_id: None,
            parent_def_id: self.defs.last().copied(),
            span,
            name_span: None,
            is_async: false,
            decorator_count: 0,
            docstring: None,
            returns_annotation: None,
            bases: None,
            keywords: None,
            source: RUFF,
        };
        self.push_def(l, row);
        if let Some(p) = &l.parameters {
            self.params(def_id, p, false);
            self.visit_parameters(p);
        }
        self.defs.push(def_id);
        self.visit_expr(&l.body);
        self.defs.pop();
    }

    fn call(&mut self, expr: &'a Expr, c: &'a ast::ExprCall) {
        let span = self.span(c.range());
        let call_id = row_id("call", self.input.file_id, "", span, 0);
        let func = c.func.as_ref();
        let (shape, name) = match func {
            Expr::Name(n) => ("name", Some(n.id.as_str())),
            Expr::Attribute(a) => ("attribute", Some(a.attr.as_str())),
            Expr::Subscript(_) => ("subscript", None),
            Expr::Call(_) => ("call", None),
            _ => ("other", None),
        };
        let mut has_star_args = false;
        let mut has_kwargs = false;
        for (i, item) in c.arguments.iter_source_order().enumerate() {
            let (node_id, keyword, star, value, range) = match item {
                ArgOrKeyword::Arg(e) => match e {
                    Expr::Starred(s) => {
                        has_star_args = true;
                        (self.id(e), None, Some("*"), s.value.range(), e.range())
                    }
                    _ => (self.id(e), None, None, e.range(), e.range()),
                },
                ArgOrKeyword::Keyword(k) => {
                    let star = if k.arg.is_none() {
                        has_kwargs = true;
                        Some("**")
                    } else {
                        None
                    };
                    (
                        self.id(&k.value),
                        k.arg.as_ref().map(|a| a.as_str()),
                        star,
                        k.value.range(),
                        k.range,
                    )
                }
            };
            self.rows.call_args.push(CallArgRow {
                call_id,
                node_id,
                position: i as i32,
                keyword,
                star,
                text: self.src(value),
                span: self.span(range),
            });
        }
        let scope_id = self.scope_of(c).map(|(id, _, _)| id);
        self.rows.calls.push(CallRow {
            call_id,
            node_id: self.id(expr),
            callee_text: self.src(func.range()),
            callee_shape: shape,
            callee_dotted: dotted(func),
            callee_name: name,
            arg_count: c.arguments.len() as i32,
            has_star_args,
            has_kwargs,
            enclosing_def_id: self.defs.last().copied(),
            scope_id,
            span,
            callee_span: self.span(func.range()),
            source: RUFF,
        });
    }

    fn imports<T: Ranged + HasNodeIndex>(
        &mut self,
        stmt: &'a T,
        kind: &'static str,
        module: Option<&'a str>,
        level: u32,
        names: &'a [ast::Alias],
    ) {
        let span = self.span(stmt.range());
        let stmt_node_id = self.id(stmt);
        let scope_id = self.scope_of(stmt).map(|(id, _, _)| id);
        let mut site = ImportSite::new(self.input.file_id, kind == "from", module, level, span);
        if site.from {
            site.absolute = absolute_module(self.input.package, level, module);
        }
        for (i, a) in names.iter().enumerate() {
            let name = a.name.as_str();
            let asname = a.asname.as_ref().map(|n| n.as_str());
            let mut row = site.alias(i, name, asname, self.span(a.range), RUFF);
            row.node_id = self.id(a);
            row.stmt_node_id = stmt_node_id;
            row.scope_id = scope_id;
            self.rows.imports.push(row);
        }
    }
}

impl<'a> SourceOrderVisitor<'a> for Walker<'a, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Some(id) = self.id(stmt) {
            self.rows
                .stmt_starts
                .push((self.input.base + stmt.range().start().to_u32(), id));
        }
        match stmt {
            Stmt::FunctionDef(f) => self.function_def(f),
            Stmt::ClassDef(c) => self.class_def(c),
            Stmt::Import(i) => {
                self.imports(i, "import", None, 0, &i.names);
                source_order::walk_stmt(self, stmt);
            }
            Stmt::ImportFrom(i) => {
                let module = i.module.as_ref().map(|m| m.as_str());
                self.imports(i, "from", module, i.level, &i.names);
                source_order::walk_stmt(self, stmt);
            }
            Stmt::AnnAssign(a) => {
                let ann = a.annotation.as_ref();
                self.rows.annotations.push(AnnotationRow {
                    node_id: self.id(ann),
                    role: "variable",
                    def_id: None,
                    owner_node_id: self.id(a),
                    target: Some(self.src(a.target.range())),
                    text: self.src(ann.range()),
                    span: self.span(ann.range()),
                });
                source_order::walk_stmt(self, stmt);
            }
            _ => source_order::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(l) => self.lambda(l),
            Expr::Call(c) => {
                self.call(expr, c);
                source_order::walk_expr(self, expr);
            }
            _ => source_order::walk_expr(self, expr),
        }
    }
}

/// Walks a module and collects its syntax evidence (comments come from [`comments`]).
pub fn collect<'a>(
    input: &SyntaxInput<'a>,
    module: &'a ast::ModModule,
    module_node_id: i64,
) -> SyntaxRows<'a> {
    let mut rows = SyntaxRows::default();
    let mut w = Walker {
        input,
        rows: &mut rows,
        defs: Vec::new(),
    };
    w.docstring(&module.body, "module", None, Some(module_node_id));
    w.visit_body(&module.body);
    rows
}

/// Comments from the token stream, each with its owner: the innermost AST node containing it,
/// or for a comment on a line of its own the next statement. `nodes` are the AST rows'
/// `(node_id, bstart, bend)` in pre-order.
pub fn comments<'a>(
    rows: &mut SyntaxRows<'a>,
    text: &'a str,
    base: u32,
    tokens: &Tokens,
    nodes: (&[i64], &[i64], &[i64]),
) {
    let mut found: Vec<(u32, u32)> = tokens
        .iter()
        .filter(|t| t.kind() == TokenKind::Comment)
        .map(|t| (t.start().to_u32(), t.end().to_u32()))
        .collect();
    if found.is_empty() {
        return;
    }
    found.sort_unstable();
    let (ids, starts, ends) = nodes;
    // The owner of a comment is the innermost node whose span holds its start. Spans nest
    // along the tree, so the nodes holding a point are a chain of ancestors, met in pre-order
    // outermost first: walking the nodes in pre-order, each takes the comments its span holds
    // from the ones before it, and the last to take a comment is its innermost holder. (Nodes
    // with equal spans, an expression statement and its call, go to the later, inner one.)
    // Each node finds its comments by two binary searches over the few comments, where
    // sorting the file's nodes by start cost 1% of an evidence build.
    let at: Vec<i64> = found.iter().map(|&(s, _)| (base + s) as i64).collect();
    let mut owners = vec![None; found.len()];
    for ((&id, &start), &end) in ids.iter().zip(starts).zip(ends) {
        let first = at.partition_point(|&p| p < start);
        if first == at.len() || at[first] >= end {
            continue;
        }
        let last = first + at[first..].partition_point(|&p| p < end);
        for owner in &mut owners[first..last] {
            *owner = Some(id);
        }
    }

    for (k, &(s, e)) in found.iter().enumerate() {
        let comment = text.get(s as usize..e as usize).unwrap_or("");
        let line_start = text[..s as usize].rfind(['\n', '\r']).map_or(0, |p| p + 1);
        let standalone = text[line_start..s as usize]
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\x0c'));
        let mut owner = owners[k];
        if standalone {
            let end = base + e;
            let at = rows.stmt_starts.partition_point(|&(st, _)| st < end);
            if let Some(&(_, id)) = rows.stmt_starts.get(at) {
                owner = Some(id);
            }
        }
        rows.comments.push(CommentRow {
            text: comment,
            span: ((base + s) as i64, (base + e) as i64),
            owner_node_id: owner,
            standalone,
            directive: directive(comment),
        });
    }
}

/// The file's token stream with the bytes between tokens as `Whitespace` tokens, so the rows
/// tile `text` exactly: `(kind, start, end)` in order.
pub fn token_tiles(text: &str, tokens: &Tokens) -> Vec<(String, u32, u32)> {
    let mut out = Vec::with_capacity(tokens.len() * 2);
    let mut at = 0u32;
    for t in tokens.iter() {
        let (s, e) = (t.start().to_u32(), t.end().to_u32());
        if s < at {
            // Zero-width tokens after a wider one (Dedent at a line start) keep the order.
            out.push((format!("{:?}", t.kind()), at, at));
            continue;
        }
        if s > at {
            out.push(("Whitespace".to_string(), at, s));
        }
        out.push((format!("{:?}", t.kind()), s, e));
        at = e;
    }
    let len = text.len() as u32;
    if at < len {
        out.push(("Whitespace".to_string(), at, len));
    }
    out
}

impl SyntaxRows<'_> {
    /// Appends the rows of the syntax tables to `chunk`.
    pub fn append_to(&self, file_id: i64, chunk: &mut Chunk) -> Result<(), ArrowError> {
        let d = &self.defs;
        let t = chunk.buf(Table::Defs);
        t.i64s(d.iter().map(|r| r.def_id));
        t.repeat_i64(file_id, d.len());
        t.opt_i64s(d.iter().map(|r| r.node_id));
        t.strs(d.iter().map(|r| r.kind));
        t.strs(d.iter().map(|r| r.name));
        t.opt_strs(d.iter().map(|r| r.qualname.as_deref()));
        t.opt_i64s(d.iter().map(|r| r.scope_id));
        t.opt_i64s(d.iter().map(|r| r.parent_def_id));
        t.i64s(d.iter().map(|r| r.span.0));
        t.i64s(d.iter().map(|r| r.span.1));
        t.opt_i64s(d.iter().map(|r| r.name_span.map(|s| s.0)));
        t.opt_i64s(d.iter().map(|r| r.name_span.map(|s| s.1)));
        t.bools(d.iter().map(|r| r.is_async));
        t.i32s(d.iter().map(|r| r.decorator_count));
        t.opt_strs(d.iter().map(|r| r.docstring));
        t.opt_strs(d.iter().map(|r| r.returns_annotation));
        t.str_lists(d.iter().map(|r| r.bases.as_deref()));
        t.str_lists(d.iter().map(|r| r.keywords.as_deref()));
        t.strs(d.iter().map(|r| r.source));
        t.end()?;
        let p = &self.params;
        let t = chunk.buf(Table::Params);
        t.i64s(
            p.iter()
                .map(|r| row_id("param", r.def_id, r.kind, r.span, r.position as i64)),
        );
        t.repeat_i64(file_id, p.len());
        t.i64s(p.iter().map(|r| r.def_id));
        t.opt_i64s(p.iter().map(|r| r.node_id));
        t.strs(p.iter().map(|r| r.name));
        t.i32s(p.iter().map(|r| r.position));
        t.strs(p.iter().map(|r| r.kind));
        t.opt_strs(p.iter().map(|r| r.annotation));
        t.opt_strs(p.iter().map(|r| r.default));
        t.i64s(p.iter().map(|r| r.span.0));
        t.i64s(p.iter().map(|r| r.span.1));
        t.strs(p.iter().map(|_| RUFF));
        t.end()?;
        let c = &self.calls;
        let t = chunk.buf(Table::Calls);
        t.i64s(c.iter().map(|r| r.call_id));
        t.repeat_i64(file_id, c.len());
        t.opt_i64s(c.iter().map(|r| r.node_id));
        t.strs(c.iter().map(|r| r.callee_text));
        t.strs(c.iter().map(|r| r.callee_shape));
        t.opt_strs(c.iter().map(|r| r.callee_dotted.as_deref()));
        t.opt_strs(c.iter().map(|r| r.callee_name));
        t.i32s(c.iter().map(|r| r.arg_count));
        t.bools(c.iter().map(|r| r.has_star_args));
        t.bools(c.iter().map(|r| r.has_kwargs));
        t.opt_i64s(c.iter().map(|r| r.enclosing_def_id));
        t.opt_i64s(c.iter().map(|r| r.scope_id));
        t.i64s(c.iter().map(|r| r.span.0));
        t.i64s(c.iter().map(|r| r.span.1));
        t.i64s(c.iter().map(|r| r.callee_span.0));
        t.i64s(c.iter().map(|r| r.callee_span.1));
        t.strs(c.iter().map(|r| r.source));
        t.end()?;
        let a = &self.call_args;
        let t = chunk.buf(Table::CallArgs);
        t.i64s(
            a.iter()
                .map(|r| row_id("call_arg", r.call_id, "", r.span, r.position as i64)),
        );
        t.i64s(a.iter().map(|r| r.call_id));
        t.repeat_i64(file_id, a.len());
        t.opt_i64s(a.iter().map(|r| r.node_id));
        t.i32s(a.iter().map(|r| r.position));
        t.opt_strs(a.iter().map(|r| r.keyword));
        t.opt_strs(a.iter().map(|r| r.star));
        t.strs(a.iter().map(|r| r.text));
        t.i64s(a.iter().map(|r| r.span.0));
        t.i64s(a.iter().map(|r| r.span.1));
        t.strs(a.iter().map(|_| RUFF));
        t.end()?;
        let m = &self.imports;
        let t = chunk.buf(Table::Imports);
        t.i64s(m.iter().map(|r| r.import_id));
        t.repeat_i64(file_id, m.len());
        t.opt_i64s(m.iter().map(|r| r.node_id));
        t.opt_i64s(m.iter().map(|r| r.stmt_node_id));
        t.strs(m.iter().map(|r| r.kind));
        t.opt_strs(m.iter().map(|r| r.module));
        t.i32s(m.iter().map(|r| r.level));
        t.opt_strs(m.iter().map(|r| r.name));
        t.opt_strs(m.iter().map(|r| r.asname));
        t.opt_strs(m.iter().map(|r| r.bound_name));
        t.bools(m.iter().map(|r| r.is_star));
        t.opt_strs(m.iter().map(|r| r.absolute_module.as_deref()));
        t.opt_i64s(m.iter().map(|r| r.scope_id));
        t.i64s(m.iter().map(|r| r.span.0));
        t.i64s(m.iter().map(|r| r.span.1));
        t.i64s(m.iter().map(|r| r.alias_span.0));
        t.i64s(m.iter().map(|r| r.alias_span.1));
        t.strs(m.iter().map(|r| r.source));
        t.end()?;
        let dc = &self.decorators;
        let t = chunk.buf(Table::Decorators);
        t.i64s(
            dc.iter()
                .map(|r| row_id("decorator", r.def_id, "", r.span, r.position as i64)),
        );
        t.repeat_i64(file_id, dc.len());
        t.i64s(dc.iter().map(|r| r.def_id));
        t.opt_i64s(dc.iter().map(|r| r.node_id));
        t.i32s(dc.iter().map(|r| r.position));
        t.strs(dc.iter().map(|r| r.text));
        t.opt_strs(dc.iter().map(|r| r.dotted.as_deref()));
        t.i64s(dc.iter().map(|r| r.span.0));
        t.i64s(dc.iter().map(|r| r.span.1));
        t.strs(dc.iter().map(|_| RUFF));
        t.end()?;
        let ds = &self.docstrings;
        let t = chunk.buf(Table::Docstrings);
        t.i64s(
            ds.iter()
                .map(|r| row_id("docstring", file_id, r.owner_kind, r.span, 0)),
        );
        t.repeat_i64(file_id, ds.len());
        t.strs(ds.iter().map(|r| r.owner_kind));
        t.opt_i64s(ds.iter().map(|r| r.def_id));
        t.opt_i64s(ds.iter().map(|r| r.owner_node_id));
        t.opt_i64s(ds.iter().map(|r| r.node_id));
        t.strs(ds.iter().map(|r| r.text));
        t.i64s(ds.iter().map(|r| r.span.0));
        t.i64s(ds.iter().map(|r| r.span.1));
        t.strs(ds.iter().map(|_| RUFF));
        t.end()?;
        let an = &self.annotations;
        let t = chunk.buf(Table::Annotations);
        t.i64s(
            an.iter()
                .map(|r| row_id("annotation", file_id, r.role, r.span, 0)),
        );
        t.repeat_i64(file_id, an.len());
        t.opt_i64s(an.iter().map(|r| r.node_id));
        t.strs(an.iter().map(|r| r.role));
        t.opt_i64s(an.iter().map(|r| r.def_id));
        t.opt_i64s(an.iter().map(|r| r.owner_node_id));
        t.opt_strs(an.iter().map(|r| r.target));
        t.strs(an.iter().map(|r| r.text));
        t.i64s(an.iter().map(|r| r.span.0));
        t.i64s(an.iter().map(|r| r.span.1));
        t.strs(an.iter().map(|_| RUFF));
        t.end()?;
        let cm = &self.comments;
        let t = chunk.buf(Table::Comments);
        t.i64s(cm.iter().map(|r| row_id("comment", file_id, "", r.span, 0)));
        t.repeat_i64(file_id, cm.len());
        t.strs(cm.iter().map(|r| r.text));
        t.i64s(cm.iter().map(|r| r.span.0));
        t.i64s(cm.iter().map(|r| r.span.1));
        t.opt_i64s(cm.iter().map(|r| r.owner_node_id));
        t.bools(cm.iter().map(|r| r.standalone));
        t.opt_strs(cm.iter().map(|r| r.directive));
        t.strs(cm.iter().map(|_| RUFF));
        t.end()?;
        Ok(())
    }
}

/// Appends the `tokens` rows of one file.
pub fn tokens_rows(
    t: &mut TableBuf,
    file_id: i64,
    base: u32,
    text: &str,
    tokens: &Tokens,
) -> Result<(), ArrowError> {
    let tiles = token_tiles(text, tokens);
    let b = base as i64;
    t.repeat_i64(file_id, tiles.len())
        .i32s(0..tiles.len() as i32)
        .strs(tiles.iter().map(|t| t.0.as_str()))
        .i64s(tiles.iter().map(|t| b + t.1 as i64))
        .i64s(tiles.iter().map(|t| b + t.2 as i64))
        .strs(
            tiles
                .iter()
                .map(|t| text.get(t.1 as usize..t.2 as usize).unwrap_or("")),
        );
    t.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_imports_are_made_absolute_like_importlib() {
        let pkg = package_of(Some("shop.models.user"), false);
        assert_eq!(pkg, Some("shop.models"));
        assert_eq!(
            absolute_module(pkg, 1, Some("base")).as_deref(),
            Some("shop.models.base")
        );
        assert_eq!(absolute_module(pkg, 2, None).as_deref(), Some("shop"));
        assert_eq!(
            absolute_module(pkg, 2, Some("util")).as_deref(),
            Some("shop.util")
        );
        assert_eq!(
            absolute_module(pkg, 3, Some("x")),
            None,
            "beyond the top-level package"
        );
        let init = package_of(Some("shop"), true);
        assert_eq!(
            absolute_module(init, 1, Some("models")).as_deref(),
            Some("shop.models")
        );
        let top = package_of(Some("script"), false);
        assert_eq!(absolute_module(top, 1, Some("x")), None, "no package");
        assert_eq!(absolute_module(None, 1, Some("x")), None, "not importable");
        assert_eq!(
            absolute_module(pkg, 0, Some("os.path")).as_deref(),
            Some("os.path")
        );
    }

    #[test]
    fn directives() {
        assert_eq!(
            directive("# type: ignore[attr-defined]"),
            Some("type: ignore")
        );
        assert_eq!(directive("# type: List[int]"), Some("type"));
        assert_eq!(directive("# noqa: E501"), Some("noqa"));
        assert_eq!(directive("#NOQA"), Some("noqa"));
        assert_eq!(directive("# pragma: no cover"), Some("pragma"));
        assert_eq!(directive("# long line  # noqa"), Some("noqa"));
        assert_eq!(directive("# pylint: disable=W0611"), Some("pylint"));
        assert_eq!(directive("# fmt: off"), Some("fmt"));
        assert_eq!(directive("# just a note about types"), None);
    }
}
