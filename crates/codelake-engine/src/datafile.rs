//! The tables' data files and their Delta commits: the evidence's, written by the extraction
//! threads as they hand their batches over, and the CPG outputs', written by DataFusion
//! through [`DeltaSink`]; both committed to each table's Delta log through delta-rs.
//!
//! An evidence batch is Parquet-encoded by an extraction worker between its chunks, soon after
//! it was built (the build's `FileSink` queues it; whichever worker is free encodes it), into
//! the table's one new data file ([`DataFile`]), with the table's writer properties
//! ([`storage::writer_properties`]). Once every file is extracted, each table is replaced by
//! one Delta commit ([`replace_table`]): the new file's `add` (with `numRecords` and the
//! statistics the file carries, as delta-rs' own writers put them) and a `remove` for every
//! file of the version it replaces. A reader sees the old version or the new one, whole; a
//! failed build commits nothing and deletes the files it had begun ([`DataFile::abandon`]).
//!
//! Why not delta-rs' writer: no encoded row group is copied into an upload buffer, and no
//! tokio task, channel or blocking thread stands between the extraction and the file
//! (docs/performance.md has the comparison). The outputs take the same path from their plans
//! (see [`DeltaSink`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use codelake_schema::TableSpec;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::sink::DataSink;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::{DisplayAs, DisplayFormatType};
use deltalake::DeltaTable;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake::kernel::{Action, Add};
use deltalake::parquet::arrow::ArrowWriter;
use deltalake::parquet::basic::{LogicalType, Type as PhysicalType};
use deltalake::parquet::file::metadata::ParquetMetaData;
use deltalake::parquet::file::statistics::Statistics;
use deltalake::protocol::{DeltaOperation, SaveMode};
use futures::StreamExt;
use serde_json::{Map, Value};

use crate::error::{DeltaContext, EngineError, Result};
use crate::storage;

/// The output buffer between the Parquet writer and the file (a closing row group's column
/// chunks go through it; a larger one costs resident memory and saves nothing).
const FILE_BUFFER: usize = 256 << 10;

/// The one new data file of a table, created at its first rows.
pub struct DataFile {
    spec: &'static TableSpec,
    dir: PathBuf,
    /// The file's name in the table's directory (as delta-rs names its data files).
    name: String,
    writer: Option<ArrowWriter<BufWriter<File>>>,
}

impl DataFile {
    pub fn new(db: &Path, spec: &'static TableSpec) -> Self {
        DataFile {
            spec,
            dir: storage::table_dir(db, spec.name),
            name: format!("part-00000-{}-c000.snappy.parquet", uuid::Uuid::new_v4()),
            writer: None,
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    fn io_error(&self, source: std::io::Error) -> EngineError {
        EngineError::Io {
            path: self.path(),
            source,
        }
    }

    fn parquet_error(&self, e: deltalake::parquet::errors::ParquetError) -> EngineError {
        EngineError::Other(format!("writing {}: {e}", self.path().display()))
    }

    /// Encodes a batch of the table's rows (of the spec's schema) into the file.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let writer = match self.writer.take() {
            Some(w) => w,
            None => self.open()?,
        };
        self.writer
            .insert(writer)
            .write(batch)
            .map_err(|e| self.parquet_error(e))
    }

    /// Creates the file and its Parquet writer.
    fn open(&self) -> Result<ArrowWriter<BufWriter<File>>> {
        // One file per table, with no partition values: a partitioned table would need its
        // partition columns taken out of the file and a file per partition.
        if !self.spec.partition_by.is_empty() {
            return Err(EngineError::Other(format!(
                "{}: codelake's table writer does not write partitioned tables",
                self.spec.name
            )));
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| EngineError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let file = File::create_new(self.path()).map_err(|e| self.io_error(e))?;
        ArrowWriter::try_new(
            BufWriter::with_capacity(FILE_BUFFER, file),
            self.spec.schema.clone(),
            Some(storage::writer_properties(self.spec)),
        )
        .map_err(|e| self.parquet_error(e))
    }

    /// Writes the file's last row group and footer and returns its `add` action, or `None`
    /// when the table got no rows (it then has no data file).
    pub fn finish(mut self) -> Result<Option<Add>> {
        let Some(writer) = self.writer.take() else {
            return Ok(None);
        };
        let finished = self.close(writer);
        if finished.is_err() {
            let _ = std::fs::remove_file(self.path());
        }
        finished.map(Some)
    }

    fn close(&self, mut writer: ArrowWriter<BufWriter<File>>) -> Result<Add> {
        let metadata = writer.finish().map_err(|e| self.parquet_error(e))?;
        writer.inner_mut().flush().map_err(|e| self.io_error(e))?;
        let size = writer.bytes_written() as i64;
        drop(writer);
        let modification_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let stats = serde_json::to_string(&file_stats(&metadata))
            .map_err(|e| EngineError::Other(format!("{}: statistics: {e}", self.spec.name)))?;
        Ok(Add {
            path: self.name.clone(),
            partition_values: Default::default(),
            size,
            modification_time,
            data_change: true,
            stats: Some(stats),
            tags: None,
            deletion_vector: None,
            base_row_id: None,
            default_row_commit_version: None,
            clustering_provider: None,
        })
    }

    /// Deletes what was written of the file (the build failed; no commit refers to it).
    pub fn abandon(mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(self.path());
        }
    }
}

/// A file's Delta statistics, from its Parquet footer: `numRecords`, and the min, max and null
/// count of every column whose row groups all carry them (the writer keeps them only for the
/// columns a table is sorted or keyed by, see [`storage::writer_properties`]). Nested struct
/// fields nest as objects; list elements get none (as in delta-rs).
fn file_stats(metadata: &ParquetMetaData) -> Value {
    let mut min_values = Map::new();
    let mut max_values = Map::new();
    let mut null_count = Map::new();
    let schema = metadata.file_metadata().schema_descr();
    let groups = metadata.row_groups();
    for (i, column) in schema.columns().iter().enumerate() {
        if column.max_rep_level() > 0 || groups.is_empty() {
            continue;
        }
        let is_string = matches!(column.logical_type_ref(), Some(LogicalType::String));
        let mut min: Option<Value> = None;
        let mut max: Option<Value> = None;
        let mut nulls: Option<u64> = Some(0);
        let mut bounded = true;
        for group in groups {
            let Some(stats) = group.column(i).statistics() else {
                bounded = false;
                nulls = None;
                break;
            };
            nulls = nulls.zip(stats.null_count_opt()).map(|(a, b)| a + b);
            match bounds(stats, column.physical_type(), is_string) {
                Some((lo, hi)) => {
                    if min.as_ref().is_none_or(|m| less(&lo, m)) {
                        min = Some(lo);
                    }
                    if max.as_ref().is_none_or(|m| less(m, &hi)) {
                        max = Some(hi);
                    }
                }
                None => bounded = false,
            }
        }
        let path = column.path().parts();
        if let Some(n) = nulls {
            insert_at(&mut null_count, path, Value::from(n));
        }
        if bounded && let (Some(lo), Some(hi)) = (min, max) {
            insert_at(&mut min_values, path, lo);
            insert_at(&mut max_values, path, hi);
        }
    }
    let mut stats = Map::new();
    stats.insert(
        "numRecords".into(),
        Value::from(metadata.file_metadata().num_rows()),
    );
    stats.insert("minValues".into(), Value::Object(min_values));
    stats.insert("maxValues".into(), Value::Object(max_values));
    stats.insert("nullCount".into(), Value::Object(null_count));
    Value::Object(stats)
}

/// The min and max of a column chunk's statistics, as JSON values, for the types codelake's
/// tables hold (integers, floats, booleans and UTF-8 strings).
fn bounds(stats: &Statistics, physical: PhysicalType, is_string: bool) -> Option<(Value, Value)> {
    match (stats, physical) {
        (Statistics::Int32(s), _) => Some((Value::from(*s.min_opt()?), Value::from(*s.max_opt()?))),
        (Statistics::Int64(s), _) => Some((Value::from(*s.min_opt()?), Value::from(*s.max_opt()?))),
        (Statistics::Double(s), _) => {
            Some((Value::from(*s.min_opt()?), Value::from(*s.max_opt()?)))
        }
        (Statistics::Boolean(s), _) => {
            Some((Value::from(*s.min_opt()?), Value::from(*s.max_opt()?)))
        }
        (Statistics::ByteArray(s), PhysicalType::BYTE_ARRAY) if is_string => Some((
            Value::from(std::str::from_utf8(s.min_bytes_opt()?).ok()?),
            Value::from(std::str::from_utf8(s.max_bytes_opt()?).ok()?),
        )),
        _ => None,
    }
}

/// `a < b` for two statistics values of one column (numbers, strings or booleans).
fn less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x < y,
            _ => x.as_f64().unwrap_or(f64::NAN) < y.as_f64().unwrap_or(f64::NAN),
        },
        (Value::String(x), Value::String(y)) => x.as_bytes() < y.as_bytes(),
        (Value::Bool(x), Value::Bool(y)) => !x & y,
        _ => false,
    }
}

fn insert_at(map: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [leaf] => {
            map.insert(leaf.clone(), value);
        }
        [head, rest @ ..] => {
            let entry = map
                .entry(head.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = entry {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// Replaces the rows of a table with one new data file (or none: the table becomes empty), in
/// one Delta commit: `table` as opened for this build, `None` when it does not exist yet (the
/// commit then creates it, version 0 holding the rows). If the commit fails, the new file is
/// deleted: no version refers to it.
pub async fn replace_table(
    db: &Path,
    spec: &'static TableSpec,
    table: Option<DeltaTable>,
    add: Option<Add>,
) -> Result<DeltaTable> {
    let kept = add.clone();
    let committed = commit_replacement(db, spec, table, add).await;
    if committed.is_err() {
        abandon_add(db, spec, kept.as_ref());
    }
    committed
}

async fn commit_replacement(
    db: &Path,
    spec: &'static TableSpec,
    table: Option<DeltaTable>,
    add: Option<Add>,
) -> Result<DeltaTable> {
    let rows = add
        .as_ref()
        .and_then(|a| a.get_stats().ok().flatten())
        .map_or(0, |s| s.num_records);
    let adds: Vec<Action> = add.into_iter().map(Action::Add).collect();
    let Some(mut table) = table.filter(|t| t.version().is_some()) else {
        return storage::create(db, spec)
            .await?
            .with_save_mode(SaveMode::ErrorIfExists)
            .with_commit_properties(commit_properties(adds.len(), rows, 0))
            .with_actions(adds)
            .await
            .delta_context(spec.name);
    };
    let snapshot = table.snapshot().delta_context(spec.name)?;
    let removes: Vec<Action> = snapshot
        .log_data()
        .iter()
        .map(|f| Action::Remove(f.remove_action(true)))
        .collect();
    let operation = DeltaOperation::Write {
        mode: SaveMode::Overwrite,
        partition_by: (!spec.partition_by.is_empty())
            .then(|| spec.partition_by.iter().map(|c| c.to_string()).collect()),
        predicate: None,
    };
    let props = commit_properties(adds.len(), rows, removes.len());
    let mut actions = adds;
    actions.extend(removes);
    let commit = CommitBuilder::from(props)
        .with_actions(actions)
        .build(Some(snapshot), table.log_store(), operation)
        .await
        .delta_context(spec.name)?;
    table.state = Some(commit.snapshot());
    Ok(table)
}

/// Deletes a finished data file that will not be committed (its table could not be opened, or
/// its commit failed).
pub(crate) fn abandon_add(db: &Path, spec: &TableSpec, add: Option<&Add>) {
    if let Some(add) = add {
        let _ = std::fs::remove_file(storage::table_dir(db, spec.name).join(&add.path));
    }
}

/// A rule's output, written by DataFusion: the sink of a `DataSinkExec` over the rule's plan,
/// an `INSERT OVERWRITE` into the output's Delta table. It encodes the plan's batches as they
/// come (relabelled with the spec's schema by [`conform`]) into one [`DataFile`] and replaces
/// the table with it in one commit ([`replace_table`]) before it returns, as a `DataSink`
/// does; a failed write commits nothing and deletes its file.
/// Unlike delta-rs' write operation it runs the plan in the build's session and encodes
/// straight into the file, not into an in-memory copy of it (the same bytes either way).
pub struct DeltaSink {
    db: PathBuf,
    spec: &'static TableSpec,
    /// The table as opened for this build; taken by the write.
    table: Mutex<Option<DeltaTable>>,
    /// The table as the write's commit left it, and the rows written.
    committed: Mutex<Option<(DeltaTable, u64)>>,
}

impl DeltaSink {
    pub fn new(db: &Path, spec: &'static TableSpec, table: DeltaTable) -> Self {
        DeltaSink {
            db: db.to_path_buf(),
            spec,
            table: Mutex::new(Some(table)),
            committed: Mutex::new(None),
        }
    }

    /// The table after the write, and the rows written, once the sink's plan has run.
    pub fn committed(&self) -> Result<(DeltaTable, u64)> {
        self.committed
            .lock()
            .ok()
            .and_then(|mut t| t.take())
            .ok_or_else(|| EngineError::Other(format!("{}: nothing was written", self.spec.name)))
    }

    async fn write(&self, mut data: SendableRecordBatchStream) -> Result<u64> {
        let name = self.spec.name;
        let table = self
            .table
            .lock()
            .ok()
            .and_then(|mut t| t.take())
            .ok_or_else(|| EngineError::Other(format!("{name}: the output was written twice")))?;
        let mut file = DataFile::new(&self.db, self.spec);
        let mut rows = 0u64;
        while let Some(batch) = data.next().await {
            let written = batch
                .map_err(|e| EngineError::Other(format!("running the rule of {name}: {e}")))
                .and_then(|b| {
                    conform(&b, &self.spec.schema)
                        .map_err(|e| EngineError::Other(format!("{name}: {e}")))
                })
                .and_then(|b| {
                    rows += b.num_rows() as u64;
                    file.write(&b)
                });
            if let Err(e) = written {
                file.abandon();
                return Err(e);
            }
        }
        let add = file.finish()?;
        let committed = replace_table(&self.db, self.spec, Some(table), add).await?;
        if let Ok(mut slot) = self.committed.lock() {
            *slot = Some((committed, rows));
        }
        Ok(rows)
    }
}

impl std::fmt::Debug for DeltaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeltaSink")
            .field("table", &self.spec.name)
            .finish_non_exhaustive()
    }
}

impl DisplayAs for DeltaSink {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeltaSink: overwrite {}", self.spec.name)
    }
}

#[async_trait::async_trait]
impl DataSink for DeltaSink {
    fn schema(&self) -> &SchemaRef {
        &self.spec.schema
    }

    async fn write_all(
        &self,
        data: SendableRecordBatchStream,
        _context: &Arc<TaskContext>,
    ) -> datafusion::error::Result<u64> {
        self.write(data)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))
    }
}

/// A batch relabelled with a spec's schema. Columns whose types differ only in names or
/// nullability of nested fields (a list's item, a map's entries, a struct built by a union with
/// a typed NULL) are cast to the spec's type; a null where the spec forbids one is an error.
pub(crate) fn conform(
    batch: &RecordBatch,
    schema: &SchemaRef,
) -> std::result::Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                datafusion::arrow::compute::cast(c, f.data_type())
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}

/// The commit's properties: delta-rs' defaults (a checkpoint every 100 versions, expired logs
/// cleaned up) and the operation's metrics in its `commitInfo`, as delta-rs' writes give them.
fn commit_properties(added: usize, rows: i64, removed: usize) -> CommitProperties {
    let metrics = serde_json::json!({
        "num_added_files": added,
        "num_added_rows": rows,
        "num_removed_files": removed,
        "num_partitions": 0,
    });
    CommitProperties::default().with_metadata([("operationMetrics".to_string(), metrics)])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, BooleanArray, Int32Array, Int64Array, StringArray};

    use super::*;

    fn files_batch(ids: &[i64]) -> RecordBatch {
        let spec = codelake_schema::spec("files").expect("files spec");
        let n = ids.len();
        let paths: Vec<String> = ids.iter().map(|i| format!("pkg/m{i}.py")).collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids.to_vec())),
            Arc::new(StringArray::from(paths)),
            Arc::new(StringArray::from(vec![None::<&str>; n])),
            Arc::new(BooleanArray::from(vec![false; n])),
            Arc::new(BooleanArray::from(vec![false; n])),
            Arc::new(Int64Array::from(vec![10; n])),
            Arc::new(StringArray::from(vec!["h"; n])),
            Arc::new(Int32Array::from(vec![1; n])),
            Arc::new(StringArray::from(vec![Some("utf-8"); n])),
        ];
        RecordBatch::try_new(spec.schema.clone(), columns).expect("a files batch")
    }

    fn files_in(table: &DeltaTable) -> Vec<String> {
        let mut files: Vec<String> = table
            .snapshot()
            .expect("loaded")
            .log_data()
            .iter()
            .map(|f| f.path().to_string())
            .collect();
        files.sort();
        files
    }

    /// A data file's `add` carries the row count and the min, max and null count of the
    /// columns the writer keeps statistics for (files: its key `file_id` and its sort column
    /// `path`), over all its row groups, and nothing for the others.
    #[test]
    fn the_add_carries_the_files_statistics() {
        let db = tempfile::tempdir().expect("temp dir");
        let spec = codelake_schema::spec("files").expect("files spec");
        let mut file = DataFile::new(db.path(), spec);
        file.write(&files_batch(&[5, -3, 9])).expect("written");
        file.write(&files_batch(&[])).expect("nothing written");
        file.write(&files_batch(&[7, 11])).expect("written");
        let add = file.finish().expect("finished").expect("an add");
        let stats: Value =
            serde_json::from_str(add.stats.as_deref().expect("stats")).expect("json");
        assert_eq!(stats["numRecords"], 5);
        assert_eq!(stats["minValues"]["file_id"], -3);
        assert_eq!(stats["maxValues"]["file_id"], 11);
        assert_eq!(stats["nullCount"]["file_id"], 0);
        assert_eq!(stats["minValues"]["path"], "pkg/m-3.py");
        assert_eq!(stats["maxValues"]["path"], "pkg/m9.py");
        assert!(stats["minValues"].get("size_bytes").is_none());
        let on_disk = std::fs::metadata(storage::table_dir(db.path(), "files").join(&add.path))
            .expect("the data file");
        assert_eq!(on_disk.len() as i64, add.size);
    }

    /// `DataFile` writes one unpartitioned file per table, for the evidence and the outputs:
    /// no table is partitioned.
    #[test]
    fn no_table_is_partitioned() {
        for spec in codelake_schema::registry() {
            assert!(spec.partition_by.is_empty(), "{} is partitioned", spec.name);
        }
    }

    /// A plan written through `DataSinkExec` and a `DeltaSink` replaces the table in one
    /// commit, with one file holding the plan's rows; DataFusion's count is the rows written.
    #[tokio::test]
    async fn a_plan_written_through_the_sink_replaces_the_table() {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::UInt64Type;
        use datafusion::datasource::sink::DataSinkExec;
        let db = tempfile::tempdir().expect("temp dir");
        let spec = codelake_schema::spec("files").expect("files spec");
        let table = storage::ensure(db.path(), spec).await.expect("created");
        assert_eq!(table.version(), Some(0));
        let ctx = crate::session::new_session_context();
        let plan = ctx
            .read_batches([files_batch(&[3, 1]), files_batch(&[2])])
            .expect("read")
            .create_physical_plan()
            .await
            .expect("planned");
        let sink = Arc::new(DeltaSink::new(db.path(), spec, table));
        let write = Arc::new(DataSinkExec::new(plan, sink.clone(), None));
        let counts = datafusion::physical_plan::collect(write, ctx.task_ctx())
            .await
            .expect("written");
        let count = counts[0].column(0).as_primitive::<UInt64Type>().value(0);
        assert_eq!(count, 3);
        let (table, rows) = sink.committed().expect("committed");
        assert_eq!(rows, 3);
        assert_eq!(table.version(), Some(1));
        assert_eq!(files_in(&table).len(), 1);
        let stats = table
            .snapshot()
            .expect("loaded")
            .log_data()
            .iter()
            .map(|f| f.num_records().unwrap_or(0))
            .sum::<usize>();
        assert_eq!(stats, 3);
        assert!(sink.committed().is_err(), "the table is handed over once");
    }

    /// A plan that fails part-way commits nothing and leaves no file behind.
    #[tokio::test]
    async fn a_failing_plan_commits_nothing_through_the_sink() {
        use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
        let db = tempfile::tempdir().expect("temp dir");
        let spec = codelake_schema::spec("files").expect("files spec");
        let table = storage::ensure(db.path(), spec).await.expect("created");
        let sink = DeltaSink::new(db.path(), spec, table);
        let batches: Vec<datafusion::error::Result<RecordBatch>> = vec![
            Ok(files_batch(&[1, 2])),
            Err(DataFusionError::Execution("the rule broke".into())),
        ];
        let stream = Box::pin(RecordBatchStreamAdapter::new(
            spec.schema.clone(),
            futures::stream::iter(batches),
        ));
        let ctx = crate::session::new_session_context();
        let err = sink
            .write_all(stream, &ctx.task_ctx())
            .await
            .expect_err("the plan failed");
        assert!(err.to_string().contains("the rule broke"), "{err}");
        assert!(sink.committed().is_err());
        let reopened = storage::open(db.path(), spec)
            .await
            .expect("opened")
            .expect("exists");
        assert_eq!(reopened.version(), Some(0));
        let parquet = std::fs::read_dir(storage::table_dir(db.path(), "files"))
            .expect("table dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
            .count();
        assert_eq!(parquet, 0);
    }

    /// A table without rows gets no data file, and an abandoned file is deleted.
    #[test]
    fn no_rows_no_file_and_abandoned_files_go() {
        let db = tempfile::tempdir().expect("temp dir");
        let spec = codelake_schema::spec("files").expect("files spec");
        let empty = DataFile::new(db.path(), spec);
        assert!(empty.finish().expect("finished").is_none());
        let mut file = DataFile::new(db.path(), spec);
        file.write(&files_batch(&[1])).expect("written");
        let path = file.path();
        assert!(path.exists());
        file.abandon();
        assert!(!path.exists());
    }

    /// The first replacement creates the table (version 0 holds the rows); each later one is
    /// one commit whose snapshot has only the new file (and none for an empty replacement),
    /// and the rows read back through DataFusion are the new ones.
    #[tokio::test]
    async fn replacing_a_table_commits_one_version_with_only_the_new_file() {
        let db = tempfile::tempdir().expect("temp dir");
        let spec = codelake_schema::spec("files").expect("files spec");
        let mut first = DataFile::new(db.path(), spec);
        first.write(&files_batch(&[1, 2, 3])).expect("written");
        let add = first.finish().expect("finished");
        let first_path = add.as_ref().map(|a| a.path.clone());
        let table = replace_table(db.path(), spec, None, add)
            .await
            .expect("created");
        assert_eq!(table.version(), Some(0));
        assert_eq!(files_in(&table), first_path.into_iter().collect::<Vec<_>>());

        let mut second = DataFile::new(db.path(), spec);
        second.write(&files_batch(&[4, 5])).expect("written");
        let add = second.finish().expect("finished");
        let second_path = add.as_ref().map(|a| a.path.clone());
        let table = replace_table(db.path(), spec, Some(table), add)
            .await
            .expect("replaced");
        assert_eq!(table.version(), Some(1));
        assert_eq!(
            files_in(&table),
            second_path.into_iter().collect::<Vec<_>>()
        );
        let reopened = storage::open(db.path(), spec)
            .await
            .expect("opened")
            .expect("exists");
        assert_eq!(reopened.version(), Some(1));
        let ctx = crate::session::new_session_context();
        let provider = crate::session::provider(&ctx, spec, &reopened)
            .await
            .expect("provider");
        ctx.register_table("files", provider).expect("registered");
        let rows = ctx
            .sql("SELECT file_id FROM files ORDER BY file_id")
            .await
            .expect("planned")
            .collect()
            .await
            .expect("ran");
        let ids: Vec<i64> = rows
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .expect("i64")
                    .values()
                    .to_vec()
            })
            .collect();
        assert_eq!(ids, [4, 5]);

        let table = replace_table(db.path(), spec, Some(reopened), None)
            .await
            .expect("emptied");
        assert_eq!(table.version(), Some(2));
        assert!(files_in(&table).is_empty());
    }
}
