//! DDL rendered from the spec registry as a `sqlparser` AST: DataFusion's
//! `CREATE EXTERNAL TABLE` statement with the spec's columns (types, `NOT NULL`, `DEFAULT`),
//! `PRIMARY KEY` from its keys, `PARTITIONED BY` and `WITH ORDER` from the spec, stored as
//! `DELTATABLE` at the table's directory.
//!
//! The statement is built as DataFusion's parser AST ([`CreateExternalTable`]) from sqlparser
//! nodes; its text is rendered from those nodes' own `Display` (DataFusion 55's `Display` of the
//! statement leaves out the columns and constraints). A test parses the text back and checks it
//! gives the same AST.

use codelake_schema::TableSpec;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::sql::parser::CreateExternalTable;
use datafusion::sql::sqlparser::ast::{
    self, ColumnDef, ColumnOption, ColumnOptionDef, Expr, Ident, IndexColumn, ObjectName,
    OrderByExpr, OrderByOptions, PrimaryKeyConstraint, StructBracketKind, StructField,
    TableConstraint, Value, ValueWithSpan,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::error::{EngineError, Result};

/// The SQL type of an Arrow type, as codelake's sessions plan it back.
pub fn sql_type(t: &DataType) -> Result<ast::DataType> {
    Ok(match t {
        DataType::Boolean => ast::DataType::Boolean,
        DataType::Int32 => ast::DataType::Int(None),
        DataType::Int64 => ast::DataType::BigInt(None),
        DataType::Float64 => ast::DataType::Double(ast::ExactNumberInfo::None),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => ast::DataType::Varchar(None),
        DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) if tz.as_ref() == "UTC" => {
            ast::DataType::Timestamp(Some(6), ast::TimezoneInfo::WithTimeZone)
        }
        DataType::List(item) => ast::DataType::Array(ast::ArrayElemTypeDef::AngleBracket(
            Box::new(sql_type(item.data_type())?),
        )),
        DataType::Struct(fields) => ast::DataType::Struct(
            fields
                .iter()
                .map(|f| {
                    Ok(StructField {
                        field_name: Some(ident(f.name())),
                        field_type: sql_type(f.data_type())?,
                        options: None,
                    })
                })
                .collect::<Result<_>>()?,
            StructBracketKind::AngleBrackets,
        ),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => ast::DataType::Map(
                Box::new(sql_type(kv[0].data_type())?),
                Box::new(sql_type(kv[1].data_type())?),
            ),
            other => {
                return Err(EngineError::Other(format!(
                    "no SQL type for map entries {other}"
                )));
            }
        },
        other => return Err(EngineError::Other(format!("no SQL type for {other}"))),
    })
}

/// An identifier, double-quoted when it is an SQL keyword (`key`, `kind`, ...).
fn ident(name: &str) -> Ident {
    let upper = name.to_ascii_uppercase();
    if datafusion::sql::sqlparser::keywords::ALL_KEYWORDS
        .binary_search(&upper.as_str())
        .is_ok()
    {
        Ident::with_quote('"', name)
    } else {
        Ident::new(name)
    }
}

fn literal(text: &str) -> Result<Expr> {
    Parser::new(&GenericDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| EngineError::Other(format!("the default `{text}` is not SQL: {e}")))
}

/// The `CREATE EXTERNAL TABLE` statement of a spec, its table at `location`.
pub fn statement(spec: &TableSpec, location: &str) -> Result<CreateExternalTable> {
    let mut columns = Vec::new();
    for f in spec.schema.fields() {
        let mut options = Vec::new();
        if !f.is_nullable() {
            options.push(ColumnOptionDef {
                name: None,
                option: ColumnOption::NotNull,
            });
        }
        if let Some(d) = spec.column_default(f.name()) {
            options.push(ColumnOptionDef {
                name: None,
                option: ColumnOption::Default(literal(d)?),
            });
        }
        columns.push(ColumnDef {
            name: ident(f.name()),
            data_type: sql_type(f.data_type())
                .map_err(|e| EngineError::Other(format!("{}.{}: {e}", spec.name, f.name())))?,
            options,
        });
    }
    let constraints = vec![TableConstraint::PrimaryKey(PrimaryKeyConstraint {
        name: None,
        index_name: None,
        index_type: None,
        columns: spec
            .keys
            .iter()
            .map(|k| IndexColumn {
                column: OrderByExpr {
                    expr: Expr::Identifier(ident(k)),
                    options: OrderByOptions {
                        asc: None,
                        nulls_first: None,
                    },
                    with_fill: None,
                },
                operator_class: None,
            })
            .collect(),
        index_options: vec![],
        characteristics: None,
    })];
    let order = spec
        .sort_order
        .iter()
        .map(|c| OrderByExpr {
            expr: Expr::Identifier(ident(c)),
            options: OrderByOptions {
                asc: Some(true),
                nulls_first: Some(true),
            },
            with_fill: None,
        })
        .collect::<Vec<_>>();
    Ok(CreateExternalTable {
        name: ObjectName::from(vec![ident(spec.name)]),
        columns,
        file_type: "DELTATABLE".to_string(),
        locations: vec![location.to_string()],
        table_partition_cols: spec.partition_by.iter().map(|c| c.to_string()).collect(),
        order_exprs: if order.is_empty() {
            vec![]
        } else {
            vec![order]
        },
        if_not_exists: false,
        or_replace: false,
        temporary: false,
        unbounded: false,
        options: vec![],
        constraints,
    })
}

/// The text of a statement, every part rendered by its sqlparser node.
pub fn render(s: &CreateExternalTable) -> String {
    let mut out = format!("CREATE EXTERNAL TABLE {} (\n", s.name);
    let mut parts: Vec<String> = s.columns.iter().map(|c| format!("  {c}")).collect();
    parts.extend(s.constraints.iter().map(|c| format!("  {c}")));
    out.push_str(&parts.join(",\n"));
    out.push_str("\n)\n");
    out.push_str(&format!("STORED AS {}\n", s.file_type));
    if !s.table_partition_cols.is_empty() {
        let cols: Vec<String> = s
            .table_partition_cols
            .iter()
            .map(|c| ident(c).to_string())
            .collect();
        out.push_str(&format!("PARTITIONED BY ({})\n", cols.join(", ")));
    }
    for order in &s.order_exprs {
        let exprs: Vec<String> = order.iter().map(|e| e.to_string()).collect();
        out.push_str(&format!("WITH ORDER ({})\n", exprs.join(", ")));
    }
    let location = s.locations.first().cloned().unwrap_or_default();
    out.push_str(&format!(
        "LOCATION {}",
        ValueWithSpan::from(Value::SingleQuotedString(location))
    ));
    out
}

/// The DDL of a spec, its table at `location`.
pub fn ddl(spec: &TableSpec, location: &str) -> Result<String> {
    Ok(render(&statement(spec, location)?))
}

/// The fingerprint of a spec's DDL: over the DDL with the location left as the table's name, so
/// it does not depend on where the database lives.
pub fn fingerprint(spec: &TableSpec) -> Result<String> {
    let text = ddl(spec, spec.name)?;
    Ok(blake3::hash(text.as_bytes()).to_hex()[..16].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::{DFParser, Statement};

    #[test]
    fn ddl_parses_back_to_the_same_statement() {
        for spec in codelake_schema::registry() {
            let stmt = statement(spec, &format!("/db/{}", spec.name)).unwrap();
            let text = render(&stmt);
            let parsed = DFParser::parse_sql(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            match parsed.front() {
                Some(Statement::CreateExternalTable(back)) => {
                    assert_eq!(back, &stmt, "{text}")
                }
                other => panic!("{text} parsed as {other:?}"),
            }
        }
    }
}
