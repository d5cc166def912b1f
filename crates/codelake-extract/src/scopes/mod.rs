//! Scopes, symbols, bindings and name references, as CPython's `symtable` computes them.
//!
//! This is a port of CPython 3.11's `Python/symtable.c` to ruff's tree, in its two passes:
//!
//! 1. **build** walks the tree in CPython's visiting order, opening a block for the module,
//!    each class, function, lambda and comprehension (and, with `from __future__ import
//!    annotations`, an `_annotation` block around annotations), and collects each name's flags
//!    (`DEF_LOCAL`, `USE`, `DEF_PARAM`, `DEF_GLOBAL`, ...) in the block where it occurs, with
//!    CPython's special cases: private-name mangling in classes, `super` as a use of
//!    `__class__`, the implicit `.0` parameter of comprehensions, walrus targets bound in the
//!    enclosing function, `global` declarations recorded in the module's table too;
//! 2. **analyze** decides each symbol's scope (`LOCAL`, `CELL`, `FREE`, `GLOBAL_EXPLICIT`,
//!    `GLOBAL_IMPLICIT`) top-down with the sets of names bound in enclosing functions, and
//!    bottom-up with the free names of the children (`analyze_block`, `analyze_cells`,
//!    `update_symbols`).
//!
//! Beyond 3.11, PEP 695 syntax opens the scopes the language reference describes: a
//! `type_params` scope (`<generic parameters of X>`) around a generic function, class or
//! `type` alias, a `type_alias` scope for the lazily evaluated value of `type X = ...`, and an
//! `annotation` scope for each lazily evaluated type-variable bound or default. They are
//! function-like, and may see the names of an enclosing class. PEP 649 is not modelled.
//!
//! The predicates written to `symbols` are those of CPython 3.11's `symtable.Symbol`.

pub mod rows;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use codelake_schema::ids::StableId;
use ruff_python_ast::name::Name;
use ruff_python_ast::{
    self as ast, ArgOrKeyword, ExceptHandler, Expr, ExprContext, InterpolatedStringElement,
    Parameters, Pattern, Stmt, TypeParam,
};
use ruff_text_size::{Ranged, TextRange};

use crate::ast::{NodeIds, node_key};
use codelake_schema::span::LineIndex;
use ruff_python_ast::HasNodeIndex;

pub const DEF_GLOBAL: u32 = 1;
pub const DEF_LOCAL: u32 = 2;
pub const DEF_PARAM: u32 = 4;
pub const DEF_NONLOCAL: u32 = 8;
pub const USE: u32 = 16;
pub const DEF_FREE_CLASS: u32 = 64;
pub const DEF_IMPORT: u32 = 128;
pub const DEF_ANNOT: u32 = 256;
pub const DEF_COMP_ITER: u32 = 512;
pub const DEF_BOUND: u32 = DEF_LOCAL | DEF_PARAM | DEF_IMPORT;

/// A symbol's scope, as CPython's analysis decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymScope {
    Local,
    GlobalExplicit,
    GlobalImplicit,
    Free,
    Cell,
}

impl SymScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SymScope::Local => "local",
            SymScope::GlobalExplicit => "global_explicit",
            SymScope::GlobalImplicit => "global_implicit",
            SymScope::Free => "free",
            SymScope::Cell => "cell",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class,
    Function,
    Lambda,
    Comprehension,
    /// CPython 3.11's `_annotation` block (`from __future__ import annotations`), or a PEP 695
    /// lazily evaluated bound/default.
    Annotation,
    TypeParams,
    TypeAlias,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Module => "module",
            ScopeKind::Class => "class",
            ScopeKind::Function => "function",
            ScopeKind::Lambda => "lambda",
            ScopeKind::Comprehension => "comprehension",
            ScopeKind::Annotation => "annotation",
            ScopeKind::TypeParams => "type_params",
            ScopeKind::TypeAlias => "type_alias",
        }
    }
}

/// One symbol of a scope.
#[derive(Debug, Clone)]
pub struct Symbol {
    pub name: Name,
    pub flags: u32,
    pub scope: SymScope,
}

impl Symbol {
    pub fn is(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

#[derive(Debug, Clone)]
pub struct Scope {
    pub kind: ScopeKind,
    pub name: String,
    pub qualname: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub node_id: i64,
    pub range: TextRange,
    pub lineno: u32,
    /// Analysed like a function (CPython's `FunctionBlock`): all but module, class and the
    /// 3.11 `_annotation` blocks.
    pub function_like: bool,
    pub nested: bool,
    pub is_generator: bool,
    pub is_coroutine: bool,
    pub has_varargs: bool,
    pub has_varkeywords: bool,
    pub symbols: Vec<Symbol>,
    index: HashMap<Name, usize>,
    comprehension: bool,
    comp_iter_target: bool,
    comp_iter_expr: u32,
    /// A 3.11 `_annotation` block (`from __future__ import annotations`): neither function nor
    /// class to the analysis, and not attached to its parent in CPython's symbol table.
    pub annotation_block: bool,
}

impl Scope {
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.index.get(name).map(|&i| &self.symbols[i])
    }

    fn flags(&self, name: &str) -> u32 {
        self.symbol(name).map_or(0, |s| s.flags)
    }

    fn or_flags(&mut self, name: &str, flag: u32) -> u32 {
        match self.index.get(name) {
            Some(&i) => {
                self.symbols[i].flags |= flag;
                self.symbols[i].flags
            }
            None => {
                let name = Name::new(name);
                self.index.insert(name.clone(), self.symbols.len());
                self.symbols.push(Symbol {
                    name,
                    flags: flag,
                    scope: SymScope::Local,
                });
                flag
            }
        }
    }
}

/// A binding site.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The scope whose namespace the name is bound in (the module for a name declared
    /// `global`, the enclosing function for a walrus in a comprehension).
    pub scope: usize,
    /// The scope the binding statement sits in.
    pub site_scope: usize,
    pub name: Name,
    pub kind: &'static str,
    pub node_id: i64,
    pub range: TextRange,
}

/// A name occurrence.
#[derive(Debug, Clone)]
pub struct NameRef {
    pub scope: usize,
    pub name: Name,
    pub ctx: &'static str,
    pub node_id: i64,
    pub range: TextRange,
    pub resolved: Option<usize>,
    pub resolution: &'static str,
}

/// The scopes of a module with their symbols, bindings and references.
#[derive(Debug, Default)]
pub struct ScopeTree {
    pub scopes: Vec<Scope>,
    pub bindings: Vec<Binding>,
    pub refs: Vec<NameRef>,
    /// Scope of a node, keyed by [`node_key`]: for a def, class or lambda the scope of its body;
    /// for a call or an import statement the scope it is evaluated in.
    pub node_scopes: HashMap<usize, usize>,
}

/// CPython's `_Py_Mangle`: `__x` inside class `C` is `_C__x`.
pub fn mangle(private: Option<&str>, name: &str) -> Name {
    let Some(class) = private else {
        return Name::new(name);
    };
    if !name.starts_with("__") || name.ends_with("__") || name.contains('.') {
        return Name::new(name);
    }
    let stripped = class.trim_start_matches('_');
    if stripped.is_empty() {
        return Name::new(name);
    }
    Name::from(format!("_{stripped}{name}"))
}

struct Builder<'a> {
    tree: ScopeTree,
    stack: Vec<usize>,
    ids: &'a NodeIds,
    index: &'a LineIndex,
    base: u32,
    private: Option<String>,
    future_annotations: bool,
    /// The kind of binding a `Store` name gets while a target is visited.
    target_kind: &'static str,
    /// The span of a call's parentheses, for its sole unparenthesized generator argument
    /// (whose scope CPython places at the `(`).
    generator_range: Option<TextRange>,
}

impl<'a> Builder<'a> {
    fn id<T: HasNodeIndex>(&self, node: &T) -> i64 {
        self.ids.get(node).unwrap_or(0)
    }

    fn cur(&self) -> usize {
        *self.stack.last().unwrap_or(&0)
    }

    fn lineno(&self, range: TextRange) -> u32 {
        self.index.line_col(self.base + range.start().to_u32()).line
    }

    fn enter(
        &mut self,
        kind: ScopeKind,
        name: &str,
        node_id: i64,
        range: TextRange,
        lineno: u32,
    ) -> usize {
        let parent = self.stack.last().copied();
        let (nested, qualname) = match parent {
            Some(p) => {
                let nested = self.tree.scopes[p].nested || self.tree.scopes[p].function_like;
                let display = match kind {
                    ScopeKind::Lambda => "<lambda>".to_string(),
                    ScopeKind::Comprehension => format!("<{name}>"),
                    _ => name.to_string(),
                };
                // `__qualname__` looks through type-parameter scopes: the class of
                // `class C[T]` is `C`, not `<generic parameters of C>.<locals>.C`.
                let mut q = p;
                while self.tree.scopes[q].kind == ScopeKind::TypeParams
                    && kind != ScopeKind::TypeParams
                {
                    match self.tree.scopes[q].parent {
                        Some(pp) => q = pp,
                        None => break,
                    }
                }
                let ps = &self.tree.scopes[q];
                // As CPython's compiler_set_qualname: a def or class whose name the enclosing
                // scope declares `global` is named as at module level; `<locals>` follows a
                // function or lambda only (not a comprehension).
                let global = matches!(kind, ScopeKind::Function | ScopeKind::Class)
                    && ps.flags(&mangle(self.private.as_deref(), name)) & DEF_GLOBAL != 0;
                let qual = match ps.kind {
                    _ if global => display,
                    ScopeKind::Module => display,
                    ScopeKind::Function | ScopeKind::Lambda => {
                        format!("{}.<locals>.{display}", ps.qualname)
                    }
                    _ => format!("{}.{display}", ps.qualname),
                };
                (nested, qual)
            }
            None => (false, String::new()),
        };
        let annotation_block = kind == ScopeKind::Annotation && name == "_annotation";
        let function_like =
            !matches!(kind, ScopeKind::Module | ScopeKind::Class) && !annotation_block;
        let idx = self.tree.scopes.len();
        self.tree.scopes.push(Scope {
            kind,
            name: name.to_string(),
            qualname,
            parent,
            children: Vec::new(),
            node_id,
            range,
            lineno,
            function_like,
            nested,
            is_generator: false,
            is_coroutine: false,
            has_varargs: false,
            has_varkeywords: false,
            symbols: Vec::new(),
            index: HashMap::default(),
            comprehension: kind == ScopeKind::Comprehension,
            comp_iter_target: false,
            comp_iter_expr: 0,
            annotation_block,
        });
        if let Some(p) = parent {
            self.tree.scopes[p].children.push(idx);
        }
        self.stack.push(idx);
        idx
    }

    fn exit(&mut self) {
        self.stack.pop();
    }

    /// `symtable_add_def` in scope `scope`: mangles, ORs the flag, marks comprehension
    /// iteration variables, and records `global` declarations in the module's table.
    fn add_def_in(&mut self, scope: usize, name: &str, flag: u32) -> Name {
        let mangled = mangle(self.private.as_deref(), name);
        let iter_target = self.tree.scopes[scope].comp_iter_target;
        let flag_here = if iter_target {
            flag | DEF_COMP_ITER
        } else {
            flag
        };
        self.tree.scopes[scope].or_flags(&mangled, flag_here);
        // A `global` declaration is also recorded in the module's table (CPython's st_global).
        if flag & DEF_GLOBAL != 0 {
            self.tree.scopes[0].or_flags(&mangled, flag);
        }
        mangled
    }

    fn add_def(&mut self, name: &str, flag: u32) -> Name {
        let cur = self.cur();
        self.add_def_in(cur, name, flag)
    }

    fn binding(
        &mut self,
        scope: usize,
        name: Name,
        kind: &'static str,
        node_id: i64,
        range: TextRange,
    ) {
        let site = self.cur();
        self.tree.bindings.push(Binding {
            scope,
            site_scope: site,
            name,
            kind,
            node_id,
            range,
        });
    }

    fn name_ref(&mut self, name: Name, ctx: &'static str, node_id: i64, range: TextRange) {
        let scope = self.cur();
        self.tree.refs.push(NameRef {
            scope,
            name,
            ctx,
            node_id,
            range,
            resolved: None,
            resolution: "unresolved",
        });
    }

    // ---- statements -------------------------------------------------------------------

    fn body(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::FunctionDef(f) => self.function_def(f),
            Stmt::ClassDef(c) => self.class_def(c),
            Stmt::Return(r) => self.opt_expr(r.value.as_deref()),
            Stmt::Delete(d) => self.targets(&d.targets, "del"),
            Stmt::Assign(a) => {
                self.targets(&a.targets, "assign");
                self.expr(&a.value);
            }
            Stmt::AugAssign(a) => {
                self.target(&a.target, "augassign");
                self.expr(&a.value);
            }
            Stmt::AnnAssign(a) => {
                if let Expr::Name(n) = a.target.as_ref() {
                    let cur = self.cur();
                    let id = self.id(n);
                    if a.simple {
                        let m = self.add_def(n.id.as_str(), DEF_ANNOT | DEF_LOCAL);
                        self.binding(cur, m.clone(), "annassign", id, n.range);
                        self.name_ref(m, "Store", id, n.range);
                    } else {
                        let m = mangle(self.private.as_deref(), n.id.as_str());
                        if a.value.is_some() {
                            self.add_def(n.id.as_str(), DEF_LOCAL);
                            self.binding(cur, m.clone(), "annassign", id, n.range);
                        }
                        self.name_ref(m, "Store", id, n.range);
                    }
                } else {
                    self.target(&a.target, "annassign");
                }
                self.annotation(&a.annotation);
                self.opt_expr(a.value.as_deref());
            }
            Stmt::TypeAlias(t) => self.type_alias(t),
            Stmt::For(f) => {
                self.target(&f.target, "for");
                self.expr(&f.iter);
                self.body(&f.body);
                self.body(&f.orelse);
            }
            Stmt::While(w) => {
                self.expr(&w.test);
                self.body(&w.body);
                self.body(&w.orelse);
            }
            Stmt::If(i) => {
                self.expr(&i.test);
                self.body(&i.body);
                for clause in &i.elif_else_clauses {
                    self.opt_expr(clause.test.as_ref());
                    self.body(&clause.body);
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    self.expr(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.target(v, "with");
                    }
                }
                self.body(&w.body);
            }
            Stmt::Match(m) => {
                self.expr(&m.subject);
                for case in &m.cases {
                    self.pattern(&case.pattern);
                    self.opt_expr(case.guard.as_deref());
                    self.body(&case.body);
                }
            }
            Stmt::Raise(r) => {
                self.opt_expr(r.exc.as_deref());
                self.opt_expr(r.cause.as_deref());
            }
            Stmt::Try(t) => {
                // CPython visits the `else` block before the handlers.
                self.body(&t.body);
                self.body(&t.orelse);
                for h in &t.handlers {
                    let ExceptHandler::ExceptHandler(h) = h;
                    self.opt_expr(h.type_.as_deref());
                    if let Some(name) = &h.name {
                        let cur = self.cur();
                        let m = self.add_def(name.as_str(), DEF_LOCAL);
                        let id = self.id(h);
                        self.binding(cur, m, "except", id, name.range);
                    }
                    self.body(&h.body);
                }
                self.body(&t.finalbody);
            }
            Stmt::Assert(a) => {
                self.expr(&a.test);
                self.opt_expr(a.msg.as_deref());
            }
            Stmt::Import(i) => {
                self.tree.node_scopes.insert(node_key(i), self.cur());
                for a in &i.names {
                    self.alias(a);
                }
            }
            Stmt::ImportFrom(i) => {
                self.tree.node_scopes.insert(node_key(i), self.cur());
                for a in &i.names {
                    self.alias(a);
                }
            }
            Stmt::Global(g) => {
                let id = self.id(g);
                for name in &g.names {
                    let cur = self.cur();
                    let m = self.add_def(name.as_str(), DEF_GLOBAL);
                    self.binding(cur, m.clone(), "global", id, name.range);
                    self.name_ref(m, "Declare", id, name.range);
                }
            }
            Stmt::Nonlocal(g) => {
                let id = self.id(g);
                for name in &g.names {
                    let cur = self.cur();
                    let m = self.add_def(name.as_str(), DEF_NONLOCAL);
                    self.binding(cur, m.clone(), "nonlocal", id, name.range);
                    self.name_ref(m, "Declare", id, name.range);
                }
            }
            Stmt::Expr(e) => self.expr(&e.value),
            Stmt::Pass(_) | Stmt::Break(_) | Stmt::Continue(_) | Stmt::IpyEscapeCommand(_) => {}
        }
    }

    fn alias(&mut self, a: &ast::Alias) {
        let name = a.asname.as_ref().unwrap_or(&a.name).as_str();
        if name == "*" {
            return;
        }
        let store = name.split('.').next().unwrap_or(name);
        let cur = self.cur();
        let m = self.add_def(store, DEF_IMPORT);
        let id = self.id(a);
        self.binding(cur, m, "import", id, a.range);
    }

    fn defaults(&mut self, p: &Parameters) {
        for pd in p.posonlyargs.iter().chain(p.args.iter()) {
            self.opt_expr(pd.default.as_deref());
        }
        for pd in &p.kwonlyargs {
            self.opt_expr(pd.default.as_deref());
        }
    }

    /// `symtable_visit_annotations`: parameter annotations (in one `_annotation` block under
    /// `from __future__ import annotations`), then the return annotation.
    fn annotations(
        &mut self,
        p: &Parameters,
        returns: Option<&Expr>,
        owner: i64,
        range: TextRange,
    ) {
        if self.future_annotations {
            let line = self.lineno(range);
            self.enter(ScopeKind::Annotation, "_annotation", owner, range, line);
        }
        for pd in p.posonlyargs.iter().chain(p.args.iter()) {
            self.opt_expr(pd.parameter.annotation.as_deref());
        }
        if let Some(v) = &p.vararg {
            self.opt_expr(v.annotation.as_deref());
        }
        if let Some(k) = &p.kwarg {
            self.opt_expr(k.annotation.as_deref());
        }
        for pd in &p.kwonlyargs {
            self.opt_expr(pd.parameter.annotation.as_deref());
        }
        if self.future_annotations {
            self.exit();
        }
        if let Some(r) = returns {
            self.annotation(r);
        }
    }

    /// `symtable_visit_annotation`.
    fn annotation(&mut self, e: &Expr) {
        if self.future_annotations {
            let line = self.lineno(e.range());
            self.enter(ScopeKind::Annotation, "_annotation", 0, e.range(), line);
            self.expr(e);
            self.exit();
        } else {
            self.expr(e);
        }
    }

    fn params(&mut self, p: &Parameters) {
        let cur = self.cur();
        let param = |b: &mut Self, prm: &ast::Parameter| {
            let m = b.add_def(prm.name.as_str(), DEF_PARAM);
            let id = b.id(prm);
            b.binding(cur, m, "param", id, prm.name.range);
        };
        for pd in p
            .posonlyargs
            .iter()
            .chain(p.args.iter())
            .chain(p.kwonlyargs.iter())
        {
            param(self, &pd.parameter);
        }
        if let Some(v) = &p.vararg {
            param(self, v);
            self.tree.scopes[cur].has_varargs = true;
        }
        if let Some(k) = &p.kwarg {
            param(self, k);
            self.tree.scopes[cur].has_varkeywords = true;
        }
    }

    fn function_def(&mut self, f: &ast::StmtFunctionDef) {
        let cur = self.cur();
        let id = self.id(f);
        let m = self.add_def(f.name.as_str(), DEF_LOCAL);
        self.binding(cur, m, "def", id, f.name.range);
        self.defaults(&f.parameters);
        let generic = f
            .type_params
            .as_ref()
            .filter(|tp| !tp.type_params.is_empty());
        match generic {
            None => {
                self.annotations(&f.parameters, f.returns.as_deref(), id, f.range);
                for d in &f.decorator_list {
                    self.expr(&d.expression);
                }
            }
            Some(tp) => {
                // 3.12: decorators outside, annotations inside the type-parameter scope.
                for d in &f.decorator_list {
                    self.expr(&d.expression);
                }
                self.enter_type_params(f.name.as_str(), id, tp);
                self.annotations(&f.parameters, f.returns.as_deref(), id, f.range);
            }
        }
        let line = self.lineno(f.name.range);
        let body = self.enter(ScopeKind::Function, f.name.as_str(), id, f.range, line);
        self.tree.node_scopes.insert(node_key(f), body);
        if f.is_async {
            let s = self.cur();
            self.tree.scopes[s].is_coroutine = true;
        }
        self.params(&f.parameters);
        self.body(&f.body);
        self.exit();
        if generic.is_some() {
            self.exit();
        }
    }

    fn class_def(&mut self, c: &ast::StmtClassDef) {
        let cur = self.cur();
        let id = self.id(c);
        let m = self.add_def(c.name.as_str(), DEF_LOCAL);
        self.binding(cur, m, "class", id, c.name.range);
        let generic = c
            .type_params
            .as_ref()
            .filter(|tp| !tp.type_params.is_empty());
        if let Some(tp) = generic {
            for d in &c.decorator_list {
                self.expr(&d.expression);
            }
            self.enter_type_params(c.name.as_str(), id, tp);
        }
        if let Some(args) = &c.arguments {
            for item in args.iter_source_order() {
                match item {
                    ArgOrKeyword::Arg(e) => self.expr(e),
                    ArgOrKeyword::Keyword(k) => self.expr(&k.value),
                }
            }
        }
        if generic.is_none() {
            for d in &c.decorator_list {
                self.expr(&d.expression);
            }
        }
        let line = self.lineno(c.name.range);
        let body = self.enter(ScopeKind::Class, c.name.as_str(), id, c.range, line);
        self.tree.node_scopes.insert(node_key(c), body);
        let saved = self.private.replace(c.name.as_str().to_string());
        self.body(&c.body);
        self.private = saved;
        self.exit();
        if generic.is_some() {
            self.exit();
        }
    }

    /// Opens the `type_params` scope of a generic def, class or alias, binding its parameters.
    fn enter_type_params(&mut self, owner: &str, node_id: i64, tp: &ast::TypeParams) {
        let line = self.lineno(tp.range);
        let s = self.enter(
            ScopeKind::TypeParams,
            &format!("<generic parameters of {owner}>"),
            node_id,
            tp.range,
            line,
        );
        for p in &tp.type_params {
            let (name, bound, default) = match p {
                TypeParam::TypeVar(t) => (&t.name, t.bound.as_deref(), t.default.as_deref()),
                TypeParam::TypeVarTuple(t) => (&t.name, None, t.default.as_deref()),
                TypeParam::ParamSpec(t) => (&t.name, None, t.default.as_deref()),
            };
            let m = self.add_def(name.as_str(), DEF_LOCAL);
            let id = match p {
                TypeParam::TypeVar(t) => self.id(t),
                TypeParam::TypeVarTuple(t) => self.id(t),
                TypeParam::ParamSpec(t) => self.id(t),
            };
            self.binding(s, m, "type_param", id, name.range);
            for e in [bound, default].into_iter().flatten() {
                let line = self.lineno(e.range());
                self.enter(ScopeKind::Annotation, name.as_str(), id, e.range(), line);
                self.expr(e);
                self.exit();
            }
        }
    }

    fn type_alias(&mut self, t: &ast::StmtTypeAlias) {
        let id = self.id(t);
        let Expr::Name(n) = t.name.as_ref() else {
            self.expr(&t.name);
            return;
        };
        let cur = self.cur();
        let m = self.add_def(n.id.as_str(), DEF_LOCAL);
        let nid = self.id(n);
        self.binding(cur, m.clone(), "type_alias", nid, n.range);
        self.name_ref(m, "Store", nid, n.range);
        let generic = t
            .type_params
            .as_ref()
            .filter(|tp| !tp.type_params.is_empty());
        if let Some(tp) = generic {
            self.enter_type_params(n.id.as_str(), id, tp);
        }
        let line = self.lineno(t.range);
        self.enter(
            ScopeKind::TypeAlias,
            n.id.as_str(),
            id,
            t.value.range(),
            line,
        );
        self.expr(&t.value);
        self.exit();
        if generic.is_some() {
            self.exit();
        }
    }

    // ---- targets and patterns ---------------------------------------------------------

    fn targets(&mut self, targets: &[Expr], kind: &'static str) {
        for t in targets {
            self.target(t, kind);
        }
    }

    fn target(&mut self, e: &Expr, kind: &'static str) {
        let saved = std::mem::replace(&mut self.target_kind, kind);
        self.expr(e);
        self.target_kind = saved;
    }

    fn pattern(&mut self, p: &Pattern) {
        let capture = |b: &mut Self, name: &ast::Identifier, id: i64| {
            let cur = b.cur();
            let m = b.add_def(name.as_str(), DEF_LOCAL);
            b.binding(cur, m, "match", id, name.range);
        };
        match p {
            Pattern::MatchValue(v) => self.expr(&v.value),
            Pattern::MatchSingleton(_) => {}
            Pattern::MatchSequence(s) => {
                for p in &s.patterns {
                    self.pattern(p);
                }
            }
            Pattern::MatchMapping(m) => {
                for k in &m.keys {
                    self.expr(k);
                }
                for p in &m.patterns {
                    self.pattern(p);
                }
                if let Some(rest) = &m.rest {
                    let id = self.id(m);
                    capture(self, rest, id);
                }
            }
            Pattern::MatchClass(c) => {
                self.expr(&c.cls);
                for p in &c.arguments.patterns {
                    self.pattern(p);
                }
                for k in &c.arguments.keywords {
                    self.pattern(&k.pattern);
                }
            }
            Pattern::MatchStar(s) => {
                if let Some(name) = &s.name {
                    let id = self.id(s);
                    capture(self, name, id);
                }
            }
            Pattern::MatchAs(a) => {
                if let Some(p) = &a.pattern {
                    self.pattern(p);
                }
                if let Some(name) = &a.name {
                    let id = self.id(a);
                    capture(self, name, id);
                }
            }
            Pattern::MatchOr(o) => {
                for p in &o.patterns {
                    self.pattern(p);
                }
            }
        }
    }

    // ---- expressions ------------------------------------------------------------------

    fn opt_expr(&mut self, e: Option<&Expr>) {
        if let Some(e) = e {
            self.expr(e);
        }
    }

    fn exprs(&mut self, es: &[Expr]) {
        for e in es {
            self.expr(e);
        }
    }

    fn expr(&mut self, e: &Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expr_inner(e));
    }

    fn expr_inner(&mut self, e: &Expr) {
        match e {
            Expr::Name(n) => self.name(n),
            Expr::BoolOp(b) => self.exprs(&b.values),
            Expr::Named(n) => {
                // `symtable_extend_namedexpr_scope`: the target binds in the nearest enclosing
                // function (or the module), skipping comprehensions.
                self.expr(&n.value);
                if let Expr::Name(t) = n.target.as_ref() {
                    let cur = self.cur();
                    if self.tree.scopes[cur].comprehension {
                        self.walrus_in_comprehension(t);
                        let saved = std::mem::take(&mut self.target_kind);
                        self.name(t);
                        self.target_kind = saved;
                        return;
                    }
                }
                self.target(&n.target, "walrus");
            }
            Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::UnaryOp(u) => self.expr(&u.operand),
            Expr::Lambda(l) => {
                if let Some(p) = &l.parameters {
                    self.defaults(p);
                }
                let line = self.lineno(l.range);
                let id = self.id(l);
                let body = self.enter(ScopeKind::Lambda, "lambda", id, l.range, line);
                self.tree.node_scopes.insert(node_key(l), body);
                if let Some(p) = &l.parameters {
                    self.params(p);
                }
                self.expr(&l.body);
                self.exit();
            }
            Expr::If(i) => {
                self.expr(&i.test);
                self.expr(&i.body);
                self.expr(&i.orelse);
            }
            Expr::Dict(d) => {
                for item in &d.items {
                    if let Some(k) = &item.key {
                        self.expr(k);
                    }
                    self.expr(&item.value);
                }
            }
            Expr::Set(s) => self.exprs(&s.elts),
            Expr::ListComp(l) => {
                let id = self.id(l);
                self.comprehension(e, id, "listcomp", &l.generators, &l.elt, None, false);
            }
            Expr::SetComp(l) => {
                let id = self.id(l);
                self.comprehension(e, id, "setcomp", &l.generators, &l.elt, None, false);
            }
            Expr::DictComp(d) => {
                let id = self.id(d);
                match &d.key {
                    Some(k) => self.comprehension(
                        e,
                        id,
                        "dictcomp",
                        &d.generators,
                        k,
                        Some(&d.value),
                        false,
                    ),
                    None => {
                        self.comprehension(e, id, "dictcomp", &d.generators, &d.value, None, false)
                    }
                }
            }
            Expr::Generator(g) => {
                let id = self.id(g);
                self.comprehension(e, id, "genexpr", &g.generators, &g.elt, None, true);
            }
            Expr::Await(a) => {
                self.expr(&a.value);
                let cur = self.cur();
                self.tree.scopes[cur].is_coroutine = true;
            }
            Expr::Yield(y) => {
                self.opt_expr(y.value.as_deref());
                let cur = self.cur();
                self.tree.scopes[cur].is_generator = true;
            }
            Expr::YieldFrom(y) => {
                self.expr(&y.value);
                let cur = self.cur();
                self.tree.scopes[cur].is_generator = true;
            }
            Expr::Compare(c) => {
                self.expr(&c.left);
                self.exprs(&c.comparators);
            }
            Expr::Call(c) => {
                self.tree.node_scopes.insert(node_key(c), self.cur());
                self.expr(&c.func);
                let sole = c.arguments.len() == 1 && c.arguments.keywords.is_empty();
                for item in c.arguments.iter_source_order() {
                    match item {
                        ArgOrKeyword::Arg(a @ Expr::Generator(g)) if sole && !g.parenthesized => {
                            self.generator_range = Some(c.arguments.range);
                            self.expr(a);
                        }
                        ArgOrKeyword::Arg(a) => self.expr(a),
                        ArgOrKeyword::Keyword(k) => self.expr(&k.value),
                    }
                }
            }
            Expr::FString(f) => {
                for part in f.value.iter() {
                    if let ast::FStringPart::FString(fs) = part {
                        self.interpolated(&fs.elements);
                    }
                }
            }
            Expr::TString(t) => {
                for ts in t.value.iter() {
                    self.interpolated(&ts.elements);
                }
            }
            Expr::Attribute(a) => {
                let saved = std::mem::take(&mut self.target_kind);
                self.expr(&a.value);
                self.target_kind = saved;
            }
            Expr::Subscript(s) => {
                let saved = std::mem::take(&mut self.target_kind);
                self.expr(&s.value);
                self.expr(&s.slice);
                self.target_kind = saved;
            }
            Expr::Starred(s) => self.expr(&s.value),
            Expr::List(l) => self.exprs(&l.elts),
            Expr::Tuple(t) => self.exprs(&t.elts),
            Expr::Slice(s) => {
                self.opt_expr(s.lower.as_deref());
                self.opt_expr(s.upper.as_deref());
                self.opt_expr(s.step.as_deref());
            }
            Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_)
            | Expr::IpyEscapeCommand(_) => {}
        }
    }

    fn interpolated(&mut self, elements: &[InterpolatedStringElement]) {
        for el in elements {
            if let InterpolatedStringElement::Interpolation(i) = el {
                self.expr(&i.expression);
                if let Some(spec) = &i.format_spec {
                    self.interpolated(&spec.elements);
                }
            }
        }
    }

    fn name(&mut self, n: &ast::ExprName) {
        let id = self.id(n);
        let load = matches!(n.ctx, ExprContext::Load | ExprContext::Invalid);
        let flag = if load { USE } else { DEF_LOCAL };
        let cur = self.cur();
        let m = self.add_def(n.id.as_str(), flag);
        if !load && !self.target_kind.is_empty() {
            let kind = if n.ctx == ExprContext::Del {
                "del"
            } else {
                self.target_kind
            };
            self.binding(cur, m.clone(), kind, id, n.range);
        }
        let ctx = match n.ctx {
            ExprContext::Store => "Store",
            ExprContext::Del => "Del",
            _ => "Load",
        };
        self.name_ref(m, ctx, id, n.range);
        // `super` counts as a use of `__class__` (for the zero-argument form).
        if load && self.tree.scopes[cur].function_like && n.id.as_str() == "super" {
            self.add_def("__class__", USE);
        }
    }

    fn walrus_in_comprehension(&mut self, t: &ast::ExprName) {
        let name = t.id.as_str();
        let id = self.id(t);
        for i in (0..self.stack.len()).rev() {
            let s = self.stack[i];
            let scope = &self.tree.scopes[s];
            if scope.comprehension {
                continue;
            }
            if scope.kind == ScopeKind::Module {
                self.add_def(name, DEF_GLOBAL);
                let m = self.add_def_in(s, name, DEF_GLOBAL);
                self.binding(s, m, "walrus", id, t.range);
                return;
            }
            if scope.function_like {
                let flag = if scope.flags(&mangle(self.private.as_deref(), name)) & DEF_GLOBAL != 0
                {
                    DEF_GLOBAL
                } else {
                    DEF_NONLOCAL
                };
                self.add_def(name, flag);
                let m = self.add_def_in(s, name, DEF_LOCAL);
                self.binding(s, m, "walrus", id, t.range);
                return;
            }
            if scope.kind == ScopeKind::Class {
                // CPython rejects a walrus in a class-level comprehension; bind it locally.
                break;
            }
        }
        let cur = self.cur();
        let m = self.add_def(name, DEF_LOCAL);
        self.binding(cur, m, "walrus", id, t.range);
    }

    #[allow(clippy::too_many_arguments)]
    fn comprehension(
        &mut self,
        e: &Expr,
        node_id: i64,
        name: &str,
        generators: &[ast::Comprehension],
        elt: &Expr,
        value: Option<&Expr>,
        is_generator: bool,
    ) {
        let Some((outermost, rest)) = generators.split_first() else {
            return;
        };
        let range = match e {
            Expr::Generator(_) => self.generator_range.take().unwrap_or(e.range()),
            _ => e.range(),
        };
        // The outermost iterable is evaluated in the enclosing scope.
        let cur = self.cur();
        self.tree.scopes[cur].comp_iter_expr += 1;
        self.expr(&outermost.iter);
        self.tree.scopes[cur].comp_iter_expr -= 1;
        let line = self.lineno(range);
        let s = self.enter(ScopeKind::Comprehension, name, node_id, range, line);
        if outermost.is_async {
            self.tree.scopes[s].is_coroutine = true;
        }
        // The outermost iterable arrives as the implicit parameter `.0`.
        self.tree.scopes[s].or_flags(".0", DEF_PARAM);
        self.tree.scopes[s].comp_iter_target = true;
        self.target(&outermost.target, "comprehension");
        self.tree.scopes[s].comp_iter_target = false;
        self.exprs(&outermost.ifs);
        for g in rest {
            self.tree.scopes[s].comp_iter_target = true;
            self.target(&g.target, "comprehension");
            self.tree.scopes[s].comp_iter_target = false;
            self.tree.scopes[s].comp_iter_expr += 1;
            self.expr(&g.iter);
            self.tree.scopes[s].comp_iter_expr -= 1;
            self.exprs(&g.ifs);
            if g.is_async {
                self.tree.scopes[s].is_coroutine = true;
            }
        }
        if let Some(v) = value {
            self.expr(v);
        }
        self.expr(elt);
        self.tree.scopes[s].is_generator = is_generator;
        let is_async = self.tree.scopes[s].is_coroutine && !is_generator;
        self.exit();
        if is_async {
            let cur = self.cur();
            self.tree.scopes[cur].is_coroutine = true;
        }
    }
}

// ---- analysis ---------------------------------------------------------------------------

struct Analysis<'t> {
    scopes: &'t mut Vec<Scope>,
}

impl Analysis<'_> {
    /// `analyze_block`: decides the scope of every symbol of `s` and its descendants. `bound`
    /// is `None` for the module. Returns the free names `s` passes up.
    ///
    /// CPython also threads a set of the names declared `global` through the blocks (each
    /// child gets a copy); it only decides between two outcomes that are both
    /// `GLOBAL_IMPLICIT`, so it is left out here (copying it for every child of a module with
    /// hundreds of names was most of this analysis's time).
    fn block(&mut self, s: usize, bound: Option<&HashSet<Name>>) -> HashSet<Name> {
        let mut free = HashSet::default();
        let mut newbound = HashSet::default();
        let is_class = self.scopes[s].kind == ScopeKind::Class;
        let function_like = self.scopes[s].function_like;
        if is_class && let Some(b) = bound {
            newbound.extend(b.iter().cloned());
        }
        // The scope of each of the block's own symbols, by position (CPython's `scopes` dict:
        // its keys are exactly these symbols' names).
        let own = self.scopes[s].symbols.len();
        let mut scopes: Vec<SymScope> = Vec::with_capacity(own);
        for sym in &self.scopes[s].symbols {
            let (name, flags) = (&sym.name, sym.flags);
            let scope = if flags & DEF_GLOBAL != 0 {
                SymScope::GlobalExplicit
            } else if flags & DEF_NONLOCAL != 0 {
                free.insert(name.clone());
                SymScope::Free
            } else if flags & DEF_BOUND != 0 {
                // The locals are bound for the children of a function.
                if function_like && !is_class {
                    newbound.insert(name.clone());
                }
                SymScope::Local
            } else if bound.is_some_and(|b| b.contains(name)) {
                free.insert(name.clone());
                SymScope::Free
            } else {
                SymScope::GlobalImplicit
            };
            // CPython removes a `global` name from the enclosing bound set it was given; the set
            // is the caller's copy, so this only matters to this block's children.
            scopes.push(scope);
        }
        if !is_class {
            if let Some(b) = bound {
                let scope = &self.scopes[s];
                newbound.extend(
                    b.iter()
                        .filter(|n| {
                            scope
                                .symbol(n.as_str())
                                .is_none_or(|sym| sym.flags & DEF_GLOBAL == 0)
                        })
                        .cloned(),
                );
            }
        } else {
            newbound.insert(Name::new_static("__class__"));
        }
        let mut allfree = HashSet::default();
        let children = self.scopes[s].children.clone();
        for c in children {
            let child_free = self.block(c, Some(&newbound));
            // CPython 3.11 never attaches an `_annotation` block to its parent (its contents
            // become strings): it is analysed here for name resolution only, and what it
            // reads does not make the parent's locals cells.
            if !self.scopes[c].annotation_block {
                allfree.extend(child_free);
            }
        }
        // The children's free names: locals they need become cells (functions); a class
        // drops `__class__` (its methods' implicit closure).
        let mut newfree = allfree;
        let scope = &mut self.scopes[s];
        if function_like {
            for (sc, sym) in scopes.iter_mut().zip(&scope.symbols) {
                if *sc == SymScope::Local && newfree.remove(&sym.name) {
                    *sc = SymScope::Cell;
                }
            }
        } else if is_class {
            newfree.remove("__class__");
        }
        // update_symbols
        for (sym, sc) in scope.symbols.iter_mut().zip(scopes) {
            sym.scope = sc;
        }
        let mut passing: Vec<&Name> = newfree.iter().collect();
        passing.sort();
        for name in passing {
            if let Some(&i) = scope.index.get(name.as_str()) {
                let sym = &mut scope.symbols[i];
                if is_class && sym.flags & (DEF_BOUND | DEF_GLOBAL) != 0 {
                    sym.flags |= DEF_FREE_CLASS;
                }
                continue;
            }
            if bound.is_some_and(|b| !b.contains(name.as_str())) {
                continue; // a global
            }
            scope.index.insert(name.clone(), scope.symbols.len());
            scope.symbols.push(Symbol {
                name: name.clone(),
                flags: 0,
                scope: SymScope::Free,
            });
        }
        // What this block passes up: its own free names and its children's.
        free.extend(newfree);
        free
    }
}

/// Python 3.13's builtins (`dir(builtins)`), the names a reference resolves to as `builtin`.
/// Sorted (byte order), for binary search.
pub const BUILTINS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "Ellipsis",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "False",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "None",
    "NotADirectoryError",
    "NotImplemented",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "PythonFinalizationError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "True",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "__build_class__",
    "__debug__",
    "__doc__",
    "__import__",
    "__loader__",
    "__name__",
    "__package__",
    "__spec__",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

/// Module attributes set by the import system: a reference to one resolves to the module.
pub const MODULE_ATTRIBUTES: &[&str] = &[
    "__name__",
    "__file__",
    "__doc__",
    "__package__",
    "__spec__",
    "__loader__",
    "__path__",
    "__cached__",
    "__builtins__",
    "__annotations__",
    "__dict__",
];

fn is_builtin(name: &str) -> bool {
    BUILTINS.binary_search(&name).is_ok()
}

/// Resolves each reference: the scope whose binding it reads or writes, and how it got there.
fn resolve(tree: &mut ScopeTree) {
    let scopes = &tree.scopes;
    let bound_in = |s: usize, name: &str| {
        scopes[s]
            .symbol(name)
            .is_some_and(|sym| sym.flags & DEF_BOUND != 0)
    };
    let module_binds = |name: &str| {
        scopes[0]
            .symbol(name)
            .is_some_and(|sym| sym.flags & (DEF_BOUND | DEF_GLOBAL) != 0)
    };
    for r in tree.refs.iter_mut() {
        let s = r.scope;
        let scope = &scopes[s];
        let Some(sym) = scope.symbol(&r.name) else {
            continue;
        };
        let (resolved, how) = match sym.scope {
            SymScope::Local | SymScope::Cell => match scope.kind {
                ScopeKind::Module => (Some(0), "global"),
                ScopeKind::Class => (Some(s), "class"),
                _ => (Some(s), "local"),
            },
            SymScope::Free => {
                // The nearest enclosing function-like scope where the name is local or a cell
                // (class scopes are skipped, as at run time).
                let mut p = scope.parent;
                let mut found = None;
                while let Some(i) = p {
                    let ps = &scopes[i];
                    if ps.function_like
                        && ps
                            .symbol(&r.name)
                            .is_some_and(|x| matches!(x.scope, SymScope::Local | SymScope::Cell))
                    {
                        found = Some(i);
                        break;
                    }
                    p = ps.parent;
                }
                match found {
                    Some(i) => (Some(i), "enclosing"),
                    None if r.name == "__class__" => {
                        // The implicit cell a class creates for its methods' `__class__` (and
                        // zero-argument `super()`).
                        let mut p = scope.parent;
                        while let Some(i) = p.filter(|&i| scopes[i].kind != ScopeKind::Class) {
                            p = scopes[i].parent;
                        }
                        match p {
                            Some(c) => (Some(c), "class"),
                            None => (None, "unresolved"),
                        }
                    }
                    None => (None, "unresolved"),
                }
            }
            SymScope::GlobalExplicit | SymScope::GlobalImplicit => {
                // An annotation or type-parameter scope directly in a class sees the class's
                // names (PEP 695).
                let class_parent = scope
                    .parent
                    .filter(|&p| scopes[p].kind == ScopeKind::Class)
                    .filter(|_| {
                        matches!(
                            scope.kind,
                            ScopeKind::Annotation | ScopeKind::TypeParams | ScopeKind::TypeAlias
                        )
                    });
                if let Some(p) = class_parent.filter(|&p| bound_in(p, &r.name)) {
                    (Some(p), "class")
                } else if module_binds(&r.name) || MODULE_ATTRIBUTES.contains(&r.name.as_str()) {
                    (Some(0), "global")
                } else if is_builtin(&r.name) {
                    (None, "builtin")
                } else {
                    (None, "unresolved")
                }
            }
        };
        r.resolved = resolved;
        r.resolution = how;
    }
    // A binding statement declared `global` writes the module's namespace.
    for b in tree.bindings.iter_mut() {
        let site = &scopes[b.scope];
        if let Some(sym) = site.symbol(&b.name) {
            if sym.scope == SymScope::GlobalExplicit && b.kind != "global" {
                b.scope = 0;
            } else if sym.scope == SymScope::Free
                && sym.flags & DEF_NONLOCAL != 0
                && b.kind != "nonlocal"
            {
                let mut p = site.parent;
                while let Some(i) = p {
                    if scopes[i].function_like
                        && scopes[i]
                            .symbol(&b.name)
                            .is_some_and(|x| matches!(x.scope, SymScope::Local | SymScope::Cell))
                    {
                        b.scope = i;
                        break;
                    }
                    p = scopes[i].parent;
                }
            }
        }
    }
}

/// Does the module start with `from __future__ import annotations` (among its leading
/// docstring and `__future__` imports)?
fn has_future_annotations(body: &[Stmt]) -> bool {
    for (i, s) in body.iter().enumerate() {
        match s {
            Stmt::Expr(e) if i == 0 && e.value.is_string_literal_expr() => continue,
            Stmt::ImportFrom(f)
                if f.level == 0
                    && f.module
                        .as_ref()
                        .is_some_and(|m| m.as_str() == "__future__") =>
            {
                if f.names.iter().any(|a| a.name.as_str() == "annotations") {
                    return true;
                }
            }
            _ => return false,
        }
    }
    false
}

/// Builds and analyses the scopes of a module.
pub fn analyze(
    module: &ast::ModModule,
    module_node_id: i64,
    text_len: u32,
    ids: &NodeIds,
    index: &LineIndex,
    base: u32,
) -> ScopeTree {
    let mut b = Builder {
        tree: ScopeTree::default(),
        stack: Vec::new(),
        ids,
        index,
        base,
        private: None,
        future_annotations: has_future_annotations(&module.body),
        target_kind: "",
        generator_range: None,
    };
    let range = TextRange::new(0.into(), text_len.into());
    b.enter(ScopeKind::Module, "top", module_node_id, range, 0);
    b.body(&module.body);
    b.exit();
    let mut tree = b.tree;
    Analysis {
        scopes: &mut tree.scopes,
    }
    .block(0, None);
    resolve(&mut tree);
    tree
}

/// The stable id of a scope: file, kind, name and the span of the node that opens it, with
/// its position among the scopes (two scopes may share a node: a def and its type params).
pub fn scope_id(file_id: i64, scope: &Scope, ordinal: usize) -> i64 {
    StableId::new("scope")
        .int(file_id)
        .str(scope.kind.as_str())
        .str(&scope.name)
        .int(scope.range.start().to_u32() as i64)
        .int(scope.range.end().to_u32() as i64)
        .int(ordinal as i64)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze_src(src: &str) -> ScopeTree {
        let (parsed, ids) = crate::ast::parse_for_test(src);
        let index = LineIndex::new(src, 0);
        analyze(parsed.syntax(), 0, src.len() as u32, &ids, &index, 0)
    }

    /// (scope qualname, resolution, resolved scope qualname) of every reference to `name`,
    /// in source order.
    fn refs(t: &ScopeTree, name: &str) -> Vec<(String, &'static str, String)> {
        let q = |i: usize| match t.scopes[i].kind {
            ScopeKind::Module => "<module>".to_string(),
            _ => t.scopes[i].qualname.clone(),
        };
        let mut v: Vec<_> = t.refs.iter().filter(|r| r.name == name).collect();
        v.sort_by_key(|r| r.range.start());
        v.iter()
            .map(|r| {
                (
                    q(r.scope),
                    r.resolution,
                    r.resolved.map(q).unwrap_or_default(),
                )
            })
            .collect()
    }

    fn r(scope: &str, how: &'static str, target: &str) -> (String, &'static str, String) {
        (scope.to_string(), how, target.to_string())
    }

    #[test]
    fn qualnames_follow_cpython() {
        let t = analyze_src(
            "def f():\n    global P\n    class P:\n        def m(self): pass\n    g = [[x for x in y] for y in z]\n    return lambda: (i for i in ())\n",
        );
        let q: Vec<&str> = t.scopes.iter().map(|s| s.qualname.as_str()).collect();
        assert_eq!(
            q,
            [
                "",
                "f",
                "P",
                "P.m",
                "f.<locals>.<listcomp>",
                "f.<locals>.<listcomp>.<listcomp>",
                "f.<locals>.<lambda>",
                "f.<locals>.<lambda>.<locals>.<genexpr>",
            ]
        );
    }

    #[test]
    fn builtins_are_sorted_for_binary_search() {
        assert!(BUILTINS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_builtin("len") && is_builtin("ExceptionGroup") && !is_builtin("lenx"));
    }

    #[test]
    fn class_scopes_are_skipped_by_nested_functions() {
        let t = analyze_src(
            "x = 1\nclass C:\n    x = 2\n    def m(self):\n        return x\n    y = x\n",
        );
        assert_eq!(
            refs(&t, "x"),
            vec![
                r("<module>", "global", "<module>"),
                r("C", "class", "C"),
                r("C.m", "global", "<module>"),
                r("C", "class", "C")
            ]
        );
    }

    #[test]
    fn globals_bound_later_or_elsewhere() {
        let src = "def f():\n    return g + z\ng = 1\ndef h():\n    global z\n    z = 2\nprint(z, undefined_name)\n";
        let t = analyze_src(src);
        assert_eq!(
            refs(&t, "g"),
            vec![
                r("f", "global", "<module>"),
                r("<module>", "global", "<module>")
            ]
        );
        assert_eq!(
            refs(&t, "z"),
            vec![
                r("f", "global", "<module>"),
                r("h", "global", "<module>"),
                r("h", "global", "<module>"),
                r("<module>", "global", "<module>"),
            ]
        );
        assert_eq!(refs(&t, "print"), vec![r("<module>", "builtin", "")]);
        assert_eq!(
            refs(&t, "undefined_name"),
            vec![r("<module>", "unresolved", "")]
        );
        // `z = 2` under `global z` binds the module's z.
        let b = t
            .bindings
            .iter()
            .find(|b| b.name == "z" && b.kind == "assign")
            .unwrap();
        assert_eq!(
            (t.scopes[b.scope].kind, t.scopes[b.site_scope].name.as_str()),
            (ScopeKind::Module, "h")
        );
    }

    #[test]
    fn nonlocal_chains_reach_the_binding_function() {
        let src = "def a():\n    v = 0\n    def b():\n        def c():\n            nonlocal v\n            v += 1\n        return c\n    return b\n";
        let t = analyze_src(src);
        assert_eq!(
            refs(&t, "v"),
            vec![
                r("a", "local", "a"),
                r("a.<locals>.b.<locals>.c", "enclosing", "a"),
                r("a.<locals>.b.<locals>.c", "enclosing", "a")
            ]
        );
        let a = &t.scopes[1];
        assert_eq!(a.symbol("v").map(|s| s.scope), Some(SymScope::Cell));
        let b = t.scopes.iter().find(|s| s.name == "b").unwrap();
        assert_eq!(b.symbol("v").map(|s| s.scope), Some(SymScope::Free));
        let aug = t.bindings.iter().find(|x| x.kind == "augassign").unwrap();
        assert_eq!(t.scopes[aug.scope].name, "a");
    }

    #[test]
    fn comprehension_iterables_are_evaluated_in_the_enclosing_scope() {
        let src = "class K:\n    items = [1]\n    doubled = [i * 2 for i in items]\n    bad = [items for _ in range(3)]\n";
        let t = analyze_src(src);
        assert_eq!(
            refs(&t, "items"),
            vec![
                r("K", "class", "K"),
                r("K", "class", "K"),
                r("K.<listcomp>", "unresolved", "")
            ]
        );
        assert_eq!(
            refs(&t, "i"),
            vec![
                r("K.<listcomp>", "local", "K.<listcomp>"),
                r("K.<listcomp>", "local", "K.<listcomp>")
            ]
        );
        let comp = t
            .scopes
            .iter()
            .find(|s| s.kind == ScopeKind::Comprehension)
            .unwrap();
        assert!(comp.symbol(".0").is_some_and(|s| s.is(DEF_PARAM)));
    }

    #[test]
    fn defaults_and_decorators_are_evaluated_outside_the_function() {
        let src = "def deco(f):\n    return f\ndef outer():\n    d = 1\n    @deco\n    def inner(p=d):\n        return p\n    return inner\n";
        let t = analyze_src(src);
        assert_eq!(
            refs(&t, "d"),
            vec![r("outer", "local", "outer"), r("outer", "local", "outer")]
        );
        assert_eq!(refs(&t, "deco"), vec![r("outer", "global", "<module>")]);
        assert_eq!(
            refs(&t, "p"),
            vec![r("outer.<locals>.inner", "local", "outer.<locals>.inner")]
        );
        // `d` is read by outer itself, not by inner: it stays a plain local.
        assert_eq!(
            t.scopes[2].symbol("d").map(|s| s.scope),
            Some(SymScope::Local)
        );
    }

    #[test]
    fn super_and_dunder_class_use_the_class_cell() {
        let src = "class A:\n    def m(self):\n        super().m()\n        return __class__\n";
        let t = analyze_src(src);
        assert_eq!(refs(&t, "super"), vec![r("A.m", "builtin", "")]);
        assert_eq!(refs(&t, "__class__"), vec![r("A.m", "class", "A")]);
        let m = t.scopes.iter().find(|s| s.name == "m").unwrap();
        assert_eq!(m.symbol("__class__").map(|s| s.scope), Some(SymScope::Free));
        let a = t.scopes.iter().find(|s| s.name == "A").unwrap();
        assert!(a.symbol("__class__").is_none());
    }

    #[test]
    fn walrus_in_a_comprehension_binds_in_the_enclosing_function() {
        let t =
            analyze_src("def f(xs):\n    if any((last := x) for x in xs):\n        return last\n");
        let b = t.bindings.iter().find(|b| b.kind == "walrus").unwrap();
        assert_eq!(t.scopes[b.scope].name, "f");
        assert_eq!(
            refs(&t, "last"),
            vec![
                r("f.<locals>.<genexpr>", "enclosing", "f"),
                r("f", "local", "f")
            ]
        );
    }

    #[test]
    fn private_names_are_mangled_in_classes() {
        let t =
            analyze_src("class C:\n    __x = 1\n    def m(self):\n        return self.__x, __y\n");
        assert!(t.scopes[1].symbol("_C__x").is_some());
        assert_eq!(refs(&t, "_C__y"), vec![r("C.m", "unresolved", "")]);
    }

    #[test]
    fn pep695_type_parameter_and_alias_scopes() {
        let src = "class Base[T]: pass\nclass C[T](Base[T]):\n    def m[U](self, x: U) -> T:\n        return x\ntype Alias[K: int] = dict[K, int]\n";
        let t = analyze_src(src);
        let kinds: Vec<_> = t
            .scopes
            .iter()
            .map(|s| (s.kind.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("module", "top"),
                ("type_params", "<generic parameters of Base>"),
                ("class", "Base"),
                ("type_params", "<generic parameters of C>"),
                ("class", "C"),
                ("type_params", "<generic parameters of m>"),
                ("function", "m"),
                ("type_params", "<generic parameters of Alias>"),
                ("annotation", "K"),
                ("type_alias", "Alias"),
            ]
        );
        // `Base[T]` is evaluated in C's type-parameter scope; `-> T` in m's, which reads T
        // from C's across the class.
        assert_eq!(
            refs(&t, "T"),
            [
                r(
                    "<generic parameters of C>",
                    "local",
                    "<generic parameters of C>"
                ),
                r(
                    "C.<generic parameters of m>",
                    "enclosing",
                    "<generic parameters of C>"
                ),
            ]
        );
        assert_eq!(
            refs(&t, "U"),
            vec![r(
                "C.<generic parameters of m>",
                "local",
                "C.<generic parameters of m>"
            )]
        );
        assert_eq!(
            refs(&t, "K"),
            vec![r("Alias", "enclosing", "<generic parameters of Alias>")]
        );
        assert!(
            t.bindings
                .iter()
                .any(|b| b.kind == "type_param" && b.name == "K")
        );
    }

    /// CPython 3.11 quirk: `symtable.py` takes any table *named* `top` for the module, so the
    /// parameter of `def top(a)` is reported `is_global()`. codelake reports what Python does:
    /// `a` is a plain local of `top`.
    #[test]
    fn cpython_quirk_function_named_top() {
        let t = analyze_src("def top(a):\n    pass\n");
        let top = t
            .scopes
            .iter()
            .find(|s| s.kind == ScopeKind::Function)
            .unwrap();
        assert_eq!(top.symbol("a").map(|s| s.scope), Some(SymScope::Local));
        let script = "import symtable\nt = symtable.symtable('def top(a):\\n    pass\\n', 'x', 'exec')\nprint(t.get_children()[0].lookup('a').is_global())";
        let python = std::env::var("CODELAKE_PYTHON").unwrap_or_else(|_| "python3".into());
        if let Ok(out) = std::process::Command::new(python)
            .args(["-c", script])
            .output()
        {
            let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let version = std::process::Command::new("python3")
                .args(["-c", "import sys; print(sys.version_info[:2] >= (3, 12))"])
                .output();
            if version.is_ok_and(|v| String::from_utf8_lossy(&v.stdout).trim() == "False") {
                assert_eq!(said, "True", "CPython 3.11's symtable quirk");
            }
        }
    }

    /// CPython 3.11 quirk: with `from __future__ import annotations` the symbol table creates
    /// an `_annotation` block for annotations but never attaches it to its parent. codelake
    /// keeps it as an `annotation` scope of the enclosing scope; it does not change the
    /// enclosing scope's symbols.
    #[test]
    fn cpython_quirk_detached_annotation_blocks() {
        let src =
            "from __future__ import annotations\ndef f():\n    v = 1\n    def g(x: v) -> v: pass\n";
        let t = analyze_src(src);
        let f = t.scopes.iter().find(|s| s.name == "f").unwrap();
        assert_eq!(f.symbol("v").map(|s| s.scope), Some(SymScope::Local)); // not a cell
        // One block for f's (absent) parameter annotations, as CPython opens it regardless,
        // and two for g's parameter and return annotations, inside f.
        let ann: Vec<_> = t.scopes.iter().filter(|s| s.annotation_block).collect();
        let parents: Vec<_> = ann
            .iter()
            .map(|a| t.scopes[a.parent.unwrap()].name.as_str())
            .collect();
        assert_eq!(parents, vec!["top", "f", "f"]);
        assert!(
            refs(&t, "v")[1..]
                .iter()
                .all(|x| x.1 == "enclosing" && x.2 == "f")
        );
    }
}
