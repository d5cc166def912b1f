//! Delta Lake storage: one Delta table per spec, under `<db>/<table name>/`.

use std::path::{Path, PathBuf};

use codelake_schema::{Layer, TableSpec};
use deltalake::kernel::StructType;
use deltalake::kernel::engine::arrow_conversion::TryFromArrow;
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, ensure_table_uri};

use crate::error::{DeltaContext, EngineError, Result};
use deltalake::arrow::datatypes::DataType;
use deltalake::parquet::arrow::ArrowSchemaConverter;
use deltalake::parquet::basic::{Compression, Encoding, Type as PhysicalType};
use deltalake::parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterPropertiesBuilder,
};
use deltalake::parquet::schema::types::ColumnPath;

/// Rows per Parquet row group (see [`writer_properties_builder`]).
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

/// The encoded size at which an evidence table's row group closes before it has
/// [`ROW_GROUP_ROWS`] rows (see [`writer_properties_builder`]).
pub const EVIDENCE_ROW_GROUP_BYTES: usize = 512 * 1024;

/// The Parquet writer settings of a table: chunk-level statistics (for strings and integers
/// only where the table is sorted or keyed by them); strings dictionary-encoded (but those marked as mostly
/// distinct, see `codelake_schema::spec::VALUES_KEY`) and Snappy-compressed; hash
/// ids plain, other integers delta-encoded and not compressed. No integer column gets a
/// dictionary: ids and byte offsets are nearly all distinct, so one never pays for them, and
/// trying one costs a hash per value (the writer's default was a fifth of a whole build's CPU).
pub fn writer_properties(spec: &TableSpec) -> WriterProperties {
    writer_properties_builder(spec).build()
}

/// The builder of [`writer_properties`], for tools that vary one setting.
pub fn writer_properties_builder(spec: &TableSpec) -> WriterPropertiesBuilder {
    let mut b = WriterProperties::builder()
        .set_created_by(format!("codelake {}", env!("CARGO_PKG_VERSION")))
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_dictionary_enabled(false)
        // Row groups of 64 Ki rows instead of the default 1 Mi: the writer buffers a whole row
        // group's pages before it copies them out, so smaller groups keep those buffers small and
        // reused; scans still read column chunks of several pages each.
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    // The evidence tables are written side by side while the files are extracted, each holding
    // its open row group (its compressed pages, then the bytes of the whole group) in memory.
    // Their wide rows close a group at about half a megabyte instead (ast_nodes: about 15 Ki
    // rows a group), which keeps fewer pages resident and faulted in. The CPG tables, written
    // after extraction one rule at a time and read most, keep 64 Ki rows: joins over them read
    // larger groups faster. (docs/performance.md has the measurements.)
    if spec.layer == Layer::Evidence {
        b = b.set_max_row_group_bytes(Some(EVIDENCE_ROW_GROUP_BYTES));
    }
    for f in spec.schema.fields() {
        if matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8) {
            let column = ColumnPath::from(f.name().as_str());
            // A column of mostly distinct text (source text, qualified names, docstrings) gets
            // no dictionary: it would hash and keep nearly every value and save nothing
            // (`examples/parquet_write.rs --columns` compares).
            let dictionary = !spec.column_values_distinct(f.name());
            b = b.set_column_dictionary_enabled(column.clone(), dictionary);
            // The min and max of a string column prune nothing unless the rows are sorted by
            // it (kinds, names and literals are spread over every row group), and computing
            // them costs a byte comparison per value: an eighth of the encoding of ast_nodes.
            let name = f.name().as_str();
            if !spec.sort_order.contains(&name) && !spec.keys.contains(&name) {
                b = b.set_column_statistics_enabled(column, EnabledStatistics::None);
            }
        }
    }
    // Integer columns (at any depth): offsets, lines, columns, counts and `file_id` are
    // delta-encoded and not compressed (offsets that grow along the rows, per-file runs and small
    // counts pack into a few bits each). The other ids (`*_id`, and columns the spec marks as
    // hashes, such as `cfg_edges.src`) are stable hashes, random bits
    // that delta encoding cannot shrink: they stay plain, with Snappy for the repeats (a parent
    // or source id shared by neighbouring rows), and uncompressed for a table's sole key, which
    // never repeats. This is both smaller and faster to encode than plain + Snappy everywhere
    // or delta encoding for the ids too (`examples/parquet_write.rs` compares them).
    let sole_key = match spec.keys {
        [key] => Some(*key),
        _ => None,
    };
    if let Ok(descr) = ArrowSchemaConverter::new().convert(&spec.schema) {
        for column in descr.columns() {
            if !matches!(
                column.physical_type(),
                PhysicalType::INT32 | PhysicalType::INT64
            ) {
                continue;
            }
            let path = column.path().clone();
            let name = column.name();
            // Like a string's, an integer's min and max prune nothing unless the rows are sorted
            // or keyed by it: offsets, lines and ordinals restart in every file and a row group
            // holds dozens of files; ids are hashes. Computing them cost 5-20% of a table's
            // encoding.
            let top = path.parts().first().map_or(name, String::as_str);
            if !spec.sort_order.contains(&top) && !spec.keys.contains(&top) {
                b = b.set_column_statistics_enabled(path.clone(), EnabledStatistics::None);
            }
            if path.parts().len() == 1 && spec.column_is_hash(name)
                || path.parts().len() > 1 && name.ends_with("_id")
            {
                b = b.set_column_encoding(path.clone(), Encoding::PLAIN);
                if path.parts().len() == 1 && sole_key == Some(name) {
                    b = b.set_column_compression(path, Compression::UNCOMPRESSED);
                }
            } else {
                b = b
                    .set_column_encoding(path.clone(), Encoding::DELTA_BINARY_PACKED)
                    .set_column_compression(path, Compression::UNCOMPRESSED);
            }
        }
    }
    b
}

/// The directory of a table.
pub fn table_dir(db: &Path, table: &str) -> PathBuf {
    db.join(table)
}

fn spec_struct(spec: &TableSpec) -> Result<StructType> {
    StructType::try_from_arrow(spec.schema.as_ref()).map_err(|e| EngineError::SpecMismatch {
        table: spec.name.to_string(),
        detail: format!("the spec's Arrow schema has no Delta equivalent: {e}"),
    })
}

/// Opens a table, if one exists at its directory.
pub async fn open(db: &Path, spec: &TableSpec) -> Result<Option<DeltaTable>> {
    let dir = table_dir(db, spec.name);
    if !dir.join("_delta_log").is_dir() {
        return Ok(None);
    }
    let url = ensure_table_uri(dir.to_string_lossy()).delta_context(spec.name)?;
    let table = deltalake::open_table(url).await.delta_context(spec.name)?;
    Ok(Some(table))
}

/// Opens the table of a spec for a write that replaces its rows: as [`ensure`] when it exists;
/// when it does not, an uninitialised table that the write creates in its commit (version 0,
/// with the spec's name, description and partitioning, given by the write), instead of an empty
/// version 0 created first and the rows in version 1: no table costs a commit and a snapshot
/// of its own before the extraction can start.
pub async fn ensure_for_write(db: &Path, spec: &TableSpec) -> Result<DeltaTable> {
    let dir = table_dir(db, spec.name);
    if dir.join("_delta_log").is_dir() {
        return ensure(db, spec).await;
    }
    std::fs::create_dir_all(&dir).map_err(|source| EngineError::Io {
        path: dir.clone(),
        source,
    })?;
    // Not loaded: there is no log to read.
    let url = ensure_table_uri(dir.to_string_lossy()).delta_context(spec.name)?;
    deltalake::DeltaTableBuilder::from_url(url)
        .and_then(|b| b.build())
        .delta_context(spec.name)
}

/// Opens the table of a spec, creating it (empty, with the spec's schema) when it does not
/// exist, and replacing its schema in a new version when the spec changed.
pub async fn ensure(db: &Path, spec: &TableSpec) -> Result<DeltaTable> {
    let dir = table_dir(db, spec.name);
    std::fs::create_dir_all(&dir).map_err(|source| EngineError::Io {
        path: dir.clone(),
        source,
    })?;
    let wanted = spec_struct(spec)?;
    let mode = match open(db, spec).await? {
        None => SaveMode::ErrorIfExists,
        Some(table) => {
            if table.snapshot().delta_context(spec.name)?.schema().as_ref() == &wanted {
                return Ok(table);
            }
            SaveMode::Overwrite
        }
    };
    create(db, spec)
        .await?
        .with_save_mode(mode)
        .await
        .delta_context(spec.name)
}

/// The creation of the table of a spec, in its directory, with the spec's schema, name,
/// description and partitioning (the caller sets the save mode and anything it adds).
pub(crate) async fn create(db: &Path, spec: &TableSpec) -> Result<CreateBuilder> {
    let dir = table_dir(db, spec.name);
    let url = ensure_table_uri(dir.to_string_lossy()).delta_context(spec.name)?;
    let table = DeltaTable::try_from_url(url)
        .await
        .delta_context(spec.name)?;
    Ok(table
        .create()
        .with_table_name(spec.name)
        .with_comment(spec.description)
        .with_columns(spec_struct(spec)?.fields().cloned())
        .with_partition_columns(spec.partition_by.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spec's Parquet schema converts, so every integer leaf gets its encoding: hash ids
    /// plain (the sole key uncompressed), other integers delta-encoded; strings keep the
    /// dictionary and Snappy.
    #[test]
    fn integer_leaves_are_encoded_by_what_they_hold() {
        let mut int_leaves = 0;
        for spec in codelake_schema::registry() {
            let descr = ArrowSchemaConverter::new()
                .convert(&spec.schema)
                .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            let props = writer_properties(spec);
            // Evidence tables close row groups by size too; the CPG tables by rows alone.
            assert_eq!(
                props.max_row_group_bytes(),
                (spec.layer == Layer::Evidence).then_some(EVIDENCE_ROW_GROUP_BYTES),
                "{}",
                spec.name
            );
            assert_eq!(props.max_row_group_row_count(), Some(ROW_GROUP_ROWS));
            for column in descr.columns() {
                let path = column.path();
                let name = column.name();
                match column.physical_type() {
                    PhysicalType::INT32 | PhysicalType::INT64 => {
                        int_leaves += 1;
                        let sole_key = spec.keys == [name] && path.parts().len() == 1;
                        let hash = if path.parts().len() == 1 {
                            spec.column_is_hash(name)
                        } else {
                            name.ends_with("_id")
                        };
                        let want = if !hash {
                            (Encoding::DELTA_BINARY_PACKED, Compression::UNCOMPRESSED)
                        } else if sole_key {
                            (Encoding::PLAIN, Compression::UNCOMPRESSED)
                        } else {
                            (Encoding::PLAIN, Compression::SNAPPY)
                        };
                        assert_eq!(
                            (props.encoding(path), props.compression(path)),
                            (Some(want.0), want.1),
                            "{}.{path}",
                            spec.name
                        );
                        let top = path.parts()[0].as_str();
                        let ordered = spec.sort_order.contains(&top) || spec.keys.contains(&top);
                        assert_eq!(
                            props.statistics_enabled(path) == EnabledStatistics::None,
                            !ordered,
                            "{}.{path}",
                            spec.name
                        );
                    }
                    PhysicalType::BYTE_ARRAY if path.parts().len() == 1 => {
                        assert_eq!(
                            props.dictionary_enabled(path),
                            !spec.column_values_distinct(name),
                            "{}.{path}",
                            spec.name
                        );
                        assert_eq!(props.compression(path), Compression::SNAPPY);
                    }
                    _ => assert_eq!(props.compression(path), Compression::SNAPPY),
                }
            }
        }
        assert!(int_leaves > 100, "only {int_leaves} integer leaves");
        // Mostly distinct text goes without a dictionary: source text, names, docstrings.
        for (table, column) in [
            ("call_args", "text"),
            ("defs", "qualname"),
            ("comments", "text"),
        ] {
            let spec = codelake_schema::spec(table).expect("table in the registry");
            let props = writer_properties(spec);
            assert!(
                !props.dictionary_enabled(&ColumnPath::from(column)),
                "{table}.{column}"
            );
        }
        // Nested leaves are covered too: the span struct of ast_nodes.
        let ast = codelake_schema::spec("ast_nodes").map(writer_properties);
        let span_start = ColumnPath::new(vec!["span".into(), "bstart".into()]);
        assert_eq!(
            ast.and_then(|p| p.encoding(&span_start)),
            Some(Encoding::DELTA_BINARY_PACKED)
        );
    }
}
