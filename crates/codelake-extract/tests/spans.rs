//! Spans and line/column under the encodings and line endings real files have, checked
//! against CPython's own `ast` for the same bytes.

mod common;

use std::process::Command;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use codelake_extract::{ExtractConfig, ScannedFile, Table, extract_file};

struct Node {
    kind: String,
    bstart: i64,
    bend: i64,
    pos: (i64, i64, i64, i64),
    name: Option<String>,
}

fn extract(bytes: &[u8]) -> (Vec<Node>, RecordBatch, codelake_extract::FileEvidence) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("m.py");
    std::fs::write(&p, bytes).unwrap();
    let f = ScannedFile {
        rel_path: "m.py".into(),
        abs_path: p,
        module: Some("m".into()),
        is_package: false,
        is_stub: false,
    };
    let ev = extract_file(&f, &ExtractConfig::default()).unwrap();
    let b = ev.batch(Table::AstNodes).cloned().expect("ast rows");
    let kinds = b.column_by_name("kind").unwrap().as_string::<i32>();
    let names = b.column_by_name("name").unwrap().as_string::<i32>();
    let bs = b
        .column_by_name("bstart")
        .unwrap()
        .as_primitive::<Int64Type>();
    let be = b
        .column_by_name("bend")
        .unwrap()
        .as_primitive::<Int64Type>();
    let span = b.column_by_name("span").unwrap().as_struct();
    let g = |n: &str, i: usize| {
        span.column_by_name(n)
            .unwrap()
            .as_primitive::<Int32Type>()
            .value(i) as i64
    };
    let nodes = (0..b.num_rows())
        .map(|i| Node {
            kind: kinds.value(i).to_string(),
            bstart: bs.value(i),
            bend: be.value(i),
            pos: (
                g("start_line", i),
                g("start_col", i),
                g("end_line", i),
                g("end_col", i),
            ),
            name: (!names.is_null(i)).then(|| names.value(i).to_string()),
        })
        .collect();
    (nodes, ev.batch(Table::FileLines).cloned().unwrap(), ev)
}

/// CPython's (lineno, col, end_lineno, end_col) of every Name in the source, in order.
fn cpython_names(bytes: &[u8]) -> Vec<(String, (i64, i64, i64, i64))> {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("m.py");
    std::fs::write(&p, bytes).unwrap();
    let script = "import ast,sys\n\
        t = ast.parse(open(sys.argv[1],'rb').read())\n\
        ns = sorted((n for n in ast.walk(t) if isinstance(n, ast.Name)), key=lambda n: (n.lineno, n.col_offset))\n\
        for n in ns: print(n.id, n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)\n";
    let out = Command::new(common::python3())
        .args(["-c", script])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<&str> = l.split(' ').collect();
            let n = |i: usize| v[i].parse::<i64>().unwrap();
            (v[0].to_string(), (n(1), n(2), n(3), n(4)))
        })
        .collect()
}

fn ours_names(nodes: &[Node]) -> Vec<(String, (i64, i64, i64, i64))> {
    let mut v: Vec<_> = nodes
        .iter()
        .filter(|n| n.kind == "Name")
        .map(|n| (n.name.clone().unwrap(), n.pos))
        .collect();
    v.sort_by_key(|(_, p)| (p.0, p.1));
    v
}

fn check_against_cpython(bytes: &[u8]) -> Vec<Node> {
    let (nodes, _, _) = extract(bytes);
    assert_eq!(
        ours_names(&nodes),
        cpython_names(bytes),
        "source: {:?}",
        String::from_utf8_lossy(bytes)
    );
    nodes
}

#[test]
fn multibyte_utf8_columns_are_bytes() {
    let src = "é = 'ü'; ñ = é\nx = '日本' + ñ\n".as_bytes();
    let nodes = check_against_cpython(src);
    // The byte span of `ñ` on line 1 slices the file to exactly that identifier.
    let n = nodes
        .iter()
        .find(|n| n.name.as_deref() == Some("ñ") && n.pos.0 == 1)
        .unwrap();
    assert_eq!(&src[n.bstart as usize..n.bend as usize], "ñ".as_bytes());
}

#[test]
fn crlf_and_lone_cr_line_endings() {
    let nodes = check_against_cpython(b"a = 1\r\nb = (a,\r\n     a)\r\nc = b\r\n");
    assert!(
        nodes
            .iter()
            .any(|n| n.kind == "Tuple" && n.pos == (2, 4, 3, 7))
    );
    let (_, lines, _) = extract(b"a = 1\r\nb = 2\rc = 3\n");
    let nl = lines.column_by_name("newline").unwrap().as_string::<i32>();
    assert_eq!(
        (0..nl.len()).map(|i| nl.value(i)).collect::<Vec<_>>(),
        vec!["\r\n", "\r", "\n", ""]
    );
}

#[test]
fn tabs_count_as_one_byte() {
    check_against_cpython(b"if True:\n\tx = 1\n\tif x:\n\t\ty = x\n");
}

#[test]
fn bom_offsets_are_file_offsets_and_columns_are_cpythons() {
    let src = b"\xEF\xBB\xBFx = 1\ny = x\n";
    let nodes = check_against_cpython(src);
    let x = nodes
        .iter()
        .find(|n| n.name.as_deref() == Some("x") && n.pos.0 == 1)
        .unwrap();
    assert_eq!((x.bstart, x.bend, x.pos.1), (3, 4, 0));
    assert_eq!(nodes[0].kind, "Module");
    assert_eq!((nodes[0].bstart, nodes[0].bend), (3, src.len() as i64));
}

#[test]
fn latin1_cookie_decodes_and_positions_match_cpython() {
    let src = b"# -*- coding: latin-1 -*-\ns = '\xe9t\xe9'; t = s\n";
    let (nodes, _, ev) = extract(src);
    assert_eq!(ev.file.encoding.as_deref(), Some("iso-8859-1"));
    assert_eq!(ours_names(&nodes), cpython_names(src));
    let c = nodes.iter().find(|n| n.kind == "Constant").unwrap();
    // Offsets index the UTF-8 decoding: 'été' is 5 quoted bytes + 2 quotes.
    assert_eq!(c.bend - c.bstart, 7);
}

#[test]
fn syntax_errors_keep_recovered_nodes_and_errors() {
    let src =
        b"def ok():\n    return 1\n\ndef bad(:\n    pass\n\ndef also_ok():\n    return ok()\n";
    let (nodes, _, ev) = extract(src);
    let defs: Vec<_> = nodes
        .iter()
        .filter(|n| n.kind == "FunctionDef")
        .filter_map(|n| n.name.clone())
        .collect();
    assert!(
        defs.contains(&"ok".to_string()) && defs.contains(&"also_ok".to_string()),
        "{defs:?}"
    );
    assert!(
        ev.errors
            .iter()
            .any(|e| e.kind == "syntax_error" && e.line == Some(4)),
        "{:?}",
        ev.errors
    );
}

#[test]
fn bad_files_become_error_rows() {
    let (_, _, ev) = {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("b.py");
        std::fs::write(&p, b"x = 1\0\n").unwrap();
        let f = ScannedFile {
            rel_path: "b.py".into(),
            abs_path: p,
            module: None,
            is_package: false,
            is_stub: false,
        };
        let ev = extract_file(&f, &ExtractConfig::default()).unwrap();
        (0, 0, ev)
    };
    assert!(ev.batch(Table::AstNodes).is_none());
    assert_eq!(ev.errors[0].kind, "binary");

    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.py");
    std::fs::write(&p, "x = 1\n".repeat(100)).unwrap();
    let f = ScannedFile {
        rel_path: "big.py".into(),
        abs_path: p.clone(),
        module: None,
        is_package: false,
        is_stub: false,
    };
    let ev = extract_file(
        &f,
        &ExtractConfig {
            max_file_bytes: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((ev.errors[0].kind, ev.file.size_bytes), ("too_large", 600));

    std::fs::write(&p, format!("x = {}1{}\n", "(".repeat(300), ")".repeat(300))).unwrap();
    let ev = extract_file(&f, &ExtractConfig::default()).unwrap();
    assert_eq!(ev.errors[0].kind, "too_deep");

    std::fs::write(&p, b"x = '\xff'\n").unwrap();
    let ev = extract_file(&f, &ExtractConfig::default()).unwrap();
    assert_eq!(
        (ev.errors[0].kind, ev.errors[0].bstart),
        ("decode_error", Some(5))
    );

    // A deep but legal tree: the walk stops at its depth limit and says so.
    std::fs::write(&p, format!("x = {}1\n", "-".repeat(5000))).unwrap();
    let ev = extract_file(&f, &ExtractConfig::default()).unwrap();
    assert!(
        ev.errors
            .iter()
            .any(|e| e.kind == "too_deep" && e.stage == "ast")
    );
    assert!(ev.rows(Table::AstNodes) > 1000);
}
