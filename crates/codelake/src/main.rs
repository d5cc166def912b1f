//! The `codelake` command line.

mod output;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use codelake_engine::build::{BuildOptions, BuildReport, Progress};
use codelake_engine::rules::RuleParams;
use codelake_extract::{ExtractConfig, ScanOptions, TreeSitter};
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::Format;

/// mimalloc: extraction and Parquet encoding make many small allocations on every core, where
/// glibc's allocator spent a fifth of a build's CPU time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turn a Python repository into a Code Property Graph stored as Delta Lake tables, and query
/// it with SQL.
#[derive(Parser)]
#[command(name = "codelake", version, about, long_about = None)]
struct Cli {
    /// Print nothing but results and errors.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// Optional evidence layers of `codelake build --evidence`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Evidence {
    /// The full token stream (`tokens`).
    Tokens,
    /// tree-sitter trees (`ts_nodes`, `ts_errors`) for every file, not only broken ones.
    TreeSitter,
}

/// Formats of `codelake plan`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PlanFormat {
    Text,
    Json,
    Dot,
}

#[derive(Subcommand)]
enum Command {
    /// Scan a repository and write its evidence tables.
    Build {
        /// The repository to scan.
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// Where to write the tables [default: REPO/.codelake].
        #[arg(long)]
        db: Option<PathBuf>,
        /// Only scan files matching this glob (repeatable; `dir/**` or `*.py`).
        #[arg(long, value_name = "GLOB")]
        include: Vec<String>,
        /// Skip files and directories matching this glob (repeatable).
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Worker threads [default: all cores].
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Files larger than this many bytes are recorded as too large, not parsed.
        #[arg(long, default_value_t = 8 * 1024 * 1024)]
        max_file_bytes: u64,
        /// Skip the scope analysis (scopes, symbols, bindings and name_refs stay empty).
        #[arg(long)]
        no_scopes: bool,
        /// Skip the syntax evidence (defs, params, calls, call_args, imports, decorators,
        /// docstrings, annotations and comments stay empty).
        #[arg(long)]
        no_syntax: bool,
        /// Skip the flow layer (cfg_nodes, cfg_edges, basic_blocks, dominators,
        /// post_dominators, control_deps and defs_uses stay empty, and the CPG has no flow
        /// nodes or edges).
        #[arg(long)]
        no_flow: bool,
        /// Optional evidence layers (comma-separated or repeated): `tokens` writes the full
        /// token stream; `tree-sitter` parses every file with tree-sitter too (by default only
        /// files with syntax errors).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "LAYER")]
        evidence: Vec<Evidence>,
        /// Skip the rules: write the evidence only (the CPG tables are left empty).
        #[arg(long)]
        no_relations: bool,
        /// Set a rule parameter (repeatable): `min_confidence=0.5` keeps only candidates of
        /// ambiguous names with at least that confidence; `max_reexport_depth=8` bounds the
        /// re-export chains followed. See `codelake plan`.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
    /// Run SQL over the tables of a build; without QUERY, open an interactive prompt.
    Sql {
        /// The database [default: ./.codelake].
        #[arg(long)]
        db: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Attach a directory (or URL) of your own tables, one per subdirectory, as the schema
        /// `default` (sets datafusion.catalog.location): join them with the CPG.
        #[arg(long, env = "CODELAKE_CATALOG_LOCATION", value_name = "DIR_OR_URL")]
        catalog_location: Option<String>,
        /// The format of those tables (datafusion.catalog.format): PARQUET, CSV, JSON, DELTATABLE.
        #[arg(long, env = "CODELAKE_CATALOG_FORMAT", default_value = "PARQUET")]
        catalog_format: String,
        /// Any DataFusion setting, as KEY=VALUE (repeatable): `--set datafusion.execution.batch_size=4096`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
        /// The query (several statements separated by `;` run in order).
        query: Option<String>,
    },
    /// Show the rule DAG and each rule's optimized logical plan with its fingerprint.
    Plan {
        /// The database [default: ./.codelake].
        #[arg(long)]
        db: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Set a rule parameter, as `codelake build --param`.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Only this rule.
        rule: Option<String>,
    },
    /// Check the integrity of a database: edge endpoints, unique ids, spans, and every table
    /// against its spec. Exits with 1 when a check fails.
    Diag {
        /// The database [default: ./.codelake].
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Export a graph of a build in another tool's format (to standard output).
    Export {
        /// What to export.
        #[arg(value_enum)]
        what: ExportWhat,
        /// The database [default: ./.codelake].
        #[arg(long)]
        db: Option<PathBuf>,
        /// `pycg`: PyCG's JSON (`{"caller": ["callee", ...]}`, dotted names as PyCG writes
        /// them); `json`: the nodes and every edge with its site; `dot`: Graphviz.
        #[arg(long, value_enum, default_value_t = ExportFormat::Pycg)]
        format: ExportFormat,
    },
    /// List the tables with row counts, descriptions and columns.
    Tables {
        /// The database [default: ./.codelake].
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

/// What `codelake export` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportWhat {
    /// The call graph (`call_edges`).
    Callgraph,
}

/// The format of `codelake export`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Pycg,
    Json,
    Dot,
}

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (the v2 feature of libmimalloc-sys, see
/// Cargo.toml; the crate binds no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// `mi_option_allow_thp` in mimalloc v2's `mi_option_e` (likewise not bound).
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 37;

fn main() {
    // A build frees and reallocates hundreds of megabytes of batches and Parquet buffers. With
    // mimalloc's default 10 ms purge delay those pages go back to the OS and are faulted (and zeroed)
    // in again moments later, and clearing fresh pages becomes a large share of a build's CPU.
    // The process is short-lived, so it keeps what it has (peak RSS is unchanged).
    // SAFETY: sets a process-wide option before any thread is started; no pointers involved.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // mimalloc asks for transparent huge pages on its OS allocations; each first touch then
    // clears 2 MiB, mostly never used, and the kernel's zeroing of them dominates.
    // SAFETY: as above.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0) };
    // The option only stops future `madvise(MADV_HUGEPAGE)` calls: mimalloc reserved and advised
    // its first arena when the runtime allocated before `main`, and huge pages faulted into it
    // would still be zeroed whole. Turning THP off for the
    // process covers every mapping, advised or not (as mimalloc itself does when the option is
    // set from the environment at start-up).
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and affects this process alone.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // `codelake sql ... | head` must end quietly when the reader goes away, as Unix tools do,
    // not panic on the next write: restore the default SIGPIPE action Rust's runtime ignores.
    #[cfg(unix)]
    // SAFETY: installs the default disposition of one signal before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("codelake: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(run(cli));
    // Idle blocking threads (the object store's file operations) are not waited for: the
    // work is done and written.
    runtime.shutdown_background();
    if let Err(e) = result {
        // One line: the error and its causes, like ripgrep.
        let mut msg = e.to_string();
        for cause in e.chain().skip(1) {
            let c = cause.to_string();
            if !msg.contains(&c) {
                msg.push_str(": ");
                msg.push_str(&c);
            }
        }
        eprintln!("codelake: {}", msg.replace('\n', " "));
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            repo,
            db,
            include,
            exclude,
            jobs,
            max_file_bytes,
            no_scopes,
            no_syntax,
            no_flow,
            evidence,
            no_relations,
            params,
        } => {
            if !repo.is_dir() {
                bail!("{} is not a directory", repo.display());
            }
            let db = db.unwrap_or_else(|| repo.join(".codelake"));
            let mut extract = ExtractConfig {
                max_file_bytes,
                scopes: !no_scopes,
                syntax: !no_syntax,
                flow: !no_flow,
                tokens: evidence.contains(&Evidence::Tokens),
                tree_sitter: if evidence.contains(&Evidence::TreeSitter) {
                    TreeSitter::Always
                } else {
                    TreeSitter::OnErrors
                },
                ..ExtractConfig::default()
            };
            if let Some(j) = jobs {
                if j == 0 {
                    bail!("--jobs must be at least 1");
                }
                extract.jobs = j;
            }
            let opts = BuildOptions {
                repo: repo.clone(),
                db: db.clone(),
                scan: ScanOptions {
                    include,
                    exclude,
                    ..ScanOptions::default()
                },
                extract,
                params: rule_params(&params)?,
                relations: !no_relations,
            };
            let progress = Arc::new(Bar::new(cli.quiet));
            let report = codelake_engine::build(&opts, progress.clone())
                .await
                .with_context(|| format!("building {}", repo.display()))?;
            progress.bar.finish_and_clear();
            if !cli.quiet {
                print_summary(&report, &db);
            }
            Ok(())
        }
        Command::Sql {
            db,
            format,
            catalog_location,
            catalog_format,
            settings,
            query,
        } => {
            let db = db_dir(db)?;
            let mut pairs = Vec::new();
            for s in &settings {
                let (k, v) = s
                    .split_once('=')
                    .with_context(|| format!("--set {s}: expected KEY=VALUE"))?;
                pairs.push((k.trim().to_string(), v.trim().to_string()));
            }
            if let Some(loc) = catalog_location {
                pairs.push(("datafusion.catalog.location".to_string(), loc));
                pairs.push(("datafusion.catalog.format".to_string(), catalog_format));
            }
            let ctx = codelake_engine::session::open_session_with(&db, &pairs).await?;
            match query {
                Some(q) => output::run_sql(&ctx, &q, format).await,
                None => output::repl(&ctx, format, &db).await,
            }
        }
        Command::Plan {
            db,
            format,
            params,
            rule,
        } => {
            let db = db_dir(db)?;
            let params = rule_params(&params)?;
            let ctx = codelake_engine::session::open_rules_session(&db).await?;
            let planned = codelake_engine::rules::plan_all(&ctx, &params).await?;
            if let Some(r) = &rule
                && !planned.iter().any(|p| p.def.name == r)
            {
                let names: Vec<_> = planned.iter().map(|p| p.def.name).collect();
                bail!("no rule named {r} (rules: {})", names.join(", "));
            }
            let shown: Vec<_> = planned
                .iter()
                .filter(|p| rule.as_deref().is_none_or(|r| p.def.name == r))
                .collect();
            print_plans(&shown, format);
            Ok(())
        }
        Command::Diag { db } => {
            let db = db_dir(db)?;
            let ctx = codelake_engine::open_session(&db).await?;
            let checks = codelake_engine::diag::run(&ctx).await?;
            let failed = checks.iter().filter(|c| !c.passed()).count();
            for c in &checks {
                if c.passed() {
                    println!("ok    {}", c.name);
                } else {
                    println!("FAIL  {}: {} rows", c.name, c.failures);
                    if let Some(d) = &c.detail {
                        println!("      {d}");
                    }
                    if !c.sql.is_empty() {
                        println!("      {}", c.sql);
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} of {} checks failed", checks.len());
            }
            if !cli.quiet {
                println!("all {} checks passed", checks.len());
            }
            Ok(())
        }
        Command::Export { what, db, format } => {
            let db = db_dir(db)?;
            let ctx = codelake_engine::open_session(&db).await?;
            match what {
                ExportWhat::Callgraph => {
                    // A build without the call graph has none to export: say so, not `{}`.
                    if !codelake_engine::export::built_with_call_graph(&db)? {
                        anyhow::bail!(
                            "{} was built without the call graph: rebuild with `codelake build --param call_graph=true`",
                            db.display()
                        );
                    }
                    let graph = codelake_engine::export::callgraph(&ctx).await?;
                    match format {
                        ExportFormat::Pycg => {
                            println!("{}", serde_json::to_string_pretty(&graph.to_pycg())?)
                        }
                        ExportFormat::Json => {
                            println!("{}", serde_json::to_string_pretty(&graph.to_json())?)
                        }
                        ExportFormat::Dot => print!("{}", graph.to_dot()),
                    }
                }
            }
            Ok(())
        }
        Command::Tables { db } => {
            let db = db_dir(db)?;
            let ctx = codelake_engine::open_session(&db).await?;
            output::print_tables(&ctx).await
        }
    }
}

fn print_plans(planned: &[&codelake_engine::rules::PlannedRule], format: PlanFormat) {
    use codelake_engine::rules::description;
    match format {
        PlanFormat::Text => {
            for p in planned {
                println!(
                    "rule {} ({}, {:?}), fingerprint {}",
                    p.def.name,
                    p.def.layer.name(),
                    p.def.kind,
                    p.fingerprint
                );
                println!("  {}", description(&p.def));
                println!("  reads: {}", p.inputs.join(", "));
                for line in p.optimized.display_indent().to_string().lines() {
                    println!("    {line}");
                }
                println!();
            }
        }
        PlanFormat::Json => {
            let v: Vec<serde_json::Value> = planned
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "name": p.def.name,
                        "layer": p.def.layer.name(),
                        "kind": format!("{:?}", p.def.kind).to_lowercase(),
                        "description": description(&p.def),
                        "inputs": p.inputs,
                        "fingerprint": p.fingerprint,
                        "plan": p.optimized.display_indent().to_string(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        PlanFormat::Dot => {
            println!("digraph rules {{\n  rankdir=LR;");
            let rules: std::collections::BTreeSet<&str> =
                planned.iter().map(|p| p.def.name).collect();
            for p in planned {
                let shape = match p.def.kind {
                    codelake_engine::rules::RuleKind::Output => "doubleoctagon",
                    codelake_engine::rules::RuleKind::Intermediate => "ellipse",
                    codelake_engine::rules::RuleKind::Fixpoint => "doublecircle",
                };
                println!(
                    "  \"{}\" [shape={shape}, tooltip=\"{}\"];",
                    p.def.name, p.fingerprint
                );
                for i in &p.inputs {
                    if !rules.contains(i.as_str()) {
                        println!("  \"{i}\" [shape=box];");
                    }
                    println!("  \"{i}\" -> \"{}\";", p.def.name);
                }
            }
            println!("}}");
        }
    }
}

fn rule_params(assignments: &[String]) -> Result<RuleParams> {
    let mut params = RuleParams::default();
    for a in assignments {
        params.set(a)?;
    }
    Ok(params)
}

fn db_dir(db: Option<PathBuf>) -> Result<PathBuf> {
    let db = db.unwrap_or_else(|| Path::new(".codelake").to_path_buf());
    if !db.is_dir() {
        bail!(
            "no codelake database at {} (run `codelake build` first, or pass --db)",
            db.display()
        );
    }
    Ok(db)
}

fn print_summary(r: &BuildReport, db: &Path) {
    let s = &r.stats;
    println!(
        "built {} in {:.2}s: {} files, {:.2} MB, {:.1} MB/s",
        db.display(),
        r.elapsed.as_secs_f64(),
        s.files,
        s.bytes as f64 / 1e6,
        r.mb_per_s()
    );
    for (table, rows) in &r.rows {
        let version = r.versions.get(table).copied().unwrap_or(-1);
        println!("  {table:<16} {rows:>10} rows  (Delta version {version})");
    }
    let stages: Vec<String> = r
        .stages
        .iter()
        .map(|(n, d)| format!("{n} {:.2}s", d.as_secs_f64()))
        .collect();
    println!("  stages: {}", stages.join(", "));
    let slow: Vec<String> = {
        let mut rules: Vec<_> = r.rules.iter().collect();
        rules.sort_by_key(|x| std::cmp::Reverse(x.elapsed));
        rules
            .iter()
            .take(5)
            .map(|x| format!("{} {:.2}s", x.name, x.elapsed.as_secs_f64()))
            .collect()
    };
    println!("  {} rules; slowest: {}", r.rules.len(), slow.join(", "));
    println!(
        "  extraction errors: {} rows in {} files (see the extract_errors table)",
        s.error_rows, s.files_with_errors
    );
    if !r.skipped_symlinks.is_empty() {
        println!(
            "  skipped {} symlinks leading outside the repository: {}",
            r.skipped_symlinks.len(),
            r.skipped_symlinks.join(", ")
        );
    }
    for e in &r.walk_errors {
        println!("  not scanned: {e}");
    }
}

/// The progress bar of a build.
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar }
    }
}

impl Progress for Bar {
    fn scanned(&self, files: usize, bytes: u64) {
        self.bar.set_length(bytes);
        let style = ProgressStyle::with_template(
            "{spinner} {msg:<11} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .map(|s| s.progress_chars("=> "));
        if let Ok(style) = style {
            self.bar.set_style(style);
        }
        self.bar.set_message(format!("{files} files"));
    }

    fn file_done(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    fn stage(&self, stage: &str) {
        self.bar.set_message(stage.to_string());
    }

    fn rule(&self, name: &str, index: usize, total: usize) {
        self.bar
            .set_message(format!("relating {index}/{total} {name}"));
    }
}
