//! Every `information_schema` query of codelake lives here.
//!
//! `information_schema` is how the engine knows what exists: after registering the tables, we
//! read their columns back from `information_schema.columns` and compare them with the specs.

use std::collections::BTreeMap;

use codelake_schema::TableSpec;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;

use crate::error::{DfContext, EngineError, Result};

/// A column as `information_schema.columns` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub table: String,
    pub column: String,
    pub ordinal: u64,
    pub data_type: String,
    pub nullable: bool,
}

/// The columns of the registered tables of the default schema.
pub async fn columns(ctx: &SessionContext) -> Result<Vec<ColumnInfo>> {
    let sql = "SELECT table_name, column_name, ordinal_position, data_type, is_nullable \
               FROM information_schema.columns \
               WHERE table_schema = 'public' \
               ORDER BY table_name, ordinal_position";
    let batches = ctx
        .sql(sql)
        .await
        .df_context(|| "querying information_schema.columns".to_string())?
        .collect()
        .await
        .df_context(|| "querying information_schema.columns".to_string())?;
    let mut out = Vec::new();
    for b in &batches {
        let cast = |i: usize| datafusion::arrow::compute::cast(b.column(i), &DataType::Utf8);
        let cols: Vec<_> = (0..5)
            .map(cast)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| EngineError::Other(format!("reading information_schema.columns: {e}")))?;
        let s = |i: usize, r: usize| cols[i].as_string::<i32>().value(r).to_string();
        for r in 0..b.num_rows() {
            if cols[2].is_null(r) {
                continue;
            }
            out.push(ColumnInfo {
                table: s(0, r),
                column: s(1, r),
                ordinal: s(2, r).parse().unwrap_or(0),
                data_type: s(3, r),
                nullable: s(4, r) == "YES",
            });
        }
    }
    Ok(out)
}

/// The type name information_schema reports for a type, with string and binary view types
/// read as their plain forms (the Parquet reader returns views; the data is the same).
pub fn normalise_type_name(name: &str) -> String {
    name.replace("Utf8View", "Utf8")
        .replace("BinaryView", "Binary")
}

/// Checks that every spec's table is registered with exactly the spec's columns, in order,
/// with its types and nullability. The first mismatch is an error naming table and column.
pub async fn validate(ctx: &SessionContext, specs: &[TableSpec]) -> Result<()> {
    let cols = columns(ctx).await?;
    let mut by_table: BTreeMap<&str, Vec<&ColumnInfo>> = BTreeMap::new();
    for c in &cols {
        by_table.entry(c.table.as_str()).or_default().push(c);
    }
    for spec in specs {
        let mismatch = |detail: String| EngineError::SpecMismatch {
            table: spec.name.to_string(),
            detail,
        };
        let Some(actual) = by_table.get(spec.name) else {
            return Err(mismatch("not registered in information_schema".to_string()));
        };
        for (i, field) in spec.schema.fields().iter().enumerate() {
            let Some(col) = actual.get(i) else {
                return Err(mismatch(format!("column {} is missing", field.name())));
            };
            if col.column != *field.name() {
                return Err(mismatch(format!(
                    "column {} is {} in information_schema (position {})",
                    field.name(),
                    col.column,
                    i + 1
                )));
            }
            let want = normalise_type_name(&field.data_type().to_string());
            let have = normalise_type_name(&col.data_type);
            if want != have {
                return Err(mismatch(format!(
                    "column {} has type {have}, the spec says {want}",
                    field.name()
                )));
            }
            if col.nullable != field.is_nullable() {
                return Err(mismatch(format!(
                    "column {} is {}nullable, the spec says {}nullable",
                    field.name(),
                    if col.nullable { "" } else { "not " },
                    if field.is_nullable() { "" } else { "not " }
                )));
            }
        }
        if let Some(extra) = actual.get(spec.schema.fields().len()) {
            return Err(mismatch(format!(
                "column {} is not in the spec",
                extra.column
            )));
        }
    }
    Ok(())
}

/// The views of `information_schema` a build snapshots, with the columns they are ordered by
/// first; the other columns follow, so that the order is total (a function has one row per
/// signature, all with the same names) and the snapshot deterministic.
pub const SNAPSHOT_VIEWS: &[(&str, &[&str])] = &[
    ("tables", &["table_catalog", "table_schema", "table_name"]),
    (
        "columns",
        &[
            "table_catalog",
            "table_schema",
            "table_name",
            "ordinal_position",
        ],
    ),
    ("routines", &["routine_name", "specific_name"]),
    ("parameters", &["specific_name", "rid", "ordinal_position"]),
    ("df_settings", &["name"]),
];

/// Snapshots `information_schema` as JSON lines, one file per view, into `dir`; returns the
/// hash over all of them (in view order).
pub async fn snapshot(ctx: &SessionContext, dir: &std::path::Path) -> Result<String> {
    std::fs::create_dir_all(dir).map_err(|source| EngineError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    // The views are read side by side, one task each (routines and parameters, which list
    // every function of the session, take most of the time), then hashed and written in view
    // order.
    let tasks: Vec<_> = SNAPSHOT_VIEWS
        .iter()
        .map(|&(view, keys)| {
            let ctx = ctx.clone();
            tokio::spawn(async move { render_view(&ctx, view, keys).await })
        })
        .collect();
    let mut rendered = Vec::with_capacity(tasks.len());
    for task in tasks {
        rendered.push(
            task.await
                .map_err(|e| EngineError::Other(format!("reading information_schema: {e}")))??,
        );
    }
    let mut hasher = blake3::Hasher::new();
    for (view, buf) in rendered {
        hasher.update(view.as_bytes());
        hasher.update(&buf);
        let path = dir.join(format!("{view}.jsonl"));
        std::fs::write(&path, &buf).map_err(|source| EngineError::Io { path, source })?;
    }
    Ok(hasher.finalize().to_hex()[..16].to_string())
}

/// One view of `information_schema` as JSON lines, ordered by `keys` and then by its other
/// columns.
async fn render_view(
    ctx: &SessionContext,
    view: &'static str,
    keys: &'static [&'static str],
) -> Result<(&'static str, Vec<u8>)> {
    let table = ctx
        .table(format!("information_schema.{view}"))
        .await
        .df_context(|| format!("reading information_schema.{view}"))?;
    let rest = table
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .filter(|name| !keys.contains(name))
        .collect::<Vec<_>>();
    let order = keys
        .iter()
        .copied()
        .chain(rest)
        .map(|name| datafusion::prelude::ident(name).sort(true, true))
        .collect();
    let batches = table
        .sort(order)
        .df_context(|| format!("ordering information_schema.{view}"))?
        .collect()
        .await
        .df_context(|| format!("reading information_schema.{view}"))?;
    let mut buf = Vec::new();
    {
        let mut w = datafusion::arrow::json::LineDelimitedWriter::new(&mut buf);
        for b in &batches {
            w.write(b).map_err(|e| {
                EngineError::Other(format!("writing information_schema.{view}: {e}"))
            })?;
        }
        w.finish()
            .map_err(|e| EngineError::Other(format!("writing information_schema.{view}: {e}")))?;
    }
    Ok((view, buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sessions list their functions in different orders (hash maps); their snapshots
    /// must not differ.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn snapshots_of_two_sessions_are_identical() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut hashes = Vec::new();
        let mut files = Vec::new();
        for i in 0..2 {
            let out = dir.path().join(i.to_string());
            let ctx = crate::session::new_session_context();
            hashes.push(snapshot(&ctx, &out).await.expect("snapshot"));
            let routines = std::fs::read_to_string(out.join("routines.jsonl")).expect("routines");
            assert!(routines.lines().count() > 100, "{routines}");
            files.push(routines);
        }
        assert_eq!(files[0], files[1]);
        assert_eq!(hashes[0], hashes[1]);
    }
}
