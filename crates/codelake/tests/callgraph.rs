//! The call graph against PyCG's micro-benchmark and against the example repository's graph,
//! reviewed by hand.

use std::path::PathBuf;

use assert_cmd::Command;

fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// The number of PyCG micro-benchmark cases the call graph gets exactly right (PyCG 0.0.8's
/// own figure on them is about 106 of 118): fewer is a regression.
const PYCG_MICRO_FLOOR: usize = 96;

/// Runs `bench/pycg_micro.py` (which fetches the pycg 0.0.8 sdist from PyPI into the corpora
/// cache) with this build's binary and asserts the floor.
#[test]
fn pycg_micro_benchmark_keeps_its_pass_count() {
    let bin = assert_cmd::cargo::cargo_bin("codelake");
    let script = manifest_dir().join("../../bench/pycg_micro.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg("--bin")
        .arg(&bin)
        .arg("--jobs")
        .arg("2")
        .arg("--min")
        .arg(PYCG_MICRO_FLOOR.to_string())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("| **all** |"), "{stdout}");
}

/// The example repository's call graph in PyCG's format, against the golden file reviewed by
/// hand (`CODELAKE_BLESS=1` rewrites it).
#[test]
fn the_example_call_graph_matches_its_golden() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let example = manifest_dir().join("../../examples/shop");
    Command::cargo_bin("codelake")
        .unwrap()
        .arg("build")
        .arg(&example)
        .arg("--db")
        .arg(&db)
        .args(["-q", "--param", "call_graph=true"])
        .assert()
        .success();
    let out = Command::cargo_bin("codelake")
        .unwrap()
        .args(["export", "callgraph", "--format", "pycg", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    let path = manifest_dir().join("tests/golden/callgraph_shop.json");
    if std::env::var_os("CODELAKE_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got,
        want,
        "golden call graph differs (CODELAKE_BLESS=1 rewrites {})",
        path.display()
    );
    // The other formats carry the same edges.
    let dot = Command::cargo_bin("codelake")
        .unwrap()
        .args(["export", "callgraph", "--format", "dot", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let dot = String::from_utf8(dot.stdout).unwrap();
    let edges: usize = serde_json::from_str::<serde_json::Value>(&got)
        .unwrap()
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_array().unwrap().len())
        .sum();
    assert_eq!(dot.matches(" -> ").count(), edges, "{dot}");
}

/// A build without the call graph (the default, until it is bounded on large repositories)
/// has none to export: one clear line and exit code 1, not an empty graph.
#[test]
fn exporting_a_build_without_the_call_graph_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir_all(dir.path().join("repo")).unwrap();
    std::fs::write(dir.path().join("repo/m.py"), "def f():\n    pass\nf()\n").unwrap();
    Command::cargo_bin("codelake")
        .unwrap()
        .arg("build")
        .arg(dir.path().join("repo"))
        .arg("--db")
        .arg(&db)
        .arg("-q")
        .assert()
        .success();
    let out = Command::cargo_bin("codelake")
        .unwrap()
        .args(["export", "callgraph", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("call_graph=true") && err.lines().count() == 1,
        "{err}"
    );
}
