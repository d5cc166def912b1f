//! Exports of a build's graph in other tools' formats: the call graph as PyCG's JSON (so that
//! PyCG's benchmarks and users compare directly), as JSON with its sites, and as Graphviz DOT.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;

use crate::error::{EngineError, Result};

/// The name of every function, lambda, class and module in PyCG's convention: cpg_nodes'
/// module-qualified name, without `<locals>`, a lambda as `<lambdaN>` (its rank among the lambdas of its
/// enclosing def or module, in source order).
const NAMES: &str = "
WITH lam AS (
  SELECT d.node_id,
         row_number() OVER (PARTITION BY d.file_id, d.parent_def_id ORDER BY d.bstart) AS n
  FROM defs d WHERE d.kind = 'Lambda'
)
SELECT n.node_id AS id, n.kind AS kind,
       replace(CASE WHEN l.n IS NULL THEN n.qualname
                    ELSE regexp_replace(n.qualname, '<lambda>$', '<lambda' || CAST(l.n AS VARCHAR) || '>')
               END, '.<locals>', '') AS name
FROM cpg_nodes n
LEFT JOIN lam l ON l.node_id = n.node_id
WHERE n.kind IN ('FunctionDef', 'AsyncFunctionDef', 'Lambda', 'ClassDef', 'MODULE')
  AND n.qualname IS NOT NULL
";

/// Whether the build at `db` computed the call graph (the `call_graph` rule parameter, as its
/// manifest records it).
pub fn built_with_call_graph(db: &std::path::Path) -> Result<bool> {
    let path = crate::manifest::meta_dir(db).join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| EngineError::Other(format!("reading {}: {e}", path.display())))?;
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| EngineError::Other(format!("reading {}: {e}", path.display())))?;
    // The config is recorded as JSON text.
    let config: serde_json::Value = manifest["config"]
        .as_str()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    Ok(config["params"]["call_graph"] == "true")
}

/// One edge of the call graph with its site.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallSite {
    pub caller: String,
    pub callee: String,
    pub how: String,
    pub path: String,
    pub line: i64,
}

/// The call graph of a build, by name.
#[derive(Debug, Default)]
pub struct CallGraph {
    /// Every function, lambda and module (PyCG's nodes), and every external or builtin called.
    pub nodes: BTreeSet<String>,
    /// Caller to callees.
    pub edges: BTreeMap<String, BTreeSet<String>>,
    /// Every edge with its site, sorted.
    pub sites: Vec<CallSite>,
}

/// A text column as Utf8, whichever string type the session gave it.
fn utf8(column: &ArrayRef) -> Result<StringArray> {
    let c = cast(column, &DataType::Utf8)
        .map_err(|e| EngineError::Other(format!("exporting the call graph: {e}")))?;
    Ok(c.as_string::<i32>().clone())
}

fn pycg_name(qualname: &str, kind: &str) -> String {
    match (kind, qualname.strip_prefix("builtins.")) {
        ("builtin", Some(rest)) => format!("<builtin>.{rest}"),
        _ => qualname.to_string(),
    }
}

/// The call graph of the build registered in `ctx` (its `call_edges`, named in PyCG's
/// convention).
pub async fn callgraph(ctx: &SessionContext) -> Result<CallGraph> {
    let sql = format!(
        "WITH names AS ({NAMES})
         SELECT COALESCE(caller.name, CAST(e.caller_id AS VARCHAR)) AS caller,
                COALESCE(callee.name, e.callee_qualname) AS callee, e.callee_kind, e.how,
                f.path, CAST(n.span.start_line AS BIGINT) AS line
         FROM call_edges e
         JOIN files f ON f.file_id = e.file_id
         JOIN ast_nodes n ON n.node_id = e.site_node_id
         LEFT JOIN names caller ON caller.id = e.caller_id
         LEFT JOIN names callee ON callee.id = e.callee_id
         -- As PyCG: a builtin decorator's application (staticmethod, property) is no edge.
         WHERE NOT (e.how = 'decorator' AND e.callee_kind = 'builtin')"
    );
    let batches = ctx
        .sql(&sql)
        .await
        .map_err(|e| EngineError::Other(format!("exporting the call graph: {e}")))?
        .collect()
        .await
        .map_err(|e| EngineError::Other(format!("exporting the call graph: {e}")))?;
    let mut graph = CallGraph::default();
    for b in &batches {
        let text = |i: usize| utf8(b.column(i));
        let (caller, callee, kind, how, path) = (text(0)?, text(1)?, text(2)?, text(3)?, text(4)?);
        let line = cast(b.column(5), &DataType::Int64)
            .map_err(|e| EngineError::Other(format!("exporting the call graph: {e}")))?;
        let line = line.as_primitive::<Int64Type>();
        for r in 0..b.num_rows() {
            let callee = pycg_name(callee.value(r), kind.value(r));
            graph.nodes.insert(callee.clone());
            graph
                .edges
                .entry(caller.value(r).to_string())
                .or_default()
                .insert(callee.clone());
            graph.sites.push(CallSite {
                caller: caller.value(r).to_string(),
                callee,
                how: how.value(r).to_string(),
                path: path.value(r).to_string(),
                line: if line.is_null(r) { 0 } else { line.value(r) },
            });
        }
    }
    let names = ctx
        .sql(&format!(
            "SELECT n.name FROM ({NAMES}) n WHERE n.kind <> 'ClassDef'"
        ))
        .await
        .map_err(|e| EngineError::Other(format!("exporting the call graph: {e}")))?
        .collect()
        .await
        .map_err(|e| EngineError::Other(format!("exporting the call graph: {e}")))?;
    for b in &names {
        let col = utf8(b.column(0))?;
        for r in 0..b.num_rows() {
            if !col.is_null(r) {
                graph.nodes.insert(col.value(r).to_string());
            }
        }
    }
    for caller in graph.edges.keys() {
        graph.nodes.insert(caller.clone());
    }
    graph.sites.sort();
    Ok(graph)
}

impl CallGraph {
    /// PyCG's JSON: every node with the sorted list of what it calls.
    pub fn to_pycg(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for node in &self.nodes {
            let callees: Vec<&String> = self
                .edges
                .get(node)
                .map(|c| c.iter().collect())
                .unwrap_or_default();
            out.insert(node.clone(), serde_json::json!(callees));
        }
        serde_json::Value::Object(out)
    }

    /// The nodes and every edge with its site (file, line, how).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "nodes": self.nodes,
            "edges": self.sites.iter().map(|s| serde_json::json!({
                "caller": s.caller, "callee": s.callee, "how": s.how,
                "path": s.path, "line": s.line,
            })).collect::<Vec<_>>(),
        })
    }

    /// Graphviz DOT: one node per name, one edge per caller and callee.
    pub fn to_dot(&self) -> String {
        let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        let mut out = String::from("digraph callgraph {\n  rankdir=LR;\n  node [shape=box];\n");
        for node in &self.nodes {
            out.push_str(&format!("  {};\n", q(node)));
        }
        for (caller, callees) in &self.edges {
            for callee in callees {
                out.push_str(&format!("  {} -> {};\n", q(caller), q(callee)));
            }
        }
        out.push_str("}\n");
        out
    }
}
