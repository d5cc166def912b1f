//! Times the Parquet encoding of one table of a build, apart from everything else: reads the
//! table's files back and writes them to memory with the writer settings codelake uses
//! (`storage::writer_properties`) and with variants of them.
//!
//! `cargo run --release -p codelake-engine --example parquet_write -- DB TABLE [RUNS] [--columns]`
//!
//! With `--columns` it times each column alone under codelake's settings instead (where a
//! table's encoding time goes), the same column uncompressed (what its compression buys) and
//! without a dictionary (what the dictionary of a string column buys).
use std::time::Instant;

use deltalake::arrow::array::RecordBatch;
use deltalake::parquet::arrow::ArrowWriter;
use deltalake::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use deltalake::parquet::basic::Compression;
use deltalake::parquet::file::properties::{EnabledStatistics, WriterProperties};
use deltalake::parquet::schema::types::ColumnPath;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let per_column = args.iter().any(|a| a == "--columns");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--columns").collect();
    let [db, table, rest @ ..] = args.as_slice() else {
        eprintln!("usage: parquet_write DB TABLE [RUNS] [--columns]");
        std::process::exit(2);
    };
    let runs: usize = rest.first().map_or(Ok(3), |r| r.parse())?;
    let spec = codelake_schema::spec(table).ok_or("no such table")?;
    let mut batches: Vec<RecordBatch> = Vec::new();
    for entry in std::fs::read_dir(std::path::Path::new(db).join(table))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "parquet") {
            let reader =
                ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path)?)?.build()?;
            for b in reader {
                let b = b?;
                // Back to the spec's types (the reader may give views or dictionaries).
                let cols = spec
                    .schema
                    .fields()
                    .iter()
                    .map(|f| {
                        let c = b.column_by_name(f.name()).ok_or("missing column")?;
                        Ok(deltalake::arrow::compute::cast(c, f.data_type())?)
                    })
                    .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
                batches.push(RecordBatch::try_new(spec.schema.clone(), cols)?);
            }
        }
    }
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    // Re-chunk into batches of the size the build hands the writer.
    let all = deltalake::arrow::compute::concat_batches(&spec.schema, &batches)?;
    let batches: Vec<RecordBatch> = (0..rows)
        .step_by(16 * 1024)
        .map(|o| all.slice(o, (16 * 1024).min(rows - o)))
        .collect();
    println!("{table}: {rows} rows");
    if per_column {
        let props = codelake_engine::storage::writer_properties(spec);
        // The same column uncompressed: what its compression buys, and costs.
        let plain = rebuild(spec, |b| b.set_compression(Compression::UNCOMPRESSED));
        // And without a dictionary (strings only; other columns have none).
        let no_dict = rebuild(spec, |mut b| {
            for f in spec.schema.fields() {
                b = b.set_column_dictionary_enabled(ColumnPath::from(f.name().as_str()), false);
            }
            b
        });
        for (i, field) in spec.schema.fields().iter().enumerate() {
            let schema = std::sync::Arc::new(deltalake::arrow::datatypes::Schema::new(vec![
                field.as_ref().clone(),
            ]));
            let mut times = [Vec::new(), Vec::new(), Vec::new()];
            let mut sizes = [0, 0, 0];
            for _ in 0..runs {
                for (k, p) in [&props, &plain, &no_dict].into_iter().enumerate() {
                    let t = Instant::now();
                    let mut w = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(p.clone()))?;
                    for b in &batches {
                        w.write(&RecordBatch::try_new(
                            schema.clone(),
                            vec![b.column(i).clone()],
                        )?)?;
                    }
                    sizes[k] = w.into_inner()?.len();
                    times[k].push(t.elapsed().as_secs_f64());
                }
            }
            for t in &mut times {
                t.sort_by(f64::total_cmp);
            }
            println!(
                "{:>24}: {:.4} s (median of {runs}), {:.2} MB; uncompressed {:.4} s, {:.2} MB; \
                 no dictionary {:.4} s, {:.2} MB",
                field.name(),
                times[0][runs / 2],
                sizes[0] as f64 / 1e6,
                times[1][runs / 2],
                sizes[1] as f64 / 1e6,
                times[2][runs / 2],
                sizes[2] as f64 / 1e6
            );
        }
        return Ok(());
    }
    let base = codelake_engine::storage::writer_properties(spec);
    let variants: Vec<(&str, WriterProperties)> = vec![
        ("codelake", base.clone()),
        (
            "uncompressed",
            rebuild(spec, |b| b.set_compression(Compression::UNCOMPRESSED)),
        ),
        (
            "lz4_raw",
            rebuild(spec, |b| b.set_compression(Compression::LZ4_RAW)),
        ),
        (
            "no statistics",
            rebuild(spec, |b| b.set_statistics_enabled(EnabledStatistics::None)),
        ),
        (
            "lz4, no statistics",
            rebuild(spec, |b| {
                b.set_compression(Compression::LZ4_RAW)
                    .set_statistics_enabled(EnabledStatistics::None)
            }),
        ),
        (
            "lz4, no string stats",
            rebuild(spec, |mut b| {
                b = b.set_compression(Compression::LZ4_RAW);
                for f in spec.schema.fields() {
                    if f.data_type() == &deltalake::arrow::datatypes::DataType::Utf8 {
                        b = b.set_column_statistics_enabled(
                            ColumnPath::from(f.name().as_str()),
                            EnabledStatistics::None,
                        );
                    }
                }
                b
            }),
        ),
        ("ints delta, uncompressed", rebuild(spec, |b| ints(spec, b))),
        (
            // Per column: the settings enable dictionaries column by column, which a
            // table-wide `set_dictionary_enabled(false)` does not override.
            "no dictionary",
            rebuild(spec, |mut b| {
                for f in spec.schema.fields() {
                    b = b.set_column_dictionary_enabled(ColumnPath::from(f.name().as_str()), false);
                }
                b
            }),
        ),
        (
            "1Mi row groups",
            rebuild(spec, |b| b.set_max_row_group_row_count(Some(1024 * 1024))),
        ),
    ];
    // Runs interleave the variants, so a drift in the machine's speed touches them all alike.
    let mut times = vec![Vec::new(); variants.len()];
    let mut sizes = vec![0; variants.len()];
    for _ in 0..runs {
        for (i, (_, props)) in variants.iter().enumerate() {
            let t = Instant::now();
            let mut w = ArrowWriter::try_new(Vec::new(), spec.schema.clone(), Some(props.clone()))?;
            for b in &batches {
                w.write(b)?;
            }
            sizes[i] = w.into_inner()?.len();
            times[i].push(t.elapsed().as_secs_f64());
        }
    }
    for (i, (name, _)) in variants.iter().enumerate() {
        times[i].sort_by(f64::total_cmp);
        println!(
            "{name:>24}: {:.3} s (median of {runs}), {:.1} MB",
            times[i][runs / 2],
            sizes[i] as f64 / 1e6
        );
    }
    Ok(())
}

/// codelake's settings for `spec`, with one change applied after them.
fn rebuild(
    spec: &codelake_schema::TableSpec,
    change: impl Fn(
        deltalake::parquet::file::properties::WriterPropertiesBuilder,
    ) -> deltalake::parquet::file::properties::WriterPropertiesBuilder,
) -> WriterProperties {
    change(codelake_engine::storage::writer_properties_builder(spec)).build()
}

/// Every integer leaf DELTA_BINARY_PACKED and uncompressed, hash ids included (the settings
/// keep hash ids plain).
fn ints(
    spec: &codelake_schema::TableSpec,
    mut b: deltalake::parquet::file::properties::WriterPropertiesBuilder,
) -> deltalake::parquet::file::properties::WriterPropertiesBuilder {
    use deltalake::parquet::basic::{Encoding, Type};
    let descr = deltalake::parquet::arrow::ArrowSchemaConverter::new()
        .convert(&spec.schema)
        .expect("schema converts");
    for c in descr.columns() {
        if matches!(c.physical_type(), Type::INT32 | Type::INT64) {
            b = b
                .set_column_encoding(c.path().clone(), Encoding::DELTA_BINARY_PACKED)
                .set_column_compression(c.path().clone(), Compression::UNCOMPRESSED);
        }
    }
    b
}
