//! AST rows shaped like CPython's `ast` module, from ruff's syntax tree.
//!
//! Kinds are CPython's class names and each node sits in the CPython field that holds it, so a
//! user's knowledge of `ast` carries over. Ruff's tree differs from CPython's in places; this is
//! the mapping (each point is covered by tests and by the conformance test against CPython):
//!
//! | ruff | CPython / codelake |
//! |---|---|
//! | `StmtFunctionDef { is_async }`, `StmtFor`, `StmtWith` | `AsyncFunctionDef`, `AsyncFor`, `AsyncWith` when async |
//! | `StmtTry { is_star }` | `TryStar` |
//! | def/class range starts at the first decorator | span starts at `def`/`async`/`class`, as in CPython 3.8+ |
//! | `Decorator` wrapper | none: the expression sits in `decorator_list` |
//! | `StmtIf { elif_else_clauses }` | nested `If` in `orelse`; an `elif` `If` spans from `elif` to the end of the chain; `else` statements go straight into `orelse` |
//! | `ExprStringLiteral`/`Bytes`/`Number`/`Boolean`/`None`/`Ellipsis` | `Constant`, `value` = CPython `repr()` |
//! | `ExprFString` | `JoinedStr` of `Constant` and `FormattedValue` (see below) |
//! | `Parameters`, `Parameter`, `ParameterWithDefault` | `arguments`, `arg`; defaults in `defaults` / `kw_defaults` |
//! | `Arguments` of a call or class | none: `args` and `keywords` of the `Call`/`ClassDef` |
//! | `ExprGenerator` as the sole call argument | `GeneratorExp` spanning the call's parentheses, as in CPython |
//! | `PatternMatchClass { arguments }` | `MatchClass` with `patterns`, `kwd_patterns`; `kwd_attrs` in `name` (comma-separated) |
//! | `ExprNamed`, `ExprIf`, `ExprGenerator` | `NamedExpr`, `IfExp`, `GeneratorExp` |
//!
//! Within f-strings CPython 3.11 merges adjacent literal pieces into one `Constant` and gives
//! `Constant`/`FormattedValue` children the span of the whole `JoinedStr`; codelake keeps one
//! `Constant` per literal piece with its own precise span (CPython 3.12 does the same).
//!
//! Nodes CPython has no position for (`arguments`, `withitem`, `match_case`, `comprehension`)
//! still get ruff's span. `Module` spans the whole text. Children are emitted in source order,
//! so `ordinal` (pre-order) grows with `bstart` and `IfExp`'s `body` comes before its `test`.
//!
//! Attributes beyond `name`/`ctx`/`op`/`value` of CPython are folded in as follows: `alias`
//! keeps `asname` in `value`; `ImportFrom` keeps `module` in `name` and `level` in `value`;
//! `Global`/`Nonlocal` keep their names comma-separated in `name`; `FormattedValue` keeps its
//! conversion (`r`, `s`, `a`) in `value`; `MatchSingleton` keeps `None`/`True`/`False` in `value`.

use std::borrow::Cow;

use codelake_schema::ids::ast_node_id;
use codelake_schema::span::LineIndex;
use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::{
    self as ast, ArgOrKeyword, BoolOp, CmpOp, ElifElseClause, ExceptHandler, Expr, ExprContext,
    InterpolatedStringElement, Number, Operator, Parameters, Pattern, Stmt, TypeParam, UnaryOp,
};
use ruff_python_ast::{HasNodeIndex, NodeIndex};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::pyrepr;
use crate::tables::AstRows;

/// Nodes nested deeper than this are not emitted; the file gets a `too_deep` error row.
pub const MAX_DEPTH: i32 = 2_000;

/// Where a node sits: its parent, depth and the parent's field.
#[derive(Clone, Copy)]
struct At {
    parent: Option<i64>,
    /// The ordinal of the parent row (meaningful when `parent` is set).
    parent_ordinal: u32,
    depth: i32,
    field: Option<&'static str>,
    index: Option<i32>,
}

impl At {
    fn f(self, field: &'static str) -> At {
        At {
            field: Some(field),
            index: None,
            ..self
        }
    }
    fn i(self, field: &'static str, index: usize) -> At {
        At {
            field: Some(field),
            index: Some(index as i32),
            ..self
        }
    }
}

#[derive(Default)]
struct Attrs<'s> {
    name: Option<Cow<'s, str>>,
    ctx: Option<&'static str>,
    op: Option<Cow<'static, str>>,
    value: Option<String>,
}

impl<'s> Attrs<'s> {
    fn name(name: &'s str) -> Self {
        Attrs {
            name: Some(Cow::Borrowed(name)),
            ..Default::default()
        }
    }
}

/// Emits the AST rows of one file.
pub struct AstEmitter<'a> {
    file_id: i64,
    base: u32,
    index: &'a LineIndex,
    tokens: &'a Tokens,
    rows: &'a mut AstRows,
    ordinal: i32,
    /// The line of the last node's start: where the next search for a line begins.
    line_hint: usize,
    /// Where the first node deeper than [`MAX_DEPTH`] was, if any.
    pub too_deep: Option<(u32, u32)>,
}

/// About how many AST nodes a file of `tokens` tokens has: one per two tokens, and a little
/// more (as measured on real code). Sizes the row buffers and the id map up front.
pub fn expected_nodes(tokens: usize) -> usize {
    tokens / 2 + 16
}

/// The key of a ruff node in maps the later passes keep by node (its address, stable while the
/// parsed tree lives).
pub fn node_key<T>(node: &T) -> usize {
    std::ptr::from_ref(node) as usize
}

/// The AST node ids of one file, looked up by ruff node.
///
/// The emitter stamps every ruff node it writes a row for with the row's ordinal, in the node's
/// own `node_index` (which the parser leaves unset); the ordinal indexes the file's ids. A node
/// without a row (deeper than [`MAX_DEPTH`]) has no id. No map from nodes to ids is built.
pub struct NodeIds {
    ids: Vec<i64>,
}

impl NodeIds {
    /// The ids of a file's rows, in pre-order (index = ordinal).
    pub fn new(ids: Vec<i64>) -> Self {
        Self { ids }
    }

    /// The id of the row written for `node`, if one was.
    #[inline]
    pub fn get<T: HasNodeIndex>(&self, node: &T) -> Option<i64> {
        let ordinal = node.node_index().load().as_u32()?;
        self.ids.get(ordinal as usize).copied()
    }

    /// The ordinal (row within the file) of the row written for `node`, if one was.
    #[inline]
    pub fn ordinal<T: HasNodeIndex>(&self, node: &T) -> Option<u32> {
        let ordinal = node.node_index().load().as_u32()?;
        ((ordinal as usize) < self.ids.len()).then_some(ordinal)
    }
}

/// Parses a test source and emits its rows: the tree (stamped) and its node ids.
#[cfg(test)]
pub(crate) fn parse_for_test(
    src: &str,
) -> (
    ruff_python_parser::Parsed<ruff_python_ast::ModModule>,
    NodeIds,
) {
    let parsed = ruff_python_parser::parse_module(src).expect("valid test source");
    let index = LineIndex::new(src, 0);
    let mut rows = AstRows::default();
    AstEmitter::new(1, 0, &index, parsed.tokens(), &mut rows)
        .module(parsed.syntax(), src.len() as u32);
    let ids = NodeIds::new(rows.spans_from(0).0.to_vec());
    (parsed, ids)
}

/// Stamps a ruff node with the ordinal of its row (see [`NodeIds`]).
#[inline]
fn note<T: HasNodeIndex>(node: &T, ordinal: u32) {
    node.node_index().set(NodeIndex::from(ordinal));
}

fn ctx_name(ctx: ExprContext) -> &'static str {
    match ctx {
        ExprContext::Load => "Load",
        ExprContext::Store => "Store",
        ExprContext::Del => "Del",
        ExprContext::Invalid => "Invalid",
    }
}

fn operator_name(op: Operator) -> &'static str {
    match op {
        Operator::Add => "Add",
        Operator::Sub => "Sub",
        Operator::Mult => "Mult",
        Operator::MatMult => "MatMult",
        Operator::Div => "Div",
        Operator::Mod => "Mod",
        Operator::Pow => "Pow",
        Operator::LShift => "LShift",
        Operator::RShift => "RShift",
        Operator::BitOr => "BitOr",
        Operator::BitXor => "BitXor",
        Operator::BitAnd => "BitAnd",
        Operator::FloorDiv => "FloorDiv",
    }
}

fn cmpop_name(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "Eq",
        CmpOp::NotEq => "NotEq",
        CmpOp::Lt => "Lt",
        CmpOp::LtE => "LtE",
        CmpOp::Gt => "Gt",
        CmpOp::GtE => "GtE",
        CmpOp::Is => "Is",
        CmpOp::IsNot => "IsNot",
        CmpOp::In => "In",
        CmpOp::NotIn => "NotIn",
    }
}

impl<'a> AstEmitter<'a> {
    pub fn new(
        file_id: i64,
        base: u32,
        index: &'a LineIndex,
        tokens: &'a Tokens,
        rows: &'a mut AstRows,
    ) -> Self {
        Self {
            file_id,
            base,
            index,
            tokens,
            rows,
            ordinal: 0,
            line_hint: 0,
            too_deep: None,
        }
    }

    /// Emits the module and everything below it.
    pub fn module(&mut self, module: &ast::ModModule, text_len: u32) {
        let at = At {
            parent: None,
            parent_ordinal: 0,
            depth: 0,
            field: None,
            index: None,
        };
        let range = TextRange::new(TextSize::new(0), TextSize::new(text_len));
        if let Some(c) = self.push(at, "Module", range, Attrs::default()) {
            self.remember(module, c);
            self.body(&module.body, c, "body");
        }
    }

    /// Stamps `node` with the ordinal of the row `at` is the context of (see [`NodeIds`]).
    fn remember<T: HasNodeIndex>(&mut self, node: &T, at: At) {
        if at.parent.is_some() {
            note(node, at.parent_ordinal);
        }
    }

    /// Appends a row; returns the context for its children, or `None` when too deep.
    fn push(&mut self, at: At, kind: &'static str, range: TextRange, attrs: Attrs) -> Option<At> {
        let bstart = self.base + range.start().to_u32();
        let bend = self.base + range.end().to_u32();
        if at.depth > MAX_DEPTH {
            self.too_deep.get_or_insert((bstart, bend));
            return None;
        }
        let ordinal = self.ordinal;
        self.ordinal += 1;
        let id = ast_node_id(
            self.file_id,
            kind,
            bstart as i64,
            bend as i64,
            ordinal as i64,
        );
        let (line, start) = self.index.line_col_near(bstart, self.line_hint);
        let (_, end) = self.index.line_col_near(bend, line);
        self.line_hint = line;
        self.rows.push(crate::tables::AstRow {
            node_id: id,
            file_id: self.file_id,
            parent_id: at.parent,
            field: at.field,
            field_index: at.index,
            ordinal,
            depth: at.depth,
            kind,
            bstart,
            bend,
            start,
            end,
            name: attrs.name.as_deref(),
            ctx: attrs.ctx,
            op: attrs.op.as_deref(),
            value: attrs.value.as_deref(),
        });
        Some(At {
            parent: Some(id),
            parent_ordinal: ordinal as u32,
            depth: at.depth + 1,
            field: None,
            index: None,
        })
    }

    fn body(&mut self, stmts: &[Stmt], at: At, field: &'static str) {
        for (i, s) in stmts.iter().enumerate() {
            self.stmt(s, at.i(field, i));
        }
    }

    fn exprs(&mut self, exprs: &[Expr], at: At, field: &'static str) {
        for (i, e) in exprs.iter().enumerate() {
            self.expr(e, at.i(field, i));
        }
    }

    fn opt_expr(&mut self, e: Option<&Expr>, at: At, field: &'static str) {
        if let Some(e) = e {
            self.expr(e, at.f(field));
        }
    }

    /// The start of the `def`/`async`/`class` keyword of a decorated definition: CPython's
    /// position, where ruff's range starts at the first decorator.
    fn def_start(&self, decorators: &[ast::Decorator], range: TextRange) -> TextSize {
        let Some(last) = decorators.last() else {
            return range.start();
        };
        let from = last.end();
        let tokens: &[ruff_python_ast::token::Token] = self.tokens;
        let first = tokens.partition_point(|t| t.start() < from);
        tokens[first..]
            .iter()
            .take_while(|t| t.start() < range.end())
            .find(|t| {
                matches!(
                    t.kind(),
                    TokenKind::Def | TokenKind::Class | TokenKind::Async
                )
            })
            .map_or(range.start(), |t| t.start())
    }

    /// The end of a compound statement: CPython ends it at the last non-whitespace token of its
    /// block, which includes a `;` after the block's last simple statement (`if x: y;`).
    fn compound(&self, start: TextSize, end: TextSize) -> TextRange {
        let tokens: &[ruff_python_ast::token::Token] = self.tokens;
        let next = tokens.partition_point(|t| t.start() < end);
        let end = match tokens.get(next) {
            Some(t) if t.kind() == TokenKind::Semi => t.end(),
            _ => end,
        };
        TextRange::new(start, end)
    }

    /// Emits a statement and remembers its id under the address of the `Stmt`.
    fn stmt(&mut self, s: &Stmt, at: At) {
        let ordinal = self.ordinal;
        self.stmt_node(s, at);
        if self.ordinal > ordinal {
            note(s, ordinal as u32);
        }
    }

    fn stmt_node(&mut self, s: &Stmt, at: At) {
        match s {
            Stmt::FunctionDef(f) => {
                let kind = if f.is_async {
                    "AsyncFunctionDef"
                } else {
                    "FunctionDef"
                };
                let range =
                    self.compound(self.def_start(&f.decorator_list, f.range), f.range.end());
                let Some(c) = self.push(at, kind, range, Attrs::name(f.name.as_str())) else {
                    return;
                };
                self.remember(f, c);
                for (i, d) in f.decorator_list.iter().enumerate() {
                    self.expr(&d.expression, c.i("decorator_list", i));
                }
                if let Some(tp) = &f.type_params {
                    self.type_params(&tp.type_params, c);
                }
                self.parameters(&f.parameters, c.f("args"));
                self.opt_expr(f.returns.as_deref(), c, "returns");
                self.body(&f.body, c, "body");
            }
            Stmt::ClassDef(cd) => {
                let range =
                    self.compound(self.def_start(&cd.decorator_list, cd.range), cd.range.end());
                let Some(c) = self.push(at, "ClassDef", range, Attrs::name(cd.name.as_str()))
                else {
                    return;
                };
                self.remember(cd, c);
                for (i, d) in cd.decorator_list.iter().enumerate() {
                    self.expr(&d.expression, c.i("decorator_list", i));
                }
                if let Some(tp) = &cd.type_params {
                    self.type_params(&tp.type_params, c);
                }
                if let Some(args) = &cd.arguments {
                    self.arguments(args, c, "bases");
                }
                self.body(&cd.body, c, "body");
            }
            Stmt::Return(r) => {
                let Some(c) = self.push(at, "Return", r.range, Attrs::default()) else {
                    return;
                };
                self.opt_expr(r.value.as_deref(), c, "value");
            }
            Stmt::Delete(d) => {
                let Some(c) = self.push(at, "Delete", d.range, Attrs::default()) else {
                    return;
                };
                self.exprs(&d.targets, c, "targets");
            }
            Stmt::TypeAlias(t) => {
                let Some(c) = self.push(at, "TypeAlias", t.range, Attrs::default()) else {
                    return;
                };
                self.remember(t, c);
                self.expr(&t.name, c.f("name"));
                if let Some(tp) = &t.type_params {
                    self.type_params(&tp.type_params, c);
                }
                self.expr(&t.value, c.f("value"));
            }
            Stmt::Assign(a) => {
                let Some(c) = self.push(at, "Assign", a.range, Attrs::default()) else {
                    return;
                };
                self.exprs(&a.targets, c, "targets");
                self.expr(&a.value, c.f("value"));
            }
            Stmt::AugAssign(a) => {
                let attrs = Attrs {
                    op: Some(operator_name(a.op).into()),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "AugAssign", a.range, attrs) else {
                    return;
                };
                self.expr(&a.target, c.f("target"));
                self.expr(&a.value, c.f("value"));
            }
            Stmt::AnnAssign(a) => {
                let attrs = Attrs {
                    value: Some(u8::from(a.simple).to_string()),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "AnnAssign", a.range, attrs) else {
                    return;
                };
                self.remember(a, c);
                self.expr(&a.target, c.f("target"));
                self.expr(&a.annotation, c.f("annotation"));
                self.opt_expr(a.value.as_deref(), c, "value");
            }
            Stmt::For(f) => {
                let kind = if f.is_async { "AsyncFor" } else { "For" };
                let Some(c) = self.push(
                    at,
                    kind,
                    self.compound(f.range.start(), f.range.end()),
                    Attrs::default(),
                ) else {
                    return;
                };
                self.expr(&f.target, c.f("target"));
                self.expr(&f.iter, c.f("iter"));
                self.body(&f.body, c, "body");
                self.body(&f.orelse, c, "orelse");
            }
            Stmt::While(w) => {
                let Some(c) = self.push(
                    at,
                    "While",
                    self.compound(w.range.start(), w.range.end()),
                    Attrs::default(),
                ) else {
                    return;
                };
                self.expr(&w.test, c.f("test"));
                self.body(&w.body, c, "body");
                self.body(&w.orelse, c, "orelse");
            }
            Stmt::If(i) => {
                let Some(c) = self.push(
                    at,
                    "If",
                    self.compound(i.range.start(), i.range.end()),
                    Attrs::default(),
                ) else {
                    return;
                };
                self.expr(&i.test, c.f("test"));
                self.body(&i.body, c, "body");
                let end = self.compound(i.range.start(), i.range.end()).end();
                self.elif_chain(&i.elif_else_clauses, c, end);
            }
            Stmt::With(w) => {
                let kind = if w.is_async { "AsyncWith" } else { "With" };
                let Some(c) = self.push(
                    at,
                    kind,
                    self.compound(w.range.start(), w.range.end()),
                    Attrs::default(),
                ) else {
                    return;
                };
                for (n, item) in w.items.iter().enumerate() {
                    let Some(ic) =
                        self.push(c.i("items", n), "withitem", item.range, Attrs::default())
                    else {
                        continue;
                    };
                    self.remember(item, ic);
                    self.expr(&item.context_expr, ic.f("context_expr"));
                    self.opt_expr(item.optional_vars.as_deref(), ic, "optional_vars");
                }
                self.body(&w.body, c, "body");
            }
            Stmt::Match(m) => {
                let Some(c) = self.push(
                    at,
                    "Match",
                    self.compound(m.range.start(), m.range.end()),
                    Attrs::default(),
                ) else {
                    return;
                };
                self.expr(&m.subject, c.f("subject"));
                for (n, case) in m.cases.iter().enumerate() {
                    let Some(cc) =
                        self.push(c.i("cases", n), "match_case", case.range, Attrs::default())
                    else {
                        continue;
                    };
                    self.remember(case, cc);
                    self.pattern(&case.pattern, cc.f("pattern"));
                    self.opt_expr(case.guard.as_deref(), cc, "guard");
                    self.body(&case.body, cc, "body");
                }
            }
            Stmt::Raise(r) => {
                let Some(c) = self.push(at, "Raise", r.range, Attrs::default()) else {
                    return;
                };
                self.opt_expr(r.exc.as_deref(), c, "exc");
                self.opt_expr(r.cause.as_deref(), c, "cause");
            }
            Stmt::Try(t) => {
                let kind = if t.is_star { "TryStar" } else { "Try" };
                let Some(c) = self.push(
                    at,
                    kind,
                    self.compound(t.range.start(), t.range.end()),
                    Attrs::default(),
                ) else {
                    return;
                };
                self.body(&t.body, c, "body");
                for (n, h) in t.handlers.iter().enumerate() {
                    let ExceptHandler::ExceptHandler(h) = h;
                    let attrs = Attrs {
                        name: h.name.as_ref().map(|n| Cow::Borrowed(n.as_str())),
                        ..Default::default()
                    };
                    let Some(hc) = self.push(
                        c.i("handlers", n),
                        "ExceptHandler",
                        self.compound(h.range.start(), h.range.end()),
                        attrs,
                    ) else {
                        continue;
                    };
                    self.remember(h, hc);
                    self.opt_expr(h.type_.as_deref(), hc, "type");
                    self.body(&h.body, hc, "body");
                }
                self.body(&t.orelse, c, "orelse");
                self.body(&t.finalbody, c, "finalbody");
            }
            Stmt::Assert(a) => {
                let Some(c) = self.push(at, "Assert", a.range, Attrs::default()) else {
                    return;
                };
                self.expr(&a.test, c.f("test"));
                self.opt_expr(a.msg.as_deref(), c, "msg");
            }
            Stmt::Import(i) => {
                let Some(c) = self.push(at, "Import", i.range, Attrs::default()) else {
                    return;
                };
                self.remember(i, c);
                self.aliases(&i.names, c);
            }
            Stmt::ImportFrom(i) => {
                let attrs = Attrs {
                    name: i.module.as_ref().map(|m| Cow::Borrowed(m.as_str())),
                    value: Some(i.level.to_string()),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "ImportFrom", i.range, attrs) else {
                    return;
                };
                self.remember(i, c);
                self.aliases(&i.names, c);
            }
            Stmt::Global(g) => {
                let names = g
                    .names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(",");
                if let Some(c) = self.push(
                    at,
                    "Global",
                    g.range,
                    Attrs {
                        name: Some(names.into()),
                        ..Default::default()
                    },
                ) {
                    self.remember(g, c);
                }
            }
            Stmt::Nonlocal(g) => {
                let names = g
                    .names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(",");
                if let Some(c) = self.push(
                    at,
                    "Nonlocal",
                    g.range,
                    Attrs {
                        name: Some(names.into()),
                        ..Default::default()
                    },
                ) {
                    self.remember(g, c);
                }
            }
            Stmt::Expr(e) => {
                let Some(c) = self.push(at, "Expr", e.range, Attrs::default()) else {
                    return;
                };
                self.expr(&e.value, c.f("value"));
            }
            Stmt::Pass(p) => {
                self.push(at, "Pass", p.range, Attrs::default());
            }
            Stmt::Break(b) => {
                self.push(at, "Break", b.range, Attrs::default());
            }
            Stmt::Continue(b) => {
                self.push(at, "Continue", b.range, Attrs::default());
            }
            Stmt::IpyEscapeCommand(e) => {
                self.push(at, "IpyEscapeCommand", e.range, Attrs::default());
            }
        }
    }

    /// `elif`/`else` clauses as CPython nests them: each `elif` is an `If` in the previous
    /// `If`'s `orelse`, spanning to the end of the whole statement; `else` statements are the
    /// `orelse` of the last `If`.
    fn elif_chain(&mut self, clauses: &[ElifElseClause], at: At, end: TextSize) {
        let Some((first, rest)) = clauses.split_first() else {
            return;
        };
        match &first.test {
            Some(test) => {
                let range = TextRange::new(first.range.start(), end);
                let Some(c) = self.push(at.i("orelse", 0), "If", range, Attrs::default()) else {
                    return;
                };
                self.remember(first, c);
                self.expr(test, c.f("test"));
                self.body(&first.body, c, "body");
                self.elif_chain(rest, c, end);
            }
            None => self.body(&first.body, at, "orelse"),
        }
    }

    fn aliases(&mut self, names: &[ast::Alias], at: At) {
        for (n, a) in names.iter().enumerate() {
            let attrs = Attrs {
                name: Some(Cow::Borrowed(a.name.as_str())),
                value: a.asname.as_ref().map(|s| s.as_str().to_string()),
                ..Default::default()
            };
            if let Some(c) = self.push(at.i("names", n), "alias", a.range, attrs) {
                self.remember(a, c);
            }
        }
    }

    fn type_params(&mut self, params: &[TypeParam], at: At) {
        for (n, tp) in params.iter().enumerate() {
            let at = at.i("type_params", n);
            match tp {
                TypeParam::TypeVar(t) => {
                    let Some(c) = self.push(at, "TypeVar", t.range, Attrs::name(t.name.as_str()))
                    else {
                        continue;
                    };
                    self.remember(t, c);
                    self.opt_expr(t.bound.as_deref(), c, "bound");
                    self.opt_expr(t.default.as_deref(), c, "default_value");
                }
                TypeParam::TypeVarTuple(t) => {
                    let Some(c) =
                        self.push(at, "TypeVarTuple", t.range, Attrs::name(t.name.as_str()))
                    else {
                        continue;
                    };
                    self.remember(t, c);
                    self.opt_expr(t.default.as_deref(), c, "default_value");
                }
                TypeParam::ParamSpec(t) => {
                    let Some(c) = self.push(at, "ParamSpec", t.range, Attrs::name(t.name.as_str()))
                    else {
                        continue;
                    };
                    self.remember(t, c);
                    self.opt_expr(t.default.as_deref(), c, "default_value");
                }
            }
        }
    }

    fn parameters(&mut self, p: &Parameters, at: At) {
        let Some(c) = self.push(at, "arguments", p.range, Attrs::default()) else {
            return;
        };
        let mut defaults = 0usize;
        for (n, pd) in p.posonlyargs.iter().enumerate() {
            self.arg(&pd.parameter, c.i("posonlyargs", n));
            if let Some(d) = &pd.default {
                self.expr(d, c.i("defaults", defaults));
                defaults += 1;
            }
        }
        for (n, pd) in p.args.iter().enumerate() {
            self.arg(&pd.parameter, c.i("args", n));
            if let Some(d) = &pd.default {
                self.expr(d, c.i("defaults", defaults));
                defaults += 1;
            }
        }
        if let Some(v) = &p.vararg {
            self.star_arg(v, c.f("vararg"));
        }
        for (n, pd) in p.kwonlyargs.iter().enumerate() {
            self.arg(&pd.parameter, c.i("kwonlyargs", n));
            if let Some(d) = &pd.default {
                self.expr(d, c.i("kw_defaults", n));
            }
        }
        if let Some(k) = &p.kwarg {
            self.star_arg(k, c.f("kwarg"));
        }
    }

    /// `*args` / `**kwargs`: ruff's range includes the stars, CPython's `arg` starts at the name.
    fn star_arg(&mut self, p: &ast::Parameter, at: At) {
        let range = TextRange::new(p.name.range.start(), p.range.end());
        let Some(c) = self.push(at, "arg", range, Attrs::name(p.name.as_str())) else {
            return;
        };
        self.remember(p, c);
        self.opt_expr(p.annotation.as_deref(), c, "annotation");
    }

    fn arg(&mut self, p: &ast::Parameter, at: At) {
        let Some(c) = self.push(at, "arg", p.range, Attrs::name(p.name.as_str())) else {
            return;
        };
        self.remember(p, c);
        self.opt_expr(p.annotation.as_deref(), c, "annotation");
    }

    /// Positional arguments and keywords of a call or class, in source order; `args_field` is
    /// `args` for a call and `bases` for a class.
    fn arguments(&mut self, args: &ast::Arguments, at: At, args_field: &'static str) {
        let sole_generator = args.len() == 1 && args.keywords.is_empty();
        let (mut a, mut k) = (0usize, 0usize);
        for item in args.iter_source_order() {
            match item {
                ArgOrKeyword::Arg(e) => {
                    match e {
                        // `f(x for x in y)`: CPython's GeneratorExp spans the call's parentheses.
                        Expr::Generator(g) if sole_generator && !g.parenthesized => {
                            let ordinal = self.ordinal;
                            self.generator(g, args.range, at.i(args_field, a));
                            if self.ordinal > ordinal {
                                note(e, ordinal as u32);
                            }
                        }
                        _ => self.expr(e, at.i(args_field, a)),
                    }
                    a += 1;
                }
                ArgOrKeyword::Keyword(kw) => {
                    let attrs = Attrs {
                        name: kw.arg.as_ref().map(|n| Cow::Borrowed(n.as_str())),
                        ..Default::default()
                    };
                    if let Some(c) = self.push(at.i("keywords", k), "keyword", kw.range, attrs) {
                        self.expr(&kw.value, c.f("value"));
                    }
                    k += 1;
                }
            }
        }
    }

    fn generator(&mut self, g: &ast::ExprGenerator, range: TextRange, at: At) {
        let Some(c) = self.push(at, "GeneratorExp", range, Attrs::default()) else {
            return;
        };
        self.remember(g, c);
        self.expr(&g.elt, c.f("elt"));
        self.comprehensions(&g.generators, c);
    }

    fn comprehensions(&mut self, gens: &[ast::Comprehension], at: At) {
        for (n, g) in gens.iter().enumerate() {
            let attrs = Attrs {
                value: Some(u8::from(g.is_async).to_string()),
                ..Default::default()
            };
            let Some(c) = self.push(at.i("generators", n), "comprehension", g.range, attrs) else {
                continue;
            };
            self.remember(g, c);
            self.expr(&g.target, c.f("target"));
            self.expr(&g.iter, c.f("iter"));
            self.exprs(&g.ifs, c, "ifs");
        }
    }

    fn constant(&mut self, at: At, range: TextRange, value: String) {
        self.push(
            at,
            "Constant",
            range,
            Attrs {
                value: Some(value),
                ..Default::default()
            },
        );
    }

    /// Emits an expression and remembers its id under the address of the `Expr` (every
    /// expression can be looked up by the later per-file passes).
    fn expr(&mut self, e: &Expr, at: At) {
        let ordinal = self.ordinal;
        self.expr_node(e, at);
        if self.ordinal > ordinal {
            note(e, ordinal as u32);
        }
    }

    fn expr_node(&mut self, e: &Expr, at: At) {
        match e {
            Expr::BoolOp(b) => {
                let op = match b.op {
                    BoolOp::And => "And",
                    BoolOp::Or => "Or",
                };
                let attrs = Attrs {
                    op: Some(op.into()),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "BoolOp", b.range, attrs) else {
                    return;
                };
                self.exprs(&b.values, c, "values");
            }
            Expr::Named(n) => {
                let Some(c) = self.push(at, "NamedExpr", n.range, Attrs::default()) else {
                    return;
                };
                self.expr(&n.target, c.f("target"));
                self.expr(&n.value, c.f("value"));
            }
            Expr::BinOp(b) => {
                let attrs = Attrs {
                    op: Some(operator_name(b.op).into()),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "BinOp", b.range, attrs) else {
                    return;
                };
                self.expr(&b.left, c.f("left"));
                self.expr(&b.right, c.f("right"));
            }
            Expr::UnaryOp(u) => {
                let op = match u.op {
                    UnaryOp::Invert => "Invert",
                    UnaryOp::Not => "Not",
                    UnaryOp::UAdd => "UAdd",
                    UnaryOp::USub => "USub",
                };
                let attrs = Attrs {
                    op: Some(op.into()),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "UnaryOp", u.range, attrs) else {
                    return;
                };
                self.expr(&u.operand, c.f("operand"));
            }
            Expr::Lambda(l) => {
                let Some(c) = self.push(at, "Lambda", l.range, Attrs::default()) else {
                    return;
                };
                self.remember(l, c);
                if let Some(p) = &l.parameters {
                    self.parameters(p, c.f("args"));
                }
                self.expr(&l.body, c.f("body"));
            }
            Expr::If(i) => {
                let Some(c) = self.push(at, "IfExp", i.range, Attrs::default()) else {
                    return;
                };
                self.expr(&i.body, c.f("body"));
                self.expr(&i.test, c.f("test"));
                self.expr(&i.orelse, c.f("orelse"));
            }
            Expr::Dict(d) => {
                let Some(c) = self.push(at, "Dict", d.range, Attrs::default()) else {
                    return;
                };
                for (n, item) in d.items.iter().enumerate() {
                    if let Some(k) = &item.key {
                        self.expr(k, c.i("keys", n));
                    }
                    self.expr(&item.value, c.i("values", n));
                }
            }
            Expr::Set(s) => {
                let Some(c) = self.push(at, "Set", s.range, Attrs::default()) else {
                    return;
                };
                self.exprs(&s.elts, c, "elts");
            }
            Expr::ListComp(l) => {
                let Some(c) = self.push(at, "ListComp", l.range, Attrs::default()) else {
                    return;
                };
                self.remember(l, c);
                self.expr(&l.elt, c.f("elt"));
                self.comprehensions(&l.generators, c);
            }
            Expr::SetComp(l) => {
                let Some(c) = self.push(at, "SetComp", l.range, Attrs::default()) else {
                    return;
                };
                self.remember(l, c);
                self.expr(&l.elt, c.f("elt"));
                self.comprehensions(&l.generators, c);
            }
            Expr::DictComp(d) => {
                let Some(c) = self.push(at, "DictComp", d.range, Attrs::default()) else {
                    return;
                };
                self.remember(d, c);
                self.opt_expr(d.key.as_deref(), c, "key");
                self.expr(&d.value, c.f("value"));
                self.comprehensions(&d.generators, c);
            }
            Expr::Generator(g) => self.generator(g, g.range, at),
            Expr::Await(a) => {
                let Some(c) = self.push(at, "Await", a.range, Attrs::default()) else {
                    return;
                };
                self.expr(&a.value, c.f("value"));
            }
            Expr::Yield(y) => {
                let Some(c) = self.push(at, "Yield", y.range, Attrs::default()) else {
                    return;
                };
                self.opt_expr(y.value.as_deref(), c, "value");
            }
            Expr::YieldFrom(y) => {
                let Some(c) = self.push(at, "YieldFrom", y.range, Attrs::default()) else {
                    return;
                };
                self.expr(&y.value, c.f("value"));
            }
            Expr::Compare(cmp) => {
                let ops = cmp
                    .ops
                    .iter()
                    .map(|o| cmpop_name(*o))
                    .collect::<Vec<_>>()
                    .join(",");
                let attrs = Attrs {
                    op: Some(ops.into()),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "Compare", cmp.range, attrs) else {
                    return;
                };
                self.expr(&cmp.left, c.f("left"));
                self.exprs(&cmp.comparators, c, "comparators");
            }
            Expr::Call(call) => {
                let Some(c) = self.push(at, "Call", call.range(), Attrs::default()) else {
                    return;
                };
                self.expr(&call.func, c.f("func"));
                self.arguments(&call.arguments, c, "args");
            }
            Expr::FString(f) => {
                let Some(c) = self.push(at, "JoinedStr", f.range, Attrs::default()) else {
                    return;
                };
                let mut n = 0usize;
                for part in f.value.iter() {
                    match part {
                        ast::FStringPart::Literal(lit) => {
                            self.constant(
                                c.i("values", n),
                                lit.range,
                                pyrepr::str_repr(&lit.value),
                            );
                            n += 1;
                        }
                        ast::FStringPart::FString(fs) => {
                            self.interpolated(&fs.elements, c, &mut n);
                        }
                    }
                }
            }
            Expr::TString(t) => {
                let Some(c) = self.push(at, "TemplateStr", t.range, Attrs::default()) else {
                    return;
                };
                let mut n = 0usize;
                for ts in t.value.iter() {
                    self.interpolated(&ts.elements, c, &mut n);
                }
            }
            Expr::StringLiteral(s) => {
                self.constant(at, s.range, pyrepr::str_repr(s.value.to_str()))
            }
            Expr::BytesLiteral(b) => self.constant(
                at,
                b.range,
                pyrepr::bytes_repr(b.value.bytes().collect::<Vec<u8>>().into_iter()),
            ),
            Expr::NumberLiteral(n) => {
                let v = match &n.value {
                    Number::Int(i) => match i.as_u64() {
                        Some(v) => v.to_string(),
                        None => pyrepr::int_literal_repr(&i.to_string()),
                    },
                    Number::Float(f) => pyrepr::float_repr(*f),
                    Number::Complex { imag, .. } => pyrepr::imag_repr(*imag),
                };
                self.constant(at, n.range, v);
            }
            Expr::BooleanLiteral(b) => self.constant(
                at,
                b.range,
                if b.value { "True" } else { "False" }.to_string(),
            ),
            Expr::NoneLiteral(n) => self.constant(at, n.range, "None".to_string()),
            Expr::EllipsisLiteral(n) => self.constant(at, n.range, "Ellipsis".to_string()),
            Expr::Attribute(a) => {
                let attrs = Attrs {
                    name: Some(Cow::Borrowed(a.attr.as_str())),
                    ctx: Some(ctx_name(a.ctx)),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "Attribute", a.range, attrs) else {
                    return;
                };
                self.expr(&a.value, c.f("value"));
            }
            Expr::Subscript(s) => {
                let attrs = Attrs {
                    ctx: Some(ctx_name(s.ctx)),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "Subscript", s.range, attrs) else {
                    return;
                };
                self.expr(&s.value, c.f("value"));
                self.expr(&s.slice, c.f("slice"));
            }
            Expr::Starred(s) => {
                let attrs = Attrs {
                    ctx: Some(ctx_name(s.ctx)),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "Starred", s.range, attrs) else {
                    return;
                };
                self.expr(&s.value, c.f("value"));
            }
            Expr::Name(n) => {
                let attrs = Attrs {
                    name: Some(Cow::Borrowed(n.id.as_str())),
                    ctx: Some(ctx_name(n.ctx)),
                    ..Default::default()
                };
                if let Some(c) = self.push(at, "Name", n.range, attrs) {
                    self.remember(n, c);
                }
            }
            Expr::List(l) => {
                let attrs = Attrs {
                    ctx: Some(ctx_name(l.ctx)),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "List", l.range, attrs) else {
                    return;
                };
                self.exprs(&l.elts, c, "elts");
            }
            Expr::Tuple(t) => {
                let attrs = Attrs {
                    ctx: Some(ctx_name(t.ctx)),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "Tuple", t.range, attrs) else {
                    return;
                };
                self.exprs(&t.elts, c, "elts");
            }
            Expr::Slice(s) => {
                let Some(c) = self.push(at, "Slice", s.range, Attrs::default()) else {
                    return;
                };
                self.opt_expr(s.lower.as_deref(), c, "lower");
                self.opt_expr(s.upper.as_deref(), c, "upper");
                self.opt_expr(s.step.as_deref(), c, "step");
            }
            Expr::IpyEscapeCommand(e) => {
                self.push(at, "IpyEscapeCommand", e.range, Attrs::default());
            }
        }
    }

    /// The elements of an f-string (or a format spec) as `Constant` and `FormattedValue`
    /// children of `at`, numbered on from `n`.
    fn interpolated(&mut self, elements: &[InterpolatedStringElement], at: At, n: &mut usize) {
        for el in elements {
            match el {
                InterpolatedStringElement::Literal(lit) => {
                    self.constant(at.i("values", *n), lit.range, pyrepr::str_repr(&lit.value));
                }
                InterpolatedStringElement::Interpolation(i) => {
                    let conversion = match i.conversion {
                        ast::ConversionFlag::None => None,
                        ast::ConversionFlag::Str => Some("s".to_string()),
                        ast::ConversionFlag::Ascii => Some("a".to_string()),
                        ast::ConversionFlag::Repr => Some("r".to_string()),
                    };
                    let attrs = Attrs {
                        value: conversion,
                        ..Default::default()
                    };
                    if let Some(c) = self.push(at.i("values", *n), "FormattedValue", i.range, attrs)
                    {
                        self.expr(&i.expression, c.f("value"));
                        if let Some(spec) = &i.format_spec
                            && let Some(sc) = self.push(
                                c.f("format_spec"),
                                "JoinedStr",
                                spec.range,
                                Attrs::default(),
                            )
                        {
                            let mut m = 0usize;
                            self.interpolated(&spec.elements, sc, &mut m);
                        }
                    }
                }
            }
            *n += 1;
        }
    }

    /// Emits a pattern and stamps it with its row's ordinal (as `expr` does).
    fn pattern(&mut self, p: &Pattern, at: At) {
        let ordinal = self.ordinal;
        self.pattern_node(p, at);
        if self.ordinal > ordinal {
            note(p, ordinal as u32);
        }
    }

    fn pattern_node(&mut self, p: &Pattern, at: At) {
        match p {
            Pattern::MatchValue(v) => {
                let Some(c) = self.push(at, "MatchValue", v.range, Attrs::default()) else {
                    return;
                };
                self.expr(&v.value, c.f("value"));
            }
            Pattern::MatchSingleton(s) => {
                let v = match s.value {
                    ast::Singleton::None => "None",
                    ast::Singleton::True => "True",
                    ast::Singleton::False => "False",
                };
                self.push(
                    at,
                    "MatchSingleton",
                    s.range,
                    Attrs {
                        value: Some(v.to_string()),
                        ..Default::default()
                    },
                );
            }
            Pattern::MatchSequence(s) => {
                let Some(c) = self.push(at, "MatchSequence", s.range, Attrs::default()) else {
                    return;
                };
                for (n, p) in s.patterns.iter().enumerate() {
                    self.pattern(p, c.i("patterns", n));
                }
            }
            Pattern::MatchMapping(m) => {
                let attrs = Attrs {
                    name: m.rest.as_ref().map(|r| Cow::Borrowed(r.as_str())),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "MatchMapping", m.range, attrs) else {
                    return;
                };
                self.remember(m, c);
                for (n, (k, p)) in m.keys.iter().zip(m.patterns.iter()).enumerate() {
                    self.expr(k, c.i("keys", n));
                    self.pattern(p, c.i("patterns", n));
                }
            }
            Pattern::MatchClass(m) => {
                let kwd_attrs = m
                    .arguments
                    .keywords
                    .iter()
                    .map(|k| k.attr.as_str())
                    .collect::<Vec<_>>()
                    .join(",");
                let attrs = Attrs {
                    name: (!kwd_attrs.is_empty()).then(|| kwd_attrs.into()),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "MatchClass", m.range, attrs) else {
                    return;
                };
                self.expr(&m.cls, c.f("cls"));
                for (n, p) in m.arguments.patterns.iter().enumerate() {
                    self.pattern(p, c.i("patterns", n));
                }
                for (n, k) in m.arguments.keywords.iter().enumerate() {
                    self.pattern(&k.pattern, c.i("kwd_patterns", n));
                }
            }
            Pattern::MatchStar(s) => {
                let attrs = Attrs {
                    name: s.name.as_ref().map(|r| Cow::Borrowed(r.as_str())),
                    ..Default::default()
                };
                if let Some(c) = self.push(at, "MatchStar", s.range, attrs) {
                    self.remember(s, c);
                }
            }
            Pattern::MatchAs(a) => {
                let attrs = Attrs {
                    name: a.name.as_ref().map(|r| Cow::Borrowed(r.as_str())),
                    ..Default::default()
                };
                let Some(c) = self.push(at, "MatchAs", a.range, attrs) else {
                    return;
                };
                self.remember(a, c);
                if let Some(p) = &a.pattern {
                    self.pattern(p, c.f("pattern"));
                }
            }
            Pattern::MatchOr(o) => {
                let Some(c) = self.push(at, "MatchOr", o.range, Attrs::default()) else {
                    return;
                };
                for (n, p) in o.patterns.iter().enumerate() {
                    self.pattern(p, c.i("patterns", n));
                }
            }
        }
    }
}
