//! codelake's scalar functions, registered in every session.
//!
//! * `stable_id(domain, v1, v2, ...)`: the stable 64-bit id of [`codelake_schema::StableId`]
//!   over a domain tag and the values, so that ids the rules mint (of modules, external
//!   modules, builtins, edges) are the same in every build, as the extraction's ids are.
//! * `map_from_entries(list<struct<k, v>>)`: the map with those entries, in the list's order
//!   (as in Spark, Trino and DuckDB). With `array_sort(array_agg(named_struct(...)))` it builds
//!   a map whose entries are sorted by key, without an order-sensitive aggregate.

use std::sync::Arc;

use codelake_schema::ids::{hash_serialized, put_int, put_str};
use std::collections::HashSet;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, MapArray, StringArray, StringViewArray, StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

/// Registers codelake's functions with a session.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::from(StableIdUdf::new()));
    ctx.register_udf(ScalarUDF::from(MapFromEntriesUdf::new()));
}

/// `stable_id(domain, ...)`: XXH3 over the domain tag and the length-prefixed values, exactly
/// as [`StableId`](codelake_schema::StableId) serialises them. Strings hash as `str`, integers
/// as `int`; a null hashes as a distinct marker, so `(NULL, 'a')` and `('a', NULL)` differ.
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

/// One argument of `stable_id`, ready to read row by row: arrays are downcast once and
/// constants (the domain tag, literal parts) are not expanded to a column.
enum Part {
    Str(ArrayRef),
    StrView(ArrayRef),
    ConstStr(Option<String>),
    Int(ArrayRef),
    ConstInt(Option<i64>),
}

impl Part {
    fn of(value: &ColumnarValue) -> Result<Self> {
        let is_int = |t: &DataType| {
            matches!(
                t,
                DataType::Int8
                    | DataType::Int16
                    | DataType::Int32
                    | DataType::Int64
                    | DataType::UInt8
                    | DataType::UInt16
                    | DataType::UInt32
                    | DataType::Boolean
            )
        };
        Ok(match value {
            ColumnarValue::Scalar(s) => {
                let t = s.data_type();
                if t.is_null() {
                    Part::ConstStr(None)
                } else if is_int(&t) {
                    match s.cast_to(&DataType::Int64)? {
                        ScalarValue::Int64(v) => Part::ConstInt(v),
                        other => return exec_err!("stable_id: {other} is not an integer"),
                    }
                } else if t.is_string() || matches!(&t, DataType::Dictionary(_, v) if v.is_string())
                {
                    match s.cast_to(&DataType::Utf8)? {
                        ScalarValue::Utf8(v) => Part::ConstStr(v),
                        other => return exec_err!("stable_id: {other} is not a string"),
                    }
                } else {
                    return exec_err!("stable_id cannot hash values of type {t}");
                }
            }
            ColumnarValue::Array(arr) => match arr.data_type() {
                DataType::Utf8View => Part::StrView(arr.clone()),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Null => {
                    Part::Str(cast(arr, &DataType::Utf8)?)
                }
                DataType::Dictionary(_, v) if v.is_string() => {
                    Part::Str(cast(arr, &DataType::Utf8)?)
                }
                t if is_int(t) => Part::Int(cast(arr, &DataType::Int64)?),
                other => return exec_err!("stable_id cannot hash values of type {other}"),
            },
        })
    }
}

/// A [`Part`] downcast, borrowed for the loop over the rows.
enum Reader<'a> {
    Str(&'a StringArray),
    StrView(&'a StringViewArray),
    ConstStr(Option<&'a str>),
    Int(&'a Int64Array),
    ConstInt(Option<i64>),
}

impl<'a> Reader<'a> {
    fn of(part: &'a Part) -> Self {
        match part {
            Part::Str(a) => Reader::Str(a.as_string::<i32>()),
            Part::StrView(a) => Reader::StrView(a.as_string_view()),
            Part::ConstStr(v) => Reader::ConstStr(v.as_deref()),
            Part::Int(a) => Reader::Int(a.as_primitive::<Int64Type>()),
            Part::ConstInt(v) => Reader::ConstInt(*v),
        }
    }

    /// The row's value as a string part: `None` for a null (strings only; see [`Self::int`]).
    #[inline]
    fn str(&self, row: usize) -> Option<Option<&'a str>> {
        match self {
            Reader::Str(a) => Some((!a.is_null(row)).then(|| a.value(row))),
            Reader::StrView(a) => Some((!a.is_null(row)).then(|| a.value(row))),
            Reader::ConstStr(v) => Some(*v),
            _ => None,
        }
    }

    #[inline]
    fn int(&self, row: usize) -> Option<i64> {
        match self {
            Reader::Int(a) => (!a.is_null(row)).then(|| a.value(row)),
            Reader::ConstInt(v) => *v,
            _ => None,
        }
    }

    /// Appends the row's value to `buf` serialised as [`StableId`](codelake_schema::StableId)
    /// does: a string as its length (u32, little-endian) and bytes, an integer as 8
    /// little-endian bytes; a null string as `i64::MIN` and the string `"\0null"`, a null
    /// integer as that string alone.
    #[inline]
    fn put(&self, buf: &mut Vec<u8>, row: usize) {
        match self.str(row) {
            Some(Some(s)) => put_str(buf, s),
            Some(None) => {
                put_int(buf, i64::MIN);
                put_str(buf, NULL_MARK);
            }
            None => match self.int(row) {
                Some(v) => put_int(buf, v),
                None => put_str(buf, NULL_MARK),
            },
        }
    }

    fn is_const(&self) -> bool {
        matches!(self, Reader::ConstStr(_) | Reader::ConstInt(_))
    }
}

const NULL_MARK: &str = "\0null";

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
        let parts = args.args.iter().map(Part::of).collect::<Result<Vec<_>>>()?;
        let readers: Vec<Reader> = parts.iter().map(Reader::of).collect();
        let Some((domain, rest)) = readers.split_first() else {
            return exec_err!("stable_id(domain, ...) takes a string domain tag first");
        };
        if domain.str(0).is_none() {
            return exec_err!("stable_id(domain, ...) takes a string domain tag first");
        }
        // Each row's serialisation in one reused buffer, hashed once; the leading constant
        // parts (the domain tag, literal kinds and rule names) are serialised once for all rows.
        let consts = match domain.is_const() {
            true => rest.iter().take_while(|p| p.is_const()).count(),
            false => 0,
        };
        let mut prefix = Vec::new();
        if domain.is_const() {
            put_str(&mut prefix, domain.str(0).flatten().unwrap_or(""));
            for p in &rest[..consts] {
                p.put(&mut prefix, 0);
            }
        }
        let per_row = &rest[consts..];
        let mut buf = Vec::with_capacity(prefix.len() + 64);
        let mut out = Vec::with_capacity(n);
        for row in 0..n {
            buf.clear();
            if domain.is_const() {
                buf.extend_from_slice(&prefix);
            } else {
                put_str(&mut buf, domain.str(row).flatten().unwrap_or(""));
            }
            for p in per_row {
                p.put(&mut buf, row);
            }
            out.push(hash_serialized(&buf));
        }
        Ok(ColumnarValue::Array(Arc::new(Int64Array::from(out))))
    }
}

/// `map_from_entries(list<struct<k, v>>)`: a map whose entries are the list's structs (first
/// field the key, second the value), in the list's order. A null list gives a null map; a null
/// entry, a null key or a key twice in one list is an error, as a map cannot hold them.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MapFromEntriesUdf {
    signature: Signature,
}

impl MapFromEntriesUdf {
    pub fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl Default for MapFromEntriesUdf {
    fn default() -> Self {
        Self::new()
    }
}

/// The map type of `map_from_entries` over a list of `entry`: Arrow's canonical
/// `key_value<key, value>` with a non-null key.
fn map_of_entries(entry: &DataType) -> Result<(Fields, DataType)> {
    let DataType::Struct(fields) = entry else {
        return plan_err!("map_from_entries takes a list of structs, not of {entry}");
    };
    let [key, value] = fields.iter().collect::<Vec<_>>()[..] else {
        return plan_err!(
            "map_from_entries takes a list of structs of two fields (key, value), not {}",
            fields.len()
        );
    };
    let entries = Fields::from(vec![
        Field::new("key", key.data_type().clone(), false),
        Field::new("value", value.data_type().clone(), true),
    ]);
    let map = DataType::Map(
        Arc::new(Field::new(
            "key_value",
            DataType::Struct(entries.clone()),
            false,
        )),
        false,
    );
    Ok((entries, map))
}

impl ScalarUDFImpl for MapFromEntriesUdf {
    fn name(&self) -> &str {
        "map_from_entries"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [DataType::List(item)] => Ok(map_of_entries(item.data_type())?.1),
            [other] => plan_err!("map_from_entries takes a list of structs, not {other}"),
            _ => plan_err!("map_from_entries takes one argument"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!("map_from_entries takes one argument");
        };
        let arr = arg.to_array(args.number_rows)?;
        let Some(list) = arr.as_list_opt::<i32>() else {
            return exec_err!("map_from_entries takes a list, not {}", arr.data_type());
        };
        let (fields, _) = map_of_entries(list.values().data_type())?;
        // Only the entries the lists reference, with offsets from 0.
        let offsets = list.offsets();
        let first = offsets.first().copied().unwrap_or(0);
        let last = offsets.last().copied().unwrap_or(0);
        let (start, len) = (first as usize, (last - first) as usize);
        let entries = list.values().slice(start, len);
        let entries = entries.as_struct();
        if entries.null_count() > 0 {
            return exec_err!("map_from_entries: an entry is null");
        }
        let keys = entries.column(0);
        if keys.null_count() > 0 {
            return exec_err!("map_from_entries: a key is null");
        }
        let rebased = OffsetBuffer::new(offsets.iter().map(|o| o - first).collect());
        // Keys are compared in the row format, converted only when some list has two entries
        // or more (a column of one-entry maps, like the AST nodes' in cpg_props_map, has no
        // key to repeat).
        if rebased.windows(2).any(|w| w[1] - w[0] >= 2) {
            let converter = RowConverter::new(vec![SortField::new(keys.data_type().clone())])?;
            let rows = converter.convert_columns(std::slice::from_ref(keys))?;
            let mut seen = HashSet::new();
            for (i, w) in rebased.windows(2).enumerate() {
                if list.is_null(i) || w[1] - w[0] < 2 {
                    continue;
                }
                seen.clear();
                for j in w[0] as usize..w[1] as usize {
                    if !seen.insert(rows.row(j)) {
                        return exec_err!(
                            "map_from_entries: a key occurs twice in one map (row {i})"
                        );
                    }
                }
            }
        }
        let entries = StructArray::try_new(fields.clone(), entries.columns().to_vec(), None)?;
        let map = MapArray::try_new(
            Arc::new(Field::new("key_value", DataType::Struct(fields), false)),
            rebased,
            entries,
            list.nulls().cloned(),
            false,
        )?;
        Ok(ColumnarValue::Array(Arc::new(map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codelake_schema::StableId;
    use datafusion::arrow::array::Int64Array;

    #[tokio::test]
    async fn stable_id_refuses_values_it_cannot_hash() {
        let ctx = SessionContext::new();
        register(&ctx);
        // Folded at planning or run: either way an error naming the type.
        let result = match ctx.sql("SELECT stable_id('x', 1.5)").await {
            Ok(df) => df.collect().await.map(|_| ()),
            Err(e) => Err(e),
        };
        let err = result.unwrap_err().to_string();
        assert!(err.contains("cannot hash values of type Float64"), "{err}");
    }

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

    /// Over columns, row by row: string and integer columns with nulls, constants before,
    /// between and after them, each row equal to the builder's id of the same fields.
    #[tokio::test]
    async fn stable_id_over_columns_equals_the_rust_builder_row_by_row() {
        use datafusion::arrow::array::StringArray;
        let ctx = SessionContext::new();
        register(&ctx);
        let kinds = StringArray::from(vec![Some("AST"), None, Some("CALLS"), Some("")]);
        let ids = Int64Array::from(vec![Some(1), Some(-2), None, Some(i64::MAX)]);
        let batch = datafusion::arrow::record_batch::RecordBatch::try_from_iter(vec![
            ("k", Arc::new(kinds.clone()) as ArrayRef),
            ("i", Arc::new(ids.clone()) as ArrayRef),
        ])
        .unwrap();
        ctx.register_batch("t", batch).unwrap();
        let batches = ctx
            .sql("SELECT stable_id('edge', 'lit', k, i, 'rule') AS a, stable_id('edge', k, 7, i) AS b FROM t")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let col = |c: usize| {
            batches[0]
                .column(c)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .clone()
        };
        let (a, b) = (col(0), col(1));
        for row in 0..4 {
            let mut ea = StableId::new("edge");
            ea.str("lit");
            let mut eb = StableId::new("edge");
            match kinds.is_null(row) {
                false => {
                    ea.str(kinds.value(row));
                    eb.str(kinds.value(row));
                }
                true => {
                    ea.int(i64::MIN).str("\0null");
                    eb.int(i64::MIN).str("\0null");
                }
            }
            eb.int(7);
            for e in [&mut ea, &mut eb] {
                match ids.is_null(row) {
                    false => e.int(ids.value(row)),
                    true => e.str("\0null"),
                };
            }
            ea.str("rule");
            assert_eq!(a.value(row), ea.finish(), "row {row}");
            assert_eq!(b.value(row), eb.finish(), "row {row}");
        }
    }

    #[tokio::test]
    async fn map_from_entries_keeps_the_order_and_rejects_duplicate_or_null_keys() {
        let ctx = SessionContext::new();
        register(&ctx);
        let df = ctx
            .sql(
                "SELECT map_from_entries(array_sort(make_array(named_struct('key', 'b', 'value', '2'), \
                 named_struct('key', 'a', 'value', NULL)))) AS m, \
                 arrow_typeof(map_from_entries(make_array(named_struct('k', 1, 'v', 'x')))) AS t, \
                 map_from_entries(CAST(NULL AS ARRAY<STRUCT<k VARCHAR, v VARCHAR>>)) IS NULL AS n",
            )
            .await
            .unwrap();
        let batches = df.collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert!(text.contains("{a: , b: 2}"), "{text}");
        assert!(text.contains("Map(\"key_value\": non-null Struct(\"key\": non-null Int64, \"value\": Utf8), unsorted)"), "{text}");
        assert!(text.contains("| true"), "{text}");
        for bad in [
            "SELECT map_from_entries(make_array(named_struct('k', 'a', 'v', 1), named_struct('k', 'a', 'v', 2)))",
            "SELECT map_from_entries(make_array(named_struct('k', CAST(NULL AS VARCHAR), 'v', 1)))",
        ] {
            let err = ctx.sql(bad).await.unwrap().collect().await.unwrap_err();
            assert!(err.to_string().contains("map_from_entries"), "{err}");
        }
    }
}
