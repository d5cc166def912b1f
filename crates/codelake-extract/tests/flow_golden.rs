//! Golden control-flow graphs of `examples/shop/shop/checkout.py`, one function per construct
//! (try/except/else/finally, with, for/else with break and continue, while/else with break and
//! continue through finally, match with guards, assert and short-circuit expressions,
//! generators, async, global/nonlocal), rendered from the `cfg_nodes`, `cfg_edges` and
//! `defs_uses` rows and compared with `tests/golden/flow_checkout.txt`, which was reviewed by
//! hand. `CODELAKE_BLESS=1` rewrites it.
//!
//! Each scope lists its nodes in graph order: ordinal, kind, `.role` (when not `eval`), `#copy`
//! (a copy of a finally body, `__exit__` call or handler cleanup), line and source, then
//! `-> dst kind` for each edge (`exception?`: an implicit exception edge, the node may raise).
//! Then its reaching definitions: `var@use_line <- def_line (def_kind)`.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use codelake_extract::{ExtractConfig, Table, extract_file};

fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn opt_i64(b: &RecordBatch, name: &str, i: usize) -> Option<i64> {
    let a = b.column_by_name(name).unwrap().as_primitive::<Int64Type>();
    (!a.is_null(i)).then(|| a.value(i))
}

fn i64_(b: &RecordBatch, name: &str, i: usize) -> i64 {
    opt_i64(b, name, i).unwrap()
}

fn i32_(b: &RecordBatch, name: &str, i: usize) -> Option<i32> {
    let a = b.column_by_name(name).unwrap().as_primitive::<Int32Type>();
    (!a.is_null(i)).then(|| a.value(i))
}

fn str_<'a>(b: &'a RecordBatch, name: &str, i: usize) -> &'a str {
    b.column_by_name(name).unwrap().as_string::<i32>().value(i)
}

fn boolean(b: &RecordBatch, name: &str, i: usize) -> bool {
    b.column_by_name(name).unwrap().as_boolean().value(i)
}

/// The graphs of one file as text.
pub fn render(path: &std::path::Path, rel: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let file = common::scanned(path, rel);
    let ev = extract_file(&file, &ExtractConfig::default()).unwrap();
    let get = |t: Table| ev.batch(t).unwrap().clone();
    let (scopes, nodes, edges, du) = (
        get(Table::Scopes),
        get(Table::CfgNodes),
        get(Table::CfgEdges),
        get(Table::DefsUses),
    );
    let line_of = |off: i64| text[..off as usize].matches('\n').count() + 1;
    let snippet = |s: i64, e: i64| {
        let t = &text[s as usize..e as usize];
        let first = t.lines().next().unwrap_or("");
        let mut out: String = first.chars().take(36).collect();
        if first.chars().count() > 36 || t.lines().nth(1).is_some() {
            out.push('…');
        }
        out
    };
    // cfg node id -> (scope, ordinal)
    let mut ord: BTreeMap<i64, (i64, i32)> = BTreeMap::new();
    for i in 0..nodes.num_rows() {
        ord.insert(
            i64_(&nodes, "cfg_node_id", i),
            (
                i64_(&nodes, "scope_id", i),
                i32_(&nodes, "ordinal", i).unwrap(),
            ),
        );
    }
    let mut out = String::new();
    for s in 0..scopes.num_rows() {
        let scope = i64_(&scopes, "scope_id", s);
        let rows: Vec<usize> = (0..nodes.num_rows())
            .filter(|&i| i64_(&nodes, "scope_id", i) == scope)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "scope {} ({})",
            str_(&scopes, "qualname", s),
            str_(&scopes, "kind", s)
        );
        let mut lines: BTreeMap<i32, String> = BTreeMap::new();
        for &i in &rows {
            let o = i32_(&nodes, "ordinal", i).unwrap();
            let mut l = format!("  {o:>3} {}", str_(&nodes, "kind", i));
            let role = str_(&nodes, "role", i);
            if role != "eval" {
                let _ = write!(l, ".{role}");
            }
            let copy = i32_(&nodes, "copy", i).unwrap();
            if copy != 0 {
                let _ = write!(l, " #{copy}");
            }
            if let (Some(bs), Some(be)) = (opt_i64(&nodes, "bstart", i), opt_i64(&nodes, "bend", i))
            {
                let _ = write!(l, " L{} `{}`", line_of(bs), snippet(bs, be));
            }
            let outs: Vec<String> = (0..edges.num_rows())
                .filter(|&e| i64_(&edges, "src", e) == i64_(&nodes, "cfg_node_id", i))
                .map(|e| {
                    let kind = match (str_(&edges, "kind", e), boolean(&edges, "implicit", e)) {
                        ("exception", true) => "exception?",
                        (k, _) => k,
                    };
                    format!("{} {kind}", ord[&i64_(&edges, "dst", e)].1)
                })
                .collect();
            if !outs.is_empty() {
                let _ = write!(l, " -> {}", outs.join(", "));
            }
            lines.insert(o, l);
        }
        for l in lines.values() {
            let _ = writeln!(out, "{l}");
        }
        let mut pairs: Vec<String> = (0..du.num_rows())
            .filter(|&i| i64_(&du, "scope_id", i) == scope)
            .map(|i| {
                format!(
                    "{}@{} <- {} ({}{})",
                    str_(&du, "var", i),
                    line_of(i64_(&du, "use_bstart", i)),
                    line_of(i64_(&du, "def_bstart", i)),
                    str_(&du, "def_kind", i),
                    if str_(&du, "via", i) == "closure" {
                        ", closure"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        pairs.sort();
        pairs.dedup();
        if !pairs.is_empty() {
            let _ = writeln!(out, "  reaching definitions: {}", pairs.join(", "));
        }
    }
    out
}

#[test]
fn checkout_graphs_match_the_golden_file() {
    let src = manifest_dir().join("../../examples/shop/shop/checkout.py");
    let got = render(&src, "shop/checkout.py");
    let golden = manifest_dir().join("tests/golden/flow_checkout.txt");
    if std::env::var_os("CODELAKE_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_default();
    if got != want {
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(20)
            .map(|(i, (a, b))| format!("line {}:\n  want {a}\n  got  {b}", i + 1))
            .collect();
        panic!(
            "golden graphs differ (CODELAKE_BLESS=1 rewrites {}):\n{}",
            golden.display(),
            diff.join("\n")
        );
    }
}
