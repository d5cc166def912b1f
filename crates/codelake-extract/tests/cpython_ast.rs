//! Conformance of `ast_nodes` with CPython's own `ast` module on real code: the standard
//! library of the machine's `python3` (about 1,800 files).
//!
//! For every file CPython can parse, every node CPython gives a position must appear in
//! codelake's `ast_nodes` with the same kind, `lineno`, `col_offset`, `end_lineno` and
//! `end_col_offset` (and, for a `Constant`, the same `repr()` of its value), and codelake must
//! have no positioned node of those kinds that CPython lacks. Documented differences, all of
//! them CPython 3.11 f-string quirks (fixed in 3.12) or a limit of Rust strings:
//! * the direct children of a `JoinedStr` are not compared: CPython 3.11 merges literal pieces
//!   and gives them the whole f-string's span; codelake keeps each piece with its own span;
//! * a format spec's `JoinedStr` is not compared: CPython 3.11 gives it the whole f-string's
//!   span;
//! * an unparenthesized tuple in a replacement field (`f"{a, b}"`) gets its braces in CPython
//!   3.11's span (it parses `(a, b)`); codelake's span is the tuple's own;
//! * a lone surrogate escape (`'\ud800'`) cannot be held in a Rust string: the parser reads it
//!   as U+FFFD, so codelake's `repr` shows `'\ufffd'` where CPython shows `'\ud800'`;
//! * `repr` decides printability on Unicode 16; CPython 3.11, on Unicode 14, escapes the
//!   characters assigned since. Both are normalised by [`normalise_repr`].
//!
//! Files CPython rejects must still be extracted without a crash, with error rows.
//!
//! `CODELAKE_CONFORMANCE_CORPUS` names another directory; `CODELAKE_CONFORMANCE_LIMIT`
//! compares only the first N files.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use codelake_extract::{ExtractConfig, ScannedFile, Table, extract_file, pyrepr};

/// (kind, lineno, col, end_lineno, end_col, value)
type Key = (String, i64, i64, i64, i64, Option<String>);

fn cpython_kinds() -> &'static [&'static str] {
    &[
        "FunctionDef",
        "AsyncFunctionDef",
        "ClassDef",
        "Return",
        "Delete",
        "Assign",
        "AugAssign",
        "AnnAssign",
        "For",
        "AsyncFor",
        "While",
        "If",
        "With",
        "AsyncWith",
        "Match",
        "Raise",
        "Try",
        "TryStar",
        "Assert",
        "Import",
        "ImportFrom",
        "Global",
        "Nonlocal",
        "Expr",
        "Pass",
        "Break",
        "Continue",
        "BoolOp",
        "NamedExpr",
        "BinOp",
        "UnaryOp",
        "Lambda",
        "IfExp",
        "Dict",
        "Set",
        "ListComp",
        "SetComp",
        "DictComp",
        "GeneratorExp",
        "Await",
        "Yield",
        "YieldFrom",
        "Compare",
        "Call",
        "FormattedValue",
        "JoinedStr",
        "Constant",
        "Attribute",
        "Subscript",
        "Starred",
        "Name",
        "List",
        "Tuple",
        "Slice",
        "ExceptHandler",
        "arg",
        "keyword",
        "alias",
        "MatchValue",
        "MatchSingleton",
        "MatchSequence",
        "MatchMapping",
        "MatchClass",
        "MatchStar",
        "MatchAs",
        "MatchOr",
        "TypeAlias",
        "TypeVar",
        "ParamSpec",
        "TypeVarTuple",
    ]
}

fn codelake_keys(file: &ScannedFile) -> (Vec<Key>, usize) {
    let ev = extract_file(file, &ExtractConfig::default()).expect("extract");
    let errors = ev.errors.len();
    let Some(batch) = ev.batch(Table::AstNodes).cloned() else {
        return (Vec::new(), errors);
    };
    let ids = batch
        .column_by_name("node_id")
        .unwrap()
        .as_primitive::<Int64Type>();
    let parents = batch
        .column_by_name("parent_id")
        .unwrap()
        .as_primitive::<Int64Type>();
    let kinds = batch.column_by_name("kind").unwrap().as_string::<i32>();
    let values = batch.column_by_name("value").unwrap().as_string::<i32>();
    let span = batch.column_by_name("span").unwrap().as_struct();
    let sl = span
        .column_by_name("start_line")
        .unwrap()
        .as_primitive::<Int32Type>();
    let sc = span
        .column_by_name("start_col")
        .unwrap()
        .as_primitive::<Int32Type>();
    let el = span
        .column_by_name("end_line")
        .unwrap()
        .as_primitive::<Int32Type>();
    let ec = span
        .column_by_name("end_col")
        .unwrap()
        .as_primitive::<Int32Type>();
    let kind_of: HashMap<i64, &str> = (0..batch.num_rows())
        .map(|i| (ids.value(i), kinds.value(i)))
        .collect();
    let positioned = cpython_kinds();
    let mut keys = Vec::new();
    for i in 0..batch.num_rows() {
        let kind = kinds.value(i);
        if !positioned.contains(&kind) {
            continue;
        }
        let parent_kind = (!parents.is_null(i))
            .then(|| kind_of.get(&parents.value(i)).copied())
            .flatten();
        if skipped(kind, parent_kind) {
            continue;
        }
        let value = (kind == "Constant" && !values.is_null(i)).then(|| values.value(i).to_string());
        keys.push((
            kind.to_string(),
            sl.value(i) as i64,
            sc.value(i) as i64,
            el.value(i) as i64,
            ec.value(i) as i64,
            value,
        ));
    }
    (keys, errors)
}

/// The documented f-string differences that are not compared (see the module docs).
fn skipped(kind: &str, parent: Option<&str>) -> bool {
    parent == Some("JoinedStr") || (kind == "JoinedStr" && parent == Some("FormattedValue"))
}

/// Normalises CPython's `repr` of a string for two differences of representation, not of
/// syntax: a lone surrogate escape (`'\ud800'`) becomes U+FFFD, which is what a Rust string
/// holds for it; and a `\u`/`\U` escape of a character assigned in Unicode 15 or 16 (which
/// CPython 3.11, on Unicode 14, escapes as unassigned) becomes the character, as codelake's
/// Unicode 16 table prints it. Escapes are read in order, so an escaped backslash followed by
/// `udcba` is left alone.
fn normalise_repr(repr: &str) -> String {
    let mut out = String::with_capacity(repr.len());
    let mut chars = repr.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(kind @ ('u' | 'U')) => {
                let width = if kind == 'u' { 4 } else { 8 };
                let hex: String = chars.clone().skip(1).take(width).collect();
                let cp = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == width);
                let replacement = match cp {
                    Some(v) if (0xD800..0xE000).contains(&v) => Some('\u{fffd}'),
                    Some(v) => char::from_u32(v).filter(|&ch| pyrepr::is_printable(ch)),
                    None => None,
                };
                match replacement {
                    Some(ch) => {
                        out.push(ch);
                        for _ in 0..=width {
                            chars.next();
                        }
                    }
                    None => out.push(c),
                }
            }
            Some(next) => {
                out.push(c);
                out.push(next);
                chars.next();
            }
            None => out.push(c),
        }
    }
    out
}

fn cpython_keys(nodes: &[serde_json::Value], source: &[u8]) -> Vec<Key> {
    let lines: Vec<&[u8]> = source.split(|&c| c == b'\n').collect();
    nodes
        .iter()
        .filter_map(|n| {
            let n = n.as_array()?;
            let kind = n[0].as_str()?;
            let parent = n[6].as_str();
            if skipped(kind, parent) {
                return None;
            }
            let (l, mut c, el, mut ec) = (
                n[1].as_i64()?,
                n[2].as_i64()?,
                n[3].as_i64()?,
                n[4].as_i64()?,
            );
            if kind == "Tuple" && parent == Some("FormattedValue") {
                let brace = lines
                    .get(l as usize - 1)
                    .and_then(|line| line.get(c as usize))
                    == Some(&b'{');
                if brace {
                    c += 1;
                    ec -= 1;
                }
            }
            Some((
                kind.to_string(),
                l,
                c,
                el,
                ec,
                n[5].as_str().map(normalise_repr),
            ))
        })
        .collect()
}

#[test]
fn ast_nodes_agree_with_cpython_on_the_standard_library() {
    let corpus = common::conformance_corpus();
    let paths = common::python_files(&corpus);
    assert!(
        paths.len() > 10,
        "no Python files under {}",
        corpus.display()
    );

    let (mut files, mut rejected, mut nodes) = (0usize, 0usize, 0usize);
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    let mut extra: BTreeMap<String, usize> = BTreeMap::new();
    let mut examples = Vec::new();
    common::run_oracle("dump_ast.py", &paths, |v| {
        let path = PathBuf::from(v["path"].as_str().unwrap());
        let rel = path
            .strip_prefix(&corpus)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let file = ScannedFile {
            rel_path: rel.clone(),
            abs_path: path.clone(),
            module: None,
            is_package: false,
            is_stub: false,
        };
        let (mut ours, errors) = codelake_keys(&file);
        files += 1;
        if v["ok"].as_bool() != Some(true) {
            rejected += 1;
            // CPython rejects it: we must not crash, and must say why in error rows.
            assert!(
                errors > 0,
                "{rel}: CPython rejects it ({}) but codelake recorded no error",
                v["error"]
            );
            return;
        }
        let source = std::fs::read(&path).unwrap();
        let mut theirs = cpython_keys(v["nodes"].as_array().unwrap(), &source);
        nodes += theirs.len();
        ours.sort();
        theirs.sort();
        let (mut i, mut j) = (0, 0);
        while i < ours.len() || j < theirs.len() {
            let ord = match (ours.get(i), theirs.get(j)) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match ord {
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => {
                    *extra.entry(ours[i].0.clone()).or_default() += 1;
                    if extra[&ours[i].0] <= 4 {
                        examples.push(format!("{rel}: only codelake has {:?}", ours[i]));
                    }
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    *missing.entry(theirs[j].0.clone()).or_default() += 1;
                    if missing[&theirs[j].0] <= 4 {
                        examples.push(format!("{rel}: only CPython has {:?}", theirs[j]));
                    }
                    j += 1;
                }
            }
        }
    });
    eprintln!("compared {files} files ({rejected} rejected by CPython), {nodes} CPython nodes");
    assert_eq!(files, paths.len());
    assert!(
        missing.is_empty() && extra.is_empty(),
        "ast_nodes differ from CPython:\nonly in CPython by kind: {missing:?}\nonly in codelake by kind: {extra:?}\n{}",
        examples.join("\n")
    );
}
