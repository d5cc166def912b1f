//! `codelake build`: scan, extract in parallel, and write the evidence into Delta tables.
//!
//! The extraction workers encode each chunk's batches into one new Parquet file per evidence
//! table as they go (`FileSink`, [`crate::datafile`]); when every file is extracted, each
//! table is replaced by a single Delta commit. If extraction fails, nothing is committed and
//! the files begun are deleted: a reader sees the previous build or the new one, whole. The
//! rules then run over the evidence kept in memory and write the CPG tables.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use codelake_extract::{EvidenceSink, ExtractConfig, ExtractStats, ScanOptions, Table};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use datafusion::datasource::sink::DataSinkExec;

use codelake_schema::{Layer, TableSpec};
use datafusion::dataframe::DataFrame;

use crate::datafile::{self, DataFile};
use crate::error::{DeltaContext, DfContext, EngineError, Result};
use crate::rules::{self, OutputWriter, RuleParams, RuleRun};
use crate::{info_schema, manifest, session, storage};

/// Everything `codelake build` is told.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub repo: PathBuf,
    pub db: PathBuf,
    pub scan: ScanOptions,
    pub extract: ExtractConfig,
    /// Values of the rules' `$name` parameters.
    pub params: RuleParams,
    /// Run the rules; without, the CPG tables are written empty (evidence-only builds).
    pub relations: bool,
}

/// What a build did.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    pub stats: ExtractStats,
    /// Rows written per table.
    pub rows: BTreeMap<String, usize>,
    /// Delta version of every table after the build.
    pub versions: BTreeMap<String, i64>,
    pub skipped_symlinks: Vec<String>,
    pub walk_errors: Vec<String>,
    /// Wall time of each stage, in order: scan, prepare (tables opened, writes set up; with the
    /// rules on, they are planned on a task of their own from here on), extract (until the
    /// last batch is handed over; the writers run meanwhile), commit (until every table's Delta
    /// commit), validate.
    pub stages: Vec<(&'static str, Duration)>,
    /// What each rule did, in the order they ran.
    pub rules: Vec<RuleRun>,
    /// The id of the run (its row in `runs`, and `_codelake/manifest.json`).
    pub run_id: String,
    pub elapsed: Duration,
}

impl BuildReport {
    pub fn mb_per_s(&self) -> f64 {
        self.stats.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Progress callbacks of a build (the CLI draws a bar with them).
pub trait Progress: Send + Sync {
    fn scanned(&self, _files: usize, _bytes: u64) {}
    fn file_done(&self, _bytes: u64) {}
    fn stage(&self, _stage: &str) {}
    /// The rule `name` (the `index`-th of `total`, from 1) starts running.
    fn rule(&self, _name: &str, _index: usize, _total: usize) {}
}

/// A `Progress` that reports nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// The evidence rows of this build, as the batches its Delta tables were written from, for
/// the rules to read in place of the Delta scans. The tables committed are those rows in that
/// order, so the rules see the same data either way, without decoding `ast_nodes` from
/// Parquet once per rule that scans it. Only what the rules read is kept: the tables their
/// plans scan, with the columns they take ([`rules::evidence_read`]); the rest (comments,
/// tokens, line tables, call arguments, ...) is freed once written. The batches stay in
/// memory until the rules are done. (The Delta tables themselves are validated with the
/// outputs, in the validate stage.)
struct EvidenceInMemory {
    batches: HashMap<Table, Vec<RecordBatch>>,
    /// Per table the rules read, the positions of the columns they read.
    read: BTreeMap<&'static str, Vec<usize>>,
}

impl EvidenceInMemory {
    /// Registers each evidence table the rules read in `ctx` as a one-partition `MemTable` of
    /// its batches (a table that received none is empty), with the columns the rules read, and
    /// validates them through information_schema against those columns of their specs.
    async fn register(self, ctx: &datafusion::prelude::SessionContext) -> Result<()> {
        let mut specs = Vec::new();
        let mut kept = self.batches;
        for table in Table::ALL {
            let spec = table.spec();
            let Some(columns) = self.read.get(spec.name) else {
                continue;
            };
            let schema = Arc::new(
                spec.schema
                    .project(columns)
                    .map_err(|e| EngineError::Other(format!("{}: {e}", spec.name)))?,
            );
            // Batches kept before the rules were planned have every column.
            let batches = kept
                .remove(&table)
                .unwrap_or_default()
                .into_iter()
                .map(|b| {
                    if b.num_columns() == columns.len() {
                        Ok(b)
                    } else {
                        b.project(columns)
                    }
                })
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| EngineError::Other(format!("keeping table {}: {e}", spec.name)))?;
            let memory = datafusion::datasource::MemTable::try_new(schema.clone(), vec![batches])
                .df_context(|| format!("keeping table {} in memory", spec.name))?;
            ctx.deregister_table(spec.name)
                .df_context(|| format!("registering table {}", spec.name))?;
            ctx.register_table(spec.name, Arc::new(memory))
                .df_context(|| format!("registering table {}", spec.name))?;
            specs.push(TableSpec {
                schema,
                ..spec.clone()
            });
        }
        info_schema::validate(ctx, &specs).await
    }
}

/// Rows gathered before a batch is kept for the rules (and sent to its writer): a chunk's
/// batches of the smaller tables are small.
const TARGET_BATCH_ROWS: usize = 16 * 1024;

/// Batches sent to the data files and not yet encoded, in bytes of memory, beyond which the
/// extraction thread that sends one encodes its table's queue itself before going on. The
/// workers' help after each chunk keeps the queues short; this bounds them when one table's
/// encoding falls behind.
const QUEUED_BYTES: usize = 16 << 20;

/// One evidence table's side of the sink: the batches sent and not yet encoded, in order, and
/// its data file (taken out when the extraction ends).
struct TableOut {
    queue: Mutex<VecDeque<RecordBatch>>,
    file: Mutex<Option<DataFile>>,
}

/// The extraction side of the evidence files. The extraction hands each chunk's batches over
/// in file order, one chunk at a time; they queue per table, and every extraction thread,
/// between its chunks, encodes the queues of the tables no other thread is encoding
/// ([`EvidenceSink::help`]): the batches are encoded on the cores that built them, a table's
/// in the order sent, different tables side by side. Batches are gathered first when the
/// rules keep them.
struct FileSink {
    tables: HashMap<Table, TableOut>,
    queued: AtomicUsize,
    pending: Mutex<HashMap<Table, (Vec<RecordBatch>, usize)>>,
    /// When the rules run: every batch sent, per table, in the order sent (the order of the
    /// table's rows). See [`EvidenceInMemory`].
    kept: Option<Mutex<HashMap<Table, Vec<RecordBatch>>>>,
    /// What the rules read, once they are planned (planning runs beside the extraction): from
    /// then on only that is kept.
    read: Arc<OnceLock<BTreeMap<&'static str, Vec<usize>>>>,
}

impl FileSink {
    fn new(
        db: &std::path::Path,
        keep: bool,
        read: Arc<OnceLock<BTreeMap<&'static str, Vec<usize>>>>,
    ) -> Self {
        FileSink {
            tables: Table::ALL
                .iter()
                .map(|t| {
                    let out = TableOut {
                        queue: Mutex::new(VecDeque::new()),
                        file: Mutex::new(Some(DataFile::new(db, t.spec()))),
                    };
                    (*t, out)
                })
                .collect(),
            queued: AtomicUsize::new(0),
            pending: Mutex::new(HashMap::new()),
            kept: keep.then(|| Mutex::new(HashMap::new())),
            read,
        }
    }

    fn out(&self, table: Table) -> std::result::Result<&TableOut, String> {
        self.tables
            .get(&table)
            .ok_or_else(|| format!("no data file for {}", table.name()))
    }

    fn push(&self, table: Table, batch: RecordBatch) -> std::result::Result<(), String> {
        let out = self.out(table)?;
        self.queued
            .fetch_add(batch.get_array_memory_size(), Ordering::Relaxed);
        out.queue
            .lock()
            .map_err(|_| "evidence queue poisoned".to_string())?
            .push_back(batch);
        if self.queued.load(Ordering::Relaxed) > QUEUED_BYTES {
            self.encode(table, out, true)?;
        }
        Ok(())
    }

    /// Encodes the batches queued for `table`, unless (`wait` false) another thread is at it.
    /// Returns whether it encoded any.
    fn encode(
        &self,
        table: Table,
        out: &TableOut,
        wait: bool,
    ) -> std::result::Result<bool, String> {
        let poisoned = || format!("the data file of {} is poisoned", table.name());
        let mut file = if wait {
            out.file.lock().map_err(|_| poisoned())?
        } else {
            match out.file.try_lock() {
                Ok(f) => f,
                Err(std::sync::TryLockError::WouldBlock) => return Ok(false),
                Err(std::sync::TryLockError::Poisoned(_)) => return Err(poisoned()),
            }
        };
        let mut encoded = false;
        loop {
            let next = out
                .queue
                .lock()
                .map_err(|_| "evidence queue poisoned".to_string())?
                .pop_front();
            let Some(batch) = next else {
                return Ok(encoded);
            };
            self.queued
                .fetch_sub(batch.get_array_memory_size(), Ordering::Relaxed);
            match file.as_mut() {
                Some(f) => f.write(&batch).map_err(|e| e.to_string())?,
                None => return Err(format!("the data file of {} is closed", table.name())),
            }
            encoded = true;
        }
    }

    fn flush(&self, table: Table, batches: Vec<RecordBatch>) -> std::result::Result<(), String> {
        if batches.is_empty() {
            return Ok(());
        }
        let batch = match <[RecordBatch; 1]>::try_from(batches) {
            Ok([batch]) => batch,
            Err(batches) => {
                concat_batches(&batches[0].schema(), &batches).map_err(|e| e.to_string())?
            }
        };
        if let Some(kept) = &self.kept {
            let keep = match self.read.get() {
                None => Some(batch.clone()),
                Some(read) => match read.get(table.name()) {
                    None => None,
                    Some(columns) => Some(batch.project(columns).map_err(|e| e.to_string())?),
                },
            };
            if let Some(keep) = keep {
                kept.lock()
                    .map_err(|_| "evidence buffer poisoned".to_string())?
                    .entry(table)
                    .or_default()
                    .push(keep);
            }
        }
        self.push(table, batch)
    }

    /// The batches kept for the rules, per table (none unless asked for).
    fn take_kept(&self) -> Result<HashMap<Table, Vec<RecordBatch>>> {
        match &self.kept {
            Some(kept) => Ok(std::mem::take(&mut *lock(kept)?)),
            None => Ok(HashMap::new()),
        }
    }

    /// Sends the batches still gathered on and encodes every queue.
    fn finish(&self) -> std::result::Result<(), String> {
        self.flush_pending()?;
        for (table, out) in &self.tables {
            self.encode(*table, out, true)?;
        }
        Ok(())
    }

    /// Sends the batches still gathered on.
    fn flush_pending(&self) -> std::result::Result<(), String> {
        let pending: Vec<_> = match self.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => return Err("evidence buffer poisoned".to_string()),
        };
        for (table, (batches, _)) in pending {
            self.flush(table, batches)?;
        }
        Ok(())
    }

    /// Takes the data files out (the extraction is over).
    fn take_files(&self) -> Vec<(Table, Option<DataFile>)> {
        self.tables
            .iter()
            .map(|(t, out)| (*t, out.file.lock().ok().and_then(|mut f| f.take())))
            .collect()
    }
}

impl EvidenceSink for FileSink {
    fn send(&self, table: Table, batch: RecordBatch) -> std::result::Result<(), String> {
        // Without the rules the batches only go to the data files, which take small ones as
        // they are: gathering them first would copy them for nothing. The rules keep what they
        // read in memory, where
        // small batches would cost every operator over them.
        if self.kept.is_none() {
            return self.push(table, batch);
        }
        // A batch already half the target size (a chunk's `ast_nodes`) goes as it is, after the
        // smaller ones gathered before it: copying it into a bigger one buys nothing.
        if batch.num_rows() >= TARGET_BATCH_ROWS / 2 {
            let earlier = {
                let mut pending = self
                    .pending
                    .lock()
                    .map_err(|_| "evidence buffer poisoned".to_string())?;
                pending
                    .remove(&table)
                    .map(|(batches, _)| batches)
                    .unwrap_or_default()
            };
            self.flush(table, earlier)?;
            return self.flush(table, vec![batch]);
        }
        let ready = {
            let mut pending = self
                .pending
                .lock()
                .map_err(|_| "evidence buffer poisoned".to_string())?;
            let (batches, rows) = pending.entry(table).or_default();
            *rows += batch.num_rows();
            batches.push(batch);
            if *rows >= TARGET_BATCH_ROWS {
                *rows = 0;
                Some(std::mem::take(batches))
            } else {
                None
            }
        };
        match ready {
            Some(batches) => self.flush(table, batches),
            None => Ok(()),
        }
    }

    fn help(&self) -> std::result::Result<bool, String> {
        let mut encoded = false;
        for table in Table::ALL {
            let out = self.out(table)?;
            encoded |= self.encode(table, out, false)?;
        }
        Ok(encoded)
    }
}

/// Builds the database: scans `opts.repo`, extracts every file and overwrites every evidence
/// table with one Delta commit each, then validates the tables through `information_schema`.
pub async fn build(opts: &BuildOptions, progress: Arc<dyn Progress>) -> Result<BuildReport> {
    let tasks = tokio_util::task::TaskTracker::new();
    let built = build_with(opts, progress, &tasks).await;
    if built.is_err() {
        // The build's own tasks still running (opening or writing other tables) are let finish:
        // delta-rs' kernel blocks on futures it runs on this runtime, and panics ("executor has
        // crashed") when the runtime is shut down under them, after the one-line error.
        tasks.close();
        tasks.wait().await;
    }
    built
}

/// [`build`], with its background tasks spawned on `tasks`.
async fn build_with(
    opts: &BuildOptions,
    progress: Arc<dyn Progress>,
    tasks: &tokio_util::task::TaskTracker,
) -> Result<BuildReport> {
    let start = Instant::now();
    let (run_id, started_us, started_at) = manifest::new_run();
    progress.stage("scanning");
    let mut scan_opts = opts.scan.clone();
    scan_opts.skip_dir = Some(opts.db.clone());
    scan_opts.threads = opts.extract.jobs;
    // The scan comes first: a wrong root or glob fails before anything is created.
    let scanned = codelake_extract::scan(&opts.repo, &scan_opts)?;
    let mut stages = Vec::new();
    let mut lap = start;
    let mut stage = |name: &'static str| {
        stages.push((name, lap.elapsed()));
        lap = Instant::now();
    };
    stage("scan");
    progress.scanned(scanned.files.len(), scanned.total_bytes);

    std::fs::create_dir_all(&opts.db).map_err(|source| EngineError::Io {
        path: opts.db.clone(),
        source,
    })?;
    // The table of runs, which the build ends by appending to, is opened (or created) beside
    // the extraction.
    let runs_spec = codelake_schema::spec("runs")
        .ok_or_else(|| EngineError::Other("the registry has no runs table".to_string()))?;
    let runs = {
        let db = opts.db.clone();
        tasks.spawn(async move { storage::ensure(&db, runs_spec).await })
    };
    // Each evidence table is opened (or created) by the task that writes it, beside the
    // extraction, which its channel lets start at once. The planning task gets each table from
    // its writer (planning reads only their schemas).
    let mut opened_rx = Vec::new();
    let mut opened_tx = HashMap::new();
    for table in Table::ALL {
        let (tx, rx) = tokio::sync::oneshot::channel::<deltalake::DeltaTable>();
        opened_tx.insert(table, tx);
        opened_rx.push((table.name(), rx));
    }
    // The rules are planned while the files are extracted: planning reads only the tables'
    // schemas, which the opened tables already have, and its plans feed the manifest. Without
    // the rules nothing is planned (it would take CPU time from the extraction).
    let read = Arc::new(OnceLock::new());
    let planning = opts.relations.then(|| {
        let read = read.clone();
        let params = opts.params.clone();
        tasks.spawn(async move {
            let mut tables = BTreeMap::new();
            for (name, rx) in opened_rx {
                // A table that could not be opened fails its writer, whose error the build
                // reports first (extraction stops when a writer goes away).
                let delta = rx.await.map_err(|_| {
                    EngineError::Other(format!("{name}: the table could not be opened"))
                })?;
                tables.insert(name, delta);
            }
            let ctx = session::session_over(
                session::rules_session_context(),
                &tables,
                &[Layer::Evidence],
            )
            .await?;
            let planned = rules::plan_all(&ctx, &params).await?;
            let _ = read.set(rules::evidence_read(&planned));
            Ok::<_, EngineError>(planned)
        })
    });
    // Without the rules, the CPG tables are written empty. They are opened and their writes
    // prepared while the files are extracted, side by side; each commits once extraction has
    // succeeded (a failed build leaves them as they were).
    let (extracted_ok, extraction_done) = tokio::sync::watch::channel(false);
    let empty_outputs = if opts.relations {
        Vec::new()
    } else {
        codelake_schema::layer(Layer::Cpg)
            .map(|spec| {
                let db = opts.db.clone();
                let mut go = extraction_done.clone();
                tasks.spawn(async move {
                    let delta = storage::ensure(&db, spec).await?;
                    go.wait_for(|ok| *ok).await.map_err(|_| {
                        EngineError::Other(format!("{}: extraction did not finish", spec.name))
                    })?;
                    // A table without data files (created by this build, or emptied by an
                    // earlier one) already reads as the empty table this build leaves:
                    // replacing it would add a version that changes nothing.
                    let files = delta
                        .snapshot()
                        .map(|s| s.log_data().num_files())
                        .delta_context(spec.name)?;
                    if files == 0 {
                        return Ok((spec.name, delta));
                    }
                    let emptied = datafile::replace_table(&db, spec, Some(delta), None).await?;
                    Ok::<_, EngineError>((spec.name, emptied))
                })
            })
            .collect()
    };
    // Each evidence table is opened beside the extraction. With the rules it must exist
    // before it is written (the rules are planned over it meanwhile); without them a missing
    // table is created by its commit (version 0 holds the rows).
    let mut opening = HashMap::new();
    for table in Table::ALL {
        let spec = table.spec();
        let opened = opened_tx.remove(&table);
        let (db, relations) = (opts.db.clone(), opts.relations);
        let task = tasks.spawn(async move {
            let delta = if relations {
                storage::ensure(&db, spec).await?
            } else {
                storage::ensure_for_write(&db, spec).await?
            };
            if let Some(tx) = opened {
                let _ = tx.send(delta.clone());
            }
            Ok::<_, EngineError>(delta)
        });
        opening.insert(table, task);
    }

    stage("prepare");
    progress.stage("extracting");
    let sink = Arc::new(FileSink::new(&opts.db, opts.relations, read));
    let files = scanned.files.clone();
    let extract_cfg = opts.extract.clone();
    let sink2 = sink.clone();
    let progress2 = progress.clone();
    let extraction = tasks.spawn_blocking(move || {
        let on_file = |bytes: u64| progress2.file_done(bytes);
        codelake_extract::extract_all(&files, &extract_cfg, sink2.as_ref(), &on_file)
            .map_err(EngineError::from)
            .and_then(|stats| sink2.finish().map(|_| stats).map_err(EngineError::Other))
    });
    let extracted = extraction
        .await
        .map_err(|e| EngineError::Other(format!("extraction task failed: {e}")))
        .and_then(|r| r);
    stage("extract");
    let kept = sink.take_kept()?;
    let data_files = sink.take_files();
    drop(sink);
    let stats = match extracted {
        Ok(stats) => stats,
        Err(e) => {
            // Nothing is committed: the tables stay as they were, and the files begun go.
            for file in data_files.into_iter().filter_map(|(_, file)| file) {
                file.abandon();
            }
            return Err(e);
        }
    };
    progress.stage("committing");
    // Each table's file is finished (its last row group and footer) and replaces the table's
    // rows in one commit, all tables side by side.
    let mut commits = Vec::new();
    for (table, file) in data_files {
        let spec = table.spec();
        let file = file.ok_or_else(|| {
            EngineError::Other(format!("the data file of {} was lost", spec.name))
        })?;
        let opened = opening
            .remove(&table)
            .ok_or_else(|| EngineError::Other(format!("{} was not opened", spec.name)))?;
        let db = opts.db.clone();
        commits.push((
            table,
            tasks.spawn(async move {
                let add = tokio::task::spawn_blocking(move || file.finish())
                    .await
                    .map_err(|e| {
                        EngineError::Other(format!("finishing the data file of {}: {e}", spec.name))
                    })??;
                let delta = match opened.await {
                    Ok(Ok(delta)) => delta,
                    Ok(Err(e)) => {
                        datafile::abandon_add(&db, spec, add.as_ref());
                        return Err(e);
                    }
                    Err(e) => {
                        datafile::abandon_add(&db, spec, add.as_ref());
                        return Err(EngineError::Other(format!(
                            "opening table {} failed: {e}",
                            spec.name
                        )));
                    }
                };
                datafile::replace_table(&db, spec, Some(delta), add).await
            }),
        ));
    }
    let mut commit_error = None;
    // Every table as this build leaves it: sessions and versions come from these, not from
    // opening each table again.
    let written = Arc::new(Mutex::new(BTreeMap::new()));
    for (table, handle) in commits {
        match handle.await {
            Ok(Ok(delta)) => {
                lock(&written)?.insert(table.name(), delta);
            }
            Ok(Err(e)) => {
                commit_error.get_or_insert(e);
            }
            Err(e) => {
                commit_error.get_or_insert(EngineError::Other(format!(
                    "committing {} failed: {e}",
                    table.name()
                )));
            }
        }
    }
    if let Some(e) = commit_error {
        return Err(e);
    }
    // Nobody waiting is fine: with the rules, no empty write waits.
    let _ = extracted_ok.send(true);
    stage("commit");

    progress.stage("relating");
    let ddl_fingerprints = manifest::write_schema_sql(&opts.db)?;
    let planned = match planning {
        Some(task) => task
            .await
            .map_err(|e| EngineError::Other(format!("planning the rules failed: {e}")))??,
        None => Vec::new(),
    };
    let rule_runs = if opts.relations {
        let evidence = session::rules_session_context();
        EvidenceInMemory {
            batches: kept,
            read: rules::evidence_read(&planned),
        }
        .register(&evidence)
        .await?;
        let writer = DeltaOutputs {
            db: opts.db.clone(),
            ctx: evidence.clone(),
            written: written.clone(),
        };
        let on_rule: rules::OnRule = {
            let progress = progress.clone();
            Arc::new(move |name, index, total| progress.rule(name, index, total))
        };
        rules::run_all(&evidence, &opts.params, Arc::new(writer), on_rule).await?
    } else {
        for handle in empty_outputs {
            let (name, delta) = handle.await.map_err(|e| {
                EngineError::Other(format!("writing an empty CPG table failed: {e}"))
            })??;
            lock(&written)?.insert(name, delta);
        }
        Vec::new()
    };
    manifest::write_rules_profile(&opts.db, &rule_runs)?;
    stage("relate");

    progress.stage("validating");
    let runs = runs
        .await
        .map_err(|e| EngineError::Other(format!("opening the runs table failed: {e}")))??;
    let tables = {
        let mut w = lock(&written)?;
        w.insert(runs_spec.name, runs.clone());
        std::mem::take(&mut *w)
    };
    let checked = session::session_over(
        session::new_session_context(),
        &tables,
        &[Layer::Evidence, Layer::Cpg, Layer::Meta],
    )
    .await?;
    let info_schema_hash = info_schema::snapshot(
        &checked,
        &manifest::meta_dir(&opts.db).join("information_schema"),
    )
    .await?;
    let versions: BTreeMap<String, i64> = tables
        .iter()
        .map(|(name, t)| (name.to_string(), t.version().map_or(-1, |v| v as i64)))
        .collect();
    drop(checked);
    stage("validate");

    let mut rows: BTreeMap<String, usize> = stats
        .rows
        .iter()
        .map(|(t, n)| (t.to_string(), *n))
        .collect();
    for r in &rule_runs {
        if r.kind == rules::RuleKind::Output {
            rows.insert(r.name.to_string(), r.rows);
        }
    }
    let doc = manifest_json(ManifestParts {
        opts,
        run_id: &run_id,
        started_us,
        started_at: &started_at,
        stats: &stats,
        planned: &planned,
        runs: &rule_runs,
        ddl: &ddl_fingerprints,
        info_schema_hash: &info_schema_hash,
        rows: &rows,
        versions: &versions,
        stages: &stages,
        elapsed: start.elapsed(),
    });
    manifest::record(&opts.db, &doc, runs).await?;
    Ok(BuildReport {
        rows,
        run_id,
        stats,
        versions,
        skipped_symlinks: scanned.skipped_symlinks,
        walk_errors: scanned.walk_errors,
        stages,
        rules: rule_runs,
        elapsed: start.elapsed(),
    })
}

struct ManifestParts<'a> {
    opts: &'a BuildOptions,
    run_id: &'a str,
    started_us: i64,
    started_at: &'a str,
    stats: &'a ExtractStats,
    planned: &'a [rules::PlannedRule],
    runs: &'a [RuleRun],
    ddl: &'a BTreeMap<String, String>,
    info_schema_hash: &'a str,
    rows: &'a BTreeMap<String, usize>,
    versions: &'a BTreeMap<String, i64>,
    stages: &'a [(&'static str, Duration)],
    elapsed: Duration,
}

/// The manifest of a run (see [`manifest`]).
fn manifest_json(p: ManifestParts<'_>) -> serde_json::Value {
    use serde_json::json;
    let x = &p.opts.extract;
    let config = json!({
        "jobs": x.jobs,
        "max_file_bytes": x.max_file_bytes,
        "scopes": x.scopes,
        "syntax": x.syntax,
        "flow": x.flow,
        "tokens": x.tokens,
        "tree_sitter": format!("{:?}", x.tree_sitter),
        "include": p.opts.scan.include,
        "exclude": p.opts.scan.exclude,
        "params": p.opts.params.0.iter().map(|(k, v)| (k.clone(), json!(v.to_string()))).collect::<serde_json::Map<_, _>>(),
    });
    // Tables an evidence layer that was switched off leaves empty, and why.
    let mut empty_layers: Vec<(&str, &str)> = Vec::new();
    if !x.scopes {
        for t in ["scopes", "symbols", "bindings", "name_refs"] {
            empty_layers.push((t, "the scope analysis was off (--no-scopes)"));
        }
    }
    if !x.syntax {
        for t in [
            "defs",
            "params",
            "calls",
            "call_args",
            "imports",
            "decorators",
            "docstrings",
            "annotations",
            "comments",
        ] {
            empty_layers.push((t, "the syntax evidence was off (--no-syntax)"));
        }
    }
    if !x.flow {
        for t in [
            "cfg_nodes",
            "cfg_edges",
            "basic_blocks",
            "dominators",
            "post_dominators",
            "control_deps",
            "defs_uses",
        ] {
            empty_layers.push((t, "the flow layer was off (--no-flow)"));
        }
    }
    if !p.opts.relations {
        for spec in codelake_schema::layer(Layer::Cpg) {
            empty_layers.push((spec.name, "the rules were off (--no-relations)"));
        }
    }
    let rules: Vec<serde_json::Value> = p
        .planned
        .iter()
        .map(|pr| {
            let run = p.runs.iter().find(|r| r.name == pr.def.name);
            let notes: Vec<String> = pr
                .inputs
                .iter()
                .filter_map(|i| {
                    empty_layers
                        .iter()
                        .find(|(t, _)| t == i)
                        .map(|(t, why)| format!("input {t} is empty: {why}"))
                })
                .collect();
            json!({
                "name": pr.def.name,
                "layer": pr.def.layer.name(),
                "kind": format!("{:?}", pr.def.kind).to_lowercase(),
                "inputs": pr.inputs,
                "fingerprint": pr.fingerprint,
                "rows": run.map(|r| r.rows),
                "ms": run.map(|r| manifest::ms(r.elapsed)),
                "notes": notes,
            })
        })
        .collect();
    // Without the rules nothing was planned: every rule is listed, unplanned, and says why.
    let rules = if !p.opts.relations {
        rules::RULES
            .iter()
            .map(|def| {
                json!({
                    "name": def.name,
                    "layer": def.layer.name(),
                    "kind": format!("{:?}", def.kind).to_lowercase(),
                    "inputs": null,
                    "fingerprint": null,
                    "rows": null,
                    "ms": null,
                    "notes": ["not planned: the rules were off (--no-relations)"],
                })
            })
            .collect()
    } else {
        rules
    };
    let tables: serde_json::Map<String, serde_json::Value> = codelake_schema::registry()
        .iter()
        .map(|s| {
            (
                s.name.to_string(),
                json!({
                    "layer": s.layer.name(),
                    "rows": p.rows.get(s.name),
                    "delta_version": p.versions.get(s.name),
                    "ddl_fingerprint": p.ddl.get(s.name),
                }),
            )
        })
        .collect();
    json!({
        "run_id": p.run_id,
        "started_at": p.started_at,
        "started_at_us": p.started_us,
        "versions": manifest::versions(),
        "repo": p.opts.repo.to_string_lossy(),
        "config": config.to_string(),
        "files": p.stats.files,
        "bytes": p.stats.bytes,
        "elapsed_ms": p.elapsed.as_millis() as i64,
        "info_schema_hash": p.info_schema_hash,
        "rules": rules,
        "tables": tables,
        "stages_ms": p.stages.iter().map(|(n, d)| (n.to_string(), manifest::ms(*d))).collect::<serde_json::Map<_, _>>(),
    })
}

/// Writes the rules' outputs as Delta tables of the database.
struct DeltaOutputs {
    db: PathBuf,
    ctx: datafusion::prelude::SessionContext,
    /// The tables written so far, as committed.
    written: Arc<Mutex<BTreeMap<&'static str, deltalake::DeltaTable>>>,
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| EngineError::Other("a writer task panicked".to_string()))
}

#[async_trait::async_trait]
impl OutputWriter for DeltaOutputs {
    async fn write(&self, spec: &'static TableSpec, df: DataFrame) -> Result<rules::Written> {
        let delta = storage::ensure(&self.db, spec).await?;
        // The rule's plan under a `DataSinkExec` into the table (see `datafile::DeltaSink`):
        // DataFusion checks the spec's NOT NULL columns, the sink relabels the rows with the
        // spec's schema (its field metadata), encodes them and commits.
        // In one partition, in plan order: the rows are written in the order the plan
        // produces them (see `ordered`), not in the order parallel partitions happen to finish.
        let task = Arc::new(df.task_ctx());
        let plan = df
            .create_physical_plan()
            .await
            .df_context(|| format!("planning the rule of {}", spec.name))?;
        let plan = crate::ordered::single_partition(plan);
        let sink = Arc::new(datafile::DeltaSink::new(&self.db, spec, delta));
        let write = Arc::new(DataSinkExec::new(plan.clone(), sink.clone(), None));
        datafusion::physical_plan::collect(write, task)
            .await
            .df_context(|| format!("writing {}", spec.name))?;
        let (table, rows) = sink.committed()?;
        let provider = session::provider(&self.ctx, spec, &table).await?;
        lock(&self.written)?.insert(spec.name, table);
        Ok(rules::Written {
            rows: rows as usize,
            table: provider,
            plan,
        })
    }
}

/// The Delta version of every table of the registry.
pub async fn table_versions(db: &std::path::Path) -> Result<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for spec in codelake_schema::registry() {
        if let Some(t) = storage::open(db, spec).await? {
            out.insert(spec.name.to_string(), t.version().map_or(-1, |v| v as i64));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, Int64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

    /// A batch of one Int64 column holding `from..from + n`.
    fn numbers(schema: &SchemaRef, from: i64, n: usize) -> RecordBatch {
        let values = Int64Array::from_iter_values(from..from + n as i64);
        RecordBatch::try_new(schema.clone(), vec![Arc::new(values)]).expect("one column")
    }

    /// The batches queued for `table` and not yet encoded.
    fn queued(sink: &FileSink, table: Table) -> Vec<RecordBatch> {
        let out = sink.out(table).expect("the table's queue");
        out.queue.lock().expect("queue").drain(..).collect()
    }

    /// The sink gathers small batches up to the target size, passes a batch already half that
    /// size on as it is (after the ones gathered before it), and flushes the rest at the end:
    /// every row once, in the order sent, to the data file's queue and to the batches kept for
    /// the rules.
    #[test]
    fn the_sink_gathers_small_batches_and_passes_big_ones_in_order() {
        let schema: SchemaRef =
            Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let table = Table::Calls;
        let db = tempfile::tempdir().expect("temp dir");
        let sink = FileSink::new(db.path(), true, Arc::new(OnceLock::new()));
        let big = TARGET_BATCH_ROWS / 2;
        let mut next = 0;
        let mut send = |n: usize| {
            sink.send(table, numbers(&schema, next, n)).expect("sent");
            next += n as i64;
        };
        send(100);
        send(200);
        assert!(queued(&sink, table).is_empty(), "small batches wait");
        let mut batches = Vec::new();
        send(big);
        batches.extend(queued(&sink, table));
        for _ in 0..3 {
            send(5_000);
        }
        send(2_000);
        send(7);
        sink.flush_pending().expect("flushed");
        batches.extend(queued(&sink, table));
        let mut sizes = Vec::new();
        let mut rows = Vec::new();
        for batch in batches {
            sizes.push(batch.num_rows());
            let column = batch
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .expect("i64");
            rows.extend(column.values().iter().copied());
        }
        // The two small ones together, the big one alone, the next four gathered until they
        // reach the target, the last one at the end.
        assert_eq!(sizes, [300, big, 17_000, 7]);
        assert_eq!(rows, (0..next).collect::<Vec<_>>());
        let kept = sink.take_kept().expect("kept");
        let kept_sizes: Vec<usize> = kept[&table].iter().map(RecordBatch::num_rows).collect();
        assert_eq!(kept_sizes, sizes);
    }
}
