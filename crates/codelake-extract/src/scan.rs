//! Finding the Python files of a repository.
//!
//! The walk honours `.gitignore`, `.ignore` and git's exclude files (even outside a git
//! checkout, as in an unpacked sdist), skips the directories no one wants analysed
//! ([`DEFAULT_SKIP_DIRS`]) and the database directory, applies `--include`/`--exclude` globs,
//! follows symlinks only while they stay inside the repository root, and returns the files
//! sorted by repository-relative POSIX path so every build sees them in the same order.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Directories never scanned, wherever they are.
pub const DEFAULT_SKIP_DIRS: &[&str] = &[
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    "env",
    "node_modules",
    "build",
    "dist",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
];

/// File extensions taken as Python source.
pub const PYTHON_EXTENSIONS: &[&str] = &["py", "pyi"];

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("repository root {path}: {source}")]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("repository root {0} is not a directory")]
    NotADirectory(PathBuf),
    #[error("invalid glob {glob:?}: {source}")]
    Glob {
        glob: String,
        source: globset::Error,
    },
}

#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Only files matching one of these globs are taken (all Python files when empty).
    pub include: Vec<String>,
    /// Files and directories matching one of these globs are skipped.
    pub exclude: Vec<String>,
    /// A directory to skip (the database), if it lies inside the repository.
    pub skip_dir: Option<PathBuf>,
    /// Threads walking the directories (0: one per core).
    pub threads: usize,
}

/// A Python file found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedFile {
    /// Repository-relative POSIX path.
    pub rel_path: String,
    /// Where to read it.
    pub abs_path: PathBuf,
    /// Dotted module name, `None` when a part of the path is not a Python identifier.
    pub module: Option<String>,
    pub is_package: bool,
    pub is_stub: bool,
}

/// What the scan found, and what it passed over on purpose.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub files: Vec<ScannedFile>,
    /// Symlinks not followed because they lead outside the repository root.
    pub skipped_symlinks: Vec<String>,
    /// Entries the walker could not read (permission denied, broken link, loop), sorted.
    pub walk_errors: Vec<String>,
    /// The sizes of the files found, summed (for progress; 0 for a file that vanished).
    pub total_bytes: u64,
}

/// A glob set where a glob without `/` matches any path component (like .gitignore) and a glob
/// with `/` matches the whole repository-relative path.
struct Globs {
    basename: GlobSet,
    path: GlobSet,
    empty: bool,
}

impl Globs {
    fn new(globs: &[String]) -> Result<Self, ScanError> {
        let mut basename = GlobSetBuilder::new();
        let mut path = GlobSetBuilder::new();
        for g in globs {
            let pattern = g.trim_start_matches("./");
            let glob = Glob::new(pattern).map_err(|source| ScanError::Glob {
                glob: g.clone(),
                source,
            })?;
            if pattern.contains('/') {
                path.add(glob);
            } else {
                basename.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|source| ScanError::Glob {
                glob: globs.join(" "),
                source,
            })
        };
        Ok(Self {
            basename: build(basename)?,
            path: build(path)?,
            empty: globs.is_empty(),
        })
    }

    /// Does the glob set match this path or, for `basename` globs, its last component?
    fn matches(&self, rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        self.path.is_match(rel) || self.basename.is_match(name)
    }
}

fn rel_posix(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// Scans `root` for Python files.
pub fn scan(root: &Path, options: &ScanOptions) -> Result<ScanResult, ScanError> {
    let meta = std::fs::metadata(root).map_err(|source| ScanError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(ScanError::NotADirectory(root.to_path_buf()));
    }
    let canon_root = root.canonicalize().map_err(|source| ScanError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    let include = Globs::new(&options.include)?;
    let exclude = Globs::new(&options.exclude)?;
    let skip_dir = options
        .skip_dir
        .as_ref()
        .and_then(|d| d.canonicalize().ok());

    let mut result = ScanResult::default();
    let escaped = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let walker = {
        let root = root.to_path_buf();
        let escaped = escaped.clone();
        let mut builder = ignore::WalkBuilder::new(&root);
        builder
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .ignore(true)
            .require_git(false)
            .follow_links(true)
            .threads(options.threads);
        // filter_entry needs 'static state: move owned copies in.
        let exclude_basename = exclude.basename.clone();
        let exclude_path = exclude.path.clone();
        let skip_name = skip_dir
            .as_ref()
            .and_then(|d| d.file_name())
            .map(|n| n.to_os_string());
        builder.filter_entry(move |entry| {
            let path = entry.path();
            if entry.depth() == 0 {
                return true;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                return true;
            };
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir && DEFAULT_SKIP_DIRS.contains(&name) {
                return false;
            }
            // Only a symlink can lead out of the root (a plain entry lies inside the directory
            // the walk came from), and only a directory named like the database can be it: the
            // others need no `canonicalize`, which costs a system call per path component.
            let is_skip_candidate = is_dir && skip_name.as_deref().is_some_and(|n| n == name);
            if entry.path_is_symlink() || is_skip_candidate {
                match path.canonicalize() {
                    Ok(canon) => {
                        if !canon.starts_with(&canon_root) {
                            if let Ok(mut e) = escaped.lock() {
                                e.push(
                                    rel_posix(&root, path)
                                        .unwrap_or_else(|| path.display().to_string()),
                                );
                            }
                            return false;
                        }
                        if skip_dir.as_ref().is_some_and(|d| &canon == d) {
                            return false;
                        }
                    }
                    Err(_) => return true, // let the walker report the broken link
                }
            }
            let excluded = exclude_basename.is_match(name)
                || rel_posix(&root, path).is_some_and(|rel| exclude_path.is_match(&rel));
            !excluded
        });
        builder.build_parallel()
    };

    // The walk runs on several threads; each entry it yields is a found file or an error, and
    // both lists are sorted below, so the result does not depend on the threads' timing.
    let found = std::sync::Mutex::new((Vec::new(), Vec::new(), 0u64));
    walker.run(|| {
        let found = &found;
        let include = &include;
        Box::new(move |entry| {
            let outcome = visit(root, include, entry);
            let mut f = found
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match outcome {
                Visit::File(file, size) => {
                    f.0.push(file);
                    f.2 += size;
                }
                Visit::Error(e) => f.1.push(e),
                Visit::Skip => {}
            }
            ignore::WalkState::Continue
        })
    });
    let (files, mut walk_errors, total_bytes) = found
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    walk_errors.sort();
    result.files = files;
    result.walk_errors = walk_errors;
    result.total_bytes = total_bytes;
    result.files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    result.files.dedup_by(|a, b| a.rel_path == b.rel_path);
    let mut namer = ModuleNamer::new(root);
    for f in &mut result.files {
        f.module = namer.module_name(&f.rel_path);
    }
    result.skipped_symlinks = escaped.lock().map(|e| e.clone()).unwrap_or_default();
    result.skipped_symlinks.sort();
    Ok(result)
}

/// What the walk found at one entry.
enum Visit {
    /// A Python file, with its size in bytes.
    File(ScannedFile, u64),
    Error(String),
    Skip,
}

fn visit(root: &Path, include: &Globs, entry: Result<ignore::DirEntry, ignore::Error>) -> Visit {
    let entry = match entry {
        Ok(e) => e,
        Err(err) => return Visit::Error(err.to_string()),
    };
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return Visit::Skip;
    }
    let path = entry.path();
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
        return Visit::Skip;
    };
    if !PYTHON_EXTENSIONS.contains(&ext) {
        return Visit::Skip;
    }
    let Some(rel) = rel_posix(root, path) else {
        return Visit::Error(format!("{}: path is not valid UTF-8", path.display()));
    };
    if !include.empty && !include.matches(&rel) {
        return Visit::Skip;
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    // The size is for progress reporting; extraction measures what it reads.
    let size = entry.metadata().map_or(0, |m| m.len());
    Visit::File(
        ScannedFile {
            abs_path: path.to_path_buf(),
            is_package: stem == "__init__",
            is_stub: ext == "pyi",
            module: None,
            rel_path: rel,
        },
        size,
    )
}

/// Names modules from the package layout.
///
/// * A file inside a regular package (a directory with `__init__.py[i]`) is named from the
///   topmost directory of the unbroken chain of regular packages above it: `pkg/sub/mod.py` →
///   `pkg.sub.mod`, `pkg/__init__.py` → `pkg`. That is how `sys.path` resolves it when the
///   chain's parent is on the path, and what pytest's default import mode does.
/// * In a src layout (`src/` at the repository root), namespace directories (PEP 420, no
///   `__init__`) between `src/` and the package chain are part of the name:
///   `src/ns/pkg/mod.py` → `ns.pkg.mod`.
/// * A file outside any regular package is named from its source root (`src/` or the
///   repository root), its directories read as namespace packages: `scripts/tool.py` →
///   `scripts.tool`.
pub struct ModuleNamer {
    root: PathBuf,
    has_init: HashMap<String, bool>,
    src_layout: bool,
}

impl ModuleNamer {
    pub fn new(root: &Path) -> Self {
        let src = root.join("src");
        let src_layout = src.is_dir() && !src.join("__init__.py").exists();
        Self {
            root: root.to_path_buf(),
            has_init: HashMap::new(),
            src_layout,
        }
    }

    fn is_package_dir(&mut self, rel_dir: &str) -> bool {
        if let Some(&v) = self.has_init.get(rel_dir) {
            return v;
        }
        let dir = self.root.join(rel_dir);
        let v = dir.join("__init__.py").is_file() || dir.join("__init__.pyi").is_file();
        self.has_init.insert(rel_dir.to_string(), v);
        v
    }

    /// The dotted module name of a repository-relative path.
    pub fn module_name(&mut self, rel_path: &str) -> Option<String> {
        let parts: Vec<&str> = rel_path.split('/').collect();
        let (file, dirs) = parts.split_last()?;
        let stem = file
            .strip_suffix(".pyi")
            .or_else(|| file.strip_suffix(".py"))?;
        // Walk up the chain of regular packages.
        let mut top = dirs.len();
        while top > 0 && self.is_package_dir(&dirs[..top].join("/")) {
            top -= 1;
        }
        let in_src = self.src_layout && dirs.first() == Some(&"src");
        let start = if in_src {
            1
        } else if top == dirs.len() {
            0 // not in a regular package: namespace packages from the root
        } else {
            top
        };
        let mut name: Vec<&str> = dirs[start..].to_vec();
        if stem != "__init__" {
            name.push(stem);
        }
        if name.is_empty() || !name.iter().all(|p| is_module_part(p)) {
            return None;
        }
        Some(name.join("."))
    }
}

/// A part of a module name that `importlib.import_module` can import: identifier characters,
/// where a keyword (Django's `tests/async` package) or a leading digit (migrations such as
/// `0002_initial.py`) are allowed, since such modules are imported by name at run time and
/// their own relative imports work. A `-` or a space is not.
pub fn is_module_part(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c == '_' || c.is_alphanumeric())
}

/// A Python identifier (ASCII letters, digits, `_`, and any non-ASCII letter; not starting with
/// a digit). Non-ASCII is accepted as CPython accepts XID characters; keywords are rejected.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let ok_first = first == '_' || first.is_alphabetic();
    ok_first && chars.all(|c| c == '_' || c.is_alphanumeric()) && !is_keyword(s)
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "False"
            | "None"
            | "True"
            | "and"
            | "as"
            | "assert"
            | "async"
            | "await"
            | "break"
            | "class"
            | "continue"
            | "def"
            | "del"
            | "elif"
            | "else"
            | "except"
            | "finally"
            | "for"
            | "from"
            | "global"
            | "if"
            | "import"
            | "in"
            | "is"
            | "lambda"
            | "nonlocal"
            | "not"
            | "or"
            | "pass"
            | "raise"
            | "return"
            | "try"
            | "while"
            | "with"
            | "yield"
    )
}
