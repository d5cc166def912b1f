//! The record of every build: `<db>/_codelake/manifest.json` for the latest, a row of the
//! `runs` Delta table for each; beside them the DDL (`schema.sql`) and the `information_schema`
//! snapshot the build took.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codelake_schema::registry;
use datafusion::arrow::array::{
    ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use serde_json::{Value, json};

use crate::error::{DeltaContext, EngineError, Result};
use crate::{ddl, storage};

/// The versions recorded in every manifest.
pub fn versions() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("codelake", env!("CARGO_PKG_VERSION")),
        ("datafusion", env!("CODELAKE_DATAFUSION_VERSION")),
        ("deltalake", env!("CODELAKE_DELTALAKE_VERSION")),
        ("arrow", env!("CODELAKE_ARROW_VERSION")),
    ])
}

/// The directory of codelake's own files in a database.
pub fn meta_dir(db: &Path) -> PathBuf {
    db.join("_codelake")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `<db>/_codelake/schema.sql`, the DDL of every table at its place in `db`; returns the
/// DDL fingerprint of each table.
pub fn write_schema_sql(db: &Path) -> Result<BTreeMap<String, String>> {
    let dir = meta_dir(db);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let abs = std::fs::canonicalize(db).map_err(io(db))?;
    let mut text = String::from(
        "-- The DDL of every codelake table, rendered from the spec registry.\n\
         -- Run it in a DataFusion session with the DELTATABLE factory (delta-rs) registered.\n\n",
    );
    let mut fingerprints = BTreeMap::new();
    for spec in registry() {
        let location = storage::table_dir(&abs, spec.name);
        text.push_str(&format!("-- {}\n", spec.description));
        text.push_str(&ddl::ddl(spec, &location.to_string_lossy())?);
        text.push_str(";\n\n");
        fingerprints.insert(spec.name.to_string(), ddl::fingerprint(spec)?);
    }
    let path = dir.join("schema.sql");
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(fingerprints)
}

/// Writes `rules_profile.txt`: each rule of the run, in the order they ran, with its wall time,
/// rows and the physical plan it ran, every operator with its metrics (`EXPLAIN ANALYZE`'s
/// form: `output_rows`, `elapsed_compute`, ...). A build without the rules removes the file, so
/// it never describes an older run.
pub fn write_rules_profile(db: &Path, runs: &[crate::rules::RuleRun]) -> Result<()> {
    let dir = meta_dir(db);
    let path = dir.join("rules_profile.txt");
    if runs.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&path)(e)),
            _ => Ok(()),
        };
    }
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut text = String::from(
        "# The rules of the last build, in the order they ran: wall time (which includes waiting\n         # for the CPU while other rules ran), rows, and the physical plan with its metrics.\n",
    );
    for run in runs {
        text.push_str(&format!(
            "\n## {} ({:?}): at {:.1} ms, {:.1} ms, {} rows\n{}",
            run.name,
            run.kind,
            run.started.as_secs_f64() * 1e3,
            run.elapsed.as_secs_f64() * 1e3,
            run.rows,
            run.profile
        ));
    }
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(())
}

/// Writes the manifest of a run and appends its row to the `runs` table (`runs`, as the build
/// opened it).
pub async fn record(db: &Path, manifest: &Value, runs: deltalake::DeltaTable) -> Result<()> {
    let dir = meta_dir(db);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| EngineError::Other(format!("rendering the manifest: {e}")))?;
    let path = dir.join("manifest.json");
    std::fs::write(&path, &text).map_err(io(&path))?;

    let spec = codelake_schema::spec("runs")
        .ok_or_else(|| EngineError::Other("the registry has no runs table".to_string()))?;
    let s = |k: &str| -> ArrayRef {
        let v = manifest.pointer(k).map_or(String::new(), |v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        Arc::new(StringArray::from(vec![v]))
    };
    let i = |k: &str| -> ArrayRef {
        Arc::new(Int64Array::from(vec![
            manifest.pointer(k).and_then(Value::as_i64).unwrap_or(0),
        ]))
    };
    let started = manifest
        .pointer("/started_at_us")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let columns: Vec<ArrayRef> = vec![
        s("/run_id"),
        Arc::new(TimestampMicrosecondArray::from(vec![started]).with_timezone("UTC")),
        s("/versions/codelake"),
        s("/versions/datafusion"),
        s("/versions/deltalake"),
        s("/versions/arrow"),
        s("/repo"),
        s("/config"),
        s("/info_schema_hash"),
        i("/files"),
        i("/bytes"),
        i("/elapsed_ms"),
        Arc::new(StringArray::from(vec![text])),
    ];
    let batch = RecordBatch::try_new(spec.schema.clone(), columns)
        .map_err(|e| EngineError::Other(format!("the runs row: {e}")))?;
    runs.write(vec![batch])
        .with_save_mode(deltalake::protocol::SaveMode::Append)
        .with_writer_properties(storage::writer_properties(spec))
        .await
        .delta_context(spec.name)?;
    Ok(())
}

/// A new run id and its start time (microseconds since the epoch, and RFC 3339).
pub fn new_run() -> (String, i64, String) {
    let now = chrono::Utc::now();
    (
        uuid::Uuid::new_v4().to_string(),
        now.timestamp_micros(),
        now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )
}

/// JSON for a duration, in milliseconds.
pub fn ms(d: std::time::Duration) -> Value {
    json!((d.as_secs_f64() * 1e6).round() / 1e3)
}

#[cfg(test)]
mod tests {
    use super::versions;

    /// The build script reads the versions from Cargo.lock; a script compiled in another
    /// checkout once looked for the lock there and recorded "unknown" for all three.
    #[test]
    fn versions_come_from_the_lock_file() {
        let v = versions();
        assert!(v["datafusion"].starts_with("55."), "{v:?}");
        assert!(v["deltalake"].starts_with("1.1."), "{v:?}");
        let arrow_major = v["arrow"].split('.').next().unwrap_or_default();
        assert!(arrow_major.parse::<u32>().is_ok(), "{v:?}");
    }
}
