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

impl EvidenceSink for Recorder {
    fn send(&self, table: Table, batch: RecordBatch) -> Result<(), String> {
        let ids = batch
            .column_by_name("file_id")
            .unwrap()
            .as_primitive::<Int64Type>();
        let mut seen = self.seen.lock().unwrap();
        for id in ids.values() {
            seen.push((table, *id));
        }
        Ok(())
    }
}

#[test]
fn batches_reach_the_sink_in_file_order_with_many_workers() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..400 {
        // Sizes vary a lot, so workers finish out of order.
        let body = "def f(x):\n    return g(x) + 1  # c\n".repeat(1 + (i * 37) % 200);
        std::fs::write(dir.path().join(format!("m{i:03}.py")), body).unwrap();
    }
    let files = scan(dir.path(), &ScanOptions::default()).unwrap().files;
    let expected: Vec<i64> = files
        .iter()
        .map(|f| codelake_schema::ids::file_id(&f.rel_path))
        .collect();
    for jobs in [1, 3, 8] {
        let sink = Recorder::default();
        let config = ExtractConfig {
            jobs,
            ..ExtractConfig::default()
        };
        let stats = extract_all(&files, &config, &sink, &|_| {}).unwrap();
        assert_eq!(stats.files, files.len());
        let seen = sink.seen.into_inner().unwrap();
        let order: Vec<i64> = seen
            .iter()
            .filter(|(t, _)| *t == Table::Files)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(order, expected, "jobs {jobs}: files out of order");
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
            let ids = batch
                .column_by_name("file_id")
                .unwrap()
                .as_primitive::<Int64Type>();
            out.extend(ids.values().iter().map(|id| (table, *id)));
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
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        let body = "class C:\n    def m(self):\n        return f(1)\n".repeat(1 + (i * 53) % 150);
        std::fs::write(dir.path().join(format!("p{i:03}.py")), body).unwrap();
    }
    let files = scan(dir.path(), &ScanOptions::default()).unwrap().files;
    let expected: Vec<i64> = files
        .iter()
        .map(|f| codelake_schema::ids::file_id(&f.rel_path))
        .collect();
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
        let order: Vec<i64> = out
            .iter()
            .filter(|(t, _)| *t == Table::Files)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(order, expected, "jobs {jobs}: files out of order");
    }
}
