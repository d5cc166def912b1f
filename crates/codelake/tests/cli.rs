//! The command line as a user types it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The package's directory, as `cargo test` gives it to the running test (not as it was when
/// the test was compiled: a target directory shared by two checkouts may hold a test binary
/// built in the other one).
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn example() -> PathBuf {
    manifest_dir().join("../../examples/shop")
}

fn codelake() -> Command {
    Command::cargo_bin("codelake").unwrap()
}

/// Builds the example repository into `db`, quietly.
fn build_example(db: &Path) {
    stdout(
        codelake()
            .arg("build")
            .arg(example())
            .arg("--db")
            .arg(db)
            .arg("-q"),
    );
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn build_then_query_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let summary = stdout(codelake().arg("build").arg(example()).arg("--db").arg(&db));
    assert!(summary.contains("11 files"), "{summary}");
    assert!(
        summary.contains("ast_nodes") && summary.contains("MB/s"),
        "{summary}"
    );
    assert!(
        summary.contains("extraction errors: 1 rows in 1 files"),
        "{summary}"
    );

    let q = "SELECT path, encoding FROM files WHERE path LIKE '%latin1%'";
    let sql = |format: &str| {
        stdout(
            codelake()
                .args(["sql", "--format", format, "--db"])
                .arg(&db)
                .arg(q),
        )
    };
    assert_eq!(
        sql("csv"),
        "path,encoding\nshop/legacy_latin1.py,iso-8859-1\n"
    );
    assert_eq!(
        sql("tsv"),
        "path\tencoding\nshop/legacy_latin1.py\tiso-8859-1\n"
    );
    assert_eq!(
        sql("json"),
        "[{\"path\":\"shop/legacy_latin1.py\",\"encoding\":\"iso-8859-1\"}]\n"
    );
    assert_eq!(
        sql("ndjson"),
        "{\"path\":\"shop/legacy_latin1.py\",\"encoding\":\"iso-8859-1\"}\n"
    );
    assert!(sql("table").contains("| shop/legacy_latin1.py | iso-8859-1 |"));
    // Several statements run in order; an empty result is an empty JSON array.
    let two = stdout(
        codelake()
            .args(["sql", "--format", "json", "--db"])
            .arg(&db)
            .arg("SELECT 1 AS a; SELECT path FROM files WHERE path = 'nope'"),
    );
    assert_eq!(two, "[{\"a\":1}]\n[]\n");

    let tables = stdout(codelake().arg("tables").arg("--db").arg(&db));
    for t in [
        "files (11 rows)",
        "file_lines",
        "ast_nodes",
        "extract_errors (1 rows)",
        "content_hash",
    ] {
        assert!(tables.contains(t), "{t} missing from:\n{tables}");
    }

    // --quiet prints nothing on success.
    let quiet = stdout(
        codelake()
            .arg("build")
            .arg(example())
            .arg("--db")
            .arg(&db)
            .arg("--quiet"),
    );
    assert_eq!(quiet, "");
}

#[test]
fn user_errors_are_one_line_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec![
            "sql".to_string(),
            "--db".into(),
            dir.path().join("missing").display().to_string(),
            "SELECT 1".into(),
        ],
        vec![
            "build".to_string(),
            dir.path().join("no-such-repo").display().to_string(),
        ],
    ] {
        let out = codelake().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("codelake: ") && err.trim_end().lines().count() == 1,
            "{err}"
        );
    }
    let db = dir.path().join("db");
    build_example(&db);
    let out = codelake()
        .args(["sql", "--db"])
        .arg(&db)
        .arg("SELECT nope FROM files")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("nope") && err.trim_end().lines().count() == 1,
        "{err}"
    );
}

/// A table the build cannot open fails the build with one line, in either mode; the build's
/// other tasks, still opening and writing tables through delta-rs, are let finish first (shut
/// down under them, delta-rs' kernel panicked after the line: about every other
/// `--no-relations` build here did).
#[test]
fn a_table_that_cannot_be_opened_fails_the_build_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&[][..], &["--no-relations"][..]] {
        for _ in 0..3 {
            let db = dir.path().join("db");
            let _ = std::fs::remove_dir_all(&db);
            std::fs::create_dir_all(db.join("calls")).unwrap();
            std::fs::write(db.join("calls/_delta_log"), "not a directory").unwrap();
            let out = codelake()
                .arg("build")
                .arg(example())
                .arg("--db")
                .arg(&db)
                .arg("-q")
                .args(args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(
                err.starts_with("codelake: ")
                    && err.contains("calls")
                    && err.trim_end().lines().count() == 1,
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn interactive_prompt_runs_multiline_statements_and_survives_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    build_example(&db);
    let out = codelake()
        .args(["sql", "--format", "csv", "--db"])
        .arg(&db)
        .env("HOME", dir.path())
        .write_stdin(
            "SELECT count(*) AS n\nFROM files;\nSELECT nope FROM files;\n\\d\nSELECT 2 AS two;\nSELECT 9 AS nine\n\\q\nSELECT 3;\n",
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(text.contains("n\n11\n"), "{text}");
    assert!(
        err.contains("nope"),
        "the failing statement reports its error: {err}"
    );
    assert!(
        text.contains("files (11 rows)"),
        "\\d lists the tables: {text}"
    );
    assert!(
        text.contains("two\n2\n"),
        "the prompt goes on after an error: {text}"
    );
    assert!(!text.contains("\n3\n"), "\\q ends the session: {text}");
    assert!(
        !text.contains("nine"),
        "\\q ends the session even mid-statement: {text}"
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    build_example(&db);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("codelake"))
        .args(["sql", "--format", "csv", "--db"])
        .arg(&db)
        .arg("SELECT * FROM ast_nodes CROSS JOIN (SELECT 1 UNION ALL SELECT 2) t")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's read end is dropped here, like `| head -c 64`.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
