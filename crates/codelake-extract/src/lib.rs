//! Per-file evidence extraction for codelake.
//!
//! `scan` finds the Python files of a repository; [`extract_file`] turns one file into record
//! batches for the evidence tables (`files`, `file_lines`, `ast_nodes`, `extract_errors`);
//! [`extract_all`] runs it on every core and hands the batches, in file order, to an
//! [`EvidenceSink`] with backpressure, so memory is bounded by the batches in flight.
//!
//! This crate knows nothing of DataFusion or Delta Lake: relating facts is the engine's job.

pub mod ast;
pub mod flow;
pub mod pyrepr;
pub mod scan;
pub mod scopes;
pub mod source;
pub mod syntax;
pub mod tables;
pub mod ts;

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use codelake_schema::ids;
use codelake_schema::span::LineIndex;
use ruff_python_ast::PythonVersion;
use ruff_python_parser::{Mode, ParseOptions};
use ruff_text_size::Ranged;

pub use scan::{ScanOptions, ScanResult, ScannedFile, scan};
pub use tables::{Chunk, ErrorRow, FileRow, Table, TableBuf};

/// Settings of the extraction pass.
#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Files larger than this are recorded as `too_large` and not parsed.
    pub max_file_bytes: u64,
    /// Run the scope analysis (`scopes`, `symbols`, `bindings`, `name_refs`); when off, those
    /// tables are written empty.
    pub scopes: bool,
    /// Collect the syntax evidence (`defs`, `params`, `calls`, `call_args`, `imports`,
    /// `decorators`, `docstrings`, `annotations`, `comments`).
    pub syntax: bool,
    /// Build the flow layer: each scope's control-flow graph, dominators, control dependence
    /// and reaching definitions (`cfg_nodes` ... `defs_uses`).
    pub flow: bool,
    /// Write the full token stream (`tokens`).
    pub tokens: bool,
    /// When to parse with tree-sitter as well (`ts_nodes`, `ts_errors`).
    pub tree_sitter: TreeSitter,
}

/// When the error-tolerant tree-sitter parse runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeSitter {
    /// Never.
    Off,
    /// For files ruff reports syntax errors in (the default).
    OnErrors,
    /// For every file.
    Always,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        Self {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_file_bytes: 8 * 1024 * 1024,
            scopes: true,
            syntax: true,
            flow: true,
            tokens: false,
            tree_sitter: TreeSitter::OnErrors,
        }
    }
}

/// The Python version whose grammar the parser accepts without an `unsupported_syntax` note.
pub const TARGET_PYTHON: PythonVersion = PythonVersion::PY313;

/// Bracket nesting CPython's tokenizer refuses ("too many nested parentheses").
pub const MAX_BRACKET_NESTING: usize = 200;

/// Everything extracted from one file.
pub struct FileEvidence {
    pub file: FileRow,
    /// The batches of every per-file table but `files` and `extract_errors`.
    pub batches: Vec<(Table, RecordBatch)>,
    pub errors: Vec<ErrorRow>,
}

impl FileEvidence {
    /// Rows of one table.
    pub fn rows(&self, table: Table) -> usize {
        self.batches
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, b)| b.num_rows())
            .sum()
    }

    /// The batch of one table, if the file has one.
    pub fn batch(&self, table: Table) -> Option<&RecordBatch> {
        self.batches
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, b)| b)
    }
}

fn error_row(
    file: &FileRow,
    stage: &'static str,
    kind: &'static str,
    message: String,
    span: Option<(u32, u32)>,
    index: Option<&LineIndex>,
) -> ErrorRow {
    let pos = span.zip(index).map(|((s, _), idx)| idx.line_col(s));
    ErrorRow {
        file_id: file.file_id,
        path: file.path.clone(),
        stage,
        kind,
        message,
        bstart: span.map(|s| s.0 as i64),
        bend: span.map(|s| s.1 as i64),
        line: pos.map(|p| p.line as i32),
        col: pos.map(|p| p.col as i32),
    }
}

/// Reads at most `limit + 1` bytes, so an oversized file is noticed without reading it all.
fn read_limited(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let size = f.metadata().map_or(0, |m| m.len()).min(limit) as usize;
    let mut buf = Vec::with_capacity(size + 1);
    f.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    Ok(buf)
}

fn hash_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// The deepest bracket nesting of a text, skipping comments and string literals. Cheap, and
/// approximate only in giving up on exotic string forms (it may over-count inside them).
fn max_bracket_nesting(text: &[u8]) -> (usize, usize) {
    let (mut depth, mut max, mut at) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'#' => {
                while i < text.len() && text[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'\'' | b'"') => {
                let triple = text.get(i + 1) == Some(&q) && text.get(i + 2) == Some(&q);
                let step = if triple { 3 } else { 1 };
                i += step;
                while i < text.len() {
                    if text[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if !triple && text[i] == b'\n' {
                        break;
                    }
                    if text[i] == q
                        && (!triple || (text.get(i + 1) == Some(&q) && text.get(i + 2) == Some(&q)))
                    {
                        i += step - 1;
                        break;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    max = depth;
                    at = i;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    (max, at)
}

/// Extracts the evidence of one file. Never fails: whatever goes wrong becomes error rows.
/// (An `Err` is a bug: a batch that disagrees with its table's spec.)
pub fn extract_file(
    file: &ScannedFile,
    config: &ExtractConfig,
) -> Result<FileEvidence, ArrowError> {
    let mut chunk = Chunk::new();
    extract_into(file, config, &mut chunk)?;
    let batches = chunk.take_tables(true)?;
    let Some(file) = chunk.files.pop() else {
        return Err(ArrowError::InvalidArgumentError(
            "the extraction gave no files row".to_string(),
        ));
    };
    Ok(FileEvidence {
        file,
        batches,
        errors: std::mem::take(&mut chunk.errors),
    })
}

/// Extracts the evidence of one file into `chunk`: its `files` row, its error rows and the
/// rows of every other table.
pub fn extract_into(
    file: &ScannedFile,
    config: &ExtractConfig,
    chunk: &mut Chunk,
) -> Result<(), ArrowError> {
    let mut row = FileRow {
        file_id: ids::file_id(&file.rel_path),
        path: file.rel_path.clone(),
        module: file.module.clone(),
        is_package: file.is_package,
        is_stub: file.is_stub,
        size_bytes: 0,
        content_hash: String::new(),
        line_count: 0,
        encoding: None,
    };
    let mut errors = Vec::new();
    let result = extract_rows(file, config, chunk, &mut row, &mut errors);
    if !errors.is_empty() {
        chunk.files_with_errors += 1;
    }
    chunk.files.push(row);
    chunk.errors.append(&mut errors);
    result
}

fn extract_rows(
    file: &ScannedFile,
    config: &ExtractConfig,
    chunk: &mut Chunk,
    row: &mut FileRow,
    errors: &mut Vec<ErrorRow>,
) -> Result<(), ArrowError> {
    let file_id = row.file_id;
    let bytes = match read_limited(&file.abs_path, config.max_file_bytes) {
        Ok(b) => b,
        Err(e) => {
            errors.push(error_row(
                row,
                "read",
                "io_error",
                e.to_string(),
                None,
                None,
            ));
            return Ok(());
        }
    };
    if bytes.len() as u64 > config.max_file_bytes {
        row.size_bytes =
            std::fs::metadata(&file.abs_path).map_or(bytes.len() as i64, |m| m.len() as i64);
        row.content_hash = hash_file(&file.abs_path).unwrap_or_default();
        let msg = format!(
            "file is {} bytes, over the limit of {} (--max-file-bytes)",
            row.size_bytes, config.max_file_bytes
        );
        errors.push(error_row(row, "read", "too_large", msg, None, None));
        return Ok(());
    }
    row.size_bytes = bytes.len() as i64;
    row.content_hash = blake3::hash(&bytes).to_hex().to_string();

    let decoded = match source::decode(&bytes) {
        Ok(d) => d,
        Err(e) => {
            let span = e.offset.map(|o| (o, (o + 1).min(bytes.len() as u32)));
            errors.push(error_row(row, "decode", e.kind, e.message, span, None));
            return Ok(());
        }
    };
    row.encoding = Some(decoded.encoding.clone());
    let text: &str = &decoded.text;
    let base = decoded.base;
    let index = LineIndex::new(text, base);
    row.line_count = index.line_count() as i32;
    tables::file_lines_rows(chunk.buf(Table::FileLines), file_id, &index)?;

    let (nesting, at) = max_bracket_nesting(text.as_bytes());
    if nesting > MAX_BRACKET_NESTING {
        let at = base + at as u32;
        let msg = format!(
            "too many nested parentheses ({nesting} levels; CPython allows {MAX_BRACKET_NESTING})"
        );
        errors.push(error_row(
            row,
            "parse",
            "too_deep",
            msg,
            Some((at, at + 1)),
            Some(&index),
        ));
        return Ok(());
    }

    // Parse, walk and drop the tree with plenty of stack: the parser grows its own stack as it
    // recurses, but dropping a pathologically deep tree recurses in the drop glue. Worker
    // threads have a large (virtual, lazily committed) stack; any other caller gets a segment of
    // its own for this file.
    let mut work = || parse_and_walk(row, text, base, &index, config, errors, chunk);
    if stacker::remaining_stack().is_some_and(|r| r >= TREE_STACK / 2) {
        work()
    } else {
        stacker::grow(TREE_STACK, work)
    }
}

/// Stack for parsing, walking and dropping one file's syntax tree.
const TREE_STACK: usize = 1 << 30;

fn parse_and_walk(
    row: &FileRow,
    text: &str,
    base: u32,
    index: &LineIndex,
    config: &ExtractConfig,
    errors: &mut Vec<ErrorRow>,
    chunk: &mut Chunk,
) -> Result<(), ArrowError> {
    let file_id = row.file_id;
    let options = ParseOptions::from(Mode::Module).with_target_version(TARGET_PYTHON);
    let parsed = ruff_python_parser::parse_unchecked(text, options);
    for e in parsed.errors() {
        let r = e.location;
        let span = (base + r.start().to_u32(), base + r.end().to_u32());
        errors.push(error_row(
            row,
            "parse",
            "syntax_error",
            e.error.to_string(),
            Some(span),
            Some(index),
        ));
    }
    for e in parsed.unsupported_syntax_errors() {
        let r = e.range();
        let span = (base + r.start().to_u32(), base + r.end().to_u32());
        errors.push(error_row(
            row,
            "parse",
            "unsupported_syntax",
            e.to_string(),
            Some(span),
            Some(index),
        ));
    }
    // This file's rows start at `first` in the chunk's `ast_nodes` buffer.
    let first = chunk.ast.len();
    chunk
        .ast
        .reserve(ast::expected_nodes(parsed.tokens().len()));
    chunk.ast_emitted();
    let broken = !parsed.errors().is_empty();
    let ts_tree = match config.tree_sitter {
        TreeSitter::Always => ts::parse(text),
        TreeSitter::OnErrors if broken => ts::parse(text),
        _ => None,
    };
    let too_deep = match parsed.syntax() {
        ruff_python_ast::Mod::Module(module) => {
            let mut emitter =
                ast::AstEmitter::new(file_id, base, index, parsed.tokens(), &mut chunk.ast);
            emitter.module(module, text.len() as u32);
            let too_deep = emitter.too_deep;
            // The scope analysis and the syntax tables look node ids up through the ordinals
            // the emitter stamped into the tree.
            let ids = ast::NodeIds::new(chunk.ast.spans_from(first).0.to_vec());
            let module_id = ids.get(module).unwrap_or(0);
            // The syntax tables take qualnames and scope ids from the analysis, so it runs for
            // either layer.
            let tree = (config.scopes || config.syntax || config.flow)
                .then(|| scopes::analyze(module, module_id, text.len() as u32, &ids, index, base));
            if let (true, Some(tree)) = (config.scopes, &tree) {
                scopes::rows::scope_rows(chunk, file_id, base, tree)?;
            }
            let scope_ids = tree
                .as_ref()
                .filter(|_| config.flow || config.syntax)
                .map(|t| scopes::rows::scope_ids(file_id, t));
            // The flow layer: which names are local flow is the symbol table's decision.
            if let (true, Some(tree), Some(scope_ids)) = (config.flow, &tree, &scope_ids) {
                let flows = flow::build(module, tree, &ids);
                let (ast, mut bufs) = chunk.split_ast();
                let (_, bstart, bend) = ast.spans_from(first);
                let spans = flow::rows::AstSpans { bstart, bend };
                flow::rows::flow_rows(
                    &mut bufs, file_id, base, index, tree, scope_ids, &flows, &spans,
                )?;
            }
            if config.syntax {
                let input = syntax::SyntaxInput {
                    file_id,
                    base,
                    text,
                    ids: &ids,
                    scopes: tree.as_ref().zip(scope_ids),
                    package: syntax::package_of(row.module.as_deref(), row.is_package),
                };
                let mut rows = syntax::collect(&input, module, module_id);
                syntax::comments(
                    &mut rows,
                    text,
                    base,
                    parsed.tokens(),
                    chunk.ast.spans_from(first),
                );
                if let Some(tree) = &ts_tree {
                    ts::recover(&mut rows, tree, file_id, base, text, input.package);
                }
                rows.append_to(file_id, chunk)?;
            }
            if let Some(tree) = &ts_tree {
                ts::tree_rows(chunk, file_id, base, text, index, tree)?;
            }
            if config.tokens {
                syntax::tokens_rows(
                    chunk.buf(Table::Tokens),
                    file_id,
                    base,
                    text,
                    parsed.tokens(),
                )?;
            }
            too_deep
        }
        ruff_python_ast::Mod::Expression(_) => None,
    };
    if let Some(span) = too_deep {
        let msg = format!(
            "syntax tree nested deeper than {} levels; deeper nodes are left out",
            ast::MAX_DEPTH
        );
        errors.push(error_row(
            row,
            "ast",
            "too_deep",
            msg,
            Some(span),
            Some(index),
        ));
    }
    drop(parsed);
    Ok(())
}

/// Where extracted batches go. `send` is called from one thread at a time, in file order; a
/// call may block (that is the backpressure). An error stops the extraction.
pub trait EvidenceSink: Sync {
    fn send(&self, table: Table, batch: RecordBatch) -> Result<(), String>;

    /// Work of the sink that any worker may take on between its chunks (such as encoding the
    /// batches sent so far): called by every worker after each chunk and before it waits,
    /// concurrently with `send` and with other workers' calls. Returns whether it did any.
    fn help(&self) -> Result<bool, String> {
        Ok(false)
    }
}

/// Figures of one extraction pass.
#[derive(Debug, Default, Clone)]
pub struct ExtractStats {
    pub files: usize,
    pub bytes: u64,
    pub rows: BTreeMap<&'static str, usize>,
    pub files_with_errors: usize,
    pub error_rows: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("building a record batch: {0}")]
    Arrow(#[from] ArrowError),
    #[error("writing evidence: {0}")]
    Sink(String),
    #[error("starting a worker thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Consecutive files extracted together into one set of batches (a [`Chunk`]). Chunks are cut
/// from the file list alone, so the batches, and the tables written from them, do not depend on
/// the number of workers.
pub const CHUNK_FILES: usize = 32;

/// Rows after which a chunk's tables are taken as batches before its last file (a run of huge
/// files then does not make huge batches). Where the cut falls depends on the files alone.
const CHUNK_ROWS: usize = 64 * 1024;

/// Chunks a worker may run ahead of the oldest chunk not yet handed to the sink: enough that a
/// worker behind a chunk of big files seldom stalls the other, few enough to bound memory
/// (docs/performance.md has the window sizes tried).
const WINDOW: usize = 8;

/// The batches of one chunk, every table's in row order.
struct ChunkEvidence {
    files: usize,
    bytes: u64,
    files_with_errors: usize,
    error_rows: usize,
    batches: Vec<(Table, RecordBatch)>,
}

/// Extracts the files of one chunk.
/// Extracts the files of one chunk into `chunk`'s buffers, which a worker keeps from one chunk
/// to the next (each taken batch leaves its buffer sized for the next).
fn extract_chunk(
    files: &[ScannedFile],
    config: &ExtractConfig,
    chunk: &mut Chunk,
    on_file: &(dyn Fn(u64) + Sync),
) -> Result<ChunkEvidence, ArrowError> {
    let mut batches = Vec::new();
    let mut bytes = 0;
    for file in files {
        extract_into(file, config, chunk)?;
        let size = chunk.files.last().map_or(0, |f| f.size_bytes as u64);
        bytes += size;
        on_file(size);
        if chunk.max_rows() >= CHUNK_ROWS {
            batches.extend(chunk.take_tables(false)?);
        }
    }
    batches.extend(chunk.take_tables(false)?);
    let files = std::mem::take(&mut chunk.files);
    let errors = std::mem::take(&mut chunk.errors);
    batches.push((Table::Files, tables::files_batch(&files)?));
    if !errors.is_empty() {
        batches.push((Table::ExtractErrors, tables::errors_batch(&errors)?));
    }
    Ok(ChunkEvidence {
        files: files.len(),
        bytes,
        files_with_errors: std::mem::take(&mut chunk.files_with_errors),
        error_rows: errors.len(),
        batches,
    })
}

struct Reorder {
    /// The next chunk to hand to the emitter (chunks before it are taken or emitted).
    next_emit: usize,
    pending: BTreeMap<usize, ChunkEvidence>,
    error: Option<ExtractError>,
}

/// Takes the chunks that are next in order out of `pending`.
fn take_ready(st: &mut Reorder) -> Vec<ChunkEvidence> {
    let mut ready = Vec::new();
    while let Some(ev) = st.pending.remove(&st.next_emit) {
        ready.push(ev);
        st.next_emit += 1;
    }
    ready
}

/// Extracts every file on `config.jobs` threads, [`CHUNK_FILES`] consecutive files at a time,
/// and sends the batches to `sink` in file order. `on_file` is called once per file (from any
/// thread) with its size, for progress reporting.
pub fn extract_all(
    files: &[ScannedFile],
    config: &ExtractConfig,
    sink: &dyn EvidenceSink,
    on_file: &(dyn Fn(u64) + Sync),
) -> Result<ExtractStats, ExtractError> {
    let chunks: Vec<&[ScannedFile]> = files.chunks(CHUNK_FILES).collect();
    let next = AtomicUsize::new(0);
    let abort = AtomicBool::new(false);
    let state = Mutex::new(Reorder {
        next_emit: 0,
        pending: BTreeMap::new(),
        error: None,
    });
    // One worker at a time emits (the sink sees chunks in order), without holding `state`: the
    // others keep extracting while it sends batches. A worker that finds the emitter busy
    // leaves its chunk in `pending`; the emitter looks again before it lets go.
    let emitter = Mutex::new(ExtractStats::default());
    let window_open = Condvar::new();
    let jobs = config.jobs.max(1).min(chunks.len().max(1));

    std::thread::scope(|s| -> Result<(), ExtractError> {
        let mut handles = Vec::new();
        for w in 0..jobs {
            let worker = || {
                let mut chunk = Chunk::new();
                loop {
                    if abort.load(Ordering::Relaxed) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= chunks.len() {
                        // No chunk left to extract: help the sink with the last ones until
                        // every chunk has been handed over and nothing is left to help with.
                        loop {
                            if !help_sink(sink, &state, &abort, &window_open) {
                                return;
                            }
                            let Ok(st) = state.lock() else { return };
                            if st.next_emit >= chunks.len() || abort.load(Ordering::Relaxed) {
                                drop(st);
                                // The last chunks may have been handed over meanwhile.
                                help_sink(sink, &state, &abort, &window_open);
                                return;
                            }
                            // Woken when chunks are handed over (the timeout is only a safety
                            // net: the hand-over notifies after it updates the state).
                            let _ =
                                window_open.wait_timeout(st, std::time::Duration::from_millis(20));
                        }
                    }
                    // Wait until chunk i is within the window, helping the sink first.
                    let outside =
                        |st: &Reorder| i >= st.next_emit + WINDOW && !abort.load(Ordering::Relaxed);
                    if state.lock().map_or(true, |st| outside(&st)) {
                        if !help_sink(sink, &state, &abort, &window_open) {
                            return;
                        }
                        let Ok(mut st) = state.lock() else { return };
                        while outside(&st) {
                            st = match window_open.wait(st) {
                                Ok(g) => g,
                                Err(_) => return,
                            };
                        }
                    }
                    let result = extract_chunk(chunks[i], config, &mut chunk, on_file);
                    {
                        let Ok(mut st) = state.lock() else { return };
                        match result {
                            Ok(ev) => {
                                st.pending.insert(i, ev);
                            }
                            Err(e) => {
                                st.error.get_or_insert(e.into());
                                abort.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                    // Hand every chunk that is next in order to the sink, unless another
                    // worker is doing so (it will see this chunk before it stops).
                    while let Ok(mut stats) = emitter.try_lock() {
                        loop {
                            let ready = match state.lock() {
                                Ok(mut st) => take_ready(&mut st),
                                Err(_) => return,
                            };
                            if ready.is_empty() || abort.load(Ordering::Relaxed) {
                                break;
                            }
                            window_open.notify_all();
                            for ev in ready {
                                if let Err(e) = emit(ev, sink, &mut stats) {
                                    if let Ok(mut st) = state.lock() {
                                        st.error.get_or_insert(e);
                                    }
                                    abort.store(true, Ordering::Relaxed);
                                    break;
                                }
                            }
                        }
                        drop(stats);
                        // A chunk may have become ready after the last look and before the
                        // emitter was released, by a worker that found it busy.
                        let more = state
                            .lock()
                            .is_ok_and(|st| st.pending.contains_key(&st.next_emit));
                        if !more || abort.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                    window_open.notify_all();
                    if !help_sink(sink, &state, &abort, &window_open) {
                        return;
                    }
                }
            };
            handles.push(
                std::thread::Builder::new()
                    .name(format!("codelake-extract-{w}"))
                    .stack_size(TREE_STACK)
                    .spawn_scoped(s, worker)?,
            );
        }
        for h in handles {
            if h.join().is_err() {
                abort.store(true, Ordering::Relaxed);
            }
        }
        Ok(())
    })?;
    let st = state
        .into_inner()
        .map_err(|_| ExtractError::Sink("a worker thread panicked".into()))?;
    if let Some(e) = st.error {
        return Err(e);
    }
    let stats = emitter
        .into_inner()
        .map_err(|_| ExtractError::Sink("a worker thread panicked".into()))?;
    if st.next_emit != chunks.len() {
        return Err(ExtractError::Sink(format!(
            "only {} of {} chunks of files were extracted (a worker thread panicked)",
            st.next_emit,
            chunks.len()
        )));
    }
    if stats.files != files.len() {
        return Err(ExtractError::Sink(format!(
            "only {} of {} files were emitted",
            stats.files,
            files.len()
        )));
    }
    Ok(stats)
}

/// Lets the sink work ([`EvidenceSink::help`]) until it has nothing left to do. Returns false
/// when it failed (the failure is recorded and the workers stop).
fn help_sink(
    sink: &dyn EvidenceSink,
    state: &Mutex<Reorder>,
    abort: &AtomicBool,
    window_open: &Condvar,
) -> bool {
    loop {
        match sink.help() {
            Ok(true) => continue,
            Ok(false) => return true,
            Err(e) => {
                fail(state, abort, window_open, ExtractError::Sink(e));
                return false;
            }
        }
    }
}

/// Records the first error of the extraction and stops the workers.
fn fail(state: &Mutex<Reorder>, abort: &AtomicBool, window_open: &Condvar, e: ExtractError) {
    if let Ok(mut st) = state.lock() {
        st.error.get_or_insert(e);
    }
    abort.store(true, Ordering::Relaxed);
    window_open.notify_all();
}

fn emit(
    ev: ChunkEvidence,
    sink: &dyn EvidenceSink,
    stats: &mut ExtractStats,
) -> Result<(), ExtractError> {
    stats.files += ev.files;
    stats.bytes += ev.bytes;
    stats.files_with_errors += ev.files_with_errors;
    stats.error_rows += ev.error_rows;
    for (table, batch) in ev.batches {
        *stats.rows.entry(table.name()).or_default() += batch.num_rows();
        if batch.num_rows() > 0 {
            sink.send(table, batch).map_err(ExtractError::Sink)?;
        }
    }
    Ok(())
}
