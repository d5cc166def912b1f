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
        return (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))).collect();
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
const SPANS: &[(Table, &str, &[(&str, &str)])] = &[
    (Table::Defs, "def_id", &[("bstart", "bend"), ("name_bstart", "name_bend")]),
    (Table::Params, "param_id", &[("bstart", "bend")]),
    (Table::Calls, "call_id", &[("bstart", "bend"), ("callee_bstart", "callee_bend")]),
    (Table::CallArgs, "arg_id", &[("bstart", "bend")]),
    (Table::Imports, "import_id", &[("bstart", "bend"), ("alias_bstart", "alias_bend")]),
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
                        self.fail(format!("{rel}: {} span {s}..{e} of a {len}-byte file", table.name()));
                    }
                }
            }
        }
    }

    /// Every node reference is set and names an `ast_nodes` row of the right kind.
    fn node_ids(&mut self, rel: &str, ev: &FileEvidence) {
        let Some(ast) = ev.batch(Table::AstNodes) else { return };
        let kinds: HashMap<i64, String> = ints(ast, "node_id")
            .into_iter()
            .zip(strs(ast, "kind"))
            .map(|(i, k)| (i.unwrap(), k.unwrap()))
            .collect();
        let checks: &[(Table, &str, Option<&[&str]>)] = &[
            (Table::Defs, "node_id", Some(&["FunctionDef", "AsyncFunctionDef", "ClassDef", "Lambda"])),
            (Table::Params, "node_id", Some(&["arg"])),
            (Table::Calls, "node_id", Some(&["Call"])),
            (Table::CallArgs, "node_id", None),
            (Table::Imports, "node_id", Some(&["alias"])),
            (Table::Imports, "stmt_node_id", Some(&["Import", "ImportFrom"])),
            (Table::Decorators, "node_id", None),
            (Table::Docstrings, "node_id", Some(&["Constant"])),
            (Table::Docstrings, "owner_node_id", Some(&["Module", "FunctionDef", "AsyncFunctionDef", "ClassDef"])),
            (Table::Annotations, "node_id", None),
            (Table::Annotations, "owner_node_id", Some(&["arg", "FunctionDef", "AsyncFunctionDef", "AnnAssign"])),
            (Table::Comments, "owner_node_id", None),
        ];
        for &(table, col, want) in checks {
            let Some(b) = ev.batch(table) else { continue };
            for id in ints(b, col) {
                self.node_refs += 1;
                let kind = id.and_then(|i| kinds.get(&i));
                let ok = match (kind, want) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(k), Some(w)) => w.contains(&k.as_str()),
                };
                if !ok {
                    self.fail(format!("{rel}: {}.{col} {id:?} is {kind:?}, want {want:?}", table.name()));
                }
            }
        }
    }

    fn against_cpython(&mut self, rel: &str, ev: &FileEvidence, v: &Value) {
        let get = |t: Table| ev.batch(t).cloned().unwrap_or_else(|| RecordBatch::new_empty(t.spec().schema.clone()));
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
            self.fail(format!("{rel}: defs differ: {} ours, {} CPython's", ours.len(), theirs.len()));
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
            self.fail(format!("{rel}: calls differ: {} ours, {} CPython's", ours.len(), theirs.len()));
        }
        // Import aliases, in source order.
        let m = get(Table::Imports);
        let ours: Vec<(Option<String>, Option<String>, Option<String>, Option<String>, i64)> = strs(&m, "kind")
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
            .map(|r| (json_str(&r[0]), json_str(&r[1]), json_str(&r[2]), json_str(&r[3]), r[4].as_i64().unwrap()))
            .collect();
        self.imports += theirs.len();
        if ours != theirs {
            self.fail(format!("{rel}: imports differ:\n  ours   {ours:?}\n  CPython {theirs:?}"));
        }
        // Comments, as tokenize sees them.
        if let Some(theirs) = v["comments"].as_array() {
            let theirs: Vec<String> = theirs.iter().map(|t| json_str(t).unwrap()).collect();
            let ours: Vec<String> = strs(&get(Table::Comments), "text").into_iter().map(Option::unwrap).collect();
            self.comments += theirs.len();
            if ours != theirs {
                let first = ours.iter().zip(&theirs).position(|(a, b)| a != b);
                self.fail(format!("{rel}: comments differ: {} ours, {} CPython's, first at {first:?}", ours.len(), theirs.len()));
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
        let rel = path.strip_prefix(&corpus).unwrap().to_string_lossy().to_string();
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
        check.files, check.rejected, check.defs, check.calls, check.imports, check.comments, check.spans, check.node_refs
    );
    assert_eq!(check.files, paths.len());
    assert!(check.failures.is_empty(), "{}", check.failures.join("\n"));
    if std::env::var("CODELAKE_CONFORMANCE_LIMIT").is_err() {
        assert!(check.defs > 10_000 && check.calls > 100_000 && check.comments > 10_000);
    }
}
