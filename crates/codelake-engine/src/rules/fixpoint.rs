//! The fixpoint driver: a recursive rule ([`RuleKind::Fixpoint`]) computed by semi-naive
//! iteration, every round a DataFusion plan.
//!
//! The rule's SQL gives the first facts. `<name>` (every fact so far: the batches of all rounds,
//! appended, never copied) and `<name>_delta` (the facts new in the last round) are round
//! tables, whose scans read the batches they hold when the plan runs: the step is planned once,
//! and each round resets the plan's state, sets the two tables and runs it again, keeping the
//! step's facts that are not yet known (`EXCEPT`, which
//! compares nulls as equal and removes duplicates). A step derives its facts from the delta
//! joined with the other relations (for a join of two recursive atoms, the delta of each with
//! all of the other), so a round costs what is new, not what is known. The iteration ends in
//! the round that finds nothing new; `max_rounds` (a rule parameter) bounds it, and a rule
//! that reaches it fails the build rather than stopping short of its fixpoint.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::catalog::TableProvider;
use datafusion::common::ScalarValue;
use datafusion::common::{DataFusionError, Result as DFResult};
use datafusion::datasource::MemTable;
use datafusion::datasource::TableType;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::collect;
use datafusion::physical_plan::execution_plan::reset_plan_states;
use datafusion::physical_plan::memory::{LazyBatchGenerator, LazyMemoryExec};
use datafusion::prelude::{DataFrame, SessionContext};

use super::{RuleDef, RuleKind, RuleParams, RuleRun, plan_rule, replace_table, rule_error};
use crate::error::{EngineError, Result};

/// A table whose batches change from round to round under one physical plan: its scan is a
/// `LazyMemoryExec` whose generator reads the batches held at execution time (and starts over
/// when the plan's state is reset), so the step is planned once, not once per round.
#[derive(Debug)]
struct RoundTable {
    schema: SchemaRef,
    batches: Arc<std::sync::RwLock<Vec<RecordBatch>>>,
}

impl RoundTable {
    fn new(schema: SchemaRef) -> Self {
        Self {
            schema,
            batches: Arc::default(),
        }
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Vec<RecordBatch>>> {
        self.batches
            .write()
            .map_err(|_| EngineError::Other("a fixpoint's round table is poisoned".into()))
    }

    fn set(&self, batches: Vec<RecordBatch>) -> Result<()> {
        *self.write()? = batches;
        Ok(())
    }

    fn append(&self, batches: &[RecordBatch]) -> Result<()> {
        self.write()?.extend_from_slice(batches);
        Ok(())
    }

    fn take(&self) -> Result<Vec<RecordBatch>> {
        Ok(std::mem::take(&mut *self.write()?))
    }
}

#[derive(Debug)]
struct RoundBatches {
    batches: Arc<std::sync::RwLock<Vec<RecordBatch>>>,
    next: usize,
}

impl std::fmt::Display for RoundBatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "round batches")
    }
}

impl LazyBatchGenerator for RoundBatches {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn generate_next_batch(&mut self) -> DFResult<Option<RecordBatch>> {
        let batches = self
            .batches
            .read()
            .map_err(|_| DataFusionError::Execution("a round table is poisoned".into()))?;
        let batch = batches.get(self.next).cloned();
        self.next += 1;
        Ok(batch)
    }

    fn reset_state(&self) -> Arc<parking_lot::RwLock<dyn LazyBatchGenerator>> {
        Arc::new(parking_lot::RwLock::new(RoundBatches {
            batches: self.batches.clone(),
            next: 0,
        }))
    }
}

#[async_trait::async_trait]
impl TableProvider for RoundTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        let generator: Arc<parking_lot::RwLock<dyn LazyBatchGenerator>> =
            Arc::new(parking_lot::RwLock::new(RoundBatches {
                batches: self.batches.clone(),
                next: 0,
            }));
        let exec = LazyMemoryExec::try_new(self.schema.clone(), vec![generator])?
            .with_projection(projection.cloned());
        Ok(Arc::new(exec))
    }
}

/// The name under which a fixpoint's step reads the facts new in the last round.
pub fn delta_name(name: &str) -> String {
    format!("{name}_delta")
}

/// The bound on the rounds of a fixpoint when the parameters do not set `max_rounds`.
pub const DEFAULT_MAX_ROUNDS: u64 = 1000;

/// Plans a fixpoint's step against the session as it is (the relation and its delta
/// registered), with the parameters bound.
pub(super) async fn plan_step(
    ctx: &SessionContext,
    rule: &RuleDef,
    step: &str,
    params: &RuleParams,
) -> Result<LogicalPlan> {
    let plan = ctx
        .state()
        .create_logical_plan(step)
        .await
        .map_err(|e| rule_error(rule.name, "planning its step", e))?;
    plan.with_param_values(params.values())
        .map_err(|e| rule_error(rule.name, "binding its step's parameters", e))
}

/// One round of a fixpoint: the facts it added and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    pub new: usize,
    pub total: usize,
    pub millis: f64,
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

fn max_rounds(params: &RuleParams) -> u64 {
    match params.0.get("max_rounds") {
        Some(ScalarValue::Int64(Some(n))) if *n > 0 => *n as u64,
        _ => DEFAULT_MAX_ROUNDS,
    }
}

/// Runs a fixpoint rule to its fixpoint; the result is a `MemTable` of every fact, in the
/// order the rounds found them.
pub(super) async fn run(
    ctx: &SessionContext,
    rule: RuleDef,
    params: &RuleParams,
    epoch: Instant,
) -> Result<(RuleRun, Arc<dyn TableProvider>)> {
    debug_assert_eq!(rule.kind, RuleKind::Fixpoint);
    let start = Instant::now();
    let step = rule
        .step
        .ok_or_else(|| rule_error(rule.name, "planning", "a fixpoint rule without a step"))?;
    let delta = delta_name(rule.name);
    let first = plan_rule(ctx, &rule, params).await?;
    // Every round's batches take one schema: the first facts' columns, all nullable and
    // without field metadata (the step's plan may differ from the first facts' in both).
    let schema = Arc::new(Schema::new(
        first
            .schema()
            .as_arrow()
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let conform = |batches: Vec<RecordBatch>| -> Result<Vec<RecordBatch>> {
        batches
            .into_iter()
            .filter(|b| b.num_rows() > 0)
            .map(|b| {
                RecordBatch::try_new(schema.clone(), b.columns().to_vec())
                    .map_err(|e| rule_error(rule.name, "running", format!("a round's facts: {e}")))
            })
            .collect()
    };
    let first = first
        .distinct()
        .map_err(|e| rule_error(rule.name, "planning", e))?;
    let mut round_start = Instant::now();
    let mut new: Vec<RecordBatch> = conform(
        first
            .collect()
            .await
            .map_err(|e| rule_error(rule.name, "running", e))?,
    )?;
    let mut total = rows(&new);
    let mut rounds = vec![Round {
        new: total,
        total,
        millis: round_start.elapsed().as_secs_f64() * 1e3,
    }];
    let limit = max_rounds(params);
    // The relation and its delta as round tables, and the step (what it derives, less what is
    // known) planned once; each round resets the plan's state and runs it again.
    let known_table = Arc::new(RoundTable::new(schema.clone()));
    let delta_table = Arc::new(RoundTable::new(schema.clone()));
    known_table.append(&new)?;
    replace_table(ctx, rule.name, known_table.clone())?;
    replace_table(ctx, &delta, delta_table.clone())?;
    let derived = plan_step(ctx, &rule, step, params).await?;
    let known = ctx
        .table(rule.name)
        .await
        .map_err(|e| rule_error(rule.name, "reading its facts", e))?
        .into_unoptimized_plan();
    let fresh = LogicalPlanBuilder::except(derived, known, false)
        .map_err(|e| rule_error(rule.name, "planning its step", e))?;
    // Dynamic filters (a hash join's build side filtering its probe side's scan) belong to one
    // execution: a plan run again must not carry them (see `reset_plan_states`).
    let mut state = ctx.state();
    let options = state.config_mut().options_mut();
    options.optimizer.enable_dynamic_filter_pushdown = false;
    options.optimizer.enable_join_dynamic_filter_pushdown = false;
    let df = DataFrame::new(state, fresh);
    let task = Arc::new(df.task_ctx());
    let physical = df
        .create_physical_plan()
        .await
        .map_err(|e| rule_error(rule.name, "planning its step", e))?;
    while !new.is_empty() {
        if rounds.len() as u64 > limit {
            return Err(rule_error(
                rule.name,
                "running",
                format!(
                    "no fixpoint after {limit} rounds ({total} facts; raise --param max_rounds=N)"
                ),
            ));
        }
        round_start = Instant::now();
        delta_table.set(std::mem::take(&mut new))?;
        let plan = reset_plan_states(physical.clone())
            .map_err(|e| rule_error(rule.name, "running its step", e))?;
        new = conform(
            collect(plan, task.clone())
                .await
                .map_err(|e| rule_error(rule.name, "running its step", e))?,
        )?;
        // The facts known are appended to, in place: the next round's scans read them all.
        known_table.append(&new)?;
        total += rows(&new);
        rounds.push(Round {
            new: rows(&new),
            total,
            millis: round_start.elapsed().as_secs_f64() * 1e3,
        });
    }
    ctx.deregister_table(delta.as_str())
        .map_err(|e| rule_error(rule.name, "dropping its delta", e))?;
    let table: Arc<dyn TableProvider> = Arc::new(
        MemTable::try_new(schema.clone(), vec![known_table.take()?])
            .map_err(|e| rule_error(rule.name, "keeping its facts", e))?,
    );
    let run = RuleRun {
        name: rule.name,
        kind: rule.kind,
        inputs: Vec::new(),
        rows: total,
        started: start - epoch,
        elapsed: start.elapsed(),
        profile: render_rounds(&rounds),
    };
    Ok((run, table))
}

/// The rounds of a fixpoint as its profile: one line per round.
fn render_rounds(rounds: &[Round]) -> String {
    let mut out = format!(
        "Fixpoint: {} rounds (the last finds nothing new)\n",
        rounds.len()
    );
    for (i, r) in rounds.iter().enumerate() {
        out.push_str(&format!(
            "  round {i}: {} new, {} in all, {:.1} ms\n",
            r.new, r.total, r.millis
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Transitive closure of a chain with a cycle: semi-naive rounds reach the closure and
    /// stop; each fact appears once.
    #[tokio::test]
    async fn a_fixpoint_reaches_the_closure_and_stops() {
        let ctx = crate::session::new_session_context();
        ctx.sql("CREATE TABLE edge(a BIGINT, b BIGINT) AS VALUES (1,2),(2,3),(3,4),(4,2),(5,NULL)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let rule = RuleDef {
            name: "reach",
            layer: super::super::RuleLayer::Calls,
            kind: RuleKind::Fixpoint,
            sql: "SELECT e.a, e.b FROM edge e",
            step: Some("SELECT d.a, e.b FROM reach_delta d JOIN edge e ON e.a = d.b"),
        };
        let (run, table) = run(&ctx, rule, &RuleParams::default(), Instant::now())
            .await
            .unwrap();
        ctx.register_table("closure", table).unwrap();
        let got = ctx
            .sql("SELECT a, b FROM closure ORDER BY a, b NULLS LAST")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&got)
            .unwrap()
            .to_string();
        let pairs: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("| "))
            .skip(1)
            .collect();
        // 1 reaches 2, 3, 4; 2, 3 and 4 reach each other and themselves; 5 has its null.
        assert_eq!(pairs.len(), 3 + 9 + 1, "{text}");
        assert_eq!(run.rows, 13);
        assert!(run.profile.contains("round 3: 0 new"), "{}", run.profile);
        // A bound below the rounds needed is an error naming the rule, not a short result.
        let mut params = RuleParams::default();
        params
            .0
            .insert("max_rounds".into(), ScalarValue::Int64(Some(1)));
        let err = super::run(&ctx, rule, &params, Instant::now())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rule reach") && err.contains("no fixpoint after 1 rounds"),
            "{err}"
        );
    }
}
