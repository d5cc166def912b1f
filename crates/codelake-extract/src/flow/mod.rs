//! Per-scope control flow and data flow of one file.
//!
//! [`build`] walks the ruff tree once per scope (module, class body, function, lambda,
//! comprehension) and builds its control-flow graph: an ENTRY, an EXIT and an EXCEPTION_EXIT
//! node, and a node for every statement and for every call, `yield`, `await`, comprehension,
//! lambda, walrus and short-circuit test, in evaluation order (children before the node that
//! uses them, so a statement's node comes after the nodes of its sub-expressions). Edges carry
//! their kind (`normal`, `true`, `false`, `exception`, `exhausted`, `break`, `continue`,
//! `return`).
//!
//! Semantics, as CPython 3.11 executes them:
//! - every node that can raise has an exception edge to the innermost handler, `finally` or
//!   `with` exit around it, or to EXCEPTION_EXIT (`implicit`: it may raise), and so has the
//!   ENTRY of a generator or coroutine (thrown into before it starts); `raise`, a failed
//!   `assert`, a handler that does not match and a re-raise after `finally` or `__exit__` are
//!   explicit exception edges;
//! - a `finally` body (and a `with` item's `__exit__`, and the implicit `del name` after
//!   `except ... as name`) is built once per way into it that occurs — normal completion,
//!   exception, `return`, `break`, `continue` — each copy leaving the way it was entered, so
//!   paths do not mix (CPython duplicates finally bodies the same way);
//! - `for` has an `exhausted` edge to its `else`, `while` a `false` edge (none for `while
//!   True`); `break` skips the `else`;
//! - `match`: each case pattern has a `true` edge (to the capture bindings, then the guard) and
//!   a `false` edge to the next case; a guard is a `true`/`false` test;
//! - `and`/`or` and conditional expressions branch inside expressions;
//! - a comprehension's first iterable is evaluated in the enclosing scope, the rest in its own.
//!
//! Every node also carries the name events (reads, writes, deletions) that happen inside it,
//! in order: [`reach`] computes reaching definitions from them, [`graph`] the basic blocks,
//! dominators, post-dominators and control dependence, and [`rows`] turns all of it into the
//! flow tables.

pub mod graph;
pub mod reach;
pub mod render;
pub mod rows;

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, ExceptHandler, Expr, ExprContext, Pattern, Stmt};
use ruff_python_ast::{HasNodeIndex, name::Name};
use ruff_text_size::{Ranged, TextRange};

use crate::ast::NodeIds;
use crate::scopes::{ScopeKind, ScopeTree, mangle};

/// Node 0 of every scope's graph.
pub const ENTRY: u32 = 0;
/// Node 1: normal completion (a `return` or falling off the end).
pub const EXIT: u32 = 1;
/// Node 2: an exception leaving the scope.
pub const EXCEPTION_EXIT: u32 = 2;

/// The kind of a control-flow edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    Normal,
    True,
    False,
    Exception,
    Exhausted,
    Break,
    Continue,
    Return,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Normal => "normal",
            EdgeKind::True => "true",
            EdgeKind::False => "false",
            EdgeKind::Exception => "exception",
            EdgeKind::Exhausted => "exhausted",
            EdgeKind::Break => "break",
            EdgeKind::Continue => "continue",
            EdgeKind::Return => "return",
        }
    }
}

/// One flow node.
#[derive(Debug, Clone)]
pub struct FlowNode {
    /// `entry`, `exit`, `exception_exit`, or the CPython ast class of the node it evaluates.
    pub kind: &'static str,
    /// What the node does for that AST node: `eval` (evaluates it), `test` (a branch on it),
    /// `next` (a loop's step to the next item), `target` (a loop's assignment), `bind` (a
    /// handler's or case's name binding), `enter`/`exit` (a `with` item), `cleanup` (the
    /// implicit `del` after `except ... as`), `pattern`/`guard` (a match case).
    pub role: &'static str,
    pub node_id: Option<i64>,
    /// The row of the AST node in the file's `ast_nodes` (its ordinal), whose span the
    /// node's row takes.
    pub ordinal: Option<u32>,
    /// ruff's range of the AST node (a decorated def's starts at its first decorator).
    pub range: Option<TextRange>,
    /// The statement (or except handler, or match case) the node is part of.
    pub stmt_id: Option<i64>,
    /// Which copy of a duplicated `finally`/`__exit__`/cleanup the node is in (0: not copied or
    /// the first).
    pub copy: u32,
    /// The node's name events: `events[first..first + count]` of the graph.
    pub first_event: u32,
    pub event_count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub src: u32,
    pub dst: u32,
    pub kind: EdgeKind,
    /// An exception edge from a node that may raise, not from a `raise` or another certain
    /// exception path.
    pub implicit: bool,
}

/// What a name event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    /// A definition: the binding kind (`assign`, `augassign`, `annassign`, `for`, `with`,
    /// `except`, `walrus`, `import`, `def`, `class`, `param`, `del`, `implicit_del`, `match`,
    /// `type_alias`, `comprehension`).
    Write(&'static str),
    /// A definition that may or may not happen (a walrus inside a comprehension, which binds
    /// in the enclosing scope): it does not kill earlier ones.
    MayWrite(&'static str),
}

#[derive(Debug, Clone)]
pub struct Event {
    /// The (mangled) name, as an index into [`ScopeFlow::names`].
    pub var: u32,
    pub access: Access,
    /// The AST node of the site (the Name, alias, def, handler, parameter or pattern).
    pub node_id: i64,
    pub range: TextRange,
    /// An `ast_nodes` row (ordinal) whose span the site takes instead of `range`: a
    /// comprehension's for its implicit `.0` (CPython positions a generator expression that is
    /// a call's only argument at the call's parenthesis).
    pub span_of: Option<u32>,
}

/// The control-flow graph of one scope.
#[derive(Debug, Clone, Default)]
pub struct ScopeFlow {
    /// The scope's index in the file's [`ScopeTree`].
    pub scope: usize,
    pub nodes: Vec<FlowNode>,
    pub edges: Vec<Edge>,
    pub events: Vec<Event>,
    pub names: Vec<Name>,
}

impl ScopeFlow {
    pub fn events_of(&self, node: u32) -> &[Event] {
        let n = &self.nodes[node as usize];
        &self.events[n.first_event as usize..(n.first_event + n.event_count) as usize]
    }
}

/// A jump waiting for its target.
#[derive(Debug, Clone, Copy)]
struct Jump {
    src: u32,
    kind: EdgeKind,
    implicit: bool,
}

impl Jump {
    fn new(src: u32, kind: EdgeKind) -> Self {
        Self {
            src,
            kind,
            implicit: false,
        }
    }
}

/// How control leaves a region abruptly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Exit {
    Exception,
    Return,
    Break,
    Continue,
}

impl Exit {
    fn kind(self) -> EdgeKind {
        match self {
            Exit::Exception => EdgeKind::Exception,
            Exit::Return => EdgeKind::Return,
            Exit::Break => EdgeKind::Break,
            Exit::Continue => EdgeKind::Continue,
        }
    }
}

enum Ctx {
    Loop {
        breaks: Vec<Jump>,
        continue_to: u32,
    },
    /// Exceptions raised here go to the handlers of a `try`.
    Handlers {
        raised: Vec<Jump>,
    },
    /// Abrupt exits from here run a `finally` body, a `with` exit or a handler's cleanup first.
    Cleanup {
        exits: Vec<(Jump, Exit)>,
    },
}

/// A scope whose graph is built after the current one.
enum Nested<'a> {
    Function(&'a ast::StmtFunctionDef, Option<Name>),
    Class(&'a ast::StmtClassDef),
    Lambda(&'a ast::ExprLambda, Option<Name>),
    Comprehension(&'a Expr, Option<Name>),
}

/// Builds the graph of every scope of a module, in scope order of `tree`.
pub fn build(module: &ast::ModModule, tree: &ScopeTree, ids: &NodeIds) -> Vec<ScopeFlow> {
    let mut scope_of: HashMap<i64, usize> = HashMap::default();
    for (i, s) in tree.scopes.iter().enumerate() {
        if matches!(
            s.kind,
            ScopeKind::Function | ScopeKind::Lambda | ScopeKind::Class | ScopeKind::Comprehension
        ) {
            scope_of.entry(s.node_id).or_insert(i);
        }
    }
    let mut out: Vec<ScopeFlow> = Vec::new();
    let mut queue: Vec<Nested> = Vec::new();
    // A nested scope inside a `finally` body is met once per copy of the body.
    let mut built = vec![false; tree.scopes.len()];
    built[0] = true;
    let mut b = Builder::new(ids, 0, None);
    b.suite(&module.body);
    b.finish();
    queue.append(&mut b.nested);
    out.push(b.flow);
    while let Some(next) = queue.pop() {
        let node_id = match &next {
            Nested::Function(f, _) => ids.get(*f),
            Nested::Class(c) => ids.get(*c),
            Nested::Lambda(l, _) => ids.get(*l),
            Nested::Comprehension(e, _) => ids.get(*e),
        };
        let Some(&scope) = node_id.and_then(|id| scope_of.get(&id)) else {
            continue;
        };
        if std::mem::replace(&mut built[scope], true) {
            continue;
        }
        let mut b;
        match next {
            Nested::Function(f, private) => {
                b = Builder::new(ids, scope, private);
                b.parameters(&f.parameters);
                b.suite(&f.body);
            }
            Nested::Class(c) => {
                b = Builder::new(ids, scope, Some(Name::new(c.name.as_str())));
                b.evaluates_annotations = true;
                b.docstring_next = true;
                // The body starts by storing `__module__` and `__qualname__` in the class
                // namespace, which may raise.
                b.edge(ENTRY, EXCEPTION_EXIT, EdgeKind::Exception, true);
                b.suite(&c.body);
            }
            Nested::Lambda(l, private) => {
                b = Builder::new(ids, scope, private);
                if let Some(p) = &l.parameters {
                    b.parameters(p);
                }
                b.stmt = ids.get(l);
                b.expr(&l.body);
                b.add_node(expr_kind(&l.body), "return", Some(&*l.body), true);
                let preds = b.take_preds();
                b.connect(preds, EXIT, Some(EdgeKind::Return));
            }
            Nested::Comprehension(e, private) => {
                b = Builder::new(ids, scope, private);
                b.comprehension_body(e);
            }
        }
        // A generator or coroutine may be thrown into (or closed) before its first statement:
        // `throw()` raises at the start.
        let s = &tree.scopes[scope];
        if s.is_generator || s.is_coroutine {
            b.edge(ENTRY, EXCEPTION_EXIT, EdgeKind::Exception, true);
        }
        b.finish();
        queue.append(&mut b.nested);
        out.push(b.flow);
    }
    out.sort_by_key(|f| f.scope);
    out
}

struct Builder<'a> {
    flow: ScopeFlow,
    ids: &'a NodeIds,
    preds: Vec<Jump>,
    pending: Vec<Event>,
    ctx: Vec<Ctx>,
    stmt: Option<i64>,
    copy: u32,
    copies: u32,
    /// The binding kind a Store/Del name gets while a target is walked.
    def_kind: &'static str,
    private: Option<Name>,
    names: HashMap<Name, u32>,
    /// Capture bindings of the pattern being walked.
    captures: Vec<Event>,
    nested: Vec<Nested<'a>>,
    /// `__exit__` copies that may swallow the exception of the `with` being built.
    swallowed: Vec<Jump>,
    /// The module or class body: annotations of simple targets are evaluated there.
    evaluates_annotations: bool,
    /// The next statement is the first of a module or class body (a docstring there is an
    /// assignment to `__doc__`).
    docstring_next: bool,
}

/// The CPython ast class of an expression.
pub fn expr_kind(e: &Expr) -> &'static str {
    match e {
        Expr::BoolOp(_) => "BoolOp",
        Expr::Named(_) => "NamedExpr",
        Expr::BinOp(_) => "BinOp",
        Expr::UnaryOp(_) => "UnaryOp",
        Expr::Lambda(_) => "Lambda",
        Expr::If(_) => "IfExp",
        Expr::Dict(_) => "Dict",
        Expr::Set(_) => "Set",
        Expr::ListComp(_) => "ListComp",
        Expr::SetComp(_) => "SetComp",
        Expr::DictComp(_) => "DictComp",
        Expr::Generator(_) => "GeneratorExp",
        Expr::Await(_) => "Await",
        Expr::Yield(_) => "Yield",
        Expr::YieldFrom(_) => "YieldFrom",
        Expr::Compare(_) => "Compare",
        Expr::Call(_) => "Call",
        Expr::FString(_) => "JoinedStr",
        Expr::TString(_) => "TemplateStr",
        Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_)
        | Expr::EllipsisLiteral(_) => "Constant",
        Expr::Attribute(_) => "Attribute",
        Expr::Subscript(_) => "Subscript",
        Expr::Starred(_) => "Starred",
        Expr::Name(_) => "Name",
        Expr::List(_) => "List",
        Expr::Tuple(_) => "Tuple",
        Expr::Slice(_) => "Slice",
        Expr::IpyEscapeCommand(_) => "IpyEscapeCommand",
    }
}

/// The CPython ast class of a statement.
pub fn stmt_kind(s: &Stmt) -> &'static str {
    match s {
        Stmt::FunctionDef(f) if f.is_async => "AsyncFunctionDef",
        Stmt::FunctionDef(_) => "FunctionDef",
        Stmt::ClassDef(_) => "ClassDef",
        Stmt::Return(_) => "Return",
        Stmt::Delete(_) => "Delete",
        Stmt::Assign(_) => "Assign",
        Stmt::AugAssign(_) => "AugAssign",
        Stmt::AnnAssign(_) => "AnnAssign",
        Stmt::TypeAlias(_) => "TypeAlias",
        Stmt::For(f) if f.is_async => "AsyncFor",
        Stmt::For(_) => "For",
        Stmt::While(_) => "While",
        Stmt::If(_) => "If",
        Stmt::With(w) if w.is_async => "AsyncWith",
        Stmt::With(_) => "With",
        Stmt::Match(_) => "Match",
        Stmt::Raise(_) => "Raise",
        Stmt::Try(t) if t.is_star => "TryStar",
        Stmt::Try(_) => "Try",
        Stmt::Assert(_) => "Assert",
        Stmt::Import(_) => "Import",
        Stmt::ImportFrom(_) => "ImportFrom",
        Stmt::Global(_) => "Global",
        Stmt::Nonlocal(_) => "Nonlocal",
        Stmt::Expr(_) => "Expr",
        Stmt::Pass(_) => "Pass",
        Stmt::Break(_) => "Break",
        Stmt::Continue(_) => "Continue",
        Stmt::IpyEscapeCommand(_) => "IpyEscapeCommand",
    }
}

/// An AST node a flow node stands for: its id and span.
trait Site: HasNodeIndex + Ranged {}
impl<T: HasNodeIndex + Ranged> Site for T {}

/// Every parameter of a signature, in order.
fn all_parameters(p: &ast::Parameters) -> impl Iterator<Item = &ast::Parameter> {
    p.posonlyargs
        .iter()
        .chain(&p.args)
        .map(|a| &a.parameter)
        .chain(p.vararg.as_deref())
        .chain(p.kwonlyargs.iter().map(|a| &a.parameter))
        .chain(p.kwarg.as_deref())
}

/// Whether a constant test is always true (`while True`, `while 1`).
fn always_true(e: &Expr) -> bool {
    match e {
        Expr::BooleanLiteral(b) => b.value,
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_u64() != Some(0),
            _ => false,
        },
        _ => false,
    }
}

/// Whether a pattern matches anything (a capture or `_`, possibly inside an or-pattern).
fn irrefutable(p: &Pattern) -> bool {
    match p {
        Pattern::MatchAs(a) => a.pattern.as_deref().is_none_or(irrefutable),
        Pattern::MatchOr(o) => o.patterns.iter().any(irrefutable),
        _ => false,
    }
}

impl<'a> Builder<'a> {
    fn new(ids: &'a NodeIds, scope: usize, private: Option<Name>) -> Self {
        let mut flow = ScopeFlow {
            scope,
            ..Default::default()
        };
        for kind in ["entry", "exit", "exception_exit"] {
            flow.nodes.push(FlowNode {
                kind,
                role: "eval",
                node_id: None,
                ordinal: None,
                range: None,
                stmt_id: None,
                copy: 0,
                first_event: 0,
                event_count: 0,
            });
        }
        Self {
            flow,
            ids,
            preds: vec![Jump::new(ENTRY, EdgeKind::Normal)],
            pending: Vec::new(),
            ctx: Vec::new(),
            stmt: None,
            copy: 0,
            copies: 0,
            def_kind: "assign",
            private,
            names: HashMap::default(),
            captures: Vec::new(),
            nested: Vec::new(),
            swallowed: Vec::new(),
            evaluates_annotations: scope == 0,
            docstring_next: scope == 0,
        }
    }

    /// Falls off the end: the remaining predecessors go to EXIT. Then one edge is kept of
    /// each (src, dst, kind): a node that may raise and then certainly raises to the same
    /// place (the end of a `finally` copy on the exception path) has one explicit edge.
    fn finish(&mut self) {
        let preds = self.take_preds();
        self.connect(preds, EXIT, None);
        let mut first: HashMap<(u32, u32, EdgeKind), usize> = HashMap::default();
        let mut kept: Vec<Edge> = Vec::with_capacity(self.flow.edges.len());
        for e in self.flow.edges.drain(..) {
            match first.entry((e.src, e.dst, e.kind)) {
                std::collections::hash_map::Entry::Occupied(o) => {
                    let k = &mut kept[*o.get()];
                    k.implicit &= e.implicit;
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(kept.len());
                    kept.push(e);
                }
            }
        }
        self.flow.edges = kept;
    }

    fn var(&mut self, name: &str) -> u32 {
        let name = mangle(self.private.as_deref(), name);
        if let Some(&v) = self.names.get(&name) {
            return v;
        }
        let v = self.flow.names.len() as u32;
        self.flow.names.push(name.clone());
        self.names.insert(name, v);
        v
    }

    fn event(&mut self, name: &str, access: Access, node_id: Option<i64>, range: TextRange) {
        let Some(node_id) = node_id else { return };
        let var = self.var(name);
        self.pending.push(Event {
            var,
            access,
            node_id,
            range,
            span_of: None,
        });
    }

    /// The implicit `.0` of a comprehension, read or bound at the comprehension `e`.
    fn dot0(&mut self, access: Access, node_id: Option<i64>, e: &Expr) {
        self.event(".0", access, node_id, e.range());
        if let Some(ev) = self.pending.last_mut() {
            ev.span_of = self.ids.ordinal(e);
        }
    }

    fn take_preds(&mut self) -> Vec<Jump> {
        std::mem::take(&mut self.preds)
    }

    fn edge(&mut self, src: u32, dst: u32, kind: EdgeKind, implicit: bool) {
        self.flow.edges.push(Edge {
            src,
            dst,
            kind,
            implicit,
        });
    }

    /// Connects jumps to a node, each with its own kind or with `kind` instead of `normal`.
    fn connect(&mut self, jumps: Vec<Jump>, dst: u32, kind: Option<EdgeKind>) {
        for j in jumps {
            let k = match (j.kind, kind) {
                (EdgeKind::Normal, Some(k)) => k,
                (k, _) => k,
            };
            self.edge(j.src, dst, k, j.implicit);
        }
    }

    /// Appends a node after the current predecessors, with the pending events.
    fn add_node<T: Site>(
        &mut self,
        kind: &'static str,
        role: &'static str,
        site: Option<&T>,
        raises: bool,
    ) -> u32 {
        let n = self.flow.nodes.len() as u32;
        let first_event = self.flow.events.len() as u32;
        let event_count = self.pending.len() as u32;
        self.flow.events.append(&mut self.pending);
        self.flow.nodes.push(FlowNode {
            kind,
            role,
            node_id: site.and_then(|s| self.ids.get(s)),
            ordinal: site.and_then(|s| self.ids.ordinal(s)),
            range: site.map(|s| s.range()),
            stmt_id: self.stmt,
            copy: self.copy,
            first_event,
            event_count,
        });
        let preds = self.take_preds();
        self.connect(preds, n, None);
        self.preds.push(Jump::new(n, EdgeKind::Normal));
        if raises {
            self.leave(
                vec![Jump {
                    src: n,
                    kind: EdgeKind::Exception,
                    implicit: true,
                }],
                Exit::Exception,
            );
        }
        n
    }

    /// Adds a node for `e` if events of it wait for one.
    fn flush(&mut self, e: &Expr, role: &'static str) {
        if !self.pending.is_empty() {
            self.add_node(expr_kind(e), role, Some(e), true);
        }
    }

    /// Sends jumps leaving abruptly to where they go: the innermost handler, cleanup or loop
    /// that takes them, or the scope's exits.
    fn leave(&mut self, jumps: Vec<Jump>, exit: Exit) {
        let kind = exit.kind();
        let jumps: Vec<Jump> = jumps
            .into_iter()
            .map(|j| Jump {
                kind: if j.kind == EdgeKind::Normal {
                    kind
                } else {
                    j.kind
                },
                ..j
            })
            .collect();
        for i in (0..self.ctx.len()).rev() {
            match &mut self.ctx[i] {
                Ctx::Cleanup { exits } => {
                    exits.extend(jumps.into_iter().map(|j| (j, exit)));
                    return;
                }
                Ctx::Handlers { raised } if exit == Exit::Exception => {
                    raised.extend(jumps);
                    return;
                }
                Ctx::Loop { breaks, .. } if exit == Exit::Break => {
                    breaks.extend(jumps);
                    return;
                }
                Ctx::Loop { continue_to, .. } if exit == Exit::Continue => {
                    let to = *continue_to;
                    self.connect(jumps, to, None);
                    return;
                }
                _ => {}
            }
        }
        let dst = match exit {
            Exit::Exception => EXCEPTION_EXIT,
            // `break`/`continue` outside a loop is a syntax error CPython reports; the graph
            // sends it to EXIT.
            _ => EXIT,
        };
        self.connect(jumps, dst, None);
    }

    /// Runs a cleanup region: `body` builds the protected part (inside a `Cleanup` context);
    /// `cleanup` builds one copy of the cleanup code per way out that occurs, each continuing
    /// the way it came. Returns with the predecessors of normal completion.
    fn with_cleanup(
        &mut self,
        body: impl FnOnce(&mut Self),
        mut cleanup: impl FnMut(&mut Self, Option<Exit>),
    ) {
        self.ctx.push(Ctx::Cleanup { exits: Vec::new() });
        body(self);
        let Some(Ctx::Cleanup { exits }) = self.ctx.pop() else {
            return;
        };
        let normal = self.take_preds();
        let saved_copy = self.copy;
        let mut ends = Vec::new();
        if !normal.is_empty() {
            self.preds = normal;
            cleanup(self, None);
            ends = self.take_preds();
        }
        for exit in [Exit::Exception, Exit::Return, Exit::Break, Exit::Continue] {
            let jumps: Vec<Jump> = exits
                .iter()
                .filter(|(_, e)| *e == exit)
                .map(|(j, _)| *j)
                .collect();
            if jumps.is_empty() {
                continue;
            }
            self.copies += 1;
            self.copy = self.copies;
            self.preds = jumps;
            cleanup(self, Some(exit));
            let out = self.take_preds();
            self.leave(out, exit);
            self.copy = saved_copy;
        }
        self.copy = saved_copy;
        self.preds = ends;
    }

    fn suite(&mut self, body: &'a [Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn parameters(&mut self, p: &ast::Parameters) {
        for param in all_parameters(p) {
            let id = self.ids.get(param);
            self.event(param.name.as_str(), Access::Write("param"), id, param.range);
        }
        // The parameters are bound at ENTRY.
        let entry = &mut self.flow.nodes[ENTRY as usize];
        entry.first_event = self.flow.events.len() as u32;
        entry.event_count = self.pending.len() as u32;
        self.flow.events.append(&mut self.pending);
    }

    /// The defaults and annotations a `def` or `lambda` evaluates where it stands.
    fn parameter_defaults(&mut self, p: &'a ast::Parameters) {
        for d in p
            .posonlyargs
            .iter()
            .chain(&p.args)
            .filter_map(|a| a.default.as_deref())
        {
            self.expr(d);
        }
        for d in p.kwonlyargs.iter().filter_map(|a| a.default.as_deref()) {
            self.expr(d);
        }
    }

    fn parameter_annotations(&mut self, p: &'a ast::Parameters, returns: Option<&'a Expr>) {
        for param in all_parameters(p) {
            if let Some(a) = param.annotation.as_deref() {
                self.expr(a);
            }
        }
        if let Some(r) = returns {
            self.expr(r);
        }
    }

    /// Walks an assignment target with the binding kind `kind`.
    fn target(&mut self, e: &'a Expr, kind: &'static str) {
        let saved = std::mem::replace(&mut self.def_kind, kind);
        self.expr(e);
        self.def_kind = saved;
    }

    fn stmt(&mut self, s: &'a Stmt) {
        let saved_stmt = std::mem::replace(&mut self.stmt, self.ids.get(s));
        let docstring_next = std::mem::take(&mut self.docstring_next);
        let kind = stmt_kind(s);
        match s {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.expr(&d.expression);
                }
                self.parameter_defaults(&f.parameters);
                self.parameter_annotations(&f.parameters, f.returns.as_deref());
                let id = self.ids.get(f);
                self.event(f.name.as_str(), Access::Write("def"), id, f.name.range);
                self.add_node(kind, "eval", Some(s), true);
                self.nested.push(Nested::Function(f, self.private.clone()));
            }
            Stmt::ClassDef(c) => {
                for d in &c.decorator_list {
                    self.expr(&d.expression);
                }
                if let Some(args) = &c.arguments {
                    self.arguments(args);
                }
                let id = self.ids.get(c);
                self.event(c.name.as_str(), Access::Write("class"), id, c.name.range);
                self.add_node(kind, "eval", Some(s), true);
                self.nested.push(Nested::Class(c));
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.expr(v);
                }
                let n = self.add_node(kind, "eval", Some(s), r.value.is_some());
                self.preds.clear();
                self.leave(vec![Jump::new(n, EdgeKind::Return)], Exit::Return);
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    self.target(t, "del");
                }
                self.add_node(kind, "eval", Some(s), true);
            }
            Stmt::Assign(a) => {
                self.expr(&a.value);
                for t in &a.targets {
                    self.target(t, "assign");
                }
                self.add_node(kind, "eval", Some(s), true);
            }
            Stmt::AugAssign(a) => {
                match &*a.target {
                    Expr::Name(n) => {
                        let id = self.ids.get(&*a.target);
                        self.event(n.id.as_str(), Access::Read, id, n.range);
                        self.expr(&a.value);
                        self.event(n.id.as_str(), Access::Write("augassign"), id, n.range);
                    }
                    t => {
                        self.target(t, "augassign");
                        self.expr(&a.value);
                    }
                }
                self.add_node(kind, "eval", Some(s), true);
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.expr(v);
                }
                if self.evaluates_annotations {
                    self.expr(&a.annotation);
                }
                match (&*a.target, &a.value) {
                    (Expr::Name(_), None) => {}
                    (t, _) => self.target(t, "annassign"),
                }
                // `x: int` in a function compiles to nothing.
                let raises = a.value.is_some() || self.evaluates_annotations;
                self.add_node(kind, "eval", Some(s), raises);
            }
            Stmt::TypeAlias(t) => {
                if let Expr::Name(n) = &*t.name {
                    let id = self.ids.get(&*t.name);
                    self.event(n.id.as_str(), Access::Write("type_alias"), id, n.range);
                }
                self.add_node(kind, "eval", Some(s), true);
            }
            Stmt::For(f) => self.for_stmt(s, f),
            Stmt::While(w) => self.while_stmt(s, w),
            Stmt::If(i) => self.if_stmt(s, i),
            Stmt::With(w) => self.with_stmt(w, 0),
            Stmt::Match(m) => self.match_stmt(s, m),
            Stmt::Raise(r) => {
                if let Some(e) = &r.exc {
                    self.expr(e);
                }
                if let Some(c) = &r.cause {
                    self.expr(c);
                }
                let n = self.add_node(kind, "eval", Some(s), false);
                self.preds.clear();
                self.leave(vec![Jump::new(n, EdgeKind::Exception)], Exit::Exception);
            }
            Stmt::Try(t) => self.try_stmt(s, t),
            Stmt::Assert(a) => {
                self.expr(&a.test);
                let n = self.add_node(kind, "test", Some(s), a.msg.is_some());
                self.preds = vec![Jump::new(n, EdgeKind::False)];
                if let Some(m) = &a.msg {
                    self.expr(m);
                    self.flush(m, "eval");
                }
                let failed = self.take_preds();
                self.leave(failed, Exit::Exception);
                self.preds = vec![Jump::new(n, EdgeKind::True)];
            }
            Stmt::Import(i) => {
                for a in &i.names {
                    let bound = match &a.asname {
                        Some(asname) => asname.as_str(),
                        None => a.name.as_str().split('.').next().unwrap_or_default(),
                    };
                    let id = self.ids.get(a);
                    self.event(bound, Access::Write("import"), id, a.range);
                }
                self.add_node(kind, "eval", Some(s), true);
            }
            Stmt::ImportFrom(i) => {
                for a in &i.names {
                    if a.name.as_str() == "*" {
                        continue;
                    }
                    let bound = a.asname.as_ref().unwrap_or(&a.name).as_str();
                    let id = self.ids.get(a);
                    self.event(bound, Access::Write("import"), id, a.range);
                }
                self.add_node(kind, "eval", Some(s), true);
            }
            Stmt::Global(_) | Stmt::Nonlocal(_) | Stmt::Pass(_) => {
                self.add_node(kind, "eval", Some(s), false);
            }
            Stmt::Expr(e) => {
                self.expr(&e.value);
                // A module's or class's docstring is stored as `__doc__` (a class namespace
                // may be any mapping): it may raise; other constant statements compile to
                // nothing.
                let docstring = docstring_next && matches!(&*e.value, Expr::StringLiteral(_));
                let raises = docstring
                    || !matches!(
                        &*e.value,
                        Expr::StringLiteral(_)
                            | Expr::NumberLiteral(_)
                            | Expr::EllipsisLiteral(_)
                            | Expr::NoneLiteral(_)
                            | Expr::BooleanLiteral(_)
                            | Expr::BytesLiteral(_)
                    );
                self.add_node(kind, "eval", Some(s), raises);
            }
            Stmt::Break(_) => {
                let n = self.add_node(kind, "eval", Some(s), false);
                self.preds.clear();
                self.leave(vec![Jump::new(n, EdgeKind::Break)], Exit::Break);
            }
            Stmt::Continue(_) => {
                let n = self.add_node(kind, "eval", Some(s), false);
                self.preds.clear();
                self.leave(vec![Jump::new(n, EdgeKind::Continue)], Exit::Continue);
            }
            Stmt::IpyEscapeCommand(_) => {
                self.add_node(kind, "eval", Some(s), true);
            }
        }
        self.stmt = saved_stmt;
    }

    fn for_stmt(&mut self, s: &'a Stmt, f: &'a ast::StmtFor) {
        self.expr(&f.iter);
        self.flush(&f.iter, "eval");
        let header = self.add_node(stmt_kind(s), "next", Some(s), true);
        self.target(&f.target, "for");
        let unpacks = !matches!(&*f.target, Expr::Name(_));
        self.add_node(stmt_kind(s), "target", Some(&*f.target), unpacks);
        let breaks = self.loop_body(&f.body, header);
        self.preds = vec![Jump::new(header, EdgeKind::Exhausted)];
        self.suite(&f.orelse);
        self.preds.extend(breaks);
    }

    /// A loop's body: its end and its `continue`s go back to `continue_to`; returns its
    /// `break`s.
    fn loop_body(&mut self, body: &'a [Stmt], continue_to: u32) -> Vec<Jump> {
        self.ctx.push(Ctx::Loop {
            breaks: Vec::new(),
            continue_to,
        });
        self.suite(body);
        let back = self.take_preds();
        self.connect(back, continue_to, None);
        match self.ctx.pop() {
            Some(Ctx::Loop { breaks, .. }) => breaks,
            _ => Vec::new(),
        }
    }

    fn while_stmt(&mut self, s: &'a Stmt, w: &'a ast::StmtWhile) {
        let start = self.flow.nodes.len() as u32;
        self.expr(&w.test);
        let test = self.add_node("While", "test", Some(s), true);
        self.preds = vec![Jump::new(test, EdgeKind::True)];
        let breaks = self.loop_body(&w.body, start);
        if !always_true(&w.test) {
            self.preds = vec![Jump::new(test, EdgeKind::False)];
            self.suite(&w.orelse);
        }
        self.preds.extend(breaks);
    }

    fn if_stmt(&mut self, s: &'a Stmt, i: &'a ast::StmtIf) {
        self.expr(&i.test);
        let test = self.add_node("If", "test", Some(s), true);
        self.preds = vec![Jump::new(test, EdgeKind::True)];
        self.suite(&i.body);
        let mut ends = self.take_preds();
        let mut otherwise = vec![Jump::new(test, EdgeKind::False)];
        for clause in &i.elif_else_clauses {
            self.preds = otherwise;
            match &clause.test {
                Some(t) => {
                    let saved = std::mem::replace(&mut self.stmt, self.ids.get(clause));
                    self.expr(t);
                    let test = self.add_node("If", "test", Some(clause), true);
                    self.stmt = saved;
                    self.preds = vec![Jump::new(test, EdgeKind::True)];
                    self.suite(&clause.body);
                    ends.append(&mut self.preds);
                    otherwise = vec![Jump::new(test, EdgeKind::False)];
                }
                None => {
                    self.suite(&clause.body);
                    ends.append(&mut self.preds);
                    otherwise = Vec::new();
                }
            }
        }
        ends.extend(otherwise);
        self.preds = ends;
    }

    fn with_stmt(&mut self, w: &'a ast::StmtWith, item: usize) {
        let Some(it) = w.items.get(item) else {
            self.suite(&w.body);
            return;
        };
        self.expr(&it.context_expr);
        self.add_node("withitem", "enter", Some(it), true);
        if let Some(v) = &it.optional_vars {
            self.target(v, "with");
            let unpacks = !matches!(&**v, Expr::Name(_));
            if !self.pending.is_empty() || unpacks {
                self.add_node("withitem", "bind", Some(&**v), unpacks);
            }
        }
        self.with_cleanup(
            |b| b.with_stmt(w, item + 1),
            |b, exit| {
                let n = b.add_node("withitem", "exit", Some(it), exit != Some(Exit::Exception));
                if exit == Some(Exit::Exception) {
                    // `__exit__` returned false: the exception goes on; true: it is swallowed
                    // and execution continues after the `with`.
                    b.preds.clear();
                    b.leave(vec![Jump::new(n, EdgeKind::Exception)], Exit::Exception);
                    b.swallowed.push(Jump::new(n, EdgeKind::Normal));
                }
            },
        );
        let swallowed = std::mem::take(&mut self.swallowed);
        self.preds.extend(swallowed);
    }

    fn match_stmt(&mut self, s: &'a Stmt, m: &'a ast::StmtMatch) {
        self.expr(&m.subject);
        self.add_node("Match", "eval", Some(s), true);
        let mut ends = Vec::new();
        for case in &m.cases {
            let saved = std::mem::replace(&mut self.stmt, self.ids.get(case));
            self.captures.clear();
            self.visit_pattern(&case.pattern);
            let sure = irrefutable(&case.pattern) && case.guard.is_none();
            let p = self.add_node("match_case", "pattern", Some(&case.pattern), !sure);
            let failed = if irrefutable(&case.pattern) {
                None
            } else {
                Some(Jump::new(p, EdgeKind::False))
            };
            self.preds = vec![Jump::new(p, EdgeKind::True)];
            let captures = std::mem::take(&mut self.captures);
            if !captures.is_empty() {
                self.pending.extend(captures);
                self.add_node("match_case", "bind", Some(&case.pattern), false);
            }
            let mut next: Vec<Jump> = failed.into_iter().collect();
            if let Some(g) = &case.guard {
                self.expr(g);
                let t = self.add_node("match_case", "guard", Some(&**g), true);
                self.preds = vec![Jump::new(t, EdgeKind::True)];
                next.push(Jump::new(t, EdgeKind::False));
            }
            self.stmt = saved;
            self.suite(&case.body);
            ends.append(&mut self.preds);
            self.preds = next;
        }
        // No case matched.
        ends.append(&mut self.preds);
        self.preds = ends;
    }

    fn try_stmt(&mut self, s: &'a Stmt, t: &'a ast::StmtTry) {
        if t.finalbody.is_empty() {
            self.try_except(s, t);
            return;
        }
        self.with_cleanup(|b| b.try_except(s, t), |b, _| b.suite(&t.finalbody));
    }

    /// `try` with its handlers and `else`, inside the `finally` if there is one.
    fn try_except(&mut self, s: &'a Stmt, t: &'a ast::StmtTry) {
        self.add_node(stmt_kind(s), "eval", Some(s), false);
        if t.handlers.is_empty() {
            self.suite(&t.body);
            self.suite(&t.orelse);
            return;
        }
        self.ctx.push(Ctx::Handlers { raised: Vec::new() });
        self.suite(&t.body);
        let raised = match self.ctx.pop() {
            Some(Ctx::Handlers { raised }) => raised,
            _ => Vec::new(),
        };
        self.suite(&t.orelse);
        let mut ends = self.take_preds();
        self.preds = raised;
        let count = t.handlers.len();
        for (i, h) in t.handlers.iter().enumerate() {
            let ExceptHandler::ExceptHandler(h) = h;
            let saved = std::mem::replace(&mut self.stmt, self.ids.get(h));
            let last = i + 1 == count;
            if let Some(ty) = &h.type_ {
                self.expr(ty);
            }
            // The last typed handler's no-match edge is its (explicit) exception edge.
            let test = self.add_node("ExceptHandler", "test", Some(h), h.type_.is_some() && !last);
            let no_match = match (&h.type_, last) {
                (None, _) => Vec::new(),
                (Some(_), false) => vec![Jump::new(test, EdgeKind::False)],
                (Some(_), true) => {
                    self.leave(vec![Jump::new(test, EdgeKind::Exception)], Exit::Exception);
                    Vec::new()
                }
            };
            self.preds = if h.type_.is_some() {
                vec![Jump::new(test, EdgeKind::True)]
            } else {
                vec![Jump::new(test, EdgeKind::Normal)]
            };
            // except*: an exception raised in a handler is kept until the remaining handlers
            // have run for the rest of the group, then raised with what they left.
            if t.is_star {
                self.ctx.push(Ctx::Handlers { raised: Vec::new() });
            }
            match &h.name {
                Some(name) => {
                    let id = self.ids.get(h);
                    self.event(name.as_str(), Access::Write("except"), id, name.range);
                    self.add_node("ExceptHandler", "bind", Some(h), false);
                    self.with_cleanup(
                        |b| b.suite(&h.body),
                        |b, _| {
                            b.event(name.as_str(), Access::Write("implicit_del"), id, name.range);
                            b.add_node("ExceptHandler", "cleanup", Some(h), false);
                        },
                    );
                }
                None => self.suite(&h.body),
            }
            let raised_in_handler = if t.is_star {
                match self.ctx.pop() {
                    Some(Ctx::Handlers { raised }) => raised,
                    _ => Vec::new(),
                }
            } else {
                Vec::new()
            };
            self.stmt = saved;
            let mut end = self.take_preds();
            if t.is_star && !last {
                // except*: after one handler ran, the next may run for the rest of the group.
                self.preds = end.clone();
                self.preds.extend(no_match);
                self.preds.extend(raised_in_handler);
            } else {
                if !raised_in_handler.is_empty() {
                    self.leave(raised_in_handler, Exit::Exception);
                }
                self.preds = no_match;
            }
            ends.append(&mut end);
        }
        // No handler matched (the last one was bare or its edge was added above).
        let rest = self.take_preds();
        self.leave(rest, Exit::Exception);
        self.preds = ends;
    }

    fn arguments(&mut self, args: &'a ast::Arguments) {
        for a in args.iter_source_order() {
            match a {
                ast::ArgOrKeyword::Arg(e) => self.expr(e),
                ast::ArgOrKeyword::Keyword(k) => self.expr(&k.value),
            }
        }
    }

    /// Evaluates `e` as a branch test: returns the node the branch leaves from (a node of `e`
    /// itself, added when its evaluation does not end in one).
    fn test(&mut self, e: &'a Expr, role: &'static str) -> u32 {
        let before = self.flow.nodes.len();
        self.expr(e);
        let id = self.ids.get(e);
        let last = self.flow.nodes.len() as u32 - 1;
        let ends_in_e = self.flow.nodes.len() > before
            && self.pending.is_empty()
            && self.preds.len() == 1
            && self.preds[0].src == last
            && self.preds[0].kind == EdgeKind::Normal
            && self.flow.nodes[last as usize].node_id == id;
        if ends_in_e {
            self.preds.clear();
            last
        } else {
            let n = self.add_node(expr_kind(e), role, Some(e), true);
            self.preds.clear();
            n
        }
    }

    fn expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Name(n) => {
                let id = self.ids.get(e);
                let access = match n.ctx {
                    ExprContext::Load => Access::Read,
                    ExprContext::Store => Access::Write(self.def_kind),
                    ExprContext::Del => Access::Write("del"),
                    ExprContext::Invalid => return,
                };
                self.event(n.id.as_str(), access, id, n.range);
            }
            Expr::BoolOp(b) => {
                let Some((last, rest)) = b.values.split_last() else {
                    return;
                };
                let mut short = Vec::new();
                for v in rest {
                    let t = self.test(v, "test");
                    let (go, skip) = match b.op {
                        ast::BoolOp::And => (EdgeKind::True, EdgeKind::False),
                        ast::BoolOp::Or => (EdgeKind::False, EdgeKind::True),
                    };
                    short.push(Jump::new(t, skip));
                    self.preds = vec![Jump::new(t, go)];
                }
                self.expr(last);
                self.flush(last, "eval");
                self.preds.extend(short);
            }
            Expr::If(i) => {
                let t = self.test(&i.test, "test");
                self.preds = vec![Jump::new(t, EdgeKind::True)];
                self.expr(&i.body);
                self.flush(&i.body, "eval");
                let mut ends = self.take_preds();
                self.preds = vec![Jump::new(t, EdgeKind::False)];
                self.expr(&i.orelse);
                self.flush(&i.orelse, "eval");
                self.preds.append(&mut ends);
            }
            Expr::Named(n) => {
                self.expr(&n.value);
                self.target(&n.target, "walrus");
                self.add_node("NamedExpr", "eval", Some(e), false);
            }
            Expr::Lambda(l) => {
                if let Some(p) = &l.parameters {
                    self.parameter_defaults(p);
                }
                self.add_node("Lambda", "eval", Some(e), false);
                self.nested.push(Nested::Lambda(l, self.private.clone()));
            }
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                let generators = match e {
                    Expr::ListComp(c) => &c.generators,
                    Expr::SetComp(c) => &c.generators,
                    Expr::DictComp(c) => &c.generators,
                    Expr::Generator(c) => &c.generators,
                    _ => return,
                };
                if let Some(first) = generators.first() {
                    self.expr(&first.iter);
                }
                // A walrus inside binds in this scope, if the comprehension runs it.
                let mut walrus = Vec::new();
                collect_walrus(e, &mut walrus);
                for n in walrus {
                    if let Expr::Name(name) = &*n.target {
                        let id = self.ids.get(&*n.target);
                        self.event(name.id.as_str(), Access::MayWrite("walrus"), id, name.range);
                    }
                }
                self.add_node(expr_kind(e), "eval", Some(e), true);
                self.nested
                    .push(Nested::Comprehension(e, self.private.clone()));
            }
            Expr::Call(c) => {
                self.expr(&c.func);
                self.arguments(&c.arguments);
                self.add_node("Call", "eval", Some(e), true);
            }
            Expr::Await(a) => {
                self.expr(&a.value);
                self.add_node("Await", "eval", Some(e), true);
            }
            Expr::Yield(y) => {
                if let Some(v) = &y.value {
                    self.expr(v);
                }
                self.add_node("Yield", "eval", Some(e), true);
            }
            Expr::YieldFrom(y) => {
                self.expr(&y.value);
                self.add_node("YieldFrom", "eval", Some(e), true);
            }
            _ => visitor::walk_expr(self, e),
        }
    }

    /// The body of a comprehension's own scope: `.0` at ENTRY, then one loop per generator
    /// (the first over `.0`), the conditions, and the element.
    fn comprehension_body(&mut self, e: &'a Expr) {
        let (generators, elements): (&[ast::Comprehension], Vec<&Expr>) = match e {
            Expr::ListComp(c) => (&c.generators, vec![&c.elt]),
            Expr::SetComp(c) => (&c.generators, vec![&c.elt]),
            Expr::DictComp(c) => (
                &c.generators,
                c.key.as_deref().into_iter().chain([&*c.value]).collect(),
            ),
            Expr::Generator(c) => (&c.generators, vec![&c.elt]),
            _ => return,
        };
        let id = self.ids.get(e);
        self.dot0(Access::Write("param"), id, e);
        let entry = &mut self.flow.nodes[ENTRY as usize];
        entry.first_event = 0;
        entry.event_count = self.pending.len() as u32;
        self.flow.events.append(&mut self.pending);
        self.stmt = id;
        let mut headers = Vec::new();
        for (i, g) in generators.iter().enumerate() {
            if i > 0 {
                self.expr(&g.iter);
                self.flush(&g.iter, "eval");
            }
            if i == 0 {
                // The first loop steps the iterator passed in as `.0`.
                // (CPython loads it at the comprehension's own position.)
                let gid = self.ids.get(g);
                self.dot0(Access::Read, gid, e);
            }
            let header = self.add_node("comprehension", "next", Some(g), true);
            // The loop back from where an iteration ends.
            headers.push(header);
            self.target(&g.target, "comprehension");
            let unpacks = !matches!(&g.target, Expr::Name(_));
            self.add_node("comprehension", "target", Some(&g.target), unpacks);
            for cond in &g.ifs {
                let t = self.test(cond, "test");
                self.connect(vec![Jump::new(t, EdgeKind::False)], header, None);
                self.preds = vec![Jump::new(t, EdgeKind::True)];
            }
        }
        for el in &elements {
            self.expr(el);
        }
        let role = if matches!(e, Expr::Generator(_)) {
            "yield"
        } else {
            "element"
        };
        if let Some(el) = elements.last() {
            self.add_node(expr_kind(el), role, Some(*el), true);
        }
        // Each loop's exhaustion goes back to the loop around it; the outermost's ends.
        if let Some(&inner) = headers.last() {
            let back = self.take_preds();
            self.connect(back, inner, None);
        }
        for w in headers.windows(2).rev() {
            self.edge(w[1], w[0], EdgeKind::Exhausted, false);
        }
        if let Some(&outer) = headers.first() {
            self.preds = vec![Jump::new(outer, EdgeKind::Exhausted)];
        }
        self.add_node(expr_kind(e), "eval", Some(e), false);
        let preds = self.take_preds();
        self.connect(preds, EXIT, Some(EdgeKind::Return));
    }
}

impl<'a> Visitor<'a> for Builder<'a> {
    fn visit_expr(&mut self, e: &'a Expr) {
        self.expr(e);
    }

    fn visit_pattern(&mut self, p: &'a Pattern) {
        let id = self.ids.get(p);
        let name = match p {
            Pattern::MatchAs(a) => a.name.as_ref(),
            Pattern::MatchStar(s) => s.name.as_ref(),
            Pattern::MatchMapping(m) => m.rest.as_ref(),
            _ => None,
        };
        visitor::walk_pattern(self, p);
        if let (Some(name), Some(id)) = (name, id) {
            let var = self.var(name.as_str());
            self.captures.push(Event {
                var,
                access: Access::Write("match"),
                node_id: id,
                range: name.range,
                span_of: None,
            });
        }
    }

    // Nested scopes are walked by `expr`; a statement inside an expression cannot occur.
    fn visit_stmt(&mut self, _s: &'a Stmt) {}
}

/// The walrus expressions of a comprehension that bind outside it (not those inside a nested
/// lambda, whose scope is its own).
fn collect_walrus<'a>(e: &'a Expr, out: &mut Vec<&'a ast::ExprNamed>) {
    struct W<'a, 'o>(&'o mut Vec<&'a ast::ExprNamed>);
    impl<'a> Visitor<'a> for W<'a, '_> {
        fn visit_expr(&mut self, e: &'a Expr) {
            match e {
                Expr::Named(n) => {
                    self.0.push(n);
                    visitor::walk_expr(self, e);
                }
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, e),
            }
        }
    }
    visitor::walk_expr(&mut W(out), e);
}

#[cfg(test)]
mod tests;
