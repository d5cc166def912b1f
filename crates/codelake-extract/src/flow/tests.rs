use codelake_schema::span::LineIndex;

use super::graph::analyze;
use super::reach::def_uses;
use super::*;
use crate::scopes;

struct Parsed {
    tree: ScopeTree,
    flows: Vec<ScopeFlow>,
    src: String,
}

fn build_src(src: &str) -> Parsed {
    let (parsed, ids) = crate::ast::parse_for_test(src);
    let index = LineIndex::new(src, 0);
    let module_id = ids.get(parsed.syntax()).unwrap_or(0);
    let tree = scopes::analyze(
        parsed.syntax(),
        module_id,
        src.len() as u32,
        &ids,
        &index,
        0,
    );
    let flows = build(parsed.syntax(), &tree, &ids);
    Parsed {
        tree,
        flows,
        src: src.to_string(),
    }
}

impl Parsed {
    fn flow(&self, name: &str) -> &ScopeFlow {
        self.flows
            .iter()
            .find(|f| {
                let s = &self.tree.scopes[f.scope];
                s.qualname == name || (name == "<module>" && f.scope == 0)
            })
            .unwrap_or_else(|| panic!("no scope {name}"))
    }

    fn render(&self, name: &str) -> String {
        render::render(self.flow(name), &self.src, name)
    }

    /// The nodes of a scope whose source text starts with `text` (and role, if given).
    fn nodes(&self, name: &str, text: &str, role: &str) -> Vec<u32> {
        let f = self.flow(name);
        (0..f.nodes.len() as u32)
            .filter(|&i| {
                let n = &f.nodes[i as usize];
                n.range
                    .is_some_and(|r| self.src[r.start().to_usize()..].starts_with(text))
                    && (role.is_empty() || n.role == role)
            })
            .collect()
    }

    fn node(&self, name: &str, text: &str, role: &str) -> u32 {
        let v = self.nodes(name, text, role);
        assert_eq!(
            v.len(),
            1,
            "nodes for `{text}` ({role}) in {name}: {v:?}\n{}",
            self.render(name)
        );
        v[0]
    }

    /// Whether `dst` is reachable from `src`, following edges.
    fn reaches(&self, name: &str, src: u32, dst: u32) -> bool {
        let f = self.flow(name);
        let mut seen = vec![false; f.nodes.len()];
        let mut stack = vec![src];
        while let Some(v) = stack.pop() {
            for e in f.edges.iter().filter(|e| e.src == v) {
                if e.dst == dst {
                    return true;
                }
                if !std::mem::replace(&mut seen[e.dst as usize], true) {
                    stack.push(e.dst);
                }
            }
        }
        false
    }

    fn edge(&self, name: &str, src: u32, dst: u32) -> Option<EdgeKind> {
        self.flow(name)
            .edges
            .iter()
            .find(|e| e.src == src && e.dst == dst)
            .map(|e| e.kind)
    }

    /// (variable, use line, def line, def kind) of every local def-use pair of a scope.
    fn def_uses(&self, name: &str) -> Vec<(String, usize, usize, &'static str)> {
        let f = self.flow(name);
        let g = analyze(f);
        let tracked = super::reach::tracked(f, &self.tree.scopes[f.scope]);
        let index = LineIndex::new(&self.src, 0);
        let line = |r: TextRange| index.line_col(r.start().to_u32()).line as usize;
        let mut out: Vec<_> = def_uses(f, &g, &tracked)
            .into_iter()
            .map(|du| {
                let u = &f.events_of(du.use_node)[du.use_event as usize];
                let d = &f.events_of(du.def_node)[du.def_event as usize];
                let kind = match d.access {
                    Access::Write(k) | Access::MayWrite(k) => k,
                    Access::Read => "read",
                };
                (
                    f.names[u.var as usize].to_string(),
                    line(u.range),
                    line(d.range),
                    kind,
                )
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn du(
    var: &str,
    use_line: usize,
    def_line: usize,
    kind: &'static str,
) -> (String, usize, usize, &'static str) {
    (var.to_string(), use_line, def_line, kind)
}

#[test]
fn every_scope_has_a_graph_with_three_fixed_nodes() {
    let p =
        build_src("x = [i for i in range(3)]\nf = lambda a: a\nclass C:\n    def m(self): pass\n");
    let names: Vec<&str> = p
        .flows
        .iter()
        .map(|f| p.tree.scopes[f.scope].kind.as_str())
        .collect();
    assert_eq!(
        names,
        ["module", "comprehension", "lambda", "class", "function"]
    );
    for f in &p.flows {
        assert_eq!(f.nodes[ENTRY as usize].kind, "entry");
        assert_eq!(f.nodes[EXIT as usize].kind, "exit");
        assert_eq!(f.nodes[EXCEPTION_EXIT as usize].kind, "exception_exit");
        // Every node but the exits has a way out.
        for i in 3..f.nodes.len() as u32 {
            assert!(f.edges.iter().any(|e| e.src == i), "node {i} is a dead end");
        }
    }
}

#[test]
fn if_elif_else_branches() {
    let p = build_src(
        "def f(x):\n    if x > 0:\n        a = 1\n    elif x < 0:\n        a = 2\n    else:\n        a = 3\n    return a\n",
    );
    let t1 = p.node("f", "if x > 0", "test");
    let t2 = p.node("f", "elif x < 0", "test");
    let a1 = p.node("f", "a = 1", "");
    let a3 = p.node("f", "a = 3", "");
    let ret = p.node("f", "return a", "");
    assert_eq!(p.edge("f", t1, a1), Some(EdgeKind::True));
    assert_eq!(p.edge("f", t1, t2), Some(EdgeKind::False));
    assert_eq!(p.edge("f", t2, a3), Some(EdgeKind::False));
    assert_eq!(p.edge("f", a1, ret), Some(EdgeKind::Normal));
    assert_eq!(p.edge("f", ret, EXIT), Some(EdgeKind::Return));
    assert_eq!(
        p.def_uses("f"),
        [
            du("a", 8, 3, "assign"),
            du("a", 8, 5, "assign"),
            du("a", 8, 7, "assign"),
            du("x", 2, 1, "param"),
            du("x", 4, 1, "param")
        ]
    );
}

#[test]
fn loops_with_else_break_and_continue() {
    let src = "def f(xs):\n    for x in xs:\n        if x:\n            continue\n        if x is None:\n            break\n    else:\n        y = 1\n    while xs:\n        xs = xs[1:]\n    else:\n        z = 2\n    while True:\n        pass\n";
    let p = build_src(src);
    let head = p.node("f", "for x in xs", "next");
    let cont = p.node("f", "continue", "");
    let brk = p.node("f", "break", "");
    let y = p.node("f", "y = 1", "");
    let w = p.node("f", "while xs", "test");
    let z = p.node("f", "z = 2", "");
    assert_eq!(p.edge("f", cont, head), Some(EdgeKind::Continue));
    assert_eq!(p.edge("f", head, y), Some(EdgeKind::Exhausted));
    // break skips the else.
    assert_eq!(p.edge("f", brk, w), Some(EdgeKind::Break));
    assert!(!p.reaches("f", brk, y));
    assert_eq!(p.edge("f", w, z), Some(EdgeKind::False));
    // `while True` has no false edge: nothing after it is reachable but by exceptions.
    let wt = p.node("f", "while True", "test");
    assert!(
        p.flow("f")
            .edges
            .iter()
            .all(|e| !(e.src == wt && e.kind == EdgeKind::False))
    );
    assert!(!p.reaches("f", wt, EXIT));
}

#[test]
fn finally_runs_on_every_way_out() {
    let src = "def f(xs):\n    for x in xs:\n        try:\n            if x:\n                return 1\n            if x is None:\n                break\n            if x == 0:\n                continue\n            g(x)\n        finally:\n            done()\n    return 0\n";
    let p = build_src(src);
    // One copy of the finally body per way in: normal, exception, return, break, continue.
    let copies = p.nodes("f", "done()", "");
    assert_eq!(copies.len(), 10, "{}", p.render("f")); // Call and Expr per copy
    let f = p.flow("f");
    let kinds: Vec<u32> = {
        let mut c: Vec<u32> = copies.iter().map(|&n| f.nodes[n as usize].copy).collect();
        c.sort();
        c.dedup();
        c
    };
    assert_eq!(kinds.len(), 5);
    // The return copy ends at EXIT with a return edge; the exception copy at EXCEPTION_EXIT.
    let ret = p.node("f", "return 1", "");
    assert!(
        p.edge("f", ret, EXIT).is_none(),
        "a return inside try goes through finally"
    );
    let into: Vec<EdgeKind> = f
        .edges
        .iter()
        .filter(|e| e.dst == EXIT)
        .map(|e| e.kind)
        .collect();
    assert!(into.contains(&EdgeKind::Return));
    assert!(
        f.edges
            .iter()
            .any(|e| e.dst == EXCEPTION_EXIT && e.kind == EdgeKind::Exception && !e.implicit)
    );
    // A path from return to EXIT passes through a copy of the finally body, and never
    // reaches the statement after the loop.
    let after = p.node("f", "return 0", "");
    assert!(!p.reaches("f", ret, after));
    let brk = p.node("f", "break", "");
    assert!(p.reaches("f", brk, after));
}

#[test]
fn try_except_else_with_handlers() {
    let src = "def f():\n    try:\n        a = g()\n    except ValueError as e:\n        b = e\n    except (KeyError, TypeError):\n        b = 2\n    else:\n        b = a\n    return b\n";
    let p = build_src(src);
    let call = p.node("f", "g()", "");
    let h1 = p.node("f", "except ValueError", "test");
    let h2 = p.node("f", "except (KeyError", "test");
    let orelse = p.node("f", "b = a", "");
    assert_eq!(p.edge("f", call, h1), Some(EdgeKind::Exception));
    assert_eq!(p.edge("f", h1, h2), Some(EdgeKind::False));
    // The last typed handler's failure re-raises.
    assert!(
        p.flow("f")
            .edges
            .iter()
            .any(|e| e.src == h2 && e.dst == EXCEPTION_EXIT && !e.implicit)
    );
    let assign = p.node("f", "a = g()", "");
    assert_eq!(p.edge("f", assign, orelse), Some(EdgeKind::Normal));
    let du = p.def_uses("f");
    assert!(du.contains(&du_("e", 5, 4, "except")));
    // After the handler, `e` is deleted: the implicit del is a definition, and no read of e
    // after the try would see the binding.
    let cleanup = p.nodes("f", "except ValueError", "cleanup");
    assert!(!cleanup.is_empty());
    assert!(du.contains(&du_("b", 10, 5, "assign")) && du.contains(&du_("b", 10, 9, "assign")));
}

fn du_(var: &str, u: usize, d: usize, k: &'static str) -> (String, usize, usize, &'static str) {
    du(var, u, d, k)
}

#[test]
fn with_exit_on_every_path() {
    let src =
        "def f(p):\n    with open(p) as fh, lock:\n        data = fh.read()\n    return data\n";
    let p = build_src(src);
    let exits = p.nodes("f", "open(p) as fh", "exit");
    // normal and exception copies of __exit__ for the first item.
    assert_eq!(exits.len(), 2, "{}", p.render("f"));
    let read = p.node("f", "fh.read()", "");
    assert!(
        exits
            .iter()
            .any(|&x| p.edge("f", read, x).is_none() && p.reaches("f", read, x))
    );
    // The exception copy may swallow the exception: it continues after the with too.
    let ret = p.node("f", "return data", "");
    let f = p.flow("f");
    let exc_copy = exits
        .iter()
        .copied()
        .find(|&x| f.nodes[x as usize].copy != 0)
        .unwrap();
    assert!(p.reaches("f", exc_copy, ret));
    assert!(
        f.edges
            .iter()
            .any(|e| e.src == exc_copy && e.dst == EXCEPTION_EXIT && !e.implicit)
    );
}

#[test]
fn match_cases_and_guards() {
    let src = "def f(cmd):\n    match cmd:\n        case [x]:\n            r = x\n        case [x, y] if y:\n            r = y\n        case _:\n            r = None\n    return r\n";
    let p = build_src(src);
    let c1 = p.node("f", "[x]", "pattern");
    let c2 = p.node("f", "[x, y]", "pattern");
    let g = p.node("f", "y:", "guard");
    let wild = p.node("f", "_", "pattern");
    assert_eq!(p.edge("f", c1, c2), Some(EdgeKind::False));
    assert_eq!(p.edge("f", g, wild), Some(EdgeKind::False));
    // `case _` cannot fail.
    assert!(
        p.flow("f")
            .edges
            .iter()
            .all(|e| !(e.src == wild && e.kind == EdgeKind::False))
    );
    let du = p.def_uses("f");
    assert!(du.contains(&du_("x", 4, 3, "match")));
    assert!(du.contains(&du_("y", 5, 5, "match")));
    assert!(du.contains(&du_("r", 9, 8, "assign")));
}

#[test]
fn short_circuit_and_conditional_expressions() {
    let src = "def f(a, b):\n    x = a and g(b) or h()\n    y = g(a) if b else h()\n";
    let p = build_src(src);
    let ga = p.node("f", "g(a)", "");
    let hy = p.nodes("f", "h()", "");
    let ty = p.node("f", "b else", "test");
    assert_eq!(p.edge("f", ty, ga), Some(EdgeKind::True));
    assert_eq!(p.edge("f", ty, hy[1]), Some(EdgeKind::False));
    let tests = p.nodes("f", "a and", "test");
    let f = p.flow("f");
    let ta = tests
        .iter()
        .copied()
        .find(|&t| f.nodes[t as usize].kind == "Name")
        .unwrap();
    let tand = tests
        .iter()
        .copied()
        .find(|&t| f.nodes[t as usize].kind == "BoolOp")
        .unwrap();
    let gb = p.node("f", "g(b)", "");
    assert_eq!(p.edge("f", ta, gb), Some(EdgeKind::True));
    // `a` false skips g(b): its value is the `and`'s, tested by the `or`.
    assert_eq!(p.edge("f", ta, tand), Some(EdgeKind::False));
    assert_eq!(p.edge("f", tand, hy[0]), Some(EdgeKind::False));
    let x = p.node("f", "x = a", "");
    assert_eq!(p.edge("f", tand, x), Some(EdgeKind::True));
}

#[test]
fn assert_raise_and_generators() {
    let src = "def f(x):\n    assert x, 'no'\n    y = yield x\n    await_it = 1\n    if y:\n        raise ValueError(y)\n    return y\n";
    let p = build_src(src);
    let a = p.node("f", "assert x", "test");
    let yl = p.node("f", "yield x", "");
    assert_eq!(p.edge("f", a, yl), Some(EdgeKind::True));
    // A failed assert raises: its false edge leaves the function (the message is a constant,
    // with nothing to evaluate).
    assert!(
        p.flow("f")
            .edges
            .iter()
            .any(|e| e.src == a && e.dst == EXCEPTION_EXIT && e.kind == EdgeKind::False)
    );
    let r = p.node("f", "raise", "");
    assert!(
        p.flow("f")
            .edges
            .iter()
            .any(|e| e.src == r && e.dst == EXCEPTION_EXIT && !e.implicit)
    );
}

#[test]
fn globals_and_nonlocals_are_not_local_flow() {
    let src = "g = 0\ndef f():\n    global g\n    g = 1\n    return g\ndef outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n += 1\n        return n\n    n = 5\n    return inner\n";
    let p = build_src(src);
    assert!(p.def_uses("f").is_empty());
    assert!(p.def_uses("outer.<locals>.inner").is_empty());
}

#[test]
fn comprehension_and_walrus() {
    let src = "def f(xs):\n    ys = [y for x in xs if (y := x * 2)]\n    return y, ys\n";
    let p = build_src(src);
    let du = p.def_uses("f");
    // The walrus may bind y in f (if the comprehension ran it).
    assert!(du.contains(&du_("y", 3, 2, "walrus")), "{du:?}");
    assert!(du.contains(&du_("xs", 2, 1, "param")));
    let c = p.def_uses("f.<locals>.<listcomp>");
    assert!(c.contains(&du_("x", 2, 2, "comprehension")), "{c:?}");
    assert!(c.contains(&du_(".0", 2, 2, "param")), "{c:?}");
}

#[test]
fn deleted_and_augmented_names() {
    let src = "def f(a):\n    a += 1\n    del a\n    a = 2\n    return a\n";
    let p = build_src(src);
    assert_eq!(
        p.def_uses("f"),
        [du("a", 2, 1, "param"), du("a", 5, 4, "assign")]
    );
}

#[test]
fn dominators_and_post_dominators() {
    let src = "def f(x):\n    a = 1\n    if x:\n        b = 2\n    c = 3\n";
    let p = build_src(src);
    let f = p.flow("f");
    let g = analyze(f);
    let a = p.node("f", "a = 1", "");
    let t = p.node("f", "if x", "test");
    let b = p.node("f", "b = 2", "");
    let c = p.node("f", "c = 3", "");
    assert_eq!(g.idom[t as usize], Some(a));
    assert_eq!(g.idom[b as usize], Some(t));
    assert_eq!(g.idom[c as usize], Some(t));
    assert_eq!(g.ipdom[t as usize], Some(c));
    assert_eq!(g.ipdom[b as usize], Some(c));
    // b depends on the true edge of the test; c on nothing in the function.
    assert!(g.control_deps.contains(&(b, t, EdgeKind::True)));
    assert!(!g.control_deps.iter().any(|d| d.0 == c));
}

#[test]
fn private_names_are_mangled() {
    let src = "class C:\n    def m(self):\n        __x = 1\n        return __x\n";
    let p = build_src(src);
    assert_eq!(p.def_uses("C.m"), [du("_C__x", 4, 3, "assign"),]);
}

#[test]
fn huge_function_is_linear() {
    // A function of 20,000 statements over 2,000 variables: the bit sets stay small per
    // block and the analysis finishes at once (a quadratic one would not).
    let mut src = String::from("def f(a):\n");
    for i in 0..20_000 {
        src.push_str(&format!("    v{} = v{} + a\n", i % 2000, (i + 1) % 2000));
        if i % 100 == 0 {
            src.push_str("    if a:\n        a = 1\n");
        }
    }
    let p = build_src(&src);
    let f = p.flow("f");
    assert!(f.nodes.len() > 20_000);
    let g = analyze(f);
    let tracked = vec![true; f.names.len()];
    let pairs = def_uses(f, &g, &tracked);
    assert!(pairs.len() > 19_000);
}
