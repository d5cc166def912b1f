//! `codelake build`: scan, extract in parallel, and stream the evidence into Delta tables.
//!
//! Each evidence table is written by one DataFusion plan, `INSERT OVERWRITE` of a streaming
//! source into the registered Delta table provider: the batches flow from the extraction
//! workers through a bounded channel into the Parquet writer, and the table is replaced by a
//! single Delta commit when its stream ends. If extraction fails, every stream ends with an
//! error and no table is committed: a reader sees the previous build or the new one, whole.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codelake_extract::{EvidenceSink, ExtractConfig, ExtractStats, ScanOptions, Table};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use tokio::sync::mpsc;

use crate::error::{DfContext, EngineError, Result};
use crate::{session, storage};

/// Everything `codelake build` is told.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub repo: PathBuf,
    pub db: PathBuf,
    pub scan: ScanOptions,
    pub extract: ExtractConfig,
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
    /// Wall time of each stage, in order: scan, prepare (tables and plans), extract (until the
    /// last batch is handed over; the writers run meanwhile), commit (until every table's Delta
    /// commit), validate.
    pub stages: Vec<(&'static str, Duration)>,
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
}

/// A `Progress` that reports nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

type BatchResult = std::result::Result<RecordBatch, DataFusionError>;

/// A one-shot partition fed by a channel.
#[derive(Debug)]
struct ChannelPartition {
    schema: SchemaRef,
    rx: Mutex<Option<mpsc::Receiver<BatchResult>>>,
}

impl PartitionStream for ChannelPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let rx = self.rx.lock().ok().and_then(|mut r| r.take());
        let stream = futures::stream::unfold(rx, |rx| async move {
            let mut rx = match rx {
                Some(rx) => rx,
                None => {
                    let err = DataFusionError::Execution("evidence stream executed twice".into());
                    return Some((Err(err), None));
                }
            };
            rx.recv().await.map(|item| (item, Some(rx)))
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
}

/// Rows gathered before a batch goes to a writer: per-file batches are small.
const TARGET_BATCH_ROWS: usize = 16 * 1024;

/// The extraction side of the channels: coalesces per-file batches and sends them on.
struct ChannelSink {
    senders: HashMap<Table, mpsc::Sender<BatchResult>>,
    pending: Mutex<HashMap<Table, (Vec<RecordBatch>, usize)>>,
}

impl ChannelSink {
    fn push(&self, table: Table, batch: RecordBatch) -> std::result::Result<(), String> {
        let sender = self
            .senders
            .get(&table)
            .ok_or_else(|| format!("no writer for {}", table.name()))?;
        sender
            .blocking_send(Ok(batch))
            .map_err(|_| format!("the writer of table {} stopped", table.name()))
    }

    fn flush(&self, table: Table, batches: Vec<RecordBatch>) -> std::result::Result<(), String> {
        if batches.is_empty() {
            return Ok(());
        }
        let schema = batches[0].schema();
        let batch = concat_batches(&schema, &batches).map_err(|e| e.to_string())?;
        self.push(table, batch)
    }

    fn finish(&self) -> std::result::Result<(), String> {
        let pending: Vec<_> = match self.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => return Err("evidence buffer poisoned".to_string()),
        };
        for (table, (batches, _)) in pending {
            self.flush(table, batches)?;
        }
        Ok(())
    }

    fn fail(&self, message: &str) {
        for s in self.senders.values() {
            let _ = s.blocking_send(Err(DataFusionError::Execution(message.to_string())));
        }
    }
}

impl EvidenceSink for ChannelSink {
    fn send(&self, table: Table, batch: RecordBatch) -> std::result::Result<(), String> {
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
}

/// Builds the database: scans `opts.repo`, extracts every file and overwrites every evidence
/// table with one Delta commit each, then validates the tables through `information_schema`.
pub async fn build(opts: &BuildOptions, progress: Arc<dyn Progress>) -> Result<BuildReport> {
    let start = Instant::now();
    progress.stage("scanning");
    let mut scan_opts = opts.scan.clone();
    scan_opts.skip_dir = Some(opts.db.clone());
    let scanned = codelake_extract::scan(&opts.repo, &scan_opts)?;
    let mut stages = Vec::new();
    let mut lap = start;
    let mut stage = |name: &'static str| {
        stages.push((name, lap.elapsed()));
        lap = Instant::now();
    };
    stage("scan");
    let total_bytes: u64 = scanned
        .files
        .iter()
        .map(|f| f.abs_path.metadata().map_or(0, |m| m.len()))
        .sum();
    progress.scanned(scanned.files.len(), total_bytes);

    std::fs::create_dir_all(&opts.db).map_err(|source| EngineError::Io {
        path: opts.db.clone(),
        source,
    })?;
    let ctx = session::new_session_context();
    let mut senders = HashMap::new();
    let mut writes = Vec::new();
    for table in Table::ALL {
        let spec = table.spec();
        let delta = storage::ensure(&opts.db, spec).await?;
        let (tx, rx) = mpsc::channel::<BatchResult>(16);
        senders.insert(table, tx);
        let source = StreamingTable::try_new(
            spec.schema.clone(),
            vec![Arc::new(ChannelPartition {
                schema: spec.schema.clone(),
                rx: Mutex::new(Some(rx)),
            })],
        )
        .df_context(|| format!("preparing the write of {}", spec.name))?;
        let df = ctx
            .read_table(Arc::new(source))
            .df_context(|| format!("preparing the write of {}", spec.name))?;
        writes.push((table, tokio::spawn(write_table(delta, df, spec))));
    }

    stage("prepare");
    progress.stage("extracting");
    let sink = Arc::new(ChannelSink {
        senders,
        pending: Mutex::new(HashMap::new()),
    });
    let files = scanned.files.clone();
    let extract_cfg = opts.extract.clone();
    let sink2 = sink.clone();
    let progress2 = progress.clone();
    let extraction = tokio::task::spawn_blocking(move || {
        let on_file = |bytes: u64| progress2.file_done(bytes);
        let result = codelake_extract::extract_all(&files, &extract_cfg, sink2.as_ref(), &on_file)
            .map_err(EngineError::from)
            .and_then(|stats| sink2.finish().map(|_| stats).map_err(EngineError::Other));
        if let Err(e) = &result {
            sink2.fail(&e.to_string());
        }
        result
    });
    let extracted = extraction
        .await
        .map_err(|e| EngineError::Other(format!("extraction task failed: {e}")));
    stage("extract");
    // Dropping the senders ends the streams; the writers then commit.
    drop(sink);
    progress.stage("committing");
    let mut write_error = None;
    for (table, handle) in writes {
        match handle.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                write_error.get_or_insert(e);
            }
            Err(e) => {
                write_error.get_or_insert(EngineError::Other(format!(
                    "writer of {} failed: {e}",
                    table.name()
                )));
            }
        }
    }
    // A writer's error is the cause when extraction stopped because a writer went away.
    if let Some(e) = write_error {
        return Err(e);
    }
    let stats = extracted??;
    stage("commit");

    progress.stage("validating");
    let checked = session::open_session(&opts.db).await?;
    let versions = table_versions(&opts.db).await?;
    drop(checked);
    stage("validate");
    Ok(BuildReport {
        rows: stats
            .rows
            .iter()
            .map(|(t, n)| (t.to_string(), *n))
            .collect(),
        stats,
        versions,
        skipped_symlinks: scanned.skipped_symlinks,
        walk_errors: scanned.walk_errors,
        stages,
        elapsed: start.elapsed(),
    })
}

/// Overwrites a table with the rows of a DataFusion plan: delta-rs executes the plan (in its own
/// session, which has the planner its write nodes need; the streaming source is part of the
/// plan) and streams it into Parquet files with the table's writer properties
/// ([`storage::writer_properties`]), then replaces the table in one commit. (DataFusion's
/// `INSERT OVERWRITE` into the Delta provider does the same, but cannot set writer properties.)
async fn write_table(
    delta: deltalake::DeltaTable,
    df: datafusion::dataframe::DataFrame,
    spec: &'static codelake_schema::TableSpec,
) -> Result<()> {
    use crate::error::DeltaContext;
    let plan = df.logical_plan().clone();
    delta
        .write(Vec::new())
        .with_input_plan(plan)
        .with_save_mode(deltalake::protocol::SaveMode::Overwrite)
        .with_writer_properties(storage::writer_properties(spec))
        .await
        .delta_context(spec.name)?;
    Ok(())
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
