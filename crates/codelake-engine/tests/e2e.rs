//! End to end: build the bundled example repository into a temporary database and check the
//! tables' contents with SQL through the engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codelake_engine::build::{BuildOptions, NoProgress};
use codelake_engine::{build, info_schema, open_session};
use codelake_extract::{ExtractConfig, ScanOptions};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;

/// The package's directory, as `cargo test` gives it to the running test (not as it was when
/// the test was compiled: a target directory shared by two checkouts may hold a test binary
/// built in the other one).
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn example() -> PathBuf {
    manifest_dir().join("../../examples/shop")
}

fn options(db: &Path, jobs: usize) -> BuildOptions {
    BuildOptions {
        repo: example(),
        db: db.to_path_buf(),
        scan: ScanOptions::default(),
        extract: ExtractConfig {
            jobs,
            ..ExtractConfig::default()
        },
        params: with_call_graph(),
        relations: true,
    }
}

/// The rule parameters with the call graph on (off by default until it is bounded), so that
/// every output of the example has rows.
fn with_call_graph() -> codelake_engine::rules::RuleParams {
    let mut params = codelake_engine::rules::RuleParams::default();
    params.set("call_graph=true").unwrap();
    params
}

async fn query(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    ctx.sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap()
}

/// The rows of a query as strings, one `|`-joined string per row.
async fn rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in query(ctx, sql).await {
        let cols: Vec<_> = b
            .columns()
            .iter()
            .map(|c| cast(c, &DataType::Utf8).unwrap())
            .collect();
        for r in 0..b.num_rows() {
            let vals: Vec<String> = cols
                .iter()
                .map(|c| {
                    let s = c.as_string::<i32>();
                    if s.is_null(r) {
                        "NULL".to_string()
                    } else {
                        s.value(r).to_string()
                    }
                })
                .collect();
            out.push(vals.join("|"));
        }
    }
    out
}

/// Asserts that a `SELECT count(*) ...` query counts nothing.
async fn assert_none(ctx: &SessionContext, sql: &str) {
    assert_eq!(one(ctx, sql).await, "0", "{sql}");
}

async fn one(ctx: &SessionContext, sql: &str) -> String {
    let r = rows(ctx, sql).await;
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    r[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_repository_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let report = build(&options(&db, 2), Arc::new(NoProgress)).await.unwrap();
    assert_eq!(report.stats.files, 11);
    assert_eq!(report.rows["files"], 11);
    let ctx = open_session(&db).await.unwrap();

    // files: sorted paths, modules from the package layout, encodings.
    assert_eq!(
        rows(
            &ctx,
            "SELECT path, module, is_package, encoding FROM files ORDER BY path"
        )
        .await,
        vec![
            "shop/__init__.py|shop|true|utf-8",
            "shop/broken.py|shop.broken|false|utf-8",
            "shop/checkout.py|shop.checkout|false|utf-8",
            "shop/cli.py|shop.cli|false|utf-8",
            "shop/legacy_latin1.py|shop.legacy_latin1|false|iso-8859-1",
            "shop/models.py|shop.models|false|utf-8",
            "shop/pricing.py|shop.pricing|false|utf-8",
            "shop/storage/__init__.py|shop.storage|true|utf-8",
            "shop/storage/base.py|shop.storage.base|false|utf-8",
            "shop/storage/memory.py|shop.storage.memory|false|utf-8",
            "tests/test_pricing.py|tests.test_pricing|false|utf-8",
        ]
    );
    // Every file has AST rows or an error row; nothing disappears.
    assert_none(
        &ctx,
        "SELECT count(*) FROM files f WHERE f.file_id NOT IN (SELECT file_id FROM ast_nodes) \
                   AND f.file_id NOT IN (SELECT file_id FROM extract_errors)",
    )
    .await;
    // The syntax error is recorded where it is, and the functions around it survive.
    assert_eq!(
        rows(
            &ctx,
            "SELECT e.stage, e.kind, e.line FROM extract_errors e WHERE e.path = 'shop/broken.py'"
        )
        .await,
        vec!["parse|syntax_error|9"]
    );
    assert_eq!(
        rows(
            &ctx,
            "SELECT n.name FROM ast_nodes n JOIN files f USING (file_id) \
                    WHERE f.path = 'shop/broken.py' AND n.kind = 'FunctionDef' ORDER BY n.ordinal"
        )
        .await,
        vec!["before", "broken", "after"]
    );
    // Classes, with their bases as CPython's ast has them.
    assert_eq!(
        rows(
            &ctx,
            "SELECT c.name, b.name FROM ast_nodes c LEFT JOIN ast_nodes b \
                    ON b.parent_id = c.node_id AND b.field = 'bases' \
                    WHERE c.kind = 'ClassDef' ORDER BY c.name"
        )
        .await,
        vec![
            "Entity|NULL",
            "MemoryStorage|Storage",
            "Order|Entity",
            "Product|NULL",
            "RushOrder|Order",
            "Storage|NULL"
        ]
    );
    // A decorated def starts at `def` (CPython), and its decorators sit in decorator_list.
    assert_eq!(
        rows(
            &ctx,
            "SELECT d.span.start_line, n.span.start_line, d.field FROM ast_nodes n \
                    JOIN ast_nodes d ON d.parent_id = n.node_id AND d.field = 'decorator_list' \
                    JOIN files f ON f.file_id = n.file_id \
                    WHERE f.path = 'shop/pricing.py' AND n.name = 'bulk_discount'"
        )
        .await,
        vec!["28|29|decorator_list"]
    );
    // The latin-1 file decoded: the constant holds the accented text.
    assert_eq!(
        one(&ctx, "SELECT n.value FROM ast_nodes n JOIN files f USING (file_id) \
                   WHERE f.path = 'shop/legacy_latin1.py' AND n.kind = 'Constant' AND n.value LIKE '%boutique%'").await,
        "'Bienvenue à la boutique'"
    );
    // Integrity: ids unique, parents exist, span struct agrees with bstart/bend, and the line
    // index turns every node's (line, col) back into its byte offset.
    assert_none(
        &ctx,
        "SELECT count(*) - count(DISTINCT node_id) FROM ast_nodes",
    )
    .await;
    assert_none(
        &ctx,
        "SELECT count(*) FROM ast_nodes c WHERE c.parent_id IS NOT NULL \
                   AND c.parent_id NOT IN (SELECT node_id FROM ast_nodes)",
    )
    .await;
    assert_none(&ctx, "SELECT count(*) FROM ast_nodes WHERE span.bstart <> bstart OR span.bend <> bend OR bend < bstart").await;
    assert_none(
        &ctx,
        "SELECT count(*) FROM ast_nodes n JOIN file_lines l \
                   ON l.file_id = n.file_id AND l.line_no = n.span.start_line - 1 \
                   WHERE l.bstart + n.span.start_col <> n.bstart",
    )
    .await;
    assert_none(
        &ctx,
        "SELECT count(*) FROM ast_nodes n JOIN files f USING (file_id) WHERE n.bend > f.size_bytes \
                   AND f.encoding = 'utf-8'",
    )
    .await;
    // Nested types are what the spec says.
    assert_eq!(
        one(&ctx, "SELECT DISTINCT arrow_typeof(span) FROM ast_nodes").await,
        "Struct(\"bstart\": non-null Int64, \"bend\": non-null Int64, \"start_line\": non-null Int32, \
         \"start_col\": non-null Int32, \"end_line\": non-null Int32, \"end_col\": non-null Int32)"
    );
    // information_schema knows every table.
    let mut names: Vec<&str> = codelake_schema::registry().iter().map(|t| t.name).collect();
    names.sort();
    assert_eq!(
        rows(&ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1").await,
        names
    );

    // Syntax evidence: definitions with qualnames, decorators and their scopes.
    assert_eq!(
        rows(
            &ctx,
            "SELECT d.kind, d.qualname, d.decorator_count, d.returns_annotation FROM defs d \
                    JOIN files f USING (file_id) WHERE f.path = 'shop/pricing.py' ORDER BY d.bstart"
        )
        .await,
        vec![
            "FunctionDef|rule|0|NULL",
            "FunctionDef|rule.<locals>.decorate|0|Rule",
            "FunctionDef|rule.<locals>.decorate.<locals>.wrapper|1|NULL",
            "FunctionDef|bulk_discount|1|Decimal",
            "FunctionDef|sale_discount|1|Decimal",
            "FunctionDef|rules_for|1|list[Rule]",
            "FunctionDef|price_order|0|Decimal",
        ]
    );
    // Every def with a body scope points at the scope of the same qualname.
    assert_none(
        &ctx,
        "SELECT count(*) FROM defs d LEFT JOIN scopes s ON s.scope_id = d.scope_id \
                      WHERE d.source = 'ruff' AND (s.qualname IS NULL OR s.qualname <> d.qualname)",
    )
    .await;
    assert_eq!(
        rows(&ctx, "SELECT d.name, array_to_string(d.bases, ','), array_to_string(d.keywords, ',') FROM defs d \
                    JOIN files f USING (file_id) WHERE f.path = 'shop/storage/memory.py' AND d.kind = 'ClassDef'").await,
        vec!["MemoryStorage|Storage|"]
    );
    assert_eq!(
        rows(
            &ctx,
            "SELECT x.position, x.text, x.dotted FROM decorators x JOIN defs d USING (def_id) \
                    WHERE d.name = 'rules_for'"
        )
        .await,
        vec!["0|functools.lru_cache(maxsize=128)|functools.lru_cache"]
    );
    assert_eq!(
        rows(
            &ctx,
            "SELECT p.position, p.name, p.kind, p.annotation, p.\"default\" FROM params p \
                    JOIN defs d USING (def_id) WHERE d.name = 'price_order' ORDER BY p.position"
        )
        .await,
        vec![
            "0|order|positional|Order|NULL",
            "1|rules|positional|tuple[str, ...]|DEFAULT_RULES"
        ]
    );
    // Calls: the callee's shape and dotted form, the enclosing def, the arguments.
    assert_eq!(
        rows(&ctx, "SELECT c.callee_text, c.callee_shape, c.callee_dotted, c.callee_name, c.arg_count, d.qualname \
                    FROM calls c JOIN files f USING (file_id) LEFT JOIN defs d ON d.def_id = c.enclosing_def_id \
                    WHERE f.path = 'shop/pricing.py' ORDER BY c.bstart LIMIT 4").await,
        vec![
            "functools.wraps|attribute|functools.wraps|wraps|1|rule.<locals>.decorate",
            "fn|name|fn|fn|3|rule.<locals>.decorate.<locals>.wrapper",
            "rule|name|rule|rule|1|NULL",
            "Decimal|name|Decimal|Decimal|1|bulk_discount",
        ]
    );
    assert_eq!(
        rows(
            &ctx,
            "SELECT a.position, a.keyword, a.text FROM call_args a JOIN calls c USING (call_id) \
                    WHERE c.callee_dotted = 'functools.lru_cache'"
        )
        .await,
        vec!["0|maxsize|128"]
    );
    // Imports, relative ones made absolute from the importing file's package.
    assert_eq!(
        rows(&ctx, "SELECT i.kind, i.module, i.level, i.name, i.bound_name, i.absolute_module FROM imports i \
                    JOIN files f USING (file_id) WHERE f.path IN ('shop/storage/memory.py', 'shop/cli.py') \
                    AND i.level > 0 ORDER BY f.path, i.bstart, i.alias_bstart").await,
        vec![
            "from|NULL|1|price_order|price_order|shop", "from|models|1|Order|Order|shop.models",
            "from|models|1|Product|Product|shop.models", "from|models|1|RushOrder|RushOrder|shop.models",
            "from|storage|1|MemoryStorage|MemoryStorage|shop.storage",
            "from|models|2|Order|Order|shop.models", "from|base|1|Storage|Storage|shop.storage.base",
        ]
    );
    // Docstrings and comments, with their owners and directives.
    assert_eq!(
        one(
            &ctx,
            "SELECT d.text FROM docstrings d JOIN defs x USING (def_id) WHERE x.name = 'rule'"
        )
        .await,
        "Register a pricing rule under a name."
    );
    assert_eq!(
        rows(
            &ctx,
            "SELECT c.text, c.standalone, c.directive, n.kind, n.name FROM comments c \
                    JOIN files f USING (file_id) JOIN ast_nodes n ON n.node_id = c.owner_node_id \
                    WHERE f.path = 'shop/storage/memory.py' ORDER BY c.bstart"
        )
        .await,
        vec![
            "# Orders are kept by id; saving again replaces the stored order.|true|NULL|FunctionDef|save",
            "# noqa: D102|false|noqa|FunctionDef|customers",
        ]
    );
    assert_eq!(
        rows(
            &ctx,
            "SELECT a.role, a.target, a.text FROM annotations a JOIN files f USING (file_id) \
                    WHERE f.path = 'shop/storage/memory.py'"
        )
        .await,
        vec!["variable|self._orders|dict[int, Order]"]
    );
    // The broken file: ruff's recovery keeps all three defs; tree-sitter parsed it too.
    assert_eq!(
        rows(
            &ctx,
            "SELECT d.name, d.source FROM defs d JOIN files f USING (file_id) \
                    WHERE f.path = 'shop/broken.py' ORDER BY d.bstart"
        )
        .await,
        vec!["before|ruff", "broken|ruff", "after|ruff"]
    );
    assert_eq!(
        rows(
            &ctx,
            "SELECT e.kind, e.line FROM ts_errors e JOIN files f USING (file_id) \
                    WHERE f.path = 'shop/broken.py'"
        )
        .await,
        vec!["error|9"]
    );
    assert_none(&ctx, "SELECT count(*) FROM ts_nodes n JOIN files f USING (file_id) WHERE f.path <> 'shop/broken.py'").await;
    assert_none(&ctx, "SELECT count(*) FROM tokens").await;

    // Scopes: qualnames, and what a method reads resolves across the class to the module.
    assert_eq!(
        rows(&ctx, "SELECT s.kind, s.qualname FROM scopes s JOIN files f USING (file_id) \
                    WHERE f.path = 'shop/models.py' AND s.kind IN ('class', 'function') ORDER BY s.bstart").await,
        vec![
            "class|Entity", "function|Entity.__init__", "function|Entity.__repr__", "class|Product",
            "function|Product.is_discounted", "class|Order", "function|Order.__init__", "function|Order.add",
            "function|Order.__iter__", "function|Order.of", "class|RushOrder",
        ]
    );
    assert_eq!(
        rows(
            &ctx,
            "SELECT r.resolution, t.kind, b.kind FROM name_refs r JOIN files f USING (file_id) \
                    JOIN scopes t ON t.scope_id = r.resolved_scope_id \
                    JOIN bindings b ON b.scope_id = r.resolved_scope_id AND b.name = r.name \
                    WHERE f.path = 'shop/storage/memory.py' AND r.name = 'Storage'"
        )
        .await,
        vec!["global|module|import"]
    );
    // Every reference in a file that parsed resolves somewhere, or says why not.
    assert_none(
        &ctx,
        "SELECT count(*) FROM name_refs WHERE resolution NOT IN \
                   ('local', 'enclosing', 'global', 'builtin', 'class', 'unresolved')",
    )
    .await;
    assert_none(
        &ctx,
        "SELECT count(*) FROM name_refs r WHERE r.resolved_scope_id IS NOT NULL \
                   AND r.resolved_scope_id NOT IN (SELECT scope_id FROM scopes)",
    )
    .await;
    // A closure: `wrapper` reads `fn` from `decorate`, where it is a cell.
    assert_eq!(
        rows(
            &ctx,
            "SELECT y.scope, y.is_cell FROM symbols y JOIN scopes s USING (scope_id) \
                    WHERE s.qualname = 'rule.<locals>.decorate' AND y.name = 'fn'"
        )
        .await,
        vec!["cell|true"]
    );
}

/// Every table's rows in the order they are stored (read in one partition, so in file order):
/// builds are compared row for row, order included, not only as sets.
async fn snapshot(db: &Path) -> Vec<String> {
    let one_partition = [(
        "datafusion.execution.target_partitions".to_string(),
        "1".to_string(),
    )];
    let ctx = codelake_engine::session::open_session_with(db, &one_partition)
        .await
        .unwrap();
    let mut out = Vec::new();
    for spec in codelake_schema::registry() {
        if spec.name == "runs" {
            continue; // one row per build: differs by design
        }
        let batches = query(&ctx, &format!("SELECT * FROM {}", spec.name)).await;
        out.push(format!(
            "{}\n{}",
            spec.name,
            pretty_format_batches(&batches).unwrap()
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_are_deterministic_across_runs_and_job_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    build(&options(&a, 1), Arc::new(NoProgress)).await.unwrap();
    build(&options(&b, 2), Arc::new(NoProgress)).await.unwrap();
    let first = snapshot(&a).await;
    assert_same(&first, &snapshot(&b).await);
    // Rebuilding in place replaces each table with one new Delta version, same contents.
    let before = codelake_engine::build::table_versions(&a).await.unwrap();
    build(&options(&a, 2), Arc::new(NoProgress)).await.unwrap();
    let after = codelake_engine::build::table_versions(&a).await.unwrap();
    for (t, v) in &before {
        assert_eq!(after[t], v + 1, "{t}");
    }
    assert_same(&first, &snapshot(&a).await);
}

/// Two snapshots are equal, table by table (a failure names the table and its first row that
/// differs).
fn assert_same(a: &[String], b: &[String]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let table = x.lines().next().unwrap_or("");
            let (i, (l, r)) = x
                .lines()
                .zip(y.lines())
                .enumerate()
                .find(|(_, (l, r))| l != r)
                .unwrap_or((0, ("(lengths differ)", "")));
            panic!("{table} differs at line {i}:\n{l}\n{r}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_that_does_not_match_its_spec_is_a_clear_error() {
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::datasource::MemTable;
    let ctx = codelake_engine::new_session_context();
    let spec = codelake_schema::spec("files").unwrap();
    // `path` as an integer instead of a string.
    let mut fields: Vec<Field> = spec
        .schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[1] = Field::new("path", DataType::Int64, false);
    let table = MemTable::try_new(Arc::new(Schema::new(fields)), vec![vec![]]).unwrap();
    ctx.register_table("files", Arc::new(table)).unwrap();
    let err = info_schema::validate(&ctx, std::slice::from_ref(spec))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("table files") && err.contains("column path") && err.contains("Int64"),
        "{err}"
    );

    let ast_spec = codelake_schema::spec("ast_nodes").unwrap();
    let missing = info_schema::validate(&ctx, std::slice::from_ref(ast_spec))
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("not registered"), "{missing}");

    let none = tempfile::tempdir().unwrap();
    let err = open_session(none.path())
        .await
        .err()
        .expect("no database")
        .to_string();
    assert!(err.contains("no codelake database"), "{err}");
}

/// The cross-file edges of the example, as `kind,source,target` lines (kinds and qualified
/// names), compared with `tests/golden/edges.txt`, reviewed by hand. Set
/// CODELAKE_BLESS=1 to rewrite the file after a deliberate change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relations_of_the_example_match_the_golden_edges() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    build(&options(&db, 2), Arc::new(NoProgress)).await.unwrap();
    let ctx = open_session(&db).await.unwrap();
    let node = |a: &str| {
        format!(
            "{a}.kind || ' ' || COALESCE({a}.qualname, {a}.path || ':' || {a}.name, {a}.path || ':' || CAST({a}.bstart AS VARCHAR), {a}.name)"
        )
    };
    let mut lines = vec!["# counts per edge kind".to_string()];
    lines.extend(
        rows(
            &ctx,
            "SELECT e.kind, count(*), sum(CASE WHEN e.ambiguity_group_id IS NULL THEN 0 ELSE 1 END) \
             FROM cpg_edges e GROUP BY e.kind ORDER BY e.kind",
        )
        .await,
    );
    // Flow edges join the AST nodes themselves (as Joern's); CFG_NODE nodes are a graph's
    // entry and exits, second roles and finally copies, each EVALUATES its AST node or scope.
    lines.push("# flow edges by the kinds of their ends (CFG_NODE by its role)".to_string());
    lines.extend(
        rows(
            &ctx,
            "WITH k AS (SELECT n.node_id, CASE WHEN n.kind = 'CFG_NODE' \
                 THEN 'CFG_NODE ' || n.name || ' ' || p.value_str ELSE 'AST' END AS k \
               FROM cpg_nodes n LEFT JOIN cpg_props p \
                 ON p.entity_id = n.node_id AND p.key = 'flow_role') \
             SELECT e.kind, s.k, d.k, count(*) FROM cpg_edges e \
             JOIN k s ON s.node_id = e.src_id JOIN k d ON d.node_id = e.dst_id \
             WHERE e.origin = 'flow' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )
        .await,
    );
    lines.push(
        "# IMPORTS, CALLS, INHERITS, CONTAINS, SCOPE_PARENT; REFERS_TO to and DEFINES of module-level names"
            .to_string(),
    );
    lines.extend(
        rows(
            &ctx,
            &format!(
                "SELECT e.kind, {s}, {d}, e.confidence FROM cpg_edges e \
                 JOIN cpg_nodes s ON s.node_id = e.src_id JOIN cpg_nodes d ON d.node_id = e.dst_id \
                 LEFT JOIN bindings b ON b.binding_id = e.dst_id \
                 LEFT JOIN scopes bs ON bs.scope_id = b.scope_id \
                 LEFT JOIN scopes ss ON ss.scope_id = e.src_id \
                 WHERE e.kind IN ('IMPORTS', 'CALLS', 'INHERITS', 'CONTAINS', 'SCOPE_PARENT') \
                    OR (e.kind = 'REFERS_TO' AND bs.kind = 'module') \
                    OR (e.kind = 'DEFINES' AND ss.kind = 'module') \
                 ORDER BY 1, 2, 3, 4",
                s = node("s"),
                d = node("d")
            ),
        )
        .await,
    );
    lines.push("# unresolved, by rule and reason".to_string());
    lines.extend(
        rows(
            &ctx,
            "SELECT u.rule, u.reason, u.name FROM unresolved u ORDER BY 1, 2, 3",
        )
        .await,
    );
    let got = lines.join("\n") + "\n";
    let path = manifest_dir().join("tests/golden/edges.txt");
    if std::env::var_os("CODELAKE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got,
        want,
        "golden edges differ (CODELAKE_BLESS=1 rewrites {})",
        path.display()
    );

    // Every edge kind occurs; every output's nested type is the spec's.
    for kind in codelake_schema::EDGE_KINDS {
        assert_ne!(
            one(
                &ctx,
                &format!("SELECT count(*) FROM cpg_edges WHERE kind = '{kind}'")
            )
            .await,
            "0",
            "{kind}"
        );
    }
    // (The Parquet reader gives string views; the data is the same.)
    let norm = |s: String| info_schema::normalise_type_name(&s);
    assert_eq!(
        norm(
            one(
                &ctx,
                "SELECT arrow_typeof(props) FROM cpg_props_map LIMIT 1"
            )
            .await
        ),
        codelake_schema::spec::props_map_type().to_string()
    );
    assert_eq!(
        norm(
            one(
                &ctx,
                "SELECT arrow_typeof(edges) FROM cpg_edges_by_src LIMIT 1"
            )
            .await
        ),
        codelake_schema::spec::edges_list_type().to_string()
    );
    // The integrity checks of `codelake diag` pass.
    for c in codelake_engine::diag::run(&ctx).await.unwrap() {
        assert!(c.passed(), "{}: {} {:?}", c.name, c.failures, c.detail);
    }
    // The manifest names every rule with a fingerprint, and one run is recorded.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(db.join("_codelake/manifest.json")).unwrap())
            .unwrap();
    let rules = manifest["rules"].as_array().unwrap();
    assert_eq!(rules.len(), codelake_engine::rules::RULES.len());
    assert!(
        rules
            .iter()
            .all(|r| r["fingerprint"].as_str().is_some_and(|f| f.len() == 16))
    );
    assert_eq!(one(&ctx, "SELECT count(*) FROM runs").await, "1");

    // schema.sql, run in a fresh session with the Delta factory, registers every table, and
    // information_schema then equals the registry.
    let fresh = codelake_engine::new_session_context();
    let ddl = std::fs::read_to_string(db.join("_codelake/schema.sql")).unwrap();
    for stmt in ddl.split(";\n").filter(|s| s.contains("CREATE")) {
        fresh
            .sql(stmt)
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    info_schema::validate(&fresh, codelake_schema::registry())
        .await
        .unwrap();
    // Fingerprints are stable: planning again gives the same ones.
    let again = codelake_engine::rules::plan_all(
        &codelake_engine::session::open_rules_session(&db)
            .await
            .unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();
    for (p, r) in again.iter().zip(rules) {
        assert_eq!(r["name"], p.def.name);
        assert_eq!(r["fingerprint"], p.fingerprint.as_str(), "{}", p.def.name);
    }
}

fn write_repo(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Builds a repository of `files` under `dir` (one job, the default rules) and opens its database.
async fn build_repo(dir: &Path, files: &[(&str, &str)]) -> SessionContext {
    let repo = dir.join("repo");
    write_repo(&repo, files);
    let db = dir.join("db");
    let mut opts = options(&db, 1);
    opts.repo = repo;
    build(&opts, Arc::new(NoProgress)).await.unwrap();
    open_session(&db).await.unwrap()
}

/// Each import alias of `main.py` with where it leads: `node` (an SQL expression over the
/// target node `d`) for an IMPORTS edge, else the reason it is unresolved; ordered by name.
async fn import_outcomes(ctx: &SessionContext, node: &str) -> Vec<String> {
    rows(
        ctx,
        &format!(
            "SELECT i.name, COALESCE({node}, u.reason) FROM imports i \
             JOIN files f ON f.file_id = i.file_id AND f.path = 'main.py' \
             LEFT JOIN cpg_edges e ON e.src_id = i.node_id AND e.kind = 'IMPORTS' \
             LEFT JOIN cpg_nodes d ON d.node_id = e.dst_id \
             LEFT JOIN unresolved u ON u.node_id = i.node_id \
             ORDER BY i.name"
        ),
    )
    .await
}

/// `from m import *` binds m's `__all__` when it has one, including an `__all__` composed from
/// other modules' (`from .a import __all__ as a_all; __all__ = a_all + [...]`), else its
/// public names; `from m import name` follows such chains to the definition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn star_imports_follow_composed_dunder_all() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = build_repo(
        dir.path(),
        &[
            ("pkg/__init__.py", ""),
            ("pkg/a.py", "__all__ = ['x']\nx = 1\ny = 2\n"),
            (
                "pkg/b.py",
                "from .a import *\nfrom .a import __all__ as _a_all\n\n__all__ = _a_all + ['z']\n__all__ += ('w',)\nz = 3\nw = 4\nv = 5\n",
            ),
            ("pkg/c.py", "from .b import *\n"),
            ("pkg/d.py", "from .c import *\n_private = 1\npublic = 2\n"),
            (
                "main.py",
                "from pkg.c import x, y, z, w, v\nfrom pkg.d import public, _private\n",
            ),
        ],
    )
    .await;
    assert_eq!(
        import_outcomes(&ctx, "d.qualname").await,
        [
            "_private|pkg.d._private",
            "public|pkg.d.public",
            "v|not_in_module",
            "w|pkg.b.w",
            "x|pkg.a.x",
            "y|not_in_module",
            "z|pkg.b.z",
        ]
    );
}

/// A re-exported name ends at a node that exists: `import ext.sub` binds the external package
/// `ext`, which gets an EXTERNAL_MODULE node of its own; a module under one of the repository's
/// packages that has no file (a compiled extension) is not external, and the import of a name
/// re-exported from it is unresolved, not an edge to nowhere. (Found on the standard library's
/// site-packages: wrapt, mpmath.) A name missing from a module that star-imports an external
/// module is unresolved as `star_import`: it may come from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_exports_of_external_and_missing_modules_end_at_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = build_repo(
        dir.path(),
        &[
            ("pkg/__init__.py", ""),
            ("pkg/wrappers.py", "from ._speedups import Proxy\n"),
            ("pkg/backend.py", "import extlib.sub\n"),
            ("pkg/shim.py", "from _cext import *\n"),
            (
                "main.py",
                "from pkg.wrappers import Proxy\nfrom pkg.backend import extlib\n\
                 from pkg.shim import fast\n",
            ),
        ],
    )
    .await;
    assert_eq!(
        import_outcomes(&ctx, "d.kind || ' ' || d.name").await,
        [
            "Proxy|not_in_module",
            "extlib|EXTERNAL_MODULE extlib",
            "fast|star_import",
        ]
    );
    for c in codelake_engine::diag::run(&ctx).await.unwrap() {
        assert!(c.passed(), "{}: {} {:?}", c.name, c.failures, c.detail);
    }
}

/// `min_confidence` drops the candidates of ambiguous names: a name with two binding sites
/// keeps both at the default (0.5 each) and neither at 0.6, where the site goes to
/// `unresolved` as below_confidence, once; names with one site keep theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_below_min_confidence_are_unresolved_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write_repo(
        &repo,
        &[(
            "m.py",
            "import os\nif os.sep:\n    a = 1\nelse:\n    a = 2\nb = 3\nprint(a, b)\n\
             def f():\n    return a + b\n",
        )],
    );
    let edges = "SELECT r.name, r.bstart, count(e.dst_id) FROM name_refs r \
                 LEFT JOIN cpg_edges e ON e.src_id = r.node_id AND e.kind = 'REFERS_TO' \
                 WHERE r.name IN ('a', 'b') AND r.ctx = 'Load' \
                 GROUP BY r.name, r.bstart ORDER BY r.bstart";
    let dropped = "SELECT u.name, u.bstart, u.reason, u.rule FROM unresolved u \
                   WHERE u.reason = 'below_confidence' ORDER BY u.bstart";
    let mut got = Vec::new();
    for min in ["0.5", "0.6"] {
        let db = dir.path().join(format!("db{min}"));
        let mut opts = options(&db, 1);
        opts.repo = repo.clone();
        opts.params.set(&format!("min_confidence={min}")).unwrap();
        build(&opts, Arc::new(NoProgress)).await.unwrap();
        let ctx = open_session(&db).await.unwrap();
        got.push((rows(&ctx, edges).await, rows(&ctx, dropped).await));
    }
    assert_eq!(
        got[0],
        (
            vec![
                "a|59|2".into(),
                "b|62|1".into(),
                "a|85|2".into(),
                "b|89|1".into()
            ],
            vec![]
        )
    );
    assert_eq!(
        got[1],
        (
            vec![
                "a|59|0".into(),
                "b|62|1".into(),
                "a|85|0".into(),
                "b|89|1".into()
            ],
            vec![
                "a|59|below_confidence|edges_refers_to".to_string(),
                "a|85|below_confidence|edges_refers_to".to_string()
            ]
        )
    );
}

/// `--no-relations` leaves every CPG table empty and typed, also over a database whose CPG
/// tables have rows from an earlier build, and says so in the manifest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_without_relations_has_empty_typed_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut opts = options(&db, 2);
    // Fresh, then with the rules, then without them again.
    for (i, relations) in [false, true, false].into_iter().enumerate() {
        opts.relations = relations;
        build(&opts, Arc::new(NoProgress)).await.unwrap();
        let ctx = open_session(&db).await.unwrap();
        let nodes = one(&ctx, "SELECT count(*) FROM cpg_nodes").await;
        assert_eq!(nodes == "0", !relations, "{nodes} nodes");
        // The fresh build's write created each evidence table (version 0, with the spec's
        // schema: the build validated it); each later build added one version, without
        // replacing the schema.
        let versions = codelake_engine::build::table_versions(&db).await.unwrap();
        for spec in codelake_schema::layer(codelake_schema::Layer::Evidence) {
            assert_eq!(
                versions[spec.name], i as i64,
                "{} after build {i}",
                spec.name
            );
        }
    }
    let ctx = open_session(&db).await.unwrap();
    for spec in codelake_schema::layer(codelake_schema::Layer::Cpg) {
        assert_eq!(
            one(&ctx, &format!("SELECT count(*) FROM {}", spec.name)).await,
            "0",
            "{}",
            spec.name
        );
    }
    assert_ne!(one(&ctx, "SELECT count(*) FROM ast_nodes").await, "0");
    let manifest = std::fs::read_to_string(db.join("_codelake/manifest.json")).unwrap();
    assert!(manifest.contains("--no-relations"), "{manifest}");
    // Nothing was planned, and every rule of the catalog says so.
    let doc: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let rules = doc["rules"].as_array().unwrap();
    assert_eq!(rules.len(), codelake_engine::rules::RULES.len());
    for r in rules {
        assert!(r["fingerprint"].is_null(), "{r}");
        assert_eq!(
            r["notes"][0], "not planned: the rules were off (--no-relations)",
            "{r}"
        );
    }
}

/// Collects each output in memory, in plan order, instead of writing Delta.
struct MemoryOutputs(std::sync::Mutex<std::collections::BTreeMap<String, Vec<RecordBatch>>>);

#[async_trait::async_trait]
impl codelake_engine::rules::OutputWriter for MemoryOutputs {
    async fn write(
        &self,
        spec: &'static codelake_schema::TableSpec,
        df: datafusion::prelude::DataFrame,
    ) -> codelake_engine::Result<codelake_engine::rules::Written> {
        let task = Arc::new(df.task_ctx());
        let plan =
            codelake_engine::ordered::single_partition(df.create_physical_plan().await.unwrap());
        let batches = datafusion::physical_plan::collect(plan.clone(), task)
            .await
            .unwrap();
        let rows = batches.iter().map(|b| b.num_rows()).sum();
        let table = datafusion::datasource::MemTable::try_new(plan.schema(), vec![batches.clone()])
            .unwrap();
        self.0
            .lock()
            .unwrap()
            .insert(spec.name.to_string(), batches);
        Ok(codelake_engine::rules::Written {
            rows,
            table: Arc::new(table),
            plan,
        })
    }
}

/// A build's rules read the evidence it extracted from memory, not back from its Delta tables:
/// the rules run over the Delta tables of that build give every output the same rows. (Not
/// always in the same order: where a join's output order follows its input batches, batches
/// of another size order some rows differently — deterministically either way.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_over_the_delta_evidence_give_the_outputs_of_the_build() {
    use codelake_schema::Layer;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    build(&options(&db, 2), Arc::new(NoProgress)).await.unwrap();

    let mut tables = std::collections::BTreeMap::new();
    for spec in codelake_schema::layer(Layer::Evidence) {
        let table = codelake_engine::storage::open(&db, spec)
            .await
            .unwrap()
            .unwrap();
        tables.insert(spec.name, table);
    }
    let ctx = codelake_engine::session::session_over(
        codelake_engine::session::rules_session_context(),
        &tables,
        &[Layer::Evidence],
    )
    .await
    .unwrap();
    let outputs = Arc::new(MemoryOutputs(Default::default()));
    codelake_engine::rules::run_all(
        &ctx,
        &with_call_graph(),
        outputs.clone(),
        Arc::new(|_, _, _| {}),
    )
    .await
    .unwrap();
    // Every table a rule reads has left the session after its last reader; outputs no rule
    // reads stay registered.
    for gone in [
        "ast_nodes",
        "name_refs",
        "ref_candidates",
        "edges_ast",
        "edges_calls",
    ] {
        assert!(
            !ctx.table_exist(gone).unwrap(),
            "{gone} is still registered"
        );
    }
    assert!(ctx.table_exist("cpg_nodes").unwrap());
    assert!(
        ctx.table_exist("tokens").unwrap(),
        "evidence no rule reads is left alone"
    );

    let built = open_session(&db).await.unwrap();
    let outputs = outputs.0.lock().unwrap().clone();
    let cpg: Vec<_> = codelake_schema::layer(Layer::Cpg).collect();
    assert_eq!(outputs.len(), cpg.len());
    for spec in cpg {
        let from_delta = &outputs[spec.name];
        let one_partition = built.state().config().clone().with_target_partitions(1);
        let stored = SessionContext::new_with_config(one_partition);
        stored
            .register_table(spec.name, built.table_provider(spec.name).await.unwrap())
            .unwrap();
        let in_build = query(&stored, &format!("SELECT * FROM {}", spec.name)).await;
        let show = |batches: &[RecordBatch]| {
            // Strings as the spec types them on both sides (the rules compute views).
            let batches: Vec<RecordBatch> = batches
                .iter()
                .map(|b| {
                    let columns = b
                        .columns()
                        .iter()
                        .zip(spec.schema.fields())
                        .map(|(c, f)| cast(c, f.data_type()).unwrap())
                        .collect();
                    RecordBatch::try_new(spec.schema.clone(), columns).unwrap()
                })
                .collect();
            let mut lines: Vec<String> = pretty_format_batches(&batches)
                .unwrap()
                .to_string()
                .lines()
                .map(str::to_string)
                .collect();
            lines.sort();
            lines
        };
        let (a, b) = (show(from_delta), show(&in_build));
        assert!(a.len() > 4, "{} is empty", spec.name);
        assert!(
            a == b,
            "{}: the rules over Delta give other rows",
            spec.name
        );
    }
}

/// Every file under `db` but the build's own records (`runs`, `_codelake`), as relative paths.
fn table_files(db: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(db, db, &mut out);
    out.retain(|p| !p.starts_with("runs") && !p.starts_with("_codelake"));
    out.sort();
    out
}

/// A build that fails while it writes the evidence (here a table's directory is a file)
/// names what failed, commits nothing and leaves no file behind: every table keeps the files
/// and versions of the previous build.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_that_fails_while_writing_commits_nothing_and_leaves_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut opts = options(&db, 2);
    opts.relations = false;
    build(&opts, Arc::new(NoProgress)).await.unwrap();
    std::fs::remove_dir_all(db.join("calls")).unwrap();
    std::fs::write(db.join("calls"), "not a table").unwrap();
    let before = table_files(&db);
    let err = build(&opts, Arc::new(NoProgress))
        .await
        .expect_err("the build fails")
        .to_string();
    assert!(err.contains("calls"), "{err}");
    assert_eq!(table_files(&db), before, "{err}");
}
