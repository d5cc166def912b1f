//! The map stays true: `docs/ARCHITECTURE.md` names only files that exist, and no crate of the
//! workspace has a module cycle outside its tests (the layers the map describes).
//!
//! These read the repository's files as text; they live in the extraction crate because it
//! compiles fastest, and they look at every crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directories a path named on the map may be relative to: the repository, `crates/`, and
/// each crate and its `src/` (the map names a module as `scopes/rows.rs` once its crate is
/// clear).
fn bases(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf(), root.join("crates")];
    if let Ok(entries) = std::fs::read_dir(root.join("crates")) {
        let mut crates: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        crates.sort();
        for c in crates {
            out.push(c.join("src"));
            out.push(c);
        }
    }
    out
}

/// Every file below `dir` whose name ends with one of `exts`.
fn files_below(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                files_below(&path, exts, out);
            }
        } else if exts.iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
}

/// The code spans of a Markdown text that look like a path or a file name.
fn named_paths(markdown: &str) -> Vec<String> {
    const FILE_ENDINGS: [&str; 7] = [".rs", ".sql", ".sh", ".md", ".py", ".txt", ".toml"];
    let mut out = Vec::new();
    for (i, span) in markdown.split('`').enumerate() {
        // Odd pieces are inside backticks; a fenced block's lines are not paths.
        if i % 2 == 0 || span.contains(char::is_whitespace) || span.is_empty() {
            continue;
        }
        // Placeholders, globs, flags, runtime locations and issue references are not files.
        let placeholder = ['<', '*', '$', '#', '(', '=']
            .iter()
            .any(|c| span.contains(*c))
            || span.starts_with('-')
            || span.starts_with('~')
            || span.starts_with("../")
            || span.starts_with("DB/");
        let looks_like_file = span.contains('/') || FILE_ENDINGS.iter().any(|e| span.ends_with(e));
        if !placeholder && looks_like_file && !span.starts_with('.') || span == ".ci/run" {
            out.push(span.to_string());
        }
    }
    out
}

#[test]
fn the_architecture_page_names_only_files_that_exist() {
    let root = repo_root();
    let page = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("the map");
    let lines = page.lines().count();
    assert!(lines <= 260, "docs/ARCHITECTURE.md is a map: {lines} lines");
    let bases = bases(&root);
    let mut every_file = Vec::new();
    files_below(&root, &[""], &mut every_file);
    let mut missing = Vec::new();
    let named = named_paths(&page);
    assert!(named.len() > 30, "the map names files: {named:?}");
    for name in &named {
        let found = if name.contains('/') {
            let rel = name.trim_end_matches('/');
            bases.iter().any(|b| b.join(rel).exists())
        } else {
            // A bare file name (`source.rs`): some file of the repository has it.
            every_file
                .iter()
                .any(|f| f.file_name().is_some_and(|n| n == name.as_str()))
        };
        if !found {
            missing.push(name.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
}

#[test]
fn the_path_finder_sees_paths_and_skips_the_rest() {
    let named = named_paths(
        "`crates/a.rs`, `lib.rs`, `DB/_codelake/`, `<layer>/x.sql`, `--include/--exclude`, \
         `stable_id(domain, ...)`, `ast_nodes`, `apache/datafusion#1`, `.ci/run`, `~/.cache/x`",
    );
    assert_eq!(named, ["crates/a.rs", "lib.rs", ".ci/run"]);
}

/// The module of a crate's source file: `scopes/rows.rs` is `scopes`, `lib.rs` the root.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The source of a file without its `#[cfg(test)]` modules and comments: tests may use any
/// module, and doc links are not dependencies.
fn code_outside_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            // Skip the item that follows: one line, or to its closing brace at the same
            // indentation.
            let indent = line.len() - trimmed.len();
            let close = format!("{}}}", " ".repeat(indent));
            if let Some(item) = lines.next()
                && (!item.trim_end().ends_with(';') || item.contains('{'))
            {
                for l in lines.by_ref() {
                    if l == close {
                        break;
                    }
                }
            }
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The top-level modules a piece of code names through `crate::`.
fn crate_refs(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end].split(',').collect()
        } else {
            vec![rest]
        };
        for n in names {
            let ident: String = n
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&ident) {
                out.insert(ident);
            }
        }
    }
    out
}

/// A cycle in a graph of modules, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let from = path.iter().position(|p| p == node).unwrap_or(0);
                let mut cycle = path[from..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_crate_has_a_module_cycle_outside_its_tests() {
    let root = repo_root();
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    crates.sort();
    assert!(crates.len() >= 4, "{crates:?}");
    for krate in crates {
        let src = krate.join("src");
        let mut files = Vec::new();
        files_below(&src, &[".rs"], &mut files);
        let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in &files {
            let Some(module) = top_module(&src, file) else {
                continue;
            };
            let text = std::fs::read_to_string(file).expect("source");
            let refs = crate_refs(&code_outside_tests(&text), &modules);
            let entry = graph.entry(module.clone()).or_default();
            entry.extend(refs.into_iter().filter(|r| *r != module));
        }
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{}: module cycle {}", krate.display(), cycle.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles_and_only_them() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    let cyclic = graph(&[("ast", "tables"), ("tables", "scopes"), ("scopes", "ast")]);
    assert_eq!(
        find_cycle(&cyclic).map(|c| c.len()),
        Some(4),
        "{:?}",
        find_cycle(&cyclic)
    );
    let layered = graph(&[("ast", "tables"), ("scopes", "ast"), ("scopes", "tables")]);
    assert_eq!(find_cycle(&layered), None);
    let modules: BTreeSet<String> = ["ast", "tables"].iter().map(|s| s.to_string()).collect();
    let code = code_outside_tests(
        "use crate::{ast::X, tables};\n// crate::nope\n#[cfg(test)]\nmod tests {\n    use crate::ast;\n}\n",
    );
    assert_eq!(crate_refs(&code, &modules), modules);
}
