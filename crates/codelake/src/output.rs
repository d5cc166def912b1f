//! Query execution and result formatting for `codelake sql` and `codelake tables`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use codelake_engine::info_schema;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;

/// Output formats, with datafusion-cli's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// Comma-separated values with a header.
    Csv,
    /// Tab-separated values with a header.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

/// Runs every statement of `sql` in order, printing each result.
pub async fn run_sql(ctx: &SessionContext, sql: &str, format: Format) -> Result<()> {
    let statements = DFParser::parse_sql(sql).context("parsing SQL")?;
    if statements.is_empty() {
        anyhow::bail!("no SQL statement given");
    }
    for statement in statements {
        let plan = ctx
            .state()
            .statement_to_plan(statement)
            .await
            .context("planning query")?;
        let df = ctx
            .execute_logical_plan(plan)
            .await
            .context("planning query")?;
        let batches = df.collect().await.context("running query")?;
        print_batches(&batches, format)?;
    }
    Ok(())
}

/// Casts view types (which the Parquet reader returns) to their plain forms, which every
/// writer supports.
fn plain(batch: &RecordBatch) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        let to = match f.data_type() {
            DataType::Utf8View => Some(DataType::Utf8),
            DataType::BinaryView => Some(DataType::Binary),
            _ => None,
        };
        match to {
            Some(t) => {
                columns.push(cast(c, &t)?);
                fields.push(Field::new(f.name(), t, f.is_nullable()));
            }
            None => {
                columns.push(c.clone());
                fields.push(f.as_ref().clone());
            }
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

pub fn print_batches(batches: &[RecordBatch], format: Format) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let batches: Vec<RecordBatch> = batches.iter().map(plain).collect::<Result<_>>()?;
    match format {
        Format::Table => {
            writeln!(out, "{}", pretty_format_batches(&batches)?)?;
        }
        Format::Csv | Format::Tsv => {
            let delimiter = if format == Format::Csv { b',' } else { b'\t' };
            let mut w = arrow_csv::WriterBuilder::new()
                .with_header(true)
                .with_delimiter(delimiter)
                .build(&mut out);
            for b in &batches {
                w.write(b)?;
            }
        }
        Format::Json => {
            if batches.iter().all(|b| b.num_rows() == 0) {
                writeln!(out, "[]")?;
            } else {
                let mut w = arrow_json::ArrayWriter::new(&mut out);
                for b in &batches {
                    w.write(b)?;
                }
                w.finish()?;
                drop(w);
                writeln!(out)?;
            }
        }
        Format::Ndjson => {
            let mut w = arrow_json::LineDelimitedWriter::new(&mut out);
            for b in &batches {
                w.write(b)?;
            }
            w.finish()?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The interactive prompt: statements end with `;`, `\q` quits, `\d` lists the tables.
pub async fn repl(ctx: &SessionContext, format: Format, db: &Path) -> Result<()> {
    let mut editor = rustyline::DefaultEditor::new().context("starting the prompt")?;
    let history = std::env::var_os("HOME").map(|h| Path::new(&h).join(".codelake_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!(
        "codelake SQL over {} — end statements with ';', \\d lists tables, \\q quits",
        db.display()
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "codelake> "
        } else {
            "      -> "
        };
        let line = match editor.readline(prompt) {
            Ok(l) => l,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading the prompt"),
        };
        let trimmed = line.trim();
        // Meta-commands work on any line, as in psql; `\q` also drops an unfinished statement.
        match trimmed {
            "" if buffer.is_empty() => continue,
            "\\q" => break,
            "quit" | "exit" if buffer.is_empty() => break,
            "\\d" => {
                let _ = editor.add_history_entry(trimmed);
                if let Err(e) = print_tables(ctx).await {
                    eprintln!("error: {e:#}");
                }
                continue;
            }
            _ => {}
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if trimmed.ends_with(';') {
            let sql = std::mem::take(&mut buffer);
            let _ = editor.add_history_entry(sql.trim());
            if let Err(e) = run_sql(ctx, &sql, format).await {
                eprintln!("error: {e:#}");
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

/// Prints every table with its row count, description and columns (types as
/// `information_schema` reports them, descriptions from the spec registry).
pub async fn print_tables(ctx: &SessionContext) -> Result<()> {
    let columns = info_schema::columns(ctx).await?;
    for spec in codelake_schema::registry() {
        let rows = ctx.table(spec.name).await?.count().await?;
        println!("{} ({rows} rows)\n  {}", spec.name, spec.description);
        for c in columns.iter().filter(|c| c.table == spec.name) {
            println!(
                "    {:<14} {:<10} {:<9} {}",
                c.column,
                short_type(&info_schema::normalise_type_name(&c.data_type)),
                if c.nullable { "null" } else { "not null" },
                spec.column_description(&c.column).unwrap_or("")
            );
        }
        println!();
    }
    Ok(())
}

fn short_type(t: &str) -> String {
    if t.starts_with("Struct(") {
        "Struct".to_string()
    } else {
        t.to_string()
    }
}
