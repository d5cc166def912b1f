//! Soundness of the flow layer against real executions: CPython's own test modules run under
//! `sys.settrace` (`tests/oracles/trace_flow.py`), and everything they did must be possible
//! in the static graphs codelake builds for the same files.
//!
//! * **Control flow.** Each observed line transition of a frame (`entry` → first line, line →
//!   line, last line → `exit` or `raise`) is projected to statements: a line stands for the
//!   statements whose own lines hold it (a compound statement owns its header lines; a `def`
//!   its decorators). The transition must be a path in `cfg_edges` from a node of one of the
//!   first line's statements to a node of one of the second's, through nodes of those
//!   statements only (or of statements that compile to nothing: `global`, `nonlocal`, a
//!   docstring or other constant expression statement) and of the implicit `del` after
//!   `except ... as name`, which has no line. Two lines of one statement are a move inside it
//!   (a multi-line expression) and hold trivially, as does the entry to the code object's own
//!   first line (its `def` or first decorator, before the first statement).
//! * **Def-use.** Each read of a local (`LOAD_FAST`, from opcode tracing) with the line of the
//!   store that last wrote the variable in that frame (or "a parameter, not rebound") must be
//!   a row of `defs_uses`: the read's line and a definition whose site spans the store's line.
//!
//! Code objects are matched to `scopes` by qualname and line. The shares are printed; every
//! miss is listed, and the test fails on any.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use codelake_extract::{ExtractConfig, Table, extract_file};

/// Test modules whose code (and the standard library modules they exercise) is traced: pure
/// Python code with loops, exceptions, `with`, generators, comprehensions and closures.
const MODULES: &[&str] = &[
    "test.test_textwrap",
    "test.test_shlex",
    "test.test_tomllib",
    "test.test_difflib",
    "test.test_fnmatch",
    "test.test_colorsys",
    "test.test_contextlib",
    "test.test_with",
    "test.test_raise",
    "test.test_exceptions",
    "test.test_patma",
    "test.test_scope",
    "test.test_generators",
    "test.test_coroutines",
];

/// Standard library files whose bytecode is compared (relative to the stdlib directory).
const DIS_FILES: &[&str] = &[
    "textwrap.py",
    "shlex.py",
    "difflib.py",
    "contextlib.py",
    "tomllib/_parser.py",
    "configparser.py",
    "argparse.py",
    "json/decoder.py",
    "json/encoder.py",
    "tempfile.py",
    "shutil.py",
    "asyncio/tasks.py",
];

struct Frame {
    file: PathBuf,
    firstlineno: i64,
    qualname: String,
    name: String,
    transitions: Vec<(String, String)>,
    reads: Vec<(String, i64, i64)>,
}

fn col<'a>(b: &'a RecordBatch, name: &str) -> &'a dyn Array {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_ref()
}

fn i64s(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let a = col(b, name).as_primitive::<Int64Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

fn i32s(b: &RecordBatch, name: &str) -> Vec<Option<i32>> {
    let a = col(b, name).as_primitive::<Int32Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

fn strs(b: &RecordBatch, name: &str) -> Vec<String> {
    let a = col(b, name).as_string::<i32>();
    (0..a.len()).map(|i| a.value(i).to_string()).collect()
}

/// A definition's lines (first, last) and kind.
type DefSite = (i64, i64, String);

/// One scope's graph, with the lines each statement owns.
#[derive(Default)]
struct Graph {
    /// cfg node ordinal -> statement (None for entry and the exits).
    stmt: Vec<Option<i64>>,
    succ: Vec<Vec<u32>>,
    /// statement -> its nodes.
    nodes_of: HashMap<i64, Vec<u32>>,
    /// line -> statements owning it.
    owners: BTreeMap<i64, Vec<i64>>,
    /// Statements that run no code (`global`, `nonlocal`, constant expressions).
    silent: HashSet<i64>,
    /// Nodes without a line of their own: the implicit `del name` after `except ... as name`.
    silent_nodes: HashSet<u32>,
    /// The first line of the scope's first statement.
    first_line: i64,
    /// Def-use rows: (var, use line) -> def line spans.
    du: HashMap<(String, i64), Vec<DefSite>>,
}

struct FileFacts {
    /// (kind, qualname, lineno) -> scope id.
    scopes: Vec<(String, String, i64, i64)>,
    graphs: HashMap<i64, Graph>,
}

fn facts(path: &std::path::Path) -> FileFacts {
    let file = common::scanned(path, &path.display().to_string());
    let ev = extract_file(&file, &ExtractConfig::default()).expect("extract");
    let get = |t: Table| {
        ev.batch(t)
            .cloned()
            .unwrap_or_else(|| panic!("no {t:?} batch"))
    };
    let (scopes, ast, nodes, edges, du, lines) = (
        get(Table::Scopes),
        get(Table::AstNodes),
        get(Table::CfgNodes),
        get(Table::CfgEdges),
        get(Table::DefsUses),
        get(Table::FileLines),
    );
    // Offsets to 1-based lines.
    let starts: Vec<i64> = i64s(&lines, "bstart").into_iter().flatten().collect();
    let line_of = |off: i64| starts.partition_point(|&s| s <= off) as i64;

    // AST spans (lines) and kinds.
    let ast_ids = i64s(&ast, "node_id");
    let ast_kind = strs(&ast, "kind");
    let ast_start = i64s(&ast, "bstart");
    let ast_end = i64s(&ast, "bend");
    let mut span: HashMap<i64, (i64, i64, String)> = HashMap::new();
    for i in 0..ast_ids.len() {
        let (Some(id), Some(s), Some(e)) = (ast_ids[i], ast_start[i], ast_end[i]) else {
            continue;
        };
        span.insert(
            id,
            (line_of(s), line_of((e - 1).max(s)), ast_kind[i].clone()),
        );
    }

    // Expression statements of a constant (docstrings) and annotations without a value (in a
    // function): CPython's compiler drops them.
    let ast_parent = i64s(&ast, "parent_id");
    let ast_field = strs(&ast, "field");
    let mut constant_exprs: HashSet<i64> = HashSet::new();
    let mut bare_annotations: HashSet<i64> = HashSet::new();
    let mut valued: HashSet<i64> = HashSet::new();
    for i in 0..ast_ids.len() {
        if ast_field[i] == "value"
            && let Some(p) = ast_parent[i]
        {
            valued.insert(p);
        }
    }
    for i in 0..ast_ids.len() {
        if ast_kind[i] == "AnnAssign"
            && let Some(id) = ast_ids[i]
            && !valued.contains(&id)
        {
            bare_annotations.insert(id);
        }
        if ast_kind[i] == "Constant"
            && ast_field[i] == "value"
            && let Some(p) = ast_parent[i]
            && span.get(&p).is_some_and(|s| s.2 == "Expr")
        {
            constant_exprs.insert(p);
        }
    }
    let sid = i64s(&scopes, "scope_id");
    let skind = strs(&scopes, "kind");
    let squal = strs(&scopes, "qualname");
    let sline = i32s(&scopes, "lineno");
    let scope_rows: Vec<(String, String, i64, i64)> = (0..sid.len())
        .map(|i| {
            (
                skind[i].clone(),
                squal[i].clone(),
                sline[i].unwrap_or(0) as i64,
                sid[i].unwrap_or(0),
            )
        })
        .collect();

    let mut graphs: HashMap<i64, Graph> = HashMap::new();
    let n_id = i64s(&nodes, "cfg_node_id");
    let n_scope = i64s(&nodes, "scope_id");
    let n_stmt = i64s(&nodes, "stmt_id");
    let n_line = i32s(&nodes, "line");
    let n_ord = i32s(&nodes, "ordinal");
    let n_role = strs(&nodes, "role");
    let mut where_is: HashMap<i64, (i64, u32)> = HashMap::new();
    for i in 0..n_id.len() {
        let scope = n_scope[i].unwrap_or(0);
        let ord = n_ord[i].unwrap_or(0) as u32;
        where_is.insert(n_id[i].unwrap_or(0), (scope, ord));
        let g = graphs.entry(scope).or_default();
        let k = ord as usize;
        if g.stmt.len() <= k {
            g.stmt.resize(k + 1, None);
            g.succ.resize(k + 1, Vec::new());
        }
        g.stmt[k] = n_stmt[i];
        if n_role[i] == "cleanup" {
            g.silent_nodes.insert(ord);
        }
        if let Some(s) = n_stmt[i] {
            g.nodes_of.entry(s).or_default().push(ord);
        }
        let _ = n_line[i];
    }
    // Statement start lines: a decorated def starts at its first decorator (its first node).
    let mut start_line: HashMap<i64, i64> = HashMap::new();
    for i in 0..n_id.len() {
        if let (Some(s), Some(l)) = (n_stmt[i], n_line[i]) {
            let e = start_line.entry(s).or_insert(l as i64);
            *e = (*e).min(l as i64);
        }
    }
    // A decorated def or class starts at its first decorator.
    {
        let parent = i64s(&ast, "parent_id");
        let field = strs(&ast, "field");
        for i in 0..ast_ids.len() {
            if field[i] == "decorator_list"
                && let (Some(p), Some(s)) = (parent[i], ast_start[i])
            {
                let e = start_line.entry(p).or_insert(line_of(s));
                *e = (*e).min(line_of(s));
            }
        }
    }
    let e_src = i64s(&edges, "src");
    let e_dst = i64s(&edges, "dst");
    for i in 0..e_src.len() {
        let (scope, s) = where_is[&e_src[i].unwrap_or(0)];
        let (_, d) = where_is[&e_dst[i].unwrap_or(0)];
        graphs.get_mut(&scope).unwrap().succ[s as usize].push(d);
    }
    let function_like: HashSet<i64> = scope_rows
        .iter()
        .filter(|s| !matches!(s.0.as_str(), "module" | "class"))
        .map(|s| s.3)
        .collect();
    for (scope, g) in graphs.iter_mut() {
        // Lines owned by each statement: all of its lines, or for a statement with statements
        // inside (of the same scope), its header: up to the line before the first of them.
        let range = |s: i64| {
            let (a, b, _) = span.get(&s).cloned().unwrap_or((0, 0, String::new()));
            (start_line.get(&s).copied().unwrap_or(a).min(a), b)
        };
        // By start, the outer of two with one start first: a statement's first inner one is
        // the next in this order, if that lies inside it.
        let mut stmts: Vec<(i64, i64, i64)> = g
            .nodes_of
            .keys()
            .map(|&s| {
                let (a, b) = range(s);
                (a, -b, s)
            })
            .collect();
        stmts.sort();
        g.first_line = i64::MAX;
        for (k, &(a, nb, s)) in stmts.iter().enumerate() {
            let b = -nb;
            let inner = stmts
                .get(k + 1)
                .filter(|&&(ta, tnb, _)| ta >= a && -tnb <= b && (ta, -tnb) != (a, b))
                .map(|&(ta, _, _)| ta);
            let end = match inner {
                Some(first) if first > a => first - 1,
                Some(_) => a,
                None => b,
            };
            for l in a..=end {
                g.owners.entry(l).or_default().push(s);
            }
            g.first_line = g.first_line.min(a);
            if let Some((_, _, kind)) = span.get(&s)
                && (kind == "Global"
                    || kind == "Nonlocal"
                    || constant_exprs.contains(&s)
                    || (bare_annotations.contains(&s) && function_like.contains(scope)))
            {
                g.silent.insert(s);
            }
        }
    }
    // Def-use rows.
    let d_scope = i64s(&du, "scope_id");
    let d_var = strs(&du, "var");
    let d_use = i64s(&du, "use_bstart");
    let d_def_s = i64s(&du, "def_bstart");
    let d_def_e = i64s(&du, "def_bend");
    let d_kind = strs(&du, "def_kind");
    for i in 0..d_var.len() {
        let (Some(scope), Some(u), Some(ds), Some(de)) =
            (d_scope[i], d_use[i], d_def_s[i], d_def_e[i])
        else {
            continue;
        };
        if let Some(g) = graphs.get_mut(&scope) {
            g.du.entry((d_var[i].clone(), line_of(u)))
                .or_default()
                .push((line_of(ds), line_of((de - 1).max(ds)), d_kind[i].clone()));
        }
    }
    FileFacts {
        scopes: scope_rows,
        graphs,
    }
}

/// The scope a code object ran: same qualname (the module's is `<module>`), the nearest line
/// at or after its first line (a decorated def's code starts at its first decorator).
fn scope_of(f: &FileFacts, fr: &Frame) -> Option<i64> {
    if fr.qualname == "<module>" {
        return f.scopes.iter().find(|s| s.0 == "module").map(|s| s.3);
    }
    f.scopes
        .iter()
        .filter(|s| s.1 == fr.qualname && s.0 != "module" && s.2 >= fr.firstlineno)
        .min_by_key(|s| s.2 - fr.firstlineno)
        .map(|s| s.3)
}

/// Whether a traced transition is a path of the graph, projected to statements.
fn transition_ok(g: &Graph, from: &str, to: &str) -> bool {
    const ENTRY: u32 = 0;
    const EXIT: u32 = 1;
    const EXCEPTION_EXIT: u32 = 2;
    let stmts_of = |l: &str| -> Vec<i64> {
        l.parse::<i64>()
            .ok()
            .and_then(|l| g.owners.get(&l).cloned())
            .unwrap_or_default()
    };
    // A line before the first statement (a def line, a class's implicit `__module__`
    // assignment) counts as the entry.
    let is_entry = |l: &str| {
        l == "entry"
            || l.parse::<i64>()
                .is_ok_and(|l| l < g.first_line && !g.owners.contains_key(&l))
    };
    // The first statement's line may hold the header too (`class E(Exception): pass`): code
    // of the entry (a class body's prologue) reports it.
    let enters = |l: &str| is_entry(l) || l.parse::<i64>().is_ok_and(|l| l == g.first_line);
    // The def line (or first decorator) a code object starts at, reported before its first
    // statement runs (a function whose body is only a docstring returns from there).
    if is_entry(from) && is_entry(to) {
        return true;
    }
    let a = stmts_of(from);
    let b = stmts_of(to);
    // Two lines of one statement: CPython moves between the lines of a multi-line statement
    // as it evaluates it (a list display over three lines), inside one of our nodes.
    if from != to && a.iter().any(|s| b.contains(s)) {
        return true;
    }
    let mut starts: Vec<u32> = a.iter().flat_map(|s| g.nodes_of[s].clone()).collect();
    if enters(from) {
        starts.push(ENTRY);
    }
    let targets: HashSet<u32> = match to {
        "exit" => [EXIT].into(),
        "raise" => [EXCEPTION_EXIT].into(),
        _ => b.iter().flat_map(|s| g.nodes_of[s].clone()).collect(),
    };
    let through = |v: u32| match g.stmt[v as usize] {
        Some(s) => {
            a.contains(&s) || b.contains(&s) || g.silent.contains(&s) || g.silent_nodes.contains(&v)
        }
        None => false,
    };
    let mut seen = vec![false; g.stmt.len()];
    let mut stack = starts;
    while let Some(v) = stack.pop() {
        for &w in &g.succ[v as usize] {
            if targets.contains(&w) {
                return true;
            }
            if through(w) && !std::mem::replace(&mut seen[w as usize], true) {
                stack.push(w);
            }
        }
    }
    false
}

/// Checks frames' transitions and reads against the static graphs of their files; returns the
/// summary line and the misses.
fn check(frames: &[Frame]) -> (String, Vec<String>) {
    let mut by_file: BTreeMap<PathBuf, Vec<&Frame>> = BTreeMap::new();
    for f in frames {
        by_file.entry(f.file.clone()).or_default().push(f);
    }
    let (mut code, mut matched, mut trans, mut trans_ok, mut reads, mut reads_ok) =
        (0, 0, 0, 0, 0, 0);
    let mut misses: Vec<String> = Vec::new();
    for (path, frs) in &by_file {
        let facts = facts(path);
        for fr in frs {
            code += 1;
            let Some(scope) = scope_of(&facts, fr) else {
                misses.push(format!(
                    "{}:{} {} ({}): no scope",
                    path.display(),
                    fr.firstlineno,
                    fr.qualname,
                    fr.name
                ));
                continue;
            };
            matched += 1;
            let g = &facts.graphs[&scope];
            for (a, b) in &fr.transitions {
                trans += 1;
                if transition_ok(g, a, b) {
                    trans_ok += 1;
                } else {
                    misses.push(format!(
                        "{}:{} {}: transition {a} -> {b}",
                        path.display(),
                        fr.firstlineno,
                        fr.qualname
                    ));
                }
            }
            for (var, load, store) in &fr.reads {
                reads += 1;
                let ok = g.du.get(&(var.clone(), *load)).is_some_and(|defs| {
                    defs.iter().any(|(s, e, kind)| {
                        if *store == 0 {
                            kind == "param"
                        } else {
                            (*s..=*e).contains(store)
                        }
                    })
                });
                if ok {
                    reads_ok += 1;
                } else {
                    misses.push(format!(
                        "{}:{} {}: read of {var} at line {load} after the store at line {store}",
                        path.display(),
                        fr.firstlineno,
                        fr.qualname
                    ));
                }
            }
        }
    }
    (
        format!(
            "{matched}/{code} code objects matched; {trans_ok}/{trans} line transitions and {reads_ok}/{reads} local reads explained by the static graphs"
        ),
        misses,
    )
}

fn frames_of(v: &serde_json::Value) -> Frame {
    let pairs = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    Frame {
        file: PathBuf::from(v["file"].as_str().unwrap()),
        firstlineno: v["firstlineno"].as_i64().unwrap(),
        qualname: v["qualname"].as_str().unwrap().to_string(),
        name: v["name"].as_str().unwrap().to_string(),
        transitions: pairs("transitions")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect(),
        reads: pairs("reads")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_i64().unwrap(),
                    p[2].as_i64().unwrap(),
                )
            })
            .collect(),
    }
}

/// The bytecode of every code object of the traced modules' files, as CPython compiles it:
/// each line transition of its control-flow graph (jumps, fall-through, exception table) must
/// be a path of ours, projected the same way.
#[test]
fn flow_covers_the_bytecode_control_flow() {
    let corpus = common::conformance_corpus();
    // CODELAKE_FLOW_FILES: `stdlib` (every file of the corpus) or comma-separated paths.
    let files: Vec<PathBuf> = match std::env::var("CODELAKE_FLOW_FILES") {
        Ok(all) if all == "stdlib" => common::python_files(&corpus),
        Ok(list) => list.split(',').map(PathBuf::from).collect(),
        Err(_) => DIS_FILES.iter().map(|f| corpus.join(f)).collect(),
    };
    let mut frames = Vec::new();
    common::run_oracle("dis_flow.py", &files, |v| frames.push(frames_of(&v)));
    assert!(frames.len() > 300, "only {} code objects", frames.len());
    let (summary, misses) = check(&frames);
    eprintln!("bytecode control flow: {summary}");
    for m in misses.iter().take(80) {
        eprintln!("  {m}");
    }
    assert!(misses.is_empty(), "{} misses (listed above)", misses.len());
}

#[test]
fn flow_is_sound_against_traced_executions() {
    let mut frames: Vec<Frame> = Vec::new();
    // CODELAKE_FLOW_MODULES (comma-separated) traces other test modules instead.
    let modules: Vec<PathBuf> = match std::env::var("CODELAKE_FLOW_MODULES") {
        Ok(list) => list.split(',').map(PathBuf::from).collect(),
        Err(_) => MODULES.iter().map(PathBuf::from).collect(),
    };
    common::run_oracle("trace_flow.py", &modules, |v| frames.push(frames_of(&v)));
    assert!(
        frames.len() > 300,
        "the trace saw only {} code objects",
        frames.len()
    );
    let (summary, misses) = check(&frames);
    eprintln!("flow soundness: {summary}");
    for m in misses.iter().take(80) {
        eprintln!("  {m}");
    }
    assert!(misses.is_empty(), "{} misses (listed above)", misses.len());
}
