//! `extract_all` hands batches to the sink strictly in file order, whatever the number of
//! workers and however long each file takes.

use std::sync::Mutex;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use codelake_extract::{EvidenceSink, ExtractConfig, ScanOptions, Table, extract_all, scan};

#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(Table, i64)>>,
}

/// Each row of a batch as (its table, its file id).
fn rows_of(table: Table, batch: &RecordBatch) -> Vec<(Table, i64)> {
    let ids = batch
        .column_by_name("file_id")
        .unwrap()
        .as_primitive::<Int64Type>();
    ids.values().iter().map(|id| (table, *id)).collect()
}

/// The file ids of the `files` rows among `rows`, in order.
fn files_rows(rows: &[(Table, i64)]) -> Vec<i64> {
    rows.iter()
        .filter(|(t, _)| *t == Table::Files)
        .map(|(_, id)| *id)
        .collect()
}

impl EvidenceSink for Recorder {
    fn send(&self, table: Table, batch: RecordBatch) -> Result<(), String> {
        self.seen.lock().unwrap().extend(rows_of(table, &batch));
        Ok(())
    }
}

/// A repository of `n` modules whose sizes vary a lot (`body` repeated 1 to 200 times, by
/// `step`), so workers finish out of order; with its files and their ids in file order.
fn repository(
    n: usize,
    body: &str,
    step: usize,
) -> (
    tempfile::TempDir,
    Vec<codelake_extract::ScannedFile>,
    Vec<i64>,
) {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let text = body.repeat(1 + (i * step) % 200);
        std::fs::write(dir.path().join(format!("m{i:03}.py")), text).unwrap();
    }
    let files = scan(dir.path(), &ScanOptions::default()).unwrap().files;
    let expected = files
        .iter()
        .map(|f| codelake_schema::ids::file_id(&f.rel_path))
        .collect();
    (dir, files, expected)
}

#[test]
fn batches_reach_the_sink_in_file_order_with_many_workers() {
    let (_dir, files, expected) = repository(400, "def f(x):\n    return g(x) + 1  # c\n", 37);
    for jobs in [1, 3, 8] {
        let sink = Recorder::default();
        let config = ExtractConfig {
            jobs,
            ..ExtractConfig::default()
        };
        let stats = extract_all(&files, &config, &sink, &|_| {}).unwrap();
        assert_eq!(stats.files, files.len());
        let seen = sink.seen.into_inner().unwrap();
        assert_eq!(
            files_rows(&seen),
            expected,
            "jobs {jobs}: files out of order"
        );
        // Every table's rows arrive grouped by file, in file order.
        let position = |id: i64| expected.iter().position(|&e| e == id).unwrap();
        for table in [
            Table::AstNodes,
            Table::Calls,
            Table::Comments,
            Table::Scopes,
        ] {
            let ps: Vec<usize> = seen
                .iter()
                .filter(|(t, _)| *t == table)
                .map(|(_, id)| position(*id))
                .collect();
            assert!(!ps.is_empty(), "{}", table.name());
            assert!(
                ps.windows(2).all(|w| w[0] <= w[1]),
                "jobs {jobs}: {} out of order",
                table.name()
            );
        }
    }
}

/// A sink that only queues what it is sent and lets the workers move it on in `help`, one
/// worker at a time (as codelake's Parquet sink encodes its queues).
#[derive(Default)]
struct Queueing {
    queue: Mutex<std::collections::VecDeque<(Table, RecordBatch)>>,
    out: Mutex<Vec<(Table, i64)>>,
    helped: std::sync::atomic::AtomicUsize,
}

impl Queueing {
    fn drain(&self) -> bool {
        let Ok(mut out) = self.out.try_lock() else {
            return false;
        };
        let mut moved = false;
        while let Some((table, batch)) = self.queue.lock().unwrap().pop_front() {
            out.extend(rows_of(table, &batch));
            moved = true;
        }
        moved
    }
}

impl EvidenceSink for Queueing {
    fn send(&self, table: Table, batch: RecordBatch) -> Result<(), String> {
        self.queue.lock().unwrap().push_back((table, batch));
        Ok(())
    }

    fn help(&self) -> Result<bool, String> {
        self.helped
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(self.drain())
    }
}

/// The workers help the sink between their chunks and before they stop, and what the sink
/// moves on in its help keeps the order it was sent in.
#[test]
fn workers_help_the_sink_and_its_order_holds() {
    let (_dir, files, expected) =
        repository(300, "class C:\n    def m(self):\n        return f(1)\n", 53);
    for jobs in [1, 2, 5] {
        let sink = Queueing::default();
        let config = ExtractConfig {
            jobs,
            ..ExtractConfig::default()
        };
        extract_all(&files, &config, &sink, &|_| {}).unwrap();
        assert!(
            sink.helped.load(std::sync::atomic::Ordering::Relaxed) >= files.len() / 32,
            "jobs {jobs}: the workers did not help after their chunks"
        );
        assert!(
            sink.queue.lock().unwrap().is_empty(),
            "jobs {jobs}: the workers stopped before the sink's queue was empty"
        );
        let out = sink.out.into_inner().unwrap();
        assert_eq!(
            files_rows(&out),
            expected,
            "jobs {jobs}: files out of order"
        );
    }
}
