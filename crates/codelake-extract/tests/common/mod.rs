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
