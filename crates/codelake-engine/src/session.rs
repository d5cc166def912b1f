//! The DataFusion session: every table of the registry registered as a Delta table provider,
//! with `information_schema` enabled, validated against its spec.

use std::path::Path;
use std::sync::Arc;

use codelake_schema::{TableSpec, registry};
use datafusion::execution::SessionStateBuilder;
use datafusion::optimizer::{Optimizer, OptimizerRule};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::prelude::{SessionConfig, SessionContext};
use deltalake::DeltaTable;
use deltalake::delta_datafusion::DeltaTableFactory;

use codelake_schema::Layer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::sql::sqlparser::ast;

use crate::error::{DfContext, EngineError, Result};
use crate::{info_schema, storage, udf};

/// A session configured for codelake: `information_schema` on, the `DELTATABLE` format
/// registered for `CREATE EXTERNAL TABLE ... STORED AS DELTATABLE`.
pub fn new_session_context() -> SessionContext {
    new_session(SessionConfig::new())
}

/// A session like [`new_session_context`] with DataFusion settings (`datafusion.*` keys) set
/// first. With `datafusion.catalog.location` (a URL, or a local directory) and
/// `datafusion.catalog.format` (PARQUET, CSV, JSON, DELTATABLE, ...), every subdirectory of the
/// location is a table of the schema `default`: `SELECT ... FROM "default".coverage`.
pub async fn new_session_with(settings: &[(String, String)]) -> Result<SessionContext> {
    let mut config = SessionConfig::new();
    for (key, value) in settings {
        let value = if key == "datafusion.catalog.location" {
            catalog_url(value)?
        } else {
            value.clone()
        };
        config
            .options_mut()
            .set(key, &value)
            .df_context(|| format!("setting {key}"))?;
    }
    let ctx = new_session(config);
    if let Some(schema) = ctx.catalog("datafusion").and_then(|c| c.schema("default"))
        && let Some(listing) =
            schema.downcast_ref::<datafusion::catalog::listing_schema::ListingSchemaProvider>()
    {
        listing
            .refresh(&ctx.state())
            .await
            .df_context(|| "reading the tables of datafusion.catalog.location".to_string())?;
    }
    Ok(ctx)
}

/// The URL of a catalog location: a URL as given, a local directory as its file:// URL.
fn catalog_url(location: &str) -> Result<String> {
    if location.contains("://") {
        url::Url::parse(location).map_err(|e| {
            EngineError::Other(format!(
                "datafusion.catalog.location {location} is not a URL: {e}"
            ))
        })?;
        return Ok(location.to_string());
    }
    let dir = std::fs::canonicalize(location).map_err(|source| EngineError::Io {
        path: location.into(),
        source,
    })?;
    url::Url::from_directory_path(&dir)
        .map(|u| u.to_string())
        .map_err(|_| EngineError::Other(format!("{} is not a directory", dir.display())))
}

fn new_session(config: SessionConfig) -> SessionContext {
    session(config, None)
}

fn session(
    config: SessionConfig,
    last_physical_rule: Option<Arc<dyn PhysicalOptimizerRule + Send + Sync>>,
) -> SessionContext {
    let config = config
        .with_information_schema(true)
        // delta-rs' own sessions disable hash-join IN-list pushdown, which can panic on
        // dictionary-encoded join keys; do as they do.
        .set_usize("datafusion.optimizer.hash_join_inlist_pushdown_max_size", 0)
        .set_usize(
            "datafusion.optimizer.hash_join_inlist_pushdown_max_distinct_values",
            0,
        )
        // The rules join million-row evidence (ast_nodes, name_refs) with tables of some ten
        // thousand rows (files, defs, scopes). Below these sizes the small side is built once and
        // the large side probes it where it is, instead of both being hash-repartitioned.
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold",
            64 * 1024 * 1024,
        )
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold_rows",
            1024 * 1024,
        )
        // Above this size a partition is sorted batch by batch and the sorted runs merged, which
        // for many small batches is several times slower than one sort of the concatenated
        // partition. Below it, a partition is
        // concatenated and sorted in place. (The rules themselves no longer sort their outputs;
        // this serves the sorts of users' queries and of the rules' own ORDER BYs.)
        .set_usize(
            "datafusion.execution.sort_in_place_threshold_bytes",
            1024 * 1024 * 1024,
        );
    let mut state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_optimizer_rules(optimizer_rules())
        .with_table_factory("DELTATABLE".to_string(), Arc::new(DeltaTableFactory {}))
        .with_type_planner(Arc::new(CodelakeTypes));
    if let Some(rule) = last_physical_rule {
        state = state.with_physical_optimizer_rule(rule);
    }
    let state = state.build();
    let ctx = SessionContext::new_with_state(state);
    udf::register(&ctx);
    ctx
}

/// SQL types DataFusion 55 does not plan by itself, as the specs use them (so the DDL that
/// `codelake` renders from the specs runs): `MAP(K, V)` as an Arrow map whose entries are named
/// as Delta Lake names them, and `TIMESTAMP(6) WITH TIME ZONE` as microseconds in UTC.
#[derive(Debug)]
struct CodelakeTypes;

impl TypePlanner for CodelakeTypes {
    fn plan_type_field(
        &self,
        sql_type: &ast::DataType,
    ) -> datafusion::error::Result<Option<FieldRef>> {
        let data_type = match sql_type {
            ast::DataType::Map(k, v) => {
                let (Some(k), Some(v)) = (scalar(k), scalar(v)) else {
                    return Ok(None);
                };
                codelake_schema::spec::map_type(k, v)
            }
            ast::DataType::Timestamp(Some(6), ast::TimezoneInfo::WithTimeZone) => {
                DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")))
            }
            _ => return Ok(None),
        };
        Ok(Some(Arc::new(Field::new("", data_type, true))))
    }
}

fn scalar(t: &ast::DataType) -> Option<DataType> {
    match t {
        ast::DataType::Varchar(_) | ast::DataType::String(_) | ast::DataType::Text => {
            Some(DataType::Utf8)
        }
        ast::DataType::BigInt(_) => Some(DataType::Int64),
        ast::DataType::Int(_) | ast::DataType::Integer(_) => Some(DataType::Int32),
        ast::DataType::Boolean => Some(DataType::Boolean),
        ast::DataType::Double(_) | ast::DataType::DoublePrecision => Some(DataType::Float64),
        _ => None,
    }
}

/// Optimizer rules left out of DataFusion 55's defaults: `extract_leaf_expressions` and its
/// partner `push_down_leaf_projections` break `optimize_projections` when a join key reads a
/// struct field (apache/datafusion#22895, fixed after 55) — and joining on `span.start_line`
/// and the like is everyday codelake SQL. Without them, struct fields are read after the scan
/// instead of being pushed into it; results are the same.
pub const DISABLED_OPTIMIZER_RULES: &[&str] =
    &["extract_leaf_expressions", "push_down_leaf_projections"];

fn optimizer_rules() -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    Optimizer::new()
        .rules
        .into_iter()
        .filter(|r| !DISABLED_OPTIMIZER_RULES.contains(&r.name()))
        .collect()
}

/// The table provider of a Delta table, reading with the session's settings.
pub async fn provider(
    ctx: &SessionContext,
    spec: &TableSpec,
    table: &DeltaTable,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    table
        .table_provider()
        .with_session(Arc::new(ctx.state()))
        .await
        .df_context(|| format!("opening table {}", spec.name))
}

/// Registers a Delta table under the spec's name.
pub async fn register(ctx: &SessionContext, spec: &TableSpec, table: &DeltaTable) -> Result<()> {
    let provider = provider(ctx, spec, table).await?;
    ctx.deregister_table(spec.name)
        .df_context(|| format!("registering table {}", spec.name))?;
    ctx.register_table(spec.name, provider)
        .df_context(|| format!("registering table {}", spec.name))?;
    Ok(())
}

/// Opens a session over the database at `db`: registers every table of the registry and
/// validates each against its spec through `information_schema`.
pub async fn open_session(db: &Path) -> Result<SessionContext> {
    open_layers(db, &[Layer::Evidence, Layer::Cpg, Layer::Meta]).await
}

/// [`open_session`] with DataFusion settings (see [`new_session_with`]).
pub async fn open_session_with(db: &Path, settings: &[(String, String)]) -> Result<SessionContext> {
    let ctx = new_session_with(settings).await?;
    register_layers(&ctx, db, &[Layer::Evidence, Layer::Cpg, Layer::Meta]).await?;
    Ok(ctx)
}

/// Opens a session over the tables of some layers only, validated like [`open_session`].
pub async fn open_layers(db: &Path, layers: &[Layer]) -> Result<SessionContext> {
    let ctx = new_session_context();
    register_layers(&ctx, db, layers).await?;
    Ok(ctx)
}

/// A rules session ([`rules_session_context`]) over the evidence tables of the database at
/// `db`: where `codelake plan` plans the rules, as a build does.
pub async fn open_rules_session(db: &Path) -> Result<SessionContext> {
    let ctx = rules_session_context();
    register_layers(&ctx, db, &[Layer::Evidence]).await?;
    Ok(ctx)
}

/// The session the rules run in: like [`new_session_context`], with every plan in one
/// partition. A single-partition plan emits its rows in an order fixed by its inputs (scans
/// read files in order, joins probe in order, aggregates emit groups as first seen), so the
/// outputs are written in a deterministic order without sorting them (sorting is dear: see
/// docs/performance.md). The rules still run side by side, each on its own task.
pub fn rules_session_context() -> SessionContext {
    session(
        SessionConfig::new()
            .with_target_partitions(1)
            // Strings are the specs' Utf8 throughout, not string views: `VARCHAR` in the rules,
            // and the evidence read from Parquet (`codelake plan`, tests) as it is held in memory
            // by a build. A view-typed union branch made the union cast every Utf8 column of
            // its other branches to views, which the writers then cast back.
            .set_bool("datafusion.sql_parser.map_string_types_to_utf8view", false)
            .set_bool(
                "datafusion.execution.parquet.schema_force_view_types",
                false,
            ),
        Some(Arc::new(crate::ordered::ConcatPartitions)),
    )
}

/// Registers tables already open (a build's own writes, at the versions it committed) in `ctx`
/// and validates them like [`open_session`]: the tables of `layers`, each of which must be given.
pub async fn session_over(
    ctx: SessionContext,
    tables: &std::collections::BTreeMap<&'static str, DeltaTable>,
    layers: &[Layer],
) -> Result<SessionContext> {
    let specs = layer_specs(layers);
    for spec in &specs {
        let table = tables
            .get(spec.name)
            .ok_or_else(|| EngineError::SpecMismatch {
                table: spec.name.to_string(),
                detail: "the build did not write the table".to_string(),
            })?;
        register(&ctx, spec, table).await?;
    }
    info_schema::validate(&ctx, &specs).await?;
    Ok(ctx)
}

/// The specs of the tables of some layers, in registry order.
fn layer_specs(layers: &[Layer]) -> Vec<TableSpec> {
    registry()
        .iter()
        .filter(|s| layers.contains(&s.layer))
        .cloned()
        .collect()
}

async fn register_layers(ctx: &SessionContext, db: &Path, layers: &[Layer]) -> Result<()> {
    let specs = layer_specs(layers);
    let mut found = 0;
    let mut missing = Vec::new();
    for spec in &specs {
        match storage::open(db, spec).await? {
            Some(table) => {
                register(ctx, spec, &table).await?;
                found += 1;
            }
            None => missing.push(spec.name),
        }
    }
    if found == 0 {
        return Err(EngineError::NoDatabase(db.to_path_buf()));
    }
    if let Some(name) = missing.first() {
        return Err(EngineError::SpecMismatch {
            table: name.to_string(),
            detail: format!(
                "the table is missing from {} (rebuild with `codelake build`)",
                db.display()
            ),
        });
    }
    info_schema::validate(ctx, &specs).await?;
    Ok(())
}
