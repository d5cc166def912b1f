//! codelake's scalar functions, registered in every session.
//!
//! * `stable_id(domain, v1, v2, ...)`: the stable 64-bit id of [`codelake_schema::StableId`]
//!   over a domain tag and the values, so that ids the rules mint (of modules, external
//!   modules, builtins, edges) are the same in every build, as the extraction's ids are.

use std::sync::Arc;

use codelake_schema::StableId;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

/// Registers codelake's functions with a session.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::from(StableIdUdf::new()));
}

/// `stable_id(domain, ...)`: XXH3 over the domain tag and the length-prefixed values, exactly
/// as [`StableId`] serialises them. Strings hash as `str`, integers as `int`; a null hashes as a
/// distinct marker, so `(NULL, 'a')` and `('a', NULL)` differ.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StableIdUdf {
    signature: Signature,
}

impl StableIdUdf {
    pub fn new() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl Default for StableIdUdf {
    fn default() -> Self {
        Self::new()
    }
}

enum Part {
    Str(ArrayRef),
    Int(ArrayRef),
}

impl ScalarUDFImpl for StableIdUdf {
    fn name(&self) -> &str {
        "stable_id"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8) => Ok(DataType::Int64),
            _ => plan_err!("stable_id(domain, ...) takes a string domain tag first"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let mut parts = Vec::with_capacity(args.args.len());
        for a in &args.args {
            let arr = a.to_array(n)?;
            let part = match arr.data_type() {
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 | DataType::Null => {
                    Part::Str(cast(&arr, &DataType::Utf8)?)
                }
                DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::Boolean => Part::Int(cast(&arr, &DataType::Int64)?),
                DataType::Dictionary(_, v) if v.is_string() => {
                    Part::Str(cast(&arr, &DataType::Utf8)?)
                }
                other => return exec_err!("stable_id cannot hash values of type {other}"),
            };
            parts.push(part);
        }
        let Some((Part::Str(domain), rest)) = parts.split_first() else {
            return exec_err!("stable_id(domain, ...) takes a string domain tag first");
        };
        let domain = domain.as_string::<i32>();
        let mut out = Int64Builder::with_capacity(n);
        for row in 0..n {
            let mut id = StableId::new(if domain.is_null(row) {
                ""
            } else {
                domain.value(row)
            });
            for p in rest {
                id = match p {
                    Part::Str(a) => {
                        let a = a.as_string::<i32>();
                        if a.is_null(row) {
                            id.int(i64::MIN).str("\0null")
                        } else {
                            id.str(a.value(row))
                        }
                    }
                    Part::Int(a) => {
                        let a = a.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                        if a.is_null(row) {
                            id.str("\0null")
                        } else {
                            id.int(a.value(row))
                        }
                    }
                };
            }
            out.append_value(id.finish());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;

    #[tokio::test]
    async fn stable_id_in_sql_equals_the_rust_builder() {
        let ctx = SessionContext::new();
        register(&ctx);
        let batches = ctx
            .sql("SELECT stable_id('module', CAST(7 AS BIGINT)), stable_id('builtin', 'len'), stable_id('x', NULL, 'a'), stable_id('x', 'a', NULL)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let v = |c: usize| {
            batches[0]
                .column(c)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .value(0)
        };
        assert_eq!(v(0), StableId::new("module").int(7).finish());
        assert_eq!(v(1), StableId::new("builtin").str("len").finish());
        assert_ne!(v(2), v(3));
    }
}
