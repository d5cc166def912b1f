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
    // cpg_props_map is built from the evidence rows directly, not by grouping cpg_props: every
    // map entry must be a cpg_props row with the same value as text, and every row an entry.
    q.push((
        "cpg_props_map holds exactly cpg_props".to_string(),
        "SELECT count(*) \
         FROM (SELECT m.entity_id, unnest(map_keys(m.props)) AS key, \
                      unnest(map_values(m.props)) AS value FROM cpg_props_map m) x \
         FULL JOIN (SELECT p.entity_id, p.key, \
                           COALESCE(p.value_str, CAST(p.value_int AS VARCHAR), \
                                    CAST(p.value_float AS VARCHAR), \
                                    CAST(p.value_bool AS VARCHAR)) AS value \
                    FROM cpg_props p) y \
           ON x.entity_id = y.entity_id AND x.key = y.key \
         WHERE x.entity_id IS NULL OR y.entity_id IS NULL OR x.value IS DISTINCT FROM y.value"
            .to_string(),
    ));
    // The adjacency lists hold every edge of cpg_edges once, under its source, and no null
    // element (the element type is nullable only to spare delta-rs' per-row check).
    q.push((
        "cpg_edges_by_src lists exactly cpg_edges".to_string(),
        "SELECT count(*) \
         FROM (SELECT l.src_id, get_field(l.e, 'kind') AS kind, \
                      get_field(l.e, 'dst_id') AS dst_id, \
                      get_field(l.e, 'confidence') AS confidence, count(*) AS n \
               FROM (SELECT s.src_id, unnest(s.edges) AS e FROM cpg_edges_by_src s) l \
               GROUP BY 1, 2, 3, 4) x \
         FULL JOIN (SELECT e.src_id, e.kind, e.dst_id, e.confidence, count(*) AS n \
                    FROM cpg_edges e GROUP BY 1, 2, 3, 4) y \
           ON x.src_id = y.src_id AND x.kind = y.kind AND x.dst_id = y.dst_id \
          AND x.confidence = y.confidence \
         WHERE x.n IS NULL OR y.n IS NULL OR x.n <> y.n"
            .to_string(),
    ));
    // cpg_nodes finds each file's Module as its AST node without a parent.
    q.push((
        "the Modules are the AST nodes without a parent".to_string(),
        "SELECT count(*) FROM ast_nodes n WHERE (n.parent_id IS NULL) <> (n.kind = 'Module')"
            .to_string(),
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
        if spec.schema.field_with_name("span").is_ok() {
            q.push((
                format!("{} offsets agree with their span structs", spec.name),
                format!(
                    "SELECT count(*) FROM {t} x WHERE x.span IS NOT NULL \
                     AND (get_field(x.span, 'bstart') <> x.bstart \
                          OR get_field(x.span, 'bend') <> x.bend)",
                    t = spec.name
                ),
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the named check over tables made by `setup` (SQL statements).
    async fn failures(check: &str, setup: &[&str]) -> i64 {
        let ctx = SessionContext::new();
        for sql in setup {
            ctx.sql(sql).await.unwrap().collect().await.unwrap();
        }
        let (_, sql) = queries().into_iter().find(|(n, _)| n == check).unwrap();
        let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let c = datafusion::arrow::compute::cast(batches[0].column(0), &DataType::Int64).unwrap();
        c.as_primitive::<Int64Type>().value(0)
    }

    const PROPS: &str = "CREATE TABLE cpg_props AS SELECT * FROM (VALUES \
        (1, 'ctx', 'str', 'Load', CAST(NULL AS BIGINT), CAST(NULL AS DOUBLE), CAST(NULL AS BOOLEAN)), \
        (2, 'arg_count', 'int', NULL, 3, NULL, NULL), \
        (2, 'callee', 'str', 'f', NULL, NULL, NULL), \
        (3, 'is_stub', 'bool', NULL, NULL, NULL, false)) \
        AS t(entity_id, key, value_type, value_str, value_int, value_float, value_bool)";

    #[tokio::test]
    async fn props_map_check_finds_missing_extra_and_changed_entries() {
        let check = "cpg_props_map holds exactly cpg_props";
        let good = "CREATE TABLE cpg_props_map AS \
            SELECT 1 AS entity_id, map(['ctx'], ['Load']) AS props UNION ALL \
            SELECT 2, map(['arg_count', 'callee'], ['3', 'f']) UNION ALL \
            SELECT 3, map(['is_stub'], ['false'])";
        assert_eq!(failures(check, &[PROPS, good]).await, 0);
        // Entity 2's arg_count changed, entity 3 missing, entity 4 not in cpg_props.
        let bad = "CREATE TABLE cpg_props_map AS \
            SELECT 1 AS entity_id, map(['ctx'], ['Load']) AS props UNION ALL \
            SELECT 2, map(['arg_count', 'callee'], ['4', 'f']) UNION ALL \
            SELECT 4, map(['is_stub'], ['true'])";
        assert_eq!(failures(check, &[PROPS, bad]).await, 3);
    }

    const EDGES: &str = "CREATE TABLE cpg_edges AS SELECT * FROM (VALUES \
        (10, 'AST', 11, 1.0), (10, 'AST', 12, 1.0), (11, 'CALLS', 20, 0.5)) \
        AS t(src_id, kind, dst_id, confidence)";

    fn edge(kind: &str, dst: i64, confidence: f64) -> String {
        format!("named_struct('kind', '{kind}', 'dst_id', {dst}, 'confidence', {confidence:?})")
    }

    #[tokio::test]
    async fn edges_by_src_check_finds_missing_extra_duplicated_and_null_edges() {
        let check = "cpg_edges_by_src lists exactly cpg_edges";
        let good = format!(
            "CREATE TABLE cpg_edges_by_src AS \
             SELECT 10 AS src_id, [{}, {}] AS edges UNION ALL SELECT 11, [{}]",
            edge("AST", 11, 1.0),
            edge("AST", 12, 1.0),
            edge("CALLS", 20, 0.5)
        );
        assert_eq!(failures(check, &[EDGES, &good]).await, 0);
        // 10 -> 12 listed twice; 11's edge under the wrong confidence (so one missing, one
        // extra); a null element under 12.
        let bad = format!(
            "CREATE TABLE cpg_edges_by_src AS \
             SELECT 10 AS src_id, [{}, {}, {}] AS edges UNION ALL SELECT 11, [{}] \
             UNION ALL SELECT 12, [{}, NULL]",
            edge("AST", 11, 1.0),
            edge("AST", 12, 1.0),
            edge("AST", 12, 1.0),
            edge("CALLS", 20, 0.25),
            edge("AST", 13, 1.0)
        );
        assert_eq!(failures(check, &[EDGES, &bad]).await, 5);
    }
}
