//! `codelake diag`: integrity checks of a database, each an SQL query counting the rows that
//! break an invariant (zero means the check passes), plus the validation of every table against
//! its spec through `information_schema`.

use codelake_schema::{EDGE_KINDS, registry};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;

use crate::error::{DfContext, Result};
use crate::info_schema;

/// One check and what it found.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    /// The query (empty for the information_schema validation).
    pub sql: String,
    /// Rows that break the invariant.
    pub failures: i64,
    pub detail: Option<String>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.failures == 0
    }
}

/// The checks' queries.
pub fn queries() -> Vec<(String, String)> {
    let mut q = Vec::new();
    for end in ["src_id", "dst_id"] {
        q.push((
            format!("every edge's {end} is a node"),
            format!(
                "SELECT count(*) FROM cpg_edges e LEFT JOIN cpg_nodes n ON n.node_id = e.{end} \
                 WHERE n.node_id IS NULL"
            ),
        ));
    }
    let kinds: Vec<String> = EDGE_KINDS.iter().map(|k| format!("'{k}'")).collect();
    q.push((
        "edge kinds and confidences are valid".to_string(),
        format!(
            "SELECT count(*) FROM cpg_edges e WHERE e.kind NOT IN ({}) \
             OR e.confidence <= 0 OR e.confidence > 1",
            kinds.join(", ")
        ),
    ));
    for spec in registry() {
        if spec.keys.is_empty() {
            continue;
        }
        let keys = spec.keys.join(", ");
        q.push((
            format!("{} is unique on ({keys})", spec.name),
            format!(
                "SELECT count(*) FROM (SELECT {keys} FROM {} GROUP BY {keys} HAVING count(*) > 1)",
                spec.name
            ),
        ));
    }
    // The decoded text's length of each file, from its line index.
    let text_len = "SELECT l.file_id, max(l.bend + octet_length(l.newline)) AS len \
                    FROM file_lines l GROUP BY l.file_id";
    for spec in registry() {
        let has = |c: &str| {
            spec.schema
                .field_with_name(c)
                .is_ok_and(|f| f.data_type() == &DataType::Int64)
        };
        if !(has("file_id") && has("bstart") && has("bend")) || spec.name == "extract_errors" {
            continue;
        }
        q.push((
            format!("{} spans lie within their files", spec.name),
            format!(
                "SELECT count(*) FROM {t} x LEFT JOIN ({text_len}) f ON f.file_id = x.file_id \
                 WHERE x.bstart IS NOT NULL AND (x.bstart < 0 OR x.bend < x.bstart \
                 OR x.bend > COALESCE(f.len, 0))",
                t = spec.name
            ),
        ));
    }
    q
}

/// Runs every check.
pub async fn run(ctx: &SessionContext) -> Result<Vec<Check>> {
    let mut out = Vec::new();
    let validation = info_schema::validate(ctx, registry()).await;
    out.push(Check {
        name: "information_schema equals the spec registry".to_string(),
        sql: String::new(),
        failures: i64::from(validation.is_err()),
        detail: validation.err().map(|e| e.to_string()),
    });
    for (name, sql) in queries() {
        let batches = ctx
            .sql(&sql)
            .await
            .df_context(|| format!("check `{name}`"))?
            .collect()
            .await
            .df_context(|| format!("check `{name}`"))?;
        let failures = batches
            .first()
            .filter(|b| b.num_rows() > 0)
            .and_then(|b| {
                let c = datafusion::arrow::compute::cast(b.column(0), &DataType::Int64).ok()?;
                let c = c.as_primitive::<Int64Type>();
                (!c.is_null(0)).then(|| c.value(0))
            })
            .unwrap_or(0);
        out.push(Check {
            name,
            sql,
            failures,
            detail: None,
        });
    }
    Ok(out)
}
