//! The repository scan: ignore rules, skipped directories, globs, symlinks, order and module
//! names.

use std::fs;
use std::path::Path;

use codelake_extract::scan::{ModuleNamer, ScanOptions, scan};

fn touch(root: &Path, rel: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, "x = 1\n").unwrap();
}

fn paths(root: &Path, opts: &ScanOptions) -> Vec<String> {
    scan(root, opts)
        .unwrap()
        .files
        .into_iter()
        .map(|f| f.rel_path)
        .collect()
}

#[test]
fn honours_ignore_files_default_skips_and_extensions() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    for f in [
        "a.py",
        "b.pyi",
        "c.txt",
        "pkg/__init__.py",
        "pkg/z.py",
        "pkg/a.py",
        ".venv/lib/x.py",
        "node_modules/m.py",
        "build/gen.py",
        "sub/__pycache__/c.py",
        "ignored/q.py",
        "gen_out.py",
        ".hidden/h.py",
        "local/only.py",
    ] {
        touch(r, f);
    }
    fs::write(r.join(".gitignore"), "ignored/\ngen_*.py\n").unwrap();
    fs::write(r.join(".ignore"), "local/\n").unwrap();
    assert_eq!(
        paths(r, &ScanOptions::default()),
        vec![
            ".hidden/h.py",
            "a.py",
            "b.pyi",
            "pkg/__init__.py",
            "pkg/a.py",
            "pkg/z.py"
        ]
    );
}

#[test]
fn include_and_exclude_globs_and_database_dir() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    for f in [
        "src/app/m.py",
        "src/app/tests/t.py",
        "docs/conf.py",
        "db/x.py",
        "top.py",
    ] {
        touch(r, f);
    }
    let opts = ScanOptions {
        include: vec!["src/**".into()],
        exclude: vec!["tests".into()],
        ..Default::default()
    };
    assert_eq!(paths(r, &opts), vec!["src/app/m.py"]);
    let opts = ScanOptions {
        skip_dir: Some(r.join("db")),
        ..Default::default()
    };
    assert_eq!(
        paths(r, &opts),
        vec![
            "docs/conf.py",
            "src/app/m.py",
            "src/app/tests/t.py",
            "top.py"
        ]
    );
    let bad = ScanOptions {
        include: vec!["[".into()],
        ..Default::default()
    };
    assert!(scan(r, &bad).is_err());
}

#[cfg(unix)]
#[test]
fn never_follows_a_symlink_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    touch(outside.path(), "secret/s.py");
    touch(outside.path(), "lone.py");
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    touch(r, "pkg/m.py");
    std::os::unix::fs::symlink(outside.path().join("secret"), r.join("escape")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("lone.py"), r.join("lone.py")).unwrap();
    // A link that stays inside is followed.
    std::os::unix::fs::symlink(r.join("pkg"), r.join("alias")).unwrap();
    let result = scan(r, &ScanOptions::default()).unwrap();
    let got: Vec<_> = result.files.iter().map(|f| f.rel_path.as_str()).collect();
    assert_eq!(got, vec!["alias/m.py", "pkg/m.py"]);
    assert_eq!(result.skipped_symlinks, vec!["escape", "lone.py"]);
}

#[test]
fn module_names_from_the_package_layout() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    for f in [
        "pkg/__init__.py",
        "pkg/sub/__init__.py",
        "pkg/sub/mod.py",
        "pkg/stub.pyi",
        "tests/regular/__init__.py",
        "tests/regular/test_x.py",
        "scripts/tool.py",
        "setup.py",
        "bad-name/m.py",
        "tests/async/__init__.py",
        "tests/async/models.py",
        "app/migrations/__init__.py",
        "app/migrations/0002_initial.py",
    ] {
        touch(r, f);
    }
    let mut n = ModuleNamer::new(r);
    assert_eq!(n.module_name("pkg/__init__.py").as_deref(), Some("pkg"));
    assert_eq!(
        n.module_name("pkg/sub/mod.py").as_deref(),
        Some("pkg.sub.mod")
    );
    assert_eq!(
        n.module_name("pkg/sub/__init__.py").as_deref(),
        Some("pkg.sub")
    );
    assert_eq!(n.module_name("pkg/stub.pyi").as_deref(), Some("pkg.stub"));
    // The topmost regular package's parent is the import root (pytest's default).
    assert_eq!(
        n.module_name("tests/regular/test_x.py").as_deref(),
        Some("regular.test_x")
    );
    // Outside any package: namespace packages from the root.
    assert_eq!(
        n.module_name("scripts/tool.py").as_deref(),
        Some("scripts.tool")
    );
    assert_eq!(n.module_name("setup.py").as_deref(), Some("setup"));
    assert_eq!(n.module_name("bad-name/m.py"), None);
    // Importable by importlib (Django's test runner and migration loader do so), so named.
    assert_eq!(
        n.module_name("tests/async/models.py").as_deref(),
        Some("async.models")
    );
    assert_eq!(
        n.module_name("app/migrations/0002_initial.py").as_deref(),
        Some("migrations.0002_initial")
    );

    // src layout, with a PEP 420 namespace package above a regular one.
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    for f in [
        "src/ns/pkg/__init__.py",
        "src/ns/pkg/core.py",
        "src/single.py",
        "src/app/__init__.py",
    ] {
        touch(r, f);
    }
    let mut n = ModuleNamer::new(r);
    assert_eq!(
        n.module_name("src/ns/pkg/core.py").as_deref(),
        Some("ns.pkg.core")
    );
    assert_eq!(n.module_name("src/single.py").as_deref(), Some("single"));
    assert_eq!(n.module_name("src/app/__init__.py").as_deref(), Some("app"));
}
