//! The rules: every relation between facts and every CPG output is a DataFusion plan.
//!
//! A rule is SQL (in `crates/codelake-engine/rules/<layer>/<name>.sql`, every column qualified;
//! the catalog, [`RULES`], lists every rule with its layer) parsed once against the registered
//! tables. Its inputs are the tables its plan scans; rules run in
//! dependency order. An intermediate (a rule other rules read) is computed once and kept in
//! memory (a `MemTable`, as `DataFrame::cache` makes, but keeping the physical plan, whose
//! metrics go to `_codelake/rules_profile.txt`); an output rule writes the Delta table of the spec with its name
//! and is then read back from Delta by the rules after it. Tunable thresholds are `$name`
//! placeholders bound at run time ([`RuleParams`]). Each rule's optimized logical plan has a
//! fingerprint: a BLAKE3 hash of its indented display (which names every table, column and
//! expression deterministically) and of the fingerprints of the rules it reads, so unchanged
//! rules over unchanged schemas keep their fingerprints.
//!
//! There is no fallback: a rule that fails to plan or to run fails the build, naming the rule.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use codelake_schema::{Layer, TableSpec, registry};
use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::MemTable;
use datafusion::datasource::empty::EmptyTable;
use datafusion::logical_expr::{LogicalPlan, col as df_col, expr::Sort};
use datafusion::physical_plan::{ExecutionPlan, collect_partitioned};
use datafusion::prelude::{DataFrame, SessionContext, cast};
use datafusion::sql::parser::Statement;

use crate::error::{EngineError, Result};

mod catalog;
mod fixpoint;
pub use catalog::{RULES, RuleDef, RuleKind, RuleLayer, RuleParams, description, gate};

/// A rule planned against a session: its inputs, its optimized plan and the plan's fingerprint.
#[derive(Debug, Clone)]
pub struct PlannedRule {
    pub def: RuleDef,
    /// The tables and rules the rule's plan scans, sorted.
    pub inputs: Vec<String>,
    pub plan: LogicalPlan,
    pub optimized: LogicalPlan,
    pub fingerprint: String,
}

fn rule_error(rule: &str, what: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Other(format!("rule {rule}: {what}: {e}"))
}

/// The tables a rule names (not counting its CTEs); for a fixpoint, those its first facts
/// and its step name, but not its own relation and delta.
fn referenced_tables(ctx: &SessionContext, rule: &RuleDef) -> Result<Vec<String>> {
    let state = ctx.state();
    let own = [rule.name.to_string(), fixpoint::delta_name(rule.name)];
    let mut out: Vec<String> = Vec::new();
    for sql in std::iter::once(rule.sql).chain(rule.step) {
        let statement: Statement = state
            .sql_to_statement(sql, &datafusion::config::Dialect::Generic)
            .map_err(|e| rule_error(rule.name, "parsing its SQL", e))?;
        let refs = state
            .resolve_table_references(&statement)
            .map_err(|e| rule_error(rule.name, "reading its tables", e))?;
        for r in refs {
            let t = r.table().to_string();
            if !own.contains(&t) && !out.contains(&t) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// Every rule of the catalog with the indices (into [`RULES`]) of the rules it reads. A rule
/// that reads a table that is neither a rule nor an evidence table is an error.
fn dependencies(ctx: &SessionContext) -> Result<Vec<BTreeSet<usize>>> {
    dependencies_of(&references(ctx)?)
}

/// The tables each rule of [`RULES`] names, in catalog order.
fn references(ctx: &SessionContext) -> Result<Vec<Vec<String>>> {
    RULES
        .iter()
        .map(|rule| referenced_tables(ctx, rule))
        .collect()
}

/// The rules each rule reads, from the tables they name ([`references`]).
fn dependencies_of(references: &[Vec<String>]) -> Result<Vec<BTreeSet<usize>>> {
    let names: HashMap<&str, usize> = RULES.iter().enumerate().map(|(i, r)| (r.name, i)).collect();
    let mut deps: Vec<BTreeSet<usize>> = Vec::with_capacity(RULES.len());
    for (rule, tables) in RULES.iter().zip(references) {
        let mut d = BTreeSet::new();
        for table in tables {
            if let Some(&i) = names.get(table.as_str()) {
                d.insert(i);
            } else if !registry()
                .iter()
                .any(|s| s.name == table && s.layer == Layer::Evidence)
            {
                return Err(rule_error(
                    rule.name,
                    "planning",
                    format!("it reads `{table}`, which is neither an evidence table nor a rule"),
                ));
            }
        }
        deps.push(d);
    }
    Ok(deps)
}

/// The rules in waves: each wave holds the rules whose inputs are all evidence or rules of
/// earlier waves (in the catalog's order), so the rules of one wave could run at the same time.
/// A dependency cycle is an error naming the rules in it.
pub fn waves(ctx: &SessionContext) -> Result<Vec<Vec<RuleDef>>> {
    Ok(waves_of(&dependencies(ctx)?)?
        .into_iter()
        .map(|wave| wave.into_iter().map(|i| RULES[i]).collect())
        .collect())
}

/// [`waves`] over the dependencies ([`dependencies`]), as indices into [`RULES`].
fn waves_of(deps: &[BTreeSet<usize>]) -> Result<Vec<Vec<usize>>> {
    let mut placed = vec![false; RULES.len()];
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut count = 0;
    while count < RULES.len() {
        let ready: Vec<usize> = (0..RULES.len())
            .filter(|&i| !placed[i] && deps[i].iter().all(|&d| placed[d]))
            .collect();
        if ready.is_empty() {
            let stuck: Vec<_> = (0..RULES.len())
                .filter(|&i| !placed[i])
                .map(|i| RULES[i].name)
                .collect();
            return Err(EngineError::Other(format!(
                "the rules {} depend on each other in a cycle",
                stuck.join(", ")
            )));
        }
        for &i in &ready {
            placed[i] = true;
        }
        count += ready.len();
        out.push(ready);
    }
    Ok(out)
}

/// The rules in dependency order: wave after wave, the catalog's order within a wave.
pub fn ordered(ctx: &SessionContext) -> Result<Vec<RuleDef>> {
    Ok(waves(ctx)?.into_iter().flatten().collect())
}

/// Plans one rule against the session as it is now, with the parameters bound.
async fn plan_rule(ctx: &SessionContext, rule: &RuleDef, params: &RuleParams) -> Result<DataFrame> {
    let plan = ctx
        .state()
        .create_logical_plan(rule.sql)
        .await
        .map_err(|e| rule_error(rule.name, "planning", e))?;
    let plan = plan
        .with_param_values(params.values())
        .map_err(|e| rule_error(rule.name, "binding its parameters", e))?;
    Ok(DataFrame::new(ctx.state(), plan))
}

/// The names of the tables a plan scans (views and cached rules by their names).
pub fn scanned_tables(plan: &LogicalPlan) -> Vec<String> {
    let mut out = BTreeSet::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            out.insert(scan.table_name.table().to_string());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out.into_iter().collect()
}

/// The evidence the rules read: per evidence table any rule scans, the positions (in the
/// spec's order) of the columns their optimized plans take from it — the columns a scan
/// projects and those its pushed-down filters name. A table no rule scans is absent.
pub fn evidence_read(planned: &[PlannedRule]) -> BTreeMap<&'static str, Vec<usize>> {
    let mut read: BTreeMap<&'static str, (&'static TableSpec, BTreeSet<String>)> = BTreeMap::new();
    for rule in planned {
        let _ = rule.optimized.apply_with_subqueries(|node| {
            if let LogicalPlan::TableScan(scan) = node {
                let table = scan.table_name.table();
                if let Some(spec) = registry()
                    .iter()
                    .find(|s| s.name == table && s.layer == Layer::Evidence)
                {
                    let (_, cols) = read.entry(spec.name).or_insert((spec, BTreeSet::new()));
                    // (Without a projection, the projected schema is the whole table's.)
                    cols.extend(
                        scan.projected_schema
                            .fields()
                            .iter()
                            .map(|f| f.name().clone()),
                    );
                    for filter in &scan.filters {
                        cols.extend(filter.column_refs().into_iter().map(|c| c.name.clone()));
                    }
                }
            }
            Ok(TreeNodeRecursion::Continue)
        });
    }
    read.into_iter()
        .map(|(table, (spec, cols))| {
            let positions = spec
                .schema
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| cols.contains(f.name()))
                .map(|(i, _)| i)
                .collect();
            (table, positions)
        })
        .collect()
}

/// Plans every rule without running any. Each rule is planned against the ones before it
/// registered as empty tables of their result schemas, so a rule's optimized plan is its own
/// (upstream rules are not inlined into it); its fingerprint hashes that plan together with the
/// fingerprints of the rules it reads, so a change anywhere upstream changes it too. Used by
/// `codelake plan` and for the manifest.
pub async fn plan_all(ctx: &SessionContext, params: &RuleParams) -> Result<Vec<PlannedRule>> {
    let mut out: Vec<PlannedRule> = Vec::new();
    for rule in ordered(ctx)? {
        let df = plan_rule(ctx, &rule, params).await?;
        let plan = df.logical_plan().clone();
        let optimized = ctx
            .state()
            .optimize(&plan)
            .map_err(|e| rule_error(rule.name, "optimizing", e))?;
        let schema = Arc::new(plan.schema().as_arrow().clone());
        replace_table(ctx, rule.name, Arc::new(EmptyTable::new(schema.clone())))?;
        let mut inputs = scanned_tables(&plan);
        let mut hasher = blake3::Hasher::new();
        hasher.update(optimized.display_indent().to_string().as_bytes());
        if let Some(step) = rule.step {
            // The step reads the relation and its delta, both of the first facts' schema.
            let delta = fixpoint::delta_name(rule.name);
            replace_table(ctx, &delta, Arc::new(EmptyTable::new(schema)))?;
            let step_plan = fixpoint::plan_step(ctx, &rule, step, params).await?;
            let step_optimized = ctx
                .state()
                .optimize(&step_plan)
                .map_err(|e| rule_error(rule.name, "optimizing its step", e))?;
            hasher.update(step_optimized.display_indent().to_string().as_bytes());
            for t in scanned_tables(&step_plan) {
                if t != rule.name && t != delta && !inputs.contains(&t) {
                    inputs.push(t);
                }
            }
            inputs.sort();
        }
        for input in &inputs {
            if let Some(up) = out.iter().find(|p| p.def.name == input) {
                hasher.update(up.def.name.as_bytes());
                hasher.update(up.fingerprint.as_bytes());
            }
        }
        out.push(PlannedRule {
            def: rule,
            inputs,
            fingerprint: hasher.finalize().to_hex()[..16].to_string(),
            plan,
            optimized,
        });
    }
    Ok(out)
}

/// Counts one read of each of `tables` done, and drops from the session those no rule is
/// left to read.
fn release_read_tables(
    ctx: &SessionContext,
    readers: &std::sync::Mutex<HashMap<String, usize>>,
    tables: &[String],
) -> Result<()> {
    let done: Vec<String> = {
        let mut readers = readers
            .lock()
            .map_err(|_| EngineError::Other("the rules' reader counts are poisoned".into()))?;
        tables
            .iter()
            .filter(|t| {
                readers.get_mut(*t).is_some_and(|n| {
                    *n -= 1;
                    *n == 0
                })
            })
            .cloned()
            .collect()
    };
    for t in done {
        ctx.deregister_table(t.as_str()).map_err(|e| {
            EngineError::Other(format!("dropping table {t} after its last reader: {e}"))
        })?;
    }
    Ok(())
}

fn replace_table(ctx: &SessionContext, name: &str, table: Arc<dyn TableProvider>) -> Result<()> {
    ctx.deregister_table(name)
        .and_then(|_| ctx.register_table(name, table))
        .map_err(|e| rule_error(name, "registering its result", e))?;
    Ok(())
}

/// What running one rule did.
#[derive(Debug, Clone)]
pub struct RuleRun {
    pub name: &'static str,
    pub kind: RuleKind,
    pub inputs: Vec<String>,
    pub rows: usize,
    /// When the rule started, from the start of the first rule.
    pub started: Duration,
    pub elapsed: Duration,
    /// The physical plan the rule ran, each operator with its metrics (rows, time), as
    /// `EXPLAIN ANALYZE` shows them; written to `_codelake/rules_profile.txt`.
    pub profile: String,
}

/// What an output rule's write did.
pub struct Written {
    pub rows: usize,
    /// The provider to read the table back with.
    pub table: Arc<dyn TableProvider>,
    /// The physical plan that produced the rows (its metrics filled in by the run).
    pub plan: Arc<dyn ExecutionPlan>,
}

/// The plan with the metrics of its run, one operator per line.
pub fn render_profile(plan: &dyn ExecutionPlan) -> String {
    datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(plan)
        .indent(true)
        .to_string()
}

/// Where output rules write: the build supplies the Delta writer (`build::DeltaOutputs`).
#[async_trait::async_trait]
pub trait OutputWriter: Send + Sync {
    /// Replaces the table of `spec` with the rows of `df` (already shaped and sorted as the
    /// spec says).
    async fn write(&self, spec: &'static TableSpec, df: DataFrame) -> Result<Written>;
}

/// Shapes a rule's result as its spec: the spec's columns, in order, cast to the spec's types,
/// sorted by the spec's sort order (so the same input writes the same rows in the same order).
pub fn shape_for_spec(rule: &str, df: DataFrame, spec: &TableSpec) -> Result<DataFrame> {
    let have = df.schema().clone();
    let mut exprs = Vec::new();
    for (i, field) in spec.schema.fields().iter().enumerate() {
        let Some((_, src)) = have.iter().nth(i) else {
            return Err(rule_error(
                rule,
                "shaping its result",
                format!("column {} of {} is missing", field.name(), spec.name),
            ));
        };
        if src.name() != field.name() {
            return Err(rule_error(
                rule,
                "shaping its result",
                format!(
                    "column {} of {} is `{}` in the rule",
                    field.name(),
                    spec.name,
                    src.name()
                ),
            ));
        }
        let c = df_col(datafusion::common::Column::from_name(src.name()));
        // Nested columns (structs, lists, maps) are cast batch by batch as they are written,
        // by arrow, which also renames nested fields; DataFusion casts the rest here.
        let e = if src.data_type() == field.data_type() || field.data_type().is_nested() {
            c
        } else {
            cast(c, field.data_type().clone())
        };
        exprs.push(e.alias(field.name()));
    }
    if have.fields().len() != spec.schema.fields().len() {
        return Err(rule_error(
            rule,
            "shaping its result",
            format!(
                "it yields {} columns, {} has {}",
                have.fields().len(),
                spec.name,
                spec.schema.fields().len()
            ),
        ));
    }
    let sort: Vec<Sort> = spec
        .sort_order
        .iter()
        .map(|c| df_col(datafusion::common::Column::from_name(*c)).sort(true, true))
        .collect();
    df.select(exprs)
        .and_then(|df| {
            if sort.is_empty() {
                Ok(df)
            } else {
                df.sort(sort)
            }
        })
        .map_err(|e| rule_error(rule, "shaping its result", e))
}

/// Called as each rule starts: its name, its position (from 1) and the number of rules.
pub type OnRule = Arc<dyn Fn(&str, usize, usize) + Send + Sync>;

/// Runs every rule, each on its own task as soon as the rules it reads have finished (so that,
/// say, `cpg_nodes` is written while the call edges are still being resolved, and two outputs
/// encode Parquet on two cores). A rule is planned against the session once its inputs are
/// registered there; an intermediate is cached in memory and registered under its name; an
/// output is written by `writer` and registered as what it returns. A table (evidence or
/// intermediate) leaves the session once the last rule that reads it has run, so that its
/// memory is reused by the rules still running. Returns what each rule did,
/// in dependency order; if rules fail, the error of the first of them in that order (a rule
/// whose input failed is not run).
pub async fn run_all(
    ctx: &SessionContext,
    params: &RuleParams,
    writer: Arc<dyn OutputWriter>,
    on_rule: OnRule,
) -> Result<Vec<RuleRun>> {
    use futures::FutureExt;
    use futures::future::{BoxFuture, Shared};

    type Finished = Shared<BoxFuture<'static, bool>>;
    let reads = references(ctx)?;
    let deps = dependencies_of(&reads)?;
    let order: Vec<usize> = waves_of(&deps)?.into_iter().flatten().collect();
    // Every table (evidence or rule result) with the number of rules still to read it: when
    // the last has run, the table leaves the session and its batches are freed, for the
    // rules still running to reuse.
    let mut readers: HashMap<String, usize> = HashMap::new();
    for t in reads.iter().flatten() {
        *readers.entry(t.clone()).or_default() += 1;
    }
    let readers = Arc::new(std::sync::Mutex::new(readers));
    let total = order.len();
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let epoch = Instant::now();
    let mut finished: HashMap<&'static str, Finished> = HashMap::new();
    let mut tasks = Vec::with_capacity(total);
    for index in order {
        let rule = RULES[index];
        // The order puts every rule after the rules it reads, so their signals exist.
        let inputs: Vec<Finished> = deps[index]
            .iter()
            .filter_map(|&d| finished.get(RULES[d].name).cloned())
            .collect();
        let (tx, rx) = tokio::sync::oneshot::channel::<bool>();
        let (ctx, params, writer, on_rule, started, readers) = (
            ctx.clone(),
            params.clone(),
            writer.clone(),
            on_rule.clone(),
            started.clone(),
            readers.clone(),
        );
        let reads = reads[index].clone();
        tasks.push(tokio::spawn(async move {
            for input in inputs {
                if !input.await {
                    let _ = tx.send(false);
                    return Err(None);
                }
            }
            let n = started.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            on_rule(rule.name, n, total);
            let result = async {
                let (run, table) = if !params.enabled(&rule) {
                    skipped(&ctx, rule, &params, epoch).await?
                } else if rule.kind == RuleKind::Fixpoint {
                    fixpoint::run(&ctx, rule, &params, epoch).await?
                } else {
                    let df = plan_rule(&ctx, &rule, &params).await?;
                    run_rule(rule, df, writer, epoch).await?
                };
                replace_table(&ctx, run.name, table)?;
                release_read_tables(&ctx, &readers, &reads)?;
                Ok::<_, EngineError>(run)
            }
            .await;
            let _ = tx.send(result.is_ok());
            result.map_err(Some)
        }));
        finished.insert(rule.name, rx.map(|r| r.unwrap_or(false)).boxed().shared());
    }
    let mut runs = Vec::with_capacity(total);
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(run)) => runs.push(run),
            // Not run: an input failed, and that input's error comes first.
            Ok(Err(None)) => {}
            Ok(Err(Some(e))) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(EngineError::Other(format!("a rule's task failed: {e}")));
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(runs),
    }
}

/// A rule whose gate is off ([`catalog::gate`]): no rows, of the schema its plan has.
async fn skipped(
    ctx: &SessionContext,
    rule: RuleDef,
    params: &RuleParams,
    epoch: Instant,
) -> Result<(RuleRun, Arc<dyn TableProvider>)> {
    let start = Instant::now();
    let df = plan_rule(ctx, &rule, params).await?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let run = RuleRun {
        name: rule.name,
        kind: rule.kind,
        inputs: Vec::new(),
        rows: 0,
        started: start - epoch,
        elapsed: start.elapsed(),
        profile: format!(
            "Not run: its parameter `{}` is off\n",
            catalog::gate(&rule).unwrap_or("?")
        ),
    };
    Ok((run, Arc::new(EmptyTable::new(schema))))
}

/// Runs one planned rule: caches an intermediate, writes an output.
async fn run_rule(
    rule: RuleDef,
    df: DataFrame,
    writer: Arc<dyn OutputWriter>,
    epoch: Instant,
) -> Result<(RuleRun, Arc<dyn TableProvider>)> {
    let start = Instant::now();
    let inputs = scanned_tables(df.logical_plan());
    let (rows, table, plan): (usize, Arc<dyn TableProvider>, _) = match rule.kind {
        RuleKind::Intermediate => {
            // What `DataFrame::cache` does, keeping the physical plan for its metrics.
            let task = Arc::new(df.task_ctx());
            let plan = df
                .create_physical_plan()
                .await
                .map_err(|e| rule_error(rule.name, "planning", e))?;
            let partitions = collect_partitioned(plan.clone(), task)
                .await
                .map_err(|e| rule_error(rule.name, "running", e))?;
            let rows = partitions.iter().flatten().map(|b| b.num_rows()).sum();
            let table = MemTable::try_new(plan.schema(), partitions)
                .map_err(|e| rule_error(rule.name, "keeping its result", e))?;
            (rows, Arc::new(table), plan)
        }
        RuleKind::Fixpoint => {
            return Err(rule_error(
                rule.name,
                "running",
                "a fixpoint rule runs through its driver",
            ));
        }
        RuleKind::Output => {
            let spec = codelake_schema::spec(rule.name).ok_or_else(|| {
                rule_error(rule.name, "writing", "no table spec has the rule's name")
            })?;
            let shaped = shape_for_spec(rule.name, df, spec)?;
            let w = writer.write(spec, shaped).await?;
            (w.rows, w.table, w.plan)
        }
    };
    let run = RuleRun {
        name: rule.name,
        kind: rule.kind,
        inputs,
        rows,
        started: start - epoch,
        elapsed: start.elapsed(),
        profile: render_profile(plan.as_ref()),
    };
    Ok((run, table))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct RefusingWriter;

    #[async_trait::async_trait]
    impl OutputWriter for RefusingWriter {
        async fn write(&self, spec: &'static TableSpec, _df: DataFrame) -> Result<Written> {
            Err(EngineError::Other(format!(
                "{}: this test writes nothing",
                spec.name
            )))
        }
    }

    /// A rule that cannot be planned fails the run with its name; the rules that read it are
    /// not run, and every task has ended when run_all returns.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_rule_fails_the_run_naming_the_first_failure() {
        let ctx = crate::session::new_session_context();
        for spec in codelake_schema::layer(Layer::Evidence) {
            let schema = if spec.name == "bindings" {
                // No `name` column: every rule that reads bindings fails to plan.
                Arc::new(datafusion::arrow::datatypes::Schema::new(vec![
                    datafusion::arrow::datatypes::Field::new(
                        "binding_id",
                        datafusion::arrow::datatypes::DataType::Int64,
                        false,
                    ),
                ]))
            } else {
                spec.schema.clone()
            };
            ctx.register_table(spec.name, Arc::new(EmptyTable::new(schema)))
                .unwrap();
        }
        let started = Arc::new(std::sync::Mutex::new(Vec::new()));
        let on_rule: OnRule = {
            let started = started.clone();
            Arc::new(move |name, _, _| started.lock().unwrap().push(name.to_string()))
        };
        let err = run_all(
            &ctx,
            &RuleParams::default(),
            Arc::new(RefusingWriter),
            on_rule,
        )
        .await
        .unwrap_err()
        .to_string();
        // ref_candidates is the first rule (in dependency order) that reads bindings.
        assert!(err.starts_with("rule ref_candidates: planning"), "{err}");
        let started = started.lock().unwrap();
        assert!(started.iter().any(|r| r == "module_index"), "{started:?}");
        // dotted_targets reads ref_candidates: never started.
        assert!(
            !started.iter().any(|r| r == "dotted_targets"),
            "{started:?}"
        );
    }

    /// cpg_edges_by_src reads the edge rules itself (to run beside cpg_edges): an edge rule
    /// added to one of the two must be added to the other, at the same place (each list holds
    /// its edges in cpg_edges' order).
    #[test]
    fn both_edge_outputs_read_the_same_edge_rules() {
        let ctx = crate::session::new_session_context();
        let edge_rules = |name: &str| -> BTreeSet<String> {
            let rule = RULES.iter().find(|r| r.name == name).expect("rule");
            referenced_tables(&ctx, rule)
                .expect("tables")
                .into_iter()
                .collect()
        };
        let all = edge_rules("cpg_edges");
        assert_eq!(all.len(), 16, "{all:?}");
        assert!(all.iter().all(|t| t.starts_with("edges_")), "{all:?}");
        assert_eq!(edge_rules("cpg_edges_by_src"), all);
        let read_in_order = |name: &str| -> Vec<&str> {
            let rule = RULES.iter().find(|r| r.name == name).expect("rule");
            rule.sql
                .split_whitespace()
                .filter(|w| all.contains(*w))
                .collect()
        };
        assert_eq!(read_in_order("cpg_edges").len(), 16);
        assert_eq!(
            read_in_order("cpg_edges_by_src"),
            read_in_order("cpg_edges")
        );
        let description = description(RULES.iter().find(|r| r.name == "cpg_edges_by_src").unwrap());
        assert!(description.contains("order of cpg_edges"), "{description}");
    }

    #[test]
    fn every_output_rule_has_a_cpg_spec_and_every_cpg_spec_a_rule() {
        for rule in RULES.iter().filter(|r| r.kind == RuleKind::Output) {
            let spec = codelake_schema::spec(rule.name).expect("spec");
            assert_eq!(spec.layer, Layer::Cpg, "{}", rule.name);
        }
        for spec in codelake_schema::layer(Layer::Cpg) {
            assert!(
                RULES
                    .iter()
                    .any(|r| r.name == spec.name && r.kind == RuleKind::Output),
                "{} has no rule",
                spec.name
            );
        }
        for rule in RULES {
            assert!(
                !description(rule).is_empty(),
                "{} has no description",
                rule.name
            );
        }
    }
}
