//! Helpers shared by the extraction tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The `python3` the oracles run with (`CODELAKE_PYTHON` overrides).
pub fn python3() -> String {
    std::env::var("CODELAKE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// The corpus of the conformance tests: `CODELAKE_CONFORMANCE_CORPUS`, or the standard library
/// of the machine's `python3`.
pub fn conformance_corpus() -> PathBuf {
    if let Ok(dir) = std::env::var("CODELAKE_CONFORMANCE_CORPUS") {
        return PathBuf::from(dir);
    }
    let out = Command::new(python3())
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3 must be installed to run the conformance tests");
    assert!(out.status.success());
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// The `.py` files under `dir`, sorted, without `site-packages` and `__pycache__`, cut to
/// `CODELAKE_CONFORMANCE_LIMIT` files when set.
pub fn python_files(dir: &std::path::Path) -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if p.file_name()
                    .is_some_and(|n| n == "site-packages" || n == "__pycache__")
                {
                    continue;
                }
                walk(&p, out);
            } else if ft.is_file() && p.extension().is_some_and(|x| x == "py") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    if let Some(limit) = std::env::var("CODELAKE_CONFORMANCE_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        out.truncate(limit);
    }
    out
}

/// Runs an oracle script over `paths` and calls `each` with every JSON line it prints.
pub fn run_oracle(script: &str, paths: &[PathBuf], mut each: impl FnMut(serde_json::Value)) {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    // The package's directory as `cargo test` gives it to the running test, not as it was at
    // compile time: a target directory shared by two checkouts may hold a test binary built
    // in the other one.
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let oracle = dir.join("tests/oracles").join(script);
    let mut child = Command::new(python3())
        .arg(&oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    let mut stdin = child.stdin.take().unwrap();
    let list: String = paths.iter().map(|p| format!("{}\n", p.display())).collect();
    let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        each(serde_json::from_str(&line.unwrap()).unwrap());
    }
    let written = writer.join().unwrap();
    let status = child.wait().unwrap();
    // A failing oracle stops reading its input: report its exit status (its traceback went to
    // stderr) rather than the broken pipe that follows.
    assert!(status.success(), "{script} failed: {status}");
    written.unwrap();
}

/// A file outside any package, as the scan would give it.
pub fn scanned(path: &std::path::Path, rel: &str) -> codelake_extract::ScannedFile {
    codelake_extract::ScannedFile {
        rel_path: rel.to_string(),
        abs_path: path.to_path_buf(),
        module: None,
        is_package: false,
        is_stub: false,
    }
}
