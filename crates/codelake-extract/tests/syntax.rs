//! The syntax-evidence tables against CPython on a real corpus (the standard library by
//! default): definitions, calls and import aliases per file equal CPython `ast`'s, comments
//! equal the COMMENT tokens of `tokenize`; every span lies within its file on UTF-8 boundaries;
//! ids are unique.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use codelake_extract::{ExtractConfig, FileEvidence, ScannedFile, Table, extract_file, source};
use serde_json::Value;

fn strs(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect()
}

fn ints(b: &RecordBatch, col: &str) -> Vec<Option<i64>> {
    let c = b.column_by_name(col).unwrap();
    if let Some(a) = c.as_primitive_opt::<Int64Type>() {
        return (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i)))
            .collect();
    }
    let a = c.as_primitive::<Int32Type>();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i) as i64))
        .collect()
}

fn json_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The id column and every (start, end) column pair of each syntax table.
/// (kind, module, name, asname, level) of an import alias.
type ImportKey = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

/// A table, its id column, and its (start, end) column pairs.
type SpanColumns = (Table, &'static str, &'static [(&'static str, &'static str)]);

const SPANS: &[SpanColumns] = &[
    (
        Table::Defs,
        "def_id",
        &[("bstart", "bend"), ("name_bstart", "name_bend")],
    ),
    (Table::Params, "param_id", &[("bstart", "bend")]),
    (
        Table::Calls,
        "call_id",
        &[("bstart", "bend"), ("callee_bstart", "callee_bend")],
    ),
    (Table::CallArgs, "arg_id", &[("bstart", "bend")]),
    (
        Table::Imports,
        "import_id",
        &[("bstart", "bend"), ("alias_bstart", "alias_bend")],
    ),
    (Table::Decorators, "decorator_id", &[("bstart", "bend")]),
    (Table::Docstrings, "docstring_id", &[("bstart", "bend")]),
    (Table::Annotations, "annotation_id", &[("bstart", "bend")]),
    (Table::Comments, "comment_id", &[("bstart", "bend")]),
];

#[derive(Default)]
struct Check {
    files: usize,
    rejected: usize,
    defs: usize,
    calls: usize,
    imports: usize,
    comments: usize,
    spans: usize,
    node_refs: usize,
    failures: Vec<String>,
    ids: HashMap<&'static str, HashSet<i64>>,
}

impl Check {
    fn fail(&mut self, msg: String) {
        if self.failures.len() < 40 {
            self.failures.push(msg);
        }
    }

    fn spans_and_ids(&mut self, rel: &str, ev: &FileEvidence, text: &str, base: usize) {
        let len = base + text.len();
        for &(table, id, pairs) in SPANS {
            let Some(b) = ev.batch(table) else { continue };
            for v in ints(b, id).into_iter().flatten() {
                if !self.ids.entry(table.name()).or_default().insert(v) {
                    self.fail(format!("{rel}: {}.{id} {v} is not unique", table.name()));
                }
            }
            for &(s, e) in pairs {
                for (s, e) in ints(b, s).into_iter().zip(ints(b, e)) {
                    let (Some(s), Some(e)) = (s, e) else { continue };
                    self.spans += 1;
                    let ok = |o: i64| {
                        o as usize >= base
                            && o as usize <= len
                            && text.is_char_boundary(o as usize - base)
                    };
                    if s > e || !ok(s) || !ok(e) {
                        self.fail(format!(
                            "{rel}: {} span {s}..{e} of a {len}-byte file",
                            table.name()
                        ));
                    }
                }
            }
        }
    }

    /// Every node reference of a row from ruff is set and names an `ast_nodes` row of the right
    /// kind.
    fn node_ids(&mut self, rel: &str, ev: &FileEvidence) {
        let Some(ast) = ev.batch(Table::AstNodes) else {
            return;
        };
        let kinds: HashMap<i64, String> = ints(ast, "node_id")
            .into_iter()
            .zip(strs(ast, "kind"))
            .map(|(i, k)| (i.unwrap(), k.unwrap()))
            .collect();
        let checks: &[(Table, &str, Option<&[&str]>)] = &[
            (
                Table::Defs,
                "node_id",
                Some(&["FunctionDef", "AsyncFunctionDef", "ClassDef", "Lambda"]),
            ),
            (Table::Params, "node_id", Some(&["arg"])),
            (Table::Calls, "node_id", Some(&["Call"])),
            (Table::CallArgs, "node_id", None),
            (Table::Imports, "node_id", Some(&["alias"])),
            (
                Table::Imports,
                "stmt_node_id",
                Some(&["Import", "ImportFrom"]),
            ),
            (Table::Decorators, "node_id", None),
            (Table::Docstrings, "node_id", Some(&["Constant"])),
            (
                Table::Docstrings,
                "owner_node_id",
                Some(&["Module", "FunctionDef", "AsyncFunctionDef", "ClassDef"]),
            ),
            (Table::Annotations, "node_id", None),
            (
                Table::Annotations,
                "owner_node_id",
                Some(&["arg", "FunctionDef", "AsyncFunctionDef", "AnnAssign"]),
            ),
            (Table::Comments, "owner_node_id", None),
        ];
        for &(table, col, want) in checks {
            let Some(b) = ev.batch(table) else { continue };
            let sources = strs(b, "source");
            for (id, source) in ints(b, col).into_iter().zip(sources) {
                if source.as_deref() == Some("tree-sitter") {
                    // Rows recovered by tree-sitter have no ruff node.
                    continue;
                }
                self.node_refs += 1;
                let kind = id.and_then(|i| kinds.get(&i));
                let ok = match (kind, want) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(k), Some(w)) => w.contains(&k.as_str()),
                };
                if !ok {
                    self.fail(format!(
                        "{rel}: {}.{col} {id:?} is {kind:?}, want {want:?}",
                        table.name()
                    ));
                }
            }
        }
    }

    fn against_cpython(&mut self, rel: &str, ev: &FileEvidence, v: &Value) {
        let get = |t: Table| {
            ev.batch(t)
                .cloned()
                .unwrap_or_else(|| RecordBatch::new_empty(t.spec().schema.clone()))
        };
        // Definitions, as a sorted multiset of (kind, name).
        let d = get(Table::Defs);
        let mut ours: Vec<(String, String)> = strs(&d, "kind")
            .into_iter()
            .zip(strs(&d, "name"))
            .map(|(k, n)| (k.unwrap(), n.unwrap()))
            .collect();
        ours.sort();
        let theirs: Vec<(String, String)> = v["defs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (json_str(&r[0]).unwrap(), json_str(&r[1]).unwrap()))
            .collect();
        self.defs += theirs.len();
        if ours != theirs {
            self.fail(format!(
                "{rel}: defs differ: {} ours, {} CPython's",
                ours.len(),
                theirs.len()
            ));
        }
        // Calls, as a sorted multiset of dotted callees.
        let c = get(Table::Calls);
        let mut ours: Vec<String> = strs(&c, "callee_dotted")
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        ours.sort();
        let theirs: Vec<String> = v["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json_str(r).unwrap())
            .collect();
        self.calls += theirs.len();
        if ours != theirs {
            self.fail(format!(
                "{rel}: calls differ: {} ours, {} CPython's",
                ours.len(),
                theirs.len()
            ));
        }
        // Import aliases, in source order.
        let m = get(Table::Imports);
        let ours: Vec<ImportKey> = strs(&m, "kind")
            .into_iter()
            .zip(strs(&m, "module"))
            .zip(strs(&m, "name"))
            .zip(strs(&m, "asname"))
            .zip(ints(&m, "level"))
            .map(|((((k, md), n), a), l)| (k, md, n, a, l.unwrap()))
            .collect();
        let theirs: Vec<_> = v["imports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    json_str(&r[0]),
                    json_str(&r[1]),
                    json_str(&r[2]),
                    json_str(&r[3]),
                    r[4].as_i64().unwrap(),
                )
            })
            .collect();
        self.imports += theirs.len();
        if ours != theirs {
            self.fail(format!(
                "{rel}: imports differ:\n  ours   {ours:?}\n  CPython {theirs:?}"
            ));
        }
        // Comments, as tokenize sees them.
        if let Some(theirs) = v["comments"].as_array() {
            let theirs: Vec<String> = theirs.iter().map(|t| json_str(t).unwrap()).collect();
            let ours: Vec<String> = strs(&get(Table::Comments), "text")
                .into_iter()
                .map(Option::unwrap)
                .collect();
            self.comments += theirs.len();
            if ours != theirs {
                let first = ours.iter().zip(&theirs).position(|(a, b)| a != b);
                self.fail(format!(
                    "{rel}: comments differ: {} ours, {} CPython's, first at {first:?}",
                    ours.len(),
                    theirs.len()
                ));
            }
        }
    }
}

fn extract(path: &Path, rel: &str) -> FileEvidence {
    let file = ScannedFile {
        rel_path: rel.to_string(),
        abs_path: path.to_path_buf(),
        module: None,
        is_package: false,
        is_stub: false,
    };
    extract_file(&file, &ExtractConfig::default()).expect("extract")
}

#[test]
fn syntax_tables_agree_with_cpython_on_the_standard_library() {
    let corpus = common::conformance_corpus();
    let paths = common::python_files(&corpus);
    assert!(paths.len() > 10);
    let mut check = Check::default();
    common::run_oracle("dump_syntax.py", &paths, |v| {
        let path = PathBuf::from(v["path"].as_str().unwrap());
        let rel = path
            .strip_prefix(&corpus)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let ev = extract(&path, &rel);
        check.files += 1;
        let bytes = std::fs::read(&path).unwrap();
        if let Ok(decoded) = source::decode(&bytes) {
            check.spans_and_ids(&rel, &ev, &decoded.text, decoded.base as usize);
        }
        check.node_ids(&rel, &ev);
        if v["ok"].as_bool() != Some(true) {
            check.rejected += 1;
            return;
        }
        check.against_cpython(&rel, &ev, &v);
    });
    eprintln!(
        "compared {} files ({} rejected by CPython): {} defs, {} calls, {} import aliases, {} comments agree; {} spans and {} node references checked",
        check.files,
        check.rejected,
        check.defs,
        check.calls,
        check.imports,
        check.comments,
        check.spans,
        check.node_refs
    );
    assert_eq!(check.files, paths.len());
    assert!(check.failures.is_empty(), "{}", check.failures.join("\n"));
    if std::env::var("CODELAKE_CONFORMANCE_LIMIT").is_err() {
        assert!(check.defs > 10_000 && check.calls > 100_000 && check.comments > 10_000);
    }
}

/// Checks that the `tokens` rows of `bytes` tile the file: contiguous spans from the end of any
/// BOM to the end, and their texts concatenate to the file's text (to its bytes for UTF-8).
fn assert_tokens_tile(rel: &str, bytes: &[u8]) -> usize {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("m.py");
    std::fs::write(&p, bytes).unwrap();
    let config = ExtractConfig {
        tokens: true,
        ..ExtractConfig::default()
    };
    let file = ScannedFile {
        rel_path: rel.to_string(),
        abs_path: p,
        module: None,
        is_package: false,
        is_stub: false,
    };
    let ev = extract_file(&file, &config).unwrap();
    let Ok(decoded) = source::decode(bytes) else {
        assert!(
            ev.batch(Table::Tokens).is_none(),
            "{rel}: undecodable files have no tokens"
        );
        return 0;
    };
    let b = ev
        .batch(Table::Tokens)
        .unwrap_or_else(|| panic!("{rel}: no tokens"));
    let starts = ints(b, "bstart");
    let ends = ints(b, "bend");
    let texts = strs(b, "text");
    let mut at = decoded.base as i64;
    let mut joined = String::with_capacity(decoded.text.len());
    for i in 0..b.num_rows() {
        let (s, e) = (starts[i].unwrap(), ends[i].unwrap());
        assert_eq!(
            s, at,
            "{rel}: token {i} starts at {s}, the previous ended at {at}"
        );
        assert!(e >= s, "{rel}: token {i}");
        at = e;
        joined.push_str(texts[i].as_deref().unwrap());
    }
    assert_eq!(
        at,
        decoded.base as i64 + decoded.text.len() as i64,
        "{rel}: tokens stop short"
    );
    assert_eq!(
        joined, decoded.text,
        "{rel}: tokens do not give the text back"
    );
    if decoded.encoding.starts_with("utf-8") {
        assert_eq!(joined.as_bytes(), &bytes[decoded.base as usize..], "{rel}");
    }
    b.num_rows()
}

#[test]
fn tokens_tile_every_file() {
    let cases: &[(&str, &[u8])] = &[
        (
            "crlf",
            b"x = 1\r\nif x:\r\n    y = (1 +\r\n         2)  # c\r\n",
        ),
        ("lone-cr", b"x = 1\ry = 2\r"),
        ("bom", b"\xef\xbb\xbfprint('hi')\n"),
        ("latin1", b"# -*- coding: latin-1 -*-\ns = '\xe9t\xe9'\n"),
        ("continuation", b"x = 1 + \\\n    2\n\x0cdef f():\n\tpass\n"),
        ("fstring", b"f'{a!r:>{w}} {b=}' f\"\"\"{c\n}\"\"\"\n"),
        ("no-newline", b"pass"),
        ("empty", b""),
        ("dedent", b"if a:\n    if b:\n        c\nd\n"),
        ("broken", b"def f(:\n    return (\n"),
    ];
    let mut tokens = 0;
    for (name, bytes) in cases {
        tokens += assert_tokens_tile(name, bytes);
    }
    let corpus = common::conformance_corpus();
    let paths = common::python_files(&corpus);
    let step = (paths.len() / 300).max(1);
    let mut files = 0;
    for p in paths.iter().step_by(step) {
        let rel = p
            .strip_prefix(&corpus)
            .unwrap()
            .to_string_lossy()
            .to_string();
        tokens += assert_tokens_tile(&rel, &std::fs::read(p).unwrap());
        files += 1;
    }
    eprintln!(
        "tokens of {} hand-made and {files} standard-library files tile them: {tokens} tokens",
        cases.len()
    );
}
