//! Deterministic row order without sorting.
//!
//! The rules run in single-partition plans (see [`crate::session::rules_session_context`]):
//! scans read their files in order, joins probe in order and aggregates emit their groups as
//! first seen, so a plan's rows come out in an order fixed by its inputs. Only one place mixes
//! streams: where several partitions become one. A `UNION ALL` has a partition per branch, and
//! DataFusion's `CoalescePartitionsExec` (or a `RepartitionExec` to one partition) polls them all
//! at once and emits batches as they arrive — an order that changes from run to run.
//!
//! [`ConcatPartitions`] is the optimizer rule that replaces those merges with
//! [`ConcatPartitionsExec`], which reads the partitions one after the other: partition 0 to its
//! end, then partition 1, and so on. The same inputs then give the same rows in the same order,
//! and the outputs are written as they are produced instead of being sorted first.

use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::EmptyRecordBatchStream;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::stream::{
    RecordBatchReceiverStreamBuilder, RecordBatchStreamAdapter,
};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties,
};
use futures::StreamExt;

/// All partitions of the input as one, in partition order.
#[derive(Debug)]
pub struct ConcatPartitionsExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl ConcatPartitionsExec {
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        // One partition, and (like CoalescePartitionsExec) no ordering claimed: each
        // partition's order is kept, but no column orders the whole.
        let mut eq = input.equivalence_properties().clone();
        eq.clear_orderings();
        eq.clear_per_partition_constants();
        let properties = PlanProperties::new(
            eq,
            Partitioning::UnknownPartitioning(1),
            input.pipeline_behavior(),
            input.boundedness(),
        );
        Self {
            input,
            properties: Arc::new(properties),
        }
    }
}

impl DisplayAs for ConcatPartitionsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "ConcatPartitionsExec")
    }
}

impl ExecutionPlan for ConcatPartitionsExec {
    fn name(&self) -> &str {
        "ConcatPartitionsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Self::new(input))),
            _ => Err(datafusion::error::DataFusionError::Internal(
                "ConcatPartitionsExec takes one input".to_string(),
            )),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(datafusion::error::DataFusionError::Internal(format!(
                "ConcatPartitionsExec has one partition, not {partition}"
            )));
        }
        let input = Arc::clone(&self.input);
        let n = input.output_partitioning().partition_count();
        if n == 0 {
            return Ok(Box::pin(EmptyRecordBatchStream::new(self.schema())));
        }
        // Partition i is read to its end before partition i + 1, but i + 1 already runs in a
        // task of its own while i is read (at most a few batches ahead): the aggregate of a
        // `UNION ALL` branch groups its input while the branch before it is written, instead
        // of after it. Only one partition runs ahead, so memory stays that of two branches.
        let first = input.execute(0, Arc::clone(&context))?;
        let state = Concat {
            next: (n > 1).then(|| ahead(&input, 1, &context)),
            input,
            context,
            partitions: n,
            index: 0,
            current: first,
        };
        let batches = futures::stream::unfold(state, |mut s| async move {
            loop {
                if let Some(item) = s.current.next().await {
                    return Some((item, s));
                }
                let next = s.next.take()?;
                s.index += 1;
                s.current = next;
                if s.index + 1 < s.partitions {
                    s.next = Some(ahead(&s.input, s.index + 1, &s.context));
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            batches,
        )))
    }
}

/// The state of a [`ConcatPartitionsExec`] stream.
struct Concat {
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
    partitions: usize,
    /// The partition being read.
    index: usize,
    current: SendableRecordBatchStream,
    /// The partition after it, running ahead.
    next: Option<SendableRecordBatchStream>,
}

/// Batches a partition runs ahead of its reader.
const AHEAD_BATCHES: usize = 2;

/// Partition `i` of `input`, run in a task of its own into a buffer of [`AHEAD_BATCHES`]
/// batches (the task ends when the stream is dropped). An error starting it is the stream's
/// only item.
fn ahead(
    input: &Arc<dyn ExecutionPlan>,
    i: usize,
    context: &Arc<TaskContext>,
) -> SendableRecordBatchStream {
    let mut builder = RecordBatchReceiverStreamBuilder::new(input.schema(), AHEAD_BATCHES);
    let tx = builder.tx();
    let started = input.execute(i, Arc::clone(context));
    builder.spawn(async move {
        let mut stream = match started {
            Ok(stream) => stream,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return Ok(());
            }
        };
        while let Some(item) = stream.next().await {
            if tx.send(item).await.is_err() {
                break;
            }
        }
        Ok(())
    });
    builder.build()
}

/// Replaces every merge of several partitions into one (`CoalescePartitionsExec` without a
/// limit, `RepartitionExec` to one partition without order preservation) by a
/// [`ConcatPartitionsExec`].
#[derive(Debug, Default)]
pub struct ConcatPartitions;

impl PhysicalOptimizerRule for ConcatPartitions {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Bottom up: a merge placed below an aggregate's final half is in place when that half
        // is visited.
        plan.transform_up(|node| {
            if let Some(single) = single_aggregate(&node)? {
                return Ok(Transformed::yes(single));
            }
            let merged_input = if let Some(c) = node.downcast_ref::<CoalescePartitionsExec>() {
                (c.fetch().is_none()).then(|| Arc::clone(c.input()))
            } else if let Some(r) = node.downcast_ref::<RepartitionExec>() {
                (r.partitioning().partition_count() == 1 && !r.preserve_order())
                    .then(|| Arc::clone(r.input()))
            } else {
                None
            };
            match merged_input {
                Some(input) if input.output_partitioning().partition_count() > 1 => Ok(
                    Transformed::yes(Arc::new(ConcatPartitionsExec::new(input)) as _),
                ),
                _ => Ok(Transformed::no(node)),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "concat_partitions"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// An aggregate split in two around a merge of partitions — `Final` over
/// `ConcatPartitionsExec` over `Partial` — as one `Single` aggregate over the merged input of
/// the partial one. The partial half otherwise does the whole grouping once per partition and
/// the final half repeats it over the partial groups (for `cpg_edges_by_src`, as many partial
/// lists as there are sources). The result is the same,
/// in the same order: groups come out as first seen in the concatenated input either way, and
/// each group's values accumulate in that order. Aggregates that need their input ordered (an
/// `ORDER BY` inside the aggregate) or group by grouping sets are left as they are.
fn single_aggregate(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(last) = node.downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    if *last.mode() != AggregateMode::Final {
        return Ok(None);
    }
    let Some(concat) = last.input().downcast_ref::<ConcatPartitionsExec>() else {
        return Ok(None);
    };
    let Some(first) = concat.input.downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    if *first.mode() != AggregateMode::Partial
        || !first.group_expr().is_single()
        || first.required_input_ordering().iter().any(Option::is_some)
        || last.limit_options().is_some()
    {
        return Ok(None);
    }
    let single = AggregateExec::try_new(
        AggregateMode::Single,
        first.group_expr().clone(),
        first.aggr_expr().to_vec(),
        first.filter_expr().to_vec(),
        single_partition(Arc::clone(first.input())),
        first.input_schema(),
    )?;
    if single.schema() != last.schema() {
        return Ok(None);
    }
    Ok(Some(Arc::new(single)))
}

/// A plan with one output partition: the plan itself, or its partitions concatenated in order.
pub fn single_partition(plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
    if plan.output_partitioning().partition_count() > 1 {
        Arc::new(ConcatPartitionsExec::new(plan))
    } else {
        plan
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Array, Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::physical_plan::displayable;

    /// A `UNION ALL` of tables with several partitions and batches comes out in plan order —
    /// the first branch's partitions in order, then the second's — every time, and the merge
    /// that would race is gone from the plan.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_union_comes_out_in_plan_order() {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let batch = |from: i64| {
            RecordBatch::try_new(
                schema.clone(),
                vec![Arc::new(Int64Array::from_iter_values(from..from + 1000))],
            )
            .unwrap()
        };
        // Two tables of three partitions of two batches each: values 0..6000 and 10000..16000.
        let table = |base: i64| {
            let partitions = (0..3)
                .map(|p| vec![batch(base + p * 2000), batch(base + p * 2000 + 1000)])
                .collect();
            Arc::new(MemTable::try_new(schema.clone(), partitions).unwrap())
        };
        let ctx = crate::session::rules_session_context();
        ctx.register_table("a", table(0)).unwrap();
        ctx.register_table("b", table(10_000)).unwrap();
        let expected: Vec<i64> = (0..6000).chain(10_000..16_000).map(|v| v + 1).collect();
        for _ in 0..20 {
            let df = ctx
                .sql("SELECT v + 1 AS v FROM a UNION ALL SELECT v + 1 FROM b")
                .await
                .unwrap();
            let plan = df.create_physical_plan().await.unwrap();
            let shown = displayable(plan.as_ref()).indent(false).to_string();
            assert!(!shown.contains("CoalescePartitionsExec"), "{shown}");
            let stream = datafusion::physical_plan::execute_stream(
                super::single_partition(plan),
                ctx.task_ctx(),
            )
            .unwrap();
            let batches: Vec<RecordBatch> =
                futures::TryStreamExt::try_collect(stream).await.unwrap();
            let got: Vec<i64> = batches
                .iter()
                .flat_map(|b| {
                    let c = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
                    (0..c.len()).map(|i| c.value(i)).collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(got, expected);
        }
    }

    /// A merge the optimizer puts inside a plan (here: the build side of a join, collected from
    /// a union) is replaced too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn merges_inside_a_plan_are_concatenations() {
        let sql = "WITH u AS (SELECT 1 AS k UNION ALL SELECT 2) \
                   SELECT x.k FROM u x JOIN (SELECT 1 AS k UNION ALL SELECT 2) y ON x.k = y.k";
        // Without the rule, the same one-partition session merges the union racily.
        let plain = crate::session::new_session_context();
        plain
            .sql("SET datafusion.execution.target_partitions = 1")
            .await
            .unwrap();
        let plan = plain
            .sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let shown = displayable(plan.as_ref()).indent(false).to_string();
        assert!(shown.contains("CoalescePartitionsExec"), "{shown}");

        let ctx = crate::session::rules_session_context();
        let df = ctx.sql(sql).await.unwrap();
        let plan = df.clone().create_physical_plan().await.unwrap();
        let shown = displayable(plan.as_ref()).indent(false).to_string();
        assert!(!shown.contains("CoalescePartitionsExec"), "{shown}");
        assert!(shown.contains("ConcatPartitionsExec"), "{shown}");
        assert!(
            !shown.contains("RepartitionExec") || !shown.contains("partitioning=Hash"),
            "{shown}"
        );
        let rows = df.count().await.unwrap();
        assert_eq!(rows, 2);
    }

    /// Grouping the union of several partitions is one `Single` aggregate over their
    /// concatenation: groups come out as first seen in plan order, each group's values in that
    /// order, as the split `Partial`/`Final` pair gave them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_aggregate_over_merged_partitions_is_planned_once() {
        use datafusion::arrow::array::{AsArray, ListArray};
        use datafusion::arrow::datatypes::Int64Type;
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("v", DataType::Int64, false),
        ]));
        // Two partitions: keys 3, 1 then 1, 2, 3; values numbered in plan order.
        let batch = |k: Vec<i64>, v: Vec<i64>| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(k)) as _,
                    Arc::new(Int64Array::from(v)) as _,
                ],
            )
            .unwrap()
        };
        let table = MemTable::try_new(
            schema.clone(),
            vec![
                vec![batch(vec![3, 1], vec![0, 1])],
                vec![batch(vec![1, 2, 3], vec![2, 3, 4])],
            ],
        )
        .unwrap();
        let ctx = crate::session::rules_session_context();
        ctx.register_table("t", Arc::new(table)).unwrap();
        let df = ctx
            .sql("SELECT k, array_agg(v) AS vs, count(*) AS n FROM t GROUP BY k")
            .await
            .unwrap();
        let plan = df.create_physical_plan().await.unwrap();
        let shown = displayable(plan.as_ref()).indent(false).to_string();
        assert!(shown.contains("AggregateExec: mode=Single"), "{shown}");
        assert!(!shown.contains("mode=Partial"), "{shown}");
        assert!(shown.contains("ConcatPartitionsExec"), "{shown}");
        let batches = datafusion::physical_plan::collect(plan, ctx.task_ctx())
            .await
            .unwrap();
        let mut got = Vec::new();
        for b in &batches {
            let keys = b.column(0).as_primitive::<Int64Type>();
            let lists = b.column(1).as_any().downcast_ref::<ListArray>().unwrap();
            for i in 0..b.num_rows() {
                let values: Vec<i64> = lists.value(i).as_primitive::<Int64Type>().values().to_vec();
                got.push((keys.value(i), values));
            }
        }
        assert_eq!(got, vec![(3, vec![0, 4]), (1, vec![1, 2]), (2, vec![3])]);
    }
}
